/* test_pkt.c - link/IP/TCP/UDP decoders from good and bad byte tables, every prefix under ASan. */
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "t.h"

/*
 * Byte tables built with python3 struct (checksums of TCP/UDP left 0) and
 * cross-checked with `tcpdump -nn -v -e`, whose reading is quoted above
 * each one.  Addresses: 192.168.1.10 -> 93.184.216.34, 2001:db8::1 -> ::2.
 */

/* IPv4 TCP 54321 > 80 [S] seq 287454020 win 64240 <mss 1460,sackOK,TS val 658188 ecr 0,nop,wscale 7> */
static const uint8_t eth_v4_syn[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06,
	0x26, 0xe9, 0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22, 0xd4, 0x31,
	0x00, 0x50, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
	0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
	0x08, 0x0a, 0x00, 0x0a, 0x0b, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
	0x03, 0x07,
};

/* IPv6 TCP 443 > 50000 [P.] seq 1000:1005 ack 2000 win 509, payload "hello" */
static const uint8_t eth_v6_tcp[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x19, 0x06, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0xbb, 0xc3, 0x50, 0x00, 0x00,
	0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, 0x50, 0x18, 0x01, 0xfd, 0x00, 0x00,
	0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* IPv4 UDP 40000 > 8.8.8.8.53, DNS A? example.com. (29 bytes) */
static const uint8_t eth_v4_dns[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x39, 0x1c, 0x46, 0x00, 0x00, 0x40, 0x11,
	0x8c, 0xac, 0xc0, 0xa8, 0x01, 0x0a, 0x08, 0x08, 0x08, 0x08, 0x9c, 0x40,
	0x00, 0x35, 0x00, 0x25, 0x00, 0x00, 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
};

/* 802.1Q vlan 100 p 1, IPv4 UDP 1234 > 53, 2 payload bytes */
static const uint8_t vlan[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x81, 0x00, 0x20, 0x64, 0x08, 0x00, 0x45, 0x00, 0x00, 0x1e, 0x1c, 0x46,
	0x40, 0x00, 0x40, 0x11, 0x26, 0xfc, 0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8,
	0xd8, 0x22, 0x04, 0xd2, 0x00, 0x35, 0x00, 0x0a, 0x00, 0x00, 0x78, 0x79,
};

/* 802.1ad vlan 200, 802.1Q vlan 100, IPv4 UDP 1234 > 53, 2 payload bytes */
static const uint8_t qinq[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x88, 0xa8, 0x00, 0xc8, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x1e, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0x26, 0xfc, 0xc0, 0xa8,
	0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22, 0x04, 0xd2, 0x00, 0x35, 0x00, 0x0a,
	0x00, 0x00, 0x78, 0x79,
};

/* Linux cooked v1, IPv4 TCP 80 > 54321 [.] seq 5:8 ack 6 win 100, "abc" */
static const uint8_t sll[] = {
	0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x2b, 0x1c, 0x46, 0x40, 0x00,
	0x40, 0x06, 0x26, 0xfa, 0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22,
	0x00, 0x50, 0xd4, 0x31, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x06,
	0x50, 0x10, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x61, 0x62, 0x63,
};

/* Linux cooked v2 ifindex 2 Out, IPv6 UDP 5353 > 5353, "mdns" */
static const uint8_t sll2[] = {
	0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x04, 0x06,
	0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00,
	0x00, 0x0c, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x14, 0xe9, 0x14, 0xe9, 0x00, 0x0c, 0x00, 0x00, 0x6d, 0x64, 0x6e, 0x73,
};

/* DLT_NULL AF 2 little-endian, IPv4 UDP 1 > 2, 1 payload byte */
static const uint8_t null_le[] = {
	0x02, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x1d, 0x1c, 0x46, 0x40, 0x00,
	0x40, 0x11, 0x26, 0xfd, 0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22,
	0x00, 0x01, 0x00, 0x02, 0x00, 0x09, 0x00, 0x00, 0x7a,
};

/* DLT_NULL AF 2 big-endian, IPv4 UDP 1 > 2, 1 payload byte */
static const uint8_t null_be[] = {
	0x00, 0x00, 0x00, 0x02, 0x45, 0x00, 0x00, 0x1d, 0x1c, 0x46, 0x40, 0x00,
	0x40, 0x11, 0x26, 0xfd, 0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22,
	0x00, 0x01, 0x00, 0x02, 0x00, 0x09, 0x00, 0x00, 0x7a,
};

/* DLT_NULL AF 30 (Darwin AF_INET6) little-endian, IPv6 UDP 1 > 2 */
static const uint8_t null_v6_le30[] = {
	0x1e, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x09, 0x11, 0x40,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02,
	0x00, 0x09, 0x00, 0x00, 0x7a,
};

/* DLT_LOOP AF 24 (OpenBSD AF_INET6), IPv6 UDP 1 > 2 */
static const uint8_t loop_v6_24[] = {
	0x00, 0x00, 0x00, 0x18, 0x60, 0x00, 0x00, 0x00, 0x00, 0x09, 0x11, 0x40,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02,
	0x00, 0x09, 0x00, 0x00, 0x7a,
};

/* raw IPv4 UDP 1 > 2, 1 payload byte */
static const uint8_t raw_v4[] = {
	0x45, 0x00, 0x00, 0x1d, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0x26, 0xfd,
	0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22, 0x00, 0x01, 0x00, 0x02,
	0x00, 0x09, 0x00, 0x00, 0x7a,
};

/* IPv4 IHL 6 with Router Alert option, UDP 7 > 9, "data" */
static const uint8_t v4_opts[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x08, 0x00, 0x46, 0x00, 0x00, 0x24, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11,
	0x91, 0xf1, 0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22, 0x94, 0x04,
	0x00, 0x00, 0x00, 0x07, 0x00, 0x09, 0x00, 0x0c, 0x00, 0x00, 0x64, 0x61,
	0x74, 0x61,
};

/* IPv4 first fragment (MF), UDP 5000 > 6000 length 48, 16 bytes here */
static const uint8_t v4_frag_first[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x1c, 0x46, 0x20, 0x00, 0x40, 0x11,
	0x46, 0xee, 0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22, 0x13, 0x88,
	0x17, 0x70, 0x00, 0x30, 0x00, 0x00, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
	0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
};

/* IPv4 fragment offset 24 bytes (3 units), 24 bytes of UDP data */
static const uint8_t v4_frag_later[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x1c, 0x46, 0x00, 0x03, 0x40, 0x11,
	0x66, 0xeb, 0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
};

/* IPv6 Hop-by-Hop (PadN) + Fragment (offset 0, M) + UDP 5000 > 6000 length 100 */
static const uint8_t v6_hbh_frag[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x2c, 0x00, 0x01, 0x04, 0x00, 0x00,
	0x00, 0x00, 0x11, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, 0x13, 0x88,
	0x17, 0x70, 0x00, 0x64, 0x00, 0x00, 0x71, 0x71, 0x71, 0x71, 0x71, 0x71,
	0x71, 0x71,
};

/* IPv6 Fragment offset 24 bytes, 16 bytes of data */
static const uint8_t v6_frag_later[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x2c, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x00, 0x00, 0x18, 0xde, 0xad,
	0xbe, 0xef, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72,
	0x72, 0x72, 0x72, 0x72, 0x72, 0x72,
};

/* raw IPv6 (DLT_IPV6) with 8 Destination Options headers, then UDP 1 > 2 empty */
static const uint8_t v6_ext8[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x48, 0x3c, 0x40, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x02, 0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x04,
	0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x04,
	0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x11, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02,
	0x00, 0x08, 0x00, 0x00,
};

/* raw IPv6 with 9 Destination Options headers: one too many */
static const uint8_t v6_ext9[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x50, 0x3c, 0x40, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x02, 0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x04,
	0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x04,
	0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x01, 0x04,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x08, 0x00, 0x00,
};

/* DLT_IPV4, TCP [.] with option 02 00 (length 0): tcpdump "[bad opt]" */
static const uint8_t tcp_opt_zero[] = {
	0x45, 0x00, 0x00, 0x2c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x26, 0xf9,
	0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22, 0x00, 0x01, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x60, 0x10, 0x00, 0x05,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
};

/* DLT_IPV4, TCP data offset 4: tcpdump "bad hdr length 16" */
static const uint8_t tcp_doff4[] = {
	0x45, 0x00, 0x00, 0x28, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x26, 0xfd,
	0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22, 0x00, 0x01, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x40, 0x10, 0x00, 0x05,
	0x00, 0x00, 0x00, 0x00,
};

/* DLT_IPV4, IPv4 IHL 4: tcpdump "bad-hlen 16" */
static const uint8_t ihl4[] = {
	0x44, 0x00, 0x00, 0x28, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x26, 0xfd,
	0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22, 0x00, 0x01, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x50, 0x10, 0x00, 0x05,
	0x00, 0x00, 0x00, 0x00,
};

/* DLT_IPV4, UDP length field 7: tcpdump "truncated-udplength 7" */
static const uint8_t udp_len7[] = {
	0x45, 0x00, 0x00, 0x1f, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0x26, 0xfb,
	0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22, 0x00, 0x01, 0x00, 0x02,
	0x00, 0x07, 0x00, 0x00, 0x61, 0x62, 0x63,
};

/* IPv4 UDP 1 > 2 "hi" (IP length 30) padded to a 60-byte Ethernet frame */
static const uint8_t eth_pad[] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x1e, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11,
	0x26, 0xfc, 0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22, 0x00, 0x01,
	0x00, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x68, 0x69, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* DLT_IPV4, TCP [.] <nop,nop,sack 1 {100:200}> */
static const uint8_t tcp_sack[] = {
	0x45, 0x00, 0x00, 0x34, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x26, 0xf1,
	0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22, 0x00, 0x01, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x80, 0x10, 0x00, 0x05,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x05, 0x0a, 0x00, 0x00, 0x00, 0x64,
	0x00, 0x00, 0x00, 0xc8,
};

/* DLT numbers used below (pcap/dlt.h stays out of the tests too). */
enum {
	T_NULL = 0,
	T_EN10MB = 1,
	T_RAW = 12,
	T_LOOP = 108,
	T_SLL = 113,
	T_IPV4 = 228,
	T_IPV6 = 229,
	T_SLL2 = 276,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Decode a copy of b[0..n) held in an exact-size heap block, so ASan sees any over-read. */
static enum ft_status dec_wire(int dlt, const uint8_t *b, size_t n, size_t wire, struct pkt *p)
{
	uint8_t *buf = malloc(n ? n : 1);
	enum ft_status st;

	if (!buf)
		abort();
	if (n)
		memcpy(buf, b, n);
	/* For n == 0 pass a pointer at the end of a 1-byte block: any read trips ASan. */
	st = pkt_decode(dlt, n ? buf : buf + 1, (uint32_t)n, (uint32_t)wire, 42, p);
	/* pl points into buf: callers that look at the payload do it through dec_pl. */
	free(buf);
	return st;
}

static enum ft_status dec(int dlt, const uint8_t *b, size_t n, struct pkt *p)
{
	return dec_wire(dlt, b, n, n, p);
}

/* Decode in place (no copy) to look at p->pl. */
static enum ft_status dec_pl(int dlt, const uint8_t *b, size_t n, struct pkt *p)
{
	return pkt_decode(dlt, b, (uint32_t)n, (uint32_t)n, 42, p);
}

struct good {
	const char *name;  /* for failure messages */
	int dlt;           /* link type */
	const uint8_t *b;  /* the frame */
	size_t n;          /* bytes in the frame */
	size_t end;        /* bytes up to the end of the IP datagram (n unless padded) */
};

/*
 * Every strict prefix of a good frame: TRUNCATED while a header is cut,
 * OK with exactly the missing bytes gone from pl_cap once only payload is
 * cut, and the full result once only link padding is cut.
 */
static void check_prefixes(const struct good *g)
{
	struct pkt full, p;
	int bad = 0;

	CHECK_EQ_INT(dec(g->dlt, g->b, g->n, &full), FT_OK);
	CHECK(full.pl_cap == full.pl_len);
	for (size_t k = 0; k < g->n; k++) {
		enum ft_status st = dec_wire(g->dlt, g->b, k, g->n, &p);
		int ok;

		if (k >= g->end)
			ok = st == FT_OK && p.pl_len == full.pl_len && p.pl_cap == full.pl_cap &&
			     p.layer == full.layer;
		else if (st == FT_TRUNCATED)
			ok = p.why != NULL && p.layer != LAYER_DONE && p.status == st;
		else
			ok = st == FT_OK && p.why == NULL && p.layer == full.layer &&
			     p.pl_len == full.pl_len && p.pl_cap < p.pl_len &&
			     g->end - k <= full.pl_cap &&
			     p.pl_cap == full.pl_cap - (g->end - k) && p.sport == full.sport;
		if (!ok) {
			fprintf(stderr, "%s: prefix %zu of %zu: %s layer %d why %s pl %u/%u\n",
				g->name, k, g->n, ft_status_name(st), (int)p.layer,
				p.why ? p.why : "-", (unsigned)p.pl_cap, (unsigned)p.pl_len);
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
}

#define GOOD(dlt, a) { #a, dlt, a, sizeof a, sizeof a }

static void test_prefixes(void)
{
	static const struct good goods[] = {
		GOOD(T_EN10MB, eth_v4_syn),
		GOOD(T_EN10MB, eth_v6_tcp),
		GOOD(T_EN10MB, eth_v4_dns),
		GOOD(T_EN10MB, vlan),
		GOOD(T_EN10MB, qinq),
		GOOD(T_SLL, sll),
		GOOD(T_SLL2, sll2),
		GOOD(T_NULL, null_le),
		GOOD(T_NULL, null_be),
		GOOD(T_NULL, null_v6_le30),
		GOOD(T_LOOP, loop_v6_24),
		GOOD(T_RAW, raw_v4),
		GOOD(T_EN10MB, v4_opts),
		GOOD(T_EN10MB, v4_frag_first),
		GOOD(T_EN10MB, v4_frag_later),
		GOOD(T_EN10MB, v6_hbh_frag),
		GOOD(T_EN10MB, v6_frag_later),
		GOOD(T_IPV6, v6_ext8),
		GOOD(T_IPV4, tcp_opt_zero),
		GOOD(T_IPV4, tcp_sack),
		{ "eth_pad", T_EN10MB, eth_pad, sizeof eth_pad, 14 + 30 },
	};
	for (size_t i = 0; i < N(goods); i++)
		check_prefixes(&goods[i]);
}

static void test_eth_v4_syn(void)
{
	static const uint8_t src[4] = { 192, 168, 1, 10 }, dst[4] = { 93, 184, 216, 34 };
	struct pkt p;

	CHECK_EQ_INT(dec(T_EN10MB, eth_v4_syn, sizeof eth_v4_syn, &p), FT_OK);
	CHECK_EQ_INT(p.status, FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK(p.why == NULL);
	CHECK_EQ_INT(p.ts_us, 42);
	CHECK_EQ_INT(p.cap_len, 74);
	CHECK_EQ_INT(p.wire_len, 74);
	CHECK_EQ_INT(p.ethertype, 0x0800);
	CHECK_EQ_INT(p.n_vlan, 0);
	CHECK_EQ_INT(p.ip_ver, 4);
	CHECK(memcmp(p.src, src, 4) == 0);
	CHECK(memcmp(p.dst, dst, 4) == 0);
	CHECK(p.src[4] == 0 && p.src[15] == 0);
	CHECK_EQ_INT(p.proto, 6);
	CHECK_EQ_INT(p.ttl, 64);
	CHECK_EQ_INT(p.ip_len, 60);
	CHECK(!p.frag && !p.frag_later);
	CHECK_EQ_INT(p.sport, 54321);
	CHECK_EQ_INT(p.dport, 80);
	CHECK_EQ_INT(p.seq, 0x11223344);
	CHECK_EQ_INT(p.ack, 0);
	CHECK_EQ_INT(p.tcp_flags, TCP_SYN);
	CHECK_EQ_INT(p.win, 64240);
	CHECK(p.opt.has_mss && p.opt.sack_ok && p.opt.has_ts && p.opt.has_ws);
	CHECK(!p.opt.bad);
	CHECK_EQ_INT(p.opt.mss, 1460);
	CHECK_EQ_INT(p.opt.ws, 7);
	CHECK_EQ_INT(p.opt.tsval, 658188);
	CHECK_EQ_INT(p.opt.tsecr, 0);
	CHECK_EQ_INT(p.opt.n_sack, 0);
	CHECK_EQ_INT(p.pl_len, 0);
	CHECK_EQ_INT(p.pl_cap, 0);

	/* Cut right after the MSS option: fixed header and MSS decoded, the rest truncated. */
	CHECK_EQ_INT(dec_wire(T_EN10MB, eth_v4_syn, 14 + 20 + 24, sizeof eth_v4_syn, &p), FT_TRUNCATED);
	CHECK_EQ_INT(p.layer, LAYER_TCP);
	CHECK_EQ_STR(p.why, "TCP options cut by snap length");
	CHECK(p.opt.has_mss && !p.opt.has_ts && !p.opt.bad);
	CHECK_EQ_INT(p.opt.mss, 1460);
	CHECK_EQ_INT(p.tcp_flags, TCP_SYN);

	/* Cut inside the fixed TCP header: ports known, still truncated. */
	CHECK_EQ_INT(dec_wire(T_EN10MB, eth_v4_syn, 14 + 20 + 10, sizeof eth_v4_syn, &p), FT_TRUNCATED);
	CHECK_EQ_INT(p.layer, LAYER_TCP);
	CHECK_EQ_STR(p.why, "TCP header cut by snap length");
	CHECK_EQ_INT(p.sport, 54321);

	CHECK_EQ_INT(dec(T_EN10MB, eth_v4_syn, 14 + 19, &p), FT_TRUNCATED);
	CHECK_EQ_INT(p.layer, LAYER_IP);
	CHECK_EQ_STR(p.why, "IPv4 header cut by snap length");

	CHECK_EQ_INT(dec(T_EN10MB, eth_v4_syn, 13, &p), FT_TRUNCATED);
	CHECK_EQ_INT(p.layer, LAYER_LINK);
	CHECK_EQ_STR(p.why, "Ethernet header cut by snap length");
}

static void test_eth_v6_tcp(void)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct pkt p;

	CHECK_EQ_INT(dec_pl(T_EN10MB, eth_v6_tcp, sizeof eth_v6_tcp, &p), FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK_EQ_INT(p.ethertype, 0x86DD);
	CHECK_EQ_INT(p.ip_ver, 6);
	CHECK(memcmp(p.src, src, 16) == 0);
	CHECK(memcmp(p.dst, dst, 16) == 0);
	CHECK_EQ_INT(p.ip_len, 40 + 25);
	CHECK_EQ_INT(p.proto, 6);
	CHECK_EQ_INT(p.ttl, 64);
	CHECK_EQ_INT(p.sport, 443);
	CHECK_EQ_INT(p.dport, 50000);
	CHECK_EQ_INT(p.seq, 1000);
	CHECK_EQ_INT(p.ack, 2000);
	CHECK_EQ_INT(p.tcp_flags, TCP_PSH | TCP_ACK);
	CHECK_EQ_INT(p.win, 509);
	CHECK(!p.opt.has_mss && !p.opt.bad);
	CHECK_EQ_INT(p.pl_len, 5);
	CHECK_EQ_INT(p.pl_cap, 5);
	CHECK(p.pl == eth_v6_tcp + 74);
	CHECK(p.pl && memcmp(p.pl, "hello", 5) == 0);

	/* Two payload bytes cut: still OK, the output layer shows the cut. */
	CHECK_EQ_INT(dec_wire(T_EN10MB, eth_v6_tcp, sizeof eth_v6_tcp - 2, sizeof eth_v6_tcp, &p),
		     FT_OK);
	CHECK_EQ_INT(p.pl_len, 5);
	CHECK_EQ_INT(p.pl_cap, 3);
}

static void test_udp_dns(void)
{
	struct pkt p;

	CHECK_EQ_INT(dec_pl(T_EN10MB, eth_v4_dns, sizeof eth_v4_dns, &p), FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK_EQ_INT(p.proto, 17);
	CHECK_EQ_INT(p.sport, 40000);
	CHECK_EQ_INT(p.dport, 53);
	CHECK_EQ_INT(p.dst[0], 8);
	CHECK_EQ_INT(p.pl_len, 29);
	CHECK_EQ_INT(p.pl_cap, 29);
	CHECK(p.pl == eth_v4_dns + 42);
	CHECK(p.pl && p.pl[0] == 0xab && p.pl[1] == 0xcd);
	CHECK_EQ_INT(p.tcp_flags, 0);

	/* The frame on the wire is shorter than the IP total length says. */
	CHECK_EQ_INT(dec_wire(T_EN10MB, eth_v4_dns, sizeof eth_v4_dns - 1,
			      sizeof eth_v4_dns - 1, &p), FT_MALFORMED);
	CHECK_EQ_INT(p.layer, LAYER_IP);
	CHECK_EQ_STR(p.why, "IP length exceeds frame length");
	/* An inconsistent record (wire < cap) skips that test. */
	CHECK_EQ_INT(dec_wire(T_EN10MB, eth_v4_dns, sizeof eth_v4_dns, 10, &p), FT_OK);
}

static void test_vlan(void)
{
	struct pkt p;
	uint8_t deep[14 + 4 * 17 + 29];
	size_t off;

	CHECK_EQ_INT(dec(T_EN10MB, vlan, sizeof vlan, &p), FT_OK);
	CHECK_EQ_INT(p.n_vlan, 1);
	CHECK_EQ_INT(p.vlan[0], 100);
	CHECK_EQ_INT(p.ethertype, 0x0800);
	CHECK_EQ_INT(p.dport, 53);
	CHECK_EQ_INT(p.pl_len, 2);

	CHECK_EQ_INT(dec(T_EN10MB, qinq, sizeof qinq, &p), FT_OK);
	CHECK_EQ_INT(p.n_vlan, 2);
	CHECK_EQ_INT(p.vlan[0], 200);
	CHECK_EQ_INT(p.vlan[1], 100);
	CHECK_EQ_INT(p.ethertype, 0x0800);
	CHECK_EQ_INT(p.layer, LAYER_DONE);

	/*
	 * A stack of 16 tags (0x9100 outermost, ids 1..16) then IPv4/UDP from
	 * null_be: walked, 4 ids recorded.  17 tags: malformed.
	 */
	for (int tags = 16; tags <= 17; tags++) {
		memcpy(deep, qinq, 12);
		off = 12;
		for (int i = 0; i < tags; i++) {
			uint16_t tpid = i == 0 ? 0x9100 : i == 1 ? 0x88A8 : 0x8100;
			deep[off++] = (uint8_t)(tpid >> 8);
			deep[off++] = (uint8_t)tpid;
			deep[off++] = 0;
			deep[off++] = (uint8_t)(i + 1);
		}
		deep[off++] = 0x08;
		deep[off++] = 0x00;
		memcpy(deep + off, null_be + 4, 29);
		off += 29;
		if (tags == 16) {
			CHECK_EQ_INT(dec(T_EN10MB, deep, off, &p), FT_OK);
			CHECK_EQ_INT(p.n_vlan, 16);
			CHECK_EQ_INT(p.vlan[0], 1);
			CHECK_EQ_INT(p.vlan[3], 4);
			CHECK_EQ_INT(p.ethertype, 0x0800);
			CHECK_EQ_INT(p.sport, 1);
		} else {
			CHECK_EQ_INT(dec(T_EN10MB, deep, off, &p), FT_MALFORMED);
			CHECK_EQ_INT(p.layer, LAYER_LINK);
			CHECK_EQ_STR(p.why, "too many VLAN tags");
		}
	}
}

static void test_cooked_loop_raw(void)
{
	struct pkt p;
	uint8_t b[64];

	CHECK_EQ_INT(dec(T_SLL, sll, sizeof sll, &p), FT_OK);
	CHECK_EQ_INT(p.ethertype, 0x0800);
	CHECK_EQ_INT(p.sport, 80);
	CHECK_EQ_INT(p.tcp_flags, TCP_ACK);
	CHECK_EQ_INT(p.pl_len, 3);
	CHECK_EQ_INT(dec(T_SLL, sll, 15, &p), FT_TRUNCATED);
	CHECK_EQ_STR(p.why, "Linux cooked header cut by snap length");

	CHECK_EQ_INT(dec(T_SLL2, sll2, sizeof sll2, &p), FT_OK);
	CHECK_EQ_INT(p.ethertype, 0x86DD);
	CHECK_EQ_INT(p.sport, 5353);
	CHECK_EQ_INT(p.pl_len, 4);
	/* The SLL2 bytes read as SLL v1 put the protocol at the wrong offset. */
	CHECK(dec(T_SLL, sll2, sizeof sll2, &p) != FT_OK);

	CHECK_EQ_INT(dec(T_NULL, null_le, sizeof null_le, &p), FT_OK);
	CHECK_EQ_INT(p.ethertype, 0x0800);
	CHECK_EQ_INT(p.pl_len, 1);
	CHECK_EQ_INT(dec(T_NULL, null_be, sizeof null_be, &p), FT_OK);
	CHECK_EQ_INT(p.ethertype, 0x0800);
	CHECK_EQ_INT(dec(T_NULL, null_v6_le30, sizeof null_v6_le30, &p), FT_OK);
	CHECK_EQ_INT(p.ethertype, 0x86DD);
	CHECK_EQ_INT(p.ip_ver, 6);
	CHECK_EQ_INT(dec(T_LOOP, loop_v6_24, sizeof loop_v6_24, &p), FT_OK);
	CHECK_EQ_INT(p.ethertype, 0x86DD);
	/* DLT_LOOP is network byte order only. */
	CHECK_EQ_INT(dec(T_LOOP, null_le, sizeof null_le, &p), FT_UNSUPPORTED);
	CHECK_EQ_STR(p.why, "unsupported loopback address family");

	memcpy(b, null_le, sizeof null_le);
	b[0] = 7; /* AF 7: neither IPv4 nor IPv6 */
	CHECK_EQ_INT(dec(T_NULL, b, sizeof null_le, &p), FT_UNSUPPORTED);
	CHECK_EQ_INT(p.layer, LAYER_LINK);

	CHECK_EQ_INT(dec(T_RAW, raw_v4, sizeof raw_v4, &p), FT_OK);
	CHECK_EQ_INT(p.ethertype, 0x0800);
	CHECK_EQ_INT(dec(14, raw_v4, sizeof raw_v4, &p), FT_OK);
	CHECK_EQ_INT(dec(101, raw_v4, sizeof raw_v4, &p), FT_OK);
	CHECK_EQ_INT(dec(T_IPV4, raw_v4, sizeof raw_v4, &p), FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK_EQ_INT(dec(T_RAW, v6_ext8, sizeof v6_ext8, &p), FT_OK);
	CHECK_EQ_INT(p.ethertype, 0x86DD);
	/* DLT_IPV6 with IPv4 bytes: the version field disagrees. */
	CHECK_EQ_INT(dec(T_IPV6, raw_v4, sizeof raw_v4, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "IPv6 version field not 6");
	CHECK_EQ_INT(p.layer, LAYER_IP);

	memcpy(b, raw_v4, sizeof raw_v4);
	b[0] = 0x55;
	CHECK_EQ_INT(dec(T_RAW, b, sizeof raw_v4, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "raw IP version not 4 or 6");
	CHECK_EQ_INT(dec(T_RAW, raw_v4, 0, &p), FT_TRUNCATED);
}

static void test_link_unsupported(void)
{
	static const int yes[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };
	/* 9, 105, 127, 192 (PPP, 802.11, radiotap, PPI) are read since issue 13: test_encap.c */
	static const int no[] = { -1, 2, 147, 189, 227, 277 };
	struct pkt p;
	uint8_t b[64];

	for (size_t i = 0; i < N(yes); i++)
		CHECK(pkt_link_supported(yes[i]));
	for (size_t i = 0; i < N(no); i++)
		CHECK(!pkt_link_supported(no[i]));

	CHECK_EQ_INT(dec(147, raw_v4, sizeof raw_v4, &p), FT_UNSUPPORTED);
	CHECK_EQ_INT(p.layer, LAYER_LINK);
	CHECK_EQ_STR(p.why, "unsupported link type");
	CHECK_EQ_INT(p.status, FT_UNSUPPORTED);

	/* 802.3 length 38 followed by an LLC header (STP). */
	memcpy(b, eth_v4_dns, 64);
	b[12] = 0x00;
	b[13] = 0x26;
	CHECK_EQ_INT(dec(T_EN10MB, b, 64, &p), FT_UNSUPPORTED);
	CHECK_EQ_STR(p.why, "802.3/LLC frame");
	CHECK_EQ_INT(p.layer, LAYER_LINK);
	/* 1500 is still a length, 1536 (0x0600) a type. */
	b[12] = 0x05;
	b[13] = 0xDC;
	CHECK_EQ_INT(dec(T_EN10MB, b, 64, &p), FT_UNSUPPORTED);
	CHECK_EQ_STR(p.why, "802.3/LLC frame");

	/* ARP: a link we understand carrying something that is not IP. */
	b[12] = 0x08;
	b[13] = 0x06;
	CHECK_EQ_INT(dec(T_EN10MB, b, 64, &p), FT_UNSUPPORTED);
	CHECK_EQ_INT(p.ethertype, 0x0806);
	CHECK_EQ_INT(p.layer, LAYER_IP);
	CHECK_EQ_STR(p.why, "not IPv4/IPv6");
}

static void test_ipv4(void)
{
	struct pkt p;
	uint8_t b[128];

	CHECK_EQ_INT(dec_pl(T_EN10MB, v4_opts, sizeof v4_opts, &p), FT_OK);
	CHECK_EQ_INT(p.ip_len, 36);
	CHECK_EQ_INT(p.sport, 7);
	CHECK_EQ_INT(p.dport, 9);
	CHECK_EQ_INT(p.pl_len, 4);
	CHECK(p.pl == v4_opts + 14 + 24 + 8);
	/* Cut inside the options. */
	CHECK_EQ_INT(dec(T_EN10MB, v4_opts, 14 + 22, &p), FT_TRUNCATED);
	CHECK_EQ_STR(p.why, "IPv4 options cut by snap length");
	CHECK_EQ_INT(p.layer, LAYER_IP);
	CHECK_EQ_INT(p.dst[0], 93);

	CHECK_EQ_INT(dec(T_IPV4, ihl4, sizeof ihl4, &p), FT_MALFORMED);
	CHECK_EQ_INT(p.layer, LAYER_IP);
	CHECK_EQ_STR(p.why, "IPv4 header length below 20");
	/* Detected from the first byte, before the rest is known. */
	CHECK_EQ_INT(dec(T_IPV4, ihl4, 1, &p), FT_MALFORMED);

	/* Total length 19 < 20-byte header. */
	memcpy(b, raw_v4, sizeof raw_v4);
	b[2] = 0;
	b[3] = 19;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof raw_v4, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "IPv4 total length below header length");
	/* Total length 0 (TSO capture): the frame's length, noted (issue 13; test_encap.c). */
	b[3] = 0;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof raw_v4, &p), FT_OK);
	CHECK_EQ_INT(p.len_from, PKT_LEN_FRAME);
	CHECK_EQ_INT(p.ip_len, sizeof raw_v4);

	/* Version 6 on DLT_IPV4. */
	memcpy(b, raw_v4, sizeof raw_v4);
	b[0] = 0x65;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof raw_v4, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "IPv4 version field not 4");

	/* A transport other than TCP/UDP/ICMP (ESP = 50; GRE is a tunnel now): OK at the IP layer. */
	memcpy(b, raw_v4, sizeof raw_v4);
	b[9] = 50;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof raw_v4, &p), FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_IP);
	CHECK_EQ_INT(p.proto, 50);
	CHECK_EQ_INT(p.sport, 0);
	CHECK_EQ_INT(p.pl_len, 9);
	CHECK(p.why == NULL);

	/* ICMP (1) is a layer of its own (icmp.c): decoded to the end, no ports. */
	b[9] = 1;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof raw_v4, &p), FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK_EQ_INT(p.proto, 1);
	CHECK_EQ_INT(p.sport, 0);
	CHECK_EQ_INT(p.pl_len, 9);
	CHECK_EQ_INT(p.icmp.ver, 4);
	/* ICMPv6's number (58) over IPv4 is not ICMP: left at the IP layer. */
	b[9] = 58;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof raw_v4, &p), FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_IP);
}

