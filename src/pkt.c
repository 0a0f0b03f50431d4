/* pkt.c - decode one captured frame: link -> IP -> TCP/UDP/ICMP, first problem wins. */
#include <string.h>

#include "pkt.h"

#define IPPROTO_NUM_TCP 6
#define IPPROTO_NUM_UDP 17

struct status_name {
	enum ft_status value; /* status */
	const char *name;     /* how it is spelled in output */
};

static const struct status_name status_names[] = {
	{ FT_OK, "ok" },
	{ FT_NEED_MORE, "need-more" },
	{ FT_TRUNCATED, "truncated" },
	{ FT_MALFORMED, "malformed" },
	{ FT_UNSUPPORTED, "unsupported" },
};

const struct tcp_flag_name tcp_flag_names[TCP_N_FLAGS] = {
	{ TCP_SYN, "SYN" }, { TCP_FIN, "FIN" }, { TCP_RST, "RST" }, { TCP_PSH, "PSH" },
	{ TCP_URG, "URG" }, { TCP_ACK, "ACK" }, { TCP_ECE, "ECE" }, { TCP_CWR, "CWR" },
};

const char *ft_status_name(enum ft_status st)
{
	for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
		if (status_names[i].value == st)
			return status_names[i].name;
	return "unknown";
}

/*
 * The chain.  p->layer names the layer being decoded when a problem is
 * found, and LAYER_DONE once the TCP or UDP header is decoded.  Outcomes
 * that stop early with FT_OK:
 *   - a non-first IP fragment (p->frag_later): layer LAYER_IP;
 *   - a transport other than TCP/UDP/ICMP: layer LAYER_IP.
 * ICMP (v4 over IPv4, v6 over IPv6) ends at LAYER_DONE with p->icmp
 * filled and p->pl the whole ICMP message (its quote points into it).
 * In both, p->pl/pl_len/pl_cap describe the IP payload.  When only the
 * transport payload was cut by the snap length the status is FT_OK with
 * pl_cap < pl_len.
 */
enum ft_status pkt_decode(int dlt, const uint8_t *data, uint32_t cap_len,
			  uint32_t wire_len, int64_t ts_us, struct pkt *p)
{
	const uint8_t *ip;
	size_t l3_off = 0, l4_off = 0, ip_cap, usable, l4_len, l4_cap;
	enum ft_status st;

	memset(p, 0, sizeof *p);
	p->ts_us = ts_us;
	p->cap_len = cap_len;
	p->wire_len = wire_len;

	p->layer = LAYER_LINK;
	st = link_decode(dlt, data, cap_len, p, &l3_off);
	if (st != FT_OK)
		goto out;

	/* link_decode leaves l3_off <= cap_len. */
	p->layer = LAYER_IP;
	p->l3_off = (uint32_t)l3_off;
	ip = data + l3_off;
	ip_cap = cap_len - l3_off;
	st = ip_decode(ip, ip_cap, p, &l4_off);
	if (st != FT_OK)
		goto out;
	p->l4_off = (uint32_t)l4_off;

	/*
	 * An IP length beyond the frame on the wire is a lie, not a snap
	 * length cut (tcpdump's "truncated-ip").  wire_len < cap_len means
	 * the capture record is itself inconsistent; the check is skipped.
	 */
	if (wire_len >= cap_len && p->ip_len > wire_len - l3_off) {
		p->why = "IP length exceeds frame length";
		st = FT_MALFORMED;
		goto out;
	}

	/*
	 * Bytes past the IP length are link padding (Ethernet pads to 60).
	 * ip_decode returned OK, so l4_off <= ip_len and l4_off <= ip_cap.
	 */
	usable = ip_cap < p->ip_len ? ip_cap : p->ip_len;
	l4_len = p->ip_len - l4_off;
	l4_cap = usable - l4_off;

	if (!p->frag_later && ((p->ip_ver == 4 && p->proto == IPPROTO_NUM_ICMP) ||
			       (p->ip_ver == 6 && p->proto == IPPROTO_NUM_ICMPV6))) {
		/* The payload is the ICMP message; its quote points into it. */
		p->layer = LAYER_ICMP;
		p->pl_len = (uint32_t)l4_len;
		p->pl_cap = (uint32_t)l4_cap;
		p->pl = l4_cap ? ip + l4_off : NULL;
		st = icmp_decode(p->ip_ver, p->pl, l4_cap, l4_len, &p->icmp);
		if (st == FT_OK)
			p->layer = LAYER_DONE;
		else
			p->why = p->icmp.why;
		goto out;
	}
	if (p->frag_later ||
	    (p->proto != IPPROTO_NUM_TCP && p->proto != IPPROTO_NUM_UDP)) {
		p->pl_len = (uint32_t)l4_len;
		p->pl_cap = (uint32_t)l4_cap;
		p->pl = l4_cap ? ip + l4_off : NULL;
		goto out;
	}

	if (p->proto == IPPROTO_NUM_TCP) {
		p->layer = LAYER_TCP;
		st = tcp_decode(ip + l4_off, l4_cap, l4_len, p);
	} else {
		p->layer = LAYER_UDP;
		st = udp_decode(ip + l4_off, l4_cap, l4_len, p);
	}
	if (st == FT_OK)
		p->layer = LAYER_DONE;
out:
	p->status = st;
	if (st == FT_OK)
		p->why = NULL;
	return st;
}
