/* test_calls.c - the join of socket system call records into time-ordered
 * call lines (calljoin.c) and what a line says (out_call.c), issue 14. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calljoin.h"
#include "calls.h"
#include "frames.h"
#include "trace.h"
#include "out_call.h"
#include "sb.h"
#include "t.h"

#define TGID 100

/* A record: kind, call, thread, descriptor, time (µs), return value. */
static struct calls_raw rec(uint16_t kind, uint16_t sys, uint32_t tid, int fd, uint64_t us,
			    int64_t ret)
{
	struct calls_raw r;
	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.sys = sys;
	r.tgid = TGID;
	r.tid = tid;
	r.fd = fd;
	r.ts_ns = us * 1000;
	r.ret = ret;
	memcpy(r.comm, "curl", 5);
	return r;
}

/* The socket of a record: TCP 10.0.0.2:lport > 192.0.2.<host>:80. */
static void tuple(struct calls_raw *r, uint16_t lport, uint8_t host)
{
	r->family = 2;
	r->sotype = 1;
	const uint8_t l[4] = { 10, 0, 0, 2 }, p[4] = { 192, 0, 2, host };
	memcpy(r->laddr, l, 4);
	memcpy(r->raddr, p, 4);
	r->lport = lport;
	r->rport = 80;
}

static void add(struct calljoin *j, struct calls_raw r)
{
	calljoin_add(j, &r, 0);
}

static const char *desc(const struct call_line *l)
{
	static char buf[512];
	struct sb s;
	sb_init(&s, buf, sizeof(buf));
	out_call_desc(&s, l);
	return buf;
}

static const char *addrs(const struct call_line *l)
{
	static char buf[256];
	struct sb s;
	sb_init(&s, buf, sizeof(buf));
	if (!out_call_addrs(&s, l))
		return "";
	return buf;
}

/* Records that come out of time order by a few microseconds (two CPUs'
 * ring buffer entries) give lines in time order. */
static void test_order(void)
{
	struct calljoin *j = calljoin_new();
	struct calls_raw r;
	/* the read returned at 300 µs, but its records come first */
	r = rec(CALLS_REC_ENTER, CALLS_SYS_READ, 7, 5, 250, 0), tuple(&r, 40000, 80), add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_READ, 7, 5, 300, 400), tuple(&r, 40000, 80), add(j, r);
	/* another thread's write entered at 296 µs and returned at 310 */
	r = rec(CALLS_REC_ENTER, CALLS_SYS_WRITE, 8, 5, 296, 0), tuple(&r, 40000, 80);
	r.asked = 76;
	add(j, r);
	/* in flight: nothing from 296 on may go before it */
	CHECK_EQ_INT(calljoin_hold_from(j), 296);
	struct call_line l;
	CHECK(!calljoin_next(j, INT64_MAX, &l));
	r = rec(CALLS_REC_EXIT, CALLS_SYS_WRITE, 8, 5, 310, 76), tuple(&r, 40000, 80), add(j, r);
	CHECK_EQ_INT(calljoin_hold_from(j), INT64_MAX);
	CHECK(!calljoin_next(j, 295, &l)); /* none stands before 296 */
	CHECK(calljoin_next(j, INT64_MAX, &l));
	CHECK_EQ_INT(l.sys, CALLS_SYS_WRITE);
	CHECK_EQ_INT(l.ts_us, 296); /* a write stands at its entry ... */
	CHECK_EQ_STR(desc(&l), "write(fd 5, 76 B) = 76"); /* ... with its result */
	CHECK(calljoin_next(j, INT64_MAX, &l));
	CHECK_EQ_INT(l.sys, CALLS_SYS_READ);
	CHECK_EQ_INT(l.ts_us, 300); /* a read at its return */
	CHECK_EQ_STR(desc(&l), "read(fd 5) = 400");
	CHECK_EQ_STR(addrs(&l), "10.0.0.2:40000 > 192.0.2.80:80");
	CHECK(!calljoin_next(j, INT64_MAX, &l));
	calljoin_free(j);
}

