/* test_sb.c - the line builder: escaping of hostile bytes, caps, addresses, times. */
#include <stdarg.h>
#include <stdbool.h>
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

/* ---------------------------------------------------------------- */
/* the direct appenders against printf and a reference RFC 5952      */
/* ---------------------------------------------------------------- */

static int n_direct_bad;

/* An appender called after "ab" must write `want` after it, and at every
 * smaller capacity the prefix that fits, marked cut. */
#define SAME_AS(want, call)                                                        \
	do {                                                                       \
		char got_[128];                                                    \
		char full_[160];                                                   \
		snprintf(full_, sizeof(full_), "ab%s", (want));                    \
		for (size_t cap_ = 3; cap_ <= strlen(full_) + 2; cap_++) {         \
			struct sb t_;                                              \
			sb_init(&t_, got_, cap_);                                  \
			sb_puts(&t_, "ab");                                        \
			call;                                                      \
			bool fits_ = strlen(full_) < cap_;                          \
			if (strncmp(got_, full_, cap_ - 1) || t_.cut == fits_ ||   \
			    t_.len != strlen(got_) || got_[t_.len] != '\0') {      \
				fprintf(stderr, "%s at cap %zu: \"%s\", want \"%s\"\n", \
					#call, cap_, got_, full_);                 \
				n_direct_bad++;                                    \
				break;                                             \
			}                                                          \
		}                                                                  \
	} while (0)

/* RFC 5952 text written plainly with snprintf: what sb_ip must match. */
static void ref_ip6(char *out, size_t cap, const uint8_t *a)
{
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)(a[2 * i] << 8 | a[2 * i + 1]);
	int best = -1, best_len = 0;
	for (int i = 0; i < 8; i++) {
		int j = i;
		while (j < 8 && !g[j])
			j++;
		if (j - i >= 2 && j - i > best_len)
			best = i, best_len = j - i;
	}
	if (best == 0 && best_len == 5 && g[5] == 0xffff) {
		snprintf(out, cap, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
		return;
	}
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			n += (size_t)snprintf(out + n, cap - n, "::");
			i += best_len - 1;
			continue;
		}
		n += (size_t)snprintf(out + n, cap - n, "%s%x",
				      i > 0 && i != best + best_len ? ":" : "", g[i]);
	}
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) /* xorshift64: the same numbers every run */
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void test_direct(void)
{
	char want[128];
	/* integers around every power of ten, both signs, and the extremes */
	for (uint64_t p10 = 1, k = 0; k < 20; k++, p10 *= 10) {
		for (int d = -1; d <= 1; d++) {
			uint64_t v = p10 + (uint64_t)(int64_t)d;
			snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
			SAME_AS(want, sb_u64(&t_, v));
			snprintf(want, sizeof(want), "%lld", (long long)v);
			SAME_AS(want, sb_i64(&t_, (int64_t)v));
			snprintf(want, sizeof(want), "%lld", -(long long)(v & INT64_MAX));
			SAME_AS(want, sb_i64(&t_, -(int64_t)(v & INT64_MAX)));
		}
	}
	SAME_AS("0", sb_u64(&t_, 0));
	SAME_AS("18446744073709551615", sb_u64(&t_, UINT64_MAX));
	SAME_AS("-9223372036854775808", sb_i64(&t_, INT64_MIN));
	SAME_AS("9223372036854775807", sb_i64(&t_, INT64_MAX));

	/* IPv4: every octet value in each position */
	for (unsigned v = 0; v < 256; v++) {
		uint8_t a[4] = { (uint8_t)v, (uint8_t)(255 - v), (uint8_t)(v * 7), (uint8_t)(v / 3) };
		snprintf(want, sizeof(want), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		SAME_AS(want, sb_ip(&t_, 4, a));
		snprintf(want, sizeof(want), "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], v * 257);
		SAME_AS(want, sb_endpoint(&t_, 4, a, (uint16_t)(v * 257)));
	}
	/* IPv6: every pattern of zero groups, the others of every width */
	for (unsigned zmask = 0; zmask < 256; zmask++) {
		for (unsigned w = 0; w < 4; w++) {
			uint8_t a[16];
			for (int i = 0; i < 8; i++) {
				unsigned g = zmask >> i & 1 ? 0 : (unsigned)(rnd() >> (48 + 4 * ((w + (unsigned)i) % 4))) | 1;
				a[2 * i] = (uint8_t)(g >> 8);
				a[2 * i + 1] = (uint8_t)g;
			}
			if (zmask == 0x1f && w == 0) { /* IPv4-mapped */
				a[10] = a[11] = 0xff;
			}
			char ip[64];
			ref_ip6(ip, sizeof(ip), a);
			SAME_AS(ip, sb_ip(&t_, 6, a));
			snprintf(want, sizeof(want), "[%s]:%u", ip, 65535 - zmask);
			SAME_AS(want, sb_endpoint(&t_, 6, a, (uint16_t)(65535 - zmask)));
		}
	}

	/* each group width's edges */
	static const uint8_t edges[16] = { 0, 0, 0, 0x10, 1, 0, 0x10, 0, 0, 0xf, 0, 0xff, 0xf, 0xff, 0xff, 0xff };
	SAME_AS("0:10:100:1000:f:ff:fff:ffff", sb_ip(&t_, 6, edges));

	/* times: seconds with six decimals, and durations as "%.Nf" writes them */
	for (int i = 0; i < 2000; i++) {
		int64_t us = (int64_t)(rnd() >> (rnd() % 64));
		if (i & 1)
			us = -us;
		uint64_t m = us < 0 ? 0 - (uint64_t)us : (uint64_t)us;
		snprintf(want, sizeof(want), "%s%llu.%06llu", us < 0 ? "-" : "",
			 (unsigned long long)(m / 1000000), (unsigned long long)(m % 1000000));
		SAME_AS(want, sb_secs(&t_, us));
	}
	int dur_bad = 0;
	for (int64_t us = -3; us < 3000000 + 200; us += us < 20000 ? 1 : us < 1100000 ? 7 : 1) {
		char got[64];
		if (us < 0)
			snprintf(want, sizeof(want), "0.00 ms");
		else if (us < 10000)
			snprintf(want, sizeof(want), "%.2f ms", (double)us / 1000.0);
		else if (us < 1000000)
			snprintf(want, sizeof(want), "%.1f ms", (double)us / 1000.0);
		else
			snprintf(want, sizeof(want), "%.3f s", (double)us / 1e6);
		struct sb t;
		sb_init(&t, got, sizeof(got));
		sb_dur(&t, us);
		if (strcmp(got, want)) {
			if (dur_bad++ < 5)
				fprintf(stderr, "sb_dur(%lld): \"%s\", want \"%s\"\n", (long long)us, got, want);
		}
	}
	for (int i = 0; i < 20000; i++) { /* long durations, ties and all */
		int64_t us = (int64_t)(rnd() >> (rnd() % 64 | 1));
		if (i % 4 == 0)
			us = us / 1000 * 1000 + 500; /* a tie at the third decimal */
		snprintf(want, sizeof(want), "%.3f s", (double)us / 1e6);
		if (us < 1000000)
			continue;
		SAME_AS(want, sb_dur(&t_, us));
	}
	CHECK_EQ_INT(dur_bad, 0);

	/* padding: to the column, never back, and cut where the line ends */
	char pb[200];
	struct sb t;
	sb_init(&t, pb, sizeof(pb));
	sb_puts(&t, "x");
	sb_pad(&t, 10);
	sb_puts(&t, "y");
	sb_pad(&t, 5); /* already past: nothing */
	sb_pad(&t, 100); /* longer than one fixed fill */
	sb_puts(&t, "z");
	CHECK_EQ_INT(t.len, 101);
	CHECK_EQ_STR(pb, "x         y                                                                                         z");
	sb_init(&t, pb, 40);
	sb_pad(&t, 60);
	CHECK(t.cut);
	CHECK_EQ_INT(t.len, 39);
	CHECK_EQ_INT(strspn(pb, " "), 39);
	CHECK_EQ_INT(n_direct_bad, 0);
}

/* sb_esc byte by byte, as the spec says: the reference for the runs. */
static void ref_esc(char *out, const unsigned char *b, size_t n, bool quote)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned c = b[i];
		if (c == '\\')
			k += (size_t)sprintf(out + k, "\\\\");
		else if (c >= 0x20 && c <= 0x7e && !(quote && c == '"'))
			out[k++] = (char)c;
		else
			k += (size_t)sprintf(out + k, "\\x%02x", c);
	}
	out[k] = '\0';
}

