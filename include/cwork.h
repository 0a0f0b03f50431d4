/* cwork.h - pieces of TLS records decrypted on a second core (issue 15). */
#ifndef FT_CWORK_H
#define FT_CWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A record streamed from its segments (tlsdec_stream_*) is decrypted
 * piece by piece as the pieces come; nothing of it is read before its
 * last piece.  So the pieces need not be decrypted when they come, only
 * by then: the tracer's thread queues each piece and goes on with the
 * next packet, while a worker thread runs libcrypto on them in the order
 * they were queued (the record's start, its pieces, its tag).  Before the tracer reads the plaintext,
 * authenticates the record or touches the cipher context again (the
 * record's end, an abandoned record, a retransmission compared, the keys
 * freed) it waits for the pieces queued so far (cwork_wait), doing the
 * next ones itself meanwhile rather than spinning.  A piece is read where
 * it lies when the caller says it stays there (kept: a packet in a mapped
 * capture file, until cwork_drain), else copied into a ring first.
 * The output is the same, byte for byte, as when every piece is decrypted
 * where it comes (FETCHTRACE_DECRYPT_THREAD=0, or one CPU).
 *
 * One producer (the tracer's thread).  Bounded: CWORK_JOBS pieces queued
 * and CWORK_BYTES bytes copied at most; a full queue makes the producer
 * do pieces itself, it never grows.  FETCHTRACE_CWORK_DEBUG=1 says on
 * stderr, at cwork_free, how many pieces went through it (the tests).
 */

#define CWORK_JOBS 4096
#define CWORK_BYTES (1u << 17)
/* the largest piece copied into the ring (more than a TLS record's
 * fragment, 16 KiB + 2 KiB); a longer one is decrypted in line */
#define CWORK_PIECE_MAX (CWORK_BYTES / 4)

struct cwork;
struct evp_cipher_ctx_st;

/* The worker, started; NULL when it is not worth one (fewer than two CPUs
 * to run on, FETCHTRACE_DECRYPT_THREAD=0) or it cannot be made: the caller
 * decrypts in line. */
struct cwork *cwork_new(void);
/* Waits for every piece queued, stops the worker, frees.  NULL: nothing. */
void cwork_free(struct cwork *w);

/* Queue EVP_DecryptUpdate(ctx, out, in, len) (len < 2 GiB);
 * out and ctx must stay until cwork_wait(ticket) returns; in is copied
 * into the ring unless kept (its bytes stay where they are until the
 * caller's cwork_drain: a packet in a mapped capture file, not yet
 * unmapped).  *err is set when libcrypto refuses the piece (read it after
 * the wait).  The ticket to wait for. */
uint64_t cwork_update(struct cwork *w, struct evp_cipher_ctx_st *ctx, const uint8_t *in,
		      size_t len, bool kept, uint8_t *out, bool *err);
/* Queue a record's start: EVP_DecryptInit_ex(ctx, nonce) then its AAD
 * (EVP_DecryptUpdate with no output).  nonce (12 bytes) and aad stay
 * until the wait; *err is set when libcrypto refuses. */
uint64_t cwork_begin(struct cwork *w, struct evp_cipher_ctx_st *ctx, const uint8_t *nonce,
		     const uint8_t *aad, size_t aad_len, bool *err);
/* Queue a record's end: the tag (16 bytes, stays until the wait) set and
 * EVP_DecryptFinal_ex(ctx, out); *ok says whether it authenticated. */
uint64_t cwork_end(struct cwork *w, struct evp_cipher_ctx_st *ctx, const uint8_t *tag,
		   uint8_t *out, bool *ok);
/* Every piece queued up to ticket is done (0: nothing to wait for). */
void cwork_wait(struct cwork *w, uint64_t ticket);
/* Every piece queued is done: no kept bytes are read any more. */
void cwork_drain(struct cwork *w);

#endif