/* connect(): entered and returned, two lines; the error by name. */
static void test_connect(void)
{
	struct calljoin *j = calljoin_new();
	struct calls_raw r = rec(CALLS_REC_ENTER, CALLS_SYS_SOCKET, 7, -1, 10, 0);
	r.family = 2, r.sotype = 1;
	add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_SOCKET, 7, 5, 12, 5);
	r.family = 2, r.sotype = 1;
	add(j, r);
	r = rec(CALLS_REC_ENTER, CALLS_SYS_CONNECT, 7, 5, 20, 0);
	r.family = 2, r.sotype = 1, r.tfamily = 2, r.tport = 80;
	const uint8_t a[4] = { 192, 0, 2, 80 };
	memcpy(r.taddr, a, 4);
	add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_CONNECT, 7, 5, 830, -115 /* EINPROGRESS */);
	tuple(&r, 40000, 80);
	add(j, r);
	struct call_line l;
	CHECK(calljoin_next(j, INT64_MAX, &l));
	CHECK_EQ_STR(desc(&l), "socket(AF_INET, SOCK_STREAM) = 5");
	CHECK_EQ_INT(out_call_step(&l), STEP_CONNECT);
	CHECK(calljoin_next(j, INT64_MAX, &l));
	CHECK_EQ_INT(l.phase, CALL_ENTERED);
	CHECK_EQ_STR(desc(&l), "connect(fd 5, 192.0.2.80:80) entered");
	CHECK_EQ_STR(addrs(&l), "> 192.0.2.80:80");
	CHECK(calljoin_next(j, INT64_MAX, &l));
	CHECK_EQ_INT(l.phase, CALL_RETURNED);
	CHECK_EQ_INT(l.ts_us, 830);
	CHECK_EQ_STR(desc(&l), "connect() = -1 EINPROGRESS after 0.81 ms");
	/* the poll() that finds it writable is shown, once */
	r = rec(CALLS_REC_EXIT, CALLS_SYS_POLL, 7, 5, 900, 1), tuple(&r, 40000, 80), add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_POLL, 7, 5, 950, 1), tuple(&r, 40000, 80), add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_POLL, 7, 6, 960, 1), tuple(&r, 40001, 80), add(j, r);
	CHECK(calljoin_next(j, INT64_MAX, &l));
	CHECK_EQ_INT(l.ts_us, 900);
	CHECK_EQ_STR(desc(&l), "poll() = 1: fd 5 writable, the connection is up");
	CHECK_EQ_INT(out_call_step(&l), STEP_CONNECT);
	CHECK(!calljoin_next(j, INT64_MAX, &l)); /* not again; not for a socket not connecting */
	calljoin_free(j);
}

/* A descriptor reused after close() is a new socket: a call on it gets the
 * new socket's addresses, close() the old one's. */
static void test_fd_reuse(void)
{
	struct calljoin *j = calljoin_new();
	struct calls_raw r;
	r = rec(CALLS_REC_ENTER, CALLS_SYS_WRITE, 7, 5, 10, 0), tuple(&r, 40000, 1), add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_WRITE, 7, 5, 11, 10), tuple(&r, 40000, 1), add(j, r);
	r = rec(CALLS_REC_ENTER, CALLS_SYS_CLOSE, 7, 5, 20, 0), add(j, r); /* no addresses: learnt */
	r = rec(CALLS_REC_ENTER, CALLS_SYS_SOCKET, 7, -1, 30, 0);
	r.family = 2, r.sotype = 1;
	add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_SOCKET, 7, 5, 31, 5), add(j, r);
	/* a record with no addresses of its own (ptrace before the lookup):
	 * nothing of the closed socket may be lent to it */
	r = rec(CALLS_REC_ENTER, CALLS_SYS_WRITE, 7, 5, 40, 0), add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_WRITE, 7, 5, 41, -32 /* EPIPE */), add(j, r);
	r = rec(CALLS_REC_ENTER, CALLS_SYS_READ, 7, 5, 50, 0), tuple(&r, 40001, 2), add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_READ, 7, 5, 51, 9), tuple(&r, 40001, 2), add(j, r);
	r = rec(CALLS_REC_ENTER, CALLS_SYS_CLOSE, 7, 5, 60, 0), add(j, r);
	struct call_line l;
	CHECK(calljoin_next(j, INT64_MAX, &l)); /* write, first socket */
	CHECK_EQ_STR(addrs(&l), "10.0.0.2:40000 > 192.0.2.1:80");
	CHECK(calljoin_next(j, INT64_MAX, &l)); /* close, first socket */
	CHECK_EQ_STR(desc(&l), "close(fd 5)");
	CHECK_EQ_STR(addrs(&l), "10.0.0.2:40000 > 192.0.2.1:80");
	CHECK_EQ_INT(out_call_step(&l), STEP_CLOSE);
	CHECK(calljoin_next(j, INT64_MAX, &l)); /* socket() */
	CHECK_EQ_STR(addrs(&l), "");
	CHECK(calljoin_next(j, INT64_MAX, &l)); /* write on the new socket, no addresses yet */
	CHECK(!l.has_tuple);
	CHECK_EQ_STR(desc(&l), "write(fd 5, 0 B) = -1 EPIPE");
	CHECK(calljoin_next(j, INT64_MAX, &l)); /* read, second socket */
	CHECK_EQ_STR(addrs(&l), "10.0.0.2:40001 > 192.0.2.2:80");
	CHECK(calljoin_next(j, INT64_MAX, &l)); /* close, second socket */
	CHECK_EQ_STR(addrs(&l), "10.0.0.2:40001 > 192.0.2.2:80");
	CHECK(!calljoin_next(j, INT64_MAX, &l));
	calljoin_free(j);
}

