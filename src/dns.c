/* dns.c - pure DNS message decoder: header, question, records, RDATA by type. */
#include <stddef.h>
#include <string.h>

#include "dns.h"
#include "rd.h"

/* ------------------------------------------------------------------ */
/* Names for numbers                                                   */
/* ------------------------------------------------------------------ */

struct dns_tok {
	uint16_t value;
	const char *name;
};

/* RFC 1035 3.2.2, RFC 3596, 2782, 6891, 4034, 5155, 6844, 3403, 6672,
 * 6698, 9460. */
static const struct dns_tok type_names[] = {
	{ 1, "A" },        { 2, "NS" },       { 5, "CNAME" },   { 6, "SOA" },
	{ 12, "PTR" },     { 15, "MX" },      { 16, "TXT" },    { 28, "AAAA" },
	{ 33, "SRV" },     { 35, "NAPTR" },   { 39, "DNAME" },  { 41, "OPT" },
	{ 43, "DS" },      { 46, "RRSIG" },   { 47, "NSEC" },   { 48, "DNSKEY" },
	{ 50, "NSEC3" },   { 52, "TLSA" },    { 64, "SVCB" },   { 65, "HTTPS" },
	{ 252, "AXFR" },   { 255, "ANY" },    { 257, "CAA" },
};

/* RFC 1035 3.2.4, RFC 2136 (NONE). */
static const struct dns_tok class_names[] = {
	{ 1, "IN" }, { 3, "CH" }, { 4, "HS" }, { 254, "NONE" }, { 255, "ANY" },
};

/* RFC 1035 4.1.1, RFC 2136, RFC 6891 (16 is BADVERS in OPT, BADSIG in
 * TSIG; we name the EDNS meaning), RFC 2845, RFC 7873. */
static const struct dns_tok rcode_names[] = {
	{ 0, "NOERROR" },  { 1, "FORMERR" },  { 2, "SERVFAIL" }, { 3, "NXDOMAIN" },
	{ 4, "NOTIMP" },   { 5, "REFUSED" },  { 6, "YXDOMAIN" }, { 7, "YXRRSET" },
	{ 8, "NXRRSET" },  { 9, "NOTAUTH" },  { 10, "NOTZONE" }, { 16, "BADVERS" },
	{ 17, "BADKEY" },  { 18, "BADTIME" }, { 23, "BADCOOKIE" },
};

/* RFC 1035 4.1.1, RFC 1996 (NOTIFY), RFC 2136 (UPDATE), RFC 8490 (DSO). */
static const struct dns_tok opcode_names[] = {
	{ 0, "QUERY" }, { 1, "IQUERY" }, { 2, "STATUS" },
	{ 4, "NOTIFY" }, { 5, "UPDATE" }, { 6, "DSO" },
};

