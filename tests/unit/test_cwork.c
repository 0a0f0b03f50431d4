/* test_cwork.c - pieces decrypted on the worker's thread are those decrypted in line. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "cwork.h"
#include "t.h"

/*
 * Messages sealed here with libcrypto (AES-128-GCM, AES-256-GCM,
 * ChaCha20-Poly1305), several at once on their own contexts, are opened
 * piece by piece through cwork: pieces of random sizes, interleaved
 * between the messages as a capture interleaves connections, some kept
 * (their bytes stay) and some copied (the caller's buffer is scribbled
 * over right after the call, as a packet buffer is reused).  Each message's
 * plaintext and tag must come out as sealed.
 */

#define N_MSG 6
#define MSG_MAX 40000

struct msg {
	const EVP_CIPHER *cipher;
	uint8_t key[32], iv[12], tag[16], aad[13];
	uint8_t pt[MSG_MAX], ct[MSG_MAX], out[MSG_MAX];
	size_t len, pos;
	EVP_CIPHER_CTX *ctx;
	bool err, ok;
	uint64_t ticket;
};

static uint32_t g_rng = 12345;

static uint32_t rnd(uint32_t n)
{
	g_rng = g_rng * 1103515245u + 12345u;
	return (g_rng >> 8) % n;
}

static bool seal(struct msg *m)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int k = 0, f = 0;
	bool ok = c && RAND_bytes(m->key, sizeof m->key) == 1 && RAND_bytes(m->iv, 12) == 1 &&
		  RAND_bytes(m->aad, sizeof m->aad) == 1 && RAND_bytes(m->pt, (int)m->len) == 1 &&
		  EVP_EncryptInit_ex(c, m->cipher, NULL, m->key, m->iv) == 1 &&
		  EVP_EncryptUpdate(c, NULL, &k, m->aad, sizeof m->aad) == 1 &&
		  EVP_EncryptUpdate(c, m->ct, &k, m->pt, (int)m->len) == 1 &&
		  EVP_EncryptFinal_ex(c, m->ct + k, &f) == 1 &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, m->tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* The key set here; the nonce and AAD here or, queued, on the worker
 * (what tlsdec's stream_start does either way). */
static bool open_begin(struct cwork *w, struct msg *m)
{
	int k = 0;
	m->ctx = EVP_CIPHER_CTX_new();
	m->pos = 0;
	m->err = false;
	m->ticket = 0;
	if (!m->ctx || EVP_DecryptInit_ex(m->ctx, m->cipher, NULL, m->key, NULL) != 1)
		return false;
	if (w && rnd(2)) {
		m->ticket = cwork_begin(w, m->ctx, m->iv, m->aad, sizeof m->aad, &m->err);
		return true;
	}
	return EVP_DecryptInit_ex(m->ctx, NULL, NULL, NULL, m->iv) == 1 &&
	       EVP_DecryptUpdate(m->ctx, NULL, &k, m->aad, sizeof m->aad) == 1;
}

/* The tag, once every piece is done (here, or queued after them): what
 * tlsdec_stream_end does. */
static bool open_end(struct cwork *w, struct msg *m)
{
	int f = 0;
	bool ok;
	if (rnd(2)) {
		m->ok = false;
		m->ticket = cwork_end(w, m->ctx, m->tag, m->out + m->len, &m->ok);
		cwork_wait(w, m->ticket);
		ok = !m->err && m->ok && memcmp(m->out, m->pt, m->len) == 0;
	} else {
		cwork_wait(w, m->ticket);
		ok = !m->err && EVP_CIPHER_CTX_ctrl(m->ctx, EVP_CTRL_AEAD_SET_TAG, 16, m->tag) == 1 &&
		     EVP_DecryptFinal_ex(m->ctx, m->out + m->len, &f) == 1 &&
		     memcmp(m->out, m->pt, m->len) == 0;
	}
	EVP_CIPHER_CTX_free(m->ctx);
	m->ctx = NULL;
	return ok;
}

static void test_interleaved(struct cwork *w, unsigned max_piece, int rounds)
{
	static struct msg msgs[N_MSG];
	static uint8_t scratch[MSG_MAX];
	const EVP_CIPHER *ciphers[3] = { EVP_aes_128_gcm(), EVP_aes_256_gcm(),
					 EVP_chacha20_poly1305() };
	int opened = 0, good = 0;
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < N_MSG; i++) {
			struct msg *m = &msgs[i];
			m->cipher = ciphers[(r + i) % 3];
			m->len = 1 + rnd(MSG_MAX - 1);
			CHECK(seal(m));
			CHECK(open_begin(w, m));
			memset(m->out, 0, m->len);
		}
		/* pieces, from a message picked at random each time, until all are in */
		int left = N_MSG;
		for (unsigned turn = 0; left > 0 && turn < 1000000; turn++) {
			struct msg *m = &msgs[rnd(N_MSG)];
			if (m->pos == m->len)
				continue;
			size_t n = 1 + rnd(max_piece);
			if (n > m->len - m->pos)
				n = m->len - m->pos;
			bool kept = rnd(2);
			const uint8_t *in = m->ct + m->pos;
			if (!kept) {
				memcpy(scratch, in, n);
				in = scratch;
			}
			m->ticket = cwork_update(w, m->ctx, in, n, kept, m->out + m->pos, &m->err);
			if (!kept)
				memset(scratch, 0xa5, n); /* copied: the caller's bytes may go */
			m->pos += n;
			if (m->pos == m->len) {
				opened++;
				good += open_end(w, m);
				left--;
			}
		}
	}
	CHECK_EQ_INT(opened, rounds * N_MSG);
	CHECK_EQ_INT(good, opened);
}

