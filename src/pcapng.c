/* pcapng.c - pcapng writer (SHB, IDB, EPB with opt_comment, DSB) and a bounded block reader. */
#include "pcapng.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "rd.h"

#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

/* Option codes. */
#define OPT_ENDOFOPT   0
#define OPT_COMMENT    1
#define SHB_OS         3
#define SHB_USERAPPL   4
#define IF_NAME        2
#define IF_TSRESOL     9
#define IF_TSOFFSET    14

/* Bytes of padding after n bytes to reach a multiple of 4. */
static uint64_t pad4(uint64_t n) { return (4 - (n & 3)) & 3; }

/* ================================================================ writer */

struct pcapng_writer {
	FILE *f;                            /* the caller's stream */
	int err;                            /* first write error's errno, 0 = none (sticky) */
	uint32_t n_ifaces;                  /* interfaces described so far */
	uint32_t snaplen[PCAPNG_IFACES_MAX];/* per interface, for the checks */
	uint8_t tsresol[PCAPNG_IFACES_MAX]; /* 6 or 9 */
};

static void w_bytes(struct pcapng_writer *w, const void *p, size_t n)
{
	if (w->err || n == 0)
		return;
	errno = 0;
	if (fwrite(p, 1, n, w->f) != n)
		w->err = errno ? errno : EIO;
}

static void w_u16(struct pcapng_writer *w, uint16_t v) { w_bytes(w, &v, 2); }
static void w_u32(struct pcapng_writer *w, uint32_t v) { w_bytes(w, &v, 4); }

static void w_pad(struct pcapng_writer *w, uint64_t n)
{
	static const uint8_t zero[4];
	w_bytes(w, zero, (size_t)pad4(n));
}

/* Bytes an option of len value bytes takes (header, value, padding). */
static uint64_t opt_size(size_t len) { return 4 + (uint64_t)len + pad4(len); }

static void w_opt(struct pcapng_writer *w, uint16_t code, const void *p, size_t len)
{
	w_u16(w, code);
	w_u16(w, (uint16_t)len);
	w_bytes(w, p, len);
	w_pad(w, len);
}

static void w_endofopt(struct pcapng_writer *w) { w_u32(w, 0); }

/* The writer's status after a block: 0, or -1 with errno. */
static int w_status(struct pcapng_writer *w)
{
	if (w->err) {
		errno = w->err;
		return -1;
	}
	return 0;
}

static int w_inval(void)
{
	errno = EINVAL;
	return -1;
}

struct pcapng_writer *pcapng_writer_open(FILE *f, const char *userappl, const char *os,
					 char *errbuf)
{
	size_t app_len = userappl ? strlen(userappl) : 0;
	size_t os_len = os ? strlen(os) : 0;
	if (!f || app_len > 65535 || os_len > 65535) {
		snprintf(errbuf, PCAPNG_ERRBUF_SIZE, "pcapng: bad section header argument");
		return NULL;
	}
	struct pcapng_writer *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(errbuf, PCAPNG_ERRBUF_SIZE, "pcapng: out of memory");
		return NULL;
	}
	w->f = f;
	uint64_t opts = 0;
	if (app_len)
		opts += opt_size(app_len);
	if (os_len)
		opts += opt_size(os_len);
	if (opts)
		opts += 4;
	uint32_t total = (uint32_t)(12 + 16 + opts);
	int64_t section_len = -1;
	w_u32(w, PCAPNG_BT_SHB);
	w_u32(w, total);
	w_u32(w, BYTE_ORDER_MAGIC);
	w_u16(w, 1);
	w_u16(w, 0);
	w_bytes(w, &section_len, 8);
	if (app_len)
		w_opt(w, SHB_USERAPPL, userappl, app_len);
	if (os_len)
		w_opt(w, SHB_OS, os, os_len);
	if (opts)
		w_endofopt(w);
	w_u32(w, total);
	if (w->err) {
		snprintf(errbuf, PCAPNG_ERRBUF_SIZE, "pcapng: write error: %s", strerror(w->err));
		free(w);
		return NULL;
	}
	return w;
}

