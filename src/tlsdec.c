/* tlsdec.c - TLS 1.3 and 1.2 record decryption with libcrypto: key schedules, nonces, AEAD and CBC records. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "cwork.h"
#include "tls.h"
#include "tlsdec.h"

/*
 * Record layouts (fragment = the bytes after the 5-byte record header
 * type | version | length):
 *
 *   TLS 1.3 (RFC 8446 5.2)      encrypted(content | type | zeros) | tag[16]
 *       nonce = iv XOR seq (seq big-endian, left-padded to 12 bytes, 5.3)
 *       additional data = the record header itself
 *   TLS 1.2 AES-GCM (RFC 5288)  explicit_nonce[8] | encrypted(content) | tag[16]
 *       nonce = salt[4] (key block) | explicit_nonce[8]
 *   TLS 1.2 ChaCha20 (RFC 7905) encrypted(content) | tag[16]
 *       nonce = iv[12] XOR seq, as TLS 1.3
 *       additional data (both, RFC 5246 6.2.3.3) =
 *           seq[8] | type | version[2] | content length[2]
 *   TLS 1.2 CBC (RFC 5246 6.2.3.2)  iv[16] | encrypted(content | mac | padding | padding_length)
 *       mac = HMAC(mac_key, seq[8] | type | version[2] | length[2] | content)
 *   TLS 1.2 CBC, encrypt-then-MAC (RFC 7366)  iv[16] | encrypted(content | padding ...) | mac
 *       mac over seq | type | version | length of iv+ciphertext | iv | ciphertext
 *
 * Keys: TLS 1.3 key = HKDF-Expand-Label(secret, "key", "", key_len), iv the
 * same with "iv" and 12 (RFC 8446 7.3); TLS 1.2 key_block = PRF(master,
 * "key expansion", server_random | client_random) cut into client MAC key,
 * server MAC key, client key, server key, client IV, server IV (RFC 5246 6.3).
 */

#define HDR_LEN 5
#define TAG_LEN 16
#define TLS13_CT_MAX (16384 + 256)     /* RFC 8446 5.2 */
#define TLS12_CT_MAX (16384 + 2048)    /* RFC 5246 6.2.3 */

enum { K_GCM, K_CHACHA, K_CBC };

struct tlsdec_suite {
	uint16_t id;
	bool tls13;
	uint8_t kind;       /* K_GCM, K_CHACHA, K_CBC */
	uint8_t key_len;    /* cipher key bytes */
	uint8_t mac_len;    /* CBC: HMAC length; AEAD: 0 */
	const char *md;     /* HKDF / PRF hash */
	const char *mac_md; /* CBC: HMAC hash */
};

static const struct tlsdec_suite suites[] = {
	{ 0x1301, true, K_GCM, 16, 0, "SHA256", NULL },
	{ 0x1302, true, K_GCM, 32, 0, "SHA384", NULL },
	{ 0x1303, true, K_CHACHA, 32, 0, "SHA256", NULL },
	/* TLS 1.2 AEAD: ECDHE_ECDSA, ECDHE_RSA, RSA, DHE_RSA (RFC 5288, RFC 5289, RFC 7905) */
	{ 0xc02b, false, K_GCM, 16, 0, "SHA256", NULL },
	{ 0xc02f, false, K_GCM, 16, 0, "SHA256", NULL },
	{ 0x009c, false, K_GCM, 16, 0, "SHA256", NULL },
	{ 0x009e, false, K_GCM, 16, 0, "SHA256", NULL },
	{ 0xc02c, false, K_GCM, 32, 0, "SHA384", NULL },
	{ 0xc030, false, K_GCM, 32, 0, "SHA384", NULL },
	{ 0x009d, false, K_GCM, 32, 0, "SHA384", NULL },
	{ 0x009f, false, K_GCM, 32, 0, "SHA384", NULL },
	{ 0xcca8, false, K_CHACHA, 32, 0, "SHA256", NULL },
	{ 0xcca9, false, K_CHACHA, 32, 0, "SHA256", NULL },
	{ 0xccaa, false, K_CHACHA, 32, 0, "SHA256", NULL },
	/* TLS 1.2 CBC (RFC 5246 A.5, RFC 4492, RFC 5289); the PRF is SHA-256 unless the suite says */
	{ 0xc009, false, K_CBC, 16, 20, "SHA256", "SHA1" },
	{ 0xc013, false, K_CBC, 16, 20, "SHA256", "SHA1" },
	{ 0x002f, false, K_CBC, 16, 20, "SHA256", "SHA1" },
	{ 0xc00a, false, K_CBC, 32, 20, "SHA256", "SHA1" },
	{ 0xc014, false, K_CBC, 32, 20, "SHA256", "SHA1" },
	{ 0x0035, false, K_CBC, 32, 20, "SHA256", "SHA1" },
	{ 0xc023, false, K_CBC, 16, 32, "SHA256", "SHA256" },
	{ 0xc027, false, K_CBC, 16, 32, "SHA256", "SHA256" },
	{ 0x003c, false, K_CBC, 16, 32, "SHA256", "SHA256" },
	{ 0x003d, false, K_CBC, 32, 32, "SHA256", "SHA256" },
	{ 0xc024, false, K_CBC, 32, 48, "SHA384", "SHA384" },
	{ 0xc028, false, K_CBC, 32, 48, "SHA384", "SHA384" },
};

static const char *const status_names[] = {
	"ok", "need key", "authentication failed", "unsupported", "malformed",
};

const char *tlsdec_status_name(enum tlsdec_status st)
{
	if ((unsigned)st >= sizeof status_names / sizeof status_names[0])
		return "?";
	return status_names[st];
}

static size_t md_len(const char *md) { return strcmp(md, "SHA384") == 0 ? 48 : 32; }

