/* sb.c - line builder: bounded appends, escaping of wire bytes, addresses, times. */
#include "sb.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void sb_init(struct sb *s, char *buf, size_t cap)
{
	s->buf = buf;
	s->cap = cap;
	sb_reset(s);
}

void sb_reset(struct sb *s)
{
	s->len = 0;
	s->cut = false;
	if (s->cap)
		s->buf[0] = '\0';
}

/* The part of p[0..n) that fits, and the line marked cut. */
void sb_write_cut(struct sb *s, const char *p, size_t n)
{
	size_t room = s->cap - s->len - 1;
	if (n > room) {
		n = room;
		s->cut = true;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static inline void sb_putn(struct sb *s, const char *p, size_t n) { sb_write(s, p, n); }

/*
 * A field of at most `max` bytes is written in place: sb_at gives the end
 * of the line when the field and the NUL fit there, else tmp (max bytes);
 * sb_done(s, tmp, start, end) then takes the field start..end, moving the
 * length when it was written in place, or appending from tmp what fits
 * (the line is cut as any append cuts it).
 */
static inline char *sb_at(struct sb *s, char *tmp, size_t max)
{
	return s->cap - s->len > max ? s->buf + s->len : tmp;
}

static inline void sb_done(struct sb *s, char *tmp, char *start, char *end)
{
	if (start == tmp) {
		sb_write(s, tmp, (size_t)(end - tmp));
	} else {
		s->len = (size_t)(end - s->buf);
		*end = '\0';
	}
}

/* v in decimal, written backwards ending at end; returns where it starts.
 * Two digits a step (a table of "00".."99"): half the dependent divisions. */
static inline char *dec_u64(char *end, uint64_t v)
{
	static const char d2[201] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char *p = end;
	while (v > UINT32_MAX) {
		*--p = (char)('0' + v % 10);
		v /= 10;
	}
	uint32_t w = (uint32_t)v;
	while (w >= 100) {
		uint32_t r = w % 100;
		w /= 100;
		p -= 2;
		memcpy(p, d2 + 2 * r, 2);
	}
	if (w >= 10) {
		p -= 2;
		memcpy(p, d2 + 2 * w, 2);
	} else {
		*--p = (char)('0' + w);
	}
	return p;
}

/* The digits of v in decimal: compares, most numbers on a line being short. */
static inline size_t dec_width(uint64_t v)
{
	if (v < 10)
		return 1;
	if (v < 100)
		return 2;
	if (v < 10000)
		return 3 + (v >= 1000);
	size_t n = 5;
	for (uint64_t p10 = 100000; n < 20 && v >= p10; p10 *= 10) /* n < 20: 10^19 the last */
		n++;
	return n;
}

/* v in decimal at p; returns the end. */
static inline char *dec_put(char *p, uint64_t v)
{
	char *end = p + dec_width(v);
	dec_u64(end, v);
	return end;
}

/* v (0-999999) in six digits, zeros first, at p; returns the end. */
static inline char *dec_put6(char *p, uint32_t v)
{
	char tmp[8];
	char *q = dec_u64(tmp + 7, (uint64_t)v + 1000000); /* "1dddddd": the leading 1 dropped */
	memcpy(p, q + 1, 6);
	return p + 6;
}

/* vsnprintf into the line: the general case, for conversions sb_printf
 * does not write itself (floating point, '#', '+', ...). */
static void sb_vsnprintf(struct sb *s, const char *fmt, va_list ap)
{
	size_t room = s->cap - s->len;
	int n = vsnprintf(s->buf + s->len, room, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		s->len = s->cap - 1;
		s->cut = true;
	} else {
		s->len += (size_t)n;
	}
}

/* n copies of c. */
static void sb_fill(struct sb *s, char c, size_t n)
{
	size_t room = s->cap - s->len - 1;
	if (n > room) {
		n = room;
		s->cut = true;
	}
	memset(s->buf + s->len, c, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

/* p[0..n) in a field of `width`, padded with spaces (left-justified with
 * `left`), or zeros after a sign for a number (`zero`). */
static inline void sb_field(struct sb *s, const char *p, size_t n, size_t width, bool left,
			    bool zero)
{
	if (width <= n) { /* most fields: no padding */
		sb_putn(s, p, n);
		return;
	}
	size_t pad = width - n;
	if (left) {
		sb_putn(s, p, n);
		sb_fill(s, ' ', pad);
	} else if (zero) {
		size_t sign = n > 0 && p[0] == '-';
		sb_putn(s, p, sign);
		sb_fill(s, '0', pad);
		sb_putn(s, p + sign, n - sign);
	} else {
		sb_fill(s, ' ', pad);
		sb_putn(s, p, n);
	}
}

/*
 * printf into the line.  The lines of a capture are mostly %u, %s, %llu and
 * %x: those (flags '-' and '0', a width, a precision for %s, the length
 * modifiers) are written here, as C's printf writes them, without stdio's
 * machinery per call, in one pass over the format.  At any other conversion
 * (floating point, '#', '+', a precision on a number, "%5%") what was
 * written is taken back and the whole call goes to vsnprintf, from a copy
 * of the arguments made before the first.  tests/unit/test_sb.c compares
 * the two on every form used.
 */
void sb_printf(struct sb *s, const char *fmt, ...)
{
	va_list ap, ap0;
	va_start(ap, fmt);
	va_copy(ap0, ap);
	size_t len0 = s->len;
	bool cut0 = s->cut;
	const char *f = fmt;
	while (*f) {
		const char *pct = f;
		while (*pct && *pct != '%') /* formats are short: a byte loop beats strchr's call */
			pct++;
		if (pct > f)
			sb_putn(s, f, (size_t)(pct - f));
		if (!*pct)
			break;
		f = pct + 1;
		if (*f == '%') { /* "%%" */
			sb_putc(s, '%');
			f++;
			continue;
		}
		bool left = false, zero = false;
		for (;; f++) {
			if (*f == '-')
				left = true;
			else if (*f == '0')
				zero = true;
			else
				break;
		}
		size_t width = 0;
		int prec = -1;
		if (*f == '*') {
			int w = va_arg(ap, int);
			if (w < 0) {
				left = true;
				w = -w;
			}
			width = (size_t)w;
			f++;
		} else {
			while (*f >= '0' && *f <= '9' && width < 100000)
				width = width * 10 + (size_t)(*f++ - '0');
		}
		if (*f == '.') {
			f++;
			prec = 0;
			if (*f == '*') {
				prec = va_arg(ap, int);
				f++;
			} else {
				while (*f >= '0' && *f <= '9' && prec < 100000)
					prec = prec * 10 + (*f++ - '0');
			}
		}
		int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t, 4 intmax_t, 5 ptrdiff_t */
		int half = 0; /* 1 h, 2 hh */
		if (*f == 'h') {
			half = f[1] == 'h' ? 2 : 1; /* promoted to int: converted below */
			f += half;
		} else if (*f == 'l') {
			lng = f[1] == 'l' ? 2 : 1;
			f += lng;
		} else if (*f == 'z' || *f == 'j' || *f == 't') {
			lng = *f == 'z' ? 3 : *f == 'j' ? 4 : 5;
			f++;
		}
		char conv = *f;
		char num[24];
		size_t i = sizeof(num);
		if ((conv == 'u' || conv == 'x' || conv == 'X' || conv == 'd' || conv == 'i') &&
		    prec < 0) {
			bool neg = false;
			uintmax_t v;
			if (conv == 'd' || conv == 'i') {
				intmax_t sv = lng == 1 ? va_arg(ap, long) : lng == 2 ? va_arg(ap, long long)
					    : lng == 3 ? (intmax_t)va_arg(ap, size_t)
					    : lng == 4 ? va_arg(ap, intmax_t)
					    : lng == 5 ? (intmax_t)va_arg(ap, ptrdiff_t) : va_arg(ap, int);
				if (half)
					sv = half == 2 ? (signed char)sv : (short)sv;
				neg = sv < 0;
				v = neg ? (uintmax_t)0 - (uintmax_t)sv : (uintmax_t)sv;
			} else {
				v = lng == 1 ? va_arg(ap, unsigned long) : lng == 2 ? va_arg(ap, unsigned long long)
				  : lng == 3 ? va_arg(ap, size_t) : lng == 4 ? va_arg(ap, uintmax_t)
				  : lng == 5 ? (uintmax_t)va_arg(ap, ptrdiff_t) : va_arg(ap, unsigned);
				if (half)
					v = half == 2 ? (unsigned char)v : (unsigned short)v;
			}
			if (conv == 'x' || conv == 'X') {
				const char *dig = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
				do {
					num[--i] = dig[v & 15];
					v >>= 4;
				} while (v);
			} else {
				i = (size_t)(dec_u64(num + sizeof(num), v) - num);
			}
			if (neg)
				num[--i] = '-';
			sb_field(s, num + i, sizeof(num) - i, width, left, zero);
		} else if (conv == 's') {
			const char *str = va_arg(ap, const char *);
			if (!str) /* as the C library words it */
				str = prec < 0 || prec >= 6 ? "(null)" : "";
			size_t n = prec >= 0 ? strnlen(str, (size_t)prec) : strlen(str);
			sb_field(s, str, n, width, left, false);
		} else if (conv == 'c') {
			num[0] = (char)va_arg(ap, int);
			sb_field(s, num, 1, width, left, false);
		} else { /* not ours: vsnprintf writes the whole call */
			s->len = len0;
			s->cut = cut0;
			s->buf[len0] = '\0';
			sb_vsnprintf(s, fmt, ap0);
			break;
		}
		f++;
	}
	va_end(ap0);
	va_end(ap);
}

void sb_pad(struct sb *s, size_t col)
{
	if (s->len >= col || s->cut)
		return;
	size_t n = col - s->len;
	/* A column's padding is short: one fixed-size fill (a few stores) past
	 * the end when there is room for it, and the length moved by n. */
	if (n <= 64 && s->cap - s->len > 64) {
		memset(s->buf + s->len, ' ', 64);
		s->len = col;
		s->buf[col] = '\0';
		return;
	}
	sb_fill(s, ' ', n);
}

void sb_u64(struct sb *s, uint64_t v)
{
	if (v < 10 && s->cap - s->len > 1) { /* 0, 1, a flag or a count: many of --json's */
		s->buf[s->len++] = (char)('0' + v);
		s->buf[s->len] = '\0';
		return;
	}
	char tmp[20];
	char *p = sb_at(s, tmp, sizeof(tmp));
	sb_done(s, tmp, p, dec_put(p, v));
}

void sb_i64(struct sb *s, int64_t v)
{
	char tmp[21];
	char *p = sb_at(s, tmp, sizeof(tmp)), *q = p;
	uint64_t m = (uint64_t)v; /* the magnitude as unsigned: -INT64_MIN does not fit */
	if (v < 0) {
		*q++ = '-';
		m = 0 - m;
	}
	sb_done(s, tmp, p, dec_put(q, m));
}

static const char hexdig[] = "0123456789abcdef";

static void esc_bytes(struct sb *s, const unsigned char *b, size_t n, bool quote)
{
	for (size_t i = 0; i < n && !s->cut;) {
		/* a run of bytes written as themselves: one copy */
		size_t j = i;
		while (j < n && b[j] >= 0x20 && b[j] <= 0x7e && b[j] != '\\' && !(quote && b[j] == '"'))
			j++;
		if (j > i) {
			sb_putn(s, (const char *)b + i, j - i);
			i = j;
			continue;
		}
		unsigned char c = b[i++];
		if (c == '\\') {
			sb_putn(s, "\\\\", 2);
		} else {
			char e[4] = { '\\', 'x', hexdig[c >> 4], hexdig[c & 15] };
			sb_putn(s, e, 4);
		}
	}
}

void sb_esc(struct sb *s, const void *bytes, size_t n) { esc_bytes(s, bytes, n, false); }

void sb_esc_quote(struct sb *s, const void *bytes, size_t n) { esc_bytes(s, bytes, n, true); }


/* A dotted quad at p; returns the end (at most 15 bytes). */
static char *put_ip4(char *p, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];
		if (i)
			*p++ = '.';
		if (v >= 100) {
			*p++ = (char)('0' + v / 100);
			v %= 100;
			*p++ = (char)('0' + v / 10);
		} else if (v >= 10) {
			*p++ = (char)('0' + v / 10);
		}
		*p++ = (char)('0' + v % 10);
	}
	return p;
}

/* RFC 5952 at p: lower case, leading zeros dropped, the longest run (>= 2)
 * of zero groups shown as "::" (the first such run on a tie); returns the
 * end (at most 39 bytes). */
static char *put_ip6(char *p, const uint8_t *a)
{
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)(a[2 * i] << 8 | a[2 * i + 1]);
	int best = -1, best_len = 0;
	for (int i = 0; i < 8;) {
		if (g[i]) {
			i++;
			continue;
		}
		int j = i;
		while (j < 8 && !g[j])
			j++;
		if (j - i > best_len && j - i >= 2)
			best = i, best_len = j - i;
		i = j;
	}
	/* IPv4-mapped ::ffff:a.b.c.d */
	if (best == 0 && best_len == 5 && g[5] == 0xffff) {
		memcpy(p, "::ffff:", 7);
		return put_ip4(p + 7, a + 12);
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			*p++ = ':';
			*p++ = ':';
			i += best_len - 1;
			continue;
		}
		if (i > 0 && i != best + best_len)
			*p++ = ':';
		unsigned v = g[i];
		if (v >= 0x1000)
			*p++ = hexdig[v >> 12];
		if (v >= 0x100)
			*p++ = hexdig[v >> 8 & 15];
		if (v >= 0x10)
			*p++ = hexdig[v >> 4 & 15];
		*p++ = hexdig[v & 15];
	}
	return p;
}

