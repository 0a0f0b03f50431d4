/* main.c - command line, privileges, signals: wires the capture to the tracer. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "pkt.h"
#include "trace.h"

#ifndef FT_VERSION
#define FT_VERSION "0.0.0"
#endif

/* Live capture's filter when none is given: DNS and the web ports. */
#define DEFAULT_LIVE_FILTER                                                          \
	"udp port 53 or tcp port 53 or tcp port 80 or tcp port 443 or tcp port 8080 " \
	"or tcp port 8000 or tcp port 8443 or udp port 443"

#define DEFAULT_SNAPLEN 262144
/* Kernel buffer for live capture.  Immediate mode gives each packet a
 * slot as large as the snap length (on "any", which has no MTU, 256 KiB),
 * so libpcap's 2 MiB default holds only a few packets and a burst such as
 * a FIN exchange is dropped by the kernel. */
#define DEFAULT_BUFFER_KIB 16384
#define CMD_GRACE_MS 500  /* capture this long after a traced command exits (its last ACKs) */

struct opts {
	const char *read_file;   /* -r */
	const char *iface;       /* -i */
	const char *write_file;  /* -w */
	const char *user;        /* -Z */
	long count;              /* -c, 0 = no limit */
	int snaplen;             /* -s */
	int buffer_kib;          /* -B */
	bool list;               /* -D */
	bool line_buf;           /* -l: flush stdout after every line */
	int n_t;                 /* how many -t */
	char filter[4096];       /* trailing arguments joined */
	char **cmd;              /* after "--": a command to run and trace, or NULL */
	struct out_opts out;
	uint32_t max_conns;      /* --max-conns */
};

static struct cap *g_cap; /* for the signal handler only */

static void on_signal(int sig)
{
	(void)sig;
	cap_break(g_cap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fetchtrace [-Dlnq] [-r file] [-i interface] [-w file] [-c count] [-s snaplen]\n"
		"                  [-B KiB] [-Z user] [-t|-tt|-ttt] [--all] [--color=WHEN]\n"
		"                  [--max-conns N] [expression] [-- command args...]\n"
		"\n"
		"Print every packet of a web fetch with the step it belongs to:\n"
		"resolve (DNS), connect (handshake), write (request), read (response), close (FIN/RST).\n"
		"\n"
		"  -r FILE       read a pcap or pcapng file ('-' = standard input)\n"
		"  -i IFACE      capture live on IFACE ('any' for all); default: first up non-loopback\n"
		"  -D            list the interfaces that can be captured on\n"
		"  -l            flush every line (the default for live capture and terminals)\n"
		"  -q            quiet: no packet lines, only the end-of-run summary\n"
		"  -w FILE       also save the raw packets to FILE (pcap)\n"
		"  -c N          stop after N packets\n"
		"  -s SNAPLEN    bytes to capture per packet (default %d)\n"
		"  -B KiB        kernel capture buffer size (default %d)\n"
		"  -Z USER       drop privileges to USER after opening the capture\n"
		"  -n            accepted for tcpdump habits: fetchtrace never resolves addresses\n"
		"  -tt / -ttt    absolute time stamps / time since the previous packet\n"
		"  --all         also print packets that belong to no fetch (step 'other')\n"
		"  --timeline    draw each exchange's timings as a waterfall at the end\n"
		"  --ladder[=mermaid]  a sequence diagram of the packets (text, or Mermaid)\n"
		"  --color=WHEN  auto (default), always, never; NO_COLOR is honoured\n"
		"  --json        JSON lines: one object per packet, fetch start, connection, summary\n"
		"  --max-conns N connections tracked at once (default %d)\n"
		"  --help, --version\n"
		"  expression    a BPF filter; live default: DNS and TCP 80/443/8000/8080/8443, UDP 443\n"
		"  -- CMD ARGS   run CMD (as the user behind sudo), trace its fetches (on 'any' unless\n"
		"                -i), stop shortly after it exits, and exit with its status\n",
		DEFAULT_SNAPLEN, DEFAULT_BUFFER_KIB, TRACE_DEFAULT_MAX_CONNS);
}

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "fetchtrace: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see fetchtrace --help)\n");
	exit(2);
}

static long parse_num(const char *s, const char *what, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "fetchtrace: bad %s '%s' (expected %ld..%ld)\n",
			what, s, lo, hi);
		exit(2);
	}
	return v;
}