static const EVP_CIPHER *suite_cipher(const struct tlsdec_suite *cs)
{
	switch (cs->kind) {
	case K_GCM:
		return cs->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	case K_CHACHA:
		return EVP_chacha20_poly1305();
	default:
		return cs->key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
	}
}

/* Bytes of fixed IV in the TLS 1.2 key block (RFC 5288 3, RFC 7905 2; CBC: unused). */
static size_t tls12_iv_len(const struct tlsdec_suite *cs)
{
	return cs->kind == K_GCM ? 4 : cs->kind == K_CHACHA ? 12 : 16;
}

/* ------------------------------------------------------------------ */
/* Key derivation (libcrypto's KDFs)                                   */
/* ------------------------------------------------------------------ */

/* libcrypto's HKDF, fetched once: a fetch per derivation (a method store
 * lookup under locks) cost more than the derivation itself. */
static EVP_KDF *hkdf;
static pthread_once_t hkdf_once = PTHREAD_ONCE_INIT;

static void hkdf_fetch(void) { hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL); }

/*
 * HkdfLabel (RFC 8446 7.1):
 *   uint16 length | opaque label<7..255> = "tls13 " + label | opaque context<0..255>
 */
int tlsdec_expand_label(const char *md, const uint8_t *secret, size_t secret_len,
			const char *label, const uint8_t *ctx, size_t ctx_len,
			uint8_t *out, size_t out_len)
{
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t label_len = strlen(label), n = 0;
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[5];
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, rc = -1;

	if (6 + label_len > 255 || ctx_len > 255 || out_len > 0xffff || out_len == 0)
		return -1;
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)(6 + label_len);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, label_len);
	n += label_len;
	info[n++] = (uint8_t)ctx_len;
	if (ctx_len)
		memcpy(info + n, ctx, ctx_len);
	n += ctx_len;

	pthread_once(&hkdf_once, hkdf_fetch);
	kctx = hkdf ? EVP_KDF_CTX_new(hkdf) : NULL;
	if (!kctx)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	params[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n);
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, out_len, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(kctx);
	return rc;
}

/* RFC 5246 6.3: key_block = PRF(master_secret, "key expansion", server_random + client_random). */
static int tls12_key_block(const struct tlsdec *t, const uint8_t *master, size_t master_len,
			   uint8_t *out, size_t out_len)
{
	static const char label[] = "key expansion";
	uint8_t seed[sizeof label - 1 + 64];
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[4];
	int rc = -1;

	memcpy(seed, label, sizeof label - 1);
	memcpy(seed + sizeof label - 1, t->server_random, 32);
	memcpy(seed + sizeof label - 1 + 32, t->client_random, 32);
	kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!kctx)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)t->cs->md, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)master,
						      master_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof seed);
	params[3] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, out_len, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(kctx);
	return rc;
}

/* Key the direction's cipher context with dir->key. */
static int key_cipher(struct tlsdec *t, struct tlsdec_dir *dir)
{
	if (EVP_DecryptInit_ex(dir->ctx, suite_cipher(t->cs), NULL, dir->key, NULL) != 1)
		return -1;
	if (t->cs->kind == K_CBC)
		EVP_CIPHER_CTX_set_padding(dir->ctx, 0);
	return 0;
}

/* TLS 1.3: key and iv from dir->secret (RFC 8446 7.3). */
static int tls13_traffic_keys(struct tlsdec *t, struct tlsdec_dir *dir)
{
	size_t hl = md_len(t->cs->md);

	if (tlsdec_expand_label(t->cs->md, dir->secret, hl, "key", NULL, 0, dir->key,
				t->cs->key_len) != 0 ||
	    tlsdec_expand_label(t->cs->md, dir->secret, hl, "iv", NULL, 0, dir->iv, 12) != 0)
		return -1;
	return key_cipher(t, dir);
}

/* RFC 8446 7.2: application_traffic_secret_N+1 =
 *   HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length) */
static int tls13_next_secret(struct tlsdec *t, struct tlsdec_dir *dir)
{
	uint8_t next[TLSDEC_HASH_MAX];
	size_t hl = md_len(t->cs->md);
	int rc = tlsdec_expand_label(t->cs->md, dir->secret, hl, "traffic upd", NULL, 0, next, hl);

	if (rc == 0)
		memcpy(dir->secret, next, hl);
	OPENSSL_cleanse(next, sizeof next);
	return rc;
}

/*
 * Make the keys of direction d for its epoch from the key log.
 * TLSDEC_OK keyed, TLSDEC_NEED_KEY no secret yet, TLSDEC_UNSUPPORTED a
 * libcrypto failure (out of memory).
 */
static enum tlsdec_status get_keys(struct tlsdec *t, int d)
{
	struct tlsdec_dir *dir = &t->dir[d];
	uint8_t secret[KEYLOG_SECRET_MAX];
	enum tlsdec_status st = TLSDEC_OK;

