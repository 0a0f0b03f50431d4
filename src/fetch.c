/* fetch.c - the fetch linker: match DNS answers to queries and connections to answers. */
#include "fetch.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A query waiting for its answer. */
struct pending {
	bool used;              /* slot holds a query */
	uint16_t id;            /* DNS id */
	uint8_t ip_ver;         /* 4 or 6 */
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	int64_t ts;             /* when the query left */
};

/* An address some answer gave, and the resolution it came from. */
struct addr_ent {
	bool used;              /* slot holds an address */
	uint8_t ip_ver;
	uint8_t addr[16];
	uint32_t res;           /* resolution number: one per getaddrinfo() (or per unresolved address) */
	uint8_t querier[16];    /* who asked (the response's destination) */
	uint16_t dns_id;        /* id of that response */
	int64_t ts;             /* when it arrived */
	int64_t query_ts;       /* when its query left, 0 unknown */
	uint32_t fetch_id;      /* fetch made of this resolution, 0 until a connection uses it */
	struct dns_name name;   /* the name asked for; len 0 when the address came without DNS */
	struct dns_name cname;  /* end of the CNAME chain, len 0 when none */
};

/* Answers for the same name to the same host this close together come
 * from one getaddrinfo() call (its A and AAAA queries), so one fetch. */
#define FETCH_SAME_RES_US 2000000

struct fetch_rec {
	uint32_t id;            /* fetch number; 0 = empty */
	struct dns_name name;   /* its name, len 0 without DNS */
};

struct fetch_linker {
	struct pending pend[FETCH_MAX_PENDING];
	uint32_t pend_next;      /* ring position for the next query */
	struct addr_ent addrs[FETCH_MAX_ADDRS];
	uint32_t addr_next;      /* ring position for the next address */
	uint32_t next_res;       /* next resolution number */
	struct fetch_rec fetches[FETCH_MAX_FETCHES]; /* indexed by id % FETCH_MAX_FETCHES */
	uint32_t next_fetch;     /* next fetch number */
	uint64_t n_unanswered;   /* queries pushed out of the ring unanswered */
	struct dns_name chain[DNS_MAX_RR + 1]; /* scratch: names of one CNAME chain */
};

struct fetch_linker *fetch_open(void)
{
	struct fetch_linker *fl = calloc(1, sizeof(*fl));
	if (!fl)
		return NULL;
	fl->next_res = 1;
	fl->next_fetch = 1;
	return fl;
}

void fetch_close(struct fetch_linker *fl) { free(fl); }

void fetch_dns_query(struct fetch_linker *fl, const struct pkt *p, const struct dns_msg *m)
{
	struct pending *q = &fl->pend[fl->pend_next];
	fl->pend_next = (fl->pend_next + 1) % FETCH_MAX_PENDING;
	if (q->used)
		fl->n_unanswered++;
	q->used = true;
	q->id = m->id;
	q->ip_ver = p->ip_ver;
	memcpy(q->cli, p->src, 16);
	memcpy(q->srv, p->dst, 16);
	q->cport = p->sport;
	q->sport = p->dport;
	q->ts = p->ts_us;
}

static void name_copy(struct dns_name *dst, const struct dns_name *src)
{
	dst->len = src->len;
	memcpy(dst->text, src->text, (size_t)src->len + 1);
}

static bool chain_has(const struct dns_name *chain, unsigned n, const struct dns_name *x)
{
	for (unsigned i = 0; i < n; i++)
		if (dns_name_equal(&chain[i], x))
			return true;
	return false;
}

