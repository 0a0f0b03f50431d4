/* h3.h - HTTP/3 (RFC 9114) over the QUIC streams of one connection, request streams as exchanges. */
#ifndef FT_H3_H
#define FT_H3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hpack.h"
#include "qpack.h"
#include "status.h"

/*
 * One struct h3_conn per QUIC connection whose ALPN is h3.  The caller
 * (the QUIC layer) hands it the data of every STREAM frame it decrypted,
 * in the order the packets came: h3_stream_data(stream id, direction,
 * offset, bytes, FIN).  Direction 0 is client to server.
 *
 * Streams (RFC 9000 2.1, RFC 9114 6): the two low bits of the stream id
 * say who opened it and whether it is bidirectional.
 *   - client-initiated bidirectional (id % 4 == 0): request streams, one
 *     exchange each (request frames from the client, response frames
 *     from the server);
 *   - unidirectional (id % 4 == 2 from the client, 3 from the server):
 *     the first varint is the type: control 0x00, push 0x01 (then a push
 *     id, then response frames), QPACK encoder 0x02 (its bytes go to the
 *     QPACK decoder of that side), QPACK decoder 0x03 (acknowledgements
 *     for the other side's encoder: counted, not needed to decode);
 *     other types (reserved 0x1f * N + 0x21, extensions) are skipped;
 *   - server-initiated bidirectional streams are not HTTP/3: skipped.
 *
 * Frames (RFC 9114 7.2) are followed byte by byte: type and length
 * varints, then the payload.  DATA is counted; HEADERS and PUSH_PROMISE
 * payloads are collected (up to H3_BLOCK_MAX) and decoded as one QPACK
 * block when whole; SETTINGS, GOAWAY, CANCEL_PUSH and MAX_PUSH_ID
 * payloads are gathered and decoded; reserved and unknown types are
 * skipped; HTTP/2's frame types (0x02, 0x06, 0x08, 0x09) and frames on
 * the wrong stream are marked (H3_FRAME_UNEXPECTED) and skipped.  Events
 * happen when a frame's last byte goes by, so how the bytes were cut
 * never changes them.
 *
 * Offsets: each stream direction is decoded in order.  Bytes before the
 * next expected offset (retransmissions) are trimmed; bytes after it
 * (a STREAM frame that arrived before an earlier one) wait in one of
 * H3_OOO_SLOTS holding areas of H3_OOO_MAX bytes, and are decoded when
 * the hole is filled.  When they do not fit (no free area, too far
 * ahead), that stream direction has a gap: H3_EV_GAP, and it is not
 * decoded any more (a frame boundary cannot be found again; on an
 * encoder stream the QPACK table becomes unknown: its decoder stops).
 * Bytes that wait for a hole that never fills are never decoded
 * (h3_info: n_held_bytes).
 *
 * QPACK: two decoders, one per side, each created with the capacity and
 * blocked-streams limit the *other* side announced in its SETTINGS
 * (capped, see qpack.h).  A block that arrives before any SETTINGS from
 * the decoding side uses the defaults (0, 0: static table only); its
 * decoder is made again when the SETTINGS come, as long as nothing was
 * read from the encoder stream yet.  A block that waits for encoder
 * stream inserts (blocked) comes out later as H3_EV_HEADERS.
 *
 * Wiring (the QUIC layer's part): when a connection's EncryptedExtensions
 * chose ALPN "h3", h3_new with the trace's struct hpack_budget (the same
 * total as the HPACK inflaters).  For each decrypted 1-RTT packet, in
 * capture order, each STREAM frame (type 0x08..0x0f) goes to
 * h3_stream_data (its stream id, the packet's direction, offset, data,
 * length, FIN) and each RESET_STREAM / STOP_SENDING to h3_stream_reset;
 * the events say what to print on that packet's line.  At
 * CONNECTION_CLOSE or the end of the capture, h3_exchange_next lists the
 * exchanges that never finished; then h3_free.
 *
 * Memory: h3_new allocates the connection (the stream table, the block
 * buffers and the holding areas: about 150 KiB); the QPACK decoders' tables are
 * counted in the budget given.  h3_stream_data allocates nothing except
 * what a QPACK table grows by (capped, counted) and the copy of a blocked
 * block (capped, counted).
 */

