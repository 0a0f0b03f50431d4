/* test_trace.c - the pipeline through its public API: synthetic frames into
 * trace_packet, the text and JSON lines out of trace_finish. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "t.h"
#include "trace.h"

static const uint8_t CLI[4] = { 192, 0, 2, 10 }, RES[4] = { 192, 0, 2, 53 };
static const uint8_t WWW[4] = { 192, 0, 2, 80 };

#define T0 1700000000000000LL /* microseconds */

static void tcp(struct tracer *t, int64_t us, bool from_cli, uint16_t cport, uint32_t seq,
		uint32_t ack, uint8_t flags, const char *pl)
{
	struct frame f;
	size_t n = pl ? strlen(pl) : 0;
	if (from_cli)
		fr_build(&f, 6, CLI, cport, WWW, 80, seq, ack, flags, pl, n);
	else
		fr_build(&f, 6, WWW, 80, CLI, cport, seq, ack, flags, pl, n);
	trace_packet(t, 1, f.b, f.len, f.len, T0 + us);
}

static void dns(struct tracer *t, int64_t us, bool query)
{
	struct dnsb d;
	static const uint8_t addr[4] = { 192, 0, 2, 80 };
	if (query) {
		db_start(&d, 0x4f1a, 0x0100, 0, "www.lab.test", 1);
	} else {
		db_start(&d, 0x4f1a, 0x8180, 1, "www.lab.test", 1);
		db_a(&d, "www.lab.test", addr);
	}
	struct frame f;
	if (query)
		fr_build(&f, 17, CLI, 41234, RES, 53, 0, 0, 0, d.b, d.n);
	else
		fr_build(&f, 17, RES, 53, CLI, 41234, 0, 0, 0, d.b, d.n);
	trace_packet(t, 1, f.b, f.len, f.len, T0 + us);
}

