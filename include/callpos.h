/* callpos.h - where a connection's measured socket calls (issue 14) stand in
 * its byte stream (TCP) or its datagrams (UDP): kept per connection by
 * timeline.c, which joins an HTTP/2 or HTTP/3 stream's first bytes to the
 * call that moved them. */
#ifndef FT_CALLPOS_H
#define FT_CALLPOS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The measured reads and writes of a connection, for joining an HTTP/2
 * stream's first bytes to the call that moved them: a read() returns the
 * next `ret` bytes of the stream, so the bytes moved so far, counted from
 * the connect(), say which stream position each call covered.  A connected
 * UDP socket (HTTP/3) hands over whole datagrams in the order they came: its
 * calls count datagrams instead, each checked against the datagram's size.
 * The newest few calls are kept (the call of a position may be seen a few
 * microseconds before the packet that carried it).
 */
#define CONN_CALL_RING 4   /* calls kept each way: those within the clocks' difference */
struct conn_call {
	uint64_t to;           /* it covered the stream positions (to - n, to], 1-based (UDP:
	                          the datagrams, by their number on the socket) */
	int64_t at;            /* a write() entered, a read() returned */
	uint32_t n;            /* positions covered */
	uint32_t len;          /* UDP: the bytes it sent or returned (one datagram's) */
};
struct conn_calls {
	bool counted;          /* its connect() was measured: the counts start with the stream */
	bool seen;             /* UDP: a call of its socket was seen (counted says whether that
	                          was before its first datagram from the server) */
	bool lost;             /* a call whose bytes are not known (sendmmsg, a read that cannot
	                          have come after its bytes): no position is joined any more */
	uint8_t why;           /* with lost: enum tl_nosplit, why */
	uint64_t done[2];      /* bytes (UDP: datagrams) written (0) and read (1) by the calls */
	uint8_t next[2];       /* ring slot the next call takes */
	struct conn_call ring[2][CONN_CALL_RING]; /* [0] writes, [1] reads: the newest */
};

#endif
