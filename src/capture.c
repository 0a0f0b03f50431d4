/* capture.c - the capture engine over libpcap: files, live devices, filters, -w. */
#include "capture.h"

#include "pcapng.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
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
	bool nano;             /* time stamps in nanoseconds (files), else microseconds */
	struct pcapng_writer *ng; /* -w FILE.pcapng, or NULL */
	FILE *ng_file;         /* its FILE */
	uint32_t ng_snaplen;   /* the snap length its IDB says */
	char note[CAP_NOTE_MAX]; /* cap_dump_note: the comment of the packet being handed over */
	size_t note_len;
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

struct cap *cap_open_file(const char *path, char *errbuf)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	/* Nanoseconds, so -w keeps a nanosecond capture's time stamps */
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p) {
		errcpy(errbuf, eb);
		return NULL;
	}
	struct cap *c = cap_wrap(p, false, errbuf);
	/* libpcap says 2.x for every classic pcap flavour, 1.0 for pcapng */
	if (c) {
		c->ts32 = pcap_major_version(p) == 2;
		c->nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	}
	return c;
}

struct cap *cap_open_live(const char *iface, int snaplen, int buffer_kib, char *errbuf,
			  bool *perm)
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
	pcap_set_timeout(p, 100);
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

bool cap_set_filter(struct cap *c, const char *expr, char *errbuf)
{
	struct bpf_program prog;
	if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(errbuf, CAP_ERRBUF_SIZE, "filter '%s': %s", expr, pcap_geterr(c->p));
		return false;
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
	if (!w || pcapng_write_idb(w, (uint16_t)pcap_datalink(c->p), c->ng_snaplen, if_name,
				   c->nano ? 9 : 6) < 0) {
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
static void dump_epb(struct cap *c, const struct pcap_pkthdr *h, const u_char *data, int64_t sec,
		     int64_t frac)
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
			     data, cap_len, wire, c->note, c->note_len) < 0)
		dump_failed(c);
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

void cap_set_count(struct cap *c, long count)
{
	c->count = count > 0 ? count : 0;
}

int cap_datalink(const struct cap *c) { return pcap_datalink(c->p); }

const char *cap_datalink_name(int dlt) { return pcap_datalink_val_to_name(dlt); }

const char *cap_datalink_desc(int dlt) { return pcap_datalink_val_to_description(dlt); }

int cap_snaplen(const struct cap *c) { return pcap_snapshot(c->p); }

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct cap *c = (struct cap *)user;
	if (c->count && c->n_seen >= c->count)
		return; /* cap_poll's count reached: what the kernel still had is not ours */
	c->n_seen++;
	if (c->dump) {
		pcap_dump((u_char *)c->dump, h, data);
		if (ferror(pcap_dump_file(c->dump)) && !c->dump_errno) {
			c->dump_errno = errno ? errno : EIO;
			pcap_breakloop(c->p);
		}
	}
	/* A classic pcap's seconds are an unsigned 32-bit field (to 2106), which
	 * libpcap hands over sign-extended: after 2038 they come out negative. */
	int64_t sec = c->ts32 ? (int64_t)(uint32_t)h->ts.tv_sec : (int64_t)h->ts.tv_sec;
	int64_t frac = c->ts32 ? (int64_t)(uint32_t)h->ts.tv_usec : (int64_t)h->ts.tv_usec;
	c->note_len = 0;
	c->fn(c->ctx, data, h->caplen, h->len, cap_ts_us(sec, c->nano ? frac / 1000 : frac));
	/* after the tracer: the note is its verdict on this packet */
	if (c->ng)
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

int cap_run(struct cap *c, long count, cap_handler fn, void *ctx, char *errbuf)
{
	c->fn = fn;
	c->ctx = ctx;
	int cnt = count > 0 && count < 0x7fffffff ? (int)count : (count > 0 ? 0x7fffffff : -1);
	int st = pcap_loop(c->p, cnt, on_packet, (u_char *)c);
	if (st == PCAP_ERROR_BREAK && c->live)
		cap_drain(c);
	dump_flush(c);
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
	if (c)
		pcap_breakloop(c->p);
}

bool cap_stats(struct cap *c, uint64_t *recv, uint64_t *drop, uint64_t *ifdrop)
{
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
	pcap_close(c->p);
	free(c);
}
