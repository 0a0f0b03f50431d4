/* fuzz_tls.c - libFuzzer target: the TLS record layer and hello decoder, both
 * directions, split into segments, with gaps (tls_feed/tls_gap/tls_sniff). */
#include <stddef.h>
#include <stdint.h>

#include "stream.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tls_conn conn;
static struct tls_events evs;

static void check(const struct tls_events *e)
{
	if (e->n > TLS_MAX_EVENTS)
		__builtin_trap();
	for (unsigned i = 0; i < e->n; i++) {
		const struct tls_ev *v = &e->ev[i];
		if (v->kind == TLS_EV_CLIENT_HELLO && v->ch) {
			const struct tls_client_hello *ch = v->ch;
			if (ch->sni_len > TLS_NAME_MAX || ch->n_alpn > TLS_MAX_ALPN ||
			    ch->n_versions > TLS_MAX_VERSIONS)
				__builtin_trap();
			for (unsigned a = 0; a < ch->n_alpn; a++)
				if (ch->alpn_len[a] > TLS_ALPN_MAX)
					__builtin_trap();
		}
		if (v->kind == TLS_EV_SERVER_HELLO && v->sh && v->sh->alpn_len > TLS_ALPN_MAX)
			__builtin_trap();
		(void)tls_version_name(v->rec_version);
		(void)tls_hs_name(v->hs_type);
		(void)tls_alert_name(v->alert_desc);
		if (v->sh)
			(void)tls_cipher_name(v->sh->cipher);
	}
}

static void reset(void) { evs.n = evs.n_dropped = 0; }

static size_t feed(void *ctx, int dir, const uint8_t *data, size_t len)
{
	(void)ctx;
	reset();
	size_t n = tls_feed(&conn, dir, data, len, &evs);
	check(&evs);
	return n;
}

static void gap(void *ctx, int dir, uint64_t len)
{
	(void)ctx;
	reset();
	tls_gap(&conn, dir, len, &evs);
	check(&evs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i <= size && i <= 64; i++)
		(void)tls_sniff(data, i);
	tls_init(&conn);
	stream_drive(data, size, NULL, feed, gap);
	return 0;
}