int pcapng_write_idb(struct pcapng_writer *w, uint16_t linktype, uint32_t snaplen,
		     const char *if_name, unsigned tsresol)
{
	if (!w)
		return w_inval();
	if (w->err)
		return w_status(w);
	size_t name_len = if_name ? strlen(if_name) : 0;
	if ((tsresol != 6 && tsresol != 9) || name_len > 65535 || w->n_ifaces >= PCAPNG_IFACES_MAX)
		return w_inval();
	uint8_t res = (uint8_t)tsresol;
	uint64_t opts = opt_size(1) + 4;
	if (name_len)
		opts += opt_size(name_len);
	uint32_t total = (uint32_t)(12 + 8 + opts);
	w_u32(w, PCAPNG_BT_IDB);
	w_u32(w, total);
	w_u16(w, linktype);
	w_u16(w, 0);
	w_u32(w, snaplen);
	if (name_len)
		w_opt(w, IF_NAME, if_name, name_len);
	w_opt(w, IF_TSRESOL, &res, 1);
	w_endofopt(w);
	w_u32(w, total);
	if (w->err)
		return w_status(w);
	w->snaplen[w->n_ifaces] = snaplen;
	w->tsresol[w->n_ifaces] = res;
	return (int)w->n_ifaces++;
}

int pcapng_write_epb(struct pcapng_writer *w, uint32_t if_id, uint64_t ts_sec, uint32_t ts_frac,
		     const uint8_t *data, uint32_t cap_len, uint32_t wire_len, const char *comment,
		     size_t comment_len)
{
	if (!w)
		return w_inval();
	if (w->err)
		return w_status(w);
	if (if_id >= w->n_ifaces || cap_len > wire_len || (cap_len && !data) ||
	    (w->snaplen[if_id] && cap_len > w->snaplen[if_id]) || comment_len > 65535 ||
	    (comment_len && !comment))
		return w_inval();
	uint64_t per_sec = w->tsresol[if_id] == 9 ? 1000000000u : 1000000u;
	if (ts_sec > (UINT64_MAX - ts_frac) / per_sec)
		return w_inval(); /* beyond 64 bits of the interface's units */
	uint64_t ts = ts_sec * per_sec + ts_frac;
	uint64_t opts = comment_len ? opt_size(comment_len) + 4 : 0;
	uint64_t total = 12 + 20 + (uint64_t)cap_len + pad4(cap_len) + opts;
	if (total > PCAPNG_BLOCK_MAX)
		return w_inval();
	w_u32(w, PCAPNG_BT_EPB);
	w_u32(w, (uint32_t)total);
	w_u32(w, if_id);
	w_u32(w, (uint32_t)(ts >> 32));
	w_u32(w, (uint32_t)ts);
	w_u32(w, cap_len);
	w_u32(w, wire_len);
	w_bytes(w, data, cap_len);
	w_pad(w, cap_len);
	if (comment_len) {
		w_opt(w, OPT_COMMENT, comment, comment_len);
		w_endofopt(w);
	}
	w_u32(w, (uint32_t)total);
	return w_status(w);
}

int pcapng_write_dsb(struct pcapng_writer *w, uint32_t secrets_type, const uint8_t *data,
		     size_t len)
{
	if (!w)
		return w_inval();
	if (w->err)
		return w_status(w);
	if (len > PCAPNG_SECRETS_MAX || (len && !data))
		return w_inval();
	uint64_t total = 12 + 8 + (uint64_t)len + pad4(len);
	w_u32(w, PCAPNG_BT_DSB);
	w_u32(w, (uint32_t)total);
	w_u32(w, secrets_type);
	w_u32(w, (uint32_t)len);
	w_bytes(w, data, len);
	w_pad(w, len);
	w_u32(w, (uint32_t)total);
	return w_status(w);
}

int pcapng_writer_flush(struct pcapng_writer *w)
{
	if (!w)
		return w_inval();
	if (!w->err && fflush(w->f) != 0)
		w->err = errno ? errno : EIO;
	if (!w->err && ferror(w->f))
		w->err = EIO;
	return w_status(w);
}

int pcapng_writer_close(struct pcapng_writer *w)
{
	if (!w)
		return 0;
	int rc = pcapng_writer_flush(w);
	int e = errno;
	free(w);
	if (rc)
		errno = e;
	return rc;
}

/* ================================================================ reader */

