/* focus.c - --fetch: the patterns and numbers asked for, and each fetch's state. */
#include "focus.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"
#include "out.h"

struct fstate {
	uint32_t id;            /* fetch number; 0 = empty */
	uint8_t state;          /* enum focus_state */
	uint16_t n_held;        /* packets held while undecided */
};

struct focus {
	unsigned n_pat, n_num;
	char pat[FOCUS_MAX_ARGS][FOCUS_PAT_MAX + 1]; /* NUL-terminated, trailing dot removed */
	uint32_t num[FOCUS_MAX_ARGS];
	struct fstate fs[FOCUS_FETCHES];     /* by id % FOCUS_FETCHES */
	uint64_t n_shown, n_hidden;          /* fetches decided */
	uint64_t n_conns_hidden;             /* connection summaries not shown */
};

bool focus_arg_ok(const char *arg, const char **why)
{
	size_t len = strlen(arg);
	if (digits_all(arg)) {
		unsigned long long v = len <= 10 ? strtoull(arg, NULL, 10) : 0;
		if (v < 1 || v > UINT32_MAX) {
			*why = "a fetch number is 1..4294967295";
			return false;
		}
		return true;
	}
	if (len == 0 || len > FOCUS_PAT_MAX) {
		*why = "a name pattern is 1..255 bytes";
		return false;
	}
	return true;
}

struct focus *focus_open(const char *const *args, unsigned n)
{
	struct focus *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	for (unsigned i = 0; i < n && i < FOCUS_MAX_ARGS; i++) {
		const char *a = args[i];
		const char *why;
		if (!focus_arg_ok(a, &why))
			continue; /* main refused it already */
		if (digits_all(a)) {
			f->num[f->n_num++] = (uint32_t)strtoul(a, NULL, 10);
			continue;
		}
		size_t len = strlen(a);
		if (len > 1 && a[len - 1] == '.')
			len--;
		memcpy(f->pat[f->n_pat], a, len);
		f->pat[f->n_pat++][len] = '\0';
	}
	return f;
}

void focus_close(struct focus *f) { free(f); }

bool focus_on(const struct focus *f) { return f && (f->n_pat || f->n_num); }
bool focus_has_names(const struct focus *f) { return f->n_pat > 0; }
bool focus_has_numbers(const struct focus *f) { return f->n_num > 0; }

