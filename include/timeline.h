/* timeline.h - where the time of each fetch went: DNS, connect, TLS, send, wait,
 * download, close, per HTTP exchange (the browser DevTools / HAR timing model). */
#ifndef FT_TIMELINE_H
#define FT_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fetch.h"
#include "flow.h"
#include "h2.h"
#include "h3.h"
#include "http.h"
#include "quicflow.h"
#include "tls.h"

#define TL_MAX_EXCH 16384   /* exchanges kept; more are counted (bounds RSS: see make bench) */
#define TL_MAX_OPEN 16384   /* timeline_stream: exchanges open at once past the kept ones */
/* For tests only: an environment variable that lowers the number of
 * exchanges kept (1 to TL_MAX_EXCH), so a small capture passes the cap. */
#define TL_KEEP_ENV "FETCHTRACE_TEST_TL_KEEP"
#define TL_STR 64           /* bytes kept of a method, target or name */
#define TL_TARGET 160       /* bytes kept of a request target for the HAR URL */
#define TL_HDR_BUF 384      /* bytes of header fields kept for one side (packed) */
#define TL_HDR_VAL 128      /* bytes kept of one header value */

/* The header fields fetchtrace keeps (struct http_head), in the order kept. */
enum tl_hdr {
	TL_H_HOST = 0, TL_H_USER_AGENT, TL_H_ACCEPT, TL_H_CONNECTION, TL_H_CONTENT_TYPE,
	TL_H_CONTENT_LENGTH, TL_H_TRANSFER_ENCODING, TL_H_CONTENT_ENCODING, TL_H_LOCATION,
	TL_H_ETAG, TL_H_RANGE, TL_H_IF_NONE_MATCH, TL_H_IF_MODIFIED_SINCE, TL_H_N
};

/* Their names as RFC 9110 spells them (the wire's spelling is not kept). */
extern const char *const tl_hdr_name[TL_H_N];

/*
 * One side's message head, as far as it is kept.  The fields are packed in
 * hdr: one byte id (enum tl_hdr, 0x80 set when the value was cut), one byte
 * value length (<= TL_HDR_VAL), the value's raw bytes.  A field that does
 * not fit is left out and `hdr_cut` says so.
 */
struct tl_head {
	bool seen;                  /* the head was parsed */
	uint8_t v_major, v_minor;   /* HTTP version */
	uint32_t head_len;          /* bytes of the head, first line to the empty line included */
	bool hdr_cut;               /* a field did not fit in hdr */
	uint16_t hdr_len;           /* bytes used in hdr */
	char hdr[TL_HDR_BUF];
};

/* Walk the fields of h: start with *off = 0; false at the end. */
bool tl_head_next(const struct tl_head *h, size_t *off, enum tl_hdr *id, const char **val,
		  size_t *len, bool *cut);

/* What only the HAR export reads of an exchange (about 1 KB): kept only when
 * timeline_keep_heads asked for it, so the summary's exchanges stay small. */
struct tl_heads {
	bool url_target_cut;        /* the target was longer than TL_TARGET */
	uint16_t url_target_len;
	char url_target[TL_TARGET]; /* the request target, raw bytes */
	struct tl_head req, resp;   /* the request's and the final response's heads */
};

/* One exchange: an HTTP request and its response, or for a connection whose
 * HTTP is not visible (TLS), the connection's application data as one.
 * Times are microseconds since the epoch; 0 = did not happen / not seen. */
