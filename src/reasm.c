/* reasm.c - per-direction TCP stream reassembly with bounded memory. */
#include "reasm.h"

#include <stdlib.h>
#include <string.h>

/*
 * The state of one direction, in byte positions (64-bit relative seq):
 *
 *      consumed (delivered)   tail            holes and held segments
 *   ...-------------------|==========|......[ooo 0]....[ooo 1]...
 *                          ^          ^
 *                 next - tail_len    next
 *
 *   - next: the position just past the last byte handed in, whether the
 *     consumer took it or it waits in the tail.  Every byte before next
 *     has been consumed, is in the tail, or was skipped as a gap.
 *   - tail: the bytes [next - tail_len, next) the consumer was offered
 *     and left; it sees them again, in front of the next new bytes.
 *   - delivered: bytes the consumer consumed (the sum of what its data
 *     callback returned).  gap_bytes: bytes skipped as gaps, given-up
 *     tail bytes included.  So, from the first pushed position `start`:
 *       delivered + gap_bytes + tail_len == next - start.
 *   - ooo: held segments, sorted, not overlapping, each seq > next (a
 *     segment that becomes contiguous is delivered at once).
 *
 * Gaps.  A hole is skipped from the consumer's point of view: the tail it
 * was waiting on can never complete, so it is given up in the same gap:
 * gap(seq = next - tail_len, len = tail_len + hole).  The consumer sees
 * every position exactly once, either in the bytes it consumed or in a
 * gap, and a gap always starts where its consumed bytes end.
 *
 * reasm_flush skips every hole, delivers every held segment, and reports
 * what is still in the tail as a last gap (the consumer learns that the
 * message it waited on was cut).  It keeps started/next so that late
 * retransmissions are still recognised as old; reasm_free empties all.
 *
 * Memory accounting: pool->bytes counts the allocated tail buffer
 * (tail_cap) plus the held out-of-order bytes (ooo_bytes).  The slot array
 * of struct reasm_seg (at most REASM_MAX_OOO_SEGS entries) is bookkeeping
 * and is not counted.  A tail that empties is freed, so an idle direction
 * holds nothing; a consumer that takes every byte never causes an
 * allocation.  pool->cap == 0 means nothing can be held.
 *
 * The callbacks must not call back into the reassembler for the same
 * direction.  reasm_ack expects acks in data-byte space: a FIN's (or SYN's)
 * sequence number must not be counted, or the ack of a FIN would look like
 * one lost byte.
 */

#define REASM_TAIL_MIN 256u /* first allocation of a tail */

/* ---------------------------------------------------------------- pool */

static void pool_add(struct reasm_pool *pool, uint64_t n)
{
	pool->bytes += n;
	if (pool->bytes > pool->peak)
		pool->peak = pool->bytes;
}

static void pool_sub(struct reasm_pool *pool, uint64_t n)
{
	pool->bytes = pool->bytes >= n ? pool->bytes - n : 0;
}

/* A cap forced bytes to be given up (once per event). */
static void note_overflow(struct reasm_pool *pool, struct reasm_dir *d, struct reasm_res *res)
{
	pool->n_overflows++;
	d->partial = true;
	res->overflow = true;
}

/* ---------------------------------------------------------------- tail */

static void tail_release(struct reasm_pool *pool, struct reasm_dir *d)
{
	free(d->tail);
	pool_sub(pool, d->tail_cap);
	d->tail = NULL;
	d->tail_len = 0;
	d->tail_cap = 0;
}

/* Make room for `need` tail bytes; false when a cap (or malloc) says no. */
static bool tail_reserve(struct reasm_pool *pool, struct reasm_dir *d, uint64_t need)
{
	if (need <= d->tail_cap)
		return true;
	if (need > REASM_TAIL_MAX)
		return false;
	uint64_t want = d->tail_cap ? (uint64_t)d->tail_cap * 2 : REASM_TAIL_MIN;
	while (want < need)
		want *= 2; /* ends: need <= REASM_TAIL_MAX, a small power of two times 256 */
	if (want > REASM_TAIL_MAX)
		want = REASM_TAIL_MAX;
	uint64_t others = pool->bytes - d->tail_cap;
	if (others > pool->cap || pool->cap - others < want) {
		want = need; /* the doubling does not fit: try the exact size */
		if (others > pool->cap || pool->cap - others < want)
			return false;
	}
	uint8_t *p = realloc(d->tail, (size_t)want);
	if (!p)
		return false;
	pool_sub(pool, d->tail_cap);
	d->tail = p;
	d->tail_cap = (uint32_t)want;
	pool_add(pool, want);
	return true;
}

