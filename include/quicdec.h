/* quicdec.h - QUIC packet protection (RFC 9001 5, 6; RFC 9369) and the CRYPTO streams' TLS messages. */
#ifndef FT_QUICDEC_H
#define FT_QUICDEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quic.h"
#include "quicframe.h"
#include "status.h"
#include "tls.h"

/*
 * Two layers, both over libcrypto (EVP AEADs, AES-ECB / ChaCha20 for the
 * header protection mask, EVP_KDF "HKDF" for HKDF-Extract and
 * HKDF-Expand-Label):
 *
 *   - Keys and packets: quicdec_initial_secrets, quicdec_keys_set,
 *     quicdec_keys_next, quicdec_header, quicdec_open.  One struct
 *     quicdec_keys is one direction of one packet number space; keying it
 *     allocates two cipher contexts, opening a packet allocates nothing.
 *   - Connections: struct quicdec_conn follows one QUIC connection from
 *     both sides: Initial keys from the client's first Destination
 *     Connection ID (and again after a Retry or a compatible version
 *     switch to v2), Handshake and 1-RTT keys from the traffic secrets
 *     the caller installs (quicdec_set_secret, from a key log), key phase
 *     updates, packet numbers per space and direction, and the CRYPTO
 *     stream of each space and direction reassembled in a bounded buffer
 *     and walked as TLS handshake messages (ClientHello and ServerHello
 *     decoded by tls.c, the QUIC transport parameters of the ClientHello
 *     and EncryptedExtensions decoded here).  Buffers and cipher contexts
 *     are allocated in quicdec_new and quicdec_set_secret; quicdec_packet
 *     allocates nothing of its own.  Key derivations (libcrypto allocates
 *     an HKDF context for each) happen at setup and at rare events only:
 *     the client's first Initial, a Retry, a version switch (bounded per
 *     connection), a key update (one per update), and a Retry's integrity
 *     check (its own AES-GCM context).
 *
 * Secrets and keys never leave this module; quicdec_free and
 * quicdec_keys_free wipe them (OPENSSL_cleanse).
 */

#define QUICDEC_V1 0x00000001u
#define QUICDEC_V2 0x6b3343cfu
#define QUICDEC_SECRET_MAX 48      /* SHA-384 suites */
#define QUICDEC_CRYPTO_CAP 16384   /* default CRYPTO buffer per space and direction */
#define QUICDEC_CRYPTO_RANGES 32   /* disjoint received ranges tracked per CRYPTO stream */
#define QUICDEC_MAX_HS 8           /* handshake messages reported per packet */
#define QUICDEC_MAX_TP 32          /* transport parameters kept */
#define QUICDEC_TP_BYTES 20        /* bytes kept of a non-integer transport parameter */
#define QUICDEC_MAX_VERSIONS 8     /* Version Negotiation: versions kept */

enum quicdec_space {
	QUICDEC_SP_INITIAL = 0,
	QUICDEC_SP_HANDSHAKE,
	QUICDEC_SP_APP,            /* 1-RTT (0-RTT shares the space but is not decrypted) */
	QUICDEC_N_SPACES,
};

enum quicdec_aead {
	QUICDEC_AEAD_NONE = 0,
	QUICDEC_AES_128_GCM,       /* TLS_AES_128_GCM_SHA256, and every Initial */
	QUICDEC_AES_256_GCM,       /* TLS_AES_256_GCM_SHA384 */
	QUICDEC_CHACHA20_POLY1305, /* TLS_CHACHA20_POLY1305_SHA256 */
};

enum quicdec_status {
	QUICDEC_OK = 0,
	QUICDEC_NEED_KEY,          /* no keys for this space and direction (yet) */
	QUICDEC_AUTH_FAIL,         /* the AEAD tag did not verify: wrong keys, or not this conn */
	QUICDEC_UNSUPPORTED,       /* a version, suite or packet type not decrypted (why) */
	QUICDEC_MALFORMED,         /* the header's bytes are wrong (why) */
	QUICDEC_TRUNCATED,         /* the datagram ends inside the packet */
};

