/* timeline.c - collect each exchange's times from the decoded events. */
#include "timeline.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "spill.h"

#define TL_MAX_FETCH_NAMES 4096 /* fetches whose DNS times and names are kept */

struct tl_fetch {
	uint32_t id;
	bool dns_taken;             /* an exchange already counts the fetch's DNS time */
	int64_t dns_start, dns_end;
	uint8_t name_len;
	char name[TL_STR];
};

/* A ClientHello's server name, until the connection's first exchange takes it
 * (found through the connection: conn.tl_sni). */
struct tl_sni {
	uint32_t conn;              /* connection number, 0 when the slot is free */
	uint32_t next_free;         /* a free slot: the next free one's index + 1, 0 none */
	uint8_t len;
	char name[TL_STR];
};

/* The exchanges live in chunks allocated as they fill, never moved or
 * copied (no doubling realloc that holds the old and the new array at once).
 * The first TL_MEM_CHUNKS are malloc'd; the later ones are pages of a
 * temporary file (spill.h) that leave memory once every exchange in them
 * has left the table, and come back page by page as the summary reads them:
 * a long capture's exchanges wait for the summary on disk, not in memory. */
#define TL_CHUNK_SHIFT 8
#define TL_CHUNK (1u << TL_CHUNK_SHIFT)
#define TL_N_CHUNKS ((TL_MAX_EXCH + TL_CHUNK - 1) / TL_CHUNK)
#define TL_MEM_CHUNKS 4
/* timeline_stream: the exchanges past the kept ones, in malloc'd chunks of
 * TL_CHUNK as they fill, each slot free again once handed over; their
 * index + 1 in the links is TL_OVF_BASE + slot + 1 (above every kept one). */
#define TL_OVF_BASE TL_MAX_EXCH
#define TL_OVF_CHUNKS ((TL_MAX_OPEN + TL_CHUNK - 1) / TL_CHUNK)

struct timeline {
	struct tl_exch *ex[TL_N_CHUNKS]; /* chunks of TL_CHUNK exchanges, as they fill */
	struct tl_heads *hd[TL_N_CHUNKS]; /* with keep_heads: the HAR part, chunk for chunk */
	bool keep_heads;            /* timeline_keep_heads */
	size_t n, cap;
	size_t keep_max;            /* exchanges kept: TL_MAX_EXCH (lower only in tests) */
	uint64_t dropped;           /* exchanges not taken (no room) */
	uint64_t not_kept;          /* streamed: exchanges handed over but not kept */
	uint64_t n_seq;             /* exchanges begun */
	void (*done)(void *ctx, const struct tl_exch *x); /* timeline_stream, or NULL */
	void *done_ctx;
	struct tl_exch *ovf[TL_OVF_CHUNKS]; /* streamed past the kept ones, as they fill */
	size_t n_ovf;               /* slots of ovf used so far */
	uint32_t ovf_free;          /* a free slot + 1 (its next_on_conn: the next), 0 none */
	uint16_t n_open[TL_N_CHUNKS]; /* exchanges of the chunk whose connection is open */
	uint8_t *spill;             /* the chunks from TL_MEM_CHUNKS on, in a file; NULL none */
	size_t spill_len, stride;   /* its bytes; a chunk's, whole pages */
	bool spill_failed;          /* no file: malloc, as for the first chunks */
	size_t rd_chunk;            /* the chunk timeline_get read last, + 1 */
	struct tl_fetch fetches[TL_MAX_FETCH_NAMES]; /* by id % TL_MAX_FETCH_NAMES */
	struct tl_sni *sni;         /* one per open TLS connection (freed slots reused) */
	size_t n_sni, cap_sni;
	uint32_t sni_free;          /* the first free slot's index + 1, 0 none */
};

const char *const tl_hdr_name[TL_H_N] = {
	[TL_H_HOST] = "Host",
	[TL_H_USER_AGENT] = "User-Agent",
	[TL_H_ACCEPT] = "Accept",
	[TL_H_CONNECTION] = "Connection",
	[TL_H_CONTENT_TYPE] = "Content-Type",
	[TL_H_CONTENT_LENGTH] = "Content-Length",
	[TL_H_TRANSFER_ENCODING] = "Transfer-Encoding",
	[TL_H_CONTENT_ENCODING] = "Content-Encoding",
	[TL_H_LOCATION] = "Location",
	[TL_H_ETAG] = "ETag",
	[TL_H_RANGE] = "Range",
	[TL_H_IF_NONE_MATCH] = "If-None-Match",
	[TL_H_IF_MODIFIED_SINCE] = "If-Modified-Since",
};

#define TL_HDR_CUT 0x80 /* in a packed field's id byte: the value was cut */

bool tl_head_next(const struct tl_head *h, size_t *off, enum tl_hdr *id, const char **val,
		  size_t *len, bool *cut)
{
	/* keep_field wrote every field whole: id, length, value */
	if (*off + 2 > h->hdr_len)
		return false;
	uint8_t b = (uint8_t)h->hdr[*off];
	size_t n = (uint8_t)h->hdr[*off + 1];
	if (n > h->hdr_len - *off - 2 || (b & ~TL_HDR_CUT) >= TL_H_N)
		return false;
	*id = (enum tl_hdr)(b & ~TL_HDR_CUT);
	*cut = (b & TL_HDR_CUT) != 0;
	*val = h->hdr + *off + 2;
	*len = n;
	*off += 2 + n;
	return true;
}

static void keep_raw(struct tl_head *th, enum tl_hdr id, const char *b, size_t len, bool was_cut)
{
	size_t n = len < TL_HDR_VAL ? len : TL_HDR_VAL;
	bool cut = was_cut || len > TL_HDR_VAL;
	if ((size_t)TL_HDR_BUF - th->hdr_len < 2 + n) {
		th->hdr_cut = true;
		return;
	}
	th->hdr[th->hdr_len] = (char)(id | (cut ? TL_HDR_CUT : 0));
	th->hdr[th->hdr_len + 1] = (char)n;
	memcpy(th->hdr + th->hdr_len + 2, b, n);
	th->hdr_len = (uint16_t)(th->hdr_len + 2 + n);
}

