/* calljoin.c - socket system call records to time-ordered call lines, each
 * with its socket's addresses (issue 14).
 *
 * A record is an ENTER or an EXIT of one call of one thread.  The line a
 * call makes stands where a reader expects it beside the packets:
 *   connect()                       two lines: entered, and returned;
 *   write, writev, send*            at its entry (before the segments that
 *                                   carry its bytes), with its result, so
 *                                   it waits for the EXIT;
 *   read, readv, recv*, accept      at its return (after the data came);
 *   socket()                        at its return (the descriptor);
 *   close(), shutdown()             at its entry (before the FIN).
 * The socket's addresses come with the records (the kernel's socket) and
 * are remembered per (process, descriptor) until close(), so a descriptor
 * reused after close() is a new socket.  Only Internet sockets are shown.
 *
 * A non-blocking connect() returns EINPROGRESS; the program then waits for
 * the socket to be writable (poll, select, epoll_wait) and reads the
 * result with getsockopt(SO_ERROR).  The first wait that saw the socket
 * ready is a line, at its return; so are the getsockopt(SO_ERROR) calls
 * up to the first after that wait, and an epoll_ctl on the socket while it
 * is connecting.  epoll_wait hands back
 * the data the program registered, not the descriptor: the registrations
 * (epoll_ctl ADD, MOD, DEL) are remembered per (process, epoll
 * descriptor) and the data mapped back to its descriptor; a close() of
 * either descriptor ends them (the kernel drops a closed file's).
 */
#include "calljoin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FAM_INET 2
#define FAM_INET6 10

struct sock_ent {
	bool used;
	uint32_t tgid;
	int32_t fd;
	uint16_t family, sotype;
	bool has_tuple;
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
	bool connecting;       /* connect() returned EINPROGRESS; no wait found it ready yet */
	bool await_err;        /* ... and no getsockopt(SO_ERROR) has read its result yet */
	int64_t connect_us;    /* when that connect() returned */
};

/* An epoll registration: epoll_ctl(epfd, ADD or MOD, fd, {events, data}). */
struct epreg_ent {
	bool used;
	uint32_t tgid;
	int32_t epfd, fd;
	uint32_t events;
	uint64_t data;
};

struct inflight_ent {
	bool used;
	bool nohold;          /* calljoin_release: holds nothing back any more */
	struct calls_raw enter; /* its ENTER record */
	int64_t enter_us;
};

struct calljoin {
	struct sock_ent socks[CALLJOIN_SOCKS_MAX];
	unsigned n_socks_hw;  /* slots used so far: the scans stop here */
	struct inflight_ent inflight[CALLJOIN_INFLIGHT_MAX];
	unsigned n_inflight_hw;
	struct epreg_ent epreg[CALLJOIN_EPREG_MAX];
	unsigned n_epreg_hw;
	unsigned epreg_next;  /* when full, the slot replaced next (the oldest, round robin) */
	struct call_line pending[CALLJOIN_PENDING_MAX]; /* by ts_us, earliest first */
	unsigned n_pending;
	uint64_t dropped;
};

struct calljoin *calljoin_new(void)
{
	return calloc(1, sizeof(struct calljoin));
}

void calljoin_free(struct calljoin *j)
{
	free(j);
}

uint64_t calljoin_dropped(const struct calljoin *j)
{
	return j->dropped;
}

static bool is_write(unsigned sys)
{
	return sys == CALLS_SYS_WRITE || sys == CALLS_SYS_WRITEV || sys == CALLS_SYS_SENDTO ||
	       sys == CALLS_SYS_SENDMSG || sys == CALLS_SYS_SENDMMSG;
}

static struct sock_ent *sock_find(struct calljoin *j, uint32_t tgid, int32_t fd)
{
	for (unsigned i = 0; i < j->n_socks_hw; i++)
		if (j->socks[i].used && j->socks[i].tgid == tgid && j->socks[i].fd == fd)
			return &j->socks[i];
	return NULL;
}

/* A new entry for (tgid, fd), replacing an old one; NULL when full. */
static struct sock_ent *sock_add(struct calljoin *j, uint32_t tgid, int32_t fd)
{
	struct sock_ent *s = sock_find(j, tgid, fd);
	for (unsigned i = 0; !s && i < CALLJOIN_SOCKS_MAX; i++)
		if (!j->socks[i].used) {
			s = &j->socks[i];
			if (i >= j->n_socks_hw)
				j->n_socks_hw = i + 1;
		}
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->tgid = tgid;
	s->fd = fd;
	return s;
}