static const char REQ[] = "GET / HTTP/1.1\r\nHost: www.lab.test\r\n\r\n";
static const char RESP[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* A whole fetch on client port cport from time us: handshake, one
 * exchange, the client closes first. */
static void fetch(struct tracer *t, int64_t us, uint16_t cport)
{
	uint32_t c = 1000, s = 5000, rq = sizeof(REQ) - 1, rs = sizeof(RESP) - 1;
	tcp(t, us + 1000, true, cport, c, 0, FR_SYN, NULL);
	tcp(t, us + 1100, false, cport, s, c + 1, FR_SYN | FR_ACK, NULL);
	tcp(t, us + 1200, true, cport, c + 1, s + 1, FR_ACK, NULL);
	tcp(t, us + 1300, true, cport, c + 1, s + 1, FR_PSH | FR_ACK, REQ);
	tcp(t, us + 3300, false, cport, s + 1, c + 1 + rq, FR_PSH | FR_ACK, RESP);
	tcp(t, us + 3400, true, cport, c + 1 + rq, s + 1 + rs, FR_ACK, NULL);
	tcp(t, us + 3500, true, cport, c + 1 + rq, s + 1 + rs, FR_FIN | FR_ACK, NULL);
	tcp(t, us + 3600, false, cport, s + 1 + rs, c + 2 + rq, FR_FIN | FR_ACK, NULL);
	tcp(t, us + 3700, true, cport, c + 2 + rq, s + 2 + rs, FR_ACK, NULL);
}

/* Run the frames `feed` makes through a tracer writing to a temporary
 * file; return what it wrote (caller frees). */
static char *run(const struct out_opts *o, uint32_t max_conns, void (*feed)(struct tracer *),
		 int *rc)
{
	FILE *f = tmpfile();
	CHECK(f != NULL);
	if (!f)
		return NULL;
	struct tracer *t = trace_open(f, o, max_conns);
	CHECK(t != NULL);
	if (!t) {
		fclose(f);
		return NULL;
	}
	feed(t);
	*rc = trace_finish(t);
	long n = ftell(f);
	char *buf = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	rewind(f);
	if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static void feed_one(struct tracer *t)
{
	dns(t, 0, true);
	dns(t, 400, false);
	fetch(t, 0, 50312);
}

/* The line of out that contains needle, as an index from 0; -1 none. */
static int line_of(const char *out, const char *needle)
{
	const char *hit = strstr(out, needle);
	if (!hit)
		return -1;
	int n = 0;
	for (const char *p = out; p < hit; p++)
		n += *p == '\n';
	return n;
}

static int count(const char *out, const char *needle)
{
	int n = 0;
	for (const char *p = out; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_text(void)
{
	struct out_opts o = { .format = OUT_TEXT };
	int rc = -1;
	char *out = run(&o, 16, feed_one, &rc);
	if (!out)
		return;
	CHECK_EQ_INT(rc, 0);
	CHECK(strstr(out, "fetch 1") != NULL);
	CHECK(strstr(out, "www.lab.test") != NULL);
	CHECK_EQ_INT(count(out, " resolve  getaddrinfo() "), 2);
	CHECK_EQ_INT(count(out, " connect  connect() "), 3);
	CHECK_EQ_INT(count(out, " write    write() "), 1);
	CHECK_EQ_INT(count(out, " read     read() "), 2);
	CHECK(strstr(out, "GET / HTTP/1.1") != NULL);
	CHECK(strstr(out, "HTTP/1.1 200 OK") != NULL);
	/* the time to first byte comes from the timeline: 2 ms after the request */
	CHECK(strstr(out, "(first byte 2.00 ms after the request)") != NULL);
	/* the exchanges table reads the same number */
	CHECK(strstr(out, " wait 2.00 ms ") != NULL);
	CHECK(strstr(out, "connection established") != NULL);
	CHECK_EQ_INT(count(out, " close    close() "), 3);
	CHECK(strstr(out, "connection closed") != NULL);
	/* the summary: one connection, every packet decoded */
	CHECK(strstr(out, "closed by client first") != NULL);
	CHECK(strstr(out, "packets: 11 read, 11 decoded") != NULL);
	CHECK(strstr(out, "dns: 1 queries, 1 responses, 0 unanswered") != NULL);
	if (t_failed)
		fputs(out, stderr);
	free(out);
}

static void test_json(void)
{
	struct out_opts o = { .format = OUT_JSON };
	int rc = -1;
	char *out = run(&o, 16, feed_one, &rc);
	if (!out)
		return;
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(count(out, "\"type\":\"packet\""), 11);
	/* the connection is retired by the last ACK: its object follows that
	 * packet's line, never comes before it */
	int last_ack = line_of(out, "\"ts\":1700000000.0037");
	int conn = line_of(out, "{\"type\":\"conn\"");
	CHECK(last_ack >= 0);
	CHECK_EQ_INT(conn, last_ack + 1);
	CHECK(strstr(out, "\"ended\":\"closed\"") != NULL);
	/* the exchange: status, wait and download from the one timing model */
	CHECK(strstr(out, "\"type\":\"exchange\"") != NULL);
	CHECK(strstr(out, "\"status\":200") != NULL);
	CHECK(strstr(out, "\"wait\":0.002000,") != NULL);
	CHECK(strstr(out, "\"dns\":0.000400,") != NULL);
	if (t_failed)
		fputs(out, stderr);
	free(out);
}

/* Three connections through a table of two: the first is evicted by the
 * third's SYN, and its object comes after that SYN's line. */
static void feed_three(struct tracer *t)
{
	tcp(t, 0, true, 40001, 1000, 0, FR_SYN, NULL);
	tcp(t, 100, true, 40002, 1000, 0, FR_SYN, NULL);
	tcp(t, 200, true, 40003, 1000, 0, FR_SYN, NULL);
}

static void test_evict(void)
{
	struct out_opts o = { .format = OUT_JSON, .all = true };
	int rc = -1;
	char *out = run(&o, 2, feed_three, &rc);
	if (!out)
		return;
	int syn3 = line_of(out, "\"client_port\":40003");
	int syn3_pkt = line_of(out, "\"ts\":1700000000.0002");
	int ev = line_of(out, "\"ended\":\"evicted\"");
	CHECK(syn3_pkt >= 0);
	CHECK_EQ_INT(ev, syn3_pkt + 1);
	/* the others at the end of the capture, by connection number (conn 3
	 * took conn 1's slot: slot order would put it first) */
	int c2 = line_of(out, "{\"type\":\"conn\",\"conn\":2,");
	int c3 = line_of(out, "{\"type\":\"conn\",\"conn\":3,");
	CHECK(c2 > ev);
	CHECK_EQ_INT(c3, c2 + 1);
	CHECK(syn3 == c3);
	CHECK(strstr(out, "\"conns_evicted\":1") != NULL);
	CHECK_EQ_INT(count(out, "\"type\":\"conn\""), 3);
	if (t_failed)
		fputs(out, stderr);
	free(out);
}

/* Many connections at once: every exchange keeps its response (issue 9, bug 5). */
static void feed_many(struct tracer *t)
{
	enum { N = 100 };
	uint32_t rq = sizeof(REQ) - 1, rs = sizeof(RESP) - 1;
	for (int i = 0; i < N; i++) {
		uint16_t p = (uint16_t)(30000 + i);
		tcp(t, i * 10, true, p, 1000, 0, FR_SYN, NULL);
		tcp(t, i * 10 + 1, false, p, 5000, 1001, FR_SYN | FR_ACK, NULL);
		tcp(t, i * 10 + 2, true, p, 1001, 5001, FR_PSH | FR_ACK, REQ);
	}
	for (int i = 0; i < N; i++) {
		uint16_t p = (uint16_t)(30000 + i);
		tcp(t, 5000 + i, false, p, 5001, 1001 + rq, FR_PSH | FR_ACK, RESP);
		tcp(t, 6000 + i, true, p, 1001 + rq, 5001 + rs, FR_RST | FR_ACK, NULL);
	}
}

static void test_many(void)
{
	struct out_opts o = { .format = OUT_JSON, .quiet = true };
	int rc = -1;
	char *out = run(&o, 1024, feed_many, &rc);
	if (!out)
		return;
	CHECK_EQ_INT(count(out, "\"type\":\"exchange\""), 100);
	CHECK_EQ_INT(count(out, "\"status\":200"), 100);
	CHECK_EQ_INT(count(out, "\"status\":null"), 0);
	CHECK_EQ_INT(count(out, "\"close\":\"reset\""), 100);
	free(out);
}

/* A TCP segment with binary payload (HTTP/2 frames hold NULs). */
static void tcpb(struct tracer *t, int64_t us, bool from_cli, uint16_t cport, uint32_t seq,
		 uint32_t ack, uint8_t flags, const void *pl, size_t n)
{
	struct frame f;
	if (from_cli)
		fr_build(&f, 6, CLI, cport, WWW, 80, seq, ack, flags, pl, n);
	else
		fr_build(&f, 6, WWW, 80, CLI, cport, seq, ack, flags, pl, n);
	trace_packet(t, 1, f.b, f.len, f.len, T0 + us);
}

/* HTTP/2 frames: an empty SETTINGS; HEADERS on stream 1 (:method GET,
 * :scheme http, :path /, :authority www.lab.test; END_STREAM); the
 * response's HEADERS (:status 200), DATA "ok" with END_STREAM; GOAWAY. */
static const uint8_t F_SETTINGS[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };
static const uint8_t F_REQ[] = { 0, 0, 17, 1, 5, 0, 0, 0, 1, 0x82, 0x86, 0x84, 0x41, 12,
				  'w', 'w', 'w', '.', 'l', 'a', 'b', '.', 't', 'e', 's', 't' };
static const uint8_t F_RESP[] = { 0, 0, 1, 1, 4, 0, 0, 0, 1, 0x88,
				   0, 0, 2, 0, 1, 0, 0, 0, 1, 'o', 'k' };
static const uint8_t F_GOAWAY[] = { 0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 };

static size_t cat(uint8_t *dst, size_t off, const void *src, size_t n)
{
	memcpy(dst + off, src, n);
	return off + n;
}

/* Prior knowledge: the dispatch finds the preface (any port), the frames
 * are steps, the stream an exchange. */
static void feed_h2(struct tracer *t)
{
	uint8_t b[256];
	size_t n = cat(b, 0, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	n = cat(b, n, F_SETTINGS, sizeof F_SETTINGS);
	n = cat(b, n, F_REQ, sizeof F_REQ);
	uint32_t c = 1000, s = 5000;
	size_t m = cat(b + n, 0, F_SETTINGS, sizeof F_SETTINGS);
	m = cat(b + n, m, F_RESP, sizeof F_RESP);
	tcp(t, 1000, true, 50400, c, 0, FR_SYN, NULL);
	tcp(t, 1100, false, 50400, s, c + 1, FR_SYN | FR_ACK, NULL);
	tcp(t, 1200, true, 50400, c + 1, s + 1, FR_ACK, NULL);
	tcpb(t, 1300, true, 50400, c + 1, s + 1, FR_PSH | FR_ACK, b, n);
	tcpb(t, 3300, false, 50400, s + 1, c + 1 + (uint32_t)n, FR_PSH | FR_ACK, b + n, m);
	tcpb(t, 3400, false, 50400, s + 1 + (uint32_t)m, c + 1 + (uint32_t)n, FR_PSH | FR_ACK,
	     F_GOAWAY, sizeof F_GOAWAY);
	tcp(t, 3500, true, 50400, c + 1 + (uint32_t)n, s + 1 + (uint32_t)m + sizeof F_GOAWAY,
	    FR_ACK, NULL);
}

/* Upgrade: h2c: the 101 and the server's first HTTP/2 frames in one
 * segment; the HTTP/1.x decoder hands over right after the 101's head. */
static void feed_h2c(struct tracer *t)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: www.lab.test\r\nConnection: Upgrade, "
				  "HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n";
	static const char sw[] = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
				 "Upgrade: h2c\r\n\r\n";
	uint8_t b[256];
	size_t m = cat(b, 0, sw, sizeof sw - 1);
	m = cat(b, m, F_SETTINGS, sizeof F_SETTINGS);
	m = cat(b, m, F_RESP, sizeof F_RESP);
	uint32_t c = 1000, s = 5000, n = sizeof req - 1;
	tcp(t, 1000, true, 50401, c, 0, FR_SYN, NULL);
	tcp(t, 1100, false, 50401, s, c + 1, FR_SYN | FR_ACK, NULL);
	tcp(t, 1200, true, 50401, c + 1, s + 1, FR_ACK, NULL);
	tcp(t, 1300, true, 50401, c + 1, s + 1, FR_PSH | FR_ACK, req);
	tcpb(t, 3300, false, 50401, s + 1, c + 1 + n, FR_PSH | FR_ACK, b, m);
	uint8_t p[64];
	size_t k = cat(p, 0, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	k = cat(p, k, F_SETTINGS, sizeof F_SETTINGS);
	tcpb(t, 3400, true, 50401, c + 1 + n, s + 1 + (uint32_t)m, FR_PSH | FR_ACK, p, k);
}

/* The client resets the connection, then a late segment with new HTTP/2
 * bytes from the server comes to its slot: no HTTP/2 state is made again
 * for it (ASan would see that leak). */
static void feed_h2_late(struct tracer *t)
{
	feed_h2(t);
	uint32_t c = 1000 + 1 + 24 + sizeof F_SETTINGS + sizeof F_REQ;
	uint32_t s = 5000 + 1 + sizeof F_SETTINGS + sizeof F_RESP + sizeof F_GOAWAY;
	tcp(t, 4000, true, 50400, c, s, FR_RST | FR_ACK, NULL);
	tcpb(t, 4300, false, 50400, s, c, FR_PSH | FR_ACK, F_SETTINGS, sizeof F_SETTINGS);
}

/* DoH over HTTP/1.1, the client resets, the answer comes late: decoded
 * as bytes of a finished connection, nothing made for it that would leak. */
static void feed_doh_late(struct tracer *t)
{
	static const char req[] = "GET /dns-query?dns=AAABAAABAAAAAAAAA3d3dwNsYWIEdGVzdAAAAQAB "
				  "HTTP/1.1\r\nHost: dns.lab.test\r\n\r\n";
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\n"
				   "Content-Length: 30\r\n\r\n";
	static const uint8_t msg[30] = { 0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w',
					 3, 'l', 'a', 'b', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1 };
	uint8_t b[160];
	size_t m = cat(b, 0, head, sizeof head - 1);
	m = cat(b, m, msg, sizeof msg);
	uint32_t c = 1000, s = 5000, n = sizeof req - 1;
	tcp(t, 1000, true, 50410, c, 0, FR_SYN, NULL);
	tcp(t, 1100, false, 50410, s, c + 1, FR_SYN | FR_ACK, NULL);
	tcp(t, 1200, true, 50410, c + 1, s + 1, FR_ACK, NULL);
	tcp(t, 1300, true, 50410, c + 1, s + 1, FR_PSH | FR_ACK, req);
	tcp(t, 1400, true, 50410, c + 1 + n, s + 1, FR_RST | FR_ACK, NULL);
	tcpb(t, 3300, false, 50410, s + 1, c + 1 + n, FR_PSH | FR_ACK, b, m);
}

static void test_h2_dispatch(void)
{
	struct out_opts o = { .format = OUT_TEXT };
	int rc = -1;
	char *out = run(&o, 16, feed_h2, &rc);
	if (!out)
		return;
	CHECK_EQ_INT(rc, 0);
	int w = line_of(out, "#1 GET / www.lab.test END_STREAM");
	CHECK(w >= 0);
	CHECK(w == line_of(out, "59 B to server") - 0 || w == line_of(out, "60 B to server"));
	CHECK(line_of(out, "HTTP/2 preface; SETTINGS; #1 GET /") == w);
	int r = line_of(out, "#1 200 (first byte 2.00 ms after the request); #1 body 2 B END_STREAM");
	CHECK(r > w);
	CHECK(line_of(out, " read     read() ") <= r);
	/* the GOAWAY and the ACK after it are close */
	CHECK_EQ_INT(count(out, " close    close() "), 2);
	CHECK(line_of(out, "GOAWAY last #1 NO_ERROR") == line_of(out, " close    close() "));
	CHECK(strstr(out, "  http2  steps connect,write,read,close") != NULL);
	/* the stream is the exchange: 2 ms from its request to its response */
	CHECK(strstr(out, "#1 GET /  ") != NULL && strstr(out, " wait 2.00 ms ") != NULL);
	CHECK(strstr(out, " 200  0 B up, 2 B down") != NULL);
	if (t_failed)
		fputs(out, stderr);
	free(out);

	out = run(&o, 16, feed_h2_late, &rc);
	if (!out)
		return;
	CHECK(strstr(out, "connection reset by client") != NULL);
	free(out);

	out = run(&o, 16, feed_doh_late, &rc);
	if (!out)
		return;
	CHECK(strstr(out, "| DoH query #0000 www.lab.test IN A") != NULL);
	CHECK(strstr(out, "connection reset by client") != NULL);
	free(out);

	out = run(&o, 16, feed_h2c, &rc);
	if (!out)
		return;
	/* one segment: the 101, then the HTTP/2 frames after it */
	int u = line_of(out, "HTTP/1.1 101 Switching Protocols");
	CHECK(u >= 0);
	CHECK(line_of(out, "switched protocols (101) to HTTP/2 (h2c)") == u);
	CHECK(line_of(out, "SETTINGS; #1 200; #1 body 2 B") == u);
	CHECK(line_of(out, "HTTP/2 preface; SETTINGS") > u);
	CHECK(strstr(out, "  http2  steps ") != NULL);
	/* the HTTP/1.1 request and the HTTP/2 response are one exchange */
	CHECK_EQ_INT(count(out, "#1 GET /  "), 1);
	CHECK(strstr(out, " 200  0 B up, 2 B down") != NULL);
	if (t_failed)
		fputs(out, stderr);
	free(out);
}

/* 700 HTTP/2 connections open at once: their state (about 112 KiB each)
 * is over the 64 MiB cap for some; those are counted and noted, the rest
 * decoded, and everything is given back (ASan checks the leaks). */
static void feed_h2_many(struct tracer *t)
{
	uint8_t b[64];
	size_t n = cat(b, 0, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	n = cat(b, n, F_SETTINGS, sizeof F_SETTINGS);
	for (uint16_t k = 0; k < 700; k++) {
		uint16_t cp = (uint16_t)(20000 + k);
		int64_t us = 1000 + (int64_t)k * 10;
		tcp(t, us, true, cp, 1000, 0, FR_SYN, NULL);
		tcp(t, us + 1, false, cp, 5000, 1001, FR_SYN | FR_ACK, NULL);
		tcpb(t, us + 2, true, cp, 1001, 5001, FR_PSH | FR_ACK, b, n);
	}
}

static void test_h2_cap(void)
{
	struct out_opts o = { .format = OUT_TEXT };
	int rc = -1;
	char *out = run(&o, 1024, feed_h2_many, &rc);
	if (!out)
		return;
	int refused = count(out, "| HTTP/2 not decoded: over the memory cap");
	int decoded = count(out, "| HTTP/2 preface; SETTINGS");
	CHECK(refused > 0);
	CHECK(decoded > 500);
	CHECK_EQ_INT(refused + decoded, 700);
	char want[96];
	snprintf(want, sizeof want, "http2: %d connections not decoded", refused);
	CHECK(strstr(out, want) != NULL);
	free(out);
}

int main(void)
{
	test_text();
	test_json();
	test_evict();
	test_many();
	test_h2_dispatch();
	test_h2_cap();
	return t_done("test_trace");
}