/* What cwork_wait returns after is done: read at once, the plaintext is
 * all there (the pieces are long, so a wait that returned early would be
 * seen). */
static void test_wait(struct cwork *w, struct msg *m)
{
	int whole = 0;
	for (int r = 0; r < 50; r++) {
		m->cipher = EVP_aes_256_gcm();
		m->len = MSG_MAX;
		CHECK(seal(m));
		CHECK(open_begin(w, m));
		memset(m->out, 0, m->len);
		for (size_t off = 0; off < m->len; off += MSG_MAX / 2)
			m->ticket = cwork_update(w, m->ctx, m->ct + off, MSG_MAX / 2, true,
						 m->out + off, &m->err);
		cwork_wait(w, m->ticket);
		whole += memcmp(m->out, m->pt, m->len) == 0;
		CHECK(open_end(w, m));
	}
	CHECK_EQ_INT(whole, 50);
}

/* A tag that does not match (one bit of it flipped) fails on the worker. */
static void test_bad_tag(struct cwork *w, struct msg *m)
{
	int failed = 0;
	for (int r = 0; r < 20; r++) {
		m->cipher = r % 2 ? EVP_chacha20_poly1305() : EVP_aes_128_gcm();
		m->len = 1 + rnd(MSG_MAX - 1);
		CHECK(seal(m));
		m->tag[rnd(16)] ^= (uint8_t)(1u << rnd(8));
		CHECK(open_begin(w, m));
		m->ticket = cwork_update(w, m->ctx, m->ct, m->len, true, m->out, &m->err);
		m->ok = true;
		m->ticket = cwork_end(w, m->ctx, m->tag, m->out + m->len, &m->ok);
		cwork_wait(w, m->ticket);
		failed += !m->err && !m->ok;
		EVP_CIPHER_CTX_free(m->ctx);
	}
	CHECK_EQ_INT(failed, 20);
}

/* A piece libcrypto refuses (a context never set up) says so in *err. */
static void test_refused(struct cwork *w)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t in[64] = { 0 }, out[64];
	bool err = false;
	uint64_t t = cwork_update(w, c, in, sizeof in, true, out, &err);
	cwork_wait(w, t);
	CHECK(err);
	EVP_CIPHER_CTX_free(c);
}

int main(void)
{
	/* off: no worker, the caller decrypts in line */
	setenv("FETCHTRACE_DECRYPT_THREAD", "0", 1);
	CHECK(cwork_new() == NULL);

	/* on, even on one CPU: the tracer's thread then does the pieces itself */
	setenv("FETCHTRACE_DECRYPT_THREAD", "1", 1);
	struct cwork *w = cwork_new();
	CHECK(w != NULL);
	if (!w)
		return t_done("test_cwork");
	cwork_wait(w, 0);
	cwork_drain(w); /* nothing queued: returns */
	/* wire-sized pieces; pieces up to whole records; pieces longer than the
	 * ring takes (copied ones are done in line); tiny pieces that fill the
	 * job slots before the bytes */
	test_interleaved(w, 1448, 20);
	test_interleaved(w, 20000, 10);
	test_interleaved(w, CWORK_PIECE_MAX + 5000, 5);
	test_interleaved(w, 8, 2);
	test_refused(w);

	struct msg *m = calloc(1, sizeof *m);
	CHECK(m != NULL);
	if (m) {
		test_wait(w, m);
		test_bad_tag(w, m);
	}
	if (m) {
		m->cipher = EVP_aes_256_gcm();
		m->len = MSG_MAX;
		CHECK(seal(m));
		CHECK(open_begin(w, m));
		for (size_t off = 0; off < m->len; off += 1000)
			m->ticket = cwork_update(w, m->ctx, m->ct + off,
						 m->len - off < 1000 ? m->len - off : 1000, true,
						 m->out + off, &m->err);
		cwork_drain(w);
		CHECK(memcmp(m->out, m->pt, 1000) == 0);
		CHECK(open_end(w, m));
		/* pieces left queued: cwork_free does them before it stops */
		m->len = MSG_MAX;
		CHECK(seal(m));
		CHECK(open_begin(w, m));
		memset(m->out, 0, m->len);
		for (size_t off = 0; off < m->len; off += 1000)
			(void)cwork_update(w, m->ctx, m->ct + off,
					   m->len - off < 1000 ? m->len - off : 1000, true,
					   m->out + off, &m->err);
	}
	cwork_free(w);
	if (m) {
		int f = 0;
		CHECK(!m->err && memcmp(m->out, m->pt, m->len) == 0);
		CHECK(EVP_CIPHER_CTX_ctrl(m->ctx, EVP_CTRL_AEAD_SET_TAG, 16, m->tag) == 1 &&
		      EVP_DecryptFinal_ex(m->ctx, m->out + m->len, &f) == 1);
		EVP_CIPHER_CTX_free(m->ctx);
	}
	free(m);
	cwork_free(NULL);
	return t_done("test_cwork");
}
