/* test_quicdec.c - QUIC packet protection and frames: RFC 9001 / RFC 9369 Appendix A, captures, splits, garbage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labquic.h"
#include "quicdec.h"
#include "quicdec_vectors.h"
#include "quicframe.h"
#include "quicseal.h"
#include "t.h"

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static int eq_hex(const uint8_t *p, size_t len, const char *hex)
{
	uint8_t want[2048];
	size_t n = unhex(hex, want, sizeof want);

	return n == len && memcmp(p, want, n) == 0;
}

/* The unprotected header: first byte, header bytes, packet number in pn_len bytes. */
static size_t unprotected_header(const uint8_t *p, const struct quicdec_hdr *h,
				 const struct quicdec_pkt *k, uint8_t *out)
{
	size_t n = 0;

	out[n++] = k->first;
	memcpy(out + n, p + 1, h->pn_offset - 1);
	n += h->pn_offset - 1;
	for (int i = k->pn_len - 1; i >= 0; i--)
		out[n++] = (uint8_t)(k->pn >> (8 * i));
	return n;
}

static uint8_t plain[65536];

/* ------------------------------------------------------------------ */
/* RFC 9001 A.1, RFC 9369 A.1: keys                                    */
/* ------------------------------------------------------------------ */

struct key_vec {
	uint32_t version;
	const char *client_secret, *client_key, *client_iv, *client_hp;
	const char *server_secret, *server_key, *server_iv, *server_hp;
};

static const struct key_vec key_vecs[] = {
	{ QUICDEC_V1, V1_CLIENT_SECRET, V1_CLIENT_KEY, V1_CLIENT_IV, V1_CLIENT_HP,
	  V1_SERVER_SECRET, V1_SERVER_KEY, V1_SERVER_IV, V1_SERVER_HP },
	{ QUICDEC_V2, V2_CLIENT_SECRET, V2_CLIENT_KEY, V2_CLIENT_IV, V2_CLIENT_HP,
	  V2_SERVER_SECRET, V2_SERVER_KEY, V2_SERVER_IV, V2_SERVER_HP },
};

static void test_keys(void)
{
	uint8_t dcid[8], cs[32], ss[32];

	CHECK_EQ_INT(unhex(V_DCID, dcid, sizeof dcid), 8);
	for (size_t i = 0; i < sizeof key_vecs / sizeof key_vecs[0]; i++) {
		const struct key_vec *v = &key_vecs[i];
		struct quicdec_keys kc, ks;

		memset(&kc, 0, sizeof kc);
		memset(&ks, 0, sizeof ks);
		CHECK_EQ_INT(quicdec_initial_secrets(v->version, dcid, 8, cs, ss), 0);
		CHECK(eq_hex(cs, 32, v->client_secret));
		CHECK(eq_hex(ss, 32, v->server_secret));
		CHECK_EQ_INT(quicdec_keys_set(&kc, v->version, QUICDEC_AES_128_GCM, cs, 32), 0);
		CHECK_EQ_INT(quicdec_keys_set(&ks, v->version, QUICDEC_AES_128_GCM, ss, 32), 0);
		CHECK(eq_hex(kc.key, kc.key_len, v->client_key));
		CHECK(eq_hex(kc.iv, 12, v->client_iv));
		CHECK(eq_hex(kc.hp, kc.key_len, v->client_hp));
		CHECK(eq_hex(ks.key, ks.key_len, v->server_key));
		CHECK(eq_hex(ks.iv, 12, v->server_iv));
		CHECK(eq_hex(ks.hp, ks.key_len, v->server_hp));
		quicdec_keys_free(&kc);
		quicdec_keys_free(&ks);
	}
	/* An unknown version has no salt: a warning, not keys. */
	CHECK_EQ_INT(quicdec_initial_secrets(0x12345678, dcid, 8, cs, ss), 1);
}

/* ------------------------------------------------------------------ */
/* RFC 9001 A.2/A.3, RFC 9369 A.2/A.3: the Initials                    */
/* ------------------------------------------------------------------ */

static void open_initial(uint32_t version, int server, const char *packet_hex,
			 const char *header_hex, uint64_t want_pn)
{
	static uint8_t pkt[1500];
	uint8_t dcid[8], sec[2][32], hdr[64];
	size_t len = unhex(packet_hex, pkt, sizeof pkt), hl;
	struct quicdec_keys k;
	struct quicdec_hdr h;
	struct quicdec_pkt r;

	memset(&k, 0, sizeof k);
	(void)unhex(V_DCID, dcid, sizeof dcid);
	CHECK_EQ_INT(quicdec_initial_secrets(version, dcid, 8, sec[0], sec[1]), 0);
	CHECK_EQ_INT(quicdec_keys_set(&k, version, QUICDEC_AES_128_GCM, sec[server], 32), 0);
	CHECK_EQ_INT(quicdec_header(pkt, len, 0, &h), QUICDEC_OK);
	CHECK_EQ_INT(h.type, QUIC_INITIAL);
	CHECK_EQ_INT(h.version, version);
	CHECK_EQ_INT(h.pkt_len, len);
	CHECK_EQ_INT(quicdec_open(&k, pkt, &h, false, 0, plain, sizeof plain, &r), QUICDEC_OK);
	CHECK_EQ_INT(r.pn, want_pn);
	hl = unprotected_header(pkt, &h, &r, hdr);
	CHECK(eq_hex(hdr, hl, header_hex));
	if (!server) {
		uint8_t crypto[512];
		size_t cl = unhex(V_CLIENT_CRYPTO, crypto, sizeof crypto), i;

		CHECK_EQ_INT(r.payload_len, 1162);
		CHECK(r.payload_len >= cl && memcmp(r.payload, crypto, cl) == 0);
		for (i = cl; i < r.payload_len && r.payload[i] == 0; i++)
			;
		CHECK_EQ_INT(i, r.payload_len); /* PADDING to the end */
	} else {
		CHECK(eq_hex(r.payload, r.payload_len, V_SERVER_PAYLOAD));
	}
	/* One flipped bit anywhere after the header fails the tag. */
	pkt[len - 1] ^= 1;
	CHECK_EQ_INT(quicdec_open(&k, pkt, &h, false, 0, plain, sizeof plain, &r),
		     QUICDEC_AUTH_FAIL);
	quicdec_keys_free(&k);
}

static void test_initials(void)
{
	open_initial(QUICDEC_V1, 0, V1_CLIENT_PACKET, V1_CLIENT_HEADER, 2);
	open_initial(QUICDEC_V1, 1, V1_SERVER_PACKET, V1_SERVER_HEADER, 1);
	open_initial(QUICDEC_V2, 0, V2_CLIENT_PACKET, V2_CLIENT_HEADER, 2);
	open_initial(QUICDEC_V2, 1, V2_SERVER_PACKET, V2_SERVER_HEADER, 1);
}

/* RFC 9001 A.4, RFC 9369 A.4: the Retry integrity tag. */
static void test_retry(void)
{
	uint8_t pkt[64], dcid[8];
	size_t len;
	struct quicdec_hdr h;

	(void)unhex(V_DCID, dcid, sizeof dcid);
	len = unhex(V1_RETRY, pkt, sizeof pkt);
	CHECK_EQ_INT(quicdec_header(pkt, len, 0, &h), QUICDEC_OK);
	CHECK_EQ_INT(h.type, QUIC_RETRY);
	CHECK_EQ_INT(h.token_len, 5); /* "token" */
	CHECK_EQ_INT(quicdec_retry_check(pkt, len, dcid, 8), 1);
	dcid[0] ^= 1;
	CHECK_EQ_INT(quicdec_retry_check(pkt, len, dcid, 8), 0);
	dcid[0] ^= 1;
	len = unhex(V2_RETRY, pkt, sizeof pkt);
	CHECK_EQ_INT(quicdec_header(pkt, len, 0, &h), QUICDEC_OK);
	CHECK_EQ_INT(h.type, QUIC_RETRY);
	CHECK_EQ_INT(quicdec_retry_check(pkt, len, dcid, 8), 1);
	pkt[len - 1] ^= 0x80;
	CHECK_EQ_INT(quicdec_retry_check(pkt, len, dcid, 8), 0);
}