	if (t->cs->tls13) {
		enum keylog_label lab;
		size_t n, hl = md_len(t->cs->md);

		if (dir->epoch == TLSDEC_EPOCH_HANDSHAKE)
			lab = d == 0 ? KEYLOG_CLIENT_HANDSHAKE_TRAFFIC_SECRET :
				       KEYLOG_SERVER_HANDSHAKE_TRAFFIC_SECRET;
		else
			lab = d == 0 ? KEYLOG_CLIENT_TRAFFIC_SECRET_0 : KEYLOG_SERVER_TRAFFIC_SECRET_0;
		n = keylog_find(t->kl, t->client_random, lab, secret, sizeof secret);
		if (n == 0)
			return TLSDEC_NEED_KEY;
		/* A secret of the wrong length for the suite's hash cannot be
		 * right; derived anyway (from its first bytes or zero-extended), it
		 * fails authentication, which is what it is. */
		memset(dir->secret, 0, sizeof dir->secret);
		memcpy(dir->secret, secret, n < hl ? n : hl);
		/* key updates that passed before the secret arrived */
		for (uint32_t g = 0; dir->epoch == TLSDEC_EPOCH_APP && g < dir->generation; g++)
			if (tls13_next_secret(t, dir) != 0)
				st = TLSDEC_UNSUPPORTED;
		if (st == TLSDEC_OK && tls13_traffic_keys(t, dir) != 0)
			st = TLSDEC_UNSUPPORTED;
	} else {
		uint8_t kb[2 * 48 + 2 * 32 + 2 * 16];
		size_t ml = t->cs->mac_len, kl = t->cs->key_len, il = tls12_iv_len(t->cs);
		size_t n = keylog_find(t->kl, t->client_random, KEYLOG_CLIENT_RANDOM, secret,
				       sizeof secret);

		if (n == 0)
			return TLSDEC_NEED_KEY;
		if (tls12_key_block(t, secret, n, kb, 2 * (ml + kl + il)) != 0) {
			st = TLSDEC_UNSUPPORTED;
		} else {
			memcpy(dir->mac_key, kb + (d ? ml : 0), ml);
			memcpy(dir->key, kb + 2 * ml + (d ? kl : 0), kl);
			memcpy(dir->iv, kb + 2 * (ml + kl) + (d ? il : 0), il < 12 ? il : 12);
			if (key_cipher(t, dir) != 0)
				st = TLSDEC_UNSUPPORTED;
			if (st == TLSDEC_OK && ml > 0 && !dir->mac) {
				EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);

				OSSL_PARAM params[2];

				params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
									     (char *)t->cs->mac_md, 0);
				params[1] = OSSL_PARAM_construct_end();
				dir->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
				EVP_MAC_free(mac);
				if (!dir->mac || EVP_MAC_CTX_set_params(dir->mac, params) != 1 ||
				    EVP_MAC_init(dir->mac, dir->mac_key, ml, NULL) != 1)
					st = TLSDEC_UNSUPPORTED;
			}
		}
		OPENSSL_cleanse(kb, sizeof kb);
	}
	OPENSSL_cleanse(secret, sizeof secret);
	if (st == TLSDEC_OK)
		dir->have_key = true;
	else if (st == TLSDEC_UNSUPPORTED)
		snprintf(t->why, sizeof t->why, "libcrypto could not derive the keys");
	return st;
}

/* ------------------------------------------------------------------ */
/* Set-up and key changes                                              */
/* ------------------------------------------------------------------ */

static void dir_new_epoch(struct tlsdec_dir *dir, enum tlsdec_epoch epoch)
{
	dir->epoch = epoch;
	dir->have_key = false;
	dir->seq = 0;
	OPENSSL_cleanse(dir->key, sizeof dir->key);
	OPENSSL_cleanse(dir->iv, sizeof dir->iv);
}

int tlsdec_init(struct tlsdec *t, uint16_t version, uint16_t suite,
		const uint8_t client_random[32], const uint8_t server_random[32],
		const struct keylog *kl, unsigned flags)
{
	const char *name;

	memset(t, 0, sizeof *t);
	t->version = version;
	t->suite = suite;
	t->flags = flags;
	t->kl = kl;
	memcpy(t->client_random, client_random, 32);
	memcpy(t->server_random, server_random, 32);
	for (int d = 0; d < 2; d++) {
		t->dir[d].ctx = EVP_CIPHER_CTX_new();
		if (!t->dir[d].ctx)
			return -1;
	}
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
		if (suites[i].id == suite && suites[i].tls13 == (version == 0x0304))
			t->cs = &suites[i];
	if (version != 0x0304 && version != 0x0303) {
		name = tls_version_name(version);
		snprintf(t->why, sizeof t->why, "%s%s0x%04x: not decrypted", name ? name : "",
			 name ? " " : "version ", version);
		t->cs = NULL;
		return 1;
	}
	if (!t->cs) {
		name = tls_cipher_name(suite);
		snprintf(t->why, sizeof t->why, "cipher suite 0x%04x%s%s%s: not decrypted", suite,
			 name ? " (" : "", name ? name : "", name ? ")" : "");
		return 1;
	}
	for (int d = 0; d < 2; d++)
		t->dir[d].epoch = t->cs->tls13 ? TLSDEC_EPOCH_HANDSHAKE : TLSDEC_EPOCH_NONE;
	return 0;
}

void tlsdec_app_keys(struct tlsdec *t, int dir)
{
	struct tlsdec_dir *dr = &t->dir[dir ? 1 : 0];

	if (!t->cs || !t->cs->tls13 || dr->epoch == TLSDEC_EPOCH_APP)
		return;
	dir_new_epoch(dr, TLSDEC_EPOCH_APP);
	dr->generation = 0;
	dr->hs_left = 0;
	dr->hs_hdr_len = 0;
	OPENSSL_cleanse(dr->secret, sizeof dr->secret);
}

void tlsdec_key_update(struct tlsdec *t, int dir)
{
	struct tlsdec_dir *dr = &t->dir[dir ? 1 : 0];
	bool had = dr->have_key;

	if (!t->cs || !t->cs->tls13 || dr->epoch != TLSDEC_EPOCH_APP)
		return;
	dr->generation++;
	dir_new_epoch(dr, TLSDEC_EPOCH_APP);
	/* Without the current secret, get_keys applies the generations later. */
	if (had && tls13_next_secret(t, dr) == 0 && tls13_traffic_keys(t, dr) == 0)
		dr->have_key = true;
	else if (had)
		OPENSSL_cleanse(dr->secret, sizeof dr->secret);  /* get_keys starts over */
}

