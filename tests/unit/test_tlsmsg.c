/* test_tlsmsg.c - decrypted handshake messages: RFC 8448's server flight and ticket, a loopback certificate, prefixes, flips. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keylog.h"
#include "rfc8448.h"
#include "t.h"
#include "tls.h"
#include "tlsdec.h"
#include "tlsmsg.h"
#include "tlsdec_vectors.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; s[0] && s[1] && n < cap; s += 2) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

static uint8_t buf[20000];

static void test_rfc8448_flight(void)
{
	size_t n = unhex(r_srv_flight, buf, sizeof buf), off = 0, used;
	struct tlsmsg m;

	CHECK_EQ_INT(tlsmsg_decode(buf, n, true, &m, &used), FT_OK);
	CHECK_EQ_INT(m.type, TLS_HS_ENCRYPTED_EXTENSIONS);
	CHECK_EQ_INT(m.n_exts, 3);
	CHECK(!m.has_alpn);
	off += used;
	CHECK_EQ_INT(tlsmsg_decode(buf + off, n - off, true, &m, &used), FT_OK);
	CHECK_EQ_INT(m.type, TLS_HS_CERTIFICATE);
	CHECK_EQ_INT(m.cert.n_certs, 1);
	CHECK(m.cert.parsed);
	CHECK_EQ_INT(m.cert.subject_cn_len, 3);
	CHECK(memcmp(m.cert.subject_cn, "rsa", 3) == 0);
	CHECK(memcmp(m.cert.issuer_cn, "rsa", 3) == 0);
	CHECK_EQ_INT(m.cert.n_san_dns, 0);
	CHECK_EQ_STR(m.cert.not_before, "2016-07-30T01:23:59Z");
	CHECK_EQ_STR(m.cert.not_after, "2026-07-30T01:23:59Z");
	off += used;
	CHECK_EQ_INT(tlsmsg_decode(buf + off, n - off, true, &m, &used), FT_OK);
	CHECK_EQ_INT(m.type, TLS_HS_CERTIFICATE_VERIFY);
	CHECK_EQ_STR(tlsmsg_sig_scheme_name(m.sig_scheme), "rsa_pss_rsae_sha256");
	CHECK_EQ_INT(m.sig_len, 128);
	off += used;
	CHECK_EQ_INT(tlsmsg_decode(buf + off, n - off, true, &m, &used), FT_OK);
	CHECK_EQ_INT(m.type, TLS_HS_FINISHED);
	CHECK_EQ_INT(m.body_len, 32);
	off += used;
	CHECK_EQ_INT(off, n);

	/* every strict prefix wants more; a one-byte flip never crashes */
	int bad = 0;
	for (size_t i = 0; i < 40; i++)   /* EncryptedExtensions: 4 + 36 */
		if (tlsmsg_decode(buf, i, true, &m, &used) != FT_NEED_MORE || used != 0)
			bad++;
	CHECK_EQ_INT(bad, 0);
	for (size_t i = 0; i < n; i++) {
		buf[i] ^= 0x55;
		off = 0;
		for (int k = 0; k < 8 && off < n; k++) {
			if (tlsmsg_decode(buf + off, n - off, true, &m, &used) == FT_NEED_MORE)
				break;
			if (used == 0 || used > n - off)
				bad++;
			off += used ? used : n;
		}
		buf[i] ^= 0x55;
	}
	CHECK_EQ_INT(bad, 0);
}

static void test_rfc8448_ticket(void)
{
	size_t n = unhex(r_nst, buf, sizeof buf), used;
	struct tlsmsg m;

	CHECK_EQ_INT(tlsmsg_decode(buf, n, true, &m, &used), FT_OK);
	CHECK_EQ_INT(used, n);
	CHECK_EQ_INT(m.type, TLS_HS_NEW_SESSION_TICKET);
	CHECK_EQ_INT(m.ticket_lifetime, 30);
	CHECK_EQ_INT(m.ticket_age_add, 0xfad6aac5u);
	CHECK_EQ_INT(m.ticket_len, 178);
	CHECK(m.has_max_early_data);
	CHECK_EQ_INT(m.max_early_data, 1024);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(tlsmsg_decode(buf, i, true, &m, &used), FT_NEED_MORE);
	/* a TLS 1.2 ticket (RFC 5077 3.3) */
	CHECK_EQ_INT(tlsmsg_decode((const uint8_t *)"\x04\x00\x00\x08\x00\x00\x1c\x20\x00\x02\xab\xcd",
				   12, false, &m, &used), FT_OK);
	CHECK_EQ_INT(m.ticket_lifetime, 7200);
	CHECK_EQ_INT(m.ticket_len, 2);
}

