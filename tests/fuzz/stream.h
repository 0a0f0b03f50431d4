/* stream.h - the driver the stream fuzz targets share: two byte streams cut into
 * segments and offered to a consumer the way the reassembler does (unconsumed bytes
 * kept and offered again, in front of the next ones). */
#ifndef FUZZ_STREAM_H
#define FUZZ_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define STREAM_TAIL_MAX (66u * 1024) /* as REASM_TAIL_MAX: more unconsumed is given up as a gap */

/* Consume from data[0..len) of direction dir; return bytes taken (0..len). */
typedef size_t (*stream_feed_fn)(void *ctx, int dir, const uint8_t *data, size_t len);
/* len bytes of direction dir were lost. */
typedef void (*stream_gap_fn)(void *ctx, int dir, uint64_t len);

struct stream_half {
	const uint8_t *src;    /* this direction's bytes */
	size_t src_len, pos;   /* how many, how far offered */
	uint8_t tail[STREAM_TAIL_MAX]; /* offered, not consumed */
	size_t tail_len;
};

/*
 * Input layout: byte 0-1 split point (little endian, modulo the body), byte 2
 * segment size of direction 0 (0 = 1 byte), byte 3 the same for direction 1,
 * byte 4 gap control (0 none, else a gap of data[4] * 37 bytes in direction
 * data[4] & 1 after the first segment), then the body: direction 0's bytes then
 * direction 1's.  Segments alternate between the directions.
 */
static inline void stream_drive(const uint8_t *data, size_t size, void *ctx, stream_feed_fn feed,
				stream_gap_fn gap)
{
	static struct stream_half h[2];
	if (size < 5)
		return;
	const uint8_t *body = data + 5;
	size_t body_len = size - 5;
	size_t split = body_len ? ((size_t)data[0] | (size_t)data[1] << 8) % (body_len + 1) : 0;
	size_t seg[2] = { (size_t)data[2] + 1, (size_t)data[3] + 1 };
	int gap_dir = data[4] & 1;
	uint64_t gap_len = (uint64_t)data[4] * 37;
	h[0].src = body, h[0].src_len = split;
	h[1].src = body + split, h[1].src_len = body_len - split;
	for (int d = 0; d < 2; d++)
		h[d].pos = h[d].tail_len = 0;
	unsigned n_segs = 0;
	while (h[0].pos < h[0].src_len || h[1].pos < h[1].src_len) {
		for (int d = 0; d < 2; d++) {
			struct stream_half *s = &h[d];
			if (s->pos >= s->src_len)
				continue;
			size_t n = s->src_len - s->pos < seg[d] ? s->src_len - s->pos : seg[d];
			const uint8_t *p = s->src + s->pos;
			s->pos += n;
			size_t off;
			if (s->tail_len == 0) { /* nothing held: offered in place, as the reassembler does */
				off = feed(ctx, d, p, n);
				if (off > n)
					__builtin_trap();
				memcpy(s->tail, p + off, n - off);
				s->tail_len = n - off;
			} else {
				if (s->tail_len + n > STREAM_TAIL_MAX) { /* the cap: held bytes become a gap */
					gap(ctx, d, s->tail_len);
					s->tail_len = 0;
				}
				memcpy(s->tail + s->tail_len, p, n);
				s->tail_len += n;
				off = feed(ctx, d, s->tail, s->tail_len);
				if (off > s->tail_len)
					__builtin_trap();
				memmove(s->tail, s->tail + off, s->tail_len - off);
				s->tail_len -= off;
			}
			if (n_segs++ == 0 && gap_len) {
				struct stream_half *g = &h[gap_dir];
				if (g->tail_len) { /* the held bytes are part of the gap */
					gap_len += g->tail_len;
					g->tail_len = 0;
				}
				gap(ctx, gap_dir, gap_len);
			}
		}
	}
}

#endif
