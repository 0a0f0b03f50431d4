/* rd.h - bounds-checked big-endian reads over untrusted packet bytes. */
#ifndef FT_RD_H
#define FT_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every read of packet bytes goes through these.  The invariant
 * off <= len holds for a struct rd at all times, so "len - off" never
 * wraps; tests compare lengths and never form a pointer past the end.
 * A failed read leaves the reader where it was.
 */
struct rd {
	const uint8_t *buf; /* first byte of the slice */
	size_t len;         /* bytes in the slice (captured, not on-the-wire) */
	size_t off;         /* next byte to read */
};

static inline struct rd rd_make(const uint8_t *buf, size_t len)
{
	struct rd r = { buf, len, 0 };
	return r;
}

static inline size_t rd_left(const struct rd *r) { return r->len - r->off; }

static inline bool rd_has(const struct rd *r, size_t n) { return r->len - r->off >= n; }

static inline const uint8_t *rd_ptr(const struct rd *r) { return r->buf + r->off; }

static inline bool rd_skip(struct rd *r, size_t n)
{
	if (!rd_has(r, n))
		return false;
	r->off += n;
	return true;
}

static inline bool rd_u8(struct rd *r, uint8_t *v)
{
	if (!rd_has(r, 1))
		return false;
	*v = r->buf[r->off++];
	return true;
}

static inline bool rd_be16(struct rd *r, uint16_t *v)
{
	if (!rd_has(r, 2))
		return false;
	*v = (uint16_t)((unsigned)r->buf[r->off] << 8 | r->buf[r->off + 1]);
	r->off += 2;
	return true;
}

static inline bool rd_be32(struct rd *r, uint32_t *v)
{
	if (!rd_has(r, 4))
		return false;
	*v = (uint32_t)r->buf[r->off] << 24 | (uint32_t)r->buf[r->off + 1] << 16 |
	     (uint32_t)r->buf[r->off + 2] << 8 | (uint32_t)r->buf[r->off + 3];
	r->off += 4;
	return true;
}

static inline bool rd_le16(struct rd *r, uint16_t *v)
{
	if (!rd_has(r, 2))
		return false;
	*v = (uint16_t)(r->buf[r->off] | (unsigned)r->buf[r->off + 1] << 8);
	r->off += 2;
	return true;
}

static inline bool rd_le32(struct rd *r, uint32_t *v)
{
	if (!rd_has(r, 4))
		return false;
	*v = (uint32_t)r->buf[r->off] | (uint32_t)r->buf[r->off + 1] << 8 |
	     (uint32_t)r->buf[r->off + 2] << 16 | (uint32_t)r->buf[r->off + 3] << 24;
	r->off += 4;
	return true;
}

/* Copy n bytes out; false (and nothing copied) when fewer are left. */
static inline bool rd_copy(struct rd *r, void *dst, size_t n)
{
	if (!rd_has(r, n))
		return false;
	for (size_t i = 0; i < n; i++)
		((uint8_t *)dst)[i] = r->buf[r->off + i];
	r->off += n;
	return true;
}

/* A sub-slice of the next n bytes; the parent moves past them. */
static inline bool rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	if (!rd_has(r, n))
		return false;
	*sub = rd_make(r->buf + r->off, n);
	r->off += n;
	return true;
}

#endif
