/* test_fetch.c - the fetch linker: DNS queries to answers (through CNAME chains),
 * answers to connections, one fetch per getaddrinfo(), connections without DNS. */
#include <string.h>

#include "dns.h"
#include "fetch.h"
#include "frames.h"
#include "pkt.h"
#include "t.h"

static const uint8_t CLI[4] = { 192, 0, 2, 10 }, CLI2[4] = { 192, 0, 2, 11 };
static const uint8_t RES[4] = { 192, 0, 2, 53 };
static const uint8_t WWW[4] = { 192, 0, 2, 80 }, OTHER[4] = { 198, 51, 100, 7 };
static const uint8_t WWW6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x80 };

/* A DNS packet between host and the resolver: its endpoints and time. */
static struct pkt dns_pkt(bool query, const uint8_t host[4], uint16_t port, int64_t ts)
{
	struct pkt p;
	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	p.ip_ver = 4;
	p.proto = 17;
	memcpy(query ? p.src : p.dst, host, 4);
	memcpy(query ? p.dst : p.src, RES, 4);
	p.sport = query ? port : 53;
	p.dport = query ? 53 : port;
	return p;
}

static void query(struct fetch_linker *fl, const uint8_t host[4], uint16_t id, const char *name,
		  uint16_t type, int64_t ts)
{
	struct dnsb d;
	struct dns_msg m;
	db_start(&d, id, 0x0100, 0, name, type);
	CHECK_EQ_INT(dns_decode(d.b, d.n, &m), FT_OK);
	struct pkt p = dns_pkt(true, host, (uint16_t)(40000 + id), ts);
	fetch_dns_query(fl, &p, &m);
}

static int64_t answer(struct fetch_linker *fl, const uint8_t host[4], uint16_t id,
		      const struct dnsb *d, int64_t ts)
{
	struct dns_msg m;
	CHECK_EQ_INT(dns_decode(d->b, d->n, &m), FT_OK);
	struct pkt p = dns_pkt(false, host, (uint16_t)(40000 + id), ts);
	return fetch_dns_response(fl, &p, &m);
}

static void connect4(struct fetch_linker *fl, const uint8_t cli[4], const uint8_t srv[4],
		     struct fetch_link *l)
{
	uint8_t c[16] = { 0 }, s[16] = { 0 };
	memcpy(c, cli, 4);
	memcpy(s, srv, 4);
	fetch_connect(fl, 4, c, s, l);
}

static bool name_is(const struct dns_name *n, const char *want)
{
	return n && n->len == strlen(want) && !memcmp(n->text, want, n->len);
}

/* alias.lab.test CNAME cdn.lab.test CNAME www.lab.test A 192.0.2.80: the
 * connection to that address belongs to the name asked for. */
static void test_cname_chain(void)
{
	struct fetch_linker *fl = fetch_open();
	struct dnsb d;
	query(fl, CLI, 1, "alias.lab.test", 1, 1000);
	db_start(&d, 1, 0x8180, 3, "alias.lab.test", 1);
	db_cname(&d, "alias.lab.test", "cdn.lab.test");
	db_cname(&d, "cdn.lab.test", "www.lab.test");
	db_a(&d, "www.lab.test", WWW);
	CHECK_EQ_INT(answer(fl, CLI, 1, &d, 5300), 4300);
	struct fetch_link l;
	connect4(fl, CLI, WWW, &l);
	CHECK_EQ_INT(l.fetch_id, 1);
	CHECK(l.new_fetch);
	CHECK(l.via_dns);
	CHECK(name_is(l.name, "alias.lab.test"));
	CHECK(name_is(l.cname, "www.lab.test"));
	CHECK_EQ_INT(l.dns_id, 1);
	CHECK_EQ_INT(l.query_ts, 1000);
	CHECK_EQ_INT(l.answer_ts, 5300);
	CHECK(name_is(fetch_name(fl, 1), "alias.lab.test"));
	/* a chain out of order in the answer still ends at the address */
	query(fl, CLI, 2, "b.lab.test", 1, 9000);
	db_start(&d, 2, 0x8180, 3, "b.lab.test", 1);
	db_a(&d, "z.lab.test", OTHER);
	db_cname(&d, "y.lab.test", "z.lab.test");
	db_cname(&d, "b.lab.test", "y.lab.test");
	answer(fl, CLI, 2, &d, 9100);
	connect4(fl, CLI, OTHER, &l);
	CHECK_EQ_INT(l.fetch_id, 2);
	CHECK(name_is(l.name, "b.lab.test"));
	CHECK(name_is(l.cname, "z.lab.test"));
	/* a CNAME loop ends, and an address of a name outside the chain is not learnt */
	query(fl, CLI, 3, "loop.lab.test", 1, 10000);
	db_start(&d, 3, 0x8180, 3, "loop.lab.test", 1);
	db_cname(&d, "loop.lab.test", "l2.lab.test");
	db_cname(&d, "l2.lab.test", "loop.lab.test");
	static const uint8_t STRAY[4] = { 203, 0, 113, 9 };
	db_a(&d, "elsewhere.test", STRAY);
	answer(fl, CLI, 3, &d, 10100);
	connect4(fl, CLI, STRAY, &l);
	CHECK(!l.via_dns);
	CHECK(l.name == NULL);
	fetch_close(fl);
}

