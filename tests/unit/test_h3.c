/* test_h3.c - HTTP/3 over stream data: stream types, frames split at every byte and out of order, QPACK blocking, hostile input, and the lab's Chromium-Caddy capture against Caddy's access log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h3.h"
#include "hdrtest.h"
#include "labquic.h"
#include "quicdec.h"
#include "quicframe.h"
#include "t.h"

/* ------------------------------------------------------------------ */
/* A connection of our own: every stream kind, frames split anywhere   */
/* ------------------------------------------------------------------ */

static struct hpack_budget budget;
static struct h3_events ev;

struct piece {
	uint64_t sid;
	int dir;
	bool fin;
	const char *hex;
};

#define B2_ENC "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468"

/* Server SETTINGS: QPACK capacity 220, 16 blocked streams, a GREASE setting;
 * a reserved frame type; later a GOAWAY.  Client SETTINGS, MAX_PUSH_ID.
 * The client's encoder stream inserts :authority and :path (RFC 9204 B.2);
 * its request refers to them (post-base) and to the static table; the
 * response is static and literal, with alt-svc, and a body of 5 bytes. */
static const struct piece conn1[] = {
	{ 3, 1, false, "00 04 07 01 40dc 07 10 21 00  21 03 616263" },
	{ 2, 0, false, "00 04 05 01 40dc 07 10  0d 01 05" },
	{ 6, 0, false, "02 " B2_ENC },
	{ 10, 0, false, "03 00" },
	{ 14, 0, false, "21 ffff00" },
	{ 0, 0, true, "01 06 0381 d1 d7 10 11" },
	{ 0, 1, true, "01 1a 0000 d9 f4 54 01 35 27 00 616c742d737663 09 68333d223a34343322"
		      " 00 05 68656c6c6f" },
};

static char sig[8192];
static size_t sig_len;
static struct h3_exchange got_x;
static int n_got_x;
static bool alt_svc_seen;

static void collect(void)
{
	for (unsigned i = 0; i < ev.n; i++) {
		const struct h3_ev *e = &ev.ev[i];
		if (sig_len + 64 < sizeof sig)
			sig_len += (size_t)snprintf(sig + sig_len, sizeof sig - sig_len,
						    "%d:%llu:%llu:%d:%d:%d%s;", (int)e->kind,
						    (unsigned long long)e->type,
						    (unsigned long long)e->stream_id, e->dir,
						    (int)e->status, (int)e->head_kind,
						    e->blocked ? "b" : "");
		if (e->kind == H3_EV_STREAM_DONE && e->xchg) {
			got_x = *e->xchg;
			n_got_x++;
		}
		if (e->head) {
			for (unsigned k = 0; k < e->head->n_other; k++)
				if (e->head->other[k].name_len == 7 &&
				    memcmp(e->head->other[k].name, "alt-svc", 7) == 0 &&
				    e->head->other[k].val_len == 9 &&
				    memcmp(e->head->other[k].val, "h3=\":443\"", 9) == 0)
					alt_svc_seen = true;
		}
	}
	CHECK_EQ_INT(ev.n_dropped, 0);
	h3_events_clear(&ev);
}

static void run_reset(void)
{
	sig_len = 0;
	sig[0] = 0;
	n_got_x = 0;
	alt_svc_seen = false;
	memset(&got_x, 0, sizeof got_x);
	h3_events_clear(&ev);
}

static void check_conn1(const char *what)
{
	CHECK_EQ_INT(n_got_x, 1);
	if (n_got_x != 1) {
		fprintf(stderr, "  (%s)\n", what);
		return;
	}
	CHECK(got_x.method.len == 3 && memcmp(got_x.method.b, "GET", 3) == 0);
	CHECK(got_x.path.len == 12 && memcmp(got_x.path.b, "/sample/path", 12) == 0);
	CHECK(got_x.authority.len == 15 && memcmp(got_x.authority.b, "www.example.com", 15) == 0);
	CHECK_EQ_INT(got_x.status, 200);
	CHECK(got_x.content_type.len == 24 &&
	      memcmp(got_x.content_type.b, "text/html; charset=utf-8", 24) == 0);
	CHECK_EQ_INT(got_x.resp_length, 5);
	CHECK_EQ_INT(got_x.data[1], 5);
	CHECK_EQ_INT(got_x.n_data[1], 1);
	CHECK(got_x.end[0] && got_x.end[1] && !got_x.reset);
	CHECK(alt_svc_seen);
}

