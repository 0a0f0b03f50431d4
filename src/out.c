/* out.c - the output layer's front: one format chosen at open, every call passed on. */
#include "out.h"

#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "focus.h"
#include "out_har.h"
#include "out_impl.h"

/*
 * --fetch: the format writes to a stream of ours (fopencookie) that passes
 * its bytes on to the real one, except while a held packet is written:
 * then they go to the end of the hold buffer, as one record:
 *
 *   | key (8) | ts (8) | len (4) | n_dns (2) | lost (1) | pad (1) | seq (8) | len bytes | pad to 8 |
 *
 * Records are in the order their packets came; releasing a key writes or
 * drops its records and closes the others up (O(bytes held), once per
 * decision).
 */
#define HOLD_ROOM (64u * 1024) /* free room made before a held packet is written */
#define HOLD_EVICTED 64        /* keys evicted in one pass; remembered until the tracer asks */

struct hold_rec {
	uint64_t key;
	int64_t ts;
	uint32_t len;
	uint16_t n_dns;
	uint8_t lost;              /* its output did not fit: dropped when released */
	uint8_t pad;
	uint64_t seq;              /* packets written at once before it (out.n_direct) */
};
#define HOLD_HDR sizeof(struct hold_rec) /* 32: a multiple of 8 */

struct out {
	const struct out_ops *ops;  /* the format */
	void *impl;                 /* its state */
	const char *har_path;       /* --har FILE, or NULL */
	out_packet_cb packet_cb;    /* out_set_packet_cb, or NULL */
	unsigned n_comments;        /* out_set_comments: for the next packet */
	const uint8_t *comment[EV_MAX_COMMENTS];
	size_t comment_len[EV_MAX_COMMENTS];
	bool has_iface;             /* out_set_iface: for the packets that follow */
	uint32_t if_id;
	const uint8_t *if_name;
	size_t if_name_len;
	const char *file;           /* out_set_file: for the packets that follow */
	void *packet_ctx;
	/* --fetch */
	FILE *real;                 /* where shown output goes; the format writes to cookie */
	FILE *cookie;               /* fopencookie stream, or NULL without --fetch */
	uint8_t *hold;              /* OUT_HOLD_CAP bytes of records */
	size_t hold_used;
	bool holding;               /* a held packet is being written: its record is last */
	size_t cur;                 /* its record's offset */
	uint64_t evicted[HOLD_EVICTED]; /* keys dropped for room or age, not yet reported */
	unsigned n_evicted;
	uint64_t hidden_packets, hidden_dns; /* dropped at once, or held and then dropped */
	bool seen_any;              /* a packet went by */
	bool text;                  /* the text format: released late lines get a note */
	uint64_t n_direct;          /* packets written at once (not held) */
};

static void rec_get(const struct out *o, size_t off, struct hold_rec *r)
{
	memcpy(r, o->hold + off, sizeof(*r));
}

static void rec_put(struct out *o, size_t off, const struct hold_rec *r)
{
	memcpy(o->hold + off, r, sizeof(*r));
}

static size_t rec_size(const struct hold_rec *r)
{
	return HOLD_HDR + (((size_t)r->len + 7) & ~(size_t)7);
}

static ssize_t cookie_write(void *ctx, const char *buf, size_t size)
{
	struct out *o = ctx;
	if (!o->holding)
		return fwrite(buf, 1, size, o->real) == size ? (ssize_t)size : -1;
	struct hold_rec r;
	rec_get(o, o->cur, &r);
	size_t end = o->cur + HOLD_HDR + r.len;
	if (r.lost || OUT_HOLD_CAP - end < size + 8) {
		r.lost = 1; /* a packet's output larger than the room made for it */
	} else {
		memcpy(o->hold + end, buf, size);
		r.len += (uint32_t)size;
	}
	rec_put(o, o->cur, &r);
	o->hold_used = o->cur + rec_size(&r);
	return (ssize_t)size; /* the bytes are taken either way: a held packet never fails */
}

static const cookie_io_functions_t cookie_fns = { .write = cookie_write };

static bool key_in(const uint64_t *keys, unsigned n, uint64_t key)
{
	for (unsigned i = 0; i < n; i++)
		if (keys[i] == key)
			return true;
	return false;
}

/* The text note before released lines that others overtook. */
static void hold_note(struct out *o, uint64_t key, size_t from)
{
	unsigned n = 0;
	for (size_t off = from; off < o->hold_used;) {
		struct hold_rec r;
		rec_get(o, off, &r);
		n += r.key == key && !r.lost;
		off += rec_size(&r);
	}
	uint32_t id = focus_key_fetch_id(key);
	if (id)
		fprintf(o->real, "           (fetch %u: %u earlier packets follow, held until its SNI or "
				 "Host named it)\n", id, n);
	else
		fprintf(o->real, "           (%u earlier DNS packets follow, held until their fetch "
				 "was decided)\n", n);
}

/*
 * Every record of the n keys: written (show, and not lost) or dropped
 * (counted); the rest close up, in one pass.  Each turn moves on by one
 * record, whose size is at least HOLD_HDR.
 */
