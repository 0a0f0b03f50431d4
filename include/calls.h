/* calls.h - the socket system calls of a traced command or process, beside
 * its packets (issue 14): collected with eBPF (calls_bpf.c) or, where BPF
 * cannot be had, ptrace (calls_ptrace.c); joined and time-ordered
 * (calljoin.c); handed to the tracer in time order with the packets. */
#ifndef FT_CALLS_H
#define FT_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "calls_raw.h"

#define CALLS_ERRBUF_SIZE 256

enum calls_mode {
	CALLS_OFF = 0,   /* --calls=off */
	CALLS_AUTO,      /* eBPF, else ptrace (the default with -- CMD and --pid) */
	CALLS_BPF,       /* --calls=bpf: eBPF or nothing */
	CALLS_PTRACE,    /* --calls=ptrace */
};

struct calls;
struct tracer;

/* Before privileges drop (BPF needs CAP_BPF and CAP_PERFMON to load; once
 * loaded, its maps are used through their descriptors): load and attach
 * the BPF programs, or prepare ptrace.  NULL and errbuf when neither can
 * be had; a fallback is told on stderr.  for_pid: --pid (ptrace attaches
 * to a running process; BPF follows it and what it starts). */
struct calls *calls_open(enum calls_mode mode, bool for_pid, char *errbuf);

/* No mechanism: the records come from calls_feed (tests).  Their clock is
 * the packets' (no offset). */
struct calls *calls_open_feed(void);
void calls_feed(struct calls *c, const struct calls_raw *r);

/* What a process is from its command line (NUL-separated arguments, len
 * bytes): Chromium's --type (the network service by name), Firefox's
 * -contentproc type; "" for anything else.  Only [a-z0-9 -] is written. */
void calls_role_of(const char *cmd, size_t len, char *out, size_t cap);

/* "eBPF" or "ptrace". */
const char *calls_mechanism(const struct calls *c);

/* The tracer the call lines and the packets go to (after trace_open). */
void calls_set_tracer(struct calls *c, struct tracer *t);

/* Packets are never held back (-w FILE.pcapng, --annotations: a packet's
 * note must be made while the capture hands it over): a write()'s line may
 * then come after the segments it sent. */
void calls_no_hold(struct calls *c);

/* fork(2) for the traced command: the child (0) is traced from here on,
 * with every process and thread it starts.  -1 and errno on failure. */
pid_t calls_fork(struct calls *c);

/* --pid: trace pid, its threads and the processes it starts from now on.
 * 0, or -1 and errbuf. */
int calls_attach(struct calls *c, pid_t pid, char *errbuf);

/* A captured packet: handed to the tracer after the calls that came before
 * it (a packet may wait, copied, for a call in flight: a write() is shown
 * before the segments that carry its bytes, with its result); frame is its
 * frame number, set on the tracer when the packet is handed over. */
void calls_packet(struct calls *c, int dlt, const uint8_t *data, uint32_t cap_len,
		  uint32_t wire_len, int64_t ts_us, uint64_t frame);

/* Between packets (a poll that timed out): take the new records, show the
 * lines whose time has come. */
void calls_tick(struct calls *c);

/*
 * -- CMD: a socket the kernel's socket table no longer has (closed before
 * its first packet was looked up, cmdsock.c) is the command's when one of
 * its processes' calls was made on a socket with a local port the packet
 * carries (TCP or UDP), in the last CALLS_PORT_US.  Drains the calls first.
 */
#define CALLS_PORTS 256
#define CALLS_PORT_US 5000000
bool calls_owns(struct calls *c, bool udp, uint16_t sport, uint16_t dport);

/* The end: every record taken, every line and held packet shown (before
 * trace_finish). */
void calls_finish(struct calls *c);

/* Detach and free (NULL is fine). */
void calls_close(struct calls *c);

/* --- the mechanisms (calls.c calls them) ---------------------------- */

/* A source of records: BPF's ring buffer or the ptrace helper's pipe. */
struct calls_src;
typedef void (*calls_rec_fn)(void *ctx, const struct calls_raw *r);

struct calls_src *calls_bpf_open(bool for_pid, char *errbuf);
/* Mark this process so that its children are traced (on), or not (off). */
int calls_bpf_self(struct calls_src *s, bool on);
int calls_bpf_attach(struct calls_src *s, pid_t pid, char *errbuf);
/* Every record ready: fn for each.  Count, or -1. */
int calls_bpf_drain(struct calls_src *s, calls_rec_fn fn, void *ctx);
/* Records lost: the ring buffer was full. */
uint64_t calls_bpf_lost(const struct calls_src *s);
void calls_bpf_close(struct calls_src *s);

struct calls_src *calls_ptrace_open(char *errbuf);
pid_t calls_ptrace_fork(struct calls_src *s);
int calls_ptrace_attach(struct calls_src *s, pid_t pid, char *errbuf);
int calls_ptrace_drain(struct calls_src *s, calls_rec_fn fn, void *ctx);
void calls_ptrace_close(struct calls_src *s);

#endif
