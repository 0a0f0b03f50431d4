/* test_pcapng.c - pcapng writer and block reader: round trips, libpcap read-back, hostile blocks, prefixes.
 *
 * Without arguments: the unit tests.  With arguments it is the helper of tests/pcapng.sh:
 *   test_pcapng multi OUT                 two interfaces (Ethernet, raw IP), comments, a DSB
 *   test_pcapng convert IN OUT [KEYS]     IN (libpcap) to OUT, comment "frame=N", KEYS as a DSB;
 *                                         then OUT read back by libpcap and by the reader, compared
 *   test_pcapng dump IN                   the reader's view of IN, one line a record
 *   test_pcapng secrets IN OUT            every TLS key log DSB of IN, concatenated, into OUT
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcapng.h"
#include "t.h"

#define KEYLOG_TEXT "CLIENT_RANDOM 0001020304050607080910111213141516171819202122232425262728293031 " \
		    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\n"

/* ---------------------------------------------------------------- helpers */

/* The whole of a stream written so far, as malloc'd bytes. */
static uint8_t *slurp(FILE *f, size_t *len)
{
	fflush(f);
	long n = ftell(f);
	uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
	rewind(f);
	*len = fread(p, 1, (size_t)(n > 0 ? n : 0), f);
	return p;
}

/* An Ethernet + IPv4 + UDP frame of n bytes (n >= 42) whose payload bytes count from seed. */
static size_t eth_frame(uint8_t *p, size_t n, uint8_t seed)
{
	memset(p, 0, n);
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	uint8_t *ip = p + 14;
	size_t ip_len = n - 14;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	uint8_t *udp = ip + 20;
	udp[0] = 0x30; udp[1] = 0x39; udp[2] = 0x9c; udp[3] = 0x40; /* 12345 -> 40000 */
	udp[4] = (uint8_t)((ip_len - 20) >> 8);
	udp[5] = (uint8_t)(ip_len - 20);
	for (size_t i = 42; i < n; i++)
		p[i] = (uint8_t)(seed + i);
	return n;
}

/* The test capture: interface 0 Ethernet (snaplen 262144, us), a DSB,
 * interface 1 raw IP (snaplen 1500, ns), four packets, three with comments. */
struct pkt_spec {
	uint32_t if_id;
	uint64_t sec;
	uint32_t frac;
	uint32_t cap_len, wire_len;
	const char *comment;
};

static const struct pkt_spec specs[] = {
	{ 0, 1700000000, 123456, 60, 60, "step=connect call=connect() fetch=1 conn=1 SYN" },
	{ 1, 1700000001, 987654321, 45, 45, "caf\xc3\xa9 \xe2\x86\x92 \"quoted\"" },
	{ 0, 1700000002, 5, 42, 1514, NULL },
	{ 1, 4102444800ull, 999999999, 1500, 9000, "abc" }, /* 2100, a 3-byte comment: padding */
};
#define N_SPECS (sizeof specs / sizeof specs[0])

static int write_multi(FILE *f)
{
	char eb[PCAPNG_ERRBUF_SIZE];
	uint8_t pkt[1600];
	struct pcapng_writer *w = pcapng_writer_open(f, "fetchtrace " FT_VERSION, "Linux", eb);
	if (!w)
		return -1;
	int rc = 0;
	rc |= pcapng_write_idb(w, 1, 262144, "eth0", 6) != 0;
	rc |= pcapng_write_dsb(w, PCAPNG_SECRETS_TLS_KEYLOG, (const uint8_t *)KEYLOG_TEXT,
			       strlen(KEYLOG_TEXT));
	rc |= pcapng_write_idb(w, 101, 1500, "tun0", 9) != 1;
	for (size_t i = 0; i < N_SPECS; i++) {
		const struct pkt_spec *s = &specs[i];
		if (s->if_id == 0) {
			eth_frame(pkt, s->cap_len, (uint8_t)i);
		} else { /* raw IPv4: the Ethernet frame less its header */
			eth_frame(pkt, s->cap_len + 14, (uint8_t)i);
			memmove(pkt, pkt + 14, s->cap_len);
		}
		rc |= pcapng_write_epb(w, s->if_id, s->sec, s->frac, pkt, s->cap_len, s->wire_len,
				       s->comment, s->comment ? strlen(s->comment) : 0);
	}
	rc |= pcapng_writer_close(w);
	return rc ? -1 : 0;
}

/* Read every record; the count of each kind; -1 result kept in *last. */
struct tally {
	unsigned n_pkt, n_sec, n_if;
	int last;
};

static struct tally read_all(struct pcapng_reader *r)
{
	struct tally t = { 0, 0, 0, 0 };
	struct pcapng_rec rec;
	for (unsigned i = 0; i < 100000; i++) {
		t.last = pcapng_next(r, &rec);
		if (t.last != 1)
			break;
		if (rec.kind == PCAPNG_REC_PACKET)
			t.n_pkt++;
		else if (rec.kind == PCAPNG_REC_SECRETS)
			t.n_sec++;
		else
			t.n_if++;
	}
	return t;
}

