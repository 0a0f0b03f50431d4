/* icmp.c - ICMP and ICMPv6 messages, and the packet an error quotes (its IP header,
 * ports, TCP flags, and what a quoted UDP datagram carried: DNS or QUIC). */
#include "icmp.h"

#include <string.h>

#include "pkt.h"
#include "quic.h"
#include "rd.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define DNS_PORT 53
#define QUIC_PORT 443

/* ICMP types (RFC 792, RFC 6633) and ICMPv6 types (RFC 4443, RFC 4861, RFC 2710). */
enum {
	ICMP4_ECHO_REPLY = 0, ICMP4_UNREACH = 3, ICMP4_SOURCE_QUENCH = 4, ICMP4_REDIRECT = 5,
	ICMP4_ECHO = 8, ICMP4_TIME_EXCEEDED = 11, ICMP4_PARAM_PROBLEM = 12,
	ICMP4_UNREACH_PORT = 3, ICMP4_UNREACH_NEEDFRAG = 4,
	ICMP6_UNREACH = 1, ICMP6_TOO_BIG = 2, ICMP6_TIME_EXCEEDED = 3, ICMP6_PARAM_PROBLEM = 4,
	ICMP6_ECHO = 128, ICMP6_ECHO_REPLY = 129, ICMP6_UNREACH_PORT = 4,
};

struct icmp_name {
	uint8_t type;      /* the type */
	int code;          /* the code, or -1 for the type's own name */
	const char *name;  /* how it is spelled in output */
};

static const struct icmp_name icmp4_names[] = {
	{ 0, -1, "echo reply" },
	{ 3, -1, "destination unreachable" },
	{ 3, 0, "net unreachable" },
	{ 3, 1, "host unreachable" },
	{ 3, 2, "protocol unreachable" },
	{ 3, 3, "port unreachable" },
	{ 3, 4, "fragmentation needed" },
	{ 3, 5, "source route failed" },
	{ 3, 6, "destination network unknown" },
	{ 3, 7, "destination host unknown" },
	{ 3, 8, "source host isolated" },
	{ 3, 9, "network administratively prohibited" },
	{ 3, 10, "host administratively prohibited" },
	{ 3, 11, "network unreachable for TOS" },
	{ 3, 12, "host unreachable for TOS" },
	{ 3, 13, "communication administratively prohibited" },
	{ 3, 14, "host precedence violation" },
	{ 3, 15, "precedence cutoff in effect" },
	{ 4, -1, "source quench" },
	{ 5, -1, "redirect" },
	{ 5, 0, "redirect for network" },
	{ 5, 1, "redirect for host" },
	{ 5, 2, "redirect for TOS and network" },
	{ 5, 3, "redirect for TOS and host" },
	{ 8, -1, "echo request" },
	{ 9, -1, "router advertisement" },
	{ 10, -1, "router solicitation" },
	{ 11, -1, "time exceeded" },
	{ 11, 0, "TTL exceeded in transit" },
	{ 11, 1, "fragment reassembly time exceeded" },
	{ 12, -1, "parameter problem" },
	{ 12, 0, "pointer indicates the error" },
	{ 12, 1, "missing a required option" },
	{ 12, 2, "bad length" },
	{ 13, -1, "timestamp request" },
	{ 14, -1, "timestamp reply" },
};

