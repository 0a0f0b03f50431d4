// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * calls.bpf.c - the socket system calls of a traced process tree (issue 14).
 *
 * Raw tracepoints sys_enter/sys_exit (no kprobe, no tracefs), filtered in
 * the kernel to the tgids in `traced`; sched_process_fork adds a traced
 * parent's children, so the whole tree is followed from the first fork.
 * Each socket call gives an ENTER and an EXIT record through a ring buffer.
 * What is read: the syscall number, its arguments, the return value, the
 * socket's addresses (struct sock_common) and a connect()/sendto() target
 * sockaddr.  No data buffer is read.
 *
 * A non-blocking connect() (EINPROGRESS) puts (tgid, fd) in `pending`; the
 * wait that first sees that socket ready (poll's pollfds, select's
 * writefds, epoll_wait's events: the calls' argument arrays, read at
 * return) gives a record and takes it out, so a program waiting again and
 * again (a browser's event loop) costs no ring buffer room.  epoll_wait
 * returns the data that epoll_ctl registered, not the descriptor: `epdata`
 * maps (tgid, epfd, data) back to it.  getsockopt(SOL_SOCKET, SO_ERROR), the
 * connect()'s result as the program reads it, is a record too.
 *
 * CO-RE: the kernel structures below are minimal local definitions with
 * preserve_access_index; libbpf moves each field access to its offset in
 * the running kernel's BTF (/sys/kernel/btf/vmlinux), so no vmlinux.h.
 * x86_64 only (the pt_regs names and the syscall numbers).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "calls_raw.h"

/* GPL-compatible, as the kernel requires of programs using bpf_probe_read_kernel */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define FD_MAX (1 << 20) /* a descriptor beyond this is not looked up */

struct pt_regs {
	unsigned long di, si, dx, r10, r8, r9;
} __attribute__((preserve_access_index));

struct task_struct {
	int pid, tgid;
	struct files_struct *files;
	struct task_struct *group_leader;
	char comm[16];
} __attribute__((preserve_access_index));

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
} __attribute__((preserve_access_index));

struct files_struct {
	struct fdtable *fdt;
} __attribute__((preserve_access_index));

struct inode {
	unsigned short i_mode;
} __attribute__((preserve_access_index));

struct file {
	struct inode *f_inode;
	void *private_data;
} __attribute__((preserve_access_index));

struct in6_addr {
	union {
		__u8 u6_addr8[16];
	} in6_u;
} __attribute__((preserve_access_index));

struct sock_common {
	volatile unsigned char skc_state;
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct socket {
	short type;
	struct sock *sk;
} __attribute__((preserve_access_index));

/* A call in flight, per thread: its ENTER record, for the EXIT's. */
struct inflight {
	__u16 sys;
	__s32 fd;
	__u64 ptr;  /* poll: the pollfd array; select: writefds; epoll_wait: the events;
	             * getsockopt: optval */
	__u32 n;    /* poll: its length; select: nfds; epoll_wait: maxevents */
	__s32 epfd; /* epoll_ctl, epoll_wait */
	__u32 op;   /* epoll_ctl */
	__u32 events; /* epoll_ctl: the epoll_event asked */
	__u64 data;
};

/* (tgid, epfd, data) of an epoll registration */
struct epkey {
	__u32 tgid;
	__s32 epfd;
	__u64 data;
};

#define POLL_FDS 8       /* pollfds looked at, from the start of the array */
#define POLLOUT 0x004
#define EV_READY (CALLS_EPOLLOUT | CALLS_EPOLLERR | CALLS_EPOLLHUP)
#define EP_EVENTS 16     /* epoll_events looked at, from the start of the array */
#define SEL_WORDS 16     /* select: the 1024 bits of an fd_set, as 64-bit words */
#define SEL_RECS 8       /* connect()s in progress a process's select() looks for (a power of 2) */
#define EINPROGRESS 115
#define TCP_ESTABLISHED 1
#define TCP_CLOSE 7
#define TCP_CLOSE_WAIT 8

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);   /* tgid */
	__type(value, __u8);  /* 1 traced; 2 only its children are (fetchtrace while it forks) */
} traced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);   /* tid */
	__type(value, struct inflight);
} inflight SEC(".maps");