/* mode 0: split at k (in order); 1: the part after k first; 2: byte by byte; 3: bytes backwards */
static void feed_conn(struct h3_conn *c, const struct piece *pc, size_t np, int mode, size_t k)
{
	for (size_t i = 0; i < np; i++) {
		uint8_t b[512];
		size_t n = unhex(pc[i].hex, b, sizeof b), kk = k < n ? k : n;
		switch (mode) {
		case 0:
			h3_stream_data(c, pc[i].sid, pc[i].dir, 0, b, kk, pc[i].fin && kk == n, &ev);
			collect();
			h3_stream_data(c, pc[i].sid, pc[i].dir, kk, b + kk, n - kk, pc[i].fin, &ev);
			collect();
			break;
		case 1:
			h3_stream_data(c, pc[i].sid, pc[i].dir, kk, b + kk, n - kk, pc[i].fin, &ev);
			collect();
			h3_stream_data(c, pc[i].sid, pc[i].dir, 0, b, kk, pc[i].fin && kk == n, &ev);
			collect();
			/* a retransmission of everything: trimmed, no new events */
			h3_stream_data(c, pc[i].sid, pc[i].dir, 0, b, n, pc[i].fin, &ev);
			CHECK_EQ_INT(ev.n, 0);
			collect();
			break;
		case 2:
			for (size_t j = 0; j < n; j++) {
				h3_stream_data(c, pc[i].sid, pc[i].dir, j, b + j, 1,
					       pc[i].fin && j + 1 == n, &ev);
				collect();
			}
			break;
		case 3:
			for (size_t j = n; j-- > 0;) {
				h3_stream_data(c, pc[i].sid, pc[i].dir, j, b + j, 1,
					       pc[i].fin && j + 1 == n, &ev);
				collect();
			}
			break;
		}
	}
}

static void test_split(void)
{
	static char base[8192];
	struct h3_conn *c = h3_new(&budget);
	struct h3_info info;
	size_t np = sizeof conn1 / sizeof conn1[0];

	CHECK(c != NULL);
	if (!c)
		return;
	printf("ok h3_new: %zu bytes counted\n", budget.used);
	CHECK(budget.used > 0 && budget.used < 256 * 1024);
	run_reset();
	feed_conn(c, conn1, np, 0, 0);
	check_conn1("whole");
	memcpy(base, sig, sig_len + 1);
	h3_info(c, &info);
	CHECK(info.settings[0] && info.settings[1]);
	CHECK_EQ_INT(info.qpack_capacity[1], 220);
	CHECK_EQ_INT(info.qpack_blocked[1], 16);
	CHECK_EQ_INT(info.qpack_inserts[0], 2);
	CHECK_EQ_INT(info.qpack_err[0], QPACK_OK);
	CHECK_EQ_INT(info.n_errors[0] + info.n_errors[1], 0);
	CHECK_EQ_INT(info.n_unknown[1], 1);          /* the reserved frame type */
	CHECK_EQ_INT(info.n_exchanges, 1);
	CHECK_EQ_INT(info.n_open, 5);                /* 4 unidirectional streams + the GREASE one */
	CHECK(strstr(base, "1:0:14:0:0:0;") != NULL); /* the GREASE stream named */
	h3_free(c);

	for (int mode = 0; mode < 4; mode++) {
		size_t kmax = mode >= 2 ? 1 : 64;
		for (size_t k = 0; k < kmax; k++) {
			c = h3_new(&budget);
			CHECK(c != NULL);
			if (!c)
				return;
			run_reset();
			feed_conn(c, conn1, np, mode, k);
			check_conn1("split");
			CHECK_EQ_STR(sig, base);
			h3_info(c, &info);
			CHECK_EQ_INT(info.n_gaps, 0);
			CHECK_EQ_INT(info.n_held_bytes, 0);
			h3_free(c);
		}
	}
	CHECK_EQ_INT(budget.used, 0);
}

/* The request arrives before the encoder stream's inserts: blocked, then decoded. */
static void test_blocked(void)
{
	static const size_t order[] = { 0, 1, 5, 2, 6 };
	struct h3_conn *c = h3_new(&budget);
	bool blocked = false, later = false;

	run_reset();
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		const struct piece *pc = &conn1[order[i]];
		uint8_t b[512];
		size_t n = unhex(pc->hex, b, sizeof b);
		h3_stream_data(c, pc->sid, pc->dir, 0, b, n, pc->fin, &ev);
		for (unsigned j = 0; j < ev.n; j++) {
			if (ev.ev[j].kind == H3_EV_FRAME && ev.ev[j].type == H3_HEADERS &&
			    ev.ev[j].dir == 0) {
				CHECK(ev.ev[j].blocked);
				CHECK(ev.ev[j].head == NULL);
				blocked = true;
				CHECK(h3_exchange_find(c, 0) != NULL && !h3_exchange_find(c, 0)->req_seen);
			}
			if (ev.ev[j].kind == H3_EV_HEADERS) {
				CHECK_EQ_INT(ev.ev[j].stream_id, 0);
				CHECK_EQ_INT(ev.ev[j].status, FT_OK);
				CHECK_EQ_INT(ev.ev[j].head_kind, H3_HEAD_REQUEST);
				CHECK(ev.ev[j].head != NULL &&
				      ev.ev[j].head->path.len == 12);
				later = true;
			}
		}
		collect();
	}
	CHECK(blocked);
	CHECK(later);
	check_conn1("blocked");
	h3_free(c);
}

