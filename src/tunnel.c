/* tunnel.c - tunnels whose inner packet is the fetch: IP in IP, GRE (and ERSPAN in it), VXLAN,
 * Geneve, GTP-U, Teredo.  Each is one more layer of the packet walk (pkt.c). */
#include "encap.h"

#define IPPROTO_NUM_IPIP 4   /* IPv4 encapsulation (RFC 2003) */
#define IPPROTO_NUM_UDP 17
#define IPPROTO_NUM_IPV6 41  /* IPv6 encapsulation (RFC 4213) */
#define IPPROTO_NUM_GRE 47   /* GRE (RFC 2784) */

#define PORT_VXLAN 4789  /* RFC 7348 5 */
#define PORT_GENEVE 6081 /* RFC 8926 3.3 */
#define PORT_GTPU 2152   /* 3GPP TS 29.281 4.4.2.3 */
#define PORT_TEREDO 3544 /* RFC 4380 5.2.1 */

#define ETHERTYPE_ERSPAN2 0x88BE /* ERSPAN type I (no sequence number) and II */
#define ETHERTYPE_ERSPAN3 0x22EB /* ERSPAN type III */

#define GTP_MAX_EXT 8 /* GTP-U extension headers walked */

static const char *const encap_names[] = {
	[ENCAP_PPPOE] = "PPPoE session", [ENCAP_MPLS] = "MPLS",   [ENCAP_GRE] = "GRE",
	[ENCAP_ERSPAN] = "ERSPAN",        [ENCAP_VXLAN] = "VXLAN", [ENCAP_GENEVE] = "Geneve",
	[ENCAP_GTPU] = "GTP-U",           [ENCAP_IPIP] = "IP-in-IP", [ENCAP_TEREDO] = "Teredo",
};

const char *pkt_encap_name(unsigned kind)
{
	if (kind < sizeof encap_names / sizeof encap_names[0] && encap_names[kind])
		return encap_names[kind];
	return "?";
}

/*
 * GRE header (RFC 2784 2, RFC 2890 2; version 1 as PPTP uses it, RFC 2637 4.1):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      Checksum (optional)      |       Reserved1 (Optional)    |  C
 *   |                         Key (optional)                        |  K
 *   |                 Sequence Number (Optional)                    |  S
 *   |               Acknowledgment Number (version 1, A)            |  A
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The protocol type is an ethertype: IP, Ethernet (0x6558), MPLS, PPP
 * (version 1), or ERSPAN (below).  Source routing (R) is obsolete and not
 * walked.
 */
static enum ft_status tunnel_gre(struct rd *r, struct pkt *p, uint16_t *next)
{
	uint16_t fl, proto;
	uint32_t key = 0;
	unsigned ver;
	if (!rd_be16(r, &fl) || !rd_be16(r, &proto)) {
		p->why = "GRE header cut by snap length";
		return FT_TRUNCATED;
	}
	ver = fl & 0x7;
	if (ver > 1 || (fl & 0x4000) || (ver == 1 && (!(fl & 0x2000) || (fl & 0x8000)))) {
		p->why = ver > 1 ? "GRE version not 0 or 1" : "GRE with source routing or a bad version 1 header";
		return FT_UNSUPPORTED;
	}
	if (((fl & 0x8000) && !rd_skip(r, 4)) || ((fl & 0x2000) && !rd_be32(r, &key)) ||
	    ((fl & 0x1000) && !rd_skip(r, 4)) || (ver == 1 && (fl & 0x0080) && !rd_skip(r, 4))) {
		p->why = "GRE header cut by snap length";
		return FT_TRUNCATED;
	}
	if (ver == 1 && !(fl & 0x1000)) {
		/* PPTP: without a sequence number there is no payload (an acknowledgement only) */
		*next = 0;
		return FT_OK;
	}
	if (proto == ETHERTYPE_ERSPAN2 || proto == ETHERTYPE_ERSPAN3) {
		/*
		 * ERSPAN (draft-foschiano-erspan): type I has no header of its own
		 * (GRE without a sequence number); type II 8 bytes, type III 12 and
		 * 8 more when its O bit (the last bit) is set.  The session id is
		 * the low 10 bits of the second 16-bit word.  Then an Ethernet frame.
		 */
		uint16_t w0, w1;
		unsigned type = proto == ETHERTYPE_ERSPAN3 ? 3 : (fl & 0x1000) ? 2 : 1;
		if (type == 1) {
			pkt_encap_push(p, ENCAP_ERSPAN, 1, false, 0);
		} else {
			uint8_t last;
			if (!rd_be16(r, &w0) || !rd_be16(r, &w1) || !rd_skip(r, type == 3 ? 7 : 4) ||
			    (type == 3 && !rd_u8(r, &last))) {
				p->why = "ERSPAN header cut by snap length";
				return FT_TRUNCATED;
			}
			if ((w0 >> 12) != type - 1) {
				p->why = "ERSPAN version does not match its type";
				return FT_MALFORMED;
			}
			if (type == 3 && (last & 0x01) && !rd_skip(r, 8)) {
				p->why = "ERSPAN platform subheader cut by snap length";
				return FT_TRUNCATED;
			}
			pkt_encap_push(p, ENCAP_ERSPAN, type, true, w1 & 0x03FF);
		}
		*next = ETHERTYPE_TEB;
		return FT_OK;
	}
	/* version 1's key field is the payload length (2) and the call id (2): the id is the call's */
	pkt_encap_push(p, ENCAP_GRE, ver, (fl & 0x2000) != 0, ver == 1 ? key & 0xFFFF : key);
	*next = proto;
	return FT_OK;
}

