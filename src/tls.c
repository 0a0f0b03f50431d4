/* tls.c - streaming TLS record walker and ClientHello/ServerHello decoder (RFC 8446, RFC 5246). */
#include <string.h>

#include "rd.h"
#include "tls.h"

/*
 * What this follows, and where it stops knowing:
 *
 *   - Records (RFC 8446 5.1) are walked one header at a time.  A content
 *     type outside 20..24, a version major other than 3 or a length above
 *     2^14 + 2048 (RFC 5246 6.2.3, the largest ciphertext) means the bytes
 *     are not TLS we can frame: the direction turns opaque (one
 *     TLS_EV_OPAQUE, MALFORMED) and everything after it is consumed unread.
 *   - A plaintext handshake record is consumed only when whole; since a
 *     record is at most 18432 bytes it always fits TLS_HELLO_MAX.  Every
 *     other record is consumed as it passes: its event is emitted when the
 *     5-byte header is seen and the body is skipped across feeds
 *     (rec_left), never buffered.  A plaintext alert waits for its first
 *     two body bytes.
 *   - Handshake messages inside a record are walked by their 4-byte
 *     headers.  A message longer than what is left of its record continues
 *     in the next handshake record(s) (RFC 8446 5.1 allows fragmentation):
 *     it is reported once, as TLS_EV_HANDSHAKE with the type from its first
 *     fragment (a ClientHello/ServerHello split that way is not decoded),
 *     and the rest is skipped (hs_left).  Another record type arriving
 *     before it ends is MALFORMED (RFC 8446 5.1: handshake messages MUST NOT
 *     be interleaved with other record types).  A 4-byte handshake header
 *     itself cut by a record end is legal but not followed (opaque).
 *
 * Encryption boundaries (without keys, from the plaintext we saw):
 *
 *   - TLS 1.2 and earlier: what one side sends after its ChangeCipherSpec
 *     is encrypted: its handshake records (the Finished, a renegotiation)
 *     are TLS_EV_ENCRYPTED_HS, its alerts encrypted.
 *   - TLS 1.3 (the ServerHello's supported_versions chose 0x0304): every
 *     record of both sides after the ServerHello is encrypted; CCS is only
 *     middlebox compatibility and changes nothing.  Encrypted records wear
 *     the outer type 23 (RFC 8446 5.2), so handshake and application data
 *     look alike; we split them by order: the server's type-23 records are
 *     its encrypted handshake flight until the client's first type-23
 *     record after the ServerHello (its Finished); that record is the
 *     client's encrypted handshake; everything later is application data.
 *     Known blind spots: NewSessionTicket and key updates after the
 *     handshake, a client certificate flight of several records, and a
 *     TLS 1.3 encrypted alert (type 23) all show as application data.
 *   - A HelloRetryRequest is a ServerHello with the RFC 8446 4.1.3 random:
 *     it sets tls13 but not server_hello_seen, so the client's second
 *     ClientHello and the server's real ServerHello are still plaintext.
 */

#define TLS_HDR_LEN 5
#define TLS_REC_MAX (16384u + 2048u)   /* RFC 5246 6.2.3: TLSCiphertext.length limit */
#define TLS13_ENC_ALERT_LEN 19           /* an encrypted alert: 2 + 1 (inner type) + 16 (AEAD tag) */
/* A NewSessionTicket record: 4 header + 4 lifetime + 4 age_add + a nonce,
 * a ticket of at least ~64 bytes in common stacks (OpenSSL, BoringSSL, Go,
 * NSS write 100 to 250), + 1 + 16: smaller records are not guessed to be one. */
#define TLS13_TICKET_MIN 100
#define TLS_HS_HDR_LEN 4

_Static_assert(TLS_HDR_LEN + TLS_REC_MAX <= TLS_HELLO_MAX,
	       "a whole plaintext handshake record must fit TLS_HELLO_MAX");

/* ------------------------------------------------------------------ */
/* Names for numbers                                                   */
/* ------------------------------------------------------------------ */

struct tls_tok {
	uint16_t value;
	const char *name;
};

