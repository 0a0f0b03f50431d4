/* http.h - streaming HTTP/1.x decoder: heads, body framing, keep-alive, pipelining. */
#ifndef FT_HTTP_H
#define FT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define HTTP_STR_MAX 200      /* bytes kept of one string from the wire (the rest is cut) */
#define HTTP_HEAD_MAX 16384   /* a message head larger than this is not HTTP we follow */
#define HTTP_MAX_PENDING 32   /* requests awaiting their responses (pipelining) */
#define HTTP_MAX_EVENTS 8     /* events kept for one feed; more are counted */

/* A string copied from the wire: raw bytes (the output layer escapes them). */
struct http_str {
	uint16_t len;               /* bytes in b */
	bool cut;                   /* the wire string was longer than HTTP_STR_MAX */
	bool present;               /* the header (or field) was there at all */
	char b[HTTP_STR_MAX];
};

/* How a message's body ends (RFC 9112 6.3). */
enum http_body {
	HTTP_BODY_NONE = 0,   /* no body: HEAD response, 1xx, 204, 304, request without length */
	HTTP_BODY_LENGTH,     /* Content-Length bytes */
	HTTP_BODY_CHUNKED,    /* chunked, ended by the zero chunk and trailers */
	HTTP_BODY_CLOSE,      /* read until the server closes (HTTP/1.0 style) */
};

/* One message head: a request or a response. */
struct http_head {
	bool is_request;            /* request (client) or response (server) */
	uint32_t exchange;          /* exchange number in the connection, from 1, counted by
	                               the requests; 0: a response without a captured
	                               request (an orphan: its request was before the
	                               capture or in a gap) */
	uint8_t v_major, v_minor;   /* HTTP version */
	/* request line */
	struct http_str method, target;
	/* status line */
	uint16_t status;            /* 100..999 */
	struct http_str reason;
	/* headers a reader wants (RFC 9110 names, matched case-insensitively) */
	struct http_str host, user_agent, accept, connection, content_type, content_length,
		transfer_encoding, content_encoding, location, etag, range, if_none_match,
		if_modified_since, alt_svc;
	struct http_str upgrade, http2_settings; /* Upgrade and HTTP2-Settings (an h2c offer) */
	uint16_t n_headers;         /* header fields in the head */
	uint32_t head_len;          /* bytes of the head, request/status line to the empty line */
	enum http_body body;        /* how the body is delimited */
	uint64_t body_len;          /* with HTTP_BODY_LENGTH: Content-Length */
};

enum http_ev_kind {
	HTTP_EV_HEAD = 1,   /* a message head was parsed (head points at it) */
	HTTP_EV_BODY,       /* body bytes went by: body_done of body_total */
	HTTP_EV_END,        /* the message is complete */
	HTTP_EV_GAP,        /* bytes were lost: the decoder skipped them (and maybe resynced) */
	HTTP_EV_OPAQUE,     /* from here the stream is not HTTP we can follow (why says why) */
};

struct http_ev {
	enum http_ev_kind kind;
	uint8_t dir;                /* 0 request side (client to server), 1 response side */
	uint32_t exchange;          /* exchange number the event belongs to (0 when none:
	                               an orphan response, or no message) */
	const struct http_head *head; /* HTTP_EV_HEAD: the head (valid until the next feed) */
	uint64_t body_done;         /* body bytes so far (decoded body bytes, chunk framing excluded) */
	uint64_t body_total;        /* body length when known (Content-Length), else UINT64_MAX */
	uint64_t bytes;             /* HTTP_EV_BODY: body bytes in this feed; HTTP_EV_GAP: bytes lost */
	enum ft_status status;      /* HTTP_EV_OPAQUE: MALFORMED, UNSUPPORTED ... */
	const char *why;            /* static text for HTTP_EV_OPAQUE / a malformed head */
};

/* What one feed produced.  Heads live here so events can point at them. */
struct http_events {
	uint8_t n;                         /* events in ev */
	uint8_t n_dropped;                 /* events beyond HTTP_MAX_EVENTS */
	uint8_t n_heads;                   /* heads in heads[] */
	struct http_ev ev[HTTP_MAX_EVENTS];
	struct http_head heads[HTTP_MAX_EVENTS];
};

/* One direction's parse state. */
enum http_state {
	HTTP_S_HEAD = 0,    /* waiting for / inside a message head */
	HTTP_S_BODY_LEN,    /* inside a Content-Length body */
	HTTP_S_CHUNK_SIZE,  /* reading a chunk-size line */
	HTTP_S_CHUNK_DATA,  /* inside chunk data */
	HTTP_S_CHUNK_CRLF,  /* the CRLF after chunk data */
	HTTP_S_TRAILERS,    /* trailer fields after the last chunk */
	HTTP_S_BODY_CLOSE,  /* body until the connection closes */
	HTTP_S_RESYNC,      /* after a gap: skipping to the next line that starts a message */
	HTTP_S_OPAQUE,      /* not HTTP (any more): bytes are just counted */
};