static const struct icmp_name icmp6_names[] = {
	{ 1, -1, "destination unreachable" },
	{ 1, 0, "no route to destination" },
	{ 1, 1, "communication administratively prohibited" },
	{ 1, 2, "beyond scope of source address" },
	{ 1, 3, "address unreachable" },
	{ 1, 4, "port unreachable" },
	{ 1, 5, "source address failed ingress/egress policy" },
	{ 1, 6, "reject route to destination" },
	{ 1, 7, "error in source routing header" },
	{ 1, 8, "headers too long" },
	{ 2, -1, "packet too big" },
	{ 3, -1, "time exceeded" },
	{ 3, 0, "hop limit exceeded in transit" },
	{ 3, 1, "fragment reassembly time exceeded" },
	{ 4, -1, "parameter problem" },
	{ 4, 0, "erroneous header field" },
	{ 4, 1, "unrecognized next header" },
	{ 4, 2, "unrecognized IPv6 option" },
	{ 4, 3, "first fragment has incomplete header chain" },
	{ 128, -1, "echo request" },
	{ 129, -1, "echo reply" },
	{ 130, -1, "multicast listener query" },
	{ 131, -1, "multicast listener report" },
	{ 132, -1, "multicast listener done" },
	{ 133, -1, "router solicitation" },
	{ 134, -1, "router advertisement" },
	{ 135, -1, "neighbor solicitation" },
	{ 136, -1, "neighbor advertisement" },
	{ 137, -1, "redirect" },
	{ 143, -1, "multicast listener report v2" },
};

static const char *name_find(uint8_t ver, uint8_t type, int code)
{
	const struct icmp_name *t = ver == 6 ? icmp6_names : icmp4_names;
	size_t n = ver == 6 ? sizeof icmp6_names / sizeof icmp6_names[0]
			    : sizeof icmp4_names / sizeof icmp4_names[0];
	for (size_t i = 0; i < n; i++)
		if (t[i].type == type && t[i].code == code)
			return t[i].name;
	return NULL;
}

const char *icmp_type_name(uint8_t ver, uint8_t type) { return name_find(ver, type, -1); }

const char *icmp_code_name(uint8_t ver, uint8_t type, uint8_t code)
{
	return name_find(ver, type, code);
}

/* Type and code to the kind; sets error and port_unreach. */
static void classify(struct icmp_info *m)
{
	if (m->ver == 4) {
		switch (m->type) {
		case ICMP4_ECHO: m->kind = ICMP_K_ECHO_REQUEST; break;
		case ICMP4_ECHO_REPLY: m->kind = ICMP_K_ECHO_REPLY; break;
		case ICMP4_UNREACH:
			m->kind = m->code == ICMP4_UNREACH_NEEDFRAG ? ICMP_K_TOO_BIG : ICMP_K_UNREACH;
			m->port_unreach = m->code == ICMP4_UNREACH_PORT;
			break;
		case ICMP4_TIME_EXCEEDED: m->kind = ICMP_K_TIME_EXCEEDED; break;
		case ICMP4_PARAM_PROBLEM: m->kind = ICMP_K_PARAM_PROBLEM; break;
		case ICMP4_REDIRECT: m->kind = ICMP_K_REDIRECT; break;
		case ICMP4_SOURCE_QUENCH: m->kind = ICMP_K_SOURCE_QUENCH; break;
		default: m->kind = ICMP_K_OTHER; break;
		}
	} else {
		switch (m->type) {
		case ICMP6_ECHO: m->kind = ICMP_K_ECHO_REQUEST; break;
		case ICMP6_ECHO_REPLY: m->kind = ICMP_K_ECHO_REPLY; break;
		case ICMP6_UNREACH:
			m->kind = ICMP_K_UNREACH;
			m->port_unreach = m->code == ICMP6_UNREACH_PORT;
			break;
		case ICMP6_TOO_BIG: m->kind = ICMP_K_TOO_BIG; break;
		case ICMP6_TIME_EXCEEDED: m->kind = ICMP_K_TIME_EXCEEDED; break;
		case ICMP6_PARAM_PROBLEM: m->kind = ICMP_K_PARAM_PROBLEM; break;
		default: m->kind = ICMP_K_OTHER; break;
		}
	}
	m->error = m->kind == ICMP_K_UNREACH || m->kind == ICMP_K_TOO_BIG ||
		   m->kind == ICMP_K_TIME_EXCEEDED || m->kind == ICMP_K_PARAM_PROBLEM ||
		   m->kind == ICMP_K_REDIRECT || m->kind == ICMP_K_SOURCE_QUENCH;
}