static void test_padding(void)
{
	struct pkt p;
	uint8_t b[64];

	CHECK_EQ_INT(dec_pl(T_EN10MB, eth_pad, sizeof eth_pad, &p), FT_OK);
	CHECK_EQ_INT(p.cap_len, 60);
	CHECK_EQ_INT(p.ip_len, 30);
	CHECK_EQ_INT(p.pl_len, 2);
	CHECK_EQ_INT(p.pl_cap, 2);
	CHECK(p.pl && p.pl[0] == 'h' && p.pl[1] == 'i');

	/* Same frame as ICMP (proto 1): the message also stops at the IP length. */
	memcpy(b, eth_pad, sizeof eth_pad);
	b[14 + 9] = 1;
	CHECK_EQ_INT(dec(T_EN10MB, b, sizeof eth_pad, &p), FT_OK);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK_EQ_INT(p.pl_len, 10);
	CHECK_EQ_INT(p.pl_cap, 10);
	CHECK_EQ_INT(p.icmp.body_len, 2);
}

static void test_fragments(void)
{
	struct pkt p;

	CHECK_EQ_INT(dec(T_EN10MB, v4_frag_first, sizeof v4_frag_first, &p), FT_OK);
	CHECK(p.frag);
	CHECK(!p.frag_later);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK_EQ_INT(p.sport, 5000);
	CHECK_EQ_INT(p.dport, 6000);
	/* UDP says 48 bytes, this fragment holds 24: payload ends with the fragment. */
	CHECK_EQ_INT(p.pl_len, 16);
	CHECK_EQ_INT(p.pl_cap, 16);

	CHECK_EQ_INT(dec_pl(T_EN10MB, v4_frag_later, sizeof v4_frag_later, &p), FT_OK);
	CHECK(p.frag);
	CHECK(p.frag_later);
	CHECK_EQ_INT(p.layer, LAYER_IP);
	CHECK(p.why == NULL);
	CHECK_EQ_INT(p.proto, 17);
	CHECK_EQ_INT(p.sport, 0);
	CHECK_EQ_INT(p.dport, 0);
	CHECK_EQ_INT(p.pl_len, 24);
	CHECK(p.pl == v4_frag_later + 34);

	CHECK_EQ_INT(dec(T_EN10MB, v6_hbh_frag, sizeof v6_hbh_frag, &p), FT_OK);
	CHECK(p.frag);
	CHECK(!p.frag_later);
	CHECK_EQ_INT(p.proto, 17);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK_EQ_INT(p.sport, 5000);
	CHECK_EQ_INT(p.ip_len, 72);
	CHECK_EQ_INT(p.pl_len, 8);
	/* Cut inside the Fragment header. */
	CHECK_EQ_INT(dec(T_EN10MB, v6_hbh_frag, 14 + 40 + 8 + 5, &p), FT_TRUNCATED);
	CHECK_EQ_STR(p.why, "IPv6 extension header cut by snap length");
	CHECK_EQ_INT(p.layer, LAYER_IP);

	CHECK_EQ_INT(dec(T_EN10MB, v6_frag_later, sizeof v6_frag_later, &p), FT_OK);
	CHECK(p.frag && p.frag_later);
	CHECK_EQ_INT(p.layer, LAYER_IP);
	CHECK_EQ_INT(p.proto, 17);
	CHECK_EQ_INT(p.pl_len, 16);
	CHECK_EQ_INT(p.sport, 0);
}