int64_t fetch_dns_response(struct fetch_linker *fl, const struct pkt *p, const struct dns_msg *m)
{
	int64_t rt = -1;
	/* Newest first: a retransmitted query with the same id matches the last copy. */
	for (uint32_t k = 0; k < FETCH_MAX_PENDING; k++) {
		uint32_t i = (fl->pend_next + FETCH_MAX_PENDING - 1 - k) % FETCH_MAX_PENDING;
		struct pending *q = &fl->pend[i];
		if (!q->used || q->id != m->id || q->ip_ver != p->ip_ver || q->cport != p->dport ||
		    q->sport != p->sport || memcmp(q->cli, p->dst, 16) || memcmp(q->srv, p->src, 16))
			continue;
		rt = p->ts_us - q->ts;
		q->used = false;
		break;
	}
	if (!m->has_question || m->rcode != 0)
		return rt;

	/* Follow the CNAME chain from the question (RFC 1034 3.6.2).  Each
	 * pass either adds a name or stops, and there are at most n_rr. */
	unsigned n = 0;
	name_copy(&fl->chain[n++], &m->qname);
	for (unsigned pass = 0; pass < m->n_rr; pass++) {
		bool grew = false;
		for (unsigned r = 0; r < m->n_rr && n <= DNS_MAX_RR; r++) {
			const struct dns_rr *rr = &m->rr[r];
			if (rr->section != DNS_SEC_ANSWER || rr->type != DNS_T_CNAME ||
			    rr->rd_status != FT_OK || !chain_has(fl->chain, n, &rr->name) ||
			    chain_has(fl->chain, n, &rr->target))
				continue;
			name_copy(&fl->chain[n++], &rr->target);
			grew = true;
		}
		if (!grew)
			break;
	}

	/* Join the resolution of a recent answer for the same name to the
	 * same host: the other half of an A + AAAA pair. */
	uint32_t res = 0, fetch_id = 0;
	for (uint32_t k = 0; k < FETCH_MAX_ADDRS; k++) {
		const struct addr_ent *a = &fl->addrs[(fl->addr_next + FETCH_MAX_ADDRS - 1 - k) %
						      FETCH_MAX_ADDRS];
		if (!a->used || p->ts_us - a->ts > FETCH_SAME_RES_US)
			break;
		if (a->name.len && !memcmp(a->querier, p->dst, 16) && dns_name_equal(&a->name, &m->qname)) {
			res = a->res;
			fetch_id = a->fetch_id;
			break;
		}
	}
	for (unsigned r = 0; r < m->n_rr; r++) {
		const struct dns_rr *rr = &m->rr[r];
		if (rr->section != DNS_SEC_ANSWER || rr->rd_status != FT_OK ||
		    (rr->type != DNS_T_A && rr->type != DNS_T_AAAA) || !chain_has(fl->chain, n, &rr->name))
			continue;
		if (!res)
			res = fl->next_res++;
		struct addr_ent *a = &fl->addrs[fl->addr_next];
		fl->addr_next = (fl->addr_next + 1) % FETCH_MAX_ADDRS;
		memset(a, 0, offsetof(struct addr_ent, name)); /* the names are set below */
		a->used = true;
		a->ip_ver = rr->type == DNS_T_A ? 4 : 6;
		memcpy(a->addr, rr->addr, rr->type == DNS_T_A ? 4 : 16);
		a->res = res;
		a->fetch_id = fetch_id;
		memcpy(a->querier, p->dst, 16);
		a->dns_id = m->id;
		a->ts = p->ts_us;
		a->query_ts = rt >= 0 ? p->ts_us - rt : 0;
		name_copy(&a->name, &m->qname);
		if (n > 1)
			name_copy(&a->cname, &fl->chain[n - 1]);
		else
			a->cname.len = 0, a->cname.text[0] = '\0';
	}
	return rt;
}

static uint32_t fetch_new(struct fetch_linker *fl, const struct dns_name *name)
{
	uint32_t id = fl->next_fetch++;
	struct fetch_rec *f = &fl->fetches[id % FETCH_MAX_FETCHES];
	f->id = id;
	if (name)
		name_copy(&f->name, name);
	else
		f->name.len = 0, f->name.text[0] = '\0';
	return id;
}

