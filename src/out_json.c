/* out_json.c - JSON lines (RFC 8259): one object per packet, per fetch start, per
 * connection at its end, and the summary.  Field names are stable: they are listed in
 * tests/json/fetchtrace.schema.json and in fetchtrace(1), JSON OUTPUT. */
#include "out_browser.h"
#include "out.h"
#include "out_impl.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "out_call.h"
#include "sb.h"
#include "tlsmsg.h"

/*
 * One line must never be cut (a cut line is not JSON).  The largest packet
 * object: EV_MAX_DNS messages of at most 64 KiB each, every wire byte
 * escaped to at most 6 bytes (\u00XX), names of DNS_NAME_TEXT_MAX bytes
 * repeated by compression pointers in DNS_MAX_RR records (three names
 * each), plus HTTP and TLS strings: well under 4 MiB.  Should a line be
 * cut all the same, a short object with "cut": true replaces it.
 */
#define LINE_CAP (4u * 1024 * 1024)

#define JSON_TRIES 16    /* abandoned TLS tries remembered for the HTTPS-Upgrade link */
/* Fetches added up at once, by id % JSON_FETCHES: a fetch gives its place up
 * (its object is written) when an exchange of a fetch that many numbers newer
 * ends; one still going then is written in more than one object, the later
 * ones "partial" (fetch_add).  1024 x 144 B: the table costs what the sort of
 * every exchange at the end cost (8 B each), and fetches live far shorter
 * than 1024 newer ones take to begin (none partial in make bench's file). */
#define JSON_FETCHES 1024

/* A fetch's exchanges added up as they are written (json_exchange), for its
 * "fetch" object at the end (json_timeline). */
struct json_fetch {
	uint32_t id;             /* fetch number, 0: the slot is free */
	uint32_t n_ex, n_conn;   /* exchanges; connections (their first exchanges) */
	int64_t start, end;      /* earliest and latest moment of its exchanges, 0 none */
	int64_t dns;             /* the DNS time of its first exchange that has one, -1 none */
	uint64_t dns_seq;        /* that exchange's tl_exch.seq */
	uint64_t up, down;
	uint64_t name_seq;       /* the first exchange (lowest seq): its name is the fetch's */
	uint8_t name_len;
	char name[TL_STR];
};

struct json_out {
	FILE *f;
	struct out_opts opt;
	struct sb sb;
	char *line;              /* LINE_CAP bytes */
	bool have_first;
	int64_t first_ts;        /* first packet read: "rel" counts from it */
	uint64_t exch_dropped;   /* exchanges the timeline could not keep */
	struct json_try {        /* the latest TLS tries abandoned after their handshake (a ring):
	                            what a later cleartext connection may have followed */
		uint32_t conn, fetch;
		uint16_t port;
		int64_t ts_close;
	} tries[JSON_TRIES];
	uint32_t n_tries;        /* tries ever kept: the ring's next slot is n_tries % JSON_TRIES */
	struct json_fetch *fetches; /* [JSON_FETCHES], at the first exchange; NULL before (or
	                               no memory: no fetch objects) */
};

static const char *const side_name[2] = { "client", "server" };

/* ------------------------------------------------------------------ */
/* building blocks: a comma goes before every member but the first     */
/* ------------------------------------------------------------------ */

static void sep(struct sb *s)
{
	if (s->len && s->buf[s->len - 1] != '{' && s->buf[s->len - 1] != '[')
		sb_putc(s, ',');
}

/* Inlined, so a key's length is known when compiling (strlen was a tenth
 * of --json's time). */
static inline __attribute__((always_inline)) void key(struct sb *s, const char *k)
{
	size_t n = strlen(k);
	if (s->cap - s->len > n + 5) { /* room for ,"k": and the NUL: one copy */
		char *p = s->buf + s->len;
		if (s->len && p[-1] != '{' && p[-1] != '[')
			*p++ = ',';
		*p++ = '"';
		memcpy(p, k, n);
		p += n;
		*p++ = '"';
		*p++ = ':';
		*p = '\0';
		s->len = (size_t)(p - s->buf);
		return;
	}
	sep(s);
	sb_putc(s, '"');
	sb_puts(s, k);
	sb_puts(s, "\":");
}

static inline __attribute__((always_inline)) void kv_u(struct sb *s, const char *k, uint64_t v)
{
	key(s, k);
	sb_u64(s, v);
}

/* A number that 0 means "none" for: null then. */
static void kv_u_or_null(struct sb *s, const char *k, uint64_t v)
{
	key(s, k);
	if (v)
		sb_u64(s, v);
	else
		sb_puts(s, "null");
}

static inline __attribute__((always_inline)) void kv_bool(struct sb *s, const char *k, bool v)
{
	key(s, k);
	sb_puts(s, v ? "true" : "false");
}

static void kv_null(struct sb *s, const char *k)
{
	key(s, k);
	sb_puts(s, "null");
}

/* Text of ours (trusted) or NULL for null. */
static void kv_str(struct sb *s, const char *k, const char *v)
{
	key(s, k);
	if (v)
		sb_json_str(s, v, strlen(v));
	else
		sb_puts(s, "null");
}

static void kv_bytes(struct sb *s, const char *k, const void *b, size_t n)
{
	key(s, k);
	sb_json_str(s, b, n);
}

/* Seconds with six decimals from microseconds; null when negative (unknown). */
static void kv_secs(struct sb *s, const char *k, int64_t us)
{
	key(s, k);
	if (us < 0)
		sb_puts(s, "null");
	else
		sb_secs(s, us);
}

static void put_str(struct sb *s, const char *v)
{
	sep(s);
	sb_json_str(s, v, strlen(v));
}

static void kv_ip(struct sb *s, const char *k, uint8_t ver, const uint8_t *addr)
{
	key(s, k);
	sb_putc(s, '"');
	sb_ip(s, ver, addr);
	sb_putc(s, '"');
}

static void put_ip(struct sb *s, uint8_t ver, const uint8_t *addr)
{
	sep(s);
	sb_putc(s, '"');
	sb_ip(s, ver, addr);
	sb_putc(s, '"');
}

/* A name in presentation form (dns.h): '.' and '\\' inside a label are
 * already "\\." and "\\\\"; the JSON string carries them as they are. */
static void kv_name(struct sb *s, const char *k, const struct dns_name *n)
{
	key(s, k);
	if (n)
		sb_json_str(s, n->text, n->len < DNS_NAME_TEXT_MAX ? n->len : DNS_NAME_TEXT_MAX);
	else
		sb_puts(s, "null");
}

/* "A" / "TYPE65280": the name, or the number spelt as the text output does. */
static void kv_numname(struct sb *s, const char *k, const char *name, const char *prefix,
		       unsigned v)
{
	key(s, k);
	if (name)
		sb_json_str(s, name, strlen(name));
	else
		sb_printf(s, "\"%s%u\"", prefix, v);
}

static const char *status_name(enum ft_status st)
{
	switch (st) {
	case FT_OK: return "ok";
	case FT_NEED_MORE: return "need_more";
	case FT_TRUNCATED: return "truncated";
	case FT_MALFORMED: return "malformed";
	case FT_UNSUPPORTED: return "unsupported";
	}
	return "unknown";
}

static void kv_hex(struct sb *s, const char *k, const uint8_t *b, size_t n)
{
	static const char hexdig[] = "0123456789abcdef";
	key(s, k);
	sb_putc(s, '"');
	for (size_t i = 0; i < n && !s->cut; i++) {
		sb_putc(s, hexdig[b[i] >> 4]);
		sb_putc(s, hexdig[b[i] & 15]);
	}
	sb_putc(s, '"');
}

/* ------------------------------------------------------------------ */
/* open, emit, close                                                   */
/* ------------------------------------------------------------------ */

static void *json_open(FILE *f, const struct out_opts *opt)
{
	struct json_out *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->line = malloc(LINE_CAP);
	if (!o->line) {
		free(o);
		return NULL;
	}
	o->f = f;
	o->opt = *opt;
	sb_init(&o->sb, o->line, LINE_CAP);
	return o;
}

static void json_flush(void *impl)
{
	struct json_out *o = impl;
	fflush(o->f);
}

static void json_close(void *impl)
{
	struct json_out *o = impl;
	if (!o)
		return;
	fflush(o->f);
	free(o->line);
	free(o->fetches);
	free(o);
}

/* Write the line built in sb (the caller checked it was not cut). */
static void emit(struct json_out *o)
{
	struct sb *s = &o->sb;
	fwrite(s->buf, 1, s->len, o->f);
	fputc('\n', o->f);
	sb_reset(s);
}

/* ------------------------------------------------------------------ */
/* DNS                                                                 */
/* ------------------------------------------------------------------ */

/* SVCB/HTTPS SvcParams (RFC 9460 2.2), as dns.c decoded them. */
static void put_svc_params(struct sb *s, const struct dns_svc *svc)
{
	static const char *const pname[] = { "mandatory", "alpn", "no-default-alpn",
					     "port", "ipv4hint", "ech", "ipv6hint" };
	key(s, "params");
	sb_putc(s, '[');
	for (unsigned k = 0; k < svc->n && k < DNS_SVC_MAX; k++) {
		const struct dns_svc_param *p = &svc->param[k];
		const struct dns_bytes *v = svc->items + p->first;
		sep(s);
		sb_putc(s, '{');
		kv_numname(s, "key", p->key < 7 ? pname[p->key] : NULL, "key", p->key);
		kv_u(s, "key_num", p->key);
		kv_u(s, "len", p->len);
		key(s, "value");
		switch (p->kind) {
		case DNS_SVC_ALPN:
			sb_putc(s, '[');
			for (unsigned i = 0; i < p->n; i++) {
				sep(s);
				sb_json_str(s, v[i].p, v[i].len);
			}
			sb_putc(s, ']');
			break;
		case DNS_SVC_PORT:
			sb_u64(s, p->port);
			break;
		case DNS_SVC_IPV4:
		case DNS_SVC_IPV6:
			sb_putc(s, '[');
			for (unsigned i = 0; i < p->n; i++)
				put_ip(s, p->kind == DNS_SVC_IPV4 ? 4 : 6, v[i].p);
			sb_putc(s, ']');
			break;
		case DNS_SVC_OTHER:
			sb_puts(s, "null");
			break;
		}
		sb_putc(s, '}');
	}
	sb_putc(s, ']');
}

/* "status" and "data" of one record. */
static void put_rdata(struct sb *s, const struct dns_rr *rr)
{
	enum ft_status st = rr->rd_status;
	kv_str(s, "status", status_name(st));
	if (st != FT_OK) {
		kv_null(s, "data");
		return;
	}
	key(s, "data");
	sb_putc(s, '{');
	switch (rr->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		kv_ip(s, "address", rr->type == DNS_T_A ? 4 : 6, rr->addr);
		break;
	case DNS_T_CNAME:
	case DNS_T_NS:
	case DNS_T_PTR:
		kv_name(s, "target", &rr->target);
		break;
	case DNS_T_MX:
		kv_u(s, "preference", rr->prio);
		kv_name(s, "exchange", &rr->target);
		break;
	case DNS_T_SOA:
		kv_name(s, "mname", &rr->target);
		kv_name(s, "rname", &rr->rname);
		kv_u(s, "serial", rr->serial);
		kv_u(s, "refresh", rr->refresh);
		kv_u(s, "retry", rr->retry);
		kv_u(s, "expire", rr->expire);
		kv_u(s, "minimum", rr->minimum);
		break;
	case DNS_T_SRV:
		kv_u(s, "priority", rr->prio);
		kv_u(s, "weight", rr->weight);
		kv_u(s, "port", rr->port);
		kv_name(s, "target", &rr->target);
		break;
	case DNS_T_TXT:
		key(s, "strings");
		sb_putc(s, '[');
		for (unsigned i = 0; i < rr->rd.txt.n && i < DNS_TXT_MAX; i++) {
			sep(s);
			sb_json_str(s, rr->rd.txt.s[i].p, rr->rd.txt.s[i].len);
		}
		sb_putc(s, ']');
		break;
	case DNS_T_CAA:
		kv_u(s, "flags", rr->rd.caa.flags);
		kv_bytes(s, "tag", rr->rd.caa.tag.p, rr->rd.caa.tag.len);
		kv_bytes(s, "value", rr->rd.caa.value.p, rr->rd.caa.value.len);
		break;
	case DNS_T_SVCB:
	case DNS_T_HTTPS:
		kv_u(s, "priority", rr->prio);
		kv_name(s, "target", &rr->target);
		put_svc_params(s, &rr->rd.svc);
		break;
	default:
		kv_hex(s, "hex", rr->rdata, rr->rdlen);
		break;
	}
	sb_putc(s, '}');
}

static void put_rr(struct sb *s, const struct dns_rr *rr)
{
	sep(s);
	sb_putc(s, '{');
	kv_name(s, "name", &rr->name);
	kv_numname(s, "type", dns_type_name(rr->type), "TYPE", rr->type);
	kv_u(s, "type_num", rr->type);
	kv_numname(s, "class", dns_class_name(rr->cls), "CLASS", rr->cls);
	kv_u(s, "class_num", rr->cls);
	kv_u(s, "ttl", rr->ttl);
	kv_u(s, "rdlen", rr->rdlen);
	put_rdata(s, rr);
	sb_putc(s, '}');
}

