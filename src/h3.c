/* h3.c - HTTP/3 (RFC 9114) over QUIC stream data: stream types, frames, QPACK blocks, exchanges. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "h3.h"
#include "quicframe.h"

/*
 * Every stream direction is a byte sequence decoded in order (struct rx).
 * A unidirectional stream starts with its type varint (gathered in
 * slot->tb), a push stream then with its push id; the frame streams
 * (request, push, control) are frames:
 *
 *   HTTP/3 Frame {
 *     Type (i),
 *     Length (i),
 *     Frame Payload (..),
 *   }
 *
 * The two varints are gathered in rx->hb, then the payload is walked:
 * DATA counted, a header block copied into one of the connection's
 * collect buffers, a control frame's payload into rx->small, anything
 * else skipped.  The frame's event is made at its last byte.
 *
 * Out-of-order bytes wait in the connection's holding areas (struct
 * ooo): each one range of one stream direction; when the in-order
 * offset reaches a range, the rest of it is decoded and the area freed.
 */

struct rx {
	uint64_t next;              /* offset of the next byte to decode */
	bool fin_known;             /* the FIN's offset is known */
	uint64_t fin_at;            /* the final size */
	bool fin_done;              /* every byte up to the FIN was decoded */
	bool stopped;               /* a gap or a fatal error: not decoded any more */
	bool seen;                  /* any byte arrived this way */
	/* the frame in progress */
	uint8_t hb[16];             /* type and length varints gathered */
	uint8_t hl;
	bool in_payload;
	uint64_t ftype, flen, fleft;
	int coll;                   /* collect buffer of this header block, -1 none */
	const char *skip_why;       /* the header block is not collected (why) */
	const char *bad;            /* this frame breaks a rule (why) */
	uint8_t small[H3_SMALL_MAX];
	uint8_t small_len;
	bool small_cut;
	bool first_done;            /* a frame ended on this stream direction */
	bool headers_seen;          /* a HEADERS frame ended (request streams: DATA may follow) */
};

struct slot {
	bool used;
	uint64_t id;
	enum h3_stream_kind kind;
	uint8_t owner;              /* unidirectional: the side that sends */
	uint8_t tb[8], tl;          /* the type varint being gathered */
	uint64_t uni_type;
	uint8_t pb[8], pl;          /* a push stream's push id being gathered */
	bool push_known;
	bool has_x;
	struct h3_exchange x;
	struct rx rx[2];
};

struct ooo {
	bool used;
	uint64_t id;
	uint8_t dir;
	uint64_t off;               /* stream offset of b[0] */
	size_t len;
	uint8_t b[H3_OOO_MAX];
};

struct h3_conn {
	struct hpack_budget *budget;
	size_t charged;             /* bytes of this struct counted in the budget */
	struct slot s[H3_MAX_STREAMS];
	struct qpack_decoder q[2];  /* q[d] decodes the blocks side d sends */
	bool q_made[2], q_default[2], q_err_told[2];
	bool have_uni[2][4];        /* control / push / encoder / decoder stream of each side seen */
	uint64_t set_cap[2], set_blocked[2]; /* SETTINGS of each side (the QPACK ones) */
	bool coll_used[H3_MAX_COLLECT];
	uint32_t coll_len[H3_MAX_COLLECT];
	uint8_t coll[H3_MAX_COLLECT][H3_BLOCK_MAX];
	struct ooo o[H3_OOO_SLOTS];
	uint64_t closed[H3_CLOSED_RING];
	unsigned n_closed, closed_pos;
	struct hpack_headers spare; /* a block decoded when the events have no room */
	struct h3_info info;
};

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

void h3_events_clear(struct h3_events *ev)
{
	ev->n = ev->n_dropped = ev->n_heads = ev->n_done = 0;
}

