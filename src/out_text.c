/* out_text.c - the annotated text output: one line per packet, then a summary. */
#include "out.h"
#include "out_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "focus.h"
#include "out_browser.h"
#include "out_call.h"
#include "out_timeline.h"
#include "sb.h"
#include "spill.h"
#include "tlslayer.h"
#include "tlsmsg.h"

#define LINE_CAP (256 * 1024)   /* one line; a DNS message of 32 long names fits */
#define SUMMARY_MAX 10000       /* connections listed in the summary */
#define SUMMARY_NAME_MAX 256    /* bytes of a fetch name kept for the summary */

/* Column where each field starts, so lines of one capture line up. */
enum { COL_STEP = 11, COL_CALL = 20, COL_TAG = 35, COL_ADDR = 45, COL_DESC = 92 };

/* --explain: the XB_* bits already explained on one open connection. */
struct xconn {
	uint32_t id;              /* connection number, 0 = empty slot */
	uint8_t bits;
};

/* What the summary keeps of a connection that left the table. */
struct conn_sum {
	uint32_t id, fetch_id;
	uint8_t ip_ver;
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint8_t steps_seen;
	uint8_t app;                   /* enum app_proto */
	bool tls;                      /* over a TLS layer */
	bool midstream, partial;
	int8_t first_fin, rst_dir;
	uint64_t bytes[2];
	int64_t ts_first, ts_last;
	char history[FLOW_HISTORY_MAX + 1];
	const char *state;             /* Zeek conn_state (static) */
	const char *why;               /* why it left (static) */
	uint8_t use;                   /* enum conn_use (step.c) */
	int64_t idle;                  /* CONN_USE_PRECONNECT: ready before its first request */
	int64_t ts_close, ts_cli_data; /* first close-step packet, the client's first request byte */
	uint16_t name_len;             /* bytes in name, 0 when unknown */
	char name[SUMMARY_NAME_MAX];   /* fetch name, raw bytes (cut at SUMMARY_NAME_MAX) */
};

/* What the summary's searches and its sort read of a conn_sum, kept in memory
 * while the conn_sums themselves may wait in a file (spill.h). */
struct sum_key {
	uint32_t id, fetch_id;
	uint32_t slot;                 /* its conn_sum in text_out.sums */
	uint16_t sport;
	uint8_t use, app;              /* enum conn_use, enum app_proto */
	bool tls;
	int64_t ts_close, ts_cli_data;
};

#define SUM_MEM_BYTES (128 * 1024) /* of the summary's records kept in memory; the rest in a file */

/* A QUIC connection for the summary: the table's copy (no decoder) and its fetch name. */
struct quic_sum {
	struct quicflow q;
	const char *why;               /* why it left (static) */
	uint16_t name_len;
	char name[SUMMARY_NAME_MAX];
};

struct text_out;
struct conn_sum;
static uint32_t upgrade_before(const struct text_out *o, const struct ev *e);

#define XN_CAP 512        /* --explain: names remembered (open addressing; half used at most) */
#define EP_SLOTS 512      /* address columns kept (put_endpoints) */

/* The address column of a TCP or UDP line, "192.0.2.1:80 > 198.51.100.7:41234",
 * with the four-tuple it was written for. */
struct ep_text {
	uint8_t ver;              /* 0: an empty slot */
	uint8_t len;              /* bytes in text */
	uint16_t sport, dport;
	uint8_t src[16], dst[16]; /* as struct pkt has them */
	char text[100];           /* two of "[" 39 "]:" 5, " > ", the NUL */
};

struct text_out {
	FILE *f;
	struct out_opts opt;
	char line[LINE_CAP];
	struct sb sb;
	bool have_first;
	int64_t first_ts, prev_ts;
	struct sum_key *sums;     /* grows to SUMMARY_MAX; each one's record in sum_recs */
	uint32_t n_sums, cap_sums;
	uint64_t n_sums_dropped;
	struct spill_arr sum_recs; /* struct conn_sum, in the order they left */
	uint64_t *qsums;          /* grows to SUMMARY_MAX: QUIC id << 32 | its record in qsum_recs */
	uint32_t *tries;          /* indices in sums of the abandoned TLS tries, the only
	                             summaries an HTTPS upgrade looks back to (upgrade_before
	                             read all of sums at each first request) */
	uint32_t n_tries, cap_tries;
	uint64_t n_tries_dropped; /* never more than n_sums_dropped: sums caps them */
	uint32_t n_qsums, cap_qsums;
	uint64_t n_qsums_dropped;
	struct spill_arr qsum_recs; /* struct quic_sum */
	bool korean;              /* --explain speaks Korean */
	uint64_t explained;       /* --explain: bit per explain_id said once per run (DNS, QUIC,
	                             ICMP) */
	struct xconn *xc;         /* --explain: what was said per open connection (hash table,
	                             open addressing, cap a power of two; entries leave with
	                             their connection in text_conn_done) */
	uint32_t xc_cap, xc_n;
	/* --no-acks: the bare ACKs not shown, counted until the next line of any
	 * kind is written (fold_finish).  The last packet line may be left open
	 * (no newline yet) so that the ACKs of its connection join it. */
	bool open_line;           /* the last packet line awaits its newline */
	uint32_t open_conn;       /* its TCP connection (0: none) */
	size_t open_cols;         /* its width in columns */
	uint64_t fold_n;          /* bare ACKs held */
	uint32_t fold_conn;       /* their connection */
	uint32_t fold_fetch;      /* its fetch (0: none) */
	struct xname {            /* --explain: names whose first query / answer was explained */
		uint32_t hash;    /* FNV-1a of the name, letters folded; 0 = empty slot */
		uint8_t bits;     /* XN_* */
	} xn[XN_CAP];
	uint32_t xn_n;
	struct ep_text ep[EP_SLOTS]; /* direct-mapped by four-tuple (put_endpoints) */
};

static const char *const step_color[STEP_COUNT] = {
	[STEP_RESOLVE] = "\033[36m", [STEP_CONNECT] = "\033[33m", [STEP_WRITE] = "\033[32m",
	[STEP_READ] = "\033[35m",    [STEP_CLOSE] = "\033[31m",   [STEP_OTHER] = "\033[2m",
};
#define COLOR_OFF "\033[0m"

static void fold_finish(struct text_out *o);

static void *text_open(FILE *f, const struct out_opts *opt)
{
	struct text_out *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->f = f;
	o->opt = *opt;
	o->korean = explain_korean(opt->lang, getenv("LC_ALL"), getenv("LC_MESSAGES"),
				   getenv("LANG"));
	sb_init(&o->sb, o->line, sizeof(o->line));
	if (!spill_arr_init(&o->sum_recs, sizeof(struct conn_sum), SUMMARY_MAX, SUM_MEM_BYTES) ||
	    !spill_arr_init(&o->qsum_recs, sizeof(struct quic_sum), SUMMARY_MAX, SUM_MEM_BYTES)) {
		spill_arr_free(&o->sum_recs);
		free(o);
		return NULL;
	}
	return o;
}

static void text_flush(void *impl)
{
	struct text_out *o = impl;
	fflush(o->f);
}

/* --fetch: a held packet's output must not end a shown line (out.c). */
static void text_sync(void *impl)
{
	fold_finish(impl);
}

static void text_close(void *impl)
{
	struct text_out *o = impl;
	if (!o)
		return;
	fold_finish(o);
	fflush(o->f);
	free(o->sums);
	free(o->tries);
	free(o->qsums);
	spill_arr_free(&o->sum_recs);
	spill_arr_free(&o->qsum_recs);
	free(o->xc);
	free(o);
}

/* Write the line in o->sb, after what --no-acks holds; without its
 * newline when `open` (emit_packet). */
static void emit_line(struct text_out *o, bool open)
{
	struct sb *s = &o->sb;
	fold_finish(o);
	if (s->cut) {
		/* Leave room for the mark: the line was cut, say so. */
		static const char mark[] = " [line cut]";
		size_t at = s->cap - sizeof(mark) - 1;
		if (s->len > at)
			s->len = at;
		memcpy(s->buf + s->len, mark, sizeof(mark));
		s->len += sizeof(mark) - 1;
	}
	if (!open)
		s->buf[s->len++] = '\n';
	fwrite(s->buf, 1, s->len, o->f);
	sb_reset(s);
}

static void emit(struct text_out *o) { emit_line(o, false); }

/* ------------------------------------------------------------------ */
/* DNS                                                                 */
/* ------------------------------------------------------------------ */

static void put_num_name(struct sb *s, const char *name, const char *prefix, unsigned v)
{
	if (name)
		sb_puts(s, name);
	else
		sb_printf(s, "%s%u", prefix, v);
}

/* A name is stored with "\\." and "\\\\" for a dot or backslash inside a
 * label (dns.h); those pairs are already escaped, everything else goes
 * through sb_esc. */
static void put_name_text(struct sb *s, const char *text, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i + 1 < len; i++) {
		if (text[i] != '\\' || (text[i + 1] != '.' && text[i + 1] != '\\'))
			continue;
		sb_esc(s, text + start, i - start);
		sb_putc(s, '\\');
		sb_putc(s, text[i + 1]);
		start = ++i + 1;
	}
	sb_esc(s, text + start, len - start);
}

static void put_name(struct sb *s, const struct dns_name *n) { put_name_text(s, n->text, n->len); }

/* SVCB/HTTPS SvcParams (RFC 9460 2.2), as dns.c decoded them. */
static void put_svc_params(struct sb *s, const struct dns_svc *svc)
{
	for (unsigned k = 0; k < svc->n && k < DNS_SVC_MAX; k++) {
		const struct dns_svc_param *p = &svc->param[k];
		const struct dns_bytes *v = svc->items + p->first;
		switch (p->kind) {
		case DNS_SVC_ALPN:
			sb_puts(s, " alpn=");
			for (unsigned i = 0; i < p->n; i++) {
				if (i)
					sb_putc(s, ',');
				sb_esc(s, v[i].p, v[i].len);
			}
			break;
		case DNS_SVC_PORT:
			sb_printf(s, " port=%u", p->port);
			break;
		case DNS_SVC_IPV4:
		case DNS_SVC_IPV6:
			sb_puts(s, p->kind == DNS_SVC_IPV4 ? " ipv4hint=" : " ipv6hint=");
			for (unsigned i = 0; i < p->n; i++) {
				if (i)
					sb_putc(s, ',');
				sb_ip(s, p->kind == DNS_SVC_IPV4 ? 4 : 6, v[i].p);
			}
			break;
		case DNS_SVC_OTHER:
			/* ech (RFC 9460 14.3.2): an Encrypted ClientHello config, the key
			 * a browser may hide the real SNI with; opaque here */
			if (p->key == 5)
				sb_printf(s, " ech(%u B)", p->len);
			else
				sb_printf(s, " key%u(%u B)", p->key, p->len);
			break;
		}
		if (p->n_more)
			sb_printf(s, ",+%u more", p->n_more);
	}
	if (svc->n_more)
		sb_printf(s, " (+%u more params)", svc->n_more);
}

static void put_rdata(struct sb *s, const struct dns_rr *rr)
{
	if (rr->rd_status == FT_TRUNCATED) {
		sb_puts(s, "[|rdata]");
		return;
	}
	if (rr->rd_status != FT_OK) {
		sb_printf(s, "(malformed rdata, %u B)", rr->rdlen);
		return;
	}
	switch (rr->type) {
	case DNS_T_A:
		sb_ip(s, 4, rr->addr);
		break;
	case DNS_T_AAAA:
		sb_ip(s, 6, rr->addr);
		break;
	case DNS_T_CNAME:
	case DNS_T_NS:
	case DNS_T_PTR:
		put_name(s, &rr->target);
		break;
	case DNS_T_MX:
		sb_printf(s, "%u ", rr->prio);
		put_name(s, &rr->target);
		break;
	case DNS_T_SOA:
		put_name(s, &rr->target);
		sb_putc(s, ' ');
		put_name(s, &rr->rname);
		sb_printf(s, " %u %u %u %u %u", rr->serial, rr->refresh, rr->retry, rr->expire,
			  rr->minimum);
		break;
	case DNS_T_SRV:
		sb_printf(s, "%u %u %u ", rr->prio, rr->weight, rr->port);
		put_name(s, &rr->target);
		break;
	case DNS_T_TXT: {
		const struct dns_txt *txt = &rr->rd.txt;
		for (unsigned i = 0; i < txt->n && i < DNS_TXT_MAX; i++) {
			if (i)
				sb_putc(s, ' ');
			sb_putc(s, '"');
			sb_esc_quote(s, txt->s[i].p, txt->s[i].len);
			sb_putc(s, '"');
		}
		if (txt->n_more)
			sb_printf(s, " (+%u more strings)", txt->n_more);
		break;
	}
	case DNS_T_CAA:
		sb_printf(s, "%u ", rr->rd.caa.flags);
		sb_esc(s, rr->rd.caa.tag.p, rr->rd.caa.tag.len);
		sb_puts(s, " \"");
		sb_esc_quote(s, rr->rd.caa.value.p, rr->rd.caa.value.len);
		sb_putc(s, '"');
		break;
	case DNS_T_SVCB:
	case DNS_T_HTTPS:
		sb_printf(s, "%u ", rr->prio);
		put_name(s, &rr->target);
		put_svc_params(s, &rr->rd.svc);
		break;
	default:
		sb_printf(s, "(%u B)", rr->rdlen);
		break;
	}
}

static void put_rr(struct sb *s, const struct dns_msg *m, const struct dns_rr *rr)
{
	/* The owner is left out when it is the name asked for. */
	if (!m->has_question || !dns_name_equal(&rr->name, &m->qname)) {
		put_name(s, &rr->name);
		sb_putc(s, ' ');
	}
	put_num_name(s, dns_type_name(rr->type), "TYPE", rr->type);
	if (rr->cls != DNS_C_IN) {
		sb_putc(s, ' ');
		put_num_name(s, dns_class_name(rr->cls), "CLASS", rr->cls);
	}
	sb_putc(s, ' ');
	put_rdata(s, rr);
	sb_printf(s, " ttl %u", rr->ttl);
}

static void put_dns_flags(struct sb *s, const struct dns_msg *m)
{
	const struct {
		bool on;
		const char *name;
	} bits[] = {
		{ m->aa, "aa" }, { m->tc, "tc" }, { m->rd, "rd" },
		{ m->ra, "ra" }, { m->ad, "ad" }, { m->cd, "cd" },
	};
	bool any = false;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!bits[i].on)
			continue;
		sb_puts(s, any ? " " : " [");
		sb_puts(s, bits[i].name);
		any = true;
	}
	if (m->edns) {
		sb_printf(s, "%sedns %u%s", any ? " " : " [", m->edns_size, m->edns_do ? " do" : "");
		if (m->edns_version)
			sb_printf(s, " v%u", m->edns_version);
		any = true;
	}
	if (any)
		sb_putc(s, ']');
}

/* Where the message stands in a resolver's walk (dnsnote.h). */
static void put_dns_note_kind(struct sb *s, const struct dns_note *n);

static void put_dns_note(struct sb *s, const struct dns_note *n)
{
	put_dns_note_kind(s, n);
	if (n->offers_h3)
		sb_puts(s, " [offers h3: a browser may try QUIC first]");
}

static void put_dns_note_kind(struct sb *s, const struct dns_note *n)
{
	switch (n->kind) {
	case DNS_NOTE_NONE:
		return;
	case DNS_NOTE_PRIMING:
		sb_puts(s, " [priming: the resolver asks who the root servers are]");
		return;
	case DNS_NOTE_ROOT_SERVERS:
		sb_printf(s, " [the root servers: %u NS, %u addresses]", n->n_ns, n->n_glue);
		return;
	case DNS_NOTE_REFERRAL:
		sb_puts(s, " [referral: ");
		if (!n->from_known)
			sb_puts(s, "a server");
		else if (n->from_zone.len == 1 && n->from_zone.text[0] == '.')
			sb_puts(s, "the root");
		else {
			sb_puts(s, "the ");
			put_name(s, &n->from_zone);
			sb_puts(s, " server");
		}
		sb_puts(s, " refers to the ");
		put_name(s, &n->to_zone);
		sb_printf(s, " servers (%u NS, %u glue addresses)]", n->n_ns, n->n_glue);
		return;
	case DNS_NOTE_AUTHORITATIVE:
		sb_puts(s, " [authoritative answer");
		if (n->from_known) {
			sb_puts(s, " from the ");
			put_name(s, &n->from_zone);
			sb_puts(s, " server");
		}
		sb_putc(s, ']');
		return;
	case DNS_NOTE_NEGATIVE:
		sb_printf(s, " [negative answer: may be cached for %u s (SOA)]", n->neg_ttl);
		return;
	case DNS_NOTE_CACHED:
		sb_printf(s, " [answered from the resolver's cache: TTL %u, first seen %u]", n->ttl,
			  n->ttl_first);
		return;
	}
}