static void keep_field(struct tl_head *th, enum tl_hdr id, const struct http_str *v)
{
	if (v->present)
		keep_raw(th, id, v->b, v->len, v->cut);
}

static void keep_hfield(struct tl_head *th, enum tl_hdr id, const struct hpack_str *v)
{
	if (v->present)
		keep_raw(th, id, v->b, v->len, v->cut);
}

/* keep_head for an HTTP/2 header block (block_len: its bytes on the wire):
 * :authority stands for Host. */
static void keep_h2_head(struct tl_head *th, const struct hpack_headers *hd, uint32_t block_len)
{
	memset(th, 0, offsetof(struct tl_head, hdr));
	th->seen = true;
	th->v_major = 2;
	th->head_len = block_len;
	keep_hfield(th, TL_H_HOST, &hd->authority);
	keep_hfield(th, TL_H_CONTENT_TYPE, &hd->content_type);
	keep_hfield(th, TL_H_CONTENT_LENGTH, &hd->content_length);
}

/* An HTTP/3 head kept as HTTP/2's, with its version. */
static void keep_h3_head(struct tl_head *th, const struct hpack_headers *hd, uint64_t block_len)
{
	keep_h2_head(th, hd, block_len > UINT32_MAX ? UINT32_MAX : (uint32_t)block_len);
	th->v_major = 3;
}

/* An HTTP/2 or HTTP/3 response head on exchange x: the first starts the
 * response (returns the wait since the request's last frame, or -1); a
 * final one (or the first interim) is the one kept. */
static int64_t resp_head(struct tl_exch *x, const struct hpack_headers *hd, uint64_t block_len,
			 uint8_t v_major, int64_t now)
{
	int64_t dur = -1;
	if (!x->resp_start) {
		x->resp_start = now;
		if (x->req_end && now >= x->req_end)
			dur = now - x->req_end;
	}
	uint16_t sc = hd->status_code;
	if (sc >= 200 || x->status < 200) {
		if (sc >= 200)
			x->status = sc;
		if (x->hd) {
			keep_h3_head(&x->hd->resp, hd, block_len);
			x->hd->resp.v_major = v_major; /* 2, or 3 */
		}
		x->reason_len = 0;
	}
	return dur;
}

/* The request target HAR's URL is made of (with keep_heads). */
static void keep_target(struct tl_exch *x, const char *b, size_t len, bool cut)
{
	if (!x->hd)
		return;
	size_t tn = len < TL_TARGET ? len : TL_TARGET;
	memcpy(x->hd->url_target, b, tn);
	x->hd->url_target_len = (uint16_t)tn;
	x->hd->url_target_cut = cut || len > TL_TARGET;
}

/* Keep what HAR shows of a head: version, size, the fields fetchtrace keeps. */
static void keep_head(struct tl_head *th, const struct http_head *hd)
{
	memset(th, 0, offsetof(struct tl_head, hdr));
	th->seen = true;
	th->v_major = hd->v_major;
	th->v_minor = hd->v_minor;
	th->head_len = hd->head_len;
	const struct http_str *f[TL_H_N] = {
		[TL_H_HOST] = &hd->host,
		[TL_H_USER_AGENT] = &hd->user_agent,
		[TL_H_ACCEPT] = &hd->accept,
		[TL_H_CONNECTION] = &hd->connection,
		[TL_H_CONTENT_TYPE] = &hd->content_type,
		[TL_H_CONTENT_LENGTH] = &hd->content_length,
		[TL_H_TRANSFER_ENCODING] = &hd->transfer_encoding,
		[TL_H_CONTENT_ENCODING] = &hd->content_encoding,
		[TL_H_LOCATION] = &hd->location,
		[TL_H_ETAG] = &hd->etag,
		[TL_H_RANGE] = &hd->range,
		[TL_H_IF_NONE_MATCH] = &hd->if_none_match,
		[TL_H_IF_MODIFIED_SINCE] = &hd->if_modified_since,
	};
	for (int i = 0; i < TL_H_N; i++)
		keep_field(th, (enum tl_hdr)i, f[i]);
}

struct timeline *timeline_open(void)
{
	struct timeline *tl = calloc(1, sizeof(struct timeline));
	if (!tl)
		return NULL;
	tl->keep_max = TL_MAX_EXCH;
	const char *k = getenv(TL_KEEP_ENV); /* tests only: timeline.h */
	long v = k ? strtol(k, NULL, 10) : 0;
	if (v > 0 && v < TL_MAX_EXCH)
		tl->keep_max = (size_t)v;
	return tl;
}

void timeline_stream(struct timeline *tl, void (*done)(void *ctx, const struct tl_exch *x),
		     void *ctx, bool keep)
{
	tl->done = done;
	tl->done_ctx = ctx;
	if (!keep)
		tl->keep_max = 0;
}

/* Chunk k is pages of the file (not malloc'd). */
static bool in_file(const struct timeline *tl, size_t k)
{
	return tl->spill && tl->ex[k] && (uint8_t *)tl->ex[k] >= tl->spill &&
	       (uint8_t *)tl->ex[k] < tl->spill + tl->spill_len;
}

/* Memory for chunk k: in the file from TL_MEM_CHUNKS on (mapped at the first
 * such chunk), else malloc'd; NULL when neither can be had. */
static struct tl_exch *chunk_new(struct timeline *tl, size_t k)
{
	if (k >= TL_MEM_CHUNKS && !tl->spill && !tl->spill_failed) {
		size_t pg = spill_page();
		tl->stride = (TL_CHUNK * sizeof(struct tl_exch) + pg - 1) / pg * pg;
		tl->spill_len = (TL_N_CHUNKS - TL_MEM_CHUNKS) * tl->stride;
		tl->spill = spill_map(tl->spill_len);
		tl->spill_failed = !tl->spill;
	}
	if (k >= TL_MEM_CHUNKS && tl->spill)
		return (struct tl_exch *)(void *)(tl->spill + (k - TL_MEM_CHUNKS) * tl->stride);
	return malloc(TL_CHUNK * sizeof(struct tl_exch));
}

/* Chunk k leaves memory when it is in the file, full, and every exchange in
 * it has left the table (nothing writes it any more). */
