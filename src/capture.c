/* capture.c - the capture engine over libpcap: files, live devices, filters, -w. */
#include "capture.h"

#include "pcapng.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct cap {
	pcap_t *p;             /* the libpcap handle */
	pcap_dumper_t *dump;   /* -w output, or NULL */
	cap_handler fn;        /* per-packet callback during cap_run */
	void *ctx;
	bool live;             /* a device, not a file */
	bool nonblock;         /* cap_poll switched the handle to non-blocking */
	bool ts32;             /* classic pcap: the file's seconds are unsigned 32 bits */
	int dump_errno;        /* the first write error on the -w file, 0 = none */
	long count;            /* cap_set_count: stop after this many packets, 0 = no limit */
	long n_seen;           /* packets handed over so far */
	uint64_t n_frames;     /* packets read, the filter's rejects too: the one being
	                          handed over is frame n_frames (Wireshark's frame.number) */
	struct bpf_program file_prog; /* a classic pcap file's filter, run here (has_file_prog)
	                          so that the packets it rejects are counted as frames */
	bool has_file_prog;
	bool nano;             /* time stamps in nanoseconds (files), else microseconds */
	struct pcapng_writer *ng; /* -w FILE.pcapng, or NULL */
	FILE *ng_file;         /* its FILE */
	uint32_t ng_snaplen;   /* the snap length its IDB says */
	char note[CAP_NOTE_MAX]; /* cap_dump_note: the comment of the packet being handed over */
	bool skip;             /* cap_dump_skip: the packet being handed over is not written */
	size_t note_len;
	uint32_t ng_n_ifaces;  /* IDBs written to the -w pcapng */

	/* A pcapng file read by the project's reader (p is then a dead handle
	 * of the first interface's link type, for -w pcap and filter checks). */
	struct pcapng_reader *rd;
	FILE *rd_file;
	struct pcapng_rec pend; /* the record read ahead at open */
	bool have_pend;
	unsigned rd_section;   /* the section being read */
	uint32_t rd_out_base;  /* -w pcapng: id of this section's interface 0 */
	int cur_dlt;           /* link type of the packet being handed over */
	const struct pcapng_rec *cur_rec; /* the record being handed over, or NULL */
	volatile sig_atomic_t brk; /* cap_break during the reader's loop */
	bool brk_told;         /* cap_poll returned -2 for it */
	char *filter;          /* cap_set_filter's expression, compiled per interface */
	struct bpf_program *progs; /* [n_progs]: per interface of the section */
	bool *prog_ok;
	uint32_t n_progs;
	cap_secrets_cb secrets_fn; /* TLS key log Decryption Secrets Blocks of the input */
	void *secrets_ctx;

	/* cap_dump_delay: the -w pcapng packets held before being written, a
	 * ring of records (struct held, the bytes, the note), allocated once. */
	uint8_t *q;
	size_t q_size, q_head, q_used;
	uint8_t *q_scratch;    /* one record's bytes and note, read out of the ring */
	int64_t q_max_us;      /* hold at most this much capture time */
	cap_dump_hold_cb hold_fn;
	void *hold_ctx;

	/* A classic pcap file read through a mapped window (struct mm); p is
	 * then a dead handle of its link type, for -w and filter compiling. */
	struct mm *mm;

	/* cap_peek: the packet read ahead of cap_next (a file's). */
	bool have_ahead;
	struct pcap_pkthdr ahead_h;  /* its header, and its data until the next read */
	const u_char *ahead_data;
	struct pcapng_rec ahead_rec; /* the reader's record (its pointers valid until the next) */

	/* Live: the reader thread and its queue (struct lq), from the first
	 * cap_run or cap_poll; NULL before and for files. */
	struct lq *lq;
	cap_idle_cb idle_fn;   /* the queue ran empty */
	void *idle_ctx;
	cap_drop_cb drop_fn;   /* told of new drops, at most once a second */
	void *drop_ctx;
	uint64_t drop_told[3]; /* kernel, interface, queue drops already told */
	int64_t drop_check_ms; /* when the drops were last looked at */
};

/*
 * The mapped reader of a classic pcap file.  libpcap reads a file with
 * fread: every byte is copied from the page cache to stdio's buffer, then to
 * libpcap's, a third of the time of `fetchtrace -q` on a large capture.
 * Mapped, the packets are read where the page cache holds them.  The window
 * is MM_WIN bytes at a time (unmapped as it moves on), so resident memory
 * does not grow with the file.  Only the plain format is read here: version
 * 2.4, micro- or nanosecond magic in either byte order, a snap length in
 * (0, 262144], Ethernet or Linux cooked link type.  Anything else is
 * libpcap's at open; a record libpcap would complain about (longer than the
 * snap length, cut by the end of the file) hands the rest of the file to
 * libpcap, which skips the records already read and words the error itself.
 */
#define MM_WIN (1u << 20)
#define MM_MAX_REC (16u + 262144u)

struct mm {
	int fd;                /* the file (also handed over to libpcap, mm_to_pcap) */
	uint64_t size;         /* file size, re-read at the end (a file still growing) */
	uint64_t pos;          /* offset of the next record */
	uint64_t n_recs;       /* records read (before the filter) */
	const uint8_t *win;    /* mapping of [win_off, win_off + win_len), or NULL */
	uint64_t win_off;
	size_t win_len;
	bool swapped;          /* the file's byte order is not ours */
	bool nano;             /* nanosecond time stamps */
	uint32_t snaplen;
	struct bpf_program prog; /* cap_set_filter's, when has_prog */
	bool has_prog;
	bool handing;          /* a packet of the window is being handed over */
	cap_release_cb release; /* called before the window is unmapped */
	void *release_ctx;
};

struct held {

	int64_t sec, frac, ts_us;
	uint32_t cap_len, wire, note_len;
};

static void errcpy(char *errbuf, const char *msg)
{
	snprintf(errbuf, CAP_ERRBUF_SIZE, "%s", msg);
}

/* Our handle around an opened pcap_t; closes it when memory runs out. */
static struct cap *cap_wrap(pcap_t *p, bool live, char *errbuf)
{
	struct cap *c = calloc(1, sizeof(*c));
	if (!c) {
		pcap_close(p);
		errcpy(errbuf, "out of memory");
		return NULL;
	}
	c->p = p;
	c->live = live;
	return c;
}

/* A pcapng file (its first four bytes the Section Header's type): read by
 * src/pcapng.c, which reads what libpcap refuses (interfaces of several
 * link types) and hands over the secrets and comments libpcap skips. */
static struct cap *open_pcapng(FILE *f, char *errbuf)
{
	char eb[PCAPNG_ERRBUF_SIZE] = "";
	struct pcapng_reader *rd = pcapng_open_file(f, eb);
	if (!rd) {
		errcpy(errbuf, eb);
		fclose(f);
		return NULL;
	}
	/* the first record: normally the first interface, whose link type
	 * main checks and -w pcap takes */
	struct pcapng_rec rec;
	int r = pcapng_next(rd, &rec);
	if (r < 0) {
		errcpy(errbuf, pcapng_geterr(rd));
		pcapng_close(rd);
		fclose(f);
		return NULL;
	}
	int dlt = r > 0 && rec.iface ? rec.iface->linktype : 1;
	int snap = r > 0 && rec.iface && rec.iface->snaplen && rec.iface->snaplen <= 262144
			   ? (int)rec.iface->snaplen
			   : 262144;
	pcap_t *p = pcap_open_dead_with_tstamp_precision(dlt, snap, PCAP_TSTAMP_PRECISION_NANO);
	struct cap *c = p ? cap_wrap(p, false, errbuf) : NULL;
	if (!c) {
		if (!p)
			errcpy(errbuf, "out of memory");
		pcapng_close(rd);
		fclose(f);
		return NULL;
	}
	c->rd = rd;
	c->rd_file = f;
	c->nano = true;
	c->cur_dlt = dlt;
	if (r > 0) {
		c->pend = rec;
		c->have_pend = true;
		c->rd_section = rec.section;
	}
	return c;
}

static uint32_t mm_u32(const struct mm *m, const uint8_t *b)
{
	uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return m->swapped ? __builtin_bswap32(v) : v;
}

/*
 * Another process may truncate the file while it is mapped: the pages past
 * its new end leave the mapping, and reading one raises SIGBUS.  While
 * mm_run reads the mapping (the record headers, the filter, the decoders
 * under on_packet), mm_on_sigbus catches a fault inside the window: it maps
 * zero pages over the window from the faulting page on, so the read goes on
 * with zeros, and says so; mm_run looks after each record (a flag, no
 * system call per packet) and stops with "truncated while being read".  No
 * jump out of a decoder halfway through its state: a record whose bytes
 * vanished while it was decoded is decoded to its end (from zeros, as any
 * bytes may be) and named in the error.  A fault anywhere else is not ours:
 * the previous action comes back and the access faults again under it.
 * fstat alone cannot do this: the file may shrink right after it.
 */
