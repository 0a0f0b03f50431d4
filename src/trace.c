/* trace.c - the pipeline for one packet: decode, track, reassemble, decode the streams,
 * classify, link, output. */
#include "trace.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "calljoin.h"
#include "dns.h"
#include "dnsnote.h"
#include "doh.h"
#include "fetch.h"
#include "flow.h"
#include "focus.h"
#include "frag.h"
#include "h2.h"
#include "hpack.h"
#include "http.h"
#include "keylog.h"
#include "out_call.h"
#include "pkt.h"
#include "proxy.h"
#include "quic.h"
#include "quicdec.h"
#include "quicflow.h"
#include "h3.h"
#include "reasm.h"
#include "step.h"
#include "timeline.h"
#include "tls.h"
#include "tlslayer.h"
#include "tlsmsg.h"

#define DNS_PORT 53
#define QUIC_PORT 443
#define DNS_TCP_MAX_MSGS 64 /* messages taken from one delivery; each uses >= 2 bytes */
#define TRACE_RETIRED_MAX 4 /* connections retired during one packet: at most an eviction
                               (a new connection) and a close (flow_after) */
#define QUIC_WALK_PKTS 16   /* coalesced packets decrypted from one datagram (each takes >= 21 B) */
#define QUIC_PLAIN_CAP 65536 /* a UDP payload's plaintext: >= any datagram's payload */

/* A connection that left the flow table, waiting for the end of its packet. */
struct retired {
	struct conn c;         /* a copy: the table may reuse the slot at once */
	const char *why;       /* static string */
	struct http_events held[2]; /* HTTP messages held after a gap, decoded as it left */
	uint64_t held_gap[2];  /* bytes those skipped, per direction */
};
#define TRACE_EXPECT_MAX 16 /* connect()s awaiting their SYN (issue 14) */
#define TRACE_EXPECT_US 10000000 /* ... at most this long */
#define MIDSTREAM_SKIP_MAX (1u << 20) /* bytes a mid-stream connection skips looking for a message start */

struct tracer {
	struct out *out;
	struct flow_table *flows;
	struct fetch_linker *fetch;
	struct focus *focus;                  /* --fetch: which fetches show */
	struct dns_noter *noter;
	struct timeline *tl;
	struct fetch_link px_link;            /* a connection moved to a proxied host's fetch */
	struct out_counts n;
	struct pkt pkt;                       /* the packet being handled */
	bool dns_malformed, dns_truncated;    /* a DNS message of this packet was */
	struct dns_msg dns[EV_MAX_DNS + 1];   /* decoded messages; the last is scratch */
	struct dns_note note[EV_MAX_DNS + 1]; /* what each means; the last is scratch */
	/* DNS over TCP: the bytes of each message shown (dns[0..EV_MAX_DNS)),
	 * which its records point into.  The reassembler's own copy (its tail,
	 * a held segment) may be moved or freed before the packet is printed. */
	uint8_t dns_copy[EV_MAX_DNS][UINT16_MAX];
	struct http_events hev;               /* HTTP events of this packet */
	struct tls_events tev;                /* TLS events of this packet */
	struct tlsmsg tmsg[TLS_MAX_EVENTS];   /* decrypted handshake messages of this packet */
	unsigned n_tmsg;                      /* used of tmsg */
	struct keylog *kl;                    /* --keylog: decrypt TLS, or NULL */
	struct tlsl_pool tlsl_pool;           /* TLS layers' caps and counts */
	/* the packet being traced stays where it is after (trace_set_kept):
	 * its bytes, or NULL */
	const uint8_t *kept;
	uint32_t kept_len;
	bool kept_next;                       /* trace_set_kept's, for the next packet */
	struct h2_events h2ev;                /* HTTP/2 events of this packet (47 KB: here, not
	                                         on the stack) */
	struct hpack_budget h2_budget;        /* what every HTTP/2 connection's state (h2_new:
	                                         the stream table and HPACK tables) may take
	                                         together; a connection that does not fit is
	                                         not decoded (counted, noted) */
	bool h2_refused_now;                  /* this packet's HTTP/2 state was refused */
	bool doh_now;                         /* this packet carried DoH frames */
	struct quic_info quic;                /* QUIC headers of this packet */
	int64_t now;                          /* time of the packet being handled */
	uint64_t frame;                       /* trace_set_frame: the next packet's frame number,
	                                         0 = count them here */
	bool in_packet;                       /* trace_packet is running */
	struct retired retired[TRACE_RETIRED_MAX]; /* left the table during this packet */
	unsigned n_retired;
	/* QUIC */
	struct quicflow_table *qflows;        /* connections, each with its decoder */
	struct quicflow *qcur;                /* the connection of the packet being handled */
	struct quicdec_result qres[QUIC_MAX_PACKETS + 1]; /* each packet of the datagram; the last
	                                         is scratch for those not shown */
	struct quicdec_hdr qvn;               /* a Version Negotiation of no known connection */
	struct quicdec_keys qtrial;           /* opens a client's first Initial before a connection
	                                         is made for it (its contexts are reused) */
	uint8_t qplain[QUIC_PLAIN_CAP];       /* plaintext of the datagram's packets, at the
	                                         packets' own offsets (frames point into it) */
	struct quicflow qretired[2];          /* left the table during this packet (an eviction);
	                                         copies without their decoder */
	const char *qretired_why[2];
	unsigned n_qretired;
	/* HTTP/3 (issue 11): the QPACK decoders' total, and the events of the datagram */
	struct hpack_budget qpack_budget;
	struct h3_events h3ev;
	/* measured socket calls (issue 14): connect()s entered whose SYN is to come */
	struct call_expect {
		uint8_t ver, srv[16];
		uint16_t port;
		int64_t at;          /* entered; 0 free */
	} expect[TRACE_EXPECT_MAX];
	unsigned expect_next;
	/* measured sends on connected UDP sockets of no QUIC connection yet: the
	 * client's first Initial is sent before its connection is made */
	struct dgram_expect {
		uint8_t ver, cli[16], srv[16];
		uint16_t cport, sport;
		uint32_t len;
		int64_t at;          /* entered; 0 free */
	} dexpect[TRACE_EXPECT_MAX];
	unsigned dexpect_next;
	/* IP fragments (issue 13): made at the first fragment; NULL until then */
	struct frag_table *frags;
	struct frag_out frag;                 /* the verdict on this packet's fragment */
};

/* What a reassembler's sink needs: the stream's connection and direction,
 * and the event of the packet being handled.  One per call, on the stack. */
struct stream_ctx {
	struct tracer *t;
	struct conn *c;
	int dir;                              /* 0 client -> server, 1 server -> client */
	struct ev *e;
	uint64_t seq;                         /* relative sequence of the bytes being fed (the
	                                         TLS layer's, or the application's without
	                                         TLS); 0 unknown */
	size_t *rec_end;                      /* with TLS: where the record whose plaintext
	                                         goes up ends in them (tlsl_env), or NULL */
};

/* ------------------------------------------------------------------ */
/* the stream consumers                                                */
/* ------------------------------------------------------------------ */

/*
 * A decoded DNS message.  `whole` says the message's bytes were all
 * captured (a UDP payload the snap length did not cut, a length-prefixed
 * TCP message): then running out of bytes means the message lies about
 * its own size, which is malformed, not truncated.  Feeds the linker and
 * returns the response time.
 */
static int64_t dns_seen(struct tracer *t, const struct pkt *p, struct dns_msg *m, size_t len,
			bool whole, struct dns_note *note)
{
	note->kind = DNS_NOTE_NONE;
	if (m->status == FT_TRUNCATED && whole)
		m->status = FT_MALFORMED;
	if (m->status == FT_MALFORMED)
		t->dns_malformed = true;
	else if (m->status == FT_TRUNCATED)
		t->dns_truncated = true;
	if (len < 12) /* not even a header (RFC 1035 4.1.1): nothing to match */
		return -1;
	dnsnote_message(t->noter, p, m, note);
	if (!m->qr) {
		t->n.dns_queries++;
		fetch_dns_query(t->fetch, p, m);
		return -1;
	}
	t->n.dns_responses++;
	return fetch_dns_response(t->fetch, p, m);
}

/* DNS over TCP (RFC 1035 4.2.2, RFC 7766 8): each message has a two-byte
 * length in front; a delivery may hold several or part of one.  The
 * messages are matched with the packet's endpoints: a delivery comes from
 * the packet that completed it, in its own direction, except when an ACK
 * released held bytes, and then the endpoints are swapped. */
static size_t dns_tcp_consume(const struct stream_ctx *sc, const uint8_t *data, size_t len)
{
	struct tracer *t = sc->t;
	struct ev *e = sc->e;
	const struct pkt *p = &t->pkt;
	struct pkt swapped;
	if (e->seg && e->seg->dir != sc->dir) {
		swapped = *p;
		memcpy(swapped.src, p->dst, 16), memcpy(swapped.dst, p->src, 16);
		swapped.sport = p->dport, swapped.dport = p->sport;
		p = &swapped;
	}
	size_t off = 0;
	e->dns_awaiting = 0;
	for (unsigned k = 0; k < DNS_TCP_MAX_MSGS && len - off >= 2; k++) {
		size_t mlen = (size_t)data[off] << 8 | data[off + 1];
		if (len - off - 2 < mlen) {
			e->dns_awaiting = (uint32_t)(mlen - (len - off - 2));
			break;
		}
		unsigned slot = e->n_dns < EV_MAX_DNS ? e->n_dns : EV_MAX_DNS;
		struct dns_msg *m = &t->dns[slot];
		const uint8_t *msg = data + off + 2;
		/* A message shown is decoded from the tracer's copy, which lives
		 * until the packet is output; the scratch one is only read here. */
		if (slot < EV_MAX_DNS) {
			memcpy(t->dns_copy[slot], msg, mlen);
			msg = t->dns_copy[slot];
		}
		dns_decode(msg, mlen, m);
		struct dns_note *note = &t->note[slot];
		int64_t rt = dns_seen(t, p, m, mlen, true, note);
		if (e->n_dns < EV_MAX_DNS) {
			e->dns[e->n_dns] = m;
			e->dns_rt[e->n_dns++] = rt;
		} else {
			e->n_dns_more++;
		}
		off += 2 + mlen;
	}
	if (len - off == 1)
		e->dns_awaiting = 1; /* half a length prefix */
	return off;
}

/* ------------------------------------------------------------------ */
/* the application layer                                               */
/* ------------------------------------------------------------------ */

/* A connection turns out to carry HTTP/2: its state, counted in the
 * tracer's budget.  False (counted, noted on the packet) when it does not
 * fit: the connection's bytes are then only counted. */
static bool h2_start(const struct stream_ctx *sc)
{
	struct tracer *t = sc->t;
	struct conn *c = sc->c;
	if (!c->h2) {
		if (c->finished)
			return false; /* late packets of a retired connection: nothing frees it */
		c->h2 = h2_new(&t->h2_budget);
		if (!c->h2) {
			t->n.h2_refused++;
			t->h2_refused_now = true;
			return false;
		}
		t->n.h2_conns++;
	}
	return true;
}

static void h2_stop(struct conn *c)
{
	h2_free(c->h2);
	c->h2 = NULL;
}

/*
 * The application decoder of a stream, from its first bytes (either
 * direction): the transport's, or the plaintext a TLS layer hands up.
 * HTTP/1.x by its first line; HTTP/2 by the client's preface (any port)
 * or a server that starts with SETTINGS; over TLS, the ALPN the server
 * chose decides first.  HTTP/2's state is allocated by app_feed.
 * *wait: too few bytes to tell yet.
 */
