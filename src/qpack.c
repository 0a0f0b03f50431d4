/* qpack.c - the adapter over libnghttp3's QPACK decoder: capped memory, sticky errors, blocked blocks, copied fields. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp3/nghttp3.h>

#ifdef FT_NGHTTP3_SONAME
/* nghttp3 is opened the first time a decoder is made (lazylib.h), not at
 * start: its functions are called through pointers of their own types. */
#include "lazylib.h"

#define LZ_FNS(X) \
	X(nghttp3_qpack_decoder_del) \
	X(nghttp3_qpack_decoder_get_decoder_streamlen) \
	X(nghttp3_qpack_decoder_get_icnt) \
	X(nghttp3_qpack_decoder_new) \
	X(nghttp3_qpack_decoder_read_encoder) \
	X(nghttp3_qpack_decoder_read_request) \
	X(nghttp3_qpack_decoder_set_max_concurrent_streams) \
	X(nghttp3_qpack_decoder_write_decoder) \
	X(nghttp3_qpack_stream_context_del) \
	X(nghttp3_qpack_stream_context_get_ricnt) \
	X(nghttp3_qpack_stream_context_new) \
	X(nghttp3_qpack_stream_context_reset) \
	X(nghttp3_rcbuf_decref) \
	X(nghttp3_rcbuf_get_buf)

LAZYLIB_DEFINE(FT_NGHTTP3_SONAME, "HTTP/3 header blocks not decoded")
#define LZ_READY() lazylib_load(&lz_lib)

#define nghttp3_qpack_decoder_del (*lz_nghttp3_qpack_decoder_del)
#define nghttp3_qpack_decoder_get_decoder_streamlen (*lz_nghttp3_qpack_decoder_get_decoder_streamlen)
#define nghttp3_qpack_decoder_get_icnt (*lz_nghttp3_qpack_decoder_get_icnt)
#define nghttp3_qpack_decoder_new (*lz_nghttp3_qpack_decoder_new)
#define nghttp3_qpack_decoder_read_encoder (*lz_nghttp3_qpack_decoder_read_encoder)
#define nghttp3_qpack_decoder_read_request (*lz_nghttp3_qpack_decoder_read_request)
#define nghttp3_qpack_decoder_set_max_concurrent_streams (*lz_nghttp3_qpack_decoder_set_max_concurrent_streams)
#define nghttp3_qpack_decoder_write_decoder (*lz_nghttp3_qpack_decoder_write_decoder)
#define nghttp3_qpack_stream_context_del (*lz_nghttp3_qpack_stream_context_del)
#define nghttp3_qpack_stream_context_get_ricnt (*lz_nghttp3_qpack_stream_context_get_ricnt)
#define nghttp3_qpack_stream_context_new (*lz_nghttp3_qpack_stream_context_new)
#define nghttp3_qpack_stream_context_reset (*lz_nghttp3_qpack_stream_context_reset)
#define nghttp3_rcbuf_decref (*lz_nghttp3_rcbuf_decref)
#define nghttp3_rcbuf_get_buf (*lz_nghttp3_rcbuf_get_buf)
#else
#define LZ_READY() true
#endif

#include "qpack.h"

#define QPACK_ENTRY_COST 160      /* bytes an entry may take (its struct, two buffers, our headers) */
#define QPACK_ENCODER_SLICE 1024  /* encoder stream bytes given to nghttp3 at once */

/*
 * libnghttp3 does the QPACK (RFC 9204): prefix integers, Huffman, the
 * static and dynamic tables, the encoder stream's instructions, Required
 * Insert Count and Base.  This file only
 *   - counts what it allocates (nghttp3_mem) and refuses beyond the caps,
 *   - creates the decoder with the capacity the decoding side announced,
 *     never above QPACK_TABLE_CAP (a Set Dynamic Table Capacity above it,
 *     a 4 GB one included, fails inside nghttp3 as an encoder stream
 *     error),
 *   - keeps a copy of each blocked block (at most blocked_max of them)
 *     and decodes it again from its start once the inserts it needs are
 *     in (nghttp3 leaves the holding of blocked bytes to its caller),
 *   - drains what nghttp3 would send on the decoder stream (we only
 *     watch: the bytes go nowhere, but must not pile up),
 *   - copies the fields fetchtrace uses into struct hpack_headers
 *     (hpack_headers_add, as for HTTP/2).
 *
 * The allocator's user data is the decoder's struct mem_account
 * (membudget.c), so the struct qpack_decoder must not move between
 * qpack_init and qpack_free.
 */

/* ------------------------------------------------------------------ */
/* Counted memory                                                      */
/* ------------------------------------------------------------------ */

