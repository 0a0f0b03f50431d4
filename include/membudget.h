/* membudget.h - counted allocations against a per-owner cap and a shared total (nghttp2/nghttp3 allocators). */
#ifndef FT_MEMBUDGET_H
#define FT_MEMBUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The total the HPACK inflaters and QPACK decoders of a run share (one per trace; not thread-safe). */
struct hpack_budget {
	size_t used;          /* bytes held by all inflaters now */
	size_t cap;           /* used never goes above this */
	size_t peak;          /* the most ever held */
	uint32_t n_refused;   /* allocations refused (by this cap or an inflater's) */
};

/*
 * One owner's share of a budget (an HPACK inflater, a QPACK decoder).
 * An allocation of total bytes (the request plus a size header) is
 * refused when mem + total > cap, or when budget->used + total >
 * budget->cap + over (over is 0 but for a backstop that lets the total
 * run past its cap).  The owner fills budget, cap and over, and clears
 * refused before each call into its library.  mem <= cap always holds.
 */
struct mem_account {
	struct hpack_budget *budget;  /* the shared total */
	size_t cap;                   /* bytes this owner may hold */
	size_t over;                  /* how far past budget->cap this owner may take the total */
	size_t mem, peak;             /* bytes held now, at most */
	bool refused;                 /* an allocation was refused (by a cap, an overflow or malloc) */
	bool capped;                  /* sticky: an allocation was refused by a cap */
};

/*
 * The allocator, in the shape nghttp2_mem and nghttp3_mem both take
 * (their user data is the struct mem_account).  Each block carries its
 * size in front; free and realloc give it back to both counts.
 */
void *mem_account_malloc(size_t size, void *acct);
void *mem_account_calloc(size_t nmemb, size_t size, void *acct);
void *mem_account_realloc(void *ptr, size_t size, void *acct);
void mem_account_free(void *ptr, void *acct);

#endif
