/* test_hpack.c - the HPACK adapter: RFC 7541 Appendix C, blocks split at every byte, hostile blocks, memory caps. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrtest.h"
#include "hpack.h"
#include "t.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (s[0] && s[1] && n < cap) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static enum ft_status dec_hex(struct hpack_inflater *h, const char *hex, struct hpack_headers *o)
{
	uint8_t b[512];
	size_t n = unhex(hex, b, sizeof b);
	return hpack_decode(h, b, n, true, o);
}

static struct hpack_headers hd; /* large: not on the stack */

/* ------------------------------------------------------------------ */
/* RFC 7541 Appendix C                                                 */
/* ------------------------------------------------------------------ */

/* C.3 (no Huffman) and C.4 (Huffman): three requests on one connection,
 * the second and third using the dynamic table the first one filled. */
static void requests(const char *b1, const char *b2, const char *b3)
{
	struct hpack_budget bud;
	struct hpack_inflater h;
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
	CHECK_EQ_INT(hpack_init(&h, &bud), FT_OK);

	CHECK_EQ_INT(dec_hex(&h, b1, &hd), FT_OK);
	CHECK_EQ_STR(sv(&hd.method), "GET");
	CHECK_EQ_STR(sv(&hd.scheme), "http");
	CHECK_EQ_STR(sv(&hd.path), "/");
	CHECK_EQ_STR(sv(&hd.authority), "www.example.com");
	CHECK_EQ_INT(hd.n_fields, 4);
	CHECK_EQ_INT(hd.n_other, 0);
	CHECK(!hd.status.present && hd.status_code == 0);
	CHECK(!hd.pseudo_bad);
	/* RFC 9113 6.5.2 list size: (7+3) + (7+4) + (5+1) + (10+15) + 4 * 32 */
	CHECK_EQ_INT(hd.list_size, 10 + 11 + 6 + 25 + 128);

	CHECK_EQ_INT(dec_hex(&h, b2, &hd), FT_OK);
	CHECK_EQ_STR(sv(&hd.authority), "www.example.com"); /* index 62, from the table */
	CHECK_EQ_INT(hd.n_fields, 5);
	CHECK_EQ_STR(other(&hd, "cache-control"), "no-cache");

	CHECK_EQ_INT(dec_hex(&h, b3, &hd), FT_OK);
	CHECK_EQ_STR(sv(&hd.scheme), "https");
	CHECK_EQ_STR(sv(&hd.path), "/index.html");
	CHECK_EQ_STR(sv(&hd.authority), "www.example.com"); /* index 63 now */
	CHECK_EQ_STR(other(&hd, "custom-key"), "custom-value");
	CHECK_EQ_STR(other(&hd, "cache-control"), "(absent)");
	CHECK_EQ_INT(h.n_blocks, 3);
	CHECK(h.err == HPACK_OK);
	CHECK(bud.used > 0 && bud.used == h.acct.mem);
	hpack_free(&h);
	CHECK_EQ_INT(bud.used, 0);
}

/*
 * C.5 (no Huffman) and C.6 (Huffman): three responses with a 256-byte
 * table, so the third evicts.  The RFC's encoder starts at 256; here the
 * decoder announces 256 (SETTINGS_HEADER_TABLE_SIZE) and, as RFC 7541 4.2
 * requires after a smaller maximum, the first block starts with a dynamic
 * table size update to 256 (3fe101).
 */
