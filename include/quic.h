/* quic.h - QUIC packet header decoder (RFC 9000 17, RFC 8999): the invariant fields. */
#ifndef FT_QUIC_H
#define FT_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define QUIC_CID_MAX 20       /* connection id bytes (RFC 9000 17.2: at most 20 in v1) */
#define QUIC_MAX_PACKETS 8    /* coalesced long-header packets recorded per datagram */

enum quic_type {
	QUIC_SHORT = 0,       /* 1-RTT (short header) */
	QUIC_INITIAL,
	QUIC_0RTT,
	QUIC_HANDSHAKE,
	QUIC_RETRY,
	QUIC_VERSION_NEG,     /* version 0 */
};

struct quic_pkt {
	enum quic_type type;
	uint32_t version;             /* long header: version */
	uint8_t dcid_len, scid_len;   /* long header: both; short: unknown (dcid_len 0) */
	uint8_t dcid[QUIC_CID_MAX];
	uint8_t scid[QUIC_CID_MAX];
	uint64_t token_len;           /* Initial: token length */
	uint64_t length;              /* Initial/0-RTT/Handshake: the Length field */
};

struct quic_info {
	uint8_t n_pkts;               /* packets recorded (coalesced long headers, or one short) */
	uint8_t n_more;               /* further coalesced packets not recorded */
	struct quic_pkt pkt[QUIC_MAX_PACKETS];
	enum ft_status status;        /* OK, TRUNCATED, MALFORMED, UNSUPPORTED (not QUIC) */
	const char *why;
};

/*
 * Decode the headers of one UDP datagram's QUIC packets (coalesced long
 * header packets are walked by their Length fields, with a bound; a short
 * header ends the walk).  Pure: never reads outside data[0..len).
 */
enum ft_status quic_decode(const uint8_t *data, size_t len, struct quic_info *out);

/* "1" for version 1, "2" for 0x6b3343cf, "draft-29" ...; NULL unknown. */
const char *quic_version_name(uint32_t v);

#endif