static void put_section(struct sb *s, const char *k, const struct dns_msg *m,
			enum dns_section sec)
{
	key(s, k);
	sb_putc(s, '[');
	for (unsigned i = 0; i < m->n_rr && i < DNS_MAX_RR; i++)
		if (m->rr[i].section == sec && m->rr[i].type != DNS_T_OPT)
			put_rr(s, &m->rr[i]);
	sb_putc(s, ']');
}

static void put_dns_note(struct sb *s, const struct dns_note *n)
{
	key(s, "note");
	if (n->kind == DNS_NOTE_NONE) {
		sb_puts(s, "null");
		return;
	}
	sb_putc(s, '{');
	switch (n->kind) {
	case DNS_NOTE_NONE:
		break;
	case DNS_NOTE_PRIMING:
		kv_str(s, "kind", "priming");
		break;
	case DNS_NOTE_ROOT_SERVERS:
		kv_str(s, "kind", "root_servers");
		kv_u(s, "ns", n->n_ns);
		kv_u(s, "glue", n->n_glue);
		break;
	case DNS_NOTE_REFERRAL:
		kv_str(s, "kind", "referral");
		kv_name(s, "from_zone", n->from_known ? &n->from_zone : NULL);
		kv_name(s, "to_zone", &n->to_zone);
		kv_u(s, "ns", n->n_ns);
		kv_u(s, "glue", n->n_glue);
		break;
	case DNS_NOTE_AUTHORITATIVE:
		kv_str(s, "kind", "authoritative");
		kv_name(s, "from_zone", n->from_known ? &n->from_zone : NULL);
		break;
	case DNS_NOTE_NEGATIVE:
		kv_str(s, "kind", "negative");
		kv_u(s, "neg_ttl", n->neg_ttl);
		break;
	case DNS_NOTE_CACHED:
		kv_str(s, "kind", "cached");
		kv_u(s, "ttl", n->ttl);
		kv_u(s, "ttl_first", n->ttl_first);
		break;
	}
	sb_putc(s, '}');
}

static void put_dns(struct sb *s, const struct dns_msg *m, int64_t rt, const struct dns_note *n)
{
	sep(s);
	sb_putc(s, '{');
	kv_u(s, "id", m->id);
	kv_bool(s, "qr", m->qr);
	kv_numname(s, "opcode", dns_opcode_name(m->opcode), "OPCODE", m->opcode);
	kv_u(s, "opcode_num", m->opcode);
	kv_numname(s, "rcode", dns_rcode_name(m->rcode), "RCODE", m->rcode);
	kv_u(s, "rcode_num", m->rcode);
	key(s, "flags");
	sb_putc(s, '{');
	kv_bool(s, "aa", m->aa);
	kv_bool(s, "tc", m->tc);
	kv_bool(s, "rd", m->rd);
	kv_bool(s, "ra", m->ra);
	kv_bool(s, "ad", m->ad);
	kv_bool(s, "cd", m->cd);
	sb_putc(s, '}');
	key(s, "edns");
	if (m->edns) {
		sb_putc(s, '{');
		kv_u(s, "udp_size", m->edns_size);
		kv_u(s, "version", m->edns_version);
		kv_bool(s, "do", m->edns_do);
		sb_putc(s, '}');
	} else {
		sb_puts(s, "null");
	}
	key(s, "counts");
	sb_putc(s, '{');
	kv_u(s, "qd", m->qdcount);
	kv_u(s, "an", m->ancount);
	kv_u(s, "ns", m->nscount);
	kv_u(s, "ar", m->arcount);
	sb_putc(s, '}');
	key(s, "question");
	if (m->has_question) {
		sb_putc(s, '{');
		kv_name(s, "name", &m->qname);
		kv_numname(s, "type", dns_type_name(m->qtype), "TYPE", m->qtype);
		kv_u(s, "type_num", m->qtype);
		kv_numname(s, "class", dns_class_name(m->qclass), "CLASS", m->qclass);
		kv_u(s, "class_num", m->qclass);
		sb_putc(s, '}');
	} else {
		sb_puts(s, "null");
	}
	put_section(s, "answers", m, DNS_SEC_ANSWER);
	put_section(s, "authority", m, DNS_SEC_AUTHORITY);
	put_section(s, "additional", m, DNS_SEC_ADDITIONAL);
	kv_u(s, "rr_dropped", m->n_rr_dropped);
	kv_secs(s, "response_time", m->qr ? rt : -1);
	put_dns_note(s, n);
	if (n->offers_h3) /* only when true: most answers are not HTTPS records */
		kv_bool(s, "offers_h3", true);
	kv_str(s, "status", status_name(m->status));
	kv_str(s, "why", m->status != FT_OK ? (m->why ? m->why : "?") : NULL);
	sb_putc(s, '}');
}

/* ------------------------------------------------------------------ */
/* TCP                                                                 */
/* ------------------------------------------------------------------ */

static void put_flags(struct sb *s, uint8_t fl)
{
	key(s, "flags");
	sb_putc(s, '[');
	for (size_t i = 0; i < TCP_N_FLAGS; i++)
		if (fl & tcp_flag_names[i].bit)
			put_str(s, tcp_flag_names[i].name);
	sb_putc(s, ']');
}

static void put_notes(struct sb *s, const struct ev *e)
{
	const struct flow_seg *g = e->seg;
	const struct conn *c = g->c;
	const struct pkt *p = e->p;
	key(s, "notes");
	sb_putc(s, '[');
	for (size_t i = 0; i < FLOW_N_NOTE_NAMES; i++)
		if (g->notes & flow_note_names[i].bit)
			put_str(s, flow_note_names[i].json);
	if (p->tcp_flags & TCP_RST)
		put_str(s, !c->ts_synack && c->ts_syn && g->dir == 1 ? "refused" : "reset");
	else if (g->notes & NOTE_CLOSED)
		put_str(s, "closed");
	if (e->rres.differs)
		put_str(s, "retransmitted_bytes_differ");
	if (e->dns_tcp_lost)
		put_str(s, "dns_stream_lost");
	/* what the browser is doing (out_browser.c, the text line's bracketed notes) */
	if (out_first_request(e) && out_conn_use(c, NULL) == CONN_USE_PRECONNECT)
		put_str(s, "preconnected");
	if (out_first_close(e)) {
		enum conn_use u = out_conn_use(c, NULL);
		if (u == CONN_USE_UNUSED)
			put_str(s, "preconnected_unused");
		else if (u == CONN_USE_ABANDONED)
			put_str(s, "abandoned_after_tls_handshake");
	}
	if (out_reused_request(e))
		put_str(s, "reused_connection");
	sb_putc(s, ']');
}

static void put_tcp(struct sb *s, const struct ev *e)
{
	const struct pkt *p = e->p;
	const struct flow_seg *g = e->seg;
	key(s, "tcp");
	sb_putc(s, '{');
	kv_str(s, "dir", g->dir == 0 ? "to_server" : "from_server");
	put_flags(s, p->tcp_flags);
	key(s, "seq"); /* signed: below 1 is before the direction's start */
	sb_i64(s, g->rel_seq);
	key(s, "ack");
	if (g->ack_valid)
		sb_i64(s, g->rel_ack);
	else
		sb_puts(s, "null");
	kv_u(s, "win", p->win);
	kv_u(s, "len", p->pl_len);
	kv_u(s, "captured", p->pl_cap);
	key(s, "options");
	sb_putc(s, '{');
	const struct tcp_opts *op = &p->opt;
	if (op->has_mss)
		kv_u(s, "mss", op->mss);
	if (op->has_ws)
		kv_u(s, "ws", op->ws);
	kv_bool(s, "sack_ok", op->sack_ok);
	if (op->has_ts) { /* on most packets: without a format to parse */
		key(s, "ts");
		sb_putc(s, '[');
		sb_u64(s, op->tsval);
		sb_putc(s, ',');
		sb_u64(s, op->tsecr);
		sb_putc(s, ']');
	}
	/* SACK blocks name bytes of the peer's stream: relative, as seq is. */
	const struct flow_dir *peer = &g->c->d[1 - g->dir];
	key(s, "sack");
	sb_putc(s, '[');
	for (unsigned i = 0; i < op->n_sack && i < PKT_MAX_SACK; i++) {
		uint32_t l = op->sack[i][0], r = op->sack[i][1];
		sep(s);
		if (peer->isn_known)
			sb_printf(s, "[%lld,%lld]", (long long)flow_rel_seq(peer, l),
				  (long long)flow_rel_seq(peer, r));
		else
			sb_printf(s, "[%u,%u]", l, r);
	}
	sb_puts(s, "]}");
	put_notes(s, e);
	key(s, "dup_ack");
	if (g->notes & NOTE_DUP_ACK)
		sb_u64(s, g->n_dup_ack);
	else
		sb_puts(s, "null");
	kv_secs(s, "rtt", g->rtt_us);
	kv_u(s, "held", e->held);
	kv_u(s, "gap", e->gap);
	sb_putc(s, '}');
}

/* ------------------------------------------------------------------ */
/* HTTP, TLS, QUIC                                                     */
/* ------------------------------------------------------------------ */

static void put_http_head(struct sb *s, const struct http_head *h, int64_t ttfb)
{
	static const struct {
		const char *name;
		size_t off;
	} hdrs[] = {
#define H(n, f) { n, offsetof(struct http_head, f) }
		H("host", host), H("user-agent", user_agent), H("accept", accept),
		H("connection", connection), H("content-type", content_type),
		H("content-length", content_length), H("transfer-encoding", transfer_encoding),
		H("content-encoding", content_encoding), H("location", location),
		H("etag", etag), H("range", range), H("if-none-match", if_none_match),
		H("if-modified-since", if_modified_since), H("alt-svc", alt_svc),
#undef H
	};
	key(s, "head");
	sb_putc(s, '{');
	kv_bool(s, "request", h->is_request);
	key(s, "version");
	sb_printf(s, "\"%u.%u\"", h->v_major, h->v_minor);
	if (h->is_request) {
		kv_bytes(s, "method", h->method.b, h->method.len);
		kv_bytes(s, "target", h->target.b, h->target.len);
	} else {
		kv_u(s, "status", h->status);
		kv_bytes(s, "reason", h->reason.b, h->reason.len);
	}
	key(s, "headers");
	sb_putc(s, '{');
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		const struct http_str *v = (const struct http_str *)((const char *)h + hdrs[i].off);
		if (v->present)
			kv_bytes(s, hdrs[i].name, v->b, v->len);
	}
	sb_putc(s, '}');
	if (!h->is_request && h->alt_svc.present && http_alt_svc_h3(&h->alt_svc))
		kv_bool(s, "offers_h3", true);
	/* strings longer than the decoder keeps (HTTP_STR_MAX) */
	key(s, "cut");
	sb_putc(s, '[');
	if (h->is_request && h->method.cut)
		put_str(s, "method");
	if (h->is_request && h->target.cut)
		put_str(s, "target");
	if (!h->is_request && h->reason.cut)
		put_str(s, "reason");
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		const struct http_str *v = (const struct http_str *)((const char *)h + hdrs[i].off);
		if (v->present && v->cut)
			put_str(s, hdrs[i].name);
	}
	sb_putc(s, ']');
	kv_u(s, "n_headers", h->n_headers);
	kv_u(s, "head_len", h->head_len);
	static const char *const body_name[] = {
		[HTTP_BODY_NONE] = "none", [HTTP_BODY_LENGTH] = "length",
		[HTTP_BODY_CHUNKED] = "chunked", [HTTP_BODY_CLOSE] = "close",
	};
	kv_str(s, "body", (unsigned)h->body < 4 ? body_name[h->body] : "?");
	key(s, "body_len");
	if (h->body == HTTP_BODY_LENGTH)
		sb_u64(s, h->body_len);
	else
		sb_puts(s, "null");
	sb_putc(s, '}');
	if (!h->is_request)
		kv_secs(s, "ttfb", ttfb);
}

static void put_http(struct sb *s, const struct ev *e)
{
	const struct http_events *hv = e->http;
	static const char *const kind_name[] = {
		[HTTP_EV_HEAD] = "head", [HTTP_EV_BODY] = "body", [HTTP_EV_END] = "end",
		[HTTP_EV_GAP] = "gap",   [HTTP_EV_OPAQUE] = "opaque",
	};
	key(s, "http");
	sb_putc(s, '[');
	for (unsigned i = 0; i < hv->n && i < HTTP_MAX_EVENTS; i++) {
		const struct http_ev *h = &hv->ev[i];
		sep(s);
		sb_putc(s, '{');
		kv_str(s, "kind", (unsigned)h->kind <= HTTP_EV_OPAQUE && h->kind ? kind_name[h->kind]
									      : "?");
		kv_str(s, "dir", h->dir ? "response" : "request");
		kv_u_or_null(s, "exchange", h->exchange);
		switch (h->kind) {
		case HTTP_EV_HEAD:
			if (h->head)
				put_http_head(s, h->head, e->http_dur[i]);
			break;
		case HTTP_EV_BODY:
			kv_u(s, "bytes", h->bytes);
			kv_u(s, "body_done", h->body_done);
			key(s, "body_total");
			if (h->body_total != UINT64_MAX)
				sb_u64(s, h->body_total);
			else
				sb_puts(s, "null");
			break;
		case HTTP_EV_END:
			kv_u(s, "body_done", h->body_done);
			kv_secs(s, "download", e->http_dur[i] > 0 ? e->http_dur[i] : -1);
			break;
		case HTTP_EV_GAP:
			kv_u(s, "bytes", h->bytes);
			break;
		case HTTP_EV_OPAQUE:
			kv_str(s, "status", status_name(h->status));
			kv_str(s, "why", h->why ? h->why : "?");
			break;
		}
		sb_putc(s, '}');
	}
	sb_putc(s, ']');
	kv_u(s, "http_more", hv->n_dropped);
}

