/* test_spill.c - record arrays whose later chunks wait in a temporary file:
 * every record reads back as written after its pages left memory, the cap
 * counts, memory stays at a few chunks however many are written, and
 * without a usable TMPDIR the records stay in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spill.h"
#include "t.h"

struct rec {
	uint32_t i;
	char text[200];
};

/* Resident pages of files and shared memory (the spill file's, the
 * libraries'), in KiB, from /proc/self/status; -1 unknown. */
static long rss_shared_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long sum = 0, v;
	int seen = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "RssFile: %ld", &v) == 1 || sscanf(line, "RssShmem: %ld", &v) == 1)
			sum += v, seen++;
	}
	fclose(f);
	return seen == 2 ? sum : -1;
}

static void fill(struct rec *r, uint32_t i)
{
	r->i = i;
	snprintf(r->text, sizeof(r->text), "record %u", i);
}

static void test_round_trip(void)
{
	enum { N = 20000 };
	struct spill_arr a;
	CHECK(spill_arr_init(&a, sizeof(struct rec), N, 64 * 1024));
	long before = -1;
	for (uint32_t i = 0; i < N; i++) {
		if (i == N / 4) /* well into the file, the code paths warm */
			before = rss_shared_kib();
		struct rec *r = spill_arr_add(&a);
		CHECK(r != NULL);
		if (!r)
			break;
		CHECK_EQ_INT(r->i, 0); /* zeroed */
		fill(r, i);
	}
	long after = rss_shared_kib();
	CHECK(a.file != NULL); /* past the memory part: in the file */
	CHECK(spill_arr_add(&a) == NULL); /* the cap */
	CHECK_EQ_INT(a.n, N);
	/* the last three quarters of 20000 records of 204 bytes are 3 MB: memory
	 * did not grow with them (the hot chunks were there already; the kernel's
	 * fault-around may map a few pages of a neighbour back: some slack) */
	if (before >= 0 && after >= 0)
		CHECK(after - before <= (long)(SPILL_HOT * a.stride / 1024));
	int ok = 0;
	for (uint32_t i = 0; i < N; i++) {
		char want[200];
		snprintf(want, sizeof(want), "record %u", i);
		const struct rec *r = spill_arr_at(&a, i);
		ok += r->i == i && !strcmp(r->text, want);
	}
	CHECK_EQ_INT(ok, N);
	/* backwards and at random too: pages come back from the file */
	ok = 0;
	for (uint32_t i = N; i-- > 0;)
		ok += ((const struct rec *)spill_arr_at(&a, i))->i == i;
	for (uint32_t k = 0; k < 5000; k++) {
		uint32_t i = (k * 7919u) % N;
		ok += ((const struct rec *)spill_arr_at(&a, i))->i == i;
	}
	CHECK_EQ_INT(ok, N + 5000);
	spill_arr_free(&a);
	CHECK(a.chunk == NULL && a.file == NULL);
}

/* No temporary file to be had: every chunk in memory, the same records. */
static void test_no_file(void)
{
	const char *old = getenv("TMPDIR");
	char *keep = old ? strdup(old) : NULL;
	setenv("TMPDIR", "/nonexistent/fetchtrace-test", 1);
	struct spill_arr a;
	CHECK(spill_arr_init(&a, sizeof(struct rec), 3000, 0));
	int ok = 0;
	for (uint32_t i = 0; i < 3000; i++) {
		struct rec *r = spill_arr_add(&a);
		if (r)
			fill(r, i), ok++;
	}
	CHECK_EQ_INT(ok, 3000);
	CHECK(a.file == NULL && a.file_failed);
	ok = 0;
	for (uint32_t i = 0; i < 3000; i++)
		ok += ((const struct rec *)spill_arr_at(&a, i))->i == i;
	CHECK_EQ_INT(ok, 3000);
	spill_arr_free(&a);
	if (keep)
		setenv("TMPDIR", keep, 1);
	else
		unsetenv("TMPDIR");
	free(keep);
	CHECK(spill_map(0) == NULL);
}

int main(void)
{
	test_round_trip();
	test_no_file();
	return t_done("test_spill");
}
