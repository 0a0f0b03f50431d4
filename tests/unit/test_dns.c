/* test_dns.c - dns_decode over real server replies, hand-built bad messages and every prefix. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "t.h"

/*
 * Good inputs.  The r_* replies were captured from dnsmasq 2.90 on
 * 127.0.0.1 (queries sent with a small python3 script, reply bytes
 * copied verbatim), running two instances:
 *
 *   port 5399, authoritative: auth-zone=example.test,
 *     auth-server=ns1.example.test,127.0.0.1,
 *     auth-soa=2024010101,hostmaster.example.test,1200,120,604800,
 *     host-record=www.example.test,192.0.2.80,2001:db8::80,
 *     mx-host=example.test,mail.example.test,10,
 *     txt-record=example.test,"v=spf1 -all","second string",
 *     srv-host=_sip._tcp.example.test,sip.example.test,5060,10,20,
 *     dns-rr=odd.example.test,65280,deadbeef,
 *     addn-hosts with many.example.test -> 198.51.100.1..40
 *   port 5400, plain: host-record=www.chain.test,192.0.2.81,
 *     cname=a.chain.test,b.chain.test, cname=b.chain.test,www.chain.test,
 *     ptr-record=80.2.0.192.in-addr.arpa,www.example.test,
 *     dns-rr=svc.chain.test,65,0001 00 0001 0003 026832 0003 0002 01bb
 *       (HTTPS 1 . alpn=h2 port=443)
 *
 * q_a is the query itself; r_referral and r_badvers are hand-built in
 * the shape an authoritative parent and BIND (answering EDNS version 1)
 * send, since dnsmasq produces neither.  The captured replies were
 * compared with dig's reading of the same answers.
 */
/* q_a */
static const uint8_t q_a[] = {
	0x1a, 0x2b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01,
};

/* r_a */
static const uint8_t r_a[] = {
	0x1a, 0x2b, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c,
	0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc0, 0x00,
	0x02, 0x50, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74,
	0x65, 0x73, 0x74, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58,
	0x00, 0x12, 0x03, 0x6e, 0x73, 0x31, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,
};

