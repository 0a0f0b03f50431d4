/* calls_ptrace.c - socket system call records through ptrace, where BPF
 * cannot be had (issue 14).  A helper process traces the command
 * (PTRACE_SEIZE, syscall stops, every child and thread followed) and
 * writes the records into a pipe that fetchtrace drains.  Each stop costs
 * two context switches: the timings include ptrace's overhead.  The
 * socket's addresses come from /proc/PID/net (matched by the socket's
 * inode from /proc/PID/fd); no data buffer is read.
 *
 * The wait that sees a non-blocking connect() done is followed as eBPF
 * follows it: poll's pollfds, select's writefds and epoll_wait's events
 * (argument arrays, read at return, bounded) are looked at only while the
 * process has a connect() in progress (EINPROGRESS, until a wait saw it,
 * a write or close() of the socket); epoll_wait's data goes to
 * fetchtrace unmapped (calljoin maps it back through the epoll_ctl
 * records).
 *
 * --pid: the helper seizes every thread of the running process, and its
 * new threads and children follow; when fetchtrace stops (closing the
 * helper's control pipe, which signals it), the helper interrupts and
 * detaches each, so the process runs on as it was. */
#include "calls.h"
#include "calljoin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* PTRACE_GET_SYSCALL_INFO's result (linux/ptrace.h, which cannot be
 * included beside glibc's sys/ptrace.h). */
struct sysinfo_pt {
	uint8_t op; /* 1 entry, 2 exit */
	uint8_t pad[3];
	uint32_t arch;
	uint64_t ip, sp;
	union {
		struct { uint64_t nr; uint64_t args[6]; } entry;
		struct { int64_t rval; uint8_t is_error; } exit;
	} u;
};
#define SI_ENTRY 1
#define SI_EXIT 2

#define PT_THREADS 1024 /* threads followed at once */
#define PT_SOCKS 1024   /* sockets whose addresses are remembered */

struct calls_src {
	int rd;      /* the records, read end (non-blocking) */
	int wr;      /* write end, for the helper */
	int ctl;     /* --pid: the helper's control pipe, write end; closed to detach */
	pid_t helper;
};

struct pt_thread {
	pid_t tid, tgid;
	uint16_t sys;  /* the call in flight, CALLS_SYS_NONE none */
	int32_t fd;
	uint64_t ptr;  /* poll: the pollfd array, and its length; select: writefds and nfds;
	                * epoll_wait: the events and maxevents; getsockopt: optval */
	uint32_t n;
	int32_t epfd;  /* epoll_ctl, epoll_wait */
	uint32_t op, events; /* epoll_ctl */
	uint64_t data;
};

#define PT_PENDING 256 /* connect()s in progress followed at once */
#define PT_EP_EVENTS 16 /* epoll_events looked at, from the start of the array */
#define PT_SEL_FDS 16  /* select: writable descriptors looked at */

#define PT_POLL_FDS 8 /* pollfds looked at, from the start of the array */

struct pt_sock {
	pid_t tgid;
	int32_t fd;
	unsigned long ino;
	struct calls_raw r; /* family, sotype and addresses as last seen */
};

struct pt_state {
	int out;
	bool attached;            /* --pid: detach (not _exit) when told or when fetchtrace is gone */
	unsigned n_tr;
	pid_t tr[PT_THREADS];     /* the threads traced (--pid: to detach each) */
	struct pt_thread th[PT_THREADS];
	struct pt_sock so[PT_SOCKS];
	struct { pid_t tgid; int32_t fd; } pend[PT_PENDING]; /* connect() in progress; tgid 0 free */
};

/* In the helper: set by SIGIO (the control pipe closed) and SIGALRM (the
 * detach took too long). */
static volatile sig_atomic_t g_detach, g_alarm;

static void on_detach_sig(int sig)
{
	if (sig == SIGALRM)
		g_alarm = 1;
	else
		g_detach = 1;
}

static bool tr_has(const struct pt_state *st, pid_t tid)
{
	for (unsigned i = 0; i < st->n_tr; i++)
		if (st->tr[i] == tid)
			return true;
	return false;
}

static void tr_add(struct pt_state *st, pid_t tid)
{
	if (tid > 0 && !tr_has(st, tid) && st->n_tr < PT_THREADS)
		st->tr[st->n_tr++] = tid;
}

static void tr_del(struct pt_state *st, pid_t tid)
{
	for (unsigned i = 0; i < st->n_tr; i++)
		if (st->tr[i] == tid) {
			st->tr[i] = st->tr[--st->n_tr];
			return;
		}
}

struct calls_src *calls_ptrace_open(char *errbuf)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "pipe: %s", strerror(errno));
		return NULL;
	}
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	struct calls_src *s = calloc(1, sizeof(*s));
	if (!s) {
		close(p[0]);
		close(p[1]);
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	s->rd = p[0];
	s->wr = p[1];
	s->ctl = -1;
	s->helper = -1;
	return s;
}

