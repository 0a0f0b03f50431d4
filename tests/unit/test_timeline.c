/* test_timeline.c - the exchange times: phases, keep-alive, DNS counted once per
 * fetch, close times, TLS as one exchange, and many connections open at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "http.h"
#include "t.h"
#include "timeline.h"
#include "tls.h"

static struct conn mkconn(uint32_t id, uint32_t fetch_id)
{
	struct conn c;
	memset(&c, 0, sizeof(c));
	c.id = id;
	c.fetch_id = fetch_id;
	c.ip_ver = 4;
	c.srv[0] = 192, c.srv[3] = 80;
	c.sport = 80;
	c.app = APP_HTTP;
	c.first_fin = c.rst_dir = -1;
	c.ts_syn = 100, c.ts_synack = 150, c.ts_established = 160;
	return c;
}

static void set_str(struct http_str *s, const char *v)
{
	s->len = (uint16_t)strlen(v);
	memcpy(s->b, v, s->len);
	s->present = true;
}

/* One HTTP event on c at now; returns what the packet line would show. */
static int64_t ev(struct timeline *tl, int64_t now, struct conn *c, enum http_ev_kind kind,
		  int dir, uint32_t exchange, uint16_t status, uint64_t body)
{
	static struct http_head h;
	memset(&h, 0, sizeof(h));
	h.is_request = dir == 0;
	h.exchange = exchange;
	h.v_major = 1, h.v_minor = 1;
	set_str(&h.method, "GET");
	set_str(&h.target, "/x");
	set_str(&h.host, "www.lab.test");
	h.status = status;
	set_str(&h.reason, status == 200 ? "OK" : "Continue");
	struct http_ev e = { .kind = kind, .dir = (uint8_t)dir, .exchange = exchange,
			     .head = kind == HTTP_EV_HEAD ? &h : NULL, .body_done = body };
	return timeline_http(tl, now, c, &e);
}

/* A whole exchange: request at t, response head at t+w, its end at t+w+d. */
static void exchange(struct timeline *tl, struct conn *c, uint32_t n, int64_t t, int64_t w,
		     int64_t d)
{
	CHECK_EQ_INT(ev(tl, t, c, HTTP_EV_HEAD, 0, n, 0, 0), -1);
	CHECK_EQ_INT(ev(tl, t, c, HTTP_EV_END, 0, n, 0, 0), -1);
	CHECK_EQ_INT(ev(tl, t + w, c, HTTP_EV_HEAD, 1, n, 200, 0), w);
	CHECK_EQ_INT(ev(tl, t + w + d, c, HTTP_EV_END, 1, n, 0, 3), d);
}

static void test_phases(void)
{
	struct timeline *tl = timeline_open();
	struct fetch_link l = { .fetch_id = 1, .new_fetch = true, .via_dns = true,
				.query_ts = 10, .answer_ts = 60 };
	struct dns_name nm = { .len = 12 };
	memcpy(nm.text, "www.lab.test", 13);
	l.name = &nm;
	timeline_fetch(tl, &l);
	struct conn c = mkconn(1, 1);
	exchange(tl, &c, 1, 200, 400, 50);
	exchange(tl, &c, 2, 1000, 300, 20); /* keep-alive */
	CHECK_EQ_INT(timeline_count(tl), 2);
	c.ts_fin = 2000, c.ts_last = 2100, c.first_fin = 0;
	timeline_conn_done(tl, &c);

	const struct tl_exch *x = timeline_get(tl, 0);
	int64_t st[TL_PHASES], en[TL_PHASES];
	timeline_phases(x, st, en);
	CHECK(x->first_on_conn);
	CHECK_EQ_INT(x->status, 200);
	CHECK_EQ_INT(x->down, 3);
	CHECK_EQ_INT(x->name_len, 12);
	CHECK_EQ_INT(st[TL_DNS], 10);
	CHECK_EQ_INT(en[TL_DNS], 60);
	CHECK_EQ_INT(st[TL_CONNECT], 100);
	CHECK_EQ_INT(en[TL_CONNECT], 150); /* SYN to SYN-ACK */
	CHECK_EQ_INT(st[TL_TLS] | en[TL_TLS], 0);
	CHECK_EQ_INT(st[TL_SEND], 200);
	CHECK_EQ_INT(en[TL_SEND], 200);
	CHECK_EQ_INT(en[TL_WAIT] - st[TL_WAIT], 400);
	CHECK_EQ_INT(en[TL_DOWNLOAD] - st[TL_DOWNLOAD], 50);
	CHECK_EQ_INT(st[TL_CLOSE], 2000);
	CHECK_EQ_INT(en[TL_CLOSE], 2100);
	CHECK_EQ_INT(x->close_how, 1);

	/* the second exchange: no DNS or connect of its own, but the close */
	x = timeline_get(tl, 1);
	timeline_phases(x, st, en);
	CHECK(!x->first_on_conn);
	CHECK_EQ_INT(x->exchange, 2);
	CHECK_EQ_INT(st[TL_DNS] | st[TL_CONNECT], 0);
	CHECK_EQ_INT(en[TL_WAIT] - st[TL_WAIT], 300);
	CHECK_EQ_INT(x->closed, 2100);

	/* a second connection of the same fetch: its connect, not the DNS again */
	struct conn c2 = mkconn(2, 1);
	exchange(tl, &c2, 1, 3000, 10, 10);
	x = timeline_get(tl, 2);
	CHECK(x->first_on_conn);
	CHECK_EQ_INT(x->dns_start, 0);
	CHECK_EQ_INT(x->syn, 100);

	/* SYN-ACK not seen: connect ends with the handshake's ACK */
	struct tl_exch y = { .syn = 100, .est = 170 };
	CHECK_EQ_INT(timeline_connect_end(&y), 170);
	/* an end before its start is not a phase */
	struct tl_exch z = { .req_start = 500, .req_end = 400 };
	timeline_phases(&z, st, en);
	CHECK_EQ_INT(st[TL_SEND] | en[TL_SEND], 0);
	timeline_close(tl);
}

/* Issue 9, bug 5: 200 connections all send their requests before any
 * response comes; every exchange still gets its response and its close. */
