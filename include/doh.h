/* doh.h - DNS over HTTPS (RFC 8484): which HTTP exchanges carry DNS messages, and their
 * bodies collected per stream, bounded. */
#ifndef FT_DOH_H
#define FT_DOH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DOH_MSG_MAX 65535u  /* a DNS message's largest size (RFC 8484 6: its length must fit) */
#define DOH_SLOTS 4         /* bodies collected at once per connection; more are counted */

/* One body being collected: a DNS message in a request (POST) or a response. */
struct doh_body {
	uint32_t sid;               /* HTTP/2 stream id (0: a free slot) */
	uint8_t dir;                /* 0 the request's body, 1 the response's */
	bool over;                  /* longer than DOH_MSG_MAX: not a DNS message we decode */
	uint32_t len;               /* bytes in b */
	uint8_t b[DOH_MSG_MAX];
};

/* Per connection that carries DoH (allocated by the caller when the first
 * DoH exchange shows, about 256 KiB). */
struct doh_conn {
	struct doh_body slot[DOH_SLOTS];
	uint32_t n_no_slot;         /* bodies not collected: every slot was busy */
	uint32_t marked[8];         /* the newest DoH streams (a ring): their frames are resolve */
	uint8_t mark_next;
};

/* Remember that stream sid carries DoH; is it one of the newest remembered? */
void doh_mark(struct doh_conn *d, uint32_t sid);
bool doh_marked(const struct doh_conn *d, uint32_t sid);

/* A Content-Type (or Accept) value names application/dns-message
 * (case-insensitive, parameters allowed). */
bool doh_media(const char *v, size_t len);

/*
 * The "dns" parameter of a request target's query (RFC 8484 4.1: GET
 * ...?dns=BASE64URL, no padding), decoded into out (cap bytes).  Returns
 * the message's length, 0 when there is none or it does not decode.
 */
size_t doh_get_param(const char *target, size_t len, uint8_t *out, size_t cap);

/* The slot collecting (sid, dir), or NULL. */
struct doh_body *doh_find(struct doh_conn *d, uint32_t sid, int dir);

/* Start collecting (sid, dir); NULL when every slot is busy (counted). */
struct doh_body *doh_open(struct doh_conn *d, uint32_t sid, int dir);

/* Body bytes, in order (beyond DOH_MSG_MAX: marked over, not kept). */
void doh_add(struct doh_body *b, const uint8_t *p, size_t n);

/* The body ended (or was given up): the slot is free again. */
void doh_close(struct doh_body *b);

#endif