static struct {
	const uint8_t *volatile win; /* the window mapped, or NULL */
	volatile size_t len;
	volatile uintptr_t page;     /* the page size */
	volatile sig_atomic_t cut;   /* a fault was caught: the file shrank */
	bool armed;
	struct sigaction old;        /* SIGBUS's action before mm_run */
} g_mm_bus;

static void mm_on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	uintptr_t a = (uintptr_t)si->si_addr, w = (uintptr_t)g_mm_bus.win, len = g_mm_bus.len;
	uintptr_t pg = g_mm_bus.page;
	if (w && pg && a >= w && a - w < len) {
		uintptr_t from = a - (a - w) % pg; /* the window starts on a page */
		if (mmap((void *)from, (size_t)(w + len - from), PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
			g_mm_bus.cut = 1;
			return;
		}
	}
	sigaction(SIGBUS, &g_mm_bus.old, NULL);
}

static void mm_bus_arm(bool on)
{
	if (on == g_mm_bus.armed)
		return;
	if (on) {
		long pg = sysconf(_SC_PAGESIZE);
		g_mm_bus.page = (uintptr_t)(pg > 0 ? pg : 4096);
		g_mm_bus.cut = 0;
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = mm_on_sigbus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, &g_mm_bus.old);
	} else {
		sigaction(SIGBUS, &g_mm_bus.old, NULL);
	}
	g_mm_bus.armed = on;
}

/* The window unmapped, if one is: the SIGBUS handler forgets it first, and
 * the release callback is told (nothing reads the packets there any more). */
static void mm_unmap(struct mm *m)
{
	if (!m->win)
		return;
	if (m->win == g_mm_bus.win)
		g_mm_bus.win = NULL;
	if (m->release)
		m->release(m->release_ctx);
	munmap((void *)m->win, m->win_len);
	m->win = NULL;
}

static void mm_free(struct mm *m)
{
	if (!m)
		return;
	mm_unmap(m);
	if (m->has_prog)
		pcap_freecode(&m->prog);
	if (m->fd >= 0)
		close(m->fd);
	free(m);
}

/* The mapped reader for f, a regular file whose first 24 bytes are h, or
 * NULL (not a plain classic pcap: libpcap reads it). */
static struct cap *open_mapped(FILE *f, const uint8_t h[24], char *errbuf)
{
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	struct mm probe = { .fd = -1 };
	uint32_t magic = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
			 (uint32_t)h[3] << 24;
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
		probe.nano = magic == 0xa1b23c4d;
	} else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
		probe.swapped = true;
		probe.nano = magic == 0x4d3cb2a1;
	} else {
		return NULL;
	}
	uint16_t vmaj = probe.swapped ? (uint16_t)(h[4] << 8 | h[5]) : (uint16_t)(h[5] << 8 | h[4]);
	uint16_t vmin = probe.swapped ? (uint16_t)(h[6] << 8 | h[7]) : (uint16_t)(h[7] << 8 | h[6]);
	uint32_t snap = mm_u32(&probe, h + 16), lt = mm_u32(&probe, h + 20);
	if (vmaj != 2 || vmin != 4 || snap == 0 || snap > 262144 || (lt != 1 && lt != 113 && lt != 276))
		return NULL;
	pcap_t *p = pcap_open_dead_with_tstamp_precision((int)lt, (int)snap, PCAP_TSTAMP_PRECISION_NANO);
	struct mm *m = calloc(1, sizeof(*m));
	int fd = dup(fileno(f));
	struct cap *c = p && m && fd >= 0 ? cap_wrap(p, false, errbuf) : NULL;
	if (!c) {
		if (fd >= 0)
			close(fd);
		free(m);
		if (p && !(m && fd >= 0))
			pcap_close(p);
		errcpy(errbuf, "out of memory");
		return NULL;
	}
	*m = probe;
	m->fd = fd;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	m->size = (uint64_t)st.st_size;
	m->pos = 24;
	m->snaplen = snap;
	c->mm = m;
	c->ts32 = true;
	c->nano = true; /* as libpcap opened with nanosecond precision hands them over */
	return c;
}

/* A classic pcap (or libpcap-read) capture opened by libpcap, wrapped. */
static struct cap *wrap_offline(pcap_t *p, char *errbuf)
{
	struct cap *c = cap_wrap(p, false, errbuf);
	/* libpcap says 2.x for every classic pcap flavour, 1.0 for pcapng */
	if (c) {
		c->ts32 = pcap_major_version(p) == 2;
		c->nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	}
	return c;
}

/*
 * A stream (a pipe, a FIFO, standard input that is one) is read once: the bytes read
 * to tell pcap from pcapng cannot be read again, nor the path reopened (a
 * FIFO's would wait for a new writer, /dev/fd/N's pipe has lost them).  A
 * stdio cookie stream hands them back first, then the rest of the
 * descriptor, to libpcap (pcap_fopen_offline) or to our pcapng reader.
 */
struct replay {
	int fd;              /* the stream's descriptor, closed with the FILE */
	uint8_t head[24];    /* the bytes read to tell the format */
	size_t n_head;       /* how many (fewer at an early end) */
	size_t pos;          /* how many of them handed back */
};

/* Set by any cap_break (safe in a signal handler): a stream's blocked read
 * gives up.  Not per handle: merging, the signal handler breaks the first
 * input while a later one may be the stream waiting on its writer. */
static volatile sig_atomic_t g_stream_brk;

static ssize_t replay_read(void *cookie, char *buf, size_t size)
{
	struct replay *r = cookie;
	if (r->pos < r->n_head) {
		size_t n = r->n_head - r->pos < size ? r->n_head - r->pos : size;
		memcpy(buf, r->head + r->pos, n);
		r->pos += n;
		return (ssize_t)n;
	}
	/* A signal that was not cap_break's: read on.  cap_break's (SIGINT
	 * while the writer is still there): the error ends the reader's loop,
	 * which cap_run then takes for the break it is. */
	ssize_t n = -1;
	errno = EINTR;
	while (!g_stream_brk && (n = read(r->fd, buf, size)) < 0 && errno == EINTR)
		;
	return n;
}

static int replay_close(void *cookie)
{
	struct replay *r = cookie;
	int rc = close(r->fd);
	free(r);
	return rc;
}

/* Open fd (ours: closed on every path) as a stream capture.  The format is
 * told from its first bytes; pcapng goes to open_pcapng, the rest to
 * libpcap, which words its own errors (an empty stream: "truncated dump
 * file"). */
static struct cap *open_stream(int fd, char *errbuf)
{
	struct replay *r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		errcpy(errbuf, "out of memory");
		return NULL;
	}
	r->fd = fd;
	while (r->n_head < sizeof(r->head)) { /* a pipe hands over what was written: loop */
		ssize_t k = read(fd, r->head + r->n_head, sizeof(r->head) - r->n_head);
		if (k > 0) {
			r->n_head += (size_t)k;
		} else if (k == 0) {
			break;
		} else if (errno != EINTR) {
			snprintf(errbuf, CAP_ERRBUF_SIZE, "error reading dump file: %s", strerror(errno));
			replay_close(r);
			return NULL;
		}
	}
	cookie_io_functions_t io = { .read = replay_read, .close = replay_close };
	FILE *f = fopencookie(r, "rb", io);
	if (!f) {
		replay_close(r);
		errcpy(errbuf, "out of memory");
		return NULL;
	}
	const uint8_t *m = r->head;
	if (r->n_head >= 4 && m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a)
		return open_pcapng(f, errbuf); /* it closes f on failure */
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p) {
		fclose(f);
		errcpy(errbuf, eb);
		return NULL;
	}
	return wrap_offline(p, errbuf); /* pcap_close closes f */
}

struct cap *cap_open_file(const char *path, char *errbuf)
{
	FILE *f;
	struct stat st;
	if (strcmp(path, "-") == 0) { /* as tcpdump -r -: descriptors of our own, to close */
		if (fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode) ||
		    lseek(STDIN_FILENO, 0, SEEK_CUR) != 0) { /* a pipe, or a file read in part */
			int fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
			if (fd < 0) {
				snprintf(errbuf, CAP_ERRBUF_SIZE, "standard input: %s", strerror(errno));
				return NULL;
			}
			return open_stream(fd, errbuf);
		}
		int fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3); /* a whole file: as -r FILE */
		f = fd >= 0 ? fdopen(fd, "rb") : NULL;
		if (!f) {
			snprintf(errbuf, CAP_ERRBUF_SIZE, "standard input: %s", strerror(errno));
			if (fd >= 0)
				close(fd);
			return NULL;
		}
	} else {
		f = fopen(path, "rbe");
		if (f && fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			/* a FIFO, <(...)'s /dev/fd/N, a character device: read once, never reopened */
			int fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 3);
			int e = errno;
			fclose(f);
			if (fd < 0) {
				snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: %s", path, strerror(e));
				return NULL;
			}
			return open_stream(fd, errbuf);
		}
	}
	char eb[PCAP_ERRBUF_SIZE] = "";
	if (f) { /* a regular file (or a directory, libpcap's to refuse): peeked at, then mapped */
		uint8_t m[24];
		size_t got = fread(m, 1, sizeof(m), f);
		if (got >= 4 && m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a) {
			rewind(f);
			return open_pcapng(f, errbuf);
		}
		if (got == sizeof(m)) {
			struct cap *c = open_mapped(f, m, eb);
			if (c) {
				fclose(f);
				return c;
			}
			if (eb[0]) {
				errcpy(errbuf, eb);
				fclose(f);
				return NULL;
			}
		}
		/* libpcap reads the rest of the formats, from the start of the same file */
		rewind(f);
		clearerr(f);
		pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, eb);
		if (!p) {
			fclose(f);
			errcpy(errbuf, eb);
			return NULL;
		}
		return wrap_offline(p, errbuf); /* pcap_close closes f */
	}
	/* Nanoseconds, so -w keeps a nanosecond capture's time stamps; libpcap
	 * words the error of a file that cannot be opened, naming it */
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p) {
		errcpy(errbuf, eb);
		return NULL;
	}
	return wrap_offline(p, errbuf);
}

