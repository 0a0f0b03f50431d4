/* test_explain.c - explain mode's messages: the language choice, placeholders, the catalog. */
#include <string.h>

#include "explain.h"
#include "t.h"

static char buf[512];
static struct sb s;

static const char *put(const char *msg, const struct explain_arg *a, size_t n)
{
	sb_init(&s, buf, sizeof(buf));
	explain_put(&s, msg, a, n);
	return buf;
}

int main(void)
{
	/* --lang wins; then LC_ALL, LC_MESSAGES, LANG, the first set and not empty */
	CHECK(explain_korean("ko", NULL, NULL, NULL));
	CHECK(!explain_korean("en", "ko_KR.UTF-8", "ko_KR.UTF-8", "ko_KR.UTF-8"));
	CHECK(explain_korean(NULL, NULL, NULL, "ko_KR.UTF-8"));
	CHECK(explain_korean(NULL, "", "ko_KR.UTF-8", "C"));
	CHECK(!explain_korean(NULL, "C", "ko_KR.UTF-8", "ko_KR.UTF-8"));
	CHECK(!explain_korean(NULL, NULL, NULL, NULL));
	CHECK(!explain_korean(NULL, "", "", ""));
	CHECK(!explain_korean(NULL, NULL, NULL, "en_US.UTF-8"));
	CHECK(explain_korean(NULL, "ko", NULL, NULL));

	/* placeholders: known ones replaced, in any order, any number of times */
	const struct explain_arg a[] = { { "name", "www.lab.test" }, { "addr", "192.0.2.80" } };
	CHECK_EQ_STR(put("{name} is at {addr}", a, 2), "www.lab.test is at 192.0.2.80");
	CHECK_EQ_STR(put("{addr} {addr}{name}", a, 2), "192.0.2.80 192.0.2.80www.lab.test");
	/* unknown, unclosed or empty placeholders are copied as they stand */
	CHECK_EQ_STR(put("a {nope} b", a, 2), "a {nope} b");
	CHECK_EQ_STR(put("a {name", a, 2), "a {name");
	CHECK_EQ_STR(put("{} {name}}", a, 2), "{} www.lab.test}");
	CHECK_EQ_STR(put("", a, 2), "");
	CHECK_EQ_STR(put("no values {name}", NULL, 0), "no values {name}");
	/* the line is cut, not overrun */
	char small[8];
	sb_init(&s, small, sizeof(small));
	explain_put(&s, "{name}{name}", a, 2);
	CHECK(s.cut && strlen(small) < sizeof(small));

	/* every message exists in both languages and differs between them */
	for (int id = 0; id < EX_COUNT; id++) {
		const char *en = explain_msg((enum explain_id)id, false);
		const char *ko = explain_msg((enum explain_id)id, true);
		CHECK(en && en[0]);
		CHECK(ko && ko[0] && strcmp(en, ko) != 0);
	}
	CHECK_EQ_STR(explain_msg(EX_COUNT, false), "");
	return t_done("test_explain");
}
