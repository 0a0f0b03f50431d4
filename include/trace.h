/* trace.h - the pipeline: decode, track, classify, link, hand to the output. */
#ifndef FT_TRACE_H
#define FT_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "out.h"

#define TRACE_DEFAULT_MAX_CONNS 16384          /* flow table cap */
#define TRACE_REASM_CAP (16u * 1024 * 1024)    /* bytes all reassemblers may hold together */

struct tracer;

/* NULL when memory cannot be had. */
struct tracer *trace_open(FILE *f, const struct out_opts *o, uint32_t max_conns);

struct keylog;

/* Decrypt TLS, and QUIC's Handshake and 1-RTT packets, with the secrets of
 * kl (NSS key log, looked up by the ClientHello's client random; the
 * caller keeps it open until trace_finish).  Before the first packet.
 * Without it: QUIC Initials only, TLS records by shape. */
void trace_set_keylog(struct tracer *t, struct keylog *kl);

/* fn sees each packet's event after its line (out_set_packet_cb): the
 * tracer's own step, fetch and notes, for -w FILE.pcapng's comments. */
void trace_set_packet_cb(struct tracer *t, out_packet_cb fn, void *ctx);

/* The input's comments on the next packet (out_set_comments). */
void trace_set_comments(struct tracer *t, unsigned n, const uint8_t *const *p, const size_t *len);

/* The interface of the packets that follow, when the input has several
 * (out_set_iface); several false when it has one. */
void trace_set_iface(struct tracer *t, bool several, uint32_t id, const uint8_t *name, size_t len);

/* The next packet's bytes stay where they are after trace_packet, until
 * the caller's trace_release (a packet in a mapped capture file): what a
 * key log decrypts of them is read there on another core, not copied. */
void trace_set_kept(struct tracer *t);
/* Bytes of packets given as kept are not read any more after this. */
void trace_release(struct tracer *t);

/* The frame number of the next packet (the Nth read from the input, the
 * filter's rejects too).  Without it the packets are numbered as given. */
void trace_set_frame(struct tracer *t, uint64_t frame);
/* Several input files: the packets that follow are from path (out_set_file). */
void trace_set_file(struct tracer *t, const char *path);

/* -- CMD: packets that are not the command's are hidden (trace_hide_packet);
 * the summary says how many. */
void trace_set_hiding(struct tracer *t);

/* A packet read but not traced: it is not the traced command's (unknown:
 * no socket was found for it).  Counted as read and as hidden. */
void trace_hide_packet(struct tracer *t, bool unknown);

/* One captured frame of link type dlt. */
void trace_packet(struct tracer *t, int dlt, const uint8_t *data, uint32_t cap_len,
		  uint32_t wire_len, int64_t ts_us);


/* A socket call's line (calls.c, issue 14), at its place in the time line:
 * joined to its connection by the socket's addresses, then to the output. */
struct call_line;
void trace_call(struct tracer *t, const struct call_line *l);
/* Live: the capture's counts for the summary (packets received, dropped by
 * the kernel, the interface, the capture queue); before trace_finish. */
void trace_capture_stats(struct tracer *t, uint64_t recv, uint64_t drop, uint64_t ifdrop,
			 uint64_t qdrop);
/* Live: packets were dropped (capture.h's cap_drop_cb): said on the output. */
void trace_drops(struct tracer *t, const uint64_t new_drops[3], const uint64_t total[3]);

/* Retire what is left, print the summary, write the HAR file (--har), free
 * everything.  0, or -1 when the HAR file could not be written (the cause
 * is on stderr). */
int trace_finish(struct tracer *t);


#endif