static void feed_hex(struct h3_conn *c, uint64_t sid, int dir, uint64_t off, bool fin,
		     const char *hex)
{
	uint8_t b[512];
	size_t n = unhex(hex, b, sizeof b);
	h3_stream_data(c, sid, dir, off, b, n, fin, &ev);
}

static const struct h3_ev *find_ev(enum h3_ev_kind kind, uint64_t sid)
{
	for (unsigned j = 0; j < ev.n; j++)
		if (ev.ev[j].kind == kind && ev.ev[j].stream_id == sid)
			return &ev.ev[j];
	return NULL;
}

static void test_hostile(void)
{
	struct h3_conn *c;
	const struct h3_ev *e;
	struct h3_info info;
	uint8_t b[64];
	size_t n;

	/* Static index 99 in a request: a marked error; later blocks of that side too. */
	c = h3_new(&budget);
	h3_events_clear(&ev);
	feed_hex(c, 0, 0, 0, true, "01 04 0000 ff24");
	e = find_ev(H3_EV_FRAME, 0);
	CHECK(e && e->status == FT_MALFORMED && e->why && strstr(e->why, "QPACK"));
	h3_events_clear(&ev);
	feed_hex(c, 4, 0, 0, true, "01 03 0000 d1");
	e = find_ev(H3_EV_FRAME, 4);
	CHECK(e && e->status == FT_MALFORMED);
	h3_info(c, &info);
	CHECK_EQ_INT(info.qpack_err[0], QPACK_ERR_DECOMPRESSION);
	/* The server's side still decodes. */
	h3_events_clear(&ev);
	feed_hex(c, 4, 1, 0, true, "01 03 0000 d9");
	e = find_ev(H3_EV_FRAME, 4);
	CHECK(e && e->status == FT_OK && e->head && e->head->status_code == 200);
	h3_free(c);

	/* A 4 GB table capacity on the encoder stream (the server allowed 220). */
	c = h3_new(&budget);
	h3_events_clear(&ev);
	feed_hex(c, 3, 1, 0, false, "00 04 05 01 40dc 07 01");
	b[0] = 0x02;
	n = 1 + pint(b + 1, 0x20, 5, 4294967296ull);
	h3_stream_data(c, 2 + 4, 0, 0, b, n, false, &ev);
	e = find_ev(H3_EV_ERROR, 6);
	CHECK(e && e->status == FT_MALFORMED && e->why && strstr(e->why, "encoder stream"));
	h3_free(c);

	/* Blocked streams beyond SETTINGS_QPACK_BLOCKED_STREAMS (1). */
	c = h3_new(&budget);
	h3_events_clear(&ev);
	feed_hex(c, 3, 1, 0, false, "00 04 05 01 40dc 07 01");
	feed_hex(c, 0, 0, 0, true, "01 06 0381 d1 d7 10 11");
	e = find_ev(H3_EV_FRAME, 0);
	CHECK(e && e->blocked && e->status == FT_OK);
	feed_hex(c, 4, 0, 0, true, "01 06 0381 d1 d7 10 11");
	e = find_ev(H3_EV_FRAME, 4);
	CHECK(e && !e->blocked && e->status == FT_MALFORMED);
	h3_info(c, &info);
	CHECK_EQ_INT(info.qpack_err[0], QPACK_ERR_BLOCKED);
	h3_free(c);

	/* Frames where they do not belong, HTTP/2 types, a huge header block. */
	c = h3_new(&budget);
	h3_events_clear(&ev);
	feed_hex(c, 2, 0, 0, false, "00 00 02 6869");               /* DATA first on control */
	e = find_ev(H3_EV_FRAME, 2);
	CHECK(e && e->status == FT_MALFORMED);
	h3_events_clear(&ev);
	feed_hex(c, 0, 0, 0, false, "00 01 61");                    /* DATA before HEADERS */
	e = find_ev(H3_EV_FRAME, 0);
	CHECK(e && e->status == FT_MALFORMED);
	h3_events_clear(&ev);
	feed_hex(c, 0, 0, 3, false, "06 08 0102030405060708");      /* HTTP/2 PING */
	e = find_ev(H3_EV_FRAME, 0);
	CHECK(e && e->status == FT_MALFORMED && e->type == 6);
	h3_events_clear(&ev);
	feed_hex(c, 0, 0, 13, false, "01 c0000100 00000000 0000");  /* HEADERS of 2^32 bytes */
	CHECK_EQ_INT(ev.n, 0);
	{
		/* a whole HEADERS frame over H3_BLOCK_MAX: marked, not decoded; the stream goes on */
		static uint8_t big[H3_BLOCK_MAX + 16];
		size_t bn = 0;
		big[bn++] = 0x01;
		big[bn++] = 0x80 | (uint8_t)((H3_BLOCK_MAX + 1) >> 24);
		big[bn++] = (uint8_t)((H3_BLOCK_MAX + 1) >> 16);
		big[bn++] = (uint8_t)((H3_BLOCK_MAX + 1) >> 8);
		big[bn++] = (uint8_t)(H3_BLOCK_MAX + 1);
		bn += H3_BLOCK_MAX + 1;
		big[bn++] = 0x00, big[bn++] = 0x00;    /* an empty DATA frame after it */
		h3_events_clear(&ev);
		h3_stream_data(c, 16, 0, 0, big, bn, false, &ev);
		e = find_ev(H3_EV_FRAME, 16);
		CHECK(e && e->type == H3_HEADERS && e->status == FT_UNSUPPORTED && e->why &&
		      strstr(e->why, "larger"));
		CHECK(ev.n == 3 && ev.ev[2].type == H3_DATA && ev.ev[2].status == FT_OK);
	}
	{
		unsigned it = 0, k = 0;
		while (h3_exchange_next(c, &it))
			k++;
		CHECK_EQ_INT(k, 2);   /* request streams 0 and 16 (2 is the control stream) */
	}
	h3_events_clear(&ev);
	feed_hex(c, 8, 0, 0, false, "07 01 00");                    /* GOAWAY on a request stream */
	e = find_ev(H3_EV_FRAME, 8);
	CHECK(e && e->status == FT_MALFORMED);
	h3_events_clear(&ev);
	feed_hex(c, 12, 0, 0, true, "01 05 0000");                  /* ends inside a frame */
	e = find_ev(H3_EV_ERROR, 12);
	CHECK(e && e->status == FT_MALFORMED);
	h3_events_clear(&ev);
	feed_hex(c, 3, 0, 0, false, "00");                          /* a server stream id from the client */
	CHECK_EQ_INT(ev.n, 0);
	feed_hex(c, 1, 1, 0, false, "00 01 61");                    /* server-initiated bidirectional */
	e = find_ev(H3_EV_STREAM, 1);
	CHECK(e && e->status == FT_UNSUPPORTED);
	h3_info(c, &info);
	CHECK(info.n_errors[0] >= 5);
	h3_free(c);

	/* A second control stream, a push stream from the client. */
	c = h3_new(&budget);
	h3_events_clear(&ev);
	feed_hex(c, 2, 0, 0, false, "00 04 00");
	feed_hex(c, 6, 0, 0, false, "00 04 00");
	e = find_ev(H3_EV_STREAM, 6);
	CHECK(e && e->status == FT_MALFORMED && e->skind == H3_SK_OTHER);
	feed_hex(c, 10, 0, 0, false, "01 00");
	e = find_ev(H3_EV_STREAM, 10);
	CHECK(e && e->status == FT_MALFORMED);
	h3_free(c);

	/* Holes: four holding areas, then a gap. */
	c = h3_new(&budget);
	h3_events_clear(&ev);
	for (int i = 1; i <= 4; i++)
		feed_hex(c, 0, 0, (uint64_t)i * 100, false, "00");
	CHECK_EQ_INT(ev.n, 1);   /* the stream */
	h3_info(c, &info);
	CHECK_EQ_INT(info.n_held_bytes, 4);
	feed_hex(c, 0, 1, 50, false, "00");
	e = find_ev(H3_EV_GAP, 0);
	CHECK(e && e->dir == 1 && e->bytes == 50);
	h3_info(c, &info);
	CHECK_EQ_INT(info.n_gaps, 1);
	CHECK(h3_exchange_find(c, 0) && h3_exchange_find(c, 0)->gap[1]);
	/* ... larger than an area: a gap too */
	{
		static uint8_t big[H3_OOO_MAX + 1];
		h3_events_clear(&ev);
		h3_stream_data(c, 4, 0, 10, big, sizeof big, false, &ev);
		CHECK(find_ev(H3_EV_GAP, 4) != NULL);
	}
	h3_free(c);

	/* Reset: RESET_STREAM ends the exchange; late data is ignored. */
	c = h3_new(&budget);
	h3_events_clear(&ev);
	feed_hex(c, 0, 0, 0, false, "01 03 0000 d1");
	h3_stream_reset(c, 0, 1, 0x10c, true, &ev);     /* STOP_SENDING H3_REQUEST_CANCELLED */
	CHECK(h3_exchange_find(c, 0) && h3_exchange_find(c, 0)->stop_sending[1]);
	h3_stream_reset(c, 0, 0, 0x10c, false, &ev);
	e = find_ev(H3_EV_STREAM_DONE, 0);
	CHECK(e && e->xchg && e->xchg->reset && e->xchg->reset_code == 0x10c && e->xchg->reset_dir == 0);
	CHECK(e && e->xchg && e->xchg->method.len == 3);
	CHECK(h3_exchange_find(c, 0) == NULL);
	h3_events_clear(&ev);
	feed_hex(c, 0, 1, 0, true, "01 03 0000 d9");
	CHECK_EQ_INT(ev.n, 0);
	h3_info(c, &info);
	CHECK_EQ_INT(info.n_late, 1);
	CHECK_EQ_STR(h3_error_name(0x10c), "H3_REQUEST_CANCELLED");
	h3_free(c);

	/* More streams than the table: counted, never a crash. */
	c = h3_new(&budget);
	for (uint64_t i = 0; i < H3_MAX_STREAMS + 10; i++) {
		h3_events_clear(&ev);
		feed_hex(c, i * 4, 0, 0, false, "01 03 0000 d1");
	}
	h3_info(c, &info);
	CHECK_EQ_INT(info.n_overflow, 10);
	CHECK_EQ_INT(info.n_open, H3_MAX_STREAMS);
	h3_free(c);

	/* Many events in one call: counted when over. */
	c = h3_new(&budget);
	h3_events_clear(&ev);
	{
		uint8_t many[600];
		n = 0;
		many[n++] = 0x01, many[n++] = 0x03, many[n++] = 0, many[n++] = 0, many[n++] = 0xd1;
		while (n + 3 <= sizeof many)
			many[n++] = 0x21, many[n++] = 0x01, many[n++] = 0x00;
		h3_stream_data(c, 0, 0, 0, many, n, false, &ev);
		CHECK_EQ_INT(ev.n, H3_MAX_EVENTS);
		CHECK(ev.n_dropped > 0);
	}
	h3_free(c);

	/* Events full when a blocked block comes out: the exchange still learns it. */
	c = h3_new(&budget);
	h3_events_clear(&ev);
	feed_hex(c, 3, 1, 0, false, conn1[0].hex);
	feed_hex(c, 0, 0, 0, true, conn1[5].hex);
	CHECK(h3_exchange_find(c, 0) && !h3_exchange_find(c, 0)->req_seen);
	ev.n = H3_MAX_EVENTS;
	ev.n_dropped = 0;
	feed_hex(c, 6, 0, 0, false, conn1[2].hex);
	CHECK(ev.n_dropped > 0);
	CHECK(h3_exchange_find(c, 0) && h3_exchange_find(c, 0)->req_seen &&
	      h3_exchange_find(c, 0)->path.len == 12);
	h3_free(c);

	CHECK_EQ_STR(h3_frame_name(H3_SETTINGS), "SETTINGS");
	CHECK_EQ_STR(h3_uni_name(H3_UNI_QPACK_ENCODER), "QPACK encoder");
	CHECK_EQ_STR(h3_setting_name(1), "SETTINGS_QPACK_MAX_TABLE_CAPACITY");
	CHECK(h3_is_reserved(0x21) && h3_is_reserved(0x21 + 0x1f * 1000) && !h3_is_reserved(0x22));
	CHECK(h3_frame_name(0x21) == NULL);
	CHECK_EQ_INT(budget.used, 0);
}