struct pcapng_reader {
	/* source: memory, or a FILE read one block at a time into buf */
	const uint8_t *mem;             /* memory mode: the bytes */
	uint64_t mem_len;               /* memory mode: their count */
	FILE *f;                        /* file mode: the stream */
	bool size_known;                /* file mode: a regular file of known size */
	uint64_t file_len;              /* file mode: bytes from where reading started */
	uint8_t *buf;                   /* file mode: the current block */
	size_t buf_cap;                 /* bytes allocated at buf */
	uint64_t off;                   /* offset of the next block */
	/* the current section */
	bool in_section;                /* a Section Header was read */
	bool be;                        /* the section is big-endian */
	unsigned section;               /* index of the current section */
	struct pcapng_iface *ifaces;    /* its interfaces */
	uint32_t n_ifaces, cap_ifaces;  /* used, allocated */
	struct pcapng_stats st;
	bool failed;                    /* sticky error */
	char err[PCAPNG_ERRBUF_SIZE];   /* its message */
};

static int fail(struct pcapng_reader *r, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct pcapng_reader *r, uint64_t off, const char *fmt, ...)
{
	char what[PCAPNG_ERRBUF_SIZE - 48];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof r->err, "pcapng: block at offset %" PRIu64 ": %s", off, what);
	r->failed = true;
	return -1;
}

static bool get16(struct rd *d, bool be, uint16_t *v) { return be ? rd_be16(d, v) : rd_le16(d, v); }
static bool get32(struct rd *d, bool be, uint32_t *v) { return be ? rd_be32(d, v) : rd_le32(d, v); }

static bool get64(struct rd *d, bool be, uint64_t *v)
{
	uint32_t a, b;
	if (!rd_has(d, 8) || !get32(d, be, &a) || !get32(d, be, &b))
		return false;
	*v = be ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
	return true;
}

static struct pcapng_reader *reader_new(char *errbuf)
{
	struct pcapng_reader *r = calloc(1, sizeof *r);
	if (!r)
		snprintf(errbuf, PCAPNG_ERRBUF_SIZE, "pcapng: out of memory");
	return r;
}

struct pcapng_reader *pcapng_open_mem(const uint8_t *buf, size_t len, char *errbuf)
{
	if (!buf && len) {
		snprintf(errbuf, PCAPNG_ERRBUF_SIZE, "pcapng: no buffer");
		return NULL;
	}
	struct pcapng_reader *r = reader_new(errbuf);
	if (!r)
		return NULL;
	r->mem = buf;
	r->mem_len = len;
	return r;
}

struct pcapng_reader *pcapng_open_file(FILE *f, char *errbuf)
{
	if (!f) {
		snprintf(errbuf, PCAPNG_ERRBUF_SIZE, "pcapng: no file");
		return NULL;
	}
	struct pcapng_reader *r = reader_new(errbuf);
	if (!r)
		return NULL;
	r->f = f;
	struct stat sb;
	if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode)) {
		off_t at = ftello(f);
		if (at >= 0 && at <= sb.st_size) {
			r->size_known = true;
			r->file_len = (uint64_t)(sb.st_size - at);
		}
	}
	return r;
}

void pcapng_close(struct pcapng_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r->ifaces);
	free(r);
}

const char *pcapng_geterr(const struct pcapng_reader *r) { return r->err; }

void pcapng_get_stats(const struct pcapng_reader *r, struct pcapng_stats *st) { *st = r->st; }

uint32_t pcapng_n_ifaces(const struct pcapng_reader *r) { return r->n_ifaces; }

const struct pcapng_iface *pcapng_iface(const struct pcapng_reader *r, uint32_t if_id)
{
	return if_id < r->n_ifaces ? &r->ifaces[if_id] : NULL;
}

/* File mode: read n bytes into buf at `at`.  1 read, 0 nothing left
 * (only when want_eof and no byte came), -1 error (message set). */
static int file_read(struct pcapng_reader *r, size_t at, size_t n, bool want_eof)
{
	size_t got = fread(r->buf + at, 1, n, r->f);
	if (got == n)
		return 1;
	if (ferror(r->f))
		return fail(r, r->off, "read error: %s", strerror(errno ? errno : EIO));
	if (got == 0 && want_eof)
		return 0;
	return fail(r, r->off, "truncated: %zu of %zu bytes", at + got, at + n);
}

