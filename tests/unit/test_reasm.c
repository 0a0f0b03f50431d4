/* test_reasm.c - the stream reassembler: every split and arrival order, holes, caps, accounting. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reasm.h"
#include "t.h"

/* ------------------------------------------------------------ consumer */

enum policy {
	P_ALL,   /* consume every byte */
	P_LINES, /* consume whole lines (up to the last \n), like a header parser */
	P_WAIT,  /* consume nothing until `want` bytes are offered, then all */
	P_NONE,  /* never consume */
};

#define MAX_GAPS 64

/* A consumer that logs what it takes and checks what it is offered. */
struct cons {
	enum policy policy;
	size_t want;           /* P_WAIT threshold */
	const uint8_t *src;    /* the original stream (src[0] is at `base`), or NULL */
	uint64_t base;         /* relative seq of src[0] */
	uint64_t src_len;      /* bytes in src */
	uint8_t *mark;         /* per src byte: 0 unseen, 1 consumed, 2 in a gap */
	const uint8_t *seen;   /* per src byte: pushed (captured) so far, or NULL */
	bool gaps_unseen;      /* a gap must never cover a byte in `seen` */
	uint8_t log[4096];     /* consumed bytes, in order (small tests) */
	size_t n_log;          /* bytes in log (capped at sizeof log) */
	uint64_t consumed;     /* bytes consumed */
	uint64_t pos;          /* where the next consumed byte or gap must start */
	bool pos_set;          /* pos is known */
	uint64_t gap_total;    /* bytes reported in gaps */
	uint32_t n_gaps;       /* gap calls */
	uint64_t gap_seq[MAX_GAPS], gap_len[MAX_GAPS];
	uint32_t n_calls;      /* data calls */
	uint32_t errs;         /* contract violations seen by the callbacks */
};

static size_t c_data(void *ctx, const uint8_t *data, size_t len, uint64_t seq)
{
	struct cons *c = ctx;
	c->n_calls++;
	if (!c->pos_set) {
		c->pos = seq;
		c->pos_set = true;
	}
	if (seq != c->pos || len == 0)
		c->errs++;
	if (c->src) {
		if (seq < c->base || seq - c->base > c->src_len || c->src_len - (seq - c->base) < len)
			c->errs++;
		else if (memcmp(data, c->src + (seq - c->base), len) != 0)
			c->errs++;
	}
	size_t n = 0;
	switch (c->policy) {
	case P_ALL:
		n = len;
		break;
	case P_LINES:
		for (size_t i = len; i > 0; i--) {
			if (data[i - 1] == '\n') {
				n = i;
				break;
			}
		}
		break;
	case P_WAIT:
		n = len >= c->want ? len : 0;
		break;
	case P_NONE:
		n = 0;
		break;
	}
	for (size_t i = 0; i < n; i++) {
		if (c->n_log < sizeof(c->log))
			c->log[c->n_log++] = data[i];
		if (c->mark && seq + i - c->base < c->src_len) {
			uint8_t *m = &c->mark[seq + i - c->base];
			if (*m)
				c->errs++; /* a byte consumed twice */
			*m = 1;
		}
	}
	c->consumed += n;
	c->pos += n;
	return n;
}

static void c_gap(void *ctx, uint64_t seq, uint64_t len)
{
	struct cons *c = ctx;
	if (!c->pos_set) {
		c->pos = seq;
		c->pos_set = true;
	}
	if (seq != c->pos || len == 0)
		c->errs++;
	if (c->n_gaps < MAX_GAPS) {
		c->gap_seq[c->n_gaps] = seq;
		c->gap_len[c->n_gaps] = len;
	}
	c->n_gaps++;
	c->gap_total += len;
	c->pos += len;
	if (c->mark) {
		for (uint64_t i = 0; i < len; i++) {
			uint64_t k = seq + i - c->base;
			if (seq + i < c->base || k >= c->src_len) {
				c->errs++;
				break;
			}
			if (c->mark[k])
				c->errs++;
			c->mark[k] = 2;
			if (c->gaps_unseen && c->seen && c->seen[k])
				c->errs++;
		}
	}
}

static struct cons C;
static struct reasm_sink sink = { c_data, c_gap, &C, NULL };

static void cons_reset(enum policy p, size_t want)
{
	memset(&C, 0, sizeof(C));
	C.policy = p;
	C.want = want;
}

static bool log_is(const char *s)
{
	return C.n_log == strlen(s) && memcmp(C.log, s, C.n_log) == 0;
}

/* Push a slice of a string at `seq`. */
static struct reasm_res push(struct reasm_pool *pool, struct reasm_dir *d, uint64_t seq,
			     const char *s, uint32_t n)
{
	struct reasm_res r;
	reasm_push(pool, d, seq, (const uint8_t *)s, n, n, &sink, &r);
	return r;
}

static struct reasm_pool big_pool(void)
{
	return (struct reasm_pool){ .cap = 64u << 20 };
}

/* ------------------------------------------------------------ in order */

static void test_in_order(void)
{
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	const char *m = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	cons_reset(P_ALL, 0);
	struct reasm_res r = push(&pool, &d, 1000, m, 10);
	CHECK_EQ_INT(r.new_bytes, 10);
	CHECK_EQ_INT(r.old_bytes, 0);
	CHECK(!r.held && !r.overflow && !r.differs);
	r = push(&pool, &d, 1010, m + 10, (uint32_t)strlen(m) - 10);
	CHECK(log_is(m));
	CHECK_EQ_INT(C.gap_total, 0);
	CHECK_EQ_INT(C.errs, 0);
	CHECK_EQ_INT(d.next, 1000 + strlen(m));
	CHECK_EQ_INT(d.delivered, strlen(m));
	CHECK(!d.partial);
	/* the common path never allocates */
	CHECK_EQ_INT(pool.peak, 0);
	CHECK(d.tail == NULL);
	CHECK_EQ_INT(C.n_calls, 2);

	/* zero-length pushes do nothing, not even start the stream */
	struct reasm_dir e = { 0 };
	r = push(&pool, &e, 5, "", 0);
	CHECK(!e.started);
	CHECK_EQ_INT(r.new_bytes, 0);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);
}