static bool rec_has_tuple(const struct calls_raw *r)
{
	return (r->family == FAM_INET || r->family == FAM_INET6) && (r->lport || r->rport);
}

/* What a record says about its socket, remembered. */
static void sock_learn(struct calljoin *j, const struct calls_raw *r)
{
	if (r->fd < 0 || !r->family)
		return;
	struct sock_ent *s = sock_find(j, r->tgid, r->fd);
	if (!s && !(s = sock_add(j, r->tgid, r->fd)))
		return;
	s->family = r->family;
	if (r->sotype)
		s->sotype = r->sotype;
	if (rec_has_tuple(r)) {
		s->has_tuple = true;
		memcpy(s->laddr, r->laddr, 16);
		memcpy(s->raddr, r->raddr, 16);
		s->lport = r->lport;
		s->rport = r->rport;
	}
}

/* Forget tgid's registrations with the epoll descriptor epfd of fd, and
 * (by_data) any under data; epfd -1 (fd was closed): fd's with every epoll
 * descriptor, and every one of the epoll descriptor fd itself. */
static void epreg_drop(struct calljoin *j, uint32_t tgid, int32_t epfd, int32_t fd, bool by_data,
		       uint64_t data)
{
	for (unsigned i = 0; i < j->n_epreg_hw; i++) {
		struct epreg_ent *e = &j->epreg[i];
		if (!e->used || e->tgid != tgid)
			continue;
		if (epfd < 0) {
			if (e->fd == fd || e->epfd == fd)
				e->used = false;
		} else if (e->epfd == epfd && (e->fd == fd || (by_data && e->data == data))) {
			e->used = false;
		}
	}
}

/* epoll_ctl(epfd, op, fd, {events, data}) = 0.  ADD and MOD replace what
 * was registered for fd, and for the same data (two descriptors under one
 * data value cannot be told apart: the newest stands). */
static void epreg_ctl(struct calljoin *j, const struct calls_raw *r)
{
	epreg_drop(j, r->tgid, r->epfd, r->fd, r->asked != CALLS_EPOLL_DEL, r->data);
	if (r->asked != CALLS_EPOLL_ADD && r->asked != CALLS_EPOLL_MOD)
		return;
	struct epreg_ent *e = NULL;
	for (unsigned i = 0; !e && i < CALLJOIN_EPREG_MAX; i++)
		if (!j->epreg[i].used) {
			e = &j->epreg[i];
			if (i >= j->n_epreg_hw)
				j->n_epreg_hw = i + 1;
		}
	if (!e) /* full: an old one goes (its socket is likely long connected) */
		e = &j->epreg[j->epreg_next++ % CALLJOIN_EPREG_MAX];
	e->used = true;
	e->tgid = r->tgid;
	e->epfd = r->epfd;
	e->fd = r->fd;
	e->events = r->events;
	e->data = r->data;
}

/* The descriptor registered under data with (tgid, epfd), or -1. */
static int32_t epreg_fd(const struct calljoin *j, uint32_t tgid, int32_t epfd, uint64_t data)
{
	for (unsigned i = 0; i < j->n_epreg_hw; i++) {
		const struct epreg_ent *e = &j->epreg[i];
		if (e->used && e->tgid == tgid && e->epfd == epfd && e->data == data)
			return e->fd;
	}
	return -1;
}

static struct inflight_ent *inflight_find(struct calljoin *j, uint32_t tid)
{
	for (unsigned i = 0; i < j->n_inflight_hw; i++)
		if (j->inflight[i].used && j->inflight[i].enter.tid == tid)
			return &j->inflight[i];
	return NULL;
}

static struct inflight_ent *inflight_add(struct calljoin *j, uint32_t tid)
{
	struct inflight_ent *f = inflight_find(j, tid); /* an EXIT was lost: replaced */
	for (unsigned i = 0; !f && i < CALLJOIN_INFLIGHT_MAX; i++)
		if (!j->inflight[i].used) {
			f = &j->inflight[i];
			if (i >= j->n_inflight_hw)
				j->n_inflight_hw = i + 1;
		}
	if (f)
		memset(f, 0, sizeof(*f));
	return f;
}

/* Queue a line in time order; a full queue gives up its earliest line's
 * place to nobody: the new one is counted and dropped. */
