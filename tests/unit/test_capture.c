/* test_capture.c - capture.h's time stamp conversion: microseconds from any
 * seconds and microseconds a capture file may hold, saturated, never an
 * overflow (issue 9: pcapng with if_tsresol 10^0, classic pcap after 2038). */
#include <stdint.h>

#include "capture.h"
#include "t.h"

int main(void)
{
	CHECK_EQ_INT(cap_ts_us(0, 0), 0);
	CHECK_EQ_INT(cap_ts_us(1700000000, 123456), INT64_C(1700000000123456));
	/* the unsigned 32-bit seconds of classic pcap, up to 2106 */
	CHECK_EQ_INT(cap_ts_us(0xFFFFFFFFLL, 999999), INT64_C(4294967295999999));
	CHECK_EQ_INT(cap_ts_us(-1, 0), -1000000);
	/* saturated, whatever the seconds: the difference of two still fits */
	CHECK_EQ_INT(cap_ts_us(INT64_C(10000000000000), 0), CAP_TS_MAX_US);
	CHECK_EQ_INT(cap_ts_us(INT64_MAX, INT64_MAX), CAP_TS_MAX_US);
	CHECK_EQ_INT(cap_ts_us(INT64_MIN, INT64_MIN), -CAP_TS_MAX_US);
	/* just below the bound, a huge usec: clamped to 2^31 - 1, then the sum saturates */
	CHECK_EQ_INT(cap_ts_us(CAP_TS_MAX_US / 1000000 - 1, INT64_MAX), CAP_TS_MAX_US);
	CHECK_EQ_INT(cap_ts_us(CAP_TS_MAX_US / 1000000 - 1, 5), CAP_TS_MAX_US - 1000000 + 5);
	CHECK_EQ_INT(cap_ts_us(-(CAP_TS_MAX_US / 1000000) + 1, INT64_MIN), -CAP_TS_MAX_US);
	CHECK(cap_ts_us(INT64_MAX, 0) - cap_ts_us(INT64_MIN, 0) > 0); /* no overflow */
	return t_done("test_capture");
}
