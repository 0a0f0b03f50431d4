/* out_call.c - what the text and JSON views say of a socket call line (issue 14). */
#include "out_call.h"

#include <string.h>

#define FAM_INET 2
#define FAM_INET6 10

static bool is_dns(const struct call_line *l)
{
	return (l->has_tuple && l->rport == 53) || (l->tfamily && l->tport == 53);
}

enum step out_call_step(const struct call_line *l)
{
	if (is_dns(l))
		return STEP_RESOLVE;
	switch (l->sys) {
	case CALLS_SYS_SOCKET:
	case CALLS_SYS_CONNECT:
	case CALLS_SYS_ACCEPT:
	case CALLS_SYS_POLL:
	case CALLS_SYS_SELECT:
	case CALLS_SYS_EPOLL_CTL:
	case CALLS_SYS_EPOLL_WAIT:
	case CALLS_SYS_GETSOCKOPT:
		return STEP_CONNECT;
	case CALLS_SYS_WRITE:
	case CALLS_SYS_WRITEV:
	case CALLS_SYS_SENDTO:
	case CALLS_SYS_SENDMSG:
	case CALLS_SYS_SENDMMSG:
		return STEP_WRITE;
	case CALLS_SYS_READ:
	case CALLS_SYS_READV:
	case CALLS_SYS_RECVFROM:
	case CALLS_SYS_RECVMSG:
	case CALLS_SYS_RECVMMSG:
		return STEP_READ;
	default:
		return STEP_CLOSE;
	}
}

static bool mapped(const uint8_t *a)
{
	static const uint8_t pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return !memcmp(a, pre, 12);
}

/* An address of family fam as (version, 16 bytes), a mapped IPv6 as IPv4. */
static uint8_t addr_of(uint16_t fam, const uint8_t *in, uint8_t *out)
{
	memset(out, 0, 16);
	if (fam == FAM_INET) {
		memcpy(out, in, 4);
		return 4;
	}
	if (fam == FAM_INET6 && mapped(in)) {
		memcpy(out, in + 12, 4);
		return 4;
	}
	if (fam == FAM_INET6) {
		memcpy(out, in, 16);
		return 6;
	}
	return 0;
}

bool out_call_tuple(const struct call_line *l, uint8_t *ver, uint8_t *la, uint8_t *ra)
{
	if (!l->has_tuple)
		return false;
	uint8_t v1 = addr_of(l->family, l->laddr, la), v2 = addr_of(l->family, l->raddr, ra);
	if (!v1 || v1 != v2)
		return false;
	*ver = v1;
	return true;
}

static void put_target(struct sb *s, const struct call_line *l)
{
	uint8_t a[16];
	uint8_t v = addr_of(l->tfamily, l->taddr, a);
	if (v)
		sb_endpoint(s, v, a, l->tport);
	else
		sb_puts(s, "?");
}

bool out_call_addrs(struct sb *s, const struct call_line *l)
{
	uint8_t ver, la[16], ra[16];
	if (out_call_tuple(l, &ver, la, ra) && l->rport) {
		sb_endpoint(s, ver, la, l->lport);
		sb_puts(s, " > ");
		sb_endpoint(s, ver, ra, l->rport);
		return true;
	}
	if (l->tfamily) {
		sb_puts(s, "> ");
		put_target(s, l);
		return true;
	}
	return false;
}

static void put_ret(struct sb *s, const struct call_line *l)
{
	if (!l->has_ret)
		return;
	if (l->ret >= 0) {
		sb_printf(s, " = %lld", (long long)l->ret);
		return;
	}
	sb_puts(s, " = -1 ");
	out_call_errno(s, -l->ret);
}

void out_call_errno(struct sb *s, int64_t err)
{
	const char *name = calls_errno_name(err);
	if (name)
		sb_puts(s, name);
	else
		sb_printf(s, "errno %lld", (long long)err);
}

const char *out_call_epoll_op(const struct call_line *l)
{
	return l->asked == CALLS_EPOLL_ADD   ? "EPOLL_CTL_ADD"
	       : l->asked == CALLS_EPOLL_MOD ? "EPOLL_CTL_MOD"
	       : l->asked == CALLS_EPOLL_DEL ? "EPOLL_CTL_DEL"
					     : "?";
}

void out_call_events(struct sb *s, uint32_t ev, bool epoll)
{
	static const struct { uint32_t bit; const char *name; } tab[] = {
		{ CALLS_EPOLLIN, "EPOLLIN" },       { CALLS_EPOLLOUT, "EPOLLOUT" },
		{ CALLS_EPOLLERR, "EPOLLERR" },     { CALLS_EPOLLHUP, "EPOLLHUP" },
		{ CALLS_EPOLLRDHUP, "EPOLLRDHUP" }, { CALLS_EPOLLONESHOT, "EPOLLONESHOT" },
		{ CALLS_EPOLLET, "EPOLLET" },
	};
	uint32_t rest = ev;
	bool any = false;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (ev & tab[i].bit) {
			if (any)
				sb_putc(s, '|');
			sb_puts(s, tab[i].name + (epoll ? 0 : 1)); /* poll's POLL* bits are the same */
			any = true;
			rest &= ~tab[i].bit;
		}
	if (rest || !any)
		sb_printf(s, any ? "|0x%x" : "0x%x", (unsigned)rest);
}

