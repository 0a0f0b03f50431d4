/* frag.c - IPv4 and IPv6 fragment reassembly: bounded slots, buffers grown lazily under a cap. */
#include "frag.h"

#include <stdlib.h>
#include <string.h>

#include "rd.h"

#define IP_MAX_LEN 65535u          /* v4 total length, v6 payload length: 16 bits */
#define FRAG_BUF_MIN 2048u         /* smallest buffer a slot gets */
#define DNS_PORT 53

/*
 * The rules, and whom they follow:
 *
 *  - A datagram is keyed by (source, destination, Identification) and, for
 *    IPv4, the protocol (RFC 791 3.2; RFC 8200 4.5 keys IPv6 without it).
 *  - Fragment offsets count 8-byte units; every fragment but the last must
 *    carry a multiple of 8 bytes (RFC 8200 4.5, and RFC 791's arithmetic).
 *  - The datagram may not exceed 65535 bytes (v4 total length; v6 payload
 *    length): a fragment reaching past that is "ping of death", dropped.
 *  - Overlaps: RFC 5722 says an IPv6 datagram with overlapping fragments is
 *    discarded whole, and later fragments of it silently too.  For IPv4 we
 *    do what Linux does since 4.19 (net/ipv4/inet_fragment.c): the same
 *    rule.  A fragment with exactly the offset and length of one held is a
 *    duplicate (a retransmission seen twice) and is ignored, as both Linux
 *    and Wireshark do; its bytes are not compared.
 *  - Tiny first fragments (RFC 1858, RFC 8200 4.5, RFC 7112): the first
 *    fragment must carry the whole transport header (TCP 20 bytes, UDP and
 *    ICMP 8); otherwise the datagram is dropped, since a later fragment
 *    could rewrite ports or flags a filter has already judged.
 *  - Timeouts run on capture time: 30 s for IPv4 (Linux's ipfrag_time),
 *    60 s for IPv6 (RFC 8200 4.5), from the datagram's first fragment.
 *  - Caps: FRAG_MAX_DGRAMS datagrams at once (a new one evicts the oldest),
 *    FRAG_MAX_FRAGS fragments each, FRAG_MEM_CAP bytes of buffers in all.
 *    Every drop for a cap is counted as an overflow.
 *
 * The reassembled datagram is the first fragment's IP header (IPv4 with
 * its options; IPv6 its fixed 40 bytes, without the extension headers in
 * front of the Fragment header, which belong to no upper layer) with the
 * lengths and fragment fields rewritten, followed by the data.  The data
 * is copied to buf + FRAG_HDR_ROOM at its offset, the header just before
 * it, so nothing is copied twice.
 */

struct frag_rng {
	uint32_t off, end;          /* data bytes [off, end) of one fragment */
};

struct frag_dgram {
	bool used;                  /* collecting fragments */
	bool dead;                  /* discarded: its later fragments are dropped until it ages out */
	const char *dead_why;       /* why it was discarded */
	uint8_t ver;                /* 4 or 6 */
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t proto;              /* v4: protocol (part of the key); v6: unused in the key */
	int64_t first_us;           /* capture time of its first fragment to arrive */
	uint64_t seq;               /* arrival order, for evicting the oldest */
	uint32_t hdr_len;           /* the first fragment's header is in place: its length, else 0 */
	uint8_t l4_proto;           /* the first fragment's transport protocol */
	uint32_t l4_at;             /* where its transport header starts in the data */
	uint32_t first_len;         /* the first fragment's data bytes: [0, first_len) are held */
	bool have_last;             /* the fragment without MF was seen */
	uint32_t total;             /* data length (from the last fragment) */
	uint32_t held;              /* data bytes held */
	uint32_t n;                 /* fragments held: rng[0..n) */
	struct frag_rng rng[FRAG_MAX_FRAGS];
	uint8_t *buf;               /* FRAG_HDR_ROOM, then the data; kept when the slot is reused */
	uint32_t cap;               /* bytes allocated at buf */
};

struct frag_table {
	struct frag_dgram d[FRAG_MAX_DGRAMS];
	uint64_t mem;               /* bytes allocated in all slots' buffers */
	int64_t now;                /* latest capture time seen */
	uint64_t seq;               /* next arrival number */
	struct frag_stats st;
};

