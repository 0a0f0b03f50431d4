/* calls.c - the socket system calls of a traced command or process beside
 * its packets (issue 14): records from eBPF or ptrace, joined and
 * time-ordered by calljoin.c, handed to the tracer between the packets.
 *
 * Order: a packet is handed over after every call line standing before
 * it.  The records of a call come before the packets it makes (an ENTER
 * is made before the call does its work), so taking the records before
 * each packet is enough, with one exception: a write() stands at its
 * entry with its result, which comes after its segments.  While such a
 * call is in flight, the packets after its entry wait here (copied into an
 * arena allocated once; bounded in bytes and in time: a write blocked on a
 * full buffer lets them go after CALLS_HOLD_MS, its line then comes late).
 */
#include "calls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "calljoin.h"
#include "trace.h"

#define CALLS_HOLD_BYTES (4u << 20) /* packet bytes that may wait for a call */
#define CALLS_HOLD_PKTS 4096        /* packets that may wait */
#define CALLS_HOLD_MS 300           /* how long they may wait (wall clock) */
#define CALLS_LATE_US 1000          /* slack on the two clocks for a line shown between packets */

#define CALLS_ROLES 256 /* processes whose role is remembered */

/* What a traced process is, from its command line when first seen. */
struct role {
	uint32_t tgid; /* 0 free */
	char name[32];
};

struct held {
	int64_t ts_us;
	uint64_t frame; /* its frame number (-#, JSON "frame") */
	int dlt;
	uint32_t cap_len, wire_len;
	size_t off; /* in the arena */
};

struct calls {
	bool bpf;                 /* the mechanism: eBPF, else ptrace */
	struct calls_src *src;
	struct tracer *t;
	struct calljoin *j;
	int64_t offset_us;        /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint8_t *arena;           /* held packets' bytes */
	size_t arena_used;
	struct held *held;        /* [CALLS_HOLD_PKTS], oldest first from held_first */
	unsigned n_held, held_first;
	int64_t held_since_ms;    /* monotonic: when the oldest held packet came */
	bool no_hold;             /* calls_no_hold */
	int64_t prev_tick_us;     /* CLOCK_REALTIME when the previous calls_tick began: every
	                             packet captured before it has been handed over since */
	struct role roles[CALLS_ROLES];
	unsigned role_next;       /* the slot a new process takes (round robin) */
	/* The local ports the traced processes' sockets were seen with (calls_owns):
	 * a ring of the last CALLS_PORTS, each forgotten CALLS_PORT_US after. */
	struct own_port {
		int64_t at_us;    /* monotonic; 0 = empty */
		uint16_t port;
		bool udp;
	} ports[CALLS_PORTS];
	unsigned port_next;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC: the pair read closest together of a few. */
static int64_t clock_offset(void)
{
	int64_t best = 0, best_gap = INT64_MAX;
	for (int i = 0; i < 5; i++) {
		struct timespec a, r, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &b);
		int64_t ma = (int64_t)a.tv_sec * 1000000 + a.tv_nsec / 1000;
		int64_t mb = (int64_t)b.tv_sec * 1000000 + b.tv_nsec / 1000;
		int64_t rr = (int64_t)r.tv_sec * 1000000 + r.tv_nsec / 1000;
		if (mb - ma < best_gap) {
			best_gap = mb - ma;
			best = rr - (ma + (mb - ma) / 2);
		}
	}
	return best;
}

