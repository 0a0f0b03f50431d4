/* gen.c - deterministic generator of a large pcap of concurrent web fetches, for `make bench`.
 *
 * usage: gen [-n PACKETS] [-c CONCURRENT] [-s SEED] [-p PIECE | -P PIECES] [-t TRUTH] -o FILE
 *
 * FILE '-' is standard output; PACKETS is at most 10^8 (a piece's fetch numbers must fit).
 *
 * Writes classic pcap (24-byte file header, DLT_EN10MB, 16-byte record headers) by hand, so
 * it needs no libpcap.  CONCURRENT fetches are in flight at once; each packet comes from a
 * fetch picked by a fixed-seed LCG, so fetches interleave in time and the file is the same
 * byte for byte on every run.  One fetch:
 *
 *   resolve   A and AAAA query, then both answers (UDP 53); some answers carry a CNAME chain;
 *             ~5% are NXDOMAIN (SOA in authority) and the fetch stops there
 *   connect   SYN / SYN-ACK / ACK with MSS, SACK-permitted, timestamps and window scale
 *   (a) HTTP/1.1 keep-alive on port 80: 1-4 curl-like requests; responses framed by
 *       Content-Length or chunked; bodies 1 KB-300 KB in MSS-sized segments, client ACK
 *       every 2 segments
 *   (b) TLS 1.3 on port 443: ClientHello (SNI, ALPN, supported_versions, key_share, padding),
 *       ServerHello + ChangeCipherSpec + encrypted handshake records, client CCS + Finished,
 *       two NewSessionTicket-sized server records, then application data both ways
 *       (requests, responses) and the client's encrypted close_notify (19 bytes of content)
 *   close     client FIN, server FIN, client ACK
 *
 * With -t TRUTH it also writes the ground truth, one "STEP KIND" line per frame in capture
 * order: the step the frame belongs to (resolve, connect, write, read, close, by DESIGN.md's
 * rules) and what the frame is (dns-query, tls-client-hello, tlsack-of-response, ...).
 *
 * ~70% of fetches are IPv4, ~30% IPv6.  ~1% of server data segments are retransmitted a few
 * packets later; ~1% of server segment pairs are swapped.  IP, TCP and UDP checksums are
 * correct.  Once PACKETS packets are written no fetch starts and no new request is sent, but
 * the responses in flight finish, so the file holds a little more than PACKETS packets.  The
 * packet mix goes to standard error.
 *
 * Pieces, for the check that a long capture gives the sums of its parts (make bench's 10x file,
 * tests/bench/pieces.sh): -p K writes piece K alone, -P N writes pieces 0 to N-1 one after the
 * other in one file (one file header), so that piece K is byte for byte its part of the whole.
 * Piece K is made only from K and the seed: its own random streams, its clock starting K spans
 * (PACKETS x 80 us rounded up to a second, plus a second) after piece 0's, fetch numbers (so
 * names) from K x 10^8, and its own addresses: 198.18.K.x clients, 198.19.K.x servers and
 * resolver, 2001:db8:c1:K::/64 and the like for IPv6 (piece 0 keeps the default's, which it
 * equals byte for byte).  Every fetch of a piece ends in it, so no connection, DNS exchange,
 * name or address spans two pieces.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- random numbers */

/* Knuth's MMIX LCG; the high bits are the good ones. */
#define RNG_INIT   0x2545F4914F6CDD1DULL
static uint64_t rng_state = RNG_INIT;

static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 32);
}

/* Uniform in [lo, hi]. */
static uint32_t rnd_range(uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(((uint64_t)rnd() * (hi - lo + 1)) >> 32);
}

/* True with probability pct/1000. */
static bool rnd_permille(uint32_t pm)
{
	return rnd_range(0, 999) < pm;
}

/* Ciphertext-looking bytes (xorshift, cheap; not the LCG so the main stream stays stable). */
#define NOISE_INIT 0x9E3779B97F4A7C15ULL
static uint64_t noise_state = NOISE_INIT;

static void fill_noise(uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		noise_state ^= noise_state << 13;
		noise_state ^= noise_state >> 7;
		noise_state ^= noise_state << 17;
		for (int k = 0; k < 8 && i < n; k++, i++)
			p[i] = (uint8_t)(noise_state >> (8 * k));
	}
}

/* ---------------------------------------------------------------- byte writing */

static uint8_t *put8(uint8_t *p, unsigned v) { *p = (uint8_t)v; return p + 1; }
static uint8_t *put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; return p + 2; }
static uint8_t *put24(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 16); return put16(p + 1, v); }
static uint8_t *put32(uint8_t *p, uint32_t v) { return put16(put16(p, v >> 16), v & 0xffff); }
static uint8_t *putmem(uint8_t *p, const void *s, size_t n) { memcpy(p, s, n); return p + n; }

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---------------------------------------------------------------- fetch state */

#define MAX_PKT    1600        /* Ethernet + IPv6 + TCP with options + MSS payload */
#define QUEUE_LEN  16          /* packets a fetch has built but not yet written */
#define SBUF_LEN   17000       /* one piece of a byte stream: a TLS record or an HTTP chunk */

enum phase {
	PH_DNS_Q, PH_DNS_A, PH_SYN, PH_SYNACK, PH_ACK,
	PH_TLS_CH, PH_SEND, PH_TLS_CFIN, PH_REQ, PH_FIN1, PH_FIN2, PH_FIN3, PH_DONE
};

enum producer { PR_HTTP_RESP, PR_TLS_FLIGHT, PR_TLS_NST, PR_TLS_RESP };

/*
 * The ground truth (-t FILE): the step each frame belongs to, as DESIGN.md's step rules
 * define it, and what the frame is.  A retransmission is a copy and keeps both.
 */
enum tstep { T_RESOLVE, T_CONNECT, T_WRITE, T_READ, T_CLOSE };

static const char *const tstep_name[] = { "resolve", "connect", "write", "read", "close" };

