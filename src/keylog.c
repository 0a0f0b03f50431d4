/* keylog.c - NSS key log parsing, the table of secrets by client random, incremental re-reading. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "hex.h"
#include "keylog.h"

#define KL_DEFAULT_MAX 65536u
#define KL_HARD_MAX (1u << 22)       /* 4 Mi randoms: beyond any browser session */
#define KL_BLOCK 256u                /* entries per allocation */
#define KL_READ_CHUNK 65536u
#define KL_READ_MAX (8u << 20)       /* bytes read by one refresh */
#define KL_NONE UINT32_MAX

/* One client random and the secrets the log gave for it. */
struct kl_entry {
	uint8_t random[KEYLOG_RANDOM_LEN];
	uint32_t next;                                      /* hash chain: next entry index */
	uint8_t len[KEYLOG_N_LABELS];                       /* secret length, 0: none yet */
	uint8_t secret[KEYLOG_N_LABELS][KEYLOG_SECRET_MAX];
};

struct keylog {
	uint32_t max_randoms;          /* cap on entries */
	uint32_t n_entries;            /* entries used */
	uint32_t n_blocks;             /* blocks allocated */
	struct kl_entry **blocks;      /* max_randoms / KL_BLOCK block pointers (rounded up) */
	uint32_t *buckets;             /* hash heads, n_buckets (a power of two) */
	uint32_t n_buckets;
	uint64_t hash_key;             /* per-run random key of the bucket hash */

	char *path;                    /* the file, NULL when none attached */
	bool have_file_id;             /* dev/ino below describe what was read */
	dev_t dev;
	ino_t ino;
	uint64_t off;                  /* file bytes consumed */
	uint8_t tail[32];              /* the last bytes read, ending at off: still there next
	                                  time, or the file was rewritten in place */
	size_t tail_len;
	uint32_t min_interval_ms;      /* rate limit of keylog_refresh */
	bool refreshed;                /* last_ms is valid */
	uint64_t last_ms;              /* time of the last read */
	char line[KEYLOG_LINE_MAX];    /* the file's partial last line */
	size_t line_len;
	bool line_long;                /* the partial line overflowed: malformed, skip to newline */
	uint8_t *chunk;                /* read buffer, KL_READ_CHUNK bytes */

	struct keylog_stats st;
	char err[KEYLOG_ERRBUF_SIZE];

	bool keep_text;                /* keylog_keep_text: stored lines go to text */
	bool text_taken;               /* keylog_take_text handed text out: start again */
	uint8_t *text;                 /* lines stored since the last keylog_take_text */
	size_t text_len, text_cap;
};

#define KL_TEXT_MAX (16u << 20) /* bytes of text kept between two keylog_take_text */

/* One stored line (n bytes, no newline) into the kept text, bounded. */
static void text_add(struct keylog *kl, const unsigned char *s, size_t n)
{
	if (!kl->keep_text)
		return;
	if (kl->text_taken) {
		if (kl->text)
			OPENSSL_cleanse(kl->text, kl->text_len);
		kl->text_len = 0;
		kl->text_taken = false;
	}
	if (n + 1 > KL_TEXT_MAX - kl->text_len)
		return; /* the secret still decrypts here; the copy is given up */
	if (kl->text_len + n + 1 > kl->text_cap) {
		size_t ncap = kl->text_cap ? kl->text_cap : 4096;
		while (ncap < kl->text_len + n + 1)
			ncap *= 2;
		if (ncap > KL_TEXT_MAX)
			ncap = KL_TEXT_MAX;
		uint8_t *nt = malloc(ncap); /* not realloc: the old copy is wiped */
		if (!nt)
			return;
		if (kl->text) {
			memcpy(nt, kl->text, kl->text_len);
			OPENSSL_cleanse(kl->text, kl->text_cap);
			free(kl->text);
		}
		kl->text = nt;
		kl->text_cap = ncap;
	}
	memcpy(kl->text + kl->text_len, s, n);
	kl->text[kl->text_len + n] = '\n';
	kl->text_len += n + 1;
}

void keylog_keep_text(struct keylog *kl)
{
	if (kl)
		kl->keep_text = true;
}

size_t keylog_take_text(struct keylog *kl, const uint8_t **text)
{
	*text = NULL;
	if (!kl || kl->text_taken || !kl->text_len)
		return 0;
	kl->text_taken = true;
	*text = kl->text;
	return kl->text_len;
}

