/* out_browser.h - what the browser is doing, as every view says it: the facts of one
 * packet event (a connection's first request, its first FIN or RST, the first request
 * on a reused connection) and what the application made of the connection (step.c). */
#ifndef FT_OUT_BROWSER_H
#define FT_OUT_BROWSER_H

#include <stdbool.h>
#include <stdint.h>

#include "out.h"
#include "step.h"

/* What the application made of the connection (step_conn_use); *idle (may be NULL)
 * gets how long a preconnected connection waited for its first request. */
enum conn_use out_conn_use(const struct conn *c, int64_t *idle);

/* A TCP event: this segment carries the client's first request byte. */
bool out_first_request(const struct ev *e);

/* A TCP event: this segment is the connection's first FIN or RST. */
bool out_first_close(const struct ev *e);

/* A TCP event: the number shown (#N) of the connection's second request when this
 * segment carries its head (HTTP/1.x exchange 2, the HTTP/2 stream of the second
 * exchange), the first request on a reused connection; 0 otherwise. */
uint32_t out_reused_request(const struct ev *e);

/* The call column of a packet: "TLS handshake" / "QUIC handshake" for the secure
 * channel, "resolver" for DNS an application's own resolver sent (DNS over HTTPS
 * included), else step_call. */
const char *out_call_col(const struct ev *e);

#endif
