/* Text that PostgreSQL will take: UTF-8 without NUL bytes. */
#ifndef PB_TEXT_H
#define PB_TEXT_H

#include <stddef.h>

/*
 * Checks that the len bytes at p are valid UTF-8 (no overlong forms, no surrogates, nothing above
 * U+10FFFF) holding no NUL byte. Returns 0, or -1 with the offset of the first bad byte in *bad and a
 * static reason ("NUL byte", "invalid UTF-8") in *why. bad and why may be NULL.
 */
int pb_text_check(const char *p, size_t len, size_t *bad, const char **why);

#endif