struct cap *cap_open_live(const char *iface, int snaplen, int buffer_kib, bool immediate,
			  char *errbuf, bool *perm)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	*perm = false;
	pcap_t *p = pcap_create(iface, eb);
	if (!p) {
		errcpy(errbuf, eb);
		return NULL;
	}
	pcap_set_snaplen(p, snaplen);
	pcap_set_promisc(p, 0); /* a fetch on this host needs no promiscuous mode */
	/* Not immediate mode: on Linux that means a TPACKET_V2 ring of frames each
	 * as large as the snap length allows, a few hundred packets in the whole
	 * buffer, dropped by the kernel at the first hiccup of a loaded machine
	 * (issue 15).  Without it libpcap packs packets into TPACKET_V3 blocks,
	 * tens of thousands in the same buffer, handed over when a block fills or
	 * after this timeout: a line appears at most 10 ms late.  -- CMD asks for
	 * it all the same: the lookup of a flow's socket (cmdsock.c) must come
	 * before a connection of a few milliseconds has closed it. */
	pcap_set_timeout(p, 10);
	if (immediate)
		pcap_set_immediate_mode(p, 1);
	if (buffer_kib > 0) /* in bytes, as an int: at most INT_MAX */
		pcap_set_buffer_size(p, buffer_kib > INT_MAX / 1024 ? INT_MAX : buffer_kib * 1024);
	int st = pcap_activate(p);
	if (st < 0) {
		const char *why = pcap_geterr(p);
		switch (st) {
		case PCAP_ERROR_PERM_DENIED:
			*perm = true;
			snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: no permission to capture (%s)", iface, why);
			break;
		case PCAP_ERROR_NO_SUCH_DEVICE:
			snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: no such device (fetchtrace -D lists them)",
				 iface);
			break;
		case PCAP_ERROR_IFACE_NOT_UP:
			snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: interface is down", iface);
			break;
		default:
			snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: %s", iface,
				 why && *why ? why : pcap_statustostr(st));
			break;
		}
		pcap_close(p);
		return NULL;
	}
	if (st > 0) /* a warning: say it and go on, as tcpdump does */
		fprintf(stderr, "fetchtrace: warning: %s: %s\n", iface, pcap_statustostr(st));
	/* A traced command (main.c) must not inherit the capture socket.  libpcap's
	 * other descriptor (the eventfd that wakes a poll on Linux) is not
	 * reachable here: the command's start closes every descriptor above 2. */
	int fd = pcap_get_selectable_fd(p);
	if (fd >= 0) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0)
			(void)fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
	return cap_wrap(p, true, errbuf);
}

bool cap_default_device(char *buf, size_t len, char *errbuf)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all = NULL;
	if (pcap_findalldevs(&all, eb) < 0) {
		errcpy(errbuf, eb);
		return false;
	}
	bool ok = false;
	for (pcap_if_t *d = all; d; d = d->next) {
		if (d->flags & PCAP_IF_LOOPBACK || !(d->flags & PCAP_IF_UP) ||
		    !strcmp(d->name, "any"))
			continue;
		snprintf(buf, len, "%s", d->name);
		ok = true;
		break;
	}
	pcap_freealldevs(all);
	if (!ok)
		errcpy(errbuf, "no up, non-loopback interface found (name one with -i)");
	return ok;
}

int cap_list_devices(FILE *f, char *errbuf)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all = NULL;
	if (pcap_findalldevs(&all, eb) < 0) {
		errcpy(errbuf, eb);
		return -1;
	}
	int i = 0;
	for (pcap_if_t *d = all; d; d = d->next) {
		fprintf(f, "%d.%s", ++i, d->name);
		if (d->description)
			fprintf(f, " (%s)", d->description);
		fprintf(f, " [%s%s%s]\n", d->flags & PCAP_IF_UP ? "Up" : "Down",
			d->flags & PCAP_IF_RUNNING ? ", Running" : "",
			d->flags & PCAP_IF_LOOPBACK ? ", Loopback" : "");
	}
	pcap_freealldevs(all);
	return i;
}

static void progs_free(struct cap *c)
{
	for (uint32_t i = 0; i < c->n_progs; i++)
		if (c->prog_ok[i])
			pcap_freecode(&c->progs[i]);
	free(c->progs);
	free(c->prog_ok);
	c->progs = NULL;
	c->prog_ok = NULL;
	c->n_progs = 0;
}

/* The filter compiled for interface if_id of the reader's section, with
 * pcap_open_dead(its link type, its snap length); NULL with errbuf. */
static struct bpf_program *prog_for(struct cap *c, uint32_t if_id, const struct pcapng_iface *ifc,
				    char *errbuf)
{
	if (if_id >= c->n_progs) {
		uint32_t n = if_id + 1;
		struct bpf_program *np = calloc(n, sizeof(*np));
		bool *nok = calloc(n, sizeof(*nok));
		if (!np || !nok) {
			free(np);
			free(nok);
			errcpy(errbuf, "out of memory");
			return NULL;
		}
		if (c->n_progs) {
			memcpy(np, c->progs, c->n_progs * sizeof(*np));
			memcpy(nok, c->prog_ok, c->n_progs * sizeof(*nok));
		}
		free(c->progs);
		free(c->prog_ok);
		c->progs = np;
		c->prog_ok = nok;
		c->n_progs = n;
	}
	if (!c->prog_ok[if_id]) {
		int snap = ifc->snaplen && ifc->snaplen <= 262144 ? (int)ifc->snaplen : 262144;
		pcap_t *d = pcap_open_dead(ifc->linktype, snap);
		if (!d) {
			errcpy(errbuf, "out of memory");
			return NULL;
		}
		if (pcap_compile(d, &c->progs[if_id], c->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(errbuf, CAP_ERRBUF_SIZE, "filter '%s' on interface %u (link type %u): %s",
				 c->filter, if_id, ifc->linktype, pcap_geterr(d));
			pcap_close(d);
			return NULL;
		}
		pcap_close(d);
		c->prog_ok[if_id] = true;
	}
	return &c->progs[if_id];
}

bool cap_set_filter(struct cap *c, const char *expr, char *errbuf)
{
	struct bpf_program prog;
	if (c->mm) { /* compiled for the file's link type, run by mm_run */
		if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(errbuf, CAP_ERRBUF_SIZE, "filter '%s': %s", expr, pcap_geterr(c->p));
			return false;
		}
		if (c->mm->has_prog)
			pcap_freecode(&c->mm->prog);
		c->mm->prog = prog;
		c->mm->has_prog = true;
		free(c->filter);
		if (!(c->filter = strdup(expr))) {
			errcpy(errbuf, "out of memory");
			return false;
		}
		return true;
	}
	if (c->rd) { /* checked on the first interface's link type, compiled per interface */
		if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(errbuf, CAP_ERRBUF_SIZE, "filter '%s': %s", expr, pcap_geterr(c->p));
			return false;
		}
		pcap_freecode(&prog);
		free(c->filter);
		if (!(c->filter = strdup(expr))) {
			errcpy(errbuf, "out of memory");
			return false;
		}
		return true;
	}
	if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(errbuf, CAP_ERRBUF_SIZE, "filter '%s': %s", expr, pcap_geterr(c->p));
		return false;
	}
	if (!c->live) {
		/* A file: libpcap would run the filter inside pcap_loop and hide what it
		 * rejects; on_packet runs it instead, so every packet read is numbered. */
		if (c->has_file_prog)
			pcap_freecode(&c->file_prog);
		c->file_prog = prog;
		c->has_file_prog = true;
		return true;
	}
	int st = pcap_setfilter(c->p, &prog);
	pcap_freecode(&prog);
	if (st < 0) {
		snprintf(errbuf, CAP_ERRBUF_SIZE, "filter '%s': %s", expr, pcap_geterr(c->p));
		return false;
	}
	return true;
}