static bool buf_reserve(struct pcapng_reader *r, size_t n)
{
	if (n <= r->buf_cap)
		return true;
	size_t cap = r->buf_cap ? r->buf_cap : 65536;
	while (cap < n)
		cap *= 2;
	uint8_t *p = realloc(r->buf, cap);
	if (!p)
		return false;
	r->buf = p;
	r->buf_cap = cap;
	return true;
}

/*
 * The next whole block, its lengths checked: 1 with the block and its length, 0 at a
 * clean end, -1 on an error.  A Section Header sets the byte order.
 */
static int next_block(struct pcapng_reader *r, const uint8_t **blk, uint32_t *blk_len)
{
	uint64_t left;   /* bytes from r->off to the end, when known */
	bool known;
	const uint8_t *head;
	size_t head_len; /* bytes at head */
	if (r->mem) {
		left = r->mem_len - r->off;
		known = true;
		head = r->mem + r->off;
		head_len = (size_t)(left < 12 ? left : 12);
		if (left == 0)
			return r->in_section ? 0 : fail(r, r->off, "empty: not a pcapng file");
		if (left < 8)
			return fail(r, r->off, "truncated block header (%" PRIu64 " bytes left)", left);
	} else if (r->f) {
		known = r->size_known;
		left = known && r->file_len >= r->off ? r->file_len - r->off : 0;
		if (!buf_reserve(r, 12))
			return fail(r, r->off, "out of memory");
		int rc = file_read(r, 0, 8, true);
		if (rc == 0)
			return r->in_section ? 0 : fail(r, r->off, "empty: not a pcapng file");
		if (rc < 0)
			return -1;
		head = r->buf;
		head_len = 8;
	} else {
		left = 0;
		return r->in_section ? 0 : fail(r, r->off, "empty: not a pcapng file");
	}

	struct rd d = rd_make(head, head_len);
	uint32_t raw_type;
	(void)rd_be32(&d, &raw_type); /* SHB's type reads the same in both orders */
	if (raw_type == PCAPNG_BT_SHB) {
		if (!r->mem) {
			int rc = file_read(r, 8, 4, false);
			if (rc < 0)
				return -1;
			head_len = 12;
		}
		if (head_len < 12)
			return fail(r, r->off, "truncated section header");
		struct rd m = rd_make(head + 8, 4);
		uint32_t magic;
		(void)rd_be32(&m, &magic);
		if (magic == BYTE_ORDER_MAGIC)
			r->be = true;
		else if (magic == 0x4D3C2B1Au)
			r->be = false;
		else
			return fail(r, r->off, "bad byte-order magic 0x%08" PRIx32, magic);
	} else if (!r->in_section) {
		return fail(r, r->off, "not a pcapng file (no Section Header Block first)");
	}
	d = rd_make(head, 8);
	uint32_t type, len;
	(void)get32(&d, r->be, &type);
	(void)get32(&d, r->be, &len);
	if (len < 12)
		return fail(r, r->off, "block type 0x%08" PRIx32 ": total length %" PRIu32 " is below 12",
			    type, len);
	if (len % 4)
		return fail(r, r->off, "block type 0x%08" PRIx32 ": total length %" PRIu32
			    " is not a multiple of 4", type, len);
	if (known && len > left)
		return fail(r, r->off, "block type 0x%08" PRIx32 ": total length %" PRIu32
			    " runs past the end of the file (%" PRIu64 " bytes left)", type, len, left);
	if (len > PCAPNG_BLOCK_MAX)
		return fail(r, r->off, "block type 0x%08" PRIx32 ": total length %" PRIu32
			    " exceeds the %u-byte cap", type, len, PCAPNG_BLOCK_MAX);
	if (r->mem) {
		*blk = r->mem + r->off;
	} else {
		if (!buf_reserve(r, len))
			return fail(r, r->off, "out of memory for a block of %" PRIu32 " bytes", len);
		size_t have = head_len;
		if (len < have)
			return fail(r, r->off, "section header of total length %" PRIu32, len);
		if (len > have && file_read(r, have, len - have, false) < 0)
			return -1;
		*blk = r->buf;
	}
	struct rd t = rd_make(*blk + len - 4, 4);
	uint32_t trail;
	(void)get32(&t, r->be, &trail);
	if (trail != len)
		return fail(r, r->off, "block type 0x%08" PRIx32 ": trailing length %" PRIu32
			    " differs from leading length %" PRIu32, type, trail, len);
	*blk_len = len;
	return 1;
}

