/* out_timeline.c - the per-exchange timings and the terminal waterfall (text output). */
#include "out_timeline.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sb.h"

#define TL_LINE 4096       /* one line */
#define TL_LABEL 28        /* columns for "f1 c1 #1 GET /path" */
#define TL_MIN_BAR 20      /* the narrowest bar worth drawing */
#define TL_MAX_BAR 400     /* and the widest */

/* Each phase of an exchange (timeline.h) with its letter and its step colour. */

static const struct {
	char letter;
	const char *color;   /* the colour of the step the phase belongs to */
	const char *name;
} phases[TL_PHASES] = {
	[TL_DNS] = { 'd', "\033[36m", "dns" },           [TL_CONNECT] = { 'c', "\033[33m", "connect" },
	[TL_TLS] = { 't', "\033[33m", "tls" },           [TL_SEND] = { 's', "\033[32m", "send" },
	[TL_WAIT] = { 'w', "\033[35m", "wait" },         [TL_DOWNLOAD] = { 'r', "\033[35m", "download" },
	[TL_CLOSE] = { 'x', "\033[31m", "close" },
};

static int term_width(FILE *f)
{
	struct winsize ws;
	if (isatty(fileno(f)) && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *cols = getenv("COLUMNS");
	int n = cols ? atoi(cols) : 0;
	return n > 0 ? n : 120;
}

static void put_label(struct sb *s, const struct tl_exch *x)
{
	size_t start = s->len;
	/* a QUIC connection's number is its own (qN), not a TCP connection's */
	sb_printf(s, "  f%u %c%u", x->fetch, x->quic ? 'q' : 'c', x->conn);
	if (x->exchange)
		sb_printf(s, " #%u", x->exchange);
	sb_putc(s, ' ');
	sb_esc(s, x->method, x->method_len);
	if (x->target_len) {
		sb_putc(s, ' ');
		sb_esc(s, x->target, x->target_len);
	}
	/* cut or pad to the label width, so the bars line up */
	if (s->len > start + TL_LABEL) {
		s->len = start + TL_LABEL - 1;
		s->buf[s->len++] = '~';
		s->buf[s->len] = '\0';
	}
	sb_pad(s, start + TL_LABEL);
}

static void put_figures(struct sb *s, const struct tl_exch *x)
{
	int64_t st[TL_PHASES], en[TL_PHASES];
	timeline_phases(x, st, en);
	for (int ph = 0; ph < TL_PHASES; ph++) {
		if (!st[ph])
			continue;
		sb_printf(s, "  %s ", phases[ph].name);
		sb_dur(s, en[ph] - st[ph]);
	}
	if (x->call_read && x->resp_start) { /* measured calls (issue 14): the wait split */
		sb_puts(s, "  (wait measured: ");
		if (x->call_write) {
			sb_puts(s, "kernel ");
			sb_dur(s, x->resp_start - x->call_write);
			sb_puts(s, " write() to first byte, ");
		}
		sb_puts(s, "application ");
		sb_dur(s, x->call_read - x->resp_start);
		sb_puts(s, " first byte to read())");
	} else if (x->call_nosplit) { /* measured, but which call is whose cannot be known */
		sb_printf(s, "  (wait not split: %s)", timeline_nosplit_why(x->call_nosplit));
	}
	if (x->quic && x->first_on_conn) /* one handshake: connect and TLS are the same time */
		sb_puts(s, "  (QUIC: connect and TLS are one handshake)");
	if (x->stream || x->quic) /* HTTP/2, HTTP/3: streams share the connection at once */
		sb_printf(s, "  (stream #%u%s)", x->stream,
			  x->first_on_conn ? "" : ", multiplexed on the connection");
	else if (!x->first_on_conn)
		sb_puts(s, "  (reused connection)");
	if (x->cancelled)
		sb_puts(s, x->quic ? "  cancelled (RESET_STREAM)" : "  cancelled (RST_STREAM)");
	if (x->status)
		sb_printf(s, "  %u", x->status);
	sb_printf(s, "  %llu B up, %llu B down", (unsigned long long)x->up,
		  (unsigned long long)x->down);
	static const char *const how[] = { "", ", client closed first", ", server closed first",
					   ", reset" };
	if (x->close_how < 4)
		sb_puts(s, how[x->close_how]);
}

static void emit(FILE *f, struct sb *s)
{
	sb_putc(s, '\n');
	fwrite(s->buf, 1, s->len, f);
	sb_reset(s);
}

void out_timeline_text(FILE *f, const struct timeline *tl, bool waterfall, bool color)
{
	static char line[TL_LINE];
	struct sb s;
	sb_init(&s, line, sizeof(line));
	size_t n = timeline_count(tl);
	if (!n)
		return;

	/* the axis: from the first phase start to the last phase end */
	int64_t t0 = 0, t1 = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t st[TL_PHASES], en[TL_PHASES];
		timeline_phases(timeline_get(tl, i), st, en);
		for (int ph = 0; ph < TL_PHASES; ph++) {
			if (!st[ph])
				continue;
			if (!t0 || st[ph] < t0)
				t0 = st[ph];
			if (en[ph] > t1)
				t1 = en[ph];
		}
	}
	int width = term_width(f) - TL_LABEL - 4;
	if (width < TL_MIN_BAR)
		width = TL_MIN_BAR;
	if (width > TL_MAX_BAR)
		width = TL_MAX_BAR;
	int64_t span = t1 > t0 ? t1 - t0 : 1;

	sb_puts(&s, waterfall ? "timeline" : "exchanges");
	if (waterfall) {
		sb_puts(&s, " (one column = ");
		sb_dur(&s, (span + width - 1) / width);
		sb_puts(&s, "; d dns, c connect, t TLS, s send, w wait, r download, x close)");
	}
	emit(f, &s);
	for (size_t i = 0; i < n; i++) {
		const struct tl_exch *x = timeline_get(tl, i);
		put_label(&s, x);
		if (waterfall) {
			char bar[TL_MAX_BAR];
			int8_t who[TL_MAX_BAR];
			memset(bar, ' ', sizeof(bar));
			memset(who, -1, sizeof(who));
			int64_t st[TL_PHASES], en[TL_PHASES];
			timeline_phases(x, st, en);
			for (int ph = 0; ph < TL_PHASES; ph++) {
				if (!st[ph])
					continue;
				int a = (int)((st[ph] - t0) * width / span);
				int b = (int)((en[ph] - t0) * width / span);
				if (a >= width)
					a = width - 1;
				if (b >= width)
					b = width - 1;
				/* at least one column, so a short phase is still seen */
				for (int k = a; k <= b && k < width; k++)
					bar[k] = phases[ph].letter, who[k] = (int8_t)ph;
			}
			sb_putc(&s, '|');
			for (int k = 0; k < width; k++) {
				if (color && who[k] >= 0 && (k == 0 || who[k - 1] != who[k]))
					sb_puts(&s, phases[who[k]].color);
				if (color && who[k] < 0 && k > 0 && who[k - 1] >= 0)
					sb_puts(&s, "\033[0m");
				sb_putc(&s, bar[k]);
			}
			if (color && who[width - 1] >= 0)
				sb_puts(&s, "\033[0m");
			sb_putc(&s, '|');
			emit(f, &s);
			sb_pad(&s, TL_LABEL);
		}
		put_figures(&s, x);
		emit(f, &s);
	}
	if (timeline_dropped(tl)) {
		sb_printf(&s, "  ... %llu more exchanges not kept",
			  (unsigned long long)timeline_dropped(tl));
		emit(f, &s);
	}
}
