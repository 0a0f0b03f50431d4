/* test_icmp.c - ICMP/ICMPv6 decoder: types, codes, the quoted packet, every strict prefix. */
#include <stdlib.h>
#include <string.h>

#include "icmp.h"
#include "pkt.h"
#include "t.h"

/*
 * ICMP messages alone (no IP header around them), built with python3
 * struct (checksums 0); the same shapes are in the crafted capture
 * crafted-icmp.pcap (tests/crafted/gen.py), which tshark reads as said.
 */

/* ICMP echo request id 4660 seq 1, 4 data bytes */
static const uint8_t v4_echo[] = {
	0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64,
};

/* ICMP port unreachable quoting 192.168.1.10.40000 > 192.168.1.53.53: DNS #abcd A? example.com */
static const uint8_t v4_port_dns[] = {
	0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x39,
	0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x0a,
	0xc0, 0xa8, 0x01, 0x35, 0x9c, 0x40, 0x00, 0x35, 0x00, 0x25, 0x00, 0x00,
	0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
	0x00, 0x00, 0x01, 0x00, 0x01,
};

/* ICMP fragmentation needed, next-hop MTU 1400, quoting a SYN 192.168.1.10.50000 > 93.184.216.34.443 */
static const uint8_t v4_needfrag_syn[] = {
	0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x05, 0x78, 0x45, 0x00, 0x00, 0x28,
	0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x0a,
	0x5d, 0xb8, 0xd8, 0x22, 0xc3, 0x50, 0x01, 0xbb, 0x00, 0x00, 0x03, 0xe8,
	0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
};

/* ICMP TTL exceeded quoting a SYN to port 80: IP header and 8 bytes only (RFC 792) */
static const uint8_t v4_ttl_syn8[] = {
	0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28,
	0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x0a,
	0x5d, 0xb8, 0xd8, 0x22, 0xc3, 0x51, 0x00, 0x50, 0x00, 0x00, 0x00, 0x05,
};