void sb_ip(struct sb *s, uint8_t ver, const uint8_t *addr)
{
	char tmp[40];
	char *p = sb_at(s, tmp, sizeof(tmp));
	sb_done(s, tmp, p, ver == 6 ? put_ip6(p, addr) : put_ip4(p, addr));
}

void sb_endpoint(struct sb *s, uint8_t ver, const uint8_t *addr, uint16_t port)
{
	char tmp[48]; /* "[" 39 "]:" 5 */
	char *p = sb_at(s, tmp, sizeof(tmp)), *q = p;
	if (ver == 6) {
		*q++ = '[';
		q = put_ip6(q, addr);
		*q++ = ']';
	} else {
		q = put_ip4(q, addr);
	}
	*q++ = ':';
	sb_done(s, tmp, p, dec_put(q, port));
}

void sb_secs(struct sb *s, int64_t us)
{
	char tmp[21]; /* "-9223372036854.775808" */
	char *p = sb_at(s, tmp, sizeof(tmp)), *q = p;
	uint64_t m = (uint64_t)us; /* the magnitude as unsigned: -INT64_MIN does not fit */
	if (us < 0) {
		*q++ = '-';
		m = 0 - m;
	}
	q = dec_put(q, m / 1000000);
	*q++ = '.';
	sb_done(s, tmp, p, dec_put6(q, (uint32_t)(m % 1000000)));
}

