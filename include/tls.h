/* tls.h - streaming TLS record layer and hello decoder (RFC 8446, RFC 5246). */
#ifndef FT_TLS_H
#define FT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define TLS_NAME_MAX 256      /* bytes kept of an SNI name */
#define TLS_MAX_ALPN 8        /* ALPN protocols kept */
#define TLS_ALPN_MAX 32       /* bytes kept of one ALPN protocol id */
#define TLS_MAX_VERSIONS 8    /* supported_versions entries kept */
#define TLS_MAX_EVENTS 8      /* events kept for one feed; more are counted */
#define TLS_HELLO_MAX 65536   /* a hello record larger than this is not followed */

/* Record content types (RFC 8446 5.1). */
enum {
	TLS_CT_CCS = 20, TLS_CT_ALERT = 21, TLS_CT_HANDSHAKE = 22, TLS_CT_APPDATA = 23,
	TLS_CT_HEARTBEAT = 24,
};

/* Handshake types we name (RFC 8446 4). */
enum {
	TLS_HS_CLIENT_HELLO = 1, TLS_HS_SERVER_HELLO = 2, TLS_HS_NEW_SESSION_TICKET = 4,
	TLS_HS_ENCRYPTED_EXTENSIONS = 8, TLS_HS_CERTIFICATE = 11, TLS_HS_SERVER_KEY_EXCHANGE = 12,
	TLS_HS_CERTIFICATE_REQUEST = 13, TLS_HS_SERVER_HELLO_DONE = 14,
	TLS_HS_CERTIFICATE_VERIFY = 15, TLS_HS_CLIENT_KEY_EXCHANGE = 16, TLS_HS_FINISHED = 20,
	TLS_HS_KEY_UPDATE = 24,
};

/* What a ClientHello offers. */
struct tls_client_hello {
	uint16_t legacy_version;            /* client_version field */
	uint16_t n_ciphers;                 /* cipher suites offered */
	bool has_sni;                       /* server_name present */
	uint16_t sni_len;                   /* bytes in sni (raw; the output escapes) */
	bool sni_cut;                       /* longer than TLS_NAME_MAX */
	char sni[TLS_NAME_MAX];
	uint8_t n_alpn;                     /* protocols in alpn[] */
	uint8_t alpn_len[TLS_MAX_ALPN];
	char alpn[TLS_MAX_ALPN][TLS_ALPN_MAX];
	uint8_t n_versions;                 /* supported_versions entries (0: extension absent) */
	uint16_t versions[TLS_MAX_VERSIONS];
};

/* What a ServerHello chose. */
struct tls_server_hello {
	uint16_t legacy_version;            /* server_version field */
	uint16_t version;                   /* negotiated: supported_versions if present, else legacy */
	uint16_t cipher;                    /* cipher suite chosen */
	bool hello_retry;                   /* a HelloRetryRequest (RFC 8446 4.1.3 magic random) */
	bool has_alpn;
	uint8_t alpn_len;
	char alpn[TLS_ALPN_MAX];            /* the ALPN protocol chosen */
};

enum tls_ev_kind {
	TLS_EV_CLIENT_HELLO = 1,   /* ch is filled */
	TLS_EV_SERVER_HELLO,       /* sh is filled */
	TLS_EV_HANDSHAKE,          /* another plaintext handshake message: hs_type */
	TLS_EV_ENCRYPTED_HS,       /* an encrypted handshake record (TLS 1.3 after ServerHello, or
	                              TLS 1.2 Finished after CCS): record length */
	TLS_EV_CCS,                /* ChangeCipherSpec */
	TLS_EV_ALERT,              /* alert: level and description when plaintext, else encrypted */
	TLS_EV_APPDATA,            /* an application data record: record length */
	TLS_EV_OTHER_RECORD,       /* heartbeat or unknown content type */
	TLS_EV_OPAQUE,             /* not TLS we can follow from here (why) */
	TLS_EV_DEC_HS,             /* a handshake message decrypted with the key log: msg */
	TLS_EV_DEC_NOTE,           /* what decryption could not do on this connection (why, noted
	                              once): a wrong key, a suite not decrypted, a cap */
};

/* A guess from a record's shape, when it is not decrypted (issue 10). */
enum tls_guess {
	TLS_GUESS_NONE = 0,
	TLS_GUESS_TICKET,          /* TLS 1.3: a server record after the client's Finished and before
	                              the client's first data: likely NewSessionTicket */
	TLS_GUESS_CLOSE,           /* an encrypted alert (TLS 1.3: 19 bytes of content, the size of an
	                              encrypted 2-byte alert): likely close_notify */
};

struct tlsmsg;