static void app_sniff(struct conn *c, int dir, const uint8_t *data, size_t len, bool *wait)
{
	*wait = false;
	if (c->dns) {
		c->app = APP_DNS;
		return;
	}
	/* HTTP/2: over TLS the ALPN the server chose says so before any
	 * byte (the server's SETTINGS may come first, before the client's
	 * preface); app_feed makes its state. */
	if (c->tls && strcmp(tlsl_alpn(c->tlsl), "h2") == 0) {
		c->app = APP_H2;
		return;
	}
	enum ft_status h = http_sniff(dir, data, len);
	enum ft_status h2 = dir == 0 ? h2_sniff_preface(data, len) : h2_sniff_settings(data, len);
	if (h == FT_OK) {
		c->app = APP_HTTP;
		http_init(&c->ap.http);
	} else if (h2 == FT_OK) {
		c->app = APP_H2;
	} else if (h == FT_NEED_MORE || h2 == FT_NEED_MORE) {
		*wait = true;
	} else {
		c->app = APP_OPAQUE;
	}
}

/* ------------------------------------------------------------------ */
/* DNS over HTTPS (RFC 8484)                                           */
/* ------------------------------------------------------------------ */

/* A DNS message carried by HTTP (a GET's ?dns=, a body), in direction
 * dir: decoded into the packet's messages like DNS over TCP, and fed to
 * the linker with the endpoints of that direction. */
static void doh_message(const struct stream_ctx *sc, int dir, const uint8_t *msg, size_t mlen)
{
	struct tracer *t = sc->t;
	struct ev *e = sc->e;
	const struct pkt *p = &t->pkt;
	struct pkt swapped;
	if (e->seg && e->seg->dir != dir) {
		swapped = *p;
		memcpy(swapped.src, p->dst, 16), memcpy(swapped.dst, p->src, 16);
		swapped.sport = p->dport, swapped.dport = p->sport;
		p = &swapped;
	}
	unsigned slot = e->n_dns < EV_MAX_DNS ? e->n_dns : EV_MAX_DNS;
	struct dns_msg *m = &t->dns[slot];
	if (slot < EV_MAX_DNS) {
		memcpy(t->dns_copy[slot], msg, mlen);
		msg = t->dns_copy[slot];
	}
	dns_decode(msg, mlen, m);
	int64_t rt = dns_seen(t, p, m, mlen, true, &t->note[slot]);
	if (e->n_dns < EV_MAX_DNS) {
		e->dns[e->n_dns] = m;
		e->dns_rt[e->n_dns++] = rt;
	} else {
		e->n_dns_more++;
	}
	t->doh_now = true;
}

/* The connection's DoH collector, allocated on first need and counted in
 * the HTTP/2 budget; NULL when it does not fit (counted). */
static struct doh_conn *doh_get(const struct stream_ctx *sc)
{
	struct tracer *t = sc->t;
	struct conn *c = sc->c;
	if (c->doh)
		return c->doh;
	/* a finished connection's slot is kept only for late packets: what
	 * was made for it now would outlive its retirement */
	if (c->finished)
		return NULL;
	struct hpack_budget *b = &t->h2_budget;
	if (b->cap - b->used < sizeof(struct doh_conn)) {
		b->n_refused++;
		t->n.h2_refused++;
		return NULL;
	}
	c->doh = calloc(1, sizeof(struct doh_conn));
	if (c->doh) {
		b->used += sizeof(struct doh_conn);
		if (b->used > b->peak)
			b->peak = b->used;
	}
	return c->doh;
}

static void doh_free(struct tracer *t, struct conn *c)
{
	if (!c->doh)
		return;
	free(c->doh);
	c->doh = NULL;
	t->h2_budget.used -= sizeof(struct doh_conn);
}

/* Does this stream's request (dir 0) or response (dir 1) body carry a DNS message? */
static bool doh_body_wanted(const struct h2_stream *s, int dir)
{
	return dir == 0 ? doh_media(s->req_content_type.b, s->req_content_type.len)
			: doh_media(s->content_type.b, s->content_type.len);
}

/* h2's DATA sink: DoH bodies are collected, bounded, per stream. */
static void doh_data(void *ctx, int dir, uint32_t sid, const uint8_t *p, size_t n)
{
	const struct stream_ctx *sc = ctx;
	struct conn *c = sc->c;
	struct doh_body *b = c->doh ? doh_find(c->doh, sid, dir) : NULL;
	if (!b) {
		const struct h2_stream *s = h2_stream_find(c->h2, sid);
		if (!s || !doh_body_wanted(s, dir) || !doh_get(sc))
			return;
		doh_mark(c->doh, sid);
		b = doh_open(c->doh, sid, dir);
		if (!b)
			return;
	}
	doh_add(b, p, n);
}

/* After a feed: the HTTP/2 events from index `from` that carry DoH. */
static void doh_events(const struct stream_ctx *sc, unsigned from)
{
	struct tracer *t = sc->t;
	struct conn *c = sc->c;
	for (unsigned i = from; i < t->h2ev.n; i++) {
		const struct h2_ev *v = &t->h2ev.ev[i];
		if (v->kind != H2_EV_FRAME || !v->stream_id)
			continue;
		const struct hpack_headers *hd = v->type == H2_PUSH_PROMISE ? NULL : v->head;
		if (hd && v->dir == 0 && v->head_kind == H2_HEAD_REQUEST) {
			uint8_t q[HPACK_VAL_MAX];
			size_t n = hd->path.cut ? 0 : doh_get_param(hd->path.b, hd->path.len, q, sizeof(q));
			bool post = doh_media(hd->content_type.b, hd->content_type.len);
			if ((n || post) && doh_get(sc))
				doh_mark(c->doh, v->stream_id);
			if (n && c->doh)
				doh_message(sc, 0, q, n);
		}
		if (hd && v->dir == 1 && doh_media(hd->content_type.b, hd->content_type.len) &&
		    doh_get(sc))
			doh_mark(c->doh, v->stream_id);
		if (!c->doh || !doh_marked(c->doh, v->stream_id))
			continue;
		t->doh_now = true;
		struct doh_body *b = doh_find(c->doh, v->stream_id, v->dir);
		if (b && v->end_stream) {
			if (!b->over && b->len)
				doh_message(sc, v->dir, b->b, b->len);
			doh_close(b);
		}
		if (v->type == H2_RST_STREAM) {
			for (int d = 0; d < 2; d++)
				if ((b = doh_find(c->doh, v->stream_id, d)))
					doh_close(b);
		}
	}
}

/* HTTP/1.x's body sink: DoH bodies (a POST's, a response's) collected per
 * exchange (its number stands for the stream id).  The head that says so
 * came earlier: in this feed's events or an earlier feed's (a slot is open). */
static void doh_http_data(void *ctx, int dir, uint32_t exchange, const uint8_t *p, size_t n)
{
	const struct stream_ctx *sc = ctx;
	struct tracer *t = sc->t;
	struct conn *c = sc->c;
	struct doh_body *b = c->doh ? doh_find(c->doh, exchange, dir) : NULL;
	if (!b) {
		bool want = false;
		for (unsigned i = 0; i < t->hev.n && !want; i++) {
			const struct http_ev *v = &t->hev.ev[i];
			want = v->kind == HTTP_EV_HEAD && v->head && v->dir == dir &&
			       v->exchange == exchange &&
			       doh_media(v->head->content_type.b, v->head->content_type.len);
		}
		if (!want || !doh_get(sc))
			return;
		doh_mark(c->doh, exchange);
		b = doh_open(c->doh, exchange, dir);
		if (!b)
			return;
	}
	doh_add(b, p, n);
}

/* After an HTTP/1.x feed: the events from index `from` that carry DoH
 * (a GET's ?dns=, a dns-message body that ended). */
static void doh_http_events(const struct stream_ctx *sc, unsigned from)
{
	struct tracer *t = sc->t;
	struct conn *c = sc->c;
	for (unsigned i = from; i < t->hev.n; i++) {
		const struct http_ev *v = &t->hev.ev[i];
		if (!v->exchange)
			continue;
		if (v->kind == HTTP_EV_HEAD && v->head) {
			const struct http_head *hd = v->head;
			uint8_t q[HTTP_STR_MAX];
			size_t n = hd->is_request && !hd->target.cut
					   ? doh_get_param(hd->target.b, hd->target.len, q, sizeof(q))
					   : 0;
			bool body = doh_media(hd->content_type.b, hd->content_type.len);
			if ((n || body) && doh_get(sc))
				doh_mark(c->doh, v->exchange);
			if (n && c->doh)
				doh_message(sc, 0, q, n);
		}
		if (!c->doh || !doh_marked(c->doh, v->exchange))
			continue;
		t->doh_now = true;
		struct doh_body *b = doh_find(c->doh, v->exchange, v->dir);
		if (b && (v->kind == HTTP_EV_END || v->kind == HTTP_EV_OPAQUE || v->kind == HTTP_EV_GAP)) {
			if (v->kind == HTTP_EV_END && !b->over && b->len)
				doh_message(sc, v->dir, b->b, b->len);
			doh_close(b);
		}
	}
}

/* Feed HTTP/1.x bytes, DoH bodies collected on the way. */
static size_t http_feed_app(const struct stream_ctx *sc, const uint8_t *data, size_t len)
{
	struct tracer *t = sc->t;
	struct http_conn *h = &sc->c->ap.http;
	unsigned from = t->hev.n;
	h->body_fn = doh_http_data;
	h->body_ctx = (void *)sc;
	size_t n = http_feed(h, sc->dir, data, len, &t->hev);
	h->body_fn = NULL; /* sc lives on the caller's stack */
	h->body_ctx = NULL;
	doh_http_events(sc, from);
	return n;
}

/* Feed HTTP/2 bytes, DoH bodies collected on the way; skip: bytes of the
 * feed (sc->seq) before data.  Each event says where on the TCP stream what
 * carried it ended (h2_ev.at): the frame's last byte, or over TLS its
 * record's, which is what a read() must have returned for the application
 * to see it (timeline_call_bytes). */
static void h2_feed_app(const struct stream_ctx *sc, const uint8_t *data, size_t len, size_t skip)
{
	struct tracer *t = sc->t;
	unsigned from = t->h2ev.n;
	h2_set_data_sink(sc->c->h2, doh_data, (void *)sc);
	h2_feed(sc->c->h2, sc->dir, data, len, &t->h2ev);
	h2_set_data_sink(sc->c->h2, NULL, NULL); /* sc lives on the caller's stack */
	for (unsigned i = from; sc->seq && i < t->h2ev.n; i++) {
		struct h2_ev *v = &t->h2ev.ev[i];
		if (!sc->c->tls)
			v->at = sc->seq + skip + v->feed_end - 1;
		else if (sc->rec_end && *sc->rec_end)
			v->at = sc->seq + *sc->rec_end - 1;
	}
	doh_events(sc, from);
}

/*
 * HTTP/1.x heads that switch to HTTP/2 (RFC 7540 3.2): a request offering
 * "Upgrade: h2c" gets the HTTP/2 state at once (its request is stream 1)
 * and makes the HTTP/1.x decoder stop after a 101; a 101 then hands the
 * connection over; any other final answer to it withdraws the offer.
 * Looks at this feed's events, from index `from` on.
 */
