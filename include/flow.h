/* flow.h - the TCP connection table: who is client, relative numbers, state, notes. */
#ifndef FT_FLOW_H
#define FT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callpos.h"
#include "http.h"
#include "pkt.h"
#include "proxy.h"
#include "reasm.h"
#include "tls.h"

#define FLOW_HISTORY_MAX 24   /* Zeek history letters kept per connection */
#define FLOW_MAX_HOLES 4      /* sequence gaps remembered per direction */

/* Per-endpoint state, Zeek style (one per direction of sending). */
enum ep_state {
	EP_INACTIVE = 0, /* sent nothing yet */
	EP_SYN_SENT,     /* sent a SYN (or SYN-ACK) */
	EP_ESTABLISHED,  /* handshake done, or seen mid-stream with data */
	EP_PARTIAL,      /* seen mid-stream, no handshake */
	EP_FIN_SENT,     /* sent a FIN, not yet acknowledged */
	EP_CLOSED,       /* its FIN was acknowledged */
	EP_RESET,        /* sent a RST */
};

/* Notes a segment can carry; several at once. */
enum {
	NOTE_MIDSTREAM     = 1u << 0,  /* first packet of a connection seen without its SYN */
	NOTE_RETRANS       = 1u << 1,  /* the bytes (or SYN/FIN) were sent before */
	NOTE_OUT_OF_ORDER  = 1u << 2,  /* fills a gap left earlier */
	NOTE_PREV_LOST     = 1u << 3,  /* starts beyond the highest byte seen: a segment is missing */
	NOTE_DUP_ACK       = 1u << 4,  /* same ACK again while data is outstanding */
	NOTE_ZERO_WINDOW   = 1u << 5,  /* advertises a zero receive window */
	NOTE_WIN_UPDATE    = 1u << 6,  /* pure ACK that only changes the window */
	NOTE_KEEPALIVE     = 1u << 7,  /* keep-alive probe (seq = next - 1) */
	NOTE_WIN_PROBE     = 1u << 8,  /* one byte sent into a zero window */
	NOTE_ESTABLISHED   = 1u << 9,  /* this ACK completes the three-way handshake */
	NOTE_CLOSES_FIRST  = 1u << 10, /* the first FIN of the connection */
	NOTE_CLOSED        = 1u << 11, /* the connection is now fully closed */
	NOTE_SYN_RETRANS   = 1u << 12, /* a repeated SYN (no answer yet) */
	NOTE_PORT_REUSE    = 1u << 13, /* a new SYN on a finished connection's tuple */
	NOTE_ACK_UNSEEN    = 1u << 14, /* acknowledges data the capture never saw */
	NOTE_BAD_OPTS      = 1u << 15, /* TCP options with an impossible length */
	NOTE_ROLES_SWAPPED = 1u << 16, /* mid-stream: the packets showed the ports' guess wrong */
	NOTE_START_LOST    = 1u << 17, /* mid-stream: the start of this stream was not captured */
};

/* How a connection's client was told from its server. */
enum flow_client_by {
	FLOW_BY_SYN = 0,      /* the handshake: it sent the SYN (or received the SYN-ACK) */
	FLOW_BY_PORTS,        /* mid-stream, nothing else told: guessed from the ports */
	FLOW_BY_REQUEST,      /* it sends an HTTP request line */
	FLOW_BY_STATUS,       /* the other side sends an HTTP status line */
	FLOW_BY_CLIENT_HELLO, /* it sends a TLS ClientHello */
	FLOW_BY_SERVER_HELLO, /* the other side sends a TLS ServerHello */
};

/* One direction of a connection: what one endpoint sent. */
struct flow_dir {
	enum ep_state state;   /* endpoint state */
	bool isn_known;        /* isn holds the first sequence number */
	uint32_t isn;          /* initial sequence number: the SYN's; without it, the
	                          first seen minus 1, or the peer's first ACK minus 1 */
	uint64_t max_end;      /* highest relative sequence end seen (64-bit, unwrapped) */
	uint64_t holes[FLOW_MAX_HOLES][2]; /* gaps [start, end) not yet filled */
	uint8_t n_holes;       /* gaps recorded */
	bool fin_seen;         /* this side sent a FIN */
	int64_t fin_seq;       /* relative sequence number of that FIN */
	bool ack_seen;         /* last_ack is valid */
	uint32_t last_ack;     /* last ACK number this side sent (absolute) */
	uint64_t acked;        /* highest relative ACK this side sent (peer's sequence space) */
	uint32_t last_win;     /* last window field this side sent */
	uint32_t n_dup_ack;    /* duplicate ACKs in a row */
	uint8_t ws;            /* window scale it announced */
	bool ws_ok;            /* window scaling agreed */
	uint64_t bytes;        /* payload bytes sent, retransmissions excluded */
	uint64_t pkts;         /* segments sent */
	uint32_t hist_mask;    /* history letters already recorded */
};