/* ------------------------------------------ every split, every arrival order */

static const char MSG[] = "GET /a HTTP/1.1\r\nHost: x.y\r\nAccept: */*\r\n\r\n";
#define MSG_LEN ((uint32_t)(sizeof(MSG) - 1))

struct seg {
	uint32_t off, len;
};

/* Deliver the segments in the given order; 0 when the consumer saw MSG exactly. */
static int run_order(enum policy p, uint64_t base, const struct seg *segs, const int *order, int n)
{
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	cons_reset(p, MSG_LEN);
	C.src = (const uint8_t *)MSG;
	C.base = base;
	C.src_len = MSG_LEN;
	for (int i = 0; i < n; i++) {
		const struct seg *s = &segs[order[i]];
		if (s->len)
			push(&pool, &d, base + s->off, MSG + s->off, s->len);
	}
	int bad = 0;
	if (!log_is(MSG))
		bad |= 1;
	if (C.errs || C.gap_total || d.partial)
		bad |= 2;
	if (d.next != base + MSG_LEN || d.delivered != MSG_LEN || d.n_ooo || d.tail_len)
		bad |= 4;
	if (pool.bytes != 0) /* everything consumed: nothing may stay held */
		bad |= 8;
	reasm_free(&pool, &d);
	if (pool.bytes != 0)
		bad |= 16;
	return bad;
}

static void test_splits(void)
{
	static const enum policy pols[] = { P_ALL, P_LINES, P_WAIT };
	static const int perm3[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
					 { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	const uint64_t base = (1ull << 32) - 7; /* the stream crosses 2^32 */
	int fails = 0, runs = 0;
	for (int pi = 0; pi < 3; pi++) {
		/* two segments, split at every byte (the first push starts the
		 * stream, so other orders are in test_permutations) */
		for (uint32_t k = 1; k < MSG_LEN; k++) {
			struct seg s[2] = { { 0, k }, { k, MSG_LEN - k } };
			static const int o[2] = { 0, 1 };
			int bad = run_order(pols[pi], base, s, o, 2);
			runs++;
			if (bad && fails++ == 0)
				fprintf(stderr, "split2 policy %d at %u: %d\n", pi, k, bad);
		}
		/* three segments at every pair of split points, every order in
		 * which segment 0 is first (the stream starts at the first push) */
		for (uint32_t a = 1; a < MSG_LEN; a++) {
			for (uint32_t b = a + 1; b < MSG_LEN; b++) {
				struct seg s[3] = { { 0, a }, { a, b - a }, { b, MSG_LEN - b } };
				for (int q = 0; q < 2; q++) {
					int bad = run_order(pols[pi], base, s, perm3[q], 3);
					runs++;
					if (bad && fails++ == 0)
						fprintf(stderr, "split3 policy %d at %u,%u order %d: %d\n",
							pi, a, b, q, bad);
				}
			}
		}
	}
	CHECK_EQ_INT(fails, 0);
	CHECK(runs > 1000);
}

/*
 * Every permutation of three segments: a 1-byte segment starts the stream,
 * then three segments at every pair of split points cover [1, len) in
 * every order, with or without a retransmission of each at the end.
 */
static void test_permutations(void)
{
	static const int perm3[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
					 { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	static const enum policy pols[] = { P_ALL, P_LINES, P_WAIT };
	int fails = 0, runs = 0;
	for (int pi = 0; pi < 3; pi++) {
		for (uint32_t a = 2; a < MSG_LEN; a++) {
			for (uint32_t b = a + 1; b < MSG_LEN; b++) {
				struct seg s[7] = { { 0, 1 }, { 1, a - 1 }, { a, b - a }, { b, MSG_LEN - b } };
				for (int q = 0; q < 6; q++) {
					for (int dup = 0; dup < 2; dup++) {
						int o[7] = { 0, 1 + perm3[q][0], 1 + perm3[q][1],
							     1 + perm3[q][2], 1, 2, 3 };
						int bad = run_order(pols[pi], 5, s, o, dup ? 7 : 4);
						runs++;
						if (bad && fails++ == 0)
							fprintf(stderr, "perm policy %d at %u,%u order %d dup %d: %d\n",
								pi, a, b, q, dup, bad);
					}
				}
			}
		}
	}
	CHECK_EQ_INT(fails, 0);
	CHECK(runs > 10000);
}

/* ------------------------------------------------- retransmits, overlaps */

static void test_retransmit(void)
{
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	struct reasm_res r;

	/* identical retransmission of consumed bytes: old, no differs */
	cons_reset(P_ALL, 0);
	push(&pool, &d, 0, "hello world", 11);
	r = push(&pool, &d, 0, "hello", 5);
	CHECK_EQ_INT(r.old_bytes, 5);
	CHECK_EQ_INT(r.new_bytes, 0);
	CHECK(!r.differs);
	/* different bytes, but the copy is gone (consumed): cannot tell */
	r = push(&pool, &d, 6, "WORLD", 5);
	CHECK_EQ_INT(r.old_bytes, 5);
	CHECK(!r.differs);
	/* partly old, partly new */
	r = push(&pool, &d, 6, "world!", 6);
	CHECK_EQ_INT(r.old_bytes, 5);
	CHECK_EQ_INT(r.new_bytes, 1);
	CHECK(log_is("hello world!"));
	CHECK_EQ_INT(d.delivered, 12);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);

	/* old bytes still in the tail are compared */
	cons_reset(P_LINES, 0);
	push(&pool, &d, 0, "abc\ndef", 7); /* "def" waits in the tail */
	CHECK_EQ_INT(d.tail_len, 3);
	CHECK(pool.bytes > 0);
	r = push(&pool, &d, 2, "c\ndef", 5);
	CHECK_EQ_INT(r.old_bytes, 5);
	CHECK(!r.differs);
	r = push(&pool, &d, 4, "dXf", 3);
	CHECK(r.differs);
	CHECK_EQ_INT(r.old_bytes, 3);
	r = push(&pool, &d, 0, "abZ", 3); /* consumed bytes: no copy, no verdict */
	CHECK(!r.differs);
	push(&pool, &d, 7, "\n", 1);
	CHECK(log_is("abc\ndef\n")); /* the first copy was kept */
	CHECK_EQ_INT(C.errs, 0);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);

	/* old bytes held out of order are compared; the first copy wins */
	cons_reset(P_ALL, 0);
	push(&pool, &d, 0, "0123", 4);
	r = push(&pool, &d, 8, "89ab", 4);
	CHECK(r.held);
	r = push(&pool, &d, 8, "89ab", 4);
	CHECK(r.held == false);
	CHECK_EQ_INT(r.old_bytes, 4);
	CHECK(!r.differs);
	r = push(&pool, &d, 9, "Xa", 2);
	CHECK(r.differs);
	CHECK_EQ_INT(d.n_ooo, 1);
	r = push(&pool, &d, 4, "4567", 4);
	CHECK_EQ_INT(r.new_bytes, 4);
	CHECK(log_is("0123456789ab"));
	CHECK_EQ_INT(pool.bytes, 0);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);
}

static void test_overlap(void)
{
	const char *src = "abcdefghijklmnopqrstuvwxyz0123456789";
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	struct reasm_res r;
	cons_reset(P_ALL, 0);
	C.src = (const uint8_t *)src;
	C.src_len = 36;
	push(&pool, &d, 0, src, 5);             /* [0,5) */
	r = push(&pool, &d, 10, src + 10, 5);   /* [10,15) held */
	CHECK(r.held);
	r = push(&pool, &d, 20, src + 20, 5);   /* [20,25) held */
	CHECK_EQ_INT(d.n_ooo, 2);
	CHECK_EQ_INT(d.ooo_bytes, 10);
	CHECK_EQ_INT(pool.bytes, 10);
	/* [12,22) overlaps both held segments: only [15,20) is new */
	r = push(&pool, &d, 12, src + 12, 10);
	CHECK_EQ_INT(r.old_bytes, 5);
	CHECK_EQ_INT(r.new_bytes, 5);
	CHECK(r.held);
	CHECK_EQ_INT(d.n_ooo, 3);
	CHECK_EQ_INT(C.consumed, 5);
	/* [3,30) spans old, hole, held, held, held, new */
	r = push(&pool, &d, 3, src + 3, 27);
	CHECK_EQ_INT(r.old_bytes, 2 + 15);
	CHECK_EQ_INT(r.new_bytes, 5 + 5);
	CHECK(!r.differs);
	CHECK_EQ_INT(C.consumed, 30);
	CHECK_EQ_INT(d.n_ooo, 0);
	CHECK_EQ_INT(pool.bytes, 0);
	CHECK_EQ_INT(C.errs, 0);
	CHECK(!d.partial);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);
}

