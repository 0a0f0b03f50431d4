/* out_browser.c - what the browser is doing, as every view says it (out_browser.h). */
#include "out_browser.h"

#include "dnsnote.h"
#include "flow.h"
#include "h2.h"
#include "http.h"
#include "pkt.h"

enum conn_use out_conn_use(const struct conn *c, int64_t *idle)
{
	struct conn_use_in u;
	flow_conn_use_in(c, &u);
	if (idle)
		*idle = step_conn_idle(&u);
	return step_conn_use(&u);
}

/* flow_after recorded the moments with the time stamp, sequence number and
 * direction of the packet that set them: the packet whose own match is it. */
bool out_first_request(const struct ev *e)
{
	if (!e->seg || e->released)
		return false;
	const struct conn *c = e->seg->c;
	return e->step == STEP_WRITE && e->seg->dir == 0 && e->p->pl_len &&
	       c->ts_cli_data == e->p->ts_us && c->cli_data_seq == e->seg->rel_seq;
}

bool out_first_close(const struct ev *e)
{
	if (!e->seg || e->released)
		return false;
	const struct conn *c = e->seg->c;
	return e->step == STEP_CLOSE && e->p->tcp_flags & (TCP_FIN | TCP_RST) &&
	       c->ts_close == e->p->ts_us && c->close_seq == e->seg->rel_seq &&
	       c->close_dir == e->seg->dir;
}

uint32_t out_reused_request(const struct ev *e)
{
	for (unsigned i = 0; e->http && i < e->http->n && i < HTTP_MAX_EVENTS; i++) {
		const struct http_ev *h = &e->http->ev[i];
		if (h->kind == HTTP_EV_HEAD && h->dir == 0 && h->exchange == 2)
			return h->exchange;
	}
	for (unsigned i = 0; e->h2 && i < e->h2->n && i < H2_MAX_EVENTS; i++) {
		const struct h2_ev *h = &e->h2->ev[i];
		if (h->kind == H2_EV_FRAME && h->type == 1 && h->dir == 0 && h->exchange == 2)
			return h->stream_id;
	}
	return 0;
}

const char *out_call_col(const struct ev *e)
{
	if (e->secure)
		return e->quic ? "QUIC handshake" : "TLS handshake";
	if (e->step == STEP_RESOLVE && !e->seg && e->n_dns && e->dns_note)
		return step_dns_call(e->dns_note[0].own_resolver);
	/* DNS over HTTPS (DESIGN.md: "the browser's resolver"): no libc call speaks it */
	if (e->step == STEP_RESOLVE && e->seg && !e->seg->c->dns)
		return step_dns_call(true);
	return step_call(e->step);
}