/* VXLAN (RFC 7348 5): flags (I = 0x08), 3 reserved, VNI (3), 1 reserved; then Ethernet. */
static bool tunnel_vxlan(struct rd *r, struct pkt *p, uint16_t *next)
{
	uint8_t flags;
	uint32_t w;
	if (!rd_u8(r, &flags) || !rd_skip(r, 3) || !rd_be32(r, &w) || !(flags & 0x08))
		return false;
	pkt_encap_push(p, ENCAP_VXLAN, 0, true, w >> 8);
	*next = ETHERTYPE_TEB;
	return true;
}

/*
 * Geneve (RFC 8926 3.4):
 *
 *   | Ver (2) | Opt Len (6) | O | C | Rsvd (6) | Protocol Type (16) |
 *   | Virtual Network Identifier (24)          | Reserved (8)       |
 *   | options, Opt Len * 4 bytes                                    |
 */
static bool tunnel_geneve(struct rd *r, struct pkt *p, uint16_t *next)
{
	uint8_t b0;
	uint16_t proto;
	uint32_t w;
	if (!rd_u8(r, &b0) || !rd_skip(r, 1) || !rd_be16(r, &proto) || !rd_be32(r, &w) ||
	    (b0 >> 6) != 0 || !rd_skip(r, (size_t)(b0 & 0x3F) * 4))
		return false;
	pkt_encap_push(p, ENCAP_GENEVE, 0, true, w >> 8);
	*next = proto;
	return true;
}

/*
 * GTP-U version 1 (3GPP TS 29.281 5.1):
 *
 *   | Ver (3) = 1 | PT = 1 | * | E | S | PN | message type | length (2) |
 *   | TEID (4) | [sequence (2), N-PDU (1), next extension type (1)] if E|S|PN |
 *   extension headers: | length in 4-byte units | content | next type |
 *
 * Message type 255 (G-PDU) carries a user packet: IPv4 or IPv6.  Anything
 * else (echo, error indication, end marker) is left as UDP.
 */
static enum ft_status tunnel_gtpu(struct rd *r, struct pkt *p, uint16_t *next, bool *found)
{
	uint8_t flags, type, ext = 0;
	uint32_t teid;
	if (!rd_u8(r, &flags) || !rd_u8(r, &type) || !rd_skip(r, 2) || !rd_be32(r, &teid) ||
	    (flags & 0xF0) != 0x30 || type != 0xFF)
		return FT_OK; /* not a G-PDU: plain UDP */
	*found = true;
	if ((flags & 0x07) && (!rd_skip(r, 3) || !rd_u8(r, &ext))) {
		p->why = "GTP-U header cut by snap length";
		return FT_TRUNCATED;
	}
	for (unsigned i = 0; ext != 0; i++) {
		uint8_t len;
		if (i >= GTP_MAX_EXT) {
			p->why = "GTP-U extension headers chain too long";
			return FT_UNSUPPORTED;
		}
		if (!rd_u8(r, &len)) {
			p->why = "GTP-U extension header cut by snap length";
			return FT_TRUNCATED;
		}
		if (len == 0) {
			p->why = "GTP-U extension header of length 0";
			return FT_MALFORMED;
		}
		if (!rd_skip(r, (size_t)len * 4 - 2) || !rd_u8(r, &ext)) {
			p->why = "GTP-U extension header cut by snap length";
			return FT_TRUNCATED;
		}
	}
	pkt_encap_push(p, ENCAP_GTPU, 0, true, teid);
	*next = ETHERTYPE_RAWIP;
	return FT_OK;
}

