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
		.acks_dir = (int8_t)acks, .tls_handshake = tls,
	};
	return step_classify(&in);
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

	CHECK_EQ_STR(step_name(STEP_RESOLVE), "resolve");
	CHECK_EQ_STR(step_name(STEP_CLOSE), "close");
	CHECK_EQ_STR(step_name((enum step)99), "?");
	CHECK_EQ_STR(step_call(STEP_RESOLVE), "getaddrinfo()");
	CHECK_EQ_STR(step_call(STEP_CONNECT), "connect()");
	CHECK_EQ_STR(step_call(STEP_WRITE), "write()");
	CHECK_EQ_STR(step_call(STEP_READ), "read()");
	CHECK_EQ_STR(step_call(STEP_CLOSE), "close()");
	return t_done("test_step");
}
