/* timeline.c - collect each exchange's times from the decoded events. */
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

#define TL_MAX_FETCH_NAMES 4096 /* fetches whose DNS times and names are kept */
#define TL_SCAN 64              /* exchanges searched back for a connection's open one */

struct tl_fetch {
	uint32_t id;
	int64_t dns_start, dns_end;
	uint8_t name_len;
	char name[TL_STR];
};

struct timeline {
	struct tl_exch *ex;         /* grows to TL_MAX_EXCH */
	size_t n, cap;
	uint64_t dropped;
	struct tl_fetch fetches[TL_MAX_FETCH_NAMES]; /* by id % TL_MAX_FETCH_NAMES */
};

struct timeline *timeline_open(void) { return calloc(1, sizeof(struct timeline)); }

void timeline_close(struct timeline *tl)
{
	if (!tl)
		return;
	free(tl->ex);
	free(tl);
}

size_t timeline_count(const struct timeline *tl) { return tl->n; }

const struct tl_exch *timeline_get(const struct timeline *tl, size_t i)
{
	return i < tl->n ? &tl->ex[i] : NULL;
}

uint64_t timeline_dropped(const struct timeline *tl) { return tl->dropped; }

static uint8_t copy_str(char *dst, const char *src, size_t len)
{
	if (len > TL_STR)
		len = TL_STR;
	memcpy(dst, src, len);
	return (uint8_t)len;
}

void timeline_fetch(struct timeline *tl, const struct fetch_link *l)
{
	struct tl_fetch *f = &tl->fetches[l->fetch_id % TL_MAX_FETCH_NAMES];
	memset(f, 0, sizeof(*f));
	f->id = l->fetch_id;
	if (l->via_dns) {
		f->dns_start = l->query_ts;
		f->dns_end = l->answer_ts;
		f->name_len = copy_str(f->name, l->name->text, l->name->len);
	}
}

/* The connection's newest exchange (optionally with a given number). */
static struct tl_exch *find(struct timeline *tl, const struct conn *c, uint32_t exchange, bool any)
{
	for (size_t k = 0; k < TL_SCAN && k < tl->n; k++) {
		struct tl_exch *x = &tl->ex[tl->n - 1 - k];
		if (x->conn == c->id && (any || x->exchange == exchange))
			return x;
	}
	return NULL;
}

static struct tl_exch *add(struct timeline *tl, int64_t now, const struct conn *c, uint32_t exchange)
{
	if (tl->n == tl->cap) {
		size_t ncap = tl->cap ? tl->cap * 2 : 256;
		if (ncap > TL_MAX_EXCH)
			ncap = TL_MAX_EXCH;
		struct tl_exch *nx = tl->n < ncap ? realloc(tl->ex, ncap * sizeof(*nx)) : NULL;
		if (!nx) {
			tl->dropped++;
			return NULL;
		}
		tl->ex = nx;
		tl->cap = ncap;
	}
	bool first = find(tl, c, 0, true) == NULL;
	struct tl_exch *x = &tl->ex[tl->n++];
	memset(x, 0, sizeof(*x));
	x->fetch = c->fetch_id;
	x->conn = c->id;
	x->exchange = exchange;
	x->first_on_conn = first;
	x->tls = c->app == APP_TLS;
	x->req_start = now;
	if (first) {
		x->syn = c->ts_syn;
		x->synack = c->ts_synack;
		x->est = c->ts_established;
		x->tls_start = c->ts_tls_hello;
		x->tls_end = x->tls ? now : 0;
		const struct tl_fetch *f = &tl->fetches[c->fetch_id % TL_MAX_FETCH_NAMES];
		if (f->id == c->fetch_id && c->fetch_id) {
			/* DNS counts for the fetch's first connection only */
			bool fetch_first = true;
			for (size_t k = 0; k + 1 < tl->n && k < TL_SCAN; k++)
				if (tl->ex[tl->n - 2 - k].fetch == c->fetch_id)
					fetch_first = false;
			if (fetch_first) {
				x->dns_start = f->dns_start;
				x->dns_end = f->dns_end;
			}
		}
	}
	const struct tl_fetch *f = &tl->fetches[c->fetch_id % TL_MAX_FETCH_NAMES];
	if (f->id == c->fetch_id)
		x->name_len = copy_str(x->name, f->name, f->name_len);
	return x;
}

void timeline_http(struct timeline *tl, int64_t now, const struct conn *c, const struct http_ev *h)
{
	if (!h->exchange)
		return;
	struct tl_exch *x = find(tl, c, h->exchange, false);
	if (h->dir == 0 && h->kind == HTTP_EV_HEAD && !x) {
		x = add(tl, now, c, h->exchange);
		if (!x)
			return;
		x->method_len = copy_str(x->method, h->head->method.b, h->head->method.len);
		x->target_len = copy_str(x->target, h->head->target.b, h->head->target.len);
		if (!x->name_len && h->head->host.present)
			x->name_len = copy_str(x->name, h->head->host.b, h->head->host.len);
	}
	if (!x)
		return;
	if (h->dir == 0) {
		if (h->kind == HTTP_EV_END || h->kind == HTTP_EV_HEAD)
			x->req_end = now;
		if (h->kind == HTTP_EV_BODY)
			x->up = h->body_done;
	} else {
		if (h->kind == HTTP_EV_HEAD && h->head->status >= 200 && !x->resp_start)
			x->status = h->head->status;
		if (h->kind == HTTP_EV_HEAD && !x->resp_start)
			x->resp_start = now;
		if (h->kind == HTTP_EV_BODY || h->kind == HTTP_EV_END) {
			x->down = h->body_done;
			x->resp_end = now;
		}
		if (h->kind == HTTP_EV_HEAD && h->head->status >= 200)
			x->status = h->head->status;
	}
}

void timeline_tls(struct timeline *tl, int64_t now, const struct conn *c, const struct tls_ev *v)
{
	if (v->kind != TLS_EV_APPDATA)
		return;
	struct tl_exch *x = find(tl, c, 0, false);
	if (!x) {
		if (v->dir != 0)
			return; /* the request opens the exchange */
		x = add(tl, now, c, 0);
		if (!x)
			return;
		x->method_len = copy_str(x->method, "TLS", 3);
		if (!x->name_len && c->fetch_id) {
			const struct tl_fetch *f = &tl->fetches[c->fetch_id % TL_MAX_FETCH_NAMES];
			x->name_len = copy_str(x->name, f->name, f->name_len);
		}
	}
	if (v->dir == 0) {
		/* the request is what the client sends before the response starts */
		x->up += v->rec_len;
		if (!x->resp_start)
			x->req_end = now;
	} else {
		if (!x->resp_start)
			x->resp_start = now;
		x->resp_end = now;
		x->down += v->rec_len;
	}
}

void timeline_conn_done(struct timeline *tl, const struct conn *c)
{
	for (size_t k = 0; k < TL_SCAN && k < tl->n; k++) {
		struct tl_exch *x = &tl->ex[tl->n - 1 - k];
		if (x->conn != c->id)
			continue;
		x->fin = c->ts_fin;
		x->closed = c->ts_last;
		x->close_how = c->rst_dir >= 0 ? 3 : c->first_fin == 0 ? 1 : c->first_fin == 1 ? 2 : 0;
	}
}
