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

#endif