void tlsdec_skip(struct tlsdec *t, int dir) { t->dir[dir ? 1 : 0].seq++; }

bool tlsdec_auth_failed(const struct tlsdec *t) { return t->auth_failed; }

uint64_t tlsdec_early(const struct tlsdec *t) { return t->early_seq; }

const char *tlsdec_why(const struct tlsdec *t) { return t->why; }

void tlsdec_free(struct tlsdec *t)
{
	for (int d = 0; d < 2; d++) {
		cwork_wait(t->cw, t->dir[d].st_ticket);   /* its pieces use the context */
		EVP_CIPHER_CTX_free(t->dir[d].ctx);   /* cleanses the key schedule */
		EVP_MAC_CTX_free(t->dir[d].mac);
	}
	EVP_CIPHER_CTX_free(t->early_ctx);
	EVP_CIPHER_CTX_free(t->ks_ctx);
	OPENSSL_cleanse(t, sizeof *t);
}

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

/* nonce = iv XOR seq, the sequence number big-endian in the last 8 bytes (RFC 8446 5.3). */
static void xor_nonce(const uint8_t *iv, uint64_t seq, uint8_t *nonce)
{
	memcpy(nonce, iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
}

static void put_seq(uint8_t *p, uint64_t seq)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(seq >> (56 - 8 * i));
}

/* One AEAD open: ct[0..ct_len) then tag[16] into out.  true when the tag verifies. */
static bool aead_open(EVP_CIPHER_CTX *ctx, const uint8_t *nonce, const uint8_t *aad,
		      size_t aad_len, const uint8_t *ct, size_t ct_len, const uint8_t *tag,
		      uint8_t *out)
{
	uint8_t tagbuf[TAG_LEN];
	int n = 0, fin = 0;

	memcpy(tagbuf, tag, TAG_LEN);
	if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
		return false;
	if (ct_len > 0 && EVP_DecryptUpdate(ctx, out, &n, ct, (int)ct_len) != 1)
		return false;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, tagbuf) != 1)
		return false;
	return EVP_DecryptFinal_ex(ctx, out + (ct_len > 0 ? (size_t)n : 0), &fin) == 1;
}

/* HMAC(mac_key, a | b | c) into out (mac_len bytes); false on a libcrypto failure. */
static bool hmac3(struct tlsdec *t, struct tlsdec_dir *dir, const uint8_t *a, size_t a_len,
		  const uint8_t *b, size_t b_len, const uint8_t *c, size_t c_len, uint8_t *out)
{
	size_t n = 0;

	/* the digest was set once, at key setup: no fetch (allocation) per record */
	return EVP_MAC_init(dir->mac, NULL, 0, NULL) == 1 &&
	       EVP_MAC_update(dir->mac, a, a_len) == 1 &&
	       (b_len == 0 || EVP_MAC_update(dir->mac, b, b_len) == 1) &&
	       (c_len == 0 || EVP_MAC_update(dir->mac, c, c_len) == 1) &&
	       EVP_MAC_final(dir->mac, out, &n, TLSDEC_HASH_MAX) == 1 && n == t->cs->mac_len;
}

/* TLS 1.2 CBC: out gets the content; its length, or a status. */
static enum tlsdec_status cbc_open(struct tlsdec *t, struct tlsdec_dir *dir, uint8_t type,
				   uint16_t version, const uint8_t *frag, size_t frag_len,
				   uint8_t *out, size_t *out_len)
{
	size_t ml = t->cs->mac_len, n;
	uint8_t hdr[13], mac[TLSDEC_HASH_MAX];
	int k = 0;

	put_seq(hdr, dir->seq);
	hdr[8] = type;
	hdr[9] = (uint8_t)(version >> 8);
	hdr[10] = (uint8_t)version;
	/* encrypt-then-MAC (RFC 7366): the MAC covers iv | ciphertext */
	if (!dir->mte && !dir->etm && frag_len >= 32 + ml && (frag_len - ml) % 16 == 0) {
		size_t cl = frag_len - ml;

		hdr[11] = (uint8_t)(cl >> 8);
		hdr[12] = (uint8_t)cl;
		if (hmac3(t, dir, hdr, 13, frag, cl, NULL, 0, mac) &&
		    CRYPTO_memcmp(mac, frag + cl, ml) == 0)
			dir->etm = true;
	}
	if (dir->etm) {
		size_t cl = frag_len - ml, pad;

		if (frag_len < 32 + ml || (frag_len - ml) % 16 != 0)
			return TLSDEC_MALFORMED;
		hdr[11] = (uint8_t)(cl >> 8);
		hdr[12] = (uint8_t)cl;
		if (!hmac3(t, dir, hdr, 13, frag, cl, NULL, 0, mac) ||
		    CRYPTO_memcmp(mac, frag + cl, ml) != 0)
			return TLSDEC_AUTH_FAIL;
		if (EVP_DecryptInit_ex(dir->ctx, NULL, NULL, NULL, frag) != 1 ||
		    EVP_DecryptUpdate(dir->ctx, out, &k, frag + 16, (int)(cl - 16)) != 1 ||
		    (size_t)k != cl - 16)
			return TLSDEC_UNSUPPORTED;
		n = (size_t)k;
		pad = out[n - 1];
		if (pad + 1 > n)
			return TLSDEC_MALFORMED;
		for (size_t i = 0; i <= pad; i++)
			if (out[n - 1 - i] != pad)
				return TLSDEC_MALFORMED;
		*out_len = n - pad - 1;
		return TLSDEC_OK;
	}
	/* MAC-then-encrypt */
	if (frag_len < 32 || frag_len % 16 != 0)
		/* shaped like encrypt-then-MAC whose MAC did not verify: a wrong key */
		return frag_len >= 32 + ml && (frag_len - ml) % 16 == 0 ? TLSDEC_AUTH_FAIL :
									  TLSDEC_MALFORMED;
	if (EVP_DecryptInit_ex(dir->ctx, NULL, NULL, NULL, frag) != 1 ||
	    EVP_DecryptUpdate(dir->ctx, out, &k, frag + 16, (int)(frag_len - 16)) != 1 ||
	    (size_t)k != frag_len - 16)
		return TLSDEC_UNSUPPORTED;
	n = (size_t)k;
	{
		size_t pad = out[n - 1], cl;

		/* A wrong key gives random padding: that is an authentication failure too. */
		if (pad + 1 + ml > n)
			return TLSDEC_AUTH_FAIL;
		for (size_t i = 0; i <= pad; i++)
			if (out[n - 1 - i] != pad)
				return TLSDEC_AUTH_FAIL;
		cl = n - pad - 1 - ml;
		hdr[11] = (uint8_t)(cl >> 8);
		hdr[12] = (uint8_t)cl;
		if (!hmac3(t, dir, hdr, 13, out, cl, NULL, 0, mac) ||
		    CRYPTO_memcmp(mac, out + cl, ml) != 0)
			return TLSDEC_AUTH_FAIL;
		dir->mte = true;
		*out_len = cl;
	}
	return TLSDEC_OK;
}

