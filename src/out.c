/* out.c - the output layer's front: one format chosen at open, every call passed on. */
#include "out.h"

#include <stdlib.h>

#include "out_har.h"
#include "out_impl.h"

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
	void *packet_ctx;
};

struct out *out_open(FILE *f, const struct out_opts *opt)
{
	struct out *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->ops = opt->format == OUT_JSON     ? &out_json_ops
		 : opt->format == OUT_TEXT   ? &out_text_ops
					     : &out_ladder_ops;
	o->har_path = opt->har_path;
	o->impl = o->ops->open(f, opt);
	if (!o->impl) {
		free(o);
		return NULL;
	}
	return o;
}

void out_packet(struct out *o, const struct ev *e)
{
	struct ev withc;
	if ((o->n_comments || o->has_iface) && e->released == EV_RELEASED_NONE) {
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
		e = &withc;
	}
	o->ops->packet(o->impl, e);
	if (o->packet_cb)
		o->packet_cb(o->packet_ctx, e);
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

void out_set_packet_cb(struct out *o, out_packet_cb fn, void *ctx)
{
	o->packet_cb = fn;
	o->packet_ctx = ctx;
}

void out_conn_done(struct out *o, const struct conn *c, const char *why,
		   const struct dns_name *name)
{
	o->ops->conn_done(o->impl, c, why, name);
}

void out_quic_done(struct out *o, const struct quicflow *q, const char *why,
		   const struct dns_name *name)
{
	if (o->ops->quic_done)
		o->ops->quic_done(o->impl, q, why, name);
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

void out_summary(struct out *o, const struct out_counts *n) { o->ops->summary(o->impl, n); }

const char out_drop_meaning[] =
	"the trace misses them: a connection whose handshake was dropped shows as mid-stream, "
	"a dropped segment as \"previous segment not captured\", a dropped DNS answer as a "
	"query never answered";

void out_drops(struct out *o, const uint64_t new_drops[3], const uint64_t total[3])
{
	if (o->ops->drops)
		o->ops->drops(o->impl, new_drops, total);
}

void out_flush(struct out *o) { o->ops->flush(o->impl); }

void out_close(struct out *o)
{
	if (!o)
		return;
	o->ops->close(o->impl);
	free(o);
}
