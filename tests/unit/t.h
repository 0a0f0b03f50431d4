/* t.h - the smallest test harness: CHECK macros and a closing count line. */
#ifndef FT_T_H
#define FT_T_H

#include <stdio.h>

static int t_passed, t_failed;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (cond) {                                                      \
			t_passed++;                                              \
		} else {                                                         \
			t_failed++;                                              \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
		}                                                                \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                       \
	do {                                                                     \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);          \
		if (t_a_ == t_b_) {                                              \
			t_passed++;                                              \
		} else {                                                         \
			t_failed++;                                              \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, t_a_, #b, t_b_);         \
		}                                                                \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                       \
	do {                                                                     \
		const char *t_a_ = (a), *t_b_ = (b);                             \
		if (t_a_ && t_b_ && strcmp(t_a_, t_b_) == 0) {                   \
			t_passed++;                                              \
		} else {                                                         \
			t_failed++;                                              \
			fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, #a, t_a_ ? t_a_ : "(null)",  \
				t_b_ ? t_b_ : "(null)");                         \
		}                                                                \
	} while (0)

/* The closing line the CI reads: "name: N passed, N failed". */
static inline int t_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, t_passed, t_failed);
	return t_failed ? 1 : 0;
}

#endif