/* One socket, two threads: a read blocked in one while the other writes;
 * each line has its own thread and the socket's addresses. */
static void test_two_threads(void)
{
	struct calljoin *j = calljoin_new();
	struct calls_raw r;
	r = rec(CALLS_REC_ENTER, CALLS_SYS_RECVFROM, 11, 5, 100, 0), tuple(&r, 40000, 80), add(j, r);
	r = rec(CALLS_REC_ENTER, CALLS_SYS_SENDTO, 12, 5, 200, 0), tuple(&r, 40000, 80);
	r.asked = 78;
	add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_SENDTO, 12, 5, 210, 78), tuple(&r, 40000, 80), add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_RECVFROM, 11, 5, 2100, 822), tuple(&r, 40000, 80), add(j, r);
	struct call_line l;
	CHECK(calljoin_next(j, INT64_MAX, &l));
	CHECK_EQ_INT(l.tid, 12);
	CHECK_EQ_STR(desc(&l), "sendto(fd 5, 78 B) = 78");
	CHECK(calljoin_next(j, INT64_MAX, &l));
	CHECK_EQ_INT(l.tid, 11);
	CHECK_EQ_INT(l.enter_us, 100); /* its own entry, not the other thread's */
	CHECK_EQ_STR(desc(&l), "recvfrom(fd 5) = 822 after 2.00 ms");
	CHECK_EQ_STR(addrs(&l), "10.0.0.2:40000 > 192.0.2.80:80");
	calljoin_free(j);
}

/* Only Internet sockets: a Unix socket's calls are not lines; a DNS
 * socket's are resolve. */
static void test_filter(void)
{
	struct calljoin *j = calljoin_new();
	struct calls_raw r = rec(CALLS_REC_ENTER, CALLS_SYS_WRITE, 7, 3, 10, 0);
	r.family = 1; /* AF_UNIX */
	add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_WRITE, 7, 3, 11, 4);
	r.family = 1;
	add(j, r);
	r = rec(CALLS_REC_ENTER, CALLS_SYS_SENDMMSG, 7, 4, 20, 0), tuple(&r, 50000, 53);
	r.rport = 53, r.sotype = 2, r.asked = 2;
	add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_SENDMMSG, 7, 4, 21, 2), tuple(&r, 50000, 53);
	r.rport = 53, r.sotype = 2;
	add(j, r);
	struct call_line l;
	CHECK(calljoin_next(j, INT64_MAX, &l));
	CHECK_EQ_INT(l.sys, CALLS_SYS_SENDMMSG);
	CHECK_EQ_INT(out_call_step(&l), STEP_RESOLVE);
	CHECK_EQ_STR(desc(&l), "sendmmsg(fd 4, 2 msgs) = 2");
	CHECK(!calljoin_next(j, INT64_MAX, &l));
	calljoin_free(j);
}

/* Bounded: a full queue drops and counts; release lets a stuck write go. */
static void test_bounds(void)
{
	struct calljoin *j = calljoin_new();
	struct calls_raw r;
	for (unsigned i = 0; i < CALLJOIN_PENDING_MAX + 10; i++) {
		r = rec(CALLS_REC_ENTER, CALLS_SYS_CLOSE, 7, 5, 1000 + i, 0), tuple(&r, 1, 1);
		add(j, r);
	}
	CHECK_EQ_INT(calljoin_dropped(j), 10);
	struct call_line l;
	unsigned n = 0;
	while (calljoin_next(j, INT64_MAX, &l) && n < 2 * CALLJOIN_PENDING_MAX)
		n++;
	CHECK_EQ_INT(n, CALLJOIN_PENDING_MAX);
	r = rec(CALLS_REC_ENTER, CALLS_SYS_WRITE, 7, 5, 10, 0), tuple(&r, 1, 1), add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_READ, 8, 5, 20, 1), tuple(&r, 1, 1), add(j, r);
	CHECK(!calljoin_next(j, INT64_MAX, &l));
	calljoin_release(j);
	CHECK(calljoin_next(j, INT64_MAX, &l)); /* the read goes; the write's line comes when it returns */
	CHECK_EQ_INT(l.sys, CALLS_SYS_READ);
	CHECK_EQ_STR(calls_sys_name(CALLS_SYS_MAX + 3), "?");
	CHECK(calls_errno_name(-5) == NULL);
	calljoin_free(j);
}

/* ------------------------------------------------------------------ */
/* calls and packets together (calls.c through a tracer)              */
/* ------------------------------------------------------------------ */