/*
 * Give up the tail plus the `hole` bytes after next as one gap (see the
 * top comment); next moves past the hole.  Returns the gap length.
 */
static uint64_t skip_gap(struct reasm_pool *pool, struct reasm_dir *d, uint64_t hole,
			 const struct reasm_sink *sink, struct reasm_res *res)
{
	uint64_t len = (uint64_t)d->tail_len + hole;
	if (len == 0)
		return 0;
	uint64_t seq = d->next - d->tail_len;
	tail_release(pool, d);
	d->next += hole;
	d->gap_bytes += len;
	d->partial = true;
	res->gap += len;
	if (sink->gap)
		sink->gap(sink->ctx, seq, len);
	return len;
}

/* ------------------------------------------------------------ delivery */

/*
 * Hand `n` new bytes that start at next to the consumer.  With no tail
 * they are offered in place; what it leaves is copied into the tail.
 * With a tail they are appended and the whole tail is offered.
 */
static void offer(struct reasm_pool *pool, struct reasm_dir *d, const uint8_t *p, uint32_t n,
		  const struct reasm_sink *sink, struct reasm_res *res)
{
	if (n == 0)
		return;
	if (d->tail_len > 0) {
		if (tail_reserve(pool, d, (uint64_t)d->tail_len + n)) {
			memcpy(d->tail + d->tail_len, p, n);
			d->tail_len += n;
			d->next += n;
			size_t c = sink->data(sink->ctx, d->tail, d->tail_len, d->next - d->tail_len);
			if (c > d->tail_len)
				c = d->tail_len;
			d->delivered += c;
			if (c == d->tail_len) {
				tail_release(pool, d);
			} else if (c > 0) {
				memmove(d->tail, d->tail + c, d->tail_len - c);
				d->tail_len -= (uint32_t)c;
			}
			return;
		}
		/* the tail cannot grow: give it up, then go on as if it were empty */
		note_overflow(pool, d, res);
		skip_gap(pool, d, 0, sink, res);
	}
	size_t c = sink->data(sink->ctx, p, n, d->next);
	if (c > n)
		c = n;
	d->next += n;
	d->delivered += c;
	uint32_t left = n - (uint32_t)c;
	if (left == 0)
		return;
	if (tail_reserve(pool, d, left)) {
		memcpy(d->tail, p + c, left);
		d->tail_len = left;
		return;
	}
	/* what the consumer left does not fit anywhere: it is a gap */
	note_overflow(pool, d, res);
	uint64_t seq = d->next - left;
	d->gap_bytes += left;
	res->gap += left;
	if (sink->gap)
		sink->gap(sink->ctx, seq, left);
}

/* Remove held segment i from the store (its data is the caller's now). */
static void ooo_remove(struct reasm_pool *pool, struct reasm_dir *d, uint32_t i)
{
	pool_sub(pool, d->ooo[i].len);
	d->ooo_bytes -= d->ooo[i].len;
	memmove(&d->ooo[i], &d->ooo[i + 1], (size_t)(d->n_ooo - i - 1) * sizeof(d->ooo[0]));
	d->n_ooo--;
}

/* Deliver held segments while the first one is contiguous. */
static void drain(struct reasm_pool *pool, struct reasm_dir *d, const struct reasm_sink *sink,
		  struct reasm_res *res)
{
	/* each pass removes one segment: at most n_ooo passes */
	while (d->n_ooo > 0 && d->ooo[0].seq <= d->next) {
		struct reasm_seg s = d->ooo[0];
		ooo_remove(pool, d, 0);
		/* seq < next cannot happen (holes are skipped only up to a held
		 * segment); trim it anyway rather than deliver a byte twice */
		uint64_t skip = d->next - s.seq;
		if (skip < s.len)
			offer(pool, d, s.data + skip, (uint32_t)(s.len - skip), sink, res);
		free(s.data);
	}
}

/* Skip the hole up to the first held segment, or up to `to` if that is
 * nearer, then deliver what became contiguous.  Returns the gap. */
static uint64_t skip_to(struct reasm_pool *pool, struct reasm_dir *d, uint64_t to,
			const struct reasm_sink *sink, struct reasm_res *res)
{
	if (d->n_ooo > 0 && d->ooo[0].seq < to)
		to = d->ooo[0].seq;
	uint64_t g = to > d->next ? skip_gap(pool, d, to - d->next, sink, res) : 0;
	drain(pool, d, sink, res);
	return g;
}

/* ----------------------------------------------------------- out of order */

