/* fuzz_reasm.c - libFuzzer target: the stream reassembler driven by a command list.
 *
 * Two directions share one pool with a small cap.  Each command is 5 bytes:
 *   op (low 2 bits: push, ack, flush, start; bit 2: direction; bit 3: cut the
 *   captured length to half, as a snap length does), offset u16, length u16,
 * pushing slices of a fixed text (lines of known bytes) at relative sequence
 * BASE + offset.  The consumer takes whole lines and checks that every byte it
 * is offered is the text's byte at that sequence and that bytes and gaps follow
 * each other with no overlap; the pool stays under its cap and returns to 0.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TEXT_LEN 65536u + 65536u
#define BASE 4294967000ull /* near 2^32: relative sequence numbers are 64-bit */
#define POOL_CAP (48u * 1024)

static uint8_t text[TEXT_LEN];

struct cons {
	bool pos_set;
	uint64_t pos;        /* where the next byte or gap must start */
};

static size_t c_data(void *ctx, const uint8_t *d, size_t len, uint64_t seq)
{
	struct cons *c = ctx;
	if (len == 0)
		__builtin_trap(); /* never called with nothing */
	if (c->pos_set && seq != c->pos)
		__builtin_trap(); /* bytes out of order, repeated or skipped without a gap */
	if (seq < BASE || seq - BASE > TEXT_LEN || TEXT_LEN - (seq - BASE) < len)
		__builtin_trap(); /* bytes nobody pushed */
	for (size_t i = 0; i < len; i++)
		if (d[i] != text[seq - BASE + i])
			__builtin_trap(); /* wrong bytes */
	size_t n = 0;
	for (size_t i = len; i > 0; i--)
		if (d[i - 1] == '\n') {
			n = i;
			break;
		}
	c->pos_set = true;
	c->pos = seq + n;
	return n;
}

static void c_gap(void *ctx, uint64_t seq, uint64_t len)
{
	struct cons *c = ctx;
	/* A gap starts where the consumer stands (the tail it left is part of it). */
	if (c->pos_set && seq != c->pos)
		__builtin_trap();
	c->pos_set = true;
	c->pos = seq + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!text[0]) {
		/* "line 000001 xx...\n": lines of varying length so heads cut anywhere */
		for (size_t i = 0; i < TEXT_LEN; i++)
			text[i] = (uint8_t)((i * 7919u) % 61u == 0 ? '\n' : 'a' + (i % 26));
		text[0] = 'L';
	}
	struct reasm_pool pool = { .cap = POOL_CAP };
	struct reasm_dir d[2] = { { 0 }, { 0 } };
	struct cons c[2] = { { 0 }, { 0 } };
	struct reasm_sink sink[2] = { { c_data, c_gap, &c[0], NULL }, { c_data, c_gap, &c[1], NULL } };
	for (size_t i = 0; i + 5 <= size; i += 5) {
		uint8_t op = data[i];
		uint32_t off = (uint32_t)data[i + 1] | (uint32_t)data[i + 2] << 8;
		uint32_t len = ((uint32_t)data[i + 3] | (uint32_t)data[i + 4] << 8) % 4096u;
		int k = (op >> 2) & 1;
		struct reasm_res res;
		switch (op & 3) {
		case 0: {
			uint32_t cap_len = (op & 8) ? len / 2 : len;
			reasm_push(&pool, &d[k], BASE + off, text + off, cap_len, len, &sink[k], &res);
			if (res.new_bytes + res.old_bytes > len)
				__builtin_trap();
			break;
		}
		case 1:
			reasm_ack(&pool, &d[k], BASE + off + len, &sink[k]);
			break;
		case 2:
			reasm_flush(&pool, &d[k], &sink[k]);
			/* the tail is dropped without a gap call: the consumer resumes at next */
			c[k].pos = d[k].next;
			break;
		case 3:
			reasm_start(&d[k], BASE + off);
			break;
		}
		if (pool.bytes > pool.cap || pool.bytes > pool.peak)
			__builtin_trap(); /* the pool cap holds */
		if (d[k].n_ooo > REASM_MAX_OOO_SEGS || d[k].ooo_bytes > REASM_OOO_MAX ||
		    d[k].tail_len > REASM_TAIL_MAX)
			__builtin_trap(); /* the per-direction caps hold */
	}
	reasm_flush(&pool, &d[0], &sink[0]);
	reasm_free(&pool, &d[0]);
	reasm_free(&pool, &d[1]);
	if (pool.bytes != 0)
		__builtin_trap(); /* everything given back */
	return 0;
}