static void test_small(void)
{
	struct tlsmsg m;
	size_t used;
	uint8_t level, desc;

	/* KeyUpdate (RFC 8446 4.6.3) */
	CHECK_EQ_INT(tlsmsg_decode((const uint8_t *)"\x18\x00\x00\x01\x01", 5, true, &m, &used), FT_OK);
	CHECK_EQ_INT(m.type, 24);
	CHECK_EQ_INT(m.update_requested, 1);
	CHECK_EQ_INT(tlsmsg_decode((const uint8_t *)"\x18\x00\x00\x01\x02", 5, true, &m, &used),
		     FT_MALFORMED);
	CHECK_EQ_INT(used, 5);
	CHECK_EQ_INT(tlsmsg_decode((const uint8_t *)"\x18\x00\x00\x02\x00\x00", 6, true, &m, &used),
		     FT_MALFORMED);
	CHECK_EQ_STR(m.why, "trailing bytes in the handshake message");
	CHECK_EQ_INT(tlsmsg_decode((const uint8_t *)"\x14\x00\x00\x00", 4, true, &m, &used),
		     FT_MALFORMED);
	/* EncryptedExtensions with ALPN h2 */
	CHECK_EQ_INT(tlsmsg_decode((const uint8_t *)"\x08\x00\x00\x0b\x00\x09\x00\x10\x00\x05\x00\x03\x02h2",
				   15, true, &m, &used), FT_OK);
	CHECK(m.has_alpn && m.alpn_len == 2 && memcmp(m.alpn, "h2", 2) == 0);
	CHECK_EQ_INT(tlsmsg_decode((const uint8_t *)"\x08\x00\x00\x0b\x00\x09\x00\x10\x00\x05\x00\x04\x02h2",
				   15, true, &m, &used), FT_MALFORMED);
	/* a Certificate whose first entry is not X.509: counted, not parsed */
	CHECK_EQ_INT(tlsmsg_decode((const uint8_t *)"\x0b\x00\x00\x0b\x00\x00\x00\x07\x00\x00\x02\x30\x00\x00\x00",
				   15, true, &m, &used), FT_OK);
	CHECK_EQ_INT(m.cert.n_certs, 1);
	CHECK(!m.cert.parsed);
	/* alerts */
	CHECK_EQ_INT(tlsmsg_alert((const uint8_t *)"\x01\x00", 2, &level, &desc), FT_OK);
	CHECK_EQ_STR(tls_alert_name(desc), "close_notify");
	CHECK_EQ_STR(tlsmsg_alert_level_name(level), "warning");
	CHECK_EQ_INT(tlsmsg_alert((const uint8_t *)"\x02\x28", 2, &level, &desc), FT_OK);
	CHECK_EQ_STR(tls_alert_name(desc), "handshake_failure");
	CHECK_EQ_INT(tlsmsg_alert((const uint8_t *)"\x02", 1, &level, &desc), FT_NEED_MORE);
	CHECK_EQ_INT(tlsmsg_alert((const uint8_t *)"\x03\x00", 2, &level, &desc), FT_MALFORMED);
	CHECK_EQ_INT(tlsmsg_alert((const uint8_t *)"\x01\x00\x00", 3, &level, &desc), FT_MALFORMED);
	CHECK(tlsmsg_sig_scheme_name(0x1234) == NULL);
}

/* The loopback TLS 1.3 session: decrypt the server's handshake, decode its certificate. */
static uint8_t srv[8192], cli[64], out[TLSDEC_OUT_MAX], hs[8192];