static void chunk_rest(const struct timeline *tl, size_t k)
{
	if (k < TL_N_CHUNKS && in_file(tl, k) && !tl->n_open[k] && (k + 1) * TL_CHUNK <= tl->n)
		spill_drop(tl->ex[k], tl->stride);
}

/* Exchange i1 (index + 1) is final: handed over when streaming; a kept
 * one's chunk may rest, a streamed one's slot is free again (once). */
static void retire(struct timeline *tl, struct tl_exch *x, uint32_t i1)
{
	if (x->retired)
		return;
	if (tl->done)
		tl->done(tl->done_ctx, x);
	x->retired = true;
	if (i1 > TL_OVF_BASE) {
		x->conn = 0;
		x->next_on_conn = tl->ovf_free;
		tl->ovf_free = i1 - TL_OVF_BASE;
		return;
	}
	size_t k = (i1 - 1) >> TL_CHUNK_SHIFT;
	if (tl->n_open[k])
		tl->n_open[k]--;
	chunk_rest(tl, k);
}

void timeline_keep_heads(struct timeline *tl) { tl->keep_heads = true; }

void timeline_close(struct timeline *tl)
{
	if (!tl)
		return;
	for (size_t k = 0; k < TL_N_CHUNKS; k++) {
		if (!in_file(tl, k))
			free(tl->ex[k]);
		free(tl->hd[k]);
	}
	spill_unmap(tl->spill, tl->spill_len);
	for (size_t k = 0; k < TL_OVF_CHUNKS; k++)
		free(tl->ovf[k]);
	free(tl->sni);
	free(tl);
}

/* Exchange i (< tl->n), in its chunk. */
static struct tl_exch *ex_at(const struct timeline *tl, size_t i)
{
	return &tl->ex[i >> TL_CHUNK_SHIFT][i & (TL_CHUNK - 1)];
}

void timeline_keep(struct timeline *tl, bool (*keep)(void *ctx, uint32_t fetch_id), void *ctx)
{
	/* new index + 1 of each exchange, 0 when it goes; without the map
	 * (no memory) the links are cut instead */
	uint32_t *map = tl->n ? calloc(tl->n, sizeof(*map)) : NULL;
	size_t w = 0;
	for (size_t i = 0; i < tl->n; i++) {
		if (!keep(ctx, ex_at(tl, i)->fetch))
			continue;
		if (map)
			map[i] = (uint32_t)(w + 1);
		if (w != i)
			*ex_at(tl, w) = *ex_at(tl, i); /* its hd still points to its own heads */
		w++;
	}
	for (size_t i = 0; i < w; i++) {
		struct tl_exch *x = ex_at(tl, i);
		x->prev_on_conn = map && x->prev_on_conn ? map[x->prev_on_conn - 1] : 0;
		x->next_on_conn = map && x->next_on_conn ? map[x->next_on_conn - 1] : 0;
	}
	free(map);
	tl->n = w;
}

size_t timeline_count(const struct timeline *tl) { return tl->n; }

const struct tl_exch *timeline_get(const struct timeline *tl, size_t i)
{
	if (i >= tl->n)
		return NULL;
	size_t k = i >> TL_CHUNK_SHIFT;
	if (tl->rd_chunk != k + 1) {
		/* read in order at the end: the chunk read before goes back to the
		 * file (its pages come back if read again) */
		if (tl->rd_chunk)
			chunk_rest(tl, tl->rd_chunk - 1);
		((struct timeline *)tl)->rd_chunk = k + 1; /* tl is never const itself */
	}
	return &tl->ex[k][i & (TL_CHUNK - 1)];
}

uint64_t timeline_dropped(const struct timeline *tl) { return tl->dropped + tl->not_kept; }

uint64_t timeline_lost(const struct timeline *tl) { return tl->dropped; }

static uint8_t copy_str(char *dst, const char *src, size_t len)
{
	if (len > TL_STR)
		len = TL_STR;
	memcpy(dst, src, len);
	return (uint8_t)len;
}

void timeline_fetch(struct timeline *tl, const struct fetch_link *l)
{
	struct tl_fetch *f = &tl->fetches[l->fetch_id % TL_MAX_FETCH_NAMES];
	memset(f, 0, sizeof(*f));
	f->id = l->fetch_id;
	if (l->via_dns) {
		f->dns_start = l->query_ts;
		f->dns_end = l->answer_ts;
		f->name_len = copy_str(f->name, l->name->text, l->name->len);
	}
}

/* Exchange number i + 1 (0 none): the links kept in struct conn and struct tl_exch. */
static struct tl_exch *at(struct timeline *tl, uint32_t i1)
{
	if (i1 > TL_OVF_BASE && i1 - TL_OVF_BASE <= tl->n_ovf) {
		size_t j = i1 - TL_OVF_BASE - 1;
		return &tl->ovf[j >> TL_CHUNK_SHIFT][j & (TL_CHUNK - 1)];
	}
	return i1 && i1 <= tl->n ? &tl->ex[(i1 - 1) >> TL_CHUNK_SHIFT][(i1 - 1) & (TL_CHUNK - 1)]
				 : NULL;
}

/* Streaming: the connection whose newest exchange is last1 has left and its
 * exchanges were handed over (or the slot is another's now): take no more
 * events for it. */
static bool gone(struct timeline *tl, uint32_t last1, uint32_t conn, bool quic)
{
	if (!tl->done || !last1)
		return false;
	const struct tl_exch *x = at(tl, last1);
	return !x || x->retired || x->conn != conn || x->quic != quic;
}

/*
 * The connection's exchange with the given number (any: its newest).
 * The connection holds its newest exchange and each exchange the one
 * before it on the same connection, in the order they began, so the walk
 * goes back only over this connection's exchanges, however many other
 * connections are open; exchange numbers grow along it, so it stops at
 * the first one below the number sought.
 */
static struct tl_exch *find_in(struct timeline *tl, uint32_t last, uint32_t exchange, bool any)
{
	struct tl_exch *x = at(tl, last);
	if (any)
		return x;
	/* each step goes to a lower index: the walk ends */
	while (x && x->exchange > exchange)
		x = at(tl, x->prev_on_conn);
	return x && x->exchange == exchange ? x : NULL;
}