struct frag_table *frag_open(void)
{
	return calloc(1, sizeof(struct frag_table));
}

void frag_close(struct frag_table *ft)
{
	if (!ft)
		return;
	for (unsigned i = 0; i < FRAG_MAX_DGRAMS; i++)
		free(ft->d[i].buf);
	free(ft);
}

void frag_stats_get(const struct frag_table *ft, struct frag_stats *st)
{
	*st = ft->st;
}

void frag_end(struct frag_table *ft)
{
	for (unsigned i = 0; i < FRAG_MAX_DGRAMS; i++)
		if (ft->d[i].used && !ft->d[i].dead)
			ft->st.n_incomplete++;
}

/* The slot goes back to the pool; its buffer stays for the next datagram. */
static void slot_free(struct frag_dgram *d)
{
	d->used = d->dead = false;
	d->dead_why = NULL;
	d->n = d->held = d->total = d->hdr_len = d->first_len = 0;
	d->have_last = false;
}

/* Keep the slot as a tombstone so that later fragments are dropped too (RFC 5722). */
static void slot_kill(struct frag_dgram *d, const char *why)
{
	d->dead = true;
	d->dead_why = why;
	d->n = d->held = 0;
}

static int64_t timeout_us(uint8_t ver)
{
	return ver == 6 ? FRAG_TIMEOUT6_US : FRAG_TIMEOUT4_US;
}

static void expire(struct frag_table *ft)
{
	for (unsigned i = 0; i < FRAG_MAX_DGRAMS; i++) {
		struct frag_dgram *d = &ft->d[i];
		if (!d->used || ft->now - d->first_us <= timeout_us(d->ver))
			continue;
		if (!d->dead)
			ft->st.n_timeout++;
		slot_free(d);
	}
}

static bool key_eq(const struct frag_dgram *d, const struct pkt *p)
{
	size_t alen = p->ip_ver == 6 ? 16 : 4;
	return d->used && d->ver == p->ip_ver && d->id == p->frag_id &&
	       (p->ip_ver == 6 || d->proto == p->frag_nh) && memcmp(d->src, p->src, alen) == 0 &&
	       memcmp(d->dst, p->dst, alen) == 0;
}

/* A free slot, else a tombstone, else the oldest datagram evicted (counted). */
static struct frag_dgram *slot_new(struct frag_table *ft, const struct pkt *p)
{
	struct frag_dgram *pick = NULL, *oldest_dead = NULL, *oldest = NULL;
	for (unsigned i = 0; i < FRAG_MAX_DGRAMS && !pick; i++) {
		struct frag_dgram *d = &ft->d[i];
		if (!d->used)
			pick = d;
		else if (d->dead && (!oldest_dead || d->seq < oldest_dead->seq))
			oldest_dead = d;
		else if (!d->dead && (!oldest || d->seq < oldest->seq))
			oldest = d;
	}
	if (!pick && oldest_dead)
		pick = oldest_dead;
	if (!pick) {
		pick = oldest; /* every slot is in use: FRAG_MAX_DGRAMS >= 1 */
		ft->st.n_overflow++;
	}
	slot_free(pick);
	pick->used = true;
	pick->ver = p->ip_ver;
	memcpy(pick->src, p->src, sizeof pick->src);
	memcpy(pick->dst, p->dst, sizeof pick->dst);
	pick->id = p->frag_id;
	pick->proto = p->frag_nh;
	pick->first_us = ft->now;
	pick->seq = ft->seq++;
	return pick;
}

/*
 * Room for `need` bytes in d's buffer, under FRAG_MEM_CAP: idle slots'
 * buffers are freed first, then the oldest other datagrams are evicted
 * (counted).  False when even that does not make room.
 */
