/* test_flow.c - the TCP connection table driven by scripted segment sequences. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "flow.h"
#include "pkt.h"
#include "t.h"

/* ------------------------------------------------------------------ */
/* helpers: a conversation, a segment, the retire log                  */
/* ------------------------------------------------------------------ */

/* Two endpoints; dir 0 sends from a (the client) to b. */
struct tconv {
	uint8_t ip_ver;
	uint8_t a[16], b[16];
	uint16_t pa, pb;
};

static uint8_t payload[2048]; /* bytes every test segment points at */

static struct tconv conv4(uint8_t last_a, uint16_t pa, uint8_t last_b, uint16_t pb)
{
	struct tconv cv;
	memset(&cv, 0, sizeof(cv));
	cv.ip_ver = 4;
	cv.a[0] = 10, cv.a[3] = last_a;
	cv.b[0] = 10, cv.b[3] = last_b;
	cv.pa = pa, cv.pb = pb;
	return cv;
}

static struct pkt seg_pkt(const struct tconv *cv, int dir, uint32_t seq, uint32_t ack,
			  uint8_t flags, uint32_t len, int64_t ts)
{
	struct pkt p;
	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	p.layer = LAYER_DONE;
	p.ip_ver = cv->ip_ver;
	p.proto = 6;
	memcpy(p.src, dir == 0 ? cv->a : cv->b, 16);
	memcpy(p.dst, dir == 0 ? cv->b : cv->a, 16);
	p.sport = dir == 0 ? cv->pa : cv->pb;
	p.dport = dir == 0 ? cv->pb : cv->pa;
	p.seq = seq;
	p.ack = ack;
	p.tcp_flags = flags;
	p.win = 65535;
	p.pl_len = len;
	p.pl_cap = len <= sizeof(payload) ? len : 0;
	p.pl = payload;
	return p;
}

/* Track one packet and run flow_after on it, as the main loop does. */
static struct flow_seg run_pkt(struct flow_table *ft, const struct pkt *p)
{
	struct flow_seg s;
	flow_track(ft, p, &s);
	flow_after(ft, &s, 0);
	return s;
}

static struct flow_seg run(struct flow_table *ft, const struct tconv *cv, int dir, uint32_t seq,
			   uint32_t ack, uint8_t flags, uint32_t len, int64_t ts)
{
	struct pkt p = seg_pkt(cv, dir, seq, ack, flags, len, ts);
	return run_pkt(ft, &p);
}

/* What the retire callback saw. */
static struct {
	int n;                 /* calls */
	int n_closed, n_reset, n_evicted, n_end, n_other;
	uint32_t last_id;
	char why[40];
	char state[8];         /* flow_conn_state at retire time */
	char hist[FLOW_HISTORY_MAX + 1];
	uint32_t evict_last_id; /* ids of evicted conns must keep increasing here */
	int evict_order_bad;
} rl;

static void rl_reset(void) { memset(&rl, 0, sizeof(rl)); }

static void on_retire(void *ctx, const struct conn *c, const char *why)
{
	(void)ctx;
	rl.n++;
	rl.last_id = c->id;
	snprintf(rl.why, sizeof(rl.why), "%s", why);
	snprintf(rl.state, sizeof(rl.state), "%s", flow_conn_state(c));
	snprintf(rl.hist, sizeof(rl.hist), "%s", c->history);
	if (!strcmp(why, "closed"))
		rl.n_closed++;
	else if (!strcmp(why, "reset"))
		rl.n_reset++;
	else if (!strcmp(why, "evicted (table full)")) {
		rl.n_evicted++;
		if (c->id <= rl.evict_last_id)
			rl.evict_order_bad++;
		rl.evict_last_id = c->id;
	} else if (!strcmp(why, "end of capture"))
		rl.n_end++;
	else
		rl.n_other++;
}

/* SYN, SYN-ACK, ACK: client ISN ci, server ISN si, from time ts. */
static struct conn *handshake(struct flow_table *ft, const struct tconv *cv, uint32_t ci,
			      uint32_t si, int64_t ts)
{
	run(ft, cv, 0, ci, 0, TCP_SYN, 0, ts);
	run(ft, cv, 1, si, ci + 1, TCP_SYN | TCP_ACK, 0, ts + 10);
	struct flow_seg s = run(ft, cv, 0, ci + 1, si + 1, TCP_ACK, 0, ts + 20);
	return s.c;
}

/* ------------------------------------------------------------------ */
/* a normal connection, segment by segment                             */
/* ------------------------------------------------------------------ */

static void test_normal(void)
{
	rl_reset();
	struct flow_table *ft = flow_open(64, 1 << 20, on_retire, NULL);
	CHECK(ft != NULL);
	struct tconv cv = conv4(1, 40000, 2, 80);
	const uint32_t ci = 1000, si = 5000;
	const int64_t t = 1700000000000000;
	struct flow_seg s;

	/* SYN */
	s = run(ft, &cv, 0, ci, 0, TCP_SYN, 0, t);
	struct conn *c = s.c;
	CHECK(c != NULL);
	CHECK(s.is_new);
	CHECK_EQ_INT(s.dir, 0);
	CHECK_EQ_INT(c->id, 1);
	CHECK_EQ_INT(s.rel_seq, 0);
	CHECK_EQ_INT(s.notes, 0);
	CHECK_EQ_INT(s.rtt_us, -1);
	CHECK(!s.ack_valid);
	CHECK_EQ_INT(c->cport, 40000);
	CHECK_EQ_INT(c->sport, 80);
	CHECK_EQ_INT(c->d[0].state, EP_SYN_SENT);
	CHECK_EQ_INT(flow_count(ft), 1);

	/* SYN-ACK: RTT since the SYN */
	s = run(ft, &cv, 1, si, ci + 1, TCP_SYN | TCP_ACK, 0, t + 300);
	CHECK(s.c == c);
	CHECK(!s.is_new);
	CHECK_EQ_INT(s.dir, 1);
	CHECK_EQ_INT(s.rtt_us, 300);
	CHECK_EQ_INT(s.rel_seq, 0);
	CHECK(s.ack_valid);
	CHECK_EQ_INT(s.rel_ack, 1);
	CHECK_EQ_INT(s.notes, 0);
	CHECK(!s.completes_handshake);

	/* ACK: completes the handshake, RTT since the SYN-ACK */
	s = run(ft, &cv, 0, ci + 1, si + 1, TCP_ACK, 0, t + 400);
	CHECK(s.completes_handshake);
	CHECK_EQ_INT(s.notes, NOTE_ESTABLISHED);
	CHECK_EQ_INT(s.rtt_us, 100);
	CHECK_EQ_INT(s.rel_seq, 1);
	CHECK_EQ_INT(s.rel_ack, 1);
	CHECK_EQ_INT(s.acks_dir, -1);
	CHECK(c->handshake_done);
	CHECK_EQ_INT(c->d[0].state, EP_ESTABLISHED);
	CHECK_EQ_INT(c->d[1].state, EP_ESTABLISHED);

	/* request */
	s = run(ft, &cv, 0, ci + 1, si + 1, TCP_ACK | TCP_PSH, 100, t + 500);
	CHECK_EQ_INT(s.rel_seq, 1);
	CHECK_EQ_INT(s.new_bytes, 100);
	CHECK_EQ_INT(s.notes, 0);
	CHECK(!s.completes_handshake);
	CHECK_EQ_INT(s.rtt_us, -1);

	/* server ACKs the request */
	s = run(ft, &cv, 1, si + 1, ci + 101, TCP_ACK, 0, t + 600);
	CHECK_EQ_INT(s.dir, 1);
	CHECK_EQ_INT(s.acks_dir, 0);
	CHECK_EQ_INT(s.rel_ack, 101);
	CHECK_EQ_INT(s.notes, 0);

	/* response */
	s = run(ft, &cv, 1, si + 1, ci + 101, TCP_ACK | TCP_PSH, 1000, t + 700);
	CHECK_EQ_INT(s.rel_seq, 1);
	CHECK_EQ_INT(s.new_bytes, 1000);
	CHECK_EQ_INT(s.notes, 0);
	CHECK_EQ_INT(s.acks_dir, -1);

	/* client ACKs the response */
	s = run(ft, &cv, 0, ci + 101, si + 1001, TCP_ACK, 0, t + 800);
	CHECK_EQ_INT(s.acks_dir, 1);
	CHECK_EQ_INT(s.rel_ack, 1001);
	CHECK_EQ_INT(s.notes, 0);

	/* client FIN: the first */
	s = run(ft, &cv, 0, ci + 101, si + 1001, TCP_FIN | TCP_ACK, 0, t + 900);
	CHECK(s.notes & NOTE_CLOSES_FIRST);
	CHECK(!(s.notes & NOTE_CLOSED));
	CHECK(!s.after_fin);
	CHECK_EQ_INT(s.rel_seq, 101);
	CHECK_EQ_INT(c->first_fin, 0);
	CHECK_EQ_INT(c->ts_fin, t + 900);
	CHECK_EQ_INT(c->d[0].state, EP_FIN_SENT);
	CHECK_EQ_INT(c->d[0].fin_seq, 101);

	/* server FIN, acknowledging the client's */
	s = run(ft, &cv, 1, si + 1001, ci + 102, TCP_FIN | TCP_ACK, 0, t + 1000);
	CHECK(!(s.notes & NOTE_CLOSES_FIRST));
	CHECK(!(s.notes & NOTE_CLOSED));
	CHECK(s.after_fin);
	CHECK_EQ_INT(c->first_fin, 0);
	CHECK_EQ_INT(c->d[0].state, EP_CLOSED);
	CHECK_EQ_INT(c->d[1].state, EP_FIN_SENT);
	CHECK(!c->finished);
	CHECK_EQ_INT(rl.n, 0);

	/* final ACK */
	s = run(ft, &cv, 0, ci + 102, si + 1002, TCP_ACK, 0, t + 1100);
	CHECK(s.notes & NOTE_CLOSED);
	CHECK(s.after_fin);
	CHECK(c->finished);
	CHECK_EQ_INT(c->d[1].state, EP_CLOSED);
	CHECK_EQ_STR(c->history, "ShADadFf");
	CHECK_EQ_STR(flow_conn_state(c), "SF");
	CHECK_EQ_INT(c->d[0].bytes, 100);
	CHECK_EQ_INT(c->d[1].bytes, 1000);
	CHECK_EQ_INT(c->d[0].pkts, 6);
	CHECK_EQ_INT(c->d[1].pkts, 4);
	CHECK_EQ_INT(c->ts_first, t);
	CHECK_EQ_INT(c->ts_last, t + 1100);
	CHECK_EQ_INT(c->ts_established, t + 400);
	CHECK_EQ_INT(rl.n, 1);
	CHECK_EQ_STR(rl.why, "closed");
	CHECK_EQ_STR(rl.state, "SF");
	CHECK_EQ_INT(rl.last_id, 1);

	/* a late duplicate of the last ACK: no second retire, still the same conn */
	s = run(ft, &cv, 0, ci + 102, si + 1002, TCP_ACK, 0, t + 1200);
	CHECK(s.c == c);
	CHECK(!s.is_new);
	CHECK(!(s.notes & NOTE_CLOSED));
	CHECK_EQ_INT(rl.n, 1);

	flow_close(ft);
	CHECK_EQ_INT(rl.n, 1); /* finished connections are not retired again */
	CHECK_EQ_INT(rl.n_closed, 1);
}