enum kind {
	K_DNS_Q, K_DNS_A, K_SYN, K_SYNACK, K_HS_ACK,
	K_REQ, K_REQ_ACK, K_RESP, K_RESP_ACK,
	K_TLS_CH, K_TLS_CH_ACK, K_TLS_SFLIGHT, K_TLS_SFLIGHT_ACK, K_TLS_CFIN,
	K_TLS_NST, K_TLS_NST_ACK, K_TLS_REQ, K_TLS_REQ_ACK, K_TLS_RESP, K_TLS_RESP_ACK,
	K_TLS_ALERT, K_FIN_C, K_FIN_S, K_FIN_ACK, K_COUNT
};

/* "tls-" names a frame that carries TLS records; "tlsack-" a pure ACK on a TLS connection */
static const char *const kind_name[K_COUNT] = {
	[K_DNS_Q] = "dns-query", [K_DNS_A] = "dns-answer", [K_SYN] = "syn", [K_SYNACK] = "syn-ack",
	[K_HS_ACK] = "handshake-ack", [K_REQ] = "http-request", [K_REQ_ACK] = "ack-of-request",
	[K_RESP] = "http-response", [K_RESP_ACK] = "ack-of-response",
	[K_TLS_CH] = "tls-client-hello", [K_TLS_CH_ACK] = "tlsack-of-client-hello",
	[K_TLS_SFLIGHT] = "tls-server-hello-flight", [K_TLS_SFLIGHT_ACK] = "tlsack-of-server-flight",
	[K_TLS_CFIN] = "tls-client-ccs-finished", [K_TLS_NST] = "tls-new-session-ticket",
	[K_TLS_NST_ACK] = "tlsack-of-session-ticket", [K_TLS_REQ] = "tls-appdata-request",
	[K_TLS_REQ_ACK] = "tlsack-of-request", [K_TLS_RESP] = "tls-appdata-response",
	[K_TLS_RESP_ACK] = "tlsack-of-response", [K_TLS_ALERT] = "tls-alert-close-notify",
	[K_FIN_C] = "fin-client", [K_FIN_S] = "fin-server", [K_FIN_ACK] = "ack-of-fin",
};

struct pkt {
	uint16_t len;                  /* bytes in data */
	uint8_t step, kind;            /* the ground truth: enum tstep, enum kind */
	uint8_t data[MAX_PKT];         /* the frame, Ethernet header first */
};

struct fetch {
	uint64_t id;                   /* fetch number, names the host www<id>.bench.test */
	bool v6;                       /* IPv6 for DNS and TCP */
	bool tls;                      /* port 443 TLS instead of port 80 HTTP */
	bool nx;                       /* NXDOMAIN: no connection follows */
	enum phase ph;                 /* what the next fill builds */
	uint8_t cli[16], srv[16], dns[16]; /* addresses (first 4 bytes for IPv4) */
	uint8_t srv4[4], srv6[16];     /* the server's A and AAAA addresses */
	uint16_t cport, sport, dport;  /* client TCP port, server port, client DNS port */
	uint16_t qid_a, qid_aaaa;      /* DNS ids */
	int n_cname;                   /* CNAME chain length in the answers */
	bool aaaa_empty;               /* IPv4-only name: the AAAA answer is NODATA */
	uint32_t c_nxt, s_nxt;         /* next sequence number each side sends */
	uint32_t c_ts0, s_ts0;         /* TCP timestamp clock offsets */
	uint16_t ipid;                 /* IPv4 identification, per fetch (both sides share it) */
	int n_req, req_done;           /* exchanges planned, exchanges finished */
	/* the server byte stream being sent */
	enum producer pr;              /* what makes the pieces */
	enum phase after_send;         /* phase once the stream is sent */
	int piece;                     /* pieces made so far */
	uint32_t remain;               /* body (or plaintext) bytes still to make */
	bool chunked;                  /* HTTP body framing */
	bool tail_done;                /* the last-chunk line is made */
	bool stream_done;              /* every piece made and segmented */
	uint32_t body_len;             /* whole body (or plaintext) length */
	uint8_t sbuf[SBUF_LEN];        /* current piece */
	uint32_t slen, soff;           /* its length, bytes already segmented */
	int seg_since_ack;             /* server segments the client has not ACKed yet */
	/* queued packets, written one per turn */
	struct pkt q[QUEUE_LEN];
	int q_head, q_n;
	struct pkt retx;               /* a copy to send again later */
	int retx_wait;                 /* packets of this fetch until it goes (0 = none) */
};

/* ---------------------------------------------------------------- output */

#define CLOCK0_US  (1700000000ULL * 1000000ULL)      /* piece 0's clock starts here */
#define PIECE_IDS  100000000ULL                        /* fetch numbers of a piece: K x this + 1... */

static FILE *out;
static FILE *truth;                                    /* -t FILE: one "step kind" line per frame */
static uint64_t now_us = CLOCK0_US;                    /* capture clock */
static uint64_t n_written;                             /* packets of the current piece */
static unsigned piece;                                 /* the piece being written (0: the default) */

static struct {
	uint64_t pkts, bytes, v4, v6, dns, tcp, syn, fin;
	uint64_t fetches, http, tls, nx, cname, aaaa_nodata;
	uint64_t exchanges, chunked, clen, not_found, body_bytes;
	uint64_t retx, reorder, data_segs, acks;
} st;

static void write_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static void pcap_header(void)
{
	uint8_t h[24];

	write_le32(h, 0xa1b2c3d4);
	h[4] = 2; h[5] = 0; h[6] = 4; h[7] = 0;        /* version 2.4, little endian */
	write_le32(h + 8, 0);                          /* thiszone */
	write_le32(h + 12, 0);                         /* sigfigs */
	write_le32(h + 16, 262144);                    /* snaplen */
	write_le32(h + 20, 1);                         /* DLT_EN10MB */
	fwrite(h, 1, sizeof h, out);
}

static void pcap_write(const struct pkt *p)
{
	uint8_t rh[16];

	now_us += rnd_range(2, 40);
	write_le32(rh, (uint32_t)(now_us / 1000000));
	write_le32(rh + 4, (uint32_t)(now_us % 1000000));
	write_le32(rh + 8, p->len);
	write_le32(rh + 12, p->len);
	fwrite(rh, 1, sizeof rh, out);
	fwrite(p->data, 1, p->len, out);
	if (truth) {
		fputs(tstep_name[p->step], truth);
		putc(' ', truth);
		fputs(kind_name[p->kind], truth);
		putc('\n', truth);
	}
	n_written++;
	st.pkts++;
	if (p->data[12] == 0x86)
		st.v6++;
	else
		st.v4++;
	st.bytes += p->len;
}

