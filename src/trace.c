/* trace.c - the pipeline for one packet: decode, track, classify, link, output. */
#include "trace.h"

#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "fetch.h"
#include "flow.h"
#include "pkt.h"
#include "step.h"

#define DNS_PORT 53
#define DNS_TCP_MAX_MSGS 64 /* messages taken from one segment; each uses >= 2 bytes */

struct tracer {
	struct out *out;
	struct flow_table *flows;
	struct fetch_linker *fetch;
	struct out_counts n;
	struct pkt pkt;                       /* the packet being handled */
	bool dns_malformed, dns_truncated;    /* a DNS message of this packet was */
	struct dns_msg dns[EV_MAX_DNS + 1];   /* decoded messages; the last is scratch */
};

static void on_retire(void *ctx, const struct conn *c, const char *why)
{
	struct tracer *t = ctx;
	out_conn_done(t->out, c, why, c->fetch_id ? fetch_name(t->fetch, c->fetch_id) : NULL);
}

struct tracer *trace_open(FILE *f, const struct out_opts *o, uint32_t max_conns)
{
	struct tracer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->out = out_open(f, o);
	t->flows = flow_open(max_conns, TRACE_DNS_BUF_CAP, on_retire, t);
	t->fetch = fetch_open();
	if (!t->out || !t->flows || !t->fetch) {
		out_close(t->out);
		flow_close(t->flows);
		fetch_close(t->fetch);
		free(t);
		return NULL;
	}
	return t;
}

/*
 * A decoded DNS message.  `whole` says the message's bytes were all
 * captured (a UDP payload the snap length did not cut, a length-prefixed
 * TCP message): then running out of bytes means the message lies about
 * its own size, which is malformed, not truncated.  Feeds the linker and
 * returns the response time.
 */
static int64_t dns_seen(struct tracer *t, const struct pkt *p, struct dns_msg *m, size_t len,
			bool whole)
{
	if (m->status == FT_TRUNCATED && whole)
		m->status = FT_MALFORMED;
	if (m->status == FT_MALFORMED)
		t->dns_malformed = true;
	else if (m->status == FT_TRUNCATED)
		t->dns_truncated = true;
	if (len < 12) /* not even a header (RFC 1035 4.1.1): nothing to match */
		return -1;
	if (!m->qr) {
		t->n.dns_queries++;
		fetch_dns_query(t->fetch, p, m);
		return -1;
	}
	t->n.dns_responses++;
	return fetch_dns_response(t->fetch, p, m);
}

/* DNS over TCP (RFC 1035 4.2.2, RFC 7766 8): each message has a two-byte
 * length in front; a segment may hold several or part of one. */
static void dns_tcp(struct tracer *t, const struct pkt *p, struct flow_seg *g, struct ev *e)
{
	struct conn *c = g->c;
	int dir = g->dir;
	if (!flow_dns_append(t->flows, c, dir, g->rel_seq, p->pl, p->pl_cap, p->pl_len)) {
		e->dns_tcp_lost = true;
		return;
	}
	const struct flow_dnsbuf *b = &c->dnsb[dir];
	for (unsigned k = 0; k < DNS_TCP_MAX_MSGS && b->len >= 2; k++) {
		uint32_t mlen = (uint32_t)b->buf[0] << 8 | b->buf[1];
		if (b->len - 2 < mlen) {
			e->dns_awaiting = mlen - (b->len - 2);
			return;
		}
		struct dns_msg *m = &t->dns[e->n_dns < EV_MAX_DNS ? e->n_dns : EV_MAX_DNS];
		dns_decode(b->buf + 2, mlen, m);
		int64_t rt = dns_seen(t, p, m, mlen, true);
		if (e->n_dns < EV_MAX_DNS) {
			e->dns[e->n_dns] = m;
			e->dns_rt[e->n_dns++] = rt;
		} else {
			e->n_dns_more++;
		}
		flow_dns_consume(t->flows, c, dir, 2 + mlen);
	}
}

static void do_tcp(struct tracer *t, const struct pkt *p, struct ev *e, struct flow_seg *g,
		   struct fetch_link *link)
{
	flow_track(t->flows, p, g);
	struct conn *c = g->c;
	e->seg = g;
	if (g->is_new) {
		t->n.conns++;
		if (!c->dns) {
			fetch_connect(t->fetch, c->ip_ver, c->srv, p->ts_us, link);
			c->fetch_id = link->fetch_id;
			e->link = link;
		}
	}
	if (c->dns && p->pl_len)
		dns_tcp(t, p, g, e);

	struct step_in in = {
		.is_dns = c->dns,
		.is_tcp = true,
		.from_client = g->dir == 0,
		.flags = p->tcp_flags,
		.pl_len = p->pl_len,
		.completes_handshake = g->completes_handshake,
		.after_fin = g->after_fin,
		.acks_dir = g->acks_dir,
	};
	e->step = step_classify(&in);
	flow_after(t->flows, g, (int)e->step);
}

void trace_packet(struct tracer *t, int dlt, const uint8_t *data, uint32_t cap_len,
		  uint32_t wire_len, int64_t ts_us)
{
	struct pkt *p = &t->pkt;
	struct ev e;
	struct flow_seg g;
	struct fetch_link link;
	memset(&e, 0, sizeof(e));
	e.p = p;
	e.step = STEP_OTHER;
	t->n.packets++;

	pkt_decode(dlt, data, cap_len, wire_len, ts_us, p);
	t->dns_malformed = t->dns_truncated = false;

	if (p->layer == LAYER_DONE && p->proto == 17 &&
	    (p->sport == DNS_PORT || p->dport == DNS_PORT)) {
		struct dns_msg *m = &t->dns[0];
		dns_decode(p->pl, p->pl_cap, m);
		e.dns[0] = m;
		/* A first fragment holds only part of the datagram: cut, not bad. */
		e.dns_rt[0] = dns_seen(t, p, m, p->pl_cap, p->pl_cap == p->pl_len && !p->frag);
		e.n_dns = 1;
		e.step = STEP_RESOLVE;
	} else if (p->layer == LAYER_DONE && p->proto == 6) {
		do_tcp(t, p, &e, &g, &link);
	}
	/* One count per packet, the worst thing about it first: bad bytes in
	 * any layer, then a cut (headers, a payload, a DNS message), then a
	 * protocol we do not decode. */
	if (p->status == FT_MALFORMED || t->dns_malformed)
		t->n.malformed++;
	else if (p->status == FT_TRUNCATED || t->dns_truncated ||
		 (p->layer == LAYER_DONE && p->pl_cap < p->pl_len))
		t->n.truncated++;
	else if (p->status == FT_UNSUPPORTED)
		t->n.unsupported++;
	else if (e.step == STEP_OTHER)
		t->n.other++;
	else
		t->n.decoded++;
	out_packet(t->out, &e);
}

void trace_flush(struct tracer *t) { out_flush(t->out); }

void trace_finish(struct tracer *t)
{
	if (!t)
		return;
	t->n.conns_evicted = flow_evicted(t->flows);
	flow_close(t->flows); /* retires the connections still open */
	t->n.dns_unanswered = fetch_unanswered(t->fetch);
	out_summary(t->out, &t->n);
	out_close(t->out);
	fetch_close(t->fetch);
	free(t);
}
