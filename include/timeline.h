/* timeline.h - where the time of each fetch went: DNS, connect, TLS, send, wait,
 * download, close, per HTTP exchange (the browser DevTools / HAR timing model). */
#ifndef FT_TIMELINE_H
#define FT_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fetch.h"
#include "flow.h"
#include "http.h"
#include "tls.h"

#define TL_MAX_EXCH 20000   /* exchanges kept; more are counted */
#define TL_STR 64           /* bytes kept of a method, target or name */

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
	int64_t tls_start, tls_end; /* ClientHello, first application data */
	int64_t req_start, req_end; /* request: first and last byte */
	int64_t resp_start, resp_end; /* response: first and last byte */
	int64_t fin, closed;        /* first FIN, the connection's last packet */
	uint64_t up, down;          /* body bytes (HTTP) or application data bytes (TLS) */
	uint16_t status;            /* HTTP status, 0 unknown */
	uint8_t close_how;          /* 0 open, 1 client FIN first, 2 server FIN first, 3 reset */
	uint8_t method_len, target_len, name_len;
	char method[TL_STR], target[TL_STR], name[TL_STR]; /* raw bytes (printed escaped) */
};

struct timeline;

struct timeline *timeline_open(void);
void timeline_close(struct timeline *tl);

/* A fetch begins (its first connection): remember its name and DNS times. */
void timeline_fetch(struct timeline *tl, const struct fetch_link *l);

/* Events of the packet at `now` on connection c. */
void timeline_http(struct timeline *tl, int64_t now, const struct conn *c, const struct http_ev *h);
void timeline_tls(struct timeline *tl, int64_t now, const struct conn *c, const struct tls_ev *v);

/* A connection left the table: its close times. */
void timeline_conn_done(struct timeline *tl, const struct conn *c);

size_t timeline_count(const struct timeline *tl);
const struct tl_exch *timeline_get(const struct timeline *tl, size_t i);
uint64_t timeline_dropped(const struct timeline *tl);

#endif
