/* tlsdec.h - per-connection TLS record decryption from key log secrets (RFC 8446, RFC 5246, RFC 5288, RFC 7905). */
#ifndef FT_TLSDEC_H
#define FT_TLSDEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keylog.h"

/*
 * One struct tlsdec per TLS connection, set up when its ServerHello is
 * seen (the version and cipher suite are known).  tlsdec_init allocates
 * (two cipher contexts); tlsdec_record never does; tlsdec_free wipes every
 * key and secret.  Cryptography is libcrypto's: EVP AEAD ciphers, EVP_KDF
 * "HKDF" (HKDF-Expand-Label, RFC 8446 7.1) and "TLS1-PRF" (RFC 5246 5),
 * EVP_MAC "HMAC" for the TLS 1.2 CBC suites.
 *
 * The contract, per direction (0 client to server, 1 server to client):
 *
 *   - Pass every record of that direction that follows the ServerHello, in
 *     order, whole (the 5-byte header and the fragment).  Unprotected
 *     records come back as they are (TLSDEC_OK, *inner_type = the record's
 *     type): a TLS 1.3 ChangeCipherSpec, TLS 1.2 records before that side's
 *     ChangeCipherSpec.  Protected records are decrypted into out.
 *   - TLS 1.3 starts each direction on its handshake traffic secret.  The
 *     decrypted handshake messages are walked (across records): after the
 *     record that ends with that direction's Finished, the direction moves
 *     to its application traffic secret 0 (RFC 8446 5.1: the Finished ends
 *     its record); after a record that carries a KeyUpdate, to the next
 *     generation ("traffic upd", RFC 8446 7.2).  A caller that knows better
 *     (TLSDEC_F_MANUAL) makes those moves itself with tlsdec_app_keys and
 *     tlsdec_key_update.
 *   - TLS 1.3 0-RTT: the client's records between its ClientHello and its
 *     first handshake-key record may be early data (and EndOfEarlyData)
 *     under CLIENT_EARLY_TRAFFIC_SECRET.  Pass them as any other record
 *     once set up (hold them until the ServerHello): a client record that
 *     fails under the handshake key before any succeeded is tried under the
 *     early key (its own sequence numbers); *inner_type tells data (23)
 *     from EndOfEarlyData (22).  tlsdec_early() counts them.  Without the
 *     early secret such a record is TLSDEC_AUTH_FAIL but takes no sequence
 *     number and does not set tlsdec_auth_failed (it may be early data).
 *   - TLS 1.2: from that side's ChangeCipherSpec on, records are protected;
 *     sequence numbers start at 0 there (RFC 5246 6.1).  Renegotiation is
 *     not followed (its new keys fail to authenticate).
 *   - After a HelloRetryRequest, set up at the second (real) ServerHello;
 *     the client random is the same in both ClientHellos (RFC 8446 4.1.2).
 *   - TLSDEC_NEED_KEY: the key log has no secret for this record yet.  The
 *     record was not consumed: the caller may hold it (bounded), call
 *     keylog_refresh, and pass it again; or give up on it with tlsdec_skip
 *     so that the sequence numbers stay right.  Secrets are looked up in
 *     the key log each time a record needs one, never before.
 *   - Every other status consumes the record's sequence number.
 *     TLSDEC_AUTH_FAIL: the tag did not verify (a wrong key log, or records
 *     lost): out holds nothing; tlsdec_auth_failed() says so from then on,
 *     so that the caller notes it once.  TLSDEC_UNSUPPORTED: the suite or
 *     version is not decrypted (tlsdec_why says which).  TLSDEC_MALFORMED:
 *     the bytes are not a record this could decrypt (a length that does
 *     not match, a fragment shorter than nonce and tag, TLS 1.3 padding
 *     with no content type, bad CBC padding); a slice whose header length
 *     does not match len consumes nothing.
 *   - out_cap >= TLSDEC_OUT_MAX always suffices (at least the record's
 *     fragment length is needed).
 */

#define TLSDEC_OUT_MAX (16384 + 2048)   /* the largest fragment (RFC 5246 6.2.3) */
#define TLSDEC_F_MANUAL 1u              /* the caller moves TLS 1.3 keys (see above) */
#define TLSDEC_HASH_MAX 48
#define TLSDEC_WHY_MAX 96

enum tlsdec_status {
	TLSDEC_OK = 0,
	TLSDEC_NEED_KEY,
	TLSDEC_AUTH_FAIL,
	TLSDEC_UNSUPPORTED,
	TLSDEC_MALFORMED,
};