/*
 * The quoted UDP payload: a DNS header (port 53, 4 bytes: id and the
 * flags byte with QR) or a QUIC packet header (port 443; quic.c reads only
 * the header, which fits in the first bytes of any useful quote).
 */
static void quote_udp_payload(struct icmp_quote *q)
{
	struct rd r = rd_make(q->pl, q->pl_cap);
	if (q->dport == DNS_PORT || q->sport == DNS_PORT) {
		uint8_t fl;
		if (rd_be16(&r, &q->dns_id) && rd_u8(&r, &fl)) {
			q->dns = true;
			q->dns_qr = (fl & 0x80) != 0;
		}
		return;
	}
	if (q->dport == QUIC_PORT || q->sport == QUIC_PORT) {
		struct quic_info qi;
		if (q->pl_cap == 0)
			return;
		enum ft_status st = quic_decode(q->pl, q->pl_cap, &qi);
		if (st == FT_UNSUPPORTED || st == FT_MALFORMED || qi.n_pkts == 0)
			return;
		q->quic = true;
		q->quic_type = qi.pkt[0].type;
		q->quic_version = qi.pkt[0].version;
	}
}

/*
 * The quote: an IP header (options and IPv6 extension headers walked by
 * ip.c), then the first bytes of the transport header.  Returns true when
 * the quote holds all of the transport header fields we read (8 bytes of
 * UDP, 14 of TCP); false when it stops earlier, which is common and fine.
 */
static bool quote_decode(uint8_t ver, const uint8_t *b, size_t len, struct icmp_quote *q)
{
	struct pkt ip;
	size_t l4_off = 0;
	memset(&ip, 0, sizeof ip);
	ip.ethertype = ver == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
	if (ip_decode(b, len, &ip, &l4_off) != FT_OK)
		return false;
	q->ip = true;
	q->ver = ip.ip_ver;
	q->proto = ip.proto;
	memcpy(q->src, ip.src, sizeof q->src);
	memcpy(q->dst, ip.dst, sizeof q->dst);
	if (ip.frag_later || (ip.proto != 6 && ip.proto != 17))
		return true; /* nothing more to read: not cut */

	/* l4_off <= len (ip_decode read that far). */
	struct rd r = rd_make(b + l4_off, len - l4_off);
	if (!rd_be16(&r, &q->sport) || !rd_be16(&r, &q->dport))
		return false;
	q->ports = true;
	if (ip.proto == 6) {
		if (!rd_be32(&r, &q->tcp_seq))
			return false;
		uint8_t doff;
		if (!rd_skip(&r, 4) || !rd_u8(&r, &doff) || !rd_u8(&r, &q->tcp_flags))
			return false;
		q->tcp_flags_ok = true;
		/* ip_len counts the IP header (v6: 40 + payload); l4_off covers it and
		 * any options or extension headers. */
		size_t hl = (size_t)(doff >> 4) * 4;
		if (hl >= 20 && ip.ip_len >= l4_off && ip.ip_len - l4_off >= hl)
			q->tcp_pl_len = (uint32_t)(ip.ip_len - l4_off - hl);
		return true;
	}
	uint16_t ulen;
	if (!rd_be16(&r, &ulen) || !rd_skip(&r, 2))
		return false;
	q->udp = true;
	q->pl_len = ulen >= 8 ? (uint32_t)(ulen - 8) : 0;
	size_t have = rd_left(&r);
	q->pl_cap = (uint32_t)(have < q->pl_len ? have : q->pl_len);
	q->pl = q->pl_cap ? rd_ptr(&r) : NULL;
	quote_udp_payload(q);
	return true;
}

/*
 * The header, RFC 792 and RFC 4443 2.1:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  type-specific: echo id and sequence; v4 unreachable/needfrag:  |
 *   |  unused(16) next-hop MTU(16) (RFC 1191); v6 packet too big: MTU |
 *   |  (32); parameter problem: pointer (v4 8 bits, v6 32 bits)       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  errors: as much of the offending packet as fits (v4: its IP    |
 *   |  header and at least 8 bytes, RFC 1812 4.3.2.3 more; v6: up to  |
 *   |  the minimum MTU, RFC 4443 2.4 (c))                              |
 *
 * RFC 4884 extension objects after a padded quote are not read.
 */
