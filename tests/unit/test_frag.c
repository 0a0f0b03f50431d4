/* test_frag.c - IPv4/IPv6 fragment reassembly: order, duplicates, overlaps, tiny first
 * fragments, timeouts, caps, snap cuts; every packet decoded by pkt_decode first, as the
 * tracer does. */
#include <stdlib.h>
#include <string.h>

#include "frag.h"
#include "pkt.h"
#include "t.h"

#define DLT_RAW_IP 12

/* The datagram the fragments carry: a UDP header (5353 > 53, length 8 + PL) then PL bytes. */
#define PL 3000
static uint8_t dgram[8 + PL];

static void dgram_make(uint16_t sport, uint16_t dport)
{
	dgram[0] = (uint8_t)(sport >> 8), dgram[1] = (uint8_t)sport;
	dgram[2] = (uint8_t)(dport >> 8), dgram[3] = (uint8_t)dport;
	dgram[4] = (uint8_t)((8 + PL) >> 8), dgram[5] = (uint8_t)(8 + PL);
	dgram[6] = dgram[7] = 0;
	for (unsigned i = 0; i < PL; i++)
		dgram[8 + i] = (uint8_t)(i * 7 + 1);
	/* a DNS header: id 0xbeef, QR set */
	dgram[8] = 0xbe, dgram[9] = 0xef, dgram[10] = 0x84;
}

static uint8_t pktbuf[70000];

/* IPv4 fragment of dgram: data [off, off + len), proto p, id, MF. Returns its length. */
static size_t v4_frag(uint16_t id, uint8_t proto, uint32_t off, uint32_t len, int mf,
		      const uint8_t *src)
{
	uint8_t *b = pktbuf;
	uint32_t tot = 20 + len;
	memset(b, 0, 20);
	b[0] = 0x45;
	b[2] = (uint8_t)(tot >> 8), b[3] = (uint8_t)tot;
	b[4] = (uint8_t)(id >> 8), b[5] = (uint8_t)id;
	uint16_t fo = (uint16_t)((off / 8) | (mf ? 0x2000 : 0));
	b[6] = (uint8_t)(fo >> 8), b[7] = (uint8_t)fo;
	b[8] = 64, b[9] = proto;
	b[12] = 10, b[13] = 0, b[14] = 0, b[15] = 53;
	b[16] = 10, b[17] = 0, b[18] = 0, b[19] = 2;
	memcpy(b + 20, src + off, len);
	return tot;
}

/* IPv6 fragment: fixed header, Fragment header (next header 17), data. */
static size_t v6_frag(uint32_t id, uint32_t off, uint32_t len, int m, const uint8_t *src)
{
	uint8_t *b = pktbuf;
	uint32_t plen = 8 + len;
	memset(b, 0, 48);
	b[0] = 0x60;
	b[4] = (uint8_t)(plen >> 8), b[5] = (uint8_t)plen;
	b[6] = 44, b[7] = 64;
	b[8] = 0xfd, b[23] = 0x53;
	b[24] = 0xfd, b[39] = 0x02;
	b[40] = 17;
	uint16_t fo = (uint16_t)(off | (m ? 1 : 0)); /* off is a multiple of 8: << 3 of off/8 */
	b[42] = (uint8_t)(fo >> 8), b[43] = (uint8_t)fo;
	b[44] = (uint8_t)(id >> 24), b[45] = (uint8_t)(id >> 16), b[46] = (uint8_t)(id >> 8),
	b[47] = (uint8_t)id;
	memcpy(b + 48, src + off, len);
	return 48 + len;
}

static struct pkt P;
static uint8_t big[65536];

/* Decode as the tracer does and hand to frag_add; cap_len may cut the packet. */
static enum frag_verdict feed(struct frag_table *ft, size_t len, size_t cap, int64_t ts,
			      struct frag_out *o)
{
	pkt_decode(DLT_RAW_IP, pktbuf, (uint32_t)cap, (uint32_t)len, ts, &P);
	CHECK(P.frag);
	return frag_add(ft, &P, pktbuf + P.l3_off, cap - P.l3_off, o);
}