static void test_escapes(void)
{
	/* random strings, mostly printable with escapes between runs, at every capacity */
	for (int r = 0; r < 300; r++) {
		unsigned char in[24];
		size_t n = (size_t)(rnd() % sizeof(in));
		for (size_t i = 0; i < n; i++) {
			uint64_t x = rnd();
			in[i] = x % 4 ? (unsigned char)(0x20 + x / 4 % 95) : (unsigned char)(x >> 8);
		}
		char want[128];
		ref_esc(want, in, n, false);
		SAME_AS(want, sb_esc(&t_, in, n));
		ref_esc(want, in, n, true);
		SAME_AS(want, sb_esc_quote(&t_, in, n));
	}
	/* JSON strings: runs, escapes, UTF-8 kept, risky and broken sequences as \u00XX */
	static const struct {
		const char *in, *want;
	} js[] = {
		{ "", "" },
		{ "plain text", "plain text" },
		{ "a\"b\\c", "a\\\"b\\\\c" },
		{ "tab\there\nnl\r\b\f", "tab\\there\\nnl\\r\\b\\f" },
		{ "\x01\x1f\x7fz", "\\u0001\\u001f\\u007fz" },
		{ "caf\xc3\xa9 ok", "caf\xc3\xa9 ok" },                /* U+00E9 kept */
		{ "\xe2\x80\xae!", "\\u202e!" },                        /* bidi override */
		{ "\xc2\x85x", "\\u0085x" },                             /* C1 control */
		{ "\xff\xfe", "\\u00ff\\u00fe" },                        /* not UTF-8 */
		{ "\xe2\x80", "\\u00e2\\u0080" },                        /* cut short */
		{ "\xf0\x9f\x98\x80 end", "\xf0\x9f\x98\x80 end" },      /* U+1F600 */
	};
	for (size_t i = 0; i < sizeof(js) / sizeof(js[0]); i++) {
		SAME_AS(js[i].want, sb_json_esc(&t_, js[i].in, strlen(js[i].in)));
		char q[128];
		snprintf(q, sizeof(q), "\"%s\"", js[i].want);
		SAME_AS(q, sb_json_str(&t_, js[i].in, strlen(js[i].in)));
	}
	CHECK_EQ_INT(n_direct_bad, 0);
}

int main(void)
{
	test_printf();
	test_direct();
	test_escapes();
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
