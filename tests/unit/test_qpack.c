/* test_qpack.c - the QPACK adapter: RFC 9204 Appendix B, the encoder stream split at every byte, blocked blocks, hostile input, memory caps. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrtest.h"
#include "qpack.h"
#include "t.h"

/* Hex with spaces allowed. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (*s && n < cap) {
		unsigned v;
		if (*s == ' ') {
			s++;
			continue;
		}
		if (!s[1] || sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static struct hpack_budget budget;
static struct hpack_headers out;

/* Feed hex to the encoder stream in two pieces cut at split (clamped). */
static enum ft_status enc2(struct qpack_decoder *q, const char *hex, size_t split)
{
	uint8_t b[256];
	size_t n = unhex(hex, b, sizeof b);
	enum ft_status st;
	if (split > n)
		split = n;
	st = qpack_encoder(q, b, split);
	if (st != FT_OK)
		return st;
	return qpack_encoder(q, b + split, n - split);
}

static enum ft_status dec(struct qpack_decoder *q, int64_t sid, const char *hex)
{
	uint8_t b[256];
	size_t n = unhex(hex, b, sizeof b);
	return qpack_decode(q, sid, 0, b, n, &out);
}

/* RFC 9204 B.2 .. B.5 (the encoder's table capacity 220), encoder stream
 * instructions cut at split; the field sections of streams 4 and 8. */
#define B2_ENC "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468"
#define B3_ENC "4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565"
#define B4_ENC "02"
#define B5_ENC "810d 6375 7374 6f6d 2d76 616c 7565 32"

static void rfc_sequence(size_t split)
{
	struct qpack_decoder q;

	CHECK_EQ_INT(qpack_init(&q, &budget, 220, 0), FT_OK);
	/* B.1: static table only. */
	CHECK_EQ_INT(dec(&q, 0, "0000 510b 2f69 6e64 6578 2e68 746d 6c"), FT_OK);
	CHECK_EQ_STR(sv(&out.path), "/index.html");
	CHECK_EQ_INT(out.n_fields, 1);
	/* B.2: two inserts, then a block with post-base indexes. */
	CHECK_EQ_INT(enc2(&q, B2_ENC, split), FT_OK);
	CHECK_EQ_INT(qpack_insert_count(&q), 2);
	CHECK_EQ_INT(dec(&q, 4, "0381 10 11"), FT_OK);
	CHECK_EQ_STR(sv(&out.authority), "www.example.com");
	CHECK_EQ_STR(sv(&out.path), "/sample/path");
	CHECK_EQ_INT(out.n_fields, 2);
	/* B.3: speculative insert with a literal name. */
	CHECK_EQ_INT(enc2(&q, B3_ENC, split), FT_OK);
	CHECK_EQ_INT(qpack_insert_count(&q), 3);
	/* B.4: duplicate, then a block with relative indexes and a static one. */
	CHECK_EQ_INT(enc2(&q, B4_ENC, split), FT_OK);
	CHECK_EQ_INT(qpack_insert_count(&q), 4);
	CHECK_EQ_INT(dec(&q, 8, "0500 80 c1 81"), FT_OK);
	CHECK_EQ_STR(sv(&out.authority), "www.example.com");
	CHECK_EQ_STR(sv(&out.path), "/");
	CHECK_EQ_STR(other(&out, "custom-key"), "custom-value");
	CHECK_EQ_INT(out.n_fields, 3);
	/* B.5: an insert that evicts entry 0. */
	CHECK_EQ_INT(enc2(&q, B5_ENC, split), FT_OK);
	CHECK_EQ_INT(qpack_insert_count(&q), 5);
	/* Our block: Required Insert Count 5 (encoded 5 mod 12 + 1), Base 5,
	 * relative 0 = absolute 4 (custom-key=custom-value2), relative 1 = 3. */
	CHECK_EQ_INT(dec(&q, 12, "0600 80 81"), FT_OK);
	CHECK_EQ_STR(other(&out, "custom-key"), "custom-value2");
	CHECK_EQ_STR(sv(&out.authority), "www.example.com");
	CHECK(q.err == QPACK_OK);
	/* Relative 4 = absolute 0: evicted.  A marked, sticky error. */
	CHECK_EQ_INT(dec(&q, 16, "0600 84"), FT_MALFORMED);
	CHECK_EQ_INT(q.err, QPACK_ERR_DECOMPRESSION);
	CHECK_EQ_INT(dec(&q, 0, "0000 510b 2f69 6e64 6578 2e68 746d 6c"), FT_MALFORMED);
	CHECK_EQ_INT(enc2(&q, B4_ENC, 0), FT_MALFORMED);
	CHECK_EQ_INT(q.acct.mem, 0);   /* everything given back at the error */
	qpack_free(&q);
}