enum {
	OPT_ALL = 256, OPT_COLOR, OPT_HELP, OPT_VERSION, OPT_MAXCONNS, OPT_JSON, OPT_TIMELINE,
	OPT_LADDER, OPT_EXPLAIN, OPT_LANG, OPT_HAR,
};

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		{ "color", optional_argument, NULL, OPT_COLOR },
		{ "colour", optional_argument, NULL, OPT_COLOR },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "max-conns", required_argument, NULL, OPT_MAXCONNS },
		{ "timeline", no_argument, NULL, OPT_TIMELINE },
		{ "ladder", optional_argument, NULL, OPT_LADDER },
		{ "explain", no_argument, NULL, OPT_EXPLAIN },
		{ "lang", required_argument, NULL, OPT_LANG },
		{ "har", required_argument, NULL, OPT_HAR },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const char *color = "auto";
	int ch;
	memset(o, 0, sizeof(*o));
	/* "fetchtrace [options] [expression] -- COMMAND ARGS...": what follows
	 * the first "--" is the command, whatever it looks like. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") != 0)
			continue;
		if (i + 1 >= argc)
			die_usage("'--' must be followed by a command to trace%s", "");
		o->cmd = argv + i + 1;
		argc = i;
		break;
	}
	o->snaplen = DEFAULT_SNAPLEN;
	o->buffer_kib = DEFAULT_BUFFER_KIB;
	o->max_conns = TRACE_DEFAULT_MAX_CONNS;
	opterr = 0;
	/* '+': stop at the first non-option, so the filter may use any words */
	while ((ch = getopt_long(argc, argv, "+r:i:w:c:s:B:DlnqZ:t", longs, NULL)) != -1) {
		switch (ch) {
		case 'r': o->read_file = optarg; break;
		case 'i': o->iface = optarg; break;
		case 'w': o->write_file = optarg; break;
		case 'c': o->count = parse_num(optarg, "packet count", 1, LONG_MAX); break;
		case 's': {
			long v = parse_num(optarg, "snap length", 0, DEFAULT_SNAPLEN);
			o->snaplen = v == 0 ? DEFAULT_SNAPLEN : (int)v; /* 0 = default, as tcpdump */
			break;
		}
		case 'B': /* KiB; libpcap takes bytes as an int */
			o->buffer_kib = (int)parse_num(optarg, "buffer size", 1, INT_MAX / 1024);
			break;
		case 'D': o->list = true; break;
		case 'l': o->line_buf = true; break;
		case 'q': o->out.quiet = true; break;
		case 'n': break;
		case 'Z': o->user = optarg; break;
		case 't': o->n_t++; break;
		case OPT_ALL: o->out.all = true; break;
		case OPT_JSON: o->out.format = OUT_JSON; break;
		case OPT_COLOR: color = optarg ? optarg : "always"; break;
		case OPT_HELP: usage(stdout); exit(0);
		case OPT_VERSION: printf("fetchtrace %s\n", FT_VERSION); exit(0);
		case OPT_TIMELINE: o->out.timeline = true; break;
		case OPT_EXPLAIN: o->out.explain = true; break;
		case OPT_LANG:
			if (strcmp(optarg, "en") && strcmp(optarg, "ko"))
				die_usage("bad --lang value '%s' (en or ko)", optarg);
			o->out.lang = optarg;
			break;
		case OPT_HAR: o->out.har_path = optarg; break;
		case OPT_LADDER:
			if (!optarg || !strcmp(optarg, "text"))
				o->out.format = OUT_LADDER;
			else if (!strcmp(optarg, "mermaid"))
				o->out.format = OUT_LADDER_MERMAID;
			else
				die_usage("bad --ladder value '%s' (text or mermaid)", optarg);
			break;
		case OPT_MAXCONNS:
			o->max_conns = (uint32_t)parse_num(optarg, "connection cap", 16, 1 << 24);
			break;
		case '?':
		default:
			if (optopt && optopt < 256)
				fprintf(stderr, "fetchtrace: %s -%c (see fetchtrace --help)\n",
					strchr("rwicsBZ", optopt) ? "missing argument for"
								   : "unknown option",
					optopt);
			else
				fprintf(stderr, "fetchtrace: unknown option '%s' (see fetchtrace --help)\n",
					argv[optind - 1]);
			exit(2);
		}
	}
	if (o->n_t >= 3)
		o->out.ts_mode = TS_DELTA;
	else if (o->n_t == 2)
		o->out.ts_mode = TS_ABSOLUTE;
	if (o->read_file && o->iface)
		die_usage("-r and -i cannot be used together%s", "");
	if (o->read_file && o->cmd)
		die_usage("a command is traced live: it cannot be used with -r%s", "");

	if (!strcmp(color, "always")) {
		o->out.color = true;
	} else if (!strcmp(color, "never")) {
		o->out.color = false;
	} else if (!strcmp(color, "auto")) {
		const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
		o->out.color = isatty(STDOUT_FILENO) && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
	} else {
		die_usage("bad --color value '%s' (auto, always or never)", color);
	}

	size_t len = 0;
	for (int i = optind; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (len + n + 2 > sizeof(o->filter))
			die_usage("filter expression too long%s", "");
		if (len)
			o->filter[len++] = ' ';
		memcpy(o->filter + len, argv[i], n);
		len += n;
		o->filter[len] = '\0';
	}
}