struct tl_exch {
	uint32_t fetch, conn;       /* fetch and connection numbers */
	uint32_t exchange;          /* HTTP exchange number; 0 for an encrypted connection */
	bool first_on_conn;         /* the connection's first exchange: its DNS/connect/TLS count */
	bool tls;                   /* over TLS */
	int64_t dns_start, dns_end; /* the fetch's query and answer */
	int64_t syn, synack, est;   /* TCP handshake: SYN, SYN-ACK, the ACK */
	int64_t proxy_end;          /* through a proxy: its reply opening the tunnel (connect()
	                               ends there), else 0 */
	int64_t tls_start, tls_end; /* ClientHello, first application data */
	int64_t req_start, req_end; /* request: first and last byte */
	int64_t resp_start, resp_end; /* response: first and last byte */
	int64_t fin, closed;        /* first FIN, the connection's last packet */
	uint64_t up, down;          /* body bytes (HTTP) or application data bytes (TLS) */
	uint16_t status;            /* HTTP status, 0 unknown */
	uint8_t close_how;          /* 0 open, 1 client FIN first, 2 server FIN first, 3 reset */
	uint8_t method_len, target_len, name_len;
	char method[TL_STR], target[TL_STR], name[TL_STR]; /* raw bytes (printed escaped) */
	/* kept for the HAR export */
	uint8_t ip_ver;             /* 4 or 6 */
	uint8_t srv[16];            /* server address */
	uint16_t sport;             /* server port */
	uint8_t sni_len;            /* TLS: the ClientHello's server name, 0 none */
	char sni[TL_STR];
	uint8_t reason_len;         /* the final response's reason phrase */
	char reason[TL_STR];
	struct tl_heads *hd;        /* the target and heads for HAR; NULL unless kept */
	uint32_t stream;            /* HTTP/2: the stream id (0 for HTTP/1.x) */
	bool cancelled;             /* HTTP/2: RST_STREAM ended the exchange; HTTP/3: RESET_STREAM */
	bool quic;                  /* HTTP/3: conn is the QUIC connection number (qN, its own
	                               numbering, not a TCP connection's) and stream the request
	                               stream's id (0 is a stream); the handshake is both the
	                               connect and the TLS phase (syn = est..., tls_* the same) */
	int64_t call_write;         /* measured (issue 14): the write() of the request, entered */
	int64_t call_read;          /* and the read() that returned the response's first bytes;
	                               0 not measured.  The wait, as the application lived it
	                               (call_write .. call_read), splits into kernel time (to the
	                               response's first byte: stack, network, server) and
	                               application time (the bytes waiting in the receive buffer
	                               until the read()) */
	uint64_t req_pos, resp_pos; /* HTTP/2: the TCP stream positions (1-based) of the last
	                               byte of the frame or TLS record that carried the request's
	                               HEADERS and the response's first; 0 unknown.  The calls
	                               whose counted bytes cover them are call_write, call_read */
	uint8_t call_nosplit;       /* enum tl_nosplit: calls were measured on its connection but
	                               which returned its first bytes cannot be known exactly (the
	                               wait is then not split); 0 none */
	uint32_t prev_on_conn, next_on_conn; /* the same connection's exchanges before and after
	                                        this one: index + 1, 0 none */
	bool retired;               /* its connection has left the table (timeline.c) */
	uint64_t seq;               /* the order exchanges began in: 0, 1, 2... (kept or not) */
};

/* Why a stream's wait is not split though its connection's calls were measured. */
enum tl_nosplit {
	TL_SPLIT = 0,
	TL_NOSPLIT_COUNT,   /* a call's bytes are not known, or a call came before the bytes it
	                       moved: the counts do not follow the stream */
	TL_NOSPLIT_MMSG,    /* recvmmsg()/sendmmsg(): several datagrams at once, their sizes unknown */
	TL_NOSPLIT_SIZE,    /* a call's size is not its datagram's (datagrams coalesced by GRO,
	                       or cut): which call returned which datagram is not known */
	TL_NOSPLIT_N
};
/* The words the views use for it ("" for TL_SPLIT). */
const char *timeline_nosplit_why(unsigned why);

/* The phases of an exchange, in time order (the DevTools / HAR model). */
enum tl_phase { TL_DNS, TL_CONNECT, TL_TLS, TL_SEND, TL_WAIT, TL_DOWNLOAD, TL_CLOSE, TL_PHASES };

/* When the TCP handshake's "connect" ends: the SYN-ACK (one round trip),
 * or the handshake's ACK when the SYN-ACK was not seen; 0 unknown. */
int64_t timeline_connect_end(const struct tl_exch *x);

/* Start and end of each phase of x; both 0 when it did not happen or was not seen. */
void timeline_phases(const struct tl_exch *x, int64_t st[TL_PHASES], int64_t en[TL_PHASES]);

struct timeline;

struct timeline *timeline_open(void);
void timeline_close(struct timeline *tl);
/* Keep each exchange's target and heads (struct tl_heads) for the HAR export;
 * before the first exchange.  Without it tl_exch.hd is NULL. */
void timeline_keep_heads(struct timeline *tl);

/*
 * Hand each exchange to done(ctx, x) once it is final: when its connection
 * leaves (timeline_conn_done, timeline_quic_done) and, for those still open,
 * at timeline_stream_end; before the first exchange.  The exchanges past the
 * kept ones (TL_MAX_EXCH) then still live while their connection is open (at
 * most TL_MAX_OPEN at once), are handed over and forgotten; only the kept
 * ones stay for timeline_get.  Without keep (nothing reads them at the end:
 * no HAR), none is kept: each lives only while its connection is open.
 * Events of a connection after it left are not taken (its exchanges were
 * handed over).
 */
void timeline_stream(struct timeline *tl, void (*done)(void *ctx, const struct tl_exch *x),
		     void *ctx, bool keep);
/* The end: hand over the exchanges whose connection never left. */
void timeline_stream_end(struct timeline *tl);

/* A fetch begins (its first connection): remember its name and DNS times. */
void timeline_fetch(struct timeline *tl, const struct fetch_link *l);