/* sockets whose non-blocking connect() is in progress: (tgid << 32 | fd) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} pending SEC(".maps");

/* epoll registrations of sockets: (tgid, epfd, data) -> fd.  A DEL is not
 * followed (the data may stand until registered again, or evicted): a
 * stale entry can only name a socket no longer pending. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct epkey);
	__type(value, __s32);
} epdata SEC(".maps");

/* per process, the descriptors of its last SEL_RECS connect()s that
 * returned EINPROGRESS (-1 none): what select() looks for in writefds */
struct pendlist {
	__s32 fd[SEL_RECS];
	__u32 next;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct pendlist);
} pendlist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

/* Records the ring buffer had no room for (read by calls_bpf_lost). */
__u64 lost = 0;

/* A record reserved in the ring buffer, zeroed, its header filled (pt: the
 * thread's pid_tgid); NULL when the buffer is full (counted in `lost`). */
static __always_inline struct calls_raw *rec_new(__u64 pt, __u16 kind, __u16 sys, int fd, long ret)
{
	struct calls_raw *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->ts_ns = bpf_ktime_get_ns();
	r->ret = ret;
	r->tgid = pt >> 32;
	r->tid = (__u32)pt;
	r->kind = kind;
	r->sys = sys;
	r->fd = fd;
	return r;
}

/* Take (tgid, fd) out of `pending`: true when it was there. */
static __always_inline int pending_take(__u64 pt, int fd)
{
	__u64 pk = (pt & ~0xffffffffULL) | (__u32)fd;
	return bpf_map_delete_elem(&pending, &pk) == 0;
}

/* x86_64 syscall numbers to calls_sys */
static __always_inline __u16 sys_of(long nr)
{
	switch (nr) {
	case 0: return CALLS_SYS_READ;
	case 1: return CALLS_SYS_WRITE;
	case 3: return CALLS_SYS_CLOSE;
	case 19: return CALLS_SYS_READV;
	case 20: return CALLS_SYS_WRITEV;
	case 41: return CALLS_SYS_SOCKET;
	case 42: return CALLS_SYS_CONNECT;
	case 43: return CALLS_SYS_ACCEPT;
	case 44: return CALLS_SYS_SENDTO;
	case 45: return CALLS_SYS_RECVFROM;
	case 46: return CALLS_SYS_SENDMSG;
	case 47: return CALLS_SYS_RECVMSG;
	case 48: return CALLS_SYS_SHUTDOWN;
	case 288: return CALLS_SYS_ACCEPT;
	case 299: return CALLS_SYS_RECVMMSG;
	case 307: return CALLS_SYS_SENDMMSG;
	case 7: return CALLS_SYS_POLL;
	case 271: return CALLS_SYS_POLL;
	case 23: return CALLS_SYS_SELECT;
	case 270: return CALLS_SYS_SELECT;     /* pselect6 */
	case 232: return CALLS_SYS_EPOLL_WAIT;
	case 281: return CALLS_SYS_EPOLL_WAIT; /* epoll_pwait */
	case 441: return CALLS_SYS_EPOLL_WAIT; /* epoll_pwait2 */
	case 233: return CALLS_SYS_EPOLL_CTL;
	case 55: return CALLS_SYS_GETSOCKOPT;
	}
	return CALLS_SYS_NONE;
}

static __always_inline int traced_now(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 *v = bpf_map_lookup_elem(&traced, &tgid);
	return v && *v == 1;
}

/* The socket behind fd of the current task, or NULL when fd is not one. */
static __always_inline struct socket *fd_socket(int fd)
{
	if (fd < 0 || fd >= FD_MAX)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return 0;
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned int)fd >= max)
		return 0;
	struct file **arr = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]) || !f)
		return 0;
	unsigned short mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return 0;
	return BPF_CORE_READ(f, private_data);
}