_Static_assert(sizeof(nghttp3_mem) <= sizeof(((struct qpack_decoder *)0)->mem_fns),
	       "struct qpack_decoder has room for an nghttp3_mem");

/*
 * The caps are enforced before each call into nghttp3 (room_for): nghttp3
 * 0.8 does not always survive an allocation refused in the middle of an
 * instruction (a NOMEM path leaves a reference count it later asserts on),
 * so a refusal inside the library (membudget.c) is only the backstop, at
 * twice the caps, for an estimate that would be wrong.  After such a
 * refusal (acct.capped) the library's decoder is abandoned, not freed (its
 * memory stays counted).
 */

/* Is there room, under both caps, for what one call may allocate? */
static bool room_for(struct qpack_decoder *q, size_t need)
{
	struct hpack_budget *b = q->acct.budget;
	size_t mem = q->acct.mem;

	if (need > QPACK_MEM_CAP - (mem < QPACK_MEM_CAP ? mem : QPACK_MEM_CAP) ||
	    b->used > b->cap || need > b->cap - b->used) {
		if (b->n_refused < UINT32_MAX)
			b->n_refused++;
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* The decoder                                                         */
/* ------------------------------------------------------------------ */

static void held_drop(struct qpack_decoder *q, struct qpack_held *h)
{
	if (!h->used)
		return;
	mem_account_free(h->block, &q->acct);
	memset(h, 0, sizeof *h);
	q->n_held--;
}

static void fail(struct qpack_decoder *q, enum qpack_err e)
{
	if (q->err == QPACK_OK)
		q->err = e;
	for (unsigned i = 0; i < QPACK_BLOCKED_CAP; i++)
		held_drop(q, &q->held[i]);
	if (q->acct.capped) {
		/* See room_for: not safe to free; its bytes stay counted. */
		q->sctx = NULL;
		q->dec = NULL;
		return;
	}
	if (q->sctx) {
		nghttp3_qpack_stream_context_del(q->sctx);
		q->sctx = NULL;
	}
	if (q->dec) {
		nghttp3_qpack_decoder_del(q->dec);
		q->dec = NULL;
	}
}

enum ft_status qpack_init(struct qpack_decoder *q, struct hpack_budget *budget,
			  uint64_t max_table_capacity, uint64_t max_blocked)
{
	nghttp3_mem mem = { &q->acct, mem_account_malloc, mem_account_free, mem_account_calloc,
			    mem_account_realloc };
	nghttp3_qpack_decoder *dec = NULL;
	nghttp3_qpack_stream_context *sctx = NULL;

	memset(q, 0, sizeof *q);
	memcpy(q->mem_fns, &mem, sizeof mem);
	q->acct.budget = budget;
	q->acct.cap = 2 * (size_t)QPACK_MEM_CAP;
	q->acct.over = QPACK_MEM_CAP;
	q->table_capped = max_table_capacity > QPACK_TABLE_CAP;
	q->table_max = q->table_capped ? QPACK_TABLE_CAP : (uint32_t)max_table_capacity;
	q->blocked_max = max_blocked > QPACK_BLOCKED_CAP ? QPACK_BLOCKED_CAP : (uint32_t)max_blocked;
	if (!room_for(q, 8192)) {
		q->err = QPACK_ERR_MEMORY;
		return FT_UNSUPPORTED;
	}
	if (!LZ_READY() || nghttp3_qpack_decoder_new(&dec, q->table_max, q->blocked_max,
				      (const nghttp3_mem *)(void *)q->mem_fns) != 0) {
		q->err = q->acct.refused ? QPACK_ERR_MEMORY : QPACK_ERR_INIT;
		return FT_UNSUPPORTED;
	}
	q->dec = dec;
	if (nghttp3_qpack_stream_context_new(&sctx, 0, (const nghttp3_mem *)(void *)q->mem_fns) != 0) {
		fail(q, q->acct.refused ? QPACK_ERR_MEMORY : QPACK_ERR_INIT);
		return FT_UNSUPPORTED;
	}
	q->sctx = sctx;
	/* Bounds what the decoder stream may hold between our drains. */
	nghttp3_qpack_decoder_set_max_concurrent_streams(dec, 256);
	return FT_OK;
}

void qpack_free(struct qpack_decoder *q)
{
	enum qpack_err e = q->err;
	fail(q, QPACK_OK);
	q->err = e;
}

bool qpack_ok(const struct qpack_decoder *q)
{
	return q->dec != NULL && q->err == QPACK_OK;
}

void qpack_lost(struct qpack_decoder *q)
{
	fail(q, QPACK_ERR_LOST);
}

uint64_t qpack_insert_count(const struct qpack_decoder *q)
{
	return q->dec ? nghttp3_qpack_decoder_get_icnt(q->dec) : 0;
}

/* What nghttp3 would send on the decoder stream (Section Acknowledgment,
 * Insert Count Increment, Stream Cancellation): written out and dropped. */
static void drain_decoder_stream(struct qpack_decoder *q)
{
	uint8_t scratch[256];
	nghttp3_buf b;
	size_t n;

	if (q->dec == NULL)
		return;
	n = nghttp3_qpack_decoder_get_decoder_streamlen(q->dec);
	if (n == 0)
		return;
	if (n > sizeof scratch) {
		/* Cannot happen with the drains after each call (a few
		 * varints); refuse to grow without bound rather than overrun. */
		fail(q, QPACK_ERR_MEMORY);
		return;
	}
	b.begin = b.pos = b.last = scratch;
	b.end = scratch + sizeof scratch;
	nghttp3_qpack_decoder_write_decoder(q->dec, &b);
}

static enum qpack_err lib_err(struct qpack_decoder *q, nghttp3_ssize rv, enum qpack_err dflt)
{
	if (q->acct.refused || rv == NGHTTP3_ERR_NOMEM)
		return QPACK_ERR_MEMORY;
	return dflt;
}

enum ft_status qpack_encoder(struct qpack_decoder *q, const uint8_t *data, size_t len)
{
	if (!qpack_ok(q)) {
		if (q->err == QPACK_OK)
			q->err = QPACK_ERR_INIT;
		return FT_MALFORMED;
	}
	/* In slices, so that the room asked for does not grow with what the
	 * caller hands at once (nghttp3 reads the encoder stream in pieces). */
	while (len > 0) {
		size_t k = len < QPACK_ENCODER_SLICE ? len : QPACK_ENCODER_SLICE;
		nghttp3_ssize rv;

		/* At most: a string of the table's capacity in work, each
		 * byte's worth of strings, and an entry per instruction byte. */
		if (!room_for(q, q->table_max + QPACK_ENTRY_COST * k + 8192)) {
			fail(q, QPACK_ERR_MEMORY);
			return FT_MALFORMED;
		}
		q->acct.refused = false;
		rv = nghttp3_qpack_decoder_read_encoder(q->dec, data, k);
		if (rv < 0 || (size_t)rv != k) {
			fail(q, lib_err(q, rv, QPACK_ERR_ENCODER_STREAM));
			return FT_MALFORMED;
		}
		q->n_encoder_bytes += k;
		drain_decoder_stream(q);
		if (!qpack_ok(q))
			return FT_MALFORMED;
		data += k;
		len -= k;
	}
	return FT_OK;
}

/* Decode block into out from its first byte; FT_OK, FT_NEED_MORE (blocked: *ricnt), FT_MALFORMED. */
static enum ft_status run_block(struct qpack_decoder *q, const uint8_t *block, size_t len,
				struct hpack_headers *out, uint64_t *ricnt)
{
	static const uint8_t none[1];
	size_t left = len, rounds;

	if (block == NULL)
		block = none, len = left = 0;
	hpack_headers_clear(out);
	/* At most the block's strings (Huffman: 8/5 of their bytes) at once. */
	if (len > QPACK_MEM_CAP || !room_for(q, 2 * len + 8192)) {
		fail(q, QPACK_ERR_MEMORY);
		return FT_MALFORMED;
	}
	nghttp3_qpack_stream_context_reset(q->sctx);
	q->acct.refused = false;
	/* Each round consumes input or emits a field, and a field takes at
	 * least one byte: len + 2 rounds are enough. */
	for (rounds = 0; rounds <= len + 2; rounds++) {
		nghttp3_qpack_nv nv;
		uint8_t flags = 0;
		nghttp3_ssize rv = nghttp3_qpack_decoder_read_request(q->dec, q->sctx, &nv, &flags,
								      block, left, 1);
		if (rv < 0 || (size_t)rv > left) {
			fail(q, lib_err(q, rv, QPACK_ERR_DECOMPRESSION));
			return FT_MALFORMED;
		}
		block += rv;
		left -= (size_t)rv;
		if (flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
			nghttp3_vec n = nghttp3_rcbuf_get_buf(nv.name);
			nghttp3_vec v = nghttp3_rcbuf_get_buf(nv.value);
			hpack_headers_add(out, n.base, n.len, v.base, v.len);
			nghttp3_rcbuf_decref(nv.name);
			nghttp3_rcbuf_decref(nv.value);
		}
		if (flags & NGHTTP3_QPACK_DECODE_FLAG_FINAL) {
			if (q->n_blocks < UINT32_MAX)
				q->n_blocks++;
			drain_decoder_stream(q);
			return qpack_ok(q) ? FT_OK : FT_MALFORMED;
		}
		if (flags & NGHTTP3_QPACK_DECODE_FLAG_BLOCKED) {
			*ricnt = nghttp3_qpack_stream_context_get_ricnt(q->sctx);
			return FT_NEED_MORE;
		}
		if (!(flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) && rv == 0)
			break;
	}
	/* The whole block was given and did not end it (a field cut short). */
	fail(q, QPACK_ERR_DECOMPRESSION);
	return FT_MALFORMED;
}

enum ft_status qpack_decode(struct qpack_decoder *q, int64_t stream_id, uint32_t tag,
			    const uint8_t *block, size_t len, struct hpack_headers *out)
{
	struct qpack_held *h = NULL;
	enum ft_status st;
	uint64_t ricnt = 0;

	hpack_headers_clear(out);
	if (!qpack_ok(q)) {
		if (q->err == QPACK_OK)
			q->err = QPACK_ERR_INIT;
		return FT_MALFORMED;
	}
	st = run_block(q, block, len, out, &ricnt);
	if (st != FT_NEED_MORE)
		return st;
	/* Blocked (RFC 9204 2.1.2): keep the block, or fail as the RFC says. */
	if (q->n_blocked_ever < UINT32_MAX)
		q->n_blocked_ever++;
	qpack_cancel(q, stream_id); /* a stream has one blocked block at most */
	if (q->n_held >= q->blocked_max || len > QPACK_HELD_MAX) {
		fail(q, QPACK_ERR_BLOCKED);
		return FT_MALFORMED;
	}
	for (unsigned i = 0; i < QPACK_BLOCKED_CAP; i++)
		if (!q->held[i].used) {
			h = &q->held[i];
			break;
		}
	if (h == NULL) {
		fail(q, QPACK_ERR_BLOCKED);
		return FT_MALFORMED;
	}
	q->acct.refused = false;
	if (!room_for(q, len + 64)) {
		fail(q, QPACK_ERR_MEMORY);
		return FT_MALFORMED;
	}
	h->block = mem_account_malloc(len ? len : 1, &q->acct);
	if (h->block == NULL) {
		fail(q, QPACK_ERR_MEMORY);
		return FT_MALFORMED;
	}
	if (len)
		memcpy(h->block, block, len);
	h->used = true;
	h->stream_id = stream_id;
	h->ricnt = ricnt;
	h->tag = tag;
	h->len = len;
	q->n_held++;
	hpack_headers_clear(out);
	return FT_NEED_MORE;
}

bool qpack_next_unblocked(struct qpack_decoder *q, int64_t *stream_id, uint32_t *tag,
			  enum ft_status *st, struct hpack_headers *out)
{
	uint64_t icnt;
	struct qpack_held *best = NULL;

	if (!qpack_ok(q) || q->n_held == 0)
		return false;
	icnt = nghttp3_qpack_decoder_get_icnt(q->dec);
	/* The oldest insert requirement first, then the lower stream. */
	for (unsigned i = 0; i < QPACK_BLOCKED_CAP; i++) {
		struct qpack_held *h = &q->held[i];
		if (!h->used || h->ricnt > icnt)
			continue;
		if (best == NULL || h->ricnt < best->ricnt ||
		    (h->ricnt == best->ricnt && h->stream_id < best->stream_id))
			best = h;
	}
	if (best == NULL)
		return false;
	{
		uint64_t ricnt = 0;
		*stream_id = best->stream_id;
		*tag = best->tag;
		*st = run_block(q, best->block, best->len, out, &ricnt);
		if (*st == FT_NEED_MORE) { /* cannot be: icnt >= ricnt */
			fail(q, QPACK_ERR_DECOMPRESSION);
			*st = FT_MALFORMED;
		}
		if (best->used) /* fail() may have dropped it already */
			held_drop(q, best);
	}
	return true;
}

void qpack_cancel(struct qpack_decoder *q, int64_t stream_id)
{
	for (unsigned i = 0; i < QPACK_BLOCKED_CAP; i++)
		if (q->held[i].used && q->held[i].stream_id == stream_id)
			held_drop(q, &q->held[i]);
}

const char *qpack_err_name(enum qpack_err e)
{
	switch (e) {
	case QPACK_OK: return NULL;
	case QPACK_ERR_DECOMPRESSION: return "QPACK decompression failed";
	case QPACK_ERR_ENCODER_STREAM: return "QPACK encoder stream error";
	case QPACK_ERR_BLOCKED: return "QPACK blocked streams above the limit";
	case QPACK_ERR_MEMORY: return "QPACK memory cap reached";
	case QPACK_ERR_LOST: return "QPACK encoder stream lost";
	case QPACK_ERR_INIT: return "QPACK decoder not created";
	}
	return NULL;
}