struct evp_cipher_ctx_st;

/* One direction of one packet number space (RFC 9001 5.1). */
struct quicdec_keys {
	bool ready;                          /* keyed */
	enum quicdec_aead aead;
	uint32_t version;                    /* picks the HKDF labels (v2: "quicv2 ...") */
	size_t secret_len;                   /* 32 or 48 */
	size_t key_len;                      /* 16 or 32 */
	uint8_t secret[QUICDEC_SECRET_MAX];  /* this generation's traffic secret */
	uint8_t key[32];
	uint8_t iv[12];
	uint8_t hp[32];                      /* header protection key (not changed by key updates) */
	struct evp_cipher_ctx_st *aead_ctx;  /* keyed with key */
	struct evp_cipher_ctx_st *hp_ctx;    /* keyed with hp (AES-ECB or ChaCha20) */
};

/* TLS cipher suite -> AEAD; QUICDEC_AEAD_NONE for suites QUIC does not decrypt here. */
enum quicdec_aead quicdec_aead_of_suite(uint16_t suite);

/* "AES-128-GCM" ...; NULL for NONE. */
const char *quicdec_aead_name(enum quicdec_aead a);

/*
 * Initial secrets (RFC 9001 5.2; RFC 9369 3.3.1 for v2's salt):
 * client_initial_secret and server_initial_secret from the client's first
 * Destination Connection ID.  0 done; 1 (a warning) the version has no
 * Initial salt we know (v1, v2 and drafts 29..34 do); -1 libcrypto failed.
 */
int quicdec_initial_secrets(uint32_t version, const uint8_t *dcid, size_t dcid_len,
			    uint8_t client[32], uint8_t server[32]);

/* Derive key, iv and hp from a traffic secret and key the contexts
 * (allocated the first time).  0 done, -1 failed (k is left not ready). */
int quicdec_keys_set(struct quicdec_keys *k, uint32_t version, enum quicdec_aead aead,
		     const uint8_t *secret, size_t secret_len);

/* Key update (RFC 9001 6.1): next = the generation after cur ("quic ku",
 * v2 "quicv2 ku"), with cur's header protection key.  0 done, -1 failed. */
int quicdec_keys_next(struct quicdec_keys *next, const struct quicdec_keys *cur);

/* Wipe and free (safe on a zeroed struct). */
void quicdec_keys_free(struct quicdec_keys *k);

/* A long or short header, before header protection is removed. */
struct quicdec_hdr {
	enum quic_type type;
	uint32_t version;                    /* long header; 0 for a short header */
	uint8_t dcid_len, scid_len;          /* short header: dcid_len as the caller said */
	uint8_t dcid[QUIC_CID_MAX];
	uint8_t scid[QUIC_CID_MAX];
	const uint8_t *token;                /* Initial, Retry: the token */
	size_t token_len;
	size_t pn_offset;                    /* where the protected packet number starts */
	size_t pkt_len;                      /* bytes of this packet (the next coalesced one follows) */
	uint8_t n_versions;                  /* Version Negotiation: versions in versions[] */
	uint8_t n_versions_more;             /* ... and not kept */
	uint32_t versions[QUICDEC_MAX_VERSIONS];
};

/*
 * Parse the header of the packet at p[0..len) (RFC 9000 17).
 * short_dcid_len: the Destination Connection ID length of a short header
 * (the endpoint chose it; the caller knows it from the long headers).
 * QUICDEC_OK; TRUNCATED (cut), MALFORMED (fixed bit clear, a CID above 20
 * bytes, a Length below 20), UNSUPPORTED (a version without the v1 layout:
 * only type and CIDs are filled).
 */
enum quicdec_status quicdec_header(const uint8_t *p, size_t len, size_t short_dcid_len,
				   struct quicdec_hdr *h);

