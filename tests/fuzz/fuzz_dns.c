/* fuzz_dns.c - libFuzzer target: one DNS message (dns_decode) and the name helpers. */
#include <stddef.h>
#include <stdint.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_msg m;
	dns_decode(data, size, &m);
	/* Names are NUL-terminated within their capacity (255 wire bytes, escaped); a label
	 * may hold a NUL byte, so the length is not strlen's. */
	if (m.has_question && (m.qname.len >= DNS_NAME_TEXT_MAX || m.qname.text[m.qname.len] != '\0'))
		__builtin_trap();
	if (m.n_rr > DNS_MAX_RR)
		__builtin_trap();
	for (unsigned i = 0; i < m.n_rr; i++) {
		const struct dns_rr *r = &m.rr[i];
		if (r->name.len >= DNS_NAME_TEXT_MAX || r->name.text[r->name.len] != '\0')
			__builtin_trap();
		if (r->rdata && r->rd_status == FT_OK &&
		    (r->rdata < data || (size_t)(r->rdata - data) > size - r->rdlen))
			__builtin_trap(); /* RDATA slice inside the message */
		(void)dns_type_name(r->type);
		(void)dns_class_name(r->cls);
		if (i > 0)
			(void)dns_name_equal(&r->name, &m.rr[i - 1].name);
	}
	(void)dns_rcode_name(m.rcode);
	(void)dns_opcode_name(m.opcode);
	return 0;
}