/*
 * Events of the packet at `now` on connection c.  The timeline is the one
 * owner of exchange times: it finds the exchange through c (c->tl_first,
 * c->tl_last, which it keeps), never by searching.  timeline_http returns
 * what the packet line shows beside the event: for a response head the
 * time since the request's last byte (the exchange's wait), for the
 * response's end the time since its first byte (its download); -1 none.
 */
int64_t timeline_http(struct timeline *tl, int64_t now, struct conn *c, const struct http_ev *h);
/*
 * The same for an HTTP/2 event: each stream is an exchange of its own
 * (keyed by connection and the stream's exchange number), concurrent with
 * the others: request HEADERS open it, the client's last frame on the
 * stream ends the request, response HEADERS start the response, its last
 * DATA (or END_STREAM) ends it.  Returns what the line shows, as above.
 */
int64_t timeline_h2(struct timeline *tl, int64_t now, struct conn *c, const struct h2_ev *v);
/*
 * The same for an HTTP/3 event on QUIC connection q: each request stream
 * is an exchange keyed by (q->id, stream id), in a key space of its own
 * (the links are q->tl_first / q->tl_last).  Returns what the line shows.
 */
int64_t timeline_h3(struct timeline *tl, int64_t now, struct quicflow *q, const struct h3_ev *v);
/* A measured read() of connection c returned data at read_exit (issue 14):
 * the oldest HTTP/1.x exchange whose response had begun by then and has no
 * read yet takes it, with c's newest write() entry before its request.
 * Returns when that response's first byte arrived, or 0 when none took it. */
int64_t timeline_call_read(struct timeline *tl, const struct conn *c, int64_t read_exit);

/*
 * A measured write() (dir 0: entered at `when`) or read() (dir 1: returned
 * at `when`) of connection c moved n bytes (issue 14).  From the bytes moved since
 * the connect(), it covered a range of the stream's positions: the HTTP/2
 * stream whose request HEADERS ended in that range was written by it, the
 * stream whose response's first HEADERS ended there was read by it (exactly:
 * no guess by time).  The join works in either order (the call before the
 * frame's event, or after).  Returns the arrival of the first response head
 * it read (and *stream its stream id), 0 none.  lost: the call's bytes are
 * not known (sendmmsg counts messages): no stream is joined from then on.
 */
int64_t timeline_call_bytes(struct timeline *tl, struct conn *c, int dir, uint64_t n,
			    int64_t when, bool lost, uint32_t *stream);
/*
 * Before a measured read() of c returning at `when`: avail bytes of the
 * server's stream have arrived in order so far.  A read that returned more
 * than a clocks' difference ago cannot have counted past them; if one did,
 * the counts are off (a recv(MSG_PEEK) counted bytes it did not take: the
 * calls' flags are not recorded) and no stream is joined from then on.
 */
void timeline_call_avail(struct timeline *tl, struct conn *c, uint64_t avail, int64_t when);

/*
 * The same for HTTP/3, on QUIC connection q's connected UDP socket: a read
 * returns one datagram, in the order they came, so the k-th datagram read
 * is the k-th that arrived (q->pkts[1] counts them), and the k-th sent the
 * k-th that left; each checked against its datagram's size.  n: bytes the
 * call moved; mmsg: a recvmmsg()/sendmmsg() (n datagrams, sizes unknown:
 * nothing is joined from then on).  Calls count only when the socket's
 * first call came before its first datagram either way (the first send,
 * made before q exists, is handed over when q is made: trace.c).
 */
int64_t timeline_call_dgram(struct timeline *tl, struct quicflow *q, int dir, uint64_t n,
			    int64_t when, bool mmsg, uint32_t *stream);
/* Datagram q->pkts[dir] (len UDP payload bytes) of q is being handled:
 * checked against a call already seen for it. */
void timeline_dgram(struct timeline *tl, struct quicflow *q, int dir, uint32_t len);
#define TL_CALL_SKEW_US 1000 /* a call up to this much before the packet it returned is the
                                 clocks' difference (read_exit clamped to the arrival) */

/* A QUIC connection left the table: its close times. */
void timeline_quic_done(struct timeline *tl, const struct quicflow *q);
void timeline_tls(struct timeline *tl, int64_t now, struct conn *c, const struct tls_ev *v);

/* A connection left the table: its close times. */
void timeline_conn_done(struct timeline *tl, const struct conn *c);

/* --fetch, at the end (no event after it): keep only the exchanges whose
 * fetch keep() says yes, in their order, their links to each other kept. */
void timeline_keep(struct timeline *tl, bool (*keep)(void *ctx, uint32_t fetch_id), void *ctx);

size_t timeline_count(const struct timeline *tl);
const struct tl_exch *timeline_get(const struct timeline *tl, size_t i);
/* Exchanges not kept for timeline_get (with timeline_stream, handed over all the same). */
uint64_t timeline_dropped(const struct timeline *tl);
/* Exchanges not taken at all (no room): never kept nor handed over. */
uint64_t timeline_lost(const struct timeline *tl);

#endif
