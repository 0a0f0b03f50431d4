/* tlslayer.c - a connection's TLS layer: whole records, decrypted with the key log, plaintext up. */
#include "tlslayer.h"
#include "cwork.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define REC_HDR 5
#define REC_MAX (16384u + 2048u)      /* RFC 5246 6.2.3 */
#define HELLO_RANDOM_OFF 11           /* 5 record + 1 type + 3 length + 2 version */

/* One connection's layer (allocated at its ClientHello when a key log is given). */
struct tlsl {
	struct tlsdec dec;             /* keys and sequence numbers, once set up */
	bool dec_init;                 /* tlsdec_init was called (the ServerHello was seen) */
	bool dec_ok;                   /* a protected record decrypted */
	bool have_cr;                  /* cr holds the ClientHello random */
	bool noted;                    /* a TLS_EV_DEC_NOTE was given (once per connection) */
	bool appdata[2];               /* decrypted application data seen per direction */
	bool gave_up[2];               /* a hold overflowed: records needing a key are skipped */
	uint8_t cr[KEYLOG_RANDOM_LEN];
	char alpn[TLS_ALPN_MAX + 1];   /* the server's choice, "" none */
	uint32_t hold_len[2];          /* bytes in hold: whole records, in order */
	uint8_t pt_type[2];            /* content type of what pt holds (22 or 23), 0 nothing */
	uint32_t pt_len[2];            /* plaintext not consumed yet */
	uint32_t hold_hi[2], pt_hi[2]; /* high-water marks: what tlsl_free must cleanse */
	/* a record decrypted as its segments come (tlsdec_stream_*), not gathered first */
	uint32_t st_got[2];            /* its bytes taken so far, header included; 0 none */
	uint32_t st_len[2];            /* its whole length, header included */
	uint8_t st_hdr[2][REC_HDR];    /* its header */
	/* the buffers come last: a new layer zeroes only what is above them */
	uint8_t hold[2][TLSL_HOLD_MAX];
	uint8_t pt[2][TLSL_PT_CAP];
};

bool tlsl_appdata_seen(const struct tlsl *l, int dir)
{
	return l && l->appdata[dir ? 1 : 0];
}

bool tlsl_decrypting(const struct tlsl *l)
{
	return l && l->dec_ok;
}

const char *tlsl_alpn(const struct tlsl *l)
{
	return l ? l->alpn : "";
}

void tlsl_free(struct tlsl **lp, struct tlsl_pool *pool)
{
	struct tlsl *l = *lp;
	if (!l)
		return;
	tlsdec_free(&l->dec); /* a record being streamed goes with its keys */
	pool->held_bytes -= l->hold_len[0] + l->hold_len[1];
	pool->n_live--;
	/* Only the bytes ever written: the untouched rest of the buffers (most
	 * of the struct) is not brought in just to be zeroed. */
	for (int d = 0; d < 2; d++) {
		OPENSSL_cleanse(l->hold[d], l->hold_hi[d]);
		OPENSSL_cleanse(l->pt[d], l->pt_hi[d]);
	}
	OPENSSL_cleanse(l, offsetof(struct tlsl, hold));
	if (pool->n_spare < TLSL_SPARE)
		pool->spare[pool->n_spare++] = l;
	else
		free(l);
	*lp = NULL;
}

void tlsl_pool_drain(struct tlsl_pool *pool)
{
	cwork_drain(pool->cw);
}

void tlsl_pool_end(struct tlsl_pool *pool)
{
	while (pool->n_spare) /* each turn frees one */
		free(pool->spare[--pool->n_spare]);
	cwork_free(pool->cw);
	pool->cw = NULL;
}

/* ------------------------------------------------------------------ */
/* events                                                              */
/* ------------------------------------------------------------------ */