/* An HTTP/2 header block's fields, raw wire bytes escaped; absent ones left out. */
static void kv_hstr(struct sb *s, const char *k, const struct hpack_str *v)
{
	if (v->present)
		kv_bytes(s, k, v->b, v->len);
}

static void put_h2_head(struct sb *s, const struct h2_ev *v)
{
	static const char *const head_name[] = {
		[H2_HEAD_REQUEST] = "request", [H2_HEAD_INFO] = "informational",
		[H2_HEAD_RESPONSE] = "response", [H2_HEAD_TRAILERS] = "trailers",
		[H2_HEAD_PUSH] = "push_request",
	};
	const struct hpack_headers *h = v->head;
	key(s, "head");
	sb_putc(s, '{');
	kv_str(s, "kind", (unsigned)v->head_kind <= H2_HEAD_PUSH && v->head_kind
				  ? head_name[v->head_kind]
				  : "?");
	kv_hstr(s, "method", &h->method);
	kv_hstr(s, "scheme", &h->scheme);
	kv_hstr(s, "authority", &h->authority);
	kv_hstr(s, "path", &h->path);
	if (h->status_code)
		kv_u(s, "status", h->status_code);
	kv_hstr(s, "content_type", &h->content_type);
	if (h->has_length)
		kv_u(s, "content_length", h->length);
	const struct hpack_field *alt = hpack_field_find(h, "alt-svc");
	if (alt) {
		kv_bytes(s, "alt_svc", alt->val, alt->val_len);
		if (http_alt_svc_h3_bytes(alt->val, alt->val_len))
			kv_bool(s, "offers_h3", true);
	}
	kv_u(s, "fields", h->n_fields);
	sb_putc(s, '}');
}

static void kv_h2_name(struct sb *s, const char *k, const char *name, uint32_t code)
{
	if (name)
		kv_str(s, k, name);
	else
		kv_u(s, k, code);
}

/* HTTP/2 events: one object per frame that ended in this segment. */
static void put_h2(struct sb *s, const struct ev *e)
{
	const struct h2_events *hv = e->h2;
	static const char *const kind_name[] = {
		[H2_EV_PREFACE] = "preface", [H2_EV_FRAME] = "frame",
		[H2_EV_STREAM_DONE] = "stream_done", [H2_EV_GAP] = "gap",
		[H2_EV_OPAQUE] = "opaque",
	};
	key(s, "h2");
	sb_putc(s, '[');
	for (unsigned i = 0; i < hv->n && i < H2_MAX_EVENTS; i++) {
		const struct h2_ev *v = &hv->ev[i];
		sep(s);
		sb_putc(s, '{');
		kv_str(s, "kind", (unsigned)v->kind <= H2_EV_OPAQUE && v->kind ? kind_name[v->kind]
									       : "?");
		kv_str(s, "dir", v->dir ? "server" : "client");
		if (v->kind == H2_EV_STREAM_DONE && v->stream) {
			const struct h2_stream *st = v->stream;
			kv_u(s, "stream", st->id);
			kv_u_or_null(s, "exchange", st->exchange);
			kv_bool(s, "reset", st->reset);
			if (st->status)
				kv_u(s, "status", st->status);
			kv_u(s, "request_bytes", st->data[0]);
			kv_u(s, "response_bytes", st->data[1]);
		} else if (v->kind == H2_EV_GAP) {
			kv_u(s, "bytes", v->bytes);
		} else if (v->kind == H2_EV_OPAQUE) {
			kv_str(s, "status", status_name(v->status));
			kv_str(s, "why", v->why ? v->why : "?");
		}
		if (v->kind != H2_EV_FRAME) {
			sb_putc(s, '}');
			continue;
		}
		const char *tn = h2_frame_name(v->type);
		kv_h2_name(s, "type", tn, v->type);
		kv_u(s, "stream", v->stream_id);
		kv_u_or_null(s, "exchange", v->exchange);
		kv_u(s, "flags", v->flags);
		kv_u(s, "length", v->length);
		if (v->end_stream)
			kv_bool(s, "end_stream", true);
		if (v->after_goaway)
			kv_bool(s, "after_goaway", true);
		if (v->head)
			put_h2_head(s, v);
		switch (v->type) {
		case H2_DATA:
			kv_u(s, "data_len", v->data_len);
			kv_u(s, "body_done", v->body_done);
			key(s, "body_total");
			if (v->body_total != UINT64_MAX)
				sb_u64(s, v->body_total);
			else
				sb_puts(s, "null");
			if (v->end_stream)
				kv_secs(s, "download", e->h2_dur[i] > 0 ? e->h2_dur[i] : -1);
			break;
		case H2_HEADERS:
		case H2_CONTINUATION:
			if (v->head && v->dir == 1 && v->head_kind != H2_HEAD_TRAILERS)
				kv_secs(s, "wait", e->h2_dur[i]);
			break;
		case H2_RST_STREAM:
			kv_h2_name(s, "error", h2_error_name(v->error_code), v->error_code);
			break;
		case H2_GOAWAY:
			kv_u(s, "last_stream", v->last_stream_id);
			kv_h2_name(s, "error", h2_error_name(v->error_code), v->error_code);
			if (v->debug_len)
				kv_bytes(s, "debug", v->debug, v->debug_len);
			break;
		case H2_SETTINGS:
			kv_bool(s, "ack", (v->flags & H2_F_ACK) != 0);
			key(s, "settings");
			sb_putc(s, '[');
			for (unsigned k = 0; k < v->n_settings && k < H2_MAX_SETTINGS; k++) {
				sep(s);
				sb_putc(s, '{');
				kv_h2_name(s, "id", h2_setting_name(v->settings[k].id),
					   v->settings[k].id);
				kv_u(s, "value", v->settings[k].value);
				sb_putc(s, '}');
			}
			sb_putc(s, ']');
			break;
		case H2_WINDOW_UPDATE:
			kv_u(s, "increment", v->window_inc);
			break;
		case H2_PING:
			kv_bool(s, "ack", (v->flags & H2_F_ACK) != 0);
			break;
		case H2_PRIORITY:
			kv_u(s, "depends_on", v->dep_stream);
			kv_u(s, "weight", v->weight + 1u);
			break;
		case H2_PUSH_PROMISE:
			kv_u(s, "promised_stream", v->promised_id);
			break;
		default:
			break;
		}
		if (v->status != FT_OK) {
			kv_str(s, "status", status_name(v->status));
			kv_str(s, "why", v->why ? v->why : "?");
		}
		sb_putc(s, '}');
	}
	sb_putc(s, ']');
	kv_u(s, "h2_more", hv->n_dropped);
}

static void kv_tls_version(struct sb *s, const char *k, uint16_t v)
{
	const char *n = tls_version_name(v);
	key(s, k);
	if (n)
		sb_json_str(s, n, strlen(n));
	else
		sb_printf(s, "\"0x%04x\"", v);
}

/* The fields of a handshake message decryption revealed. */
static void put_tls_msg(struct sb *s, const struct tlsmsg *m)
{
	switch (m->type) {
	case TLS_HS_ENCRYPTED_EXTENSIONS:
		key(s, "alpn");
		if (m->has_alpn)
			sb_json_str(s, m->alpn, m->alpn_len < TLS_ALPN_MAX ? m->alpn_len : TLS_ALPN_MAX);
		else
			sb_puts(s, "null");
		break;
	case TLS_HS_CERTIFICATE: {
		const struct tlsmsg_cert *ct = &m->cert;
		key(s, "certificate");
		sb_putc(s, '{');
		kv_u(s, "certs", ct->n_certs);
		kv_bool(s, "parsed", ct->parsed);
		key(s, "subject_cn");
		if (ct->subject_cn_len)
			sb_json_str(s, ct->subject_cn, ct->subject_cn_len < TLSMSG_NAME_MAX
								? ct->subject_cn_len
								: TLSMSG_NAME_MAX);
		else
			sb_puts(s, "null");
		key(s, "san");
		sb_putc(s, '[');
		for (unsigned k = 0; k < ct->n_san_dns && k < TLSMSG_MAX_SAN; k++) {
			sep(s);
			sb_json_str(s, ct->san[k],
				    ct->san_len[k] < TLSMSG_NAME_MAX ? ct->san_len[k] : TLSMSG_NAME_MAX);
		}
		sb_putc(s, ']');
		kv_u(s, "san_count", ct->n_san_dns);
		key(s, "issuer_cn");
		if (ct->issuer_cn_len)
			sb_json_str(s, ct->issuer_cn, ct->issuer_cn_len < TLSMSG_NAME_MAX
							       ? ct->issuer_cn_len
							       : TLSMSG_NAME_MAX);
		else
			sb_puts(s, "null");
		kv_str(s, "not_before", ct->not_before[0] ? ct->not_before : NULL);
		kv_str(s, "not_after", ct->not_after[0] ? ct->not_after : NULL);
		sb_putc(s, '}');
		break;
	}
	case TLS_HS_CERTIFICATE_VERIFY:
	{
		const char *sn = tlsmsg_sig_scheme_name(m->sig_scheme);
		key(s, "signature_scheme");
		if (sn)
			sb_json_str(s, sn, strlen(sn));
		else
			sb_printf(s, "\"0x%04x\"", m->sig_scheme);
		break;
	}
	case TLS_HS_NEW_SESSION_TICKET:
		kv_u(s, "ticket_lifetime", m->ticket_lifetime);
		if (m->has_max_early_data)
			kv_u(s, "max_early_data", m->max_early_data);
		break;
	case TLS_HS_KEY_UPDATE:
		kv_bool(s, "update_requested", m->update_requested != 0);
		break;
	default:
		break;
	}
}


/* A ClientHello's members: sni (and sni_cut when asked), alpn, versions,
 * cipher_suites; over TCP and in a QUIC Initial alike. */
static void put_client_hello(struct sb *s, const struct tls_client_hello *ch, bool with_cut)
{
	key(s, "sni");
	if (ch->has_sni)
		sb_json_str(s, ch->sni, ch->sni_len < TLS_NAME_MAX ? ch->sni_len : TLS_NAME_MAX);
	else
		sb_puts(s, "null");
	if (with_cut)
		kv_bool(s, "sni_cut", ch->sni_cut);
	key(s, "alpn");
	sb_putc(s, '[');
	for (unsigned k = 0; k < ch->n_alpn && k < TLS_MAX_ALPN; k++) {
		sep(s);
		sb_json_str(s, ch->alpn[k], ch->alpn_len[k] < TLS_ALPN_MAX ? ch->alpn_len[k]
									 : TLS_ALPN_MAX);
	}
	sb_putc(s, ']');
	key(s, "versions");
	sb_putc(s, '[');
	for (unsigned k = 0; k < ch->n_versions && k < TLS_MAX_VERSIONS; k++) {
		const char *vn = tls_version_name(ch->versions[k]);
		sep(s);
		if (vn)
			sb_json_str(s, vn, strlen(vn));
		else
			sb_printf(s, "\"0x%04x\"", ch->versions[k]);
	}
	sb_putc(s, ']');
	kv_u(s, "cipher_suites", ch->n_ciphers);
}

