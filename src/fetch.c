/* fetch.c - the fetch linker: match DNS answers to queries and connections to answers. */
#include "fetch.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/*
 * A name kept by the linker.  Most names are short: they are kept inline,
 * and a longer one (up to DNS_NAME_TEXT_MAX) in an overflow slot shared by
 * the entries that hold it (counted references).  So the rings of addresses
 * and fetches take about 60 bytes a name instead of a struct dns_name's 522
 * (4.5 MB of tables became 0.6 MB), and slots exist only while long names do.
 */
#define FNAME_INLINE 46
#define FETCH_OVF_CHUNK 64
#define FETCH_OVF_MAX (2 * FETCH_MAX_ADDRS + FETCH_MAX_FETCHES) /* one per holder at most */

struct fname {
	uint16_t len;           /* bytes of the name; 0: no name */
	uint32_t ovf;           /* len > FNAME_INLINE: its overflow slot + 1 */
	char inl[FNAME_INLINE]; /* len <= FNAME_INLINE: the name (no NUL) */
};

struct ovf_slot {
	uint32_t refs;          /* fnames holding it; 0: on the free list */
	uint32_t next_free;     /* free list: slot + 1, 0 end */
	struct dns_name name;
};

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
	struct fname name;      /* the name asked for; len 0 when the address came without DNS */
	struct fname cname;     /* end of the CNAME chain, len 0 when none */
	uint32_t rnext, rprev;  /* the other addresses of its resolution: a circle (ring indices) */
};

#define NO_ADDR UINT32_MAX

/* Answers for the same name to the same host this close together come
 * from one getaddrinfo() call (its A and AAAA queries), so one fetch. */
#define FETCH_SAME_RES_US 2000000

struct fetch_rec {
	uint32_t id;            /* fetch number; 0 = empty */
	struct fname name;      /* its name, len 0 without DNS */
	bool proxied;           /* name: the host a proxy at px was asked for */
	uint8_t px_ver;         /* proxied: the proxy's address */
	uint8_t px[16];
};

struct fetch_linker {
	struct pending pend[FETCH_MAX_PENDING];
	uint32_t pend_next;      /* ring position for the next query */
	uint32_t n_pend;         /* slots filled so far (the ring fills from 0): only these
	                            are searched, the rest is never touched */
	struct addr_ent addrs[FETCH_MAX_ADDRS];
	uint32_t addr_next;      /* ring position for the next address */
	uint32_t next_res;       /* next resolution number */
	struct fetch_rec fetches[FETCH_MAX_FETCHES]; /* indexed by id % FETCH_MAX_FETCHES */
	uint32_t next_fetch;     /* next fetch number */
	uint64_t n_unanswered;   /* queries pushed out of the ring unanswered */
	struct dns_name chain[DNS_MAX_RR + 1]; /* scratch: names of one CNAME chain */
	struct ovf_slot *ovf[(FETCH_OVF_MAX + FETCH_OVF_CHUNK - 1) / FETCH_OVF_CHUNK];
	uint32_t n_ovf;          /* overflow slots allocated (whole chunks) */
	uint32_t ovf_free;       /* free overflow slots: slot + 1, 0 none */
	struct dns_name tmp;     /* scratch: an inline name as a struct dns_name */
	struct dns_name out_name, out_cname; /* fetch_connect's answer (until the next call) */
	struct dns_name ret_name;            /* fetch_name's answer (until the next call) */
	struct dns_name sni;                 /* scratch: fetch_sni's name */
	struct dns_name px_name;             /* fetch_proxy's answer (until the next call) */
};

/* ------------------------------------------------------------------ */
/* names                                                               */
/* ------------------------------------------------------------------ */

static struct ovf_slot *ovf_at(const struct fetch_linker *fl, uint32_t i1)
{
	return &fl->ovf[(i1 - 1) / FETCH_OVF_CHUNK][(i1 - 1) % FETCH_OVF_CHUNK];
}

/* A free overflow slot (slot + 1), a new chunk of them if need be; 0 when
 * memory cannot be had. */
