/* step.h - which step of the socket story a packet belongs to (pure). */
#ifndef FT_STEP_H
#define FT_STEP_H

#include <stdbool.h>
#include <stdint.h>

enum step {
	STEP_RESOLVE = 0, /* DNS: getaddrinfo() */
	STEP_CONNECT,     /* TCP handshake, and the TLS handshake (secure channel): connect() */
	STEP_WRITE,       /* client -> server data and the server's ACKs of it: write() */
	STEP_READ,        /* server -> client data and the client's ACKs of it: read() */
	STEP_CLOSE,       /* FIN, RST, and data-less segments after the first FIN: close() */
	STEP_OTHER,       /* belongs to no fetch */
	STEP_COUNT
};

/*
 * Everything the classifier looks at, taken from the packet, the flow
 * state and the events the decoders gave for this packet.  Filling this
 * is the caller's job (trace.c copies facts, it decides nothing);
 * step_classify only reads it.  step.c is the one place a step is decided.
 */
struct step_in {
	bool is_dns;          /* a DNS message (UDP), or the TCP segments of a DNS-over-TCP connection */
	bool is_quic;         /* a UDP datagram to or from port 443 holding QUIC packets */
	bool quic_handshake;  /* is_quic: an Initial, Handshake, Retry or Version Negotiation packet
	                         is in the datagram */
	bool quic_hs_done;    /* is_quic: a HANDSHAKE_DONE frame is in it */
	bool quic_decrypted;  /* is_quic: a 1-RTT packet of it was decrypted (its frames are known) */
	bool quic_stream;     /* is_quic: a decrypted packet carries STREAM (or DATAGRAM) data */
	int8_t quic_acks_dir; /* is_quic: which direction's stream data its ACKs newly cover:
	                         0 client's, 1 server's, -1 none */
	bool quic_close;      /* is_quic: a CONNECTION_CLOSE is in it or was seen before */
	bool is_tcp;          /* a TCP segment of a tracked connection */
	bool from_client;     /* sent by the side that sent the SYN (or the guessed client);
	                         QUIC: sent to port 443 */
	uint8_t flags;        /* TCP flags (TCP_* from pkt.h) */
	uint32_t pl_len;      /* payload length per the headers */
	bool completes_handshake; /* the client's first ACK after the SYN-ACK */
	bool after_fin;       /* a FIN was seen earlier on this connection, either way */
	int8_t acks_dir;      /* pure ACK: which direction's data it newly acknowledges:
	                         0 client data, 1 server data, -1 nothing new */
	bool tls;             /* the connection carries TLS (its first bytes were a TLS record) */
	bool tls_appdata_now; /* this segment's TLS records include application data */
	bool tls_appdata_sent[2]; /* the client (0) / server (1) has sent application data,
	                             this segment included (decrypted: records whose inner
	                             type is application data) */
	bool tls_hs_now;      /* this segment's TLS records include a handshake message after the
	                         hellos: decrypted (EncryptedExtensions ... NewSessionTicket), or
	                         by shape a likely NewSessionTicket (a TLS 1.3 server record after
	                         the client's Finished, before the client's first data) */
	bool tls_hs_bytes;    /* TLS, payload: every byte of this segment lies before its sender's
	                         first application data (a retransmission of handshake records or
	                         likely tickets: it carries no records of its own, its bytes are old) */
	bool tls_ahead;       /* TLS, payload: held beyond a hole (arrived before the bytes in
	                         front of it), so its records are not known yet */
	bool tls_close_now;   /* this segment's TLS records include a close_notify alert: decrypted,
	                         or by shape an encrypted alert (TLS 1.3: 19 bytes of content) */
	const struct step_in *quoted; /* an ICMP error quoting a packet of DNS or web traffic
	                                 this host sent: that packet's facts (its own quoted
	                                 is NULL); NULL otherwise */
	bool proxy_hs;        /* this segment carries bytes of a proxy handshake (SOCKS, HTTP
	                         CONNECT), or is a bare ACK while one is under way: connect() */
	bool doh;             /* this segment carries frames of a DNS-over-HTTPS exchange (RFC 8484) */
	bool h2_goaway;       /* HTTP/2: a GOAWAY was sent on the connection (by either side),
	                         in this segment or before it */
};

enum step step_classify(const struct step_in *in);

/* Is a packet of step s the secure-channel part of connect()?  (TLS or QUIC
 * handshake: the output says "secure channel".) */
bool step_secure(const struct step_in *in, enum step s);

/* "resolve", "connect", ... ; never NULL. */
const char *step_name(enum step s);