static struct h3_ev *ev_add(struct h3_events *ev, enum h3_ev_kind kind, int dir, const struct slot *s)
{
	struct h3_ev *e;
	if (ev->n >= H3_MAX_EVENTS) {
		if (ev->n_dropped < UINT8_MAX)
			ev->n_dropped++;
		return NULL;
	}
	e = &ev->ev[ev->n++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->dir = (uint8_t)dir;
	if (s) {
		e->stream_id = s->id;
		e->skind = s->kind;
		e->uni_type = s->uni_type;
		e->exchange = s->has_x ? s->x.exchange : 0;
		e->push_id = s->has_x ? s->x.push_id : 0;
	}
	e->body_total = UINT64_MAX;
	return e;
}

static void note_error(struct h3_conn *c, int dir)
{
	if (c->info.n_errors[dir] < UINT64_MAX)
		c->info.n_errors[dir]++;
}

static void ev_error(struct h3_conn *c, struct h3_events *ev, int dir, const struct slot *s,
		     enum ft_status st, const char *why)
{
	struct h3_ev *e = ev_add(ev, H3_EV_ERROR, dir, s);
	note_error(c, dir);
	if (e) {
		e->status = st;
		e->why = why;
	}
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

bool h3_is_reserved(uint64_t v)
{
	return v >= 0x21 && (v - 0x21) % 0x1f == 0;
}

const char *h3_frame_name(uint64_t type)
{
	switch (type) {
	case H3_DATA: return "DATA";
	case H3_HEADERS: return "HEADERS";
	case H3_CANCEL_PUSH: return "CANCEL_PUSH";
	case H3_SETTINGS: return "SETTINGS";
	case H3_PUSH_PROMISE: return "PUSH_PROMISE";
	case H3_GOAWAY: return "GOAWAY";
	case H3_MAX_PUSH_ID: return "MAX_PUSH_ID";
	}
	return NULL;
}

const char *h3_uni_name(uint64_t type)
{
	switch (type) {
	case H3_UNI_CONTROL: return "control";
	case H3_UNI_PUSH: return "push";
	case H3_UNI_QPACK_ENCODER: return "QPACK encoder";
	case H3_UNI_QPACK_DECODER: return "QPACK decoder";
	}
	return NULL;
}

const char *h3_error_name(uint64_t code)
{
	static const char *const h3[] = {
		"H3_NO_ERROR", "H3_GENERAL_PROTOCOL_ERROR", "H3_INTERNAL_ERROR",
		"H3_STREAM_CREATION_ERROR", "H3_CLOSED_CRITICAL_STREAM", "H3_FRAME_UNEXPECTED",
		"H3_FRAME_ERROR", "H3_EXCESSIVE_LOAD", "H3_ID_ERROR", "H3_SETTINGS_ERROR",
		"H3_MISSING_SETTINGS", "H3_REQUEST_REJECTED", "H3_REQUEST_CANCELLED",
		"H3_REQUEST_INCOMPLETE", "H3_MESSAGE_ERROR", "H3_CONNECT_ERROR",
		"H3_VERSION_FALLBACK",
	};
	if (code >= 0x100 && code <= 0x110)
		return h3[code - 0x100];
	switch (code) {
	case 0x200: return "QPACK_DECOMPRESSION_FAILED";
	case 0x201: return "QPACK_ENCODER_STREAM_ERROR";
	case 0x202: return "QPACK_DECODER_STREAM_ERROR";
	case 0x33: return "H3_DATAGRAM_ERROR";
	}
	return NULL;
}

const char *h3_setting_name(uint64_t id)
{
	switch (id) {
	case H3_SET_QPACK_MAX_TABLE_CAPACITY: return "SETTINGS_QPACK_MAX_TABLE_CAPACITY";
	case H3_SET_MAX_FIELD_SECTION_SIZE: return "SETTINGS_MAX_FIELD_SECTION_SIZE";
	case H3_SET_QPACK_BLOCKED_STREAMS: return "SETTINGS_QPACK_BLOCKED_STREAMS";
	case H3_SET_ENABLE_CONNECT_PROTOCOL: return "SETTINGS_ENABLE_CONNECT_PROTOCOL";
	case H3_SET_H3_DATAGRAM: return "SETTINGS_H3_DATAGRAM";
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The connection                                                      */
/* ------------------------------------------------------------------ */

struct h3_conn *h3_new(struct hpack_budget *budget)
{
	struct h3_conn *c;
	size_t need = sizeof *c;

	if (budget->used > budget->cap || need > budget->cap - budget->used) {
		if (budget->n_refused < UINT32_MAX)
			budget->n_refused++;
		return NULL;
	}
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->budget = budget;
	c->charged = need;
	budget->used += need;
	if (budget->used > budget->peak)
		budget->peak = budget->used;
	return c;
}

void h3_free(struct h3_conn *c)
{
	if (c == NULL)
		return;
	for (int d = 0; d < 2; d++)
		if (c->q_made[d])
			qpack_free(&c->q[d]);
	c->budget->used -= c->charged;
	free(c);
}

void h3_info(const struct h3_conn *c, struct h3_info *out)
{
	*out = c->info;
	out->n_open = 0;
	out->n_held_bytes = 0;
	for (unsigned i = 0; i < H3_MAX_STREAMS; i++)
		if (c->s[i].used)
			out->n_open++;
	for (unsigned i = 0; i < H3_OOO_SLOTS; i++)
		if (c->o[i].used)
			out->n_held_bytes += c->o[i].len;
	for (int d = 0; d < 2; d++) {
		out->qpack_err[d] = c->q_made[d] ? c->q[d].err : QPACK_OK;
		out->qpack_inserts[d] = c->q_made[d] ? qpack_insert_count(&c->q[d]) : 0;
	}
}

static struct slot *slot_find(const struct h3_conn *c, uint64_t id)
{
	for (unsigned i = 0; i < H3_MAX_STREAMS; i++)
		if (c->s[i].used && c->s[i].id == id)
			return (struct slot *)&c->s[i];
	return NULL;
}

const struct h3_exchange *h3_exchange_find(const struct h3_conn *c, uint64_t stream_id)
{
	const struct slot *s = slot_find(c, stream_id);
	return s && s->has_x ? &s->x : NULL;
}

const struct h3_exchange *h3_exchange_next(const struct h3_conn *c, unsigned *iter)
{
	while (*iter < H3_MAX_STREAMS) {
		const struct slot *s = &c->s[(*iter)++];
		if (s->used && s->has_x)
			return &s->x;
	}
	return NULL;
}

static bool was_closed(const struct h3_conn *c, uint64_t id)
{
	for (unsigned i = 0; i < c->n_closed; i++)
		if (c->closed[i] == id)
			return true;
	return false;
}

/* The QPACK decoder of side d, made with the other side's SETTINGS (or the defaults). */
static struct qpack_decoder *qdec(struct h3_conn *c, int d)
{
	if (!c->q_made[d]) {
		(void)qpack_init(&c->q[d], c->budget, c->set_cap[1 - d], c->set_blocked[1 - d]);
		c->q_made[d] = true;
		c->q_default[d] = !c->info.settings[1 - d];
	}
	return &c->q[d];
}

static void coll_release(struct h3_conn *c, struct rx *r)
{
	if (r->coll >= 0) {
		c->coll_used[r->coll] = false;
		r->coll = -1;
	}
}

static void ooo_drop(struct h3_conn *c, uint64_t id, int dir)
{
	for (unsigned i = 0; i < H3_OOO_SLOTS; i++)
		if (c->o[i].used && c->o[i].id == id && (dir < 0 || c->o[i].dir == dir))
			c->o[i].used = false;
}

static void exchange_init(struct h3_conn *c, struct slot *s)
{
	s->has_x = true;
	memset(&s->x, 0, sizeof s->x);
	s->x.stream_id = s->id;
	s->x.exchange = ++c->info.n_exchanges;
	s->x.req_length = s->x.resp_length = UINT64_MAX;
}

static struct slot *slot_new(struct h3_conn *c, uint64_t id, enum h3_stream_kind kind)
{
	for (unsigned i = 0; i < H3_MAX_STREAMS; i++) {
		struct slot *s = &c->s[i];
		if (s->used)
			continue;
		memset(s, 0, sizeof *s);
		s->used = true;
		s->id = id;
		s->kind = kind;
		s->owner = (uint8_t)(id & 1);
		s->rx[0].coll = s->rx[1].coll = -1;
		if (kind == H3_SK_REQUEST)
			exchange_init(c, s);
		return s;
	}
	if (c->info.n_overflow < UINT32_MAX)
		c->info.n_overflow++;
	return NULL;
}

/* The exchange ended: hand out its final state, forget the stream. */
static void slot_done(struct h3_conn *c, struct slot *s, int dir, struct h3_events *ev)
{
	struct h3_ev *e = ev_add(ev, H3_EV_STREAM_DONE, dir, s);
	if (e && ev->n_done < H3_MAX_DONE) {
		ev->done[ev->n_done] = s->x;
		e->xchg = &ev->done[ev->n_done++];
	}
	c->closed[c->closed_pos] = s->id;
	c->closed_pos = (c->closed_pos + 1) % H3_CLOSED_RING;
	if (c->n_closed < H3_CLOSED_RING)
		c->n_closed++;
	for (int d = 0; d < 2; d++) {
		coll_release(c, &s->rx[d]);
		if (c->q_made[d])
			qpack_cancel(&c->q[d], (int64_t)s->id);
	}
	ooo_drop(c, s->id, -1);
	s->used = false;
}

/* ------------------------------------------------------------------ */
/* Header blocks                                                       */
/* ------------------------------------------------------------------ */

#define SHORT_SET(dst, src)                                                              \
	do {                                                                             \
		size_t k_ = (src)->len < sizeof(dst).b ? (src)->len : sizeof(dst).b;     \
		(dst).len = (uint8_t)k_;                                                 \
		(dst).cut = (src)->cut || (src)->len > sizeof(dst).b;                    \
		if (k_)                                                                  \
			memcpy((dst).b, (src)->b, k_);                                   \
	} while (0)

/* What a decoded block on stream s from dir means for its exchange. */
static enum h3_head_kind apply_head(struct slot *s, int dir, uint64_t ftype,
				    const struct hpack_headers *h)
{
	struct h3_exchange *x = &s->x;

	if (ftype == H3_PUSH_PROMISE)
		return H3_HEAD_PUSH;
	if (!s->has_x)
		return dir ? H3_HEAD_RESPONSE : H3_HEAD_REQUEST;
	if (dir == 0 && !x->pushed) {
		if (x->req_seen)
			return H3_HEAD_TRAILERS;
		x->req_seen = true;
		SHORT_SET(x->method, &h->method);
		SHORT_SET(x->path, &h->path);
		SHORT_SET(x->authority, &h->authority);
		x->req_length = h->has_length ? h->length : UINT64_MAX;
		return H3_HEAD_REQUEST;
	}
	if (x->resp_seen)
		return H3_HEAD_TRAILERS;
	if (h->status_code >= 100 && h->status_code < 200)
		return H3_HEAD_INFO;
	x->resp_seen = true;
	x->status = h->status_code;
	SHORT_SET(x->content_type, &h->content_type);
	x->resp_length = h->has_length ? h->length : UINT64_MAX;
	return H3_HEAD_RESPONSE;
}

static struct hpack_headers *head_room(struct h3_conn *c, struct h3_events *ev, bool *in_ev)
{
	*in_ev = ev->n_heads < H3_MAX_HEADS;
	return *in_ev ? &ev->heads[ev->n_heads] : &c->spare;
}

static void qpack_error_once(struct h3_conn *c, struct h3_events *ev, int d, const struct slot *s)
{
	if (c->q_err_told[d] || c->q[d].err == QPACK_OK)
		return;
	c->q_err_told[d] = true;
	ev_error(c, ev, d, s, FT_MALFORMED, qpack_err_name(c->q[d].err));
}

/* Blocks of side d the encoder stream just unblocked. */
static void drain_unblocked(struct h3_conn *c, int d, struct h3_events *ev)
{
	struct qpack_decoder *q = &c->q[d];
	int64_t sid;
	uint32_t tag;
	enum ft_status st;

	for (unsigned k = 0; k <= QPACK_BLOCKED_CAP; k++) {
		bool in_ev;
		struct hpack_headers *h = head_room(c, ev, &in_ev);
		struct slot *s;
		struct h3_ev *e;

		if (!qpack_next_unblocked(q, &sid, &tag, &st, h))
			break;
		s = slot_find(c, (uint64_t)sid);
		e = ev_add(ev, H3_EV_HEADERS, d, s);
		if (st == FT_OK) {
			/* the exchange learns it whether or not the event has room */
			enum h3_head_kind hk = s ? apply_head(s, d, tag, h)
						 : (d ? H3_HEAD_RESPONSE : H3_HEAD_REQUEST);
			if (e) {
				e->head_kind = hk;
				if (in_ev)
					e->head = &ev->heads[ev->n_heads++];
			}
		} else {
			c->q_err_told[d] = true;
			note_error(c, d);
		}
		if (e) {
			e->stream_id = (uint64_t)sid;
			e->type = tag;
			e->status = st;
			if (st != FT_OK)
				e->why = qpack_err_name(q->err);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */
/* ------------------------------------------------------------------ */

static uint64_t rd_varint(const uint8_t *p, size_t len, size_t *off, bool *ok)
{
	uint64_t v = 0;
	size_t used = 0;
	if (*off > len || quic_varint(p + *off, len - *off, &v, &used) != FT_OK) {
		*ok = false;
		return 0;
	}
	*off += used;
	return v;
}

/* Is this frame type allowed on this stream, this way?  NULL yes, else why not. */
static const char *frame_rule(const struct slot *s, int dir, const struct rx *r, uint64_t t)
{
	bool ctl = s->kind == H3_SK_CONTROL;

	if (t == 0x02 || t == 0x06 || t == 0x08 || t == 0x09)
		return "an HTTP/2 frame type (reserved in HTTP/3)";
	if (ctl && !r->first_done && t != H3_SETTINGS)
		return "the control stream does not start with SETTINGS";
	switch (t) {
	case H3_DATA:
		if (ctl)
			return "DATA on the control stream";
		if (!r->headers_seen)
			return "DATA before HEADERS";
		return NULL;
	case H3_HEADERS:
		return ctl ? "HEADERS on the control stream" : NULL;
	case H3_PUSH_PROMISE:
		if (s->kind != H3_SK_REQUEST || dir != 1)
			return "PUSH_PROMISE not on a request stream from the server";
		return NULL;
	case H3_SETTINGS:
		if (!ctl)
			return "SETTINGS not on the control stream";
		if (r->first_done)
			return "a second SETTINGS";
		return NULL;
	case H3_MAX_PUSH_ID:
		if (ctl && dir == 1)
			return "MAX_PUSH_ID from the server";
		return ctl ? NULL : "a control frame not on the control stream";
	case H3_CANCEL_PUSH:
	case H3_GOAWAY:
		return ctl ? NULL : "a control frame not on the control stream";
	}
	return NULL;
}

static bool collects(uint64_t t) { return t == H3_HEADERS || t == H3_PUSH_PROMISE; }

static bool small_frame(uint64_t t)
{
	return t == H3_SETTINGS || t == H3_GOAWAY || t == H3_CANCEL_PUSH || t == H3_MAX_PUSH_ID;
}

static void frame_start(struct h3_conn *c, struct slot *s, int dir, struct rx *r)
{
	r->in_payload = true;
	r->fleft = r->flen;
	r->small_len = 0;
	r->small_cut = false;
	r->skip_why = NULL;
	r->bad = frame_rule(s, dir, r, r->ftype);
	r->coll = -1;
	if (collects(r->ftype) && !r->bad) {
		if (r->flen > H3_BLOCK_MAX) {
			r->skip_why = "header block larger than we collect: not decoded";
		} else {
			for (int i = 0; i < (int)H3_MAX_COLLECT; i++)
				if (!c->coll_used[i]) {
					c->coll_used[i] = true;
					c->coll_len[i] = 0;
					r->coll = i;
					break;
				}
			if (r->coll < 0)
				r->skip_why = "no buffer free for the header block: not decoded";
		}
	}
}

static void settings_apply(struct h3_conn *c, int dir, struct h3_ev *e, struct rx *r)
{
	size_t off = 0;
	bool ok = true;
	uint16_t n = 0;

	c->info.settings[dir] = true;
	while (off < r->small_len) {
		uint64_t id = rd_varint(r->small, r->small_len, &off, &ok);
		uint64_t v = ok ? rd_varint(r->small, r->small_len, &off, &ok) : 0;
		if (!ok)
			break;
		if (id == H3_SET_QPACK_MAX_TABLE_CAPACITY)
			c->set_cap[dir] = c->info.qpack_capacity[dir] = v;
		else if (id == H3_SET_QPACK_BLOCKED_STREAMS)
			c->set_blocked[dir] = c->info.qpack_blocked[dir] = v;
		else if (id == 0x02 || id == 0x03 || id == 0x04 || id == 0x05)
			r->bad = "an HTTP/2 setting (reserved in HTTP/3)";
		if (e && e->n_settings < H3_MAX_SETTINGS) {
			e->settings[e->n_settings].id = id;
			e->settings[e->n_settings++].value = v;
		}
		if (n < UINT16_MAX)
			n++;
	}
	if (e)
		e->n_settings_all = n;
	if (!ok && !r->small_cut)
		r->bad = "SETTINGS that do not parse";
	if (r->small_cut && e && !e->why)
		e->why = "SETTINGS longer than we decode: the first ones only";
	/* This side's limits are for the other side's blocks: remake that
	 * decoder if it was made with the defaults and has read nothing. */
	{
		int d = 1 - dir;
		struct qpack_decoder *q = &c->q[d];
		if (c->q_made[d] && c->q_default[d] && q->n_encoder_bytes == 0 && q->n_held == 0 &&
		    q->err == QPACK_OK) {
			qpack_free(q);
			c->q_made[d] = false;
			(void)qdec(c, d);
		}
	}
}

static void frame_end(struct h3_conn *c, struct slot *s, int dir, struct rx *r,
		      struct h3_events *ev)
{
	struct h3_ev *e;
	uint64_t t = r->ftype;

	r->in_payload = false;
	r->hl = 0;
	if (c->info.n_frames[dir] < UINT64_MAX)
		c->info.n_frames[dir]++;
	e = ev_add(ev, H3_EV_FRAME, dir, s);
	if (e) {
		e->type = t;
		e->length = r->flen;
		e->fin = r->fin_known && r->next == r->fin_at;
	}
	if (!h3_frame_name(t) && !r->bad && c->info.n_unknown[dir] < UINT64_MAX)
		c->info.n_unknown[dir]++;
	if (!r->bad && t == H3_DATA && s->has_x) {
		if (s->x.n_data[dir] < UINT32_MAX)
			s->x.n_data[dir]++;
		if (e) {
			e->data_len = r->flen;
			e->body_done = s->x.data[dir];
			e->body_total = dir ? s->x.resp_length : s->x.req_length;
		}
	}
	if (!r->bad && small_frame(t)) {
		size_t off = 0;
		bool ok = true;
		if (t == H3_SETTINGS) {
			settings_apply(c, dir, e, r);
		} else {
			uint64_t v = rd_varint(r->small, r->small_len, &off, &ok);
			if (!ok || off != r->flen)
				r->bad = "a control frame whose length does not fit its value";
			else if (t == H3_GOAWAY) {
				c->info.goaway[dir] = true;
				c->info.goaway_id[dir] = v;
				if (e)
					e->id = v;
			} else if (t == H3_MAX_PUSH_ID) {
				if (e)
					e->id = v;
			} else if (e) {
				e->push_id = v;
			}
		}
	}
	if (!r->bad && collects(t)) {
		if (r->coll >= 0) {
			const uint8_t *b = c->coll[r->coll];
			size_t len = c->coll_len[r->coll], off = 0;
			bool ok = true, in_ev;
			uint64_t push_id = 0;
			struct hpack_headers *h = head_room(c, ev, &in_ev);
			enum ft_status st;

			if (t == H3_PUSH_PROMISE) {
				push_id = rd_varint(b, len, &off, &ok);
				if (e)
					e->push_id = push_id;
			}
			if (!ok) {
				r->bad = "PUSH_PROMISE without a push id";
			} else {
				struct qpack_decoder *q = qdec(c, dir);
				st = qpack_decode(q, (int64_t)s->id, (uint32_t)t, b + off, len - off, h);
				if (st == FT_OK) {
					enum h3_head_kind k = apply_head(s, dir, t, h);
					if (e) {
						e->head_kind = k;
						if (in_ev)
							e->head = &ev->heads[ev->n_heads++];
					}
				} else if (st == FT_NEED_MORE) {
					if (e)
						e->blocked = true;
				} else {
					if (e) {
						e->status = FT_MALFORMED;
						e->why = qpack_err_name(q->err);
					}
					c->q_err_told[dir] = true;
					note_error(c, dir);
				}
			}
			coll_release(c, r);
		} else if (e) {
			e->status = FT_UNSUPPORTED;
			e->why = r->skip_why;
		}
		if (t == H3_HEADERS)
			r->headers_seen = true;
	}
	if (r->bad) {
		note_error(c, dir);
		coll_release(c, r);
		if (e) {
			e->status = FT_MALFORMED;
			e->why = r->bad;
		}
		r->bad = NULL;
	}
	r->first_done = true;
}

/* Frame bytes of stream s from dir. */
static void frames(struct h3_conn *c, struct slot *s, int dir, const uint8_t *p, size_t n,
		   struct h3_events *ev)
{
	struct rx *r = &s->rx[dir];

	while (n > 0) {
		if (!r->in_payload) {
			size_t o = 0;
			bool ok = true;
			if (r->hl >= sizeof r->hb) { /* cannot be: two varints take 16 bytes at most */
				r->stopped = true;
				return;
			}
			r->hb[r->hl++] = *p++;
			n--;
			r->next++;
			r->ftype = rd_varint(r->hb, r->hl, &o, &ok);
			if (ok)
				r->flen = rd_varint(r->hb, r->hl, &o, &ok);
			if (!ok)
				continue;   /* at most 16 bytes: two varints of 8 */
			frame_start(c, s, dir, r);
			if (r->flen == 0)
				frame_end(c, s, dir, r, ev);
			continue;
		}
		{
			size_t k = n < r->fleft ? n : (size_t)r->fleft;
			uint64_t t = r->ftype;
			if (!r->bad) {
				if (t == H3_DATA && s->has_x)
					s->x.data[dir] += k;
				else if (collects(t) && r->coll >= 0) {
					memcpy(c->coll[r->coll] + c->coll_len[r->coll], p, k);
					c->coll_len[r->coll] += (uint32_t)k;
				} else if (small_frame(t)) {
					size_t room = H3_SMALL_MAX - r->small_len;
					size_t kk = k < room ? k : room;
					memcpy(r->small + r->small_len, p, kk);
					r->small_len = (uint8_t)(r->small_len + kk);
					if (kk < k)
						r->small_cut = true;
				}
			}
			p += k;
			n -= k;
			r->next += k;
			r->fleft -= k;
			if (r->fleft == 0)
				frame_end(c, s, dir, r, ev);
		}
	}
}

/* In-order bytes of stream s from dir. */
static void feed(struct h3_conn *c, struct slot *s, int dir, const uint8_t *p, size_t n,
		 struct h3_events *ev)
{
	struct rx *r = &s->rx[dir];

	while (n > 0 && !r->stopped) {
		switch (s->kind) {
		case H3_SK_UNI_PENDING: {
			size_t o = 0;
			bool ok = true;
			uint64_t t;
			struct h3_ev *e;
			s->tb[s->tl++] = *p++;
			n--;
			r->next++;
			t = rd_varint(s->tb, s->tl, &o, &ok);
			if (!ok)
				break;
			s->uni_type = t;
			switch (t) {
			case H3_UNI_CONTROL: s->kind = H3_SK_CONTROL; break;
			case H3_UNI_PUSH: s->kind = H3_SK_PUSH; break;
			case H3_UNI_QPACK_ENCODER: s->kind = H3_SK_ENCODER; break;
			case H3_UNI_QPACK_DECODER: s->kind = H3_SK_DECODER; break;
			default: s->kind = H3_SK_OTHER; break;
			}
			e = ev_add(ev, H3_EV_STREAM, dir, s);
			if (t <= 3) {
				if (t == H3_UNI_PUSH && dir == 0) {
					s->kind = H3_SK_OTHER;
					if (e) {
						e->status = FT_MALFORMED;
						e->why = "a push stream from the client";
					}
					note_error(c, dir);
				} else if (t != H3_UNI_PUSH && c->have_uni[dir][t]) {
					s->kind = H3_SK_OTHER;
					if (e) {
						e->status = FT_MALFORMED;
						e->why = "a second stream of this type";
					}
					note_error(c, dir);
				}
				c->have_uni[dir][t] = true;
			}
			if (e)
				e->skind = s->kind;
			break;
		}
		case H3_SK_PUSH:
			if (!s->push_known) {
				size_t o = 0;
				bool ok = true;
				uint64_t v;
				s->pb[s->pl++] = *p++;
				n--;
				r->next++;
				v = rd_varint(s->pb, s->pl, &o, &ok);
				if (!ok)
					break;
				s->push_known = true;
				exchange_init(c, s);
				s->x.pushed = true;
				s->x.push_id = v;
				s->x.end[0] = true; /* nothing comes the other way */
				break;
			}
			frames(c, s, dir, p, n, ev);
			return;
		case H3_SK_REQUEST:
		case H3_SK_CONTROL:
			frames(c, s, dir, p, n, ev);
			return;
		case H3_SK_ENCODER: {
			struct qpack_decoder *q = qdec(c, dir);
			r->next += n;
			if (qpack_ok(q)) {
				(void)qpack_encoder(q, p, n);
				drain_unblocked(c, dir, ev);
			}
			qpack_error_once(c, ev, dir, s);
			return;
		}
		default: /* QPACK decoder stream, other types: counted past */
			r->next += n;
			return;
		}
	}
}

/* Every byte up to the FIN of stream s from dir went by. */
static void fin_reached(struct h3_conn *c, struct slot *s, int dir, struct h3_events *ev)
{
	struct rx *r = &s->rx[dir];

	r->fin_done = true;
	if (r->in_payload || r->hl > 0 || s->kind == H3_SK_UNI_PENDING ||
	    (s->kind == H3_SK_PUSH && !s->push_known))
		ev_error(c, ev, dir, s, FT_MALFORMED, "the stream ends inside a frame");
	coll_release(c, r);
	if (s->kind == H3_SK_CONTROL || s->kind == H3_SK_ENCODER || s->kind == H3_SK_DECODER)
		ev_error(c, ev, dir, s, FT_MALFORMED, "a critical stream was closed");
	if (!s->has_x)
		return;
	s->x.end[dir] = true;
	if (s->x.end[0] && s->x.end[1])
		slot_done(c, s, dir, ev);
}

/* Bytes that jumped a hole: keep them if an area has room, else a gap. */
static bool ooo_keep(struct h3_conn *c, uint64_t id, int dir, uint64_t off, const uint8_t *p,
		     size_t n)
{
	struct ooo *a = NULL;

	if (n > H3_OOO_MAX)
		return false;
	/* Join an area of this stream direction that it touches. */
	for (unsigned i = 0; i < H3_OOO_SLOTS; i++) {
		struct ooo *o = &c->o[i];
		uint64_t lo, hi;
		if (!o->used || o->id != id || o->dir != dir)
			continue;
		if (off > o->off + o->len || off + n < o->off)
			continue;
		lo = off < o->off ? off : o->off;
		hi = off + n > o->off + o->len ? off + n : o->off + o->len;
		if (hi - lo > H3_OOO_MAX)
			return false;
		if (lo < o->off) {
			memmove(o->b + (o->off - lo), o->b, o->len);
			o->len += (size_t)(o->off - lo);
			o->off = lo;
		}
		memcpy(o->b + (off - o->off), p, n);
		if (off + n > o->off + o->len)
			o->len = (size_t)(off + n - o->off);
		return true;
	}
	for (unsigned i = 0; i < H3_OOO_SLOTS; i++)
		if (!c->o[i].used) {
			a = &c->o[i];
			break;
		}
	if (a == NULL)
		return false;
	a->used = true;
	a->id = id;
	a->dir = (uint8_t)dir;
	a->off = off;
	a->len = n;
	memcpy(a->b, p, n);
	return true;
}

/* In-order bytes at r->next: trim what was seen, decode the rest. */
static void take(struct h3_conn *c, struct slot *s, int dir, uint64_t off, const uint8_t *p,
		 size_t n, struct h3_events *ev)
{
	struct rx *r = &s->rx[dir];
	uint64_t skip = r->next - off;   /* off <= r->next */

	if (skip >= n) {
		c->info.n_dup_bytes += n;
		return;
	}
	c->info.n_dup_bytes += skip;
	feed(c, s, dir, p + skip, n - (size_t)skip, ev);
}

static void gap(struct h3_conn *c, struct slot *s, int dir, uint64_t bytes, struct h3_events *ev)
{
	struct rx *r = &s->rx[dir];
	struct h3_ev *e = ev_add(ev, H3_EV_GAP, dir, s);

	if (e)
		e->bytes = bytes;
	r->stopped = true;
	coll_release(c, r);
	ooo_drop(c, s->id, dir);
	c->info.n_gaps++;
	if (s->has_x)
		s->x.gap[dir] = true;
	if (s->kind == H3_SK_ENCODER && c->q_made[dir]) {
		qpack_lost(&c->q[dir]);
		qpack_error_once(c, ev, dir, s);
	}
}

void h3_stream_data(struct h3_conn *c, uint64_t stream_id, int dir, uint64_t offset,
		    const uint8_t *data, size_t len, bool fin, struct h3_events *ev)
{
	struct slot *s;
	struct rx *r;
	enum h3_stream_kind kind;

	dir = dir ? 1 : 0;
	if (data == NULL)
		len = 0;
	if (offset > (1ull << 62) || len > (1ull << 62) - offset) {
		ev_error(c, ev, dir, NULL, FT_MALFORMED, "stream offset beyond 2^62");
		return;
	}
	switch (stream_id & 3) {
	case 0: kind = H3_SK_REQUEST; break;
	case 1: kind = H3_SK_SERVER_BIDI; break;
	default: kind = H3_SK_UNI_PENDING; break;
	}
	if (kind == H3_SK_UNI_PENDING && (int)(stream_id & 1) != dir) {
		note_error(c, dir);   /* a unidirectional stream the other way */
		return;
	}
	s = slot_find(c, stream_id);
	if (s == NULL) {
		if (kind == H3_SK_REQUEST && was_closed(c, stream_id)) {
			c->info.n_late++;
			return;
		}
		s = slot_new(c, stream_id, kind);
		if (s == NULL)
			return;
		if (kind != H3_SK_UNI_PENDING) {
			struct h3_ev *e = ev_add(ev, H3_EV_STREAM, dir, s);
			if (kind == H3_SK_SERVER_BIDI && e) {
				e->status = FT_UNSUPPORTED;
				e->why = "a server-initiated bidirectional stream: not HTTP/3";
			}
		}
	}
	r = &s->rx[dir];
	r->seen = true;
	if (r->stopped || r->fin_done)
		return;
	if (fin) {
		if (r->fin_known && r->fin_at != offset + len) {
			ev_error(c, ev, dir, s, FT_MALFORMED, "the final size changed");
		} else {
			r->fin_known = true;
			r->fin_at = offset + len;
		}
	}
	if (offset > r->next) {
		if (len > 0 && !ooo_keep(c, stream_id, dir, offset, data, len))
			gap(c, s, dir, offset - r->next, ev);
		else if (len > 0)
			c->info.n_ahead++;
	} else {
		take(c, s, dir, offset, data, len, ev);
		/* Areas the in-order bytes reached. */
		for (unsigned k = 0; k < H3_OOO_SLOTS && s->used && !r->stopped; k++) {
			struct ooo *a = NULL;
			for (unsigned i = 0; i < H3_OOO_SLOTS; i++)
				if (c->o[i].used && c->o[i].id == stream_id && c->o[i].dir == dir &&
				    c->o[i].off <= r->next) {
					a = &c->o[i];
					break;
				}
			if (a == NULL)
				break;
			a->used = false;   /* take() does not touch the areas of this stream */
			take(c, s, dir, a->off, a->b, a->len, ev);
		}
	}
	if (s->used && !r->stopped && !r->fin_done && r->fin_known && r->next >= r->fin_at)
		fin_reached(c, s, dir, ev);
}

void h3_stream_reset(struct h3_conn *c, uint64_t stream_id, int dir, uint64_t code,
		     bool stop_sending, struct h3_events *ev)
{
	struct slot *s = slot_find(c, stream_id);

	dir = dir ? 1 : 0;
	if (s == NULL)
		return;
	if (s->has_x) {
		if (stop_sending) {
			s->x.stop_sending[dir] = true;
			s->x.stop_code[dir] = code;
			return;
		}
		s->x.reset = true;
		s->x.reset_dir = (uint8_t)dir;
		s->x.reset_code = code;
		slot_done(c, s, dir, ev);
		return;
	}
	if (!stop_sending && (s->kind == H3_SK_CONTROL || s->kind == H3_SK_ENCODER ||
			      s->kind == H3_SK_DECODER))
		ev_error(c, ev, dir, s, FT_MALFORMED, "a critical stream was reset");
	if (!stop_sending) {
		s->rx[dir].stopped = true;
		coll_release(c, &s->rx[dir]);
		ooo_drop(c, stream_id, dir);
		if (s->kind == H3_SK_ENCODER && c->q_made[dir]) {
			qpack_lost(&c->q[dir]);
			qpack_error_once(c, ev, dir, s);
		}
	}
}