static void put_dns(struct sb *s, const struct dns_msg *m, int64_t rt)
{
	if (m->opcode != 0) {
		put_num_name(s, dns_opcode_name(m->opcode), "OPCODE", m->opcode);
		sb_putc(s, ' ');
	}
	sb_puts(s, m->qr ? "answer" : "query");
	sb_printf(s, " #%04x", m->id);
	if (m->has_question) {
		sb_putc(s, ' ');
		put_name(s, &m->qname);
		sb_putc(s, ' ');
		put_num_name(s, dns_class_name(m->qclass), "CLASS", m->qclass);
		sb_putc(s, ' ');
		put_num_name(s, dns_type_name(m->qtype), "TYPE", m->qtype);
	}
	if (m->qr) {
		if (m->rcode != 0) {
			sb_putc(s, ' ');
			put_num_name(s, dns_rcode_name(m->rcode), "RCODE", m->rcode);
		}
		unsigned n_ans = 0, n_auth = 0;
		for (unsigned i = 0; i < m->n_rr; i++) {
			const struct dns_rr *rr = &m->rr[i];
			if (rr->type == DNS_T_OPT)
				continue;
			if (rr->section == DNS_SEC_ANSWER) {
				sb_puts(s, n_ans++ ? ", " : ": ");
			} else {
				const char *sec = rr->section == DNS_SEC_AUTHORITY ? "auth" : "add";
				if (rr->section == DNS_SEC_AUTHORITY && n_auth++ == 0)
					sb_printf(s, " | %s ", sec);
				else if (rr->section == DNS_SEC_ADDITIONAL &&
					 (i == 0 || m->rr[i - 1].section != DNS_SEC_ADDITIONAL ||
					  m->rr[i - 1].type == DNS_T_OPT))
					sb_printf(s, " | %s ", sec);
				else
					sb_puts(s, ", ");
			}
			put_rr(s, m, rr);
		}
		if (m->rcode == 0 && m->ancount == 0 && m->status == FT_OK) {
			/* RFC 2308 2.2: NODATA carries the zone's SOA in authority; a
			 * referral (RFC 1034 4.3.2) the NS records of a zone below and no
			 * SOA.  A browser's HTTPS-type query for a name without that
			 * record gets NODATA. */
			bool soa = false, ns = false;
			for (unsigned i = 0; i < m->n_rr; i++) {
				soa |= m->rr[i].section == DNS_SEC_AUTHORITY && m->rr[i].type == DNS_T_SOA;
				ns |= m->rr[i].section == DNS_SEC_AUTHORITY && m->rr[i].type == DNS_T_NS;
			}
			if (!m->nscount || soa)
				sb_puts(s, " (no data)");
			else if (ns)
				sb_puts(s, " (no answer: referral)");
			else
				sb_puts(s, " (no answer: referral or no data)");
		}
		if (m->n_rr_dropped)
			sb_printf(s, " (+%u records not shown)", m->n_rr_dropped);
	}
	put_dns_flags(s, m);
	if (m->status == FT_TRUNCATED)
		sb_puts(s, " [|dns]");
	else if (m->status != FT_OK)
		sb_printf(s, " (malformed dns: %s)", m->why ? m->why : "?");
	if (m->qr && rt >= 0) {
		sb_puts(s, " (");
		sb_dur(s, rt);
		sb_putc(s, ')');
	} else if (m->qr) {
		sb_puts(s, " (query not seen)");
	}
}

/* ------------------------------------------------------------------ */
/* TCP                                                                 */
/* ------------------------------------------------------------------ */

static void put_flags(struct sb *s, uint8_t fl)
{
	bool any = false;
	for (size_t i = 0; i < TCP_N_FLAGS; i++) {
		if (!(fl & tcp_flag_names[i].bit))
			continue;
		if (any)
			sb_putc(s, '-');
		sb_puts(s, tcp_flag_names[i].name);
		any = true;
	}
	if (!any)
		sb_puts(s, "none");
}

static void put_opts(struct sb *s, const struct tcp_opts *op)
{
	if (op->has_mss) {
		sb_puts(s, " mss ");
		sb_u64(s, op->mss);
	}
	if (op->sack_ok)
		sb_puts(s, " sackOK");
	if (op->has_ts) { /* on most packets: the numbers written without a format */
		sb_puts(s, " ts ");
		sb_u64(s, op->tsval);
		sb_putc(s, ' ');
		sb_u64(s, op->tsecr);
	}
	if (op->has_ws) {
		sb_puts(s, " ws ");
		sb_u64(s, op->ws);
	}
}

static const char *const side[2] = { "client", "server" };


static void put_notes(struct sb *s, const struct ev *e)
{
	const struct flow_seg *g = e->seg;
	const struct conn *c = g->c;
	const struct pkt *p = e->p;
	for (size_t i = 0; i < FLOW_N_NOTE_NAMES; i++)
		if (g->notes & flow_note_names[i].bit && flow_note_names[i].text)
			sb_printf(s, " [%s]", flow_note_names[i].text);
	if (g->notes & NOTE_DUP_ACK)
		sb_printf(s, " [dup ack #%u]", g->n_dup_ack);
	if (g->notes & (NOTE_MIDSTREAM | NOTE_ROLES_SWAPPED)) {
		sb_puts(s, g->notes & NOTE_MIDSTREAM ? " [mid-stream: handshake not captured; client "
						     : " [client and server swapped: client ");
		sb_endpoint(s, c->ip_ver, c->cli, c->cport);
		sb_printf(s, " %s]", flow_client_why(c));
	}
	if (g->notes & NOTE_ESTABLISHED) {
		sb_puts(s, ", connection established");
		if (g->rtt_us >= 0) {
			sb_puts(s, " (");
			sb_dur(s, g->rtt_us);
			sb_putc(s, ')');
		}
	}
	if (p->tcp_flags & TCP_SYN && p->tcp_flags & TCP_ACK && g->rtt_us >= 0) {
		sb_puts(s, " (rtt ");
		sb_dur(s, g->rtt_us);
		sb_putc(s, ')');
	}
	if (g->notes & NOTE_CLOSES_FIRST)
		sb_printf(s, ", %s closes first", side[g->dir]);
	if (p->tcp_flags & TCP_RST) {
		if (!c->ts_synack && c->ts_syn && g->dir == 1)
			sb_puts(s, ", connection refused");
		else
			sb_printf(s, ", connection reset by %s", side[g->dir]);
	} else if (g->notes & NOTE_CLOSED) {
		sb_puts(s, ", connection closed");
	}
	if (e->dns_tcp_lost)
		sb_puts(s, " [partial: DNS stream not followed]");
	int64_t idle = 0;
	if (out_first_request(e) && out_conn_use(c, &idle) == CONN_USE_PRECONNECT) {
		sb_puts(s, " [preconnected: ready ");
		sb_dur(s, idle);
		sb_puts(s, " before its first request]");
	} else if (out_first_close(e)) {
		enum conn_use u = out_conn_use(c, NULL);
		if (u == CONN_USE_UNUSED)
			sb_puts(s, " [preconnected, unused: no request was sent on it]");
		else if (u == CONN_USE_ABANDONED)
			sb_puts(s, " [abandoned right after the TLS handshake: no request was sent]");
	}
}

static void put_tcp(struct sb *s, const struct ev *e)
{
	const struct pkt *p = e->p;
	const struct flow_seg *g = e->seg;
	put_flags(s, p->tcp_flags);
	/* Relative numbers are signed: below 1 is before the direction's start.
	 * The fields of every TCP line are written without a format to parse. */
	sb_puts(s, " seq ");
	sb_i64(s, g->rel_seq);
	if (p->pl_len) {
		sb_putc(s, ':');
		sb_i64(s, g->rel_seq + p->pl_len);
	}
	if (g->ack_valid) {
		sb_puts(s, " ack ");
		sb_i64(s, g->rel_ack);
	}
	sb_puts(s, " win ");
	sb_u64(s, p->win);
	put_opts(s, &p->opt);
	/* SACK blocks name bytes of the peer's stream: relative, as seq is. */
	const struct flow_dir *peer = &g->c->d[1 - g->dir];
	for (unsigned i = 0; i < p->opt.n_sack && i < PKT_MAX_SACK; i++) {
		uint32_t l = p->opt.sack[i][0], r = p->opt.sack[i][1];
		if (peer->isn_known)
			sb_printf(s, "%s%lld:%lld", i ? "," : " sack ",
				  (long long)flow_rel_seq(peer, l), (long long)flow_rel_seq(peer, r));
		else
			sb_printf(s, "%s%u:%u", i ? "," : " sack ", l, r);
	}
	if (p->pl_len) {
		sb_puts(s, ", ");
		sb_u64(s, p->pl_len);
		sb_puts(s, g->dir == 0 ? " B to server" : " B from server");
		if (p->pl_cap < p->pl_len)
			sb_printf(s, " [|only %u B captured]", p->pl_cap);
	}
	put_notes(s, e);
}

/* ------------------------------------------------------------------ */
/* HTTP, TLS and QUIC                                                  */
/* ------------------------------------------------------------------ */

/* " Name: value" for a header that was there; a value longer than we keep
 * ends in "[cut]". */
static void put_hdr(struct sb *s, const char *name, const struct http_str *v)
{
	if (!v->present)
		return;
	sb_printf(s, " %s: ", name);
	sb_esc(s, v->b, v->len);
	if (v->cut)
		sb_puts(s, "[cut]");
}

static void put_http_head(struct sb *s, const struct http_head *h, int64_t ttfb)
{
	if (h->is_request) {
		sb_esc(s, h->method.b, h->method.len);
		sb_putc(s, ' ');
		sb_esc(s, h->target.b, h->target.len);
		if (h->target.cut)
			sb_puts(s, "[cut]");
		sb_printf(s, " HTTP/%u.%u", h->v_major, h->v_minor);
		put_hdr(s, "Host", &h->host);
		put_hdr(s, "User-Agent", &h->user_agent);
		put_hdr(s, "Accept", &h->accept);
		put_hdr(s, "Range", &h->range);
		put_hdr(s, "If-None-Match", &h->if_none_match);
		put_hdr(s, "If-Modified-Since", &h->if_modified_since);
		put_hdr(s, "Content-Length", &h->content_length);
		put_hdr(s, "Transfer-Encoding", &h->transfer_encoding);
		put_hdr(s, "Connection", &h->connection);
	} else {
		sb_printf(s, "HTTP/%u.%u %u", h->v_major, h->v_minor, h->status);
		if (h->reason.len) {
			sb_putc(s, ' ');
			sb_esc(s, h->reason.b, h->reason.len);
		}
		put_hdr(s, "Content-Type", &h->content_type);
		put_hdr(s, "Content-Length", &h->content_length);
		put_hdr(s, "Transfer-Encoding", &h->transfer_encoding);
		put_hdr(s, "Content-Encoding", &h->content_encoding);
		put_hdr(s, "Location", &h->location);
		put_hdr(s, "ETag", &h->etag);
		put_hdr(s, "Alt-Svc", &h->alt_svc);
		if (h->alt_svc.present && http_alt_svc_h3(&h->alt_svc))
			sb_puts(s, " [offers h3: a browser may use QUIC for the next connection]");
		put_hdr(s, "Connection", &h->connection);
		if (ttfb >= 0) {
			sb_puts(s, " (first byte ");
			sb_dur(s, ttfb);
			sb_puts(s, " after the request)");
		}
	}
}

static void put_http(struct sb *s, const struct ev *e)
{
	const struct http_events *hv = e->http;
	unsigned shown = 0;
	for (unsigned i = 0; i < hv->n; i++) {
		const struct http_ev *h = &hv->ev[i];
		int64_t dur = e->http_dur[i];
		/* A message without a body ends where its head is: say nothing more. */
		if (h->kind == HTTP_EV_END && h->body_done == 0 && h->dir == 0)
			continue;
		sb_puts(s, shown++ ? "; " : " | ");
		if (h->exchange) {
			sb_putc(s, '#');
			sb_u64(s, h->exchange);
			sb_putc(s, ' ');
		}
		else if (h->kind == HTTP_EV_HEAD && h->dir == 1)
			sb_puts(s, "[response without a captured request] ");
		switch (h->kind) {
		case HTTP_EV_HEAD:
			put_http_head(s, h->head, dur);
			break;
		case HTTP_EV_BODY: /* "body 1448/14220 B", "body 2896 B so far": most HTTP lines */
			sb_puts(s, "body ");
			sb_u64(s, h->body_done);
			if (h->body_total != UINT64_MAX) {
				sb_putc(s, '/');
				sb_u64(s, h->body_total);
				sb_puts(s, " B");
			} else {
				sb_puts(s, " B so far");
			}
			break;
		case HTTP_EV_END:
			if (h->body_done == 0) {
				sb_puts(s, "response complete (no body)");
				break;
			}
			sb_printf(s, "%s complete, body %llu B", h->dir ? "response" : "request",
				  (unsigned long long)h->body_done);
			if (dur > 0) {
				sb_puts(s, " (last byte ");
				sb_dur(s, dur);
				sb_puts(s, " after the first)");
			}
			break;
		case HTTP_EV_GAP:
			sb_printf(s, "%llu B lost", (unsigned long long)h->bytes);
			break;
		case HTTP_EV_OPAQUE:
			if (h->status == FT_MALFORMED)
				sb_printf(s, "(malformed http: %s)", h->why ? h->why : "?");
			else if (h->status == FT_TRUNCATED)
				sb_printf(s, "(cut short: %s)", h->why ? h->why : "?");
			else
				sb_printf(s, "(not HTTP from here: %s)", h->why ? h->why : "?");
			break;
		}
	}
	if (hv->n_dropped)
		sb_printf(s, "; +%u more HTTP events", hv->n_dropped);
}

/* An HTTP/2 short string (raw bytes), escaped, "[cut]" when it was longer. */
static void put_h2_str(struct sb *s, const struct hpack_str *v)
{
	sb_esc(s, v->b, v->len);
	if (v->cut)
		sb_puts(s, "[cut]");
}

/* A decoded header block: "GET /path authority" for a request (or a
 * pushed one), "200 content-type length" for a response. */
static void put_h2_head(struct sb *s, const struct h2_ev *v, int64_t dur)
{
	const struct hpack_headers *h = v->head;
	if (v->head_kind == H2_HEAD_REQUEST || v->head_kind == H2_HEAD_PUSH) {
		put_h2_str(s, &h->method);
		sb_putc(s, ' ');
		put_h2_str(s, &h->path);
		if (h->authority.present) {
			sb_putc(s, ' ');
			put_h2_str(s, &h->authority);
		}
		if (h->content_length.present) {
			sb_puts(s, " content-length ");
			put_h2_str(s, &h->content_length);
		}
		return;
	}
	if (v->head_kind == H2_HEAD_TRAILERS) {
		sb_printf(s, "trailers (%u fields)", h->n_fields);
		return;
	}
	if (h->status.present)
		put_h2_str(s, &h->status);
	else
		sb_puts(s, "(no :status)");
	if (h->content_type.present) {
		sb_putc(s, ' ');
		put_h2_str(s, &h->content_type);
	}
	if (h->content_length.present) {
		sb_putc(s, ' ');
		put_h2_str(s, &h->content_length);
		sb_puts(s, " B");
	}
	const struct hpack_field *alt = hpack_field_find(h, "alt-svc");
	if (alt) {
		sb_puts(s, " alt-svc ");
		sb_esc(s, alt->val, alt->val_len);
		if (http_alt_svc_h3_bytes(alt->val, alt->val_len))
			sb_puts(s, " [offers h3: a browser may use QUIC for the next connection]");
	}
	if (dur >= 0) {
		sb_puts(s, " (first byte ");
		sb_dur(s, dur);
		sb_puts(s, " after the request)");
	}
}

static void put_h2_frame(struct sb *s, const struct h2_ev *v, int64_t dur)
{
	const char *name = h2_frame_name(v->type);
	if (v->stream_id)
		sb_printf(s, "#%u ", v->stream_id);
	switch (v->type) {
	case H2_HEADERS:
	case H2_CONTINUATION:
		if (v->head) {
			put_h2_head(s, v, dur);
			break;
		}
		sb_puts(s, name);
		if (!(v->flags & H2_F_END_HEADERS))
			sb_puts(s, " (header block continues)");
		break;
	case H2_DATA:
		if (v->body_total != UINT64_MAX)
			sb_printf(s, "body %llu/%llu B", (unsigned long long)v->body_done,
				  (unsigned long long)v->body_total);
		else
			sb_printf(s, "body %llu B", (unsigned long long)v->body_done);
		if (v->end_stream && dur > 0) {
			sb_puts(s, " (last byte ");
			sb_dur(s, dur);
			sb_puts(s, " after the first)");
		}
		break;
	case H2_RST_STREAM: {
		const char *en = h2_error_name(v->error_code);
		sb_puts(s, "RST_STREAM ");
		if (en)
			sb_puts(s, en);
		else
			sb_printf(s, "0x%x", v->error_code);
		sb_puts(s, ": exchange cancelled");
		break;
	}
	case H2_SETTINGS:
		sb_puts(s, "SETTINGS");
		if (v->flags & H2_F_ACK) {
			sb_puts(s, " ACK");
			break;
		}
		for (unsigned i = 0; i < v->n_settings; i++) {
			const char *sn = h2_setting_name(v->settings[i].id);
			if (sn)
				sb_printf(s, " %s=%u", sn, v->settings[i].value);
			else
				sb_printf(s, " 0x%x=%u", v->settings[i].id, v->settings[i].value);
		}
		if (v->n_settings_all > v->n_settings)
			sb_printf(s, " +%u more", v->n_settings_all - v->n_settings);
		break;
	case H2_WINDOW_UPDATE:
		sb_printf(s, "WINDOW_UPDATE +%u", v->window_inc);
		break;
	case H2_PING:
		sb_puts(s, v->flags & H2_F_ACK ? "PING ACK" : "PING");
		break;
	case H2_PRIORITY:
		sb_printf(s, "PRIORITY on #%u weight %u", v->dep_stream, v->weight + 1u);
		break;
	case H2_PUSH_PROMISE:
		sb_printf(s, "PUSH_PROMISE #%u", v->promised_id);
		if (v->head) {
			sb_putc(s, ' ');
			put_h2_head(s, v, -1);
		}
		break;
	case H2_GOAWAY: {
		const char *en = h2_error_name(v->error_code);
		sb_printf(s, "GOAWAY last #%u ", v->last_stream_id);
		if (en)
			sb_puts(s, en);
		else
			sb_printf(s, "0x%x", v->error_code);
		if (v->debug_len) {
			sb_putc(s, ' ');
			sb_esc_quote(s, v->debug, v->debug_len);
			if (v->debug_cut)
				sb_puts(s, "[cut]");
		}
		break;
	}
	default:
		sb_printf(s, "frame type 0x%02x, %u B", v->type, v->length);
		break;
	}
	if (v->end_stream)
		sb_puts(s, " END_STREAM");
	if (v->status == FT_MALFORMED)
		sb_printf(s, " (malformed: %s)", v->why ? v->why : "?");
	else if (v->status != FT_OK && v->why)
		sb_printf(s, " (%s)", v->why);
}