/* TLS 1.3 key epochs of one direction. */
enum tlsdec_epoch {
	TLSDEC_EPOCH_NONE = 0,      /* TLS 1.2 before ChangeCipherSpec: plaintext */
	TLSDEC_EPOCH_HANDSHAKE,     /* TLS 1.3 handshake traffic secret; TLS 1.2 after CCS */
	TLSDEC_EPOCH_APP,           /* TLS 1.3 application traffic secret N */
};

struct tlsdec_suite;
struct evp_cipher_ctx_st;
struct evp_mac_ctx_st;
struct cwork;

/* One direction's keys and counters. */
struct tlsdec_dir {
	struct evp_cipher_ctx_st *ctx;     /* EVP_CIPHER_CTX, keyed when have_key */
	enum tlsdec_epoch epoch;
	bool have_key;                     /* key/iv derived for this epoch */
	uint64_t seq;                      /* records protected in this epoch so far */
	uint32_t generation;               /* TLS 1.3 application secret N (key updates) */
	uint8_t secret[TLSDEC_HASH_MAX];   /* TLS 1.3: the current traffic secret */
	uint8_t key[32];
	uint8_t iv[12];                    /* TLS 1.3 / ChaCha20: 12; TLS 1.2 GCM: 4-byte salt */
	struct evp_mac_ctx_st *mac;        /* EVP_MAC_CTX (HMAC), TLS 1.2 CBC suites only */
	uint8_t mac_key[TLSDEC_HASH_MAX];  /* TLS 1.2 CBC suites */
	/* TLS 1.3 handshake message walker (finds Finished and KeyUpdate) */
	uint32_t hs_left;                  /* body bytes of the current message still to come */
	uint8_t hs_hdr[4];                 /* a message header split across records */
	uint8_t hs_hdr_len;
	uint8_t hs_type;                   /* type of the message hs_left belongs to */
	bool etm;                          /* TLS 1.2 CBC: encrypt-then-MAC (RFC 7366) seen */
	bool mte;                          /* TLS 1.2 CBC: MAC-then-encrypt seen (EtM no longer tried) */
	uint32_t n_ok, n_auth_fail;        /* records decrypted, records that failed */
	/* a record decrypted as its pieces come (tlsdec_stream_*) */
	bool st_on;                        /* begun, not ended nor aborted */
	bool st_err;                       /* libcrypto refused a piece (in line) */
	bool st_werr;                      /* the worker's libcrypto refused the start or a piece */
	bool st_wok;                       /* the worker's verdict on the tag */
	uint64_t st_ticket;                /* cwork: the last job queued */
	uint8_t st_nonce[12], st_aad[13];  /* the record's, for the worker's start */
	uint8_t st_type;                   /* the record's header: type, version */
	uint16_t st_version;
	uint16_t st_frag_len;              /* its fragment's length */
	uint16_t st_pos;                   /* fragment bytes taken so far */
	uint8_t st_expl[8];                /* TLS 1.2 GCM: the explicit nonce, as it comes */
	uint8_t st_tag[16];                /* the tag, as it comes */
};

struct tlsdec {
	uint16_t version;                  /* 0x0303 or 0x0304 */
	uint16_t suite;                    /* cipher suite */
	unsigned flags;
	const struct tlsdec_suite *cs;     /* NULL: not decrypted (why) */
	const struct keylog *kl;           /* where secrets come from; outlives this */
	uint8_t client_random[32];
	uint8_t server_random[32];
	struct tlsdec_dir dir[2];
	bool auth_failed;                  /* a record failed to authenticate */
	struct evp_cipher_ctx_st *early_ctx;  /* 0-RTT: keyed with the client early key */
	struct evp_cipher_ctx_st *ks_ctx;     /* tlsdec_stream_differs' keystream, made when first needed */
	uint8_t early_iv[12];
	uint64_t early_seq;                /* early records decrypted */
	struct cwork *cw;                  /* streamed pieces decrypted there, or NULL: in line */
	char why[TLSDEC_WHY_MAX];          /* what is not decrypted, "" when all is */
};

/*
 * Set up a connection: version from the ServerHello (0x0304 from
 * supported_versions, else the legacy version), the cipher suite it chose,
 * the two hello randoms.  0 ready; 1 (a warning) the version or suite is
 * not decrypted: every protected record will be TLSDEC_UNSUPPORTED and
 * tlsdec_why says "cipher suite 0x1304 (TLS_AES_128_CCM_SHA256): not
 * decrypted"; -1 out of memory.  tlsdec_free is needed in every case.
 */
