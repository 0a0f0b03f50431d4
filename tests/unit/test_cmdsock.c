/* test_cmdsock.c - whose socket a packet is: real loopback sockets in a child (the traced
 * command), in its orphaned grandchild, and in the test itself (another program). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmdsock.h"
#include "pkt.h"
#include "t.h"

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

/* A socket of type on the loopback (v4 or v6), bound to an ephemeral port;
 * listening when type is TCP and listen is set. */
static int lo_socket(int ver, int type, bool listen_too)
{
	int fd = socket(ver == 6 ? AF_INET6 : AF_INET, type, 0);
	if (fd < 0)
		return -1;
	int r;
	if (ver == 6) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	}
	if (r != 0 || (listen_too && listen(fd, 8) != 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int lo_connect(int ver, uint16_t port)
{
	int fd = socket(ver == 6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int r;
	if (ver == 6) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT,
					  .sin6_port = htons(port) };
		r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	}
	if (r != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A decoded packet on the loopback from sport to dport. */
static struct pkt lo_pkt(int ver, uint8_t proto, uint16_t sport, uint16_t dport, uint8_t flags)
{
	struct pkt p;
	memset(&p, 0, sizeof(p));
	p.ts_us = now_us();
	p.ip_ver = (uint8_t)ver;
	p.proto = proto;
	p.layer = LAYER_DONE;
	if (ver == 6) {
		p.src[15] = p.dst[15] = 1;
	} else {
		p.src[0] = p.dst[0] = 127;
		p.src[3] = p.dst[3] = 1;
	}
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	return p;
}

/* The ports the child reports back, in this order. */
struct child_ports {
	uint16_t tcp4, udp4, tcp6, orphan_tcp4;
	uint16_t closed_tcp4; /* a connection the command closed at once */
};

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	char errbuf[CMDSOCK_ERRBUF_SIZE] = "";
	struct cmdsock *cs = cmdsock_open(errbuf);
	CHECK(cs != NULL);
	if (!cs) {
		fprintf(stderr, "cmdsock_open: %s\n", errbuf);
		return t_done("cmdsock");
	}
	/* before the command starts, nothing is its */
	struct pkt p0 = lo_pkt(4, IPPROTO_TCP, 1, 2, TCP_SYN);
	CHECK_EQ_INT(cmdsock_packet(cs, &p0), CMDSOCK_UNKNOWN);

	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
	int l4 = lo_socket(4, SOCK_STREAM, true), l6 = lo_socket(6, SOCK_STREAM, true);
	CHECK(l4 >= 0);
	uint16_t lport4 = port_of(l4), lport6 = l6 >= 0 ? port_of(l6) : 0;
	int up[2], down[2];
	CHECK(pipe(up) == 0 && pipe(down) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		/* the command: a TCP connection over IPv4 and IPv6, an unconnected
		 * UDP socket, and an orphan (its own child, left behind) with a
		 * TCP connection of its own; they live until the test is done */
		close(up[0]);
		close(down[1]);
		struct child_ports cp = { 0, 0, 0, 0, 0 };
		int t4 = lo_connect(4, lport4);
		int u4 = lo_socket(4, SOCK_DGRAM, false);
		int t6 = lport6 ? lo_connect(6, lport6) : -1;
		cp.tcp4 = t4 >= 0 ? port_of(t4) : 0;
		cp.udp4 = u4 >= 0 ? port_of(u4) : 0;
		cp.tcp6 = t6 >= 0 ? port_of(t6) : 0;
		int tc = lo_connect(4, lport4);
		cp.closed_tcp4 = tc >= 0 ? port_of(tc) : 0;
		if (tc >= 0)
			close(tc);
		int o[2];
		if (pipe(o) != 0)
			_exit(1);
		pid_t g = fork();
		if (g == 0) {
			close(o[0]);
			int ot = lo_connect(4, lport4);
			uint16_t op = ot >= 0 ? port_of(ot) : 0;
			if (write(o[1], &op, sizeof(op)) != sizeof(op))
				_exit(1);
			char c;
			while (read(down[0], &c, 1) > 0) /* until the test closes its end */
				;
			_exit(0);
		}
		close(o[1]);
		if (read(o[0], &cp.orphan_tcp4, sizeof(cp.orphan_tcp4)) != sizeof(cp.orphan_tcp4))
			_exit(1);
		if (write(up[1], &cp, sizeof(cp)) != sizeof(cp))
			_exit(1);
		char c;
		while (read(down[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	cmdsock_start(cs, pid, getuid());
	struct child_ports cp;
	CHECK(read(up[0], &cp, sizeof(cp)) == sizeof(cp));
	CHECK(cp.tcp4 && cp.udp4 && cp.orphan_tcp4);
	int a1 = accept(l4, NULL, NULL), a2 = accept(l4, NULL, NULL); /* ours, not the command's */
	int a4 = accept(l4, NULL, NULL);
	CHECK(a1 >= 0 && a2 >= 0 && a4 >= 0);
	/* the command's end was closed before the lookup, ours (a4) is open:
	 * on loopback, whose it was cannot be told */
	struct pkt pc = lo_pkt(4, IPPROTO_TCP, cp.closed_tcp4, lport4, TCP_ACK);
	CHECK_EQ_INT(cmdsock_packet(cs, &pc), CMDSOCK_UNKNOWN);

	/* the command's connection, either way: its socket is at one end */
	struct pkt p = lo_pkt(4, IPPROTO_TCP, cp.tcp4, lport4, TCP_ACK);
	CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_OURS);
	p = lo_pkt(4, IPPROTO_TCP, lport4, cp.tcp4, TCP_ACK);
	CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_OURS);
	/* the orphan's, reparented to us (the subreaper): still the command's tree */
	p = lo_pkt(4, IPPROTO_TCP, cp.orphan_tcp4, lport4, TCP_ACK);
	CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_OURS);
	/* an unconnected UDP socket: any peer's datagram to its port */
	p = lo_pkt(4, IPPROTO_UDP, 40000, cp.udp4, 0);
	CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_OURS);
	p = lo_pkt(4, IPPROTO_UDP, cp.udp4, 53, 0);
	CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_OURS);
	if (cp.tcp6) {
		p = lo_pkt(6, IPPROTO_TCP, cp.tcp6, lport6, TCP_ACK);
		CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_OURS);
	}
	/* an ICMP error quoting the command's datagram takes its flow's verdict */
	struct pkt ic = lo_pkt(4, IPPROTO_ICMP, 0, 0, 0);
	ic.icmp.error = true;
	ic.icmp.q.ip = ic.icmp.q.ports = true;
	ic.icmp.q.ver = 4;
	ic.icmp.q.proto = IPPROTO_UDP;
	memcpy(ic.icmp.q.src, p0.src, 4);
	ic.icmp.q.src[0] = 127, ic.icmp.q.src[3] = 1;
	memcpy(ic.icmp.q.dst, ic.icmp.q.src, 4);
	ic.icmp.q.sport = cp.udp4;
	ic.icmp.q.dport = 53;
	CHECK_EQ_INT(cmdsock_packet(cs, &ic), CMDSOCK_OURS);
	ic.icmp.q.dport = 54; /* a flow never seen */
	CHECK_EQ_INT(cmdsock_packet(cs, &ic), CMDSOCK_UNKNOWN);

	/* another program's connection (the test's own, both ends) */
	int mine = lo_connect(4, lport4);
	int a3 = accept(l4, NULL, NULL);
	CHECK(mine >= 0 && a3 >= 0);
	p = lo_pkt(4, IPPROTO_TCP, port_of(mine), lport4, TCP_SYN);
	CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_OTHER);
	/* no socket at either end */
	p = lo_pkt(4, IPPROTO_TCP, 1, 2, TCP_SYN);
	CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_UNKNOWN);
	/* not TCP or UDP */
	p = lo_pkt(4, 47, 0, 0, 0);
	CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_UNKNOWN);

	struct cmdsock_stats st;
	cmdsock_stats(cs, &st);
	CHECK(st.scans >= 1);
	CHECK(st.n_procs >= 2); /* the command and its orphan */
	CHECK_EQ_INT(st.unreadable, 0);

	/* the command ends: its cached flows keep their verdict, a new SYN is looked up again */
	close(down[1]);
	int ws;
	CHECK(waitpid(pid, &ws, 0) == pid);
	while (waitpid(-1, &ws, 0) > 0) /* the orphan */
		;
	p = lo_pkt(4, IPPROTO_TCP, cp.tcp4, lport4, TCP_ACK);
	CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_OURS);
	p = lo_pkt(4, IPPROTO_TCP, port_of(mine), lport4, TCP_SYN);
	CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_OTHER);
	/* long idle: a TCP flow keeps its verdict (its other end, ours, is
	 * still open); a UDP flow whose socket is gone keeps it too */
	p = lo_pkt(4, IPPROTO_TCP, lport4, cp.tcp4, TCP_FIN | TCP_ACK);
	p.ts_us += 60 * 1000000LL;
	CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_OURS);
	p = lo_pkt(4, IPPROTO_UDP, 40000, cp.udp4, 0);
	p.ts_us += 60 * 1000000LL;
	CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_OURS);
	/* ... but once another program holds the idle UDP port (and the
	 * peer's, both here on loopback), it is its */
	int u = socket(AF_INET, SOCK_DGRAM, 0), peer = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ua = { .sin_family = AF_INET, .sin_port = htons(cp.udp4) };
	ua.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(u >= 0 && bind(u, (struct sockaddr *)&ua, sizeof(ua)) == 0);
	ua.sin_port = htons(40000);
	if (peer >= 0 && bind(peer, (struct sockaddr *)&ua, sizeof(ua)) == 0) {
		p = lo_pkt(4, IPPROTO_UDP, 40000, cp.udp4, 0);
		p.ts_us += 120 * 1000000LL;
		CHECK_EQ_INT(cmdsock_packet(cs, &p), CMDSOCK_OTHER);
	} /* else port 40000 is taken here: nothing to learn */
	close(u);
	if (peer >= 0)
		close(peer);

	close(mine);
	close(a1);
	close(a2);
	close(a3);
	close(a4);
	close(l4);
	if (l6 >= 0)
		close(l6);
	cmdsock_close(cs);
	return t_done("cmdsock");
}
