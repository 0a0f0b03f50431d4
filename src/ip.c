/* ip.c - IPv4 and IPv6 headers, IPv6 extension header chain, fragments. */
#include "pkt.h"
#include "rd.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD

/* IPv6 next-header values that are extension headers (RFC 8200 4, RFC 4302). */
#define IP6_HOPOPTS 0  /* Hop-by-Hop Options (RFC 8200 4.3) */
#define IP6_ROUTING 43 /* Routing (RFC 8200 4.4) */
#define IP6_FRAGMENT 44 /* Fragment (RFC 8200 4.5) */
#define IP6_AH 51      /* Authentication Header (RFC 4302 2) */
#define IP6_DSTOPTS 60 /* Destination Options (RFC 8200 4.6) */

/*
 * IPv4 header, RFC 791 section 3.1:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (IHL > 5)          |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags are reserved, DF, MF; the fragment offset counts 8-byte units.
 * Options are skipped, not decoded.  A datagram that is not the first
 * fragment (offset != 0) carries no transport header: we return FT_OK with
 * p->frag_later set and l4_off at the end of the IP header.
 */
static enum ft_status ip_decode_v4(const uint8_t *b, size_t cap_len, struct pkt *p,
				   size_t *l4_off)
{
	struct rd r = rd_make(b, cap_len);
	uint8_t vihl, ttl, proto;
	uint16_t total, id, frag;
	size_t hlen;

	if (!rd_u8(&r, &vihl)) {
		p->why = "IPv4 header cut by snap length";
		return FT_TRUNCATED;
	}
	if (vihl >> 4 != 4) {
		p->why = "IPv4 version field not 4";
		return FT_MALFORMED;
	}
	hlen = (size_t)(vihl & 0x0F) * 4;
	if (hlen < 20) {
		p->why = "IPv4 header length below 20";
		return FT_MALFORMED;
	}
	if (!rd_skip(&r, 1) || !rd_be16(&r, &total) || !rd_be16(&r, &id) ||
	    !rd_be16(&r, &frag) || !rd_u8(&r, &ttl) || !rd_u8(&r, &proto) ||
	    !rd_skip(&r, 2) || !rd_copy(&r, p->src, 4) || !rd_copy(&r, p->dst, 4)) {
		p->why = "IPv4 header cut by snap length";
		return FT_TRUNCATED;
	}
	if (total == 0) {
		/* TSO / BIG TCP on the sender: pkt_decode takes the length from the frame */
		p->len_from = PKT_LEN_FRAME;
	} else if (total < hlen) {
		p->why = "IPv4 total length below header length";
		return FT_MALFORMED;
	}
	p->ip_ver = 4;
	p->ip_len = total ? total : (uint32_t)hlen;
	p->ttl = ttl;
	p->proto = proto;
	if (!rd_skip(&r, hlen - 20)) {
		p->why = "IPv4 options cut by snap length";
		return FT_TRUNCATED;
	}
	/* Set only on a header read whole: frag.c copies it for the reassembly. */
	p->frag = (frag & 0x2000) != 0 || (frag & 0x1FFF) != 0;
	p->frag_later = (frag & 0x1FFF) != 0;
	p->frag_more = (frag & 0x2000) != 0;
	p->frag_off = (uint32_t)(frag & 0x1FFF) * 8;
	p->frag_id = id;
	p->frag_data_off = (uint32_t)hlen;
	p->frag_nh = proto;
	*l4_off = hlen;
	return FT_OK;
}

/*
 * IPv6 header, RFC 8200 section 3:
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  Source Address (16)                          |
 *   |                  Destination Address (16)                     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers (RFC 8200 4.3-4.6) start with
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  |  Hdr Ext Len  |  ... (Hdr Ext Len + 1) * 8 bytes
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * except AH (RFC 4302 2.2), whose length byte counts 4-byte units minus 2,
 * and Fragment (RFC 8200 4.5), always 8 bytes:
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 *   |                         Identification                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The walk stops at the first header that is not one of those (TCP, UDP,
 * ESP, No Next Header, ...) and is capped at PKT_MAX_V6_EXT headers.  An
 * extension header that runs past the payload length is malformed; one
 * that runs past the captured bytes is truncated.
 */
/*
 * The Jumbo Payload option (RFC 2675 2: type 0xC2, length 4, a 32-bit
 * payload length) in a Hop-by-Hop Options header right after the IPv6
 * header; 0 when there is none or it is cut.  Options are TLVs (RFC 8200
 * 4.2), Pad1 (type 0) a single byte; each step moves forward, inside the
 * header's (Hdr Ext Len + 1) * 8 bytes.
 */
static uint32_t ip6_jumbo(const uint8_t *b, size_t cap_len, uint8_t nh)
{
	struct rd r = rd_make(b, cap_len), h;
	uint8_t elen;
	if (nh != IP6_HOPOPTS || !rd_skip(&r, 41) || !rd_u8(&r, &elen) ||
	    !rd_sub(&r, (size_t)elen * 8 + 6, &h))
		return 0;
	while (rd_left(&h)) {
		uint8_t type, len;
		uint32_t v;
		if (!rd_u8(&h, &type))
			return 0;
		if (type == 0)
			continue;
		if (!rd_u8(&h, &len))
			return 0;
		if (type == 0xC2 && len == 4)
			return rd_be32(&h, &v) ? v : 0;
		if (!rd_skip(&h, len))
			return 0;
	}
	return 0;
}

