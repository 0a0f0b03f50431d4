/* fuzz_pipeline.c - libFuzzer target: the whole pipeline fed a capture file (pcap or
 * pcapng), read by libpcap from memory, output to /dev/null: trace_open, trace_packet
 * for every packet, trace_finish.  Every other input runs with the key log of
 * captures/lab-h3-chromium.keys (when run from the top directory), so QUIC's
 * Handshake and 1-RTT paths run on inputs mutated from that capture. */
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture.h"
#include "keylog.h"
#include "pkt.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PACKETS 20000
#define MAX_CONNS 64  /* small, so the table cap and eviction are reached */

static FILE *devnull;
static struct keylog *keylog;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		return 0;
	if (!keylog) {
		char kb[KEYLOG_ERRBUF_SIZE];
		keylog = keylog_new(0, 1000, kb);
		if (keylog)
			(void)keylog_open(keylog, "captures/lab-h3-chromium.keys", kb);
	}
	if (size == 0)
		return 0;
	FILE *in = fmemopen((void *)data, size, "rb");
	if (!in)
		return 0;
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_fopen_offline(in, eb);
	if (!p) { /* on failure the FILE stays ours */
		fclose(in);
		return 0;
	}
	int dlt = pcap_datalink(p);
	if (pkt_link_supported(dlt)) {
		/* The options vary with the input's size, so every output format and the
		 * -tt/-ttt, --all, colour, -q and --timeline paths run. */
		struct out_opts o = { .format = (enum out_format)(size % (OUT_LADDER_MERMAID + 1)),
				      .ts_mode = (enum ts_mode)((size >> 2) % 3), .color = size & 16,
				      .all = !(size & 32), .quiet = (size & 0xc0) == 0xc0,
				      .timeline = size & 256 };
		struct tracer *t = trace_open(devnull, &o, MAX_CONNS);
		if (t) {
			if (size & 512)
				trace_set_keylog(t, keylog);
			struct pcap_pkthdr *h;
			const u_char *pd;
			/* time stamps as capture.c makes them: a classic pcap's fields are
			 * unsigned 32 bits, pcapng's may be anything (saturated) */
			bool ts32 = pcap_major_version(p) == 2;
			for (int n = 0; n < MAX_PACKETS && pcap_next_ex(p, &h, &pd) == 1; n++) {
				int64_t sec = ts32 ? (int64_t)(uint32_t)h->ts.tv_sec : (int64_t)h->ts.tv_sec;
				int64_t usec = ts32 ? (int64_t)(uint32_t)h->ts.tv_usec
						    : (int64_t)h->ts.tv_usec;
				trace_packet(t, dlt, pd, h->caplen, h->len, cap_ts_us(sec, usec));
			}
			trace_finish(t);
		}
	}
	pcap_close(p); /* closes `in` */
	return 0;
}