static void test_many_open(void)
{
	enum { N = 200 };
	struct timeline *tl = timeline_open();
	struct conn *c = calloc(N, sizeof(*c));
	for (int i = 0; i < N; i++) {
		c[i] = mkconn((uint32_t)i + 1, 1);
		ev(tl, 1000 + i, &c[i], HTTP_EV_HEAD, 0, 1, 0, 0);
		ev(tl, 1000 + i, &c[i], HTTP_EV_END, 0, 1, 0, 0);
	}
	/* responses in reverse order, after every request */
	for (int i = N - 1; i >= 0; i--) {
		int64_t t = 5000 + (N - 1 - i);
		CHECK_EQ_INT(ev(tl, t, &c[i], HTTP_EV_HEAD, 1, 1, 200, 0), t - (1000 + i));
		ev(tl, t + 1, &c[i], HTTP_EV_END, 1, 1, 0, 3);
		c[i].ts_fin = c[i].ts_last = t + 2;
		c[i].first_fin = 1;
		timeline_conn_done(tl, &c[i]);
	}
	int ok = 0;
	for (size_t i = 0; i < timeline_count(tl); i++) {
		const struct tl_exch *x = timeline_get(tl, i);
		ok += x->status == 200 && x->resp_start && x->resp_end && x->closed &&
		      x->close_how == 2 && x->conn == i + 1;
	}
	CHECK_EQ_INT(timeline_count(tl), N);
	CHECK_EQ_INT(ok, N);
	CHECK(timeline_get(tl, 0)->hd == NULL); /* no heads unless HAR asks for them */
	free(c);
	timeline_close(tl);
}

/* Past the cap: exchanges are counted, not kept; those kept (in chunks)
 * stay in place and in order across chunk boundaries, with their heads. */
static void test_cap(void)
{
	enum { N = TL_MAX_EXCH + 10 };
	struct timeline *tl = timeline_open();
	timeline_keep_heads(tl);
	struct conn c = mkconn(1, 1);
	const struct tl_exch *first = NULL;
	for (uint32_t i = 1; i <= N; i++) {
		ev(tl, 1000 + i, &c, HTTP_EV_HEAD, 0, i, 0, 0);
		if (i == 1)
			first = timeline_get(tl, 0);
	}
	CHECK_EQ_INT(timeline_count(tl), TL_MAX_EXCH);
	CHECK_EQ_INT(timeline_dropped(tl), 10);
	CHECK(timeline_get(tl, 0) == first); /* never moved */
	int ok = 0;
	for (size_t i = 0; i < timeline_count(tl); i++) {
		const struct tl_exch *x = timeline_get(tl, i);
		ok += x->exchange == i + 1 && x->req_start == (int64_t)(1001 + i) && x->hd &&
		      x->hd->req.seen;
	}
	CHECK_EQ_INT(ok, TL_MAX_EXCH);
	CHECK(timeline_get(tl, TL_MAX_EXCH) == NULL);
	timeline_close(tl);
}

/* Past the cap, a TLS connection's exchange is counted once, not once per
 * record the client sends (exchanges_dropped counts exchanges). */
static void test_cap_tls(void)
{
	struct timeline *tl = timeline_open();
	struct conn c = mkconn(1, 1);
	for (uint32_t i = 1; i <= TL_MAX_EXCH; i++)
		ev(tl, 1000 + i, &c, HTTP_EV_HEAD, 0, i, 0, 0);
	CHECK_EQ_INT(timeline_dropped(tl), 0);
	struct tls_ev up = { .kind = TLS_EV_APPDATA, .dir = 0, .rec_len = 100 };
	struct tls_ev down = { .kind = TLS_EV_APPDATA, .dir = 1, .rec_len = 1000 };
	for (uint32_t k = 2; k <= 3; k++) {
		struct conn t = mkconn(k, k);
		t.tls = true;
		timeline_tls(tl, 90000, &t, &up);
		timeline_tls(tl, 90001, &t, &up);
		timeline_tls(tl, 90002, &t, &down);
		timeline_tls(tl, 90003, &t, &up); /* a second request on the connection */
		CHECK_EQ_INT(timeline_dropped(tl), k - 1);
	}
	CHECK_EQ_INT(timeline_count(tl), TL_MAX_EXCH);
	timeline_close(tl);
}

/* Pipelining: the second request leaves before the first response; a 1xx
 * head does not take the status; events of an unknown exchange are ignored. */
static void test_pipelined(void)
{
	struct timeline *tl = timeline_open();
	struct conn c = mkconn(7, 0);
	ev(tl, 100, &c, HTTP_EV_HEAD, 0, 1, 0, 0);
	ev(tl, 100, &c, HTTP_EV_HEAD, 0, 2, 0, 0);
	CHECK_EQ_INT(ev(tl, 150, &c, HTTP_EV_HEAD, 1, 1, 100, 0), 50);
	CHECK_EQ_INT(ev(tl, 170, &c, HTTP_EV_HEAD, 1, 1, 200, 0), 70);
	CHECK_EQ_INT(ev(tl, 180, &c, HTTP_EV_END, 1, 1, 0, 5), 30); /* since the 100's first byte */
	CHECK_EQ_INT(ev(tl, 190, &c, HTTP_EV_HEAD, 1, 2, 200, 0), 90);
	CHECK_EQ_INT(ev(tl, 195, &c, HTTP_EV_HEAD, 1, 9, 200, 0), -1); /* no such request */
	CHECK_EQ_INT(timeline_count(tl), 2);
	const struct tl_exch *x1 = timeline_get(tl, 0), *x2 = timeline_get(tl, 1);
	CHECK_EQ_INT(x1->status, 200);
	CHECK_EQ_INT(x1->resp_start, 150);
	CHECK_EQ_INT(x1->reason_len, 2); /* the final response's reason, "OK" */
	CHECK_EQ_INT(x2->status, 200);
	CHECK_EQ_INT(x2->resp_start, 190);
	CHECK(!x2->first_on_conn);
	/* without a fetch name, the Host header names the exchange */
	CHECK_EQ_INT(x1->name_len, 12);
	timeline_close(tl);
}

