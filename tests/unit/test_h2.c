/* test_h2.c - the HTTP/2 frame decoder: a conversation split at every byte, streams as exchanges,
 * protocol errors, hostile HPACK, gaps, and a real h2c capture checked against tshark. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "h2.h"
#include "pkt.h"
#include "t.h"

/* ------------------------------------------------------------------ */
/* Building frames                                                     */
/* ------------------------------------------------------------------ */

struct buf {
	uint8_t b[65536];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (n > sizeof b->b - b->n)
		abort();
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put_hex(struct buf *b, const char *s)
{
	while (s[0] && s[1]) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			abort();
		uint8_t c = (uint8_t)v;
		put(b, &c, 1);
		s += 2;
	}
}

static void frame(struct buf *b, uint8_t type, uint8_t flags, uint32_t sid, const void *pl, size_t n)
{
	uint8_t h[9] = { (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n, type, flags,
			 (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid };
	put(b, h, 9);
	if (n)
		put(b, pl, n);
}

static void frame_hex(struct buf *b, uint8_t type, uint8_t flags, uint32_t sid, const char *hex)
{
	struct buf *p = calloc(1, sizeof *p);
	put_hex(p, hex);
	frame(b, type, flags, sid, p->b, p->n);
	free(p);
}

/* ------------------------------------------------------------------ */
/* Events as text (compared across splits)                             */
/* ------------------------------------------------------------------ */

struct log {
	char s[65536];
	size_t n;
};

static void logf_(struct log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void logf_(struct log *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(l->s + l->n, sizeof l->s - l->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		l->n += (size_t)k < sizeof l->s - l->n ? (size_t)k : sizeof l->s - l->n - 1;
}

#define STR(s) (int)(s).len, (s).b

static void log_events(struct log *l, const struct h2_events *ev)
{
	for (unsigned i = 0; i < ev->n; i++) {
		const struct h2_ev *e = &ev->ev[i];
		logf_(l, "%d dir%u%s ", (int)e->kind, e->dir, e->after_goaway ? " goaway" : "");
		switch (e->kind) {
		case H2_EV_FRAME:
			logf_(l, "%s f%02x s%u len%u x%u", h2_frame_name(e->type) ? h2_frame_name(e->type) : "?",
			      e->flags, e->stream_id, e->length, e->exchange);
			if (e->type == H2_DATA)
				logf_(l, " data%u %llu/%lld%s", e->data_len, (unsigned long long)e->body_done,
				      e->body_total == UINT64_MAX ? -1ll : (long long)e->body_total,
				      e->end_stream ? " END" : "");
			if (e->head)
				logf_(l, " head%d [%.*s %.*s %.*s %.*s %.*s] n%u", (int)e->head_kind,
				      STR(e->head->method), STR(e->head->path), STR(e->head->authority),
				      STR(e->head->status), STR(e->head->content_type), e->head->n_fields);
			if (e->promised_id)
				logf_(l, " promised%u", e->promised_id);
			if (e->type == H2_SETTINGS)
				for (unsigned k = 0; k < e->n_settings; k++)
					logf_(l, " %s=%u", h2_setting_name(e->settings[k].id),
					      e->settings[k].value);
			if (e->type == H2_WINDOW_UPDATE)
				logf_(l, " +%u", e->window_inc);
			if (e->type == H2_RST_STREAM || e->type == H2_GOAWAY)
				logf_(l, " %s", h2_error_name(e->error_code));
			if (e->type == H2_GOAWAY)
				logf_(l, " last%u debug[%.*s]", e->last_stream_id, e->debug_len,
				      (const char *)e->debug);
			if (e->dep_stream || e->weight)
				logf_(l, " dep%u w%u%s", e->dep_stream, e->weight, e->exclusive ? " excl" : "");
			break;
		case H2_EV_STREAM_DONE:
			if (e->stream)
				logf_(l, "done s%u x%u %.*s %.*s %u %.*s data%llu/%llu%s%s", e->stream->id,
				      e->stream->exchange, STR(e->stream->method), STR(e->stream->path),
				      e->stream->status, STR(e->stream->content_type),
				      (unsigned long long)e->stream->data[0],
				      (unsigned long long)e->stream->data[1],
				      e->stream->reset ? " reset" : "", e->stream->pushed ? " pushed" : "");
			break;
		case H2_EV_GAP:
			logf_(l, "gap %llu", (unsigned long long)e->bytes);
			break;
		default:
			break;
		}
		if (e->status != FT_OK)
			logf_(l, " status%d %s", (int)e->status, e->why ? e->why : "");
		logf_(l, "\n");
	}
	if (ev->n_dropped)
		logf_(l, "dropped %u\n", ev->n_dropped);
}

/* ------------------------------------------------------------------ */
/* A conversation, fed whole and cut                                   */
/* ------------------------------------------------------------------ */

#define MAX_SEGS 8
struct conv {
	int n;
	int dir[MAX_SEGS];
	struct buf seg[MAX_SEGS];
};

static struct h2_events ev; /* large: static */

/* Feed the conversation: segment `cut_seg` is cut at `cut` (or, with cut_seg
 * -1, every segment one byte at a time).  Returns the connection (freed by
 * the caller) and the log. */
static struct h2_conn *run(const struct conv *cv, struct hpack_budget *bud, int cut_seg, size_t cut,
			   struct log *l)
{
	struct h2_conn *c = h2_new(bud);
	l->n = 0;
	l->s[0] = '\0';
	for (int i = 0; i < cv->n; i++) {
		const struct buf *b = &cv->seg[i];
		size_t pieces[3], np = 0;
		if (cut_seg == -1) {
			for (size_t k = 0; k < b->n; k++) {
				h2_events_clear(&ev);
				CHECK_EQ_INT(h2_feed(c, cv->dir[i], b->b + k, 1, &ev), 1);
				log_events(l, &ev);
			}
			continue;
		}
		if (i == cut_seg) {
			pieces[np++] = cut;
			pieces[np++] = b->n - cut;
		} else {
			pieces[np++] = b->n;
		}
		size_t off = 0;
		for (size_t k = 0; k < np; k++) {
			h2_events_clear(&ev);
			size_t got = h2_feed(c, cv->dir[i], b->b + off, pieces[k], &ev);
			if (got != pieces[k])
				CHECK_EQ_INT(got, pieces[k]);
			log_events(l, &ev);
			off += pieces[k];
		}
	}
	return c;
}

static struct conv cv;
static struct log ref, got;

static void build_conversation(void)
{
	struct buf *b;
	uint8_t big[3000];
	memset(&cv, 0, sizeof cv);
	memset(big, 'c', sizeof big);

	/* 1. client: preface, SETTINGS (HEADER_TABLE_SIZE 8192, ENABLE_PUSH 1,
	 *    INITIAL_WINDOW_SIZE 65535), WINDOW_UPDATE, GET / on stream 1 (RFC 7541 C.3.1) */
	cv.dir[cv.n] = 0;
	b = &cv.seg[cv.n++];
	put(b, H2_PREFACE, H2_PREFACE_LEN);
	frame_hex(b, H2_SETTINGS, 0, 0, "000100002000" "000200000001" "00040000ffff");
	frame_hex(b, H2_WINDOW_UPDATE, 0, 0, "00ff0000");
	frame_hex(b, H2_HEADERS, H2_F_END_STREAM | H2_F_END_HEADERS, 1,
		  "828684410f7777772e6578616d706c652e636f6d");

	/* 2. server: SETTINGS (MAX_CONCURRENT_STREAMS 100), ACK */
	cv.dir[cv.n] = 1;
	b = &cv.seg[cv.n++];
	frame_hex(b, H2_SETTINGS, 0, 0, "000300000064");
	frame(b, H2_SETTINGS, H2_F_ACK, 0, NULL, 0);

	/* 3. client: ACK; stream 3: HEADERS (PADDED, PRIORITY, END_STREAM) + CONTINUATION
	 *    with C.3.2's block (index 62 = the authority stream 1 added) cut in two */
	cv.dir[cv.n] = 0;
	b = &cv.seg[cv.n++];
	frame(b, H2_SETTINGS, H2_F_ACK, 0, NULL, 0);
	frame_hex(b, H2_HEADERS, H2_F_END_STREAM | H2_F_PADDED | H2_F_PRIORITY, 3,
		  "03" "80000001" "0f" "828684be58" "000000");
	frame_hex(b, H2_CONTINUATION, H2_F_END_HEADERS, 3, "086e6f2d6361636865");

	/* 4. server: PUSH_PROMISE on 1 for 2 (a table size update to 8192 first: the
	 *    client allowed it), the response on 1 (200 text/css 3000) in two DATA frames
	 *    (the first padded), the pushed stream's response and body, 404 on stream 3,
	 *    a PING, a frame of an unknown type */
	cv.dir[cv.n] = 1;
	b = &cv.seg[cv.n++];
	frame_hex(b, H2_PUSH_PROMISE, H2_F_END_HEADERS | H2_F_PADDED, 1,
		  "02" "00000002" "3fe13f" "8287" "440a2f7374796c652e637373"
		  "410f7777772e6578616d706c652e636f6d" "0000");
	frame_hex(b, H2_HEADERS, H2_F_END_HEADERS, 1, "88" "0f1008746578742f637373" "0f0d0433303030");
	{
		uint8_t p[1 + 1000 + 10];
		memset(p, 0, sizeof p);
		p[0] = 10;
		memset(p + 1, 'c', 1000);
		frame(b, H2_DATA, H2_F_PADDED, 1, p, sizeof p);
	}
	frame(b, H2_DATA, H2_F_END_STREAM, 1, big, 2000);
	frame_hex(b, H2_HEADERS, H2_F_END_HEADERS, 2, "88" "0f1008746578742f637373");
	frame(b, H2_DATA, H2_F_END_STREAM, 2, "body!", 5);
	frame_hex(b, H2_HEADERS, H2_F_END_HEADERS, 3, "8d");
	frame_hex(b, H2_PING, 0, 0, "0102030405060708");
	frame_hex(b, 0xfa, 0x01, 7, "deadbeef");

	/* 5. client: RST_STREAM 3 CANCEL, PING ACK, PRIORITY for stream 5 */
	cv.dir[cv.n] = 0;
	b = &cv.seg[cv.n++];
	frame_hex(b, H2_RST_STREAM, 0, 3, "00000008");
	frame_hex(b, H2_PING, H2_F_ACK, 0, "0102030405060708");
	frame_hex(b, H2_PRIORITY, 0, 5, "8000000310");

	/* 6. server: GOAWAY last 3 NO_ERROR "bye", then a late WINDOW_UPDATE */
	cv.dir[cv.n] = 1;
	b = &cv.seg[cv.n++];
	frame_hex(b, H2_GOAWAY, 0, 0, "00000003" "00000000" "627965");
	frame_hex(b, H2_WINDOW_UPDATE, 0, 0, "00000100");
}

static bool has(const struct log *l, const char *s)
{
	if (strstr(l->s, s))
		return true;
	fprintf(stderr, "missing in the events: %s\n", s);
	return false;
}

static void conversation(void)
{
	struct hpack_budget bud;
	struct h2_conn *c;
	struct h2_info in;
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
	build_conversation();

	c = run(&cv, &bud, -2, 0, &ref); /* whole segments */
	if (getenv("H2_TEST_VERBOSE"))
		fputs(ref.s, stderr);
	CHECK(has(&ref, "1 dir0 \n"));
	CHECK(has(&ref, "2 dir0 SETTINGS f00 s0 len18 x0 HEADER_TABLE_SIZE=8192 ENABLE_PUSH=1 INITIAL_WINDOW_SIZE=65535\n"));
	CHECK(has(&ref, "2 dir0 WINDOW_UPDATE f00 s0 len4 x0 +16711680\n"));
	CHECK(has(&ref, "2 dir0 HEADERS f05 s1 len20 x1 head1 [GET / www.example.com  ] n4\n"));
	CHECK(has(&ref, "2 dir1 SETTINGS f00 s0 len6 x0 MAX_CONCURRENT_STREAMS=100\n"));
	CHECK(has(&ref, "2 dir0 HEADERS f29 s3 len14 x2 dep1 w15 excl\n"));
	CHECK(has(&ref, "2 dir0 CONTINUATION f04 s3 len9 x2 head1 [GET / www.example.com  ] n5\n"));
	CHECK(has(&ref, "2 dir1 PUSH_PROMISE f0c s1 len41 x3 head5 [GET /style.css www.example.com  ] n4 promised2\n"));
	CHECK(has(&ref, "2 dir1 HEADERS f04 s1 len19 x1 head3 [   200 text/css] n3\n"));
	CHECK(has(&ref, "2 dir1 DATA f08 s1 len1011 x1 data1000 1000/3000\n"));
	CHECK(has(&ref, "2 dir1 DATA f01 s1 len2000 x1 data2000 3000/3000 END\n"));
	CHECK(has(&ref, "3 dir1 done s1 x1 GET / 200 text/css data0/3000\n"));
	CHECK(has(&ref, "3 dir1 done s2 x3 GET /style.css 200 text/css data0/5 pushed\n"));
	CHECK(has(&ref, "2 dir1 HEADERS f04 s3 len1 x2 head3 [   404 ] n1\n"));
	CHECK(has(&ref, "2 dir1 ? f01 s7 len4 x0\n"));
	CHECK(has(&ref, "2 dir0 RST_STREAM f00 s3 len4 x2 CANCEL\n"));
	CHECK(has(&ref, "3 dir0 done s3 x2 GET / 404  data0/0 reset\n"));
	CHECK(has(&ref, "2 dir0 PRIORITY f00 s5 len5 x0 dep3 w16 excl\n"));
	CHECK(has(&ref, "2 dir1 goaway GOAWAY f00 s0 len11 x0 NO_ERROR last3 debug[bye]\n"));
	CHECK(has(&ref, "2 dir1 goaway WINDOW_UPDATE f00 s0 len4 x0 +256\n"));
	CHECK(strstr(ref.s, "status") == NULL); /* no event marked */
	h2_info(c, &in);
	CHECK(in.preface_seen);
	CHECK_EQ_INT(in.n_streams, 3);
	CHECK_EQ_INT(in.n_open, 0);
	CHECK_EQ_INT(in.n_overflow, 0);
	CHECK_EQ_INT(in.n_frames[0], 9);
	CHECK_EQ_INT(in.n_frames[1], 13);
	CHECK_EQ_INT(in.n_unknown[1], 1);
	CHECK(in.goaway[1] && !in.goaway[0]);
	CHECK(!in.stopped[0] && !in.stopped[1]);
	CHECK(in.hpack_err[0] == HPACK_OK && in.hpack_err[1] == HPACK_OK);
	h2_free(c);
	CHECK_EQ_INT(bud.used, 0);

	/* every segment cut at every byte, and all of it one byte at a time: the same events */
	int bad = 0;
	for (int s = 0; s < cv.n; s++) {
		for (size_t k = 0; k <= cv.seg[s].n; k++) {
			c = run(&cv, &bud, s, k, &got);
			if (strcmp(got.s, ref.s) != 0 && bad++ < 3)
				fprintf(stderr, "segment %d cut at %zu: events differ:\n%s", s, k, got.s);
			h2_free(c);
		}
	}
	c = run(&cv, &bud, -1, 0, &got);
	if (strcmp(got.s, ref.s) != 0 && bad++ < 3)
		fprintf(stderr, "one byte at a time: events differ:\n%s", got.s);
	h2_free(c);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(bud.used, 0);
}

/* ------------------------------------------------------------------ */
/* Protocol errors and hostile input                                   */
/* ------------------------------------------------------------------ */

/* Feed one direction's bytes in one piece; the log of what came out. */
static struct h2_conn *feed1(struct hpack_budget *bud, struct h2_conn *c, int dir, const struct buf *b,
			     struct log *l)
{
	if (c == NULL)
		c = h2_new(bud);
	h2_events_clear(&ev);
	CHECK_EQ_INT(h2_feed(c, dir, b->b, b->n, &ev), b->n);
	l->n = 0;
	l->s[0] = '\0';
	log_events(l, &ev);
	return c;
}

static struct buf bb;

static void client_start(struct buf *b)
{
	b->n = 0;
	put(b, H2_PREFACE, H2_PREFACE_LEN);
	frame(b, H2_SETTINGS, 0, 0, NULL, 0);
}

static void errors(void)
{
	struct hpack_budget bud;
	struct h2_conn *c;
	struct h2_info in;
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);

	/* not a preface */
	bb.n = 0;
	put(&bb, "GET / HTTP/1.1\r\n\r\n", 18);
	c = feed1(&bud, NULL, 0, &bb, &got);
	CHECK(has(&got, "5 dir0  status4 no HTTP/2 connection preface\n"));
	h2_info(c, &in);
	CHECK(in.stopped[0] && !in.preface_seen);
	h2_free(c);

	/* the server's first frame is not SETTINGS */
	bb.n = 0;
	frame_hex(&bb, H2_PING, 0, 0, "0000000000000000");
	c = feed1(&bud, NULL, 1, &bb, &got);
	CHECK(has(&got, "first frame is not SETTINGS"));
	h2_free(c);

	/* a frame above SETTINGS_MAX_FRAME_SIZE (16384 by default) ... */
	client_start(&bb);
	{
		uint8_t h[9] = { 0x00, 0x50, 0x00, H2_DATA, 0, 0, 0, 0, 1 };
		put(&bb, h, 9);
	}
	c = feed1(&bud, NULL, 0, &bb, &got);
	CHECK(has(&got, "frame larger than SETTINGS_MAX_FRAME_SIZE"));
	h2_free(c);
	/* ... unless the receiver allowed it */
	bb.n = 0;
	frame_hex(&bb, H2_SETTINGS, 0, 0, "000500010000"); /* server: MAX_FRAME_SIZE 65536 */
	c = feed1(&bud, NULL, 1, &bb, &got);
	client_start(&bb);
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS, 1, "8286840100");
	{
		static uint8_t d[20480];
		frame(&bb, H2_DATA, H2_F_END_STREAM, 1, d, sizeof d);
	}
	c = feed1(&bud, c, 0, &bb, &got);
	CHECK(has(&got, "DATA f01 s1 len20480 x1 data20480 20480/-1 END\n"));
	h2_free(c);

	/* a header block interrupted by DATA */
	client_start(&bb);
	frame_hex(&bb, H2_HEADERS, 0, 1, "8286");
	frame_hex(&bb, H2_DATA, 0, 1, "00");
	c = feed1(&bud, NULL, 0, &bb, &got);
	CHECK(has(&got, "header block interrupted"));
	h2_info(c, &in);
	CHECK(in.stopped[0] && in.hpack_err[0] == HPACK_ERR_LOST);
	h2_free(c);

	/* CONTINUATION out of the blue; HEADERS on stream 0 */
	client_start(&bb);
	frame_hex(&bb, H2_CONTINUATION, H2_F_END_HEADERS, 1, "82");
	c = feed1(&bud, NULL, 0, &bb, &got);
	CHECK(has(&got, "CONTINUATION without a header block"));
	h2_free(c);
	client_start(&bb);
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS, 0, "82");
	c = feed1(&bud, NULL, 0, &bb, &got);
	CHECK(has(&got, "HEADERS on stream 0"));
	h2_free(c);

	/* lesser errors are marked and the decoder goes on */
	client_start(&bb);
	frame_hex(&bb, H2_PING, 0, 0, "0102");
	frame_hex(&bb, H2_SETTINGS, 0, 0, "0001000010");
	frame_hex(&bb, H2_DATA, 0, 0, "00");
	frame_hex(&bb, H2_SETTINGS, 0, 0, "000500000001"); /* MAX_FRAME_SIZE 1 */
	frame_hex(&bb, H2_GOAWAY, 0, 0, "0000");
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS | H2_F_PADDED, 1, "0582"); /* pad 5 > 1 */
	c = feed1(&bud, NULL, 0, &bb, &got);
	CHECK(has(&got, "PING f00 s0 len2 x0 status3 PING length not 8\n"));
	CHECK(has(&got, "SETTINGS length not a multiple of 6"));
	CHECK(has(&got, "DATA on stream 0"));
	CHECK(has(&got, "bad SETTINGS_MAX_FRAME_SIZE"));
	CHECK(has(&got, "GOAWAY shorter than 8"));
	CHECK(strstr(got.s, " goaway ") == NULL); /* a bad GOAWAY does not count */
	CHECK(has(&got, "padding longer than the frame"));
	h2_free(c);

	/* a client does not push; the block still goes through its inflater */
	client_start(&bb);
	frame_hex(&bb, H2_PUSH_PROMISE, H2_F_END_HEADERS, 1, "00000002" "82");
	c = feed1(&bud, NULL, 0, &bb, &got);
	CHECK(has(&got, "PUSH_PROMISE f04 s1 len5 x0 head5 [GET    ] n1 promised2 status3 PUSH_PROMISE from the client\n"));
	h2_free(c);

	/* DATA padding longer than the frame: marked, counted as 0 bytes */
	client_start(&bb);
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS, 1, "828684");
	frame_hex(&bb, H2_DATA, H2_F_PADDED | H2_F_END_STREAM, 1, "0541");
	frame_hex(&bb, H2_DATA, H2_F_PADDED, 1, "");
	c = feed1(&bud, NULL, 0, &bb, &got);
	CHECK(has(&got, "DATA f09 s1 len2 x0 data0 0/-1 END status3 padding longer than the frame\n"));
	CHECK(has(&got, "DATA f08 s1 len0 x0 data0 0/-1 status3 DATA shorter than its Pad Length\n"));
	h2_free(c);
}

