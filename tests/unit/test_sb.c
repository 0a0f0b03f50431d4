/* test_sb.c - the line builder: escaping of hostile bytes, caps, addresses, times. */
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

int main(void)
{
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