/* Random stream data on random streams: errors, never a crash; memory back. */
static void test_garbage(void)
{
	uint32_t r = 88172645u;
	for (int round = 0; round < 300; round++) {
		struct h3_conn *c = h3_new(&budget);
		for (int k = 0; k < 60; k++) {
			uint8_t b[200];
			size_t n;
			uint64_t sid, off;
			r ^= r << 13, r ^= r >> 17, r ^= r << 5;
			n = r % sizeof b;
			sid = (r >> 8) % 24;
			off = (r >> 16) % 4 == 0 ? (r >> 20) % 300 : 0;
			for (size_t i = 0; i < n; i++) {
				r ^= r << 13, r ^= r >> 17, r ^= r << 5;
				b[i] = (uint8_t)r;
				if (i < 3 && (r & 0x300) == 0)
					b[i] = (uint8_t)(r & 3);   /* stream types and small frames */
			}
			h3_events_clear(&ev);
			h3_stream_data(c, sid, (int)(sid & 1), off, b, n, (r & 0x1000) != 0, &ev);
			CHECK(ev.n <= H3_MAX_EVENTS);
			if ((r & 0xf0000) == 0)
				h3_stream_reset(c, sid, (int)((r >> 4) & 1), r, (r & 0x20) != 0, &ev);
		}
		h3_free(c);
	}
	CHECK_EQ_INT(budget.used, 0);
}

