/* The config files' line format: blank-separated fields, a field with blanks in quotation marks, '#' comments. */
#ifndef PB_CONF_H
#define PB_CONF_H

#include <stddef.h>

#include "buf.h"

/* One field of a line: its text (not NUL-terminated) and the column it starts at, from 1. */
struct pb_conf_field {
	const char *p;
	size_t n;
	unsigned col;
};

enum { PB_CONF_TOO_MANY = -1, PB_CONF_OPEN_QUOTE = -2 };

/*
 * Splits the n bytes of a line into at most max fields. Returns the count (0 for a blank or comment line),
 * PB_CONF_TOO_MANY or PB_CONF_OPEN_QUOTE with *bad_col at the offending field.
 */
int pb_conf_split(const char *s, size_t n, struct pb_conf_field *f, int max, unsigned *bad_col);

/*
 * Where config file NAME is, into path: option when given; else the value of environment variable env when
 * set and not empty; else, for an installed program (PREFIX/share/partnerbill is there beside its PREFIX/bin,
 * as make install lays them out), its installed copy PREFIX/share/partnerbill/NAME or nothing, so that an
 * installed program never takes its config from whatever folder it is run in; else config/NAME in the
 * current folder (a work tree's programs). 0, or -1 with err "MISSING (why)": the installed copy that
 * cannot be read and why, or the two places looked in.
 */
int pb_conf_find(const char *option, const char *env, const char *name, const char *missing, struct pb_buf *path,
		 struct pb_buf *err);

/*
 * Reads the config file or address at path (as pb_conf_find gives it) whole into text, at most max bytes.
 * Returns 0; PB_ERR_USAGE when it was named wrong (a file that cannot be opened, file:// or not; an address
 * the server answers 404 for; a scheme or store that is not set up); PB_ERR_DEPENDENCY when its download
 * failed after the retries; or PB_ERR_DATA (larger than max, or a read that failed midway). err names the
 * path and says why. shown gets the path as messages and records name it: an address without its password or
 * signature (pb_url_add).
 */
int pb_conf_read(const char *path, size_t max, struct pb_buf *text, struct pb_buf *shown, struct pb_buf *err);

#endif
