/* explain.h - explain mode's messages: each step's first packet tied to the chapter. */
#ifndef FT_EXPLAIN_H
#define FT_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "sb.h"

/*
 * One line of explanation each.  The English text (the gettext msgid) lives
 * in src/explain.c and nowhere else; the Korean text in src/po/ko.po.  A
 * message may hold named placeholders such as {name}, filled by explain_put.
 */
enum explain_id {
	EX_DNS_QUERY = 0,       /* the resolver builds a query, the stack sends it */
	EX_DNS_QUERY_FIELDS,    /* {name} {class} {type}: the three things a query carries */
	EX_DNS_PRIMING,         /* a query for the root's NS */
	EX_DNS_ROOT_SERVERS,    /* the answer to priming */
	EX_DNS_ANSWER_ADDR,     /* {name} {addr}: the address is found */
	EX_DNS_ANSWER,          /* an answer without an address */
	EX_DNS_AUTHORITATIVE,   /* the AA bit: from the zone's own server */
	EX_DNS_REFERRAL,        /* {zone}: asks the servers of a zone below next */
	EX_DNS_CACHED,          /* {ttl} {ttl_first}: from the resolver's cache */
	EX_DNS_NEGATIVE,        /* {ttl}: no such name or no data, cached too */
	EX_DNS_ERROR,           /* {rcode}: the server could not answer */
	EX_SYN,                 /* {server}: connect() starts the pipe */
	EX_SYN_ISN_MSS,         /* {isn} {mss}: the SYN's numbers */
	EX_SYN_ISN,             /* {isn}: the same without an MSS option */
	EX_SYNACK,              /* {isn} {ack}: the server's numbers */
	EX_HANDSHAKE_ACK,       /* the pipe is laid, connect() returns */
	EX_TLS_HELLO,           /* {sni}: the secure channel starts */
	EX_TLS_HELLO_NOSNI,     /* the same without SNI */
	EX_QUIC,                /* QUIC: pipe and secure channel in one handshake */
	EX_WRITE,               /* write() hands the request to the stack */
	EX_WRITE_TLS,           /* the same through TLS */
	EX_READ,                /* the response fills the receive buffer */
	EX_READ_TLS,            /* the same through TLS */
	EX_CLOSE_CLIENT,        /* the client called close() first */
	EX_CLOSE_SERVER,        /* the server called close() first */
	EX_CLOSE_END,           /* the other FIN, the sockets erased */
	EX_RESET_CLIENT,        /* RST from the client */
	EX_RESET_SERVER,        /* RST from the server */
	EX_REFUSED,             /* {port}: RST to the SYN */
	EX_QUIC_STREAMS,        /* QUIC: one handshake, streams, maybe no TCP at all */
	EX_H3_OFFERED,          /* an HTTPS record or Alt-Svc offers h3: why QUIC is tried */
	EX_ICMP_ERROR,          /* an ICMP error quotes the packet it is about */
	EX_ICMP_QUIC_FALLBACK,  /* {server}: port unreachable for QUIC: the fallback to TCP */
	EX_PRECONNECT,          /* {idle}: the connection waited for its first request */
	EX_CLOSE_UNUSED,        /* preconnected, never used, now closed */
	EX_CLOSE_ABANDONED,     /* closed right after the TLS handshake, no request */
	EX_DNS_HTTPS_QUERY,     /* a query of type HTTPS (65) */
	EX_DNS_OWN_RESOLVER,    /* the query came from the application's own resolver */
	EX_HTTPS_UPGRADE,       /* {conn}: https:// tried first, http:// follows */
	EX_REUSED,              /* {n}: a later request on a connection already open */
	EX_DNS_QUERY_OWN,       /* the application's own resolver builds a query */
	EX_DNS_ANSWER_ADDR_OWN, /* {name} {addr}: the address, back to the application */
	EX_CLOSE_CLIENT_UNREAD, /* the client called close() first, nothing read */
	EX_CALL_CONNECT,        /* {dur}: the measured connect() blocked (issue 14) */
	EX_CALL_CONNECT_NB,     /* {dur}: connect() returned EINPROGRESS (issue 14) */
	EX_CALL_WRITE,          /* {dur} {bytes}: a measured write() (issue 14) */
	EX_CALL_READ,           /* {dur} {bytes}: a measured read() (issue 14) */
	EX_CALL_READY,          /* {call} {dur}: the wait that saw a connecting socket writable */
	EX_CALL_READY_FAIL,     /* {call}: the wait that saw a connecting socket's error */
	EX_CALL_SO_ERROR,       /* {result}: getsockopt(SO_ERROR) after a non-blocking connect() */
	EX_CALL_READ_STREAM,    /* {dur} {bytes} {stream}: the read() of an HTTP/2 stream's first bytes */
	EX_CALL_READ_DGRAM,     /* {dur} {bytes} {stream}: the read() of an HTTP/3 stream's datagram */
	EX_COUNT
};

/* A placeholder's value: trusted or already escaped text. */
struct explain_arg {
	const char *key;        /* "name" for {name} */
	const char *val;
};

/* The message in English, or in Korean when the catalog has it (else English). */
const char *explain_msg(enum explain_id id, bool korean);

/* Korean?  lang is --lang ("en", "ko") or NULL; then the first of LC_ALL,
 * LC_MESSAGES, LANG that is set and not empty decides: "ko..." is Korean. */
bool explain_korean(const char *lang, const char *lc_all, const char *lc_messages,
		    const char *lang_env);

/* Append msg with each {key} replaced by its value; an unknown or unclosed
 * placeholder is copied as it stands. */
void explain_put(struct sb *s, const char *msg, const struct explain_arg *args, size_t n_args);

#endif
