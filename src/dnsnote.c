/* dnsnote.c - label the steps of a resolver's walk from the messages themselves. */
#include "dnsnote.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A name server's address and the zone it serves (from NS + glue). */
struct ns_addr {
	bool used;
	uint8_t ip_ver;
	uint8_t addr[16];
	struct dns_name zone;
};

/* The TTL an answer for (name, type) had when first seen. */
struct first_ttl {
	bool used;
	uint16_t qtype;
	uint32_t ttl;
	struct dns_name name;
};

/* A recent query: who asked which name from which port, and the verdict. */
struct recent_query {
	bool used;
	bool own;                   /* step_dns_own_resolver said so */
	uint8_t ip_ver;
	uint8_t cli[16];            /* the asking host */
	uint16_t port, id, qtype;   /* its source port, the transaction id, the type */
	uint32_t name_hash;         /* FNV-1a of the name, ASCII letters folded */
	int64_t ts_us;
};

struct dns_noter {
	/* each ring fills from its slot 0: the first n_* slots are the used ones,
	 * and only those are searched (the rest is never touched: a small
	 * capture does not fault in the whole calloc'd table) */
	struct recent_query queries[DNSNOTE_MAX_QUERIES];
	uint32_t query_next;        /* ring position */
	uint32_t n_queries;         /* slots used */
	struct ns_addr servers[DNSNOTE_MAX_SERVERS];
	uint32_t server_next;       /* ring position */
	uint32_t n_servers;         /* slots used */
	struct first_ttl ttls[DNSNOTE_MAX_TTLS];
	uint32_t ttl_next;          /* ring position */
	uint32_t n_ttls;            /* slots used */
};

struct dns_noter *dnsnote_open(void) { return calloc(1, sizeof(struct dns_noter)); }

void dnsnote_close(struct dns_noter *n) { free(n); }

static void name_set(struct dns_name *dst, const struct dns_name *src)
{
	dst->len = src->len;
	memcpy(dst->text, src->text, (size_t)src->len + 1);
}

static const struct ns_addr *server_find(const struct dns_noter *n, const struct pkt *p)
{
	for (uint32_t i = 0; i < n->n_servers; i++) {
		const struct ns_addr *s = &n->servers[i];
		if (s->used && s->ip_ver == p->ip_ver && !memcmp(s->addr, p->src, 16))
			return s;
	}
	return NULL;
}

/* Remember the glue addresses of the NS records for `zone` in message m
 * (RFC 1034 4.2.1: glue is the address of a server named in a delegation). */
static uint16_t learn_glue(struct dns_noter *n, const struct dns_msg *m, const struct dns_name *zone)
{
	uint16_t n_glue = 0;
	for (unsigned i = 0; i < m->n_rr; i++) {
		const struct dns_rr *g = &m->rr[i];
		if (g->section != DNS_SEC_ADDITIONAL || g->rd_status != FT_OK ||
		    (g->type != DNS_T_A && g->type != DNS_T_AAAA))
			continue;
		bool named = false;
		for (unsigned k = 0; k < m->n_rr && !named; k++) {
			const struct dns_rr *ns = &m->rr[k];
			named = ns->type == DNS_T_NS && ns->rd_status == FT_OK &&
				dns_name_equal(&ns->name, zone) && dns_name_equal(&ns->target, &g->name);
		}
		if (!named)
			continue;
		n_glue++;
		struct ns_addr *s = &n->servers[n->server_next];
		n->server_next = (n->server_next + 1) % DNSNOTE_MAX_SERVERS;
		if (n->n_servers < DNSNOTE_MAX_SERVERS)
			n->n_servers++;
		memset(s->addr, 0, sizeof(s->addr));
		s->used = true;
		s->ip_ver = g->type == DNS_T_A ? 4 : 6;
		memcpy(s->addr, g->addr, g->type == DNS_T_A ? 4 : 16);
		name_set(&s->zone, zone);
	}
	return n_glue;
}

/* The lowest TTL among the answer records, and whether there is one. */
static bool answer_ttl(const struct dns_msg *m, uint32_t *ttl)
{
	bool any = false;
	for (unsigned i = 0; i < m->n_rr; i++) {
		const struct dns_rr *r = &m->rr[i];
		if (r->section != DNS_SEC_ANSWER)
			continue;
		if (!any || r->ttl < *ttl)
			*ttl = r->ttl;
		any = true;
	}
	return any;
}