static void hostile_hpack(void)
{
	struct hpack_budget bud;
	struct h2_conn *c;
	struct h2_info in;
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);

	/* index 9999 in a request: the frame is marked, DATA still counted, the next
	 * HEADERS not decoded (the table is unknown: sticky) */
	client_start(&bb);
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS, 1, "ff904d");
	frame_hex(&bb, H2_DATA, H2_F_END_STREAM, 1, "616263");
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS | H2_F_END_STREAM, 3, "82");
	c = feed1(&bud, NULL, 0, &bb, &got);
	CHECK(has(&got, "HEADERS f04 s1 len3 x1 status3 HPACK compression error\n"));
	CHECK(has(&got, "DATA f01 s1 len3 x1 data3 3/-1 END\n"));
	CHECK(has(&got, "HEADERS f05 s3 len1 x2 status3 HPACK compression error\n"));
	h2_info(c, &in);
	CHECK(in.hpack_err[0] == HPACK_ERR_COMPRESSION && !in.stopped[0]);
	h2_free(c);

	/* a table size update to 4 GB */
	client_start(&bb);
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS, 1, "3fe1ffffff0f82");
	c = feed1(&bud, NULL, 0, &bb, &got);
	CHECK(has(&got, "HPACK compression error"));
	h2_free(c);

	/* a 1 MB literal across CONTINUATION frames: refused, bounded */
	client_start(&bb);
	frame_hex(&bb, H2_HEADERS, 0, 1, "0001787f818040"); /* value length 1 MiB */
	c = feed1(&bud, NULL, 0, &bb, &got);
	{
		static uint8_t chunk[16384];
		memset(chunk, 'a', sizeof chunk);
		for (int i = 0; i < 64; i++) {
			bb.n = 0;
			frame(&bb, H2_CONTINUATION, i == 63 ? H2_F_END_HEADERS : 0, 1, chunk, sizeof chunk);
			c = feed1(&bud, c, 0, &bb, &got);
			CHECK(bud.used < 2 * 1024 * 1024);
		}
	}
	CHECK(has(&got, "CONTINUATION f04 s1 len16384 x1 status3 HPACK compression error\n"));
	h2_free(c);

	/* a CONTINUATION flood of valid bytes (a huge block): cut at H2_BLOCK_MAX */
	client_start(&bb);
	frame_hex(&bb, H2_HEADERS, 0, 1, "82");
	c = feed1(&bud, NULL, 0, &bb, &got);
	{
		static uint8_t chunk[16384];
		memset(chunk, 0x82, sizeof chunk); /* :method GET, again and again */
		for (int i = 0; i < 20; i++) {
			bb.n = 0;
			frame(&bb, H2_CONTINUATION, i == 19 ? H2_F_END_HEADERS : 0, 1, chunk, sizeof chunk);
			c = feed1(&bud, c, 0, &bb, &got);
		}
	}
	CHECK(has(&got, "header block larger than 256 KiB"));
	h2_info(c, &in);
	CHECK(in.hpack_err[0] == HPACK_ERR_LOST);
	h2_free(c);
	CHECK_EQ_INT(bud.used, 0);
}