/* The socket's family, type and addresses into r. */
static __always_inline void sock_fill(struct calls_raw *r, struct socket *so)
{
	if (!so)
		return;
	r->sotype = (__u16)BPF_CORE_READ(so, type);
	struct sock *sk = BPF_CORE_READ(so, sk);
	if (!sk)
		return;
	r->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	r->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	r->rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (r->family == AF_INET) {
		__be32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__be32 b = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(r->laddr, &a, 4);
		__builtin_memcpy(r->raddr, &b, 4);
	} else if (r->family == AF_INET6) {
		BPF_CORE_READ_INTO(&r->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&r->raddr, sk, __sk_common.skc_v6_daddr);
	}
}

/* A connect()/sendto() target: sockaddr_in or sockaddr_in6 (the address
 * argument, not data). */
static __always_inline void target_fill(struct calls_raw *r, const void *uaddr, unsigned long len)
{
	__u8 sa[28] = {};
	if (!uaddr || len < 8)
		return;
	if (bpf_probe_read_user(sa, len < sizeof(sa) ? (len < 16 ? 8 : 16) : sizeof(sa), uaddr))
		return;
	__u16 fam = sa[0] | (sa[1] << 8);
	r->tport = (__u16)((sa[2] << 8) | sa[3]);
	if (fam == AF_INET && len >= 8) {
		r->tfamily = AF_INET;
		__builtin_memcpy(r->taddr, &sa[4], 4);
	} else if (fam == AF_INET6 && len >= 24) {
		r->tfamily = AF_INET6;
		__builtin_memcpy(r->taddr, &sa[8], 16);
	}
}

/* The thread's name and its process's (the group leader's). */
static __always_inline void names_fill(struct calls_raw *r)
{
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	if (leader)
		BPF_CORE_READ_STR_INTO(&r->pcomm, leader, comm);
}