static uint16_t sys_of(long nr)
{
	switch (nr) {
	case SYS_read: return CALLS_SYS_READ;
	case SYS_write: return CALLS_SYS_WRITE;
	case SYS_close: return CALLS_SYS_CLOSE;
	case SYS_readv: return CALLS_SYS_READV;
	case SYS_writev: return CALLS_SYS_WRITEV;
	case SYS_socket: return CALLS_SYS_SOCKET;
	case SYS_connect: return CALLS_SYS_CONNECT;
	case SYS_accept: return CALLS_SYS_ACCEPT;
	case SYS_accept4: return CALLS_SYS_ACCEPT;
	case SYS_sendto: return CALLS_SYS_SENDTO;
	case SYS_recvfrom: return CALLS_SYS_RECVFROM;
	case SYS_sendmsg: return CALLS_SYS_SENDMSG;
	case SYS_recvmsg: return CALLS_SYS_RECVMSG;
	case SYS_sendmmsg: return CALLS_SYS_SENDMMSG;
	case SYS_recvmmsg: return CALLS_SYS_RECVMMSG;
	case SYS_shutdown: return CALLS_SYS_SHUTDOWN;
	case SYS_poll: return CALLS_SYS_POLL;
	case SYS_ppoll: return CALLS_SYS_POLL;
	case SYS_select: return CALLS_SYS_SELECT;
	case SYS_pselect6: return CALLS_SYS_SELECT;
	case SYS_epoll_wait: return CALLS_SYS_EPOLL_WAIT;
	case SYS_epoll_pwait: return CALLS_SYS_EPOLL_WAIT;
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2: return CALLS_SYS_EPOLL_WAIT;
#endif
	case SYS_epoll_ctl: return CALLS_SYS_EPOLL_CTL;
	case SYS_getsockopt: return CALLS_SYS_GETSOCKOPT;
	}
	return CALLS_SYS_NONE;
}

static struct pt_thread *thread_get(struct pt_state *st, pid_t tid)
{
	struct pt_thread *fr = NULL;
	for (unsigned i = 0; i < PT_THREADS; i++) {
		if (st->th[i].tid == tid)
			return &st->th[i];
		if (!fr && !st->th[i].tid)
			fr = &st->th[i];
	}
	if (!fr)
		return NULL;
	memset(fr, 0, sizeof(*fr));
	fr->tid = tid;
	fr->tgid = tid;
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	if (f) {
		while (fgets(buf, sizeof(buf), f))
			if (!strncmp(buf, "Tgid:", 5)) {
				fr->tgid = (pid_t)atoi(buf + 5);
				break;
			}
		fclose(f);
	}
	return fr;
}

static void thread_gone(struct pt_state *st, pid_t tid)
{
	for (unsigned i = 0; i < PT_THREADS; i++)
		if (st->th[i].tid == tid)
			st->th[i].tid = 0;
}

/* The socket inode behind fd of tid, 0 when fd is not a socket. */
static unsigned long fd_inode(pid_t tid, int fd)
{
	char path[64], link[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)tid, fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	unsigned long ino;
	return sscanf(link, "socket:[%lu]", &ino) == 1 ? ino : 0;
}

/* /proc/TID/net/FILE's line of inode ino: its addresses into r. */
static bool net_find(pid_t tid, const char *file, int family, int sotype, unsigned long ino,
		     struct calls_raw *r, unsigned *state)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)tid, file);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool found = false;
	unsigned n_lines = 0;
	while (!found && n_lines++ < 65536 && fgets(line, sizeof(line), f)) {
		char la[40], ra[40];
		unsigned lp, rp, stv;
		unsigned long in;
		if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*x:%*x %*x:%*x %*x "
				 "%*u %*u %lu", la, &lp, ra, &rp, &stv, &in) != 6 || in != ino)
			continue;
		found = true;
		if (state)
			*state = stv;
		r->family = (uint16_t)family;
		r->sotype = (uint16_t)sotype;
		r->lport = (uint16_t)lp;
		r->rport = (uint16_t)rp;
		/* each 32-bit word as the kernel printed it (%08X of the word in
		 * host order): back to its bytes */
		const char *src[2] = { la, ra };
		uint8_t *dst[2] = { r->laddr, r->raddr };
		for (int k = 0; k < 2; k++) {
			size_t words = strlen(src[k]) / 8;
			for (size_t w = 0; w < words && w < 4; w++) {
				char hex[9];
				memcpy(hex, src[k] + 8 * w, 8);
				hex[8] = '\0';
				uint32_t v = (uint32_t)strtoul(hex, NULL, 16);
				memcpy(dst[k] + 4 * w, &v, 4);
			}
		}
	}
	fclose(f);
	return found;
}

static bool unix_find(pid_t tid, unsigned long ino)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/net/unix", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool found = false;
	unsigned n_lines = 0;
	while (!found && n_lines++ < 65536 && fgets(line, sizeof(line), f)) {
		unsigned long in;
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu", &in) == 1 && in == ino)
			found = true;
	}
	fclose(f);
	return found;
}

/* What the socket ino of (tgid, fd) is: family and addresses into r. */
static void sock_look(struct pt_state *st, pid_t tid, pid_t tgid, int fd, unsigned long ino,
		      struct calls_raw *r, bool again)
{
	struct pt_sock *s = NULL, *fr = NULL;
	for (unsigned i = 0; i < PT_SOCKS; i++) {
		if (st->so[i].ino == ino && st->so[i].tgid == tgid && st->so[i].fd == fd)
			s = &st->so[i];
		else if (!fr && !st->so[i].ino)
			fr = &st->so[i];
	}
	bool fresh = !s;
	if (!s) {
		s = fr ? fr : &st->so[(unsigned)ino % PT_SOCKS];
		memset(s, 0, sizeof(*s));
		s->tgid = tgid, s->fd = fd, s->ino = ino;
	}
	if (fresh || again || (s->r.family != AF_UNIX && !(s->r.lport && s->r.rport))) {
		struct calls_raw t;
		memset(&t, 0, sizeof(t));
		if (net_find(tid, "tcp", AF_INET, SOCK_STREAM, ino, &t, NULL) ||
		    net_find(tid, "tcp6", AF_INET6, SOCK_STREAM, ino, &t, NULL) ||
		    net_find(tid, "udp", AF_INET, SOCK_DGRAM, ino, &t, NULL) ||
		    net_find(tid, "udp6", AF_INET6, SOCK_DGRAM, ino, &t, NULL))
			s->r = t;
		else if (fresh && unix_find(tid, ino))
			s->r.family = AF_UNIX;
	}
	r->family = s->r.family ? s->r.family : r->family;
	r->sotype = s->r.sotype ? s->r.sotype : r->sotype;
	r->lport = s->r.lport, r->rport = s->r.rport;
	memcpy(r->laddr, s->r.laddr, 16);
	memcpy(r->raddr, s->r.raddr, 16);
}

