/* cmdsock.c - which packets belong to a traced command: the sockets of its process tree. */
#include "cmdsock.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "digits.h"

/*
 * How a packet is tied to a process (no privilege needed for any of it):
 *
 *   packet -> four-tuple -> sock_diag exact lookup (inet_diag_req_v2, both
 *   ends) -> the socket's uid and inode -> is the inode among the
 *   "socket:[N]" links of /proc/PID/fd of a process below ours?
 *
 * The lookup is made when the flow's first packet is handed over, while
 * the socket still exists: it existed when the packet was sent.  A socket
 * that was closed before that (a DNS socket of a fast resolver, a program
 * quicker than the capture) is not found: the flow is UNKNOWN.  The
 * process tree's descriptors are read again only when the last reading
 * started before the packet was captured: a socket that existed at the
 * packet's time and exists at the lookup existed during a later reading,
 * which would have seen it in the command's descriptors.
 */

#define FLOW_SLOTS 4096     /* cached flow verdicts (a power of two) */
#define FLOW_PROBE 8        /* slots tried per flow: the cache evicts, never grows */
#define MAX_PROCS 32768     /* processes read from /proc per reading */
#define MAX_SOCKS 65536     /* socket descriptors of the tree per reading */
#define MAX_DEPTH 256       /* parent links followed from a process to ours */
#define NL_BUF 8192

struct flow_key {
	uint8_t ver, proto;     /* 4 or 6; IPPROTO_TCP or IPPROTO_UDP */
	uint16_t pa, pb;        /* ports of a and b (host order) */
	uint8_t a[16], b[16];   /* the two ends, the lesser (address, port) first */
};

struct flow_slot {
	struct flow_key k;
	bool used;
	uint8_t verdict;        /* enum cmdsock_verdict */
	int64_t last_us;        /* the flow's last packet */
};

struct proc_ent {
	pid_t pid, ppid;
};

struct cmdsock {
	int nl;                  /* NETLINK_SOCK_DIAG socket */
	uint32_t seq;
	pid_t self;              /* our pid: the tree is what is below it */
	uid_t uid;               /* the command's user */
	bool started;
	uint64_t key[2];         /* per-run hash key */
	struct flow_slot *flows; /* [FLOW_SLOTS] */
	struct proc_ent *procs;  /* [MAX_PROCS], one reading of /proc */
	uint32_t *socks;         /* [MAX_SOCKS], sorted inodes of the tree's sockets */
	uint32_t n_socks;
	int64_t scan_us;         /* when the last reading started (CLOCK_REALTIME), -1 none */
	struct cmdsock_stats st;
	uint8_t buf[NL_BUF];
};

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct cmdsock *cmdsock_open(char *errbuf)
{
	struct cmdsock *cs = calloc(1, sizeof(*cs));
	if (cs) {
		cs->nl = -1;
		cs->flows = calloc(FLOW_SLOTS, sizeof(*cs->flows));
		cs->procs = calloc(MAX_PROCS, sizeof(*cs->procs));
		cs->socks = calloc(MAX_SOCKS, sizeof(*cs->socks));
	}
	if (!cs || !cs->flows || !cs->procs || !cs->socks) {
		snprintf(errbuf, CMDSOCK_ERRBUF_SIZE, "out of memory");
		cmdsock_close(cs);
		return NULL;
	}
	cs->nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (cs->nl < 0) {
		snprintf(errbuf, CMDSOCK_ERRBUF_SIZE, "socket diagnostics (NETLINK_SOCK_DIAG): %s",
			 strerror(errno));
		cmdsock_close(cs);
		return NULL;
	}
	if (getrandom(cs->key, sizeof(cs->key), GRND_NONBLOCK) != (ssize_t)sizeof(cs->key)) {
		cs->key[0] = (uint64_t)now_us() ^ 0x9e3779b97f4a7c15u; /* no getrandom: the clock */
		cs->key[1] = (uint64_t)getpid() * 0xbf58476d1ce4e5b9u;
	}
	cs->scan_us = -1;
	return cs;
}