/* Label names, and the secret lengths each may have (RFC 8446 7.1: Hash.length). */
static const struct {
	const char *name;
	enum keylog_label label;
} label_tab[] = {
	{ "CLIENT_RANDOM", KEYLOG_CLIENT_RANDOM },
	{ "CLIENT_EARLY_TRAFFIC_SECRET", KEYLOG_CLIENT_EARLY_TRAFFIC_SECRET },
	{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", KEYLOG_CLIENT_HANDSHAKE_TRAFFIC_SECRET },
	{ "SERVER_HANDSHAKE_TRAFFIC_SECRET", KEYLOG_SERVER_HANDSHAKE_TRAFFIC_SECRET },
	{ "CLIENT_TRAFFIC_SECRET_0", KEYLOG_CLIENT_TRAFFIC_SECRET_0 },
	{ "SERVER_TRAFFIC_SECRET_0", KEYLOG_SERVER_TRAFFIC_SECRET_0 },
	{ "EARLY_EXPORTER_SECRET", KEYLOG_EARLY_EXPORTER_SECRET },
	{ "EXPORTER_SECRET", KEYLOG_EXPORTER_SECRET },
	/* draft-era QUIC stacks */
	{ "QUIC_CLIENT_EARLY_TRAFFIC_SECRET", KEYLOG_CLIENT_EARLY_TRAFFIC_SECRET },
	{ "QUIC_CLIENT_HANDSHAKE_TRAFFIC_SECRET", KEYLOG_CLIENT_HANDSHAKE_TRAFFIC_SECRET },
	{ "QUIC_SERVER_HANDSHAKE_TRAFFIC_SECRET", KEYLOG_SERVER_HANDSHAKE_TRAFFIC_SECRET },
	{ "QUIC_CLIENT_TRAFFIC_SECRET_0", KEYLOG_CLIENT_TRAFFIC_SECRET_0 },
	{ "QUIC_SERVER_TRAFFIC_SECRET_0", KEYLOG_SERVER_TRAFFIC_SECRET_0 },
};

const char *keylog_label_name(enum keylog_label label)
{
	if ((unsigned)label >= KEYLOG_N_LABELS)
		return NULL;
	return label_tab[label].name;   /* the first KEYLOG_N_LABELS rows are in enum order */
}

/* ------------------------------------------------------------------ */
/* The table                                                           */
/* ------------------------------------------------------------------ */

static struct kl_entry *entry_at(const struct keylog *kl, uint32_t i)
{
	return &kl->blocks[i / KL_BLOCK][i % KL_BLOCK];
}

/* The random's first 16 bytes, keyed and mixed (splitmix64 finaliser).  The
 * key is random per run, so a crafted log cannot aim at one bucket. */
static uint32_t random_hash(const struct keylog *kl, const uint8_t *r)
{
	uint64_t w0, w1, h;

	memcpy(&w0, r, 8);
	memcpy(&w1, r + 8, 8);
	h = (w0 ^ kl->hash_key) + (w1 * 0x9e3779b97f4a7c15ull);
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return (uint32_t)(h ^ (h >> 32)) & (kl->n_buckets - 1);
}

static struct kl_entry *table_find(const struct keylog *kl, const uint8_t *r)
{
	uint32_t i = kl->buckets[random_hash(kl, r)];
	uint32_t steps = 0;

	/* A chain holds distinct entries, at most n_entries of them. */
	while (i != KL_NONE && steps++ <= kl->n_entries) {
		struct kl_entry *e = entry_at(kl, i);

		if (memcmp(e->random, r, KEYLOG_RANDOM_LEN) == 0)
			return e;
		i = e->next;
	}
	return NULL;
}

/* The entry for r, made when missing; NULL when the table is full or out of memory. */
static struct kl_entry *table_get(struct keylog *kl, const uint8_t *r)
{
	struct kl_entry *e = table_find(kl, r);
	uint32_t i, b;

	if (e)
		return e;
	if (kl->n_entries >= kl->max_randoms)
		return NULL;
	i = kl->n_entries;
	if (i / KL_BLOCK >= kl->n_blocks) {
		struct kl_entry *blk = calloc(KL_BLOCK, sizeof *blk);

		if (!blk)
			return NULL;
		kl->blocks[kl->n_blocks++] = blk;
	}
	e = entry_at(kl, i);
	memcpy(e->random, r, KEYLOG_RANDOM_LEN);
	b = random_hash(kl, r);
	e->next = kl->buckets[b];
	kl->buckets[b] = i;
	kl->n_entries++;
	kl->st.n_randoms = kl->n_entries;
	return e;
}

size_t keylog_find(const struct keylog *kl, const uint8_t random[KEYLOG_RANDOM_LEN],
		   enum keylog_label label, uint8_t *out, size_t cap)
{
	const struct kl_entry *e;

	if (!kl || (unsigned)label >= KEYLOG_N_LABELS)
		return 0;
	e = table_find(kl, random);
	if (!e || e->len[label] == 0 || e->len[label] > cap)
		return 0;
	memcpy(out, e->secret[label], e->len[label]);
	return e->len[label];
}

/* ------------------------------------------------------------------ */
/* Lines                                                               */
/* ------------------------------------------------------------------ */

/* n hex digits at s into n/2 bytes; false on a non-hex digit. */
static bool unhex(const unsigned char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool is_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Next field of the line: [*pos, end) skipping blanks; its start and length. */
static bool next_field(const unsigned char *s, size_t n, size_t *pos, size_t *start, size_t *len)
{
	size_t i = *pos;

	while (i < n && is_blank(s[i]))
		i++;
	if (i == n)
		return false;
	*start = i;
	while (i < n && !is_blank(s[i]))
		i++;
	*len = i - *start;
	*pos = i;
	return true;
}

/* Is a secret of n bytes right for this label? */
static bool secret_len_ok(enum keylog_label label, size_t n)
{
	if (label == KEYLOG_CLIENT_RANDOM)
		return n == 48;                 /* RFC 5246 8.1: master_secret[48] */
	return n == 32 || n == 48;          /* SHA-256 or SHA-384 suites */
}

/* One line, without its newline.  Returns 1 when a new secret was stored. */
static int parse_line(struct keylog *kl, const unsigned char *s, size_t n)
{
	size_t pos = 0, f0, l0, f1, l1, f2, l2, dummy0, dummy1;
	uint8_t random[KEYLOG_RANDOM_LEN], secret[KEYLOG_SECRET_MAX];
	int label = -1, added = 0;
	struct kl_entry *e;

	kl->st.n_lines++;
	if (!next_field(s, n, &pos, &f0, &l0))
		return 0;                       /* blank */
	if (s[f0] == '#')
		return 0;                       /* comment */
	if (!next_field(s, n, &pos, &f1, &l1) || !next_field(s, n, &pos, &f2, &l2) ||
	    next_field(s, n, &pos, &dummy0, &dummy1)) {
		kl->st.n_malformed++;
		return 0;
	}
	for (size_t i = 0; i < sizeof label_tab / sizeof label_tab[0]; i++)
		if (strlen(label_tab[i].name) == l0 && memcmp(label_tab[i].name, s + f0, l0) == 0)
			label = (int)label_tab[i].label;
	if (l1 != 2 * KEYLOG_RANDOM_LEN || !unhex(s + f1, l1, random) || l2 % 2 != 0 ||
	    l2 / 2 > KEYLOG_SECRET_MAX || !unhex(s + f2, l2, secret)) {
		kl->st.n_malformed++;
		goto out;
	}
	if (label < 0) {
		kl->st.n_unknown++;
		goto out;
	}
	if (!secret_len_ok((enum keylog_label)label, l2 / 2)) {
		kl->st.n_malformed++;
		goto out;
	}
	e = table_get(kl, random);
	if (!e) {
		kl->st.n_dropped++;
		goto out;
	}
	if (e->len[label] == 0) {
		kl->st.n_secrets++;
		added = 1;
	}
	/* kept text: a secret not known as it is (a repeated line is there already) */
	if (e->len[label] != l2 / 2 || CRYPTO_memcmp(e->secret[label], secret, l2 / 2) != 0)
		text_add(kl, s, n);
	/* A later line for the same (random, label) wins: the newest log is right. */
	OPENSSL_cleanse(e->secret[label], KEYLOG_SECRET_MAX);
	memcpy(e->secret[label], secret, l2 / 2);
	e->len[label] = (uint8_t)(l2 / 2);
out:
	OPENSSL_cleanse(secret, sizeof secret);
	return added;
}

int keylog_add_text(struct keylog *kl, const uint8_t *text, size_t len)
{
	size_t start = 0;
	int added = 0;

	if (!kl)
		return 0;
	/* Each turn consumes one line (at least its newline, or the rest). */
	while (start < len) {
		const uint8_t *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;

		if (end - start > KEYLOG_LINE_MAX) {
			kl->st.n_lines++;
			kl->st.n_malformed++;
		} else {
			added += parse_line(kl, text + start, end - start);
		}
		start = nl ? end + 1 : len;
	}
	return added;
}

/* File bytes: complete lines parsed, the last partial line kept in kl->line. */
static int feed_file_bytes(struct keylog *kl, const uint8_t *p, size_t n)
{
	size_t i = 0;
	int added = 0;

	while (i < n) {
		const uint8_t *nl = memchr(p + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - p) : n;
		size_t take = end - i;

		if (!kl->line_long) {
			if (take > KEYLOG_LINE_MAX - kl->line_len) {
				kl->line_long = true;
				OPENSSL_cleanse(kl->line, sizeof kl->line);
				kl->line_len = 0;
			} else {
				memcpy(kl->line + kl->line_len, p + i, take);
				kl->line_len += take;
			}
		}
		if (!nl)
			break;
		if (kl->line_long) {
			kl->st.n_lines++;
			kl->st.n_malformed++;
		} else {
			added += parse_line(kl, (const unsigned char *)kl->line, kl->line_len);
		}
		OPENSSL_cleanse(kl->line, kl->line_len);
		kl->line_len = 0;
		kl->line_long = false;
		i = end + 1;
	}
	return added;
}

/* ------------------------------------------------------------------ */
/* The file                                                            */
/* ------------------------------------------------------------------ */

static void restart(struct keylog *kl)
{
	kl->off = 0;
	OPENSSL_cleanse(kl->tail, sizeof kl->tail);
	kl->tail_len = 0;
	OPENSSL_cleanse(kl->line, sizeof kl->line);
	kl->line_len = 0;
	kl->line_long = false;
}

/* Are the bytes before off what we read there last time?  A file truncated
 * and rewritten in place past its old size keeps its inode and does not
 * shrink as we see it; its bytes there change (other randoms and secrets). */
static bool tail_same(struct keylog *kl, int fd)
{
	uint8_t now[sizeof kl->tail];
	bool same;

	if (kl->tail_len == 0 || kl->off < kl->tail_len)
		return true;
	same = pread(fd, now, kl->tail_len, (off_t)(kl->off - kl->tail_len)) == (ssize_t)kl->tail_len &&
	       memcmp(now, kl->tail, kl->tail_len) == 0;
	OPENSSL_cleanse(now, sizeof now);
	return same;
}

/* Read the new bytes now.  -1 on error (kl->err), else new secrets. */
static int read_file(struct keylog *kl)
{
	struct stat sb;
	uint64_t budget = KL_READ_MAX;
	int fd, added = 0;

	fd = open(kl->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;               /* not there yet (or removed): look again later */
		snprintf(kl->err, sizeof kl->err, "key log %s: %s", kl->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0) {
		snprintf(kl->err, sizeof kl->err, "key log %s: %s", kl->path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISFIFO(sb.st_mode)) {
		snprintf(kl->err, sizeof kl->err, "key log %s: not a regular file", kl->path);
		close(fd);
		return -1;
	}
	kl->st.n_reads++;
	if (S_ISREG(sb.st_mode)) {
		if (kl->have_file_id && (sb.st_dev != kl->dev || sb.st_ino != kl->ino ||
					 (uint64_t)sb.st_size < kl->off || !tail_same(kl, fd))) {
			restart(kl);
			kl->st.n_restarts++;
		}
		kl->have_file_id = true;
		kl->dev = sb.st_dev;
		kl->ino = sb.st_ino;
		if (lseek(fd, (off_t)kl->off, SEEK_SET) < 0) {
			snprintf(kl->err, sizeof kl->err, "key log %s: %s", kl->path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	/* Bounded by budget: each turn reads at least one byte or leaves. */
	while (budget > 0) {
		size_t want = budget < KL_READ_CHUNK ? (size_t)budget : KL_READ_CHUNK;
		ssize_t got = read(fd, kl->chunk, want);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EAGAIN)
			break;
		if (got < 0) {
			snprintf(kl->err, sizeof kl->err, "key log %s: %s", kl->path, strerror(errno));
			added = added > 0 ? added : -1;
			break;
		}
		if (got == 0)
			break;
		kl->off += (uint64_t)got;
		kl->st.bytes_read += (uint64_t)got;
		budget -= (uint64_t)got;
		added += feed_file_bytes(kl, kl->chunk, (size_t)got);
	}
	if (S_ISREG(sb.st_mode) && kl->off > 0) {
		size_t n = kl->off < sizeof kl->tail ? (size_t)kl->off : sizeof kl->tail;

		if (pread(fd, kl->tail, n, (off_t)(kl->off - n)) == (ssize_t)n)
			kl->tail_len = n;
		else
			kl->tail_len = 0;
	}
	OPENSSL_cleanse(kl->chunk, KL_READ_CHUNK);
	close(fd);
	return added;
}

int keylog_refresh(struct keylog *kl, uint64_t now_ms)
{
	if (!kl || !kl->path)
		return 0;
	if (kl->refreshed && now_ms >= kl->last_ms && now_ms - kl->last_ms < kl->min_interval_ms) {
		kl->st.n_throttled++;
		return 0;
	}
	kl->refreshed = true;
	kl->last_ms = now_ms;
	return read_file(kl);
}

int keylog_open(struct keylog *kl, const char *path, char *errbuf)
{
	struct stat sb;
	char *copy;
	int rc;

	if (!kl || !path)
		return -1;
	copy = strdup(path);
	if (!copy) {
		snprintf(errbuf, KEYLOG_ERRBUF_SIZE, "key log: out of memory");
		return -1;
	}
	free(kl->path);
	kl->path = copy;
	kl->have_file_id = false;
	restart(kl);
	if (stat(path, &sb) != 0 && errno == ENOENT) {
		snprintf(errbuf, KEYLOG_ERRBUF_SIZE, "key log %s does not exist yet; read when it appears",
			 path);
		return 1;
	}
	rc = read_file(kl);
	if (rc < 0) {
		snprintf(errbuf, KEYLOG_ERRBUF_SIZE, "%s", kl->err);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

struct keylog *keylog_new(uint32_t max_randoms, uint32_t min_interval_ms, char *errbuf)
{
	struct keylog *kl = calloc(1, sizeof *kl);
	uint32_t nb = 64;

	if (max_randoms == 0)
		max_randoms = KL_DEFAULT_MAX;
	if (max_randoms > KL_HARD_MAX)
		max_randoms = KL_HARD_MAX;
	while (nb < max_randoms / 2 && nb < (1u << 20))
		nb <<= 1;
	if (kl) {
		kl->max_randoms = max_randoms;
		kl->min_interval_ms = min_interval_ms;
		kl->n_buckets = nb;
		kl->blocks = calloc((max_randoms + KL_BLOCK - 1) / KL_BLOCK, sizeof *kl->blocks);
		kl->buckets = malloc(nb * sizeof *kl->buckets);
		kl->chunk = malloc(KL_READ_CHUNK);
	}
	if (!kl || !kl->blocks || !kl->buckets || !kl->chunk) {
		keylog_free(kl);
		if (errbuf)
			snprintf(errbuf, KEYLOG_ERRBUF_SIZE, "key log: out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < nb; i++)
		kl->buckets[i] = KL_NONE;
	if (RAND_bytes((unsigned char *)&kl->hash_key, sizeof kl->hash_key) != 1)
		kl->hash_key = (uint64_t)(uintptr_t)kl ^ 0x5bd1e9955bd1e995ull;
	return kl;
}

void keylog_get_stats(const struct keylog *kl, struct keylog_stats *st)
{
	if (kl)
		*st = kl->st;
	else
		memset(st, 0, sizeof *st);
}

const char *keylog_error(const struct keylog *kl) { return kl ? kl->err : ""; }

void keylog_free(struct keylog *kl)
{
	if (!kl)
		return;
	for (uint32_t b = 0; b < kl->n_blocks; b++) {
		OPENSSL_cleanse(kl->blocks[b], KL_BLOCK * sizeof *kl->blocks[b]);
		free(kl->blocks[b]);
	}
	if (kl->chunk)
		OPENSSL_cleanse(kl->chunk, KL_READ_CHUNK);
	OPENSSL_cleanse(kl->line, sizeof kl->line);
	OPENSSL_cleanse(kl->tail, sizeof kl->tail);
	if (kl->text)
		OPENSSL_cleanse(kl->text, kl->text_cap);
	free(kl->text);
	free(kl->chunk);
	free(kl->blocks);
	free(kl->buckets);
	free(kl->path);
	free(kl);
}
