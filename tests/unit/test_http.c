/* test_http.c - http_feed over curl/nginx exchanges split at every byte, bad heads, gaps, sniffing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "t.h"

/*
 * The messages are in the shape curl 7.88.1 and nginx 1.22.1 send them
 * (the 615-byte body is nginx's stock index.html, the 153-byte one its
 * stock 404 page); the others follow the RFC 9112 / RFC 6455 examples.
 */

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

#define NGINX_INDEX                                                                      \
	"<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\n"    \
	"html { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\n"      \
	"font-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n" \
	"<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is "  \
	"successfully installed and\nworking. Further configuration is required.</p>\n\n" \
	"<p>For online documentation and support please refer to\n<a href=\"http://"    \
	"nginx.org/\">nginx.org</a>.<br/>\nCommercial support is available at\n<a "     \
	"href=\"http://nginx.com/\">nginx.com</a>.</p>\n\n<p><em>Thank you for using "   \
	"nginx.</em></p>\n</body>\n</html>\n"

#define NGINX_404                                                                        \
	"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 " \
	"Not Found</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"

#define REQ_GET                                                                          \
	"GET / HTTP/1.1\r\nHost: www.lab.test\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"

#define RESP_200_HEAD                                                                    \
	"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 06 May 2024 09:12:01 GMT\r\n" \
	"Content-Type: text/html\r\nContent-Length: 615\r\n"                             \
	"Last-Modified: Tue, 11 Apr 2023 01:45:34 GMT\r\nConnection: keep-alive\r\n"     \
	"ETag: \"6434bbbe-267\"\r\nAccept-Ranges: bytes\r\n\r\n"

#define RESP_200 RESP_200_HEAD NGINX_INDEX

#define REQ_FAVICON                                                                      \
	"GET /favicon.ico HTTP/1.1\r\nHost: www.lab.test\r\nUser-Agent: curl/7.88.1\r\n"  \
	"Accept: */*\r\n\r\n"

#define RESP_404                                                                         \
	"HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\nDate: Mon, 06 May 2024 09:12:02 GMT\r\n" \
	"Content-Type: text/html\r\nContent-Length: 153\r\nConnection: keep-alive\r\n\r\n" \
	NGINX_404

#define REQ_COND                                                                         \
	"GET / HTTP/1.1\r\nHost: www.lab.test\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n" \
	"If-None-Match: \"6434bbbe-267\"\r\nIf-Modified-Since: Tue, 11 Apr 2023 01:45:34 GMT\r\n\r\n"

#define RESP_304                                                                         \
	"HTTP/1.1 304 Not Modified\r\nServer: nginx/1.22.1\r\nDate: Mon, 06 May 2024 09:12:03 GMT\r\n" \
	"Last-Modified: Tue, 11 Apr 2023 01:45:34 GMT\r\nConnection: keep-alive\r\n"     \
	"ETag: \"6434bbbe-267\"\r\n\r\n"

#define RESP_OK2 "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 2\r\n\r\nok"

/* a byte string and its length (embedded NULs allowed) */
struct bytes {
	const char *p;
	size_t n;
};
#define B(lit) { (lit), sizeof(lit) - 1 }

/* ------------------------------------------------------------------ */
/* The driver: the reassembler's side of the contract                  */
/* ------------------------------------------------------------------ */

/*
 * Keeps what http_feed did not consume and offers it again in front of
 * the next piece; a gap gives up the held bytes (they are part of it).
 * Every call gets an exact-size heap copy so ASan sees a read past len.
 * Events are written to a log ("H1#2 200 L615|E1#2 615|") so runs can be
 * compared; BODY events are summed, not logged (their count depends on
 * how the bytes were cut).
 */
struct drv {
	struct http_conn c;
	uint8_t held[2][70000];
	size_t n_held[2];
	char log[16384];
	size_t log_len;
	uint64_t body[2];               /* sum of HTTP_EV_BODY bytes */
	int n_dropped;                  /* events dropped over all feeds */
	int n_feeds_over;               /* feeds that consumed more than offered (must stay 0) */
	int n_bad_ev;                   /* events breaking an invariant */
	struct http_head heads[24];     /* copies of the heads reported, in order */
	int n_heads;
	enum ft_status last_status;     /* of the last OPAQUE */
	const char *last_why;           /* of the last OPAQUE */
	uint64_t last_done[2], last_total[2]; /* body_done/body_total of the last END */
};

static const char *st_name(enum ft_status s)
{
	switch (s) {
	case FT_OK: return "OK";
	case FT_NEED_MORE: return "NEED_MORE";
	case FT_TRUNCATED: return "TRUNCATED";
	case FT_MALFORMED: return "MALFORMED";
	case FT_UNSUPPORTED: return "UNSUPPORTED";
	}
	return "?";
}

static void drv_init(struct drv *d)
{
	memset(d, 0, sizeof *d);
	http_init(&d->c);
}

static void drv_log(struct drv *d, const char *s)
{
	size_t n = strlen(s);
	if (d->log_len + n < sizeof d->log) {
		memcpy(d->log + d->log_len, s, n + 1);
		d->log_len += n;
	}
}

static void drv_events(struct drv *d, const struct http_events *out)
{
	char line[512];
	unsigned i;

	d->n_dropped += out->n_dropped;
	for (i = 0; i < out->n; i++) {
		const struct http_ev *e = &out->ev[i];
		line[0] = '\0';
		switch (e->kind) {
		case HTTP_EV_HEAD: {
			const struct http_head *hd = e->head;
			const char *b;
			if (hd == NULL || hd->exchange != e->exchange) {
				d->n_bad_ev++;
				break;
			}
			b = hd->body == HTTP_BODY_NONE     ? "N"
			    : hd->body == HTTP_BODY_LENGTH ? "L"
			    : hd->body == HTTP_BODY_CHUNKED ? "C"
							    : "X";
			if (hd->is_request)
				snprintf(line, sizeof line, "H%u#%u %.*s %.*s %s", e->dir, e->exchange,
					 (int)hd->method.len, hd->method.b, (int)hd->target.len,
					 hd->target.b, b);
			else
				snprintf(line, sizeof line, "H%u#%u %u %s", e->dir, e->exchange,
					 hd->status, b);
			if (hd->body == HTTP_BODY_LENGTH)
				snprintf(line + strlen(line), sizeof line - strlen(line), "%llu",
					 (unsigned long long)hd->body_len);
			strcat(line, "|");
			if (d->n_heads < (int)(sizeof d->heads / sizeof d->heads[0]))
				d->heads[d->n_heads++] = *hd;
			break;
		}
		case HTTP_EV_BODY:
			if (e->bytes == 0 || e->body_done < e->bytes)
				d->n_bad_ev++;
			if (e->body_total != UINT64_MAX && e->body_done > e->body_total)
				d->n_bad_ev++;
			d->body[e->dir] += e->bytes;
			break;
		case HTTP_EV_END:
			snprintf(line, sizeof line, "E%u#%u %llu|", e->dir, e->exchange,
				 (unsigned long long)e->body_done);
			d->last_done[e->dir] = e->body_done;
			d->last_total[e->dir] = e->body_total;
			break;
		case HTTP_EV_GAP:
			snprintf(line, sizeof line, "G%u %llu|", e->dir, (unsigned long long)e->bytes);
			break;
		case HTTP_EV_OPAQUE:
			if (e->why == NULL)
				d->n_bad_ev++;
			snprintf(line, sizeof line, "O%u %s %s|", e->dir, st_name(e->status),
				 e->why ? e->why : "(null)");
			d->last_status = e->status;
			d->last_why = e->why;
			break;
		default:
			d->n_bad_ev++;
			break;
		}
		drv_log(d, line);
	}
}

static void drv_feed(struct drv *d, int dir, const void *p, size_t n)
{
	struct http_events out;
	uint8_t *copy;
	size_t have, used;

	if (n == 0)
		return;
	if (d->n_held[dir] + n > sizeof d->held[dir]) {
		d->n_feeds_over++;
		return;
	}
	memcpy(d->held[dir] + d->n_held[dir], p, n);
	d->n_held[dir] += n;
	have = d->n_held[dir];
	copy = malloc(have);
	if (copy == NULL)
		abort();
	memcpy(copy, d->held[dir], have);
	memset(&out, 0, sizeof out);
	used = http_feed(&d->c, dir, copy, have, &out);
	free(copy);
	drv_events(d, &out);
	if (used > have) {
		d->n_feeds_over++;
		used = have;
	}
	memmove(d->held[dir], d->held[dir] + used, have - used);
	d->n_held[dir] = have - used;
}

static void drv_feed_s(struct drv *d, int dir, const char *s)
{
	drv_feed(d, dir, s, strlen(s));
}

static void drv_gap(struct drv *d, int dir, uint64_t lost)
{
	struct http_events out;
	memset(&out, 0, sizeof out);
	http_gap(&d->c, dir, lost + d->n_held[dir], &out);
	d->n_held[dir] = 0;
	drv_events(d, &out);
}

static void drv_end(struct drv *d, int dir)
{
	struct http_events out;
	memset(&out, 0, sizeof out);
	http_end(&d->c, dir, &out);
	d->n_held[dir] = 0;
	drv_events(d, &out);
}

/* ------------------------------------------------------------------ */
/* Scripts run whole, split in two at every byte, and byte by byte     */
/* ------------------------------------------------------------------ */