static struct tl_exch *find(struct timeline *tl, const struct conn *c, uint32_t exchange, bool any)
{
	return find_in(tl, c->tl_last, exchange, any);
}

#define TL_CALL_WALK 64 /* exchanges of a connection looked back over for a read() */

int64_t timeline_call_read(struct timeline *tl, const struct conn *c, int64_t read_exit)
{
	struct tl_exch *pick = NULL;
	if (gone(tl, c->tl_last, c->id, false))
		return 0;
	struct tl_exch *x = at(tl, c->tl_last);
	/* back along the connection (each step to a lower index): the oldest
	 * response begun and not read yet */
	for (unsigned k = 0; x && k < TL_CALL_WALK; k++, x = at(tl, x->prev_on_conn)) {
		if (x->stream || x->quic || x->call_read)
			break; /* HTTP/2 streams interleave: which read is whose is not known */
		if (x->resp_start && x->resp_start <= read_exit)
			pick = x;
	}
	if (!pick)
		return 0;
	pick->call_read = read_exit;
	if (c->calls_write_at && c->calls_write_at <= pick->req_start)
		pick->call_write = c->calls_write_at;
	return pick->resp_start;
}

/* ------------------------------------------------------------------ */
/* measured calls joined by stream position (issue 14)                 */
/* ------------------------------------------------------------------ */

const char *timeline_nosplit_why(unsigned why)
{
	static const char *const w[TL_NOSPLIT_N] = {
		[TL_SPLIT] = "",
		[TL_NOSPLIT_COUNT] = "the calls' byte counts do not follow the stream (a call whose "
				     "bytes are not known, or one not seen)",
		[TL_NOSPLIT_MMSG] = "recvmmsg()/sendmmsg() move several datagrams at once, of sizes "
				    "not seen",
		[TL_NOSPLIT_SIZE] = "a call's size is not its datagram's (datagrams coalesced by GRO, "
				    "or cut): which call returned which is not known",
	};
	return why < TL_NOSPLIT_N ? w[why] : "";
}

/* An exchange of an HTTP/2 or HTTP/3 stream (joined by position). */
static bool is_stream(const struct tl_exch *x)
{
	return x->stream || x->quic;
}

/* The counts of a connection (its exchanges' list ends at `last`) can no
 * longer be trusted: the streams not joined yet say why. */
static void pos_lost(struct timeline *tl, struct conn_calls *k, uint32_t last, uint8_t why)
{
	if (!k->lost) {
		k->lost = true;
		k->why = why;
	}
	struct tl_exch *x = at(tl, last);
	for (unsigned i = 0; x && i < TL_CALL_WALK; i++, x = at(tl, x->prev_on_conn))
		if (is_stream(x) && !x->call_read && k->counted && !x->call_nosplit)
			x->call_nosplit = k->why;
}

/* The kept call of direction dir whose range covers position pos: its
 * time, or 0 (not kept, not yet seen, or the counts are not trusted). */
static int64_t pos_call(const struct conn_calls *k, int dir, uint64_t pos)
{
	if (!k->counted || k->lost || !pos)
		return 0;
	for (unsigned i = 0; i < CONN_CALL_RING; i++) {
		const struct conn_call *r = &k->ring[dir][i];
		if (r->at && r->to - r->n < pos && pos <= r->to)
			return r->at;
	}
	return 0;
}

/* The read() at `when` returned stream x's first response bytes; false when
 * it cannot have (it returned before they arrived, beyond the clocks'
 * difference: a count is off, so none is trusted from now on). */
static bool pos_read(struct timeline *tl, struct conn_calls *k, uint32_t last, struct tl_exch *x,
		     int64_t when)
{
	if (when + TL_CALL_SKEW_US < x->resp_start) {
		pos_lost(tl, k, last, TL_NOSPLIT_COUNT);
		return false;
	}
	x->call_read = when < x->resp_start ? x->resp_start : when;
	return true;
}

/* The same for the write() entered at `when` and the request's head sent at
 * x->req_start: the write comes first. */
static void pos_write(struct timeline *tl, struct conn_calls *k, uint32_t last, struct tl_exch *x,
		      int64_t when)
{
	if (when > x->req_start + TL_CALL_SKEW_US)
		pos_lost(tl, k, last, TL_NOSPLIT_COUNT);
	else
		x->call_write = when;
}

/* A stream's request head (dir 0) or first response head (dir 1) ended at
 * position pos: the call already seen that covers it, if any. */
static void pos_event(struct timeline *tl, struct conn_calls *k, uint32_t last, struct tl_exch *x,
		      int dir, uint64_t pos)
{
	if (dir == 0)
		x->req_pos = pos;
	else
		x->resp_pos = pos;
	if (dir == 1 && k->counted && k->lost && !x->call_nosplit)
		x->call_nosplit = k->why;
	int64_t w = pos_call(k, dir, pos);
	if (w && dir == 0)
		pos_write(tl, k, last, x, w);
	else if (w)
		(void)pos_read(tl, k, last, x, w);
}

/* A call of direction d covering (from, to] at `when`: the streams of the
 * list ending at `last` whose head it moved (quic: the HTTP/3 ones, else the
 * HTTP/2 ones).  Returns the arrival of the first response head it read. */
static int64_t pos_add(struct timeline *tl, struct conn_calls *k, uint32_t last, bool quic, int d,
		       uint64_t n, uint32_t len, int64_t when, uint32_t *stream)
{
	struct conn_call *r = &k->ring[d][k->next[d]];
	k->next[d] = (uint8_t)((k->next[d] + 1) % CONN_CALL_RING);
	uint64_t from = k->done[d];
	r->to = from + n;
	r->n = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	r->at = when;
	r->len = len;
	k->done[d] = r->to;
	int64_t first = 0;
	/* back along the connection (each step to a lower index) */
	struct tl_exch *x = at(tl, last);
	for (unsigned i = 0; x && i < TL_CALL_WALK && !k->lost; i++, x = at(tl, x->prev_on_conn)) {
		if (!is_stream(x) || x->quic != quic)
			continue;
		if (d == 0 && x->req_pos > from && x->req_pos <= r->to && !x->call_write)
			pos_write(tl, k, last, x, when);
		if (d == 1 && x->resp_pos > from && x->resp_pos <= r->to && !x->call_read &&
		    pos_read(tl, k, last, x, when) && (!first || x->resp_start < first)) {
			first = x->resp_start;
			*stream = x->stream;
		}
	}
	return k->lost ? 0 : first;
}