/* TLS: the connection's application data as one exchange, the SNI kept. */
static void test_tls(void)
{
	struct timeline *tl = timeline_open();
	struct conn c = mkconn(3, 0);
	c.tls = true;
	c.ts_tls_hello = 200;
	struct tls_client_hello ch;
	memset(&ch, 0, sizeof(ch));
	ch.has_sni = true;
	memcpy(ch.sni, "www.lab.test", 12);
	ch.sni_len = 12;
	struct tls_ev hello = { .kind = TLS_EV_CLIENT_HELLO, .dir = 0, .ch = &ch };
	timeline_tls(tl, 200, &c, &hello);
	struct tls_ev srv_first = { .kind = TLS_EV_APPDATA, .dir = 1, .rec_len = 50 };
	timeline_tls(tl, 250, &c, &srv_first); /* before any request: opens nothing */
	CHECK_EQ_INT(timeline_count(tl), 0);
	struct tls_ev up = { .kind = TLS_EV_APPDATA, .dir = 0, .rec_len = 100 };
	struct tls_ev down = { .kind = TLS_EV_APPDATA, .dir = 1, .rec_len = 1000 };
	timeline_tls(tl, 300, &c, &up);
	timeline_tls(tl, 400, &c, &down);
	timeline_tls(tl, 450, &c, &down);
	CHECK_EQ_INT(timeline_count(tl), 1);
	const struct tl_exch *x = timeline_get(tl, 0);
	CHECK(x->tls);
	CHECK_EQ_INT(x->exchange, 0);
	CHECK_EQ_INT(x->tls_start, 200);
	CHECK_EQ_INT(x->tls_end, 300);
	CHECK_EQ_INT(x->req_end, 300);
	CHECK_EQ_INT(x->resp_start, 400);
	CHECK_EQ_INT(x->resp_end, 450);
	CHECK_EQ_INT(x->up, 100);
	CHECK_EQ_INT(x->down, 2000);
	CHECK_EQ_INT(x->sni_len, 12);
	CHECK(!memcmp(x->method, "TLS", 3));
	timeline_close(tl);
}

/* 300 TLS connections say their server name before any sends application
 * data: each exchange still gets its own connection's name. */
static void test_many_tls(void)
{
	enum { N = 300 };
	struct timeline *tl = timeline_open();
	struct conn *c = calloc(N, sizeof(*c));
	static struct tls_client_hello ch;
	for (int i = 0; i < N; i++) {
		c[i] = mkconn((uint32_t)i + 1, 0);
		c[i].tls = true;
		memset(&ch, 0, sizeof(ch));
		ch.has_sni = true;
		ch.sni_len = (uint16_t)snprintf(ch.sni, sizeof(ch.sni), "h%d.test", i + 1);
		struct tls_ev hello = { .kind = TLS_EV_CLIENT_HELLO, .dir = 0, .ch = &ch };
		timeline_tls(tl, 100 + i, &c[i], &hello);
	}
	struct tls_ev up = { .kind = TLS_EV_APPDATA, .dir = 0, .rec_len = 10 };
	for (int i = 0; i < N; i++)
		timeline_tls(tl, 1000 + i, &c[i], &up);
	int ok = 0;
	for (size_t i = 0; i < timeline_count(tl); i++) {
		const struct tl_exch *x = timeline_get(tl, i);
		char want[TL_STR];
		int n = snprintf(want, sizeof(want), "h%u.test", x->conn);
		ok += x->sni_len == n && !memcmp(x->sni, want, (size_t)n);
	}
	CHECK_EQ_INT(timeline_count(tl), N);
	CHECK_EQ_INT(ok, N);
	free(c);
	timeline_close(tl);
}

static void hset(struct hpack_str *s, const char *v)
{
	s->len = (uint16_t)strlen(v);
	memcpy(s->b, v, s->len);
	s->present = true;
}

/* One HTTP/2 frame event on c at now: a header block (req: request, else
 * response with status), or DATA (body bytes so far); returns the line's duration. */
static int64_t h2ev_at(struct timeline *tl, int64_t now, struct conn *c, uint8_t type, int dir,
		       uint32_t sid, uint32_t exchange, const char *path, uint16_t status,
		       uint64_t body, bool end, uint64_t at);

static int64_t h2ev(struct timeline *tl, int64_t now, struct conn *c, uint8_t type, int dir,
		    uint32_t sid, uint32_t exchange, const char *path, uint16_t status,
		    uint64_t body, bool end)
{
	return h2ev_at(tl, now, c, type, dir, sid, exchange, path, status, body, end, 0);
}

/* The same, the frame (or its TLS record) ending at stream position at. */
static int64_t h2ev_at(struct timeline *tl, int64_t now, struct conn *c, uint8_t type, int dir,
		       uint32_t sid, uint32_t exchange, const char *path, uint16_t status,
		       uint64_t body, bool end, uint64_t at)
{
	static struct hpack_headers h;
	hpack_headers_clear(&h);
	struct h2_ev e = { .kind = H2_EV_FRAME, .dir = (uint8_t)dir, .type = type,
			   .stream_id = sid, .exchange = exchange, .end_stream = end,
			   .body_done = body, .length = 20, .at = at };
	if (type == H2_HEADERS) {
		if (dir == 0) {
			hset(&h.method, "GET");
			hset(&h.path, path);
			hset(&h.authority, "www.lab.test");
			e.head_kind = H2_HEAD_REQUEST;
		} else {
			hset(&h.status, status == 200 ? "200" : "404");
			h.status_code = status;
			hset(&h.content_type, "text/css");
			e.head_kind = H2_HEAD_RESPONSE;
		}
		e.head = &h;
	}
	return timeline_h2(tl, now, c, &e);
}

/* HTTP/2: each stream an exchange of its own, keyed by the connection and
 * the stream's exchange number, their times interleaved (concurrent). */