static struct tls_ev *ev_new(struct tls_events *tev, int dir, const uint8_t *rec,
			     enum tls_ev_kind kind)
{
	if (tev->n >= TLS_MAX_EVENTS) {
		if (tev->n_dropped < UINT8_MAX)
			tev->n_dropped++;
		return NULL;
	}
	struct tls_ev *e = &tev->ev[tev->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->dir = (uint8_t)dir;
	e->status = FT_OK;
	if (rec) {
		e->content_type = rec[0];
		e->rec_version = (uint16_t)(rec[1] << 8 | rec[2]);
		e->rec_len = (uint32_t)(rec[3] << 8 | rec[4]);
	}
	return e;
}

/* Once per connection: what decryption could not do. */
static void note(struct tlsl *l, const struct tlsl_env *env, int dir, const char *why)
{
	if (l->noted)
		return;
	l->noted = true;
	struct tls_ev *e = ev_new(env->tev, dir, NULL, TLS_EV_DEC_NOTE);
	if (e)
		e->why = why;
}

/* ------------------------------------------------------------------ */
/* plaintext                                                           */
/* ------------------------------------------------------------------ */

/* Decrypted handshake bytes: each whole message becomes an event. */
static void hs_walk(struct tlsl *l, int dir, const uint8_t *rec, const struct tlsl_env *env)
{
	uint8_t *pt = l->pt[dir];
	size_t off = 0;
	bool tls13 = l->dec.version == 0x0304;
	/* Each turn takes at least 4 bytes (a message header) or stops. */
	while (l->pt_len[dir] - off >= 4) {
		struct tlsmsg scratch;
		struct tlsmsg *m = *env->n_msgs < TLS_MAX_EVENTS ? &env->msgs[*env->n_msgs] : &scratch;
		size_t used = 0;
		enum ft_status st = tlsmsg_decode(pt + off, l->pt_len[dir] - off, tls13, m, &used);
		if (st == FT_NEED_MORE)
			break;
		if (used < 4 || used > l->pt_len[dir] - off)
			used = l->pt_len[dir] - off; /* cannot happen: tlsmsg's contract */
		off += used;
		if (m->type == TLS_HS_ENCRYPTED_EXTENSIONS && m->has_alpn && dir == 1) {
			size_t n = m->alpn_len < TLS_ALPN_MAX ? m->alpn_len : TLS_ALPN_MAX;
			memcpy(l->alpn, m->alpn, n);
			l->alpn[n] = '\0';
		}
		struct tls_ev *e = ev_new(env->tev, dir, rec, TLS_EV_DEC_HS);
		if (!e)
			continue;
		if (m != &scratch)
			(*env->n_msgs)++;
		e->decrypted = true;
		e->pt_len = (uint32_t)used;
		e->hs_type = m->type;
		e->msg = m == &scratch ? NULL : m;
		e->status = st;
		e->why = st == FT_OK ? NULL : m->why;
	}
	if (off) {
		memmove(pt, pt + off, l->pt_len[dir] - off);
		l->pt_len[dir] -= (uint32_t)off;
	}
}

/* Decrypted application data: up to the application decoder. */
static void app_walk(struct tlsl *l, int dir, const struct tlsl_env *env)
{
	uint8_t *pt = l->pt[dir];
	size_t used = env->app(env->app_ctx, dir, pt, l->pt_len[dir]);
	if (used > l->pt_len[dir])
		used = l->pt_len[dir];
	if (used) {
		memmove(pt, pt + used, l->pt_len[dir] - used);
		l->pt_len[dir] -= (uint32_t)used;
	}
}

/* Room for one more record's plaintext after what waits: else what waits
 * is given up (a head larger than TLSL_PT_KEEP is not followed). */
static void pt_room(struct tlsl *l, int dir, uint8_t type, const struct tlsl_env *env)
{
	if (l->pt_len[dir] && (l->pt_type[dir] != type || TLSL_PT_CAP - l->pt_len[dir] < TLSDEC_OUT_MAX)) {
		if (l->pt_type[dir] == TLS_CT_APPDATA)
			env->app_gap(env->app_ctx, dir, l->pt_len[dir]);
		l->pt_len[dir] = 0;
	}
	l->pt_type[dir] = type;
}

/* ------------------------------------------------------------------ */
/* records                                                             */
/* ------------------------------------------------------------------ */

/* Is this record protected (as opposed to a plaintext one tls_feed decoded)? */
static bool rec_protected(const struct tlsl *l, const struct tls_conn *tc, int dir,
			  const uint8_t *rec)
{
	if (l->dec.version == 0x0304)
		return rec[0] == TLS_CT_APPDATA;
	return tc->half[dir].ccs_seen && rec[0] != TLS_CT_CCS;
}

static enum tlsdec_status rec_opened(struct tlsl *l, int dir, const uint8_t *rec, bool prot,
				     enum tlsdec_status st, uint8_t *out, size_t out_len,
				     uint8_t inner, const struct tlsl_env *env, int ev_first);

/* tlsdec writes at most the record's fragment after what waits in pt, and
 * at most to the end of pt: what tlsl_free must cleanse. */
static void pt_mark(struct tlsl *l, int dir, size_t rlen)
{
	size_t cap = TLSL_PT_CAP - l->pt_len[dir];
	size_t hi = l->pt_len[dir] + (rlen < cap ? rlen : cap);
	if (hi > l->pt_hi[dir])
		l->pt_hi[dir] = (uint32_t)hi;
}

/*
 * One whole record through tlsdec.  ev_first: where tls_feed's event for
 * it starts in the packet's events (-1: it was shown on an earlier packet,
 * a held record); a record that decrypts replaces that event with what is
 * inside.
 */
static enum tlsdec_status rec_decrypt(struct tlsl *l, const struct tls_conn *tc, int dir,
				      const uint8_t *rec, size_t rlen, const struct tlsl_env *env,
				      int ev_first)
{
	bool prot = rec_protected(l, tc, dir, rec);
	size_t out_len = 0;
	uint8_t inner = 0;
	/* plaintext goes after what waits in pt; a record that is not
	 * protected is copied there too and not kept */
	pt_room(l, dir, l->pt_type[dir], env);
	uint8_t *out = l->pt[dir] + l->pt_len[dir];
	size_t cap = TLSL_PT_CAP - l->pt_len[dir];
	pt_mark(l, dir, rlen);
	enum tlsdec_status st = tlsdec_record(&l->dec, dir, rec, rlen, out, cap, &out_len, &inner);
	return rec_opened(l, dir, rec, prot, st, out, out_len, inner, env, ev_first);
}

/*
 * What a record opened into (st; out[0..out_len) of type inner, at the end
 * of pt) becomes: a note once, or events and plaintext up.  rec: its header.
 */
static enum tlsdec_status rec_opened(struct tlsl *l, int dir, const uint8_t *rec, bool prot,
				     enum tlsdec_status st, uint8_t *out, size_t out_len,
				     uint8_t inner, const struct tlsl_env *env, int ev_first)
{
	struct tls_events *tev = env->tev;
	size_t cap = TLSL_PT_CAP - l->pt_len[dir];
	if (st == TLSDEC_AUTH_FAIL && tlsdec_auth_failed(&l->dec)) {
		if (!l->noted)
			env->pool->n_auth_failed++;
		note(l, env, dir,
		     "not decrypted: the key log's secret does not authenticate the records "
		     "(a wrong key log, or records lost)");
		return st;
	}
	if (st == TLSDEC_UNSUPPORTED) {
		note(l, env, dir, "cipher suite not decrypted");
		return st;
	}
	if (st != TLSDEC_OK || !prot)
		return st;
	env->pool->n_decrypted++;
	l->dec_ok = true;
	if (out_len > cap)
		out_len = cap; /* cannot happen: tlsdec's contract */
	/* what tls_feed said about the record gives way to what is inside */
	if (ev_first >= 0 && (unsigned)ev_first < tev->n && tev->n_dropped == 0)
		tev->n = (uint8_t)ev_first;
	if (inner == TLS_CT_HANDSHAKE) {
		if (l->pt_type[dir] != TLS_CT_HANDSHAKE) {
			/* out sits after waiting plaintext of another type: move it */
			memmove(l->pt[dir], out, out_len);
			if (l->pt_type[dir] == TLS_CT_APPDATA && l->pt_len[dir])
				env->app_gap(env->app_ctx, dir, l->pt_len[dir]);
			l->pt_len[dir] = 0;
			l->pt_type[dir] = TLS_CT_HANDSHAKE;
		}
		l->pt_len[dir] += (uint32_t)out_len;
		hs_walk(l, dir, rec, env);
		if (TLSL_PT_CAP - l->pt_len[dir] < TLSDEC_OUT_MAX) {
			struct tls_ev *e = ev_new(tev, dir, rec, TLS_EV_DEC_NOTE);
			if (e)
				e->why = "handshake message too large to follow";
			l->pt_len[dir] = 0;
		}
	} else if (inner == TLS_CT_ALERT) {
		struct tls_ev *e = ev_new(tev, dir, rec, TLS_EV_ALERT);
		if (e) {
			e->decrypted = true;
			e->pt_len = (uint32_t)out_len;
			e->status = tlsmsg_alert(out, out_len, &e->alert_level, &e->alert_desc);
			if (e->status != FT_OK)
				e->why = "alert not 2 bytes";
		}
	} else if (inner == TLS_CT_APPDATA) {
		struct tls_ev *e = ev_new(tev, dir, rec, TLS_EV_APPDATA);
		if (e) {
			e->decrypted = true;
			e->pt_len = (uint32_t)out_len;
		}
		l->appdata[dir] = true;
		if (l->pt_type[dir] != TLS_CT_APPDATA) {
			memmove(l->pt[dir], out, out_len);
			l->pt_len[dir] = 0;
			l->pt_type[dir] = TLS_CT_APPDATA;
		}
		l->pt_len[dir] += (uint32_t)out_len;
		app_walk(l, dir, env);
	} else {
		struct tls_ev *e = ev_new(tev, dir, rec, TLS_EV_OTHER_RECORD);
		if (e) {
			e->decrypted = true;
			e->content_type = inner;
			e->pt_len = (uint32_t)out_len;
		}
	}
	return st;
}

/* Keep a record until its secret is in the key log; false when a cap refuses. */
static bool hold_add(struct tlsl *l, int dir, const uint8_t *rec, size_t rlen,
		     const struct tlsl_env *env)
{
	if (TLSL_HOLD_MAX - l->hold_len[dir] < rlen ||
	    env->pool->held_cap - env->pool->held_bytes < rlen)
		return false;
	memcpy(l->hold[dir] + l->hold_len[dir], rec, rlen);
	l->hold_len[dir] += (uint32_t)rlen;
	if (l->hold_len[dir] > l->hold_hi[dir])
		l->hold_hi[dir] = l->hold_len[dir];
	env->pool->held_bytes += rlen;
	return true;
}

/* A cap refused a record: give up what waits (their sequence numbers are
 * counted, so later records still decrypt once a key comes). */
static void hold_give_up(struct tlsl *l, int dir, const struct tlsl_env *env)
{
	size_t off = 0;
	while (l->hold_len[dir] - off >= REC_HDR) {
		const uint8_t *r = l->hold[dir] + off;
		size_t rlen = REC_HDR + (size_t)(r[3] << 8 | r[4]);
		tlsdec_skip(&l->dec, dir);
		env->pool->n_hold_dropped++;
		off += rlen;
	}
	env->pool->held_bytes -= l->hold_len[dir];
	l->hold_len[dir] = 0;
	l->gave_up[dir] = true;
	note(l, env, dir, "not decrypted: the key log did not have the secret in time (hold full)");
}

/* Records held for a key: try them again (the key log may have it now). */
static void hold_drain(struct tlsl *l, const struct tls_conn *tc, int dir,
		       const struct tlsl_env *env)
{
	if (!l->hold_len[dir])
		return;
	keylog_refresh(env->kl, env->now_ms);
	size_t off = 0;
	while (l->hold_len[dir] - off >= REC_HDR) {
		const uint8_t *r = l->hold[dir] + off;
		size_t rlen = REC_HDR + (size_t)(r[3] << 8 | r[4]);
		if (rec_decrypt(l, tc, dir, r, rlen, env, -1) == TLSDEC_NEED_KEY)
			break;
		off += rlen;
	}
	if (off) {
		memmove(l->hold[dir], l->hold[dir] + off, l->hold_len[dir] - off);
		l->hold_len[dir] -= (uint32_t)off;
		env->pool->held_bytes -= off;
	}
}

/* Does the key log know this client random at all? */
static bool keylog_knows(const struct keylog *kl, const uint8_t cr[KEYLOG_RANDOM_LEN])
{
	uint8_t s[KEYLOG_SECRET_MAX];
	size_t n = 0;
	for (int lb = 0; lb < KEYLOG_N_LABELS && !n; lb++)
		n = keylog_find(kl, cr, (enum keylog_label)lb, s, sizeof(s));
	OPENSSL_cleanse(s, sizeof(s));
	return n != 0;
}

/* The hellos: the client random, then at the ServerHello the decryption set up. */
static void rec_hello(struct tlsl *l, const struct tls_conn *tc, int dir, const uint8_t *rec,
		      size_t rlen, const struct tlsl_env *env, unsigned ev_first)
{
	if (rec[0] != TLS_CT_HANDSHAKE || rlen < HELLO_RANDOM_OFF + KEYLOG_RANDOM_LEN)
		return;
	if (dir == 0 && rec[5] == TLS_HS_CLIENT_HELLO && !l->have_cr) {
		memcpy(l->cr, rec + HELLO_RANDOM_OFF, KEYLOG_RANDOM_LEN);
		l->have_cr = true;
		if (!keylog_knows(env->kl, l->cr))
			keylog_refresh(env->kl, env->now_ms);
		return;
	}
	if (dir != 1 || rec[5] != TLS_HS_SERVER_HELLO || l->dec_init || !l->have_cr ||
	    !tc->server_hello_seen)
		return;
	const struct tls_server_hello *sh = NULL;
	for (unsigned i = ev_first; i < env->tev->n; i++)
		if (env->tev->ev[i].kind == TLS_EV_SERVER_HELLO && env->tev->ev[i].status == FT_OK)
			sh = env->tev->ev[i].sh;
	if (!sh || sh->hello_retry)
		return;
	if (sh->has_alpn) {
		size_t n = sh->alpn_len < TLS_ALPN_MAX ? sh->alpn_len : TLS_ALPN_MAX;
		memcpy(l->alpn, sh->alpn, n);
		l->alpn[n] = '\0';
	}
	l->dec_init = true;
	int r = tlsdec_init(&l->dec, sh->version, sh->cipher, l->cr, rec + HELLO_RANDOM_OFF,
			    env->kl, 0);
	if (r < 0)
		note(l, env, dir, "not decrypted: out of memory");
	else if (r > 0)
		note(l, env, dir, tlsdec_why(&l->dec));
}

/* One whole record, after tls_feed gave its events (from ev_first). */
static void rec_layer(struct tlsl *l, const struct tls_conn *tc, int dir, const uint8_t *rec,
		      size_t rlen, const struct tlsl_env *env, unsigned ev_first)
{
	if (!l->dec_init) {
		if (dir == 0 && l->have_cr && rec[0] == TLS_CT_APPDATA) {
			/* TLS 1.3 0-RTT: early data (and EndOfEarlyData) after the
			 * ClientHello wait for the ServerHello (tlsdec's contract) */
			if (!hold_add(l, dir, rec, rlen, env)) {
				env->pool->n_hold_dropped++;
				note(l, env, dir, "not decrypted: early data beyond the hold");
			}
			return;
		}
		rec_hello(l, tc, dir, rec, rlen, env, ev_first);
		return; /* the ServerHello's own record, and what came before it, are plaintext */
	}
	if (l->hold_len[dir]) {
		if (!hold_add(l, dir, rec, rlen, env)) {
			hold_give_up(l, dir, env);
			tlsdec_skip(&l->dec, dir);
			env->pool->n_hold_dropped++;
		}
		return;
	}
	enum tlsdec_status st = rec_decrypt(l, tc, dir, rec, rlen, env, (int)ev_first);
	if (st != TLSDEC_NEED_KEY)
		return;
	if (keylog_refresh(env->kl, env->now_ms) > 0)
		st = rec_decrypt(l, tc, dir, rec, rlen, env, (int)ev_first);
	if (st != TLSDEC_NEED_KEY)
		return;
	if (l->gave_up[dir] || !hold_add(l, dir, rec, rlen, env)) {
		if (!l->gave_up[dir])
			hold_give_up(l, dir, env);
		tlsdec_skip(&l->dec, dir);
		env->pool->n_hold_dropped++;
	}
}

/* ------------------------------------------------------------------ */
/* records in pieces                                                   */
/* ------------------------------------------------------------------ */

/*
 * A protected record that does not end in the bytes at hand (the common
 * case: a 16 KiB record across a dozen wire-sized segments) is decrypted
 * piece by piece straight from the segments as they come, instead of
 * being left to the reassembler to gather (a copy of every byte) and
 * decrypted whole.  Nothing of it shows before its last piece: then
 * tls_feed frames it from its header and it opens as the whole record
 * would have (rec_opened), on the same packet, with the same events.
 * What a record needs that streaming does not give (a plaintext record,
 * a secret not in the key log yet, records held before it, a CBC suite,
 * possible 0-RTT data) waits to be whole as before.
 */

/* More of the streamed record: into the plaintext after what waits. */
static void stream_more(struct tlsl *l, int dir, const uint8_t *p, size_t n,
			const struct tlsl_env *env)
{
	/* decrypted here: its bytes into the cache ahead (with the worker they
	 * are read there, and stay out of this core's cache) */
	if (!env->pool->cw)
		for (size_t i = 0; i < n; i += 64)
			__builtin_prefetch(p + i);
	tlsdec_stream_update(&l->dec, dir, p, n, env->kept, l->pt[dir] + l->pt_len[dir]);
	l->st_got[dir] += (uint32_t)n;
}

/* Start streaming the record at rec (avail bytes of it here, fewer than
 * its length)?  false: it waits to be whole. */
static bool stream_begin(struct tlsl *l, const struct tls_conn *tc, int dir, const uint8_t *rec,
			 size_t avail, const struct tlsl_env *env)
{
	size_t rlen = REC_HDR + (size_t)(rec[3] << 8 | rec[4]);
	/* a record tls_feed frames from its header alone (no plaintext
	 * handshake, nothing that turns the direction opaque) and that
	 * rec_layer would decrypt at once (set up, nothing held before it) */
	if (!l->dec_init || l->hold_len[dir] || rec[0] < TLS_CT_CCS || rec[0] > TLS_CT_HEARTBEAT ||
	    rec[1] != 3 || tc->half[dir].hs_left || !rec_protected(l, tc, dir, rec))
		return false;
	/* room after what waits: rec_decrypt's pt_room would give up nothing */
	if (l->pt_len[dir] && TLSL_PT_CAP - l->pt_len[dir] < TLSDEC_OUT_MAX)
		return false;
	if (!env->pool->cw_tried) { /* the worker: at the first record worth one */
		env->pool->cw_tried = true;
		env->pool->cw = cwork_new();
	}
	if (!tlsdec_stream_begin(&l->dec, dir, rec, TLSL_PT_CAP - l->pt_len[dir], env->pool->cw))
		return false;
	pt_mark(l, dir, rlen);
	memcpy(l->st_hdr[dir], rec, REC_HDR);
	l->st_len[dir] = (uint32_t)rlen;
	l->st_got[dir] = REC_HDR;
	stream_more(l, dir, rec + REC_HDR, avail - REC_HDR, env);
	return true;
}

/* The streamed record's last piece came: framed, opened, handed up. */
static void stream_done(struct tlsl *l, struct tls_conn *tc, int dir, const struct tlsl_env *env)
{
	const uint8_t *hdr = l->st_hdr[dir];
	unsigned ev_first = env->tev->n;
	uint8_t *out = l->pt[dir] + l->pt_len[dir];
	l->st_got[dir] = 0;
	/* tls_feed frames it from the header; the body, which it would skip
	 * unread, is counted past */
	(void)tls_feed(tc, dir, hdr, REC_HDR, env->tev);
	tc->half[dir].rec_left = 0;
	if (tc->half[dir].opaque) { /* cannot happen: stream_begin's tests */
		tlsdec_stream_abort(&l->dec, dir);
		OPENSSL_cleanse(out, l->st_len[dir] - REC_HDR);
		return;
	}
	size_t out_len = 0;
	uint8_t inner = 0;
	enum tlsdec_status st = tlsdec_stream_end(&l->dec, dir, out, &out_len, &inner);
	(void)rec_opened(l, dir, hdr, true, st, out, out_len, inner, env, (int)ev_first);
}

uint32_t tlsl_partial(const struct tlsl *l, int dir)
{
	return l ? l->st_got[dir ? 1 : 0] : 0;
}

uint32_t tlsl_abandon(struct tlsl *l, int dir)
{
	int d = dir ? 1 : 0;
	if (!l || !l->st_got[d])
		return 0;
	uint32_t got = l->st_got[d];
	tlsdec_stream_abort(&l->dec, d);
	/* what was decrypted of it, never authenticated */
	OPENSSL_cleanse(l->pt[d] + l->pt_len[d], got - REC_HDR);
	l->st_got[d] = 0;
	return got;
}

bool tlsl_differs(struct tlsl *l, int dir, uint64_t back, const uint8_t *bytes, size_t len)
{
	int d = dir ? 1 : 0;
	if (!l || !l->st_got[d] || len > back)
		return false;
	/* only the record's bytes taken so far are held: the last st_got */
	if (back > l->st_got[d]) {
		uint64_t skip = back - l->st_got[d];
		if (skip >= len)
			return false;
		bytes += skip;
		len -= (size_t)skip;
		back = l->st_got[d];
	}
	size_t r = (size_t)(l->st_got[d] - back);   /* offset in the record */
	if (r < REC_HDR) {
		size_t n = REC_HDR - r < len ? REC_HDR - r : len;
		if (memcmp(bytes, l->st_hdr[d] + r, n) != 0)
			return true;
		bytes += n, len -= n, r += n;
	}
	return len && tlsdec_stream_differs(&l->dec, d, r - REC_HDR, bytes, len,
					    l->pt[d] + l->pt_len[d]);
}

void tlsl_poll(struct tls_conn *tc, struct tlsl *l, const struct tlsl_env *env)
{
	if (!l || !env->kl)
		return;
	for (int d = 0; d < 2; d++)
		if (!tc->half[d].opaque)
			hold_drain(l, tc, d, env);
}

size_t tlsl_feed(struct tls_conn *tc, struct tlsl **lp, int dir, const uint8_t *data, size_t len,
		 const struct tlsl_env *env)
{
	int d = dir ? 1 : 0;
	if (!env->kl)
		return tls_feed(tc, d, data, len, env->tev);
	struct tlsl *l = *lp;
	if (env->rec_end)
		*env->rec_end = 0;
	if (l)
		hold_drain(l, tc, d, env);
	size_t off = 0;
	if (l && l->st_got[d]) {
		/* the rest of a record begun on an earlier segment */
		size_t need = l->st_len[d] - l->st_got[d];
		size_t take = len < need ? len : need;
		stream_more(l, d, data, take, env);
		if (take < need)
			return len;
		if (env->rec_end) /* the record ends here, in this piece */
			*env->rec_end = take;
		stream_done(l, tc, d, env);
		off = take;
	}
	/* Each turn takes a whole record (at least 5 bytes), or the start of
	 * one streamed, or leaves. */
	while (len - off >= REC_HDR) {
		if (tc->half[d].opaque)
			return len;
		const uint8_t *rec = data + off;
		size_t body = (size_t)(rec[3] << 8 | rec[4]);
		if (body > REC_MAX)
			return off + tls_feed(tc, d, rec, len - off, env->tev); /* not TLS: it says so */
		if (len - off - REC_HDR < body) {
			if (l && stream_begin(l, tc, d, rec, len - off, env))
				return len;
			break;
		}
		size_t rlen = REC_HDR + body;
		unsigned ev_first = env->tev->n;
		size_t used = tls_feed(tc, d, rec, rlen, env->tev);
		if (used < rlen)
			return off + used + tls_feed(tc, d, rec + used, rlen - used, env->tev);
		off += rlen;
		if (tc->half[d].opaque)
			continue;
		if (!l && d == 0 && rec[0] == TLS_CT_HANDSHAKE && rlen > REC_HDR &&
		    rec[REC_HDR] == TLS_HS_CLIENT_HELLO) {
			/* the connection's layer, once: capped */
			/* Only the header is zeroed: the buffers are written before
			 * they are read (their lengths and high-water marks say how
			 * far), so their pages are touched only as they fill. */
			if (env->pool->n_live < env->pool->max_live)
				l = env->pool->n_spare ? env->pool->spare[--env->pool->n_spare]
							: malloc(sizeof(*l));
			if (l)
				memset(l, 0, offsetof(struct tlsl, hold));
			if (!l) {
				env->pool->n_refused++;
				struct tls_ev *e = ev_new(env->tev, d, NULL, TLS_EV_DEC_NOTE);
				if (e)
					e->why = "not decrypted: too many TLS connections at once";
				*lp = NULL;
				/* tls_feed alone from here: mark by a layer-less feed */
			} else {
				env->pool->n_live++;
				*lp = l;
			}
		}
		if (l) {
			if (env->rec_end)
				*env->rec_end = off;
			rec_layer(l, tc, d, rec, rlen, env, ev_first);
		}
	}
	if (env->rec_end)
		*env->rec_end = 0;
	return off;
}
