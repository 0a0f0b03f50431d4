/* calls_raw.h - one socket system call record, as the kernel side (BPF) or
 * the ptrace helper hands it over: shared by src/bpf/calls.bpf.c and the
 * user side, so only fixed-width types and no libc. */
#ifndef FT_CALLS_RAW_H
#define FT_CALLS_RAW_H

#include <linux/types.h>

#define CALLS_COMM_LEN 16

/* What a record is: a call entered, or returned; or a traced process ran
 * execve() (its command line changed: a browser's child becomes what it is). */
enum { CALLS_REC_ENTER = 1, CALLS_REC_EXIT = 2, CALLS_REC_EXEC = 3 };

/* Which call (its name, whatever the architecture's number). */
enum calls_sys {
	CALLS_SYS_NONE = 0,
	CALLS_SYS_SOCKET, CALLS_SYS_CONNECT, CALLS_SYS_ACCEPT, CALLS_SYS_SENDTO,
	CALLS_SYS_RECVFROM, CALLS_SYS_SENDMSG, CALLS_SYS_RECVMSG, CALLS_SYS_SENDMMSG,
	CALLS_SYS_RECVMMSG, CALLS_SYS_SHUTDOWN, CALLS_SYS_READ, CALLS_SYS_WRITE,
	CALLS_SYS_READV, CALLS_SYS_WRITEV, CALLS_SYS_CLOSE,
	CALLS_SYS_POLL,     /* poll/ppoll: an EXIT per socket it found writable (asked: revents) */
	CALLS_SYS_EPOLL_CTL, /* an EXIT with its arguments: epfd, asked = op, fd, events, data */
	CALLS_SYS_EPOLL_WAIT, /* epoll_wait/epoll_pwait/epoll_pwait2: an EXIT per returned
	                       * epoll_event that may be a connect()'s end (epfd, events, data) */
	CALLS_SYS_SELECT,   /* select/pselect6: an EXIT per socket of writefds found writable */
	CALLS_SYS_GETSOCKOPT, /* getsockopt(fd, SOL_SOCKET, SO_ERROR): an EXIT, val the error */
	CALLS_SYS_MAX
};

/*
 * One record.  The socket's addresses are what the kernel's socket held
 * when the record was made (BPF: struct sock_common; ptrace: /proc/PID/net),
 * family 0 when unknown; the target of a connect() is its sockaddr
 * argument.  No byte of the data buffers is ever read.
 */
struct calls_raw {
	__u64 ts_ns;        /* CLOCK_MONOTONIC */
	__s64 ret;          /* EXIT: the return value (-errno on error) */
	__u32 tgid;         /* process */
	__u32 tid;          /* thread */
	__s32 fd;           /* the descriptor (socket(): the one returned, at EXIT) */
	__u32 asked;        /* bytes asked (write/send/read/recv), vector length (v/mmsg) */
	__u16 kind;         /* CALLS_REC_* */
	__u16 sys;          /* enum calls_sys */
	__u16 family;       /* the socket's: AF_INET, AF_INET6, AF_UNIX..., 0 unknown */
	__u16 sotype;       /* SOCK_STREAM, SOCK_DGRAM, 0 unknown */
	__u16 lport, rport; /* host order, 0 unknown */
	__u8 laddr[16], raddr[16]; /* IPv4 in the first 4 bytes */
	__u16 tfamily;      /* connect/sendto target: AF_INET, AF_INET6, 0 none */
	__u16 tport;        /* its port, host order */
	__u8 taddr[16];
	char comm[CALLS_COMM_LEN]; /* the thread's name */
	char pcomm[CALLS_COMM_LEN]; /* the process's (its main thread's) name */
	/* the readiness calls' arguments (never data): */
	__u64 data;         /* epoll_ctl, epoll_wait: the epoll_event's data (what the
	                     * program registered, a pointer or the fd) */
	__s32 epfd;         /* epoll_ctl, epoll_wait: the epoll descriptor, else -1 or 0 */
	__u32 events;       /* epoll_ctl: the events asked; epoll_wait: returned (EPOLL*) */
	__s32 val;          /* getsockopt SO_ERROR: the value read (0, or an errno) */
	__u32 state;        /* getsockopt SO_ERROR: the socket's TCP state then (1 ESTABLISHED,
	                     * 2 SYN_SENT, 8 CLOSE_WAIT ...), 0 unknown */
};

/* epoll_ctl's op (asked) and the epoll events shown */
enum { CALLS_EPOLL_ADD = 1, CALLS_EPOLL_DEL = 2, CALLS_EPOLL_MOD = 3 };
#define CALLS_EPOLLIN 0x001u
#define CALLS_EPOLLOUT 0x004u
#define CALLS_EPOLLERR 0x008u
#define CALLS_EPOLLHUP 0x010u
#define CALLS_EPOLLRDHUP 0x2000u
#define CALLS_EPOLLET (1u << 31)
#define CALLS_EPOLLONESHOT (1u << 30)

#endif