/* One packet after header protection removal and decryption. */
struct quicdec_pkt {
	uint8_t first;                       /* the unprotected first byte */
	uint8_t pn_len;                      /* 1..4 */
	uint64_t pn;                         /* the full packet number (RFC 9000 A.3) */
	bool key_phase;                      /* short header: the Key Phase bit */
	bool reserved_set;                   /* the Reserved Bits were not 0 (RFC 9000 17.2) */
	const uint8_t *payload;              /* the plaintext: frames (in the caller's out) */
	size_t payload_len;
};

/*
 * Remove header protection (RFC 9001 5.4) with k, decode the packet
 * number from the largest received in that space (have_largest false:
 * none yet), decrypt the payload (RFC 9001 5.3: AEAD, the header as AAD)
 * into out (out_cap >= h->pkt_len always suffices).  p is not modified.
 * QUICDEC_OK, AUTH_FAIL, NEED_KEY (k not ready), TRUNCATED (too short to
 * sample).  Allocates nothing.
 */
enum quicdec_status quicdec_open(struct quicdec_keys *k, const uint8_t *p,
				 const struct quicdec_hdr *h, bool have_largest, uint64_t largest,
				 uint8_t *out, size_t out_cap, struct quicdec_pkt *res);

/*
 * Retry Integrity Tag (RFC 9001 5.8, RFC 9369 3.3.3): the Retry packet
 * p[0..len) against the client's original Destination Connection ID.
 * 1 valid, 0 not, -1 unknown version or libcrypto failure.
 */
int quicdec_retry_check(const uint8_t *p, size_t len, const uint8_t *odcid, size_t odcid_len);

/*
 * Packet number decoding (RFC 9000 A.3): the truncated pn_len-byte
 * number nearest to the next expected one.
 */
uint64_t quicdec_pn_decode(bool have_largest, uint64_t largest, uint64_t truncated,
			   unsigned pn_len);

/* ------------------------------------------------------------------ */
/* Transport parameters (RFC 9000 18)                                  */
/* ------------------------------------------------------------------ */

struct quicdec_tp_param {
	uint64_t id;
	bool is_int;                 /* a varint-valued parameter: value holds it */
	uint64_t value;
	uint16_t len;                /* value bytes on the wire */
	uint8_t n_bytes;             /* bytes kept in bytes[] (CIDs, tokens, other) */
	uint8_t bytes[QUICDEC_TP_BYTES];
};

struct quicdec_tp {
	uint8_t n, n_dropped;
	struct quicdec_tp_param p[QUICDEC_MAX_TP];
	enum ft_status status;       /* OK, TRUNCATED or MALFORMED (why) */
	const char *why;
};

/* The quic_transport_parameters extension's body (0x39). */
enum ft_status quicdec_tp_decode(const uint8_t *p, size_t len, struct quicdec_tp *tp);

/* "initial_max_data", "max_idle_timeout", ...; NULL unknown (GREASE ids included). */
const char *quicdec_tp_name(uint64_t id);

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

struct quicdec_conn;

/* A TLS handshake message whole in a CRYPTO stream. */
struct quicdec_hs {
	uint8_t space;               /* enum quicdec_space */
	uint8_t dir;                 /* 0 client to server, 1 server to client */
	uint8_t type;                /* TLS_HS_* */
	uint32_t len;                /* body length */
	uint64_t offset;             /* where it starts in the CRYPTO stream */
	const uint8_t *msg;          /* the whole message (header + body), NULL when larger than the
	                                buffer (then not decoded); valid until the next call */
	enum ft_status status;       /* OK, or MALFORMED for a hello / EncryptedExtensions that did
	                                not decode, UNSUPPORTED for one too large (why) */
	const char *why;
};

