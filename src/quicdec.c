/* quicdec.c - QUIC packet protection removal (RFC 9001 5, 6; RFC 9369) and CRYPTO stream reassembly. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "quicdec.h"
#include "rd.h"

/*
 * Decisions:
 *   - Initial keys come from the client's first Initial's Destination
 *     Connection ID.  After a Retry the client's next Initial carries the
 *     Retry's Source Connection ID as its DCID: the keys are derived again
 *     from it.  A long header whose version differs from the one a
 *     direction's Initial keys were made for (compatible negotiation to
 *     v2, RFC 9369 4.1) re-derives that direction's Initial keys for the
 *     new version from the same DCID.  A packet that made either change
 *     and then does not authenticate takes it back (a stray datagram on
 *     UDP 443 that looks like an Initial does not poison the connection).
 *     All of it is bounded: REKEY_MAX derivations per connection.
 *   - A short header's DCID length is the length of the Source Connection
 *     ID the peer put in its authenticated long headers (it chose the CID).
 *   - Key phase (RFC 9001 6): each direction keeps the current keys and
 *     the next ones.  A packet whose Key Phase bit differs from the
 *     current phase is tried with the next keys; when it opens, next
 *     becomes current and a new next is derived.  A reordered packet of
 *     the previous phase then fails (AUTH_FAIL, why says so).
 *   - The AEAD tag decides: a packet that does not open changes nothing
 *     (packet numbers, key phase, CID lengths, CRYPTO streams).
 *   - CRYPTO streams: each space and direction has a window of crypto_cap
 *     bytes from the first offset not yet handed up.  Bytes beyond the
 *     window, or a frame that would need a 33rd disjoint range, are
 *     dropped (crypto_dropped).  Whole handshake messages (uint8 type |
 *     uint24 length | body) are handed up in order; one larger than the
 *     window is reported by its header and skipped.  Retransmitted bytes
 *     overwrite (the tag authenticated both copies).
 */

#define REKEY_MAX 16
#define TAG_LEN 16
#define HP_SAMPLE 16

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

const char *quicdec_status_name(enum quicdec_status st)
{
	switch (st) {
	case QUICDEC_OK: return "ok";
	case QUICDEC_NEED_KEY: return "need key";
	case QUICDEC_AUTH_FAIL: return "authentication failed";
	case QUICDEC_UNSUPPORTED: return "unsupported";
	case QUICDEC_MALFORMED: return "malformed";
	case QUICDEC_TRUNCATED: return "truncated";
	}
	return "?";
}

const char *quicdec_aead_name(enum quicdec_aead a)
{
	switch (a) {
	case QUICDEC_AES_128_GCM: return "AES-128-GCM";
	case QUICDEC_AES_256_GCM: return "AES-256-GCM";
	case QUICDEC_CHACHA20_POLY1305: return "ChaCha20-Poly1305";
	case QUICDEC_AEAD_NONE: break;
	}
	return NULL;
}

enum quicdec_aead quicdec_aead_of_suite(uint16_t suite)
{
	switch (suite) {
	case 0x1301: return QUICDEC_AES_128_GCM;
	case 0x1302: return QUICDEC_AES_256_GCM;
	case 0x1303: return QUICDEC_CHACHA20_POLY1305;
	default: return QUICDEC_AEAD_NONE;   /* CCM suites (RFC 9001 5.3) are not decrypted */
	}
}

/* ------------------------------------------------------------------ */
/* HKDF (RFC 5869) and HKDF-Expand-Label (RFC 8446 7.1)                */
/* ------------------------------------------------------------------ */

static int hkdf(int mode, const char *md, const uint8_t *key, size_t key_len, const uint8_t *salt,
		size_t salt_len, const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[6], *q = params;
	int rc = -1;

	EVP_KDF_free(kdf);
	if (!kctx)
		return -1;
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	if (salt)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	if (info)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, out_len, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(kctx);
	return rc;
}

/*
 * HkdfLabel (RFC 8446 7.1), with an empty context:
 *   uint16 length | uint8 label_len | "tls13 " label | uint8 0
 */
static int expand_label(const char *md, const uint8_t *secret, size_t secret_len,
			const char *label, uint8_t *out, size_t out_len)
{
	uint8_t info[2 + 1 + 6 + 32 + 1];
	size_t ll = strlen(label), n = 0;

	if (ll > 32 || out_len > 255)
		return -1;
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0;
	return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, md, secret, secret_len, NULL, 0, info, n, out,
		    out_len);
}

/* ------------------------------------------------------------------ */
/* Versions                                                            */
/* ------------------------------------------------------------------ */

static bool v1_layout(uint32_t v)
{
	return v == QUICDEC_V1 || v == QUICDEC_V2 || (v >= 0xff00001d && v <= 0xff000022);
}

/* RFC 9001 5.2, RFC 9369 3.3.1; drafts 29..32 had their own salt, 33 and 34 v1's. */
static const uint8_t *initial_salt(uint32_t v)
{
	static const uint8_t salt_v1[20] = {
		0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
		0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
	};
	static const uint8_t salt_v2[20] = {
		0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
		0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
	};
	static const uint8_t salt_d29[20] = {
		0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
		0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99,
	};

	if (v == QUICDEC_V1 || v == 0xff000021 || v == 0xff000022)
		return salt_v1;
	if (v == QUICDEC_V2)
		return salt_v2;
	if (v >= 0xff00001d && v <= 0xff000020)
		return salt_d29;
	return NULL;
}

/* The packet protection labels (RFC 9001 5.1, 6.1; RFC 9369 3.3.2). */
struct labels {
	const char *key, *iv, *hp, *ku;
};

