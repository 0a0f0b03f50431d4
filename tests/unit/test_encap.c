/* test_encap.c - the link types and tunnels of issue 13: each frame decoded to its inner TCP SYN with
 * the encapsulations recorded, every prefix under ASan, hostile headers, TSO and jumbo lengths. */
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "t.h"
#include "encap_frames.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Decode a copy of b[0..n) in an exact-size heap block, so ASan sees any over-read. */
static enum ft_status dec_wire(int dlt, const uint8_t *b, size_t n, size_t wire, struct pkt *p)
{
	uint8_t *buf = malloc(n ? n : 1);
	enum ft_status st;
	if (!buf)
		abort();
	if (n)
		memcpy(buf, b, n);
	st = pkt_decode(dlt, n ? buf : buf + 1, (uint32_t)n, (uint32_t)wire, 7, p);
	free(buf);
	return st;
}

/* Every generated frame: the inner SYN to port 80, its encapsulations, and its prefixes. */
static void test_frames(void)
{
	for (size_t i = 0; i < N(encap_frames); i++) {
		const struct encap_frame *f = &encap_frames[i];
		struct pkt p;
		CHECK(pkt_link_supported(f->dlt));
		if (dec_wire(f->dlt, f->b, f->n, f->n, &p) != FT_OK || p.layer != LAYER_DONE)
			fprintf(stderr, "frame %s: status %d layer %d why %s\n", f->name, p.status,
				p.layer, p.why ? p.why : "-");
		CHECK_EQ_INT(p.status, FT_OK);
		CHECK_EQ_INT(p.layer, LAYER_DONE);
		CHECK_EQ_INT(p.ip_ver, f->ip_ver);
		CHECK_EQ_INT(p.proto, 6);
		CHECK_EQ_INT(p.sport, f->sport);
		CHECK_EQ_INT(p.dport, 80);
		CHECK_EQ_INT(p.tcp_flags, TCP_SYN);
		CHECK_EQ_INT(p.opt.mss, 1460);
		CHECK_EQ_INT(p.n_encap, f->n_kinds);
		for (unsigned k = 0; k < f->n_kinds && k < PKT_MAX_ENCAP; k++)
			CHECK_EQ_INT(p.encap[k].kind, f->kinds[k]);
		CHECK_EQ_INT(p.len_from, PKT_LEN_HDR);
		/* every strict prefix, as a snap length cuts it: cut, never "malformed", never a crash */
		for (size_t k = 0; k < f->n; k++) {
			enum ft_status st = dec_wire(f->dlt, f->b, k, f->n, &p);
			if (st == FT_MALFORMED)
				fprintf(stderr, "frame %s cut at %zu: malformed: %s\n", f->name, k, p.why);
			CHECK(st != FT_MALFORMED);
			CHECK(st != FT_OK || p.layer != LAYER_DONE || p.sport != f->sport ||
			      p.pl_cap <= p.pl_len);
		}
		/* and every one-byte change, for the sanitizers (the result is not judged) */
		uint8_t *m = malloc(f->n);
		if (!m)
			abort();
		for (size_t k = 0; k < f->n; k++) {
			memcpy(m, f->b, f->n);
			m[k] ^= 0xFF;
			dec_wire(f->dlt, m, f->n, f->n, &p);
			CHECK(p.status == FT_OK || p.why != NULL);
		}
		free(m);
	}
}