/* r_aaaa */
static const uint8_t r_aaaa[] = {
	0x22, 0x22, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01,
	0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x1c, 0x00, 0x01, 0xc0, 0x0c,
	0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x10, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x80, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74,
	0x65, 0x73, 0x74, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58,
	0x00, 0x12, 0x03, 0x6e, 0x73, 0x31, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x00, 0x29, 0x04,
	0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* r_cname */
static const uint8_t r_cname[] = {
	0x33, 0x33, 0x85, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x61, 0x05, 0x63, 0x68, 0x61, 0x69, 0x6e, 0x04, 0x74, 0x65, 0x73,
	0x74, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x01, 0x62, 0x05, 0x63, 0x68, 0x61,
	0x69, 0x6e, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0xc0, 0x2a, 0x00, 0x05,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x03, 0x77, 0x77, 0x77,
	0x05, 0x63, 0x68, 0x61, 0x69, 0x6e, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,
	0xc0, 0x44, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04,
	0xc0, 0x00, 0x02, 0x51,
};

/* r_nx */
static const uint8_t r_nx[] = {
	0x44, 0x44, 0x85, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
	0x04, 0x6e, 0x6f, 0x70, 0x65, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c,
	0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01, 0x07,
	0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74,
	0x00, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x3f, 0x03,
	0x6e, 0x73, 0x31, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04,
	0x74, 0x65, 0x73, 0x74, 0x00, 0x0a, 0x68, 0x6f, 0x73, 0x74, 0x6d, 0x61,
	0x73, 0x74, 0x65, 0x72, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x78, 0xa3, 0xf1, 0x75, 0x00, 0x00,
	0x04, 0xb0, 0x00, 0x00, 0x00, 0x78, 0x00, 0x09, 0x3a, 0x80, 0x00, 0x00,
	0x02, 0x58, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00,
};

/* r_mx */
static const uint8_t r_mx[] = {
	0x55, 0x55, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73,
	0x74, 0x00, 0x00, 0x0f, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01,
	0x00, 0x00, 0x02, 0x58, 0x00, 0x15, 0x00, 0x0a, 0x04, 0x6d, 0x61, 0x69,
	0x6c, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74, 0x65,
	0x73, 0x74, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04,
	0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x12, 0x03, 0x6e, 0x73, 0x31, 0x07, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,
};

/* r_txt */
static const uint8_t r_txt[] = {
	0x66, 0x66, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73,
	0x74, 0x00, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01,
	0x00, 0x00, 0x02, 0x58, 0x00, 0x1a, 0x0b, 0x76, 0x3d, 0x73, 0x70, 0x66,
	0x31, 0x20, 0x2d, 0x61, 0x6c, 0x6c, 0x0d, 0x73, 0x65, 0x63, 0x6f, 0x6e,
	0x64, 0x20, 0x73, 0x74, 0x72, 0x69, 0x6e, 0x67, 0x07, 0x65, 0x78, 0x61,
	0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x02,
	0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x12, 0x03, 0x6e, 0x73, 0x31,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73,
	0x74, 0x00,
};

/* r_srv */
static const uint8_t r_srv[] = {
	0x77, 0x77, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x04, 0x5f, 0x73, 0x69, 0x70, 0x04, 0x5f, 0x74, 0x63, 0x70, 0x07, 0x65,
	0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,
	0x00, 0x21, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00,
	0x02, 0x58, 0x00, 0x18, 0x00, 0x0a, 0x00, 0x14, 0x13, 0xc4, 0x03, 0x73,
	0x69, 0x70, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74,
	0x65, 0x73, 0x74, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00,
	0x02, 0x58, 0x00, 0x12, 0x03, 0x6e, 0x73, 0x31, 0x07, 0x65, 0x78, 0x61,
	0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,
};

/* r_ns */
static const uint8_t r_ns[] = {
	0x88, 0x88, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73,
	0x74, 0x00, 0x00, 0x02, 0x00, 0x01, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x02, 0x00, 0x01,
	0x00, 0x00, 0x02, 0x58, 0x00, 0x12, 0x03, 0x6e, 0x73, 0x31, 0x07, 0x65,
	0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,
};

/* r_ptr */
static const uint8_t r_ptr[] = {
	0x99, 0x99, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x38, 0x30, 0x01, 0x32, 0x01, 0x30, 0x03, 0x31, 0x39, 0x32, 0x07,
	0x69, 0x6e, 0x2d, 0x61, 0x64, 0x64, 0x72, 0x04, 0x61, 0x72, 0x70, 0x61,
	0x00, 0x00, 0x0c, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x0c, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x12, 0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78,
	0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,
};

/* r_https */
static const uint8_t r_https[] = {
	0xaa, 0xaa, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x73, 0x76, 0x63, 0x05, 0x63, 0x68, 0x61, 0x69, 0x6e, 0x04, 0x74,
	0x65, 0x73, 0x74, 0x00, 0x00, 0x41, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x41,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00,
	0x01, 0x00, 0x03, 0x02, 0x68, 0x32, 0x00, 0x03, 0x00, 0x02, 0x01, 0xbb,
};

/* r_do */
static const uint8_t r_do[] = {
	0xbb, 0xbb, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01,
	0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c,
	0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc0, 0x00,
	0x02, 0x50, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74,
	0x65, 0x73, 0x74, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58,
	0x00, 0x12, 0x03, 0x6e, 0x73, 0x31, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x00, 0x29, 0x04,
	0xd0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
};

/* r_unknown */
static const uint8_t r_unknown[] = {
	0xcc, 0xcc, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x03, 0x6f, 0x64, 0x64, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0xff, 0x00, 0x00, 0x01, 0xc0, 0x0c,
	0xff, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xde, 0xad,
	0xbe, 0xef, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74,
	0x65, 0x73, 0x74, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58,
	0x00, 0x12, 0x03, 0x6e, 0x73, 0x31, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,
};

/* r_many */
static const uint8_t r_many[] = {
	0xdd, 0xdd, 0x85, 0x00, 0x00, 0x01, 0x00, 0x28, 0x00, 0x01, 0x00, 0x01,
	0x04, 0x6d, 0x61, 0x6e, 0x79, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c,
	0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x15, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x0b, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x16, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x06, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x17, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x0c, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x18, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x02, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x19, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x0d, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x1a, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x07, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x1b, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x0e, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x1c, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x04, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x1d, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x0f, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x1e, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x08, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x1f, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x10, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x20, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x01, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x21, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x11, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x22, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x09, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x23, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x12, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x24, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x05, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x25, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x13, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x26, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x0a, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x27, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x14, 0xc0, 0x0c, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6, 0x33, 0x64, 0x28, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04, 0xc6,
	0x33, 0x64, 0x03, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04,
	0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x58, 0x00, 0x12, 0x03, 0x6e, 0x73, 0x31, 0x07, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x00, 0x29,
	0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* r_referral (hand-built) */
static const uint8_t r_referral[] = {
	0xee, 0xee, 0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x03,
	0x03, 0x77, 0x77, 0x77, 0x03, 0x73, 0x75, 0x62, 0x07, 0x65, 0x78, 0x61,
	0x6d, 0x70, 0x6c, 0x65, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x01,
	0x00, 0x01, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80,
	0x00, 0x06, 0x03, 0x6e, 0x73, 0x31, 0xc0, 0x10, 0xc0, 0x10, 0x00, 0x02,
	0x00, 0x01, 0x00, 0x01, 0x51, 0x80, 0x00, 0x06, 0x03, 0x6e, 0x73, 0x32,
	0xc0, 0x10, 0xc0, 0x32, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80,
	0x00, 0x04, 0xc0, 0x00, 0x02, 0x35, 0xc0, 0x44, 0x00, 0x1c, 0x00, 0x01,
	0x00, 0x01, 0x51, 0x80, 0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x35, 0x00, 0x00,
	0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* r_badvers (hand-built) */
static const uint8_t r_badvers[] = {
	0xff, 0xff, 0x81, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x29, 0x04, 0xd0, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00,
};


/* The decoder writes ~50 KB; one static instance for every test. */
static struct dns_msg m;

/*
 * Decode a copy of the bytes in an exact-size heap buffer so ASan flags
 * any read past the end.  The copy lives until the next call (records
 * point into it).
 */
static uint8_t *cur_buf;

static enum ft_status decode(const uint8_t *b, size_t n)
{
	free(cur_buf);
	cur_buf = malloc(n ? n : 1);
	if (!cur_buf) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	if (n)
		memcpy(cur_buf, b, n);
	return dns_decode(cur_buf, n, &m);
}

/* ------------------------------------------------------------------ */
/* A tiny message builder for the hand-made inputs                     */
/* ------------------------------------------------------------------ */

struct mb {
	uint8_t b[4096];
	size_t n;
};

static void mb_u8(struct mb *w, unsigned v)
{
	if (w->n >= sizeof(w->b)) {
		fprintf(stderr, "builder overflow\n");
		exit(2);
	}
	w->b[w->n++] = (uint8_t)v;
}

static void mb_u16(struct mb *w, unsigned v) { mb_u8(w, v >> 8 & 0xff); mb_u8(w, v & 0xff); }

static void mb_u32(struct mb *w, uint32_t v) { mb_u16(w, v >> 16); mb_u16(w, v & 0xffff); }

static void mb_bytes(struct mb *w, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mb_u8(w, ((const uint8_t *)p)[i]);
}

/* Dotted text to wire labels ("" is the root); no escapes needed here. */
static void mb_name(struct mb *w, const char *s)
{
	while (*s) {
		size_t l = strcspn(s, ".");
		mb_u8(w, (unsigned)l);
		mb_bytes(w, s, l);
		s += l;
		if (*s == '.')
			s++;
	}
	mb_u8(w, 0);
}

static void mb_ptr(struct mb *w, unsigned off) { mb_u16(w, 0xc000 | off); }

static void mb_hdr(struct mb *w, unsigned id, unsigned flags, unsigned qd,
		   unsigned an, unsigned ns, unsigned ar)
{
	w->n = 0;
	mb_u16(w, id); mb_u16(w, flags);
	mb_u16(w, qd); mb_u16(w, an); mb_u16(w, ns); mb_u16(w, ar);
}

/* Record header after the owner name. */
static void mb_rrh(struct mb *w, unsigned type, unsigned cls, uint32_t ttl, unsigned rdlen)
{
	mb_u16(w, type); mb_u16(w, cls); mb_u32(w, ttl); mb_u16(w, rdlen);
}

static void set16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* ------------------------------------------------------------------ */
/* Every strict prefix of a good message                               */
/* ------------------------------------------------------------------ */

/* Offset just past the first question of a decoded good message. */
static size_t question_end(const uint8_t *b, size_t n)
{
	size_t off = 12;

	while (off < n && b[off] != 0 && (b[off] & 0xc0) == 0)
		off += 1u + b[off];
	off += (off < n && (b[off] & 0xc0) == 0xc0) ? 2 : 1;
	return off + 4;
}

static struct dns_msg full; /* the whole message's decode, to compare with */

static int bytes_same(struct dns_bytes a, struct dns_bytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* The decoded RDATA structs of two records hold the same values. */
static int rd_same(const struct dns_rr *a, const struct dns_rr *b)
{
	if (a->rd_status != FT_OK || b->rd_status != FT_OK)
		return a->rd_status == b->rd_status;
	switch (a->type) {
	case DNS_T_TXT:
		if (a->rd.txt.n != b->rd.txt.n || a->rd.txt.n_more != b->rd.txt.n_more)
			return 0;
		for (unsigned i = 0; i < a->rd.txt.n; i++)
			if (!bytes_same(a->rd.txt.s[i], b->rd.txt.s[i]))
				return 0;
		return 1;
	case DNS_T_CAA:
		return a->rd.caa.flags == b->rd.caa.flags &&
		       bytes_same(a->rd.caa.tag, b->rd.caa.tag) &&
		       bytes_same(a->rd.caa.value, b->rd.caa.value);
	case DNS_T_SVCB:
	case DNS_T_HTTPS:
		if (a->rd.svc.n != b->rd.svc.n || a->rd.svc.n_more != b->rd.svc.n_more ||
		    a->rd.svc.n_items != b->rd.svc.n_items)
			return 0;
		for (unsigned i = 0; i < a->rd.svc.n; i++) {
			const struct dns_svc_param *x = &a->rd.svc.param[i], *y = &b->rd.svc.param[i];
			if (x->key != y->key || x->len != y->len || x->kind != y->kind ||
			    x->port != y->port || x->first != y->first || x->n != y->n ||
			    x->n_more != y->n_more)
				return 0;
		}
		for (unsigned i = 0; i < a->rd.svc.n_items; i++)
			if (!bytes_same(a->rd.svc.items[i], b->rd.svc.items[i]))
				return 0;
		return 1;
	default:
		return a->rdlen == b->rdlen && (a->rdlen == 0 || memcmp(a->rdata, b->rdata, a->rdlen) == 0);
	}
}

static void check_prefixes(const char *what, const uint8_t *b, size_t n)
{
	size_t qend = question_end(b, n);
	int bad = 0;

	/* full is decoded from b itself: its slices stay valid while the
	 * prefixes are decoded from fresh copies */
	CHECK_EQ_INT(dns_decode(b, n, &full), FT_OK);
	for (size_t k = 0; k < n; k++) {
		enum ft_status st = decode(b, k);
		int ok = 1;

		ok &= st == FT_TRUNCATED && m.status == FT_TRUNCATED && m.why != NULL;
		if (k >= 2)
			ok &= m.id == full.id;
		if (k >= 4)
			ok &= m.flags == full.flags && m.rcode == (full.flags & 0xf) &&
			      m.qr == full.qr && m.opcode == full.opcode;
		if (k >= 12)
			ok &= m.qdcount == full.qdcount && m.ancount == full.ancount &&
			      m.nscount == full.nscount && m.arcount == full.arcount;
		if (k >= qend && full.has_question)
			ok &= m.has_question && dns_name_equal(&m.qname, &full.qname) &&
			      m.qtype == full.qtype && m.qclass == full.qclass;
		if (k < qend)
			ok &= !m.has_question;
		/* Records decoded from a prefix are the full message's records. */
		ok &= m.n_rr <= full.n_rr;
		for (unsigned i = 0; i < m.n_rr && ok; i++)
			ok &= dns_name_equal(&m.rr[i].name, &full.rr[i].name) &&
			      m.rr[i].type == full.rr[i].type &&
			      m.rr[i].rdlen == full.rr[i].rdlen &&
			      m.rr[i].rd_status == full.rr[i].rd_status &&
			      rd_same(&m.rr[i], &full.rr[i]);
		if (!ok && bad++ < 3)
			fprintf(stderr, "%s: prefix %zu of %zu: status %d why %s\n", what,
				k, n, (int)st, m.why ? m.why : "(null)");
	}
	CHECK_EQ_INT(bad, 0);
}

#define PREFIXES(arr) check_prefixes(#arr, arr, sizeof(arr))

/* ------------------------------------------------------------------ */
/* Good inputs                                                         */
/* ------------------------------------------------------------------ */

static void test_query(void)
{
	CHECK_EQ_INT(decode(q_a, sizeof(q_a)), FT_OK);
	CHECK(m.why == NULL);
	CHECK_EQ_INT(m.id, 0x1a2b);
	CHECK(!m.qr);
	CHECK(m.rd);
	CHECK(!m.aa);
	CHECK_EQ_INT(m.opcode, 0);
	CHECK_EQ_INT(m.qdcount, 1);
	CHECK(m.has_question);
	CHECK_EQ_STR(m.qname.text, "www.example.test");
	CHECK_EQ_INT(m.qname.len, 16);
	CHECK_EQ_INT(m.qtype, DNS_T_A);
	CHECK_EQ_INT(m.qclass, DNS_C_IN);
	CHECK_EQ_INT(m.n_rr, 0);
	CHECK(!m.edns);
	PREFIXES(q_a);
}

static void test_a(void)
{
	CHECK_EQ_INT(decode(r_a, sizeof(r_a)), FT_OK);
	CHECK_EQ_INT(m.id, 0x1a2b);
	CHECK(m.qr && m.aa && m.rd && !m.ra && !m.tc && !m.ad && !m.cd);
	CHECK_EQ_INT(m.rcode, 0);
	CHECK_EQ_INT(m.ancount, 1);
	CHECK_EQ_INT(m.nscount, 1);
	CHECK_EQ_INT(m.n_rr, 2);
	CHECK_EQ_INT(m.rr[0].section, DNS_SEC_ANSWER);
	/* the owner is a pointer to the question name */
	CHECK_EQ_INT(r_a[34], 0xc0);
	CHECK_EQ_STR(m.rr[0].name.text, "www.example.test");
	CHECK_EQ_INT(m.rr[0].type, DNS_T_A);
	CHECK_EQ_INT(m.rr[0].ttl, 600);
	CHECK_EQ_INT(m.rr[0].rdlen, 4);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_OK);
	CHECK(m.rr[0].rdata == cur_buf + 46);
	CHECK(memcmp(m.rr[0].addr, "\xc0\x00\x02\x50", 4) == 0);
	CHECK_EQ_INT(m.rr[1].section, DNS_SEC_AUTHORITY);
	CHECK_EQ_STR(m.rr[1].name.text, "example.test");
	CHECK_EQ_INT(m.rr[1].type, DNS_T_NS);
	CHECK_EQ_STR(m.rr[1].target.text, "ns1.example.test");
	PREFIXES(r_a);
}

static void test_aaaa(void)
{
	static const uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x80 };

	CHECK_EQ_INT(decode(r_aaaa, sizeof(r_aaaa)), FT_OK);
	CHECK_EQ_INT(m.qtype, DNS_T_AAAA);
	CHECK_EQ_INT(m.n_rr, 3);
	CHECK_EQ_INT(m.rr[0].type, DNS_T_AAAA);
	CHECK_EQ_INT(m.rr[0].rdlen, 16);
	CHECK(memcmp(m.rr[0].addr, want, 16) == 0);
	CHECK_EQ_INT(m.rr[2].section, DNS_SEC_ADDITIONAL);
	CHECK_EQ_INT(m.rr[2].type, DNS_T_OPT);
	CHECK_EQ_STR(m.rr[2].name.text, ".");
	CHECK(m.edns);
	CHECK_EQ_INT(m.edns_size, 1232);
	CHECK(!m.edns_do);
	PREFIXES(r_aaaa);
}

static void test_cname_chain(void)
{
	CHECK_EQ_INT(decode(r_cname, sizeof(r_cname)), FT_OK);
	CHECK(m.ra);
	CHECK_EQ_INT(m.n_rr, 3);
	CHECK_EQ_STR(m.rr[0].name.text, "a.chain.test");
	CHECK_EQ_INT(m.rr[0].type, DNS_T_CNAME);
	CHECK_EQ_STR(m.rr[0].target.text, "b.chain.test");
	CHECK_EQ_STR(m.rr[1].name.text, "b.chain.test");
	CHECK_EQ_STR(m.rr[1].target.text, "www.chain.test");
	CHECK_EQ_STR(m.rr[2].name.text, "www.chain.test");
	CHECK_EQ_INT(m.rr[2].type, DNS_T_A);
	CHECK(memcmp(m.rr[2].addr, "\xc0\x00\x02\x51", 4) == 0);
	PREFIXES(r_cname);
}

static void test_nxdomain(void)
{
	CHECK_EQ_INT(decode(r_nx, sizeof(r_nx)), FT_OK);
	CHECK_EQ_INT(m.rcode, 3);
	CHECK_EQ_STR(dns_rcode_name(m.rcode), "NXDOMAIN");
	CHECK_EQ_INT(m.ancount, 0);
	CHECK_EQ_INT(m.n_rr, 2);
	CHECK_EQ_INT(m.rr[0].section, DNS_SEC_AUTHORITY);
	CHECK_EQ_INT(m.rr[0].type, DNS_T_SOA);
	CHECK_EQ_STR(m.rr[0].target.text, "ns1.example.test");
	CHECK_EQ_STR(m.rr[0].rname.text, "hostmaster.example.test");
	CHECK_EQ_INT(m.rr[0].serial, 2024010101);
	CHECK_EQ_INT(m.rr[0].refresh, 1200);
	CHECK_EQ_INT(m.rr[0].retry, 120);
	CHECK_EQ_INT(m.rr[0].expire, 604800);
	CHECK_EQ_INT(m.rr[0].minimum, 600);
	PREFIXES(r_nx);
}

static void test_mx_txt_srv_ns_ptr(void)
{
	CHECK_EQ_INT(decode(r_mx, sizeof(r_mx)), FT_OK);
	CHECK_EQ_INT(m.rr[0].type, DNS_T_MX);
	CHECK_EQ_INT(m.rr[0].prio, 10);
	CHECK_EQ_STR(m.rr[0].target.text, "mail.example.test");
	PREFIXES(r_mx);

	CHECK_EQ_INT(decode(r_txt, sizeof(r_txt)), FT_OK);
	CHECK_EQ_INT(m.rr[0].type, DNS_T_TXT);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_OK);
	CHECK_EQ_INT(m.rr[0].rdlen, 26);
	CHECK(m.rr[0].rdata != NULL &&
	      memcmp(m.rr[0].rdata, "\x0bv=spf1 -all\x0dsecond string", 26) == 0);
	CHECK_EQ_INT(m.rr[0].rd.txt.n, 2);
	CHECK_EQ_INT(m.rr[0].rd.txt.n_more, 0);
	CHECK(m.rr[0].rd.txt.s[0].p == m.rr[0].rdata + 1 && m.rr[0].rd.txt.s[0].len == 11);
	CHECK(m.rr[0].rd.txt.s[1].len == 13 &&
	      memcmp(m.rr[0].rd.txt.s[1].p, "second string", 13) == 0);
	PREFIXES(r_txt);

	CHECK_EQ_INT(decode(r_srv, sizeof(r_srv)), FT_OK);
	CHECK_EQ_STR(m.qname.text, "_sip._tcp.example.test");
	CHECK_EQ_INT(m.rr[0].type, DNS_T_SRV);
	CHECK_EQ_INT(m.rr[0].prio, 10);
	CHECK_EQ_INT(m.rr[0].weight, 20);
	CHECK_EQ_INT(m.rr[0].port, 5060);
	CHECK_EQ_STR(m.rr[0].target.text, "sip.example.test");
	PREFIXES(r_srv);

	CHECK_EQ_INT(decode(r_ns, sizeof(r_ns)), FT_OK);
	CHECK_EQ_INT(m.n_rr, 1);
	CHECK_EQ_INT(m.rr[0].type, DNS_T_NS);
	CHECK_EQ_STR(m.rr[0].target.text, "ns1.example.test");
	PREFIXES(r_ns);

	CHECK_EQ_INT(decode(r_ptr, sizeof(r_ptr)), FT_OK);
	CHECK_EQ_STR(m.qname.text, "80.2.0.192.in-addr.arpa");
	CHECK_EQ_INT(m.rr[0].type, DNS_T_PTR);
	CHECK_EQ_STR(m.rr[0].target.text, "www.example.test");
	PREFIXES(r_ptr);
}

static void test_https(void)
{
	CHECK_EQ_INT(decode(r_https, sizeof(r_https)), FT_OK);
	CHECK_EQ_INT(m.n_rr, 1);
	CHECK_EQ_INT(m.rr[0].type, DNS_T_HTTPS);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_OK);
	CHECK_EQ_INT(m.rr[0].prio, 1);
	CHECK_EQ_STR(m.rr[0].target.text, ".");
	CHECK_EQ_INT(m.rr[0].rdlen, 16);
	/* rdata stays at the start of RDATA, params included */
	CHECK(m.rr[0].rdata == cur_buf + 44);
	CHECK_EQ_INT(m.rr[0].rdata[0], 0x00);
	CHECK_EQ_INT(m.rr[0].rdata[1], 0x01);
	/* alpn=h2 port=443 */
	const struct dns_svc *svc = &m.rr[0].rd.svc;
	CHECK_EQ_INT(svc->n, 2);
	CHECK_EQ_INT(svc->n_more, 0);
	CHECK_EQ_INT(svc->param[0].key, 1);
	CHECK_EQ_INT(svc->param[0].kind, DNS_SVC_ALPN);
	CHECK_EQ_INT(svc->param[0].len, 3);
	CHECK_EQ_INT(svc->param[0].n, 1);
	CHECK(svc->items[svc->param[0].first].len == 2 &&
	      memcmp(svc->items[svc->param[0].first].p, "h2", 2) == 0);
	CHECK_EQ_INT(svc->param[1].key, 3);
	CHECK_EQ_INT(svc->param[1].kind, DNS_SVC_PORT);
	CHECK_EQ_INT(svc->param[1].port, 443);
	PREFIXES(r_https);
}