static void test_rfc(void)
{
	size_t total = budget.used;
	for (size_t split = 0; split <= 40; split++)
		rfc_sequence(split);
	CHECK_EQ_INT(budget.used, total);
	/* The whole encoder stream of B.2..B.5 one byte at a time. */
	{
		struct qpack_decoder q;
		uint8_t b[256];
		size_t n = 0;
		n += unhex(B2_ENC, b + n, sizeof b - n);
		n += unhex(B3_ENC, b + n, sizeof b - n);
		n += unhex(B4_ENC, b + n, sizeof b - n);
		n += unhex(B5_ENC, b + n, sizeof b - n);
		CHECK_EQ_INT(qpack_init(&q, &budget, 220, 0), FT_OK);
		for (size_t i = 0; i < n; i++)
			CHECK_EQ_INT(qpack_encoder(&q, b + i, 1), FT_OK);
		CHECK_EQ_INT(qpack_insert_count(&q), 5);
		CHECK_EQ_INT(dec(&q, 12, "0600 80"), FT_OK);
		CHECK_EQ_STR(other(&out, "custom-key"), "custom-value2");
		CHECK(q.acct.peak > 0);
		qpack_free(&q);
		qpack_free(&q); /* twice is fine */
	}
	CHECK_EQ_INT(budget.used, total);
}

/* A block that arrives before its inserts waits, and comes out when they do. */
static void test_blocked(void)
{
	struct qpack_decoder q;
	uint8_t enc[128];
	size_t n = unhex(B2_ENC, enc, sizeof enc);
	int64_t sid;
	uint32_t tag;
	enum ft_status st;
	uint8_t blk[4];

	CHECK_EQ_INT(qpack_init(&q, &budget, 220, 2), FT_OK);
	unhex("0381 10 11", blk, sizeof blk);
	CHECK_EQ_INT(qpack_decode(&q, 4, 77, blk, 4, &out), FT_NEED_MORE);
	CHECK_EQ_INT(q.n_held, 1);
	CHECK(!qpack_next_unblocked(&q, &sid, &tag, &st, &out));
	/* Insert 1 of 2: still blocked; insert 2 (its last byte) unblocks. */
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ_INT(qpack_encoder(&q, enc + i, 1), FT_OK);
		if (i + 1 < n)
			CHECK(!qpack_next_unblocked(&q, &sid, &tag, &st, &out));
	}
	CHECK(qpack_next_unblocked(&q, &sid, &tag, &st, &out));
	CHECK_EQ_INT(sid, 4);
	CHECK_EQ_INT(tag, 77);
	CHECK_EQ_INT(st, FT_OK);
	CHECK_EQ_STR(sv(&out.authority), "www.example.com");
	CHECK_EQ_STR(sv(&out.path), "/sample/path");
	CHECK(!qpack_next_unblocked(&q, &sid, &tag, &st, &out));
	CHECK_EQ_INT(q.n_held, 0);
	/* Cancelled while blocked: forgotten. */
	CHECK_EQ_INT(dec(&q, 8, "0500 80 c1 81"), FT_NEED_MORE);
	qpack_cancel(&q, 8);
	CHECK_EQ_INT(q.n_held, 0);
	CHECK(q.err == QPACK_OK);
	/* Two blocked streams are allowed, a third is a marked error. */
	CHECK_EQ_INT(dec(&q, 8, "0500 80 c1 81"), FT_NEED_MORE);
	CHECK_EQ_INT(dec(&q, 12, "0500 80"), FT_NEED_MORE);
	CHECK_EQ_INT(dec(&q, 16, "0500 81"), FT_MALFORMED);
	CHECK_EQ_INT(q.err, QPACK_ERR_BLOCKED);
	CHECK_EQ_INT(q.n_held, 0);
	qpack_free(&q);

	/* SETTINGS_QPACK_BLOCKED_STREAMS 0 (the default): any blocked block is an error. */
	CHECK_EQ_INT(qpack_init(&q, &budget, 220, 0), FT_OK);
	CHECK_EQ_INT(dec(&q, 4, "0381 10 11"), FT_MALFORMED);
	CHECK_EQ_INT(q.err, QPACK_ERR_BLOCKED);
	qpack_free(&q);

	/* A peer asking for 1000 blocked streams gets our cap. */
	CHECK_EQ_INT(qpack_init(&q, &budget, 220, 1000), FT_OK);
	CHECK_EQ_INT(q.blocked_max, QPACK_BLOCKED_CAP);
	for (unsigned i = 0; i < QPACK_BLOCKED_CAP; i++)
		CHECK_EQ_INT(dec(&q, 4 * i, "0381 10 11"), FT_NEED_MORE);
	CHECK_EQ_INT(dec(&q, 4 * QPACK_BLOCKED_CAP, "0381 10 11"), FT_MALFORMED);
	CHECK_EQ_INT(q.err, QPACK_ERR_BLOCKED);
	qpack_free(&q);
}

