/* out_ladder.c - the ladder diagram: hosts as columns, one arrow per packet, drawn in the
 * terminal at the end of the run, or written as a Mermaid sequenceDiagram.
 *
 * One client, one column: the client of a connection that a DNS answer led
 * to (its fetch link) shares the column of the host that received that
 * answer when the two are of different IP versions: the IPv4 and the IPv6
 * address of the same machine, which asked for A and AAAA and connected
 * over the other family.  Each arrow of a connection carries its number
 * (c1, q1), as the packet lines do. */
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "focus.h"
#include "out_call.h"
#include "out_impl.h"
#include "sb.h"

#define LAD_MAX_HOSTS 8       /* columns; further hosts share the last one ("others") */
#define LAD_MAX_ARROWS 20000  /* arrows kept; more are counted */
#define LAD_LABEL 40          /* bytes of an arrow's label */
#define LAD_COL 26            /* columns between two hosts in the terminal */
#define LAD_LINE 4096
#define LAD_ANSWERS 64        /* DNS answers remembered to merge a client's addresses */
#define LAD_NO_APP 0xff

struct lad_host {
	uint8_t ver;
	uint8_t addr[16];
	uint32_t fetch;             /* a fetch that names it (0 none) */
	uint16_t port;              /* a server's port (53, 80, 443 ...), 0 for a client */
	uint8_t same_as;            /* the host whose column it shares (itself when none) */
	bool app;                   /* the application: the traced processes' calls (issue 14) */
};

/* A DNS answer and the host it went to, to find the client of a fetch. */
struct lad_answer {
	int64_t ts;
	uint16_t id;
	uint8_t host;
};

struct lad_arrow {
	int64_t ts;
	uint8_t from, to;           /* host indices */
	uint8_t step;               /* enum step */
	bool secure;                /* TLS/QUIC handshake */
	uint64_t frame;             /* the packet's frame number (-#) */
	char conn_kind;             /* 'c' a TCP connection, 'q' a QUIC one, 0 none */
	uint32_t conn;              /* its number */
	bool held;                  /* --fetch: its packet is held under key, maybe dropped */
	uint64_t key;
	uint8_t label_len;
	char label[LAD_LABEL];      /* raw bytes from the wire may be in it: escaped on output */
};

struct ladder {
	FILE *f;
	struct out_opts opt;
	struct lad_host hosts[LAD_MAX_HOSTS];
	uint8_t n_hosts;
	struct lad_arrow *arrows;   /* grows to LAD_MAX_ARROWS */
	size_t n, cap;
	uint64_t dropped;
	uint8_t app;                /* the application's column, LAD_NO_APP while none */
	char app_name[CALLS_COMM_LEN + 1]; /* the first traced process's name, raw */
	bool app_several;           /* calls came from more than one process */
	uint32_t app_pid;
	char names[LAD_MAX_HOSTS][64]; /* a fetch name per host, raw */
	uint8_t name_len[LAD_MAX_HOSTS];
	struct lad_answer answers[LAD_ANSWERS]; /* the last DNS answers, a ring */
	unsigned n_answers;
	char line[LAD_LINE];
};

static void *lad_open(FILE *f, const struct out_opts *o)
{
	struct ladder *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->f = f;
	l->opt = *o;
	l->app = LAD_NO_APP;
	return l;
}

static uint8_t host_index(struct ladder *l, uint8_t ver, const uint8_t *addr)
{
	for (uint8_t i = 0; i < l->n_hosts; i++)
		if (!l->hosts[i].app && l->hosts[i].ver == ver && !memcmp(l->hosts[i].addr, addr, 16))
			return i;
	if (l->n_hosts == LAD_MAX_HOSTS)
		return LAD_MAX_HOSTS - 1; /* the last column stands for the rest */
	struct lad_host *h = &l->hosts[l->n_hosts];
	h->ver = ver;
	memcpy(h->addr, addr, 16);
	h->same_as = l->n_hosts;
	return l->n_hosts++;
}

