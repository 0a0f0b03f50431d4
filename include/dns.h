/* dns.h - DNS message decoder (RFC 1035, 3596, 2782, 6891, 9460). */
#ifndef FT_DNS_H
#define FT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define DNS_NAME_TEXT_MAX 520 /* 255 wire bytes, each '.' or '\\' in a label doubled, + NUL */
#define DNS_MAX_RR 32         /* records kept per message; the rest are counted */

/* Record types we decode by name (others print as TYPEnnn). */
enum {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_PTR = 12,
	DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_SRV = 33,
	DNS_T_OPT = 41, DNS_T_SVCB = 64, DNS_T_HTTPS = 65, DNS_T_CAA = 257,
};

enum { DNS_C_IN = 1 };

enum dns_section { DNS_SEC_ANSWER = 0, DNS_SEC_AUTHORITY, DNS_SEC_ADDITIONAL };

/*
 * A domain name in presentation form: labels joined by '.', the root is
 * ".".  Label bytes are copied raw (the output layer escapes them),
 * except that a '.' or '\\' inside a label is stored as "\\." / "\\\\" so
 * the dots stay unambiguous.  No trailing dot except for the root.
 */
struct dns_name {
	uint16_t len;                   /* bytes in text, not counting the NUL */
	char text[DNS_NAME_TEXT_MAX];   /* NUL-terminated */
};

#define DNS_TXT_MAX 64       /* character-strings kept per TXT record; the rest are counted */
#define DNS_SVC_MAX 32       /* SvcParams kept per SVCB/HTTPS record; the rest are counted */
#define DNS_SVC_ITEMS_MAX 64 /* ALPN ids and hint addresses kept per SVCB/HTTPS record */

/* Bytes inside the message given to dns_decode: valid as long as it is. */
struct dns_bytes {
	const uint8_t *p;
	uint16_t len;
};

/* TXT (RFC 1035 3.3.14): the character-strings, raw (the output escapes). */
struct dns_txt {
	uint16_t n;                        /* strings in s[] */
	uint16_t n_more;                   /* strings beyond DNS_TXT_MAX, not kept */
	struct dns_bytes s[DNS_TXT_MAX];
};

/* CAA (RFC 8659 4.1): flags, a tag of 1..255 bytes, the value (the rest). */
struct dns_caa {
	uint8_t flags;
	struct dns_bytes tag, value;
};

/* How one SvcParam's value was read (RFC 9460 7). */
enum dns_svc_kind {
	DNS_SVC_OTHER = 0,  /* any other key, or a value of the wrong size: shown by length */
	DNS_SVC_ALPN,       /* key 1: length-prefixed protocol ids, in items (up to a bad one) */
	DNS_SVC_PORT,       /* key 3 with a 2-byte value: port */
	DNS_SVC_IPV4,       /* key 4 with a multiple of 4 bytes: addresses, in items */
	DNS_SVC_IPV6,       /* key 6 with a multiple of 16 bytes: addresses, in items */
};

struct dns_svc_param {
	uint16_t key;                /* SvcParamKey */
	uint16_t len;                /* value bytes */
	enum dns_svc_kind kind;
	uint16_t port;               /* DNS_SVC_PORT */
	uint8_t first, n;            /* ALPN/IPV4/IPV6: its values are items[first .. first + n) */
	uint16_t n_more;             /* values beyond DNS_SVC_ITEMS_MAX, not kept */
};

/* SVCB/HTTPS SvcParams (RFC 9460 2.2); priority and target are in dns_rr. */
struct dns_svc {
	uint8_t n;                         /* params in param[] */
	uint16_t n_more;                   /* params beyond DNS_SVC_MAX, not kept */
	uint8_t n_items;                   /* entries used in items[] */
	struct dns_svc_param param[DNS_SVC_MAX];
	struct dns_bytes items[DNS_SVC_ITEMS_MAX]; /* ALPN ids; 4- or 16-byte addresses */
};

struct dns_rr {
	enum dns_section section;  /* which section it came from */
	struct dns_name name;      /* owner name */
	uint16_t type;             /* DNS_T_* or any other number */
	uint16_t cls;              /* class; for OPT the UDP payload size */
	uint32_t ttl;              /* TTL; for OPT the extended rcode/version/flags */
	uint16_t rdlen;            /* RDATA length from the record */
	enum ft_status rd_status;  /* FT_OK, or why the RDATA could not be decoded */
	const uint8_t *rdata;      /* RDATA bytes inside the message buffer (shown raw for other types) */

	/* Decoded RDATA, by type. */
	uint8_t addr[16];          /* A (4 bytes) / AAAA (16 bytes) */
	struct dns_name target;    /* CNAME/NS/PTR target, MX exchange, SRV target, SOA mname, SVCB target */
	struct dns_name rname;     /* SOA rname */
	uint16_t prio;             /* MX preference, SRV priority, SVCB priority */
	uint16_t weight, port;     /* SRV */
	uint32_t serial, refresh, retry, expire, minimum; /* SOA */
	union {                    /* only with rd_status FT_OK, by type: */
		struct dns_txt txt;    /* TXT */
		struct dns_caa caa;    /* CAA */
		struct dns_svc svc;    /* SVCB, HTTPS */
	} rd;
};

struct dns_msg {
	uint16_t id;               /* transaction id */
	uint16_t flags;            /* the 16 flag bits as on the wire */
	bool qr, aa, tc, rd, ra, ad, cd; /* header bits (RFC 1035 4.1.1, RFC 4035 3.2) */
	uint8_t opcode;            /* 0 QUERY, 4 NOTIFY, 5 UPDATE ... */
	uint16_t rcode;            /* rcode, extended by the OPT record when present */
	uint16_t qdcount, ancount, nscount, arcount; /* counts from the header */

	bool has_question;         /* the first question was decoded */
	struct dns_name qname;     /* first question: name */
	uint16_t qtype, qclass;    /* first question: type and class */

	uint16_t n_rr;             /* records decoded into rr[] */
	uint16_t n_rr_dropped;     /* records decoded but not kept (beyond DNS_MAX_RR) */
	struct dns_rr rr[DNS_MAX_RR];

	bool edns;                 /* an OPT record was present */
	uint16_t edns_size;        /* advertised UDP payload size */
	uint8_t edns_version;      /* EDNS version */
	bool edns_do;              /* DNSSEC OK bit */

	enum ft_status status;     /* FT_OK, TRUNCATED (ran out of bytes) or MALFORMED */
	const char *why;           /* static text when status != FT_OK */
};

/*
 * Decode one DNS message (no TCP length prefix).  Never reads outside
 * msg[0..len); fills as much of *out as the bytes allow, so a truncated
 * message still shows its header and question.  Returns out->status.
 * The records' byte slices (rdata, rd.txt, rd.caa, rd.svc) point into
 * msg: the caller keeps msg alive as long as it uses *out.
 */
enum ft_status dns_decode(const uint8_t *msg, size_t len, struct dns_msg *out);

/* Names for numbers.  An unknown value gives NULL, so the caller prints
 * the number itself ("TYPE65280", "CLASS9", "RCODE11"). */
const char *dns_type_name(uint16_t type);
const char *dns_class_name(uint16_t cls);
const char *dns_rcode_name(uint16_t rcode);   /* NOERROR, NXDOMAIN, ... */
const char *dns_opcode_name(uint8_t opcode);

/* Case-insensitive (ASCII) comparison of two presentation names. */
bool dns_name_equal(const struct dns_name *a, const struct dns_name *b);

/* FNV-1a of a name's text, ASCII letters folded (names compare without case). */
uint32_t dns_name_hash(const struct dns_name *nm);

#endif
