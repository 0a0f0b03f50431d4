/* flow.c - TCP connection table: lookup, state per direction, notes, eviction. */
#include "flow.h"

#include "step.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define NIL UINT32_MAX

/*
 * Slots are allocated as the table fills, FLOW_CHUNK at a time, never moved
 * (a struct conn * stays valid while its slot is in use): a capture of 16
 * packets touches one chunk, not max_conns slots.  A finished connection
 * keeps its slot for late packets (a retransmitted FIN, an RST after the
 * close) while at most FLOW_LINGER finished ones are kept; beyond that the
 * oldest finished slot is reused before the table grows, so the table grows
 * with the connections open at once, not with the capture.
 */
#define FLOW_CHUNK_SHIFT 8
#define FLOW_CHUNK (1u << FLOW_CHUNK_SHIFT)
#define FLOW_LINGER 1024

struct flow_table {
	struct conn **chunks;    /* [max_conns / FLOW_CHUNK, rounded up]: allocated as needed */
	uint32_t n_alloc;        /* slots allocated (whole chunks, at most max_conns) */
	uint32_t n_used;         /* slots handed out at least once; the rest of the chunks
	                            stays untouched (no page of it is faulted in) */
	uint32_t max_conns;      /* table cap */
	uint32_t n_finished;     /* slots in use by finished connections (lingering) */
	uint32_t *buckets;       /* hash heads (indices into conns) */
	uint32_t n_buckets;      /* power of two */
	uint32_t free_head;      /* free slots, chained through hnext */
	uint32_t lru_head;       /* most recently used */
	uint32_t lru_tail;       /* least recently used: evicted first */
	uint32_t n_live;         /* slots in use */
	uint32_t next_id;        /* next connection number */
	uint64_t n_evicted;      /* unfinished connections pushed out by the cap */
	struct reasm_pool pool;  /* reassembly memory of every connection */
	flow_retire_fn retire;   /* told about each connection that leaves */
	void *retire_ctx;
	uint64_t key[2];         /* the hash key of this run (random) */
};

/* Slot i (i < n_alloc). */
static inline struct conn *slot_at(const struct flow_table *ft, uint32_t i)
{
	return &ft->chunks[i >> FLOW_CHUNK_SHIFT][i & (FLOW_CHUNK - 1)];
}

/* ------------------------------------------------------------------ */
/* hashing and the LRU list                                            */
/* ------------------------------------------------------------------ */

/*
 * The hash is keyed per run (a random 128-bit key from getrandom(2)): with
 * a fixed function anyone who can put packets on the wire could pick
 * four-tuples that share one bucket and make every lookup walk them all.
 * SipHash (Aumasson and Bernstein, 2012), the keyed function hash tables
 * keyed by untrusted input use (Linux, Python, Rust); here it only spreads
 * buckets, it guards no secret, so it runs with one compression and three
 * finalisation rounds (SipHash-1-3, Rust's HashMap default) over only the
 * bytes of the tuple: 12 for IPv4, 36 for IPv6 -- it runs once a packet.
 * The key never reaches the output, and the output never depends on the
 * bucket order (a lookup finds the one connection of a tuple, whatever its
 * place in the chain).
 */
#define ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1], v[1] = ROTL64(v[1], 13), v[1] ^= v[0], v[0] = ROTL64(v[0], 32);
	v[2] += v[3], v[3] = ROTL64(v[3], 16), v[3] ^= v[2];
	v[0] += v[3], v[3] = ROTL64(v[3], 21), v[3] ^= v[0];
	v[2] += v[1], v[1] = ROTL64(v[1], 17), v[1] ^= v[2], v[2] = ROTL64(v[2], 32);
}

static inline uint64_t le64(const uint8_t *b)
{
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--)
		x = x << 8 | b[i];
	return x;
}

