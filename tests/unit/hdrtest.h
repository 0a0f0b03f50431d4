/* hdrtest.h - test-only helpers for header blocks (test_hpack.c, test_qpack.c, test_h3.c):
 * struct hpack_headers values as C strings, and the prefix integer encoders write. */
#ifndef FT_HDRTEST_H
#define FT_HDRTEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hpack.h"

/* The value as a C string (tests only use printable values). */
static inline const char *sv(const struct hpack_str *s)
{
	static char buf[4][HPACK_VAL_MAX + 1];
	static int k;
	char *b = buf[k++ & 3];
	if (!s->present)
		return "(absent)";
	memcpy(b, s->b, s->len);
	b[s->len] = '\0';
	return b;
}

/* The first other[] field called name, its value as a C string. */
static inline const char *other(const struct hpack_headers *h, const char *name)
{
	static char buf[HPACK_OVAL_MAX + 1];
	for (unsigned i = 0; i < h->n_other; i++) {
		const struct hpack_field *f = &h->other[i];
		if (f->name_len == strlen(name) && memcmp(f->name, name, f->name_len) == 0) {
			memcpy(buf, f->val, f->val_len);
			buf[f->val_len] = '\0';
			return buf;
		}
	}
	return "(absent)";
}

/* A prefix integer with an N-bit prefix and first-byte flags (RFC 7541 5.1, RFC 9204 4.1.1). */
static inline size_t pint(uint8_t *p, uint8_t flags, unsigned nbits, uint64_t v)
{
	uint64_t max = (1u << nbits) - 1;
	size_t n = 0;
	if (v < max) {
		p[n++] = (uint8_t)(flags | v);
		return n;
	}
	p[n++] = (uint8_t)(flags | max);
	v -= max;
	while (v >= 128) {
		p[n++] = (uint8_t)(0x80 | (v & 0x7f));
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

#endif
