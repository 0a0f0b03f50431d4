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

int main(void)
{
	char order[256];
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
