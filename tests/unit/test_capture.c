/* test_capture.c - capture.h's time stamp conversion: microseconds from any
 * seconds and microseconds a capture file may hold, saturated, never an
 * overflow (issue 9: pcapng with if_tsresol 10^0, classic pcap after 2038). */
#include <pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "pcapng.h"
#include "t.h"

/* cap_dump_delay's bounds (issue 16): a classic pcap of n packets (time
 * stamps ts_ms[], len bytes each) re-written as pcapng with the delay; the
 * hold callback writes a secrets block "K<packets handed over>\n".  The
 * file's blocks in order: 'K' digits for a block, 'P' digits for packet i. */
struct hold_run {
	struct cap *c;
	long handed;
};

static void hold_handler(void *ctx, const uint8_t *data, uint32_t cap_len, uint32_t wire_len,
			 int64_t ts_us)
{
	(void)cap_len, (void)wire_len, (void)ts_us;
	struct hold_run *r = ctx;
	r->handed++;
	char note[8] = { 'n', (char)('0' + data[0] % 10) };
	cap_dump_note(r->c, note, 2); /* each packet's own note, held with it */
}

static void hold_cb(void *ctx)
{
	struct hold_run *r = ctx;
	char text[32];
	int n = snprintf(text, sizeof(text), "K%ld\n", r->handed);
	CHECK(cap_dump_secrets(r->c, (const uint8_t *)text, (size_t)n));
}

static void delay_order(const int *ts_ms, int n, uint32_t len, size_t max_bytes, char *order,
			size_t order_len)
{
	char in[] = "/tmp/ft_test_capture_XXXXXX";
	int fd = mkstemp(in);
	CHECK(fd >= 0);
	close(fd);
	char out[sizeof(in) + 8];
	snprintf(out, sizeof(out), "%s.ng", in);
	pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, in);
	CHECK(d != NULL);
	uint8_t pkt[2048];
	for (int i = 0; d && i < n; i++) {
		memset(pkt, i, len);
		struct pcap_pkthdr h = { .caplen = len, .len = len };
		h.ts.tv_sec = 1700000000 + ts_ms[i] / 1000;
		h.ts.tv_usec = (ts_ms[i] % 1000) * 1000;
		pcap_dump((u_char *)d, &h, pkt);
	}
	if (d)
		pcap_dump_close(d);
	pcap_close(dead);

	char eb[CAP_ERRBUF_SIZE];
	struct hold_run r = { cap_open_file(in, eb), 0 };
	CHECK(r.c != NULL);
	order[0] = '\0';
	if (!r.c)
		return;
	CHECK(cap_dump_open_pcapng(r.c, out, "test", NULL, eb));
	CHECK(cap_dump_delay(r.c, 1000000, max_bytes, hold_cb, &r));
	CHECK(cap_run(r.c, 0, hold_handler, &r, eb) >= 0);
	CHECK(cap_dump_close(r.c, eb));
	cap_close(r.c);

	FILE *f = fopen(out, "rb");
	CHECK(f != NULL);
	char reb[PCAPNG_ERRBUF_SIZE];
	struct pcapng_reader *rd = f ? pcapng_open_file(f, reb) : NULL;
	CHECK(rd != NULL);
	struct pcapng_rec rec;
	size_t o = 0;
	while (rd && pcapng_next(rd, &rec) == 1 && o + 8 < order_len) {
		if (rec.kind == PCAPNG_REC_SECRETS)
			o += (size_t)snprintf(order + o, order_len - o, "%.*s",
					      (int)rec.secrets.len - 1, (const char *)rec.secrets.p);
		else if (rec.kind == PCAPNG_REC_PACKET && rec.cap_len) {
			o += (size_t)snprintf(order + o, order_len - o, "P%d", rec.data[0]);
			CHECK_EQ_INT(rec.n_comments, 1);
			CHECK(rec.n_comments == 1 && rec.comment[0].len == 2 &&
			      rec.comment[0].p[0] == 'n' && rec.comment[0].p[1] == '0' + rec.data[0] % 10);
		}
	}
	if (rd)
		pcapng_close(rd);
	if (f)
		fclose(f);
	unlink(in);
	unlink(out);
}

/* ------------------------------------------------------------------ */
/* the mapped reader of classic pcap against libpcap's own reading       */
/* ------------------------------------------------------------------ */

/* What a reader handed over: a digest of every packet, in order. */
struct seen {
	uint64_t n;
	uint64_t digest;           /* FNV-1a over (ts, lengths, bytes) of each packet */
};