static void test_hostile(void)
{
	struct qpack_decoder q;
	uint8_t b[64];
	size_t n;

	/* Set Dynamic Table Capacity 4 GB, and one byte above what was announced. */
	CHECK_EQ_INT(qpack_init(&q, &budget, 4096, 0), FT_OK);
	n = pint(b, 0x20, 5, 4294967296ull);
	CHECK_EQ_INT(qpack_encoder(&q, b, n), FT_MALFORMED);
	CHECK_EQ_INT(q.err, QPACK_ERR_ENCODER_STREAM);
	qpack_free(&q);
	CHECK_EQ_INT(qpack_init(&q, &budget, 4096, 0), FT_OK);
	n = pint(b, 0x20, 5, 4097);
	CHECK_EQ_INT(qpack_encoder(&q, b, n), FT_MALFORMED);
	qpack_free(&q);
	/* A peer announcing 4 GB: we follow QPACK_TABLE_CAP and say so. */
	CHECK_EQ_INT(qpack_init(&q, &budget, 4294967296ull, 0), FT_OK);
	CHECK(q.table_capped);
	CHECK_EQ_INT(q.table_max, QPACK_TABLE_CAP);
	n = pint(b, 0x20, 5, QPACK_TABLE_CAP + 1);
	CHECK_EQ_INT(qpack_encoder(&q, b, n), FT_MALFORMED);
	qpack_free(&q);

	/* Static index 99 (the table ends at 98). */
	CHECK_EQ_INT(qpack_init(&q, &budget, 0, 0), FT_OK);
	CHECK_EQ_INT(dec(&q, 0, "0000 ff24"), FT_MALFORMED);
	CHECK_EQ_INT(q.err, QPACK_ERR_DECOMPRESSION);
	qpack_free(&q);
	/* A dynamic reference with no table (capacity 0). */
	CHECK_EQ_INT(qpack_init(&q, &budget, 0, 0), FT_OK);
	CHECK_EQ_INT(dec(&q, 0, "0200 80"), FT_MALFORMED);
	qpack_free(&q);
	/* Bad Huffman: 32 one-bits (EOS and too much padding). */
	CHECK_EQ_INT(qpack_init(&q, &budget, 0, 0), FT_OK);
	CHECK_EQ_INT(dec(&q, 0, "0000 51 84 ffffffff"), FT_MALFORMED);
	CHECK_EQ_INT(q.err, QPACK_ERR_DECOMPRESSION);
	qpack_free(&q);
	/* A value longer than the block, and a 2^40-byte one. */
	CHECK_EQ_INT(qpack_init(&q, &budget, 0, 0), FT_OK);
	CHECK_EQ_INT(dec(&q, 0, "0000 510b 2f69"), FT_MALFORMED);
	qpack_free(&q);
	CHECK_EQ_INT(qpack_init(&q, &budget, 0, 0), FT_OK);
	b[0] = 0, b[1] = 0, b[2] = 0x51;
	n = 3 + pint(b + 3, 0, 7, 1ull << 40);
	memset(b + n, 'a', 8);
	CHECK_EQ_INT(qpack_decode(&q, 0, 0, b, n + 8, &out), FT_MALFORMED);
	qpack_free(&q);
	/* An encoder stream insert of a 2^40-byte literal: refused, never allocated. */
	CHECK_EQ_INT(qpack_init(&q, &budget, 65536, 0), FT_OK);
	n = pint(b, 0x20, 5, 65536);
	n += pint(b + n, 0x40, 5, 1ull << 40);
	memset(b + n, 'a', 16);
	CHECK_EQ_INT(qpack_encoder(&q, b, n + 16), FT_MALFORMED);
	CHECK(q.acct.peak < QPACK_MEM_CAP);
	qpack_free(&q);
	/* Empty and truncated blocks. */
	CHECK_EQ_INT(qpack_init(&q, &budget, 0, 0), FT_OK);
	CHECK_EQ_INT(qpack_decode(&q, 0, 0, NULL, 0, &out), FT_MALFORMED);
	qpack_free(&q);
	CHECK_EQ_INT(qpack_init(&q, &budget, 0, 0), FT_OK);
	CHECK_EQ_INT(dec(&q, 0, "00"), FT_MALFORMED);
	qpack_free(&q);
	/* An encoder stream that decodes a capacity then fills the table with
	 * entries past the capacity: evictions, never growth past it. */
	CHECK_EQ_INT(qpack_init(&q, &budget, 220, 0), FT_OK);
	CHECK_EQ_INT(enc2(&q, "3fbd01", 0), FT_OK);
	for (int i = 0; i < 200; i++)
		CHECK_EQ_INT(enc2(&q, B3_ENC, 5), FT_OK);
	CHECK(q.acct.mem < 64 * 1024);
	CHECK_EQ_INT(qpack_insert_count(&q), 200);
	qpack_free(&q);
	/* The fullest table: 64 KiB of empty entries (32 bytes each), then
	 * duplicates of them: what it holds stays far below QPACK_MEM_CAP. */
	CHECK_EQ_INT(qpack_init(&q, &budget, QPACK_TABLE_CAP, 0), FT_OK);
	n = pint(b, 0x20, 5, QPACK_TABLE_CAP);
	CHECK_EQ_INT(qpack_encoder(&q, b, n), FT_OK);
	for (int i = 0; i < 3000; i++)
		CHECK_EQ_INT(enc2(&q, i & 1 ? "00" : "4000", 1), FT_OK);
	CHECK_EQ_INT(qpack_insert_count(&q), 3000);
	/* 64 KiB of encoder stream in one call (duplicates): sliced, no memory error. */
	{
		static uint8_t dup[65536];
		memset(dup, 0, sizeof dup);
		CHECK_EQ_INT(qpack_encoder(&q, dup, sizeof dup), FT_OK);
		CHECK_EQ_INT(qpack_insert_count(&q), 3000 + sizeof dup);
	}
	printf("ok fullest QPACK table: %zu bytes held, peak %zu\n", q.acct.mem, q.acct.peak);
	CHECK(q.acct.peak < QPACK_MEM_CAP / 2);
	qpack_free(&q);
}

