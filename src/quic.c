/* quic.c - QUIC header decoder: long headers walked by Length, short header, VN (RFC 9000 17). */
#include <string.h>

#include "quic.h"
#include "rd.h"

/*
 * Long header (RFC 9000 17.2; the invariant part is RFC 8999 5.1):
 *
 *   1 | fixed(1) | type(2) | type-specific(4)
 *   version(32)
 *   dcid_len(8) | dcid[dcid_len]
 *   scid_len(8) | scid[scid_len]
 *   Initial:           token_len(varint) | token | Length(varint) | pn+payload[Length]
 *   0-RTT, Handshake:  Length(varint) | pn+payload[Length]
 *   Retry:             token ... | integrity tag(128)   (to the datagram end)
 *   version 0 (VN):    supported versions(32) ...        (to the datagram end)
 *
 * Short header (RFC 9000 17.3): 0 | fixed(1) | ... | dcid (length known
 * only to the endpoint) | pn | payload, to the datagram end.
 *
 * Decisions:
 *   - Versions we parse past the CIDs: 1, 2 (RFC 9369: type bits
 *     permuted), drafts 29..34 (v1 layout).  CID lengths above 20 are
 *     MALFORMED for them.  Any other version is QUIC only by the RFC 8999
 *     invariants: CIDs of up to 255 bytes are accepted, the first 20 kept
 *     (dcid_len/scid_len say how many were kept), the type is read with
 *     the v1 bits, and the walk ends there (why says so, status OK).
 *   - Header protection needs pn_offset + 4 + 16 bytes (RFC 9001 5.4.2):
 *     a Length below 20, or a short-header datagram below 21 bytes, cannot
 *     be a protected packet.  Length < 20 is MALFORMED; a short datagram
 *     below 21 is TRUNCATED (most likely the snap length).
 *   - Bytes cut anywhere in a long header, or a Length reaching past the
 *     datagram, are TRUNCATED with every packet decoded so far kept.  What
 *     cannot be told from a whole datagram: a cut exactly between
 *     coalesced packets, a Retry cut after at least 1 token byte and its
 *     tag's worth, a VN cut after a whole version, a short header cut
 *     after 21 bytes (these run to the datagram end by design).
 *   - After the first packet, a byte with the fixed bit clear ends the walk
 *     as trailing junk (status OK with a why): RFC 9000 12.2 lets a
 *     receiver drop what follows.  On the first packet it means not QUIC.
 */

#define QUIC_WALK_MAX 64   /* packets walked per datagram (recorded or counted) */
#define QUIC_HP_MIN 20     /* RFC 9001 5.4.2: 4 packet-number bytes + 16 sample bytes */

/* Variable-length integer (RFC 9000 16): the top two bits give 1/2/4/8 bytes. */
static bool rd_varint(struct rd *r, uint64_t *v)
{
	uint8_t b;
	size_t n;

	if (!rd_has(r, 1))
		return false;
	n = (size_t)1 << (r->buf[r->off] >> 6);
	if (!rd_has(r, n))
		return false;
	(void)rd_u8(r, &b);
	*v = b & 0x3f;
	for (size_t i = 1; i < n; i++) {
		(void)rd_u8(r, &b);
		*v = *v << 8 | b;
	}
	return true;
}

static bool version_v1_layout(uint32_t v)
{
	return v == 1 || (v >= 0xff00001d && v <= 0xff000022);
}

static bool version_known(uint32_t v) { return v == 0x6b3343cf || version_v1_layout(v); }

static enum quic_type long_type(uint32_t version, uint8_t bits)
{
	static const enum quic_type v1[4] = { QUIC_INITIAL, QUIC_0RTT, QUIC_HANDSHAKE, QUIC_RETRY };
	static const enum quic_type v2[4] = { QUIC_RETRY, QUIC_INITIAL, QUIC_0RTT, QUIC_HANDSHAKE };

	return version == 0x6b3343cf ? v2[bits & 3] : v1[bits & 3];
}

/* A connection id: length byte, then bytes; the first QUIC_CID_MAX kept. */
static bool read_cid(struct rd *r, uint8_t *len_out, uint8_t *buf, uint8_t *wire_len)
{
	uint8_t len;
	struct rd cid;

	if (!rd_u8(r, &len) || !rd_sub(r, len, &cid))
		return false;
	*wire_len = len;
	*len_out = len < QUIC_CID_MAX ? len : QUIC_CID_MAX;
	(void)rd_copy(&cid, buf, *len_out);
	return true;
}

struct walk {
	enum ft_status status;
	const char *why;
	bool end;   /* the packet runs to the datagram end, or the walk cannot go on */
};

/* One long-header packet at r; r moves past it. */
static struct walk long_packet(struct rd *r, struct quic_pkt *p)
{
	struct walk w = { FT_OK, NULL, false };
	uint8_t b0, dlen, slen;

	(void)rd_u8(r, &b0);
	if (!rd_be32(r, &p->version))
		return (struct walk){ FT_TRUNCATED, "long header cut in version", true };
	if (p->version == 0) {
		p->type = QUIC_VERSION_NEG;
	} else {
		p->type = long_type(p->version, (uint8_t)(b0 >> 4));
	}
	if (!read_cid(r, &p->dcid_len, p->dcid, &dlen))
		return (struct walk){ FT_TRUNCATED, "long header cut in DCID", true };
	if (!read_cid(r, &p->scid_len, p->scid, &slen))
		return (struct walk){ FT_TRUNCATED, "long header cut in SCID", true };

