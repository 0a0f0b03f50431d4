/* test_tlsdec.c - TLS record decryption: RFC 8448 section 3, loopback sessions checked against tshark, wrong keys, hostile records. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keylog.h"
#include "rfc8448.h"
#include "t.h"
#include "tls.h"
#include "tlsdec.h"
#include "tlsdec_vectors.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; s[0] && s[1] && n < cap; s += 2) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

static uint8_t out[TLSDEC_OUT_MAX];

/* libcrypto's allocations, counted (CRYPTO_set_mem_functions, before any) */
static unsigned long n_allocs;

static void *count_malloc(size_t n, const char *file, int line)
{
	(void)file, (void)line;
	n_allocs++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file, (void)line;
	n_allocs++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	(void)file, (void)line;
	free(p);
}

/* Decrypt hex record rec of dir; check status, inner type and (when want) the plaintext. */
static void dec_check(struct tlsdec *t, int dir, const char *rec, enum tlsdec_status want_st,
		      int want_type, const char *want, int line)
{
	static uint8_t r[20000], w[20000];
	size_t rl = unhex(rec, r, sizeof r), wl = want ? unhex(want, w, sizeof w) : 0, n = 0;
	uint8_t it = 0;
	enum tlsdec_status st = tlsdec_record(t, dir, r, rl, out, sizeof out, &n, &it);

	if (st != want_st || (want_st == TLSDEC_OK && it != want_type) ||
	    (want && (n != wl || memcmp(out, w, n) != 0))) {
		t_failed++;
		fprintf(stderr, "test_tlsdec.c:%d: status %s type %u len %zu, expected %s type %d len %zu\n",
			line, tlsdec_status_name(st), it, n, tlsdec_status_name(want_st), want_type, wl);
	} else {
		t_passed++;
	}
}

#define DEC(t, d, rec, st, type, want) dec_check((t), (d), (rec), (st), (type), (want), __LINE__)

static struct keylog *kl_from(const char *text)
{
	char err[KEYLOG_ERRBUF_SIZE];
	struct keylog *kl = keylog_new(0, 0, err);

	keylog_add_text(kl, (const uint8_t *)text, strlen(text));
	return kl;
}

static void test_rfc8448_keys(void)
{
	uint8_t s[32], key[16], iv[12], want[16];

	unhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38", s, 32);
	CHECK_EQ_INT(tlsdec_expand_label("SHA256", s, 32, "key", NULL, 0, key, 16), 0);
	CHECK_EQ_INT(tlsdec_expand_label("SHA256", s, 32, "iv", NULL, 0, iv, 12), 0);
	unhex("3fce516009c21727d0f2e4e86ee403bc", want, 16);
	CHECK(memcmp(key, want, 16) == 0);
	unhex("5d313eb2671276ee13000b30", want, 12);
	CHECK(memcmp(iv, want, 12) == 0);
	/* the server application key, from its secret */
	unhex("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643", s, 32);
	CHECK_EQ_INT(tlsdec_expand_label("SHA256", s, 32, "key", NULL, 0, key, 16), 0);
	unhex("9f02283b6c9c07efc26bb9f2ac92e356", want, 16);
	CHECK(memcmp(key, want, 16) == 0);
	CHECK(tlsdec_expand_label("SHA256", s, 32, "key", NULL, 0, key, 0) != 0);
}

static void rfc8448_init(struct tlsdec *t, const struct keylog *kl, unsigned flags)
{
	uint8_t cr[32], sr[32];

	unhex(R_CR, cr, 32);
	unhex(R_SR, sr, 32);
	CHECK_EQ_INT(tlsdec_init(t, 0x0304, 0x1301, cr, sr, kl, flags), 0);
}

