/* link.c - link-layer headers: the link types tcpdump reads that can carry IP, and the
 * ethertype walk (VLAN tags, PPPoE sessions, MPLS, bridged Ethernet) down to IP. */
#include "encap.h"

/*
 * DLT numbers as libpcap hands them out (pcap/dlt.h, which only
 * capture.c may include).  LINKTYPE_RAW (101) is the savefile number that
 * libpcap normally maps to DLT_RAW; 14 is DLT_RAW on OpenBSD.
 */
enum {
	LINK_NULL = 0,          /* BSD loopback, 4-byte AF in host byte order */
	LINK_EN10MB = 1,        /* Ethernet II / 802.3 */
	LINK_SLIP = 8,          /* SLIP with libpcap's 16-byte pseudo-header */
	LINK_PPP = 9,           /* PPP (RFC 1661), address/control optional */
	LINK_FDDI = 10,         /* FDDI, LLC/SNAP */
	LINK_ATM_RFC1483 = 11,  /* LLC/SNAP over ATM (RFC 2684) */
	LINK_RAW = 12,          /* raw IP, version nibble decides */
	LINK_RAW_OPENBSD = 14,  /* DLT_RAW on OpenBSD */
	LINK_SLIP_BSDOS = 15,   /* BSD/OS SLIP, 16-byte pseudo-header */
	LINK_PPP_SERIAL = 50,   /* PPP in HDLC-like framing (RFC 1662), or Cisco HDLC */
	LINK_PPP_ETHER = 51,    /* PPPoE header without the Ethernet one */
	LINK_ATM_RFC1483_FILE = 100, /* LINKTYPE_ATM_RFC1483 (pcapng gives LINKTYPE_ values) */
	LINK_RAW_FILE = 101,    /* LINKTYPE_RAW as stored in savefiles */
	LINK_SLIP_BSDOS_FILE = 102, /* LINKTYPE_SLIP_BSDOS */
	LINK_C_HDLC = 104,      /* Cisco HDLC */
	LINK_IEEE802_11 = 105,  /* 802.11 without a radio header */
	LINK_FRELAY = 107,      /* Frame Relay (Q.922 address, RFC 2427) */
	LINK_LOOP = 108,        /* OpenBSD loopback, 4-byte AF in network byte order */
	LINK_LINUX_SLL = 113,   /* Linux cooked capture v1 */
	LINK_PFLOG = 117,       /* OpenBSD pf log header, then IP */
	LINK_PRISM = 119,       /* 802.11 behind a Prism (or AVS) header */
	LINK_RADIOTAP = 127,    /* 802.11 behind a radiotap header */
	LINK_AVS = 163,         /* 802.11 behind an AVS header */
	LINK_PPP_PPPD = 166,    /* PPP whose HDLC address byte is a direction (pppd) */
	LINK_JUNIPER_ETHER = 178, /* Juniper pseudo-header, then Ethernet */
	LINK_PPI = 192,         /* Per-Packet Information header, then its link type */
	LINK_PPP_WITH_DIR = 204, /* PPP with a direction byte */
	LINK_MPLS = 219,        /* MPLS label stack */
	LINK_IPNET = 226,       /* Solaris ipnet */
	LINK_IPV4 = 228,        /* raw IPv4 */
	LINK_IPV6 = 229,        /* raw IPv6 */
	LINK_NFLOG = 239,       /* Linux netfilter NFLOG (TLVs) */
	LINK_NETANALYZER = 240, /* Hilscher netANALYZER: 4-byte header, Ethernet */
	LINK_NETANALYZER_T = 241, /* netANALYZER transparent: header, preamble, Ethernet */
	LINK_IPOIB = 242,       /* IP over InfiniBand: 44-byte header with an ethertype */
	LINK_PKTAP = 258,       /* Apple PKTAP header, then its link type */
	LINK_LINUX_SLL2 = 276,  /* Linux cooked capture v2 */
	LINK_DSA_BRCM = 281,    /* Broadcom tag between source MAC and type */
	LINK_DSA_BRCM_PREPEND = 282, /* Broadcom tag before the Ethernet header */
	LINK_DSA_DSA = 284,     /* Marvell DSA tag between source MAC and type */
	LINK_DSA_EDSA = 285,    /* Marvell EDSA tag between source MAC and type */
};

#define ETHERTYPE_8021Q 0x8100  /* IEEE 802.1Q customer tag */
#define ETHERTYPE_8021AD 0x88A8 /* IEEE 802.1ad service tag (QinQ) */
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-standard QinQ service tag */

#define LINK_MAX_VLAN_WALK 16 /* tags walked before the stack is called malformed */
#define LINK_MAX_STEPS 24     /* ethertype steps (tags, sessions, labels, frames) walked */
#define LINK_MAX_MPLS 16      /* labels walked in one stack */
#define LINK_MAX_HOPS 3       /* link headers that name another link type (PPI, PKTAP) */
#define LINK_MAX_NFLOG_TLV 64 /* NFLOG TLVs walked looking for the payload */