static void sock_forget(struct pt_state *st, pid_t tgid, int fd)
{
	for (unsigned i = 0; i < PT_SOCKS; i++)
		if (st->so[i].ino && st->so[i].tgid == tgid && st->so[i].fd == fd)
			st->so[i].ino = 0;
}

static void rec_base(struct calls_raw *r, const struct pt_thread *t, uint16_t kind)
{
	memset(r, 0, sizeof(*r));
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	r->ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	r->tgid = (uint32_t)t->tgid;
	r->tid = (uint32_t)t->tid;
	r->kind = kind;
	r->sys = t->sys;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)t->tid);
	for (int k = 0; k < 2; k++) {
		char *dst = k ? r->pcomm : r->comm;
		if (k)
			snprintf(path, sizeof(path), "/proc/%d/comm", (int)t->tgid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = read(fd, dst, CALLS_COMM_LEN);
			if (n > 0 && dst[n - 1] == '\n')
				dst[n - 1] = '\0';
			close(fd);
		}
	}
}

/* A connect()/sendto() target sockaddr, read from the tracee (the
 * address argument; never a data buffer). */
static void target_read(pid_t tid, uint64_t addr, uint64_t len, struct calls_raw *r)
{
	if (!addr || len < 8)
		return;
	uint8_t sa[32];
	memset(sa, 0, sizeof(sa));
	for (unsigned w = 0; w < 4 && w * 8 < len; w++) {
		errno = 0;
		long v = ptrace(PTRACE_PEEKDATA, tid, (void *)(uintptr_t)(addr + 8 * w), NULL);
		if (errno)
			return;
		memcpy(sa + 8 * w, &v, 8);
	}
	uint16_t fam;
	memcpy(&fam, sa, 2);
	r->tport = (uint16_t)((sa[2] << 8) | sa[3]);
	if (fam == AF_INET) {
		r->tfamily = AF_INET;
		memcpy(r->taddr, sa + 4, 4);
	} else if (fam == AF_INET6 && len >= 24) {
		r->tfamily = AF_INET6;
		memcpy(r->taddr, sa + 8, 16);
	}
}

/* (tgid, fd) has a connect() in progress */
static void pend_add(struct pt_state *st, pid_t tgid, int32_t fd)
{
	int fr = -1;
	for (int i = 0; i < PT_PENDING; i++) {
		if (st->pend[i].tgid == tgid && st->pend[i].fd == fd)
			return;
		if (fr < 0 && !st->pend[i].tgid)
			fr = i;
	}
	if (fr < 0)
		fr = (int)((unsigned)fd % PT_PENDING); /* full: one goes */
	st->pend[fr].tgid = tgid;
	st->pend[fr].fd = fd;
}

/* Take (tgid, fd) out (fd -1: is any of tgid's there, taking nothing). */
static bool pend_take(struct pt_state *st, pid_t tgid, int32_t fd)
{
	for (int i = 0; i < PT_PENDING; i++)
		if (st->pend[i].tgid == tgid && (fd < 0 || st->pend[i].fd == fd)) {
			if (fd >= 0)
				st->pend[i].tgid = 0;
			return true;
		}
	return false;
}

/* len bytes of the tracee's memory at addr (an argument array): true when
 * all were read. */
static bool mem_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	if (!addr)
		return false;
	struct iovec loc = { buf, len }, rem = { (void *)(uintptr_t)addr, len };
	return process_vm_readv(tid, &loc, 1, &rem, 1, 0) == (ssize_t)len;
}

static void put(struct pt_state *st, const struct calls_raw *r)
{
	ssize_t n = write(st->out, r, sizeof(*r)); /* < PIPE_BUF: whole or nothing */
	if (n < 0 && errno == EPIPE) {
		if (!st->attached)
			_exit(0); /* fetchtrace is gone */
		g_detach = 1;
	}
}

/* poll()/ppoll() returned: a record for each socket among its first
 * PT_POLL_FDS pollfds (the call's argument array) found writable. */
static void poll_writable(struct pt_state *st, pid_t tid, struct pt_thread *t, int64_t ret)
{
	if (ret <= 0 || !t->ptr || !pend_take(st, t->tgid, -1))
		return;
	for (uint32_t i = 0; i < t->n && i < PT_POLL_FDS; i++) {
		errno = 0;
		long v = ptrace(PTRACE_PEEKDATA, tid, (void *)(uintptr_t)(t->ptr + 8u * i), NULL);
		if (errno)
			return;
		struct { int fd; short events, revents; } pf;
		memcpy(&pf, &v, sizeof(pf));
		unsigned long ino;
		if (!(pf.revents & (CALLS_EPOLLOUT | CALLS_EPOLLERR | CALLS_EPOLLHUP)) ||
		    !pend_take(st, t->tgid, pf.fd) || !(ino = fd_inode(tid, pf.fd)))
			continue;
		struct calls_raw r;
		rec_base(&r, t, CALLS_REC_EXIT);
		r.ret = ret;
		r.fd = pf.fd;
		r.asked = (uint16_t)pf.revents;
		sock_look(st, tid, t->tgid, pf.fd, ino, &r, false);
		put(st, &r);
	}
}

/* epoll_wait returned ret events: a record for each of the first
 * PT_EP_EVENTS that is ready (writable or an error), fd unknown (-1). */
