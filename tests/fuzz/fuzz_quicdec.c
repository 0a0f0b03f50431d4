/* fuzz_quicdec.c - libFuzzer target: QUIC packet protection and frames (quicdec_packet, quicframe_parse,
 * quicdec_tp_decode), raw datagrams and payloads the harness seals under keys from a fixed DCID. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../unit/quicseal.h"
#include "quicdec.h"
#include "quicframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: byte 0 picks the mode, then 2-byte chunk headers, each followed
 * by up to 1023 bytes:
 *   h0 bit 0   direction (0 client to server)
 *   h0 bits 1-2  space (sealed mode: 0 Initial, 1 Handshake, 2+ 1-RTT)
 *   h0 bit 3   key phase (1-RTT)
 *   h0 bit 4   skip a packet number
 *   h0 bits 6-7 and h1: chunk length
 * Mode (byte 0 % 3): 0 raw datagrams (coalesced packets walked), 1 the
 * chunks are plaintext payloads sealed by the harness (v1 or v2 by bit 2
 * of byte 0; suite by bits 3-4), 2 the rest is one frame payload.
 */

static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
static const uint8_t cscid[4] = { 1, 2, 3, 4 };
static const uint8_t sscid[6] = { 9, 8, 7, 6, 5, 4 };
static uint8_t plain[4096], pkt[2048];
static struct quicdec_result res;
static struct quicframe_events ev;

static void check(const struct quicdec_result *r, size_t len)
{
	if (r->hdr.pkt_len == 0 || r->hdr.pkt_len > len)
		__builtin_trap();
	if (r->frames.n > QUICFRAME_MAX || r->n_hs > QUICDEC_MAX_HS || r->tp.n > QUICDEC_MAX_TP)
		__builtin_trap();
	if (r->status == QUICDEC_OK && r->pkt.payload_len > len)
		__builtin_trap();
	if (r->has_ch && (r->ch.sni_len > TLS_NAME_MAX || r->ch.n_alpn > TLS_MAX_ALPN))
		__builtin_trap();
	if (r->ee_alpn_len > TLS_ALPN_MAX || r->hdr.dcid_len > QUIC_CID_MAX ||
	    r->hdr.scid_len > QUIC_CID_MAX)
		__builtin_trap();
	for (unsigned i = 0; i < r->frames.n; i++) {
		const struct quicframe *f = &r->frames.f[i];

		if (f->data && (f->data < r->pkt.payload ||
				f->data + f->length > r->pkt.payload + r->pkt.payload_len))
			__builtin_trap();
	}
}

/* Every packet of one datagram. */
static void datagram(struct quicdec_conn *c, int dir, const uint8_t *p, size_t len)
{
	size_t off = 0;

	/* pkt_len >= 1 (checked): each turn moves forward. */
	while (off < len) {
		(void)quicdec_packet(c, dir, p + off, len - off, plain, sizeof plain, &res);
		check(&res, len - off);
		off += res.hdr.pkt_len;
	}
}

static void sealed(struct quicdec_conn *c, const uint8_t *data, size_t size, uint32_t version,
		   uint16_t suite)
{
	static const uint8_t secret[49] = { 7, 6, 5, 4, 3, 2, 1 };   /* +1: the server side starts 1 in */
	enum quicdec_aead a = quicdec_aead_of_suite(suite);
	size_t sl = a == QUICDEC_AES_256_GCM ? 48 : 32;
	struct quicdec_keys k[3][2];
	bool phase[2] = { false, false };
	uint64_t pn[3][2] = { { 0 } };
	uint8_t sec[2][32];
	size_t off = 0;

	memset(k, 0, sizeof k);
	if (quicdec_initial_secrets(version, dcid, sizeof dcid, sec[0], sec[1]) != 0)
		__builtin_trap();
	for (int d = 0; d < 2; d++) {
		(void)quicdec_keys_set(&k[0][d], version, QUICDEC_AES_128_GCM, sec[d], 32);
		(void)quicdec_keys_set(&k[1][d], version, a, secret, sl);
		(void)quicdec_keys_set(&k[2][d], version, a, secret + d, sl);
	}
	quicdec_set_suite(c, suite);
	while (size - off >= 2) {
		uint8_t h0 = data[off], h1 = data[off + 1];
		size_t len = (size_t)(h0 >> 6) << 8 | h1, n = 0;
		int dir = h0 & 1, sp = (h0 >> 1) & 3;
		uint8_t payload[1100];

		off += 2;
		if (len > size - off)
			len = size - off;
		if (len > 1000)
			len = 1000;
		if (sp > 2)
			sp = 2;
		memcpy(payload, data + off, len);
		off += len;
		while (len < 4)
			payload[len++] = 0;
		if (h0 & 0x10)
			pn[sp][dir] += 1u + h1;
		if (sp == 2 && ((h0 >> 3) & 1) != phase[dir]) {
			struct quicdec_keys t;

			memset(&t, 0, sizeof t);
			if (quicdec_keys_next(&t, &k[2][dir]) == 0) {
				quicdec_keys_free(&k[2][dir]);
				k[2][dir] = t;
				phase[dir] = !phase[dir];
			} else {
				quicdec_keys_free(&t);
			}
		}
		if (sp == 2)
			n = dir ? qs_short(&k[2][dir], cscid, 4, phase[dir], pn[sp][dir], payload, len, pkt)
				: qs_short(&k[2][dir], sscid, 6, phase[dir], pn[sp][dir], payload, len, pkt);
		else if (dir)
			n = qs_long(&k[sp][dir], version, sp == 0 ? 0 : 2, cscid, 4, sscid, 6,
				    pn[sp][dir], payload, len, pkt);
		else
			n = qs_long(&k[sp][dir], version, sp == 0 ? 0 : 2, dcid, 8, cscid, 4,
				    pn[sp][dir], payload, len, pkt);
		pn[sp][dir]++;
		if (n == 0)
			continue;
		if (quicdec_packet(c, dir, pkt, n, plain, sizeof plain, &res) == QUICDEC_NEED_KEY &&
		    sp > 0)
			(void)quicdec_set_secret(c, (enum quicdec_space)sp, dir,
						 sp == 1 ? secret : secret + dir, sl);
		check(&res, n);
	}
	for (int sp = 0; sp < 3; sp++)
		for (int d = 0; d < 2; d++)
			quicdec_keys_free(&k[sp][d]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t suites[4] = { 0x1301, 0x1302, 0x1303, 0x1304 };
	struct quicdec_conn *c;
	struct quicdec_tp tp;
	size_t off = 1;

	if (size < 1)
		return 0;
	if (data[0] % 3 == 2) {
		(void)quicframe_parse(data + 1, size - 1, &ev);
		if (ev.n > QUICFRAME_MAX || ev.err_off > size - 1)
			__builtin_trap();
		(void)quicdec_tp_decode(data + 1, size - 1, &tp);
		if (tp.n > QUICDEC_MAX_TP)
			__builtin_trap();
		return 0;
	}
	c = quicdec_new(512);
	if (!c)
		return 0;
	if (data[0] % 3 == 1) {
		sealed(c, data + 1, size - 1, (data[0] & 4) ? QUICDEC_V2 : QUICDEC_V1,
		       suites[(data[0] >> 3) & 3]);
	} else {
		while (size - off >= 2) {
			size_t len = (size_t)(data[off] >> 6) << 8 | data[off + 1];
			int dir = data[off] & 1;

			off += 2;
			if (len > size - off)
				len = size - off;
			datagram(c, dir, data + off, len);
			off += len;
		}
	}
	quicdec_free(c);
	return 0;
}