/* ------------------------------------------------------------------ */
/* relative sequence numbers: wrap-around and 64-bit growth             */
/* ------------------------------------------------------------------ */

static void test_seq_wrap(void)
{
	rl_reset();
	struct flow_table *ft = flow_open(8, 1 << 20, on_retire, NULL);
	struct tconv cv = conv4(1, 40001, 2, 80);
	const uint32_t ci = 0xFFFFFF00u, si = 0xFFFFFFFFu;
	struct conn *c = handshake(ft, &cv, ci, si, 1000);
	CHECK(c->handshake_done);
	CHECK_EQ_INT(c->d[0].isn, ci);
	CHECK_EQ_INT(c->d[1].isn, si);

	/* 1000-byte segments across the wrap of the absolute numbers */
	uint64_t rel = 1;
	struct flow_seg s;
	for (int k = 0; k < 5; k++) {
		s = run(ft, &cv, 0, (uint32_t)(ci + rel), si + 1, TCP_ACK, 1000, 2000 + k);
		CHECK_EQ_INT(s.rel_seq, rel);
		CHECK_EQ_INT(s.new_bytes, 1000);
		CHECK_EQ_INT(s.notes, 0);
		rel += 1000;
	}
	CHECK(s.rel_seq > (int64_t)(0x100000000ull - ci)); /* the last one is past the wrap */
	CHECK_EQ_INT(c->d[0].max_end, 5001);
	/* the ACK of all of it, absolute number wrapped too */
	s = run(ft, &cv, 1, si + 1, (uint32_t)(ci + 5001), TCP_ACK, 0, 3000);
	CHECK_EQ_INT(s.rel_ack, 5001);
	CHECK_EQ_INT(s.acks_dir, 0);
	CHECK(!(s.notes & NOTE_ACK_UNSEEN));
	/* the server's ISN 0xffffffff: its first byte has absolute number 0 */
	s = run(ft, &cv, 1, 0, (uint32_t)(ci + 5001), TCP_ACK, 10, 3001);
	CHECK_EQ_INT(s.rel_seq, 1);
	CHECK_EQ_INT(s.new_bytes, 10);
	/* a retransmission right after the wrap is still recognised */
	s = run(ft, &cv, 0, (uint32_t)(ci + 4001), si + 11, TCP_ACK, 1000, 3002);
	CHECK_EQ_INT(s.rel_seq, 4001);
	CHECK(s.notes & NOTE_RETRANS);
	CHECK_EQ_INT(s.new_bytes, 0);
	CHECK_EQ_INT(c->d[0].bytes, 5000);
	flow_close(ft);

	/* 64-bit growth: more than 4 GiB in one direction */
	ft = flow_open(8, 1 << 20, on_retire, NULL);
	cv = conv4(1, 40002, 2, 80);
	const uint32_t ci2 = 123456789u;
	c = handshake(ft, &cv, ci2, 42, 1000);
	const uint32_t gib = 1u << 30;
	rel = 1;
	for (int k = 0; k < 5; k++) {
		s = run(ft, &cv, 0, (uint32_t)(ci2 + rel), 43, TCP_ACK, gib, 2000 + k);
		CHECK_EQ_INT(s.rel_seq, rel);
		CHECK_EQ_INT(s.new_bytes, gib);
		CHECK_EQ_INT(s.notes, 0);
		rel += gib;
		/* the server keeps up so each ACK stays within 2^31 of the last */
		s = run(ft, &cv, 1, 43, (uint32_t)(ci2 + rel), TCP_ACK, 0, 2100 + k);
		CHECK_EQ_INT(s.rel_ack, rel);
	}
	CHECK(c->d[0].max_end > 0x100000000ull);
	CHECK_EQ_INT(c->d[0].max_end, 1 + 5ull * gib);
	CHECK_EQ_INT(c->d[0].bytes, 5ull * gib);
	CHECK_EQ_INT(c->d[1].acked, 1 + 5ull * gib);
	/* a SACK edge after 4 GiB keeps its high bits too */
	CHECK(flow_rel_seq(&c->d[0], (uint32_t)(ci2 + rel - 10)) == (int64_t)rel - 10);
	/* small segments after 4 GiB: rel_seq keeps its high bits */
	s = run(ft, &cv, 0, (uint32_t)(ci2 + rel), 43, TCP_ACK, 100, 3000);
	CHECK_EQ_INT(s.rel_seq, rel);
	CHECK_EQ_INT(s.new_bytes, 100);
	s = run(ft, &cv, 0, (uint32_t)(ci2 + rel), 43, TCP_ACK, 100, 3001);
	CHECK_EQ_INT(s.rel_seq, rel);
	CHECK(s.notes & NOTE_RETRANS);
	CHECK_EQ_INT(s.new_bytes, 0);
	CHECK_EQ_INT(c->d[0].bytes, 5ull * gib + 100);
	flow_close(ft);
}

/* ------------------------------------------------------------------ */
/* before the start: old numbers stay small, never ~2^32 (issue 9, 3)   */
/* ------------------------------------------------------------------ */