static void epoll_ready(struct pt_state *st, pid_t tid, struct pt_thread *t, int64_t ret)
{
	if (ret <= 0 || !pend_take(st, t->tgid, -1))
		return;
	uint8_t buf[PT_EP_EVENTS * 12]; /* struct epoll_event is packed on x86_64 */
	size_t n = ret < PT_EP_EVENTS ? (size_t)ret : PT_EP_EVENTS;
	if (!mem_read(tid, t->ptr, buf, n * 12))
		return;
	for (size_t i = 0; i < n; i++) {
		uint32_t ev;
		uint64_t data;
		memcpy(&ev, buf + 12 * i, 4);
		memcpy(&data, buf + 12 * i + 4, 8);
		if (!(ev & (CALLS_EPOLLOUT | CALLS_EPOLLERR | CALLS_EPOLLHUP)))
			continue;
		struct calls_raw r;
		rec_base(&r, t, CALLS_REC_EXIT);
		r.ret = ret;
		r.fd = -1;
		r.epfd = t->epfd;
		r.events = ev;
		r.data = data;
		put(st, &r);
	}
}

/* select()/pselect6() returned: a record for each socket with a connect()
 * in progress set in writefds (below nfds and 1024); writable there also
 * means the connect() failed: not ESTABLISHED (1) or CLOSE_WAIT (8) in
 * /proc/net/tcp, or not there, is an error. */
static void select_ready(struct pt_state *st, pid_t tid, struct pt_thread *t, int64_t ret)
{
	if (ret <= 0 || !t->ptr || !pend_take(st, t->tgid, -1))
		return;
	uint8_t set[128];
	size_t len = t->n >= 1024 ? sizeof(set) : (t->n + 7) / 8;
	if (!len || !mem_read(tid, t->ptr, set, len))
		return;
	int fds[PT_SEL_FDS];
	int n = calls_fdset_list(set, len, (int)t->n, fds, PT_SEL_FDS);
	for (int i = 0; i < n; i++) {
		unsigned long ino;
		if (!pend_take(st, t->tgid, fds[i]) || !(ino = fd_inode(tid, fds[i])))
			continue;
		struct calls_raw r;
		rec_base(&r, t, CALLS_REC_EXIT);
		r.ret = ret;
		r.fd = fds[i];
		r.events = CALLS_EPOLLOUT;
		unsigned state = 0;
		struct calls_raw tmp;
		memset(&tmp, 0, sizeof(tmp));
		/* a socket whose connect() was refused is unhashed: not listed */
		if (!(net_find(tid, "tcp", AF_INET, SOCK_STREAM, ino, &tmp, &state) ||
		      net_find(tid, "tcp6", AF_INET6, SOCK_STREAM, ino, &tmp, &state)) ||
		    (state != 1 && state != 8))
			r.events |= CALLS_EPOLLERR;
		sock_look(st, tid, t->tgid, fds[i], ino, &r, false);
		put(st, &r);
	}
}