static void h2c_upgrade(const struct stream_ctx *sc, unsigned from)
{
	struct tracer *t = sc->t;
	struct conn *c = sc->c;
	for (unsigned i = from; i < t->hev.n; i++) {
		const struct http_ev *v = &t->hev.ev[i];
		const struct http_head *hd = v->head;
		if (v->kind != HTTP_EV_HEAD || !hd)
			continue;
		if (hd->is_request && hd->exchange == 1 && hd->upgrade.present &&
		    h2_upgrade_token((const uint8_t *)hd->upgrade.b, hd->upgrade.len) && !c->h2) {
			if (!h2_start(sc))
				continue;
			h2_open_upgraded(c->h2, hd->method.b, hd->method.len, hd->target.b,
					 hd->target.len, hd->host.present ? hd->host.b : NULL,
					 hd->host.len,
					 hd->http2_settings.present ? hd->http2_settings.b : NULL,
					 hd->http2_settings.len);
			c->ap.http.stop_at_101 = true;
		} else if (!hd->is_request && c->h2 && hd->status == 101) {
			c->app = APP_H2;
			/* the HTTP/1.x decoder's last word: say where the bytes go */
			for (unsigned k = i + 1; k < t->hev.n; k++)
				if (t->hev.ev[k].kind == HTTP_EV_OPAQUE && t->hev.ev[k].dir == 1)
					t->hev.ev[k].why = "switched protocols (101) to HTTP/2 (h2c)";
		} else if (!hd->is_request && c->h2 && hd->status >= 200) {
			h2_stop(c); /* the server stayed with HTTP/1.1 */
			c->ap.http.stop_at_101 = false;
		}
	}
}

/*
 * The connection asked its proxy for `host` (a tunnel's handshake, a
 * forward proxy's absolute target): a fetch is one host, so a host other
 * than its fetch's moves the connection to that host's fetch from this
 * packet on, and a new fetch gets its header above this packet's line.
 */
static void proxy_host(const struct stream_ctx *sc, const char *host, size_t len)
{
	struct tracer *t = sc->t;
	struct conn *c = sc->c;
	if (!c->fetch_id)
		return;
	struct fetch_link *l = &t->px_link;
	uint32_t id = fetch_proxy(t->fetch, c->fetch_id, c->ip_ver, c->srv, host, len, l);
	if (id == c->fetch_id)
		return;
	c->fetch_id = id;
	if (l->new_fetch) {
		timeline_fetch(t->tl, l);
		sc->e->link = l;
	}
}

/*
 * A request to a forward proxy names the origin in its target, the
 * absolute form (RFC 9112 3.2.2: "GET http://www.example.com/ HTTP/1.1"):
 * the fetch takes that host as its name, as for a CONNECT tunnel.
 */
static void proxy_absolute(const struct stream_ctx *sc, unsigned from)
{
	struct tracer *t = sc->t;
	struct conn *c = sc->c;
	for (unsigned i = from; i < t->hev.n && c->fetch_id; i++) {
		const struct http_ev *v = &t->hev.ev[i];
		const struct http_head *hd = v->head;
		if (v->kind != HTTP_EV_HEAD || !hd || !hd->is_request || hd->exchange != 1)
			continue;
		const char *u = hd->target.b;
		size_t n = hd->target.len, s;
		if (n > 7 && strncasecmp(u, "http://", 7) == 0)
			s = 7;
		else if (n > 8 && strncasecmp(u, "https://", 8) == 0)
			s = 8;
		else
			continue;
		size_t e = s;
		if (e < n && u[e] == '[') { /* [v6]:port */
			while (e < n && u[e] != ']')
				e++;
			if (e < n)
				proxy_host(sc, u + s + 1, e - s - 1);
			continue;
		}
		while (e < n && u[e] != '/' && u[e] != ':' && u[e] != '?' && u[e] != '#' && u[e] != '@')
			e++;
		if (e < n && u[e] == '@')
			continue; /* userinfo: not a name to show */
		proxy_host(sc, u + s, e - s);
	}
}

/*
 * The application layer's one entry point: in-order plaintext bytes of
 * one direction of a connection, from whatever layer is below it (TCP
 * reassembly here; decrypted TLS records call the same three functions,
 * app_feed, app_gap and app_end).  Sniffs what the stream carries from
 * its first bytes, then feeds the chosen decoder; a decoder that hands
 * over (HTTP/1.1 101 to h2c) leaves the rest to the next.  Returns the
 * bytes consumed (fewer: the rest is offered again with more).
 */
static size_t app_feed(const struct stream_ctx *sc, const uint8_t *data, size_t len)
{
	struct tracer *t = sc->t;
	struct conn *c = sc->c;
	int dir = sc->dir;
	if (c->app == APP_UNKNOWN) {
		bool wait;
		app_sniff(c, dir, data, len, &wait);
		if (wait)
			return 0;
		if (c->app == APP_OPAQUE && c->midstream && c->n_skipped < MIDSTREAM_SKIP_MAX) {
			/* Mid-stream, bytes that start no message are the rest of
			 * one whose start was not captured: skip them, and look
			 * again at the next bytes of either side. */
			c->app = APP_UNKNOWN;
			c->start_lost |= (uint8_t)(1u << dir);
			c->n_skipped += len < MIDSTREAM_SKIP_MAX ? (uint32_t)len : MIDSTREAM_SKIP_MAX;
			return len;
		}
		/* The other side lost its start: its decoder resyncs at the
		 * next message instead of parsing the rest of one as a head. */
		if (c->start_lost & (1u << (1 - dir)) && c->app == APP_HTTP)
			http_gap(&c->ap.http, 1 - dir, 1, NULL);
	}
	/* HTTP/2 (sniffed, or chosen by a layer below: ALPN h2) gets its
	 * state here, once; over the cap the bytes are only counted */
	if (c->app == APP_H2 && !c->h2 && !h2_start(sc))
		c->app = APP_OPAQUE;
	switch (c->app) {
	case APP_DNS:
		if (c->lost_dirs & (1u << dir))
			return len; /* framing lost: the bytes cannot be split into messages */
		return dns_tcp_consume(sc, data, len);
	case APP_HTTP: {
		unsigned from = t->hev.n;
		size_t n = http_feed_app(sc, data, len);
		h2c_upgrade(sc, from);
		if (!c->tls)
			proxy_absolute(sc, from);
		if (n < len && c->ap.http.upgraded && c->app == APP_H2) {
			h2_feed_app(sc, data + n, len - n, n);
			n = len;
		}
		else if (n < len && c->ap.http.upgraded)
			n += http_feed_app(sc, data + n, len - n);
		return n;
	}
	case APP_H2:
		if (c->h2)
			h2_feed_app(sc, data, len, 0);
		return len;
	default:
		return len;
	}
}

/* Bytes an application decoder will never get. */
static void app_gap(const struct stream_ctx *sc, uint64_t len)
{
	struct tracer *t = sc->t;
	struct conn *c = sc->c;
	switch (c->app) {
	case APP_HTTP:
		http_gap(&c->ap.http, sc->dir, len, &t->hev);
		break;
	case APP_H2:
		if (c->h2)
			h2_gap(c->h2, sc->dir, len, &t->h2ev);
		break;
	case APP_DNS:
		sc->e->dns_tcp_lost = true;
		c->lost_dirs |= (uint8_t)(1u << sc->dir); /* the framing is lost for good */
		break;
	case APP_UNKNOWN:
		/* The stream's start is gone: cannot tell, except mid-stream,
		 * where a later message start may still say (on_stream_data). */
		if (c->midstream)
			c->start_lost |= (uint8_t)(1u << sc->dir);
		else
			c->app = APP_OPAQUE;
		break;
	default:
		break;
	}
}

/* The TLS layer's plaintext, up to the application dispatch. */
static size_t tls_app_data(void *ctx, int dir, const uint8_t *pt, size_t len)
{
	const struct stream_ctx *sc = ctx;
	struct stream_ctx up = *sc;
	up.dir = dir;
	return app_feed(&up, pt, len);
}

static void tls_app_gap(void *ctx, int dir, uint64_t len)
{
	const struct stream_ctx *sc = ctx;
	struct stream_ctx up = *sc;
	up.dir = dir;
	app_gap(&up, len);
}

static void tls_env(const struct stream_ctx *sc, struct tlsl_env *env)
{
	struct tracer *t = sc->t;
	*env = (struct tlsl_env){
		.kl = t->kl,
		.pool = &t->tlsl_pool,
		.now_ms = t->now > 0 ? (uint64_t)t->now / 1000 : 0,
		.tev = &t->tev,
		.msgs = t->tmsg,
		.n_msgs = &t->n_tmsg,
		.app = tls_app_data,
		.app_gap = tls_app_gap,
		.app_ctx = (void *)sc,
		.rec_end = sc->rec_end,
	};
	if (sc->rec_end)
		*sc->rec_end = 0;
}

/* A stream's bytes through its TLS layer (records; decryption with a key log). */
static size_t tls_stream(const struct stream_ctx *sc, const uint8_t *data, size_t len)
{
	/* A retired connection's slot stays for late packets: its layer went
	 * with it (on_retire), and a late ClientHello must not make another
	 * that nothing would free.  Its records are only recognised. */
	if (sc->c->retired)
		return tls_feed(&sc->c->tls_rec, sc->dir, data, len, &sc->t->tev);
	struct tlsl_env env;
	tls_env(sc, &env);
	/* the packet's own bytes (not the reassembler's, nor a reassembled
	 * fragment's), in a packet that stays where it is */
	struct tracer *t = sc->t;
	uintptr_t a = (uintptr_t)data, k = (uintptr_t)t->kept;
	env.kept = t->kept && a >= k && a - k <= t->kept_len && len <= t->kept_len - (a - k);
	return tlsl_feed(&sc->c->tls_rec, &sc->c->tlsl, sc->dir, data, len, &env);
}

/* Does the stream start with a TLS layer?  Only the client's first bytes
 * tell (a ClientHello record); *wait: too few to tell, or HTTP may still. */
static void layer_sniff(struct conn *c, int dir, const uint8_t *data, size_t len, bool *wait)
{
	*wait = false;
	if (c->dns || dir != 0)
		return;
	enum ft_status s = tls_sniff(data, len);
	if (s == FT_OK) {
		c->tls = true;
		tls_init(&c->tls_rec);
	} else if (s == FT_NEED_MORE && http_sniff(dir, data, len) != FT_OK) {
		*wait = true;
	}
}

/*
 * A proxy handshake at the start of the stream (SOCKS4/4a, SOCKS5, HTTP
 * CONNECT; proxy.c): its bytes are taken here, each direction's up to
 * where its handshake ends, and what follows is the inner stream, sniffed
 * and decoded as if the connection began there.  The fetch takes the
 * name of the host the client asked for.  Returns the bytes taken; *wait:
 * the rest must come again with more.
 */
static size_t proxy_stream(const struct stream_ctx *sc, const uint8_t *data, size_t len,
			   uint64_t seq, bool *wait)
{
	struct conn *c = sc->c;
	struct proxy_state *px = &c->proxy;
	*wait = false;
	if (!px->sniffed) {
		/* the client speaks first in every kind; mid-stream the start is unknown */
		if (sc->dir != 0 || c->midstream) {
			px->sniffed = px->done[0] = px->done[1] = true;
			return 0;
		}
		if (proxy_sniff(data, len, &px->kind) == FT_NEED_MORE) {
			*wait = true;
			return 0;
		}
		px->sniffed = true;
		if (px->kind == PROXY_NONE) {
			px->done[0] = px->done[1] = true;
			return 0;
		}
	}
	size_t used;
	uint8_t msgs;
	enum ft_status s = proxy_feed(px, sc->dir, data, len, &used, &msgs);
	sc->e->proxy = px;
	sc->e->proxy_msgs |= msgs;
	if ((msgs & PROXY_M_REPLY) && px->ok && !c->ts_proxy_done)
		c->ts_proxy_done = sc->t->now;
	if (msgs & PROXY_M_REQUEST)
		proxy_host(sc, px->host, px->host_len);
	if (s == FT_MALFORMED || (px->replied && !px->ok)) {
		/* not a handshake after all, or refused: nothing inner to decode */
		c->app = APP_OPAQUE;
		return len;
	}
	if (s == FT_NEED_MORE)
		*wait = true;
	else
		px->hs_end[sc->dir ? 1 : 0] = seq + used;
	return used;
}

