/* test_quic.c - quic_decode over RFC 9001 A packets, coalesced, VN, short, every prefix. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quic.h"
#include "t.h"

/* Decode from an exactly sized heap copy, so ASan sees any read past
 * the end. */
static enum ft_status decode(const uint8_t *p, size_t n, struct quic_info *qi)
{
	uint8_t *copy = malloc(n ? n : 1);
	enum ft_status st;

	if (!copy)
		return FT_UNSUPPORTED;
	if (n)
		memcpy(copy, p, n);
	st = quic_decode(copy, n, qi);
	free(copy);
	return st;
}

/*
 * RFC 9001 A.2: the client Initial's unprotected header,
 *   c3 00000001 08 8394c8f03e515708 00 00 449e 00000002
 * here with the protected first byte c0 and packet number bytes of A.2's
 * protected packet ("c000000001 08 8394c8f03e515708 00 00 449e 7b9aec34"),
 * and the payload replaced by zeros: only the header matters.  Length
 * 0x449e (2-byte varint) = 1182, so the datagram is 18 + 1182 = 1200.
 */
static const uint8_t a2_hdr[] = {
	0xc0, 0x00, 0x00, 0x00, 0x01, 0x08, 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51,
	0x57, 0x08, 0x00, 0x00, 0x44, 0x9e, 0x7b, 0x9a, 0xec, 0x34,
};

/* RFC 9001 A.3 server Initial header: c1 00000001 00 08 f067a5502a4262b5
 * 00 4075 c0d9 ...: Length 0x75 = 117. */
static const uint8_t a3_hdr[] = {
	0xc1, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0xf0, 0x67, 0xa5, 0x50,
	0x2a, 0x42, 0x62, 0xb5, 0x00, 0x40, 0x75, 0xc0, 0xd9,
};

/* RFC 9001 A.4 Retry, whole. */
static const uint8_t a4_retry[] = {
	0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0xf0, 0x67, 0xa5, 0x50, 0x2a,
	0x42, 0x62, 0xb5, 0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x04, 0xa2, 0x65, 0xba,
	0x2e, 0xff, 0x4d, 0x82, 0x90, 0x58, 0xfb, 0x3f, 0x0f, 0x24, 0x96, 0xba,
};

/* Version negotiation (RFC 9000 17.2.1): DCID 4, SCID 8, versions 1 and
 * a GREASE one. */
static const uint8_t vn[] = {
	0x80, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04, 0x08, 0x83,
	0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08, 0x00, 0x00, 0x00, 0x01, 0x1a,
	0x2a, 0x3a, 0x4a,
};

static uint8_t dgram[2048];

/* The client Initial datagram: A.2 header, zero payload. */
static size_t client_initial(uint8_t *p)
{
	memset(p, 0, 1200);
	memcpy(p, a2_hdr, sizeof a2_hdr);
	return 1200;
}

/* A Handshake packet (type 2) from the server, SCID f067a5502a4262b5,
 * Length 32 as a 1-byte varint, body zeros: 1+4+1+1+8+1+32 = 48 bytes. */
static size_t handshake_pkt(uint8_t *p)
{
	static const uint8_t h[] = { 0xe1, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0xf0, 0x67,
				     0xa5, 0x50, 0x2a, 0x42, 0x62, 0xb5, 0x20 };

	memset(p, 0, 48);
	memcpy(p, h, sizeof h);
	return 48;
}

/* Server Initial (A.3 header, 18 + 117 bytes) + Handshake (48). */
static size_t server_coalesced(uint8_t *p)
{
	memset(p, 0, 135);
	memcpy(p, a3_hdr, sizeof a3_hdr);
	return 135 + handshake_pkt(p + 135);
}

/* Every strict prefix of a good datagram is TRUNCATED, except where it
 * ends exactly between coalesced packets (a whole datagram then). */
