/* cmdsock.h - which packets belong to a traced command: the sockets of its process tree. */
#ifndef FT_CMDSOCK_H
#define FT_CMDSOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pkt.h"

#define CMDSOCK_ERRBUF_SIZE 256

struct cmdsock; /* opaque */

/* A packet's verdict. */
enum cmdsock_verdict {
	CMDSOCK_OURS = 0, /* a socket of the command's process tree sent or receives it */
	CMDSOCK_OTHER,    /* the socket at either end belongs to another process */
	CMDSOCK_UNKNOWN,  /* no socket found: closed before the lookup, not this host's,
	                     or no TCP/UDP flow (ARP, an ICMP error quoting no known flow) */
};

/*
 * Open the kernel's socket diagnostics (NETLINK_SOCK_DIAG, inet_diag: no
 * privilege needed to read) and the tables, allocated once.  Before the
 * command starts.  NULL with errbuf filled on failure.
 */
struct cmdsock *cmdsock_open(char *errbuf);

/*
 * The command started: its process tree is every process below ours
 * (the caller made itself a child subreaper, so orphans stay below it).
 * uid: the user it runs as; a socket of another user is not its.
 */
void cmdsock_start(struct cmdsock *cs, pid_t cmd, uid_t uid);

/*
 * The verdict on one decoded packet, cached per flow (a new TCP SYN, or a
 * UDP flow idle for CMDSOCK_IDLE_US whose port has a socket again, is
 * looked up again).  A flow's first
 * packet is looked up at once by its exact four-tuple, both ends tried
 * (loopback has a socket at each); the socket's inode is then looked for
 * among the descriptors (/proc/PID/fd) of the command's processes, read
 * again only when the last reading is older than the packet.  An ICMP
 * error takes the verdict of the flow it quotes.
 */
enum cmdsock_verdict cmdsock_packet(struct cmdsock *cs, const struct pkt *p);

#define CMDSOCK_IDLE_US (10 * 1000000LL)

/* How the verdicts were reached, for tests and the curious. */
struct cmdsock_stats {
	uint64_t lookups;       /* sock_diag queries sent */
	uint64_t scans;         /* readings of the process tree's descriptors */
	uint64_t unreadable;    /* processes of the tree whose descriptors could not be read */
	uint32_t n_procs;       /* processes in the tree at the last reading */
	uint32_t n_socks;       /* their socket descriptors at the last reading */
};
void cmdsock_stats(const struct cmdsock *cs, struct cmdsock_stats *st);

void cmdsock_close(struct cmdsock *cs);

#endif