static size_t on_stream_data(void *ctx, const uint8_t *data, size_t len, uint64_t seq)
{
	const struct stream_ctx *osc = ctx;
	struct conn *c = osc->c;
	size_t pre = 0, rec_end = 0;
	struct stream_ctx sub = *osc; /* where the bytes lie, for the layers above */
	const struct stream_ctx *sc = &sub;
	sub.seq = seq;
	sub.rec_end = &rec_end;
	if (!c->dns && !c->proxy.done[sc->dir] &&
	    (c->proxy.sniffed || (c->app == APP_UNKNOWN && !c->tls))) {
		bool wait;
		pre = proxy_stream(sc, data, len, seq, &wait);
		if (wait || pre == len)
			return pre;
		data += pre, len -= pre;
		sub.seq = seq + pre;
	}
	if (c->app == APP_UNKNOWN && !c->tls) {
		bool wait;
		layer_sniff(c, sc->dir, data, len, &wait);
		if (wait)
			return pre;
	}
	if (c->tls)
		return pre + tls_stream(sc, data, len);
	return pre + app_feed(sc, data, len);
}

/* A retransmission of bytes the TLS layer took into a record it decrypts
 * as it comes: do they differ (what the reassembler's tail told)? */
static bool on_stream_differs(void *ctx, uint64_t back, const uint8_t *data, size_t len)
{
	const struct stream_ctx *sc = ctx;
	return sc->c->tls && tlsl_differs(sc->c->tlsl, sc->dir, back, data, len);
}

static void on_stream_gap(void *ctx, uint64_t seq, uint64_t len)
{
	const struct stream_ctx *sc = ctx;
	struct tracer *t = sc->t;
	struct conn *c = sc->c;
	/* a record the TLS layer was decrypting as it came is lost with the
	 * gap: its bytes are the gap's, as they were when the reassembler
	 * held them */
	uint32_t part = c->tls ? tlsl_abandon(c->tlsl, sc->dir) : 0;
	seq -= part;
	len += part;
	sc->e->gap += len;
	c->partial = true;
	if (c->midstream && seq == 1) /* the peer's ACK showed bytes before the first seen */
		c->start_lost |= (uint8_t)(1u << sc->dir);
	if (c->tls)
		tls_gap(&c->tls_rec, sc->dir, len, &t->tev); /* the records are lost: so is the app */
	else
		app_gap(sc, len);
}

/* One direction ended (see app_feed). */
static void app_end(const struct stream_ctx *sc)
{
	if (sc->c->app == APP_HTTP) {
		unsigned from = sc->t->hev.n;
		http_end(&sc->c->ap.http, sc->dir, &sc->t->hev);
		doh_http_events(sc, from);
	}
}

/* One direction ended: hand over what is held, tell the decoder. */
static void stream_end(struct tracer *t, struct conn *c, int dir, struct ev *e)
{
	struct stream_ctx sc = { .t = t, .c = c, .dir = dir, .e = e };
	struct reasm_sink sink = { on_stream_data, on_stream_gap, &sc, on_stream_differs };
	reasm_flush(flow_reasm_pool(t->flows), &c->rs[dir], &sink);
	if (c->tls && tlsl_partial(c->tlsl, dir)) /* the record it cut, as a held one */
		on_stream_gap(&sc, c->rs[dir].next, 0);
	app_end(&sc);
}

/* ------------------------------------------------------------------ */
/* the TLS name link                                                   */
/* ------------------------------------------------------------------ */

static void tls_link(struct tracer *t, struct conn *c, struct ev *e)
{
	for (unsigned i = 0; i < t->tev.n; i++) {
		const struct tls_ev *v = &t->tev.ev[i];
		if (v->kind != TLS_EV_CLIENT_HELLO || !v->ch || !v->ch->has_sni || c->tls_sni_linked)
			continue;
		c->tls_sni_linked = true;
		e->sni_name_differs = c->fetch_id &&
				      !fetch_sni(t->fetch, c->fetch_id, v->ch->sni, v->ch->sni_len);
	}
}

/* ------------------------------------------------------------------ */
/* TCP                                                                 */
/* ------------------------------------------------------------------ */

/* The sink of a release: the connection and direction, into the retired
 * entry's own events (a retirement comes in the middle of a packet). */
struct held {
	struct conn *c;
	int dir;
	struct http_events *hev;
	uint64_t *gap;         /* bytes skipped */
};

static size_t held_data(void *ctx, const uint8_t *data, size_t len, uint64_t seq)
{
	struct held *h = ctx;
	(void)seq;
	return http_feed(&h->c->ap.http, h->dir, data, len, h->hev);
}

static void held_gap(void *ctx, uint64_t seq, uint64_t len)
{
	struct held *h = ctx;
	(void)seq;
	*h->gap += len;
	h->c->partial = true;
	http_gap(&h->c->ap.http, h->dir, len, h->hev);
}

/*
 * A connection leaves the table (end of capture, eviction) with HTTP
 * bytes held behind a hole that never filled: decode them after the gap,
 * as tshark does, into the retired entry, while the table's slot (its
 * reassembler and decoder) is still live.  Closed connections had theirs
 * flushed at the FIN.
 */
static void release_held(struct tracer *t, struct conn *c, struct retired *r)
{
	for (int dir = 0; dir < 2; dir++) {
		struct http_events *hev = &r->held[dir];
		hev->n = hev->n_dropped = hev->n_heads = 0;
		r->held_gap[dir] = 0;
		if (c->app != APP_HTTP || c->tls || c->rs[dir].n_ooo == 0)
			continue;
		struct held h = { c, dir, hev, &r->held_gap[dir] };
		struct reasm_sink sink = { held_data, held_gap, &h, NULL };
		reasm_release(flow_reasm_pool(t->flows), &c->rs[dir], &sink);
	}
}

/* The released messages of a retired connection, each direction on a line
 * of its own: no packet brought them now, so the time is the connection's
 * last packet's (the bytes had come by then), which keeps exchange times
 * true. */
static void held_out(struct tracer *t, struct retired *r)
{
	struct conn *c = &r->c;
	for (int dir = 0; dir < 2; dir++) {
		struct http_events *hev = &r->held[dir];
		if (!hev->n && !hev->n_dropped)
			continue;
		struct pkt p;
		struct flow_seg g;
		struct ev e;
		memset(&p, 0, sizeof(p));
		memset(&g, 0, sizeof(g));
		memset(&e, 0, sizeof(e));
		p.ts_us = c->ts_last;
		p.ip_ver = c->ip_ver;
		memcpy(p.src, dir ? c->srv : c->cli, 16);
		memcpy(p.dst, dir ? c->cli : c->srv, 16);
		p.sport = dir ? c->sport : c->cport;
		p.dport = dir ? c->cport : c->sport;
		p.proto = 6;
		p.layer = LAYER_DONE;
		g.c = c;
		g.dir = dir;
		g.rtt_us = -1;
		g.acks_dir = -1;
		struct step_in in = { .is_tcp = true, .from_client = dir == 0, .pl_len = 1 };
		e.p = &p;
		e.seg = &g;
		e.step = step_classify(&in); /* data of this direction */
		e.dns_note = t->note;
		e.gap = r->held_gap[dir];
		e.http = hev;
		e.released = strncmp(r->why, "evicted", 7) == 0 ? EV_RELEASED_EVICTED
								 : EV_RELEASED_END;
		for (unsigned i = 0; i < hev->n; i++)
			e.http_dur[i] = timeline_http(t->tl, p.ts_us, c, &hev->ev[i]);
		focus_event(t->focus, t->out, &e);
		out_packet(t->out, &e);
	}
}

/* timeline_stream's hand-over: a final exchange is written now, when its
 * fetch is shown (--fetch decided it by now: focus_conn, focus_finish). */
static void exch_out(void *ctx, const struct tl_exch *x)
{
	struct tracer *t = ctx;
	if (focus_fetch_shown(t->focus, x->fetch))
		out_exchange(t->out, x);
}

/* Hand the retired connections to the timeline and the output, in the
 * order they left: after the packet's line, or at once outside a packet. */
static void retired_hand_over(struct tracer *t)
{
	for (unsigned i = 0; i < t->n_retired; i++) {
		struct retired *r = &t->retired[i];
		const struct conn *c = &r->c;
		held_out(t, r);
		if (focus_conn(t->focus, t->out, c->fetch_id, c->dns))
			out_conn_done(t->out, c, r->why,
				      c->fetch_id ? fetch_name(t->fetch, c->fetch_id) : NULL);
		timeline_conn_done(t->tl, c); /* its exchanges: after its line */
	}
	t->n_retired = 0;
}

/* The flow table's retire callback: decodes what the connection still
 * holds, then only collects (the table may reuse the slot as soon as this
 * returns), so nothing reaches the output in the middle of a packet. */
static void on_retire(void *ctx, const struct conn *c, const char *why)
{
	struct tracer *t = ctx;
	if (t->n_retired == TRACE_RETIRED_MAX)
		retired_hand_over(t); /* cannot happen: see TRACE_RETIRED_MAX */
	struct retired *r = &t->retired[t->n_retired++];
	/* the table's own slot, live until this returns */
	release_held(t, (struct conn *)c, r);
	/* the TLS layer's keys and plaintext go with the connection */
	tlsl_free(&((struct conn *)c)->tlsl, &t->tlsl_pool);
	((struct conn *)c)->retired = true;
	h2_stop((struct conn *)c); /* its HTTP/2 state goes back to the budget */
	doh_free(t, (struct conn *)c);
	r->c = *c;
	r->c.h2 = NULL;
	r->c.doh = NULL;
	/* a closed connection's slot stays for late packets: their bytes are
	 * only counted, so no HTTP/2 state is made again for it */
	if (c->app == APP_H2)
		((struct conn *)c)->app = APP_OPAQUE;
	/* what the copy points to belongs to the table: not to be followed */
	memset(r->c.rs, 0, sizeof(r->c.rs));
	memset(&r->c.ap, 0, sizeof(r->c.ap));
	r->why = why;
	if (!t->in_packet)
		retired_hand_over(t);
}

/* Did the decoders say anything about direction dir during this packet? */
static bool stream_events(const struct tracer *t, int dir)
{
	for (unsigned i = 0; i < t->hev.n; i++)
		if (t->hev.ev[i].dir == dir)
			return true;
	for (unsigned i = 0; i < t->tev.n; i++)
		if (t->tev.ev[i].dir == dir)
			return true;
	return false;
}

/* Did this packet's TLS records include application data (not a likely
 * session ticket)? */
static bool tls_appdata_now(const struct tracer *t)
{
	for (unsigned i = 0; i < t->tev.n; i++)
		if (t->tev.ev[i].kind == TLS_EV_APPDATA && t->tev.ev[i].guess != TLS_GUESS_TICKET)
			return true;
	return false;
}

/* A handshake message after the hellos: decrypted, or a likely ticket. */
static bool tls_hs_now(const struct tracer *t)
{
	for (unsigned i = 0; i < t->tev.n; i++) {
		const struct tls_ev *v = &t->tev.ev[i];
		if (v->kind == TLS_EV_DEC_HS ||
		    (v->kind == TLS_EV_APPDATA && v->guess == TLS_GUESS_TICKET))
			return true;
	}
	return false;
}

/* close_notify: decrypted, or an encrypted alert by its shape. */
static bool tls_close_now(const struct tracer *t)
{
	for (unsigned i = 0; i < t->tev.n; i++) {
		const struct tls_ev *v = &t->tev.ev[i];
		if (v->kind == TLS_EV_ALERT &&
		    ((v->decrypted && v->status == FT_OK && v->alert_desc == 0) ||
		     v->guess == TLS_GUESS_CLOSE))
			return true;
	}
	return false;
}

