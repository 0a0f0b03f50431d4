/* focus.h - --fetch: which fetches a run shows, decided packet by packet. */
#ifndef FT_FOCUS_H
#define FT_FOCUS_H

#include <stdbool.h>
#include <stdint.h>

#include "dns.h"

#define FOCUS_MAX_ARGS 32        /* --fetch options in one run */
#define FOCUS_PAT_MAX 255        /* bytes of one pattern (a DNS name's most) */
#define FOCUS_FETCHES 4096       /* fetch states kept (by id % FOCUS_FETCHES) */
#define FOCUS_HOLD_PKTS 1024     /* packets of an undecided fetch held before it is hidden */
#define FOCUS_HOLD_US 10000000   /* capture time a held packet waits before it is hidden */

/*
 * What becomes of a packet (struct ev.focus): shown, hidden, or held
 * under a key until the fetch (or DNS name) it belongs to is decided.
 */
enum focus_verdict { FOCUS_SHOW = 0, FOCUS_HIDE, FOCUS_HOLD };

/* A fetch's state. */
enum focus_state { FOCUS_UNKNOWN = 0, FOCUS_UNDECIDED, FOCUS_SHOWN, FOCUS_HIDDEN };

struct focus;

/* Is arg a valid --fetch value (a fetch number 1..2^32-1, or a glob of
 * 1..FOCUS_PAT_MAX bytes without NUL)?  *why says why not. */
bool focus_arg_ok(const char *arg, const char **why);

/* NULL when memory cannot be had; n may be 0 (then everything shows). */
struct focus *focus_open(const char *const *args, unsigned n);
void focus_close(struct focus *f);

/* Were any --fetch options given? */
bool focus_on(const struct focus *f);

/* Does the name (raw bytes; a trailing dot is ignored) match one of the patterns, case-insensitively as DNS compares? */
bool focus_name(const struct focus *f, const char *b, size_t len);
/* The same for an HTTP Host or :authority: host[:port], [v6]:port. */
bool focus_host(const struct focus *f, const char *b, size_t len);
bool focus_has_names(const struct focus *f);   /* a pattern was given */

/* Is fetch id one of the numbers given? */
bool focus_number(const struct focus *f, uint32_t id);
bool focus_has_numbers(const struct focus *f);

/* A fetch's state; FOCUS_UNKNOWN when never set (or its slot was reused). */
enum focus_state focus_fetch_state(const struct focus *f, uint32_t id);
/* Set it; a decided state (shown or hidden) is counted once. */
void focus_fetch_set(struct focus *f, uint32_t id, enum focus_state st);
/* One more packet of the undecided fetch id held; returns how many now. */
unsigned focus_fetch_held(struct focus *f, uint32_t id);

/* Hold keys: a fetch's packets, or the DNS messages of one name. */
uint64_t focus_key_fetch(uint32_t id);
uint64_t focus_key_name(const struct dns_name *n);
/* The fetch of a fetch key, 0 for a name key. */
uint32_t focus_key_fetch_id(uint64_t key);

/* Fetches decided shown and hidden so far. */
void focus_counts(const struct focus *f, uint64_t *shown, uint64_t *hidden);

/* ---- the tracer's side: one call per packet, per connection, at the end ---- */
struct ev;
struct out;
struct out_counts;

/*
 * Decide e->focus (and e->focus_key) before the event goes to out_packet,
 * releasing what its decision settles first (so held packets come before
 * it).  The rule, in the order it is applied:
 *  - a packet of a connection (TCP other than DNS, QUIC, an ICMP error
 *    about one) follows its fetch.  A fetch is decided at its first
 *    packet by its number, then its DNS name and CNAME; a fetch with no
 *    DNS name waits for the first SNI, Host or :authority of its packets,
 *    its packets held meanwhile (FOCUS_HOLD_PKTS of them, FOCUS_HOLD_US of
 *    capture time, the hold buffer's room; then it is hidden, as it is
 *    when a connection of it ends first);
 *  - a DNS message shows when its question (or, in a response, an answer's
 *    owner or CNAME target) matches; a query that does not waits for its
 *    response, which decides it; with fetch numbers, a response that does
 *    not match waits for a connection to an address of that name, whose
 *    fetch decides it;
 *  - anything else is hidden.
 */
void focus_event(struct focus *f, struct out *o, struct ev *e);

/* A connection (TCP or QUIC) of fetch_id leaves: should its summary line
 * show?  An undecided fetch is hidden now.  dns: DNS over TCP (hidden). */
bool focus_conn(struct focus *f, struct out *o, uint32_t fetch_id, bool dns);

/* The end: what is still held is dropped; the counts for the summary. */
void focus_finish(struct focus *f, struct out *o, struct out_counts *n);

/* Is fetch_id shown?  (For the timeline's exchanges, after focus_finish.) */
bool focus_fetch_shown(const struct focus *f, uint32_t fetch_id);

#endif