/* ------------------------------------------------------------------ */
/* The lab capture against Caddy's access log                          */
/* ------------------------------------------------------------------ */

#define MAX_X 16

struct seen_x {
	char method[H3_METHOD_MAX + 1];
	char path[H3_PATH_MAX + 1];
	char authority[H3_AUTH_MAX + 1];
	char ctype[H3_CTYPE_MAX + 1];
	unsigned status;
	uint64_t body;
	bool matched;
};

static struct seen_x lab_x[MAX_X];
static unsigned n_lab_x;

static void lab_keep(const struct h3_exchange *x)
{
	struct seen_x *s;
	if (n_lab_x >= MAX_X)
		return;
	s = &lab_x[n_lab_x++];
	memcpy(s->method, x->method.b, x->method.len);
	s->method[x->method.len] = 0;
	memcpy(s->path, x->path.b, x->path.len);
	s->path[x->path.len] = 0;
	memcpy(s->authority, x->authority.b, x->authority.len);
	s->authority[x->authority.len] = 0;
	memcpy(s->ctype, x->content_type.b, x->content_type.len);
	s->ctype[x->content_type.len] = 0;
	s->status = x->status;
	s->body = x->data[1];
}

static void lab_events(void)
{
	for (unsigned i = 0; i < ev.n; i++) {
		const struct h3_ev *e = &ev.ev[i];
		if (e->status != FT_OK)
			fprintf(stderr, "lab-h3: event %d on stream %llu: %s\n", (int)e->kind,
				(unsigned long long)e->stream_id, e->why ? e->why : "?");
		CHECK_EQ_INT(e->status, FT_OK);
		if (e->kind == H3_EV_STREAM_DONE && e->xchg)
			lab_keep(e->xchg);
	}
	CHECK_EQ_INT(ev.n_dropped, 0);
	h3_events_clear(&ev);
}