static void put_tls(struct sb *s, const struct ev *e)
{
	const struct tls_events *tv = e->tls;
	static const char *const kind_name[] = {
		[TLS_EV_CLIENT_HELLO] = "client_hello", [TLS_EV_SERVER_HELLO] = "server_hello",
		[TLS_EV_HANDSHAKE] = "handshake",       [TLS_EV_ENCRYPTED_HS] = "encrypted_handshake",
		[TLS_EV_CCS] = "change_cipher_spec",    [TLS_EV_ALERT] = "alert",
		[TLS_EV_APPDATA] = "application_data",  [TLS_EV_OTHER_RECORD] = "other_record",
		[TLS_EV_OPAQUE] = "opaque",             [TLS_EV_DEC_HS] = "decrypted_handshake",
		[TLS_EV_DEC_NOTE] = "decryption_note",
	};
	key(s, "tls");
	sb_putc(s, '[');
	for (unsigned i = 0; i < tv->n && i < TLS_MAX_EVENTS; i++) {
		const struct tls_ev *v = &tv->ev[i];
		sep(s);
		sb_putc(s, '{');
		kv_str(s, "kind", (unsigned)v->kind <= TLS_EV_DEC_NOTE && v->kind ? kind_name[v->kind]
										 : "?");
		kv_str(s, "dir", side_name[v->dir ? 1 : 0]);
		kv_u(s, "content_type", v->content_type);
		kv_u(s, "record_version", v->rec_version);
		kv_u(s, "record_len", v->rec_len);
		kv_str(s, "status", status_name(v->status));
		kv_str(s, "why", v->status != FT_OK || v->kind == TLS_EV_OPAQUE ||
						 v->kind == TLS_EV_DEC_NOTE
					 ? (v->why ? v->why : "?")
					 : NULL);
		if (v->decrypted) {
			kv_bool(s, "decrypted", true);
			kv_u(s, "plaintext_len", v->pt_len);
		}
		if (v->guess)
			kv_str(s, "guess", v->guess == TLS_GUESS_TICKET ? "new_session_ticket"
									: "close_notify");
		switch (v->kind) {
		case TLS_EV_CLIENT_HELLO: {
			const struct tls_client_hello *ch = v->ch;
			if (v->status != FT_OK || !ch)
				break;
			kv_tls_version(s, "legacy_version", ch->legacy_version);
			put_client_hello(s, ch, true);
			break;
		}
		case TLS_EV_SERVER_HELLO: {
			const struct tls_server_hello *sh = v->sh;
			if (v->status != FT_OK || !sh)
				break;
			kv_tls_version(s, "version", sh->version);
			kv_tls_version(s, "legacy_version", sh->legacy_version);
			const char *cn = tls_cipher_name(sh->cipher);
			key(s, "cipher");
			if (cn)
				sb_json_str(s, cn, strlen(cn));
			else
				sb_printf(s, "\"0x%04x\"", sh->cipher);
			kv_u(s, "cipher_num", sh->cipher);
			kv_bool(s, "hello_retry", sh->hello_retry);
			key(s, "alpn");
			if (sh->has_alpn)
				sb_json_str(s, sh->alpn,
					    sh->alpn_len < TLS_ALPN_MAX ? sh->alpn_len : TLS_ALPN_MAX);
			else
				sb_puts(s, "null");
			break;
		}
		case TLS_EV_HANDSHAKE:
			kv_u(s, "handshake_type", v->hs_type);
			kv_str(s, "handshake", tls_hs_name(v->hs_type));
			break;
		case TLS_EV_DEC_HS:
			kv_u(s, "handshake_type", v->hs_type);
			kv_str(s, "handshake", tls_hs_name(v->hs_type));
			if (v->msg && v->status == FT_OK)
				put_tls_msg(s, v->msg);
			break;
		case TLS_EV_ALERT:
			kv_bool(s, "encrypted", v->encrypted);
			if (v->encrypted || v->status != FT_OK) {
				kv_null(s, "level");
				kv_null(s, "description");
				kv_null(s, "description_num");
			} else {
				kv_str(s, "level", v->alert_level == 2 ? "fatal" : "warning");
				kv_str(s, "description", tls_alert_name(v->alert_desc));
				kv_u(s, "description_num", v->alert_desc);
			}
			break;
		default:
			break;
		}
		sb_putc(s, '}');
	}
	sb_putc(s, ']');
	kv_u(s, "tls_more", tv->n_dropped);
	kv_bool(s, "sni_differs", e->sni_name_differs);
}

static const char *quic_status_key(enum quicdec_status st)
{
	switch (st) {
	case QUICDEC_OK: return "ok";
	case QUICDEC_NEED_KEY: return "need_key";
	case QUICDEC_AUTH_FAIL: return "auth_fail";
	case QUICDEC_UNSUPPORTED: return "unsupported";
	case QUICDEC_MALFORMED: return "malformed";
	case QUICDEC_TRUNCATED: return "truncated";
	}
	return "?";
}

static void put_quic_versions(struct sb *s, const struct quicdec_hdr *h)
{
	key(s, "versions");
	sb_putc(s, '[');
	for (unsigned k = 0; k < h->n_versions && k < QUICDEC_MAX_VERSIONS; k++) {
		sep(s);
		sb_u64(s, h->versions[k]);
	}
	sb_putc(s, ']');
}

/* An error code with its name: transport (0x1c) or application (HTTP/3). */
static void kv_quic_error(struct sb *s, bool app, uint64_t code)
{
	kv_u(s, "error_code", code);
	kv_str(s, "error", app ? quicflow_h3_error_name(code) : quic_transport_error_name(code));
	kv_bool(s, "application", app);
}

static void put_quic_frame(struct sb *s, const struct quicframe *f)
{
	uint64_t t = f->type;
	bool stream = (t & ~(uint64_t)7) == QF_STREAM;
	sep(s);
	sb_putc(s, '{');
	kv_str(s, "frame", stream ? "STREAM" : quicframe_name(t));
	kv_u(s, "frame_type", t);
	switch (stream ? QF_STREAM : t) {
	case QF_STREAM:
		kv_u(s, "stream_id", f->stream_id);
		kv_u(s, "offset", f->offset);
		kv_u(s, "length", f->length);
		kv_bool(s, "fin", f->fin);
		break;
	case QF_CRYPTO:
		kv_u(s, "offset", f->offset);
		kv_u(s, "length", f->length);
		break;
	case QF_PADDING:
	case QF_NEW_TOKEN:
	case QF_DATAGRAM:
	case QF_DATAGRAM_LEN:
		kv_u(s, "length", f->length);
		break;
	case QF_ACK:
	case QF_ACK_ECN:
		kv_u(s, "largest", f->largest);
		kv_u(s, "smallest", f->smallest);
		kv_u(s, "ack_delay", f->ack_delay);
		kv_u(s, "gaps", f->n_ranges);
		break;
	case QF_RESET_STREAM:
	case QF_STOP_SENDING:
		kv_u(s, "stream_id", f->stream_id);
		kv_quic_error(s, true, f->error_code);
		if (t == QF_RESET_STREAM)
			kv_u(s, "final_size", f->final_size);
		break;
	case QF_MAX_STREAM_DATA:
	case QF_STREAM_DATA_BLOCKED:
		kv_u(s, "stream_id", f->stream_id);
		kv_u(s, "value", f->value);
		break;
	case QF_MAX_DATA:
	case QF_MAX_STREAMS_BIDI:
	case QF_MAX_STREAMS_UNI:
	case QF_DATA_BLOCKED:
	case QF_STREAMS_BLOCKED_BIDI:
	case QF_STREAMS_BLOCKED_UNI:
	case QF_RETIRE_CONNECTION_ID:
		kv_u(s, "value", f->value);
		break;
	case QF_NEW_CONNECTION_ID:
		kv_u(s, "value", f->value);
		kv_u(s, "retire_prior_to", f->retire_prior_to);
		kv_hex(s, "cid", f->cid, f->cid_len < QUICFRAME_CID_MAX ? f->cid_len : QUICFRAME_CID_MAX);
		break;
	case QF_CONNECTION_CLOSE:
	case QF_CONNECTION_CLOSE_APP:
		kv_quic_error(s, t == QF_CONNECTION_CLOSE_APP, f->error_code);
		key(s, "reason");
		if (f->data)
			sb_json_str(s, (const char *)f->data, (size_t)(f->length < 256 ? f->length : 256));
		else
			sb_puts(s, "null");
		break;
	default:
		break;
	}
	sb_putc(s, '}');
}

/* The TLS handshake messages a packet's CRYPTO frames completed. */
static void put_quic_tls(struct sb *s, const struct quicdec_result *r)
{
	key(s, "tls");
	sb_putc(s, '[');
	for (unsigned i = 0; i < r->n_hs && i < QUICDEC_MAX_HS; i++) {
		const struct quicdec_hs *h = &r->hs[i];
		sep(s);
		sb_putc(s, '{');
		kv_u(s, "handshake_type", h->type);
		kv_str(s, "handshake", tls_hs_name(h->type));
		kv_str(s, "dir", side_name[h->dir ? 1 : 0]);
		kv_u(s, "len", h->len);
		kv_str(s, "status", status_name(h->status));
		kv_str(s, "why", h->status != FT_OK ? (h->why ? h->why : "?") : NULL);
		if (h->type == 1 && r->has_ch) {
			const struct tls_client_hello *ch = &r->ch;
			put_client_hello(s, ch, false);
		} else if (h->type == 2 && r->has_sh) {
			const struct tls_server_hello *sh = &r->sh;
			kv_tls_version(s, "version", sh->version);
			const char *cn = tls_cipher_name(sh->cipher);
			key(s, "cipher");
			if (cn)
				sb_json_str(s, cn, strlen(cn));
			else
				sb_printf(s, "\"0x%04x\"", sh->cipher);
			kv_bool(s, "hello_retry", sh->hello_retry);
		} else if (h->type == 8 && r->ee_has_alpn) {
			key(s, "alpn");
			sb_json_str(s, r->ee_alpn, r->ee_alpn_len < TLS_ALPN_MAX ? r->ee_alpn_len
										   : TLS_ALPN_MAX);
		}
		sb_putc(s, '}');
	}
	sb_putc(s, ']');
	if (!r->has_tp)
		return;
	key(s, "transport_parameters");
	sb_putc(s, '{');
	kv_str(s, "dir", side_name[r->tp_dir ? 1 : 0]);
	key(s, "params");
	sb_putc(s, '[');
	for (unsigned k = 0; k < r->tp.n && k < QUICDEC_MAX_TP; k++) {
		const struct quicdec_tp_param *tp = &r->tp.p[k];
		sep(s);
		sb_putc(s, '{');
		kv_u(s, "id", tp->id);
		kv_str(s, "name", quicdec_tp_name(tp->id));
		if (tp->is_int)
			kv_u(s, "value", tp->value);
		else
			kv_null(s, "value");
		kv_u(s, "len", tp->len);
		sb_putc(s, '}');
	}
	sb_putc(s, ']');
	kv_u(s, "more", r->tp.n_dropped);
	sb_putc(s, '}');
}

/* What quicdec made of one packet: the members added to its header object. */
static void put_quic_dec(struct sb *s, const struct quicdec_result *r)
{
	kv_str(s, "decrypt", quic_status_key(r->status));
	kv_str(s, "decrypt_why", r->why);
	if (r->hdr.type == QUIC_VERSION_NEG)
		put_quic_versions(s, &r->hdr);
	if (r->hdr.type == QUIC_RETRY)
		kv_str(s, "retry_tag", r->retry_tag == 1 ? "ok" : r->retry_tag == 0 ? "wrong" : NULL);
	if (r->status != QUICDEC_OK || r->hdr.type == QUIC_RETRY || r->hdr.type == QUIC_VERSION_NEG)
		return;
	kv_u(s, "pn", r->pkt.pn);
	kv_bool(s, "key_phase", r->pkt.key_phase);
	kv_bool(s, "key_updated", r->key_updated);
	key(s, "frames");
	sb_putc(s, '[');
	for (unsigned k = 0; k < r->frames.n && k < QUICFRAME_MAX; k++)
		put_quic_frame(s, &r->frames.f[k]);
	sb_putc(s, ']');
	kv_u(s, "frames_more", r->frames.n_dropped);
	kv_str(s, "frames_status", status_name(r->frames.status));
	put_quic_tls(s, r);
	kv_bool(s, "crypto_dropped", r->crypto_dropped);
}

/* An HTTP/3 string (raw bytes), or null when the block did not have it. */
/* a header field, or null when absent (HTTP/3 heads list every field) */
static void kv_hstr_null(struct sb *s, const char *k, const struct hpack_str *v)
{
	if (v->present)
		kv_bytes(s, k, v->b, v->len);
	else
		kv_null(s, k);
}

static void put_h3_head(struct sb *s, enum h3_head_kind kind, const struct hpack_headers *h)
{
	static const char *const kname[] = {
		[H3_HEAD_REQUEST] = "request", [H3_HEAD_INFO] = "informational",
		[H3_HEAD_RESPONSE] = "response", [H3_HEAD_TRAILERS] = "trailers",
		[H3_HEAD_PUSH] = "push_promise",
	};
	key(s, "head");
	sb_putc(s, '{');
	kv_str(s, "kind", kind >= H3_HEAD_REQUEST && kind <= H3_HEAD_PUSH ? kname[kind] : "?");
	kv_hstr_null(s, "method", &h->method);
	kv_hstr_null(s, "path", &h->path);
	kv_hstr_null(s, "authority", &h->authority);
	kv_hstr_null(s, "scheme", &h->scheme);
	kv_u_or_null(s, "status", h->status_code);
	kv_hstr_null(s, "content_type", &h->content_type);
	if (h->has_length)
		kv_u(s, "content_length", h->length);
	else
		kv_null(s, "content_length");
	kv_u(s, "fields", h->n_fields);
	kv_bool(s, "pseudo_bad", h->pseudo_bad);
	sb_putc(s, '}');
}

