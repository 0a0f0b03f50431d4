/* status.h - the one result vocabulary every decoder speaks. */
#ifndef FT_STATUS_H
#define FT_STATUS_H

/*
 * Decoders return one of these.  NEED_MORE is not an error: a stream
 * decoder was handed the start of a message and wants the rest.
 * TRUNCATED means the capture cut the bytes short (snap length, end of a
 * captured buffer); MALFORMED means the bytes that are there are wrong.
 * They print differently ("[|dns]" versus "(malformed ...)").
 */
enum ft_status {
	FT_OK = 0,
	FT_NEED_MORE,
	FT_TRUNCATED,
	FT_MALFORMED,
	FT_UNSUPPORTED,
};

const char *ft_status_name(enum ft_status st);

#endif