/* One answer of `type` for "r.test" with the given RDATA, in w. */
static void one_rr(struct mb *w, unsigned type, const void *rdata, size_t rdlen)
{
	mb_hdr(w, 0x4242, 0x8500, 1, 1, 0, 0);
	mb_name(w, "r.test");
	mb_u16(w, type); mb_u16(w, 1);
	mb_ptr(w, 12);
	mb_rrh(w, type, 1, 60, (unsigned)rdlen);
	mb_bytes(w, rdata, rdlen);
}

static void test_txt_rdata(void)
{
	struct mb w;
	uint8_t rd[600];

	/* an empty string, then one with a quote and a NUL */
	one_rr(&w, DNS_T_TXT, "\x00\x04" "a\"\x00" "b", 6);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_OK);
	CHECK_EQ_INT(m.rr[0].rd.txt.n, 2);
	CHECK_EQ_INT(m.rr[0].rd.txt.s[0].len, 0);
	CHECK(m.rr[0].rd.txt.s[1].len == 4 && memcmp(m.rr[0].rd.txt.s[1].p, "a\"\0" "b", 4) == 0);
	check_prefixes("txt two strings", w.b, w.n);

	/* no string at all: RFC 1035 wants one, but nothing to show is not an error */
	one_rr(&w, DNS_T_TXT, "", 0);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_OK);
	CHECK_EQ_INT(m.rr[0].rd.txt.n, 0);

	/* a string that runs past the RDATA */
	one_rr(&w, DNS_T_TXT, "\x05" "abc", 4);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_MALFORMED);
	CHECK_EQ_STR(m.why, "TXT string runs past rdata");

	/* more strings than are kept: counted */
	for (size_t i = 0; i < DNS_TXT_MAX + 5; i++)
		rd[2 * i] = 1, rd[2 * i + 1] = (uint8_t)('A' + i % 26);
	one_rr(&w, DNS_T_TXT, rd, 2 * (DNS_TXT_MAX + 5));
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd.txt.n, DNS_TXT_MAX);
	CHECK_EQ_INT(m.rr[0].rd.txt.n_more, 5);
	CHECK(m.rr[0].rd.txt.s[DNS_TXT_MAX - 1].len == 1 &&
	      m.rr[0].rd.txt.s[DNS_TXT_MAX - 1].p[0] == 'A' + (DNS_TXT_MAX - 1) % 26);
	check_prefixes("txt many strings", w.b, w.n);
}