static void streams_and_gaps(void)
{
	struct hpack_budget bud;
	struct h2_conn *c;
	struct h2_info in;
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);

	/* 300 requests without answers: 256 followed, 44 counted */
	client_start(&bb);
	c = feed1(&bud, NULL, 0, &bb, &got);
	for (uint32_t i = 0; i < 300; i++) {
		bb.n = 0;
		frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS | H2_F_END_STREAM, 1 + 2 * i, "828684");
		c = feed1(&bud, c, 0, &bb, &got);
	}
	CHECK(has(&got, "stream table full"));
	h2_info(c, &in);
	CHECK_EQ_INT(in.n_open, H2_MAX_STREAMS);
	CHECK_EQ_INT(in.n_overflow, 300 - H2_MAX_STREAMS);
	CHECK(h2_stream_find(c, 1) != NULL && h2_stream_find(c, 599) == NULL);
	/* a GOAWAY from the server with last 5: streams 7.. end, never processed */
	bb.n = 0;
	frame_hex(&bb, H2_SETTINGS, 0, 0, "");
	frame_hex(&bb, H2_GOAWAY, 0, 0, "00000005" "0000000b" "");
	c = feed1(&bud, c, 1, &bb, &got);
	CHECK(has(&got, "ENHANCE_YOUR_CALM last5"));
	h2_info(c, &in);
	CHECK_EQ_INT(in.n_open, 3);
	CHECK(h2_stream_find(c, 5) != NULL && h2_stream_find(c, 7) == NULL);
	h2_free(c);

	/* a gap: that direction stops, the other goes on */
	client_start(&bb);
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS | H2_F_END_STREAM, 1, "828684");
	c = feed1(&bud, NULL, 0, &bb, &got);
	bb.n = 0;
	frame_hex(&bb, H2_SETTINGS, 0, 0, "");
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS, 1, "88");
	c = feed1(&bud, c, 1, &bb, &got);
	h2_events_clear(&ev);
	h2_gap(c, 1, 1400, &ev);
	got.n = 0;
	log_events(&got, &ev);
	CHECK(has(&got, "4 dir1 gap 1400\n5 dir1  status2 bytes lost"));
	bb.n = 0;
	frame_hex(&bb, H2_DATA, H2_F_END_STREAM, 1, "414243");
	c = feed1(&bud, c, 1, &bb, &got);
	CHECK_EQ_INT(got.n, 0); /* nothing more from that side */
	bb.n = 0;
	frame_hex(&bb, H2_RST_STREAM, 0, 1, "00000008");
	c = feed1(&bud, c, 0, &bb, &got);
	CHECK(has(&got, "done s1 x1 GET / 200  data0/0 reset"));
	h2_info(c, &in);
	CHECK(in.stopped[1] && !in.stopped[0] && in.hpack_err[1] == HPACK_ERR_LOST);
	h2_free(c);

	/* a smaller table: applied at the peer's ACK, so a block sent before the
	 * ACK (still with the old size) decodes, and one after must start with
	 * a size update */
	bb.n = 0;
	frame_hex(&bb, H2_SETTINGS, 0, 0, ""); /* server */
	c = feed1(&bud, NULL, 1, &bb, &got);
	client_start(&bb);
	frame_hex(&bb, H2_SETTINGS, 0, 0, "000100000000"); /* client: HEADER_TABLE_SIZE 0 */
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS | H2_F_END_STREAM, 1, "828684");
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS | H2_F_END_STREAM, 3, "828684");
	c = feed1(&bud, c, 0, &bb, &got);
	bb.n = 0;
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS, 1, "4803333032"); /* 302, indexed: table used */
	frame(&bb, H2_SETTINGS, H2_F_ACK, 0, NULL, 0);
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS, 3, "20" "88");  /* size update 0, 200 */
	c = feed1(&bud, c, 1, &bb, &got);
	CHECK(has(&got, "HEADERS f04 s1 len5 x1 head3 [   302 ] n1\n"));
	CHECK(has(&got, "HEADERS f04 s3 len2 x2 head3 [   200 ] n1\n"));
	CHECK(strstr(got.s, "status") == NULL);
	h2_free(c);
	CHECK_EQ_INT(bud.used, 0);
}