#define H3_MAX_STREAMS 64          /* streams followed at once (request and unidirectional) */
#define H3_MAX_EVENTS 32           /* events kept for one call; more are counted */
#define H3_MAX_HEADS 8             /* decoded header blocks carried by one call's events */
#define H3_MAX_DONE 8              /* finished exchanges carried by one call's events */
#define H3_BLOCK_MAX (16u * 1024)  /* a HEADERS / PUSH_PROMISE payload collected at most */
#define H3_MAX_COLLECT 4           /* header blocks being collected at once */
#define H3_OOO_SLOTS 4             /* holding areas for bytes ahead of a hole */
#define H3_OOO_MAX (8u * 1024)     /* bytes one holding area keeps */
#define H3_SMALL_MAX 96            /* SETTINGS / GOAWAY / ... payload bytes decoded */
#define H3_MAX_SETTINGS 8          /* settings of one SETTINGS frame kept in its event */
#define H3_CLOSED_RING 64          /* recently finished request streams remembered */

#define H3_METHOD_MAX 16           /* bytes of :method kept per exchange */
#define H3_PATH_MAX 128            /* bytes of :path kept per exchange */
#define H3_AUTH_MAX 64             /* bytes of :authority kept per exchange */
#define H3_CTYPE_MAX 48            /* bytes of content-type kept per exchange */

/* Frame types (RFC 9114 7.2, 11.2.1). */
enum {
	H3_DATA = 0x00, H3_HEADERS = 0x01, H3_CANCEL_PUSH = 0x03, H3_SETTINGS = 0x04,
	H3_PUSH_PROMISE = 0x05, H3_GOAWAY = 0x07, H3_MAX_PUSH_ID = 0x0d,
};

/* Unidirectional stream types (RFC 9114 6.2, RFC 9204 4.2). */
enum {
	H3_UNI_CONTROL = 0x00, H3_UNI_PUSH = 0x01, H3_UNI_QPACK_ENCODER = 0x02,
	H3_UNI_QPACK_DECODER = 0x03,
};

/* Settings (RFC 9114 7.2.4.1, RFC 9204 5). */
enum {
	H3_SET_QPACK_MAX_TABLE_CAPACITY = 0x01, H3_SET_MAX_FIELD_SECTION_SIZE = 0x06,
	H3_SET_QPACK_BLOCKED_STREAMS = 0x07, H3_SET_ENABLE_CONNECT_PROTOCOL = 0x08,
	H3_SET_H3_DATAGRAM = 0x33,
};

/* What a stream is. */
enum h3_stream_kind {
	H3_SK_NONE = 0,
	H3_SK_REQUEST,         /* client-initiated bidirectional */
	H3_SK_UNI_PENDING,     /* unidirectional, type not read yet */
	H3_SK_CONTROL,
	H3_SK_PUSH,
	H3_SK_ENCODER,         /* QPACK encoder stream */
	H3_SK_DECODER,         /* QPACK decoder stream */
	H3_SK_OTHER,           /* reserved / unknown unidirectional type: skipped */
	H3_SK_SERVER_BIDI,     /* server-initiated bidirectional: not HTTP/3, skipped */
};

/* A short string kept per exchange: raw bytes (the output layer escapes). */
#define H3_SHORT(n)                                                                      \
	struct {                                                                         \
		uint8_t len;  /* bytes in b */                                           \
		bool cut;     /* the value was longer */                                 \
		char b[n];                                                               \
	}

enum h3_head_kind {
	H3_HEAD_REQUEST = 1,   /* the client's request headers */
	H3_HEAD_INFO,          /* a 1xx response (more follow) */
	H3_HEAD_RESPONSE,      /* the final response headers */
	H3_HEAD_TRAILERS,      /* trailers (either side) */
	H3_HEAD_PUSH,          /* PUSH_PROMISE: the request of a pushed response */
};

