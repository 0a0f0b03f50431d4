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

/* The phases of an exchange, in time order, each with its letter and step colour. */
enum phase { PH_DNS, PH_CONNECT, PH_TLS, PH_SEND, PH_WAIT, PH_DOWNLOAD, PH_CLOSE, PH_N };

static const struct {
	char letter;
	const char *color;   /* the colour of the step the phase belongs to */
	const char *name;
} phases[PH_N] = {
	[PH_DNS] = { 'd', "\033[36m", "dns" },           [PH_CONNECT] = { 'c', "\033[33m", "connect" },
	[PH_TLS] = { 't', "\033[33m", "tls" },           [PH_SEND] = { 's', "\033[32m", "send" },
	[PH_WAIT] = { 'w', "\033[35m", "wait" },         [PH_DOWNLOAD] = { 'r', "\033[35m", "download" },
	[PH_CLOSE] = { 'x', "\033[31m", "close" },
};

/* Start and end of each phase of x (0, 0 when it did not happen or is not known). */
static void phase_times(const struct tl_exch *x, int64_t st[PH_N], int64_t en[PH_N])
{
	memset(st, 0, sizeof(int64_t) * PH_N);
	memset(en, 0, sizeof(int64_t) * PH_N);
	if (x->dns_start && x->dns_end >= x->dns_start)
		st[PH_DNS] = x->dns_start, en[PH_DNS] = x->dns_end;
	int64_t c_end = x->synack ? x->synack : x->est; /* SYN to SYN-ACK: one round trip */
	if (x->syn && c_end >= x->syn)
		st[PH_CONNECT] = x->syn, en[PH_CONNECT] = c_end;
	if (x->tls_start && x->tls_end >= x->tls_start)
		st[PH_TLS] = x->tls_start, en[PH_TLS] = x->tls_end;
	if (x->req_start && x->req_end >= x->req_start)
		st[PH_SEND] = x->req_start, en[PH_SEND] = x->req_end;
	if (x->req_end && x->resp_start >= x->req_end)
		st[PH_WAIT] = x->req_end, en[PH_WAIT] = x->resp_start;
	if (x->resp_start && x->resp_end >= x->resp_start)
		st[PH_DOWNLOAD] = x->resp_start, en[PH_DOWNLOAD] = x->resp_end;
	if (x->fin && x->closed >= x->fin)
		st[PH_CLOSE] = x->fin, en[PH_CLOSE] = x->closed;
}

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
	sb_printf(s, "  f%u c%u", x->fetch, x->conn);
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
	int64_t st[PH_N], en[PH_N];
	phase_times(x, st, en);
	for (int ph = 0; ph < PH_N; ph++) {
		if (!st[ph])
			continue;
		sb_printf(s, "  %s ", phases[ph].name);
		sb_dur(s, en[ph] - st[ph]);
	}
	if (!x->first_on_conn)
		sb_puts(s, "  (reused connection)");
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
		int64_t st[PH_N], en[PH_N];
		phase_times(timeline_get(tl, i), st, en);
		for (int ph = 0; ph < PH_N; ph++) {
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
			int64_t st[PH_N], en[PH_N];
			phase_times(x, st, en);
			for (int ph = 0; ph < PH_N; ph++) {
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