static void seen_add(struct seen *sn, int64_t ts_us, uint32_t cap_len, uint32_t wire_len,
		     const uint8_t *data)
{
	uint64_t h = sn->digest ? sn->digest : 1469598103934665603ull;
	uint64_t f[3] = { (uint64_t)ts_us, cap_len, wire_len };
	for (int k = 0; k < 3; k++)
		h = (h ^ f[k]) * 1099511628211ull;
	for (uint32_t i = 0; i < cap_len; i++)
		h = (h ^ data[i]) * 1099511628211ull;
	sn->digest = h;
	sn->n++;
}

static void seen_handler(void *ctx, const uint8_t *data, uint32_t cap_len, uint32_t wire_len,
			 int64_t ts_us)
{
	seen_add(ctx, ts_us, cap_len, wire_len, data);
}

/* The same file through libpcap alone, with the filter, as capture.c hands
 * packets over (nanosecond precision, seconds unsigned). */
static int libpcap_read(const char *path, const char *filter, long count, struct seen *sn)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p)
		return -2;
	if (filter) {
		struct bpf_program prog;
		CHECK(pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == 0);
		CHECK(pcap_setfilter(p, &prog) == 0);
		pcap_freecode(&prog);
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc;
	while ((count <= 0 || (long)sn->n < count) && (rc = pcap_next_ex(p, &h, &d)) == 1)
		seen_add(sn, cap_ts_us((int64_t)(uint32_t)h->ts.tv_sec,
				       (int64_t)(uint32_t)h->ts.tv_usec / 1000),
			 h->caplen, h->len, d);
	if (count > 0 && (long)sn->n >= count)
		rc = -2;
	pcap_close(p);
	return rc == PCAP_ERROR ? -1 : 0;
}

static void put32(FILE *f, uint32_t v, bool swap)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	if (swap) {
		uint8_t t = b[0]; b[0] = b[3]; b[3] = t;
		t = b[1]; b[1] = b[2]; b[2] = t;
	}
	fwrite(b, 1, 4, f);
}

/*
 * A classic pcap of n Ethernet/IPv4/UDP packets (lengths vary, 3 MB in all
 * so the reader's window moves), in the given byte order and time unit;
 * record `odd` (if >= 0) claims caplen `odd_len`; the file is cut `cut`
 * bytes before its end.
 */
static void write_pcap(const char *path, int n, bool swap, bool nano, uint32_t snap, int odd,
		       uint32_t odd_len, long cut)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	put32(f, nano ? 0xa1b23c4d : 0xa1b2c3d4, swap);
	uint8_t ver[4] = { 2, 0, 4, 0 };
	if (swap)
		ver[0] = 0, ver[1] = 2, ver[2] = 0, ver[3] = 4;
	fwrite(ver, 1, 4, f);
	put32(f, 0, swap);
	put32(f, 0, swap);
	put32(f, snap, swap);
	put32(f, 1, swap);
	static uint8_t pkt[4000];
	for (int i = 0; i < n; i++) {
		uint32_t len = 60 + (uint32_t)(i * 37 % 1400);
		memset(pkt, 0, sizeof(pkt));
		pkt[12] = 0x08;                      /* IPv4 */
		pkt[14] = 0x45;
		pkt[16] = (uint8_t)((len - 14) >> 8), pkt[17] = (uint8_t)(len - 14);
		pkt[22] = 64, pkt[23] = 17;          /* UDP */
		pkt[26] = 10, pkt[29] = 1, pkt[30] = 10, pkt[33] = 2;
		pkt[34] = (uint8_t)(i >> 8), pkt[35] = (uint8_t)i, pkt[37] = 53;
		for (uint32_t k = 42; k < len; k++)
			pkt[k] = (uint8_t)(k * 7 + (uint32_t)i);
		uint32_t caplen = i == odd ? odd_len : len;
		put32(f, 1700000000u + (uint32_t)i, swap);
		put32(f, nano ? (uint32_t)i * 1001u : (uint32_t)i * 11u % 1000000u, swap);
		put32(f, caplen, swap);
		put32(f, len, swap);
		fwrite(pkt, 1, caplen <= sizeof(pkt) ? caplen : sizeof(pkt), f);
	}
	long end = ftell(f);
	fclose(f);
	if (cut > 0)
		CHECK(truncate(path, end - cut) == 0);
}

/* The file read by cap_run (mapped when it can be) and by libpcap agree. */
static void same_as_libpcap(const char *path, const char *filter, long count, int want_rc)
{
	char eb[CAP_ERRBUF_SIZE] = "";
	struct cap *c = cap_open_file(path, eb);
	CHECK(c != NULL);
	if (!c)
		return;
	if (filter)
		CHECK(cap_set_filter(c, filter, eb));
	struct seen a = { 0, 0 }, b = { 0, 0 };
	int rc = cap_run(c, count, seen_handler, &a, eb);
	cap_close(c);
	int lrc = libpcap_read(path, filter, count, &b);
	CHECK_EQ_INT(rc < 0 ? -1 : 0, want_rc);
	CHECK_EQ_INT(lrc < -1 ? 0 : lrc, want_rc);
	CHECK_EQ_INT(a.n, b.n);
	CHECK(a.digest == b.digest);
	if (want_rc < 0)
		CHECK(strstr(eb, "truncated") || strstr(eb, "bigger than") || strstr(eb, "invalid"));
}