static void responses(const char *b1, const char *b2, const char *b3)
{
	struct hpack_budget bud;
	struct hpack_inflater h;
	char first[512];
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
	CHECK_EQ_INT(hpack_init(&h, &bud), FT_OK);
	hpack_set_table_max(&h, 256);
	CHECK_EQ_INT(h.table_max, 256);

	/* without the size update the decoder refuses the block (nghttp2 enforces 4.2) */
	{
		struct hpack_inflater h2;
		CHECK_EQ_INT(hpack_init(&h2, &bud), FT_OK);
		hpack_set_table_max(&h2, 256);
		CHECK_EQ_INT(dec_hex(&h2, b1, &hd), FT_MALFORMED);
		CHECK(h2.err == HPACK_ERR_COMPRESSION);
		hpack_free(&h2);
	}

	snprintf(first, sizeof first, "3fe101%s", b1);
	CHECK_EQ_INT(dec_hex(&h, first, &hd), FT_OK);
	CHECK_EQ_STR(sv(&hd.status), "302");
	CHECK_EQ_INT(hd.status_code, 302);
	CHECK(!hd.method.present);
	CHECK_EQ_STR(other(&hd, "cache-control"), "private");
	CHECK_EQ_STR(other(&hd, "date"), "Mon, 21 Oct 2013 20:13:21 GMT");
	CHECK_EQ_STR(other(&hd, "location"), "https://www.example.com");
	CHECK_EQ_INT(hd.n_fields, 4);
	CHECK_EQ_INT(hd.n_other, 3);

	CHECK_EQ_INT(dec_hex(&h, b2, &hd), FT_OK);
	CHECK_EQ_INT(hd.status_code, 307);
	CHECK_EQ_STR(other(&hd, "location"), "https://www.example.com");

	CHECK_EQ_INT(dec_hex(&h, b3, &hd), FT_OK);
	CHECK_EQ_INT(hd.status_code, 200);
	CHECK_EQ_STR(other(&hd, "date"), "Mon, 21 Oct 2013 20:13:22 GMT");
	CHECK_EQ_STR(other(&hd, "cache-control"), "private");
	CHECK_EQ_STR(other(&hd, "content-encoding"), "gzip");
	CHECK_EQ_STR(other(&hd, "set-cookie"), "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1");
	CHECK_EQ_INT(hd.n_fields, 6);
	CHECK(h.err == HPACK_OK);
	hpack_free(&h);
	CHECK_EQ_INT(bud.used, 0);
}

#define C31 "828684410f7777772e6578616d706c652e636f6d"
#define C32 "828684be58086e6f2d6361636865"
#define C33 "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565"
#define C41 "828684418cf1e3c2e5f23a6ba0ab90f4ff"
#define C42 "828684be5886a8eb10649cbf"
#define C43 "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf"
#define C51                                                                              \
	"4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a"  \
	"323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d"
#define C52 "4803333037c1c0bf"
#define C53                                                                              \
	"88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a6970" \
	"7738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d61" \
	"67653d333630303b2076657273696f6e3d31"
#define C61                                                                              \
	"488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad" \
	"171863c78f0b97c8e9ae82ae43d3"
#define C62 "4883640effc1c0bf"
#define C63                                                                              \
	"88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2" \
	"e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007"

/* ------------------------------------------------------------------ */
/* Blocks split at every byte                                          */
/* ------------------------------------------------------------------ */

/* C.6.3 after C.6.1 and C.6.2, the third block cut in two at every point
 * (and in one-byte pieces): the same fields as in one piece. */
static void splits(void)
{
	uint8_t b3[512];
	size_t n3 = unhex(C63, b3, sizeof b3);
	struct hpack_budget bud;
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
	for (size_t k = 0; k <= n3 + 1; k++) {
		struct hpack_inflater h;
		enum ft_status st;
		CHECK_EQ_INT(hpack_init(&h, &bud), FT_OK);
		hpack_set_table_max(&h, 256);
		CHECK_EQ_INT(dec_hex(&h, "3fe101" C61, &hd), FT_OK);
		CHECK_EQ_INT(dec_hex(&h, C62, &hd), FT_OK);
		if (k <= n3) {
			st = hpack_decode(&h, b3, k, false, &hd);
			if (st != FT_NEED_MORE)
				CHECK_EQ_INT(st, FT_NEED_MORE);
			st = hpack_decode(&h, b3 + k, n3 - k, true, &hd);
		} else { /* one byte at a time */
			st = FT_NEED_MORE;
			for (size_t i = 0; i < n3 && st == FT_NEED_MORE; i++)
				st = hpack_decode(&h, b3 + i, 1, i + 1 == n3, &hd);
		}
		if (st != FT_OK || hd.status_code != 200 || hd.n_fields != 6 ||
		    strcmp(other(&hd, "set-cookie"),
			   "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1") != 0 ||
		    strcmp(other(&hd, "content-encoding"), "gzip") != 0) {
			fprintf(stderr, "split at %zu: status %d, %u fields\n", k, (int)st, hd.n_fields);
			CHECK(0);
		} else {
			CHECK(1);
		}
		hpack_free(&h);
	}
	CHECK_EQ_INT(bud.used, 0);
}

/* ------------------------------------------------------------------ */
/* Hostile blocks                                                      */
/* ------------------------------------------------------------------ */

