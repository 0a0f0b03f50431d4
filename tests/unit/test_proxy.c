/* test_proxy.c - SOCKS4/4a, SOCKS5 and HTTP CONNECT handshakes from byte tables; every
 * strict prefix of a message must say NEED_MORE, and the inner stream must start where
 * the handshake ends. */
#include <string.h>

#include "proxy.h"
#include "t.h"

/* curl -x socks5h://...: hello (no auth), request for www.lab.test:443; then a ClientHello byte */
static const uint8_t s5_hello[] = { 5, 1, 0 };
static const uint8_t s5_choice[] = { 5, 0 };
static const uint8_t s5_req[] = { 5, 1, 0, 3, 12, 'w', 'w', 'w', '.', 'l', 'a', 'b', '.',
				  't', 'e', 's', 't', 0x01, 0xbb, 0x16 };
static const uint8_t s5_reply[] = { 5, 0, 0, 1, 127, 0, 0, 1, 0x04, 0x38, 'H' };
/* with username/password (RFC 1929) */
static const uint8_t s5_auth[] = { 1, 2, 'u', 's', 2, 'p', 'w' };
/* SOCKS4a: user "u", host "www.lab.test", port 80 */
static const uint8_t s4a_req[] = { 4, 1, 0, 80, 0, 0, 0, 1, 'u', 0, 'w', 'w', 'w', '.', 'l', 'a',
				   'b', '.', 't', 'e', 's', 't', 0 };
static const uint8_t s4_reply[] = { 0, 90, 0, 0, 0, 0, 0, 0 };
static const char conn_req[] = "CONNECT www.lab.test:443 HTTP/1.1\r\nHost: www.lab.test:443\r\n"
			       "User-Agent: curl\r\n\r\n\x16\x03\x01";
static const char conn_rep[] = "HTTP/1.1 200 Connection established\r\n\r\n";

static void check_prefixes(uint8_t kind, int dir, const uint8_t *b, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct proxy_state st;
		size_t used;
		uint8_t msgs;
		memset(&st, 0, sizeof st);
		st.kind = kind;
		st.phase[0] = st.phase[1] = (kind == PROXY_SOCKS5 && b[0] != 5) ? 1 : 0;
		if (kind == PROXY_SOCKS5 && b[0] == 5 && n > 3 && b[2] == 0 && dir == 0 && b[1] == 1 &&
		    b != s5_hello)
			st.phase[0] = 1; /* a request: the hello came before */
		CHECK_EQ_INT(proxy_feed(&st, dir, b, k, &used, &msgs), FT_NEED_MORE);
		CHECK_EQ_INT(used, 0);
	}
}