/* ---------------------------------------------------------------- packet building */

static struct pkt *q_push(struct fetch *f)
{
	struct pkt *p;

	if (f->q_n == QUEUE_LEN) {
		fprintf(stderr, "gen: packet queue overflow (bug)\n");
		exit(1);
	}
	p = &f->q[(f->q_head + f->q_n) % QUEUE_LEN];
	f->q_n++;
	return p;
}

static const uint8_t mac_cli[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
static const uint8_t mac_gw[6]  = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0xfe };

/*
 * Ethernet + IP header for a payload of l4_len bytes of protocol proto, client to server
 * (to_srv) or back; returns where the layer-4 header goes.  *ph is the pseudo-header sum.
 */
static uint8_t *ip_build(struct fetch *f, struct pkt *p, bool to_srv, bool dns, unsigned proto,
                         size_t l4_len, uint32_t *ph)
{
	const uint8_t *src = to_srv ? f->cli : (dns ? f->dns : f->srv);
	const uint8_t *dst = to_srv ? (dns ? f->dns : f->srv) : f->cli;
	uint8_t *e = p->data, *ip;

	e = putmem(e, to_srv ? mac_gw : mac_cli, 6);
	e = putmem(e, to_srv ? mac_cli : mac_gw, 6);
	e = put16(e, f->v6 ? 0x86dd : 0x0800);
	ip = e;
	if (f->v6) {
		/* RFC 8200 section 3: version, traffic class, flow label, payload length,
		 * next header, hop limit, source, destination. */
		ip = put32(ip, 0x60000000u | (uint32_t)(f->id * 2654435761u & 0xfffff));
		ip = put16(ip, (unsigned)l4_len);
		ip = put8(ip, proto);
		ip = put8(ip, to_srv ? 64 : 57);
		ip = putmem(ip, src, 16);
		ip = putmem(ip, dst, 16);
		*ph = csum_add(0, src, 16);
		*ph = csum_add(*ph, dst, 16);
		*ph += (uint32_t)l4_len + proto;
	} else {
		uint8_t *h = ip;
		ip = put8(ip, 0x45);
		ip = put8(ip, 0);
		ip = put16(ip, (unsigned)(20 + l4_len));
		ip = put16(ip, f->ipid++);
		ip = put16(ip, 0x4000);                /* DF */
		ip = put8(ip, to_srv ? 64 : 57);
		ip = put8(ip, proto);
		ip = put16(ip, 0);
		ip = putmem(ip, src, 4);
		ip = putmem(ip, dst, 4);
		put16(h + 10, csum_fold(csum_add(0, h, 20)));
		*ph = csum_add(0, src, 4);
		*ph = csum_add(*ph, dst, 4);
		*ph += (uint32_t)l4_len + proto;
	}
	p->len = (uint16_t)((ip - p->data) + l4_len);
	return ip;
}

#define TF_FIN 0x01
#define TF_SYN 0x02
#define TF_PSH 0x08
#define TF_ACK 0x10

static uint32_t tsval(const struct fetch *f, bool cli)
{
	return (cli ? f->c_ts0 : f->s_ts0) + (uint32_t)(now_us / 1000);
}

/* One TCP segment; sequence numbers advance.  Returns the queued packet. */
static struct pkt *tcp_seg(struct fetch *f, bool to_srv, unsigned flags, const uint8_t *pl, size_t n)
{
	struct pkt *p = q_push(f);
	uint8_t opt[40], *o = opt, *t, *b;
	uint32_t ph, *seq = to_srv ? &f->c_nxt : &f->s_nxt;
	uint32_t ack = to_srv ? f->s_nxt : f->c_nxt;
	size_t olen, tlen;

	if (flags & TF_SYN) {
		o = put8(put8(o, 2), 4); o = put16(o, f->v6 ? 1440 : 1460);     /* MSS */
		o = put8(put8(o, 4), 2);                                         /* SACK permitted */
		o = put8(put8(o, 8), 10);                                        /* timestamps */
		o = put32(o, tsval(f, to_srv));
		o = put32(o, to_srv ? 0 : tsval(f, true) - 1);
		o = put8(o, 1);                                                  /* NOP */
		o = put8(put8(put8(o, 3), 3), 7);                                /* window scale 7 */
	} else {
		o = put8(put8(o, 1), 1);
		o = put8(put8(o, 8), 10);
		o = put32(o, tsval(f, to_srv));
		o = put32(o, tsval(f, !to_srv) - 1);
	}
	olen = (size_t)(o - opt);
	tlen = 20 + olen + n;
	t = ip_build(f, p, to_srv, false, 6, tlen, &ph);
	b = t;
	b = put16(b, to_srv ? f->cport : f->sport);
	b = put16(b, to_srv ? f->sport : f->cport);
	b = put32(b, *seq);
	b = put32(b, (flags & TF_ACK) ? ack : 0);
	b = put8(b, (unsigned)((20 + olen) / 4) << 4);
	b = put8(b, flags);
	b = put16(b, (flags & TF_SYN) ? (to_srv ? 64240 : 65160) : (to_srv ? 502 : 509));
	b = put16(b, 0);                               /* checksum, below */
	b = put16(b, 0);                               /* urgent pointer */
	b = putmem(b, opt, olen);
	if (n)
		memcpy(b, pl, n);
	put16(t + 16, csum_fold(csum_add(ph, t, tlen)));
	*seq += (uint32_t)n + ((flags & (TF_SYN | TF_FIN)) ? 1 : 0);
	st.tcp++;
	if (flags & TF_SYN)
		st.syn++;
	if (flags & TF_FIN)
		st.fin++;
	if (n)
		st.data_segs++;
	else if (!(flags & (TF_SYN | TF_FIN)))
		st.acks++;
	return p;
}

static void label(struct pkt *p, enum tstep s, enum kind k)
{
	p->step = (uint8_t)s;
	p->kind = (uint8_t)k;
}

/* ---------------------------------------------------------------- DNS */