/* The host that received the DNS answer a fetch link names, or -1. */
static int answer_host(const struct ladder *l, const struct fetch_link *k)
{
	unsigned n = l->n_answers < LAD_ANSWERS ? l->n_answers : LAD_ANSWERS;
	for (unsigned i = 0; i < n; i++) {
		const struct lad_answer *a = &l->answers[i];
		if (a->id == k->dns_id && a->ts == k->answer_ts)
			return a->host;
	}
	return -1;
}

/* A connection's first packet: its client shares the column of the host
 * that received the answer it was led by, when their IP versions differ
 * (the rule at the top).  Neither may stand for "others". */
static void merge_client(struct ladder *l, const struct ev *e, uint8_t cli)
{
	const struct fetch_link *k = e->link;
	if (!k || !k->via_dns || l->hosts[cli].same_as != cli)
		return;
	int q = answer_host(l, k);
	if (q < 0 || q == cli || l->hosts[q].ver == l->hosts[cli].ver ||
	    (l->n_hosts == LAD_MAX_HOSTS && (q == LAD_MAX_HOSTS - 1 || cli == LAD_MAX_HOSTS - 1)))
		return;
	l->hosts[cli].same_as = l->hosts[q].same_as;
}

/* The short label of an arrow: what a reader of a flow graph wants. */
/* What a decrypted QUIC datagram carries, in a few words: the ClientHello's
 * SNI, stream data, the close and its error; "ACK" when that is all. */
static void put_quic_gist(struct sb *s, const struct ev *e)
{
	uint64_t sbytes = 0;
	unsigned n_stream = 0, n_ack = 0, n_other = 0;
	bool fin = false;
	for (unsigned i = 0; i < e->n_quic_dec; i++) {
		const struct quicdec_result *r = &e->quic_dec[i];
		if (r->status != QUICDEC_OK)
			continue;
		if (r->has_ch && r->ch.has_sni) {
			sb_puts(s, " ClientHello ");
			sb_esc(s, r->ch.sni, r->ch.sni_len < TLS_NAME_MAX ? r->ch.sni_len : TLS_NAME_MAX);
		}
		for (unsigned k = 0; k < r->frames.n && k < QUICFRAME_MAX; k++) {
			const struct quicframe *f = &r->frames.f[k];
			if ((f->type & ~(uint64_t)7) == QF_STREAM) {
				n_stream++;
				sbytes += f->length;
				fin |= f->fin;
			} else if (f->type == QF_ACK || f->type == QF_ACK_ECN) {
				n_ack++;
			} else if (f->type == QF_CONNECTION_CLOSE || f->type == QF_CONNECTION_CLOSE_APP) {
				const char *en = f->type == QF_CONNECTION_CLOSE_APP
							 ? quicflow_h3_error_name(f->error_code)
							 : quic_transport_error_name(f->error_code);
				sb_puts(s, " CONNECTION_CLOSE ");
				if (en)
					sb_puts(s, en);
				else
					sb_printf(s, "0x%llx", (unsigned long long)f->error_code);
			} else if (f->type == QF_HANDSHAKE_DONE) {
				sb_puts(s, " HANDSHAKE_DONE");
			} else if (f->type != QF_PADDING && f->type != QF_PING) {
				n_other++;
			}
		}
	}
	/* HTTP/3: each request and response the stream data finished */
	for (unsigned i = 0; e->h3 && i < e->h3->n && i < H3_MAX_EVENTS; i++) {
		const struct h3_ev *v = &e->h3->ev[i];
		const struct hpack_headers *h = v->head;
		if (!h || (v->kind != H3_EV_FRAME && v->kind != H3_EV_HEADERS))
			continue;
		if (v->head_kind == H3_HEAD_REQUEST) {
			sb_printf(s, " #%llu ", (unsigned long long)v->stream_id);
			sb_esc(s, h->method.b, h->method.len);
			sb_putc(s, ' ');
			sb_esc(s, h->path.b, h->path.len);
		} else if (v->head_kind == H3_HEAD_RESPONSE && h->status.present) {
			sb_printf(s, " #%llu ", (unsigned long long)v->stream_id);
			sb_esc(s, h->status.b, h->status.len);
		}
	}
	if (n_stream)
		sb_printf(s, " STREAM %llu B%s", (unsigned long long)sbytes, fin ? " FIN" : "");
	else if (n_ack && !n_other && e->step != STEP_CONNECT && e->step != STEP_CLOSE)
		sb_puts(s, " ACK");
}