static void test_h2_streams(void)
{
	struct timeline *tl = timeline_open();
	timeline_keep_heads(tl); /* x->hd: the heads HAR shows */
	struct conn c = mkconn(1, 1);
	c.app = APP_H2;
	/* three requests at once: streams 1, 3, 5 */
	CHECK_EQ_INT(h2ev(tl, 1000, &c, H2_HEADERS, 0, 1, 1, "/", 0, 0, true), -1);
	CHECK_EQ_INT(h2ev(tl, 1010, &c, H2_HEADERS, 0, 3, 2, "/a.css", 0, 0, true), -1);
	CHECK_EQ_INT(h2ev(tl, 1020, &c, H2_HEADERS, 0, 5, 3, "/b.png", 0, 0, true), -1);
	/* the answers out of order: 3's first, 5 cancelled, 1's body in two frames */
	CHECK_EQ_INT(h2ev(tl, 1500, &c, H2_HEADERS, 1, 3, 2, NULL, 200, 0, false), 1500 - 1010);
	CHECK_EQ_INT(h2ev(tl, 1600, &c, H2_HEADERS, 1, 1, 1, NULL, 404, 0, false), 1600 - 1000);
	CHECK_EQ_INT(h2ev(tl, 1700, &c, H2_DATA, 1, 1, 1, NULL, 0, 100, false), -1);
	CHECK_EQ_INT(h2ev(tl, 1800, &c, H2_DATA, 1, 3, 2, NULL, 0, 3000, true), 1800 - 1500);
	CHECK_EQ_INT(h2ev(tl, 1900, &c, H2_RST_STREAM, 0, 5, 3, NULL, 0, 0, false), -1);
	CHECK_EQ_INT(h2ev(tl, 2000, &c, H2_DATA, 1, 1, 1, NULL, 0, 250, true), 2000 - 1600);
	/* a frame of a stream never opened (no request seen) is nobody's */
	CHECK_EQ_INT(h2ev(tl, 2100, &c, H2_DATA, 1, 7, 4, NULL, 0, 10, true), -1);
	CHECK_EQ_INT(timeline_count(tl), 3);
	const struct tl_exch *x1 = timeline_get(tl, 0), *x2 = timeline_get(tl, 1),
			     *x3 = timeline_get(tl, 2);
	CHECK_EQ_INT(x1->stream, 1);
	CHECK_EQ_INT(x1->req_start, 1000);
	CHECK_EQ_INT(x1->resp_start, 1600);
	CHECK_EQ_INT(x1->resp_end, 2000);
	CHECK_EQ_INT(x1->status, 404);
	CHECK_EQ_INT(x1->down, 250);
	CHECK_EQ_INT(x1->hd->req.v_major, 2);
	CHECK(x1->first_on_conn);
	CHECK_EQ_INT(x2->stream, 3);
	CHECK_EQ_INT(x2->req_start, 1010);
	CHECK_EQ_INT(x2->resp_start, 1500);
	CHECK_EQ_INT(x2->resp_end, 1800);
	CHECK_EQ_INT(x2->status, 200);
	CHECK_EQ_INT(x2->down, 3000);
	CHECK(!x2->first_on_conn);
	CHECK(memcmp(x2->target, "/a.css", 6) == 0 && x2->target_len == 6);
	CHECK_EQ_INT(x3->stream, 5);
	CHECK(x3->cancelled);
	CHECK(!x1->cancelled && !x2->cancelled);
	CHECK_EQ_INT(x3->status, 0);
	timeline_close(tl);
}

/* One HTTP/3 event on QUIC connection q at now (as h2ev); xchg for STREAM_DONE. */
static int64_t h3ev(struct timeline *tl, int64_t now, struct quicflow *q, enum h3_ev_kind kind,
		    uint64_t type, int dir, uint64_t sid, uint32_t exchange, const char *path,
		    uint16_t status, uint64_t body, bool fin, const struct h3_exchange *xchg)
{
	static struct hpack_headers h;
	hpack_headers_clear(&h);
	struct h3_ev e = { .kind = kind, .dir = (uint8_t)dir, .type = type, .stream_id = sid,
			   .exchange = exchange, .fin = fin, .body_done = body, .length = 20,
			   .xchg = xchg };
	if (type == H3_HEADERS && kind != H3_EV_STREAM_DONE) {
		if (dir == 0) {
			hset(&h.method, "GET");
			hset(&h.path, path);
			hset(&h.authority, "h3.lab.test");
			e.head_kind = H3_HEAD_REQUEST;
		} else {
			hset(&h.status, status == 200 ? "200" : "404");
			h.status_code = status;
			hset(&h.content_type, "image/png");
			e.head_kind = H3_HEAD_RESPONSE;
		}
		e.head = &h;
	}
	return timeline_h3(tl, now, q, &e);
}

/* HTTP/3: each request stream an exchange keyed by the QUIC connection and
 * the stream's exchange number, in a key space of its own: QUIC connection 1
 * and TCP connection 1 open at once never share an exchange. */
static void test_h3_streams(void)
{
	struct timeline *tl = timeline_open();
	timeline_keep_heads(tl);
	struct conn c = mkconn(1, 1);
	struct quicflow q;
	memset(&q, 0, sizeof(q));
	q.id = 1, q.fetch_id = 2, q.ip_ver = 4, q.sport = 443, q.close_dir = -1;
	q.ts_first = 500, q.ts_hs_done = 700;
	/* stream 0 (exchange 1) on q1, then an HTTP/1.1 exchange 1 on TCP c1 */
	CHECK_EQ_INT(h3ev(tl, 800, &q, H3_EV_FRAME, H3_HEADERS, 0, 0, 1, "/", 0, 0, true, NULL), -1);
	exchange(tl, &c, 1, 850, 100, 10);
	/* a blocked block that decodes later (H3_EV_HEADERS) opens stream 4 */
	CHECK_EQ_INT(h3ev(tl, 900, &q, H3_EV_HEADERS, H3_HEADERS, 0, 4, 2, "/a.png", 0, 0, false,
			  NULL), -1);
	CHECK_EQ_INT(h3ev(tl, 1000, &q, H3_EV_FRAME, H3_HEADERS, 1, 0, 1, NULL, 200, 0, false, NULL),
		     1000 - 800);
	CHECK_EQ_INT(h3ev(tl, 1100, &q, H3_EV_FRAME, H3_DATA, 1, 0, 1, NULL, 0, 320, true, NULL),
		     1100 - 1000);
	struct h3_exchange done;
	memset(&done, 0, sizeof(done));
	done.stream_id = 4, done.exchange = 2, done.reset = true, done.reset_dir = 0;
	CHECK_EQ_INT(h3ev(tl, 1200, &q, H3_EV_STREAM_DONE, 0, 0, 4, 2, NULL, 0, 0, false, &done),
		     -1);
	/* a frame of a stream never opened is nobody's */
	CHECK_EQ_INT(h3ev(tl, 1300, &q, H3_EV_FRAME, H3_DATA, 1, 8, 3, NULL, 0, 5, true, NULL), -1);
	q.ts_close = q.ts_last = 1400, q.close_dir = 0;
	timeline_quic_done(tl, &q);
	CHECK_EQ_INT(timeline_count(tl), 3);
	const struct tl_exch *x1 = timeline_get(tl, 0), *t1 = timeline_get(tl, 1),
			     *x2 = timeline_get(tl, 2);
	CHECK(x1->quic && x2->quic && !t1->quic);
	CHECK_EQ_INT(x1->conn, 1);
	CHECK_EQ_INT(t1->conn, 1);
	CHECK(x1->first_on_conn && t1->first_on_conn && !x2->first_on_conn);
	CHECK_EQ_INT(x1->stream, 0);
	CHECK_EQ_INT(x1->status, 200);
	CHECK_EQ_INT(x1->down, 320);
	CHECK_EQ_INT(x1->hd->req.v_major, 3);
	CHECK_EQ_INT(x1->resp_end, 1100);
	CHECK_EQ_INT(x1->fin, 1400);
	CHECK_EQ_INT(x1->close_how, 1);
	int64_t st[TL_PHASES], en[TL_PHASES];
	timeline_phases(x1, st, en);
	CHECK_EQ_INT(st[TL_CONNECT], 500); /* the handshake: connect and TLS at once */
	CHECK_EQ_INT(en[TL_CONNECT], 700);
	CHECK_EQ_INT(st[TL_TLS], 500);
	CHECK_EQ_INT(en[TL_TLS], 700);
	CHECK_EQ_INT(en[TL_WAIT] - st[TL_WAIT], 200);
	CHECK_EQ_INT(t1->status, 200); /* the TCP exchange kept its own response */
	CHECK_EQ_INT(t1->resp_start, 950);
	CHECK_EQ_INT(x2->stream, 4);
	CHECK(x2->cancelled);
	CHECK(memcmp(x2->target, "/a.png", 6) == 0 && x2->target_len == 6);
	CHECK_EQ_INT(x2->syn | x2->tls_start, 0);
	timeline_close(tl);
}