static void test_caa_rdata(void)
{
	struct mb w;

	/* RFC 8659 4.1: flags 128, tag "iodef", value to the end */
	one_rr(&w, DNS_T_CAA, "\x80\x05iodefmailto:a@r.test", 22);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].type, DNS_T_CAA);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_OK);
	CHECK_EQ_INT(m.rr[0].rd.caa.flags, 128);
	CHECK(m.rr[0].rd.caa.tag.len == 5 && memcmp(m.rr[0].rd.caa.tag.p, "iodef", 5) == 0);
	CHECK(m.rr[0].rd.caa.value.len == 15 &&
	      memcmp(m.rr[0].rd.caa.value.p, "mailto:a@r.test", 15) == 0);
	CHECK(m.rr[0].rd.caa.tag.p == m.rr[0].rdata + 2);
	check_prefixes("caa", w.b, w.n);

	/* an empty value is fine */
	one_rr(&w, DNS_T_CAA, "\x00\x05issue", 7);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_OK);
	CHECK_EQ_INT(m.rr[0].rd.caa.value.len, 0);

	/* a zero-length tag, a tag past the RDATA, a lone flags byte, nothing */
	static const struct {
		const char *rd;
		size_t len;
	} bad[] = { { "\x00\x00value", 7 }, { "\x00\x09iss", 5 }, { "\x80", 1 }, { "", 0 } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		one_rr(&w, DNS_T_CAA, bad[i].rd, bad[i].len);
		CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
		CHECK_EQ_INT(m.rr[0].rd_status, FT_MALFORMED);
		CHECK_EQ_STR(m.why, "CAA tag length bad");
	}
}

/* Append one SvcParam to an RDATA being built. */
static size_t svc_put(uint8_t *rd, size_t off, unsigned key, const void *v, size_t len)
{
	set16(rd + off, key);
	set16(rd + off + 2, (unsigned)len);
	memcpy(rd + off + 4, v, len);
	return off + 4 + len;
}