void out_label(const struct ev *e, struct sb *s)
{
	const struct pkt *p = e->p;
	if (e->frag) { /* an IP fragment held back (frag.c): its datagram is on a later arrow */
		sb_puts(s, e->frag->verdict == FRAG_HELD  ? "fragment held"
			   : e->frag->verdict == FRAG_DUP ? "fragment (duplicate)"
							  : "fragment dropped");
		return;
	}
	if (e->proxy && (e->proxy_msgs & (PROXY_M_REQUEST | PROXY_M_REPLY))) {
		const struct proxy_state *px = e->proxy;
		if (e->proxy_msgs & PROXY_M_REQUEST) {
			sb_printf(s, "%s to ", proxy_kind_name(px));
			sb_esc(s, px->host, px->host_len);
		} else {
			sb_printf(s, "%s %s", proxy_kind_name(px), px->ok ? "tunnel open" : "refused");
		}
		return;
	}
	if (e->n_dns) {
		const struct dns_msg *m = e->dns[0];
		sb_puts(s, m->qr ? "answer " : "query ");
		if (m->has_question) {
			const char *t = dns_type_name(m->qtype);
			if (t)
				sb_printf(s, "%s ", t);
			sb_esc(s, m->qname.text, m->qname.len);
		}
		if (m->qr && m->rcode == 3)
			sb_puts(s, " NXDOMAIN");
		return;
	}
	if (e->quic) {
		sb_puts(s, e->quic->pkt[0].type == QUIC_SHORT ? "QUIC 1-RTT" : "QUIC handshake");
		put_quic_gist(s, e);
		return;
	}
	if (p->layer == LAYER_DONE && (p->proto == IPPROTO_NUM_ICMP ||
				       p->proto == IPPROTO_NUM_ICMPV6)) {
		/* "ICMP port unreachable", "ICMPv6 packet too big": the code names an error */
		const struct icmp_info *m = &p->icmp;
		const char *cn = m->error ? icmp_code_name(m->ver, m->type, m->code) : NULL;
		const char *tn = icmp_type_name(m->ver, m->type);
		sb_puts(s, m->ver == 6 ? "ICMPv6 " : "ICMP ");
		if (cn || tn)
			sb_puts(s, cn ? cn : tn);
		else
			sb_printf(s, "type %u", m->type);
		return;
	}
	if (e->http) {
		for (unsigned i = 0; i < e->http->n; i++) {
			const struct http_ev *h = &e->http->ev[i];
			if (h->kind != HTTP_EV_HEAD)
				continue;
			if (h->head->is_request) {
				sb_esc(s, h->head->method.b, h->head->method.len);
				sb_putc(s, ' ');
				sb_esc(s, h->head->target.b, h->head->target.len);
			} else {
				sb_printf(s, "%u ", h->head->status);
				sb_esc(s, h->head->reason.b, h->head->reason.len);
			}
			return;
		}
	}
	if (e->h2 && e->h2->n) {
		/* a header block says the most; else the first frame's type */
		const struct h2_ev *first = NULL;
		for (unsigned i = 0; i < e->h2->n; i++) {
			const struct h2_ev *v = &e->h2->ev[i];
			if (v->kind == H2_EV_FRAME && !first)
				first = v;
			if (v->kind != H2_EV_FRAME || !v->head || v->type == H2_PUSH_PROMISE)
				continue;
			sb_printf(s, "#%u ", v->stream_id);
			if (v->head_kind == H2_HEAD_REQUEST) {
				sb_esc(s, v->head->method.b, v->head->method.len);
				sb_putc(s, ' ');
				sb_esc(s, v->head->path.b, v->head->path.len);
			} else {
				sb_esc(s, v->head->status.b, v->head->status.len);
			}
			return;
		}
		if (first) {
			const char *n = h2_frame_name(first->type);
			if (first->type == H2_DATA)
				sb_printf(s, "#%u DATA %u B", first->stream_id, first->data_len);
			else
				sb_puts(s, n ? n : "HTTP/2 frame");
			return;
		}
	}
	if (e->tls && e->tls->n) {
		const struct tls_ev *v = &e->tls->ev[0];
		static const char *const names[] = {
			[TLS_EV_CLIENT_HELLO] = "ClientHello", [TLS_EV_SERVER_HELLO] = "ServerHello",
			[TLS_EV_HANDSHAKE] = "TLS handshake", [TLS_EV_ENCRYPTED_HS] = "TLS encrypted hs",
			[TLS_EV_CCS] = "ChangeCipherSpec", [TLS_EV_ALERT] = "TLS alert",
			[TLS_EV_APPDATA] = "TLS data",        [TLS_EV_OTHER_RECORD] = "TLS record",
			[TLS_EV_OPAQUE] = "TLS ?",            [TLS_EV_DEC_HS] = "TLS handshake",
			[TLS_EV_DEC_NOTE] = "TLS",
		};
		sb_puts(s, (unsigned)v->kind < sizeof(names) / sizeof(names[0]) && names[v->kind]
				   ? names[v->kind]
				   : "TLS");
		return;
	}
	uint8_t fl = p->tcp_flags;
	if (fl & TCP_SYN)
		sb_puts(s, fl & TCP_ACK ? "SYN-ACK" : "SYN");
	else if (fl & TCP_RST)
		sb_puts(s, "RST");
	else if (fl & TCP_FIN)
		sb_puts(s, "FIN");
	else if (p->pl_len)
		sb_printf(s, "%u B", p->pl_len);
	else
		sb_puts(s, "ACK");
}