static void test_seq_before_start(void)
{
	rl_reset();
	struct flow_table *ft = flow_open(8, 1 << 20, on_retire, NULL);
	/* mid-stream; the server's data is the first packet seen */
	struct tconv cv = conv4(1, 50100, 2, 80);
	const uint32_t S = 7000, C = 0xFFFFFFF0u; /* the client's numbers wrap soon */
	struct flow_seg s = run(ft, &cv, 1, S, C, TCP_ACK, 100, 1000);
	struct conn *c = s.c;
	CHECK_EQ_INT(s.rel_seq, 1);
	CHECK(s.ack_valid); /* the ACK says where the client's stream stands */
	CHECK_EQ_INT(s.rel_ack, 1);
	s = run(ft, &cv, 0, C, S + 100, TCP_ACK, 0, 1100);
	CHECK_EQ_INT(s.rel_seq, 1);
	CHECK_EQ_INT(s.rel_ack, 101);
	/* a late ACK for bytes before the server's first one seen: -999, old */
	s = run(ft, &cv, 0, C, S - 1000, TCP_ACK, 0, 1200);
	CHECK(s.ack_valid);
	CHECK(s.rel_ack == -999);
	CHECK(!(s.notes & (NOTE_ACK_UNSEEN | NOTE_DUP_ACK)));
	CHECK_EQ_INT(s.acks_dir, -1);
	CHECK_EQ_INT(c->d[0].acked, 101);
	/* a stale server segment from before the capture: old, not new */
	s = run(ft, &cv, 1, S - 1000, C, TCP_ACK, 500, 1300);
	CHECK(s.rel_seq == -999);
	CHECK_EQ_INT(s.new_bytes, 0);
	CHECK(s.notes & NOTE_RETRANS); /* the client had acknowledged it */
	CHECK(!(s.notes & NOTE_PREV_LOST));
	CHECK_EQ_INT(c->d[1].max_end, 101);
	CHECK_EQ_INT(c->d[1].n_holes, 0);
	/* SACK edges are numbered the same way */
	CHECK(flow_rel_seq(&c->d[1], S - 1000) == -999);
	CHECK(flow_rel_seq(&c->d[1], S + 50) == 51);
	/* what follows keeps its number: no shift by 2^32 */
	s = run(ft, &cv, 1, S + 100, C, TCP_ACK, 100, 1400);
	CHECK_EQ_INT(s.rel_seq, 101);
	CHECK_EQ_INT(s.new_bytes, 100);
	CHECK_EQ_INT(s.notes, 0);
	CHECK_EQ_INT(c->d[1].bytes, 200);
	/* the client's data across its wrap, then an old one from before its start */
	s = run(ft, &cv, 0, C, S + 200, TCP_ACK, 40, 1500);
	CHECK_EQ_INT(s.rel_seq, 1);
	CHECK_EQ_INT(s.rel_ack, 201);
	s = run(ft, &cv, 0, C - 30, S + 200, TCP_ACK, 20, 1600);
	CHECK(s.rel_seq == -29);
	CHECK_EQ_INT(s.new_bytes, 0);
	CHECK(s.notes & NOTE_RETRANS); /* the server acknowledged up to 1 */
	/* a segment that straddles the start: only its bytes past 41 are new */
	s = run(ft, &cv, 0, C - 10, S + 200, TCP_ACK, 60, 1700);
	CHECK(s.rel_seq == -9);
	CHECK_EQ_INT(s.new_bytes, 10);
	CHECK_EQ_INT(c->d[0].max_end, 51);
	s = run(ft, &cv, 0, C + 50, S + 200, TCP_ACK, 10, 1800);
	CHECK_EQ_INT(s.rel_seq, 51);
	CHECK_EQ_INT(s.notes, 0);
	flow_close(ft);

	/* reordering around the first segment, numbered from the peer's ACK:
	 * the second segment is beyond a gap, the first fills it */
	ft = flow_open(8, 1 << 20, on_retire, NULL);
	cv = conv4(1, 50101, 2, 80);
	s = run(ft, &cv, 0, 100, 5000, TCP_ACK, 0, 1000);
	c = s.c;
	CHECK_EQ_INT(s.rel_ack, 1);
	s = run(ft, &cv, 1, 5100, 100, TCP_ACK, 100, 1100);
	CHECK_EQ_INT(s.rel_seq, 101);
	CHECK(s.notes & NOTE_PREV_LOST);
	s = run(ft, &cv, 1, 5000, 100, TCP_ACK, 100, 1200);
	CHECK_EQ_INT(s.rel_seq, 1);
	CHECK(s.notes & NOTE_OUT_OF_ORDER);
	CHECK_EQ_INT(s.new_bytes, 100);
	s = run(ft, &cv, 1, 5200, 100, TCP_ACK, 100, 1300);
	CHECK_EQ_INT(s.rel_seq, 201);
	CHECK_EQ_INT(s.notes, 0);
	CHECK_EQ_INT(c->d[1].bytes, 300);
	flow_close(ft);

	/* reordering with nothing to number from: the second segment is the
	 * start, the first is before it (late, not acknowledged: out of order),
	 * and the third keeps its number */
	ft = flow_open(8, 1 << 20, on_retire, NULL);
	cv = conv4(1, 50102, 2, 80);
	s = run(ft, &cv, 1, 0xFFFFFF80u, 0, TCP_PSH, 100, 1000);
	c = s.c;
	CHECK_EQ_INT(s.rel_seq, 1);
	s = run(ft, &cv, 1, 0xFFFFFF80u - 100, 0, TCP_PSH, 100, 1100);
	CHECK(s.rel_seq == -99);
	CHECK_EQ_INT(s.new_bytes, 0);
	CHECK(s.notes & NOTE_OUT_OF_ORDER);
	CHECK_EQ_INT(c->d[1].max_end, 101);
	s = run(ft, &cv, 1, 0xFFFFFF80u + 100, 0, TCP_PSH, 100, 1200);
	CHECK_EQ_INT(s.rel_seq, 101);
	CHECK_EQ_INT(s.notes, 0);
	flow_close(ft);

	/* with the handshake: a segment from below the ISN is old, never 2^32 */
	ft = flow_open(8, 1 << 20, on_retire, NULL);
	cv = conv4(1, 50103, 2, 80);
	c = handshake(ft, &cv, 10, 0x10, 1000);
	s = run(ft, &cv, 0, 11, 0x11, TCP_ACK, 50, 1100);
	CHECK_EQ_INT(s.rel_seq, 1);
	s = run(ft, &cv, 0, 0xFFFFFFF0u, 0x11, TCP_ACK, 10, 1200);
	CHECK(s.rel_seq == -26);
	CHECK_EQ_INT(s.new_bytes, 0);
	CHECK_EQ_INT(c->d[0].max_end, 51);
	s = run(ft, &cv, 1, 0x11, 0xFFFFFFF0u, TCP_ACK, 0, 1300);
	CHECK(s.rel_ack == -26);
	CHECK_EQ_INT(c->d[1].acked, 1);
	s = run(ft, &cv, 0, 61, 0x11, TCP_ACK, 10, 1400);
	CHECK_EQ_INT(s.rel_seq, 51);
	CHECK_EQ_INT(s.notes, 0);
	flow_close(ft);
}

/* ------------------------------------------------------------------ */
/* the hash has a per-run key: crafted tuples do not share a bucket     */
/* (issue 9, bug 9)                                                      */
/* ------------------------------------------------------------------ */

static void test_hash_flood(void)
{
	enum { N = 4000 };
	struct flow_table *ft = flow_open(4096, 1 << 20, NULL, NULL);
	CHECK(ft != NULL);
	/* Servers whose address words w0, w1 keep w0 ^ (w1 * K) constant: the
	 * unkeyed endpoint hash (w0 ^ w1 * K ^ port << 48, then mixed) gave them
	 * all the same value, so all N connections shared one chain. */
	struct tconv cv;
	memset(&cv, 0, sizeof(cv));
	cv.ip_ver = 6;
	cv.a[0] = 0x20, cv.a[1] = 0x01, cv.a[15] = 1;
	cv.pa = 40000, cv.pb = 80;
	int n_new = 0, n_found = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t i = 1; i <= N; i++) {
			uint64_t w1 = i, w0 = 0x20010db800000000ull ^ (w1 * 0x9e3779b97f4a7c15ull);
			memcpy(cv.b, &w0, 8);
			memcpy(cv.b + 8, &w1, 8);
			struct flow_seg s = run(ft, &cv, 0, (uint32_t)i, pass ? 1 : 0,
						pass ? TCP_ACK : TCP_SYN, 0, (int64_t)i);
			if (s.is_new)
				n_new++;
			else if (s.c->cport == 40000 && !memcmp(s.c->srv, cv.b, 16))
				n_found++;
		}
	}
	CHECK_EQ_INT(n_new, N);
	CHECK_EQ_INT(n_found, N); /* every one found again */
	CHECK_EQ_INT(flow_count(ft), N);
	/* 4000 keys in 8192 buckets: the longest chain of a random hash is
	 * about 6; the unkeyed hash made it 4000 */
	uint32_t longest = flow_chain_max(ft);
	CHECK(longest >= 1);
	CHECK(longest <= 16);
	flow_close(ft);
}

/* ------------------------------------------------------------------ */
/* retransmission, gaps, duplicate ACKs, windows, keep-alives           */
/* ------------------------------------------------------------------ */

