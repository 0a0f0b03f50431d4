/* doh.c - DNS over HTTPS (RFC 8484): media type, the GET parameter, bodies per stream. */
#include "doh.h"

#include <string.h>

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

bool doh_media(const char *v, size_t len)
{
	static const char want[] = "application/dns-message";
	size_t i = 0, n = sizeof want - 1;
	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (len - i < n)
		return false;
	for (size_t k = 0; k < n; k++)
		if (lower((unsigned char)v[i + k]) != want[k])
			return false;
	i += n;
	/* the end, parameters, or whitespace before them */
	return i == len || v[i] == ';' || v[i] == ' ' || v[i] == '\t' || v[i] == ',';
}

/* base64url (RFC 4648 5) value of c, -1 for anything else ('=' included). */
static int b64url(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

size_t doh_get_param(const char *target, size_t len, uint8_t *out, size_t cap)
{
	const char *q = memchr(target, '?', len);
	if (!q)
		return 0;
	size_t i = (size_t)(q - target) + 1;
	/* each pass moves to the next parameter: the walk ends */
	while (i < len) {
		size_t end = i;
		while (end < len && target[end] != '&')
			end++;
		if (end - i > 4 && memcmp(target + i, "dns=", 4) == 0) {
			uint32_t acc = 0;
			unsigned bits = 0;
			size_t n = 0;
			for (size_t k = i + 4; k < end; k++) {
				int v = b64url((unsigned char)target[k]);
				if (v < 0)
					return 0; /* padding is not allowed, nor any other byte */
				acc = (acc << 6 | (uint32_t)v) & 0xffffff;
				bits += 6;
				if (bits >= 8) {
					bits -= 8;
					if (n == cap)
						return 0;
					out[n++] = (uint8_t)(acc >> bits);
				}
			}
			return n;
		}
		i = end + 1;
	}
	return 0;
}

struct doh_body *doh_find(struct doh_conn *d, uint32_t sid, int dir)
{
	for (unsigned i = 0; sid && i < DOH_SLOTS; i++)
		if (d->slot[i].sid == sid && d->slot[i].dir == dir)
			return &d->slot[i];
	return NULL;
}

struct doh_body *doh_open(struct doh_conn *d, uint32_t sid, int dir)
{
	struct doh_body *b = doh_find(d, sid, dir);
	if (b)
		return b;
	for (unsigned i = 0; sid && i < DOH_SLOTS; i++) {
		b = &d->slot[i];
		if (b->sid == 0) {
			b->sid = sid;
			b->dir = (uint8_t)dir;
			b->over = false;
			b->len = 0;
			return b;
		}
	}
	d->n_no_slot++;
	return NULL;
}

void doh_add(struct doh_body *b, const uint8_t *p, size_t n)
{
	if (b->over || n > DOH_MSG_MAX - b->len) {
		b->over = true;
		return;
	}
	memcpy(b->b + b->len, p, n);
	b->len += (uint32_t)n;
}

void doh_close(struct doh_body *b) { b->sid = 0; }

void doh_mark(struct doh_conn *d, uint32_t sid)
{
	if (doh_marked(d, sid))
		return;
	d->marked[d->mark_next] = sid;
	d->mark_next = (uint8_t)((d->mark_next + 1) % (sizeof d->marked / sizeof d->marked[0]));
}

bool doh_marked(const struct doh_conn *d, uint32_t sid)
{
	for (unsigned i = 0; sid && i < sizeof d->marked / sizeof d->marked[0]; i++)
		if (d->marked[i] == sid)
			return true;
	return false;
}