static void pending_push(struct calljoin *j, const struct call_line *l)
{
	if (j->n_pending >= CALLJOIN_PENDING_MAX) {
		j->dropped++;
		return;
	}
	unsigned i = j->n_pending;
	/* records come nearly in order: the place is near the end */
	while (i > 0 && j->pending[i - 1].ts_us > l->ts_us)
		i--;
	memmove(&j->pending[i + 1], &j->pending[i], (j->n_pending - i) * sizeof(*l));
	j->pending[i] = *l;
	j->n_pending++;
}

/* A line from the record r (and the call's ENTER e, when known). */
static void line_make(struct calljoin *j, struct call_line *l, const struct calls_raw *r,
		      const struct calls_raw *e, int64_t offset_us)
{
	memset(l, 0, sizeof(*l));
	const struct calls_raw *in = e ? e : r;
	l->sys = r->sys;
	l->tgid = r->tgid;
	l->tid = r->tid;
	l->fd = r->fd;
	l->asked = in->asked;
	memcpy(l->comm, r->comm, CALLS_COMM_LEN);
	l->comm[CALLS_COMM_LEN] = '\0';
	memcpy(l->pcomm, r->pcomm[0] ? r->pcomm : r->comm, CALLS_COMM_LEN);
	l->pcomm[CALLS_COMM_LEN] = '\0';
	if (e)
		l->enter_us = (int64_t)(e->ts_ns / 1000) + offset_us;
	if (r->kind == CALLS_REC_EXIT) {
		l->exit_us = (int64_t)(r->ts_ns / 1000) + offset_us;
		l->has_ret = true;
		l->ret = r->ret;
	} else {
		l->enter_us = (int64_t)(r->ts_ns / 1000) + offset_us;
	}
	l->epfd = -1;
	if (r->sys == CALLS_SYS_EPOLL_CTL || r->sys == CALLS_SYS_EPOLL_WAIT)
		l->epfd = r->epfd;
	l->events = r->events;
	if (r->sys == CALLS_SYS_POLL) { /* its revents, carried in asked */
		l->events = r->asked;
		l->asked = 0;
	}
	if (r->sys == CALLS_SYS_GETSOCKOPT) {
		l->has_val = true;
		l->val = r->val;
		l->tcp_state = r->state < 256 ? (uint8_t)r->state : 0;
	}
	l->tfamily = in->tfamily;
	l->tport = in->tport;
	memcpy(l->taddr, in->taddr, 16);
	/* the socket: this record's view, else the ENTER's, else what was learnt */
	const struct calls_raw *t = rec_has_tuple(r) ? r : e && rec_has_tuple(e) ? e : NULL;
	const struct sock_ent *s = sock_find(j, r->tgid, r->fd);
	l->family = r->family ? r->family : e && e->family ? e->family : s ? s->family : 0;
	l->sotype = r->sotype ? r->sotype : e && e->sotype ? e->sotype : s ? s->sotype : 0;
	if (t) {
		l->has_tuple = true;
		memcpy(l->laddr, t->laddr, 16);
		memcpy(l->raddr, t->raddr, 16);
		l->lport = t->lport;
		l->rport = t->rport;
	} else if (s && s->has_tuple) {
		l->has_tuple = true;
		memcpy(l->laddr, s->laddr, 16);
		memcpy(l->raddr, s->raddr, 16);
		l->lport = s->lport;
		l->rport = s->rport;
	}
}

static bool family_shown(uint16_t family)
{
	return family == 0 || family == FAM_INET || family == FAM_INET6;
}

/*
 * The calls around a non-blocking connect() (one EXIT record each, with the
 * arguments read at entry):
 *   epoll_ctl    remembered; a line while its socket is connecting;
 *   poll, select, epoll_wait (one record per descriptor seen ready)
 *                a line for the first that saw a connecting socket ready;
 *   getsockopt(SO_ERROR)
 *                a line for each from the EINPROGRESS up to the first after
 *                the wait, or the first with an error.
 * The rest (the same socket seen writable again and again) is no line.
 */