enum { S_FEED, S_END };

struct step {
	int kind;
	int dir;
	struct bytes b;
};

#define FEED(dir, lit) { S_FEED, (dir), B(lit) }
#define END(dir) { S_END, (dir), { NULL, 0 } }

/* cut: 0 whole; k > 0 every step split at k (when shorter, whole);
 * SIZE_MAX byte by byte */
static void run_script(struct drv *d, const struct step *s, size_t n, size_t cut)
{
	size_t i, k;

	drv_init(d);
	for (i = 0; i < n; i++) {
		if (s[i].kind == S_END) {
			drv_end(d, s[i].dir);
			continue;
		}
		if (cut == SIZE_MAX) {
			for (k = 0; k < s[i].b.n; k++)
				drv_feed(d, s[i].dir, s[i].b.p + k, 1);
		} else if (cut > 0 && cut < s[i].b.n) {
			drv_feed(d, s[i].dir, s[i].b.p, cut);
			drv_feed(d, s[i].dir, s[i].b.p + cut, s[i].b.n - cut);
		} else {
			drv_feed(d, s[i].dir, s[i].b.p, s[i].b.n);
		}
	}
}

static struct drv d_whole, d_cut; /* big: kept off the stack */

/*
 * Run a script whole and check the log against `want` and the body bytes;
 * then at every cut and byte by byte the log and the byte counts must be
 * the same.  Leaves the whole run in d_whole for more checks.
 */
static void check_script(const char *name, const struct step *s, size_t n, const char *want,
			 uint64_t body0, uint64_t body1)
{
	size_t maxlen = 0, i, cut;
	int diverged = 0;

	for (i = 0; i < n; i++)
		if (s[i].b.n > maxlen)
			maxlen = s[i].b.n;
	run_script(&d_whole, s, n, 0);
	if (strcmp(d_whole.log, want) != 0)
		fprintf(stderr, "%s: log\n  got  %s\n  want %s\n", name, d_whole.log, want);
	CHECK_EQ_STR(d_whole.log, want);
	CHECK_EQ_INT(d_whole.body[0], body0);
	CHECK_EQ_INT(d_whole.body[1], body1);
	CHECK_EQ_INT(d_whole.n_dropped, 0);
	CHECK_EQ_INT(d_whole.n_feeds_over, 0);
	CHECK_EQ_INT(d_whole.n_bad_ev, 0);

	for (cut = 1; cut <= maxlen; cut++) {
		size_t c = cut == maxlen ? SIZE_MAX : cut;
		run_script(&d_cut, s, n, c);
		if (strcmp(d_cut.log, d_whole.log) != 0 || d_cut.body[0] != body0 ||
		    d_cut.body[1] != body1 || d_cut.n_feeds_over || d_cut.n_bad_ev ||
		    d_cut.n_dropped) {
			if (!diverged)
				fprintf(stderr, "%s: cut %zu differs\n  got  %s\n  want %s\n", name,
					cut, d_cut.log, d_whole.log);
			diverged++;
		}
	}
	CHECK_EQ_INT(diverged, 0);
	run_script(&d_whole, s, n, 0); /* leave the whole run for the caller */
}

/* ------------------------------------------------------------------ */
/* Good exchanges                                                      */
/* ------------------------------------------------------------------ */

static bool str_is(const struct http_str *s, const char *want)
{
	return s->present && !s->cut && s->len == strlen(want) && memcmp(s->b, want, s->len) == 0;
}

static void test_get_200(void)
{
	static const struct step s[] = { FEED(0, REQ_GET), FEED(1, RESP_200) };
	const struct http_head *q = &d_whole.heads[0], *r = &d_whole.heads[1];

	CHECK_EQ_INT(strlen(NGINX_INDEX), 615);
	check_script("get_200", s, 2, "H0#1 GET / N|E0#1 0|H1#1 200 L615|E1#1 615|", 0, 615);
	CHECK_EQ_INT(d_whole.n_heads, 2);
	CHECK(q->is_request);
	CHECK(str_is(&q->method, "GET"));
	CHECK(str_is(&q->target, "/"));
	CHECK(str_is(&q->host, "www.lab.test"));
	CHECK(str_is(&q->user_agent, "curl/7.88.1"));
	CHECK(str_is(&q->accept, "*/*"));
	CHECK(!q->content_length.present);
	CHECK_EQ_INT(q->n_headers, 3);
	CHECK_EQ_INT(q->head_len, strlen(REQ_GET));
	CHECK_EQ_INT(q->v_major, 1);
	CHECK_EQ_INT(q->v_minor, 1);
	CHECK(!r->is_request);
	CHECK_EQ_INT(r->status, 200);
	CHECK(str_is(&r->reason, "OK"));
	CHECK(str_is(&r->content_type, "text/html"));
	CHECK(str_is(&r->content_length, "615"));
	CHECK(str_is(&r->connection, "keep-alive"));
	CHECK(str_is(&r->etag, "\"6434bbbe-267\""));
	CHECK(!r->host.present);
	CHECK_EQ_INT(r->n_headers, 8);
	CHECK_EQ_INT(r->head_len, strlen(RESP_200_HEAD));
	CHECK_EQ_INT(r->body, HTTP_BODY_LENGTH);
	CHECK_EQ_INT(r->body_len, 615);
	CHECK_EQ_INT(d_whole.last_done[1], 615);
	CHECK_EQ_INT(d_whole.last_total[1], 615);
	/* the state after: both sides wait for the next head */
	CHECK_EQ_INT(d_whole.c.half[0].st, HTTP_S_HEAD);
	CHECK_EQ_INT(d_whole.c.half[1].st, HTTP_S_HEAD);
	CHECK_EQ_INT(d_whole.c.pend_n, 0);
}

static void test_keepalive(void)
{
	static const struct step s[] = {
		FEED(0, REQ_GET), FEED(1, RESP_200), FEED(0, REQ_FAVICON),
		FEED(1, RESP_404), FEED(0, REQ_COND), FEED(1, RESP_304),
	};
	CHECK_EQ_INT(strlen(NGINX_404), 153);
	check_script("keepalive", s, 6,
		     "H0#1 GET / N|E0#1 0|H1#1 200 L615|E1#1 615|"
		     "H0#2 GET /favicon.ico N|E0#2 0|H1#2 404 L153|E1#2 153|"
		     "H0#3 GET / N|E0#3 0|H1#3 304 N|E1#3 0|",
		     0, 615 + 153);
	CHECK(str_is(&d_whole.heads[3].reason, "Not Found"));
	CHECK(str_is(&d_whole.heads[4].if_none_match, "\"6434bbbe-267\""));
	CHECK(str_is(&d_whole.heads[4].if_modified_since, "Tue, 11 Apr 2023 01:45:34 GMT"));
	CHECK(str_is(&d_whole.heads[5].etag, "\"6434bbbe-267\""));
	CHECK_EQ_INT(d_whole.c.half[0].n_msgs, 3);
	CHECK_EQ_INT(d_whole.c.half[1].n_msgs, 3);
}

static void test_pipelined(void)
{
	static const struct step s[] = {
		FEED(0, "GET /a.css HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
			"GET /b.js HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"),
		FEED(1, "HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nContent-Length: 5\r\n\r\nh1{}\n"
			"HTTP/1.1 200 OK\r\nContent-Type: text/javascript\r\nContent-Length: 3\r\n\r\n;;\n"),
	};
	check_script("pipelined", s, 2,
		     "H0#1 GET /a.css N|E0#1 0|H0#2 GET /b.js N|E0#2 0|"
		     "H1#1 200 L5|E1#1 5|H1#2 200 L3|E1#2 3|",
		     0, 8);
	CHECK(str_is(&d_whole.heads[3].content_type, "text/javascript"));
}

static void test_head(void)
{
	/* HEAD then GET, pipelined: the HEAD's response carries
	 * Content-Length: 615 and no body; the next response follows it */
	static const struct step s[] = {
		FEED(0, "HEAD / HTTP/1.1\r\nHost: www.lab.test\r\nUser-Agent: curl/7.88.1\r\n"
			"Accept: */*\r\n\r\n" REQ_FAVICON),
		FEED(1, "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
			"Content-Length: 615\r\nConnection: keep-alive\r\n\r\n" RESP_404),
	};
	check_script("head", s, 2,
		     "H0#1 HEAD / N|E0#1 0|H0#2 GET /favicon.ico N|E0#2 0|"
		     "H1#1 200 N|E1#1 0|H1#2 404 L153|E1#2 153|",
		     0, 153);
	CHECK(str_is(&d_whole.heads[2].content_length, "615"));
}

static void test_continue(void)
{
	static const struct step s[] = {
		FEED(0, "POST /upload HTTP/1.1\r\nHost: www.lab.test\r\nUser-Agent: curl/7.88.1\r\n"
			"Accept: */*\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n"
			"Expect: 100-continue\r\n\r\n"),
		FEED(1, "HTTP/1.1 100 Continue\r\n\r\n"),
		FEED(0, "hello world"),
		FEED(1, "HTTP/1.1 201 Created\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n"),
		FEED(0, REQ_GET),
		FEED(1, RESP_OK2),
	};
	check_script("continue", s, 6,
		     "H0#1 POST /upload L11|H1#1 100 N|E1#1 0|E0#1 11|H1#1 201 L0|E1#1 0|"
		     "H0#2 GET / N|E0#2 0|H1#2 200 L2|E1#2 2|",
		     11, 2);
	/* several interim responses in one feed keep the number too */
	{
		static const struct step s2[] = {
			FEED(0, REQ_GET),
			FEED(1, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
				"Link: </style.css>; rel=preload; as=style\r\n\r\n" RESP_OK2),
		};
		check_script("interim", s2, 2,
			     "H0#1 GET / N|E0#1 0|H1#1 100 N|E1#1 0|H1#1 103 N|E1#1 0|"
			     "H1#1 200 L2|E1#1 2|",
			     0, 2);
	}
}