/* HTTP/2: each frame that ended in this segment, in order. */
static void put_h2(struct sb *s, const struct ev *e)
{
	const struct h2_events *hv = e->h2;
	unsigned shown = 0;
	for (unsigned i = 0; i < hv->n; i++) {
		const struct h2_ev *v = &hv->ev[i];
		if (v->kind == H2_EV_STREAM_DONE)
			continue; /* its last frame said so */
		sb_puts(s, shown++ ? "; " : " | ");
		switch (v->kind) {
		case H2_EV_PREFACE:
			sb_puts(s, "HTTP/2 preface");
			break;
		case H2_EV_FRAME:
			put_h2_frame(s, v, e->h2_dur[i]);
			break;
		case H2_EV_GAP:
			sb_printf(s, "%llu B lost: HTTP/2 not followed from here",
				  (unsigned long long)v->bytes);
			break;
		case H2_EV_OPAQUE:
		default:
			sb_printf(s, "(not HTTP/2 from here: %s)", v->why ? v->why : "?");
			break;
		}
	}
	if (hv->n_dropped)
		sb_printf(s, "; +%u more HTTP/2 events", hv->n_dropped);
}

static void put_tls_version(struct sb *s, uint16_t v)
{
	const char *n = tls_version_name(v);
	if (n)
		sb_puts(s, n);
	else
		sb_printf(s, "0x%04x", v);
}

/* A handshake message decryption revealed. */
static void put_tls_msg(struct sb *s, const struct tls_ev *v)
{
	const char *hn = tls_hs_name(v->hs_type);
	if (hn)
		sb_printf(s, "TLS %s", hn);
	else
		sb_printf(s, "TLS handshake type %u", v->hs_type);
	const struct tlsmsg *m = v->msg;
	if (v->status != FT_OK) {
		sb_printf(s, " (malformed tls: %s)", v->why ? v->why : "?");
		return;
	}
	if (!m)
		return;
	switch (m->type) {
	case TLS_HS_ENCRYPTED_EXTENSIONS:
		if (m->has_alpn) {
			sb_puts(s, " ALPN ");
			sb_esc(s, m->alpn, m->alpn_len);
		}
		break;
	case TLS_HS_CERTIFICATE: {
		const struct tlsmsg_cert *ct = &m->cert;
		if (!ct->parsed) {
			sb_printf(s, " (%u certificates)", ct->n_certs);
			break;
		}
		if (ct->subject_cn_len) {
			sb_puts(s, " CN ");
			sb_esc(s, ct->subject_cn, ct->subject_cn_len);
		}
		for (unsigned k = 0; k < ct->n_san_dns && k < TLSMSG_MAX_SAN; k++) {
			sb_puts(s, k ? "," : " SAN ");
			sb_esc(s, ct->san[k], ct->san_len[k]);
		}
		if (ct->n_san_dns > TLSMSG_MAX_SAN)
			sb_printf(s, ",+%u", ct->n_san_dns - TLSMSG_MAX_SAN);
		if (ct->issuer_cn_len) {
			sb_puts(s, " issuer ");
			sb_esc(s, ct->issuer_cn, ct->issuer_cn_len);
		}
		if (ct->not_before[0] && ct->not_after[0])
			sb_printf(s, " valid %s..%s", ct->not_before, ct->not_after);
		if (ct->n_certs > 1)
			sb_printf(s, " (+%u in chain)", ct->n_certs - 1);
		break;
	}
	case TLS_HS_CERTIFICATE_VERIFY: {
		const char *sn = tlsmsg_sig_scheme_name(m->sig_scheme);
		if (sn)
			sb_printf(s, " %s", sn);
		else
			sb_printf(s, " scheme 0x%04x", m->sig_scheme);
		break;
	}
	case TLS_HS_NEW_SESSION_TICKET:
		sb_printf(s, " lifetime %u s", m->ticket_lifetime);
		if (m->has_max_early_data)
			sb_printf(s, ", early data %u B", m->max_early_data);
		break;
	case TLS_HS_KEY_UPDATE:
		sb_puts(s, m->update_requested ? " (update requested)" : "");
		break;
	default:
		break;
	}
}


/* A ClientHello's " SNI name ALPN a,b versions ..., N cipher suites" (GREASE
 * versions left out); over TCP and in a QUIC Initial alike. */
static void put_client_hello(struct sb *s, const struct tls_client_hello *ch)
{
	if (ch->has_sni) {
		sb_puts(s, " SNI ");
		sb_esc(s, ch->sni, ch->sni_len < TLS_NAME_MAX ? ch->sni_len : TLS_NAME_MAX);
		if (ch->sni_cut)
			sb_puts(s, "[cut]");
	}
	for (unsigned k = 0; k < ch->n_alpn && k < TLS_MAX_ALPN; k++) {
		sb_puts(s, k ? "," : " ALPN ");
		sb_esc(s, ch->alpn[k], ch->alpn_len[k] < TLS_ALPN_MAX ? ch->alpn_len[k] : TLS_ALPN_MAX);
	}
	bool any = false;
	for (unsigned k = 0; k < ch->n_versions && k < TLS_MAX_VERSIONS; k++) {
		const char *vn = tls_version_name(ch->versions[k]);
		if (vn && !strcmp(vn, "GREASE"))
			continue;
		sb_puts(s, any ? "," : " versions ");
		put_tls_version(s, ch->versions[k]);
		any = true;
	}
	sb_printf(s, ", %u cipher suites", ch->n_ciphers);
}

static void put_tls(struct sb *s, const struct ev *e)
{
	const struct tls_events *tv = e->tls;
	for (unsigned i = 0; i < tv->n; i++) {
		const struct tls_ev *v = &tv->ev[i];
		sb_puts(s, i ? "; " : " | ");
		switch (v->kind) {
		case TLS_EV_CLIENT_HELLO: {
			const struct tls_client_hello *ch = v->ch;
			sb_puts(s, "TLS ClientHello");
			if (v->status != FT_OK || !ch) {
				sb_printf(s, " (malformed tls: %s)", v->why ? v->why : "?");
				break;
			}
			put_client_hello(s, ch);
			break;
		}
		case TLS_EV_SERVER_HELLO: {
			const struct tls_server_hello *sh = v->sh;
			if (v->status != FT_OK || !sh) {
				sb_printf(s, "TLS ServerHello (malformed tls: %s)", v->why ? v->why : "?");
				break;
			}
			sb_puts(s, sh->hello_retry ? "TLS HelloRetryRequest " : "TLS ServerHello ");
			put_tls_version(s, sh->version);
			const char *cn = tls_cipher_name(sh->cipher);
			if (cn)
				sb_printf(s, " %s", cn);
			else
				sb_printf(s, " cipher 0x%04x", sh->cipher);
			if (sh->has_alpn) {
				sb_puts(s, " ALPN ");
				sb_esc(s, sh->alpn, sh->alpn_len);
			}
			break;
		}
		case TLS_EV_HANDSHAKE: {
			const char *hn = tls_hs_name(v->hs_type);
			if (hn)
				sb_printf(s, "TLS %s", hn);
			else
				sb_printf(s, "TLS handshake type %u", v->hs_type);
			break;
		}
		case TLS_EV_ENCRYPTED_HS:
			sb_printf(s, "TLS encrypted handshake %u B", v->rec_len);
			break;
		case TLS_EV_CCS:
			sb_puts(s, "TLS ChangeCipherSpec");
			break;
		case TLS_EV_ALERT:
			if (v->encrypted) {
				sb_puts(s, v->guess == TLS_GUESS_CLOSE
						   ? "TLS encrypted alert, likely close_notify"
						   : "TLS encrypted alert");
			} else if (v->status != FT_OK) {
				sb_printf(s, "TLS alert (malformed tls: %s)", v->why ? v->why : "?");
			} else {
				const char *an = tls_alert_name(v->alert_desc);
				sb_printf(s, "TLS alert %s ", v->alert_level == 2 ? "fatal" : "warning");
				if (an)
					sb_puts(s, an);
				else
					sb_printf(s, "%u", v->alert_desc);
			}
			break;
		case TLS_EV_APPDATA:
			if (v->decrypted) {
				sb_printf(s, "TLS application data %u B decrypted", v->pt_len);
				const struct conn *c = e->seg ? e->seg->c : NULL;
				/* HTTP/2 has no decoder yet: its bytes, by the ALPN */
				if (c && c->app == APP_OPAQUE && !strcmp(tlsl_alpn(c->tlsl), "h2"))
					sb_printf(s, ": HTTP/2 %u B", v->pt_len);
			} else if (v->guess == TLS_GUESS_TICKET) {
				sb_printf(s, "TLS application data %u B (encrypted, likely NewSessionTicket)",
					  v->rec_len);
			} else { /* most TLS lines */
				sb_puts(s, "TLS application data ");
				sb_u64(s, v->rec_len);
				sb_puts(s, " B (encrypted)");
			}
			break;
		case TLS_EV_DEC_HS:
			put_tls_msg(s, v);
			break;
		case TLS_EV_DEC_NOTE:
			sb_printf(s, "(TLS %s)", v->why ? v->why : "not decrypted");
			break;
		case TLS_EV_OTHER_RECORD:
			sb_printf(s, "TLS record type %u, %u B", v->content_type, v->rec_len);
			break;
		case TLS_EV_OPAQUE:
			sb_printf(s, "(not TLS from here: %s)", v->why ? v->why : "?");
			break;
		}
	}
	if (tv->n_dropped)
		sb_printf(s, "; +%u more TLS records", tv->n_dropped);
	if (e->sni_name_differs)
		sb_puts(s, " [SNI differs from the DNS name]");
}

static bool stream_said_gap(const struct ev *e)
{
	for (unsigned i = 0; e->http && i < e->http->n; i++)
		if (e->http->ev[i].kind == HTTP_EV_GAP)
			return true;
	for (unsigned i = 0; e->tls && i < e->tls->n; i++)
		if (e->tls->ev[i].kind == TLS_EV_OPAQUE)
			return true;
	for (unsigned i = 0; e->h2 && i < e->h2->n; i++)
		if (e->h2->ev[i].kind == H2_EV_GAP)
			return true;
	return false;
}

/* What the reassembled streams said about this segment. */
/* A proxy handshake's messages in this segment: " | SOCKS5 CONNECT www.lab.test:443". */
static void put_proxy(struct sb *s, const struct ev *e)
{
	const struct proxy_state *px = e->proxy;
	uint8_t m = e->proxy_msgs;
	const char *k = proxy_kind_name(px);
	if (m & PROXY_M_HELLO)
		sb_printf(s, " | %s hello, %u auth method%s", k, px->n_methods,
			  px->n_methods == 1 ? "" : "s");
	if (m & PROXY_M_METHOD)
		sb_printf(s, " | %s method %s", k,
			  px->method == 0 ? "no auth" : px->method == 2 ? "username/password"
			  : px->method == 0xFF ? "none acceptable (refused)" : "other");
	if (m & PROXY_M_AUTH)
		sb_printf(s, " | %s username/password", k);
	if (m & PROXY_M_AUTH_REPLY)
		sb_printf(s, " | %s auth %s", k, px->auth_status ? "failed" : "ok");
	if (m & PROXY_M_REQUEST) {
		sb_printf(s, " | %s to ", k);
		sb_esc(s, (const uint8_t *)px->host, px->host_len);
		sb_printf(s, " port %u", px->port);
	}
	if (m & PROXY_M_REPLY) {
		if (px->kind == PROXY_CONNECT)
			sb_printf(s, " | %s %u: %s", k, px->status,
				  px->ok ? "tunnel open"
				  : px->status == 407 ? "proxy authentication required" : "refused");
		else
			sb_printf(s, " | %s reply %u: %s", k, px->code,
				  px->ok ? "tunnel open" : "refused");
	}
	if (!m && px->failed)
		sb_printf(s, " | %s handshake broken: the rest is not decoded", k);
	else if (!m)
		sb_printf(s, " | %s handshake continues", k);
}

static void put_streams(struct sb *s, const struct ev *e)
{
	if (e->proxy)
		put_proxy(s, e);
	if (e->rres.differs)
		sb_puts(s, " [retransmitted bytes differ]");
	if (e->http)
		put_http(s, e);
	if (e->h2)
		put_h2(s, e);
	if (e->h2_refused)
		sb_puts(s, " | HTTP/2 not decoded: over the memory cap");
	if (e->tls)
		put_tls(s, e);
	if (e->held) {
		/* on most segments of a decrypted transfer: written piece by
		 * piece, not parsed from a format each time */
		sb_puts(s, e->seg->c->tls       ? " | TLS record continues ("
			   : e->seg->dir == 0   ? " | request head continues ("
						: " | response head continues (");
		sb_u64(s, e->held);
		sb_puts(s, " B so far)");
	}
	/* A decoder that took the gap says so itself (HTTP "N B lost", TLS
	 * "not TLS from here"); otherwise say it here. */
	if (e->gap && !stream_said_gap(e))
		sb_printf(s, " [%llu B of the stream not captured]", (unsigned long long)e->gap);
}

static void put_cid(struct sb *s, const char *label, const uint8_t *cid, uint8_t len)
{
	sb_printf(s, " %s ", label);
	if (!len)
		sb_puts(s, "(empty)");
	for (unsigned i = 0; i < len && i < QUIC_CID_MAX; i++)
		sb_printf(s, "%02x", cid[i]);
}

static const char *const quic_tname[] = {
	[QUIC_SHORT] = "1-RTT (short header)", [QUIC_INITIAL] = "Initial",
	[QUIC_0RTT] = "0-RTT",                 [QUIC_HANDSHAKE] = "Handshake",
	[QUIC_RETRY] = "Retry",                [QUIC_VERSION_NEG] = "Version Negotiation",
};

static void put_quic_version(struct sb *s, uint32_t v)
{
	const char *vn = quic_version_name(v);
	if (vn)
		sb_printf(s, "v%s", vn);
	else
		sb_printf(s, "version 0x%08x", v);
}

static void put_quic_hdr(struct sb *s, enum quic_type type, uint32_t version, const uint8_t *dcid,
			 uint8_t dcid_len, const uint8_t *scid, uint8_t scid_len)
{
	sb_puts(s, (unsigned)type < sizeof(quic_tname) / sizeof(quic_tname[0]) ? quic_tname[type]
										: "?");
	if (type == QUIC_SHORT)
		return;
	if (type != QUIC_VERSION_NEG) {
		sb_putc(s, ' ');
		put_quic_version(s, version);
	}
	put_cid(s, "DCID", dcid, dcid_len);
	put_cid(s, "SCID", scid, scid_len);
}

/* A transport or application error code by name. */
static void put_quic_error(struct sb *s, bool app, uint64_t code)
{
	const char *n = app ? quicflow_h3_error_name(code) : quic_transport_error_name(code);
	if (n)
		sb_puts(s, n);
	else
		sb_printf(s, "error 0x%llx", (unsigned long long)code);
	if (!app && code >= 0x100 && code <= 0x1ff) {
		const char *an = tls_alert_name((uint8_t)(code & 0xff));
		if (an)
			sb_printf(s, " (TLS alert %s)", an);
	}
}

/* One frame of a decrypted QUIC packet. */
static void put_quic_frame(struct sb *s, const struct quicframe *f)
{
	uint64_t t = f->type;
	const char *n = quicframe_name(t);
	if ((t & ~(uint64_t)7) == QF_STREAM) {
		sb_printf(s, "STREAM %llu off %llu len %llu%s", (unsigned long long)f->stream_id,
			  (unsigned long long)f->offset, (unsigned long long)f->length,
			  f->fin ? " FIN" : "");
		return;
	}
	if (n)
		sb_puts(s, n);
	else
		sb_printf(s, "frame 0x%llx", (unsigned long long)t);
	switch (t) {
	case QF_PADDING:
		sb_printf(s, " %llu B", (unsigned long long)f->length);
		break;
	case QF_ACK:
	case QF_ACK_ECN:
		sb_printf(s, " %llu-%llu", (unsigned long long)f->smallest,
			  (unsigned long long)f->largest);
		if (f->n_ranges)
			sb_printf(s, " (%llu gaps)", (unsigned long long)f->n_ranges);
		break;
	case QF_CRYPTO:
		sb_printf(s, " %llu+%llu", (unsigned long long)f->offset,
			  (unsigned long long)f->length);
		break;
	case QF_RESET_STREAM:
	case QF_STOP_SENDING:
		sb_printf(s, " %llu ", (unsigned long long)f->stream_id);
		put_quic_error(s, true, f->error_code);
		if (t == QF_RESET_STREAM)
			sb_printf(s, " final size %llu", (unsigned long long)f->final_size);
		break;
	case QF_NEW_TOKEN:
	case QF_DATAGRAM:
	case QF_DATAGRAM_LEN:
		sb_printf(s, " %llu B", (unsigned long long)f->length);
		break;
	case QF_MAX_STREAM_DATA:
	case QF_STREAM_DATA_BLOCKED:
		sb_printf(s, " %llu %llu", (unsigned long long)f->stream_id,
			  (unsigned long long)f->value);
		break;
	case QF_MAX_DATA:
	case QF_MAX_STREAMS_BIDI:
	case QF_MAX_STREAMS_UNI:
	case QF_DATA_BLOCKED:
	case QF_STREAMS_BLOCKED_BIDI:
	case QF_STREAMS_BLOCKED_UNI:
	case QF_RETIRE_CONNECTION_ID:
		sb_printf(s, " %llu", (unsigned long long)f->value);
		break;
	case QF_NEW_CONNECTION_ID:
		sb_printf(s, " #%llu", (unsigned long long)f->value);
		put_cid(s, "CID", f->cid, f->cid_len);
		break;
	case QF_CONNECTION_CLOSE:
	case QF_CONNECTION_CLOSE_APP:
		sb_putc(s, ' ');
		put_quic_error(s, t == QF_CONNECTION_CLOSE_APP, f->error_code);
		if (f->data && f->length) {
			sb_puts(s, " \"");
			sb_esc(s, f->data, (size_t)(f->length < 64 ? f->length : 64));
			sb_puts(s, f->length > 64 ? "\"[cut]" : "\"");
		}
		break;
	default:
		break;
	}
}