static void test_rfc8448(void)
{
	struct keylog *kl = kl_from(r_keylog);
	struct tlsdec t;

	rfc8448_init(&t, kl, 0);
	/* a TLS 1.3 ChangeCipherSpec passes as it is, and takes no sequence number */
	DEC(&t, 1, "140303000101", TLSDEC_OK, TLS_CT_CCS, "01");
	DEC(&t, 1, r_srv_flight_rec, TLSDEC_OK, TLS_CT_HANDSHAKE, r_srv_flight);
	CHECK_EQ_INT(t.dir[1].epoch, TLSDEC_EPOCH_APP);       /* after the server Finished */
	CHECK_EQ_INT(t.dir[0].epoch, TLSDEC_EPOCH_HANDSHAKE);
	DEC(&t, 1, r_nst_rec, TLSDEC_OK, TLS_CT_HANDSHAKE, r_nst);
	DEC(&t, 0, r_cli_fin_rec, TLSDEC_OK, TLS_CT_HANDSHAKE, r_cli_fin);
	CHECK_EQ_INT(t.dir[0].epoch, TLSDEC_EPOCH_APP);
	DEC(&t, 0, r_cli_app_rec, TLSDEC_OK, TLS_CT_APPDATA,
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031");
	DEC(&t, 1, r_srv_app_rec, TLSDEC_OK, TLS_CT_APPDATA,
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031");
	DEC(&t, 0, r_cli_alert_rec, TLSDEC_OK, TLS_CT_ALERT, "0100");
	DEC(&t, 1, r_srv_alert_rec, TLSDEC_OK, TLS_CT_ALERT, "0100");
	CHECK(!tlsdec_auth_failed(&t));
	CHECK_EQ_STR(tlsdec_why(&t), "");
	/* a replayed record is under the wrong sequence number now */
	DEC(&t, 1, r_srv_app_rec, TLSDEC_AUTH_FAIL, 0, "");
	CHECK(tlsdec_auth_failed(&t));
	tlsdec_free(&t);

	/* manual: the caller moves the keys */
	rfc8448_init(&t, kl, TLSDEC_F_MANUAL);
	DEC(&t, 1, r_srv_flight_rec, TLSDEC_OK, TLS_CT_HANDSHAKE, r_srv_flight);
	CHECK_EQ_INT(t.dir[1].epoch, TLSDEC_EPOCH_HANDSHAKE);
	DEC(&t, 1, r_nst_rec, TLSDEC_AUTH_FAIL, 0, "");
	tlsdec_free(&t);
	rfc8448_init(&t, kl, TLSDEC_F_MANUAL);
	DEC(&t, 1, r_srv_flight_rec, TLSDEC_OK, TLS_CT_HANDSHAKE, r_srv_flight);
	tlsdec_app_keys(&t, 1);
	DEC(&t, 1, r_nst_rec, TLSDEC_OK, TLS_CT_HANDSHAKE, r_nst);
	DEC(&t, 1, r_srv_app_rec, TLSDEC_OK, TLS_CT_APPDATA, NULL);
	tlsdec_free(&t);
	keylog_free(kl);
}

/* Once a direction has its keys, a record costs no allocation (GCM, TLS 1.3). */
static void test_no_alloc_per_record(void)
{
	struct keylog *kl = kl_from(r_keylog);
	struct tlsdec t;
	unsigned long before;

	rfc8448_init(&t, kl, 0);
	DEC(&t, 1, r_srv_flight_rec, TLSDEC_OK, TLS_CT_HANDSHAKE, NULL);
	DEC(&t, 1, r_nst_rec, TLSDEC_OK, TLS_CT_HANDSHAKE, NULL);    /* application keys made */
	before = n_allocs;
	DEC(&t, 1, r_srv_app_rec, TLSDEC_OK, TLS_CT_APPDATA, NULL);
	DEC(&t, 1, r_srv_alert_rec, TLSDEC_OK, TLS_CT_ALERT, NULL);
	DEC(&t, 1, r_srv_alert_rec, TLSDEC_AUTH_FAIL, 0, NULL);
	CHECK_EQ_INT(n_allocs - before, 0);
	tlsdec_free(&t);
	keylog_free(kl);
}

/* No key yet: NEED_KEY consumes nothing; the key arrives; the record decrypts. */
static void test_need_key(void)
{
	struct keylog *kl = kl_from("");
	struct tlsdec t;

	rfc8448_init(&t, kl, 0);
	DEC(&t, 1, r_srv_flight_rec, TLSDEC_NEED_KEY, 0, "");
	DEC(&t, 1, r_srv_flight_rec, TLSDEC_NEED_KEY, 0, "");
	keylog_add_text(kl, (const uint8_t *)r_keylog, strlen(r_keylog));
	DEC(&t, 1, r_srv_flight_rec, TLSDEC_OK, TLS_CT_HANDSHAKE, r_srv_flight);
	tlsdec_free(&t);

	/* a skipped record keeps the sequence numbers right */
	keylog_free(kl);
	kl = kl_from("SERVER_HANDSHAKE_TRAFFIC_SECRET " R_CR
		     " b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38\n");
	rfc8448_init(&t, kl, 0);
	DEC(&t, 1, r_srv_flight_rec, TLSDEC_OK, TLS_CT_HANDSHAKE, NULL);
	DEC(&t, 1, r_nst_rec, TLSDEC_NEED_KEY, 0, "");
	tlsdec_skip(&t, 1);
	keylog_add_text(kl, (const uint8_t *)r_keylog, strlen(r_keylog));
	DEC(&t, 1, r_srv_app_rec, TLSDEC_OK, TLS_CT_APPDATA, NULL);
	tlsdec_free(&t);
	keylog_free(kl);
}

/* A key log with the wrong secret: AUTH_FAIL, nothing out, noted. */
static void test_wrong_key(void)
{
	struct keylog *kl = kl_from("SERVER_HANDSHAKE_TRAFFIC_SECRET " R_CR
				    " b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad39\n");
	struct tlsdec t;
	uint8_t r[64];
	size_t rl = unhex(r_srv_alert_rec, r, sizeof r), n = 99;
	uint8_t it;

	rfc8448_init(&t, kl, 0);
	CHECK(!tlsdec_auth_failed(&t));
	DEC(&t, 1, r_srv_flight_rec, TLSDEC_AUTH_FAIL, 0, "");
	CHECK(tlsdec_auth_failed(&t));
	CHECK_EQ_INT(t.dir[1].epoch, TLSDEC_EPOCH_HANDSHAKE);
	CHECK_EQ_INT(tlsdec_record(&t, 1, r, rl, out, sizeof out, &n, &it), TLSDEC_AUTH_FAIL);
	CHECK_EQ_INT(n, 0);
	tlsdec_free(&t);
	keylog_free(kl);
}

/* Every strict prefix is MALFORMED and consumes nothing; every one-bit flip fails. */
static void test_hostile(void)
{
	struct keylog *kl = kl_from(r_keylog);
	struct tlsdec t;
	uint8_t r[128], it;
	size_t rl = unhex(r_cli_fin_rec, r, sizeof r), n;
	int bad = 0;

	rfc8448_init(&t, kl, 0);
	for (size_t i = 0; i < rl; i++)
		if (tlsdec_record(&t, 0, r, i, out, sizeof out, &n, &it) != TLSDEC_MALFORMED || n != 0)
			bad++;
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(t.dir[0].seq, 0);
	/* the whole record still decrypts: the prefixes consumed nothing */
	CHECK_EQ_INT(tlsdec_record(&t, 0, r, rl, out, sizeof out, &n, &it), TLSDEC_OK);
	tlsdec_free(&t);

	/* one bit flipped anywhere (header or body): never OK */
	for (size_t i = 0; i < rl * 8; i++) {
		enum tlsdec_status st;

		rfc8448_init(&t, kl, 0);
		r[i / 8] ^= (uint8_t)(1u << (i % 8));
		st = tlsdec_record(&t, 0, r, rl, out, sizeof out, &n, &it);
		/* (a flip of the outer type to 22 is a plaintext record: passed as it is) */
		if (st == TLSDEC_OK && n == 36 && memcmp(out, "\x14\x00\x00\x20", 4) == 0)
			bad++;
		r[i / 8] ^= (uint8_t)(1u << (i % 8));
		tlsdec_free(&t);
	}
	CHECK_EQ_INT(bad, 0);

	/* small and odd records: too short for a tag, empty, the largest, too large */
	rfc8448_init(&t, kl, 0);
	DEC(&t, 0, "1703030000", TLSDEC_MALFORMED, 0, NULL);
	DEC(&t, 0, "170303000f000102030405060708090a0b0c0d0e", TLSDEC_MALFORMED, 0, NULL);
	DEC(&t, 0, "170303001000000000000000000000000000000000", TLSDEC_MALFORMED, 0, NULL);
	{
		static uint8_t big[5 + 0xffff];
		big[0] = 23, big[1] = 3, big[2] = 3, big[3] = 0xff, big[4] = 0xff;
		CHECK_EQ_INT(tlsdec_record(&t, 0, big, sizeof big, big, sizeof big, &n, &it),
			     TLSDEC_MALFORMED);
		big[3] = 0x41, big[4] = 0x00;  /* 16640: the TLS 1.3 limit, wrong tag */
		CHECK_EQ_INT(tlsdec_record(&t, 0, big, 5 + 0x4100, out, sizeof out, &n, &it),
			     TLSDEC_AUTH_FAIL);
		/* a small output buffer */
		CHECK_EQ_INT(tlsdec_record(&t, 0, big, 5 + 0x4100, out, 100, &n, &it),
			     TLSDEC_UNSUPPORTED);
	}
	tlsdec_free(&t);
	keylog_free(kl);
}

static void test_unsupported(void)
{
	struct tlsdec t;
	uint8_t cr[32] = { 0 }, sr[32] = { 0 };

	CHECK_EQ_INT(tlsdec_init(&t, 0x0304, 0x1304, cr, sr, NULL, 0), 1);
	CHECK_EQ_STR(tlsdec_why(&t), "cipher suite 0x1304 (TLS_AES_128_CCM_SHA256): not decrypted");
	DEC(&t, 1, r_srv_alert_rec, TLSDEC_UNSUPPORTED, 0, NULL);
	DEC(&t, 1, "140303000101", TLSDEC_OK, TLS_CT_CCS, "01");
	tlsdec_free(&t);
	CHECK_EQ_INT(tlsdec_init(&t, 0x0303, 0xc0ad, cr, sr, NULL, 0), 1);
	CHECK_EQ_STR(tlsdec_why(&t), "cipher suite 0xc0ad: not decrypted");
	DEC(&t, 0, "160303000414000000", TLSDEC_OK, TLS_CT_HANDSHAKE, "14000000");
	DEC(&t, 0, "140303000101", TLSDEC_OK, TLS_CT_CCS, "01");
	DEC(&t, 0, "160303000414000000", TLSDEC_UNSUPPORTED, 0, NULL);
	tlsdec_free(&t);
	CHECK_EQ_INT(tlsdec_init(&t, 0x0302, 0xc013, cr, sr, NULL, 0), 1);
	CHECK_EQ_STR(tlsdec_why(&t), "TLS 1.1 0x0302: not decrypted");
	tlsdec_free(&t);
	/* TLS 1.3 suite with a TLS 1.2 version */
	CHECK_EQ_INT(tlsdec_init(&t, 0x0303, 0x1301, cr, sr, NULL, 0), 1);
	tlsdec_free(&t);
	CHECK_EQ_STR(tlsdec_status_name(TLSDEC_NEED_KEY), "need key");
}

/* A KeyUpdate: the next secret by "traffic upd", both by hand and from a decrypted KeyUpdate. */
static void test_key_update(void)
{
	/* RFC 8446 7.2 by hand: expand the RFC 8448 server application secret */
	uint8_t s0[32], s1[32], k1[16], want_k1[16];
	struct keylog *kl = kl_from(r_keylog);
	struct tlsdec t;

	unhex("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643", s0, 32);
	CHECK_EQ_INT(tlsdec_expand_label("SHA256", s0, 32, "traffic upd", NULL, 0, s1, 32), 0);
	CHECK_EQ_INT(tlsdec_expand_label("SHA256", s1, 32, "key", NULL, 0, want_k1, 16), 0);
	rfc8448_init(&t, kl, 0);
	DEC(&t, 1, r_srv_flight_rec, TLSDEC_OK, TLS_CT_HANDSHAKE, NULL);
	DEC(&t, 1, r_nst_rec, TLSDEC_OK, TLS_CT_HANDSHAKE, NULL);
	tlsdec_key_update(&t, 1);
	CHECK_EQ_INT(t.dir[1].generation, 1);
	CHECK_EQ_INT(t.dir[1].seq, 0);
	memcpy(k1, t.dir[1].key, 16);
	CHECK(memcmp(k1, want_k1, 16) == 0);
	DEC(&t, 1, r_srv_app_rec, TLSDEC_AUTH_FAIL, 0, NULL);   /* old key: fails now */
	tlsdec_free(&t);

	/* an update before the secret arrived: applied when it does */
	keylog_free(kl);
	kl = kl_from("");
	rfc8448_init(&t, kl, TLSDEC_F_MANUAL);
	tlsdec_app_keys(&t, 1);
	tlsdec_key_update(&t, 1);
	DEC(&t, 1, r_srv_app_rec, TLSDEC_NEED_KEY, 0, NULL);
	keylog_add_text(kl, (const uint8_t *)r_keylog, strlen(r_keylog));
	DEC(&t, 1, r_srv_app_rec, TLSDEC_AUTH_FAIL, 0, NULL);
	CHECK(memcmp(t.dir[1].key, want_k1, 16) == 0);
	tlsdec_free(&t);
	keylog_free(kl);
}

/* ------------------------------------------------------------------ */
/* Loopback sessions (tlsdec_vectors.h): the application data tshark    */
/* decrypts, byte for byte, from every record after the hellos          */
/* ------------------------------------------------------------------ */

static uint8_t cli[8192], srv[8192], app[2][4096], want[4096];

static void test_session(const struct session *s)
{
	struct keylog *kl = kl_from(s->keylog);
	struct tlsdec t;
	size_t cl = unhex(s->cli, cli, sizeof cli), sl = unhex(s->srv, srv, sizeof srv);
	size_t app_len[2] = { 0, 0 }, wl;
	uint16_t suite;
	uint8_t sid_len;
	int failed = 0, n_hs[2] = { 0, 0 }, n_alert[2] = { 0, 0 };
	unsigned long before, allocs_keyed = 0;
	bool keyed;

	/* ClientHello / ServerHello records first: random at 5 + 4 + 2 */
	CHECK(cl > 43 && sl > 80 && cli[0] == 22 && srv[0] == 22 && cli[5] == 1 && srv[5] == 2);
	sid_len = srv[43];
	suite = (uint16_t)(srv[44 + sid_len] << 8 | srv[45 + sid_len]);
	CHECK_EQ_INT(tlsdec_init(&t, s->version, suite, cli + 11, srv + 11, kl, 0), 0);
	for (int d = 0; d < 2; d++) {
		const uint8_t *p = d ? srv : cli;
		size_t len = d ? sl : cl, off = 5 + (size_t)(p[3] << 8 | p[4]);

		/* every record after the hello, in order */
		while (len - off >= 5) {
			size_t rl = 5 + (size_t)(p[off + 3] << 8 | p[off + 4]), n = 0;
			uint8_t it = 0;
			enum tlsdec_status st;

			if (rl > len - off)
				break;
			keyed = t.dir[d].have_key;
			before = n_allocs;
			st = tlsdec_record(&t, d, p + off, rl, out, sizeof out, &n, &it);
			/* a keyed direction decrypts without allocating (AEAD suites; the
			 * CBC suites' HMAC copies digest contexts: 2 per MAC) */
			if (keyed && t.dir[d].have_key && t.dir[d].seq > 0 &&
			    n_allocs - before > (strstr(s->name, "cbc") ? 2u : 0u))
				allocs_keyed += n_allocs - before;
			if (st != TLSDEC_OK) {
				failed++;
				fprintf(stderr, "%s dir %d record at %zu: %s\n", s->name, d, off,
					tlsdec_status_name(st));
			} else if (it == TLS_CT_APPDATA && app_len[d] + n <= sizeof app[d]) {
				memcpy(app[d] + app_len[d], out, n);
				app_len[d] += n;
			} else if (it == TLS_CT_HANDSHAKE) {
				n_hs[d]++;
			} else if (it == TLS_CT_ALERT) {
				n_alert[d]++;
			}
			off += rl;
		}
		CHECK_EQ_INT(off, len);
	}
	CHECK_EQ_INT(failed, 0);
	if (allocs_keyed)
		fprintf(stderr, "session %s: %lu allocations in keyed records\n", s->name, allocs_keyed);
	CHECK_EQ_INT(allocs_keyed, 0);
	CHECK(n_hs[0] >= 1 && n_hs[1] >= 1);
	if (failed)
		fprintf(stderr, "session %s\n", s->name);
	wl = unhex(s->cli_app, want, sizeof want);
	if (wl != app_len[0])
		fprintf(stderr, "session %s: client app %zu bytes, tshark %zu\n", s->name, app_len[0], wl);
	CHECK(wl > 0 && wl == app_len[0] && memcmp(app[0], want, wl) == 0);
	wl = unhex(s->srv_app, want, sizeof want);
	CHECK(wl > 0 && wl == app_len[1] && memcmp(app[1], want, wl) == 0);
	if (s->version == 0x0304) {
		CHECK_EQ_INT(t.dir[0].epoch, TLSDEC_EPOCH_APP);
		CHECK_EQ_INT(t.dir[1].epoch, TLSDEC_EPOCH_APP);
	}
	if (strcmp(s->name, "t13_keyupdate") == 0) {
		/* the client's own KeyUpdate and its answer to the server's; the server's one */
		CHECK_EQ_INT(t.dir[0].generation, 2);
		CHECK_EQ_INT(t.dir[1].generation, 1);
	}
	/* the early data record and EndOfEarlyData, under the early key */
	CHECK_EQ_INT(tlsdec_early(&t), strcmp(s->name, "t13_early") == 0 ? 2 : 0);
	if (strcmp(s->name, "t12_cbc_etm") == 0)
		CHECK(t.dir[0].etm && t.dir[1].etm);
	if (strcmp(s->name, "t12_cbc_mte") == 0)
		CHECK(!t.dir[0].etm && t.dir[0].mte && !t.dir[1].etm && t.dir[1].mte);
	CHECK(!tlsdec_auth_failed(&t));
	tlsdec_free(&t);

	/* The same session with the last key byte flipped: every protected record fails. */
	{
		char *bad = strdup(s->keylog);
		size_t bl = strlen(bad);
		int ok_protected = 0;

		for (char *l = bad; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			char *e = strchr(l, '\n');
			if (e && e > l && *l != '#')
				e[-1] = e[-1] == '0' ? '1' : '0';
		}
		keylog_free(kl);
		kl = kl_from(bad);
		CHECK_EQ_INT(tlsdec_init(&t, s->version, suite, cli + 11, srv + 11, kl, 0), 0);
		for (int d = 0; d < 2; d++) {
			const uint8_t *p = d ? srv : cli;
			size_t len = d ? sl : cl, off = 5 + (size_t)(p[3] << 8 | p[4]);

			while (len - off >= 5) {
				size_t rl = 5 + (size_t)(p[off + 3] << 8 | p[off + 4]), n = 0;
				uint8_t it = 0;

				if (rl > len - off)
					break;
				if (tlsdec_record(&t, d, p + off, rl, out, sizeof out, &n, &it) ==
					    TLSDEC_OK &&
				    (it == TLS_CT_APPDATA || (s->version == 0x0304 && p[off] == 23)))
					ok_protected++;
				off += rl;
			}
		}
		CHECK_EQ_INT(ok_protected, 0);
		if (!tlsdec_auth_failed(&t))
			fprintf(stderr, "session %s: wrong key not noted\n", s->name);
		CHECK(tlsdec_auth_failed(&t));
		tlsdec_free(&t);
		memset(bad, 0, bl);
		free(bad);
	}
	keylog_free(kl);
}

/* The 0-RTT session without the early secret in the key log: its early records fail
 * without taking a handshake sequence number; the rest decrypts; no wrong key noted. */
static void test_early_without_key(void)
{
	const struct session *s = NULL;
	char *text;
	struct keylog *kl;
	struct tlsdec t;
	size_t cl, sl, off;
	int n_fail = 0, n_ok = 0;

	for (size_t i = 0; i < sizeof sessions / sizeof sessions[0]; i++)
		if (strcmp(sessions[i].name, "t13_early") == 0)
			s = &sessions[i];
	CHECK(s != NULL);
	if (!s)
		return;
	/* the key log without its CLIENT_EARLY_TRAFFIC_SECRET lines (blanked) */
	text = strdup(s->keylog);
	for (char *l = strstr(text, "CLIENT_EARLY_TRAFFIC_SECRET"); l;
	     l = strstr(l, "CLIENT_EARLY_TRAFFIC_SECRET"))
		for (; *l && *l != '\n'; l++)
			*l = ' ';
	kl = kl_from(text);
	free(text);
	cl = unhex(s->cli, cli, sizeof cli);
	sl = unhex(s->srv, srv, sizeof srv);
	CHECK_EQ_INT(tlsdec_init(&t, 0x0304, (uint16_t)(srv[44 + srv[43]] << 8 | srv[45 + srv[43]]),
				 cli + 11, srv + 11, kl, 0), 0);
	off = 5 + (size_t)(cli[3] << 8 | cli[4]);
	while (cl - off >= 5) {
		size_t rl = 5 + (size_t)(cli[off + 3] << 8 | cli[off + 4]), n;
		uint8_t it;
		enum tlsdec_status st;

		if (rl > cl - off)
			break;
		st = tlsdec_record(&t, 0, cli + off, rl, out, sizeof out, &n, &it);
		if (st == TLSDEC_AUTH_FAIL)
			n_fail++;
		else if (st == TLSDEC_OK && it == TLS_CT_APPDATA && n == 12 &&
			 memcmp(out, "after-early\n", 12) == 0)
			n_ok++;
		off += rl;
	}
	CHECK_EQ_INT(n_fail, 2);       /* the early data record, EndOfEarlyData */
	CHECK_EQ_INT(n_ok, 1);
	CHECK(!tlsdec_auth_failed(&t));
	CHECK_EQ_INT(tlsdec_early(&t), 0);
	(void)sl;
	tlsdec_free(&t);
	keylog_free(kl);
}

int main(void)
{
	CHECK(CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free) == 1);
	test_rfc8448_keys();
	test_no_alloc_per_record();
	test_rfc8448();
	test_need_key();
	test_wrong_key();
	test_hostile();
	test_unsupported();
	test_key_update();
	for (size_t i = 0; i < sizeof sessions / sizeof sessions[0]; i++)
		test_session(&sessions[i]);
	test_early_without_key();
	return t_done("test_tlsdec");
}
