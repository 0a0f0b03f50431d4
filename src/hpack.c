/* hpack.c - the adapter over libnghttp2's HPACK inflater: capped memory, sticky errors, copied fields. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#ifdef FT_NGHTTP2_SONAME
/* nghttp2 is opened the first time a decoder is made (lazylib.h), not at
 * start: its functions are called through pointers of their own types. */
#include "lazylib.h"

#define LZ_FNS(X) \
	X(nghttp2_hd_inflate_change_table_size) \
	X(nghttp2_hd_inflate_del) \
	X(nghttp2_hd_inflate_end_headers) \
	X(nghttp2_hd_inflate_hd2) \
	X(nghttp2_hd_inflate_new2)

LAZYLIB_DEFINE(FT_NGHTTP2_SONAME, "HTTP/2 header blocks not decoded")
#define LZ_READY() lazylib_load(&lz_lib)

#define nghttp2_hd_inflate_change_table_size (*lz_nghttp2_hd_inflate_change_table_size)
#define nghttp2_hd_inflate_del (*lz_nghttp2_hd_inflate_del)
#define nghttp2_hd_inflate_end_headers (*lz_nghttp2_hd_inflate_end_headers)
#define nghttp2_hd_inflate_hd2 (*lz_nghttp2_hd_inflate_hd2)
#define nghttp2_hd_inflate_new2 (*lz_nghttp2_hd_inflate_new2)
#else
#define LZ_READY() true
#endif

#include "hpack.h"

/*
 * libnghttp2 does the HPACK (RFC 7541): integers, Huffman, the static and
 * dynamic tables, size updates and their limits.  This file only
 *   - counts what it allocates (nghttp2_mem) and refuses beyond the caps,
 *   - tells it the SETTINGS_HEADER_TABLE_SIZE the decoder announced,
 *     never above HPACK_TABLE_CAP (so a size update above that, a 4 GB one
 *     included, fails inside nghttp2 as a compression error),
 *   - copies the fields fetchtrace uses into struct hpack_headers.
 * nghttp2 itself refuses a field whose name and value exceed 64 KiB
 * (NGHTTP2_HD_MAX_NV) and an index past the tables.
 *
 * The allocator's user data is the inflater's struct mem_account
 * (membudget.c), so the struct hpack_inflater must not move between
 * hpack_init and hpack_free.
 */

/* ------------------------------------------------------------------ */
/* Counted memory                                                      */
/* ------------------------------------------------------------------ */

_Static_assert(sizeof(nghttp2_mem) <= sizeof(((struct hpack_inflater *)0)->mem_fns),
	       "struct hpack_inflater has room for an nghttp2_mem");

void hpack_budget_init(struct hpack_budget *b, size_t cap)
{
	memset(b, 0, sizeof *b);
	b->cap = cap;
}

/* ------------------------------------------------------------------ */
/* The inflater                                                        */
/* ------------------------------------------------------------------ */

static void fail(struct hpack_inflater *h, enum hpack_err e)
{
	if (h->err == HPACK_OK)
		h->err = e;
	if (h->hd) {
		nghttp2_hd_inflate_del(h->hd);
		h->hd = NULL;
	}
	h->in_block = false;
}

enum ft_status hpack_init(struct hpack_inflater *h, struct hpack_budget *budget)
{
	nghttp2_mem mem = { &h->acct, mem_account_malloc, mem_account_free, mem_account_calloc,
			    mem_account_realloc };
	nghttp2_hd_inflater *hd = NULL;

	memset(h, 0, sizeof *h);
	/* nghttp2 1.52 keeps the pointer it is given (its doc says otherwise):
	 * the functions live in the struct, as long as the inflater. */
	memcpy(h->mem_fns, &mem, sizeof mem);
	h->acct.budget = budget;
	h->acct.cap = HPACK_MEM_CAP;
	h->table_max = NGHTTP2_DEFAULT_HEADER_TABLE_SIZE;
	h->table_pending = UINT32_MAX;
	if (!LZ_READY() || nghttp2_hd_inflate_new2(&hd, (nghttp2_mem *)(void *)h->mem_fns) != 0) {
		h->err = h->acct.refused ? HPACK_ERR_MEMORY : HPACK_ERR_INIT;
		return FT_UNSUPPORTED;
	}
	h->hd = hd;
	return FT_OK;
}