static uint8_t *dns_name(uint8_t *p, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);
		p = put8(p, (unsigned)n);
		p = putmem(p, name, n);
		name += n + (dot ? 1 : 0);
	}
	return put8(p, 0);
}

static void host_name(const struct fetch *f, char *buf, size_t cap)
{
	snprintf(buf, cap, "www%" PRIu64 ".bench.test", f->id);
}

/*
 * RFC 1035 section 4.1: header, question, then for an answer the CNAME chain (owner names
 * compressed to the previous name) and the address, or for NXDOMAIN / NODATA the zone's
 * SOA in the authority section.
 */
static void dns_msg(struct fetch *f, bool answer, bool aaaa)
{
	uint8_t m[512], *p = m, *u;
	char name[64];
	unsigned qtype = aaaa ? 28 : 1;
	bool nodata = answer && aaaa && f->aaaa_empty && !f->nx;
	unsigned an = 0, ns = 0;
	size_t dlen;
	uint32_t ph;
	struct pkt *pk;
	unsigned owner = 12;                           /* offset of the name the next record is for */
	size_t zone_off;

	host_name(f, name, sizeof name);
	if (answer) {
		if (f->nx || nodata)
			ns = 1;
		else
			an = (unsigned)f->n_cname + 1;
	}
	p = put16(p, aaaa ? f->qid_aaaa : f->qid_a);
	p = put16(p, answer ? (f->nx ? 0x8183 : 0x8180) : 0x0100);
	p = put16(p, 1);
	p = put16(p, an);
	p = put16(p, ns);
	p = put16(p, 0);
	p = dns_name(p, name);
	zone_off = 12 + strlen(name) - strlen("bench.test");  /* the "bench" label */
	p = put16(p, qtype);
	p = put16(p, 1);
	if (answer && an) {
		for (int i = 0; i < f->n_cname; i++) {
			char cn[64];
			unsigned here;
			snprintf(cn, sizeof cn, "e%d.cdn%" PRIu64 "", i, f->id % 97);
			p = put16(p, 0xc000 | owner);
			p = put16(p, 5);
			p = put16(p, 1);
			p = put32(p, 300);
			u = p;
			p = put16(p, 0);
			here = (unsigned)(p - m);
			/* the target: its own labels, then a pointer to "bench.test" */
			{
				uint8_t *l = dns_name(p, cn) - 1;  /* drop the root label */
				p = put16(l, 0xc000 | (unsigned)zone_off);
			}
			put16(u, (unsigned)(p - u - 2));
			owner = here;
		}
		p = put16(p, 0xc000 | owner);
		p = put16(p, qtype);
		p = put16(p, 1);
		p = put32(p, 60);
		if (aaaa) {
			p = put16(p, 16);
			p = putmem(p, f->srv6, 16);
		} else {
			p = put16(p, 4);
			p = putmem(p, f->srv4, 4);
		}
	}
	if (answer && ns) {
		p = put16(p, 0xc000 | (unsigned)zone_off);
		p = put16(p, 6);
		p = put16(p, 1);
		p = put32(p, 3600);
		u = p;
		p = put16(p, 0);
		p = dns_name(p, "ns1") - 1;
		p = put16(p, 0xc000 | (unsigned)zone_off);
		p = dns_name(p, "hostmaster") - 1;
		p = put16(p, 0xc000 | (unsigned)zone_off);
		p = put32(p, 2024010101);
		p = put32(p, 7200);
		p = put32(p, 3600);
		p = put32(p, 1209600);
		p = put32(p, 300);
		put16(u, (unsigned)(p - u - 2));
	}
	dlen = (size_t)(p - m);
	pk = q_push(f);
	label(pk, T_RESOLVE, answer ? K_DNS_A : K_DNS_Q);
	u = ip_build(f, pk, !answer, true, 17, 8 + dlen, &ph);
	put16(u, answer ? 53 : f->dport);
	put16(u + 2, answer ? f->dport : 53);
	put16(u + 4, (unsigned)(8 + dlen));
	put16(u + 6, 0);
	memcpy(u + 8, m, dlen);
	{
		uint16_t c = csum_fold(csum_add(ph, u, 8 + dlen));
		put16(u + 6, c ? c : 0xffff);
	}
	st.dns++;
}

/* ---------------------------------------------------------------- byte streams */

static char body_text[16384 + 64];             /* HTTP body filler: text, like HTML or JS */

static void body_text_init(void)
{
	static const char words[] = "function render(items) { return items.map(x => x.name); } "
	                            "<div class=\"card\"><p>lorem ipsum dolor sit amet</p></div>\n";
	for (size_t i = 0; i < sizeof body_text; i++)
		body_text[i] = words[i % (sizeof words - 1)];
}

static const char *path_of(const struct fetch *f, int k, const char **ctype)
{
	static char buf[64];

	switch ((f->id + (uint64_t)k) % 4) {
	case 0: *ctype = "text/html"; return "/";
	case 1: *ctype = "application/javascript";
		snprintf(buf, sizeof buf, "/static/app.%08" PRIx64 ".js", f->id * 40503u + (uint64_t)k);
		return buf;
	case 2: *ctype = "image/png";
		snprintf(buf, sizeof buf, "/img/photo-%d.png", k);
		return buf;
	default: *ctype = "application/json";
		snprintf(buf, sizeof buf, "/api/items?page=%d&limit=50", k + 1);
		return buf;
	}
}

/* Body length roughly log-uniform over 1 KB-300 KB, without libm so every machine agrees. */
static uint32_t body_size(void)
{
	uint32_t k = rnd_range(0, 8);
	uint32_t lo = 1024u << k, hi = 2048u << k;

	if (hi > 300 * 1024)
		hi = 300 * 1024;
	if (lo > hi)
		lo = 256 * 1024;
	return rnd_range(lo, hi);
}

static size_t tls_record(uint8_t *p, unsigned type, size_t len)
{
	put8(p, type);
	put16(p + 1, 0x0303);
	put16(p + 3, (unsigned)len);
	fill_noise(p + 5, len);
	return 5 + len;
}

/*
 * RFC 8446 section 4.1.3 ServerHello with supported_versions (TLS 1.3) and an x25519
 * key_share, in a handshake record.
 */