struct calls *calls_open(enum calls_mode mode, bool for_pid, char *errbuf)
{
	if (mode == CALLS_OFF)
		return NULL;
	struct calls *c = calloc(1, sizeof(*c));
	if (!c || !(c->j = calljoin_new()) || !(c->arena = malloc(CALLS_HOLD_BYTES)) ||
	    !(c->held = calloc(CALLS_HOLD_PKTS, sizeof(*c->held)))) {
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "out of memory");
		goto fail;
	}
	c->offset_us = clock_offset();
	char why[CALLS_ERRBUF_SIZE] = "";
	if (mode != CALLS_PTRACE) {
		c->src = calls_bpf_open(for_pid, why);
		if (c->src) {
			c->bpf = true;
			return c;
		}
		if (mode == CALLS_BPF) {
			snprintf(errbuf, CALLS_ERRBUF_SIZE, "--calls=bpf: %.200s", why);
			goto fail;
		}
	}
	c->src = calls_ptrace_open(errbuf);
	if (!c->src)
		goto fail;
	if (mode == CALLS_AUTO)
		fprintf(stderr, "fetchtrace: socket calls through ptrace (%.200s); "
				"their timings include ptrace's overhead\n", why);
	else
		fprintf(stderr, "fetchtrace: socket calls through ptrace; "
				"their timings include ptrace's overhead\n");
	return c;
fail:
	if (c) {
		calljoin_free(c->j);
		free(c->arena);
		free(c->held);
		free(c);
	}
	return NULL;
}

struct calls *calls_open_feed(void)
{
	struct calls *c = calloc(1, sizeof(*c));
	if (!c || !(c->j = calljoin_new()) || !(c->arena = malloc(CALLS_HOLD_BYTES)) ||
	    !(c->held = calloc(CALLS_HOLD_PKTS, sizeof(*c->held)))) {
		if (c) {
			calljoin_free(c->j);
			free(c->arena);
			free(c);
		}
		return NULL;
	}
	return c;
}

/* The local port of an Internet socket a call was made on (calls_owns). */
static void port_learn(struct calls *c, const struct calls_raw *r)
{
	if (!r->lport || (r->family != AF_INET && r->family != AF_INET6) ||
	    (r->sotype != SOCK_STREAM && r->sotype != SOCK_DGRAM))
		return;
	bool udp = r->sotype == SOCK_DGRAM;
	const struct own_port *last = &c->ports[(c->port_next + CALLS_PORTS - 1) % CALLS_PORTS];
	if (last->at_us && last->port == r->lport && last->udp == udp)
		return; /* the same socket's calls, one after another */
	struct own_port *o = &c->ports[c->port_next++ % CALLS_PORTS];
	o->at_us = mono_us();
	o->port = r->lport;
	o->udp = udp;
}

void calls_feed(struct calls *c, const struct calls_raw *r)
{
	port_learn(c, r);
	calljoin_add(c->j, r, c->offset_us);
}

const char *calls_mechanism(const struct calls *c)
{
	return c->bpf ? "eBPF" : "ptrace";
}

void calls_set_tracer(struct calls *c, struct tracer *t)
{
	c->t = t;
}

void calls_no_hold(struct calls *c)
{
	c->no_hold = true;
}

pid_t calls_fork(struct calls *c)
{
	if (!c->bpf)
		return calls_ptrace_fork(c->src);
	/* The child is traced from its birth: the kernel adds the children of
	 * a process marked so (sched_process_fork); this process is unmarked
	 * at once, and its own calls are never recorded. */
	if (calls_bpf_self(c->src, true) != 0)
		return -1;
	pid_t pid = fork();
	if (pid != 0) {
		int e = errno;
		calls_bpf_self(c->src, false);
		errno = e;
	}
	return pid;
}

int calls_attach(struct calls *c, pid_t pid, char *errbuf)
{
	return c->bpf ? calls_bpf_attach(c->src, pid, errbuf)
		      : calls_ptrace_attach(c->src, pid, errbuf);
}

/*
 * A browser's process type from its command line: Chromium's
 * --type=renderer, --type=gpu-process, --type=utility with
 * --utility-sub-type=network.mojom.NetworkService (the network service,
 * where a browser's sockets live); Firefox's -contentproc ... TYPE (its last
 * argument: tab, socket, rdd ...).  "" for anything else.  Only the
 * switches are looked at, never their other arguments.  The arguments are
 * NUL-separated, or space-separated in one string once a process has set
 * its title (Chromium's children do): both are words here.
 */