static bool ooo_fits(const struct reasm_pool *pool, const struct reasm_dir *d, uint32_t len)
{
	return d->n_ooo < REASM_MAX_OOO_SEGS && len <= REASM_OOO_MAX - d->ooo_bytes &&
	       pool->bytes <= pool->cap && len <= pool->cap - pool->bytes;
}

/* Store a copy of [pos, pos + len), which overlaps nothing held. */
static bool ooo_insert(struct reasm_pool *pool, struct reasm_dir *d, uint64_t pos,
		       const uint8_t *p, uint32_t len)
{
	if (d->n_ooo == d->ooo_cap) {
		uint32_t ncap = d->ooo_cap ? d->ooo_cap * 2 : 8;
		if (ncap > REASM_MAX_OOO_SEGS)
			ncap = REASM_MAX_OOO_SEGS;
		struct reasm_seg *a = realloc(d->ooo, (size_t)ncap * sizeof(*a));
		if (!a)
			return false;
		d->ooo = a;
		d->ooo_cap = ncap;
	}
	uint8_t *copy = malloc(len);
	if (!copy)
		return false;
	memcpy(copy, p, len);
	uint32_t i = d->n_ooo;
	while (i > 0 && d->ooo[i - 1].seq > pos)
		i--;
	memmove(&d->ooo[i + 1], &d->ooo[i], (size_t)(d->n_ooo - i) * sizeof(d->ooo[0]));
	d->ooo[i] = (struct reasm_seg){ .seq = pos, .len = len, .data = copy };
	d->n_ooo++;
	d->ooo_bytes += len;
	pool_add(pool, len);
	return true;
}

/*
 * New captured bytes [pos, pos + len), pos >= next, overlapping nothing
 * held: deliver them if in order, else hold them.  When a cap says no,
 * skip the hole in front of the first held segment and retry; if they
 * still cannot be held, skip up to them and deliver them directly.
 */
static void place(struct reasm_pool *pool, struct reasm_dir *d, uint64_t pos, const uint8_t *p,
		  uint32_t len, const struct reasm_sink *sink, struct reasm_res *res)
{
	bool noted = false;
	/* each pass that loops removes at least one held segment */
	for (;;) {
		if (pos <= d->next) {
			uint64_t skip = d->next - pos; /* 0 by the invariants */
			if (skip < len)
				offer(pool, d, p + skip, (uint32_t)(len - skip), sink, res);
			drain(pool, d, sink, res);
			return;
		}
		if (ooo_fits(pool, d, len) && ooo_insert(pool, d, pos, p, len)) {
			res->held = true;
			return;
		}
		if (!noted) {
			note_overflow(pool, d, res);
			noted = true;
		}
		if (d->n_ooo > 0 && d->ooo[0].seq < pos) {
			skip_to(pool, d, pos, sink, res);
			continue;
		}
		skip_gap(pool, d, pos - d->next, sink, res);
	}
}

