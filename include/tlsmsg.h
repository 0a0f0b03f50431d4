/* tlsmsg.h - decoders for the TLS handshake messages and alerts that decryption reveals (RFC 8446 4, 6). */
#ifndef FT_TLSMSG_H
#define FT_TLSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "tls.h"

#define TLSMSG_NAME_MAX 128    /* bytes kept of a certificate name (CN, SAN) */
#define TLSMSG_MAX_SAN 8       /* SAN DNS names kept; n_san_dns counts them all */

/* The first (end-entity) certificate of a Certificate message. */
struct tlsmsg_cert {
	uint16_t n_certs;                          /* certificates in the message */
	bool parsed;                               /* the first one decoded as X.509 */
	uint16_t subject_cn_len, issuer_cn_len;    /* 0: no CN */
	char subject_cn[TLSMSG_NAME_MAX];          /* raw UTF-8 bytes (the output escapes) */
	char issuer_cn[TLSMSG_NAME_MAX];
	uint16_t n_san_dns;                        /* subjectAltName dNSName entries */
	uint8_t san_len[TLSMSG_MAX_SAN];
	char san[TLSMSG_MAX_SAN][TLSMSG_NAME_MAX];
	char not_before[24], not_after[24];        /* "2026-12-06T05:54:05Z", "" unknown */
};

/* One handshake message: the fields of its type (the others stay zero). */
struct tlsmsg {
	uint8_t type;                  /* TLS_HS_*: msg_type */
	uint32_t body_len;             /* the uint24 length */
	/* EncryptedExtensions (8) */
	bool has_alpn;
	uint8_t alpn_len;
	char alpn[TLS_ALPN_MAX];       /* the protocol the server chose (RFC 7301), raw */
	uint16_t n_exts;               /* EncryptedExtensions: extensions */
	/* Certificate (11) */
	struct tlsmsg_cert cert;
	/* CertificateVerify (15) */
	uint16_t sig_scheme;           /* SignatureScheme (RFC 8446 4.2.3) */
	uint16_t sig_len;
	/* Finished (20): body_len is the verify_data length */
	/* NewSessionTicket (4) */
	uint32_t ticket_lifetime;      /* seconds (TLS 1.2: the lifetime hint) */
	uint32_t ticket_age_add;       /* TLS 1.3 */
	uint16_t ticket_len;
	bool has_max_early_data;       /* early_data extension: 0-RTT allowed */
	uint32_t max_early_data;
	/* KeyUpdate (24) */
	uint8_t update_requested;      /* 0 update_not_requested, 1 update_requested */
	const char *why;               /* static text when MALFORMED */
};

/*
 * Decode the handshake message at the start of p[0..len):
 *
 *   uint8 msg_type | uint24 length | body[length]
 *
 * FT_NEED_MORE when the message is not whole yet (the caller gathers it
 * across records; *used is 0); FT_OK or FT_MALFORMED (why) otherwise, with
 * *used = 4 + length, where the next message starts.  tls13 picks the
 * TLS 1.3 layouts of Certificate and NewSessionTicket (else TLS 1.2).
 * Pure, except that a Certificate's first certificate goes through
 * libcrypto's d2i_X509 (which allocates and frees).  Types not listed in
 * struct tlsmsg decode to their type and length.
 */
enum ft_status tlsmsg_decode(const uint8_t *p, size_t len, bool tls13, struct tlsmsg *m,
			     size_t *used);

/* An alert record's content: uint8 level | uint8 description (RFC 8446 6).
 * FT_OK, FT_NEED_MORE (fewer than 2 bytes), FT_MALFORMED (not 2 bytes, or a
 * level other than 1 warning / 2 fatal).  Names: tls_alert_name (tls.h). */
enum ft_status tlsmsg_alert(const uint8_t *p, size_t len, uint8_t *level, uint8_t *desc);

/* "warning", "fatal"; NULL otherwise. */
const char *tlsmsg_alert_level_name(uint8_t level);

/* "ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256", ...; NULL unknown. */
const char *tlsmsg_sig_scheme_name(uint16_t scheme);

#endif
