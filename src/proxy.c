/* proxy.c - SOCKS4/4a, SOCKS5 and HTTP CONNECT handshakes: who the client asked the proxy
 * for, and whether it said yes. */
#include "proxy.h"

#include <stdio.h>
#include <string.h>

#include "rd.h"

#define SOCKS4_GRANTED 90

/*
 * SOCKS4 request (the SOCKS 4 protocol note; SOCKS 4A):
 *
 *   +----+----+----+----+----+----+----+----+----+----+....+----+
 *   | VN | CD | DSTPORT |      DSTIP        | USERID       |NULL|  [ HOST ... NULL ]
 *   +----+----+----+----+----+----+----+----+----+----+....+----+
 *      4    1 = CONNECT, 2 = BIND           SOCKS4a: DSTIP 0.0.0.x (x != 0), then a host
 *
 * reply: VN 0, CD (90 granted, 91-93 refused), DSTPORT, DSTIP: 8 bytes.
 *
 * SOCKS5 (RFC 1928 3-6): client hello  VER 5 | NMETHODS | METHODS...
 *                        server choice VER 5 | METHOD (0xFF: none acceptable)
 *   username/password (RFC 1929 2): 1 | ULEN | UNAME | PLEN | PASSWD; reply 1 | STATUS
 *   request  VER 5 | CMD | RSV 0 | ATYP | DST.ADDR | DST.PORT
 *   reply    VER 5 | REP | RSV 0 | ATYP | BND.ADDR | BND.PORT
 *   ATYP 1: 4 bytes, 3: a length byte and a name, 4: 16 bytes.
 *
 * HTTP CONNECT (RFC 9110 9.3.6): "CONNECT host:port HTTP/1.1" and header
 * fields to an empty line; the answer a status line and fields to an empty
 * line, any 2xx opening the tunnel.
 */

static const char connect_prefix[] = "CONNECT ";

enum ft_status proxy_sniff(const uint8_t *b, size_t len, uint8_t *kind)
{
	*kind = PROXY_NONE;
	if (len == 0)
		return FT_NEED_MORE;
	if (b[0] == 5) {
		/* a hello: 1-255 methods, nothing after it but a request (version 5 again) */
		if (len < 2)
			return FT_NEED_MORE;
		size_t n = b[1];
		if (n == 0)
			return FT_OK;
		if (len - 2 < n)
			return FT_NEED_MORE;
		if (len - 2 == n || b[2 + n] == 5 || b[2 + n] == 1)
			*kind = PROXY_SOCKS5;
		return FT_OK;
	}
	if (b[0] == 4) {
		if (len < 9)
			return FT_NEED_MORE;
		if (b[1] == 1 || b[1] == 2)
			*kind = PROXY_SOCKS4;
		return FT_OK;
	}
	size_t k = len < sizeof connect_prefix - 1 ? len : sizeof connect_prefix - 1;
	if (memcmp(b, connect_prefix, k) != 0)
		return FT_OK;
	if (k < sizeof connect_prefix - 1)
		return FT_NEED_MORE;
	*kind = PROXY_CONNECT;
	return FT_OK;
}

static void host_set(struct proxy_state *st, const uint8_t *h, size_t n)
{
	if (n > PROXY_HOST_MAX)
		n = PROXY_HOST_MAX;
	memcpy(st->host, h, n);
	st->host[n] = '\0';
	st->host_len = (uint16_t)n;
}