static enum ft_status ip_decode_v6(const uint8_t *b, size_t cap_len, struct pkt *p,
				   size_t *l4_off)
{
	struct rd r = rd_make(b, cap_len);
	uint8_t v, nh, hlim;
	uint16_t plen;
	size_t end;

	if (!rd_u8(&r, &v)) {
		p->why = "IPv6 header cut by snap length";
		return FT_TRUNCATED;
	}
	if (v >> 4 != 6) {
		p->why = "IPv6 version field not 6";
		return FT_MALFORMED;
	}
	if (!rd_skip(&r, 3) || !rd_be16(&r, &plen) || !rd_u8(&r, &nh) ||
	    !rd_u8(&r, &hlim) || !rd_copy(&r, p->src, 16) || !rd_copy(&r, p->dst, 16)) {
		p->why = "IPv6 header cut by snap length";
		return FT_TRUNCATED;
	}
	p->ip_ver = 6;
	p->ttl = hlim;
	end = 40 + (size_t)plen;
	if (plen == 0) {
		/*
		 * A jumbogram (RFC 2675): the length is in a Jumbo Payload option
		 * of the Hop-by-Hop header; without one (Linux BIG TCP strips it
		 * before the capture sees the packet) pkt_decode takes the
		 * frame's.  The extension walk is bounded by the captured bytes.
		 */
		uint32_t jumbo = ip6_jumbo(b, cap_len, nh);
		if (jumbo > UINT32_MAX - 40) {
			p->why = "IPv6 Jumbo Payload length too large";
			return FT_MALFORMED;
		}
		if (jumbo && jumbo <= 65535) { /* RFC 2675 3: an error, as tcpdump says */
			p->why = "IPv6 Jumbo Payload length below 65536";
			return FT_MALFORMED;
		}
		p->len_from = jumbo ? PKT_LEN_JUMBO : PKT_LEN_FRAME;
		end = jumbo ? 40 + (size_t)jumbo : cap_len;
	}
	p->ip_len = (uint32_t)end;

	/* Each pass moves r.off forward by at least 8 bytes, and there are at most PKT_MAX_V6_EXT + 1. */
	for (unsigned n_ext = 0;; n_ext++) {
		uint8_t next, elen;
		uint16_t fo;
		size_t hlen, start = r.off;
		struct rd h;

		if (nh != IP6_HOPOPTS && nh != IP6_ROUTING && nh != IP6_FRAGMENT &&
		    nh != IP6_AH && nh != IP6_DSTOPTS)
			break;
		if (n_ext >= PKT_MAX_V6_EXT) {
			/* Legal but longer than we walk: our limit, not bad bytes. */
			p->why = "IPv6 extension header chain too long";
			return FT_UNSUPPORTED;
		}
		/* start <= end: the previous pass checked its header ended inside the payload. */
		if (end - start < 8) {
			p->why = "IPv6 extension header past payload length";
			return FT_MALFORMED;
		}
		h = r;
		if (!rd_u8(&h, &next) || !rd_u8(&h, &elen) || !rd_be16(&h, &fo)) {
			p->why = "IPv6 extension header cut by snap length";
			return FT_TRUNCATED;
		}
		if (nh == IP6_FRAGMENT)
			hlen = 8;
		else if (nh == IP6_AH)
			hlen = ((size_t)elen + 2) * 4;
		else
			hlen = ((size_t)elen + 1) * 8;
		if (end - start < hlen) {
			p->why = "IPv6 extension header past payload length";
			return FT_MALFORMED;
		}
		if (!rd_skip(&r, hlen)) {
			p->why = "IPv6 extension header cut by snap length";
			return FT_TRUNCATED;
		}
		if (nh == IP6_FRAGMENT) {
			/*
			 * Offset in the top 13 bits, M in the lowest bit.  Offset 0
			 * with M clear is an atomic fragment (RFC 6946): not part of
			 * a fragmented datagram.
			 */
			uint32_t id;
			if (fo >> 3 != 0 || (fo & 1) != 0) {
				/* h stands after the first 4 bytes; rd_skip above
				 * proved all 8 are captured. */
				if (!rd_be32(&h, &id)) {
					p->why = "IPv6 extension header cut by snap length";
					return FT_TRUNCATED;
				}
				p->frag = true;
				p->frag_more = (fo & 1) != 0;
				p->frag_off = (uint32_t)(fo >> 3) * 8;
				p->frag_id = id;
				p->frag_data_off = (uint32_t)r.off;
				p->frag_nh = next;
			}
			if (fo >> 3 != 0) {
				/* What follows is the middle of the datagram, not a header. */
				p->frag_later = true;
				nh = next;
				break;
			}
		}
		nh = next;
	}
	p->proto = nh;
	*l4_off = r.off;
	return FT_OK;
}

enum ft_status ip_decode(const uint8_t *b, size_t cap_len, struct pkt *p, size_t *l4_off)
{
	switch (p->ethertype) {
	case ETHERTYPE_IPV4:
		return ip_decode_v4(b, cap_len, p, l4_off);
	case ETHERTYPE_IPV6:
		return ip_decode_v6(b, cap_len, p, l4_off);
	default:
		p->why = "not IPv4/IPv6";
		return FT_UNSUPPORTED;
	}
}