static void on_syscall(struct pt_state *st, pid_t tid)
{
	struct sysinfo_pt si;
	memset(&si, 0, sizeof(si));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof(si), &si) <= 0)
		return;
	struct pt_thread *t = thread_get(st, tid);
	if (!t)
		return;
	struct calls_raw r;
	if (si.op == SI_ENTRY) {
		uint16_t sys = sys_of((long)si.u.entry.nr);
		t->sys = CALLS_SYS_NONE;
		if (sys == CALLS_SYS_NONE)
			return;
		int fd = (int)si.u.entry.args[0];
		unsigned long ino = 0;
		if (sys == CALLS_SYS_POLL) { /* nothing now: at its return, the writable sockets */
			t->sys = sys;
			t->ptr = si.u.entry.args[0];
			t->n = (uint32_t)si.u.entry.args[1];
			return;
		}
		if (sys == CALLS_SYS_SELECT) { /* nfds, readfds, writefds */
			t->sys = sys;
			t->n = (uint32_t)si.u.entry.args[0];
			t->ptr = si.u.entry.args[2];
			return;
		}
		if (sys == CALLS_SYS_EPOLL_WAIT) { /* epfd, events, maxevents */
			t->sys = sys;
			t->epfd = (int32_t)si.u.entry.args[0];
			t->ptr = si.u.entry.args[1];
			t->n = (uint32_t)si.u.entry.args[2];
			return;
		}
		if (sys == CALLS_SYS_EPOLL_CTL) { /* epfd, op, fd, event: read now, a record at return */
			t->epfd = (int32_t)si.u.entry.args[0];
			t->op = (uint32_t)si.u.entry.args[1];
			t->fd = (int32_t)si.u.entry.args[2];
			t->events = 0;
			t->data = 0;
			uint8_t ev[12];
			if (t->op != CALLS_EPOLL_DEL) {
				if (!mem_read(tid, si.u.entry.args[3], ev, sizeof(ev)))
					return;
				memcpy(&t->events, ev, 4);
				memcpy(&t->data, ev + 4, 8);
			}
			if (fd_inode(tid, t->fd))
				t->sys = sys;
			return;
		}
		if (sys == CALLS_SYS_GETSOCKOPT) { /* SOL_SOCKET, SO_ERROR only */
			if (si.u.entry.args[1] != SOL_SOCKET || si.u.entry.args[2] != SO_ERROR ||
			    !fd_inode(tid, fd))
				return;
			t->sys = sys;
			t->fd = fd;
			t->ptr = si.u.entry.args[3];
			return;
		}
		if (sys != CALLS_SYS_SOCKET && !(ino = fd_inode(tid, fd)))
			return; /* not a socket */
		t->sys = sys;
		t->fd = sys == CALLS_SYS_SOCKET ? -1 : fd;
		rec_base(&r, t, CALLS_REC_ENTER);
		r.fd = t->fd;
		if (sys == CALLS_SYS_SOCKET) {
			r.family = (uint16_t)si.u.entry.args[0];
			r.sotype = (uint16_t)(si.u.entry.args[1] & 0xf);
		} else {
			sock_look(st, tid, t->tgid, fd, ino, &r, false);
		}
		if (sys == CALLS_SYS_SHUTDOWN)
			r.asked = (uint32_t)si.u.entry.args[1];
		else if (sys != CALLS_SYS_SOCKET && sys != CALLS_SYS_CONNECT && sys != CALLS_SYS_CLOSE &&
			 sys != CALLS_SYS_ACCEPT)
			r.asked = (uint32_t)si.u.entry.args[2];
		if (sys == CALLS_SYS_CONNECT)
			target_read(tid, si.u.entry.args[1], si.u.entry.args[2], &r);
		else if (sys == CALLS_SYS_SENDTO)
			target_read(tid, si.u.entry.args[4], si.u.entry.args[5], &r);
		if (sys == CALLS_SYS_CLOSE) {
			sock_forget(st, t->tgid, fd);
			pend_take(st, t->tgid, fd);
		}
		put(st, &r);
		return;
	}
	if (si.op != SI_EXIT || t->sys == CALLS_SYS_NONE)
		return;
	if (t->sys == CALLS_SYS_POLL) {
		poll_writable(st, tid, t, si.u.exit.rval);
		t->sys = CALLS_SYS_NONE;
		return;
	}
	if (t->sys == CALLS_SYS_SELECT || t->sys == CALLS_SYS_EPOLL_WAIT) {
		if (t->sys == CALLS_SYS_SELECT)
			select_ready(st, tid, t, si.u.exit.rval);
		else
			epoll_ready(st, tid, t, si.u.exit.rval);
		t->sys = CALLS_SYS_NONE;
		return;
	}
	if (t->sys == CALLS_SYS_EPOLL_CTL || t->sys == CALLS_SYS_GETSOCKOPT) {
		/* the socket's addresses are calljoin's (learnt): no /proc look-up */
		rec_base(&r, t, CALLS_REC_EXIT);
		r.ret = si.u.exit.rval;
		r.fd = t->fd;
		if (t->sys == CALLS_SYS_EPOLL_CTL) {
			r.epfd = t->epfd;
			r.asked = t->op;
			r.events = t->events;
			r.data = t->data;
		} else {
			int32_t v = 0;
			if (r.ret == 0 && mem_read(tid, t->ptr, &v, sizeof(v)))
				r.val = v;
			/* not taken out of pending: a program may ask before it
			 * waits; the socket's TCP state says what 0 means */
			unsigned long ino = fd_inode(tid, t->fd);
			struct calls_raw tmp;
			memset(&tmp, 0, sizeof(tmp));
			unsigned state = 0;
			if (ino && (net_find(tid, "tcp", AF_INET, SOCK_STREAM, ino, &tmp, &state) ||
				    net_find(tid, "tcp6", AF_INET6, SOCK_STREAM, ino, &tmp, &state)))
				r.state = state;
		}
		t->sys = CALLS_SYS_NONE;
		put(st, &r);
		return;
	}
	if (t->sys == CALLS_SYS_CONNECT && si.u.exit.rval == -EINPROGRESS)
		pend_add(st, t->tgid, t->fd);
	else if ((t->sys == CALLS_SYS_WRITE || t->sys == CALLS_SYS_SENDTO ||
		  t->sys == CALLS_SYS_SENDMSG || t->sys == CALLS_SYS_WRITEV) && si.u.exit.rval > 0)
		pend_take(st, t->tgid, t->fd); /* written: it was connected */
	rec_base(&r, t, CALLS_REC_EXIT);
	r.ret = si.u.exit.rval;
	r.fd = t->fd;
	if ((t->sys == CALLS_SYS_SOCKET || t->sys == CALLS_SYS_ACCEPT))
		r.fd = r.ret >= 0 ? (int32_t)r.ret : -1;
	if (t->sys != CALLS_SYS_CLOSE && r.fd >= 0) {
		unsigned long ino = fd_inode(tid, r.fd);
		if (ino)
			sock_look(st, tid, t->tgid, r.fd, ino, &r,
				  t->sys == CALLS_SYS_CONNECT || t->sys == CALLS_SYS_SENDTO ||
					  t->sys == CALLS_SYS_SENDMSG || t->sys == CALLS_SYS_SENDMMSG);
	}
	t->sys = CALLS_SYS_NONE;
	put(st, &r);
}

static bool is_stop_sig(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* --pid, at the end: stop each traced thread (PTRACE_INTERRUPT) and detach
 * it at its next stop, handing on a signal it was being given; a thread in
 * a group stop stays stopped, as it was.  Bounded by an alarm: what is
 * left then is detached by the kernel as the helper exits. */
static void detach_all(struct pt_state *st)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_detach_sig; /* no SA_RESTART: waitpid returns */
	sigaction(SIGALRM, &sa, NULL);
	alarm(2);
	for (unsigned i = 0; i < st->n_tr;)
		if (ptrace(PTRACE_INTERRUPT, st->tr[i], NULL, NULL) != 0 && errno == ESRCH)
			tr_del(st, st->tr[i]); /* gone (or a thread an exec replaced) */
		else
			i++;
	for (unsigned k = 0; st->n_tr && !g_alarm && k < 4 * PT_THREADS; k++) {
		int ws;
		pid_t tid = waitpid(-1, &ws, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD */
		}
		if (WIFEXITED(ws) || WIFSIGNALED(ws)) {
			tr_del(st, tid);
			continue;
		}
		if (!WIFSTOPPED(ws))
			continue;
		int sig = WSTOPSIG(ws), event = (unsigned)ws >> 16, give = 0;
		if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
		    event == PTRACE_EVENT_CLONE) {
			unsigned long nt = 0;
			if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &nt) == 0)
				tr_add(st, (pid_t)nt); /* traced already: detached at its first stop */
		} else if (!event && sig != (SIGTRAP | 0x80)) {
			give = sig; /* a signal-delivery stop: the signal goes on */
		}
		ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)give);
		tr_del(st, tid);
	}
	alarm(0);
}