static const char *tok_find(const struct dns_tok *t, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

#define TOK_FIND(t, v) tok_find((t), sizeof(t) / sizeof((t)[0]), (v))

const char *dns_type_name(uint16_t type) { return TOK_FIND(type_names, type); }
const char *dns_class_name(uint16_t cls) { return TOK_FIND(class_names, cls); }
const char *dns_rcode_name(uint16_t rcode) { return TOK_FIND(rcode_names, rcode); }
const char *dns_opcode_name(uint8_t opcode) { return TOK_FIND(opcode_names, opcode); }

static unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

bool dns_name_equal(const struct dns_name *a, const struct dns_name *b)
{
	if (a->len != b->len || a->len >= DNS_NAME_TEXT_MAX)
		return false;
	for (size_t i = 0; i < a->len; i++)
		if (ascii_lower((unsigned char)a->text[i]) !=
		    ascii_lower((unsigned char)b->text[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Domain names                                                        */
/* ------------------------------------------------------------------ */

#define NAME_WIRE_MAX 255  /* RFC 1035 2.3.4: octets of a name on the wire */
#define NAME_MAX_HOPS 128  /* compression pointers followed per name */

/* A problem found while decoding: the status and its static reason. */
struct dns_err {
	enum ft_status st;
	const char *why;
};

static bool fail(struct dns_err *e, enum ft_status st, const char *why)
{
	e->st = st;
	e->why = why;
	return false;
}

static bool name_put(struct dns_name *n, char c)
{
	/* Cannot fail for a name within NAME_WIRE_MAX (at most 507 text
	 * bytes fit in DNS_NAME_TEXT_MAX); the check keeps that local. */
	if (n->len >= DNS_NAME_TEXT_MAX - 1)
		return false;
	n->text[n->len++] = c;
	n->text[n->len] = '\0';
	return true;
}

/* Where the reader in r sits inside the message (r is msg itself or a
 * slice of it, such as one record's RDATA). */
static size_t msg_pos(const uint8_t *msg, const struct rd *r)
{
	return (size_t)(r->buf - msg) + r->off;
}

/*
 * RFC 1035 3.1 and 4.1.4: a name is a sequence of labels ending in the
 * zero-length root label, or in a compression pointer.
 *
 *     +--+--+--+--+--+--+--+--+
 *     | 0  0|  LENGTH (1..63) |  followed by LENGTH label bytes
 *     +--+--+--+--+--+--+--+--+
 *     | 1  1|      OFFSET ... |  14-bit offset from the message start
 *     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *
 * Label types 01 and 10 (RFC 6891 6.2 retired the extended ones) are
 * rejected.  Termination: every pointer must point strictly before the
 * place where the labels it ends began (the name's first byte, then each
 * pointer target in turn), so the targets strictly decrease; hops are
 * capped as well, and the wire length at 255 bytes.
 *
 * The labels before the first pointer come from r (the rest of the
 * message, or one record's RDATA when in_rdata); r is left just past
 * them.  Pointer targets are read from the whole message.
 */
static bool name_read(const uint8_t *msg, size_t msg_len, struct rd *r,
		      bool in_rdata, bool allow_ptr, struct dns_name *out,
		      struct dns_err *e)
{
	struct rd cur = *r;     /* reader for the current label sequence */
	struct rd *src = &cur;  /* cur until the first jump */
	struct rd jump;         /* reader over the whole message after a jump */
	bool jumped = false;
	size_t limit = msg_pos(msg, r); /* pointer targets must be below this */
	size_t wire = 0;        /* wire bytes of the name, pointers excluded */
	unsigned hops = 0;

	out->len = 0;
	out->text[0] = '\0';
	for (;;) {
		uint8_t b, lab[63];

		if (!rd_u8(src, &b))
			break;
		if (b == 0) {
			wire++;
			if (out->len == 0)
				(void)name_put(out, '.');
			if (!jumped)
				*r = cur;
			return true;
		}
		switch (b & 0xc0) {
		case 0x40:
			return fail(e, FT_MALFORMED, "label type 0x40 unsupported");
		case 0x80:
			return fail(e, FT_MALFORMED, "label type 0x80 unsupported");
		case 0xc0: {
			size_t at = msg_pos(msg, src) - 1, target;
			uint8_t lo;

			if (!allow_ptr)
				return fail(e, FT_MALFORMED, "compressed name where not allowed");
			if (!rd_u8(src, &lo))
				goto short_read;
			target = (size_t)(b & 0x3f) << 8 | lo;
			if (target > at)
				return fail(e, FT_MALFORMED, "compression pointer points forward");
			if (target >= limit)
				return fail(e, FT_MALFORMED, "name compression loop");
			if (++hops > NAME_MAX_HOPS)
				return fail(e, FT_MALFORMED, "too many compression pointers");
			if (!jumped)
				*r = cur;
			jumped = true;
			/* target < at < msg_len, so the offset is inside msg. */
			jump = rd_make(msg, msg_len);
			jump.off = target;
			src = &jump;
			limit = target;
			continue;
		}
		default:
			break;
		}
		wire += 1 + (size_t)b;
		if (wire + 1 > NAME_WIRE_MAX) /* + 1: the root label still to come */
			return fail(e, FT_MALFORMED, "name longer than 255 bytes");
		if (!rd_copy(src, lab, b))
			goto short_read;
		if (out->len != 0 && !name_put(out, '.'))
			return fail(e, FT_MALFORMED, "name longer than 255 bytes");
		for (size_t i = 0; i < b; i++) {
			char c = (char)lab[i];

			if ((c == '.' || c == '\\') && !name_put(out, '\\'))
				return fail(e, FT_MALFORMED, "name longer than 255 bytes");
			if (!name_put(out, c))
				return fail(e, FT_MALFORMED, "name longer than 255 bytes");
		}
	}
short_read:
	/* Inside RDATA the slice is complete, so running out of it means the
	 * RDATA length is wrong; in the message it means the capture ended. */
	if (in_rdata && !jumped)
		return fail(e, FT_MALFORMED, "name runs past rdata");
	return fail(e, FT_TRUNCATED, "name cut short");
}

/* ------------------------------------------------------------------ */
/* RDATA                                                               */
/* ------------------------------------------------------------------ */

static const char *mismatch_why(uint16_t type)
{
	switch (type) {
	case DNS_T_A: return "rdata length mismatch for A";
	case DNS_T_AAAA: return "rdata length mismatch for AAAA";
	case DNS_T_NS: return "rdata length mismatch for NS";
	case DNS_T_CNAME: return "rdata length mismatch for CNAME";
	case DNS_T_PTR: return "rdata length mismatch for PTR";
	case DNS_T_MX: return "rdata length mismatch for MX";
	case DNS_T_SOA: return "rdata length mismatch for SOA";
	case DNS_T_SRV: return "rdata length mismatch for SRV";
	case DNS_T_SVCB: return "rdata length mismatch for SVCB";
	case DNS_T_HTTPS: return "rdata length mismatch for HTTPS";
	default: return "rdata length mismatch";
	}
}

/* Take n bytes from r as a slice of the message (false if r has fewer). */
static bool bytes_take(struct rd *r, size_t n, struct dns_bytes *out)
{
	out->p = rd_ptr(r);
	out->len = (uint16_t)n; /* n <= RDLENGTH, a 16-bit field */
	return rd_skip(r, n);
}

/*
 * RFC 1035 3.3.14: TXT RDATA is one or more <character-string>s, each a
 * length byte and that many bytes, filling the RDATA exactly.
 *
 *     +--------+------------------+--------+-----
 *     | LEN    |  LEN bytes       | LEN    | ...
 *     +--------+------------------+--------+-----
 */
static bool txt_decode(struct rd *rdata, struct dns_txt *txt, struct dns_err *e)
{
	txt->n = txt->n_more = 0;
	/* Each string consumes at least its length byte: progress. */
	while (rd_left(rdata) > 0) {
		struct dns_bytes b;
		uint8_t n;

		if (!rd_u8(rdata, &n) || !bytes_take(rdata, n, &b))
			return fail(e, FT_MALFORMED, "TXT string runs past rdata");
		if (txt->n < DNS_TXT_MAX)
			txt->s[txt->n++] = b;
		else
			txt->n_more++;
	}
	return true;
}

/*
 * RFC 8659 4.1: CAA RDATA.
 *
 *     +--------+--------+--------------+----------------------+
 *     | FLAGS  | TAGLEN | TAG (1..255) | VALUE (to the end)   |
 *     +--------+--------+--------------+----------------------+
 */
static bool caa_decode(struct rd *rdata, struct dns_caa *caa, struct dns_err *e)
{
	uint8_t tag_len;

	if (!rd_u8(rdata, &caa->flags) || !rd_u8(rdata, &tag_len) || tag_len == 0 ||
	    !bytes_take(rdata, tag_len, &caa->tag))
		return fail(e, FT_MALFORMED, "CAA tag length bad");
	return bytes_take(rdata, rd_left(rdata), &caa->value);
}

/* Keep one more SvcParam value slice for param p (counted when full). */
static void svc_item(struct dns_svc *svc, struct dns_svc_param *p, struct dns_bytes b)
{
	if (svc->n_items < DNS_SVC_ITEMS_MAX) {
		svc->items[svc->n_items++] = b;
		p->n++;
	} else {
		p->n_more++;
	}
}

/*
 * RFC 9460 7: the values we show.  alpn (7.1.1) is a list of
 * length-prefixed protocol ids (read up to one that overruns the value);
 * port (7.2) is 16 bits; ipv4hint and ipv6hint (7.3) are lists of
 * addresses.  Any other key, or a value of the wrong size, is shown by
 * its length.
 */
static void svc_value(struct dns_svc *svc, struct dns_svc_param *p, struct rd *v)
{
	p->kind = DNS_SVC_OTHER;
	p->first = svc->n_items;
	p->n = 0;
	p->n_more = 0;
	p->port = 0;
	if (p->key == 1) {
		p->kind = DNS_SVC_ALPN;
		/* Each id consumes at least its length byte: progress. */
		while (rd_left(v) > 0) {
			struct dns_bytes b;
			uint8_t n;

			if (!rd_u8(v, &n) || !bytes_take(v, n, &b))
				break;
			svc_item(svc, p, b);
		}
	} else if (p->key == 3 && p->len == 2) {
		p->kind = DNS_SVC_PORT;
		(void)rd_be16(v, &p->port);
	} else if ((p->key == 4 && p->len % 4 == 0) || (p->key == 6 && p->len % 16 == 0)) {
		size_t w = p->key == 4 ? 4 : 16;
		struct dns_bytes b;

		p->kind = p->key == 4 ? DNS_SVC_IPV4 : DNS_SVC_IPV6;
		/* len is a multiple of w: each pass takes w bytes, all fit */
		while (rd_left(v) >= w && bytes_take(v, w, &b))
			svc_item(svc, p, b);
	}
}

/*
 * RFC 9460 2.2: SvcParams follow the TargetName to the end of RDATA.
 *
 *     +--------+--------+----------------+
 *     | KEY 16 | LEN 16 | VALUE LEN bytes|  ... repeated
 *     +--------+--------+----------------+
 */
static bool svc_decode(struct rd *rdata, struct dns_svc *svc, struct dns_err *e)
{
	svc->n = 0;
	svc->n_more = 0;
	svc->n_items = 0;
	/* Each entry consumes at least 4 bytes: progress. */
	while (rd_left(rdata) > 0) {
		struct dns_svc_param scratch;
		struct dns_svc_param *p = svc->n < DNS_SVC_MAX ? &svc->param[svc->n] : &scratch;
		struct rd v;

		if (!rd_be16(rdata, &p->key) || !rd_be16(rdata, &p->len) ||
		    !rd_sub(rdata, p->len, &v))
			return fail(e, FT_MALFORMED, "SVCB parameter runs past rdata");
		if (p == &scratch) {
			svc->n_more++;
			continue;
		}
		svc_value(svc, p, &v);
		svc->n++;
	}
	return true;
}

/*
 * RFC 6891 6.1.2: EDNS options, CODE 16 | LENGTH 16 | DATA, to the end.
 */
static bool opt_check(struct rd *rdata, struct dns_err *e)
{
	/* Each entry consumes at least 4 bytes: progress. */
	while (rd_left(rdata) > 0) {
		uint16_t code, n;

		if (!rd_be16(rdata, &code) || !rd_be16(rdata, &n) || !rd_skip(rdata, n))
			return fail(e, FT_MALFORMED, "EDNS option runs past rdata");
	}
	return true;
}

/*
 * Decode RDATA of the known types into rr.  rdata is exactly the record's
 * RDATA (RFC 1035 3.2.1: RDLENGTH bytes), so anything left over or
 * missing is a length mismatch, not truncation.
 *
 *   A      (RFC 1035 3.4.1)  ADDRESS 32
 *   AAAA   (RFC 3596 2.2)    ADDRESS 128
 *   NS/CNAME/PTR (3.3.11, 3.3.1, 3.3.12)  NAME
 *   MX     (3.3.9)           PREFERENCE 16 | EXCHANGE name
 *   SOA    (3.3.13)          MNAME | RNAME | SERIAL | REFRESH | RETRY |
 *                            EXPIRE | MINIMUM (32 bits each)
 *   SRV    (RFC 2782)        PRIORITY 16 | WEIGHT 16 | PORT 16 | TARGET
 *   SVCB/HTTPS (RFC 9460 2.2) PRIORITY 16 | TARGET (uncompressed) | params
 *   TXT    (3.3.14), CAA (RFC 8659 4.1): see txt_decode, caa_decode
 *   OPT    (RFC 6891 6.1.2)  options
 */
static bool rdata_decode(const uint8_t *msg, size_t msg_len, struct rd *rdata,
			 struct dns_rr *rr, struct dns_err *e)
{
	const char *mis = mismatch_why(rr->type);

	switch (rr->type) {
	case DNS_T_A:
		if (rd_left(rdata) != 4)
			return fail(e, FT_MALFORMED, mis);
		(void)rd_copy(rdata, rr->addr, 4);
		break;
	case DNS_T_AAAA:
		if (rd_left(rdata) != 16)
			return fail(e, FT_MALFORMED, mis);
		(void)rd_copy(rdata, rr->addr, 16);
		break;
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
		if (!name_read(msg, msg_len, rdata, true, true, &rr->target, e))
			return false;
		break;
	case DNS_T_MX:
		if (!rd_be16(rdata, &rr->prio))
			return fail(e, FT_MALFORMED, mis);
		if (!name_read(msg, msg_len, rdata, true, true, &rr->target, e))
			return false;
		break;
	case DNS_T_SOA:
		if (!name_read(msg, msg_len, rdata, true, true, &rr->target, e) ||
		    !name_read(msg, msg_len, rdata, true, true, &rr->rname, e))
			return false;
		if (!rd_be32(rdata, &rr->serial) || !rd_be32(rdata, &rr->refresh) ||
		    !rd_be32(rdata, &rr->retry) || !rd_be32(rdata, &rr->expire) ||
		    !rd_be32(rdata, &rr->minimum))
			return fail(e, FT_MALFORMED, mis);
		break;
	case DNS_T_TXT:
		return txt_decode(rdata, &rr->rd.txt, e);
	case DNS_T_CAA:
		return caa_decode(rdata, &rr->rd.caa, e);
	case DNS_T_SRV:
		if (!rd_be16(rdata, &rr->prio) || !rd_be16(rdata, &rr->weight) ||
		    !rd_be16(rdata, &rr->port))
			return fail(e, FT_MALFORMED, mis);
		/* RFC 2782 forbids compressing the target, but RFC 3597 4
		 * asks receivers to decompress it anyway (RFC 2052 servers). */
		if (!name_read(msg, msg_len, rdata, true, true, &rr->target, e))
			return false;
		break;
	case DNS_T_SVCB:
	case DNS_T_HTTPS:
		if (!rd_be16(rdata, &rr->prio))
			return fail(e, FT_MALFORMED, mis);
		if (!name_read(msg, msg_len, rdata, true, false, &rr->target, e))
			return false;
		return svc_decode(rdata, &rr->rd.svc, e);
	case DNS_T_OPT:
		return opt_check(rdata, e);
	default:
		return true;
	}
	if (rd_left(rdata) != 0)
		return fail(e, FT_MALFORMED, mis);
	return true;
}

/* ------------------------------------------------------------------ */
/* Records and the message                                             */
/* ------------------------------------------------------------------ */

/*
 * RFC 1035 4.1.3: one resource record.
 *
 *     NAME (variable) | TYPE 16 | CLASS 16 | TTL 32 | RDLENGTH 16 | RDATA
 *
 * false means a structural problem (e says which) and the message decode
 * stops; an RDATA problem only sets rr->rd_status.
 */
static bool rr_read(const uint8_t *msg, size_t msg_len, struct rd *r,
		    enum dns_section sec, struct dns_rr *rr, struct dns_err *e)
{
	struct rd rdata;
	struct dns_err rde = { FT_OK, NULL };

	/* The RDATA union is filled by the decoder of its type. */
	memset(rr, 0, offsetof(struct dns_rr, rd));
	rr->section = sec;
	rr->rd_status = FT_OK;
	if (!name_read(msg, msg_len, r, false, true, &rr->name, e))
		return false;
	if (!rd_be16(r, &rr->type) || !rd_be16(r, &rr->cls) ||
	    !rd_be32(r, &rr->ttl) || !rd_be16(r, &rr->rdlen))
		return fail(e, FT_TRUNCATED, "record header cut short");
	rr->rdata = rd_ptr(r);
	if (!rd_sub(r, rr->rdlen, &rdata))
		return fail(e, FT_TRUNCATED, "record runs past end");
	if (!rdata_decode(msg, msg_len, &rdata, rr, &rde)) {
		rr->rd_status = rde.st;
		e->why = rde.why;
	}
	return true;
}

/*
 * RFC 6891 6.1.2-6.1.3: the OPT pseudo-record.  CLASS is the UDP payload
 * size and TTL holds the extended rcode and flags:
 *
 *     +--------+--------+--------+--------+
 *     | EXT-RC | VERSION|DO|   Z (15)     |
 *     +--------+--------+--------+--------+
 *
 * Its owner is the root, it sits in the additional section and appears
 * at most once; a record breaking that is flagged and not applied.  Bad
 * options (already in rd_status) do not stop the fixed fields applying.
 */
static void opt_apply(struct dns_msg *out, struct dns_rr *rr, struct dns_err *e)
{
	const char *why = NULL;

	if (rr->name.len != 1 || rr->name.text[0] != '.')
		why = "OPT owner is not the root";
	else if (rr->section != DNS_SEC_ADDITIONAL)
		why = "OPT outside the additional section";
	else if (out->edns)
		why = "more than one OPT record";
	if (why) {
		rr->rd_status = FT_MALFORMED;
		e->why = why;
		return;
	}
	out->edns = true;
	out->edns_size = rr->cls;
	out->edns_version = (uint8_t)(rr->ttl >> 16 & 0xff);
	out->edns_do = (rr->ttl & 0x8000) != 0;
	out->rcode = (uint16_t)(out->rcode | ((rr->ttl >> 24) & 0xff) << 4);
}

static enum ft_status done(struct dns_msg *out, enum ft_status st, const char *why)
{
	out->status = st;
	out->why = why;
	return st;
}

/*
 * RFC 1035 4.1.1: the header.
 *
 *                                     1  1  1  1  1  1
 *       0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 *     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *     |                      ID                       |
 *     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *     |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
 *     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *     |          QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT |
 *     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *
 * AD and CD are RFC 4035 3.2.  Then QDCOUNT questions (4.1.2: QNAME,
 * QTYPE 16, QCLASS 16) and the three record sections (4.1.3).
 *
 * out->why is set with any status other than FT_OK; with FT_OK it may
 * still name the first RDATA or OPT problem (see rr[].rd_status).
 */
enum ft_status dns_decode(const uint8_t *msg, size_t len, struct dns_msg *out)
{
	struct rd r = rd_make(msg, len);
	struct dns_err e = { FT_OK, NULL };
	struct dns_rr spare; /* records past DNS_MAX_RR are decoded here */
	const char *rd_why = NULL;
	uint16_t counts[3];

	out->id = out->flags = 0;
	out->qr = out->aa = out->tc = out->rd = out->ra = out->ad = out->cd = false;
	out->opcode = 0;
	out->rcode = 0;
	out->qdcount = out->ancount = out->nscount = out->arcount = 0;
	out->has_question = false;
	out->qname.len = 0;
	out->qname.text[0] = '\0';
	out->qtype = out->qclass = 0;
	out->n_rr = out->n_rr_dropped = 0;
	out->edns = out->edns_do = false;
	out->edns_size = 0;
	out->edns_version = 0;
	out->status = FT_OK;
	out->why = NULL;

	if (!rd_be16(&r, &out->id) || !rd_be16(&r, &out->flags))
		return done(out, FT_TRUNCATED, "header cut short");
	out->qr = (out->flags & 0x8000) != 0;
	out->opcode = (uint8_t)(out->flags >> 11 & 0xf);
	out->aa = (out->flags & 0x0400) != 0;
	out->tc = (out->flags & 0x0200) != 0;
	out->rd = (out->flags & 0x0100) != 0;
	out->ra = (out->flags & 0x0080) != 0;
	out->ad = (out->flags & 0x0020) != 0;
	out->cd = (out->flags & 0x0010) != 0;
	out->rcode = out->flags & 0xf;
	if (!rd_be16(&r, &out->qdcount) || !rd_be16(&r, &out->ancount) ||
	    !rd_be16(&r, &out->nscount) || !rd_be16(&r, &out->arcount))
		return done(out, FT_TRUNCATED, "header cut short");

	/* Each question consumes at least 5 bytes, each record 11: the loops
	 * progress, and the 16-bit counts bound them. */
	for (uint32_t i = 0; i < out->qdcount; i++) {
		struct dns_name scratch;
		struct dns_name *qn = i == 0 ? &out->qname : &scratch;
		uint16_t qtype, qclass;

		if (rd_left(&r) == 0)
			return done(out, FT_TRUNCATED, "message ends before all questions");
		if (!name_read(msg, len, &r, false, true, qn, &e))
			return done(out, e.st, e.why);
		if (!rd_be16(&r, &qtype) || !rd_be16(&r, &qclass))
			return done(out, FT_TRUNCATED, "question cut short");
		if (i == 0) {
			out->qtype = qtype;
			out->qclass = qclass;
			out->has_question = true;
		}
	}

	counts[DNS_SEC_ANSWER] = out->ancount;
	counts[DNS_SEC_AUTHORITY] = out->nscount;
	counts[DNS_SEC_ADDITIONAL] = out->arcount;
	for (int sec = DNS_SEC_ANSWER; sec <= DNS_SEC_ADDITIONAL; sec++) {
		for (uint32_t i = 0; i < counts[sec]; i++) {
			bool keep = out->n_rr < DNS_MAX_RR;
			struct dns_rr *rr = keep ? &out->rr[out->n_rr] : &spare;

			if (rd_left(&r) == 0)
				return done(out, FT_TRUNCATED, "message ends before all records");
			e.why = NULL;
			if (!rr_read(msg, len, &r, (enum dns_section)sec, rr, &e))
				return done(out, e.st, e.why);
			if (rr->type == DNS_T_OPT)
				opt_apply(out, rr, &e);
			if (e.why && !rd_why)
				rd_why = e.why;
			if (keep)
				out->n_rr++;
			else
				out->n_rr_dropped++;
		}
	}
	/* Bytes after the last record are not ours to judge (RFC 1035 says
	 * nothing of padding); the output layer can compare lengths. */
	out->why = rd_why;
	return FT_OK;
}

uint32_t dns_name_hash(const struct dns_name *nm)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < nm->len && i < sizeof(nm->text); i++) {
		unsigned char ch = (unsigned char)nm->text[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		h = (h ^ ch) * 16777619u;
	}
	return h;
}