static uint32_t ovf_get(struct fetch_linker *fl)
{
	if (!fl->ovf_free) {
		if (fl->n_ovf >= FETCH_OVF_MAX)
			return 0; /* cannot be: one slot per holder at most */
		struct ovf_slot *ch = malloc(FETCH_OVF_CHUNK * sizeof(*ch));
		if (!ch)
			return 0;
		fl->ovf[fl->n_ovf / FETCH_OVF_CHUNK] = ch;
		for (uint32_t k = FETCH_OVF_CHUNK; k-- > 0;) {
			ch[k].refs = 0;
			ch[k].next_free = fl->ovf_free;
			fl->ovf_free = fl->n_ovf + k + 1;
		}
		fl->n_ovf += FETCH_OVF_CHUNK;
	}
	uint32_t i1 = fl->ovf_free;
	fl->ovf_free = ovf_at(fl, i1)->next_free;
	return i1;
}

/* f holds no name any more. */
static void fname_clear(struct fetch_linker *fl, struct fname *f)
{
	if (f->ovf) {
		struct ovf_slot *o = ovf_at(fl, f->ovf);
		if (--o->refs == 0) {
			o->next_free = fl->ovf_free;
			fl->ovf_free = f->ovf;
		}
	}
	f->len = 0;
	f->ovf = 0;
}

/* f takes the name src (NULL or len 0: none).  Out of memory for a long
 * name, it keeps none, as an address learnt without DNS. */
static void fname_set(struct fetch_linker *fl, struct fname *f, const struct dns_name *src)
{
	fname_clear(fl, f);
	if (!src || src->len == 0 || src->len >= DNS_NAME_TEXT_MAX)
		return;
	if (src->len <= FNAME_INLINE) {
		memcpy(f->inl, src->text, src->len);
	} else {
		uint32_t i1 = ovf_get(fl);
		if (!i1)
			return;
		struct ovf_slot *o = ovf_at(fl, i1);
		o->refs = 1;
		o->name.len = src->len;
		memcpy(o->name.text, src->text, src->len);
		o->name.text[src->len] = '\0';
		f->ovf = i1;
	}
	f->len = src->len;
}

/* f takes the name g holds. */
static void fname_copy(struct fetch_linker *fl, struct fname *f, const struct fname *g)
{
	if (f == g)
		return;
	fname_clear(fl, f);
	*f = *g;
	if (g->ovf)
		ovf_at(fl, g->ovf)->refs++;
}

/* The name f holds as a struct dns_name, written to *out. */
static const struct dns_name *fname_get(const struct fetch_linker *fl, const struct fname *f,
					struct dns_name *out)
{
	if (f->ovf) {
		const struct dns_name *n = &ovf_at(fl, f->ovf)->name;
		out->len = n->len;
		memcpy(out->text, n->text, (size_t)n->len + 1);
	} else {
		out->len = f->len;
		memcpy(out->text, f->inl, f->len);
		out->text[f->len] = '\0';
	}
	return out;
}

/* Does f hold the name x (DNS names compare without case)? */
static bool fname_eq(struct fetch_linker *fl, const struct fname *f, const struct dns_name *x)
{
	if (f->len != x->len)
		return false;
	if (f->ovf)
		return dns_name_equal(&ovf_at(fl, f->ovf)->name, x);
	return dns_name_equal(fname_get(fl, f, &fl->tmp), x);
}

struct fetch_linker *fetch_open(void)
{
	struct fetch_linker *fl = calloc(1, sizeof(*fl));
	if (!fl)
		return NULL;
	fl->next_res = 1;
	fl->next_fetch = 1;
	return fl;
}

void fetch_close(struct fetch_linker *fl)
{
	if (!fl)
		return;
	for (uint32_t k = 0; k < fl->n_ovf / FETCH_OVF_CHUNK; k++)
		free(fl->ovf[k]);
	free(fl);
}

/*
 * The addresses of one resolution form a circle through rnext/rprev, so a
 * new fetch marks them all by walking it instead of scanning the ring (and
 * faulting in every page of it on a 16-packet capture).  Every address with
 * a given res is in its circle: a resolution's first address starts one, the
 * others join the address they were found with (addr_link).
 */
