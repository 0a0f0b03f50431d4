/* pcapng.h - the project's own pcapng writer (comments, secrets) and bounded block reader. */
#ifndef FT_PCAPNG_H
#define FT_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Why our own: libpcap 1.10 writes no pcapng comments or secrets, skips
 * Decryption Secrets Blocks when reading, and refuses a file whose
 * interfaces differ in link type or snapshot length.  Block layout:
 * draft-ietf-opsawg-pcapng (the IETF pcapng draft).
 */

#define PCAPNG_ERRBUF_SIZE 256

/* Block types. */
#define PCAPNG_BT_SHB 0x0A0D0D0Au /* Section Header */
#define PCAPNG_BT_IDB 0x00000001u /* Interface Description */
#define PCAPNG_BT_PB  0x00000002u /* Packet (obsolete) */
#define PCAPNG_BT_SPB 0x00000003u /* Simple Packet */
#define PCAPNG_BT_EPB 0x00000006u /* Enhanced Packet */
#define PCAPNG_BT_DSB 0x0000000Au /* Decryption Secrets */

/* Decryption Secrets Block secrets types. */
#define PCAPNG_SECRETS_TLS_KEYLOG 0x544c534bu /* "TLSK": NSS key log text */

/* Limits of the reader: a bigger block, secret or interface count is an error. */
#define PCAPNG_BLOCK_MAX   ((16u << 20) + 65536u) /* total length of any block */
#define PCAPNG_SECRETS_MAX (16u << 20)            /* bytes of one DSB's secrets */
#define PCAPNG_IFACES_MAX  4096u                  /* interfaces per section */
#define PCAPNG_COMMENTS_MAX 4u                    /* opt_comment slices per packet kept */
#define PCAPNG_IFNAME_MAX  128u                   /* bytes of if_name kept (truncated) */

/* ---------------------------------------------------------------- writer */

/*
 * Writes in the host's byte order through a FILE * the caller opened and
 * closes (after pcapng_writer_close).  Every write is checked; the first
 * I/O error is sticky: later calls do nothing and return -1, and
 * pcapng_writer_flush/close return -1 with errno set to the first error.
 * A bad argument returns -1 with errno EINVAL, writes nothing and is not
 * sticky.  No allocation after pcapng_writer_open.
 */
struct pcapng_writer;

/* Writes the Section Header Block: shb_userappl = userappl (e.g.
 * "fetchtrace 0.1.0"), shb_os = os (NULL or "" = none).  NULL with errbuf
 * filled on an allocation or write error. */
struct pcapng_writer *pcapng_writer_open(FILE *f, const char *userappl, const char *os,
					 char *errbuf);

/* An Interface Description Block.  tsresol is 6 (microseconds) or 9
 * (nanoseconds); if_name may be NULL.  Returns the interface id (0, 1, ...)
 * the packets name, or -1. */
int pcapng_write_idb(struct pcapng_writer *w, uint16_t linktype, uint32_t snaplen,
		     const char *if_name, unsigned tsresol);

/* An Enhanced Packet Block on interface if_id: time stamp ts_sec seconds
 * plus ts_frac in the interface's units (microseconds for tsresol 6,
 * nanoseconds for 9; a fraction of 10^tsresol or more carries into the
 * seconds, as pcapng stores one 64-bit count; a sum beyond 64 bits is
 * EINVAL), cap_len bytes of data
 * (cap_len <= wire_len, and <= the snap length when that is not 0), and
 * an opt_comment of comment_len bytes (UTF-8, already escaped by the
 * caller; none when comment_len is 0). */
int pcapng_write_epb(struct pcapng_writer *w, uint32_t if_id, uint64_t ts_sec, uint32_t ts_frac,
		     const uint8_t *data, uint32_t cap_len, uint32_t wire_len, const char *comment,
		     size_t comment_len);

/* A Decryption Secrets Block (secrets_type e.g. PCAPNG_SECRETS_TLS_KEYLOG
 * with the key-log text).  Write it before the packets it unlocks. */
int pcapng_write_dsb(struct pcapng_writer *w, uint32_t secrets_type, const uint8_t *data,
		     size_t len);

/* fflush: 0, or -1 with errno (also for an earlier sticky error). */
int pcapng_writer_flush(struct pcapng_writer *w);

/* Flush and free the writer (not the FILE).  0, or -1 with errno. */
int pcapng_writer_close(struct pcapng_writer *w);

/* ---------------------------------------------------------------- reader */

