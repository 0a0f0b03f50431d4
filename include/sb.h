/* sb.h - a fixed-capacity line builder with escaping for wire bytes. */
#ifndef FT_SB_H
#define FT_SB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Appends never overflow: past the capacity the line is cut and `cut`
 * is set, so a hostile packet cannot make a line without bound.
 */
struct sb {
	char *buf;     /* caller's storage */
	size_t cap;    /* its size; one byte is kept for the NUL */
	size_t len;    /* bytes used */
	bool cut;      /* something did not fit */
};

void sb_init(struct sb *s, char *buf, size_t cap);
void sb_reset(struct sb *s);
void sb_write_cut(struct sb *s, const char *p, size_t n); /* sb_write when it does not fit */

/* n bytes of trusted text.  Inline: with a literal, n is known when
 * compiling and the copy is a few moves, not a call. */
static inline void sb_write(struct sb *s, const char *p, size_t n)
{
	if (n < s->cap - s->len) {
		memcpy(s->buf + s->len, p, n);
		s->len += n;
		s->buf[s->len] = '\0';
	} else {
		sb_write_cut(s, p, n);
	}
}

/* Inline: a line is built of thousands of these a second, and a literal's
 * length is then known when compiling. */
static inline void sb_putc(struct sb *s, char c)
{
	if (s->cap - s->len <= 1) {
		s->cut = true;
		return;
	}
	s->buf[s->len++] = c;
	s->buf[s->len] = '\0';
}

static inline void sb_puts(struct sb *s, const char *str) /* trusted text only */
{
	sb_write(s, str, strlen(str));
}
void sb_printf(struct sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_pad(struct sb *s, size_t col);                  /* spaces up to column col */
/* Integers in decimal, as "%llu" and "%lld" write them: the hot fields of a
 * line (ports, sequence numbers, lengths) without a format to parse. */
void sb_u64(struct sb *s, uint64_t v);
void sb_i64(struct sb *s, int64_t v);

/* Wire bytes, escaped: 0x20-0x7e as themselves, '\\' as "\\\\", the rest "\\xNN". */
void sb_esc(struct sb *s, const void *bytes, size_t n);
/* The same, and '"' as "\\x22", for bytes printed between quotes. */
void sb_esc_quote(struct sb *s, const void *bytes, size_t n);

/*
 * Wire bytes as the inside of a JSON string (RFC 8259 7), no quotes:
 * '"' and '\\' escaped, control characters (U+0000-U+001F, U+007F and
 * the C1 range U+0080-U+009F) as \b \f \n \r \t or \u00XX; well-formed
 * UTF-8 passes through except U+2028, U+2029 and the bidi controls
 * (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), written as
 * \uXXXX; a byte that is not part of well-formed UTF-8 becomes \u00XX
 * of its own value (read as Latin-1).  The output is pure printable text.
 */
void sb_json_esc(struct sb *s, const void *bytes, size_t n);
/* The same between double quotes: a complete JSON string. */
void sb_json_str(struct sb *s, const void *bytes, size_t n);
/* An IP address: dotted quad, or RFC 5952 text for IPv6. */
void sb_ip(struct sb *s, uint8_t ver, const uint8_t *addr);
/* An endpoint: "192.0.2.1:80" or "[2001:db8::1]:80". */
void sb_endpoint(struct sb *s, uint8_t ver, const uint8_t *addr, uint16_t port);
/* Seconds with microsecond precision from a count of microseconds ("-0.000010" allowed). */
void sb_secs(struct sb *s, int64_t us);
/* A duration for humans: "0.42 ms", "12.3 ms", "1.204 s". */
void sb_dur(struct sb *s, int64_t us);

#endif