/* ------------------------------------------------------- holes and gaps */

static void test_hole_filled(void)
{
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	cons_reset(P_ALL, 0);
	push(&pool, &d, 100, "ab", 2);
	struct reasm_res r = push(&pool, &d, 104, "ef", 2);
	CHECK(r.held);
	CHECK(log_is("ab"));
	r = push(&pool, &d, 106, "gh", 2);
	CHECK(r.held);
	CHECK_EQ_INT(d.n_ooo, 2);
	r = push(&pool, &d, 102, "cd", 2);
	CHECK(!r.held);
	CHECK(log_is("abcdefgh"));
	CHECK_EQ_INT(d.next, 108);
	CHECK_EQ_INT(C.gap_total, 0);
	CHECK_EQ_INT(pool.bytes, 0);
	CHECK_EQ_INT(pool.peak, 4);
	reasm_free(&pool, &d);
}

static void test_ack_gap(void)
{
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	cons_reset(P_ALL, 0);
	/* no stream yet: an ack does nothing */
	CHECK_EQ_INT(reasm_ack(&pool, &d, 50, &sink), 0);
	CHECK(!d.started);
	push(&pool, &d, 0, "01234", 5);
	push(&pool, &d, 10, "abcde", 5);
	push(&pool, &d, 20, "ABCDE", 5);
	/* an ack of delivered data does nothing */
	CHECK_EQ_INT(reasm_ack(&pool, &d, 3, &sink), 0);
	CHECK_EQ_INT(reasm_ack(&pool, &d, 5, &sink), 0);
	CHECK_EQ_INT(C.n_gaps, 0);
	/* acking into the first held segment skips just the hole before it */
	CHECK_EQ_INT(reasm_ack(&pool, &d, 12, &sink), 5);
	CHECK_EQ_INT(C.n_gaps, 1);
	CHECK_EQ_INT(C.gap_seq[0], 5);
	CHECK_EQ_INT(C.gap_len[0], 5);
	CHECK(log_is("01234abcde"));
	CHECK_EQ_INT(d.next, 15);
	CHECK(d.partial);
	/* past the second hole and beyond everything held */
	CHECK_EQ_INT(reasm_ack(&pool, &d, 30, &sink), 5 + 5);
	CHECK_EQ_INT(C.n_gaps, 3);
	CHECK_EQ_INT(C.gap_seq[1], 15);
	CHECK_EQ_INT(C.gap_len[1], 5);
	CHECK_EQ_INT(C.gap_seq[2], 25);
	CHECK_EQ_INT(C.gap_len[2], 5);
	CHECK(log_is("01234abcdeABCDE"));
	CHECK_EQ_INT(d.next, 30);
	CHECK_EQ_INT(d.gap_bytes, 15);
	CHECK_EQ_INT(d.delivered + d.gap_bytes, 30);
	/* the same ack again: nothing */
	CHECK_EQ_INT(reasm_ack(&pool, &d, 30, &sink), 0);
	CHECK_EQ_INT(C.n_gaps, 3);
	/* a late copy of skipped bytes is old */
	struct reasm_res r = push(&pool, &d, 5, "56789", 5);
	CHECK_EQ_INT(r.old_bytes, 5);
	CHECK(log_is("01234abcdeABCDE"));
	CHECK_EQ_INT(C.errs, 0);
	CHECK_EQ_INT(pool.bytes, 0);
	reasm_free(&pool, &d);

	/* a waiting consumer: its tail is given up as part of the gap */
	cons_reset(P_LINES, 0);
	push(&pool, &d, 0, "line\npart", 9); /* "part" waits */
	push(&pool, &d, 12, "x\nnext\n", 7); /* held after a 3-byte hole */
	CHECK_EQ_INT(d.tail_len, 4);
	CHECK_EQ_INT(reasm_ack(&pool, &d, 19, &sink), 4 + 3);
	CHECK_EQ_INT(C.n_gaps, 1);
	CHECK_EQ_INT(C.gap_seq[0], 5);
	CHECK_EQ_INT(C.gap_len[0], 7);
	CHECK(log_is("line\nx\nnext\n"));
	CHECK_EQ_INT(d.tail_len, 0);
	CHECK_EQ_INT(d.delivered + d.gap_bytes + d.tail_len, d.next);
	CHECK_EQ_INT(C.errs, 0);
	CHECK_EQ_INT(pool.bytes, 0);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);
}