static void test_ipv6_ext(void)
{
	struct pkt p;
	uint8_t b[160];

	CHECK_EQ_INT(dec(T_IPV6, v6_ext8, sizeof v6_ext8, &p), FT_OK);
	CHECK_EQ_INT(p.proto, 17);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK_EQ_INT(p.dport, 2);
	CHECK_EQ_INT(p.pl_len, 0);

	CHECK_EQ_INT(dec(T_IPV6, v6_ext9, sizeof v6_ext9, &p), FT_UNSUPPORTED);
	CHECK_EQ_INT(p.layer, LAYER_IP);
	CHECK_EQ_STR(p.why, "IPv6 extension header chain too long");

	/* Hop-by-Hop claiming 16 bytes in an 8-byte payload. */
	memcpy(b, v6_ext8, 48);
	b[4] = 0;
	b[5] = 8;
	b[6] = 0;
	b[41] = 1;
	CHECK_EQ_INT(dec(T_IPV6, b, 48, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "IPv6 extension header past payload length");

	/* Payload length 0 without a Jumbo option: the frame's 48 bytes, which end inside
	 * the chain (jumbograms proper: test_encap.c). */
	memcpy(b, v6_ext8, 48);
	b[4] = 0;
	b[5] = 0;
	CHECK_EQ_INT(dec(T_IPV6, b, 48, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "IPv6 extension header past payload length");

	/* AH (51): length byte counts 4-byte units minus 2; 1 -> 12 bytes, then UDP. */
	memcpy(b, v6_ext8, 40);
	b[4] = 0;
	b[5] = 12 + 8;
	b[6] = 51;
	memset(b + 40, 0, 12);
	b[40] = 17;
	b[41] = 1;
	memcpy(b + 52, v6_ext8 + 104, 8);
	CHECK_EQ_INT(dec(T_IPV6, b, 60, &p), FT_OK);
	CHECK_EQ_INT(p.proto, 17);
	CHECK_EQ_INT(p.dport, 2);

	/* ESP (50) ends the walk: OK at the IP layer. */
	b[6] = 50;
	CHECK_EQ_INT(dec(T_IPV6, b, 60, &p), FT_OK);
	CHECK_EQ_INT(p.proto, 50);
	CHECK_EQ_INT(p.layer, LAYER_IP);
	CHECK_EQ_INT(p.pl_len, 20);
}

static void test_tcp_bad(void)
{
	struct pkt p;
	uint8_t b[64];

	CHECK_EQ_INT(dec(T_IPV4, tcp_opt_zero, sizeof tcp_opt_zero, &p), FT_OK);
	CHECK(p.opt.bad);
	CHECK(!p.opt.has_mss);
	CHECK_EQ_INT(p.layer, LAYER_DONE);
	CHECK_EQ_INT(p.pl_len, 0);

	CHECK_EQ_INT(dec(T_IPV4, tcp_doff4, sizeof tcp_doff4, &p), FT_MALFORMED);
	CHECK_EQ_INT(p.layer, LAYER_TCP);
	CHECK_EQ_STR(p.why, "TCP data offset below 5");

	/* Data offset 15 (60 bytes) in a 20-byte segment. */
	memcpy(b, tcp_doff4, sizeof tcp_doff4);
	b[32] = 0xF0;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof tcp_doff4, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "TCP data offset past segment end");

	/* MSS claiming 8 bytes with 2 left in the header. */
	memcpy(b, tcp_opt_zero, sizeof tcp_opt_zero);
	b[40] = 1;
	b[41] = 1;
	b[42] = 2;
	b[43] = 8;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof tcp_opt_zero, &p), FT_OK);
	CHECK(p.opt.bad);
	CHECK(!p.opt.has_mss);
	/* Window scale (length 3) starting 2 bytes before the end: one byte over. */
	b[42] = 3;
	b[43] = 3;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof tcp_opt_zero, &p), FT_OK);
	CHECK(p.opt.bad && !p.opt.has_ws);
	/* Length 1 cannot even cover kind and length. */
	b[42] = 2;
	b[43] = 1;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof tcp_opt_zero, &p), FT_OK);
	CHECK(p.opt.bad);
	/* A kind in the last byte with no room for its length. */
	b[42] = 1;
	b[43] = 3;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof tcp_opt_zero, &p), FT_OK);
	CHECK(p.opt.bad);
	/* All NOPs: nothing bad. */
	b[43] = 1;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof tcp_opt_zero, &p), FT_OK);
	CHECK(!p.opt.bad);
	/* MSS with the wrong length (3) is skipped, not recorded. */
	b[40] = 2;
	b[41] = 3;
	b[42] = 9;
	b[43] = 0;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof tcp_opt_zero, &p), FT_OK);
	CHECK(!p.opt.bad && !p.opt.has_mss);

	/* IP payload too short for any TCP header: IPv4 total length 39. */
	memcpy(b, tcp_doff4, sizeof tcp_doff4);
	b[3] = 39;
	CHECK_EQ_INT(dec(T_IPV4, b, 39, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "TCP segment shorter than 20 bytes");

	CHECK_EQ_INT(dec(T_IPV4, tcp_sack, sizeof tcp_sack, &p), FT_OK);
	CHECK_EQ_INT(p.opt.n_sack, 1);
	CHECK_EQ_INT(p.opt.sack[0][0], 100);
	CHECK_EQ_INT(p.opt.sack[0][1], 200);
	CHECK(!p.opt.bad);
}