static void detection(void)
{
	const uint8_t *pre = (const uint8_t *)H2_PREFACE;
	struct hpack_budget bud;
	struct h2_conn *c;
	CHECK_EQ_INT(h2_sniff_preface(pre, 24), FT_OK);
	CHECK_EQ_INT(h2_sniff_preface(pre, 10), FT_NEED_MORE);
	CHECK_EQ_INT(h2_sniff_preface(pre, 0), FT_NEED_MORE);
	CHECK_EQ_INT(h2_sniff_preface((const uint8_t *)"PRI * HTTP/1.1", 14), FT_UNSUPPORTED);
	CHECK_EQ_INT(h2_sniff_preface((const uint8_t *)"GET / HTTP/1.1\r\n", 16), FT_UNSUPPORTED);
	CHECK_EQ_INT(h2_sniff_settings((const uint8_t *)"\x00\x00\x12\x04\x00\x00\x00\x00\x00", 9), FT_OK);
	CHECK_EQ_INT(h2_sniff_settings((const uint8_t *)"\x00\x00\x12\x04", 4), FT_NEED_MORE);
	CHECK_EQ_INT(h2_sniff_settings((const uint8_t *)"\x00\x00\x13\x04\x00\x00\x00\x00\x00", 9), FT_UNSUPPORTED);
	CHECK_EQ_INT(h2_sniff_settings((const uint8_t *)"\x00\x00\x00\x04\x01\x00\x00\x00\x00", 9), FT_UNSUPPORTED);
	CHECK_EQ_INT(h2_sniff_settings((const uint8_t *)"HTTP/1.1 ", 9), FT_UNSUPPORTED);
	CHECK(h2_upgrade_token((const uint8_t *)"h2c", 3));
	CHECK(h2_upgrade_token((const uint8_t *)"websocket, H2C ", 15));
	CHECK(!h2_upgrade_token((const uint8_t *)"h2", 2));
	CHECK(!h2_upgrade_token((const uint8_t *)"h2c-14", 6));
	CHECK_EQ_STR(h2_error_name(8), "CANCEL");
	CHECK(h2_error_name(99) == NULL && h2_frame_name(10) == NULL);
	CHECK_EQ_STR(h2_setting_name(1), "HEADER_TABLE_SIZE");

	/* h2c upgrade: stream 1 is the HTTP/1.1 request; HTTP2-Settings (curl's:
	 * MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW_SIZE 33554432, ENABLE_PUSH 0) */
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
	c = h2_new(&bud);
	h2_open_upgraded(c, "GET", 3, "/index.html", 11, "www.lab.test", 12, "AAMAAABkAAQCAAAAAAIAAAAA", 24);
	bb.n = 0;
	frame_hex(&bb, H2_SETTINGS, 0, 0, "000300000064");
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS, 1, "88" "0f0d0135");
	frame_hex(&bb, H2_DATA, H2_F_END_STREAM, 1, "68656c6c6f");
	c = feed1(&bud, c, 1, &bb, &got);
	CHECK(has(&got, "DATA f01 s1 len5 x1 data5 5/5 END\n"));
	CHECK(has(&got, "done s1 x1 GET /index.html 200  data0/5"));
	client_start(&bb); /* the client's preface comes after the 101 */
	c = feed1(&bud, c, 0, &bb, &got);
	CHECK(has(&got, "1 dir0 \n"));
	h2_free(c);
	/* HTTP2-Settings with HEADER_TABLE_SIZE 0 applies to the server's blocks at once */
	c = h2_new(&bud);
	h2_open_upgraded(c, "GET", 3, "/", 1, NULL, 0, "AAEAAAAA", 8);
	bb.n = 0;
	frame_hex(&bb, H2_SETTINGS, 0, 0, "");
	frame_hex(&bb, H2_HEADERS, H2_F_END_HEADERS, 1, "88");
	c = feed1(&bud, c, 1, &bb, &got);
	CHECK(has(&got, "HPACK compression error")); /* no size update first: refused */
	h2_free(c);
	CHECK_EQ_INT(bud.used, 0);
	printf("ok h2: a new connection holds %zu bytes, struct h2_events is %zu\n", (size_t)bud.peak,
	       sizeof(struct h2_events));
	/* a budget too small for a connection */
	hpack_budget_init(&bud, 1000);
	CHECK(h2_new(&bud) == NULL);
}

