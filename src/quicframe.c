/* quicframe.c - QUIC frame decoder for decrypted payloads (RFC 9000 19, RFC 9221 4). */
#include <string.h>

#include "quicframe.h"
#include "rd.h"

/*
 * A payload is frames back to back, each a varint type then fields by
 * type (RFC 9000 12.4, 19).  Lengths inside frames are varints checked
 * against what is left, never trusted: a frame whose fields run past the
 * payload end is TRUNCATED (a strict prefix of a good frame always is),
 * one whose fields contradict each other (ACK ranges below packet 0, a
 * CID length above 20, an offset + length past 2^62) MALFORMED, an
 * unknown type UNSUPPORTED (its length cannot be known, so the walk
 * stops there).
 */

#define VARINT_MAX ((UINT64_C(1) << 62) - 1)

enum ft_status quic_varint(const uint8_t *p, size_t len, uint64_t *v, size_t *used)
{
	size_t n;
	uint64_t x;

	if (len == 0)
		return FT_NEED_MORE;
	n = (size_t)1 << (p[0] >> 6);
	if (len < n)
		return FT_NEED_MORE;
	x = p[0] & 0x3f;
	for (size_t i = 1; i < n; i++)
		x = x << 8 | p[i];
	*v = x;
	*used = n;
	return FT_OK;
}

bool quic_varint_read(struct rd *r, uint64_t *v)
{
	size_t used;

	if (quic_varint(rd_ptr(r), rd_left(r), v, &used) != FT_OK)
		return false;
	(void)rd_skip(r, used);
	return true;
}

struct fname {
	uint64_t type;
	const char *name;
};

static const struct fname frame_names[] = {
	{ QF_PADDING, "PADDING" },
	{ QF_PING, "PING" },
	{ QF_ACK, "ACK" },
	{ QF_ACK_ECN, "ACK_ECN" },
	{ QF_RESET_STREAM, "RESET_STREAM" },
	{ QF_STOP_SENDING, "STOP_SENDING" },
	{ QF_CRYPTO, "CRYPTO" },
	{ QF_NEW_TOKEN, "NEW_TOKEN" },
	{ QF_MAX_DATA, "MAX_DATA" },
	{ QF_MAX_STREAM_DATA, "MAX_STREAM_DATA" },
	{ QF_MAX_STREAMS_BIDI, "MAX_STREAMS" },
	{ QF_MAX_STREAMS_UNI, "MAX_STREAMS" },
	{ QF_DATA_BLOCKED, "DATA_BLOCKED" },
	{ QF_STREAM_DATA_BLOCKED, "STREAM_DATA_BLOCKED" },
	{ QF_STREAMS_BLOCKED_BIDI, "STREAMS_BLOCKED" },
	{ QF_STREAMS_BLOCKED_UNI, "STREAMS_BLOCKED" },
	{ QF_NEW_CONNECTION_ID, "NEW_CONNECTION_ID" },
	{ QF_RETIRE_CONNECTION_ID, "RETIRE_CONNECTION_ID" },
	{ QF_PATH_CHALLENGE, "PATH_CHALLENGE" },
	{ QF_PATH_RESPONSE, "PATH_RESPONSE" },
	{ QF_CONNECTION_CLOSE, "CONNECTION_CLOSE" },
	{ QF_CONNECTION_CLOSE_APP, "CONNECTION_CLOSE" },
	{ QF_HANDSHAKE_DONE, "HANDSHAKE_DONE" },
	{ QF_DATAGRAM, "DATAGRAM" },
	{ QF_DATAGRAM_LEN, "DATAGRAM" },
};

const char *quicframe_name(uint64_t type)
{
	if (type >= 0x08 && type <= 0x0f)
		return "STREAM";
	for (size_t i = 0; i < sizeof frame_names / sizeof frame_names[0]; i++)
		if (frame_names[i].type == type)
			return frame_names[i].name;
	return NULL;
}

/* RFC 9000 20.1 (and RFC 9221, RFC 9368 for the later registrations). */
static const struct fname error_names[] = {
	{ 0x00, "NO_ERROR" },
	{ 0x01, "INTERNAL_ERROR" },
	{ 0x02, "CONNECTION_REFUSED" },
	{ 0x03, "FLOW_CONTROL_ERROR" },
	{ 0x04, "STREAM_LIMIT_ERROR" },
	{ 0x05, "STREAM_STATE_ERROR" },
	{ 0x06, "FINAL_SIZE_ERROR" },
	{ 0x07, "FRAME_ENCODING_ERROR" },
	{ 0x08, "TRANSPORT_PARAMETER_ERROR" },
	{ 0x09, "CONNECTION_ID_LIMIT_ERROR" },
	{ 0x0a, "PROTOCOL_VIOLATION" },
	{ 0x0b, "INVALID_TOKEN" },
	{ 0x0c, "APPLICATION_ERROR" },
	{ 0x0d, "CRYPTO_BUFFER_EXCEEDED" },
	{ 0x0e, "KEY_UPDATE_ERROR" },
	{ 0x0f, "AEAD_LIMIT_REACHED" },
	{ 0x10, "NO_VIABLE_PATH" },
	{ 0x11, "VERSION_NEGOTIATION_ERROR" },
};