void hpack_free(struct hpack_inflater *h)
{
	if (h->hd) {
		nghttp2_hd_inflate_del(h->hd);
		h->hd = NULL;
	}
	h->in_block = false;
}

void hpack_lost(struct hpack_inflater *h)
{
	fail(h, HPACK_ERR_LOST);
}

static void apply_table_max(struct hpack_inflater *h, uint32_t v)
{
	h->table_pending = UINT32_MAX;
	h->table_capped = v > HPACK_TABLE_CAP;
	if (h->table_capped)
		v = HPACK_TABLE_CAP;
	h->table_max = v;
	if (h->hd == NULL)
		return;
	h->acct.refused = false;
	/* Between blocks this only fails for memory (shrinking the table). */
	if (nghttp2_hd_inflate_change_table_size(h->hd, v) != 0)
		fail(h, h->acct.refused ? HPACK_ERR_MEMORY : HPACK_ERR_COMPRESSION);
}

void hpack_set_table_max(struct hpack_inflater *h, uint32_t settings_value)
{
	if (h->in_block)
		h->table_pending = settings_value; /* nghttp2 takes it only between blocks */
	else
		apply_table_max(h, settings_value);
}

/* ------------------------------------------------------------------ */
/* Fields                                                              */
/* ------------------------------------------------------------------ */

void hpack_headers_clear(struct hpack_headers *out)
{
	memset(out, 0, offsetof(struct hpack_headers, other));
}

static bool name_is(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	return n == k && memcmp(p, s, k) == 0;
}

/* Keep the first occurrence; a repeat of a pseudo-header is flagged. */
static void str_set(struct hpack_str *s, const uint8_t *p, size_t n, bool *repeat)
{
	size_t k = n < HPACK_VAL_MAX ? n : HPACK_VAL_MAX;
	if (s->present) {
		if (repeat)
			*repeat = true;
		return;
	}
	s->present = true;
	s->cut = n > HPACK_VAL_MAX;
	s->len = (uint16_t)k;
	if (k)
		memcpy(s->b, p, k);
}

static void parse_status(struct hpack_headers *o)
{
	const struct hpack_str *s = &o->status;
	if (s->len == 3 && !s->cut && s->b[0] >= '1' && s->b[0] <= '9' && s->b[1] >= '0' &&
	    s->b[1] <= '9' && s->b[2] >= '0' && s->b[2] <= '9')
		o->status_code = (uint16_t)((s->b[0] - '0') * 100 + (s->b[1] - '0') * 10 + (s->b[2] - '0'));
}

/* content-length = 1*DIGIT (RFC 9110 8.6), at most 2^62. */
static void parse_length(struct hpack_headers *o, const uint8_t *v, size_t n)
{
	uint64_t x = 0;
	size_t i;
	if (n == 0 || n > 19)
		return;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x > (1ull << 62))
		return;
	o->has_length = true;
	o->length = x;
}