/* The TLS handshake messages a packet's CRYPTO frames completed. */
static void put_quic_hs(struct sb *s, const struct quicdec_result *r)
{
	for (unsigned i = 0; i < r->n_hs && i < QUICDEC_MAX_HS; i++) {
		const struct quicdec_hs *h = &r->hs[i];
		sb_puts(s, " | TLS ");
		if (h->type == 1 && r->has_ch) {
			const struct tls_client_hello *ch = &r->ch;
			sb_puts(s, "ClientHello");
			put_client_hello(s, ch);
			if (r->has_tp && r->tp_dir == 0)
				sb_printf(s, ", %u transport parameters", r->tp.n + r->tp.n_dropped);
		} else if (h->type == 2 && r->has_sh) {
			const struct tls_server_hello *sh = &r->sh;
			sb_puts(s, sh->hello_retry ? "HelloRetryRequest " : "ServerHello ");
			put_tls_version(s, sh->version);
			const char *cn = tls_cipher_name(sh->cipher);
			if (cn)
				sb_printf(s, " %s", cn);
			else
				sb_printf(s, " cipher 0x%04x", sh->cipher);
		} else {
			const char *hn = tls_hs_name(h->type);
			if (hn)
				sb_puts(s, hn);
			else
				sb_printf(s, "handshake type %u", h->type);
			if (h->type == 8 && r->ee_has_alpn) {
				sb_puts(s, " ALPN ");
				sb_esc(s, r->ee_alpn, r->ee_alpn_len);
			}
		}
		if (h->status != FT_OK)
			sb_printf(s, " (malformed tls: %s)", h->why ? h->why : "?");
	}
	if (r->n_hs_dropped)
		sb_printf(s, "; +%u more TLS messages", r->n_hs_dropped);
}

/* One packet as quicdec left it. */
static void put_quic_dec(struct sb *s, const struct quicdec_result *r)
{
	const struct quicdec_hdr *h = &r->hdr;
	if (r->status == QUICDEC_MALFORMED || r->status == QUICDEC_TRUNCATED) {
		sb_printf(s, "%s (%s quic: %s)", r->status == QUICDEC_TRUNCATED ? "[|quic]" : "?",
			  r->status == QUICDEC_TRUNCATED ? "cut" : "malformed", r->why ? r->why : "?");
		return;
	}
	put_quic_hdr(s, h->type, h->version, h->dcid, h->dcid_len, h->scid, h->scid_len);
	if (h->type == QUIC_VERSION_NEG) {
		for (unsigned k = 0; k < h->n_versions && k < QUICDEC_MAX_VERSIONS; k++) {
			sb_puts(s, k ? ", " : " offers ");
			put_quic_version(s, h->versions[k]);
		}
		sb_puts(s, ": the server does not speak the client's version");
		return;
	}
	if (h->type == QUIC_RETRY) {
		sb_printf(s, " token %zu B, integrity tag %s: the server asks the client to prove its "
			     "address (its next Initial carries the token)",
			  h->token_len,
			  r->retry_tag == 1 ? "ok" : r->retry_tag == 0 ? "WRONG" : "not checked");
		return;
	}
	if (r->status != QUICDEC_OK) {
		if (r->status == QUICDEC_NEED_KEY)
			sb_puts(s, " [encrypted]");
		else
			sb_printf(s, " (%s: %s)",
				  r->status == QUICDEC_AUTH_FAIL ? "does not decrypt" : "not decrypted",
				  r->why ? r->why : "?");
		return;
	}
	sb_printf(s, " pn %llu", (unsigned long long)r->pkt.pn);
	if (r->key_updated)
		sb_puts(s, " [key update]");
	/* CRYPTO, PADDING and PING are summed where the first of each is
	 * (Chromium scatters dozens of them over its Initials); the rest are
	 * shown one by one, in order.  JSON lists every frame. */
	const struct quicframe_events *fe = &r->frames;
	unsigned n_crypto = 0, n_ping = 0, shown = 0;
	uint64_t c_lo = UINT64_MAX, c_hi = 0, c_bytes = 0, pad = 0;
	for (unsigned k = 0; k < fe->n && k < QUICFRAME_MAX; k++) {
		const struct quicframe *f = &fe->f[k];
		if (f->type == QF_CRYPTO) {
			n_crypto++;
			c_bytes += f->length;
			if (f->offset < c_lo)
				c_lo = f->offset;
			if (f->offset + f->length > c_hi)
				c_hi = f->offset + f->length;
		} else if (f->type == QF_PADDING) {
			pad += f->length;
		} else if (f->type == QF_PING) {
			n_ping++;
		}
	}
	bool said_crypto = false, said_pad = false, said_ping = false;
	for (unsigned k = 0; k < fe->n && k < QUICFRAME_MAX; k++) {
		const struct quicframe *f = &fe->f[k];
		bool *said = f->type == QF_CRYPTO ? &said_crypto
			     : f->type == QF_PADDING ? &said_pad
			     : f->type == QF_PING  ? &said_ping
						   : NULL;
		if (said && *said)
			continue;
		sb_puts(s, shown++ ? ", " : ": ");
		if (f->type == QF_CRYPTO && n_crypto > 1)
			sb_printf(s, "CRYPTO %llu B in %u frames (offsets %llu-%llu)",
				  (unsigned long long)c_bytes, n_crypto, (unsigned long long)c_lo,
				  (unsigned long long)c_hi);
		else if (f->type == QF_PADDING)
			sb_printf(s, "PADDING %llu B", (unsigned long long)pad);
		else if (f->type == QF_PING && n_ping > 1)
			sb_printf(s, "PING x%u", n_ping);
		else
			put_quic_frame(s, f);
		if (said)
			*said = true;
	}
	if (r->frames.n_dropped)
		sb_printf(s, ", +%u more frames", r->frames.n_dropped);
	if (r->frames.status != FT_OK)
		sb_printf(s, " (%s frames: %s)",
			  r->frames.status == FT_TRUNCATED ? "cut" : "malformed",
			  r->frames.why ? r->frames.why : "?");
	if (r->why)
		sb_printf(s, " [%s]", r->why);
	put_quic_hs(s, r);
	if (r->crypto_dropped)
		sb_puts(s, " [CRYPTO bytes past the buffer dropped]");
}

/* A decoded HTTP/3 header block: "#0 GET /path authority", "#0 200 type length". */
static void put_h3_head(struct sb *s, uint64_t sid, enum h3_head_kind k,
			const struct hpack_headers *h)
{
	sb_printf(s, "#%llu ", (unsigned long long)sid);
	if (k == H3_HEAD_REQUEST || k == H3_HEAD_PUSH) {
		if (k == H3_HEAD_PUSH)
			sb_puts(s, "PUSH_PROMISE ");
		sb_esc(s, h->method.b, h->method.len);
		sb_putc(s, ' ');
		sb_esc(s, h->path.b, h->path.len);
		if (h->path.cut)
			sb_puts(s, "...");
		if (h->authority.present) {
			sb_putc(s, ' ');
			sb_esc(s, h->authority.b, h->authority.len);
		}
	} else if (k == H3_HEAD_TRAILERS) {
		sb_printf(s, "trailers (%u fields)", h->n_fields);
	} else {
		if (h->status.present)
			sb_esc(s, h->status.b, h->status.len);
		else
			sb_puts(s, "(no :status)");
		if (h->content_type.present) {
			sb_putc(s, ' ');
			sb_esc(s, h->content_type.b, h->content_type.len);
		}
		if (h->has_length)
			sb_printf(s, " %llu", (unsigned long long)h->length);
		else if (h->content_length.present)
			sb_puts(s, " (bad content-length)");
	}
	if (h->pseudo_bad)
		sb_puts(s, " [bad pseudo-headers]");
}

/* One HTTP/3 event; false when it says nothing worth a line's room. */
static bool put_h3_ev(struct sb *s, const struct h3_ev *v)
{
	unsigned long long sid = (unsigned long long)v->stream_id;
	switch (v->kind) {
	case H3_EV_STREAM: {
		if (v->skind == H3_SK_REQUEST)
			return false;
		if (v->skind == H3_SK_SERVER_BIDI) {
			sb_printf(s, "stream %llu: server-initiated bidirectional, not HTTP/3", sid);
			return true;
		}
		const char *n = h3_uni_name(v->uni_type);
		if (n)
			sb_printf(s, "stream %llu: %s stream", sid, n);
		else
			sb_printf(s, "stream %llu: unidirectional type 0x%llx (skipped)", sid,
				  (unsigned long long)v->uni_type);
		return true;
	}
	case H3_EV_FRAME:
	case H3_EV_HEADERS:
		if (v->head) {
			put_h3_head(s, v->stream_id, v->head_kind, v->head);
		} else if (v->kind == H3_EV_FRAME && v->type == H3_DATA) {
			sb_printf(s, "#%llu body %llu", sid, (unsigned long long)v->body_done);
			if (v->body_total != UINT64_MAX)
				sb_printf(s, "/%llu", (unsigned long long)v->body_total);
			sb_puts(s, " B");
		} else if (v->kind == H3_EV_FRAME && v->type == H3_SETTINGS) {
			sb_puts(s, "SETTINGS");
			for (unsigned i = 0; i < v->n_settings && i < H3_MAX_SETTINGS; i++) {
				const char *n = h3_setting_name(v->settings[i].id);
				if (n && strncmp(n, "SETTINGS_", 9) == 0)
					n += 9;
				if (n)
					sb_printf(s, " %s=", n);
				else
					sb_printf(s, " %s0x%llx=",
						  h3_is_reserved(v->settings[i].id) ? "reserved " : "",
						  (unsigned long long)v->settings[i].id);
				sb_u64(s, v->settings[i].value);
			}
			if (v->n_settings_all > v->n_settings)
				sb_printf(s, " +%u more", v->n_settings_all - v->n_settings);
		} else if (v->kind == H3_EV_FRAME && v->type == H3_GOAWAY) {
			sb_printf(s, "GOAWAY %llu", (unsigned long long)v->id);
		} else if (v->kind == H3_EV_FRAME && v->type == H3_MAX_PUSH_ID) {
			sb_printf(s, "MAX_PUSH_ID %llu", (unsigned long long)v->id);
		} else if (v->kind == H3_EV_FRAME && v->type == H3_CANCEL_PUSH) {
			sb_printf(s, "CANCEL_PUSH %llu", (unsigned long long)v->push_id);
		} else {
			const char *n = v->kind == H3_EV_FRAME ? h3_frame_name(v->type) : "HEADERS";
			if (v->exchange || v->stream_id % 4 == 0)
				sb_printf(s, "#%llu ", sid);
			if (n)
				sb_puts(s, n);
			else if (v->type == 0xf0700 || v->type == 0xf0701) /* RFC 9218 */
				sb_printf(s, "PRIORITY_UPDATE (%llu B, skipped)",
					  (unsigned long long)v->length);
			else
				sb_printf(s, "%s 0x%llx (%llu B, skipped)",
					  h3_is_reserved(v->type) ? "reserved frame" : "frame",
					  (unsigned long long)v->type, (unsigned long long)v->length);
			if (v->blocked)
				sb_puts(s, " (waits for QPACK encoder stream inserts)");
		}
		if (v->fin)
			sb_puts(s, " FIN");
		break;
	case H3_EV_STREAM_DONE:
		if (!v->xchg || !v->xchg->reset)
			return false;
		sb_printf(s, "#%llu reset by %s", sid, v->xchg->reset_dir ? "server" : "client");
		{
			const char *n = h3_error_name(v->xchg->reset_code);
			if (n)
				sb_printf(s, " %s", n);
			else
				sb_printf(s, " error 0x%llx", (unsigned long long)v->xchg->reset_code);
		}
		break;
	case H3_EV_GAP:
		sb_printf(s, "stream %llu: %llu B missing, not decoded from here", sid,
			  (unsigned long long)v->bytes);
		break;
	case H3_EV_ERROR:
		sb_printf(s, "stream %llu", sid);
		break;
	default:
		return false;
	}
	if (v->status != FT_OK || v->kind == H3_EV_ERROR)
		sb_printf(s, " (%s: %s)", v->status == FT_UNSUPPORTED ? "not followed" : "malformed h3",
			  v->why ? v->why : "?");
	return true;
}

/* The HTTP/3 events of a datagram's STREAM frames. */
static void put_h3(struct sb *s, const struct h3_events *h)
{
	unsigned shown = 0;
	for (unsigned i = 0; i < h->n && i < H3_MAX_EVENTS; i++) {
		const struct h3_ev *v = &h->ev[i];
		if ((v->kind == H3_EV_STREAM && v->skind == H3_SK_REQUEST) ||
		    (v->kind == H3_EV_STREAM_DONE && (!v->xchg || !v->xchg->reset)))
			continue; /* the request's HEADERS, its FIN say it */
		sb_puts(s, shown++ ? ", " : " | HTTP/3 ");
		(void)put_h3_ev(s, v);
	}
	if (h->n_dropped)
		sb_printf(s, "%s+%u more HTTP/3 events", shown ? ", " : " | HTTP/3 ", h->n_dropped);
}

static void put_quic(struct sb *s, const struct ev *e)
{
	const struct quic_info *q = e->quic;
	if (e->n_quic_dec) {
		for (unsigned i = 0; i < e->n_quic_dec; i++) {
			sb_puts(s, i ? "; " : "QUIC ");
			put_quic_dec(s, &e->quic_dec[i]);
		}
		if (e->n_quic_dec == QUIC_MAX_PACKETS && q->n_more)
			sb_printf(s, "; +%u more coalesced packets", q->n_more);
		if (e->h3)
			put_h3(s, e->h3);
		if (e->sni_name_differs)
			sb_puts(s, " [SNI differs from the DNS name]");
		return;
	}
	for (unsigned i = 0; i < q->n_pkts && i < QUIC_MAX_PACKETS; i++) {
		const struct quic_pkt *k = &q->pkt[i];
		sb_puts(s, i ? "; " : "QUIC ");
		put_quic_hdr(s, k->type, k->version, k->dcid, k->dcid_len, k->scid, k->scid_len);
	}
	if (q->n_more)
		sb_printf(s, "; +%u more coalesced packets", q->n_more);
	if (q->status == FT_TRUNCATED)
		sb_puts(s, " [|quic]");
	else if (q->status == FT_MALFORMED)
		sb_printf(s, " (malformed quic: %s)", q->why ? q->why : "?");
	if (e->quic_vn) {
		for (unsigned k = 0; k < e->quic_vn->n_versions && k < QUICDEC_MAX_VERSIONS; k++) {
			sb_puts(s, k ? ", " : " offers ");
			put_quic_version(s, e->quic_vn->versions[k]);
		}
		sb_puts(s, ": the server does not speak the client's version");
	} else if (q->n_pkts && q->pkt[0].type == QUIC_RETRY) {
		sb_puts(s, ": the server asks the client to prove its address (its next Initial "
			   "carries the token)");
	}
}

/* ------------------------------------------------------------------ */
/* ICMP                                                                */
/* ------------------------------------------------------------------ */

/* An IP fragment not handed on (frag.c): "fragment of DNS answer #3278,
 * bytes 0-1231: held (1 fragment, 1232 B so far)". */
static void put_frag(struct sb *s, const struct ev *e)
{
	const struct frag_out *f = e->frag;
	sb_puts(s, "fragment of ");
	if (f->dns)
		sb_printf(s, "DNS %s #%04x", f->dns_qr ? "answer" : "query", f->dns_id);
	else if (f->l4 && f->proto == 17)
		sb_printf(s, "UDP datagram %u > %u", f->sport, f->dport);
	else if (f->l4 && f->proto == 6)
		sb_printf(s, "TCP segment %u > %u", f->sport, f->dport);
	else if (f->l4 && (f->proto == IPPROTO_NUM_ICMP || f->proto == IPPROTO_NUM_ICMPV6))
		sb_puts(s, "ICMP message");
	else if (f->l4)
		sb_printf(s, "IP proto %u datagram", f->proto);
	else
		sb_printf(s, "IP datagram id 0x%x", f->id); /* its first fragment not seen yet */
	if (f->len)
		sb_printf(s, ", bytes %u-%u", f->offset, f->offset + f->len - 1);
	else
		sb_printf(s, ", 0 B at %u", f->offset);
	if (!f->more)
		sb_puts(s, " (last)");
	switch (f->verdict) {
	case FRAG_HELD:
		sb_printf(s, ": held (%u fragment%s, %u B so far)", f->n_frags,
			  f->n_frags == 1 ? "" : "s", f->held);
		break;
	case FRAG_DUP:
		sb_puts(s, ": a duplicate, ignored");
		break;
	case FRAG_DROPPED:
		sb_printf(s, ": dropped: %s", f->why ? f->why : "?");
		break;
	case FRAG_DONE: /* handed on, never here */
		break;
	}
}

/* What an error quotes: "the QUIC Initial to [::1]:443", "the DNS query
 * #4f1a example.com to 10.0.0.53:53", "the SYN to 10.0.4.2:80". */