static void readiness(struct calljoin *j, const struct calls_raw *r, int64_t offset_us)
{
	struct calls_raw c = *r;
	if (r->sys == CALLS_SYS_EPOLL_CTL) {
		if (r->ret != 0)
			return;
		epreg_ctl(j, r);
	} else if (r->sys == CALLS_SYS_EPOLL_WAIT) {
		/* eBPF resolved the descriptor in the kernel; ptrace did not */
		if (c.fd < 0)
			c.fd = epreg_fd(j, r->tgid, r->epfd, r->data);
		if (c.fd < 0)
			return;
	}
	struct sock_ent *s = sock_find(j, c.tgid, c.fd);
	if (!s)
		return;
	if (r->sys == CALLS_SYS_EPOLL_CTL) {
		if (!s->connecting)
			return;
	} else if (r->sys == CALLS_SYS_GETSOCKOPT) {
		/* shown from the EINPROGRESS to the first after the wait (a
		 * program may ask before it waits: Chromium does) or the first
		 * that says it failed */
		if (!s->await_err)
			return;
		if (!s->connecting || r->val)
			s->await_err = false;
	} else {
		if (!s->connecting)
			return;
		s->connecting = false;
	}
	int64_t connect_us = s->connect_us;
	sock_learn(j, &c);
	struct call_line l;
	line_make(j, &l, &c, NULL, offset_us);
	l.ts_us = l.exit_us;
	l.connect_us = connect_us;
	pending_push(j, &l);
}

void calljoin_add(struct calljoin *j, const struct calls_raw *r, int64_t offset_us)
{
	struct call_line l;
	if (r->sys == CALLS_SYS_NONE || r->sys >= CALLS_SYS_MAX)
		return;
	if (r->kind == CALLS_REC_ENTER) {
		if (r->sys != CALLS_SYS_SOCKET)
			sock_learn(j, r);
		if (r->sys == CALLS_SYS_CLOSE || r->sys == CALLS_SYS_SHUTDOWN) {
			line_make(j, &l, r, NULL, offset_us);
			l.ts_us = l.enter_us;
			if (family_shown(l.family))
				pending_push(j, &l);
			if (r->sys == CALLS_SYS_CLOSE) { /* the descriptor may be reused at once */
				struct sock_ent *s = sock_find(j, r->tgid, r->fd);
				if (s)
					s->used = false;
				epreg_drop(j, r->tgid, -1, r->fd, false, 0);
			}
			return;
		}
		struct inflight_ent *f = inflight_add(j, r->tid);
		if (f) {
			f->used = true;
			f->enter = *r;
			f->enter_us = (int64_t)(r->ts_ns / 1000) + offset_us;
		}
		if (r->sys == CALLS_SYS_CONNECT) {
			line_make(j, &l, r, NULL, offset_us);
			l.phase = CALL_ENTERED;
			l.ts_us = l.enter_us;
			if (family_shown(l.family))
				pending_push(j, &l);
		}
		return;
	}
	if (r->kind != CALLS_REC_EXIT)
		return;
	if (r->sys == CALLS_SYS_EPOLL_CTL || r->sys == CALLS_SYS_POLL || r->sys == CALLS_SYS_SELECT ||
	    r->sys == CALLS_SYS_EPOLL_WAIT || r->sys == CALLS_SYS_GETSOCKOPT) {
		readiness(j, r, offset_us);
		return;
	}
	struct inflight_ent *f = inflight_find(j, r->tid);
	struct calls_raw e;
	bool have_e = f && f->enter.sys == r->sys;
	if (have_e)
		e = f->enter;
	if (f)
		f->used = false;
	if (r->sys == CALLS_SYS_CLOSE || r->sys == CALLS_SYS_SHUTDOWN)
		return; /* shown at entry */
	if ((r->sys == CALLS_SYS_SOCKET || r->sys == CALLS_SYS_ACCEPT) && r->ret >= 0) {
		struct sock_ent *s = sock_add(j, r->tgid, (int32_t)r->ret); /* a new socket */
		if (s && have_e && r->sys == CALLS_SYS_SOCKET) {
			s->family = e.family;
			s->sotype = e.sotype;
		}
	}
	sock_learn(j, r);
	if (r->sys == CALLS_SYS_CONNECT && r->ret == -EINPROGRESS) {
		struct sock_ent *s = sock_find(j, r->tgid, r->fd);
		if (s) {
			s->connecting = s->await_err = true;
			s->connect_us = (int64_t)(r->ts_ns / 1000) + offset_us;
		}
	}
	line_make(j, &l, r, have_e ? &e : NULL, offset_us);
	if (r->sys == CALLS_SYS_CONNECT) {
		l.phase = CALL_RETURNED;
		l.ts_us = l.exit_us;
	} else if (is_write(r->sys)) {
		l.ts_us = l.enter_us ? l.enter_us : l.exit_us;
	} else {
		l.ts_us = l.exit_us;
	}
	if (family_shown(l.family))
		pending_push(j, &l);
}