/* The HTTP/3 events of a datagram's STREAM frames (issue 11). */
static void put_h3(struct sb *s, const struct h3_events *h)
{
	static const char *const ename[] = {
		[H3_EV_STREAM] = "stream", [H3_EV_FRAME] = "frame", [H3_EV_HEADERS] = "headers",
		[H3_EV_STREAM_DONE] = "done", [H3_EV_GAP] = "gap", [H3_EV_ERROR] = "error",
	};
	static const char *const skname[] = {
		[H3_SK_NONE] = "unknown", [H3_SK_REQUEST] = "request",
		[H3_SK_UNI_PENDING] = "unidirectional", [H3_SK_CONTROL] = "control",
		[H3_SK_PUSH] = "push", [H3_SK_ENCODER] = "qpack_encoder",
		[H3_SK_DECODER] = "qpack_decoder", [H3_SK_OTHER] = "other",
		[H3_SK_SERVER_BIDI] = "server_bidi",
	};
	key(s, "h3");
	sb_putc(s, '[');
	for (unsigned i = 0; i < h->n && i < H3_MAX_EVENTS; i++) {
		const struct h3_ev *v = &h->ev[i];
		sep(s);
		sb_putc(s, '{');
		kv_str(s, "event", v->kind >= H3_EV_STREAM && v->kind <= H3_EV_ERROR ? ename[v->kind]
										  : "?");
		kv_u(s, "stream", v->stream_id);
		kv_str(s, "from", side_name[v->dir ? 1 : 0]);
		switch (v->kind) {
		case H3_EV_STREAM:
			kv_str(s, "kind", (unsigned)v->skind <= H3_SK_SERVER_BIDI ? skname[v->skind]
										: "?");
			if (v->skind != H3_SK_REQUEST && v->skind != H3_SK_SERVER_BIDI)
				kv_u(s, "uni_type", v->uni_type);
			break;
		case H3_EV_FRAME:
		case H3_EV_HEADERS:
			if (v->kind == H3_EV_FRAME) {
				kv_str(s, "frame", h3_frame_name(v->type));
				kv_u(s, "frame_type", v->type);
				kv_u(s, "length", v->length);
			}
			if (v->exchange)
				kv_u(s, "exchange", v->stream_id);
			else
				kv_null(s, "exchange");
			kv_bool(s, "fin", v->fin);
			if (v->head)
				put_h3_head(s, v->head_kind, v->head);
			if (v->blocked)
				kv_bool(s, "blocked", true);
			if (v->kind != H3_EV_FRAME)
				break;
			if (v->type == H3_DATA) {
				kv_u(s, "body_done", v->body_done);
				if (v->body_total != UINT64_MAX)
					kv_u(s, "body_total", v->body_total);
				else
					kv_null(s, "body_total");
			} else if (v->type == H3_SETTINGS) {
				key(s, "settings");
				sb_putc(s, '[');
				for (unsigned k = 0; k < v->n_settings && k < H3_MAX_SETTINGS; k++) {
					sep(s);
					sb_putc(s, '{');
					kv_u(s, "id", v->settings[k].id);
					kv_str(s, "name", h3_setting_name(v->settings[k].id));
					kv_u(s, "value", v->settings[k].value);
					sb_putc(s, '}');
				}
				sb_putc(s, ']');
				kv_u(s, "settings_all", v->n_settings_all);
			} else if (v->type == H3_GOAWAY || v->type == H3_MAX_PUSH_ID) {
				kv_u(s, "id", v->id);
			} else if (v->type == H3_CANCEL_PUSH || v->type == H3_PUSH_PROMISE) {
				kv_u(s, "push_id", v->push_id);
			}
			break;
		case H3_EV_STREAM_DONE:
			if (v->xchg) {
				const struct h3_exchange *x = v->xchg;
				kv_u(s, "exchange", x->stream_id);
				kv_bool(s, "reset", x->reset);
				if (x->reset) {
					kv_str(s, "reset_by", side_name[x->reset_dir ? 1 : 0]);
					kv_u(s, "error_code", x->reset_code);
					kv_str(s, "error", h3_error_name(x->reset_code));
				}
				kv_bytes(s, "method", x->method.b, x->method.len);
				kv_bytes(s, "path", x->path.b, x->path.len);
				kv_u_or_null(s, "http_status", x->status);
				kv_u(s, "request_body", x->data[0]);
				kv_u(s, "response_body", x->data[1]);
			}
			break;
		case H3_EV_GAP:
			kv_u(s, "bytes", v->bytes);
			break;
		default:
			break;
		}
		kv_str(s, "status", status_name(v->status));
		kv_str(s, "why", v->why);
		sb_putc(s, '}');
	}
	sb_putc(s, ']');
	kv_u(s, "h3_more", h->n_dropped);
}

static void put_quic(struct sb *s, const struct ev *e)
{
	const struct quic_info *q = e->quic;
	static const char *const tname[] = {
		[QUIC_SHORT] = "short",         [QUIC_INITIAL] = "initial",
		[QUIC_0RTT] = "0rtt",           [QUIC_HANDSHAKE] = "handshake",
		[QUIC_RETRY] = "retry",         [QUIC_VERSION_NEG] = "version_negotiation",
	};
	key(s, "quic");
	sb_putc(s, '{');
	kv_bool(s, "from_client", e->quic_from_client);
	key(s, "packets");
	sb_putc(s, '[');
	for (unsigned i = 0; i < q->n_pkts && i < QUIC_MAX_PACKETS; i++) {
		const struct quic_pkt *k = &q->pkt[i];
		sep(s);
		sb_putc(s, '{');
		kv_str(s, "type", (unsigned)k->type <= QUIC_VERSION_NEG ? tname[k->type] : "?");
		if (k->type == QUIC_SHORT) {
			kv_null(s, "version");
			kv_null(s, "version_num");
			kv_null(s, "dcid");
			kv_null(s, "scid");
		} else {
			key(s, "version");
			const char *vn = quic_version_name(k->version);
			if (k->type == QUIC_VERSION_NEG)
				sb_puts(s, "null");
			else if (vn)
				sb_json_str(s, vn, strlen(vn));
			else
				sb_printf(s, "\"0x%08x\"", k->version);
			kv_u(s, "version_num", k->version);
			kv_hex(s, "dcid", k->dcid, k->dcid_len < QUIC_CID_MAX ? k->dcid_len : QUIC_CID_MAX);
			kv_hex(s, "scid", k->scid, k->scid_len < QUIC_CID_MAX ? k->scid_len : QUIC_CID_MAX);
		}
		if (k->type == QUIC_INITIAL)
			kv_u(s, "token_len", k->token_len);
		if (k->type == QUIC_INITIAL || k->type == QUIC_0RTT || k->type == QUIC_HANDSHAKE)
			kv_u(s, "length", k->length);
		if (i < e->n_quic_dec)
			put_quic_dec(s, &e->quic_dec[i]);
		else if (k->type == QUIC_VERSION_NEG && e->quic_vn)
			put_quic_versions(s, e->quic_vn);
		sb_putc(s, '}');
	}
	sb_putc(s, ']');
	kv_u(s, "more", q->n_more);
	kv_str(s, "status", status_name(q->status));
	kv_str(s, "why", q->status != FT_OK ? (q->why ? q->why : "?") : NULL);
	kv_u_or_null(s, "conn", e->quic_conn);
	kv_bool(s, "sni_differs", e->sni_name_differs);
	if (e->h3)
		put_h3(s, e->h3);
	sb_putc(s, '}');
}

/* ------------------------------------------------------------------ */
/* ICMP                                                                */
/* ------------------------------------------------------------------ */

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 58: return "icmpv6";
	}
	return NULL;
}

static const char *const icmp_kind_names[] = {
	[ICMP_K_OTHER] = "other",
	[ICMP_K_ECHO_REQUEST] = "echo_request",
	[ICMP_K_ECHO_REPLY] = "echo_reply",
	[ICMP_K_UNREACH] = "unreachable",
	[ICMP_K_TOO_BIG] = "too_big",
	[ICMP_K_TIME_EXCEEDED] = "time_exceeded",
	[ICMP_K_PARAM_PROBLEM] = "parameter_problem",
	[ICMP_K_REDIRECT] = "redirect",
	[ICMP_K_SOURCE_QUENCH] = "source_quench",
};

/* The packet an ICMP error quotes; fields the quote does not reach are null. */
static void put_icmp_quote(struct sb *s, const struct ev *e)
{
	static const char *const qname[] = {
		[QUIC_SHORT] = "short",         [QUIC_INITIAL] = "initial",
		[QUIC_0RTT] = "0rtt",           [QUIC_HANDSHAKE] = "handshake",
		[QUIC_RETRY] = "retry",         [QUIC_VERSION_NEG] = "version_negotiation",
	};
	const struct icmp_quote *q = &e->p->icmp.q;
	key(s, "quote");
	if (!q->ip) {
		sb_puts(s, "null");
		return;
	}
	sb_putc(s, '{');
	kv_u(s, "ip_ver", q->ver);
	kv_ip(s, "src", q->ver, q->src);
	kv_ip(s, "dst", q->ver, q->dst);
	kv_u(s, "ip_proto", q->proto);
	kv_str(s, "proto", proto_name(q->proto));
	if (q->ports) {
		kv_u(s, "sport", q->sport);
		kv_u(s, "dport", q->dport);
	} else {
		kv_null(s, "sport");
		kv_null(s, "dport");
	}
	if (q->tcp_flags_ok) {
		put_flags(s, q->tcp_flags);
		kv_u(s, "tcp_len", q->tcp_pl_len);
	}
	if (q->udp) {
		kv_u(s, "udp_len", q->pl_len);
		kv_u(s, "udp_quoted", q->pl_cap);
	}
	if (q->dns) {
		kv_u(s, "dns_id", q->dns_id);
		kv_bool(s, "dns_response", q->dns_qr);
		const struct dns_msg *d = e->icmp_dns;
		kv_name(s, "dns_qname", d && d->has_question ? &d->qname : NULL);
		if (d && d->has_question)
			kv_numname(s, "dns_qtype", dns_type_name(d->qtype), "TYPE", d->qtype);
	}
	if (q->quic) {
		kv_str(s, "quic_type", (unsigned)q->quic_type <= QUIC_VERSION_NEG ? qname[q->quic_type] : "?");
		if (q->quic_type != QUIC_SHORT)
			kv_u(s, "quic_version", q->quic_version);
	}
	kv_bool(s, "cut", e->p->icmp.quote_cut);
	sb_putc(s, '}');
}

static void put_icmp(struct sb *s, const struct ev *e)
{
	const struct icmp_info *m = &e->p->icmp;
	key(s, "icmp");
	sb_putc(s, '{');
	kv_u(s, "type", m->type);
	kv_u(s, "code", m->code);
	kv_str(s, "type_name", icmp_type_name(m->ver, m->type));
	kv_str(s, "code_name", icmp_code_name(m->ver, m->type, m->code));
	kv_str(s, "kind", (unsigned)m->kind < sizeof icmp_kind_names / sizeof icmp_kind_names[0]
				  ? icmp_kind_names[m->kind] : "other");
	kv_bool(s, "error", m->error);
	if (m->kind == ICMP_K_ECHO_REQUEST || m->kind == ICMP_K_ECHO_REPLY) {
		kv_u(s, "echo_id", m->echo_id);
		kv_u(s, "echo_seq", m->echo_seq);
	}
	if (m->kind == ICMP_K_TOO_BIG)
		kv_u(s, "mtu", m->mtu);
	if (m->kind == ICMP_K_PARAM_PROBLEM)
		kv_u(s, "pointer", m->pointer);
	if (m->error)
		put_icmp_quote(s, e);
	kv_str(s, "meaning", icmp_meaning(m));
	if (e->icmp_conn) /* the connection of the quoted packet, when known */
		kv_u(s, "quote_conn", e->icmp_conn);
	if (e->icmp_qconn)
		kv_u(s, "quote_quic_conn", e->icmp_qconn);
	sb_putc(s, '}');
}

/* ------------------------------------------------------------------ */
/* the packet object                                                   */
/* ------------------------------------------------------------------ */

/* "ip_frag": an IP fragment held, a duplicate or dropped, or a datagram
 * reassembled from fragments (frag.c); absent otherwise. */
static void put_ip_frag(struct sb *s, const struct ev *e)
{
	static const char *const state[] = { "held", "reassembled", "duplicate", "dropped" };
	const struct frag_out *f = e->frag;
	const struct pkt *p = e->p;
	if (!f && !p->n_reasm)
		return;
	key(s, "ip_frag");
	const char *st = f ? state[f->verdict] : "reassembled";
	sb_puts(s, "{\"state\":");
	sb_json_str(s, st, strlen(st));
	if (!f) {
		kv_u(s, "n_frags", p->n_reasm);
		kv_u(s, "len", p->reasm_len);
		sb_putc(s, '}');
		return;
	}
	kv_u(s, "id", f->id);
	kv_u(s, "offset", f->offset);
	kv_u(s, "len", f->len);
	kv_bool(s, "last", !f->more);
	kv_u(s, "n_frags", f->n_frags);
	kv_u(s, "held", f->held);
	if (f->dns)
		kv_u(s, "dns_id", f->dns_id);
	kv_str(s, "why", f->verdict == FRAG_DROPPED ? (f->why ? f->why : "?") : NULL);
	sb_putc(s, '}');
}