/* A JSON string member "key":"..." (no escapes in what we compare) from line. */
static bool json_str(const char *line, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p, *q;
	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= cap)
		return false;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = 0;
	return true;
}

/* The number after "key": at the top level of line (the last occurrence: "status" and "size"
 * follow the request object in Caddy's log). */
static bool json_num(const char *line, const char *key, unsigned long *out)
{
	char pat[64];
	const char *p, *last = NULL;
	snprintf(pat, sizeof pat, "\"%s\":", key);
	for (p = strstr(line, pat); p; p = strstr(p + 1, pat))
		last = p;
	if (!last)
		return false;
	*out = strtoul(last + strlen(pat), NULL, 10);
	return true;
}

/* The capture's STREAM frames, kept to be fed again in another order. */
#define REC_MAX 128
#define REC_DATA 1500
static struct rec {
	uint64_t sid, off;
	int dir;
	bool fin;
	size_t len;
	uint8_t b[REC_DATA];
} recs[REC_MAX];
static size_t n_recs;

static void rec_frame(const struct quicframe *fr, int dir)
{
	struct rec *r;
	CHECK(n_recs < REC_MAX && fr->length <= REC_DATA);
	if (n_recs >= REC_MAX || fr->length > REC_DATA)
		return;
	r = &recs[n_recs++];
	r->sid = fr->stream_id;
	r->off = fr->offset;
	r->dir = dir;
	r->fin = fr->fin;
	r->len = (size_t)fr->length;
	if (r->len)
		memcpy(r->b, fr->data, r->len);
}

/* The same frames with each pair swapped (the second first), and with a
 * retransmission of every frame after it: the same exchanges. */