static void test_socks5(void)
{
	struct proxy_state st;
	size_t used;
	uint8_t msgs, kind;
	memset(&st, 0, sizeof st);
	CHECK_EQ_INT(proxy_sniff(s5_hello, 1, &kind), FT_NEED_MORE);
	CHECK_EQ_INT(proxy_sniff(s5_hello, sizeof s5_hello, &kind), FT_OK);
	CHECK_EQ_INT(kind, PROXY_SOCKS5);
	st.kind = kind;
	CHECK_EQ_INT(proxy_feed(&st, 0, s5_hello, sizeof s5_hello, &used, &msgs), FT_NEED_MORE);
	CHECK_EQ_INT(used, 3);
	CHECK_EQ_INT(msgs, PROXY_M_HELLO);
	CHECK_EQ_INT(proxy_feed(&st, 1, s5_choice, sizeof s5_choice, &used, &msgs), FT_NEED_MORE);
	CHECK_EQ_INT(msgs, PROXY_M_METHOD);
	CHECK_EQ_INT(proxy_feed(&st, 0, s5_req, sizeof s5_req, &used, &msgs), FT_OK);
	CHECK_EQ_INT(used, sizeof s5_req - 1); /* the 0x16 is the inner stream's */
	CHECK_EQ_STR(st.host, "www.lab.test");
	CHECK_EQ_INT(st.port, 443);
	CHECK(st.done[0] && !st.done[1]);
	CHECK_EQ_INT(proxy_feed(&st, 1, s5_reply, sizeof s5_reply, &used, &msgs), FT_OK);
	CHECK_EQ_INT(used, sizeof s5_reply - 1);
	CHECK(st.ok && st.replied && st.done[1]);
	CHECK_EQ_STR(proxy_kind_name(&st), "SOCKS5");
	/* prefixes: hello, request after it, choice, reply */
	check_prefixes(PROXY_SOCKS5, 0, s5_hello, sizeof s5_hello);
	check_prefixes(PROXY_SOCKS5, 1, s5_choice, sizeof s5_choice);
	/* with username/password, all of the client's messages in one delivery */
	uint8_t all[64];
	size_t n = 0;
	const uint8_t hello2[] = { 5, 1, 2 };
	memcpy(all, hello2, 3), n = 3;
	memcpy(all + n, s5_auth, sizeof s5_auth), n += sizeof s5_auth;
	memcpy(all + n, s5_req, sizeof s5_req), n += sizeof s5_req;
	memset(&st, 0, sizeof st);
	st.kind = PROXY_SOCKS5;
	CHECK_EQ_INT(proxy_feed(&st, 0, all, n, &used, &msgs), FT_OK);
	CHECK_EQ_INT(msgs, PROXY_M_HELLO | PROXY_M_AUTH | PROXY_M_REQUEST);
	CHECK_EQ_INT(used, n - 1);
	for (size_t k = 0; k < n - 1; k++) { /* cut anywhere: never OK, never past the cut */
		struct proxy_state s2;
		memset(&s2, 0, sizeof s2);
		s2.kind = PROXY_SOCKS5;
		CHECK_EQ_INT(proxy_feed(&s2, 0, all, k, &used, &msgs), FT_NEED_MORE);
		CHECK(used <= k);
	}
	const uint8_t rep2[] = { 5, 2, 1, 1 };
	CHECK_EQ_INT(proxy_feed(&st, 1, rep2, sizeof rep2, &used, &msgs), FT_OK);
	CHECK(!st.ok && st.auth_status == 1 && st.done[0] && st.done[1]);
	/* a refusal: no acceptable method */
	memset(&st, 0, sizeof st);
	st.kind = PROXY_SOCKS5;
	const uint8_t none[] = { 5, 0xFF };
	CHECK_EQ_INT(proxy_feed(&st, 1, none, 2, &used, &msgs), FT_OK);
	CHECK(!st.ok);
	/* garbage */
	memset(&st, 0, sizeof st);
	st.kind = PROXY_SOCKS5;
	const uint8_t junk[] = { 5, 1, 0, 7, 7, 7 };
	CHECK_EQ_INT(proxy_feed(&st, 0, junk, sizeof junk, &used, &msgs), FT_MALFORMED);
	CHECK(st.failed);
	/* not a proxy: TLS and HTTP */
	const uint8_t tls[] = { 0x16, 3, 1, 0, 5 };
	CHECK_EQ_INT(proxy_sniff(tls, sizeof tls, &kind), FT_OK);
	CHECK_EQ_INT(kind, PROXY_NONE);
	CHECK_EQ_INT(proxy_sniff((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &kind), FT_OK);
	CHECK_EQ_INT(kind, PROXY_NONE);
	CHECK_EQ_INT(proxy_sniff((const uint8_t *)"CONN", 4, &kind), FT_NEED_MORE);
}

static void test_socks4(void)
{
	struct proxy_state st;
	size_t used;
	uint8_t msgs, kind;
	memset(&st, 0, sizeof st);
	CHECK_EQ_INT(proxy_sniff(s4a_req, sizeof s4a_req, &kind), FT_OK);
	CHECK_EQ_INT(kind, PROXY_SOCKS4);
	st.kind = kind;
	CHECK_EQ_INT(proxy_feed(&st, 0, s4a_req, sizeof s4a_req, &used, &msgs), FT_OK);
	CHECK_EQ_INT(used, sizeof s4a_req);
	CHECK_EQ_STR(st.host, "www.lab.test");
	CHECK_EQ_INT(st.port, 80);
	CHECK_EQ_STR(proxy_kind_name(&st), "SOCKS4a");
	CHECK_EQ_INT(proxy_feed(&st, 1, s4_reply, sizeof s4_reply, &used, &msgs), FT_OK);
	CHECK(st.ok);
	check_prefixes(PROXY_SOCKS4, 0, s4a_req, sizeof s4a_req);
	check_prefixes(PROXY_SOCKS4, 1, s4_reply, sizeof s4_reply);
	/* SOCKS4 with an address */
	const uint8_t s4[] = { 4, 1, 0x1f, 0x90, 192, 0, 2, 80, 0 };
	memset(&st, 0, sizeof st);
	st.kind = PROXY_SOCKS4;
	CHECK_EQ_INT(proxy_feed(&st, 0, s4, sizeof s4, &used, &msgs), FT_OK);
	CHECK_EQ_STR(st.host, "192.0.2.80");
	CHECK_EQ_INT(st.port, 8080);
	/* a user id that never ends */
	uint8_t longu[300];
	memset(longu, 'u', sizeof longu);
	memcpy(longu, s4, 8);
	memset(&st, 0, sizeof st);
	st.kind = PROXY_SOCKS4;
	CHECK_EQ_INT(proxy_feed(&st, 0, longu, sizeof longu, &used, &msgs), FT_MALFORMED);
}

static void test_connect(void)
{
	struct proxy_state st;
	size_t used;
	uint8_t msgs, kind;
	size_t rl = sizeof conn_req - 1, pl = sizeof conn_rep - 1;
	memset(&st, 0, sizeof st);
	CHECK_EQ_INT(proxy_sniff((const uint8_t *)conn_req, rl, &kind), FT_OK);
	CHECK_EQ_INT(kind, PROXY_CONNECT);
	st.kind = kind;
	CHECK_EQ_INT(proxy_feed(&st, 0, (const uint8_t *)conn_req, rl, &used, &msgs), FT_OK);
	CHECK_EQ_INT(used, rl - 3);
	CHECK_EQ_STR(st.host, "www.lab.test");
	CHECK_EQ_INT(st.port, 443);
	CHECK_EQ_INT(proxy_feed(&st, 1, (const uint8_t *)conn_rep, pl, &used, &msgs), FT_OK);
	CHECK_EQ_INT(used, pl);
	CHECK(st.ok && st.status == 200);
	check_prefixes(PROXY_CONNECT, 0, (const uint8_t *)conn_req, rl - 3);
	check_prefixes(PROXY_CONNECT, 1, (const uint8_t *)conn_rep, pl);
	/* a refusal, an IPv6 literal, a head that never ends */
	memset(&st, 0, sizeof st);
	st.kind = PROXY_CONNECT;
	const char v6[] = "CONNECT [2001:db8::80]:8443 HTTP/1.1\r\n\r\n";
	CHECK_EQ_INT(proxy_feed(&st, 0, (const uint8_t *)v6, sizeof v6 - 1, &used, &msgs), FT_OK);
	CHECK_EQ_STR(st.host, "2001:db8::80");
	CHECK_EQ_INT(st.port, 8443);
	/* 407 keeping the connection, with a body: the client asks again on it */
	const char no[] = "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 5\r\n\r\n"
			  "deny!HTTP/1.1 200 OK\r\n\r\n";
	size_t no_head = sizeof no - 1 - 5 - 19;
	CHECK_EQ_INT(proxy_feed(&st, 1, (const uint8_t *)no, no_head + 2, &used, &msgs), FT_NEED_MORE);
	CHECK_EQ_INT(used, no_head);
	CHECK(!st.ok && st.status == 407 && !st.done[0] && !st.done[1] && st.body_left == 5);
	CHECK_EQ_INT(msgs, PROXY_M_REPLY);
	CHECK_EQ_INT(proxy_feed(&st, 0, (const uint8_t *)v6, sizeof v6 - 1, &used, &msgs), FT_OK);
	CHECK_EQ_INT(proxy_feed(&st, 1, (const uint8_t *)no + no_head, 3, &used, &msgs), FT_NEED_MORE);
	CHECK_EQ_INT(used, 3);
	CHECK_EQ_INT(proxy_feed(&st, 1, (const uint8_t *)no + no_head + 3, sizeof no - 1 - no_head - 3,
				&used, &msgs), FT_OK);
	CHECK(st.ok && st.status == 200 && st.done[1]);
	/* 407 with Connection: close: the end */
	memset(&st, 0, sizeof st);
	st.kind = PROXY_CONNECT;
	const char bye[] = "HTTP/1.1 407 No\r\nProxy-Connection: Close\r\n\r\n";
	CHECK_EQ_INT(proxy_feed(&st, 1, (const uint8_t *)bye, sizeof bye - 1, &used, &msgs), FT_OK);
	CHECK(!st.ok && st.done[0] && st.done[1]);
	static uint8_t big[PROXY_HEAD_MAX + 10];
	memset(big, 'x', sizeof big);
	memcpy(big, "CONNECT ", 8);
	memset(&st, 0, sizeof st);
	st.kind = PROXY_CONNECT;
	CHECK_EQ_INT(proxy_feed(&st, 0, big, sizeof big, &used, &msgs), FT_MALFORMED);
}

int main(void)
{
	test_socks5();
	test_socks4();
	test_connect();
	return t_done("test_proxy");
}
