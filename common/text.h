/* Text that PostgreSQL will take: UTF-8 without NUL bytes. */
#ifndef PB_TEXT_H
#define PB_TEXT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Checks that the len bytes at p are valid UTF-8 (no overlong forms, no surrogates, nothing above
 * U+10FFFF) holding no NUL byte. Returns 0, or -1 with the offset of the first bad byte in *bad and a
 * static reason ("NUL byte", "invalid UTF-8") in *why. bad and why may be NULL.
 */
int pb_text_check(const char *p, size_t len, size_t *bad, const char **why);

/* Makes the len bytes at p text PostgreSQL takes, in place: each byte that is not UTF-8, and each NUL, as '?'. */
void pb_text_mend(char *p, size_t len);

/*
 * Writes the string s to out with each control character but the line end (C0, DEL) shown as \xHH, so that
 * text from outside (a price list, an export) shown on a terminal can never move its cursor or clear it.
 */
void pb_text_put_visible(FILE *out, const char *s);

#endif