/* Opened here, not by pcap_dump_open: close-on-exec, and an error that
 * does not repeat the path the caller names.  "-" is a copy of standard
 * output, so closing the dump leaves stdout to main. */
static FILE *dump_fopen(const char *path, char *errbuf)
{
	FILE *f = NULL;
	if (strcmp(path, "-") == 0) {
		int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd >= 0 && !(f = fdopen(fd, "wb")))
			close(fd);
	} else {
		f = fopen(path, "wbe");
	}
	if (!f)
		errcpy(errbuf, strerror(errno));
	return f;
}

bool cap_dump_open(struct cap *c, const char *path, char *errbuf)
{
	FILE *f = dump_fopen(path, errbuf);
	if (!f)
		return false;
	c->dump = pcap_dump_fopen(c->p, f);
	if (!c->dump) {
		errcpy(errbuf, pcap_geterr(c->p));
		fclose(f);
		return false;
	}
	c->dump_errno = 0;
	return true;
}

bool cap_dump_open_pcapng(struct cap *c, const char *path, const char *userappl,
			  const char *if_name, char *errbuf)
{
	FILE *f = dump_fopen(path, errbuf);
	if (!f)
		return false;
	char eb[PCAPNG_ERRBUF_SIZE] = "";
	struct pcapng_writer *w = pcapng_writer_open(f, userappl, NULL, eb);
	int snap = pcap_snapshot(c->p);
	c->ng_snaplen = snap > 0 ? (uint32_t)snap : 0;
	errno = 0;
	if (!w || (!c->rd && pcapng_write_idb(w, (uint16_t)pcap_datalink(c->p), c->ng_snaplen,
					      if_name, c->nano ? 9 : 6) < 0)) {
		if (w) {
			errcpy(errbuf, strerror(errno ? errno : EIO));
			(void)pcapng_writer_close(w);
		} else {
			errcpy(errbuf, eb[0] ? eb : "cannot write");
		}
		fclose(f);
		return false;
	}
	c->ng = w;
	c->ng_file = f;
	c->ng_n_ifaces = c->rd ? 0 : 1;
	c->dump_errno = 0;
	return true;
}

/* A failed write to the -w file: keep the first cause and stop the loop. */
static void dump_failed(struct cap *c)
{
	if (!c->dump_errno) {
		c->dump_errno = errno ? errno : EIO;
		pcap_breakloop(c->p);
	}
}

bool cap_dump_secrets(struct cap *c, const uint8_t *text, size_t len)
{
	if (!c->ng || !len)
		return true;
	errno = 0;
	if (pcapng_write_dsb(c->ng, PCAPNG_SECRETS_TLS_KEYLOG, text, len) < 0) {
		dump_failed(c);
		return false;
	}
	return true;
}

void cap_dump_note(struct cap *c, const char *note, size_t len)
{
	if (len > sizeof(c->note))
		len = sizeof(c->note);
	memcpy(c->note, note, len);
	c->note_len = len;
}

/* The packet just handed over, as an Enhanced Packet Block with its note. */
static void dump_epb_note(struct cap *c, const struct pcap_pkthdr *h, const u_char *data, int64_t sec,
			  int64_t frac, const char *note, size_t note_len)
{
	uint32_t cap_len = h->caplen, wire = h->len;
	if (c->ng_snaplen && cap_len > c->ng_snaplen) /* a file that broke its own snap length */
		cap_len = c->ng_snaplen;
	if (wire < cap_len)
		wire = cap_len;
	/* pcapng counts unsigned 64-bit ticks: a time before 1970 is 1970, one
	 * past 2^64 ticks (the year 2554 in nanoseconds) the last that fits */
	uint64_t max_sec = UINT64_MAX / (c->nano ? 1000000000u : 1000000u) - 1;
	uint64_t usec = sec < 0 ? 0 : (uint64_t)sec > max_sec ? max_sec : (uint64_t)sec;
	errno = 0;
	if (pcapng_write_epb(c->ng, 0, usec, frac < 0 ? 0 : (uint32_t)frac,
			     data, cap_len, wire, note, note_len) < 0)
		dump_failed(c);
}

static void dump_epb(struct cap *c, const struct pcap_pkthdr *h, const u_char *data, int64_t sec,
		     int64_t frac)
{
	dump_epb_note(c, h, data, sec, frac, c->note, c->note_len);
}

/* The ring's bytes: n from src at offset off (mod q_size), or to dst. */
static void q_put(struct cap *c, size_t off, const void *src, size_t n)
{
	off %= c->q_size;
	size_t a = c->q_size - off < n ? c->q_size - off : n;
	memcpy(c->q + off, src, a);
	memcpy(c->q, (const uint8_t *)src + a, n - a);
}

static void q_get(const struct cap *c, size_t off, void *dst, size_t n)
{
	off %= c->q_size;
	size_t a = c->q_size - off < n ? c->q_size - off : n;
	memcpy(dst, c->q + off, a);
	memcpy((uint8_t *)dst + a, c->q, n - a);
}

/* Write the oldest held packet and drop it from the ring. */
static void q_pop(struct cap *c)
{
	struct held hd;
	q_get(c, c->q_head, &hd, sizeof(hd));
	size_t n = (size_t)hd.cap_len + hd.note_len;
	q_get(c, c->q_head + sizeof(hd), c->q_scratch, n);
	c->q_head = (c->q_head + sizeof(hd) + n) % c->q_size;
	c->q_used -= sizeof(hd) + n;
	struct pcap_pkthdr h = { .caplen = hd.cap_len, .len = hd.wire };
	/* its own note: c->note is the packet being handed over */
	dump_epb_note(c, &h, c->q_scratch, hd.sec, hd.frac, (const char *)c->q_scratch + hd.cap_len,
		      hd.note_len);
}

/* Write every held packet, the hold callback first (its secrets before them). */
static void q_release(struct cap *c)
{
	if (!c->q_used)
		return;
	if (c->hold_fn)
		c->hold_fn(c->hold_ctx);
	while (c->q_used)
		q_pop(c);
}

/* Live -w pcapng with a delay: hold the packet just handed over (its note
 * set), writing first those older than the bound or in the way of its room. */
static void dump_hold(struct cap *c, const struct pcap_pkthdr *h, const u_char *data, int64_t sec,
		      int64_t frac, int64_t ts_us)
{
	struct held hd = { sec, frac, ts_us, h->caplen, h->len, (uint32_t)c->note_len };
	if (c->ng_snaplen && hd.cap_len > c->ng_snaplen)
		hd.cap_len = c->ng_snaplen;
	size_t need = sizeof(hd) + hd.cap_len + hd.note_len;
	if (need > c->q_size) { /* cannot be held (no snap length): write all, then it */
		q_release(c);
		dump_epb(c, h, data, sec, frac);
		return;
	}
	bool called = false;
	while (c->q_used) {
		struct held old;
		q_get(c, c->q_head, &old, sizeof(old));
		if (c->q_size - c->q_used >= need && old.ts_us >= ts_us - c->q_max_us)
			break;
		if (!called && c->hold_fn) {
			c->hold_fn(c->hold_ctx);
			called = true;
		}
		q_pop(c);
	}
	size_t tail = c->q_head + c->q_used;
	q_put(c, tail, &hd, sizeof(hd));
	q_put(c, tail + sizeof(hd), data, hd.cap_len);
	q_put(c, tail + sizeof(hd) + hd.cap_len, c->note, hd.note_len);
	c->q_used += need;
}

bool cap_dump_delay(struct cap *c, int64_t max_us, size_t max_bytes, cap_dump_hold_cb fn, void *ctx)
{
	if (!c->ng || c->q || !c->ng_snaplen || max_bytes < sizeof(struct held))
		return false;
	c->q = malloc(max_bytes);
	c->q_scratch = malloc((size_t)c->ng_snaplen + CAP_NOTE_MAX);
	if (!c->q || !c->q_scratch) {
		free(c->q);
		free(c->q_scratch);
		c->q = c->q_scratch = NULL;
		return false;
	}
	c->q_size = max_bytes;
	c->q_head = c->q_used = 0;
	c->q_max_us = max_us;
	c->hold_fn = fn;
	c->hold_ctx = ctx;
	return true;
}

void cap_dump_release(struct cap *c)
{
	if (c->q && c->ng)
		q_release(c);
	c->hold_fn = NULL;
	c->hold_ctx = NULL;
}

/* Flush the -w file; on its first failure keep the cause and stop the loop. */
static void dump_flush(struct cap *c)
{
	if (c->ng) {
		errno = 0;
		if (pcapng_writer_flush(c->ng) != 0)
			dump_failed(c);
		return;
	}
	if (!c->dump)
		return;
	errno = 0;
	if ((pcap_dump_flush(c->dump) != 0 || ferror(pcap_dump_file(c->dump))) && !c->dump_errno) {
		c->dump_errno = errno ? errno : EIO;
		pcap_breakloop(c->p);
	}
}