/* RFC 9001 A.5, RFC 9369 A.5: ChaCha20-Poly1305, a short header, the key update secret. */
static void chacha(uint32_t version, const char *key, const char *iv, const char *hp,
		   const char *ku, const char *packet)
{
	uint8_t secret[32], pkt[64], ku_bytes[32];
	size_t len = unhex(packet, pkt, sizeof pkt);
	struct quicdec_keys k, next;
	struct quicdec_hdr h;
	struct quicdec_pkt r;

	memset(&k, 0, sizeof k);
	memset(&next, 0, sizeof next);
	(void)unhex(V_CHACHA_SECRET, secret, sizeof secret);
	CHECK_EQ_INT(quicdec_keys_set(&k, version, QUICDEC_CHACHA20_POLY1305, secret, 32), 0);
	CHECK(eq_hex(k.key, 32, key));
	CHECK(eq_hex(k.iv, 12, iv));
	CHECK(eq_hex(k.hp, 32, hp));
	CHECK_EQ_INT(quicdec_keys_next(&next, &k), 0);
	(void)unhex(ku, ku_bytes, sizeof ku_bytes);
	CHECK(memcmp(next.secret, ku_bytes, 32) == 0);
	CHECK(memcmp(next.hp, k.hp, 32) == 0); /* RFC 9001 6: hp is not updated */
	CHECK_EQ_INT(len, 21);
	CHECK_EQ_INT(quicdec_header(pkt, len, 0, &h), QUICDEC_OK);
	CHECK_EQ_INT(h.type, QUIC_SHORT);
	CHECK_EQ_INT(h.pn_offset, 1);
	/* The receiver's largest so far is just below: 49140 decodes to 654360564. */
	CHECK_EQ_INT(quicdec_open(&k, pkt, &h, true, V_CHACHA_PN - 1, plain, sizeof plain, &r),
		     QUICDEC_OK);
	CHECK_EQ_INT(r.pn, V_CHACHA_PN);
	CHECK_EQ_INT(r.pn_len, 3);
	CHECK_EQ_INT(r.first, 0x42);
	CHECK_EQ_INT(r.payload_len, 1);
	CHECK_EQ_INT(r.payload[0], 0x01); /* PING */
	/* The next generation's keys do not open it. */
	CHECK_EQ_INT(quicdec_open(&next, pkt, &h, true, V_CHACHA_PN - 1, plain, sizeof plain, &r),
		     QUICDEC_AUTH_FAIL);
	/* Every strict prefix is too short to decrypt. */
	for (size_t i = 0; i < len; i++) {
		struct quicdec_hdr hh;
		enum quicdec_status st = quicdec_header(pkt, i, 0, &hh);

		CHECK(st == QUICDEC_TRUNCATED);
	}
	quicdec_keys_free(&k);
	quicdec_keys_free(&next);
}

static void test_chacha(void)
{
	chacha(QUICDEC_V1, V1_CHACHA_KEY, V1_CHACHA_IV, V1_CHACHA_HP, V1_CHACHA_KU,
	       V1_CHACHA_PACKET);
	chacha(QUICDEC_V2, V2_CHACHA_KEY, V2_CHACHA_IV, V2_CHACHA_HP, V2_CHACHA_KU,
	       V2_CHACHA_PACKET);
}

/* RFC 9000 A.3's example, and the edges of the window. */
static void test_pn(void)
{
	CHECK_EQ_INT(quicdec_pn_decode(true, 0xa82f30ea, 0x9b32, 2), 0xa82f9b32);
	CHECK_EQ_INT(quicdec_pn_decode(false, 0, 0, 1), 0);
	CHECK_EQ_INT(quicdec_pn_decode(false, 0, 5, 1), 5);
	CHECK_EQ_INT(quicdec_pn_decode(true, 255, 0, 1), 256);
	CHECK_EQ_INT(quicdec_pn_decode(true, 300, 0x2a, 1), 298);
	CHECK_EQ_INT(quicdec_pn_decode(true, 1000, 0x1f0, 2), 0x1f0);
}

/* ------------------------------------------------------------------ */
/* Connections: the RFC's two Initials through quicdec_packet          */
/* ------------------------------------------------------------------ */

static void test_conn_rfc(uint32_t version, const char *client_hex, const char *server_hex)
{
	static uint8_t pkt[1500];
	static struct quicdec_result res;
	struct quicdec_conn *c = quicdec_new(0);
	size_t len;
	uint8_t rnd[32];

	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(!quicdec_client_random(c, rnd));
	len = unhex(client_hex, pkt, sizeof pkt);
	CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK_EQ_INT(quicdec_version(c), version);
	CHECK_EQ_INT(res.hdr.pkt_len, len);
	CHECK_EQ_INT(res.pkt.pn, 2);
	CHECK_EQ_INT(res.frames.status, FT_OK);
	CHECK_EQ_INT(res.frames.n, 2); /* CRYPTO, PADDING */
	CHECK_EQ_INT(res.frames.f[0].type, QF_CRYPTO);
	CHECK_EQ_INT(res.frames.f[0].length, 241);
	CHECK_EQ_INT(res.frames.f[1].type, QF_PADDING);
	CHECK_EQ_INT(res.n_hs, 1);
	CHECK_EQ_INT(res.hs[0].type, TLS_HS_CLIENT_HELLO);
	CHECK(res.has_ch);
	CHECK(res.ch.has_sni && res.ch.sni_len == 11 && memcmp(res.ch.sni, "example.com", 11) == 0);
	CHECK(res.ch.n_alpn == 1 && res.ch.alpn_len[0] == 4 && memcmp(res.ch.alpn[0], "alpn", 4) == 0);
	CHECK(res.ch.n_versions == 1 && res.ch.versions[0] == 0x0304);
	CHECK(quicdec_client_random(c, rnd) && rnd[0] == 0xeb && rnd[31] == 0x4c);
	/* quic_transport_parameters: 04 08 ff..ff, 05 04 8000ffff, 07 .., 08 01 10,
	 * 01 04 80007530, 09 01 10, 0f 08 <dcid>, 06 04 8000ffff */
	CHECK(res.has_tp);
	CHECK_EQ_INT(res.tp.status, FT_OK);
	CHECK_EQ_INT(res.tp.n, 8);
	CHECK_EQ_INT(res.tp.p[0].id, 0x04);
	CHECK_EQ_STR(quicdec_tp_name(res.tp.p[0].id), "initial_max_data");
	CHECK(res.tp.p[0].is_int && res.tp.p[0].value == (UINT64_C(1) << 62) - 1);
	CHECK_EQ_INT(res.tp.p[4].id, 0x01);
	CHECK_EQ_INT(res.tp.p[4].value, 30000);   /* max_idle_timeout 30 s */
	CHECK_EQ_INT(res.tp.p[3].value, 16);      /* initial_max_streams_bidi */
	CHECK_EQ_INT(res.tp.p[6].id, 0x0f);
	CHECK(!res.tp.p[6].is_int && res.tp.p[6].n_bytes == 8 &&
	      eq_hex(res.tp.p[6].bytes, 8, V_DCID));

	len = unhex(server_hex, pkt, sizeof pkt);
	CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK_EQ_INT(res.pkt.pn, 1);
	CHECK_EQ_INT(res.frames.n, 2); /* ACK, CRYPTO */
	CHECK_EQ_INT(res.frames.f[0].type, QF_ACK);
	CHECK_EQ_INT(res.frames.f[0].largest, 0);
	CHECK(res.has_sh);
	CHECK_EQ_INT(res.sh.cipher, 0x1301);
	CHECK_EQ_INT(res.sh.version, 0x0304);
	CHECK_EQ_INT(quicdec_suite(c), 0x1301);
	/* The same packet again: same packet number, the CRYPTO bytes were handed up already. */
	CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK_EQ_INT(res.n_hs, 0);
	/* No Handshake keys yet: a Handshake packet needs them. */
	quicdec_free(c);
}