static void test_anomalies(void)
{
	rl_reset();
	struct flow_table *ft = flow_open(8, 1 << 20, on_retire, NULL);
	struct tconv cv = conv4(1, 40003, 2, 80);
	const uint32_t ci = 7000, si = 90000;
	struct conn *c = handshake(ft, &cv, ci, si, 1000);
	struct flow_seg s;

	/* [1, 101) then the same segment again */
	s = run(ft, &cv, 0, ci + 1, si + 1, TCP_ACK, 100, 2000);
	CHECK_EQ_INT(s.notes, 0);
	CHECK_EQ_INT(s.new_bytes, 100);
	CHECK(strchr(c->history, 'T') == NULL);
	s = run(ft, &cv, 0, ci + 1, si + 1, TCP_ACK, 100, 2001);
	CHECK_EQ_INT(s.notes, NOTE_RETRANS);
	CHECK_EQ_INT(s.new_bytes, 0);
	CHECK_EQ_INT(s.rel_seq, 1);
	CHECK_EQ_INT(c->d[0].bytes, 100);
	CHECK(strchr(c->history, 'T') != NULL);

	/* [201, 301): [101, 201) is missing */
	s = run(ft, &cv, 0, ci + 201, si + 1, TCP_ACK, 100, 2002);
	CHECK(s.notes & NOTE_PREV_LOST);
	CHECK(!(s.notes & NOTE_RETRANS));
	CHECK_EQ_INT(s.new_bytes, 100);
	CHECK_EQ_INT(c->d[0].n_holes, 1);
	CHECK_EQ_INT(c->d[0].holes[0][0], 101);
	CHECK_EQ_INT(c->d[0].holes[0][1], 201);
	CHECK_EQ_INT(c->d[0].max_end, 301);

	/* the server ACKs 101, then three duplicate ACKs */
	s = run(ft, &cv, 1, si + 1, ci + 101, TCP_ACK, 0, 2003);
	CHECK_EQ_INT(s.acks_dir, 0);
	CHECK(!(s.notes & NOTE_DUP_ACK));
	for (uint32_t k = 1; k <= 3; k++) {
		s = run(ft, &cv, 1, si + 1, ci + 101, TCP_ACK, 0, 2003 + k);
		CHECK_EQ_INT(s.notes, NOTE_DUP_ACK);
		CHECK_EQ_INT(s.n_dup_ack, k);
		CHECK_EQ_INT(s.acks_dir, -1);
	}
	CHECK(strchr(c->history, 'a') != NULL);

	/* the missing segment arrives: out of order, not a retransmission */
	s = run(ft, &cv, 0, ci + 101, si + 1, TCP_ACK, 100, 2010);
	CHECK(s.notes & NOTE_OUT_OF_ORDER);
	CHECK(!(s.notes & NOTE_RETRANS));
	CHECK(!(s.notes & NOTE_PREV_LOST));
	CHECK_EQ_INT(s.new_bytes, 100);
	CHECK_EQ_INT(c->d[0].n_holes, 0);
	CHECK_EQ_INT(c->d[0].bytes, 300);
	/* ... and once filled, the same bytes again are a retransmission */
	s = run(ft, &cv, 0, ci + 101, si + 1, TCP_ACK, 100, 2011);
	CHECK(s.notes & NOTE_RETRANS);
	CHECK(!(s.notes & NOTE_OUT_OF_ORDER));
	CHECK_EQ_INT(c->d[0].bytes, 300);

	/* the cumulative ACK: new data acknowledged, the dup count restarts */
	s = run(ft, &cv, 1, si + 1, ci + 301, TCP_ACK, 0, 2012);
	CHECK_EQ_INT(s.acks_dir, 0);
	CHECK_EQ_INT(s.notes, 0);
	CHECK_EQ_INT(c->d[1].n_dup_ack, 0);
	/* the same ACK with nothing outstanding: not a duplicate ACK */
	s = run(ft, &cv, 1, si + 1, ci + 301, TCP_ACK, 0, 2013);
	CHECK(!(s.notes & NOTE_DUP_ACK));

	/* server data, the client answers with a zero window */
	s = run(ft, &cv, 1, si + 1, ci + 301, TCP_ACK, 1000, 2020);
	CHECK_EQ_INT(s.new_bytes, 1000);
	CHECK(strchr(c->history, 'W') == NULL);
	struct pkt p = seg_pkt(&cv, 0, ci + 301, si + 1001, TCP_ACK, 0, 2021);
	p.win = 0;
	s = run_pkt(ft, &p);
	CHECK(s.notes & NOTE_ZERO_WINDOW);
	CHECK_EQ_INT(s.acks_dir, 1);
	CHECK(strchr(c->history, 'W') != NULL);
	CHECK_EQ_INT(c->d[0].last_win, 0);
	/* still zero: zero window again, not a window update */
	s = run_pkt(ft, &p);
	CHECK(s.notes & NOTE_ZERO_WINDOW);
	CHECK(!(s.notes & NOTE_WIN_UPDATE));
	/* the window opens: a window update, neither zero window nor dup ACK */
	p = seg_pkt(&cv, 0, ci + 301, si + 1001, TCP_ACK, 0, 2022);
	p.win = 8192;
	s = run_pkt(ft, &p);
	CHECK(s.notes & NOTE_WIN_UPDATE);
	CHECK(!(s.notes & NOTE_ZERO_WINDOW));
	CHECK(!(s.notes & NOTE_DUP_ACK));
	CHECK_EQ_INT(s.acks_dir, -1);
	CHECK_EQ_INT(c->d[0].last_win, 8192);

	/* keep-alives: seq = next - 1, no data or one byte */
	s = run(ft, &cv, 0, ci + 300, si + 1001, TCP_ACK, 0, 2030);
	CHECK(s.notes & NOTE_KEEPALIVE);
	CHECK(!(s.notes & NOTE_RETRANS));
	CHECK_EQ_INT(s.new_bytes, 0);
	s = run(ft, &cv, 0, ci + 300, si + 1001, TCP_ACK, 1, 2031);
	CHECK(s.notes & NOTE_KEEPALIVE);
	CHECK(!(s.notes & NOTE_RETRANS));
	CHECK_EQ_INT(s.new_bytes, 0);
	CHECK_EQ_INT(c->d[0].bytes, 300);
	CHECK_EQ_INT(c->d[0].max_end, 301);
	/* the answer to a keep-alive is an ordinary ACK */
	s = run(ft, &cv, 1, si + 1001, ci + 301, TCP_ACK, 0, 2032);
	CHECK(!(s.notes & (NOTE_DUP_ACK | NOTE_KEEPALIVE)));
	/* an ordinary pure ACK at seq = next is no keep-alive */
	s = run(ft, &cv, 0, ci + 301, si + 1001, TCP_ACK, 0, 2033);
	CHECK(!(s.notes & NOTE_KEEPALIVE));
	/* with server data outstanding, a keep-alive repeating the ACK is no dup ACK */
	s = run(ft, &cv, 1, si + 1001, ci + 301, TCP_ACK, 500, 2034);
	CHECK_EQ_INT(s.new_bytes, 500);
	s = run(ft, &cv, 0, ci + 300, si + 1001, TCP_ACK, 0, 2035);
	CHECK(s.notes & NOTE_KEEPALIVE);
	CHECK(!(s.notes & NOTE_DUP_ACK));
	CHECK_EQ_INT(c->d[0].n_dup_ack, 0);
	/* while the same ACK at seq = next is one */
	s = run(ft, &cv, 0, ci + 301, si + 1001, TCP_ACK, 0, 2036);
	CHECK_EQ_INT(s.notes, NOTE_DUP_ACK);
	CHECK_EQ_INT(s.n_dup_ack, 1);

	/* a repeated SYN on the unanswered connection next door */
	struct tconv cv2 = conv4(1, 40004, 2, 80);
	s = run(ft, &cv2, 0, 555, 0, TCP_SYN, 0, 3000);
	CHECK(s.is_new);
	uint32_t id2 = s.c->id;
	s = run(ft, &cv2, 0, 555, 0, TCP_SYN, 0, 4000000);
	CHECK(!s.is_new);
	CHECK_EQ_INT(s.c->id, id2);
	CHECK(s.notes & NOTE_SYN_RETRANS);
	CHECK(!(s.notes & NOTE_PORT_REUSE));
	flow_close(ft);
}