/* What one packet gave. */
struct quicdec_result {
	enum quicdec_status status;
	const char *why;             /* static text, with any status (a note when OK) */
	struct quicdec_hdr hdr;      /* hdr.pkt_len: bytes of the datagram this packet took */
	enum quicdec_space space;
	struct quicdec_pkt pkt;      /* status OK */
	bool key_updated;            /* this packet moved its direction to the next key phase */
	int retry_tag;               /* Retry: quicdec_retry_check's answer, -1 unchecked */
	struct quicframe_events frames;  /* status OK: the payload's frames */
	uint8_t n_hs, n_hs_dropped;
	struct quicdec_hs hs[QUICDEC_MAX_HS];
	bool has_ch, has_sh, has_ee; /* a ClientHello / ServerHello / EncryptedExtensions decoded */
	struct tls_client_hello ch;
	uint8_t client_random[32];
	struct tls_server_hello sh;
	bool ee_has_alpn;            /* EncryptedExtensions: ALPN the server chose */
	uint8_t ee_alpn_len;
	char ee_alpn[TLS_ALPN_MAX];
	bool has_tp;                 /* transport parameters (ClientHello or EncryptedExtensions) */
	uint8_t tp_dir;              /* whose */
	struct quicdec_tp tp;
	bool crypto_dropped;         /* CRYPTO bytes outside the buffer or range list were dropped */
};

/*
 * A connection with CRYPTO buffers of crypto_cap bytes per space and
 * direction (0: QUICDEC_CRYPTO_CAP).  NULL when out of memory.
 */
struct quicdec_conn *quicdec_new(size_t crypto_cap);

/* Wipe every secret and key, free.  NULL is fine. */
void quicdec_free(struct quicdec_conn *c);

/*
 * Install the traffic secret of a space and direction: Handshake from
 * CLIENT/SERVER_HANDSHAKE_TRAFFIC_SECRET, 1-RTT from
 * CLIENT/SERVER_TRAFFIC_SECRET_0 (key log lines of the client random,
 * quicdec_client_random).  The AEAD follows the cipher suite of the
 * ServerHello this connection decoded (or quicdec_set_suite).  Allocates.
 * 0 done; 1 (a warning) the suite is unknown or not decrypted; -1 failed.
 */
int quicdec_set_secret(struct quicdec_conn *c, enum quicdec_space sp, int dir,
		       const uint8_t *secret, size_t len);

/* The cipher suite, when no ServerHello was seen (e.g. from a key log tool). */
void quicdec_set_suite(struct quicdec_conn *c, uint16_t suite);

/* The ServerHello's cipher suite, 0 before it. */
uint16_t quicdec_suite(const struct quicdec_conn *c);

/* The ClientHello's random (the key log's key): false before a ClientHello was decoded. */
bool quicdec_client_random(const struct quicdec_conn *c, uint8_t out[32]);

/* The version the Initial keys were derived for (0 before the client's first Initial). */
uint32_t quicdec_version(const struct quicdec_conn *c);

/*
 * Where the CRYPTO stream of a space and direction stands: *done is the
 * offset up to which messages were handed up, *contig where the bytes
 * received without a hole end, *highest the highest offset received.
 */
void quicdec_crypto_state(const struct quicdec_conn *c, enum quicdec_space sp, int dir,
			  uint64_t *done, uint64_t *contig, uint64_t *highest);

/*
 * Decode the packet at the start of p[0..len) (one UDP datagram's payload
 * from offset 0, or after the coalesced packets before it): header,
 * protection, frames, CRYPTO reassembly, handshake messages.  dir 0 is
 * client to server.  plain (plain_cap >= len) receives the plaintext.
 * res->hdr.pkt_len is how far to move for the next coalesced packet; when
 * the header itself did not parse it is len (stop).  Returns res->status.
 */
enum quicdec_status quicdec_packet(struct quicdec_conn *c, int dir, const uint8_t *p, size_t len,
				   uint8_t *plain, size_t plain_cap, struct quicdec_result *res);

const char *quicdec_status_name(enum quicdec_status st);

#endif
