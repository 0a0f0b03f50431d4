/* http.c - streaming HTTP/1.x decoder: heads, body framing (RFC 9112 6.3), pipelining, gaps. */
#include <stddef.h>
#include <string.h>

#include "hex.h"
#include "http.h"

/*
 * One direction is a sequence of messages (RFC 9112 2.1):
 *
 *   HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
 *   request-line = method SP request-target SP HTTP-version
 *   status-line  = HTTP-version SP status-code SP [ reason-phrase ]
 *   field-line   = field-name ":" OWS field-value OWS
 *
 * A head is parsed only when its empty line is in the buffer: until then
 * http_feed returns the bytes before it and the reassembler offers them
 * again with more (picohttpparser's "partial is not an error").  Lines
 * may end in a bare LF (RFC 9112 2.2).  Body bytes are always consumed.
 * Once a direction goes opaque it stays opaque (llhttp: errors are
 * sticky); its bytes are only counted (in half->body_done).
 *
 * How struct http_half's fields are used beyond their header comments:
 *   - HTTP_S_HEAD:     remaining = bytes of a head left unconsumed (a head
 *                      started but not complete: http_end reports it);
 *   - HTTP_S_TRAILERS: remaining = trailer bytes consumed so far (bounded);
 *   - HTTP_S_RESYNC:   remaining = 1 when the next byte starts a line,
 *                      body_done = bytes skipped so far;
 *   - HTTP_S_OPAQUE:   body_done = bytes passed by since the stream went opaque.
 */

#define CHUNK_LINE_MAX 1024     /* a chunk-size line (with extensions) longer than this is malformed */
#define CHUNK_PEEK 32           /* bytes of a chunk-size line checked before it ends */
#define RESYNC_LINE_MAX 8192    /* a request line a resync waits for, at most */
#define LEN_LIMIT (1ull << 62)  /* Content-Length and chunk sizes above this are malformed */
#define METHOD_MAX 20           /* tchars a method may have (sniffing) */
#define SNIFF_LINE_MAX 8192     /* a first request line sniffing waits for, at most */

/* ------------------------------------------------------------------ */
/* Bytes                                                               */
/* ------------------------------------------------------------------ */

/* RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
 * "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
static bool is_tchar(uint8_t c)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && memchr(extra, c, sizeof extra - 1) != NULL;
}

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static bool is_alpha(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static bool is_ows(uint8_t c) { return c == ' ' || c == '\t'; }

static uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; }

/* p[0..n) equals the NUL-terminated lower-case name, ignoring ASCII case. */
static bool eq_ci(const uint8_t *p, size_t n, const char *name)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (name[i] == '\0' || lower(p[i]) != (uint8_t)name[i])
			return false;
	}
	return name[n] == '\0';
}

/* A field value byte that is not allowed: RFC 9110 5.5 field-vchar / SP /
 * HTAB (obs-text 0x80-0xFF is allowed).  NULL when the byte is fine. */
static const char *bad_value_byte(uint8_t c, const char *nul_why, const char *cr_why,
				  const char *ctl_why)
{
	if (c == 0)
		return nul_why;
	if (c == '\r')
		return cr_why;
	if ((c < 0x20 && c != '\t') || c == 0x7f)
		return ctl_why;
	return NULL;
}

