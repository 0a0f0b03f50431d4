/* fuzz_pcapng.c - libFuzzer target: the pcapng block reader over the bytes, from memory and from a FILE. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A slice the reader handed out lies inside [base, base + size); reading each byte lets ASan check it. */
static unsigned in_bounds(const uint8_t *base, size_t size, const uint8_t *p, size_t len)
{
	unsigned sum = 0;
	if (len == 0)
		return 0;
	if (!p || p < base || (size_t)(p - base) > size || size - (size_t)(p - base) < len)
		__builtin_trap();
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return sum;
}

struct tally {
	unsigned n_rec, n_pkt, n_sec, n_if;
	int last;
	unsigned long long sum; /* time stamps and lengths: the FILE reader must agree */
};

static struct tally run(struct pcapng_reader *r, const uint8_t *base, size_t size)
{
	struct tally t;
	memset(&t, 0, sizeof t);
	struct pcapng_rec rec;
	while ((t.last = pcapng_next(r, &rec)) == 1) {
		t.n_rec++;
		if (rec.kind == PCAPNG_REC_PACKET) {
			t.n_pkt++;
			if (!rec.iface || rec.iface != pcapng_iface(r, rec.if_id) || rec.ts_nsec > 999999999u ||
			    rec.n_comments > PCAPNG_COMMENTS_MAX)
				__builtin_trap();
			if (base) {
				(void)in_bounds(base, size, rec.data, rec.cap_len);
				for (unsigned i = 0; i < rec.n_comments; i++)
					(void)in_bounds(base, size, rec.comment[i].p, rec.comment[i].len);
			} else {
				/* FILE mode: the slices lie in the reader's own buffer; touch them */
				volatile unsigned s = 0;
				for (uint32_t i = 0; i < rec.cap_len; i++)
					s += rec.data[i];
				for (unsigned i = 0; i < rec.n_comments; i++)
					for (size_t k = 0; k < rec.comment[i].len; k++)
						s += rec.comment[i].p[k];
			}
			t.sum += (unsigned long long)rec.ts_usec + rec.ts_nsec + rec.cap_len + rec.wire_len;
		} else if (rec.kind == PCAPNG_REC_SECRETS) {
			t.n_sec++;
			if (rec.secrets.len > PCAPNG_SECRETS_MAX)
				__builtin_trap();
			if (base)
				(void)in_bounds(base, size, rec.secrets.p, rec.secrets.len);
			t.sum += rec.secrets.len;
		} else if (rec.kind == PCAPNG_REC_IFACE) {
			t.n_if++;
			if (!rec.iface || rec.iface->name_len >= PCAPNG_IFNAME_MAX ||
			    strlen(rec.iface->name) > rec.iface->name_len)
				__builtin_trap();
		} else {
			__builtin_trap();
		}
		if (t.n_rec > size) /* every record takes a block of 12 bytes or more */
			__builtin_trap();
	}
	if (t.last == -1 && pcapng_geterr(r)[0] == '\0')
		__builtin_trap();
	if (t.last == 1 || t.last < -1 || pcapng_next(r, &rec) != t.last) /* errors and ends stay */
		__builtin_trap();
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char eb[PCAPNG_ERRBUF_SIZE];
	struct pcapng_reader *r = pcapng_open_mem(data, size, eb);
	if (!r)
		return 0;
	struct tally a = run(r, data, size);
	pcapng_close(r);

	if (size == 0)
		return 0;
	FILE *f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	r = pcapng_open_file(f, eb);
	if (r) {
		struct tally b = run(r, NULL, size);
		if (a.n_rec != b.n_rec || a.last != b.last || a.sum != b.sum)
			__builtin_trap();
		pcapng_close(r);
	}
	fclose(f);
	return 0;
}