/* The helper: follow every tracee until none is left (or, --pid, until
 * fetchtrace says to let go). */
static void helper_loop(struct pt_state *st)
{
	for (;;) {
		if (g_detach && st->attached) {
			detach_all(st);
			_exit(0);
		}
		int ws;
		pid_t tid = waitpid(-1, &ws, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			_exit(0); /* ECHILD: every tracee is gone */
		}
		if (WIFEXITED(ws) || WIFSIGNALED(ws)) {
			thread_gone(st, tid);
			tr_del(st, tid);
			continue;
		}
		if (!WIFSTOPPED(ws))
			continue;
		tr_add(st, tid); /* a new child's or thread's first stop */
		int sig = WSTOPSIG(ws), event = (unsigned)ws >> 16;
		int inject = 0;
		if (sig == (SIGTRAP | 0x80)) {
			on_syscall(st, tid);
		} else if (event == PTRACE_EVENT_STOP) {
			if (is_stop_sig(sig)) {
				ptrace(PTRACE_LISTEN, tid, NULL, NULL); /* a group stop: stay stopped */
				continue;
			}
		} else if (event) {
			if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
			    event == PTRACE_EVENT_CLONE) {
				unsigned long nt = 0;
				if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &nt) == 0)
					tr_add(st, (pid_t)nt);
			} else if (event == PTRACE_EVENT_EXEC) { /* the thread's calls start afresh */
				struct pt_thread *t = thread_get(st, tid);
				if (t) {
					t->sys = CALLS_SYS_NONE;
					struct calls_raw r;
					rec_base(&r, t, CALLS_REC_EXEC);
					r.fd = -1;
					put(st, &r);
				}
			}
		} else {
			inject = sig; /* a signal for the tracee: delivered */
		}
		ptrace(PTRACE_SYSCALL, tid, NULL, (void *)(long)inject);
	}
}

#define PT_OPTIONS (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | \
		    PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC)

/* In the helper: seize tid (stopping it with PTRACE_INTERRUPT), and start
 * its syscall stops at its first stop. */
static int helper_seize(pid_t tid)
{
	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)PT_OPTIONS) != 0)
		return -1;
	return ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
}

static void helper_start(void)
{
	signal(SIGINT, SIG_IGN);  /* fetchtrace and the command get them */
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* ends with fetchtrace: tracees are then detached */
}

/* ---- the helper's privileges ----
 *
 * The helper needs to attach to the traced processes and, afterwards,
 * to read their /proc/TID/fd links (to know a descriptor is a socket);
 * nothing else.  Before it attaches it becomes the traced process's user
 * (its effective uid and gid; no supplementary groups), keeping only
 * CAP_SYS_PTRACE (Yama's ptrace_scope 1 or 2, or ids unlike ours), and
 * CAP_DAC_READ_SEARCH where the process is not dumpable: its /proc/PID/fd
 * is then root's, mode 0500.  Once every thread is seized, a tree whose
 * processes all run as that user, dumpable and without capabilities (a
 * root process has them all), needs no capability at all
 * (Yama restricts attaching only; a thread or child that comes later is
 * attached by the kernel without a check), so the rest go too.  With
 * no_new_privs and no exec, nothing is ever gained back.  -- CMD: the
 * helper is forked after fetchtrace gave up root, as the command's user;
 * the same steps leave it with no capability (as root without sudo too). */

#define PT_CAP(c) ((uint64_t)1 << (c))

/* Effective and permitted capabilities: keep (of those still permitted);
 * no inheritable ones, so no ambient ones either. */
static void caps_keep(uint64_t keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return;
	keep &= (uint64_t)d[0].permitted | (uint64_t)d[1].permitted << 32;
	for (int k = 0; k < 2; k++) {
		d[k].effective = d[k].permitted = (uint32_t)(keep >> (32 * k));
		d[k].inheritable = 0;
	}
	(void)syscall(SYS_capset, &h, d);
}

/* A process's ids from /proc/PID/status (real, effective, saved), its
 * permitted capabilities, and the owner of its /proc/PID/fd (its
 * effective uid when dumpable, else root). */
struct pt_ids {
	uid_t uid[3];
	gid_t gid[3];
	uint64_t cap_prm;
	uid_t fd_owner;
};

static bool ids_of(pid_t pid, struct pt_ids *id)
{
	char path[64], line[256];
	unsigned got = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	for (unsigned n = 0; got != 7 && n < 128 && fgets(line, sizeof(line), f); n++) {
		unsigned a, b, c;
		unsigned long long caps;
		if (sscanf(line, "Uid: %u %u %u", &a, &b, &c) == 3)
			id->uid[0] = a, id->uid[1] = b, id->uid[2] = c, got |= 1;
		else if (sscanf(line, "Gid: %u %u %u", &a, &b, &c) == 3)
			id->gid[0] = a, id->gid[1] = b, id->gid[2] = c, got |= 2;
		else if (sscanf(line, "CapPrm: %llx", &caps) == 1)
			id->cap_prm = caps, got |= 4;
	}
	fclose(f);
	struct stat sb;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (got != 7 || stat(path, &sb) != 0)
		return false;
	id->fd_owner = sb.st_uid;
	return true;
}