static const uint8_t CLI[4] = { 10, 0, 0, 2 }, WWW[4] = { 192, 0, 2, 80 };
#define T0 1700000000000000LL /* microseconds: the records' clock here too */

static void pkt(struct calls *c, int64_t us, bool from_cli, uint32_t seq, uint32_t ack,
		uint8_t flags, const char *pl)
{
	struct frame f;
	size_t n = pl ? strlen(pl) : 0;
	if (from_cli)
		fr_build(&f, 6, CLI, 40000, WWW, 80, seq, ack, flags, pl, n);
	else
		fr_build(&f, 6, WWW, 80, CLI, 40000, seq, ack, flags, pl, n);
	calls_packet(c, 1, f.b, f.len, f.len, T0 + us, 0);
}

static void feed(struct calls *c, uint16_t kind, uint16_t sys, int64_t us, int64_t ret, bool tup)
{
	struct calls_raw r = rec(kind, sys, 7, 5, (uint64_t)(T0 + us), ret);
	if (tup)
		tuple(&r, 40000, 80);
	if (sys == CALLS_SYS_CONNECT && kind == CALLS_REC_ENTER) {
		r.family = 2, r.sotype = 1, r.tfamily = 2, r.tport = 80;
		memcpy(r.taddr, WWW, 4);
	}
	if (sys == CALLS_SYS_SOCKET)
		r.family = 2, r.sotype = 1;
	if (sys == CALLS_SYS_SENDTO)
		r.asked = (uint32_t)ret;
	calls_feed(c, &r);
}

