/* reasm.h - per-direction TCP stream reassembly with bounded memory. */
#ifndef FT_REASM_H
#define FT_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One direction of a connection is a byte stream numbered by 64-bit
 * relative sequence numbers (the flow table's rel_seq).  The reassembler
 * hands the bytes to a consumer strictly in order, each byte once:
 *
 *   - an in-order segment goes straight to the consumer (no copy when
 *     nothing is held back);
 *   - what the consumer does not take (a header cut in the middle) is kept
 *     as the "tail" and offered again, in front of the next bytes;
 *   - a segment beyond the next expected byte waits in the out-of-order
 *     store until the hole before it fills;
 *   - bytes already delivered are trimmed from retransmissions and
 *     overlaps; where the reassembler still holds the earlier copy
 *     (tail or out-of-order store) and the bytes differ, it says so;
 *   - a hole that will never fill is skipped and reported to the
 *     consumer as a gap: when the peer acknowledges past it (the capture
 *     lost data the receiver got), when the snap length cut a payload,
 *     when the out-of-order store hits its cap, and at reasm_flush.
 *
 * Memory: tail and out-of-order bytes are capped per direction and in
 * total (struct reasm_pool).  Hitting a cap never stops decoding: the
 * held bytes are given up as a gap and the direction is marked partial.
 */

#define REASM_TAIL_MAX (66u * 1024)       /* bytes a consumer may leave unconsumed (a 64 KiB DNS message + prefix fits) */
#define REASM_OOO_MAX (256u * 1024)       /* out-of-order bytes held per direction */
#define REASM_MAX_OOO_SEGS 64             /* out-of-order segments held per direction */

/* Shared accounting for every direction of every connection. */
struct reasm_pool {
	uint64_t bytes;        /* bytes held now (tails + out-of-order) */
	uint64_t cap;          /* cap on bytes */
	uint64_t peak;         /* the most ever held at once */
	uint64_t n_overflows;  /* times a cap forced bytes to be given up */
};

/* One held out-of-order segment. */
struct reasm_seg {
	uint64_t seq;          /* relative sequence of data[0] */
	uint32_t len;          /* bytes */
	uint8_t *data;         /* heap copy */
};

/* Reassembly state of one direction; all zero is a valid empty state. */
struct reasm_dir {
	bool started;          /* next is set */
	bool partial;          /* a gap was skipped or a cap hit: the stream has holes */
	uint64_t next;         /* relative sequence of the next byte the consumer gets */
	uint8_t *tail;         /* bytes the consumer left, they end at next */
	uint32_t tail_len;     /* bytes in tail */
	uint32_t tail_cap;     /* bytes allocated */
	struct reasm_seg *ooo; /* out-of-order segments, sorted by seq, not overlapping */
	uint32_t n_ooo;        /* segments in ooo */
	uint32_t ooo_cap;      /* slots allocated in ooo */
	uint32_t ooo_bytes;    /* bytes held in ooo */
	uint64_t delivered;    /* bytes handed to the consumer */
	uint64_t gap_bytes;    /* bytes skipped as gaps */
};

/*
 * The consumer of one direction.  `data` holds every byte not yet
 * consumed, in order, starting at relative sequence `seq`; valid only
 * during the call: it may be the tail (moved or freed when the call
 * returns), a held segment (freed once delivered) or the caller's packet.
 * Anything that must outlive the call, such as a decoded message printed
 * after the packet, is copied by the consumer.  Return how many bytes
 * were consumed from the front (0 .. len): the rest is offered again,
 * with more, next time.  A consumer that returns less than len must be
 * content to wait: it is not called again until new bytes arrive.
 */
typedef size_t (*reasm_data_fn)(void *ctx, const uint8_t *data, size_t len, uint64_t seq);

/* `len` bytes from `seq` will never be seen: skip them (any tail was
 * given up first and is part of the gap). */
typedef void (*reasm_gap_fn)(void *ctx, uint64_t seq, uint64_t len);

/* Optional: data[0..len) come again (a retransmission), bytes the consumer
 * consumed that end `back` bytes before the end of what it consumed
 * (back >= len).  A consumer that still holds them in a form of its own
 * (the TLS layer: a record it decrypts as it comes) says whether they
 * differ; false when it does not know. */
typedef bool (*reasm_differs_fn)(void *ctx, uint64_t back, const uint8_t *data, size_t len);

struct reasm_sink {
	reasm_data_fn data;
	reasm_gap_fn gap;
	void *ctx;
	reasm_differs_fn differs;  /* NULL: the consumer keeps nothing */
};

/* What one reasm_push did. */
struct reasm_res {
	uint32_t new_bytes;    /* bytes of this segment never seen before */
	uint32_t old_bytes;    /* bytes of it already delivered or held */
	bool differs;          /* some old byte differs from the copy still held (here or by the consumer) */
	bool held;             /* stored out of order (waits for a hole to fill) */
	bool overflow;         /* a cap was hit while handling it */
	uint64_t gap;          /* bytes skipped as a gap during this call */
};

/* Say where the stream starts (relative sequence of its first byte), as a
 * SYN does; no effect once the stream has started.  Without it the first
 * push sets the start. */
void reasm_start(struct reasm_dir *d, uint64_t seq);

/*
 * Take one segment: `wire_len` payload bytes from relative sequence
 * `seq`, of which the first `cap_len` were captured (the rest, cut by the
 * snap length, become a gap once they are next in line).  The first push
 * of a direction sets where the stream starts.  Delivers whatever becomes
 * contiguous to the sink.
 */
void reasm_push(struct reasm_pool *pool, struct reasm_dir *d, uint64_t seq, const uint8_t *data,
		uint32_t cap_len, uint32_t wire_len, const struct reasm_sink *sink,
		struct reasm_res *res);

/* The peer acknowledged up to `ack` (relative, in this direction's
 * space): bytes before it that the capture never saw are skipped as a gap
 * and what waits behind them is delivered.  Returns the gap skipped. */
uint64_t reasm_ack(struct reasm_pool *pool, struct reasm_dir *d, uint64_t ack,
		   const struct reasm_sink *sink);

/* The direction ended (FIN, RST, eviction, end of capture): skip every
 * hole, deliver everything held, drop the tail.  Returns the gap skipped. */
uint64_t reasm_flush(struct reasm_pool *pool, struct reasm_dir *d, const struct reasm_sink *sink);

/* The connection leaves without the holes filling (end of capture,
 * eviction): skip each hole in front of a held segment and deliver what
 * was held behind it, so the consumer decodes it after the gap.  Unlike
 * reasm_flush the tail the consumer leaves is kept (reasm_free drops
 * it): an unfinished message at the end is not a loss.  Returns the gap
 * skipped. */
uint64_t reasm_release(struct reasm_pool *pool, struct reasm_dir *d, const struct reasm_sink *sink);

/* Free what a direction holds (its state becomes empty). */
void reasm_free(struct reasm_pool *pool, struct reasm_dir *d);

#endif