/* ---------------------------------------------------------------- tests */

static void check_multi(struct pcapng_reader *r)
{
	struct pcapng_rec rec;
	uint8_t pkt[1600];
	CHECK_EQ_INT(pcapng_next(r, &rec), 1);
	CHECK_EQ_INT(rec.kind, PCAPNG_REC_IFACE);
	CHECK_EQ_INT(rec.if_id, 0);
	CHECK_EQ_INT(rec.iface->linktype, 1);
	CHECK_EQ_INT(rec.iface->snaplen, 262144);
	CHECK_EQ_STR(rec.iface->name, "eth0");
	CHECK_EQ_INT(rec.iface->tsresol, 6);
	CHECK_EQ_INT(pcapng_next(r, &rec), 1);
	CHECK_EQ_INT(rec.kind, PCAPNG_REC_SECRETS);
	CHECK_EQ_INT(rec.secrets_type, PCAPNG_SECRETS_TLS_KEYLOG);
	CHECK_EQ_INT(rec.secrets.len, strlen(KEYLOG_TEXT));
	CHECK(rec.secrets.len == strlen(KEYLOG_TEXT) &&
	      memcmp(rec.secrets.p, KEYLOG_TEXT, rec.secrets.len) == 0);
	CHECK_EQ_INT(pcapng_next(r, &rec), 1);
	CHECK_EQ_INT(rec.kind, PCAPNG_REC_IFACE);
	CHECK_EQ_INT(rec.if_id, 1);
	CHECK_EQ_INT(rec.iface->linktype, 101);
	CHECK_EQ_INT(rec.iface->snaplen, 1500);
	CHECK_EQ_STR(rec.iface->name, "tun0");
	CHECK_EQ_INT(rec.iface->tsresol, 9);
	CHECK_EQ_INT(pcapng_n_ifaces(r), 2);
	for (size_t i = 0; i < N_SPECS; i++) {
		const struct pkt_spec *s = &specs[i];
		CHECK_EQ_INT(pcapng_next(r, &rec), 1);
		CHECK_EQ_INT(rec.kind, PCAPNG_REC_PACKET);
		CHECK_EQ_INT(rec.block_type, PCAPNG_BT_EPB);
		CHECK_EQ_INT(rec.if_id, s->if_id);
		CHECK_EQ_INT(rec.iface->linktype, s->if_id ? 101 : 1);
		CHECK_EQ_INT(rec.has_ts, 1);
		CHECK_EQ_INT(rec.ts_sec, (int64_t)s->sec);
		CHECK_EQ_INT(rec.ts_nsec, s->if_id ? s->frac : s->frac * 1000);
		CHECK_EQ_INT(rec.ts_usec, (int64_t)s->sec * 1000000 + (s->if_id ? s->frac / 1000 : s->frac));
		CHECK_EQ_INT(rec.cap_len, s->cap_len);
		CHECK_EQ_INT(rec.wire_len, s->wire_len);
		if (s->if_id == 0) {
			eth_frame(pkt, s->cap_len, (uint8_t)i);
		} else {
			eth_frame(pkt, s->cap_len + 14, (uint8_t)i);
			memmove(pkt, pkt + 14, s->cap_len);
		}
		CHECK(rec.cap_len == s->cap_len && memcmp(rec.data, pkt, s->cap_len) == 0);
		CHECK_EQ_INT(rec.n_comments, s->comment ? 1 : 0);
		if (s->comment)
			CHECK(rec.comment[0].len == strlen(s->comment) &&
			      memcmp(rec.comment[0].p, s->comment, rec.comment[0].len) == 0);
	}
	CHECK_EQ_INT(pcapng_next(r, &rec), 0);
	CHECK_EQ_INT(pcapng_next(r, &rec), 0);
	struct pcapng_stats st;
	pcapng_get_stats(r, &st);
	CHECK_EQ_INT(st.n_packets, N_SPECS);
	CHECK_EQ_INT(st.n_secrets, 1);
	CHECK_EQ_INT(st.n_sections, 1);
	CHECK_EQ_INT(st.n_skipped, 0);
	CHECK_EQ_INT(st.n_blocks, 4 + N_SPECS);
}

static uint8_t *multi_bytes(size_t *len)
{
	FILE *f = tmpfile();
	CHECK(f != NULL);
	CHECK_EQ_INT(write_multi(f), 0);
	uint8_t *p = slurp(f, len);
	fclose(f);
	return p;
}

static void test_round_trip(void)
{
	char eb[PCAPNG_ERRBUF_SIZE];
	size_t len;
	uint8_t *buf = multi_bytes(&len);
	CHECK(len % 4 == 0 && len > 100);
	struct pcapng_reader *r = pcapng_open_mem(buf, len, eb);
	CHECK(r != NULL);
	check_multi(r);
	pcapng_close(r);

	FILE *f = tmpfile();
	fwrite(buf, 1, len, f);
	rewind(f);
	r = pcapng_open_file(f, eb);
	check_multi(r);
	pcapng_close(r);
	fclose(f);
	free(buf);
}