static size_t tls_server_hello(uint8_t *r)
{
	uint8_t *p = r + 9, *ext;

	p = put16(p, 0x0303);
	fill_noise(p, 32); p += 32;                    /* random */
	p = put8(p, 32); fill_noise(p, 32); p += 32;   /* legacy_session_id_echo */
	p = put16(p, 0x1302);                          /* TLS_AES_256_GCM_SHA384 */
	p = put8(p, 0);
	ext = p; p += 2;
	p = put16(p, 43); p = put16(p, 2); p = put16(p, 0x0304);
	p = put16(p, 51); p = put16(p, 36); p = put16(p, 29); p = put16(p, 32);
	fill_noise(p, 32); p += 32;
	put16(ext, (unsigned)(p - ext - 2));
	put8(r, 22); put16(r + 1, 0x0303); put16(r + 3, (unsigned)(p - r - 5));
	put8(r + 5, 2); put24(r + 6, (unsigned)(p - r - 9));
	return (size_t)(p - r);
}

/*
 * RFC 8446 section 4.1.2 ClientHello as curl 7.88 sends it: SNI, EC point formats,
 * supported groups, ALPN h2 + http/1.1, signature algorithms, supported_versions,
 * psk_key_exchange_modes, key_share, and padding to 512 bytes of handshake.
 */
static size_t tls_client_hello(uint8_t *r, const char *sni)
{
	static const uint16_t suites[] = { 0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0xc02b,
	                                   0xc02f, 0xcca9, 0xcca8, 0x009f, 0x009e, 0x00ff };
	static const uint16_t sigalgs[] = { 0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809,
	                                    0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601 };
	uint8_t *p = r + 9, *ext, *l;
	size_t sl = strlen(sni), hs;

	p = put16(p, 0x0303);
	fill_noise(p, 32); p += 32;
	p = put8(p, 32); fill_noise(p, 32); p += 32;
	p = put16(p, (unsigned)(2 * (sizeof suites / sizeof suites[0])));
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
		p = put16(p, suites[i]);
	p = put8(p, 1); p = put8(p, 0);
	ext = p; p += 2;
	/* server_name (RFC 6066 section 3) */
	p = put16(p, 0); p = put16(p, (unsigned)(sl + 5)); p = put16(p, (unsigned)(sl + 3));
	p = put8(p, 0); p = put16(p, (unsigned)sl); p = putmem(p, sni, sl);
	/* ec_point_formats */
	p = put16(p, 11); p = put16(p, 4); p = put8(p, 3); p = put8(p, 0); p = put8(p, 1); p = put8(p, 2);
	/* supported_groups */
	p = put16(p, 10); p = put16(p, 10); p = put16(p, 8);
	p = put16(p, 29); p = put16(p, 23); p = put16(p, 30); p = put16(p, 25);
	/* ALPN (RFC 7301 section 3.1) */
	p = put16(p, 16); p = put16(p, 14); p = put16(p, 12);
	p = put8(p, 2); p = putmem(p, "h2", 2); p = put8(p, 8); p = putmem(p, "http/1.1", 8);
	/* encrypt_then_mac, extended_master_secret */
	p = put16(p, 22); p = put16(p, 0);
	p = put16(p, 23); p = put16(p, 0);
	/* signature_algorithms */
	p = put16(p, 13); p = put16(p, (unsigned)(2 + 2 * (sizeof sigalgs / sizeof sigalgs[0])));
	p = put16(p, (unsigned)(2 * (sizeof sigalgs / sizeof sigalgs[0])));
	for (size_t i = 0; i < sizeof sigalgs / sizeof sigalgs[0]; i++)
		p = put16(p, sigalgs[i]);
	/* supported_versions (RFC 8446 section 4.2.1) */
	p = put16(p, 43); p = put16(p, 5); p = put8(p, 4); p = put16(p, 0x0304); p = put16(p, 0x0303);
	/* psk_key_exchange_modes */
	p = put16(p, 45); p = put16(p, 2); p = put8(p, 1); p = put8(p, 1);
	/* key_share: x25519 */
	p = put16(p, 51); p = put16(p, 38); p = put16(p, 36); p = put16(p, 29); p = put16(p, 32);
	fill_noise(p, 32); p += 32;
	/* padding (RFC 7685) up to 512 bytes of handshake message */
	hs = (size_t)(p - r - 5);
	if (hs + 4 < 512) {
		size_t pad = 512 - hs - 4;
		p = put16(p, 21); p = put16(p, (unsigned)pad);
		memset(p, 0, pad); p += pad;
	}
	put16(ext, (unsigned)(p - ext - 2));
	l = r;
	put8(l, 22); put16(l + 1, 0x0301); put16(l + 3, (unsigned)(p - r - 5));
	put8(l + 5, 1); put24(l + 6, (unsigned)(p - r - 9));
	return (size_t)(p - r);
}