/* A zero window, the probe that tests it, and the window opening again. */
static void test_win_probe(void)
{
	struct flow_table *ft = flow_open(8, 4096, on_retire, NULL);
	struct tconv cv = conv4(1, 40100, 2, 80);
	uint32_t ci = 1000, si = 5000;
	handshake(ft, &cv, ci, si, 100);
	run(ft, &cv, 1, si + 1, ci + 1, TCP_ACK, 100, 200);
	struct pkt p = seg_pkt(&cv, 0, ci + 1, si + 101, TCP_ACK, 0, 210);
	p.win = 0;
	struct flow_seg s = run_pkt(ft, &p);
	CHECK(s.notes & NOTE_ZERO_WINDOW);
	/* one new byte into the zero window: a probe, not a retransmission */
	s = run(ft, &cv, 1, si + 101, ci + 1, TCP_ACK, 1, 220);
	CHECK(s.notes & NOTE_WIN_PROBE);
	CHECK(!(s.notes & (NOTE_RETRANS | NOTE_KEEPALIVE)));
	CHECK_EQ_INT(s.new_bytes, 1);
	/* the receiver takes the byte and keeps the window shut: zero window only */
	p = seg_pkt(&cv, 0, ci + 1, si + 102, TCP_ACK, 0, 230);
	p.win = 0;
	s = run_pkt(ft, &p);
	CHECK(s.notes & NOTE_ZERO_WINDOW);
	CHECK(!(s.notes & NOTE_WIN_UPDATE));
	/* same ACK, window from nonzero to zero: still no window update */
	p = seg_pkt(&cv, 0, ci + 1, si + 102, TCP_ACK, 0, 240);
	p.win = 512;
	run_pkt(ft, &p);
	p.win = 0;
	p.ts_us = 250;
	s = run_pkt(ft, &p);
	CHECK(s.notes & NOTE_ZERO_WINDOW);
	CHECK(!(s.notes & NOTE_WIN_UPDATE));
	flow_close(ft);
}

/* More gaps than FLOW_MAX_HOLES: the oldest is forgotten, nothing overflows. */
static void test_many_holes(void)
{
	struct flow_table *ft = flow_open(8, 1 << 20, NULL, NULL);
	struct tconv cv = conv4(1, 40005, 2, 80);
	const uint32_t ci = 100;
	struct conn *c = handshake(ft, &cv, ci, 200, 1000);
	struct flow_seg s;
	/* segments at 1, 21, 41, ...: each leaves a 10-byte gap */
	for (uint32_t k = 0; k < 7; k++) {
		s = run(ft, &cv, 0, ci + 1 + 20 * k, 201, TCP_ACK, 10, 2000 + k);
		if (k > 0)
			CHECK(s.notes & NOTE_PREV_LOST);
	}
	CHECK_EQ_INT(c->d[0].n_holes, FLOW_MAX_HOLES);
	/* six gaps, four kept: the oldest [11, 21) is forgotten, the newest [111, 121) kept */
	CHECK_EQ_INT(c->d[0].holes[0][0], 51);
	s = run(ft, &cv, 0, ci + 111, 201, TCP_ACK, 10, 3000);
	CHECK(s.notes & NOTE_OUT_OF_ORDER);
	CHECK_EQ_INT(c->d[0].n_holes, FLOW_MAX_HOLES - 1);
	/* a filler inside a hole splits it */
	s = run(ft, &cv, 0, ci + 93, 201, TCP_ACK, 4, 3001);
	CHECK(s.notes & NOTE_OUT_OF_ORDER);
	CHECK_EQ_INT(c->d[0].n_holes, FLOW_MAX_HOLES);
	/* a forgotten hole filled late reads as a retransmission */
	s = run(ft, &cv, 0, ci + 11, 201, TCP_ACK, 10, 3002);
	CHECK(s.notes & NOTE_RETRANS);
	CHECK(!(s.notes & NOTE_OUT_OF_ORDER));
	flow_close(ft);
}

/* ------------------------------------------------------------------ */
/* mid-stream, rejected, unanswered, port reuse                        */
/* ------------------------------------------------------------------ */

static void test_midstream(void)
{
	rl_reset();
	struct flow_table *ft = flow_open(8, 1 << 20, on_retire, NULL);
	/* a is 10.0.0.1:50000, b is the server 10.0.0.2:80; first packet from b */
	struct tconv cv = conv4(1, 50000, 2, 80);
	struct flow_seg s = run(ft, &cv, 1, 3000000000u, 777777, TCP_ACK | TCP_PSH, 500, 1000);
	struct conn *c = s.c;
	CHECK(s.is_new);
	CHECK(s.notes & NOTE_MIDSTREAM);
	CHECK_EQ_INT(s.dir, 1);
	CHECK(c->midstream);
	CHECK_EQ_INT(c->cport, 50000);
	CHECK_EQ_INT(c->sport, 80);
	CHECK(!memcmp(c->cli, cv.a, 16));
	CHECK(!memcmp(c->srv, cv.b, 16));
	CHECK_EQ_INT(s.rel_seq, 1);
	CHECK_EQ_INT(s.new_bytes, 500);
	/* the ACK says where the client's stream stands: numbered from it (tshark) */
	CHECK(s.ack_valid);
	CHECK_EQ_INT(s.rel_ack, 1);
	CHECK_EQ_INT(c->d[1].state, EP_ESTABLISHED);
	CHECK_EQ_STR(flow_conn_state(c), "OTH");
	/* the client's ACK: same connection, direction 0 */
	s = run(ft, &cv, 0, 777777, 3000000500u, TCP_ACK, 0, 1100);
	CHECK(s.c == c);
	CHECK(!s.is_new);
	CHECK_EQ_INT(s.dir, 0);
	CHECK(!(s.notes & NOTE_MIDSTREAM));
	CHECK(!(s.notes & NOTE_ACK_UNSEEN));
	CHECK_EQ_INT(s.rel_ack, 501);
	CHECK_EQ_INT(flow_count(ft), 1);
	flow_close(ft);
	CHECK_EQ_INT(rl.n, 1);
	CHECK_EQ_STR(rl.why, "end of capture");
	CHECK_EQ_STR(rl.state, "OTH");

	/* no port hint at all: the lower port is taken as the server */
	ft = flow_open(8, 1 << 20, NULL, NULL);
	cv = conv4(1, 61000, 2, 5000);
	s = run(ft, &cv, 0, 1, 1, TCP_ACK, 10, 1000);
	CHECK_EQ_INT(s.dir, 0);
	CHECK_EQ_INT(s.c->sport, 5000);
	flow_close(ft);
}

/* ------------------------------------------------------------------ */
/* mid-stream: the packets say who the client is, the ports only last  */
/* (issue 9, bug 13)                                                     */
/* ------------------------------------------------------------------ */

static struct flow_seg run_text(struct flow_table *ft, const struct tconv *cv, int dir,
				uint32_t seq, uint32_t ack, const char *text, int64_t ts)
{
	size_t n = strlen(text);
	memset(payload, 'x', sizeof(payload));
	memcpy(payload, text, n);
	struct flow_seg s = run(ft, cv, dir, seq, ack, TCP_ACK | TCP_PSH, (uint32_t)n, ts);
	memset(payload, 0, sizeof(payload));
	return s;
}