/*
 * Give up root once the capture is open: to -Z USER, or to the user
 * behind sudo.  Real, effective and saved ids all change (setgroups
 * first, then gid, then uid), so nothing can be taken back.
 */
static int drop_privileges(const char *user)
{
	if (geteuid() != 0)
		return 0;
	uid_t uid;
	gid_t gid;
	const char *name = NULL;
	if (user) {
		struct passwd *pw = getpwnam(user);
		if (!pw) {
			fprintf(stderr, "fetchtrace: -Z %s: no such user\n", user);
			return -1;
		}
		uid = pw->pw_uid, gid = pw->pw_gid, name = pw->pw_name;
	} else {
		const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
		if (!su || !sg)
			return 0; /* started as root, not through sudo: stay, as tcpdump does */
		char *e1, *e2;
		unsigned long u = strtoul(su, &e1, 10), g = strtoul(sg, &e2, 10);
		if (*e1 || *e2 || e1 == su || e2 == sg) {
			fprintf(stderr, "fetchtrace: bad SUDO_UID/SUDO_GID\n");
			return -1;
		}
		uid = (uid_t)u, gid = (gid_t)g;
		if (uid == 0)
			return 0;
		struct passwd *pw = getpwuid(uid);
		name = pw ? pw->pw_name : NULL;
	}
	if ((name ? initgroups(name, gid) : setgroups(0, NULL)) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0) {
		fprintf(stderr, "fetchtrace: cannot drop privileges to uid %u: %s\n", (unsigned)uid,
			strerror(errno));
		return -1;
	}
	uid_t r, e, s;
	if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid || setuid(0) == 0) {
		fprintf(stderr, "fetchtrace: privileges not dropped\n");
		return -1;
	}
	return 0;
}

struct run_ctx {
	struct tracer *t;
	int dlt;
};

static void on_packet(void *ctx, const uint8_t *data, uint32_t cap_len, uint32_t wire_len,
		      int64_t ts_us)
{
	struct run_ctx *r = ctx;
	trace_packet(r->t, r->dlt, data, cap_len, wire_len, ts_us);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Run cmd (privileges are already dropped: it runs as the user behind
 * sudo, or -Z USER) while the capture runs; stop CMD_GRACE_MS after it
 * exits.  *status gets its exit status (128 + signal when killed, 127 when
 * it could not be run).  Returns as cap_run does.
 */
static int run_command(struct cap *cap, char **cmd, struct run_ctx *rc, char *errbuf,
		       int *status)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(errbuf, CAP_ERRBUF_SIZE, "cannot start %s: %s", cmd[0], strerror(errno));
		return -1;
	}
	if (pid == 0) {
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGINT, &dfl, NULL);
		sigaction(SIGTERM, &dfl, NULL);
		execvp(cmd[0], cmd);
		fprintf(stderr, "fetchtrace: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	int st = 0, ws;
	bool exited = false;
	int64_t stop_at = 0;
	/* Bounded by the command: it exits (or is stopped with ^C), then the grace time. */
	for (;;) {
		int n = cap_poll(cap, 100, on_packet, rc, errbuf);
		if (n == -1) {
			st = -1;
			break;
		}
		if (!exited && waitpid(pid, &ws, WNOHANG) == pid) {
			exited = true;
			stop_at = now_ms() + CMD_GRACE_MS;
		}
		if (n == -2 || (exited && now_ms() >= stop_at))
			break;
	}
	if (!exited) {
		kill(pid, SIGTERM); /* we were stopped first: so is the command */
		exited = waitpid(pid, &ws, 0) == pid;
	}
	if (exited)
		*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 1;
	return st;
}