static void put_icmp_quote(struct sb *s, const struct icmp_info *m, const struct dns_msg *d)
{
	const struct icmp_quote *q = &m->q;
	if (!q->ip) {
		sb_puts(s, " (quote cut before its IP header's end)");
		return;
	}
	sb_puts(s, " for ");
	if (q->proto == 17 && q->ports && q->dport == 53 && q->dns && !q->dns_qr) {
		sb_printf(s, "the DNS query #%04x", q->dns_id);
		if (d && d->has_question) {
			sb_putc(s, ' ');
			put_name(s, &d->qname);
		}
	} else if (q->proto == 17 && q->ports && q->quic) {
		sb_printf(s, "the QUIC %s", icmp_quic_type_name(q->quic_type));
	} else if (q->proto == 17 && q->ports) {
		sb_printf(s, "a UDP datagram");
		if (q->udp)
			sb_printf(s, " of %u B", q->pl_len);
	} else if (q->proto == 6 && q->tcp_flags_ok) {
		sb_puts(s, "the ");
		put_flags(s, q->tcp_flags);
		if (q->tcp_pl_len)
			sb_printf(s, " with %u B", q->tcp_pl_len);
	} else if (q->proto == 6) {
		sb_puts(s, "a TCP segment");
	} else {
		sb_printf(s, "an IP proto %u packet", q->proto);
	}
	sb_puts(s, " to ");
	if (q->ports)
		sb_endpoint(s, q->ver, q->dst, q->dport);
	else
		sb_ip(s, q->ver, q->dst);
	if (m->quote_cut)
		sb_puts(s, " (quote cut)");
}

static void put_icmp(struct sb *s, const struct ev *e)
{
	const struct icmp_info *m = &e->p->icmp;
	const char *tn = icmp_type_name(m->ver, m->type);
	const char *cn = icmp_code_name(m->ver, m->type, m->code);
	sb_puts(s, m->ver == 6 ? "ICMPv6 " : "ICMP ");
	/* An error's code says it all ("port unreachable", "TTL exceeded in
	 * transit"), except where the type is the news (parameter problem). */
	bool by_code = m->error && cn && m->kind != ICMP_K_PARAM_PROBLEM &&
		       m->kind != ICMP_K_REDIRECT;
	if (by_code)
		sb_puts(s, cn);
	else if (tn)
		sb_puts(s, tn);
	else
		sb_printf(s, "type %u", m->type);
	if (!by_code && cn)
		sb_printf(s, ": %s", cn);
	else if (!cn && m->code)
		sb_printf(s, " code %u", m->code);
	switch (m->kind) {
	case ICMP_K_ECHO_REQUEST:
	case ICMP_K_ECHO_REPLY:
		sb_printf(s, " id %u seq %u, %u B", m->echo_id, m->echo_seq, m->body_len);
		break;
	case ICMP_K_TOO_BIG:
		sb_printf(s, " (MTU %u)", m->mtu);
		break;
	case ICMP_K_PARAM_PROBLEM:
		sb_printf(s, " (pointer %u)", m->pointer);
		break;
	default:
		break;
	}
	if (m->error)
		put_icmp_quote(s, m, e->icmp_dns);
	const char *why = icmp_meaning(m);
	if (why)
		sb_printf(s, ", %s", why);
}

/* ------------------------------------------------------------------ */
/* the packet line                                                     */
/* ------------------------------------------------------------------ */

static void put_time(struct text_out *o, int64_t ts)
{
	if (!o->have_first) {
		o->have_first = true;
		o->first_ts = o->prev_ts = ts;
	}
	struct sb *s = &o->sb;
	int64_t v = ts;
	if (o->opt.ts_mode == TS_RELATIVE)
		v = ts - o->first_ts;
	else if (o->opt.ts_mode == TS_DELTA)
		v = ts - o->prev_ts;
	o->prev_ts = ts;
	/* Right-aligned in 10 columns: "  0.004512", " 12.000100". */
	char tmp[32];
	struct sb t;
	sb_init(&t, tmp, sizeof(tmp));
	sb_secs(&t, v);
	sb_pad(s, s->len + (t.len < 10 ? 10 - t.len : 0));
	sb_write(s, tmp, t.len);
}

/* The packet's interface when the input has several: " if1:eth0", its
 * if_name escaped (a space too: the column is one word) and cut (ending
 * '~') to IFACE_COLS columns in all, padded to them, so the columns after
 * it stay aligned. */
#define IFACE_COLS 14
static void put_iface(struct sb *s, const struct ev *e)
{
	sb_putc(s, ' ');
	size_t start = s->len;
	sb_printf(s, "if%u", (unsigned)e->if_id);
	if (e->if_name_len) {
		sb_putc(s, ':');
		static const char hex[] = "0123456789abcdef";
		for (size_t i = 0; i < e->if_name_len && i < 256; i++) {
			uint8_t b = e->if_name[i];
			char piece[4];
			size_t n = 0;
			if (b == '\\') {
				piece[n++] = '\\';
				piece[n++] = '\\';
			} else if (b > 0x20 && b < 0x7f) { /* a space too is escaped: one word */
				piece[n++] = (char)b;
			} else {
				piece[n++] = '\\';
				piece[n++] = 'x';
				piece[n++] = hex[b >> 4];
				piece[n++] = hex[b & 15];
			}
			bool last = i + 1 == e->if_name_len;
			/* room for this piece, and for the '~' when more follows */
			if (s->len - start + n + (last ? 0 : 1) > IFACE_COLS) {
				sb_putc(s, '~');
				break;
			}
			for (size_t j = 0; j < n; j++)
				sb_putc(s, piece[j]);
		}
	}
	sb_pad(s, start + IFACE_COLS);
}

/* "192.0.2.1:80 > 198.51.100.7:41234": a connection's packets all carry the
 * same two endpoints, so the text is kept per four-tuple and formatted once
 * (a slot holds the last tuple that fell in it: a collision, even a crafted
 * one, only costs formatting again). */
static void put_endpoints(struct text_out *o, const struct pkt *p)
{
	unsigned last = p->ip_ver == 6 ? 15 : 3; /* the addresses' last bytes vary most */
	uint32_t h = p->sport * 0x9e3779b1u ^ p->dport * 0x85ebca6bu ^
		     (uint32_t)p->src[last] << 7 ^ (uint32_t)p->dst[last] << 15;
	struct ep_text *c = &o->ep[(h ^ h >> 16) % EP_SLOTS];
	if (c->ver != p->ip_ver || c->sport != p->sport || c->dport != p->dport ||
	    memcmp(c->src, p->src, 16) || memcmp(c->dst, p->dst, 16)) {
		struct sb t;
		sb_init(&t, c->text, sizeof(c->text));
		sb_endpoint(&t, p->ip_ver, p->src, p->sport);
		sb_puts(&t, " > ");
		sb_endpoint(&t, p->ip_ver, p->dst, p->dport);
		c->ver = p->ip_ver;
		c->len = (uint8_t)t.len;
		c->sport = p->sport;
		c->dport = p->dport;
		memcpy(c->src, p->src, 16);
		memcpy(c->dst, p->dst, 16);
	}
	sb_write(&o->sb, c->text, c->len);
}

/* Spaces up to column col, and at least one: fields never run together. */
static void pad_sep(struct sb *s, size_t col)
{
	if (s->len >= col)
		sb_putc(s, ' ');
	else
		sb_pad(s, col);
}

/* ------------------------------------------------------------------ */
/* frame numbers, compact lines, folded ACKs                           */
/* ------------------------------------------------------------------ */

/* Columns of a compact line (--brief), counted as COL_* are. */
enum { BCOL_TAG = 19, BCOL_DIR = 28, BCOL_NOTE = 31 };

/* -#: the frame number right-aligned in 5 columns and a space, as tcpdump
 * -# prints it; no packet (a released event) leaves them blank. */
static void put_frame(struct text_out *o, const struct ev *e)
{
	struct sb *s = &o->sb;
	if (!o->opt.number)
		return;
	if (e->frame)
		sb_printf(s, "%5llu ", (unsigned long long)e->frame);
	else
		sb_pad(s, s->len + 6);
}

/* The step's name, coloured on a terminal; *shift grows by the bytes the
 * colour codes take (they take no columns). */
static void put_step(struct text_out *o, const struct ev *e, size_t *shift)
{
	struct sb *s = &o->sb;
	bool col = o->opt.color;
	if (col)
		sb_puts(s, step_color[e->step]);
	sb_puts(s, step_name(e->step));
	if (col) {
		sb_puts(s, COLOR_OFF);
		*shift += strlen(step_color[e->step]) + strlen(COLOR_OFF);
	}
}

/* A TCP connection's tag, "f1 c2" ("c2" before its fetch is known). */
static void put_conn_tag(struct sb *s, uint32_t fetch_id, uint32_t conn_id)
{
	if (fetch_id) {
		sb_putc(s, 'f');
		sb_u64(s, fetch_id);
		sb_putc(s, ' ');
	}
	sb_putc(s, 'c');
	sb_u64(s, conn_id);
}

/* "f1 c2" (TCP), "f1 q1" (QUIC), "f3" (an ICMP error): the fetch and the connection. */
static void put_tag(struct sb *s, const struct ev *e)
{
	if (e->seg) {
		put_conn_tag(s, e->seg->c->fetch_id, e->seg->c->id);
	} else if (e->quic && (e->quic_fetch || e->quic_conn)) {
		if (e->quic_fetch)
			sb_printf(s, "f%u%s", e->quic_fetch, e->quic_conn ? " " : "");
		if (e->quic_conn)
			sb_printf(s, "q%u", e->quic_conn);
	} else if (e->icmp_fetch || e->icmp_conn || e->icmp_qconn) {
		/* an ICMP error: the fetch and connection of the packet it quotes */
		if (e->icmp_fetch)
			sb_printf(s, "f%u", e->icmp_fetch);
		if (e->icmp_conn)
			sb_printf(s, "%sc%u", e->icmp_fetch ? " " : "", e->icmp_conn);
		else if (e->icmp_qconn)
			sb_printf(s, "%sq%u", e->icmp_fetch ? " " : "", e->icmp_qconn);
	}
}

/* A compact line's direction: "->" client to server (a query, a request),
 * "<-" back (an answer, a response, an ICMP error), "--" unknown. */
static const char *brief_arrow(const struct ev *e)
{
	const struct pkt *p = e->p;
	if (e->seg)
		return e->seg->dir == 0 ? "->" : "<-";
	if (e->quic)
		return e->quic_from_client ? "->" : "<-";
	if (e->n_dns)
		return e->dns[0]->qr ? "<-" : "->";
	if (p->layer == LAYER_DONE && p->icmp.error &&
	    (p->proto == IPPROTO_NUM_ICMP || p->proto == IPPROTO_NUM_ICMPV6))
		return "<-";
	return "--";
}

/* A compact line's one note: the ladder's label (out_label: "query A
 * name", "SYN", "GET /path", "200 OK", "FIN"), and for an answer the
 * first record of the type asked. */
static void put_brief_note(struct sb *s, const struct ev *e)
{
	out_label(e, s);
	if (!e->n_dns || !e->dns[0]->qr)
		return;
	const struct dns_msg *m = e->dns[0];
	for (unsigned i = 0; i < m->n_rr && i < DNS_MAX_RR; i++) {
		const struct dns_rr *rr = &m->rr[i];
		if (rr->section == DNS_SEC_ANSWER && m->has_question && rr->type == m->qtype) {
			sb_putc(s, ' ');
			put_rdata(s, rr);
			if (m->ancount > 1)
				sb_printf(s, " (+%u)", m->ancount - 1u);
			break;
		}
	}
}

/*
 * The columns of the line from byte `start` (colour codes, ESC [ ... m,
 * take none).  With max > 0, a line wider than max is cut to at most
 * max - 3 columns and ends "...": never inside an escape (wire bytes are
 * written "\\" or "\xNN"; our own text has no backslash) nor a colour code.
 */
static size_t line_cols(struct sb *s, size_t start, size_t max)
{
	size_t cols = 0, cut_at = 0, cut_cols = 0;
	bool cut_set = false;
	for (size_t i = start; i < s->len;) {
		size_t n = 1, w = 1;
		if (s->buf[i] == '\033') { /* a colour code, up to its 'm' */
			while (i + n < s->len && s->buf[i + n - 1] != 'm')
				n++;
			w = 0;
		} else if (s->buf[i] == '\\' && i + 1 < s->len) {
			n = w = s->buf[i + 1] == 'x' && i + 3 < s->len ? 4 : 2;
		}
		if (max > 3 && !cut_set && cols + w > max - 3) {
			cut_at = i;
			cut_cols = cols;
			cut_set = true;
		}
		cols += w;
		i += n;
	}
	if (max > 3 && cols > max && cut_set) {
		s->len = cut_at;
		s->buf[s->len] = '\0';
		s->cut = false; /* the ellipsis says it */
		sb_puts(s, "...");
		return cut_cols + 3;
	}
	return cols;
}

/* Write the packet line in o->sb.  With --no-acks it stays open (no
 * newline yet): the bare ACKs of its connection that follow are counted
 * on it when the next line of any kind starts (fold_finish). */
static void emit_packet(struct text_out *o, const struct ev *e, size_t start)
{
	struct sb *s = &o->sb;
	size_t cols = o->opt.brief || o->opt.no_acks ? line_cols(s, start, o->opt.brief) : 0;
	bool open = o->opt.no_acks && e->focus != FOCUS_HOLD; /* held: ends at once */
	emit_line(o, open);
	if (!open)
		return;
	o->open_line = true;
	o->open_conn = e->seg ? e->seg->c->id : 0;
	o->open_cols = cols;
}

/* A bare ACK --no-acks folds: no payload, no flag but ACK, and nothing to
 * say (not the handshake's last packet, no note such as a duplicate ACK
 * or a window probe, not a close's last ACK). */
static bool bare_ack(const struct ev *e)
{
	const struct pkt *p = e->p;
	return e->seg && !e->released && p->status == FT_OK && p->pl_len == 0 &&
	       p->tcp_flags == TCP_ACK && e->seg->notes == 0 && !e->http && !e->h2 && !e->tls &&
	       !e->n_dns && !e->n_comments;
}

/* "3 ACKs" in the output's language. */
static void put_acks(struct sb *s, bool korean, uint64_t n)
{
	if (korean)
		sb_printf(s, "ACK %llu\xea\xb0\x9c", (unsigned long long)n); /* "ACK 3개" */
	else
		sb_printf(s, "%llu ACK%s", (unsigned long long)n, n == 1 ? "" : "s");
}

/* Hold one more bare ACK of the event's connection. */
static void fold_ack(struct text_out *o, const struct ev *e)
{
	const struct conn *c = e->seg->c;
	bool joins = o->fold_n ? o->fold_conn == c->id : o->open_line && o->open_conn == c->id;
	if (!joins)
		fold_finish(o); /* another connection's ACKs: theirs end here */
	o->fold_conn = c->id;
	o->fold_fetch = c->fetch_id;
	o->fold_n++;
}

/* End what --no-acks holds: the open packet line gets its " | 3 ACKs" and
 * its newline; ACKs that follow no line of their connection get a short
 * line of their own, "3 ACKs" under the call column with the tag.  Before
 * every line written, and at the end. */
static void fold_finish(struct text_out *o)
{
	char buf[128];
	struct sb t;
	sb_init(&t, buf, sizeof(buf));
	bool own_line = o->fold_n && !(o->open_line && o->open_conn == o->fold_conn);
	if (o->open_line && !own_line && o->fold_n) {
		sb_puts(&t, " | ");
		put_acks(&t, o->korean, o->fold_n);
		if (o->opt.brief && o->open_cols + t.len > o->opt.brief)
			own_line = true; /* it would not fit: a line of its own */
		else
			sb_putc(&t, '\n');
	}
	if (o->open_line && (own_line || !o->fold_n)) {
		sb_reset(&t);
		sb_putc(&t, '\n');
	}
	if (o->open_line || own_line)
		fwrite(t.buf, 1, t.len, o->f);
	o->open_line = false;
	if (own_line) {
		sb_reset(&t);
		size_t num = o->opt.number ? 6 : 0;
		sb_pad(&t, num + (o->opt.brief ? BCOL_TAG : COL_CALL));
		if (o->opt.brief) {
			put_conn_tag(&t, o->fold_fetch, o->fold_conn);
			sb_pad(&t, num + BCOL_NOTE);
			put_acks(&t, o->korean, o->fold_n);
		} else {
			put_acks(&t, o->korean, o->fold_n);
			sb_pad(&t, num + COL_TAG);
			put_conn_tag(&t, o->fold_fetch, o->fold_conn);
		}
		sb_putc(&t, '\n');
		fwrite(t.buf, 1, t.len, o->f);
	}
	o->fold_n = 0;
}

/* --brief (or a narrow terminal): time, step, fetch/connection, direction
 * and one note, in o->opt.brief columns at most.  A damaged packet keeps
 * its full description (cut to the width). */
static void put_brief(struct text_out *o, const struct ev *e, size_t shift)
{
	struct sb *s = &o->sb;
	pad_sep(s, BCOL_TAG + shift);
	put_tag(s, e);
	pad_sep(s, BCOL_DIR + shift);
	sb_puts(s, brief_arrow(e));
	pad_sep(s, BCOL_NOTE + shift);
	put_brief_note(s, e);
}

static void put_fetch_header(struct text_out *o, const struct ev *e)
{
	const struct fetch_link *l = e->link;
	const struct pkt *p = e->p;
	/* TCP: the connection's server (its first packet may come from either
	 * side); QUIC: the destination of the client's datagram. */
	uint8_t ver = e->seg ? e->seg->c->ip_ver : p->ip_ver;
	const uint8_t *srv = e->seg ? e->seg->c->srv : e->quic_from_client ? p->dst : p->src;
	uint16_t port = e->seg ? e->seg->c->sport : e->quic_from_client ? p->dport : p->sport;
	bool udp = e->quic != NULL;
	if (e->icmp_fetch) { /* an ICMP error: the server its quote was sent to */
		ver = p->icmp.q.ver, srv = p->icmp.q.dst, port = p->icmp.q.dport;
		udp = p->icmp.q.proto == 17;
	}
	struct sb *s = &o->sb;
	sb_printf(s, "fetch %u  ", l->fetch_id);
	if (l->via_dns) {
		put_name(s, l->name);
		if (l->cname) {
			sb_puts(s, " (CNAME ");
			put_name(s, l->cname);
			sb_putc(s, ')');
		}
		sb_puts(s, " -> ");
		sb_ip(s, ver, srv);
		sb_printf(s, " port %u%s, from DNS answer #%04x", port, udp ? "/udp" : "",
			  l->dns_id);
	} else if (l->via_proxy && l->name) {
		/* a connection asked its proxy for another host (fetch_proxy) */
		put_name(s, l->name);
		sb_puts(s, " via proxy ");
		sb_ip(s, ver, srv);
		sb_printf(s, " port %u", port);
		if (e->seg)
			sb_printf(s, ", c%u moves here from fetch %u at its proxy request",
				  e->seg->c->id, l->moved_from);
	} else {
		sb_ip(s, ver, srv);
		sb_printf(s, " port %u%s, no DNS answer for this address in the capture "
			     "(cached by the OS or browser, /etc/hosts, or DNS over HTTPS)", port,
			  udp ? "/udp" : "");
	}
	line_cols(s, 0, o->opt.brief);
	emit(o);
}