static void host_addr(struct proxy_state *st, const uint8_t *a, bool v6)
{
	char buf[48];
	int n;
	if (!v6)
		n = snprintf(buf, sizeof buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	else /* plain groups, not the shortest form: it is only a name */
		n = snprintf(buf, sizeof buf, "%x:%x:%x:%x:%x:%x:%x:%x", a[0] << 8 | a[1],
			     a[2] << 8 | a[3], a[4] << 8 | a[5], a[6] << 8 | a[7], a[8] << 8 | a[9],
			     a[10] << 8 | a[11], a[12] << 8 | a[13], a[14] << 8 | a[15]);
	host_set(st, (const uint8_t *)buf, n > 0 ? (size_t)n : 0);
}

/* A NUL-terminated string of at most max bytes at r: its length, or -1 (need more) / -2 (too long). */
static long cstr(const struct rd *r, size_t max)
{
	size_t left = rd_left(r), lim = left < max + 1 ? left : max + 1;
	const uint8_t *p = rd_ptr(r);
	for (size_t i = 0; i < lim; i++)
		if (p[i] == 0)
			return (long)i;
	return left > max ? -2 : -1;
}

/* An HTTP head ending in an empty line: its length (with the CRLFCRLF), 0 need more, -1 too long. */
static long head_len(const uint8_t *b, size_t len)
{
	size_t lim = len < PROXY_HEAD_MAX ? len : PROXY_HEAD_MAX;
	for (size_t i = 3; i < lim; i++)
		if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r')
			return (long)(i + 1);
	return len >= PROXY_HEAD_MAX ? -1 : 0;
}

/* Case-insensitive: does the field line f[0..n) start with name (lower case, with its colon)? */
static bool field_is(const uint8_t *f, size_t n, const char *name)
{
	size_t k = strlen(name);
	if (n < k)
		return false;
	for (size_t i = 0; i < k; i++) {
		uint8_t c = f[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c != (uint8_t)name[i])
			return false;
	}
	return true;
}

/*
 * A refusal's head: does the proxy keep the connection for another try
 * (a 407 without Connection: close, RFC 9110 15.5.8), and how long is
 * its body (Content-Length; none means 0 for a CONNECT answer we follow)?
 */
static void refusal_fields(struct proxy_state *st, const uint8_t *b, size_t n)
{
	bool close = false;
	uint64_t cl = 0;
	size_t i = 0;
	while (i < n && b[i] != '\n') /* past the status line */
		i++;
	/* each pass moves i past one line */
	while (i < n) {
		size_t s = ++i;
		while (i < n && b[i] != '\n')
			i++;
		const uint8_t *f = b + s;
		size_t fl = i - s;
		if (field_is(f, fl, "content-length:")) {
			for (size_t k = 15; k < fl && cl <= PROXY_HEAD_MAX * 128u; k++)
				if (f[k] >= '0' && f[k] <= '9')
					cl = cl * 10 + (unsigned)(f[k] - '0');
		} else if (field_is(f, fl, "connection:") || field_is(f, fl, "proxy-connection:")) {
			for (size_t k = 0; k + 5 <= fl; k++)
				if (field_is(f + k, fl - k, "close"))
					close = true;
		}
	}
	if (st->status == 407 && !close && cl <= PROXY_HEAD_MAX * 128u) {
		st->again = true;
		st->body_left = (uint32_t)cl;
	}
}

static enum ft_status feed_connect_head(struct proxy_state *st, int dir, const uint8_t *b,
					size_t len, size_t *used, uint8_t *msgs);

/* CONNECT, passing over a refusal's body first. */
static enum ft_status feed_connect(struct proxy_state *st, int dir, const uint8_t *b, size_t len,
				   size_t *used, uint8_t *msgs)
{
	size_t skip = 0;
	if (dir == 1 && st->body_left) {
		skip = len < st->body_left ? len : st->body_left;
		st->body_left -= (uint32_t)skip;
		*used = skip;
		if (st->body_left)
			return FT_NEED_MORE;
	}
	enum ft_status s = feed_connect_head(st, dir, b + skip, len - skip, used, msgs);
	*used += skip;
	return s;
}

static enum ft_status feed_connect_head(struct proxy_state *st, int dir, const uint8_t *b,
					size_t len, size_t *used, uint8_t *msgs)
{
	*used = 0;
	long n = head_len(b, len);
	if (n < 0)
		return FT_MALFORMED;
	if (n == 0)
		return FT_NEED_MORE;
	size_t line = 0;
	while (line < (size_t)n && b[line] != '\r')
		line++;
	if (dir == 0) {
		/* CONNECT SP authority SP HTTP/1.x */
		size_t s = sizeof connect_prefix - 1, e = s;
		if (line < s || memcmp(b, connect_prefix, s) != 0)
			return FT_MALFORMED;
		while (e < line && b[e] != ' ')
			e++;
		size_t colon = e;
		while (colon > s && b[colon - 1] != ':')
			colon--;
		unsigned port = 0;
		if (colon > s) {
			for (size_t i = colon; i < e && port <= 65535; i++) {
				if (b[i] < '0' || b[i] > '9') {
					port = 0;
					break;
				}
				port = port * 10 + (unsigned)(b[i] - '0');
			}
		}
		if (colon > s && port <= 65535) {
			size_t hs = s, he = colon - 1;
			if (he > hs && b[hs] == '[' && b[he - 1] == ']') /* [v6]:port */
				hs++, he--;
			host_set(st, b + hs, he - hs);
			st->port = (uint16_t)port;
		} else {
			host_set(st, b + s, e - s);
		}
		*msgs |= PROXY_M_REQUEST;
	} else {
		/* HTTP/1.x SP 3DIGIT */
		if (line < 12 || memcmp(b, "HTTP/1.", 7) != 0 || b[8] != ' ')
			return FT_MALFORMED;
		unsigned code = 0;
		for (size_t i = 9; i < 12; i++) {
			if (b[i] < '0' || b[i] > '9')
				return FT_MALFORMED;
			code = code * 10 + (unsigned)(b[i] - '0');
		}
		st->status = (uint16_t)code;
		if (code < 200) { /* 1xx: a final answer follows */
			*used = (size_t)n;
			return FT_NEED_MORE;
		}
		st->replied = true;
		st->ok = code < 300;
		*msgs |= PROXY_M_REPLY;
		if (!st->ok)
			refusal_fields(st, b, (size_t)n);
	}
	*used = (size_t)n;
	return FT_OK;
}

/* SOCKS5 address: ATYP then the address and port; false when more bytes are needed. */
static bool socks5_addr(struct proxy_state *st, struct rd *r, bool keep, int *bad)
{
	uint8_t atyp, n;
	uint8_t a[16];
	uint16_t port = 0;
	if (!rd_u8(r, &atyp))
		return false;
	switch (atyp) {
	case 1:
		if (!rd_copy(r, a, 4) || !rd_be16(r, &port))
			return false;
		if (keep)
			host_addr(st, a, false);
		break;
	case 4:
		if (!rd_copy(r, a, 16) || !rd_be16(r, &port))
			return false;
		if (keep)
			host_addr(st, a, true);
		break;
	case 3: {
		const uint8_t *name;
		if (!rd_u8(r, &n) || !rd_has(r, (size_t)n + 2))
			return false;
		name = rd_ptr(r);
		if (!rd_skip(r, n) || !rd_be16(r, &port)) /* checked above: cannot fail */
			return false;
		if (keep)
			host_set(st, name, n);
		break;
	}
	default:
		*bad = 1;
		return false;
	}
	if (keep)
		st->port = port;
	return true;
}

static enum ft_status feed_socks5(struct proxy_state *st, int dir, const uint8_t *b, size_t len,
				  size_t *used, uint8_t *msgs)
{
	/* Each pass takes one whole message or returns: hello/choice, then at most one
	 * username/password exchange, then the request/reply. */
	for (int k = 0; k < 3; k++) {
		struct rd r = rd_make(b + *used, len - *used);
		uint8_t v, x, y;
		int bad = 0;
		if (!rd_u8(&r, &v))
			return FT_NEED_MORE;
		if (st->phase[dir] == 0) {
			if (v != 5)
				return FT_MALFORMED;
			if (!rd_u8(&r, &x))
				return FT_NEED_MORE;
			if (dir == 0) {
				if (x == 0)
					return FT_MALFORMED;
				if (!rd_skip(&r, x))
					return FT_NEED_MORE;
				st->n_methods = x;
				*msgs |= PROXY_M_HELLO;
			} else {
				st->method = x;
				*msgs |= PROXY_M_METHOD;
				if (x == 0xFF) { /* no acceptable method: the proxy closes */
					*used += r.off;
					st->replied = true;
					st->ok = false;
					return FT_OK;
				}
			}
			st->phase[dir] = 1;
		} else if (v == 1 && st->phase[dir] == 1) { /* RFC 1929 username/password */
			if (dir == 0) {
				if (!rd_u8(&r, &x) || !rd_skip(&r, x) || !rd_u8(&r, &y) || !rd_skip(&r, y))
					return FT_NEED_MORE;
				*msgs |= PROXY_M_AUTH;
			} else {
				if (!rd_u8(&r, &x))
					return FT_NEED_MORE;
				st->auth_status = x;
				*msgs |= PROXY_M_AUTH_REPLY;
				if (x != 0) {
					*used += r.off;
					st->replied = true;
					st->ok = false;
					return FT_OK;
				}
			}
			st->phase[dir] = 2;
		} else if (v == 5) {
			if (!rd_u8(&r, &x) || !rd_u8(&r, &y))
				return FT_NEED_MORE;
			if (!socks5_addr(st, &r, dir == 0, &bad))
				return bad ? FT_MALFORMED : FT_NEED_MORE;
			if (dir == 0) {
				*msgs |= PROXY_M_REQUEST;
			} else {
				st->code = x;
				st->replied = true;
				st->ok = x == 0;
				*msgs |= PROXY_M_REPLY;
			}
			*used += r.off;
			return FT_OK;
		} else {
			return FT_MALFORMED;
		}
		*used += r.off;
	}
	return FT_MALFORMED;
}

static enum ft_status feed_socks4(struct proxy_state *st, int dir, const uint8_t *b, size_t len,
				  size_t *used, uint8_t *msgs)
{
	struct rd r = rd_make(b, len);
	if (dir == 1) {
		uint8_t vn, cd;
		if (!rd_u8(&r, &vn) || !rd_u8(&r, &cd) || !rd_skip(&r, 6))
			return FT_NEED_MORE;
		if (vn != 0 && vn != 4)
			return FT_MALFORMED;
		st->code = cd;
		st->replied = true;
		st->ok = cd == SOCKS4_GRANTED;
		*msgs |= PROXY_M_REPLY;
		*used = r.off;
		return FT_OK;
	}
	uint8_t vn, cd, ip[4];
	uint16_t port;
	if (!rd_u8(&r, &vn) || !rd_u8(&r, &cd) || !rd_be16(&r, &port) || !rd_copy(&r, ip, 4))
		return FT_NEED_MORE;
	long ul = cstr(&r, 255);
	if (ul < 0)
		return ul == -2 ? FT_MALFORMED : FT_NEED_MORE;
	rd_skip(&r, (size_t)ul + 1);
	if (ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0) { /* SOCKS4a: a host follows */
		long hl = cstr(&r, PROXY_HOST_MAX);
		if (hl < 0)
			return hl == -2 ? FT_MALFORMED : FT_NEED_MORE;
		host_set(st, rd_ptr(&r), (size_t)hl);
		rd_skip(&r, (size_t)hl + 1);
		st->socks4a = true;
	} else {
		host_addr(st, ip, false);
	}
	st->port = port;
	*msgs |= PROXY_M_REQUEST;
	*used = r.off;
	return FT_OK;
}

enum ft_status proxy_feed(struct proxy_state *st, int dir, const uint8_t *b, size_t len,
			  size_t *used, uint8_t *msgs)
{
	enum ft_status s;
	*used = 0;
	*msgs = 0;
	dir = dir ? 1 : 0;
	if (st->done[dir])
		return FT_OK;
	switch (st->kind) {
	case PROXY_CONNECT: s = feed_connect(st, dir, b, len, used, msgs); break;
	case PROXY_SOCKS5: s = feed_socks5(st, dir, b, len, used, msgs); break;
	case PROXY_SOCKS4: s = feed_socks4(st, dir, b, len, used, msgs); break;
	default: s = FT_OK; break;
	}
	if (s == FT_OK)
		st->done[dir] = true;
	if (s == FT_MALFORMED) {
		st->failed = true;
		st->done[0] = st->done[1] = true;
		*used = 0;
	}
	if (st->replied && !st->ok) {
		if (st->again) {
			/* 407 on a kept connection: the next request may carry credentials */
			st->again = false;
			st->replied = false;
			st->done[0] = st->done[1] = false;
			return FT_NEED_MORE;
		}
		/* The proxy said no: nothing more of the client's is a handshake either. */
		st->done[0] = st->done[1] = true;
	}
	return s;
}

const char *proxy_kind_name(const struct proxy_state *st)
{
	switch (st->kind) {
	case PROXY_SOCKS4: return st->socks4a ? "SOCKS4a" : "SOCKS4";
	case PROXY_SOCKS5: return "SOCKS5";
	case PROXY_CONNECT: return "HTTP CONNECT";
	default: return "proxy";
	}
}
