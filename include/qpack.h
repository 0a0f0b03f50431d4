/* qpack.h - QPACK header blocks (RFC 9204) through libnghttp3's decoder, into struct hpack_headers. */
#ifndef FT_QPACK_H
#define FT_QPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hpack.h"
#include "status.h"

/*
 * One struct qpack_decoder per direction per HTTP/3 connection: it owns
 * one nghttp3 QPACK decoder (the dynamic table the peer's encoder stream
 * builds) and decodes the header blocks that peer sends on its request
 * (or push) streams.  The output is struct hpack_headers, the same as
 * HTTP/2's, so the output layer prints both the same way.
 *
 * The decoder is created with the SETTINGS_QPACK_MAX_TABLE_CAPACITY and
 * SETTINGS_QPACK_BLOCKED_STREAMS the *decoding* side announced (the
 * capacity also fixes how a block's Required Insert Count is encoded,
 * RFC 9204 4.5.1.1, so it must be the announced value), capped at
 * QPACK_TABLE_CAP and QPACK_BLOCKED_CAP.  A peer announcing more than our
 * cap is noted (table_capped): its encoder may then use a table we do
 * not follow, and the blocks that need it fail as marked errors.
 *
 * Memory: every byte nghttp3 allocates (the table, a string in work, the
 * per-block state) and the copies of blocked blocks go through our
 * allocator, counted against QPACK_MEM_CAP and the caller's struct
 * hpack_budget (shared with the HPACK inflaters).
 *
 * Errors are sticky: an encoder stream instruction that does not decode,
 * a block that does not decompress, a refused allocation, lost encoder
 * stream bytes, or more blocked streams than allowed leave the table
 * unknown (RFC 9204 treats each as a connection error), so the decoder is
 * freed and every later block is FT_MALFORMED at once.  A header block
 * the caller skips (too large to collect, lost) costs nothing: blocks do
 * not change the dynamic table.
 *
 * Blocked blocks (RFC 9204 2.1.2): a block whose Required Insert Count
 * is above the inserts received so far is copied (counted) and kept;
 * qpack_encoder then decodes it when the encoder stream has delivered
 * the entries, and qpack_next_unblocked hands it out.
 */

#define QPACK_TABLE_CAP 65536u        /* SETTINGS_QPACK_MAX_TABLE_CAPACITY followed at most */
#define QPACK_BLOCKED_CAP 16u         /* SETTINGS_QPACK_BLOCKED_STREAMS followed at most */
#define QPACK_MEM_CAP (1024u * 1024)  /* bytes one decoder may hold */
#define QPACK_HELD_MAX (16u * 1024)   /* bytes of one blocked block kept */

enum qpack_err {
	QPACK_OK = 0,
	QPACK_ERR_DECOMPRESSION,  /* a block that does not decode: an index out of range, bad
	                             Huffman, a Required Insert Count that cannot be ... */
	QPACK_ERR_ENCODER_STREAM, /* an encoder stream instruction that does not decode: a capacity
	                             above the announced one, a reference out of range ... */
	QPACK_ERR_BLOCKED,        /* more blocked streams than SETTINGS_QPACK_BLOCKED_STREAMS, or a
	                             blocked block too large to keep */
	QPACK_ERR_MEMORY,         /* refused by the per-decoder or the total memory cap */
	QPACK_ERR_LOST,           /* encoder stream bytes were lost: the table is unknown */
	QPACK_ERR_INIT,           /* the decoder could not be created */
};

struct nghttp3_qpack_decoder;        /* libnghttp3's, never touched outside qpack.c */
struct nghttp3_qpack_stream_context;

/* A block waiting for encoder stream inserts. */
struct qpack_held {
	bool used;
	int64_t stream_id;
	uint64_t ricnt;               /* Required Insert Count */
	uint32_t tag;                 /* the caller's (e.g. which kind of block) */
	uint8_t *block;               /* the whole block (counted allocation) */
	size_t len;
};

struct qpack_decoder {
	struct nghttp3_qpack_decoder *dec;           /* NULL before init and after a sticky error */
	struct nghttp3_qpack_stream_context *sctx;   /* reused for every block */
	void *mem_fns[5];             /* the nghttp3_mem nghttp3 keeps a pointer to */
	struct mem_account acct;      /* its bytes, against the caps and the shared total;
	                                 refused: an allocation was refused during this call;
	                                 capped: nghttp3 refused mid-call, its decoder is not freed */
	enum qpack_err err;           /* sticky */
	uint32_t table_max;           /* capacity the decoder follows (capped) */
	uint32_t blocked_max;         /* blocked streams allowed (capped) */
	bool table_capped;            /* the announced capacity was above QPACK_TABLE_CAP */
	uint32_t n_blocks;            /* blocks decoded */
	uint32_t n_blocked_ever;      /* blocks that had to wait */
	uint64_t n_encoder_bytes;     /* encoder stream bytes read */
	uint8_t n_held;
	struct qpack_held held[QPACK_BLOCKED_CAP];
};

/*
 * Create the decoder with the decoding side's announced
 * SETTINGS_QPACK_MAX_TABLE_CAPACITY and SETTINGS_QPACK_BLOCKED_STREAMS
 * (0 and 0 when it announced none).  FT_OK, or FT_UNSUPPORTED (err INIT
 * or MEMORY).  The struct must not move until qpack_free.
 */
enum ft_status qpack_init(struct qpack_decoder *q, struct hpack_budget *budget,
			  uint64_t max_table_capacity, uint64_t max_blocked);

/* Free the decoder and the held blocks (memory back to the budget).  Safe twice. */
void qpack_free(struct qpack_decoder *q);

/* Is the decoder usable (created, no sticky error)? */
bool qpack_ok(const struct qpack_decoder *q);

/*
 * Bytes of the peer's encoder stream, in order, cut anywhere.  FT_OK, or
 * FT_MALFORMED (sticky).  Afterwards, blocks that the new inserts
 * unblocked are ready for qpack_next_unblocked.
 */
enum ft_status qpack_encoder(struct qpack_decoder *q, const uint8_t *data, size_t len);

/* Encoder stream bytes were lost: sticky QPACK_ERR_LOST. */
void qpack_lost(struct qpack_decoder *q);

/*
 * Decode one whole header block (a HEADERS frame's payload) sent on
 * stream_id into *out (cleared first).  FT_OK decoded; FT_NEED_MORE
 * blocked: the block was copied and waits (tag is given back with it);
 * FT_MALFORMED (q->err says which; sticky), *out keeps the fields decoded
 * before the error.  Never keeps pointers to block or nghttp3 memory.
 */
enum ft_status qpack_decode(struct qpack_decoder *q, int64_t stream_id, uint32_t tag,
			    const uint8_t *block, size_t len, struct hpack_headers *out);

/*
 * A blocked block the encoder stream has unblocked, decoded into *out:
 * true with its stream and tag and *st (FT_OK, or FT_MALFORMED: the block
 * failed, sticky); false when none is ready.  Call until false.
 */
bool qpack_next_unblocked(struct qpack_decoder *q, int64_t *stream_id, uint32_t *tag,
			  enum ft_status *st, struct hpack_headers *out);

/* The stream was reset or abandoned: forget its blocked block, if any. */
void qpack_cancel(struct qpack_decoder *q, int64_t stream_id);

/* Inserts received on the encoder stream so far. */
uint64_t qpack_insert_count(const struct qpack_decoder *q);

/* "QPACK decompression failed", ...; NULL for QPACK_OK. */
const char *qpack_err_name(enum qpack_err e);

#endif