/* The socket call behind the step: "getaddrinfo()", "connect()", ... */
const char *step_call(enum step s);

/*
 * What the application made of a TCP connection, as a browser's network
 * stack shows it: used at once, opened ahead of its request (a preconnect),
 * opened and never used, or given up right after the TLS handshake.  A pure
 * function of the connection's moments (flow.c records them per step).
 *
 * STEP_PRECONNECT_US: a connection is preconnected when its client sent its
 * first request byte (the first write-step payload) at least this long after
 * the connection was ready (its last connect-step packet: the handshake's
 * ACK, or the TLS handshake's last record).  An application that connects
 * to send writes at once: the time between is its own, well under a
 * millisecond on a loaded machine, and does not grow with the round trip;
 * 10 ms leaves room for a slow one.  Chromium's preconnects wait tens of
 * milliseconds to seconds.
 */
#define STEP_PRECONNECT_US 10000

enum conn_use {
	CONN_USE_NONE = 0,    /* nothing to say: used at once, mid-stream, refused, DNS over TCP */
	CONN_USE_PRECONNECT,  /* ready STEP_PRECONNECT_US or more before the client's first byte */
	CONN_USE_UNUSED,      /* ready, then closed (or still open at the end) without a byte from
	                         the client: "preconnected, unused" */
	CONN_USE_ABANDONED,   /* TLS: the client sent no request and the connection closed less
	                         than STEP_PRECONNECT_US after its TLS handshake's last record: given
	                         up right after the handshake (a certificate refused, an HTTPS
	                         upgrade that failed) */
};

/* The moments conn_use looks at (times in microseconds, 0: not seen). */
struct conn_use_in {
	bool established;     /* the TCP handshake was seen complete (not mid-stream) */
	bool dns;             /* DNS over TCP: not a web connection */
	bool tls;             /* the client's first bytes were a TLS record */
	bool srv_data;        /* the server sent payload (TLS: its handshake answer) */
	int64_t ts_ready;     /* the last connect-step packet before the client's first data */
	int64_t ts_cli_data;  /* the client's first write-step payload */
	int64_t ts_close;     /* the first close-step packet (FIN, RST), 0 while open */
	int64_t ts_last;      /* the last packet seen */
	bool proxy_refused;   /* the client asked a proxy for a tunnel (SOCKS, CONNECT) and got
	                         none: the connection was used, for that */
};

enum conn_use step_conn_use(const struct conn_use_in *in);

/* CONN_USE_PRECONNECT: how long the connection waited for its first byte. */
int64_t step_conn_idle(const struct conn_use_in *in);

/* "preconnect", "unused", "abandoned", or NULL for CONN_USE_NONE (JSON values). */
const char *step_conn_use_name(enum conn_use u);

/*
 * HTTPS upgrade (Chromium's HTTPS-Upgrades, Firefox's HTTPS-First): for an
 * http:// URL the browser tries https:// first, and goes on over http://
 * when that fails.  Seen on the wire: a connection to port 443 given up
 * after its TLS handshake (CONN_USE_ABANDONED), then a cleartext
 * HTTP request to the same fetch on another port, its first byte after the
 * TLS try ended.  tls_end: the TLS try's first close-step packet; http_first:
 * the later connection's first request byte.
 */
bool step_https_upgrade(enum conn_use tls_try, uint16_t tls_port, int64_t tls_end,
			bool http_plain, uint16_t http_port, int64_t http_first);

/*
 * Which resolver sent a DNS query (the call column: `getaddrinfo()` or
 * `resolver`).  getaddrinfo() (glibc, musl) asks only for A and AAAA, and
 * sends the A and AAAA of one call from one socket (one source port).  A
 * query cannot be the libc call when its type is neither A nor AAAA (an
 * HTTPS-type query, an MX, a resolver's NS), or when the same client asked
 * the same name, within STEP_LOOKUP_US, from another source port (an
 * application's own resolver: Chromium's sends the HTTPS, A and AAAA
 * queries of one lookup from a socket each; so does a recursive resolver).
 * A response takes its query's call.  The step stays resolve.
 */
#define STEP_LOOKUP_US 1000000

struct dns_call_in {
	uint16_t qtype;       /* the question's type (0: no question) */
	bool other_port;      /* the same client asked the same name within STEP_LOOKUP_US from
	                         another source port */
};

/* true: an application's own resolver ("resolver"); false: getaddrinfo(). */
bool step_dns_own_resolver(const struct dns_call_in *in);

/* The call column of a DNS packet: "resolver" or step_call(STEP_RESOLVE). */
const char *step_dns_call(bool own_resolver);

#endif