/* getaddrinfo() asks A and AAAA: both answers are one resolution, so the
 * connections to either address are one fetch. */
static void test_a_aaaa_one_fetch(void)
{
	struct fetch_linker *fl = fetch_open();
	struct dnsb d;
	query(fl, CLI, 10, "www.lab.test", 1, 1000);
	query(fl, CLI, 11, "www.lab.test", 28, 1010);
	db_start(&d, 10, 0x8180, 1, "www.lab.test", 1);
	db_a(&d, "www.lab.test", WWW);
	CHECK_EQ_INT(answer(fl, CLI, 10, &d, 2000), 1000);
	db_start(&d, 11, 0x8180, 1, "www.lab.test", 28);
	db_aaaa(&d, "www.lab.test", WWW6);
	CHECK_EQ_INT(answer(fl, CLI, 11, &d, 2100), 1090);
	struct fetch_link l4, l6;
	uint8_t c6[16] = { 0 };
	memcpy(c6, CLI, 4); /* fetch_connect keys the querier by the 16 address bytes */
	connect4(fl, CLI, WWW, &l4);
	fetch_connect(fl, 6, c6, WWW6, &l6);
	CHECK_EQ_INT(l4.fetch_id, 1);
	CHECK(l4.new_fetch);
	CHECK_EQ_INT(l6.fetch_id, 1);
	CHECK(!l6.new_fetch);
	CHECK(l6.via_dns);
	CHECK_EQ_INT(l6.dns_id, 11);
	/* a second connection to the same address: the same fetch, not a new one */
	struct fetch_link again;
	connect4(fl, CLI, WWW, &again);
	CHECK_EQ_INT(again.fetch_id, 1);
	CHECK(!again.new_fetch);
	/* the same name asked later (beyond one getaddrinfo) is a new fetch */
	query(fl, CLI, 12, "www.lab.test", 1, 9000000);
	db_start(&d, 12, 0x8180, 1, "www.lab.test", 1);
	db_a(&d, "www.lab.test", WWW);
	answer(fl, CLI, 12, &d, 9001000);
	connect4(fl, CLI, WWW, &again);
	CHECK_EQ_INT(again.fetch_id, 2);
	CHECK(again.new_fetch);
	CHECK_EQ_INT(fetch_unanswered(fl), 0);
	fetch_close(fl);
}

/* A connection no answer explains: its own fetch without a name, which the
 * next connection to the address joins; a ClientHello's SNI names it. */
static void test_no_dns(void)
{
	struct fetch_linker *fl = fetch_open();
	struct fetch_link l, l2;
	connect4(fl, CLI, OTHER, &l);
	CHECK_EQ_INT(l.fetch_id, 1);
	CHECK(l.new_fetch);
	CHECK(!l.via_dns);
	CHECK(l.name == NULL && l.cname == NULL);
	CHECK_EQ_INT(l.query_ts, 0);
	CHECK(fetch_name(fl, 1) == NULL);
	connect4(fl, CLI, OTHER, &l2);
	CHECK_EQ_INT(l2.fetch_id, 1);
	CHECK(!l2.new_fetch);
	CHECK(fetch_sni(fl, 1, "example.org", 11));
	CHECK(name_is(fetch_name(fl, 1), "example.org"));
	fetch_close(fl);
}

/* An answer whose query was not seen still links (query time unknown); an
 * NXDOMAIN links nothing; the SNI of a DNS fetch is compared with its name;
 * an answer another host asked for loses to the client's own. */
