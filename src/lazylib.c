/* lazylib.c - shared libraries opened at first need (lazylib.h). */
#include "lazylib.h"

#include <dlfcn.h>
#include <stdio.h>

bool lazylib_load(struct lazylib *l)
{
	if (l->state)
		return l->state > 0;
	l->state = -1;
	void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		fprintf(stderr, "fetchtrace: %s: %s\n", l->without, e ? e : l->soname);
		return false;
	}
	for (size_t i = 0; i < l->n; i++) {
		void *f = dlsym(h, l->names[i]);
		if (!f) {
			fprintf(stderr, "fetchtrace: %s: %s has no %s\n", l->without, l->soname,
				l->names[i]);
			dlclose(h);
			return false;
		}
		*l->ptrs[i] = f; /* POSIX: a function's address fits a void * */
	}
	l->state = 1; /* the library stays open for the run */
	return true;
}
