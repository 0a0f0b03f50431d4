/* test_focus.c - --fetch: globs and Host names, fetch states, hold keys, and out.c's hold
 * buffer (held lines written in order when released, dropped and counted otherwise, the
 * oldest evicted for room or age and reported). */
#include <stdlib.h>
#include <string.h>

#include "focus.h"
#include "out.h"
#include "t.h"

static bool name(const struct focus *f, const char *s) { return focus_name(f, s, strlen(s)); }
static bool host(const struct focus *f, const char *s) { return focus_host(f, s, strlen(s)); }

static void test_args(void)
{
	const char *why = NULL;
	CHECK(focus_arg_ok("1", &why));
	CHECK(focus_arg_ok("4294967295", &why));
	CHECK(!focus_arg_ok("0", &why));
	CHECK(!focus_arg_ok("4294967296", &why));
	CHECK(!focus_arg_ok("99999999999999999999999", &why));
	CHECK(!focus_arg_ok("", &why));
	CHECK(focus_arg_ok("*.example.com", &why));
	char big[300];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(!focus_arg_ok(big, &why));
	big[FOCUS_PAT_MAX] = '\0';
	CHECK(focus_arg_ok(big, &why));
}

static void test_names(void)
{
	const char *args[] = { "*.Example.COM", "www.lab.test.", "3", "h?.[a-c]x.net" };
	struct focus *f = focus_open(args, 4);
	CHECK(f && focus_on(f) && focus_has_names(f) && focus_has_numbers(f));
	CHECK(name(f, "www.example.com"));
	CHECK(name(f, "a.b.EXAMPLE.com"));      /* '*' crosses dots; case does not matter */
	CHECK(name(f, "www.example.com."));     /* a trailing dot is no difference */
	CHECK(!name(f, "example.com"));         /* "*." needs a label before it */
	CHECK(!name(f, "www.example.com.evil")); /* anchored at the end */
	CHECK(name(f, "WWW.LAB.TEST"));         /* the pattern's trailing dot went too */
	CHECK(!name(f, "xwww.lab.test"));
	CHECK(name(f, "h3.bx.net"));
	CHECK(!name(f, "h3.dx.net"));
	CHECK(!focus_name(f, "www.lab.test\0x", 14)); /* a NUL would end the name early */
	CHECK(!focus_name(f, "", 0));
	CHECK(host(f, "www.lab.test:8080"));    /* a Host's port is left out */
	CHECK(host(f, "www.lab.test"));
	CHECK(!host(f, "www.lab.test:80x"));
	CHECK(focus_number(f, 3) && !focus_number(f, 4));
	focus_close(f);

	const char *v6[] = { "2001:db8::1" };
	f = focus_open(v6, 1);
	CHECK(host(f, "[2001:db8::1]:443") && host(f, "[2001:db8::1]"));
	CHECK(!host(f, "[2001:db8::1"));
	focus_close(f);

	f = focus_open(NULL, 0);
	CHECK(f && !focus_on(f));
	focus_close(f);
}

static void test_states(void)
{
	const char *args[] = { "x" };
	struct focus *f = focus_open(args, 1);
	uint64_t sh, hi;
	CHECK_EQ_INT(focus_fetch_state(f, 7), FOCUS_UNKNOWN);
	focus_fetch_set(f, 7, FOCUS_UNDECIDED);
	CHECK_EQ_INT(focus_fetch_held(f, 7), 1);
	CHECK_EQ_INT(focus_fetch_held(f, 7), 2);
	focus_fetch_set(f, 7, FOCUS_SHOWN);
	focus_fetch_set(f, 8, FOCUS_HIDDEN);
	focus_fetch_set(f, 8, FOCUS_HIDDEN); /* counted once */
	focus_counts(f, &sh, &hi);
	CHECK_EQ_INT(sh, 1);
	CHECK_EQ_INT(hi, 1);
	/* a slot reused by a later fetch forgets the earlier one */
	focus_fetch_set(f, 7 + FOCUS_FETCHES, FOCUS_UNDECIDED);
	CHECK_EQ_INT(focus_fetch_state(f, 7), FOCUS_UNKNOWN);
	CHECK(!focus_fetch_shown(f, 0));

	/* keys: fetch keys and name keys never meet, a name's case does not matter */
	struct dns_name a = { 15, "www.example.com" }, b = { 16, "WWW.Example.COM." }, c = { 3, "foo" };
	CHECK(focus_key_name(&a) == focus_key_name(&b));
	CHECK(focus_key_name(&a) != focus_key_name(&c));
	CHECK_EQ_INT(focus_key_fetch_id(focus_key_name(&a)), 0);
	CHECK_EQ_INT(focus_key_fetch_id(focus_key_fetch(42)), 42);
	CHECK(focus_key_name(&a) != 0 && focus_key_fetch(1) != 0);
	focus_close(f);
}