/* The application decoder of a connection's byte streams, decided from
 * their first bytes: the transport's, or (over TLS) the plaintext's. */
enum app_proto {
	APP_UNKNOWN = 0,  /* no payload yet, or too little to tell; over TLS: nothing decrypted */
	APP_DNS,          /* DNS over TCP (server port 53) */
	APP_HTTP,         /* HTTP/1.x */
	APP_OPAQUE,       /* something else: bytes are counted, not decoded */
	APP_H2,           /* HTTP/2 (the preface, or h2c after an Upgrade): conn.h2 */
};

struct tlsl;
struct h2_conn;
struct doh_conn;

struct conn {
	uint32_t id;           /* connection number, from 1, in order of first packet */
	uint32_t fetch_id;     /* fetch it belongs to, 0 while unknown */
	uint8_t ip_ver;        /* 4 or 6 */
	uint8_t cli[16], srv[16]; /* client and server addresses */
	uint16_t cport, sport; /* client and server ports */
	struct flow_dir d[2];  /* 0: client -> server, 1: server -> client */
	int64_t ts_first, ts_last;      /* first and last packet */
	int64_t ts_syn, ts_synack;      /* SYN and SYN-ACK (0 when not seen) */
	int64_t ts_established;         /* handshake completed */
	int64_t ts_fin;                 /* first FIN */
	int64_t ts_tls_hello;           /* the TLS ClientHello (0 none) */
	int64_t ts_ready;               /* the last connect-step packet before the client's first
	                                   data (0 none): when the application could write */
	int64_t ts_cli_data;            /* the client's first write-step payload (0 none) */
	int64_t ts_close;               /* the first close-step packet (0 none) */
	int64_t cli_data_seq, close_seq; /* their relative sequence numbers, and the direction
	                                   of the first close-step packet: with the time they
	                                   tell those packets apart from others of the same
	                                   time stamp */
	int8_t close_dir;
	int64_t ts_proxy_done;          /* the proxy's reply opening the tunnel (0 none) */
	bool midstream;        /* seen without its handshake */
	uint8_t client_by;     /* enum flow_client_by */
	bool roles_final;      /* mid-stream: the roles can no longer change */
	uint8_t start_lost;    /* mid-stream: bit per direction whose start was not captured */
	uint32_t n_skipped;    /* mid-stream: bytes skipped while no message start was seen */
	bool handshake_done;   /* the client's ACK of the SYN-ACK was seen */
	bool finished;         /* closed or reset: retired, slot reused first */
	bool retired;          /* handed to the retire callback once: late packets of its slot
	                          get no new layer state (nothing would free it) */
	bool dns;              /* a DNS-over-TCP connection (server port 53) */
	bool partial;          /* bytes were lost (capture gap or a cap): streams have holes */
	int8_t first_fin;      /* direction of the first FIN, -1 none */
	int8_t rst_dir;        /* direction of the first RST, -1 none */
	uint8_t steps_seen;    /* bit per enum step seen on this connection */
	uint8_t n_hist;        /* letters in history */
	char history[FLOW_HISTORY_MAX + 1]; /* Zeek history string */
	uint8_t app;           /* enum app_proto: the application decoder (above TLS, if tls) */
	uint8_t lost_dirs;     /* bit per direction whose framing a gap broke (DNS over TCP) */
	bool tls_sni_linked;   /* the ClientHello's SNI was compared with the fetch name */
	bool calls_seen;       /* a socket call of this connection was measured (issue 14) */
	int64_t calls_write_at; /* the entry of its newest measured write(), 0 none */
	struct conn_calls calls_pos; /* its measured calls' stream positions (timeline.c) */
	struct reasm_dir rs[2]; /* stream reassembly per direction */
	/* The stream layers: transport -> [proxy handshake] -> [TLS] -> application decoder. */
	struct proxy_state proxy; /* a SOCKS or HTTP CONNECT handshake at the stream's start
	                          (proxy.c): its bytes are consumed, the rest is the inner stream */
	bool tls;              /* a TLS layer: the streams carry TLS records (the client's first
	                          bytes were one); the application decoder gets their plaintext */
	struct tls_conn tls_rec; /* with tls: the record layer (tls.c) */
	int64_t tls_hs_end[2]; /* with tls: relative sequence end of the bytes each side sent
	                          before its first application data (its handshake records and
	                          likely tickets): a retransmission below it is still connect */
	struct tlsl *tlsl;     /* with tls and a key log: decryption (tlslayer.c), owned by the
	                          tracer (allocated at the ClientHello, freed at retirement) */
	union {
		struct http_conn http;
	} ap;                  /* the application decoder's state, by app */
	struct h2_conn *h2;    /* APP_H2 (or an h2c offer waiting for its 101): allocated per
	                          connection by trace.c, freed when it retires; NULL otherwise */
	struct doh_conn *doh;  /* DNS-over-HTTPS bodies being collected (trace.c, as h2), or NULL */
	uint32_t tl_first, tl_last; /* its first and newest exchange in the timeline: index + 1,
	                               0 none (timeline.c keeps them; the table only clears them) */
	uint32_t tl_sni;       /* its ClientHello's server name in the timeline: index + 1, 0 none */
	bool tl_tls_dropped;   /* its opaque TLS exchange found the timeline full (counted once) */