/* A new QUIC connection whose first datagram a measured send on a connected
 * UDP socket was seen entering (trace_call, before the connection was
 * made): that send counts as its socket's first (timeline_call_dgram). */
static void dgram_expected(struct tracer *t, struct quicflow *q, const struct pkt *p)
{
	for (unsigned i = 0; i < TRACE_EXPECT_MAX; i++) {
		struct dgram_expect *x = &t->dexpect[i];
		if (x->at && x->ver == q->ip_ver && x->cport == q->cport && x->sport == q->sport &&
		    !memcmp(x->cli, q->cli, 16) && !memcmp(x->srv, q->srv, 16) &&
		    x->len == p->pl_len && x->at <= t->now + TL_CALL_SKEW_US &&
		    t->now - x->at < TRACE_EXPECT_US) {
			uint32_t sid;
			(void)timeline_call_dgram(t->tl, q, 0, x->len, x->at, false, &sid);
			x->at = 0;
			return;
		}
	}
}

/* A new connection whose connect() was measured entering (trace_call): its
 * packets say so from the SYN on. */
static void call_expected(struct tracer *t, struct conn *c)
{
	for (unsigned i = 0; i < TRACE_EXPECT_MAX; i++) {
		struct call_expect *x = &t->expect[i];
		if (x->at && x->ver == c->ip_ver && x->port == c->sport && !memcmp(x->srv, c->srv, 16) &&
		    c->ts_first + 1000 >= x->at && c->ts_first - x->at < TRACE_EXPECT_US) {
			c->calls_seen = true;
			/* the calls were followed from before its first byte: their
			 * counts are the stream's positions (timeline_call_bytes) */
			c->calls_pos.counted = !c->midstream;
			x->at = 0;
			return;
		}
	}
}

/* A TCP segment: track, reassemble, decode; fill what the classifier reads. */
static void do_tcp(struct tracer *t, const struct pkt *p, struct ev *e, struct flow_seg *g,
		   struct fetch_link *link, struct step_in *in)
{
	flow_track(t->flows, p, g);
	struct conn *c = g->c;
	struct reasm_pool *pool = flow_reasm_pool(t->flows);
	uint8_t start_lost = c->start_lost;
	e->seg = g;
	if (g->is_new)
		t->n.conns++;
	if (g->is_new)
		call_expected(t, c);
	/* A new connection, or one whose roles the packets just swapped: tie
	 * it to the fetch of its server. */
	if (g->is_new || g->notes & NOTE_ROLES_SWAPPED) {
		if (!c->dns) {
			fetch_connect(t->fetch, c->ip_ver, c->cli, c->srv, link);
			c->fetch_id = link->fetch_id;
			e->link = link;
			if (link->new_fetch)
				timeline_fetch(t->tl, link);
		}
	}
	int dir = g->dir;
	struct stream_ctx sc = { .t = t, .c = c, .dir = dir, .e = e };
	struct reasm_sink sink = { on_stream_data, on_stream_gap, &sc, on_stream_differs };
	static const uint8_t none[1];
	/* A direction's data starts at relative 1 (after its SYN, or where the
	 * peer's ACK or its first segment seen says), so a lost first segment
	 * is a gap, not the start.  Bytes before 1 are old: they never reach
	 * the reassembler as new data. */
	/* records that waited for their key: the key log may have it now */
	if (c->tls && c->tlsl) {
		struct tlsl_env env;
		tls_env(&sc, &env);
		tlsl_poll(&c->tls_rec, c->tlsl, &env);
	}
	int64_t seq = g->rel_seq + ((p->tcp_flags & TCP_SYN) ? 1 : 0);
	if (p->pl_len && seq + (int64_t)p->pl_len > 1) {
		uint32_t skip = seq < 1 ? (uint32_t)(1 - seq) : 0;
		uint32_t cap = p->pl_cap > skip ? p->pl_cap - skip : 0;
		reasm_start(&c->rs[dir], 1);
		reasm_push(pool, &c->rs[dir], (uint64_t)(seq + skip), cap ? p->pl + skip : none, cap,
			   p->pl_len - skip, &sink, &e->rres);
	}
	/* The peer's ACK tells what it received: data it acknowledges that the
	 * capture never saw is lost, not late.  A FIN's sequence number is not
	 * data; an ACK from before the start acknowledges nothing. */
	if (g->ack_valid && g->rel_ack > 1 && c->rs[1 - dir].started) {
		const struct flow_dir *o = &c->d[1 - dir];
		int64_t ack = g->rel_ack;
		if (o->fin_seen && ack > o->fin_seq)
			ack = o->fin_seq;
		struct stream_ctx osc = { .t = t, .c = c, .dir = 1 - dir, .e = e };
		struct reasm_sink osink = { on_stream_data, on_stream_gap, &osc, on_stream_differs };
		reasm_ack(pool, &c->rs[1 - dir], (uint64_t)ack, &osink);
	}
	if (p->tcp_flags & (TCP_FIN | TCP_RST))
		stream_end(t, c, dir, e);
	if (p->tcp_flags & TCP_RST)
		stream_end(t, c, 1 - dir, e);
	if (c->start_lost & ~start_lost)
		g->notes |= NOTE_START_LOST;

	/* Bytes waiting for the rest of their message: say how far it got. */
	if (p->pl_len && (c->app == APP_HTTP || c->tls) && !stream_events(t, dir))
		e->held = c->rs[dir].tail_len +
			  (c->tls ? tlsl_partial(c->tlsl, dir) + tls_partial(&c->tls_rec, dir) : 0);
	for (unsigned i = 0; i < t->hev.n; i++)
		e->http_dur[i] = timeline_http(t->tl, t->now, c, &t->hev.ev[i]);
	for (unsigned i = 0; i < t->h2ev.n; i++)
		e->h2_dur[i] = timeline_h2(t->tl, t->now, c, &t->h2ev.ev[i]);
	for (unsigned i = 0; i < t->tev.n; i++) {
		if (t->tev.ev[i].kind == TLS_EV_CLIENT_HELLO && !c->ts_tls_hello)
			c->ts_tls_hello = t->now;
		timeline_tls(t->tl, t->now, c, &t->tev.ev[i]);
	}
	if (c->tls)
		tls_link(t, c, e);
	e->http = t->hev.n || t->hev.n_dropped ? &t->hev : NULL;
	e->tls = t->tev.n || t->tev.n_dropped ? &t->tev : NULL;
	e->h2 = t->h2ev.n || t->h2ev.n_dropped ? &t->h2ev : NULL;
	e->h2_refused = t->h2_refused_now;
	bool goaway = false;
	if (c->app == APP_H2 && c->h2) {
		struct h2_info hi;
		h2_info(c->h2, &hi);
		goaway = hi.goaway[0] || hi.goaway[1];
	}

	bool tls = c->tls;
	/* decrypted, the records' true types say who sent data */
	bool dec = tlsl_decrypting(c->tlsl);
	bool sent_app = tls && (dec ? tlsl_appdata_seen(c->tlsl, dir) : c->tls_rec.appdata_seen[dir]);
	int64_t pl_end = seq + (int64_t)p->pl_len;
	/* bytes before the sender's first application data are its handshake */
	bool hs_bytes = tls && p->pl_len && seq >= 1 && pl_end <= c->tls_hs_end[dir];
	if (tls && p->pl_len && !sent_app && pl_end > c->tls_hs_end[dir])
		c->tls_hs_end[dir] = pl_end;
	*in = (struct step_in){
		.is_dns = c->dns,
		.is_tcp = true,
		.from_client = g->dir == 0,
		.flags = p->tcp_flags,
		.pl_len = p->pl_len,
		.completes_handshake = g->completes_handshake,
		.after_fin = g->after_fin,
		.acks_dir = g->acks_dir,
		.tls = tls,
		.tls_appdata_now = tls && tls_appdata_now(t),
		.tls_appdata_sent = { tls && (dec ? tlsl_appdata_seen(c->tlsl, 0)
						  : c->tls_rec.appdata_seen[0]),
				      tls && (dec ? tlsl_appdata_seen(c->tlsl, 1)
						  : c->tls_rec.appdata_seen[1]) },
		.tls_hs_now = tls && tls_hs_now(t),
		.tls_close_now = tls && tls_close_now(t),
		.tls_hs_bytes = hs_bytes,
		.tls_ahead = tls && p->pl_len && e->rres.held,
		.h2_goaway = goaway,
		.doh = t->doh_now,
		/* a bare ACK during the proxy handshake, or of its last bytes */
		.proxy_hs = e->proxy != NULL ||
			    (p->pl_len == 0 && c->proxy.kind && !c->proxy.failed &&
			     (!(c->proxy.done[0] && c->proxy.done[1]) ||
			      (g->ack_valid && g->rel_ack > 0 &&
			       (uint64_t)g->rel_ack == c->proxy.hs_end[1 - g->dir]))),
	};
}

/* A DNS message over UDP; decoded is true when t->dns[0] holds it already. */
static void do_dns_udp(struct tracer *t, const struct pkt *p, struct ev *e, struct step_in *in,
		       bool decoded)
{
	struct dns_msg *m = &t->dns[0];
	if (!decoded)
		dns_decode(p->pl, p->pl_cap, m);
	e->dns[0] = m;
	/* A first fragment holds only part of the datagram: cut, not bad. */
	e->dns_rt[0] = dns_seen(t, p, m, p->pl_cap, p->pl_cap == p->pl_len && !p->frag,
				&t->note[0]);
	e->n_dns = 1;
	in->is_dns = true;
}

/* ------------------------------------------------------------------ */
/* QUIC                                                                */
/* ------------------------------------------------------------------ */

/* A QUIC connection left the table: keep a copy for the summary, handed
 * over after the packet (eviction comes in the middle of one). */
static void quic_hand_over(struct tracer *t)
{
	for (unsigned i = 0; i < t->n_qretired; i++) {
		const struct quicflow *q = &t->qretired[i];
		if (focus_conn(t->focus, t->out, q->fetch_id, false))
			out_quic_done(t->out, q, t->qretired_why[i],
				      q->fetch_id ? fetch_name(t->fetch, q->fetch_id) : NULL);
		timeline_quic_done(t->tl, q); /* its exchanges: after its line, not mid-packet */
	}
	t->n_qretired = 0;
}

/* An HTTP/3 exchange for the summary line: the first QUICFLOW_H3_SUM kept, all counted. */
static void h3_note_exchange(struct quicflow *q, const struct h3_exchange *x, bool open)
{
	if (q->n_h3x < QUICFLOW_H3_SUM) {
		struct quicflow_h3x *m = &q->h3x[q->n_h3x];
		memset(m, 0, sizeof(*m));
		m->stream_id = x->stream_id;
		m->status = x->status;
		m->reset = x->reset;
		m->open = open;
		size_t ml = x->method.len < sizeof(m->method) ? x->method.len : sizeof(m->method);
		memcpy(m->method, x->method.b, ml);
		m->method_len = (uint8_t)ml;
		size_t pl = x->path.len < sizeof(m->path) ? x->path.len : sizeof(m->path);
		memcpy(m->path, x->path.b, pl);
		m->path_len = (uint8_t)pl;
		m->path_cut = x->path.cut || pl < x->path.len;
	}
	if (q->n_h3x < UINT32_MAX)
		q->n_h3x++;
}

