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

/* A file's library, its functions listed by LZ_FNS(X): a pointer of each
 * one's own type (lz_NAME), their names, and the struct lazylib lz_lib that
 * lazylib_load fills them from. */
#define LZ_PTR_(name) static __typeof__(name) *lz_##name;
#define LZ_NAME_(name) #name,
#define LZ_ADDR_(name) (void **)(void *)&lz_##name,
#define LAZYLIB_DEFINE(soname, without)                                               \
	LZ_FNS(LZ_PTR_)                                                               \
	static const char *const lz_names[] = { LZ_FNS(LZ_NAME_) };                   \
	static void **const lz_ptrs[] = { LZ_FNS(LZ_ADDR_) };                         \
	static struct lazylib lz_lib = { soname, lz_names, lz_ptrs,                   \
					 sizeof(lz_names) / sizeof(lz_names[0]), 0, without };

#endif
