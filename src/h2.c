/* h2.c - streaming HTTP/2 frame decoder (RFC 9113): preface, frames, header blocks, streams as exchanges. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "h2.h"

/*
 * Each direction is the preface (client only) and then frames (RFC 9113 4.1):
 *
 *   +-----------------------------------------------+
 *   |                 Length (24)                   |
 *   +---------------+---------------+---------------+
 *   |   Type (8)    |   Flags (8)   |
 *   +-+-------------+---------------+-------------------------------+
 *   |R|                 Stream Identifier (31)                      |
 *   +=+=============================================================+
 *   |                   Frame Payload (0...)                      ...
 *   +---------------------------------------------------------------+
 *
 * The decoder follows them byte by byte: the 9-byte header is gathered in
 * half->hdr, then the payload is walked by offset.  Fixed fields at the
 * start of a payload (Pad Length, the PRIORITY fields, a promised stream
 * id, a control frame's fields) are gathered in half->keep; a header block
 * fragment goes to the direction's HPACK inflater as it arrives; DATA is
 * counted; padding and unknown frame types are skipped.  Every event is
 * made when the frame's last byte went by, so how the bytes were cut
 * never changes the events.
 *
 * A protocol error that leaves the framing or the HPACK state in doubt
 * (no preface, a first frame that is not SETTINGS, a frame larger than
 * the receiver allows, a header block interrupted, bad padding in a
 * header block) stops that direction (H2_EV_OPAQUE): a real peer closes
 * the connection there too.  Lesser ones (a PING of the wrong size, DATA
 * on stream 0) are marked on the frame's event and the decoder goes on.
 */

#define KEEP_MAX 72              /* GOAWAY: 8 bytes of fields + H2_DEBUG_MAX of debug data */
#define DEFAULT_MAX_FRAME 16384  /* SETTINGS_MAX_FRAME_SIZE's initial value */
#define NO_VALUE UINT32_MAX

enum half_state {
	S_PREFACE = 0,  /* matching the client's connection preface */
	S_HEADER,       /* gathering a frame header */
	S_PAYLOAD,      /* inside a frame's payload */
	S_STOPPED,      /* not followed any more (bytes only counted) */
};

struct half {
	enum half_state st;
	uint8_t pre_got;            /* preface bytes matched */
	uint8_t hdr[H2_FRAME_HEADER_LEN];
	uint8_t hdr_got;            /* frame header bytes gathered */
	bool first_done;            /* the first frame (must be SETTINGS) went by */
	/* the frame being walked */
	uint32_t len;               /* payload length */
	uint8_t type, flags;
	uint32_t sid;               /* stream identifier */
	uint32_t off;               /* payload bytes walked */
	uint32_t pre;               /* fixed prefix bytes (pad length, priority, promised id) */
	uint32_t body_end;          /* payload offset where the padding starts (known after pre) */
	uint8_t pad;                /* Pad Length */
	uint8_t keep[KEEP_MAX];     /* prefix / control payload bytes gathered */
	uint8_t kept;
	uint32_t data_len;          /* DATA bytes of this frame */
	const char *bad;            /* a protocol error in this frame (static text) */
	struct h2_ev sets;          /* SETTINGS entries, gathered as they go by */
	/* the header block in progress (HEADERS or PUSH_PROMISE, then CONTINUATION) */
	bool in_block;
	uint8_t block_type;
	uint32_t block_sid, block_promised;
	bool block_end_stream;
	uint32_t block_len;         /* fragment bytes so far */
	bool block_skip;            /* not decoded (HPACK broken or block too large) */
	bool block_too_big;         /* more than H2_BLOCK_MAX bytes */
	struct hpack_inflater hp;   /* decodes this side's header blocks */
	struct hpack_headers cur;   /* the block being decoded */
	/* settings */
	uint32_t max_frame;         /* largest frame the peer allows this side */
	uint32_t pending_table;     /* a smaller HEADER_TABLE_SIZE this side announced, waiting
	                               for the peer's SETTINGS ACK (NO_VALUE: none) */
	/* counters */
	uint64_t n_frames, n_unknown, n_errors, stopped_bytes;
};

struct h2_conn {
	struct hpack_budget *budget;
	struct half half[2];
	struct h2_stream streams[H2_MAX_STREAMS];
	uint32_t n_streams, n_open, n_overflow;
	bool preface_seen;
	bool goaway[2];
	h2_data_fn data_fn;         /* DATA payload sink, or NULL */
	void *data_ctx;
};

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

const char *h2_frame_name(uint8_t type)
{
	static const char *const names[] = {
		"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE",
		"PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION",
	};
	return type < sizeof names / sizeof names[0] ? names[type] : NULL;
}