static struct labels version_labels(uint32_t v)
{
	if (v == QUICDEC_V2)
		return (struct labels){ "quicv2 key", "quicv2 iv", "quicv2 hp", "quicv2 ku" };
	return (struct labels){ "quic key", "quic iv", "quic hp", "quic ku" };
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

/* What an AEAD (RFC 9001 5.3) takes: key and secret lengths, the HKDF hash,
 * the packet cipher and the header protection cipher (5.4.3, 5.4.4). */
struct aead_info {
	size_t key_len, secret_len;
	const char *md;
	const EVP_CIPHER *(*cipher)(void);
	const EVP_CIPHER *(*hp_cipher)(void);
};

static bool aead_info(enum quicdec_aead a, struct aead_info *ai)
{
	switch (a) {
	case QUICDEC_AES_128_GCM:
		*ai = (struct aead_info){ 16, 32, "SHA256", EVP_aes_128_gcm, EVP_aes_128_ecb };
		return true;
	case QUICDEC_AES_256_GCM:
		*ai = (struct aead_info){ 32, 48, "SHA384", EVP_aes_256_gcm, EVP_aes_256_ecb };
		return true;
	case QUICDEC_CHACHA20_POLY1305:
		*ai = (struct aead_info){ 32, 32, "SHA256", EVP_chacha20_poly1305, EVP_chacha20 };
		return true;
	case QUICDEC_AEAD_NONE: break;
	}
	return false;
}

int quicdec_initial_secrets(uint32_t version, const uint8_t *dcid, size_t dcid_len,
			    uint8_t client[32], uint8_t server[32])
{
	const uint8_t *salt = initial_salt(version);
	uint8_t initial[32];
	int rc;

	if (!salt)
		return 1;
	rc = hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, "SHA256", dcid, dcid_len, salt, 20, NULL, 0,
		  initial, sizeof initial);
	if (rc == 0)
		rc = expand_label("SHA256", initial, sizeof initial, "client in", client, 32);
	if (rc == 0)
		rc = expand_label("SHA256", initial, sizeof initial, "server in", server, 32);
	OPENSSL_cleanse(initial, sizeof initial);
	return rc;
}

/* Key k from secret; hp (when not NULL) instead of deriving the header key. */
static int keys_set(struct quicdec_keys *k, uint32_t version, enum quicdec_aead aead,
		    const uint8_t *secret, size_t secret_len, const uint8_t *hp)
{
	struct aead_info ai;
	struct labels lb = version_labels(version);
	int ok;

	k->ready = false;
	if (!aead_info(aead, &ai) || secret_len != ai.secret_len)
		return -1;
	if (!k->aead_ctx)
		k->aead_ctx = EVP_CIPHER_CTX_new();
	if (!k->hp_ctx)
		k->hp_ctx = EVP_CIPHER_CTX_new();
	if (!k->aead_ctx || !k->hp_ctx)
		return -1;
	k->aead = aead;
	k->version = version;
	k->secret_len = secret_len;
	k->key_len = ai.key_len;
	memmove(k->secret, secret, secret_len);
	if (expand_label(ai.md, k->secret, secret_len, lb.key, k->key, ai.key_len) != 0 ||
	    expand_label(ai.md, k->secret, secret_len, lb.iv, k->iv, sizeof k->iv) != 0)
		return -1;
	if (hp)
		memmove(k->hp, hp, ai.key_len);
	else if (expand_label(ai.md, k->secret, secret_len, lb.hp, k->hp, ai.key_len) != 0)
		return -1;
	ok = EVP_DecryptInit_ex(k->aead_ctx, ai.cipher(), NULL, k->key, NULL) == 1 &&
	     EVP_EncryptInit_ex(k->hp_ctx, ai.hp_cipher(), NULL, k->hp, NULL) == 1;
	if (ok && aead != QUICDEC_CHACHA20_POLY1305)
		ok = EVP_CIPHER_CTX_set_padding(k->hp_ctx, 0) == 1;
	if (!ok)
		return -1;
	k->ready = true;
	return 0;
}

int quicdec_keys_set(struct quicdec_keys *k, uint32_t version, enum quicdec_aead aead,
		     const uint8_t *secret, size_t secret_len)
{
	return keys_set(k, version, aead, secret, secret_len, NULL);
}

int quicdec_keys_next(struct quicdec_keys *next, const struct quicdec_keys *cur)
{
	struct aead_info ai;
	uint8_t secret[QUICDEC_SECRET_MAX];
	int rc;

	if (!cur->ready || !aead_info(cur->aead, &ai))
		return -1;
	rc = expand_label(ai.md, cur->secret, cur->secret_len, version_labels(cur->version).ku,
			  secret, cur->secret_len);
	if (rc == 0)
		rc = keys_set(next, cur->version, cur->aead, secret, cur->secret_len, cur->hp);
	OPENSSL_cleanse(secret, sizeof secret);
	return rc;
}

void quicdec_keys_free(struct quicdec_keys *k)
{
	EVP_CIPHER_CTX_free(k->aead_ctx);
	EVP_CIPHER_CTX_free(k->hp_ctx);
	OPENSSL_cleanse(k, sizeof *k);
}

/* ------------------------------------------------------------------ */
/* Headers (RFC 9000 17)                                               */
/* ------------------------------------------------------------------ */

/* length byte | bytes; the first QUIC_CID_MAX kept; *wire the length byte. */
static bool hdr_cid(struct rd *r, uint8_t *len_out, uint8_t *buf, uint8_t *wire)
{
	struct rd cid;

	if (!rd_u8(r, wire) || !rd_sub(r, *wire, &cid))
		return false;
	*len_out = *wire < QUIC_CID_MAX ? *wire : QUIC_CID_MAX;
	(void)rd_copy(&cid, buf, *len_out);
	return true;
}

static enum quic_type long_type(uint32_t version, uint8_t b0)
{
	static const enum quic_type v1[4] = { QUIC_INITIAL, QUIC_0RTT, QUIC_HANDSHAKE, QUIC_RETRY };
	static const enum quic_type v2[4] = { QUIC_RETRY, QUIC_INITIAL, QUIC_0RTT, QUIC_HANDSHAKE };
	unsigned bits = (b0 >> 4) & 3;

	return version == QUICDEC_V2 ? v2[bits] : v1[bits];
}

enum quicdec_status quicdec_header(const uint8_t *p, size_t len, size_t short_dcid_len,
				   struct quicdec_hdr *h)
{
	struct rd r = rd_make(p, len);
	uint8_t b0, dw, sw;
	uint64_t v;

