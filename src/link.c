/* link.c - link-layer headers (Ethernet + VLAN stacks, BSD loopback, Linux cooked, raw IP). */
#include "pkt.h"
#include "rd.h"

/*
 * DLT numbers as libpcap hands them out (pcap/dlt.h, which only
 * capture.c may include).  LINKTYPE_RAW (101) is the savefile number that
 * libpcap normally maps to DLT_RAW; 14 is DLT_RAW on OpenBSD.
 */
enum {
	LINK_NULL = 0,         /* BSD loopback, 4-byte AF in host byte order */
	LINK_EN10MB = 1,       /* Ethernet II / 802.3 */
	LINK_RAW = 12,         /* raw IP, version nibble decides */
	LINK_RAW_OPENBSD = 14, /* DLT_RAW on OpenBSD */
	LINK_RAW_FILE = 101,   /* LINKTYPE_RAW as stored in savefiles */
	LINK_LOOP = 108,       /* OpenBSD loopback, 4-byte AF in network byte order */
	LINK_LINUX_SLL = 113,  /* Linux cooked capture v1 */
	LINK_IPV4 = 228,       /* raw IPv4 */
	LINK_IPV6 = 229,       /* raw IPv6 */
	LINK_LINUX_SLL2 = 276, /* Linux cooked capture v2 */
};

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define ETHERTYPE_8021Q 0x8100  /* IEEE 802.1Q customer tag */
#define ETHERTYPE_8021AD 0x88A8 /* IEEE 802.1ad service tag (QinQ) */
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-standard QinQ service tag */

#define LINK_MAX_VLAN_WALK 16 /* tags walked before the stack is called malformed */

/* Address families seen in the NULL/LOOP header: AF_INET is 2 everywhere. */
#define LINK_AF_INET 2
/* AF_INET6 differs per BSD: 24 (OpenBSD/NetBSD), 28 (FreeBSD), 30 (Darwin). */

/* The link types pkt_decode understands. */
static const int link_supported[] = {
	LINK_NULL, LINK_EN10MB, LINK_RAW, LINK_RAW_OPENBSD, LINK_RAW_FILE,
	LINK_LOOP, LINK_LINUX_SLL, LINK_IPV4, LINK_IPV6, LINK_LINUX_SLL2,
};

bool pkt_link_supported(int dlt)
{
	for (size_t i = 0; i < sizeof link_supported / sizeof link_supported[0]; i++)
		if (link_supported[i] == dlt)
			return true;
	return false;
}

static bool link_af_inet6(uint32_t af)
{
	return af == 24 || af == 28 || af == 30;
}

/*
 * Walk a stack of VLAN tags that starts right after an ethertype field
 * whose value was `type`.  Each tag (IEEE 802.1Q-2018 9.3) is
 *
 *   +-----+-----+--------------+---------------+
 *   | PCP | DEI |   VID (12)   | next type (2) |
 *   +-----+-----+--------------+---------------+
 *   |<------- TCI (2) -------->|
 *
 * where VID is the low 12 bits of TCI.  The walk is capped at
 * LINK_MAX_VLAN_WALK tags, so a frame made of 0x8100 repeated ends.
 */
static enum ft_status link_vlan_walk(struct rd *r, uint16_t type, struct pkt *p)
{
	while (type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD ||
	       type == ETHERTYPE_QINQ_OLD) {
		uint16_t tci;
		if (p->n_vlan >= LINK_MAX_VLAN_WALK) {
			p->why = "too many VLAN tags";
			return FT_MALFORMED;
		}
		if (!rd_be16(r, &tci) || !rd_be16(r, &type)) {
			p->why = "VLAN tag cut by snap length";
			return FT_TRUNCATED;
		}
		if (p->n_vlan < PKT_MAX_VLAN)
			p->vlan[p->n_vlan] = tci & 0x0FFF;
		p->n_vlan++;
	}
	p->ethertype = type;
	return FT_OK;
}

/*
 * Ethernet II (IEEE 802.3 clause 3.2.6 "Length/Type"):
 *
 *   +---------+---------+-----------------+
 *   | dst (6) | src (6) | type/length (2) |  [VLAN tags...]  payload
 *   +---------+---------+-----------------+
 *
 * A value <= 1500 is an 802.3 length and an LLC header follows, which we
 * do not decode.
 */
static enum ft_status link_ether(struct rd *r, struct pkt *p)
{
	uint16_t type;
	if (!rd_skip(r, 12) || !rd_be16(r, &type)) {
		p->why = "Ethernet header cut by snap length";
		return FT_TRUNCATED;
	}
	if (type <= 1500) {
		p->why = "802.3/LLC frame";
		return FT_UNSUPPORTED;
	}
	return link_vlan_walk(r, type, p);
}