/* "proxy": the proxy handshake bytes this segment carried (proxy.c). */
static void put_proxy(struct sb *s, const struct ev *e)
{
	static const struct { uint8_t bit; const char *name; } msg[] = {
		{ PROXY_M_HELLO, "hello" }, { PROXY_M_METHOD, "method" },
		{ PROXY_M_AUTH, "auth" }, { PROXY_M_AUTH_REPLY, "auth_reply" },
		{ PROXY_M_REQUEST, "request" }, { PROXY_M_REPLY, "reply" },
	};
	const struct proxy_state *px = e->proxy;
	static const char *const kind[] = { "none", "socks4", "socks5", "connect" };
	key(s, "proxy");
	sb_puts(s, "{\"kind\":");
	const char *k = px->kind < 4 ? kind[px->kind] : "none";
	if (px->kind == PROXY_SOCKS4 && px->socks4a)
		k = "socks4a";
	sb_json_str(s, k, strlen(k));
	key(s, "messages");
	sb_putc(s, '[');
	for (size_t i = 0; i < sizeof msg / sizeof msg[0]; i++)
		if (e->proxy_msgs & msg[i].bit) {
			sep(s);
			sb_json_str(s, msg[i].name, strlen(msg[i].name));
		}
	sb_putc(s, ']');
	if (e->proxy_msgs & PROXY_M_REQUEST) {
		kv_bytes(s, "host", px->host, px->host_len);
		kv_u(s, "port", px->port);
	}
	if (e->proxy_msgs & PROXY_M_REPLY) {
		kv_u(s, "code", px->kind == PROXY_CONNECT ? px->status : px->code);
		kv_bool(s, "ok", px->ok);
	}
	if (e->proxy_msgs & PROXY_M_METHOD)
		kv_u(s, "method", px->method);
	sb_putc(s, '}');
}

/* The fields every packet object has; the line cut fallback uses them alone. */
static void put_common(struct json_out *o, const struct ev *e)
{
	struct sb *s = &o->sb;
	const struct pkt *p = e->p;
	sb_puts(s, "{\"type\":\"packet\"");
	kv_u(s, "frame", e->frame);
	key(s, "ts");
	sb_secs(s, p->ts_us);
	key(s, "rel");
	sb_secs(s, p->ts_us - o->first_ts);
	kv_str(s, "step", step_name(e->step));
	kv_str(s, "call", out_call_col(e));
	if (e->seg && e->seg->c->calls_seen) /* its socket's calls are "call" objects (issue 14) */
		kv_bool(s, "call_measured", true);
	if (e->seg) {
		kv_u_or_null(s, "fetch", e->seg->c->fetch_id);
		kv_u(s, "conn", e->seg->c->id);
	} else {
		kv_u_or_null(s, "fetch", e->quic ? e->quic_fetch : e->icmp_fetch);
		kv_null(s, "conn");
	}
	if (e->file) { /* several input files: this packet's */
		key(s, "file");
		sb_json_str(s, (const uint8_t *)e->file, strlen(e->file));
	}
	if (e->has_iface) { /* the input has several interfaces: this packet's */
		key(s, "interface");
		sb_puts(s, "{\"id\":");
		sb_u64(s, e->if_id);
		if (e->if_name_len) {
			key(s, "name");
			sb_json_str(s, e->if_name, e->if_name_len);
		}
		sb_putc(s, '}');
	}
	kv_u(s, "len", p->wire_len);
	kv_u(s, "cap_len", p->cap_len);
	kv_u(s, "ethertype", p->ethertype);
	key(s, "vlan");
	sb_putc(s, '[');
	for (unsigned i = 0; i < p->n_vlan && i < PKT_MAX_VLAN; i++) {
		sep(s);
		sb_u64(s, p->vlan[i]);
	}
	sb_putc(s, ']');
	if (p->n_encap) { /* what the packet was found inside, outermost first (issue 13) */
		static const char *const kinds[] = { "", "pppoe", "mpls", "gre", "erspan", "vxlan",
						     "geneve", "gtpu", "ipip", "teredo" };
		key(s, "encap");
		sb_putc(s, '[');
		for (unsigned i = 0; i < p->n_encap && i < PKT_MAX_ENCAP; i++) {
			const struct pkt_encap *x = &p->encap[i];
			sep(s);
			sb_putc(s, '{');
			kv_str(s, "kind", x->kind < sizeof kinds / sizeof kinds[0] ? kinds[x->kind] : "?");
			if (x->has_id)
				kv_u(s, "id", x->id);
			if (x->kind == ENCAP_MPLS)
				kv_u(s, "labels", x->n);
			else if (x->kind == ENCAP_ERSPAN)
				kv_u(s, "erspan_type", x->n);
			else if (x->kind == ENCAP_GRE)
				kv_u(s, "gre_version", x->n);
			else if (x->kind == ENCAP_IPIP) {
				kv_u(s, "outer_ip_ver", x->n >> 4);
				kv_u(s, "inner_ip_ver", x->n & 0x0F);
			}
			sb_putc(s, '}');
		}
		sb_putc(s, ']');
		if (p->n_encap > PKT_MAX_ENCAP)
			kv_u(s, "encap_more", p->n_encap - PKT_MAX_ENCAP);
	}
	if (p->len_from)
		kv_str(s, "ip_len_from", p->len_from == PKT_LEN_JUMBO ? "jumbo" : "frame");
	if (p->ip_ver) {
		kv_u(s, "ip_ver", p->ip_ver);
		kv_ip(s, "src", p->ip_ver, p->src);
		kv_ip(s, "dst", p->ip_ver, p->dst);
		kv_u(s, "ttl", p->ttl);
		kv_u(s, "ip_proto", p->proto);
		kv_str(s, "proto", proto_name(p->proto));
		kv_str(s, "fragment", !p->frag ? NULL : p->frag_later ? "later" : "first");
		put_ip_frag(s, e);
	} else {
		kv_null(s, "ip_ver");
		kv_null(s, "src");
		kv_null(s, "dst");
		kv_null(s, "ttl");
		kv_null(s, "ip_proto");
		kv_null(s, "proto");
		kv_null(s, "fragment");
	}
	bool l4 = p->layer == LAYER_DONE;
	if (l4) {
		if (p->proto == 6 || p->proto == 17) {
			kv_u(s, "sport", p->sport);
			kv_u(s, "dport", p->dport);
		} else { /* ICMP has no ports */
			kv_null(s, "sport");
			kv_null(s, "dport");
		}
		kv_u(s, "payload_len", p->pl_len);
		kv_u(s, "payload_captured", p->pl_cap);
	} else {
		kv_null(s, "sport");
		kv_null(s, "dport");
		kv_null(s, "payload_len");
		kv_null(s, "payload_captured");
	}
	static const char *const lname[] = { "link", "ip", "tcp", "udp", "icmp", "done" };
	kv_str(s, "status", status_name(p->status));
	kv_str(s, "layer", (unsigned)p->layer <= LAYER_DONE ? lname[p->layer] : "?");
	kv_str(s, "why", p->status != FT_OK ? (p->why ? p->why : "?") : NULL);
}

static void put_fetch_start(struct json_out *o, const struct ev *e)
{
	const struct fetch_link *l = e->link;
	const struct pkt *p = e->p;
	struct sb *s = &o->sb;
	/* as out_text.c: the connection's server, or the QUIC client's destination */
	uint8_t ver = e->seg ? e->seg->c->ip_ver : p->ip_ver;
	const uint8_t *srv = e->seg ? e->seg->c->srv : e->quic_from_client ? p->dst : p->src;
	uint16_t port = e->seg ? e->seg->c->sport : e->quic_from_client ? p->dport : p->sport;
	bool udp = e->quic != NULL;
	if (e->icmp_fetch) { /* an ICMP error: the server its quote was sent to */
		ver = p->icmp.q.ver, srv = p->icmp.q.dst, port = p->icmp.q.dport;
		udp = p->icmp.q.proto == 17;
	}
	sb_puts(s, "{\"type\":\"fetch_start\"");
	kv_u(s, "fetch", l->fetch_id);
	key(s, "ts");
	sb_secs(s, p->ts_us);
	key(s, "rel");
	sb_secs(s, p->ts_us - o->first_ts);
	if (e->seg)
		kv_u(s, "conn", e->seg->c->id);
	else
		kv_null(s, "conn");
	kv_bool(s, "via_dns", l->via_dns);
	kv_bool(s, "via_proxy", l->via_proxy);
	kv_u_or_null(s, "moved_from", l->via_proxy ? l->moved_from : 0);
	kv_name(s, "name", l->via_dns || l->via_proxy ? l->name : NULL);
	kv_name(s, "cname", l->via_dns ? l->cname : NULL);
	kv_ip(s, "server", ver, srv);
	kv_u(s, "port", port);
	kv_str(s, "transport", udp ? "udp" : "tcp");
	key(s, "dns_id");
	if (l->via_dns)
		sb_u64(s, l->dns_id);
	else
		sb_puts(s, "null");
	kv_secs(s, "dns_answer_ts", l->via_dns && l->answer_ts > 0 ? l->answer_ts : -1);
	sb_putc(s, '}');
	if (s->cut) { /* a name cannot make it this long; stay valid regardless */
		sb_reset(s);
		sb_printf(s, "{\"type\":\"fetch_start\",\"fetch\":%u,\"cut\":true}", l->fetch_id);
	}
	emit(o);
}

/* No packet: HTTP bytes held after a gap, decoded when their connection
 * left the table (the text output's "(no packet)" line). */
static void json_released(struct json_out *o, const struct ev *e)
{
	struct sb *s = &o->sb;
	const struct pkt *p = e->p;
	const struct conn *c = e->seg->c;
	sb_puts(s, "{\"type\":\"released\"");
	key(s, "ts");
	sb_secs(s, p->ts_us);
	key(s, "rel");
	sb_secs(s, p->ts_us - o->first_ts);
	kv_str(s, "step", step_name(e->step));
	kv_str(s, "call", step_call(e->step));
	kv_u_or_null(s, "fetch", c->fetch_id);
	kv_u(s, "conn", c->id);
	kv_u(s, "ip_ver", p->ip_ver);
	kv_ip(s, "src", p->ip_ver, p->src);
	kv_ip(s, "dst", p->ip_ver, p->dst);
	kv_u(s, "sport", p->sport);
	kv_u(s, "dport", p->dport);
	kv_str(s, "dir", e->seg->dir == 0 ? "to_server" : "from_server");
	kv_str(s, "released_at", e->released == EV_RELEASED_EVICTED ? "eviction" : "end_of_capture");
	kv_u(s, "gap", e->gap);
	put_http(s, e);
	sb_putc(s, '}');
	if (s->cut) {
		sb_reset(s);
		sb_printf(s, "{\"type\":\"released\",\"conn\":%u,\"cut\":true}", c->id);
	}
	emit(o);
}

static void json_packet(void *impl, const struct ev *e)
{
	struct json_out *o = impl;
	const struct pkt *p = e->p;
	struct sb *s = &o->sb;
	if (!o->have_first) {
		o->have_first = true;
		o->first_ts = p->ts_us;
	}
	/* The packets the text output shows, no more: none with -q, "other"
	 * only with --all or when damaged. */
	if (o->opt.quiet || (e->step == STEP_OTHER && !o->opt.all &&
			       p->status != FT_TRUNCATED && p->status != FT_MALFORMED))
		return;
	if (e->link && e->link->new_fetch)
		put_fetch_start(o, e);
	if (e->released && e->seg && e->http) {
		json_released(o, e);
		return;
	}

	put_common(o, e);
	bool l4 = p->layer == LAYER_DONE;
	if (e->seg) {
		put_tcp(s, e);
		if (e->proxy)
			put_proxy(s, e);
		if (e->http)
			put_http(s, e);
		if (e->h2)
			put_h2(s, e);
		if (e->h2_refused)
			kv_bool(s, "h2_refused", true);
		if (e->tls)
			put_tls(s, e);
	} else if (l4 && e->quic) {
		put_quic(s, e);
	} else if (l4 && (p->proto == IPPROTO_NUM_ICMP || p->proto == IPPROTO_NUM_ICMPV6)) {
		put_icmp(s, e);
	} else if (l4 && e->udp_not_quic) {
		kv_str(s, "not_quic", e->udp_not_quic);
	}
	if (e->n_dns) {
		key(s, "dns");
		sb_putc(s, '[');
		for (unsigned i = 0; i < e->n_dns && i < EV_MAX_DNS; i++)
			put_dns(s, e->dns[i], e->dns_rt[i], &e->dns_note[i]);
		sb_putc(s, ']');
		kv_u(s, "dns_more", e->n_dns_more);
		kv_u(s, "dns_awaiting", e->dns_awaiting);
	} else if (e->seg && e->seg->c->dns && e->dns_awaiting) {
		key(s, "dns");
		sb_puts(s, "[]");
		kv_u(s, "dns_more", e->n_dns_more);
		kv_u(s, "dns_awaiting", e->dns_awaiting);
	}
	if (e->n_comments) { /* a pcapng input's opt_comment(s), one string */
		key(s, "comment");
		sb_putc(s, '"');
		for (unsigned i = 0; i < e->n_comments && i < EV_MAX_COMMENTS; i++) {
			if (i)
				sb_puts(s, "\\n");
			sb_json_esc(s, e->comment[i], e->comment_len[i]);
		}
		sb_putc(s, '"');
	}
	sb_putc(s, '}');
	if (s->cut) {
		sb_reset(s);
		put_common(o, e);
		kv_bool(s, "cut", true);
		sb_putc(s, '}');
	}
	emit(o);
}

