/* cwork.c - pieces of TLS records decrypted on a second core (see cwork.h). */
#include "cwork.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The pieces are done one at a time, in the order queued, by whichever
 * thread claims the next one: the worker, or the tracer's thread when it
 * would otherwise wait (for a piece it needs, or for room).  A piece is
 * claimed only when the one before it is done (claim == done), so two
 * pieces of one cipher context never run at once, and a worker that the
 * system runs late (a virtual CPU the host put aside) costs no more than
 * decrypting in line.
 */

/* One job: a record's start, a piece of it, or its end. */
enum cw_kind { CW_BEGIN, CW_UPDATE, CW_END };

struct cw_job {
	EVP_CIPHER_CTX *ctx;
	uint8_t *out;          /* CW_UPDATE, CW_END: the plaintext's place */
	bool *flag;            /* CW_BEGIN, CW_UPDATE: set on an error; CW_END: the verdict */
	const uint8_t *in;     /* the piece (in the ring, or kept where the caller has it);
	                          CW_BEGIN: the nonce; CW_END: the tag */
	const uint8_t *aad;    /* CW_BEGIN */
	uint64_t end;          /* the ring's bytes used up to here (given back when done) */
	uint32_t len;          /* CW_UPDATE: the piece's; CW_BEGIN: the AAD's */
	uint8_t kind;          /* enum cw_kind */
};

struct cwork {
	/* written by the tracer's thread for each piece */
	_Alignas(64) _Atomic uint64_t head;  /* pieces queued */
	/* written by the thread that does a piece */
	_Alignas(64) _Atomic uint64_t claim; /* pieces taken: done, or being done */
	_Atomic uint64_t done;          /* pieces done */
	_Atomic uint64_t done_end;      /* the ring's bytes given back, up to here */
	/* written seldom */
	_Alignas(64) _Atomic bool sleeping;  /* the worker waits on cv */
	_Atomic bool quit;
	/* the tracer's thread's own */
	_Alignas(64) uint64_t pos;      /* the ring's next free byte (ever increasing) */
	uint64_t seen_done;             /* done when last read */
	uint64_t n_pieces;              /* pieces queued (cwork_update) */
	uint64_t n_copied;              /* of them, copied into the ring */
	uint64_t n_helped;              /* jobs the tracer's thread did itself */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct cw_job jobs[CWORK_JOBS];
	uint8_t ring[CWORK_BYTES];
};

static inline void cw_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void cw_do(const struct cw_job *j)
{
	int k = 0;
	switch (j->kind) {
	case CW_BEGIN:
		if (EVP_DecryptInit_ex(j->ctx, NULL, NULL, NULL, j->in) != 1 ||
		    EVP_DecryptUpdate(j->ctx, NULL, &k, j->aad, (int)j->len) != 1)
			*j->flag = true;
		break;
	case CW_UPDATE:
		if (EVP_DecryptUpdate(j->ctx, j->out, &k, j->in, (int)j->len) != 1 ||
		    (uint32_t)k != j->len)
			*j->flag = true;
		break;
	default:
		*j->flag = EVP_CIPHER_CTX_ctrl(j->ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)j->in) == 1 &&
			   EVP_DecryptFinal_ex(j->ctx, j->out, &k) == 1;
		break;
	}
}

/* Do the next job if it is free to take (the one before it is done and
 * nobody has it).  true: one was done here. */
static bool cw_take(struct cwork *w)
{
	uint64_t i = atomic_load_explicit(&w->done, memory_order_acquire);
	if (i == atomic_load_explicit(&w->head, memory_order_acquire))
		return false;
	/* taken already (the other thread is on it): only looked at, since a
	 * compare-and-swap, even one that fails, takes the cache line from the
	 * thread that is about to write done there */
	if (atomic_load_explicit(&w->claim, memory_order_relaxed) != i)
		return false;
	if (!atomic_compare_exchange_strong_explicit(&w->claim, &i, i + 1, memory_order_acquire,
						     memory_order_relaxed))
		return false;
	const struct cw_job *j = &w->jobs[i % CWORK_JOBS];
	cw_do(j);
	atomic_store_explicit(&w->done_end, j->end, memory_order_release);
	atomic_store_explicit(&w->done, i + 1, memory_order_release);
	return true;
}

