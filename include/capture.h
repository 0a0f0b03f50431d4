/* capture.h - the capture engine: the only module that talks to libpcap. */
#ifndef FT_CAPTURE_H
#define FT_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CAP_ERRBUF_SIZE 256  /* as PCAP_ERRBUF_SIZE */

struct cap; /* opaque handle */

/*
 * Time stamps are microseconds since 1970 kept within +-CAP_TS_MAX_US
 * (4e12 s, about 126,000 years either side), so that the difference of any
 * two fits in int64_t.  A capture may say anything: pcapng counts 64-bit
 * ticks of its own resolution (with if_tsresol 10^0, 2^64 - 1 seconds).
 */
#define CAP_TS_MAX_US INT64_C(4000000000000000000)

/* sec.usec as microseconds, saturated at +-CAP_TS_MAX_US; no overflow
 * whatever the inputs. */
static inline int64_t cap_ts_us(int64_t sec, int64_t usec)
{
	const int64_t max_s = CAP_TS_MAX_US / 1000000;
	if (sec >= max_s)
		return CAP_TS_MAX_US;
	if (sec <= -max_s)
		return -CAP_TS_MAX_US;
	if (usec > INT32_MAX || usec < INT32_MIN) /* a valid one is below 10^6 */
		usec = usec < 0 ? INT32_MIN : INT32_MAX;
	int64_t t = sec * 1000000 + usec; /* |t| < 4e18 + 2^31: no overflow */
	return t > CAP_TS_MAX_US ? CAP_TS_MAX_US : t < -CAP_TS_MAX_US ? -CAP_TS_MAX_US : t;
}

/* Called once per packet; data is valid only during the call. */
typedef void (*cap_handler)(void *ctx, const uint8_t *data, uint32_t cap_len, uint32_t wire_len,
			    int64_t ts_us);

/* Open a saved capture (pcap or pcapng; "-" = standard input).  NULL and
 * errbuf filled on failure.  A regular file of classic pcap is mapped
 * (standard input too, when it is one read from its start); a pipe or a
 * FIFO is read once as a stream (its first bytes, read to tell the format,
 * handed back to the reader).  No path is ever opened twice.
 * A pcapng input is read by src/pcapng.c: interfaces of several link types, each packet's own
 * link type (cap_packet_dlt) and time-stamp resolution, its secrets
 * (cap_set_secrets_cb); a broken block is cap_run's error naming the cause
 * and offset.  Time stamps are read to the nanosecond. */
struct cap *cap_open_file(const char *path, char *errbuf);

/*
 * Open a live capture: snaplen, kernel buffer (KiB, 0 = default); packets
 * handed over in blocks (at most 10 ms late), or at once when immediate
 * (-- CMD: a flow's socket is looked up at its first packet, before a
 * short-lived socket is gone).  Its descriptor is close-on-exec.  NULL on
 * failure with errbuf filled and *perm set when the cause is missing
 * permission.
 */
struct cap *cap_open_live(const char *iface, int snaplen, int buffer_kib, bool immediate,
			  char *errbuf, bool *perm);

/* The first up, non-loopback device, into buf; false with errbuf filled. */
bool cap_default_device(char *buf, size_t len, char *errbuf);

/* Print the devices as "N.name (description) [Up, Running, Loopback]". */
int cap_list_devices(FILE *f, char *errbuf);

/* Compile and set a BPF filter; false with errbuf filled. */
bool cap_set_filter(struct cap *c, const char *expr, char *errbuf);

/* Also write every packet read to path ("-" = stdout), opened close-on-exec;
 * false with the cause in errbuf (without the path). */
bool cap_dump_open(struct cap *c, const char *path, char *errbuf);

/*
 * -w FILE.pcapng: write every packet read as pcapng (the project's own
 * writer, src/pcapng.c): a Section Header naming userappl, one Interface
 * Description (link type, snap length, if_name or NULL, nanoseconds for a
 * file, microseconds live), and an Enhanced Packet Block per packet, after
 * the handler returned, with the note cap_dump_note gave during the call.
 * false with the cause in errbuf.  Closed by cap_dump_close.
 */
bool cap_dump_open_pcapng(struct cap *c, const char *path, const char *userappl,
			  const char *if_name, char *errbuf);

#define CAP_NOTE_MAX 256 /* bytes of a packet's note (longer is cut) */

/* During the handler: the note (opt_comment) of the packet being handed
 * over; none when not called.  Nothing to do without a pcapng -w. */
void cap_dump_note(struct cap *c, const char *note, size_t len);

/* During the handler: the packet being handed over is not written to the
 * -w file (a live capture's packet of no interest: -- CMD's other programs). */
void cap_dump_skip(struct cap *c);

/* A Decryption Secrets Block of TLS key log text, before the next packet;
 * false when the write failed (kept for cap_dump_close, the loop stops).
 * Nothing to do (true) without a pcapng -w or without text. */
bool cap_dump_secrets(struct cap *c, const uint8_t *text, size_t len);

/*
 * Live -w pcapng: hold each packet (with its note) in a queue of max_bytes,
 * allocated here once, and write it when it is older than max_us of capture
 * time than the newest, when the queue needs its room, or at
 * cap_dump_release / cap_dump_close.  fn(ctx) is called before held packets
 * are written, to write (cap_dump_secrets) the secrets learnt meanwhile, so
 * that they precede every packet still held.  false (nothing held, packets
 * written at once) without a pcapng -w or snap length, or out of memory.
 */