void cmdsock_start(struct cmdsock *cs, pid_t cmd, uid_t uid)
{
	(void)cmd; /* below us: the command and whatever it starts, orphans included */
	cs->self = getpid();
	cs->uid = uid;
	cs->started = true;
	cs->scan_us = -1;
}

void cmdsock_close(struct cmdsock *cs)
{
	if (!cs)
		return;
	if (cs->nl >= 0)
		close(cs->nl);
	free(cs->flows);
	free(cs->procs);
	free(cs->socks);
	free(cs);
}

void cmdsock_stats(const struct cmdsock *cs, struct cmdsock_stats *st)
{
	*st = cs->st;
}

/* ---- the process tree's sockets ---- */

static int proc_cmp(const void *x, const void *y)
{
	pid_t a = ((const struct proc_ent *)x)->pid, b = ((const struct proc_ent *)y)->pid;
	return (a > b) - (a < b);
}

static int u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

/* The parent of pid from /proc/PID/stat ("pid (comm) state ppid ..."; comm
 * may hold spaces and parentheses: the last ')' ends it), and its state
 * letter into *state when not NULL.  -1 when gone. */
static pid_t read_stat(pid_t pid, char *state_out)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	line[n] = '\0';
	char *rp = strrchr(line, ')');
	int ppid;
	char state;
	if (!rp || sscanf(rp + 1, " %c %d", &state, &ppid) != 2)
		return -1;
	if (state_out)
		*state_out = state;
	return (pid_t)ppid;
}

static const struct proc_ent *proc_find(const struct cmdsock *cs, uint32_t n, pid_t pid)
{
	struct proc_ent k = { pid, 0 };
	return bsearch(&k, cs->procs, n, sizeof(k), proc_cmp);
}

/* Below us: the parent links reach our pid (bounded walk). */
static bool in_tree(const struct cmdsock *cs, uint32_t n, pid_t pid)
{
	for (int depth = 0; depth < MAX_DEPTH && pid > 1; depth++) {
		const struct proc_ent *e = proc_find(cs, n, pid);
		if (!e)
			return false;
		if (e->ppid == cs->self)
			return true;
		pid = e->ppid;
	}
	return false;
}

/* The socket inodes of one process's descriptors, added to cs->socks.
 * ppid: its parent. */
static void read_fds(struct cmdsock *cs, pid_t pid, pid_t ppid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d) {
		/* Gone meanwhile is no failure, nor exiting (its descriptors
		 * are root's then), nor our own fork until its exec of the
		 * command is done (not dumpable, as we are: it still holds the
		 * capture socket, and no one may take it). */
		char state = 'X';
		if (errno != ENOENT && ppid != cs->self && read_stat(pid, &state) >= 0 &&
		    state != 'Z' && state != 'X' && state != 'x')
			cs->st.unreadable++;
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL && cs->n_socks < MAX_SOCKS) {
		char link[64];
		if (!digits_all(de->d_name))
			continue;
		ssize_t n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		unsigned long ino;
		if (sscanf(link, "socket:[%lu]", &ino) == 1 && ino <= UINT32_MAX)
			cs->socks[cs->n_socks++] = (uint32_t)ino;
	}
	closedir(d);
}

/*
 * The processes below ours by the kernel's child lists
 * (/proc/PID/task/TID/children, every thread's: a child belongs to the
 * thread that forked it), breadth first into cs->procs; only the tree is
 * read, so the reading is quick while a short-lived socket still exists.
 * The number found, or -1 when the kernel has no child lists
 * (CONFIG_PROC_CHILDREN).
 */