static void test_udp_bad(void)
{
	struct pkt p;
	uint8_t b[64];

	CHECK_EQ_INT(dec(T_IPV4, udp_len7, sizeof udp_len7, &p), FT_MALFORMED);
	CHECK_EQ_INT(p.layer, LAYER_UDP);
	CHECK_EQ_STR(p.why, "UDP length below 8");

	/* UDP length 9 in an 11-byte IP payload: the payload is 1 byte. */
	memcpy(b, udp_len7, sizeof udp_len7);
	b[25] = 9;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof udp_len7, &p), FT_OK);
	CHECK_EQ_INT(p.pl_len, 1);
	CHECK_EQ_INT(p.pl_cap, 1);

	/* IPv4 total length 27: 7 bytes of UDP. */
	memcpy(b, raw_v4, sizeof raw_v4);
	b[3] = 27;
	CHECK_EQ_INT(dec(T_IPV4, b, sizeof raw_v4, &p), FT_MALFORMED);
	CHECK_EQ_STR(p.why, "UDP datagram shorter than 8 bytes");
}

/* The per-layer entry points on their own. */
static void test_layers(void)
{
	struct pkt p;
	size_t off = 99;

	memset(&p, 0, sizeof p);
	CHECK_EQ_INT(link_decode(T_EN10MB, qinq, sizeof qinq, &p, &off), FT_OK);
	CHECK_EQ_INT(off, 22);
	memset(&p, 0, sizeof p);
	CHECK_EQ_INT(link_decode(T_SLL2, sll2, sizeof sll2, &p, &off), FT_OK);
	CHECK_EQ_INT(off, 20);
	memset(&p, 0, sizeof p);
	CHECK_EQ_INT(link_decode(T_NULL, null_le, sizeof null_le, &p, &off), FT_OK);
	CHECK_EQ_INT(off, 4);

	memset(&p, 0, sizeof p);
	p.ethertype = 0x86DD;
	CHECK_EQ_INT(ip_decode(v6_hbh_frag + 14, sizeof v6_hbh_frag - 14, &p, &off), FT_OK);
	CHECK_EQ_INT(off, 56);

	/* cap_len beyond l4_len is clamped: 4 bytes of padding are not payload. */
	memset(&p, 0, sizeof p);
	CHECK_EQ_INT(udp_decode(eth_pad + 34, sizeof eth_pad - 34, 10, &p), FT_OK);
	CHECK_EQ_INT(p.pl_len, 2);
	CHECK_EQ_INT(p.pl_cap, 2);
	memset(&p, 0, sizeof p);
	CHECK_EQ_INT(tcp_decode(eth_v6_tcp + 54, 25, 23, &p), FT_OK);
	CHECK_EQ_INT(p.pl_len, 3);
	CHECK_EQ_INT(p.pl_cap, 3);
}