/* libpcap reads a single-interface file the writer made: same bytes and time stamps. */
static void test_libpcap(unsigned tsresol)
{
	char eb[PCAP_ERRBUF_SIZE > PCAPNG_ERRBUF_SIZE ? PCAP_ERRBUF_SIZE : PCAPNG_ERRBUF_SIZE];
	uint8_t pkt[200];
	FILE *f = tmpfile();
	struct pcapng_writer *w = pcapng_writer_open(f, "fetchtrace test", NULL, eb);
	CHECK(w != NULL);
	CHECK_EQ_INT(pcapng_write_idb(w, 1, 65535, NULL, tsresol), 0);
	for (unsigned i = 0; i < 5; i++) {
		eth_frame(pkt, 60 + i, (uint8_t)i);
		CHECK_EQ_INT(pcapng_write_epb(w, 0, 1600000000 + i, 1000 * i + 7, pkt, 60 + i, 60 + i,
					      "c", i % 2), 0);
	}
	CHECK_EQ_INT(pcapng_writer_close(w), 0);
	rewind(f);
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(
		f, tsresol == 9 ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO, eb);
	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "libpcap: %s\n", eb);
		fclose(f);
		return;
	}
	CHECK_EQ_INT(pcap_datalink(p), 1);
	CHECK_EQ_INT(pcap_snapshot(p), 65535);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned n = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		eth_frame(pkt, 60 + n, (uint8_t)n);
		CHECK_EQ_INT(h->ts.tv_sec, 1600000000 + n);
		CHECK_EQ_INT(h->ts.tv_usec, 1000 * n + 7);
		CHECK_EQ_INT(h->caplen, 60 + n);
		CHECK(h->caplen == 60 + n && memcmp(d, pkt, h->caplen) == 0);
		n++;
	}
	CHECK_EQ_INT(n, 5);
	pcap_close(p); /* closes f */
}