int64_t calljoin_hold_from(const struct calljoin *j)
{
	int64_t m = INT64_MAX;
	for (unsigned i = 0; i < j->n_inflight_hw; i++) {
		const struct inflight_ent *f = &j->inflight[i];
		if (f->used && !f->nohold && is_write(f->enter.sys) && f->enter_us < m)
			m = f->enter_us;
	}
	return m;
}

bool calljoin_next(struct calljoin *j, int64_t until, struct call_line *out)
{
	if (!j->n_pending)
		return false;
	int64_t hold = calljoin_hold_from(j);
	const struct call_line *l = &j->pending[0];
	if (l->ts_us > until || l->ts_us >= hold)
		return false;
	*out = *l;
	j->n_pending--;
	memmove(&j->pending[0], &j->pending[1], j->n_pending * sizeof(*l));
	return true;
}

void calljoin_release(struct calljoin *j)
{
	for (unsigned i = 0; i < j->n_inflight_hw; i++)
		j->inflight[i].nohold = true;
}

const char *calls_sys_name(unsigned sys)
{
	static const char *const names[CALLS_SYS_MAX] = {
		[CALLS_SYS_NONE] = "?",          [CALLS_SYS_SOCKET] = "socket",
		[CALLS_SYS_CONNECT] = "connect", [CALLS_SYS_ACCEPT] = "accept",
		[CALLS_SYS_SENDTO] = "sendto",   [CALLS_SYS_RECVFROM] = "recvfrom",
		[CALLS_SYS_SENDMSG] = "sendmsg", [CALLS_SYS_RECVMSG] = "recvmsg",
		[CALLS_SYS_SENDMMSG] = "sendmmsg", [CALLS_SYS_RECVMMSG] = "recvmmsg",
		[CALLS_SYS_SHUTDOWN] = "shutdown", [CALLS_SYS_READ] = "read",
		[CALLS_SYS_WRITE] = "write",     [CALLS_SYS_READV] = "readv",
		[CALLS_SYS_WRITEV] = "writev",   [CALLS_SYS_CLOSE] = "close",
		[CALLS_SYS_POLL] = "poll",       [CALLS_SYS_EPOLL_CTL] = "epoll_ctl",
		[CALLS_SYS_EPOLL_WAIT] = "epoll_wait", [CALLS_SYS_SELECT] = "select",
		[CALLS_SYS_GETSOCKOPT] = "getsockopt",
	};
	return sys < CALLS_SYS_MAX ? names[sys] : "?";
}

int calls_fdset_list(const uint8_t *set, size_t len, int nfds, int *out, int cap)
{
	int n = 0;
	size_t lim = nfds <= 0 ? 0 : nfds > 1024 ? 1024 : (size_t)nfds;
	for (size_t fd = 0; fd < lim && fd / 8 < len && n < cap; fd++)
		if (set[fd / 8] & (1u << (fd % 8)))
			out[n++] = (int)fd;
	return n;
}

const char *calls_errno_name(int64_t err)
{
	static const struct { int v; const char *name; } tab[] = {
		{ EINPROGRESS, "EINPROGRESS" }, { ECONNREFUSED, "ECONNREFUSED" },
		{ EAGAIN, "EAGAIN" },           { EINTR, "EINTR" },
		{ ECONNRESET, "ECONNRESET" },   { ETIMEDOUT, "ETIMEDOUT" },
		{ ENETUNREACH, "ENETUNREACH" }, { EHOSTUNREACH, "EHOSTUNREACH" },
		{ EPIPE, "EPIPE" },             { ENOTCONN, "ENOTCONN" },
		{ EALREADY, "EALREADY" },       { EISCONN, "EISCONN" },
		{ EBADF, "EBADF" },             { EACCES, "EACCES" },
		{ EPERM, "EPERM" },             { EADDRNOTAVAIL, "EADDRNOTAVAIL" },
		{ EAFNOSUPPORT, "EAFNOSUPPORT" }, { EINVAL, "EINVAL" },
		{ EMSGSIZE, "EMSGSIZE" },       { ENOBUFS, "ENOBUFS" },
		{ ENOMEM, "ENOMEM" },           { EFAULT, "EFAULT" },
		{ ENOTSOCK, "ENOTSOCK" },       { EADDRINUSE, "EADDRINUSE" },
		{ ESHUTDOWN, "ESHUTDOWN" },     { ECONNABORTED, "ECONNABORTED" },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].v == err)
			return tab[i].name;
	return NULL;
}
