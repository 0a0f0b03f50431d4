/* membudget.c - counted allocations against a per-owner cap and a shared total. */
#include <stddef.h>
#include <stdlib.h>

#include "membudget.h"

/* Each block carries its size in front, aligned for any object. */
union mem_hdr {
	max_align_t align;
	size_t n;
};

/* May a take total more bytes?  (a->mem <= a->cap always holds, so the
 * first difference does not wrap; the second is tested before it is
 * formed.) */
static bool mem_allowed(struct mem_account *a, size_t total)
{
	struct hpack_budget *b = a->budget;

	if (total > a->cap - a->mem || b->used > b->cap + a->over ||
	    total > b->cap + a->over - b->used) {
		a->refused = true;
		a->capped = true;
		if (b->n_refused < UINT32_MAX)
			b->n_refused++;
		return false;
	}
	return true;
}

static void mem_take(struct mem_account *a, size_t total)
{
	a->mem += total;
	a->budget->used += total;
	if (a->mem > a->peak)
		a->peak = a->mem;
	if (a->budget->used > a->budget->peak)
		a->budget->peak = a->budget->used;
}

static void mem_give(struct mem_account *a, size_t total)
{
	a->mem -= total;
	a->budget->used -= total;
}

static void *mem_get(size_t n, struct mem_account *a, bool zero)
{
	union mem_hdr *p;
	size_t total;

	if (n > SIZE_MAX - sizeof *p) {
		a->refused = true;
		return NULL;
	}
	total = n + sizeof *p;
	if (!mem_allowed(a, total))
		return NULL;
	p = zero ? calloc(1, total) : malloc(total);
	if (p == NULL) {
		a->refused = true;
		return NULL;
	}
	p->n = total;
	mem_take(a, total);
	return p + 1;
}

void *mem_account_malloc(size_t size, void *acct)
{
	return mem_get(size, acct, false);
}

void *mem_account_calloc(size_t nmemb, size_t size, void *acct)
{
	if (size && nmemb > SIZE_MAX / size) {
		((struct mem_account *)acct)->refused = true;
		return NULL;
	}
	return mem_get(nmemb * size, acct, true);
}

void mem_account_free(void *ptr, void *acct)
{
	union mem_hdr *p;

	if (ptr == NULL)
		return;
	p = (union mem_hdr *)ptr - 1;
	mem_give(acct, p->n);
	free(p);
}

void *mem_account_realloc(void *ptr, size_t size, void *acct)
{
	struct mem_account *a = acct;
	union mem_hdr *p, *q;
	size_t old, total;

	if (ptr == NULL)
		return mem_account_malloc(size, acct);
	if (size == 0) {
		mem_account_free(ptr, acct);
		return NULL;
	}
	p = (union mem_hdr *)ptr - 1;
	old = p->n;
	if (size > SIZE_MAX - sizeof *p) {
		a->refused = true;
		return NULL;
	}
	total = size + sizeof *p;
	if (total > old && !mem_allowed(a, total - old))
		return NULL;
	q = realloc(p, total);
	if (q == NULL) {
		a->refused = true;
		return NULL;
	}
	q->n = total;
	mem_give(a, old);
	mem_take(a, total);
	return q + 1;
}
