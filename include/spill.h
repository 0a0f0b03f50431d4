/* spill.h - memory that leaves the process for a temporary file when told:
 * records a run keeps for its end (the summary's lists) without holding
 * them in memory while the capture is read (issue 15: peak RSS must not grow
 * with the capture's length). */
#ifndef FT_SPILL_H
#define FT_SPILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* len bytes of zeroes, shared with an unlinked temporary file in $TMPDIR (or
 * /tmp) whose blocks are reserved at once (no SIGBUS when the disk fills
 * later); NULL when that cannot be had: the caller then uses malloc. */
void *spill_map(size_t len);

/* Release what spill_map gave. */
void spill_unmap(void *p, size_t len);

/* The whole pages inside [p, p + len) leave the process's resident memory;
 * their bytes stay in the file and come back when next read or written. */
void spill_drop(void *p, size_t len);

/* The page size spill_drop works in (a record array aligned to it drops whole). */
size_t spill_page(void);

/*
 * An array of records that only grows, in chunks allocated as it fills: the
 * first chunks malloc'd, the later ones pages of a spill_map file, of which
 * only the SPILL_HOT chunks touched last stay in memory.  Records are written
 * once and read back at the end; a pointer from spill_arr_add or
 * spill_arr_at is good until the next call on the array (its bytes stay
 * valid in the file, only their pages leave memory).
 */
#define SPILL_HOT 4

struct spill_arr {
	size_t elem;                 /* bytes of one record */
	uint32_t per;                /* records per chunk */
	uint32_t max;                /* records at most */
	uint32_t n;                  /* records added */
	unsigned n_mem;              /* chunks malloc'd before those in the file */
	size_t stride;               /* bytes of a chunk in the file (whole pages) */
	uint8_t *file;               /* the file's mapping, NULL until needed or without one */
	size_t file_len;
	bool file_failed;            /* no file: every chunk malloc'd */
	void **chunk;                /* chunk k's records, NULL until needed */
	unsigned hot[SPILL_HOT];     /* file chunks touched last, + 1, the newest first */
};

/* An empty array of at most max records of elem bytes, the first about
 * mem_bytes of them in memory; false when out of memory. */
bool spill_arr_init(struct spill_arr *a, size_t elem, uint32_t max, size_t mem_bytes);

/* Room for one more record (zeroed), or NULL when max are there or no memory. */
void *spill_arr_add(struct spill_arr *a);

/* Record i (< a->n). */
void *spill_arr_at(struct spill_arr *a, uint32_t i);

void spill_arr_free(struct spill_arr *a);

#endif