static void cw_wake(struct cwork *w)
{
	pthread_mutex_lock(&w->mu);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* How long the worker spins with nothing to do before it sleeps: a thread
 * woken from sleep takes hundreds of microseconds on a virtual machine. */
#define CW_SPIN_NS 1000000

static int64_t cw_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *cw_main(void *arg)
{
	struct cwork *w = arg;
	unsigned spins = 0;
	int64_t idle_from = 0;
	while (!atomic_load_explicit(&w->quit, memory_order_relaxed)) {
		if (cw_take(w)) {
			spins = 0, idle_from = 0;
			continue;
		}
		cw_pause();
		if (++spins % 1024 != 0)
			continue;
		int64_t now = cw_now();
		if (!idle_from)
			idle_from = now;
		if (now - idle_from < CW_SPIN_NS)
			continue;
		/* Nothing for a while: sleep until a piece comes (cwork_update
		 * signals when it sees sleeping) or the end. */
		pthread_mutex_lock(&w->mu);
		atomic_store(&w->sleeping, true);
		while (atomic_load(&w->done) == atomic_load(&w->head) && !atomic_load(&w->quit))
			pthread_cond_wait(&w->cv, &w->mu);
		atomic_store(&w->sleeping, false);
		pthread_mutex_unlock(&w->mu);
		spins = 0, idle_from = 0;
	}
	return NULL;
}

/* CPUs this process may run on. */
static int cw_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return 1;
	return CPU_COUNT(&set);
}

