/* proxy.h - the handshake a client makes with a proxy before its fetch: SOCKS4/4a
 * (the SOCKS 4 protocol note, SOCKS 4A), SOCKS5 (RFC 1928, RFC 1929), HTTP CONNECT
 * (RFC 9110 9.3.6).  Pure: each direction's bytes parsed as they come. */
#ifndef FT_PROXY_H
#define FT_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define PROXY_HOST_MAX 255   /* a SOCKS5 domain name is at most 255 bytes; longer hosts are cut */
#define PROXY_HEAD_MAX 8192  /* bytes of a CONNECT request or response head before it is refused */

enum proxy_kind {
	PROXY_NONE = 0,
	PROXY_SOCKS4,   /* SOCKS4, or SOCKS4a when the client sends a host name */
	PROXY_SOCKS5,
	PROXY_CONNECT,  /* an HTTP CONNECT tunnel */
};

/* Messages of the handshake, as bits (what one call completed). */
enum {
	PROXY_M_HELLO = 1,       /* SOCKS5 client: version and auth methods */
	PROXY_M_METHOD = 2,      /* SOCKS5 server: the method chosen */
	PROXY_M_AUTH = 4,        /* SOCKS5 client: username/password (RFC 1929) */
	PROXY_M_AUTH_REPLY = 8,  /* SOCKS5 server: its verdict on them */
	PROXY_M_REQUEST = 16,    /* client: CONNECT host:port (every kind) */
	PROXY_M_REPLY = 32,      /* server: yes or no (every kind) */
};

/* One connection's handshake.  Zeroed with the connection. */
struct proxy_state {
	uint8_t kind;             /* enum proxy_kind; PROXY_NONE also after the sniff said no */
	bool sniffed;             /* the client's first bytes were looked at */
	bool done[2];             /* per direction: the handshake is over; what follows is the
	                             inner stream (0 client -> proxy, 1 proxy -> client) */
	bool failed;              /* bytes that are no handshake: the rest is not decoded */
	uint8_t phase[2];         /* SOCKS5, per direction: 0 hello / choice, 1 after it, 2 after
	                             the username/password exchange */
	bool replied;             /* the proxy's answer was read */
	bool ok;                  /* ... and it said yes */
	bool socks4a;             /* SOCKS4 with a host name */
	uint8_t n_methods;        /* SOCKS5 hello: methods offered */
	uint8_t method;           /* SOCKS5: the method the server chose (0xFF none) */
	uint8_t auth_status;      /* SOCKS5 username/password: the server's status (0 ok) */
	uint8_t code;             /* SOCKS reply code (SOCKS4 90 granted; SOCKS5 0 succeeded) */
	uint16_t status;          /* CONNECT: the HTTP status */
	uint16_t port;            /* the port asked for */
	uint16_t host_len;        /* bytes in host */
	bool again;               /* CONNECT: a 407 that keeps the connection: the client may ask
	                             again on it (with its credentials) */
	uint32_t body_left;       /* CONNECT: bytes of a refusal's body still to pass over */
	uint64_t hs_end[2];       /* the caller's: relative sequence number just past each
	                             direction's handshake (0 until it ended) */
	char host[PROXY_HOST_MAX + 1]; /* the host asked for: a name, or an address as text;
	                             raw wire bytes (escape to print), NUL-terminated */
};

/*
 * Does a stream start with a proxy handshake?  b[0..len) are the client's
 * first bytes.  FT_OK with *kind set (PROXY_NONE: not a proxy), or
 * FT_NEED_MORE when too few to tell.
 */
enum ft_status proxy_sniff(const uint8_t *b, size_t len, uint8_t *kind);

/*
 * The next bytes of direction dir (0 client, 1 proxy).  *used: bytes of
 * whole messages taken (the caller offers the rest again with more);
 * *msgs: PROXY_M_* bits completed.  FT_NEED_MORE: the direction's
 * handshake goes on; FT_OK: it is over (done[dir]) and b[*used..len) is
 * the inner stream; FT_MALFORMED: the bytes are no handshake (failed).
 */
enum ft_status proxy_feed(struct proxy_state *st, int dir, const uint8_t *b, size_t len,
			  size_t *used, uint8_t *msgs);

/* "SOCKS5", "SOCKS4a", "HTTP CONNECT", ... */
const char *proxy_kind_name(const struct proxy_state *st);

#endif
