/* step.c - the step classifier: a pure function of packet and flow state. */
#include "step.h"

#include "pkt.h"

/*
 * The rules, in the order they are tried (DESIGN.md, "Step rules"):
 *
 *   DNS message or DNS-over-TCP segment ............ resolve
 *   not a tracked TCP segment ....................... other
 *   SYN or SYN-ACK .................................. connect
 *   RST, FIN ........................................ close
 *   the ACK that completes the handshake (no data) .. connect
 *   no payload after a FIN was seen ................. close
 *   TLS handshake records, or a bare ACK, before any
 *   application data (the secure channel) ........... connect
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
enum step step_classify(const struct step_in *in)
{
	if (in->is_dns)
		return STEP_RESOLVE;
	if (!in->is_tcp)
		return STEP_OTHER;
	if (in->flags & TCP_SYN)
		return STEP_CONNECT;
	if (in->flags & (TCP_RST | TCP_FIN))
		return STEP_CLOSE;
	if (in->pl_len == 0 && in->completes_handshake)
		return STEP_CONNECT;
	if (in->pl_len == 0 && in->after_fin)
		return STEP_CLOSE;
	/* The application cannot use the connection until the TLS handshake
	 * is done: that is still connect(), its secure-channel part. */
	if (in->tls_handshake)
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
