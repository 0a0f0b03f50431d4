/* fuzz_h2.c - libFuzzer target: the HTTP/2 frame decoder and the HPACK adapter, both directions
 * split into segments, with a gap (h2_feed/gap, h2_sniff_*, h2_upgrade_token, h2_open_upgraded). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "h2.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct h2_conn *conn;
static struct h2_events evs;
static struct hpack_budget budget;

static void check(const struct h2_events *e)
{
	if (e->n > H2_MAX_EVENTS || e->n_heads > H2_MAX_HEADS || e->n_done > H2_MAX_DONE)
		__builtin_trap();
	for (unsigned i = 0; i < e->n; i++) {
		const struct h2_ev *v = &e->ev[i];
		const struct hpack_headers *hd = v->head;
		if (v->dir > 1 || v->debug_len > H2_DEBUG_MAX || v->n_settings > H2_MAX_SETTINGS)
			__builtin_trap();
		if (hd && (hd->method.len > HPACK_VAL_MAX || hd->path.len > HPACK_VAL_MAX ||
			   hd->authority.len > HPACK_VAL_MAX || hd->status.len > HPACK_VAL_MAX ||
			   hd->content_type.len > HPACK_VAL_MAX || hd->n_other > HPACK_MAX_OTHER))
			__builtin_trap();
		if (hd && (hd < e->heads || hd >= e->heads + e->n_heads))
			__builtin_trap(); /* points into this feed's blocks */
		if (v->kind == H2_EV_FRAME && v->type == H2_DATA && v->data_len > v->length)
			__builtin_trap();
		if (v->stream && (v->stream->method.len > H2_METHOD_MAX ||
				  v->stream->path.len > H2_PATH_MAX ||
				  v->stream->authority.len > H2_AUTH_MAX ||
				  v->stream->content_type.len > H2_CTYPE_MAX))
			__builtin_trap();
	}
	if (budget.used > budget.cap)
		__builtin_trap();
}

static size_t feed(void *ctx, int dir, const uint8_t *data, size_t len)
{
	(void)ctx;
	h2_events_clear(&evs);
	size_t n = h2_feed(conn, dir, data, len, &evs);
	check(&evs);
	for (unsigned i = 0; i < evs.n; i++) /* where each event's bytes ended: in this feed */
		if (evs.ev[i].feed_end > len || (i && evs.ev[i].feed_end < evs.ev[i - 1].feed_end))
			__builtin_trap();
	if (n != len) /* h2_feed consumes everything */
		__builtin_trap();
	return n;
}

static void gap(void *ctx, int dir, uint64_t len)
{
	(void)ctx;
	h2_events_clear(&evs);
	h2_gap(conn, dir, len, &evs);
	check(&evs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i <= size && i <= 32; i++) {
		(void)h2_sniff_preface(data, i);
		(void)h2_sniff_settings(data, i);
		(void)h2_upgrade_token(data, i);
	}
	/* a small total, so that the memory caps are reached too */
	hpack_budget_init(&budget, 2u * 1024 * 1024);
	conn = h2_new(&budget);
	if (!conn)
		__builtin_trap();
	if (size > 5 && (data[2] ^ data[3]) & 1) /* an h2c upgrade: stream 1 open, HTTP2-Settings */
		h2_open_upgraded(conn, "GET", 3, "/", 1, "a", 1, (const char *)data + 5,
				 size - 5 < 24 ? size - 5 : 24);
	stream_drive(data, size, NULL, feed, gap);
	h2_free(conn);
	conn = NULL;
	if (budget.used != 0) /* everything given back */
		__builtin_trap();
	return 0;
}