/* One interface of the current section. */
struct pcapng_iface {
	uint16_t linktype;                /* LINKTYPE_* */
	uint32_t snaplen;                 /* 0 = unlimited */
	uint8_t tsresol;                  /* raw if_tsresol: bit 7 clear 10^-n, set 2^-n */
	int64_t tsoffset;                 /* if_tsoffset, seconds */
	char name[PCAPNG_IFNAME_MAX];     /* if_name, raw bytes NUL-terminated, may be truncated: escape to print */
	size_t name_len;                  /* bytes in name (0 = none) */
};

enum pcapng_rec_kind {
	PCAPNG_REC_PACKET = 1,  /* an EPB, SPB or PB */
	PCAPNG_REC_SECRETS,     /* a DSB */
	PCAPNG_REC_IFACE,       /* an IDB: a new interface of the current section */
};

struct pcapng_bytes {
	const uint8_t *p; /* into the reader's buffer; valid until the next pcapng_next */
	size_t len;
};

/* One record.  Every pointer is valid until the next pcapng_next/close. */
struct pcapng_rec {
	enum pcapng_rec_kind kind;
	uint64_t offset;                   /* file offset of the block */
	uint32_t block_type;
	unsigned section;                  /* 0, 1, ... (one per Section Header) */
	/* PCAPNG_REC_PACKET and PCAPNG_REC_IFACE */
	uint32_t if_id;                    /* interface of the packet (or the new interface) */
	const struct pcapng_iface *iface;  /* its description */
	/* PCAPNG_REC_PACKET */
	int has_ts;                        /* 0 for an SPB (it has none: ts fields 0) */
	int64_t ts_sec;                    /* seconds since 1970 (saturated) */
	uint32_t ts_nsec;                  /* 0..999999999 (finer units truncated) */
	int64_t ts_usec;                   /* the same in microseconds (saturated) */
	uint32_t cap_len;                  /* captured bytes at data */
	uint32_t wire_len;                 /* original length */
	const uint8_t *data;
	unsigned n_comments;               /* opt_comment slices kept (<= PCAPNG_COMMENTS_MAX) */
	unsigned n_comments_more;          /* more opt_comments not kept */
	struct pcapng_bytes comment[PCAPNG_COMMENTS_MAX]; /* raw UTF-8 as written: escape to print */
	/* PCAPNG_REC_SECRETS */
	uint32_t secrets_type;
	struct pcapng_bytes secrets;
};

struct pcapng_stats {
	uint64_t n_blocks;    /* blocks read */
	uint64_t n_packets;   /* PCAPNG_REC_PACKET records */
	uint64_t n_secrets;   /* DSBs */
	uint64_t n_skipped;   /* blocks of other or unknown types skipped */
	unsigned n_sections;  /* Section Headers */
};

struct pcapng_reader;

/* Read from memory (buf stays the caller's; it must outlive the reader)
 * or from a FILE * (the caller closes it after pcapng_close; the reader
 * reads one block at a time into a buffer that grows to the largest
 * block).  NULL with a one-line message in errbuf (PCAPNG_ERRBUF_SIZE). */
struct pcapng_reader *pcapng_open_mem(const uint8_t *buf, size_t len, char *errbuf);
struct pcapng_reader *pcapng_open_file(FILE *f, char *errbuf);

/*
 * The next packet, secrets or interface record: 1, 0 at a clean end (the
 * data ends on a block boundary), -1 on an error (pcapng_geterr: one line
 * naming the cause and the block's offset).  An error is sticky.  Blocks of
 * other types are skipped and counted.
 */
int pcapng_next(struct pcapng_reader *r, struct pcapng_rec *rec);

/* Interface if_id of the current section, NULL when there is none. */
const struct pcapng_iface *pcapng_iface(const struct pcapng_reader *r, uint32_t if_id);
/* Interfaces of the current section. */
uint32_t pcapng_n_ifaces(const struct pcapng_reader *r);

void pcapng_get_stats(const struct pcapng_reader *r, struct pcapng_stats *st);
const char *pcapng_geterr(const struct pcapng_reader *r);
void pcapng_close(struct pcapng_reader *r);

/* Convert a time stamp of `units` in resolution tsresol (raw if_tsresol
 * byte) plus tsoffset seconds to seconds and nanoseconds, saturating. */
void pcapng_ts_convert(uint64_t units, uint8_t tsresol, int64_t tsoffset, int64_t *sec,
		       uint32_t *nsec);

#endif