static void check_done_v4(const struct frag_out *o)
{
	struct pkt q;
	CHECK_EQ_INT(o->verdict, FRAG_DONE);
	CHECK_EQ_INT(o->dgram_len, 20 + 8 + PL);
	pkt_decode(DLT_RAW_IP, o->dgram, o->dgram_len, o->dgram_len, 0, &q);
	CHECK_EQ_INT(q.status, FT_OK);
	CHECK_EQ_INT(q.layer, LAYER_DONE);
	CHECK(!q.frag);
	CHECK_EQ_INT(q.sport, 5353);
	CHECK_EQ_INT(q.dport, 53);
	CHECK_EQ_INT(q.pl_len, PL);
	CHECK_EQ_INT(q.pl_cap, PL);
	CHECK(q.pl && memcmp(q.pl, dgram + 8, PL) == 0);
}

static void test_v4_in_order(void)
{
	struct frag_table *ft = frag_open();
	struct frag_out o;
	struct frag_stats st;
	CHECK_EQ_INT(feed(ft, v4_frag(7, 17, 0, 1480, 1, dgram), 1500, 0, &o), FRAG_HELD);
	CHECK_EQ_INT(o.n_frags, 1);
	CHECK(o.l4 && o.sport == 5353 && o.dport == 53);
	CHECK(o.dns && o.dns_id == 0xbeef && o.dns_qr);
	CHECK_EQ_INT(feed(ft, v4_frag(7, 17, 1480, 1480, 1, dgram), 1500, 1, &o), FRAG_HELD);
	CHECK_EQ_INT(o.held, 2960);
	CHECK_EQ_INT(o.offset, 1480);
	feed(ft, v4_frag(7, 17, 2960, 48, 0, dgram), 68, 2, &o);
	check_done_v4(&o);
	CHECK_EQ_INT(o.n_frags, 3);
	frag_end(ft);
	frag_stats_get(ft, &st);
	CHECK_EQ_INT(st.n_frags, 3);
	CHECK_EQ_INT(st.n_reassembled, 1);
	CHECK_EQ_INT(st.n_incomplete, 0);
	frag_close(ft);
}

static void test_v4_reverse_dup(void)
{
	struct frag_table *ft = frag_open();
	struct frag_out o;
	struct frag_stats st;
	CHECK_EQ_INT(feed(ft, v4_frag(9, 17, 2960, 48, 0, dgram), 68, 0, &o), FRAG_HELD);
	CHECK(!o.l4);
	CHECK_EQ_INT(o.total, 3008);
	CHECK_EQ_INT(feed(ft, v4_frag(9, 17, 1480, 1480, 1, dgram), 1500, 0, &o), FRAG_HELD);
	CHECK_EQ_INT(feed(ft, v4_frag(9, 17, 1480, 1480, 1, dgram), 1500, 0, &o), FRAG_DUP);
	/* another datagram with the same id but another protocol is another datagram */
	CHECK_EQ_INT(feed(ft, v4_frag(9, 6, 0, 1480, 1, dgram), 1500, 0, &o), FRAG_HELD);
	CHECK_EQ_INT(o.n_frags, 1);
	feed(ft, v4_frag(9, 17, 0, 1480, 1, dgram), 1500, 0, &o);
	check_done_v4(&o);
	frag_end(ft);
	frag_stats_get(ft, &st);
	CHECK_EQ_INT(st.n_dup, 1);
	CHECK_EQ_INT(st.n_incomplete, 1);
	frag_close(ft);
}

static void test_overlap(void)
{
	struct frag_table *ft = frag_open();
	struct frag_out o;
	struct frag_stats st;
	CHECK_EQ_INT(feed(ft, v4_frag(1, 17, 0, 1480, 1, dgram), 1500, 0, &o), FRAG_HELD);
	CHECK_EQ_INT(feed(ft, v4_frag(1, 17, 1472, 1480, 1, dgram), 1500, 0, &o), FRAG_DROPPED);
	CHECK(o.bad && o.why && strstr(o.why, "overlap"));
	/* the rest of it is dropped too, and nothing completes */
	CHECK_EQ_INT(feed(ft, v4_frag(1, 17, 2952, 56, 0, dgram), 76, 0, &o), FRAG_DROPPED);
	CHECK(o.why && strstr(o.why, "overlap"));
	/* IPv6 the same (RFC 5722) */
	CHECK_EQ_INT(feed(ft, v6_frag(5, 0, 1232, 1, dgram), 1280, 0, &o), FRAG_HELD);
	CHECK_EQ_INT(feed(ft, v6_frag(5, 1224, 16, 1, dgram), 1280, 0, &o), FRAG_DROPPED);
	CHECK_EQ_INT(feed(ft, v6_frag(5, 1232, 1232, 1, dgram), 1280, 0, &o), FRAG_DROPPED);
	frag_stats_get(ft, &st);
	CHECK_EQ_INT(st.n_bad, 2);
	CHECK_EQ_INT(st.n_reassembled, 0);
	/* after the timeout the id may be used again */
	CHECK_EQ_INT(feed(ft, v4_frag(1, 17, 0, 1480, 1, dgram), 1500, 31000000, &o), FRAG_HELD);
	frag_close(ft);
}