static void test_edges(void)
{
	struct fetch_linker *fl = fetch_open();
	struct dnsb d;
	db_start(&d, 20, 0x8180, 1, "www.lab.test", 1);
	db_a(&d, "www.lab.test", WWW);
	CHECK_EQ_INT(answer(fl, CLI2, 20, &d, 500), -1);
	query(fl, CLI, 21, "nope.lab.test", 1, 600);
	db_start(&d, 21, 0x8183, 0, "nope.lab.test", 1);
	CHECK_EQ_INT(answer(fl, CLI, 21, &d, 700), 100);
	query(fl, CLI, 22, "mine.lab.test", 1, 800);
	db_start(&d, 22, 0x8180, 1, "mine.lab.test", 1);
	db_a(&d, "mine.lab.test", WWW);
	answer(fl, CLI, 22, &d, 900);
	struct fetch_link l;
	connect4(fl, CLI, WWW, &l);
	CHECK(name_is(l.name, "mine.lab.test"));
	CHECK_EQ_INT(l.query_ts, 800);
	CHECK(!fetch_sni(fl, l.fetch_id, "other.test", 10));
	CHECK(fetch_sni(fl, l.fetch_id, "MINE.lab.test", 13)); /* names compare case-blind */
	connect4(fl, CLI2, WWW, &l);
	CHECK(name_is(l.name, "www.lab.test"));
	CHECK_EQ_INT(l.query_ts, 0);
	/* a response that matches no query's endpoints is not an answer to it */
	query(fl, CLI, 23, "x.lab.test", 1, 1000);
	db_start(&d, 23, 0x8180, 0, "x.lab.test", 1);
	CHECK_EQ_INT(answer(fl, CLI2, 23, &d, 1100), -1);
	CHECK_EQ_INT(fetch_unanswered(fl), 1);
	fetch_close(fl);
}

/* Names longer than the inline part: kept whole (shared, counted), the same
 * as short ones, and given back when their entries are pushed out of the
 * rings (ASan sees a leak or a use after free otherwise). */
static void test_long_names(void)
{
	struct fetch_linker *fl = fetch_open();
	char lname[200], lcname[200];
	/* 30 labels of 2 letters and one of 4: 3 * 30 + 4 = 94 bytes, past the inline 46 */
	size_t n = 0;
	for (int k = 0; k < 30; k++)
		n += (size_t)snprintf(lname + n, sizeof(lname) - n, "a%c.", 'a' + k % 26);
	snprintf(lname + n, sizeof(lname) - n, "test");
	memcpy(lcname, lname, sizeof(lname));
	lcname[0] = 'c';
	struct dnsb d;
	query(fl, CLI, 7, lname, 1, 1000);
	db_start(&d, 7, 0x8180, 2, lname, 1);
	db_cname(&d, lname, lcname);
	db_a(&d, lcname, WWW);
	CHECK(answer(fl, CLI, 7, &d, 1500) == 500);
	struct fetch_link l;
	connect4(fl, CLI, WWW, &l);
	CHECK(l.via_dns && l.new_fetch);
	CHECK(name_is(l.name, lname));
	CHECK(name_is(l.cname, lcname));
	CHECK(name_is(fetch_name(fl, l.fetch_id), lname));
	/* the same name in upper case is the same name (A + AAAA join) */
	char upper[200];
	for (size_t i = 0; i <= strlen(lname); i++)
		upper[i] = lname[i] >= 'a' && lname[i] <= 'z' ? (char)(lname[i] - 32) : lname[i];
	query(fl, CLI, 8, upper, 28, 1600);
	db_start(&d, 8, 0x8180, 1, upper, 28);
	db_aaaa(&d, upper, WWW6);
	answer(fl, CLI, 8, &d, 1700);
	uint8_t c6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
	fetch_connect(fl, 6, c6, WWW6, &l);
	CHECK(!l.new_fetch); /* the A answer's fetch */
	/* 4,200 more long-named answers push every entry out of the rings: the
	 * slots are given back and used again */
	for (uint16_t i = 0; i < 4200; i++) {
		uint8_t a[4] = { 10, (uint8_t)(i >> 8), (uint8_t)i, 1 };
		lname[1] = (char)('a' + i % 26);
		lname[4] = (char)('a' + i / 26 % 26);
		lname[7] = (char)('a' + i / 676 % 26);
		query(fl, CLI, (uint16_t)(100 + i), lname, 1, 2000000 + 10 * i);
		db_start(&d, (uint16_t)(100 + i), 0x8180, 1, lname, 1);
		db_a(&d, lname, a);
		answer(fl, CLI, (uint16_t)(100 + i), &d, 2000001 + 10 * i);
		connect4(fl, CLI, a, &l);
		if (!name_is(l.name, lname))
			CHECK(name_is(l.name, lname));
	}
	CHECK(name_is(fetch_name(fl, l.fetch_id), lname));
	CHECK(fetch_name(fl, 1) == NULL); /* fetch 1 was forgotten */
	fetch_close(fl);
}

/* Through a proxy a fetch is one host: the first host asked names the
 * address's fetch, another host moves the connection to a fetch of its
 * own, a host asked again (case-blind) goes back to its fetch; another
 * proxy asked the same host is another fetch. */