/* Room for one more arrow, zeroed, or NULL (counted). */
static struct lad_arrow *arrow_new(struct ladder *l)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 512;
		if (ncap > LAD_MAX_ARROWS)
			ncap = LAD_MAX_ARROWS;
		struct lad_arrow *na = l->n < ncap ? realloc(l->arrows, ncap * sizeof(*na)) : NULL;
		if (!na) {
			l->dropped++;
			return NULL;
		}
		l->arrows = na;
		l->cap = ncap;
	}
	struct lad_arrow *w = &l->arrows[l->n++];
	memset(w, 0, sizeof(*w));
	return w;
}

/*
 * A socket call (issue 14): an arrow between the application's column
 * (drawn left of every host) and the client's socket, by the socket's
 * local address: the application hands bytes down (write, connect, close)
 * or takes them up (read, a connect() returning, the wait that saw it
 * connected).  A call whose socket has
 * no address yet (socket(), connect() entered) is drawn on the
 * application's line.
 */
static void lad_call(void *impl, const struct call_line *c, const struct call_ctx *cx)
{
	struct ladder *l = impl;
	if (l->app == LAD_NO_APP) {
		if (l->n_hosts == LAD_MAX_HOSTS)
			return; /* no column left for it */
		l->app = l->n_hosts++;
		memset(&l->hosts[l->app], 0, sizeof(l->hosts[l->app]));
		l->hosts[l->app].app = true;
		l->hosts[l->app].same_as = l->app;
		memcpy(l->app_name, c->pcomm, sizeof(l->app_name));
		l->app_pid = c->tgid;
	} else if (c->tgid != l->app_pid) {
		l->app_several = true;
	}
	uint8_t ver, la[16], ra[16];
	uint8_t sock = out_call_tuple(c, &ver, la, ra) && c->lport ? host_index(l, ver, la) : l->app;
	enum step st = out_call_step(c);
	/* the socket tells the application: a read, a connect() returning, the
	 * wait that saw it writable and getsockopt(SO_ERROR)'s result */
	bool up = st == STEP_READ || (c->sys == CALLS_SYS_CONNECT && c->phase == CALL_RETURNED) ||
		  c->sys == CALLS_SYS_POLL || c->sys == CALLS_SYS_SELECT ||
		  c->sys == CALLS_SYS_EPOLL_WAIT || c->sys == CALLS_SYS_GETSOCKOPT;
	struct lad_arrow *w = arrow_new(l);
	if (!w)
		return;
	w->ts = c->ts_us;
	w->from = up ? sock : l->app;
	w->to = up ? l->app : sock;
	w->step = (uint8_t)st;
	if (cx && cx->conn_id) {
		w->conn_kind = 'c';
		w->conn = cx->conn_id;
	}
	char tmp[256];
	struct sb s;
	sb_init(&s, tmp, sizeof(tmp));
	out_call_desc(&s, c);
	size_t n = s.len < LAD_LABEL ? s.len : LAD_LABEL;
	memcpy(w->label, tmp, n);
	w->label_len = (uint8_t)n;
}