static void test_flush(void)
{
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	cons_reset(P_ALL, 0);
	push(&pool, &d, 0, "aaaaa", 5);
	push(&pool, &d, 10, "bbbbb", 5);
	push(&pool, &d, 20, "ccccc", 5);
	CHECK_EQ_INT(pool.bytes, 10);
	CHECK_EQ_INT(reasm_flush(&pool, &d, &sink), 10);
	CHECK_EQ_INT(C.n_gaps, 2);
	CHECK_EQ_INT(C.gap_seq[0], 5);
	CHECK_EQ_INT(C.gap_seq[1], 15);
	CHECK(log_is("aaaaabbbbbccccc"));
	CHECK_EQ_INT(pool.bytes, 0);
	CHECK(d.ooo == NULL);
	CHECK(d.started);
	CHECK_EQ_INT(d.next, 25);
	/* after the flush a retransmission is still old */
	struct reasm_res r = push(&pool, &d, 20, "ccccc", 5);
	CHECK_EQ_INT(r.old_bytes, 5);
	CHECK(log_is("aaaaabbbbbccccc"));
	reasm_free(&pool, &d);
	CHECK(!d.started);

	/* the tail at flush is reported as a gap */
	cons_reset(P_NONE, 0);
	push(&pool, &d, 7, "waiting", 7);
	push(&pool, &d, 20, "held", 4);
	CHECK_EQ_INT(d.tail_len, 7);
	CHECK_EQ_INT(reasm_flush(&pool, &d, &sink), 7 + 6 + 4);
	/* tail + hole are one gap; then "held" is offered, not taken, dropped */
	CHECK_EQ_INT(C.n_gaps, 2);
	CHECK_EQ_INT(C.gap_seq[0], 7);
	CHECK_EQ_INT(C.gap_len[0], 13);
	CHECK_EQ_INT(C.gap_seq[1], 20);
	CHECK_EQ_INT(C.gap_len[1], 4);
	CHECK_EQ_INT(d.delivered, 0);
	CHECK_EQ_INT(d.gap_bytes, 17);
	CHECK_EQ_INT(d.tail_len, 0);
	CHECK_EQ_INT(pool.bytes, 0);
	CHECK_EQ_INT(C.errs, 0);
	/* flushing twice is harmless */
	CHECK_EQ_INT(reasm_flush(&pool, &d, &sink), 0);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);
}

/* reasm_release (issue 9, bug 14): what waits behind holes that never
 * fill is delivered after them; the consumer's unfinished tail stays. */
static void test_release(void)
{
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	cons_reset(P_LINES, 0);
	push(&pool, &d, 0, "a\nb", 3);      /* "b" waits in the tail */
	push(&pool, &d, 10, "c\nd", 3);     /* held behind the hole 3..10 */
	push(&pool, &d, 20, "e\nf", 3);     /* held behind the hole 13..20 */
	CHECK_EQ_INT(d.tail_len, 1);
	CHECK_EQ_INT(d.n_ooo, 2);
	CHECK_EQ_INT(reasm_release(&pool, &d, &sink), (1 + 7) + (1 + 7));
	/* the tail is given up with the first hole; each held segment is
	 * delivered after its hole; the last line's start stays in the tail */
	CHECK_EQ_INT(C.n_gaps, 2);
	CHECK_EQ_INT(C.gap_seq[0], 2);
	CHECK_EQ_INT(C.gap_len[0], 8);
	CHECK_EQ_INT(C.gap_seq[1], 12);
	CHECK_EQ_INT(C.gap_len[1], 8);
	CHECK(log_is("a\nc\ne\n"));
	CHECK_EQ_INT(d.n_ooo, 0);
	CHECK_EQ_INT(d.tail_len, 1);
	CHECK_EQ_INT(d.next, 23);
	CHECK_EQ_INT(C.errs, 0);
	/* nothing held: nothing to do */
	CHECK_EQ_INT(reasm_release(&pool, &d, &sink), 0);
	CHECK_EQ_INT(C.n_gaps, 2);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);
}

