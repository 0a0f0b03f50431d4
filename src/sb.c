/* sb.c - line builder: bounded appends, escaping of wire bytes, addresses, times. */
#include "sb.h"

#include <stdarg.h>
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

void sb_putc(struct sb *s, char c)
{
	if (s->cap - s->len <= 1) {
		s->cut = true;
		return;
	}
	s->buf[s->len++] = c;
	s->buf[s->len] = '\0';
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

void sb_puts(struct sb *s, const char *str) { sb_putn(s, str, strlen(str)); }

void sb_printf(struct sb *s, const char *fmt, ...)
{
	size_t room = s->cap - s->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->buf + s->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		s->len = s->cap - 1;
		s->cut = true;
	} else {
		s->len += (size_t)n;
	}
}

void sb_pad(struct sb *s, size_t col)
{
	while (s->len < col && !s->cut)
		sb_putc(s, ' ');
}

void sb_u64(struct sb *s, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	sb_putn(s, tmp + i, sizeof(tmp) - i);
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
	if (us < 0) {
		sb_putc(s, '-');
		us = -us;
	}
	sb_printf(s, "%lld.%06lld", (long long)(us / 1000000), (long long)(us % 1000000));
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
