/* quicflow.c - the QUIC connection table: one quicdec_conn per connection, capped, LRU. */
#include "quicflow.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NIL UINT32_MAX
/* A decoder's memory as counted: its six CRYPTO buffers; its cipher
 * contexts and the struct itself are small beside them. */
#define DEC_BYTES ((uint64_t)QUICDEC_N_SPACES * 2 * QUICFLOW_CRYPTO_CAP)

struct quicflow_table {
	struct quicflow *q;      /* max slots */
	uint32_t max, n_used;
	uint32_t *buckets;       /* hash heads (indices into q) */
	uint32_t n_buckets;      /* a power of two */
	uint32_t free_head;      /* free slots, chained through hnext */
	uint32_t n_fresh;        /* slots n_fresh..max-1 never used yet (not on the free list,
	                            never touched: a capture without QUIC faults none in) */
	uint32_t lru_head, lru_tail; /* head = most recently used */
	uint64_t key[2];         /* per-run hash key: chains cannot be aimed at from the wire */
	uint32_t next_id;
	uint64_t n_made, n_evicted, mem, mem_peak;
	quicflow_retire_fn retire;
	void *ctx;
};

/* ------------------------------------------------------------------ */
/* hashing and the LRU list                                            */
/* ------------------------------------------------------------------ */

static uint64_t mix(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

/* One endpoint under the run's key (splitmix64 rounds over the words). */
static uint64_t endpoint_hash(const struct quicflow_table *t, const uint8_t *a, uint16_t port)
{
	uint64_t w0, w1;
	memcpy(&w0, a, 8);
	memcpy(&w1, a + 8, 8);
	uint64_t h = mix(w0 ^ t->key[0]);
	h = mix(h ^ w1 ^ t->key[1]);
	return mix(h ^ port);
}

/* Both endpoints, added: the same bucket in either direction. */
static uint32_t bucket(const struct quicflow_table *t, const uint8_t *a, uint16_t pa,
		       const uint8_t *b, uint16_t pb)
{
	uint64_t h = endpoint_hash(t, a, pa) + endpoint_hash(t, b, pb);
	return (uint32_t)(h ^ (h >> 32)) & (t->n_buckets - 1);
}

static void lru_unlink(struct quicflow_table *t, uint32_t i)
{
	struct quicflow *q = &t->q[i];
	if (q->lprev != NIL)
		t->q[q->lprev].lnext = q->lnext;
	else
		t->lru_head = q->lnext;
	if (q->lnext != NIL)
		t->q[q->lnext].lprev = q->lprev;
	else
		t->lru_tail = q->lprev;
	q->lprev = q->lnext = NIL;
}

static void lru_push_front(struct quicflow_table *t, uint32_t i)
{
	struct quicflow *q = &t->q[i];
	q->lprev = NIL;
	q->lnext = t->lru_head;
	if (t->lru_head != NIL)
		t->q[t->lru_head].lprev = i;
	t->lru_head = i;
	if (t->lru_tail == NIL)
		t->lru_tail = i;
}

/* Take slot i out of its chain and the LRU list, free its decoder, put
 * it back on the free list. */
static void slot_free(struct quicflow_table *t, uint32_t i)
{
	struct quicflow *q = &t->q[i];
	uint32_t *pp = &t->buckets[bucket(t, q->cli, q->cport, q->srv, q->sport)];
	/* the chain holds at most max entries: the walk ends */
	for (uint32_t n = 0; *pp != NIL && n <= t->max; n++) {
		if (*pp == i) {
			*pp = q->hnext;
			break;
		}
		pp = &t->q[*pp].hnext;
	}
	lru_unlink(t, i);
	quicdec_free(q->dec);
	if (q->dec)
		t->mem -= DEC_BYTES;
	memset(q, 0, sizeof(*q));
	q->hnext = t->free_head;
	q->lprev = q->lnext = NIL;
	t->free_head = i;
	t->n_used--;
}

static void retire(struct quicflow_table *t, uint32_t i, const char *why)
{
	if (t->retire)
		t->retire(t->ctx, &t->q[i], why);
	slot_free(t, i);
}

/* ------------------------------------------------------------------ */
/* the table                                                           */
/* ------------------------------------------------------------------ */

static void key_init(uint64_t key[2])
{
	if (getentropy(key, 2 * sizeof(uint64_t)) == 0)
		return;
	/* no entropy source: the clock and the process still differ per run */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	key[0] = mix((uint64_t)ts.tv_sec ^ ((uint64_t)ts.tv_nsec << 20));
	key[1] = mix(key[0] ^ (uint64_t)getpid());
}

struct quicflow_table *quicflow_open(uint32_t max, quicflow_retire_fn retire_fn, void *ctx)
{
	if (max == 0)
		max = QUICFLOW_DEFAULT_MAX;
	if (max > (1u << 20))
		max = 1u << 20;
	struct quicflow_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->max = max;
	t->n_buckets = 1;
	while (t->n_buckets < 2 * max)
		t->n_buckets <<= 1;
	t->q = malloc((size_t)max * sizeof(*t->q)); /* each slot cleared when first handed out */
	t->buckets = malloc(t->n_buckets * sizeof(*t->buckets));
	if (!t->q || !t->buckets) {
		free(t->q);
		free(t->buckets);
		free(t);
		return NULL;
	}
	for (uint32_t i = 0; i < t->n_buckets; i++)
		t->buckets[i] = NIL;
	t->free_head = NIL;
	t->n_fresh = 0;
	t->lru_head = t->lru_tail = NIL;
	t->retire = retire_fn;
	t->ctx = ctx;
	key_init(t->key);
	return t;
}

void quicflow_close(struct quicflow_table *t)
{
	if (!t)
		return;
	/* oldest first: the summary lists them by number anyway */
	for (uint32_t n = 0; t->lru_tail != NIL && n < t->max; n++)
		retire(t, t->lru_tail, "end of capture");
	free(t->q);
	free(t->buckets);
	free(t);
}

static bool same(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 16) == 0;
}