int64_t timeline_call_bytes(struct timeline *tl, struct conn *c, int dir, uint64_t n,
			    int64_t when, bool lost, uint32_t *stream)
{
	struct conn_calls *k = &c->calls_pos;
	*stream = 0;
	if (lost && k->counted)
		pos_lost(tl, k, c->tl_last, TL_NOSPLIT_COUNT);
	if (!k->counted || k->lost || !n || !when)
		return 0;
	return pos_add(tl, k, c->tl_last, false, dir ? 1 : 0, n, 0, when, stream);
}

void timeline_call_avail(struct timeline *tl, struct conn *c, uint64_t avail, int64_t when)
{
	struct conn_calls *k = &c->calls_pos;
	if (!k->counted || k->lost)
		return;
	for (unsigned i = 0; i < CONN_CALL_RING; i++) {
		const struct conn_call *r = &k->ring[1][i];
		if (r->at && r->at + TL_CALL_SKEW_US <= when && r->to > avail) {
			pos_lost(tl, k, c->tl_last, TL_NOSPLIT_COUNT);
			return;
		}
	}
}

int64_t timeline_call_dgram(struct timeline *tl, struct quicflow *q, int dir, uint64_t n,
			    int64_t when, bool mmsg, uint32_t *stream)
{
	struct conn_calls *k = &q->calls_pos;
	int d = dir ? 1 : 0;
	*stream = 0;
	if (!k->seen) {
		/* before the server's first datagram: every one is counted */
		k->seen = true;
		k->counted = q->pkts[0] == 0 && q->pkts[1] == 0;
	}
	if (mmsg && k->counted)
		pos_lost(tl, k, q->tl_last, TL_NOSPLIT_MMSG);
	if (!k->counted || k->lost || !n || !when)
		return 0;
	uint64_t idx = k->done[d] + 1;
	uint32_t len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	/* its datagram seen already (kept): the sizes must agree */
	if (idx <= q->pkts[d] && q->pkts[d] - idx < CONN_CALL_RING &&
	    q->dg_len[d][idx % CONN_CALL_RING] != len) {
		pos_lost(tl, k, q->tl_last, TL_NOSPLIT_SIZE);
		return 0;
	}
	return pos_add(tl, k, q->tl_last, true, d, 1, len, when, stream);
}

void timeline_dgram(struct timeline *tl, struct quicflow *q, int dir, uint32_t len)
{
	int d = dir ? 1 : 0;
	uint64_t idx = q->pkts[d];
	struct conn_calls *k = &q->calls_pos;
	q->dg_len[d][idx % CONN_CALL_RING] = len;
	if (!k->counted || k->lost)
		return;
	/* a call seen before its datagram (the clocks): the sizes must agree */
	for (unsigned i = 0; i < CONN_CALL_RING; i++) {
		const struct conn_call *r = &k->ring[d][i];
		if (r->at && r->to == idx && r->len != len)
			pos_lost(tl, k, q->tl_last, TL_NOSPLIT_SIZE);
	}
}

/* Room for exchange tl->n among the kept ones: its chunk allocated. */
static bool kept_room(struct timeline *tl)
{
	if (tl->n >= tl->keep_max)
		return false;
	if (tl->n < tl->cap)
		return true;
	size_t k = tl->cap >> TL_CHUNK_SHIFT;
	if (!(tl->ex[k] = chunk_new(tl, k)) ||
	    (tl->keep_heads && !(tl->hd[k] = malloc(TL_CHUNK * sizeof(struct tl_heads))))) {
		if (!in_file(tl, k))
			free(tl->ex[k]);
		tl->ex[k] = NULL;
		return false;
	}
	tl->cap += TL_CHUNK;
	if (k)
		chunk_rest(tl, k - 1); /* full now: it may rest */
	return true;
}

/* Streaming, past the kept ones: a free slot (a freed one first); its
 * index + 1 in *i1; NULL when TL_MAX_OPEN are open or memory cannot be had. */
static struct tl_exch *ovf_new(struct timeline *tl, uint32_t *i1)
{
	if (tl->ovf_free) {
		*i1 = TL_OVF_BASE + tl->ovf_free;
		struct tl_exch *x = at(tl, *i1);
		tl->ovf_free = x->next_on_conn;
		return x;
	}
	if (tl->n_ovf >= TL_MAX_OPEN)
		return NULL;
	size_t k = tl->n_ovf >> TL_CHUNK_SHIFT;
	if (!tl->ovf[k] && !(tl->ovf[k] = malloc(TL_CHUNK * sizeof(struct tl_exch))))
		return NULL;
	*i1 = (uint32_t)(TL_OVF_BASE + ++tl->n_ovf);
	return at(tl, *i1);
}

/* A new exchange at the end of the list whose links are *first and *last
 * (a TCP connection's or a QUIC connection's); NULL when none can be kept. */
static struct tl_exch *add_slot(struct timeline *tl, uint32_t *first, uint32_t *last)
{
	struct tl_exch *x;
	uint32_t i1;
	struct tl_heads *hd = NULL;
	if (kept_room(tl)) {
		size_t i = tl->n++;
		i1 = (uint32_t)tl->n;
		x = &tl->ex[i >> TL_CHUNK_SHIFT][i & (TL_CHUNK - 1)];
		tl->n_open[i >> TL_CHUNK_SHIFT]++;
		if (tl->keep_heads)
			hd = &tl->hd[i >> TL_CHUNK_SHIFT][i & (TL_CHUNK - 1)];
	} else if (tl->done && (x = ovf_new(tl, &i1))) {
		tl->not_kept++;
	} else {
		tl->dropped++;
		return NULL;
	}
	bool is_first = find_in(tl, *last, 0, true) == NULL;
	memset(x, 0, sizeof(*x));
	x->seq = tl->n_seq++;
	if (hd) {
		x->hd = hd;
		memset(x->hd, 0, sizeof(*x->hd));
	}
	x->prev_on_conn = *last;
	if (*last)
		at(tl, *last)->next_on_conn = i1;
	else
		*first = i1;
	*last = i1;
	x->first_on_conn = is_first;
	return x;
}

