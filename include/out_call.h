/* out_call.h - what the text and JSON views say of a socket call line (issue 14). */
#ifndef FT_OUT_CALL_H
#define FT_OUT_CALL_H

#include <stdbool.h>

#include "calljoin.h"
#include "sb.h"
#include "step.h"

/* The step a call belongs to: a DNS socket's calls (port 53) are resolve;
 * socket() and connect() connect; write/send write; read/recv read;
 * close/shutdown close. */
enum step out_call_step(const struct call_line *l);

/* "connect(fd 5, 192.0.2.80:80) entered", "write(fd 5, 76 B) = 76",
 * "connect() = -1 EINPROGRESS after 0.02 ms", "close(fd 5)". */
void out_call_desc(struct sb *s, const struct call_line *l);

/* The socket's addresses as a packet line shows them ("a:p > b:p"), or
 * "> target" (connect entered); false when neither is known. */
bool out_call_addrs(struct sb *s, const struct call_line *l);

/* The IP version and addresses of l's socket, IPv4-mapped IPv6 made IPv4:
 * false when not an Internet socket with addresses. */
bool out_call_tuple(const struct call_line *l, uint8_t *ver, uint8_t *la, uint8_t *ra);

/* epoll events as their names, '|'-joined ("EPOLLIN|EPOLLOUT"), or poll's
 * (!epoll: "POLLIN|POLLOUT", the same bits); the bits without a name in hex. */
void out_call_events(struct sb *s, uint32_t ev, bool epoll);

/* An errno: its name ("ECONNREFUSED"), or "errno N" when it has none known. */
void out_call_errno(struct sb *s, int64_t err);
/* An epoll_ctl line's operation: "EPOLL_CTL_ADD", "EPOLL_CTL_MOD", "EPOLL_CTL_DEL" or "?". */
const char *out_call_epoll_op(const struct call_line *l);

#endif