enum ft_status icmp_decode(uint8_t ver, const uint8_t *b, size_t cap_len, size_t len,
			   struct icmp_info *out)
{
	uint16_t cksum, w1, w2;
	memset(out, 0, sizeof *out);
	out->ver = ver == 6 ? 6 : 4;
	if (cap_len > len)
		cap_len = len;
	struct rd r = rd_make(b, cap_len);
	bool named = rd_u8(&r, &out->type) && rd_u8(&r, &out->code);
	if (named)
		classify(out);
	if (len < 8) {
		out->why = "ICMP message shorter than 8 bytes";
		return out->status = FT_MALFORMED;
	}
	if (!rd_be16(&r, &cksum) || !rd_be16(&r, &w1) || !rd_be16(&r, &w2)) {
		out->why = "ICMP header cut by snap length";
		return out->status = FT_TRUNCATED;
	}
	out->body_len = (uint32_t)(len - 8);
	switch (out->kind) {
	case ICMP_K_ECHO_REQUEST:
	case ICMP_K_ECHO_REPLY:
		out->echo_id = w1;
		out->echo_seq = w2;
		break;
	case ICMP_K_TOO_BIG:
		out->mtu = out->ver == 6 ? (uint32_t)w1 << 16 | w2 : w2;
		break;
	case ICMP_K_PARAM_PROBLEM:
		out->pointer = out->ver == 6 ? (uint32_t)w1 << 16 | w2 : (uint32_t)(w1 >> 8);
		break;
	default:
		break;
	}
	if (out->error)
		out->quote_cut = !quote_decode(out->ver, rd_ptr(&r), rd_left(&r), &out->q);
	return out->status = FT_OK;
}

/* Destination unreachable codes that mean a filter said no (v4 9, 10, 13; v6 1, 5, 6). */
static bool admin_prohibited(const struct icmp_info *m)
{
	if (m->kind != ICMP_K_UNREACH)
		return false;
	if (m->ver == 4)
		return m->code == 9 || m->code == 10 || m->code == 13;
	return m->code == 1 || m->code == 5 || m->code == 6;
}

const char *icmp_meaning(const struct icmp_info *m)
{
	const struct icmp_quote *q = &m->q;
	bool udp = q->ip && q->ports && q->proto == 17;
	bool quic = udp && q->dport == QUIC_PORT;
	bool dns = udp && q->dport == DNS_PORT;
	if (!m->error)
		return NULL;
	if (m->port_unreach && quic)
		return "no HTTP/3 there; a browser falls back to TCP";
	if (m->port_unreach && dns)
		return "no DNS server there";
	if (admin_prohibited(m) && quic)
		return "UDP 443 blocked by a filter; a browser falls back to TCP";
	if (admin_prohibited(m))
		return "blocked by a filter";
	if (m->kind == ICMP_K_UNREACH && m->port_unreach)
		return "nothing listens on that port";
	if (m->kind == ICMP_K_TOO_BIG)
		return "too big for the path; the sender must send smaller packets (path MTU "
		       "discovery)";
	if (m->kind == ICMP_K_TIME_EXCEEDED && m->code == 0)
		return "the packet's TTL ran out on the way (a routing loop, or traceroute)";
	return NULL;
}

const char *icmp_quic_type_name(enum quic_type t)
{
	switch (t) {
	case QUIC_SHORT: return "1-RTT packet";
	case QUIC_INITIAL: return "Initial";
	case QUIC_0RTT: return "0-RTT packet";
	case QUIC_HANDSHAKE: return "Handshake packet";
	case QUIC_RETRY: return "Retry";
	case QUIC_VERSION_NEG: return "Version Negotiation";
	}
	return "packet";
}