/* Make the next piece of the server's stream into sbuf; false when the stream is over. */
static bool produce(struct fetch *f)
{
	uint8_t *b = f->sbuf;
	size_t n = 0;

	f->soff = 0;
	switch (f->pr) {
	case PR_HTTP_RESP:
		if (f->piece == 0) {
			const char *ctype;
			char framing[48];
			bool nf = f->body_len < 1024;          /* the small 404 page */
			path_of(f, f->req_done - 1, &ctype);
			if (f->chunked)
				snprintf(framing, sizeof framing, "Transfer-Encoding: chunked");
			else
				snprintf(framing, sizeof framing, "Content-Length: %" PRIu32, f->body_len);
			n = (size_t)snprintf((char *)b, SBUF_LEN,
				"HTTP/1.1 %s\r\nServer: nginx/1.22.1\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
				"Content-Type: %s\r\n%s\r\nConnection: keep-alive\r\n"
				"ETag: \"%08" PRIx64 "-%" PRIx32 "\"\r\nCache-Control: max-age=3600\r\n\r\n",
				nf ? "404 Not Found" : "200 OK", nf ? "text/html" : ctype, framing,
				f->id, f->body_len);
		} else if (f->remain > 0) {
			uint32_t c = f->chunked ? rnd_range(1024, 16000) : 16384;
			if (c > f->remain)
				c = f->remain;
			if (f->chunked)
				n = (size_t)snprintf((char *)b, 16, "%" PRIx32 "\r\n", c);
			memcpy(b + n, body_text + (f->body_len - f->remain) % 64, c);
			n += c;
			if (f->chunked)
				b[n++] = '\r', b[n++] = '\n';
			f->remain -= c;
		} else if (f->chunked && !f->tail_done) {
			memcpy(b, "0\r\n\r\n", 5);
			n = 5;
			f->tail_done = true;
		}
		break;
	case PR_TLS_FLIGHT:
		if (f->piece == 0) {
			n = tls_server_hello(b);
			b[n++] = 20; n = (size_t)(put16(b + n, 0x0303) - b);
			n = (size_t)(put16(b + n, 1) - b); b[n++] = 1;
			n += tls_record(b + n, 23, 6 + 17);                    /* EncryptedExtensions */
			n += tls_record(b + n, 23, rnd_range(1800, 4200));     /* Certificate */
			n += tls_record(b + n, 23, 264 + 17);                  /* CertificateVerify */
			n += tls_record(b + n, 23, 52 + 17);                   /* Finished */
		}
		break;
	case PR_TLS_NST:
		/* two NewSessionTickets right after the client's Finished, before the request */
		if (f->piece == 0) {
			n = tls_record(b, 23, rnd_range(180, 260));
			n += tls_record(b + n, 23, rnd_range(180, 260));
		}
		break;
	case PR_TLS_RESP:
		if (f->remain > 0) {
			uint32_t c = f->remain > 16384 ? 16384 : f->remain;
			n = tls_record(b, 23, c + 17);
			f->remain -= c;
		}
		break;
	}
	f->piece++;
	f->slen = (uint32_t)n;
	return n > 0;
}

/* Up to max bytes of the server stream; sets stream_done after the last byte. */
static size_t take(struct fetch *f, uint8_t *dst, size_t max)
{
	size_t got = 0;

	while (got < max && !f->stream_done) {
		size_t k = f->slen - f->soff;
		if (k == 0) {
			if (!produce(f))
				f->stream_done = true;
			continue;
		}
		if (k > max - got)
			k = max - got;
		memcpy(dst + got, f->sbuf + f->soff, k);
		f->soff += (uint32_t)k;
		got += k;
	}
	/* look ahead so the last segment knows it is the last (and carries PSH) */
	if (!f->stream_done && f->soff == f->slen && !produce(f))
		f->stream_done = true;
	return got;
}

static void start_send(struct fetch *f, enum producer pr, enum phase after)
{
	f->pr = pr;
	f->after_send = after;
	f->piece = 0;
	f->slen = f->soff = 0;
	f->stream_done = false;
	f->tail_done = false;
	f->seg_since_ack = 0;
	f->ph = PH_SEND;
}

/* ---------------------------------------------------------------- the fetch story */

static unsigned mss_payload(const struct fetch *f)
{
	return (f->v6 ? 1440u : 1460u) - 12u;          /* minus the timestamps option */
}

static void fetch_init(struct fetch *f, uint64_t id)
{
	uint32_t h = (uint32_t)(id & 0xffff), k = (uint32_t)(id >> 16);

	memset(f, 0, offsetof(struct fetch, sbuf));
	f->q_head = f->q_n = 0;
	f->retx_wait = 0;
	f->id = id;
	f->v6 = rnd_permille(300);
	f->tls = rnd_permille(500);
	f->nx = rnd_permille(50);
	f->n_cname = rnd_permille(250) ? (int)rnd_range(1, 3) : 0;
	f->aaaa_empty = !f->v6;
	/* piece 0: the documentation ranges; piece K > 0: RFC 2544's benchmarking range, /24 K */
	uint8_t pk = (uint8_t)piece, s4a = piece ? 198 : 192, s4b = piece ? 19 : 0, s4c = piece ? pk : 2;
	memcpy(f->srv4, (uint8_t[4]){ s4a, s4b, s4c, (uint8_t)(60 + id % 190) }, 4);
	memcpy(f->srv6, (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, 0, 5, 0, pk, 0, 0, 0, 0,
	                                (uint8_t)(k >> 8), (uint8_t)k, (uint8_t)(h >> 8), (uint8_t)h }, 16);
	if (f->v6) {
		memcpy(f->cli, (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0xc1, 0, pk, 0, 0, 0, 0,
		                               0, 0, 0, (uint8_t)(10 + id % 50) }, 16);
		memcpy(f->dns, (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, pk, 0, 0, 0, 0,
		                               0, 0, 0, 0x53 }, 16);
		memcpy(f->srv, f->srv6, 16);
	} else {
		memcpy(f->cli, (uint8_t[4]){ 198, piece ? 18 : 51, piece ? pk : 100,
		                              (uint8_t)(10 + id % 50) }, 4);
		memcpy(f->dns, (uint8_t[4]){ s4a, s4b, s4c, 53 }, 4);
		memcpy(f->srv, f->srv4, 4);
	}
	f->cport = (uint16_t)(20000 + id % 45000);
	f->sport = f->tls ? 443 : 80;
	f->dport = (uint16_t)rnd_range(1024, 65535);
	f->qid_a = (uint16_t)rnd();
	f->qid_aaaa = (uint16_t)rnd();
	f->c_nxt = rnd();
	f->s_nxt = rnd();
	f->c_ts0 = rnd();
	f->s_ts0 = rnd();
	f->ipid = (uint16_t)rnd();
	f->n_req = (int)rnd_range(1, 4);
	f->ph = PH_DNS_Q;
	st.fetches++;
	if (f->nx)
		st.nx++;
	else if (f->tls)
		st.tls++;
	else
		st.http++;
	if (f->n_cname && !f->nx)
		st.cname++;
	if (f->aaaa_empty && !f->nx)
		st.aaaa_nodata++;
}

