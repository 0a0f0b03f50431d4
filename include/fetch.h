/* fetch.h - the fetch linker: DNS queries to answers, answers to connections. */
#ifndef FT_FETCH_H
#define FT_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "dns.h"
#include "pkt.h"

#define FETCH_MAX_PENDING 1024  /* DNS queries awaiting an answer */
#define FETCH_MAX_ADDRS 2048    /* addresses learnt from answers */
#define FETCH_MAX_FETCHES 4096  /* fetch records kept for the summary */

struct fetch_linker;

/* What fetch_connect tells about a new connection. */
struct fetch_link {
	uint32_t fetch_id;      /* fetch number, from 1 */
	bool new_fetch;         /* this connection starts the fetch */
	bool via_dns;           /* an earlier DNS answer gave the server address */
	bool via_proxy;         /* fetch_proxy: a connection to a proxy moved to this fetch,
	                           the host it asked the proxy for (name) */
	uint32_t moved_from;    /* via_proxy: the fetch the connection was in until then */
	const struct dns_name *name;  /* the name asked for (valid until the next call); NULL without
	                                 DNS; via_proxy: the host asked of the proxy */
	const struct dns_name *cname; /* the canonical name at the end of a CNAME chain, or NULL */
	uint16_t dns_id;        /* id of the answer that gave the address */
	int64_t answer_ts;      /* when that answer arrived */
	int64_t query_ts;       /* when its query left (0 when the query was not seen) */
};

struct fetch_linker *fetch_open(void);
void fetch_close(struct fetch_linker *fl);

/* A DNS query (QR = 0) from p->src to p->dst. */
void fetch_dns_query(struct fetch_linker *fl, const struct pkt *p, const struct dns_msg *m);

/*
 * A DNS response: match it to its query (id and both endpoints) and learn
 * the addresses it gives, through CNAME chains.  Returns the response time
 * in microseconds, or -1 when the query was not seen.
 */
int64_t fetch_dns_response(struct fetch_linker *fl, const struct pkt *p, const struct dns_msg *m);

/* A new connection from cli to srv: tie it to a fetch.  An answer that
 * the same host asked for wins over one another host asked for. */
void fetch_connect(struct fetch_linker *fl, uint8_t ip_ver, const uint8_t cli[16],
		   const uint8_t srv[16], struct fetch_link *out);

/*
 * A TLS ClientHello on a connection of this fetch named `sni`.  Without a
 * DNS name the fetch takes the SNI as its name.  Returns false when the
 * fetch has a different (DNS) name.
 */
bool fetch_sni(struct fetch_linker *fl, uint32_t fetch_id, const char *sni, size_t len);

/*
 * A connection of fetch fetch_id asked the proxy at px (its server) for
 * `host`.  A fetch is one host: the fetch's first host through a proxy
 * becomes its name (a DNS name it had was the proxy's); another host
 * moves the connection to that host's fetch through the same proxy, a
 * new one the first time.  Returns the connection's fetch from now on;
 * when it changed, *out tells (via_proxy, moved_from, new_fetch, name),
 * else out->fetch_id is 0.
 */
uint32_t fetch_proxy(struct fetch_linker *fl, uint32_t fetch_id, uint8_t ip_ver,
		     const uint8_t px[16], const char *host, size_t len, struct fetch_link *out);

/* The name of a fetch for the summary, or NULL (no DNS, or forgotten);
 * valid until the next call. */
const struct dns_name *fetch_name(struct fetch_linker *fl, uint32_t fetch_id);

/* Queries never answered (for the summary). */
uint64_t fetch_unanswered(const struct fetch_linker *fl);

#endif