/* Values recorded on the way: VNI, key, TEID, session, labels, ERSPAN session, IP-in-IP versions. */
static void test_encap_ids(void)
{
	struct pkt p;
	for (size_t i = 0; i < N(encap_frames); i++) {
		const struct encap_frame *f = &encap_frames[i];
		dec_wire(f->dlt, f->b, f->n, f->n, &p);
		const struct pkt_encap *e = &p.encap[0];
		if (!strcmp(f->name, "vxlan")) {
			CHECK(e->has_id);
			CHECK_EQ_INT(e->id, 42);
		} else if (!strcmp(f->name, "gre-key-seq") || !strcmp(f->name, "gre-teb")) {
			CHECK(e->has_id);
			CHECK_EQ_INT(e->id, !strcmp(f->name, "gre-teb") ? 77 : 5);
		} else if (!strcmp(f->name, "gre")) {
			CHECK(!e->has_id);
			CHECK_EQ_INT(e->n, 0);
		} else if (!strcmp(f->name, "geneve")) {
			CHECK_EQ_INT(e->id, 7);
		} else if (!strcmp(f->name, "gtpu")) {
			CHECK_EQ_INT(e->id, 0xABCDEF01u);
		} else if (!strcmp(f->name, "erspan2") || !strcmp(f->name, "erspan3")) {
			CHECK_EQ_INT(e->n, f->name[6] == '2' ? 2 : 3);
			CHECK_EQ_INT(e->id, f->name[6] == '2' ? 33 : 44);
		} else if (!strcmp(f->name, "6in4")) {
			CHECK_EQ_INT(e->n, 4 << 4 | 6);
		} else if (!strcmp(f->name, "4in6")) {
			CHECK_EQ_INT(e->n, 6 << 4 | 4);
		} else if (!strcmp(f->name, "mpls") && f->dlt == 1) {
			CHECK_EQ_INT(e->id, 16);
			CHECK_EQ_INT(e->n, 3);
		} else if (!strcmp(f->name, "pppoe-qinq")) {
			CHECK_EQ_INT(e->id, 0x42);
			CHECK_EQ_INT(p.n_vlan, 2);
			CHECK_EQ_INT(p.vlan[0], 100);
			CHECK_EQ_INT(p.vlan[1], 200);
		} else if (!strcmp(f->name, "vxlan-in-gre")) {
			CHECK_EQ_INT(p.encap[1].id, 9);
		}
	}
	CHECK_EQ_STR(pkt_encap_name(ENCAP_VXLAN), "VXLAN");
	CHECK_EQ_STR(pkt_encap_name(0), "?");
	CHECK_EQ_STR(pkt_encap_name(200), "?");
}

/* A raw IPv4 UDP 1234 > 53 with 2 payload bytes (30 bytes), the base of the hand-made cases. */
static const uint8_t v4_udp[] = {
	0x45, 0x00, 0x00, 0x1e, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	0xc0, 0x00, 0x02, 0x0a, 0xc0, 0x00, 0x02, 0x35, 0x04, 0xd2, 0x00, 0x35,
	0x00, 0x0a, 0x00, 0x00, 0x78, 0x79,
};

/* Wrap b in n IPv4-in-IPv4 headers (protocol 4), outermost first; returns the length. */
static size_t wrap_ipip(uint8_t *out, size_t cap, const uint8_t *b, size_t n, unsigned times)
{
	size_t len = n;
	if (n + 20 * (size_t)times > cap)
		abort();
	memcpy(out + 20 * (size_t)times, b, n);
	for (unsigned i = 0; i < times; i++) {
		uint8_t *h = out + 20 * (size_t)(times - 1 - i);
		len += 20;
		memcpy(h, v4_udp, 20);
		h[2] = (uint8_t)(len >> 8);
		h[3] = (uint8_t)len;
		h[9] = 4;
	}
	return len;
}