bool cap_dump_close(struct cap *c, char *errbuf)
{
	if (c->ng) {
		cap_dump_release(c);
		errno = 0;
		if (pcapng_writer_close(c->ng) != 0 && !c->dump_errno)
			c->dump_errno = errno ? errno : EIO;
		if (fclose(c->ng_file) != 0 && !c->dump_errno)
			c->dump_errno = errno ? errno : EIO;
		c->ng = NULL;
		c->ng_file = NULL;
		if (c->dump_errno) {
			errcpy(errbuf, strerror(c->dump_errno));
			return false;
		}
		return true;
	}
	if (!c->dump)
		return true;
	dump_flush(c);
	int err = c->dump_errno;
	/* Everything reached the kernel when the flush succeeded; pcap_dump_close
	 * does not report fclose's result, which can only add a late NFS error. */
	pcap_dump_close(c->dump);
	c->dump = NULL;
	if (err) {
		errcpy(errbuf, strerror(err));
		return false;
	}
	return true;
}

void cap_dump_skip(struct cap *c)
{
	c->skip = true;
}

void cap_set_count(struct cap *c, long count)
{
	c->count = count > 0 ? count : 0;
}

int cap_datalink(const struct cap *c) { return pcap_datalink(c->p); }

const char *cap_datalink_name(int dlt) { return pcap_datalink_val_to_name(dlt); }

const char *cap_datalink_desc(int dlt) { return pcap_datalink_val_to_description(dlt); }

int cap_snaplen(const struct cap *c) { return pcap_snapshot(c->p); }

bool cap_packet_kept(const struct cap *c)
{
	return c->mm && c->mm->handing;
}

void cap_set_release(struct cap *c, cap_release_cb fn, void *ctx)
{
	if (c->mm) {
		c->mm->release = fn;
		c->mm->release_ctx = ctx;
	}
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct cap *c = (struct cap *)user;
	if (c->count && c->n_seen >= c->count)
		return; /* cap_poll's count reached: what the kernel still had is not ours */
	c->n_frames++;
	if (c->has_file_prog && !pcap_offline_filter(&c->file_prog, h, data))
		return;
	c->n_seen++;
	/* A classic pcap's seconds are an unsigned 32-bit field (to 2106), which
	 * libpcap hands over sign-extended: after 2038 they come out negative. */
	int64_t sec = c->ts32 ? (int64_t)(uint32_t)h->ts.tv_sec : (int64_t)h->ts.tv_sec;
	int64_t frac = c->ts32 ? (int64_t)(uint32_t)h->ts.tv_usec : (int64_t)h->ts.tv_usec;
	c->note_len = 0;
	c->skip = false;
	int64_t ts_us = cap_ts_us(sec, c->nano ? frac / 1000 : frac); /* as hdr_ts_us */
	c->fn(c->ctx, data, h->caplen, h->len, ts_us);
	/* after the tracer: the note is its verdict on this packet */
	if (c->skip) {
		/* not written: cap_dump_skip */
	} else if (c->dump) {
		pcap_dump((u_char *)c->dump, h, data);
		if (ferror(pcap_dump_file(c->dump)) && !c->dump_errno) {
			c->dump_errno = errno ? errno : EIO;
			pcap_breakloop(c->p);
		}
	} else if (c->ng && c->q)
		dump_hold(c, h, data, sec, frac, ts_us);
	else if (c->ng)
		dump_epb(c, h, data, sec, frac);
	if (c->count && c->n_seen >= c->count)
		pcap_breakloop(c->p);
}

/* Stopped by a signal: hand over what the kernel already captured, so
 * the packets of the last moments (a FIN exchange) are not lost. */
static void cap_drain(struct cap *c)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (!c->nonblock && pcap_setnonblock(c->p, 1, eb) < 0)
		return;
	c->nonblock = true;
	/* Bounded: each round takes what is buffered; a busy link cannot keep us. */
	for (int i = 0; i < 16; i++)
		if (pcap_dispatch(c->p, -1, on_packet, (u_char *)c) <= 0)
			break;
}

static int rd_run(struct cap *c, long count, char *errbuf);
static int mm_run(struct cap *c, long count, char *errbuf);

/* ------------------------------------------------------------------ */
/* live: a reader thread, a bounded queue, the tracer                   */
/* ------------------------------------------------------------------ */

/*
 * The capture must never wait on the output: a tracer writing JSON to a
 * slow file, or a terminal being scrolled, would leave the kernel's buffer
 * full and the kernel would drop packets (issue 15: 10,000-57,000 of
 * 240,000).  So live, a reader thread does nothing but take packets from
 * libpcap and copy them into a queue of LQ_BYTES; the caller's thread (the
 * tracer, its output, -w) takes them from there.  A packet the full queue
 * cannot take is dropped and counted (cap_queue_dropped, the summary, a
 * note on the output), never silently.  The queue starts again from its
 * first byte whenever it empties, so while the tracer keeps up it uses a
 * few pages, not LQ_BYTES.
 */
#define LQ_BYTES (64u << 20)
#define LQ_WRAP UINT32_MAX     /* a record's cap_len: the next record is at offset 0 */
#define LQ_STATS_MS 250        /* how often the reader asks the kernel for its counts */
#define LQ_BATCH (1u << 20)    /* bytes the tracer takes before giving the room back */

struct lrec {
	uint32_t cap_len, wire_len;
	int64_t sec, frac;     /* as libpcap handed them over */
};

