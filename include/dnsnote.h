/* dnsnote.h - what a DNS message means in the resolver's walk: priming, referral,
 * authoritative answer, negative answer, an answer from a resolver's cache. */
#ifndef FT_DNSNOTE_H
#define FT_DNSNOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "dns.h"
#include "pkt.h"
#include "step.h"

#define DNSNOTE_MAX_SERVERS 256  /* name-server addresses remembered with their zones */
#define DNSNOTE_MAX_TTLS 512     /* first TTLs remembered per (name, type) */
#define DNSNOTE_MAX_QUERIES 256  /* recent queries remembered (which resolver sent them) */

enum dns_note_kind {
	DNS_NOTE_NONE = 0,
	DNS_NOTE_PRIMING,        /* a query for the root's NS: the resolver learns the root servers */
	DNS_NOTE_ROOT_SERVERS,   /* the answer to priming */
	DNS_NOTE_REFERRAL,       /* no answer; NS of a zone below in authority, glue in additional */
	DNS_NOTE_AUTHORITATIVE,  /* an answer with the AA bit: from the zone's own server */
	DNS_NOTE_NEGATIVE,       /* NXDOMAIN or no data, with the SOA that says how long to cache it */
	DNS_NOTE_CACHED,         /* from a resolver's cache: the TTL counts down from the first seen */
};

struct dns_note {
	enum dns_note_kind kind;
	bool from_known;            /* from_zone is known (the server's address was learnt) */
	uint16_t n_ns, n_glue;      /* REFERRAL/ROOT_SERVERS: NS records, glue addresses */
	uint32_t neg_ttl;           /* NEGATIVE: how long the "no" may be cached (RFC 2308 5) */
	uint32_t ttl, ttl_first;    /* CACHED: the TTL now and when first seen */
	bool own_resolver;          /* any kind: the query (or the response's query) came from an
	                               application's own resolver, not getaddrinfo()
	                               (step_dns_own_resolver decides; the call column says
	                               `resolver`) */
	bool offers_h3;             /* any kind: an HTTPS (or SVCB) answer whose ALPN list has
	                               h3 (or a draft h3-NN): a browser may try QUIC first */
	struct dns_name from_zone;  /* zone of the server that answered (names last: the
	                               scalars above are cleared in one go) */
	struct dns_name to_zone;    /* REFERRAL: the zone it refers to */
};

struct dns_noter;

struct dns_noter *dnsnote_open(void);
void dnsnote_close(struct dns_noter *n);

/* Read one decoded message sent by p->src (learning name-server addresses
 * and first TTLs) and say what it means. */
void dnsnote_message(struct dns_noter *n, const struct pkt *p, const struct dns_msg *m,
		     struct dns_note *out);

#endif
