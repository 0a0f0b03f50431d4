/* tlsmsg.c - EncryptedExtensions, Certificate, CertificateVerify, Finished, NewSessionTicket, KeyUpdate, alerts. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rd.h"
#include "tlsmsg.h"

struct tok {
	uint16_t value;
	const char *name;
};

/* RFC 8446 4.2.3 (and the legacy RSASSA-PKCS1-v1_5 / SHA-1 codepoints). */
static const struct tok sig_schemes[] = {
	{ 0x0401, "rsa_pkcs1_sha256" },        { 0x0501, "rsa_pkcs1_sha384" },
	{ 0x0601, "rsa_pkcs1_sha512" },        { 0x0403, "ecdsa_secp256r1_sha256" },
	{ 0x0503, "ecdsa_secp384r1_sha384" },  { 0x0603, "ecdsa_secp521r1_sha512" },
	{ 0x0804, "rsa_pss_rsae_sha256" },     { 0x0805, "rsa_pss_rsae_sha384" },
	{ 0x0806, "rsa_pss_rsae_sha512" },     { 0x0807, "ed25519" },
	{ 0x0808, "ed448" },                   { 0x0809, "rsa_pss_pss_sha256" },
	{ 0x080a, "rsa_pss_pss_sha384" },      { 0x080b, "rsa_pss_pss_sha512" },
	{ 0x0201, "rsa_pkcs1_sha1" },          { 0x0203, "ecdsa_sha1" },
};

const char *tlsmsg_sig_scheme_name(uint16_t scheme)
{
	for (size_t i = 0; i < sizeof sig_schemes / sizeof sig_schemes[0]; i++)
		if (sig_schemes[i].value == scheme)
			return sig_schemes[i].name;
	return NULL;
}

const char *tlsmsg_alert_level_name(uint8_t level)
{
	return level == 1 ? "warning" : level == 2 ? "fatal" : NULL;
}

enum ft_status tlsmsg_alert(const uint8_t *p, size_t len, uint8_t *level, uint8_t *desc)
{
	if (len < 2)
		return FT_NEED_MORE;
	*level = p[0];
	*desc = p[1];
	if (len != 2 || (p[0] != 1 && p[0] != 2))
		return FT_MALFORMED;
	return FT_OK;
}

static bool rd_be24(struct rd *r, uint32_t *v)
{
	uint8_t b0 = 0, b1 = 0, b2 = 0;

	if (!rd_has(r, 3))
		return false;
	(void)rd_u8(r, &b0);
	(void)rd_u8(r, &b1);
	(void)rd_u8(r, &b2);
	*v = (uint32_t)b0 << 16 | (uint32_t)b1 << 8 | b2;
	return true;
}

/* ------------------------------------------------------------------ */
/* X.509 (libcrypto)                                                   */
/* ------------------------------------------------------------------ */

static uint16_t copy_name(char *dst, const unsigned char *src, int n)
{
	size_t keep = n < 0 ? 0 : (size_t)n < TLSMSG_NAME_MAX ? (size_t)n : TLSMSG_NAME_MAX;

	memcpy(dst, src, keep);
	return (uint16_t)keep;
}