struct lq {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;     /* records arrived, or the reader stopped */
	uint8_t *ring;
	size_t size, head, tail, used; /* used counts pads and wrap markers too */
	bool waiting;          /* the tracer sleeps on cv */
	bool stop;             /* asked to stop (cap_break, -c, an error) */
	bool done;             /* the reader has stopped */
	bool failed;           /* ... on a capture error (errbuf) */
	char errbuf[CAP_ERRBUF_SIZE];
	uint64_t n_dropped;    /* packets the full queue could not take */
	bool stats_ok;
	uint64_t recv, drop, ifdrop; /* the kernel's counts, as of the reader's last look */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t lq_rec_size(uint32_t cap_len)
{
	return (sizeof(struct lrec) + (size_t)cap_len + 7) & ~(size_t)7;
}

/* Room for n contiguous bytes at the tail (the lock held): where, or NULL. */
static uint8_t *lq_reserve(struct lq *q, size_t n)
{
	if (q->used == 0)
		q->head = q->tail = 0; /* empty: start again from the first byte */
	if (q->used == 0 || q->tail > q->head) {
		if (q->size - q->tail >= n)
			return q->ring + q->tail;
		if (q->head >= n) { /* wrap: mark the rest of the ring as skipped */
			if (q->size - q->tail >= sizeof(struct lrec))
				((struct lrec *)(void *)(q->ring + q->tail))->cap_len = LQ_WRAP;
			q->used += q->size - q->tail;
			q->tail = 0;
			return q->ring;
		}
		return NULL;
	}
	return q->head - q->tail >= n ? q->ring + q->tail : NULL;
}

/* The reader's pcap_dispatch callback: copy the packet into the queue. */
static void lq_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct lq *q = ((struct cap *)(void *)user)->lq;
	size_t n = lq_rec_size(h->caplen);
	pthread_mutex_lock(&q->mu);
	uint8_t *at = n <= q->size ? lq_reserve(q, n) : NULL;
	if (!at) {
		q->n_dropped++;
	} else {
		struct lrec r = { h->caplen, h->len, (int64_t)h->ts.tv_sec, (int64_t)h->ts.tv_usec };
		memcpy(at, &r, sizeof(r));
		memcpy(at + sizeof(r), data, h->caplen);
		q->tail += n;
		q->used += n;
		if (q->waiting)
			pthread_cond_signal(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
}

static void lq_stats(struct cap *c)
{
	struct pcap_stat st;
	if (pcap_stats(c->p, &st) < 0)
		return;
	pthread_mutex_lock(&c->lq->mu);
	c->lq->stats_ok = true;
	c->lq->recv = st.ps_recv;
	c->lq->drop = st.ps_drop;
	c->lq->ifdrop = st.ps_ifdrop;
	pthread_mutex_unlock(&c->lq->mu);
}

static void *lq_main(void *arg)
{
	struct cap *c = arg;
	struct lq *q = c->lq;
	int64_t last = 0;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		bool stop = q->stop;
		pthread_mutex_unlock(&q->mu);
		if (stop)
			break;
		int n = pcap_dispatch(c->p, -1, lq_packet, (u_char *)c);
		if (n == PCAP_ERROR) {
			pthread_mutex_lock(&q->mu);
			q->failed = true;
			errcpy(q->errbuf, pcap_geterr(c->p));
			pthread_mutex_unlock(&q->mu);
			break;
		}
		int64_t now = mono_ms();
		if (now - last >= LQ_STATS_MS) {
			lq_stats(c);
			last = now;
		}
	}
	/* Stopped: what the kernel already captured is ours (the last moments'
	 * FIN exchange), bounded as cap_drain. */
	char eb[PCAP_ERRBUF_SIZE];
	if (pcap_setnonblock(c->p, 1, eb) == 0)
		for (int i = 0; i < 16; i++)
			if (pcap_dispatch(c->p, -1, lq_packet, (u_char *)c) <= 0)
				break;
	lq_stats(c);
	pthread_mutex_lock(&q->mu);
	q->done = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Start the reader (signals blocked in it: they are the tracer's thread's). */
static bool lq_start(struct cap *c, char *errbuf)
{
	struct lq *q = calloc(1, sizeof(*q));
	uint8_t *ring = malloc(LQ_BYTES);
	if (!q || !ring) {
		free(q);
		free(ring);
		errcpy(errbuf, "out of memory for the capture queue");
		return false;
	}
	q->ring = ring;
	q->size = LQ_BYTES;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	c->lq = q;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int e = pthread_create(&q->th, NULL, lq_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		c->lq = NULL;
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		free(q->ring);
		free(q);
		snprintf(errbuf, CAP_ERRBUF_SIZE, "cannot start the capture thread: %s", strerror(e));
		return false;
	}
	c->drop_check_ms = mono_ms();
	return true;
}

/* Ask the reader to stop and wait for it; the queue keeps what it took. */
static void lq_stop(struct cap *c)
{
	struct lq *q = c->lq;
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	bool was = q->stop;
	q->stop = true;
	pthread_mutex_unlock(&q->mu);
	if (!was) {
		pcap_breakloop(c->p); /* wakes its poll */
		pthread_join(q->th, NULL);
	}
}

static void lq_free(struct cap *c)
{
	struct lq *q = c->lq;
	if (!q)
		return;
	lq_stop(c);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->ring);
	free(q);
	c->lq = NULL;
}

/* New drops since they were last told, at most once a second (and at the end). */
static void lq_check_drops(struct cap *c, bool final)
{
	if (!c->drop_fn)
		return;
	int64_t now = mono_ms();
	if (!final && now - c->drop_check_ms < 1000)
		return;
	c->drop_check_ms = now;
	struct lq *q = c->lq;
	pthread_mutex_lock(&q->mu);
	uint64_t tot[3] = { q->stats_ok ? q->drop : 0, q->stats_ok ? q->ifdrop : 0, q->n_dropped };
	pthread_mutex_unlock(&q->mu);
	if (tot[0] <= c->drop_told[0] && tot[1] <= c->drop_told[1] && tot[2] <= c->drop_told[2])
		return;
	uint64_t d[3];
	for (int k = 0; k < 3; k++)
		d[k] = tot[k] > c->drop_told[k] ? tot[k] - c->drop_told[k] : 0;
	memcpy(c->drop_told, tot, sizeof(tot));
	c->drop_fn(c->drop_ctx, d, tot);
}

/*
 * Hand the queued packets to the tracer: wait up to wait_ms (-1: until the
 * reader stops) for some, take what is there.  Returns the packets handed
 * over, -1 on a capture error (errbuf), -2 once the reader stopped and the
 * queue is empty.
 */
static int lq_take(struct cap *c, int wait_ms, char *errbuf)
{
	struct lq *q = c->lq;
	pthread_mutex_lock(&q->mu);
	if (q->used == 0 && !q->done && wait_ms != 0) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		int ms = wait_ms < 0 || wait_ms > 100 ? 100 : wait_ms; /* then look at the flags again */
		until.tv_nsec += (long)ms * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		q->waiting = true;
		pthread_cond_timedwait(&q->cv, &q->mu, &until);
		q->waiting = false;
	}
	size_t avail = q->used, head = q->head;
	bool done = q->done, failed = q->failed;
	if (failed)
		errcpy(errbuf, q->errbuf);
	pthread_mutex_unlock(&q->mu);
	if (avail == 0) {
		lq_check_drops(c, done);
		if (failed)
			return -1;
		return done ? -2 : 0;
	}
	/* The records in [head, head + avail) are the tracer's until it gives
	 * their room back: the reader writes only past them. */
	size_t took = 0;
	int n = 0;
	while (took < avail && took < LQ_BATCH) {
		if (q->size - head < sizeof(struct lrec) ||
		    ((const struct lrec *)(const void *)(q->ring + head))->cap_len == LQ_WRAP) {
			took += q->size - head;
			head = 0;
			continue;
		}
		struct lrec r;
		memcpy(&r, q->ring + head, sizeof(r));
		struct pcap_pkthdr h;
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = (time_t)r.sec;
		h.ts.tv_usec = (suseconds_t)r.frac;
		h.caplen = r.cap_len;
		h.len = r.wire_len;
		size_t sz = lq_rec_size(r.cap_len);
		/* after a write error nothing more is handed over; after -c's
		 * count, on_packet takes nothing more */
		if (!c->dump_errno)
			on_packet((u_char *)c, &h, q->ring + head + sizeof(r));
		head += sz;
		took += sz;
		n++;
	}
	pthread_mutex_lock(&q->mu);
	q->head = head;
	q->used -= took;
	bool empty = q->used == 0;
	if (empty)
		q->head = q->tail = 0;
	pthread_mutex_unlock(&q->mu);
	if (empty && c->idle_fn)
		c->idle_fn(c->idle_ctx);
	lq_check_drops(c, false);
	return n;
}

/* cap_run on a live capture: the tracer's side of the queue. */
static int lq_run(struct cap *c, long count, char *errbuf)
{
	if (count > 0 && (!c->count || count < c->count))
		c->count = count;
	if (!c->lq && !lq_start(c, errbuf))
		return -1;
	int st = 0;
	bool stopping = false;
	for (;;) {
		bool counted = c->count && c->n_seen >= c->count;
		if (!stopping && (c->brk || c->dump_errno || counted)) {
			lq_stop(c); /* what it took still goes through lq_take */
			stopping = true;
			st = counted && !c->brk && !c->dump_errno ? 0 : 1; /* as pcap_loop's count */
		}
		int n = lq_take(c, -1, errbuf);
		if (n == -1) {
			st = -1;
			break;
		}
		if (n == -2)
			break;
	}
	lq_check_drops(c, true);
	dump_flush(c);
	return st;
}

int cap_run(struct cap *c, long count, cap_handler fn, void *ctx, char *errbuf)
{
	c->fn = fn;
	c->ctx = ctx;
	if (c->rd)
		return rd_run(c, count, errbuf);
	if (c->mm)
		return mm_run(c, count, errbuf);
	if (c->live)
		return lq_run(c, count, errbuf);
	int cnt = count > 0 && count < 0x7fffffff ? (int)count : (count > 0 ? 0x7fffffff : -1);
	if (c->has_file_prog) { /* pcap_loop would count the rejects: on_packet stops */
		c->count = count > 0 ? count : 0;
		cnt = -1;
	}
	int st = pcap_loop(c->p, cnt, on_packet, (u_char *)c);
	if (st == PCAP_ERROR_BREAK && c->live)
		cap_drain(c);
	dump_flush(c);
	if (st == PCAP_ERROR && g_stream_brk && !c->live)
		return 1; /* a stream's read cut short by cap_break (replay_read) */
	if (st == PCAP_ERROR) {
		errcpy(errbuf, pcap_geterr(c->p));
		return -1;
	}
	return st == PCAP_ERROR_BREAK ? 1 : 0;
}

int cap_poll(struct cap *c, int timeout_ms, cap_handler fn, void *ctx, char *errbuf)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	c->fn = fn;
	c->ctx = ctx;
	if (c->live) { /* through the reader thread's queue */
		if (!c->lq && !lq_start(c, errbuf))
			return -1;
		int n = lq_take(c, timeout_ms, errbuf);
		dump_flush(c);
		if (n == -1)
			return -1;
		if (c->count && c->n_seen >= c->count)
			return -2;
		if (c->brk && !c->brk_told) { /* once, as pcap_dispatch's break */
			c->brk_told = true;
			return -2;
		}
		return n < 0 ? 0 : n;
	}
	if (!c->nonblock) {
		if (pcap_setnonblock(c->p, 1, eb) < 0) {
			errcpy(errbuf, eb);
			return -1;
		}
		c->nonblock = true;
	}
	int fd = pcap_get_selectable_fd(c->p);
	if (fd >= 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		(void)poll(&pfd, 1, timeout_ms); /* EINTR: a signal; the dispatch below tells */
	}
	int st = pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
	if (st == PCAP_ERROR_BREAK)
		cap_drain(c);
	dump_flush(c);
	if (st == PCAP_ERROR) {
		errcpy(errbuf, pcap_geterr(c->p));
		return -1;
	}
	if (c->count && c->n_seen >= c->count)
		return -2;
	return st == PCAP_ERROR_BREAK ? -2 : st;
}

void cap_break(struct cap *c)
{
	g_stream_brk = 1;
	if (c) {
		c->brk = 1;
		pcap_breakloop(c->p);
	}
}

uint64_t cap_queue_dropped(struct cap *c)
{
	if (!c->lq)
		return 0;
	pthread_mutex_lock(&c->lq->mu);
	uint64_t n = c->lq->n_dropped;
	pthread_mutex_unlock(&c->lq->mu);
	return n;
}

