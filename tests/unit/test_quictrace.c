/* test_quictrace.c - QUIC through the whole pipeline (issue 11): packets sealed as a
 * client and a server would (RFC 9001 A's ClientHello and ServerHello in the Initials,
 * 1-RTT with secrets from a key log), into trace_packet, the lines and the summary out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "keylog.h"
#include "quicdec_vectors.h"
#include "quicseal.h"
#include "t.h"
#include "trace.h"

static const uint8_t CLI[4] = { 192, 0, 2, 10 }, WWW[4] = { 192, 0, 2, 80 };
static const uint8_t cdcid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t cscid[4] = { 0xc1, 0xc2, 0xc3, 0xc4 };
static const uint8_t sscid[5] = { 0x51, 0x52, 0x53, 0x54, 0x55 };
/* RFC 9001 A.2's ClientHello random, and two made-up traffic secrets */
#define CRANDOM "ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c"
#define CSECRET "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define SSECRET "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

#define T0 1700000000000000LL

static struct keylog *g_kl;      /* given to the tracer, or NULL */
static bool g_garbage_443;       /* also feed a DNS query and bytes on port 443 */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		int c = (unsigned char)*s, v = c >= '0' && c <= '9' ? c - '0'
					       : c >= 'a' && c <= 'f' ? c - 'a' + 10
								      : -1;
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n < cap)
				out[n] = (uint8_t)(hi << 4 | v);
			n++;
			hi = -1;
		}
	}
	return n;
}

static void udp(struct tracer *t, int64_t us, bool from_cli, const uint8_t *pl, size_t n)
{
	struct frame f;
	if (from_cli)
		fr_build(&f, 17, CLI, 50000, WWW, 443, 0, 0, 0, pl, n);
	else
		fr_build(&f, 17, WWW, 443, CLI, 50000, 0, 0, 0, pl, n);
	trace_packet(t, 1, f.b, f.len, f.len, T0 + us);
}

