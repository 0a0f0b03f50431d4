/* main.c - command line, privileges, signals: wires the capture to the tracer. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "calls.h"
#include "capture.h"
#include "focus.h"
#include "cmdsock.h"
#include "keylog.h"
#include "out_har.h"
#include "out_note.h"
#include "pkt.h"
#include "tlslayer.h"
#include "trace.h"

#ifndef FT_VERSION
#define FT_VERSION "0.0.0"
#endif

/*
 * Live capture's filter when none is given: DNS and the web ports, and the
 * ICMP errors that may quote them (destination unreachable, which holds
 * IPv4's "fragmentation needed", and time exceeded; ICMPv6 destination
 * unreachable, packet too big, time exceeded).  BPF cannot look into every
 * quote, so the tracer drops the errors that quote nothing of ours (they
 * are "other": shown with --all).  ip6[40] is the ICMPv6 type when no
 * extension header comes first, which is what `icmp6` itself matches.
 * Echo (ping) stays out.
 */
#define DEFAULT_LIVE_FILTER                                                          \
	"udp port 53 or tcp port 53 or tcp port 80 or tcp port 443 or tcp port 8080 " \
	"or tcp port 8000 or tcp port 8443 or udp port 443 "                          \
	"or icmp[icmptype] == icmp-unreach or icmp[icmptype] == icmp-timxceed "       \
	"or (icmp6 and (ip6[40] == 1 or ip6[40] == 2 or ip6[40] == 3))"

/* `-- CMD` without --all shows the command's own sockets only, whatever
 * their port (a test server on 18081 is the command's fetch too): all TCP
 * and UDP, with the same ICMP errors. */
#define DEFAULT_CMD_FILTER                                                          \
	"tcp or udp "                                                                 \
	"or icmp[icmptype] == icmp-unreach or icmp[icmptype] == icmp-timxceed "       \
	"or (icmp6 and (ip6[40] == 1 or ip6[40] == 2 or ip6[40] == 3))"

#define DEFAULT_SNAPLEN 262144
#define BRIEF_COLS 100   /* --brief: a compact line's width at most */
#define FULL_COLS 132    /* a terminal narrower than this gets compact lines (-v: not) */
/* Kernel buffer for live capture.  Immediate mode gives each packet a
 * slot as large as the snap length (on "any", which has no MTU, 256 KiB),
 * so libpcap's 2 MiB default holds only a few packets and a burst such as
 * a FIN exchange is dropped by the kernel. */
#define DEFAULT_BUFFER_KIB 16384
#define CMD_GRACE_MS 500  /* capture this long after a traced command exits (its last ACKs) */
#define CMD_KILL_MS 2000  /* a command asked to stop is killed (its group) this much later */
#define DUMP_DELAY_US 1000000            /* live -w pcapng: packets wait this long for their secrets */
#define DUMP_DELAY_BYTES (8u << 20)     /* or until this many bytes are held */

/* One -r FILE or -V LIST, in the order given. */
struct src_arg {
	bool list;               /* -V: a file naming a capture per line */
	const char *arg;
};

struct opts {
	const char *read_file;   /* the first -r or -V: files are read */
	struct src_arg *srcs;    /* every -r and -V, in order */
	size_t n_srcs;
	const char *iface;       /* -i */
	const char *write_file;  /* -w */
	const char *user;        /* -Z */
	const char *keylog;      /* --keylog FILE */
	const char *notes_file;  /* --annotations FILE */
	bool pcapng;             /* --pcapng, or -w FILE.pcapng */
	bool no_secrets;         /* --no-secrets */
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
	const char *fetch[FOCUS_MAX_ARGS]; /* --fetch, out.n_fetch of them */
	enum calls_mode calls;   /* --calls: the socket calls of -- CMD / --pid */
	long pid;                /* --pid PID, 0 none */
};

static struct cap *g_cap;                 /* for the signal handler only */
static struct src_arg *g_srcs;            /* opts.srcs, freed at exit (inputs_free) */
static volatile sig_atomic_t g_signal;   /* the last SIGINT/SIGTERM/SIGHUP, 0 = none */
static volatile sig_atomic_t g_n_signals; /* how many arrived (a traced command gets each) */

static void on_signal(int sig)
{
	g_signal = sig;
	g_n_signals = g_n_signals + 1;
	cap_break(g_cap);
}

enum {
	OPT_ALL = 256, OPT_COLOR, OPT_HELP, OPT_VERSION, OPT_MAXCONNS, OPT_JSON, OPT_TIMELINE,
	OPT_LADDER, OPT_EXPLAIN, OPT_LANG, OPT_HAR, OPT_KEYLOG, OPT_PCAPNG, OPT_NO_SECRETS,
	OPT_ANNOTATIONS, OPT_BRIEF, OPT_NUMBER, OPT_NO_ACKS, OPT_FETCH, OPT_CALLS, OPT_PID,
};

/* Reading several files at once (each open until the end): at most this
 * many, or what the limit on open descriptors allows. */
#define MAX_INPUTS 65536

/*
 * Every option, once: getopt's short string and long table and --help are
 * all made from it, so the help cannot miss an option.  An entry whose
 * text is NULL is an alias, named in the text of the entry before it.
 */
struct opt_def {
	int val;          /* the short option letter, or OPT_* */
	const char *name; /* the long name, or NULL */
	int has_arg;      /* no_argument, required_argument, optional_argument */
	const char *usage; /* how --help writes it */
	const char *text;  /* what it does (one %d: dflt), or NULL for an alias */
	int dflt;
};