static const char REQ[] = "GET / HTTP/1.1\r\nHost: www.lab.test\r\n\r\n";
static const char RESP[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

static int line_of(const char *out, const char *needle)
{
	const char *hit = strstr(out, needle);
	if (!hit)
		return -1;
	int n = 0;
	for (const char *p = out; p < hit; p++)
		n += *p == '\n';
	return n;
}

/*
 * A fetch with its calls, the records and the packets coming as they do
 * live: a record may come before a packet a few microseconds older than
 * it (the ring buffer is read before each packet), a write()'s EXIT after
 * its segment.  The lines come out in time order all the same.
 */
static void test_with_packets(void)
{
	FILE *f = tmpfile();
	CHECK(f != NULL);
	if (!f)
		return;
	struct out_opts o = { .format = OUT_TEXT };
	struct tracer *t = trace_open(f, &o, 64);
	struct calls *c = calls_open_feed();
	CHECK(t && c);
	if (!t || !c) {
		fclose(f);
		return;
	}
	calls_set_tracer(c, t);
	uint32_t a = 1000, b = 5000, rq = sizeof(REQ) - 1, rs = sizeof(RESP) - 1;
	feed(c, CALLS_REC_ENTER, CALLS_SYS_SOCKET, 900, 0, false);
	feed(c, CALLS_REC_EXIT, CALLS_SYS_SOCKET, 901, 5, false);
	feed(c, CALLS_REC_ENTER, CALLS_SYS_CONNECT, 950, 0, false);
	pkt(c, 1000, true, a, 0, FR_SYN, NULL);
	pkt(c, 1100, false, b, a + 1, FR_SYN | FR_ACK, NULL);
	pkt(c, 1200, true, a + 1, b + 1, FR_ACK, NULL);
	feed(c, CALLS_REC_EXIT, CALLS_SYS_CONNECT, 1210, 0, true);
	feed(c, CALLS_REC_ENTER, CALLS_SYS_SENDTO, 1290, rq, true); /* ret: the bytes asked */
	pkt(c, 1300, true, a + 1, b + 1, FR_PSH | FR_ACK, REQ); /* waits for the write's result */
	feed(c, CALLS_REC_EXIT, CALLS_SYS_SENDTO, 1305, rq, true);
	feed(c, CALLS_REC_ENTER, CALLS_SYS_RECVFROM, 1310, 0, true);
	pkt(c, 3300, false, b + 1, a + 1 + rq, FR_PSH | FR_ACK, RESP);
	feed(c, CALLS_REC_EXIT, CALLS_SYS_RECVFROM, 3305, rs, true);
	/* the ACK captured 3 µs before the read returned, handed over after its record */
	pkt(c, 3302, true, a + 1 + rq, b + 1 + rs, FR_ACK, NULL);
	feed(c, CALLS_REC_ENTER, CALLS_SYS_CLOSE, 3490, 0, false);
	pkt(c, 3500, true, a + 1 + rq, b + 1 + rs, FR_FIN | FR_ACK, NULL);
	pkt(c, 3600, false, b + 1 + rs, a + 2 + rq, FR_FIN | FR_ACK, NULL);
	pkt(c, 3700, true, a + 2 + rq, b + 2 + rs, FR_ACK, NULL);
	calls_finish(c);
	CHECK_EQ_INT(trace_finish(t), 0);
	calls_close(c);
	long n = ftell(f);
	char *out = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	rewind(f);
	if (out && n > 0 && fread(out, 1, (size_t)n, f) != (size_t)n)
		out[0] = '\0';
	fclose(f);
	if (!out)
		return;
	int sock = line_of(out, "socket(AF_INET, SOCK_STREAM) = 5");
	int entered = line_of(out, "connect(fd 5, 192.0.2.80:80) entered");
	int syn = line_of(out, " SYN seq");
	int est = line_of(out, "connection established");
	int returned = line_of(out, "connect() = 0 after 0.26 ms");
	int wr = line_of(out, "sendto(fd 5, 38 B) = 38");
	int get = line_of(out, "GET / HTTP/1.1");
	int ok200 = line_of(out, "HTTP/1.1 200 OK");
	int ack = line_of(out, "ACK seq 39 ack 41");
	int rd = line_of(out, "recvfrom(fd 5) = 40 after 2.00 ms");
	int cl = line_of(out, "close(fd 5)");
	int fin = line_of(out, "FIN-ACK seq 39");
	CHECK(sock >= 0 && sock < entered);
	CHECK(entered < syn);
	CHECK(syn < est && est < returned);
	CHECK(returned < wr);
	CHECK(wr >= 0 && wr < get); /* the write before the segment that carries its bytes */
	CHECK(get < ok200);
	CHECK(ok200 < ack && ack < rd); /* the read after the data, and after the older ACK */
	CHECK(rd < cl && cl < fin);     /* close() before the FIN */
	CHECK(line_of(out, "connect  call           f1 c1") == returned); /* joined */
	CHECK(line_of(out, "write    measured       f1 c1") == get);
	CHECK(line_of(out, "connect  measured       f1 c1") == syn); /* its connect() entered */
	if (t_failed)
		fputs(out, stderr);
	free(out);
}

static void test_roles(void)
{
	char out[32];
	static const char chrome[] = "/usr/lib/chromium/chromium\0--type=utility\0"
				     "--utility-sub-type=network.mojom.NetworkService\0--lang=en";
	calls_role_of(chrome, sizeof(chrome), out, sizeof(out));
	CHECK_EQ_STR(out, "network service");
	static const char rend[] = "chromium\0--type=renderer\0--x";
	calls_role_of(rend, sizeof(rend), out, sizeof(out));
	CHECK_EQ_STR(out, "renderer");
	static const char ff[] = "/usr/lib/firefox/firefox\0-contentproc\0-isForBrowser\0socket";
	calls_role_of(ff, sizeof(ff), out, sizeof(out));
	CHECK_EQ_STR(out, "socket process");
	static const char curl[] = "curl\0-s\0--type=x";  /* an argument, not a switch of ours */
	calls_role_of(curl, 5, out, sizeof(out));
	CHECK_EQ_STR(out, "");
	static const char hostile[] = "x\0--type=\x1b[31mA\\b\"c";
	calls_role_of(hostile, sizeof(hostile), out, sizeof(out));
	CHECK_EQ_STR(out, "__31m__b_c"); /* only [a-z0-9 -] passes */
	/* a process that set its title: one string, words separated by spaces */
	static const char titled[] = "/usr/lib/chromium/chromium --type=utility "
				     "--utility-sub-type=network.mojom.NetworkService --lang=en-US";
	calls_role_of(titled, sizeof(titled), out, sizeof(out));
	CHECK_EQ_STR(out, "network service");
	static const char titled2[] = "chromium --type=gpu-process --no-sandbox";
	calls_role_of(titled2, sizeof(titled2) - 1, out, sizeof(out)); /* not NUL-terminated */
	CHECK_EQ_STR(out, "gpu-process");
		calls_role_of("", 0, out, sizeof(out));
	CHECK_EQ_STR(out, "");
}

/* calls_owns: a socket gone from the kernel's table is the command's when its
 * calls were seen with the packet's local port (TCP and UDP apart). */
static void test_owns(void)
{
	struct calls *c = calls_open_feed();
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(!calls_owns(c, true, 40000, 53)); /* nothing seen yet */
	struct calls_raw r;
	memset(&r, 0, sizeof(r));
	r.kind = CALLS_REC_EXIT;
	r.sys = CALLS_SYS_SENDTO;
	r.tgid = r.tid = 42;
	r.fd = 7;
	r.ret = 33;
	r.family = 2, r.sotype = 2; /* AF_INET, SOCK_DGRAM */
	r.lport = 40000, r.rport = 0;
	calls_feed(c, &r);
	CHECK(calls_owns(c, true, 40000, 53));  /* the query */
	CHECK(calls_owns(c, true, 53, 40000));  /* its answer */
	CHECK(!calls_owns(c, false, 40000, 53)); /* TCP is another socket */
	CHECK(!calls_owns(c, true, 40001, 53));  /* another port */
	r.family = 1; /* AF_UNIX: no port of the network */
	r.lport = 41000;
	calls_feed(c, &r);
	CHECK(!calls_owns(c, true, 41000, 53));
	calls_close(c);
}

/* A connect() on fd that returned EINPROGRESS at us. */
/* connect(fd) in process tgid, returning ret (-115: EINPROGRESS) */
static void connect_in(struct calljoin *j, uint32_t tgid, int fd, uint64_t us, uint16_t lport,
		       int64_t ret)
{
	struct calls_raw r = rec(CALLS_REC_ENTER, CALLS_SYS_CONNECT, 7, fd, us, 0);
	r.tgid = tgid;
	r.family = 2, r.sotype = 1, r.tfamily = 2, r.tport = 80;
	const uint8_t a[4] = { 192, 0, 2, 80 };
	memcpy(r.taddr, a, 4);
	add(j, r);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_CONNECT, 7, fd, us + 5, ret);
	r.tgid = tgid;
	tuple(&r, lport, 80);
	add(j, r);
}

