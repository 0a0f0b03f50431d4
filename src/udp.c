/* udp.c - UDP header (RFC 768). */
#include "pkt.h"
#include "rd.h"

/*
 * UDP header, RFC 768:
 *
 *    0      7 8     15 16    23 24    31
 *   +--------+--------+--------+--------+
 *   |     Source      |   Destination   |
 *   |      Port       |      Port       |
 *   +--------+--------+--------+--------+
 *   |     Length      |    Checksum     |
 *   +--------+--------+--------+--------+
 *
 * Length covers header and data, so below 8 is impossible.  The payload
 * ends at min(Length, l4_len): a Length beyond the IP payload is what a
 * first fragment carries, and a shorter one leaves trailing bytes that
 * are not part of the datagram.
 */
enum ft_status udp_decode(const uint8_t *b, size_t cap_len, size_t l4_len, struct pkt *p)
{
	struct rd r;
	uint16_t ulen;
	size_t end;

	if (cap_len > l4_len)
		cap_len = l4_len;
	r = rd_make(b, cap_len);
	if (l4_len < 8) {
		p->why = "UDP datagram shorter than 8 bytes";
		return FT_MALFORMED;
	}
	if (!rd_be16(&r, &p->sport) || !rd_be16(&r, &p->dport) || !rd_be16(&r, &ulen) ||
	    !rd_skip(&r, 2)) {
		p->why = "UDP header cut by snap length";
		return FT_TRUNCATED;
	}
	if (ulen < 8) {
		p->why = "UDP length below 8";
		return FT_MALFORMED;
	}
	end = ulen < l4_len ? ulen : l4_len;
	p->pl_len = (uint32_t)(end - 8);
	/* cap_len >= 8 here (the header was read). */
	p->pl_cap = (uint32_t)((cap_len < end ? cap_len : end) - 8);
	p->pl = p->pl_cap ? b + 8 : NULL;
	return FT_OK;
}
