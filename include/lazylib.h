/* lazylib.h - a shared library opened the first time it is needed, not at
 * start (issue 15: start-up; each library loaded costs the loader time). */
#ifndef FT_LAZYLIB_H
#define FT_LAZYLIB_H

#include <stdbool.h>
#include <stddef.h>

struct lazylib {
	const char *soname;        /* e.g. "libnghttp2.so.14" */
	const char *const *names;  /* the functions to find */
	void **const *ptrs;        /* where each one's address goes */
	size_t n;
	int state;                 /* 0 not tried, 1 loaded, -1 failed (not tried again) */
	const char *without;       /* what is lost without it, for the note on stderr */
};

/* Open the library and find every function, once; false when it or one of
 * them is missing: one line on stderr says so (dlerror), the first time,
 * and the callers report their decoder as not created. */
bool lazylib_load(struct lazylib *l);

#endif
