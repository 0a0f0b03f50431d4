/* explain.c - explain mode's messages (the one place they are written) and their language. */
#include "explain.h"

#include <string.h>

/*
 * The English text is the gettext msgid; xgettext finds it by the N_ mark
 * (make pot: src/po/fetchtrace.pot).  The Korean catalog, src/po/ko.po, is
 * the one place translators edit.  We do not load it with libc's gettext at
 * run time: that needs a compiled .mo under a locale directory and a locale
 * the C library knows, so an uninstalled build (or a machine without
 * ko_KR.UTF-8 generated) would fall back to English.  Instead the Makefile
 * turns ko.po into a C table with POSIX awk (src/po/po2c.awk ->
 * build/ko_catalog.h) and it is compiled in.  tests/explain/test.sh fails
 * when a msgid here has no Korean translation.
 */
#define N_(s) s

struct explain_tr {
	const char *msgid, *msgstr;
};

#include "ko_catalog.h"   /* static const struct explain_tr explain_ko[], ending { NULL, NULL } */

static const char *const msg_en[EX_COUNT] = {
	[EX_DNS_QUERY] = N_("getaddrinfo() calls the resolver: it builds a query message and asks "
			    "the protocol stack to send it to the DNS server"),
	[EX_DNS_QUERY_FIELDS] = N_("a query carries three things: the name {name}, the class "
				   "{class} (IN: the Internet) and the type {type}: which record is "
				   "wanted (A: an IPv4 address, AAAA: an IPv6 one)"),
	[EX_DNS_PRIMING] = N_("priming: before its first walk the resolver asks which servers "
			      "hold the root zone"),
	[EX_DNS_ROOT_SERVERS] = N_("the root servers' names and addresses: every walk from the "
				   "top starts at one of them"),
	[EX_DNS_ANSWER_ADDR] = N_("the answer holds the resource records that match the name, "
				  "class and type: {name} is at {addr}; the resolver hands the "
				  "address back through getaddrinfo()"),
	[EX_DNS_ANSWER] = N_("the answer holds the resource records that match the name, class "
			     "and type the query asked for"),
	[EX_DNS_AUTHORITATIVE] = N_("authoritative (aa): the name is registered on this very "
				    "server, so the answer comes from its owner, not from a cache"),
	[EX_DNS_REFERRAL] = N_("referral: the server does not know the name but knows who is "
			       "responsible for {zone}: the resolver asks them next"),
	[EX_DNS_CACHED] = N_("answered from the resolver's cache: nothing was asked upstream; the "
			     "TTL counts down ({ttl_first} s when first seen, {ttl} s now)"),
	[EX_DNS_NEGATIVE] = N_("no such name (or no record of this type): the resolver keeps this "
			       "\"no\" in its cache too, for {ttl} s; getaddrinfo() fails"),
	[EX_DNS_ERROR] = N_("the DNS server could not answer ({rcode}): getaddrinfo() fails and no "
			    "connection follows"),
	[EX_SYN] = N_("connect() asks the protocol stack to lay the pipe to the server's socket "
		      "({server}): the first segment is a SYN"),
	[EX_SYN_ISN_MSS] = N_("the SYN carries the client's initial sequence number, {isn} (seq 0 "
			      "counts from it), and its MSS, {mss} B: the most data one segment "
			      "may carry"),
	[EX_SYN_ISN] = N_("the SYN carries the client's initial sequence number, {isn} (seq 0 "
			  "counts from it)"),
	[EX_SYNACK] = N_("SYN-ACK: the server's socket accepts; its own initial sequence number "
			 "is {isn}, and it acknowledges ours + 1 (ack {ack})"),
	[EX_HANDSHAKE_ACK] = N_("the client acknowledges the server's number + 1: the pipe is laid, "
				"connect() returns, and data can flow both ways"),
	[EX_TLS_HELLO] = N_("TLS: a secure channel is set up inside the pipe before the request; "
			    "the ClientHello's SNI tells the server which name the client wants "
			    "({sni})"),
	[EX_TLS_HELLO_NOSNI] = N_("TLS: a secure channel is set up inside the pipe before the "
				  "request; this ClientHello names no server (no SNI)"),
	[EX_QUIC] = N_("QUIC: over UDP the pipe and the secure channel are laid in one handshake, "
		       "without a TCP SYN"),
	[EX_WRITE] = N_("write() hands the request to the protocol stack, which cuts it into "
			"segments and sends them; the server ACKs what arrived"),
	[EX_WRITE_TLS] = N_("write() hands the request to TLS, which encrypts it, and on to the "
			    "protocol stack, which cuts it into segments; the server ACKs them"),
	[EX_READ] = N_("the response arrives: the protocol stack keeps it until read() copies it "
		       "into the application's receive buffer; the client ACKs what arrived"),
	[EX_READ_TLS] = N_("the response arrives encrypted: TLS decrypts it and read() copies it "
			   "into the application's receive buffer; the client ACKs what arrived"),
	[EX_CLOSE_CLIENT] = N_("the client called close() first: it has read what it wanted, and "
			       "its FIN says it will send nothing more"),
	[EX_CLOSE_SERVER] = N_("the server called close() first: it has nothing more to send (the "
			       "response ends with the connection, an idle keep-alive timed out, "
			       "or the client's TLS close_notify came); the client's read() "
			       "returns 0"),
	[EX_CLOSE_END] = N_("the other side answers with its own FIN; once both are acknowledged "
			    "the pipe is taken apart and each socket is erased"),
	[EX_RESET_CLIENT] = N_("RST: the client aborts the connection at once, without the FIN "
			       "exchange; the socket is erased"),
	[EX_RESET_SERVER] = N_("RST: the server aborts the connection at once, without the FIN "
			       "exchange; the client's next read() or write() fails"),
	[EX_REFUSED] = N_("RST to the SYN: no socket listens on port {port}, so connect() fails "
			  "(connection refused)"),
	[EX_QUIC_STREAMS] = N_("instead of TCP's handshake and then TLS's, one round trip sets up "
			       "both; the requests then travel as streams inside this one "
			       "connection, so a fetch over HTTP/3 may have no TCP connection at "
			       "all"),
	[EX_H3_OFFERED] = N_("h3 offered: the server says it also speaks HTTP/3 over QUIC (UDP "
			     "port 443), so a browser may try QUIC first and keep TCP as the "
			     "fallback"),
	[EX_ICMP_ERROR] = N_("ICMP: a router or the destination host reports that a packet could "
			     "not be delivered; the message quotes the packet's start, which ties "
			     "it to the socket that sent it"),
	[EX_ICMP_QUIC_FALLBACK] = N_("no socket listens on UDP {server}: the QUIC attempt fails at "
				     "once and the browser falls back to TCP; a SYN to the same "
				     "server follows, in the same fetch"),
	[EX_PRECONNECT] = N_("preconnected: the connection was ready {idle} before this first "
			     "request; the browser opened it ahead of time, guessing a request "
			     "would follow, so that the request does not wait for the handshake"),
	[EX_CLOSE_UNUSED] = N_("preconnected, unused: the browser opened this connection ahead "
			       "of time, but no request came for it; it is closed without a byte "
			       "of the application's sent or read"),
	[EX_CLOSE_ABANDONED] = N_("abandoned: the client gives up on the connection right after "
				  "the TLS handshake, without sending a request (it did not accept "
				  "the certificate, or it only tried https:// first for an http:// "
				  "address); nothing was read"),
	[EX_DNS_HTTPS_QUERY] = N_("type HTTPS (65): beside the address, the browser asks how the "
				  "server wants to be reached: its protocols (alpn: h2, h3), port, "
				  "address hints and ECH keys; getaddrinfo() never asks for it"),
	[EX_DNS_OWN_RESOLVER] = N_("resolver: this query cannot be getaddrinfo()'s, which asks "
				   "only for A and AAAA from one socket: the application's own "
				   "resolver sent it, a socket per query"),
	[EX_HTTPS_UPGRADE] = N_("HTTPS-Upgrade: the browser tried https:// first for this name "
				"({conn}, given up after the TLS handshake) and now goes on over "
				"http://"),
	[EX_REUSED] = N_("request {n} reuses the open connection (HTTP/1.1 keep-alive, or "
			 "another HTTP/2 stream): no new DNS lookup, TCP or TLS handshake before "
			 "it"),
	[EX_DNS_QUERY_OWN] = N_("the application's own resolver, not getaddrinfo(), builds a "
				"query message and asks the protocol stack to send it to the DNS "
				"server"),
	[EX_DNS_ANSWER_ADDR_OWN] = N_("the answer holds the resource records that match the "
				      "name, class and type: {name} is at {addr}; the "
				      "application's resolver hands the address on to it"),
	[EX_CLOSE_CLIENT_UNREAD] = N_("the client called close() first without having read "
				      "anything: it gave up waiting, or no longer wants an "
				      "answer; its FIN says it will send nothing more"),
	[EX_CALL_CONNECT] = N_("connect() returned after one round trip: {dur} (measured: the SYN went out and "
		"the SYN-ACK came back while the program waited in the call)"),
	[EX_CALL_CONNECT_NB] = N_("connect() returned at once ({dur}) with EINPROGRESS: the socket is non-blocking,"
		" so the protocol stack lays the pipe on its own; the program learns it is laid "
		"when poll(), select() or epoll_wait() says the socket is writable"),
	[EX_CALL_WRITE] = N_("write() returned after {dur}: its {bytes} B are now the protocol stack's to "
		"send; the call does not wait for the server to receive them"),
	[EX_CALL_READ] = N_("read() returned {bytes} B {dur} after the response's first byte arrived: that "
		"long the bytes waited in the receive buffer for the program to ask"),
	[EX_CALL_READY] = N_("{call} saw the socket writable {dur} after connect() returned EINPROGRESS: "
		"the SYN-ACK came back and the protocol stack finished the handshake on its own; "
		"this is when the program learns the pipe is laid"),
	[EX_CALL_READY_FAIL] = N_("{call} saw an error on the socket instead: the pipe could not be "
		"laid (the server answered the SYN with a RST, or an ICMP error came back); "
		"getsockopt(SO_ERROR) tells the program why"),
	[EX_CALL_SO_ERROR] = N_("getsockopt(SO_ERROR) reads the non-blocking connect()'s result, "
		"{result} (0: connected, else the error); the program asks before it writes on the "
		"socket"),
	[EX_CALL_READ_STREAM] = N_("read() returned {bytes} B {dur} after the first bytes of stream {stream}'s "
		"response arrived: the streams share one connection, so the bytes read since "
		"connect() say which read returned them; that long they waited in the receive "
		"buffer"),
	[EX_CALL_READ_DGRAM] = N_("the call returned the datagram that carried stream {stream}'s first response "
		"bytes ({bytes} B) {dur} after it arrived: a UDP socket hands its datagrams over in "
		"the order they came, so counting them says which call returned it; that long it "
		"waited in the receive buffer"),
};