static const struct opt_def opt_defs[] = {
	{ 'r', NULL, required_argument, "-r FILE",
	  "read a pcap or pcapng file, pipe or FIFO ('-' = standard input);\n"
	  "                      repeated: merged by time", 0 },
	{ 'V', NULL, required_argument, "-V LIST",
	  "read the files LIST names, one per line ('-' = standard input), merged by time", 0 },
	{ 'i', NULL, required_argument, "-i IFACE",
	  "capture live on IFACE ('any' for all); default: first up non-loopback", 0 },
	{ 'D', NULL, no_argument, "-D", "list the interfaces that can be captured on", 0 },
	{ 'w', NULL, required_argument, "-w FILE",
	  "also save the raw packets to FILE (pcap; pcapng when FILE ends in .pcapng)", 0 },
	{ OPT_PCAPNG, "pcapng", no_argument, "--pcapng",
	  "-w writes pcapng: each packet commented with its step, fetch and note,\n"
	  "                      and the key log", 0 },
	{ OPT_NO_SECRETS, "no-secrets", no_argument, "--no-secrets",
	  "leave the key log out of a pcapng -w file (with it, its reader can decrypt)", 0 },
	{ OPT_ANNOTATIONS, "annotations", required_argument, "--annotations FILE",
	  "also write each packet's annotation (the pcapng comment) to FILE, a line each", 0 },
	{ 'c', NULL, required_argument, "-c N",
	  "stop after N packets (a traced command is stopped then too)", 0 },
	{ 's', NULL, required_argument, "-s SNAPLEN",
	  "bytes to capture per packet (default %d)", DEFAULT_SNAPLEN },
	{ 'B', NULL, required_argument, "-B KiB",
	  "kernel capture buffer size (default %d)", DEFAULT_BUFFER_KIB },
	{ 'Z', NULL, required_argument, "-Z USER",
	  "drop privileges to USER after opening the capture", 0 },
	{ 'l', NULL, no_argument, "-l",
	  "flush every line (the default for live capture and terminals)", 0 },
	{ 'q', NULL, no_argument, "-q", "quiet: no packet lines, only the end-of-run summary", 0 },
	{ 'n', NULL, no_argument, "-n",
	  "accepted for tcpdump habits: fetchtrace never resolves addresses", 0 },
	{ 't', NULL, no_argument, "-tt / -ttt",
	  "absolute time stamps / time since the previous packet", 0 },
	{ '#', NULL, no_argument, "-# / --number",
	  "start each packet line with its frame number (as Wireshark's)", 0 },
	{ OPT_NUMBER, "number", no_argument, NULL, NULL, 0 },
	{ OPT_BRIEF, "brief", no_argument, "--brief",
	  "compact lines, 100 columns at most (automatic on a terminal under %d)", FULL_COLS },
	{ 'v', NULL, no_argument, "-v", "full packet lines, even on a narrow terminal", 0 },
	{ OPT_NO_ACKS, "no-acks", no_argument, "--no-acks",
	  "fold bare ACKs into a count (\"3 ACKs\") on the line they follow", 0 },
	{ OPT_ALL, "all", no_argument, "--all",
	  "every packet: also those of no fetch (step 'other'), and with -- CMD\n"
	  "                      other programs'", 0 },
	{ OPT_FETCH, "fetch", required_argument, "--fetch NAME|N",
	  "show only fetches whose DNS name, CNAME, SNI or Host matches the glob NAME\n"
	  "                      ('*.example.com'), or fetch number N; repeatable", 0 },
	{ OPT_EXPLAIN, "explain", no_argument, "--explain",
	  "explain each step's first packet (the chapter's story)", 0 },
	{ OPT_LANG, "lang", required_argument, "--lang=en|ko",
	  "language of --explain and of --no-acks' counts (default: from the locale)", 0 },
	{ OPT_TIMELINE, "timeline", no_argument, "--timeline",
	  "draw each exchange's timings as a waterfall at the end", 0 },
	{ OPT_LADDER, "ladder", optional_argument, "--ladder[=mermaid]",
	  "a sequence diagram of the packets (text, or Mermaid)", 0 },
	{ OPT_JSON, "json", no_argument, "--json",
	  "JSON lines: one object per packet, fetch, connection, exchange, summary", 0 },
	{ OPT_HAR, "har", required_argument, "--har FILE",
	  "also write the exchanges to FILE as HAR 1.2", 0 },
	{ OPT_KEYLOG, "keylog", required_argument, "--keylog FILE",
	  "decrypt TLS with the key log FILE (SSLKEYLOGFILE; keep it secret);\n"
	  "                      -- CMD: keep it there",
	  0 },
	{ OPT_COLOR, "color", optional_argument, "--color[=WHEN]",
	  "auto (default), always, never (also --colour); NO_COLOR is honoured", 0 },
	{ OPT_COLOR, "colour", optional_argument, NULL, NULL, 0 },
	{ OPT_CALLS, "calls", required_argument, "--calls=HOW",
	  "-- CMD, --pid: measure socket calls with auto (eBPF, else ptrace),\n"
	  "                      bpf, ptrace (timings then include ptrace's overhead) or off", 0 },
	{ OPT_PID, "pid", required_argument, "--pid PID",
	  "trace the running process PID (its threads, the processes it starts)\n"
	  "                      until it exits; with ptrace: a process of your user (else CAP_SYS_PTRACE),\n"
	  "                      and Yama's kernel.yama.ptrace_scope 0 (1, 2: as root), not traced already", 0 },
	{ OPT_MAXCONNS, "max-conns", required_argument, "--max-conns N",
	  "connections tracked at once (default %d)", TRACE_DEFAULT_MAX_CONNS },
	{ OPT_HELP, "help", no_argument, "--help", "this text", 0 },
	{ OPT_VERSION, "version", no_argument, "--version", "the version", 0 },
};
#define N_OPT_DEFS (sizeof(opt_defs) / sizeof(opt_defs[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: fetchtrace [options] [expression] [-- command args...]\n"
		   "\n"
		   "Print every packet of a web fetch with the step it belongs to:\n"
		   "resolve (DNS), connect (handshake), write (request), read (response), close (FIN/RST).\n"
		   "\n");
	for (size_t i = 0; i < N_OPT_DEFS; i++) {
		const struct opt_def *d = &opt_defs[i];
		if (!d->text)
			continue;
		int w = fprintf(f, "  %s", d->usage);
		fprintf(f, "%*s", w < 22 ? 22 - w : 1, "");
		fprintf(f, d->text, d->dflt);
		fputc('\n', f);
	}
	fprintf(f, "  expression          a BPF filter; live default: DNS and TCP 80/443/8000/8080/8443,\n"
		   "                      UDP 443 (with -- CMD: every TCP and UDP port)\n"
		   "  -- CMD ARGS         run CMD (as the user behind sudo), trace its fetches (on 'any'\n"
		   "                      unless -i), stop shortly after it exits, exit with its status\n");
}

/*
 * Whatever went to stdout must have been written: flush, and check the
 * stream's error flag too (a write that failed long ago, e.g. to
 * /dev/full).  saved_errno: the cause when known, else 0.  Returns rv, or
 * 1 after one line on stderr.
 */
static int stdout_done(int rv, int saved_errno)
{
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = saved_errno ? saved_errno : errno ? errno : EIO; /* EIO: cause unknown */
		fprintf(stderr, "fetchtrace: error writing standard output: %s\n", strerror(e));
		return 1;
	}
	return rv;
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

/* The width of the terminal standard output is, 0 when it is not one:
 * TIOCGWINSZ, else COLUMNS (as ls does). */