/* pid runs as uid and gid alone, dumpable, with no capability (a reader
 * of its /proc/PID/fd must hold every capability it holds, or
 * CAP_SYS_PTRACE): tracing it needs no capability once it is seized. */
static bool ids_plain(pid_t pid, uid_t uid, gid_t gid)
{
	struct pt_ids id;
	if (!ids_of(pid, &id) || id.fd_owner != uid || id.cap_prm)
		return false;
	for (int k = 0; k < 3; k++)
		if (id.uid[k] != uid || id.gid[k] != gid)
			return false;
	return true;
}

/* Become uid and gid (as root; else stay), keeping only the capabilities
 * keep; no_new_privs.  0, or an errno. */
static int helper_become(uid_t uid, gid_t gid, uint64_t keep)
{
	pid_t parent = getppid();
	if (geteuid() == 0) {
		if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0 || setgroups(0, NULL) != 0 ||
		    setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
			return errno;
		prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	}
	caps_keep(keep);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0)
		return errno;
	/* a change of ids cleared the parent-death signal: again, and
	 * fetchtrace may have gone in between */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	return 0;
}

/* After the seizing: no capability left when every thread traced runs
 * as uid and gid alone, dumpable. */
static void helper_settle(const struct pt_state *st, uid_t uid, gid_t gid)
{
	for (unsigned i = 0; i < st->n_tr; i++)
		if (!ids_plain(st->tr[i], uid, gid))
			return;
	caps_keep(0);
}

pid_t calls_ptrace_fork(struct calls_src *s)
{
	int to_helper[2], to_child[2];
	if (pipe2(to_helper, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(to_child, O_CLOEXEC) != 0) {
		close(to_helper[0]);
		close(to_helper[1]);
		return -1;
	}
	pid_t h = fork();
	if (h < 0)
		goto fail;
	if (h == 0) {
		helper_start();
		close(s->rd);
		close(to_helper[1]);
		close(to_child[0]);
		pid_t child;
		char ok = 0;
		uid_t uid = getuid();
		gid_t gid = getgid();
		if (helper_become(uid, gid, PT_CAP(CAP_SYS_PTRACE)) != 0 ||
		    read(to_helper[0], &child, sizeof(child)) != (ssize_t)sizeof(child))
			_exit(1);
		if (helper_seize(child) == 0)
			ok = 1;
		if (ok && ids_plain(child, uid, gid))
			caps_keep(0);
		if (write(to_child[1], &ok, 1) != 1 || !ok)
			_exit(1);
		struct pt_state *st = calloc(1, sizeof(*st));
		if (!st)
			_exit(1);
		st->out = s->wr;
		helper_loop(st);
		_exit(0);
	}
	s->helper = h;
	pid_t pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		/* Let the helper (not our parent) trace us: Yama's scope 1, and
		 * dumpable after the privilege drop cleared it. */
		prctl(PR_SET_PTRACER, h);
		prctl(PR_SET_DUMPABLE, 1);
		pid_t me = getpid();
		char ok = 0;
		if (write(to_helper[1], &me, sizeof(me)) != (ssize_t)sizeof(me) ||
		    read(to_child[0], &ok, 1) != 1 || !ok)
			fprintf(stderr, "fetchtrace: ptrace could not attach; the command runs untraced\n");
		close(to_helper[0]);
		close(to_helper[1]);
		close(to_child[0]);
		close(to_child[1]);
		close(s->rd);
		close(s->wr);
		return 0;
	}
	close(to_helper[0]);
	close(to_helper[1]);
	close(to_child[0]);
	close(to_child[1]);
	close(s->wr);
	s->wr = -1;
	return pid;
fail:
	close(to_helper[0]);
	close(to_helper[1]);
	close(to_child[0]);
	close(to_child[1]);
	return -1;
}

/* In the helper, --pid: seize every thread of the process pid (its
 * /proc/PID/task, read again until a pass finds no new thread: one may
 * start a thread before it is seized itself), each interrupted so that its
 * syscall stops start.  0, or the errno of seizing pid itself (must: the
 * process asked for; else a thread that is gone, or traced already as the
 * clone of a seized one, is passed over). */
static int seize_threads(struct pt_state *st, pid_t pid, bool must)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	for (unsigned pass = 0; pass < 64; pass++) {
		DIR *d = opendir(path);
		if (!d)
			return pass || !must ? 0 : errno;
		unsigned fresh = 0, seen = 0;
		struct dirent *de;
		while ((de = readdir(d)) && seen++ < 4 * PT_THREADS) {
			char *end;
			long v = strtol(de->d_name, &end, 10);
			if (*end || v <= 0 || tr_has(st, (pid_t)v))
				continue;
			if (ptrace(PTRACE_SEIZE, (pid_t)v, NULL, (void *)(long)PT_OPTIONS) != 0) {
				int e = errno;
				if (v == pid && must && !pass) {
					closedir(d);
					return e;
				}
				continue;
			}
			tr_add(st, (pid_t)v);
			ptrace(PTRACE_INTERRUPT, (pid_t)v, NULL, NULL);
			fresh++;
		}
		closedir(d);
		if (!fresh && pass)
			break;
	}
	return 0;
}

#define PT_TREE 256 /* processes of the tree seized at attach */

/* --pid: the process and the processes it had started (each thread's
 * /proc/PID/task/TID/children, breadth first); those it starts from now
 * on follow by PTRACE_O_TRACEFORK. */