/* ------------------------------------------------------------------ */
/* Connections: sealed packets through every space                     */
/* ------------------------------------------------------------------ */

static const uint8_t cdcid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t cscid[4] = { 0xc1, 0xc2, 0xc3, 0xc4 };
static const uint8_t sscid[5] = { 0x51, 0x52, 0x53, 0x54, 0x55 };

struct sender {
	struct quicdec_keys k[QUICDEC_N_SPACES][2];
};

static void sender_initial(struct sender *s, uint32_t version)
{
	uint8_t sec[2][32];

	CHECK_EQ_INT(quicdec_initial_secrets(version, cdcid, 8, sec[0], sec[1]), 0);
	for (int d = 0; d < 2; d++)
		CHECK_EQ_INT(quicdec_keys_set(&s->k[0][d], version, QUICDEC_AES_128_GCM, sec[d], 32),
			     0);
}

static void sender_free(struct sender *s)
{
	for (int sp = 0; sp < QUICDEC_N_SPACES; sp++)
		for (int d = 0; d < 2; d++)
			quicdec_keys_free(&s->k[sp][d]);
}

/* A packet of space sp from dir carrying payload (padded to 4 bytes with PADDING). */
static size_t sealed(struct sender *s, uint32_t version, int sp, int dir, uint64_t pn,
		     const struct quicdec_keys *kk, bool phase, const uint8_t *payload, size_t plen,
		     uint8_t *out)
{
	uint8_t pl[1400];
	const struct quicdec_keys *k = kk ? kk : &s->k[sp][dir];

	memcpy(pl, payload, plen);
	while (plen < 4)
		pl[plen++] = 0;
	if (sp == QUICDEC_SP_APP)
		return dir ? qs_short(k, cscid, 4, phase, pn, pl, plen, out)
			   : qs_short(k, sscid, 5, phase, pn, pl, plen, out);
	return dir ? qs_long(k, version, sp == 0 ? 0 : 2, cscid, 4, sscid, 5, pn, pl, plen, out)
		   : qs_long(k, version, sp == 0 ? 0 : 2, cdcid, 8, cscid, 4, pn, pl, plen, out);
}

/* One CRYPTO frame of data[0..len) at off. */
static size_t crypto_frame(uint8_t *out, uint64_t off, const uint8_t *data, size_t len)
{
	size_t n = 0;

	out[n++] = QF_CRYPTO;
	out[n++] = (uint8_t)(0x80);
	out[n++] = (uint8_t)(off >> 16);
	out[n++] = (uint8_t)(off >> 8);
	out[n++] = (uint8_t)off;
	out[n++] = (uint8_t)(0x40 | len >> 8);
	out[n++] = (uint8_t)len;
	memcpy(out + n, data, len);
	return n + len;
}

static void test_conn_sealed(uint32_t version)
{
	static uint8_t pkt[1500], pl[1400];
	static struct quicdec_result res;
	struct sender s;
	struct quicdec_conn *c = quicdec_new(0);
	uint8_t ch[512], sv[256], hs_secret[2][32], app_secret[2][32];
	size_t chl, svl, n, len;
	uint64_t pn = 0;
	int decoded_at = -1;

	memset(&s, 0, sizeof s);
	CHECK(c != NULL);
	if (!c)
		return;
	sender_initial(&s, version);
	/* The RFC's ClientHello (the CRYPTO frame's data, after 06 00 40 f1). */
	chl = unhex(V_CLIENT_CRYPTO, ch, sizeof ch) - 4;
	memmove(ch, ch + 4, chl);
	CHECK_EQ_INT(chl, 241);
	/* Byte by byte, last byte first, 60 one-byte CRYPTO frames a packet:
	 * the hello is whole only with the packet that brings offset 0. */
	for (size_t end = chl, k = 0; end > 0; k++) {
		n = 0;
		for (int j = 0; j < 60 && end > 0; j++, end--)
			n += crypto_frame(pl + n, end - 1, ch + end - 1, 1);
		len = sealed(&s, version, 0, 0, pn++, NULL, false, pl, n, pkt);
		CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
		CHECK(!res.crypto_dropped);
		if (res.has_ch)
			decoded_at = (int)k;
	}
	CHECK_EQ_INT(decoded_at, 4);   /* 241 bytes: packets 0..4 */
	CHECK(res.has_ch && res.ch.has_sni && memcmp(res.ch.sni, "example.com", 11) == 0);
	CHECK(res.has_tp && res.tp.n == 8);

	/* The server: Initial with the RFC's ACK + ServerHello. */
	svl = unhex(V_SERVER_PAYLOAD, sv, sizeof sv);
	len = sealed(&s, version, 0, 1, 0, NULL, false, sv, svl, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK(res.has_sh && quicdec_suite(c) == 0x1301);

	/* Handshake: no keys, then the key log's secrets. */
	for (int d = 0; d < 2; d++)
		for (int i = 0; i < 32; i++) {
			hs_secret[d][i] = (uint8_t)(0x10 * d + i);
			app_secret[d][i] = (uint8_t)(0x80 + 0x10 * d + i);
		}
	for (int d = 0; d < 2; d++) {
		CHECK_EQ_INT(quicdec_keys_set(&s.k[1][d], version, QUICDEC_AES_128_GCM, hs_secret[d], 32), 0);
		CHECK_EQ_INT(quicdec_keys_set(&s.k[2][d], version, QUICDEC_AES_128_GCM, app_secret[d], 32), 0);
	}
	{
		/* EncryptedExtensions: ALPN h3, quic_transport_parameters
		 * (initial_max_data 1048576, max_idle_timeout 30000) */
		uint8_t ee[64];
		size_t eel = unhex("08 00 00 1b 00 19 0010 0005 0003 02 6833 0039 000c 04 04 80100000"
				   " 01 04 80007530", ee, sizeof ee);

		n = crypto_frame(pl, 0, ee, eel);
		len = sealed(&s, version, 1, 1, 0, NULL, false, pl, n, pkt);
		CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res),
			     QUICDEC_NEED_KEY);
		CHECK_EQ_INT(quicdec_set_secret(c, QUICDEC_SP_HANDSHAKE, 1, hs_secret[1], 32), 0);
		CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
		CHECK_EQ_INT(res.space, QUICDEC_SP_HANDSHAKE);
		CHECK(res.has_ee && res.ee_has_alpn && res.ee_alpn_len == 2 &&
		      memcmp(res.ee_alpn, "h3", 2) == 0);
		CHECK(res.has_tp && res.tp_dir == 1 && res.tp.n == 2 && res.tp.p[0].value == 1048576 &&
		      res.tp.p[1].value == 30000);
	}
	/* 1-RTT, server to client: key phase 0, then 1 (next keys), then 0 again (the one after). */
	{
		struct quicdec_keys g1, g2;
		uint8_t ping[1] = { QF_PING };

		memset(&g1, 0, sizeof g1);
		memset(&g2, 0, sizeof g2);
		CHECK_EQ_INT(quicdec_keys_next(&g1, &s.k[2][1]), 0);
		CHECK_EQ_INT(quicdec_keys_next(&g2, &g1), 0);
		len = sealed(&s, version, 2, 1, 0, NULL, false, ping, 1, pkt);
		CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res),
			     QUICDEC_NEED_KEY);
		CHECK_EQ_INT(quicdec_set_secret(c, QUICDEC_SP_APP, 1, app_secret[1], 32), 0);
		for (uint64_t p = 0; p < 3; p++) {
			len = sealed(&s, version, 2, 1, p, NULL, false, ping, 1, pkt);
			CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res),
				     QUICDEC_OK);
			CHECK(!res.key_updated && res.pkt.pn == p && res.frames.f[0].type == QF_PING);
		}
		len = sealed(&s, version, 2, 1, 3, &g1, true, ping, 1, pkt);
		CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
		CHECK(res.key_updated && res.pkt.key_phase && res.pkt.pn == 3);
		len = sealed(&s, version, 2, 1, 4, &g1, true, ping, 1, pkt);
		CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
		CHECK(!res.key_updated);
		/* A late packet of phase 0 under the old keys: the next keys do not open it. */
		len = sealed(&s, version, 2, 1, 2, NULL, false, ping, 1, pkt);
		CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res),
			     QUICDEC_AUTH_FAIL);
		len = sealed(&s, version, 2, 1, 5, &g2, false, ping, 1, pkt);
		CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
		CHECK(res.key_updated && !res.pkt.key_phase && res.pkt.pn == 5);
		/* Garbage with a short header: fails, changes nothing. */
		pkt[len - 1] ^= 0xff;
		CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res),
			     QUICDEC_AUTH_FAIL);
		len = sealed(&s, version, 2, 1, 6, &g2, false, ping, 1, pkt);
		CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
		quicdec_keys_free(&g1);
		quicdec_keys_free(&g2);
	}
	/* 1-RTT client to server: the DCID is the server's 5-byte SCID. */
	{
		uint8_t f[8];
		size_t fl = unhex("1c 00 00 00", f, sizeof f);   /* CONNECTION_CLOSE NO_ERROR */

		CHECK_EQ_INT(quicdec_set_secret(c, QUICDEC_SP_APP, 0, app_secret[0], 32), 0);
		len = sealed(&s, version, 2, 0, 7, NULL, false, f, fl, pkt);
		CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
		CHECK_EQ_INT(res.hdr.dcid_len, 5);
		CHECK(res.frames.n >= 1 && res.frames.f[0].type == QF_CONNECTION_CLOSE &&
		      res.frames.f[0].error_code == 0);
	}
	sender_free(&s);
	quicdec_free(c);
}