static void lad_packet(void *impl, const struct ev *e)
{
	struct ladder *l = impl;
	const struct pkt *p = e->p;
	if (!p->ip_ver || (e->step == STEP_OTHER && !l->opt.all))
		return;
	uint8_t a = host_index(l, p->ip_ver, p->src), b = host_index(l, p->ip_ver, p->dst);
	/* remember what the server side is, for the column heads */
	struct lad_host *srv = e->seg ? &l->hosts[e->seg->dir == 0 ? b : a]
				      : &l->hosts[p->dport == 53 || p->dport == 443 ? b : a];
	if (!srv->port)
		srv->port = e->seg ? e->seg->c->sport : (p->dport == 53 || p->dport == 443 ? p->dport
											    : p->sport);
	if (e->n_dns && e->dns[0]->qr) { /* remembered: a client's connections may follow */
		struct lad_answer *w = &l->answers[l->n_answers++ % LAD_ANSWERS];
		w->ts = p->ts_us;
		w->id = e->dns[0]->id;
		w->host = b;
	}
	if (e->link && (e->seg || e->quic)) /* a connection's first packet */
		merge_client(l, e, (e->seg ? e->seg->dir == 0 : e->quic_from_client) ? a : b);
	if (e->link && e->link->via_dns) {
		uint8_t k = (uint8_t)(srv - l->hosts);
		if (!l->name_len[k]) {
			size_t n = e->link->name->len < 64 ? e->link->name->len : 64;
			memcpy(l->names[k], e->link->name->text, n);
			l->name_len[k] = (uint8_t)n;
		}
	}
	struct lad_arrow *w = arrow_new(l);
	if (!w)
		return;
	w->ts = p->ts_us;
	w->from = a;
	w->to = b;
	w->step = (uint8_t)e->step;
	w->secure = e->secure;
	w->frame = e->frame;
	w->conn_kind = 0;
	w->conn = 0;
	if (e->seg) {
		w->conn_kind = 'c';
		w->conn = e->seg->c->id;
	} else if (e->quic && e->quic_conn) {
		w->conn_kind = 'q';
		w->conn = e->quic_conn;
	}
	w->held = e->focus == FOCUS_HOLD;
	w->key = e->focus_key;
	/* the label: built escaped, cut to its field */
	char tmp[256];
	struct sb s;
	sb_init(&s, tmp, sizeof(tmp));
	out_label(e, &s);
	size_t n = s.len < LAD_LABEL ? s.len : LAD_LABEL;
	memcpy(w->label, tmp, n);
	w->label_len = (uint8_t)n;
}

/* --fetch decided the held arrows of key: kept, or taken out (in order). */
static void lad_release(void *impl, uint64_t key, bool show)
{
	struct ladder *l = impl;
	size_t w = 0;
	for (size_t k = 0; k < l->n; k++) {
		struct lad_arrow *a = &l->arrows[k];
		if (a->held && a->key == key) {
			if (!show)
				continue;
			a->held = false;
		}
		if (w != k)
			l->arrows[w] = *a;
		w++;
	}
	l->n = w;
}

static void lad_conn_done(void *impl, const struct conn *c, const char *why,
			  const struct dns_name *name)
{
	(void)impl, (void)c, (void)why, (void)name;
}

static void emit(struct ladder *l, struct sb *s)
{
	sb_putc(s, '\n');
	fwrite(s->buf, 1, s->len, l->f);
	sb_reset(s);
}

