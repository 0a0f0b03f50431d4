/* out_json.c - JSON lines: one object per packet, per connection, and the summary. */
#include <stdlib.h>

#include "out.h"
#include "out_impl.h"

/* Placeholder until the JSON writer lands: --json is refused in main.c. */
static void *json_open(FILE *f, const struct out_opts *o)
{
	(void)f, (void)o;
	return NULL;
}

static void json_packet(void *impl, const struct ev *e) { (void)impl, (void)e; }

static void json_conn_done(void *impl, const struct conn *c, const char *why,
			   const struct dns_name *name)
{
	(void)impl, (void)c, (void)why, (void)name;
}

static void json_summary(void *impl, const struct out_counts *n) { (void)impl, (void)n; }

static void json_flush(void *impl) { (void)impl; }

static void json_close(void *impl) { (void)impl; }

const struct out_ops out_json_ops = {
	.open = json_open,
	.packet = json_packet,
	.conn_done = json_conn_done,
	.summary = json_summary,
	.flush = json_flush,
	.close = json_close,
};