static void on_quic_retire(void *ctx, const struct quicflow *q, const char *why)
{
	struct tracer *t = ctx;
	if (t->n_qretired == sizeof(t->qretired) / sizeof(t->qretired[0]))
		quic_hand_over(t); /* cannot happen: one eviction per packet */
	t->qretired[t->n_qretired] = *q;
	t->qretired[t->n_qretired].dec = NULL; /* freed once this returns */
	if (q->h3) {
		/* the exchanges that never finished, then the decoder goes */
		unsigned it = 0;
		const struct h3_exchange *x;
		for (unsigned k = 0; k < H3_MAX_STREAMS && (x = h3_exchange_next(q->h3, &it)); k++)
			h3_note_exchange(&t->qretired[t->n_qretired], x, true);
		h3_free(q->h3);
		t->qretired[t->n_qretired].h3 = NULL;
	}
	t->qretired_why[t->n_qretired++] = why;
	if (!t->in_packet)
		quic_hand_over(t);
}

/* The datagram's first packet is a long header QUIC knows: a known
 * version (or a Version Negotiation) and lengths that fit (or run past
 * the end of a datagram the snap length cut). */
static bool quic_long_ok(const struct quic_info *q, bool cut)
{
	/* a datagram the snap length cut may end inside its packet */
	if (q->n_pkts == 0 || q->pkt[0].type == QUIC_SHORT ||
	    !(q->status == FT_OK || (cut && q->status == FT_TRUNCATED)))
		return false;
	if (q->pkt[0].type == QUIC_VERSION_NEG)
		return true;
	const char *vn = quic_version_name(q->pkt[0].version);
	return vn && strcmp(vn, "GREASE") != 0;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Handshake and 1-RTT secrets from the key log, looked up by the
 * ClientHello's random; on a miss the file is read again (rate-limited by
 * keylog.c) in case the browser wrote them since.  True when a secret was
 * installed. */
static bool quic_keys(struct tracer *t, struct quicflow *q)
{
	static const enum keylog_label label[QUICDEC_N_SPACES][2] = {
		[QUICDEC_SP_HANDSHAKE] = { KEYLOG_CLIENT_HANDSHAKE_TRAFFIC_SECRET,
					   KEYLOG_SERVER_HANDSHAKE_TRAFFIC_SECRET },
		[QUICDEC_SP_APP] = { KEYLOG_CLIENT_TRAFFIC_SECRET_0, KEYLOG_SERVER_TRAFFIC_SECRET_0 },
	};
	uint8_t cr[32], secret[KEYLOG_SECRET_MAX];
	if (!t->kl || !quicdec_client_random(q->dec, cr))
		return false;
	bool got = false;
	for (int pass = 0; pass < 2; pass++) {
		bool missing = false;
		for (int sp = QUICDEC_SP_HANDSHAKE; sp <= QUICDEC_SP_APP; sp++)
			for (int d = 0; d < 2; d++) {
				if (q->keyed[sp][d])
					continue;
				size_t n = keylog_find(t->kl, cr, label[sp][d], secret,
						       sizeof(secret));
				if (n && quicdec_set_secret(q->dec, (enum quicdec_space)sp, d, secret,
							    n) == 0) {
					q->keyed[sp][d] = true;
					got = true;
				} else {
					missing = true;
				}
			}
		OPENSSL_cleanse(secret, sizeof(secret));
		if (got || !missing || pass)
			break;
		if (keylog_refresh(t->kl, (uint64_t)(t->now / 1000)) <= 0)
			break;
	}
	return got;
}

/* The ALPN is h3 (the server chose it, or the client offered nothing else):
 * the connection gets its HTTP/3 decoder, counted in the QPACK budget. */
static void h3_start(struct tracer *t, struct quicflow *q, const struct quicdec_result *r)
{
	if (r->has_ch && r->ch.n_alpn == 1 && r->ch.alpn_len[0] == 2 &&
	    memcmp(r->ch.alpn[0], "h3", 2) == 0)
		q->h3_alpn = true;
	if (r->has_ee && r->ee_has_alpn)
		q->h3_alpn = r->ee_alpn_len == 2 && memcmp(r->ee_alpn, "h3", 2) == 0;
	if (!q->h3_alpn && q->h3) {
		/* the server chose something else than the client's only offer */
		h3_free(q->h3);
		q->h3 = NULL;
	}
	if (q->h3_alpn && !q->h3 && !q->h3_nomem) {
		q->h3 = h3_new(&t->qpack_budget);
		q->h3_nomem = q->h3 == NULL;
	}
}

/* A 1-RTT frame for HTTP/3: STREAM data, RESET_STREAM, STOP_SENDING. */
static void h3_frame(struct tracer *t, struct quicflow *q, int dir, const struct quicframe *f)
{
	uint64_t ft = f->type;
	if ((ft & ~(uint64_t)7) == QF_STREAM) {
		size_t len = f->data ? (size_t)f->length : 0;
		h3_stream_data(q->h3, f->stream_id, dir, f->offset, f->data, len, f->fin, &t->h3ev);
	} else if (ft == QF_RESET_STREAM || ft == QF_STOP_SENDING) {
		h3_stream_reset(q->h3, f->stream_id, dir, f->error_code, ft == QF_STOP_SENDING,
				&t->h3ev);
	}
}

/* What the packets of one datagram mean for the connection and the step. */
static void quic_account(struct tracer *t, struct quicflow *q, int dir, unsigned n,
			 struct ev *e, struct step_in *in)
{
	for (unsigned i = 0; i < n; i++) {
		const struct quicdec_result *r = &t->qres[i];
		enum quic_type ty = r->hdr.type;
		if (ty == QUIC_SHORT && dir == 0 && !q->ts_hs_done)
			q->ts_hs_done = t->now;
		if (ty == QUIC_RETRY && dir == 1 && q->n_retry < UINT8_MAX)
			q->n_retry++;
		if (ty == QUIC_VERSION_NEG)
			q->vn = true;
		if (ty == QUIC_INITIAL || ty == QUIC_HANDSHAKE || ty == QUIC_RETRY ||
		    ty == QUIC_VERSION_NEG)
			in->quic_handshake = true;
		if (r->status != QUICDEC_OK) {
			if (ty != QUIC_RETRY && ty != QUIC_VERSION_NEG)
				q->n_sealed[dir]++;
			continue;
		}
		if (ty == QUIC_RETRY || ty == QUIC_VERSION_NEG)
			continue;
		q->n_opened[dir]++;
		if (r->has_sh && r->sh.hello_retry && q->n_hrr < UINT8_MAX)
			q->n_hrr++;
		if (r->has_ch || r->has_ee)
			h3_start(t, q, r);
		if (r->has_ch && r->ch.has_sni && !q->sni_linked) {
			q->sni_linked = true;
			e->sni_name_differs = q->fetch_id && !fetch_sni(t->fetch, q->fetch_id,
								       r->ch.sni, r->ch.sni_len);
		}
		bool app = r->space == QUICDEC_SP_APP;
		if (app)
			in->quic_decrypted = true;
		bool data = false;
		for (unsigned k = 0; k < r->frames.n; k++) {
			const struct quicframe *f = &r->frames.f[k];
			uint64_t ft = f->type;
			if (app && q->h3)
				h3_frame(t, q, dir, f);
			if ((ft & ~(uint64_t)7) == QF_STREAM || ft == QF_DATAGRAM ||
			    ft == QF_DATAGRAM_LEN) {
				data = true;
			} else if (ft == QF_CONNECTION_CLOSE || ft == QF_CONNECTION_CLOSE_APP) {
				in->quic_close = true;
				if (!q->closed) {
					q->closed = true;
					q->ts_close = t->now;
					q->close_dir = (int8_t)dir;
					q->close_app = ft == QF_CONNECTION_CLOSE_APP;
					q->close_code = f->error_code;
					size_t rl = f->data ? (size_t)f->length : 0;
					if (rl > sizeof(q->reason))
						rl = sizeof(q->reason);
					if (rl)
						memcpy(q->reason, f->data, rl);
					q->reason_len = (uint8_t)rl;
				}
			} else if (ft == QF_HANDSHAKE_DONE) {
				in->quic_hs_done = true;
			} else if ((ft == QF_ACK || ft == QF_ACK_ECN) && app) {
				/* Which of the peer's unacknowledged data this newly covers. */
				int o = 1 - dir;
				if (q->unacked[o] && f->largest >= q->unacked_lo[o] &&
				    f->smallest <= q->unacked_hi[o]) {
					in->quic_acks_dir = (int8_t)o;
					if (f->largest >= q->unacked_hi[o])
						q->unacked[o] = false;
					else
						q->unacked_lo[o] = f->largest + 1;
				}
			}
		}
		if (data && app) {
			in->quic_stream = true;
			if (!q->unacked[dir]) {
				q->unacked[dir] = true;
				q->unacked_lo[dir] = r->pkt.pn;
			}
			if (r->pkt.pn > q->unacked_hi[dir] || q->unacked_lo[dir] == r->pkt.pn)
				q->unacked_hi[dir] = r->pkt.pn;
		}
	}
	if (q->closed)
		in->quic_close = true;
}

/* Does the client's Initial at the start of p open with keys from its own
 * DCID?  Tried before a connection is made for it, so that a stray one
 * (anything shaped like an Initial) neither takes a slot nor evicts a live
 * connection.  The packet is opened again through the connection. */
static bool quic_initial_opens(struct tracer *t, const struct pkt *p)
{
	struct quicdec_hdr h;
	struct quicdec_pkt r;
	uint8_t sec[2][32];
	if (quicdec_header(p->pl, p->pl_cap, 0, &h) != QUICDEC_OK || h.type != QUIC_INITIAL ||
	    quicdec_initial_secrets(h.version, h.dcid, h.dcid_len, sec[0], sec[1]) != 0)
		return false;
	int rc = quicdec_keys_set(&t->qtrial, h.version, QUICDEC_AES_128_GCM, sec[0], 32);
	OPENSSL_cleanse(sec, sizeof(sec));
	return rc == 0 && quicdec_open(&t->qtrial, p->pl, &h, false, 0, t->qplain,
				       sizeof(t->qplain), &r) == QUICDEC_OK;
}

/* Every packet of the datagram through the connection's decoder, into
 * t->qres (those past QUIC_MAX_PACKETS into its scratch entry); the
 * plaintext of each at its own offset in t->qplain.  Returns how many are
 * in t->qres. */
static unsigned quic_open_all(struct tracer *t, struct quicflow *q, int dir, const struct pkt *p)
{
	unsigned n = 0;
	size_t off = 0;
	for (unsigned k = 0; k < QUIC_WALK_PKTS && off < p->pl_cap; k++) {
		const uint8_t *b = p->pl + off;
		size_t len = p->pl_cap - off;
		if (k && all_zero(b, len))
			break; /* the datagram padded after its last packet */
		struct quicdec_result *r = &t->qres[n < QUIC_MAX_PACKETS ? n : QUIC_MAX_PACKETS];
		enum quicdec_status st = quicdec_packet(q->dec, dir, b, len, t->qplain + off,
							sizeof(t->qplain) - off, r);
		if (st == QUICDEC_NEED_KEY && r->space != QUICDEC_SP_INITIAL && quic_keys(t, q))
			(void)quicdec_packet(q->dec, dir, b, len, t->qplain + off,
					     sizeof(t->qplain) - off, r);
		if (n < QUIC_MAX_PACKETS)
			n++;
		/* each turn moves on by at least one byte, or ends */
		if (r->hdr.pkt_len == 0 || r->hdr.pkt_len >= len)
			break;
		off += r->hdr.pkt_len;
	}
	return n;
}

/*
 * UDP port 443.  QUIC when its header says so (the fixed bit, a known
 * version or a Version Negotiation, lengths that fit) and, for a short
 * header, only on a connection whose start was seen (its long headers
 * gave the connection IDs); anything else is not QUIC.  The client's
 * first Initial makes a connection only when it decrypts (its keys come
 * from its own Destination Connection ID, so a stray one does not); every
 * packet of every datagram of the connection then goes through quicdec.
 * Returns false when the datagram is not QUIC (*why says why).
 */
