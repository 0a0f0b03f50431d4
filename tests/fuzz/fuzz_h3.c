/* fuzz_h3.c - libFuzzer target: HTTP/3 over stream data (h3_stream_data, h3_stream_reset) and,
 * through it, the QPACK adapter; fuzzer-chosen streams, directions, offsets and chunks. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "h3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct h3_events evs;
static struct hpack_budget budget;

static void check(const struct h3_events *e)
{
	if (e->n > H3_MAX_EVENTS || e->n_heads > H3_MAX_HEADS || e->n_done > H3_MAX_DONE)
		__builtin_trap();
	for (unsigned i = 0; i < e->n; i++) {
		const struct h3_ev *v = &e->ev[i];
		const struct hpack_headers *hd = v->head;
		if (v->dir > 1 || v->n_settings > H3_MAX_SETTINGS)
			__builtin_trap();
		if (hd && (hd < e->heads || hd >= e->heads + e->n_heads))
			__builtin_trap(); /* points into this call's blocks */
		if (hd && (hd->method.len > HPACK_VAL_MAX || hd->path.len > HPACK_VAL_MAX ||
			   hd->status.len > HPACK_VAL_MAX || hd->n_other > HPACK_MAX_OTHER))
			__builtin_trap();
		if (v->xchg && (v->xchg < e->done || v->xchg >= e->done + e->n_done))
			__builtin_trap();
		if (v->xchg && (v->xchg->method.len > H3_METHOD_MAX || v->xchg->path.len > H3_PATH_MAX ||
				v->xchg->authority.len > H3_AUTH_MAX ||
				v->xchg->content_type.len > H3_CTYPE_MAX))
			__builtin_trap();
		if (v->kind == H3_EV_FRAME && v->type == H3_DATA && v->data_len > v->length)
			__builtin_trap();
	}
	if (budget.used > budget.cap)
		__builtin_trap();
}

/*
 * Input: byte 0 bit 0 a small memory total (so the caps are reached);
 * then records:
 *   b0: bits 0-4 the stream id (0..31: every kind, both initiators),
 *       bit 5 FIN, bit 6 the direction of a bidirectional stream,
 *       bit 7 an explicit offset follows (else the next in-order one);
 *   b1: the chunk length (0xff with bit 7 of b0 and no FIN: a reset instead);
 *   [b2 b3: the offset, little endian, with bit 7];
 *   the chunk's bytes.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t next[32][2];
	struct h3_conn *c;
	size_t pos = 1;

	if (size < 1)
		return 0;
	hpack_budget_init(&budget, (data[0] & 1) ? 256u * 1024 : 64u * 1024 * 1024);
	c = h3_new(&budget);
	if (c == NULL)
		return 0;
	memset(next, 0, sizeof next);
	for (unsigned rounds = 0; rounds < 4096 && size - pos >= 2; rounds++) {
		uint8_t b0 = data[pos], len = data[pos + 1];
		uint64_t sid = b0 & 0x1f, off;
		int dir = (sid & 2) ? (int)(sid & 1) : (b0 >> 6) & 1;
		bool fin = (b0 & 0x20) != 0;
		size_t n;

		pos += 2;
		if (b0 & 0x80) {
			if (size - pos < 2)
				break;
			off = (uint64_t)data[pos] | (uint64_t)data[pos + 1] << 8;
			pos += 2;
			if (len == 0xff && !fin) {
				h3_events_clear(&evs);
				h3_stream_reset(c, sid, dir, off, (off & 1) != 0, &evs);
				check(&evs);
				continue;
			}
		} else {
			off = next[sid][dir];
		}
		n = len < size - pos ? len : size - pos;
		h3_events_clear(&evs);
		h3_stream_data(c, sid, dir, off, data + pos, n, fin, &evs);
		check(&evs);
		pos += n;
		if (off + n > next[sid][dir])
			next[sid][dir] = off + n;
	}
	{
		struct h3_info info;
		h3_info(c, &info);
		if (info.n_open > H3_MAX_STREAMS)
			__builtin_trap();
	}
	h3_free(c);
	if (budget.used != 0) /* everything given back */
		__builtin_trap();
	return 0;
}
