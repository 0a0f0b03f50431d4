/* fuzz_pkt.c - libFuzzer target: link, IP, TCP/UDP headers and options, ICMP and the packet
 * an ICMP error quotes, link types and tunnels walked to the inner packet (pkt_decode). */
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every link type pkt_decode claims to understand, plus two it does not (147, 189); the
 * order is tests/fuzz/seeds.py's DLTS (a seed's first byte is its index). */
static const int dlts[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147,
			    /* issue 13: link types that carry IP, and the tunnels inside them */
			    8, 9, 10, 11, 15, 50, 51, 100, 102, 104, 105, 107, 119, 127, 163, 166, 178, 192, 204, 219, 226, 239, 240, 241, 242, 258, 281, 282, 284, 285, 189, 117 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int dlt = dlts[data[0] % (sizeof dlts / sizeof dlts[0])];
	const uint8_t *frame = data + 1;
	uint32_t cap_len = (uint32_t)(size - 1);
	struct pkt p;
	/* As captured (wire = cap), and as if the snap length had cut it. */
	pkt_decode(dlt, frame, cap_len, cap_len, 0, &p);
	if (p.layer == LAYER_DONE && (p.pl_cap > p.pl_len || p.pl_cap > cap_len ||
				      (p.pl_cap && (p.pl < frame || (size_t)(p.pl - frame) > cap_len - p.pl_cap))))
		__builtin_trap(); /* the payload slice must lie inside the frame */
	const struct icmp_quote *q = &p.icmp.q;
	if (p.layer == LAYER_DONE && (p.proto == 1 || p.proto == 58) &&
	    (q->pl_cap > q->pl_len || q->pl_cap > cap_len ||
	     (q->pl_cap && (q->pl < frame || (size_t)(q->pl - frame) > cap_len - q->pl_cap)) ||
	     (q->ports && !q->ip) || ((q->dns || q->quic) && !q->udp)))
		__builtin_trap(); /* the quoted payload too, and the quote's flags in order */
	if (p.status == FT_OK && p.len_from != PKT_LEN_HDR && p.ip_len == 0)
		__builtin_trap(); /* a length taken from elsewhere is never 0 */
	for (unsigned i = 0; i < p.n_encap && i < PKT_MAX_ENCAP; i++)
		if (p.encap[i].kind == 0 || p.encap[i].kind > ENCAP_TEREDO)
			__builtin_trap(); /* every recorded encapsulation is a known kind */
	pkt_decode(dlt, frame, cap_len, cap_len + 1000, 0, &p);
	(void)pkt_link_supported(dlt);
	return 0;
}
