/* out_timeline.h - text rendering of the timeline: figures per exchange, and a waterfall. */
#ifndef FT_OUT_TIMELINE_H
#define FT_OUT_TIMELINE_H

#include <stdbool.h>
#include <stdio.h>

#include "timeline.h"

/* Print one line of figures per exchange; with waterfall, a bar above each
 * on a shared time axis as wide as the terminal, coloured by step. */
void out_timeline_text(FILE *f, const struct timeline *tl, bool waterfall, bool color);

#endif
