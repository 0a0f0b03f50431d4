/* frag.h - IPv4 (RFC 791) and IPv6 (RFC 8200 4.5) fragment reassembly in bounded memory. */
#ifndef FT_FRAG_H
#define FT_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define FRAG_MAX_DGRAMS 64         /* datagrams being reassembled at once */
#define FRAG_MAX_FRAGS 128         /* fragments one datagram may have */
#define FRAG_MEM_CAP (1024u * 1024) /* bytes of reassembly buffers, all datagrams together */
#define FRAG_TIMEOUT4_US (30 * 1000000LL) /* IPv4: Linux's ipfrag_time (RFC 791 suggests 15 s) */
#define FRAG_TIMEOUT6_US (60 * 1000000LL) /* IPv6: RFC 8200 4.5 */
#define FRAG_HDR_ROOM 64           /* room kept in front of the data for the rebuilt header */

/* What became of one fragment. */
enum frag_verdict {
	FRAG_HELD = 0, /* kept; its datagram is not complete yet */
	FRAG_DONE,     /* it completed its datagram: dgram/dgram_len below */
	FRAG_DUP,      /* the same offset and length as one held: ignored (Linux, Wireshark) */
	FRAG_DROPPED,  /* not kept: why says why (its datagram, too, when kill is set) */
};

/* The verdict on one fragment and what is known of its datagram. */
struct frag_out {
	enum frag_verdict verdict;
	const char *why;         /* FRAG_DROPPED: static text */
	bool bad;                /* dropped for wrong bytes (overlap, tiny, too long), not a cap */
	uint32_t offset, len;    /* this fragment's data: offset in the datagram and bytes */
	bool more;               /* this fragment's MF / M flag */
	uint32_t id;             /* the datagram's Identification */
	uint32_t n_frags;        /* fragments of the datagram kept so far, this one included */
	uint32_t held;           /* data bytes of the datagram held so far */
	uint32_t total;          /* its data length once the last fragment was seen, else 0 */
	/* The datagram's transport header, when the first fragment was seen: */
	bool l4;                 /* proto/sport/dport valid */
	uint8_t proto;           /* IPPROTO_* of the datagram */
	uint16_t sport, dport;   /* TCP/UDP ports (0 for others) */
	bool dns;                /* UDP port 53 and the DNS header's first 3 bytes held */
	uint16_t dns_id;         /* its id */
	bool dns_qr;             /* its QR bit */
	/* FRAG_DONE: the rebuilt datagram (header + all data), valid until the next frag_add */
	const uint8_t *dgram;
	uint32_t dgram_len;
};

/* Counts for the summary. */
struct frag_stats {
	uint64_t n_frags;        /* fragments seen */
	uint64_t n_reassembled;  /* datagrams completed */
	uint64_t n_dup;          /* exact duplicates ignored */
	uint64_t n_bad;          /* datagrams dropped for their bytes: overlap, tiny first
	                            fragment, longer than 65535, cut by the snap length */
	uint64_t n_timeout;      /* datagrams dropped incomplete by the timeout (capture time) */
	uint64_t n_overflow;     /* datagrams dropped for a cap (slots, fragments, memory) */
	uint64_t n_incomplete;   /* datagrams still incomplete when the capture ended */
	uint64_t peak_bytes;     /* most reassembly buffer bytes allocated at once */
};

struct frag_table;

/* NULL when memory cannot be had (nothing is allocated until a fragment comes). */
struct frag_table *frag_open(void);

/*
 * One fragment: p as pkt_decode left it with p->frag set and the IP layer
 * decoded; ip[0..ip_cap) the captured bytes from the IP header on.  Fills
 * *out.  Time is p->ts_us (capture time; a clock going back counts as
 * standing still).  No allocation unless a datagram needs a larger buffer
 * than any held so far (capped by FRAG_MEM_CAP).
 */
enum frag_verdict frag_add(struct frag_table *ft, const struct pkt *p, const uint8_t *ip,
			   size_t ip_cap, struct frag_out *out);

/* The counts so far; n_incomplete is filled by frag_close's caller via frag_end. */
void frag_stats_get(const struct frag_table *ft, struct frag_stats *st);

/* The end of the capture: datagrams still held are counted incomplete. */
void frag_end(struct frag_table *ft);

void frag_close(struct frag_table *ft);

#endif
