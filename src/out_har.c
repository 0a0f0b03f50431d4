/* out_har.c - the exchanges as an HTTP Archive (HAR 1.2, "HTTP Archive format",
 * W3C Web Performance WG draft / Jan Odvarko's 1.2 spec): one page per fetch, one entry
 * per HTTP exchange (or per TLS connection, whose HTTP is not visible).  The mapping of
 * each member is in fetchtrace(1), HAR EXPORT. */
#include "out_har.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sb.h"

#ifndef FT_VERSION
#define FT_VERSION "0.0.0"
#endif

/*
 * One entry must fit: its wire strings are bounded by struct tl_exch (a
 * TL_TARGET-byte target, two 640-byte header blocks, four 64-byte strings),
 * each byte at most 6 bytes escaped (\u00XX) or 3 percent-encoded, plus
 * the query pairs cut from the target and the fixed members: well under
 * 32 KiB.  A cut entry (which would not be JSON) fails the write.
 */
#define ENTRY_CAP (64u * 1024)
#define HOST_CAP 512             /* an escaped authority: 128 bytes percent-encoded, a port */

/* An exchange's place in the output order. */
struct har_ix {
	int64_t start;               /* startedDateTime, microseconds */
	uint32_t fetch;
	uint32_t idx;                /* in the timeline */
};

/* ------------------------------------------------------------------ */
/* times                                                               */
/* ------------------------------------------------------------------ */

/* The HAR timings of x, in microseconds; -1 where HAR allows "does not apply". */
struct har_times {
	int64_t start;               /* the first thing the exchange waited for */
	int64_t blocked, dns, connect, ssl, send, wait, receive;
	int64_t total;               /* their sum (ssl is inside connect) */
};

static int64_t span(int64_t from, int64_t to) { return from && to >= from ? to - from : -1; }
static int64_t nonneg(int64_t v) { return v > 0 ? v : 0; }

static void har_times(const struct tl_exch *x, struct har_times *t)
{
	t->start = x->req_start;
	t->dns = span(x->dns_start, x->dns_end);
	if (t->dns >= 0)
		t->start = x->dns_start;
	/* HAR 1.2: connect includes ssl.  The secure channel runs from the
	 * ClientHello to the first application data. */
	t->ssl = x->tls ? span(x->tls_start, x->tls_end) : -1;
	int64_t c_end = timeline_connect_end(x);
	int64_t tcp = span(x->syn, c_end);
	if (tcp >= 0) {
		/* the handshakes' own times: a pause between them is idle (blocked) */
		t->connect = tcp + (t->ssl >= 0 && x->tls_start >= c_end ? t->ssl : 0);
		if (t->dns < 0 || x->syn < t->start)
			t->start = x->syn;
	} else if (t->ssl >= 0) {
		/* no handshake seen (mid-stream): the known part of connecting */
		t->connect = t->ssl;
		if (t->dns < 0 || x->tls_start < t->start)
			t->start = x->tls_start;
	} else {
		t->connect = -1;
	}
	t->send = nonneg(span(x->req_start, x->req_end));
	t->wait = x->resp_start && x->req_end ? nonneg(span(x->req_end, x->resp_start)) : 0;
	t->receive = nonneg(span(x->resp_start, x->resp_end));
	/* what is left before the first request byte: the idle time between
	 * the DNS answer and the SYN, the TCP and TLS handshakes, and the
	 * handshake and the request */
	t->blocked = nonneg(x->req_start - t->start - nonneg(t->dns) - nonneg(t->connect));
	t->total = t->blocked + nonneg(t->dns) + nonneg(t->connect) + t->send + t->wait + t->receive;
}

/* Milliseconds with microsecond precision: "12.345"; -1 stays "-1". */
static void put_ms(struct sb *s, int64_t us)
{
	if (us < 0) {
		sb_puts(s, "-1");
		return;
	}
	sb_printf(s, "%" PRId64 ".%03" PRId64, us / 1000, us % 1000);
}

/* ISO 8601 in UTC with milliseconds: "2024-05-01T12:00:00.123Z". */
static void put_date(struct sb *s, int64_t us)
{
	int64_t secs = us / 1000000, rem = us % 1000000;
	if (rem < 0)
		secs--, rem += 1000000;
	time_t tt = (time_t)secs;
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof(tm)), tm.tm_year = 70, tm.tm_mday = 1;
	sb_printf(s, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
		  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(rem / 1000));
}

