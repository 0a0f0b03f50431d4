/* fuzz_proxy.c - libFuzzer target: proxy handshakes (proxy_sniff, proxy_feed) fed as the
 * stream layer feeds them: bytes not taken are offered again in front of the next ones. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HOLD_MAX 16384 /* bytes a direction may hold, as the reassembler's tail would */

/*
 * Byte 0: the kind to force (0: let proxy_sniff decide from the client's first chunk).
 * Then chunks: a header byte (bit 7 the direction, the rest the length) and the bytes.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t held[2][HOLD_MAX];
	size_t n_held[2] = { 0, 0 };
	struct proxy_state st;
	memset(&st, 0, sizeof st);
	if (size < 1)
		return 0;
	st.kind = data[0] % 4;
	size_t off = 1;
	while (off < size) {
		int dir = data[off] >> 7;
		size_t n = data[off] & 0x7f;
		off++;
		if (n > size - off)
			n = size - off;
		if (n > HOLD_MAX - n_held[dir])
			n = HOLD_MAX - n_held[dir];
		memcpy(held[dir] + n_held[dir], data + off, n);
		n_held[dir] += n;
		off += n;
		if (!st.sniffed) {
			uint8_t kind;
			if (st.kind == PROXY_NONE) {
				if (proxy_sniff(held[0], n_held[0], &kind) == FT_NEED_MORE)
					continue;
				st.kind = kind;
			}
			st.sniffed = true;
		}
		if (st.kind == PROXY_NONE || st.done[dir])
			continue;
		size_t used = 0;
		uint8_t msgs = 0;
		enum ft_status s = proxy_feed(&st, dir, held[dir], n_held[dir], &used, &msgs);
		if (used > n_held[dir] || st.host_len > PROXY_HOST_MAX || st.host[st.host_len] != 0)
			__builtin_trap();
		if ((s == FT_OK) != st.done[dir] && s != FT_MALFORMED)
			__builtin_trap(); /* OK and done go together */
		if (s == FT_MALFORMED && !st.failed)
			__builtin_trap();
		memmove(held[dir], held[dir] + used, n_held[dir] - used);
		n_held[dir] -= used;
	}
	(void)proxy_kind_name(&st);
	return 0;
}