/* The newest entry for address srv; with cli, only one that host asked for. */
static struct addr_ent *addr_find(struct fetch_linker *fl, uint8_t ip_ver, const uint8_t *cli,
				  const uint8_t *srv)
{
	for (uint32_t k = 0; k < FETCH_MAX_ADDRS; k++) {
		uint32_t i = (fl->addr_next + FETCH_MAX_ADDRS - 1 - k) % FETCH_MAX_ADDRS;
		struct addr_ent *a = &fl->addrs[i];
		if (!a->used)
			break;
		if (a->ip_ver == ip_ver && !memcmp(a->addr, srv, 16) &&
		    (!cli || !memcmp(a->querier, cli, 16)))
			return a;
	}
	return NULL;
}

void fetch_connect(struct fetch_linker *fl, uint8_t ip_ver, const uint8_t cli[16],
		   const uint8_t srv[16], struct fetch_link *out)
{
	memset(out, 0, sizeof(*out));
	/* The answer this client asked for; else (a capture on a resolver's far
	 * side, a client with several addresses) the newest answer for srv. */
	struct addr_ent *hit = addr_find(fl, ip_ver, cli, srv);
	if (!hit)
		hit = addr_find(fl, ip_ver, NULL, srv);
	if (!hit) {
		/* No answer gave it: remember the address so the next connection
		 * to it joins the same fetch. */
		hit = &fl->addrs[fl->addr_next];
		fl->addr_next = (fl->addr_next + 1) % FETCH_MAX_ADDRS;
		memset(hit, 0, offsetof(struct addr_ent, name));
		hit->used = true;
		hit->ip_ver = ip_ver;
		memcpy(hit->addr, srv, 16);
		memcpy(hit->querier, cli, 16);
		hit->res = fl->next_res++;
		hit->name.len = 0, hit->name.text[0] = '\0';
		hit->cname.len = 0, hit->cname.text[0] = '\0';
	}
	out->via_dns = hit->name.len > 0;
	if (!hit->fetch_id) {
		uint32_t id = fetch_new(fl, out->via_dns ? &hit->name : NULL);
		/* Every address of the same resolution shares the fetch. */
		for (uint32_t i = 0; i < FETCH_MAX_ADDRS; i++)
			if (fl->addrs[i].used && fl->addrs[i].res == hit->res)
				fl->addrs[i].fetch_id = id;
		out->new_fetch = true;
	}
	out->fetch_id = hit->fetch_id;
	out->name = out->via_dns ? &hit->name : NULL;
	out->cname = hit->cname.len ? &hit->cname : NULL;
	out->dns_id = hit->dns_id;
	out->answer_ts = hit->ts;
	out->query_ts = hit->query_ts;
}

bool fetch_sni(struct fetch_linker *fl, uint32_t fetch_id, const char *sni, size_t len)
{
	struct fetch_rec *f = &fl->fetches[fetch_id % FETCH_MAX_FETCHES];
	if (f->id != fetch_id || len == 0 || len >= sizeof(f->name.text))
		return true;
	struct dns_name n;
	memcpy(n.text, sni, len);
	n.text[len] = '\0';
	n.len = (uint16_t)len;
	if (f->name.len == 0) {
		name_copy(&f->name, &n);
		return true;
	}
	return dns_name_equal(&f->name, &n);
}

void fetch_proxy(struct fetch_linker *fl, uint32_t fetch_id, const char *host, size_t len)
{
	struct fetch_rec *f = &fl->fetches[fetch_id % FETCH_MAX_FETCHES];
	if (f->id != fetch_id || len == 0 || len >= sizeof(f->name.text))
		return;
	memcpy(f->name.text, host, len);
	f->name.text[len] = '\0';
	f->name.len = (uint16_t)len;
}

const struct dns_name *fetch_name(const struct fetch_linker *fl, uint32_t fetch_id)
{
	const struct fetch_rec *f = &fl->fetches[fetch_id % FETCH_MAX_FETCHES];
	if (f->id != fetch_id || f->name.len == 0)
		return NULL;
	return &f->name;
}

uint64_t fetch_unanswered(const struct fetch_linker *fl)
{
	uint64_t n = fl->n_unanswered;
	for (uint32_t i = 0; i < FETCH_MAX_PENDING; i++)
		n += fl->pend[i].used;
	return n;
}