struct tls_ev {
	enum tls_ev_kind kind;
	uint8_t dir;                /* 0 client to server, 1 server to client */
	uint8_t content_type;       /* record content type */
	uint16_t rec_version;       /* record layer version field */
	uint32_t rec_len;           /* record length (of the record this event is about) */
	uint8_t hs_type;            /* TLS_EV_HANDSHAKE: handshake type */
	bool encrypted;             /* TLS_EV_ALERT: the alert is encrypted */
	uint8_t alert_level, alert_desc;
	const struct tls_client_hello *ch;  /* TLS_EV_CLIENT_HELLO (valid until the next feed) */
	const struct tls_server_hello *sh;  /* TLS_EV_SERVER_HELLO */
	enum ft_status status;      /* FT_OK, or MALFORMED for a hello that did not decode */
	const char *why;            /* static text when status != FT_OK or for TLS_EV_OPAQUE */
	uint8_t guess;              /* enum tls_guess: APPDATA or ALERT records not decrypted */
	bool decrypted;             /* decrypted with the key log (ALERT, APPDATA, DEC_HS) */
	uint32_t pt_len;            /* decrypted: plaintext bytes of the record */
	const struct tlsmsg *msg;   /* TLS_EV_DEC_HS: the message (valid until the next packet) */
};

struct tls_events {
	uint8_t n;
	uint8_t n_dropped;
	struct tls_ev ev[TLS_MAX_EVENTS];
	struct tls_client_hello ch;  /* the ClientHello of this feed, if any */
	struct tls_server_hello sh;  /* the ServerHello of this feed, if any */
};

/* One direction's record-layer state. */
struct tls_half {
	uint32_t rec_left;          /* bytes of the current (skipped) record still to come */
	uint32_t rec_len;           /* its length (the header's) */
	uint8_t rec_type;           /* its content type */
	bool ccs_seen;              /* this side sent ChangeCipherSpec: what follows is encrypted */
	bool opaque;                /* gave up on this direction */
	uint32_t n_records;         /* records seen */
	uint32_t hs_left;           /* bytes of a handshake message that continue in the next
	                               handshake record(s): skipped, already reported */
};

struct tls_conn {
	struct tls_half half[2];    /* 0 client, 1 server */
	bool tls13;                 /* the ServerHello chose TLS 1.3: handshake records after it are
	                               encrypted */
	bool server_hello_seen;
	bool appdata_seen[2];       /* application data seen from each side */
	uint16_t version;           /* negotiated version, 0 until the ServerHello */
	bool client_fin_seen;       /* TLS 1.3: the client's first encrypted record (taken as its
	                               Finished) passed; later type-23 records are application data */
};

void tls_init(struct tls_conn *t);

/* Bytes taken so far of a record whose body is being skipped and has more
 * to come, its header included (0: none): the "TLS record continues"
 * of a segment in the middle of a record. */
uint32_t tls_partial(const struct tls_conn *t, int dir);

/* Does a stream (client side) start with a TLS handshake record?
 * FT_OK yes, FT_NEED_MORE too short to tell, FT_UNSUPPORTED no. */
enum ft_status tls_sniff(const uint8_t *data, size_t len);

/*
 * Feed in-order bytes of one direction.  Returns bytes consumed: a
 * plaintext handshake record (up to TLS_HELLO_MAX) is consumed only when
 * whole, so a ClientHello split across segments decodes; other records
 * are consumed as they pass (header first, then the body skipped).
 * Never reads outside data[0..len), never allocates.
 */
size_t tls_feed(struct tls_conn *t, int dir, const uint8_t *data, size_t len,
		struct tls_events *out);

/*
 * Decode the body of one whole ClientHello / ServerHello handshake message
 * (after its 4-byte header) that came without a record layer: QUIC carries
 * handshake messages in CRYPTO frames (RFC 9001 4).  NULL when it decoded,
 * else why not (static text).  Pure.
 */
const char *tls_client_hello_decode(const uint8_t *body, size_t len, struct tls_client_hello *ch);
const char *tls_server_hello_decode(const uint8_t *body, size_t len, struct tls_server_hello *sh);

/* `len` bytes of this direction were lost: give up following it. */
void tls_gap(struct tls_conn *t, int dir, uint64_t len, struct tls_events *out);

/* Names: "TLS 1.3", "ClientHello", "TLS_AES_128_GCM_SHA256", "handshake_failure"; NULL unknown. */
const char *tls_version_name(uint16_t v);
const char *tls_hs_name(uint8_t type);
const char *tls_cipher_name(uint16_t suite);
const char *tls_alert_name(uint8_t desc);

#endif
