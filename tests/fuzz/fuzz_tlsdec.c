/* fuzz_tlsdec.c - libFuzzer target: key log text (keylog_add_text, keylog_find), TLS records
 * under a fixed key (tlsdec_record, key changes), records sealed by the harness so that the
 * plaintext side (inner type, padding, the handshake walker, tlsmsg_decode) is reached. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "keylog.h"
#include "tls.h"
#include "tlsdec.h"
#include "tlsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input layout.  Byte 0: bit 7 set: the rest is key log text; else bits
 * 0..2 pick the suite of suites[] below.  Then commands:
 *
 *   uint8 ctl | uint16 len (big-endian) | bytes[len]
 *
 *   ctl bit 0: direction.  ctl bits 1..2: 0 bytes are one record as it is;
 *   1 bytes are a plaintext the harness seals as a TLS 1.3 record under the
 *   direction's current key (bytes[0] the inner type, the rest the content,
 *   ctl bit 3: add 3 bytes of zero padding) -- TLS 1.3 suites only;
 *   2 tlsdec_key_update; 3 tlsdec_app_keys, then tlsdec_skip.
 *   ctl bit 4: a record goes through tlsdec_stream_* when it may (else
 *   tlsdec_record), its fragment in pieces of 1 << (ctl >> 5) bytes.
 */

/* The random every secret below is logged under. */
static const uint8_t cr[32] = { 0xcb, 0x34, 0xec, 0xb1, 0xe7, 0x81, 0x63, 0xba, 0x1c, 0x38, 0xc6,
				0xda, 0xcb, 0x19, 0x6a, 0x6d, 0xff, 0xa2, 0x1a, 0x8d, 0x99, 0x12,
				0xec, 0x18, 0xa2, 0xef, 0x62, 0x83, 0x02, 0x4d, 0xec, 0xe7 };
static const char keys[] =
	"CLIENT_HANDSHAKE_TRAFFIC_SECRET cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 "
	"b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21\n"
	"SERVER_HANDSHAKE_TRAFFIC_SECRET cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 "
	"b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38\n"
	"CLIENT_TRAFFIC_SECRET_0 cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 "
	"9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5\n"
	"SERVER_TRAFFIC_SECRET_0 cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 "
	"a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643\n"
	"CLIENT_EARLY_TRAFFIC_SECRET cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 "
	"3fbbe6a60deb66c30a32795aba0eff7eaa10105586e7be5c09678d63b6caab62\n"
	"CLIENT_RANDOM cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 "
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\n";

static const struct {
	uint16_t version, suite;
} suites[8] = {
	{ 0x0304, 0x1301 }, { 0x0304, 0x1302 }, { 0x0304, 0x1303 }, { 0x0303, 0xc02f },
	{ 0x0303, 0xcca8 }, { 0x0303, 0xc013 }, { 0x0303, 0xc028 }, { 0x0304, 0x1304 },
};

static struct keylog *kl;
static uint8_t out[TLSDEC_OUT_MAX], rec[5 + TLSDEC_OUT_MAX];

static void trap_if(int bad)
{
	if (bad)
		__builtin_trap();
}

/* The handshake messages of a decrypted record (each starts a message here: a fuzz input
 * is not a conversation). */
static void messages(const uint8_t *p, size_t n)
{
	struct tlsmsg m;
	size_t off = 0, used;

	for (int k = 0; k < 64 && off < n; k++) {
		enum ft_status st = tlsmsg_decode(p + off, n - off, true, &m, &used);

		if (st == FT_NEED_MORE)
			break;
		trap_if(used < 4 || used > n - off || m.alpn_len > TLS_ALPN_MAX ||
			m.cert.subject_cn_len > TLSMSG_NAME_MAX || m.cert.issuer_cn_len > TLSMSG_NAME_MAX);
		for (unsigned i = 0; i < m.cert.n_san_dns && i < TLSMSG_MAX_SAN; i++)
			trap_if(m.cert.san_len[i] > TLSMSG_NAME_MAX);
		off += used;
	}
}

/* Seal content as a TLS 1.3 record under dir's current key/iv/seq (what tlsdec will use). */
static size_t seal13(const struct tlsdec *t, int d, const uint8_t *p, size_t n, size_t pad)
{
	const struct tlsdec_dir *dr = &t->dir[d];
	const EVP_CIPHER *c = t->suite == 0x1301 ? EVP_aes_128_gcm() :
			      t->suite == 0x1302 ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
	EVP_CIPHER_CTX *ctx;
	uint8_t nonce[12], inner[512 + 4];
	size_t il, len;
	int k = 0;

	if (n == 0 || n > 512)
		return 0;
	memcpy(inner, p + 1, n - 1);      /* content, then its type, then padding */
	inner[n - 1] = p[0];
	memset(inner + n, 0, pad);
	il = n + pad;
	len = il + 16;
	memcpy(nonce, dr->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(dr->seq >> (8 * i));
	rec[0] = 23, rec[1] = 3, rec[2] = 3, rec[3] = (uint8_t)(len >> 8), rec[4] = (uint8_t)len;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return 0;
	if (EVP_EncryptInit_ex(ctx, c, NULL, dr->key, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &k, rec, 5) != 1 ||
	    EVP_EncryptUpdate(ctx, rec + 5, &k, inner, (int)il) != 1 ||
	    EVP_EncryptFinal_ex(ctx, rec + 5 + il, &k) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, rec + 5 + il) != 1)
		len = 0;
	EVP_CIPHER_CTX_free(ctx);
	return len ? 5 + len : 0;
}