static void test_204_304(void)
{
	static const struct step s[] = {
		FEED(0, "DELETE /items/7 HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"),
		FEED(1, "HTTP/1.1 204 No Content\r\nServer: nginx/1.22.1\r\n\r\n"),
		FEED(0, REQ_COND),
		/* a 304 may carry the Content-Length of the full representation */
		FEED(1, "HTTP/1.1 304 Not Modified\r\nContent-Length: 615\r\nETag: \"6434bbbe-267\"\r\n\r\n"),
		FEED(0, REQ_GET),
		FEED(1, RESP_OK2),
	};
	check_script("204_304", s, 6,
		     "H0#1 DELETE /items/7 N|E0#1 0|H1#1 204 N|E1#1 0|"
		     "H0#2 GET / N|E0#2 0|H1#2 304 N|E1#2 0|H0#3 GET / N|E0#3 0|H1#3 200 L2|E1#3 2|",
		     0, 2);
}

static void test_chunked(void)
{
	/* a gzip body in two chunks (the first with extensions), trailers,
	 * and a response after it on the same connection */
	static const struct step s[] = {
		FEED(0, REQ_GET),
		FEED(1, "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
			"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\nContent-Encoding: gzip\r\n"
			"Trailer: Expires\r\n\r\n"
			"a;name=value;q=\"x y\"\r\n\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\r\n"
			"5 ; last\r\n\x00\r\n\n\x01\r\n"
			"0\r\nExpires: Wed, 21 Oct 2026 07:28:00 GMT\r\n\r\n"),
		FEED(0, REQ_FAVICON),
		/* chunked wins over Content-Length; bare LF lines; upper-case hex */
		FEED(1, "HTTP/1.1 200 OK\nTransfer-Encoding: gzip, chunked\nContent-Length: 99\n\n"
			"1A\n" "abcdefghijklmnopqrstuvwxyz\n" "00\n\n"),
	};
	check_script("chunked", s, 4,
		     "H0#1 GET / N|E0#1 0|H1#1 200 C|E1#1 15|H0#2 GET /favicon.ico N|E0#2 0|"
		     "H1#2 200 C|E1#2 26|",
		     0, 15 + 26);
	CHECK(str_is(&d_whole.heads[1].content_encoding, "gzip"));
	CHECK(str_is(&d_whole.heads[1].transfer_encoding, "chunked"));
	CHECK_EQ_INT(d_whole.last_total[1], UINT64_MAX);
}