bool focus_name(const struct focus *f, const char *b, size_t len)
{
	char name[FOCUS_PAT_MAX + 2];
	if (len > 1 && b[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(name) || memchr(b, '\0', len))
		return false; /* no DNS name is longer; a NUL would end it early */
	memcpy(name, b, len);
	name[len] = '\0';
	/* No FNM_PATHNAME: '*' matches across dots, so "*.example.com"
	 * matches "a.b.example.com" but not "example.com" itself. */
	for (unsigned i = 0; i < f->n_pat; i++)
		if (fnmatch(f->pat[i], name, FNM_CASEFOLD) == 0)
			return true;
	return false;
}

bool focus_host(const struct focus *f, const char *b, size_t len)
{
	/* RFC 9110 7.2: uri-host [ ":" port ]; an IPv6 literal in brackets */
	if (len && b[0] == '[') {
		const char *end = memchr(b, ']', len);
		return end && focus_name(f, b + 1, (size_t)(end - b - 1));
	}
	size_t n = len;
	while (n && b[n - 1] >= '0' && b[n - 1] <= '9')
		n--;
	if (n && n < len && b[n - 1] == ':')
		len = n - 1;
	return focus_name(f, b, len);
}

bool focus_number(const struct focus *f, uint32_t id)
{
	for (unsigned i = 0; i < f->n_num; i++)
		if (f->num[i] == id)
			return true;
	return false;
}

enum focus_state focus_fetch_state(const struct focus *f, uint32_t id)
{
	const struct fstate *s = &f->fs[id % FOCUS_FETCHES];
	return id && s->id == id ? (enum focus_state)s->state : FOCUS_UNKNOWN;
}

void focus_fetch_set(struct focus *f, uint32_t id, enum focus_state st)
{
	if (!id)
		return;
	struct fstate *s = &f->fs[id % FOCUS_FETCHES];
	if (s->id != id) {
		s->id = id;
		s->state = FOCUS_UNKNOWN;
		s->n_held = 0;
	}
	if (s->state == st)
		return;
	bool was_decided = s->state == FOCUS_SHOWN || s->state == FOCUS_HIDDEN;
	if (was_decided)
		(s->state == FOCUS_SHOWN ? f->n_shown-- : f->n_hidden--);
	s->state = (uint8_t)st;
	if (st == FOCUS_SHOWN)
		f->n_shown++;
	else if (st == FOCUS_HIDDEN)
		f->n_hidden++;
}

unsigned focus_fetch_held(struct focus *f, uint32_t id)
{
	struct fstate *s = &f->fs[id % FOCUS_FETCHES];
	if (s->id != id)
		return 0;
	if (s->n_held < UINT16_MAX)
		s->n_held++;
	return s->n_held;
}

/* Bit 63 tells a fetch key from a name key. */
#define KEY_FETCH (UINT64_C(1) << 63)

uint64_t focus_key_fetch(uint32_t id) { return KEY_FETCH | id; }

uint32_t focus_key_fetch_id(uint64_t key) { return key & KEY_FETCH ? (uint32_t)key : 0; }

uint64_t focus_key_name(const struct dns_name *n)
{
	/* FNV-1a over the name in lower case, without a trailing dot: the
	 * same name asked in another case holds under the same key.  Not a
	 * hash table: a collision only groups two names' held messages. */
	uint64_t h = UINT64_C(14695981039346656037);
	size_t len = n->len < DNS_NAME_TEXT_MAX ? n->len : 0;
	if (len > 1 && n->text[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)n->text[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * UINT64_C(1099511628211);
	}
	return (h & ~KEY_FETCH) | 1; /* never 0, never a fetch key */
}

void focus_counts(const struct focus *f, uint64_t *shown, uint64_t *hidden)
{
	*shown = f->n_shown;
	*hidden = f->n_hidden;
}

/* ------------------------------------------------------------------ */
/* the tracer's side                                                   */
/* ------------------------------------------------------------------ */

/* What the held packets of evicted keys (room, age) mean: an undecided
 * fetch is hidden for good. */
static void drain_evicted(struct focus *f, struct out *o)
{
	uint64_t key;
	while (out_hold_evicted(o, &key)) {
		uint32_t id = focus_key_fetch_id(key);
		if (id && focus_fetch_state(f, id) == FOCUS_UNDECIDED)
			focus_fetch_set(f, id, FOCUS_HIDDEN);
	}
}

/* A name this packet gives its connection: the host a proxy was asked
 * for, the ClientHello's SNI (TLS, QUIC), a request's Host or :authority.
 * *host: it may carry a :port. */
static bool packet_name(const struct ev *e, const char **b, size_t *len, bool *host)
{
	*host = false;
	/* the host a proxy handshake asks for (a name or an address as text) */
	if (e->proxy && (e->proxy_msgs & PROXY_M_REQUEST) && e->proxy->host_len) {
		*b = e->proxy->host, *len = e->proxy->host_len;
		return true;
	}
	for (unsigned i = 0; e->tls && i < e->tls->n && i < TLS_MAX_EVENTS; i++) {
		const struct tls_ev *v = &e->tls->ev[i];
		if (v->kind == TLS_EV_CLIENT_HELLO && v->ch && v->ch->has_sni) {
			*b = v->ch->sni, *len = v->ch->sni_len;
			return true;
		}
	}
	for (unsigned i = 0; e->quic_dec && i < e->n_quic_dec && i < QUIC_MAX_PACKETS; i++) {
		const struct quicdec_result *r = &e->quic_dec[i];
		if (r->status == QUICDEC_OK && r->has_ch && r->ch.has_sni) {
			*b = r->ch.sni, *len = r->ch.sni_len;
			return true;
		}
	}
	*host = true;
	for (unsigned i = 0; e->http && i < e->http->n && i < HTTP_MAX_EVENTS; i++) {
		const struct http_ev *v = &e->http->ev[i];
		if (v->kind == HTTP_EV_HEAD && v->head && v->head->is_request &&
		    v->head->host.present) {
			*b = v->head->host.b, *len = v->head->host.len;
			return true;
		}
	}
	for (unsigned i = 0; e->h2 && i < e->h2->n && i < H2_MAX_EVENTS; i++) {
		const struct h2_ev *v = &e->h2->ev[i];
		if (v->head && v->head_kind == H2_HEAD_REQUEST && v->head->authority.present) {
			*b = v->head->authority.b, *len = v->head->authority.len;
			return true;
		}
	}
	for (unsigned i = 0; e->h3 && i < e->h3->n && i < H3_MAX_EVENTS; i++) {
		const struct h3_ev *v = &e->h3->ev[i];
		if (v->head && v->head_kind == H3_HEAD_REQUEST && v->head->authority.present) {
			*b = v->head->authority.b, *len = v->head->authority.len;
			return true;
		}
	}
	return false;
}

/* The first decision about a fetch, at its first packet. */
static enum focus_state fetch_first(const struct focus *f, const struct ev *e, uint32_t id)
{
	const struct fetch_link *l = e->link && e->link->fetch_id == id ? e->link : NULL;
	if (focus_number(f, id))
		return FOCUS_SHOWN;
	if (l && l->via_dns && l->name)
		return focus_name(f, l->name->text, l->name->len) ||
				       (l->cname && focus_name(f, l->cname->text, l->cname->len))
			       ? FOCUS_SHOWN
			       : FOCUS_HIDDEN;
	/* a connection that asked its proxy for another host: that host's fetch */
	if (l && l->via_proxy && l->name)
		return focus_name(f, l->name->text, l->name->len) ? FOCUS_SHOWN : FOCUS_HIDDEN;
	/* no DNS name: an SNI or Host may still name it (when names were asked) */
	return l && f->n_pat ? FOCUS_UNDECIDED : FOCUS_HIDDEN;
}

static enum focus_verdict fetch_verdict(struct focus *f, struct out *o, struct ev *e, uint32_t id)
{
	if (!id)
		return FOCUS_HIDE;
	enum focus_state st = focus_fetch_state(f, id);
	if (st == FOCUS_UNKNOWN) {
		st = fetch_first(f, e, id);
		focus_fetch_set(f, id, st);
	}
	/* A connection to an address a DNS answer gave: the messages of that
	 * name held so far (fetch numbers) follow the fetch. */
	const struct fetch_link *l = e->link;
	if (l && l->fetch_id == id && l->via_dns && l->name && st != FOCUS_UNDECIDED)
		out_release(o, focus_key_name(l->name), st == FOCUS_SHOWN);
	if (st == FOCUS_UNDECIDED) {
		const char *b;
		size_t len;
		bool host;
		if (packet_name(e, &b, &len, &host)) {
			bool m = host ? focus_host(f, b, len) : focus_name(f, b, len);
			st = m ? FOCUS_SHOWN : FOCUS_HIDDEN;
			focus_fetch_set(f, id, st);
			out_release(o, focus_key_fetch(id), m);
		} else if (focus_fetch_held(f, id) > FOCUS_HOLD_PKTS) {
			st = FOCUS_HIDDEN;
			focus_fetch_set(f, id, st);
			out_release(o, focus_key_fetch(id), false);
		} else {
			e->focus_key = focus_key_fetch(id);
			return FOCUS_HOLD;
		}
	}
	return st == FOCUS_SHOWN ? FOCUS_SHOW : FOCUS_HIDE;
}

/* Does a response's answer section name a matching owner or CNAME target? */
static bool answer_matches(const struct focus *f, const struct dns_msg *m)
{
	for (unsigned r = 0; r < m->n_rr && r < DNS_MAX_RR; r++) {
		const struct dns_rr *rr = &m->rr[r];
		if (rr->section != DNS_SEC_ANSWER)
			continue;
		if (focus_name(f, rr->name.text, rr->name.len) ||
		    (rr->type == DNS_T_CNAME && rr->rd_status == FT_OK &&
		     focus_name(f, rr->target.text, rr->target.len)))
			return true;
	}
	return false;
}

/* Does a DNS message of the packet match? */
static bool dns_shows(const struct focus *f, const struct ev *e)
{
	for (unsigned i = 0; i < e->n_dns && i < EV_MAX_DNS; i++) {
		const struct dns_msg *m = e->dns[i];
		if (m && m->has_question &&
		    (focus_name(f, m->qname.text, m->qname.len) || (m->qr && answer_matches(f, m))))
			return true;
	}
	return false;
}

static enum focus_verdict dns_verdict(struct focus *f, struct out *o, struct ev *e)
{
	bool show = false, hold = false;
	uint64_t key = 0;
	for (unsigned i = 0; i < e->n_dns && i < EV_MAX_DNS; i++) {
		const struct dns_msg *m = e->dns[i];
		if (!m || !m->has_question)
			continue;
		uint64_t k = focus_key_name(&m->qname);
		bool match = focus_name(f, m->qname.text, m->qname.len) ||
			     (m->qr && answer_matches(f, m));
		if (match) {
			show = true;
			out_release(o, k, true); /* its queries, held until now */
		} else if (m->qr && !f->n_num) {
			out_release(o, k, false); /* no CNAME to a name asked for */
		} else if (!hold) {
			hold = true;
			key = k;
		}
	}
	if (show)
		return FOCUS_SHOW;
	if (hold) {
		e->focus_key = key;
		return FOCUS_HOLD;
	}
	return FOCUS_HIDE;
}

void focus_event(struct focus *f, struct out *o, struct ev *e)
{
	if (!focus_on(f))
		return;
	if (e->p->ts_us > INT64_MIN + FOCUS_HOLD_US)
		out_hold_expire(o, e->p->ts_us - FOCUS_HOLD_US);
	drain_evicted(f, o);
	enum focus_verdict v;
	if (e->seg && e->seg->c && !e->seg->c->dns)
		v = fetch_verdict(f, o, e, e->seg->c->fetch_id);
	else if (e->quic)
		v = fetch_verdict(f, o, e, e->quic_fetch);
	else if (e->icmp_fetch)
		v = fetch_verdict(f, o, e, e->icmp_fetch);
	else if (e->n_dns)
		v = dns_verdict(f, o, e);
	else if (e->icmp_dns && e->icmp_dns->has_question)
		v = focus_name(f, e->icmp_dns->qname.text, e->icmp_dns->qname.len) ? FOCUS_SHOW
										   : FOCUS_HIDE;
	else
		v = FOCUS_HIDE;
	/* DNS inside a connection of another fetch (DoH): a message of a
	 * name asked for shows, as it would over UDP */
	if (v != FOCUS_SHOW && e->n_dns && (e->seg || e->quic) && dns_shows(f, e))
		v = FOCUS_SHOW;
	e->focus = (uint8_t)v;
}

bool focus_conn(struct focus *f, struct out *o, uint32_t fetch_id, bool dns)
{
	if (!focus_on(f))
		return true;
	if (!dns && fetch_id && focus_fetch_state(f, fetch_id) == FOCUS_UNDECIDED) {
		focus_fetch_set(f, fetch_id, FOCUS_HIDDEN);
		out_release(o, focus_key_fetch(fetch_id), false);
	}
	if (!dns && fetch_id && focus_fetch_state(f, fetch_id) == FOCUS_SHOWN)
		return true;
	f->n_conns_hidden++;
	return false;
}

bool focus_fetch_shown(const struct focus *f, uint32_t fetch_id)
{
	return !focus_on(f) || focus_fetch_state(f, fetch_id) == FOCUS_SHOWN;
}

void focus_finish(struct focus *f, struct out *o, struct out_counts *n)
{
	if (!focus_on(f))
		return;
	/* Each round drops up to the evicted list's length of keys; the
	 * buffer holds finitely many records, so the rounds end. */
	bool any;
	do {
		uint64_t key;
		out_hold_expire(o, INT64_MAX);
		any = false;
		while (out_hold_evicted(o, &key)) {
			any = true;
			uint32_t id = focus_key_fetch_id(key);
			if (id && focus_fetch_state(f, id) == FOCUS_UNDECIDED)
				focus_fetch_set(f, id, FOCUS_HIDDEN);
		}
	} while (any);
	/* fetches left undecided (their packets were all held) are hidden */
	for (unsigned i = 0; i < FOCUS_FETCHES; i++)
		if (f->fs[i].id && f->fs[i].state == FOCUS_UNDECIDED)
			focus_fetch_set(f, f->fs[i].id, FOCUS_HIDDEN);
	n->focus = true;
	n->fetches_shown = f->n_shown;
	n->fetches_hidden = f->n_hidden;
	n->hidden_conns = f->n_conns_hidden;
}
