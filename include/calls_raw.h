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
};

#endif
