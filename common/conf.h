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
 * The installed copy of a config file: PREFIX/share/partnerbill/NAME for a program in PREFIX/bin (as make
 * install lays them out), into path. 0, or -1 when the program's own path cannot be read.
 */
int pb_conf_installed(const char *name, struct pb_buf *path);

#endif