static void test_svc_rdata(void)
{
	struct mb w;
	uint8_t rd[1024];
	size_t n;
	const struct dns_svc *svc = &m.rr[0].rd.svc;
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x80 };

	/* priority 1, target ".", then every kind of value */
	rd[0] = 0, rd[1] = 1, rd[2] = 0;
	n = svc_put(rd, 3, 1, "\x00\x02h2\x08http/1.1", 13); /* an empty id first */
	n = svc_put(rd, n, 3, "\x01\xbb", 2);
	n = svc_put(rd, n, 4, "\xc0\x00\x02\x50\xc0\x00\x02\x51", 8);
	n = svc_put(rd, n, 6, v6, 16);
	n = svc_put(rd, n, 5, "\xaa\xbb\xcc", 3);  /* ech: shown by length */
	n = svc_put(rd, n, 2, "", 0);                /* no-default-alpn */
	one_rr(&w, DNS_T_HTTPS, rd, n);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_OK);
	CHECK_EQ_INT(m.rr[0].prio, 1);
	CHECK_EQ_INT(svc->n, 6);
	CHECK_EQ_INT(svc->param[0].kind, DNS_SVC_ALPN);
	CHECK_EQ_INT(svc->param[0].n, 3);
	CHECK_EQ_INT(svc->items[svc->param[0].first].len, 0);
	CHECK(svc->items[svc->param[0].first + 2].len == 8 &&
	      memcmp(svc->items[svc->param[0].first + 2].p, "http/1.1", 8) == 0);
	CHECK_EQ_INT(svc->param[1].kind, DNS_SVC_PORT);
	CHECK_EQ_INT(svc->param[1].port, 443);
	CHECK_EQ_INT(svc->param[2].kind, DNS_SVC_IPV4);
	CHECK_EQ_INT(svc->param[2].n, 2);
	CHECK(svc->items[svc->param[2].first + 1].len == 4 &&
	      svc->items[svc->param[2].first + 1].p[3] == 0x51);
	CHECK_EQ_INT(svc->param[3].kind, DNS_SVC_IPV6);
	CHECK_EQ_INT(svc->param[3].n, 1);
	CHECK(svc->items[svc->param[3].first].len == 16 &&
	      memcmp(svc->items[svc->param[3].first].p, v6, 16) == 0);
	CHECK_EQ_INT(svc->param[4].kind, DNS_SVC_OTHER);
	CHECK_EQ_INT(svc->param[4].key, 5);
	CHECK_EQ_INT(svc->param[4].len, 3);
	CHECK_EQ_INT(svc->param[5].kind, DNS_SVC_OTHER);
	CHECK_EQ_INT(svc->param[5].len, 0);
	CHECK_EQ_INT(svc->n_items, 6);
	check_prefixes("https all kinds", w.b, w.n);

	/* values of the wrong size are shown by length; an ALPN id that
	 * overruns its value ends the list */
	n = svc_put(rd, 3, 1, "\x02h2\x09h3", 6);
	n = svc_put(rd, n, 3, "\x01\xbb\x00", 3);
	n = svc_put(rd, n, 4, "\xc0\x00\x02", 3);
	n = svc_put(rd, n, 6, v6, 15);
	one_rr(&w, DNS_T_SVCB, rd, n);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_OK);
	CHECK_EQ_INT(svc->n, 4);
	CHECK_EQ_INT(svc->param[0].kind, DNS_SVC_ALPN);
	CHECK_EQ_INT(svc->param[0].n, 1);
	CHECK_EQ_INT(svc->param[1].kind, DNS_SVC_OTHER);
	CHECK_EQ_INT(svc->param[2].kind, DNS_SVC_OTHER);
	CHECK_EQ_INT(svc->param[3].kind, DNS_SVC_OTHER);
	CHECK_EQ_INT(svc->param[3].len, 15);

	/* a parameter that runs past the RDATA, a header cut in two */
	n = svc_put(rd, 3, 1, "\x02h2", 3);
	set16(rd + 5, 9);
	one_rr(&w, DNS_T_HTTPS, rd, n);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_MALFORMED);
	CHECK_EQ_STR(m.why, "SVCB parameter runs past rdata");
	one_rr(&w, DNS_T_HTTPS, rd, 5);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_MALFORMED);

	/* more parameters than are kept, more addresses than are kept: counted */
	n = 3;
	for (unsigned i = 0; i < DNS_SVC_MAX + 3; i++)
		n = svc_put(rd, n, 100 + i, "", 0);
	one_rr(&w, DNS_T_SVCB, rd, n);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_OK);
	CHECK_EQ_INT(svc->n, DNS_SVC_MAX);
	CHECK_EQ_INT(svc->n_more, 3);
	CHECK_EQ_INT(svc->param[DNS_SVC_MAX - 1].key, 100 + DNS_SVC_MAX - 1);
	check_prefixes("svcb many params", w.b, w.n);
	uint8_t hints[4 * (DNS_SVC_ITEMS_MAX + 2)];
	for (size_t i = 0; i < sizeof(hints); i++)
		hints[i] = (uint8_t)i;
	n = svc_put(rd, 3, 4, hints, sizeof(hints));
	one_rr(&w, DNS_T_SVCB, rd, n);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(svc->n, 1);
	CHECK_EQ_INT(svc->param[0].kind, DNS_SVC_IPV4);
	CHECK_EQ_INT(svc->param[0].n, DNS_SVC_ITEMS_MAX);
	CHECK_EQ_INT(svc->param[0].n_more, 2);
	CHECK_EQ_INT(svc->n_items, DNS_SVC_ITEMS_MAX);
}

static void test_edns(void)
{
	CHECK_EQ_INT(decode(r_do, sizeof(r_do)), FT_OK);
	CHECK(m.edns);
	CHECK(m.edns_do);
	CHECK_EQ_INT(m.edns_version, 0);
	CHECK_EQ_INT(m.rcode, 0);
	PREFIXES(r_do);

	CHECK_EQ_INT(decode(r_badvers, sizeof(r_badvers)), FT_OK);
	CHECK_EQ_INT(m.flags & 0xf, 0);
	CHECK_EQ_INT(m.rcode, 16);
	CHECK_EQ_STR(dns_rcode_name(m.rcode), "BADVERS");
	CHECK(m.edns && m.edns_do);
	CHECK_EQ_INT(m.edns_size, 1232);
	CHECK_EQ_INT(m.edns_version, 0);
	PREFIXES(r_badvers);
}

static void test_referral(void)
{
	CHECK_EQ_INT(decode(r_referral, sizeof(r_referral)), FT_OK);
	CHECK(!m.aa);
	CHECK_EQ_INT(m.ancount, 0);
	CHECK_EQ_INT(m.n_rr, 5);
	CHECK_EQ_INT(m.rr[0].section, DNS_SEC_AUTHORITY);
	CHECK_EQ_STR(m.rr[0].name.text, "sub.example.test");
	CHECK_EQ_STR(m.rr[0].target.text, "ns1.sub.example.test");
	CHECK_EQ_STR(m.rr[1].target.text, "ns2.sub.example.test");
	CHECK_EQ_INT(m.rr[2].section, DNS_SEC_ADDITIONAL);
	/* owner is a pointer into the first NS record's RDATA */
	CHECK_EQ_STR(m.rr[2].name.text, "ns1.sub.example.test");
	CHECK_EQ_INT(m.rr[2].type, DNS_T_A);
	CHECK(memcmp(m.rr[2].addr, "\xc0\x00\x02\x35", 4) == 0);
	CHECK_EQ_STR(m.rr[3].name.text, "ns2.sub.example.test");
	CHECK_EQ_INT(m.rr[3].type, DNS_T_AAAA);
	CHECK_EQ_INT(m.rr[3].addr[15], 0x35);
	CHECK_EQ_INT(m.rr[4].type, DNS_T_OPT);
	CHECK(m.edns);
	PREFIXES(r_referral);
}

