/* step.c - the step classifier: a pure function of packet and flow state. */
#include "step.h"

#include "pkt.h"

/*
 * The rules, in the order they are tried (DESIGN.md, "Step rules"):
 *
 *   ICMP error quoting a packet of ours ............. the quoted packet's step
 *   DNS message or DNS-over-TCP segment ............ resolve
 *   QUIC: CONNECTION_CLOSE, and all after it ........ close
 *   QUIC: Initial, Handshake, Retry, Version
 *         Negotiation in the datagram ............... connect (secure channel)
 *   QUIC: STREAM data (decrypted) ................... client -> write, server -> read
 *   QUIC: HANDSHAKE_DONE ............................ connect (secure channel)
 *   QUIC: 1-RTT not decrypted: by sender ............ client -> write, server -> read
 *   QUIC: ACKs newly covering stream data ........... the step of that data
 *   QUIC: anything else: by sender .................. client -> read, server -> write
 *   not a tracked TCP segment ....................... other
 *   SYN or SYN-ACK .................................. connect
 *   RST, FIN ........................................ close
 *   the ACK that completes the handshake (no data) .. connect
 *   no payload after a FIN was seen ................. close
 *   TLS close_notify (decrypted, or an encrypted alert
 *   by its shape), no application data with it ...... close
 *   TLS handshake messages after the hellos (decrypted,
 *   or a likely NewSessionTicket), no application
 *   data with them .................................. connect (secure channel)
 *   data of a DNS-over-HTTPS exchange ............... resolve
 *   HTTP/2 after a GOAWAY (the GOAWAY included) ..... close
 *   TLS handshake records, or a bare ACK, before any
 *   application data (the secure channel), or a
 *   retransmission of such records (but not a segment
 *   held ahead of a hole after the peer's data) ..... connect
 *   payload from the client ......................... write
 *   payload from the server ......................... read
 *   pure ACK of client data ......................... write
 *   pure ACK of server data ......................... read
 *   pure ACK acknowledging nothing new: by sender ... client -> read, server -> write
 *
 * A pure ACK takes the step of the data it acknowledges: the server
 * ACKing the request is part of write(), the client ACKing the response
 * part of read().  One that acknowledges nothing new (a duplicate ACK, a
 * window update) is the receiver's side of the exchange: the client
 * waiting in read(), the server waiting for more of the request.
 */

/*
 * Is this TLS segment part of the handshake (before application data)?
 * Its records are handshake ones (none of this segment's is application
 * data and its sender has sent none), or it is a bare ACK while neither
 * side has sent application data yet.
 */
static bool tls_handshaking(const struct step_in *in)
{
	if (!in->tls || in->tls_appdata_now)
		return false;
	/* NewSessionTicket (TLS 1.3) comes after the Finished messages, even
	 * after data: still the secure channel's setup */
	if (in->pl_len && in->tls_hs_now && !in->tls_close_now)
		return true;
	/* a retransmission of handshake bytes (or likely tickets) keeps the
	 * step of the original, whatever was sent since */
	if (in->pl_len && in->tls_hs_bytes)
		return true;
	/* a segment that overtook the bytes before it has no records known
	 * yet: once the peer has sent data, it is data too (handshake records
	 * come before the peer's data; only tickets may follow, in order) */
	if (in->pl_len && in->tls_ahead && in->tls_appdata_sent[in->from_client ? 1 : 0])
		return false;
	if (in->pl_len == 0)
		return !in->tls_appdata_sent[0] && !in->tls_appdata_sent[1];
	return !in->tls_appdata_sent[in->from_client ? 0 : 1];
}

/*
 * An ICMP error (port unreachable, packet too big, time exceeded...) is
 * the network's answer to a packet this host sent: it belongs to the step
 * of that packet, classified as the client's with what the quote shows.
 * A quoted DNS query is resolve; a QUIC Initial or a SYN is connect (the
 * failed attempt is part of connect()); quoted data is write.  The quote
 * carries no flow state, so a quoted TLS handshake record counts as
 * write and a quoted pure ACK as read (the client acknowledging).  Only
 * one level: the quoted packet's own `quoted` is not followed.
 */
static enum step step_of_quote(const struct step_in *q)
{
	struct step_in c = *q;
	c.quoted = NULL;
	c.from_client = true;
	return step_classify(&c);
}