const char *quic_transport_error_name(uint64_t code)
{
	if (code >= 0x0100 && code <= 0x01ff)
		return "CRYPTO_ERROR";
	for (size_t i = 0; i < sizeof error_names / sizeof error_names[0]; i++)
		if (error_names[i].type == code)
			return error_names[i].name;
	return NULL;
}

/*
 * ACK (RFC 9000 19.3):
 *
 *   type(0x02/0x03) | Largest Acknowledged | ACK Delay | ACK Range Count |
 *   First ACK Range | { Gap | ACK Range Length } * count |
 *   [0x03: ECT0 Count | ECT1 Count | ECN-CE Count]
 *
 * Each turn of the range loop reads two varints (at least 2 bytes) or
 * returns, so it runs at most len / 2 times whatever the count says.
 */
static enum ft_status frame_ack(struct rd *r, struct quicframe *f)
{
	uint64_t smallest;

	if (!quic_varint_read(r, &f->largest) || !quic_varint_read(r, &f->ack_delay) ||
	    !quic_varint_read(r, &f->n_ranges) || !quic_varint_read(r, &f->first_range))
		return FT_TRUNCATED;
	if (f->first_range > f->largest)
		return FT_MALFORMED;
	smallest = f->largest - f->first_range;
	for (uint64_t i = 0; i < f->n_ranges; i++) {
		uint64_t gap, range;

		if (!quic_varint_read(r, &gap) || !quic_varint_read(r, &range))
			return FT_TRUNCATED;
		/* The next range ends at smallest - gap - 2 (RFC 9000 19.3.1). */
		if (smallest < gap + 2)
			return FT_MALFORMED;
		smallest -= gap + 2;
		if (range > smallest)
			return FT_MALFORMED;
		smallest -= range;
	}
	f->smallest = smallest;
	if (f->type == QF_ACK_ECN) {
		for (int i = 0; i < 3; i++)
			if (!quic_varint_read(r, &f->ecn[i]))
				return FT_TRUNCATED;
	}
	return FT_OK;
}

/* length bytes of data, kept as a slice. */
static enum ft_status frame_data(struct rd *r, struct quicframe *f)
{
	if (rd_left(r) < f->length)
		return FT_TRUNCATED;
	f->data = rd_ptr(r);
	(void)rd_skip(r, (size_t)f->length);
	return FT_OK;
}

/*
 * STREAM (RFC 9000 19.8): type 0b00001OLF
 *   Stream ID | [O: Offset] | [L: Length] | data (L clear: to the payload end)
 */
static enum ft_status frame_stream(struct rd *r, struct quicframe *f)
{
	bool has_off = (f->type & 0x04) != 0, has_len = (f->type & 0x02) != 0;

	f->fin = (f->type & 0x01) != 0;
	if (!quic_varint_read(r, &f->stream_id))
		return FT_TRUNCATED;
	if (has_off && !quic_varint_read(r, &f->offset))
		return FT_TRUNCATED;
	if (has_len) {
		if (!quic_varint_read(r, &f->length))
			return FT_TRUNCATED;
	} else {
		f->length = rd_left(r);
	}
	if (f->offset + f->length > VARINT_MAX)   /* both <= 2^62 - 1: no wrap */
		return FT_MALFORMED;
	return frame_data(r, f);
}

/* One frame's fields after its type. */
static enum ft_status frame_body(struct rd *r, struct quicframe *f)
{
	uint64_t u;
	uint8_t cl;