void hpack_headers_add(struct hpack_headers *o, const uint8_t *nm, size_t nl, const uint8_t *v,
		       size_t vl)
{
	uint64_t sz;

	if (o->n_fields < UINT16_MAX)
		o->n_fields++;
	sz = (uint64_t)o->list_size + nl + vl + 32;
	o->list_size = sz > UINT32_MAX ? UINT32_MAX : (uint32_t)sz;

	if (nl > 0 && nm[0] == ':') {
		bool repeat = false;
		if (o->n_other > 0 || o->n_other_dropped > 0)
			o->pseudo_bad = true; /* RFC 9113 8.3: pseudo-headers come first */
		if (name_is(nm, nl, ":method"))
			str_set(&o->method, v, vl, &repeat);
		else if (name_is(nm, nl, ":scheme"))
			str_set(&o->scheme, v, vl, &repeat);
		else if (name_is(nm, nl, ":authority"))
			str_set(&o->authority, v, vl, &repeat);
		else if (name_is(nm, nl, ":path"))
			str_set(&o->path, v, vl, &repeat);
		else if (name_is(nm, nl, ":status")) {
			str_set(&o->status, v, vl, &repeat);
			parse_status(o);
		} else if (!name_is(nm, nl, ":protocol")) /* RFC 8441 extended CONNECT */
			o->pseudo_bad = true;
		if (repeat)
			o->pseudo_bad = true;
		return;
	}
	if (name_is(nm, nl, "content-type"))
		str_set(&o->content_type, v, vl, NULL);
	else if (name_is(nm, nl, "content-length") && !o->content_length.present) {
		str_set(&o->content_length, v, vl, NULL);
		parse_length(o, v, vl);
	}
	if (o->n_other >= HPACK_MAX_OTHER) {
		if (o->n_other_dropped < UINT16_MAX)
			o->n_other_dropped++;
		return;
	}
	{
		struct hpack_field *f = &o->other[o->n_other++];
		size_t kn = nl < HPACK_NAME_MAX ? nl : HPACK_NAME_MAX;
		size_t kv = vl < HPACK_OVAL_MAX ? vl : HPACK_OVAL_MAX;
		f->name_len = (uint8_t)kn;
		f->val_len = (uint8_t)kv;
		f->name_cut = nl > HPACK_NAME_MAX;
		f->val_cut = vl > HPACK_OVAL_MAX;
		if (kn)
			memcpy(f->name, nm, kn);
		if (kv)
			memcpy(f->val, v, kv);
	}
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

enum ft_status hpack_decode(struct hpack_inflater *h, const uint8_t *block, size_t len,
			    bool final, struct hpack_headers *out)
{
	static const uint8_t none[1];
	size_t left, rounds;

	if (block == NULL) /* the end of a block with no more bytes */
		block = none, len = 0;
	left = len;
	if (!h->in_block)
		hpack_headers_clear(out);
	if (h->err != HPACK_OK || h->hd == NULL) {
		if (h->err == HPACK_OK)
			h->err = HPACK_ERR_INIT;
		return FT_MALFORMED;
	}
	h->in_block = true;
	h->acct.refused = false;
	/* Each round consumes input or emits a field, and a field takes at
	 * least one byte of input: len + 2 rounds are enough. */
	for (rounds = 0; rounds <= len + 2; rounds++) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(h->hd, &nv, &flags, block, left, final ? 1 : 0);
		if (rv < 0 || (size_t)rv > left) {
			fail(h, h->acct.refused || rv == NGHTTP2_ERR_NOMEM ? HPACK_ERR_MEMORY
								       : HPACK_ERR_COMPRESSION);
			return FT_MALFORMED;
		}
		block += rv;
		left -= (size_t)rv;
		if (flags & NGHTTP2_HD_INFLATE_EMIT)
			hpack_headers_add(out, nv.name, nv.namelen, nv.value, nv.valuelen);
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(h->hd);
			h->in_block = false;
			if (h->n_blocks < UINT32_MAX)
				h->n_blocks++;
			if (h->table_pending != UINT32_MAX)
				apply_table_max(h, h->table_pending);
			return h->err == HPACK_OK ? FT_OK : FT_MALFORMED;
		}
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && (left == 0 || rv == 0))
			break;
	}
	if (final || left != 0) {
		/* final input that did not end the block (a field cut short) */
		fail(h, HPACK_ERR_COMPRESSION);
		return FT_MALFORMED;
	}
	return FT_NEED_MORE;
}

const char *hpack_err_name(enum hpack_err e)
{
	switch (e) {
	case HPACK_OK: return NULL;
	case HPACK_ERR_COMPRESSION: return "HPACK compression error";
	case HPACK_ERR_MEMORY: return "HPACK memory cap reached";
	case HPACK_ERR_LOST: return "HPACK state lost";
	case HPACK_ERR_INIT: return "HPACK inflater not created";
	}
	return NULL;
}

const struct hpack_field *hpack_field_find(const struct hpack_headers *h, const char *name)
{
	size_t n = strlen(name);
	for (unsigned i = 0; i < h->n_other && i < HPACK_MAX_OTHER; i++)
		if (h->other[i].name_len == n && memcmp(h->other[i].name, name, n) == 0)
			return &h->other[i];
	return NULL;
}
