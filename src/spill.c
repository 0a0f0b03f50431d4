/* spill.c - memory shared with an unlinked temporary file (spill.h). */
#include "spill.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

size_t spill_page(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	return pg > 0 ? (size_t)pg : 4096;
}

void *spill_map(size_t len)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || dir[0] != '/') /* as for the key log directory: an absolute path */
		dir = "/tmp";
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/fetchtrace-spill.XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path) || len == 0)
		return NULL;
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return NULL;
	(void)unlink(path); /* the file goes with the last reference: the mapping */
	void *p = NULL;
	/* the blocks now, so that a full disk is an error here, not a SIGBUS on
	 * a write to the mapping later */
	if (posix_fallocate(fd, 0, (off_t)len) == 0) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			p = NULL;
	}
	close(fd);
	return p;
}

void spill_unmap(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

void spill_drop(void *p, size_t len)
{
	size_t pg = spill_page();
	uintptr_t a = ((uintptr_t)p + pg - 1) / pg * pg;
	uintptr_t b = ((uintptr_t)p + len) / pg * pg;
	/* a shared file mapping keeps its bytes in the file: only the process's
	 * pages go */
	if (b > a)
		(void)madvise((void *)a, b - a, MADV_DONTNEED);
}

/* ---------------------------------------------------------------- growing record arrays */

#define SPILL_CHUNK_BYTES (64u * 1024u) /* about, per chunk */

bool spill_arr_init(struct spill_arr *a, size_t elem, uint32_t max, size_t mem_bytes)
{
	memset(a, 0, sizeof(*a));
	if (!elem || !max)
		return false;
	a->elem = elem;
	a->per = elem >= SPILL_CHUNK_BYTES ? 1 : (uint32_t)(SPILL_CHUNK_BYTES / elem);
	a->max = max;
	unsigned n_chunks = (unsigned)((max + a->per - 1) / a->per);
	size_t mem = (mem_bytes + a->per * elem - 1) / (a->per * elem);
	a->n_mem = mem < n_chunks ? (unsigned)mem : n_chunks;
	size_t pg = spill_page();
	a->stride = (a->per * elem + pg - 1) / pg * pg;
	a->chunk = calloc(n_chunks, sizeof(*a->chunk));
	return a->chunk != NULL;
}

/* Chunk k, in the file: now one of the hot ones; the coldest beyond
 * SPILL_HOT leaves memory. */
static void arr_touch(struct spill_arr *a, unsigned k)
{
	if (a->hot[0] == k + 1)
		return;
	unsigned j = 0;
	while (j < SPILL_HOT - 1 && a->hot[j] != k + 1)
		j++;
	unsigned out = a->hot[j] == k + 1 ? 0 : a->hot[j];
	memmove(a->hot + 1, a->hot, j * sizeof(a->hot[0]));
	a->hot[0] = k + 1;
	if (out)
		spill_drop(a->chunk[out - 1], a->stride);
}

static bool arr_in_file(const struct spill_arr *a, unsigned k)
{
	return a->file && (uint8_t *)a->chunk[k] >= a->file &&
	       (uint8_t *)a->chunk[k] < a->file + a->file_len;
}

void *spill_arr_add(struct spill_arr *a)
{
	if (!a->chunk || a->n >= a->max)
		return NULL;
	unsigned k = a->n / a->per;
	if (!a->chunk[k]) {
		if (k >= a->n_mem && !a->file && !a->file_failed) {
			unsigned n_chunks = (unsigned)((a->max + a->per - 1) / a->per);
			a->file_len = (size_t)(n_chunks - a->n_mem) * a->stride;
			a->file = spill_map(a->file_len);
			a->file_failed = !a->file;
		}
		if (k >= a->n_mem && a->file)
			a->chunk[k] = a->file + (size_t)(k - a->n_mem) * a->stride;
		else if (!(a->chunk[k] = malloc(a->per * a->elem)))
			return NULL;
	}
	void *r = spill_arr_at(a, a->n++);
	memset(r, 0, a->elem);
	return r;
}

void *spill_arr_at(struct spill_arr *a, uint32_t i)
{
	unsigned k = i / a->per;
	if (arr_in_file(a, k))
		arr_touch(a, k);
	return (uint8_t *)a->chunk[k] + (size_t)(i % a->per) * a->elem;
}

void spill_arr_free(struct spill_arr *a)
{
	if (a->chunk) {
		unsigned n_chunks = (unsigned)((a->max + a->per - 1) / a->per);
		for (unsigned k = 0; k < n_chunks; k++)
			if (a->chunk[k] && !arr_in_file(a, k))
				free(a->chunk[k]);
	}
	free(a->chunk);
	spill_unmap(a->file, a->file_len);
	memset(a, 0, sizeof(*a));
}