static void client_request(struct fetch *f)
{
	uint8_t buf[600];
	char host[64];
	const char *ctype, *path = path_of(f, f->req_done, &ctype);
	size_t n;

	host_name(f, host, sizeof host);
	n = (size_t)snprintf((char *)buf, sizeof buf,
		"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n", path, host);
	if (f->tls)
		n = tls_record(buf, 23, n + 17);
	label(tcp_seg(f, true, TF_PSH | TF_ACK, buf, n), T_WRITE, f->tls ? K_TLS_REQ : K_REQ);
	if (rnd_permille(500))
		label(tcp_seg(f, false, TF_ACK, NULL, 0), T_WRITE, f->tls ? K_TLS_REQ_ACK : K_REQ_ACK);
	f->req_done++;
	st.exchanges++;
	f->body_len = rnd_permille(30) ? rnd_range(150, 400) : body_size();
	f->remain = f->body_len;
	f->chunked = !f->tls && f->body_len >= 1024 && rnd_permille(400);
	if (!f->tls) {
		if (f->chunked)
			st.chunked++;
		else
			st.clen++;
		if (f->body_len < 1024)
			st.not_found++;
	}
	st.body_bytes += f->body_len;
	start_send(f, f->tls ? PR_TLS_RESP : PR_HTTP_RESP, f->req_done < f->n_req ? PH_REQ : PH_FIN1);
}

/* Up to two server segments, then the client's ACK of everything so far. */
static void server_send(struct fetch *f)
{
	static const struct { enum tstep s; enum kind seg, ack; } lab[] = {
		[PR_HTTP_RESP] = { T_READ, K_RESP, K_RESP_ACK },
		[PR_TLS_FLIGHT] = { T_CONNECT, K_TLS_SFLIGHT, K_TLS_SFLIGHT_ACK },
		[PR_TLS_NST] = { T_CONNECT, K_TLS_NST, K_TLS_NST_ACK },
		[PR_TLS_RESP] = { T_READ, K_TLS_RESP, K_TLS_RESP_ACK },
	};
	uint8_t pl[1500];
	int first = (f->q_head + f->q_n) % QUEUE_LEN, made = 0;

	for (int i = 0; i < 2 && !f->stream_done; i++) {
		size_t n = take(f, pl, mss_payload(f));
		struct pkt *p;
		if (n == 0)
			break;
		p = tcp_seg(f, false, TF_ACK | (f->stream_done ? TF_PSH : 0), pl, n);
		label(p, lab[f->pr].s, lab[f->pr].seg);
		made++;
		if (f->retx_wait == 0 && rnd_permille(10)) {
			f->retx = *p;
			f->retx_wait = (int)rnd_range(3, 6);
		}
	}
	if (made == 2 && rnd_permille(10)) {
		/* ~1% of segment pairs go out of order: swap them */
		struct pkt tmp = f->q[first];
		f->q[first] = f->q[(first + 1) % QUEUE_LEN];
		f->q[(first + 1) % QUEUE_LEN] = tmp;
		st.reorder++;
	}
	f->seg_since_ack += made;
	if (f->seg_since_ack >= 2 || f->stream_done) {
		label(tcp_seg(f, true, TF_ACK, NULL, 0), lab[f->pr].s, lab[f->pr].ack);
		f->seg_since_ack = 0;
	}
	if (f->stream_done)
		f->ph = f->after_send == PH_REQ && f->req_done >= f->n_req ? PH_FIN1 : f->after_send;
}

/* Build the next packets of fetch f into its queue. */
static void fetch_fill(struct fetch *f)
{
	uint8_t buf[1500];
	char host[64];
	size_t n;

	switch (f->ph) {
	case PH_DNS_Q:
		dns_msg(f, false, false);
		dns_msg(f, false, true);
		f->ph = PH_DNS_A;
		break;
	case PH_DNS_A:
		dns_msg(f, true, false);
		dns_msg(f, true, true);
		f->ph = f->nx ? PH_DONE : PH_SYN;
		break;
	case PH_SYN:
		label(tcp_seg(f, true, TF_SYN, NULL, 0), T_CONNECT, K_SYN);
		f->ph = PH_SYNACK;
		break;
	case PH_SYNACK:
		label(tcp_seg(f, false, TF_SYN | TF_ACK, NULL, 0), T_CONNECT, K_SYNACK);
		f->ph = PH_ACK;
		break;
	case PH_ACK:
		label(tcp_seg(f, true, TF_ACK, NULL, 0), T_CONNECT, K_HS_ACK);
		f->ph = f->tls ? PH_TLS_CH : PH_REQ;
		break;
	case PH_TLS_CH:
		host_name(f, host, sizeof host);
		n = tls_client_hello(buf, host);
		label(tcp_seg(f, true, TF_PSH | TF_ACK, buf, n), T_CONNECT, K_TLS_CH);
		label(tcp_seg(f, false, TF_ACK, NULL, 0), T_CONNECT, K_TLS_CH_ACK);
		start_send(f, PR_TLS_FLIGHT, PH_TLS_CFIN);
		break;
	case PH_SEND:
		server_send(f);
		break;
	case PH_TLS_CFIN:
		buf[0] = 20; put16(buf + 1, 0x0303); put16(buf + 3, 1); buf[5] = 1;
		n = 6 + tls_record(buf + 6, 23, 52 + 17);
		label(tcp_seg(f, true, TF_PSH | TF_ACK, buf, n), T_CONNECT, K_TLS_CFIN);
		start_send(f, PR_TLS_NST, PH_REQ);
		break;
	case PH_REQ:
		client_request(f);
		break;
	case PH_FIN1:
		if (f->retx_wait) {                    /* the retransmission goes before the close */
			*q_push(f) = f->retx;
			f->retx_wait = 0;
			st.retx++;
		}
		if (f->tls) {
			n = tls_record(buf, 23, 2 + 17);   /* encrypted close_notify */
			label(tcp_seg(f, true, TF_PSH | TF_ACK, buf, n), T_CLOSE, K_TLS_ALERT);
		}
		label(tcp_seg(f, true, TF_FIN | TF_ACK, NULL, 0), T_CLOSE, K_FIN_C);
		f->ph = PH_FIN2;
		break;
	case PH_FIN2:
		label(tcp_seg(f, false, TF_FIN | TF_ACK, NULL, 0), T_CLOSE, K_FIN_S);
		f->ph = PH_FIN3;
		break;
	case PH_FIN3:
		label(tcp_seg(f, true, TF_ACK, NULL, 0), T_CLOSE, K_FIN_ACK);
		f->ph = PH_DONE;
		break;
	case PH_DONE:
		break;
	}
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr, "usage: gen [-n PACKETS] [-c CONCURRENT] [-s SEED] [-p PIECE | -P PIECES] "
		"[-t TRUTH] -o FILE\n");
	exit(2);
}