/* ------------------------------------------------------------------ */
/* connections and the summary                                         */
/* ------------------------------------------------------------------ */

static const char *conn_end_name(const char *why)
{
	if (!strcmp(why, "closed"))
		return "closed";
	if (!strcmp(why, "reset"))
		return "reset";
	if (!strncmp(why, "evicted", 7))
		return "evicted";
	if (!strcmp(why, "end of capture"))
		return "end_of_capture";
	if (!strncmp(why, "replaced", 8))
		return "replaced";
	return "other";
}

static void json_conn_done(void *impl, const struct conn *c, const char *why,
			   const struct dns_name *name)
{
	struct json_out *o = impl;
	struct sb *s = &o->sb;
	static const char *const app_name[] = {
		[APP_UNKNOWN] = NULL, [APP_DNS] = "dns", [APP_HTTP] = "http",
		[APP_OPAQUE] = "other",  [APP_H2] = "http2",
	};
	const char *state = flow_conn_state(c);
	sb_reset(s);
	sb_puts(s, "{\"type\":\"conn\"");
	kv_u(s, "conn", c->id);
	kv_u_or_null(s, "fetch", c->fetch_id);
	kv_name(s, "name", name);
	kv_ip(s, "client", c->ip_ver, c->cli);
	kv_u(s, "client_port", c->cport);
	kv_ip(s, "server", c->ip_ver, c->srv);
	kv_u(s, "server_port", c->sport);
	/* "app" names the stream's outer layer ("tls" over TLS); "tls_app" the
	 * decoder of the decrypted plaintext */
	const char *an = c->app < sizeof(app_name) / sizeof(app_name[0]) ? app_name[c->app] : NULL;
	kv_str(s, "app", c->tls ? "tls" : an);
	if (c->tls)
		kv_str(s, "tls_app", an);
	key(s, "steps");
	sb_putc(s, '[');
	for (int st = 0; st < STEP_OTHER; st++)
		if (c->steps_seen & (1u << st))
			put_str(s, step_name((enum step)st));
	sb_putc(s, ']');
	kv_u(s, "bytes_sent", c->d[0].bytes);
	kv_u(s, "bytes_received", c->d[1].bytes);
	kv_u(s, "packets_sent", c->d[0].pkts);
	kv_u(s, "packets_received", c->d[1].pkts);
	key(s, "start");
	sb_secs(s, c->ts_first);
	key(s, "end");
	sb_secs(s, c->ts_last);
	kv_secs(s, "duration", c->ts_last - c->ts_first < 0 ? 0 : c->ts_last - c->ts_first);
	kv_secs(s, "handshake_rtt",
		c->ts_syn && c->ts_established ? c->ts_established - c->ts_syn : -1);
	kv_str(s, "ended", conn_end_name(why));
	kv_bool(s, "refused", !strcmp(state, "REJ"));
	kv_str(s, "reset_by", c->rst_dir >= 0 ? side_name[c->rst_dir ? 1 : 0] : NULL);
	kv_str(s, "closed_first_by", c->first_fin >= 0 ? side_name[c->first_fin ? 1 : 0] : NULL);
	kv_str(s, "conn_state", state);
	kv_bytes(s, "history", c->history, strnlen(c->history, FLOW_HISTORY_MAX));
	kv_bool(s, "midstream", c->midstream);
	kv_bool(s, "partial", c->partial);
	int64_t idle = 0;
	enum conn_use use = out_conn_use(c, &idle);
	kv_str(s, "use", step_conn_use_name(use));
	kv_secs(s, "idle_before_request", use == CONN_USE_PRECONNECT ? idle : -1);
	/* HTTPS upgrade: the newest abandoned try of the same fetch this one followed */
	uint32_t after = 0;
	int64_t after_ts = 0;
	uint32_t n = o->n_tries < JSON_TRIES ? o->n_tries : JSON_TRIES;
	for (uint32_t i = 0; i < n; i++) {
		const struct json_try *t = &o->tries[i];
		if (c->fetch_id && t->fetch == c->fetch_id &&
		    step_https_upgrade(CONN_USE_ABANDONED, t->port, t->ts_close,
				       !c->tls && c->app == APP_HTTP, c->sport, c->ts_cli_data) &&
		    (!after || t->ts_close > after_ts)) {
			after = t->conn;
			after_ts = t->ts_close;
		}
	}
	kv_u_or_null(s, "https_upgrade_after", after);
	if (use == CONN_USE_ABANDONED) {
		struct json_try *t = &o->tries[o->n_tries++ % JSON_TRIES];
		t->conn = c->id;
		t->fetch = c->fetch_id;
		t->port = c->sport;
		t->ts_close = c->ts_close;
	}
	sb_putc(s, '}');
	if (s->cut) {
		sb_reset(s);
		sb_printf(s, "{\"type\":\"conn\",\"conn\":%u,\"cut\":true}", c->id);
	}
	emit(o);
}

static void json_quic_done(void *impl, const struct quicflow *q, const char *why,
			   const struct dns_name *name)
{
	struct json_out *o = impl;
	struct sb *s = &o->sb;
	sb_reset(s);
	sb_puts(s, "{\"type\":\"quic_conn\"");
	kv_u(s, "conn", q->id);
	kv_u_or_null(s, "fetch", q->fetch_id);
	kv_name(s, "name", name);
	kv_ip(s, "client", q->ip_ver, q->cli);
	kv_u(s, "client_port", q->cport);
	kv_ip(s, "server", q->ip_ver, q->srv);
	kv_u(s, "server_port", q->sport);
	kv_u(s, "version", q->version);
	key(s, "steps");
	sb_putc(s, '[');
	for (int st = 0; st < STEP_OTHER; st++)
		if (q->steps_seen & (1u << st))
			put_str(s, step_name((enum step)st));
	sb_putc(s, ']');
	kv_u(s, "bytes_sent", q->bytes[0]);
	kv_u(s, "bytes_received", q->bytes[1]);
	kv_u(s, "packets_sent", q->pkts[0]);
	kv_u(s, "packets_received", q->pkts[1]);
	key(s, "start");
	sb_secs(s, q->ts_first);
	key(s, "end");
	sb_secs(s, q->ts_last);
	kv_secs(s, "duration", q->ts_last - q->ts_first < 0 ? 0 : q->ts_last - q->ts_first);
	kv_u(s, "handshake_round_trips", 1u + q->n_retry + q->n_hrr);
	kv_secs(s, "handshake_time", q->ts_hs_done ? q->ts_hs_done - q->ts_first : -1);
	kv_u(s, "retries", q->n_retry);
	kv_u(s, "hello_retries", q->n_hrr);
	kv_bool(s, "version_negotiation", q->vn);
	kv_str(s, "closed_by", q->close_dir >= 0 ? side_name[q->close_dir ? 1 : 0] : NULL);
	if (q->close_dir >= 0) {
		kv_quic_error(s, q->close_app, q->close_code);
		kv_bytes(s, "reason", q->reason, q->reason_len);
	} else {
		kv_null(s, "error_code");
		kv_null(s, "error");
		kv_null(s, "application");
		kv_null(s, "reason");
	}
	kv_str(s, "ended", conn_end_name(why));
	kv_u(s, "packets_decrypted", q->n_opened[0] + q->n_opened[1]);
	kv_u(s, "packets_not_decrypted", q->n_sealed[0] + q->n_sealed[1]);
	kv_bool(s, "h3", q->h3_alpn);
	if (q->h3_alpn) {
		kv_bool(s, "h3_decoded", !q->h3_nomem);
		kv_u(s, "h3_exchanges", q->n_h3x);
		key(s, "h3_list");
		sb_putc(s, '[');
		for (unsigned i = 0; i < q->n_h3x && i < QUICFLOW_H3_SUM; i++) {
			const struct quicflow_h3x *x = &q->h3x[i];
			sep(s);
			sb_putc(s, '{');
			kv_u(s, "stream", x->stream_id);
			if (x->method_len) {
				kv_bytes(s, "method", x->method, x->method_len);
				kv_bytes(s, "path", x->path, x->path_len);
			} else {
				kv_null(s, "method");
				kv_null(s, "path");
			}
			kv_bool(s, "path_cut", x->path_cut);
			kv_u_or_null(s, "status", x->status);
			kv_bool(s, "reset", x->reset);
			kv_bool(s, "open", x->open);
			sb_putc(s, '}');
		}
		sb_putc(s, ']');
	}
	sb_putc(s, '}');
	if (s->cut) {
		sb_reset(s);
		sb_printf(s, "{\"type\":\"quic_conn\",\"conn\":%u,\"cut\":true}", q->id);
	}
	emit(o);
}

/* A fetch's object: its exchanges added up; partial when its object was
 * written already and an exchange of it came after (fetch_add). */
static void put_fetch(struct json_out *o, const struct json_fetch *f, bool partial)
{
	struct sb *s = &o->sb;
	sb_reset(s);
	sb_puts(s, "{\"type\":\"fetch\"");
	kv_u(s, "fetch", f->id);
	key(s, "name");
	if (f->name_len)
		sb_json_str(s, f->name, f->name_len);
	else
		sb_puts(s, "null");
	kv_u(s, "exchanges", f->n_ex);
	kv_u(s, "connections", f->n_conn);
	kv_secs(s, "start", f->start ? f->start : -1);
	kv_secs(s, "end", f->end ? f->end : -1);
	kv_secs(s, "duration", f->start && f->end >= f->start ? f->end - f->start : -1);
	kv_secs(s, "dns", f->dns);
	kv_u(s, "up", f->up);
	kv_u(s, "down", f->down);
	if (partial)
		kv_bool(s, "partial", true);
	sb_putc(s, '}');
	emit(o);
}

/* Add exchange x up into its fetch's totals.  The fetch in its place
 * before it, older, is taken as done: its object goes out.  An exchange of
 * a fetch whose object went out already (a connection that outlived
 * JSON_FETCHES newer fetches) goes out at once in an object of its own,
 * "partial": the fetch's exchanges are in more than one object. */
static void fetch_add(struct json_out *o, const struct tl_exch *x)
{
	if (!x->fetch)
		return;
	if (!o->fetches && !(o->fetches = calloc(JSON_FETCHES, sizeof(*o->fetches))))
		return; /* once per run, not per packet */
	struct json_fetch *f = &o->fetches[x->fetch % JSON_FETCHES];
	struct json_fetch late;
	if (f->id > x->fetch) {
		f = &late;
		memset(f, 0, sizeof(*f));
		f->id = x->fetch;
		f->dns = -1;
	} else if (f->id != x->fetch) {
		if (f->id)
			put_fetch(o, f, false);
		memset(f, 0, sizeof(*f));
		f->id = x->fetch;
		f->dns = -1;
	}
	if (!f->n_ex || x->seq < f->name_seq) { /* the first exchange names the fetch */
		f->name_seq = x->seq;
		f->name_len = x->name_len < TL_STR ? x->name_len : TL_STR;
		memcpy(f->name, x->name, f->name_len);
	}
	f->n_ex++;
	f->n_conn += x->first_on_conn;
	f->up += x->up, f->down += x->down;
	const int64_t moments[] = { x->dns_start, x->syn, x->req_start };
	for (size_t m = 0; m < 3; m++)
		if (moments[m] && (!f->start || moments[m] < f->start))
			f->start = moments[m];
	const int64_t ends[] = { x->resp_end, x->closed, x->req_end };
	for (size_t m = 0; m < 3; m++)
		if (ends[m] > f->end)
			f->end = ends[m];
	if (x->dns_start && x->dns_end >= x->dns_start && (f->dns < 0 || x->seq < f->dns_seq)) {
		f->dns = x->dns_end - x->dns_start;
		f->dns_seq = x->seq;
	}
	if (f == &late)
		put_fetch(o, f, true);
}

/* Where one exchange's time went (timeline.h), written as soon as it is
 * final (its connection left, or the end): the phases as out_timeline.c
 * derives them. */
