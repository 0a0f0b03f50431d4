/* labquic.h - test-only readers for the lab's QUIC captures (test_h3.c, test_quicdec.c):
 * hex, the UDP datagrams of a pcap, a whole file, and a key log's secrets. */
#ifndef FT_LABQUIC_H
#define FT_LABQUIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "quicdec.h"

/* Hex (spaces ignored) into out; the byte count. */
static inline size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v = hex_digit((unsigned char)*s);

		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n < cap)
				out[n] = (uint8_t)(hi << 4 | v);
			n++;
			hi = -1;
		}
	}
	return n;
}

struct udp {
	unsigned frame;            /* 1-based frame number in the capture */
	uint16_t sport, dport;
	const uint8_t *data;
	size_t len;
};

/* The UDP datagrams of a little-endian Ethernet pcap (what the lab records). */
static inline size_t pcap_udp(const uint8_t *f, size_t flen, struct udp *out, size_t max)
{
	size_t off = 24, n = 0;
	unsigned frame = 0;

	if (flen < 24 || f[0] != 0xd4 || f[1] != 0xc3 || f[20] != 1)
		return 0;
	while (flen - off >= 16 && n < max) {
		size_t cap = (size_t)f[off + 8] | (size_t)f[off + 9] << 8 | (size_t)f[off + 10] << 16;
		const uint8_t *p = f + off + 16;
		size_t ip, l4 = 0;
		int proto = -1;

		off += 16;
		if (flen - off < cap)
			break;
		off += cap;
		frame++;
		if (cap < 14 + 40)
			continue;
		ip = 14;
		if (p[12] == 0x08 && p[13] == 0x00) {
			proto = p[ip + 9];
			l4 = ip + (size_t)(p[ip] & 0x0f) * 4;
		} else if (p[12] == 0x86 && p[13] == 0xdd) {
			proto = p[ip + 6];
			l4 = ip + 40;
		}
		if (proto != 17 || cap < l4 + 8)
			continue;
		out[n].frame = frame;
		out[n].sport = (uint16_t)(p[l4] << 8 | p[l4 + 1]);
		out[n].dport = (uint16_t)(p[l4 + 2] << 8 | p[l4 + 3]);
		out[n].data = p + l4 + 8;
		out[n].len = cap - l4 - 8;
		n++;
	}
	return n;
}

static inline uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* Key log lines "LABEL <client random hex> <secret hex>": the secret of label for rnd. */
static inline size_t keylog_secret(const char *path, const char *label, const uint8_t rnd[32],
				   uint8_t *out)
{
	size_t flen, ll = strlen(label), got = 0;
	uint8_t *f = slurp(path, &flen);
	char *line, *save = NULL;

	if (!f)
		return 0;
	f[flen] = 0;
	for (line = strtok_r((char *)f, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint8_t r[32];

		if (strncmp(line, label, ll) != 0 || line[ll] != ' ')
			continue;
		if (strlen(line) < ll + 1 + 64 + 1)
			continue;
		char rh[65];
		memcpy(rh, line + ll + 1, 64);
		rh[64] = 0;
		if (unhex(rh, r, 32) != 32 || memcmp(r, rnd, 32) != 0)
			continue;
		got = unhex(line + ll + 1 + 64 + 1, out, QUICDEC_SECRET_MAX);
		break;
	}
	free(f);
	return got;
}

/* The key log's secret for packet number space sp (QUICDEC_SP_HANDSHAKE or
 * QUICDEC_SP_APP) and direction dir (0 client) of qc's connection, looked
 * up by its ClientHello's random: its length, 0 when there is none. */
static inline size_t lab_secret(const struct quicdec_conn *qc, const char *keys, int sp, int dir,
				uint8_t sec[QUICDEC_SECRET_MAX])
{
	static const char *const lbl[2][2] = {
		{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET" },
		{ "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0" },
	};
	uint8_t rnd[32];

	if (sp < 1 || sp > 2 || dir < 0 || dir > 1 || !quicdec_client_random(qc, rnd))
		return 0;
	return keylog_secret(keys, lbl[sp - 1][dir], rnd, sec);
}

#endif