/* The fetch's DNS times go to its first exchange only. */
static void take_dns(struct timeline *tl, struct tl_exch *x, uint32_t fetch_id)
{
	struct tl_fetch *f = &tl->fetches[fetch_id % TL_MAX_FETCH_NAMES];
	if (f->id == fetch_id && fetch_id && !f->dns_taken) {
		f->dns_taken = true;
		x->dns_start = f->dns_start;
		x->dns_end = f->dns_end;
	}
}

static struct tl_exch *add(struct timeline *tl, int64_t now, struct conn *c, uint32_t exchange)
{
	struct tl_exch *x = add_slot(tl, &c->tl_first, &c->tl_last);
	if (!x)
		return NULL;
	bool first = x->first_on_conn;
	x->fetch = c->fetch_id;
	x->conn = c->id;
	x->exchange = exchange;
	x->tls = c->tls;
	x->req_start = now;
	x->ip_ver = c->ip_ver;
	memcpy(x->srv, c->srv, sizeof(x->srv));
	x->sport = c->sport;
	const struct tl_sni *sn = c->tl_sni && c->tl_sni <= tl->n_sni ? &tl->sni[c->tl_sni - 1] : NULL;
	if (sn && sn->conn == c->id) {
		memcpy(x->sni, sn->name, sn->len);
		x->sni_len = sn->len;
	}
	if (first) {
		x->syn = c->ts_syn;
		x->synack = c->ts_synack;
		x->est = c->ts_established;
		x->proxy_end = c->ts_proxy_done;
		x->tls_start = c->ts_tls_hello;
		x->tls_end = x->tls ? now : 0;
		take_dns(tl, x, c->fetch_id);
	}
	const struct tl_fetch *f = &tl->fetches[c->fetch_id % TL_MAX_FETCH_NAMES];
	if (f->id == c->fetch_id)
		x->name_len = copy_str(x->name, f->name, f->name_len);
	return x;
}

int64_t timeline_http(struct timeline *tl, int64_t now, struct conn *c, const struct http_ev *h)
{
	if (!h->exchange || gone(tl, c->tl_last, c->id, false))
		return -1;
	struct tl_exch *x = find(tl, c, h->exchange, false);
	if (h->dir == 0 && h->kind == HTTP_EV_HEAD && !x) {
		x = add(tl, now, c, h->exchange);
		if (!x)
			return -1;
		x->method_len = copy_str(x->method, h->head->method.b, h->head->method.len);
		x->target_len = copy_str(x->target, h->head->target.b, h->head->target.len);
		keep_target(x, (const char *)h->head->target.b, h->head->target.len,
			    h->head->target.cut);
		if (x->hd)
			keep_head(&x->hd->req, h->head);
		if (!x->name_len && h->head->host.present)
			x->name_len = copy_str(x->name, h->head->host.b, h->head->host.len);
	}
	if (!x)
		return -1;
	int64_t dur = -1;
	if (h->dir == 0) {
		if (h->kind == HTTP_EV_END || h->kind == HTTP_EV_HEAD)
			x->req_end = now;
		if (h->kind == HTTP_EV_BODY)
			x->up = h->body_done;
	} else {
		if (h->kind == HTTP_EV_HEAD && h->head->status >= 200 && !x->resp_start)
			x->status = h->head->status;
		if (h->kind == HTTP_EV_HEAD && !x->resp_start)
			x->resp_start = now;
		if (h->kind == HTTP_EV_BODY || h->kind == HTTP_EV_END) {
			x->down = h->body_done;
			x->resp_end = now;
		}
		if (h->kind == HTTP_EV_HEAD && h->head->status >= 200)
			x->status = h->head->status;
		/* the final response's head, or an interim one until it comes */
		if (h->kind == HTTP_EV_HEAD && (h->head->status >= 200 || x->status < 200)) {
			if (x->hd)
				keep_head(&x->hd->resp, h->head);
			x->reason_len = copy_str(x->reason, h->head->reason.b, h->head->reason.len);
		}
		if (h->kind == HTTP_EV_HEAD && x->req_end && now >= x->req_end)
			dur = now - x->req_end;
		else if (h->kind == HTTP_EV_END && x->resp_start)
			dur = now - x->resp_start;
	}
	return dur;
}

int64_t timeline_h2(struct timeline *tl, int64_t now, struct conn *c, const struct h2_ev *v)
{
	if (v->kind != H2_EV_FRAME || !v->exchange || gone(tl, c->tl_last, c->id, false))
		return -1;
	const struct hpack_headers *hd = v->head;
	/* PUSH_PROMISE's block is the pushed stream's request, not this one's */
	if (v->type == H2_PUSH_PROMISE)
		return -1;
	bool req_head = hd && v->dir == 0 && v->head_kind == H2_HEAD_REQUEST;
	struct tl_exch *x = find(tl, c, v->exchange, false);
	if (!x && req_head) {
		x = add(tl, now, c, v->exchange);
		if (!x)
			return -1;
		x->stream = v->stream_id;
		x->method_len = copy_str(x->method, hd->method.b, hd->method.len);
		x->target_len = copy_str(x->target, hd->path.b, hd->path.len);
		keep_target(x, (const char *)hd->path.b, hd->path.len, hd->path.cut);
		if (x->hd)
			keep_h2_head(&x->hd->req, hd, v->length);
		if (!x->name_len && hd->authority.present)
			x->name_len = copy_str(x->name, hd->authority.b, hd->authority.len);
		/* the write() that wrote it, when already seen */
		pos_event(tl, &c->calls_pos, c->tl_last, x, 0, v->at);
	}
	if (!x)
		return -1;
	x->stream = v->stream_id;
	if (v->type == H2_RST_STREAM) {
		x->cancelled = true;
		if (v->dir == 1 || x->resp_start)
			x->resp_end = now;
		return -1;
	}
	bool carries = hd || v->type == H2_DATA || v->end_stream;
	if (!carries)
		return -1;
	int64_t dur = -1;
	if (v->dir == 0) {
		if (v->type == H2_DATA)
			x->up = v->body_done;
		x->req_end = now; /* the request's newest frame so far */
		return -1;
	}
	if (hd && v->head_kind != H2_HEAD_TRAILERS) {
		bool first = !x->resp_start;
		dur = resp_head(x, hd, v->length, 2, now);
		if (first) /* the read() that returned it, when already seen (the
			    * clocks may put it a little before the packet) */
			pos_event(tl, &c->calls_pos, c->tl_last, x, 1, v->at);
	}
	if (v->type == H2_DATA) {
		x->down = v->body_done;
		x->resp_end = now;
	}
	if (v->end_stream) {
		x->resp_end = now;
		if (x->resp_start && dur < 0 && v->type == H2_DATA)
			dur = now - x->resp_start;
	}
	return dur;
}