	memset(h, 0, sizeof *h);
	h->pkt_len = len;
	if (!rd_u8(&r, &b0))
		return QUICDEC_TRUNCATED;
	if (!(b0 & 0x80)) {
		/* Short header (RFC 9000 17.3.1): flags | DCID | pn | payload. */
		h->type = QUIC_SHORT;
		if (!(b0 & 0x40))
			return QUICDEC_MALFORMED;
		if (short_dcid_len > QUIC_CID_MAX)
			return QUICDEC_MALFORMED;
		h->dcid_len = (uint8_t)short_dcid_len;
		if (!rd_copy(&r, h->dcid, short_dcid_len))
			return QUICDEC_TRUNCATED;
		h->pn_offset = r.off;
		if (!rd_has(&r, 4 + HP_SAMPLE))
			return QUICDEC_TRUNCATED;
		return QUICDEC_OK;
	}
	if (!rd_be32(&r, &h->version))
		return QUICDEC_TRUNCATED;
	if (!hdr_cid(&r, &h->dcid_len, h->dcid, &dw) || !hdr_cid(&r, &h->scid_len, h->scid, &sw))
		return QUICDEC_TRUNCATED;
	if (h->version == 0) {
		/* Version Negotiation (RFC 9000 17.2.1): 32-bit versions to the end. */
		h->type = QUIC_VERSION_NEG;
		if (rd_left(&r) == 0 || rd_left(&r) % 4 != 0)
			return QUICDEC_TRUNCATED;
		while (rd_left(&r) >= 4) {
			uint32_t ver;

			(void)rd_be32(&r, &ver);
			if (h->n_versions < QUICDEC_MAX_VERSIONS)
				h->versions[h->n_versions++] = ver;
			else if (h->n_versions_more < UINT8_MAX)
				h->n_versions_more++;
		}
		return QUICDEC_OK;
	}
	h->type = long_type(h->version, b0);
	if (!v1_layout(h->version))
		return QUICDEC_UNSUPPORTED;
	if (!(b0 & 0x40))
		return QUICDEC_MALFORMED;
	if (dw > QUIC_CID_MAX || sw > QUIC_CID_MAX)
		return QUICDEC_MALFORMED;
	if (h->type == QUIC_RETRY) {
		/* RFC 9000 17.2.5: token | integrity tag(128), to the datagram end. */
		if (rd_left(&r) < TAG_LEN)
			return QUICDEC_TRUNCATED;
		h->token = rd_ptr(&r);
		h->token_len = rd_left(&r) - TAG_LEN;
		return QUICDEC_OK;
	}
	if (h->type == QUIC_INITIAL) {
		if (!quic_varint_read(&r, &v))
			return QUICDEC_TRUNCATED;
		if (rd_left(&r) < v)
			return QUICDEC_TRUNCATED;
		h->token = rd_ptr(&r);
		h->token_len = (size_t)v;
		(void)rd_skip(&r, (size_t)v);
	}
	if (!quic_varint_read(&r, &v))
		return QUICDEC_TRUNCATED;
	/* RFC 9001 5.4.2: 4 packet number bytes are assumed and 16 sampled. */
	if (v < 4 + HP_SAMPLE)
		return QUICDEC_MALFORMED;
	if (rd_left(&r) < v)
		return QUICDEC_TRUNCATED;
	h->pn_offset = r.off;
	h->pkt_len = r.off + (size_t)v;
	return QUICDEC_OK;
}

/* ------------------------------------------------------------------ */
/* Header protection (RFC 9001 5.4) and the AEAD (RFC 9001 5.3)        */
/* ------------------------------------------------------------------ */

static bool hp_mask(struct quicdec_keys *k, const uint8_t *sample, uint8_t mask[5])
{
	uint8_t out[2 * HP_SAMPLE];
	int outl = 0;

	if (k->aead == QUICDEC_CHACHA20_POLY1305) {
		/* RFC 9001 5.4.4: counter = sample[0..4] little-endian, nonce =
		 * sample[4..16]; OpenSSL's ChaCha20 IV is exactly that layout. */
		static const uint8_t zeros[5];

		if (EVP_EncryptInit_ex(k->hp_ctx, NULL, NULL, NULL, sample) != 1 ||
		    EVP_EncryptUpdate(k->hp_ctx, out, &outl, zeros, 5) != 1 || outl != 5)
			return false;
	} else {
		if (EVP_EncryptUpdate(k->hp_ctx, out, &outl, sample, HP_SAMPLE) != 1 ||
		    outl != HP_SAMPLE)
			return false;
	}
	memcpy(mask, out, 5);
	return true;
}