static unsigned term_cols(void)
{
	if (!isatty(STDOUT_FILENO))
		return 0;
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	char *end;
	long v = c ? strtol(c, &end, 10) : 0;
	return c && *c && !*end && v > 0 && v < 10000 ? (unsigned)v : 0;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	struct option longs[N_OPT_DEFS + 1];
	char shorts[2 * N_OPT_DEFS + 2];
	size_t n_long = 0, n_short = 0;
	shorts[n_short++] = '+'; /* stop at the first non-option: the filter may use any words */
	for (size_t i = 0; i < N_OPT_DEFS; i++) {
		const struct opt_def *d = &opt_defs[i];
		if (d->name) {
			longs[n_long++] = (struct option){ d->name, d->has_arg, NULL, d->val };
		} else {
			shorts[n_short++] = (char)d->val;
			if (d->has_arg == required_argument)
				shorts[n_short++] = ':';
		}
	}
	shorts[n_short] = '\0';
	longs[n_long] = (struct option){ NULL, 0, NULL, 0 };
	const char *color = "auto";
	bool brief = false, verbose = false;
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
	o->calls = CALLS_AUTO;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		switch (ch) {
		case 'r':
		case 'V': {
			struct src_arg *v = realloc(o->srcs, (o->n_srcs + 1) * sizeof(*v));
			if (!v) {
				fprintf(stderr, "fetchtrace: out of memory\n");
				exit(1);
			}
			o->srcs = g_srcs = v;
			o->srcs[o->n_srcs++] = (struct src_arg){ ch == 'V', optarg };
			if (!o->read_file)
				o->read_file = optarg;
			break;
		}
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
		case '#': case OPT_NUMBER: o->out.number = true; break;
		case OPT_BRIEF: brief = true; break;
		case 'v': verbose = true; break;
		case OPT_NO_ACKS: o->out.no_acks = true; break;
		case OPT_ALL: o->out.all = true; break;
		case OPT_JSON: o->out.format = OUT_JSON; break;
		case OPT_COLOR: color = optarg ? optarg : "always"; break;
		case OPT_HELP: usage(stdout); exit(stdout_done(0, 0));
		case OPT_VERSION: printf("fetchtrace %s\n", FT_VERSION); exit(stdout_done(0, 0));
		case OPT_TIMELINE: o->out.timeline = true; break;
		case OPT_KEYLOG: o->keylog = optarg; break;
		case OPT_PCAPNG: o->pcapng = true; break;
		case OPT_NO_SECRETS: o->no_secrets = true; break;
		case OPT_ANNOTATIONS: o->notes_file = optarg; break;
		case OPT_EXPLAIN: o->out.explain = true; break;
		case OPT_FETCH: {
			const char *why;
			if (!focus_arg_ok(optarg, &why)) {
				fprintf(stderr, "fetchtrace: bad --fetch '%s': %s (see fetchtrace --help)\n",
					optarg, why);
				exit(2);
			}
			if (o->out.n_fetch == FOCUS_MAX_ARGS)
				die_usage("too many --fetch options (at most 32)%s", "");
			o->fetch[o->out.n_fetch++] = optarg;
			o->out.fetch = o->fetch;
			break;
		}
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
		case OPT_CALLS:
			o->calls = !strcmp(optarg, "auto") ? CALLS_AUTO : !strcmp(optarg, "bpf") ? CALLS_BPF
				 : !strcmp(optarg, "ptrace") ? CALLS_PTRACE : !strcmp(optarg, "off") ? CALLS_OFF
				 : (die_usage("bad --calls value '%s' (auto, bpf, ptrace or off)", optarg),
				    CALLS_OFF);
			break;
		case OPT_PID: o->pid = parse_num(optarg, "process id", 1, INT_MAX); break;
		case OPT_MAXCONNS:
			o->max_conns = (uint32_t)parse_num(optarg, "connection cap", 16, 1 << 24);
			break;
		case '?':
		default:
			if (optopt && optopt < 256)
				fprintf(stderr, "fetchtrace: %s -%c (see fetchtrace --help)\n",
					optopt != ':' && optopt != '+' && strchr(shorts, optopt)
						? "missing argument for"
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
	if (o->pid && (o->read_file || o->cmd))
		die_usage("--pid traces live, without a command%s", "");
	if (!o->cmd && !o->pid)
		o->calls = CALLS_OFF;

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

	/* Compact lines with --brief, or on a terminal too narrow for the
	 * full ones; -v keeps the full lines whatever the width. */
	unsigned cols = term_cols();
	if (!verbose && (brief || (cols && cols < FULL_COLS)))
		o->out.brief = cols && cols < BRIEF_COLS ? (cols < 40 ? 40 : cols) : BRIEF_COLS;

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

/* The user privileges were dropped to: a traced command runs as it, in its
 * environment (HOME, USER, LOGNAME, SHELL from its passwd entry). */
struct target_user {
	bool dropped;          /* privileges were dropped (to -Z USER or SUDO_UID) */
	bool have_pw;          /* the uid has a passwd entry: the strings below are set */
	char name[256];
	char home[PATH_MAX];
	char shell[PATH_MAX];
};

static void target_user_set(struct target_user *tu, const struct passwd *pw)
{
	tu->dropped = true;
	tu->have_pw = pw != NULL;
	if (pw) {
		snprintf(tu->name, sizeof(tu->name), "%s", pw->pw_name);
		snprintf(tu->home, sizeof(tu->home), "%s", pw->pw_dir);
		/* passwd(5): an empty shell field means /bin/sh */
		snprintf(tu->shell, sizeof(tu->shell), "%s",
			 pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
	}
}

/*
 * Give up root once the capture is open: to -Z USER, or to the user
 * behind sudo.  Real, effective and saved ids all change (setgroups
 * first, then gid, then uid), so nothing can be taken back.  *tu says to
 * whom.
 */
static int drop_privileges(const char *user, struct target_user *tu)
{
	memset(tu, 0, sizeof(*tu));
	if (geteuid() != 0)
		return 0;
	uid_t uid;
	gid_t gid;
	const char *name = NULL;
	struct passwd *pw;
	if (user) {
		pw = getpwnam(user);
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
		pw = getpwuid(uid);
		name = pw ? pw->pw_name : NULL;
	}
	target_user_set(tu, pw); /* before initgroups, which may reuse getpw*'s storage */
	if ((name ? initgroups(tu->name, gid) : setgroups(0, NULL)) != 0 ||
	    setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
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

/*
 * -- CMD without --keylog: a key log of the command's own, private (a
 * directory of mode 0700 under $TMPDIR or /tmp, the file 0600, both the
 * user's the command runs as: privileges are dropped by now), named to it
 * as SSLKEYLOGFILE, removed at exit.  With --keylog FILE, FILE is created
 * (0600) when missing and kept.  0, or -1 after a line on stderr.
 */
struct private_keylog {
	char dir[PATH_MAX - 16]; /* the private directory, "" none */
	char path[PATH_MAX];   /* the key log the command writes */
};

static int keylog_for_command(const char *keep, struct private_keylog *pk)
{
	pk->dir[0] = pk->path[0] = '\0';
	if (keep) {
		snprintf(pk->path, sizeof(pk->path), "%s", keep);
	} else {
		const char *tmp = getenv("TMPDIR");
		if (!tmp || tmp[0] != '/')
			tmp = "/tmp";
		if ((size_t)snprintf(pk->dir, sizeof(pk->dir), "%s/fetchtrace-XXXXXX", tmp) >=
			    sizeof(pk->dir) ||
		    !mkdtemp(pk->dir)) {
			fprintf(stderr, "fetchtrace: cannot make a private directory for the key log: %s\n",
				strerror(errno));
			pk->dir[0] = '\0';
			return -1;
		}
		snprintf(pk->path, sizeof(pk->path), "%s/sslkeylog", pk->dir);
	}
	mode_t old = umask(077);
	int fd = open(pk->path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC |
					(keep ? 0 : O_EXCL), 0600);
	umask(old);
	if (fd < 0) {
		fprintf(stderr, "fetchtrace: key log %s: %s\n", pk->path, strerror(errno));
		if (pk->dir[0])
			rmdir(pk->dir);
		pk->dir[0] = '\0';
		return -1;
	}
	close(fd);
	setenv("SSLKEYLOGFILE", pk->path, 1); /* the command inherits it */
	return 0;
}

/* The private key log goes at exit (a kept --keylog FILE stays). */
static void keylog_remove(struct private_keylog *pk)
{
	if (!pk->dir[0])
		return;
	unlink(pk->path);
	rmdir(pk->dir);
	pk->dir[0] = '\0';
}

struct run_ctx {
	struct tracer *t;
	int dlt;
	int out_errno; /* the first failed write to stdout (its errno), 0 = none */
	struct cap *cap;
	struct keylog *kl_dsb; /* the key log whose new lines go to the pcapng, or NULL */
	bool ng;               /* -w writes pcapng */
	FILE *notes;           /* --annotations FILE, or NULL */
	int notes_errno;       /* its first failed write */
	struct keylog **kl;    /* the key log in use (made for a pcapng's secrets if none) */
	bool keep_text;        /* the pcapng -w takes the key log's lines */
	struct calls *calls;   /* -- CMD / --pid: the socket calls, or NULL */
	struct cmdsock *cs;    /* -- CMD without --all: whose sockets the packets are, or NULL */
};

/* A pcapng input's TLS key log secrets block: the capture decrypts with it,
 * --keylog or not (the key log made at the first one). */
static void on_secrets(void *ctx, const uint8_t *text, size_t len)
{
	struct run_ctx *r = ctx;
	if (!*r->kl) {
		char klerr[KEYLOG_ERRBUF_SIZE] = "";
		if (!(*r->kl = keylog_new(0, TLSL_REFRESH_MS, klerr)))
			return; /* out of memory: the packets stay encrypted */
		if (r->keep_text) {
			keylog_keep_text(*r->kl);
			r->kl_dsb = *r->kl;
		}
		trace_set_keylog(r->t, *r->kl);
	}
	keylog_add_text(*r->kl, text, len);
}

/* After each packet's line: the tracer's verdict as the packet's pcapng
 * comment (out_note.c), and the key log lines learnt while decoding it
 * in a Decryption Secrets Block before it. */
static void on_event(void *ctx, const struct ev *e)
{
	struct run_ctx *r = ctx;
	char note[OUT_NOTE_MAX];
	size_t n = out_annotation(e, note, sizeof(note));
	if (e->released != EV_RELEASED_NONE)
		return;
	if (r->ng) {
		const uint8_t *text;
		size_t len = keylog_take_text(r->kl_dsb, &text);
		if (len)
			(void)cap_dump_secrets(r->cap, text, len); /* a failure stops the loop */
		cap_dump_note(r->cap, note, n);
	}
	if (r->notes && (fwrite(note, 1, n, r->notes) != n || putc('\n', r->notes) == EOF) &&
	    !r->notes_errno)
		r->notes_errno = errno ? errno : EIO;
}

/* Live -w pcapng, before held packets are written: the key log re-read
 * (the lines the program wrote meanwhile) and its new lines as a Decryption
 * Secrets Block, so that they precede the packets they unlock. */
static void on_dump_hold(void *ctx)
{
	struct run_ctx *r = ctx;
	if (!r->kl_dsb)
		return;
	(void)keylog_refresh(r->kl_dsb, 0); /* live: not rate limited; an error is the tracer's */
	const uint8_t *text;
	size_t len = keylog_take_text(r->kl_dsb, &text);
	if (len)
		(void)cap_dump_secrets(r->cap, text, len); /* a failure stops the loop */
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static void on_cap_release(void *ctx)
{
	trace_release(ctx);
}

static void on_packet(void *ctx, const uint8_t *data, uint32_t cap_len, uint32_t wire_len,
		      int64_t ts_us)
{
	struct run_ctx *r = ctx;
	if (r->cs) {
		/* -- CMD: only the command's own packets are traced; the others
		 * are counted, and not written to -w either. */
		struct pkt p;
		pkt_decode(r->dlt, data, cap_len, wire_len, ts_us, &p);
		enum cmdsock_verdict v = cmdsock_packet(r->cs, &p);
		/* a socket gone before the lookup: the measured calls may know it */
		if (v == CMDSOCK_UNKNOWN && r->calls && (p.proto == 6 || p.proto == 17) &&
		    calls_owns(r->calls, p.proto == 17, p.sport, p.dport))
			v = CMDSOCK_OURS;
		if (v != CMDSOCK_OURS) {
			trace_hide_packet(r->t, v == CMDSOCK_UNKNOWN);
			cap_dump_skip(r->cap);
			return;
		}
	}
	if (cap_is_pcapng(r->cap)) {
		const uint8_t *cp[EV_MAX_COMMENTS];
		size_t cl[EV_MAX_COMMENTS];
		unsigned nc = cap_packet_comments(r->cap, cp, cl, EV_MAX_COMMENTS);
		if (nc)
			trace_set_comments(r->t, nc, cp, cl);
		uint32_t if_id = 0;
		const uint8_t *if_name = NULL;
		size_t if_len = 0;
		if (cap_packet_iface(r->cap, &if_id, &if_name, &if_len))
			trace_set_iface(r->t, true, if_id, if_name, if_len);
	}
	int dlt = cap_is_pcapng(r->cap) ? cap_packet_dlt(r->cap) : r->dlt;
	uint64_t frame = cap_packet_frame(r->cap);
	if (r->calls) /* in time order with the calls */
		calls_packet(r->calls, dlt, data, cap_len, wire_len, ts_us, frame);
	else {
		trace_set_frame(r->t, frame);
		if (cap_packet_kept(r->cap))
			trace_set_kept(r->t);
		trace_packet(r->t, dlt, data, cap_len, wire_len, ts_us);
	}
	trace_set_comments(r->t, 0, NULL, NULL); /* they were this packet's only */
	trace_set_iface(r->t, false, 0, NULL, 0);
	/* Output that cannot be written ends the run (as tcpdump), whatever is left to read. */
	if (ferror(stdout) && !r->out_errno) {
		r->out_errno = errno ? errno : EIO;
		cap_break(g_cap);
	}
}

/* Live: the tracer has handed over every packet captured so far. */
static void on_idle(void *ctx)
{
	struct run_ctx *r = ctx;
	if (fflush(stdout) != 0 && !r->out_errno) {
		r->out_errno = errno ? errno : EIO;
		cap_break(g_cap);
	}
}

/* Live drops as they happen: a line on the output (cap_set_drop_cb). */
static void on_drops(void *ctx, const uint64_t new_drops[3], const uint64_t total[3])
{
	struct run_ctx *r = ctx;
	trace_drops(r->t, new_drops, total);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: close every descriptor above 2 (the capture socket, libpcap's
 * eventfd, the -w file), whatever set close-on-exec on them or forgot to. */
static void close_above_stderr(void)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
#endif
	/* No close_range (Linux before 5.9): every possible descriptor, bounded
	 * by the limit on them. */
	struct rlimit rl;
	long max = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = (long)rl.rlim_cur;
	if (max > 1L << 20)
		max = 1L << 20;
	for (long fd = 3; fd < max; fd++)
		close((int)fd);
}

/* In the child: the target user's HOME, USER, LOGNAME and SHELL, not root's. */
static void child_env(const struct target_user *tu)
{
	if (!tu->dropped)
		return; /* still root, started without sudo: root's environment is right */
	if (tu->have_pw) {
		setenv("HOME", tu->home, 1);
		setenv("USER", tu->name, 1);
		setenv("LOGNAME", tu->name, 1);
		setenv("SHELL", tu->shell, 1);
	} else { /* a SUDO_UID without a passwd entry: better nothing than root's */
		unsetenv("HOME");
		unsetenv("USER");
		unsetenv("LOGNAME");
		unsetenv("SHELL");
	}
}

/* Send sig to the command's process group (it and what it started), and
 * SIGCONT so a stopped one gets it. */
static void signal_command(pid_t pid, int sig)
{
	kill(-pid, sig);
	if (sig != SIGKILL && sig != SIGCONT)
		kill(-pid, SIGCONT);
}

/*
 * Run cmd (privileges are already dropped: it runs as the user behind
 * sudo, or -Z USER) in its own process group while the capture runs.
 * It ends the run when it exits (CMD_GRACE_MS later, for its last
 * packets); a signal to fetchtrace is passed on to it, and -c, a write
 * error or a capture error stop it with SIGTERM; whatever still runs
 * CMD_KILL_MS after that is killed, so the wait is bounded.  *status gets
 * its exit status (128 + signal when killed, 127 when it could not be
 * run).  Returns -1 on a capture error (errbuf), else 0.
 */
/* When standard input is a terminal whose foreground process group is
 * `from`, make it `to` (as a shell does for a job).  SIGTTOU is blocked
 * meanwhile: a caller not in the foreground would be stopped by it.  True
 * when the terminal changed hands. */
static bool tty_move(pid_t from, pid_t to)
{
	if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != from)
		return false;
	sigset_t ttou, old;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	bool ok = tcsetpgrp(STDIN_FILENO, to) == 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ok;
}

/* As a child subreaper: the command's orphans that ended, reaped (not the
 * command itself, whose status its own waitpid takes).  Bounded. */
static void reap_orphans(pid_t cmd)
{
	for (int i = 0; i < 64; i++) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0 ||
		    si.si_pid == cmd)
			return;
		(void)waitpid(si.si_pid, NULL, 0);
	}
}

static int run_command(struct cap *cap, char **cmd, const struct target_user *tu,
		       struct run_ctx *rc, char *errbuf, int *status)
{
	fflush(stdout);
	fflush(stderr);
	pid_t our_pgrp = getpgrp();
	/* What the command starts stays below us, even when its parent exits
	 * (a daemonising helper): the process tree whose sockets are traced. */
	if (rc->cs)
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	pid_t pid = rc->calls ? calls_fork(rc->calls) : fork();
	if (pid < 0) {
		snprintf(errbuf, CAP_ERRBUF_SIZE, "cannot start %s: %s", cmd[0], strerror(errno));
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		tty_move(our_pgrp, getpid()); /* before exec, whichever of the two runs first */
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGINT, &dfl, NULL);
		sigaction(SIGTERM, &dfl, NULL);
		sigaction(SIGHUP, &dfl, NULL);
		child_env(tu);
		close_above_stderr();
		execvp(cmd[0], cmd);
		fprintf(stderr, "fetchtrace: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* as the child does: whichever runs first, the group exists */
	if (rc->cs)
		cmdsock_start(rc->cs, pid, getuid());
	/* On a terminal the command's group becomes the foreground job, as a
	 * shell would make it: it can read the terminal (not stopped by
	 * SIGTTIN), and ^C and ^Z reach it directly. */
	tty_move(our_pgrp, pid);
	int st = 0, ws = 0, n_fwd = 0;
	bool exited = false, stopping = false, capturing = true;
	int64_t stop_at = 0, kill_at = 0;
	/* Bounded: the command exits, or is asked to stop and killed CMD_KILL_MS
	 * later; then CMD_GRACE_MS of capture. */
	for (;;) {
		int n = 0;
		if (capturing) {
			n = cap_poll(cap, 100, on_packet, rc, errbuf);
			if (n == -1) {
				st = -1;
				capturing = false;
			}
			if (rc->calls)
				calls_tick(rc->calls);
		} else {
			struct timespec nap = { 0, 50 * 1000000L };
			nanosleep(&nap, NULL);
		}
		/* each signal fetchtrace got goes to the command, as a terminal's would */
		int n_sig = g_n_signals, sig = g_signal;
		for (; n_fwd < n_sig; n_fwd++)
			if (!exited)
				signal_command(pid, sig);
		if (!stopping && (n_sig || n == -1 || n == -2)) {
			stopping = true;
			if (!exited && !n_sig)
				signal_command(pid, SIGTERM); /* -c, or output or capture failed */
			kill_at = now_ms() + CMD_KILL_MS;
			if (n == -2 && !n_sig)
				capturing = false; /* -c: the packets asked for are in */
		}
		pid_t w = exited ? 0 : waitpid(pid, &ws, WNOHANG | WUNTRACED);
		reap_orphans(pid);
		if (w == pid && WIFSTOPPED(ws)) {
			/* ^Z stopped the command: stop too, as the job it is part
			 * of; on `fg`, give it the terminal back and continue it. */
			tty_move(pid, our_pgrp);
			kill(0, SIGTSTP); /* our whole group: the job a shell sees */
			tty_move(our_pgrp, pid);
			killpg(pid, SIGCONT);
		} else if (w == pid) {
			exited = true;
			stop_at = now_ms() + (n_sig > 1 ? 0 : CMD_GRACE_MS);
		}
		if (!exited && stopping && now_ms() >= kill_at) {
			signal_command(pid, SIGKILL);
			kill_at = INT64_MAX; /* once; SIGKILL cannot be caught, the next waitpid tells */
		}
		if (exited && (now_ms() >= stop_at || !capturing || n_sig > 1))
			break;
	}
	tty_move(pid, our_pgrp); /* take the terminal back, if the command still has it */
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 1;
	return st;
}

/* The process has ended: no such process, or a zombie its parent has not
 * reaped yet (kill(pid, 0) still succeeds on one): /proc/PID/stat's state,
 * the field after the command's closing parenthesis. */
static bool pid_gone(pid_t pid)
{
	if (kill(pid, 0) != 0 && errno == ESRCH)
		return true;
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

/* --pid: capture until the process is gone (or a signal, or -c). */
static int run_pid(struct cap *cap, pid_t pid, struct run_ctx *rc, char *errbuf)
{
	for (;;) {
		int n = cap_poll(cap, 100, on_packet, rc, errbuf);
		if (n == -1)
			return -1;
		if (rc->calls)
			calls_tick(rc->calls);
		if (n == -2 || g_n_signals || pid_gone(pid))
			return 0;
	}
}

/*
 * The files to read (-r, -V): each opened before any is read, so a missing
 * one is reported at once; read together as one trace by run_merge.
 */
struct input {
	char *path;              /* as given (a -V line without its line end) */
	const char *list;        /* the -V LIST that named it, or NULL */
	unsigned long line;      /* its line there */
	struct cap *cap;
};

struct inputs {
	struct input *v;
	size_t n, cap_n;
};

static struct inputs g_in; /* the other files are closed at exit, whatever path it takes */

static void inputs_free(void)
{
	for (size_t i = 0; i < g_in.n; i++) {
		if (i > 0) /* the first is main's `cap`, closed there */
			cap_close(g_in.v[i].cap);
		free(g_in.v[i].path);
	}
	free(g_in.v);
	memset(&g_in, 0, sizeof(g_in));
	free(g_srcs);
	g_srcs = NULL;
}

static int inputs_add(const char *path, size_t len, const char *list, unsigned long line)
{
	if (g_in.n == g_in.cap_n) {
		size_t nn = g_in.cap_n ? 2 * g_in.cap_n : 8;
		struct input *v = realloc(g_in.v, nn * sizeof(*v));
		if (!v)
			return -1;
		g_in.v = v;
		g_in.cap_n = nn;
	}
	char *p = strndup(path, len);
	if (!p)
		return -1;
	g_in.v[g_in.n++] = (struct input){ p, list, line, NULL };
	return 0;
}

/* -V LIST: one path per line (its line end, LF or CRLF, not part of it);
 * empty lines are skipped.  0, or -1 after a line on stderr. */
static int inputs_read_list(const char *list)
{
	FILE *f = strcmp(list, "-") == 0 ? stdin : fopen(list, "re");
	if (!f) {
		fprintf(stderr, "fetchtrace: -V %s: %s\n", list, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t sz = 0;
	unsigned long no = 0;
	ssize_t n;
	int rv = 0;
	while ((n = getline(&line, &sz, f)) > 0) {
		no++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		if (g_in.n >= MAX_INPUTS) {
			fprintf(stderr, "fetchtrace: -V %s: more than %d files\n", list, MAX_INPUTS);
			rv = -1;
			break;
		}
		if (inputs_add(line, (size_t)n, list, no) != 0) {
			fprintf(stderr, "fetchtrace: out of memory\n");
			rv = -1;
			break;
		}
	}
	if (rv == 0 && ferror(f)) {
		fprintf(stderr, "fetchtrace: -V %s: %s\n", list, strerror(errno));
		rv = -1;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rv;
}

/* Where a file came from, for its error line: "PATH" or "LIST line N: PATH". */
static void input_name(const struct input *in, char *buf, size_t len)
{
	if (in->list)
		snprintf(buf, len, "-V %s line %lu: %s", in->list, in->line, in->path);
	else
		snprintf(buf, len, "%s", in->path);
}

/*
 * Every -r and -V, expanded and opened (after the privilege drop: the user
 * reads them).  Each file that cannot be opened gets its line on stderr,
 * then -1; nothing is read.  With several files, the limit on open
 * descriptors is raised to its hard limit first.
 */
static int inputs_open(const struct opts *o, char *errbuf)
{
	atexit(inputs_free);
	for (size_t i = 0; i < o->n_srcs; i++) {
		if (o->srcs[i].list) {
			if (inputs_read_list(o->srcs[i].arg) != 0)
				return -1;
		} else if (inputs_add(o->srcs[i].arg, strlen(o->srcs[i].arg), NULL, 0) != 0) {
			fprintf(stderr, "fetchtrace: out of memory\n");
			return -1;
		}
	}
	if (g_in.n == 0) {
		fprintf(stderr, "fetchtrace: -V: no file to read\n");
		return -1;
	}
	if (g_in.n > 1) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    g_in.n + 32 > rl.rlim_cur) {
			fprintf(stderr, "fetchtrace: %zu files to read at once, but only %llu may be "
					"open: read fewer at a time (README: one process per file)\n",
				g_in.n, (unsigned long long)rl.rlim_cur);
			return -1;
		}
	}
	int bad = 0;
	bool list_stdin = false; /* a -V LIST read from standard input: none left for a capture */
	for (size_t i = 0; i < o->n_srcs; i++)
		list_stdin = list_stdin || (o->srcs[i].list && strcmp(o->srcs[i].arg, "-") == 0);
	for (size_t i = 0; i < g_in.n; i++) {
		struct input *in = &g_in.v[i];
		char name[PATH_MAX + 64];
		input_name(in, name, sizeof(name));
		bool twice = list_stdin && strcmp(in->path, "-") == 0;
		for (size_t j = 0; j < i && strcmp(in->path, "-") == 0; j++)
			twice = twice || strcmp(g_in.v[j].path, "-") == 0;
		if (twice) {
			fprintf(stderr, "fetchtrace: %s: standard input read twice\n", name);
			bad++;
			continue;
		}
		in->cap = cap_open_file(in->path, errbuf);
		if (!in->cap) {
			/* libpcap names the file in some messages, not in others */
			size_t n = strlen(in->path);
			if (!in->list && strncmp(errbuf, in->path, n) == 0 && errbuf[n] == ':')
				fprintf(stderr, "fetchtrace: %s\n", errbuf);
			else
				fprintf(stderr, "fetchtrace: %s: %s\n", name, errbuf);
			bad++;
		}
	}
	if (bad)
		for (size_t i = 0; i < g_in.n; i++) {
			cap_close(g_in.v[i].cap);
			g_in.v[i].cap = NULL;
		}
	return bad ? -1 : 0;
}

/* A file's next packet in run_merge's heap. */
struct merge_ent {
	int64_t ts;   /* its time stamp */
	uint32_t i;   /* the file: g_in.v[i] */
};

/* Earlier first; at the same time, the file named first. */
static bool merge_before(const struct merge_ent *a, const struct merge_ent *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->i < b->i);
}

static void merge_down(struct merge_ent *h, size_t n, size_t k)
{
	for (;;) { /* bounded: k at least doubles each round */
		size_t l = 2 * k + 1, m = k;
		if (l < n && merge_before(&h[l], &h[m]))
			m = l;
		if (l + 1 < n && merge_before(&h[l + 1], &h[m]))
			m = l + 1;
		if (m == k)
			return;
		struct merge_ent t = h[k];
		h[k] = h[m];
		h[m] = t;
		k = m;
	}
}

/*
 * Several files as one trace: a k-way merge by time stamp (a binary heap
 * of each file's next packet), each packet handed over from its own file
 * (its link type, its pcapng comments and interfaces) with its file's name
 * for the output.  A file whose own packets go back in time is read in its
 * order, as mergecap does.  Stops after count packets (0 = all), on a
 * signal or an output error.  0 at the end, 1 when stopped, -1 on an error
 * (errbuf; *bad names the file).
 */
static int run_merge(long count, struct run_ctx *rc, char *errbuf, const char **bad)
{
	struct merge_ent *h = calloc(g_in.n, sizeof(*h));
	if (!h) {
		snprintf(errbuf, CAP_ERRBUF_SIZE, "out of memory");
		*bad = g_in.v[0].path;
		return -1;
	}
	size_t n = 0;
	int st = 0;
	for (size_t i = 0; i < g_in.n; i++) {
		int64_t ts;
		int r = cap_peek(g_in.v[i].cap, &ts, errbuf);
		if (r < 0) {
			*bad = g_in.v[i].path;
			free(h);
			return -1;
		}
		if (r > 0)
			h[n++] = (struct merge_ent){ ts, (uint32_t)i };
	}
	for (size_t k = n / 2; k-- > 0;)
		merge_down(h, n, k);
	long handed = 0;
	uint32_t cur = UINT32_MAX;
	while (n > 0) { /* bounded: every round hands a packet over or drops a file */
		if (g_n_signals || rc->out_errno) {
			st = 1;
			break;
		}
		struct input *in = &g_in.v[h[0].i];
		if (h[0].i != cur) {
			cur = h[0].i;
			trace_set_file(rc->t, in->path);
		}
		rc->cap = in->cap;
		rc->dlt = cap_datalink(in->cap);
		int r = cap_next(in->cap, on_packet, rc, errbuf);
		if (r == -2) { /* the -w file: its error is cap_dump_close's */
			st = 1;
			break;
		}
		if (r < 0) {
			*bad = in->path;
			st = -1;
			break;
		}
		if (count > 0 && ++handed >= count) {
			st = 1;
			break;
		}
		int64_t ts;
		r = cap_peek(in->cap, &ts, errbuf);
		if (r < 0) {
			*bad = in->path;
			st = -1;
			break;
		}
		if (r > 0)
			h[0].ts = ts;
		else
			h[0] = h[--n];
		merge_down(h, n, 0);
	}
	trace_set_file(rc->t, NULL);
	free(h);
	return st == 1 && count > 0 && handed >= count ? 0 : st;
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
		return stdout_done(0, 0);
	}

	struct cap *cap;
	static struct calls *calls; /* static: still reachable on the early error exits */
	struct target_user tu;
	char devbuf[256];
	bool live = !o.read_file;
	if (live) {
		if (!o.iface && (o.cmd || o.pid)) {
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
		/* -- CMD without --all looks each new flow's socket up: at once */
		cap = cap_open_live(o.iface, o.snaplen, o.buffer_kib, o.cmd && !o.out.all, errbuf,
				    &perm);
		if (!cap) {
			if (perm)
				fprintf(stderr, "fetchtrace: %s; run it with sudo, or allow capture once: "
						"sudo setcap cap_net_raw,cap_net_admin+eip %s\n",
					errbuf, argv[0]);
			else
				fprintf(stderr, "fetchtrace: %s\n", errbuf);
			return 1;
		}
		/* the socket calls: BPF is loaded now, while privileges last */
		char cerr[CALLS_ERRBUF_SIZE] = "";
		if (o.calls != CALLS_OFF && !(calls = calls_open(o.calls, o.pid != 0, cerr))) {
			fprintf(stderr, "fetchtrace: socket calls not measured: %s\n", cerr);
			if (o.calls != CALLS_AUTO || o.pid) {
				cap_close(cap);
				return 1;
			}
		}
		if (calls && o.pid && calls_attach(calls, (pid_t)o.pid, cerr) != 0) {
			fprintf(stderr, "fetchtrace: --pid %ld: %s\n", o.pid, cerr);
			calls_close(calls);
			cap_close(cap);
			return 1;
		}
		if (drop_privileges(o.user, &tu) != 0) {
			calls_close(calls);
			cap_close(cap);
			return 1;
		}
	} else {
		if (drop_privileges(o.user, &tu) != 0)
			return 1;
		if (inputs_open(&o, errbuf) != 0)
			return 1;
		cap = g_in.v[0].cap;
		if (g_in.n > 1 && o.write_file) {
			fprintf(stderr, "fetchtrace: -w with several input files is not supported "
					"(mergecap joins them into one)\n");
			cap_close(cap);
			return 1;
		}
	}

	const char *filter = o.filter[0] ? o.filter
			   : !live		    ? NULL
			   : o.cmd && !o.out.all ? DEFAULT_CMD_FILTER
						 : DEFAULT_LIVE_FILTER;
	for (size_t i = 0; i < (live ? 1 : g_in.n); i++) {
		struct cap *ci = live ? cap : g_in.v[i].cap;
		int dl = cap_datalink(ci);
		/* a pcapng's interfaces each have theirs: a packet of one not
		 * supported is counted, not refused */
		if (!pkt_link_supported(dl) && !cap_is_pcapng(ci)) {
			const char *nm = cap_datalink_name(dl), *desc = cap_datalink_desc(dl);
			fprintf(stderr,
				"fetchtrace: %s%slink type %d (%s%s%s) is not supported: it does not "
				"carry IP as fetchtrace reads it (supported: Ethernet, 802.11, PPP, "
				"PPPoE, Cisco HDLC, Frame Relay, Linux cooked, NFLOG, SLIP, raw IP, "
				"loopback and others: see fetchtrace(1))\n",
				g_in.n > 1 ? g_in.v[i].path : "", g_in.n > 1 ? ": " : "", dl,
				nm ? nm : "unknown", desc ? ", " : "", desc ? desc : "");
			cap_close(cap);
			return 1;
		}
		if (filter && !cap_set_filter(ci, filter, errbuf)) {
			fprintf(stderr, "fetchtrace: %s\n", errbuf);
			cap_close(cap);
			return 1;
		}
	}
	int dlt = cap_datalink(cap);
	/* After the privilege drop, so the files belong to the user; before the
	 * capture, so a path that cannot be written is refused before any work. */
	bool ng = o.write_file && (o.pcapng || ends_with(o.write_file, ".pcapng"));
	if (o.write_file &&
	    !(ng ? cap_dump_open_pcapng(cap, o.write_file, "fetchtrace " FT_VERSION,
					live ? o.iface : NULL, errbuf)
		 : cap_dump_open(cap, o.write_file, errbuf))) {
		fprintf(stderr, "fetchtrace: -w %s: %s\n", o.write_file, errbuf);
		cap_close(cap);
		return 1;
	}
	FILE *notes = NULL;
	if (o.notes_file && !(notes = fopen(o.notes_file, "we"))) {
		fprintf(stderr, "fetchtrace: --annotations %s: %s\n", o.notes_file, strerror(errno));
		cap_close(cap);
		return 1;
	}
	if (o.out.har_path && !out_har_create(o.out.har_path, errbuf)) {
		fprintf(stderr, "fetchtrace: --har %s: %s\n", o.out.har_path, errbuf);
		cap_close(cap);
		return 1;
	}

	/* A terminal and -l see each line at once; a file or a pipe gets big
	 * writes.  Live, those are flushed whenever the tracer has caught up with
	 * the capture (on_idle), so the lines still come at once, but not one
	 * write(2) each: at 100,000 packets/s that was the bottleneck. */
	static char outbuf[1 << 16];
	bool lines = o.line_buf || isatty(STDOUT_FILENO);
	setvbuf(stdout, outbuf, lines ? _IOLBF : _IOFBF, sizeof(outbuf));
	/* Only this thread writes it (the live reader and the decryption worker
	 * never do): no lock taken for each write once another thread exists. */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);

	struct private_keylog pk = { "", "" };
	if (o.cmd && keylog_for_command(o.keylog, &pk) != 0) {
		cap_close(cap);
		return 1;
	}
	const char *kl_path = o.cmd ? pk.path : o.keylog;
	struct keylog *kl = NULL;
	if (kl_path) {
		char klerr[KEYLOG_ERRBUF_SIZE] = "";
		/* Live, a browser writes its secrets while the capture runs: a
		 * record whose key is missing re-reads the file's new lines at
		 * once (a stat and a read, at most once per such record), or it
		 * would wait for a later packet.  A file's key log is read again
		 * at most every TLSL_REFRESH_MS of packet time. */
		kl = keylog_new(0, live ? 0 : TLSL_REFRESH_MS, klerr);
		if (kl && ng && !o.no_secrets)
			keylog_keep_text(kl); /* for the pcapng's secrets blocks */
		int r = kl ? keylog_open(kl, kl_path, klerr) : -1;
		if (r < 0) { /* klerr names the file */
			fprintf(stderr, "fetchtrace: --keylog: %s\n", klerr);
			keylog_free(kl);
			keylog_remove(&pk);
			cap_close(cap);
			return 1;
		}
		if (r > 0) /* not there yet: a browser creates it later */
			fprintf(stderr, "fetchtrace: --keylog: %s\n", klerr);
	}

	struct tracer *t = trace_open(stdout, &o.out, o.max_conns);
	if (!t) {
		fprintf(stderr, "fetchtrace: out of memory\n");
		keylog_free(kl);
		keylog_remove(&pk);
		cap_close(cap);
		return 1;
	}
	if (kl)
		trace_set_keylog(t, kl);
	/* what a key log decrypts is read in the mapped file, until it moves on */
	cap_set_release(cap, on_cap_release, t);
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
	if (o.cmd) /* the terminal went away: the command is told, as it would have been */
		sigaction(SIGHUP, &sa, NULL);

	struct run_ctx rc = { t, dlt, 0, cap, ng && !o.no_secrets ? kl : NULL, ng, NULL, 0, NULL, false, NULL, NULL };
	rc.notes = notes;
	rc.kl = &kl;
	rc.keep_text = ng && !o.no_secrets;
	rc.calls = calls;
	if (calls) {
		calls_set_tracer(calls, t);
		if (ng || rc.notes) /* each packet's note is made while it is handed over */
			calls_no_hold(calls);
		fprintf(stderr, "fetchtrace: measuring socket calls with %s\n", calls_mechanism(calls));
	}
	if (o.cmd && !o.out.all) {
		char cserr[CMDSOCK_ERRBUF_SIZE] = "";
		rc.cs = cmdsock_open(cserr);
		if (rc.cs)
			trace_set_hiding(t);
		else
			fprintf(stderr, "fetchtrace: %s: the command's sockets cannot be told from "
					"others', every packet is shown\n", cserr);
	}
	cap_set_secrets_cb(cap, on_secrets, &rc);
	for (size_t i = 1; i < g_in.n; i++)
		cap_set_secrets_cb(g_in.v[i].cap, on_secrets, &rc);
	if (ng || rc.notes)
		trace_set_packet_cb(t, on_event, &rc);
	if (live) {
		cap_set_drop_cb(cap, on_drops, &rc);
		cap_set_idle_cb(cap, on_idle, &rc);
	}
	if (rc.kl_dsb) { /* the key log as read so far, before the first packet */
		const uint8_t *text;
		size_t len = keylog_take_text(kl, &text);
		(void)cap_dump_secrets(cap, text, len);
	}
	/* Live, a program writes its handshake secrets after the server's first
	 * flight was captured: the packets wait (DUMP_DELAY_US of capture time,
	 * DUMP_DELAY_BYTES) so that the secrets block goes before them. */
	if (live && rc.kl_dsb &&
	    !cap_dump_delay(cap, DUMP_DELAY_US, DUMP_DELAY_BYTES, on_dump_hold, &rc))
		fprintf(stderr, "fetchtrace: -w %s: out of memory for the delay queue: "
				"secrets may follow the packets they unlock\n", o.write_file);
	int cmd_status = -1;
	if (o.cmd || o.pid)
		cap_set_count(cap, o.count);
	const char *bad_file = o.read_file;
	int st = o.cmd		  ? run_command(cap, o.cmd, &tu, &rc, errbuf, &cmd_status)
		 : o.pid      ? run_pid(cap, (pid_t)o.pid, &rc, errbuf)
		 : g_in.n > 1 ? run_merge(o.count, &rc, errbuf, &bad_file)
			      : cap_run(cap, o.count, on_packet, &rc, errbuf);
	if (calls)
		calls_finish(calls);
	/* the capture's counts, final once the reader stopped, for the summary too */
	uint64_t recv = 0, drop = 0, ifdrop = 0;
	bool have_stats = live && cap_stats(cap, &recv, &drop, &ifdrop);
	if (have_stats)
		trace_capture_stats(t, recv, drop, ifdrop, cap_queue_dropped(cap));
	rc.cap = cap;
	if (rc.cs) {
		struct cmdsock_stats cst;
		cmdsock_stats(rc.cs, &cst);
		if (cst.unreadable)
			fprintf(stderr, "fetchtrace: the descriptors of a process of the command "
					"could not be read (%llu times; one that is not dumpable): its "
					"traffic was hidden\n",
				(unsigned long long)cst.unreadable);
	}
	cmdsock_close(rc.cs);
	rc.cs = NULL;
	errno = 0;
	cap_set_release(cap, NULL, NULL); /* trace_finish is the last release */
	int rv = trace_finish(t) < 0 ? 1 : 0;
	cap_dump_release(cap); /* the held packets, after the key log's last lines */
	keylog_free(kl); /* wipes the secrets */
	keylog_remove(&pk);
	if (ferror(stdout) && !rc.out_errno) /* the summary's flush failed: keep why */
		rc.out_errno = errno;
	if (st < 0) {
		fprintf(stderr, "fetchtrace: %s: %s\n", o.read_file ? bad_file : o.iface, errbuf);
		rv = 1;
	}
	if (have_stats) {
		fprintf(stderr,
			"%llu packets received by filter\n%llu packets dropped by kernel\n"
			"%llu packets dropped by interface\n",
			(unsigned long long)recv, (unsigned long long)drop, (unsigned long long)ifdrop);
		if (cap_queue_dropped(cap))
			fprintf(stderr, "%llu packets dropped by fetchtrace (capture queue full)\n",
				(unsigned long long)cap_queue_dropped(cap));
	}
	g_cap = NULL;
	if (rc.notes) {
		errno = 0;
		int ce = fclose(rc.notes) != 0 ? (errno ? errno : EIO) : 0;
		if (rc.notes_errno || ce) {
			fprintf(stderr, "fetchtrace: --annotations %s: %s\n", o.notes_file,
				strerror(rc.notes_errno ? rc.notes_errno : ce));
			rv = 1;
		}
	}
	if (!cap_dump_close(cap, errbuf)) {
		fprintf(stderr, "fetchtrace: -w %s: %s\n", o.write_file, errbuf);
		rv = 1;
	}
	cap_close(cap);
	calls_close(calls);
	inputs_free();
	/* A write to stdout that failed (a full disk, /dev/full) is an error, as
	 * in tcpdump. */
	rv = stdout_done(rv, rc.out_errno);
	/* A traced command's status is ours: the shell sees what it would have;
	 * unless it succeeded and fetchtrace did not. */
	if (o.cmd && cmd_status >= 0)
		return cmd_status == 0 ? rv : cmd_status;
	return rv;
}