static void host_title(const struct ladder *l, uint8_t i, struct sb *s, bool brief)
{
	const struct lad_host *h = &l->hosts[i];
	if (h->app) {
		if (l->app_several) {
			sb_puts(s, "application");
		} else {
			sb_esc(s, l->app_name, strnlen(l->app_name, sizeof(l->app_name)));
			if (!brief)
				sb_puts(s, " (application)");
		}
		return;
	}
	if (i == LAD_MAX_HOSTS - 1 && l->n_hosts == LAD_MAX_HOSTS) {
		sb_puts(s, "others");
		return;
	}
	if (l->name_len[i]) {
		sb_esc(s, l->names[i], l->name_len[i]);
		if (brief)
			return;
		sb_putc(s, ' ');
	} else if (h->port == 53) {
		sb_puts(s, "DNS ");
	} else if (!h->port) {
		sb_puts(s, "client ");
	}
	sb_ip(s, h->ver, h->addr);
}

/* Each host's column: the hosts that share one (merge_client) take the
 * column of the first of them; the others in order of appearance.
 * Returns the number of columns. */
static uint8_t lad_columns(const struct ladder *l, uint8_t col[LAD_MAX_HOSTS])
{
	uint8_t n = 0;
	if (l->app != LAD_NO_APP)
		col[l->app] = n++; /* the application, left of the client's socket */
	for (uint8_t i = 0; i < l->n_hosts; i++) {
		if (i == l->app)
			continue;
		uint8_t r = l->hosts[i].same_as;
		col[i] = r < i ? col[r] : n++; /* a host shares only with one seen before it */
	}
	return n;
}

/* The host at the head of column c (lad_columns), or LAD_MAX_HOSTS. */
static uint8_t col_head(const struct ladder *l, const uint8_t col[LAD_MAX_HOSTS], uint8_t c)
{
	for (uint8_t i = 0; i < l->n_hosts; i++)
		if (l->hosts[i].same_as == i && col[i] == c)
			return i;
	return LAD_MAX_HOSTS;
}

/* The addresses of the hosts merged into column head r: lead before the
 * first, " / " between. */
static bool put_merged(const struct ladder *l, uint8_t r, struct sb *s, const char *lead)
{
	bool any = false;
	for (uint8_t i = 0; i < l->n_hosts; i++) {
		if (i == r || l->hosts[i].same_as != r)
			continue;
		sb_puts(s, any ? " / " : lead);
		sb_ip(s, l->hosts[i].ver, l->hosts[i].addr);
		any = true;
	}
	return any;
}

/* "c1 " / "q1 ": the arrow's connection, when it has one. */
static void put_conn(struct sb *s, const struct lad_arrow *w)
{
	if (w->conn_kind)
		sb_printf(s, "%c%u ", w->conn_kind, w->conn);
}

static void lad_mermaid(struct ladder *l, struct sb *s)
{
	uint8_t col[LAD_MAX_HOSTS];
	uint8_t n_cols = lad_columns(l, col);
	sb_puts(s, "sequenceDiagram");
	emit(l, s);
	for (uint8_t c = 0; c < n_cols; c++) { /* declared in column order */
		uint8_t i = col_head(l, col, c);
		if (i == LAD_MAX_HOSTS)
			continue;
		sb_printf(s, "    participant H%u as ", col[i]);
		host_title(l, i, s, false);
		put_merged(l, i, s, " / ");
		emit(l, s);
	}
	int64_t t0 = l->n ? l->arrows[0].ts : 0;
	for (size_t k = 0; k < l->n; k++) {
		const struct lad_arrow *w = &l->arrows[k];
		sb_printf(s, "    H%u->>H%u: ", col[w->from], col[w->to]);
		if (l->opt.number) /* not "#5": '#' starts an entity code there */
			sb_printf(s, "frame %llu ", (unsigned long long)w->frame);
		sb_secs(s, w->ts - t0);
		sb_printf(s, " %s ", step_name((enum step)w->step));
		put_conn(s, w);
		/* Mermaid's message text ends at the line; ';' and '#' have meanings
		 * there: write them as entity codes */
		for (size_t i = 0; i < w->label_len; i++) {
			char c = w->label[i];
			if (c == ';')
				sb_puts(s, "#59;");
			else if (c == '#')
				sb_puts(s, "#35;");
			else
				sb_putc(s, c);
		}
		emit(l, s);
	}
}

static void put_label(struct sb *s, const struct lad_arrow *w)
{
	for (size_t i = 0; i < w->label_len; i++)
		sb_putc(s, w->label[i]);
}