static void test_unknown_type(void)
{
	CHECK_EQ_INT(decode(r_unknown, sizeof(r_unknown)), FT_OK);
	CHECK_EQ_INT(m.rr[0].type, 65280);
	CHECK(dns_type_name(m.rr[0].type) == NULL);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_OK);
	CHECK_EQ_INT(m.rr[0].rdlen, 4);
	CHECK(m.rr[0].rdata == cur_buf + 46);
	CHECK(memcmp(m.rr[0].rdata, "\xde\xad\xbe\xef", 4) == 0);
	PREFIXES(r_unknown);
}

static void test_many(void)
{
	struct mb w;

	/* dnsmasq: 40 answers + NS + OPT.  The OPT is past DNS_MAX_RR and
	 * still found. */
	CHECK_EQ_INT(decode(r_many, sizeof(r_many)), FT_OK);
	CHECK_EQ_INT(m.ancount, 40);
	CHECK_EQ_INT(m.n_rr, DNS_MAX_RR);
	CHECK_EQ_INT(m.n_rr_dropped, 10);
	CHECK(m.edns);
	CHECK_EQ_INT(m.edns_size, 1232);
	PREFIXES(r_many);

	/* exactly 40 answers, nothing else */
	mb_hdr(&w, 0x4040, 0x8180, 1, 40, 0, 0);
	mb_name(&w, "many.example.test");
	mb_u16(&w, DNS_T_A); mb_u16(&w, DNS_C_IN);
	for (unsigned i = 0; i < 40; i++) {
		mb_ptr(&w, 12);
		mb_rrh(&w, DNS_T_A, DNS_C_IN, 60, 4);
		mb_u32(&w, 0xc6336400u + i);
	}
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.n_rr, DNS_MAX_RR);
	CHECK_EQ_INT(m.n_rr_dropped, 8);
	CHECK_EQ_INT(m.rr[DNS_MAX_RR - 1].addr[3], DNS_MAX_RR - 1);
	check_prefixes("forty", w.b, w.n);
}

/* Names: escapes, the 255-byte boundary, case-insensitive compare. */
static void test_names(void)
{
	struct mb w;
	char label[63];
	struct dns_name a, b;

	/* "a.b" and "c\d" as single labels */
	mb_hdr(&w, 1, 0, 1, 0, 0, 0);
	mb_u8(&w, 3); mb_bytes(&w, "a.b", 3);
	mb_u8(&w, 3); mb_bytes(&w, "c\\d", 3);
	mb_u8(&w, 0);
	mb_u16(&w, 1); mb_u16(&w, 1);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_STR(m.qname.text, "a\\.b.c\\\\d");
	CHECK_EQ_INT(m.qname.len, 9);

	/* root question */
	mb_hdr(&w, 1, 0, 1, 0, 0, 0);
	mb_name(&w, "");
	mb_u16(&w, DNS_T_NS); mb_u16(&w, 1);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_STR(m.qname.text, ".");
	CHECK_EQ_INT(m.qname.len, 1);

	/* 255 wire bytes exactly: 3 x 63 + 61 + four length bytes + root;
	 * every byte a '.' so the text is as long as it can be. */
	memset(label, '.', sizeof(label));
	mb_hdr(&w, 1, 0, 1, 0, 0, 0);
	for (int i = 0; i < 3; i++) {
		mb_u8(&w, 63); mb_bytes(&w, label, 63);
	}
	mb_u8(&w, 61); mb_bytes(&w, label, 61);
	mb_u8(&w, 0);
	CHECK_EQ_INT(w.n - 12, 255);
	mb_u16(&w, 1); mb_u16(&w, 1);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.qname.len, 2 * 250 + 3);
	CHECK_EQ_INT(strlen(m.qname.text), m.qname.len);
	check_prefixes("name255", w.b, w.n);

	/* 256 wire bytes: one more label byte */
	mb_hdr(&w, 1, 0, 1, 0, 0, 0);
	for (int i = 0; i < 3; i++) {
		mb_u8(&w, 63); mb_bytes(&w, label, 63);
	}
	mb_u8(&w, 62); mb_bytes(&w, label, 62);
	mb_u8(&w, 0);
	mb_u16(&w, 1); mb_u16(&w, 1);
	CHECK_EQ_INT(decode(w.b, w.n), FT_MALFORMED);
	CHECK_EQ_STR(m.why, "name longer than 255 bytes");
	CHECK(!m.has_question);

	/* under 255 bytes each, over 255 once a pointer joins them: the
	 * question is 4 x 63 + 1 = 253 bytes, the owner "x" + pointer makes
	 * 255 (fine) and "xx" + pointer 256 (not) */
	for (unsigned xl = 1; xl <= 2; xl++) {
		mb_hdr(&w, 1, 0x8000, 1, 1, 0, 0);
		for (int i = 0; i < 4; i++) {
			mb_u8(&w, 62);
			memset(label, 'q', sizeof(label));
			mb_bytes(&w, label, 62);
		}
		mb_u8(&w, 0);
		mb_u16(&w, 1); mb_u16(&w, 1);
		mb_u8(&w, xl); mb_bytes(&w, "xx", xl); mb_ptr(&w, 12);
		mb_rrh(&w, DNS_T_A, 1, 0, 4); mb_u32(&w, 0);
		if (xl == 1) {
			CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
			CHECK_EQ_INT(m.rr[0].name.len, 2 + 4 * 62 + 3);
		} else {
			CHECK_EQ_INT(decode(w.b, w.n), FT_MALFORMED);
			CHECK_EQ_STR(m.why, "name longer than 255 bytes");
			CHECK(m.has_question);
			CHECK_EQ_INT(m.n_rr, 0);
		}
	}

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	strcpy(a.text, "WWW.Example.TEST");
	a.len = 16;
	strcpy(b.text, "www.example.test");
	b.len = 16;
	CHECK(dns_name_equal(&a, &b));
	b.text[0] = 'v';
	CHECK(!dns_name_equal(&a, &b));
	b.text[0] = 'w';
	b.len = 15;
	CHECK(!dns_name_equal(&a, &b));
	/* '[' (0x5b) is not 'Z' + 32 folded; '{' must not equal '[' */
	strcpy(a.text, "[");
	strcpy(b.text, "{");
	a.len = b.len = 1;
	CHECK(!dns_name_equal(&a, &b));
}

/* ------------------------------------------------------------------ */
/* Bad inputs                                                          */
/* ------------------------------------------------------------------ */

/* A response with one question "www.example.test" (ends at 34) and the
 * owner name of the first answer written by the caller. */
static void start_one_answer(struct mb *w, unsigned an)
{
	mb_hdr(w, 0xbad0, 0x8180, 1, an, 0, 0);
	mb_name(w, "www.example.test");
	mb_u16(w, DNS_T_A); mb_u16(w, DNS_C_IN);
}

