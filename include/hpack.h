/* hpack.h - HPACK header blocks (RFC 7541) through libnghttp2's inflater, into our structs. */
#ifndef FT_HPACK_H
#define FT_HPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membudget.h"
#include "status.h"

/*
 * One struct hpack_inflater per direction per connection: it owns one
 * nghttp2 inflater (its dynamic table).  The rest of the tracer sees only
 * the structs below; nothing points into nghttp2's memory after a call.
 *
 * Memory: every byte nghttp2 allocates for an inflater goes through our
 * allocator, counted against the inflater's cap (HPACK_MEM_CAP) and a
 * total shared by all inflaters (struct hpack_budget, owned by the
 * caller).  A refused allocation fails the block; the inflater's state is
 * then unknown, so the error is sticky: that direction's header blocks are
 * not decoded any more (HPACK_ERR_MEMORY), and the memory is given back.
 */

#define HPACK_TABLE_CAP 65536u        /* dynamic table size we follow at most (RFC 7541 4.1 units) */
#define HPACK_MEM_CAP (1024u * 1024)  /* bytes one inflater may hold (its table + the field in work) */
#define HPACK_BUDGET_DEFAULT (64u * 1024 * 1024) /* a sensible total for hpack_budget_init */

#define HPACK_VAL_MAX 256     /* bytes kept of a pseudo-header or a named field's value */
#define HPACK_MAX_OTHER 16    /* other fields kept per block (for HAR); more are counted */
#define HPACK_NAME_MAX 40     /* bytes kept of another field's name */
#define HPACK_OVAL_MAX 120    /* bytes kept of another field's value */

/* A value copied from a block: raw bytes (the output layer escapes them). */
struct hpack_str {
	uint16_t len;               /* bytes in b */
	bool cut;                   /* the field was longer than HPACK_VAL_MAX */
	bool present;               /* the field was in the block */
	char b[HPACK_VAL_MAX];
};

/* A field the struct has no member for. */
struct hpack_field {
	uint8_t name_len, val_len;  /* bytes in name, val */
	bool name_cut, val_cut;     /* longer than HPACK_NAME_MAX / HPACK_OVAL_MAX */
	char name[HPACK_NAME_MAX];
	char val[HPACK_OVAL_MAX];
};

/* What one header block said (RFC 9113 8.3 pseudo-headers, then fields). */
struct hpack_headers {
	struct hpack_str method, scheme, authority, path, status;  /* pseudo-headers */
	struct hpack_str content_type, content_length;             /* fields */
	uint16_t status_code;       /* :status as a number (100..999), 0 when absent or not 3 digits */
	bool has_length;            /* content-length is one valid number */
	uint64_t length;            /* its value */
	uint16_t n_fields;          /* fields in the block (pseudo and regular) */
	uint32_t list_size;         /* RFC 9113 6.5.2 size: names + values + 32 per field (saturates) */
	bool pseudo_bad;            /* a repeated or unknown pseudo-header, or one after a field */
	uint8_t n_other;            /* fields in other[] (regular fields, in block order) */
	uint16_t n_other_dropped;   /* regular fields beyond HPACK_MAX_OTHER */
	struct hpack_field other[HPACK_MAX_OTHER];
};

/* The first regular field of that name (lower case, as HTTP/2 and HTTP/3
 * send them) among those kept in other[], or NULL. */
const struct hpack_field *hpack_field_find(const struct hpack_headers *h, const char *name);

/* Why an inflater stopped (sticky). */
enum hpack_err {
	HPACK_OK = 0,
	HPACK_ERR_COMPRESSION,  /* bad block: index out of range, bad Huffman, a table size update
	                           above the limit, a field over 64 KiB ... (RFC 7541 COMPRESSION_ERROR) */
	HPACK_ERR_MEMORY,       /* refused by the per-inflater or the total memory cap */
	HPACK_ERR_LOST,         /* bytes of a block were lost: the table can no longer be trusted */
	HPACK_ERR_INIT,         /* the inflater could not be created */
};

struct nghttp2_hd_inflater; /* libnghttp2's, never touched outside hpack.c */

struct hpack_inflater {
	struct nghttp2_hd_inflater *hd;  /* NULL before init and after a sticky error */
	void *mem_fns[5];                /* the nghttp2_mem the inflater keeps a pointer to */
	struct mem_account acct;         /* its bytes, against HPACK_MEM_CAP and the shared total;
	                                    refused: an allocation was refused during this call */
	bool in_block;                   /* a block is being decoded (between its first and final bytes) */
	enum hpack_err err;              /* sticky */
	uint32_t table_max;              /* SETTINGS_HEADER_TABLE_SIZE applied (capped) */
	uint32_t table_pending;          /* a new maximum to apply after the block, or UINT32_MAX */
	bool table_capped;               /* the peer announced more than HPACK_TABLE_CAP */
	uint32_t n_blocks;               /* blocks decoded */
};

void hpack_budget_init(struct hpack_budget *b, size_t cap);

/* Create the inflater; FT_OK, or FT_UNSUPPORTED (err HPACK_ERR_INIT or _MEMORY). */
enum ft_status hpack_init(struct hpack_inflater *h, struct hpack_budget *budget);

/* Free the inflater (its memory back to the budget).  Safe to call twice. */
void hpack_free(struct hpack_inflater *h);

/*
 * The decoder's SETTINGS_HEADER_TABLE_SIZE (RFC 7541 4.2, RFC 9113 6.5.2):
 * the largest dynamic table size the encoder may choose, capped at
 * HPACK_TABLE_CAP (a table size update above the cap is then a
 * compression error).  Applied now, or after the block being decoded.
 */
void hpack_set_table_max(struct hpack_inflater *h, uint32_t settings_value);

/*
 * Decode bytes of one header block, in pieces: the first call of a block
 * clears *out, each call adds the fields it completes, the call with
 * final set ends the block.  Returns FT_OK when the block ended well,
 * FT_NEED_MORE when not final, FT_MALFORMED on an error (h->err says
 * which; sticky: later blocks return FT_MALFORMED at once, and *out keeps
 * the fields decoded before the error).  Never keeps pointers to block
 * or nghttp2 memory.
 */
enum ft_status hpack_decode(struct hpack_inflater *h, const uint8_t *block, size_t len,
			    bool final, struct hpack_headers *out);

/* Bytes of a block were lost (or the block was abandoned mid-way): the
 * dynamic table is unknown from here, so the error is sticky. */
void hpack_lost(struct hpack_inflater *h);

/* "compression error", "memory cap", ...; NULL for HPACK_OK. */
const char *hpack_err_name(enum hpack_err e);

/* Clear a headers struct (a block with no fields). */
void hpack_headers_clear(struct hpack_headers *out);

/* Add one decoded field (raw bytes, copied) to out, as a block's decoder
 * does: pseudo-headers and the named fields to their members, the rest to
 * other[].  QPACK (qpack.c) fills the same struct through this. */
void hpack_headers_add(struct hpack_headers *out, const uint8_t *name, size_t name_len,
		       const uint8_t *value, size_t value_len);

#endif
