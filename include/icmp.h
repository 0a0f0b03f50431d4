/* icmp.h - ICMP (RFC 792) and ICMPv6 (RFC 4443) messages, with the packet an error quotes. */
#ifndef FT_ICMP_H
#define FT_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quic.h"
#include "status.h"

#define IPPROTO_NUM_ICMP 1    /* ICMP for IPv4 */
#define IPPROTO_NUM_ICMPV6 58 /* ICMPv6 */

/* What a message is, the same for both versions. */
enum icmp_kind {
	ICMP_K_OTHER = 0,     /* a type not decoded further (router/neighbour discovery, ...) */
	ICMP_K_ECHO_REQUEST,  /* ping (v4 type 8, v6 128) */
	ICMP_K_ECHO_REPLY,    /* pong (v4 type 0, v6 129) */
	ICMP_K_UNREACH,       /* destination unreachable (v4 3, v6 1) */
	ICMP_K_TOO_BIG,       /* packet too big (v6 2); v4's "fragmentation needed" is an
	                         unreachable code and is reported as this kind too */
	ICMP_K_TIME_EXCEEDED, /* TTL / hop limit or reassembly time exceeded (v4 11, v6 3) */
	ICMP_K_PARAM_PROBLEM, /* parameter problem (v4 12, v6 4) */
	ICMP_K_REDIRECT,      /* v4 5 (v6's redirect is neighbour discovery: OTHER) */
	ICMP_K_SOURCE_QUENCH, /* v4 4 (deprecated, RFC 6633) */
};

/* The packet an error message quotes: the start of a datagram the
 * receiver of the error sent.  Each group of fields is valid when its
 * flag is set; the quote is usually cut (RFC 792 asks for 8 bytes past
 * the IP header, RFC 1812 and RFC 4443 for as much as fits), so every
 * flag may be false on a message that is fine. */
struct icmp_quote {
	bool ip;                  /* the quoted IP header was decoded: ver, proto, src, dst */
	uint8_t ver;              /* 4 or 6 */
	uint8_t proto;            /* quoted transport protocol (after IPv6 extension headers) */
	uint8_t src[16], dst[16]; /* quoted addresses (IPv4 in the first 4 bytes) */
	bool ports;               /* sport/dport read (TCP or UDP, 4 bytes quoted) */
	uint16_t sport, dport;
	bool tcp_flags_ok;        /* TCP: the flags byte was quoted (14 bytes) */
	uint8_t tcp_flags;        /* TCP_* bits of the quoted segment */
	uint32_t tcp_seq;         /* TCP: sequence number (valid with tcp_flags_ok) */
	uint32_t tcp_pl_len;      /* TCP: payload bytes the quoted segment had (from the
	                             quoted IP length and data offset; valid with tcp_flags_ok) */
	bool udp;                 /* a UDP header was quoted whole: pl/pl_cap/pl_len below */
	const uint8_t *pl;        /* quoted UDP payload (points into the packet), or NULL */
	uint32_t pl_cap;          /* payload bytes quoted */
	uint32_t pl_len;          /* payload length per the quoted UDP header */
	bool dns;                 /* a DNS header's first 4 bytes quoted (port 53) */
	uint16_t dns_id;          /* its transaction id */
	bool dns_qr;              /* its QR bit (a response; 0 = a query) */
	bool quic;                /* the quoted UDP payload parses as a QUIC header (port 443) */
	enum quic_type quic_type; /* its first packet's type */
	uint32_t quic_version;    /* long header: its version */
};

struct icmp_info {
	uint8_t ver;              /* 4: ICMP, 6: ICMPv6 */
	uint8_t type, code;       /* as on the wire */
	enum icmp_kind kind;
	bool error;               /* an error message (it quotes a packet) */
	bool port_unreach;        /* destination unreachable, port unreachable (v4 3/3, v6 1/4) */
	uint16_t echo_id, echo_seq; /* echo request/reply */
	uint32_t mtu;             /* TOO_BIG: next-hop MTU (v6 32 bits; v4 16 bits, 0 if not given) */
	uint32_t pointer;         /* PARAM_PROBLEM: offset of the bad byte in the quote */
	uint32_t body_len;        /* bytes after the 8-byte header, per the IP length */
	struct icmp_quote q;      /* error: the quoted packet */
	bool quote_cut;           /* the quote stopped before its transport header's end */
	enum ft_status status;    /* OK, TRUNCATED (header cut), MALFORMED */
	const char *why;          /* static text when status != OK */
};

/*
 * Decode one ICMP (ver 4) or ICMPv6 (ver 6) message: b[0..cap_len) are the
 * bytes captured of a message `len` bytes long (per the IP header).  Pure:
 * reads only b[0..min(cap_len, len)), fills *out whatever happens.  A quote
 * cut short is not an error: its fields are flagged missing.
 */
enum ft_status icmp_decode(uint8_t ver, const uint8_t *b, size_t cap_len, size_t len,
			   struct icmp_info *out);

/* "destination unreachable", "echo request", ...; "type N" is the caller's for NULL. */
const char *icmp_type_name(uint8_t ver, uint8_t type);

/* "port unreachable", "TTL exceeded in transit", ...; NULL when the code has no name. */
const char *icmp_code_name(uint8_t ver, uint8_t type, uint8_t code);

/* What the error means for a fetch, as a short phrase: "no HTTP/3 there; a
 * browser falls back to TCP", "no DNS server there", ...; NULL when there is
 * nothing to say. */
const char *icmp_meaning(const struct icmp_info *m);

/* The quoted packet's QUIC type by name ("Initial", "Handshake", ...). */
const char *icmp_quic_type_name(enum quic_type t);

#endif
