/* fuzz_quic.c - libFuzzer target: QUIC packet headers of one datagram (quic_decode). */
#include <stddef.h>
#include <stdint.h>

#include "quic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quic_info q;
	quic_decode(data, size, &q);
	if (q.n_pkts > QUIC_MAX_PACKETS)
		__builtin_trap();
	for (unsigned i = 0; i < q.n_pkts; i++) {
		if (q.pkt[i].dcid_len > QUIC_CID_MAX || q.pkt[i].scid_len > QUIC_CID_MAX)
			__builtin_trap();
		(void)quic_version_name(q.pkt[i].version);
	}
	return 0;
}