/*
 * TLS 1.3 handshake messages of a decrypted record, walked across records:
 *   uint8 msg_type | uint24 length | body[length]
 * Sets *fin / *ku when a Finished / KeyUpdate ends in this record.
 */
static void hs_walk(struct tlsdec_dir *dir, const uint8_t *p, size_t n, bool *fin, bool *ku)
{
	size_t i = 0;

	/* Each turn consumes at least one byte, or completes a header and
	 * then consumes body bytes: the loop ends. */
	while (i < n) {
		if (dir->hs_left == 0 && dir->hs_hdr_len < 4) {
			dir->hs_hdr[dir->hs_hdr_len++] = p[i++];
			if (dir->hs_hdr_len < 4)
				continue;
			dir->hs_type = dir->hs_hdr[0];
			dir->hs_left = (uint32_t)dir->hs_hdr[1] << 16 | (uint32_t)dir->hs_hdr[2] << 8 |
				       dir->hs_hdr[3];
		} else {
			size_t take = n - i < dir->hs_left ? n - i : dir->hs_left;

			i += take;
			dir->hs_left -= (uint32_t)take;
		}
		if (dir->hs_hdr_len == 4 && dir->hs_left == 0) {
			if (dir->hs_type == TLS_HS_FINISHED)
				*fin = true;
			if (dir->hs_type == 24)   /* KeyUpdate */
				*ku = true;
			dir->hs_hdr_len = 0;
		}
	}
}

/* 0-RTT: the early key of the client, when the key log has its secret.  false: none (yet). */
static bool early_keys(struct tlsdec *t)
{
	uint8_t secret[KEYLOG_SECRET_MAX], key[32];
	size_t hl = md_len(t->cs->md), n;
	bool ok;

	if (t->early_ctx)
		return true;
	n = keylog_find(t->kl, t->client_random, KEYLOG_CLIENT_EARLY_TRAFFIC_SECRET, secret,
			sizeof secret);
	if (n != hl)
		return false;
	t->early_ctx = EVP_CIPHER_CTX_new();
	ok = t->early_ctx &&
	     tlsdec_expand_label(t->cs->md, secret, hl, "key", NULL, 0, key, t->cs->key_len) == 0 &&
	     tlsdec_expand_label(t->cs->md, secret, hl, "iv", NULL, 0, t->early_iv, 12) == 0 &&
	     EVP_DecryptInit_ex(t->early_ctx, suite_cipher(t->cs), NULL, key, NULL) == 1;
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(key, sizeof key);
	if (!ok) {
		EVP_CIPHER_CTX_free(t->early_ctx);
		t->early_ctx = NULL;
	}
	return ok;
}

/*
 * A protected record was opened (st): its sequence number is taken, and
 * the plaintext out[0..n) (TLS 1.3: with the inner type and padding) gives
 * *out_len and *inner_type.  On a failure out[0..frag_len) is wiped.
 */
static enum tlsdec_status rec_done(struct tlsdec *t, int d, enum tlsdec_status st, uint8_t type,
				   uint8_t *out, size_t n, size_t frag_len, size_t *out_len,
				   uint8_t *inner_type)
{
	struct tlsdec_dir *dr = &t->dir[d];

	dr->seq++;
	if (st != TLSDEC_OK) {
		OPENSSL_cleanse(out, frag_len);  /* nothing unauthenticated leaves */
		if (st == TLSDEC_AUTH_FAIL) {
			dr->n_auth_fail++;
			t->auth_failed = true;
		}
		*inner_type = type;
		return st;
	}
	dr->n_ok++;
	if (t->cs->tls13) {
		bool fin = false, ku = false;

		/* RFC 8446 5.4: the last non-zero byte is the true content type. */
		while (n > 0 && out[n - 1] == 0)
			n--;
		if (n == 0)
			return TLSDEC_MALFORMED;
		*inner_type = out[--n];
		if (*inner_type == TLS_CT_HANDSHAKE && !(t->flags & TLSDEC_F_MANUAL)) {
			hs_walk(dr, out, n, &fin, &ku);
			if (fin && dr->epoch == TLSDEC_EPOCH_HANDSHAKE)
				tlsdec_app_keys(t, d);
			else if (ku && dr->epoch == TLSDEC_EPOCH_APP)
				tlsdec_key_update(t, d);
		}
	} else {
		*inner_type = type;
	}
	*out_len = n;
	return TLSDEC_OK;
}