static int walk_children(struct cmdsock *cs)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)cs->self, (int)cs->self);
	if (access(path, R_OK) != 0)
		return -1;
	uint32_t n = 0, next = 0;
	cs->procs[n++] = (struct proc_ent){ cs->self, 0 };
	for (; next < n; next++) {
		pid_t pid = cs->procs[next].pid;
		snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
		DIR *d = opendir(path);
		if (!d)
			continue; /* gone meanwhile */
		struct dirent *de;
		while ((de = readdir(d)) != NULL && n < MAX_PROCS) {
			if (!digits_all(de->d_name))
				continue;
			char cpath[320], list[4096];
			snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", (int)pid,
				 de->d_name);
			int fd = open(cpath, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			ssize_t len = read(fd, list, sizeof(list) - 1);
			close(fd);
			if (len <= 0)
				continue;
			list[len] = '\0';
			/* "pid pid pid " (a longer list is cut: its last number may be too) */
			char *s = list, *end;
			while (n < MAX_PROCS) {
				long v = strtol(s, &end, 10);
				if (end == s)
					break;
				if (v > 0 && (size_t)(end - list) < (size_t)len)
					cs->procs[n++] = (struct proc_ent){ (pid_t)v, pid };
				s = end;
			}
		}
		closedir(d);
	}
	return (int)n;
}

/* Read the tree's socket descriptors again (bounded by MAX_PROCS, MAX_SOCKS). */
static void scan_tree(struct cmdsock *cs)
{
	cs->scan_us = now_us();
	cs->st.scans++;
	cs->n_socks = 0;
	cs->st.n_procs = 0;
	int nc = walk_children(cs);
	if (nc >= 0) {
		for (int i = 1; i < nc; i++) { /* [0] is us */
			cs->st.n_procs++;
			read_fds(cs, cs->procs[i].pid, cs->procs[i].ppid);
		}
		qsort(cs->socks, cs->n_socks, sizeof(*cs->socks), u32_cmp);
		cs->st.n_socks = cs->n_socks;
		return;
	}
	/* No child lists: every process's parent from /proc/PID/stat. */
	DIR *d = opendir("/proc");
	if (!d)
		return;
	uint32_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < MAX_PROCS) {
		if (!digits_all(de->d_name))
			continue;
		long v = strtol(de->d_name, NULL, 10);
		if (v <= 0 || v == cs->self)
			continue;
		pid_t ppid = read_stat((pid_t)v, NULL);
		if (ppid < 0)
			continue;
		cs->procs[n++] = (struct proc_ent){ (pid_t)v, ppid };
	}
	closedir(d);
	qsort(cs->procs, n, sizeof(*cs->procs), proc_cmp);
	for (uint32_t i = 0; i < n; i++) {
		if (!in_tree(cs, n, cs->procs[i].pid))
			continue;
		cs->st.n_procs++;
		read_fds(cs, cs->procs[i].pid, cs->procs[i].ppid);
	}
	qsort(cs->socks, cs->n_socks, sizeof(*cs->socks), u32_cmp);
	cs->st.n_socks = cs->n_socks;
}

static bool sock_in_tree(const struct cmdsock *cs, uint32_t ino)
{
	return bsearch(&ino, cs->socks, cs->n_socks, sizeof(ino), u32_cmp) != NULL;
}

/* ---- sock_diag ---- */

/*
 * One exact lookup (SOCK_DIAG_BY_FAMILY without NLM_F_DUMP): the socket
 * whose id is (src, sport, dst, dport).  The kernel reads the id as
 * (local, remote) for TCP and as (remote, local) for UDP (udp_dump_one,
 * "swapped for historical reasons"): the caller tries both orders.
 * 1 with *ino and *uid, 0 when there is none, -1 on an error.
 */
