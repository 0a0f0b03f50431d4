/* pkt.h - one packet decoded from the link layer up to UDP/TCP/ICMP. */
#ifndef FT_PKT_H
#define FT_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "icmp.h"
#include "status.h"

#define PKT_MAX_VLAN 4   /* tags recorded; deeper stacks are still walked (bounded) */
#define PKT_MAX_SACK 4   /* SACK blocks an option can hold (RFC 2018: at most 4) */
#define PKT_MAX_V6_EXT 8 /* IPv6 extension headers walked before giving up */
#define PKT_MAX_ENCAP 4  /* encapsulations recorded; deeper ones are still walked */
#define PKT_MAX_NEST 8   /* tunnels (IP inside IP) walked before the packet is refused */

/* TCP flag bits as on the wire (RFC 9293 section 3.1). */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* The flags by name, in the order they are printed: SYN FIN RST PSH URG ACK ECE CWR. */
#define TCP_N_FLAGS 8
struct tcp_flag_name {
	uint8_t bit;        /* TCP_* */
	const char *name;   /* "SYN" ... */
};
extern const struct tcp_flag_name tcp_flag_names[TCP_N_FLAGS];

/* Which layer a decode stopped at, for the "[|tcp]" / "(malformed ip: ...)" marks. */
enum pkt_layer {
	LAYER_LINK = 0,
	LAYER_IP,
	LAYER_TCP,
	LAYER_UDP,
	LAYER_ICMP,
	LAYER_DONE, /* decoded up to the transport payload (ICMP: its header, and the
	               quote of an error as far as it goes) */
};

/* TCP options seen on one segment (RFC 9293 3.2, RFC 7323, RFC 2018). */
struct tcp_opts {
	bool has_mss;                      /* MSS option present */
	bool has_ws;                       /* window scale option present */
	bool sack_ok;                      /* SACK-permitted present */
	bool has_ts;                       /* timestamps present */
	bool bad;                          /* an option had an impossible length; walk stopped */
	uint16_t mss;                      /* maximum segment size */
	uint8_t ws;                        /* window scale shift count */
	uint8_t n_sack;                    /* SACK blocks recorded in sack[] */
	uint32_t tsval, tsecr;             /* timestamp value and echo reply */
	uint32_t sack[PKT_MAX_SACK][2];    /* SACK blocks: left edge, right edge (absolute) */
};

/*
 * An encapsulation the walk went through on its way to the IP packet the
 * rest of the tracer sees (link.c, tunnel.c).  The packet's addresses,
 * ports and payload are the innermost ones: the fetch is inside.
 */
enum pkt_encap_kind {
	ENCAP_PPPOE = 1, /* PPPoE session (RFC 2516); id: session id */
	ENCAP_MPLS,      /* MPLS label stack (RFC 3032); id: top label, n: labels */
	ENCAP_GRE,       /* GRE (RFC 2784, 2890); id: key when has_id (version 1: PPTP call id); n: version */
	ENCAP_ERSPAN,    /* ERSPAN in GRE; id: session id when has_id; n: type 1-3 */
	ENCAP_VXLAN,     /* VXLAN (RFC 7348), UDP 4789; id: VNI */
	ENCAP_GENEVE,    /* Geneve (RFC 8926), UDP 6081; id: VNI */
	ENCAP_GTPU,      /* GTP-U v1 (3GPP TS 29.281), UDP 2152; id: TEID */
	ENCAP_IPIP,      /* IP in IP (RFC 2003, 4213); n: outer version << 4 | inner */
	ENCAP_TEREDO,    /* Teredo (RFC 4380), UDP 3544 */
};

struct pkt_encap {
	uint8_t kind;   /* ENCAP_* */
	uint8_t n;      /* per kind, see enum pkt_encap_kind */
	bool has_id;    /* id is set */
	uint32_t id;    /* VNI, key, TEID, session id, label */
};

/* Where an IP length came from when the header's was not used (pkt.c). */
enum pkt_len_from {
	PKT_LEN_HDR = 0, /* the header's length */
	PKT_LEN_FRAME,   /* header said 0 (TSO / BIG TCP on the sender): the frame's */
	PKT_LEN_JUMBO,   /* IPv6 payload length 0: the Jumbo Payload option's (RFC 2675) */
};

/* The name of an ENCAP_* kind as printed ("VXLAN"); "?" for others. */
const char *pkt_encap_name(unsigned kind);

struct pkt {
	/* --- capture --- */
	int64_t ts_us;       /* time stamp, microseconds since the epoch */
	uint32_t cap_len;    /* bytes captured */
	uint32_t wire_len;   /* bytes the packet had on the wire */