static void connecting(struct calljoin *j, int fd, uint64_t us, uint16_t lport)
{
	connect_in(j, TGID, fd, us, lport, -115 /* EINPROGRESS */);
}

/* epoll_ctl(epfd, op, fd, {events, data}) = 0 */
static void epctl(struct calljoin *j, int epfd, unsigned op, int fd, uint32_t events,
		  uint64_t data, uint64_t us)
{
	struct calls_raw r = rec(CALLS_REC_EXIT, CALLS_SYS_EPOLL_CTL, 7, fd, us, 0);
	r.epfd = epfd, r.asked = op, r.events = events, r.data = data;
	add(j, r);
}

/* epoll_wait(epfd) = 1 returning {events, data}; fd as the kernel resolved
 * it (eBPF), -1 not (ptrace). */
static void epwait(struct calljoin *j, int epfd, uint32_t events, uint64_t data, uint64_t us,
		   int fd)
{
	struct calls_raw r = rec(CALLS_REC_EXIT, CALLS_SYS_EPOLL_WAIT, 7, fd, us, 1);
	r.epfd = epfd, r.events = events, r.data = data;
	add(j, r);
}

static void so_error(struct calljoin *j, int fd, int val, uint64_t us)
{
	struct calls_raw r = rec(CALLS_REC_EXIT, CALLS_SYS_GETSOCKOPT, 7, fd, us, 0);
	r.val = val;
	r.state = val ? 7 /* CLOSE */ : 1 /* ESTABLISHED */;
	add(j, r);
}

/* The lines still queued, each "desc" joined by " | ". */
static const char *drain(struct calljoin *j)
{
	static char all[2048];
	struct sb s;
	struct call_line l;
	sb_init(&s, all, sizeof(all));
	for (int n = 0; calljoin_next(j, INT64_MAX, &l); n++) {
		if (n)
			sb_puts(&s, " | ");
		sb_puts(&s, desc(&l));
	}
	return all;
}

#define EIN 0x001u
#define EOUT 0x004u
#define EERR 0x008u
#define EHUP 0x010u

/* epoll: what epoll_wait returns is the data epoll_ctl registered, mapped
 * back to its descriptor per process and epoll descriptor. */