/* SipHash-c-d: c rounds per 8-byte block, d to finish. */
static inline uint64_t siphash(const uint64_t key[2], const uint8_t *in, size_t len, int c, int d)
{
	uint64_t v[4] = { key[0] ^ 0x736f6d6570736575ull, key[1] ^ 0x646f72616e646f6dull,
			  key[0] ^ 0x6c7967656e657261ull, key[1] ^ 0x7465646279746573ull };
	size_t off = 0;
	for (; len - off >= 8; off += 8) {
		uint64_t m = le64(in + off);
		v[3] ^= m;
		for (int r = 0; r < c; r++)
			sip_round(v);
		v[0] ^= m;
	}
	uint64_t last = (uint64_t)(len & 0xff) << 56;
	for (size_t i = 0; off + i < len; i++)
		last |= (uint64_t)in[off + i] << (8 * i);
	v[3] ^= last;
	for (int r = 0; r < c; r++)
		sip_round(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	for (int r = 0; r < d; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint64_t siphash24(const uint64_t key[2], const uint8_t *in, size_t len)
{
	return siphash(key, in, len, 2, 4);
}

/* A random key for this run: getrandom(2); if that fails (an old kernel,
 * a sandbox), the clock, the process id and an address, which still
 * differ from run to run and cannot be guessed from the packets. */
static void hash_key(uint64_t key[2], const void *salt)
{
	if (getrandom(key, 2 * sizeof(key[0]), GRND_NONBLOCK) == (ssize_t)(2 * sizeof(key[0])))
		return;
	struct timespec ts = { 0, 0 };
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t seed[3] = { (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
			     (uint64_t)getpid(), (uint64_t)(uintptr_t)salt };
	const uint64_t k0[2] = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	key[0] = siphash24(k0, (const uint8_t *)seed, sizeof(seed));
	seed[0] ^= key[0];
	key[1] = siphash24(k0, (const uint8_t *)seed, sizeof(seed));
}

/* Both endpoints in a fixed order (the lower first), so that the hash
 * does not depend on direction; an IPv4 address is its first 4 bytes. */
static uint32_t flow_hash(const uint64_t key[2], uint8_t ip_ver, const uint8_t *a, uint16_t pa,
			  const uint8_t *b, uint16_t pb)
{
	uint8_t in[36];
	size_t al = ip_ver == 4 ? 4 : 16;
	int cmp = memcmp(a, b, al);
	if (cmp > 0 || (cmp == 0 && pa > pb)) {
		const uint8_t *t = a;
		uint16_t tp = pa;
		a = b, pa = pb, b = t, pb = tp;
	}
	memcpy(in, a, al);
	in[al] = (uint8_t)(pa >> 8), in[al + 1] = (uint8_t)pa;
	memcpy(in + al + 2, b, al);
	in[2 * al + 2] = (uint8_t)(pb >> 8), in[2 * al + 3] = (uint8_t)pb;
	uint64_t h = siphash(key, in, 2 * al + 4, 1, 3);
	return (uint32_t)(h ^ (h >> 32));
}

static uint32_t conn_hash(const struct flow_table *ft, const struct conn *c)
{
	return flow_hash(ft->key, c->ip_ver, c->cli, c->cport, c->srv, c->sport) & (ft->n_buckets - 1);
}

static void lru_unlink(struct flow_table *ft, uint32_t i)
{
	struct conn *c = slot_at(ft, i);
	if (c->lprev != NIL)
		slot_at(ft, c->lprev)->lnext = c->lnext;
	else
		ft->lru_head = c->lnext;
	if (c->lnext != NIL)
		slot_at(ft, c->lnext)->lprev = c->lprev;
	else
		ft->lru_tail = c->lprev;
	c->lprev = c->lnext = NIL;
}

static void lru_push_head(struct flow_table *ft, uint32_t i)
{
	struct conn *c = slot_at(ft, i);
	c->lprev = NIL;
	c->lnext = ft->lru_head;
	if (ft->lru_head != NIL)
		slot_at(ft, ft->lru_head)->lprev = i;
	ft->lru_head = i;
	if (ft->lru_tail == NIL)
		ft->lru_tail = i;
}

static void lru_push_tail(struct flow_table *ft, uint32_t i)
{
	struct conn *c = slot_at(ft, i);
	c->lnext = NIL;
	c->lprev = ft->lru_tail;
	if (ft->lru_tail != NIL)
		slot_at(ft, ft->lru_tail)->lnext = i;
	ft->lru_tail = i;
	if (ft->lru_head == NIL)
		ft->lru_head = i;
}

/* ------------------------------------------------------------------ */
/* table                                                               */
/* ------------------------------------------------------------------ */

struct flow_table *flow_open(uint32_t max_conns, uint64_t reasm_cap, flow_retire_fn retire,
			     void *ctx)
{
	if (max_conns == 0 || max_conns > (1u << 24))
		return NULL;
	struct flow_table *ft = calloc(1, sizeof(*ft));
	if (!ft)
		return NULL;
	/* The buckets: a power of two at least twice the slots allocated, grown
	 * with them (slots_grow), so chains stay short and a small capture sets
	 * up 2 KiB of them, not 128 KiB. */
	uint32_t first = max_conns < FLOW_CHUNK ? max_conns : FLOW_CHUNK;
	ft->n_buckets = 1;
	while (ft->n_buckets < first * 2u)
		ft->n_buckets <<= 1;
	ft->chunks = calloc((max_conns + FLOW_CHUNK - 1) / FLOW_CHUNK, sizeof(*ft->chunks));
	ft->buckets = malloc(ft->n_buckets * sizeof(*ft->buckets));
	if (!ft->chunks || !ft->buckets) {
		free(ft->chunks);
		free(ft->buckets);
		free(ft);
		return NULL;
	}
	for (uint32_t i = 0; i < ft->n_buckets; i++)
		ft->buckets[i] = NIL;
	ft->free_head = NIL;
	ft->max_conns = max_conns;
	ft->lru_head = ft->lru_tail = NIL;
	ft->next_id = 1;
	ft->pool.cap = reasm_cap;
	ft->retire = retire;
	ft->retire_ctx = ctx;
	hash_key(ft->key, ft);
	return ft;
}

/* Tell the owner a connection leaves.  A mid-stream one whose bytes never
 * showed a message start carried something we could not tell: other data. */
static void conn_retire(struct flow_table *ft, struct conn *c, const char *why)
{
	if (c->app == APP_UNKNOWN && c->n_skipped > 0)
		c->app = APP_OPAQUE;
	ft->retire(ft->retire_ctx, c, why);
}

/* Take slot i out of the hash chain and the LRU list, back on the free list. */
static void slot_release(struct flow_table *ft, uint32_t i)
{
	struct conn *c = slot_at(ft, i);
	uint32_t *pp = &ft->buckets[conn_hash(ft, c)];
	/* The chain holds at most n_live entries, so this walk ends. */
	while (*pp != NIL && *pp != i)
		pp = &slot_at(ft, *pp)->hnext;
	if (*pp == i)
		*pp = c->hnext;
	lru_unlink(ft, i);
	reasm_free(&ft->pool, &c->rs[0]);
	reasm_free(&ft->pool, &c->rs[1]);
	if (c->finished)
		ft->n_finished--;
	c->in_use = false;
	c->hnext = ft->free_head;
	ft->free_head = i;
	ft->n_live--;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void flow_close(struct flow_table *ft)
{
	if (!ft)
		return;
	/* Retire what is left in order of connection number, oldest first:
	 * walking the LRU list from the tail would order them by last use, and
	 * the slots are not in that order once a slot was reused. */
	/* (connection number << 32 | slot): sorted, the numbers' order */
	uint64_t *order = ft->retire && ft->n_live ? malloc(ft->n_live * sizeof(*order)) : NULL;
	uint32_t n = 0;
	for (uint32_t i = 0; i < ft->n_used; i++) {
		struct conn *c = slot_at(ft, i);
		if (!c->in_use || c->finished || !ft->retire)
			continue;
		if (order && n < ft->n_live)
			order[n++] = (uint64_t)c->id << 32 | i;
		else
			conn_retire(ft, c, "end of capture"); /* no memory: slot order */
	}
	if (order) {
		qsort(order, n, sizeof(*order), cmp_u64);
		for (uint32_t k = 0; k < n; k++)
			conn_retire(ft, slot_at(ft, (uint32_t)order[k]), "end of capture");
		free(order);
	}
	for (uint32_t i = 0; i < ft->n_used; i++) {
		reasm_free(&ft->pool, &slot_at(ft, i)->rs[0]);
		reasm_free(&ft->pool, &slot_at(ft, i)->rs[1]);
	}
	for (uint32_t i = 0; i < ft->n_alloc; i += FLOW_CHUNK)
		free(ft->chunks[i >> FLOW_CHUNK_SHIFT]);
	free(ft->chunks);
	free(ft->buckets);
	free(ft);
}

uint32_t flow_count(const struct flow_table *ft) { return ft->n_live; }

uint64_t flow_evicted(const struct flow_table *ft) { return ft->n_evicted; }

uint32_t flow_slots(const struct flow_table *ft) { return ft->n_alloc; }

uint32_t flow_chain_max(const struct flow_table *ft)
{
	uint32_t longest = 0;
	for (uint32_t b = 0; b < ft->n_buckets; b++) {
		uint32_t n = 0;
		/* a chain holds at most n_live entries */
		for (uint32_t i = ft->buckets[b]; i != NIL && n <= ft->n_live; i = slot_at(ft, i)->hnext)
			n++;
		if (n > longest)
			longest = n;
	}
	return longest;
}

/* Find the connection of p; *dir tells which way p goes. */
static uint32_t flow_find(const struct flow_table *ft, const struct pkt *p, uint32_t h, int *dir)
{
	for (uint32_t i = ft->buckets[h]; i != NIL; i = slot_at(ft, i)->hnext) {
		const struct conn *c = slot_at(ft, i);
		if (c->ip_ver != p->ip_ver)
			continue;
		if (c->cport == p->sport && c->sport == p->dport && !memcmp(c->cli, p->src, 16) &&
		    !memcmp(c->srv, p->dst, 16)) {
			*dir = 0;
			return i;
		}
		if (c->sport == p->sport && c->cport == p->dport && !memcmp(c->srv, p->src, 16) &&
		    !memcmp(c->cli, p->dst, 16)) {
			*dir = 1;
			return i;
		}
	}
	return NIL;
}

const struct conn *flow_peek(const struct flow_table *ft, const struct pkt *p)
{
	int dir = 0;
	uint32_t h = flow_hash(ft->key, p->ip_ver, p->src, p->sport, p->dst, p->dport) & (ft->n_buckets - 1);
	uint32_t i = flow_find(ft, p, h, &dir);
	return i == NIL ? NULL : slot_at(ft, i);
}

/* The buckets for n_buckets (a power of two): every connection in use
 * hashed again; on allocation failure the old ones stay (longer chains). */
static void rehash(struct flow_table *ft, uint32_t n_buckets)
{
	uint32_t *nb = malloc(n_buckets * sizeof(*nb));
	if (!nb)
		return;
	for (uint32_t b = 0; b < n_buckets; b++)
		nb[b] = NIL;
	free(ft->buckets);
	ft->buckets = nb;
	ft->n_buckets = n_buckets;
	for (uint32_t i = 0; i < ft->n_used; i++) {
		struct conn *c = slot_at(ft, i);
		if (!c->in_use)
			continue; /* a free slot: its hnext is the free list's */
		uint32_t h = conn_hash(ft, c);
		c->hnext = nb[h];
		nb[h] = i;
	}
}

/* One more chunk of slots (fewer when the cap is near), handed out from
 * its front as needed (calloc: its pages are faulted in as they are
 * used); false when the table is at its cap or memory cannot be had. */
static bool slots_grow(struct flow_table *ft)
{
	if (ft->n_alloc >= ft->max_conns)
		return false;
	uint32_t n = ft->max_conns - ft->n_alloc < FLOW_CHUNK ? ft->max_conns - ft->n_alloc : FLOW_CHUNK;
	struct conn *chunk = calloc(n, sizeof(*chunk));
	if (!chunk)
		return false;
	ft->chunks[ft->n_alloc >> FLOW_CHUNK_SHIFT] = chunk;
	ft->n_alloc += n;
	if (ft->n_buckets < ft->n_alloc * 2u && ft->n_buckets < (1u << 31))
		rehash(ft, ft->n_buckets * 2u >= ft->n_alloc * 2u ? ft->n_buckets * 2u : ft->n_buckets * 4u);
	return true;
}

/* A free slot: a free one; else the oldest finished one when FLOW_LINGER
 * are kept; else a new one; else (the cap) the least recently used
 * connection's, evicting it. */
static uint32_t slot_get(struct flow_table *ft)
{
	if (ft->free_head == NIL && ft->n_used == ft->n_alloc) {
		bool reuse = ft->n_finished >= FLOW_LINGER && ft->lru_tail != NIL &&
			     slot_at(ft, ft->lru_tail)->finished;
		if (reuse || !slots_grow(ft)) {
			uint32_t victim = ft->lru_tail;
			struct conn *v = slot_at(ft, victim);
			if (!v->finished) {
				ft->n_evicted++;
				if (ft->retire)
					conn_retire(ft, v, "evicted (table full)");
			}
			slot_release(ft, victim);
		}
	}
	if (ft->free_head == NIL)
		return ft->n_used++; /* a slot of the newest chunk never used */
	uint32_t i = ft->free_head;
	ft->free_head = slot_at(ft, i)->hnext;
	return i;
}

/* Ports that name a server when a connection is seen without its SYN. */
static bool port_is_service(uint16_t port)
{
	static const uint16_t known[] = { 53, 80, 443, 8000, 8080, 8443 };
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (port == known[i])
			return true;
	return false;
}

/* Does the sender of p look like the client?  The ports' guess, the last
 * resort on a connection seen mid-stream. */
static bool guess_sender_is_client(const struct pkt *p)
{
	bool s_srv = port_is_service(p->sport), d_srv = port_is_service(p->dport);
	if (s_srv != d_srv)
		return d_srv;
	bool s_low = p->sport < 1024, d_low = p->dport < 1024;
	if (s_low != d_low)
		return d_low;
	return p->dport <= p->sport;
}

/* Does the first line of b end in " HTTP/1." DIGIT, as a request line does
 * (RFC 9112 3)?  "TOKEN SP x" alone is not enough: a body can start so. */
static bool line_ends_in_version(const uint8_t *b, size_t n)
{
	size_t lim = n < 8192 ? n : 8192;
	const uint8_t *lf = memchr(b, '\n', lim);
	if (!lf)
		return false;
	size_t end = (size_t)(lf - b);
	if (end > 0 && b[end - 1] == '\r')
		end--;
	return end >= 9 && !memcmp(b + end - 9, " HTTP/1.", 8) && b[end - 1] >= '0' &&
	       b[end - 1] <= '9';
}

/*
 * What a payload says about its sender on a connection seen mid-stream:
 * 1 a client (an HTTP request line, a TLS ClientHello), -1 a server (an
 * HTTP status line, a TLS ServerHello), 0 nothing.  Uses the decoders'
 * own recognisers on the captured bytes; *by says which evidence.
 */
static int payload_role(const struct pkt *p, uint8_t *by)
{
	const uint8_t *b = p->pl;
	size_t n = p->pl_cap;
	if (!b || n == 0)
		return 0;
	if (http_sniff(1, b, n) == FT_OK) {
		*by = FLOW_BY_STATUS;
		return -1;
	}
	if (http_sniff(0, b, n) == FT_OK && line_ends_in_version(b, n)) {
		*by = FLOW_BY_REQUEST;
		return 1;
	}
	/* record header (5 bytes), then the handshake type (RFC 8446 4) */
	if (n > 5 && tls_sniff(b, n) == FT_OK && (b[5] == 1 || b[5] == 2)) {
		*by = b[5] == 1 ? FLOW_BY_CLIENT_HELLO : FLOW_BY_SERVER_HELLO;
		return b[5] == 1 ? 1 : -1;
	}
	return 0;
}

/* Exchange client and server: the evidence came after the connection was
 * created with the ports' guess, before any byte was decoded.  The hash
 * does not depend on direction, so the chain stays. */
static void conn_swap_roles(struct conn *c)
{
	uint8_t a[16];
	memcpy(a, c->cli, 16);
	memcpy(c->cli, c->srv, 16);
	memcpy(c->srv, a, 16);
	uint16_t port = c->cport;
	c->cport = c->sport;
	c->sport = port;
	struct flow_dir d = c->d[0];
	c->d[0] = c->d[1];
	c->d[1] = d;
	struct reasm_dir r = c->rs[0];
	c->rs[0] = c->rs[1];
	c->rs[1] = r;
	if (c->first_fin >= 0)
		c->first_fin = (int8_t)(1 - c->first_fin);
	if (c->rst_dir >= 0)
		c->rst_dir = (int8_t)(1 - c->rst_dir);
	c->start_lost = (uint8_t)((c->start_lost & 1) << 1 | (c->start_lost >> 1 & 1));
	c->lost_dirs = (uint8_t)((c->lost_dirs & 1) << 1 | (c->lost_dirs >> 1 & 1));
	/* history letters: upper case is the client's */
	for (uint8_t k = 0; k < c->n_hist; k++) {
		char h = c->history[k];
		c->history[k] = h >= 'a' && h <= 'z' ? (char)(h - 'a' + 'A')
			      : h >= 'A' && h <= 'Z' ? (char)(h - 'A' + 'a') : h;
	}
}

const char *flow_client_why(const struct conn *c)
{
	switch (c->client_by) {
	case FLOW_BY_PORTS:
		return "guessed from the ports";
	case FLOW_BY_REQUEST:
		return "(it sends a request line)";
	case FLOW_BY_STATUS:
		return "(the server sends a status line)";
	case FLOW_BY_CLIENT_HELLO:
		return "(it sends a TLS ClientHello)";
	case FLOW_BY_SERVER_HELLO:
		return "(the server sends a TLS ServerHello)";
	default:
		return "(it sent the SYN)";
	}
}

static uint32_t slot_new(struct flow_table *ft, const struct pkt *p, bool sender_client)
{
	uint32_t i = slot_get(ft);
	struct conn *c = slot_at(ft, i);
	memset(c, 0, sizeof(*c));
	c->slot = i;
	c->id = ft->next_id++;
	c->ip_ver = p->ip_ver;
	if (sender_client) {
		memcpy(c->cli, p->src, 16), memcpy(c->srv, p->dst, 16);
		c->cport = p->sport, c->sport = p->dport;
	} else {
		memcpy(c->cli, p->dst, 16), memcpy(c->srv, p->src, 16);
		c->cport = p->dport, c->sport = p->sport;
	}
	c->dns = c->sport == 53;
	c->first_fin = c->rst_dir = -1;
	c->ts_first = p->ts_us;
	c->in_use = true;
	uint32_t hb = conn_hash(ft, c);
	c->hnext = ft->buckets[hb];
	ft->buckets[hb] = i;
	c->lprev = c->lnext = NIL;
	lru_push_head(ft, i);
	ft->n_live++;
	return i;
}

/* ------------------------------------------------------------------ */
/* sequence space                                                      */
/* ------------------------------------------------------------------ */

/*
 * The relative number nearest to ref whose low 32 bits are rel32.  The
 * sequence space wraps (RFC 9293 3.4), so numbers compare by their signed
 * 32-bit difference (RFC 1982 serial arithmetic, BSD's SEQ_LT): a number a
 * little below ref stays a little below it, down to below the start of the
 * direction (a negative result: old), instead of becoming ~2^32 ahead.
 */
static int64_t seq_unwrap(uint64_t ref, uint32_t rel32)
{
	uint32_t d = rel32 - (uint32_t)ref;
	int64_t delta = d < 0x80000000u ? (int64_t)d : (int64_t)d - ((int64_t)1 << 32);
	return (int64_t)ref + delta;
}

int64_t flow_rel_seq(const struct flow_dir *d, uint32_t seq)
{
	return seq_unwrap(d->max_end, seq - d->isn);
}

/* Does [s, e) touch a recorded hole?  Shrinks or removes what it fills. */
static bool holes_fill(struct flow_dir *d, uint64_t s, uint64_t e)
{
	bool hit = false;
	for (uint8_t k = 0; k < d->n_holes;) {
		uint64_t hs = d->holes[k][0], he = d->holes[k][1];
		if (e <= hs || s >= he) {
			k++;
			continue;
		}
		hit = true;
		if (s <= hs && e >= he) { /* filled whole: drop it */
			d->holes[k][0] = d->holes[d->n_holes - 1][0];
			d->holes[k][1] = d->holes[d->n_holes - 1][1];
			d->n_holes--;
			continue;
		}
		if (s <= hs)
			d->holes[k][0] = e;
		else if (e >= he)
			d->holes[k][1] = s;
		else if (d->n_holes < FLOW_MAX_HOLES) { /* split in two */
			d->holes[d->n_holes][0] = e;
			d->holes[d->n_holes][1] = he;
			d->holes[k][1] = s;
			d->n_holes++;
		} else {
			d->holes[k][1] = s; /* forget the upper part */
		}
		k++;
	}
	return hit;
}

static void hole_add(struct flow_dir *d, uint64_t s, uint64_t e)
{
	if (d->n_holes == FLOW_MAX_HOLES) { /* forget the oldest */
		memmove(d->holes[0], d->holes[1], sizeof(d->holes[0]) * (FLOW_MAX_HOLES - 1));
		d->n_holes--;
	}
	d->holes[d->n_holes][0] = s;
	d->holes[d->n_holes][1] = e;
	d->n_holes++;
}

/* Zeek's history: a letter once per direction, upper case for the client. */
static void hist_add(struct conn *c, int dir, char letter, int bit)
{
	struct flow_dir *d = &c->d[dir];
	if (d->hist_mask & (1u << bit) || c->n_hist >= FLOW_HISTORY_MAX)
		return;
	d->hist_mask |= 1u << bit;
	c->history[c->n_hist++] = dir == 0 ? letter : (char)(letter - 'A' + 'a');
	c->history[c->n_hist] = '\0';
}

enum { H_S, H_H, H_A, H_D, H_F, H_R, H_T, H_W };

/* ------------------------------------------------------------------ */
/* tracking one segment                                                */
/* ------------------------------------------------------------------ */

struct conn *flow_lookup(struct flow_table *ft, const struct pkt *p)
{
	return (struct conn *)flow_peek(ft, p); /* the table is the caller's to change */
}

void flow_track(struct flow_table *ft, const struct pkt *p, struct flow_seg *out)
{
	memset(out, 0, sizeof(*out));
	out->acks_dir = -1;
	out->rtt_us = -1;
	uint8_t fl = p->tcp_flags;
	bool syn = fl & TCP_SYN, ack = fl & TCP_ACK, fin = fl & TCP_FIN, rst = fl & TCP_RST;

	uint32_t h = flow_hash(ft->key, p->ip_ver, p->src, p->sport, p->dst, p->dport) & (ft->n_buckets - 1);
	int dir = 0;
	uint32_t i = flow_find(ft, p, h, &dir);
	if (i != NIL && slot_at(ft, i)->finished && syn && !ack) {
		/* A new connection on a finished one's four-tuple. */
		slot_release(ft, i);
		i = NIL;
		out->notes |= NOTE_PORT_REUSE;
	}
	if (i == NIL) {
		/* Without the SYN, what the packet says first, the ports last. */
		uint8_t by = FLOW_BY_PORTS;
		int role = syn ? 0 : payload_role(p, &by);
		bool sender_client = syn ? !ack : role ? role > 0 : guess_sender_is_client(p);
		i = slot_new(ft, p, sender_client);
		dir = sender_client ? 0 : 1;
		out->is_new = true;
		if (!syn) {
			slot_at(ft, i)->midstream = true;
			slot_at(ft, i)->client_by = by;
			slot_at(ft, i)->roles_final = role != 0 || slot_at(ft, i)->dns;
			out->notes |= NOTE_MIDSTREAM;
		}
	} else {
		if (!slot_at(ft, i)->finished) {
			lru_unlink(ft, i);
			lru_push_head(ft, i);
		}
		/* The first evidence on a connection created with the ports'
		 * guess: swap the roles if the guess was wrong, as long as no
		 * decoder has seen a byte (its app is not chosen yet); after
		 * that it is too late, and the guess stays. */
		struct conn *m = slot_at(ft, i);
		uint8_t by = FLOW_BY_PORTS;
		int role = !m->midstream || m->roles_final || syn || m->app != APP_UNKNOWN
				   ? 0
				   : payload_role(p, &by);
		if (role != 0) {
			m->roles_final = true;
			m->client_by = by;
			if ((role > 0) != (dir == 0)) {
				conn_swap_roles(m);
				dir = 1 - dir;
				out->notes |= NOTE_ROLES_SWAPPED;
			}
		}
	}

	struct conn *c = slot_at(ft, i);
	struct flow_dir *d = &c->d[dir], *o = &c->d[1 - dir];
	out->c = c;
	out->dir = dir;
	out->after_fin = c->d[0].fin_seen || c->d[1].fin_seen;
	c->ts_last = p->ts_us;
	d->pkts++;

	/* --- the sender's sequence space --- */
	if (syn) {
		if (d->isn_known && p->seq == d->isn)
			out->notes |= ack ? NOTE_RETRANS : NOTE_SYN_RETRANS;
		d->isn = p->seq;
		d->isn_known = true;
		if (d->state == EP_INACTIVE)
			d->state = EP_SYN_SENT;
		if (!ack && !c->ts_syn)
			c->ts_syn = p->ts_us;
		if (ack && !c->ts_synack) {
			c->ts_synack = p->ts_us;
			if (c->ts_syn)
				out->rtt_us = p->ts_us - c->ts_syn;
		}
		hist_add(c, dir, ack ? 'H' : 'S', ack ? H_H : H_S);
	} else if (!d->isn_known) {
		/* Seen without its SYN: number from the first byte seen, as 1. */
		d->isn = p->seq - 1;
		d->isn_known = true;
		d->max_end = 1;
	}
	if (!syn && d->state == EP_INACTIVE)
		d->state = EP_PARTIAL;

	int64_t rel = syn ? 0 : seq_unwrap(d->max_end, p->seq - d->isn);
	int64_t end = rel + (int64_t)p->pl_len + (syn ? 1 : 0) + (fin ? 1 : 0);
	int64_t max_end = (int64_t)d->max_end;
	out->rel_seq = rel;
	bool before = !syn && end > rel && rel < 1;
	if (before) {
		/* Bytes before the direction's first (relative 1) are old: sent
		 * before the capture began, or overtaken by later ones.  Whatever
		 * the peer acknowledged was retransmitted; the rest arrived late.
		 * They never move the stream forward. */
		bool acked = o->acked >= 1 && (int64_t)o->acked >= end;
		out->notes |= acked ? NOTE_RETRANS : NOTE_OUT_OF_ORDER;
		if (acked)
			hist_add(c, dir, 'T', H_T);
		rel = 1; /* what reaches past the start is handled from there */
	}
	if (end > rel && !syn) {
		if (rel > max_end) {
			out->notes |= NOTE_PREV_LOST;
			hole_add(d, d->max_end, (uint64_t)rel);
			out->new_bytes = p->pl_len;
			d->max_end = (uint64_t)end;
		} else if (end <= max_end) {
			if (holes_fill(d, (uint64_t)rel, (uint64_t)end)) {
				out->notes |= NOTE_OUT_OF_ORDER;
				out->new_bytes = (uint32_t)(end - rel - (fin ? 1 : 0));
			} else if (before) {
				/* old already: said above */
			} else if (p->pl_len == 1 && o->last_win == 0 && o->ack_seen &&
				   rel + 1 == max_end) {
				out->notes |= NOTE_WIN_PROBE;
			} else if (p->pl_len <= 1 && !fin && rel + 1 == max_end) {
				out->notes |= NOTE_KEEPALIVE;
			} else {
				out->notes |= NOTE_RETRANS;
				hist_add(c, dir, 'T', H_T);
			}
		} else {
			/* One new byte sent into the peer's zero window: a probe
			 * (RFC 9293 3.8.6.1). */
			if (p->pl_len == 1 && rel == max_end && o->ack_seen && o->last_win == 0)
				out->notes |= NOTE_WIN_PROBE;
			if (rel < max_end && !holes_fill(d, (uint64_t)rel, d->max_end) && !before) {
				out->notes |= NOTE_RETRANS;
				hist_add(c, dir, 'T', H_T);
			}
			int64_t fresh = end - (rel > max_end ? rel : max_end) - (fin ? 1 : 0);
			out->new_bytes = (uint32_t)(fresh < (int64_t)p->pl_len ? fresh : p->pl_len);
			d->max_end = (uint64_t)end;
		}
	} else if (!syn && !fin && !rst && p->pl_len == 0 && rel + 1 == max_end) {
		/* A zero-length keep-alive (seq = next - 1) occupies no sequence
		 * space, so the branch above never sees it. */
		out->notes |= NOTE_KEEPALIVE;
	} else if (syn) {
		if (end > max_end)
			d->max_end = (uint64_t)end;
		out->new_bytes = p->pl_len;
	}
	d->bytes += out->new_bytes;
	if (p->pl_len > 0)
		hist_add(c, dir, 'D', H_D);

	/* --- what the sender acknowledges --- */
	if (ack && !o->isn_known) {
		/* Mid-stream, the peer not heard yet: the ACK says where its stream
		 * stands, so number the peer's bytes from it, as tshark does.  What
		 * the peer sends from below is old; from above, after a gap. */
		o->isn = p->ack - 1;
		o->isn_known = true;
		o->max_end = 1;
	}
	if (ack && o->isn_known) {
		int64_t rack = seq_unwrap(o->max_end, p->ack - o->isn);
		out->rel_ack = rack;
		out->ack_valid = true;
		if (rack > (int64_t)o->max_end && !c->midstream)
			out->notes |= NOTE_ACK_UNSEEN;
		bool pure = p->pl_len == 0 && !(fl & (TCP_SYN | TCP_FIN | TCP_RST));
		/* An ACK below the peer's first byte (relative 1) is old: it
		 * acknowledges nothing and is not a duplicate of a newer one. */
		bool old_ack = rack < 1;
		if (old_ack) {
			/* nothing acknowledged */
		} else if (rack > (int64_t)d->acked) {
			if (pure && d->acked != 0)
				out->acks_dir = (int8_t)(1 - dir);
			d->acked = (uint64_t)rack;
			d->n_dup_ack = 0;
		} else if (pure && d->ack_seen && p->ack == d->last_ack) {
			if (p->win != d->last_win && p->win != 0)
				out->notes |= NOTE_WIN_UPDATE;
			else if ((int64_t)o->max_end > rack && !out->after_fin &&
				 !(out->notes & NOTE_KEEPALIVE)) {
				d->n_dup_ack++;
				out->notes |= NOTE_DUP_ACK;
				out->n_dup_ack = d->n_dup_ack;
			}
		}
		if (pure && !(out->notes & NOTE_DUP_ACK))
			hist_add(c, dir, 'A', H_A);
		if (o->fin_seen && rack > o->fin_seq && o->state == EP_FIN_SENT)
			o->state = EP_CLOSED;
		if (!old_ack) {
			d->last_ack = p->ack;
			d->ack_seen = true;
		}
		/* The client's first ACK after the SYN-ACK completes the handshake. */
		if (dir == 0 && !syn && !c->handshake_done && c->ts_synack) {
			c->handshake_done = true;
			c->ts_established = p->ts_us;
			out->completes_handshake = true;
			out->rtt_us = p->ts_us - c->ts_synack;
			if (p->pl_len == 0)
				out->notes |= NOTE_ESTABLISHED;
			c->d[0].state = c->d[1].state = EP_ESTABLISHED;
		}
	}
	if (!rst)
		d->last_win = p->win;
	if (p->win == 0 && !rst && !syn) {
		out->notes |= NOTE_ZERO_WINDOW;
		hist_add(c, dir, 'W', H_W);
	}
	if (syn) {
		if (p->opt.has_ws) {
			d->ws = p->opt.ws;
			if (ack && o->ws_ok == false && c->d[1 - dir].isn_known)
				d->ws_ok = o->ws_ok = true;
		}
	}
	if (p->opt.bad)
		out->notes |= NOTE_BAD_OPTS;
	if (d->state == EP_PARTIAL && p->pl_len > 0)
		d->state = EP_ESTABLISHED;

	/* --- teardown --- */
	if (fin) {
		if (!d->fin_seen) {
			d->fin_seen = true;
			d->fin_seq = end - 1; /* the FIN's own number */
			d->state = EP_FIN_SENT;
		}
		if (c->first_fin < 0) {
			c->first_fin = (int8_t)dir;
			c->ts_fin = p->ts_us;
			out->notes |= NOTE_CLOSES_FIRST;
		}
		hist_add(c, dir, 'F', H_F);
	}
	if (rst) {
		d->state = EP_RESET;
		if (c->rst_dir < 0)
			c->rst_dir = (int8_t)dir;
		hist_add(c, dir, 'R', H_R);
	}
	if (!c->finished && (rst || (c->d[0].state == EP_CLOSED && c->d[1].state == EP_CLOSED))) {
		c->finished = true;
		ft->n_finished++;
		out->notes |= NOTE_CLOSED;
	}
}

void flow_after(struct flow_table *ft, const struct flow_seg *seg, int step)
{
	struct conn *c = seg->c;
	if (step >= 0 && step < 8)
		c->steps_seen |= (uint8_t)(1u << step);
	/* The moments step_conn_use reads (preconnect, unused, abandoned). */
	if (step == STEP_CONNECT && !c->ts_cli_data)
		c->ts_ready = c->ts_last;
	else if (step == STEP_WRITE && seg->dir == 0 && seg->new_bytes && !c->ts_cli_data) {
		c->ts_cli_data = c->ts_last;
		c->cli_data_seq = seg->rel_seq;
	} else if (step == STEP_CLOSE && !c->ts_close) {
		c->ts_close = c->ts_last;
		c->close_seq = seg->rel_seq;
		c->close_dir = (int8_t)seg->dir;
	}
	if (seg->notes & NOTE_CLOSED) {
		if (ft->retire)
			conn_retire(ft, c, c->rst_dir >= 0 ? "reset" : "closed");
		/* Keep the slot for late packets, but reuse it first. */
		uint32_t i = c->slot;
		lru_unlink(ft, i);
		lru_push_tail(ft, i);
	}
}

void flow_conn_use_in(const struct conn *c, struct conn_use_in *out)
{
	out->established = c->handshake_done && !c->midstream;
	out->dns = c->dns;
	out->tls = c->tls;
	out->srv_data = c->d[1].bytes > 0;
	out->ts_ready = c->ts_ready;
	out->ts_cli_data = c->ts_cli_data;
	out->ts_close = c->ts_close;
	out->ts_last = c->ts_last;
	out->proxy_refused = c->proxy.kind != PROXY_NONE && !(c->proxy.replied && c->proxy.ok);
}

struct reasm_pool *flow_reasm_pool(struct flow_table *ft) { return &ft->pool; }

/* ------------------------------------------------------------------ */
/* Zeek conn_state                                                     */
/* ------------------------------------------------------------------ */

const struct flow_note_name flow_note_names[FLOW_N_NOTE_NAMES] = {
	{ NOTE_MIDSTREAM, "midstream", NULL },
	{ NOTE_RETRANS, "retransmission", "retransmission" },
	{ NOTE_SYN_RETRANS, "syn_retransmission", "SYN retransmitted" },
	{ NOTE_OUT_OF_ORDER, "out_of_order", "out-of-order" },
	{ NOTE_PREV_LOST, "previous_segment_not_captured", "previous segment not captured" },
	{ NOTE_ZERO_WINDOW, "zero_window", "zero window" },
	{ NOTE_WIN_UPDATE, "window_update", "window update" },
	{ NOTE_KEEPALIVE, "keepalive", "keep-alive" },
	{ NOTE_WIN_PROBE, "zero_window_probe", "zero-window probe" },
	{ NOTE_ACK_UNSEEN, "ack_unseen", "acks data not captured" },
	{ NOTE_BAD_OPTS, "bad_options", "bad TCP option length" },
	{ NOTE_PORT_REUSE, "port_reuse", "port reused" },
	{ NOTE_ROLES_SWAPPED, "roles_swapped", NULL },
	{ NOTE_START_LOST, "start_not_captured", "start of stream not captured" },
	{ NOTE_DUP_ACK, "dup_ack", NULL },
	{ NOTE_ESTABLISHED, "established", NULL },
	{ NOTE_CLOSES_FIRST, "closes_first", NULL },
};

const char *flow_conn_state(const struct conn *c)
{
	bool syn = c->ts_syn != 0, synack = c->ts_synack != 0;
	bool fin0 = c->d[0].fin_seen, fin1 = c->d[1].fin_seen;
	bool rst0 = c->d[0].state == EP_RESET, rst1 = c->d[1].state == EP_RESET;
	if (syn && synack) {
		if (rst0)
			return "RSTO";
		if (rst1)
			return "RSTR";
		if (fin0 && fin1)
			return "SF";
		if (fin0)
			return "S2";
		if (fin1)
			return "S3";
		return "S1";
	}
	if (syn) {
		if (rst1)
			return "REJ";
		if (rst0)
			return "RSTOS0";
		if (fin0)
			return "SH";
		return "S0";
	}
	if (synack) {
		if (rst1)
			return "RSTRH";
		if (fin1)
			return "SHR";
	}
	return "OTH";
}