/* ------------------------------------------------------------------ */
/* A real exchange: captures/h2c-prior-knowledge.pcap                  */
/* ------------------------------------------------------------------ */

/*
 * Recorded by tests/record/h2c.sh: curl 7.88.1 --http2-prior-knowledge -Z to
 * nginx 1.22.1 (listen 127.0.0.1:18187 http2), two connections.  tshark says
 * (tshark -r captures/h2c-prior-knowledge.pcap -d tcp.port==18187,http2 -Y http2
 *  -T fields -e tcp.stream -e http2.streamid -e http2.type -e http2.headers.method
 *  -e http2.headers.path -e http2.headers.status -e http2.length):
 *   stream 0: 1 GET /style.css; 200; DATA 3000 (one frame, END_STREAM)
 *   stream 1: 1 GET /nope;      404; DATA 146
 * and the client's SETTINGS / WINDOW_UPDATE, the server's SETTINGS, WINDOW_UPDATE,
 * SETTINGS ACK, and the client's SETTINGS ACK.  The stream table: feeding each
 * TCP connection's payloads in capture order (loopback: no loss, no reordering).
 */
struct pcap_conn {
	uint16_t cport;      /* client port */
	struct h2_conn *c;
	struct log log;
};

struct pcap_run {
	struct hpack_budget bud;
	struct pcap_conn conn[4];
	int n;
	int n_bad;
};

