/* quicframe.h - QUIC frame decoder for decrypted packet payloads (RFC 9000 19, RFC 9221 4). */
#ifndef FT_QUICFRAME_H
#define FT_QUICFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define QUICFRAME_MAX 48          /* frames kept per payload; more are counted in n_dropped */
#define QUICFRAME_CID_MAX 20      /* NEW_CONNECTION_ID: connection id bytes (RFC 9000 19.15) */

/* Frame types (RFC 9000 19, RFC 9221 4); STREAM is 0x08..0x0f with the OFF/LEN/FIN bits. */
enum {
	QF_PADDING = 0x00, QF_PING = 0x01, QF_ACK = 0x02, QF_ACK_ECN = 0x03,
	QF_RESET_STREAM = 0x04, QF_STOP_SENDING = 0x05, QF_CRYPTO = 0x06, QF_NEW_TOKEN = 0x07,
	QF_STREAM = 0x08, QF_MAX_DATA = 0x10, QF_MAX_STREAM_DATA = 0x11,
	QF_MAX_STREAMS_BIDI = 0x12, QF_MAX_STREAMS_UNI = 0x13, QF_DATA_BLOCKED = 0x14,
	QF_STREAM_DATA_BLOCKED = 0x15, QF_STREAMS_BLOCKED_BIDI = 0x16,
	QF_STREAMS_BLOCKED_UNI = 0x17, QF_NEW_CONNECTION_ID = 0x18,
	QF_RETIRE_CONNECTION_ID = 0x19, QF_PATH_CHALLENGE = 0x1a, QF_PATH_RESPONSE = 0x1b,
	QF_CONNECTION_CLOSE = 0x1c, QF_CONNECTION_CLOSE_APP = 0x1d, QF_HANDSHAKE_DONE = 0x1e,
	QF_DATAGRAM = 0x30, QF_DATAGRAM_LEN = 0x31,
};

/*
 * One decoded frame.  Which fields mean something depends on type (the
 * others stay 0).  Slices (data) point into the payload passed in and are
 * valid as long as it is.
 */
struct quicframe {
	uint64_t type;              /* the frame type as on the wire (STREAM: 0x08..0x0f) */
	size_t wire_len;            /* bytes of the payload this frame took */
	/* stream frames: STREAM, RESET_STREAM, STOP_SENDING, MAX_STREAM_DATA, STREAM_DATA_BLOCKED */
	uint64_t stream_id;
	/* STREAM, CRYPTO: offset; STREAM, CRYPTO, NEW_TOKEN, DATAGRAM: data length;
	   PADDING: the run of padding bytes (one event for a run) */
	uint64_t offset;
	uint64_t length;
	bool fin;                   /* STREAM: FIN bit */
	const uint8_t *data;        /* STREAM/CRYPTO/NEW_TOKEN/DATAGRAM data, CONNECTION_CLOSE reason */
	/* RESET_STREAM, STOP_SENDING, CONNECTION_CLOSE (0x1c: transport, 0x1d: application) */
	uint64_t error_code;
	uint64_t final_size;        /* RESET_STREAM */
	uint64_t frame_type;        /* CONNECTION_CLOSE 0x1c: the frame type that triggered it */
	/* MAX_DATA, MAX_STREAM_DATA, MAX_STREAMS, DATA_BLOCKED, STREAM_DATA_BLOCKED,
	   STREAMS_BLOCKED: the limit; NEW_CONNECTION_ID, RETIRE_CONNECTION_ID: sequence number */
	uint64_t value;
	uint64_t retire_prior_to;   /* NEW_CONNECTION_ID */
	uint8_t cid_len;            /* NEW_CONNECTION_ID */
	uint8_t cid[QUICFRAME_CID_MAX];
	uint8_t token[16];          /* NEW_CONNECTION_ID: stateless reset token */
	uint8_t path_data[8];       /* PATH_CHALLENGE / PATH_RESPONSE */
	/* ACK, ACK_ECN (RFC 9000 19.3) */
	uint64_t largest;           /* Largest Acknowledged */
	uint64_t smallest;          /* the smallest packet number the ranges acknowledge */
	uint64_t ack_delay;         /* raw, in units of 2^ack_delay_exponent microseconds */
	uint64_t n_ranges;          /* ACK Range Count (ranges after the first) */
	uint64_t first_range;
	uint64_t ecn[3];            /* ACK_ECN: ECT0, ECT1, ECN-CE counts */
};

struct quicframe_events {
	uint16_t n;                 /* frames in f[] */
	uint16_t n_dropped;         /* frames decoded but not kept (f[] full) */
	struct quicframe f[QUICFRAME_MAX];
	enum ft_status status;      /* OK, TRUNCATED (the payload ends inside a frame),
	                               MALFORMED, UNSUPPORTED (an unknown frame type) */
	const char *why;            /* static text when status != OK */
	size_t err_off;             /* where the frame that stopped the walk starts */
};

/*
 * A variable-length integer (RFC 9000 16) at p[0..len): FT_OK with *used
 * bytes, or FT_NEED_MORE when p holds a strict prefix of one.
 */
enum ft_status quic_varint(const uint8_t *p, size_t len, uint64_t *v, size_t *used);

/* The same through a reader (rd.h): true and the reader past it, or
 * false (reader unmoved) when the reader holds a strict prefix of one. */
struct rd;
bool quic_varint_read(struct rd *r, uint64_t *v);

/*
 * Decode the frame at the start of p[0..len) into *f, *used = its length.
 * FT_OK; FT_TRUNCATED when p holds a strict prefix of a frame; FT_MALFORMED
 * (a field out of range, e.g. ACK ranges below 0, a CID longer than 20);
 * FT_UNSUPPORTED for an unknown frame type.  A run of PADDING bytes is one
 * frame.  Pure: never reads outside p[0..len), never allocates.
 */
enum ft_status quicframe_next(const uint8_t *p, size_t len, struct quicframe *f, size_t *used);

/* Every frame of a decrypted payload into ev (cleared first); the walk
 * stops at the first frame that does not decode.  Returns ev->status. */
enum ft_status quicframe_parse(const uint8_t *p, size_t len, struct quicframe_events *ev);

/* "PADDING", "ACK", "STREAM", "CONNECTION_CLOSE", "DATAGRAM" ...; NULL unknown. */
const char *quicframe_name(uint64_t type);

/*
 * Transport error codes (RFC 9000 20.1): "NO_ERROR", "PROTOCOL_VIOLATION"...
 * 0x0100..0x01ff is "CRYPTO_ERROR": the TLS alert is code & 0xff
 * (tls_alert_name).  NULL unknown.
 */
const char *quic_transport_error_name(uint64_t code);

#endif