/* An "other" packet line (--all) at time ts, with the verdict v under key. */
static void put(struct out *o, int64_t ts, uint8_t v, uint64_t key)
{
	struct pkt p;
	struct ev e;
	memset(&p, 0, sizeof(p));
	memset(&e, 0, sizeof(e));
	p.ts_us = ts;
	e.p = &p;
	e.step = STEP_OTHER;
	e.focus = v;
	e.focus_key = key;
	out_packet(o, &e);
}

/* The times the lines of buf show, in order ("1 2 3"), from the -tt stamps. */
static void times(const char *buf, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (const char *l = buf; *l; ) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		long long sec;
		if (sscanf(l, "%lld.", &sec) == 1 && n + 24 < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%lld", n ? " " : "", sec);
		l += len + (nl ? 1 : 0);
	}
}

static void test_hold(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);
	const char *args[] = { "x" };
	struct out_opts opt = { .all = true, .ts_mode = TS_ABSOLUTE, .fetch = args, .n_fetch = 1 };
	struct out *o = out_open(mf, &opt);
	CHECK(o != NULL);
	if (!o)
		return;
	uint64_t f5 = focus_key_fetch(5);
	put(o, 1000000, FOCUS_HOLD, f5);
	put(o, 2000000, FOCUS_SHOW, 0);
	put(o, 3000000, FOCUS_HOLD, 22);
	put(o, 4000000, FOCUS_HIDE, 0);
	put(o, 5000000, FOCUS_HOLD, f5);
	out_release(o, f5, true);   /* 1 and 5, in order, after 2, with a note */
	out_release(o, 22, false);  /* 3 dropped */
	put(o, 6000000, FOCUS_SHOW, 0);
	out_flush(o);
	fflush(mf);
	char t[256];
	times(buf, t, sizeof(t));
	CHECK_EQ_STR(t, "2 1 5 6");
	/* 2 was written between: the late lines say why, once */
	CHECK(strstr(buf, "(fetch 5: 2 earlier packets follow, held until its SNI or Host named it)"));
	const char *n1 = strstr(buf, "earlier packets follow");
	CHECK(n1 && !strstr(n1 + 1, "earlier packets follow"));
	uint64_t key;
	CHECK(!out_hold_evicted(o, &key));

	/* age: what waited since before 20 s goes, the oldest key first, reported */
	put(o, 10000000, FOCUS_HOLD, 33);
	put(o, 30000000, FOCUS_HOLD, 44);
	out_hold_expire(o, 20000000);
	CHECK(out_hold_evicted(o, &key) && key == 33);
	CHECK(!out_hold_evicted(o, &key));
	out_release(o, 44, true);   /* nothing written since it was held: no note */
	fflush(mf);
	CHECK(strstr(buf, "DNS packets follow") == NULL);

	/* room: far more held than the buffer takes; the oldest go first */
	for (uint64_t k = 1; k <= 40000; k++)
		put(o, 40000000 + (int64_t)k, FOCUS_HOLD, 1000 + k);
	CHECK(out_hold_evicted(o, &key) && key == 1001);
	CHECK(out_hold_evicted(o, &key) && key == 1002);
	out_hold_expire(o, INT64_MAX);
	struct out_counts n;
	memset(&n, 0, sizeof(n));
	n.focus = true;
	out_summary(o, &n);
	out_close(o);
	fclose(mf);
	/* every packet but 2, 1, 5, 6, 30 shown was counted hidden: 3, 4, 10, the 40000 */
	CHECK(strstr(buf, "hidden: 40003 packets") != NULL);
	times(buf, t, sizeof(t));
	CHECK(strncmp(t, "2 1 5 6 30", 10) == 0 && (t[10] == '\0' || t[10] == ' '));
	free(buf);
}

int main(void)
{
	test_args();
	test_names();
	test_states();
	test_hold();
	printf("test_focus: %d passed, %d failed\n", t_passed, t_failed);
	return t_failed != 0;
}
