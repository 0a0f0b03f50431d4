/* calljoin.h - socket system call records to time-ordered call lines, each
 * with its socket's addresses (issue 14).  Pure: no I/O, no clock. */
#ifndef FT_CALLJOIN_H
#define FT_CALLJOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calls_raw.h"

#define CALLJOIN_PENDING_MAX 4096 /* lines waiting for their place in the time line */
#define CALLJOIN_SOCKS_MAX 4096   /* sockets remembered (tgid, fd) */
#define CALLJOIN_INFLIGHT_MAX 1024 /* calls entered and not yet returned (per thread) */
#define CALLJOIN_EPREG_MAX 1024   /* epoll registrations remembered (tgid, epfd, fd, data) */

/* How a line stands in the time line. */
enum call_phase {
	CALL_WHOLE = 0,   /* one line: the call and its result */
	CALL_ENTERED,     /* connect() entered (its result comes later) */
	CALL_RETURNED,    /* connect() returned */
};

/* One call line: what out_text/out_json print. */
struct call_line {
	int64_t ts_us;        /* where it stands: entry (write, close, connect entered) or return */
	int64_t enter_us;     /* entered, 0 unknown */
	int64_t exit_us;      /* returned, 0 unknown (or not waited for: close, shutdown) */
	uint8_t phase;        /* enum call_phase */
	uint16_t sys;         /* enum calls_sys */
	uint32_t tgid, tid;
	int32_t fd;
	uint32_t asked;       /* bytes asked; shutdown: how; socket: 0 */
	bool has_ret;
	int64_t ret;          /* return value, -errno on error */
	char comm[CALLS_COMM_LEN + 1]; /* the thread's name, NUL-terminated (raw bytes: escape) */
	char pcomm[CALLS_COMM_LEN + 1]; /* the process's name, the same */
	char role[32];        /* what the process is, when known ("network service": a
	                         browser's process type, from its command line), or "" */
	uint16_t family, sotype;       /* the socket's, 0 unknown */
	bool has_tuple;       /* local and peer addresses known */
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
	uint16_t tfamily, tport; /* connect()/sendto() target, tfamily 0 none */
	uint8_t taddr[16];
	/* the readiness calls (poll, select, epoll_ctl, epoll_wait) and getsockopt: */
	int32_t epfd;         /* epoll_ctl, epoll_wait: the epoll descriptor, else -1 */
	uint32_t events;      /* epoll_ctl: asked; poll, select, epoll_wait: seen on fd (EPOLL* values) */
	bool has_val;
	int32_t val;          /* getsockopt SO_ERROR: the value read (0 or an errno) */
	uint8_t tcp_state;    /* getsockopt SO_ERROR: the socket's TCP state then, 0 unknown */
	int64_t connect_us;   /* readiness, getsockopt: when the connect() returned EINPROGRESS, 0 unknown */
};

struct calljoin;

struct calljoin *calljoin_new(void);
void calljoin_free(struct calljoin *j);

/* One record; offset_us turns its CLOCK_MONOTONIC time into the packets'
 * clock (CLOCK_REALTIME).  Records may come out of time order. */
void calljoin_add(struct calljoin *j, const struct calls_raw *r, int64_t offset_us);

/* The entry time of the earliest call in flight whose line stands at its
 * entry but needs its result (write, send): nothing at or after it may be
 * shown before that call returns.  INT64_MAX when none. */
int64_t calljoin_hold_from(const struct calljoin *j);

/* The earliest line standing before both `until` (inclusive) and
 * calljoin_hold_from: true and *out, or false. */
bool calljoin_next(struct calljoin *j, int64_t until, struct call_line *out);

/* Give up waiting: calls in flight no longer hold anything back (the end
 * of the run, or a call blocked too long). */
void calljoin_release(struct calljoin *j);

/* Counts: lines given up because the queue was full. */
uint64_t calljoin_dropped(const struct calljoin *j);

/* select()'s fd_set (len bytes, as the kernel lays it out on a little-endian
 * machine: fd n is bit n%8 of byte n/8): the descriptors set below nfds and
 * 1024, lowest first, at most cap into out.  Their count. */
int calls_fdset_list(const uint8_t *set, size_t len, int nfds, int *out, int cap);

/* The name of a call ("connect"), and of an errno value ("EINPROGRESS";
 * NULL when not in the table). */
const char *calls_sys_name(unsigned sys);
const char *calls_errno_name(int64_t err);

#endif
