/* test_dnsnote.c - a resolver's walk, message by message: priming, referrals, the
 * authoritative answer, a negative answer, and an answer from the cache. */
#include <string.h>

#include "dnsnote.h"
#include "t.h"

static struct dns_msg m;
static struct pkt p;

static void name(struct dns_name *n, const char *text)
{
	n->len = (uint16_t)strlen(text);
	memcpy(n->text, text, (size_t)n->len + 1);
}

/* A message from server address 10.0.0.<from> asking (qname, qtype). */
static void msg(uint8_t from, bool qr, const char *qname, uint16_t qtype)
{
	memset(&m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	p.ip_ver = 4;
	p.src[0] = 10, p.src[3] = from;
	m.qr = qr;
	m.has_question = true;
	name(&m.qname, qname);
	m.qtype = qtype;
	m.qclass = DNS_C_IN;
}

static struct dns_rr *rr(enum dns_section sec, const char *owner, uint16_t type, uint32_t ttl)
{
	struct dns_rr *r = &m.rr[m.n_rr++];
	memset(r, 0, sizeof(*r));
	r->section = sec;
	name(&r->name, owner);
	r->type = type;
	r->cls = DNS_C_IN;
	r->ttl = ttl;
	if (sec == DNS_SEC_ANSWER)
		m.ancount++;
	else if (sec == DNS_SEC_AUTHORITY)
		m.nscount++;
	else
		m.arcount++;
	return r;
}

static void ns(enum dns_section sec, const char *zone, const char *server)
{
	name(&rr(sec, zone, DNS_T_NS, 86400)->target, server);
}

static void glue(const char *server, uint8_t last)
{
	struct dns_rr *r = rr(DNS_SEC_ADDITIONAL, server, DNS_T_A, 86400);
	r->addr[0] = 10, r->addr[3] = last;
}

/* A query from 10.0.0.10:port (RD set unless rd is false) at t_us, or its response;
 * returns what dnsnote says: the application's own resolver? */
static bool own(struct dns_noter *n, bool qr, uint16_t port, uint16_t id, const char *qname,
		uint16_t qtype, bool rd, int64_t t_us)
{
	struct dns_note out;
	msg(53, qr, qname, qtype);
	p.ts_us = t_us;
	m.id = id;
	m.rd = rd;
	uint8_t *cli = qr ? p.dst : p.src, *srv = qr ? p.src : p.dst;
	memset(cli, 0, 16);
	memset(srv, 0, 16);
	cli[0] = 10, cli[3] = 10;
	srv[0] = 10, srv[3] = 53;
	p.sport = qr ? 53 : port;
	p.dport = qr ? port : 53;
	dnsnote_message(n, &p, &m, &out);
	return out.own_resolver;
}

/* Which resolver sent a query (step_dns_own_resolver with dnsnote's evidence). */
static void own_resolver_tests(void)
{
	struct dns_noter *n = dnsnote_open();
	CHECK(n != NULL);
	if (!n)
		return;
	int64_t t = 1000000;
	/* Chromium's resolver: HTTPS, AAAA, A of one name, a socket each */
	CHECK(own(n, false, 40001, 1, "www.example.com", DNS_T_HTTPS, true, t));
	CHECK(own(n, false, 40002, 2, "WWW.example.com", DNS_T_AAAA, true, t + 10));
	CHECK(own(n, false, 40003, 3, "www.example.com", DNS_T_A, true, t + 20));
	/* the responses take their queries' verdicts (host, port, id) */
	CHECK(own(n, true, 40003, 3, "www.example.com", DNS_T_A, true, t + 30));
	CHECK(own(n, true, 40001, 1, "www.example.com", DNS_T_HTTPS, true, t + 40));
	CHECK(!own(n, true, 40003, 99, "www.example.com", DNS_T_A, true, t + 41)); /* no query */
	/* then getaddrinfo(): A (the same type as the latest: a new lookup) and AAAA from
	 * one port */
	CHECK(!own(n, false, 40004, 4, "www.example.com", DNS_T_A, true, t + 50));
	CHECK(!own(n, false, 40004, 5, "www.example.com", DNS_T_AAAA, true, t + 60));
	CHECK(!own(n, true, 40004, 5, "www.example.com", DNS_T_AAAA, true, t + 70));
	/* another type from another port, but more than STEP_LOOKUP_US later: no evidence */
	CHECK(!own(n, false, 40005, 6, "www.example.com", DNS_T_A,
		   true, t + 60 + STEP_LOOKUP_US + 1));
	/* another name is another lookup */
	CHECK(!own(n, false, 40006, 7, "other.example.com", DNS_T_AAAA, true, t + 2 * STEP_LOOKUP_US));
	/* RD clear: a recursive resolver's own query */
	CHECK(own(n, false, 40007, 8, "other.example.com", DNS_T_A, false, t + 2 * STEP_LOOKUP_US + 1));
	/* an MX: not getaddrinfo()'s */
	CHECK(own(n, false, 40008, 9, "example.com", DNS_T_MX, true, t + 3 * STEP_LOOKUP_US));
	/* the ring is bounded: many more queries, then an old query's response is unknown */
	for (unsigned i = 0; i < DNSNOTE_MAX_QUERIES + 5; i++)
		own(n, false, 41000, (uint16_t)(1000 + i), "x.example.com", DNS_T_A, true,
		    t + 4 * STEP_LOOKUP_US + i);
	CHECK(!own(n, true, 40001, 1, "www.example.com", DNS_T_HTTPS, true, t + 5 * STEP_LOOKUP_US));
	dnsnote_close(n);
}

int main(void)
{
	struct dns_noter *n = dnsnote_open();
	struct dns_note out;
	CHECK(n != NULL);

	/* priming: ". NS" asked, then answered with the root's NS and glue */
	msg(1, false, ".", DNS_T_NS);
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.kind, DNS_NOTE_PRIMING);
	msg(1, true, ".", DNS_T_NS);
	m.aa = true;
	ns(DNS_SEC_ANSWER, ".", "a.root.test");
	glue("a.root.test", 1);
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.kind, DNS_NOTE_ROOT_SERVERS);
	CHECK_EQ_INT(out.n_ns, 1);
	CHECK_EQ_INT(out.n_glue, 1);

	/* the root (10.0.0.1, learnt above) refers to com */
	msg(1, true, "www.example.com", DNS_T_A);
	ns(DNS_SEC_AUTHORITY, "com", "a.gtld.test");
	ns(DNS_SEC_AUTHORITY, "com", "b.gtld.test");
	glue("a.gtld.test", 2);
	glue("b.gtld.test", 3);
	glue("unrelated.test", 9); /* not named by an NS: not glue */
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.kind, DNS_NOTE_REFERRAL);
	CHECK(out.from_known);
	CHECK_EQ_STR(out.from_zone.text, ".");
	CHECK_EQ_STR(out.to_zone.text, "com");
	CHECK_EQ_INT(out.n_ns, 2);
	CHECK_EQ_INT(out.n_glue, 2);

	/* com's second server (10.0.0.3) refers to example.com */
	msg(3, true, "www.example.com", DNS_T_A);
	ns(DNS_SEC_AUTHORITY, "example.com", "ns.example.com");
	glue("ns.example.com", 4);
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.kind, DNS_NOTE_REFERRAL);
	CHECK_EQ_STR(out.from_zone.text, "com");
	CHECK_EQ_STR(out.to_zone.text, "example.com");

	/* an unknown server's referral still is one, from "a server" */
	msg(77, true, "x.org", DNS_T_A);
	ns(DNS_SEC_AUTHORITY, "org", "a.org.test");
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.kind, DNS_NOTE_REFERRAL);
	CHECK(!out.from_known);
	CHECK_EQ_INT(out.n_glue, 0);

	/* example.com's server answers with AA */
	msg(4, true, "www.example.com", DNS_T_A);
	m.aa = true;
	rr(DNS_SEC_ANSWER, "www.example.com", DNS_T_A, 300);
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.kind, DNS_NOTE_AUTHORITATIVE);
	CHECK_EQ_STR(out.from_zone.text, "example.com");

	/* NXDOMAIN with the SOA: cacheable for min(SOA TTL, minimum) */
	msg(4, true, "nope.example.com", DNS_T_A);
	m.aa = true;
	m.rcode = 3;
	struct dns_rr *soa = rr(DNS_SEC_AUTHORITY, "example.com", DNS_T_SOA, 3600);
	soa->minimum = 300;
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.kind, DNS_NOTE_NEGATIVE);
	CHECK_EQ_INT(out.neg_ttl, 300);
	soa->ttl = 60;
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.neg_ttl, 60);
	/* no SOA: a plain NXDOMAIN, no note */
	m.n_rr = 0;
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.kind, DNS_NOTE_NONE);

	/* the resolver (10.0.0.53) answers the client: first TTL 300, then 287 */
	msg(53, true, "www.example.com", DNS_T_A);
	m.rd = m.ra = true;
	rr(DNS_SEC_ANSWER, "www.example.com", DNS_T_A, 300);
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.kind, DNS_NOTE_NONE);
	m.rr[0].ttl = 287;
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.kind, DNS_NOTE_CACHED);
	CHECK_EQ_INT(out.ttl, 287);
	CHECK_EQ_INT(out.ttl_first, 300);
	/* another type of the same name is remembered apart */
	m.qtype = DNS_T_AAAA;
	m.rr[0].type = DNS_T_AAAA;
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.kind, DNS_NOTE_NONE);
	/* a malformed message says nothing */
	m.status = FT_MALFORMED;
	m.rr[0].ttl = 1;
	dnsnote_message(n, &p, &m, &out);
	CHECK_EQ_INT(out.kind, DNS_NOTE_NONE);

	dnsnote_close(n);
	own_resolver_tests();
	return t_done("test_dnsnote");
}