static void expect_error(const char *what, const uint8_t *b, size_t n, uint32_t table_max,
			 enum hpack_err want)
{
	struct hpack_budget bud;
	struct hpack_inflater h;
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
	CHECK_EQ_INT(hpack_init(&h, &bud), FT_OK);
	if (table_max)
		hpack_set_table_max(&h, table_max);
	if (hpack_decode(&h, b, n, true, &hd) != FT_MALFORMED || h.err != want) {
		fprintf(stderr, "%s: not the expected error (err %d)\n", what, (int)h.err);
		CHECK(0);
	} else {
		CHECK(1);
	}
	CHECK(h.hd == NULL);             /* gone, its memory given back */
	CHECK_EQ_INT(bud.used, 0);
	CHECK(h.acct.peak <= HPACK_MEM_CAP);
	/* sticky: a good block is refused too */
	CHECK_EQ_INT(dec_hex(&h, C31, &hd), FT_MALFORMED);
	CHECK(h.err == want);
	hpack_free(&h);
	hpack_free(&h); /* twice is fine */
}

static void hostile(void)
{
	uint8_t b[64];
	size_t n;

	/* a dynamic table size update to 4 GB */
	n = pint(b, 0x20, 5, 4294967296ull);
	expect_error("table size update 4 GB", b, n, 0, HPACK_ERR_COMPRESSION);
	/* ... to 100000 after the decoder announced 1 MiB: our cap is 64 KiB */
	n = pint(b, 0x20, 5, 100000);
	expect_error("table size update above the cap", b, n, 1024 * 1024, HPACK_ERR_COMPRESSION);
	/* ... to 5000 while the decoder announced nothing (4096) */
	n = pint(b, 0x20, 5, 5000);
	expect_error("table size update above SETTINGS", b, n, 0, HPACK_ERR_COMPRESSION);
	/* indexed field 9999 (the tables hold 61 + 0) */
	n = pint(b, 0x80, 7, 9999);
	expect_error("index 9999", b, n, 0, HPACK_ERR_COMPRESSION);
	/* index 0 */
	b[0] = 0x80;
	expect_error("index 0", b, 1, 0, HPACK_ERR_COMPRESSION);
	/* a literal name by index 70 (no dynamic entries) */
	n = pint(b, 0x40, 6, 70);
	b[n++] = 0x01, b[n++] = 'x';
	expect_error("name index 70", b, n, 0, HPACK_ERR_COMPRESSION);
	/* bad Huffman: '0' (00000) then 3 bits of padding that are not all ones */
	memcpy(b, "\x00\x01x\x81\x00", 5);
	expect_error("bad Huffman padding", b, 5, 0, HPACK_ERR_COMPRESSION);
	/* Huffman with EOS inside: 30 one-bits */
	memcpy(b, "\x00\x01x\x84\xff\xff\xff\xff", 8);
	expect_error("Huffman EOS", b, 8, 0, HPACK_ERR_COMPRESSION);
	/* a block cut inside a literal, declared final */
	memcpy(b, "\x00\x01x\x05" "ab", 6);
	expect_error("cut literal", b, 6, 0, HPACK_ERR_COMPRESSION);
	/* a size update after a field (RFC 7541 4.2: only at the start) */
	b[0] = 0x82;
	n = 1 + pint(b + 1, 0x20, 5, 100);
	expect_error("late size update", b, n, 0, HPACK_ERR_COMPRESSION);

	/* a 1 MB literal value, given in 16 KiB pieces: refused early, memory bounded */
	{
		static uint8_t big[16384];
		struct hpack_budget bud;
		struct hpack_inflater h;
		enum ft_status st = FT_NEED_MORE;
		size_t fed = 0, total;
		hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
		CHECK_EQ_INT(hpack_init(&h, &bud), FT_OK);
		n = 0;
		b[n++] = 0x00; /* literal without indexing, new name */
		b[n++] = 0x01, b[n++] = 'x';
		n += pint(b + n, 0x00, 7, 1u << 20);
		total = n + (1u << 20);
		st = hpack_decode(&h, b, n, false, &hd);
		memset(big, 'a', sizeof big);
		for (fed = n; fed < total && st == FT_NEED_MORE; fed += sizeof big)
			st = hpack_decode(&h, big, sizeof big, fed + sizeof big >= total, &hd);
		CHECK_EQ_INT(st, FT_MALFORMED);
		CHECK(h.err == HPACK_ERR_COMPRESSION);
		CHECK(fed < total);            /* stopped before the end */
		CHECK(h.acct.peak < 256 * 1024);    /* never held the megabyte */
		CHECK_EQ_INT(bud.used, 0);
		hpack_free(&h);
	}
	/* a 60 KB value (under nghttp2's 64 KiB field limit): decoded, cut to HPACK_OVAL_MAX */
	{
		static uint8_t blk[70000];
		struct hpack_budget bud;
		struct hpack_inflater h;
		hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
		CHECK_EQ_INT(hpack_init(&h, &bud), FT_OK);
		n = 0;
		blk[n++] = 0x88; /* :status 200 */
		blk[n++] = 0x00, blk[n++] = 0x01, blk[n++] = 'x';
		n += pint(blk + n, 0x00, 7, 60000);
		memset(blk + n, 'v', 60000);
		n += 60000;
		CHECK_EQ_INT(hpack_decode(&h, blk, n, true, &hd), FT_OK);
		CHECK_EQ_INT(hd.n_other, 1);
		CHECK(hd.other[0].val_cut && hd.other[0].val_len == HPACK_OVAL_MAX);
		CHECK_EQ_INT(hd.status_code, 200);
		hpack_free(&h);
	}
	/* a path longer than HPACK_VAL_MAX: kept cut, marked */
	{
		static uint8_t blk[2048];
		struct hpack_budget bud;
		struct hpack_inflater h;
		hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
		CHECK_EQ_INT(hpack_init(&h, &bud), FT_OK);
		n = 0;
		blk[n++] = 0x82;
		blk[n++] = 0x04; /* literal without indexing, name :path (index 4) */
		n += pint(blk + n, 0x00, 7, 1000);
		blk[n++] = '/';
		memset(blk + n, 'p', 999);
		n += 999;
		CHECK_EQ_INT(hpack_decode(&h, blk, n, true, &hd), FT_OK);
		CHECK(hd.path.present && hd.path.cut && hd.path.len == HPACK_VAL_MAX);
		CHECK_EQ_STR(sv(&hd.method), "GET");
		hpack_free(&h);
	}
}