/* ------------------------------------------------------------------ */
/* URLs                                                                */
/* ------------------------------------------------------------------ */

static bool is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Wire bytes as part of a URI (RFC 3986 2): unreserved characters, the
 * sub-delims and `allowed` as themselves, a '%' that starts a
 * percent-encoding as itself, everything else percent-encoded.  The
 * result is printable ASCII without '"' or '\\'.
 */
static void put_uri_part(struct sb *s, const char *b, size_t n, const char *allowed)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)b[i];
		bool keep = is_alnum(c) || (c && strchr("-._~!$&'()*+,;=", c)) ||
			    (c && strchr(allowed, c)) ||
			    (c == '%' && n - i > 2 && is_hex((uint8_t)b[i + 1]) &&
			     is_hex((uint8_t)b[i + 2]));
		if (keep) {
			sb_putc(s, (char)c);
		} else {
			sb_putc(s, '%');
			sb_putc(s, hex[c >> 4]);
			sb_putc(s, hex[c & 15]);
		}
	}
}

/* The value of a kept header field, or NULL. */
static const char *field(const struct tl_head *h, enum tl_hdr want, size_t *len)
{
	size_t off = 0, n;
	enum tl_hdr id;
	const char *v;
	bool cut;
	while (tl_head_next(h, &off, &id, &v, &n, &cut))
		if (id == want) {
			*len = n;
			return v;
		}
	return NULL;
}

/* The authority an exchange went to: the Host field, else the TLS server
 * name, else the fetch's DNS name (with the port unless it is the
 * scheme's), else the server's address. */
static void put_authority(struct sb *s, const struct tl_exch *x)
{
	size_t n = 0;
	const char *host = field(&x->hd->req, TL_H_HOST, &n);
	if (host && n) {
		put_uri_part(s, host, n, ":[]");
		return;
	}
	if (x->sni_len)
		put_uri_part(s, x->sni, x->sni_len, "");
	else if (x->name_len)
		put_uri_part(s, x->name, x->name_len, "");
	else if (x->ip_ver == 6) {
		sb_putc(s, '[');
		sb_ip(s, 6, x->srv);
		sb_putc(s, ']');
	} else {
		sb_ip(s, 4, x->srv);
	}
	if (x->sport != (x->tls ? 443 : 80))
		sb_printf(s, ":%u", x->sport);
}

/* Is the request target in absolute form ("http://host/path", RFC 9112 3.2.2)? */
static bool absolute_form(const struct tl_exch *x)
{
	const char *t = x->hd->url_target;
	size_t n = x->hd->url_target_len;
	return (n >= 7 && !strncmp(t, "http://", 7)) || (n >= 8 && !strncmp(t, "https://", 8));
}

static bool origin_form(const struct tl_exch *x)
{
	return x->hd->url_target_len && x->hd->url_target[0] == '/';
}

static void put_url(struct sb *s, const struct tl_exch *x)
{
	sb_putc(s, '"');
	if (!x->tls && absolute_form(x)) {
		put_uri_part(s, x->hd->url_target, x->hd->url_target_len, ":/?#@[]");
	} else {
		sb_puts(s, x->tls ? "https://" : "http://");
		put_authority(s, x);
		if ((!x->tls || x->hd->req.seen) && origin_form(x)) /* decrypted: the target is known */
			put_uri_part(s, x->hd->url_target, x->hd->url_target_len, ":/?#@");
		else
			sb_putc(s, '/'); /* encrypted, or an authority- or asterisk-form target */
	}
	sb_putc(s, '"');
}

/* queryString: the target's query split at '&', each at its first '=',
 * left percent-encoded as on the wire (HAR does not say; this keeps the bytes). */