struct http_half {
	enum http_state st;
	uint32_t exchange;          /* current (or last) message's exchange number */
	uint64_t remaining;         /* bytes left in the body or the current chunk */
	uint64_t body_done;         /* body bytes of the current message so far */
	uint64_t body_total;        /* Content-Length, or UINT64_MAX */
	uint32_t n_msgs;            /* messages started on this side */
	uint32_t scan;              /* bytes of the unconsumed input already searched for the
	                               line end (head end) the state waits for: the next look
	                               starts there (picohttpparser's last_len) */
	uint32_t line;              /* HTTP_S_HEAD: where the first unchecked line of the
	                               head starts (the lines before it were checked) */
};

/* A request awaiting its response. */
struct http_pending {
	uint32_t exchange;          /* its exchange number */
	uint8_t method;             /* HTTP_M_* */
};

/* Per connection. */
struct http_conn {
	struct http_half half[2];   /* 0 requests, 1 responses */
	/* Responses answer the requests in order (RFC 9112 9.3.2): requests
	 * answered + 1 .. half[0].n_msgs are pending, the oldest is the one the
	 * next final response answers; with none pending a response is an
	 * orphan (exchange 0). */
	uint32_t answered;          /* requests answered by a final response */
	/* Methods of the oldest pending requests, oldest first (a ring): a
	 * HEAD's response has no body, a CONNECT's 2xx turns the stream opaque. */
	struct http_pending pending[HTTP_MAX_PENDING];
	uint8_t pend_head, pend_n;
	bool upgraded;              /* 101 Switching Protocols or CONNECT 2xx: opaque from here */
	bool stop_at_101;           /* set by the caller (an h2c offer): a feed returns right after
	                               a 101 head, leaving the bytes that follow it unconsumed for
	                               the protocol switched to */
	/* an optional body sink (DNS over HTTPS): decoded body bytes (chunk
	 * framing excluded) as they go by, with the message's exchange number;
	 * it must only copy.  NULL: none (http_init's default). */
	void (*body_fn)(void *ctx, int dir, uint32_t exchange, const uint8_t *p, size_t n);
	void *body_ctx;
	uint64_t n_scanned;         /* bytes the head, line and chunk scanners examined: a
	                               measure of work (the unit tests check it stays linear
	                               in the input, however it is split) */
};

/* Request methods the framing rules care about (the rest are HTTP_M_OTHER). */
enum { HTTP_M_OTHER = 0, HTTP_M_HEAD, HTTP_M_CONNECT };

void http_init(struct http_conn *h);

/*
 * Does a stream that starts with these bytes look like HTTP/1.x?  dir 0:
 * a request line with a method of the IANA registry and an origin-form
 * ("/...") or asterisk-form target, or else a whole first line "METHOD SP
 * target SP HTTP/1.x" (an extension method, another target form); dir 1:
 * "HTTP/1.x NNN".  So "NICK foo", "GNUTELLA CONNECT/0.6", Redis or the
 * HTTP/2 preface are not HTTP.  Answers FT_OK (yes), FT_NEED_MORE (too
 * few bytes to tell), FT_UNSUPPORTED (no).
 */
enum ft_status http_sniff(int dir, const uint8_t *data, size_t len);

/*
 * Feed in-order bytes of one direction.  Returns the bytes consumed: a
 * head that is not complete yet is left unconsumed (offered again with
 * more bytes); body bytes are always consumed.  Appends events to *out.
 * Never reads outside data[0..len), never allocates.
 */
size_t http_feed(struct http_conn *h, int dir, const uint8_t *data, size_t len,
		 struct http_events *out);

/* `len` bytes of this direction were lost (capture gap, snap length). */
void http_gap(struct http_conn *h, int dir, uint64_t len, struct http_events *out);

/* This direction ended (FIN/RST/end of capture): ends a close-delimited
 * body (HTTP_EV_END), or says a message was cut short. */
void http_end(struct http_conn *h, int dir, struct http_events *out);

/* Does an Alt-Svc field value (RFC 7838 3) offer HTTP/3: an alternative whose
 * protocol id is "h3" or a draft's "h3-NN"?  Pure; reads v->b[0..v->len). */
bool http_alt_svc_h3(const struct http_str *v);
/* The same for a value given as bytes (an HTTP/2 or HTTP/3 field). */
bool http_alt_svc_h3_bytes(const char *b, size_t n);

#endif
