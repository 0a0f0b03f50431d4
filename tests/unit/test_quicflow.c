/* test_quicflow.c - the QUIC connection table: lookups both ways, the cap, LRU eviction,
 * a connection forgotten, the end, memory counted. */
#include <string.h>

#include "quicflow.h"
#include "t.h"

struct retired_log {
	unsigned n;
	uint32_t id[16];
	const char *why[16];
	bool dec_live[16];   /* the decoder was still there during the callback */
};

static void on_retire(void *ctx, const struct quicflow *q, const char *why)
{
	struct retired_log *l = ctx;
	if (l->n < 16) {
		l->id[l->n] = q->id;
		l->why[l->n] = why;
		l->dec_live[l->n] = q->dec != NULL;
	}
	l->n++;
}

static struct pkt dgram(uint8_t cli_last, uint16_t cport, bool to_server)
{
	struct pkt p;
	memset(&p, 0, sizeof(p));
	p.ip_ver = 4;
	uint8_t cli[16] = { 192, 0, 2, cli_last }, srv[16] = { 192, 0, 2, 80 };
	memcpy(to_server ? p.src : p.dst, cli, 16);
	memcpy(to_server ? p.dst : p.src, srv, 16);
	p.sport = to_server ? cport : 443;
	p.dport = to_server ? 443 : cport;
	return p;
}

int main(void)
{
	struct retired_log log;
	memset(&log, 0, sizeof(log));
	struct quicflow_table *t = quicflow_open(2, on_retire, &log);
	CHECK(t != NULL);
	int dir = -1;
	struct pkt a = dgram(10, 5000, true), ar = dgram(10, 5000, false);
	CHECK(quicflow_find(t, &a, &dir) == NULL);
	struct quicflow *qa = quicflow_new(t, &a, 100);
	CHECK(qa && qa->id == 1 && qa->dec && qa->close_dir == -1);
	CHECK(qa->ts_first == 100 && qa->cport == 5000 && qa->sport == 443);
	/* both directions find it, and say which */
	CHECK(quicflow_find(t, &a, &dir) == qa && dir == 0);
	CHECK(quicflow_find(t, &ar, &dir) == qa && dir == 1);
	/* another port of the same client is another connection */
	struct pkt b = dgram(10, 5001, true);
	CHECK(quicflow_find(t, &b, &dir) == NULL);
	struct quicflow *qb = quicflow_new(t, &b, 200);
	CHECK(qb && qb->id == 2);
	CHECK_EQ_INT(quicflow_mem_peak(t) > 0, 1);
	uint64_t two = quicflow_mem_peak(t);
	/* a touches a: b is now the least recently used and goes first at the cap */
	CHECK(quicflow_find(t, &a, &dir) == qa);
	struct pkt c = dgram(11, 6000, true);
	struct quicflow *qc = quicflow_new(t, &c, 300);
	CHECK(qc && qc->id == 3);
	CHECK_EQ_INT(log.n, 1);
	CHECK_EQ_INT(log.id[0], 2);
	CHECK(log.why[0] && strncmp(log.why[0], "evicted", 7) == 0);
	CHECK(log.dec_live[0]);
	CHECK_EQ_INT(quicflow_evicted(t), 1);
	CHECK(quicflow_find(t, &b, &dir) == NULL);
	CHECK(quicflow_find(t, &a, &dir) != NULL);
	CHECK_EQ_INT(quicflow_mem_peak(t) == two, 1); /* never more than two decoders */
	/* a connection forgotten (its Initial did not open) never existed: no
	 * retire call, its number is given back, its slot is free */
	struct pkt d = dgram(12, 7000, true);
	qc = quicflow_find(t, &c, &dir);
	CHECK(qc != NULL);
	quicflow_forget(t, qc);
	CHECK_EQ_INT(log.n, 1);
	CHECK(quicflow_find(t, &c, &dir) == NULL);
	struct quicflow *qd = quicflow_new(t, &d, 400);
	CHECK(qd && qd->id == 3);
	CHECK_EQ_INT(log.n, 1); /* the forgotten slot was free: no eviction */
	CHECK_EQ_INT(quicflow_count(t), 3);
	/* the end retires the rest, oldest first */
	quicflow_close(t);
	CHECK_EQ_INT(log.n, 3);
	CHECK_EQ_INT(log.id[1], 1);
	CHECK_EQ_INT(log.id[2], 3);
	CHECK(log.why[1] && strcmp(log.why[1], "end of capture") == 0);
	/* HTTP/3 error names for application closes */
	CHECK_EQ_STR(quicflow_h3_error_name(0x100), "H3_NO_ERROR");
	CHECK_EQ_STR(quicflow_h3_error_name(0x10c), "H3_REQUEST_CANCELLED");
	CHECK(quicflow_h3_error_name(0x1f) == NULL);
	/* many connections through a small table: bounded, every one retired once */
	memset(&log, 0, sizeof(log));
	t = quicflow_open(4, on_retire, &log);
	for (unsigned i = 0; i < 100; i++) {
		struct pkt x = dgram((uint8_t)(20 + i % 50), (uint16_t)(8000 + i), true);
		CHECK(quicflow_find(t, &x, &dir) == NULL);
		CHECK(quicflow_new(t, &x, i) != NULL);
	}
	CHECK_EQ_INT(log.n, 96);
	CHECK_EQ_INT(quicflow_evicted(t), 96);
	quicflow_close(t);
	CHECK_EQ_INT(log.n, 100);
	return t_done("test_quicflow");
}
