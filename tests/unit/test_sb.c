/* test_sb.c - the line builder: escaping of hostile bytes, caps, addresses, times. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sb.h"
#include "t.h"

static char buf[256];
static struct sb s;

static const char *esc(const void *b, size_t n)
{
	sb_init(&s, buf, sizeof(buf));
	sb_esc(&s, b, n);
	return buf;
}

/* sb_printf writes the common conversions itself: it must write what C's
 * printf writes, whole and cut at the line's capacity.  Each call appends
 * after a prefix, so a conversion in the middle of a line is checked. */
static int n_fmt_bad;

#define SAME(...)                                                                   \
	do {                                                                        \
		char want_[64], got_[64], small_[12];                               \
		snprintf(want_, sizeof(want_), "ab" __VA_ARGS__);                   \
		struct sb t_;                                                       \
		sb_init(&t_, got_, sizeof(got_));                                   \
		sb_puts(&t_, "ab");                                                 \
		sb_printf(&t_, __VA_ARGS__);                                        \
		if (strcmp(want_, got_) || t_.len != strlen(want_) || t_.cut) {     \
			fprintf(stderr, "sb_printf(%s): \"%s\", printf: \"%s\"\n", \
				#__VA_ARGS__, got_, want_);                         \
			n_fmt_bad++;                                                \
		}                                                                   \
		/* cut at a capacity of 12: the same prefix, and marked cut */     \
		sb_init(&t_, small_, sizeof(small_));                               \
		sb_puts(&t_, "ab");                                                 \
		sb_printf(&t_, __VA_ARGS__);                                        \
		if (strncmp(small_, want_, sizeof(small_) - 1) ||                   \
		    t_.cut != (strlen(want_) >= sizeof(small_))) {                  \
			fprintf(stderr, "sb_printf(%s) cut: \"%s\"\n", #__VA_ARGS__, \
				small_);                                            \
			n_fmt_bad++;                                                \
		}                                                                   \
	} while (0)

static void test_printf(void)
{
	SAME("plain text");
	SAME("%u", 0u);
	SAME("%u", 4294967295u);
	SAME("x %u y %u z", 7u, 12345u);
	SAME("%llu", 18446744073709551615ull);
	SAME("%lld", -9223372036854775807ll - 1);
	SAME("%lld ms", 42ll);
	SAME("%d|%i", -5, 2147483647);
	SAME("%d", -2147483647 - 1);
	SAME("%ld %lu", -3l, 3ul);
	SAME("%zu", (size_t)123456789);
	SAME("%x %X", 0xbeefu, 0xbeefu);
	SAME("%04x", 0x1au);
	SAME("%02x%02x", 0u, 0xabu);
	SAME("%08x", 0xdeadbeefu);
	SAME("%llx", 0x123456789abcdefull);
	SAME("%06llu", 42ull);
	SAME("%llu.%06llu", 12ull, 5ull);
	SAME("%u %u %u %u %u %u %u", 9u, 10u, 99u, 100u, 101u, 999u, 1000u);
	SAME("%llu %llu %llu", 4294967295ull, 4294967296ull, 10000000000000000000ull);
	SAME("%lld %d", -100ll, -99);
	/* sb_u64 the same as %llu, around every power of ten */
	int u64_bad = 0;
	for (uint64_t p10 = 1, k = 0; k < 20; k++, p10 *= 10) {
		for (int d = -1; d <= 1; d++) {
			uint64_t v = p10 + (uint64_t)(int64_t)d;
			char want[32], got[32];
			snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
			struct sb t;
			sb_init(&t, got, sizeof(got));
			sb_u64(&t, v);
			u64_bad += strcmp(want, got) != 0;
		}
	}
	CHECK_EQ_INT(u64_bad, 0);
	SAME("%5u|%-5u|%05d|%-5d", 42u, 42u, -42, -42);
	SAME("%hu %hhu %hd %hhd", 70000, 300, 40000, 200);
	SAME("%s", "");
	SAME("[%s]", "abc");
	SAME("%-8s|", "ab");
	SAME("%8s|", "ab");
	SAME("%.3s|", "abcdef");
	SAME("%.*s|", 2, "abcdef");
	SAME("%-*s|", 6, "ab");
	SAME("%*s|", -6, "ab");
	SAME("%*u|", 6, 1u);
	SAME("%c%c", 'a', 'Z');
	SAME("%3c|%-3c|", 'a', 'b');
	SAME("100%%");
	SAME("%%%u%%", 5u);
	/* the general path: whole calls handed to vsnprintf */
	SAME("%.2f ms", 1.005);
	SAME("%u then %.1f", 3u, 2.25);
	SAME("%#x", 255u);
	SAME("%+d", 5);
	SAME("%.3u", 5u);
	CHECK_EQ_INT(n_fmt_bad, 0);
}

int main(void)
{
	test_printf();
	/* printable ASCII stays, backslash doubles, everything else is \xNN */
	CHECK_EQ_STR(esc("www.example.com", 15), "www.example.com");
	CHECK_EQ_STR(esc("a\\b", 3), "a\\\\b");
	CHECK_EQ_STR(esc("\x1b[31mred", 8), "\\x1b[31mred");          /* CSI */
	CHECK_EQ_STR(esc("\x1b]0;title\x07", 10), "\\x1b]0;title\\x07"); /* OSC */
	CHECK_EQ_STR(esc("\xe2\x80\xae", 3), "\\xe2\\x80\\xae");        /* U+202E bidi override */
	CHECK_EQ_STR(esc("a\0b", 3), "a\\x00b");
	CHECK_EQ_STR(esc("\x7f\x80\xff\n\r\t", 6), "\\x7f\\x80\\xff\\x0a\\x0d\\x09");

	/* between quotes a quote is escaped too, so strings cannot seem to end early */
	sb_init(&s, buf, sizeof(buf));
	sb_esc_quote(&s, "say \"hi\"\\", 9);
	CHECK_EQ_STR(buf, "say \\x22hi\\x22\\\\");
	CHECK_EQ_STR(esc("say \"hi\"", 8), "say \"hi\"");

	/* a small buffer cuts, never overflows, and says so */
	char small[8];
	struct sb t;
	sb_init(&t, small, sizeof(small));
	sb_esc(&t, "\x01\x02\x03", 3);
	CHECK(t.cut);
	CHECK(t.len < sizeof(small));
	CHECK_EQ_INT(small[t.len], 0);
	sb_init(&t, small, sizeof(small));
	sb_printf(&t, "%s", "0123456789");
	CHECK(t.cut);
	CHECK_EQ_STR(small, "0123456");

	/* addresses, RFC 5952 */
	static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x80 };
	static const uint8_t v6b[16] = { [15] = 1 };
	static const uint8_t v6c[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t v6d[16] = { [10] = 0xff, [11] = 0xff, [12] = 192, [13] = 0, [14] = 2, [15] = 1 };
	static const uint8_t v6e[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 };
	static const uint8_t v4[16] = { 192, 0, 2, 80 };
	sb_init(&s, buf, sizeof(buf));
	sb_ip(&s, 6, v6a);
	CHECK_EQ_STR(buf, "2001:db8::80");
	sb_init(&s, buf, sizeof(buf));
	sb_endpoint(&s, 6, v6b, 443);
	CHECK_EQ_STR(buf, "[::1]:443");
	sb_init(&s, buf, sizeof(buf));
	sb_ip(&s, 6, v6c);
	CHECK_EQ_STR(buf, "2001:db8:0:1::1");
	sb_init(&s, buf, sizeof(buf));
	sb_ip(&s, 6, v6d);
	CHECK_EQ_STR(buf, "::ffff:192.0.2.1");
	sb_init(&s, buf, sizeof(buf));
	sb_ip(&s, 6, v6e); /* two runs of equal length: the first one shortens */
	CHECK_EQ_STR(buf, "2001:db8::1:0:0:1");
	sb_init(&s, buf, sizeof(buf));
	sb_endpoint(&s, 4, v4, 80);
	CHECK_EQ_STR(buf, "192.0.2.80:80");

	/* times */
	sb_init(&s, buf, sizeof(buf));
	sb_secs(&s, 1234567);
	CHECK_EQ_STR(buf, "1.234567");
	sb_init(&s, buf, sizeof(buf));
	sb_secs(&s, -10);
	CHECK_EQ_STR(buf, "-0.000010");
	/* the extremes: no signed overflow negating INT64_MIN (issue 9) */
	sb_init(&s, buf, sizeof(buf));
	sb_secs(&s, INT64_MIN);
	CHECK_EQ_STR(buf, "-9223372036854.775808");
	sb_init(&s, buf, sizeof(buf));
	sb_secs(&s, INT64_MAX);
	CHECK_EQ_STR(buf, "9223372036854.775807");
	sb_init(&s, buf, sizeof(buf));
	sb_dur(&s, 430);
	CHECK_EQ_STR(buf, "0.43 ms");
	sb_init(&s, buf, sizeof(buf));
	sb_dur(&s, 123456);
	CHECK_EQ_STR(buf, "123.5 ms");
	sb_init(&s, buf, sizeof(buf));
	sb_dur(&s, 2500000);
	CHECK_EQ_STR(buf, "2.500 s");
	return t_done("test_sb");
}