/* Pseudo-headers out of place, content-length parsing. */
static void fields(void)
{
	struct hpack_budget bud;
	struct hpack_inflater h;
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
	CHECK_EQ_INT(hpack_init(&h, &bud), FT_OK);
	/* :status 200, content-length: 3000 (literal, name index 28), content-type text/css (31) */
	CHECK_EQ_INT(dec_hex(&h, "880f0d0433303030" "0f1008746578742f637373", &hd), FT_OK);
	CHECK(hd.has_length && hd.length == 3000);
	CHECK_EQ_STR(sv(&hd.content_type), "text/css");
	CHECK_EQ_STR(sv(&hd.content_length), "3000");
	CHECK_EQ_INT(hd.n_other, 2);
	CHECK(!hd.pseudo_bad);
	/* content-length "12a" is kept as a string, not a number; :status after a field */
	CHECK_EQ_INT(dec_hex(&h, "0f0d03313261" "88", &hd), FT_OK);
	CHECK(!hd.has_length && hd.content_length.present);
	CHECK(hd.pseudo_bad);
	/* :status twice */
	CHECK_EQ_INT(dec_hex(&h, "8889", &hd), FT_OK);
	CHECK(hd.pseudo_bad);
	CHECK_EQ_INT(hd.status_code, 200);
	/* an empty block */
	CHECK_EQ_INT(hpack_decode(&h, (const uint8_t *)"", 0, true, &hd), FT_OK);
	CHECK_EQ_INT(hd.n_fields, 0);
	/* more fields than HPACK_MAX_OTHER: counted */
	{
		uint8_t blk[64];
		size_t n = 0;
		for (int i = 0; i < HPACK_MAX_OTHER + 5; i++)
			blk[n++] = 0x80 | 19; /* accept: "" (static index 19) */
		CHECK_EQ_INT(hpack_decode(&h, blk, n, true, &hd), FT_OK);
		CHECK_EQ_INT(hd.n_other, HPACK_MAX_OTHER);
		CHECK_EQ_INT(hd.n_other_dropped, 5);
	}
	hpack_free(&h);
}

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