static void test_midstream_roles(void)
{
	struct flow_table *ft = flow_open(8, 1 << 20, NULL, NULL);
	/* a is 10.0.0.1:700 (the client, a low port), b 10.0.0.2:8868 (the server) */
	struct tconv cv = conv4(1, 700, 2, 8868);
	/* the first packet is a request line: its sender is the client */
	struct flow_seg s = run_text(ft, &cv, 0, 100, 500, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1000);
	struct conn *c = s.c;
	CHECK_EQ_INT(s.dir, 0);
	CHECK_EQ_INT(c->cport, 700);
	CHECK_EQ_INT(c->sport, 8868);
	CHECK_EQ_INT(c->client_by, FLOW_BY_REQUEST);
	CHECK_EQ_STR(flow_client_why(c), "(it sends a request line)");
	CHECK(!(s.notes & NOTE_ROLES_SWAPPED));
	s = run_text(ft, &cv, 1, 500, 127, "HTTP/1.1 200 OK\r\n\r\n", 1100);
	CHECK_EQ_INT(s.dir, 1);
	flow_close(ft);

	/* the first packet is a status line: its sender is the server */
	ft = flow_open(8, 1 << 20, NULL, NULL);
	s = run_text(ft, &cv, 1, 500, 100, "HTTP/1.1 204 No Content\r\n\r\n", 1000);
	c = s.c;
	CHECK_EQ_INT(s.dir, 1);
	CHECK_EQ_INT(c->cport, 700);
	CHECK_EQ_INT(c->client_by, FLOW_BY_STATUS);
	flow_close(ft);

	/* "TOKEN SP x" is not enough: the line must end in HTTP/1.x */
	ft = flow_open(8, 1 << 20, NULL, NULL);
	s = run_text(ft, &cv, 0, 100, 500, "Hello world, this is a body\r\n", 1000);
	CHECK_EQ_INT(s.c->client_by, FLOW_BY_PORTS);
	CHECK_EQ_INT(s.c->sport, 700); /* the ports' guess: the low port serves */
	flow_close(ft);

	/* nothing to tell at first (a pure ACK, then body bytes): the ports
	 * guess wrong; the request line later swaps the roles, with the
	 * numbers each direction had */
	ft = flow_open(8, 1 << 20, NULL, NULL);
	s = run(ft, &cv, 1, 5000, 100, TCP_ACK, 0, 1000);
	c = s.c;
	CHECK_EQ_INT(s.dir, 0); /* guessed: 8868 the client */
	CHECK_EQ_INT(c->cport, 8868);
	CHECK_EQ_INT(c->client_by, FLOW_BY_PORTS);
	s = run(ft, &cv, 1, 5000, 100, TCP_ACK, 300, 1100);
	CHECK_EQ_INT(s.dir, 0);
	CHECK_EQ_INT(s.rel_seq, 1);
	s = run(ft, &cv, 0, 100, 5300, TCP_ACK, 0, 1200);
	CHECK_EQ_INT(s.dir, 1);
	CHECK_EQ_INT(s.rel_ack, 301);
	CHECK_EQ_STR(c->history, "ADa");
	s = run_text(ft, &cv, 0, 100, 5300, "GET /x HTTP/1.1\r\n\r\n", 1300);
	CHECK(s.c == c);
	CHECK(s.notes & NOTE_ROLES_SWAPPED);
	CHECK_EQ_INT(s.dir, 0);
	CHECK_EQ_INT(c->cport, 700);
	CHECK_EQ_INT(c->sport, 8868);
	CHECK(!memcmp(c->cli, cv.a, 16));
	CHECK_EQ_INT(c->client_by, FLOW_BY_REQUEST);
	CHECK_EQ_INT(s.rel_seq, 1);
	CHECK_EQ_INT(s.rel_ack, 301);
	CHECK_EQ_INT(c->d[1].bytes, 300); /* the server's 300 bytes moved with it */
	CHECK_EQ_INT(c->d[0].bytes, 19);
	CHECK_EQ_STR(c->history, "adAD"); /* upper case is the client's */
	/* later packets go the right way; no second swap */
	s = run_text(ft, &cv, 1, 5300, 119, "HTTP/1.1 200 OK\r\n\r\n", 1400);
	CHECK_EQ_INT(s.dir, 1);
	CHECK(!(s.notes & NOTE_ROLES_SWAPPED));
	CHECK_EQ_INT(s.rel_seq, 301);
	CHECK_EQ_INT(flow_count(ft), 1);
	flow_close(ft);

	/* too late: once the decoders hold state the roles stay as they are */
	ft = flow_open(8, 1 << 20, NULL, NULL);
	s = run(ft, &cv, 1, 5000, 100, TCP_ACK, 300, 1000);
	c = s.c;
	c->app = APP_OPAQUE;
	s = run_text(ft, &cv, 0, 100, 5300, "GET /x HTTP/1.1\r\n\r\n", 1100);
	CHECK(!(s.notes & NOTE_ROLES_SWAPPED));
	CHECK_EQ_INT(s.dir, 1);
	CHECK_EQ_INT(c->cport, 8868);
	flow_close(ft);

	/* with the handshake seen the SYN decides, whatever the bytes look like */
	ft = flow_open(8, 1 << 20, NULL, NULL);
	c = handshake(ft, &cv, 1000, 9000, 1000);
	s = run_text(ft, &cv, 1, 9001, 1001, "GET /x HTTP/1.1\r\n\r\n", 1100);
	CHECK(!(s.notes & NOTE_ROLES_SWAPPED));
	CHECK_EQ_INT(s.dir, 1);
	CHECK_EQ_INT(c->cport, 700);
	CHECK_EQ_INT(c->client_by, FLOW_BY_SYN);
	flow_close(ft);

	/* TLS: a ClientHello names its sender the client, a ServerHello the server */
	ft = flow_open(8, 1 << 20, NULL, NULL);
	memset(payload, 0, sizeof(payload));
	static const uint8_t ch[] = { 0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c };
	memcpy(payload, ch, sizeof(ch));
	s = run(ft, &cv, 0, 100, 500, TCP_ACK | TCP_PSH, 69, 1000);
	CHECK_EQ_INT(s.dir, 0);
	CHECK_EQ_INT(s.c->client_by, FLOW_BY_CLIENT_HELLO);
	struct tconv cv2 = conv4(1, 701, 2, 8868);
	payload[5] = 0x02;
	s = run(ft, &cv2, 1, 500, 100, TCP_ACK | TCP_PSH, 69, 1100);
	CHECK_EQ_INT(s.dir, 1);
	CHECK_EQ_INT(s.c->cport, 701);
	CHECK_EQ_INT(s.c->client_by, FLOW_BY_SERVER_HELLO);
	memset(payload, 0, sizeof(payload));
	flow_close(ft);
}

static void test_rej_s0(void)
{
	rl_reset();
	struct flow_table *ft = flow_open(8, 1 << 20, on_retire, NULL);
	struct tconv cv = conv4(1, 40010, 2, 81);
	struct flow_seg s = run(ft, &cv, 0, 4242, 0, TCP_SYN, 0, 1000);
	struct conn *c = s.c;
	s = run(ft, &cv, 1, 0, 4243, TCP_RST | TCP_ACK, 0, 1100);
	CHECK(s.c == c);
	CHECK_EQ_INT(s.dir, 1);
	CHECK(s.notes & NOTE_CLOSED);
	CHECK(c->finished);
	CHECK_EQ_INT(c->rst_dir, 1);
	CHECK_EQ_INT(c->d[1].state, EP_RESET);
	CHECK_EQ_STR(flow_conn_state(c), "REJ");
	CHECK_EQ_STR(c->history, "Sr");
	CHECK_EQ_INT(rl.n, 1);
	CHECK_EQ_STR(rl.why, "reset");
	CHECK_EQ_STR(rl.state, "REJ");

	/* SYN and nothing else: S0, retired at the end of the capture */
	struct tconv cv2 = conv4(1, 40011, 2, 81);
	s = run(ft, &cv2, 0, 99, 0, TCP_SYN, 0, 2000);
	uint32_t id = s.c->id;
	CHECK_EQ_STR(flow_conn_state(s.c), "S0");
	CHECK_EQ_INT(rl.n, 1);
	flow_close(ft);
	CHECK_EQ_INT(rl.n, 2); /* only the S0 one: the REJ one was retired already */
	CHECK_EQ_INT(rl.n_end, 1);
	CHECK_EQ_STR(rl.why, "end of capture");
	CHECK_EQ_STR(rl.state, "S0");
	CHECK_EQ_INT(rl.last_id, id);
}

/* A whole connection on cv (client ISN ci), ending finished. */
static struct conn *full_conn(struct flow_table *ft, const struct tconv *cv, uint32_t ci,
			      int64_t ts)
{
	const uint32_t si = 1;
	handshake(ft, cv, ci, si, ts);
	run(ft, cv, 0, ci + 1, si + 1, TCP_FIN | TCP_ACK, 0, ts + 30);
	run(ft, cv, 1, si + 1, ci + 2, TCP_FIN | TCP_ACK, 0, ts + 40);
	struct flow_seg s = run(ft, cv, 0, ci + 2, si + 2, TCP_ACK, 0, ts + 50);
	CHECK(s.notes & NOTE_CLOSED);
	return s.c;
}

static void test_port_reuse(void)
{
	rl_reset();
	struct flow_table *ft = flow_open(8, 1 << 20, on_retire, NULL);
	struct tconv cv = conv4(1, 40020, 2, 80);
	struct conn *c = full_conn(ft, &cv, 1000, 1000);
	uint32_t old_id = c->id;
	CHECK(c->finished);
	CHECK_EQ_INT(rl.n_closed, 1);
	struct flow_seg s = run(ft, &cv, 0, 900000, 0, TCP_SYN, 0, 5000);
	CHECK(s.is_new);
	CHECK(s.notes & NOTE_PORT_REUSE);
	CHECK(!(s.notes & NOTE_SYN_RETRANS));
	CHECK_EQ_INT(s.c->id, old_id + 1);
	CHECK(!s.c->finished);
	CHECK_EQ_INT(s.c->d[0].isn, 900000);
	CHECK_EQ_STR(s.c->history, "S");
	CHECK_EQ_INT(flow_count(ft), 1);
	CHECK_EQ_INT(flow_evicted(ft), 0);
	CHECK_EQ_INT(rl.n, 1); /* the old one is not retired twice */
	/* the new connection carries on normally */
	s = run(ft, &cv, 1, 5, 900001, TCP_SYN | TCP_ACK, 0, 5100);
	CHECK_EQ_INT(s.c->id, old_id + 1);
	CHECK_EQ_INT(s.rtt_us, 100);
	flow_close(ft);
	CHECK_EQ_INT(rl.n, 2);
	CHECK_EQ_STR(rl.why, "end of capture");
}