void cap_set_idle_cb(struct cap *c, cap_idle_cb fn, void *ctx)
{
	c->idle_fn = fn;
	c->idle_ctx = ctx;
}

void cap_set_drop_cb(struct cap *c, cap_drop_cb fn, void *ctx)
{
	c->drop_fn = fn;
	c->drop_ctx = ctx;
}

void cap_set_secrets_cb(struct cap *c, cap_secrets_cb fn, void *ctx)
{
	c->secrets_fn = fn;
	c->secrets_ctx = ctx;
}

int cap_packet_dlt(const struct cap *c) { return c->rd ? c->cur_dlt : pcap_datalink(c->p); }

bool cap_is_pcapng(const struct cap *c) { return c->rd != NULL; }

uint64_t cap_packet_frame(const struct cap *c) { return c->n_frames; }

unsigned cap_packet_comments(const struct cap *c, const uint8_t **p, size_t *len, unsigned max)
{
	const struct pcapng_rec *r = c->cur_rec;
	unsigned n = 0;
	for (; r && n < r->n_comments && n < max && n < PCAPNG_COMMENTS_MAX; n++) {
		p[n] = r->comment[n].p;
		len[n] = r->comment[n].len;
	}
	return n;
}

bool cap_packet_iface(const struct cap *c, uint32_t *id, const uint8_t **name, size_t *len)
{
	const struct pcapng_rec *r = c->cur_rec;
	if (!c->rd || !r || !r->iface || pcapng_n_ifaces(c->rd) < 2)
		return false;
	*id = r->if_id;
	size_t n = r->iface->name_len < PCAPNG_IFNAME_MAX ? r->iface->name_len : PCAPNG_IFNAME_MAX;
	*name = n ? (const uint8_t *)r->iface->name : NULL;
	*len = n;
	return true;
}

/* -w pcapng from the reader: the interfaces of the section up to if_id,
 * as the input describes them (time stamps in nanoseconds). */
static bool ng_ifaces_upto(struct cap *c, uint32_t if_id)
{
	uint64_t want = (uint64_t)c->rd_out_base + if_id + 1;
	while (c->ng_n_ifaces < want) {
		const struct pcapng_iface *ifc = pcapng_iface(c->rd, c->ng_n_ifaces - c->rd_out_base);
		if (!ifc)
			return false;
		char name[PCAPNG_IFNAME_MAX + 1];
		size_t n = 0;
		for (size_t i = 0; i < ifc->name_len && i < PCAPNG_IFNAME_MAX; i++)
			if (ifc->name[i] >= 0x20 && ifc->name[i] < 0x7f) /* kept printable */
				name[n++] = ifc->name[i];
		name[n] = '\0';
		errno = 0;
		if (pcapng_write_idb(c->ng, ifc->linktype, ifc->snaplen, n ? name : NULL, 9) < 0) {
			dump_failed(c);
			return false;
		}
		c->ng_n_ifaces++;
	}
	return true;
}

/* The reader's next packet that passes the filter, into *rec (the secrets
 * blocks on the way handed to their callback): 1, 0 at the end, -1 on an
 * error (errbuf). */
static int rd_read(struct cap *c, struct pcapng_rec *rec, char *errbuf)
{
	for (;;) {
		if (c->have_pend) {
			*rec = c->pend;
			c->have_pend = false;
		} else {
			int r = pcapng_next(c->rd, rec);
			if (r == 0)
				return 0;
			if (r < 0) {
				errcpy(errbuf, pcapng_geterr(c->rd));
				return -1;
			}
		}
		if (rec->section != c->rd_section) { /* a new section: new interfaces */
			c->rd_section = rec->section;
			c->rd_out_base = c->ng_n_ifaces;
			progs_free(c);
		}
		if (rec->kind == PCAPNG_REC_SECRETS) {
			if (rec->secrets_type == PCAPNG_SECRETS_TLS_KEYLOG && c->secrets_fn)
				c->secrets_fn(c->secrets_ctx, rec->secrets.p, rec->secrets.len);
			continue;
		}
		if (rec->kind != PCAPNG_REC_PACKET)
			continue;
		c->n_frames++; /* a packet block, whatever the filter says */
		if (!rec->iface)
			continue;
		if (c->filter) {
			struct pcap_pkthdr h;
			memset(&h, 0, sizeof(h));
			h.caplen = rec->cap_len;
			h.len = rec->wire_len;
			struct bpf_program *prog = prog_for(c, rec->if_id, rec->iface, errbuf);
			if (!prog)
				return -1;
			if (!pcap_offline_filter(prog, &h, rec->data))
				continue;
		}
		return 1;
	}
}

/* Hand one packet record of the reader over, and write it to -w. */
static void rd_hand(struct cap *c, const struct pcapng_rec *rec)
{
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)rec->ts_sec;
	h.ts.tv_usec = (suseconds_t)rec->ts_nsec; /* nanoseconds: the handle's precision */
	h.caplen = rec->cap_len;
	h.len = rec->wire_len;
	c->n_seen++;
	c->cur_dlt = rec->iface->linktype;
	c->cur_rec = rec;
	c->note_len = 0;
	c->fn(c->ctx, rec->data, rec->cap_len, rec->wire_len,
	      cap_ts_us(rec->ts_sec, (int64_t)(rec->ts_nsec / 1000)));
	c->cur_rec = NULL;
	if (c->ng) {
		if (ng_ifaces_upto(c, rec->if_id)) {
			uint32_t wire = rec->wire_len < rec->cap_len ? rec->cap_len : rec->wire_len;
			uint32_t cl = rec->cap_len;
			if (rec->iface->snaplen && cl > rec->iface->snaplen)
				cl = rec->iface->snaplen;
			/* clamped to what 64 bits of nanoseconds since 1970 say */
			const uint64_t max_sec = UINT64_MAX / 1000000000u - 1;
			uint64_t sec = rec->ts_sec < 0 ? 0 : (uint64_t)rec->ts_sec;
			errno = 0;
			if (pcapng_write_epb(c->ng, c->rd_out_base + rec->if_id,
					     sec > max_sec ? max_sec : sec, rec->ts_nsec, rec->data, cl,
					     wire, c->note, c->note_len) < 0)
				dump_failed(c);
		} else if (!c->dump_errno) {
			errno = EIO;
			dump_failed(c);
		}
	} else if (c->dump && rec->iface->linktype == pcap_datalink(c->p)) {
		/* a pcap has one link type: the first interface's */
		pcap_dump((u_char *)c->dump, &h, rec->data);
		if (ferror(pcap_dump_file(c->dump)))
			dump_failed(c);
	}
}

/* cap_run over a pcapng file read by the project's reader. */
static int rd_run(struct cap *c, long count, char *errbuf)
{
	int st = 0;
	for (;;) {
		if (c->brk || c->dump_errno) {
			st = 1;
			break;
		}
		struct pcapng_rec rec;
		int r = rd_read(c, &rec, errbuf);
		if (r == 0)
			break;
		if (r < 0 && g_stream_brk) { /* a stream's read cut short by cap_break (replay_read) */
			st = 1;
			break;
		}
		if (r < 0) {
			dump_flush(c);
			return -1;
		}
		rd_hand(c, &rec);
		if (count > 0 && c->n_seen >= count)
			break;
	}
	dump_flush(c);
	return st;
}

/* The window holding [off, off + n) of the file (n <= MM_MAX_REC), mapped
 * if it is not; NULL when the mapping fails. */
static const uint8_t *mm_at(struct mm *m, uint64_t off, size_t n)
{
	if (m->win && off >= m->win_off && off - m->win_off + n <= m->win_len)
		return m->win + (off - m->win_off);
	g_mm_bus.win = NULL;
	mm_unmap(m);
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t start = off - off % (uint64_t)(pg > 0 ? pg : 4096);
	uint64_t len = MM_WIN + MM_MAX_REC;
	if (len > m->size - start)
		len = m->size - start;
	void *w = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, m->fd, (off_t)start);
	if (w == MAP_FAILED)
		return NULL;
	(void)madvise(w, (size_t)len, MADV_SEQUENTIAL);
	m->win = w;
	m->win_off = start;
	m->win_len = (size_t)len;
	g_mm_bus.len = (size_t)len;
	g_mm_bus.win = w;
	return m->win + (off - start);
}

/*
 * Hand the rest of the file to libpcap: open it there and skip the records
 * read here; libpcap reads the rest (the filter run by on_packet, so that
 * its rejects are numbered), and a record libpcap refuses is refused in its
 * words.  1, or -1 and errbuf.
 */
