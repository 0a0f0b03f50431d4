/* test_step.c - the step classifier, rule by rule, and its names. */
#include <string.h>

#include "pkt.h"
#include "step.h"
#include "t.h"

static enum step cls_tls(bool dns, bool tcp, bool from_client, uint8_t flags, uint32_t len,
			 bool hs, bool after_fin, int acks, bool tls)
{
	struct step_in in = {
		.is_dns = dns, .is_tcp = tcp, .from_client = from_client, .flags = flags,
		.pl_len = len, .completes_handshake = hs, .after_fin = after_fin,
		.acks_dir = (int8_t)acks, .tls = tls,
	};
	return step_classify(&in);
}

/* A TLS segment: whether it carries application data, and which sides have
 * sent application data (this segment included). */
static struct step_in tls_in(bool from_client, uint8_t flags, uint32_t len, bool appdata_now,
			     bool cli_sent, bool srv_sent)
{
	struct step_in in = {
		.is_tcp = true, .from_client = from_client, .flags = flags, .pl_len = len,
		.acks_dir = -1, .tls = true, .tls_appdata_now = appdata_now,
		.tls_appdata_sent = { cli_sent, srv_sent },
	};
	return in;
}

static struct step_in quic_in(bool from_client, bool long_hdr)
{
	struct step_in in = { .is_quic = true, .quic_handshake = long_hdr,
			      .from_client = from_client, .acks_dir = -1, .quic_acks_dir = -1 };
	return in;
}

static enum step cls(bool dns, bool tcp, bool from_client, uint8_t flags, uint32_t len,
		     bool hs, bool after_fin, int acks)
{
	return cls_tls(dns, tcp, from_client, flags, len, hs, after_fin, acks, false);
}