static int prefix_bad(const uint8_t *p, size_t n, const size_t *bounds, size_t n_bounds)
{
	struct quic_info qi;
	int bad = 0;

	for (size_t k = 0; k < n; k++) {
		int at_bound = 0;

		for (size_t i = 0; i < n_bounds; i++)
			at_bound |= bounds[i] == k;
		decode(p, k, &qi);
		if (at_bound ? qi.status != FT_OK : qi.status != FT_TRUNCATED)
			bad++;
		if (qi.n_pkts > QUIC_MAX_PACKETS)
			bad++;
	}
	return bad;
}

static void test_client_initial(void)
{
	struct quic_info qi;
	static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
	size_t n = client_initial(dgram);

	CHECK_EQ_INT(decode(dgram, n, &qi), FT_OK);
	CHECK_EQ_INT(qi.n_pkts, 1);
	CHECK_EQ_INT(qi.n_more, 0);
	CHECK(qi.why == NULL);
	CHECK_EQ_INT(qi.pkt[0].type, QUIC_INITIAL);
	CHECK_EQ_INT(qi.pkt[0].version, 1);
	CHECK_EQ_INT(qi.pkt[0].dcid_len, 8);
	CHECK(memcmp(qi.pkt[0].dcid, dcid, 8) == 0);
	CHECK_EQ_INT(qi.pkt[0].scid_len, 0);
	CHECK_EQ_INT(qi.pkt[0].token_len, 0);
	CHECK_EQ_INT(qi.pkt[0].length, 1182);
	CHECK_EQ_INT(prefix_bad(dgram, n, NULL, 0), 0);
	/* One byte more than Length says: trailing zeros are not QUIC. */
	dgram[n] = 0;
	CHECK_EQ_INT(decode(dgram, n + 1, &qi), FT_OK);
	CHECK_EQ_INT(qi.n_pkts, 1);
	CHECK_EQ_STR(qi.why, "trailing bytes after the last packet are not QUIC");
}

static void test_coalesced(void)
{
	struct quic_info qi;
	size_t n = server_coalesced(dgram);
	size_t bound = 135;

	CHECK_EQ_INT(n, 183);
	CHECK_EQ_INT(decode(dgram, n, &qi), FT_OK);
	CHECK_EQ_INT(qi.n_pkts, 2);
	CHECK_EQ_INT(qi.pkt[0].type, QUIC_INITIAL);
	CHECK_EQ_INT(qi.pkt[0].dcid_len, 0);
	CHECK_EQ_INT(qi.pkt[0].scid_len, 8);
	CHECK_EQ_INT(qi.pkt[0].scid[0], 0xf0);
	CHECK_EQ_INT(qi.pkt[0].length, 117);
	CHECK_EQ_INT(qi.pkt[1].type, QUIC_HANDSHAKE);
	CHECK_EQ_INT(qi.pkt[1].length, 32);
	CHECK_EQ_INT(qi.pkt[1].scid[7], 0xb5);
	CHECK_EQ_INT(prefix_bad(dgram, n, &bound, 1), 0);
	/* Cut in the second packet: the first is kept. */
	CHECK_EQ_INT(decode(dgram, n - 1, &qi), FT_TRUNCATED);
	CHECK_EQ_INT(qi.n_pkts, 2);
	CHECK_EQ_INT(qi.pkt[0].type, QUIC_INITIAL);
	CHECK_EQ_STR(qi.why, "packet Length past the datagram end");

	/* Initial + 10 Handshake packets: 8 recorded, 3 counted. */
	{
		size_t m = client_initial(dgram);

		for (int i = 0; i < 10; i++)
			m += handshake_pkt(dgram + m);
		CHECK(m <= sizeof dgram);
		CHECK_EQ_INT(decode(dgram, m, &qi), FT_OK);
		CHECK_EQ_INT(qi.n_pkts, QUIC_MAX_PACKETS);
		CHECK_EQ_INT(qi.n_more, 11 - QUIC_MAX_PACKETS);
		CHECK_EQ_INT(qi.pkt[7].type, QUIC_HANDSHAKE);
	}
}