static void hold_take(struct out *o, const uint64_t *keys, unsigned n, bool show)
{
	for (unsigned i = 0; i < n && o->ops->release; i++)
		o->ops->release(o->impl, keys[i], show);
	size_t rd = 0, wr = 0;
	bool noted = false; /* a note (hold_note) goes before the first line written only */
	while (rd < o->hold_used) {
		struct hold_rec r;
		rec_get(o, rd, &r);
		size_t sz = rec_size(&r);
		if (key_in(keys, n, r.key)) {
			if (show && !r.lost && !noted && r.seq != o->n_direct && o->text) {
				/* other lines came since: say why these come late */
				hold_note(o, r.key, rd);
			}
			noted |= show && !r.lost;
			if (show && !r.lost) {
				fwrite(o->hold + rd + HOLD_HDR, 1, r.len, o->real);
			} else {
				o->hidden_packets++;
				o->hidden_dns += r.n_dns;
			}
		} else {
			if (wr != rd)
				memmove(o->hold + wr, o->hold + rd, sz);
			wr += sz;
		}
		rd += sz;
	}
	o->hold_used = wr;
}

/*
 * Drop the keys of the oldest records: those held since before ts, and
 * as many more as leave `room` bytes free.  Up to HOLD_EVICTED keys a pass
 * (one walk of the buffer each), reported to the tracer as far as the list
 * has room.  Each pass with a key removes at least one record, so the
 * passes end.
 */
static void hold_evict(struct out *o, int64_t ts, size_t room)
{
	for (;;) {
		uint64_t keys[HOLD_EVICTED];
		unsigned nk = 0;
		size_t off = 0, freed = 0;
		while (off < o->hold_used && nk < HOLD_EVICTED) {
			struct hold_rec r;
			rec_get(o, off, &r);
			if (r.ts >= ts && OUT_HOLD_CAP - o->hold_used + freed >= room)
				break;
			if (!key_in(keys, nk, r.key))
				keys[nk++] = r.key;
			freed += rec_size(&r);
			off += rec_size(&r);
		}
		if (!nk)
			return;
		hold_take(o, keys, nk, false);
		for (unsigned i = 0; i < nk && o->n_evicted < HOLD_EVICTED; i++)
			o->evicted[o->n_evicted++] = keys[i];
	}
}

/* What the format has begun outside any held record ends there. */
static void out_sync(struct out *o)
{
	if (o->ops->sync)
		o->ops->sync(o->impl);
}

void out_release(struct out *o, uint64_t key, bool show)
{
	if (!o->hold)
		return;
	out_sync(o);
	fflush(o->cookie); /* what was written before goes first */
	hold_take(o, &key, 1, show);
}

void out_hold_expire(struct out *o, int64_t ts)
{
	if (o->hold)
		hold_evict(o, ts, 0);
}

bool out_hold_evicted(struct out *o, uint64_t *key)
{
	if (!o->n_evicted)
		return false;
	*key = o->evicted[0];
	memmove(o->evicted, o->evicted + 1, --o->n_evicted * sizeof(o->evicted[0]));
	return true;
}

/* Start a held packet's record, with HOLD_ROOM free after it. */
static void hold_begin(struct out *o, const struct ev *e)
{
	hold_evict(o, INT64_MIN, HOLD_HDR + HOLD_ROOM);
	struct hold_rec r = {
		.key = e->focus_key,
		.ts = e->p->ts_us,
		.n_dns = (uint16_t)(e->n_dns + e->n_dns_more),
		.seq = o->n_direct,
	};
	o->cur = o->hold_used;
	rec_put(o, o->cur, &r);
	o->hold_used += HOLD_HDR;
	o->holding = true;
}

struct out *out_open(FILE *f, const struct out_opts *opt)
{
	struct out *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->ops = opt->format == OUT_JSON     ? &out_json_ops
		 : opt->format == OUT_TEXT   ? &out_text_ops
					     : &out_ladder_ops;
	o->har_path = opt->har_path;
	o->real = f;
	o->text = opt->format == OUT_TEXT && !opt->quiet;
	if (opt->n_fetch) {
		o->hold = malloc(OUT_HOLD_CAP);
		o->cookie = o->hold ? fopencookie(o, "w", cookie_fns) : NULL;
		if (!o->cookie) {
			free(o->hold);
			free(o);
			return NULL;
		}
		__fsetlocking(o->cookie, FSETLOCKING_BYCALLER); /* as stdout: one thread */
		f = o->cookie;
	}
	o->impl = o->ops->open(f, opt);
	if (!o->impl) {
		if (o->cookie)
			fclose(o->cookie);
		free(o->hold);
		free(o);
		return NULL;
	}
	return o;
}