static void test_proxy_hosts(void)
{
	struct fetch_linker *fl = fetch_open();
	struct fetch_link l, m;
	uint8_t px[16] = { 0 }, px2[16] = { 0 };
	memcpy(px, WWW, 4);
	memcpy(px2, OTHER, 4);
	connect4(fl, CLI, WWW, &l);
	CHECK_EQ_INT(l.fetch_id, 1);
	CHECK_EQ_INT(fetch_proxy(fl, 1, 4, px, "a.lab.test", 10, &m), 1);
	CHECK_EQ_INT(m.fetch_id, 0);
	CHECK(name_is(fetch_name(fl, 1), "a.lab.test"));
	CHECK_EQ_INT(fetch_proxy(fl, 1, 4, px, "A.lab.test", 10, &m), 1); /* the same host */
	connect4(fl, CLI, WWW, &l);
	CHECK_EQ_INT(l.fetch_id, 1);
	CHECK_EQ_INT(fetch_proxy(fl, 1, 4, px, "b.lab.test", 10, &m), 2);
	CHECK_EQ_INT(m.fetch_id, 2);
	CHECK(m.new_fetch && m.via_proxy && !m.via_dns);
	CHECK_EQ_INT(m.moved_from, 1);
	CHECK(name_is(m.name, "b.lab.test"));
	CHECK(name_is(fetch_name(fl, 1), "a.lab.test")); /* the first fetch keeps its host */
	CHECK(name_is(fetch_name(fl, 2), "b.lab.test"));
	CHECK_EQ_INT(fetch_proxy(fl, 1, 4, px, "b.lab.test", 10, &m), 2); /* b again: joins 2 */
	CHECK(!m.new_fetch && m.via_proxy);
	CHECK_EQ_INT(fetch_proxy(fl, 2, 4, px, "a.lab.test", 10, &m), 1);
	CHECK_EQ_INT(fetch_proxy(fl, 1, 4, px2, "b.lab.test", 10, &m), 3); /* not that proxy's */
	CHECK_EQ_INT(fetch_proxy(fl, 1, 4, px, "", 0, &m), 1);           /* no host: stays */
	CHECK_EQ_INT(fetch_proxy(fl, 99, 4, px, "c.lab.test", 10, &m), 99); /* no such fetch */
	fetch_close(fl);
}

/* The ring of queries awaiting an answer, before and after it wraps (it is
 * searched only as far as it has been filled): answers match their own
 * query, newest first; a query pushed out of the ring counts unanswered. */
static void test_pending_ring(void)
{
	struct fetch_linker *fl = fetch_open();
	struct dnsb d;
	query(fl, CLI, 1, "a.lab.test", 1, 100);
	query(fl, CLI, 2, "b.lab.test", 1, 200);
	db_start(&d, 1, 0x8180, 0, "a.lab.test", 1);
	CHECK_EQ_INT(answer(fl, CLI, 1, &d, 150), 50);
	CHECK_EQ_INT(answer(fl, CLI, 1, &d, 160), -1); /* answered already */
	CHECK_EQ_INT(fetch_unanswered(fl), 1);
	for (uint32_t i = 0; i < FETCH_MAX_PENDING + 10; i++)
		query(fl, CLI, (uint16_t)(100 + i), "c.lab.test", 1, 1000 + i);
	/* b and the first 10 of the loop's were pushed out; the rest wait */
	CHECK_EQ_INT(fetch_unanswered(fl), FETCH_MAX_PENDING + 11);
	db_start(&d, 2, 0x8180, 0, "b.lab.test", 1);
	CHECK_EQ_INT(answer(fl, CLI, 2, &d, 5000), -1);
	db_start(&d, 105, 0x8180, 0, "c.lab.test", 1);
	CHECK_EQ_INT(answer(fl, CLI, 105, &d, 5000), -1);
	db_start(&d, 110, 0x8180, 0, "c.lab.test", 1);
	CHECK_EQ_INT(answer(fl, CLI, 110, &d, 5000), 5000 - 1010);
	db_start(&d, (uint16_t)(100 + FETCH_MAX_PENDING + 9), 0x8180, 0, "c.lab.test", 1);
	CHECK_EQ_INT(answer(fl, CLI, (uint16_t)(100 + FETCH_MAX_PENDING + 9), &d, 5000),
		     5000 - (1000 + FETCH_MAX_PENDING + 9));
	CHECK_EQ_INT(fetch_unanswered(fl), FETCH_MAX_PENDING + 9);
	fetch_close(fl);
}

int main(void)
{
	test_pending_ring();
	test_cname_chain();
	test_a_aaaa_one_fetch();
	test_no_dns();
	test_edges();
	test_long_names();
	test_proxy_hosts();
	return t_done("test_fetch");
}