/* Microseconds between the starts of two pieces of target packets each (see the top). */
static uint64_t piece_span_us(uint64_t target)
{
	return ((target * 80 + 999999) / 1000000 + 1) * 1000000;
}

/*
 * Piece k: about target packets of conc concurrent fetches, made from k and seed alone (every
 * random stream, the clock and the fetch numbers start again), written after what is in out.
 */
static void gen_piece(unsigned k, uint64_t target, long conc, uint64_t seed, struct fetch *slots,
                      bool *live)
{
	uint64_t next_id = k * PIECE_IDS + 1, t_end = CLOCK0_US + (k + 1) * piece_span_us(target);
	long n_live = 0;

	piece = k;
	/* piece 0 is the generator's default stream: k folds in only from piece 1 on */
	rng_state = (RNG_INIT ^ seed * 0x9E3779B97F4A7C15ULL) ^ k * 0xD1B54A32D192ED03ULL;
	noise_state = NOISE_INIT ^ k * 0xBF58476D1CE4E5B9ULL;
	now_us = CLOCK0_US + k * piece_span_us(target);
	n_written = 0;
	for (long i = 0; i < conc; i++) {
		fetch_init(&slots[i], next_id++);
		live[i] = true;
		n_live++;
	}
	while (n_live > 0) {
		long i = (long)rnd_range(0, (uint32_t)conc - 1);
		struct fetch *f = &slots[i];

		if (!live[i])
			continue;
		if (f->q_n == 0) {
			fetch_fill(f);
			if (f->q_n == 0 && f->retx_wait) {
				*q_push(f) = f->retx;
				f->retx_wait = 0;
				st.retx++;
			}
		}
		if (f->q_n == 0) {                     /* the fetch is over */
			if (n_written < target) {
				fetch_init(f, next_id++);
			} else {
				live[i] = false;
				n_live--;
			}
			continue;
		}
		if (n_written >= target)               /* wind down: no more new requests */
			f->n_req = f->req_done > 0 ? f->req_done : 1;
		pcap_write(&f->q[f->q_head]);
		f->q_head = (f->q_head + 1) % QUEUE_LEN;
		f->q_n--;
		if (f->retx_wait && --f->retx_wait == 0) {
			*q_push(f) = f->retx;
			st.retx++;
		}
	}
	/* the next piece starts at t_end: a piece that ran into it would not be in time order */
	if (now_us >= t_end || next_id - 1 > (k + 1) * PIECE_IDS) {
		fprintf(stderr, "gen: piece %u ran past its time span or its fetch numbers (bug)\n", k);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	uint64_t target = 1000000, seed = 1;
	long conc = 200, first = 0, n_pieces = 1;
	const char *path = NULL, *tpath = NULL;
	struct fetch *slots;
	bool *live;
	int c;

	while ((c = getopt(argc, argv, "n:c:s:o:t:p:P:")) != -1) {
		switch (c) {
		case 'n': target = strtoull(optarg, NULL, 10); break;
		case 'c': conc = strtol(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'o': path = optarg; break;
		case 't': tpath = optarg; break;
		case 'p': first = strtol(optarg, NULL, 10); n_pieces = -1; break;
		case 'P': first = 0; n_pieces = strtol(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (n_pieces == -1)                            /* -p K: piece K alone */
		n_pieces = 1;
	else if (n_pieces < 1)
		usage();
	if (!path || optind != argc || conc < 1 || conc > 100000 || target < 1 ||
	    first < 0 || first + n_pieces > 256 || target > 100000000)
		usage();
	out = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	if (!out) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		return 1;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	if (tpath) {
		truth = fopen(tpath, "w");
		if (!truth) {
			fprintf(stderr, "gen: %s: %s\n", tpath, strerror(errno));
			return 1;
		}
		setvbuf(truth, NULL, _IOFBF, 1 << 20);
	}
	body_text_init();
	slots = malloc(sizeof *slots * (size_t)conc);
	live = calloc((size_t)conc, sizeof *live);
	if (!slots || !live) {
		fprintf(stderr, "gen: out of memory\n");
		return 1;
	}
	pcap_header();
	for (long k = first; k < first + n_pieces; k++)
		gen_piece((unsigned)k, target, conc, seed, slots, live);
	if (fclose(out) != 0) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (truth && fclose(truth) != 0) {
		fprintf(stderr, "gen: %s: %s\n", tpath, strerror(errno));
		return 1;
	}
	fprintf(stderr,
		"gen: %" PRIu64 " packets, %.1f MB, %.1f s of capture, %ld concurrent fetches\n"
		"gen: fetches %" PRIu64 ": %" PRIu64 " HTTP, %" PRIu64 " TLS, %" PRIu64 " NXDOMAIN; "
		"%" PRIu64 " with a CNAME chain, %" PRIu64 " AAAA NODATA\n"
		"gen: exchanges %" PRIu64 " (HTTP: %" PRIu64 " Content-Length incl. %" PRIu64 " 404, %" PRIu64
		" chunked), body bytes %.1f MB\n"
		"gen: packets: %" PRIu64 " IPv4, %" PRIu64 " IPv6; %" PRIu64 " DNS, %" PRIu64 " TCP "
		"(%" PRIu64 " SYN, %" PRIu64 " FIN, %" PRIu64 " with data, %" PRIu64 " pure ACK)\n"
		"gen: injected %" PRIu64 " retransmissions, %" PRIu64 " swapped segment pairs\n",
		st.pkts, st.bytes / 1e6, (double)st.pkts ? (now_us - CLOCK0_US - (uint64_t)first * piece_span_us(target)) / 1e6 : 0.0, conc,
		st.fetches, st.http, st.tls, st.nx, st.cname, st.aaaa_nodata,
		st.exchanges, st.clen, st.not_found, st.chunked, st.body_bytes / 1e6,
		st.v4, st.v6, st.dns, st.tcp, st.syn, st.fin, st.data_segs, st.acks,
		st.retx, st.reorder);
	free(slots);
	free(live);
	return 0;
}