/*
 * Deterministic byte flips over every good frame (xorshift, fixed seed):
 * whatever the bytes, the result is self-consistent and ASan stays quiet.
 */
static void test_mutations(void)
{
	static const struct { int dlt; const uint8_t *b; size_t n; } seeds[] = {
		{ T_EN10MB, eth_v4_syn, sizeof eth_v4_syn },
		{ T_EN10MB, eth_v6_tcp, sizeof eth_v6_tcp },
		{ T_EN10MB, qinq, sizeof qinq },
		{ T_SLL, sll, sizeof sll },
		{ T_SLL2, sll2, sizeof sll2 },
		{ T_NULL, null_v6_le30, sizeof null_v6_le30 },
		{ T_EN10MB, v6_hbh_frag, sizeof v6_hbh_frag },
		{ T_IPV6, v6_ext8, sizeof v6_ext8 },
		{ T_IPV4, tcp_sack, sizeof tcp_sack },
	};
	uint32_t x = 2463534242u;
	int bad = 0;

	for (size_t s = 0; s < N(seeds); s++) {
		for (int round = 0; round < 2000; round++) {
			uint8_t *buf = malloc(seeds[s].n);
			struct pkt p;
			enum ft_status st;

			if (!buf)
				abort();
			memcpy(buf, seeds[s].b, seeds[s].n);
			for (int f = 0; f < 1 + round % 4; f++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				buf[x % seeds[s].n] = (uint8_t)(x >> 8);
			}
			st = pkt_decode(seeds[s].dlt, buf, (uint32_t)seeds[s].n,
					(uint32_t)seeds[s].n, 0, &p);
			if (p.status != st || (st == FT_OK) != (p.why == NULL) ||
			    p.pl_cap > p.pl_len ||
			    (p.pl && (p.pl < buf || (size_t)(p.pl - buf) + p.pl_cap > seeds[s].n)) ||
			    (p.layer == LAYER_DONE && st != FT_OK))
				bad++;
			free(buf);
		}
	}
	CHECK_EQ_INT(bad, 0);
}

static void test_status_names(void)
{
	CHECK_EQ_STR(ft_status_name(FT_OK), "ok");
	CHECK_EQ_STR(ft_status_name(FT_NEED_MORE), "need-more");
	CHECK_EQ_STR(ft_status_name(FT_TRUNCATED), "truncated");
	CHECK_EQ_STR(ft_status_name(FT_MALFORMED), "malformed");
	CHECK_EQ_STR(ft_status_name(FT_UNSUPPORTED), "unsupported");
}

int main(void)
{
	test_prefixes();
	test_eth_v4_syn();
	test_eth_v6_tcp();
	test_udp_dns();
	test_vlan();
	test_cooked_loop_raw();
	test_link_unsupported();
	test_ipv4();
	test_padding();
	test_fragments();
	test_ipv6_ext();
	test_tcp_bad();
	test_udp_bad();
	test_layers();
	test_mutations();
	test_status_names();
	return t_done("test_pkt");
}