/* RFC 9113 7 */
const char *h2_error_name(uint32_t code)
{
	static const char *const names[] = {
		"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
		"SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM",
		"CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
		"INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
	};
	return code < sizeof names / sizeof names[0] ? names[code] : NULL;
}

const char *h2_setting_name(uint16_t id)
{
	static const char *const names[] = {
		NULL, "HEADER_TABLE_SIZE", "ENABLE_PUSH", "MAX_CONCURRENT_STREAMS",
		"INITIAL_WINDOW_SIZE", "MAX_FRAME_SIZE", "MAX_HEADER_LIST_SIZE",
	};
	if (id < sizeof names / sizeof names[0])
		return names[id];
	if (id == 8)
		return "ENABLE_CONNECT_PROTOCOL"; /* RFC 8441 */
	if (id == 9)
		return "NO_RFC7540_PRIORITIES";   /* RFC 9218 */
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Sniffing                                                            */
/* ------------------------------------------------------------------ */

enum ft_status h2_sniff_preface(const uint8_t *data, size_t len)
{
	size_t n = len < H2_PREFACE_LEN ? len : H2_PREFACE_LEN;
	if (len == 0)
		return FT_NEED_MORE;
	if (data == NULL || memcmp(data, H2_PREFACE, n) != 0)
		return FT_UNSUPPORTED;
	return len >= H2_PREFACE_LEN ? FT_OK : FT_NEED_MORE;
}

enum ft_status h2_sniff_settings(const uint8_t *data, size_t len)
{
	/* length % 6 == 0 (at most 16384), type 4, flags 0 (not an ACK), stream 0 */
	static const uint8_t want[9] = { 0, 0, 0, H2_SETTINGS, 0, 0, 0, 0, 0 };
	size_t i;
	if (len == 0)
		return FT_NEED_MORE;
	if (data == NULL)
		return FT_UNSUPPORTED;
	for (i = 0; i < len && i < 9; i++) {
		if (i == 0 && data[0] != 0)
			return FT_UNSUPPORTED;
		if (i >= 3 && (data[i] & (i == 5 ? 0x7f : 0xff)) != want[i])
			return FT_UNSUPPORTED;
	}
	if (len < 9)
		return FT_NEED_MORE;
	{
		uint32_t l = (uint32_t)data[1] << 8 | data[2];
		return l % 6 == 0 && l <= DEFAULT_MAX_FRAME ? FT_OK : FT_UNSUPPORTED;
	}
}

bool h2_upgrade_token(const uint8_t *v, size_t n)
{
	size_t i = 0;
	if (v == NULL)
		return false;
	while (i < n) {
		size_t a, b;
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		a = i;
		while (i < n && v[i] != ',')
			i++;
		b = i;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
			b--;
		if (b - a == 3 && (v[a] | 0x20) == 'h' && v[a + 1] == '2' && (v[a + 2] | 0x20) == 'c')
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

void h2_events_clear(struct h2_events *ev)
{
	ev->n = ev->n_dropped = ev->n_heads = ev->n_done = 0;
}

static struct h2_ev *ev_new(struct h2_conn *c, struct h2_events *out, enum h2_ev_kind kind, int dir)
{
	struct h2_ev *e;
	if (out->n >= H2_MAX_EVENTS) {
		if (out->n_dropped < UINT8_MAX)
			out->n_dropped++;
		return NULL;
	}
	e = &out->ev[out->n++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->dir = (uint8_t)dir;
	e->after_goaway = c->goaway[0] || c->goaway[1];
	e->body_total = UINT64_MAX;
	e->status = FT_OK;
	return e;
}

/* This direction is not followed from here. */
static void stop(struct h2_conn *c, int dir, struct h2_events *out, enum ft_status st,
		 const char *why)
{
	struct half *h = &c->half[dir];
	struct h2_ev *e;
	if (h->st == S_STOPPED)
		return;
	h->st = S_STOPPED;
	if (h->in_block || h->hp.in_block)
		hpack_lost(&h->hp); /* a block cut short: the table is unknown */
	h->in_block = false;
	if (h->n_errors < UINT64_MAX && st == FT_MALFORMED)
		h->n_errors++;
	e = ev_new(c, out, H2_EV_OPAQUE, dir);
	if (e) {
		e->status = st;
		e->why = why;
	}
}

/* ------------------------------------------------------------------ */
/* Streams                                                             */
/* ------------------------------------------------------------------ */

static struct h2_stream *stream_find(struct h2_conn *c, uint32_t id)
{
	if (id == 0)
		return NULL;
	for (size_t i = 0; i < H2_MAX_STREAMS; i++)
		if (c->streams[i].id == id)
			return &c->streams[i];
	return NULL;
}

const struct h2_stream *h2_stream_find(const struct h2_conn *c, uint32_t id)
{
	return stream_find((struct h2_conn *)c, id);
}

/* The stream, opened if new; NULL when the table is full (counted) or id is 0. */
static struct h2_stream *stream_open(struct h2_conn *c, uint32_t id)
{
	struct h2_stream *s = stream_find(c, id);
	if (s || id == 0)
		return s;
	for (size_t i = 0; i < H2_MAX_STREAMS; i++) {
		s = &c->streams[i];
		if (s->id != 0)
			continue;
		memset(s, 0, sizeof *s);
		s->id = id;
		s->req_length = s->resp_length = UINT64_MAX;
		if (c->n_streams < UINT32_MAX)
			c->n_streams++;
		s->exchange = c->n_streams;
		c->n_open++;
		return s;
	}
	if (c->n_overflow < UINT32_MAX)
		c->n_overflow++;
	return NULL;
}

/* A stream that ended both ways, or was reset, is handed up and its slot freed. */
static void stream_maybe_done(struct h2_conn *c, struct h2_stream *s, int dir, struct h2_events *out)
{
	struct h2_ev *e;
	if (!s || !((s->end[0] && s->end[1]) || s->reset || s->goaway_refused))
		return;
	e = ev_new(c, out, H2_EV_STREAM_DONE, dir);
	if (e) {
		e->stream_id = s->id;
		e->exchange = s->exchange;
		if (out->n_done < H2_MAX_DONE) {
			out->done[out->n_done] = *s;
			e->stream = &out->done[out->n_done++];
		}
	}
	s->id = 0;
	c->n_open--;
}

#define SHORT_SET(dst, src)                                                              \
	do {                                                                             \
		size_t k_ = (src)->len < sizeof (dst).b ? (src)->len : sizeof (dst).b;   \
		(dst).len = (uint8_t)k_;                                                 \
		(dst).cut = (src)->cut || (src)->len > sizeof (dst).b;                   \
		memcpy((dst).b, (src)->b, k_);                                           \
	} while (0)

static void stream_request(struct h2_stream *s, const struct hpack_headers *hd)
{
	s->req_seen = true;
	SHORT_SET(s->method, &hd->method);
	SHORT_SET(s->path, &hd->path);
	SHORT_SET(s->authority, &hd->authority);
	SHORT_SET(s->req_content_type, &hd->content_type);
	if (hd->has_length)
		s->req_length = hd->length;
}

void h2_set_data_sink(struct h2_conn *c, h2_data_fn fn, void *ctx)
{
	if (c) {
		c->data_fn = fn;
		c->data_ctx = ctx;
	}
}

/* ------------------------------------------------------------------ */
/* Settings                                                            */
/* ------------------------------------------------------------------ */

/* One setting that side `dir` announced (RFC 9113 6.5.2); from_upgrade: the
 * HTTP2-Settings of an h2c upgrade, in force at once. */
static const char *setting_apply(struct h2_conn *c, int dir, uint16_t id, uint32_t v,
				 bool from_upgrade)
{
	struct half *peer = &c->half[!dir];
	switch (id) {
	case H2_SET_HEADER_TABLE_SIZE:
		/* limits the peer's encoder, so the inflater of the peer's blocks.
		 * More room is harmless at once; less only counts from the point
		 * the peer acknowledged it (its ACK is in its own byte stream). */
		if (from_upgrade || v >= peer->hp.table_max)
			hpack_set_table_max(&peer->hp, v);
		else
			c->half[dir].pending_table = v;
		break;
	case H2_SET_MAX_FRAME_SIZE:
		if (v < DEFAULT_MAX_FRAME || v > 16777215)
			return "bad SETTINGS_MAX_FRAME_SIZE";
		if (v > peer->max_frame)
			peer->max_frame = v;
		break;
	case H2_SET_ENABLE_PUSH:
		if (v > 1)
			return "bad SETTINGS_ENABLE_PUSH";
		break;
	case H2_SET_INITIAL_WINDOW_SIZE:
		if (v > 0x7fffffffu)
			return "bad SETTINGS_INITIAL_WINDOW_SIZE";
		break;
	default:
		break;
	}
	return NULL;
}

static int b64url_val(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-' || ch == '+')
		return 62;
	if (ch == '_' || ch == '/')
		return 63;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Connection                                                          */
/* ------------------------------------------------------------------ */

struct h2_conn *h2_new(struct hpack_budget *budget)
{
	struct h2_conn *c;
	if (sizeof *c > budget->cap - budget->used) {
		if (budget->n_refused < UINT32_MAX)
			budget->n_refused++;
		return NULL;
	}
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->budget = budget;
	budget->used += sizeof *c;
	if (budget->used > budget->peak)
		budget->peak = budget->used;
	for (int d = 0; d < 2; d++) {
		struct half *h = &c->half[d];
		h->st = d == 0 ? S_PREFACE : S_HEADER;
		h->max_frame = DEFAULT_MAX_FRAME;
		h->pending_table = NO_VALUE;
		/* an inflater that could not be made leaves a sticky error:
		 * frames are still followed, header blocks are not decoded */
		(void)hpack_init(&h->hp, budget);
	}
	return c;
}

void h2_free(struct h2_conn *c)
{
	if (c == NULL)
		return;
	hpack_free(&c->half[0].hp);
	hpack_free(&c->half[1].hp);
	c->budget->used -= sizeof *c;
	free(c);
}

static void up_str(struct hpack_str *t, const char *p, size_t n)
{
	size_t k = n < HPACK_VAL_MAX ? n : HPACK_VAL_MAX;
	t->len = (uint16_t)k;
	t->cut = n > HPACK_VAL_MAX;
	t->present = true;
	if (k)
		memcpy(t->b, p, k);
}

void h2_open_upgraded(struct h2_conn *c, const char *method, size_t method_len, const char *path,
		      size_t path_len, const char *authority, size_t authority_len,
		      const char *settings_b64, size_t settings_len)
{
	struct h2_stream *s = stream_open(c, 1);
	struct hpack_str tmp;
	if (s) {
		s->req_seen = true;
		s->end[0] = true;
		if (method) {
			up_str(&tmp, method, method_len);
			SHORT_SET(s->method, &tmp);
		}
		if (path) {
			up_str(&tmp, path, path_len);
			SHORT_SET(s->path, &tmp);
		}
		if (authority) {
			up_str(&tmp, authority, authority_len);
			SHORT_SET(s->authority, &tmp);
		}
	}
	/* HTTP2-Settings: base64url of a SETTINGS payload, 6 bytes an entry */
	if (settings_b64) {
		uint8_t ent[6];
		unsigned n = 0, bits = 0;
		uint32_t acc = 0;
		for (size_t i = 0; i < settings_len; i++) {
			int v = b64url_val((uint8_t)settings_b64[i]);
			if (v < 0)
				break; /* '=' padding or the end */
			acc = (acc << 6 | (uint32_t)v) & 0xffffff;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				ent[n++] = (uint8_t)(acc >> bits);
				if (n == 6) {
					uint16_t id = (uint16_t)(ent[0] << 8 | ent[1]);
					uint32_t val = (uint32_t)ent[2] << 24 | (uint32_t)ent[3] << 16 |
						       (uint32_t)ent[4] << 8 | ent[5];
					(void)setting_apply(c, 0, id, val, true);
					n = 0;
				}
			}
		}
	}
}

void h2_info(const struct h2_conn *c, struct h2_info *out)
{
	memset(out, 0, sizeof *out);
	out->preface_seen = c->preface_seen;
	out->n_streams = c->n_streams;
	out->n_open = c->n_open;
	out->n_overflow = c->n_overflow;
	for (int d = 0; d < 2; d++) {
		out->goaway[d] = c->goaway[d];
		out->stopped[d] = c->half[d].st == S_STOPPED;
		out->n_frames[d] = c->half[d].n_frames;
		out->n_unknown[d] = c->half[d].n_unknown;
		out->n_errors[d] = c->half[d].n_errors;
		out->hpack_err[d] = c->half[d].hp.err;
	}
}

/* ------------------------------------------------------------------ */
/* Header blocks                                                       */
/* ------------------------------------------------------------------ */

/* Fragment bytes of the block in progress. */
static void block_bytes(struct half *h, const uint8_t *p, size_t n)
{
	if (h->block_skip || n == 0)
		return;
	if (n > H2_BLOCK_MAX - h->block_len) {
		/* too large to follow: the table it changes is lost with it */
		h->block_skip = h->block_too_big = true;
		hpack_lost(&h->hp);
		return;
	}
	h->block_len += (uint32_t)n;
	if (hpack_decode(&h->hp, p, n, false, &h->cur) == FT_MALFORMED)
		h->block_skip = true;
}

/* The block ended (END_HEADERS): decode its end, update the stream, point the event at it. */
static void block_end(struct h2_conn *c, int dir, struct h2_ev *e, struct h2_events *out)
{
	struct half *h = &c->half[dir];
	struct h2_stream *s;
	bool ok = false;
	enum h2_head_kind kind;

	h->in_block = false;
	if (!h->block_skip)
		ok = hpack_decode(&h->hp, NULL, 0, true, &h->cur) == FT_OK;
	if (!ok && e && e->status == FT_OK) {
		e->status = FT_MALFORMED;
		e->why = h->block_too_big ? "header block larger than 256 KiB: HPACK state lost"
			 : hpack_err_name(h->hp.err) ? hpack_err_name(h->hp.err)
						      : "header block not decoded";
	}

	if (h->block_type == H2_PUSH_PROMISE) {
		kind = H2_HEAD_PUSH;
		s = ok && dir == 1 ? stream_open(c, h->block_promised) : stream_find(c, h->block_promised);
		if (s && ok && dir == 1) {
			s->pushed = true;
			s->end[0] = true; /* a pushed stream has no request body (RFC 9113 8.4) */
			stream_request(s, &h->cur);
		}
	} else {
		s = stream_find(c, h->block_sid);
		if (dir == 0)
			kind = s && s->req_seen ? H2_HEAD_TRAILERS : H2_HEAD_REQUEST;
		else if (ok && h->cur.status_code >= 100 && h->cur.status_code < 200)
			kind = H2_HEAD_INFO;
		else
			kind = s && s->resp_seen ? H2_HEAD_TRAILERS : H2_HEAD_RESPONSE;
		if (s && ok) {
			if (kind == H2_HEAD_REQUEST) {
				stream_request(s, &h->cur);
			} else if (kind == H2_HEAD_RESPONSE) {
				s->resp_seen = true;
				s->status = h->cur.status_code;
				SHORT_SET(s->content_type, &h->cur.content_type);
				if (h->cur.has_length)
					s->resp_length = h->cur.length;
			}
		}
		if (s && h->block_end_stream)
			s->end[dir] = true;
	}
	if (e) {
		e->head_kind = kind;
		if (h->block_type == H2_PUSH_PROMISE)
			e->promised_id = h->block_promised;
		if (s)
			e->exchange = s->exchange;
		if (ok && out->n_heads < H2_MAX_HEADS) {
			out->heads[out->n_heads] = h->cur;
			e->head = &out->heads[out->n_heads++];
		}
	}
	if (h->block_type != H2_PUSH_PROMISE)
		stream_maybe_done(c, s, dir, out);
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */
/* ------------------------------------------------------------------ */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The frame header is complete: check it, set up the payload walk.
 * Returns false when the direction stopped. */
static bool frame_start(struct h2_conn *c, int dir, struct h2_events *out)
{
	struct half *h = &c->half[dir];
	h->len = (uint32_t)h->hdr[0] << 16 | (uint32_t)h->hdr[1] << 8 | h->hdr[2];
	h->type = h->hdr[3];
	h->flags = h->hdr[4];
	h->sid = be32(h->hdr + 5) & 0x7fffffffu; /* R: reserved, ignored (4.1) */
	h->off = 0;
	h->pre = 0;
	h->pad = 0;
	h->body_end = h->len;
	h->kept = 0;
	h->data_len = 0;
	h->bad = NULL;
	memset(&h->sets, 0, sizeof h->sets);

	if (!h->first_done) {
		h->first_done = true;
		/* 3.4: each side's preface ends with (or is) a SETTINGS frame */
		if (h->type != H2_SETTINGS || (h->flags & H2_F_ACK)) {
			stop(c, dir, out, FT_UNSUPPORTED, "first frame is not SETTINGS: not HTTP/2");
			return false;
		}
	}
	if (h->len > h->max_frame) {
		stop(c, dir, out, FT_MALFORMED, "frame larger than SETTINGS_MAX_FRAME_SIZE");
		return false;
	}
	if (h->in_block && (h->type != H2_CONTINUATION || h->sid != h->block_sid)) {
		stop(c, dir, out, FT_MALFORMED, "header block interrupted (CONTINUATION expected)");
		return false;
	}
	switch (h->type) {
	case H2_DATA:
		h->pre = (h->flags & H2_F_PADDED) ? 1 : 0;
		if (h->sid == 0)
			h->bad = "DATA on stream 0";
		break;
	case H2_HEADERS:
		h->pre = ((h->flags & H2_F_PADDED) ? 1 : 0) + ((h->flags & H2_F_PRIORITY) ? 5 : 0);
		if (h->sid == 0) {
			stop(c, dir, out, FT_MALFORMED, "HEADERS on stream 0");
			return false;
		}
		break;
	case H2_PUSH_PROMISE:
		h->pre = ((h->flags & H2_F_PADDED) ? 1 : 0) + 4;
		if (h->sid == 0) {
			stop(c, dir, out, FT_MALFORMED, "PUSH_PROMISE on stream 0");
			return false;
		}
		if (dir == 0) /* 8.4: only servers push; the block is still decoded (HPACK) */
			h->bad = "PUSH_PROMISE from the client";
		break;
	case H2_CONTINUATION:
		if (!h->in_block) {
			stop(c, dir, out, FT_MALFORMED, "CONTINUATION without a header block");
			return false;
		}
		break;
	case H2_SETTINGS:
		if (h->sid != 0)
			h->bad = "SETTINGS on a stream";
		else if ((h->flags & H2_F_ACK) && h->len != 0)
			h->bad = "SETTINGS ACK with a payload";
		else if (h->len % 6 != 0)
			h->bad = "SETTINGS length not a multiple of 6";
		break;
	case H2_PING:
		if (h->len != 8)
			h->bad = "PING length not 8";
		else if (h->sid != 0)
			h->bad = "PING on a stream";
		break;
	case H2_GOAWAY:
		if (h->len < 8)
			h->bad = "GOAWAY shorter than 8";
		else if (h->sid != 0)
			h->bad = "GOAWAY on a stream";
		break;
	case H2_WINDOW_UPDATE:
		if (h->len != 4)
			h->bad = "WINDOW_UPDATE length not 4";
		break;
	case H2_RST_STREAM:
		if (h->len != 4)
			h->bad = "RST_STREAM length not 4";
		else if (h->sid == 0)
			h->bad = "RST_STREAM on stream 0";
		break;
	case H2_PRIORITY:
		if (h->len != 5)
			h->bad = "PRIORITY length not 5";
		else if (h->sid == 0)
			h->bad = "PRIORITY on stream 0";
		break;
	default:
		break;
	}
	if (h->pre > h->len) {
		if (h->type == H2_DATA) {
			h->bad = "DATA shorter than its Pad Length";
			h->pre = h->len;
		} else {
			stop(c, dir, out, FT_MALFORMED, "frame shorter than its fixed fields");
			return false;
		}
	}
	if (h->type == H2_HEADERS || h->type == H2_PUSH_PROMISE) {
		h->in_block = true;
		h->block_type = h->type;
		h->block_sid = h->sid;
		h->block_promised = 0;
		h->block_end_stream = h->type == H2_HEADERS && (h->flags & H2_F_END_STREAM);
		h->block_len = 0;
		h->block_skip = h->block_too_big = false;
		if (h->type == H2_HEADERS && !stream_open(c, h->sid) && h->bad == NULL)
			h->bad = "stream table full: stream not followed";
	}
	return true;
}

/* The fixed prefix is in keep: where the body ends (padding, 6.1, 6.2, 6.6). */
static bool prefix_done(struct h2_conn *c, int dir, struct h2_events *out)
{
	struct half *h = &c->half[dir];
	uint32_t body = h->len - h->pre;
	if (h->flags & H2_F_PADDED) {
		h->pad = h->keep[0];
		if (h->pad > body) {
			if (h->type != H2_DATA) {
				stop(c, dir, out, FT_MALFORMED, "padding longer than the frame");
				return false;
			}
			h->bad = "padding longer than the frame";
			h->pad = (uint8_t)(body < 255 ? body : 255);
		}
	}
	h->body_end = h->len - h->pad;
	if (h->type == H2_PUSH_PROMISE)
		h->block_promised = be32(h->keep + h->pre - 4) & 0x7fffffffu;
	return true;
}

/* A SETTINGS entry went by (6 bytes in keep). */
static void setting_entry(struct h2_conn *c, int dir)
{
	struct half *h = &c->half[dir];
	uint16_t id = (uint16_t)(h->keep[0] << 8 | h->keep[1]);
	uint32_t v = be32(h->keep + 2);
	const char *why;
	if (h->sets.n_settings_all < UINT16_MAX)
		h->sets.n_settings_all++;
	if (h->sets.n_settings < H2_MAX_SETTINGS) {
		h->sets.settings[h->sets.n_settings].id = id;
		h->sets.settings[h->sets.n_settings++].value = v;
	}
	if (h->bad == NULL && (why = setting_apply(c, dir, id, v, false)) != NULL)
		h->bad = why;
	h->kept = 0;
}

/* The frame's last byte went by: its event and what it does to the streams. */
static void frame_end(struct h2_conn *c, int dir, struct h2_events *out)
{
	struct half *h = &c->half[dir];
	struct h2_stream *s = NULL;
	struct h2_ev *e;
	bool known = h->type <= H2_CONTINUATION;

	if (h->n_frames < UINT64_MAX)
		h->n_frames++;
	if (!known && h->n_unknown < UINT64_MAX)
		h->n_unknown++;
	if (h->bad && h->n_errors < UINT64_MAX)
		h->n_errors++;
	if (h->type == H2_GOAWAY && !h->bad)
		c->goaway[dir] = true; /* before ev_new: GOAWAY itself is close */

	e = ev_new(c, out, H2_EV_FRAME, dir);
	if (e) {
		e->type = h->type;
		e->flags = h->flags;
		e->stream_id = h->sid;
		e->length = h->len;
		if (h->bad) {
			e->status = FT_MALFORMED;
			e->why = h->bad;
		}
	}

	switch (h->type) {
	case H2_DATA:
		s = h->bad ? NULL : stream_find(c, h->sid);
		if (e) {
			e->data_len = h->data_len;
			e->end_stream = (h->flags & H2_F_END_STREAM) != 0;
		}
		if (s) {
			s->data[dir] += h->data_len;
			if (s->n_data[dir] < UINT32_MAX)
				s->n_data[dir]++;
			if (e) {
				e->exchange = s->exchange;
				e->body_done = s->data[dir];
				e->body_total = dir == 0 ? s->req_length : s->resp_length;
			}
			if (h->flags & H2_F_END_STREAM)
				s->end[dir] = true;
			stream_maybe_done(c, s, dir, out);
		}
		break;
	case H2_HEADERS:
		if (e) {
			e->end_stream = (h->flags & H2_F_END_STREAM) != 0;
			if ((h->flags & H2_F_PRIORITY) && h->pre >= 5) {
				const uint8_t *p = h->keep + h->pre - 5;
				e->exclusive = (p[0] & 0x80) != 0;
				e->dep_stream = be32(p) & 0x7fffffffu;
				e->weight = p[4];
			}
		}
		/* fall through */
	case H2_PUSH_PROMISE:
	case H2_CONTINUATION:
		if (h->flags & H2_F_END_HEADERS)
			block_end(c, dir, e, out);
		else if (e && (s = stream_find(c, h->block_sid)) != NULL)
			e->exchange = s->exchange;
		if (e && h->type == H2_PUSH_PROMISE)
			e->promised_id = h->block_promised;
		break;
	case H2_SETTINGS:
		if (e) {
			e->n_settings = h->sets.n_settings;
			e->n_settings_all = h->sets.n_settings_all;
			memcpy(e->settings, h->sets.settings, sizeof e->settings);
		}
		if ((h->flags & H2_F_ACK) && !h->bad) {
			/* this side applied what the peer announced: a smaller table now counts */
			struct half *peer = &c->half[!dir];
			if (peer->pending_table != NO_VALUE) {
				hpack_set_table_max(&h->hp, peer->pending_table);
				peer->pending_table = NO_VALUE;
			}
		}
		break;
	case H2_PING:
		if (e && h->kept >= 8)
			memcpy(e->ping, h->keep, 8);
		break;
	case H2_WINDOW_UPDATE:
		if (e && h->kept >= 4)
			e->window_inc = be32(h->keep) & 0x7fffffffu;
		if (e && (s = stream_find(c, h->sid)) != NULL)
			e->exchange = s->exchange;
		break;
	case H2_PRIORITY:
		if (e && h->kept >= 5) {
			e->exclusive = (h->keep[0] & 0x80) != 0;
			e->dep_stream = be32(h->keep) & 0x7fffffffu;
			e->weight = h->keep[4];
		}
		break;
	case H2_RST_STREAM:
		if (h->bad || h->kept < 4)
			break;
		if (e)
			e->error_code = be32(h->keep);
		s = stream_find(c, h->sid);
		if (s) {
			s->reset = true;
			s->reset_dir = (uint8_t)dir;
			s->reset_code = be32(h->keep);
			if (e)
				e->exchange = s->exchange;
			stream_maybe_done(c, s, dir, out);
		}
		break;
	case H2_GOAWAY:
		if (h->bad || h->kept < 8)
			break;
		{
			uint32_t last = be32(h->keep) & 0x7fffffffu;
			uint32_t dl = h->len - 8;
			if (e) {
				e->last_stream_id = last;
				e->error_code = be32(h->keep + 4);
				e->debug_len = (uint8_t)(dl < H2_DEBUG_MAX ? dl : H2_DEBUG_MAX);
				e->debug_cut = dl > H2_DEBUG_MAX;
				memcpy(e->debug, h->keep + 8, e->debug_len);
			}
			/* streams the receiver opened above last were never processed
			 * (6.8): they end here (the GOAWAY's sender is dir, the other
			 * side opened streams of the other parity: odd = client) */
			for (size_t i = 0; i < H2_MAX_STREAMS; i++) {
				struct h2_stream *t = &c->streams[i];
				bool by_receiver = (t->id & 1) == (dir == 1 ? 1u : 0u);
				if (t->id != 0 && by_receiver && t->id > last) {
					t->goaway_refused = true;
					stream_maybe_done(c, t, dir, out);
				}
			}
		}
		break;
	default:
		break;
	}
	h->st = S_HEADER;
	h->hdr_got = 0;
}

/* Walk payload bytes p[0..n) of the current frame (n <= len - off). */
static bool payload(struct h2_conn *c, int dir, const uint8_t *p, size_t n, struct h2_events *out)
{
	struct half *h = &c->half[dir];
	size_t i = 0;

	while (i < n) {
		size_t left = n - i;
		if (h->off < h->pre) {
			/* the fixed prefix, into keep */
			size_t k = h->pre - h->off;
			if (k > left)
				k = left;
			memcpy(h->keep + h->kept, p + i, k);
			h->kept = (uint8_t)(h->kept + k);
			h->off += (uint32_t)k;
			i += k;
			if (h->off == h->pre && !prefix_done(c, dir, out))
				return false;
			continue;
		}
		if (h->off < h->body_end) {
			size_t k = h->body_end - h->off;
			if (k > left)
				k = left;
			switch (h->type) {
			case H2_DATA:
				h->data_len += (uint32_t)k;
				if (c->data_fn && !h->bad)
					c->data_fn(c->data_ctx, dir, h->sid, p + i, k);
				break;
			case H2_HEADERS:
			case H2_PUSH_PROMISE:
			case H2_CONTINUATION:
				block_bytes(h, p + i, k);
				break;
			case H2_SETTINGS:
				if (h->bad) /* a bad SETTINGS is not applied */
					break;
				for (size_t j = 0; j < k; j++) {
					h->keep[h->kept++] = p[i + j];
					if (h->kept == 6)
						setting_entry(c, dir);
				}
				break;
			default:
				if (h->type <= H2_CONTINUATION && h->kept < KEEP_MAX) {
					size_t room = KEEP_MAX - h->kept;
					size_t m = k < room ? k : room;
					memcpy(h->keep + h->kept, p + i, m);
					h->kept = (uint8_t)(h->kept + m);
				}
				break;
			}
			h->off += (uint32_t)k;
			i += k;
			continue;
		}
		/* padding (or nothing left of the body): skipped */
		{
			size_t k = h->len - h->off;
			if (k > left)
				k = left;
			h->off += (uint32_t)k;
			i += k;
		}
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Feeding                                                             */
/* ------------------------------------------------------------------ */

size_t h2_feed(struct h2_conn *c, int dir, const uint8_t *data, size_t len, struct h2_events *out)
{
	struct half *h;
	size_t i = 0;

	if (c == NULL || (dir != 0 && dir != 1) || (data == NULL && len > 0))
		return len;
	h = &c->half[dir];
	unsigned n_seen = out->n;
	/* every round consumes at least one byte or ends a frame that is
	 * complete (a zero-length payload right after its header) */
	while (i < len) {
		/* the events of the last round end where it stopped */
		for (; n_seen < out->n; n_seen++)
			out->ev[n_seen].feed_end = (uint32_t)i;
		switch (h->st) {
		case S_PREFACE:
			if (data[i] != (uint8_t)H2_PREFACE[h->pre_got]) {
				stop(c, dir, out, FT_UNSUPPORTED, "no HTTP/2 connection preface");
				break;
			}
			i++;
			if (++h->pre_got == H2_PREFACE_LEN) {
				c->preface_seen = true;
				h->st = S_HEADER;
				(void)ev_new(c, out, H2_EV_PREFACE, dir);
			}
			break;
		case S_HEADER: {
			size_t k = H2_FRAME_HEADER_LEN - h->hdr_got;
			if (k > len - i)
				k = len - i;
			memcpy(h->hdr + h->hdr_got, data + i, k);
			h->hdr_got = (uint8_t)(h->hdr_got + k);
			i += k;
			if (h->hdr_got < H2_FRAME_HEADER_LEN)
				break;
			if (!frame_start(c, dir, out))
				break;
			h->st = S_PAYLOAD;
			if (h->len == 0) {
				if (h->pre == 0 || prefix_done(c, dir, out))
					frame_end(c, dir, out);
			}
			break;
		}
		case S_PAYLOAD: {
			size_t k = h->len - h->off;
			if (k > len - i)
				k = len - i;
			if (!payload(c, dir, data + i, k, out))
				break;
			i += k;
			if (h->off == h->len)
				frame_end(c, dir, out);
			break;
		}
		case S_STOPPED:
			h->stopped_bytes += len - i;
			i = len;
			break;
		}
	}
	for (; n_seen < out->n; n_seen++)
		out->ev[n_seen].feed_end = (uint32_t)i;
	return len;
}

void h2_gap(struct h2_conn *c, int dir, uint64_t len, struct h2_events *out)
{
	struct h2_ev *e;
	if (c == NULL || (dir != 0 && dir != 1) || len == 0)
		return;
	e = ev_new(c, out, H2_EV_GAP, dir);
	if (e)
		e->bytes = len;
	hpack_lost(&c->half[dir].hp); /* the lost bytes may have held a header block */
	stop(c, dir, out, FT_TRUNCATED, "bytes lost: HTTP/2 framing and HPACK state cannot be recovered");
}