static void test_close_delimited(void)
{
	static const struct step s[] = {
		FEED(0, "GET / HTTP/1.0\r\nHost: www.lab.test\r\nUser-Agent: curl/7.88.1\r\n\r\n"),
		FEED(1, "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.2\r\n"
			"Date: Mon, 06 May 2024 09:12:01 GMT\r\nContent-type: text/html\r\n\r\n"
			"<html><body>HTTP/1.1 200 OK\r\nGET / HTTP/1.1\r\n</body></html>\n"),
		END(1),
		END(0),
	};
	check_script("close", s, 4, "H0#1 GET / N|E0#1 0|H1#1 200 X|E1#1 60|", 0, 60);
	CHECK_EQ_INT(d_whole.heads[1].v_minor, 0);
	CHECK(str_is(&d_whole.heads[1].content_type, "text/html"));

	/* a response whose final coding is not chunked is close-delimited too */
	{
		static const struct step s2[] = {
			FEED(0, REQ_GET),
			FEED(1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b\x08"),
			END(1),
		};
		check_script("te_close", s2, 3, "H0#1 GET / N|E0#1 0|H1#1 200 X|E1#1 3|", 0, 3);
	}
}

static void test_post(void)
{
	static const struct step s[] = {
		FEED(0, "POST /api/items HTTP/1.1\r\nHost: www.lab.test\r\nUser-Agent: curl/7.88.1\r\n"
			"Accept: */*\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n"
			"{\"name\":\"lamp\",\"price\":12}\n"),
		FEED(1, "HTTP/1.1 201 Created\r\nServer: nginx/1.22.1\r\nLocation: /api/items/7\r\n"
			"Content-Length: 0\r\n\r\n"),
		/* one Content-Length said twice, identically, is fine */
		FEED(0, "POST /api/items HTTP/1.1\r\nHost: www.lab.test\r\nContent-Length: 3, 3\r\n"
			"Content-Length: 3\r\n\r\n{}\n"),
	};
	check_script("post", s, 3,
		     "H0#1 POST /api/items L27|E0#1 27|H1#1 201 L0|E1#1 0|H0#2 POST /api/items L3|E0#2 3|",
		     27 + 3, 0);
	CHECK(str_is(&d_whole.heads[1].location, "/api/items/7"));
	CHECK(str_is(&d_whole.heads[0].content_type, "application/json"));
	CHECK(str_is(&d_whole.heads[2].content_length, "3, 3")); /* the first field kept */
}

static void test_chunked_request(void)
{
	static const struct step s[] = {
		FEED(0, "PUT /upload/wiki.txt HTTP/1.1\r\nHost: www.lab.test\r\nUser-Agent: curl/7.88.1\r\n"
			"Transfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"),
		FEED(1, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
	};
	check_script("chunked_req", s, 2,
		     "H0#1 PUT /upload/wiki.txt C|E0#1 9|H1#1 201 L0|E1#1 0|", 9, 0);
}

static void test_upgrade(void)
{
	static const struct step s[] = {
		FEED(0, "GET /chat HTTP/1.1\r\nHost: www.lab.test\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			"Sec-WebSocket-Version: 13\r\n\r\n"),
		FEED(1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x05Hello"),
		FEED(0, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"),
		FEED(1, "\x81\x02hi"),
	};
	check_script("upgrade", s, 4,
		     "H0#1 GET /chat N|E0#1 0|H1#1 101 N|E1#1 0|O1 UNSUPPORTED switched protocols (101)|"
		     "O0 UNSUPPORTED connection upgraded|",
		     0, 0);
	CHECK(d_whole.c.upgraded);
	CHECK_EQ_INT(d_whole.c.half[1].st, HTTP_S_OPAQUE);
	CHECK_EQ_INT(d_whole.c.half[1].body_done, 7 + 4); /* counted, not parsed */
	CHECK_EQ_INT(d_whole.c.half[0].st, HTTP_S_OPAQUE);
}

/* An h2c offer (RFC 7540 3.2): Upgrade and HTTP2-Settings are kept, and
 * with stop_at_101 the feed stops right after the 101 head, leaving the
 * server's first HTTP/2 frame for the caller. */
static void test_upgrade_h2c_stop(void)
{
	static struct http_conn c;
	static struct http_events ev;
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
				  "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n";
	static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n"
				   "Connection: Upgrade\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";
	http_init(&c);
	memset(&ev, 0, sizeof(ev));
	CHECK_EQ_INT(http_feed(&c, 0, (const uint8_t *)req, sizeof(req) - 1, &ev), sizeof(req) - 1);
	CHECK(ev.n >= 1 && ev.ev[0].kind == HTTP_EV_HEAD);
	CHECK(str_is(&ev.heads[0].upgrade, "h2c"));
	CHECK(str_is(&ev.heads[0].http2_settings, "AAMAAABkAAQCAAAAAAIAAAAA"));
	c.stop_at_101 = true;
	memset(&ev, 0, sizeof(ev));
	CHECK_EQ_INT(http_feed(&c, 1, (const uint8_t *)resp, sizeof(resp) - 1, &ev),
		     sizeof(resp) - 1 - 9);
	CHECK(c.upgraded);
	/* without it, the bytes after the head are counted as before */
	http_init(&c);
	memset(&ev, 0, sizeof(ev));
	http_feed(&c, 0, (const uint8_t *)req, sizeof(req) - 1, &ev);
	CHECK_EQ_INT(http_feed(&c, 1, (const uint8_t *)resp, sizeof(resp) - 1, &ev), sizeof(resp) - 1);
}

/* The body sink sees the decoded body (chunk framing excluded), with the
 * exchange number, however the bytes are cut. */
static char sink_buf[64];
static size_t sink_len;
static uint32_t sink_x;
static void sink(void *ctx, int dir, uint32_t exchange, const uint8_t *p, size_t n)
{
	(void)ctx;
	CHECK_EQ_INT(dir, 1);
	sink_x = exchange;
	if (n <= sizeof(sink_buf) - sink_len) {
		memcpy(sink_buf + sink_len, p, n);
		sink_len += n;
	}
}

static void test_body_sink(void)
{
	static struct http_conn c;
	static struct http_events ev;
	static const char req[] = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
				   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				   "2\r\nde\r\n1;x=y\r\nf\r\n0\r\n\r\n";
	http_init(&c);
	memset(&ev, 0, sizeof(ev));
	http_feed(&c, 0, (const uint8_t *)req, sizeof(req) - 1, &ev);
	c.body_fn = sink;
	size_t off = 0;
	/* one byte at a time: the head waits for its end, bodies go by */
	for (size_t k = 0; k < 2000 && off < sizeof(resp) - 1; k++) {
		ev.n = ev.n_heads = ev.n_dropped = 0;
		size_t end = off + 1;
		while (end <= sizeof(resp) - 1) {
			size_t used = http_feed(&c, 1, (const uint8_t *)resp + off, end - off, &ev);
			if (used) {
				off += used;
				break;
			}
			end++;
		}
		if (end > sizeof(resp) - 1)
			break;
	}
	CHECK_EQ_INT(off, sizeof(resp) - 1);
	CHECK_EQ_INT(sink_len, 6);
	CHECK(memcmp(sink_buf, "abcdef", 6) == 0);
	CHECK_EQ_INT(sink_x, 2);
}

static void test_connect(void)
{
	static const struct step s[] = {
		FEED(0, "CONNECT www.lab.test:443 HTTP/1.1\r\nHost: www.lab.test:443\r\n"
			"User-Agent: curl/7.88.1\r\nProxy-Connection: Keep-Alive\r\n\r\n"),
		FEED(1, "HTTP/1.1 200 Connection established\r\n\r\n"),
		FEED(0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
		FEED(1, "\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03"),
	};
	check_script("connect", s, 4,
		     "H0#1 CONNECT www.lab.test:443 N|E0#1 0|H1#1 200 N|E1#1 0|"
		     "O1 UNSUPPORTED CONNECT tunnel|O0 UNSUPPORTED connection upgraded|",
		     0, 0);
	CHECK(str_is(&d_whole.heads[1].reason, "Connection established"));

	/* a refused CONNECT (407) has a body and the connection goes on */
	{
		static const struct step s2[] = {
			FEED(0, "CONNECT www.lab.test:443 HTTP/1.1\r\nHost: www.lab.test:443\r\n\r\n"),
			FEED(1, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\ndeny"),
			FEED(0, REQ_GET),
			FEED(1, RESP_OK2),
		};
		check_script("connect_407", s2, 4,
			     "H0#1 CONNECT www.lab.test:443 N|E0#1 0|H1#1 407 L4|E1#1 4|"
			     "H0#2 GET / N|E0#2 0|H1#2 200 L2|E1#2 2|",
			     0, 6);
	}
}

/* Pairing mid-stream (issue 9, bug 4): a response with no request pending
 * is an orphan (exchange 0), and the responses after it answer the
 * requests in order, numbered by the requests. */
static void test_orphan(void)
{
	static const struct step s[] = {
		FEED(1, RESP_OK2),               /* its request was before the capture */
		FEED(0, REQ_GET),
		FEED(1, RESP_404),
		FEED(0, REQ_FAVICON),
		FEED(1, RESP_OK2),
	};
	check_script("orphan", s, 5,
		     "H1#0 200 L2|E1#0 2|H0#1 GET / N|E0#1 0|H1#1 404 L153|E1#1 153|"
		     "H0#2 GET /favicon.ico N|E0#2 0|H1#2 200 L2|E1#2 2|",
		     0, 2 + 153 + 2);
	CHECK_EQ_INT(d_whole.heads[0].exchange, 0);
	CHECK_EQ_INT(d_whole.c.pend_n, 0);

	/* more responses than requests: each extra one is an orphan, and an
	 * interim 1xx without a request too; the next request is still #2 */
	{
		static const struct step s2[] = {
			FEED(0, REQ_GET),
			FEED(1, RESP_OK2 RESP_OK2),
			FEED(1, "HTTP/1.1 100 Continue\r\n\r\n"),
			FEED(0, REQ_FAVICON),
			FEED(1, RESP_404),
		};
		check_script("orphan_extra", s2, 5,
			     "H0#1 GET / N|E0#1 0|H1#1 200 L2|E1#1 2|H1#0 200 L2|E1#0 2|"
			     "H1#0 100 N|E1#0 0|H0#2 GET /favicon.ico N|E0#2 0|H1#2 404 L153|E1#2 153|",
			     0, 2 + 2 + 153);
	}

	/* the HEAD's knowledge (no body) goes with its own response, the
	 * next request's with the next */
	{
		static const struct step s3[] = {
			FEED(1, RESP_OK2),
			FEED(0, "HEAD / HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"),
			FEED(1, "HTTP/1.1 200 OK\r\nContent-Length: 615\r\n\r\n"),
			FEED(0, REQ_GET),
			FEED(1, RESP_OK2),
		};
		check_script("orphan_head", s3, 5,
			     "H1#0 200 L2|E1#0 2|H0#1 HEAD / N|E0#1 0|H1#1 200 N|E1#1 0|"
			     "H0#2 GET / N|E0#2 0|H1#2 200 L2|E1#2 2|",
			     0, 4);
	}
}

/* A hole on the response side where a response would start holds (the start
 * of) the response to the oldest pending request: the next status line
 * answers the request after it, as tshark pairs them.  Between responses
 * with none pending, the hole answers nothing. */
static void test_gap_answers(void)
{
	static struct http_conn c;
	static struct http_events out;

	http_init(&c);
	memset(&out, 0, sizeof out);
	http_feed(&c, 0, (const uint8_t *)REQ_GET, sizeof REQ_GET - 1, &out);
	http_feed(&c, 0, (const uint8_t *)REQ_FAVICON, sizeof REQ_FAVICON - 1, &out);
	memset(&out, 0, sizeof out);
	http_gap(&c, 1, 500, &out);
	CHECK_EQ_INT(out.n, 1);
	CHECK_EQ_INT(out.ev[0].kind, HTTP_EV_GAP);
	CHECK_EQ_INT(out.ev[0].exchange, 1);
	memset(&out, 0, sizeof out);
	http_feed(&c, 1, (const uint8_t *)RESP_404, sizeof RESP_404 - 1, &out);
	CHECK(out.n >= 1 && out.ev[0].kind == HTTP_EV_HEAD);
	CHECK_EQ_INT(out.ev[0].exchange, 2);
	CHECK_EQ_INT(c.pend_n, 0);
	/* nothing pending now: a hole answers nothing, the next response is an orphan */
	memset(&out, 0, sizeof out);
	http_gap(&c, 1, 10, &out);
	CHECK_EQ_INT(c.answered, 2);
	memset(&out, 0, sizeof out);
	http_feed(&c, 1, (const uint8_t *)RESP_OK2, sizeof RESP_OK2 - 1, &out);
	CHECK(out.n >= 1 && out.ev[0].kind == HTTP_EV_HEAD);
	CHECK_EQ_INT(out.ev[0].exchange, 0);
}

/* More events than HTTP_MAX_EVENTS in one feed: counted, state stays right. */
static void test_dropped(void)
{
	static const char three[] = RESP_OK2 RESP_OK2 RESP_OK2; /* 9 events */
	struct http_conn c;
	struct http_events out;
	size_t used;

	http_init(&c);
	for (int i = 0; i < 4; i++) { /* the requests the responses answer */
		memset(&out, 0, sizeof out);
		http_feed(&c, 0, (const uint8_t *)REQ_GET, sizeof REQ_GET - 1, &out);
	}
	memset(&out, 0, sizeof out);
	used = http_feed(&c, 1, (const uint8_t *)three, sizeof three - 1, &out);
	CHECK_EQ_INT(used, sizeof three - 1);
	CHECK_EQ_INT(out.n, HTTP_MAX_EVENTS);
	CHECK_EQ_INT(out.n_dropped, 1);
	CHECK_EQ_INT(out.n_heads, 3);
	CHECK_EQ_INT(out.ev[7].kind, HTTP_EV_BODY);
	CHECK_EQ_INT(out.ev[7].exchange, 3);
	CHECK_EQ_INT(c.half[1].st, HTTP_S_HEAD);
	CHECK_EQ_INT(c.half[1].n_msgs, 3);
	memset(&out, 0, sizeof out);
	used = http_feed(&c, 1, (const uint8_t *)RESP_OK2, sizeof RESP_OK2 - 1, &out);
	CHECK_EQ_INT(used, sizeof RESP_OK2 - 1);
	CHECK_EQ_INT(out.n, 3);
	CHECK_EQ_INT(out.ev[0].kind, HTTP_EV_HEAD);
	CHECK_EQ_INT(out.ev[0].exchange, 4);
	CHECK_EQ_INT(out.n_dropped, 0);
}

/* More requests in flight than the pending ring holds. */
static void test_pending_ring(void)
{
	static const char req[] = "HEAD /x HTTP/1.1\r\nHost: www.lab.test\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 615\r\n\r\n";
	struct http_conn c;
	struct http_events out;
	int i, bad = 0;

	http_init(&c);
	for (i = 0; i < HTTP_MAX_PENDING + 8; i++) {
		memset(&out, 0, sizeof out);
		if (http_feed(&c, 0, (const uint8_t *)req, sizeof req - 1, &out) != sizeof req - 1)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(c.pend_n, HTTP_MAX_PENDING);
	for (i = 0; i < HTTP_MAX_PENDING; i++) {
		memset(&out, 0, sizeof out);
		if (http_feed(&c, 1, (const uint8_t *)resp, sizeof resp - 1, &out) != sizeof resp - 1 ||
		    out.n != 2 || out.ev[0].head == NULL || out.ev[0].head->body != HTTP_BODY_NONE ||
		    out.ev[0].exchange != (uint32_t)i + 1)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(c.pend_n, 0);
}

/* ------------------------------------------------------------------ */
/* Hostile values                                                      */
/* ------------------------------------------------------------------ */

static void test_hostile(void)
{
	char big[2048];
	const struct http_head *q;
	size_t n;
	int i;

	/* terminal escapes in the target and C1/UTF-8 bytes in a value come
	 * through raw: escaping them is the output's job */
	{
		static const struct step s[] = {
			FEED(0, "GET /\x1b[2J\x1b]0;pwned\x07?a=%00 HTTP/1.1\r\nHost: www.lab.test\r\n"
				"User-Agent: \xc2\x9b""31m\x9b""0m\xff\r\n\r\n"),
		};
		check_script("hostile", s, 1,
			     "H0#1 GET /\x1b[2J\x1b]0;pwned\x07?a=%00 N|E0#1 0|", 0, 0);
		q = &d_whole.heads[0];
		CHECK(str_is(&q->target, "/\x1b[2J\x1b]0;pwned\x07?a=%00"));
		CHECK(str_is(&q->user_agent, "\xc2\x9b""31m\x9b""0m\xff"));
	}

	/* long strings are cut at HTTP_STR_MAX */
	n = (size_t)snprintf(big, sizeof big, "GET /");
	for (i = 0; i < 300; i++)
		big[n++] = (char)('a' + i % 26);
	n += (size_t)snprintf(big + n, sizeof big - n, " HTTP/1.1\r\nUser-Agent: ");
	for (i = 0; i < 250; i++)
		big[n++] = 'U';
	n += (size_t)snprintf(big + n, sizeof big - n, "\r\nHost: h\r\n\r\n");
	drv_init(&d_whole);
	drv_feed(&d_whole, 0, big, n);
	CHECK_EQ_INT(d_whole.n_heads, 1);
	q = &d_whole.heads[0];
	CHECK(q->target.present);
	CHECK(q->target.cut);
	CHECK_EQ_INT(q->target.len, HTTP_STR_MAX);
	CHECK(memcmp(q->target.b, "/abcdefghijklmnopqrstuvwxyz", 27) == 0);
	CHECK(q->user_agent.cut);
	CHECK_EQ_INT(q->user_agent.len, HTTP_STR_MAX);
	CHECK(q->user_agent.b[HTTP_STR_MAX - 1] == 'U');
	CHECK(str_is(&q->host, "h"));
	CHECK(!q->host.cut);
}

/* ------------------------------------------------------------------ */
/* Malformed                                                           */
/* ------------------------------------------------------------------ */

struct bad_case {
	const char *name;
	int dir;
	struct bytes b;
	const char *why;
};

static const struct bad_case bad_cases[] = {
	{ "chunk size", 1,
	  B("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
	  "bad chunk size" },
	{ "chunk size garbage", 1,
	  B("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n"),
	  "bad chunk size" },
	{ "chunk size overflow", 1,
	  B("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nhello\r\n"),
	  "chunk size too large" },
	{ "chunk size wrapping to 5", 1,
	  B("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000000000000005\r\nhello\r\n"),
	  "chunk size too large" },
	{ "no CRLF after chunk", 1,
	  B("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n"),
	  "no CRLF after chunk data" },
	{ "bad trailer", 1,
	  B("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nExpires\r\n\r\n"),
	  "header line without colon" },
	{ "huge Content-Length", 1,
	  B("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"),
	  "Content-Length too large" },
	{ "Content-Length over 2^62", 0,
	  B("POST / HTTP/1.1\r\nContent-Length: 4611686018427387905\r\n\r\n"),
	  "Content-Length too large" },
	{ "conflicting Content-Length", 1,
	  B("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
	  "conflicting Content-Length" },
	{ "conflicting Content-Length list", 0,
	  B("POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\nhello!"),
	  "conflicting Content-Length" },
	{ "signed Content-Length", 0,
	  B("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello"), "bad Content-Length" },
	{ "hex Content-Length", 1,
	  B("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n"), "bad Content-Length" },
	{ "TE not chunked on a request", 0,
	  B("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
	  "Transfer-Encoding without final chunked in a request" },
	{ "no colon", 0,
	  B("GET / HTTP/1.1\r\nHost www.lab.test\r\n\r\n"), "header line without colon" },
	{ "no colon, one word", 1,
	  B("HTTP/1.1 200 OK\r\nServer\r\nContent-Length: 0\r\n\r\n"), "header line without colon" },
	{ "space before colon", 0,
	  B("GET / HTTP/1.1\r\nHost : www.lab.test\r\n\r\n"), "whitespace before colon" },
	{ "tab before colon", 1,
	  B("HTTP/1.1 200 OK\r\nContent-Length\t: 0\r\n\r\n"), "whitespace before colon" },
	{ "empty name", 0, B("GET / HTTP/1.1\r\n: x\r\n\r\n"), "empty header name" },
	{ "bad name", 0, B("GET / HTTP/1.1\r\nX(y): x\r\n\r\n"), "bad header name" },
	{ "NUL in value", 0,
	  B("GET / HTTP/1.1\r\nHost: www.lab\x00.test\r\n\r\n"), "NUL in header" },
	{ "NUL in name", 0, B("GET / HTTP/1.1\r\nHo\x00st: x\r\n\r\n"), "NUL in header" },
	{ "CTL in value", 1,
	  B("HTTP/1.1 200 OK\r\nServer: nginx\x01\r\n\r\n"), "control character in header" },
	{ "ESC in value", 0,
	  B("GET / HTTP/1.1\r\nUser-Agent: \x1b[31mred\r\n\r\n"), "control character in header" },
	{ "DEL in value", 0,
	  B("GET / HTTP/1.1\r\nUser-Agent: a\x7f\r\n\r\n"), "control character in header" },
	{ "bare CR in value", 0,
	  B("GET / HTTP/1.1\r\nUser-Agent: a\rb\r\n\r\n"), "bare CR in header" },
	{ "obs-fold", 1,
	  B("HTTP/1.1 200 OK\r\nX-Long: part one,\r\n  part two\r\nContent-Length: 0\r\n\r\n"),
	  "obs-fold (folded header line)" },
	{ "status 2 digits", 1, B("HTTP/1.1 20 OK\r\n\r\n"), "bad status code" },
	{ "status 4 digits", 1, B("HTTP/1.1 2000 OK\r\n\r\n"), "bad status code" },
	{ "status letters", 1, B("HTTP/1.1 abc OK\r\n\r\n"), "bad status code" },
	{ "status 099", 1, B("HTTP/1.1 099 Odd\r\n\r\n"), "bad status code" },
	{ "CTL in reason", 1, B("HTTP/1.1 200 O\x1bK\r\n\r\n"), "control character in reason phrase" },
	{ "HTTP/2.0 response", 1, B("HTTP/2.0 200 OK\r\n\r\n"), "unsupported HTTP version" },
	{ "HTTP/2.0 request", 0, B("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), "unsupported HTTP version" },
	{ "HTTP/1.1x", 0, B("GET / HTTP/1.10\r\n\r\n"), "bad HTTP version" },
	{ "lower-case version", 0, B("GET / http/1.1\r\n\r\n"), "bad HTTP version" },
	{ "HTTP/0.9", 0, B("GET /index.html\r\n\r\n"), "request line without version" },
	{ "two spaces", 0, B("GET  / HTTP/1.1\r\n\r\n"), "not an HTTP request line" },
	{ "TLS to port 80", 0,
	  B("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x9a\x1f"), "not an HTTP request line" },
	{ "SSH to port 80", 1, B("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), "not an HTTP status line" },
};

static void test_malformed(void)
{
	size_t i;

	for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct step s[2];
		static char want[sizeof d_whole.log];
		size_t n = 0;
		int failed_before = t_failed;

		/* a request or response before it must come through */
		if (bc->dir == 1) {
			s[n].kind = S_FEED;
			s[n].dir = 0;
			s[n].b.p = REQ_GET;
			s[n].b.n = strlen(REQ_GET);
			n++;
		}
		s[n].kind = S_FEED;
		s[n].dir = bc->dir;
		s[n].b = bc->b;
		n++;
		run_script(&d_whole, s, n, 0);
		CHECK(d_whole.last_why != NULL);
		CHECK_EQ_INT(d_whole.last_status, FT_MALFORMED);
		if (d_whole.last_why)
			CHECK_EQ_STR(d_whole.last_why, bc->why);
		CHECK_EQ_INT(d_whole.c.half[bc->dir].st, HTTP_S_OPAQUE);
		CHECK_EQ_INT(d_whole.n_held[bc->dir], 0); /* all consumed once opaque */
		/* and the same, however cut */
		memcpy(want, d_whole.log, sizeof want);
		{
			size_t cut;
			int diverged = 0;
			for (cut = 1; cut <= bc->b.n; cut++) {
				run_script(&d_cut, s, n, cut == bc->b.n ? SIZE_MAX : cut);
				if (strcmp(d_cut.log, want) != 0 || d_cut.n_feeds_over) {
					if (!diverged)
						fprintf(stderr, "cut %zu: %s\n", cut, d_cut.log);
					diverged++;
				}
			}
			CHECK_EQ_INT(diverged, 0);
		}
		if (t_failed != failed_before)
			fprintf(stderr, "  (malformed case \"%s\": %s)\n", bc->name, d_whole.log);
	}
}

static void test_chunk_line_too_long(void)
{
	static char msg[2048];
	size_t n;
	int i;

	n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;");
	for (i = 0; i < 1100; i++)
		msg[n++] = 'e';
	drv_init(&d_whole);
	drv_feed(&d_whole, 1, msg, n);
	CHECK_EQ_INT(d_whole.last_status, FT_MALFORMED);
	CHECK_EQ_STR(d_whole.last_why, "chunk size line too long");
	/* a long but bounded extension is fine */
	drv_init(&d_whole);
	n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;");
	for (i = 0; i < 900; i++)
		msg[n++] = 'e';
	n += (size_t)snprintf(msg + n, sizeof msg - n, "\r\nhi\r\n0\r\n\r\n");
	drv_feed(&d_whole, 1, msg, n);
	CHECK_EQ_STR(d_whole.log, "H1#0 200 C|E1#0 2|");
}

static void test_head_too_large(void)
{
	static char msg[HTTP_HEAD_MAX + 4096];
	size_t n, cuts[] = { 1, 100, HTTP_HEAD_MAX - 1, HTTP_HEAD_MAX, HTTP_HEAD_MAX + 100 };
	size_t i;

	n = (size_t)snprintf(msg, sizeof msg, "GET / HTTP/1.1\r\nHost: www.lab.test\r\n");
	while (n + 64 < sizeof msg)
		n += (size_t)snprintf(msg + n, sizeof msg - n, "X-Filler-%05zu: %040d\r\n", n, 7);
	drv_init(&d_whole);
	drv_feed(&d_whole, 0, msg, n);
	CHECK_EQ_STR(d_whole.log, "O0 MALFORMED head too large|");
	for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		drv_init(&d_cut);
		drv_feed(&d_cut, 0, msg, cuts[i]);
		CHECK_EQ_INT(d_cut.n_held[0], cuts[i] < HTTP_HEAD_MAX ? cuts[i] : 0);
		drv_feed(&d_cut, 0, msg + cuts[i], n - cuts[i]);
		CHECK_EQ_STR(d_cut.log, "O0 MALFORMED head too large|");
	}
	/* a head just under the limit is fine */
	n = (size_t)snprintf(msg, sizeof msg, "GET / HTTP/1.1\r\nX: ");
	while (n < HTTP_HEAD_MAX - 4)
		msg[n++] = 'v';
	n += (size_t)snprintf(msg + n, sizeof msg - n, "\r\n\r\n");
	CHECK_EQ_INT(n, HTTP_HEAD_MAX);
	drv_init(&d_whole);
	drv_feed(&d_whole, 0, msg, n);
	CHECK_EQ_STR(d_whole.log, "H0#1 GET / N|E0#1 0|");
	CHECK_EQ_INT(d_whole.heads[0].head_len, HTTP_HEAD_MAX);
	/* ... and one byte over is not */
	memmove(msg + 20, msg + 19, n - 19);
	drv_init(&d_whole);
	drv_feed(&d_whole, 0, msg, n + 1);
	CHECK_EQ_STR(d_whole.log, "O0 MALFORMED head too large|");
}

/* ------------------------------------------------------------------ */
/* Gaps and ends                                                       */
/* ------------------------------------------------------------------ */

static void test_gaps(void)
{
	static const char resp[] = RESP_200;
	size_t hl = strlen(RESP_200_HEAD);
	char want[256];

	/* in a Content-Length body: framing stays in step */
	drv_init(&d_whole);
	drv_feed(&d_whole, 0, REQ_GET REQ_GET, 2 * strlen(REQ_GET));
	drv_feed(&d_whole, 1, resp, hl + 100);
	drv_gap(&d_whole, 1, 415);
	drv_feed(&d_whole, 1, resp + hl + 515, 100);
	drv_feed_s(&d_whole, 1, RESP_OK2);
	CHECK_EQ_STR(d_whole.log, "H0#1 GET / N|E0#1 0|H0#2 GET / N|E0#2 0|"
				  "H1#1 200 L615|G1 415|E1#1 615|H1#2 200 L2|E1#2 2|");
	CHECK_EQ_INT(d_whole.body[1], 200 + 2);

	/* a gap that ends the body exactly ends the message */
	drv_init(&d_whole);
	drv_feed(&d_whole, 1, resp, hl + 15);
	drv_gap(&d_whole, 1, 600);
	CHECK_EQ_STR(d_whole.log, "H1#0 200 L615|G1 600|E1#0 615|");
	CHECK_EQ_INT(d_whole.c.half[1].st, HTTP_S_HEAD);

	/* in a head: skip to the next request line */
	drv_init(&d_whole);
	drv_feed_s(&d_whole, 0, "GET / HTTP/1.1\r\nHo");
	CHECK_EQ_INT(d_whole.n_held[0], 18);
	drv_gap(&d_whole, 0, 40);
	CHECK_EQ_INT(d_whole.c.half[0].st, HTTP_S_RESYNC);
	drv_feed_s(&d_whole, 0, "ab.test\r\nAccept: */*\r\n\r\nGET /next HTTP/1.1\r\n");
	drv_feed_s(&d_whole, 0, "Host: www.lab.test\r\n\r\n");
	CHECK_EQ_STR(d_whole.log, "G0 58|G0 24|H0#1 GET /next N|E0#1 0|");

	/* the same, fed byte by byte: the skipping is the same */
	{
		static const char after[] = "ab.test\r\nAccept: */*\r\n\r\nGET /next HTTP/1.1\r\n"
					    "Host: www.lab.test\r\n\r\n";
		size_t i;
		drv_init(&d_cut);
		drv_feed_s(&d_cut, 0, "GET / HTTP/1.1\r\nHo");
		drv_gap(&d_cut, 0, 40);
		for (i = 0; i < sizeof after - 1; i++)
			drv_feed(&d_cut, 0, after + i, 1);
		CHECK_EQ_STR(d_cut.log, "G0 58|G0 24|H0#1 GET /next N|E0#1 0|");
	}

	/* resync on the response side does not stop at body lines that
	 * merely look like HTTP ("HTTP/1.1 is..." has no status code) */
	drv_init(&d_whole);
	drv_gap(&d_whole, 1, 1000);
	drv_feed_s(&d_whole, 1, "tml>\nHTTP/1.1 is the protocol\nGET / HTTP/1.1\n" RESP_OK2);
	CHECK_EQ_STR(d_whole.log, "G1 1000|G1 45|H1#0 200 L2|E1#0 2|");

	/* in chunk data: stays in step */
	drv_init(&d_whole);
	drv_feed_s(&d_whole, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabcd");
	drv_gap(&d_whole, 1, 12);
	drv_feed_s(&d_whole, 1, "\r\n3\r\nxyz\r\n0\r\n\r\n" RESP_OK2);
	CHECK_EQ_STR(d_whole.log, "H1#0 200 C|G1 12|E1#0 19|H1#0 200 L2|E1#0 2|");
	CHECK_EQ_INT(d_whole.body[1], 4 + 3 + 2);

	/* past the end of chunk data: resync */
	drv_init(&d_whole);
	drv_feed_s(&d_whole, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab");
	drv_gap(&d_whole, 1, 30);
	CHECK_EQ_INT(d_whole.c.half[1].st, HTTP_S_RESYNC);
	drv_feed_s(&d_whole, 1, "\r\n0\r\n\r\n" RESP_OK2);
	CHECK_EQ_STR(d_whole.log, "H1#0 200 C|G1 30|G1 7|H1#0 200 L2|E1#0 2|");

	/* larger than the body left: resync */
	drv_init(&d_whole);
	drv_feed(&d_whole, 1, resp, hl + 600);
	drv_gap(&d_whole, 1, 100);
	CHECK_EQ_INT(d_whole.c.half[1].st, HTTP_S_RESYNC);
	/* the body left ends without a line break: resync can only stop at
	 * the response after the next one (no request was seen: orphans) */
	drv_feed_s(&d_whole, 1, "Length: 2\r\n\r\nok" RESP_404 RESP_OK2);
	snprintf(want, sizeof want, "H1#0 200 L615|G1 100|G1 %zu|H1#0 200 L2|E1#0 2|",
		 15 + strlen(RESP_404));
	CHECK_EQ_STR(d_whole.log, want);

	/* close-delimited: a gap just counts */
	drv_init(&d_whole);
	drv_feed_s(&d_whole, 1, "HTTP/1.0 200 OK\r\n\r\nabc");
	drv_gap(&d_whole, 1, 1000);
	drv_feed_s(&d_whole, 1, "xyz");
	drv_end(&d_whole, 1);
	CHECK_EQ_STR(d_whole.log, "H1#0 200 X|G1 1000|E1#0 1006|");
	CHECK_EQ_INT(d_whole.body[1], 6);
}

static void test_end(void)
{
	/* cut in a Content-Length body */
	drv_init(&d_whole);
	drv_feed(&d_whole, 1, RESP_200, strlen(RESP_200_HEAD) + 10);
	drv_end(&d_whole, 1);
	CHECK_EQ_STR(d_whole.log, "H1#0 200 L615|O1 TRUNCATED message cut short by close|");
	/* cut in a head */
	drv_init(&d_whole);
	drv_feed(&d_whole, 0, REQ_GET, 20);
	drv_end(&d_whole, 0);
	CHECK_EQ_STR(d_whole.log, "O0 TRUNCATED message cut short by close|");
	/* cut in chunks */
	drv_init(&d_whole);
	drv_feed_s(&d_whole, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab");
	drv_end(&d_whole, 1);
	CHECK_EQ_STR(d_whole.log, "H1#0 200 C|O1 TRUNCATED message cut short by close|");
	/* between messages: nothing to say */
	drv_init(&d_whole);
	drv_feed_s(&d_whole, 0, REQ_GET);
	drv_end(&d_whole, 0);
	CHECK_EQ_STR(d_whole.log, "H0#1 GET / N|E0#1 0|");
	/* a close-delimited body with no bytes at all */
	drv_init(&d_whole);
	drv_feed_s(&d_whole, 1, "HTTP/1.1 200 OK\r\n\r\n");
	drv_end(&d_whole, 1);
	CHECK_EQ_STR(d_whole.log, "H1#0 200 X|E1#0 0|");
}

/* ------------------------------------------------------------------ */
/* Sniffing                                                            */
/* ------------------------------------------------------------------ */

static enum ft_status sniff_s(int dir, const char *s)
{
	return http_sniff(dir, (const uint8_t *)s, strlen(s));
}

static void test_sniff(void)
{
	static const uint8_t client_hello[] = {
		0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x5b, 0x8e,
		0x27, 0x0a, 0x91, 0x3c, 0x44, 0x20, 0xd1, 0x7e, 0x6f, 0x02, 0x9b, 0x33, 0x10,
	};
	static const char line[] = "GET / HTTP/1.1\r\n";
	uint8_t rnd[64];
	uint32_t x = 12345;
	size_t i;
	int j, not_unsup = 0, bad_prefix = 0;

	CHECK_EQ_INT(http_sniff(0, client_hello, sizeof client_hello), FT_UNSUPPORTED);
	CHECK_EQ_INT(http_sniff(0, client_hello, 1), FT_UNSUPPORTED);
	CHECK_EQ_INT(http_sniff(1, client_hello, sizeof client_hello), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(0, "GE"), FT_NEED_MORE);
	CHECK_EQ_INT(sniff_s(0, "GET"), FT_NEED_MORE);
	CHECK_EQ_INT(sniff_s(0, "GET "), FT_NEED_MORE);
	/* a registered method (the IANA HTTP Method Registry) and an
	 * origin-form or asterisk-form target: HTTP at once */
	CHECK_EQ_INT(sniff_s(0, "GET / HTTP/1.1"), FT_OK);
	CHECK_EQ_INT(sniff_s(0, "GET /"), FT_OK);
	CHECK_EQ_INT(sniff_s(0, "OPTIONS * HTTP/1.1"), FT_OK);
	CHECK_EQ_INT(sniff_s(0, "PROPFIND /dav/ HTTP/1.1"), FT_OK);
	CHECK_EQ_INT(sniff_s(0, "VERSION-CONTROL /v HTTP/1.1"), FT_OK);
	CHECK_EQ_INT(sniff_s(0, "UPDATEREDIRECTREF /r HTTP/1.1"), FT_OK);
	/* other target forms need the whole line, ending in HTTP/1.x */
	CHECK_EQ_INT(sniff_s(0, "CONNECT www.lab.test:443 HTTP/1.1"), FT_NEED_MORE);
	CHECK_EQ_INT(sniff_s(0, "CONNECT www.lab.test:443 HTTP/1.1\r\n"), FT_OK);
	CHECK_EQ_INT(sniff_s(0, "CONNECT [2001:db8::1]:443 HTTP/1.1\r\n"), FT_OK);
	CHECK_EQ_INT(sniff_s(0, "GET http://www.lab.test/ HTTP/1.1\n"), FT_OK);
	CHECK_EQ_INT(sniff_s(0, "GET mykey\r\n"), FT_UNSUPPORTED);      /* Redis inline */
	CHECK_EQ_INT(sniff_s(0, "GET http://x/ HTTP/2.0\r\n"), FT_UNSUPPORTED);
	/* an extension method: the whole line, ending in HTTP/1.x */
	CHECK_EQ_INT(sniff_s(0, "BREW /pot HTTP/1.1"), FT_NEED_MORE);
	CHECK_EQ_INT(sniff_s(0, "BREW /pot HTTP/1.1\r\n"), FT_OK);
	CHECK_EQ_INT(sniff_s(0, "ABCDEFGHIJKLMNOPQRST / HTTP/1.0\r\n"), FT_OK); /* 20 tchars */
	CHECK_EQ_INT(sniff_s(0, "ABCDEFGHIJKLMNOPQRSTU / HTTP/1.0\r\n"), FT_UNSUPPORTED); /* 21 */
	CHECK_EQ_INT(sniff_s(0, "ABCDEFGHIJKLMNOPQRSTU"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(0, "BREW /pot  HTTP/1.1\r\n"), FT_UNSUPPORTED); /* two SP */
	CHECK_EQ_INT(sniff_s(0, "BREW  HTTP/1.1\r\n"), FT_UNSUPPORTED);     /* no target */
	CHECK_EQ_INT(sniff_s(0, "BREW /p\x01t HTTP/1.1\r\n"), FT_UNSUPPORTED);
	/* line protocols that look like "TOKEN SP x" are not HTTP */
	CHECK_EQ_INT(sniff_s(0, "NICK foo\r\nUSER foo 0 * :Foo\r\n"), FT_UNSUPPORTED);  /* IRC */
	CHECK_EQ_INT(sniff_s(0, "NICK foo"), FT_NEED_MORE);             /* can't tell yet */
	CHECK_EQ_INT(sniff_s(0, "GNUTELLA CONNECT/0.6\r\n"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(0, "*1\r\n$4\r\nPING\r\n"), FT_UNSUPPORTED);   /* Redis RESP */
	CHECK_EQ_INT(sniff_s(0, "SET mykey hello\r\n"), FT_UNSUPPORTED);    /* Redis inline */
	CHECK_EQ_INT(sniff_s(0, "EHLO client.lab.test\r\n"), FT_UNSUPPORTED); /* SMTP */
	/* the HTTP/2 connection preface (RFC 9113 3.4) is not HTTP/1.x */
	CHECK_EQ_INT(sniff_s(0, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(0, "PRI * HTTP/2.0"), FT_NEED_MORE);
	/* a line that never ends is not HTTP */
	{
		static char longline[9000];
		memset(longline, 'a', sizeof longline);
		memcpy(longline, "BREW /", 6);
		CHECK_EQ_INT(http_sniff(0, (const uint8_t *)longline, sizeof longline), FT_UNSUPPORTED);
		CHECK_EQ_INT(http_sniff(0, (const uint8_t *)longline, 100), FT_NEED_MORE);
	}
	CHECK_EQ_INT(sniff_s(0, "GET  /"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(0, "GET \x01"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(0, " GET /"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(0, "SSH-2.0-OpenSSH_9.2p1\r\n"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(0, "get / HTTP/1.1"), FT_NEED_MORE); /* methods are case-sensitive */
	CHECK_EQ_INT(sniff_s(0, "get / HTTP/1.1\r\n"), FT_OK);    /* ... but a fine extension */
	CHECK_EQ_INT(sniff_s(0, ""), FT_NEED_MORE);
	/* a status line: HTTP/1.x SP 3DIGIT, then SP or the line end */
	CHECK_EQ_INT(sniff_s(1, "HTTP/1.1 200 OK\r\n"), FT_OK);
	CHECK_EQ_INT(sniff_s(1, "HTTP/1.0 204\r\n"), FT_OK);
	CHECK_EQ_INT(sniff_s(1, "HTTP/1.0 "), FT_NEED_MORE);
	CHECK_EQ_INT(sniff_s(1, "HTTP/1.1 200"), FT_NEED_MORE);
	CHECK_EQ_INT(sniff_s(1, "HTTP/1."), FT_NEED_MORE);
	CHECK_EQ_INT(sniff_s(1, "H"), FT_NEED_MORE);
	CHECK_EQ_INT(sniff_s(1, "HTTX/1.1 200"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(1, "HTTP/1.x 200"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(1, "HTTP/1.1200"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(1, "HTTP/1.1 2000"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(1, "HTTP/1.1 OK"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(1, "HTTP/2.0 200 OK\r\n"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(1, "+PONG\r\n"), FT_UNSUPPORTED);               /* Redis */
	CHECK_EQ_INT(sniff_s(1, "GNUTELLA/0.6 200 OK\r\n"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(1, ":irc.lab.test 001 foo :Welcome\r\n"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(1, "GET / HTTP/1.1"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(0, "HTTP/1.1 200 OK"), FT_UNSUPPORTED); /* "/" is not a tchar */
	CHECK_EQ_INT(sniff_s(0, "HTTP/1.1 200 OK\r\n"), FT_UNSUPPORTED);
	CHECK_EQ_INT(sniff_s(2, "GET / HTTP/1.1"), FT_UNSUPPORTED);

	/* every strict prefix of a good start is NEED_MORE (then OK) */
	for (i = 1; i < sizeof line; i++) {
		enum ft_status s = http_sniff(0, (const uint8_t *)line, i);
		if (s != (i <= 4 ? FT_NEED_MORE : FT_OK))
			bad_prefix++;
	}
	for (i = 1; i <= 13; i++) {
		enum ft_status s = http_sniff(1, (const uint8_t *)"HTTP/1.1 200 OK", i);
		if (s != (i < 13 ? FT_NEED_MORE : FT_OK))
			bad_prefix++;
	}
	CHECK_EQ_INT(bad_prefix, 0);

	/* random binary is refused */
	for (j = 0; j < 200; j++) {
		for (i = 0; i < sizeof rnd; i++) {
			x = x * 1103515245u + 12345u;
			rnd[i] = (uint8_t)(x >> 16);
		}
		if (http_sniff(0, rnd, sizeof rnd) != FT_UNSUPPORTED ||
		    http_sniff(1, rnd, sizeof rnd) != FT_UNSUPPORTED)
			not_unsup++;
	}
	CHECK_EQ_INT(not_unsup, 0);
}

/* ------------------------------------------------------------------ */
/* Work: linear however the bytes are split (issue 9, bug 8)          */
/* ------------------------------------------------------------------ */

/* Feed `msg` to a fresh connection `step` bytes at a time, as the
 * reassembler does (what is not consumed is offered again in front of
 * the next bytes); returns the scanner's work. */
static uint64_t work_fed_by(int dir, const char *msg, size_t n, size_t step, const char *want)
{
	size_t k;
	drv_init(&d_cut);
	for (k = 0; k < n; k += step)
		drv_feed(&d_cut, dir, msg + k, n - k < step ? n - k : step);
	CHECK_EQ_STR(d_cut.log, want);
	return d_cut.c.n_scanned;
}

static void test_linear(void)
{
	static char msg[HTTP_HEAD_MAX + 64];
	size_t n, i;
	uint64_t whole, bytewise;

	/* a 16,000-byte head of many short fields, the last one long */
	n = (size_t)snprintf(msg, sizeof msg, "GET / HTTP/1.1\r\nHost: www.lab.test\r\n");
	while (n + 20 + 40 < 16000)
		n += (size_t)snprintf(msg + n, sizeof msg - n, "X-F%05zu: abcdefgh\r\n", n);
	n += (size_t)snprintf(msg + n, sizeof msg - n, "X-Last: ");
	while (n < 16000 - 4)
		msg[n++] = 'z';
	n += (size_t)snprintf(msg + n, sizeof msg - n, "\r\n\r\n");
	CHECK_EQ_INT(n, 16000);
	whole = work_fed_by(0, msg, n, n, "H0#1 GET / N|E0#1 0|");
	bytewise = work_fed_by(0, msg, n, 1, "H0#1 GET / N|E0#1 0|");
	CHECK(whole <= 4 * n);
	if (bytewise > 4 * n)
		fprintf(stderr, "linear: a %zu-byte head fed byte by byte: %llu bytes scanned\n", n,
			(unsigned long long)bytewise);
	CHECK(bytewise <= 4 * n);

	n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\nX-Long: ");
	while (n < 16000 - 4)
		msg[n++] = 'v';
	n += (size_t)snprintf(msg + n, sizeof msg - n, "\r\n\r\n");
	bytewise = work_fed_by(1, msg, n, 1, "H1#0 200 X|");
	CHECK(bytewise <= 4 * n);

	/* a chunk-size line with a long extension, and a long trailer field */
	n = (size_t)snprintf(msg, sizeof msg,
			     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;");
	for (i = 0; i < 1000; i++)
		msg[n++] = 'e';
	n += (size_t)snprintf(msg + n, sizeof msg - n, "\r\nhi\r\n0\r\nX-T: ");
	for (i = 0; i < 12000; i++)
		msg[n++] = 't';
	n += (size_t)snprintf(msg + n, sizeof msg - n, "\r\n\r\n");
	bytewise = work_fed_by(1, msg, n, 1, "H1#0 200 C|E1#0 2|");
	CHECK(bytewise <= 4 * n);

	/* after a gap, a long line that is not a request line, then one that is */
	drv_init(&d_cut);
	drv_gap(&d_cut, 0, 100);
	n = 0;
	for (i = 0; i < 6000; i++)
		msg[n++] = 'b';
	n += (size_t)snprintf(msg + n, sizeof msg - n, "\nBREW /");
	for (i = 0; i < 6000; i++)
		msg[n++] = 'p';
	n += (size_t)snprintf(msg + n, sizeof msg - n, " HTTP/1.1\r\n\r\n");
	for (i = 0; i < n; i++)
		drv_feed(&d_cut, 0, msg + i, 1);
	CHECK(strncmp(d_cut.log, "G0 100|G0 6001|H0#1 BREW /ppp", 29) == 0);
	CHECK(strstr(d_cut.log, "ppp N|E0#1 0|") != NULL);
	CHECK(d_cut.c.n_scanned <= 4 * n);
}

/* ------------------------------------------------------------------ */
/* Garbage in: never a crash, never more consumed than offered         */
/* ------------------------------------------------------------------ */

static void test_mutations(void)
{
	static const char base[] = REQ_GET "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		"4;x=1\r\nWiki\r\n0\r\nT: v\r\n\r\n";
	static const char rbase[] = "HTTP/1.1 100 Continue\r\n\r\n" RESP_OK2
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n";
	uint8_t buf[512];
	uint32_t x = 777;
	int round, over = 0, bad = 0;

	for (round = 0; round < 3000; round++) {
		int dir = round & 1;
		const char *src = dir ? rbase : base;
		size_t n = strlen(src), i, k, pos = 0;
		memcpy(buf, src, n);
		for (k = 0; k < 3; k++) {
			x = x * 1103515245u + 12345u;
			i = (x >> 8) % n;
			x = x * 1103515245u + 12345u;
			buf[i] = (uint8_t)(x >> 16);
		}
		drv_init(&d_cut);
		while (pos < n) {
			x = x * 1103515245u + 12345u;
			k = 1 + (x >> 16) % 40;
			if (k > n - pos)
				k = n - pos;
			if ((x >> 8) % 17 == 0)
				drv_gap(&d_cut, dir, k);
			else
				drv_feed(&d_cut, dir, buf + pos, k);
			pos += k;
		}
		drv_end(&d_cut, dir);
		over += d_cut.n_feeds_over;
		bad += d_cut.n_bad_ev;
	}
	CHECK_EQ_INT(over, 0);
	CHECK_EQ_INT(bad, 0);
}

/* Alt-Svc (RFC 7838 3): kept in the head, and whether an alternative is h3. */
static bool alt_h3(const char *v)
{
	struct http_str x;
	memset(&x, 0, sizeof x);
	x.present = true;
	x.len = (uint16_t)strlen(v);
	memcpy(x.b, v, x.len);
	return http_alt_svc_h3(&x);
}

static void test_alt_svc(void)
{
	CHECK(alt_h3("h3=\":443\"; ma=86400"));
	CHECK(alt_h3("h2=\":443\", h3=\":443\""));
	CHECK(alt_h3("h3-29=\":443\"; ma=3600,h3=\":443\""));
	CHECK(!alt_h3("h2=\":443\""));
	CHECK(!alt_h3("clear"));
	CHECK(!alt_h3("h3"));               /* no "=": not an alternative */
	CHECK(!alt_h3("h30=\":443\""));     /* another protocol id */
	CHECK(!alt_h3("h2=\"alt.example:443\"; h3=1")); /* a parameter, not an alternative */
	CHECK(!alt_h3(""));
	/* every prefix of a long value: bounded, no read past len */
	static const char v[] = "quic=\":443\", h2=\":8443\"; ma=60, h3=\":443\"";
	for (size_t k = 0; k < sizeof v - 1; k++) {
		struct http_str x;
		memset(&x, 0, sizeof x);
		x.len = (uint16_t)k;
		memcpy(x.b, v, k);
		CHECK(http_alt_svc_h3(&x) == (k >= sizeof v - 1 - 6)); /* once "h3=" is in */
	}
	/* the parser keeps the header */
	static const char resp[] = "HTTP/1.1 200 OK\r\nAlt-Svc: h3=\":443\"; ma=86400\r\n"
				   "Content-Length: 0\r\n\r\n";
	static struct http_conn d;
	static struct http_events ev;
	memset(&ev, 0, sizeof ev);
	http_init(&d);
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	http_feed(&d, 0, (const uint8_t *)req, sizeof req - 1, &ev);
	ev.n = 0;
	http_feed(&d, 1, (const uint8_t *)resp, sizeof resp - 1, &ev);
	CHECK(ev.n >= 1 && ev.ev[0].kind == HTTP_EV_HEAD && ev.ev[0].head);
	if (ev.n >= 1 && ev.ev[0].head) {
		const struct http_head *h = ev.ev[0].head;
		CHECK(h->alt_svc.present);
		CHECK_EQ_INT(h->alt_svc.len, 19);
		CHECK(http_alt_svc_h3(&h->alt_svc));
	}
}

int main(void)
{
	test_alt_svc();
	test_get_200();
	test_keepalive();
	test_pipelined();
	test_head();
	test_continue();
	test_204_304();
	test_chunked();
	test_close_delimited();
	test_post();
	test_chunked_request();
	test_upgrade();
	test_upgrade_h2c_stop();
	test_body_sink();
	test_connect();
	test_orphan();
	test_gap_answers();
	test_dropped();
	test_pending_ring();
	test_hostile();
	test_malformed();
	test_chunk_line_too_long();
	test_head_too_large();
	test_gaps();
	test_end();
	test_sniff();
	test_linear();
	test_mutations();
	return t_done("test_http");
}