static int mm_to_pcap(struct cap *c, char *errbuf)
{
	struct mm *m = c->mm;
	char eb[PCAP_ERRBUF_SIZE] = "";
	/* the descriptor, not the path: standard input has none to reopen */
	int fd = fcntl(m->fd, F_DUPFD_CLOEXEC, 3);
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
	if (!f || fseeko(f, 0, SEEK_SET) != 0) {
		snprintf(errbuf, CAP_ERRBUF_SIZE, "%s", strerror(errno));
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		return -1;
	}
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p) {
		fclose(f);
		errcpy(errbuf, eb);
		return -1;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	for (uint64_t k = 0; k < m->n_recs; k++)
		if (pcap_next_ex(p, &h, &d) != 1)
			break;
	if (m->has_prog) { /* on_packet runs it, so that what it rejects is numbered */
		if (c->has_file_prog)
			pcap_freecode(&c->file_prog);
		c->file_prog = m->prog;
		c->has_file_prog = true;
		m->has_prog = false;
	}
	pcap_close(c->p);
	c->p = p;
	mm_free(m);
	c->mm = NULL;
	return 1;
}

/* A mapped file's rest handed to libpcap (mm_to_pcap), read with pcap_loop. */
static int mm_hand_over(struct cap *c, long count, char *errbuf)
{
	if (mm_to_pcap(c, errbuf) < 0)
		return -1;
	long left = count > 0 ? count - c->n_seen : 0;
	if (count > 0 && left <= 0)
		return 0;
	int cnt = -1; /* on_packet stops at the count: the filter's rejects are not counted */
	c->count = count > 0 ? count : 0;
	int st = pcap_loop(c->p, cnt, on_packet, (u_char *)c);
	dump_flush(c);
	if (st == PCAP_ERROR) {
		errcpy(errbuf, pcap_geterr(c->p));
		return -1;
	}
	return st == PCAP_ERROR_BREAK ? 1 : 0;
}

/* The file shrank under the mapping (g_mm_bus): -1 and the error; frame,
 * when not 0, was decoded in part from zeros. */
static int mm_cut(struct cap *c, uint64_t frame, char *errbuf)
{
	dump_flush(c);
	if (frame)
		snprintf(errbuf, CAP_ERRBUF_SIZE,
			 "truncated while being read (frame %llu was cut: read in part as zeros)",
			 (unsigned long long)frame);
	else
		errcpy(errbuf, "truncated while being read");
	return -1;
}

static int mm_loop(struct cap *c, long count, char *errbuf);

/* cap_run over a mapped classic pcap file: mm_loop, SIGBUS caught. */
static int mm_run(struct cap *c, long count, char *errbuf)
{
	mm_bus_arm(true);
	int st = mm_loop(c, count, errbuf);
	mm_bus_arm(false);
	return st;
}

static int mm_loop(struct cap *c, long count, char *errbuf)
{
	struct mm *m = c->mm;
	for (;;) {
		if (c->brk || c->dump_errno) {
			dump_flush(c);
			return 1;
		}
		if (g_mm_bus.cut)
			return mm_cut(c, 0, errbuf);
		if (m->size - m->pos < 16) {
			struct stat st; /* a file still being written: read what came since */
			if (fstat(m->fd, &st) == 0 && (uint64_t)st.st_size > m->size)
				m->size = (uint64_t)st.st_size;
			if (m->pos == m->size)
				break; /* the end, between two records */
			if (m->size - m->pos < 16)
				return mm_hand_over(c, count, errbuf); /* a header cut short */
		}
		const uint8_t *rh = mm_at(m, m->pos, 16);
		if (!rh)
			return mm_hand_over(c, count, errbuf);
		uint32_t caplen = mm_u32(m, rh + 8), len = mm_u32(m, rh + 12);
		if (g_mm_bus.cut)
			return mm_cut(c, 0, errbuf);
		if (caplen > m->snaplen || m->size - m->pos - 16 < caplen)
			return mm_hand_over(c, count, errbuf); /* libpcap's to judge */
		rh = mm_at(m, m->pos, 16 + (size_t)caplen);
		if (!rh)
			return mm_hand_over(c, count, errbuf);
		struct pcap_pkthdr h;
		memset(&h, 0, sizeof(h));
		/* as libpcap hands them over: seconds unsigned, the fraction in nanoseconds */
		h.ts.tv_sec = (time_t)mm_u32(m, rh);
		uint32_t frac = mm_u32(m, rh + 4);
		h.ts.tv_usec = m->nano ? (suseconds_t)frac : (suseconds_t)frac * 1000;
		h.caplen = caplen;
		h.len = len;
		if (g_mm_bus.cut)
			return mm_cut(c, 0, errbuf);
		m->pos += 16 + (uint64_t)caplen;
		m->n_recs++;
		/* The next record's header and first bytes, fetched from memory while
		 * this packet is decoded: read cold, they cost a cache miss each. */
		if (m->pos - m->win_off + 192 <= m->win_len) {
			const uint8_t *nx = m->win + (m->pos - m->win_off);
			__builtin_prefetch(nx);
			__builtin_prefetch(nx + 64);
			__builtin_prefetch(nx + 128);
		}
		if (m->has_prog && !pcap_offline_filter(&m->prog, &h, rh + 16)) {
			c->n_frames++; /* a frame all the same (-#) */
			continue;
		}
		m->handing = true;
		on_packet((u_char *)c, &h, rh + 16);
		m->handing = false;
		if (g_mm_bus.cut)
			return mm_cut(c, c->n_frames, errbuf);
		if ((count > 0 && c->n_seen >= count) || (c->count && c->n_seen >= c->count))
			break;
	}
	dump_flush(c);
	return 0;
}

/* A classic capture's time stamp as microseconds (see on_packet). */
static int64_t hdr_ts_us(const struct cap *c, const struct pcap_pkthdr *h)
{
	int64_t sec = c->ts32 ? (int64_t)(uint32_t)h->ts.tv_sec : (int64_t)h->ts.tv_sec;
	int64_t frac = c->ts32 ? (int64_t)(uint32_t)h->ts.tv_usec : (int64_t)h->ts.tv_usec;
	return cap_ts_us(sec, c->nano ? frac / 1000 : frac);
}

int cap_peek(struct cap *c, int64_t *ts_us, char *errbuf)
{
	if (!c->have_ahead) {
		if (c->rd) {
			int r = rd_read(c, &c->ahead_rec, errbuf);
			if (r < 0 && g_stream_brk)
				return 0; /* a stream's read cut short by cap_break: the caller stops */
			if (r <= 0)
				return r;
		} else {
			/* several files, merged: libpcap reads each (not mapped) */
			if (c->mm && mm_to_pcap(c, errbuf) < 0)
				return -1;
			struct pcap_pkthdr *h;
			const u_char *data;
			int r = pcap_next_ex(c->p, &h, &data);
			if (r == PCAP_ERROR_BREAK || (r == PCAP_ERROR && g_stream_brk))
				return 0; /* the end of the file, or a stream's read cut short by cap_break */
			if (r != 1) {
				errcpy(errbuf, r == PCAP_ERROR ? pcap_geterr(c->p) : "read error");
				return -1;
			}
			c->ahead_h = *h;
			c->ahead_data = data; /* libpcap's until the next pcap_next_ex */
		}
		c->have_ahead = true;
	}
	*ts_us = c->rd ? cap_ts_us(c->ahead_rec.ts_sec, (int64_t)(c->ahead_rec.ts_nsec / 1000))
		       : hdr_ts_us(c, &c->ahead_h);
	return 1;
}

int cap_next(struct cap *c, cap_handler fn, void *ctx, char *errbuf)
{
	int64_t ts;
	int r = cap_peek(c, &ts, errbuf);
	if (r <= 0)
		return r;
	c->have_ahead = false;
	c->fn = fn;
	c->ctx = ctx;
	if (c->rd)
		rd_hand(c, &c->ahead_rec);
	else
		on_packet((u_char *)c, &c->ahead_h, c->ahead_data);
	return c->dump_errno ? -2 : 1;
}

bool cap_stats(struct cap *c, uint64_t *recv, uint64_t *drop, uint64_t *ifdrop)
{
	if (c->lq) { /* the reader's last look: it stops first, so it is the final one */
		lq_stop(c);
		*recv = c->lq->recv;
		*drop = c->lq->drop;
		*ifdrop = c->lq->ifdrop;
		return c->lq->stats_ok;
	}
	struct pcap_stat st;
	if (!c->live || pcap_stats(c->p, &st) < 0)
		return false;
	*recv = st.ps_recv;
	*drop = st.ps_drop;
	*ifdrop = st.ps_ifdrop;
	return true;
}

void cap_close(struct cap *c)
{
	if (!c)
		return;
	if (c->dump || c->ng) {
		char eb[CAP_ERRBUF_SIZE];
		(void)cap_dump_close(c, eb); /* the caller that cares called it first */
	}
	lq_free(c); /* the reader stops before the handle goes */
	pcap_close(c->p);
	mm_free(c->mm);
	free(c->q);
	free(c->q_scratch);
	progs_free(c);
	if (c->has_file_prog)
		pcap_freecode(&c->file_prog);
	free(c->filter);
	if (c->rd) {
		pcapng_close(c->rd);
		fclose(c->rd_file);
	}
	free(c);
}