static void test_compression_bad(void)
{
	struct mb w, v;
	const size_t chain = 12 + 1 + 10; /* RDATA start after a root-owned record header */

	/* question name is a pointer to itself */
	mb_hdr(&w, 2, 0, 1, 0, 0, 0);
	mb_ptr(&w, 12);
	mb_u16(&w, 1); mb_u16(&w, 1);
	CHECK_EQ_INT(decode(w.b, w.n), FT_MALFORMED);
	CHECK_EQ_STR(m.why, "name compression loop");
	CHECK_EQ_INT(m.id, 2);
	CHECK_EQ_INT(m.qdcount, 1);
	CHECK(!m.has_question);

	/* a label then a pointer back to that label: a.a.a... */
	mb_hdr(&w, 2, 0, 1, 0, 0, 0);
	mb_u8(&w, 1); mb_u8(&w, 'a'); mb_ptr(&w, 12);
	mb_u16(&w, 1); mb_u16(&w, 1);
	CHECK_EQ_INT(decode(w.b, w.n), FT_MALFORMED);
	CHECK_EQ_STR(m.why, "name compression loop");

	/* after one good jump, a pointer back to where that jump landed:
	 * in an unknown record's RDATA, "b" at 23 then a pointer at 25 back
	 * to 23; the next owner (27) points to 23 */
	mb_hdr(&v, 2, 0x8000, 0, 2, 0, 0);
	mb_u8(&v, 0);
	mb_rrh(&v, 65280, 1, 0, 4);
	mb_u8(&v, 1); mb_u8(&v, 'b'); mb_ptr(&v, chain); /* 23..26 */
	mb_ptr(&v, chain);                               /* 27: owner */
	mb_rrh(&v, 1, 1, 0, 4); mb_u32(&v, 0);
	CHECK_EQ_INT(decode(v.b, v.n), FT_MALFORMED);
	CHECK_EQ_STR(m.why, "name compression loop");
	CHECK_EQ_INT(m.n_rr, 1);

	/* two pointers to each other (23 -> 25, 25 -> 23), entered at
	 * either one: a two-pointer cycle always has a forward pointer */
	mb_hdr(&v, 3, 0x8000, 0, 2, 0, 0);
	mb_u8(&v, 0);
	mb_rrh(&v, 65280, 1, 0, 2);
	mb_ptr(&v, chain + 2);                /* 23 -> 25 */
	mb_ptr(&v, chain);                    /* 25: owner, -> 23 */
	mb_rrh(&v, 1, 1, 0, 4); mb_u32(&v, 0);
	CHECK_EQ_INT(decode(v.b, v.n), FT_MALFORMED);
	CHECK_EQ_STR(m.why, "compression pointer points forward");
	CHECK_EQ_INT(m.n_rr, 1);
	mb_hdr(&w, 3, 0, 2, 0, 0, 0);
	mb_name(&w, "a");                     /* 12..14 */
	mb_u16(&w, 1); mb_u16(&w, 1);         /* 15..18 */
	mb_ptr(&w, 21);                       /* 19: second question -> 21 */
	mb_ptr(&w, 19);                       /* 21 -> 19 */
	CHECK_EQ_INT(decode(w.b, w.n), FT_MALFORMED);
	CHECK_EQ_STR(m.why, "compression pointer points forward");
	CHECK(m.has_question);
	CHECK_EQ_STR(m.qname.text, "a");

	/* a pointer forward past the end of the message */
	mb_hdr(&w, 4, 0, 1, 0, 0, 0);
	mb_ptr(&w, 0x3fff);
	mb_u16(&w, 1); mb_u16(&w, 1);
	CHECK_EQ_INT(decode(w.b, w.n), FT_MALFORMED);
	CHECK_EQ_STR(m.why, "compression pointer points forward");

	/* 130 pointers inside an unknown record's RDATA, each to the one
	 * before, the first to a root label: strictly backwards, but the
	 * owner after them needs 131 hops, over the cap. */
	mb_hdr(&v, 5, 0, 0, 2, 0, 0);
	mb_u8(&v, 0);
	mb_rrh(&v, 65280, 1, 0, 1 + 2 * 130);
	mb_u8(&v, 0);
	for (unsigned i = 0; i < 130; i++)
		mb_ptr(&v, i == 0 ? chain : chain + 1 + 2 * (i - 1));
	mb_ptr(&v, chain + 1 + 2 * 129);
	mb_rrh(&v, 1, 1, 0, 4); mb_u32(&v, 0);
	CHECK_EQ_INT(decode(v.b, v.n), FT_MALFORMED);
	CHECK_EQ_STR(m.why, "too many compression pointers");
	CHECK_EQ_INT(m.n_rr, 1);

	/* the same with 100 hops is fine */
	mb_hdr(&v, 5, 0, 0, 2, 0, 0);
	mb_u8(&v, 0);
	mb_rrh(&v, 65280, 1, 0, 1 + 2 * 100);
	mb_u8(&v, 0);
	for (unsigned i = 0; i < 100; i++)
		mb_ptr(&v, i == 0 ? chain : chain + 1 + 2 * (i - 1));
	mb_ptr(&v, chain + 1 + 2 * 99);
	mb_rrh(&v, 1, 1, 0, 4); mb_u32(&v, 0);
	CHECK_EQ_INT(decode(v.b, v.n), FT_OK);
	CHECK_EQ_INT(m.n_rr, 2);
	CHECK_EQ_STR(m.rr[1].name.text, ".");
}

static void test_label_types(void)
{
	struct mb w;

	mb_hdr(&w, 6, 0, 1, 0, 0, 0);
	mb_u8(&w, 0x41); mb_u8(&w, 0);
	mb_u16(&w, 1); mb_u16(&w, 1);
	CHECK_EQ_INT(decode(w.b, w.n), FT_MALFORMED);
	CHECK_EQ_STR(m.why, "label type 0x40 unsupported");
	CHECK_EQ_INT(m.id, 6);

	w.b[12] = 0x80;
	CHECK_EQ_INT(decode(w.b, w.n), FT_MALFORMED);
	CHECK_EQ_STR(m.why, "label type 0x80 unsupported");
}

static void test_record_bad(void)
{
	struct mb w;
	uint8_t b[sizeof(r_a)];

	/* rdlength past the end of the message */
	memcpy(b, r_a, sizeof(b));
	set16(b + 44, 0x00ff);
	CHECK_EQ_INT(decode(b, sizeof(b)), FT_TRUNCATED);
	CHECK_EQ_STR(m.why, "record runs past end");
	CHECK(m.has_question);
	CHECK_EQ_STR(m.qname.text, "www.example.test");
	CHECK_EQ_INT(m.n_rr, 0);

	/* counts claiming more records than there are */
	memcpy(b, r_a, sizeof(b));
	set16(b + 6, 3);
	CHECK_EQ_INT(decode(b, sizeof(b)), FT_TRUNCATED);
	CHECK_EQ_STR(m.why, "message ends before all records");
	CHECK_EQ_INT(m.n_rr, 2);
	CHECK_EQ_INT(m.rr[1].section, DNS_SEC_ANSWER);

	/* and more questions than there are */
	memcpy(b, q_a, sizeof(q_a));
	set16(b + 4, 0xffff);
	CHECK_EQ_INT(decode(b, sizeof(q_a)), FT_TRUNCATED);
	CHECK_EQ_STR(m.why, "message ends before all questions");
	CHECK(m.has_question);

	/* counts at their maximum over a header-only message */
	mb_hdr(&w, 7, 0x8000, 0, 0xffff, 0xffff, 0xffff);
	CHECK_EQ_INT(decode(w.b, w.n), FT_TRUNCATED);
	CHECK_EQ_INT(m.ancount, 0xffff);

	/* A with rdlength 5, then a good A: the message stays OK */
	start_one_answer(&w, 2);
	mb_ptr(&w, 12); mb_rrh(&w, DNS_T_A, 1, 60, 5); mb_bytes(&w, "\x01\x02\x03\x04\x05", 5);
	mb_ptr(&w, 12); mb_rrh(&w, DNS_T_A, 1, 60, 4); mb_bytes(&w, "\x0a\x00\x00\x01", 4);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.n_rr, 2);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_MALFORMED);
	CHECK_EQ_INT(m.rr[0].rdlen, 5);
	CHECK_EQ_STR(m.why, "rdata length mismatch for A");
	CHECK_EQ_INT(m.rr[1].rd_status, FT_OK);
	CHECK_EQ_INT(m.rr[1].addr[0], 10);

	/* TXT whose second string overruns the RDATA */
	start_one_answer(&w, 1);
	mb_ptr(&w, 12); mb_rrh(&w, DNS_T_TXT, 1, 60, 6);
	mb_bytes(&w, "\x02hi\x05" "ab", 6);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_MALFORMED);
	CHECK_EQ_STR(m.why, "TXT string runs past rdata");
	/* the same bytes with the string fitting */
	w.b[w.n - 3] = 2;
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_OK);
	CHECK(m.why == NULL);

	/* CNAME whose target runs past its RDATA (the message goes on) */
	start_one_answer(&w, 2);
	mb_ptr(&w, 12); mb_rrh(&w, DNS_T_CNAME, 1, 60, 3);
	mb_u8(&w, 3); mb_bytes(&w, "ab", 2);
	mb_ptr(&w, 12); mb_rrh(&w, DNS_T_A, 1, 60, 4); mb_u32(&w, 0);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_MALFORMED);
	CHECK_EQ_STR(m.why, "name runs past rdata");
	CHECK_EQ_INT(m.n_rr, 2);

	/* MX with a byte after the exchange name */
	start_one_answer(&w, 1);
	mb_ptr(&w, 12); mb_rrh(&w, DNS_T_MX, 1, 60, 5);
	mb_u16(&w, 5); mb_ptr(&w, 12); mb_u8(&w, 0);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_MALFORMED);
	CHECK_EQ_STR(m.why, "rdata length mismatch for MX");
	CHECK_EQ_STR(m.rr[0].target.text, "www.example.test");

	/* HTTPS params one byte short; then a compressed target */
	start_one_answer(&w, 1);
	mb_ptr(&w, 12); mb_rrh(&w, DNS_T_HTTPS, 1, 60, 2 + 1 + 4 + 1);
	mb_u16(&w, 1); mb_u8(&w, 0); mb_u16(&w, 3); mb_u16(&w, 2); mb_u8(&w, 1);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_MALFORMED);
	CHECK_EQ_STR(m.why, "SVCB parameter runs past rdata");
	start_one_answer(&w, 1);
	mb_ptr(&w, 12); mb_rrh(&w, DNS_T_SVCB, 1, 60, 4);
	mb_u16(&w, 1); mb_ptr(&w, 12);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_MALFORMED);
	CHECK_EQ_STR(m.why, "compressed name where not allowed");

	/* record header cut inside TYPE/CLASS/TTL/RDLENGTH */
	start_one_answer(&w, 1);
	mb_ptr(&w, 12); mb_u16(&w, 1); mb_u16(&w, 1); mb_u16(&w, 0);
	CHECK_EQ_INT(decode(w.b, w.n), FT_TRUNCATED);
	CHECK_EQ_STR(m.why, "record header cut short");
}

