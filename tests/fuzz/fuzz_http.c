/* fuzz_http.c - libFuzzer target: the streaming HTTP/1.x decoder, both directions,
 * split into segments, with gaps and the end of the streams (http_feed/gap/end/sniff). */
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct http_conn conn;
static struct http_events evs;

static void check(const struct http_events *e)
{
	if (e->n > HTTP_MAX_EVENTS || e->n_heads > HTTP_MAX_EVENTS)
		__builtin_trap();
	for (unsigned i = 0; i < e->n; i++) {
		const struct http_ev *v = &e->ev[i];
		if (v->kind == HTTP_EV_HEAD) {
			const struct http_head *hd = v->head;
			if (!hd || hd->method.len > HTTP_STR_MAX || hd->target.len > HTTP_STR_MAX ||
			    hd->host.len > HTTP_STR_MAX || hd->reason.len > HTTP_STR_MAX)
				__builtin_trap();
			/* requests are numbered; only a response can be an orphan (0) */
			if (hd->exchange != v->exchange || (hd->is_request && hd->exchange == 0))
				__builtin_trap();
		}
		if (v->kind == HTTP_EV_BODY && v->body_total != UINT64_MAX && v->body_done > v->body_total)
			__builtin_trap(); /* never more body than Content-Length said */
	}
}

static void reset(void) { evs.n = evs.n_dropped = evs.n_heads = 0; }

static size_t feed(void *ctx, int dir, const uint8_t *data, size_t len)
{
	(void)ctx;
	reset();
	size_t n = http_feed(&conn, dir, data, len, &evs);
	check(&evs);
	return n;
}

static void gap(void *ctx, int dir, uint64_t len)
{
	(void)ctx;
	reset();
	http_gap(&conn, dir, len, &evs);
	check(&evs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i <= size && i <= 64; i++) {
		(void)http_sniff(0, data, i);
		(void)http_sniff(1, data, i);
	}
	http_init(&conn);
	stream_drive(data, size, NULL, feed, gap);
	for (int d = 0; d < 2; d++) {
		reset();
		http_end(&conn, d, &evs);
		check(&evs);
	}
	/* the scanners pick up where they stopped: work is linear in the
	 * input however it was cut (a chunk-size line's first 32 bytes may
	 * be looked at once per segment: the factor) */
	if (conn.n_scanned > 64 * (uint64_t)size + 1024)
		__builtin_trap();
	return 0;
}