/* Measured calls joined to HTTP/2 streams by stream position (issue 14): the
 * write() whose counted bytes cover a request's HEADERS wrote it, the read()
 * whose counted bytes cover a response's first HEADERS returned it. */
static void test_h2_call_pos(void)
{
	struct timeline *tl = timeline_open();
	struct conn c = mkconn(1, 1);
	c.app = APP_H2;
	c.calls_pos.counted = true; /* its connect() was measured */
	uint32_t sid = 99;
	/* one write: preface, SETTINGS, stream 1's HEADERS (its record ends at 100) */
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 0, 100, 900, false, &sid), 0);
	CHECK_EQ_INT(h2ev_at(tl, 1000, &c, H2_HEADERS, 0, 1, 1, "/", 0, 0, true, 100), -1);
	/* stream 3: its event first, then its write (packets not held back) */
	CHECK_EQ_INT(h2ev_at(tl, 1010, &c, H2_HEADERS, 0, 3, 2, "/a", 0, 0, true, 150), -1);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 0, 50, 1005, false, &sid), 0);
	const struct tl_exch *x1 = timeline_get(tl, 0), *x3 = timeline_get(tl, 1);
	CHECK_EQ_INT(x1->call_write, 900);
	CHECK_EQ_INT(x3->call_write, 1005);
	CHECK_EQ_INT(x1->req_pos, 100);
	CHECK_EQ_INT(x3->req_pos, 150);
	/* the server's SETTINGS: a record read in two (header, then body) */
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 5, 1100, false, &sid), 0);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 195, 1200, false, &sid), 0);
	/* stream 3's response first: its record (201..300) read in two; the
	 * read that covers its last byte returned it */
	CHECK_EQ_INT(h2ev_at(tl, 1500, &c, H2_HEADERS, 1, 3, 2, NULL, 200, 0, false, 300),
		     1500 - 1010);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 5, 1510, false, &sid), 0);
	CHECK_EQ_INT(x3->call_read, 0);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 95, 1520, false, &sid), 1500);
	CHECK_EQ_INT(sid, 3);
	CHECK_EQ_INT(x3->call_read, 1520);
	CHECK_EQ_INT(x1->call_read, 0);
	/* stream 1's response (ends at 400) and a DATA frame: one read */
	CHECK_EQ_INT(h2ev_at(tl, 1600, &c, H2_HEADERS, 1, 1, 1, NULL, 200, 0, false, 400),
		     1600 - 1000);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 150, 1650, false, &sid), 1600);
	CHECK_EQ_INT(sid, 1);
	CHECK_EQ_INT(x1->call_read, 1650);
	CHECK_EQ_INT(x3->call_read, 1520); /* kept */
	/* streams 5 and 7: both first bytes in one read */
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 0, 60, 1700, false, &sid), 0); /* 151..210 */
	CHECK_EQ_INT(h2ev_at(tl, 1701, &c, H2_HEADERS, 0, 5, 3, "/5", 0, 0, true, 180), -1);
	CHECK_EQ_INT(h2ev_at(tl, 1702, &c, H2_HEADERS, 0, 7, 4, "/7", 0, 0, true, 210), -1);
	CHECK_EQ_INT(h2ev_at(tl, 1800, &c, H2_HEADERS, 1, 7, 4, NULL, 200, 0, false, 500), 98);
	CHECK_EQ_INT(h2ev_at(tl, 1810, &c, H2_HEADERS, 1, 5, 3, NULL, 200, 0, false, 650), 109);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 300, 1900, false, &sid), 1800); /* 451..750 */
	CHECK_EQ_INT(sid, 7);
	const struct tl_exch *x5 = timeline_get(tl, 2), *x7 = timeline_get(tl, 3);
	CHECK_EQ_INT(x5->call_read, 1900);
	CHECK_EQ_INT(x7->call_read, 1900);
	CHECK_EQ_INT(x5->call_write, 1700);
	CHECK_EQ_INT(x7->call_write, 1700);
	/* a read that the clocks put 4 us before the packet that carried its
	 * bytes: joined when the event comes, at the arrival */
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 0, 40, 1950, false, &sid), 0); /* 211..250 */
	CHECK_EQ_INT(h2ev_at(tl, 1951, &c, H2_HEADERS, 0, 9, 5, "/9", 0, 0, true, 250), -1);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 100, 1996, false, &sid), 0); /* 751..850 */
	CHECK_EQ_INT(h2ev_at(tl, 2000, &c, H2_HEADERS, 1, 9, 5, NULL, 200, 0, false, 800), 49);
	const struct tl_exch *x9 = timeline_get(tl, 4);
	CHECK_EQ_INT(x9->call_read, 2000);
	CHECK_EQ_INT(x9->call_write, 1950);
	/* a read counted before bytes that arrived long after it: the counts are
	 * off (a byte counted that the stream did not move): nothing joined */
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 0, 10, 2050, false, &sid), 0); /* 251..260 */
	CHECK_EQ_INT(h2ev_at(tl, 2051, &c, H2_HEADERS, 0, 11, 6, "/11", 0, 0, true, 260), -1);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 100, 2100, false, &sid), 0); /* 851..950 */
	CHECK_EQ_INT(h2ev_at(tl, 9000, &c, H2_HEADERS, 1, 11, 6, NULL, 200, 0, false, 900), 6949);
	const struct tl_exch *x11 = timeline_get(tl, 5);
	CHECK_EQ_INT(x11->call_read, 0);
	CHECK(c.calls_pos.lost);
	CHECK_EQ_INT(x11->call_nosplit, TL_NOSPLIT_COUNT); /* the views say why */
	CHECK_EQ_INT(x9->call_nosplit, TL_SPLIT);
	CHECK_EQ_INT(timeline_count(tl), 6);
	timeline_close(tl);

	/* a connection whose connect() was not measured: its counts may not
	 * start with the stream: nothing is joined */
	tl = timeline_open();
	c = mkconn(2, 1);
	c.app = APP_H2;
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 0, 100, 900, false, &sid), 0);
	CHECK_EQ_INT(h2ev_at(tl, 1000, &c, H2_HEADERS, 0, 1, 1, "/", 0, 0, true, 100), -1);
	CHECK_EQ_INT(h2ev_at(tl, 1500, &c, H2_HEADERS, 1, 1, 1, NULL, 200, 0, false, 200), 500);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 300, 1600, false, &sid), 0);
	CHECK_EQ_INT(timeline_get(tl, 0)->call_read, 0);
	CHECK_EQ_INT(timeline_get(tl, 0)->call_write, 0);
	/* a sendmmsg() (its return counts messages, not bytes): nothing from then on */
	c = mkconn(3, 1);
	c.app = APP_H2;
	c.calls_pos.counted = true;
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 0, 2, 900, true, &sid), 0);
	CHECK_EQ_INT(h2ev_at(tl, 1000, &c, H2_HEADERS, 0, 1, 1, "/", 0, 0, true, 1), -1);
	CHECK_EQ_INT(h2ev_at(tl, 1500, &c, H2_HEADERS, 1, 1, 1, NULL, 200, 0, false, 200), 500);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 300, 1600, false, &sid), 0);
	CHECK_EQ_INT(timeline_get(tl, 1)->call_read, 0);
	CHECK_EQ_INT(timeline_get(tl, 1)->call_write, 0);
	CHECK_EQ_INT(timeline_get(tl, 1)->call_nosplit, TL_NOSPLIT_COUNT);
	CHECK_EQ_INT(timeline_get(tl, 0)->call_nosplit, TL_SPLIT); /* not counted: no calls to tell */
	/* a recv(MSG_PEEK) counted as a read (the flags are not recorded): once
	 * a read older than the clocks' difference counted past the bytes that
	 * had arrived, the counts are off: nothing joined */
	c = mkconn(5, 1);
	c.app = APP_H2;
	c.calls_pos.counted = true;
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 0, 100, 900, false, &sid), 0);
	CHECK_EQ_INT(h2ev_at(tl, 1000, &c, H2_HEADERS, 0, 1, 1, "/", 0, 0, true, 100), -1);
	timeline_call_avail(tl, &c, 50, 1100);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 1, 1100, false, &sid), 0); /* the peek */
	timeline_call_avail(tl, &c, 50, 1101);
	CHECK(!c.calls_pos.lost); /* within the clocks' difference: not yet known */
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 50, 1101, false, &sid), 0); /* 2..51 */
	timeline_call_avail(tl, &c, 50, 3000);
	CHECK(c.calls_pos.lost);
	CHECK_EQ_INT(h2ev_at(tl, 3500, &c, H2_HEADERS, 1, 1, 1, NULL, 200, 0, false, 60), 2500);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 100, 3600, false, &sid), 0);
	CHECK_EQ_INT(timeline_get(tl, 2)->call_read, 0);
	CHECK_EQ_INT(timeline_get(tl, 2)->call_nosplit, TL_NOSPLIT_COUNT);
	/* the same reads without the peek: none counted past what arrived */
	c = mkconn(6, 1);
	c.app = APP_H2;
	c.calls_pos.counted = true;
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 50, 1101, false, &sid), 0);
	timeline_call_avail(tl, &c, 50, 3000);
	CHECK(!c.calls_pos.lost);
	/* HTTP/1.x exchanges are not joined by position (timeline_call_read) */
	c = mkconn(4, 1);
	c.calls_pos.counted = true;
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 0, 40, 900, false, &sid), 0);
	exchange(tl, &c, 1, 1000, 500, 100);
	CHECK_EQ_INT(timeline_call_bytes(tl, &c, 1, 300, 1600, false, &sid), 0);
	CHECK_EQ_INT(timeline_get(tl, 3)->call_read, 0);
	timeline_close(tl);
}