static void str_set(struct http_str *s, const uint8_t *p, size_t n)
{
	size_t k = n < HTTP_STR_MAX ? n : HTTP_STR_MAX;
	if (s->present)
		return; /* a repeated field: the first one is kept */
	s->present = true;
	s->cut = n > HTTP_STR_MAX;
	s->len = (uint16_t)k;
	if (k)
		memcpy(s->b, p, k);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

static struct http_ev *ev_new(struct http_events *out, enum http_ev_kind kind, int dir,
			      uint32_t exchange)
{
	struct http_ev *e;
	if (out->n >= HTTP_MAX_EVENTS) {
		if (out->n_dropped < UINT8_MAX)
			out->n_dropped++;
		return NULL;
	}
	e = &out->ev[out->n++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->dir = (uint8_t)dir;
	e->exchange = exchange;
	e->body_total = UINT64_MAX;
	e->status = FT_OK;
	return e;
}

/* The message ended: END, and the half waits for the next head. */
static void msg_end(struct http_half *hf, int dir, struct http_events *out)
{
	struct http_ev *e = ev_new(out, HTTP_EV_END, dir, hf->exchange);
	if (e) {
		e->body_done = hf->body_done;
		e->body_total = hf->body_total;
	}
	hf->st = HTTP_S_HEAD;
	hf->remaining = 0;
}

/* From here the direction is not HTTP we follow. */
static void go_opaque(struct http_half *hf, int dir, struct http_events *out,
		      enum ft_status st, const char *why)
{
	struct http_ev *e = ev_new(out, HTTP_EV_OPAQUE, dir, hf->exchange);
	if (e) {
		e->status = st;
		e->why = why;
		e->body_done = hf->body_done;
		e->body_total = hf->body_total;
	}
	hf->st = HTTP_S_OPAQUE;
	hf->remaining = 0;
	hf->body_done = 0;
}

/* ------------------------------------------------------------------ */
/* Sniffing                                                            */
/* ------------------------------------------------------------------ */

/*
 * The methods of the IANA HTTP Method Registry (RFC 9110 16.1), as of
 * 2026, but PRI: it is registered only to make the HTTP/2 connection
 * preface ("PRI * HTTP/2.0", RFC 9113 3.4) fail as HTTP/1.x.  A request
 * with one of these and an origin-form or asterisk-form target is HTTP
 * from its first bytes; anything else must show its whole request line.
 */
static const char *const registered_methods[] = {
	"ACL", "BASELINE-CONTROL", "BIND", "CHECKIN", "CHECKOUT", "CONNECT", "COPY", "DELETE",
	"GET", "HEAD", "LABEL", "LINK", "LOCK", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL",
	"MKREDIRECTREF", "MKWORKSPACE", "MOVE", "OPTIONS", "ORDERPATCH", "PATCH", "POST",
	"PROPFIND", "PROPPATCH", "PUT", "QUERY", "REBIND", "REPORT", "SEARCH", "TRACE", "UNBIND",
	"UNCHECKOUT", "UNLINK", "UNLOCK", "UPDATE", "UPDATEREDIRECTREF", "VERSION-CONTROL",
};

static bool method_registered(const uint8_t *m, size_t n)
{
	size_t k;
	for (k = 0; k < sizeof registered_methods / sizeof registered_methods[0]; k++) {
		const char *r = registered_methods[k];
		if (strlen(r) == n && memcmp(r, m, n) == 0)
			return true;
	}
	return false;
}

/*
 * The whole first line at p[0..n), its method (m tchars) and one SP
 * checked: request-target SP "HTTP/1." DIGIT, the target at least one
 * byte of VCHAR or obs-text (no SP, no CTL).  FT_NEED_MORE while the line
 * has not ended (up to SNIFF_LINE_MAX bytes).
 */
static enum ft_status sniff_line(const uint8_t *p, size_t n, size_t m)
{
	size_t lim = n < SNIFF_LINE_MAX ? n : SNIFF_LINE_MAX;
	const uint8_t *lf = memchr(p, '\n', lim);
	size_t end, i;

	if (lf == NULL)
		return n >= SNIFF_LINE_MAX ? FT_UNSUPPORTED : FT_NEED_MORE;
	end = (size_t)(lf - p);
	if (end > 0 && p[end - 1] == '\r')
		end--;
	/* METHOD SP target SP HTTP/1.x: at least m + 1 + 1 + 9 bytes */
	if (end < m + 11 || memcmp(p + end - 9, " HTTP/1.", 8) != 0 || !is_digit(p[end - 1]))
		return FT_UNSUPPORTED;
	for (i = m + 1; i < end - 9; i++)
		if (p[i] <= 0x20 || p[i] == 0x7f)
			return FT_UNSUPPORTED;
	return FT_OK;
}

enum ft_status http_sniff(int dir, const uint8_t *data, size_t len)
{
	size_t i;

	if (len == 0)
		return FT_NEED_MORE;
	if (data == NULL)
		return FT_UNSUPPORTED;
	if (dir == 1) {
		/* status-line = "HTTP/1." DIGIT SP 3DIGIT, then SP or the
		 * line's end ('#' a digit, '$' SP / CR / LF) */
		static const char pat[] = "HTTP/1.# ###$";
		for (i = 0; i < len && i < sizeof pat - 1; i++) {
			uint8_t c = data[i];
			bool ok = pat[i] == '#'   ? is_digit(c)
				  : pat[i] == '$' ? (c == ' ' || c == '\r' || c == '\n')
						  : c == (uint8_t)pat[i];
			if (!ok)
				return FT_UNSUPPORTED;
		}
		return i == sizeof pat - 1 ? FT_OK : FT_NEED_MORE;
	}
	if (dir != 0)
		return FT_UNSUPPORTED;
	/* request-line = method SP request-target SP HTTP-version: a token
	 * of 1..20 tchars, one SP, then the target */
	for (i = 0; i < len && i <= METHOD_MAX && is_tchar(data[i]); i++)
		;
	if (i > METHOD_MAX)
		return FT_UNSUPPORTED;
	if (i == len)
		return FT_NEED_MORE;
	if (i == 0 || data[i] != ' ')
		return FT_UNSUPPORTED;
	if (i + 1 == len)
		return FT_NEED_MORE;
	if (data[i + 1] <= 0x20 || data[i + 1] == 0x7f)
		return FT_UNSUPPORTED;
	if (method_registered(data, i) && (data[i + 1] == '/' || data[i + 1] == '*'))
		return FT_OK;
	return sniff_line(data, len, i);
}

/*
 * Inside a stream already known to be HTTP: could a message's start line
 * begin with these bytes?  Looser than http_sniff, so that a bad line is
 * refused early but with the reason its parse gives (a bad version, a
 * bad status code).  dir 0: a token of 1..20 tchars, SP, a target byte;
 * dir 1: "HTTP/" DIGIT "." DIGIT SP.  Looks at most 22 bytes.
 */
static bool start_line_prefix(int dir, const uint8_t *p, size_t n)
{
	size_t i;

	if (dir == 1) {
		static const char pat[] = "HTTP/#.# ";
		for (i = 0; i < n && i < sizeof pat - 1; i++) {
			if (pat[i] == '#' ? !is_digit(p[i]) : p[i] != (uint8_t)pat[i])
				return false;
		}
		return true;
	}
	for (i = 0; i < n && i <= METHOD_MAX && is_tchar(p[i]); i++)
		;
	if (i > METHOD_MAX)
		return false;
	if (i == n)
		return true;
	if (i == 0 || p[i] != ' ')
		return false;
	if (i + 1 == n)
		return true;
	{
		uint8_t c = p[i + 1];
		return c == '/' || c == '*' || c == '[' || is_alpha(c) || is_digit(c);
	}
}

/* ------------------------------------------------------------------ */
/* Heads                                                               */
/* ------------------------------------------------------------------ */

/* What the fields say about the body (RFC 9112 6.1, 6.2, 6.3). */
struct framing {
	bool cl_seen;          /* a valid Content-Length was seen */
	uint64_t cl;           /* its value */
	const char *cl_why;    /* a bad Content-Length (first reason) */
	bool te_seen;          /* Transfer-Encoding present */
	bool te_chunked_last;  /* its final coding is chunked */
};

/* The fields struct http_head keeps (names in lower case). */
static const struct {
	const char *name;
	size_t off;
} wanted[] = {
	{ "host", offsetof(struct http_head, host) },
	{ "user-agent", offsetof(struct http_head, user_agent) },
	{ "accept", offsetof(struct http_head, accept) },
	{ "connection", offsetof(struct http_head, connection) },
	{ "content-type", offsetof(struct http_head, content_type) },
	{ "content-length", offsetof(struct http_head, content_length) },
	{ "transfer-encoding", offsetof(struct http_head, transfer_encoding) },
	{ "content-encoding", offsetof(struct http_head, content_encoding) },
	{ "location", offsetof(struct http_head, location) },
	{ "etag", offsetof(struct http_head, etag) },
	{ "range", offsetof(struct http_head, range) },
	{ "if-none-match", offsetof(struct http_head, if_none_match) },
	{ "if-modified-since", offsetof(struct http_head, if_modified_since) },
	{ "alt-svc", offsetof(struct http_head, alt_svc) },
	{ "upgrade", offsetof(struct http_head, upgrade) },
	{ "http2-settings", offsetof(struct http_head, http2_settings) },
};

/* "HTTP/" DIGIT "." DIGIT at p (8 bytes are there). */
static const char *parse_version(const uint8_t *p, struct http_head *hd)
{
	if (memcmp(p, "HTTP/", 5) != 0 || !is_digit(p[5]) || p[6] != '.' || !is_digit(p[7]))
		return "bad HTTP version";
	if (p[5] != '1')
		return "unsupported HTTP version";
	hd->v_major = (uint8_t)(p[5] - '0');
	hd->v_minor = (uint8_t)(p[7] - '0');
	return NULL;
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 3).
 * The target is taken as it comes up to the next SP (servers differ on
 * what they refuse there; the tracer reports, the output layer escapes):
 * only NUL and CR are refused in it. */
static const char *parse_request_line(const uint8_t *l, size_t n, struct http_head *hd)
{
	size_t i, t0;

	for (i = 0; i < n && is_tchar(l[i]); i++)
		;
	if (i == 0 || i == n || l[i] != ' ')
		return "bad request method";
	str_set(&hd->method, l, i);
	t0 = ++i;
	for (; i < n && l[i] != ' '; i++) {
		if (l[i] == 0)
			return "NUL in request line";
		if (l[i] == '\r')
			return "bare CR in request line";
	}
	if (i == t0)
		return "bad request target";
	if (i == n)
		return "request line without version";
	str_set(&hd->target, l + t0, i - t0);
	i++;
	if (n - i != 8)
		return "bad HTTP version";
	return parse_version(l + i, hd);
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ]
 * (RFC 9112 4); a line that ends right after the code is accepted. */
static const char *parse_status_line(const uint8_t *l, size_t n, struct http_head *hd)
{
	const char *why;
	size_t i;

	if (n < 9 || l[8] != ' ')
		return n >= 8 && memcmp(l, "HTTP/", 5) == 0 ? "bad status line" : "bad HTTP version";
	if ((why = parse_version(l, hd)) != NULL)
		return why;
	if (n < 12 || !is_digit(l[9]) || !is_digit(l[10]) || !is_digit(l[11]) || l[9] == '0' ||
	    (n > 12 && l[12] != ' '))
		return "bad status code";
	hd->status = (uint16_t)((l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0'));
	for (i = 13; i < n; i++) {
		why = bad_value_byte(l[i], "NUL in reason phrase", "bare CR in reason phrase",
				     "control character in reason phrase");
		if (why)
			return why;
	}
	str_set(&hd->reason, l + (n > 13 ? 13 : n), n > 13 ? n - 13 : 0);
	return NULL;
}

/* Content-Length = 1*DIGIT, also seen as a list of identical values
 * ("5, 5", RFC 9110 8.6) from several lines or one. */
static void parse_content_length(const uint8_t *v, size_t n, struct framing *fr)
{
	size_t i = 0;

	if (fr->cl_why)
		return;
	for (;;) {
		uint64_t x = 0;
		size_t d0;
		while (i < n && is_ows(v[i]))
			i++;
		d0 = i;
		for (; i < n && is_digit(v[i]); i++) {
			unsigned d = (unsigned)(v[i] - '0');
			if (x > (LEN_LIMIT - d) / 10) {
				fr->cl_why = "Content-Length too large";
				return;
			}
			x = x * 10 + d;
		}
		if (i == d0) {
			fr->cl_why = "bad Content-Length";
			return;
		}
		while (i < n && is_ows(v[i]))
			i++;
		if (fr->cl_seen && fr->cl != x) {
			fr->cl_why = "conflicting Content-Length";
			return;
		}
		fr->cl_seen = true;
		fr->cl = x;
		if (i == n)
			return;
		if (v[i] != ',') {
			fr->cl_why = "bad Content-Length";
			return;
		}
		i++;
	}
}

/* Transfer-Encoding = #transfer-coding: only whether the final coding is
 * chunked matters (RFC 9112 6.3 items 3 and 4).  Parameters are dropped. */
static void parse_transfer_encoding(const uint8_t *v, size_t n, struct framing *fr)
{
	size_t i = 0;

	fr->te_seen = true;
	while (i < n) {
		size_t a, b;
		while (i < n && (is_ows(v[i]) || v[i] == ','))
			i++;
		a = i;
		while (i < n && v[i] != ',' && v[i] != ';' && !is_ows(v[i]))
			i++;
		b = i;
		while (i < n && v[i] != ',')
			i++; /* parameters */
		if (b > a)
			fr->te_chunked_last = eq_ci(v + a, b - a, "chunked");
	}
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 5).  With hd
 * NULL (trailers) the line is only checked. */
static const char *parse_field(const uint8_t *l, size_t n, struct http_head *hd,
			       struct framing *fr)
{
	const char *why;
	size_t i, v0, v1, k;

	if (is_ows(l[0]))
		return "obs-fold (folded header line)";
	for (i = 0; i < n && is_tchar(l[i]); i++)
		;
	if (i == n)
		return "header line without colon";
	if (l[i] != ':') {
		if (is_ows(l[i]))
			return memchr(l + i, ':', n - i) ? "whitespace before colon"
							 : "header line without colon";
		if (l[i] == 0)
			return "NUL in header";
		if (l[i] == '\r')
			return "bare CR in header";
		return memchr(l + i, ':', n - i) ? "bad header name" : "header line without colon";
	}
	if (i == 0)
		return "empty header name";
	for (k = i + 1; k < n; k++) {
		why = bad_value_byte(l[k], "NUL in header", "bare CR in header",
				     "control character in header");
		if (why)
			return why;
	}
	v0 = i + 1;
	v1 = n;
	while (v0 < v1 && is_ows(l[v0]))
		v0++;
	while (v1 > v0 && is_ows(l[v1 - 1]))
		v1--;
	if (hd == NULL)
		return NULL;
	for (k = 0; k < sizeof wanted / sizeof wanted[0]; k++) {
		if (eq_ci(l, i, wanted[k].name)) {
			str_set((struct http_str *)(void *)((char *)hd + wanted[k].off), l + v0, v1 - v0);
			break;
		}
	}
	if (eq_ci(l, i, "content-length"))
		parse_content_length(l + v0, v1 - v0, fr);
	else if (eq_ci(l, i, "transfer-encoding"))
		parse_transfer_encoding(l + v0, v1 - v0, fr);
	return NULL;
}

/*
 * Is the head at p[0..n) complete?  The look starts where the last one
 * stopped (picohttpparser's last_len): the lines before hf->line were
 * checked, and bytes before hf->scan hold no line end.  Each line is
 * checked once, when it completes, so garbage is refused early without
 * parsing the head from byte 0 at every new segment.  FT_OK: the empty
 * line is there (the caller then parses the head whole, once);
 * FT_NEED_MORE; FT_MALFORMED with *why.  Every byte is searched once and
 * checked once over all the calls for one head.
 */
static enum ft_status head_scan(struct http_conn *h, struct http_half *hf, int dir,
				const uint8_t *p, size_t n, const char **why)
{
	size_t lim = n < HTTP_HEAD_MAX ? n : HTTP_HEAD_MAX;
	size_t off = hf->line, from = hf->scan;

	if (from > lim || off > from)
		off = from = 0; /* not the bytes we saw last time: look again */
	if (off == 0 && !start_line_prefix(dir, p, lim)) {
		*why = dir ? "not an HTTP status line" : "not an HTTP request line";
		return FT_MALFORMED;
	}
	/* each pass takes one line: off and from grow strictly, up to lim */
	while (from < lim) {
		const uint8_t *lf = memchr(p + from, '\n', lim - from);
		size_t end, next;
		const char *w;

		h->n_scanned += lf ? (size_t)(lf - (p + from)) + 1 : lim - from;
		if (lf == NULL) {
			from = lim;
			break;
		}
		end = (size_t)(lf - p);
		next = end + 1;
		if (end > off && p[end - 1] == '\r')
			end--;
		h->n_scanned += end - off;
		if (off == 0) {
			struct http_head scratch;
			memset(&scratch, 0, sizeof scratch);
			w = dir ? parse_status_line(p, end, &scratch) : parse_request_line(p, end, &scratch);
		} else if (end == off) {
			return FT_OK;
		} else {
			w = parse_field(p + off, end - off, NULL, NULL);
		}
		if (w) {
			*why = w;
			return FT_MALFORMED;
		}
		off = from = next;
	}
	hf->line = (uint32_t)off;
	hf->scan = (uint32_t)from;
	if (n >= HTTP_HEAD_MAX) {
		*why = "head too large";
		return FT_MALFORMED;
	}
	return FT_NEED_MORE;
}

/*
 * Parse one head at p[0..n).  FT_OK: *used = head bytes; FT_NEED_MORE:
 * the empty line is not there yet; FT_MALFORMED: *why.  Complete lines
 * are checked before waiting, so garbage is refused early.
 */
static enum ft_status parse_head(int dir, const uint8_t *p, size_t n, struct http_head *hd,
				 struct framing *fr, size_t *used, const char **why, uint64_t *work)
{
	size_t lim = n < HTTP_HEAD_MAX ? n : HTTP_HEAD_MAX;
	size_t off = 0;
	bool first = true;

	memset(hd, 0, sizeof *hd);
	memset(fr, 0, sizeof *fr);
	hd->is_request = dir == 0;
	if (!start_line_prefix(dir, p, lim)) {
		*why = dir ? "not an HTTP status line" : "not an HTTP request line";
		return FT_MALFORMED;
	}
	/* each pass takes one line; off grows strictly and stays < lim */
	while (off < lim) {
		const uint8_t *lf = memchr(p + off, '\n', lim - off);
		size_t end, next;
		const char *w;

		*work += lf ? (size_t)(lf - (p + off)) + 1 : lim - off;
		if (lf == NULL)
			break;
		end = (size_t)(lf - p);
		next = end + 1;
		if (end > off && p[end - 1] == '\r')
			end--;
		*work += end - off;
		if (first) {
			w = dir ? parse_status_line(p + off, end - off, hd)
				: parse_request_line(p + off, end - off, hd);
			first = false;
		} else if (end == off) {
			*used = next;
			hd->head_len = (uint32_t)next;
			return FT_OK;
		} else {
			w = parse_field(p + off, end - off, hd, fr);
			if (hd->n_headers < UINT16_MAX)
				hd->n_headers++;
		}
		if (w) {
			*why = w;
			return FT_MALFORMED;
		}
		off = next;
	}
	if (n >= HTTP_HEAD_MAX) {
		*why = "head too large";
		return FT_MALFORMED;
	}
	return FT_NEED_MORE;
}

/* ------------------------------------------------------------------ */
/* Requests awaiting responses                                         */
/* ------------------------------------------------------------------ */

/* Remember the method of request `exchange`.  When the ring is full the
 * method is not kept (its response is framed by its own fields): the
 * oldest requests are answered first, so they are the ones to keep. */
static void pend_push(struct http_conn *h, uint32_t exchange, uint8_t m)
{
	struct http_pending *p;
	if (h->pend_n >= HTTP_MAX_PENDING)
		return;
	p = &h->pending[(h->pend_head + h->pend_n) % HTTP_MAX_PENDING];
	p->exchange = exchange;
	p->method = m;
	h->pend_n++;
}

/* The method of pending request `exchange`, HTTP_M_OTHER when not kept. */
static uint8_t pend_method(const struct http_conn *h, uint32_t exchange)
{
	const struct http_pending *p = &h->pending[h->pend_head % HTTP_MAX_PENDING];
	return h->pend_n && p->exchange == exchange ? p->method : (uint8_t)HTTP_M_OTHER;
}

/* Request `exchange` is answered: forget it (and anything older). */
static void pend_pop(struct http_conn *h, uint32_t exchange)
{
	/* each pass removes one: at most HTTP_MAX_PENDING passes */
	while (h->pend_n && h->pending[h->pend_head % HTTP_MAX_PENDING].exchange <= exchange) {
		h->pend_head = (uint8_t)((h->pend_head + 1) % HTTP_MAX_PENDING);
		h->pend_n--;
	}
}

static uint8_t method_code(const struct http_head *hd)
{
	const uint8_t *m = (const uint8_t *)hd->method.b;
	/* methods are case-sensitive (RFC 9110 9.1) */
	if (hd->method.len == 4 && memcmp(m, "HEAD", 4) == 0)
		return HTTP_M_HEAD;
	if (hd->method.len == 7 && memcmp(m, "CONNECT", 7) == 0)
		return HTTP_M_CONNECT;
	return HTTP_M_OTHER;
}

/* ------------------------------------------------------------------ */
/* Feeding                                                             */
/* ------------------------------------------------------------------ */

struct feed {
	struct http_conn *h;
	struct http_half *hf;
	int dir;
	struct http_events *out;
	uint64_t body;          /* body bytes of the current message in this feed, not yet reported */
};

/* One HTTP_EV_BODY per message per feed. */
static void flush_body(struct feed *f)
{
	struct http_ev *e;
	if (f->body == 0)
		return;
	e = ev_new(f->out, HTTP_EV_BODY, f->dir, f->hf->exchange);
	if (e) {
		e->bytes = f->body;
		e->body_done = f->hf->body_done;
		e->body_total = f->hf->body_total;
	}
	f->body = 0;
}

/* A head was parsed: number it, frame its body (RFC 9112 6.3, in order),
 * report it and set the half's state. */
static void on_head(struct feed *f, struct http_head *hd, const struct framing *fr)
{
	struct http_conn *h = f->h;
	struct http_half *hf = f->hf;
	enum http_body body = HTTP_BODY_NONE;
	const char *bad = NULL, *upgrade = NULL;
	struct http_ev *e;

	if (hd->is_request) {
		if (fr->te_seen) {
			if (fr->te_chunked_last)
				body = HTTP_BODY_CHUNKED;
			else
				bad = "Transfer-Encoding without final chunked in a request";
		} else if (fr->cl_why) {
			bad = fr->cl_why;
		} else if (fr->cl_seen) {
			body = HTTP_BODY_LENGTH;
		}
		if (bad) {
			go_opaque(hf, f->dir, f->out, FT_MALFORMED, bad);
			return;
		}
		hf->n_msgs++;
		hd->exchange = hf->n_msgs;
		pend_push(h, hd->exchange, method_code(hd));
	} else {
		/* the oldest request not answered yet, or none: an orphan */
		bool orphan = h->answered >= h->half[0].n_msgs;
		uint32_t x = orphan ? 0 : h->answered + 1;
		uint8_t m = orphan ? (uint8_t)HTTP_M_OTHER : pend_method(h, x);
		uint16_t sc = hd->status;

		if (sc == 101)
			upgrade = "switched protocols (101)";
		else if (m == HTTP_M_HEAD || sc < 200 || sc == 204 || sc == 304)
			body = HTTP_BODY_NONE;
		else if (m == HTTP_M_CONNECT && sc < 300)
			upgrade = "CONNECT tunnel";
		else if (fr->te_seen)
			body = fr->te_chunked_last ? HTTP_BODY_CHUNKED : HTTP_BODY_CLOSE;
		else if (fr->cl_why)
			bad = fr->cl_why;
		else if (fr->cl_seen)
			body = HTTP_BODY_LENGTH;
		else
			body = HTTP_BODY_CLOSE;
		if (bad) {
			go_opaque(hf, f->dir, f->out, FT_MALFORMED, bad);
			return;
		}
		/* a final response answers the oldest pending request; an
		 * interim 1xx (not 101, which ends the exchange) does not */
		hd->exchange = x;
		if (sc >= 200 || sc == 101) {
			hf->n_msgs++;
			if (!orphan) {
				h->answered = x;
				pend_pop(h, x);
			}
		}
	}
	hd->body = body;
	hd->body_len = body == HTTP_BODY_LENGTH ? fr->cl : 0;
	hf->exchange = hd->exchange;
	hf->body_done = 0;
	hf->body_total = body == HTTP_BODY_LENGTH ? fr->cl : UINT64_MAX;

	/* the head lives in out->heads[] when both arrays have room */
	if (f->out->n < HTTP_MAX_EVENTS && f->out->n_heads < HTTP_MAX_EVENTS) {
		struct http_head *slot = &f->out->heads[f->out->n_heads++];
		*slot = *hd;
		e = ev_new(f->out, HTTP_EV_HEAD, f->dir, hd->exchange);
		e->head = slot;
		e->body_total = hf->body_total;
	} else if (f->out->n_dropped < UINT8_MAX) {
		f->out->n_dropped++; /* parsed and followed, not reported */
	}

	switch (body) {
	case HTTP_BODY_NONE:
		msg_end(hf, f->dir, f->out);
		break;
	case HTTP_BODY_LENGTH:
		if (fr->cl == 0) {
			msg_end(hf, f->dir, f->out);
		} else {
			hf->st = HTTP_S_BODY_LEN;
			hf->remaining = fr->cl;
		}
		break;
	case HTTP_BODY_CHUNKED:
		hf->st = HTTP_S_CHUNK_SIZE;
		hf->remaining = 0;
		break;
	case HTTP_BODY_CLOSE:
		hf->st = HTTP_S_BODY_CLOSE;
		hf->remaining = 0;
		break;
	}
	if (upgrade) {
		h->upgraded = true;
		go_opaque(hf, f->dir, f->out, FT_UNSUPPORTED, upgrade);
	}
}

/*
 * chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF (RFC 9112 7.1)
 * chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 * The size line: FT_OK with *size and *used, FT_NEED_MORE, or
 * FT_MALFORMED.  Extensions are skipped (only CTLs are refused).
 */
static enum ft_status parse_chunk_line(const uint8_t *p, size_t n, uint64_t *size, size_t *used,
				       const char **why)
{
	size_t lim = n < CHUNK_LINE_MAX ? n : CHUNK_LINE_MAX;
	uint64_t x = 0;
	size_t i;
	int v;

	for (i = 0; i < lim && (v = hex_digit(p[i])) >= 0; i++) {
		if (x > (LEN_LIMIT >> 4)) {
			*why = "chunk size too large";
			return FT_MALFORMED;
		}
		x = x << 4 | (uint64_t)v;
	}
	if (x > LEN_LIMIT) {
		*why = "chunk size too large";
		return FT_MALFORMED;
	}
	if (i < lim && i == 0) {
		*why = "bad chunk size";
		return FT_MALFORMED;
	}
	while (i < lim && is_ows(p[i]))
		i++;
	if (i < lim && p[i] != ';' && p[i] != '\r' && p[i] != '\n') {
		*why = "bad chunk size";
		return FT_MALFORMED;
	}
	for (; i < lim; i++) {
		if (p[i] == '\n') {
			*size = x;
			*used = i + 1;
			return FT_OK;
		}
		if (p[i] == '\r') {
			if (i + 1 < lim && p[i + 1] != '\n') {
				*why = "bare CR in chunk size line";
				return FT_MALFORMED;
			}
			continue;
		}
		if (bad_value_byte(p[i], "x", "x", "x")) {
			*why = "control character in chunk extension";
			return FT_MALFORMED;
		}
	}
	if (n >= CHUNK_LINE_MAX) {
		*why = "chunk size line too long";
		return FT_MALFORMED;
	}
	return FT_NEED_MORE;
}

/*
 * The chunk-size line at p[0..n), looked for from where the last look
 * stopped (hf->scan: no line end before it).  Until the line ends only
 * its first CHUNK_PEEK bytes are checked, once each (a body that is not
 * chunked fails there); the whole line is checked when it ends.
 */
static enum ft_status chunk_line(struct http_conn *h, struct http_half *hf, const uint8_t *p,
				 size_t n, uint64_t *size, size_t *used, const char **why)
{
	size_t lim = n < CHUNK_LINE_MAX ? n : CHUNK_LINE_MAX;
	size_t from = hf->scan <= lim ? hf->scan : 0;
	const uint8_t *lf = memchr(p + from, '\n', lim - from);
	enum ft_status s;

	h->n_scanned += lf ? (size_t)(lf - (p + from)) + 1 : lim - from;
	if (lf != NULL) {
		size_t k = (size_t)(lf - p) + 1;
		h->n_scanned += k;
		return parse_chunk_line(p, k, size, used, why);
	}
	if (from < CHUNK_PEEK) {
		size_t k = lim < CHUNK_PEEK ? lim : CHUNK_PEEK;
		h->n_scanned += k;
		s = parse_chunk_line(p, k, size, used, why);
		if (s == FT_MALFORMED)
			return s;
	}
	hf->scan = (uint32_t)lim;
	if (n >= CHUNK_LINE_MAX) {
		*why = "chunk size line too long";
		return FT_MALFORMED;
	}
	return FT_NEED_MORE;
}

/* At a line start after a gap: does a message start here?  FT_OK yes,
 * FT_NEED_MORE can't tell yet, FT_UNSUPPORTED no.  A request line must be
 * whole and end in " HTTP/1.x" (a body line may well begin "GET /"). */
static enum ft_status resync_check(struct http_conn *h, struct http_half *hf, int dir,
				   const uint8_t *p, size_t n)
{
	size_t lim = n < RESYNC_LINE_MAX ? n : RESYNC_LINE_MAX;
	size_t from = hf->scan <= lim ? hf->scan : 0; /* no line end before it */
	const uint8_t *lf;
	size_t end;

	if (dir == 1)
		return http_sniff(1, p, n); /* "HTTP/1." DIGIT SP 3DIGIT (SP / CR / LF) */
	if (!start_line_prefix(0, p, lim))
		return FT_UNSUPPORTED;
	lf = memchr(p + from, '\n', lim - from);
	h->n_scanned += lf ? (size_t)(lf - (p + from)) + 1 : lim - from;
	if (lf == NULL) {
		hf->scan = (uint32_t)lim;
		return n >= RESYNC_LINE_MAX ? FT_UNSUPPORTED : FT_NEED_MORE;
	}
	end = (size_t)(lf - p);
	h->n_scanned += end;
	if (http_sniff(0, p, end + 1) != FT_OK)
		return FT_UNSUPPORTED;
	if (end > 0 && p[end - 1] == '\r')
		end--;
	if (end < 9 || memcmp(p + end - 9, " HTTP/1.", 8) != 0 || !is_digit(p[end - 1]))
		return FT_UNSUPPORTED;
	return FT_OK;
}

size_t http_feed(struct http_conn *h, int dir, const uint8_t *data, size_t len,
		 struct http_events *out)
{
	struct http_events scratch;
	struct feed f;
	struct http_half *hf;
	size_t off = 0;
	uint64_t guard;

	if (h == NULL || (dir != 0 && dir != 1) || (data == NULL && len))
		return 0;
	if (out == NULL) {
		memset(&scratch, 0, sizeof scratch);
		out = &scratch;
	}
	hf = &h->half[dir];
	f.h = h;
	f.hf = hf;
	f.dir = dir;
	f.out = out;
	f.body = 0;

	/* Each pass consumes at least one byte, or turns the half opaque
	 * (the next pass takes everything), or leaves; a resync that finds a
	 * message start consumes nothing but is followed by a pass that does:
	 * 2 * len + 4 passes bound it. */
	for (guard = 0; off < len && guard <= 2 * (uint64_t)len + 4; guard++) {
		const uint8_t *p = data + off;
		size_t n = len - off;
		size_t off0 = off;
		enum http_state st0 = hf->st;

		/* hf->scan and hf->line are positions in the bytes from p on:
		 * kept while a state waits (goto done), cleared once it moved */
		if (hf->scan > n || hf->line > hf->scan)
			hf->scan = hf->line = 0;

		switch (hf->st) {
		case HTTP_S_HEAD: {
			struct http_head hd;
			struct framing fr;
			const char *why = NULL;
			size_t used = 0;
			enum ft_status s;

			hf->remaining = 0;
			if (dir == 0 && h->upgraded) {
				go_opaque(hf, dir, out, FT_UNSUPPORTED, "connection upgraded");
				break;
			}
			/* empty lines before a message are skipped (RFC 9112 2.2) */
			if (p[0] == '\n') {
				off++;
				break;
			}
			if (p[0] == '\r' && n >= 2 && p[1] == '\n') {
				off += 2;
				break;
			}
			if (p[0] == '\r' && n == 1)
				goto done;
			s = head_scan(h, hf, dir, p, n, &why);
			if (s == FT_NEED_MORE) {
				hf->remaining = n;
				goto done;
			}
			/* complete: parsed whole once (it finds what head_scan did) */
			if (s == FT_OK)
				s = parse_head(dir, p, n, &hd, &fr, &used, &why, &h->n_scanned);
			if (s != FT_OK) {
				go_opaque(hf, dir, out, FT_MALFORMED, why ? why : "bad head");
				break;
			}
			off += used;
			on_head(&f, &hd, &fr);
			/* the 101 ends HTTP/1.x: what follows is the new protocol's */
			if (dir == 1 && h->stop_at_101 && h->upgraded && hd.status == 101)
				goto done;
			break;
		}
		case HTTP_S_BODY_LEN:
		case HTTP_S_CHUNK_DATA: {
			uint64_t k = hf->remaining < n ? hf->remaining : n;
			if (h->body_fn)
				h->body_fn(h->body_ctx, dir, hf->exchange, p, (size_t)k);
			off += (size_t)k;
			hf->remaining -= k;
			hf->body_done += k;
			f.body += k;
			if (hf->remaining == 0) {
				if (hf->st == HTTP_S_CHUNK_DATA) {
					hf->st = HTTP_S_CHUNK_CRLF;
				} else {
					flush_body(&f);
					msg_end(hf, dir, out);
				}
			}
			break;
		}
		case HTTP_S_CHUNK_SIZE: {
			uint64_t size = 0;
			size_t used = 0;
			const char *why = NULL;
			enum ft_status s = chunk_line(h, hf, p, n, &size, &used, &why);

			if (s == FT_NEED_MORE)
				goto done;
			if (s != FT_OK) {
				flush_body(&f);
				go_opaque(hf, dir, out, FT_MALFORMED, why);
				break;
			}
			off += used;
			hf->remaining = size;
			hf->st = size ? HTTP_S_CHUNK_DATA : HTTP_S_TRAILERS;
			break;
		}
		case HTTP_S_CHUNK_CRLF:
			if (p[0] == '\n') {
				off++;
				hf->st = HTTP_S_CHUNK_SIZE;
			} else if (p[0] == '\r' && n == 1) {
				goto done;
			} else if (p[0] == '\r' && p[1] == '\n') {
				off += 2;
				hf->st = HTTP_S_CHUNK_SIZE;
			} else {
				flush_body(&f);
				go_opaque(hf, dir, out, FT_MALFORMED, "no CRLF after chunk data");
			}
			break;
		case HTTP_S_TRAILERS: {
			/* trailer-section = *( field-line CRLF ) CRLF, at most
			 * HTTP_HEAD_MAX bytes in all; hf->remaining counts them */
			uint64_t room = HTTP_HEAD_MAX - (hf->remaining < HTTP_HEAD_MAX ? hf->remaining
										 : HTTP_HEAD_MAX);
			size_t lim = n < room ? n : (size_t)room;
			size_t from = hf->scan <= lim ? hf->scan : 0; /* no line end before it */
			const uint8_t *lf = memchr(p + from, '\n', lim - from);
			size_t end, next;
			const char *why;

			h->n_scanned += lf ? (size_t)(lf - (p + from)) + 1 : lim - from;
			if (lf == NULL) {
				if (n >= room) {
					flush_body(&f);
					go_opaque(hf, dir, out, FT_MALFORMED, "trailers too large");
					break;
				}
				hf->scan = (uint32_t)lim;
				goto done;
			}
			end = (size_t)(lf - p);
			next = end + 1;
			if (end > 0 && p[end - 1] == '\r')
				end--;
			if (end == 0) {
				off += next;
				flush_body(&f);
				msg_end(hf, dir, out);
				break;
			}
			why = parse_field(p, end, NULL, NULL);
			if (why) {
				flush_body(&f);
				go_opaque(hf, dir, out, FT_MALFORMED, why);
				break;
			}
			off += next;
			hf->remaining += next;
			break;
		}
		case HTTP_S_BODY_CLOSE:
			if (h->body_fn)
				h->body_fn(h->body_ctx, dir, hf->exchange, p, n);
			off = len;
			hf->body_done += n;
			f.body += n;
			break;
		case HTTP_S_RESYNC: {
			const uint8_t *lf;

			if (hf->remaining) {
				enum ft_status s = resync_check(h, hf, dir, p, n);
				if (s == FT_NEED_MORE)
					goto done;
				if (s == FT_OK) {
					struct http_ev *e = NULL;
					if (hf->body_done)
						e = ev_new(out, HTTP_EV_GAP, dir, hf->exchange);
					if (e)
						e->bytes = hf->body_done;
					hf->st = HTTP_S_HEAD;
					hf->remaining = 0;
					hf->body_done = 0;
					break;
				}
			}
			/* not a message start: skip to the next line (none
			 * before hf->scan) */
			{
				size_t from = hf->scan <= n ? hf->scan : 0;
				lf = memchr(p + from, '\n', n - from);
				h->n_scanned += lf ? (size_t)(lf - (p + from)) + 1 : n - from;
			}
			if (lf == NULL) {
				hf->remaining = 0;
				hf->body_done += n;
				off = len;
			} else {
				size_t k = (size_t)(lf - p) + 1;
				hf->remaining = 1;
				hf->body_done += k;
				off += k;
			}
			break;
		}
		case HTTP_S_OPAQUE:
		default:
			hf->st = HTTP_S_OPAQUE;
			hf->body_done += n;
			off = len;
			break;
		}
		if (off != off0 || hf->st != st0)
			hf->scan = hf->line = 0;
	}
done:
	flush_body(&f);
	return off;
}

/* ------------------------------------------------------------------ */
/* Gaps and ends                                                       */
/* ------------------------------------------------------------------ */

void http_gap(struct http_conn *h, int dir, uint64_t len, struct http_events *out)
{
	struct http_events scratch;
	struct http_half *hf;
	struct http_ev *e;

	if (h == NULL || (dir != 0 && dir != 1) || len == 0)
		return;
	if (out == NULL) {
		memset(&scratch, 0, sizeof scratch);
		out = &scratch;
	}
	hf = &h->half[dir];
	hf->scan = hf->line = 0; /* the bytes after the gap are new */
	e = ev_new(out, HTTP_EV_GAP, dir, hf->exchange);
	if (e)
		e->bytes = len;

	switch (hf->st) {
	case HTTP_S_BODY_LEN:
	case HTTP_S_CHUNK_DATA:
		if (hf->remaining >= len) {
			/* the hole is all body: framing stays in step */
			hf->remaining -= len;
			hf->body_done += len;
			if (e) {
				e->body_done = hf->body_done;
				e->body_total = hf->body_total;
			}
			if (hf->remaining == 0) {
				if (hf->st == HTTP_S_CHUNK_DATA)
					hf->st = HTTP_S_CHUNK_CRLF;
				else
					msg_end(hf, dir, out);
			}
			return;
		}
		break;
	case HTTP_S_BODY_CLOSE:
		hf->body_done += len;
		if (e) {
			e->body_done = hf->body_done;
			e->body_total = hf->body_total;
		}
		return;
	case HTTP_S_OPAQUE:
		hf->body_done += len;
		return;
	case HTTP_S_RESYNC:
		hf->remaining = 1; /* the next byte may start a message */
		return;
	default:
		break;
	}
	/* A hole in a head, a chunk line, trailers, or past the end of the
	 * body: where the next message starts is unknown.  Skip to a line
	 * that starts one.  Exchange numbers after it count the messages we
	 * saw, not those the hole swallowed.  On the response side the hole
	 * holds (the start of) the response to the oldest pending request: a
	 * server answers in order and sends nothing of a response before its
	 * request, so the next status line answers the request after it (as
	 * tshark pairs them). */
	if (dir == 1 && h->answered < h->half[0].n_msgs) {
		uint32_t x = h->answered + 1;
		h->answered = x;
		pend_pop(h, x);
		hf->exchange = x;
		if (e)
			e->exchange = x;
	}
	hf->st = HTTP_S_RESYNC;
	hf->remaining = 1;
	hf->body_done = 0;
}

/*
 * The direction ended.  A close-delimited body is complete (HTTP_EV_END).
 * A message cut in its head, Content-Length body, chunks or trailers gets
 * HTTP_EV_OPAQUE with FT_TRUNCATED, why "message cut short by close"
 * (the bytes we have are not wrong: there are too few).  Between
 * messages, resyncing or opaque: nothing to say.
 */
void http_end(struct http_conn *h, int dir, struct http_events *out)
{
	struct http_events scratch;
	struct http_half *hf;

	if (h == NULL || (dir != 0 && dir != 1))
		return;
	if (out == NULL) {
		memset(&scratch, 0, sizeof scratch);
		out = &scratch;
	}
	hf = &h->half[dir];
	switch (hf->st) {
	case HTTP_S_BODY_CLOSE:
		msg_end(hf, dir, out);
		break;
	case HTTP_S_HEAD:
		if (hf->remaining) {
			hf->exchange = 0; /* the cut head was never numbered */
			hf->body_total = UINT64_MAX;
			hf->body_done = 0;
			go_opaque(hf, dir, out, FT_TRUNCATED, "message cut short by close");
		}
		break;
	case HTTP_S_BODY_LEN:
	case HTTP_S_CHUNK_SIZE:
	case HTTP_S_CHUNK_DATA:
	case HTTP_S_CHUNK_CRLF:
	case HTTP_S_TRAILERS:
		go_opaque(hf, dir, out, FT_TRUNCATED, "message cut short by close");
		break;
	case HTTP_S_RESYNC:
	case HTTP_S_OPAQUE:
	default:
		break;
	}
}

void http_init(struct http_conn *h)
{
	if (h)
		memset(h, 0, sizeof *h);
}

/*
 * Alt-Svc (RFC 7838 3):  Alt-Svc = clear / 1#alt-value, and
 * alt-value = alternative *( OWS ";" OWS parameter ), alternative =
 * protocol-id "=" alt-authority.  Each comma-separated alternative is
 * looked at for its protocol id; a quoted alt-authority holds no comma
 * that matters here (a port), and a comma inside quotes only starts a
 * look that fails.  The walk is bounded by the value's length.
 */
bool http_alt_svc_h3_bytes(const char *b, size_t n)
{
	size_t i = 0;
	while (i < n) { /* each pass moves i forward by at least one byte */
		while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == ','))
			i++;
		size_t start = i;
		while (i < n && b[i] != '=' && b[i] != ',')
			i++;
		size_t len = i - start;
		const char *id = b + start;
		if (i < n && b[i] == '=' && len >= 2 && id[0] == 'h' && id[1] == '3' &&
		    (len == 2 || id[2] == '-'))
			return true;
		while (i < n && b[i] != ',')
			i++;
	}
	return false;
}

bool http_alt_svc_h3(const struct http_str *v)
{
	return http_alt_svc_h3_bytes(v->b, v->len);
}