/* One record through tlsdec: whole, or (stream) in pieces as a segmented stream brings it. */
static enum tlsdec_status open_rec(struct tlsdec *t, int d, const uint8_t *r, size_t rl,
				   uint8_t ctl, size_t *n, uint8_t *it)
{
	size_t piece = (size_t)1 << (ctl >> 5);

	if (!(ctl & 0x10) || rl < 5 || ((size_t)r[3] << 8 | r[4]) != rl - 5 ||
	    !tlsdec_stream_begin(t, d, r, sizeof out, NULL))
		return tlsdec_record(t, d, r, rl, out, sizeof out, n, it);
	for (size_t off = 5; off < rl; off += piece)
		tlsdec_stream_update(t, d, r + off, rl - off < piece ? rl - off : piece, false, out);
	return tlsdec_stream_end(t, d, out, n, it);
}

static void records(const uint8_t *data, size_t size)
{
	struct tlsdec t;
	uint8_t sr[32] = { 0 }, it;
	size_t off = 1, n;
	unsigned pick = data[0] & 7;

	if (tlsdec_init(&t, suites[pick].version, suites[pick].suite, cr, sr, kl, 0) < 0) {
		tlsdec_free(&t);
		return;
	}
	/* Each command takes at least 3 bytes: the loop ends. */
	while (size - off >= 3) {
		uint8_t ctl = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		int d = ctl & 1;
		enum tlsdec_status st = TLSDEC_OK;
		bool did = false;   /* a record went through tlsdec_record */

		off += 3;
		n = 0;
		if (len > size - off)
			len = size - off;
		switch ((ctl >> 1) & 3) {
		case 0:
			st = open_rec(&t, d, data + off, len, ctl, &n, &it);
			did = true;
			break;
		case 1:
			if (t.cs && t.version == 0x0304 && t.suite != 0x1304) {
				uint8_t scratch[16];
				size_t rl;

				/* keys are derived on the first record: make them exist */
				if (!t.dir[d].have_key)
					(void)tlsdec_record(&t, d, (const uint8_t *)"\x17\x03\x03\x00\x00", 5,
							    scratch, sizeof scratch, &n, &it);
				rl = t.dir[d].have_key ? seal13(&t, d, data + off, len, ctl & 8 ? 3 : 0) : 0;
				if (rl) {
					st = open_rec(&t, d, rec, rl, ctl, &n, &it);
					did = true;
					/* a sealed record with a content type always opens */
					trap_if(data[off] != 0 && st != TLSDEC_OK);
				}
			}
			break;
		case 2:
			tlsdec_key_update(&t, d);
			n = 0;
			break;
		default:
			tlsdec_app_keys(&t, d);
			tlsdec_skip(&t, d);
			n = 0;
			break;
		}
		if (did) {
			trap_if(st == TLSDEC_OK ? n > len : n != 0);
			if (st == TLSDEC_OK && it == TLS_CT_HANDSHAKE)
				messages(out, n);
			if (st == TLSDEC_OK && it == TLS_CT_ALERT) {
				uint8_t level, desc;
				if (tlsmsg_alert(out, n, &level, &desc) == FT_OK)
					(void)tls_alert_name(desc);
			}
		}
		(void)tlsdec_status_name(st);
		off += len;
	}
	(void)tlsdec_why(&t);
	tlsdec_free(&t);
}

static void keylog_text(const uint8_t *data, size_t size)
{
	struct keylog *k = keylog_new(64, 0, NULL);
	struct keylog_stats st;
	uint8_t secret[KEYLOG_SECRET_MAX], r[32];

	if (!k)
		return;
	(void)keylog_add_text(k, data, size);
	keylog_get_stats(k, &st);
	trap_if(st.n_randoms > 64 || st.n_secrets > st.n_lines * 1);
	memset(r, 0, sizeof r);
	memcpy(r, data, size < 32 ? size : 32);
	for (int l = 0; l < KEYLOG_N_LABELS; l++)
		trap_if(keylog_find(k, r, (enum keylog_label)l, secret, sizeof secret) > KEYLOG_SECRET_MAX);
	keylog_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!kl) {
		kl = keylog_new(0, 0, NULL);
		if (!kl)
			return 0;
		(void)keylog_add_text(kl, (const uint8_t *)keys, sizeof keys - 1);
	}
	if (size == 0)
		return 0;
	if (data[0] & 0x80)
		keylog_text(data + 1, size - 1);
	else
		records(data, size);
	return 0;
}
