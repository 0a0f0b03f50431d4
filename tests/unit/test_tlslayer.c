/* test_tlslayer.c - the TLS layer through the pipeline: a real capture (the lab's TLS 1.3
 * HTTP/1.1 fetch with a key update) and its key log, given at once, late (the file written
 * while the capture is read, as a browser does), never, or with malformed lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "keylog.h"
#include "t.h"
#include "tlslayer.h"
#include "trace.h"

#define CAPTURE "captures/lab-tls13-keyupdate.pcap"
#define KEYS "captures/lab-tls13-keyupdate.keys"

struct feed {
	struct tracer *t;
	int dlt;
	int n;                  /* packets fed */
	int write_keys_at;      /* before this packet, append the keys to the file (-1 never) */
	const char *kl_path;    /* the key log file being written */
	const char *extra;      /* lines appended with the keys */
};

static char keys_text[1 << 16];
static size_t keys_len;

static void append(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "ab");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ_INT(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void on_packet(void *ctx, const uint8_t *data, uint32_t cap_len, uint32_t wire_len,
		      int64_t ts)
{
	struct feed *fd = ctx;
	if (fd->n++ == fd->write_keys_at) {
		if (fd->extra)
			append(fd->kl_path, fd->extra, strlen(fd->extra));
		append(fd->kl_path, keys_text, keys_len);
	}
	trace_packet(fd->t, fd->dlt, data, cap_len, wire_len, ts);
}

/* The capture through a tracer whose key log is the file kl_path (emptied first); the
 * keys are appended before packet write_keys_at.  Returns the text output (malloc'd). */
static char *run(int write_keys_at, const char *extra, bool json)
{
	char dir[] = "/tmp/ft-test-tlslayer-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[64];
	snprintf(path, sizeof(path), "%s/keys", dir);
	FILE *e = fopen(path, "wb");
	CHECK(e != NULL);
	if (e)
		fclose(e);
	char eb[KEYLOG_ERRBUF_SIZE];
	struct keylog *kl = keylog_new(0, 1, eb);
	CHECK(kl != NULL);
	CHECK_EQ_INT(keylog_open(kl, path, eb), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct out_opts o = { .format = json ? OUT_JSON : OUT_TEXT };
	struct tracer *t = trace_open(out, &o, 64);
	CHECK(t != NULL);
	trace_set_keylog(t, kl);
	char err[CAP_ERRBUF_SIZE];
	struct cap *cp = cap_open_file(CAPTURE, err);
	CHECK(cp != NULL);
	struct feed fd = { t, cp ? cap_datalink(cp) : 1, 0, write_keys_at, path, extra };
	if (cp) {
		CHECK_EQ_INT(cap_run(cp, 0, on_packet, &fd, err), 0);
		cap_close(cp);
	}
	trace_finish(t);
	keylog_free(kl);
	fclose(out);
	unlink(path);
	rmdir(dir);
	return buf;
}

static bool has(const char *s, const char *what)
{
	bool ok = s && strstr(s, what) != NULL;
	if (!ok)
		fprintf(stderr, "missing: %s\n", what);
	return ok;
}

/* ------------------------------------------------------------------ */
/* the hold caps, through tlsl_feed: hellos, then records whose secret  */
/* never comes                                                          */
/* ------------------------------------------------------------------ */

static size_t app_none(void *ctx, int dir, const uint8_t *pt, size_t len)
{
	(void)ctx, (void)dir, (void)pt;
	return len;
}

static void gap_none(void *ctx, int dir, uint64_t len)
{
	(void)ctx, (void)dir, (void)len;
}

/* A TLS 1.3 ClientHello (dir 0) or ServerHello (dir 1) record, TLS_AES_128_GCM_SHA256. */
static size_t hello(uint8_t *b, int server)
{
	size_t n = 0;
	b[n++] = 22, b[n++] = 3, b[n++] = 1, n += 2;           /* record header, length later */
	b[n++] = server ? 2 : 1, n += 3;                        /* message header */
	b[n++] = 3, b[n++] = 3;                                 /* legacy_version */
	memset(b + n, server ? 0x5a : 0xa5, 32), n += 32;       /* random */
	b[n++] = 0;                                             /* session id */
	if (server) {
		b[n++] = 0x13, b[n++] = 0x01, b[n++] = 0;       /* cipher, compression */
		b[n++] = 0, b[n++] = 6;                         /* extensions */
		b[n++] = 0, b[n++] = 0x2b, b[n++] = 0, b[n++] = 2, b[n++] = 3, b[n++] = 4;
	} else {
		b[n++] = 0, b[n++] = 2, b[n++] = 0x13, b[n++] = 0x01; /* one cipher suite */
		b[n++] = 1, b[n++] = 0;                         /* compression */
		b[n++] = 0, b[n++] = 0;                         /* no extensions */
	}
	b[3] = (uint8_t)((n - 5) >> 8), b[4] = (uint8_t)(n - 5);
	b[6] = 0, b[7] = (uint8_t)((n - 9) >> 8), b[8] = (uint8_t)(n - 9);
	return n;
}

static void hold_caps(uint64_t held_cap, uint32_t n_records, uint64_t want_dropped_min)
{
	char eb[KEYLOG_ERRBUF_SIZE];
	struct keylog *kl = keylog_new(0, 1, eb);      /* empty: the secret never comes */
	struct tlsl_pool pool = { .max_live = 4, .held_cap = held_cap };
	struct tls_events tev;
	struct tlsmsg msgs[TLS_MAX_EVENTS];
	unsigned n_msgs = 0;
	struct tlsl_env env = { kl, &pool, 1000, &tev, msgs, &n_msgs, app_none, gap_none, NULL, NULL, false };
	struct tls_conn tc;
	struct tlsl *l = NULL;
	uint8_t b[512];
	tls_init(&tc);
	memset(&tev, 0, sizeof(tev));
	size_t n = hello(b, 0);
	CHECK_EQ_INT(tlsl_feed(&tc, &l, 0, b, n, &env), n);
	CHECK(l != NULL);
	CHECK_EQ_INT(pool.n_live, 1);
	n = hello(b, 1);
	memset(&tev, 0, sizeof(tev));
	CHECK_EQ_INT(tlsl_feed(&tc, &l, 1, b, n, &env), n);
	CHECK(tc.server_hello_seen);
	/* application data records of 100 bytes, none of which can be decrypted */
	unsigned notes = 0;
	uint64_t peak = 0;
	for (uint32_t i = 0; i < n_records; i++) {
		b[0] = 23, b[1] = 3, b[2] = 3, b[3] = 0, b[4] = 100;
		memset(b + 5, (int)i, 100);
		memset(&tev, 0, sizeof(tev));
		n_msgs = 0;
		env.now_ms++;
		CHECK(tlsl_feed(&tc, &l, 1, b, 105, &env) == 105);
		for (unsigned k = 0; k < tev.n; k++)
			notes += tev.ev[k].kind == TLS_EV_DEC_NOTE;
		if (pool.held_bytes > peak)
			peak = pool.held_bytes;
	}
	/* bounded: the per-direction and total caps, a note once, the rest counted */
	CHECK(peak > 0 && peak <= TLSL_HOLD_MAX && peak <= held_cap);
	CHECK_EQ_INT(notes, 1);
	CHECK(pool.n_hold_dropped >= want_dropped_min);
	CHECK_EQ_INT(pool.n_decrypted, 0);
	tlsl_free(&l, &pool);
	tlsl_pool_end(&pool); /* the spare layers, the worker */
	CHECK(l == NULL);
	CHECK_EQ_INT(pool.n_live, 0);
	CHECK_EQ_INT(pool.held_bytes, 0);
	keylog_free(kl);
}

/* ------------------------------------------------------------------ */
/* 0-RTT: early data held until the ServerHello (openssl s_client        */
/* -early_data, the resumption of tests/unit/tlsdec_vectors.h)           */
/* ------------------------------------------------------------------ */

#include "tlsdec_vectors.h"

static uint8_t got[2][256];
static size_t got_len[2];

static size_t *rec_end_at;  /* the env's rec_end, when the test sets one */
static size_t rec_end_seen[2]; /* its value at the last plaintext of each side */
static unsigned rec_end_zero;  /* plaintext handed over with no record end set */

static size_t app_keep(void *ctx, int dir, const uint8_t *pt, size_t len)
{
	(void)ctx;
	if (rec_end_at) {
		rec_end_seen[dir] = *rec_end_at;
		rec_end_zero += *rec_end_at == 0;
	}
	if (got_len[dir] + len <= sizeof(got[dir])) {
		memcpy(got[dir] + got_len[dir], pt, len);
		got_len[dir] += len;
	}
	return len;
}

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (; h[0] && h[1] && n < cap; h += 2) {
		unsigned v;
		if (sscanf(h, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void early_data(void)
{
	const struct session *se = NULL;
	for (size_t i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++)
		if (strcmp(sessions[i].name, "t13_early") == 0)
			se = &sessions[i];
	CHECK(se != NULL);
	if (!se)
		return;
	char eb[KEYLOG_ERRBUF_SIZE];
	struct keylog *kl = keylog_new(0, 1, eb);
	keylog_add_text(kl, (const uint8_t *)se->keylog, strlen(se->keylog));
	struct tlsl_pool pool = { .max_live = 4, .held_cap = TLSL_DEFAULT_HELD_CAP };
	struct tls_events tev;
	struct tlsmsg msgs[TLS_MAX_EVENTS];
	unsigned n_msgs = 0;
	size_t rec_end = 99;
	struct tlsl_env env = { kl, &pool, 1000, &tev, msgs, &n_msgs, app_keep, gap_none, NULL,
				&rec_end, false };
	rec_end_at = &rec_end;
	rec_end_seen[0] = rec_end_seen[1] = 99;
	static uint8_t cli[2048], srv[2048], want[256];
	size_t cl = unhex(se->cli, cli, sizeof(cli)), sl = unhex(se->srv, srv, sizeof(srv));
	struct tls_conn tc;
	struct tlsl *l = NULL;
	tls_init(&tc);
	got_len[0] = got_len[1] = 0;
	/* the client's whole flight first: the ClientHello, then records that wait */
	memset(&tev, 0, sizeof(tev));
	CHECK_EQ_INT(tlsl_feed(&tc, &l, 0, cli, cl, &env), cl);
	CHECK(l != NULL);
	CHECK(pool.held_bytes > 0);
	CHECK_EQ_INT(got_len[0], 0);
	/* the server's: set up at its ServerHello, its records decrypt */
	memset(&tev, 0, sizeof(tev));
	n_msgs = 0;
	CHECK_EQ_INT(tlsl_feed(&tc, &l, 1, srv, sl, &env), sl);
	/* the server's data went up from a record of this feed: where that
	 * application data record ends in it; after the feed, 0 again */
	bool boundary = false;
	for (size_t o = 0; o + 5 <= sl; o += 5 + (size_t)(srv[o + 3] << 8 | srv[o + 4]))
		boundary |= rec_end_seen[1] == o + 5 + (size_t)(srv[o + 3] << 8 | srv[o + 4]) &&
			    srv[o] == 23;
	CHECK(boundary);
	CHECK_EQ_INT(rec_end, 0);
	/* the next packet: the held client records, early data first, decrypt in order;
	 * they came before: no position in this feed */
	memset(&tev, 0, sizeof(tev));
	n_msgs = 0;
	rec_end_seen[0] = 99;
	tlsl_poll(&tc, l, &env);
	CHECK_EQ_INT(rec_end_seen[0], 0);
	rec_end_at = NULL;
	CHECK_EQ_INT(pool.held_bytes, 0);
	size_t wl = unhex(se->cli_app, want, sizeof(want));
	CHECK(wl > 0 && wl == got_len[0] && memcmp(got[0], want, wl) == 0);
	wl = unhex(se->srv_app, want, sizeof(want));
	CHECK(wl > 0 && wl == got_len[1] && memcmp(got[1], want, wl) == 0);
	CHECK(tlsl_decrypting(l));
	CHECK_EQ_INT(pool.n_auth_failed, 0);
	tlsl_free(&l, &pool);
	tlsl_pool_end(&pool); /* the spare layers, the worker */
	keylog_free(kl);
}

/* ------------------------------------------------------------------ */
/* records in pieces: the sessions of tests/unit/tlsdec_vectors.h fed     */
/* whole, then as a reassembler hands them over in segments of k bytes  */
/* (what tlsl_feed leaves is offered again in front of the next ones)   */
/* ------------------------------------------------------------------ */

struct evrec {
	uint8_t kind, dir, content_type, hs_type, decrypted, status;
	uint32_t rec_len, pt_len;
};

static struct evrec evlog[2][512];
static size_t n_evlog[2];
static bool ev_dropped[2];  /* a feed had more events than a packet keeps: not compared */

static void log_events(int run, const struct tls_events *tev)
{
	if (tev->n_dropped)
		ev_dropped[run] = true;
	for (unsigned i = 0; i < tev->n && n_evlog[run] < 512; i++) {
		const struct tls_ev *e = &tev->ev[i];
		struct evrec *r = &evlog[run][n_evlog[run]++];
		memset(r, 0, sizeof(*r)); /* padding too: the logs are compared whole */
		r->kind = (uint8_t)e->kind, r->dir = e->dir, r->content_type = e->content_type;
		r->hs_type = e->hs_type, r->decrypted = e->decrypted, r->status = (uint8_t)e->status;
		r->rec_len = e->rec_len, r->pt_len = e->pt_len;
	}
}

/* Bytes from the start of the first record that does not end by off. */
static size_t open_record(const uint8_t *b, size_t off)
{
	size_t s = 0;
	while (off - s >= 5 && off - s - 5 >= (size_t)(b[s + 3] << 8 | b[s + 4]))
		s += 5 + (size_t)(b[s + 3] << 8 | b[s + 4]);
	return off - s;
}

struct split {
	struct tls_conn tc;
	struct tlsl *l;
	struct tlsl_env *env;
	struct tls_events *tev;
	unsigned *n_msgs;
	int run;
	uint32_t max_partial;   /* the most tlsl_partial said */
	unsigned bad_held;      /* segments after which held bytes differed from a reassembler's */
	unsigned stuck;         /* bytes left over at the end */
	unsigned bad_differs;   /* a retransmission of held bytes judged wrongly */
	unsigned n_differs;     /* retransmissions judged */
};

/* b[0..n) of direction dir in segments of k bytes (k 0: a record each). */
static void feed_split(struct split *sp, int dir, const uint8_t *b, size_t n, size_t k)
{
	static uint8_t tail[1 << 16];
	size_t tl = 0;
	for (size_t off = 0; off < n;) {
		size_t c = k ? k : n - off < 5 ? n - off : 5 + (size_t)(b[off + 3] << 8 | b[off + 4]);
		if (c > n - off)
			c = n - off;
		if (tl + c > sizeof(tail))
			break;
		memcpy(tail + tl, b + off, c);
		tl += c;
		off += c;
		memset(sp->tev, 0, sizeof(*sp->tev));
		*sp->n_msgs = 0;
		size_t used = tlsl_feed(&sp->tc, &sp->l, dir, tail, tl, sp->env);
		log_events(sp->run, sp->tev);
		if (used > tl)
			used = tl;
		memmove(tail, tail + used, tl - used);
		tl -= used;
		uint32_t part = tlsl_partial(sp->l, dir);
		if (part > sp->max_partial)
			sp->max_partial = part;
		if (part && part <= off) {
			/* the held bytes again, then with one byte changed (header,
			 * explicit nonce, ciphertext or tag, as the split falls) */
			static uint8_t again[1 << 16];
			size_t j = (off * 7) % part;
			memcpy(again, b + off - part, part);
			sp->bad_differs += tlsl_differs(sp->l, dir, part, again, part);
			again[j] ^= 0x20;
			sp->bad_differs += !tlsl_differs(sp->l, dir, part, again, part);
			/* a piece of it only, ending before the end: back > len */
			sp->bad_differs += !tlsl_differs(sp->l, dir, part, again, j + 1);
			sp->bad_differs += tlsl_differs(sp->l, dir, part - j - 1, again + j + 1,
							part - j - 1);
			sp->n_differs++;
		}
		/* what waits (in the tail or decrypted as it came) is the open record */
		if (tl + part != open_record(b, off))
			sp->bad_held++;
	}
	sp->stuck += (unsigned)tl;
}

static void pieces(void)
{
	static const size_t ks[] = { 0, 1, 2, 3, 5, 7, 13, 16, 17, 64, 100, 1000 };
	for (size_t si = 0; si < sizeof(sessions) / sizeof(sessions[0]); si++) {
		const struct session *se = &sessions[si];
		if (strcmp(se->name, "t13_early") == 0)
			continue; /* its client flight waits for the ServerHello: early_data() */
		bool cbc = strstr(se->name, "cbc") != NULL;
		char eb[KEYLOG_ERRBUF_SIZE];
		struct keylog *kl = keylog_new(0, 1, eb);
		keylog_add_text(kl, (const uint8_t *)se->keylog, strlen(se->keylog));
		static uint8_t cli[8192], srv[8192], want[2][4096];
		size_t cl = unhex(se->cli, cli, sizeof(cli)), sl = unhex(se->srv, srv, sizeof(srv));
		size_t wl[2] = { unhex(se->cli_app, want[0], sizeof(want[0])),
				 unhex(se->srv_app, want[1], sizeof(want[1])) };
		size_t hello_len = 5 + (size_t)(cli[3] << 8 | cli[4]);
		CHECK(hello_len < cl);
		for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
			int run = ki == 0 ? 0 : 1;
			struct tlsl_pool pool = { .max_live = 4, .held_cap = TLSL_DEFAULT_HELD_CAP };
			struct tls_events tev;
			struct tlsmsg msgs[TLS_MAX_EVENTS];
			unsigned n_msgs = 0;
			size_t re = 0;
			struct tlsl_env env = { kl, &pool, 1000, &tev, msgs, &n_msgs,
						app_keep, gap_none, NULL, &re, false };
			struct split sp = { .env = &env, .tev = &tev, .n_msgs = &n_msgs, .run = run };
			/* each record's plaintext says where the record ended in the
			 * piece that completed it (HTTP/2's stream positions, issue 14),
			 * a record decrypted as its pieces came too */
			rec_end_at = &re;
			rec_end_zero = 0;
			tls_init(&sp.tc);
			n_evlog[run] = 0;
			ev_dropped[run] = false;
			got_len[0] = got_len[1] = 0;
			feed_split(&sp, 0, cli, hello_len, ks[ki]);
			feed_split(&sp, 1, srv, sl, ks[ki]);
			feed_split(&sp, 0, cli + hello_len, cl - hello_len, ks[ki]);
			memset(&tev, 0, sizeof(tev));
			tlsl_poll(&sp.tc, sp.l, &env);
			log_events(run, &tev);
			/* the same plaintext, the same events in the same order */
			for (int d = 0; d < 2; d++) {
				size_t w = wl[d] < sizeof(got[d]) ? wl[d] : sizeof(got[d]);
				if (got_len[d] != w || memcmp(got[d], want[d], w) != 0) {
					fprintf(stderr, "%s k=%zu dir %d: plaintext differs\n", se->name,
						ks[ki], d);
					CHECK(0);
				}
			}
			CHECK(!ev_dropped[0]);
			if (run == 1 && !ev_dropped[1] && (n_evlog[1] != n_evlog[0] ||
					 memcmp(evlog[0], evlog[1], n_evlog[0] * sizeof(evlog[0][0])) != 0)) {
				fprintf(stderr, "%s k=%zu: events differ\n", se->name, ks[ki]);
				if (getenv("DBG"))
					for (size_t q = 0; q < n_evlog[0] || q < n_evlog[1]; q++)
						fprintf(stderr, "  %2zu: %u/%u/%u/%u/%u/%u/%u/%u   %u/%u/%u/%u/%u/%u/%u/%u\n", q,
							evlog[0][q].kind, evlog[0][q].dir, evlog[0][q].content_type, evlog[0][q].hs_type, evlog[0][q].decrypted, evlog[0][q].status, evlog[0][q].rec_len, evlog[0][q].pt_len,
							evlog[1][q].kind, evlog[1][q].dir, evlog[1][q].content_type, evlog[1][q].hs_type, evlog[1][q].decrypted, evlog[1][q].status, evlog[1][q].rec_len, evlog[1][q].pt_len);
				CHECK(0);
			}
			rec_end_at = NULL;
			CHECK_EQ_INT(rec_end_zero, 0);
			CHECK_EQ_INT(pool.n_auth_failed, 0);
			CHECK_EQ_INT(sp.bad_held, 0);
			CHECK_EQ_INT(sp.bad_differs, 0);
			if (sp.max_partial)
				CHECK(sp.n_differs > 0);
			CHECK_EQ_INT(sp.stuck, 0);
			/* AEAD records across segments were decrypted as they came; CBC
			 * ones (and everything fed whole) were not */
			if (ks[ki] && ks[ki] < 100 && !cbc)
				CHECK(sp.max_partial > 0);
			if (cbc || !ks[ki])
				CHECK_EQ_INT(sp.max_partial, 0);
			tlsl_free(&sp.l, &pool);
			tlsl_pool_end(&pool); /* the spare layers, the worker */
		}
		keylog_free(kl);
	}
}

/* A record cut by a gap: tlsl_abandon gives its bytes back to the gap, and the
 * next record after it is not decrypted from a stale state. */
static void pieces_gap(void)
{
	const struct session *se = &sessions[1]; /* t13_aes256 */
	char eb[KEYLOG_ERRBUF_SIZE];
	struct keylog *kl = keylog_new(0, 1, eb);
	keylog_add_text(kl, (const uint8_t *)se->keylog, strlen(se->keylog));
	static uint8_t cli[8192], srv[8192];
	size_t cl = unhex(se->cli, cli, sizeof(cli)), sl = unhex(se->srv, srv, sizeof(srv));
	CHECK(cl > 0);
	struct tlsl_pool pool = { .max_live = 4, .held_cap = TLSL_DEFAULT_HELD_CAP };
	struct tls_events tev;
	struct tlsmsg msgs[TLS_MAX_EVENTS];
	unsigned n_msgs = 0;
	struct tlsl_env env = { kl, &pool, 1000, &tev, msgs, &n_msgs, app_keep, gap_none, NULL, NULL, false };
	struct tls_conn tc;
	struct tlsl *l = NULL;
	tls_init(&tc);
	memset(&tev, 0, sizeof(tev));
	size_t hello_len = 5 + (size_t)(cli[3] << 8 | cli[4]);
	CHECK_EQ_INT(tlsl_feed(&tc, &l, 0, cli, hello_len, &env), hello_len);
	/* the server's flight up to the middle of its first protected record */
	size_t off = 0, first = 0;
	while (sl - off >= 5 && srv[off] != 23)
		off += 5 + (size_t)(srv[off + 3] << 8 | srv[off + 4]);
	first = off;
	CHECK(first > 0 && first < sl);
	size_t half = first + 5 + (size_t)(srv[first + 3] << 8 | srv[first + 4]) / 2;
	memset(&tev, 0, sizeof(tev));
	CHECK_EQ_INT(tlsl_feed(&tc, &l, 1, srv, half, &env), half);
	CHECK_EQ_INT(tlsl_partial(l, 1), half - first);
	CHECK_EQ_INT(tlsl_partial(l, 0), 0);
	CHECK_EQ_INT(tlsl_abandon(l, 1), half - first);
	CHECK_EQ_INT(tlsl_partial(l, 1), 0);
	CHECK_EQ_INT(tlsl_abandon(l, 1), 0);
	CHECK_EQ_INT(tlsl_abandon(NULL, 1), 0);
	CHECK_EQ_INT(pool.n_decrypted, 0);
	tlsl_free(&l, &pool);
	tlsl_pool_end(&pool); /* the spare layers, the worker */
	keylog_free(kl);
}

int main(void)
{
	early_data();
	pieces();
	pieces_gap();
	/* 2000 records of 105 bytes: the 64 KiB hold of the direction fills, then all go */
	hold_caps(TLSL_DEFAULT_HELD_CAP, 2000, 2000 - TLSL_HOLD_MAX / 105);
	/* a total cap smaller than one direction's: it decides */
	hold_caps(1000, 50, 50 - 1000 / 105);

	FILE *k = fopen(KEYS, "rb");
	CHECK(k != NULL);
	if (!k) {
		fprintf(stderr, "run from the checkout's top directory\n");
		return 1;
	}
	keys_len = fread(keys_text, 1, sizeof(keys_text), k);
	fclose(k);
	CHECK(keys_len > 0 && keys_len < sizeof(keys_text));

	/* the key log complete from the start */
	char *s = run(0, NULL, false);
	CHECK(has(s, "TLS EncryptedExtensions ALPN http/1.1; TLS Certificate CN www.example.com"));
	CHECK(has(s, "TLS CertificateVerify ecdsa_secp256r1_sha256; TLS Finished"));
	CHECK(has(s, " write    write()  "));
	CHECK(has(s, "| #1 GET / HTTP/1.1 Host: www.example.com"));
	CHECK(has(s, "| #1 HTTP/1.1 200 OK"));
	CHECK(has(s, "| #2 GET /style.css HTTP/1.1"));
	CHECK(has(s, "TLS KeyUpdate (update requested)"));
	CHECK(has(s, " close    close()  "));
	CHECK(has(s, "TLS alert warning close_notify"));
	CHECK(has(s, "tls http  steps connect,write,read,close"));
	CHECK(has(s, "tls: 13 records decrypted\n"));
	char *full = s;

	/* the file written late: after the server's first flight (packet 12 of 29 is the
	 * client's Finished); the server's records wait, then show, nothing is lost */
	s = run(11, NULL, false);
	CHECK(has(s, "TLS EncryptedExtensions ALPN http/1.1"));
	CHECK(has(s, "| #1 GET / HTTP/1.1"));
	CHECK(has(s, "| #2 HTTP/1.1 200 OK"));
	CHECK(has(s, "tls: 13 records decrypted\n"));
	/* the server's flight still shows encrypted on its own line, decrypted on a later one */
	CHECK(has(s, "TLS encrypted handshake"));
	free(s);

	/* never: the records stay opaque, held until the connection leaves */
	s = run(-1, NULL, false);
	CHECK(!strstr(s, "decrypted;") && !strstr(s, "GET /"));
	CHECK(has(s, "tls: 0 records decrypted\n"));
	CHECK(has(s, "TLS application data 82 B (encrypted)"));
	free(s);

	/* malformed lines are skipped and counted, never fatal, never echoed */
	s = run(0, "CLIENT_RANDOM zz\nnot a key log line at all\n", false);
	CHECK(has(s, "tls: 13 records decrypted; key log: 2 malformed lines skipped\n"));
	CHECK(!strstr(s, "not a key log line"));
	free(s);

	/* no secret ever reaches the output: no 64-hex-digit run of the key log */
	const char *p = keys_text;
	for (int i = 0; i < 16 && (p = strstr(p, "SECRET ")) != NULL; i++) {
		p += 7;
		const char *sp = strchr(p, ' ');
		if (!sp)
			break;
		char secret[40];
		snprintf(secret, sizeof(secret), "%.32s", sp + 1);
		CHECK(!strstr(full, secret));
	}
	s = run(0, NULL, true);
	CHECK(has(s, "\"kind\":\"decrypted_handshake\""));
	CHECK(has(s, "\"tls_decrypted\":13"));
	free(s);
	free(full);
	printf("test_tlslayer: %d passed, %d failed\n", t_passed, t_failed);
	return t_failed ? 1 : 0;
}