int main(void)
{
	/* DNS is resolve whatever the TCP flags (DNS over TCP's handshake too) */
	CHECK_EQ_INT(cls(true, false, true, 0, 40, false, false, -1), STEP_RESOLVE);
	CHECK_EQ_INT(cls(true, true, true, TCP_SYN, 0, false, false, -1), STEP_RESOLVE);
	CHECK_EQ_INT(cls(true, true, false, TCP_FIN | TCP_ACK, 0, false, true, -1), STEP_RESOLVE);
	/* not TCP and not DNS: other */
	CHECK_EQ_INT(cls(false, false, true, 0, 100, false, false, -1), STEP_OTHER);
	/* the handshake */
	CHECK_EQ_INT(cls(false, true, true, TCP_SYN, 0, false, false, -1), STEP_CONNECT);
	CHECK_EQ_INT(cls(false, true, false, TCP_SYN | TCP_ACK, 0, false, false, -1), STEP_CONNECT);
	CHECK_EQ_INT(cls(false, true, true, TCP_ACK, 0, true, false, 1), STEP_CONNECT);
	/* the handshake ACK carrying the request is already write() */
	CHECK_EQ_INT(cls(false, true, true, TCP_ACK | TCP_PSH, 78, true, false, -1), STEP_WRITE);
	/* data by direction */
	CHECK_EQ_INT(cls(false, true, true, TCP_ACK | TCP_PSH, 78, false, false, -1), STEP_WRITE);
	CHECK_EQ_INT(cls(false, true, false, TCP_ACK, 1448, false, false, -1), STEP_READ);
	/* data after a FIN still moves bytes: write/read, not close */
	CHECK_EQ_INT(cls(false, true, false, TCP_ACK, 100, false, true, -1), STEP_READ);
	/* pure ACKs take the step of the data they acknowledge */
	CHECK_EQ_INT(cls(false, true, false, TCP_ACK, 0, false, false, 0), STEP_WRITE);
	CHECK_EQ_INT(cls(false, true, true, TCP_ACK, 0, false, false, 1), STEP_READ);
	/* ... or, acknowledging nothing new, the side that waits */
	CHECK_EQ_INT(cls(false, true, true, TCP_ACK, 0, false, false, -1), STEP_READ);
	CHECK_EQ_INT(cls(false, true, false, TCP_ACK, 0, false, false, -1), STEP_WRITE);
	/* teardown */
	CHECK_EQ_INT(cls(false, true, true, TCP_FIN | TCP_ACK, 0, false, false, -1), STEP_CLOSE);
	CHECK_EQ_INT(cls(false, true, false, TCP_FIN | TCP_ACK | TCP_PSH, 20, false, false, -1),
		     STEP_CLOSE);
	CHECK_EQ_INT(cls(false, true, false, TCP_RST, 0, false, false, -1), STEP_CLOSE);
	CHECK_EQ_INT(cls(false, true, false, TCP_RST | TCP_ACK, 0, false, false, -1), STEP_CLOSE);
	CHECK_EQ_INT(cls(false, true, true, TCP_ACK, 0, false, true, 1), STEP_CLOSE);
	/* SYN wins over RST/FIN in the same segment (a SYN-FIN scan is a connect attempt) */
	CHECK_EQ_INT(cls(false, true, true, TCP_SYN | TCP_FIN, 0, false, false, -1), STEP_CONNECT);

	/* TLS handshake records (and bare ACKs before application data) are the
	 * secure-channel part of connect(); FIN/RST still close, SYN connects */
	CHECK_EQ_INT(cls_tls(false, true, true, TCP_ACK | TCP_PSH, 517, false, false, -1, true),
		     STEP_CONNECT);
	CHECK_EQ_INT(cls_tls(false, true, false, TCP_ACK, 1448, false, false, -1, true), STEP_CONNECT);
	CHECK_EQ_INT(cls_tls(false, true, false, TCP_ACK, 0, false, false, 0, true), STEP_CONNECT);
	CHECK_EQ_INT(cls_tls(false, true, true, TCP_FIN | TCP_ACK, 0, false, false, -1, true),
		     STEP_CLOSE);
	CHECK_EQ_INT(cls_tls(false, true, false, TCP_RST, 0, false, false, -1, true), STEP_CLOSE);
	/* the last ACK of the FIN exchange closes, handshake finished or not */
	CHECK_EQ_INT(cls_tls(false, true, true, TCP_ACK, 0, false, true, 1, true), STEP_CLOSE);
	/* after the handshake, application data is write/read again */
	CHECK_EQ_INT(cls_tls(false, true, true, TCP_ACK | TCP_PSH, 100, false, false, -1, false),
		     STEP_WRITE);

	/* TLS: the handshake ends for each side with its first application data */
	struct step_in in = tls_in(true, TCP_ACK | TCP_PSH, 517, false, false, false);
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);          /* ClientHello */
	CHECK(step_secure(&in, step_classify(&in)));
	in = tls_in(false, TCP_ACK, 1448, false, false, false);
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);          /* ServerHello, certificate */
	in = tls_in(true, TCP_ACK | TCP_PSH, 120, true, true, false);
	CHECK_EQ_INT(step_classify(&in), STEP_WRITE);            /* Finished + the request */
	CHECK(!step_secure(&in, step_classify(&in)));
	/* the server's tickets after the client's data, before its own: still connect */
	in = tls_in(false, TCP_ACK | TCP_PSH, 250, false, true, false);
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	in = tls_in(false, TCP_ACK | TCP_PSH, 300, true, true, true);
	CHECK_EQ_INT(step_classify(&in), STEP_READ);             /* the response */
	/* a retransmission of those tickets once the response has started carries no records
	 * of its own (its bytes are old): its bytes lying before the server's first application
	 * data keep it connect, as the original was (the bench's ground truth found it read) */
	in = tls_in(false, TCP_ACK | TCP_PSH, 444, false, true, true);
	CHECK_EQ_INT(step_classify(&in), STEP_READ);
	in.tls_hs_bytes = true;
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	CHECK(step_secure(&in, step_classify(&in)));
	/* ... and so is a retransmitted ClientHello after the client's data */
	in = tls_in(true, TCP_ACK | TCP_PSH, 517, false, true, true);
	in.tls_hs_bytes = true;
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	/* a response segment that overtook the one before it (held beyond a hole: no records
	 * of its own yet, the server's first data record not seen) after the client's data is
	 * read, not the handshake (the bench found these connect) */
	in = tls_in(false, TCP_ACK, 1448, false, true, false);
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	in.tls_ahead = true;
	CHECK_EQ_INT(step_classify(&in), STEP_READ);
	/* ahead of a hole in the server's flight, before the client's data: still connect */
	in = tls_in(false, TCP_ACK, 1448, false, false, false);
	in.tls_ahead = true;
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	/* a retransmitted response segment is not: read */
	in = tls_in(false, TCP_ACK, 1448, false, true, true);
	CHECK_EQ_INT(step_classify(&in), STEP_READ);
	/* a bare ACK is connect while neither side sent data, then follows the data */
	in = tls_in(false, TCP_ACK, 0, false, false, false);
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	in = tls_in(false, TCP_ACK, 0, false, true, false);
	in.acks_dir = 0;
	CHECK_EQ_INT(step_classify(&in), STEP_WRITE);
	/* a client record after it sent data (a second request) is write */
	in = tls_in(true, TCP_ACK | TCP_PSH, 90, false, true, true);
	CHECK_EQ_INT(step_classify(&in), STEP_WRITE);
	/* tls_hs_now: a decrypted handshake message (or a likely NewSessionTicket)
	 * is connect, the secure channel, even after both sides sent data */
	in = tls_in(false, TCP_ACK | TCP_PSH, 250, false, true, true);
	in.tls_hs_now = true;
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	CHECK(step_secure(&in, STEP_CONNECT));
	/* ... but not when application data rides in the same segment */
	in.tls_appdata_now = true;
	CHECK_EQ_INT(step_classify(&in), STEP_READ);
	in = tls_in(true, TCP_ACK | TCP_PSH, 40, false, true, true);
	in.tls_hs_now = true;                                    /* a client KeyUpdate */
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	/* tls_close_now: close_notify (decrypted, or the 19-byte shape) is close,
	 * from either side, with or without data sent before */
	in = tls_in(true, TCP_ACK | TCP_PSH, 24, false, true, true);
	in.tls_close_now = true;
	CHECK_EQ_INT(step_classify(&in), STEP_CLOSE);
	CHECK(!step_secure(&in, STEP_CLOSE));
	in = tls_in(false, TCP_ACK | TCP_PSH, 24, false, false, false);
	in.tls_close_now = true;
	CHECK_EQ_INT(step_classify(&in), STEP_CLOSE);
	/* an alert with data in the same segment: the data decides */
	in = tls_in(false, TCP_ACK | TCP_PSH, 300, true, true, true);
	in.tls_close_now = true;
	CHECK_EQ_INT(step_classify(&in), STEP_READ);
	/* a close_notify and a handshake message in one segment: close */
	in = tls_in(false, TCP_ACK | TCP_PSH, 300, false, true, true);
	in.tls_close_now = true;
	in.tls_hs_now = true;
	CHECK_EQ_INT(step_classify(&in), STEP_CLOSE);
	/* the facts say nothing without TLS, nor on a pure ACK */
	in = tls_in(true, TCP_ACK | TCP_PSH, 24, false, true, true);
	in.tls = false;
	in.tls_close_now = true;
	CHECK_EQ_INT(step_classify(&in), STEP_WRITE);
	in = tls_in(true, TCP_ACK, 0, false, true, true);
	in.tls_close_now = true;
	in.tls_hs_now = true;
	in.acks_dir = 1;
	CHECK_EQ_INT(step_classify(&in), STEP_READ);
	/* a SYN on a TLS connection is connect but not the secure channel */
	in = tls_in(true, TCP_SYN, 0, false, false, false);
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	CHECK(!step_secure(&in, STEP_CONNECT));

	/* QUIC: long headers are the handshake (secure channel), short ones data by sender */
	in = quic_in(true, true);
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	CHECK(step_secure(&in, STEP_CONNECT));
	in = quic_in(false, true);
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	in = quic_in(true, false);
	CHECK_EQ_INT(step_classify(&in), STEP_WRITE);
	CHECK(!step_secure(&in, STEP_WRITE));
	in = quic_in(false, false);
	CHECK_EQ_INT(step_classify(&in), STEP_READ);
	/* QUIC decrypted (issue 11): stream data by sender */
	in = quic_in(true, false);
	in.quic_stream = in.quic_decrypted = true;
	CHECK_EQ_INT(step_classify(&in), STEP_WRITE);
	CHECK(!step_secure(&in, STEP_WRITE));
	in = quic_in(false, false);
	in.quic_stream = in.quic_decrypted = true;
	CHECK_EQ_INT(step_classify(&in), STEP_READ);
	/* ... but a datagram with a Handshake packet in front is connect (the
	 * control streams' settings ride behind the client's Finished) */
	in = quic_in(true, true);
	in.quic_stream = in.quic_decrypted = true;
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	CHECK(step_secure(&in, STEP_CONNECT));
	/* a server's 1-RTT HANDSHAKE_DONE is the end of the handshake: connect, secure */
	in = quic_in(false, false);
	in.quic_decrypted = in.quic_hs_done = true;
	CHECK_EQ_INT(step_classify(&in), STEP_CONNECT);
	CHECK(step_secure(&in, STEP_CONNECT));
	/* ... unless the response rides with it */
	in.quic_stream = true;
	CHECK_EQ_INT(step_classify(&in), STEP_READ);
	/* ACKs go with the data they acknowledge, as for TCP */
	in = quic_in(false, false);
	in.quic_decrypted = true;
	in.quic_acks_dir = 0; /* the server acknowledges the request */
	CHECK_EQ_INT(step_classify(&in), STEP_WRITE);
	in = quic_in(true, false);
	in.quic_decrypted = true;
	in.quic_acks_dir = 1; /* the client acknowledges the response */
	CHECK_EQ_INT(step_classify(&in), STEP_READ);
	/* ... one that covers nothing new is the receiver's side */
	in = quic_in(true, false);
	in.quic_decrypted = true;
	CHECK_EQ_INT(step_classify(&in), STEP_READ);
	in = quic_in(false, false);
	in.quic_decrypted = true;
	CHECK_EQ_INT(step_classify(&in), STEP_WRITE);
	/* CONNECTION_CLOSE, and everything after it, is close; it wins over data */
	in = quic_in(true, false);
	in.quic_decrypted = in.quic_close = in.quic_stream = true;
	CHECK_EQ_INT(step_classify(&in), STEP_CLOSE);
	CHECK(!step_secure(&in, STEP_CLOSE));
	in = quic_in(false, true); /* a stray Initial after the close */
	in.quic_close = true;
	CHECK_EQ_INT(step_classify(&in), STEP_CLOSE);
	/* without keys an ACK cannot be seen: by sender */
	in = quic_in(false, false);
	in.quic_acks_dir = 0;
	CHECK_EQ_INT(step_classify(&in), STEP_READ);
	/* DNS wins: a UDP DNS message is resolve, never secure */
	struct step_in dns = { .is_dns = true, .acks_dir = -1 };
	CHECK_EQ_INT(step_classify(&dns), STEP_RESOLVE);
	CHECK(!step_secure(&dns, STEP_RESOLVE));
	/* a plain TCP handshake is connect, not the secure channel */
	struct step_in syn = { .is_tcp = true, .from_client = true, .flags = TCP_SYN, .acks_dir = -1 };
	CHECK_EQ_INT(step_classify(&syn), STEP_CONNECT);
	CHECK(!step_secure(&syn, STEP_CONNECT));
	/* nothing known: other */
	struct step_in none = { .acks_dir = -1 };
	CHECK_EQ_INT(step_classify(&none), STEP_OTHER);

	/* An ICMP error takes the step of the packet it quotes (the client's),
	 * whatever the ICMP packet's own facts; it is never the secure channel. */
	struct step_in q_dns = { .is_dns = true, .acks_dir = -1 };
	struct step_in q_init = quic_in(true, true), q_short = quic_in(true, false);
	struct step_in q_syn = { .is_tcp = true, .flags = TCP_SYN, .acks_dir = -1 };
	struct step_in q_data = { .is_tcp = true, .flags = TCP_ACK | TCP_PSH, .pl_len = 1300,
				  .acks_dir = -1 };
	struct step_in q_fin = { .is_tcp = true, .flags = TCP_FIN | TCP_ACK, .acks_dir = -1 };
	struct step_in q_ack = { .is_tcp = true, .flags = TCP_ACK, .acks_dir = -1 };
	struct step_in icmp = { .acks_dir = -1 };
	icmp.quoted = &q_dns;
	CHECK_EQ_INT(step_classify(&icmp), STEP_RESOLVE);
	icmp.quoted = &q_init;
	CHECK_EQ_INT(step_classify(&icmp), STEP_CONNECT);
	CHECK(!step_secure(&icmp, STEP_CONNECT));
	icmp.quoted = &q_short;
	CHECK_EQ_INT(step_classify(&icmp), STEP_WRITE);
	icmp.quoted = &q_syn;
	CHECK_EQ_INT(step_classify(&icmp), STEP_CONNECT);
	icmp.quoted = &q_data;
	CHECK_EQ_INT(step_classify(&icmp), STEP_WRITE);
	icmp.quoted = &q_fin;
	CHECK_EQ_INT(step_classify(&icmp), STEP_CLOSE);
	icmp.quoted = &q_ack;
	CHECK_EQ_INT(step_classify(&icmp), STEP_READ);
	/* the quote's from_client is not trusted: the quote is always the client's */
	q_short.from_client = false;
	icmp.quoted = &q_short;
	CHECK_EQ_INT(step_classify(&icmp), STEP_WRITE);
	/* one level only: a quote's own quote is not followed */
	q_syn.quoted = &q_dns;
	icmp.quoted = &q_syn;
	CHECK_EQ_INT(step_classify(&icmp), STEP_CONNECT);
	/* HTTP/2: client frames write, server frames read; a GOAWAY and
	 * everything after it (frames either way, bare ACKs) close */
	struct step_in h2 = { .is_tcp = true, .from_client = true, .flags = TCP_ACK | TCP_PSH,
			      .pl_len = 44, .acks_dir = -1 };
	CHECK_EQ_INT(step_classify(&h2), STEP_WRITE);
	h2.from_client = false;
	CHECK_EQ_INT(step_classify(&h2), STEP_READ);
	h2.h2_goaway = true;
	CHECK_EQ_INT(step_classify(&h2), STEP_CLOSE);
	h2.from_client = true;
	CHECK_EQ_INT(step_classify(&h2), STEP_CLOSE);
	h2.pl_len = 0;
	h2.acks_dir = 1;
	CHECK_EQ_INT(step_classify(&h2), STEP_CLOSE);
	/* the handshake still comes first */
	h2.flags = TCP_SYN;
	CHECK_EQ_INT(step_classify(&h2), STEP_CONNECT);
	/* DNS over HTTPS: data of a DoH exchange is resolve, either way; its
	 * bare ACKs, FIN and handshake keep their TCP steps */
	struct step_in doh = { .is_tcp = true, .from_client = true, .flags = TCP_ACK | TCP_PSH,
			       .pl_len = 120, .acks_dir = -1, .doh = true };
	CHECK_EQ_INT(step_classify(&doh), STEP_RESOLVE);
	doh.from_client = false;
	CHECK_EQ_INT(step_classify(&doh), STEP_RESOLVE);
	doh.pl_len = 0;
	doh.acks_dir = 1;
	CHECK_EQ_INT(step_classify(&doh), STEP_READ);
	doh.flags = TCP_FIN | TCP_ACK;
	CHECK_EQ_INT(step_classify(&doh), STEP_CLOSE);

	CHECK_EQ_STR(step_name(STEP_RESOLVE), "resolve");
	CHECK_EQ_STR(step_name(STEP_CLOSE), "close");
	CHECK_EQ_STR(step_name((enum step)99), "?");
	CHECK_EQ_STR(step_call(STEP_RESOLVE), "getaddrinfo()");
	CHECK_EQ_STR(step_call(STEP_CONNECT), "connect()");
	CHECK_EQ_STR(step_call(STEP_WRITE), "write()");
	CHECK_EQ_STR(step_call(STEP_READ), "read()");
	CHECK_EQ_STR(step_call(STEP_CLOSE), "close()");

	/* What the application made of a connection (times in microseconds). */
	struct conn_use_in u = { .established = true, .ts_ready = 1000, .ts_cli_data = 1500,
				 .ts_close = 9000, .ts_last = 9500 };
	CHECK_EQ_INT(step_conn_use(&u), CONN_USE_NONE);          /* written at once */
	u.ts_cli_data = 1000 + STEP_PRECONNECT_US - 1;
	CHECK_EQ_INT(step_conn_use(&u), CONN_USE_NONE);          /* just under the threshold */
	u.ts_cli_data = 1000 + STEP_PRECONNECT_US;
	CHECK_EQ_INT(step_conn_use(&u), CONN_USE_PRECONNECT);
	CHECK(step_conn_idle(&u) == STEP_PRECONNECT_US);
	CHECK_EQ_STR(step_conn_use_name(CONN_USE_PRECONNECT), "preconnect");
	u.ts_cli_data = 0;                                        /* no request at all */
	u.ts_close = 300000;
	CHECK_EQ_INT(step_conn_use(&u), CONN_USE_UNUSED);
	u.tls = true;                                             /* TLS, closed soon after */
	u.srv_data = true;
	u.ts_close = 1000 + STEP_PRECONNECT_US - 1;
	CHECK_EQ_INT(step_conn_use(&u), CONN_USE_ABANDONED);
	u.srv_data = false;                                       /* the server never answered */
	CHECK_EQ_INT(step_conn_use(&u), CONN_USE_NONE);
	u.srv_data = true;
	u.ts_close = 1000 + STEP_PRECONNECT_US;                   /* waited: unused, not abandoned */
	CHECK_EQ_INT(step_conn_use(&u), CONN_USE_UNUSED);
	u.ts_close = 0;                                           /* still open at the end */
	u.ts_last = 2000;
	CHECK_EQ_INT(step_conn_use(&u), CONN_USE_NONE);
	u.ts_last = 1000 + STEP_PRECONNECT_US;
	CHECK_EQ_INT(step_conn_use(&u), CONN_USE_UNUSED);
	u.proxy_refused = true;                                   /* a proxy said no: it was used */
	CHECK_EQ_INT(step_conn_use(&u), CONN_USE_NONE);
	u.proxy_refused = false;
	u.established = false;                                    /* mid-stream: nothing to say */
	CHECK_EQ_INT(step_conn_use(&u), CONN_USE_NONE);
	u.established = true;
	u.dns = true;                                             /* DNS over TCP */
	CHECK_EQ_INT(step_conn_use(&u), CONN_USE_NONE);
	CHECK(step_conn_use_name(CONN_USE_NONE) == NULL);

	/* HTTPS upgrade: an abandoned try on 443, then cleartext HTTP after it. */
	CHECK(step_https_upgrade(CONN_USE_ABANDONED, 443, 5000, true, 80, 6000));
	CHECK(!step_https_upgrade(CONN_USE_ABANDONED, 443, 5000, true, 80, 4000)); /* before */
	CHECK(!step_https_upgrade(CONN_USE_UNUSED, 443, 5000, true, 80, 6000));
	CHECK(!step_https_upgrade(CONN_USE_ABANDONED, 8443, 5000, true, 80, 6000));
	CHECK(!step_https_upgrade(CONN_USE_ABANDONED, 443, 5000, false, 80, 6000));
	CHECK(!step_https_upgrade(CONN_USE_ABANDONED, 443, 5000, true, 80, 0));

	/* Which resolver: getaddrinfo() asks A and AAAA only, from one socket. */
	struct dns_call_in dq = { .qtype = 1 };
	CHECK(!step_dns_own_resolver(&dq));
	dq.qtype = 28;
	CHECK(!step_dns_own_resolver(&dq));
	dq.other_port = true;
	CHECK(step_dns_own_resolver(&dq));
	dq.other_port = false;
	dq.qtype = 65;
	CHECK(step_dns_own_resolver(&dq));
	dq.qtype = 0;
	CHECK(!step_dns_own_resolver(&dq));
	CHECK_EQ_STR(step_dns_call(true), "resolver");
	CHECK_EQ_STR(step_dns_call(false), "getaddrinfo()");
	return t_done("test_step");
}