static void test_snap_cut(void)
{
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	struct reasm_res r;

	/* in order: the captured part is delivered, the rest is a gap */
	cons_reset(P_ALL, 0);
	reasm_push(&pool, &d, 0, (const uint8_t *)"01234", 5, 10, &sink, &r);
	CHECK_EQ_INT(r.gap, 5);
	CHECK_EQ_INT(r.new_bytes, 10);
	CHECK_EQ_INT(C.n_gaps, 1);
	CHECK_EQ_INT(C.gap_seq[0], 5);
	CHECK_EQ_INT(C.gap_len[0], 5);
	CHECK_EQ_INT(d.next, 10);
	CHECK(d.partial);
	push(&pool, &d, 10, "abc", 3);
	CHECK(log_is("01234abc"));
	reasm_free(&pool, &d);

	/* out of order: only the captured part is held; the cut is a hole */
	cons_reset(P_ALL, 0);
	push(&pool, &d, 0, "01", 2);
	reasm_push(&pool, &d, 5, (const uint8_t *)"56789", 5, 10, &sink, &r);
	CHECK(r.held);
	CHECK_EQ_INT(r.gap, 0);
	push(&pool, &d, 15, "fghij", 5);
	push(&pool, &d, 2, "234", 3);
	CHECK(log_is("0123456789"));
	CHECK_EQ_INT(C.n_gaps, 0);
	CHECK_EQ_INT(reasm_ack(&pool, &d, 20, &sink), 5);
	CHECK_EQ_INT(C.gap_seq[0], 10);
	CHECK_EQ_INT(C.gap_len[0], 5);
	CHECK(log_is("0123456789fghij"));
	reasm_free(&pool, &d);

	/* the cut part partly held from another copy: only the rest is a gap */
	cons_reset(P_ALL, 0);
	push(&pool, &d, 0, "0", 1);
	push(&pool, &d, 8, "89AB", 4);
	reasm_push(&pool, &d, 1, (const uint8_t *)"1234", 4, 13, &sink, &r);
	CHECK_EQ_INT(r.old_bytes, 4);
	CHECK_EQ_INT(r.new_bytes, 9);
	CHECK_EQ_INT(r.gap, 3 + 2);
	CHECK_EQ_INT(C.n_gaps, 2);
	CHECK_EQ_INT(C.gap_seq[0], 5);
	CHECK_EQ_INT(C.gap_len[0], 3);
	CHECK_EQ_INT(C.gap_seq[1], 12);
	CHECK_EQ_INT(C.gap_len[1], 2);
	CHECK(log_is("0123489AB"));
	CHECK_EQ_INT(d.next, 14);
	CHECK_EQ_INT(pool.bytes, 0);

	/* nothing captured at all, in order */
	reasm_push(&pool, &d, 14, NULL, 0, 6, &sink, &r);
	CHECK_EQ_INT(r.gap, 6);
	CHECK_EQ_INT(d.next, 20);
	CHECK_EQ_INT(C.errs, 0);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);
}

/* ---------------------------------------------------------------- caps */

static uint8_t bigbuf[REASM_OOO_MAX + 4096];

static void test_cap_segs(void)
{
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	struct reasm_res r;
	cons_reset(P_ALL, 0);
	push(&pool, &d, 0, "x", 1);
	/* 100 segments of 10 bytes, each behind a 10-byte hole */
	bool overflow_seen = false, bounded = true;
	uint32_t first_overflow = 0;
	for (uint32_t i = 0; i < 100; i++) {
		reasm_push(&pool, &d, 11 + 20 * i, bigbuf, 10, 10, &sink, &r);
		if (r.overflow && !overflow_seen) {
			overflow_seen = true;
			first_overflow = i;
			CHECK_EQ_INT(r.gap, 10); /* the hole before the first held one */
		}
		if (d.n_ooo > REASM_MAX_OOO_SEGS || pool.bytes > REASM_MAX_OOO_SEGS * 10)
			bounded = false;
	}
	CHECK(overflow_seen);
	CHECK_EQ_INT(first_overflow, REASM_MAX_OOO_SEGS);
	CHECK(bounded);
	CHECK(d.partial);
	CHECK(pool.n_overflows > 0);
	CHECK_EQ_INT(C.gap_seq[0], 1);
	CHECK_EQ_INT(C.gap_len[0], 10);
	reasm_flush(&pool, &d, &sink);
	CHECK_EQ_INT(d.next, 11 + 20 * 99 + 10);
	CHECK_EQ_INT(C.consumed, 1 + 100 * 10);
	CHECK_EQ_INT(C.gap_total, 100 * 10);
	CHECK_EQ_INT(C.errs, 0);
	CHECK_EQ_INT(pool.bytes, 0);
	reasm_free(&pool, &d);
}

static void test_cap_bytes(void)
{
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	struct reasm_res r;
	cons_reset(P_ALL, 0);
	push(&pool, &d, 0, "x", 1);
	/* 60000-byte segments behind holes: four fit in REASM_OOO_MAX */
	const uint32_t n = 60000;
	bool bounded = true;
	int n_over = 0;
	for (uint32_t i = 0; i < 8; i++) {
		reasm_push(&pool, &d, 2 + (uint64_t)i * (n + 1), bigbuf, n, n, &sink, &r);
		if (r.overflow)
			n_over++;
		if (d.ooo_bytes > REASM_OOO_MAX || pool.bytes > REASM_OOO_MAX)
			bounded = false;
	}
	CHECK(bounded);
	CHECK_EQ_INT(n_over, 4);
	CHECK_EQ_INT(d.n_ooo, 4);
	CHECK_EQ_INT(C.consumed, 1 + 4 * n);
	CHECK_EQ_INT(C.gap_total, 4);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);

	/* a segment bigger than the whole store: skip to it, deliver it */
	pool = big_pool();
	cons_reset(P_ALL, 0);
	push(&pool, &d, 0, "x", 1);
	reasm_push(&pool, &d, 5, bigbuf, REASM_OOO_MAX + 1, REASM_OOO_MAX + 1, &sink, &r);
	CHECK(r.overflow);
	CHECK(!r.held);
	CHECK_EQ_INT(r.gap, 4);
	CHECK_EQ_INT(C.consumed, 1 + REASM_OOO_MAX + 1);
	CHECK_EQ_INT(pool.peak, 0);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);
}