enum step step_classify(const struct step_in *in)
{
	if (in->quoted)
		return step_of_quote(in->quoted);
	if (in->is_dns)
		return STEP_RESOLVE;
	/* UDP port 443 carrying QUIC: the socket story happens inside QUIC.
	 * Long headers are the handshake (transport and secure channel in
	 * one), also when 1-RTT packets are coalesced behind them (what rides
	 * there is HTTP/3's control streams, the settings of the connection).
	 * 1-RTT packets carry the request and the response; a HANDSHAKE_DONE
	 * without stream data still ends the handshake.  Without keys a 1-RTT
	 * packet can only be told by its sender. */
	if (in->is_quic) {
		if (in->quic_close)
			return STEP_CLOSE;
		if (in->quic_handshake)
			return STEP_CONNECT;
		if (in->quic_stream)
			return in->from_client ? STEP_WRITE : STEP_READ;
		if (in->quic_hs_done)
			return STEP_CONNECT;
		if (!in->quic_decrypted)
			return in->from_client ? STEP_WRITE : STEP_READ;
		if (in->quic_acks_dir == 0)
			return STEP_WRITE;
		if (in->quic_acks_dir == 1)
			return STEP_READ;
		/* as a TCP ACK acknowledging nothing new: the receiver's side */
		return in->from_client ? STEP_READ : STEP_WRITE;
	}
	if (!in->is_tcp)
		return STEP_OTHER;
	if (in->flags & TCP_SYN)
		return STEP_CONNECT;
	if (in->flags & (TCP_RST | TCP_FIN))
		return STEP_CLOSE;
	if (in->pl_len == 0 && in->completes_handshake)
		return STEP_CONNECT;
	/* Through a proxy, connect() is done when the proxy has opened the way:
	 * its handshake (SOCKS, HTTP CONNECT) is part of it. */
	if (in->proxy_hs)
		return STEP_CONNECT;
	if (in->pl_len == 0 && in->after_fin)
		return STEP_CLOSE;
	/* close_notify (SSL_shutdown) is the start of close(), wherever it
	 * comes: the alert says the sender writes no more. */
	if (in->tls && in->pl_len && in->tls_close_now && !in->tls_appdata_now)
		return STEP_CLOSE;
	/* DNS over HTTPS (RFC 8484): an HTTP exchange that carries a DNS
	 * message is getaddrinfo()'s work, whatever the connection */
	if (in->doh && in->pl_len)
		return STEP_RESOLVE;
	/* A GOAWAY starts HTTP/2's graceful close (RFC 9113 6.8): it and
	 * every segment after it are the connection winding down. */
	if (in->h2_goaway)
		return STEP_CLOSE;
	/* The application cannot use the connection until the TLS handshake
	 * is done: that is still connect(), its secure-channel part. */
	if (tls_handshaking(in))
		return STEP_CONNECT;
	if (in->pl_len == 0) {
		if (in->acks_dir == 0)
			return STEP_WRITE;
		if (in->acks_dir == 1)
			return STEP_READ;
		return in->from_client ? STEP_READ : STEP_WRITE;
	}
	return in->from_client ? STEP_WRITE : STEP_READ;
}

bool step_secure(const struct step_in *in, enum step s)
{
	if (s != STEP_CONNECT || in->is_dns || in->quoted)
		return false; /* an ICMP error is no part of the secure channel */
	if (in->is_quic)
		return true;
	/* the TCP handshake is connect() but not yet the secure channel */
	if (!in->is_tcp || in->flags & TCP_SYN || (in->pl_len == 0 && in->completes_handshake))
		return false;
	return tls_handshaking(in);
}

static const char *const step_names[STEP_COUNT] = {
	[STEP_RESOLVE] = "resolve", [STEP_CONNECT] = "connect", [STEP_WRITE] = "write",
	[STEP_READ] = "read",       [STEP_CLOSE] = "close",     [STEP_OTHER] = "other",
};

static const char *const step_calls[STEP_COUNT] = {
	[STEP_RESOLVE] = "getaddrinfo()", [STEP_CONNECT] = "connect()",
	[STEP_WRITE] = "write()",         [STEP_READ] = "read()",
	[STEP_CLOSE] = "close()",         [STEP_OTHER] = "-",
};

const char *step_name(enum step s)
{
	return (unsigned)s < STEP_COUNT ? step_names[s] : "?";
}

const char *step_call(enum step s)
{
	return (unsigned)s < STEP_COUNT ? step_calls[s] : "?";
}

/* ------------------------------------------------------------------ */
/* what the application made of a connection                          */
/* ------------------------------------------------------------------ */

enum conn_use step_conn_use(const struct conn_use_in *in)
{
	/* Without the handshake there is no moment the connection was ready. */
	if (!in->established || in->dns || !in->ts_ready || in->proxy_refused)
		return CONN_USE_NONE;
	if (in->ts_cli_data)
		return in->ts_cli_data - in->ts_ready >= STEP_PRECONNECT_US ? CONN_USE_PRECONNECT
									    : CONN_USE_NONE;
	/* No byte from the client.  A TLS connection closed right after its
	 * handshake was given up; anything else that waited was opened ahead
	 * of a request that never came. */
	int64_t end = in->ts_close ? in->ts_close : in->ts_last;
	if (in->tls && in->ts_close && end - in->ts_ready < STEP_PRECONNECT_US)
		/* a ClientHello the server never answered: no handshake to speak of */
		return in->srv_data ? CONN_USE_ABANDONED : CONN_USE_NONE;
	if (!in->ts_close && end - in->ts_ready < STEP_PRECONNECT_US)
		return CONN_USE_NONE; /* the capture ended before it could be used */
	return CONN_USE_UNUSED;
}

int64_t step_conn_idle(const struct conn_use_in *in)
{
	return in->ts_cli_data && in->ts_ready ? in->ts_cli_data - in->ts_ready : 0;
}

const char *step_conn_use_name(enum conn_use u)
{
	switch (u) {
	case CONN_USE_PRECONNECT: return "preconnect";
	case CONN_USE_UNUSED: return "unused";
	case CONN_USE_ABANDONED: return "abandoned";
	case CONN_USE_NONE: break;
	}
	return NULL;
}

bool step_https_upgrade(enum conn_use tls_try, uint16_t tls_port, int64_t tls_end,
			bool http_plain, uint16_t http_port, int64_t http_first)
{
	return tls_try == CONN_USE_ABANDONED && tls_port == 443 && http_plain &&
	       http_port != 443 && tls_end && http_first && http_first >= tls_end;
}

bool step_dns_own_resolver(const struct dns_call_in *in)
{
	if (in->qtype == 0)
		return false;
	if (in->qtype != 1 && in->qtype != 28)
		return true;   /* getaddrinfo() asks for A and AAAA only */
	return in->other_port;
}

const char *step_dns_call(bool own_resolver)
{
	return own_resolver ? "resolver" : step_calls[STEP_RESOLVE];
}
