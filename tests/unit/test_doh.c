/* test_doh.c - DNS over HTTPS: the media type, the GET parameter, bodies per stream. */
#include <string.h>

#include "doh.h"
#include "t.h"

static struct doh_conn d;

int main(void)
{
	/* application/dns-message, any case, parameters allowed; nothing else */
	CHECK(doh_media("application/dns-message", 23));
	CHECK(doh_media(" Application/DNS-Message; charset=x", 35));
	CHECK(!doh_media("application/dns-messagex", 24));
	CHECK(!doh_media("application/dns", 15));
	CHECK(!doh_media("text/html", 9));
	CHECK(!doh_media("", 0));

	/* RFC 8484 4.1.1's example: www.example.com A, id 0 */
	static const char get[] = "/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
	static const unsigned char want[] = { 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w',
					      7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o',
					      'm', 0, 0, 1, 0, 1 };
	unsigned char out[64];
	CHECK_EQ_INT(doh_get_param(get, sizeof get - 1, out, sizeof out), sizeof want);
	CHECK(memcmp(out, want, sizeof want) == 0);
	/* another parameter first; the dns one in the middle */
	static const char get2[] = "/q?ct=x&dns=AAAB&z=1";
	CHECK_EQ_INT(doh_get_param(get2, sizeof get2 - 1, out, sizeof out), 3);
	/* padding or other bytes: refused; no parameter; no room */
	CHECK_EQ_INT(doh_get_param("/q?dns=AAAB==", 13, out, sizeof out), 0);
	CHECK_EQ_INT(doh_get_param("/q?dns=AA+B", 11, out, sizeof out), 0);
	CHECK_EQ_INT(doh_get_param("/dns-query", 10, out, sizeof out), 0);
	CHECK_EQ_INT(doh_get_param("/q?xdns=AAAB", 12, out, sizeof out), 0);
	CHECK_EQ_INT(doh_get_param(get, sizeof get - 1, out, 4), 0);

	/* slots: one per (stream, direction), bounded, reused when closed */
	struct doh_body *a = doh_open(&d, 1, 0), *b = doh_open(&d, 1, 1);
	CHECK(a && b && a != b);
	CHECK(doh_find(&d, 1, 1) == b);
	CHECK(doh_open(&d, 1, 0) == a);
	CHECK(doh_open(&d, 3, 1) && doh_open(&d, 5, 1));
	CHECK(doh_open(&d, 7, 1) == NULL);
	CHECK_EQ_INT(d.n_no_slot, 1);
	CHECK(doh_open(&d, 0, 1) == NULL); /* stream 0 is the connection's */
	doh_add(a, (const unsigned char *)"abc", 3);
	doh_add(a, (const unsigned char *)"de", 2);
	CHECK_EQ_INT(a->len, 5);
	CHECK(memcmp(a->b, "abcde", 5) == 0);
	static unsigned char big[DOH_MSG_MAX];
	doh_add(a, big, sizeof big); /* past the largest DNS message */
	CHECK(a->over);
	CHECK_EQ_INT(a->len, 5);
	doh_close(a);
	CHECK(doh_find(&d, 1, 0) == NULL);
	CHECK(doh_open(&d, 7, 1) != NULL);

	/* the newest DoH streams are remembered */
	for (uint32_t s = 1; s < 40; s += 2)
		doh_mark(&d, s);
	CHECK(doh_marked(&d, 39));
	CHECK(doh_marked(&d, 25));
	CHECK(!doh_marked(&d, 1));
	CHECK(!doh_marked(&d, 0));
	return t_done("test_doh");
}