	switch (f->type) {
	case QF_PADDING:
		/* A run of 0x00 bytes is one event (a padded Initial holds ~1000). */
		f->length = 1;
		while (rd_left(r) > 0 && r->buf[r->off] == 0) {
			(void)rd_skip(r, 1);
			f->length++;
		}
		return FT_OK;
	case QF_PING:
	case QF_HANDSHAKE_DONE:
		return FT_OK;
	case QF_ACK:
	case QF_ACK_ECN:
		return frame_ack(r, f);
	case QF_RESET_STREAM:
		/* Stream ID | Application Protocol Error Code | Final Size */
		if (!quic_varint_read(r, &f->stream_id) || !quic_varint_read(r, &f->error_code) ||
		    !quic_varint_read(r, &f->final_size))
			return FT_TRUNCATED;
		return FT_OK;
	case QF_STOP_SENDING:
		if (!quic_varint_read(r, &f->stream_id) || !quic_varint_read(r, &f->error_code))
			return FT_TRUNCATED;
		return FT_OK;
	case QF_CRYPTO:
		/* Offset | Length | Crypto Data */
		if (!quic_varint_read(r, &f->offset) || !quic_varint_read(r, &f->length))
			return FT_TRUNCATED;
		if (f->offset + f->length > VARINT_MAX)
			return FT_MALFORMED;
		return frame_data(r, f);
	case QF_NEW_TOKEN:
		if (!quic_varint_read(r, &f->length))
			return FT_TRUNCATED;
		if (f->length == 0)
			return FT_MALFORMED;   /* RFC 9000 19.7: an empty token is an error */
		return frame_data(r, f);
	case QF_MAX_DATA:
	case QF_DATA_BLOCKED:
	case QF_MAX_STREAMS_BIDI:
	case QF_MAX_STREAMS_UNI:
	case QF_STREAMS_BLOCKED_BIDI:
	case QF_STREAMS_BLOCKED_UNI:
	case QF_RETIRE_CONNECTION_ID:
		if (!quic_varint_read(r, &f->value))
			return FT_TRUNCATED;
		/* RFC 9000 19.11: a stream count above 2^60 is an error. */
		if ((f->type >= QF_MAX_STREAMS_BIDI && f->type <= QF_MAX_STREAMS_UNI) ||
		    (f->type >= QF_STREAMS_BLOCKED_BIDI && f->type <= QF_STREAMS_BLOCKED_UNI))
			if (f->value > (UINT64_C(1) << 60))
				return FT_MALFORMED;
		return FT_OK;
	case QF_MAX_STREAM_DATA:
	case QF_STREAM_DATA_BLOCKED:
		if (!quic_varint_read(r, &f->stream_id) || !quic_varint_read(r, &f->value))
			return FT_TRUNCATED;
		return FT_OK;
	case QF_NEW_CONNECTION_ID:
		/* Sequence Number | Retire Prior To | Length(8) | CID | Reset Token(128) */
		if (!quic_varint_read(r, &f->value) || !quic_varint_read(r, &f->retire_prior_to) ||
		    !rd_u8(r, &cl))
			return FT_TRUNCATED;
		if (cl < 1 || cl > QUICFRAME_CID_MAX)
			return FT_MALFORMED;
		if (f->retire_prior_to > f->value)
			return FT_MALFORMED;
		f->cid_len = cl;
		if (!rd_copy(r, f->cid, cl) || !rd_copy(r, f->token, sizeof f->token))
			return FT_TRUNCATED;
		return FT_OK;
	case QF_PATH_CHALLENGE:
	case QF_PATH_RESPONSE:
		if (!rd_copy(r, f->path_data, sizeof f->path_data))
			return FT_TRUNCATED;
		return FT_OK;
	case QF_CONNECTION_CLOSE:
	case QF_CONNECTION_CLOSE_APP:
		/* Error Code | [0x1c: Frame Type] | Reason Phrase Length | Reason Phrase */
		if (!quic_varint_read(r, &f->error_code))
			return FT_TRUNCATED;
		if (f->type == QF_CONNECTION_CLOSE && !quic_varint_read(r, &f->frame_type))
			return FT_TRUNCATED;
		if (!quic_varint_read(r, &u))
			return FT_TRUNCATED;
		f->length = u;
		return frame_data(r, f);
	case QF_DATAGRAM:
		f->length = rd_left(r);
		return frame_data(r, f);
	case QF_DATAGRAM_LEN:
		if (!quic_varint_read(r, &f->length))
			return FT_TRUNCATED;
		return frame_data(r, f);
	default:
		if (f->type >= 0x08 && f->type <= 0x0f)
			return frame_stream(r, f);
		return FT_UNSUPPORTED;
	}
}

enum ft_status quicframe_next(const uint8_t *p, size_t len, struct quicframe *f, size_t *used)
{
	struct rd r = rd_make(p, len);
	enum ft_status st;

	memset(f, 0, sizeof *f);
	*used = 0;
	if (!quic_varint_read(&r, &f->type))
		return FT_TRUNCATED;
	st = frame_body(&r, f);
	if (st != FT_OK)
		return st;
	f->wire_len = r.off;
	*used = r.off;
	return FT_OK;
}

enum ft_status quicframe_parse(const uint8_t *p, size_t len, struct quicframe_events *ev)
{
	size_t off = 0;

	ev->n = 0;
	ev->n_dropped = 0;
	ev->status = FT_OK;
	ev->why = NULL;
	ev->err_off = 0;
	/* Every frame takes at least one byte: the loop runs at most len times. */
	while (off < len) {
		struct quicframe scratch;
		struct quicframe *f = ev->n < QUICFRAME_MAX ? &ev->f[ev->n] : &scratch;
		size_t used;
		enum ft_status st = quicframe_next(p + off, len - off, f, &used);

		if (st != FT_OK) {
			ev->status = st;
			ev->err_off = off;
			ev->why = st == FT_TRUNCATED   ? "payload ends inside a frame"
				  : st == FT_MALFORMED ? "frame fields out of range"
						       : "unknown frame type";
			break;
		}
		if (f == &scratch) {
			if (ev->n_dropped < UINT16_MAX)
				ev->n_dropped++;
		} else {
			ev->n++;
		}
		off += used;
	}
	return ev->status;
}