static bool note_cached(struct dns_noter *n, const struct dns_msg *m, struct dns_note *out)
{
	uint32_t ttl = 0;
	if (!answer_ttl(m, &ttl))
		return false;
	for (uint32_t i = 0; i < n->n_ttls; i++) {
		const struct first_ttl *f = &n->ttls[i];
		if (!f->used || f->qtype != m->qtype || !dns_name_equal(&f->name, &m->qname))
			continue;
		if (ttl >= f->ttl)
			return false;
		out->kind = DNS_NOTE_CACHED;
		out->ttl = ttl;
		out->ttl_first = f->ttl;
		return true;
	}
	struct first_ttl *f = &n->ttls[n->ttl_next];
	n->ttl_next = (n->ttl_next + 1) % DNSNOTE_MAX_TTLS;
	if (n->n_ttls < DNSNOTE_MAX_TTLS)
		n->n_ttls++;
	f->used = true;
	f->qtype = m->qtype;
	f->ttl = ttl;
	name_set(&f->name, &m->qname);
	return false;
}

/* Does an answer record of type HTTPS or SVCB offer HTTP/3 (RFC 9460 7.1.2:
 * the ALPN ids; "h3", or a draft's "h3-29")? */
static bool offers_h3(const struct dns_msg *m)
{
	for (unsigned i = 0; i < m->n_rr && i < DNS_MAX_RR; i++) {
		const struct dns_rr *r = &m->rr[i];
		if (r->section != DNS_SEC_ANSWER || r->rd_status != FT_OK ||
		    (r->type != DNS_T_HTTPS && r->type != DNS_T_SVCB))
			continue;
		const struct dns_svc *v = &r->rd.svc;
		for (unsigned k = 0; k < v->n && k < DNS_SVC_MAX; k++) {
			const struct dns_svc_param *pa = &v->param[k];
			if (pa->kind != DNS_SVC_ALPN)
				continue;
			for (unsigned j = pa->first; j < (unsigned)pa->first + pa->n &&
						     j < v->n_items && j < DNS_SVC_ITEMS_MAX; j++) {
				const struct dns_bytes *b = &v->items[j];
				if (b->len >= 2 && b->p[0] == 'h' && b->p[1] == '3' &&
				    (b->len == 2 || b->p[2] == '-'))
					return true;
			}
		}
	}
	return false;
}


/*
 * Which resolver sent a query (step_dns_own_resolver, step.c, decides).
 * The evidence from earlier queries: the same host's latest query for the
 * same name, within STEP_LOOKUP_US, of another type (a sibling in one
 * lookup: HTTPS, AAAA, A) from another source port.  A query of the same
 * type is a new lookup (a retry, another program), no evidence either way.
 * A query without RD set is no stub's: getaddrinfo() always sets it.
 */
static bool query_own(struct dns_noter *n, const struct pkt *p, const struct dns_msg *m)
{
	uint32_t h = dns_name_hash(&m->qname);
	const struct recent_query *prev = NULL;
	for (uint32_t i = 0; i < n->n_queries; i++) {
		const struct recent_query *q = &n->queries[i];
		if (!q->used || q->name_hash != h || q->ip_ver != p->ip_ver ||
		    memcmp(q->cli, p->src, 16) || p->ts_us - q->ts_us > STEP_LOOKUP_US ||
		    q->ts_us > p->ts_us)
			continue;
		if (!prev || q->ts_us >= prev->ts_us)
			prev = q;
	}
	struct dns_call_in in = {
		.qtype = m->qtype,
		.other_port = prev && prev->qtype != m->qtype && prev->port != p->sport,
	};
	bool own = step_dns_own_resolver(&in) || !m->rd;
	struct recent_query *q = &n->queries[n->query_next];
	n->query_next = (n->query_next + 1) % DNSNOTE_MAX_QUERIES;
	if (n->n_queries < DNSNOTE_MAX_QUERIES)
		n->n_queries++;
	*q = (struct recent_query){ .used = true, .own = own, .ip_ver = p->ip_ver,
				    .port = p->sport, .id = m->id, .qtype = m->qtype,
				    .name_hash = h, .ts_us = p->ts_us };
	memcpy(q->cli, p->src, 16);
	return own;
}