static void test_loopback_cert(void)
{
	const struct session *s = &sessions[0];   /* t13_chacha */
	struct keylog *kl = keylog_new(0, 0, NULL);
	struct tlsdec t;
	size_t sl = unhex(s->srv, srv, sizeof srv), off, hl = 0, used, n;
	int saw_cert = 0, saw_fin = 0, saw_nst = 0;
	uint8_t it;
	struct tlsmsg m;

	keylog_add_text(kl, (const uint8_t *)s->keylog, strlen(s->keylog));
	unhex(s->cli, cli, sizeof cli);
	CHECK_EQ_INT(tlsdec_init(&t, 0x0304, 0x1303, cli + 11, srv + 11, kl, 0), 0);
	off = 5 + (size_t)(srv[3] << 8 | srv[4]);
	while (sl - off >= 5) {
		size_t rl = 5 + (size_t)(srv[off + 3] << 8 | srv[off + 4]);

		if (rl > sl - off)
			break;
		if (tlsdec_record(&t, 1, srv + off, rl, out, sizeof out, &n, &it) == TLSDEC_OK &&
		    it == TLS_CT_HANDSHAKE && hl + n <= sizeof hs) {
			memcpy(hs + hl, out, n);
			hl += n;
		}
		off += rl;
	}
	/* the handshake messages, gathered across records */
	off = 0;
	while (off < hl && tlsmsg_decode(hs + off, hl - off, true, &m, &used) == FT_OK) {
		if (m.type == TLS_HS_CERTIFICATE) {
			saw_cert++;
			CHECK(m.cert.parsed);
			CHECK(m.cert.subject_cn_len == 12 && memcmp(m.cert.subject_cn, "www.lab.test", 12) == 0);
			CHECK(m.cert.issuer_cn_len == 12 && memcmp(m.cert.issuer_cn, "www.lab.test", 12) == 0);
			CHECK_EQ_INT(m.cert.n_san_dns, 2);
			CHECK(m.cert.san_len[1] == 8 && memcmp(m.cert.san[1], "lab.test", 8) == 0);
			CHECK(strlen(m.cert.not_after) == 20);
		}
		if (m.type == TLS_HS_FINISHED)
			saw_fin++;
		if (m.type == TLS_HS_NEW_SESSION_TICKET) {
			saw_nst++;
			CHECK_EQ_INT(m.ticket_lifetime, 7200);   /* OpenSSL's default */
		}
		off += used;
	}
	CHECK_EQ_INT(off, hl);
	CHECK_EQ_INT(saw_cert, 1);
	CHECK_EQ_INT(saw_fin, 1);
	CHECK_EQ_INT(saw_nst, 1);
	tlsdec_free(&t);
	keylog_free(kl);
}

/* The certificate cache (the last one decoded): a certificate of the same
 * length that differs in one byte is decoded anew, and the first one again
 * still gives its own names. */
static void test_cert_cache(void)
{
	size_t n = unhex(r_srv_flight, buf, sizeof buf), used, cstart, clen, i;
	static uint8_t alt[20000];
	struct tlsmsg m;

	CHECK_EQ_INT(tlsmsg_decode(buf, n, true, &m, &used), FT_OK);   /* EncryptedExtensions */
	cstart = used;
	CHECK_EQ_INT(tlsmsg_decode(buf + cstart, n - cstart, true, &m, &clen), FT_OK);
	CHECK_EQ_INT(m.type, TLS_HS_CERTIFICATE);
	memcpy(alt, buf + cstart, clen);
	/* the first "rsa" in the DER is the issuer's CN: make it "rsb" */
	for (i = 0; i + 3 <= clen && memcmp(alt + i, "rsa", 3) != 0; i++)
		;
	CHECK(i + 3 <= clen);
	if (i + 3 > clen)
		return;
	alt[i + 2] = 'b';
	for (int round = 0; round < 2; round++) {
		CHECK_EQ_INT(tlsmsg_decode(alt, clen, true, &m, &used), FT_OK);
		CHECK(m.cert.parsed);
		CHECK(m.cert.issuer_cn_len == 3 && memcmp(m.cert.issuer_cn, "rsb", 3) == 0);
		CHECK(m.cert.subject_cn_len == 3 && memcmp(m.cert.subject_cn, "rsa", 3) == 0);
		CHECK_EQ_INT(m.cert.n_certs, 1);
		CHECK_EQ_INT(tlsmsg_decode(buf + cstart, clen, true, &m, &used), FT_OK);
		CHECK(m.cert.parsed);
		CHECK(m.cert.issuer_cn_len == 3 && memcmp(m.cert.issuer_cn, "rsa", 3) == 0);
		CHECK_EQ_INT(m.cert.n_certs, 1);
		CHECK_EQ_STR(m.cert.not_after, "2026-07-30T01:23:59Z");
	}
}

int main(void)
{
	test_rfc8448_flight();
	test_rfc8448_ticket();
	test_small();
	test_loopback_cert();
	test_cert_cache();
	return t_done("test_tlsmsg");
}
