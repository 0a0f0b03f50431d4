/* frames.h - build test input by hand: DNS messages, and Ethernet + IPv4 frames
 * carrying UDP or TCP (for the fetch, timeline and trace unit tests). */
#ifndef FT_FRAMES_H
#define FT_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- DNS messages (RFC 1035 4.1), names written uncompressed ---- */

struct dnsb {
	uint8_t b[512];
	size_t n;
};

static inline void db_u8(struct dnsb *d, uint8_t v)
{
	if (d->n < sizeof(d->b))
		d->b[d->n++] = v;
}

static inline void db_u16(struct dnsb *d, uint16_t v)
{
	db_u8(d, (uint8_t)(v >> 8));
	db_u8(d, (uint8_t)v);
}

static inline void db_u32(struct dnsb *d, uint32_t v)
{
	db_u16(d, (uint16_t)(v >> 16));
	db_u16(d, (uint16_t)v);
}

/* "www.lab.test" as labels */
static inline void db_name(struct dnsb *d, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		db_u8(d, (uint8_t)len);
		for (size_t i = 0; i < len; i++)
			db_u8(d, (uint8_t)name[i]);
		name += len + (dot ? 1 : 0);
	}
	db_u8(d, 0);
}

/* Header and one question; flags 0x0100 is a query (RD), 0x8180 an answer,
 * 0x8183 NXDOMAIN. */
static inline void db_start(struct dnsb *d, uint16_t id, uint16_t flags, uint16_t n_an,
			    const char *qname, uint16_t qtype)
{
	d->n = 0;
	db_u16(d, id);
	db_u16(d, flags);
	db_u16(d, 1);
	db_u16(d, n_an);
	db_u16(d, 0);
	db_u16(d, 0);
	db_name(d, qname);
	db_u16(d, qtype);
	db_u16(d, 1);
}

static inline void db_rr_head(struct dnsb *d, const char *name, uint16_t type, uint16_t rdlen)
{
	db_name(d, name);
	db_u16(d, type);
	db_u16(d, 1);
	db_u32(d, 300);
	db_u16(d, rdlen);
}

static inline void db_a(struct dnsb *d, const char *name, const uint8_t a[4])
{
	db_rr_head(d, name, 1, 4);
	for (int i = 0; i < 4; i++)
		db_u8(d, a[i]);
}

static inline void db_aaaa(struct dnsb *d, const char *name, const uint8_t a[16])
{
	db_rr_head(d, name, 28, 16);
	for (int i = 0; i < 16; i++)
		db_u8(d, a[i]);
}

static inline void db_cname(struct dnsb *d, const char *name, const char *target)
{
	struct dnsb t = { .n = 0 };
	db_name(&t, target);
	db_rr_head(d, name, 5, (uint16_t)t.n);
	for (size_t i = 0; i < t.n; i++)
		db_u8(d, t.b[i]);
}

/* ---- frames: Ethernet (link type 1) + IPv4 + UDP or TCP ---- */

#define FR_CAP 2048

struct frame {
	uint8_t b[FR_CAP];
	uint32_t len;
};

/* TCP flag bits as on the wire */
enum { FR_FIN = 0x01, FR_SYN = 0x02, FR_RST = 0x04, FR_PSH = 0x08, FR_ACK = 0x10 };

static inline void fr_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void fr_put32(uint8_t *p, uint32_t v)
{
	fr_put16(p, (uint16_t)(v >> 16));
	fr_put16(p + 2, (uint16_t)v);
}

/* proto 6 (TCP: seq, ack, flags used) or 17 (UDP); addresses as 4 bytes. */
static inline void fr_build(struct frame *f, uint8_t proto, const uint8_t src[4], uint16_t sport,
			    const uint8_t dst[4], uint16_t dport, uint32_t seq, uint32_t ack,
			    uint8_t flags, const void *pl, size_t pl_len)
{
	uint8_t *b = f->b;
	size_t l4 = proto == 6 ? 20 : 8;
	if (14 + 20 + l4 + pl_len > FR_CAP)
		pl_len = FR_CAP - 14 - 20 - l4;
	memset(b, 0, 14 + 20 + l4);
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	uint8_t *ip = b + 14;
	ip[0] = 0x45;
	fr_put16(ip + 2, (uint16_t)(20 + l4 + pl_len));
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	uint8_t *t = ip + 20;
	fr_put16(t, sport);
	fr_put16(t + 2, dport);
	if (proto == 6) {
		fr_put32(t + 4, seq);
		fr_put32(t + 8, ack);
		t[12] = 5 << 4;
		t[13] = flags;
		fr_put16(t + 14, 65535);
	} else {
		fr_put16(t + 4, (uint16_t)(8 + pl_len));
	}
	if (pl_len)
		memcpy(t + l4, pl, pl_len);
	f->len = (uint32_t)(14 + 20 + l4 + pl_len);
}

#endif