static void test_mapped(void)
{
	char path[] = "/tmp/ft_test_mapped_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	for (int order = 0; order < 2; order++) {
		for (int nano = 0; nano < 2; nano++) {
			write_pcap(path, 4000, order, nano, 65535, -1, 0, 0);
			same_as_libpcap(path, NULL, 0, 0);
		}
	}
	/* a filter, a count */
	same_as_libpcap(path, "udp src port 7 or greater 1000", 0, 0);
	same_as_libpcap(path, NULL, 1234, 0);
	same_as_libpcap(path, "greater 1000", 100, 0);
	/* cut in the middle of the last record, or of a record header: the
	 * complete ones, then libpcap's error */
	write_pcap(path, 4000, false, false, 65535, -1, 0, 100);
	same_as_libpcap(path, NULL, 0, -1);
	write_pcap(path, 4000, false, false, 65535, -1, 0, (long)(60 + 3999 * 37 % 1400) + 8);
	same_as_libpcap(path, NULL, 0, -1);
	/* records longer than the snap length: libpcap's call (it reads them) */
	write_pcap(path, 4000, false, false, 1500, 2500, 3000, 0);
	same_as_libpcap(path, NULL, 0, 0);
	write_pcap(path, 4000, false, false, 1000, -1, 0, 0);
	same_as_libpcap(path, NULL, 0, 0);
	/* one longer than any snap length: libpcap's error, after the others */
	write_pcap(path, 4000, false, false, 1500, 2500, 300000, 0);
	same_as_libpcap(path, NULL, 0, -1);
	unlink(path);
}

int main(void)
{
	char order[256];
	test_mapped();
	/* time: held while within 1 s of the newest; the secrets before each batch */
	const int t1[] = { 0, 500, 1000, 1600, 3000 };
	delay_order(t1, 5, 100, 1 << 20, order, sizeof(order));
	CHECK_EQ_STR(order, "K4P0P1K5P2P3K5P4");
	/* bytes: a 300-byte queue holds two 100-byte packets (with their headers), not three */
	const int t2[] = { 0, 0, 0, 0 };
	delay_order(t2, 4, 100, 300, order, sizeof(order));
	CHECK_EQ_STR(order, "K3P0K4P1K4P2P3");
	/* packets larger than the queue: written at once, nothing held, no callback */
	const int t3[] = { 0, 0, 0 };
	delay_order(t3, 3, 1000, 300, order, sizeof(order));
	CHECK_EQ_STR(order, "P0P1P2");

	CHECK_EQ_INT(cap_ts_us(0, 0), 0);
	CHECK_EQ_INT(cap_ts_us(1700000000, 123456), INT64_C(1700000000123456));
	/* the unsigned 32-bit seconds of classic pcap, up to 2106 */
	CHECK_EQ_INT(cap_ts_us(0xFFFFFFFFLL, 999999), INT64_C(4294967295999999));
	CHECK_EQ_INT(cap_ts_us(-1, 0), -1000000);
	/* saturated, whatever the seconds: the difference of two still fits */
	CHECK_EQ_INT(cap_ts_us(INT64_C(10000000000000), 0), CAP_TS_MAX_US);
	CHECK_EQ_INT(cap_ts_us(INT64_MAX, INT64_MAX), CAP_TS_MAX_US);
	CHECK_EQ_INT(cap_ts_us(INT64_MIN, INT64_MIN), -CAP_TS_MAX_US);
	/* just below the bound, a huge usec: clamped to 2^31 - 1, then the sum saturates */
	CHECK_EQ_INT(cap_ts_us(CAP_TS_MAX_US / 1000000 - 1, INT64_MAX), CAP_TS_MAX_US);
	CHECK_EQ_INT(cap_ts_us(CAP_TS_MAX_US / 1000000 - 1, 5), CAP_TS_MAX_US - 1000000 + 5);
	CHECK_EQ_INT(cap_ts_us(-(CAP_TS_MAX_US / 1000000) + 1, INT64_MIN), -CAP_TS_MAX_US);
	CHECK(cap_ts_us(INT64_MAX, 0) - cap_ts_us(INT64_MIN, 0) > 0); /* no overflow */
	return t_done("test_capture");
}
