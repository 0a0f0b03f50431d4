/* out_har.h - the exchanges of a run as an HTTP Archive (HAR 1.2), written at the end. */
#ifndef FT_OUT_HAR_H
#define FT_OUT_HAR_H

#include <stdbool.h>

#include "timeline.h"

#define OUT_HAR_ERRBUF 256 /* size of the error buffer out_har_write fills */

/*
 * Write every exchange of tl to the file at path (created or truncated):
 * one HAR 1.2 log, one page per fetch, one entry per exchange, written
 * entry by entry.  False on failure, with the cause in errbuf
 * (OUT_HAR_ERRBUF bytes); what was written so far stays in the file.
 */
bool out_har_write(const char *path, const struct timeline *tl, char *errbuf);

/*
 * Create (or truncate) the file at path as out_har_write will, so that a
 * path that cannot be written is refused before the capture starts, not
 * after the work is done.  False with the cause in errbuf (at least
 * OUT_HAR_ERRBUF bytes), without the path.
 */
bool out_har_create(const char *path, char *errbuf);

#endif