	/* table links (indices; UINT32_MAX = none) */
	uint32_t slot;         /* its own index in the table */
	uint32_t hnext;        /* next in hash chain */
	uint32_t lprev, lnext; /* LRU list: head = most recently used */
	bool in_use;
};

/* Every note by name, in the order the views list them: `json` for JSON,
 * `text` for the text line's "[...]" (NULL where the text view words the
 * note with more facts of its own: mid-stream, dup ack, established...). */
struct flow_note_name {
	uint32_t bit;          /* NOTE_* */
	const char *json;
	const char *text;
};
#define FLOW_N_NOTE_NAMES 17
extern const struct flow_note_name flow_note_names[FLOW_N_NOTE_NAMES];

/* What flow_track says about one segment. */
struct flow_seg {
	struct conn *c;        /* the connection */
	int dir;               /* 0 client -> server, 1 server -> client */
	bool is_new;           /* this segment created the connection */
	/* Relative numbers, as tshark counts them: a direction's first data byte
	 * is 1 (its SYN is 0).  Signed: a number below 1 lies before the start of
	 * the direction (sent before the capture began, or late), which is old;
	 * it is printed as such (-999), never as ~2^32 (RFC 1982 arithmetic). */
	int64_t rel_seq;       /* relative sequence number */
	int64_t rel_ack;       /* relative ACK number (of the other direction) */
	bool ack_valid;        /* the ACK flag was set and the peer's ISN is known */
	uint32_t notes;        /* NOTE_* */
	uint32_t n_dup_ack;    /* with NOTE_DUP_ACK: how many in a row */
	bool completes_handshake; /* for the step classifier */
	bool after_fin;        /* a FIN was seen before this segment */
	int8_t acks_dir;       /* newly acknowledged data: 0 client's, 1 server's, -1 none */
	int64_t rtt_us;        /* SYN-ACK: time since SYN; handshake ACK: since SYN-ACK; else -1 */
	uint32_t new_bytes;    /* payload bytes not seen before on this direction */
};

struct flow_table;
struct conn_use_in;

/* Called for each connection leaving the table (finished, evicted, or at the end),
 * in the middle of flow_track / flow_after / flow_close: the slot may be reused as
 * soon as it returns.  It must only collect (copy) what it needs; the caller hands
 * that on after the packet (trace.c), so nothing above reacts mid-packet. */
typedef void (*flow_retire_fn)(void *ctx, const struct conn *c, const char *why);

/* max_conns: table cap; 0 on allocation failure. */
/* reasm_cap: bytes the reassemblers of all connections may hold together. */
struct flow_table *flow_open(uint32_t max_conns, uint64_t reasm_cap, flow_retire_fn retire,
			     void *ctx);
void flow_close(struct flow_table *ft);   /* retires every connection still in it */

/* Track one TCP segment (p->proto == 6, layer LAYER_DONE). */
/* The connection of p's four-tuple (either direction), or NULL: for a
 * socket call's addresses (trace_call). */
struct conn *flow_lookup(struct flow_table *ft, const struct pkt *p);

void flow_track(struct flow_table *ft, const struct pkt *p, struct flow_seg *out);

/* After the segment was classified: record its step on the connection and
 * retire the connection when this segment finished it (NOTE_CLOSED). */
void flow_after(struct flow_table *ft, const struct flow_seg *seg, int step);

/* The facts step_conn_use (step.c) decides from, taken from a connection. */
void flow_conn_use_in(const struct conn *c, struct conn_use_in *out);
/* The connection p would belong to (either direction), or NULL; changes
 * nothing (an ICMP error's quote looks its connection up with it). */
const struct conn *flow_peek(const struct flow_table *ft, const struct pkt *p);

/* The reassembly memory pool every connection of the table draws on. */
struct reasm_pool *flow_reasm_pool(struct flow_table *ft);

/* Counters. */
uint32_t flow_count(const struct flow_table *ft);
uint64_t flow_evicted(const struct flow_table *ft);
uint32_t flow_chain_max(const struct flow_table *ft); /* longest hash chain (tests) */
uint32_t flow_slots(const struct flow_table *ft);     /* slots allocated so far (tests) */

/* The relative number of an absolute sequence number in direction d (a
 * SACK edge): as rel_seq is counted, signed; d's first number must be known. */
int64_t flow_rel_seq(const struct flow_dir *d, uint32_t seq);

/* Why the client is the client, as a phrase after its address: "guessed
 * from the ports", "(it sends a request line)", ... */
const char *flow_client_why(const struct conn *c);

/* Zeek's conn_state from the two endpoint states and what was seen (pure). */
const char *flow_conn_state(const struct conn *c);

#endif