static void feed(struct tracer *t)
{
	struct quicdec_keys ki[2], ka[2];
	uint8_t sec[2][32], pl[1300], out[1400];
	size_t n;
	memset(ki, 0, sizeof(ki));
	memset(ka, 0, sizeof(ka));
	if (g_kl)
		trace_set_keylog(t, g_kl);
	CHECK_EQ_INT(quicdec_initial_secrets(1, cdcid, 8, sec[0], sec[1]), 0);
	for (int d = 0; d < 2; d++)
		CHECK_EQ_INT(quicdec_keys_set(&ki[d], 1, QUICDEC_AES_128_GCM, sec[d], 32), 0);
	unhex(CSECRET, sec[0], 32);
	unhex(SSECRET, sec[1], 32);
	for (int d = 0; d < 2; d++)
		CHECK_EQ_INT(quicdec_keys_set(&ka[d], 1, QUICDEC_AES_128_GCM, sec[d], 32), 0);

	/* the client's Initial: the ClientHello (SNI example.com), padded */
	memset(pl, 0, sizeof(pl));
	unhex(V_CLIENT_CRYPTO, pl, sizeof(pl));
	n = qs_long(&ki[0], 1, 0, cdcid, 8, cscid, 4, 0, pl, 1160, out);
	udp(t, 0, true, out, n);
	/* the server's Initial: ACK and the ServerHello (TLS_AES_128_GCM_SHA256) */
	size_t sl = unhex(V_SERVER_PAYLOAD, pl, sizeof(pl));
	n = qs_long(&ki[1], 1, 0, cscid, 4, sscid, 5, 0, pl, sl, out);
	udp(t, 20000, false, out, n);
	/* 1-RTT: the request, its ACK, the response, its ACK, the server's close */
	static const uint8_t req[] = { 0x0f, 0x00, 0x00, 0x05, 'G', 'E', 'T', ' ', '/' };
	static const uint8_t ack0[] = { 0x02, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t resp[] = { 0x0f, 0x00, 0x00, 0x03, 'o', 'k', '\n' };
	static const uint8_t ack1[] = { 0x02, 0x01, 0x00, 0x00, 0x00 };
	static const uint8_t ping[] = { 0x01, 0x00, 0x00, 0x00 };
	static const uint8_t close[] = { 0x1d, 0x41, 0x00, 0x03, 'b', 'y', 'e' };
	n = qs_short(&ka[0], sscid, 5, false, 0, req, sizeof(req), out);
	udp(t, 30000, true, out, n);
	n = qs_short(&ka[1], cscid, 4, false, 0, ack0, sizeof(ack0), out);
	udp(t, 31000, false, out, n);
	n = qs_short(&ka[1], cscid, 4, false, 1, resp, sizeof(resp), out);
	udp(t, 32000, false, out, n);
	n = qs_short(&ka[0], sscid, 5, false, 1, ack1, sizeof(ack1), out);
	udp(t, 33000, true, out, n);
	n = qs_short(&ka[0], sscid, 5, false, 2, ping, sizeof(ping), out);
	udp(t, 34000, true, out, n);
	n = qs_short(&ka[1], cscid, 4, false, 2, close, sizeof(close), out);
	udp(t, 35000, false, out, n);
	n = qs_short(&ka[0], sscid, 5, false, 3, ack1, sizeof(ack1), out);
	udp(t, 36000, true, out, n);
	if (g_garbage_443) {
		/* a short-header-shaped datagram on other ports: no connection, not QUIC */
		struct frame f;
		static const uint8_t junk[24] = { 0x45, 1, 2, 3 };
		fr_build(&f, 17, CLI, 50001, WWW, 443, 0, 0, 0, junk, sizeof(junk));
		trace_packet(t, 1, f.b, f.len, f.len, T0 + 40000);
		/* the client begins again on the same ports, with another DCID */
		static const uint8_t dcid2[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
		struct quicdec_keys k2;
		memset(&k2, 0, sizeof(k2));
		CHECK_EQ_INT(quicdec_initial_secrets(1, dcid2, 8, sec[0], sec[1]), 0);
		CHECK_EQ_INT(quicdec_keys_set(&k2, 1, QUICDEC_AES_128_GCM, sec[0], 32), 0);
		memset(pl, 0, sizeof(pl));
		unhex(V_CLIENT_CRYPTO, pl, sizeof(pl));
		n = qs_long(&k2, 1, 0, dcid2, 8, cscid, 4, 0, pl, 1160, out);
		udp(t, 50000, true, out, n);
		quicdec_keys_free(&k2);
	}
	for (int d = 0; d < 2; d++) {
		quicdec_keys_free(&ki[d]);
		quicdec_keys_free(&ka[d]);
	}
}

/* RFC 9001 A.2's ClientHello with its ALPN ("alpn") made "h3", the only one
 * offered: the lengths (CRYPTO frame, ClientHello, extensions) two bytes less. */
static size_t client_crypto_h3(uint8_t *pl, size_t cap)
{
	char hex[sizeof(V_CLIENT_CRYPTO)];
	size_t k = 0;
	for (const char *c = V_CLIENT_CRYPTO; *c; c++)
		if (*c != ' ')
			hex[k++] = *c;
	hex[k] = '\0';
	static const struct {
		const char *from, *to;
	} edit[] = {
		{ "060040f1010000ed", "060040ef010000eb" },
		{ "010000c0", "010000be" },
		{ "00100007000504616c706e", "0010000500030268" "33" },
	};
	for (size_t i = 0; i < sizeof(edit) / sizeof(edit[0]); i++) {
		char *at = strstr(hex, edit[i].from);
		CHECK(at != NULL);
		if (!at)
			return 0;
		size_t fl = strlen(edit[i].from), tl = strlen(edit[i].to);
		memmove(at + tl, at + fl, strlen(at + fl) + 1);
		memcpy(at, edit[i].to, tl);
	}
	return unhex(hex, pl, cap);
}

/*
 * HTTP/3 (the ClientHello offers only h3): the control streams, a request
 * whose :authority holds a control byte and a newline (escaped in the
 * output), its response with a body, a second request the server resets.
 */
static void feed_h3(struct tracer *t)
{
	struct quicdec_keys ki[2], ka[2];
	uint8_t sec[2][32], pl[1300], out[1400];
	size_t n;
	memset(ki, 0, sizeof(ki));
	memset(ka, 0, sizeof(ka));
	trace_set_keylog(t, g_kl);
	CHECK_EQ_INT(quicdec_initial_secrets(1, cdcid, 8, sec[0], sec[1]), 0);
	for (int d = 0; d < 2; d++)
		CHECK_EQ_INT(quicdec_keys_set(&ki[d], 1, QUICDEC_AES_128_GCM, sec[d], 32), 0);
	unhex(CSECRET, sec[0], 32);
	unhex(SSECRET, sec[1], 32);
	for (int d = 0; d < 2; d++)
		CHECK_EQ_INT(quicdec_keys_set(&ka[d], 1, QUICDEC_AES_128_GCM, sec[d], 32), 0);
	memset(pl, 0, sizeof(pl));
	CHECK(client_crypto_h3(pl, sizeof(pl)) > 200);
	n = qs_long(&ki[0], 1, 0, cdcid, 8, cscid, 4, 0, pl, 1160, out);
	udp(t, 0, true, out, n);
	size_t sl = unhex(V_SERVER_PAYLOAD, pl, sizeof(pl));
	n = qs_long(&ki[1], 1, 0, cscid, 4, sscid, 5, 0, pl, sl, out);
	udp(t, 20000, false, out, n);
	/* client: control stream (SETTINGS), request stream 0 (HEADERS, FIN):
	 * :method GET, :path /, :scheme https, :authority "a\x1bb\nc" */
	static const uint8_t c1[] = {
		0x0a, 0x02, 0x03, 0x00, 0x04, 0x00,
		0x0b, 0x00, 0x0e, 0x01, 0x0c, 0x00, 0x00, 0xd1, 0xc1, 0xd7, 0x50, 0x05,
		'a', 0x1b, 'b', '\n', 'c',
	};
	/* server: control stream (SETTINGS); stream 0: :status 200,
	 * content-type text/plain, content-length 3, DATA "ok\n", FIN */
	static const uint8_t s1[] = {
		0x0a, 0x03, 0x03, 0x00, 0x04, 0x00,
		0x0b, 0x00, 0x0e, 0x01, 0x07, 0x00, 0x00, 0xd9, 0xf5, 0x54, 0x01, '3',
		0x00, 0x03, 'o', 'k', '\n',
	};
	/* client: request streams 4 and 8, GET /x and GET /y (:path by name
	 * reference), no FIN; 8 is never answered (unfinished at the end) */
	static const uint8_t c2[] = {
		0x0a, 0x04, 0x0a, 0x01, 0x08, 0x00, 0x00, 0xd1, 0x51, 0x02, '/', 'x', 0xd7,
		0x0a, 0x08, 0x0a, 0x01, 0x08, 0x00, 0x00, 0xd1, 0x51, 0x02, '/', 'y', 0xd7,
	};
	/* server: RESET_STREAM 4 H3_REQUEST_CANCELLED (0x10c), then the close */
	static const uint8_t s2[] = { 0x04, 0x04, 0x41, 0x0c, 0x00,
				      0x1d, 0x41, 0x00, 0x03, 'b', 'y', 'e' };
	n = qs_short(&ka[0], sscid, 5, false, 0, c1, sizeof(c1), out);
	udp(t, 30000, true, out, n);
	n = qs_short(&ka[1], cscid, 4, false, 0, s1, sizeof(s1), out);
	udp(t, 32000, false, out, n);
	n = qs_short(&ka[0], sscid, 5, false, 1, c2, sizeof(c2), out);
	udp(t, 33000, true, out, n);
	n = qs_short(&ka[1], cscid, 4, false, 1, s2, sizeof(s2), out);
	udp(t, 35000, false, out, n);
	for (int d = 0; d < 2; d++) {
		quicdec_keys_free(&ki[d]);
		quicdec_keys_free(&ka[d]);
	}
}

static int g_full_extra;          /* feed_full: real Initials after the stray one */

/* The table filled with 128 connections (client Initials on ports 40000...),
 * then an Initial-shaped datagram that does not decrypt, then g_full_extra
 * more real Initials. */
static void feed_full(struct tracer *t)
{
	struct quicdec_keys k;
	uint8_t sec[2][32], dcid[8] = { 9, 9, 9, 9, 0, 0, 0, 0 }, pl[1300], out[1400];
	memset(&k, 0, sizeof(k));
	memset(pl, 0, sizeof(pl));
	unhex(V_CLIENT_CRYPTO, pl, sizeof(pl));
	for (int i = 0; i < 128 + 1 + g_full_extra; i++) {
		struct frame f;
		size_t n;
		dcid[6] = (uint8_t)(i >> 8);
		dcid[7] = (uint8_t)i;
		CHECK_EQ_INT(quicdec_initial_secrets(1, dcid, 8, sec[0], sec[1]), 0);
		CHECK_EQ_INT(quicdec_keys_set(&k, 1, QUICDEC_AES_128_GCM, sec[0], 32), 0);
		n = qs_long(&k, 1, 0, dcid, 8, cscid, 4, 0, pl, 1160, out);
		if (i == 128)
			out[n - 1] ^= 1; /* the stray: its tag does not verify */
		fr_build(&f, 17, CLI, (uint16_t)(40000 + i), WWW, 443, 0, 0, 0, out, n);
		trace_packet(t, 1, f.b, f.len, f.len, T0 + i * 10);
	}
	quicdec_keys_free(&k);
}

static char *run_feed(const struct out_opts *o, void (*fd)(struct tracer *))
{
	FILE *f = tmpfile();
	CHECK(f != NULL);
	if (!f)
		return NULL;
	struct tracer *t = trace_open(f, o, 64);
	CHECK(t != NULL);
	fd(t);
	CHECK_EQ_INT(trace_finish(t), 0);
	long n = ftell(f);
	char *buf = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	rewind(f);
	if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static char *run(const struct out_opts *o)
{
	FILE *f = tmpfile();
	CHECK(f != NULL);
	if (!f)
		return NULL;
	struct tracer *t = trace_open(f, o, 64);
	CHECK(t != NULL);
	feed(t);
	CHECK_EQ_INT(trace_finish(t), 0);
	long n = ftell(f);
	char *buf = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	rewind(f);
	if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

/* The nth line (from 0) of out into buf. */
static const char *line(const char *out, int nth, char *buf, size_t cap)
{
	const char *p = out;
	for (int i = 0; i < nth && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	buf[0] = '\0';
	if (!p)
		return buf;
	size_t n = strcspn(p, "\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static bool has(const char *s, const char *needle)
{
	if (!strstr(s, needle))
		printf("  missing '%s' in: %s\n", needle, s);
	return strstr(s, needle) != NULL;
}

int main(void)
{
	struct out_opts o = { .format = OUT_TEXT, .all = true };
	char b[4096];

	/* with the key log: every step from the frames */
	char kl_text[512];
	snprintf(kl_text, sizeof(kl_text),
		 "CLIENT_TRAFFIC_SECRET_0 %s %s\nSERVER_TRAFFIC_SECRET_0 %s %s\n", CRANDOM, CSECRET,
		 CRANDOM, SSECRET);
	char eb[KEYLOG_ERRBUF_SIZE];
	g_kl = keylog_new(0, 0, eb);
	CHECK(g_kl != NULL);
	CHECK_EQ_INT(keylog_add_text(g_kl, (const uint8_t *)kl_text, strlen(kl_text)) > 0, 1);
	g_garbage_443 = true;
	char *out = run(&o);
	CHECK(out != NULL);
	if (!out)
		return t_done("test_quictrace");
	/* line 0 is the fetch header: no DNS, so the ClientHello's SNI names it */
	CHECK(has(line(out, 1, b, sizeof(b)), "connect  QUIC handshake f1 q1"));
	CHECK(has(b, "QUIC Initial v1 DCID 0102030405060708 SCID c1c2c3c4 pn 0: CRYPTO 0+241"));
	CHECK(has(b, "| TLS ClientHello SNI example.com"));
	CHECK(has(line(out, 2, b, sizeof(b)), "connect  QUIC handshake"));
	CHECK(has(b, "| TLS ServerHello TLS 1.3 TLS_AES_128_GCM_SHA256"));
	CHECK(has(line(out, 3, b, sizeof(b)), "write    write()"));
	CHECK(has(b, "1-RTT (short header) pn 0: STREAM 0 off 0 len 5 FIN"));
	/* the server's ACK of the request is write, the client's of the response read */
	CHECK(has(line(out, 4, b, sizeof(b)), "write    write()"));
	CHECK(has(b, "pn 0: ACK 0-0"));
	CHECK(has(line(out, 5, b, sizeof(b)), "read     read()"));
	CHECK(has(b, "STREAM 0 off 0 len 3 FIN"));
	CHECK(has(line(out, 6, b, sizeof(b)), "read     read()"));
	CHECK(has(b, "pn 1: ACK 1-1"));
	/* a PING acknowledging nothing: the client waits in read() */
	CHECK(has(line(out, 7, b, sizeof(b)), "read     read()"));
	/* the server's CONNECTION_CLOSE, and what follows it, is close */
	CHECK(has(line(out, 8, b, sizeof(b)), "close    close()"));
	CHECK(has(b, "CONNECTION_CLOSE H3_NO_ERROR \"bye\""));
	CHECK(has(line(out, 9, b, sizeof(b)), "close    close()"));
	/* port 443 but no connection and a short header: not QUIC */
	CHECK(has(line(out, 10, b, sizeof(b)), "other    -"));
	CHECK(has(b, "UDP 24 B (port 443 but not QUIC: a short header of no QUIC connection"));
	/* a new Initial on the same ports that opens with its own DCID: a new connection */
	CHECK(has(line(out, 11, b, sizeof(b)), "connect  QUIC handshake f1 q2"));
	CHECK(has(b, "QUIC Initial v1 DCID 0807060504030201"));
	CHECK(has(out, "\nquic connections\n  q1 f1 example.com  192.0.2.10:50000 > 192.0.2.80:443  "
		       "quic v1  steps connect,write,read,close  "));
	CHECK(has(out, "handshake 1 round trip (30.0 ms), closed by server: H3_NO_ERROR \"bye\", "
		       "replaced (a new connection on the same ports)\n"));
	CHECK(has(out, "  q2 f1 example.com  192.0.2.10:50000 > 192.0.2.80:443  quic v1  steps connect  "));
	CHECK(has(out, "; quic: 2 connections\n"));
	free(out);

	/* JSON: the quic_conn object says the same */
	o.format = OUT_JSON;
	out = run(&o);
	CHECK(out && has(out, "{\"type\":\"quic_conn\",\"conn\":1,\"fetch\":1,\"name\":\"example.com\""));
	CHECK(out && has(out, "\"closed_by\":\"server\",\"error_code\":256,\"error\":\"H3_NO_ERROR\","
			      "\"application\":true,\"reason\":\"bye\""));
	CHECK(out && has(out, "\"not_quic\":\"a short header of no QUIC connection"));
	CHECK(out && has(out, "\"ended\":\"replaced\""));
	CHECK(out && has(out, "{\"type\":\"quic_conn\",\"conn\":2,"));
	free(out);

	/* HTTP/3: the ClientHello offers only h3; events on the lines, escaped */
	o.format = OUT_TEXT;
	out = run_feed(&o, feed_h3);
	CHECK(out != NULL);
	if (out) {
		CHECK(has(line(out, 1, b, sizeof(b)), "ALPN h3 "));
		CHECK(has(line(out, 3, b, sizeof(b)), "write    write()"));
		CHECK(has(b, " | HTTP/3 stream 2: control stream, SETTINGS, "
			     "#0 GET / a\\x1bb\\x0ac FIN"));
		CHECK(has(line(out, 4, b, sizeof(b)), "read     read()"));
		CHECK(has(b, " | HTTP/3 stream 3: control stream, SETTINGS, #0 200 text/plain 3, "
			     "#0 body 3/3 B FIN"));
		CHECK(has(line(out, 5, b, sizeof(b)), "| HTTP/3 #4 GET /x, #8 GET /y"));
		CHECK(has(line(out, 6, b, sizeof(b)), "close    close()"));
		CHECK(has(b, "| HTTP/3 #4 reset by server H3_REQUEST_CANCELLED"));
		CHECK(has(out, "closed by server: H3_NO_ERROR \"bye\", end of capture, HTTP/3 3 "
			       "exchanges: #0 GET / 200, #4 GET /x reset, #8 GET /y unfinished\n"));
		CHECK(!strchr(out, 0x1b));
	}
	free(out);
	o.format = OUT_JSON;
	out = run_feed(&o, feed_h3);
	CHECK(out && has(out, "\"head\":{\"kind\":\"request\",\"method\":\"GET\",\"path\":\"/\","
			      "\"authority\":\"a\\u001bb\\nc\""));
	CHECK(out && has(out, "\"event\":\"frame\",\"stream\":0,\"from\":\"server\",\"frame\":\"DATA\""));
	CHECK(out && has(out, "\"body_done\":3,\"body_total\":3"));
	CHECK(out && has(out, "\"event\":\"done\",\"stream\":4,\"from\":\"server\",\"exchange\":4,"
			      "\"reset\":true,\"reset_by\":\"server\",\"error_code\":268,"
			      "\"error\":\"H3_REQUEST_CANCELLED\""));
	CHECK(out && has(out, "\"h3\":true,\"h3_decoded\":true,\"h3_exchanges\":3,"));
	CHECK(out && has(out, "{\"stream\":8,\"method\":\"GET\",\"path\":\"/y\",\"path_cut\":false,"
			      "\"status\":null,\"reset\":false,\"open\":true}"));
	free(out);
	o.format = OUT_TEXT;

	/* without the key log: the Initials still decrypt, 1-RTT is told by sender */
	keylog_free(g_kl);
	g_kl = NULL;
	g_garbage_443 = false;
	o.format = OUT_TEXT;
	out = run(&o);
	CHECK(out != NULL);
	if (out) {
		CHECK(has(line(out, 1, b, sizeof(b)), "| TLS ClientHello SNI example.com"));
		CHECK(has(line(out, 4, b, sizeof(b)), "read     read()"));
		CHECK(has(b, "1-RTT (short header) [encrypted]"));
		CHECK(has(line(out, 8, b, sizeof(b)), "read     read()"));
		CHECK(has(out, "still open, end of capture [7 packets not decrypted]\n"));
	}
	free(out);

	/* a full table: a stray Initial takes no slot and evicts nobody; the
	 * next real one evicts the least recently used */
	struct out_opts q = { .format = OUT_TEXT, .quiet = true };
	g_full_extra = 0;
	out = run_feed(&q, feed_full);
	CHECK(out && has(out, "; quic: 128 connections\n"));
	CHECK(out && !strstr(out, "evicted"));
	free(out);
	g_full_extra = 1;
	out = run_feed(&q, feed_full);
	CHECK(out && has(out, "; quic: 129 connections (1 evicted by the table cap)\n"));
	CHECK(out && has(out, "  q1 f1 example.com  192.0.2.10:40000 ") && has(out, "still open, evicted (QUIC connection table full)\n"));
	CHECK(out && !strstr(out, ":40128 "));
	free(out);
	return t_done("test_quictrace");
}