const char *explain_msg(enum explain_id id, bool korean)
{
	if ((unsigned)id >= EX_COUNT)
		return "";
	const char *en = msg_en[id];
	if (!korean)
		return en;
	/* A few dozen entries, looked up only under a step's first packet. */
	for (const struct explain_tr *t = explain_ko; t->msgid; t++)
		if (t->msgstr[0] && strcmp(t->msgid, en) == 0)
			return t->msgstr;
	return en;
}

bool explain_korean(const char *lang, const char *lc_all, const char *lc_messages,
		    const char *lang_env)
{
	if (!lang) {
		/* POSIX precedence: LC_ALL over LC_MESSAGES over LANG. */
		const char *env[] = { lc_all, lc_messages, lang_env };
		for (size_t i = 0; i < sizeof(env) / sizeof(env[0]) && !lang; i++)
			if (env[i] && env[i][0])
				lang = env[i];
	}
	return lang && strncmp(lang, "ko", 2) == 0;
}

void explain_put(struct sb *s, const char *msg, const struct explain_arg *args, size_t n_args)
{
	const char *p = msg;
	while (*p) {
		const char *open = strchr(p, '{');
		if (!open) {
			sb_puts(s, p);
			return;
		}
		const char *close = strchr(open, '}');
		if (!close) {
			sb_puts(s, p);
			return;
		}
		/* the text before the brace, then the value (or the placeholder as it stands) */
		for (const char *q = p; q < open; q++)
			sb_putc(s, *q);
		size_t klen = (size_t)(close - open - 1);
		const char *val = NULL;
		for (size_t i = 0; i < n_args && !val; i++)
			if (strlen(args[i].key) == klen && memcmp(args[i].key, open + 1, klen) == 0)
				val = args[i].val;
		if (val) {
			sb_puts(s, val);
		} else {
			for (const char *q = open; q <= close; q++)
				sb_putc(s, *q);
		}
		p = close + 1;
	}
}
