/* out_impl.h - what an output format provides; out.c picks one and calls it. */
#ifndef FT_OUT_IMPL_H
#define FT_OUT_IMPL_H

#include "out.h"

struct out_ops {
	void *(*open)(FILE *f, const struct out_opts *o);  /* NULL when memory cannot be had */
	void (*packet)(void *impl, const struct ev *e);
	void (*call)(void *impl, const struct call_line *l, const struct call_ctx *cx); /* may be NULL */
	void (*conn_done)(void *impl, const struct conn *c, const char *why,
			  const struct dns_name *name);
	void (*quic_done)(void *impl, const struct quicflow *q, const char *why,
			  const struct dns_name *name); /* may be NULL */
	void (*timeline)(void *impl, const struct timeline *tl); /* may be NULL */
	/* one exchange, final (timeline_stream): its connection left, or the end; may be NULL */
	void (*exchange)(void *impl, const struct tl_exch *x);
	/* --fetch: the packets held under key (struct ev.focus_key) are shown
	 * or dropped; for a format that keeps packets until the end (may be NULL) */
	void (*release)(void *impl, uint64_t key, bool show);
	void (*summary)(void *impl, const struct out_counts *n);
	/* --fetch: end what the format has begun but not written (a line left
	 * open by --no-acks), before held output starts or is released; may be NULL */
	void (*sync)(void *impl);
	void (*drops)(void *impl, const uint64_t new_drops[3], const uint64_t total[3]); /* may be NULL */
	void (*flush)(void *impl);
	void (*close)(void *impl);  /* flushes and frees */
};

extern const struct out_ops out_text_ops;  /* out_text.c: annotated lines */
extern const struct out_ops out_json_ops;  /* out_json.c: JSON lines */
/* The short label of a ladder arrow ("SYN", "GET /", "query A example.com"),
 * wire bytes escaped (out_ladder.c); the pcapng annotation ends with it. */
struct sb;
void out_label(const struct ev *e, struct sb *s);

extern const struct out_ops out_ladder_ops; /* out_ladder.c: ladder diagram, text or Mermaid */

#endif