static void json_exchange(void *impl, const struct tl_exch *x)
{
	struct json_out *o = impl;
	struct sb *s = &o->sb;
	sb_reset(s);
	sb_puts(s, "{\"type\":\"exchange\"");
	kv_u_or_null(s, "fetch", x->fetch);
	kv_u(s, "conn", x->conn);
	kv_u_or_null(s, "exchange", x->exchange);
	if (x->quic) /* conn is the QUIC connection's number (qN), not a TCP one's */
		kv_bool(s, "quic", true);
	if (x->stream || x->quic) {
		kv_u(s, "stream", x->stream);
		kv_bool(s, "cancelled", x->cancelled);
	}
	kv_bool(s, "first_on_conn", x->first_on_conn);
	kv_bool(s, "tls", x->tls);
	key(s, "name");
	if (x->name_len)
		sb_json_str(s, x->name, x->name_len < TL_STR ? x->name_len : TL_STR);
	else
		sb_puts(s, "null");
	key(s, "method");
	if (x->method_len)
		sb_json_str(s, x->method, x->method_len < TL_STR ? x->method_len : TL_STR);
	else
		sb_puts(s, "null");
	key(s, "target");
	if (x->target_len)
		sb_json_str(s, x->target, x->target_len < TL_STR ? x->target_len : TL_STR);
	else
		sb_puts(s, "null");
	kv_u_or_null(s, "status", x->status);
	kv_u(s, "up", x->up);
	kv_u(s, "down", x->down);
	static const char *const how[] = { NULL, "client_first", "server_first", "reset" };
	kv_str(s, "close", x->close_how < 4 ? how[x->close_how] : NULL);
	/* the moments (0 = not seen: null) */
	static const struct {
		const char *name;
		size_t off;
	} at[] = {
#define M(f) { #f, offsetof(struct tl_exch, f) }
		M(dns_start), M(dns_end), M(syn), M(synack), M(est), M(tls_start),
		M(tls_end), M(req_start), M(req_end), M(resp_start), M(resp_end), M(fin),
		M(closed),
#undef M
	};
	key(s, "times");
	sb_putc(s, '{');
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		int64_t v;
		memcpy(&v, (const char *)x + at[k].off, sizeof(v));
		kv_secs(s, at[k].name, v ? v : -1);
	}
	sb_putc(s, '}');
	/* the phases' durations (timeline.h): null when a phase was not seen */
	static const char *const ph_name[TL_PHASES] = {
		[TL_DNS] = "dns",   [TL_CONNECT] = "connect", [TL_TLS] = "tls",
		[TL_SEND] = "send", [TL_WAIT] = "wait",       [TL_DOWNLOAD] = "download",
		[TL_CLOSE] = "close",
	};
	int64_t st[TL_PHASES], en[TL_PHASES];
	timeline_phases(x, st, en);
	key(s, "phases");
	sb_putc(s, '{');
	for (int ph = 0; ph < TL_PHASES; ph++)
		kv_secs(s, ph_name[ph], st[ph] ? en[ph] - st[ph] : -1);
	sb_putc(s, '}');
	if (x->call_read && x->resp_start) { /* measured socket calls (issue 14) */
		kv_secs(s, "call_write", x->call_write ? x->call_write : -1);
		kv_secs(s, "call_read", x->call_read);
		kv_secs(s, "wait_kernel", x->call_write ? x->resp_start - x->call_write : -1);
		kv_secs(s, "wait_application", x->call_read - x->resp_start);
	} else if (x->call_nosplit) { /* measured, but which call is whose is not known */
		kv_str(s, "wait_not_split", timeline_nosplit_why(x->call_nosplit));
	}
	sb_putc(s, '}');
	if (s->cut) {
		sb_reset(s);
		sb_printf(s, "{\"type\":\"exchange\",\"conn\":%u,\"cut\":true}", x->conn);
	}
	emit(o);
	fetch_add(o, x);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The end: one object per fetch still added up, in fetch order (the
 * exchanges were written as they ended: json_exchange). */
static void json_timeline(void *impl, const struct timeline *tl)
{
	struct json_out *o = impl;
	o->exch_dropped = timeline_lost(tl);
	if (!o->fetches)
		return;
	uint64_t *ord = malloc(JSON_FETCHES * sizeof(*ord)); /* once per run */
	size_t k = 0;
	for (size_t i = 0; i < JSON_FETCHES; i++) {
		const struct json_fetch *f = &o->fetches[i];
		if (!f->id)
			continue;
		if (!ord) { /* no memory to sort: slot order */
			put_fetch(o, f, false);
			continue;
		}
		ord[k++] = (uint64_t)f->id << 32 | (uint32_t)i;
	}
	if (ord)
		qsort(ord, k, sizeof(*ord), cmp_u64);
	for (size_t j = 0; j < k; j++)
		put_fetch(o, &o->fetches[(uint32_t)ord[j]], false);
	free(ord);
}

/* Live drops as they happen: new since the last report, and in total. */
static void json_drops(void *impl, const uint64_t d[3], const uint64_t tot[3])
{
	struct json_out *o = impl;
	struct sb *s = &o->sb;
	sb_reset(s);
	sb_puts(s, "{\"type\":\"drops\"");
	kv_u(s, "kernel", d[0]);
	kv_u(s, "interface", d[1]);
	kv_u(s, "queue", d[2]);
	kv_u(s, "kernel_total", tot[0]);
	kv_u(s, "interface_total", tot[1]);
	kv_u(s, "queue_total", tot[2]);
	sb_putc(s, '}');
	emit(o);
}

static void json_summary(void *impl, const struct out_counts *n)
{
	struct json_out *o = impl;
	struct sb *s = &o->sb;
	sb_reset(s);
	sb_puts(s, "{\"type\":\"summary\"");
	kv_u(s, "packets", n->packets);
	kv_u(s, "decoded", n->decoded);
	kv_u(s, "other", n->other);
	kv_u(s, "truncated", n->truncated);
	kv_u(s, "malformed", n->malformed);
	kv_u(s, "unsupported", n->unsupported);
	if (n->hiding) {
		kv_u(s, "hidden", n->hidden);
		kv_u(s, "hidden_unknown", n->hidden_unknown);
	}
	kv_u(s, "dns_queries", n->dns_queries);
	kv_u(s, "dns_responses", n->dns_responses);
	kv_u(s, "dns_unanswered", n->dns_unanswered);
	kv_u(s, "conns", n->conns);
	kv_u(s, "conns_evicted", n->conns_evicted);
	kv_u(s, "reasm_peak", n->reasm_peak);
	kv_u(s, "reasm_overflows", n->reasm_overflows);
	kv_u(s, "exchanges_dropped", o->exch_dropped);
	if (n->focus) {
		kv_u(s, "fetches_shown", n->fetches_shown);
		kv_u(s, "fetches_hidden", n->fetches_hidden);
		kv_u(s, "hidden_packets", n->hidden_packets);
		kv_u(s, "hidden_dns", n->hidden_dns);
		kv_u(s, "hidden_conns", n->hidden_conns);
	}
	if (n->keylog) {
		kv_u(s, "tls_decrypted", n->tls_decrypted);
		kv_u(s, "tls_auth_failed", n->tls_auth_failed);
		kv_u(s, "tls_refused", n->tls_refused);
		kv_u(s, "tls_hold_dropped", n->tls_hold_dropped);
		kv_u(s, "keylog_malformed", n->keylog_malformed);
	}
	kv_u(s, "quic_conns", n->quic_conns);
	kv_u(s, "quic_conns_evicted", n->quic_evicted);
	kv_u(s, "quic_mem_peak", n->quic_mem_peak);
	if (n->frag.n_frags) { /* IP fragments were seen (frag.c) */
		kv_u(s, "ip_frags", n->frag.n_frags);
		kv_u(s, "ip_frag_reassembled", n->frag.n_reassembled);
		kv_u(s, "ip_frag_dup", n->frag.n_dup);
		kv_u(s, "ip_frag_bad", n->frag.n_bad);
		kv_u(s, "ip_frag_timeout", n->frag.n_timeout);
		kv_u(s, "ip_frag_overflow", n->frag.n_overflow);
		kv_u(s, "ip_frag_incomplete", n->frag.n_incomplete);
		kv_u(s, "ip_frag_peak", n->frag.peak_bytes);
	}
	if (n->h2_conns || n->h2_refused) {
		kv_u(s, "h2_conns", n->h2_conns);
		kv_u(s, "h2_refused", n->h2_refused);
	}
	if (n->capture_stats) { /* live */
		kv_u(s, "received", n->cap_received);
		kv_u(s, "dropped_kernel", n->cap_drop_kernel);
		kv_u(s, "dropped_interface", n->cap_drop_iface);
		kv_u(s, "dropped_queue", n->cap_drop_queue);
	}
	sb_putc(s, '}');
	emit(o);
	fflush(o->f);
}

/* A socket call (issue 14): {"type":"call"} (schema in README.md). */
static void json_call(void *impl, const struct call_line *l, const struct call_ctx *cx)
{
	struct json_out *o = impl;
	if (o->opt.quiet)
		return;
	struct sb *s = &o->sb;
	if (!o->have_first) {
		o->have_first = true;
		o->first_ts = l->ts_us;
	}
	sb_puts(s, "{\"type\":\"call\"");
	key(s, "ts");
	sb_secs(s, l->ts_us);
	key(s, "rel");
	sb_secs(s, l->ts_us - o->first_ts);
	kv_str(s, "step", step_name(out_call_step(l)));
	kv_str(s, "call", calls_sys_name(l->sys));
	kv_str(s, "phase", l->phase == CALL_ENTERED ? "entered" : l->phase == CALL_RETURNED ? "returned"
											  : "call");
	kv_u_or_null(s, "fetch", cx->fetch_id);
	kv_u_or_null(s, "conn", cx->conn_id);
	key(s, "process");
	sb_json_str(s, l->pcomm, strnlen(l->pcomm, sizeof(l->pcomm)));
	key(s, "thread");
	sb_json_str(s, l->comm, strnlen(l->comm, sizeof(l->comm)));
	if (l->role[0])
		kv_str(s, "role", l->role);
	kv_u(s, "pid", l->tgid);
	kv_u(s, "tid", l->tid);
	key(s, "fd");
	sb_printf(s, "%d", (int)l->fd);
	kv_str(s, "proto", l->sotype == 1 ? "tcp" : l->sotype == 2 ? "udp" : "?");
	uint8_t ver, la[16], ra[16];
	if (out_call_tuple(l, &ver, la, ra) && l->rport) {
		kv_ip(s, "src", ver, la);
		kv_u(s, "sport", l->lport);
		kv_ip(s, "dst", ver, ra);
		kv_u(s, "dport", l->rport);
	}
	if (l->tfamily) {
		struct call_line t = *l;
		t.has_tuple = true, t.family = l->tfamily;
		memcpy(t.raddr, l->taddr, 16);
		memcpy(t.laddr, l->taddr, 16);
		if (out_call_tuple(&t, &ver, la, ra)) {
			kv_ip(s, "target", ver, ra);
			kv_u(s, "target_port", l->tport);
		}
	}
	bool ready = l->sys == CALLS_SYS_POLL || l->sys == CALLS_SYS_SELECT ||
		     l->sys == CALLS_SYS_EPOLL_WAIT || l->sys == CALLS_SYS_EPOLL_CTL;
	if (l->asked && l->sys != CALLS_SYS_CLOSE && l->sys != CALLS_SYS_SOCKET && !ready &&
	    l->sys != CALLS_SYS_GETSOCKOPT)
		kv_u(s, l->sys == CALLS_SYS_SHUTDOWN ? "how" : l->sys == CALLS_SYS_SENDMMSG ||
					l->sys == CALLS_SYS_RECVMMSG ? "msgs" : "bytes_asked", l->asked);
	if (l->sys == CALLS_SYS_EPOLL_CTL || l->sys == CALLS_SYS_EPOLL_WAIT) {
		key(s, "epfd");
		sb_printf(s, "%d", (int)l->epfd);
	}
	if (l->sys == CALLS_SYS_EPOLL_CTL)
		kv_str(s, "op", out_call_epoll_op(l));
	if (ready && (l->sys != CALLS_SYS_EPOLL_CTL || l->asked != CALLS_EPOLL_DEL)) {
		key(s, "events");
		sb_putc(s, '"');
		out_call_events(s, l->events, l->sys != CALLS_SYS_POLL && l->sys != CALLS_SYS_SELECT);
		/* names and hex only: nothing to escape */
		sb_putc(s, '"');
	}
	if (l->sys == CALLS_SYS_GETSOCKOPT && l->has_val) {
		const char *en = l->val ? calls_errno_name(l->val) : NULL;
		if (en)
			kv_str(s, "so_error", en);
		else
			kv_u(s, "so_error", (uint64_t)(uint32_t)l->val);
	}
	if (l->has_ret) {
		key(s, "ret");
		sb_printf(s, "%lld", (long long)(l->ret < 0 ? -1 : l->ret));
		if (l->ret < 0) {
			const char *en = calls_errno_name(-l->ret);
			if (en)
				kv_str(s, "errno", en);
			else
				kv_u(s, "errno", (uint64_t)-l->ret);
		}
	}
	if (l->enter_us)
		kv_secs(s, "entered", l->enter_us);
	if (l->exit_us)
		kv_secs(s, "returned", l->exit_us);
	if (l->enter_us && l->exit_us >= l->enter_us)
		kv_secs(s, "duration", l->exit_us - l->enter_us);
	sb_putc(s, '}');
	emit(o);
}

const struct out_ops out_json_ops = {
	.open = json_open,
	.packet = json_packet,
	.call = json_call,
	.conn_done = json_conn_done,
	.quic_done = json_quic_done,
	.timeline = json_timeline,
	.exchange = json_exchange,
	.summary = json_summary,
	.drops = json_drops,
	.flush = json_flush,
	.close = json_close,
};