SEC("raw_tracepoint/sys_enter")
int calls_enter(struct bpf_raw_tracepoint_args *ctx)
{
	if (!traced_now())
		return 0;
	__u16 sys = sys_of((long)ctx->args[1]);
	if (sys == CALLS_SYS_NONE)
		return 0;
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long a0 = (long)BPF_CORE_READ(regs, di);
	long a1 = (long)BPF_CORE_READ(regs, si);
	long a2 = (long)BPF_CORE_READ(regs, dx);
	struct socket *so = 0;
	int fd = (int)a0;
	__u64 pt0 = bpf_get_current_pid_tgid();
	if (sys == CALLS_SYS_POLL || sys == CALLS_SYS_SELECT || sys == CALLS_SYS_EPOLL_WAIT) {
		/* no record now: at its return, the pending sockets found ready */
		__u32 ptid = (__u32)pt0;
		struct inflight pin = { .sys = sys, .fd = -1, .ptr = (__u64)a0, .n = (__u32)a1 };
		if (sys == CALLS_SYS_SELECT) /* nfds, writefds */
			pin.n = (__u32)a0, pin.ptr = (__u64)a2;
		else if (sys == CALLS_SYS_EPOLL_WAIT) /* epfd, events, maxevents */
			pin.epfd = (int)a0, pin.ptr = (__u64)a1, pin.n = (__u32)a2;
		bpf_map_update_elem(&inflight, &ptid, &pin, BPF_ANY);
		return 0;
	}
	if (sys == CALLS_SYS_EPOLL_CTL || sys == CALLS_SYS_GETSOCKOPT) {
		/* one record, at the return, with the arguments read now */
		struct inflight cin = { .sys = sys, .fd = (int)a2 };
		if (sys == CALLS_SYS_EPOLL_CTL) { /* epfd, op, fd, event */
			cin.epfd = (int)a0;
			cin.op = (__u32)a1;
			struct { __u32 events; __u64 data; } __attribute__((packed)) ev = {};
			__u64 evp = (__u64)BPF_CORE_READ(regs, r10);
			if (cin.op != CALLS_EPOLL_DEL &&
			    (!evp || bpf_probe_read_user(&ev, sizeof(ev), (const void *)evp)))
				return 0;
			cin.events = ev.events;
			cin.data = ev.data;
		} else { /* fd, level, optname, optval: SOL_SOCKET, SO_ERROR only */
			if (a1 != 1 || a2 != 4)
				return 0;
			cin.fd = fd;
			cin.ptr = (__u64)BPF_CORE_READ(regs, r10);
		}
		if (!fd_socket(cin.fd))
			return 0;
		__u32 ctid = (__u32)pt0;
		bpf_map_update_elem(&inflight, &ctid, &cin, BPF_ANY);
		return 0;
	}
	if (sys == CALLS_SYS_SOCKET) {
		fd = -1;
	} else {
		so = fd_socket(fd);
		if (!so)
			return 0; /* read/write/close of a file, a pipe: not ours */
	}
	__u64 pt = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pt;
	if (sys == CALLS_SYS_CLOSE) {
		__u64 pk = (pt & ~0xffffffffULL) | (__u32)fd;
		bpf_map_delete_elem(&pending, &pk);
	}
	struct inflight in = { .sys = sys, .fd = fd };
	bpf_map_update_elem(&inflight, &tid, &in, BPF_ANY);
	struct calls_raw *r = rec_new(pt, CALLS_REC_ENTER, sys, fd, 0);
	if (!r)
		return 0;
	switch (sys) {
	case CALLS_SYS_READ: case CALLS_SYS_WRITE: case CALLS_SYS_SENDTO: case CALLS_SYS_RECVFROM:
	case CALLS_SYS_READV: case CALLS_SYS_WRITEV: case CALLS_SYS_SENDMMSG: case CALLS_SYS_RECVMMSG:
		r->asked = (__u32)a2;
		break;
	case CALLS_SYS_SOCKET:
		r->family = (__u16)a0;
		r->sotype = (__u16)(a1 & 0xf);
		break;
	case CALLS_SYS_SHUTDOWN:
		r->asked = (__u32)a1; /* how */
		break;
	}
	if (sys == CALLS_SYS_CONNECT)
		target_fill(r, (const void *)a1, (unsigned long)a2);
	else if (sys == CALLS_SYS_SENDTO)
		target_fill(r, (const void *)BPF_CORE_READ(regs, r8),
			    (unsigned long)BPF_CORE_READ(regs, r9));
	sock_fill(r, so);
	names_fill(r);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* poll()/ppoll() returned: a record for each pending socket among its
 * first POLL_FDS pollfds (the call's argument array, not data) found
 * writable (or its error),
 * which is how a program learns that a non-blocking connect() is done. */
static __always_inline void poll_writable(__u64 ptr, __u32 nfds, long ret, __u64 pt)
{
	if (ret <= 0 || !ptr)
		return;
	for (int i = 0; i < POLL_FDS; i++) {
		if ((__u32)i >= nfds)
			break;
		struct { int fd; short events, revents; } pf;
		if (bpf_probe_read_user(&pf, sizeof(pf), (const void *)(ptr + (__u64)i * 8)))
			break;
		if (!(pf.revents & EV_READY)) /* POLLOUT, POLLERR, POLLHUP: the same bits */
			continue;
		struct socket *so = fd_socket(pf.fd);
		if (!so || !pending_take(pt, pf.fd))
			continue;
		struct calls_raw *r = rec_new(pt, CALLS_REC_EXIT, CALLS_SYS_POLL, pf.fd, ret);
		if (!r)
			return;
		r->asked = (__u16)pf.revents;
		sock_fill(r, so);
		names_fill(r);
		bpf_ringbuf_submit(r, 0);
	}
}

/* A record of a readiness call or getsockopt for the socket fd. */
static __always_inline void ready_rec(__u16 sys, int fd, long ret, __u64 pt, struct socket *so,
				      int epfd, __u32 events, __u64 data, int val)
{
	struct calls_raw *r = rec_new(pt, CALLS_REC_EXIT, sys, fd, ret);
	if (!r)
		return;
	r->epfd = epfd;
	r->events = sys == CALLS_SYS_GETSOCKOPT ? 0 : events;
	r->state = sys == CALLS_SYS_GETSOCKOPT ? events : 0; /* getsockopt: its TCP state */
	r->data = data;
	r->val = val;
	sock_fill(r, so);
	names_fill(r);
	bpf_ringbuf_submit(r, 0);
}

/* epoll_wait returned ret events into ptr: a record for each of the first
 * EP_EVENTS that found a pending socket ready (writable, or its error). */
static __always_inline void epoll_ready(__u64 ptr, int epfd, long ret, __u64 pt)
{
	if (ret <= 0 || !ptr)
		return;
	for (int i = 0; i < EP_EVENTS; i++) {
		if (i >= ret)
			break;
		/* struct epoll_event is packed on x86_64: 12 bytes */
		struct { __u32 events; __u64 data; } __attribute__((packed)) ev;
		if (bpf_probe_read_user(&ev, sizeof(ev), (const void *)(ptr + (__u64)i * 12)))
			break;
		if (!(ev.events & EV_READY))
			continue;
		struct epkey k = { .tgid = pt >> 32, .epfd = epfd, .data = ev.data };
		__s32 *fdp = bpf_map_lookup_elem(&epdata, &k);
		if (!fdp)
			continue;
		int fd = *fdp;
		if (!pending_take(pt, fd))
			continue;
		ready_rec(CALLS_SYS_EPOLL_WAIT, fd, ret, pt, fd_socket(fd), epfd, ev.events, ev.data, 0);
	}
}

/* select()/pselect6() returned: a record for each pending socket of the
 * process (its last SEL_RECS connect()s in progress, `pendlist`) below
 * nfds and 1024 that is set in writefds: one word of the bitmap read for
 * each, not the 1024 bits.  Writable there also means the connect()
 * failed, so the socket's state says which (not ESTABLISHED: an error). */
static __always_inline void select_ready(__u64 ptr, __u32 nfds, long ret, __u64 pt)
{
	if (ret <= 0 || !ptr)
		return;
	__u32 tgid = pt >> 32;
	struct pendlist *pl = bpf_map_lookup_elem(&pendlist, &tgid);
	if (!pl)
		return;
	for (int k = 0; k < SEL_RECS; k++) {
		int fd = pl->fd[k];
		if (fd < 0 || fd >= SEL_WORDS * 64 || (__u32)fd >= nfds)
			continue;
		__u64 bits = 0;
		if (bpf_probe_read_user(&bits, sizeof(bits), (const void *)(ptr + ((__u64)fd >> 6) * 8)))
			continue;
		if (!((bits >> (fd & 63)) & 1) || !pending_take(pt, fd))
			continue;
		struct socket *so = fd_socket(fd);
		struct sock *sk = so ? BPF_CORE_READ(so, sk) : 0;
		unsigned char st = sk ? BPF_CORE_READ(sk, __sk_common.skc_state) : 0;
		__u32 ev = CALLS_EPOLLOUT;
		if (st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT)
			ev |= CALLS_EPOLLERR;
		ready_rec(CALLS_SYS_SELECT, fd, ret, pt, so, -1, ev, 0, 0);
	}
}

SEC("raw_tracepoint/sys_exit")
int calls_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pt = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pt;
	struct inflight *in = bpf_map_lookup_elem(&inflight, &tid);
	if (!in)
		return 0;
	__u16 sys = in->sys;
	int fd = in->fd;
	__u64 ptr = in->ptr;
	__u32 nfds = in->n;
	int epfd = in->epfd;
	__u32 op = in->op, events = in->events;
	__u64 data = in->data;
	bpf_map_delete_elem(&inflight, &tid);
	long ret = (long)ctx->args[1];
	if (sys == CALLS_SYS_POLL) {
		poll_writable(ptr, nfds, ret, pt);
		return 0;
	}
	if (sys == CALLS_SYS_EPOLL_WAIT) {
		epoll_ready(ptr, epfd, ret, pt);
		return 0;
	}
	if (sys == CALLS_SYS_SELECT) {
		select_ready(ptr, nfds, ret, pt);
		return 0;
	}
	if (sys == CALLS_SYS_EPOLL_CTL) {
		if (ret == 0 && (op == CALLS_EPOLL_ADD || op == CALLS_EPOLL_MOD)) {
			struct epkey k = { .tgid = pt >> 32, .epfd = epfd, .data = data };
			__s32 v = fd;
			bpf_map_update_elem(&epdata, &k, &v, BPF_ANY);
		}
		/* a record while it matters: the socket's connect() pending, or
		 * not yet called (registered first, connected after) */
		struct socket *so = fd_socket(fd);
		struct sock *sk = so ? BPF_CORE_READ(so, sk) : 0;
		unsigned char st = sk ? BPF_CORE_READ(sk, __sk_common.skc_state) : 0;
		__u64 pk = (pt & ~0xffffffffULL) | (__u32)fd;
		if (st == TCP_CLOSE || bpf_map_lookup_elem(&pending, &pk)) {
			struct calls_raw *r = rec_new(pt, CALLS_REC_EXIT, sys, fd, ret);
			if (!r)
				return 0;
			r->asked = op;
			r->epfd = epfd;
			r->events = events;
			r->data = data;
			sock_fill(r, so);
			names_fill(r);
			bpf_ringbuf_submit(r, 0);
		}
		return 0;
	}
	if (sys == CALLS_SYS_GETSOCKOPT) {
		int val = 0;
		if (ret == 0 && ptr)
			bpf_probe_read_user(&val, sizeof(val), (const void *)ptr);
		/* not taken out of pending: a program may ask before it waits */
		struct socket *so = fd_socket(fd);
		struct sock *sk = so ? BPF_CORE_READ(so, sk) : 0;
		__u32 st = sk ? BPF_CORE_READ(sk, __sk_common.skc_state) : 0;
		ready_rec(CALLS_SYS_GETSOCKOPT, fd, ret, pt, so, -1, st, 0, val);
		return 0;
	}
	if (sys == CALLS_SYS_CONNECT && ret == -EINPROGRESS) {
		__u64 pk = (pt & ~0xffffffffULL) | (__u32)fd;
		__u8 one = 1;
		bpf_map_update_elem(&pending, &pk, &one, BPF_ANY);
		__u32 tgid = pt >> 32;
		struct pendlist *pl = bpf_map_lookup_elem(&pendlist, &tgid);
		if (!pl) {
			struct pendlist fresh;
			for (int k = 0; k < SEL_RECS; k++)
				fresh.fd[k] = -1;
			fresh.next = 0;
			bpf_map_update_elem(&pendlist, &tgid, &fresh, BPF_NOEXIST);
			pl = bpf_map_lookup_elem(&pendlist, &tgid);
		}
		if (pl) {
			pl->fd[pl->next & (SEL_RECS - 1)] = fd;
			pl->next++;
		}
	}
	if (sys == CALLS_SYS_SOCKET || sys == CALLS_SYS_ACCEPT)
		fd = ret >= 0 ? (int)ret : -1;
	struct calls_raw *r = rec_new(pt, CALLS_REC_EXIT, sys, fd, ret);
	if (!r)
		return 0;
	if (sys != CALLS_SYS_CLOSE)
		sock_fill(r, fd_socket(fd));
	names_fill(r);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* A traced process's children are traced (threads share its tgid). */
SEC("raw_tracepoint/sched_process_fork")
int calls_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	if (ptgid == ctgid || !bpf_map_lookup_elem(&traced, &ptgid))
		return 0;
	__u8 one = 1;
	bpf_map_update_elem(&traced, &ctgid, &one, BPF_ANY);
	return 0;
}

/* A traced process ran execve(): what it is may have changed. */
SEC("raw_tracepoint/sched_process_exec")
int calls_exec(struct bpf_raw_tracepoint_args *ctx)
{
	(void)ctx;
	if (!traced_now())
		return 0;
	__u64 pt = bpf_get_current_pid_tgid();
	struct calls_raw *r = rec_new(pt, CALLS_REC_EXEC, 0, -1, 0);
	if (!r)
		return 0;
	names_fill(r);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* A process gone: its tgid may be reused by anyone. */
SEC("raw_tracepoint/sched_process_exit")
int calls_gone(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pt = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pt, tgid = pt >> 32;
	bpf_map_delete_elem(&inflight, &tid);
	if (tid == tgid) {
		__u8 *v = bpf_map_lookup_elem(&traced, &tgid);
		if (v && *v == 1)
			bpf_map_delete_elem(&traced, &tgid);
	}
	return 0;
}