	if (p->version == 0) {
		/* RFC 9000 17.2.1: a list of 32-bit versions fills the rest. */
		if (rd_left(r) == 0 || rd_left(r) % 4 != 0)
			return (struct walk){ FT_TRUNCATED, "version list cut", true };
		(void)rd_skip(r, rd_left(r));
		w.end = true;
		return w;
	}
	if (!version_known(p->version)) {
		(void)rd_skip(r, rd_left(r));
		return (struct walk){ FT_OK, "unknown version: only the invariant header decoded",
				      true };
	}
	if (dlen > QUIC_CID_MAX)
		return (struct walk){ FT_MALFORMED, "DCID longer than 20 bytes", true };
	if (slen > QUIC_CID_MAX)
		return (struct walk){ FT_MALFORMED, "SCID longer than 20 bytes", true };

	if (p->type == QUIC_RETRY) {
		/* RFC 9000 17.2.5: token (a client discards an empty one,
		 * 17.2.5.2), then the 16-byte integrity tag; both run to the
		 * datagram end, so only a cut before 17 bytes can be seen. */
		if (rd_left(r) < 1 + 16)
			return (struct walk){ FT_TRUNCATED, "Retry integrity tag cut", true };
		(void)rd_skip(r, rd_left(r));
		w.end = true;
		return w;
	}
	if (p->type == QUIC_INITIAL) {
		if (!rd_varint(r, &p->token_len))
			return (struct walk){ FT_TRUNCATED, "Initial cut in token length", true };
		if (rd_left(r) < p->token_len)
			return (struct walk){ FT_TRUNCATED, "Initial token past the datagram end",
					      true };
		(void)rd_skip(r, (size_t)p->token_len);
	}
	if (!rd_varint(r, &p->length))
		return (struct walk){ FT_TRUNCATED, "long header cut in Length", true };
	if (p->length < QUIC_HP_MIN)
		return (struct walk){ FT_MALFORMED, "Length too small for a protected packet",
				      true };
	if (rd_left(r) < p->length)
		return (struct walk){ FT_TRUNCATED, "packet Length past the datagram end", true };
	(void)rd_skip(r, (size_t)p->length);
	return w;
}

enum ft_status quic_decode(const uint8_t *data, size_t len, struct quic_info *out)
{
	struct rd r = rd_make(data, len);
	unsigned walked = 0;

	memset(out, 0, sizeof *out);
	out->status = FT_OK;
	if (len == 0) {
		out->status = FT_TRUNCATED;
		out->why = "empty datagram";
		return out->status;
	}
	/* Each turn consumes at least the first byte or ends: the loop ends. */
	while (rd_left(&r) > 0) {
		uint8_t b0 = r.buf[r.off];
		struct quic_pkt scratch;
		struct quic_pkt *p = out->n_pkts < QUIC_MAX_PACKETS ? &out->pkt[out->n_pkts] : &scratch;
		struct walk w;
		bool is_long = (b0 & 0x80) != 0;

		if (walked >= QUIC_WALK_MAX) {
			out->why = "coalesced packet walk stopped at its bound";
			break;
		}
		/* Fixed bit clear: not QUIC, except a version negotiation, which
		 * may set it either way (RFC 9000 17.2.1). */
		if ((b0 & 0x40) == 0) {
			bool vn = is_long && rd_has(&r, 5) && r.buf[r.off + 1] == 0 &&
				  r.buf[r.off + 2] == 0 && r.buf[r.off + 3] == 0 &&
				  r.buf[r.off + 4] == 0;

			if (!vn && walked > 0) {
				out->why = "trailing bytes after the last packet are not QUIC";
				break;
			}
			if (!vn && !(is_long && !rd_has(&r, 5))) {
				out->status = FT_UNSUPPORTED;
				out->why = "fixed bit is 0: not QUIC";
				break;
			}
		}
		memset(p, 0, sizeof *p);
		walked++;
		if (!is_long) {
			/* RFC 9000 17.3: a short header runs to the datagram end. */
			p->type = QUIC_SHORT;
			if (rd_left(&r) < 1 + QUIC_HP_MIN)
				w = (struct walk){ FT_TRUNCATED, "short header packet too short", true };
			else
				w = (struct walk){ FT_OK, NULL, true };
			(void)rd_skip(&r, rd_left(&r));
		} else {
			w = long_packet(&r, p);
		}
		if (p == &scratch) {
			if (out->n_more < UINT8_MAX)
				out->n_more++;
		} else {
			out->n_pkts++;
		}
		if (w.status != FT_OK || w.why) {
			out->status = w.status;
			out->why = w.why;
		}
		if (w.end || w.status != FT_OK)
			break;
	}
	return out->status;
}

const char *quic_version_name(uint32_t v)
{
	static const char *const drafts[] = { "draft-29", "draft-30", "draft-31", "draft-32",
					      "draft-33", "draft-34" };

	if (v == 0)
		return "negotiation";
	if (v == 1)
		return "1";
	if (v == 0x6b3343cf)
		return "2";
	if (v >= 0xff00001d && v <= 0xff000022)
		return drafts[v - 0xff00001d];
	/* RFC 9000 15: versions 0x?a?a?a?a are reserved to exercise negotiation. */
	if ((v & 0x0f0f0f0f) == 0x0a0a0a0a)
		return "GREASE";
	return NULL;
}