/* ------------------------------------------------------------------ */
/* explain mode                                                        */
/* ------------------------------------------------------------------ */

/*
 * Under a step's first packet, a line or two that tie it to the chapter.
 * TCP steps are explained once per connection (the output's own table
 * keyed by connection number: the output never writes the tracer's
 * state), DNS and QUIC once per run: their messages belong to no
 * connection.
 */
enum {
	XB_SYN = 1u << 0, XB_SYNACK = 1u << 1, XB_ACK = 1u << 2, XB_TLS = 1u << 3,
	XB_WRITE = 1u << 4, XB_READ = 1u << 5, XB_CLOSE = 1u << 6, XB_REUSED = 1u << 7,
};
_Static_assert(EX_COUNT <= 64, "text_out.explained holds a bit per explain_id");

#define XV_MAX 4        /* values in one message */
#define XV_CAP 1100     /* one value: a 255-byte name, every byte escaped, fits */

struct xvals {
	struct explain_arg arg[XV_MAX];
	char buf[XV_MAX][XV_CAP];
	struct sb sb[XV_MAX];
	size_t n;
};

/* A new value {key}: the caller writes it (escaped) into the sb returned. */
static struct sb *xval(struct xvals *v, const char *key)
{
	size_t i = v->n++;
	sb_init(&v->sb[i], v->buf[i], sizeof(v->buf[i]));
	v->arg[i].key = key;
	v->arg[i].val = v->buf[i];
	return &v->sb[i];
}

static void explain_line(struct text_out *o, enum explain_id id, const struct xvals *v)
{
	struct sb *s = &o->sb;
	sb_pad(s, COL_STEP);
	if (o->opt.color)
		sb_puts(s, "\033[2m");
	sb_puts(s, "^ ");
	explain_put(s, explain_msg(id, o->korean), v ? v->arg : NULL, v ? v->n : 0);
	if (o->opt.color)
		sb_puts(s, COLOR_OFF);
	emit(o);
}

/* True the first time for this id in the run. */
static bool explain_once(struct text_out *o, enum explain_id id)
{
	uint64_t bit = (uint64_t)1 << id;
	if (o->explained & bit)
		return false;
	o->explained |= bit;
	return true;
}

static uint32_t xc_home(const struct text_out *o, uint32_t id)
{
	return (id * 2654435761u) & (o->xc_cap - 1); /* Knuth's multiplicative hash */
}

/* The slot of connection id, or of the empty slot where it would go.  The
 * table is never more than half full, so the probe meets an empty slot
 * within xc_cap steps. */
static uint32_t xc_slot(const struct text_out *o, uint32_t id)
{
	uint32_t i = xc_home(o, id);
	for (uint32_t k = 0; k < o->xc_cap && o->xc[i].id && o->xc[i].id != id; k++)
		i = (i + 1) & (o->xc_cap - 1);
	return i;
}

static bool xc_grow(struct text_out *o)
{
	uint32_t ncap = o->xc_cap ? o->xc_cap * 2 : 64;
	if (ncap < o->xc_cap)
		return false;
	struct xconn *old = o->xc;
	uint32_t ocap = o->xc_cap;
	struct xconn *nx = calloc(ncap, sizeof(*nx));
	if (!nx)
		return false;
	o->xc = nx;
	o->xc_cap = ncap;
	for (uint32_t i = 0; i < ocap; i++)
		if (old[i].id)
			o->xc[xc_slot(o, old[i].id)] = old[i];
	free(old);
	return true;
}

/* A connection left: forget what was said on it (backward-shift deletion,
 * so no probe chain is broken). */
static void xc_forget(struct text_out *o, uint32_t id)
{
	if (!o->xc_cap || !id)
		return;
	uint32_t mask = o->xc_cap - 1, i = xc_slot(o, id);
	if (o->xc[i].id != id)
		return;
	for (uint32_t j = (i + 1) & mask, k = 0; k < o->xc_cap && o->xc[j].id;
	     j = (j + 1) & mask, k++) {
		uint32_t h = xc_home(o, o->xc[j].id);
		/* may the entry at j move back to i?  Only if its home is not in (i, j] */
		bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
		if (!stays) {
			o->xc[i] = o->xc[j];
			i = j;
		}
	}
	o->xc[i].id = 0;
	o->xc[i].bits = 0;
	o->xc_n--;
}

/* True the first time for this bit on this connection (false, saying
 * nothing, when memory cannot be had). */
static bool explain_first(struct text_out *o, const struct conn *c, uint8_t bit)
{
	if (!c->id)
		return false;
	if ((o->xc_n + 1) * 2 > o->xc_cap && !xc_grow(o))
		return false;
	uint32_t i = xc_slot(o, c->id);
	if (!o->xc[i].id) {
		o->xc[i].id = c->id;
		o->xc_n++;
	}
	if (o->xc[i].bits & bit)
		return false;
	o->xc[i].bits |= bit;
	return true;
}

enum { XN_QUERY = 1u << 0, XN_ANSWER = 1u << 1 };

/*
 * True the first time for this bit and this name: DNS is explained per
 * name, so that each fetch's own first query and answer are, not only the
 * run's first (a browser's background lookups come before the page's).
 * The fetch is not known yet when its query is printed; its name is.
 * Bounded: once XN_CAP / 2 names are held, a new name is not explained.
 */
static bool explain_name_first(struct text_out *o, const struct dns_name *nm, uint8_t bit)
{
	uint32_t h = dns_name_hash(nm);
	if (!h)
		h = 1;
	uint32_t i = h & (XN_CAP - 1);
	for (uint32_t k = 0; k < XN_CAP && o->xn[i].hash; k++) {
		if (o->xn[i].hash == h) {
			if (o->xn[i].bits & bit)
				return false;
			o->xn[i].bits |= bit;
			return true;
		}
		i = (i + 1) & (XN_CAP - 1);
	}
	if (o->xn[i].hash || o->xn_n >= XN_CAP / 2)
		return false;
	o->xn[i].hash = h;
	o->xn[i].bits = bit;
	o->xn_n++;
	return true;
}

static void explain_dns(struct text_out *o, const struct dns_msg *m, const struct dns_note *n)
{
	struct xvals v = { .n = 0 };
	if (!m->has_question)
		return;
	if (!m->qr) {
		if (n->kind == DNS_NOTE_PRIMING) {
			if (explain_once(o, EX_DNS_PRIMING))
				explain_line(o, EX_DNS_PRIMING, NULL);
			return;
		}
		if (!explain_name_first(o, &m->qname, XN_QUERY))
			return;
		explain_line(o, n->own_resolver ? EX_DNS_QUERY_OWN : EX_DNS_QUERY, NULL);
		put_name(xval(&v, "name"), &m->qname);
		put_num_name(xval(&v, "class"), dns_class_name(m->qclass), "CLASS", m->qclass);
		put_num_name(xval(&v, "type"), dns_type_name(m->qtype), "TYPE", m->qtype);
		explain_line(o, EX_DNS_QUERY_FIELDS, &v);
		if (m->qtype == DNS_T_HTTPS && explain_once(o, EX_DNS_HTTPS_QUERY))
			explain_line(o, EX_DNS_HTTPS_QUERY, NULL);
		if (n->own_resolver && explain_once(o, EX_DNS_OWN_RESOLVER))
			explain_line(o, EX_DNS_OWN_RESOLVER, NULL);
		return;
	}
	switch (n->kind) {
	case DNS_NOTE_REFERRAL:
		if (explain_once(o, EX_DNS_REFERRAL)) {
			put_name(xval(&v, "zone"), &n->to_zone);
			explain_line(o, EX_DNS_REFERRAL, &v);
		}
		return;
	case DNS_NOTE_ROOT_SERVERS:
		if (explain_once(o, EX_DNS_ROOT_SERVERS))
			explain_line(o, EX_DNS_ROOT_SERVERS, NULL);
		return;
	case DNS_NOTE_CACHED:
		if (explain_once(o, EX_DNS_CACHED)) {
			sb_printf(xval(&v, "ttl"), "%u", n->ttl);
			sb_printf(xval(&v, "ttl_first"), "%u", n->ttl_first);
			explain_line(o, EX_DNS_CACHED, &v);
		}
		return;
	case DNS_NOTE_NEGATIVE:
		if (explain_once(o, EX_DNS_NEGATIVE)) {
			sb_printf(xval(&v, "ttl"), "%u", n->neg_ttl);
			explain_line(o, EX_DNS_NEGATIVE, &v);
		}
		return;
	default:
		break;
	}
	if (m->rcode != 0) {
		if (explain_once(o, EX_DNS_ERROR)) {
			put_num_name(xval(&v, "rcode"), dns_rcode_name(m->rcode), "RCODE", m->rcode);
			explain_line(o, EX_DNS_ERROR, &v);
		}
		return;
	}
	/* The name's first answer, with its first address when it has one. */
	if (explain_name_first(o, &m->qname, XN_ANSWER)) {
		const struct dns_rr *addr = NULL;
		for (unsigned i = 0; i < m->n_rr && !addr; i++) {
			const struct dns_rr *rr = &m->rr[i];
			if (rr->section == DNS_SEC_ANSWER && rr->rd_status == FT_OK &&
			    (rr->type == DNS_T_A || rr->type == DNS_T_AAAA))
				addr = rr;
		}
		if (addr) {
			put_name(xval(&v, "name"), &m->qname);
			sb_ip(xval(&v, "addr"), addr->type == DNS_T_A ? 4 : 6, addr->addr);
			explain_line(o, n->own_resolver ? EX_DNS_ANSWER_ADDR_OWN : EX_DNS_ANSWER_ADDR,
				     &v);
		} else {
			explain_line(o, EX_DNS_ANSWER, NULL);
		}
	}
	if (n->kind == DNS_NOTE_AUTHORITATIVE && explain_once(o, EX_DNS_AUTHORITATIVE))
		explain_line(o, EX_DNS_AUTHORITATIVE, NULL);
	if (n->offers_h3 && explain_once(o, EX_H3_OFFERED))
		explain_line(o, EX_H3_OFFERED, NULL);
}

static void explain_tcp(struct text_out *o, const struct ev *e)
{
	const struct pkt *p = e->p;
	const struct conn *c = e->seg->c;
	int dir = e->seg->dir;
	uint32_t notes = e->seg->notes;
	uint8_t syn_ack = p->tcp_flags & (TCP_SYN | TCP_ACK);
	struct xvals v = { .n = 0 };
	if (c->dns)
		return;   /* DNS over TCP: its messages are explained, not its pipe */
	if (syn_ack == TCP_SYN && dir == 0 && !(notes & (NOTE_SYN_RETRANS | NOTE_RETRANS)) &&
	    explain_first(o, c, XB_SYN)) {
		sb_endpoint(xval(&v, "server"), c->ip_ver, c->srv, c->sport);
		explain_line(o, EX_SYN, &v);
		v.n = 0;
		sb_printf(xval(&v, "isn"), "%u", p->seq);
		if (p->opt.has_mss) {
			sb_printf(xval(&v, "mss"), "%u", p->opt.mss);
			explain_line(o, EX_SYN_ISN_MSS, &v);
		} else {
			explain_line(o, EX_SYN_ISN, &v);
		}
	} else if (syn_ack == (TCP_SYN | TCP_ACK) && dir == 1 && !(notes & NOTE_RETRANS) &&
		   explain_first(o, c, XB_SYNACK)) {
		sb_printf(xval(&v, "isn"), "%u", p->seq);
		sb_printf(xval(&v, "ack"), "%u", p->ack);
		explain_line(o, EX_SYNACK, &v);
	}
	if (notes & NOTE_ESTABLISHED && explain_first(o, c, XB_ACK))
		explain_line(o, EX_HANDSHAKE_ACK, NULL);
	for (unsigned i = 0; e->tls && dir == 0 && i < e->tls->n; i++) {
		const struct tls_ev *t = &e->tls->ev[i];
		if (t->kind != TLS_EV_CLIENT_HELLO || t->status != FT_OK || !t->ch ||
		    !explain_first(o, c, XB_TLS))
			continue;
		v.n = 0;
		if (t->ch->has_sni) {
			sb_esc(xval(&v, "sni"), t->ch->sni, t->ch->sni_len);
			explain_line(o, EX_TLS_HELLO, &v);
		} else {
			explain_line(o, EX_TLS_HELLO_NOSNI, NULL);
		}
	}
	bool tls = c->tls;
	int64_t idle = 0;
	enum conn_use use = out_conn_use(c, &idle);
	if (e->step == STEP_WRITE && dir == 0 && p->pl_len && explain_first(o, c, XB_WRITE)) {
		explain_line(o, tls ? EX_WRITE_TLS : EX_WRITE, NULL);
		if (out_first_request(e) && use == CONN_USE_PRECONNECT) {
			sb_dur(xval(&v, "idle"), idle);
			explain_line(o, EX_PRECONNECT, &v);
		}
	}
	else if (e->step == STEP_READ && dir == 1 && p->pl_len && explain_first(o, c, XB_READ))
		explain_line(o, tls ? EX_READ_TLS : EX_READ, NULL);
	if (out_first_close(e) && (use == CONN_USE_UNUSED || use == CONN_USE_ABANDONED) &&
	    explain_first(o, c, XB_CLOSE)) {
		/* no request was sent: not "read what it wanted" */
		explain_line(o, use == CONN_USE_UNUSED ? EX_CLOSE_UNUSED : EX_CLOSE_ABANDONED, NULL);
		if (!(p->tcp_flags & TCP_RST))
			explain_line(o, EX_CLOSE_END, NULL);
	} else if (p->tcp_flags & TCP_RST && explain_first(o, c, XB_CLOSE)) {
		if (!c->ts_synack && c->ts_syn && dir == 1) {
			sb_printf(xval(&v, "port"), "%u", c->sport);
			explain_line(o, EX_REFUSED, &v);
		} else {
			explain_line(o, dir == 0 ? EX_RESET_CLIENT : EX_RESET_SERVER, NULL);
		}
	} else if (notes & NOTE_CLOSES_FIRST && explain_first(o, c, XB_CLOSE)) {
		/* "it has read what it wanted" only when the server sent something */
		explain_line(o, dir != 0 ? EX_CLOSE_SERVER
			     : c->d[1].bytes ? EX_CLOSE_CLIENT : EX_CLOSE_CLIENT_UNREAD, NULL);
		explain_line(o, EX_CLOSE_END, NULL);
	}
}

/* An ICMP error of a fetch: what ICMP is (once), and the QUIC fallback (once). */
static void explain_icmp(struct text_out *o, const struct icmp_info *m)
{
	struct xvals v = { .n = 0 };
	if (explain_once(o, EX_ICMP_ERROR))
		explain_line(o, EX_ICMP_ERROR, NULL);
	const struct icmp_quote *q = &m->q;
	if (m->port_unreach && q->ip && q->ports && q->proto == 17 && q->dport == 443 &&
	    explain_once(o, EX_ICMP_QUIC_FALLBACK)) {
		sb_endpoint(xval(&v, "server"), q->ver, q->dst, q->dport);
		explain_line(o, EX_ICMP_QUIC_FALLBACK, &v);
	}
}

static void put_explain(struct text_out *o, const struct ev *e)
{
	if (e->seg) {
		explain_tcp(o, e);
		uint32_t tried = upgrade_before(o, e);
		if (tried) {
			struct xvals v = { .n = 0 };
			sb_printf(xval(&v, "conn"), "c%u", tried);
			explain_line(o, EX_HTTPS_UPGRADE, &v);
		}
		/* the first request that reuses the connection */
		uint32_t rn = out_reused_request(e);
		if (rn && explain_first(o, e->seg->c, XB_REUSED)) {
			struct xvals v = { .n = 0 };
			sb_printf(xval(&v, "n"), "#%u", rn);
			explain_line(o, EX_REUSED, &v);
		}
		for (unsigned i = 0; e->seg->c->dns && i < e->n_dns; i++)
			explain_dns(o, e->dns[i], &e->dns_note[i]);
	} else if (e->n_dns) {
		explain_dns(o, e->dns[0], &e->dns_note[0]);
	} else if (e->quic && e->quic_from_client && e->secure && explain_once(o, EX_QUIC)) {
		explain_line(o, EX_QUIC, NULL);
		if (explain_once(o, EX_QUIC_STREAMS))
			explain_line(o, EX_QUIC_STREAMS, NULL);
	} else if (e->step != STEP_OTHER && e->p->layer == LAYER_DONE && e->p->icmp.error &&
		   (e->p->proto == IPPROTO_NUM_ICMP || e->p->proto == IPPROTO_NUM_ICMPV6)) {
		explain_icmp(o, &e->p->icmp);
	}
	/* An Alt-Svc that offers h3 is the other way a browser learns of QUIC. */
	for (unsigned i = 0; e->http && i < e->http->n; i++) {
		const struct http_ev *h = &e->http->ev[i];
		if (h->kind == HTTP_EV_HEAD && h->head && !h->head->is_request &&
		    h->head->alt_svc.present && http_alt_svc_h3(&h->head->alt_svc) &&
		    explain_once(o, EX_H3_OFFERED))
			explain_line(o, EX_H3_OFFERED, NULL);
	}
}