/* Random garbage on both inputs: errors, never a crash, memory back. */
static void test_garbage(void)
{
	uint32_t r = 2463534242u;
	size_t before = budget.used;
	for (int round = 0; round < 2000; round++) {
		struct qpack_decoder q;
		uint8_t b[64];
		size_t n;
		CHECK_EQ_INT(qpack_init(&q, &budget, (round & 1) ? 220 : 4096, round & 3), FT_OK);
		for (int k = 0; k < 4; k++) {
			n = (r >> 7) % sizeof b;
			for (size_t i = 0; i < n; i++) {
				r ^= r << 13, r ^= r >> 17, r ^= r << 5;
				b[i] = (uint8_t)r;
			}
			if (k & 1)
				(void)qpack_encoder(&q, b, n);
			else
				(void)qpack_decode(&q, k, 0, b, n, &out);
			{
				int64_t sid;
				uint32_t tag;
				enum ft_status st;
				int m = 0;
				while (m++ < 20 && qpack_next_unblocked(&q, &sid, &tag, &st, &out))
					;
			}
		}
		qpack_free(&q);
	}
	CHECK_EQ_INT(budget.used, before);
}

/* The memory caps: a small total refuses, and the error says memory. */
static void test_memory(void)
{
	struct hpack_budget small;
	struct qpack_decoder q;
	enum ft_status st;

	hpack_budget_init(&small, 64);
	st = qpack_init(&q, &small, 220, 0);
	CHECK_EQ_INT(st, FT_UNSUPPORTED);
	CHECK_EQ_INT(q.err, QPACK_ERR_MEMORY);
	CHECK(small.n_refused > 0);
	qpack_free(&q);
	CHECK_EQ_INT(small.used, 0);

	/* Room for the decoder, not for the inserts. */
	hpack_budget_init(&small, 24 * 1024);
	CHECK_EQ_INT(qpack_init(&q, &small, 4096, 0), FT_OK);
	st = FT_OK;
	for (int i = 0; i < 40 && st == FT_OK; i++)
		st = enc2(&q, i ? B3_ENC : "3f e1 1f " B3_ENC, 3);
	CHECK_EQ_INT(st, FT_MALFORMED);
	CHECK_EQ_INT(q.err, QPACK_ERR_MEMORY);
	qpack_free(&q);
	CHECK_EQ_INT(small.used, 0);
	CHECK(small.peak <= 24 * 1024);
	CHECK(qpack_err_name(QPACK_ERR_MEMORY) != NULL);
	CHECK(qpack_err_name(QPACK_OK) == NULL);
}

int main(void)
{
	hpack_budget_init(&budget, HPACK_BUDGET_DEFAULT);
	test_rfc();
	test_blocked();
	test_hostile();
	test_garbage();
	test_memory();
	CHECK_EQ_INT(budget.used, 0);
	return t_done("test_qpack");
}
