/* out.h - the output layer: the only writer to stdout. */
#ifndef FT_OUT_H
#define FT_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dns.h"
#include "dnsnote.h"
#include "fetch.h"
#include "h3.h"
#include "flow.h"
#include "frag.h"
#include "h2.h"
#include "http.h"
#include "pkt.h"
#include "quic.h"
#include "quicdec.h"
#include "quicflow.h"
#include "reasm.h"
#include "step.h"
#include "timeline.h"
#include "tls.h"

#define EV_MAX_COMMENTS 4 /* a pcapng packet's comments shown */
#define EV_MAX_DNS 4 /* DNS messages shown for one TCP segment; the rest are counted */

enum ts_mode { TS_RELATIVE = 0, TS_ABSOLUTE, TS_DELTA };

enum out_format {
	OUT_TEXT = 0,   /* annotated lines (out_text.c) */
	OUT_JSON,       /* JSON lines (out_json.c) */
	OUT_LADDER,     /* a ladder diagram in the terminal (out_ladder.c) */
	OUT_LADDER_MERMAID, /* the same as a Mermaid sequenceDiagram */
};

struct out_opts {
	enum out_format format; /* --json */
	enum ts_mode ts_mode;  /* -tt absolute, -ttt delta, default relative to first packet */
	bool color;            /* ANSI colour by step */
	bool all;              /* print packets of no fetch ("other") too */
	bool quiet;            /* -q: no packet lines, only the summary */
	bool timeline;         /* --timeline: draw the waterfall too */
	bool explain;          /* --explain: tie each step's first packet to the chapter */
	const char *lang;      /* --lang: language of the explanations ("en", "ko"), or NULL:
	                          from the locale (LC_ALL, LC_MESSAGES, LANG) */
	const char *har_path;  /* --har FILE: write the exchanges as HAR 1.2 at the end */
	bool number;           /* -#: each packet line starts with its frame number */
	unsigned brief;        /* compact packet lines this many columns wide at most (--brief,
	                          or a narrow terminal); 0 = full lines */
	bool no_acks;          /* --no-acks: bare ACKs counted on the line they follow */
	const char *const *fetch; /* --fetch NAME|N (focus.h), n_fetch of them; 0: every fetch */
	unsigned n_fetch;
};