void out_packet(struct out *o, const struct ev *e)
{
	struct ev withc;
	if ((o->n_comments || o->has_iface || o->file) && e->released == EV_RELEASED_NONE) {
		withc = *e; /* the tracer's event, and the input's comments and interface */
		withc.n_comments = (uint8_t)o->n_comments;
		for (unsigned i = 0; i < o->n_comments; i++) {
			withc.comment[i] = o->comment[i];
			withc.comment_len[i] = o->comment_len[i];
		}
		o->n_comments = 0;
		withc.has_iface = o->has_iface;
		withc.if_id = o->if_id;
		withc.if_name = o->if_name;
		withc.if_name_len = o->if_name_len;
		withc.file = o->file;
		e = &withc;
	}
	if (e->focus == FOCUS_HIDE && o->seen_any) {
		o->hidden_packets++;
		o->hidden_dns += (uint64_t)e->n_dns + e->n_dns_more;
	} else if (e->focus == FOCUS_HIDE) {
		/* The first packet read: the format sees it (its time is where
		 * "rel" counts from, as without --fetch), its output dropped. */
		struct ev first = *e;
		first.focus = FOCUS_HOLD;
		first.focus_key = 0; /* no key of focus.c is 0 */
		out_sync(o);
		fflush(o->cookie);
		hold_begin(o, &first);
		o->ops->packet(o->impl, &first);
		fflush(o->cookie);
		o->holding = false;
		uint64_t none = 0;
		hold_take(o, &none, 1, false);
	} else if (e->focus == FOCUS_HOLD && o->hold) {
		out_sync(o);
		fflush(o->cookie); /* what came before is not this packet's */
		hold_begin(o, e);
		o->ops->packet(o->impl, e);
		fflush(o->cookie);
		o->holding = false;
	} else {
		o->ops->packet(o->impl, e);
		if (o->cookie)
			fflush(o->cookie);
		o->n_direct++;
	}
	o->seen_any = true;
	if (o->packet_cb)
		o->packet_cb(o->packet_ctx, e);
}

void out_call(struct out *o, const struct call_line *l, const struct call_ctx *cx)
{
	if (o->ops->call)
		o->ops->call(o->impl, l, cx);
}

void out_set_comments(struct out *o, unsigned n, const uint8_t *const *p, const size_t *len)
{
	o->n_comments = n < EV_MAX_COMMENTS ? n : EV_MAX_COMMENTS;
	for (unsigned i = 0; i < o->n_comments; i++) {
		o->comment[i] = p[i];
		o->comment_len[i] = len[i];
	}
}

void out_set_iface(struct out *o, bool several, uint32_t id, const uint8_t *name, size_t len)
{
	o->has_iface = several;
	o->if_id = id;
	o->if_name = several && len ? name : NULL;
	o->if_name_len = several && name ? len : 0;
}

void out_set_file(struct out *o, const char *path)
{
	o->file = path;
}

void out_set_packet_cb(struct out *o, out_packet_cb fn, void *ctx)
{
	o->packet_cb = fn;
	o->packet_ctx = ctx;
}

void out_conn_done(struct out *o, const struct conn *c, const char *why,
		   const struct dns_name *name)
{
	o->ops->conn_done(o->impl, c, why, name);
	if (o->cookie)
		fflush(o->cookie); /* on to the real stream (line-buffered when live) */
}

void out_quic_done(struct out *o, const struct quicflow *q, const char *why,
		   const struct dns_name *name)
{
	if (o->ops->quic_done)
		o->ops->quic_done(o->impl, q, why, name);
	if (o->cookie)
		fflush(o->cookie);
}

bool out_streams_exchanges(const struct out *o) { return o->ops->exchange != NULL; }

void out_exchange(struct out *o, const struct tl_exch *x)
{
	if (!o->ops->exchange)
		return;
	o->ops->exchange(o->impl, x);
	if (o->cookie)
		fflush(o->cookie); /* on to the real stream, as a connection's line */
}

void out_timeline(struct out *o, const struct timeline *tl)
{
	if (o->ops->timeline)
		o->ops->timeline(o->impl, tl);
}

bool out_har(struct out *o, const struct timeline *tl)
{
	char errbuf[OUT_HAR_ERRBUF];
	if (!o->har_path || out_har_write(o->har_path, tl, errbuf))
		return true;
	fprintf(stderr, "fetchtrace: --har %s: %s\n", o->har_path, errbuf);
	return false;
}

void out_summary(struct out *o, const struct out_counts *n)
{
	struct out_counts m = *n;
	m.hidden_packets += o->hidden_packets;
	m.hidden_dns += o->hidden_dns;
	o->ops->summary(o->impl, &m);
}

const char out_drop_meaning[] =
	"the trace misses them: a connection whose handshake was dropped shows as mid-stream, "
	"a dropped segment as \"previous segment not captured\", a dropped DNS answer as a "
	"query never answered";

void out_drops(struct out *o, const uint64_t new_drops[3], const uint64_t total[3])
{
	if (o->ops->drops)
		o->ops->drops(o->impl, new_drops, total);
}

void out_flush(struct out *o)
{
	o->ops->flush(o->impl);
	if (o->cookie)
		fflush(o->real); /* the format flushed into it */
}

void out_close(struct out *o)
{
	if (!o)
		return;
	o->ops->close(o->impl);
	if (o->cookie) {
		fclose(o->cookie);
		fflush(o->real);
	}
	free(o->hold);
	free(o);
}