	/* --- decode outcome --- */
	enum ft_status status;  /* FT_OK, or TRUNCATED / MALFORMED / UNSUPPORTED at `layer` */
	enum pkt_layer layer;   /* layer reached (LAYER_DONE when all headers decoded) */
	const char *why;        /* static text naming the problem, NULL when status is FT_OK */

	/* --- link --- */
	uint8_t n_vlan;                  /* 802.1Q/802.1ad tags seen (may exceed PKT_MAX_VLAN) */
	uint16_t vlan[PKT_MAX_VLAN];     /* VLAN ids, outermost first */
	uint16_t ethertype;              /* network protocol after the link header */
	uint32_t l3_off;                 /* where the IP header starts in the frame */
	uint32_t l4_off;                 /* where the transport header starts, from the IP
	                                    header's start (valid once the IP layer decoded) */

	/* --- encapsulation (link-layer sessions and tunnels), outermost first --- */
	uint8_t n_encap;                     /* walked (may exceed PKT_MAX_ENCAP) */
	struct pkt_encap encap[PKT_MAX_ENCAP]; /* the first PKT_MAX_ENCAP of them */
	uint8_t len_from;                    /* PKT_LEN_*: where ip_len came from */

	/* --- IP --- */
	uint8_t ip_ver;       /* 4 or 6; 0 when not IP */
	uint8_t src[16];      /* source address; IPv4 uses the first 4 bytes */
	uint8_t dst[16];      /* destination address */
	uint8_t proto;        /* transport protocol number (after IPv6 extension headers) */
	uint8_t ttl;          /* TTL or hop limit */
	bool frag;            /* part of a fragmented datagram */
	bool frag_later;      /* a non-first fragment: no transport header in it */
	bool frag_more;       /* fragment: more fragments follow (MF / M flag) */
	uint32_t frag_id;     /* fragment: Identification (v4 16 bits, v6 32 bits) */
	uint32_t frag_off;    /* fragment: offset of its data in the datagram, in bytes */
	uint32_t frag_data_off; /* fragment: where its data starts, from the IP header's start
	                           (v4: the header length; v6: just past the Fragment header) */
	uint8_t frag_nh;      /* fragment: v4 protocol; v6 the Fragment header's Next Header */
	uint8_t n_reasm;      /* a datagram reassembled from this many fragments (frag.c;
	                         255 = 255 or more), 0 for a packet as captured */
	uint32_t reasm_len;   /* n_reasm: the bytes reassembled (after the IP header and, v6,
	                         the Fragment header), as tshark's "reassembled length" */
	uint32_t ip_len;      /* IP datagram length from the header (payload for v6 + 40) */

	/* --- transport --- */
	uint16_t sport, dport;   /* ports (TCP and UDP; 0 for ICMP) */
	uint32_t seq, ack;       /* TCP sequence and acknowledgement numbers (absolute) */
	uint8_t tcp_flags;       /* TCP_* bits */
	uint16_t win;            /* TCP window field, unscaled */
	struct tcp_opts opt;     /* TCP options */

	/* --- ICMP / ICMPv6 (proto 1 / 58), valid when layer is LAYER_DONE --- */
	struct icmp_info icmp;   /* type, code, and the packet an error quotes */

	/* --- payload --- */
	const uint8_t *pl;   /* transport payload, valid until the next packet */
	uint32_t pl_cap;     /* payload bytes captured (<= pl_len) */
	uint32_t pl_len;     /* payload length according to the headers */
};

/*
 * Decode one captured frame of link type `dlt` (a DLT_* number).
 * Always fills p->status/layer/why; never reads past cap_len.
 * Returns p->status.
 */
enum ft_status pkt_decode(int dlt, const uint8_t *data, uint32_t cap_len,
			  uint32_t wire_len, int64_t ts_us, struct pkt *p);

/* True when pkt_decode understands this link type. */
bool pkt_link_supported(int dlt);

/* Per-layer pieces, for the unit tests.  Each reads b[0..cap_len). */
enum ft_status link_decode(int dlt, const uint8_t *b, size_t cap_len, struct pkt *p,
			   size_t *l3_off);
enum ft_status ip_decode(const uint8_t *b, size_t cap_len, struct pkt *p, size_t *l4_off);
enum ft_status tcp_decode(const uint8_t *b, size_t cap_len, size_t l4_len, struct pkt *p);
enum ft_status udp_decode(const uint8_t *b, size_t cap_len, size_t l4_len, struct pkt *p);

#endif