static void test_retry_vn_short(void)
{
	struct quic_info qi;

	CHECK_EQ_INT(decode(a4_retry, sizeof a4_retry, &qi), FT_OK);
	CHECK_EQ_INT(qi.n_pkts, 1);
	CHECK_EQ_INT(qi.pkt[0].type, QUIC_RETRY);
	CHECK_EQ_INT(qi.pkt[0].scid_len, 8);
	/* A Retry runs to the datagram end: a cut that still leaves a token
	 * byte and 16 tag bytes is a whole Retry with a shorter token. */
	{
		static const size_t whole[] = { 32, 33, 34, 35 };

		CHECK_EQ_INT(prefix_bad(a4_retry, sizeof a4_retry, whole, 4), 0);
	}

	CHECK_EQ_INT(decode(vn, sizeof vn, &qi), FT_OK);
	CHECK_EQ_INT(qi.n_pkts, 1);
	CHECK_EQ_INT(qi.pkt[0].type, QUIC_VERSION_NEG);
	CHECK_EQ_INT(qi.pkt[0].version, 0);
	CHECK_EQ_INT(qi.pkt[0].dcid_len, 4);
	CHECK_EQ_INT(qi.pkt[0].scid_len, 8);
	/* Cut after its first version, a VN is whole; any other cut is not. */
	{
		static const size_t whole[] = { 23 };

		CHECK_EQ_INT(prefix_bad(vn, sizeof vn, whole, 1), 0);
	}

	/* Short header: 0x40 | ..., runs to the end. */
	{
		uint8_t s[40];

		memset(s, 0x55, sizeof s);
		s[0] = 0x43;
		CHECK_EQ_INT(decode(s, sizeof s, &qi), FT_OK);
		CHECK_EQ_INT(qi.n_pkts, 1);
		CHECK_EQ_INT(qi.pkt[0].type, QUIC_SHORT);
		CHECK_EQ_INT(qi.pkt[0].dcid_len, 0);
		CHECK_EQ_INT(decode(s, 20, &qi), FT_TRUNCATED);
		CHECK_EQ_INT(decode(s, 21, &qi), FT_OK);
		/* Fixed bit clear: not QUIC. */
		s[0] = 0x03;
		CHECK_EQ_INT(decode(s, sizeof s, &qi), FT_UNSUPPORTED);
		CHECK_EQ_INT(qi.n_pkts, 0);
	}
	/* A long header with the fixed bit clear and version 1: not QUIC. */
	{
		size_t n = client_initial(dgram);

		dgram[0] = 0x80;
		CHECK_EQ_INT(decode(dgram, n, &qi), FT_UNSUPPORTED);
		CHECK_EQ_STR(qi.why, "fixed bit is 0: not QUIC");
	}
	/* Version negotiation may clear the fixed bit. */
	{
		uint8_t v[sizeof vn];

		memcpy(v, vn, sizeof vn);
		v[0] = 0x80 | 0x3f;
		v[0] &= (uint8_t)~0x40;
		CHECK_EQ_INT(decode(v, sizeof v, &qi), FT_OK);
		CHECK_EQ_INT(qi.pkt[0].type, QUIC_VERSION_NEG);
	}
	CHECK_EQ_INT(decode(vn, 0, &qi), FT_TRUNCATED);
}