static void test_lab_reordered(void)
{
	struct h3_conn *c = h3_new(&budget);
	struct seen_x want[MAX_X];
	unsigned n_want = n_lab_x, it = 0;
	const struct h3_exchange *x;
	struct h3_info info;

	if (n_recs == 0 || !c) {
		h3_free(c);
		return;
	}
	memcpy(want, lab_x, sizeof want);
	n_lab_x = 0;
	h3_events_clear(&ev);
	/* Each stream direction's frames swapped in pairs: frame 2k+1 before 2k. */
	{
		static size_t order[REC_MAX];
		size_t no = 0, pending[REC_MAX];
		bool has_pending[REC_MAX] = { false };
		for (size_t i = 0; i < n_recs; i++) {
			size_t j, sd = n_recs;
			for (j = 0; j < i; j++) /* the first record of this stream direction */
				if (recs[j].sid == recs[i].sid && recs[j].dir == recs[i].dir)
					break;
			sd = j;
			if (!has_pending[sd]) {
				pending[sd] = i;
				has_pending[sd] = true;
			} else {
				order[no++] = i;
				order[no++] = pending[sd];
				has_pending[sd] = false;
			}
		}
		for (size_t i = 0; i < n_recs; i++)
			if (has_pending[i])
				order[no++] = pending[i];
		CHECK_EQ_INT(no, n_recs);
		for (size_t i = 0; i < no; i++) {
			const struct rec *r = &recs[order[i]];
			h3_stream_data(c, r->sid, r->dir, r->off, r->b, r->len, r->fin, &ev);
			lab_events();
			if (i % 3 == 0) { /* a retransmission */
				h3_stream_data(c, r->sid, r->dir, r->off, r->b, r->len, r->fin, &ev);
				lab_events();
			}
		}
	}
	while ((x = h3_exchange_next(c, &it)) != NULL)
		lab_keep(x);
	h3_info(c, &info);
	CHECK_EQ_INT(info.n_gaps, 0);
	CHECK_EQ_INT(info.n_held_bytes, 0);
	CHECK(info.n_dup_bytes > 0);
	CHECK(info.n_ahead > 0);
	printf("ok lab-h3 reordered: %llu STREAM frames held ahead of a hole\n",
	       (unsigned long long)info.n_ahead);
	CHECK_EQ_INT(n_lab_x, n_want);
	for (unsigned a = 0; a < n_want; a++) {
		bool found = false;
		for (unsigned b = 0; b < n_lab_x; b++)
			if (strcmp(want[a].path, lab_x[b].path) == 0 &&
			    strcmp(want[a].method, lab_x[b].method) == 0 &&
			    want[a].status == lab_x[b].status && want[a].body == lab_x[b].body)
				found = true;
		CHECK(found);
	}
	h3_free(c);
}