static void put_query(struct sb *s, const struct tl_exch *x)
{
	sb_putc(s, '[');
	const char *t = x->hd->url_target;
	size_t n = x->hd->url_target_len;
	const char *q = x->tls && !x->hd->req.seen ? NULL : memchr(t, '?', n);
	if (q) {
		size_t i = (size_t)(q - t) + 1, end = n;
		const char *hash = memchr(t + i, '#', n - i);
		if (hash)
			end = (size_t)(hash - t);
		bool first = true;
		/* each pass takes one pair; i grows strictly */
		while (i < end) {
			const char *amp = memchr(t + i, '&', end - i);
			size_t pe = amp ? (size_t)(amp - t) : end;
			if (pe > i) {
				const char *eq = memchr(t + i, '=', pe - i);
				size_t ne = eq ? (size_t)(eq - t) : pe;
				if (!first)
					sb_putc(s, ',');
				first = false;
				sb_puts(s, "{\"name\":");
				sb_json_str(s, t + i, ne - i);
				sb_puts(s, ",\"value\":");
				sb_json_str(s, eq ? t + ne + 1 : t, eq ? pe - ne - 1 : 0);
				sb_putc(s, '}');
			}
			i = pe + 1;
		}
	}
	sb_putc(s, ']');
}

/* ------------------------------------------------------------------ */
/* one entry                                                           */
/* ------------------------------------------------------------------ */

static void put_headers(struct sb *s, const struct tl_head *h)
{
	sb_putc(s, '[');
	size_t off = 0, n;
	enum tl_hdr id;
	const char *v;
	bool cut, first = true;
	while (tl_head_next(h, &off, &id, &v, &n, &cut)) {
		if (!first)
			sb_putc(s, ',');
		first = false;
		sb_puts(s, "{\"name\":\"");
		sb_puts(s, tl_hdr_name[id]);
		sb_puts(s, "\",\"value\":");
		sb_json_str(s, v, n);
		if (cut)
			sb_puts(s, ",\"comment\":\"value cut by fetchtrace\"");
		sb_putc(s, '}');
	}
	sb_putc(s, ']');
}

static void put_version(struct sb *s, const struct tl_head *h)
{
	if (h->seen && h->v_major == 3)
		sb_puts(s, "\"HTTP/3\""); /* as browsers write it */
	else if (h->seen)
		sb_printf(s, "\"HTTP/%u.%u\"", h->v_major, h->v_minor);
	else
		sb_puts(s, "\"\"");
}

/* What a seen head leaves out; with target_cut, that the URL is cut short too. */
static void put_head_comment(struct sb *s, const struct tl_head *h, bool target_cut)
{
	if (!h->seen)
		return;
	sb_puts(s, ",\"comment\":\"only the header fields fetchtrace keeps");
	if (h->hdr_cut)
		sb_puts(s, "; some did not fit");
	if (target_cut)
		sb_printf(s, "; the target was cut after %u bytes", (unsigned)TL_TARGET);
	sb_puts(s, "\"");
}

static void put_request(struct sb *s, const struct tl_exch *x)
{
	sb_puts(s, "\"request\":{\"method\":");
	if (x->tls && !x->hd->req.seen)
		sb_puts(s, "\"\""); /* encrypted: not visible */
	else
		sb_json_str(s, x->method, x->method_len);
	sb_puts(s, ",\"url\":");
	put_url(s, x);
	sb_puts(s, ",\"httpVersion\":");
	put_version(s, &x->hd->req);
	sb_puts(s, ",\"cookies\":[],\"headers\":");
	put_headers(s, &x->hd->req);
	sb_puts(s, ",\"queryString\":");
	put_query(s, x);
	if (x->hd->req.seen)
		sb_printf(s, ",\"headersSize\":%" PRIu32 ",\"bodySize\":%" PRIu64, x->hd->req.head_len,
			  x->up);
	else
		sb_printf(s, ",\"headersSize\":-1,\"bodySize\":-1,\"_transferSize\":%" PRIu64, x->up);
	if (!x->tls && !origin_form(x) && !absolute_form(x)) {
		sb_puts(s, ",\"_target\":");
		sb_json_str(s, x->hd->url_target, x->hd->url_target_len);
	}
	put_head_comment(s, &x->hd->req, x->hd->url_target_cut);
	sb_putc(s, '}');
}