static void test_malformed(void)
{
	struct quic_info qi;
	uint8_t p[64];

	/* DCID length 21 with version 1. */
	memset(p, 0, sizeof p);
	memcpy(p, "\xc0\x00\x00\x00\x01\x15", 6);
	CHECK_EQ_INT(decode(p, sizeof p, &qi), FT_MALFORMED);
	CHECK_EQ_STR(qi.why, "DCID longer than 20 bytes");
	CHECK_EQ_INT(qi.pkt[0].dcid_len, 20);

	/* Unknown version: CIDs up to 255 accepted (RFC 8999), 20 kept. */
	p[4] = 0x07;
	CHECK_EQ_INT(decode(p, sizeof p, &qi), FT_OK);
	CHECK_EQ_INT(qi.pkt[0].dcid_len, 20);
	CHECK_EQ_INT(qi.pkt[0].version, 0x00000007);
	CHECK_EQ_STR(qi.why, "unknown version: only the invariant header decoded");

	/* Token length varint (4 bytes, 0x80...) past the end. */
	{
		static const uint8_t t[] = { 0xc0, 0, 0, 0, 1, 0, 0, 0x80, 0x00 };

		CHECK_EQ_INT(decode(t, sizeof t, &qi), FT_TRUNCATED);
		CHECK_EQ_STR(qi.why, "Initial cut in token length");
		CHECK_EQ_INT(qi.n_pkts, 1);
	}
	/* Token length 8-byte varint that is huge. */
	{
		static const uint8_t t[] = { 0xc0, 0, 0, 0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0x00 };

		CHECK_EQ_INT(decode(t, sizeof t, &qi), FT_TRUNCATED);
		CHECK_EQ_STR(qi.why, "Initial token past the datagram end");
		CHECK_EQ_INT(qi.pkt[0].token_len, 0x3fffffffffffffffULL);
	}
	/* Length too small to hold a protected packet number and sample. */
	{
		static const uint8_t t[] = { 0xe0, 0, 0, 0, 1, 0, 0, 0x13, 0, 0, 0, 0, 0, 0, 0,
					     0,    0, 0, 0, 0, 0, 0, 0, 0,    0, 0, 0 };

		CHECK_EQ_INT(decode(t, sizeof t, &qi), FT_MALFORMED);
		CHECK_EQ_STR(qi.why, "Length too small for a protected packet");
	}
	/* Retry without room for a token byte and its tag. */
	CHECK_EQ_INT(decode(a4_retry, 15 + 16, &qi), FT_TRUNCATED);
	CHECK_EQ_STR(qi.why, "Retry integrity tag cut");
}

/* QUIC v2 (RFC 9369) permutes the long header type bits. */
static void test_v2(void)
{
	struct quic_info qi;
	size_t n = client_initial(dgram);

	memcpy(dgram + 1, "\x6b\x33\x43\xcf", 4);
	dgram[0] = 0xd0;   /* type bits 01: Initial in v2 */
	CHECK_EQ_INT(decode(dgram, n, &qi), FT_OK);
	CHECK_EQ_INT(qi.pkt[0].type, QUIC_INITIAL);
	CHECK_EQ_INT(qi.pkt[0].version, 0x6b3343cf);
	dgram[0] = 0xc0;   /* type bits 00: Retry in v2 */
	CHECK_EQ_INT(decode(dgram, n, &qi), FT_OK);
	CHECK_EQ_INT(qi.pkt[0].type, QUIC_RETRY);
}

static void test_names(void)
{
	CHECK_EQ_STR(quic_version_name(1), "1");
	CHECK_EQ_STR(quic_version_name(0x6b3343cf), "2");
	CHECK_EQ_STR(quic_version_name(0xff00001d), "draft-29");
	CHECK_EQ_STR(quic_version_name(0xff000022), "draft-34");
	CHECK_EQ_STR(quic_version_name(0), "negotiation");
	CHECK_EQ_STR(quic_version_name(0x1a2a3a4a), "GREASE");
	CHECK_EQ_STR(quic_version_name(0xfafafafa), "GREASE");
	CHECK(quic_version_name(2) == NULL);
	CHECK(quic_version_name(0xff000023) == NULL);
}

int main(void)
{
	test_names();
	test_client_initial();
	test_coalesced();
	test_retry_vn_short();
	test_malformed();
	test_v2();
	return t_done("test_quic");
}