static int seize_all(struct pt_state *st, pid_t pid)
{
	pid_t q[PT_TREE];
	unsigned nq = 0;
	q[nq++] = pid;
	for (unsigned k = 0; k < nq; k++) {
		int e = seize_threads(st, q[k], k == 0);
		if (e)
			return e;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task", (int)q[k]);
		DIR *d = opendir(path);
		if (!d)
			continue;
		struct dirent *de;
		unsigned seen = 0;
		while ((de = readdir(d)) && seen++ < 4 * PT_THREADS && nq < PT_TREE) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			char cp[96], buf[1024];
			snprintf(cp, sizeof(cp), "/proc/%d/task/%.16s/children", (int)q[k], de->d_name);
			int fd = open(cp, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			ssize_t n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n <= 0)
				continue;
			buf[n] = '\0';
			for (char *p = buf, *end; nq < PT_TREE; p = end) {
				long c = strtol(p, &end, 10);
				if (end == p || *end != ' ')
					break; /* the end, or a number the buffer cut */
				bool dup = false;
				for (unsigned j = 0; j < nq; j++)
					dup |= q[j] == (pid_t)c;
				if (c > 0 && !dup)
					q[nq++] = (pid_t)c;
			}
		}
		closedir(d);
	}
	return st->n_tr ? 0 : ESRCH;
}

int calls_ptrace_attach(struct calls_src *s, pid_t pid, char *errbuf)
{
	int res[2], ctl[2];
	if (pipe2(res, O_CLOEXEC) != 0) {
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(ctl, O_CLOEXEC) != 0) {
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "pipe: %s", strerror(errno));
		close(res[0]);
		close(res[1]);
		return -1;
	}
	pid_t h = fork();
	if (h < 0) {
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "fork: %s", strerror(errno));
		close(res[0]), close(res[1]), close(ctl[0]), close(ctl[1]);
		return -1;
	}
	if (h == 0) {
		helper_start();
		close(s->rd);
		close(res[0]);
		close(ctl[1]);
		/* the control pipe's write end closed (fetchtrace is done, or
		 * gone): SIGIO, and the threads are detached */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_detach_sig; /* no SA_RESTART: waitpid returns */
		sigaction(SIGIO, &sa, NULL);
		fcntl(ctl[0], F_SETOWN, getpid());
		fcntl(ctl[0], F_SETFL, fcntl(ctl[0], F_GETFL) | O_ASYNC | O_NONBLOCK);
		struct pt_state *st = calloc(1, sizeof(*st));
		int e = st ? 0 : ENOMEM;
		struct pt_ids id;
		if (!e && !ids_of(pid, &id))
			e = ESRCH;
		if (!e) /* the process's user; see helper_become */
			e = helper_become(id.uid[1], id.gid[1],
					  PT_CAP(CAP_SYS_PTRACE) |
						  (id.fd_owner != id.uid[1] ? PT_CAP(CAP_DAC_READ_SEARCH) : 0));
		if (!e) {
			st->out = s->wr;
			st->attached = true;
			e = seize_all(st, pid);
		}
		if (!e)
			helper_settle(st, id.uid[1], id.gid[1]);
		if (write(res[1], &e, sizeof(e)) != (ssize_t)sizeof(e) || e)
			_exit(1); /* what was seized is let go as we exit */
		close(res[1]);
		char b;
		if (read(ctl[0], &b, 1) == 0) /* closed before SIGIO was armed */
			g_detach = 1;
		helper_loop(st);
		_exit(0);
	}
	close(res[1]);
	close(ctl[0]);
	int e = EIO;
	ssize_t n;
	do
		n = read(res[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(res[0]);
	if (n != (ssize_t)sizeof(e) || e) {
		close(ctl[1]);
		waitpid(h, NULL, 0);
		if (n != (ssize_t)sizeof(e))
			e = EIO;
		snprintf(errbuf, CALLS_ERRBUF_SIZE,
			 "ptrace cannot attach: %s (it needs a process of the same user, else "
			 "CAP_SYS_PTRACE; no other tracer on it; kernel.yama.ptrace_scope 0, "
			 "or 1 or 2 as root)",
			 strerror(e));
		return -1;
	}
	s->helper = h;
	s->ctl = ctl[1];
	close(s->wr);
	s->wr = -1;
	return 0;
}

int calls_ptrace_drain(struct calls_src *s, calls_rec_fn fn, void *ctx)
{
	int n = 0;
	struct calls_raw r;
	for (int i = 0; i < 65536; i++) {
		ssize_t got = read(s->rd, &r, sizeof(r));
		if (got != (ssize_t)sizeof(r))
			break; /* empty (EAGAIN), or the helper is gone */
		fn(ctx, &r);
		n++;
	}
	return n;
}

void calls_ptrace_close(struct calls_src *s)
{
	if (!s)
		return;
	if (s->ctl >= 0) {
		/* --pid: the helper detaches every thread (within its 2 s
		 * alarm), then exits; it may be root while we no longer are,
		 * so it is told by the pipe, not by a signal */
		close(s->ctl);
		for (int i = 0; i < 300; i++) {
			pid_t w = waitpid(s->helper, NULL, WNOHANG);
			if (w == s->helper || (w < 0 && errno != EINTR)) {
				s->helper = -1;
				break;
			}
			struct timespec ts = { 0, 10000000 };
			nanosleep(&ts, NULL);
		}
	}
	if (s->rd >= 0)
		close(s->rd);
	if (s->wr >= 0)
		close(s->wr);
	if (s->helper > 0) {
		/* its tracees are detached, not killed (a root helper of --pid
		 * we may not signal ends with us: PR_SET_PDEATHSIG) */
		if (kill(s->helper, SIGKILL) == 0)
			waitpid(s->helper, NULL, 0);
	}
	free(s);
}
