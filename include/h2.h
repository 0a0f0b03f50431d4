/* h2.h - streaming HTTP/2 frame decoder (RFC 9113) for one connection, streams as exchanges. */
#ifndef FT_H2_H
#define FT_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hpack.h"
#include "status.h"

/*
 * One struct h2_conn per HTTP/2 connection (cleartext prior knowledge, TLS
 * with ALPN "h2", or h2c after an HTTP/1.1 Upgrade).  The caller feeds each
 * direction's in-order bytes (0 client to server, 1 server to client);
 * h2_feed consumes all of them (frame headers and payloads are followed
 * byte by byte, nothing is held back), and appends events that happen at
 * fixed points of the byte stream (a frame's last byte, a header block's
 * last byte), so the events do not depend on how the bytes were cut.
 *
 * Detection, and what the caller must do:
 *   - prior knowledge / ALPN h2: h2_sniff_preface on the client's first
 *     bytes; then h2_new and feed both directions from their first byte
 *     (the client's starts with the 24-byte preface, the server's with a
 *     SETTINGS frame).
 *   - Upgrade: h2c (RFC 7540 3.2, removed from RFC 9113 but still sent):
 *     the client's HTTP/1.1 request carries "Upgrade: h2c" (h2_upgrade_token)
 *     and HTTP2-Settings; when the server answers 101, the HTTP/1.1 decoder
 *     stops after the 101's head.  The caller then calls h2_new and
 *     h2_open_upgraded (stream 1 is that request, already sent whole: its
 *     response comes as HTTP/2 HEADERS on stream 1), and feeds the server's
 *     bytes after the 101 head (a SETTINGS frame, no preface:
 *     h2_sniff_settings) and the client's bytes after its request (the
 *     preface, then frames).
 *   - a capture that starts in the middle of an HTTP/2 connection has no
 *     frame boundary to start from: not followed.
 *
 * Gaps: HTTP/2 has no resynchronisation point (any byte may be a frame
 * header's first), and a lost header block leaves the HPACK table unknown,
 * so after h2_gap that direction is not decoded any more (H2_EV_OPAQUE);
 * its streams stay as they were, the other direction goes on.
 *
 * Memory: h2_new allocates the connection (about 100 KiB: the stream table
 * and the two blocks in progress) and two HPACK inflaters, all counted in
 * the budget given; h2_free gives it back.  No allocation in h2_feed
 * except what an inflater's dynamic table grows by (capped, counted).
 */

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24
#define H2_FRAME_HEADER_LEN 9

#define H2_MAX_STREAMS 256        /* streams followed at once; more are counted (n_overflow) */
#define H2_MAX_EVENTS 32          /* events kept for one feed; more are counted */
#define H2_MAX_HEADS 8            /* decoded header blocks carried by one feed's events */
#define H2_MAX_DONE 8             /* finished streams carried by one feed's events */
#define H2_BLOCK_MAX (256u * 1024) /* header block bytes (HEADERS + CONTINUATION) followed */
#define H2_DEBUG_MAX 64           /* GOAWAY debug data bytes kept */
#define H2_MAX_SETTINGS 8         /* settings of one SETTINGS frame kept in its event */

#define H2_METHOD_MAX 16          /* bytes of :method kept per stream */
#define H2_PATH_MAX 128           /* bytes of :path kept per stream */
#define H2_AUTH_MAX 64            /* bytes of :authority kept per stream */
#define H2_CTYPE_MAX 48           /* bytes of content-type kept per stream */

/* Frame types (RFC 9113 6). */
enum {
	H2_DATA = 0, H2_HEADERS = 1, H2_PRIORITY = 2, H2_RST_STREAM = 3, H2_SETTINGS = 4,
	H2_PUSH_PROMISE = 5, H2_PING = 6, H2_GOAWAY = 7, H2_WINDOW_UPDATE = 8, H2_CONTINUATION = 9,
};

/* Frame flags (RFC 9113 6). */
enum {
	H2_F_END_STREAM = 0x01, H2_F_ACK = 0x01, H2_F_END_HEADERS = 0x04, H2_F_PADDED = 0x08,
	H2_F_PRIORITY = 0x20,
};

/* Settings (RFC 9113 6.5.2). */
enum {
	H2_SET_HEADER_TABLE_SIZE = 1, H2_SET_ENABLE_PUSH = 2, H2_SET_MAX_CONCURRENT_STREAMS = 3,
	H2_SET_INITIAL_WINDOW_SIZE = 4, H2_SET_MAX_FRAME_SIZE = 5, H2_SET_MAX_HEADER_LIST_SIZE = 6,
};

/* A short string kept per stream: raw bytes (the output layer escapes). */
#define H2_SHORT(n)                                                                      \
	struct {                                                                         \
		uint8_t len;  /* bytes in b */                                           \
		bool cut;     /* the value was longer */                                 \
		char b[n];                                                               \
	}

