/* fuzz_frag.c - libFuzzer target: IP fragment reassembly (frag_add on what pkt_decode made of
 * each packet), raw packets or fragments the harness cuts from a datagram. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frag.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DLT_RAW_IP 12
#define MAX_PKTS 512 /* packets per input: each record takes >= 3 bytes anyway */

static uint8_t buf[65536 + 64];

/* The contract the tracer relies on, checked after every fragment. */
static void check(const struct frag_table *ft, const struct frag_out *o, enum frag_verdict v)
{
	struct frag_stats st;
	frag_stats_get(ft, &st);
	if (st.peak_bytes > FRAG_MEM_CAP || o->verdict != v)
		__builtin_trap();
	if (v == FRAG_DROPPED && !o->why)
		__builtin_trap();
	if (v == FRAG_DONE) {
		struct pkt q;
		if (!o->dgram || o->dgram_len < 20 || o->dgram_len > 65535 + 40)
			__builtin_trap();
		/* every byte of the datagram must be readable (ASan) */
		volatile uint8_t x = 0;
		for (uint32_t i = 0; i < o->dgram_len; i++)
			x ^= o->dgram[i];
		(void)x;
		pkt_decode(DLT_RAW_IP, o->dgram, o->dgram_len, o->dgram_len, 0, &q);
		if (q.frag && q.ip_ver == 4)
			__builtin_trap(); /* a reassembled IPv4 datagram is no fragment */
	}
}

static void feed(struct frag_table *ft, const uint8_t *b, uint32_t cap, uint32_t wire, int64_t ts)
{
	struct pkt p;
	struct frag_out o;
	pkt_decode(DLT_RAW_IP, b, cap, wire, ts, &p);
	if (!p.frag || !(p.layer > LAYER_IP || p.status == FT_OK))
		return;
	if (p.l3_off > cap)
		__builtin_trap();
	enum frag_verdict v = frag_add(ft, &p, b + p.l3_off, cap - p.l3_off, &o);
	check(ft, &o, v);
}

/*
 * Byte 0 even: records of [time step (1), length (2, big-endian), a raw IP packet].
 * Byte 0 odd: byte 1 picks IPv4/IPv6 and the protocol, bytes 2-3 the id, then 3-byte
 * pieces (offset / 8 as 13 bits + MF, length / 8 as 8 bits) until a zero byte, then the
 * datagram the pieces are cut from (bytes past its end are zeros).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frag_table *ft = frag_open();
	if (!ft || size < 1)
		goto out;
	int64_t ts = 0;
	if (!(data[0] & 1)) {
		size_t off = 1;
		for (unsigned n = 0; n < MAX_PKTS && size - off >= 3; n++) {
			ts += (int64_t)data[off] * 250000; /* up to 64 s a step: timeouts are reached */
			size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
			off += 3;
			if (len > size - off)
				len = size - off;
			memcpy(buf, data + off, len);
			/* as captured, and now and then as cut by a snap length */
			uint32_t cap = (uint32_t)len;
			if (len > 40 && (data[off - 3] & 0x80))
				cap = (uint32_t)(len - 1 - data[off - 3] % 40);
			feed(ft, buf, cap, (uint32_t)len, ts);
			off += len;
		}
	} else if (size >= 4) {
		bool v6 = data[1] & 1;
		uint8_t proto = (data[1] >> 1) % 3 == 0 ? 17 : (data[1] >> 1) % 3 == 1 ? 6 : 1;
		uint32_t id = (uint32_t)data[2] << 8 | data[3];
		size_t off = 4, pieces = off;
		while (off + 3 <= size && data[off] != 0)
			off += 3;
		size_t n_pieces = (off - pieces) / 3;
		const uint8_t *dg = off < size ? data + off + 1 : data + size;
		size_t dg_len = (size_t)(data + size - dg);
		for (size_t k = 0; k < n_pieces && k < MAX_PKTS; k++) {
			const uint8_t *pc = data + pieces + 3 * k;
			uint16_t fo = (uint16_t)((pc[0] & 0x7f) << 8 | pc[1]);
			uint32_t foff = (uint32_t)(fo & 0x1fff) * 8, flen = (uint32_t)pc[2] * 8;
			bool mf = (pc[0] & 0x80) != 0;
			size_t hl = v6 ? 48 : 20;
			if (hl + flen > sizeof buf)
				continue;
			memset(buf, 0, hl + flen);
			for (uint32_t i = 0; i < flen; i++)
				buf[hl + i] = foff + i < dg_len ? dg[foff + i] : 0;
			if (v6) {
				uint32_t plen = 8 + flen;
				buf[0] = 0x60, buf[4] = (uint8_t)(plen >> 8), buf[5] = (uint8_t)plen;
				buf[6] = 44, buf[7] = 64, buf[8] = 0xfd, buf[24] = 0xfd, buf[39] = 1;
				buf[40] = proto == 1 ? 58 : proto;
				uint16_t f6 = (uint16_t)(foff | (mf ? 1 : 0));
				buf[42] = (uint8_t)(f6 >> 8), buf[43] = (uint8_t)f6;
				buf[46] = (uint8_t)(id >> 8), buf[47] = (uint8_t)id;
			} else {
				uint32_t tot = 20 + flen;
				if (tot > 65535)
					continue;
				uint16_t f4 = (uint16_t)((foff / 8) | (mf ? 0x2000 : 0));
				buf[0] = 0x45, buf[2] = (uint8_t)(tot >> 8), buf[3] = (uint8_t)tot;
				buf[4] = (uint8_t)(id >> 8), buf[5] = (uint8_t)id;
				buf[6] = (uint8_t)(f4 >> 8), buf[7] = (uint8_t)f4;
				buf[8] = 64, buf[9] = proto, buf[12] = 10, buf[19] = 1;
			}
			ts += 1000;
			feed(ft, buf, (uint32_t)(hl + flen), (uint32_t)(hl + flen), ts);
		}
	}
	frag_end(ft);
out:
	frag_close(ft);
	return 0;
}