void calls_role_of(const char *cmd, size_t len, char *out, size_t cap)
{
	out[0] = '\0';
	const char *type = NULL, *last = NULL;
	size_t type_n = 0, last_n = 0;
	bool network = false, content = false;
	for (size_t i = 0; i < len;) { /* each word: [i, i + n) */
		const char *a = cmd + i;
		size_t n = 0;
		while (i + n < len && a[n] && a[n] != ' ')
			n++;
		if (n > 7 && !strncmp(a, "--type=", 7))
			type = a + 7, type_n = n - 7;
		else if (n >= 47 && !strncmp(a, "--utility-sub-type=network.mojom.NetworkService", 47))
			network = true;
		else if (n == 12 && !strncmp(a, "-contentproc", 12))
			content = true;
		if (n)
			last = a, last_n = n;
		i += n + 1;
	}
	const char *name = network ? "network service" : type ? type : content ? last : NULL;
	size_t name_n = network ? 15 : type ? type_n : last_n;
	if (!name || cap < 2)
		return;
	size_t k = 0;
	for (; k < name_n && k < 24 && k + 1 < cap; k++) /* letters, digits, '-', ' ' */
		out[k] = (name[k] >= 'a' && name[k] <= 'z') || (name[k] >= '0' && name[k] <= '9') ||
				 name[k] == '-' || name[k] == ' '
			 ? name[k] : '_';
	out[k] = '\0';
	if (content && !network && !type && k + 9 < cap)
		strcat(out, " process");
}

static struct role *role_find(struct calls *c, uint32_t tgid)
{
	for (unsigned i = 0; i < CALLS_ROLES; i++)
		if (c->roles[i].tgid == tgid)
			return &c->roles[i];
	return NULL;
}