/*
 * The next option of an options area: 1 with code and value, 0 at
 * opt_endofopt or the end of the area, -1 when an option overruns.
 */
static int opt_next(struct pcapng_reader *r, uint64_t blk_off, struct rd *o, uint16_t *code,
		    struct rd *val)
{
	if (rd_left(o) == 0)
		return 0;
	uint16_t len;
	if (!get16(o, r->be, code) || !get16(o, r->be, &len))
		return fail(r, blk_off, "option header cut at byte %zu of the options", o->off);
	if (*code == OPT_ENDOFOPT)
		return 0;
	if (!rd_sub(o, len, val) || !rd_skip(o, (size_t)pad4(len)))
		return fail(r, blk_off, "option %u of length %u runs past the end of the block",
			    (unsigned)*code, (unsigned)len);
	return 1;
}

/* Walk options only to check their bounds (and collect comments into rec when given). */
static int opts_walk(struct pcapng_reader *r, uint64_t blk_off, struct rd *o, struct pcapng_rec *rec)
{
	uint16_t code;
	struct rd val;
	int rc;
	while ((rc = opt_next(r, blk_off, o, &code, &val)) == 1) {
		if (rec && code == OPT_COMMENT) {
			if (rec->n_comments < PCAPNG_COMMENTS_MAX) {
				rec->comment[rec->n_comments].p = val.buf;
				rec->comment[rec->n_comments].len = val.len;
				rec->n_comments++;
			} else {
				rec->n_comments_more++;
			}
		}
	}
	return rc;
}

static int read_shb(struct pcapng_reader *r, struct rd *body)
{
	uint32_t magic;
	uint16_t major, minor;
	uint64_t section_len;
	if (!get32(body, r->be, &magic) || !get16(body, r->be, &major) ||
	    !get16(body, r->be, &minor) || !get64(body, r->be, &section_len))
		return fail(r, r->off, "section header body of %zu bytes is below 16", body->len);
	if (major != 1)
		return fail(r, r->off, "unsupported pcapng version %u.%u", (unsigned)major,
			    (unsigned)minor);
	if (opts_walk(r, r->off, body, NULL) < 0)
		return -1;
	if (r->in_section)
		r->section++;
	r->in_section = true;
	r->n_ifaces = 0;
	r->st.n_sections++;
	return 0;
}

static int read_idb(struct pcapng_reader *r, struct rd *body, struct pcapng_rec *rec)
{
	struct pcapng_iface ifc;
	memset(&ifc, 0, sizeof ifc);
	uint16_t reserved;
	if (!get16(body, r->be, &ifc.linktype) || !get16(body, r->be, &reserved) ||
	    !get32(body, r->be, &ifc.snaplen))
		return fail(r, r->off, "interface description body of %zu bytes is below 8", body->len);
	ifc.tsresol = 6;
	uint16_t code;
	struct rd val;
	int rc;
	while ((rc = opt_next(r, r->off, body, &code, &val)) == 1) {
		if (code == IF_NAME) {
			size_t n = val.len < PCAPNG_IFNAME_MAX - 1 ? val.len : PCAPNG_IFNAME_MAX - 1;
			(void)rd_copy(&val, ifc.name, n);
			ifc.name[n] = '\0';
			ifc.name_len = n;
		} else if (code == IF_TSRESOL) {
			if (!rd_u8(&val, &ifc.tsresol) || rd_left(&val) != 0)
				return fail(r, r->off, "if_tsresol of length %zu, not 1", val.len);
		} else if (code == IF_TSOFFSET) {
			uint64_t v;
			if (!get64(&val, r->be, &v) || rd_left(&val) != 0)
				return fail(r, r->off, "if_tsoffset of length %zu, not 8", val.len);
			ifc.tsoffset = (int64_t)v;
		}
	}
	if (rc < 0)
		return -1;
	if (r->n_ifaces >= PCAPNG_IFACES_MAX)
		return fail(r, r->off, "more than %u interfaces in a section", PCAPNG_IFACES_MAX);
	if (r->n_ifaces == r->cap_ifaces) {
		uint32_t cap = r->cap_ifaces ? r->cap_ifaces * 2 : 8;
		struct pcapng_iface *p = realloc(r->ifaces, cap * sizeof *p);
		if (!p)
			return fail(r, r->off, "out of memory for interface %u", r->n_ifaces);
		r->ifaces = p;
		r->cap_ifaces = cap;
	}
	r->ifaces[r->n_ifaces] = ifc;
	rec->kind = PCAPNG_REC_IFACE;
	rec->if_id = r->n_ifaces;
	rec->iface = &r->ifaces[r->n_ifaces];
	r->n_ifaces++;
	return 1;
}