static void on_packet(void *ctx, const uint8_t *data, uint32_t cap_len, uint32_t wire_len, int64_t ts)
{
	struct pcap_run *r = ctx;
	struct pkt p;
	int dir;
	uint16_t cport;
	struct pcap_conn *pc = NULL;
	if (pkt_decode(113, data, cap_len, wire_len, ts, &p) != FT_OK &&
	    pkt_decode(1, data, cap_len, wire_len, ts, &p) != FT_OK)
		return;
	if (p.proto != 6 || p.pl_cap == 0)
		return;
	if (p.pl_cap != p.pl_len)
		r->n_bad++;
	dir = p.dport == 18187 ? 0 : 1;
	cport = dir == 0 ? p.sport : p.dport;
	for (int i = 0; i < r->n; i++)
		if (r->conn[i].cport == cport)
			pc = &r->conn[i];
	if (!pc) {
		if (r->n == 4)
			return;
		pc = &r->conn[r->n++];
		pc->cport = cport;
		pc->c = h2_new(&r->bud);
	}
	h2_events_clear(&ev);
	h2_feed(pc->c, dir, p.pl, p.pl_cap, &ev);
	log_events(&pc->log, &ev);
}

static void real_capture(void)
{
	static struct pcap_run r;
	char err[CAP_ERRBUF_SIZE];
	struct cap *cp = cap_open_file("captures/h2c-prior-knowledge.pcap", err);
	CHECK(cp != NULL);
	if (!cp) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	/* the test runs from the checkout's top directory (tests/run-all.sh cds there) */
	hpack_budget_init(&r.bud, HPACK_BUDGET_DEFAULT);
	CHECK(cap_datalink(cp) == 1 || cap_datalink(cp) == 113 || cap_datalink(cp) == 0);
	CHECK_EQ_INT(cap_run(cp, 0, on_packet, &r, err), 0);
	cap_close(cp);
	CHECK_EQ_INT(r.n, 2);
	CHECK_EQ_INT(r.n_bad, 0);
	if (r.n != 2)
		return;
	if (getenv("H2_TEST_VERBOSE"))
		fprintf(stderr, "%s--\n%s", r.conn[0].log.s, r.conn[1].log.s);
	/* connection 1 (tcp.stream 0) */
	CHECK(has(&r.conn[0].log, "HEADERS f05 s1 len39 x1 head1 [GET /style.css 127.0.0.1:18187  ] n6\n"));
	CHECK(has(&r.conn[0].log, "HEADERS f04 s1 len103 x1 head3 [   200 text/css] n8\n"));
	CHECK(has(&r.conn[0].log, "DATA f01 s1 len3000 x1 data3000 3000/3000 END\n"));
	CHECK(has(&r.conn[0].log, "done s1 x1 GET /style.css 200 text/css data0/3000\n"));
	/* connection 2 (tcp.stream 1) */
	CHECK(has(&r.conn[1].log, "HEADERS f05 s1 len36 x1 head1 [GET /nope 127.0.0.1:18187  ] n6\n"));
	CHECK(has(&r.conn[1].log, "HEADERS f04 s1 len45 x1 head3 [   404 text/html] n5\n"));
	CHECK(has(&r.conn[1].log, "DATA f01 s1 len146 x1 data146 146/146 END\n"));
	CHECK(has(&r.conn[1].log, "done s1 x1 GET /nope 404 text/html data0/146\n"));
	for (int i = 0; i < r.n; i++) {
		struct h2_info in;
		CHECK(strstr(r.conn[i].log.s, "status") == NULL);
		h2_info(r.conn[i].c, &in);
		CHECK(in.preface_seen && !in.stopped[0] && !in.stopped[1]);
		CHECK_EQ_INT(in.n_frames[0], 4); /* SETTINGS, WINDOW_UPDATE, HEADERS, SETTINGS ACK */
		CHECK_EQ_INT(in.n_frames[1], 5); /* SETTINGS, WINDOW_UPDATE, SETTINGS ACK, HEADERS, DATA */
		h2_free(r.conn[i].c);
	}
	CHECK_EQ_INT(r.bud.used, 0);
}