/* Address families seen in the NULL/LOOP header: AF_INET is 2 everywhere. */
#define LINK_AF_INET 2
/* AF_INET6 differs per BSD: 24 (OpenBSD/NetBSD), 28 (FreeBSD), 30 (Darwin). */

/* PPP protocol numbers (RFC 1661 2, IANA "PPP DLL Protocol Numbers"). */
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define PPP_MPLS 0x0281
#define PPP_MPLS_MC 0x0283

/* The link types pkt_decode understands, by name as tcpdump -L lists them. */
static const struct {
	int dlt;          /* DLT_* value */
	const char *name; /* for the documentation and tests */
} link_types[] = {
	{ LINK_NULL, "NULL" }, { LINK_EN10MB, "EN10MB" }, { LINK_SLIP, "SLIP" },
	{ LINK_PPP, "PPP" }, { LINK_FDDI, "FDDI" }, { LINK_ATM_RFC1483, "ATM_RFC1483" },
	{ LINK_ATM_RFC1483_FILE, "ATM_RFC1483" }, { LINK_SLIP_BSDOS_FILE, "SLIP_BSDOS" },
	{ LINK_RAW, "RAW" }, { LINK_RAW_OPENBSD, "RAW" }, { LINK_SLIP_BSDOS, "SLIP_BSDOS" },
	{ LINK_PPP_SERIAL, "PPP_SERIAL" }, { LINK_PPP_ETHER, "PPP_ETHER" },
	{ LINK_RAW_FILE, "RAW" }, { LINK_C_HDLC, "C_HDLC" }, { LINK_IEEE802_11, "IEEE802_11" },
	{ LINK_FRELAY, "FRELAY" }, { LINK_LOOP, "LOOP" }, { LINK_LINUX_SLL, "LINUX_SLL" },
	{ LINK_PFLOG, "PFLOG" },
	{ LINK_PRISM, "PRISM_HEADER" }, { LINK_RADIOTAP, "IEEE802_11_RADIO" },
	{ LINK_AVS, "IEEE802_11_RADIO_AVS" }, { LINK_PPP_PPPD, "PPP_PPPD" },
	{ LINK_JUNIPER_ETHER, "JUNIPER_ETHER" }, { LINK_PPI, "PPI" },
	{ LINK_PPP_WITH_DIR, "PPP_WITH_DIR" }, { LINK_MPLS, "MPLS" }, { LINK_IPNET, "IPNET" },
	{ LINK_IPV4, "IPV4" }, { LINK_IPV6, "IPV6" }, { LINK_NFLOG, "NFLOG" },
	{ LINK_NETANALYZER, "NETANALYZER" }, { LINK_NETANALYZER_T, "NETANALYZER_TRANSPARENT" },
	{ LINK_IPOIB, "IPOIB" }, { LINK_PKTAP, "PKTAP" }, { LINK_LINUX_SLL2, "LINUX_SLL2" },
	{ LINK_DSA_BRCM, "DSA_TAG_BRCM" }, { LINK_DSA_BRCM_PREPEND, "DSA_TAG_BRCM_PREPEND" },
	{ LINK_DSA_DSA, "DSA_TAG_DSA" }, { LINK_DSA_EDSA, "DSA_TAG_EDSA" },
};

bool pkt_link_supported(int dlt)
{
	for (size_t i = 0; i < sizeof link_types / sizeof link_types[0]; i++)
		if (link_types[i].dlt == dlt)
			return true;
	return false;
}

void pkt_encap_push(struct pkt *p, unsigned kind, unsigned n, bool has_id, uint32_t id)
{
	if (p->n_encap < PKT_MAX_ENCAP) {
		struct pkt_encap *e = &p->encap[p->n_encap];
		e->kind = (uint8_t)kind;
		e->n = (uint8_t)n;
		e->has_id = has_id;
		e->id = has_id ? id : 0;
	}
	if (p->n_encap < UINT8_MAX)
		p->n_encap++;
}