static void test_nesting(void)
{
	uint8_t b[400];
	struct pkt p;
	size_t n;

	/* PKT_MAX_NEST tunnels are walked to the UDP inside */
	n = wrap_ipip(b, sizeof b, v4_udp, sizeof v4_udp, PKT_MAX_NEST);
	CHECK_EQ_INT(dec_wire(228, b, n, n, &p), FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK_EQ_INT(p.dport, 53);
	CHECK_EQ_INT(p.n_encap, PKT_MAX_NEST);
	CHECK_EQ_INT(p.encap[PKT_MAX_ENCAP - 1].kind, ENCAP_IPIP);
	/* one more and the walk stops: the innermost it reached is shown as IP-in-IP */
	n = wrap_ipip(b, sizeof b, v4_udp, sizeof v4_udp, PKT_MAX_NEST + 1);
	CHECK_EQ_INT(dec_wire(228, b, n, n, &p), FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_IP);
	CHECK_EQ_INT(p.proto, 4);
	CHECK_EQ_INT(p.n_encap, PKT_MAX_NEST);
	/* an inner length beyond what the outer carries: the inner lies */
	n = wrap_ipip(b, sizeof b, v4_udp, sizeof v4_udp, 1);
	b[20 + 3] = 200;
	CHECK_EQ_INT(dec_wire(228, b, n, n, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "IP length exceeds frame length");
	/* nor into the outer datagram's link padding (the frame is 10 bytes longer) */
	n = wrap_ipip(b, sizeof b, v4_udp, sizeof v4_udp, 1);
	memset(b + n, 0, 10);
	b[20 + 3] = (uint8_t)(sizeof v4_udp + 10);
	CHECK_EQ_INT(dec_wire(228, b, n + 10, n + 10, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "IP length exceeds frame length");
	/* the same with the inner length right: the padding is left out of its payload */
	b[20 + 3] = (uint8_t)sizeof v4_udp;
	CHECK_EQ_INT(dec_wire(228, b, n + 10, n + 10, &p), FT_OK);
	CHECK_EQ_INT(p.pl_len, 2);
	/* an outer fragment is not opened: its payload is only part of the tunnel's */
	n = wrap_ipip(b, sizeof b, v4_udp, sizeof v4_udp, 1);
	b[6] = 0x20; /* MF */
	CHECK_EQ_INT(dec_wire(228, b, n, n, &p), FT_OK);
	CHECK_EQ_INT(p.proto, 4);
	CHECK_EQ_INT(p.n_encap, 0);
}

/* PPTP's GRE (version 1, RFC 2637 4.1): PPP inside; an acknowledgement alone is no tunnel. */
static void test_pptp(void)
{
	uint8_t b[128];
	struct pkt p;
	static const uint8_t gre1[] = { 0x30, 0x01, 0x88, 0x0B, 0x00, 34, 0x12, 0x34,
					0x00, 0x00, 0x00, 0x07, 0xFF, 0x03, 0x00, 0x21 };
	static const uint8_t ack1[] = { 0x20, 0x81, 0x88, 0x0B, 0x00, 0x00, 0x12, 0x34,
					0x00, 0x00, 0x00, 0x07 };
	size_t n = 20 + sizeof gre1 + sizeof v4_udp;

	memcpy(b, v4_udp, 20);
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	b[9] = 47;
	memcpy(b + 20, gre1, sizeof gre1);
	memcpy(b + 20 + sizeof gre1, v4_udp, sizeof v4_udp);
	CHECK_EQ_INT(dec_wire(228, b, n, n, &p), FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK_EQ_INT(p.dport, 53);
	CHECK_EQ_INT(p.n_encap, 1);
	CHECK_EQ_INT(p.encap[0].kind, ENCAP_GRE);
	CHECK_EQ_INT(p.encap[0].n, 1);
	CHECK_EQ_INT(p.encap[0].id, 0x1234); /* the call id */
	/* an LCP frame inside: not IP, said so */
	b[20 + 14] = 0xC0;
	CHECK_EQ_INT(dec_wire(228, b, n, n, &p), FT_UNSUPPORTED);
	CHECK_EQ_STR(p.why, "PPP control protocol (not IP)");

	n = 20 + sizeof ack1;
	b[2] = 0;
	b[3] = (uint8_t)n;
	memcpy(b + 20, ack1, sizeof ack1);
	CHECK_EQ_INT(dec_wire(228, b, n, n, &p), FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_IP);
	CHECK_EQ_INT(p.proto, 47);
	CHECK_EQ_INT(p.n_encap, 0);
}

/* TSO / BIG TCP: IPv4 total length 0 and IPv6 payload length 0, with and without a Jumbo option. */
static void test_lengths(void)
{
	uint8_t b[200];
	struct pkt p;

	memcpy(b, v4_udp, sizeof v4_udp);
	b[2] = b[3] = 0;
	CHECK_EQ_INT(dec_wire(228, b, sizeof v4_udp, sizeof v4_udp, &p), FT_OK);
	CHECK_EQ_INT(p.len_from, PKT_LEN_FRAME);
	CHECK_EQ_INT(p.ip_len, 30);
	CHECK_EQ_INT(p.pl_len, 2);
	/* cut by the snap length: the length on the wire, the payload cut */
	CHECK_EQ_INT(dec_wire(228, b, 29, 30, &p), FT_OK);
	CHECK_EQ_INT(p.ip_len, 30);
	CHECK_EQ_INT(p.pl_len, 2);
	CHECK_EQ_INT(p.pl_cap, 1);
	/* a header length below 20 is still wrong */
	b[3] = 19;
	CHECK_EQ_INT(dec_wire(228, b, sizeof v4_udp, sizeof v4_udp, &p), FT_MALFORMED);

	/* IPv6 UDP 1234 > 53, payload length 0, no extension header: the frame's */
	static const uint8_t v6h[40] = {
		0x60, 0, 0, 0, 0x00, 0x00, 17, 64,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	};
	memcpy(b, v6h, 40);
	memcpy(b + 40, v4_udp + 20, 10);
	CHECK_EQ_INT(dec_wire(229, b, 50, 50, &p), FT_OK);
	CHECK_EQ_INT(p.len_from, PKT_LEN_FRAME);
	CHECK_EQ_INT(p.ip_len, 50);
	CHECK_EQ_INT(p.dport, 53);
	CHECK_EQ_INT(p.pl_len, 2);
	/* with a Hop-by-Hop header holding a Jumbo Payload option (RFC 2675 2: at 4n + 2),
	 * 70000 bytes after the IPv6 header, No Next Header after it; cut at 58 bytes */
	b[6] = 0; /* next header: Hop-by-Hop */
	static const uint8_t hbh[8] = { 59, 0, 0xC2, 4, 0x00, 0x01, 0x11, 0x70 };
	memcpy(b + 40, hbh, 8);
	CHECK_EQ_INT(dec_wire(229, b, 58, 40 + 70000, &p), FT_OK);
	CHECK_EQ_INT(p.len_from, PKT_LEN_JUMBO);
	CHECK_EQ_INT(p.ip_len, 40 + 70000);
	CHECK_EQ_INT(p.proto, 59);
	CHECK_EQ_INT(p.pl_len, 70000 - 8);
	CHECK_EQ_INT(p.pl_cap, 10);
	/* a Jumbo length beyond the frame: the usual lie */
	CHECK_EQ_INT(dec_wire(229, b, 58, 40 + 69999, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "IP length exceeds frame length");
	/* every prefix of the jumbogram */
	for (size_t k = 0; k < 58; k++)
		dec_wire(229, b, k, 40 + 70000, &p);
	/* a Jumbo length that fits in 16 bits is an error (RFC 2675 3) */
	b[44] = b[45] = 0;
	b[46] = 0x01;
	b[47] = 0x00;
	CHECK_EQ_INT(dec_wire(229, b, 58, 58, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "IPv6 Jumbo Payload length below 65536");
	/* a Jumbo length of 2^32 - 1 does not wrap */
	b[44] = b[45] = b[46] = b[47] = 0xFF;
	CHECK_EQ_INT(dec_wire(229, b, 58, 58, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "IPv6 Jumbo Payload length too large");
}

/* Link types that cannot carry IP stay refused; the ones of issue 13 are accepted. */
static void test_supported(void)
{
	static const int no[] = { -1, 2, 147, 187, 189, 195, 201, 220, 227, 277, 65535 };
	static const int yes[] = { 8, 9, 10, 11, 50, 51, 100, 104, 105, 107, 119, 127, 163, 166,
				   117, 178, 192, 204, 219, 226, 239, 240, 241, 242, 258, 281, 282, 284, 285 };
	for (size_t i = 0; i < N(no); i++)
		CHECK(!pkt_link_supported(no[i]));
	for (size_t i = 0; i < N(yes); i++)
		CHECK(pkt_link_supported(yes[i]));
}

/* Hostile link headers: lengths that point past the frame, chains that do not end. */
static void test_hostile(void)
{
	uint8_t b[256];
	struct pkt p;

	/* radiotap length 0xffff */
	memset(b, 0, sizeof b);
	b[2] = 0xFF;
	b[3] = 0xFF;
	CHECK_EQ_INT(dec_wire(127, b, 64, 64, &p), FT_TRUNCATED);
	/* radiotap with every present word chaining (bit 31) to the end of the header */
	memset(b, 0xFF, sizeof b);
	b[0] = 0;
	b[2] = 64;
	b[3] = 0;
	CHECK_EQ_INT(dec_wire(127, b, 200, 200, &p), FT_MALFORMED);
	/* PPI naming PPI naming PPI...: the hops are capped */
	for (size_t i = 0; i < 32; i++) {
		uint8_t *h = b + 8 * i;
		h[0] = 0;
		h[1] = 0;
		h[2] = 8;
		h[3] = 0;
		h[4] = 192;
		h[5] = h[6] = h[7] = 0;
	}
	CHECK_EQ_INT(dec_wire(192, b, 256, 256, &p), FT_UNSUPPORTED);
	CHECK_EQ_STR(p.why, "link headers nested too deep");
	/* NFLOG TLVs of length 4 to the end, no payload */
	memset(b, 0, sizeof b);
	b[0] = 2;
	for (size_t off = 4; off + 4 <= 256; off += 4) {
		b[off] = 4;
		b[off + 2] = 1;
	}
	CHECK_EQ_INT(dec_wire(239, b, 256, 256, &p), FT_UNSUPPORTED);
	/* NFLOG TLV of length 0 */
	memset(b, 0, sizeof b);
	b[0] = 2;
	CHECK_EQ_INT(dec_wire(239, b, 16, 16, &p), FT_MALFORMED);
	/* an MPLS stack that never sets bottom-of-stack */
	memset(b, 0, sizeof b);
	CHECK_EQ_INT(dec_wire(219, b, 256, 256, &p), FT_UNSUPPORTED);
	CHECK_EQ_STR(p.why, "MPLS label stack deeper than 16");
	/* Ethernet carrying MPLS carrying a pseudowire Ethernet carrying MPLS... */
	memset(b, 0, sizeof b);
	for (size_t off = 0; off + 22 <= sizeof b; off += 22) {
		b[off + 12] = 0x88;
		b[off + 13] = 0x47;
		b[off + 14 + 2] = 0x01; /* label 0, bottom of stack */
		/* then a control word (first nibble 0) and the next Ethernet header */
	}
	CHECK(dec_wire(1, b, sizeof b, sizeof b, &p) != FT_OK);
	/* Frame Relay address without an end */
	memset(b, 0, 8);
	CHECK_EQ_INT(dec_wire(107, b, 8, 8, &p), FT_MALFORMED);
	/* 802.11 protected data frame: not decoded, said so */
	memset(b, 0, sizeof b);
	b[0] = 0x08;
	b[1] = 0x41;
	CHECK_EQ_INT(dec_wire(105, b, 64, 64, &p), FT_UNSUPPORTED);
	CHECK_EQ_STR(p.why, "protected 802.11 frame (encrypted, not decoded)");
	/* PPP LCP */
	static const uint8_t lcp[] = { 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x04 };
	CHECK_EQ_INT(dec_wire(9, lcp, sizeof lcp, sizeof lcp, &p), FT_UNSUPPORTED);
	CHECK_EQ_STR(p.why, "PPP control protocol (not IP)");
}

int main(void)
{
	test_frames();
	test_encap_ids();
	test_nesting();
	test_pptp();
	test_lengths();
	test_supported();
	test_hostile();
	return t_done("test_encap");
}
