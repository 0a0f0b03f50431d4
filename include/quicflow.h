/* quicflow.h - the QUIC connection table: one quicdec_conn per connection, capped, LRU. */
#ifndef FT_QUICFLOW_H
#define FT_QUICFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callpos.h"
#include "pkt.h"
#include "quicdec.h"

#define QUICFLOW_DEFAULT_MAX 128            /* connections held at once */
#define QUICFLOW_CRYPTO_CAP 16384           /* CRYPTO bytes per space and direction */
#define QUICFLOW_REASON_MAX 64              /* CONNECTION_CLOSE reason bytes kept */
#define QUICFLOW_H3_SUM 8                   /* HTTP/3 exchanges kept for the summary line */
#define QUICFLOW_H3_PATH 48                 /* bytes of each one's :path kept */

struct h3_conn;

/* One HTTP/3 exchange as the summary line shows it (raw bytes: the output escapes). */
struct quicflow_h3x {
	uint64_t stream_id;
	uint16_t status;         /* final :status, 0 none */
	bool reset;              /* cancelled by RESET_STREAM */
	bool open;               /* not finished when the connection ended */
	uint8_t method_len, path_len;
	bool path_cut;
	char method[16];
	char path[QUICFLOW_H3_PATH];
};

/*
 * One QUIC connection, keyed by the client's address and port and the
 * server's (the side that sent the first Initial is the client).  The
 * decoder state (dec) is allocated when the client's first Initial opens,
 * freed when the connection leaves the table (evicted, end of capture).
 */
struct quicflow {
	uint32_t id;             /* QUIC connection number, from 1, in order of first Initial */
	uint32_t fetch_id;       /* the fetch of the server's address, 0 none */
	uint8_t ip_ver;          /* 4 or 6 */
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint32_t version;        /* the client's first Initial's version */
	struct quicdec_conn *dec; /* packet protection and CRYPTO streams (owned) */
	int64_t ts_first, ts_last;   /* the client's first Initial, the last packet */
	int64_t ts_hs_done;      /* the client's first 1-RTT packet: its handshake is done (0 not) */
	uint64_t bytes[2];       /* UDP payload bytes, 0 client -> server, 1 back */
	uint64_t pkts[2];        /* datagrams each way */
	uint8_t n_retry;         /* Retry packets from the server */
	uint8_t n_hrr;           /* HelloRetryRequests */
	bool vn;                 /* a Version Negotiation was seen */
	bool sni_linked;         /* the ClientHello's SNI was given to the fetch */
	bool keyed[QUICDEC_N_SPACES][2]; /* Handshake / 1-RTT secrets installed from the key log */
	uint8_t steps_seen;      /* bit per enum step seen */
	bool closed;             /* a CONNECTION_CLOSE was seen: what follows is close */
	int8_t close_dir;        /* who sent the first CONNECTION_CLOSE, -1 none */
	bool close_app;          /* it was 0x1d (an application's error code) */
	uint64_t close_code;     /* its error code */
	uint8_t reason_len;      /* reason phrase bytes kept (raw; the output escapes) */
	char reason[QUICFLOW_REASON_MAX];
	/* stream data sent and not yet acknowledged, per direction: the
	   packet numbers [lo, hi] of the 1-RTT packets that carried it */
	bool unacked[2];
	uint64_t unacked_lo[2], unacked_hi[2];
	uint64_t n_opened[2];    /* packets decrypted, per direction */
	uint64_t n_sealed[2];    /* packets not decrypted (no keys, or not this connection's) */
	/* HTTP/3 (the ALPN is h3): the decoder (owned by the tracer, which
	   frees it when the connection retires; NULL in copies) */
	struct h3_conn *h3;
	bool h3_alpn;            /* the ALPN is h3 (chosen, or the only one offered) */
	bool h3_nomem;           /* h3_new refused (the memory budget) */
	uint32_t n_h3x;          /* exchanges ended (and, at retirement, still open) */
	struct quicflow_h3x h3x[QUICFLOW_H3_SUM]; /* the first of them */

	uint32_t tl_first, tl_last; /* its first and newest exchange in the timeline: index + 1,
	                               0 none (kept by timeline.c) */
	struct conn_calls calls_pos; /* its connected UDP socket's measured calls, by datagram
	                               (issue 14; timeline.c) */
	uint32_t dg_len[2][CONN_CALL_RING]; /* UDP payload bytes of datagram k (pkts[dir] counts
	                               them from 1) at [dir][k % CONN_CALL_RING], the newest */
	int64_t ts_close;        /* the first CONNECTION_CLOSE, 0 none */

	/* table links (indices; UINT32_MAX = none) */
	uint32_t hnext, lprev, lnext;
	bool in_use;
};

struct quicflow_table;

/* Called for each connection leaving the table (evicted, or at the end),
 * before its decoder is freed; the slot is reused once this returns. */
typedef void (*quicflow_retire_fn)(void *ctx, const struct quicflow *q, const char *why);

/* max 0: QUICFLOW_DEFAULT_MAX.  NULL when memory cannot be had. */
struct quicflow_table *quicflow_open(uint32_t max, quicflow_retire_fn retire, void *ctx);

/* Retire every connection (why "end of capture") and free. */
void quicflow_close(struct quicflow_table *t);

/*
 * The connection of a datagram from p->src:sport to p->dst:dport, in
 * either direction: *dir 0 when sent by its client.  NULL when none.
 * Moves it to the front of the LRU list.
 */
struct quicflow *quicflow_find(struct quicflow_table *t, const struct pkt *p, int *dir);

/*
 * A new connection with p's sender as the client (the caller checked none
 * exists).  At the cap the least recently used connection is retired
 * ("evicted").  NULL when the decoder's memory cannot be had.
 */
struct quicflow *quicflow_new(struct quicflow_table *t, const struct pkt *p, int64_t ts);

/* A connection ends before the capture does (another connection took its
 * ports): retire it now (the callback, then its slot is free). */
void quicflow_retire(struct quicflow_table *t, struct quicflow *q, const char *why);

/* Drop a connection just made whose first Initial did not open: it never
 * existed (no retire call, its number is given back). */
void quicflow_forget(struct quicflow_table *t, struct quicflow *q);

uint64_t quicflow_evicted(const struct quicflow_table *t);
uint64_t quicflow_count(const struct quicflow_table *t);   /* connections made */
uint64_t quicflow_mem_peak(const struct quicflow_table *t); /* decoder bytes held at most */

/* "H3_NO_ERROR" ... for an application error code (RFC 9114 8.1, RFC 9204 6); NULL unknown. */
const char *quicflow_h3_error_name(uint64_t code);

#endif