static void test_cap_tail(void)
{
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	struct reasm_res r;
	cons_reset(P_NONE, 0);
	/* the tail holds whole 1000-byte pushes up to the cap */
	const uint64_t t_max = REASM_TAIL_MAX / 1000 * 1000;
	bool bounded = true;
	int n_over = 0;
	uint64_t first_gap_len = 0;
	for (uint32_t i = 0; i < 100; i++) {
		reasm_push(&pool, &d, (uint64_t)i * 1000, bigbuf, 1000, 1000, &sink, &r);
		if (r.overflow && n_over++ == 0)
			first_gap_len = r.gap;
		if (d.tail_len > REASM_TAIL_MAX || pool.bytes > REASM_TAIL_MAX)
			bounded = false;
	}
	CHECK(bounded);
	CHECK_EQ_INT(n_over, 1);
	CHECK_EQ_INT(first_gap_len, t_max);
	CHECK_EQ_INT(C.gap_seq[0], 0);
	CHECK_EQ_INT(C.gap_len[0], t_max);
	CHECK_EQ_INT(d.tail_len, 100000 - t_max);
	CHECK_EQ_INT(d.delivered + d.gap_bytes + d.tail_len, d.next);
	CHECK(d.partial);
	CHECK_EQ_INT(pool.n_overflows, 1);
	CHECK_EQ_INT(C.errs, 0);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);

	/* a P_WAIT consumer that gets its bytes before the cap */
	pool = big_pool();
	cons_reset(P_WAIT, 3000);
	for (uint32_t i = 0; i < 3; i++)
		reasm_push(&pool, &d, 7 + (uint64_t)i * 1000, bigbuf, 1000, 1000, &sink, &r);
	CHECK_EQ_INT(C.consumed, 3000);
	CHECK_EQ_INT(d.tail_len, 0);
	CHECK_EQ_INT(pool.bytes, 0); /* an emptied tail is freed */
	CHECK(pool.peak >= 2000 && pool.peak <= REASM_TAIL_MAX);
	reasm_free(&pool, &d);
}

static void test_cap_pool(void)
{
	struct reasm_pool pool = { .cap = 1000 };
	struct reasm_dir a = { 0 }, b = { 0 };
	struct reasm_res r;
	static struct cons ca, cb;
	struct reasm_sink sa = { c_data, c_gap, &ca, NULL }, sb = { c_data, c_gap, &cb, NULL };
	memset(&ca, 0, sizeof(ca));
	memset(&cb, 0, sizeof(cb));
	ca.policy = P_ALL;
	cb.policy = P_NONE;

	reasm_push(&pool, &a, 0, bigbuf, 1, 1, &sa, &r);
	reasm_push(&pool, &a, 10, bigbuf, 600, 600, &sa, &r);
	CHECK(r.held);
	CHECK_EQ_INT(pool.bytes, 600);
	/* b's consumer waits; its tail may use only what a leaves */
	bool bounded = true;
	int n_over = 0;
	for (uint32_t i = 0; i < 20; i++) {
		reasm_push(&pool, &b, (uint64_t)i * 100, bigbuf, 100, 100, &sb, &r);
		n_over += r.overflow;
		if (pool.bytes > pool.cap)
			bounded = false;
	}
	CHECK(bounded);
	CHECK(n_over > 0);
	CHECK(b.partial);
	CHECK(!a.partial);
	CHECK(b.tail_len <= 400);
	CHECK_EQ_INT(cb.errs, 0);
	CHECK_EQ_INT(b.delivered + b.gap_bytes + b.tail_len, b.next);
	/* a cannot hold another 600: it skips the hole, delivers, holds */
	reasm_push(&pool, &a, 700, bigbuf, 600, 600, &sa, &r);
	CHECK(r.overflow);
	CHECK(pool.bytes <= pool.cap);
	CHECK_EQ_INT(ca.gap_seq[0], 1);
	CHECK_EQ_INT(ca.gap_len[0], 9);
	CHECK(a.partial);
	CHECK_EQ_INT(ca.errs, 0);
	CHECK(pool.peak <= pool.cap);
	reasm_free(&pool, &a);
	CHECK_EQ_INT(pool.bytes, b.tail_cap);
	CHECK(b.tail_len > 0);
	reasm_free(&pool, &b);
	CHECK_EQ_INT(pool.bytes, 0);

	/* a pool with no room at all still delivers in-order data */
	struct reasm_pool none = { .cap = 0 };
	memset(&ca, 0, sizeof(ca));
	ca.policy = P_ALL;
	reasm_push(&none, &a, 0, (const uint8_t *)"ab", 2, 2, &sa, &r);
	reasm_push(&none, &a, 4, (const uint8_t *)"ef", 2, 2, &sa, &r);
	CHECK(r.overflow);
	CHECK_EQ_INT(ca.consumed, 4);
	CHECK_EQ_INT(ca.gap_total, 2);
	CHECK_EQ_INT(none.bytes, 0);
	reasm_free(&none, &a);
}

/* ------------------------------------------------------------ random */

static uint64_t lcg_state;

static uint32_t lcg(uint32_t n)
{
	lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((lcg_state >> 33) % n);
}

struct ev {
	uint32_t off, len, cap; /* a segment, or an ack at off when len == 0 */
};

/*
 * 20000 segments of a random stream with splits, duplicates, overlaps,
 * reordering, drops, snap cuts and acks.  Every position must end up
 * consumed or in a gap exactly once, consumed bytes must be the source's.
 */
