/* out_note.h - a packet's annotation: the opt_comment of its pcapng Enhanced Packet Block. */
#ifndef FT_OUT_NOTE_H
#define FT_OUT_NOTE_H

#include <stddef.h>

#include "out.h"

#define OUT_NOTE_MAX 160 /* bytes of an annotation, the NUL included; longer is cut */

/*
 * The stable, machine-readable form (documented in fetchtrace(1)):
 *
 *   step=STEP call=CALL [fetch=N] [conn=N | quic=qN] NOTE
 *
 * STEP is resolve, connect, write, read, close or other; CALL the socket
 * call of the step (getaddrinfo(), connect(), write(), read(), close(), -);
 * fetch and conn (TCP) or quic (QUIC) when the packet has them; NOTE the
 * few words of the --ladder arrow ("SYN", "GET /", "query A example.com").
 * Only bytes 0x20-0x7e: wire bytes are escaped as in the text output
 * (backslash as "\\", any other byte as "\xNN").  Returns the length
 * written to buf (NUL-terminated; cap >= 1), 0 for an event that is no packet.
 */
size_t out_annotation(const struct ev *e, char *buf, size_t cap);

#endif