/* Bad arguments: EINVAL, nothing written, not sticky.  A write error: sticky. */
static void test_writer_errors(void)
{
	char eb[PCAPNG_ERRBUF_SIZE];
	uint8_t pkt[64] = { 0 };
	FILE *f = tmpfile();
	struct pcapng_writer *w = pcapng_writer_open(f, "t", NULL, eb);
	long at = ftell(f);
	errno = 0;
	CHECK_EQ_INT(pcapng_write_idb(w, 1, 100, NULL, 7), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(pcapng_write_epb(w, 0, 1, 0, pkt, 10, 10, NULL, 0), -1); /* no interface */
	CHECK_EQ_INT(pcapng_write_idb(w, 1, 32, NULL, 6), 0);
	CHECK_EQ_INT(pcapng_write_epb(w, 0, 1, 0, pkt, 40, 40, NULL, 0), -1); /* over snaplen */
	CHECK_EQ_INT(pcapng_write_epb(w, 0, UINT64_MAX / 1000000, 1000000, pkt, 10, 10, NULL, 0), -1);
	CHECK_EQ_INT(pcapng_write_epb(w, 0, 1, 0, pkt, 20, 10, NULL, 0), -1); /* cap > wire */
	CHECK_EQ_INT(pcapng_write_epb(w, 0, UINT64_MAX / 1000, 0, pkt, 10, 10, NULL, 0), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(pcapng_write_epb(w, 0, 1, 0, pkt, 10, 10, NULL, 0), 0);
	CHECK_EQ_INT(pcapng_writer_close(w), 0);
	fflush(f);
	CHECK(ftell(f) > at);
	fclose(f);

	/* /dev/full: the buffered writes succeed, the flush fails, and the error stays */
	f = fopen("/dev/full", "w");
	if (!f)
		return;
	static char vbuf[256];
	setvbuf(f, vbuf, _IOFBF, sizeof vbuf);
	w = pcapng_writer_open(f, "t", NULL, eb);
	CHECK(w != NULL);
	int failed = 0;
	CHECK_EQ_INT(pcapng_write_idb(w, 1, 0, "x", 6), 0);
	for (int i = 0; i < 20; i++)
		if (pcapng_write_epb(w, 0, 1, 0, pkt, 64, 64, "x", 1) < 0)
			failed++;
	CHECK(failed > 0); /* the 256-byte buffer filled and a write failed */
	errno = 0;
	CHECK_EQ_INT(pcapng_write_dsb(w, PCAPNG_SECRETS_TLS_KEYLOG, pkt, 4), -1);
	CHECK_EQ_INT(errno, ENOSPC);
	errno = 0;
	CHECK_EQ_INT(pcapng_writer_close(w), -1);
	CHECK_EQ_INT(errno, ENOSPC);
	fclose(f);
}

/* Hand-built blocks in either byte order. */
struct bb {
	uint8_t b[4096];
	size_t n;
	int be;
};

static void bb_u8(struct bb *b, uint8_t v) { b->b[b->n++] = v; }
static void bb_u16(struct bb *b, uint16_t v)
{
	if (b->be) { bb_u8(b, (uint8_t)(v >> 8)); bb_u8(b, (uint8_t)v); }
	else { bb_u8(b, (uint8_t)v); bb_u8(b, (uint8_t)(v >> 8)); }
}
static void bb_u32(struct bb *b, uint32_t v)
{
	if (b->be) { bb_u16(b, (uint16_t)(v >> 16)); bb_u16(b, (uint16_t)v); }
	else { bb_u16(b, (uint16_t)v); bb_u16(b, (uint16_t)(v >> 16)); }
}
static void bb_raw(struct bb *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
	while (b->n % 4)
		bb_u8(b, 0);
}
/* A block with body (already padded); returns its offset. */
static size_t bb_block(struct bb *b, uint32_t type, const struct bb *body)
{
	size_t at = b->n;
	bb_u32(b, type);
	bb_u32(b, (uint32_t)(12 + body->n));
	memcpy(b->b + b->n, body->b, body->n);
	b->n += body->n;
	bb_u32(b, (uint32_t)(12 + body->n));
	return at;
}
static void bb_shb(struct bb *b)
{
	struct bb body = { .be = b->be };
	bb_u32(&body, 0x1A2B3C4D);
	bb_u16(&body, 1);
	bb_u16(&body, 0);
	bb_u32(&body, 0xffffffff);
	bb_u32(&body, 0xffffffff);
	bb_block(b, PCAPNG_BT_SHB, &body);
}
static void bb_idb(struct bb *b, uint16_t lt, uint32_t snap, int tsresol, int64_t tsoffset)
{
	struct bb body = { .be = b->be };
	bb_u16(&body, lt);
	bb_u16(&body, 0);
	bb_u32(&body, snap);
	if (tsresol >= 0) {
		bb_u16(&body, 9);
		bb_u16(&body, 1);
		uint8_t v = (uint8_t)tsresol;
		bb_raw(&body, &v, 1);
	}
	if (tsoffset) {
		bb_u16(&body, 14);
		bb_u16(&body, 8);
		uint64_t u = (uint64_t)tsoffset;
		if (b->be) { bb_u32(&body, (uint32_t)(u >> 32)); bb_u32(&body, (uint32_t)u); }
		else { bb_u32(&body, (uint32_t)u); bb_u32(&body, (uint32_t)(u >> 32)); }
	}
	bb_u32(&body, 0);
	bb_block(b, PCAPNG_BT_IDB, &body);
}

/* Big-endian section, SPB, obsolete PB, 2^-n resolution, tsoffset, an unknown block,
 * then a second (little-endian) section whose interfaces start again. */
static void test_hand_built(void)
{
	char eb[PCAPNG_ERRBUF_SIZE];
	struct bb b = { .be = 1 };
	bb_shb(&b);
	bb_idb(&b, 101, 4, 0x80 | 10, 100); /* 2^-10 s, +100 s, snaplen 4 */
	struct bb body = { .be = 1 };
	bb_u32(&body, 10); /* SPB of 10 bytes, cut to the snaplen 4 */
	bb_raw(&body, "\x45\x00\x00\x0a\x01\x02\x03\x04\x05\x06", 10);
	bb_block(&b, PCAPNG_BT_SPB, &body);
	body.n = 0;
	bb_u32(&body, 42); /* unknown type 42 */
	bb_block(&b, 0x2a, &body);
	body.n = 0;
	bb_u16(&body, 0); /* PB: if 0, drops, ts = 3 * 1024 + 512 units, 4 bytes */
	bb_u16(&body, 0);
	bb_u32(&body, 0);
	bb_u32(&body, 3 * 1024 + 512);
	bb_u32(&body, 4);
	bb_u32(&body, 4);
	bb_raw(&body, "\x45\x00\x00\x04", 4);
	bb_u16(&body, 1);
	bb_u16(&body, 2);
	bb_raw(&body, "hi", 2);
	bb_u16(&body, 1);
	bb_u16(&body, 0); /* an empty second comment */
	bb_u32(&body, 0);
	bb_block(&b, PCAPNG_BT_PB, &body);
	/* section 2, little-endian, interface 0 is now Ethernet with 10^-0 resolution */
	struct bb b2 = { .be = 0 };
	bb_shb(&b2);
	bb_idb(&b2, 1, 0, 0, 0);
	body.n = 0;
	body.be = 0;
	bb_u32(&body, 0);
	bb_u32(&body, 0);
	bb_u32(&body, 77);
	bb_u32(&body, 0);
	bb_u32(&body, 0);
	bb_block(&b2, PCAPNG_BT_EPB, &body);
	memcpy(b.b + b.n, b2.b, b2.n);
	b.n += b2.n;

	struct pcapng_reader *r = pcapng_open_mem(b.b, b.n, eb);
	struct pcapng_rec rec;
	CHECK_EQ_INT(pcapng_next(r, &rec), 1);
	CHECK_EQ_INT(rec.kind, PCAPNG_REC_IFACE);
	CHECK_EQ_INT(rec.iface->tsresol, 0x8a);
	CHECK_EQ_INT(rec.iface->tsoffset, 100);
	CHECK_EQ_INT(rec.iface->name_len, 0);
	CHECK_EQ_INT(pcapng_next(r, &rec), 1);
	CHECK_EQ_INT(rec.block_type, PCAPNG_BT_SPB);
	CHECK_EQ_INT(rec.has_ts, 0);
	CHECK_EQ_INT(rec.cap_len, 4);
	CHECK_EQ_INT(rec.wire_len, 10);
	CHECK(memcmp(rec.data, "\x45\x00\x00\x0a", 4) == 0);
	CHECK_EQ_INT(pcapng_next(r, &rec), 1);
	CHECK_EQ_INT(rec.block_type, PCAPNG_BT_PB);
	CHECK_EQ_INT(rec.ts_sec, 103);
	CHECK_EQ_INT(rec.ts_nsec, 500000000);
	CHECK_EQ_INT(rec.ts_usec, 103500000);
	CHECK_EQ_INT(rec.n_comments, 2);
	CHECK(rec.comment[0].len == 2 && memcmp(rec.comment[0].p, "hi", 2) == 0);
	CHECK_EQ_INT(rec.comment[1].len, 0);
	CHECK_EQ_INT(pcapng_next(r, &rec), 1);
	CHECK_EQ_INT(rec.kind, PCAPNG_REC_IFACE);
	CHECK_EQ_INT(rec.section, 1);
	CHECK_EQ_INT(rec.if_id, 0);
	CHECK_EQ_INT(rec.iface->linktype, 1);
	CHECK_EQ_INT(pcapng_next(r, &rec), 1);
	CHECK_EQ_INT(rec.kind, PCAPNG_REC_PACKET);
	CHECK_EQ_INT(rec.section, 1);
	CHECK_EQ_INT(rec.ts_sec, 77);
	CHECK_EQ_INT(rec.cap_len, 0);
	CHECK_EQ_INT(pcapng_next(r, &rec), 0);
	struct pcapng_stats st;
	pcapng_get_stats(r, &st);
	CHECK_EQ_INT(st.n_skipped, 1);
	CHECK_EQ_INT(st.n_sections, 2);
	CHECK_EQ_INT(st.n_packets, 3);
	pcapng_close(r);
}

static void test_ts_convert(void)
{
	int64_t s;
	uint32_t ns;
	pcapng_ts_convert(1234567891, 6, 0, &s, &ns);
	CHECK_EQ_INT(s, 1234);
	CHECK_EQ_INT(ns, 567891000);
	pcapng_ts_convert(1234567891, 9, 0, &s, &ns);
	CHECK_EQ_INT(s, 1);
	CHECK_EQ_INT(ns, 234567891);
	pcapng_ts_convert(1234567891, 12, 0, &s, &ns); /* ps: truncated to ns */
	CHECK_EQ_INT(s, 0);
	CHECK_EQ_INT(ns, 1234567);
	pcapng_ts_convert(UINT64_MAX, 0, 0, &s, &ns); /* seconds past INT64_MAX saturate */
	CHECK_EQ_INT(s, INT64_MAX);
	pcapng_ts_convert(UINT64_MAX, 19, 0, &s, &ns);
	CHECK_EQ_INT(s, 1);
	CHECK_EQ_INT(ns, 844674407);
	pcapng_ts_convert(UINT64_MAX, 25, 0, &s, &ns); /* 10^-25: 1.8e19 units are 1844 ns */
	CHECK_EQ_INT(s, 0);
	CHECK_EQ_INT(ns, 1844);
	pcapng_ts_convert(UINT64_MAX, 127, 0, &s, &ns);
	CHECK_EQ_INT(s, 0);
	CHECK_EQ_INT(ns, 0);
	pcapng_ts_convert(UINT64_MAX, 0x80 | 127, 0, &s, &ns);
	CHECK_EQ_INT(s, 0);
	CHECK_EQ_INT(ns, 0);
	pcapng_ts_convert(UINT64_MAX, 0x80 | 64, 0, &s, &ns); /* just below 1 s */
	CHECK_EQ_INT(s, 0);
	CHECK_EQ_INT(ns, 999999999);
	pcapng_ts_convert(3, 0x80 | 1, 0, &s, &ns);
	CHECK_EQ_INT(s, 1);
	CHECK_EQ_INT(ns, 500000000);
	pcapng_ts_convert(UINT64_MAX, 0x80, INT64_MAX, &s, &ns);
	CHECK_EQ_INT(s, INT64_MAX);
	pcapng_ts_convert(5, 0, INT64_MIN, &s, &ns);
	CHECK_EQ_INT(s, INT64_MIN + 5);
	pcapng_ts_convert(5, 0, -10, &s, &ns);
	CHECK_EQ_INT(s, -5);
}

/* Little-endian host writer: patch the u32 at off. */
static void put32(uint8_t *p, size_t off, uint32_t v) { memcpy(p + off, &v, 4); }

/* mutate(buf) then expect -1 and a message holding want (and "offset"), or `ok` records read. */
static void hostile(const char *name, const uint8_t *good, size_t good_len, size_t at,
		    uint32_t v, const char *want)
{
	char eb[PCAPNG_ERRBUF_SIZE];
	uint8_t *b = malloc(good_len);
	memcpy(b, good, good_len);
	put32(b, at, v);
	struct pcapng_reader *r = pcapng_open_mem(b, good_len, eb);
	struct tally t = read_all(r);
	const char *msg = pcapng_geterr(r);
	if (t.last != -1 || !strstr(msg, want) || !strstr(msg, "offset"))
		fprintf(stderr, "hostile %s: rc %d, message \"%s\", expected \"%s\"\n", name, t.last,
			msg, want);
	CHECK_EQ_INT(t.last, -1);
	CHECK(strstr(msg, want) != NULL && strstr(msg, "offset") != NULL);
	pcapng_close(r);
	/* the same through a file */
	FILE *f = tmpfile();
	fwrite(b, 1, good_len, f);
	rewind(f);
	r = pcapng_open_file(f, eb);
	t = read_all(r);
	CHECK_EQ_INT(t.last, -1);
	CHECK(strstr(pcapng_geterr(r), want) != NULL);
	pcapng_close(r);
	fclose(f);
	free(b);
}

static void test_hostile(void)
{
	size_t len;
	uint8_t *g = multi_bytes(&len);
	/* the layout: SHB at 0 */
	uint32_t shb_len, idb_len, dsb_len;
	memcpy(&shb_len, g + 4, 4);
	memcpy(&idb_len, g + shb_len + 4, 4);
	size_t dsb = shb_len + idb_len;
	memcpy(&dsb_len, g + dsb + 4, 4);
	uint32_t idb1_len;
	memcpy(&idb1_len, g + dsb + dsb_len + 4, 4);
	size_t epb = dsb + dsb_len + idb1_len;
	hostile("zero-length", g, len, shb_len + 4, 0, "below 12");
	hostile("length-8", g, len, shb_len + 4, 8, "below 12");
	hostile("odd-length", g, len, shb_len + 4, idb_len + 2, "multiple of 4");
	hostile("overrun", g, len, shb_len + 4, 0x7ffffff0, "past the end of the file");
	hostile("overrun-by-4", g, len, shb_len + 4, (uint32_t)(len - shb_len + 4), "past the end");
	hostile("trailer", g, len, shb_len + idb_len - 4, idb_len + 4, "trailing length");
	hostile("dsb-larger-than-file", g, len, dsb + 12, 1u << 20, "runs past the block");
	hostile("dsb-over-cap", g, len, dsb + 12, 0x7fffffff, "exceeds the");
	hostile("dsb-block-larger-than-file", g, len, dsb + 4, 64u << 20, "past the end of the file");
	hostile("epb-iface", g, len, epb + 8, 2, "interface 2 of 2");
	hostile("epb-caplen", g, len, epb + 20, 1000, "captured length 1000");
	hostile("epb-caplen-huge", g, len, epb + 20, 0xfffffffd, "captured length");
	/* the comment option of the first EPB: after 20 + 60 data bytes */
	hostile("option-overrun", g, len, epb + 8 + 20 + 60, 1 | 0x200u << 16, "option 1 of length 512");
	hostile("not-pcapng", g, len, 0, 0xd4c3b2a1, "not a pcapng file");
	hostile("magic", g, len, 8, 0x11223344, "byte-order magic");
	hostile("version", g, len, 12, 2, "version 2.0");
	hostile("idb-tsresol-len", g, len, shb_len + 8 + 8 + 8 + 2, 2, "if_tsresol of length 2");

	/* an unknown block type in place of the DSB: skipped and counted */
	char eb[PCAPNG_ERRBUF_SIZE];
	uint8_t *b = malloc(len);
	memcpy(b, g, len);
	put32(b, dsb, 0x80000001u);
	struct pcapng_reader *r = pcapng_open_mem(b, len, eb);
	struct tally t = read_all(r);
	CHECK_EQ_INT(t.last, 0);
	CHECK_EQ_INT(t.n_sec, 0);
	CHECK_EQ_INT(t.n_pkt, N_SPECS);
	struct pcapng_stats st;
	pcapng_get_stats(r, &st);
	CHECK_EQ_INT(st.n_skipped, 1);
	pcapng_close(r);
	free(b);
	free(g);
}

/* Every strict prefix: a clean end exactly at a block boundary, otherwise an error. */
static void test_prefixes(void)
{
	char eb[PCAPNG_ERRBUF_SIZE];
	size_t len;
	uint8_t *g = multi_bytes(&len);
	unsigned bad = 0;
	for (size_t n = 0; n < len; n++) {
		/* is n a block boundary (after the SHB)? */
		int boundary = 0;
		for (size_t at = 0; at < len;) {
			uint32_t bl;
			memcpy(&bl, g + at + 4, 4);
			at += bl;
			if (at == n)
				boundary = 1;
		}
		uint8_t *p = malloc(n ? n : 1); /* exactly n bytes: ASan sees any overread */
		memcpy(p, g, n);
		struct pcapng_reader *r = pcapng_open_mem(p, n, eb);
		struct tally t = read_all(r);
		if (t.last != (boundary ? 0 : -1))
			bad++;
		pcapng_close(r);
		FILE *f = tmpfile();
		fwrite(p, 1, n, f);
		rewind(f);
		r = pcapng_open_file(f, eb);
		struct tally t2 = read_all(r);
		if (t2.last != t.last || t2.n_pkt != t.n_pkt)
			bad++;
		pcapng_close(r);
		fclose(f);
		free(p);
	}
	CHECK_EQ_INT(bad, 0);
	free(g);
}

/* ---------------------------------------------------------------- tool modes */

static int mode_multi(const char *out)
{
	FILE *f = fopen(out, "wb");
	if (!f || write_multi(f) != 0 || fclose(f) != 0) {
		fprintf(stderr, "multi: %s: %s\n", out, strerror(errno));
		return 1;
	}
	return 0;
}

/* libpcap 1.10 hands classic pcap's unsigned 32-bit seconds over as a signed 32-bit
 * value (2^31 s and later come out negative): take them back as unsigned. */
static uint64_t pcap_sec(time_t t) { return t < 0 ? (uint32_t)t : (uint64_t)t; }

static int mode_convert(const char *in, const char *out, const char *keys)
{
	char eb[PCAP_ERRBUF_SIZE > PCAPNG_ERRBUF_SIZE ? PCAP_ERRBUF_SIZE : PCAPNG_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(in, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p) {
		fprintf(stderr, "convert: %s\n", eb);
		return 1;
	}
	FILE *f = fopen(out, "wb");
	struct pcapng_writer *w = f ? pcapng_writer_open(f, "fetchtrace " FT_VERSION, NULL, eb) : NULL;
	if (!w) {
		fprintf(stderr, "convert: %s: %s\n", out, f ? eb : strerror(errno));
		return 1;
	}
	int rc = 0;
	int snap = pcap_snapshot(p);
	if (keys) {
		static uint8_t kb[1 << 20];
		FILE *k = fopen(keys, "rb");
		size_t kn = k ? fread(kb, 1, sizeof kb, k) : 0;
		if (k)
			fclose(k);
		rc |= pcapng_write_dsb(w, PCAPNG_SECRETS_TLS_KEYLOG, kb, kn);
	}
	rc |= pcapng_write_idb(w, (uint16_t)pcap_datalink(p), snap > 0 ? (uint32_t)snap : 0, "in", 9) != 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned n = 0;
	char c[32];
	int nx;
	while (rc == 0 && (nx = pcap_next_ex(p, &h, &d)) != PCAP_ERROR_BREAK) {
		if (nx != 1) { /* e.g. interfaces of several link types (multi-iface.pcapng) */
			fprintf(stderr, "convert: %s: libpcap: %s\n", in, pcap_geterr(p));
			pcapng_writer_close(w);
			fclose(f);
			pcap_close(p);
			return 3;
		}
		n++;
		int cl = snprintf(c, sizeof c, "frame=%u", n);
		if (pcap_sec(h->ts.tv_sec) > UINT64_MAX / 1000000000u - 1) {
			fprintf(stderr, "convert: %s: packet %u: time stamp %lld s is beyond 64-bit "
				"nanoseconds\n", in, n, (long long)h->ts.tv_sec);
			pcapng_writer_close(w);
			fclose(f);
			pcap_close(p);
			return 3;
		}
		rc |= pcapng_write_epb(w, 0, pcap_sec(h->ts.tv_sec), (uint32_t)h->ts.tv_usec, d, h->caplen,
				       h->len, c, (size_t)cl);
	}
	rc |= pcapng_writer_close(w);
	rc |= fclose(f);
	if (rc) {
		fprintf(stderr, "convert: %s: write failed: %s\n", out, strerror(errno));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);

	/* read both back: libpcap on IN, libpcap and the reader on OUT, packet by packet */
	pcap_t *a = pcap_open_offline_with_tstamp_precision(in, PCAP_TSTAMP_PRECISION_NANO, eb);
	pcap_t *b = pcap_open_offline_with_tstamp_precision(out, PCAP_TSTAMP_PRECISION_NANO, eb);
	FILE *rf = fopen(out, "rb");
	struct pcapng_reader *r = rf ? pcapng_open_file(rf, eb) : NULL;
	if (!a || !b || !r) {
		fprintf(stderr, "convert: reading back %s: %s\n", out, eb);
		return 1;
	}
	struct pcapng_rec rec;
	unsigned m = 0, bad = 0, n_sec = 0;
	if (pcap_snapshot(a) != pcap_snapshot(b) || pcap_datalink(a) != pcap_datalink(b)) {
		fprintf(stderr, "convert: %s: snaplen or link type differs\n", out);
		bad++;
	}
	for (;;) {
		struct pcap_pkthdr *ha, *hb;
		const u_char *da, *db;
		int ra = pcap_next_ex(a, &ha, &da), rb = pcap_next_ex(b, &hb, &db);
		int rr;
		while ((rr = pcapng_next(r, &rec)) == 1 && rec.kind != PCAPNG_REC_PACKET)
			n_sec += rec.kind == PCAPNG_REC_SECRETS;
		if (ra != 1 || rb != 1 || rr != 1) {
			if (ra != rb || rr != 0)
				bad++;
			break;
		}
		m++;
		char want[32];
		snprintf(want, sizeof want, "frame=%u", m);
		if (pcap_sec(ha->ts.tv_sec) != pcap_sec(hb->ts.tv_sec) || ha->ts.tv_usec != hb->ts.tv_usec ||
		    ha->caplen != hb->caplen || ha->len != hb->len ||
		    memcmp(da, db, ha->caplen) != 0 || (uint64_t)rec.ts_sec != pcap_sec(ha->ts.tv_sec) ||
		    rec.ts_nsec != (uint32_t)ha->ts.tv_usec || rec.cap_len != ha->caplen ||
		    rec.wire_len != ha->len || memcmp(rec.data, da, ha->caplen) != 0 ||
		    rec.n_comments != 1 || rec.comment[0].len != strlen(want) ||
		    memcmp(rec.comment[0].p, want, strlen(want)) != 0) {
			if (bad++ < 3)
				fprintf(stderr, "convert: %s: packet %u differs\n", out, m);
		}
	}
	if (r && pcapng_geterr(r)[0])
		fprintf(stderr, "convert: %s\n", pcapng_geterr(r));
	if (m != n || (keys && n_sec != 1))
		bad++;
	pcap_close(a);
	pcap_close(b);
	pcapng_close(r);
	fclose(rf);
	printf("%s: %u packets, %s\n", in, m, bad ? "DIFFER" : "identical");
	return bad ? 1 : 0;
}

static void print_bytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		putchar(p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' ? p[i] : '.');
}

static int mode_dump(const char *in)
{
	char eb[PCAPNG_ERRBUF_SIZE];
	FILE *f = fopen(in, "rb");
	struct pcapng_reader *r = f ? pcapng_open_file(f, eb) : NULL;
	if (!r) {
		fprintf(stderr, "dump: %s: %s\n", in, f ? eb : strerror(errno));
		return 1;
	}
	struct pcapng_rec rec;
	int rc;
	while ((rc = pcapng_next(r, &rec)) == 1) {
		if (rec.kind == PCAPNG_REC_IFACE) {
			printf("iface %u linktype %u snaplen %u tsresol %u name ", rec.if_id,
			       rec.iface->linktype, rec.iface->snaplen, rec.iface->tsresol);
			print_bytes((const uint8_t *)rec.iface->name, rec.iface->name_len);
			putchar('\n');
		} else if (rec.kind == PCAPNG_REC_SECRETS) {
			printf("secrets 0x%08x %zu bytes: ", rec.secrets_type, rec.secrets.len);
			print_bytes(rec.secrets.p, rec.secrets.len < 40 ? rec.secrets.len : 40);
			putchar('\n');
		} else {
			printf("packet if %u ts %" PRId64 ".%09u len %u/%u", rec.if_id, rec.ts_sec,
			       rec.ts_nsec, rec.cap_len, rec.wire_len);
			for (unsigned i = 0; i < rec.n_comments; i++) {
				printf(" comment=");
				print_bytes(rec.comment[i].p, rec.comment[i].len);
			}
			putchar('\n');
		}
	}
	struct pcapng_stats st;
	pcapng_get_stats(r, &st);
	printf("end %d: %" PRIu64 " packets, %" PRIu64 " secrets, %" PRIu64 " skipped%s%s\n", rc,
	       st.n_packets, st.n_secrets, st.n_skipped, rc < 0 ? ": " : "", rc < 0 ? pcapng_geterr(r) : "");
	pcapng_close(r);
	fclose(f);
	return rc < 0 ? 1 : 0;
}

static int mode_secrets(const char *in, const char *out)
{
	char eb[PCAPNG_ERRBUF_SIZE];
	FILE *f = fopen(in, "rb");
	struct pcapng_reader *r = f ? pcapng_open_file(f, eb) : NULL;
	FILE *o = fopen(out, "wb");
	if (!r || !o) {
		fprintf(stderr, "secrets: %s\n", r ? strerror(errno) : f ? eb : strerror(errno));
		return 1;
	}
	struct pcapng_rec rec;
	int rc;
	while ((rc = pcapng_next(r, &rec)) == 1)
		if (rec.kind == PCAPNG_REC_SECRETS && rec.secrets_type == PCAPNG_SECRETS_TLS_KEYLOG)
			fwrite(rec.secrets.p, 1, rec.secrets.len, o);
	if (rc < 0)
		fprintf(stderr, "secrets: %s\n", pcapng_geterr(r));
	pcapng_close(r);
	fclose(f);
	return fclose(o) != 0 || rc < 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "secrets") == 0)
		return mode_secrets(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "multi") == 0)
		return mode_multi(argv[2]);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "convert") == 0)
		return mode_convert(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (argc == 3 && strcmp(argv[1], "dump") == 0)
		return mode_dump(argv[2]);
	test_round_trip();
	test_libpcap(6);
	test_libpcap(9);
	test_writer_errors();
	test_hand_built();
	test_ts_convert();
	test_hostile();
	test_prefixes();
	return t_done("test_pcapng");
}
