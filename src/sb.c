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

static void sb_putn(struct sb *s, const char *p, size_t n)
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

void sb_write(struct sb *s, const char *p, size_t n) { sb_putn(s, p, n); }

/* v in decimal, written backwards ending at end; returns where it starts.
 * Two digits a step (a table of "00".."99"): half the dependent divisions. */
static char *dec_u64(char *end, uint64_t v)
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

/* Can sb_printf write every conversion of fmt itself?  %u %d %i %x %X %s %c
 * %%, flags '-' and '0', a width, a precision on %s only, the length
 * modifiers; anything else is vsnprintf's. */
static bool fmt_simple(const char *f)
{
	for (;;) {
		while (*f && *f != '%') /* formats are short: a byte loop beats strchr's call */
			f++;
		if (!*f)
			return true;
		f++;
		while (*f == '-' || *f == '0')
			f++;
		if (*f == '*')
			f++;
		else
			while (*f >= '0' && *f <= '9')
				f++;
		bool prec = *f == '.';
		if (prec) {
			f++;
			if (*f == '*')
				f++;
			else
				while (*f >= '0' && *f <= '9')
					f++;
		}
		if (*f == 'h' || *f == 'l')
			f += f[1] == f[0] ? 2 : 1;
		else if (*f == 'z' || *f == 'j' || *f == 't')
			f++;
		switch (*f) {
		case 'u': case 'd': case 'i': case 'x': case 'X':
			if (prec)
				return false; /* a minimum count of digits: rare */
			break;
		case 's': case 'c':
			break;
		case '%':
			if (f[-1] != '%')
				return false; /* "%5%" and the like */
			break;
		default:
			return false;
		}
		f++;
	}
}

/*
 * printf into the line.  The lines of a capture are mostly %u, %s, %llu and
 * %x: those (flags '-' and '0', a width, a precision for %s, the length
 * modifiers) are written here, as C's printf writes them, without stdio's
 * machinery per call; a format with any other conversion goes to
 * vsnprintf whole.  tests/unit/test_sb.c compares the two on every form used.
 */
void sb_printf(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (!fmt_simple(fmt)) {
		sb_vsnprintf(s, fmt, ap);
		va_end(ap);
		return;
	}
	const char *f = fmt;
	while (*f) {
		const char *pct = f;
		while (*pct && *pct != '%')
			pct++;
		if (pct > f)
			sb_putn(s, f, (size_t)(pct - f));
		if (!*pct)
			break;
		f = pct + 1;
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
		if (conv == 'u' || conv == 'x' || conv == 'X' || conv == 'd' || conv == 'i') {
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
		} else { /* "%%": fmt_simple let nothing else through */
			sb_putc(s, '%');
		}
		f++;
	}
	va_end(ap);
}

void sb_pad(struct sb *s, size_t col)
{
	if (s->len < col && !s->cut)
		sb_fill(s, ' ', col - s->len);
}

void sb_u64(struct sb *s, uint64_t v)
{
	char tmp[24];
	const char *p = dec_u64(tmp + sizeof(tmp), v);
	sb_putn(s, p, (size_t)(tmp + sizeof(tmp) - p));
}

static const char hexdig[] = "0123456789abcdef";

static void esc_bytes(struct sb *s, const unsigned char *b, size_t n, bool quote)
{
	for (size_t i = 0; i < n && !s->cut; i++) {
		unsigned char c = b[i];
		if (c == '\\') {
			sb_putn(s, "\\\\", 2);
		} else if (c >= 0x20 && c <= 0x7e && !(quote && c == '"')) {
			sb_putc(s, (char)c);
		} else {
			char e[4] = { '\\', 'x', hexdig[c >> 4], hexdig[c & 15] };
			sb_putn(s, e, 4);
		}
	}
}

void sb_esc(struct sb *s, const void *bytes, size_t n) { esc_bytes(s, bytes, n, false); }

void sb_esc_quote(struct sb *s, const void *bytes, size_t n) { esc_bytes(s, bytes, n, true); }


/* RFC 5952: lower case, leading zeros dropped, the longest run (>= 2) of
 * zero groups shown as "::" (the first such run on a tie). */
static void sb_ip6(struct sb *s, const uint8_t *a)
{
	uint16_t g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
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
		sb_printf(s, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
		return;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			sb_puts(s, "::");
			i += best_len - 1;
			continue;
		}
		if (i > 0 && i != best + best_len)
			sb_putc(s, ':');
		sb_printf(s, "%x", g[i]);
	}
}

void sb_ip(struct sb *s, uint8_t ver, const uint8_t *addr)
{
	if (ver == 6)
		sb_ip6(s, addr);
	else
		sb_printf(s, "%u.%u.%u.%u", addr[0], addr[1], addr[2], addr[3]);
}

void sb_endpoint(struct sb *s, uint8_t ver, const uint8_t *addr, uint16_t port)
{
	if (ver == 6) {
		sb_putc(s, '[');
		sb_ip6(s, addr);
		sb_putc(s, ']');
	} else {
		sb_ip(s, ver, addr);
	}
	sb_putc(s, ':');
	sb_u64(s, port);
}

void sb_secs(struct sb *s, int64_t us)
{
	/* the magnitude as unsigned: -INT64_MIN does not fit in int64_t */
	uint64_t m = (uint64_t)us;
	if (us < 0) {
		sb_putc(s, '-');
		m = 0 - m;
	}
	sb_printf(s, "%llu.%06llu", (unsigned long long)(m / 1000000),
		  (unsigned long long)(m % 1000000));
}

void sb_dur(struct sb *s, int64_t us)
{
	if (us < 0)
		us = 0;
	if (us < 10000)
		sb_printf(s, "%.2f ms", (double)us / 1000.0);
	else if (us < 1000000)
		sb_printf(s, "%.1f ms", (double)us / 1000.0);
	else
		sb_printf(s, "%.3f s", (double)us / 1e6);
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