/* A response takes its query's verdict (newest match of host, port, id). */
static bool response_own(const struct dns_noter *n, const struct pkt *p, const struct dns_msg *m)
{
	const struct recent_query *best = NULL;
	for (uint32_t i = 0; i < n->n_queries; i++) {
		const struct recent_query *q = &n->queries[i];
		if (q->used && q->id == m->id && q->port == p->dport && q->ip_ver == p->ip_ver &&
		    !memcmp(q->cli, p->dst, 16) && (!best || q->ts_us >= best->ts_us))
			best = q;
	}
	return best ? best->own : false;
}

void dnsnote_message(struct dns_noter *n, const struct pkt *p, const struct dns_msg *m,
		     struct dns_note *out)
{
	memset(out, 0, offsetof(struct dns_note, from_zone));
	out->from_zone.len = out->to_zone.len = 0;
	if (!m->has_question || m->status != FT_OK || m->opcode != 0)
		return;
	bool root_q = m->qname.len == 1 && m->qname.text[0] == '.';
	out->own_resolver = m->qr ? response_own(n, p, m) : query_own(n, p, m);
	if (!m->qr) {
		if (root_q && m->qtype == DNS_T_NS)
			out->kind = DNS_NOTE_PRIMING;
		return;
	}
	out->offers_h3 = offers_h3(m);
	const struct ns_addr *from = server_find(n, p);
	if (from) {
		out->from_known = true;
		name_set(&out->from_zone, &from->zone);
	}

	/* The root servers, in answer to priming (RFC 8109 3). */
	if (root_q && m->qtype == DNS_T_NS && m->rcode == 0 && m->ancount > 0) {
		out->kind = DNS_NOTE_ROOT_SERVERS;
		for (unsigned i = 0; i < m->n_rr; i++)
			out->n_ns += m->rr[i].section == DNS_SEC_ANSWER && m->rr[i].type == DNS_T_NS;
		out->n_glue = learn_glue(n, m, &m->qname);
		return;
	}

	/* A referral (RFC 1034 4.3.2 step 3b): no answer, not authoritative,
	 * the NS records of a zone closer to the name in authority. */
	if (m->rcode == 0 && m->ancount == 0 && !m->aa) {
		const struct dns_rr *ns = NULL;
		for (unsigned i = 0; i < m->n_rr && !ns; i++)
			if (m->rr[i].section == DNS_SEC_AUTHORITY && m->rr[i].type == DNS_T_NS &&
			    m->rr[i].rd_status == FT_OK)
				ns = &m->rr[i];
		if (ns) {
			out->kind = DNS_NOTE_REFERRAL;
			name_set(&out->to_zone, &ns->name);
			for (unsigned i = 0; i < m->n_rr; i++)
				out->n_ns += m->rr[i].section == DNS_SEC_AUTHORITY &&
					     m->rr[i].type == DNS_T_NS;
			out->n_glue = learn_glue(n, m, &ns->name);
			return;
		}
	}

	/* No such name, or no data of that type: the SOA in authority says
	 * how long the "no" may be cached, min(SOA TTL, SOA minimum) (RFC 2308 5). */
	if (m->rcode == 3 || (m->rcode == 0 && m->ancount == 0)) {
		for (unsigned i = 0; i < m->n_rr; i++) {
			const struct dns_rr *r = &m->rr[i];
			if (r->section != DNS_SEC_AUTHORITY || r->type != DNS_T_SOA ||
			    r->rd_status != FT_OK)
				continue;
			out->kind = DNS_NOTE_NEGATIVE;
			out->neg_ttl = r->ttl < r->minimum ? r->ttl : r->minimum;
			return;
		}
		return;
	}
	if (m->rcode != 0)
		return;
	if (m->aa) {
		out->kind = DNS_NOTE_AUTHORITATIVE;
		return;
	}
	/* A resolver's answer whose TTL went down since first seen came from
	 * its cache: nothing was asked upstream. */
	note_cached(n, m, out);
}