/*
 * v / 10^k with `prec` decimals (k > prec), rounded as printf rounds the
 * double v / 10^k ("%.*f"): the decimals are v / 10^(k - prec) rounded, and
 * only a tie (the dropped digits exactly half) depends on which way the
 * division's double fell, so a tie, or a v too large for the double to hold
 * a hundredth of a microsecond, goes to printf itself.
 */
static void sb_fixed(struct sb *s, uint64_t v, unsigned k, unsigned prec, const char *unit)
{
	static const uint64_t p10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
	uint64_t div = p10[k - prec], half = div / 2, r = v % div;
	if (r == half || v >= (uint64_t)1 << 40) {
		sb_printf(s, "%.*f%s", (int)prec, (double)v / (double)p10[k], unit);
		return;
	}
	uint64_t q = v / div + (r > half); /* the value in units of 10^-prec */
	sb_u64(s, q / p10[prec]);
	char frac[8];
	char *end = dec_u64(frac + sizeof(frac), q % p10[prec] + p10[prec]); /* "1ddd" */
	*end = '.'; /* the leading 1 kept the zeros after the point */
	sb_write(s, end, (size_t)(frac + sizeof(frac) - end));
	sb_puts(s, unit);
}

void sb_dur(struct sb *s, int64_t us)
{
	if (us < 0)
		us = 0;
	if (us < 10000)
		sb_fixed(s, (uint64_t)us, 3, 2, " ms");
	else if (us < 1000000)
		sb_fixed(s, (uint64_t)us, 3, 1, " ms");
	else
		sb_fixed(s, (uint64_t)us, 6, 3, " s");
}

