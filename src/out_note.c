/* out_note.c - a packet's annotation in key=value words (the pcapng opt_comment). */
#include "out_browser.h"
#include "out_note.h"

#include "out_impl.h"
#include "sb.h"
#include "step.h"

size_t out_annotation(const struct ev *e, char *buf, size_t cap)
{
	if (!cap)
		return 0;
	buf[0] = '\0';
	if (e->released != EV_RELEASED_NONE || !e->p)
		return 0;
	struct sb s;
	sb_init(&s, buf, cap);
	/* the call as the text line says it, but connect() for the secure channel */
	sb_printf(&s, "step=%s call=%s", step_name(e->step),
		  e->secure ? step_call(e->step) : out_call_col(e));
	/* the same fetch and connection the text line's tag column shows */
	if (e->seg) {
		const struct conn *c = e->seg->c;
		if (c->fetch_id)
			sb_printf(&s, " fetch=%u", c->fetch_id);
		sb_printf(&s, " conn=%u", c->id);
	} else if (e->quic && (e->quic_fetch || e->quic_conn)) {
		if (e->quic_fetch)
			sb_printf(&s, " fetch=%u", e->quic_fetch);
		if (e->quic_conn)
			sb_printf(&s, " quic=q%u", e->quic_conn);
	} else if (e->icmp_fetch) {
		sb_printf(&s, " fetch=%u", e->icmp_fetch);
	}
	sb_putc(&s, ' ');
	size_t at = s.len;
	if (e->p->ip_ver)
		out_label(e, &s);
	if (s.len == at) /* not IP: nothing to label */
		s.len--, s.buf[s.len] = '\0';
	return s.len;
}