/*
 * What the packet shown was found inside (issue 13), outermost first:
 * " [in GRE key 5, VXLAN vni 42]"; and where its IP length came from
 * when the header's was 0 (a sender's own capture with TSO / BIG TCP).
 */
static void put_encap(struct sb *s, const struct pkt *p)
{
	static const char *const erspan[] = { "", " I", " II", " III" };
	unsigned n = p->n_encap < PKT_MAX_ENCAP ? p->n_encap : PKT_MAX_ENCAP;
	for (unsigned i = 0; i < n; i++) {
		const struct pkt_encap *x = &p->encap[i];
		sb_puts(s, i ? ", " : " [in ");
		sb_puts(s, pkt_encap_name(x->kind));
		switch (x->kind) {
		case ENCAP_PPPOE:
			sb_printf(s, " 0x%04x", (unsigned)x->id);
			break;
		case ENCAP_MPLS:
			sb_printf(s, " label %u", (unsigned)x->id);
			if (x->n > 1)
				sb_printf(s, " (%u labels)", x->n);
			break;
		case ENCAP_GRE:
			if (x->n == 1) /* PPTP (RFC 2637): the key field holds the call id */
				sb_printf(s, " v1 (PPTP) call %u", (unsigned)x->id);
			else if (x->has_id)
				sb_printf(s, " key %u", (unsigned)x->id);
			break;
		case ENCAP_ERSPAN:
			sb_puts(s, erspan[x->n & 3]);
			if (x->has_id)
				sb_printf(s, " session %u", (unsigned)x->id);
			break;
		case ENCAP_VXLAN:
		case ENCAP_GENEVE:
			sb_printf(s, " vni %u", (unsigned)x->id);
			break;
		case ENCAP_GTPU:
			sb_printf(s, " teid 0x%08x", (unsigned)x->id);
			break;
		case ENCAP_IPIP:
			sb_printf(s, " %uin%u", x->n & 0x0F, x->n >> 4);
			break;
		default:
			break;
		}
	}
	if (p->n_encap > n)
		sb_printf(s, ", +%u more", p->n_encap - n);
	if (n)
		sb_putc(s, ']');
	if (p->len_from == PKT_LEN_FRAME)
		sb_printf(s, " [IP length 0 in the header (TSO, BIG TCP): %u B from the frame]", p->ip_len);
	else if (p->len_from == PKT_LEN_JUMBO)
		sb_printf(s, " [IPv6 jumbogram: %u B]", p->ip_len);
}

static void text_packet(void *impl, const struct ev *e)
{
	struct text_out *o = impl;
	if (o->opt.quiet)
		return;
	const struct pkt *p = e->p;
	struct sb *s = &o->sb;
	/* Packets of no fetch are shown with --all; damaged ones always are. */
	if (e->step == STEP_OTHER && !o->opt.all && p->status != FT_TRUNCATED &&
	    p->status != FT_MALFORMED) {
		/* still advance the clock so -ttt deltas stay right */
		put_time(o, p->ts_us);
		sb_reset(s);
		return;
	}
	/* A held packet (--fetch) is not folded: its line may be dropped. */
	if (o->opt.no_acks && bare_ack(e) && !(e->link && e->link->new_fetch) &&
	    e->focus != FOCUS_HOLD) {
		put_time(o, p->ts_us); /* the clock still moves (-ttt) */
		sb_reset(s);
		fold_ack(o, e);
		return;
	}
	if (e->link && e->link->new_fetch)
		put_fetch_header(o, e);

	put_frame(o, e);
	if (e->released)
		sb_pad(s, s->len + 10); /* no packet, no time of its own */
	else
		put_time(o, p->ts_us);
	if (e->has_iface)
		put_iface(s, e);
	/* Columns are counted from the end of the time stamp, which is wider
	 * with -tt or -#; the colour codes take bytes but no columns. */
	size_t shift = s->len > COL_STEP - 1 ? s->len - (COL_STEP - 1) : 0;
	pad_sep(s, COL_STEP + shift);
	put_step(o, e, &shift);
	bool damaged = p->status != FT_OK && p->layer != LAYER_DONE;
	if (o->opt.brief && !damaged && !e->released) {
		put_brief(o, e, shift);
		emit_packet(o, e, 0);
		if (o->opt.explain && e->focus != FOCUS_HOLD) /* --fetch: it may be dropped */
			put_explain(o, e);
		return;
	}
	pad_sep(s, COL_CALL + shift);
	if (e->seg && e->seg->c->calls_seen) /* its socket's calls are lines of their own */
		sb_puts(s, "measured");
	else
		sb_puts(s, out_call_col(e));
	pad_sep(s, COL_TAG + shift);
	put_tag(s, e);
	pad_sep(s, COL_ADDR + shift);
	size_t addr_start = s->len;
	if (p->ip_ver) {
		if (p->layer == LAYER_DONE && (p->proto == 6 || p->proto == 17)) {
			put_endpoints(o, p);
		} else {
			sb_ip(s, p->ip_ver, p->src);
			sb_puts(s, " > ");
			sb_ip(s, p->ip_ver, p->dst);
		}
	}
	pad_sep(s, addr_start + (COL_DESC - COL_ADDR));

	if (p->status != FT_OK && p->layer != LAYER_DONE && !e->frag) {
		static const char *const lname[] = { "link", "ip", "tcp", "udp", "icmp", "" };
		if (p->status == FT_TRUNCATED)
			sb_printf(s, "[|%s]", lname[p->layer]);
		else if (p->status == FT_UNSUPPORTED && p->layer == LAYER_IP && !p->ip_ver)
			sb_printf(s, "(%s: ethertype 0x%04x)", p->why ? p->why : "unsupported",
				  p->ethertype);
		else if (p->status == FT_UNSUPPORTED)
			sb_printf(s, "(%s)", p->why ? p->why : "unsupported");
		else
			sb_printf(s, "(malformed %s: %s)", lname[p->layer], p->why ? p->why : "?");
		emit_packet(o, e, 0);
		return;
	}
	if (e->released) {
		sb_printf(s, "(no packet) held after a gap of %llu B, decoded %s",
			  (unsigned long long)e->gap,
			  e->released == EV_RELEASED_EVICTED ? "when the connection was evicted"
							     : "at the end of the capture");
		put_streams(s, e);
		emit_packet(o, e, 0);
		return;
	}
	if (e->frag) {
		put_frag(s, e);
	} else if (e->seg) {
		put_tcp(s, e);
		put_streams(s, e);
		uint32_t tried = upgrade_before(o, e);
		if (tried)
			sb_printf(s, " [HTTPS-Upgrade: https:// was tried first on c%u]", tried);
		if (out_reused_request(e))
			sb_puts(s, " [reused connection]");
		/* DNS over TCP, or DNS over HTTPS (the messages an HTTP exchange carried) */
		if ((e->seg->c->dns && p->pl_len) || e->n_dns) {
			for (unsigned i = 0; i < e->n_dns; i++) {
				sb_puts(s, i ? "; " : e->seg->c->dns ? " | " : " | DoH ");
				put_dns(s, e->dns[i], e->dns_rt[i]);
				put_dns_note(s, &e->dns_note[i]);
			}
			if (e->n_dns_more)
				sb_printf(s, "; +%u more DNS messages", e->n_dns_more);
			if (e->dns_awaiting)
				sb_printf(s, " | DNS message continues (%u B to come)", e->dns_awaiting);
		}
	} else if (e->n_dns) {
		put_dns(s, e->dns[0], e->dns_rt[0]);
		put_dns_note(s, &e->dns_note[0]);
	} else if (e->quic) {
		put_quic(s, e);
	} else if (p->layer == LAYER_DONE && p->proto == 17) {
		sb_printf(s, "UDP %u B", p->pl_len);
		if (e->udp_not_quic)
			sb_printf(s, " (port 443 but not QUIC: %s)", e->udp_not_quic);
	} else if (p->layer == LAYER_DONE &&
		   (p->proto == IPPROTO_NUM_ICMP || p->proto == IPPROTO_NUM_ICMPV6)) {
		put_icmp(s, e);
	} else if (p->ip_ver) {
		if (p->frag_later)
			sb_printf(s, "IP fragment, proto %u", p->proto);
		else
			sb_printf(s, "IP proto %u", p->proto);
	} else {
		sb_printf(s, "ethertype 0x%04x", p->ethertype);
	}
	if (p->frag && !p->frag_later && !e->frag)
		sb_puts(s, " [fragmented]");
	put_encap(s, p);
	if (p->n_reasm)
		sb_printf(s, " [reassembled from %u fragments, %u B]", p->n_reasm, p->reasm_len);
	for (unsigned i = 0; i < e->n_comments && i < EV_MAX_COMMENTS; i++) { /* a pcapng's */
		sb_puts(s, " [comment: ");
		sb_esc(s, e->comment[i], e->comment_len[i]);
		sb_putc(s, ']');
	}
	emit_packet(o, e, 0);
	if (o->opt.explain && e->focus != FOCUS_HOLD) /* --fetch: it may be dropped */
		put_explain(o, e);
}

/* ------------------------------------------------------------------ */
/* the summary                                                         */
/* ------------------------------------------------------------------ */

/* The next summary slot of an array grown by doubling up to SUMMARY_MAX
 * (first: its first size), or NULL: counted in *dropped. */
static void *sum_room(void **arr, size_t elem, uint32_t *n, uint32_t *cap, uint32_t first,
		      uint64_t *dropped)
{
	if (*n == SUMMARY_MAX) {
		(*dropped)++;
		return NULL;
	}
	if (*n == *cap) {
		uint32_t ncap = *cap ? *cap * 2 : first;
		if (ncap > SUMMARY_MAX)
			ncap = SUMMARY_MAX;
		void *na = realloc(*arr, (size_t)ncap * elem);
		if (!na) {
			(*dropped)++;
			return NULL;
		}
		*arr = na;
		*cap = ncap;
	}
	return (char *)*arr + (size_t)(*n)++ * elem;
}

/* A summary's fetch name: raw bytes, cut at SUMMARY_NAME_MAX; its length. */
static uint16_t sum_name(char dst[SUMMARY_NAME_MAX], const struct dns_name *name)
{
	size_t nl = name ? name->len : 0;
	if (nl > SUMMARY_NAME_MAX)
		nl = SUMMARY_NAME_MAX;
	if (nl)
		memcpy(dst, name->text, nl);
	return (uint16_t)nl;
}

/* Index i of sums, an abandoned TLS try, for upgrade_before. */
static void tries_add(struct text_out *o, uint32_t i)
{
	void *arr = o->tries;
	uint32_t *slot = sum_room(&arr, sizeof(*o->tries), &o->n_tries, &o->cap_tries, 16,
				  &o->n_tries_dropped);
	o->tries = arr;
	if (slot)
		*slot = i;
}

static void text_conn_done(void *impl, const struct conn *c, const char *why,
			   const struct dns_name *name)
{
	struct text_out *o = impl;
	xc_forget(o, c->id);
	void *arr = o->sums;
	struct sum_key *k = sum_room(&arr, sizeof(*o->sums), &o->n_sums, &o->cap_sums, 64,
				     &o->n_sums_dropped);
	o->sums = arr;
	if (!k)
		return;
	struct conn_sum *m = spill_arr_add(&o->sum_recs);
	if (!m) {
		o->n_sums--;
		o->n_sums_dropped++;
		return;
	}
	*k = (struct sum_key){ .id = c->id, .fetch_id = c->fetch_id, .slot = o->sum_recs.n - 1,
			       .sport = c->sport, .app = c->app, .tls = c->tls,
			       .ts_close = c->ts_close, .ts_cli_data = c->ts_cli_data };
	m->id = c->id;
	m->fetch_id = c->fetch_id;
	m->ip_ver = c->ip_ver;
	memcpy(m->cli, c->cli, 16);
	memcpy(m->srv, c->srv, 16);
	m->cport = c->cport;
	m->sport = c->sport;
	m->steps_seen = c->steps_seen;
	m->app = c->app;
	m->tls = c->tls;
	m->midstream = c->midstream;
	m->partial = c->partial;
	m->first_fin = c->first_fin;
	m->rst_dir = c->rst_dir;
	m->bytes[0] = c->d[0].bytes;
	m->bytes[1] = c->d[1].bytes;
	m->ts_first = c->ts_first;
	m->ts_last = c->ts_last;
	memcpy(m->history, c->history, sizeof(m->history));
	m->state = flow_conn_state(c);
	m->why = why;
	m->use = (uint8_t)out_conn_use(c, &m->idle);
	k->use = m->use;

	m->ts_close = c->ts_close;
	m->ts_cli_data = c->ts_cli_data;
	m->name_len = sum_name(m->name, name);
	if (m->use == CONN_USE_ABANDONED)
		tries_add(o, (uint32_t)(k - o->sums));
}

static void text_quic_done(void *impl, const struct quicflow *q, const char *why,
			   const struct dns_name *name)
{
	struct text_out *o = impl;
	void *arr = o->qsums;
	uint64_t *k = sum_room(&arr, sizeof(*o->qsums), &o->n_qsums, &o->cap_qsums, 16,
			       &o->n_qsums_dropped);
	o->qsums = arr;
	if (!k)
		return;
	struct quic_sum *m = spill_arr_add(&o->qsum_recs);
	if (!m) {
		o->n_qsums--;
		o->n_qsums_dropped++;
		return;
	}
	*k = (uint64_t)q->id << 32 | (o->qsum_recs.n - 1);
	m->q = *q;
	m->q.dec = NULL;
	m->why = why;
	m->name_len = sum_name(m->name, name);
}

static int qsum_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}


/* A summary line's "  steps connect,write  sent N B, received N B, T" (the
 * steps seen, '-' for none; bytes each way; the duration). */
static void put_steps_sent(struct sb *s, uint8_t steps_seen, const uint64_t bytes[2], int64_t dur)
{
	sb_puts(s, "  steps ");
	bool any = false;
	for (int st = 0; st < STEP_OTHER; st++) {
		if (!(steps_seen & (1u << st)))
			continue;
		if (any)
			sb_putc(s, ',');
		sb_puts(s, step_name((enum step)st));
		any = true;
	}
	if (!any)
		sb_putc(s, '-');
	sb_puts(s, "  sent ");
	sb_u64(s, bytes[0]);
	sb_puts(s, " B, received ");
	sb_u64(s, bytes[1]);
	sb_puts(s, " B, ");
	sb_dur(s, dur);
}

/* "  q1 f1 name  client > server  quic v1  steps ...  sent, received, duration,
 * handshake, who closed and why" */
static void put_quic_sum(struct text_out *o, const struct quic_sum *m)
{
	struct sb *s = &o->sb;
	const struct quicflow *q = &m->q;
	sb_printf(s, "  q%u", q->id);
	if (q->fetch_id)
		sb_printf(s, " f%u", q->fetch_id);
	sb_putc(s, ' ');
	if (m->name_len)
		put_name_text(s, m->name, m->name_len);
	else
		sb_puts(s, "(no DNS)");
	sb_puts(s, "  ");
	sb_endpoint(s, q->ip_ver, q->cli, q->cport);
	sb_puts(s, " > ");
	sb_endpoint(s, q->ip_ver, q->srv, q->sport);
	sb_puts(s, "  quic ");
	put_quic_version(s, q->version);
	put_steps_sent(s, q->steps_seen, q->bytes, q->ts_last - q->ts_first);
	/* One round trip for the ClientHello, one more for each Retry and
	 * HelloRetryRequest; done when the client sent its first 1-RTT packet. */
	unsigned rtts = 1u + q->n_retry + q->n_hrr;
	sb_printf(s, ", handshake %u round trip%s", rtts, rtts == 1 ? "" : "s");
	if (q->ts_hs_done) {
		sb_puts(s, " (");
		sb_dur(s, q->ts_hs_done - q->ts_first);
		sb_putc(s, ')');
	} else {
		sb_puts(s, " (not completed)");
	}
	if (q->n_retry)
		sb_printf(s, " with %u Retry", q->n_retry);
	if (q->n_hrr)
		sb_printf(s, " with %u HelloRetryRequest", q->n_hrr);
	sb_puts(s, ", ");
	if (q->close_dir >= 0) {
		sb_printf(s, "closed by %s: ", side[q->close_dir ? 1 : 0]);
		put_quic_error(s, q->close_app, q->close_code);
		if (q->reason_len) {
			sb_puts(s, " \"");
			sb_esc(s, q->reason, q->reason_len);
			sb_putc(s, '"');
		}
	} else {
		sb_puts(s, "still open");
	}
	sb_printf(s, ", %s", m->why);
	if (q->h3_alpn && !q->n_h3x && !q->keyed[QUICDEC_SP_APP][0] && !q->keyed[QUICDEC_SP_APP][1]) {
		sb_puts(s, ", HTTP/3 not decrypted (no 1-RTT keys)");
	} else if (q->h3_alpn) {
		sb_printf(s, ", HTTP/3 %u exchange%s", q->n_h3x, q->n_h3x == 1 ? "" : "s");
		for (unsigned i = 0; i < q->n_h3x && i < QUICFLOW_H3_SUM; i++) {
			const struct quicflow_h3x *x = &q->h3x[i];
			sb_printf(s, "%s#%llu ", i ? ", " : ": ", (unsigned long long)x->stream_id);
			if (x->method_len) {
				sb_esc(s, x->method, x->method_len);
				sb_putc(s, ' ');
				sb_esc(s, x->path, x->path_len);
				if (x->path_cut)
					sb_puts(s, "...");
			} else {
				sb_puts(s, "(no request)");
			}
			if (x->status)
				sb_printf(s, " %u", x->status);
			if (x->reset)
				sb_puts(s, " reset");
			else if (x->open)
				sb_puts(s, " unfinished");
		}
		if (q->n_h3x > QUICFLOW_H3_SUM)
			sb_printf(s, ", +%u more", q->n_h3x - QUICFLOW_H3_SUM);
		if (q->h3_nomem)
			sb_puts(s, " [HTTP/3 not decoded: memory budget]");
	}
	if (q->n_sealed[0] + q->n_sealed[1])
		sb_printf(s, " [%llu packets not decrypted]",
			  (unsigned long long)(q->n_sealed[0] + q->n_sealed[1]));
	emit(o);
}