int main(int argc, char **argv)
{
	struct opts o;
	char errbuf[CAP_ERRBUF_SIZE] = "";
	parse_args(argc, argv, &o);

	if (o.list) {
		if (cap_list_devices(stdout, errbuf) < 0) {
			fprintf(stderr, "fetchtrace: %s\n", errbuf);
			return 1;
		}
		return 0;
	}

	struct cap *cap;
	char devbuf[256];
	bool live = !o.read_file;
	if (live) {
		if (!o.iface && o.cmd) {
			/* a command may fetch over loopback or any interface */
			snprintf(devbuf, sizeof(devbuf), "any");
			o.iface = devbuf;
		}
		if (!o.iface) {
			if (!cap_default_device(devbuf, sizeof(devbuf), errbuf)) {
				fprintf(stderr, "fetchtrace: %s\n", errbuf);
				return 1;
			}
			o.iface = devbuf;
		}
		bool perm;
		cap = cap_open_live(o.iface, o.snaplen, o.buffer_kib, errbuf, &perm);
		if (!cap) {
			if (perm)
				fprintf(stderr, "fetchtrace: %s; run it with sudo, or allow capture once: "
						"sudo setcap cap_net_raw,cap_net_admin+eip %s\n",
					errbuf, argv[0]);
			else
				fprintf(stderr, "fetchtrace: %s\n", errbuf);
			return 1;
		}
		if (drop_privileges(o.user) != 0) {
			cap_close(cap);
			return 1;
		}
	} else {
		if (drop_privileges(o.user) != 0)
			return 1;
		cap = cap_open_file(o.read_file, errbuf);
		if (!cap) {
			/* libpcap names the file in some messages, not in others */
			size_t n = strlen(o.read_file);
			if (strncmp(errbuf, o.read_file, n) == 0 && errbuf[n] == ':')
				fprintf(stderr, "fetchtrace: %s\n", errbuf);
			else
				fprintf(stderr, "fetchtrace: %s: %s\n", o.read_file, errbuf);
			return 1;
		}
	}

	int dlt = cap_datalink(cap);
	if (!pkt_link_supported(dlt)) {
		const char *nm = cap_datalink_name(dlt), *desc = cap_datalink_desc(dlt);
		fprintf(stderr,
			"fetchtrace: link type %d (%s%s%s) is not supported; supported: Ethernet, "
			"Linux cooked (SLL, SLL2), raw IP, BSD loopback\n",
			dlt, nm ? nm : "unknown", desc ? ", " : "", desc ? desc : "");
		cap_close(cap);
		return 1;
	}
	const char *filter = o.filter[0] ? o.filter : (live ? DEFAULT_LIVE_FILTER : NULL);
	if (filter && !cap_set_filter(cap, filter, errbuf)) {
		fprintf(stderr, "fetchtrace: %s\n", errbuf);
		cap_close(cap);
		return 1;
	}
	/* After the privilege drop, so the file belongs to the user. */
	if (o.write_file && !cap_dump_open(cap, o.write_file, errbuf)) {
		fprintf(stderr, "fetchtrace: -w %s: %s\n", o.write_file, errbuf);
		cap_close(cap);
		return 1;
	}

	/* A terminal, a live capture and -l see each line at once; reading a
	 * file into a pipe or file gets big writes. */
	static char outbuf[1 << 16];
	bool lines = o.line_buf || live || isatty(STDOUT_FILENO);
	setvbuf(stdout, outbuf, lines ? _IOLBF : _IOFBF, sizeof(outbuf));

	struct tracer *t = trace_open(stdout, &o.out, o.max_conns);
	if (!t) {
		fprintf(stderr, "fetchtrace: out of memory\n");
		cap_close(cap);
		return 1;
	}
	if (live)
		fprintf(stderr, "fetchtrace: listening on %s, link type %s, snapshot length %d bytes\n",
			o.iface, cap_datalink_name(dlt) ? cap_datalink_name(dlt) : "?",
			cap_snaplen(cap));
	/* SIGINT/SIGTERM end the loop; the summary still prints (and, live, the statistics). */
	g_cap = cap;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct run_ctx rc = { t, dlt };
	int cmd_status = -1;
	int st = o.cmd ? run_command(cap, o.cmd, &rc, errbuf, &cmd_status)
		       : cap_run(cap, o.count, on_packet, &rc, errbuf);
	int rv = trace_finish(t) < 0 ? 1 : 0;
	if (st < 0) {
		fprintf(stderr, "fetchtrace: %s: %s\n", o.read_file ? o.read_file : o.iface, errbuf);
		rv = 1;
	}
	if (live) {
		uint64_t recv, drop, ifdrop;
		if (cap_stats(cap, &recv, &drop, &ifdrop))
			fprintf(stderr,
				"%llu packets received by filter\n%llu packets dropped by kernel\n"
				"%llu packets dropped by interface\n",
				(unsigned long long)recv, (unsigned long long)drop,
				(unsigned long long)ifdrop);
	}
	g_cap = NULL;
	cap_close(cap);
	if (fflush(stdout) != 0 && rv == 0) {
		fprintf(stderr, "fetchtrace: writing output: %s\n", strerror(errno));
		rv = 1;
	}
	/* A traced command's status is ours: the shell sees what it would have. */
	if (o.cmd && cmd_status >= 0)
		return cmd_status;
	return rv;
}