static int diag_one(struct cmdsock *cs, uint8_t ver, uint8_t proto, const uint8_t *src,
		    uint16_t sport, const uint8_t *dst, uint16_t dport, uint32_t *ino, uint32_t *uid)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = ++cs->seq;
	req.r.sdiag_family = ver == 6 ? AF_INET6 : AF_INET;
	req.r.sdiag_protocol = proto;
	req.r.idiag_states = ~0u;
	req.r.id.idiag_sport = htons(sport);
	req.r.id.idiag_dport = htons(dport);
	memcpy(req.r.id.idiag_src, src, ver == 6 ? 16 : 4);
	memcpy(req.r.id.idiag_dst, dst, ver == 6 ? 16 : 4);
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	cs->st.lookups++;
	if (sendto(cs->nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -1;
	/* The kernel answers within sendto: the reply is queued.  Bounded:
	 * a few stale replies (of an earlier error) are skipped. */
	for (int tries = 0; tries < 4; tries++) {
		ssize_t n = recv(cs->nl, cs->buf, sizeof(cs->buf), MSG_DONTWAIT);
		if (n < 0)
			return -1;
		const struct nlmsghdr *h = (const struct nlmsghdr *)(void *)cs->buf;
		if ((size_t)n < sizeof(*h) || h->nlmsg_len > (size_t)n || h->nlmsg_len < sizeof(*h))
			return -1;
		if (h->nlmsg_seq != cs->seq)
			continue;
		if (h->nlmsg_type == NLMSG_ERROR)
			return 0; /* ENOENT: no such socket (or an error: none known) */
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
			return -1;
		const struct inet_diag_msg *m = NLMSG_DATA(h);
		*ino = m->idiag_inode;
		*uid = m->idiag_uid;
		return 1;
	}
	return -1;
}

/* Whose is the socket with this id: OURS, OTHER, or UNKNOWN (none, or one
 * without an inode: a TIME_WAIT or half-open request socket). */
static enum cmdsock_verdict owner(struct cmdsock *cs, uint8_t ver, uint8_t proto,
				  const uint8_t *src, uint16_t sport, const uint8_t *dst,
				  uint16_t dport, int64_t ts_us)
{
	uint32_t ino = 0, uid = 0;
	if (diag_one(cs, ver, proto, src, sport, dst, dport, &ino, &uid) != 1 || ino == 0)
		return CMDSOCK_UNKNOWN;
	if (uid != (uint32_t)cs->uid)
		return CMDSOCK_OTHER; /* the command runs as cs->uid; a setuid helper is not followed */
	if (sock_in_tree(cs, ino))
		return CMDSOCK_OURS;
	if (cs->scan_us > ts_us)
		return CMDSOCK_OTHER; /* read after the packet, and the socket was not there */
	scan_tree(cs);
	if (sock_in_tree(cs, ino))
		return CMDSOCK_OURS;
	/* Not among the tree's descriptors: another process's, unless it was
	 * closed while they were read (then whose it was cannot be told). */
	uint32_t ino2 = 0, uid2 = 0;
	if (diag_one(cs, ver, proto, src, sport, dst, dport, &ino2, &uid2) != 1 || ino2 != ino)
		return CMDSOCK_UNKNOWN;
	return CMDSOCK_OTHER;
}

/* Both ends on this host: the same address, or both loopback (127/8, ::1). */
static bool both_here(uint8_t ver, const uint8_t *src, const uint8_t *dst)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	if (ver == 4)
		return memcmp(src, dst, 4) == 0 || (src[0] == 127 && dst[0] == 127);
	return memcmp(src, dst, 16) == 0 || (memcmp(src, lo6, 16) == 0 && memcmp(dst, lo6, 16) == 0);
}

/*
 * Both ends of the flow tried: OURS when either socket is the command's.
 * When one end has no socket any more and the other is another program's,
 * the flow is another program's only if the missing end is not here: on
 * loopback it may have been the command's, closed before the lookup.
 */
static enum cmdsock_verdict lookup(struct cmdsock *cs, uint8_t ver, uint8_t proto,
				   const uint8_t *src, uint16_t sport, const uint8_t *dst,
				   uint16_t dport, int64_t ts_us)
{
	enum cmdsock_verdict a = owner(cs, ver, proto, src, sport, dst, dport, ts_us);
	if (a == CMDSOCK_OURS)
		return a;
	enum cmdsock_verdict b = owner(cs, ver, proto, dst, dport, src, sport, ts_us);
	if (b == CMDSOCK_OURS)
		return b;
	if ((a == CMDSOCK_UNKNOWN || b == CMDSOCK_UNKNOWN) && both_here(ver, src, dst))
		return CMDSOCK_UNKNOWN;
	return a == CMDSOCK_OTHER || b == CMDSOCK_OTHER ? CMDSOCK_OTHER : CMDSOCK_UNKNOWN;
}

/* ---- the flow cache ---- */