/* ------------------------------------------------------------------ */
/* the cap                                                             */
/* ------------------------------------------------------------------ */

static void test_cap(void)
{
	rl_reset();
	struct flow_table *ft = flow_open(16, 1 << 20, on_retire, NULL);
	uint32_t last_id = 0;
	int ids_bad = 0, count_bad = 0;
	for (uint32_t k = 0; k < 100; k++) {
		struct tconv cv = conv4(1, (uint16_t)(20000 + k), 2, 80);
		struct flow_seg s = run(ft, &cv, 0, 1000 + k, 0, TCP_SYN, 0, 1000 + k);
		if (!s.is_new || s.c->id != last_id + 1)
			ids_bad++;
		last_id = s.c->id;
		if (flow_count(ft) > 16)
			count_bad++;
	}
	CHECK_EQ_INT(ids_bad, 0);
	CHECK_EQ_INT(count_bad, 0);
	CHECK_EQ_INT(last_id, 100);
	CHECK_EQ_INT(flow_count(ft), 16);
	CHECK_EQ_INT(flow_evicted(ft), 84);
	CHECK_EQ_INT(rl.n_evicted, 84);
	CHECK_EQ_INT(rl.evict_order_bad, 0); /* least recently used first: oldest first */
	CHECK_EQ_INT(rl.evict_last_id, 84);
	CHECK_EQ_INT(rl.n, 84);
	/* the survivors are the last 16, still found */
	struct tconv cv = conv4(1, 20000 + 99, 2, 80);
	struct flow_seg s = run(ft, &cv, 1, 7, 1000 + 99 + 1, TCP_SYN | TCP_ACK, 0, 5000);
	CHECK(!s.is_new);
	CHECK_EQ_INT(s.c->id, 100);
	cv = conv4(1, 20000 + 84, 2, 80);
	s = run(ft, &cv, 1, 7, 1000 + 84 + 1, TCP_SYN | TCP_ACK, 0, 5001);
	CHECK(!s.is_new);
	CHECK_EQ_INT(s.c->id, 85);
	/* an evicted one comes back as a new (mid-stream) connection */
	cv = conv4(1, 20000 + 3, 2, 80);
	s = run(ft, &cv, 0, 1004, 8, TCP_ACK, 0, 5002);
	CHECK(s.is_new);
	CHECK(s.notes & NOTE_MIDSTREAM);
	CHECK_EQ_INT(s.c->id, 101);
	CHECK_EQ_INT(flow_evicted(ft), 85);
	flow_close(ft);
	CHECK_EQ_INT(rl.n_end, 16);
	CHECK_EQ_INT(rl.n, 85 + 16);

	/* finished connections are reused before unfinished ones */
	rl_reset();
	ft = flow_open(4, 1 << 20, on_retire, NULL);
	struct tconv cvs[6];
	uint32_t ids[6];
	for (int k = 0; k < 4; k++) {
		cvs[k] = conv4(1, (uint16_t)(30000 + k), 2, 80);
		s = run(ft, &cvs[k], 0, 100, 0, TCP_SYN, 0, 1000 + k);
		ids[k] = s.c->id;
	}
	/* conn 1 is refused: finished, retired */
	s = run(ft, &cvs[1], 1, 0, 101, TCP_RST | TCP_ACK, 0, 2000);
	CHECK(s.notes & NOTE_CLOSED);
	CHECK_EQ_INT(rl.n_reset, 1);
	/* conn 0 is the least recently used, but the finished one goes first */
	cvs[4] = conv4(1, 30004, 2, 80);
	s = run(ft, &cvs[4], 0, 100, 0, TCP_SYN, 0, 2100);
	CHECK(s.is_new);
	ids[4] = s.c->id;
	CHECK_EQ_INT(flow_evicted(ft), 0);
	CHECK_EQ_INT(rl.n_evicted, 0);
	CHECK_EQ_INT(rl.n, 1);
	CHECK_EQ_INT(flow_count(ft), 4);
	/* the unfinished ones survived (touching 0, 2, 3 makes 4 the oldest) */
	const int keep[3] = { 0, 2, 3 };
	for (int j = 0; j < 3; j++) {
		int k = keep[j];
		s = run(ft, &cvs[k], 1, 50, 101, TCP_SYN | TCP_ACK, 0, 3000 + k);
		CHECK(!s.is_new);
		CHECK_EQ_INT(s.c->id, ids[k]);
	}
	/* full of unfinished ones now: the least recently used (4) goes */
	cvs[5] = conv4(1, 30005, 2, 80);
	s = run(ft, &cvs[5], 0, 100, 0, TCP_SYN, 0, 4000);
	ids[5] = s.c->id;
	CHECK_EQ_INT(ids[5], ids[4] + 1);
	CHECK_EQ_INT(flow_evicted(ft), 1);
	CHECK_EQ_INT(rl.n_evicted, 1);
	CHECK_EQ_INT(rl.last_id, ids[4]);
	CHECK_EQ_STR(rl.why, "evicted (table full)");
	CHECK_EQ_STR(rl.state, "S0");
	flow_close(ft);
	CHECK_EQ_INT(rl.n_end, 4);

	/* flow_open refuses a zero cap */
	CHECK(flow_open(0, 1024, NULL, NULL) == NULL);
}

/* ------------------------------------------------------------------ */
/* memory grows with the connections open at once, not with the cap     */
/* ------------------------------------------------------------------ */

/* A whole connection on port pa: handshake, FIN each way, last ACK. */
static void whole_conn(struct flow_table *ft, uint16_t pa, int64_t ts)
{
	struct tconv cv = conv4(1, pa, 2, 80);
	handshake(ft, &cv, 100, 500, ts);
	run(ft, &cv, 0, 101, 501, TCP_FIN | TCP_ACK, 0, ts + 30);
	run(ft, &cv, 1, 501, 102, TCP_FIN | TCP_ACK, 0, ts + 40);
	run(ft, &cv, 0, 102, 502, TCP_ACK, 0, ts + 50);
}

static void test_grow(void)
{
	rl_reset();
	/* the default cap: one connection allocates one chunk, not 16,384 slots */
	struct flow_table *ft = flow_open(16384, 1 << 20, on_retire, NULL);
	CHECK_EQ_INT(flow_slots(ft), 0);
	whole_conn(ft, 40000, 1000);
	CHECK(flow_slots(ft) > 0 && flow_slots(ft) <= 256);
	/* 20,000 connections one after another: finished ones linger (a late
	 * packet still finds its connection), up to a bound, then their slots
	 * are reused: no eviction, and the table does not grow with them */
	for (uint32_t k = 1; k < 20000; k++)
		whole_conn(ft, (uint16_t)(40000 + k % 25000), 1000 + 100 * (int64_t)k);
	CHECK_EQ_INT(rl.n_closed, 20000);
	CHECK_EQ_INT(flow_evicted(ft), 0);
	CHECK(flow_slots(ft) <= 2048);
	/* the newest finished one is still there for a late packet */
	struct tconv cv = conv4(1, (uint16_t)(40000 + 19999 % 25000), 2, 80);
	struct flow_seg s = run(ft, &cv, 1, 502, 102, TCP_ACK, 0, 5000000);
	CHECK(!s.is_new);
	flow_close(ft);

	/* 3,000 open at once: all kept, none evicted */
	rl_reset();
	ft = flow_open(16384, 1 << 20, on_retire, NULL);
	for (uint32_t k = 0; k < 3000; k++) {
		struct tconv c2 = conv4(3, (uint16_t)(10000 + k), 4, 443);
		run(ft, &c2, 0, 7, 0, TCP_SYN, 0, 1000 + k);
	}
	CHECK_EQ_INT(flow_count(ft), 3000);
	CHECK(flow_slots(ft) >= 3000 && flow_slots(ft) <= 3000 + 256);
	CHECK_EQ_INT(flow_evicted(ft), 0);
	struct tconv c0 = conv4(3, 10000, 4, 443);
	s = run(ft, &c0, 1, 9, 8, TCP_SYN | TCP_ACK, 0, 9000);
	CHECK(!s.is_new);
	CHECK_EQ_INT(s.c->id, 1);
	flow_close(ft);
	CHECK_EQ_INT(rl.n_end, 3000);

	/* a cap that is not a multiple of the chunk is reached exactly */
	rl_reset();
	ft = flow_open(300, 1 << 20, on_retire, NULL);
	for (uint32_t k = 0; k < 400; k++) {
		struct tconv c3 = conv4(5, (uint16_t)(10000 + k), 6, 80);
		run(ft, &c3, 0, 7, 0, TCP_SYN, 0, 1000 + k);
	}
	CHECK_EQ_INT(flow_slots(ft), 300);
	CHECK_EQ_INT(flow_count(ft), 300);
	CHECK_EQ_INT(flow_evicted(ft), 100);
	flow_close(ft);
}