static int sum_cmp(const void *a, const void *b)
{
	const struct sum_key *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void put_close_how(struct sb *s, const struct conn_sum *m)
{
	if (strcmp(m->state, "REJ") == 0)
		sb_puts(s, "refused (RST)");
	else if (m->rst_dir >= 0)
		sb_printf(s, "reset by %s", side[m->rst_dir]);
	else if (m->first_fin >= 0)
		sb_printf(s, "closed by %s first", side[m->first_fin]);
	else
		sb_puts(s, "still open");
	if (strcmp(m->why, "closed") && strcmp(m->why, "reset"))
		sb_printf(s, ", %s", m->why);
}

/* The cleartext HTTP connection of the same fetch that an abandoned TLS try
 * to port 443 gave way to (HTTPS upgrade), or NULL. */
static uint32_t upgrade_next(const struct text_out *o, const struct conn_sum *m)
{
	if (m->use != CONN_USE_ABANDONED || !m->fetch_id)
		return 0;
	const struct sum_key *best = NULL;
	for (uint32_t i = 0; i < o->n_sums; i++) {
		const struct sum_key *x = &o->sums[i];
		if (x->fetch_id == m->fetch_id &&
		    step_https_upgrade(CONN_USE_ABANDONED, m->sport, m->ts_close,
				       !x->tls && x->app == APP_HTTP, x->sport, x->ts_cli_data) &&
		    (!best || x->ts_cli_data < best->ts_cli_data))
			best = x;
	}
	return best ? best->id : 0;
}

/* The first request byte of a cleartext HTTP connection that follows an
 * abandoned TLS try of the same fetch (HTTPS upgrade): that try, or NULL.
 * The try has left the table by then: its summary entry is read. */
static uint32_t upgrade_before(const struct text_out *o, const struct ev *e)
{
	const struct conn *c = e->seg->c;
	if (!out_first_request(e) || c->tls || c->app != APP_HTTP || !c->fetch_id)
		return 0;
	const struct sum_key *best = NULL;
	for (uint32_t i = 0; i < o->n_tries; i++) { /* step_https_upgrade: only an abandoned try */
		const struct sum_key *x = &o->sums[o->tries[i]];
		if (x->fetch_id == c->fetch_id &&
		    step_https_upgrade((enum conn_use)x->use, x->sport, x->ts_close, true, c->sport,
				       c->ts_cli_data) &&
		    (!best || x->ts_close > best->ts_close))
			best = x;
	}
	return best ? best->id : 0;
}

/* ", preconnected ..." / ", preconnected, unused" / ", abandoned ..." */
static void put_use(struct sb *s, const struct text_out *o, const struct conn_sum *m)
{
	switch ((enum conn_use)m->use) {
	case CONN_USE_PRECONNECT:
		sb_puts(s, ", preconnected: ready ");
		sb_dur(s, m->idle);
		sb_puts(s, " before its first request");
		break;
	case CONN_USE_UNUSED:
		sb_puts(s, ", preconnected, unused");
		break;
	case CONN_USE_ABANDONED: {
		sb_puts(s, ", abandoned right after the TLS handshake");
		uint32_t x = upgrade_next(o, m);
		if (x)
			sb_printf(s, " (HTTPS-Upgrade: http:// followed on c%u)", x);
		break;
	}
	case CONN_USE_NONE:
		break;
	}
}

static void text_summary(void *impl, const struct out_counts *n)
{
	struct text_out *o = impl;
	fold_finish(o); /* --no-acks: what it held goes before */
	struct sb *s = &o->sb;
	/* (tries then index sums in their old order: only the packet lines,
	 * all written by now, read them) */
	if (o->n_sums)
		qsort(o->sums, o->n_sums, sizeof(*o->sums), sum_cmp);
	if (o->n_sums || (n->conns && !n->focus)) {
		sb_puts(s, "connections");
		emit(o);
	}
	for (uint32_t i = 0; i < o->n_sums; i++) {
		const struct conn_sum *m = spill_arr_at(&o->sum_recs, o->sums[i].slot);
		sb_printf(s, "  c%u", m->id);
		if (m->fetch_id)
			sb_printf(s, " f%u", m->fetch_id);
		sb_putc(s, ' ');
		if (m->name_len)
			put_name_text(s, m->name, m->name_len);
		else
			sb_puts(s, m->sport == 53 ? "(DNS over TCP)" : "(no DNS)");
		sb_puts(s, "  ");
		sb_endpoint(s, m->ip_ver, m->cli, m->cport);
		sb_puts(s, " > ");
		sb_endpoint(s, m->ip_ver, m->srv, m->sport);
		static const char *const app_name[] = {
			[APP_UNKNOWN] = "", [APP_DNS] = "dns", [APP_HTTP] = "http",
			[APP_OPAQUE] = "other data", [APP_H2] = "http2",
		};
		if (m->tls)
			sb_puts(s, "  tls");
		if (m->app != APP_UNKNOWN && m->app < sizeof(app_name) / sizeof(app_name[0]) &&
		    !(m->tls && m->app == APP_OPAQUE))
			sb_printf(s, "%s%s", m->tls ? " " : "  ", app_name[m->app]);
		put_steps_sent(s, m->steps_seen, m->bytes, m->ts_last - m->ts_first);
		sb_puts(s, ", ");
		put_close_how(s, m);
		put_use(s, o, m);
		sb_printf(s, " (%s %s)", m->state, m->history[0] ? m->history : "-");
		if (m->midstream)
			sb_puts(s, " [mid-stream]");
		if (m->partial)
			sb_puts(s, " [partial]");
		emit(o);
	}
	if (o->n_sums_dropped) {
		sb_printf(s, "  ... %llu more connections not listed",
			  (unsigned long long)o->n_sums_dropped);
		emit(o);
	}
	if (o->n_qsums) {
		qsort(o->qsums, o->n_qsums, sizeof(*o->qsums), qsum_cmp);
		sb_puts(s, "quic connections");
		emit(o);
	}
	for (uint32_t i = 0; i < o->n_qsums; i++)
		put_quic_sum(o, spill_arr_at(&o->qsum_recs, (uint32_t)o->qsums[i]));
	if (o->n_qsums_dropped) {
		sb_printf(s, "  ... %llu more QUIC connections not listed",
			  (unsigned long long)o->n_qsums_dropped);
		emit(o);
	}
	sb_printf(s,
		  "packets: %llu read, %llu decoded, %llu other, %llu truncated, %llu malformed, "
		  "%llu unsupported",
		  (unsigned long long)n->packets, (unsigned long long)n->decoded,
		  (unsigned long long)n->other, (unsigned long long)n->truncated,
		  (unsigned long long)n->malformed, (unsigned long long)n->unsupported);
	if (n->hiding)
		sb_printf(s, ", %llu hidden", (unsigned long long)n->hidden);
	emit(o);
	if (n->hiding) {
		sb_printf(s, "hidden: %llu packets not of the command's sockets: %llu of other "
			     "programs, %llu of sockets not found (closed before the lookup, or not "
			     "this host's); --all shows them",
			  (unsigned long long)n->hidden,
			  (unsigned long long)(n->hidden - n->hidden_unknown),
			  (unsigned long long)n->hidden_unknown);
		emit(o);
	}
	sb_printf(s, "dns: %llu queries, %llu responses, %llu unanswered; tcp: %llu connections",
		  (unsigned long long)n->dns_queries, (unsigned long long)n->dns_responses,
		  (unsigned long long)n->dns_unanswered, (unsigned long long)n->conns);
	if (n->conns_evicted)
		sb_printf(s, " (%llu evicted by the table cap)", (unsigned long long)n->conns_evicted);
	if (n->quic_conns) {
		sb_printf(s, "; quic: %llu connections", (unsigned long long)n->quic_conns);
		if (n->quic_evicted)
			sb_printf(s, " (%llu evicted by the table cap)",
				  (unsigned long long)n->quic_evicted);
	}
	emit(o);
	if (n->focus) {
		sb_printf(s, "--fetch: %llu fetches shown, %llu hidden; hidden: %llu packets, "
			  "%llu DNS messages, %llu connections",
			  (unsigned long long)n->fetches_shown, (unsigned long long)n->fetches_hidden,
			  (unsigned long long)n->hidden_packets, (unsigned long long)n->hidden_dns,
			  (unsigned long long)n->hidden_conns);
		emit(o);
	}
	if (n->capture_stats) {
		sb_printf(s, "capture: %llu packets received by filter, %llu dropped by kernel, "
			  "%llu dropped by interface, %llu dropped by fetchtrace (queue full)",
			  (unsigned long long)n->cap_received, (unsigned long long)n->cap_drop_kernel,
			  (unsigned long long)n->cap_drop_iface, (unsigned long long)n->cap_drop_queue);
		if (n->cap_drop_kernel || n->cap_drop_iface || n->cap_drop_queue)
			sb_printf(s, "; %s", out_drop_meaning);
		emit(o);
	}
	if (n->frag.n_frags) {
		const struct frag_stats *fs = &n->frag;
		sb_printf(s, "ip fragments: %llu read, %llu datagrams reassembled",
			  (unsigned long long)fs->n_frags, (unsigned long long)fs->n_reassembled);
		if (fs->n_dup)
			sb_printf(s, ", %llu duplicates", (unsigned long long)fs->n_dup);
		if (fs->n_bad)
			sb_printf(s, ", %llu dropped as bad", (unsigned long long)fs->n_bad);
		if (fs->n_timeout)
			sb_printf(s, ", %llu timed out", (unsigned long long)fs->n_timeout);
		if (fs->n_overflow)
			sb_printf(s, ", %llu dropped by a cap", (unsigned long long)fs->n_overflow);
		if (fs->n_incomplete)
			sb_printf(s, ", %llu incomplete at the end", (unsigned long long)fs->n_incomplete);
		emit(o);
	}
	if (n->reasm_overflows) {
		sb_printf(s, "reassembly: a memory cap gave up held bytes %llu times",
			  (unsigned long long)n->reasm_overflows);
		emit(o);
	}
	if (n->keylog) {
		sb_printf(s, "tls: %llu records decrypted", (unsigned long long)n->tls_decrypted);
		if (n->tls_auth_failed)
			sb_printf(s, ", %llu connections failed to authenticate (wrong key log?)",
				  (unsigned long long)n->tls_auth_failed);
		if (n->tls_refused)
			sb_printf(s, ", %llu connections not decrypted (too many at once)",
				  (unsigned long long)n->tls_refused);
		if (n->tls_hold_dropped)
			sb_printf(s, ", %llu records given up waiting for their key",
				  (unsigned long long)n->tls_hold_dropped);
		if (n->keylog_malformed)
			sb_printf(s, "; key log: %llu malformed lines skipped",
				  (unsigned long long)n->keylog_malformed);
		emit(o);
	}
	if (n->h2_refused) {
		sb_printf(s, "http2: %llu connections not decoded: their state was over the memory cap",
			  (unsigned long long)n->h2_refused);
		emit(o);
	}
	fflush(o->f);
}

static void text_drops(void *impl, const uint64_t d[3], const uint64_t tot[3])
{
	struct text_out *o = impl;
	struct sb *s = &o->sb;
	sb_printf(s, "drops: %llu packets dropped by the kernel, %llu by the interface, %llu by "
		     "fetchtrace (queue full) (in all %llu, %llu, %llu); %s",
		  (unsigned long long)d[0], (unsigned long long)d[1], (unsigned long long)d[2],
		  (unsigned long long)tot[0], (unsigned long long)tot[1], (unsigned long long)tot[2],
		  out_drop_meaning);
	emit(o);
}

static void text_timeline(void *impl, const struct timeline *tl)
{
	struct text_out *o = impl;
	fold_finish(o); /* --no-acks: what it held goes before */
	out_timeline_text(o->f, tl, o->opt.timeline, o->opt.color);
}

/* --explain on a measured call (issue 14): the times the chapter can only
 * describe, once each per run. */
static void explain_call(struct text_out *o, const struct call_line *l, const struct call_ctx *cx)
{
	struct xvals v = { .n = 0 };
	int64_t dur = l->enter_us && l->exit_us >= l->enter_us ? l->exit_us - l->enter_us : -1;
	if (l->sys == CALLS_SYS_CONNECT && l->phase == CALL_RETURNED && dur >= 0 && l->has_ret) {
		enum explain_id id = l->ret == 0 ? EX_CALL_CONNECT
				     : l->ret == -EINPROGRESS ? EX_CALL_CONNECT_NB : EX_COUNT;
		if (id != EX_COUNT && explain_once(o, id)) {
			sb_dur(xval(&v, "dur"), dur);
			explain_line(o, id, &v);
		}
	} else if (l->sys == CALLS_SYS_POLL || l->sys == CALLS_SYS_SELECT ||
		   l->sys == CALLS_SYS_EPOLL_WAIT) { /* the wait that saw a connect() done */
		bool failed = l->events & (CALLS_EPOLLERR | CALLS_EPOLLHUP);
		enum explain_id id = failed ? EX_CALL_READY_FAIL : EX_CALL_READY;
		if ((failed || (l->connect_us && l->exit_us >= l->connect_us)) && explain_once(o, id)) {
			sb_printf(xval(&v, "call"), "%s()", calls_sys_name(l->sys));
			if (!failed)
				sb_dur(xval(&v, "dur"), l->exit_us - l->connect_us);
			explain_line(o, id, &v);
		}
	} else if (l->sys == CALLS_SYS_GETSOCKOPT && l->has_val && explain_once(o, EX_CALL_SO_ERROR)) {
		struct sb *r = xval(&v, "result");
		if (!l->val)
			sb_putc(r, '0');
		else
			out_call_errno(r, l->val);
		explain_line(o, EX_CALL_SO_ERROR, &v);
	} else if (out_call_step(l) == STEP_WRITE && l->has_ret && l->ret > 0 && dur >= 0 &&
		   l->sotype == 1 && explain_once(o, EX_CALL_WRITE)) {
		sb_dur(xval(&v, "dur"), dur);
		sb_printf(xval(&v, "bytes"), "%lld", (long long)l->ret);
		explain_line(o, EX_CALL_WRITE, &v);
	} else if (out_call_step(l) == STEP_READ && l->has_ret && l->ret > 0 && cx->resp_first &&
		   l->exit_us >= cx->resp_first) {
		/* an HTTP/2 stream's (by the bytes read), an HTTP/3 stream's (by
		 * the datagrams read), or an HTTP/1.x response's */
		enum explain_id id = l->sotype == 2 /* SOCK_DGRAM */ ? EX_CALL_READ_DGRAM
				     : cx->stream ? EX_CALL_READ_STREAM : EX_CALL_READ;
		if (!explain_once(o, id))
			return;
		sb_dur(xval(&v, "dur"), l->exit_us - cx->resp_first);
		sb_printf(xval(&v, "bytes"), "%lld", (long long)(id == EX_CALL_READ_DGRAM ? cx->dgram_len
											     : l->ret));
		sb_printf(xval(&v, "stream"), "%u", cx->stream);
		explain_line(o, id, &v);
	}
}

/* A socket call (issue 14): its own line in the time line, marked "call" in
 * the call column, with the socket's addresses where a packet line has
 * them, and the process that made it. */
static void text_call(void *impl, const struct call_line *l, const struct call_ctx *cx)
{
	struct text_out *o = impl;
	if (o->opt.quiet)
		return;
	struct sb *s = &o->sb;
	put_time(o, l->ts_us);
	size_t shift = s->len > COL_STEP - 1 ? s->len - (COL_STEP - 1) : 0;
	pad_sep(s, COL_STEP + shift);
	enum step st = out_call_step(l);
	if (o->opt.color) {
		sb_puts(s, step_color[st]);
		sb_puts(s, step_name(st));
		sb_puts(s, COLOR_OFF);
		shift += strlen(step_color[st]) + strlen(COLOR_OFF);
	} else {
		sb_puts(s, step_name(st));
	}
	pad_sep(s, COL_CALL + shift);
	sb_puts(s, "call");
	pad_sep(s, COL_TAG + shift);
	if (cx->fetch_id)
		sb_printf(s, "f%u ", cx->fetch_id);
	if (cx->conn_id)
		sb_printf(s, "c%u", cx->conn_id);
	pad_sep(s, COL_ADDR + shift);
	size_t addr_start = s->len;
	out_call_addrs(s, l);
	pad_sep(s, addr_start + (COL_DESC - COL_ADDR));
	/* the process, what it is (a browser's network service), the thread */
	sb_esc(s, l->pcomm, strnlen(l->pcomm, sizeof(l->pcomm)));
	sb_printf(s, "[%u", (unsigned)l->tgid);
	if (l->role[0])
		sb_printf(s, " %s", l->role); /* role_of's words only */
	if (l->tid != l->tgid) {
		sb_printf(s, "/%u ", (unsigned)l->tid);
		sb_esc(s, l->comm, strnlen(l->comm, sizeof(l->comm)));
	}
	sb_puts(s, "] ");
	out_call_desc(s, l);
	emit(o);
	if (o->opt.explain)
		explain_call(o, l, cx);
}

const struct out_ops out_text_ops = {
	.open = text_open,
	.packet = text_packet,
	.call = text_call,
	.conn_done = text_conn_done,
	.quic_done = text_quic_done,
	.timeline = text_timeline,
	.summary = text_summary,
	.sync = text_sync,
	.drops = text_drops,
	.flush = text_flush,
	.close = text_close,
};