struct quicflow *quicflow_find(struct quicflow_table *t, const struct pkt *p, int *dir)
{
	uint32_t i = t->buckets[bucket(t, p->src, p->sport, p->dst, p->dport)];
	for (uint32_t n = 0; i != NIL && n <= t->max; n++, i = t->q[i].hnext) {
		struct quicflow *q = &t->q[i];
		if (q->ip_ver != p->ip_ver)
			continue;
		int d = -1;
		if (q->cport == p->sport && q->sport == p->dport && same(q->cli, p->src) &&
		    same(q->srv, p->dst))
			d = 0;
		else if (q->cport == p->dport && q->sport == p->sport && same(q->cli, p->dst) &&
			 same(q->srv, p->src))
			d = 1;
		if (d < 0)
			continue;
		*dir = d;
		lru_unlink(t, i);
		lru_push_front(t, i);
		return q;
	}
	return NULL;
}

struct quicflow *quicflow_new(struct quicflow_table *t, const struct pkt *p, int64_t ts)
{
	if (t->free_head == NIL && t->n_fresh == t->max) {
		if (t->lru_tail == NIL)
			return NULL;
		t->n_evicted++;
		retire(t, t->lru_tail, "evicted (QUIC connection table full)");
	}
	struct quicdec_conn *dec = quicdec_new(QUICFLOW_CRYPTO_CAP);
	if (!dec)
		return NULL;
	uint32_t i = t->free_head != NIL ? t->free_head : t->n_fresh++;
	struct quicflow *q = &t->q[i];
	if (i == t->free_head)
		t->free_head = q->hnext;
	memset(q, 0, sizeof(*q));
	q->in_use = true;
	q->id = ++t->next_id;
	q->ip_ver = p->ip_ver;
	memcpy(q->cli, p->src, 16);
	memcpy(q->srv, p->dst, 16);
	q->cport = p->sport;
	q->sport = p->dport;
	q->dec = dec;
	q->ts_first = q->ts_last = ts;
	q->close_dir = -1;
	uint32_t b = bucket(t, q->cli, q->cport, q->srv, q->sport);
	q->hnext = t->buckets[b];
	t->buckets[b] = i;
	q->lprev = q->lnext = NIL;
	lru_push_front(t, i);
	t->n_used++;
	t->n_made++;
	t->mem += DEC_BYTES;
	if (t->mem > t->mem_peak)
		t->mem_peak = t->mem;
	return q;
}

void quicflow_retire(struct quicflow_table *t, struct quicflow *q, const char *why)
{
	uint32_t i = (uint32_t)(q - t->q);
	if (i < t->n_fresh && q->in_use)
		retire(t, i, why);
}

void quicflow_forget(struct quicflow_table *t, struct quicflow *q)
{
	uint32_t i = (uint32_t)(q - t->q);
	if (i >= t->n_fresh || !q->in_use)
		return;
	if (q->id == t->next_id)
		t->next_id--;
	t->n_made--;
	slot_free(t, i);
}

uint64_t quicflow_evicted(const struct quicflow_table *t) { return t->n_evicted; }
uint64_t quicflow_count(const struct quicflow_table *t) { return t->n_made; }
uint64_t quicflow_mem_peak(const struct quicflow_table *t) { return t->mem_peak; }

/* RFC 9114 8.1 and RFC 9204 6. */
static const struct {
	uint64_t code;
	const char *name;
} h3_errors[] = {
	{ 0x0100, "H3_NO_ERROR" },
	{ 0x0101, "H3_GENERAL_PROTOCOL_ERROR" },
	{ 0x0102, "H3_INTERNAL_ERROR" },
	{ 0x0103, "H3_STREAM_CREATION_ERROR" },
	{ 0x0104, "H3_CLOSED_CRITICAL_STREAM" },
	{ 0x0105, "H3_FRAME_UNEXPECTED" },
	{ 0x0106, "H3_FRAME_ERROR" },
	{ 0x0107, "H3_EXCESSIVE_LOAD" },
	{ 0x0108, "H3_ID_ERROR" },
	{ 0x0109, "H3_SETTINGS_ERROR" },
	{ 0x010a, "H3_MISSING_SETTINGS" },
	{ 0x010b, "H3_REQUEST_REJECTED" },
	{ 0x010c, "H3_REQUEST_CANCELLED" },
	{ 0x010d, "H3_REQUEST_INCOMPLETE" },
	{ 0x010e, "H3_MESSAGE_ERROR" },
	{ 0x010f, "H3_CONNECT_ERROR" },
	{ 0x0110, "H3_VERSION_FALLBACK" },
	{ 0x0200, "QPACK_DECOMPRESSION_FAILED" },
	{ 0x0201, "QPACK_ENCODER_STREAM_ERROR" },
	{ 0x0202, "QPACK_DECODER_STREAM_ERROR" },
};

const char *quicflow_h3_error_name(uint64_t code)
{
	for (size_t i = 0; i < sizeof(h3_errors) / sizeof(h3_errors[0]); i++)
		if (h3_errors[i].code == code)
			return h3_errors[i].name;
	return NULL;
}