/* ICMPv6 port unreachable quoting [2001:db8:1::10]:50000 > [2001:db8:2::81]:443 QUIC Initial v1 */
static const uint8_t v6_port_quic[] = {
	0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00,
	0x00, 0x42, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x81,
	0xc3, 0x50, 0x01, 0xbb, 0x00, 0x42, 0x00, 0x00, 0xc3, 0x00, 0x00, 0x00,
	0x01, 0x08, 0x08, 0x02, 0xa1, 0x76, 0x4e, 0xc9, 0x45, 0xe1, 0x00, 0x00,
	0x44, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* ICMPv6 packet too big MTU 1232 quoting a PSH-ACK with 1300 B (40 bytes of it) */
static const uint8_t v6_toobig[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd0, 0x60, 0x00, 0x00, 0x00,
	0x05, 0x28, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x81,
	0xc3, 0x52, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00,
	0x50, 0x18, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

/* ICMPv6 parameter problem, erroneous header field, pointer 6, quoting only an IPv6 header */
static const uint8_t v6_param[] = {
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x60, 0x00, 0x00, 0x00,
	0x00, 0x08, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x81,
};

/* ICMPv6 echo reply id 7 seq 9 */
static const uint8_t v6_echo_reply[] = {
	0x81, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x09,
};

/* Decode a copy placed at the end of a heap block, so a read past the end trips ASan. */
static enum ft_status dec(uint8_t ver, const uint8_t *b, size_t cap, size_t len, struct icmp_info *m)
{
	uint8_t *c = malloc(cap ? cap : 1);
	if (!c)
		abort();
	memcpy(c, b, cap);
	enum ft_status st = icmp_decode(ver, c, cap, len, m);
	/* the quote points into the message: copy what the checks read, then free */
	static uint8_t keep[2048];
	if (m->q.pl && m->q.pl_cap <= sizeof keep) {
		memcpy(keep, m->q.pl, m->q.pl_cap);
		m->q.pl = keep;
	}
	free(c);
	return st;
}

/* Every strict prefix, cut by the snap length (len stays) and cut by the
 * sender (the message itself that short): never a crash, and the status
 * and the quote flags say how far it got. */
static void prefixes(uint8_t ver, const uint8_t *b, size_t n)
{
	struct icmp_info m;
	for (size_t k = 0; k < n; k++) {
		enum ft_status st = dec(ver, b, k, n, &m);
		CHECK_EQ_INT(st, k < 8 ? FT_TRUNCATED : FT_OK);
		st = dec(ver, b, k, k, &m);
		CHECK_EQ_INT(st, k < 8 ? FT_MALFORMED : FT_OK);
		if (m.q.ports)
			CHECK(m.q.ip);
		if (m.q.udp)
			CHECK(m.q.ports && m.q.pl_cap <= m.q.pl_len);
		if (m.q.dns || m.q.quic)
			CHECK(m.q.udp);
	}
}

static void test_echo(void)
{
	struct icmp_info m;
	CHECK_EQ_INT(dec(4, v4_echo, sizeof v4_echo, sizeof v4_echo, &m), FT_OK);
	CHECK_EQ_INT(m.kind, ICMP_K_ECHO_REQUEST);
	CHECK(!m.error);
	CHECK_EQ_INT(m.echo_id, 0x1234);
	CHECK_EQ_INT(m.echo_seq, 1);
	CHECK_EQ_INT(m.body_len, 4);
	CHECK_EQ_STR(icmp_type_name(4, m.type), "echo request");
	CHECK(icmp_meaning(&m) == NULL);
	CHECK_EQ_INT(dec(6, v6_echo_reply, sizeof v6_echo_reply, sizeof v6_echo_reply, &m), FT_OK);
	CHECK_EQ_INT(m.kind, ICMP_K_ECHO_REPLY);
	CHECK_EQ_INT(m.echo_id, 7);
	CHECK_EQ_INT(m.echo_seq, 9);
	CHECK_EQ_STR(icmp_type_name(6, 129), "echo reply");
	prefixes(4, v4_echo, sizeof v4_echo);
	prefixes(6, v6_echo_reply, sizeof v6_echo_reply);
}

static void test_port_dns(void)
{
	struct icmp_info m;
	CHECK_EQ_INT(dec(4, v4_port_dns, sizeof v4_port_dns, sizeof v4_port_dns, &m), FT_OK);
	CHECK_EQ_INT(m.kind, ICMP_K_UNREACH);
	CHECK(m.error && m.port_unreach && !m.quote_cut);
	CHECK_EQ_STR(icmp_code_name(4, 3, 3), "port unreachable");
	CHECK(m.q.ip && m.q.ports && m.q.udp && m.q.dns);
	CHECK_EQ_INT(m.q.ver, 4);
	CHECK_EQ_INT(m.q.proto, 17);
	CHECK(memcmp(m.q.src, "\xc0\xa8\x01\x0a", 4) == 0);
	CHECK(memcmp(m.q.dst, "\xc0\xa8\x01\x35", 4) == 0);
	CHECK_EQ_INT(m.q.sport, 40000);
	CHECK_EQ_INT(m.q.dport, 53);
	CHECK_EQ_INT(m.q.dns_id, 0xabcd);
	CHECK(!m.q.dns_qr);
	CHECK_EQ_INT(m.q.pl_len, 29);
	CHECK_EQ_INT(m.q.pl_cap, 29);
	CHECK_EQ_STR(icmp_meaning(&m), "no DNS server there");
	/* a router that quotes the IP header and 8 bytes (RFC 792): ports, no DNS id */
	CHECK_EQ_INT(dec(4, v4_port_dns, 8 + 20 + 8, 8 + 20 + 8, &m), FT_OK);
	CHECK(m.q.ports && m.q.udp && !m.q.dns && m.q.pl_cap == 0 && m.q.pl_len == 29);
	/* cut inside the ports: the IP part stays, the rest is flagged missing */
	CHECK_EQ_INT(dec(4, v4_port_dns, 8 + 20 + 3, sizeof v4_port_dns, &m), FT_OK);
	CHECK(m.q.ip && !m.q.ports && m.quote_cut);
	/* cut inside the IP header: no quote at all */
	CHECK_EQ_INT(dec(4, v4_port_dns, 8 + 19, sizeof v4_port_dns, &m), FT_OK);
	CHECK(!m.q.ip && m.quote_cut);
	prefixes(4, v4_port_dns, sizeof v4_port_dns);
}

static void test_needfrag_ttl(void)
{
	struct icmp_info m;
	CHECK_EQ_INT(dec(4, v4_needfrag_syn, sizeof v4_needfrag_syn, sizeof v4_needfrag_syn, &m), FT_OK);
	CHECK_EQ_INT(m.kind, ICMP_K_TOO_BIG);
	CHECK(m.error && !m.port_unreach);
	CHECK_EQ_INT(m.mtu, 1400);
	CHECK(m.q.tcp_flags_ok);
	CHECK_EQ_INT(m.q.tcp_flags, TCP_SYN);
	CHECK_EQ_INT(m.q.tcp_seq, 1000);
	CHECK_EQ_INT(m.q.tcp_pl_len, 0);
	CHECK_EQ_INT(m.q.dport, 443);
	CHECK_EQ_STR(icmp_code_name(4, 3, 4), "fragmentation needed");
	prefixes(4, v4_needfrag_syn, sizeof v4_needfrag_syn);

	CHECK_EQ_INT(dec(4, v4_ttl_syn8, sizeof v4_ttl_syn8, sizeof v4_ttl_syn8, &m), FT_OK);
	CHECK_EQ_INT(m.kind, ICMP_K_TIME_EXCEEDED);
	CHECK_EQ_STR(icmp_code_name(4, 11, 0), "TTL exceeded in transit");
	CHECK(m.q.ports && !m.q.tcp_flags_ok && m.quote_cut); /* 8 bytes: no flags */
	CHECK_EQ_INT(m.q.dport, 80);
	CHECK_EQ_INT(m.q.tcp_seq, 5);
	CHECK(icmp_meaning(&m) != NULL);
	prefixes(4, v4_ttl_syn8, sizeof v4_ttl_syn8);
}

static void test_v6(void)
{
	struct icmp_info m;
	CHECK_EQ_INT(dec(6, v6_port_quic, sizeof v6_port_quic, sizeof v6_port_quic, &m), FT_OK);
	CHECK_EQ_INT(m.kind, ICMP_K_UNREACH);
	CHECK(m.port_unreach);
	CHECK_EQ_STR(icmp_code_name(6, 1, 4), "port unreachable");
	CHECK(m.q.ip && m.q.udp && m.q.quic);
	CHECK_EQ_INT(m.q.ver, 6);
	CHECK_EQ_INT(m.q.dport, 443);
	CHECK_EQ_INT(m.q.sport, 50000);
	CHECK_EQ_INT(m.q.quic_type, QUIC_INITIAL);
	CHECK_EQ_INT(m.q.quic_version, 1);
	CHECK_EQ_STR(icmp_meaning(&m), "no HTTP/3 there; a browser falls back to TCP");
	/* the QUIC header's first bytes are enough to name it; no payload is not */
	CHECK_EQ_INT(dec(6, v6_port_quic, 8 + 40 + 8 + 7, sizeof v6_port_quic, &m), FT_OK);
	CHECK(m.q.udp && m.q.quic && m.q.quic_type == QUIC_INITIAL);
	CHECK_EQ_INT(dec(6, v6_port_quic, 8 + 40 + 8, sizeof v6_port_quic, &m), FT_OK);
	CHECK(m.q.udp && !m.q.quic);
	CHECK_EQ_STR(icmp_meaning(&m), "no HTTP/3 there; a browser falls back to TCP");
	prefixes(6, v6_port_quic, sizeof v6_port_quic);

	CHECK_EQ_INT(dec(6, v6_toobig, sizeof v6_toobig, sizeof v6_toobig, &m), FT_OK);
	CHECK_EQ_INT(m.kind, ICMP_K_TOO_BIG);
	CHECK_EQ_INT(m.mtu, 1232);
	CHECK(m.q.tcp_flags_ok);
	CHECK_EQ_INT(m.q.tcp_flags, TCP_PSH | TCP_ACK);
	CHECK_EQ_INT(m.q.tcp_pl_len, 1300);
	CHECK_EQ_STR(icmp_type_name(6, 2), "packet too big");
	prefixes(6, v6_toobig, sizeof v6_toobig);

	CHECK_EQ_INT(dec(6, v6_param, sizeof v6_param, sizeof v6_param, &m), FT_OK);
	CHECK_EQ_INT(m.kind, ICMP_K_PARAM_PROBLEM);
	CHECK_EQ_INT(m.pointer, 6);
	CHECK(m.q.ip && !m.q.ports && m.quote_cut);
	CHECK_EQ_STR(icmp_code_name(6, 4, 0), "erroneous header field");
	prefixes(6, v6_param, sizeof v6_param);
}

/* A quoted IPv6 packet with a Hop-by-Hop header before its UDP header (ip.c
 * walks the chain), and an IPv4 one with 4 bytes of options (IHL 6). */
static void test_quote_headers(void)
{
	uint8_t m[8 + 40 + 8 + 8 + 4];
	struct icmp_info i;
	memcpy(m, v6_port_quic, 8 + 40);
	m[8 + 6] = 0;                       /* next header: Hop-by-Hop */
	static const uint8_t hbh[8] = { 17, 0, 1, 4, 0, 0, 0, 0 }; /* then UDP; PadN */
	memcpy(m + 48, hbh, 8);
	memcpy(m + 56, v6_port_quic + 48, 8 + 4);
	CHECK_EQ_INT(dec(6, m, sizeof m, sizeof m, &i), FT_OK);
	CHECK(i.q.ip && i.q.ports && i.q.udp);
	CHECK_EQ_INT(i.q.proto, 17);
	CHECK_EQ_INT(i.q.dport, 443);
	CHECK_EQ_INT(i.q.pl_cap, 4);
	prefixes(6, m, sizeof m);

	uint8_t m4[sizeof v4_port_dns + 4];
	memcpy(m4, v4_port_dns, 8);
	memcpy(m4 + 8, v4_port_dns + 8, 20);
	m4[8] = 0x46;                        /* IHL 6 */
	memset(m4 + 28, 1, 4);               /* four NOP options */
	memcpy(m4 + 32, v4_port_dns + 28, sizeof v4_port_dns - 28);
	CHECK_EQ_INT(dec(4, m4, sizeof m4, sizeof m4, &i), FT_OK);
	CHECK(i.q.ip && i.q.dns);
	CHECK_EQ_INT(i.q.dns_id, 0xabcd);
	CHECK_EQ_INT(i.q.sport, 40000);
	prefixes(4, m4, sizeof m4);
}

/* Every code has a name where the RFCs give one; unknown ones have none. */
static void test_names(void)
{
	for (unsigned c = 0; c <= 15; c++)
		CHECK(icmp_code_name(4, 3, (uint8_t)c) != NULL);
	for (unsigned c = 0; c <= 8; c++)
		CHECK(icmp_code_name(6, 1, (uint8_t)c) != NULL);
	CHECK(icmp_code_name(4, 3, 16) == NULL);
	CHECK(icmp_type_name(4, 200) == NULL);
	CHECK_EQ_STR(icmp_code_name(6, 1, 1), "communication administratively prohibited");
	CHECK_EQ_STR(icmp_code_name(4, 3, 13), "communication administratively prohibited");
}

/* pkt_decode takes ICMP as a layer: LAYER_DONE, no ports, p->icmp filled;
 * a cut ICMP header is "[|icmp]". */
static void test_pkt_layer(void)
{
	uint8_t frame[14 + 20 + sizeof v4_port_dns];
	static const uint8_t eth[14] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00 };
	struct pkt p;
	memcpy(frame, eth, 14);
	memcpy(frame + 14, v4_port_dns + 8, 20); /* borrow an IPv4 header ... */
	frame[14 + 2] = (uint8_t)((20 + sizeof v4_port_dns) >> 8);
	frame[14 + 3] = (uint8_t)(20 + sizeof v4_port_dns);
	frame[14 + 9] = 1; /* ... carrying ICMP */
	memcpy(frame + 34, v4_port_dns, sizeof v4_port_dns);
	CHECK_EQ_INT(pkt_decode(1, frame, sizeof frame, sizeof frame, 0, &p), FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK_EQ_INT(p.proto, 1);
	CHECK_EQ_INT(p.sport, 0);
	CHECK(p.icmp.port_unreach && p.icmp.q.dns);
	CHECK_EQ_INT(pkt_decode(1, frame, 34 + 5, sizeof frame, 0, &p), FT_TRUNCATED);
	CHECK_EQ_INT(p.layer, LAYER_ICMP);
	for (uint32_t k = 0; k < sizeof frame; k++)
		pkt_decode(1, frame, k, sizeof frame, 0, &p);
}

int main(void)
{
	test_echo();
	test_port_dns();
	test_needfrag_ttl();
	test_v6();
	test_quote_headers();
	test_names();
	test_pkt_layer();
	return t_done("test_icmp");
}