/* What a header block on a stream was. */
enum h2_head_kind {
	H2_HEAD_REQUEST = 1,   /* the client's request headers */
	H2_HEAD_INFO,          /* a 1xx response (more follow) */
	H2_HEAD_RESPONSE,      /* the final response headers */
	H2_HEAD_TRAILERS,      /* trailers (either side) */
	H2_HEAD_PUSH,          /* PUSH_PROMISE: the request of a pushed stream */
};

/* One stream: one exchange (RFC 9113 5.1, 8.1). */
struct h2_stream {
	uint32_t id;               /* stream identifier; 0 = a free slot */
	uint32_t exchange;         /* exchanges numbered in order of appearance, from 1 */
	bool pushed;               /* opened by the server's PUSH_PROMISE */
	bool req_seen, resp_seen;  /* request headers, final response headers decoded */
	bool end[2];               /* END_STREAM seen from the client (0) / server (1) */
	bool reset;                /* RST_STREAM: the exchange was cancelled */
	uint8_t reset_dir;         /* which side sent it */
	uint32_t reset_code;       /* its error code (h2_error_name) */
	bool goaway_refused;       /* above the last stream id of a GOAWAY: never processed */
	uint16_t status;           /* final :status, 0 until then */
	uint64_t req_length;       /* request content-length, UINT64_MAX when absent */
	uint64_t resp_length;      /* response content-length, UINT64_MAX when absent */
	uint64_t data[2];          /* DATA payload bytes (padding excluded) each way */
	uint32_t n_data[2];        /* DATA frames each way */
	H2_SHORT(H2_METHOD_MAX) method;
	H2_SHORT(H2_PATH_MAX) path;
	H2_SHORT(H2_AUTH_MAX) authority;
	H2_SHORT(H2_CTYPE_MAX) content_type;  /* the response's */
	H2_SHORT(H2_CTYPE_MAX) req_content_type; /* the request's */
};

enum h2_ev_kind {
	H2_EV_PREFACE = 1,   /* the client connection preface went by */
	H2_EV_FRAME,         /* a frame ended (its fields below) */
	H2_EV_STREAM_DONE,   /* a stream ended both ways or was reset: stream points at its final state */
	H2_EV_GAP,           /* bytes lost (bytes): this direction is not decoded any more */
	H2_EV_OPAQUE,        /* from here this direction is not HTTP/2 we follow (why) */
};

struct h2_setting {
	uint16_t id;
	uint32_t value;
};

struct h2_ev {
	enum h2_ev_kind kind;
	uint8_t dir;               /* 0 client to server, 1 server to client */
	bool after_goaway;         /* a GOAWAY was seen (either way) before this event ended */
	/* H2_EV_FRAME */
	uint8_t type, flags;       /* frame type and flags */
	uint32_t stream_id;        /* frame's stream (31 bits) */
	uint32_t length;           /* frame payload length */
	uint32_t exchange;         /* the stream's exchange number (0: connection, or not followed) */
	bool end_stream;           /* DATA/HEADERS with END_STREAM */
	uint32_t data_len;         /* DATA: payload bytes less padding */
	uint64_t body_done;        /* DATA: this side's DATA bytes on the stream so far */
	uint64_t body_total;       /* DATA: content-length of this side, UINT64_MAX unknown */
	const struct hpack_headers *head; /* the frame ended a header block that decoded (valid
	                                     until the next feed); NULL otherwise */
	enum h2_head_kind head_kind;      /* with head */
	uint32_t promised_id;      /* PUSH_PROMISE */
	uint32_t window_inc;       /* WINDOW_UPDATE */
	uint32_t error_code;       /* RST_STREAM, GOAWAY */
	uint32_t last_stream_id;   /* GOAWAY */
	uint8_t debug_len;         /* GOAWAY: debug data bytes in debug (raw: escape to print) */
	bool debug_cut;            /* more debug data than H2_DEBUG_MAX */
	uint8_t debug[H2_DEBUG_MAX];
	uint8_t ping[8];           /* PING opaque data */
	uint8_t n_settings;        /* SETTINGS: entries in settings[] */
	uint16_t n_settings_all;   /* SETTINGS: entries in the frame */
	struct h2_setting settings[H2_MAX_SETTINGS];
	uint32_t dep_stream;       /* PRIORITY (or HEADERS with PRIORITY): stream dependency */
	uint8_t weight;            /* its weight - 1, as on the wire */
	bool exclusive;
	/* H2_EV_STREAM_DONE */
	const struct h2_stream *stream; /* final state (valid until the next feed) */
	/* H2_EV_GAP */
	uint64_t bytes;
	/* a problem with this frame (MALFORMED: a protocol error, the header block
	 * that did not decode, the stream table full ...), or H2_EV_OPAQUE's reason */
	enum ft_status status;
	const char *why;           /* static text */
	/* where the event's bytes ended: feed_end bytes of the h2_feed call that made it were
	 * consumed (h2.c); `at`, set by the caller, is the transport's 1-based position of the
	 * last byte of what carried it (the frame, or the TLS record), 0 unknown (issue 14) */
	uint32_t feed_end;
	uint64_t at;
};