/* The datagram q->pkts[dir] + 1 of len bytes is being handled. */
static void dgram(struct timeline *tl, struct quicflow *q, int dir, uint32_t len)
{
	q->pkts[dir]++;
	timeline_dgram(tl, q, dir, len);
}

/* HTTP/3 (issue 14): a connected UDP socket's reads return its datagrams in
 * the order they came, so the k-th read returned the k-th datagram (the
 * sizes must agree): the read of the datagram that carried a stream's
 * first response HEADERS splits its wait. */
static void test_h3_call_dgram(void)
{
	struct timeline *tl = timeline_open();
	struct quicflow q;
	memset(&q, 0, sizeof(q));
	q.id = 1, q.fetch_id = 2, q.ip_ver = 4, q.sport = 443, q.close_dir = -1;
	q.ts_first = 100, q.ts_hs_done = 700;
	uint32_t sid = 99;
	/* the Initial's sendmsg() before the server's first datagram: counted */
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 0, 1200, 100, false, &sid), 0);
	dgram(tl, &q, 0, 1200);
	CHECK(q.calls_pos.counted);
	dgram(tl, &q, 1, 1200);
	dgram(tl, &q, 1, 1100);
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 1, 1200, 610, false, &sid), 0);
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 1, 1100, 620, false, &sid), 0);
	/* two requests, each its own datagram */
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 0, 80, 1000, false, &sid), 0);
	dgram(tl, &q, 0, 80);
	CHECK_EQ_INT(h3ev(tl, 1001, &q, H3_EV_HEADERS, H3_HEADERS, 0, 0, 1, "/", 0, 0, true, NULL),
		     -1);
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 0, 60, 1010, false, &sid), 0);
	dgram(tl, &q, 0, 60);
	CHECK_EQ_INT(h3ev(tl, 1011, &q, H3_EV_HEADERS, H3_HEADERS, 0, 4, 2, "/a", 0, 0, true, NULL),
		     -1);
	const struct tl_exch *x0 = timeline_get(tl, 0), *x4 = timeline_get(tl, 1);
	CHECK_EQ_INT(x0->call_write, 1000);
	CHECK_EQ_INT(x4->call_write, 1010);
	/* stream 4 answers first: datagram 3, read 20 us later */
	dgram(tl, &q, 1, 300);
	CHECK_EQ_INT(h3ev(tl, 1500, &q, H3_EV_HEADERS, H3_HEADERS, 1, 4, 2, NULL, 200, 0, false,
			  NULL), 1500 - 1011);
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 1, 300, 1520, false, &sid), 1500);
	CHECK_EQ_INT(sid, 4);
	CHECK_EQ_INT(x4->call_read, 1520);
	CHECK_EQ_INT(x0->call_read, 0);
	/* stream 0's datagram: its read seen 2 us before the packet (the clocks) */
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 1, 500, 1598, false, &sid), 0);
	dgram(tl, &q, 1, 500);
	CHECK_EQ_INT(h3ev(tl, 1600, &q, H3_EV_HEADERS, H3_HEADERS, 1, 0, 1, NULL, 200, 0, false,
			  NULL), 1600 - 1001);
	CHECK_EQ_INT(x0->call_read, 1600);
	CHECK_EQ_INT(x0->call_nosplit, TL_SPLIT);
	/* a read of two datagrams at once (GRO): 2400 B is not datagram 5's size */
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 0, 70, 1700, false, &sid), 0);
	dgram(tl, &q, 0, 70);
	CHECK_EQ_INT(h3ev(tl, 1701, &q, H3_EV_HEADERS, H3_HEADERS, 0, 8, 3, "/b", 0, 0, true, NULL),
		     -1);
	dgram(tl, &q, 1, 1200);
	dgram(tl, &q, 1, 1200);
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 1, 2400, 1800, false, &sid), 0);
	CHECK(q.calls_pos.lost);
	dgram(tl, &q, 1, 400);
	CHECK_EQ_INT(h3ev(tl, 1900, &q, H3_EV_HEADERS, H3_HEADERS, 1, 8, 3, NULL, 200, 0, false,
			  NULL), 1900 - 1701);
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 1, 400, 1910, false, &sid), 0);
	const struct tl_exch *x8 = timeline_get(tl, 2);
	CHECK_EQ_INT(x8->call_read, 0);
	CHECK_EQ_INT(x8->call_nosplit, TL_NOSPLIT_SIZE);
	CHECK_EQ_INT(x4->call_nosplit, TL_SPLIT); /* joined before: kept */
	timeline_close(tl);

	/* the socket's first call after the server's first datagram (--pid
	 * attached late): not counted, nothing joined */
	tl = timeline_open();
	memset(&q, 0, sizeof(q));
	q.id = 2, q.close_dir = -1;
	dgram(tl, &q, 0, 1200);
	dgram(tl, &q, 1, 1200);
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 1, 1200, 610, false, &sid), 0);
	CHECK(!q.calls_pos.counted);
	CHECK_EQ_INT(h3ev(tl, 1001, &q, H3_EV_HEADERS, H3_HEADERS, 0, 0, 1, "/", 0, 0, true, NULL),
		     -1);
	dgram(tl, &q, 1, 300);
	CHECK_EQ_INT(h3ev(tl, 1500, &q, H3_EV_HEADERS, H3_HEADERS, 1, 0, 1, NULL, 200, 0, false,
			  NULL), 499);
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 1, 300, 1520, false, &sid), 0);
	CHECK_EQ_INT(timeline_get(tl, 0)->call_read, 0);
	CHECK_EQ_INT(timeline_get(tl, 0)->call_nosplit, TL_SPLIT);
	/* recvmmsg(): several datagrams, their sizes not seen: said, not joined */
	memset(&q, 0, sizeof(q));
	q.id = 3, q.close_dir = -1;
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 0, 1200, 100, false, &sid), 0);
	dgram(tl, &q, 0, 1200);
	CHECK_EQ_INT(h3ev(tl, 1001, &q, H3_EV_HEADERS, H3_HEADERS, 0, 0, 1, "/", 0, 0, true, NULL),
		     -1);
	dgram(tl, &q, 1, 1200);
	CHECK_EQ_INT(timeline_call_dgram(tl, &q, 1, 1, 610, true, &sid), 0);
	dgram(tl, &q, 1, 300);
	CHECK_EQ_INT(h3ev(tl, 1500, &q, H3_EV_HEADERS, H3_HEADERS, 1, 0, 1, NULL, 200, 0, false,
			  NULL), 499);
	CHECK_EQ_INT(timeline_get(tl, 1)->call_read, 0);
	CHECK_EQ_INT(timeline_get(tl, 1)->call_nosplit, TL_NOSPLIT_MMSG);
	CHECK_EQ_INT(strcmp(timeline_nosplit_why(TL_NOSPLIT_SIZE), "") != 0, 1);
	timeline_close(tl);
}