struct cwork *cwork_new(void)
{
	const char *e = getenv("FETCHTRACE_DECRYPT_THREAD");
	if ((e && strcmp(e, "0") == 0) || (!(e && strcmp(e, "1") == 0) && cw_cpus() < 2))
		return NULL;
	/* aligned for the cache lines above to be cache lines */
	struct cwork *w = aligned_alloc(64, (sizeof *w + 63) / 64 * 64);
	if (!w)
		return NULL;
	/* Only the header is zeroed: the jobs and the ring are written before
	 * they are read, so their pages are touched only as they fill. */
	memset(w, 0, offsetof(struct cwork, jobs));
	atomic_init(&w->head, 0);
	atomic_init(&w->claim, 0);
	atomic_init(&w->done, 0);
	atomic_init(&w->done_end, 0);
	atomic_init(&w->sleeping, false);
	atomic_init(&w->quit, false);
	if (pthread_mutex_init(&w->mu, NULL) != 0) {
		free(w);
		return NULL;
	}
	if (pthread_cond_init(&w->cv, NULL) != 0) {
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	/* signals are the tracer's thread's to take, not the worker's */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&w->th, NULL, cw_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	return w;
}

void cwork_free(struct cwork *w)
{
	if (!w)
		return;
	cwork_wait(w, atomic_load_explicit(&w->head, memory_order_relaxed));
	pthread_mutex_lock(&w->mu);
	atomic_store(&w->quit, true);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	if (getenv("FETCHTRACE_CWORK_DEBUG"))
		fprintf(stderr, "cwork: %llu pieces (%llu copied), %llu jobs, %llu done by the "
				"tracer's thread\n",
			(unsigned long long)w->n_pieces, (unsigned long long)w->n_copied,
			(unsigned long long)atomic_load(&w->head), (unsigned long long)w->n_helped);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	/* the ring held ciphertext only; the plaintext is the caller's */
	free(w);
}

/* Wait for done to reach n, doing jobs meanwhile rather than spinning. */
static void cw_until(struct cwork *w, uint64_t n)
{
	unsigned spins = 0;
	while ((w->seen_done = atomic_load_explicit(&w->done, memory_order_acquire)) < n) {
		if (cw_take(w)) {
			w->n_helped++;
			spins = 0;
		} else if (++spins < 4096) {
			cw_pause();   /* the worker is on the job before: a microsecond or so */
		} else {
			/* longer: the worker was put aside in the middle of a job (its CPU
			 * taken); give this CPU away, it may run there */
			sched_yield();
		}
	}
}

void cwork_wait(struct cwork *w, uint64_t ticket)
{
	if (w && w->seen_done < ticket)
		cw_until(w, ticket);
}

void cwork_drain(struct cwork *w)
{
	if (w)
		cw_until(w, atomic_load_explicit(&w->head, memory_order_relaxed));
}

/* Queue job (its slot h, free), with the ring's bytes used so far. */
static uint64_t cw_push(struct cwork *w, uint64_t h, const struct cw_job *job)
{
	struct cw_job *j = &w->jobs[h % CWORK_JOBS];
	*j = *job;
	j->end = w->pos;
	/* No fence for each piece: a worker falling asleep right now may miss
	 * this one; it is done at the tracer's thread's next wait (cw_until),
	 * and the next piece wakes the worker. */
	atomic_store_explicit(&w->head, h + 1, memory_order_release);
	if (atomic_load_explicit(&w->sleeping, memory_order_relaxed))
		cw_wake(w);
	return h + 1;
}

/* The next job's slot, once free: the tracer's thread does jobs meanwhile. */
static uint64_t cw_slot(struct cwork *w)
{
	uint64_t h = atomic_load_explicit(&w->head, memory_order_relaxed);
	if (h - w->seen_done >= CWORK_JOBS)
		cw_until(w, h - CWORK_JOBS + 1);
	return h;
}

uint64_t cwork_begin(struct cwork *w, EVP_CIPHER_CTX *ctx, const uint8_t *nonce,
		     const uint8_t *aad, size_t aad_len, bool *err)
{
	return cw_push(w, cw_slot(w), &(struct cw_job){ .kind = CW_BEGIN, .ctx = ctx, .flag = err,
							 .in = nonce, .aad = aad,
							 .len = (uint32_t)aad_len });
}

uint64_t cwork_end(struct cwork *w, EVP_CIPHER_CTX *ctx, const uint8_t *tag, uint8_t *out,
		   bool *ok)
{
	return cw_push(w, cw_slot(w), &(struct cw_job){ .kind = CW_END, .ctx = ctx, .out = out,
							 .flag = ok, .in = tag });
}

uint64_t cwork_update(struct cwork *w, EVP_CIPHER_CTX *ctx, const uint8_t *in, size_t len,
		      bool kept, uint8_t *out, bool *err)
{
	uint64_t h, pos = w->pos;
	if (!kept && len > CWORK_PIECE_MAX) { /* in line, after the rest */
		h = atomic_load_explicit(&w->head, memory_order_relaxed);
		cw_until(w, h);
		cw_do(&(struct cw_job){ .kind = CW_UPDATE, .ctx = ctx, .out = out, .flag = err,
					.in = in, .len = (uint32_t)len });
		return h;
	}
	h = cw_slot(w);
	w->n_pieces++;
	if (!kept) {
		/* a piece does not wrap: past the ring's end it starts at its start */
		if (pos % CWORK_BYTES + len > CWORK_BYTES)
			pos += CWORK_BYTES - pos % CWORK_BYTES;
		/* room: the ring's bytes up to the piece's end given back */
		while (pos + len - atomic_load_explicit(&w->done_end, memory_order_acquire) >
		       CWORK_BYTES)
			cw_until(w, atomic_load_explicit(&w->done, memory_order_relaxed) + 1);
		memcpy(w->ring + pos % CWORK_BYTES, in, len);
		w->n_copied++;
		in = w->ring + pos % CWORK_BYTES;
		pos += len;
	}
	/* a kept piece gives back what the one before it used */
	w->pos = pos;
	return cw_push(w, h, &(struct cw_job){ .kind = CW_UPDATE, .ctx = ctx, .out = out,
					       .flag = err, .in = in, .len = (uint32_t)len });
}