static void test_opt_bad(void)
{
	struct mb w;

	/* OPT with a non-root owner: flagged, EDNS not applied */
	start_one_answer(&w, 0);
	w.b[11] = 1;
	mb_ptr(&w, 12); mb_rrh(&w, DNS_T_OPT, 4096, 0x01008000, 0);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK(!m.edns);
	CHECK_EQ_INT(m.rcode, 0);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_MALFORMED);
	CHECK_EQ_STR(m.why, "OPT owner is not the root");

	/* the same with a root owner: applied */
	start_one_answer(&w, 0);
	w.b[11] = 1;
	mb_u8(&w, 0); mb_rrh(&w, DNS_T_OPT, 4096, 0x01018000, 0);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK(m.edns);
	CHECK_EQ_INT(m.rcode, 16);
	CHECK_EQ_INT(m.edns_version, 1);
	CHECK_EQ_INT(m.edns_size, 4096);
	CHECK(m.why == NULL);

	/* an option running past RDATA: flagged, fixed fields still apply */
	start_one_answer(&w, 0);
	w.b[11] = 1;
	mb_u8(&w, 0); mb_rrh(&w, DNS_T_OPT, 1232, 0, 5);
	mb_u16(&w, 10); mb_u16(&w, 8); mb_u8(&w, 0);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK(m.edns);
	CHECK_EQ_INT(m.rr[0].rd_status, FT_MALFORMED);
	CHECK_EQ_STR(m.why, "EDNS option runs past rdata");

	/* a second OPT record */
	start_one_answer(&w, 0);
	w.b[11] = 2;
	mb_u8(&w, 0); mb_rrh(&w, DNS_T_OPT, 1232, 0, 0);
	mb_u8(&w, 0); mb_rrh(&w, DNS_T_OPT, 512, 0x01000000, 0);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.edns_size, 1232);
	CHECK_EQ_INT(m.rcode, 0);
	CHECK_EQ_INT(m.rr[1].rd_status, FT_MALFORMED);
	CHECK_EQ_STR(m.why, "more than one OPT record");
}

static void test_header_bits(void)
{
	struct mb w;

	/* NOTIFY, TC, AD, CD, rcode 5 */
	mb_hdr(&w, 0x0102, 0x8000 | 4 << 11 | 0x0200 | 0x0020 | 0x0010 | 5, 0, 0, 0, 0);
	CHECK_EQ_INT(decode(w.b, w.n), FT_OK);
	CHECK_EQ_INT(m.id, 0x0102);
	CHECK_EQ_INT(m.opcode, 4);
	CHECK_EQ_STR(dns_opcode_name(m.opcode), "NOTIFY");
	CHECK(m.qr && m.tc && m.ad && m.cd);
	CHECK(!m.aa && !m.rd && !m.ra);
	CHECK_EQ_INT(m.rcode, 5);
	CHECK(!m.has_question);

	CHECK_EQ_INT(decode(w.b, 3), FT_TRUNCATED);
	CHECK_EQ_STR(m.why, "header cut short");
	CHECK_EQ_INT(m.id, 0x0102);
	CHECK_EQ_INT(decode(w.b, 0), FT_TRUNCATED);
	CHECK_EQ_INT(m.id, 0);
}

static void test_tables(void)
{
	CHECK_EQ_STR(dns_type_name(DNS_T_A), "A");
	CHECK_EQ_STR(dns_type_name(DNS_T_HTTPS), "HTTPS");
	CHECK_EQ_STR(dns_type_name(DNS_T_SVCB), "SVCB");
	CHECK_EQ_STR(dns_type_name(DNS_T_OPT), "OPT");
	CHECK_EQ_STR(dns_type_name(257), "CAA");
	CHECK_EQ_STR(dns_type_name(255), "ANY");
	CHECK_EQ_STR(dns_type_name(252), "AXFR");
	CHECK_EQ_STR(dns_type_name(35), "NAPTR");
	CHECK_EQ_STR(dns_type_name(39), "DNAME");
	CHECK_EQ_STR(dns_type_name(52), "TLSA");
	CHECK_EQ_STR(dns_type_name(46), "RRSIG");
	CHECK(dns_type_name(0) == NULL);
	CHECK(dns_type_name(65280) == NULL);
	CHECK_EQ_STR(dns_class_name(1), "IN");
	CHECK_EQ_STR(dns_class_name(3), "CH");
	CHECK_EQ_STR(dns_class_name(4), "HS");
	CHECK_EQ_STR(dns_class_name(254), "NONE");
	CHECK_EQ_STR(dns_class_name(255), "ANY");
	CHECK(dns_class_name(2) == NULL);
	CHECK_EQ_STR(dns_rcode_name(0), "NOERROR");
	CHECK_EQ_STR(dns_rcode_name(10), "NOTZONE");
	CHECK_EQ_STR(dns_rcode_name(17), "BADKEY");
	CHECK_EQ_STR(dns_rcode_name(18), "BADTIME");
	CHECK_EQ_STR(dns_rcode_name(23), "BADCOOKIE");
	CHECK(dns_rcode_name(11) == NULL);
	CHECK_EQ_STR(dns_opcode_name(0), "QUERY");
	CHECK_EQ_STR(dns_opcode_name(5), "UPDATE");
	CHECK_EQ_STR(dns_opcode_name(6), "DSO");
	CHECK(dns_opcode_name(3) == NULL);
}

int main(void)
{
	test_query();
	test_a();
	test_aaaa();
	test_cname_chain();
	test_nxdomain();
	test_mx_txt_srv_ns_ptr();
	test_https();
	test_txt_rdata();
	test_caa_rdata();
	test_svc_rdata();
	test_edns();
	test_referral();
	test_unknown_type();
	test_many();
	test_names();
	test_compression_bad();
	test_label_types();
	test_record_bad();
	test_opt_bad();
	test_header_bits();
	test_tables();
	free(cur_buf);
	return t_done("test_dns");
}