/* Issue 15: many connections one after the other, each with one exchange
 * and a server name, then closed.  The exchanges past the first chunks wait
 * in a file once closed and read back whole; each connection's server name
 * is its own although the name slots of closed connections are reused. */
static void test_many_closed(void)
{
	enum { N = 6000 };
	struct timeline *tl = timeline_open();
	static struct tls_client_hello ch;
	for (int i = 0; i < N; i++) {
		struct conn c = mkconn((uint32_t)i + 1, 0);
		c.tls = true;
		memset(&ch, 0, sizeof(ch));
		ch.has_sni = true;
		ch.sni_len = (uint16_t)snprintf(ch.sni, sizeof(ch.sni), "n%d.test", i + 1);
		struct tls_ev hello = { .kind = TLS_EV_CLIENT_HELLO, .dir = 0, .ch = &ch };
		timeline_tls(tl, 100 + i, &c, &hello);
		struct tls_ev up = { .kind = TLS_EV_APPDATA, .dir = 0, .rec_len = 10 };
		struct tls_ev down = { .kind = TLS_EV_APPDATA, .dir = 1, .rec_len = 7 };
		timeline_tls(tl, 200 + i, &c, &up);
		timeline_tls(tl, 300 + i, &c, &down);
		c.ts_fin = c.ts_last = 400 + i;
		c.first_fin = 0;
		timeline_conn_done(tl, &c);
	}
	CHECK_EQ_INT(timeline_count(tl), N);
	int ok = 0;
	for (size_t i = 0; i < timeline_count(tl); i++) {
		const struct tl_exch *x = timeline_get(tl, i);
		char want[TL_STR];
		int n = snprintf(want, sizeof(want), "n%zu.test", i + 1);
		ok += x->conn == i + 1 && x->sni_len == n && !memcmp(x->sni, want, (size_t)n) &&
		      x->up == 10 && x->down == 7 && x->resp_start == (int64_t)(300 + i) &&
		      x->closed == (int64_t)(400 + i) && x->close_how == 1 && x->retired;
	}
	CHECK_EQ_INT(ok, N);
	/* read again, backwards: the pages come back from the file */
	ok = 0;
	for (size_t i = timeline_count(tl); i-- > 0;)
		ok += timeline_get(tl, i)->conn == i + 1;
	CHECK_EQ_INT(ok, N);
	timeline_close(tl);
}