/* One request stream (or push stream): one exchange (RFC 9114 4.1). */
struct h3_exchange {
	uint64_t stream_id;
	uint32_t exchange;         /* numbered in order of appearance, from 1 */
	bool pushed;               /* a push stream (its push id in push_id) */
	uint64_t push_id;
	bool req_seen, resp_seen;  /* request headers, final response headers decoded */
	bool end[2];               /* FIN from the client (0) / server (1) */
	bool reset;                /* RESET_STREAM: the exchange was cancelled */
	uint8_t reset_dir;         /* who sent it */
	uint64_t reset_code;       /* its error code (h3_error_name) */
	bool stop_sending[2];      /* STOP_SENDING from this side */
	uint64_t stop_code[2];
	bool gap[2];               /* bytes lost this way: not decoded from there */
	uint16_t status;           /* final :status, 0 until then */
	uint64_t req_length;       /* request content-length, UINT64_MAX when absent */
	uint64_t resp_length;      /* response content-length, UINT64_MAX when absent */
	uint64_t data[2];          /* DATA payload bytes each way */
	uint32_t n_data[2];        /* DATA frames each way */
	H3_SHORT(H3_METHOD_MAX) method;
	H3_SHORT(H3_PATH_MAX) path;
	H3_SHORT(H3_AUTH_MAX) authority;
	H3_SHORT(H3_CTYPE_MAX) content_type;  /* the response's */
};

enum h3_ev_kind {
	H3_EV_STREAM = 1,    /* a stream's kind became known (skind; uni_type for unidirectional) */
	H3_EV_FRAME,         /* a frame ended (its fields below) */
	H3_EV_HEADERS,       /* a header block that waited for QPACK inserts decoded (or failed) */
	H3_EV_STREAM_DONE,   /* an exchange ended both ways or was reset: xchg is its final state */
	H3_EV_GAP,           /* bytes of a stream direction missing: not decoded from here */
	H3_EV_ERROR,         /* a problem not tied to a frame (why): a QPACK encoder stream
	                        error, data on a stream that cannot carry it ... */
};

struct h3_setting {
	uint64_t id;
	uint64_t value;
};

struct h3_ev {
	enum h3_ev_kind kind;
	uint8_t dir;               /* 0 client to server, 1 server to client */
	uint64_t stream_id;
	enum h3_stream_kind skind;
	uint64_t uni_type;         /* H3_EV_STREAM on a unidirectional stream */
	/* H3_EV_FRAME */
	uint64_t type;             /* frame type */
	uint64_t length;           /* payload length */
	uint32_t exchange;         /* the stream's exchange number (0: none) */
	bool fin;                  /* the stream's FIN came with this frame's last byte */
	uint64_t data_len;         /* DATA: payload bytes */
	uint64_t body_done;        /* DATA: this side's DATA bytes on the stream so far */
	uint64_t body_total;       /* DATA: content-length of this side, UINT64_MAX unknown */
	const struct hpack_headers *head; /* HEADERS / PUSH_PROMISE / H3_EV_HEADERS: the block that
	                                     decoded (valid until the next call), else NULL */
	enum h3_head_kind head_kind;
	bool blocked;              /* HEADERS: the block waits for QPACK inserts (H3_EV_HEADERS later) */
	uint64_t push_id;          /* PUSH_PROMISE, CANCEL_PUSH, a push stream */
	uint64_t id;               /* GOAWAY: stream/push id; MAX_PUSH_ID: the id */
	uint8_t n_settings;        /* SETTINGS: entries in settings[] */
	uint16_t n_settings_all;   /* SETTINGS: entries in the frame */
	struct h3_setting settings[H3_MAX_SETTINGS];
	/* H3_EV_STREAM_DONE */
	const struct h3_exchange *xchg;
	/* H3_EV_GAP */
	uint64_t bytes;
	/* a problem with this frame or event (MALFORMED: a protocol error, a block that did not
	   decode; UNSUPPORTED: not followed, e.g. a block too large or no room), static text */
	enum ft_status status;
	const char *why;
};

/* What one call produced.  Blocks and finished exchanges live here so events can point at them. */
struct h3_events {
	uint8_t n;                 /* events in ev */
	uint8_t n_dropped;         /* events beyond H3_MAX_EVENTS */
	uint8_t n_heads;           /* blocks in heads[] */
	uint8_t n_done;            /* exchanges in done[] */
	struct h3_ev ev[H3_MAX_EVENTS];
	struct hpack_headers heads[H3_MAX_HEADS];
	struct h3_exchange done[H3_MAX_DONE];
};