static void put_response(struct sb *s, const struct tl_exch *x)
{
	const struct tl_head *h = &x->hd->resp;
	sb_printf(s, "\"response\":{\"status\":%u,\"statusText\":", h->seen ? x->status : 0);
	sb_json_str(s, x->reason, h->seen ? x->reason_len : 0);
	sb_puts(s, ",\"httpVersion\":");
	put_version(s, h);
	sb_puts(s, ",\"cookies\":[],\"headers\":");
	put_headers(s, h);
	size_t n = 0;
	const char *mime = field(h, TL_H_CONTENT_TYPE, &n);
	sb_printf(s, ",\"content\":{\"size\":%" PRIu64 ",\"mimeType\":", h->seen ? x->down : 0);
	sb_json_str(s, mime ? mime : "", mime ? n : 0);
	if (x->tls && !h->seen) /* decrypted with a key log, the response was seen */
		sb_puts(s, ",\"comment\":\"encrypted: the content is not visible\"");
	sb_puts(s, "},\"redirectURL\":");
	const char *loc = field(h, TL_H_LOCATION, &n);
	sb_json_str(s, loc ? loc : "", loc ? n : 0);
	if (h->seen)
		sb_printf(s, ",\"headersSize\":%" PRIu32 ",\"bodySize\":%" PRIu64
			     ",\"_transferSize\":%" PRIu64,
			  h->head_len, x->down, (uint64_t)h->head_len + x->down);
	else
		sb_printf(s, ",\"headersSize\":-1,\"bodySize\":-1,\"_transferSize\":%" PRIu64, x->down);
	if (!x->tls && !h->seen)
		sb_puts(s, ",\"comment\":\"no response was seen\"");
	else
		put_head_comment(s, h, false);
	sb_putc(s, '}');
}

static void put_entry(struct sb *s, const struct tl_exch *x, bool first)
{
	struct har_times t;
	har_times(x, &t);
	if (!first)
		sb_putc(s, ',');
	sb_puts(s, "\n{");
	if (x->fetch)
		sb_printf(s, "\"pageref\":\"f%" PRIu32 "\",", x->fetch);
	sb_puts(s, "\"startedDateTime\":");
	put_date(s, t.start);
	sb_puts(s, ",\"time\":");
	put_ms(s, t.total);
	sb_putc(s, ',');
	put_request(s, x);
	sb_putc(s, ',');
	put_response(s, x);
	sb_puts(s, ",\"cache\":{},\"timings\":{\"blocked\":");
	put_ms(s, t.blocked);
	sb_puts(s, ",\"dns\":");
	put_ms(s, t.dns);
	sb_puts(s, ",\"connect\":");
	put_ms(s, t.connect);
	sb_puts(s, ",\"ssl\":");
	put_ms(s, t.ssl);
	sb_puts(s, ",\"send\":");
	put_ms(s, t.send);
	sb_puts(s, ",\"wait\":");
	put_ms(s, t.wait);
	sb_puts(s, ",\"receive\":");
	put_ms(s, t.receive);
	sb_puts(s, "},\"serverIPAddress\":\"");
	sb_ip(s, x->ip_ver == 6 ? 6 : 4, x->srv);
	/* a QUIC connection's number is its own: "q1", never a TCP connection's "1" */
	sb_printf(s, "\",\"connection\":\"%s%" PRIu32 "\"", x->quic ? "q" : "", x->conn);
	sb_printf(s, ",\"_fetch\":%" PRIu32 ",\"_exchange\":%" PRIu32 ",\"_encrypted\":%s", x->fetch,
		  x->exchange, x->tls ? "true" : "false");
	if (x->quic) /* HTTP/3: the QUIC connection and the request stream's id */
		sb_printf(s, ",\"_quic\":true,\"_stream\":%" PRIu32, x->stream);
	if (x->tls && x->hd->req.seen)
		sb_puts(s, ",\"_decrypted\":true"); /* with the key log: the request is known */
	if (x->sni_len) {
		sb_puts(s, ",\"_sni\":");
		sb_json_str(s, x->sni, x->sni_len);
	}
	sb_putc(s, '}');
}

/* A page per fetch: named after what was asked, started at its first entry. */
static void put_page(struct sb *s, const struct tl_exch *x, int64_t start, bool first)
{
	if (!first)
		sb_putc(s, ',');
	sb_printf(s, "\n{\"id\":\"f%" PRIu32 "\",\"startedDateTime\":", x->fetch);
	put_date(s, start);
	sb_puts(s, ",\"title\":\"");
	char host[HOST_CAP];
	struct sb hs;
	sb_init(&hs, host, sizeof(host));
	if (x->name_len) {
		sb_json_esc(s, x->name, x->name_len);
	} else {
		/* no DNS name: the URL's authority, already printable ASCII */
		put_authority(&hs, x);
		sb_json_esc(s, hs.buf, hs.len);
	}
	sb_puts(s, "\",\"pageTimings\":{\"onContentLoad\":-1,\"onLoad\":-1}}");
}

