/* tlslayer.h - the TLS layer of a connection's stream: whole records, decrypted with the key log's
 * secrets when it has them, their plaintext handed up to the application decoder. */
#ifndef FT_TLSLAYER_H
#define FT_TLSLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keylog.h"
#include "tls.h"
#include "tlsdec.h"
#include "tlsmsg.h"

/*
 * The layer sits between the reassembled byte stream and the application
 * decoder (DESIGN.md, "Data flow"):
 *
 *   transport bytes -> tls_feed (records recognised, hellos decoded)
 *                   -> tlsdec (decrypted when the key log has the secret)
 *                   -> handshake messages (tlsmsg) | alerts | plaintext -> app
 *
 * Without a key log nothing here runs: tls_feed alone follows the records.
 * With one, the layer takes whole records (a record is left to the
 * reassembler until it is whole: at most 18 KiB) or, for a protected
 * record whose key is at hand, its pieces as they come, decrypted in place
 * (tlsl_partial); and one struct tlsl is
 * allocated per connection at its ClientHello (never per packet): the
 * decryption state and per direction a plaintext buffer (a message head or
 * a handshake message that spans records) and a hold for records whose
 * secret is not in the key log yet.  Live connections with a layer are
 * capped (max_live), held bytes are capped per direction (TLSL_HOLD_MAX)
 * and in total (held_cap); what a cap refuses is counted and noted on the
 * connection, never silent.  tlsl_free wipes keys and plaintext.
 */

#define TLSL_HOLD_MAX (64u * 1024)                 /* held record bytes per direction */
#define TLSL_PT_KEEP 16384u                        /* plaintext an app may leave unconsumed */
#define TLSL_PT_CAP (TLSL_PT_KEEP + TLSDEC_OUT_MAX) /* per direction */
#define TLSL_DEFAULT_MAX_LIVE 256                  /* connections decrypting at once */
#define TLSL_DEFAULT_HELD_CAP (4u * 1024 * 1024)   /* held bytes of all connections */
#define TLSL_REFRESH_MS 1                          /* key log re-read (a stat, then the new
                                                      lines) at most this often, packet time:
                                                      on loopback a client writes its secrets
                                                      a millisecond after the ServerHello */

#define TLSL_SPARE 4  /* freed layers kept for reuse */

struct tlsl;

/* Shared by every connection of a tracer. */
struct tlsl_pool {
	uint32_t n_live;            /* layers allocated now */
	uint32_t max_live;          /* cap on n_live */
	uint64_t held_bytes;        /* record bytes held for a key now */
	uint64_t held_cap;          /* cap on held_bytes */
	uint64_t n_refused;         /* connections not decrypted: max_live reached, or no memory */
	uint64_t n_hold_dropped;    /* records given up while waiting for a key (a cap) */
	uint64_t n_decrypted;       /* records decrypted */
	uint64_t n_auth_failed;     /* connections whose records failed to authenticate */
	struct cwork *cw;           /* streamed records' pieces decrypted there (NULL: in line) */
	/* layers freed, wiped, kept for the next connections: a layer is
	 * ~200 KiB, which malloc maps and unmaps each time (page faults, and
	 * with the worker a TLB shootdown across cores) */
	struct tlsl *spare[TLSL_SPARE];
	unsigned n_spare;
	bool cw_tried;              /* cwork_new was called (at the first record streamed) */
};

/* The application decoder above: it gets the plaintext of application
 * data records of direction dir, returns what it consumed (the rest is
 * offered again in front of the next plaintext, up to TLSL_PT_KEEP). */
typedef size_t (*tlsl_app_fn)(void *ctx, int dir, const uint8_t *pt, size_t len);
/* len plaintext bytes of direction dir will never come (a cap): skip. */
typedef void (*tlsl_app_gap_fn)(void *ctx, int dir, uint64_t len);

/* What one feed needs from the tracer. */
struct tlsl_env {
	struct keylog *kl;            /* NULL: no decryption, tls_feed alone */
	struct tlsl_pool *pool;
	uint64_t now_ms;              /* the packet's time: the refresh rate limit's clock */
	struct tls_events *tev;       /* events of this packet */
	struct tlsmsg *msgs;          /* [TLS_MAX_EVENTS]: decrypted messages of this packet */
	unsigned *n_msgs;             /* used of msgs */
	tlsl_app_fn app;
	tlsl_app_gap_fn app_gap;
	void *app_ctx;
	size_t *rec_end;              /* may be NULL: tlsl_feed sets it, before the plaintext
	                                 of a record goes up, to where the record ends in its
	                                 data (exclusive); 0 while what goes up came before */
	bool kept;                    /* the data fed stays where it is until tlsl_pool_drain
	                                 (a packet's bytes in a mapped capture file) */
};

struct tlsl;

/*
 * Feed in-order stream bytes of direction dir of a TLS connection (its
 * record state tc, its layer *lp, NULL until allocated here).  Returns the
 * bytes consumed: whole records only (a partial record waits in the
 * reassembler), or everything once the direction is not TLS any more.
 */
size_t tlsl_feed(struct tls_conn *tc, struct tlsl **lp, int dir, const uint8_t *data, size_t len,
		 const struct tlsl_env *env);

/*
 * A packet of the connection came (either direction): records held for a
 * key are tried again (the key log re-read, rate-limited), so what waited
 * shows as soon as the secret is there, on this packet's line.
 */
void tlsl_poll(struct tls_conn *tc, struct tlsl *l, const struct tlsl_env *env);

/*
 * A protected record that does not end in the bytes fed is decrypted as
 * its pieces come (straight from the segments, not gathered): those bytes
 * are consumed, though nothing of the record shows before its end.
 * tlsl_partial: how many bytes of such a record (header included) were
 * taken so far, 0 none: what a reassembler would hold of it.  A gap (the
 * rest will never come) must be told first with tlsl_abandon, which drops
 * the record and returns the same count: those bytes are lost with it.
 */
uint32_t tlsl_partial(const struct tlsl *l, int dir);
uint32_t tlsl_abandon(struct tlsl *l, int dir);
/* A retransmission: do bytes[0..len), ending back - len bytes before the
 * end of what dir fed (back >= len), differ from the ones taken there?
 * Only the record decrypted as it comes is held (reasm_differs_fn). */
bool tlsl_differs(struct tlsl *l, int dir, uint64_t back, const uint8_t *bytes, size_t len);

/* Did dir send decrypted application data (a record whose inner type is 23)? */
bool tlsl_appdata_seen(const struct tlsl *l, int dir);

/* Is the layer decrypting this connection (a secret worked)? */
bool tlsl_decrypting(const struct tlsl *l);

/* The ALPN protocol the server chose, as decrypted (EncryptedExtensions) or
 * from a plaintext ServerHello; "" none.  NUL-terminated, raw bytes. */
const char *tlsl_alpn(const struct tlsl *l);

/* Wipe (keys, plaintext, held records) and free; *lp becomes NULL. */
void tlsl_free(struct tlsl **lp, struct tlsl_pool *pool);
/* Every piece queued to the pool's worker done: kept bytes (tlsl_env) may go. */
void tlsl_pool_drain(struct tlsl_pool *pool);
/* The pool's worker stopped (after every layer is freed). */
void tlsl_pool_end(struct tlsl_pool *pool);

#endif