static bool slot_room(struct frag_table *ft, struct frag_dgram *d, uint32_t need)
{
	uint32_t ncap = FRAG_BUF_MIN;
	if (d->cap >= need)
		return true;
	while (ncap < need) /* need <= FRAG_HDR_ROOM + IP_MAX_LEN: a few doublings */
		ncap *= 2;
	for (unsigned i = 0; i < FRAG_MAX_DGRAMS && ft->mem - d->cap + ncap > FRAG_MEM_CAP; i++) {
		struct frag_dgram *o = &ft->d[i];
		if (o != d && !o->used && o->buf) {
			ft->mem -= o->cap;
			free(o->buf);
			o->buf = NULL;
			o->cap = 0;
		}
	}
	/* Each pass frees one buffer or stops: at most FRAG_MAX_DGRAMS passes. */
	while (ft->mem - d->cap + ncap > FRAG_MEM_CAP) {
		struct frag_dgram *oldest = NULL;
		for (unsigned i = 0; i < FRAG_MAX_DGRAMS; i++) {
			struct frag_dgram *o = &ft->d[i];
			if (o != d && o->buf && (!oldest || o->seq < oldest->seq))
				oldest = o;
		}
		if (!oldest)
			return false;
		if (oldest->used && !oldest->dead)
			ft->st.n_overflow++;
		slot_free(oldest);
		ft->mem -= oldest->cap;
		free(oldest->buf);
		oldest->buf = NULL;
		oldest->cap = 0;
	}
	uint8_t *nb = realloc(d->buf, ncap);
	if (!nb)
		return false;
	ft->mem = ft->mem - d->cap + ncap;
	if (ft->mem > ft->st.peak_bytes)
		ft->st.peak_bytes = ft->mem;
	d->buf = nb;
	d->cap = ncap;
	return true;
}

/* What the datagram is, as far as its first fragment tells. */
static void describe(const struct frag_dgram *d, struct frag_out *out)
{
	out->n_frags = d->n;
	out->held = d->held;
	out->total = d->have_last ? d->total : 0;
	if (!d->hdr_len)
		return;
	out->l4 = true;
	out->proto = d->l4_proto;
	if (d->l4_proto != 6 && d->l4_proto != 17)
		return;
	/* The tiny-fragment rule kept l4_at <= first_len, and the first
	 * fragment's bytes are in the buffer whatever holes follow them. */
	struct rd r = rd_make(d->buf + FRAG_HDR_ROOM + d->l4_at, d->first_len - d->l4_at);
	if (!rd_be16(&r, &out->sport) || !rd_be16(&r, &out->dport))
		return;
	uint8_t fl;
	if (d->l4_proto == 17 && (out->sport == DNS_PORT || out->dport == DNS_PORT) &&
	    rd_skip(&r, 4) && rd_be16(&r, &out->dns_id) && rd_u8(&r, &fl)) {
		out->dns = true;
		out->dns_qr = (fl & 0x80) != 0;
	}
}

/* The smallest transport header a first fragment must carry whole. */
static uint32_t l4_min(uint8_t proto)
{
	switch (proto) {
	case 6: return 20;
	case 17: return 8;
	case IPPROTO_NUM_ICMP:
	case IPPROTO_NUM_ICMPV6: return 8;
	default: return 0;
	}
}

static enum frag_verdict drop(struct frag_table *ft, struct frag_dgram *d, struct frag_out *out,
			      const char *why, bool bad)
{
	if (d) {
		describe(d, out);
		if (!d->dead) {
			if (bad)
				ft->st.n_bad++;
			else
				ft->st.n_overflow++;
		}
		slot_kill(d, why);
	} else if (bad) {
		ft->st.n_bad++;
	} else {
		ft->st.n_overflow++;
	}
	out->why = why;
	out->bad = bad;
	return out->verdict = FRAG_DROPPED;
}