static const uint64_t pow10_tab[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

void pcapng_ts_convert(uint64_t units, uint8_t tsresol, int64_t tsoffset, int64_t *sec,
		       uint32_t *nsec)
{
	unsigned n = tsresol & 0x7f;
	uint64_t s, ns;
	if (tsresol & 0x80) { /* 2^-n */
		uint64_t rem;
		if (n < 64) {
			s = units >> n;
			rem = n ? units & ((1ull << n) - 1) : 0;
		} else {
			s = 0;
			rem = units;
		}
		unsigned m = n;
		if (m > 34) { /* keep rem * 10^9 below 2^64 */
			rem = m - 34 >= 64 ? 0 : rem >> (m - 34);
			m = 34;
		}
		ns = (rem * 1000000000ull) >> m;
	} else if (n <= 19) { /* 10^-n */
		s = units / pow10_tab[n];
		uint64_t rem = units % pow10_tab[n];
		ns = n <= 9 ? rem * pow10_tab[9 - n] : rem / pow10_tab[n - 9];
	} else { /* below one second: 10^20 > 2^64 */
		s = 0;
		ns = n - 9 <= 19 ? units / pow10_tab[n - 9] : 0;
	}
	int64_t si = s > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)s;
	if (tsoffset > 0 && si > INT64_MAX - tsoffset)
		si = INT64_MAX;
	else if (tsoffset < 0 && si < INT64_MIN - tsoffset)
		si = INT64_MIN;
	else
		si += tsoffset;
	*sec = si;
	*nsec = (uint32_t)ns;
}

static int64_t to_usec(int64_t sec, uint32_t nsec)
{
	if (sec >= INT64_MAX / 1000000)
		return INT64_MAX;
	if (sec <= INT64_MIN / 1000000)
		return INT64_MIN;
	return sec * 1000000 + nsec / 1000;
}

static void set_ts(struct pcapng_rec *rec, const struct pcapng_iface *ifc, uint32_t hi, uint32_t lo)
{
	rec->has_ts = 1;
	pcapng_ts_convert((uint64_t)hi << 32 | lo, ifc->tsresol, ifc->tsoffset, &rec->ts_sec,
			  &rec->ts_nsec);
	rec->ts_usec = to_usec(rec->ts_sec, rec->ts_nsec);
}

/* EPB (epb true) or obsolete PB: the fixed part, data and options. */
static int read_epb(struct pcapng_reader *r, struct rd *body, struct pcapng_rec *rec, bool epb)
{
	uint32_t if_id, hi, lo, cap_len, wire_len;
	bool ok;
	if (epb) {
		ok = get32(body, r->be, &if_id);
	} else {
		uint16_t id16, drops;
		ok = get16(body, r->be, &id16) && get16(body, r->be, &drops);
		if_id = id16;
	}
	if (!ok || !get32(body, r->be, &hi) || !get32(body, r->be, &lo) ||
	    !get32(body, r->be, &cap_len) || !get32(body, r->be, &wire_len))
		return fail(r, r->off, "packet block body of %zu bytes is below 20", body->len);
	if (if_id >= r->n_ifaces)
		return fail(r, r->off, "packet on interface %" PRIu32 " of %" PRIu32 " described",
			    if_id, r->n_ifaces);
	if (rd_left(body) < (uint64_t)cap_len + pad4(cap_len))
		return fail(r, r->off, "captured length %" PRIu32 " runs past the block (%zu bytes left)",
			    cap_len, rd_left(body));
	rec->data = rd_ptr(body);
	(void)rd_skip(body, (size_t)cap_len + (size_t)pad4(cap_len));
	if (opts_walk(r, r->off, body, rec) < 0)
		return -1;
	rec->kind = PCAPNG_REC_PACKET;
	rec->if_id = if_id;
	rec->iface = &r->ifaces[if_id];
	rec->cap_len = cap_len;
	rec->wire_len = wire_len;
	set_ts(rec, rec->iface, hi, lo);
	return 1;
}