/* The QUIC connection's exchange of the given number; its list is its own. */
static struct tl_exch *add_quic(struct timeline *tl, int64_t now, struct quicflow *q,
				uint32_t exchange)
{
	struct tl_exch *x = add_slot(tl, &q->tl_first, &q->tl_last);
	if (!x)
		return NULL;
	x->quic = true;
	x->tls = true;
	x->fetch = q->fetch_id;
	x->conn = q->id;
	x->exchange = exchange;
	x->req_start = now;
	x->ip_ver = q->ip_ver;
	memcpy(x->srv, q->srv, sizeof(x->srv));
	x->sport = q->sport;
	if (x->first_on_conn) {
		/* one handshake is QUIC's connect and secure channel: the client's
		 * first Initial to its first 1-RTT packet, both phases */
		int64_t done = q->ts_hs_done ? q->ts_hs_done : now;
		x->syn = q->ts_first;
		x->est = done;
		x->tls_start = q->ts_first;
		x->tls_end = done;
		take_dns(tl, x, q->fetch_id);
	}
	const struct tl_fetch *f = &tl->fetches[q->fetch_id % TL_MAX_FETCH_NAMES];
	if (f->id == q->fetch_id)
		x->name_len = copy_str(x->name, f->name, f->name_len);
	return x;
}

/* keep_h2_head for HTTP/3: the same pseudo-fields, version 3. */

int64_t timeline_h3(struct timeline *tl, int64_t now, struct quicflow *q, const struct h3_ev *v)
{
	if (!v->exchange || (v->kind != H3_EV_FRAME && v->kind != H3_EV_HEADERS &&
			     v->kind != H3_EV_STREAM_DONE) ||
	    gone(tl, q->tl_last, q->id, true))
		return -1;
	/* PUSH_PROMISE's block is the pushed stream's request, not this one's */
	if (v->kind == H3_EV_FRAME && v->type == H3_PUSH_PROMISE)
		return -1;
	const struct hpack_headers *hd = v->head;
	bool req_head = hd && v->dir == 0 && v->head_kind == H3_HEAD_REQUEST;
	struct tl_exch *x = find_in(tl, q->tl_last, v->exchange, false);
	if (!x && req_head) {
		x = add_quic(tl, now, q, v->exchange);
		if (!x)
			return -1;
		x->method_len = copy_str(x->method, hd->method.b, hd->method.len);
		x->target_len = copy_str(x->target, hd->path.b, hd->path.len);
		keep_target(x, (const char *)hd->path.b, hd->path.len, hd->path.cut);
		if (x->hd)
			keep_h3_head(&x->hd->req, hd, v->length);
		if (!x->name_len && hd->authority.present)
			x->name_len = copy_str(x->name, hd->authority.b, hd->authority.len);
		/* the datagram being handled carried it: the call that sent it */
		pos_event(tl, &q->calls_pos, q->tl_last, x, 0, q->pkts[0]);
	}
	if (!x)
		return -1;
	x->stream = v->stream_id > UINT32_MAX ? UINT32_MAX : (uint32_t)v->stream_id;
	if (v->kind == H3_EV_STREAM_DONE) {
		if (v->xchg && v->xchg->reset) {
			x->cancelled = true;
			if (v->xchg->reset_dir == 1 || x->resp_start)
				x->resp_end = now;
		}
		return -1;
	}
	int64_t dur = -1;
	if (v->dir == 0) {
		if (v->kind == H3_EV_FRAME && v->type == H3_DATA)
			x->up = v->body_done;
		x->req_end = now; /* the request's newest frame so far */
		return -1;
	}
	if (hd && v->head_kind != H3_HEAD_TRAILERS) {
		bool first = !x->resp_start;
		dur = resp_head(x, hd, v->length, 3, now);
		if (first) /* the datagram being handled: the call that returned it */
			pos_event(tl, &q->calls_pos, q->tl_last, x, 1, q->pkts[1]);
	}
	if (v->kind == H3_EV_FRAME && v->type == H3_DATA) {
		x->down = v->body_done;
		x->resp_end = now;
	}
	if (v->fin) {
		x->resp_end = now;
		if (x->resp_start && dur < 0 && v->kind == H3_EV_FRAME && v->type == H3_DATA)
			dur = now - x->resp_start;
	}
	return dur;
}

void timeline_quic_done(struct timeline *tl, const struct quicflow *q)
{
	/* each step goes to a higher index: the walk ends */
	for (uint32_t i1 = q->tl_first; at(tl, i1);) {
		struct tl_exch *x = at(tl, i1);
		if (!x->quic || x->conn != q->id)
			break;
		x->fin = q->ts_close;
		x->closed = q->ts_close ? q->ts_last : 0;
		x->close_how = q->close_dir == 0 ? 1 : q->close_dir == 1 ? 2 : 0;
		uint32_t next = x->next_on_conn;
		if (next > TL_OVF_BASE)
			x->next_on_conn = 0; /* its slot is free once handed over */
		retire(tl, x, i1);
		i1 = next;
	}
}

/* The connection's server name slot (a later ClientHello overwrites it);
 * NULL when the cap is reached or memory cannot be had. */