/* One packet, decoded and classified: everything a line shows. */
struct ev {
	const struct pkt *p;           /* the packet */
	uint64_t frame;                /* its frame number (Wireshark's frame.number: the Nth
	                                  packet read, from 1); 0 for a released event */
	enum step step;                /* its step */
	const struct flow_seg *seg;    /* TCP: what the flow table said; NULL otherwise */
	const struct fetch_link *link; /* first packet of a connection: its fetch; the packet
	                                  that moved a connection to a proxied host's new fetch
	                                  (fetch_proxy, via_proxy); else NULL */
	uint8_t n_dns;                 /* DNS messages decoded from this packet */
	uint8_t n_dns_more;            /* further DNS messages not shown */
	const struct dns_msg *dns[EV_MAX_DNS]; /* those messages */
	int64_t dns_rt[EV_MAX_DNS];    /* response time of each (-1 unknown / a query) */
	const struct dns_note *dns_note; /* [n_dns]: what each means in a resolver's walk (the
	                                    tracer's storage: the event stays small to clear) */
	uint32_t dns_awaiting;         /* DNS over TCP: bytes of a message still to come */
	bool dns_tcp_lost;             /* DNS over TCP: framing lost (gap or cap) */
	bool secure;                   /* connect step of TLS or QUIC: the secure channel */
	struct reasm_res rres;         /* what reassembly made of this segment's payload */
	uint64_t gap;                  /* stream bytes given up as lost during this packet */
	uint32_t held;                 /* this segment's data went to a message still incomplete:
	                                  bytes of it held so far (HTTP head, TLS record) */
	const struct http_events *http; /* HTTP events of this packet, or NULL */
	int64_t http_dur[HTTP_MAX_EVENTS]; /* per HTTP event: time to first byte (response head)
	                                      or download time (response end); -1 none */
	const struct h2_events *h2;    /* HTTP/2 events of this packet, or NULL */
	int64_t h2_dur[H2_MAX_EVENTS]; /* per HTTP/2 event: as http_dur (response HEADERS: time
	                                  since the request's end; END_STREAM: download); -1 none */
	bool h2_refused;               /* HTTP/2 was seen, but its state did not fit the memory cap */
	const struct tls_events *tls;  /* TLS events of this packet, or NULL */
	bool sni_name_differs;         /* the ClientHello's SNI is not the fetch's DNS name */
	const struct quic_info *quic;  /* QUIC headers of this datagram, or NULL */
	uint32_t quic_fetch;           /* QUIC: the fetch of the server's address */
	bool quic_from_client;         /* QUIC: sent by the client (to port 443) */
	uint32_t icmp_fetch;           /* ICMP error: the fetch of the flow its quote belongs to */
	uint32_t icmp_conn;            /* ICMP error quoting a TCP segment: its connection, 0 none */
	uint32_t icmp_qconn;           /* ICMP error quoting a QUIC packet: its connection, 0 none */
	const struct dns_msg *icmp_dns; /* ICMP error quoting a DNS query: the query as far as
	                                   quoted (its id and name), or NULL */
	uint32_t quic_conn;            /* QUIC: its connection's number (q1, q2...), 0 none */
	uint8_t n_quic_dec;            /* QUIC: packets of the datagram in quic_dec */
	const struct quicdec_result *quic_dec; /* QUIC: [n_quic_dec] each packet decrypted or
	                                  why not, in datagram order (the tracer's storage) */
	const struct quicdec_hdr *quic_vn; /* a Version Negotiation of no known connection: its
	                                  version list, or NULL */
	const struct h3_events *h3;    /* QUIC: the HTTP/3 events of this datagram's STREAM
	                                  frames, or NULL (the tracer's storage) */
	const char *udp_not_quic;      /* UDP port 443 that is not QUIC: why (shown as bytes) */
	const struct proxy_state *proxy; /* TCP: this segment carried proxy handshake bytes:
	                                  the connection's handshake state, else NULL */
	uint8_t proxy_msgs;            /* PROXY_M_* messages completed during this segment */
	const struct frag_out *frag;   /* an IP fragment held, a duplicate or dropped (frag.c;
	                                  the tracer's storage), or NULL */
	uint8_t n_comments;            /* a pcapng input's comments on this packet (opt_comment) */
	const uint8_t *comment[EV_MAX_COMMENTS]; /* their raw bytes: escape to print */
	size_t comment_len[EV_MAX_COMMENTS];
	bool has_iface;                /* the input has several interfaces: this packet's is named */
	uint32_t if_id;                /* its interface: id in the pcapng section (0, 1, ...) */
	const uint8_t *if_name;        /* its if_name, raw bytes (escape to print), or NULL */
	size_t if_name_len;
	const char *file;              /* several input files: the one this packet is from, or NULL */
	uint8_t released;              /* EV_RELEASED_NONE: a packet.  Else no packet: HTTP
	                                  bytes held behind a hole that never filled (gap
	                                  bytes), decoded when their connection left the
	                                  table; p holds only the time and the endpoints */
	uint8_t focus;                 /* --fetch: enum focus_verdict (0: shown) */
	uint64_t focus_key;            /* FOCUS_HOLD: the key its output is held under */
};

/* Why held bytes were released without a packet (struct ev.released). */
enum { EV_RELEASED_NONE = 0, EV_RELEASED_END, EV_RELEASED_EVICTED };

/* Counts for the end-of-run summary.  Each packet read is in exactly one
 * of decoded, other, truncated, malformed, unsupported, hidden. */
struct out_counts {
	uint64_t packets;       /* every packet read */
	uint64_t decoded;       /* belonged to a fetch step and decoded fully */
	uint64_t other;         /* decoded, but belonged to no fetch */
	uint64_t truncated;     /* cut by the snap length (headers, payload or a DNS message) */
	uint64_t malformed;     /* wrong bytes in some layer, DNS included */
	uint64_t unsupported;   /* a protocol or form we do not decode (ARP, 802.3, ...) */
	uint64_t dns_queries, dns_responses, dns_unanswered;
	uint64_t conns, conns_evicted;
	uint64_t reasm_peak;    /* most bytes the reassemblers held at once */
	uint64_t reasm_overflows; /* times a reassembly cap gave bytes up */
	bool keylog;            /* --keylog (or -- CMD's own): TLS decryption was on */
	uint64_t tls_decrypted; /* TLS records decrypted */
	uint64_t tls_auth_failed; /* connections whose records failed to authenticate */
	uint64_t tls_refused;   /* connections not decrypted: too many at once */
	uint64_t tls_hold_dropped; /* records given up waiting for their key (a cap) */
	uint64_t keylog_malformed; /* key log lines skipped as malformed */
	uint64_t quic_conns, quic_evicted; /* QUIC connections started; evicted by the table cap */
	uint64_t quic_mem_peak; /* most bytes QUIC decoders held at once */
	uint64_t h2_conns;      /* connections decoded as HTTP/2 */
	uint64_t h2_refused;    /* HTTP/2 connections not decoded: the HPACK budget said no */
	uint64_t h2_peak;       /* most bytes the HTTP/2 connections held at once */
	/* --fetch: what was not shown (out.c adds the packets and DNS messages) */
	bool focus;             /* --fetch was given */
	uint64_t fetches_shown, fetches_hidden;
	uint64_t hidden_packets, hidden_dns, hidden_conns;
	bool hiding;            /* -- CMD without --all: packets not of the command are hidden */
	uint64_t hidden;        /* read, but not the command's: not traced (in none of the above) */
	uint64_t hidden_unknown; /* of those, the ones whose socket was not found */
	/* live: libpcap's counts and the capture queue's (capture.h), for the summary */
	bool capture_stats;     /* the counts below are set */
	uint64_t cap_received;  /* packets received by the filter */
	uint64_t cap_drop_kernel, cap_drop_iface, cap_drop_queue; /* dropped there */
	struct frag_stats frag; /* IP fragments (all zero when none was seen) */
};