static void test_v6(void)
{
	struct frag_table *ft = frag_open();
	struct frag_out o;
	struct pkt q;
	CHECK_EQ_INT(feed(ft, v6_frag(0x11223344, 1232, 1232, 1, dgram), 1280, 0, &o), FRAG_HELD);
	CHECK_EQ_INT(o.id, 0x11223344);
	CHECK_EQ_INT(feed(ft, v6_frag(0x11223344, 0, 1232, 1, dgram), 1280, 0, &o), FRAG_HELD);
	CHECK(o.dns && o.dns_id == 0xbeef);
	CHECK_EQ_INT(feed(ft, v6_frag(0x11223344, 2464, 8 + PL - 2464, 0, dgram), 1280, 0, &o),
		     FRAG_DONE);
	CHECK_EQ_INT(o.dgram_len, 40 + 8 + PL);
	pkt_decode(DLT_RAW_IP, o.dgram, o.dgram_len, o.dgram_len, 0, &q);
	CHECK_EQ_INT(q.status, FT_OK);
	CHECK_EQ_INT(q.proto, 17);
	CHECK_EQ_INT(q.pl_len, PL);
	CHECK(q.pl && memcmp(q.pl, dgram + 8, PL) == 0);
	frag_close(ft);
}

static void test_bad(void)
{
	struct frag_table *ft = frag_open();
	struct frag_out o;
	/* a TCP first fragment of 8 bytes: the header (20) is cut (RFC 1858) */
	CHECK_EQ_INT(feed(ft, v4_frag(2, 6, 0, 8, 1, dgram), 28, 0, &o), FRAG_DROPPED);
	CHECK(o.why && strstr(o.why, "tiny"));
	/* ping of death: past 65535 */
	CHECK_EQ_INT(feed(ft, v4_frag(3, 17, 65512, 16, 0, big), 36, 0, &o), FRAG_DROPPED);
	CHECK(o.why && strstr(o.why, "65535"));
	/* a middle fragment of 12 bytes */
	CHECK_EQ_INT(feed(ft, v4_frag(4, 17, 8, 12, 1, dgram), 32, 0, &o), FRAG_DROPPED);
	/* cut by the snap length */
	CHECK_EQ_INT(feed(ft, v4_frag(5, 17, 0, 1480, 1, dgram), 1500, 0, &o), FRAG_HELD);
	size_t n = v4_frag(5, 17, 1480, 1480, 1, dgram);
	CHECK_EQ_INT(feed(ft, n, 96, 0, &o), FRAG_DROPPED);
	CHECK(o.why && strstr(o.why, "snap"));
	/* a last fragment that ends before bytes already held */
	CHECK_EQ_INT(feed(ft, v4_frag(6, 17, 1480, 1480, 1, dgram), 1500, 0, &o), FRAG_HELD);
	CHECK_EQ_INT(feed(ft, v4_frag(6, 17, 8, 1000, 0, dgram), 1020, 0, &o), FRAG_DROPPED);
	/* two different ends */
	CHECK_EQ_INT(feed(ft, v4_frag(8, 17, 1480, 16, 0, dgram), 36, 0, &o), FRAG_HELD);
	CHECK_EQ_INT(feed(ft, v4_frag(8, 17, 2000, 16, 0, dgram), 36, 0, &o), FRAG_DROPPED);
	frag_close(ft);
}

