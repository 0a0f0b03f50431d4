/* fuzz_dns.c - libFuzzer target: one DNS message (dns_decode), its decoded RDATA, the name helpers. */
#include <stddef.h>
#include <stdint.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A decoded slice lies inside the message; reading each byte lets ASan
 * check it too.  Returns a value that depends on the bytes. */
static unsigned slice_check(const uint8_t *data, size_t size, struct dns_bytes b)
{
	unsigned sum = 0;
	if (b.len == 0)
		return 0;
	if (b.p < data || (size_t)(b.p - data) > size || size - (size_t)(b.p - data) < b.len)
		__builtin_trap();
	for (size_t i = 0; i < b.len; i++)
		sum += b.p[i];
	return sum;
}

/* The decoded RDATA structs of one record are within their bounds and
 * their slices inside the message. */
static unsigned rd_check(const uint8_t *data, size_t size, const struct dns_rr *r)
{
	unsigned sum = 0;
	if (r->rd_status != FT_OK)
		return 0;
	switch (r->type) {
	case DNS_T_TXT:
		if (r->rd.txt.n > DNS_TXT_MAX || (r->rd.txt.n_more && r->rd.txt.n != DNS_TXT_MAX))
			__builtin_trap();
		for (unsigned i = 0; i < r->rd.txt.n; i++)
			sum += slice_check(data, size, r->rd.txt.s[i]);
		break;
	case DNS_T_CAA:
		if (r->rd.caa.tag.len == 0)
			__builtin_trap();
		sum += slice_check(data, size, r->rd.caa.tag) + slice_check(data, size, r->rd.caa.value);
		break;
	case DNS_T_SVCB:
	case DNS_T_HTTPS:
		if (r->rd.svc.n > DNS_SVC_MAX || r->rd.svc.n_items > DNS_SVC_ITEMS_MAX)
			__builtin_trap();
		for (unsigned i = 0; i < r->rd.svc.n; i++) {
			const struct dns_svc_param *p = &r->rd.svc.param[i];
			if ((unsigned)p->first + p->n > r->rd.svc.n_items)
				__builtin_trap();
			for (unsigned k = 0; k < p->n; k++) {
				struct dns_bytes b = r->rd.svc.items[p->first + k];
				if ((p->kind == DNS_SVC_IPV4 && b.len != 4) ||
				    (p->kind == DNS_SVC_IPV6 && b.len != 16))
					__builtin_trap();
				sum += slice_check(data, size, b);
			}
		}
		break;
	default:
		break;
	}
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_msg m;
	static volatile unsigned sink;
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
		sink = sink + rd_check(data, size, r);
		(void)dns_type_name(r->type);
		(void)dns_class_name(r->cls);
		if (i > 0)
			(void)dns_name_equal(&r->name, &m.rr[i - 1].name);
	}
	(void)dns_rcode_name(m.rcode);
	(void)dns_opcode_name(m.opcode);
	return 0;
}