/* ------------------------------------------------------------------ */
/* the file                                                            */
/* ------------------------------------------------------------------ */

static int by_fetch(const void *a, const void *b)
{
	const struct har_ix *p = a, *q = b;
	if (p->fetch != q->fetch)
		return p->fetch < q->fetch ? -1 : 1;
	if (p->start != q->start)
		return p->start < q->start ? -1 : 1;
	return p->idx < q->idx ? -1 : p->idx > q->idx;
}

/* HAR 1.2 log: "entries ... sorted by startedDateTime" is the order viewers expect. */
static int by_start(const void *a, const void *b)
{
	const struct har_ix *p = a, *q = b;
	if (p->start != q->start)
		return p->start < q->start ? -1 : 1;
	return p->idx < q->idx ? -1 : p->idx > q->idx;
}

/* Write s to f and empty it; false on a write error or a cut entry. */
static bool emit(FILE *f, struct sb *s, char *errbuf)
{
	if (s->cut) {
		snprintf(errbuf, OUT_HAR_ERRBUF, "an entry did not fit in %u bytes", ENTRY_CAP);
		return false;
	}
	if (s->len && fwrite(s->buf, 1, s->len, f) != s->len) {
		snprintf(errbuf, OUT_HAR_ERRBUF, "%s", strerror(errno));
		return false;
	}
	sb_reset(s);
	return true;
}

bool out_har_create(const char *path, char *errbuf)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		snprintf(errbuf, OUT_HAR_ERRBUF, "%s", strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

bool out_har_write(const char *path, const struct timeline *tl, char *errbuf)
{
	bool ok = false;
	size_t n = timeline_count(tl);
	char *buf = malloc(ENTRY_CAP);
	struct har_ix *ix = malloc((n ? n : 1) * sizeof(*ix));
	FILE *f = NULL;
	if (!buf || !ix) {
		snprintf(errbuf, OUT_HAR_ERRBUF, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tl_exch *x = timeline_get(tl, i);
		struct har_times t;
		har_times(x, &t);
		ix[i].start = t.start;
		ix[i].fetch = x->fetch;
		ix[i].idx = (uint32_t)i;
	}
	f = fopen(path, "we");
	if (!f) {
		snprintf(errbuf, OUT_HAR_ERRBUF, "%s", strerror(errno));
		goto out;
	}
	struct sb s;
	sb_init(&s, buf, ENTRY_CAP);
	sb_puts(&s, "{\"log\":{\"version\":\"1.2\",\"creator\":{\"name\":\"fetchtrace\",\"version\":\"");
	sb_puts(&s, FT_VERSION);
	sb_puts(&s, "\",\"comment\":\"from packets: only the header fields fetchtrace keeps, no "
		    "bodies, no cookies; encrypted exchanges show what the packets tell\"}");
	if (timeline_dropped(tl))
		sb_printf(&s, ",\"comment\":\"%" PRIu64 " exchanges were not kept (memory cap)\"",
			  timeline_dropped(tl));
	sb_puts(&s, ",\"pages\":[");
	qsort(ix, n, sizeof(*ix), by_fetch);
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (!ix[i].fetch || (i && ix[i - 1].fetch == ix[i].fetch))
			continue;
		put_page(&s, timeline_get(tl, ix[i].idx), ix[i].start, first);
		first = false;
		if (!emit(f, &s, errbuf))
			goto out;
	}
	sb_puts(&s, "],\"entries\":[");
	qsort(ix, n, sizeof(*ix), by_start);
	for (size_t i = 0; i < n; i++) {
		put_entry(&s, timeline_get(tl, ix[i].idx), i == 0);
		if (!emit(f, &s, errbuf))
			goto out;
	}
	sb_puts(&s, "\n]}}\n");
	if (!emit(f, &s, errbuf))
		goto out;
	ok = true;
out:
	if (f && fclose(f) != 0 && ok) {
		snprintf(errbuf, OUT_HAR_ERRBUF, "%s", strerror(errno));
		ok = false;
	}
	free(ix);
	free(buf);
	return ok;
}