enum tlsdec_status tlsdec_record(struct tlsdec *t, int dir, const uint8_t *rec, size_t len,
				 uint8_t *out, size_t out_cap, size_t *out_len,
				 uint8_t *inner_type)
{
	int d = dir ? 1 : 0;
	struct tlsdec_dir *dr = &t->dir[d];
	uint8_t type, nonce[12], aad[13];
	uint16_t version;
	size_t frag_len, n = 0;
	const uint8_t *frag;
	enum tlsdec_status st;

	*out_len = 0;
	*inner_type = 0;
	if (len < HDR_LEN)
		return TLSDEC_MALFORMED;
	type = rec[0];
	version = (uint16_t)(rec[1] << 8 | rec[2]);
	frag_len = (size_t)rec[3] << 8 | rec[4];
	if (frag_len != len - HDR_LEN)
		return TLSDEC_MALFORMED;            /* not one whole record: consumes nothing */
	frag = rec + HDR_LEN;
	*inner_type = type;
	if (frag_len > out_cap) {
		snprintf(t->why, sizeof t->why, "output buffer smaller than the record");
		return TLSDEC_UNSUPPORTED;
	}

	/* Unprotected records come back as they are. */
	if (!t->cs || (t->cs->tls13 && type != TLS_CT_APPDATA) ||
	    (!t->cs->tls13 && dr->epoch == TLSDEC_EPOCH_NONE)) {
		if (t->cs && !t->cs->tls13 && type == TLS_CT_CCS)
			dir_new_epoch(dr, TLSDEC_EPOCH_HANDSHAKE);
		if (!t->cs && (type == TLS_CT_APPDATA || (t->version == 0x0304 && type != TLS_CT_CCS) ||
			       (t->version != 0x0304 && dr->epoch != TLSDEC_EPOCH_NONE)))
			return TLSDEC_UNSUPPORTED;
		if (!t->cs && type == TLS_CT_CCS)
			dr->epoch = TLSDEC_EPOCH_HANDSHAKE;   /* after it, everything is protected */
		memcpy(out, frag, frag_len);
		*out_len = frag_len;
		return TLSDEC_OK;
	}
	if (frag_len > (t->cs->tls13 ? TLS13_CT_MAX : TLS12_CT_MAX)) {
		dr->seq++;
		return TLSDEC_MALFORMED;
	}
	if (!dr->have_key) {
		st = get_keys(t, d);
		if (st != TLSDEC_OK)
			return st;
	}

	if (t->cs->kind == K_CBC) {
		st = cbc_open(t, dr, type, version, frag, frag_len, out, &n);
	} else if (t->cs->tls13) {
		if (frag_len < TAG_LEN + 1) {
			st = TLSDEC_MALFORMED;
		} else {
			xor_nonce(dr->iv, dr->seq, nonce);
			st = aead_open(dr->ctx, nonce, rec, HDR_LEN, frag, frag_len - TAG_LEN,
				       frag + frag_len - TAG_LEN, out) ? TLSDEC_OK : TLSDEC_AUTH_FAIL;
			n = frag_len - TAG_LEN;
		}
	} else {
		size_t expl = t->cs->kind == K_GCM ? 8 : 0;

		if (frag_len < expl + TAG_LEN) {
			st = TLSDEC_MALFORMED;
		} else {
			n = frag_len - expl - TAG_LEN;
			if (t->cs->kind == K_GCM) {
				memcpy(nonce, dr->iv, 4);
				memcpy(nonce + 4, frag, 8);
			} else {
				xor_nonce(dr->iv, dr->seq, nonce);
			}
			put_seq(aad, dr->seq);
			aad[8] = type;
			aad[9] = (uint8_t)(version >> 8);
			aad[10] = (uint8_t)version;
			aad[11] = (uint8_t)(n >> 8);
			aad[12] = (uint8_t)n;
			st = aead_open(dr->ctx, nonce, aad, sizeof aad, frag + expl, n,
				       frag + frag_len - TAG_LEN, out) ? TLSDEC_OK : TLSDEC_AUTH_FAIL;
		}
	}
	/* 0-RTT early data: a client record that fails under the handshake key
	 * before any succeeded (RFC 8446 2.3: early data precedes the client's
	 * handshake flight).  Without the early key it may still be early data:
	 * it takes no handshake sequence number and is not taken for a wrong
	 * key (if the key is wrong, the records after it fail too). */
	if (st == TLSDEC_AUTH_FAIL && t->cs->tls13 && d == 0 && dr->epoch == TLSDEC_EPOCH_HANDSHAKE &&
	    dr->seq == 0 && dr->n_ok == 0) {
		if (!early_keys(t)) {
			OPENSSL_cleanse(out, frag_len);
			dr->n_auth_fail++;
			return TLSDEC_AUTH_FAIL;
		}
		xor_nonce(t->early_iv, t->early_seq, nonce);
		if (aead_open(t->early_ctx, nonce, rec, HDR_LEN, frag, frag_len - TAG_LEN,
			      frag + frag_len - TAG_LEN, out)) {
			t->early_seq++;
			while (n > 0 && out[n - 1] == 0)
				n--;
			if (n == 0)
				return TLSDEC_MALFORMED;
			*inner_type = out[--n];
			*out_len = n;
			return TLSDEC_OK;
		}
	}
	return rec_done(t, d, st, type, out, n, frag_len, out_len, inner_type);
}

/* ------------------------------------------------------------------ */
/* Records in pieces                                                   */
/* ------------------------------------------------------------------ */

/* Bytes of explicit nonce in front of the ciphertext (TLS 1.2 GCM, RFC 5288 3). */
static size_t expl_len(const struct tlsdec *t)
{
	return !t->cs->tls13 && t->cs->kind == K_GCM ? 8 : 0;
}