static void lad_text(struct ladder *l, struct sb *s)
{
	enum { COL0 = 12 }; /* after the time column */
	uint8_t col[LAD_MAX_HOSTS];
	uint8_t n_cols = lad_columns(l, col);
	size_t num = l->opt.number ? 6 : 0; /* -#: each row starts with the frame number */
	size_t width = COL0 + (size_t)(n_cols ? n_cols - 1 : 0) * LAD_COL + 1;
	/* heads: each host's name where its line will run; a second line with
	 * the other addresses of a merged client */
	bool merged = false;
	for (int row = 0; row < 2; row++) {
		for (uint8_t c = 0; c < n_cols; c++) {
			uint8_t i = col_head(l, col, c);
			if (i == LAD_MAX_HOSTS)
				continue;
			sb_pad(s, num + COL0 + (size_t)col[i] * LAD_COL);
			size_t start = s->len;
			if (row == 0)
				host_title(l, i, s, true);
			else
				put_merged(l, i, s, "");
			if (s->len - start > LAD_COL - 2) {
				s->len = start + LAD_COL - 2;
				s->buf[s->len] = '\0';
			}
			merged |= row == 1 && s->len > start;
		}
		if (row == 1 && !merged) {
			sb_reset(s);
			break;
		}
		while (s->len && s->buf[s->len - 1] == ' ') /* no padding left at the end */
			s->len--;
		emit(l, s);
	}
	int64_t t0 = l->n ? l->arrows[0].ts : 0;
	char row[COL0 + LAD_MAX_HOSTS * LAD_COL + 1];
	for (size_t k = 0; k < l->n; k++) {
		const struct lad_arrow *w = &l->arrows[k];
		memset(row, ' ', width);
		for (uint8_t i = 0; i < n_cols; i++)
			row[COL0 + (size_t)i * LAD_COL] = '|';
		size_t from = COL0 + (size_t)col[w->from] * LAD_COL;
		size_t to = COL0 + (size_t)col[w->to] * LAD_COL;
		size_t lo = from < to ? from : to, hi = from < to ? to : from;
		for (size_t c = lo + 1; c < hi; c++)
			row[c] = '-';
		if (from < to)
			row[to - 1] = '>';
		else if (from > to)
			row[to + 1] = '<';
		if (w->conn_kind && hi - lo > 14) { /* the connection on the arrow: "--c12--" */
			char tag[16];
			int n = snprintf(tag, sizeof(tag), " %c%u ", w->conn_kind, w->conn);
			if (n > 0 && (size_t)n < hi - lo - 4)
				memcpy(row + lo + (hi - lo - (size_t)n) / 2 + 1, tag, (size_t)n);
		}
		if (num)
			sb_printf(s, "%5llu ", (unsigned long long)w->frame);
		size_t start = s->len;
		sb_secs(s, w->ts - t0);
		for (size_t c = s->len - start; c < width; c++)
			sb_putc(s, row[c]);
		sb_printf(s, "  %s ", w->secure ? "connect(tls)" : step_name((enum step)w->step));
		put_label(s, w);
		emit(l, s);
	}
}

static void lad_summary(void *impl, const struct out_counts *n)
{
	struct ladder *l = impl;
	struct sb s;
	(void)n;
	sb_init(&s, l->line, sizeof(l->line));
	if (l->opt.format == OUT_LADDER_MERMAID)
		lad_mermaid(l, &s);
	else
		lad_text(l, &s);
	if (l->dropped) {
		sb_printf(&s, "%s... %llu more packets not drawn",
			  l->opt.format == OUT_LADDER_MERMAID ? "    %% " : "",
			  (unsigned long long)l->dropped);
		emit(l, &s);
	}
	fflush(l->f);
}

static void lad_flush(void *impl)
{
	struct ladder *l = impl;
	fflush(l->f);
}

static void lad_close(void *impl)
{
	struct ladder *l = impl;
	if (!l)
		return;
	fflush(l->f);
	free(l->arrows);
	free(l);
}

const struct out_ops out_ladder_ops = {
	.open = lad_open,
	.call = lad_call,
	.packet = lad_packet,
	.conn_done = lad_conn_done,
	.release = lad_release,
	.summary = lad_summary,
	.flush = lad_flush,
	.close = lad_close,
};