static void memory(void)
{
	struct hpack_budget bud;
	struct hpack_inflater h, g;

	/* a total too small for even the inflater */
	hpack_budget_init(&bud, 64);
	CHECK_EQ_INT(hpack_init(&h, &bud), FT_UNSUPPORTED);
	CHECK(h.err == HPACK_ERR_MEMORY);
	CHECK(bud.n_refused > 0);
	CHECK_EQ_INT(bud.used, 0);
	hpack_free(&h);

	/* a 64 KiB table filled with small entries stays under HPACK_MEM_CAP */
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
	CHECK_EQ_INT(hpack_init(&h, &bud), FT_OK);
	hpack_set_table_max(&h, 65536);
	{
		uint8_t blk[8];
		size_t n = pint(blk, 0x20, 5, 65536);
		CHECK_EQ_INT(hpack_decode(&h, blk, n, true, &hd), FT_OK);
	}
	for (unsigned i = 0; i < 5000 && h.err == HPACK_OK; i++) {
		/* literal with incremental indexing, new name "a", value 4 digits:
		 * 32 + 1 + 4 = 37 table bytes each, ~1771 entries fit */
		uint8_t blk[16] = { 0x40, 0x01, 'a', 0x04 };
		snprintf((char *)blk + 4, 5, "%04u", i);
		if (hpack_decode(&h, blk, 8, true, &hd) != FT_OK)
			break;
	}
	CHECK(h.err == HPACK_OK);
	CHECK(h.acct.peak <= HPACK_MEM_CAP);
	printf("ok hpack: a full 64 KiB table of 37-byte entries holds %zu bytes (peak %zu)\n",
	       h.acct.mem, h.acct.peak);

	/* a total shared by two inflaters: the second one hits it */
	{
		struct hpack_budget small;
		hpack_budget_init(&small, h.acct.peak / 2);
		hpack_free(&h);
		CHECK_EQ_INT(hpack_init(&h, &small), FT_OK);
		CHECK_EQ_INT(hpack_init(&g, &small), FT_OK);
		hpack_set_table_max(&h, 65536);
		hpack_set_table_max(&g, 65536);
		{
			uint8_t blk[8];
			size_t n = pint(blk, 0x20, 5, 65536);
			CHECK_EQ_INT(hpack_decode(&h, blk, n, true, &hd), FT_OK);
			CHECK_EQ_INT(hpack_decode(&g, blk, n, true, &hd), FT_OK);
		}
		enum ft_status st = FT_OK;
		for (unsigned i = 0; i < 5000 && st == FT_OK; i++) {
			uint8_t blk[16] = { 0x40, 0x01, 'a', 0x04 };
			snprintf((char *)blk + 4, 5, "%04u", i);
			st = hpack_decode(i & 1 ? &g : &h, blk, 8, true, &hd);
		}
		CHECK_EQ_INT(st, FT_MALFORMED);
		CHECK(h.err == HPACK_ERR_MEMORY || g.err == HPACK_ERR_MEMORY);
		CHECK(small.peak <= small.cap);
		CHECK(small.n_refused > 0);
		hpack_free(&h);
		hpack_free(&g);
		CHECK_EQ_INT(small.used, 0);
	}

	/* a new maximum announced in the middle of a block waits for its end */
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
	CHECK_EQ_INT(hpack_init(&h, &bud), FT_OK);
	{
		uint8_t b1[64];
		size_t n1 = unhex(C31, b1, sizeof b1);
		CHECK_EQ_INT(hpack_decode(&h, b1, 5, false, &hd), FT_NEED_MORE);
		hpack_set_table_max(&h, 8192);
		CHECK_EQ_INT(h.table_max, 4096);
		CHECK_EQ_INT(hpack_decode(&h, b1 + 5, n1 - 5, true, &hd), FT_OK);
		CHECK_EQ_INT(h.table_max, 8192);
		CHECK_EQ_STR(sv(&hd.authority), "www.example.com");
	}
	/* lost bytes: sticky */
	hpack_lost(&h);
	CHECK(h.err == HPACK_ERR_LOST);
	CHECK_EQ_INT(dec_hex(&h, C32, &hd), FT_MALFORMED);
	CHECK_EQ_INT(bud.used, 0);
	hpack_free(&h);
	CHECK(hpack_err_name(HPACK_ERR_MEMORY) != NULL && hpack_err_name(HPACK_OK) == NULL);
}

int main(void)
{
	requests(C31, C32, C33);
	requests(C41, C42, C43);
	responses(C51, C52, C53);
	responses(C61, C62, C63);
	splits();
	hostile();
	fields();
	memory();
	return t_done("test_hpack");
}