/* A process first seen: its role read now, while it surely exists. */
static void role_learn(struct calls *c, uint32_t tgid)
{
	if (!tgid || role_find(c, tgid))
		return;
	struct role *r = &c->roles[c->role_next++ % CALLS_ROLES];
	r->tgid = tgid;
	r->name[0] = '\0';
	char path[64], cmd[4096];
	snprintf(path, sizeof(path), "/proc/%u/cmdline", (unsigned)tgid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	size_t n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	cmd[n] = '\0';
	calls_role_of(cmd, n, r->name, sizeof(r->name));
}

static void on_rec(void *ctx, const struct calls_raw *r)
{
	struct calls *c = ctx;
	if (r->kind == CALLS_REC_EXEC) { /* a new program: learnt again */
		struct role *old = role_find(c, r->tgid);
		if (old)
			old->tgid = 0;
	}
	role_learn(c, r->tgid);
	port_learn(c, r);
	calljoin_add(c->j, r, c->offset_us);
}

static void drain(struct calls *c)
{
	if (!c->src)
		return; /* calls_open_feed */
	if (c->bpf)
		calls_bpf_drain(c->src, on_rec, c);
	else
		calls_ptrace_drain(c->src, on_rec, c);
}

bool calls_owns(struct calls *c, bool udp, uint16_t sport, uint16_t dport)
{
	drain(c); /* the calls made by now, the packet's among them */
	int64_t now = mono_us();
	for (unsigned i = 0; i < CALLS_PORTS; i++) {
		const struct own_port *o = &c->ports[i];
		if (o->at_us && now - o->at_us < CALLS_PORT_US && o->udp == udp &&
		    (o->port == sport || o->port == dport))
			return true;
	}
	return false;
}

/* The lines standing at or before until (and before any call in flight). */
static void lines_until(struct calls *c, int64_t until)
{
	struct call_line l;
	while (calljoin_next(c->j, until, &l)) {
		const struct role *r = role_find(c, l.tgid);
		if (r)
			snprintf(l.role, sizeof(l.role), "%s", r->name);
		if (c->t)
			trace_call(c->t, &l);
	}
}

/* The held packets whose calls are in, each after the lines before it. */
static void release(struct calls *c)
{
	while (c->n_held) {
		const struct held *h = &c->held[c->held_first];
		if (h->ts_us >= calljoin_hold_from(c->j))
			break;
		lines_until(c, h->ts_us);
		trace_set_frame(c->t, h->frame);
		trace_packet(c->t, h->dlt, c->arena + h->off, h->cap_len, h->wire_len, h->ts_us);
		c->held_first++;
		c->n_held--;
		c->held_since_ms = mono_us() / 1000;
	}
	if (!c->n_held)
		c->held_first = 0, c->arena_used = 0;
}

/* Waited too long (or no room): the calls in flight hold nothing back. */
static void give_up(struct calls *c)
{
	calljoin_release(c->j);
	release(c);
}

void calls_packet(struct calls *c, int dlt, const uint8_t *data, uint32_t cap_len,
		  uint32_t wire_len, int64_t ts_us, uint64_t frame)
{
	drain(c);
	release(c);
	if (!c->n_held && (c->no_hold || ts_us < calljoin_hold_from(c->j))) {
		lines_until(c, ts_us);
		trace_set_frame(c->t, frame);
		trace_packet(c->t, dlt, data, cap_len, wire_len, ts_us);
		return;
	}
	if (c->held_first + c->n_held >= CALLS_HOLD_PKTS || CALLS_HOLD_BYTES - c->arena_used < cap_len) {
		give_up(c);
		if (!c->n_held) {
			lines_until(c, ts_us);
			trace_set_frame(c->t, frame);
			trace_packet(c->t, dlt, data, cap_len, wire_len, ts_us);
			return;
		}
	}
	if (c->held_first + c->n_held >= CALLS_HOLD_PKTS || CALLS_HOLD_BYTES - c->arena_used < cap_len)
		return; /* cannot happen: give_up released them all */
	if (!c->n_held)
		c->held_since_ms = mono_us() / 1000;
	struct held *h = &c->held[c->held_first + c->n_held++];
	h->ts_us = ts_us;
	h->frame = frame;
	h->dlt = dlt;
	h->cap_len = cap_len;
	h->wire_len = wire_len;
	h->off = c->arena_used;
	memcpy(c->arena + c->arena_used, data, cap_len);
	c->arena_used += cap_len;
}

/*
 * Between two polls of the capture.  A line with no packet after it yet
 * is shown once no packet older than it can come any more: every packet
 * captured before the previous tick began was in the capture's buffer when
 * the poll between the two ticks started, and that poll took them all.
 * (Not "now minus a margin": a run descheduled for longer than the margin
 * would show a call before the packets it made.)
 */
void calls_tick(struct calls *c)
{
	int64_t now = mono_us() + c->offset_us;
	drain(c);
	release(c);
	if (c->n_held && mono_us() / 1000 - c->held_since_ms > CALLS_HOLD_MS)
		give_up(c);
	if (!c->n_held && c->prev_tick_us)
		lines_until(c, c->prev_tick_us - CALLS_LATE_US);
	c->prev_tick_us = now;
}

void calls_finish(struct calls *c)
{
	drain(c);
	give_up(c);
	lines_until(c, INT64_MAX);
	uint64_t lost = c->src && c->bpf ? calls_bpf_lost(c->src) : 0;
	if (lost)
		fprintf(stderr, "fetchtrace: %llu socket call records lost (the BPF ring buffer was full)\n",
			(unsigned long long)lost);
	if (calljoin_dropped(c->j))
		fprintf(stderr, "fetchtrace: %llu socket call lines dropped (too many at once)\n",
			(unsigned long long)calljoin_dropped(c->j));
}

void calls_close(struct calls *c)
{
	if (!c)
		return;
	if (c->src && c->bpf)
		calls_bpf_close(c->src);
	else if (c->src)
		calls_ptrace_close(c->src);
	calljoin_free(c->j);
	free(c->arena);
	free(c->held);
	free(c);
}
