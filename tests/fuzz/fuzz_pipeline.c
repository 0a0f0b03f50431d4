/* fuzz_pipeline.c - libFuzzer target: the whole pipeline fed a capture file (pcap or
 * pcapng), read by libpcap from memory, output to /dev/null: trace_open, trace_packet
 * for every packet, trace_finish.  Half the inputs run with a key log (the lab's
 * captures/NAME.keys files, read once), so the TLS layer and QUIC's Handshake and 1-RTT paths decrypt
 * the keyed seeds and their mutants: decryption, handshake messages and decrypted HTTP
 * are fuzzed too. */
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
static struct keylog *kl;

/* The lab's key logs, from the directory the fuzzer runs in (the repository's). */
static void keylog_load(void)
{
	static const char *const names[] = {
		"lab-h2-curl", "lab-tls12-gcm", "lab-tls12-chacha", "lab-h2-chromium", "lab-doh",
		"lab-tls13-chacha", "lab-tls12-rsa", "lab-tls12-cbc", "lab-tls13-keyupdate",
		"lab-h3-chromium",
	};
	char eb[KEYLOG_ERRBUF_SIZE];
	kl = keylog_new(0, 0, eb);
	for (size_t i = 0; kl && i < sizeof(names) / sizeof(names[0]); i++) {
		char path[256];
		static uint8_t buf[1 << 16];
		snprintf(path, sizeof(path), "captures/%s.keys", names[i]);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		keylog_add_text(kl, buf, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		return 0;
	if (size == 0)
		return 0;
	if (!kl)
		keylog_load();
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
		/* --fetch (issue 12): patterns, a number and a name, so packets are held,
		 * released and dropped */
		static const char *const focus_args[] = { "*.example.com", "1", "www.lab.test" };
		if (size & 1024) {
			o.fetch = focus_args;
			o.n_fetch = 3;
		}
		struct tracer *t = trace_open(devnull, &o, MAX_CONNS);
		if (t && kl && (size & 512))
			trace_set_keylog(t, kl);
		if (t) {
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