static bool do_quic(struct tracer *t, const struct pkt *p, struct ev *e, struct fetch_link *link,
		    struct step_in *in, const char **why)
{
	struct quic_info *qi = &t->quic;
	quic_decode(p->pl, p->pl_cap, qi);
	int dir = 0;
	struct quicflow *q = quicflow_find(t->qflows, p, &dir);
	bool cut = p->pl_cap < p->pl_len;
	bool long_ok = quic_long_ok(qi, cut);
	if (qi->n_pkts == 0 || qi->status == FT_UNSUPPORTED) {
		*why = qi->why ? qi->why : "no QUIC header";
		return false;
	}
	if (!q && !long_ok) {
		*why = qi->pkt[0].type == QUIC_SHORT
			       ? "a short header of no QUIC connection whose start was seen"
			       : qi->status != FT_OK ? (qi->why ? qi->why : "header does not parse")
						     : "unknown QUIC version";
		return false;
	}
	bool from_client = q ? dir == 0 : p->dport == QUIC_PORT && p->sport != QUIC_PORT;
	bool created = false;
	if (!q && from_client && qi->pkt[0].type == QUIC_INITIAL) {
		if (quic_initial_opens(t, p)) {
			q = quicflow_new(t->qflows, p, t->now);
			created = q != NULL;
			dir = 0;
		} else if (!cut) {
			*why = "an Initial that does not decrypt with keys from its own DCID";
			return false;
		} /* else cut by the snap length: shown by its header alone */
	}
	unsigned n = 0;
	if (q) {
		n = quic_open_all(t, q, dir, p);
		/* A client's Initial its connection cannot open but that opens
		 * with keys from its own DCID starts another connection on the
		 * same ports (the client began again, e.g. after a Version
		 * Negotiation): the old one ends here.  (A failed packet leaves
		 * the connection as it was: quicdec takes back what it changed.) */
		if (!created && dir == 0 && qi->pkt[0].type == QUIC_INITIAL &&
		    t->qres[0].status == QUICDEC_AUTH_FAIL && quic_initial_opens(t, p)) {
			quicflow_retire(t->qflows, q, "replaced (a new connection on the same ports)");
			q = quicflow_new(t->qflows, p, t->now);
			created = q != NULL;
			n = q ? quic_open_all(t, q, dir, p) : 0;
		}
		if (created && t->qres[0].status != QUICDEC_OK) {
			/* cannot happen: the same packet opened in the trial */
			quicflow_forget(t->qflows, q);
			*why = "an Initial that does not decrypt with keys from its own DCID";
			return false;
		}
	}
	if (!q && qi->pkt[0].type == QUIC_VERSION_NEG &&
	    quicdec_header(p->pl, p->pl_cap, 0, &t->qvn) == QUICDEC_OK)
		e->quic_vn = &t->qvn;
	e->quic = qi;
	e->quic_from_client = from_client;
	in->is_quic = true;
	in->from_client = from_client;
	in->quic_acks_dir = -1;
	if (!q) {
		/* Either side's datagrams belong to the fetch of the server's address. */
		in->quic_handshake = qi->pkt[0].type != QUIC_SHORT;
		fetch_connect(t->fetch, p->ip_ver, from_client ? p->src : p->dst,
			      from_client ? p->dst : p->src, link);
		e->link = link;
		e->quic_fetch = link->fetch_id;
		return true;
	}
	t->qcur = q;
	if (created) {
		fetch_connect(t->fetch, p->ip_ver, q->cli, q->srv, link);
		q->fetch_id = link->fetch_id;
		q->version = quicdec_version(q->dec);
		e->link = link;
		if (link->new_fetch)
			timeline_fetch(t->tl, link);
	}
	if (created)
		dgram_expected(t, q, p);
	q->ts_last = t->now;
	q->bytes[dir] += p->pl_len;
	q->pkts[dir]++;
	timeline_dgram(t->tl, q, dir, p->pl_len); /* checked against a measured call's size */
	e->quic_fetch = q->fetch_id;
	e->quic_conn = q->id;
	e->quic_dec = t->qres;
	e->n_quic_dec = (uint8_t)n;
	h3_events_clear(&t->h3ev);
	quic_account(t, q, dir, n, e, in);
	for (unsigned i = 0; i < t->h3ev.n && i < H3_MAX_EVENTS; i++) {
		(void)timeline_h3(t->tl, t->now, q, &t->h3ev.ev[i]);
		if (t->h3ev.ev[i].kind == H3_EV_STREAM_DONE && t->h3ev.ev[i].xchg)
			h3_note_exchange(q, t->h3ev.ev[i].xchg, false);
	}
	if (t->h3ev.n || t->h3ev.n_dropped)
		e->h3 = &t->h3ev;
	return true;
}

/* UDP port 443 that is not QUIC: DNS when it is a DNS message, else bytes. */
static void udp443_other(struct tracer *t, const struct pkt *p, struct ev *e, struct step_in *in,
			 const char *why)
{
	struct dns_msg *m = &t->dns[0];
	dns_decode(p->pl, p->pl_cap, m);
	if (m->status == FT_OK && m->qdcount == 1 && m->has_question && m->opcode == 0) {
		do_dns_udp(t, p, e, in, true);
		return;
	}
	e->udp_not_quic = why;
}

/* ------------------------------------------------------------------ */
/* ICMP                                                                */
/* ------------------------------------------------------------------ */

/* TCP ports whose traffic is web traffic: those of the default live filter. */
static bool icmp_web_port(uint16_t port)
{
	return port == 80 || port == 443 || port == 8000 || port == 8080 || port == 8443;
}

/*
 * An ICMP error quotes a packet this host sent: the quote's source is the
 * client, its destination the server, so the quoted 5-tuple finds the
 * fetch of that server address (as the QUIC and TCP packets to it do).
 * Only DNS and web traffic is ours (UDP and TCP 53, UDP 443, TCP 80, 443,
 * 8000, 8080, 8443: the default live filter's ports);
 * anything else, and every other ICMP message, stays "other".  `qin`
 * gets the quoted packet's facts for the classifier.
 */
static void do_icmp(struct tracer *t, const struct pkt *p, struct ev *e, struct fetch_link *link,
		    struct step_in *in, struct step_in *qin)
{
	const struct icmp_info *m = &p->icmp;
	const struct icmp_quote *q = &m->q;
	if (!m->error || !q->ip || !q->ports)
		return;
	*qin = (struct step_in){ .acks_dir = -1, .from_client = true };
	if ((q->proto == 17 || q->proto == 6) && q->dport == DNS_PORT) {
		qin->is_dns = true; /* DNS over UDP, or over TCP (its SYN too): resolve */
		if (q->dns && !q->dns_qr) {
			struct dns_msg *d = &t->dns[EV_MAX_DNS]; /* scratch: no DNS in an ICMP packet */
			dns_decode(q->pl, q->pl_cap, d);
			e->icmp_dns = d;
		}
	} else if (q->proto == 17 && q->dport == QUIC_PORT) {
		/* A quote too short to show the QUIC header is still the attempt. */
		qin->is_quic = true;
		qin->quic_handshake = !q->quic || q->quic_type != QUIC_SHORT;
	} else if (q->proto == 6 && icmp_web_port(q->dport)) {
		qin->is_tcp = true;
		qin->flags = q->tcp_flags_ok ? q->tcp_flags : TCP_SYN; /* flags unknown: an attempt */
		qin->pl_len = q->tcp_pl_len;
	} else {
		return;
	}
	in->quoted = qin;
	/* The connection the quoted packet belongs to, when it is in a table. */
	struct pkt qp;
	memset(&qp, 0, sizeof qp);
	qp.ip_ver = q->ver;
	memcpy(qp.src, q->src, 16), memcpy(qp.dst, q->dst, 16);
	qp.sport = q->sport, qp.dport = q->dport;
	if (q->proto == 6) {
		const struct conn *c = flow_peek(t->flows, &qp);
		e->icmp_conn = c ? c->id : 0;
	} else if (qin->is_quic) {
		int dir;
		const struct quicflow *qf = quicflow_find(t->qflows, &qp, &dir);
		e->icmp_qconn = qf ? qf->id : 0;
	}
	if (qin->is_dns)
		return;
	fetch_connect(t->fetch, q->ver, q->src, q->dst, link);
	e->icmp_fetch = link->fetch_id;
	if (link->new_fetch)
		e->link = link;
}

/* ------------------------------------------------------------------ */
/* one packet                                                          */
/* ------------------------------------------------------------------ */

struct tracer *trace_open(FILE *f, const struct out_opts *o, uint32_t max_conns)
{
	struct tracer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->out = out_open(f, o);
	t->flows = flow_open(max_conns, TRACE_REASM_CAP, on_retire, t);
	t->fetch = fetch_open();
	t->focus = focus_open(o->fetch, o->n_fetch);
	t->noter = dnsnote_open();
	t->tl = timeline_open();
	if (t->tl && o->har_path)
		timeline_keep_heads(t->tl); /* HAR's headers; the other views need no heads */
	/* JSON: each exchange as it ends; the kept ones only for HAR */
	if (t->tl && t->out && out_streams_exchanges(t->out))
		timeline_stream(t->tl, exch_out, t, o->har_path != NULL);
	t->tlsl_pool.max_live = TLSL_DEFAULT_MAX_LIVE;
	t->tlsl_pool.held_cap = TLSL_DEFAULT_HELD_CAP;
	hpack_budget_init(&t->h2_budget, HPACK_BUDGET_DEFAULT);
	
	hpack_budget_init(&t->qpack_budget, HPACK_BUDGET_DEFAULT);
	t->qflows = quicflow_open(0, on_quic_retire, t);
	if (!t->out || !t->flows || !t->fetch || !t->focus || !t->noter || !t->tl || !t->qflows) {
		quicflow_close(t->qflows);
		timeline_close(t->tl);
		out_close(t->out);
		flow_close(t->flows);
		fetch_close(t->fetch);
		focus_close(t->focus);
		dnsnote_close(t->noter);
		free(t);
		return NULL;
	}
	return t;
}

void trace_set_keylog(struct tracer *t, struct keylog *kl)
{
	t->kl = kl;
}

void trace_set_comments(struct tracer *t, unsigned n, const uint8_t *const *p, const size_t *len)
{
	out_set_comments(t->out, n, p, len);
}

void trace_set_iface(struct tracer *t, bool several, uint32_t id, const uint8_t *name, size_t len)
{
	out_set_iface(t->out, several, id, name, len);
}

void trace_set_packet_cb(struct tracer *t, out_packet_cb fn, void *ctx)
{
	out_set_packet_cb(t->out, fn, ctx);
}

void trace_set_frame(struct tracer *t, uint64_t frame)
{
	t->frame = frame;
}

void trace_set_file(struct tracer *t, const char *path)
{
	out_set_file(t->out, path);
}

void trace_set_hiding(struct tracer *t)
{
	t->n.hiding = true;
}

void trace_hide_packet(struct tracer *t, bool unknown)
{
	t->n.packets++;
	t->n.hidden++;
	if (unknown)
		t->n.hidden_unknown++;
}

/* ------------------------------------------------------------------ */
/* IP fragments                                                        */
/* ------------------------------------------------------------------ */

#define FRAG_DLT_RAW 12 /* DLT_RAW: how a reassembled datagram is decoded again */

/*
 * An IP fragment goes to the reassembly (frag.c).  True when the packet is
 * done with here: held until its datagram is whole, a duplicate, or
 * dropped (e->frag says which; a fragment of a DNS message is still in the
 * resolve step).  False when it completed its datagram: *p is then that
 * datagram, decoded again from its IP header on, and goes on like any
 * packet on this packet's line (its link fields and lengths kept).
 */