uint64_t quicdec_pn_decode(bool have_largest, uint64_t largest, uint64_t truncated,
			   unsigned pn_len)
{
	uint64_t expected = have_largest ? largest + 1 : 0;
	uint64_t win = UINT64_C(1) << (pn_len * 8);
	uint64_t hwin = win / 2, mask = win - 1;
	uint64_t cand = (expected & ~mask) | truncated;

	if (cand + hwin <= expected && cand < (UINT64_C(1) << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

/* Unmask the first byte and the packet number. */
static enum quicdec_status hp_remove(struct quicdec_keys *k, const uint8_t *p,
				     const struct quicdec_hdr *h, uint8_t *first, uint8_t pnb[4],
				     unsigned *pn_len, uint64_t *tpn)
{
	uint8_t mask[5];

	if (!k->ready)
		return QUICDEC_NEED_KEY;
	if (h->pkt_len < h->pn_offset + 4 + HP_SAMPLE)
		return QUICDEC_TRUNCATED;
	if (!hp_mask(k, p + h->pn_offset + 4, mask))
		return QUICDEC_UNSUPPORTED;
	*first = (uint8_t)(p[0] ^ (mask[0] & (h->type == QUIC_SHORT ? 0x1f : 0x0f)));
	*pn_len = (unsigned)(*first & 3) + 1;
	*tpn = 0;
	for (unsigned i = 0; i < *pn_len; i++) {
		pnb[i] = (uint8_t)(p[h->pn_offset + i] ^ mask[1 + i]);
		*tpn = *tpn << 8 | pnb[i];
	}
	return QUICDEC_OK;
}

/* Decrypt with k: AAD = unmasked first byte | header bytes | unmasked pn. */
static enum quicdec_status aead_open(struct quicdec_keys *k, const uint8_t *p,
				     const struct quicdec_hdr *h, uint8_t first,
				     const uint8_t *pnb, unsigned pn_len, uint64_t pn, uint8_t *out,
				     size_t out_cap, size_t *out_len)
{
	size_t ct_off = h->pn_offset + pn_len, ct_len;
	uint8_t nonce[12];
	int outl = 0, fin = 0;
	bool ok;

	if (!k->ready)
		return QUICDEC_NEED_KEY;
	/* pkt_len >= pn_offset + 20 (hp_remove checked): at least the tag is there. */
	ct_len = h->pkt_len - ct_off - TAG_LEN;
	if (out_cap < ct_len || ct_len > INT32_MAX)
		return QUICDEC_UNSUPPORTED;
	memcpy(nonce, k->iv, sizeof nonce);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	ok = EVP_DecryptInit_ex(k->aead_ctx, NULL, NULL, NULL, nonce) == 1 &&
	     EVP_DecryptUpdate(k->aead_ctx, NULL, &outl, &first, 1) == 1 &&
	     (h->pn_offset <= 1 ||
	      EVP_DecryptUpdate(k->aead_ctx, NULL, &outl, p + 1, (int)(h->pn_offset - 1)) == 1) &&
	     EVP_DecryptUpdate(k->aead_ctx, NULL, &outl, pnb, (int)pn_len) == 1;
	outl = 0;
	ok = ok && (ct_len == 0 ||
		    EVP_DecryptUpdate(k->aead_ctx, out, &outl, p + ct_off, (int)ct_len) == 1);
	ok = ok && EVP_CIPHER_CTX_ctrl(k->aead_ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
				       (void *)(p + ct_off + ct_len)) == 1;
	ok = ok && EVP_DecryptFinal_ex(k->aead_ctx, out + outl, &fin) == 1;
	OPENSSL_cleanse(nonce, sizeof nonce);
	if (!ok)
		return QUICDEC_AUTH_FAIL;
	*out_len = (size_t)outl + (size_t)fin;
	return QUICDEC_OK;
}

static void pkt_fill(struct quicdec_pkt *res, const struct quicdec_hdr *h, uint8_t first,
		     unsigned pn_len, uint64_t pn, const uint8_t *out, size_t out_len)
{
	res->first = first;
	res->pn_len = (uint8_t)pn_len;
	res->pn = pn;
	res->key_phase = h->type == QUIC_SHORT && (first & 0x04);
	res->reserved_set = (first & (h->type == QUIC_SHORT ? 0x18 : 0x0c)) != 0;
	res->payload = out;
	res->payload_len = out_len;
}

enum quicdec_status quicdec_open(struct quicdec_keys *k, const uint8_t *p,
				 const struct quicdec_hdr *h, bool have_largest, uint64_t largest,
				 uint8_t *out, size_t out_cap, struct quicdec_pkt *res)
{
	uint8_t first, pnb[4];
	unsigned pn_len;
	uint64_t tpn, pn;
	size_t out_len = 0;
	enum quicdec_status st;

	memset(res, 0, sizeof *res);
	st = hp_remove(k, p, h, &first, pnb, &pn_len, &tpn);
	if (st != QUICDEC_OK)
		return st;
	pn = quicdec_pn_decode(have_largest, largest, tpn, pn_len);
	st = aead_open(k, p, h, first, pnb, pn_len, pn, out, out_cap, &out_len);
	if (st != QUICDEC_OK)
		return st;
	pkt_fill(res, h, first, pn_len, pn, out, out_len);
	return QUICDEC_OK;
}

/* ------------------------------------------------------------------ */
/* Retry integrity (RFC 9001 5.8, RFC 9369 3.3.3)                      */
/* ------------------------------------------------------------------ */

int quicdec_retry_check(const uint8_t *p, size_t len, const uint8_t *odcid, size_t odcid_len)
{
	static const uint8_t key_v1[16] = { 0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a,
					    0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e };
	static const uint8_t nonce_v1[12] = { 0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63,
					      0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb };
	static const uint8_t key_v2[16] = { 0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2,
					    0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92 };
	static const uint8_t nonce_v2[12] = { 0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c,
					      0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a };
	struct quicdec_hdr h;
	const uint8_t *key, *nonce;
	uint8_t odl = (uint8_t)odcid_len;
	EVP_CIPHER_CTX *ctx;
	int outl = 0, rc = -1;

	if (quicdec_header(p, len, 0, &h) != QUICDEC_OK || h.type != QUIC_RETRY ||
	    odcid_len > QUIC_CID_MAX || len - TAG_LEN > INT32_MAX)
		return -1;
	if (h.version == QUICDEC_V1 || h.version == 0xff000021 || h.version == 0xff000022) {
		key = key_v1;
		nonce = nonce_v1;
	} else if (h.version == QUICDEC_V2) {
		key = key_v2;
		nonce = nonce_v2;
	} else {
		return -1;
	}
	/* Retry is once per connection at most: a context of its own. */
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -1;
	/* Pseudo-packet: ODCID Length | ODCID | the Retry without its tag. */
	if (EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, nonce) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &outl, &odl, 1) == 1 &&
	    (odcid_len == 0 || EVP_DecryptUpdate(ctx, NULL, &outl, odcid, (int)odcid_len) == 1) &&
	    EVP_DecryptUpdate(ctx, NULL, &outl, p, (int)(len - TAG_LEN)) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
				(void *)(p + len - TAG_LEN)) == 1) {
		uint8_t none[16];

		rc = EVP_DecryptFinal_ex(ctx, none, &outl) == 1 ? 1 : 0;
	}
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Transport parameters (RFC 9000 18.2)                                */
/* ------------------------------------------------------------------ */

struct tp_name {
	uint64_t id;
	const char *name;
	bool is_int;
};

static const struct tp_name tp_names[] = {
	{ 0x00, "original_destination_connection_id", false },
	{ 0x01, "max_idle_timeout", true },
	{ 0x02, "stateless_reset_token", false },
	{ 0x03, "max_udp_payload_size", true },
	{ 0x04, "initial_max_data", true },
	{ 0x05, "initial_max_stream_data_bidi_local", true },
	{ 0x06, "initial_max_stream_data_bidi_remote", true },
	{ 0x07, "initial_max_stream_data_uni", true },
	{ 0x08, "initial_max_streams_bidi", true },
	{ 0x09, "initial_max_streams_uni", true },
	{ 0x0a, "ack_delay_exponent", true },
	{ 0x0b, "max_ack_delay", true },
	{ 0x0c, "disable_active_migration", false },
	{ 0x0d, "preferred_address", false },
	{ 0x0e, "active_connection_id_limit", true },
	{ 0x0f, "initial_source_connection_id", false },
	{ 0x10, "retry_source_connection_id", false },
	{ 0x11, "version_information", false },        /* RFC 9368 */
	{ 0x20, "max_datagram_frame_size", true },     /* RFC 9221 */
	{ 0x2ab2, "grease_quic_bit", false },          /* RFC 9287 */
	{ 0xff73db, "version_information_draft", false },
	{ 0xff04de1b, "min_ack_delay", true },         /* draft-ietf-quic-ack-frequency */
};

static const struct tp_name *tp_find(uint64_t id)
{
	for (size_t i = 0; i < sizeof tp_names / sizeof tp_names[0]; i++)
		if (tp_names[i].id == id)
			return &tp_names[i];
	return NULL;
}

const char *quicdec_tp_name(uint64_t id)
{
	const struct tp_name *t = tp_find(id);

	return t ? t->name : NULL;
}

/* { id(varint) | length(varint) | value[length] } ... to the end. */
enum ft_status quicdec_tp_decode(const uint8_t *p, size_t len, struct quicdec_tp *tp)
{
	struct rd r = rd_make(p, len);

	memset(tp, 0, sizeof *tp);
	/* Each turn reads at least 2 bytes or returns: the loop ends. */
	while (rd_left(&r) > 0) {
		struct quicdec_tp_param scratch, *q;
		uint64_t id, plen;
		struct rd val;
		const struct tp_name *t;

		if (!quic_varint_read(&r, &id) || !quic_varint_read(&r, &plen)) {
			tp->status = FT_TRUNCATED;
			tp->why = "transport parameter header cut";
			return tp->status;
		}
		if (plen > rd_left(&r)) {
			tp->status = FT_TRUNCATED;
			tp->why = "transport parameter value past the extension end";
			return tp->status;
		}
		(void)rd_sub(&r, (size_t)plen, &val);
		q = tp->n < QUICDEC_MAX_TP ? &tp->p[tp->n] : &scratch;
		memset(q, 0, sizeof *q);
		q->id = id;
		q->len = plen > UINT16_MAX ? UINT16_MAX : (uint16_t)plen;
		t = tp_find(id);
		if (t && t->is_int) {
			size_t used;

			if (quic_varint(rd_ptr(&val), rd_left(&val), &q->value, &used) != FT_OK ||
			    used != rd_left(&val)) {
				tp->status = FT_MALFORMED;
				tp->why = "integer transport parameter is not one varint";
				return tp->status;
			}
			q->is_int = true;
		} else {
			q->n_bytes = (uint8_t)(rd_left(&val) < QUICDEC_TP_BYTES ? rd_left(&val)
										: QUICDEC_TP_BYTES);
			(void)rd_copy(&val, q->bytes, q->n_bytes);
		}
		if (q == &scratch) {
			if (tp->n_dropped < UINT8_MAX)
				tp->n_dropped++;
		} else {
			tp->n++;
		}
	}
	tp->status = FT_OK;
	return FT_OK;
}

/* ------------------------------------------------------------------ */
/* CRYPTO streams                                                      */
/* ------------------------------------------------------------------ */

struct cstream {
	uint8_t *buf;               /* window: stream offsets [base, base + cap) */
	size_t cap;
	uint64_t base;              /* stream offset of buf[0] */
	uint64_t done;              /* messages handed up end here (>= base) */
	uint8_t n_r;                /* received ranges, sorted, disjoint, not touching */
	uint64_t r_start[QUICDEC_CRYPTO_RANGES];
	uint64_t r_end[QUICDEC_CRYPTO_RANGES];
};

struct quicdec_conn {
	uint32_t version;                         /* of the client's first Initial */
	bool have_dcid;
	uint8_t dcid_len;                         /* the DCID the Initial keys come from */
	uint8_t dcid[QUIC_CID_MAX];
	bool retry_seen;                          /* the client's next Initial re-keys */
	unsigned n_rekeys;
	bool scid_known[2];                       /* a long header of that direction seen */
	uint8_t scid_len[2];
	uint16_t suite;                           /* the ServerHello's cipher suite */
	bool have_random;
	uint8_t client_random[32];
	struct quicdec_keys keys[QUICDEC_N_SPACES][2];
	struct quicdec_keys next[2];              /* 1-RTT: the next key phase's keys */
	bool phase[2];                            /* 1-RTT: the current Key Phase bit */
	bool have_largest[QUICDEC_N_SPACES][2];
	uint64_t largest[QUICDEC_N_SPACES][2];
	struct cstream cs[QUICDEC_N_SPACES][2];
	uint8_t *mem;                             /* every CRYPTO buffer */
};

/* Move what was handed up out of the window. */
static void cs_compact(struct cstream *s)
{
	uint64_t hi = s->n_r ? s->r_end[s->n_r - 1] : s->base;
	uint8_t n = 0;

	if (s->done == s->base)
		return;
	if (hi > s->done)
		memmove(s->buf, s->buf + (size_t)(s->done - s->base), (size_t)(hi - s->done));
	for (uint8_t i = 0; i < s->n_r; i++) {
		if (s->r_end[i] <= s->done)
			continue;
		s->r_start[n] = s->r_start[i] > s->done ? s->r_start[i] : s->done;
		s->r_end[n] = s->r_end[i];
		n++;
	}
	s->n_r = n;
	s->base = s->done;
}

/* Record [a, b) as received; false when it would need one range too many. */
static bool cs_add_range(struct cstream *s, uint64_t a, uint64_t b)
{
	uint8_t i = 0, j;

	while (i < s->n_r && s->r_end[i] < a)
		i++;
	/* ranges i.. that touch [a, b) merge into it */
	j = i;
	while (j < s->n_r && s->r_start[j] <= b) {
		if (s->r_start[j] < a)
			a = s->r_start[j];
		if (s->r_end[j] > b)
			b = s->r_end[j];
		j++;
	}
	if (j == i) {
		if (s->n_r >= QUICDEC_CRYPTO_RANGES)
			return false;
		memmove(&s->r_start[i + 1], &s->r_start[i], (size_t)(s->n_r - i) * sizeof s->r_start[0]);
		memmove(&s->r_end[i + 1], &s->r_end[i], (size_t)(s->n_r - i) * sizeof s->r_end[0]);
		s->n_r++;
	} else if (j > i + 1) {
		memmove(&s->r_start[i + 1], &s->r_start[j], (size_t)(s->n_r - j) * sizeof s->r_start[0]);
		memmove(&s->r_end[i + 1], &s->r_end[j], (size_t)(s->n_r - j) * sizeof s->r_end[0]);
		s->n_r = (uint8_t)(s->n_r - (j - i - 1));
	}
	s->r_start[i] = a;
	s->r_end[i] = b;
	return true;
}

/* CRYPTO frame data at stream offset off; false when some was dropped. */
static bool cs_push(struct cstream *s, uint64_t off, const uint8_t *data, uint64_t len)
{
	uint64_t a = off, b = off + len, lim;
	bool whole = true;

	cs_compact(s);
	lim = s->base + s->cap;
	if (a < s->base)
		a = s->base;
	if (b > lim) {
		b = lim;
		whole = false;
	}
	if (a >= b)
		return whole;
	if (!cs_add_range(s, a, b))
		return false;
	memcpy(s->buf + (size_t)(a - s->base), data + (size_t)(a - off), (size_t)(b - a));
	return whole;
}

static uint64_t cs_contig(const struct cstream *s)
{
	return s->n_r && s->r_start[0] <= s->done && s->r_end[0] > s->done ? s->r_end[0] : s->done;
}

/* ------------------------------------------------------------------ */
/* Handshake messages                                                  */
/* ------------------------------------------------------------------ */

enum { EXT_ALPN = 16, EXT_QUIC_TP = 0x39, EXT_QUIC_TP_DRAFT = 0xffa5 };

/* Find extension `want` in an extension block (uint16 type | uint16 len | data ...). */
static bool ext_find(struct rd exts, uint16_t want, struct rd *out)
{
	/* Each turn takes at least 4 bytes or returns: the loop ends. */
	while (rd_left(&exts) > 0) {
		uint16_t type, len;
		struct rd ext;

		if (!rd_be16(&exts, &type) || !rd_be16(&exts, &len) || !rd_sub(&exts, len, &ext))
			return false;
		if (type == want) {
			*out = ext;
			return true;
		}
	}
	return false;
}

/* The extension block of a hello tls.c already decoded (so its layout is sound). */
static bool hello_exts(const uint8_t *body, size_t len, bool client, struct rd *exts)
{
	struct rd m = rd_make(body, len);
	uint8_t n8;
	uint16_t n16;

	if (!rd_skip(&m, 2 + 32) || !rd_u8(&m, &n8) || !rd_skip(&m, n8))
		return false;
	if (client) {
		if (!rd_be16(&m, &n16) || !rd_skip(&m, n16) || !rd_u8(&m, &n8) || !rd_skip(&m, n8))
			return false;
	} else if (!rd_skip(&m, 3)) {
		return false;
	}
	if (!rd_be16(&m, &n16))
		return false;
	return rd_sub(&m, n16, exts);
}

static void take_tp(struct quicdec_result *res, struct rd exts, int dir)
{
	struct rd ext;

	if (ext_find(exts, EXT_QUIC_TP, &ext) || ext_find(exts, EXT_QUIC_TP_DRAFT, &ext)) {
		(void)quicdec_tp_decode(rd_ptr(&ext), rd_left(&ext), &res->tp);
		res->has_tp = true;
		res->tp_dir = (uint8_t)dir;
	}
}

/* EncryptedExtensions (RFC 8446 4.3.1): uint16 len | extensions. */
static const char *decode_ee(const uint8_t *body, size_t len, int dir, struct quicdec_result *res)
{
	struct rd m = rd_make(body, len), exts, ext, list;
	uint16_t n16;
	uint8_t plen;

	if (!rd_be16(&m, &n16) || !rd_sub(&m, n16, &exts) || rd_left(&m) != 0)
		return "EncryptedExtensions length mismatch";
	res->has_ee = true;
	if (ext_find(exts, EXT_ALPN, &ext)) {
		if (!rd_be16(&ext, &n16) || !rd_sub(&ext, n16, &list) || !rd_u8(&list, &plen) ||
		    plen == 0 || !rd_has(&list, plen))
			return "EncryptedExtensions ALPN bad";
		res->ee_has_alpn = true;
		res->ee_alpn_len = plen < TLS_ALPN_MAX ? plen : TLS_ALPN_MAX;
		(void)rd_copy(&list, res->ee_alpn, res->ee_alpn_len);
	}
	take_tp(res, exts, dir);
	return NULL;
}

/* An entry for the message of type m[0], len bytes of body, at offset of
 * space sp and direction dir (scratch when res->hs is full). */
static struct quicdec_hs *hs_add(struct quicdec_result *res, struct quicdec_hs *scratch, int sp,
				 int dir, const uint8_t *m, uint32_t len, uint64_t offset)
{
	struct quicdec_hs *e;

	if (res->n_hs < QUICDEC_MAX_HS) {
		e = &res->hs[res->n_hs++];
	} else {
		if (res->n_hs_dropped < UINT8_MAX)
			res->n_hs_dropped++;
		e = scratch;
	}
	memset(e, 0, sizeof *e);
	e->status = FT_OK;
	e->space = (uint8_t)sp;
	e->dir = (uint8_t)dir;
	e->type = m[0];
	e->len = len;
	e->offset = offset;
	return e;
}

static void hs_message(struct quicdec_conn *c, int dir, const uint8_t *msg, uint32_t len,
		       struct quicdec_hs *e, struct quicdec_result *res)
{
	const uint8_t *body = msg + 4;
	const char *why = NULL;
	struct rd exts;

	e->msg = msg;
	if (e->type == TLS_HS_CLIENT_HELLO && !res->has_ch) {
		why = tls_client_hello_decode(body, len, &res->ch);
		if (!why) {
			res->has_ch = true;
			memcpy(res->client_random, body + 2, 32);   /* decoded: len >= 34 */
			memcpy(c->client_random, body + 2, 32);
			c->have_random = true;
			if (hello_exts(body, len, true, &exts))
				take_tp(res, exts, dir);
		}
	} else if (e->type == TLS_HS_SERVER_HELLO && !res->has_sh) {
		why = tls_server_hello_decode(body, len, &res->sh);
		if (!why) {
			res->has_sh = true;
			if (!res->sh.hello_retry)
				c->suite = res->sh.cipher;
		}
	} else if (e->type == TLS_HS_ENCRYPTED_EXTENSIONS && !res->has_ee) {
		why = decode_ee(body, len, dir, res);
	}
	if (why) {
		e->status = FT_MALFORMED;
		e->why = why;
	}
}

/* Hand up every whole message of a CRYPTO stream. */
static void cs_walk(struct quicdec_conn *c, int sp, int dir, struct quicdec_result *res)
{
	struct cstream *s = &c->cs[sp][dir];

	/* Each turn moves done forward by at least 4 bytes or leaves. */
	for (;;) {
		uint64_t contig = cs_contig(s);
		const uint8_t *m;
		uint32_t len;
		struct quicdec_hs scratch, *e;

		if (contig - s->done < 4)
			return;
		m = s->buf + (size_t)(s->done - s->base);
		len = (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
		if ((uint64_t)len + 4 > s->cap) {
			e = hs_add(res, &scratch, sp, dir, m, len, s->done);
			e->status = FT_UNSUPPORTED;
			e->why = "handshake message larger than the CRYPTO buffer, not decoded";
			s->done += (uint64_t)len + 4;
			cs_compact(s);
			return;
		}
		if (contig - s->done < (uint64_t)len + 4)
			return;
		e = hs_add(res, &scratch, sp, dir, m, len, s->done);
		hs_message(c, dir, m, len, e, res);
		if (e == &scratch)
			e->msg = NULL;
		s->done += (uint64_t)len + 4;
	}
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

struct quicdec_conn *quicdec_new(size_t crypto_cap)
{
	struct quicdec_conn *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	if (crypto_cap == 0)
		crypto_cap = QUICDEC_CRYPTO_CAP;
	if (crypto_cap < 64)
		crypto_cap = 64;
	c->mem = calloc(QUICDEC_N_SPACES * 2, crypto_cap);
	if (!c->mem) {
		free(c);
		return NULL;
	}
	for (int sp = 0; sp < QUICDEC_N_SPACES; sp++)
		for (int d = 0; d < 2; d++) {
			c->cs[sp][d].buf = c->mem + (size_t)(sp * 2 + d) * crypto_cap;
			c->cs[sp][d].cap = crypto_cap;
		}
	return c;
}

void quicdec_free(struct quicdec_conn *c)
{
	if (!c)
		return;
	for (int sp = 0; sp < QUICDEC_N_SPACES; sp++)
		for (int d = 0; d < 2; d++)
			quicdec_keys_free(&c->keys[sp][d]);
	for (int d = 0; d < 2; d++)
		quicdec_keys_free(&c->next[d]);
	free(c->mem);
	OPENSSL_cleanse(c, sizeof *c);
	free(c);
}

void quicdec_set_suite(struct quicdec_conn *c, uint16_t suite) { c->suite = suite; }

uint16_t quicdec_suite(const struct quicdec_conn *c) { return c->suite; }

uint32_t quicdec_version(const struct quicdec_conn *c) { return c->version; }

bool quicdec_client_random(const struct quicdec_conn *c, uint8_t out[32])
{
	if (!c->have_random)
		return false;
	memcpy(out, c->client_random, 32);
	return true;
}

void quicdec_crypto_state(const struct quicdec_conn *c, enum quicdec_space sp, int dir,
			  uint64_t *done, uint64_t *contig, uint64_t *highest)
{
	const struct cstream *s = &c->cs[sp][dir ? 1 : 0];

	*done = s->done;
	*contig = cs_contig(s);
	*highest = s->n_r ? s->r_end[s->n_r - 1] : s->done;
	if (*highest < *contig)
		*highest = *contig;
}

int quicdec_set_secret(struct quicdec_conn *c, enum quicdec_space sp, int dir,
		       const uint8_t *secret, size_t len)
{
	enum quicdec_aead a = quicdec_aead_of_suite(c->suite);
	int d = dir ? 1 : 0;
	uint32_t v = c->version ? c->version : QUICDEC_V1;

	if (sp == QUICDEC_SP_INITIAL || sp >= QUICDEC_N_SPACES)
		return -1;
	if (a == QUICDEC_AEAD_NONE)
		return 1;
	if (quicdec_keys_set(&c->keys[sp][d], v, a, secret, len) != 0)
		return -1;
	if (sp == QUICDEC_SP_APP) {
		c->phase[d] = false;
		if (quicdec_keys_next(&c->next[d], &c->keys[sp][d]) != 0)
			return -1;
	}
	return 0;
}

/* Initial keys of direction d (or both, d < 0) for version v from dcid. */
static int initial_keys(struct quicdec_conn *c, int d, uint32_t v, const uint8_t *dcid,
			size_t dcid_len)
{
	uint8_t sec[2][32];
	int rc = quicdec_initial_secrets(v, dcid, dcid_len, sec[0], sec[1]);

	for (int i = 0; i < 2 && rc == 0; i++)
		if (d < 0 || d == i)
			rc = quicdec_keys_set(&c->keys[QUICDEC_SP_INITIAL][i], v, QUICDEC_AES_128_GCM,
					      sec[i], 32);
	OPENSSL_cleanse(sec, sizeof sec);
	c->n_rekeys++;
	return rc;
}

/* What initial_for changed, to take back when the packet does not authenticate. */
struct rekey_undo {
	bool took_dcid;            /* this packet's DCID became the connection's */
	bool after_retry;          /* ... in place of this one, after a Retry */
	uint8_t old_dcid_len;
	uint8_t old_dcid[QUIC_CID_MAX];
	bool switched;             /* direction d's keys moved to another version */
	uint32_t old_version;      /* ... from this one */
	uint32_t old_conn_version;
};

/* Make sure the Initial keys of direction d fit this packet. */
static enum quicdec_status initial_for(struct quicdec_conn *c, int d, const struct quicdec_hdr *h,
				       const char **why, struct rekey_undo *u)
{
	bool fresh = d == 0 && (!c->have_dcid || (c->retry_seen &&
						   (h->dcid_len != c->dcid_len ||
						    memcmp(h->dcid, c->dcid, c->dcid_len) != 0)));

	memset(u, 0, sizeof *u);
	u->old_conn_version = c->version;
	if (fresh) {
		if (c->n_rekeys >= REKEY_MAX) {
			*why = "Initial keys derived too often";
			return QUICDEC_UNSUPPORTED;
		}
		u->took_dcid = !c->have_dcid;
		if (c->have_dcid) {
			u->after_retry = true;
			u->old_version = c->keys[QUICDEC_SP_INITIAL][0].version;
			u->old_dcid_len = c->dcid_len;
			memcpy(u->old_dcid, c->dcid, c->dcid_len);
		}
		if (initial_keys(c, -1, h->version, h->dcid, h->dcid_len) != 0) {
			*why = "Initial keys not derived";
			return QUICDEC_UNSUPPORTED;
		}
		c->have_dcid = true;
		c->dcid_len = h->dcid_len;
		memcpy(c->dcid, h->dcid, h->dcid_len);
		c->retry_seen = false;
		if (!c->version)
			c->version = h->version;
		return QUICDEC_OK;
	}
	if (!c->have_dcid) {
		*why = "the client's first Initial was not seen: no Initial keys";
		return QUICDEC_NEED_KEY;
	}
	if (c->keys[QUICDEC_SP_INITIAL][d].version != h->version) {
		/* Compatible version negotiation (RFC 9368, RFC 9369 4.1). */
		if (c->n_rekeys >= REKEY_MAX) {
			*why = "Initial keys derived too often";
			return QUICDEC_UNSUPPORTED;
		}
		u->switched = true;
		u->old_version = c->keys[QUICDEC_SP_INITIAL][d].version;
		if (initial_keys(c, d, h->version, c->dcid, c->dcid_len) != 0) {
			*why = "Initial keys not derived";
			return QUICDEC_UNSUPPORTED;
		}
		if (d == 1)
			c->version = h->version;
	}
	return QUICDEC_OK;
}

/*
 * The packet that made initial_for change the keys did not open: it was
 * not this connection's (or not QUIC).  Forget its DCID (the next client
 * Initial derives again), or go back to the version that worked.  The
 * changes count against REKEY_MAX, so a stream of such packets costs at
 * most 2 * REKEY_MAX derivations.
 */
static void initial_undo(struct quicdec_conn *c, int d, const struct rekey_undo *u)
{
	if (u->took_dcid) {
		c->have_dcid = false;
		c->version = u->old_conn_version;
	} else if (u->after_retry) {
		/* Paired with a counted derivation, as below. */
		c->dcid_len = u->old_dcid_len;
		memcpy(c->dcid, u->old_dcid, u->old_dcid_len);
		c->retry_seen = true;
		(void)initial_keys(c, -1, u->old_version, c->dcid, c->dcid_len);
	} else if (u->switched) {
		/* Paired with a switch that was counted: at most REKEY_MAX of these. */
		(void)initial_keys(c, d, u->old_version, c->dcid, c->dcid_len);
		c->version = u->old_conn_version;
	}
}

static bool frame_ok_in_long(uint64_t type)
{
	/* RFC 9000 12.4, table 3: Initial and Handshake carry these only. */
	return type == QF_PADDING || type == QF_PING || type == QF_ACK || type == QF_ACK_ECN ||
	       type == QF_CRYPTO || type == QF_CONNECTION_CLOSE;
}

enum quicdec_status quicdec_packet(struct quicdec_conn *c, int dir, const uint8_t *p, size_t len,
				   uint8_t *plain, size_t plain_cap, struct quicdec_result *res)
{
	int d = dir ? 1 : 0;
	struct quicdec_keys *k;
	uint8_t first, pnb[4];
	unsigned pn_len;
	uint64_t tpn, pn;
	size_t out_len = 0;
	enum quicdec_status st;
	int sp;
	bool use_next = false;
	struct rekey_undo undo;

	memset(res, 0, sizeof *res);
	memset(&undo, 0, sizeof undo);
	res->retry_tag = -1;
	st = quicdec_header(p, len, c->scid_known[!d] ? c->scid_len[!d] : 0, &res->hdr);
	if (st == QUICDEC_OK && res->hdr.type == QUIC_SHORT && !c->scid_known[!d]) {
		res->hdr.pkt_len = len;
		res->status = QUICDEC_NEED_KEY;
		res->why = "short header before any long header of the peer: DCID length unknown";
		return res->status;
	}
	if (st != QUICDEC_OK) {
		res->hdr.pkt_len = len;
		res->status = st;
		res->why = st == QUICDEC_UNSUPPORTED ? "QUIC version not decrypted"
			   : st == QUICDEC_TRUNCATED ? "packet cut"
						       : "header malformed";
		return st;
	}
	switch (res->hdr.type) {
	case QUIC_VERSION_NEG:
		res->why = "Version Negotiation: the server does not speak the client's version";
		return res->status = QUICDEC_OK;
	case QUIC_RETRY:
		if (d == 1 && c->have_dcid) {
			res->retry_tag = quicdec_retry_check(p, len, c->dcid, c->dcid_len);
			if (res->retry_tag == 1)
				c->retry_seen = true;
		}
		res->why = "Retry: the server asks the client to prove its address with a token";
		return res->status = QUICDEC_OK;
	case QUIC_0RTT:
		res->space = QUICDEC_SP_APP;
		res->why = "0-RTT packets are not decrypted";
		return res->status = QUICDEC_UNSUPPORTED;
	case QUIC_INITIAL:
		sp = QUICDEC_SP_INITIAL;
		break;
	case QUIC_HANDSHAKE:
		sp = QUICDEC_SP_HANDSHAKE;
		break;
	default:
		sp = QUICDEC_SP_APP;
		break;
	}
	res->space = (enum quicdec_space)sp;
	if (plain_cap < len) {
		res->why = "plaintext buffer too small";
		return res->status = QUICDEC_UNSUPPORTED;
	}
	if (sp == QUICDEC_SP_INITIAL) {
		st = initial_for(c, d, &res->hdr, &res->why, &undo);
		if (st != QUICDEC_OK)
			return res->status = st;
	}
	k = &c->keys[sp][d];
	if (!k->ready) {
		res->why = sp == QUICDEC_SP_HANDSHAKE ? "no handshake traffic secret for this side"
						      : "no application traffic secret for this side";
		return res->status = QUICDEC_NEED_KEY;
	}
	st = hp_remove(k, p, &res->hdr, &first, pnb, &pn_len, &tpn);
	if (st != QUICDEC_OK) {
		res->why = "packet too short for header protection";
		if (sp == QUICDEC_SP_INITIAL)
			initial_undo(c, d, &undo);
		return res->status = st;
	}
	pn = quicdec_pn_decode(c->have_largest[sp][d], c->largest[sp][d], tpn, pn_len);
	if (sp == QUICDEC_SP_APP && ((first & 0x04) != 0) != c->phase[d]) {
		use_next = true;
		k = &c->next[d];
	}
	st = aead_open(k, p, &res->hdr, first, pnb, pn_len, pn, plain, plain_cap, &out_len);
	if (st != QUICDEC_OK) {
		res->why = use_next ? "key phase changed but the next keys do not open the packet"
				    : "packet does not authenticate with this connection's keys";
		if (sp == QUICDEC_SP_INITIAL)
			initial_undo(c, d, &undo);
		return res->status = st;
	}
	if (use_next) {
		struct quicdec_keys t = c->keys[sp][d];

		c->keys[sp][d] = c->next[d];
		c->next[d] = t;
		c->phase[d] = !c->phase[d];
		res->key_updated = true;
		if (quicdec_keys_next(&c->next[d], &c->keys[sp][d]) != 0)
			c->next[d].ready = false;
	}
	if (res->hdr.type != QUIC_SHORT) {
		/* An authenticated long header: the peer's short headers carry
		 * this SCID's length as their DCID length. */
		c->scid_known[d] = true;
		c->scid_len[d] = res->hdr.scid_len;
	}
	if (!c->have_largest[sp][d] || pn > c->largest[sp][d]) {
		c->have_largest[sp][d] = true;
		c->largest[sp][d] = pn;
	}
	pkt_fill(&res->pkt, &res->hdr, first, pn_len, pn, plain, out_len);
	if (res->pkt.reserved_set)
		res->why = "reserved header bits set (RFC 9000 17.2: a protocol violation)";

	(void)quicframe_parse(plain, out_len, &res->frames);
	/* A second walk pushes every CRYPTO frame, also those past the
	 * events' capacity.  Each turn moves off forward: the loop ends. */
	for (size_t off = 0, used; off < out_len; off += used) {
		struct quicframe f;

		if (quicframe_next(plain + off, out_len - off, &f, &used) != FT_OK)
			break;
		if (sp != QUICDEC_SP_APP && !frame_ok_in_long(f.type))
			res->why = "frame type not allowed in Initial/Handshake packets (RFC 9000 12.4)";
		if (f.type == QF_CRYPTO && !cs_push(&c->cs[sp][d], f.offset, f.data, f.length))
			res->crypto_dropped = true;
	}
	cs_walk(c, sp, d, res);
	return res->status = QUICDEC_OK;
}