/* What dropped packets mean for the trace: said with every report of drops. */
extern const char out_drop_meaning[];

struct out;

struct out *out_open(FILE *f, const struct out_opts *o);
void out_close(struct out *o);   /* flushes */
void out_flush(struct out *o);

void out_packet(struct out *o, const struct ev *e);
/* A socket call's line (issue 14), with the connection it was joined to. */
struct call_line;
struct call_ctx {
	uint32_t conn_id;  /* c1...; 0 none (not TCP, or no packet of it yet) */
	uint32_t fetch_id; /* its fetch, 0 none */
	int64_t resp_first; /* a read() that took a response's first bytes: when the first
	                       arrived (timeline_call_read), 0 none */
	uint32_t stream;    /* with resp_first: the HTTP/2 or HTTP/3 stream whose
	                       (timeline_call_bytes, timeline_call_dgram), 0 an HTTP/1.x exchange */
	uint32_t dgram_len; /* HTTP/3: the bytes of the datagram the call returned */
};
void out_call(struct out *o, const struct call_line *l, const struct call_ctx *cx);
/* Called with every event after the format saw it (its line is out):
 * what -w FILE.pcapng annotates each packet with (out_note.h). */
typedef void (*out_packet_cb)(void *ctx, const struct ev *e);
void out_set_packet_cb(struct out *o, out_packet_cb fn, void *ctx);
/* The comments of the packet about to be traced (a pcapng input's
 * opt_comment): the next packet event carries them.  n <= EV_MAX_COMMENTS;
 * the bytes stay the caller's until that packet is done. */
void out_set_comments(struct out *o, unsigned n, const uint8_t *const *p, const size_t *len);
/* The interface of the packets about to be traced, when the input has
 * several (a pcapng with more than one Interface Description): every
 * packet event carries it until out_set_iface(o, false, ...).  name (raw
 * if_name bytes, may be NULL) stays the caller's until then. */
void out_set_iface(struct out *o, bool several, uint32_t id, const uint8_t *name, size_t len);
/* Several input files are read as one trace: the packets that follow are
 * from path (the caller's until the next call), NULL when one is read. */
void out_set_file(struct out *o, const char *path);

/* One connection leaves the table: remember its summary line. */
void out_conn_done(struct out *o, const struct conn *c, const char *why,
		   const struct dns_name *name);

/* One QUIC connection leaves the table: remember its summary line. */
void out_quic_done(struct out *o, const struct quicflow *q, const char *why,
		   const struct dns_name *name);

/* Does the format write each exchange as it becomes final (out_exchange)? */
bool out_streams_exchanges(const struct out *o);
/* One exchange is final (timeline_stream's hand-over): written now by a
 * format that streams them (JSON), else nothing. */
void out_exchange(struct out *o, const struct tl_exch *x);

/* Where each exchange's time went (before the summary). */
void out_timeline(struct out *o, const struct timeline *tl);

/* --har FILE: write the exchanges as HAR 1.2 (out_har.c).  Nothing to do
 * without --har; false, after one line on stderr, when the file could not
 * be written. */
bool out_har(struct out *o, const struct timeline *tl);

/*
 * --fetch (out_opts.fetch): an event's focus says whether its output is
 * written, dropped, or held under focus_key until the tracer decides.
 * Held output waits in a buffer of OUT_HOLD_CAP bytes, allocated once;
 * when it is full, or a packet has waited FOCUS_HOLD_US, the oldest key's
 * packets are dropped and the key is reported by out_hold_evicted.
 */
#define OUT_HOLD_CAP (1024u * 1024)
/* The packets held under key: written now (show) or dropped. */
void out_release(struct out *o, uint64_t key, bool show);
/* Drop what has waited since before ts (capture time). */
void out_hold_expire(struct out *o, int64_t ts);
/* A key whose held packets were dropped (room, age), one per call; false when none. */
bool out_hold_evicted(struct out *o, uint64_t *key);
/* Live: packets were dropped (kernel, interface, the capture queue: new since
 * the last report, and in total): a line of their own, as it happens. */
void out_drops(struct out *o, const uint64_t new_drops[3], const uint64_t total[3]);

/* The end-of-run summary. */
void out_summary(struct out *o, const struct out_counts *n);

#endif