static void random_run(uint64_t seed, enum policy pol, uint64_t pool_cap, uint32_t ack_pct,
		       bool strict, int want_over)
{
	enum { N_SEG = 20000, MAXLEN = 120 };
	lcg_state = seed;
	uint32_t *bound = malloc((N_SEG + 1) * sizeof(*bound));
	uint8_t *src = malloc((size_t)N_SEG * MAXLEN);
	struct ev *ev = malloc((size_t)N_SEG * 3 * sizeof(*ev));
	uint8_t *mark = NULL, *seen = NULL;
	if (!bound || !src || !ev) {
		CHECK(!"malloc");
		goto out;
	}
	uint32_t total = 0;
	bound[0] = 0;
	for (int i = 0; i < N_SEG; i++) {
		total += 1 + lcg(MAXLEN);
		bound[i + 1] = total;
	}
	for (uint32_t i = 0; i < total; i++)
		src[i] = lcg(16) == 0 ? '\n' : (uint8_t)('a' + lcg(26));
	mark = calloc(total, 1);
	seen = calloc(total, 1);
	if (!mark || !seen) {
		CHECK(!"calloc");
		goto out;
	}

	/* the arrival list: chunk 0 first (it starts the stream) */
	uint32_t n_ev = 0;
	uint32_t max_chunk = 0;
	for (int i = 0; i < N_SEG; i++) {
		uint32_t off = bound[i], len = bound[i + 1] - off;
		uint32_t roll = lcg(100);
		if (i > 0 && roll < 2)
			continue; /* dropped by the capture */
		if (i > 0 && roll < 7 && off >= 30) { /* overlapping resend */
			uint32_t back = 1 + lcg(30), fwd = lcg(30);
			off -= back;
			len += back + fwd;
			if (off + len > total)
				len = total - off;
		}
		uint32_t cap = len;
		if (i > 0 && lcg(100) < 2)
			cap = lcg(len); /* the snap length cut it */
		ev[n_ev++] = (struct ev){ off, len, cap };
		if (lcg(100) < 5) /* duplicate, a little later */
			ev[n_ev++] = (struct ev){ off, len, cap };
		if ((uint32_t)i > max_chunk)
			max_chunk = (uint32_t)i;
		if (lcg(100) < ack_pct) { /* the receiver acks a little behind */
			uint32_t back = lcg(10);
			uint32_t k = max_chunk > back ? max_chunk - back : 0;
			ev[n_ev++] = (struct ev){ bound[k], 0, 0 };
		}
	}
	/* reorder within a small window, keeping event 0 first */
	for (uint32_t i = 1; i + 1 < n_ev; i++) {
		uint32_t j = i + lcg(8);
		if (j < n_ev) {
			struct ev t = ev[i];
			ev[i] = ev[j];
			ev[j] = t;
		}
	}

	const uint64_t base = 0xffffff00ull; /* crosses 2^32 */
	struct reasm_pool pool = { .cap = pool_cap };
	struct reasm_dir d = { 0 };
	cons_reset(pol, 0);
	C.src = src;
	C.base = base;
	C.src_len = total;
	C.mark = mark;
	C.seen = seen;
	C.gaps_unseen = strict;
	bool bounded = true, acct = true;
	uint64_t gap_sum = 0;
	for (uint32_t i = 0; i < n_ev; i++) {
		if (ev[i].len == 0) {
			gap_sum += reasm_ack(&pool, &d, base + ev[i].off, &sink);
		} else {
			struct reasm_res r;
			memset(seen + ev[i].off, 1, ev[i].cap);
			reasm_push(&pool, &d, base + ev[i].off, src + ev[i].off, ev[i].cap, ev[i].len,
				   &sink, &r);
			gap_sum += r.gap;
			if (r.new_bytes + r.old_bytes != ev[i].len)
				acct = false;
		}
		if (pool.bytes > pool.cap || d.n_ooo > REASM_MAX_OOO_SEGS ||
		    d.ooo_bytes > REASM_OOO_MAX || d.tail_len > REASM_TAIL_MAX)
			bounded = false;
		if (d.delivered + d.gap_bytes + d.tail_len != d.next - base)
			acct = false;
	}
	gap_sum += reasm_ack(&pool, &d, base + total, &sink);
	gap_sum += reasm_flush(&pool, &d, &sink);

	CHECK(bounded);
	CHECK(acct);
	CHECK_EQ_INT(C.errs, 0);
	CHECK_EQ_INT(d.next, base + total);
	CHECK_EQ_INT(C.pos, base + total);
	CHECK_EQ_INT(d.delivered, C.consumed);
	CHECK_EQ_INT(d.gap_bytes, C.gap_total);
	CHECK_EQ_INT(gap_sum, C.gap_total);
	CHECK_EQ_INT(C.consumed + C.gap_total, total);
	uint32_t unmarked = 0, n_consumed = 0;
	for (uint32_t i = 0; i < total; i++) {
		unmarked += mark[i] == 0;
		n_consumed += mark[i] == 1;
	}
	CHECK_EQ_INT(unmarked, 0);
	CHECK_EQ_INT(n_consumed, C.consumed);
	CHECK(C.consumed > total / 2); /* most of the stream got through */
	CHECK(C.gap_total > 0);        /* drops and cuts did make gaps */
	if (want_over == 0)
		CHECK_EQ_INT(pool.n_overflows, 0);
	else if (want_over > 0)
		CHECK(pool.n_overflows > 0);
	CHECK(pool.peak <= pool.cap);
	CHECK_EQ_INT(pool.bytes, 0);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);
out:
	free(bound);
	free(src);
	free(ev);
	free(mark);
	free(seen);
}