enum frag_verdict frag_add(struct frag_table *ft, const struct pkt *p, const uint8_t *ip,
			   size_t ip_cap, struct frag_out *out)
{
	struct frag_dgram *d = NULL;
	memset(out, 0, sizeof *out);
	out->offset = p->frag_off;
	out->more = p->frag_more;
	out->id = p->frag_id;
	ft->st.n_frags++;
	if (p->ts_us > ft->now)
		ft->now = p->ts_us;
	expire(ft);

	/* ip.c checked frag_data_off <= ip_len; ip_len bounds what is ours (the rest is padding). */
	uint32_t len = p->ip_len >= p->frag_data_off ? p->ip_len - p->frag_data_off : 0;
	out->len = len;
	for (unsigned i = 0; i < FRAG_MAX_DGRAMS && !d; i++)
		if (key_eq(&ft->d[i], p))
			d = &ft->d[i];
	if (d && d->dead) {
		describe(d, out);
		out->why = d->dead_why;
		out->bad = true;
		return out->verdict = FRAG_DROPPED;
	}

	if (p->frag_data_off > p->ip_len)
		return drop(ft, d, out, "fragment header past the IP length", true);
	uint32_t off = p->frag_off;
	if (!d)
		d = slot_new(ft, p);
	if (ip_cap < p->ip_len)
		return drop(ft, d, out, "a fragment cut by the snap length: cannot reassemble", true);
	if (p->frag_more && (len == 0 || len % 8 != 0))
		return drop(ft, d, out, "a fragment before the last not a multiple of 8 bytes", true);
	uint32_t max = p->ip_ver == 6 ? IP_MAX_LEN : IP_MAX_LEN - p->frag_data_off;
	if (off > max || len > max - off)
		return drop(ft, d, out, "fragments longer than 65535 bytes (ping of death)", true);
	uint32_t end = off + len;
	if (off == 0) {
		/* l4_off >= frag_data_off: the walk went on past the Fragment header. */
		uint32_t l4_at = p->l4_off >= p->frag_data_off ? p->l4_off - p->frag_data_off : 0;
		if (l4_at > len || len - l4_at < l4_min(p->proto))
			return drop(ft, d, out,
				    "tiny first fragment: the transport header is cut (RFC 1858)", true);
	}
	for (uint32_t i = 0; i < d->n; i++) {
		const struct frag_rng *g = &d->rng[i];
		if (g->off == off && g->end == end) {
			ft->st.n_dup++;
			describe(d, out);
			return out->verdict = FRAG_DUP;
		}
		if (off < g->end && g->off < end)
			return drop(ft, d, out, "overlapping fragments (RFC 5722): datagram dropped",
				    true);
		if (!p->frag_more && g->end > end)
			return drop(ft, d, out, "a fragment past the last fragment's end", true);
	}
	if (d->have_last && (!p->frag_more ? end != d->total : end > d->total))
		return drop(ft, d, out, "a fragment past the last fragment's end", true);
	if (d->n >= FRAG_MAX_FRAGS)
		return drop(ft, d, out, "more fragments than the reassembly keeps", false);
	if (!slot_room(ft, d, FRAG_HDR_ROOM + end))
		return drop(ft, d, out, "over the reassembly memory cap", false);

	/* ip_cap >= ip_len = frag_data_off + len: the copy reads captured bytes. */
	if (len)
		memcpy(d->buf + FRAG_HDR_ROOM + off, ip + p->frag_data_off, len);
	if (off == 0) {
		if (p->ip_ver == 4) {
			d->hdr_len = p->frag_data_off; /* IHL * 4 <= 60 < FRAG_HDR_ROOM */
			memcpy(d->buf + FRAG_HDR_ROOM - d->hdr_len, ip, d->hdr_len);
		} else {
			d->hdr_len = 40;
			memcpy(d->buf + FRAG_HDR_ROOM - 40, ip, 40);
			d->buf[FRAG_HDR_ROOM - 40 + 6] = p->frag_nh;
		}
		d->l4_proto = p->proto;
		d->l4_at = p->l4_off >= p->frag_data_off ? p->l4_off - p->frag_data_off : 0;
		d->first_len = len;
	}
	if (!p->frag_more) {
		d->have_last = true;
		d->total = end;
	}
	d->rng[d->n].off = off;
	d->rng[d->n].end = end;
	d->n++;
	d->held += len;
	describe(d, out);
	out->verdict = FRAG_HELD;

	/* No overlaps: the datagram is whole when the bytes held add up to its length. */
	if (!d->have_last || !d->hdr_len || d->held != d->total)
		return FRAG_HELD;
	uint8_t *h = d->buf + FRAG_HDR_ROOM - d->hdr_len;
	uint32_t dlen = d->hdr_len + d->total;
	if (p->ip_ver == 4) {
		if (dlen > IP_MAX_LEN)
			return drop(ft, d, out, "fragments longer than 65535 bytes (ping of death)", true);
		h[2] = (uint8_t)(dlen >> 8), h[3] = (uint8_t)dlen;
		h[6] &= 0x40; /* keep DF, clear MF and the offset */
		h[7] = 0;
	} else {
		h[4] = (uint8_t)(d->total >> 8), h[5] = (uint8_t)d->total;
	}
	out->dgram = h;
	out->dgram_len = dlen;
	ft->st.n_reassembled++;
	slot_free(d);
	return out->verdict = FRAG_DONE;
}