/* What one feed produced.  Blocks and finished streams live here so events can point at them. */
struct h2_events {
	uint8_t n;                 /* events in ev */
	uint8_t n_dropped;         /* events beyond H2_MAX_EVENTS */
	uint8_t n_heads;           /* blocks in heads[] */
	uint8_t n_done;            /* streams in done[] */
	struct h2_ev ev[H2_MAX_EVENTS];
	struct hpack_headers heads[H2_MAX_HEADS];
	struct h2_stream done[H2_MAX_DONE];
};

struct h2_conn; /* opaque: h2_new / h2_free */

/* Counters and flags a caller may read. */
struct h2_info {
	bool preface_seen;          /* the client's preface went by */
	bool goaway[2];             /* a GOAWAY from this side */
	bool stopped[2];            /* this direction is not decoded any more */
	uint32_t n_streams;         /* streams ever opened */
	uint32_t n_open;            /* streams in the table now */
	uint32_t n_overflow;        /* streams not followed: the table was full */
	uint64_t n_frames[2];       /* frames each way */
	uint64_t n_unknown[2];      /* frames of unknown types skipped */
	uint64_t n_errors[2];       /* protocol errors noted */
	enum hpack_err hpack_err[2]; /* each direction's HPACK state */
};

/* The client's first bytes: FT_OK the preface, FT_NEED_MORE a prefix of it,
 * FT_UNSUPPORTED not HTTP/2. */
enum ft_status h2_sniff_preface(const uint8_t *data, size_t len);

/* The server's first bytes after a 101 to "Upgrade: h2c" (or the client's after
 * its preface): a SETTINGS frame header on stream 0 with a length that is a
 * multiple of 6.  FT_OK / FT_NEED_MORE / FT_UNSUPPORTED. */
enum ft_status h2_sniff_settings(const uint8_t *data, size_t len);

/* An Upgrade header value (a comma-separated token list, RFC 9110 7.8) offers h2c. */
bool h2_upgrade_token(const uint8_t *value, size_t len);

/* A new connection, counted in budget (which must outlive it); NULL when the
 * budget or memory says no. */
struct h2_conn *h2_new(struct hpack_budget *budget);
void h2_free(struct h2_conn *c);

/* The HTTP/1.1 request an h2c upgrade answered becomes stream 1 (its request
 * side already ended).  Strings are raw bytes (copied); settings_b64 is the
 * HTTP2-Settings header value (base64url SETTINGS payload, RFC 7540 3.2.1),
 * or NULL: its SETTINGS_HEADER_TABLE_SIZE applies to the server's encoder. */
void h2_open_upgraded(struct h2_conn *c, const char *method, size_t method_len, const char *path,
		      size_t path_len, const char *authority, size_t authority_len,
		      const char *settings_b64, size_t settings_len);

/*
 * DATA payload bytes (padding excluded) as they go by, for a caller that
 * wants a body (DNS over HTTPS): fn is called from h2_feed with each piece,
 * in order, after the events of the frames before it were appended.  It
 * must only copy.  NULL fn: none (the default).
 */
typedef void (*h2_data_fn)(void *ctx, int dir, uint32_t stream_id, const uint8_t *p, size_t n);
void h2_set_data_sink(struct h2_conn *c, h2_data_fn fn, void *ctx);

/* Feed in-order bytes of direction dir; returns bytes consumed (always len). */
size_t h2_feed(struct h2_conn *c, int dir, const uint8_t *data, size_t len, struct h2_events *ev);

/* len bytes of direction dir were lost: that direction stops (see above). */
void h2_gap(struct h2_conn *c, int dir, uint64_t len, struct h2_events *ev);

/* Clear an events struct before a feed (the caller's, reused). */
void h2_events_clear(struct h2_events *ev);

void h2_info(const struct h2_conn *c, struct h2_info *out);

/* The stream with this id while it is followed, else NULL (valid until the next feed). */
const struct h2_stream *h2_stream_find(const struct h2_conn *c, uint32_t id);

/* Names: "DATA", "SETTINGS" ...; "NO_ERROR", "CANCEL" ...; "HEADER_TABLE_SIZE" ...; NULL unknown. */
const char *h2_frame_name(uint8_t type);
const char *h2_error_name(uint32_t code);
const char *h2_setting_name(uint16_t id);

#endif