/* Stray Initials do not take the connection's keys; a server switching to v2 (RFC 9369 4.1). */
static void test_rekey(void)
{
	static uint8_t pkt[1500], stray[1500];
	static struct quicdec_result res;
	struct sender s1, s2;
	struct quicdec_conn *c = quicdec_new(0);
	uint8_t ping[4] = { QF_PING, 0, 0, 0 }, other[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	size_t len, sl;

	memset(&s1, 0, sizeof s1);
	memset(&s2, 0, sizeof s2);
	CHECK(c != NULL);
	if (!c)
		return;
	sender_initial(&s1, QUICDEC_V1);
	sender_initial(&s2, QUICDEC_V2);
	/* A datagram shaped like a client Initial, under keys of another DCID. */
	/* Its DCID says 09..09, its protection was made with keys from 01..08. */
	sl = qs_long(&s1.k[0][0], QUICDEC_V1, 0, other, 8, cscid, 4, 0, ping, 4, stray);
	CHECK_EQ_INT(quicdec_packet(c, 0, stray, sl, plain, sizeof plain, &res), QUICDEC_AUTH_FAIL);
	CHECK_EQ_INT(quicdec_version(c), 0);
	len = sealed(&s1, QUICDEC_V1, 0, 0, 0, NULL, false, ping, 4, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK_EQ_INT(quicdec_version(c), QUICDEC_V1);
	/* The server answers in v2 (compatible negotiation): keys from the same DCID, v2 salt. */
	len = sealed(&s2, QUICDEC_V2, 0, 1, 0, NULL, false, ping, 4, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK_EQ_INT(quicdec_version(c), QUICDEC_V2);
	/* A v1 server Initial that does not authenticate: the v2 keys stay. */
	len = sealed(&s1, QUICDEC_V1, 0, 1, 1, NULL, false, ping, 4, pkt);
	pkt[len - 1] ^= 1;
	CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_AUTH_FAIL);
	CHECK_EQ_INT(quicdec_version(c), QUICDEC_V2);
	len = sealed(&s2, QUICDEC_V2, 0, 1, 2, NULL, false, ping, 4, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK_EQ_INT(res.pkt.pn, 2);
	/* The client follows to v2. */
	len = sealed(&s2, QUICDEC_V2, 0, 0, 1, NULL, false, ping, 4, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	/* Many stray packets: bounded work, then refused. */
	for (int i = 0; i < 40; i++) {
		stray[6] = (uint8_t)i;
		CHECK(quicdec_packet(c, 1, stray, sl, plain, sizeof plain, &res) != QUICDEC_OK);
	}
	/* ... and the server's real packets still open. */
	len = sealed(&s2, QUICDEC_V2, 0, 1, 3, NULL, false, ping, 4, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	sender_free(&s1);
	sender_free(&s2);
	quicdec_free(c);
}

/* A Retry through a connection (RFC 9001 A.2 then A.4): the client's next Initial, to the
 * Retry's SCID, is protected with keys from that SCID.  And a Version Negotiation. */
static void test_retry_vn(void)
{
	static uint8_t pkt[1500];
	static struct quicdec_result res;
	struct quicdec_conn *c = quicdec_new(0);
	struct quicdec_keys k;
	uint8_t rscid[8], sec[2][32], ping[4] = { QF_PING, 0, 0, 0 };
	size_t len;

	memset(&k, 0, sizeof k);
	CHECK(c != NULL);
	if (!c)
		return;
	len = unhex(V1_CLIENT_PACKET, pkt, sizeof pkt);
	CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	len = unhex(V1_RETRY, pkt, sizeof pkt);
	CHECK_EQ_INT(quicdec_packet(c, 1, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK_EQ_INT(res.hdr.type, QUIC_RETRY);
	CHECK_EQ_INT(res.retry_tag, 1);
	CHECK(res.why != NULL);
	CHECK_EQ_INT(res.hdr.pkt_len, len);
	memcpy(rscid, res.hdr.scid, 8);
	CHECK_EQ_INT(res.hdr.scid_len, 8);
	CHECK_EQ_INT(quicdec_initial_secrets(QUICDEC_V1, rscid, 8, sec[0], sec[1]), 0);
	CHECK_EQ_INT(quicdec_keys_set(&k, QUICDEC_V1, QUICDEC_AES_128_GCM, sec[0], 32), 0);
	/* A stray Initial to yet another DCID first: refused, the Retry's state kept. */
	len = qs_long(&k, QUICDEC_V1, 0, cdcid, 8, cscid, 4, 2, ping, 4, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_AUTH_FAIL);
	len = qs_long(&k, QUICDEC_V1, 0, rscid, 8, cscid, 4, 3, ping, 4, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK_EQ_INT(res.pkt.pn, 3);
	quicdec_keys_free(&k);
	quicdec_free(c);

	/* Version Negotiation: version 0, the versions listed, the fixed bit free. */
	len = unhex("80 00000000 04 01020304 00 00000001 6b3343cf 1a2a3a4a", pkt, sizeof pkt);
	{
		struct quicdec_hdr h;

		CHECK_EQ_INT(quicdec_header(pkt, len, 0, &h), QUICDEC_OK);
		CHECK_EQ_INT(h.type, QUIC_VERSION_NEG);
		CHECK_EQ_INT(h.n_versions, 3);
		CHECK_EQ_INT(h.versions[1], QUICDEC_V2);
		CHECK_EQ_INT(quicdec_header(pkt, len - 1, 0, &h), QUICDEC_TRUNCATED);
	}
}

/* Bounded CRYPTO buffers: too many holes, data past the window, a message larger than it. */
static void test_crypto_bounds(void)
{
	static uint8_t pkt[1500], pl[1400];
	static struct quicdec_result res;
	struct sender s;
	struct quicdec_conn *c = quicdec_new(256);
	uint8_t data[300], fin[8];
	size_t n, len;
	uint64_t pn = 0, done, contig, hi;

	memset(&s, 0, sizeof s);
	CHECK(c != NULL);
	if (!c)
		return;
	sender_initial(&s, QUICDEC_V1);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)i;
	/* Every other byte of 0..99 opens 50 holes: past 32 ranges, frames are dropped. */
	n = 0;
	for (size_t off = 1; off < 100; off += 2)
		n += crypto_frame(pl + n, off, data + off, 1);
	len = sealed(&s, QUICDEC_V1, 0, 0, pn++, NULL, false, pl, n, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK(res.crypto_dropped);
	/* Past the 256-byte window: dropped too. */
	n = crypto_frame(pl, 250, data, 20);
	len = sealed(&s, QUICDEC_V1, 0, 0, pn++, NULL, false, pl, n, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK(res.crypto_dropped);
	/* A 4096-byte Certificate header: named, skipped; the Finished after it decodes. */
	data[0] = TLS_HS_CERTIFICATE;
	data[1] = 0x00;
	data[2] = 0x10;
	data[3] = 0x00;
	n = crypto_frame(pl, 0, data, 100);
	len = sealed(&s, QUICDEC_V1, 0, 0, pn++, NULL, false, pl, n, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK_EQ_INT(res.n_hs, 1);
	CHECK_EQ_INT(res.hs[0].type, TLS_HS_CERTIFICATE);
	CHECK_EQ_INT(res.hs[0].len, 4096);
	CHECK_EQ_INT(res.hs[0].status, FT_UNSUPPORTED);
	CHECK(res.hs[0].msg == NULL);
	(void)unhex("14 00 00 04 a1 a2 a3 a4", fin, sizeof fin);
	n = crypto_frame(pl, 4100, fin, 8);
	len = sealed(&s, QUICDEC_V1, 0, 0, pn++, NULL, false, pl, n, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK_EQ_INT(res.n_hs, 1);
	CHECK_EQ_INT(res.hs[0].type, TLS_HS_FINISHED);
	CHECK_EQ_INT(res.hs[0].offset, 4100);
	CHECK(res.hs[0].msg != NULL && res.hs[0].msg[4] == 0xa1);
	quicdec_crypto_state(c, QUICDEC_SP_INITIAL, 0, &done, &contig, &hi);
	CHECK_EQ_INT(done, 4108);
	CHECK_EQ_INT(contig, 4108);
	/* A ClientHello that does not decode is a marked error, not a crash. */
	(void)unhex("01 00 00 04 03 03 00 00", fin, sizeof fin);
	n = crypto_frame(pl, 4108, fin, 8);
	len = sealed(&s, QUICDEC_V1, 0, 0, pn++, NULL, false, pl, n, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK(res.n_hs == 1 && res.hs[0].status == FT_MALFORMED && res.hs[0].why && !res.has_ch);
	/* Frames not allowed in an Initial are noted. */
	(void)unhex("1e 01 01 01", fin, sizeof fin);
	len = sealed(&s, QUICDEC_V1, 0, 0, pn++, NULL, false, fin, 4, pkt);
	CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
	CHECK(res.why != NULL);
	sender_free(&s);
	quicdec_free(c);
}

/* The other suites through a connection: AES-256-GCM (SHA-384 secrets) and ChaCha20. */
static void test_suites(void)
{
	static const uint16_t suites[] = { 0x1302, 0x1303 };
	static uint8_t pkt[1500];
	static struct quicdec_result res;

	for (size_t i = 0; i < 2; i++) {
		struct sender s;
		struct quicdec_conn *c = quicdec_new(0);
		enum quicdec_aead a = quicdec_aead_of_suite(suites[i]);
		size_t sl = a == QUICDEC_AES_256_GCM ? 48 : 32, len;
		uint8_t sec[48], ping[1] = { QF_PING }, ch[512], chf[600];
		size_t chl, n;

		memset(&s, 0, sizeof s);
		CHECK(c != NULL);
		if (!c)
			return;
		for (size_t j = 0; j < sl; j++)
			sec[j] = (uint8_t)(j * 7 + i);
		sender_initial(&s, QUICDEC_V1);
		chl = unhex(V_CLIENT_CRYPTO, ch, sizeof ch) - 4;
		n = crypto_frame(chf, 0, ch + 4, chl);
		len = sealed(&s, QUICDEC_V1, 0, 0, 0, NULL, false, chf, n, pkt);
		CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
		CHECK_EQ_INT(quicdec_set_secret(c, QUICDEC_SP_HANDSHAKE, 0, sec, sl), 1); /* no suite yet */
		quicdec_set_suite(c, suites[i]);
		CHECK_EQ_INT(quicdec_set_secret(c, QUICDEC_SP_HANDSHAKE, 0, sec, sl), 0);
		CHECK_EQ_INT(quicdec_set_secret(c, QUICDEC_SP_HANDSHAKE, 0, sec, 32 + 48 - sl), -1);
		CHECK_EQ_INT(quicdec_set_secret(c, QUICDEC_SP_HANDSHAKE, 0, sec, sl), 0);
		CHECK_EQ_INT(quicdec_keys_set(&s.k[1][0], QUICDEC_V1, a, sec, sl), 0);
		len = sealed(&s, QUICDEC_V1, 1, 0, 0, NULL, false, ping, 1, pkt);
		CHECK_EQ_INT(quicdec_packet(c, 0, pkt, len, plain, sizeof plain, &res), QUICDEC_OK);
		CHECK(res.space == QUICDEC_SP_HANDSHAKE && res.frames.f[0].type == QF_PING);
		sender_free(&s);
		quicdec_free(c);
	}
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */
/* ------------------------------------------------------------------ */

struct frame_vec {
	const char *hex;
	uint64_t type;
	enum ft_status st;
};

static const struct frame_vec frame_vecs[] = {
	{ "01", QF_PING, FT_OK },
	{ "1e", QF_HANDSHAKE_DONE, FT_OK },
	{ "02 0a 00 01 03 00 00", QF_ACK, FT_OK },          /* 10, 9..6? ranges: first 3 -> 7..10, gap 0 -> 5, len 0 */
	{ "03 40 64 05 00 02 01 02 03", QF_ACK_ECN, FT_OK }, /* largest 100, first 2, ECN 1 2 3 */
	{ "04 04 41 00 80 00 10 00", QF_RESET_STREAM, FT_OK },
	{ "05 08 0c", QF_STOP_SENDING, FT_OK },
	{ "06 00 03 aa bb cc", QF_CRYPTO, FT_OK },
	{ "07 02 de ad", QF_NEW_TOKEN, FT_OK },
	{ "08 00 68 69", QF_STREAM, FT_OK },                 /* no OFF, no LEN: to the end */
	{ "09 04 ff", QF_STREAM + 1, FT_OK },
	{ "0a 00 02 68 69", QF_STREAM + 2, FT_OK },
	{ "0b 00 00", QF_STREAM + 3, FT_OK },
	{ "0c 00 40 10 61", QF_STREAM + 4, FT_OK },
	{ "0d 00 05", QF_STREAM + 5, FT_OK },
	{ "0e 00 05 01 61", QF_STREAM + 6, FT_OK },
	{ "0f 04 0a 02 61 62", QF_STREAM + 7, FT_OK },
	{ "10 44 00", QF_MAX_DATA, FT_OK },
	{ "11 00 50 00", QF_MAX_STREAM_DATA, FT_OK },
	{ "12 40 64", QF_MAX_STREAMS_BIDI, FT_OK },
	{ "13 03", QF_MAX_STREAMS_UNI, FT_OK },
	{ "14 10", QF_DATA_BLOCKED, FT_OK },
	{ "15 00 10", QF_STREAM_DATA_BLOCKED, FT_OK },
	{ "16 03", QF_STREAMS_BLOCKED_BIDI, FT_OK },
	{ "17 03", QF_STREAMS_BLOCKED_UNI, FT_OK },
	{ "18 01 00 04 a1 a2 a3 a4 00112233445566778899aabbccddeeff", QF_NEW_CONNECTION_ID, FT_OK },
	{ "19 01", QF_RETIRE_CONNECTION_ID, FT_OK },
	{ "1a 0102030405060708", QF_PATH_CHALLENGE, FT_OK },
	{ "1b 0102030405060708", QF_PATH_RESPONSE, FT_OK },
	{ "1c 41 28 06 03 62 61 64", QF_CONNECTION_CLOSE, FT_OK },  /* CRYPTO_ERROR 0x128 */
	{ "1d 41 00 00", QF_CONNECTION_CLOSE_APP, FT_OK },
	{ "30 61 62 63", QF_DATAGRAM, FT_OK },
	{ "31 02 61 62", QF_DATAGRAM_LEN, FT_OK },
	/* malformed */
	{ "02 05 00 00 06", QF_ACK, FT_MALFORMED },           /* first range above largest */
	{ "02 05 00 01 03 01 00", QF_ACK, FT_MALFORMED },     /* gap below packet 0 */
	{ "18 01 00 15", QF_NEW_CONNECTION_ID, FT_MALFORMED },/* CID of 21 */
	{ "18 01 02 04 a1 a2 a3 a4 00112233445566778899aabbccddeeff", QF_NEW_CONNECTION_ID,
	  FT_MALFORMED },                                       /* retire prior to > seq */
	{ "07 00", QF_NEW_TOKEN, FT_MALFORMED },
	{ "12 d0 00 00 00 00 00 00 01", QF_MAX_STREAMS_BIDI, FT_MALFORMED },
	{ "0e 00 ff ff ff ff ff ff ff ff 01 61", QF_STREAM + 6, FT_MALFORMED }, /* offset + len > 2^62-1 */
	{ "21", 0x21, FT_UNSUPPORTED },
};

static void test_frames(void)
{
	for (size_t i = 0; i < sizeof frame_vecs / sizeof frame_vecs[0]; i++) {
		const struct frame_vec *v = &frame_vecs[i];
		uint8_t b[64];
		size_t len = unhex(v->hex, b, sizeof b), used;
		struct quicframe f;
		enum ft_status st = quicframe_next(b, len, &f, &used);

		if (st != v->st)
			fprintf(stderr, "frame vector %zu: %s\n", i, v->hex);
		CHECK_EQ_INT(st, v->st);
		if (v->st == FT_OK) {
			CHECK_EQ_INT(f.type, v->type);
			CHECK_EQ_INT(used, len);
			CHECK(quicframe_name(f.type) != NULL);
			/* Every strict prefix is a cut frame (STREAM/DATAGRAM without a
			 * length run to the end, so their prefixes are whole frames:
			 * only the ones that carry lengths are checked). */
			for (size_t j = 0; j < len; j++) {
				enum ft_status sp = quicframe_next(b, j, &f, &used);
				bool to_end = v->type == QF_DATAGRAM ||
					      (v->type >= 0x08 && v->type <= 0x0f && !(v->type & 2));

				if (to_end && j >= 2)
					continue;
				if (sp != FT_TRUNCATED && !to_end)
					fprintf(stderr, "frame vector %zu prefix %zu: %d\n", i, j, sp);
				if (!to_end)
					CHECK_EQ_INT(sp, FT_TRUNCATED);
			}
		}
	}
	/* Field values. */
	{
		uint8_t b[64];
		size_t used, len = unhex("02 0a 00 01 03 00 00", b, sizeof b);
		struct quicframe f;

		CHECK_EQ_INT(quicframe_next(b, len, &f, &used), FT_OK);
		CHECK_EQ_INT(f.largest, 10);
		CHECK_EQ_INT(f.first_range, 3);
		CHECK_EQ_INT(f.n_ranges, 1);
		CHECK_EQ_INT(f.smallest, 5);   /* 7..10, gap 0 -> next range ends at 5, length 0 */
		len = unhex("1c 41 28 06 03 62 61 64", b, sizeof b);
		CHECK_EQ_INT(quicframe_next(b, len, &f, &used), FT_OK);
		CHECK_EQ_INT(f.error_code, 0x128);
		CHECK_EQ_STR(quic_transport_error_name(f.error_code), "CRYPTO_ERROR");
		CHECK_EQ_INT(f.error_code & 0xff, 40);  /* handshake_failure */
		CHECK_EQ_STR(tls_alert_name((uint8_t)(f.error_code & 0xff)), "handshake_failure");
		CHECK_EQ_INT(f.frame_type, QF_CRYPTO);
		CHECK(f.length == 3 && memcmp(f.data, "bad", 3) == 0);
		CHECK_EQ_STR(quic_transport_error_name(0x0a), "PROTOCOL_VIOLATION");
		CHECK(quic_transport_error_name(0x1234) == NULL);
		len = unhex("0f 04 0a 02 61 62", b, sizeof b);
		CHECK_EQ_INT(quicframe_next(b, len, &f, &used), FT_OK);
		CHECK(f.fin && f.stream_id == 4 && f.offset == 10 && f.length == 2);
		len = unhex("18 01 00 04 a1 a2 a3 a4 00112233445566778899aabbccddeeff", b, sizeof b);
		CHECK_EQ_INT(quicframe_next(b, len, &f, &used), FT_OK);
		CHECK(f.cid_len == 4 && f.cid[3] == 0xa4 && f.token[15] == 0xff);
		len = unhex("00 00 00 01 00", b, sizeof b);
		CHECK_EQ_INT(quicframe_next(b, len, &f, &used), FT_OK);
		CHECK_EQ_INT(f.length, 3);     /* one PADDING run */
		CHECK_EQ_INT(used, 3);
	}
	/* A payload of several frames, and one that stops. */
	{
		static struct quicframe_events ev;
		uint8_t b[64];
		size_t len = unhex("01 00 00 06 00 01 61 1e 21 01", b, sizeof b);

		CHECK_EQ_INT(quicframe_parse(b, len, &ev), FT_UNSUPPORTED);
		CHECK_EQ_INT(ev.n, 4);
		CHECK_EQ_INT(ev.err_off, 8);
		len = unhex("01 00 00 06 00 05 61", b, sizeof b);
		CHECK_EQ_INT(quicframe_parse(b, len, &ev), FT_TRUNCATED);
		CHECK_EQ_INT(ev.n, 2);
	}
}

/* Varints: every length, and every strict prefix of each. */
static void test_varints(void)
{
	static const struct {
		const char *hex;
		uint64_t v;
	} vv[] = {
		{ "c2197c5eff14e88c", UINT64_C(151288809941952652) },
		{ "9d7f3e7d", 494878333 },
		{ "7bbd", 15293 },
		{ "25", 37 },
		{ "4025", 37 },
	};

	for (size_t i = 0; i < sizeof vv / sizeof vv[0]; i++) {
		uint8_t b[8];
		size_t len = unhex(vv[i].hex, b, sizeof b), used;
		uint64_t v = 0;

		CHECK_EQ_INT(quic_varint(b, len, &v, &used), FT_OK);
		CHECK(v == vv[i].v);
		CHECK_EQ_INT(used, len);
		for (size_t j = 0; j < len; j++)
			CHECK_EQ_INT(quic_varint(b, j, &v, &used), FT_NEED_MORE);
	}
}

/* ------------------------------------------------------------------ */
/* Transport parameters                                                */
/* ------------------------------------------------------------------ */

static void test_tp(void)
{
	struct quicdec_tp tp;
	uint8_t b[64];
	size_t len = unhex("01 04 80007530 0c 00 0f 02 aabb", b, sizeof b);

	CHECK_EQ_INT(quicdec_tp_decode(b, len, &tp), FT_OK);
	CHECK_EQ_INT(tp.n, 3);
	CHECK_EQ_STR(quicdec_tp_name(tp.p[1].id), "disable_active_migration");
	for (size_t j = 1; j < len; j++)
		if (j != 6 && j != 8)   /* 6 and 8 end between parameters */
			CHECK(quicdec_tp_decode(b, j, &tp) != FT_OK);
	len = unhex("01 03 4000 00", b, sizeof b);   /* an integer of 2 bytes + 1 extra */
	CHECK_EQ_INT(quicdec_tp_decode(b, len, &tp), FT_MALFORMED);
}

/* ------------------------------------------------------------------ */
/* Captures                                                            */
/* ------------------------------------------------------------------ */

/*
 * captures/lab-quic.pcap: three Chromium connection attempts, each one
 * client Initial (packet number 1) answered by ICMP.  tshark agrees
 * (tshark -Y quic -T fields -e quic.packet_number -e quic.frame_type -e
 * quic.crypto.offset -e quic.crypto.length -e tls.handshake.extensions_server_name):
 * every Initial decrypts, pn 1, and the CRYPTO ranges leave the middle of
 * the ClientHello in the packet 0 the capture does not hold, so no SNI
 * (tshark's server_name field is empty too).
 */
static void test_lab_quic(void)
{
	static struct udp dg[64];
	static struct quicdec_result res;
	static const char *const want_types[3] = {
		"6,0,6,0,1,6,6,0,6,6,6,6,6,1,0,1",
		"1,6,0,6,1,1,6,1,1,1,1,1,0,6,6,0,6,6,6,6",
		"0,1,1,1,6,6,1,1,1,6,0,1,0,1,1,6",
	};
	/* contiguous CRYPTO bytes from 0, and the highest offset, per attempt */
	static const uint64_t want_contig[3] = { 58, 81, 64 };
	size_t flen, n, seen = 0;
	uint8_t *f = slurp("captures/lab-quic.pcap", &flen);

	CHECK(f != NULL);
	if (!f)
		return;
	n = pcap_udp(f, flen, dg, 64);
	for (size_t i = 0; i < n; i++) {
		struct quicdec_conn *c;
		char types[256];
		size_t tl = 0;
		uint64_t done, contig, hi;

		if (dg[i].dport != 443)
			continue;
		c = quicdec_new(0);
		CHECK(c != NULL);
		if (!c)
			break;
		CHECK_EQ_INT(quicdec_packet(c, 0, dg[i].data, dg[i].len, plain, sizeof plain, &res),
			     QUICDEC_OK);
		CHECK_EQ_INT(res.hdr.type, QUIC_INITIAL);
		CHECK_EQ_INT(res.pkt.pn, 1);
		CHECK_EQ_INT(res.frames.status, FT_OK);
		types[0] = 0;
		for (unsigned j = 0; j < res.frames.n && tl + 4 < sizeof types; j++)
			tl += (size_t)snprintf(types + tl, sizeof types - tl, "%s%u", j ? "," : "",
					       (unsigned)res.frames.f[j].type);
		if (seen < 3)
			CHECK_EQ_STR(types, want_types[seen]);
		CHECK(!res.has_ch);   /* the ClientHello is not whole */
		CHECK_EQ_INT(res.n_hs, 0);
		quicdec_crypto_state(c, QUICDEC_SP_INITIAL, 0, &done, &contig, &hi);
		CHECK_EQ_INT(done, 0);
		if (seen < 3)
			CHECK_EQ_INT(contig, want_contig[seen]);
		CHECK(hi > 1900);
		quicdec_free(c);
		seen++;
	}
	CHECK_EQ_INT(seen, 3);
	free(f);
}

/*
 * tshark 4.0.17's reading of lab-h3-chromium.pcap with its key log, per
 * frame: packet numbers of its QUIC packets, frame types in order
 * (tshark -o tls.keylog_file:captures/lab-h3-chromium.keys -Y quic
 *  -T fields -e frame.number -e quic.packet_number -e quic.frame_type).
 */
static const struct {
	unsigned frame;
	const char *pns, *types;
} h3_oracle[] = {
	{ 7, "1", "6,0,1,0,6,6,1,6,1,0" },
	{ 8, "2", "0,1,6,0,1,1,6,0,1,1,6,6,1,6,6,0,1,1,6,6,6,1" },
	{ 9, "0", "2" },
	{ 10, "4", "1,0,1,1,0,6,1,6,6,0,1,1,6,6,0,6,6,1,0,1,1,0,6,6" },
	{ 11, "1,0,0", "2,0,6,6,8" },
	{ 12, "5,6", "2,6,2,8" },
	{ 13, "1", "2" },
	{ 14, "1", "2" },
	{ 15, "2", "30,7,6" },
	{ 16, "7", "2,14,9" },
	{ 17, "3", "0,1" },
	{ 18, "4", "2" },
	{ 19, "5", "9" },
	{ 20, "8", "2" },
	{ 21, "6", "18" },
	{ 22, "9", "2" },
	{ 23, "7", "0,1" },
	{ 24, "10", "2" },
	{ 25, "8", "0,1" },
	{ 26, "11", "14,9" },
	{ 27, "9", "2,9" },
	{ 28, "12", "2" },
	{ 29, "13", "14,9" },
	{ 30, "10", "2,18" },
	{ 31, "11", "9" },
	{ 32, "14", "2" },
	{ 33, "12", "18" },
	{ 34, "15", "2" },
	{ 35, "16", "14,9" },
	{ 36, "13", "0,1" },
	{ 37, "14", "2,9" },
	{ 38, "17", "2" },
	{ 39, "15", "18" },
	{ 40, "18", "2" },
	{ 41, "19", "2,28" },
};

/*
 * captures/lab-h3-chromium.pcap with its key log (recorded by the lab's
 * Chromium against Caddy; tshark -o tls.keylog_file:... agrees): the
 * ClientHello spans the client's Initials 1 and 2 and gives SNI
 * h3.example.com with ALPN h3; with the key log's secrets every Handshake
 * and 1-RTT packet decrypts; the server's EncryptedExtensions names h3.
 * Every QUIC packet's packet number and frame types agree with tshark's.
 */
static void test_lab_h3(void)
{
	static const char *pcap = "captures/lab-h3-chromium.pcap";
	static const char *keys = "captures/lab-h3-chromium.keys";
	static struct udp dg[256];
	static struct quicdec_result res;
	struct quicdec_conn *c;
	size_t flen, n, n_ok = 0, n_short = 0, n_hs_pkts = 0;
	uint8_t *f = slurp(pcap, &flen);
	bool sni = false, ee = false, sh = false, installed[3][2] = { { false } };
	uint16_t client_port = 0;
	size_t n_compared = 0;

	if (!f) {
		printf("ok skipped test_lab_h3: %s not here\n", pcap);
		return;
	}
	n = pcap_udp(f, flen, dg, 256);
	c = quicdec_new(0);
	CHECK(c != NULL);
	for (size_t i = 0; c && i < n; i++) {
		int dir;
		size_t off = 0, pl = 0, tl = 0;
		char pns[64] = "", types[512] = "";

		if (dg[i].dport == 443)
			dir = 0;
		else if (dg[i].sport == 443)
			dir = 1;
		else
			continue;
		if (!client_port)
			client_port = dir ? dg[i].dport : dg[i].sport;
		/* Each turn moves by the packet's length (at least 1): the loop ends. */
		while (off < dg[i].len) {
			enum quicdec_status st = quicdec_packet(c, dir, dg[i].data + off,
								 dg[i].len - off, plain, sizeof plain,
								 &res);

			if (st == QUICDEC_NEED_KEY && res.space != QUICDEC_SP_INITIAL) {
				uint8_t rnd[32], sec[QUICDEC_SECRET_MAX];
				int sp = res.space;
				size_t sl;

				CHECK(quicdec_client_random(c, rnd));
				sl = lab_secret(c, keys, sp, dir, sec);
				CHECK(sl == 32 || sl == 48);
				if (!installed[sp][dir] && sl) {
					CHECK_EQ_INT(quicdec_set_secret(c, (enum quicdec_space)sp, dir,
									sec, sl), 0);
					installed[sp][dir] = true;
					continue;   /* the same packet again */
				}
			}
			if (st != QUICDEC_OK)
				fprintf(stderr, "lab-h3 datagram %zu +%zu: %s (%s)\n", i, off,
					quicdec_status_name(st), res.why ? res.why : "");
			CHECK_EQ_INT(st, QUICDEC_OK);
			if (st == QUICDEC_OK) {
				n_ok++;
				if (res.hdr.type == QUIC_SHORT)
					n_short++;
				if (res.hdr.type == QUIC_HANDSHAKE)
					n_hs_pkts++;
				CHECK(res.frames.status == FT_OK);
				if (pl + 24 < sizeof pns)
					pl += (size_t)snprintf(pns + pl, sizeof pns - pl, "%s%llu",
							       pl ? "," : "",
							       (unsigned long long)res.pkt.pn);
				for (unsigned j = 0; j < res.frames.n && tl + 24 < sizeof types; j++)
					tl += (size_t)snprintf(types + tl, sizeof types - tl, "%s%llu",
							       tl ? "," : "",
							       (unsigned long long)res.frames.f[j].type);
			}
			if (res.has_ch) {
				sni = res.ch.has_sni && res.ch.sni_len == 14 &&
				      memcmp(res.ch.sni, "h3.example.com", 14) == 0;
				CHECK(sni);
				CHECK(res.ch.n_alpn >= 1 && res.ch.alpn_len[0] == 2 &&
				      memcmp(res.ch.alpn[0], "h3", 2) == 0);
				CHECK(res.has_tp && res.tp.status == FT_OK && res.tp.n > 5);
				CHECK(res.pkt.pn == 2);   /* whole only with the second Initial */
			}
			if (res.has_sh)
				sh = true;
			if (res.has_ee) {
				ee = true;
				CHECK(res.ee_has_alpn && res.ee_alpn_len == 2 &&
				      memcmp(res.ee_alpn, "h3", 2) == 0);
				CHECK(res.has_tp && res.tp_dir == 1 && res.tp.status == FT_OK);
			}
			off += res.hdr.pkt_len;
		}
		for (size_t j = 0; j < sizeof h3_oracle / sizeof h3_oracle[0]; j++) {
			if (h3_oracle[j].frame != dg[i].frame)
				continue;
			CHECK_EQ_STR(pns, h3_oracle[j].pns);
			CHECK_EQ_STR(types, h3_oracle[j].types);
			n_compared++;
		}
	}
	CHECK_EQ_INT(n_compared, sizeof h3_oracle / sizeof h3_oracle[0]);
	CHECK(sni);
	CHECK(sh);
	CHECK(ee);
	CHECK(n_short > 20);
	CHECK(n_hs_pkts >= 2);
	CHECK(n_ok > 30);
	quicdec_free(c);
	free(f);
}

/* ------------------------------------------------------------------ */
/* Garbage: decoders must not crash                                    */
/* ------------------------------------------------------------------ */

static uint32_t rng = 12345;

static uint32_t rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void test_garbage(void)
{
	static uint8_t pkt[1500];
	static struct quicdec_result res;
	static struct quicframe_events ev;
	size_t base = unhex(V1_CLIENT_PACKET, pkt, sizeof pkt);
	struct quicdec_conn *c = quicdec_new(256);
	unsigned n_ok = 0;

	CHECK(c != NULL);
	if (!c)
		return;
	/* Prefixes of a real packet: never OK, never a crash. */
	for (size_t i = 0; i < base; i += 7)
		CHECK(quicdec_packet(c, 0, pkt, i, plain, sizeof plain, &res) != QUICDEC_OK);
	/* Flipped bytes and random payloads. */
	for (int round = 0; round < 3000; round++) {
		uint8_t buf[1500];
		size_t len = rnd32() % sizeof buf;

		memcpy(buf, pkt, sizeof buf);
		for (int k = 0; k < 4; k++)
			buf[rnd32() % base] = (uint8_t)rnd32();
		if (round % 3 == 0)
			for (size_t j = 0; j < len; j++)
				buf[j] = (uint8_t)rnd32();
		if (quicdec_packet(c, (int)(round & 1), buf, len, plain, sizeof plain, &res) ==
		    QUICDEC_OK)
			n_ok++;
		(void)quicframe_parse(buf, len, &ev);
		CHECK(ev.n <= QUICFRAME_MAX);
	}
	(void)n_ok;
	quicdec_free(c);
}

int main(void)
{
	test_keys();
	test_initials();
	test_retry();
	test_chacha();
	test_pn();
	test_conn_rfc(QUICDEC_V1, V1_CLIENT_PACKET, V1_SERVER_PACKET);
	test_conn_rfc(QUICDEC_V2, V2_CLIENT_PACKET, V2_SERVER_PACKET);
	test_conn_sealed(QUICDEC_V1);
	test_conn_sealed(QUICDEC_V2);
	test_crypto_bounds();
	test_rekey();
	test_retry_vn();
	test_suites();
	test_frames();
	test_varints();
	test_tp();
	test_lab_quic();
	test_lab_h3();
	test_garbage();
	return t_done("test_quicdec");
}
