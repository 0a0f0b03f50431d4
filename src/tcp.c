/* tcp.c - TCP header and options (RFC 9293, RFC 7323, RFC 2018). */
#include "pkt.h"
#include "rd.h"

/* Option kinds, RFC 9293 3.2 and the IANA "TCP Option Kind Numbers" registry. */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2       /* RFC 9293 3.2, length 4 */
#define TCPOPT_WS 3        /* RFC 7323 2.2, length 3 */
#define TCPOPT_SACK_OK 4   /* RFC 2018 2, length 2 */
#define TCPOPT_SACK 5      /* RFC 2018 3, length 2 + 8n */
#define TCPOPT_TS 8        /* RFC 7323 3.2, length 10 */

/*
 * Walk the options.  `o` holds the bytes of the option area that were
 * captured; `opt_len` is how long the area is according to the data
 * offset, so o->len < opt_len means the snap length cut it.  Each option
 * after EOL/NOP is
 *
 *   +--------+--------+------------------+
 *   | kind   | length | data (length-2)  |
 *   +--------+--------+------------------+
 *
 * A length below 2 or running past the header cannot be walked over:
 * opt.bad is set and the walk stops, but the segment itself is still
 * decoded (the fixed header and payload boundaries do not depend on it).
 * A known kind with the wrong length is skipped by its length without
 * being recorded.  The walk also stops where the capture ends; the caller
 * reports the header as truncated then.
 */
static void tcp_options(struct rd *o, size_t opt_len, struct tcp_opts *opt)
{
	/* Every pass consumes at least one byte of o, so the loop ends. */
	for (;;) {
		uint8_t kind, len;
		size_t start = o->off;
		struct rd d;

		if (!rd_u8(o, &kind) || kind == TCPOPT_EOL)
			return;
		if (kind == TCPOPT_NOP)
			continue;
		if (!rd_u8(o, &len)) {
			/* Kind in the last byte of the area: no room for a length. */
			if (o->len == opt_len)
				opt->bad = true;
			return;
		}
		/* start < o->len <= opt_len, so opt_len - start does not wrap. */
		if (len < 2 || len > opt_len - start) {
			opt->bad = true;
			return;
		}
		if (!rd_sub(o, (size_t)len - 2, &d))
			return;
		switch (kind) {
		case TCPOPT_MSS:
			if (len == 4 && rd_be16(&d, &opt->mss))
				opt->has_mss = true;
			break;
		case TCPOPT_WS:
			if (len == 3 && rd_u8(&d, &opt->ws))
				opt->has_ws = true;
			break;
		case TCPOPT_SACK_OK:
			if (len == 2)
				opt->sack_ok = true;
			break;
		case TCPOPT_SACK:
			if ((len - 2) % 8 != 0)
				break;
			/* d holds whole 8-byte blocks; record the first PKT_MAX_SACK. */
			while (opt->n_sack < PKT_MAX_SACK && rd_has(&d, 8)) {
				rd_be32(&d, &opt->sack[opt->n_sack][0]);
				rd_be32(&d, &opt->sack[opt->n_sack][1]);
				opt->n_sack++;
			}
			break;
		case TCPOPT_TS:
			if (len == 10 && rd_be32(&d, &opt->tsval) && rd_be32(&d, &opt->tsecr))
				opt->has_ts = true;
			break;
		default:
			break;
		}
	}
}

/*
 * TCP header, RFC 9293 section 3.1:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   |       |       |R|E|G|K|H|T|N|N|                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (Data Offset > 5)                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * l4_len (from the IP header) is known in full, so a segment too short for
 * its own data offset is malformed whatever the snap length did.  Fields
 * are filled as far as they were captured.
 */
enum ft_status tcp_decode(const uint8_t *b, size_t cap_len, size_t l4_len, struct pkt *p)
{
	struct rd r, o;
	uint8_t doff, flags;
	size_t hlen;

	if (cap_len > l4_len)
		cap_len = l4_len;
	r = rd_make(b, cap_len);
	if (l4_len < 20) {
		p->why = "TCP segment shorter than 20 bytes";
		return FT_MALFORMED;
	}
	if (!rd_be16(&r, &p->sport) || !rd_be16(&r, &p->dport) || !rd_be32(&r, &p->seq) ||
	    !rd_be32(&r, &p->ack) || !rd_u8(&r, &doff)) {
		p->why = "TCP header cut by snap length";
		return FT_TRUNCATED;
	}
	hlen = (size_t)(doff >> 4) * 4;
	if (hlen < 20) {
		p->why = "TCP data offset below 5";
		return FT_MALFORMED;
	}
	if (hlen > l4_len) {
		p->why = "TCP data offset past segment end";
		return FT_MALFORMED;
	}
	if (!rd_u8(&r, &flags) || !rd_be16(&r, &p->win) || !rd_skip(&r, 4)) {
		p->why = "TCP header cut by snap length";
		return FT_TRUNCATED;
	}
	p->tcp_flags = flags;

	/* hlen <= l4_len, and cap_len <= l4_len, so both differences are safe. */
	p->pl_len = (uint32_t)(l4_len - hlen);
	p->pl_cap = cap_len > hlen ? (uint32_t)(cap_len - hlen) : 0;
	p->pl = p->pl_cap ? b + hlen : NULL;

	/*
	 * The captured part of the option area is min(hlen, cap_len) - 20
	 * bytes and r is at 20, so rd_sub cannot fail.  Options are decoded
	 * as far as they were captured; a header cut anywhere is truncated,
	 * even when a bad option had already stopped the walk.
	 */
	if (rd_sub(&r, (cap_len < hlen ? cap_len : hlen) - 20, &o))
		tcp_options(&o, hlen - 20, &p->opt);
	if (cap_len < hlen) {
		p->why = "TCP options cut by snap length";
		return FT_TRUNCATED;
	}
	return FT_OK;
}