static int read_spb(struct pcapng_reader *r, struct rd *body, struct pcapng_rec *rec)
{
	uint32_t wire_len;
	if (!get32(body, r->be, &wire_len))
		return fail(r, r->off, "simple packet body of %zu bytes is below 4", body->len);
	if (r->n_ifaces == 0)
		return fail(r, r->off, "simple packet with no interface described");
	const struct pcapng_iface *ifc = &r->ifaces[0];
	uint64_t cap = wire_len;
	if (ifc->snaplen && cap > ifc->snaplen)
		cap = ifc->snaplen;
	if (cap > rd_left(body))
		cap = rd_left(body);
	rec->kind = PCAPNG_REC_PACKET;
	rec->if_id = 0;
	rec->iface = ifc;
	rec->data = rd_ptr(body);
	rec->cap_len = (uint32_t)cap;
	rec->wire_len = wire_len;
	rec->has_ts = 0;
	return 1;
}

static int read_dsb(struct pcapng_reader *r, struct rd *body, struct pcapng_rec *rec)
{
	uint32_t type, len;
	if (!get32(body, r->be, &type) || !get32(body, r->be, &len))
		return fail(r, r->off, "secrets block body of %zu bytes is below 8", body->len);
	if (len > PCAPNG_SECRETS_MAX)
		return fail(r, r->off, "secrets length %" PRIu32 " exceeds the %u-byte cap", len,
			    PCAPNG_SECRETS_MAX);
	if (rd_left(body) < (uint64_t)len + pad4(len))
		return fail(r, r->off, "secrets length %" PRIu32 " runs past the block (%zu bytes left)",
			    len, rd_left(body));
	rec->secrets.p = rd_ptr(body);
	rec->secrets.len = len;
	(void)rd_skip(body, (size_t)len + (size_t)pad4(len));
	if (opts_walk(r, r->off, body, NULL) < 0)
		return -1;
	rec->kind = PCAPNG_REC_SECRETS;
	rec->secrets_type = type;
	return 1;
}

int pcapng_next(struct pcapng_reader *r, struct pcapng_rec *rec)
{
	if (r->failed)
		return -1;
	/* each turn consumes a block of at least 12 bytes: bounded by the input */
	for (;;) {
		const uint8_t *blk = NULL;
		uint32_t len = 0;
		int rc = next_block(r, &blk, &len);
		if (rc <= 0)
			return rc;
		memset(rec, 0, sizeof *rec);
		struct rd h = rd_make(blk, 4);
		uint32_t type;
		(void)get32(&h, r->be, &type);
		struct rd body = rd_make(blk + 8, len - 12);
		rec->offset = r->off;
		rec->block_type = type;
		r->st.n_blocks++;
		switch (type) {
		case PCAPNG_BT_SHB:
			rc = read_shb(r, &body);
			break;
		case PCAPNG_BT_IDB:
			rc = read_idb(r, &body, rec);
			break;
		case PCAPNG_BT_EPB:
			rc = read_epb(r, &body, rec, true);
			break;
		case PCAPNG_BT_PB:
			rc = read_epb(r, &body, rec, false);
			break;
		case PCAPNG_BT_SPB:
			rc = read_spb(r, &body, rec);
			break;
		case PCAPNG_BT_DSB:
			rc = read_dsb(r, &body, rec);
			break;
		default:
			r->st.n_skipped++;
			rc = 0;
			break;
		}
		if (rc < 0)
			return -1;
		rec->section = r->section;
		r->off += len;
		if (rc == 1) {
			if (rec->kind == PCAPNG_REC_PACKET)
				r->st.n_packets++;
			else if (rec->kind == PCAPNG_REC_SECRETS)
				r->st.n_secrets++;
			return 1;
		}
	}
}
