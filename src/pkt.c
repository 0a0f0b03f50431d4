/* pkt.c - decode one captured frame: link -> IP -> TCP/UDP/ICMP, first problem wins. */
#include <string.h>

#include "encap.h"
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
 * Forget the outer packet's IP fields (and any a later layer would have
 * set) before the inner packet's are decoded; keep what the walk
 * learned on the way: capture, link and encapsulation.
 */
static void pkt_inner(struct pkt *p)
{
	struct pkt keep = *p;
	memset(p, 0, sizeof *p);
	p->ts_us = keep.ts_us;
	p->cap_len = keep.cap_len;
	p->wire_len = keep.wire_len;
	p->n_vlan = keep.n_vlan;
	memcpy(p->vlan, keep.vlan, sizeof p->vlan);
	p->ethertype = keep.ethertype;
	p->n_encap = keep.n_encap;
	memcpy(p->encap, keep.encap, sizeof p->encap);
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

	/*
	 * IP, and while the IP payload is a tunnel, the IP inside it: the
	 * innermost packet is the one the tracer sees; the tunnels are
	 * recorded in p->encap.  Each pass moves l3_off forward past at least
	 * an IP header, and there are at most PKT_MAX_NEST + 1 passes.
	 *
	 * end_cap and end_wire bound what the packet being decoded may use:
	 * the frame for the outermost, then the datagram that carries it
	 * (captured, and as its IP header says) -- an inner packet never
	 * reaches into the outer one's link padding.
	 */
	size_t end_cap = cap_len, end_wire = wire_len >= cap_len ? wire_len : cap_len;
	for (unsigned nest = 0;; nest++) {
		size_t inner_off = 0, frame;
		bool found;

		/* link_decode and tunnel_decode leave l3_off <= end_cap <= cap_len. */
		p->layer = LAYER_IP;
		p->l3_off = (uint32_t)l3_off;
		ip = data + l3_off;
		ip_cap = end_cap - l3_off;
		st = ip_decode(ip, ip_cap, p, &l4_off);
		if (st != FT_OK)
			goto out;
		p->l4_off = (uint32_t)l4_off;

		/*
		 * The frame's bytes from this IP header on, as on the wire
		 * (wire_len < cap_len means the capture record is itself
		 * inconsistent: the captured bytes are all there is).
		 */
		frame = end_wire - l3_off;
		if (p->len_from == PKT_LEN_FRAME) {
			/*
			 * IPv4 total length 0, or IPv6 payload length 0 without a
			 * Jumbo option: a super-segment captured on the sender
			 * before the NIC cut it (TSO, BIG TCP).  Like tshark, the
			 * frame says how long it is.
			 */
			if (frame > UINT32_MAX || frame < l4_off) {
				p->why = "IP length 0 and the frame shorter than the header";
				st = FT_MALFORMED;
				goto out;
			}
			p->ip_len = (uint32_t)frame;
		}
		/*
		 * An IP length beyond the frame on the wire is a lie, not a snap
		 * length cut (tcpdump's "truncated-ip").  An inconsistent record
		 * (wire_len < cap_len) is not judged.
		 */
		if (wire_len >= cap_len && p->ip_len > frame) {
			p->why = "IP length exceeds frame length";
			st = FT_MALFORMED;
			goto out;
		}
		if (nest >= PKT_MAX_NEST)
			break;
		usable = ip_cap < p->ip_len ? ip_cap : p->ip_len;
		st = tunnel_decode(ip, l4_off, usable, p, &inner_off, &found);
		if (st != FT_OK)
			goto out;
		if (!found)
			break;
		/* The inner packet replaces the outer one's IP and transport fields. */
		end_cap = l3_off + usable;
		end_wire = l3_off + p->ip_len;
		l3_off += inner_off; /* inner_off <= usable: tunnel_decode read inside it */
		pkt_inner(p);
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