static void test_lab(void)
{
	static const char *pcap = "captures/lab-h3-chromium.pcap";
	static const char *keys = "captures/lab-h3-chromium.keys";
	static const char *alog = "captures/lab-h3-chromium.access.log";
	static struct udp dg[256];
	static struct quicdec_result res;
	static uint8_t plain[65536];
	struct quicdec_conn *qc;
	struct h3_conn *c;
	size_t flen, n, n_stream_frames = 0;
	uint8_t *f = slurp(pcap, &flen), *log;
	bool installed[3][2] = { { false } };
	unsigned n_log = 0;
	struct h3_info info;

	if (!f) {
		printf("ok skipped test_lab: %s not here\n", pcap);
		return;
	}
	n = pcap_udp(f, flen, dg, 256);
	qc = quicdec_new(0);
	c = h3_new(&budget);
	CHECK(qc != NULL && c != NULL);
	n_lab_x = 0;
	h3_events_clear(&ev);
	for (size_t i = 0; qc && c && i < n; i++) {
		int dir;
		size_t off = 0;

		if (dg[i].dport == 443)
			dir = 0;
		else if (dg[i].sport == 443)
			dir = 1;
		else
			continue;
		while (off < dg[i].len) {
			enum quicdec_status st = quicdec_packet(qc, dir, dg[i].data + off,
								 dg[i].len - off, plain, sizeof plain, &res);
			if (st == QUICDEC_NEED_KEY && res.space != QUICDEC_SP_INITIAL &&
			    !installed[res.space][dir]) {
				uint8_t sec[QUICDEC_SECRET_MAX];
				int sp = res.space;
				size_t sl = lab_secret(qc, keys, sp, dir, sec);

				installed[sp][dir] = true;
				if (sl && quicdec_set_secret(qc, (enum quicdec_space)sp, dir, sec, sl) == 0)
					continue;   /* the same packet again */
			}
			CHECK_EQ_INT(st, QUICDEC_OK);
			if (st == QUICDEC_OK && res.space == QUICDEC_SP_APP) {
				for (unsigned j = 0; j < res.frames.n; j++) {
					const struct quicframe *fr = &res.frames.f[j];
					if ((fr->type & ~(uint64_t)7) == QF_STREAM) {
						n_stream_frames++;
						rec_frame(fr, dir);
						h3_stream_data(c, fr->stream_id, dir, fr->offset, fr->data,
							       (size_t)fr->length, fr->fin, &ev);
					} else if (fr->type == QF_RESET_STREAM ||
						   fr->type == QF_STOP_SENDING) {
						h3_stream_reset(c, fr->stream_id, dir, fr->error_code,
								fr->type == QF_STOP_SENDING, &ev);
					}
					lab_events();
				}
			}
			off += res.hdr.pkt_len;
		}
	}
	CHECK(n_stream_frames > 8);
	/* Exchanges still open at the end of the capture count too. */
	if (c) {
		unsigned it = 0, n_open = 0;
		const struct h3_exchange *x;
		while ((x = h3_exchange_next(c, &it)) != NULL) {
			lab_keep(x);
			n_open++;
		}
		printf("ok lab-h3: %u exchanges still open at the end\n", n_open);
	}
	if (c) {
		h3_info(c, &info);
		CHECK(info.settings[0] && info.settings[1]);
		CHECK_EQ_INT(info.n_errors[0] + info.n_errors[1], 0);
		CHECK_EQ_INT(info.n_gaps, 0);
		CHECK_EQ_INT(info.n_ahead, 0);
		CHECK_EQ_INT(info.qpack_err[0], QPACK_OK);
		CHECK_EQ_INT(info.qpack_err[1], QPACK_OK);
		printf("ok lab-h3: %u exchanges, SETTINGS_QPACK_MAX_TABLE_CAPACITY client %llu server %llu, "
		       "QPACK inserts client %llu server %llu\n", info.n_exchanges,
		       (unsigned long long)info.qpack_capacity[0],
		       (unsigned long long)info.qpack_capacity[1],
		       (unsigned long long)info.qpack_inserts[0],
		       (unsigned long long)info.qpack_inserts[1]);
	}

	/* Caddy's access log: one JSON object a line, each request's method, uri, status, size. */
	log = slurp(alog, &flen);
	CHECK(log != NULL);
	if (log) {
		char *line, *save = NULL;
		log[flen] = 0;
		for (line = strtok_r((char *)log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char method[32], uri[256], host[128], ctype[128] = "";
			unsigned long status = 0, size = 0;
			bool found = false;
			if (!json_str(line, "method", method, sizeof method) ||
			    !json_str(line, "uri", uri, sizeof uri) ||
			    !json_str(line, "host", host, sizeof host) || !json_num(line, "status", &status) ||
			    !json_num(line, "size", &size))
				continue;
			n_log++;
			for (unsigned k = 0; k < n_lab_x; k++) {
				struct seen_x *s = &lab_x[k];
				if (s->matched || strcmp(s->method, method) != 0 || strcmp(s->path, uri) != 0)
					continue;
				s->matched = found = true;
				CHECK_EQ_INT(s->status, status);
				CHECK_EQ_INT(s->body, size);
				CHECK_EQ_STR(s->authority, host);
				/* the response's Content-Type, when Caddy logged one */
				{
					const char *ct = strstr(line, "\"Content-Type\":[\"");
					if (ct) {
						const char *q = strchr(ct + 17, '"');
						size_t cl = q ? (size_t)(q - (ct + 17)) : 0;
						if (cl < sizeof ctype) {
							memcpy(ctype, ct + 17, cl);
							ctype[cl] = 0;
						}
					}
					CHECK_EQ_STR(s->ctype, ctype);
				}
				break;
			}
			if (!found)
				fprintf(stderr, "lab-h3: %s %s (%lu) in the access log, not decoded\n",
					method, uri, status);
			CHECK(found);
		}
		free(log);
	}
	CHECK_EQ_INT(n_log, 4);
	CHECK_EQ_INT(n_lab_x, 4);
	for (unsigned k = 0; k < n_lab_x; k++) {
		printf("ok lab-h3 exchange: %s %s -> %u, %llu body bytes\n", lab_x[k].method,
		       lab_x[k].path, lab_x[k].status, (unsigned long long)lab_x[k].body);
		CHECK(lab_x[k].matched);
	}
	h3_free(c);
	quicdec_free(qc);
	free(f);
}

int main(void)
{
	hpack_budget_init(&budget, HPACK_BUDGET_DEFAULT);
	test_split();
	test_blocked();
	test_hostile();
	test_garbage();
	test_lab();
	test_lab_reordered();
	CHECK_EQ_INT(budget.used, 0);
	return t_done("test_h3");
}