/* The nonce and additional data of the streamed record into the cipher
 * context: once the explicit nonce (if any) has come. */
static bool stream_start(struct tlsdec *t, struct tlsdec_dir *dr)
{
	uint8_t *nonce = dr->st_nonce, *aad = dr->st_aad, hdr[HDR_LEN];
	size_t n = dr->st_frag_len - expl_len(t) - TAG_LEN, aad_len = HDR_LEN;
	int k = 0;

	hdr[0] = dr->st_type;
	hdr[1] = (uint8_t)(dr->st_version >> 8);
	hdr[2] = (uint8_t)dr->st_version;
	hdr[3] = (uint8_t)(dr->st_frag_len >> 8);
	hdr[4] = (uint8_t)dr->st_frag_len;
	if (t->cs->tls13) {
		xor_nonce(dr->iv, dr->seq, nonce);
		memcpy(aad, hdr, HDR_LEN);
	} else {
		if (t->cs->kind == K_GCM) {
			memcpy(nonce, dr->iv, 4);
			memcpy(nonce + 4, dr->st_expl, 8);
		} else {
			xor_nonce(dr->iv, dr->seq, nonce);
		}
		put_seq(aad, dr->seq);
		aad[8] = dr->st_type;
		aad[9] = hdr[1];
		aad[10] = hdr[2];
		aad[11] = (uint8_t)(n >> 8);
		aad[12] = (uint8_t)n;
		aad_len = sizeof dr->st_aad;
	}
	if (t->cw) { /* on the worker's thread, before the pieces */
		dr->st_ticket = cwork_begin(t->cw, dr->ctx, nonce, aad, aad_len, &dr->st_werr);
		return true;
	}
	return EVP_DecryptInit_ex(dr->ctx, NULL, NULL, NULL, nonce) == 1 &&
	       EVP_DecryptUpdate(dr->ctx, NULL, &k, aad, (int)aad_len) == 1;
}

bool tlsdec_stream_begin(struct tlsdec *t, int dir, const uint8_t hdr[5], size_t out_cap,
			 struct cwork *cw)
{
	int d = dir ? 1 : 0;
	struct tlsdec_dir *dr = &t->dir[d];
	uint8_t type = hdr[0];
	size_t frag_len = (size_t)hdr[3] << 8 | hdr[4];

	if (dr->st_on || !t->cs || t->cs->kind == K_CBC)
		return false;
	/* protected, as tlsdec_record decides it */
	if (t->cs->tls13 ? type != TLS_CT_APPDATA : dr->epoch == TLSDEC_EPOCH_NONE)
		return false;
	if (frag_len > (t->cs->tls13 ? TLS13_CT_MAX : TLS12_CT_MAX) || frag_len > out_cap ||
	    frag_len < expl_len(t) + TAG_LEN + (t->cs->tls13 ? 1 : 0))
		return false;
	/* a first client record that fails may be 0-RTT early data: tlsdec_record
	 * tries it again under the early key, which needs it whole */
	if (t->cs->tls13 && d == 0 && dr->epoch == TLSDEC_EPOCH_HANDSHAKE && dr->seq == 0 &&
	    dr->n_ok == 0)
		return false;
	if (!dr->have_key && get_keys(t, d) != TLSDEC_OK)
		return false;
	dr->st_on = true;
	dr->st_err = false;
	dr->st_werr = false;   /* no piece of it queued yet: the worker is past it */
	t->cw = cw;
	dr->st_type = type;
	dr->st_version = (uint16_t)(hdr[1] << 8 | hdr[2]);
	dr->st_frag_len = (uint16_t)frag_len;
	dr->st_pos = 0;
	if (expl_len(t) == 0 && !stream_start(t, dr))
		dr->st_err = true;
	return true;
}

void tlsdec_stream_update(struct tlsdec *t, int dir, const uint8_t *piece, size_t len,
			  bool kept, uint8_t *out)
{
	struct tlsdec_dir *dr = &t->dir[dir ? 1 : 0];
	size_t expl, ct_end;

	if (!dr->st_on)
		return;
	expl = expl_len(t);
	ct_end = (size_t)dr->st_frag_len - TAG_LEN;
	if (len > (size_t)dr->st_frag_len - dr->st_pos)
		len = (size_t)dr->st_frag_len - dr->st_pos;   /* the caller's contract */
	/* Each turn takes at least one byte of the piece: the loop ends. */
	while (len > 0) {
		size_t pos = dr->st_pos, take;

		if (pos < expl) {
			take = len < expl - pos ? len : expl - pos;
			memcpy(dr->st_expl + pos, piece, take);
			if (pos + take == expl && !stream_start(t, dr))
				dr->st_err = true;
		} else if (pos < ct_end) {
			int k = 0;

			take = len < ct_end - pos ? len : ct_end - pos;
			if (dr->st_err) {
				/* nothing more: the record fails at its end */
			} else if (t->cw) {
				dr->st_ticket = cwork_update(t->cw, dr->ctx, piece, take, kept,
							     out + (pos - expl), &dr->st_werr);
			} else if (EVP_DecryptUpdate(dr->ctx, out + (pos - expl), &k, piece,
						     (int)take) != 1 ||
				   (size_t)k != take) {
				dr->st_err = true;
			}
		} else {
			take = len < dr->st_frag_len - pos ? len : dr->st_frag_len - pos;
			memcpy(dr->st_tag + (pos - ct_end), piece, take);
		}
		dr->st_pos = (uint16_t)(pos + take);
		piece += take;
		len -= take;
	}
}