static void test_epoll(void)
{
	struct calljoin *j = calljoin_new();
	connecting(j, 5, 20, 40000);
	CHECK_EQ_STR(drain(j), "connect(fd 5, 192.0.2.80:80) entered | connect() = -1 EINPROGRESS after 0.01 ms");
	/* ADD, then MOD with new data: the old data no longer maps */
	epctl(j, 7, CALLS_EPOLL_ADD, 5, EOUT, 0x1000, 40);
	epctl(j, 7, CALLS_EPOLL_MOD, 5, EOUT | EIN, 0x2000, 50);
	CHECK_EQ_STR(drain(j), "epoll_ctl(epfd 7, EPOLL_CTL_ADD, fd 5, EPOLLOUT) = 0 | "
			       "epoll_ctl(epfd 7, EPOLL_CTL_MOD, fd 5, EPOLLIN|EPOLLOUT) = 0");
	epwait(j, 7, EOUT, 0x1000, 60, -1);   /* the old data */
	epwait(j, 8, EOUT, 0x2000, 61, -1);   /* another epoll descriptor */
	CHECK_EQ_STR(drain(j), "");
	epwait(j, 7, EOUT, 0x2000, 70, -1);
	struct call_line l;
	CHECK(calljoin_next(j, INT64_MAX, &l));
	CHECK_EQ_STR(desc(&l), "epoll_wait(epfd 7) = 1: fd 5 writable, the connection is up");
	CHECK_EQ_STR(addrs(&l), "10.0.0.2:40000 > 192.0.2.80:80");
	CHECK_EQ_INT(out_call_step(&l), STEP_CONNECT);
	CHECK_EQ_INT(l.ts_us, 70);
	CHECK_EQ_INT(l.connect_us, 25); /* the connect()'s return */
	CHECK_EQ_INT(l.events, EOUT);
	epwait(j, 7, EOUT, 0x2000, 80, -1); /* once */
	CHECK_EQ_STR(drain(j), "");
	so_error(j, 5, 0, 90);
	CHECK(calljoin_next(j, INT64_MAX, &l));
	CHECK_EQ_STR(desc(&l), "getsockopt(fd 5, SO_ERROR) = 0: connected");
	CHECK_EQ_STR(addrs(&l), "10.0.0.2:40000 > 192.0.2.80:80");
	so_error(j, 5, 0, 91); /* asked again: the connect()'s result is known already */
	epctl(j, 7, CALLS_EPOLL_MOD, 5, EIN, 0x2000, 92); /* not connecting: not shown */
	CHECK_EQ_STR(drain(j), "");

	/* DEL: the registration is gone */
	epctl(j, 7, CALLS_EPOLL_DEL, 5, 0, 0, 95);
	{
		struct calls_raw r = rec(CALLS_REC_ENTER, CALLS_SYS_CLOSE, 7, 5, 100, 0);
		add(j, r);
	}
	connecting(j, 5, 110, 40001); /* fd 5 reused */
	epwait(j, 7, EOUT, 0x2000, 120, -1);
	CHECK_EQ_STR(drain(j), "close(fd 5) | connect(fd 5, 192.0.2.80:80) entered | "
			       "connect() = -1 EINPROGRESS after 0.01 ms");

	/* closed without DEL: the kernel dropped the registration with the
	 * descriptor; the reused fd is not the old registration's */
	epctl(j, 7, CALLS_EPOLL_ADD, 6, EOUT, 0x3000, 130);
	{
		struct calls_raw r = rec(CALLS_REC_ENTER, CALLS_SYS_CLOSE, 7, 6, 140, 0);
		add(j, r);
	}
	connecting(j, 6, 150, 40002);
	epwait(j, 7, EOUT, 0x3000, 160, -1);
	CHECK_EQ_STR(drain(j), "close(fd 6) | connect(fd 6, 192.0.2.80:80) entered | "
			       "connect() = -1 EINPROGRESS after 0.01 ms");

	/* two epoll descriptors, one data value: each maps to its own fd */
	epctl(j, 7, CALLS_EPOLL_ADD, 5, EOUT, 0x4000, 170);
	epctl(j, 9, CALLS_EPOLL_ADD, 6, EOUT, 0x4000, 171);
	CHECK_EQ_STR(drain(j), "epoll_ctl(epfd 7, EPOLL_CTL_ADD, fd 5, EPOLLOUT) = 0 | "
			       "epoll_ctl(epfd 9, EPOLL_CTL_ADD, fd 6, EPOLLOUT) = 0");
	epwait(j, 9, EOUT, 0x4000, 180, -1);
	CHECK_EQ_STR(drain(j), "epoll_wait(epfd 9) = 1: fd 6 writable, the connection is up");
	/* a refused connect: the error and its SO_ERROR */
	epwait(j, 7, EERR | EHUP | EIN, 0x4000, 190, -1);
	so_error(j, 5, 111 /* ECONNREFUSED */, 191);
	CHECK_EQ_STR(drain(j), "epoll_wait(epfd 7) = 1: fd 5 EPOLLIN|EPOLLERR|EPOLLHUP, the connect failed | "
			       "getsockopt(fd 5, SO_ERROR) = 0: ECONNREFUSED, the connect failed");
	/* closing the epoll descriptor drops its registrations */
	connecting(j, 5, 200, 40003);
	epctl(j, 7, CALLS_EPOLL_ADD, 5, EOUT, 0x5000, 210);
	{
		struct calls_raw r = rec(CALLS_REC_ENTER, CALLS_SYS_CLOSE, 7, 7, 220, 0);
		add(j, r);
	}
	epwait(j, 7, EOUT, 0x5000, 230, -1);
	CHECK(strstr(drain(j), "epoll_wait") == NULL);
	/* eBPF resolves the descriptor in the kernel: its fd stands when no
	 * registration was recorded (one made before the trace began) */
	connecting(j, 11, 300, 40004);
	epwait(j, 12, EOUT, 0x6000, 310, 11);
	CHECK(strstr(drain(j), "epoll_wait(epfd 12) = 1: fd 11 writable, the connection is up") != NULL);
	/* another process's epoll descriptor 7 is not this one's (its own fd 13
	 * is connecting too: this one's registration must not name it) */
	connecting(j, 13, 400, 40005);
	connect_in(j, TGID + 1, 13, 401, 40006, -115);
	epctl(j, 7, CALLS_EPOLL_ADD, 13, EOUT, 0x7000, 410);
	drain(j);
	struct calls_raw r = rec(CALLS_REC_EXIT, CALLS_SYS_EPOLL_WAIT, 7, -1, 420, 1);
	r.tgid = TGID + 1, r.epfd = 7, r.events = EOUT, r.data = 0x7000;
	add(j, r);
	CHECK_EQ_STR(drain(j), "");
	calljoin_free(j);
}

