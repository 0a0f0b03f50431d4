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
	return t_done("test_dnsnote");
}