/* Each event says where in the feed its frame ended (h2_ev.feed_end): what
 * the tracer turns into a TCP stream position (issue 14). */
static void feed_ends(void)
{
	struct hpack_budget bud;
	hpack_budget_init(&bud, HPACK_BUDGET_DEFAULT);
	static struct log l;
	client_start(&bb);                         /* 24 + 9 bytes */
	frame_hex(&bb, H2_PING, 0, 0, "0102030405060708"); /* ends at 50 */
	frame(&bb, H2_SETTINGS, 1, 0, NULL, 0);    /* an ACK: ends at 59 */
	struct h2_conn *c = feed1(&bud, NULL, 0, &bb, &l);
	unsigned n_frames = 0;
	for (unsigned i = 0; i < ev.n; i++) {
		if (ev.ev[i].kind == H2_EV_PREFACE)
			CHECK_EQ_INT(ev.ev[i].feed_end, 24);
		if (ev.ev[i].kind != H2_EV_FRAME)
			continue;
		n_frames++;
		const uint32_t want[] = { 33, 50, 59 };
		CHECK_EQ_INT(ev.ev[i].feed_end, want[n_frames - 1 < 3 ? n_frames - 1 : 2]);
	}
	CHECK_EQ_INT(n_frames, 3);
	h2_free(c);
}

int main(void)
{
	feed_ends();
	conversation();
	errors();
	hostile_hpack();
	streams_and_gaps();
	detection();
	real_capture();
	return t_done("test_h2");
}