enum tlsdec_status tlsdec_stream_end(struct tlsdec *t, int dir, uint8_t *out, size_t *out_len,
				     uint8_t *inner_type)
{
	int d = dir ? 1 : 0;
	struct tlsdec_dir *dr = &t->dir[d];
	size_t frag_len = dr->st_frag_len, n;
	enum tlsdec_status st;
	int fin = 0;

	*out_len = 0;
	*inner_type = 0;
	if (!dr->st_on)
		return TLSDEC_MALFORMED;
	dr->st_on = false;
	n = frag_len - expl_len(t) - TAG_LEN;
	if (t->cw) {
		/* the tag on the worker's thread too, after the pieces: then the
		 * plaintext is all in out and the verdict in st_wok */
		bool whole = !dr->st_err && dr->st_pos == frag_len;
		if (whole)
			dr->st_ticket = cwork_end(t->cw, dr->ctx, dr->st_tag, out + n, &dr->st_wok);
		cwork_wait(t->cw, dr->st_ticket);
		st = !whole || dr->st_werr ? TLSDEC_UNSUPPORTED
		     : dr->st_wok	   ? TLSDEC_OK
					   : TLSDEC_AUTH_FAIL;
	} else if (dr->st_err || dr->st_pos != frag_len) {
		/* libcrypto refused a piece, or the caller's pieces fell short */
		st = TLSDEC_UNSUPPORTED;
	} else if (EVP_CIPHER_CTX_ctrl(dr->ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, dr->st_tag) != 1) {
		st = TLSDEC_AUTH_FAIL;
	} else {
		st = EVP_DecryptFinal_ex(dr->ctx, out + n, &fin) == 1 ? TLSDEC_OK : TLSDEC_AUTH_FAIL;
	}
	if (st == TLSDEC_UNSUPPORTED)
		snprintf(t->why, sizeof t->why, "libcrypto could not decrypt the record");
	OPENSSL_cleanse(dr->st_tag, sizeof dr->st_tag);
	return rec_done(t, d, st, dr->st_type, out, n, frag_len, out_len, inner_type);
}

void tlsdec_stream_abort(struct tlsdec *t, int dir)
{
	struct tlsdec_dir *dr = &t->dir[dir ? 1 : 0];

	cwork_wait(t->cw, dr->st_ticket);   /* the caller wipes out next */
	dr->st_on = false;
	OPENSSL_cleanse(dr->st_tag, sizeof dr->st_tag);
}

bool tlsdec_stream_differs(struct tlsdec *t, int dir, size_t pos, const uint8_t *bytes,
			   size_t len, const uint8_t *out)
{
	struct tlsdec_dir *dr = &t->dir[dir ? 1 : 0];
	size_t expl, ct_end;
	bool differs = false;

	if (!dr->st_on || pos > dr->st_pos || len > (size_t)dr->st_pos - pos)
		return false;
	cwork_wait(t->cw, dr->st_ticket);   /* out is read below */
	expl = expl_len(t);
	ct_end = (size_t)dr->st_frag_len - TAG_LEN;
	/* Each turn takes at least one byte: the loop ends. */
	while (len > 0 && !differs) {
		size_t take;

		if (pos < expl) {
			take = len < expl - pos ? len : expl - pos;
			differs = memcmp(bytes, dr->st_expl + pos, take) != 0;
		} else if (pos >= ct_end) {
			take = len;
			differs = memcmp(bytes, dr->st_tag + (pos - ct_end), take) != 0;
		} else {
			/* Ciphertext = plaintext XOR keystream: AES-GCM's keystream is
			 * AES-CTR from counter 2 (NIST SP 800-38D 7.2), ChaCha20-Poly1305's
			 * ChaCha20 from block 1 (RFC 8439 2.8).  Whole keystream blocks
			 * from the one holding pos, at most 256 bytes a turn. */
			bool gcm = t->cs->kind == K_GCM;
			size_t blk = gcm ? 16 : 64, p = pos - expl, first = p - p % blk, k;
			uint8_t iv[16], pt[256 + 64], ct[256 + 64];
			uint32_t ctr = (uint32_t)(first / blk) + (gcm ? 2 : 1);
			int n = 0;

			take = ct_end - pos;
			if (take > len)
				take = len;
			if (take > 256)
				take = 256;
			k = p - first + take;   /* <= 256 + blk - 1 */
			if (gcm) {
				memcpy(iv, dr->st_nonce, 12);   /* stream_start's */
				iv[12] = (uint8_t)(ctr >> 24), iv[13] = (uint8_t)(ctr >> 16);
				iv[14] = (uint8_t)(ctr >> 8), iv[15] = (uint8_t)ctr;
			} else {
				iv[0] = (uint8_t)ctr, iv[1] = (uint8_t)(ctr >> 8);
				iv[2] = (uint8_t)(ctr >> 16), iv[3] = (uint8_t)(ctr >> 24);
				memcpy(iv + 4, dr->st_nonce, 12);
			}
			if (!t->ks_ctx)
				t->ks_ctx = EVP_CIPHER_CTX_new();
			memcpy(pt, out + first, k);
			if (!t->ks_ctx ||
			    EVP_EncryptInit_ex(t->ks_ctx,
					       !gcm ? EVP_chacha20()
					       : t->cs->key_len == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr(),
					       NULL, dr->key, iv) != 1 ||
			    EVP_EncryptUpdate(t->ks_ctx, ct, &n, pt, (int)k) != 1 || (size_t)n != k) {
				OPENSSL_cleanse(pt, sizeof pt);
				return false;   /* cannot tell: say nothing */
			}
			differs = memcmp(bytes, ct + (p - first), take) != 0;
			OPENSSL_cleanse(pt, sizeof pt);
		}
		pos += take;
		bytes += take;
		len -= take;
	}
	return differs;
}