/* Chromium asks getsockopt(SO_ERROR) right after epoll_ctl, before it
 * waits: that one, the wait and the one after it are lines; more are not. */
static void test_so_error_early(void)
{
	struct calljoin *j = calljoin_new();
	connecting(j, 24, 20, 40000);
	drain(j);
	epctl(j, 16, CALLS_EPOLL_ADD, 24, EOUT, 0xabc, 30);
	struct calls_raw r = rec(CALLS_REC_EXIT, CALLS_SYS_GETSOCKOPT, 7, 24, 31, 0);
	r.state = 2; /* SYN_SENT */
	add(j, r);
	epwait(j, 16, EOUT, 0xabc, 40, 24);
	so_error(j, 24, 0, 41);
	so_error(j, 24, 0, 42);
	CHECK_EQ_STR(drain(j), "epoll_ctl(epfd 16, EPOLL_CTL_ADD, fd 24, EPOLLOUT) = 0 | "
			       "getsockopt(fd 24, SO_ERROR) = 0: no error yet, the connect is in progress | "
			       "epoll_wait(epfd 16) = 1: fd 24 writable, the connection is up | "
			       "getsockopt(fd 24, SO_ERROR) = 0: connected");
	calljoin_free(j);
}

/* select()/pselect6(): a writable socket of writefds whose connect() is
 * pending is shown once; one not connecting is not. */
static void test_select(void)
{
	struct calljoin *j = calljoin_new();
	connecting(j, 5, 20, 40000);
	connect_in(j, TGID, 6, 21, 40001, 0); /* fd 6: connected at once, nothing pending */
	drain(j);
	struct calls_raw r = rec(CALLS_REC_EXIT, CALLS_SYS_SELECT, 7, 6, 30, 2);
	r.events = EOUT;
	add(j, r); /* fd 6: no connect() pending */
	r.fd = 5, r.ts_ns = 31000;
	add(j, r);
	r.ts_ns = 32000;
	add(j, r);
	struct call_line l;
	CHECK(calljoin_next(j, INT64_MAX, &l));
	CHECK_EQ_STR(desc(&l), "select() = 2: fd 5 writable, the connection is up");
	CHECK_EQ_INT(l.ts_us, 31);
	CHECK(!calljoin_next(j, INT64_MAX, &l));
	/* writable in select's sense, and the socket not connected: failed */
	connecting(j, 6, 40, 40001);
	drain(j);
	r = rec(CALLS_REC_EXIT, CALLS_SYS_SELECT, 7, 6, 50, 1);
	r.events = EOUT | EERR;
	add(j, r);
	CHECK_EQ_STR(drain(j), "select() = 1: fd 6 POLLOUT|POLLERR, the connect failed");
	calljoin_free(j);
}

/* The bitmaps of select(): which descriptors below 1024 and nfds are set. */
static void test_fdset(void)
{
	uint8_t set[128];
	memset(set, 0, sizeof(set));
	set[0] = 0x20;        /* fd 5 */
	set[127] = 0x80;      /* fd 1023 */
	set[2] = 0x01;        /* fd 16 */
	int fds[8];
	CHECK_EQ_INT(calls_fdset_list(set, sizeof(set), 1024, fds, 8), 3);
	CHECK_EQ_INT(fds[0], 5);
	CHECK_EQ_INT(fds[1], 16);
	CHECK_EQ_INT(fds[2], 1023);
	CHECK_EQ_INT(calls_fdset_list(set, sizeof(set), 16, fds, 8), 1); /* below nfds */
	CHECK_EQ_INT(calls_fdset_list(set, sizeof(set), 5000, fds, 2), 2); /* cap */
	CHECK_EQ_INT(calls_fdset_list(set, 1, 1024, fds, 8), 1); /* only the bytes given */
	CHECK_EQ_INT(calls_fdset_list(set, sizeof(set), -1, fds, 8), 0);
}

int main(void)
{
	test_epoll();
	test_select();
	test_so_error_early();
	test_fdset();
	test_owns();
	test_order();
	test_connect();
	test_fd_reuse();
	test_two_threads();
	test_filter();
	test_bounds();
	test_with_packets();
	test_roles();
	return t_done("test_calls");
}