/* The last commonName of a name (the most specific), as UTF-8. */
static uint16_t name_cn(const X509_NAME *name, char *dst)
{
	int i = -1, last = -1;
	const X509_NAME_ENTRY *e;
	unsigned char *utf8 = NULL;
	int n;
	uint16_t kept;

	/* X509_NAME_get_index_by_NID moves forward: at most entry-count turns. */
	while ((i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0)
		last = i;
	if (last < 0)
		return 0;
	e = X509_NAME_get_entry(name, last);
	if (!e)
		return 0;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (n < 0)
		return 0;
	kept = copy_name(dst, utf8, n);
	OPENSSL_free(utf8);
	return kept;
}

static void fmt_time(const ASN1_TIME *t, char *dst, size_t cap)
{
	struct tm tm;

	dst[0] = 0;
	if (t && ASN1_TIME_to_tm(t, &tm) == 1)
		/* the fields are in range (ASN1_TIME_to_tm checked them); the modulo
		 * only tells the compiler so */
		snprintf(dst, cap, "%04u-%02u-%02uT%02u:%02u:%02uZ",
			 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
			 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
			 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

static void decode_x509_der(const uint8_t *der, size_t len, struct tlsmsg_cert *c)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	GENERAL_NAMES *sans;

	if (!x)
		return;
	c->parsed = true;
	c->subject_cn_len = name_cn(X509_get_subject_name(x), c->subject_cn);
	c->issuer_cn_len = name_cn(X509_get_issuer_name(x), c->issuer_cn);
	fmt_time(X509_get0_notBefore(x), c->not_before, sizeof c->not_before);
	fmt_time(X509_get0_notAfter(x), c->not_after, sizeof c->not_after);
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		if (gn->type != GEN_DNS)
			continue;
		if (c->n_san_dns < TLSMSG_MAX_SAN)
			c->san_len[c->n_san_dns] = (uint8_t)copy_name(
				c->san[c->n_san_dns], ASN1_STRING_get0_data(gn->d.dNSName),
				ASN1_STRING_length(gn->d.dNSName));
		if (c->n_san_dns < UINT16_MAX)
			c->n_san_dns++;
	}
	GENERAL_NAMES_free(sans);
	X509_free(x);
}

/*
 * The last certificate decoded and what it gave: a server sends the same
 * leaf on every connection, and d2i_X509 (which also decodes the public
 * key through libcrypto's decoders) costs more than decrypting a record.
 * One entry, compared byte for byte; a longer certificate is decoded each
 * time.  c has only zeros in it on entry (tlsmsg_decode cleared it).
 */
#define X509_CACHE_MAX 4096
static struct {
	size_t len;                    /* 0: empty */
	uint8_t der[X509_CACHE_MAX];
	struct tlsmsg_cert cert;       /* n_certs 0, as decode_x509_der left it */
} x509_cache;

static void decode_x509(const uint8_t *der, size_t len, struct tlsmsg_cert *c)
{
	if (len > 0 && len == x509_cache.len && memcmp(der, x509_cache.der, len) == 0) {
		*c = x509_cache.cert;
		return;
	}
	decode_x509_der(der, len, c);
	if (len > 0 && len <= X509_CACHE_MAX && c->n_certs == 0) {
		memcpy(x509_cache.der, der, len);
		x509_cache.len = len;
		x509_cache.cert = *c;
	}
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/*
 * EncryptedExtensions (RFC 8446 4.3.1):
 *   uint16 ext_len | { uint16 type | uint16 len | data[len] } ...
 * ALPN (RFC 7301 3.1): uint16 list_len | uint8 len | protocol  (exactly one)
 */
static const char *encrypted_extensions(struct rd *b, struct tlsmsg *m)
{
	uint16_t ext_len;
	struct rd exts;

	if (!rd_be16(b, &ext_len) || !rd_sub(b, ext_len, &exts))
		return "EncryptedExtensions length overruns the message";
	/* Each turn takes at least 4 bytes or returns: the loop ends. */
	while (rd_left(&exts) > 0) {
		uint16_t type, len, list_len;
		uint8_t plen;
		struct rd ext, id;

		if (!rd_be16(&exts, &type) || !rd_be16(&exts, &len) || !rd_sub(&exts, len, &ext))
			return "extension overruns EncryptedExtensions";
		if (m->n_exts < UINT16_MAX)
			m->n_exts++;
		if (type != 16)
			continue;
		if (!rd_be16(&ext, &list_len) || list_len != rd_left(&ext) || !rd_u8(&ext, &plen) ||
		    plen == 0 || !rd_sub(&ext, plen, &id) || rd_left(&ext) != 0)
			return "ALPN extension malformed";
		m->has_alpn = true;
		m->alpn_len = plen < TLS_ALPN_MAX ? plen : TLS_ALPN_MAX;
		(void)rd_copy(&id, m->alpn, m->alpn_len);
	}
	return NULL;
}

/*
 * Certificate (RFC 8446 4.4.2; RFC 5246 7.4.2 without the context and
 * the per-entry extensions):
 *   uint8 ctx_len | ctx | uint24 list_len |
 *   { uint24 cert_len | cert_data | uint16 ext_len | extensions } ...
 */
static const char *certificate(struct rd *b, bool tls13, struct tlsmsg *m)
{
	uint8_t ctx_len;
	uint32_t list_len;
	struct rd list;

	if (tls13 && (!rd_u8(b, &ctx_len) || !rd_skip(b, ctx_len)))
		return "Certificate request context overruns the message";
	if (!rd_be24(b, &list_len) || !rd_sub(b, list_len, &list))
		return "certificate list overruns the message";
	/* Each turn takes at least 3 bytes or returns: the loop ends. */
	while (rd_left(&list) > 0) {
		uint32_t cert_len;
		uint16_t ext_len;
		struct rd der;

		if (!rd_be24(&list, &cert_len) || cert_len == 0 || !rd_sub(&list, cert_len, &der))
			return "certificate overruns the list";
		if (tls13 && (!rd_be16(&list, &ext_len) || !rd_skip(&list, ext_len)))
			return "certificate extensions overrun the list";
		if (m->cert.n_certs == 0)
			decode_x509(rd_ptr(&der), cert_len, &m->cert);
		if (m->cert.n_certs < UINT16_MAX)
			m->cert.n_certs++;
	}
	return NULL;
}

/*
 * NewSessionTicket, TLS 1.3 (RFC 8446 4.6.1):
 *   uint32 lifetime | uint32 age_add | uint8 nonce_len | nonce |
 *   uint16 ticket_len | ticket | uint16 ext_len | extensions
 * TLS 1.2 (RFC 5077 3.3): uint32 lifetime_hint | uint16 ticket_len | ticket
 */
static const char *new_session_ticket(struct rd *b, bool tls13, struct tlsmsg *m)
{
	uint8_t nonce_len;
	uint16_t ext_len;
	struct rd exts;

	if (!rd_be32(b, &m->ticket_lifetime))
		return "NewSessionTicket cut";
	if (tls13 && (!rd_be32(b, &m->ticket_age_add) || !rd_u8(b, &nonce_len) ||
		      !rd_skip(b, nonce_len)))
		return "NewSessionTicket cut";
	if (!rd_be16(b, &m->ticket_len) || !rd_skip(b, m->ticket_len))
		return "ticket overruns NewSessionTicket";
	if (!tls13)
		return NULL;
	if (!rd_be16(b, &ext_len) || !rd_sub(b, ext_len, &exts))
		return "NewSessionTicket extensions overrun the message";
	while (rd_left(&exts) > 0) {
		uint16_t type, len;
		struct rd ext;

		if (!rd_be16(&exts, &type) || !rd_be16(&exts, &len) || !rd_sub(&exts, len, &ext))
			return "extension overruns NewSessionTicket";
		if (type == 42) {   /* early_data: uint32 max_early_data_size */
			if (len != 4)
				return "early_data extension length not 4";
			(void)rd_be32(&ext, &m->max_early_data);
			m->has_max_early_data = true;
		}
	}
	return NULL;
}

enum ft_status tlsmsg_decode(const uint8_t *p, size_t len, bool tls13, struct tlsmsg *m,
			     size_t *used)
{
	struct rd r = rd_make(p, len), body;
	const char *why = NULL;
	uint8_t type;
	uint32_t blen;

	memset(m, 0, sizeof *m);
	*used = 0;
	if (!rd_u8(&r, &type) || !rd_be24(&r, &blen) || !rd_sub(&r, blen, &body))
		return FT_NEED_MORE;
	m->type = type;
	m->body_len = blen;
	*used = r.off;
	switch (type) {
	case TLS_HS_ENCRYPTED_EXTENSIONS:
		why = encrypted_extensions(&body, m);
		break;
	case TLS_HS_CERTIFICATE:
		why = certificate(&body, tls13, m);
		break;
	case TLS_HS_CERTIFICATE_VERIFY:
		if (!rd_be16(&body, &m->sig_scheme) || !rd_be16(&body, &m->sig_len) ||
		    !rd_skip(&body, m->sig_len))
			why = "CertificateVerify signature overruns the message";
		break;
	case TLS_HS_FINISHED:
		if (blen == 0)
			why = "Finished without verify_data";
		(void)rd_skip(&body, blen);
		break;
	case TLS_HS_NEW_SESSION_TICKET:
		why = new_session_ticket(&body, tls13, m);
		break;
	case 24:   /* KeyUpdate (RFC 8446 4.6.3) */
		if (!rd_u8(&body, &m->update_requested) || m->update_requested > 1)
			why = "KeyUpdate request_update not 0 or 1";
		break;
	default:
		(void)rd_skip(&body, blen);
		break;
	}
	if (!why && rd_left(&body) != 0)
		why = "trailing bytes in the handshake message";
	if (why) {
		m->why = why;
		return FT_MALFORMED;
	}
	return FT_OK;
}