struct h3_conn; /* opaque: h3_new / h3_free */

/* Counters and flags a caller may read. */
struct h3_info {
	bool settings[2];           /* a SETTINGS frame from this side */
	uint64_t qpack_capacity[2]; /* SETTINGS_QPACK_MAX_TABLE_CAPACITY this side announced */
	uint64_t qpack_blocked[2];  /* SETTINGS_QPACK_BLOCKED_STREAMS this side announced */
	bool goaway[2];             /* a GOAWAY from this side */
	uint64_t goaway_id[2];
	uint32_t n_exchanges;       /* exchanges ever opened */
	uint32_t n_open;            /* streams in the table now */
	uint32_t n_overflow;        /* streams not followed: the table was full */
	uint64_t n_frames[2];       /* frames each way */
	uint64_t n_unknown[2];      /* frames of reserved or unknown types skipped */
	uint64_t n_errors[2];       /* protocol errors noted */
	uint64_t n_gaps;            /* stream directions that lost bytes */
	uint64_t n_dup_bytes;       /* bytes received again (retransmissions), trimmed */
	uint64_t n_held_bytes;      /* bytes held ahead of a hole now */
	uint64_t n_ahead;           /* STREAM frames that arrived ahead of a hole (held) */
	uint64_t n_late;            /* STREAM data for a finished exchange, ignored */
	enum qpack_err qpack_err[2]; /* each side's QPACK decoder state */
	uint64_t qpack_inserts[2];  /* inserts each side's encoder stream made */
};

/* A new connection, counted in budget (which must outlive it); NULL when memory says no. */
struct h3_conn *h3_new(struct hpack_budget *budget);
void h3_free(struct h3_conn *c);

/*
 * The data of one STREAM frame: stream_id, sent by dir (0 client, 1
 * server), at offset, len bytes, with the FIN bit.  Appends events to ev
 * (clear it with h3_events_clear before a batch the caller reads).
 */
void h3_stream_data(struct h3_conn *c, uint64_t stream_id, int dir, uint64_t offset,
		    const uint8_t *data, size_t len, bool fin, struct h3_events *ev);

/*
 * RESET_STREAM (stop_sending false) or STOP_SENDING (true) for stream_id,
 * sent by dir, with its application error code.  A RESET_STREAM ends the
 * exchange (H3_EV_STREAM_DONE, reset); STOP_SENDING is noted on it.
 */
void h3_stream_reset(struct h3_conn *c, uint64_t stream_id, int dir, uint64_t code,
		     bool stop_sending, struct h3_events *ev);

/* Clear an events struct before a batch (the caller's, reused). */
void h3_events_clear(struct h3_events *ev);

void h3_info(const struct h3_conn *c, struct h3_info *out);

/* The exchange of a request stream while it is followed, else NULL (valid until the next call). */
const struct h3_exchange *h3_exchange_find(const struct h3_conn *c, uint64_t stream_id);

/*
 * The exchanges still open (no FIN both ways, no reset), e.g. at a
 * CONNECTION_CLOSE or the end of a capture: start with *iter = 0, call
 * until NULL.  Valid until the next h3_stream_data / h3_stream_reset.
 */
const struct h3_exchange *h3_exchange_next(const struct h3_conn *c, unsigned *iter);

/* Names: "DATA", "HEADERS" ...; "control", "QPACK encoder" ...; "H3_NO_ERROR" ...;
 * "SETTINGS_QPACK_MAX_TABLE_CAPACITY" ...; NULL unknown (reserved and GREASE included). */
const char *h3_frame_name(uint64_t type);
const char *h3_uni_name(uint64_t type);
const char *h3_error_name(uint64_t code);
const char *h3_setting_name(uint64_t id);

/* A reserved ("GREASE") value of RFC 9114 7.2.8 / 6.2.3 / 8.1: 0x1f * N + 0x21. */
bool h3_is_reserved(uint64_t v);

#endif
