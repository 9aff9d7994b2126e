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
 * The Unicode format character that the n bytes at p start with, or 0: one that changes how the text around it
 * is shown without being seen itself, the bidirectional marks, embeddings, overrides and isolates (U+061C,
 * U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069), the line and paragraph separators (U+2028, U+2029) and
 * the zero width no-break space (U+FEFF, a byte order mark inside a text). Its length in UTF-8 is
 * pb_text_format_len of it: two bytes for U+061C, three for the others.
 */
unsigned pb_text_format_char(const char *p, size_t n);

/* The bytes format character c (pb_text_format_char's) takes in UTF-8: 2 or 3. */
size_t pb_text_format_len(unsigned c);

/*
 * Whether the n bytes at p (UTF-8) are blank characters alone, or none: a space of Unicode's (U+0020, U+00A0,
 * U+1680, U+2000 to U+200A, U+202F, U+205F, U+3000) or a character that shows nothing where a letter could
 * (U+00AD, U+115F, U+1160, U+180E, U+200B to U+200D, U+2060, U+2800, U+3164, U+FFA0). Returns 1 with the first
 * that is not U+0020 in *other (0 when there is none: spaces alone, or nothing), else 0. other may be NULL.
 */
int pb_text_blank(const char *p, size_t n, unsigned *other);

/* c in lowercase when it is an ASCII capital (A to Z), else c as it is: whatever the locale, as SQL's C collation. */
static inline char pb_ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The value of the hexadecimal digit c (0-9, a-f, A-F), or -1. */
int pb_hex_digit(char c);

struct pb_buf;

/*
 * Appends the len bytes at s to b with each control character (C0, DEL, and C1 written in UTF-8, U+0080 to
 * U+009F) and each byte that is not UTF-8 shown as \xHH, one per byte, and each format character
 * (pb_text_format_char) as \uHHHH, so that text from outside (a file's name, a value stored by hand, a
 * server's answer) shown on a terminal can neither add a line nor move its cursor nor clear it, nor reverse
 * what follows it. Valid UTF-8 otherwise (accents, the euro sign, CJK, emoji) goes as it is.
 */
void pb_text_add_visible(struct pb_buf *b, const char *s, size_t len);

/*
 * The character that the n bytes of valid UTF-8 at p start with, when a page shows it as nothing or as a blank
 * that looks like a space, or 0: a control character (C0, DEL, C1; a tab and a line feed too, which the caller
 * may keep), a format character (pb_text_format_char's), any other default ignorable code point of Unicode (the
 * soft hyphen U+00AD, the zero width space, joiners and marks U+200B to U+200F, the word joiner and invisible
 * operators U+2060 to U+206F, variation selectors, the Hangul fillers, tags U+E0000 to U+E0FFF...) and each
 * space other than U+0020 (U+00A0, U+1680, U+2000 to U+200A, U+202F, U+205F, U+3000, and U+2800, the blank
 * Braille pattern). Its length in UTF-8 goes into *len.
 */
unsigned pb_text_invisible_char(const char *p, size_t n, size_t *len);

#endif