/* What a wait found on a connecting socket: the connection is up, or the
 * connect() failed (the error is getsockopt's to tell). */
static void put_ready(struct sb *s, const struct call_line *l)
{
	sb_printf(s, ": fd %d ", (int)l->fd);
	if (l->events & (CALLS_EPOLLERR | CALLS_EPOLLHUP)) {
		out_call_events(s, l->events, l->sys == CALLS_SYS_EPOLL_WAIT);
		sb_puts(s, ", the connect failed");
	} else {
		sb_puts(s, "writable, the connection is up");
	}
}

void out_call_desc(struct sb *s, const struct call_line *l)
{
	const char *name = calls_sys_name(l->sys);
	switch (l->sys) {
	case CALLS_SYS_SOCKET:
		sb_printf(s, "socket(%s, %s)",
			  l->family == FAM_INET ? "AF_INET" : l->family == FAM_INET6 ? "AF_INET6" : "?",
			  l->sotype == 1 ? "SOCK_STREAM" : l->sotype == 2 ? "SOCK_DGRAM" : "?");
		put_ret(s, l);
		return;
	case CALLS_SYS_CONNECT:
		if (l->phase == CALL_ENTERED) {
			sb_printf(s, "connect(fd %d, ", (int)l->fd);
			put_target(s, l);
			sb_puts(s, ") entered");
			return;
		}
		sb_puts(s, "connect()");
		put_ret(s, l);
		if (l->enter_us && l->exit_us >= l->enter_us) {
			sb_puts(s, " after ");
			sb_dur(s, l->exit_us - l->enter_us);
		}
		return;
	case CALLS_SYS_CLOSE:
		sb_printf(s, "close(fd %d)", (int)l->fd);
		return;
	case CALLS_SYS_POLL:
	case CALLS_SYS_SELECT:
		sb_printf(s, "%s()", name);
		put_ret(s, l);
		put_ready(s, l);
		return;
	case CALLS_SYS_EPOLL_WAIT:
		sb_printf(s, "epoll_wait(epfd %d)", (int)l->epfd);
		put_ret(s, l);
		put_ready(s, l);
		return;
	case CALLS_SYS_EPOLL_CTL:
		sb_printf(s, "epoll_ctl(epfd %d, %s, fd %d", (int)l->epfd, out_call_epoll_op(l),
			  (int)l->fd);
		if (l->asked != CALLS_EPOLL_DEL) {
			sb_puts(s, ", ");
			out_call_events(s, l->events, true);
		}
		sb_putc(s, ')');
		put_ret(s, l);
		return;
	case CALLS_SYS_GETSOCKOPT: {
		sb_printf(s, "getsockopt(fd %d, SO_ERROR)", (int)l->fd);
		put_ret(s, l);
		if (!l->has_val || (l->has_ret && l->ret < 0))
			return;
		if (!l->val && (l->tcp_state == 1 || l->tcp_state == 8)) { /* ESTABLISHED, CLOSE_WAIT */
			sb_puts(s, ": connected");
		} else if (!l->val && l->tcp_state == 2) { /* SYN_SENT */
			sb_puts(s, ": no error yet, the connect is in progress");
		} else if (!l->val) {
			sb_puts(s, ": no error");
		} else {
			sb_puts(s, ": ");
			out_call_errno(s, l->val);
			sb_puts(s, ", the connect failed");
		}
		return;
	}
	case CALLS_SYS_SHUTDOWN:
		sb_printf(s, "shutdown(fd %d, %s)", (int)l->fd,
			  l->asked == 0 ? "SHUT_RD" : l->asked == 1 ? "SHUT_WR" : "SHUT_RDWR");
		return;
	case CALLS_SYS_SENDMMSG:
	case CALLS_SYS_RECVMMSG:
		sb_printf(s, "%s(fd %d, %u msgs)", name, (int)l->fd, (unsigned)l->asked);
		put_ret(s, l);
		return;
	case CALLS_SYS_WRITE:
	case CALLS_SYS_SENDTO:
	case CALLS_SYS_SENDMSG:
	case CALLS_SYS_WRITEV:
		if (l->sys == CALLS_SYS_WRITE || l->sys == CALLS_SYS_SENDTO)
			sb_printf(s, "%s(fd %d, %u B", name, (int)l->fd, (unsigned)l->asked);
		else
			sb_printf(s, "%s(fd %d", name, (int)l->fd);
		if (l->sys == CALLS_SYS_SENDTO && l->tfamily) {
			sb_puts(s, ", ");
			put_target(s, l);
		}
		sb_putc(s, ')');
		put_ret(s, l);
		return;
	default: /* read, readv, recv*, accept */
		sb_printf(s, "%s(fd %d)", name, (int)l->fd);
		put_ret(s, l);
		if (l->enter_us && l->exit_us - l->enter_us >= 1000) { /* blocked in the call */
			sb_puts(s, " after ");
			sb_dur(s, l->exit_us - l->enter_us);
		}
		return;
	}
}