static void test_random(void)
{
	/* plenty of room: no cap is hit, so a gap may only cover bytes the
	 * capture never had */
	random_run(1, P_ALL, 64u << 20, 30, true, 0);
	/* a waiting consumer: a gap may give up its tail */
	random_run(2, P_LINES, 64u << 20, 30, false, 0);
	/* few acks: the segment cap is hit */
	random_run(3, P_ALL, 64u << 20, 0, false, 1);
	/* a tight pool: caps are hit, the accounting must still close */
	random_run(4, P_LINES, 3000, 4, false, 1);
	random_run(5, P_ALL, 1500, 4, false, 1);
}

/* reasm_start: a stream begun by a SYN starts at 1 even when its first
 * segment is late; without it the late segment would look old. */
static void test_start(void)
{
	struct reasm_pool pool = { .cap = 1 << 20 };
	struct reasm_dir d;
	memset(&d, 0, sizeof(d));
	cons_reset(P_ALL, 0);
	reasm_start(&d, 1);
	reasm_start(&d, 99); /* no effect once started */
	CHECK_EQ_INT(d.next, 1);
	struct reasm_res r;
	reasm_push(&pool, &d, 6, (const uint8_t *)"world", 5, 5, &sink, &r);
	CHECK(r.held);
	CHECK_EQ_INT(C.consumed, 0);
	reasm_push(&pool, &d, 1, (const uint8_t *)"hello", 5, 5, &sink, &r);
	CHECK_EQ_INT(r.new_bytes, 5);
	CHECK_EQ_INT(C.consumed, 10);
	CHECK(C.n_log == 10 && !memcmp(C.log, "helloworld", 10));
	CHECK_EQ_INT(C.errs, 0);
	reasm_free(&pool, &d);
	CHECK_EQ_INT(pool.bytes, 0);
}

/* ------------------------------------------------ a consumer that holds */

/* Consumes everything, and keeps the last `kept` bytes it consumed (as the
 * TLS layer keeps a record it decrypts as it comes): says if a
 * retransmission of them differs. */
static struct {
	uint8_t seen[64];
	size_t n, kept;
	unsigned calls;
	uint64_t back;
	size_t len;
} H;

static size_t h_data(void *ctx, const uint8_t *data, size_t len, uint64_t seq)
{
	(void)ctx, (void)seq;
	for (size_t i = 0; i < len && H.n < sizeof(H.seen); i++)
		H.seen[H.n++] = data[i];
	return len;
}

static void h_gap(void *ctx, uint64_t seq, uint64_t len)
{
	(void)ctx, (void)seq, (void)len;
}

static bool h_differs(void *ctx, uint64_t back, const uint8_t *data, size_t len)
{
	(void)ctx;
	H.calls++;
	H.back = back;
	H.len = len;
	/* only the last `kept` bytes are known */
	if (back > H.kept || len > back)
		return false;
	return memcmp(H.seen + H.n - back, data, len) != 0;
}

static void test_consumer_differs(void)
{
	struct reasm_pool pool = big_pool();
	struct reasm_dir d = { 0 };
	struct reasm_sink hs = { h_data, h_gap, NULL, h_differs };
	struct reasm_res r;
	memset(&H, 0, sizeof(H));
	H.kept = 6;
	reasm_start(&d, 1);
	reasm_push(&pool, &d, 1, (const uint8_t *)"abcdefghij", 10, 10, &hs, &r);
	CHECK(!r.differs);
	CHECK_EQ_INT(H.calls, 0);
	/* the same bytes again: asked (bytes 5..9 end 2 before the end), they match */
	reasm_push(&pool, &d, 5, (const uint8_t *)"efgh", 4, 4, &hs, &r);
	CHECK(!r.differs);
	CHECK_EQ_INT(r.old_bytes, 4);
	CHECK_EQ_INT(H.calls, 1);
	CHECK_EQ_INT(H.back, 6);
	CHECK_EQ_INT(H.len, 4);
	/* different bytes where the consumer holds them: differs */
	reasm_push(&pool, &d, 7, (const uint8_t *)"gXi", 3, 3, &hs, &r);
	CHECK(r.differs);
	/* different bytes where it no longer holds them: asked (10 back, past
	 * the 6 it keeps), it cannot tell */
	H.calls = 0;
	reasm_push(&pool, &d, 1, (const uint8_t *)"Xb", 2, 2, &hs, &r);
	CHECK(!r.differs);
	CHECK_EQ_INT(H.calls, 1);
	CHECK_EQ_INT(H.back, 10);
	CHECK_EQ_INT(H.len, 2);
	/* part old, part new: only the old part is asked about */
	H.calls = 0;
	reasm_push(&pool, &d, 10, (const uint8_t *)"jkl", 3, 3, &hs, &r);
	CHECK(!r.differs);
	CHECK_EQ_INT(H.calls, 1);
	CHECK_EQ_INT(H.back, 1);
	CHECK_EQ_INT(H.len, 1);
	CHECK_EQ_INT(r.new_bytes, 2);
	/* a sink without the callback: nothing is asked */
	struct reasm_sink plain = { h_data, h_gap, NULL, NULL };
	H.calls = 0;
	reasm_push(&pool, &d, 11, (const uint8_t *)"X", 1, 1, &plain, &r);
	CHECK(!r.differs);
	CHECK_EQ_INT(H.calls, 0);
	reasm_free(&pool, &d);
}

int main(void)
{
	test_consumer_differs();
	for (size_t i = 0; i < sizeof(bigbuf); i++)
		bigbuf[i] = (uint8_t)('A' + i % 23);
	test_in_order();
	test_start();
	test_splits();
	test_permutations();
	test_retransmit();
	test_overlap();
	test_hole_filled();
	test_ack_gap();
	test_flush();
	test_release();
	test_snap_cut();
	test_cap_segs();
	test_cap_bytes();
	test_cap_tail();
	test_cap_pool();
	test_random();
	return t_done("test_reasm");
}
