/* digits.h - a string of decimal digits only (a /proc entry that is a process, a fetch number). */
#ifndef FT_DIGITS_H
#define FT_DIGITS_H

#include <stdbool.h>

/* s is non-empty and every byte of it is '0'-'9' (no sign, no space). */
static inline bool digits_all(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

#endif