static void addr_link(struct fetch_linker *fl, uint32_t i, uint32_t peer)
{
	struct addr_ent *a = &fl->addrs[i];
	if (peer == NO_ADDR) {
		a->rnext = a->rprev = i;
		return;
	}
	struct addr_ent *p = &fl->addrs[peer];
	a->rprev = peer;
	a->rnext = p->rnext;
	fl->addrs[p->rnext].rprev = i;
	p->rnext = i;
}

/* The ring's next slot, the address it held (if any) out of its circle;
 * *peer (a member of the circle a new address joins) stays one. */
static uint32_t addr_take(struct fetch_linker *fl, uint32_t *peer)
{
	uint32_t i = fl->addr_next;
	fl->addr_next = (i + 1) % FETCH_MAX_ADDRS;
	struct addr_ent *a = &fl->addrs[i];
	if (a->used) {
		uint32_t nx = a->rnext;
		fl->addrs[a->rprev].rnext = a->rnext;
		fl->addrs[a->rnext].rprev = a->rprev;
		if (peer && *peer == i)
			*peer = nx != i ? nx : NO_ADDR;
	}
	return i;
}

void fetch_dns_query(struct fetch_linker *fl, const struct pkt *p, const struct dns_msg *m)
{
	struct pending *q = &fl->pend[fl->pend_next];
	fl->pend_next = (fl->pend_next + 1) % FETCH_MAX_PENDING;
	if (fl->n_pend < FETCH_MAX_PENDING)
		fl->n_pend++;
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
	for (uint32_t k = 0; k < fl->n_pend; k++) {
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
	uint32_t res = 0, fetch_id = 0, peer = NO_ADDR;
	for (uint32_t k = 0; k < FETCH_MAX_ADDRS; k++) {
		uint32_t ai = (fl->addr_next + FETCH_MAX_ADDRS - 1 - k) % FETCH_MAX_ADDRS;
		const struct addr_ent *a = &fl->addrs[ai];
		if (!a->used || p->ts_us - a->ts > FETCH_SAME_RES_US)
			break;
		if (a->name.len && !memcmp(a->querier, p->dst, 16) && fname_eq(fl, &a->name, &m->qname)) {
			res = a->res;
			fetch_id = a->fetch_id;
			peer = ai;
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
		uint32_t ai = addr_take(fl, &peer);
		struct addr_ent *a = &fl->addrs[ai];
		memset(a, 0, offsetof(struct addr_ent, name)); /* the names are set below */
		addr_link(fl, ai, peer);
		peer = ai;
		a->used = true;
		a->ip_ver = rr->type == DNS_T_A ? 4 : 6;
		memcpy(a->addr, rr->addr, rr->type == DNS_T_A ? 4 : 16);
		a->res = res;
		a->fetch_id = fetch_id;
		memcpy(a->querier, p->dst, 16);
		a->dns_id = m->id;
		a->ts = p->ts_us;
		a->query_ts = rt >= 0 ? p->ts_us - rt : 0;
		fname_set(fl, &a->name, &m->qname);
		fname_set(fl, &a->cname, n > 1 ? &fl->chain[n - 1] : NULL);
	}
	return rt;
}

static uint32_t fetch_new(struct fetch_linker *fl, const struct fname *name)
{
	uint32_t id = fl->next_fetch++;
	struct fetch_rec *f = &fl->fetches[id % FETCH_MAX_FETCHES];
	f->id = id;
	f->proxied = false;
	if (name)
		fname_copy(fl, &f->name, name);
	else
		fname_clear(fl, &f->name);
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
		uint32_t hi = addr_take(fl, NULL);
		hit = &fl->addrs[hi];
		memset(hit, 0, offsetof(struct addr_ent, name));
		addr_link(fl, hi, NO_ADDR);
		hit->used = true;
		hit->ip_ver = ip_ver;
		memcpy(hit->addr, srv, 16);
		memcpy(hit->querier, cli, 16);
		hit->res = fl->next_res++;
		fname_clear(fl, &hit->name);
		fname_clear(fl, &hit->cname);
	}
	out->via_dns = hit->name.len > 0;
	if (!hit->fetch_id) {
		uint32_t id = fetch_new(fl, out->via_dns ? &hit->name : NULL);
		/* Every address of the same resolution shares the fetch: its circle
		 * (at most the ring's size). */
		uint32_t first = (uint32_t)(hit - fl->addrs), k = first, n = 0;
		do {
			fl->addrs[k].fetch_id = id;
			k = fl->addrs[k].rnext;
		} while (k != first && ++n < FETCH_MAX_ADDRS);
		out->new_fetch = true;
	}
	out->fetch_id = hit->fetch_id;
	out->name = out->via_dns ? fname_get(fl, &hit->name, &fl->out_name) : NULL;
	out->cname = hit->cname.len ? fname_get(fl, &hit->cname, &fl->out_cname) : NULL;
	out->dns_id = hit->dns_id;
	out->answer_ts = hit->ts;
	out->query_ts = hit->query_ts;
}

bool fetch_sni(struct fetch_linker *fl, uint32_t fetch_id, const char *sni, size_t len)
{
	struct fetch_rec *f = &fl->fetches[fetch_id % FETCH_MAX_FETCHES];
	if (f->id != fetch_id || len == 0 || len >= DNS_NAME_TEXT_MAX)
		return true;
	struct dns_name *n = &fl->sni;
	memcpy(n->text, sni, len);
	n->text[len] = '\0';
	n->len = (uint16_t)len;
	if (f->name.len == 0) {
		fname_set(fl, &f->name, n);
		return true;
	}
	return fname_eq(fl, &f->name, n);
}

/* The newest fetch named `n` through the proxy at px, 0 none (one pass
 * over the fetch records: once per connection that asks another host). */
static uint32_t proxied_find(struct fetch_linker *fl, uint8_t ver, const uint8_t px[16],
			     const struct dns_name *n)
{
	uint32_t best = 0;
	for (uint32_t i = 0; i < FETCH_MAX_FETCHES; i++) {
		const struct fetch_rec *f = &fl->fetches[i];
		if (f->id > best && f->proxied && f->px_ver == ver && !memcmp(f->px, px, 16) &&
		    fname_eq(fl, &f->name, n))
			best = f->id;
	}
	return best;
}

uint32_t fetch_proxy(struct fetch_linker *fl, uint32_t fetch_id, uint8_t ip_ver,
		     const uint8_t px[16], const char *host, size_t len, struct fetch_link *out)
{
	memset(out, 0, sizeof(*out));
	struct fetch_rec *f = &fl->fetches[fetch_id % FETCH_MAX_FETCHES];
	struct dns_name *n = &fl->px_name;
	if (f->id != fetch_id || len == 0 || len >= sizeof(n->text))
		return fetch_id;
	memcpy(n->text, host, len);
	n->text[len] = '\0';
	n->len = (uint16_t)len;
	if (!f->proxied) {
		/* the fetch's first host through a proxy: its name (a DNS name
		 * it had was the proxy's) */
		fname_set(fl, &f->name, n);
		f->proxied = true;
		f->px_ver = ip_ver;
		memcpy(f->px, px, 16);
		return fetch_id;
	}
	if (fname_eq(fl, &f->name, n))
		return fetch_id;
	/* another host through the same proxy: that host's fetch, a new one
	 * the first time it is asked */
	uint32_t id = proxied_find(fl, ip_ver, px, n);
	if (!id) {
		id = fetch_new(fl, NULL);
		struct fetch_rec *g = &fl->fetches[id % FETCH_MAX_FETCHES];
		fname_set(fl, &g->name, n);
		g->proxied = true;
		g->px_ver = ip_ver;
		memcpy(g->px, px, 16);
		out->new_fetch = true;
	}
	out->fetch_id = id;
	out->via_proxy = true;
	out->moved_from = fetch_id;
	out->name = n;
	return id;
}

const struct dns_name *fetch_name(struct fetch_linker *fl, uint32_t fetch_id)
{
	const struct fetch_rec *f = &fl->fetches[fetch_id % FETCH_MAX_FETCHES];
	if (f->id != fetch_id || f->name.len == 0)
		return NULL;
	return fname_get(fl, &f->name, &fl->ret_name);
}

uint64_t fetch_unanswered(const struct fetch_linker *fl)
{
	uint64_t n = fl->n_unanswered;
	for (uint32_t i = 0; i < fl->n_pend; i++)
		n += fl->pend[i].used;
	return n;
}