static bool do_frag(struct tracer *t, struct pkt *p, const uint8_t *data, uint32_t cap_len,
		    struct ev *e, struct step_in *in)
{
	struct frag_out *o = &t->frag;
	if (!t->frags && !(t->frags = frag_open()))
		return false; /* no memory: shown as fragments, as before */
	/* pkt_decode left l3_off <= cap_len. */
	enum frag_verdict v = frag_add(t->frags, p, data + p->l3_off, cap_len - p->l3_off, o);
	if (v == FRAG_DONE) {
		struct pkt keep = *p;
		pkt_decode(FRAG_DLT_RAW, o->dgram, o->dgram_len, o->dgram_len, keep.ts_us, p);
		p->n_vlan = keep.n_vlan;
		memcpy(p->vlan, keep.vlan, sizeof p->vlan);
		p->ethertype = keep.ethertype;
		p->cap_len = keep.cap_len;
		p->wire_len = keep.wire_len;
		p->l3_off = keep.l3_off;
		p->n_reasm = o->n_frags > 255 ? 255 : (uint8_t)o->n_frags;
		p->reasm_len = o->total;
		return false;
	}
	e->frag = o;
	if (o->dns)
		in->is_dns = true;
	if (v == FRAG_DROPPED && o->bad && p->status == FT_OK) {
		p->status = cap_len - p->l3_off < p->ip_len ? FT_TRUNCATED : FT_MALFORMED;
		p->why = o->why;
	}
	return true;
}

void trace_packet(struct tracer *t, int dlt, const uint8_t *data, uint32_t cap_len,
		  uint32_t wire_len, int64_t ts_us)
{
	struct pkt *p = &t->pkt;
	struct ev e;
	struct flow_seg g;
	struct fetch_link link;
	struct step_in in = { .acks_dir = -1 }, quoted;
	memset(&e, 0, sizeof(e));
	e.p = p;
	e.dns_note = t->note;
	e.step = STEP_OTHER;
	t->n.packets++;
	e.frame = t->frame ? t->frame : t->n.packets;
	t->frame = 0;
	t->now = ts_us;
	t->in_packet = true;
	t->kept = t->kept_next ? data : NULL;
	t->kept_len = cap_len;
	t->kept_next = false;
	t->hev.n = t->hev.n_dropped = t->hev.n_heads = 0;
	t->tev.n = t->tev.n_dropped = 0;
	t->n_tmsg = 0;
	t->qcur = NULL;
	h2_events_clear(&t->h2ev);
	t->h2_refused_now = t->doh_now = false;

	pkt_decode(dlt, data, cap_len, wire_len, ts_us, p);
	t->dns_malformed = t->dns_truncated = false;

	if (p->frag && (p->layer > LAYER_IP || p->status == FT_OK) &&
	    do_frag(t, p, data, cap_len, &e, &in)) {
		/* held, a duplicate or dropped: nothing more to decode */
	} else if (p->layer == LAYER_DONE && p->proto == 17 &&
		   (p->sport == DNS_PORT || p->dport == DNS_PORT)) {
		do_dns_udp(t, p, &e, &in, false);
	} else if (p->layer == LAYER_DONE && p->proto == 17 &&
		   (p->sport == QUIC_PORT || p->dport == QUIC_PORT)) {
		const char *why = NULL;
		if (!do_quic(t, p, &e, &link, &in, &why))
			udp443_other(t, p, &e, &in, why);
	} else if (p->layer == LAYER_DONE && p->proto == 6) {
		do_tcp(t, p, &e, &g, &link, &in);
	} else if (p->layer == LAYER_DONE && (p->proto == IPPROTO_NUM_ICMP ||
					      p->proto == IPPROTO_NUM_ICMPV6)) {
		do_icmp(t, p, &e, &link, &in, &quoted);
	}
	/* The one place a step is decided (step.c), from what was gathered. */
	e.step = step_classify(&in);
	e.secure = step_secure(&in, e.step);
	if (t->qcur)
		t->qcur->steps_seen |= (uint8_t)(1u << e.step);
	if (e.seg)
		flow_after(t->flows, &g, (int)e.step);
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
	focus_event(t->focus, t->out, &e);
	out_packet(t->out, &e);
	t->in_packet = false;
	t->kept = NULL;
	retired_hand_over(t);
	quic_hand_over(t);
}

void trace_set_kept(struct tracer *t)
{
	t->kept_next = true;
}

void trace_release(struct tracer *t)
{
	tlsl_pool_drain(&t->tlsl_pool);
}



/* timeline_keep's test: the exchanges of shown fetches stay. */
static bool focus_keep_fetch(void *ctx, uint32_t fetch_id)
{
	return focus_fetch_shown(ctx, fetch_id);
}

void trace_call(struct tracer *t, const struct call_line *l)
{
	struct call_ctx cx = { .conn_id = 0 };
	struct pkt p;
	memset(&p, 0, sizeof(p));
	/* a TCP socket's connection, by its addresses as the packets carry them */
	if (l->sotype == 1 /* SOCK_STREAM */ && l->rport &&
	    out_call_tuple(l, &p.ip_ver, p.src, p.dst)) {
		p.proto = 6;
		p.sport = l->lport;
		p.dport = l->rport;
		struct conn *c = flow_lookup(t->flows, &p);
		if (c) {
			c->calls_seen = true;
			cx.conn_id = c->id;
			cx.fetch_id = c->fetch_id;
			enum step st = out_call_step(l);
			if (st == STEP_WRITE && l->enter_us)
				c->calls_write_at = l->enter_us;
			else if (st == STEP_READ && l->has_ret && l->ret > 0 && l->exit_us)
				cx.resp_first = timeline_call_read(t->tl, c, l->exit_us);
			/* the bytes it moved: which HTTP/2 stream's it wrote or read
			 * (the *mmsg calls return messages, not bytes) */
			bool mm = l->sys == CALLS_SYS_SENDMMSG || l->sys == CALLS_SYS_RECVMMSG;
			int64_t when = st == STEP_WRITE ? l->enter_us : l->exit_us;
			if (st == STEP_READ && c->rs[1].started && c->rs[1].next > 0)
				timeline_call_avail(t->tl, c, c->rs[1].next - 1, l->exit_us);
			if ((st == STEP_WRITE || st == STEP_READ) && l->has_ret && l->ret > 0) {
				int64_t r = timeline_call_bytes(t->tl, c, st == STEP_READ, (uint64_t)l->ret,
								when, mm, &cx.stream);
				if (r)
					cx.resp_first = r;
			}
		}
	}
	/* a connected UDP socket's datagram (HTTP/3): which stream's head it
	 * carried (an unconnected one has no peer to find its connection by) */
	if (l->sotype == 2 /* SOCK_DGRAM */ && l->rport && l->has_ret && l->ret > 0 && t->qflows &&
	    out_call_tuple(l, &p.ip_ver, p.src, p.dst)) {
		enum step st = out_call_step(l);
		p.proto = 17;
		p.sport = l->lport;
		p.dport = l->rport;
		int qdir = 0;
		struct quicflow *q = (st == STEP_WRITE || st == STEP_READ) ?
					     quicflow_find(t->qflows, &p, &qdir) : NULL;
		if (!q && st == STEP_WRITE && l->sys != CALLS_SYS_SENDMMSG) {
			/* its connection may be made by the datagram it sends */
			struct dgram_expect *x = &t->dexpect[t->dexpect_next++ % TRACE_EXPECT_MAX];
			x->ver = p.ip_ver;
			memcpy(x->cli, p.src, 16);
			memcpy(x->srv, p.dst, 16);
			x->cport = p.sport;
			x->sport = p.dport;
			x->len = l->ret > UINT32_MAX ? UINT32_MAX : (uint32_t)l->ret;
			x->at = l->enter_us;
		}
		if (q && qdir == 0) {
			bool mm = l->sys == CALLS_SYS_SENDMMSG || l->sys == CALLS_SYS_RECVMMSG;
			int64_t when = st == STEP_WRITE ? l->enter_us : l->exit_us;
			int64_t r = timeline_call_dgram(t->tl, q, st == STEP_READ, (uint64_t)l->ret, when,
							mm, &cx.stream);
			if (r) {
				cx.resp_first = r;
				cx.dgram_len = (uint32_t)l->ret;
			}
		}
	}
	/* a connect() entered: its connection's SYN is to come */
	struct call_line tl = *l;
	tl.has_tuple = true, tl.family = l->tfamily;
	memcpy(tl.laddr, l->taddr, 16);
	memcpy(tl.raddr, l->taddr, 16);
	if (l->phase == CALL_ENTERED && l->sotype == 1 && l->tfamily &&
	    out_call_tuple(&tl, &p.ip_ver, p.src, p.dst)) {
		struct call_expect *x = &t->expect[t->expect_next++ % TRACE_EXPECT_MAX];
		x->ver = p.ip_ver;
		memcpy(x->srv, p.dst, 16);
		x->port = l->tport;
		x->at = l->ts_us;
	}
	/* --fetch: a call of a hidden fetch's socket is hidden with it */
	if (focus_on(t->focus) && cx.fetch_id && !focus_fetch_shown(t->focus, cx.fetch_id))
		return;
	out_call(t->out, l, &cx);
}

void trace_capture_stats(struct tracer *t, uint64_t recv, uint64_t drop, uint64_t ifdrop,
			 uint64_t qdrop)
{
	t->n.capture_stats = true;
	t->n.cap_received = recv;
	t->n.cap_drop_kernel = drop;
	t->n.cap_drop_iface = ifdrop;
	t->n.cap_drop_queue = qdrop;
}

void trace_drops(struct tracer *t, const uint64_t new_drops[3], const uint64_t total[3])
{
	out_drops(t->out, new_drops, total);
}

int trace_finish(struct tracer *t)
{
	if (!t)
		return 0;
	t->n.conns_evicted = flow_evicted(t->flows);
	const struct reasm_pool *pool = flow_reasm_pool(t->flows);
	t->n.reasm_peak = pool->peak;
	t->n.reasm_overflows = pool->n_overflows;
	flow_close(t->flows); /* retires the connections still open (their TLS layers freed) */
	tlsl_pool_end(&t->tlsl_pool);
	t->n.h2_peak = t->h2_budget.peak;
	if (t->kl) {
		struct keylog_stats ks;
		keylog_get_stats(t->kl, &ks);
		t->n.keylog = true;
		t->n.tls_decrypted = t->tlsl_pool.n_decrypted;
		t->n.tls_auth_failed = t->tlsl_pool.n_auth_failed;
		t->n.tls_refused = t->tlsl_pool.n_refused;
		t->n.tls_hold_dropped = t->tlsl_pool.n_hold_dropped;
		t->n.keylog_malformed = ks.n_malformed;
	}
	t->n.quic_conns = quicflow_count(t->qflows);
	t->n.quic_evicted = quicflow_evicted(t->qflows);
	t->n.quic_mem_peak = quicflow_mem_peak(t->qflows);
	quicflow_close(t->qflows); /* the same for QUIC */
	quicdec_keys_free(&t->qtrial);
	t->n.dns_unanswered = fetch_unanswered(t->fetch);
	if (t->frags) {
		frag_end(t->frags);
		frag_stats_get(t->frags, &t->n.frag);
		frag_close(t->frags);
	}
	focus_finish(t->focus, t->out, &t->n);
	timeline_stream_end(t->tl); /* the exchanges of connections that never left */
	if (focus_on(t->focus))
		timeline_keep(t->tl, focus_keep_fetch, t->focus);
	out_timeline(t->out, t->tl);
	bool har_ok = out_har(t->out, t->tl);
	out_summary(t->out, &t->n);
	out_close(t->out);
	fetch_close(t->fetch);
	focus_close(t->focus);
	dnsnote_close(t->noter);
	timeline_close(t->tl);
	free(t);
	return har_ok ? 0 : -1;
}