static void test_timeout(void)
{
	struct frag_table *ft = frag_open();
	struct frag_out o;
	struct frag_stats st;
	CHECK_EQ_INT(feed(ft, v4_frag(7, 17, 0, 1480, 1, dgram), 1500, 1000000, &o), FRAG_HELD);
	/* a clock that goes back stands still */
	CHECK_EQ_INT(feed(ft, v4_frag(70, 17, 0, 1480, 1, dgram), 1500, 0, &o), FRAG_HELD);
	CHECK_EQ_INT(feed(ft, v4_frag(7, 17, 1480, 1480, 1, dgram), 1500, 31000001, &o), FRAG_HELD);
	CHECK_EQ_INT(o.n_frags, 1); /* a new datagram: the old one timed out */
	frag_stats_get(ft, &st);
	CHECK_EQ_INT(st.n_timeout, 2);
	/* IPv6 waits 60 s */
	CHECK_EQ_INT(feed(ft, v6_frag(9, 0, 1232, 1, dgram), 1280, 40000000, &o), FRAG_HELD);
	CHECK_EQ_INT(feed(ft, v6_frag(9, 1232, 1232, 1, dgram), 1280, 90000000, &o), FRAG_HELD);
	CHECK_EQ_INT(o.n_frags, 2);
	frag_close(ft);
}

static void test_caps(void)
{
	struct frag_table *ft = frag_open();
	struct frag_out o;
	struct frag_stats st;
	/* more datagrams than slots: the oldest are evicted, counted */
	for (unsigned i = 0; i < FRAG_MAX_DGRAMS + 3; i++)
		CHECK_EQ_INT(feed(ft, v4_frag((uint16_t)(100 + i), 17, 0, 1480, 1, dgram), 1500, 0, &o),
			     FRAG_HELD);
	frag_stats_get(ft, &st);
	CHECK_EQ_INT(st.n_overflow, 3);
	CHECK(st.peak_bytes <= FRAG_MEM_CAP);
	/* the last fragment of each near-64 KiB datagram: memory runs out before slots do */
	for (unsigned i = 0; i < FRAG_MAX_DGRAMS; i++) {
		enum frag_verdict v = feed(ft, v4_frag((uint16_t)(1000 + i), 17, 64000, 1000, 0, big),
					   1020, 0, &o);
		CHECK(v == FRAG_HELD || v == FRAG_DROPPED);
	}
	frag_stats_get(ft, &st);
	CHECK(st.peak_bytes <= FRAG_MEM_CAP);
	CHECK(st.n_overflow > 3 + 10);
	/* too many fragments of one datagram */
	struct frag_table *f2 = frag_open();
	unsigned held = 0, dropped = 0;
	for (unsigned i = 0; i < FRAG_MAX_FRAGS + 2; i++) {
		enum frag_verdict v = feed(f2, v4_frag(1, 17, i * 16, 8, 1, big), 28, 0, &o);
		held += v == FRAG_HELD, dropped += v == FRAG_DROPPED;
	}
	CHECK_EQ_INT(held, FRAG_MAX_FRAGS);
	CHECK_EQ_INT(dropped, 2);
	frag_close(f2);
	frag_close(ft);
}

/* Every cut of every fragment: no crash, never DONE from a cut fragment. */
static void test_prefixes(void)
{
	struct frag_table *ft = frag_open();
	struct frag_out o;
	for (uint16_t id = 0; id < 3; id++) {
		size_t n = id == 2 ? v6_frag(id, 1232, 1232, 1, dgram) : v4_frag(id, 17, 1480, 1480, 1, dgram);
		for (size_t cap = 1; cap < n; cap++) {
			pkt_decode(DLT_RAW_IP, pktbuf, (uint32_t)cap, (uint32_t)n, 0, &P);
			if (P.frag && (P.layer > LAYER_IP || P.status == FT_OK))
				CHECK(frag_add(ft, &P, pktbuf + P.l3_off, cap - P.l3_off, &o) != FRAG_DONE);
		}
	}
	frag_close(ft);
}

int main(void)
{
	dgram_make(5353, 53);
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)i;
	test_v4_in_order();
	test_v4_reverse_dup();
	test_overlap();
	test_v6();
	test_bad();
	test_timeout();
	test_caps();
	test_prefixes();
	return t_done("test_frag");
}