static struct tl_sni *sni_slot(struct timeline *tl, struct conn *c)
{
	if (c->tl_sni && c->tl_sni <= tl->n_sni && tl->sni[c->tl_sni - 1].conn == c->id)
		return &tl->sni[c->tl_sni - 1];
	if (tl->sni_free) {
		c->tl_sni = tl->sni_free;
		tl->sni_free = tl->sni[c->tl_sni - 1].next_free;
		tl->sni[c->tl_sni - 1].next_free = 0;
		return &tl->sni[c->tl_sni - 1];
	}
	if (tl->n_sni == tl->cap_sni) {
		size_t ncap = tl->cap_sni ? tl->cap_sni * 2 : 64;
		if (ncap > TL_MAX_EXCH)
			ncap = TL_MAX_EXCH;
		struct tl_sni *ns = tl->n_sni < ncap ? realloc(tl->sni, ncap * sizeof(*ns)) : NULL;
		if (!ns)
			return NULL;
		tl->sni = ns;
		tl->cap_sni = ncap;
	}
	c->tl_sni = (uint32_t)++tl->n_sni;
	return &tl->sni[c->tl_sni - 1];
}

void timeline_tls(struct timeline *tl, int64_t now, struct conn *c, const struct tls_ev *v)
{
	if (v->kind == TLS_EV_CLIENT_HELLO && v->ch && v->ch->has_sni && c->id) {
		struct tl_sni *sn = sni_slot(tl, c);
		if (sn) {
			sn->conn = c->id;
			sn->len = copy_str(sn->name, v->ch->sni, v->ch->sni_len);
		}
	}
	/* Opaque application data makes one "TLS" exchange; decrypted data that
	 * an application decoder follows is its own (its exchanges come from
	 * the decoder: HTTP/1.x); a likely session ticket is the handshake's. */
	if (v->kind != TLS_EV_APPDATA || v->guess == TLS_GUESS_TICKET ||
	    gone(tl, c->tl_last, c->id, false) ||
	    (v->decrypted && c->app != APP_OPAQUE && c->app != APP_UNKNOWN))
		return;
	struct tl_exch *x = find(tl, c, 0, false);
	if (!x) {
		if (v->dir != 0 || c->tl_tls_dropped)
			return; /* the request opens the exchange; one not kept is counted once */
		x = add(tl, now, c, 0);
		if (!x) {
			c->tl_tls_dropped = true;
			return;
		}
		x->method_len = copy_str(x->method, "TLS", 3);
		if (!x->name_len && c->fetch_id) {
			const struct tl_fetch *f = &tl->fetches[c->fetch_id % TL_MAX_FETCH_NAMES];
			x->name_len = copy_str(x->name, f->name, f->name_len);
		}
	}
	if (v->dir == 0) {
		/* the request is what the client sends before the response starts */
		x->up += v->rec_len;
		if (!x->resp_start)
			x->req_end = now;
	} else {
		if (!x->resp_start)
			x->resp_start = now;
		x->resp_end = now;
		x->down += v->rec_len;
	}
}

int64_t timeline_connect_end(const struct tl_exch *x)
{
	int64_t e = x->synack ? x->synack : x->est;
	/* through a proxy, connect() returns when the proxy has opened the tunnel */
	return x->proxy_end > e ? x->proxy_end : e;
}

void timeline_phases(const struct tl_exch *x, int64_t st[TL_PHASES], int64_t en[TL_PHASES])
{
	const int64_t from[TL_PHASES] = {
		[TL_DNS] = x->dns_start,    [TL_CONNECT] = x->syn,       [TL_TLS] = x->tls_start,
		[TL_SEND] = x->req_start,   [TL_WAIT] = x->req_end,      [TL_DOWNLOAD] = x->resp_start,
		[TL_CLOSE] = x->fin,
	};
	const int64_t to[TL_PHASES] = {
		[TL_DNS] = x->dns_end,      [TL_CONNECT] = timeline_connect_end(x),
		[TL_TLS] = x->tls_end,      [TL_SEND] = x->req_end,      [TL_WAIT] = x->resp_start,
		[TL_DOWNLOAD] = x->resp_end, [TL_CLOSE] = x->closed,
	};
	for (int ph = 0; ph < TL_PHASES; ph++) {
		bool seen = from[ph] && to[ph] >= from[ph];
		st[ph] = seen ? from[ph] : 0;
		en[ph] = seen ? to[ph] : 0;
	}
}

void timeline_conn_done(struct timeline *tl, const struct conn *c)
{
	/* each step goes to a higher index: the walk ends */
	for (uint32_t i1 = c->tl_first; at(tl, i1);) {
		struct tl_exch *x = at(tl, i1);
		if (x->conn != c->id)
			break; /* not this connection's (cannot happen: links are per connection) */
		x->fin = c->ts_fin;
		x->closed = c->ts_last;
		x->close_how = c->rst_dir >= 0 ? 3 : c->first_fin == 0 ? 1 : c->first_fin == 1 ? 2 : 0;
		uint32_t next = x->next_on_conn;
		if (next > TL_OVF_BASE)
			x->next_on_conn = 0; /* its slot is free once handed over */
		retire(tl, x, i1);
		i1 = next;
	}
	/* its server name slot is free for another connection */
	if (c->tl_sni && c->tl_sni <= tl->n_sni && tl->sni[c->tl_sni - 1].conn == c->id) {
		tl->sni[c->tl_sni - 1].conn = 0;
		tl->sni[c->tl_sni - 1].next_free = tl->sni_free;
		tl->sni_free = c->tl_sni;
	}
}

void timeline_stream_end(struct timeline *tl)
{
	if (!tl->done)
		return;
	/* a chunk whose exchanges have all left stays where it is (its pages
	 * may be in the file: not read back for nothing) */
	for (size_t i = 0; i < tl->n; i++)
		if (tl->n_open[i >> TL_CHUNK_SHIFT])
			retire(tl, ex_at(tl, i), (uint32_t)(i + 1));
	for (size_t j = 0; j < tl->n_ovf; j++) {
		struct tl_exch *x = at(tl, (uint32_t)(TL_OVF_BASE + j + 1));
		if (!x->retired)
			retire(tl, x, (uint32_t)(TL_OVF_BASE + j + 1));
	}
}