static bool link_af_inet6(uint32_t af)
{
	return af == 24 || af == 28 || af == 30;
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

/* A PPP protocol number as the ethertype that means the same; 0 for none. */
static uint16_t link_ppp_proto(uint16_t proto)
{
	switch (proto) {
	case PPP_IPV4:
		return ETHERTYPE_IPV4;
	case PPP_IPV6:
		return ETHERTYPE_IPV6;
	case PPP_MPLS:
		return ETHERTYPE_MPLS;
	case PPP_MPLS_MC:
		return ETHERTYPE_MPLS_MC;
	default:
		return 0;
	}
}

/*
 * The PPP protocol field (RFC 1661 2): two bytes, or one when Protocol-Field-
 * Compression left out a leading zero (a protocol number is odd in its
 * low byte and even in its high one, so an odd first byte is a whole field).
 * Returns the ethertype to go on with, or 0 with p->why set.
 */
static enum ft_status link_ppp_field(struct rd *r, struct pkt *p, uint16_t *et)
{
	uint8_t b0, b1;
	uint16_t proto;
	if (!rd_u8(r, &b0)) {
		p->why = "PPP header cut by snap length";
		return FT_TRUNCATED;
	}
	if (b0 & 1) {
		proto = b0;
	} else {
		if (!rd_u8(r, &b1)) {
			p->why = "PPP header cut by snap length";
			return FT_TRUNCATED;
		}
		proto = (uint16_t)(b0 << 8 | b1);
	}
	*et = link_ppp_proto(proto);
	if (!*et) {
		/* LCP, IPCP, PAP, CHAP, CCP...: the link's own talk, no IP */
		p->why = proto >= 0x8000 ? "PPP control protocol (not IP)" : "PPP protocol not IP";
		return FT_UNSUPPORTED;
	}
	return FT_OK;
}

/* PPP in HDLC-like framing (RFC 1662 3.1): ff 03 then the protocol; both optional (ACFC). */
static enum ft_status link_ppp(struct rd *r, struct pkt *p)
{
	struct rd peek = *r;
	uint8_t a, c;
	uint16_t et;
	enum ft_status st;
	if (rd_u8(&peek, &a) && rd_u8(&peek, &c) && a == 0xFF && c == 0x03)
		*r = peek;
	st = link_ppp_field(r, p, &et);
	if (st != FT_OK)
		return st;
	return link_ethertype(r, et, p);
}

/*
 * PPPoE session stage (RFC 2516 4, 5.4):
 *
 *   +-------+-------+------------+----------------+------------+
 *   | V | T | code  | session id | payload length | PPP proto  | PPP payload
 *   | 1 | 1 | 0x00  |    (2)     |      (2)       | (2)        |
 *   +-------+-------+------------+----------------+------------+
 */
static enum ft_status link_pppoe(struct rd *r, struct pkt *p)
{
	uint8_t vt, code;
	uint16_t sid, len, et;
	enum ft_status st;
	if (!rd_u8(r, &vt) || !rd_u8(r, &code) || !rd_be16(r, &sid) || !rd_be16(r, &len)) {
		p->why = "PPPoE header cut by snap length";
		return FT_TRUNCATED;
	}
	if (vt != 0x11 || code != 0) {
		p->why = "PPPoE session header with version/type not 1/1 or code not 0";
		return FT_MALFORMED;
	}
	if (len < 2) {
		p->why = "PPPoE payload shorter than the PPP protocol field";
		return FT_MALFORMED;
	}
	pkt_encap_push(p, ENCAP_PPPOE, 0, true, sid);
	st = link_ppp_field(r, p, &et);
	if (st != FT_OK)
		return st;
	return link_ethertype(r, et, p);
}

/* Ethernet addresses and type (IEEE 802.3 3.2); 802.3 lengths with LLC/SNAP. */
static enum ft_status link_ether_type(struct rd *r, struct pkt *p, uint16_t *type)
{
	if (!rd_skip(r, 12) || !rd_be16(r, type)) {
		p->why = "Ethernet header cut by snap length";
		return FT_TRUNCATED;
	}
	if (*type <= 1500) {
		/* An 802.3 length: LLC follows; SNAP (aa aa 03, OUI 0) carries a type. */
		struct rd peek = *r;
		uint8_t llc[6];
		uint16_t t;
		if (rd_copy(&peek, llc, 6) && rd_be16(&peek, &t) && llc[0] == 0xAA &&
		    llc[1] == 0xAA && llc[2] == 0x03 && llc[3] == 0 && llc[4] == 0 && llc[5] == 0) {
			*r = peek;
			*type = t;
			return FT_OK;
		}
		p->why = "802.3/LLC frame";
		return FT_UNSUPPORTED;
	}
	return FT_OK;
}

/*
 * MPLS label stack entries (RFC 3032 2.1), four bytes each, until the one
 * with the bottom-of-stack bit:
 *
 *   | label (20) | TC (3) | S (1) | TTL (8) |
 *
 * The stack does not say what follows; like tcpdump and Wireshark the first
 * nibble decides: 4 or 6 is IP, 0 is a pseudowire control word (RFC 4385)
 * before an Ethernet frame (RFC 4448).
 */
static enum ft_status link_mpls(struct rd *r, struct pkt *p, uint16_t *next)
{
	uint32_t e = 0, top = 0;
	unsigned n = 0;
	uint8_t b0;
	struct rd peek;
	do {
		if (n >= LINK_MAX_MPLS) {
			p->why = "MPLS label stack deeper than 16";
			return FT_UNSUPPORTED;
		}
		if (!rd_be32(r, &e)) {
			p->why = "MPLS label stack cut by snap length";
			return FT_TRUNCATED;
		}
		if (n == 0)
			top = e >> 12;
		n++;
	} while (!(e & 0x100));
	pkt_encap_push(p, ENCAP_MPLS, n, true, top);
	peek = *r;
	if (!rd_u8(&peek, &b0)) {
		p->why = "MPLS payload cut by snap length";
		return FT_TRUNCATED;
	}
	switch (b0 >> 4) {
	case 4:
		*next = ETHERTYPE_IPV4;
		return FT_OK;
	case 6:
		*next = ETHERTYPE_IPV6;
		return FT_OK;
	case 0:
		if (!rd_skip(r, 4)) {
			p->why = "MPLS pseudowire control word cut by snap length";
			return FT_TRUNCATED;
		}
		*next = ETHERTYPE_TEB;
		return FT_OK;
	default:
		p->why = "MPLS payload not IP";
		return FT_UNSUPPORTED;
	}
}

/*
 * VLAN tags (IEEE 802.1Q-2018 9.3), each
 *
 *   +-----+-----+--------------+---------------+
 *   | PCP | DEI |   VID (12)   | next type (2) |
 *   +-----+-----+--------------+---------------+
 *
 * and the other protocols that sit between a link and IP are steps of one
 * loop; at most LINK_MAX_STEPS of them, each of which reads bytes, so a
 * frame of 0x8100 repeated, or MPLS carrying Ethernet carrying MPLS, ends.
 */
enum ft_status link_ethertype(struct rd *r, uint16_t type, struct pkt *p)
{
	for (unsigned step = 0;; step++) {
		enum ft_status st;
		if (step >= LINK_MAX_STEPS) {
			p->why = "link headers nested too deep";
			return FT_UNSUPPORTED;
		}
		switch (type) {
		case ETHERTYPE_8021Q:
		case ETHERTYPE_8021AD:
		case ETHERTYPE_QINQ_OLD: {
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
			continue;
		}
		case ETHERTYPE_PPPOE:
			return link_pppoe(r, p);
		case ETHERTYPE_PPP:
			return link_ppp(r, p);
		case ETHERTYPE_MPLS:
		case ETHERTYPE_MPLS_MC:
			st = link_mpls(r, p, &type);
			if (st != FT_OK)
				return st;
			continue;
		case ETHERTYPE_TEB:
			st = link_ether_type(r, p, &type);
			if (st != FT_OK)
				return st;
			continue;
		case ETHERTYPE_RAWIP:
			return link_raw(r, p);
		default:
			/* IPv4, IPv6, or one ip_decode calls unsupported (ARP...) */
			p->ethertype = type;
			return FT_OK;
		}
	}
}

/* Ethernet II (IEEE 802.3 clause 3.2.6): dst (6), src (6), type/length (2). */
static enum ft_status link_ether(struct rd *r, struct pkt *p)
{
	return link_ethertype(r, ETHERTYPE_TEB, p);
}

/*
 * Switch tags (Linux DSA, what tcpdump reads as DSA_TAG_*): `before` bytes
 * ahead of the Ethernet header (Broadcom prepended), or `inside` bytes
 * between the source address and the type (Broadcom 4, Marvell DSA 4,
 * Marvell EDSA 8 of which the first two are its own ethertype 0xdada).
 */
static enum ft_status link_dsa(struct rd *r, struct pkt *p, size_t before, size_t inside)
{
	uint16_t type = 0;
	if (!rd_skip(r, before + 12 + inside) || !rd_be16(r, &type)) {
		p->why = "Ethernet header with switch tag cut by snap length";
		return FT_TRUNCATED;
	}
	return link_ethertype(r, type, p);
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
	return link_ethertype(r, proto, p);
}

/* LLC/SNAP (IEEE 802.2, RFC 1042): aa aa 03, OUI, then an ethertype. */
static enum ft_status link_llc_snap(struct rd *r, struct pkt *p, const char *what)
{
	uint8_t llc[6];
	uint16_t type = 0;
	if (!rd_copy(r, llc, 6) || !rd_be16(r, &type)) {
		p->why = "LLC/SNAP header cut by snap length";
		return FT_TRUNCATED;
	}
	/* OUI 00-00-00 (RFC 1042) and 00-00-f8 (802.1H bridge tunnel) both carry a type */
	if (llc[0] != 0xAA || llc[1] != 0xAA || llc[2] != 0x03 || llc[3] != 0 || llc[4] != 0 ||
	    (llc[5] != 0 && llc[5] != 0xF8)) {
		p->why = what;
		return FT_UNSUPPORTED;
	}
	return link_ethertype(r, type, p);
}

/*
 * IEEE 802.11 MAC header (IEEE 802.11-2020 9.2.3):
 *
 *   | frame control (2) | duration (2) | addr1 (6) | addr2 (6) | addr3 (6) |
 *   | sequence control (2) | [addr4 (6)] | [QoS control (2)] | [HT control (4)] |
 *
 * Frame control, first byte: version (2 bits), type (2), subtype (4);
 * second byte: To DS 0x01, From DS 0x02, More Fragments 0x04, Protected
 * 0x40, +HTC/Order 0x80.  addr4 is there when both DS bits are; QoS data
 * (subtype bit 3) adds QoS control, and HT control when +HTC is set too.
 * A data frame's body is LLC/SNAP, then the ethertype.  `pad` is the
 * radiotap "data pad" flag: the header is padded to a multiple of 4.
 */
static enum ft_status link_80211(struct rd *r, struct pkt *p, bool pad)
{
	struct rd peek = *r;
	uint8_t fc0, fc1, qos0 = 0;
	uint16_t seqctl;
	size_t hlen = 24;
	unsigned type, subtype;

	if (!rd_u8(&peek, &fc0) || !rd_u8(&peek, &fc1)) {
		p->why = "802.11 header cut by snap length";
		return FT_TRUNCATED;
	}
	if ((fc0 & 0x03) != 0) {
		p->why = "802.11 protocol version not 0";
		return FT_MALFORMED;
	}
	type = (fc0 >> 2) & 0x03;
	subtype = fc0 >> 4;
	if (type == 0) {
		p->why = "802.11 management frame";
		return FT_UNSUPPORTED;
	}
	if (type != 2) {
		p->why = type == 1 ? "802.11 control frame" : "802.11 extension frame";
		return FT_UNSUPPORTED;
	}
	if ((fc1 & 0x03) == 0x03)
		hlen += 6;
	if (subtype & 0x08) {
		/* QoS control follows addr3/seqctl/addr4: bit 7 of its first byte is A-MSDU present */
		struct rd q = *r;
		if (!rd_skip(&q, hlen) || !rd_u8(&q, &qos0)) {
			p->why = "802.11 header cut by snap length";
			return FT_TRUNCATED;
		}
		hlen += 2;
		if (fc1 & 0x80)
			hlen += 4;
	}
	if (pad)
		hlen = (hlen + 3) & ~(size_t)3;
	peek = *r;
	if (!rd_skip(&peek, 22) || !rd_le16(&peek, &seqctl) || !rd_skip(r, hlen)) {
		p->why = "802.11 header cut by snap length";
		return FT_TRUNCATED;
	}
	if (subtype & 0x04) {
		p->why = "802.11 data frame without a body (null data)";
		return FT_UNSUPPORTED;
	}
	if (fc1 & 0x40) {
		p->why = "protected 802.11 frame (encrypted, not decoded)";
		return FT_UNSUPPORTED;
	}
	if ((fc1 & 0x04) || (seqctl & 0x000F)) {
		p->why = "802.11 fragment";
		return FT_UNSUPPORTED;
	}
	if (qos0 & 0x80) {
		p->why = "802.11 A-MSDU";
		return FT_UNSUPPORTED;
	}
	return link_llc_snap(r, p, "802.11 data frame without LLC/SNAP");
}

/*
 * Radiotap (https://www.radiotap.org/):
 *
 *   | version (1) = 0 | pad (1) | length (2, LE) | present (4, LE) [more present words] | fields |
 *
 * Only the Flags field matters here (present bit 1, right after TSFT, bit 0,
 * 8 bytes aligned to 8 from the header's start): 0x20 says the 802.11
 * header is padded.  An FCS at the end (flags 0x10) is link padding to us:
 * the IP length ends the datagram before it.
 */
static enum ft_status link_radiotap(struct rd *r, struct pkt *p)
{
	struct rd h;
	uint8_t ver, flags = 0;
	uint16_t len;
	uint32_t present, w;
	size_t start = r->off, off;
	unsigned n_words = 1;

	h = *r;
	if (!rd_u8(&h, &ver) || !rd_skip(&h, 1) || !rd_le16(&h, &len) || !rd_le32(&h, &present)) {
		p->why = "radiotap header cut by snap length";
		return FT_TRUNCATED;
	}
	if (ver != 0 || len < 8) {
		p->why = "radiotap header with version not 0 or length below 8";
		return FT_MALFORMED;
	}
	if (!rd_skip(r, len)) {
		p->why = "radiotap header cut by snap length";
		return FT_TRUNCATED;
	}
	/* present words chain on bit 31; they lie inside len bytes, so the walk ends */
	w = present;
	while (w & 0x80000000u) {
		if (!rd_le32(&h, &w) || h.off - start > len) {
			p->why = "radiotap present words past the header";
			return FT_MALFORMED;
		}
		n_words++;
	}
	off = 4 + 4 * (size_t)n_words;
	if (present & 0x01)
		off = ((off + 7) & ~(size_t)7) + 8;
	if (present & 0x02) {
		if (off >= len) {
			p->why = "radiotap flags past the header";
			return FT_MALFORMED;
		}
		flags = r->buf[start + off]; /* start + off < start + len <= r->off */
	}
	return link_80211(r, p, (flags & 0x20) != 0);
}

/*
 * Prism monitor header (msgcode 4, msglen 4, host order, usually 144 bytes)
 * or AVS (magic 0x80211001 and a length, big-endian); tcpdump tells them
 * apart by the AVS magic.  Then 802.11.
 */
static enum ft_status link_prism(struct rd *r, struct pkt *p)
{
	struct rd h = *r;
	uint32_t code, len;
	if (!rd_be32(&h, &code) || !rd_be32(&h, &len)) {
		p->why = "Prism/AVS header cut by snap length";
		return FT_TRUNCATED;
	}
	if ((code & 0xFFFFFFF0u) != 0x80211000u) {
		len = (uint32_t)r->buf[r->off + 4] | (uint32_t)r->buf[r->off + 5] << 8 |
		      (uint32_t)r->buf[r->off + 6] << 16 | (uint32_t)r->buf[r->off + 7] << 24;
	}
	if (len < 8) {
		p->why = "Prism/AVS header length below 8";
		return FT_MALFORMED;
	}
	if (!rd_skip(r, len)) {
		p->why = "Prism/AVS header cut by snap length";
		return FT_TRUNCATED;
	}
	return link_80211(r, p, false);
}

/*
 * Cisco HDLC (tcpdump's chdlc_print): address 0x0f (unicast) or 0x8f
 * (broadcast), control 0x00, then an ethertype.
 */
static enum ft_status link_chdlc(struct rd *r, struct pkt *p)
{
	uint8_t addr;
	uint16_t type = 0;
	if (!rd_u8(r, &addr) || !rd_skip(r, 1) || !rd_be16(r, &type)) {
		p->why = "Cisco HDLC header cut by snap length";
		return FT_TRUNCATED;
	}
	if (addr != 0x0F && addr != 0x8F) {
		p->why = "Cisco HDLC address not 0x0f/0x8f";
		return FT_MALFORMED;
	}
	return link_ethertype(r, type, p);
}

/* PPP over a serial line: HDLC-like framing, or Cisco HDLC, told by the first byte. */
static enum ft_status link_ppp_serial(struct rd *r, struct pkt *p)
{
	if (rd_has(r, 1) && (r->buf[r->off] == 0x0F || r->buf[r->off] == 0x8F))
		return link_chdlc(r, p);
	return link_ppp(r, p);
}

/*
 * Frame Relay (ITU-T Q.922 address, RFC 2427 multiprotocol encapsulation):
 *
 *   | address (2-4, EA bit ends it) | control 0x03 | [pad 0x00] | NLPID | ...
 *
 * NLPID 0xcc is IPv4, 0x8e IPv6, 0x80 SNAP (OUI 3 + ethertype 2).  Cisco's
 * encapsulation puts an ethertype right after the address instead.
 */
static enum ft_status link_frelay(struct rd *r, struct pkt *p)
{
	uint8_t b = 0, nlpid;
	uint16_t type = 0;
	unsigned n = 0;
	do {
		if (!rd_u8(r, &b)) {
			p->why = "Frame Relay address cut by snap length";
			return FT_TRUNCATED;
		}
		n++;
	} while (!(b & 0x01) && n < 4);
	if (!(b & 0x01) || n < 2) {
		p->why = "Frame Relay address not 2 to 4 bytes";
		return FT_MALFORMED;
	}
	if (rd_has(r, 1) && r->buf[r->off] != 0x03) {
		if (!rd_be16(r, &type)) {
			p->why = "Frame Relay header cut by snap length";
			return FT_TRUNCATED;
		}
		return link_ethertype(r, type, p);
	}
	if (!rd_skip(r, 1) || !rd_u8(r, &nlpid) || (nlpid == 0 && !rd_u8(r, &nlpid))) {
		p->why = "Frame Relay header cut by snap length";
		return FT_TRUNCATED;
	}
	switch (nlpid) {
	case 0xCC:
		return link_ethertype(r, ETHERTYPE_IPV4, p);
	case 0x8E:
		return link_ethertype(r, ETHERTYPE_IPV6, p);
	case 0x80:
		if (!rd_skip(r, 3) || !rd_be16(r, &type)) {
			p->why = "Frame Relay SNAP header cut by snap length";
			return FT_TRUNCATED;
		}
		return link_ethertype(r, type, p);
	default:
		p->why = "Frame Relay NLPID not IP";
		return FT_UNSUPPORTED;
	}
}

/*
 * Linux NFLOG (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html):
 *
 *   | family (1) | version (1) | resource id (2, BE) | TLVs...
 *   TLV: | length (2) | type (2) | value, padded to 4 |   (host byte order)
 *
 * The packet is the value of type 9 (NFULA_PAYLOAD).  Host byte order is
 * the capturing host's, not told by the file: little-endian unless that
 * reading is impossible and the big-endian one is not.
 */
static enum ft_status link_nflog(struct rd *r, struct pkt *p)
{
	uint8_t family;
	if (!rd_u8(r, &family) || !rd_skip(r, 3)) {
		p->why = "NFLOG header cut by snap length";
		return FT_TRUNCATED;
	}
	for (unsigned i = 0; i < LINK_MAX_NFLOG_TLV; i++) {
		struct rd h = *r;
		uint16_t len = 0, type = 0, blen = 0, btype = 0;
		if (!rd_has(r, 4)) {
			p->why = rd_left(r) ? "NFLOG TLV cut by snap length" : "NFLOG without a payload";
			return rd_left(r) ? FT_TRUNCATED : FT_UNSUPPORTED;
		}
		rd_le16(&h, &len);
		rd_le16(&h, &type);
		h = *r;
		rd_be16(&h, &blen);
		rd_be16(&h, &btype);
		if ((len < 4 || len > rd_left(r)) && blen >= 4 && blen <= rd_left(r)) {
			len = blen;
			type = btype;
		}
		if (len < 4) {
			p->why = "NFLOG TLV length below 4";
			return FT_MALFORMED;
		}
		if ((type & 0x7FFF) == 9) {
			if (!rd_skip(r, 4)) /* checked above */
				return FT_TRUNCATED;
			/* the value may run past the snap length; the IP layer says so */
			switch (family) {
			case 2:
				return link_ethertype(r, ETHERTYPE_IPV4, p);
			case 10:
				return link_ethertype(r, ETHERTYPE_IPV6, p);
			default:
				return link_raw(r, p);
			}
		}
		if (!rd_skip(r, ((size_t)len + 3) & ~(size_t)3)) {
			p->why = "NFLOG TLV cut by snap length";
			return FT_TRUNCATED;
		}
	}
	p->why = "NFLOG with too many TLVs before the payload";
	return FT_UNSUPPORTED;
}

/*
 * Juniper pseudo-header (tcpdump's juniper_parse_header): magic "MGC",
 * a flags byte; flag 0x80 adds an extension block (2-byte length + that many
 * bytes), flag 0x02 says there is no layer 2 (4 more bytes, then IP).
 */
static enum ft_status link_juniper(struct rd *r, struct pkt *p)
{
	uint8_t m[3], flags;
	uint16_t ext;
	if (!rd_copy(r, m, 3) || !rd_u8(r, &flags)) {
		p->why = "Juniper header cut by snap length";
		return FT_TRUNCATED;
	}
	if (m[0] != 'M' || m[1] != 'G' || m[2] != 'C') {
		p->why = "Juniper header without its magic number";
		return FT_MALFORMED;
	}
	if ((flags & 0x80) && (!rd_be16(r, &ext) || !rd_skip(r, ext))) {
		p->why = "Juniper extension header cut by snap length";
		return FT_TRUNCATED;
	}
	if (flags & 0x02) {
		if (!rd_skip(r, 4)) {
			p->why = "Juniper header cut by snap length";
			return FT_TRUNCATED;
		}
		return link_raw(r, p);
	}
	return link_ether(r, p);
}

/* A header that gives its own length (LE, from its start) and the link type that follows. */
static enum ft_status link_hop(struct rd *r, struct pkt *p, bool pktap, int *dlt)
{
	struct rd h = *r;
	uint16_t len16 = 0;
	uint32_t len = 0, next = 0;
	bool ok;
	if (pktap) { /* pth_length (4), pth_type_next (4, 1 = a packet), pth_dlt (4) */
		uint32_t type_next = 0;
		ok = rd_le32(&h, &len) && rd_le32(&h, &type_next) && rd_le32(&h, &next);
		if (ok && type_next != 1) {
			p->why = "PKTAP record that is not a packet";
			return FT_UNSUPPORTED;
		}
	} else {
		/* PPI: version (1), flags (1), length (2), dlt (4) */
		ok = rd_skip(&h, 2) && rd_le16(&h, &len16) && rd_le32(&h, &next);
		len = len16;
	}
	if (!ok) {
		p->why = pktap ? "PKTAP header cut by snap length" : "PPI header cut by snap length";
		return FT_TRUNCATED;
	}
	if (len < 8 || next > 0x7FFFFFFF) {
		p->why = pktap ? "PKTAP header length below 8" : "PPI header length below 8";
		return FT_MALFORMED;
	}
	if (!rd_skip(r, len)) {
		p->why = pktap ? "PKTAP header cut by snap length" : "PPI header cut by snap length";
		return FT_TRUNCATED;
	}
	*dlt = (int)next;
	return FT_OK;
}

/* The headers of one link type; PPI and PKTAP name the next one in *dlt. */
static enum ft_status link_one(int dlt, struct rd *r, struct pkt *p, int *next)
{
	*next = -1;
	switch (dlt) {
	case LINK_NULL:
		return link_loop(r, p, true);
	case LINK_LOOP:
		return link_loop(r, p, false);
	case LINK_EN10MB:
		return link_ether(r, p);
	case LINK_RAW:
	case LINK_RAW_OPENBSD:
	case LINK_RAW_FILE:
		return link_raw(r, p);
	case LINK_IPV4:
		p->ethertype = ETHERTYPE_IPV4;
		return FT_OK;
	case LINK_IPV6:
		p->ethertype = ETHERTYPE_IPV6;
		return FT_OK;
	case LINK_LINUX_SLL:
		return link_sll(r, p, false);
	case LINK_LINUX_SLL2:
		return link_sll(r, p, true);
	case LINK_SLIP:
	case LINK_SLIP_BSDOS:
	case LINK_SLIP_BSDOS_FILE:
		/* libpcap's pseudo-header: direction, then the (VJ) link header, 16 in all */
		if (!rd_skip(r, 16)) {
			p->why = "SLIP pseudo-header cut by snap length";
			return FT_TRUNCATED;
		}
		if (rd_has(r, 1) && (r->buf[r->off] >> 4) != 4 && (r->buf[r->off] >> 4) != 6) {
			p->why = "SLIP packet not IP (VJ-compressed TCP)";
			return FT_UNSUPPORTED;
		}
		return link_raw(r, p);
	case LINK_PPP:
		return link_ppp(r, p);
	case LINK_PPP_SERIAL:
		return link_ppp_serial(r, p);
	case LINK_PPP_PPPD:
		/* HDLC-like framing whose address byte (0xff) is a direction: 0 in, 1 out */
		if (!rd_skip(r, 2)) {
			p->why = "PPP header cut by snap length";
			return FT_TRUNCATED;
		}
		return link_ppp(r, p);
	case LINK_PPP_WITH_DIR:
		/* a direction byte, then PPP as on DLT_PPP */
		if (!rd_skip(r, 1)) {
			p->why = "PPP direction byte cut by snap length";
			return FT_TRUNCATED;
		}
		return link_ppp(r, p);
	case LINK_PPP_ETHER:
		return link_pppoe(r, p);
	case LINK_C_HDLC:
		return link_chdlc(r, p);
	case LINK_FRELAY:
		return link_frelay(r, p);
	case LINK_FDDI: {
		uint8_t fc;
		if (!rd_u8(r, &fc) || !rd_skip(r, 12)) {
			p->why = "FDDI header cut by snap length";
			return FT_TRUNCATED;
		}
		if ((fc & 0xF8) != 0x50) {
			p->why = "FDDI frame not LLC";
			return FT_UNSUPPORTED;
		}
		return link_llc_snap(r, p, "FDDI frame without LLC/SNAP");
	}
	case LINK_ATM_RFC1483:
	case LINK_ATM_RFC1483_FILE:
		return link_llc_snap(r, p, "ATM frame without LLC/SNAP");
	case LINK_IEEE802_11:
		return link_80211(r, p, false);
	case LINK_RADIOTAP:
		return link_radiotap(r, p);
	case LINK_PRISM:
	case LINK_AVS:
		return link_prism(r, p);
	case LINK_PPI:
		return link_hop(r, p, false, next);
	case LINK_PKTAP:
		return link_hop(r, p, true, next);
	case LINK_MPLS:
		return link_ethertype(r, ETHERTYPE_MPLS, p);
	case LINK_IPNET: {
		/* version (1), family (1), htype (2), length (4), ifindexes and zones (16) */
		uint8_t family;
		if (!rd_skip(r, 1) || !rd_u8(r, &family) || !rd_skip(r, 22)) {
			p->why = "IPNET header cut by snap length";
			return FT_TRUNCATED;
		}
		if (family == 2)
			return link_ethertype(r, ETHERTYPE_IPV4, p);
		if (family == 26)
			return link_ethertype(r, ETHERTYPE_IPV6, p);
		p->why = "IPNET address family not IPv4/IPv6";
		return FT_UNSUPPORTED;
	}
	case LINK_NFLOG:
		return link_nflog(r, p);
	case LINK_PFLOG: {
		/* struct pfloghdr: its length (1, padded to 4), the address family (1), ... */
		uint8_t len, af;
		if (!rd_u8(r, &len) || !rd_u8(r, &af)) {
			p->why = "pflog header cut by snap length";
			return FT_TRUNCATED;
		}
		if (len < 2) {
			p->why = "pflog header length below 2";
			return FT_MALFORMED;
		}
		if (!rd_skip(r, (((size_t)len + 3) & ~(size_t)3) - 2)) {
			p->why = "pflog header cut by snap length";
			return FT_TRUNCATED;
		}
		if (af == LINK_AF_INET)
			return link_ethertype(r, ETHERTYPE_IPV4, p);
		if (link_af_inet6(af))
			return link_ethertype(r, ETHERTYPE_IPV6, p);
		p->why = "pflog address family not IPv4/IPv6";
		return FT_UNSUPPORTED;
	}
	case LINK_NETANALYZER:
	case LINK_NETANALYZER_T:
		if (!rd_skip(r, dlt == LINK_NETANALYZER ? 4 : 12)) {
			p->why = "netANALYZER header cut by snap length";
			return FT_TRUNCATED;
		}
		return link_ether(r, p);
	case LINK_IPOIB: {
		/* tcpdump's ipoib_print: 40 bytes of addresses, the type (2), reserved (2) */
		uint16_t type = 0;
		if (!rd_skip(r, 40) || !rd_be16(r, &type) || !rd_skip(r, 2)) {
			p->why = "IPoIB header cut by snap length";
			return FT_TRUNCATED;
		}
		return link_ethertype(r, type, p);
	}
	case LINK_JUNIPER_ETHER:
		return link_juniper(r, p);
	case LINK_DSA_BRCM:
		return link_dsa(r, p, 0, 4);
	case LINK_DSA_BRCM_PREPEND:
		return link_dsa(r, p, 4, 0);
	case LINK_DSA_DSA:
		return link_dsa(r, p, 0, 4);
	case LINK_DSA_EDSA:
		return link_dsa(r, p, 0, 8);
	default:
		p->why = "unsupported link type";
		return FT_UNSUPPORTED;
	}
}

enum ft_status link_decode(int dlt, const uint8_t *b, size_t cap_len, struct pkt *p,
			   size_t *l3_off)
{
	struct rd r = rd_make(b, cap_len);
	enum ft_status st = FT_UNSUPPORTED;

	for (unsigned hop = 0;; hop++) {
		int next;
		if (hop > LINK_MAX_HOPS) {
			p->why = "link headers nested too deep";
			st = FT_UNSUPPORTED;
			break;
		}
		st = link_one(dlt, &r, p, &next);
		if (st != FT_OK || next < 0)
			break;
		dlt = next;
	}
	/* r.off <= cap_len always holds (rd invariant), so the caller may slice there. */
	*l3_off = r.off;
	return st;
}
