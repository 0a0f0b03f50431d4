/* keylog.h - the NSS key log (SSLKEYLOGFILE): parsed, kept by client random, re-read as it grows. */
#ifndef FT_KEYLOG_H
#define FT_KEYLOG_H

#include <stddef.h>
#include <stdint.h>

/*
 * The NSS key log format, one secret a line (what Chromium, Firefox, curl,
 * OpenSSL, Go, ... write when SSLKEYLOGFILE is set):
 *
 *   LABEL <64 hex digits: the ClientHello random> <hex: the secret>
 *
 * '#' starts a comment line; blank lines are skipped.  A line that does not
 * parse is skipped and counted (n_malformed), never fatal; a label this
 * does not use (RSA, ECH_*) is skipped and counted (n_unknown).  QUIC stacks
 * write the TLS 1.3 labels unchanged (RFC 9001 keeps the key schedule); the
 * QUIC_-prefixed labels of early ngtcp2/quicly drafts are read as aliases.
 *
 * The table is keyed by the 32-byte client random, bounded (max_randoms),
 * allocated a block at a time as it fills and never moved; secrets are
 * wiped with OPENSSL_cleanse when freed, and this module never prints them.
 * The handle is not thread-safe.
 */

#define KEYLOG_RANDOM_LEN 32
#define KEYLOG_SECRET_MAX 48       /* SHA-384 traffic secrets; the TLS 1.2 master secret */
#define KEYLOG_LINE_MAX 512        /* longer lines are malformed */
#define KEYLOG_ERRBUF_SIZE 256

enum keylog_label {
	KEYLOG_CLIENT_RANDOM = 0,                 /* TLS 1.2 and earlier: the 48-byte master secret */
	KEYLOG_CLIENT_EARLY_TRAFFIC_SECRET,       /* TLS 1.3 (RFC 8446 7.1) */
	KEYLOG_CLIENT_HANDSHAKE_TRAFFIC_SECRET,
	KEYLOG_SERVER_HANDSHAKE_TRAFFIC_SECRET,
	KEYLOG_CLIENT_TRAFFIC_SECRET_0,
	KEYLOG_SERVER_TRAFFIC_SECRET_0,
	KEYLOG_EARLY_EXPORTER_SECRET,
	KEYLOG_EXPORTER_SECRET,
	KEYLOG_N_LABELS
};

struct keylog_stats {
	uint64_t n_lines;      /* lines parsed, comments and blanks included */
	uint64_t n_secrets;    /* (random, label) secrets stored (a repeated line stores once) */
	uint64_t n_malformed;  /* lines skipped: bad syntax, hex or length */
	uint64_t n_unknown;    /* lines skipped: a well-formed line with a label not used here */
	uint64_t n_dropped;    /* secrets of a new client random refused: the table was full */
	uint32_t n_randoms;    /* client randoms in the table */
	uint32_t n_reads;      /* refreshes that read the file */
	uint32_t n_throttled;  /* refreshes refused by the rate limit */
	uint32_t n_restarts;   /* the file shrank or was replaced: read again from its start */
	uint64_t bytes_read;   /* file bytes read, over all refreshes */
};

struct keylog;

/*
 * A new, empty key log.  max_randoms bounds the client randoms kept (0: a
 * default of 65536); min_interval_ms is the rate limit of keylog_refresh
 * (in whatever clock the caller passes it: packet time or wall time).
 * NULL (and errbuf filled) when out of memory.
 */
struct keylog *keylog_new(uint32_t max_randoms, uint32_t min_interval_ms, char *errbuf);

/*
 * Attach the file at path and read what it holds now (not rate limited).
 * 0 read; 1 (a warning, errbuf says so) the file does not exist yet: later
 * refreshes look again, as when a browser creates it after we start;
 * -1 an error (errbuf): it cannot be read (permission, a directory, I/O).
 * A key log has one file; a second call replaces the path.
 */
int keylog_open(struct keylog *kl, const char *path, char *errbuf);

/*
 * Read what was appended to the file since the last read: complete lines
 * are parsed, a partial last line waits for its newline.  When the file
 * was replaced (another inode), truncated (shorter than what was read) or
 * rewritten in place (the last 32 bytes read are no longer there), it is
 * read again from the start (n_restarts); secrets already learnt stay.  At most one read per min_interval_ms of now_ms: a refresh sooner
 * than that returns 0 without touching the file (a clock that goes back
 * counts as elapsed).  At most 8 MiB per call; the rest waits for the next.
 * Returns the number of new secrets, or -1 on a read error (keylog_error);
 * no file attached: 0.
 */
int keylog_refresh(struct keylog *kl, uint64_t now_ms);

/*
 * Parse text given from memory (a test, a pcapng Decryption Secrets Block):
 * complete lines, the last one may lack its newline.  Independent of the
 * file's partial line.  Returns the number of new secrets.
 */
int keylog_add_text(struct keylog *kl, const uint8_t *text, size_t len);

/*
 * Keep a copy of every line stored from now on (its label used here, its
 * secret well-formed; no comments, blanks or unknown labels), for
 * keylog_take_text: the text of a pcapng Decryption Secrets Block.  Call
 * before keylog_open.  At most 16 MiB wait between two takes.
 */
void keylog_keep_text(struct keylog *kl);

/*
 * The lines stored since the last call (each with its newline), or 0 when
 * none: *text stays valid until the next keylog call that reads or adds
 * lines, and is wiped then.
 */
size_t keylog_take_text(struct keylog *kl, const uint8_t **text);

/*
 * Copy the secret for (client_random, label) into out (cap bytes) and
 * return its length; 0 when there is none (or cap is too small).
 * Never reads the file: on a miss the caller calls keylog_refresh.
 */
size_t keylog_find(const struct keylog *kl, const uint8_t random[KEYLOG_RANDOM_LEN],
		   enum keylog_label label, uint8_t *out, size_t cap);

void keylog_get_stats(const struct keylog *kl, struct keylog_stats *st);

/* The last read error, "" when none. */
const char *keylog_error(const struct keylog *kl);

/* "CLIENT_HANDSHAKE_TRAFFIC_SECRET" ...; NULL when out of range. */
const char *keylog_label_name(enum keylog_label label);

/* Wipe every secret and free.  NULL is fine. */
void keylog_free(struct keylog *kl);

#endif