/* ------------------------------------------------------------------ */
/* IPv6 and IPv4 with the same bytes and ports                          */
/* ------------------------------------------------------------------ */

static void test_ipv6(void)
{
	struct flow_table *ft = flow_open(8, 1 << 20, NULL, NULL);
	struct tconv v4 = conv4(1, 40030, 2, 443);
	struct tconv v6 = v4; /* identical 16-byte addresses and ports: same hash */
	v6.ip_ver = 6;
	struct flow_seg s4 = run(ft, &v4, 0, 1000, 0, TCP_SYN, 0, 1000);
	struct flow_seg s6 = run(ft, &v6, 0, 2000, 0, TCP_SYN, 0, 1001);
	CHECK(s4.is_new);
	CHECK(s6.is_new);
	CHECK(s4.c != s6.c);
	CHECK_EQ_INT(s6.c->id, s4.c->id + 1);
	CHECK_EQ_INT(s4.c->ip_ver, 4);
	CHECK_EQ_INT(s6.c->ip_ver, 6);
	CHECK_EQ_INT(flow_count(ft), 2);
	/* the v6 SYN-ACK lands on the v6 connection only */
	struct flow_seg s = run(ft, &v6, 1, 5, 2001, TCP_SYN | TCP_ACK, 0, 1100);
	CHECK(s.c == s6.c);
	CHECK(!s.is_new);
	CHECK_EQ_INT(s.dir, 1);
	CHECK_EQ_INT(s.rtt_us, 99);
	CHECK(s6.c->d[1].isn_known);
	CHECK(!s4.c->d[1].isn_known);
	CHECK(!(s.notes & NOTE_SYN_RETRANS));
	/* and a real-looking v6 pair, not a v4 in disguise */
	struct tconv r6;
	memset(&r6, 0, sizeof(r6));
	r6.ip_ver = 6;
	r6.a[0] = 0x20, r6.a[1] = 0x01, r6.a[15] = 1;
	r6.b[0] = 0x20, r6.b[1] = 0x01, r6.b[15] = 2;
	r6.pa = 40030, r6.pb = 443;
	s = run(ft, &r6, 0, 1, 0, TCP_SYN, 0, 1200);
	CHECK(s.is_new);
	CHECK_EQ_INT(flow_count(ft), 3);
	s = run(ft, &r6, 1, 1, 2, TCP_SYN | TCP_ACK, 0, 1300);
	CHECK(!s.is_new);
	CHECK_EQ_INT(s.dir, 1);
	flow_close(ft);
}

/* ------------------------------------------------------------------ */
/* DNS over TCP: a connection to port 53 is marked as such              */
/* ------------------------------------------------------------------ */

static void test_dns(void)
{
	struct flow_table *ft = flow_open(8, 1 << 20, NULL, NULL);
	struct tconv cv = conv4(1, 40040, 3, 53);
	struct conn *c = handshake(ft, &cv, 1000, 2000, 1000);
	CHECK(c->dns);
	struct tconv cv2 = conv4(1, 40041, 3, 80);
	c = handshake(ft, &cv2, 1000, 2000, 2000);
	CHECK(!c->dns);
	flow_close(ft);
}

static uint32_t lcg_state = 12345;

static uint32_t lcg(void)
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return lcg_state >> 8;
}

static void test_random(void)
{
	rl_reset();
	const uint32_t cap = 4;
	struct flow_table *ft = flow_open(cap, 4096, on_retire, NULL);
	struct tconv cvs[7];
	uint32_t base[7][2];
	for (int k = 0; k < 7; k++) {
		cvs[k] = conv4((uint8_t)(1 + k % 2), (uint16_t)(45000 + k), 9,
			       k < 3 ? 53 : (k == 6 ? 9999 : 80));
		if (k == 5)
			cvs[k].ip_ver = 6;
		base[k][0] = lcg();
		base[k][1] = lcg();
	}
	static const uint8_t flag_set[] = {
		TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK, TCP_ACK | TCP_PSH, TCP_ACK,
		TCP_FIN | TCP_ACK, TCP_RST, TCP_RST | TCP_ACK, TCP_ACK, 0xff, 0,
	};
	int bad_count = 0, bad_hist = 0, bad_holes = 0, bad_dir = 0;
	for (int n = 0; n < 10000; n++) {
		uint32_t r = lcg();
		int k = (int)(r % 7);
		int dir = (int)((r >> 3) & 1);
		uint8_t fl = flag_set[(r >> 4) % sizeof(flag_set)];
		uint32_t len = (r >> 8) % 4 == 0 ? 0 : lcg() % 1600;
		uint32_t jump = lcg();
		uint32_t seq;
		switch (jump % 8) {
		case 0: seq = lcg(); break;                      /* anywhere */
		case 1: seq = base[k][dir] - jump % 3000; break; /* old data */
		default: seq = base[k][dir]; break;              /* in order */
		}
		uint32_t ack = (jump >> 4) % 5 == 0 ? lcg() : base[k][1 - dir];
		struct pkt p = seg_pkt(&cvs[k], dir, seq, ack, fl, len, 1000 + n);
		p.win = (jump >> 8) % 6 == 0 ? 0 : (uint16_t)lcg();
		if ((jump >> 12) % 9 == 0 && len > 0)
			p.pl_cap = len / 2; /* snapped */
		struct flow_seg s;
		flow_track(ft, &p, &s);
		if (s.dir != 0 && s.dir != 1)
			bad_dir++;
		flow_after(ft, &s, (int)(lcg() % 10) - 1);
		if (seq == base[k][dir])
			base[k][dir] += len + ((fl & (TCP_SYN | TCP_FIN)) ? 1 : 0);
		if (flow_count(ft) > cap || flow_count(ft) == 0)
			bad_count++;
		if (strlen(s.c->history) > FLOW_HISTORY_MAX || s.c->n_hist > FLOW_HISTORY_MAX)
			bad_hist++;
		if (s.c->d[0].n_holes > FLOW_MAX_HOLES || s.c->d[1].n_holes > FLOW_MAX_HOLES)
			bad_holes++;
	}
	CHECK_EQ_INT(bad_count, 0);
	CHECK_EQ_INT(bad_hist, 0);
	CHECK_EQ_INT(bad_holes, 0);
	CHECK_EQ_INT(bad_dir, 0);
	CHECK(flow_evicted(ft) > 0); /* seven conns in four slots did churn */
	CHECK_EQ_INT(rl.n_other, 0);
	CHECK_EQ_INT((uint64_t)rl.n_evicted, flow_evicted(ft));
	uint32_t live = flow_count(ft);
	int before = rl.n;
	flow_close(ft);
	CHECK(rl.n - before <= (int)live);
}

/* One table names every note for both views: each bit once, all but
 * NOTE_CLOSED (the views word it with the close), a JSON name for each. */
static void test_note_names(void)
{
	uint32_t seen = 0;
	for (size_t i = 0; i < FLOW_N_NOTE_NAMES; i++) {
		CHECK((seen & flow_note_names[i].bit) == 0);
		CHECK(flow_note_names[i].json != NULL && flow_note_names[i].json[0] != '\0');
		seen |= flow_note_names[i].bit;
	}
	CHECK_EQ_INT(seen | NOTE_CLOSED, (1u << 18) - 1);
}

int main(void)
{
	test_note_names();
	test_normal();
	test_seq_wrap();
	test_seq_before_start();
	test_anomalies();
	test_win_probe();
	test_many_holes();
	test_midstream();
	test_midstream_roles();
	test_rej_s0();
	test_port_reuse();
	test_cap();
	test_grow();
	test_ipv6();
	test_dns();
	test_random();
	test_hash_flood();
	return t_done("test_flow");
}