/* ------------------------------------------------------------------ */
/* JSON strings (RFC 8259 7; UTF-8 per RFC 3629 4)                     */
/* ------------------------------------------------------------------ */

static void json_u(struct sb *s, unsigned cp)
{
	char e[6] = { '\\', 'u', hexdig[cp >> 12 & 15], hexdig[cp >> 8 & 15],
		      hexdig[cp >> 4 & 15], hexdig[cp & 15] };
	sb_putn(s, e, 6);
}

/* Length of the well-formed UTF-8 sequence at b[0..n) (2-4), with its code
 * point in *cp; 0 when b[0] does not start one (RFC 3629 4: no overlong
 * forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *b, size_t n, unsigned *cp)
{
	unsigned char c = b[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (n < len || b[1] < lo || b[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (b[k] < 0x80 || b[k] > 0xbf)
			return 0;
	unsigned v = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
	for (size_t k = 1; k < len; k++)
		v = v << 6 | (b[k] & 0x3f);
	*cp = v;
	return len;
}

/* Code points that are well-formed but that a terminal may act on. */
static bool json_risky(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void sb_json_esc(struct sb *s, const void *bytes, size_t n)
{
	const unsigned char *b = bytes;
	for (size_t i = 0; i < n && !s->cut;) {
		/* a run of printable ASCII written as itself: one copy */
		size_t j = i;
		while (j < n && b[j] >= 0x20 && b[j] < 0x7f && b[j] != '"' && b[j] != '\\')
			j++;
		if (j > i) {
			sb_putn(s, (const char *)b + i, j - i);
			i = j;
			continue;
		}
		unsigned char c = b[i];
		if (c < 0x80) {
			i++;
			switch (c) {
			case '"': sb_putn(s, "\\\"", 2); break;
			case '\\': sb_putn(s, "\\\\", 2); break;
			case '\b': sb_putn(s, "\\b", 2); break;
			case '\f': sb_putn(s, "\\f", 2); break;
			case '\n': sb_putn(s, "\\n", 2); break;
			case '\r': sb_putn(s, "\\r", 2); break;
			case '\t': sb_putn(s, "\\t", 2); break;
			default:
				if (c < 0x20 || c == 0x7f)
					json_u(s, c);
				else
					sb_putc(s, (char)c);
			}
			continue;
		}
		unsigned cp;
		size_t len = utf8_seq(b + i, n - i, &cp);
		if (len == 0) {
			json_u(s, c); /* not UTF-8: the byte's value as a code point */
			i++;
		} else if (json_risky(cp)) {
			json_u(s, cp);
			i += len;
		} else {
			sb_putn(s, (const char *)b + i, len);
			i += len;
		}
	}
}

void sb_json_str(struct sb *s, const void *bytes, size_t n)
{
	sb_putc(s, '"');
	sb_json_esc(s, bytes, n);
	sb_putc(s, '"');
}