/* timeline_stream: what the hand-over saw */
struct seen {
	unsigned n;
	uint32_t conn[64], exchange[64];
	int64_t closed[64];
	uint64_t seq[64];
};

static void on_done(void *ctx, const struct tl_exch *x)
{
	struct seen *sn = ctx;
	if (sn->n < 64) {
		sn->conn[sn->n] = x->conn;
		sn->exchange[sn->n] = x->exchange;
		sn->closed[sn->n] = x->closed;
		sn->seq[sn->n] = x->seq;
	}
	sn->n++;
}

/* Streaming past the kept ones (lowered to 4 for the test): every exchange
 * is handed over once, with its close times, when its connection leaves;
 * those of a connection still open at the end; the slots past the kept
 * ones are used again; a connection's events after it left are not taken. */
static void test_stream(void)
{
	setenv(TL_KEEP_ENV, "4", 1);
	struct timeline *tl = timeline_open();
	unsetenv(TL_KEEP_ENV);
	struct seen sn;
	memset(&sn, 0, sizeof(sn));
	timeline_stream(tl, on_done, &sn, true);
	/* 10 connections one after another, 3 exchanges each */
	for (uint32_t i = 1; i <= 10; i++) {
		struct conn c = mkconn(i, i);
		for (uint32_t k = 1; k <= 3; k++)
			exchange(tl, &c, k, 1000 * i + 100 * k, 10, 5);
		CHECK_EQ_INT(sn.n, 3 * (i - 1)); /* nothing before it leaves */
		c.ts_fin = 1000 * i + 900, c.ts_last = 1000 * i + 950, c.first_fin = 0;
		timeline_conn_done(tl, &c);
		CHECK_EQ_INT(sn.n, 3 * i);
		/* a late request of the connection that left: not taken */
		c.retired = true;
		CHECK_EQ_INT(ev(tl, 1000 * i + 990, &c, HTTP_EV_HEAD, 0, 4, 0, 0), -1);
		CHECK_EQ_INT(sn.n, 3 * i);
	}
	int ok = 0;
	for (unsigned j = 0; j < 30; j++)
		ok += sn.conn[j] == j / 3 + 1 && sn.exchange[j] == j % 3 + 1 &&
		      sn.closed[j] == (int64_t)(1000 * (j / 3 + 1) + 950) && sn.seq[j] == j;
	CHECK_EQ_INT(ok, 30);
	CHECK_EQ_INT(timeline_count(tl), 4);   /* kept for the summary and HAR */
	CHECK_EQ_INT(timeline_dropped(tl), 26); /* not kept, handed over all the same */
	CHECK_EQ_INT(timeline_lost(tl), 0);
	CHECK_EQ_INT(timeline_get(tl, 3)->conn, 2);
	CHECK_EQ_INT(timeline_get(tl, 3)->next_on_conn, 0); /* its next is forgotten */
	/* two open at once; one never leaves: handed over at the end */
	struct conn a = mkconn(11, 11), b = mkconn(12, 12);
	exchange(tl, &a, 1, 20000, 10, 5);
	exchange(tl, &b, 1, 20001, 10, 5);
	exchange(tl, &a, 2, 20100, 10, 5);
	a.ts_last = 20200;
	timeline_conn_done(tl, &a);
	CHECK_EQ_INT(sn.n, 32);
	timeline_stream_end(tl);
	CHECK_EQ_INT(sn.n, 33);
	CHECK_EQ_INT(sn.conn[32], 12);
	timeline_stream_end(tl); /* once each */
	CHECK_EQ_INT(sn.n, 33);
	timeline_close(tl);
}

static void count_done(void *ctx, const struct tl_exch *x)
{
	(void)x;
	(*(unsigned *)ctx)++;
}

/* Streaming with nothing kept (JSON without HAR): more connections one after
 * another than TL_MAX_OPEN, each exchange handed over, none lost: the slots
 * are used again. */
static void test_stream_none_kept(void)
{
	enum { N = TL_MAX_OPEN + 1000 };
	struct timeline *tl = timeline_open();
	unsigned n = 0;
	timeline_stream(tl, count_done, &n, false);
	for (uint32_t i = 1; i <= N; i++) {
		struct conn c = mkconn(i, i);
		ev(tl, 10 * i, &c, HTTP_EV_HEAD, 0, 1, 0, 0);
		c.ts_last = 10 * i + 5;
		timeline_conn_done(tl, &c);
	}
	CHECK_EQ_INT(n, N);
	CHECK_EQ_INT(timeline_count(tl), 0);
	CHECK_EQ_INT(timeline_lost(tl), 0);
	timeline_close(tl);
}

int main(void)
{
	test_h3_call_dgram();
	test_h2_call_pos();
	test_stream();
	test_stream_none_kept();
	test_many_closed();
	test_h3_streams();
	test_many_tls();
	test_h2_streams();
	test_phases();
	test_many_open();
	test_cap();
	test_cap_tls();
	test_pipelined();
	test_tls();
	return t_done("test_timeline");
}