/*
 * Teredo (RFC 4380 5.1.1): an IPv6 packet in UDP, possibly after an
 * authentication indicator (00 01, id len, auth len, id, auth, nonce 8,
 * confirmation 1) and an origin indication (00 00, port 2, address 4).
 * Only taken as Teredo when what follows is IPv6 whose length fits.
 */
static bool tunnel_teredo(struct rd *r, struct pkt *p, uint16_t *next)
{
	struct rd t = *r;
	uint8_t b0, b1, idl, aul;
	uint16_t plen;
	if (!rd_u8(&t, &b0) || !rd_u8(&t, &b1))
		return false;
	if (b0 == 0 && b1 == 1) {
		if (!rd_u8(&t, &idl) || !rd_u8(&t, &aul) || !rd_skip(&t, (size_t)idl + aul + 9) ||
		    !rd_u8(&t, &b0) || !rd_u8(&t, &b1))
			return false;
	}
	if (b0 == 0 && b1 == 0) {
		if (!rd_skip(&t, 6) || !rd_u8(&t, &b0) || !rd_u8(&t, &b1))
			return false;
	}
	/* t is two bytes into the IPv6 header: version 6, payload length fits in what is left */
	if ((b0 >> 4) != 6 || !rd_skip(&t, 2) || !rd_be16(&t, &plen) ||
	    (size_t)plen + 34 > rd_left(&t))
		return false;
	r->off = t.off - 6;
	pkt_encap_push(p, ENCAP_TEREDO, 0, false, 0);
	*next = ETHERTYPE_IPV6;
	return true;
}

enum ft_status tunnel_decode(const uint8_t *ip, size_t l4_off, size_t end, struct pkt *p,
			     size_t *inner_off, bool *found)
{
	struct rd r = rd_make(ip, end);
	uint16_t next = 0;
	enum ft_status st = FT_OK;

	*found = false;
	/* a fragment holds part of the tunnel's payload: shown as the outer packet */
	if (p->frag || l4_off > end || !rd_skip(&r, l4_off))
		return FT_OK;
	switch (p->proto) {
	case IPPROTO_NUM_IPIP:
	case IPPROTO_NUM_IPV6:
		pkt_encap_push(p, ENCAP_IPIP, (unsigned)p->ip_ver << 4 | (p->proto == IPPROTO_NUM_IPIP ? 4u : 6u),
			       false, 0);
		next = p->proto == IPPROTO_NUM_IPIP ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
		*found = true;
		break;
	case IPPROTO_NUM_GRE:
		st = tunnel_gre(&r, p, &next);
		*found = st != FT_OK || next != 0; /* next 0: a PPTP acknowledgement, no payload */
		break;
	case IPPROTO_NUM_UDP: {
		uint16_t sport, dport, ulen;
		struct rd u;
		if (!rd_be16(&r, &sport) || !rd_be16(&r, &dport) || !rd_be16(&r, &ulen) ||
		    !rd_skip(&r, 2) || ulen < 8)
			return FT_OK; /* the UDP layer says what is wrong */
		/* the datagram ends at the UDP length when that is shorter than the IP payload */
		if (ulen - 8u < rd_left(&r))
			r.len = r.off + (ulen - 8u);
		u = r;
		if (dport == PORT_VXLAN)
			*found = tunnel_vxlan(&u, p, &next);
		else if (dport == PORT_GENEVE)
			*found = tunnel_geneve(&u, p, &next);
		else if (dport == PORT_GTPU || sport == PORT_GTPU)
			st = tunnel_gtpu(&u, p, &next, found);
		else if (dport == PORT_TEREDO || sport == PORT_TEREDO)
			*found = tunnel_teredo(&u, p, &next);
		if (*found)
			r = u;
		break;
	}
	default:
		return FT_OK;
	}
	if (!*found || st != FT_OK)
		return st;
	st = link_ethertype(&r, next, p);
	*inner_off = r.off;
	return st;
}