typedef void (*cap_dump_hold_cb)(void *ctx);
bool cap_dump_delay(struct cap *c, int64_t max_us, size_t max_bytes, cap_dump_hold_cb fn, void *ctx);

/* Write every held packet now (fn called first) and forget fn; later packets
 * are still held, written at cap_dump_close. */
void cap_dump_release(struct cap *c);

/*
 * Flush and close the -w file; false with the cause in errbuf when any
 * write to it failed (a full disk), now or while capturing.  Nothing to do
 * (true) without -w.  A write error while capturing also stops cap_run
 * and cap_poll as cap_break does.
 */
bool cap_dump_close(struct cap *c, char *errbuf);

/* Stop after count packets (0 = no limit) in cap_poll, as cap_run's count;
 * cap_poll returns -2 once they were handed over. */
void cap_set_count(struct cap *c, long count);

/* Called with the text of each TLS key log Decryption Secrets Block of a
 * pcapng input (before the packets that follow it). */
typedef void (*cap_secrets_cb)(void *ctx, const uint8_t *text, size_t len);
void cap_set_secrets_cb(struct cap *c, cap_secrets_cb fn, void *ctx);

/* The link type of the packet being handed over (a pcapng's interfaces
 * may differ); cap_datalink otherwise. */
int cap_packet_dlt(const struct cap *c);

/* During the handler: the comments (opt_comment) of the packet being
 * handed over, up to max, into p/len; 0 when none or not a pcapng. */
unsigned cap_packet_comments(const struct cap *c, const uint8_t **p, size_t *len, unsigned max);

/* During the handler: the interface of the packet being handed over (id
 * in its pcapng section, if_name raw bytes or NULL with *len 0).  true
 * when the input has several interfaces (a pcapng section with more than
 * one Interface Description so far); false otherwise (nothing set). */
bool cap_packet_iface(const struct cap *c, uint32_t *id, const uint8_t **name, size_t *len);

/* During the handler: the frame number of the packet being handed over,
 * from 1: the Nth packet read, counting those the filter rejected (as
 * Wireshark's frame.number); live, the Nth the kernel handed over. */
uint64_t cap_packet_frame(const struct cap *c);

/* The packet being handed over stays where it is (a classic pcap file's
 * mapped window) until the release callback is called, before the window
 * is unmapped. */
bool cap_packet_kept(const struct cap *c);
typedef void (*cap_release_cb)(void *ctx);
void cap_set_release(struct cap *c, cap_release_cb fn, void *ctx);

/* The capture is a pcapng file read by the project's reader. */
bool cap_is_pcapng(const struct cap *c);

/* A pcapng input: its first interface's (0 for -w pcap, which keeps only
 * that link type's packets). */
int cap_datalink(const struct cap *c);
const char *cap_datalink_name(int dlt);  /* "EN10MB", or NULL */
const char *cap_datalink_desc(int dlt);  /* "Ethernet", or NULL */
int cap_snaplen(const struct cap *c);

/*
 * Read packets until the end of the file, count packets (0 = no limit),
 * or cap_break.  Returns 0 at the end, 1 when broken, -1 on error (the
 * message in errbuf, e.g. a file cut off mid-record).
 */
int cap_run(struct cap *c, long count, cap_handler fn, void *ctx, char *errbuf);

/*
 * Wait up to timeout_ms for packets of a live capture and hand over those
 * that are there (the loop of a caller that also watches something else).
 * Returns the packets handled, -1 on error (errbuf), -2 after cap_break.
 */
int cap_poll(struct cap *c, int timeout_ms, cap_handler fn, void *ctx, char *errbuf);

/*
 * A file read one packet at a time, for merging several by time: cap_peek
 * reads the next packet ahead (the filter applied; a pcapng's secrets
 * handed to their callback on the way) and gives its time stamp: 1, 0 at
 * the end, -1 on an error (errbuf).  cap_next hands it over to fn as
 * cap_run would (written to -w, counted): 1, 0 at the end, -1 on an error,
 * -2 when writing -w failed.  Not for live captures.
 */
int cap_peek(struct cap *c, int64_t *ts_us, char *errbuf);
int cap_next(struct cap *c, cap_handler fn, void *ctx, char *errbuf);

/* Make cap_run return; safe in a signal handler. */
void cap_break(struct cap *c);

/* Statistics of a live capture; false when not available. */
bool cap_stats(struct cap *c, uint64_t *recv, uint64_t *drop, uint64_t *ifdrop);

/*
 * Live, a reader thread takes the packets from libpcap into a bounded
 * queue (64 MiB) and cap_run / cap_poll hand them over from there, so the
 * capture never waits on the output.  cap_stats stops the reader (its
 * counts are then final).  Packets the full queue could not take are
 * dropped and counted here; fn is told of new drops (kernel, interface,
 * queue: since the last call, and in total) at most once a second while
 * packets are handed over, and once at the end.
 */
uint64_t cap_queue_dropped(struct cap *c);
typedef void (*cap_drop_cb)(void *ctx, const uint64_t new_drops[3], const uint64_t total[3]);
void cap_set_drop_cb(struct cap *c, cap_drop_cb fn, void *ctx);
/* Live: fn(ctx) whenever the packets handed over emptied the queue (the
 * tracer caught up: a moment to flush its output). */
typedef void (*cap_idle_cb)(void *ctx);
void cap_set_idle_cb(struct cap *c, cap_idle_cb fn, void *ctx);

void cap_close(struct cap *c);

#endif