static void key_make(struct flow_key *k, uint8_t ver, uint8_t proto, const uint8_t *src,
		     uint16_t sport, const uint8_t *dst, uint16_t dport)
{
	size_t alen = ver == 6 ? 16 : 4;
	memset(k, 0, sizeof(*k));
	k->ver = ver;
	k->proto = proto;
	int c = memcmp(src, dst, alen);
	bool swap = c > 0 || (c == 0 && sport > dport);
	memcpy(k->a, swap ? dst : src, alen);
	memcpy(k->b, swap ? src : dst, alen);
	k->pa = swap ? dport : sport;
	k->pb = swap ? sport : dport;
}

/* A keyed mix of the key's bytes (the key is random per run; the probe
 * is bounded, so even colliding flows only evict each other). */
static uint32_t key_hash(const struct cmdsock *cs, const struct flow_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = cs->key[0];
	for (size_t i = 0; i < sizeof(*k); i++) {
		h ^= b[i];
		h *= 0x100000001b3u;
	}
	h ^= cs->key[1];
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	return (uint32_t)h;
}

static struct flow_slot *flow_slot(struct cmdsock *cs, const struct flow_key *k, bool *found)
{
	uint32_t h = key_hash(cs, k);
	struct flow_slot *victim = NULL;
	for (uint32_t i = 0; i < FLOW_PROBE; i++) {
		struct flow_slot *s = &cs->flows[(h + i) & (FLOW_SLOTS - 1)];
		if (s->used && memcmp(&s->k, k, sizeof(*k)) == 0) {
			*found = true;
			return s;
		}
		if (!victim || (victim->used && (!s->used || s->last_us < victim->last_us)))
			victim = s;
	}
	*found = false;
	return victim;
}

enum cmdsock_verdict cmdsock_packet(struct cmdsock *cs, const struct pkt *p)
{
	if (!cs->started || (p->ip_ver != 4 && p->ip_ver != 6))
		return CMDSOCK_UNKNOWN;
	uint8_t ver = p->ip_ver, proto = p->proto;
	const uint8_t *src = p->src, *dst = p->dst;
	uint16_t sport = p->sport, dport = p->dport;
	bool quote = false;
	if ((proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) && p->layer == LAYER_DONE &&
	    p->icmp.error && p->icmp.q.ip && p->icmp.q.ports) {
		/* the flow of the packet it quotes (sent by this host) */
		ver = p->icmp.q.ver;
		proto = p->icmp.q.proto;
		src = p->icmp.q.src;
		dst = p->icmp.q.dst;
		sport = p->icmp.q.sport;
		dport = p->icmp.q.dport;
		quote = true;
	} else if (p->layer < LAYER_TCP || p->frag_later) {
		return CMDSOCK_UNKNOWN; /* no ports to look up */
	}
	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || (ver != 4 && ver != 6))
		return CMDSOCK_UNKNOWN;
	struct flow_key k;
	key_make(&k, ver, proto, src, sport, dst, dport);
	bool found;
	struct flow_slot *s = flow_slot(cs, &k, &found);
	if (quote) /* an error is not a flow's packet: the flow's verdict, or none */
		return found ? (enum cmdsock_verdict)s->verdict : CMDSOCK_UNKNOWN;
	bool new_syn = proto == IPPROTO_TCP && (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
	/* A TCP four-tuple is used again only after a new SYN; a UDP one may
	 * be anybody's next socket once idle.  An idle UDP flow whose socket
	 * is gone keeps its verdict (its last datagrams). */
	bool idle_udp = proto == IPPROTO_UDP && p->ts_us - s->last_us > CMDSOCK_IDLE_US;
	if (!found || new_syn || idle_udp) {
		enum cmdsock_verdict v = lookup(cs, ver, proto, src, sport, dst, dport, p->ts_us);
		if (!found || new_syn || v != CMDSOCK_UNKNOWN)
			s->verdict = (uint8_t)v;
		s->k = k;
		s->used = true;
	}
	s->last_us = p->ts_us;
	return (enum cmdsock_verdict)s->verdict;
}
