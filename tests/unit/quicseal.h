/* quicseal.h - test-only QUIC packet protection (the sender's side of RFC 9001 5.3, 5.4),
 * for test_quicdec.c and fuzz_quicdec.c: packets the decoder must open. */
#ifndef FT_QUICSEAL_H
#define FT_QUICSEAL_H

#include <string.h>

#include <openssl/evp.h>

#include "quicdec.h"

/*
 * Protect hdr[0..pn_off) (first byte unprotected, its low two bits
 * pn_len - 1; a long header's Length already counting pn_len + plen + 16)
 * + pn + payload into out.  Returns the packet length, 0 on failure.
 * The payload must make pn_len + plen >= 4 (the header protection sample).
 */
static inline size_t qs_seal(const struct quicdec_keys *k, const uint8_t *hdr, size_t pn_off,
			     uint64_t pn, unsigned pn_len, const uint8_t *payload, size_t plen,
			     uint8_t *out)
{
	const EVP_CIPHER *c = k->aead == QUICDEC_AES_128_GCM   ? EVP_aes_128_gcm()
			      : k->aead == QUICDEC_AES_256_GCM ? EVP_aes_256_gcm()
							       : EVP_chacha20_poly1305();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t nonce[12], mask[32] = { 0 }, zeros[5] = { 0 };
	size_t n = pn_off;
	int outl = 0, ok;

	if (!ctx)
		return 0;
	memcpy(out, hdr, pn_off);
	for (unsigned i = 0; i < pn_len; i++)
		out[n++] = (uint8_t)(pn >> (8 * (pn_len - 1 - i)));
	memcpy(nonce, k->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	ok = EVP_EncryptInit_ex(ctx, c, NULL, k->key, nonce) == 1 &&
	     EVP_EncryptUpdate(ctx, NULL, &outl, out, (int)n) == 1 &&
	     (plen == 0 || EVP_EncryptUpdate(ctx, out + n, &outl, payload, (int)plen) == 1) &&
	     EVP_EncryptFinal_ex(ctx, out + n + plen, &outl) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + n + plen) == 1;
	n += plen + 16;
	/* Header protection: the sample starts 4 bytes after the packet number's start. */
	if (ok) {
		const uint8_t *sample = out + pn_off + 4;

		if (k->aead == QUICDEC_CHACHA20_POLY1305)
			ok = EVP_EncryptInit_ex(ctx, EVP_chacha20(), NULL, k->hp, sample) == 1 &&
			     EVP_EncryptUpdate(ctx, mask, &outl, zeros, 5) == 1;
		else
			ok = EVP_EncryptInit_ex(ctx, k->aead == QUICDEC_AES_256_GCM ? EVP_aes_256_ecb()
										 : EVP_aes_128_ecb(),
						NULL, k->hp, NULL) == 1 &&
			     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
			     EVP_EncryptUpdate(ctx, mask, &outl, sample, 16) == 1;
	}
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return 0;
	out[0] ^= (uint8_t)(mask[0] & ((out[0] & 0x80) ? 0x0f : 0x1f));
	for (unsigned i = 0; i < pn_len; i++)
		out[pn_off + i] ^= mask[1 + i];
	return n;
}

/* A long header packet of type (v1 bits: 0 Initial, 2 Handshake) with a 4-byte packet number. */
static inline size_t qs_long(const struct quicdec_keys *k, uint32_t version, unsigned type,
			     const uint8_t *dcid, uint8_t dcid_len, const uint8_t *scid,
			     uint8_t scid_len, uint64_t pn, const uint8_t *payload, size_t plen,
			     uint8_t *out)
{
	uint8_t hdr[64];
	size_t n = 0, length = 4 + plen + 16;

	if (version == QUICDEC_V2)
		type = (type + 1) & 3;   /* RFC 9369 3.2: Initial 01, 0-RTT 10, Handshake 11 */
	if (length > 0x3fff)
		return 0;
	hdr[n++] = (uint8_t)(0xc0 | type << 4 | 3);
	hdr[n++] = (uint8_t)(version >> 24);
	hdr[n++] = (uint8_t)(version >> 16);
	hdr[n++] = (uint8_t)(version >> 8);
	hdr[n++] = (uint8_t)version;
	hdr[n++] = dcid_len;
	memcpy(hdr + n, dcid, dcid_len);
	n += dcid_len;
	hdr[n++] = scid_len;
	memcpy(hdr + n, scid, scid_len);
	n += scid_len;
	if ((type == 0 && version != QUICDEC_V2) || (type == 1 && version == QUICDEC_V2))
		hdr[n++] = 0;   /* Initial: no token */
	hdr[n++] = (uint8_t)(0x40 | length >> 8);
	hdr[n++] = (uint8_t)length;
	return qs_seal(k, hdr, n, pn, 4, payload, plen, out);
}

/* A short header packet with a 2-byte packet number and the Key Phase bit. */
static inline size_t qs_short(const struct quicdec_keys *k, const uint8_t *dcid, uint8_t dcid_len,
			      bool key_phase, uint64_t pn, const uint8_t *payload, size_t plen,
			      uint8_t *out)
{
	uint8_t hdr[32];

	hdr[0] = (uint8_t)(0x40 | (key_phase ? 0x04 : 0) | 1);
	memcpy(hdr + 1, dcid, dcid_len);
	return qs_seal(k, hdr, 1 + (size_t)dcid_len, pn, 2, payload, plen, out);
}

#endif