static const char *tok_find(const struct tls_tok *t, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

#define TOK_FIND(t, v) tok_find((t), sizeof(t) / sizeof((t)[0]), (v))

/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
static bool is_grease16(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static const struct tls_tok version_names[] = {
	{ 0x0300, "SSL 3.0" }, { 0x0301, "TLS 1.0" }, { 0x0302, "TLS 1.1" },
	{ 0x0303, "TLS 1.2" }, { 0x0304, "TLS 1.3" },
};

/* RFC 8446 4, RFC 5246 7.4, RFC 6066 (CertificateURL, CertificateStatus). */
static const struct tls_tok hs_names[] = {
	{ 0, "HelloRequest" },        { 1, "ClientHello" },         { 2, "ServerHello" },
	{ 3, "HelloVerifyRequest" },  { 4, "NewSessionTicket" },    { 5, "EndOfEarlyData" },
	{ 8, "EncryptedExtensions" }, { 11, "Certificate" },        { 12, "ServerKeyExchange" },
	{ 13, "CertificateRequest" }, { 14, "ServerHelloDone" },    { 15, "CertificateVerify" },
	{ 16, "ClientKeyExchange" },  { 20, "Finished" },           { 21, "CertificateURL" },
	{ 22, "CertificateStatus" },  { 24, "KeyUpdate" },          { 254, "MessageHash" },
};

/* IANA TLS Cipher Suites registry: TLS 1.3 (RFC 8446 B.4), the common
 * TLS 1.2 ECDHE/DHE AEAD suites (RFC 5289, RFC 7905), a few CBC and RSA
 * key-exchange ones, and the signalling values (RFC 5746, RFC 7507). */
static const struct tls_tok cipher_names[] = {
	{ 0x1301, "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0x1304, "TLS_AES_128_CCM_SHA256" },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
	{ 0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ 0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ 0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" },
	{ 0x5600, "TLS_FALLBACK_SCSV" },
};

/* RFC 8446 6, plus the older values of RFC 5246 7.2 and RFC 8446 B.2. */
static const struct tls_tok alert_names[] = {
	{ 0, "close_notify" },                   { 10, "unexpected_message" },
	{ 20, "bad_record_mac" },                { 21, "decryption_failed" },
	{ 22, "record_overflow" },               { 30, "decompression_failure" },
	{ 40, "handshake_failure" },             { 41, "no_certificate" },
	{ 42, "bad_certificate" },               { 43, "unsupported_certificate" },
	{ 44, "certificate_revoked" },           { 45, "certificate_expired" },
	{ 46, "certificate_unknown" },           { 47, "illegal_parameter" },
	{ 48, "unknown_ca" },                    { 49, "access_denied" },
	{ 50, "decode_error" },                  { 51, "decrypt_error" },
	{ 60, "export_restriction" },            { 70, "protocol_version" },
	{ 71, "insufficient_security" },         { 80, "internal_error" },
	{ 86, "inappropriate_fallback" },        { 90, "user_canceled" },
	{ 100, "no_renegotiation" },             { 109, "missing_extension" },
	{ 110, "unsupported_extension" },        { 111, "certificate_unobtainable" },
	{ 112, "unrecognized_name" },            { 113, "bad_certificate_status_response" },
	{ 114, "bad_certificate_hash_value" },   { 115, "unknown_psk_identity" },
	{ 116, "certificate_required" },         { 120, "no_application_protocol" },
};

const char *tls_version_name(uint16_t v)
{
	if (is_grease16(v))
		return "GREASE";
	return TOK_FIND(version_names, v);
}

const char *tls_hs_name(uint8_t type) { return TOK_FIND(hs_names, type); }

const char *tls_cipher_name(uint16_t suite)
{
	if (is_grease16(suite))
		return "GREASE";
	return TOK_FIND(cipher_names, suite);
}

const char *tls_alert_name(uint8_t desc) { return TOK_FIND(alert_names, desc); }

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/* The header fields of the record an event is about. */
struct rec_hdr {
	uint8_t type;
	uint16_t version;
	uint32_t len;
};

/* A fresh event slot, or *scratch when the list is full (the event is
 * counted in n_dropped; state updates still happen). */
static struct tls_ev *ev_add(struct tls_events *out, struct tls_ev *scratch, int dir,
			     const struct rec_hdr *rh, enum tls_ev_kind kind)
{
	struct tls_ev *e;

	if (out->n < TLS_MAX_EVENTS) {
		e = &out->ev[out->n++];
	} else {
		if (out->n_dropped < UINT8_MAX)
			out->n_dropped++;
		e = scratch;
	}
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->dir = (uint8_t)dir;
	e->status = FT_OK;
	if (rh) {
		e->content_type = rh->type;
		e->rec_version = rh->version;
		e->rec_len = rh->len;
	}
	return e;
}

static bool have_event(const struct tls_events *out, enum tls_ev_kind kind)
{
	for (unsigned i = 0; i < out->n && i < TLS_MAX_EVENTS; i++)
		if (out->ev[i].kind == kind)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Hello decoding                                                      */
/* ------------------------------------------------------------------ */

enum {
	EXT_SERVER_NAME = 0,          /* RFC 6066 3 */
	EXT_ALPN = 16,                /* RFC 7301 3.1 */
	EXT_SUPPORTED_VERSIONS = 43,  /* RFC 8446 4.2.1 */
};

/* RFC 8446 4.1.3: SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/*
 * server_name extension (RFC 6066 3):
 *
 *   uint16 list_len | { uint8 name_type | uint16 len | name[len] } ...
 *
 * The list must fill the extension exactly; the first host_name (type 0)
 * is kept raw, cut at TLS_NAME_MAX (the output escapes it).
 */
static const char *ch_sni(struct rd *ext, struct tls_client_hello *ch)
{
	uint16_t list_len;
	struct rd list;

	if (!rd_be16(ext, &list_len))
		return "SNI list length cut";
	if (list_len != rd_left(ext))
		return "SNI list length mismatch";
	(void)rd_sub(ext, list_len, &list);
	/* Each entry takes at least 3 bytes: the loop ends. */
	while (rd_left(&list) > 0) {
		uint8_t type;
		uint16_t len;
		struct rd name;

		if (!rd_u8(&list, &type) || !rd_be16(&list, &len))
			return "SNI entry header overruns list";
		if (!rd_sub(&list, len, &name))
			return "SNI entry overruns list";
		if (type == 0 && !ch->has_sni) {
			size_t keep = len < TLS_NAME_MAX ? len : TLS_NAME_MAX;

			ch->has_sni = true;
			ch->sni_cut = len > TLS_NAME_MAX;
			ch->sni_len = (uint16_t)keep;
			(void)rd_copy(&name, ch->sni, keep);
		}
	}
	return NULL;
}

/*
 * ALPN extension (RFC 7301 3.1):
 *
 *   uint16 list_len | { uint8 len | protocol[len] } ...   (len >= 1)
 */
static const char *alpn_list(struct rd *ext, struct rd *list)
{
	uint16_t list_len;

	if (!rd_be16(ext, &list_len))
		return "ALPN list length cut";
	if (list_len != rd_left(ext))
		return "ALPN list length mismatch";
	(void)rd_sub(ext, list_len, list);
	return NULL;
}

static const char *ch_alpn(struct rd *ext, struct tls_client_hello *ch)
{
	struct rd list;
	const char *why = alpn_list(ext, &list);

	if (why)
		return why;
	/* Each entry takes at least 2 bytes: the loop ends. */
	while (rd_left(&list) > 0) {
		uint8_t len;
		struct rd id;

		(void)rd_u8(&list, &len);
		if (len == 0)
			return "ALPN empty protocol id";
		if (!rd_sub(&list, len, &id))
			return "ALPN entry overruns list";
		if (ch->n_alpn < TLS_MAX_ALPN) {
			size_t keep = len < TLS_ALPN_MAX ? len : TLS_ALPN_MAX;

			(void)rd_copy(&id, ch->alpn[ch->n_alpn], keep);
			ch->alpn_len[ch->n_alpn] = (uint8_t)keep;
			ch->n_alpn++;
		}
	}
	return NULL;
}

/* supported_versions in a ClientHello (RFC 8446 4.2.1):
 *   uint8 len | uint16 versions[len / 2]    -- GREASE values kept as sent */
static const char *ch_versions(struct rd *ext, struct tls_client_hello *ch)
{
	uint8_t len;

	if (!rd_u8(ext, &len))
		return "supported_versions length cut";
	if (len != rd_left(ext))
		return "supported_versions length mismatch";
	if (len % 2 != 0 || len == 0)
		return "supported_versions odd or empty";
	for (unsigned i = 0; i < len / 2u; i++) {
		uint16_t v = 0;

		(void)rd_be16(ext, &v);
		if (ch->n_versions < TLS_MAX_VERSIONS)
			ch->versions[ch->n_versions++] = v;
	}
	return NULL;
}

/*
 * The part both hellos share after the version and random:
 *
 *   ClientHello (RFC 8446 4.1.2)         ServerHello (RFC 8446 4.1.3)
 *   uint16 legacy_version                uint16 legacy_version
 *   opaque random[32]                    opaque random[32]
 *   uint8 sid_len | sid (<= 32)          uint8 sid_len | sid (<= 32)
 *   uint16 cs_len | suites[cs_len/2]     uint16 cipher_suite
 *   uint8 cm_len | methods (>= 1)        uint8 compression_method
 *   [uint16 ext_len | extensions]        [uint16 ext_len | extensions]
 *
 *   extension: uint16 type | uint16 len | data[len]
 *
 * The extensions block is absent in a TLS 1.2 hello without extensions;
 * when present it must end exactly where the message ends.
 */
static const char *hello_exts(struct rd *msg, struct rd *exts, const char *who_overrun,
			      const char *who_trailing)
{
	uint16_t ext_len;

	*exts = rd_make(rd_ptr(msg), 0);
	if (rd_left(msg) == 0)
		return NULL;
	if (!rd_be16(msg, &ext_len))
		return who_overrun;
	if (!rd_sub(msg, ext_len, exts))
		return who_overrun;
	if (rd_left(msg) != 0)
		return who_trailing;
	return NULL;
}

static const char *decode_client_hello(struct rd *msg, struct tls_client_hello *ch)
{
	uint8_t sid_len, cm_len;
	uint16_t cs_len;
	struct rd exts;
	const char *why;

	memset(ch, 0, sizeof *ch);
	if (!rd_be16(msg, &ch->legacy_version) || !rd_skip(msg, 32))
		return "ClientHello cut before session id";
	if (!rd_u8(msg, &sid_len) || sid_len > 32)
		return "ClientHello session id length bad";
	if (!rd_skip(msg, sid_len))
		return "ClientHello session id overrun";
	if (!rd_be16(msg, &cs_len) || cs_len % 2 != 0 || cs_len == 0)
		return "ClientHello cipher suites length bad";
	if (!rd_skip(msg, cs_len))
		return "ClientHello cipher suites overrun";
	ch->n_ciphers = (uint16_t)(cs_len / 2);
	if (!rd_u8(msg, &cm_len) || cm_len == 0)
		return "ClientHello compression methods length bad";
	if (!rd_skip(msg, cm_len))
		return "ClientHello compression methods overrun";
	why = hello_exts(msg, &exts, "ClientHello extensions overrun",
			 "ClientHello trailing bytes after extensions");
	if (why)
		return why;
	/* Each extension takes at least 4 bytes: the loop ends. */
	while (rd_left(&exts) > 0) {
		uint16_t type, len;
		struct rd ext;

		if (!rd_be16(&exts, &type) || !rd_be16(&exts, &len))
			return "ClientHello extension header overruns list";
		if (!rd_sub(&exts, len, &ext))
			return "ClientHello extension overruns list";
		why = NULL;
		if (type == EXT_SERVER_NAME)
			why = ch_sni(&ext, ch);
		else if (type == EXT_ALPN)
			why = ch_alpn(&ext, ch);
		else if (type == EXT_SUPPORTED_VERSIONS)
			why = ch_versions(&ext, ch);
		if (why)
			return why;
	}
	return NULL;
}

static const char *decode_server_hello(struct rd *msg, struct tls_server_hello *sh)
{
	uint8_t sid_len, comp;
	uint8_t random[32];
	struct rd exts;
	const char *why;

	memset(sh, 0, sizeof *sh);
	if (!rd_be16(msg, &sh->legacy_version) || !rd_copy(msg, random, sizeof random))
		return "ServerHello cut before session id";
	sh->version = sh->legacy_version;
	sh->hello_retry = memcmp(random, hrr_random, sizeof random) == 0;
	if (!rd_u8(msg, &sid_len) || sid_len > 32)
		return "ServerHello session id length bad";
	if (!rd_skip(msg, sid_len))
		return "ServerHello session id overrun";
	if (!rd_be16(msg, &sh->cipher) || !rd_u8(msg, &comp))
		return "ServerHello cut in cipher suite";
	why = hello_exts(msg, &exts, "ServerHello extensions overrun",
			 "ServerHello trailing bytes after extensions");
	if (why)
		return why;
	while (rd_left(&exts) > 0) {
		uint16_t type, len;
		struct rd ext;

		if (!rd_be16(&exts, &type) || !rd_be16(&exts, &len))
			return "ServerHello extension header overruns list";
		if (!rd_sub(&exts, len, &ext))
			return "ServerHello extension overruns list";
		if (type == EXT_SUPPORTED_VERSIONS) {
			/* RFC 8446 4.2.1: selected_version, exactly 2 bytes. */
			if (len != 2)
				return "ServerHello supported_versions length not 2";
			(void)rd_be16(&ext, &sh->version);
		} else if (type == EXT_ALPN) {
			/* RFC 7301 3.1: the list holds exactly one protocol. */
			struct rd list, id;
			uint8_t plen;

			why = alpn_list(&ext, &list);
			if (why)
				return why;
			if (!rd_u8(&list, &plen) || plen == 0)
				return "ServerHello ALPN empty";
			if (!rd_sub(&list, plen, &id))
				return "ALPN entry overruns list";
			if (rd_left(&list) != 0)
				return "ServerHello ALPN names more than one protocol";
			sh->has_alpn = true;
			sh->alpn_len = plen < TLS_ALPN_MAX ? plen : TLS_ALPN_MAX;
			(void)rd_copy(&id, sh->alpn, sh->alpn_len);
		}
	}
	return NULL;
}

const char *tls_client_hello_decode(const uint8_t *body, size_t len, struct tls_client_hello *ch)
{
	struct rd msg = rd_make(body, len);

	return decode_client_hello(&msg, ch);
}

const char *tls_server_hello_decode(const uint8_t *body, size_t len, struct tls_server_hello *sh)
{
	struct rd msg = rd_make(body, len);

	return decode_server_hello(&msg, sh);
}

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

/* Are this side's records encrypted from here on? */
static bool half_encrypted(const struct tls_conn *t, int d)
{
	if (t->tls13)
		return t->server_hello_seen;
	return t->half[d].ccs_seen;
}

static void go_opaque(struct tls_conn *t, int d, const struct rec_hdr *rh, enum ft_status st,
		      const char *why, struct tls_events *out)
{
	struct tls_ev scratch;
	struct tls_ev *e = ev_add(out, &scratch, d, rh, TLS_EV_OPAQUE);

	e->status = st;
	e->why = why;
	t->half[d].opaque = true;
	t->half[d].rec_left = 0;
	t->half[d].hs_left = 0;
}

/* One whole handshake message of a plaintext record. */
static void handshake_msg(struct tls_conn *t, int d, const struct rec_hdr *rh, uint8_t type,
			  struct rd *msg, struct tls_events *out)
{
	struct tls_ev scratch;
	struct tls_ev *e;
	const char *why;

	if (type == TLS_HS_CLIENT_HELLO && !have_event(out, TLS_EV_CLIENT_HELLO)) {
		why = decode_client_hello(msg, &out->ch);
		e = ev_add(out, &scratch, d, rh, TLS_EV_CLIENT_HELLO);
		e->hs_type = type;
		e->ch = &out->ch;
	} else if (type == TLS_HS_SERVER_HELLO && !have_event(out, TLS_EV_SERVER_HELLO)) {
		why = decode_server_hello(msg, &out->sh);
		e = ev_add(out, &scratch, d, rh, TLS_EV_SERVER_HELLO);
		e->hs_type = type;
		e->sh = &out->sh;
		if (!why && d == 1) {
			t->version = out->sh.version;
			t->tls13 = out->sh.version == 0x0304;
			/* A HelloRetryRequest leaves both sides in plaintext. */
			if (!out->sh.hello_retry)
				t->server_hello_seen = true;
		}
	} else {
		/* Any other message, or a second hello in one feed (out holds
		 * one of each): named, not decoded. */
		e = ev_add(out, &scratch, d, rh, TLS_EV_HANDSHAKE);
		e->hs_type = type;
		if (type == TLS_HS_CLIENT_HELLO || type == TLS_HS_SERVER_HELLO)
			e->why = "second hello in one feed, not decoded";
		return;
	}
	if (why) {
		e->status = FT_MALFORMED;
		e->why = why;
	}
}

/*
 * The body of a whole plaintext handshake record: handshake messages
 *
 *   uint8 msg_type | uint24 length | body[length]
 *
 * back to back; the first bytes may finish a message begun in an earlier
 * record.
 */
static void handshake_record(struct tls_conn *t, int d, const struct rec_hdr *rh, struct rd *rec,
			     struct tls_events *out)
{
	struct tls_half *h = &t->half[d];

	/* Each turn consumes at least one byte or returns: the loop ends. */
	while (rd_left(rec) > 0) {
		uint8_t type, l0, l1, l2;
		uint32_t len;
		struct rd msg;

		if (h->hs_left > 0) {
			size_t n = rd_left(rec) < h->hs_left ? rd_left(rec) : h->hs_left;

			(void)rd_skip(rec, n);
			h->hs_left -= (uint32_t)n;
			continue;
		}
		if (!rd_u8(rec, &type) || !rd_u8(rec, &l0) || !rd_u8(rec, &l1) ||
		    !rd_u8(rec, &l2)) {
			go_opaque(t, d, rh, FT_UNSUPPORTED,
				  "handshake header split across records, not followed", out);
			return;
		}
		len = (uint32_t)l0 << 16 | (uint32_t)l1 << 8 | l2;
		if (len <= rd_left(rec)) {
			(void)rd_sub(rec, len, &msg);
			handshake_msg(t, d, rh, type, &msg, out);
		} else {
			struct tls_ev scratch;
			struct tls_ev *e = ev_add(out, &scratch, d, rh, TLS_EV_HANDSHAKE);

			e->hs_type = type;
			e->why = "handshake message spans records, not decoded";
			h->hs_left = len - (uint32_t)rd_left(rec);
			(void)rd_skip(rec, rd_left(rec));
		}
	}
}

void tls_init(struct tls_conn *t) { memset(t, 0, sizeof *t); }

/*
 * TLSPlaintext / TLSCiphertext header (RFC 8446 5.1, 5.2):
 *
 *   uint8 type | uint16 legacy_record_version | uint16 length | fragment
 */
enum ft_status tls_sniff(const uint8_t *data, size_t len)
{
	struct rd r = rd_make(data, len);
	uint8_t type, major, minor;
	uint16_t rlen;

	if (!rd_u8(&r, &type))
		return FT_NEED_MORE;
	if (type != TLS_CT_HANDSHAKE)
		return FT_UNSUPPORTED;
	if (!rd_u8(&r, &major))
		return FT_NEED_MORE;
	if (major != 3)
		return FT_UNSUPPORTED;
	if (!rd_u8(&r, &minor) || !rd_be16(&r, &rlen))
		return FT_NEED_MORE;
	if (rlen == 0 || rlen > TLS_REC_MAX)
		return FT_UNSUPPORTED;
	return FT_OK;
}

size_t tls_feed(struct tls_conn *t, int dir, const uint8_t *data, size_t len,
		struct tls_events *out)
{
	int d = dir ? 1 : 0;
	struct tls_half *h = &t->half[d];
	struct rd r = rd_make(data, len);

	/* Each turn consumes at least one byte or leaves: the loop ends. */
	while (rd_left(&r) > 0) {
		struct rd hdr = r, body;
		struct rec_hdr rh;
		uint16_t rlen = 0;
		struct tls_ev scratch;
		struct tls_ev *e;
		bool enc;

		if (h->opaque)
			return len;
		if (h->rec_left > 0) {
			size_t n = rd_left(&r) < h->rec_left ? rd_left(&r) : h->rec_left;

			(void)rd_skip(&r, n);
			h->rec_left -= (uint32_t)n;
			continue;
		}
		if (!rd_has(&r, TLS_HDR_LEN))
			break;
		(void)rd_u8(&hdr, &rh.type);
		(void)rd_be16(&hdr, &rh.version);
		(void)rd_be16(&hdr, &rlen);
		rh.len = rlen;
		if (rh.type < TLS_CT_CCS || rh.type > TLS_CT_HEARTBEAT) {
			go_opaque(t, d, &rh, FT_MALFORMED, "not a TLS record (content type)", out);
			return len;
		}
		if (rh.version >> 8 != 3) {
			go_opaque(t, d, &rh, FT_MALFORMED, "not a TLS record (version)", out);
			return len;
		}
		if (rh.len > TLS_REC_MAX) {
			go_opaque(t, d, &rh, FT_MALFORMED, "record too long", out);
			return len;
		}
		if (h->hs_left > 0 && rh.type != TLS_CT_HANDSHAKE) {
			go_opaque(t, d, &rh, FT_MALFORMED,
				  "handshake message interrupted by another record type", out);
			return len;
		}
		enc = half_encrypted(t, d);

		if (rh.type == TLS_CT_HANDSHAKE && !enc) {
			/* Whole record or nothing (fits TLS_HELLO_MAX, see above). */
			if (!rd_has(&hdr, rh.len))
				break;
			(void)rd_sub(&hdr, rh.len, &body);
			r = hdr;
			h->n_records++;
			handshake_record(t, d, &rh, &body, out);
			continue;
		}
		if (rh.type == TLS_CT_ALERT && !enc && rh.len >= 2) {
			uint8_t level, desc;

			if (!rd_u8(&hdr, &level) || !rd_u8(&hdr, &desc))
				break;
			r = hdr;
			h->n_records++;
			e = ev_add(out, &scratch, d, &rh, TLS_EV_ALERT);
			e->alert_level = level;
			e->alert_desc = desc;
			h->rec_left = rh.len - 2;
			h->rec_len = rh.len;
			h->rec_type = rh.type;
			continue;
		}

		/* Everything else: the header gives the event, the body is skipped. */
		r = hdr;
		h->n_records++;
		h->rec_left = rh.len;
		h->rec_len = rh.len;
		h->rec_type = rh.type;
		switch (rh.type) {
		case TLS_CT_CCS:
			(void)ev_add(out, &scratch, d, &rh, TLS_EV_CCS);
			h->ccs_seen = true;
			break;
		case TLS_CT_ALERT:
			e = ev_add(out, &scratch, d, &rh, TLS_EV_ALERT);
			e->encrypted = enc;
			if (enc)
				e->guess = TLS_GUESS_CLOSE; /* TLS 1.2 after ChangeCipherSpec */
			if (!enc) {
				e->status = FT_MALFORMED;
				e->why = "alert record shorter than 2 bytes";
			}
			break;
		case TLS_CT_HANDSHAKE:
			h->hs_left = 0;
			(void)ev_add(out, &scratch, d, &rh, TLS_EV_ENCRYPTED_HS);
			break;
		case TLS_CT_APPDATA:
			if (t->tls13 && t->server_hello_seen && !t->client_fin_seen) {
				(void)ev_add(out, &scratch, d, &rh, TLS_EV_ENCRYPTED_HS);
				if (d == 0)
					t->client_fin_seen = true;
			} else if (t->tls13 && t->client_fin_seen && rh.len == TLS13_ENC_ALERT_LEN) {
				/* 2 bytes of alert, the inner content type, a 16-byte tag:
				 * no HTTP/2 frame (9-byte header) nor HTTP/1 message is
				 * that small; an alert ends the channel. */
				e = ev_add(out, &scratch, d, &rh, TLS_EV_ALERT);
				e->encrypted = true;
				e->guess = TLS_GUESS_CLOSE;
			} else if (t->tls13 && d == 1 && t->client_fin_seen && !t->appdata_seen[0] &&
				   rh.len >= TLS13_TICKET_MIN) {
				/* after the client's Finished, before its first data: the
				 * server's session tickets (RFC 8446 4.6.1); a smaller
				 * record there is rather HTTP/2's SETTINGS */
				e = ev_add(out, &scratch, d, &rh, TLS_EV_APPDATA);
				e->guess = TLS_GUESS_TICKET;
			} else {
				(void)ev_add(out, &scratch, d, &rh, TLS_EV_APPDATA);
				t->appdata_seen[d] = true;
			}
			break;
		default:
			(void)ev_add(out, &scratch, d, &rh, TLS_EV_OTHER_RECORD);
			break;
		}
	}
	return r.off;
}

uint32_t tls_partial(const struct tls_conn *t, int dir)
{
	const struct tls_half *h = &t->half[dir ? 1 : 0];
	if (h->opaque || h->rec_left == 0 || h->rec_left > h->rec_len)
		return 0;
	return TLS_HDR_LEN + h->rec_len - h->rec_left;
}

void tls_gap(struct tls_conn *t, int dir, uint64_t len, struct tls_events *out)
{
	int d = dir ? 1 : 0;
	struct tls_half *h = &t->half[d];

	if (len == 0 || h->opaque)
		return;
	/* Bytes lost inside the body of a record we skip anyway cost nothing:
	 * the next header is still where we expect it. */
	if (h->rec_left >= len) {
		h->rec_left -= (uint32_t)len;
		return;
	}
	go_opaque(t, d, NULL, FT_TRUNCATED, "bytes lost", out);
}