/* Index of the first held segment that ends after pos, or n_ooo. */
static uint32_t ooo_find(const struct reasm_dir *d, uint64_t pos)
{
	uint32_t i = 0;
	while (i < d->n_ooo && d->ooo[i].seq + d->ooo[i].len <= pos)
		i++;
	return i;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* ---------------------------------------------------------------- api */

void reasm_start(struct reasm_dir *d, uint64_t seq)
{
	if (d->started)
		return;
	d->started = true;
	d->next = seq;
}

void reasm_push(struct reasm_pool *pool, struct reasm_dir *d, uint64_t seq, const uint8_t *data,
		uint32_t cap_len, uint32_t wire_len, const struct reasm_sink *sink,
		struct reasm_res *res)
{
	struct reasm_res dummy;
	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (cap_len > wire_len)
		cap_len = wire_len;
	if (wire_len == 0 || seq > UINT64_MAX - wire_len)
		return;
	if (!d->started) {
		d->started = true;
		d->next = seq;
	}
	uint64_t end = seq + wire_len, cap_end = seq + cap_len;

	/*
	 * First pass, nothing changes: count old bytes and compare them with
	 * the copies still held (the tail before next, held segments after).
	 * The first copy is the one kept, as most stacks do.
	 */
	uint64_t old = 0;
	if (seq < d->next) {
		uint64_t oend = min_u64(end, d->next);
		old += oend - seq;
		uint64_t a = max_u64(seq, d->next - d->tail_len), b = min_u64(oend, cap_end);
		if (a < b && memcmp(data + (a - seq), d->tail + (a - (d->next - d->tail_len)),
				    (size_t)(b - a)) != 0)
			res->differs = true;
		/* before the tail: consumed, perhaps still held by the consumer */
		uint64_t took = d->next - d->tail_len, hb = min_u64(min_u64(oend, cap_end), took);
		if (!res->differs && sink && sink->differs && seq < hb &&
		    sink->differs(sink->ctx, took - seq, data, (size_t)(hb - seq)))
			res->differs = true;
	}
	uint64_t from = max_u64(seq, d->next);
	for (uint32_t i = ooo_find(d, from); i < d->n_ooo && d->ooo[i].seq < end; i++) {
		const struct reasm_seg *s = &d->ooo[i];
		uint64_t a = max_u64(from, s->seq), b = min_u64(end, s->seq + s->len);
		old += b - a;
		uint64_t bc = min_u64(b, cap_end);
		if (a < bc && memcmp(data + (a - seq), s->data + (a - s->seq), (size_t)(bc - a)) != 0)
			res->differs = true;
	}
	res->old_bytes = (uint32_t)old;
	res->new_bytes = wire_len - (uint32_t)old;

	/*
	 * Second pass: the captured pieces not held yet are delivered or held.
	 * cur only grows (to next, to a held segment's end, or to a piece's
	 * end), so the loop ends within 2 * (n_ooo + 1) + 1 passes.
	 */
	uint64_t cur = seq;
	while (cur < cap_end) {
		if (cur < d->next) {
			cur = min_u64(d->next, cap_end);
			continue;
		}
		uint32_t i = ooo_find(d, cur);
		if (i < d->n_ooo && d->ooo[i].seq <= cur) {
			cur = d->ooo[i].seq + d->ooo[i].len;
			continue;
		}
		uint64_t pend = i < d->n_ooo ? min_u64(d->ooo[i].seq, cap_end) : cap_end;
		place(pool, d, cur, data + (cur - seq), (uint32_t)(pend - cur), sink, res);
		cur = pend;
	}

	/*
	 * The snap length cut the payload: once the uncaptured bytes are next
	 * in line they are a gap, except where a held segment has them.  If a
	 * hole still lies before them they are left for reasm_ack/flush.
	 */
	if (cap_end < end && d->next >= cap_end) {
		/* each pass reaches end or delivers a held segment */
		while (d->next < end) {
			uint64_t before = d->next;
			skip_to(pool, d, end, sink, res);
			if (d->next == before)
				break;
		}
	}
}

uint64_t reasm_ack(struct reasm_pool *pool, struct reasm_dir *d, uint64_t ack,
		   const struct reasm_sink *sink)
{
	struct reasm_res res = { 0 };
	if (!d->started)
		return 0;
	/* each pass reaches ack or delivers at least one held segment */
	while (d->next < ack) {
		uint64_t before = d->next;
		skip_to(pool, d, ack, sink, &res);
		if (d->next == before)
			break;
	}
	return res.gap;
}

uint64_t reasm_flush(struct reasm_pool *pool, struct reasm_dir *d, const struct reasm_sink *sink)
{
	struct reasm_res res = { 0 };
	/* each pass delivers at least the first held segment */
	while (d->n_ooo > 0) {
		uint32_t n = d->n_ooo;
		skip_to(pool, d, d->ooo[0].seq, sink, &res);
		if (d->n_ooo == n)
			break;
	}
	skip_gap(pool, d, 0, sink, &res);
	/* free what is left (nothing, by the invariants), keep the position
	 * and the counters so late retransmissions are still seen as old */
	struct reasm_dir keep = *d;
	reasm_free(pool, d);
	d->started = keep.started;
	d->partial = keep.partial;
	d->next = keep.next;
	d->delivered = keep.delivered;
	d->gap_bytes = keep.gap_bytes;
	return res.gap;
}

uint64_t reasm_release(struct reasm_pool *pool, struct reasm_dir *d, const struct reasm_sink *sink)
{
	struct reasm_res res = { 0 };
	/* each pass delivers at least the first held segment */
	while (d->n_ooo > 0) {
		uint32_t n = d->n_ooo;
		skip_to(pool, d, d->ooo[0].seq, sink, &res);
		if (d->n_ooo == n)
			break;
	}
	return res.gap;
}

void reasm_free(struct reasm_pool *pool, struct reasm_dir *d)
{
	for (uint32_t i = 0; i < d->n_ooo; i++) {
		pool_sub(pool, d->ooo[i].len);
		free(d->ooo[i].data);
	}
	free(d->ooo);
	tail_release(pool, d);
	memset(d, 0, sizeof(*d));
}