int tlsdec_init(struct tlsdec *t, uint16_t version, uint16_t suite,
		const uint8_t client_random[32], const uint8_t server_random[32],
		const struct keylog *kl, unsigned flags);

/*
 * One whole record rec[0..len) of direction dir: its plaintext content
 * into out (TLS 1.3: without the inner content type and padding), its
 * length in *out_len, its true content type in *inner_type.
 */
enum tlsdec_status tlsdec_record(struct tlsdec *t, int dir, const uint8_t *rec, size_t len,
				 uint8_t *out, size_t out_cap, size_t *out_len,
				 uint8_t *inner_type);

/*
 * The same, for a record whose fragment comes in pieces (a record across
 * TCP segments), without gathering it first: the pieces are decrypted
 * straight into out as they come (EVP's streaming AEAD), the tag checked at
 * the end.  Only AEAD suites (AES-GCM, ChaCha20-Poly1305) and only
 * protected records with their key at hand stream; tlsdec_stream_begin
 * says false for anything else (a CBC suite, a plaintext record, no
 * secret yet, a client record that may be 0-RTT early data, a fragment
 * longer than out_cap) and the caller passes the record whole as before.
 * Nothing changes until tlsdec_stream_end: then the result, the sequence
 * number and every other effect are tlsdec_record's for the same record.
 *
 *   begin(hdr) - update(piece) ... update(piece) - end      (or abort)
 *
 * out is the same buffer, at least the fragment long, from begin to end:
 * update writes each piece's plaintext at its place there (unauthenticated
 * until end says TLSDEC_OK; end wipes it otherwise).  The pieces are the
 * fragment's bytes in order, frag_len in all, before end.
 *
 * With cw (not NULL; it outlives t) the pieces are decrypted on the
 * worker's thread (cwork.h): out is written there until end, abort,
 * differs or tlsdec_free, which wait for it.  A kept piece is read where
 * it is, not copied: it stays until cwork_drain.
 */
bool tlsdec_stream_begin(struct tlsdec *t, int dir, const uint8_t hdr[5], size_t out_cap,
			 struct cwork *cw);
void tlsdec_stream_update(struct tlsdec *t, int dir, const uint8_t *piece, size_t len,
			  bool kept, uint8_t *out);
enum tlsdec_status tlsdec_stream_end(struct tlsdec *t, int dir, uint8_t *out, size_t *out_len,
				     uint8_t *inner_type);
/* Give up a record begun (its bytes were lost): as if it never began. */
void tlsdec_stream_abort(struct tlsdec *t, int dir);
/* A retransmission brings again fragment bytes [pos, pos + len) of the
 * record being streamed: do they differ from the ones taken there (pos +
 * len within what update took; out as given to update)?  The ciphertext
 * taken is not kept: its plaintext is encrypted again (the AEAD's own
 * counter-mode keystream, RFC 5116 / RFC 8439) to compare. */
bool tlsdec_stream_differs(struct tlsdec *t, int dir, size_t pos, const uint8_t *bytes,
			   size_t len, const uint8_t *out);

/* TLS 1.3: move dir to its application traffic secret 0 (TLSDEC_F_MANUAL callers). */
void tlsdec_app_keys(struct tlsdec *t, int dir);

/* TLS 1.3: a KeyUpdate from dir was decrypted: its next traffic secret. */
void tlsdec_key_update(struct tlsdec *t, int dir);

/* A record held for NEED_KEY that the caller gives up on: count its sequence number. */
void tlsdec_skip(struct tlsdec *t, int dir);

bool tlsdec_auth_failed(const struct tlsdec *t);

/* Client records decrypted as 0-RTT early data (EndOfEarlyData included). */
uint64_t tlsdec_early(const struct tlsdec *t);

/* What is not decrypted and why ("" when nothing). */
const char *tlsdec_why(const struct tlsdec *t);

const char *tlsdec_status_name(enum tlsdec_status st);

/* Wipe keys and secrets, free the cipher contexts.  Safe on a zeroed struct. */
void tlsdec_free(struct tlsdec *t);

/* RFC 8446 7.1 HKDF-Expand-Label(secret, label, context, out_len) with the
 * suite hash md ("SHA256", "SHA384"); exposed for tests and QUIC (RFC 9001
 * 5.1).  0 on success. */
int tlsdec_expand_label(const char *md, const uint8_t *secret, size_t secret_len,
			const char *label, const uint8_t *ctx, size_t ctx_len,
			uint8_t *out, size_t out_len);

#endif