/*
 * BSD loopback (DLT_NULL, DLT_LOOP): a 4-byte address family, then the
 * IP packet.  DLT_NULL writes it in the capturing host's byte order, which
 * the file does not tell us, so both orders are tried; the AF values are
 * small enough that they cannot collide once swapped.
 */
static enum ft_status link_loop(struct rd *r, struct pkt *p, bool either_order)
{
	struct rd r2 = *r;
	uint32_t be, le;
	if (!rd_be32(r, &be) || !rd_le32(&r2, &le)) {
		p->why = "loopback header cut by snap length";
		return FT_TRUNCATED;
	}
	if (!either_order)
		le = be;
	if (be == LINK_AF_INET || le == LINK_AF_INET) {
		p->ethertype = ETHERTYPE_IPV4;
		return FT_OK;
	}
	if (link_af_inet6(be) || link_af_inet6(le)) {
		p->ethertype = ETHERTYPE_IPV6;
		return FT_OK;
	}
	p->why = "unsupported loopback address family";
	return FT_UNSUPPORTED;
}

/* Raw IP: the first nibble is the IP version (RFC 791 3.1, RFC 8200 3). */
static enum ft_status link_raw(const struct rd *r, struct pkt *p)
{
	struct rd peek = *r;
	uint8_t b0;
	if (!rd_u8(&peek, &b0)) {
		p->why = "raw IP packet is empty";
		return FT_TRUNCATED;
	}
	switch (b0 >> 4) {
	case 4:
		p->ethertype = ETHERTYPE_IPV4;
		return FT_OK;
	case 6:
		p->ethertype = ETHERTYPE_IPV6;
		return FT_OK;
	default:
		p->why = "raw IP version not 4 or 6";
		return FT_MALFORMED;
	}
}

/*
 * Linux cooked capture v1 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html):
 *
 *   +-------------+-------------+--------------+-----------+--------------+
 *   | pkttype (2) | ARPHRD (2)  | addr len (2) | addr (8)  | protocol (2) |
 *   +-------------+-------------+--------------+-----------+--------------+
 *
 * Linux cooked capture v2 (LINKTYPE_LINUX_SLL2.html):
 *
 *   +--------------+--------------+-------------+------------+
 *   | protocol (2) | reserved (2) | ifindex (4) | ARPHRD (2) |
 *   +--------------+--------------+-------------+------------+
 *   | pkttype (1)  | addr len (1) | addr (8)    |
 *   +--------------+--------------+-------------+
 *
 * The protocol is an ethertype for the cases we handle; VLAN tags left in
 * the payload (0x8100) are walked like on Ethernet.
 */
static enum ft_status link_sll(struct rd *r, struct pkt *p, bool v2)
{
	uint16_t proto;
	bool ok;
	if (v2)
		ok = rd_be16(r, &proto) && rd_skip(r, 18);
	else
		ok = rd_skip(r, 14) && rd_be16(r, &proto);
	if (!ok) {
		p->why = "Linux cooked header cut by snap length";
		return FT_TRUNCATED;
	}
	return link_vlan_walk(r, proto, p);
}

enum ft_status link_decode(int dlt, const uint8_t *b, size_t cap_len, struct pkt *p,
			   size_t *l3_off)
{
	struct rd r = rd_make(b, cap_len);
	enum ft_status st;

	switch (dlt) {
	case LINK_NULL:
		st = link_loop(&r, p, true);
		break;
	case LINK_LOOP:
		st = link_loop(&r, p, false);
		break;
	case LINK_EN10MB:
		st = link_ether(&r, p);
		break;
	case LINK_RAW:
	case LINK_RAW_OPENBSD:
	case LINK_RAW_FILE:
		st = link_raw(&r, p);
		break;
	case LINK_IPV4:
		p->ethertype = ETHERTYPE_IPV4;
		st = FT_OK;
		break;
	case LINK_IPV6:
		p->ethertype = ETHERTYPE_IPV6;
		st = FT_OK;
		break;
	case LINK_LINUX_SLL:
		st = link_sll(&r, p, false);
		break;
	case LINK_LINUX_SLL2:
		st = link_sll(&r, p, true);
		break;
	default:
		p->why = "unsupported link type";
		st = FT_UNSUPPORTED;
		break;
	}
	/* r.off <= cap_len always holds (rd invariant), so the caller may slice there. */
	*l3_off = r.off;
	return st;
}
