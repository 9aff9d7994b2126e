/* UTF-8 validation for text bound for the database: the common all-ASCII case takes a word at a time. */
#include "text.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"

#include "banned.h"

/* The length of the valid sequence starting at s (n bytes left), or 0 when it is not valid. */
static size_t sequence(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0) /* overlong */
			return 0;
		if (c == 0xed && s[1] >= 0xa0) /* a surrogate */
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90) /* overlong */
			return 0;
		if (c == 0xf4 && s[1] >= 0x90) /* above U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

int pb_text_check(const char *p, size_t len, size_t *bad, const char **why)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, k;

	while (i < len) {
		uint64_t w;

		if (len - i >= 8) {
			memcpy(&w, s + i, 8);
			/* Eight ASCII bytes, none of them NUL: the usual case. */
			if (!(w & UINT64_C(0x8080808080808080)) &&
			    !((w - UINT64_C(0x0101010101010101)) & ~w & UINT64_C(0x8080808080808080))) {
				i += 8;
				continue;
			}
		}
		if (s[i] == 0) {
			if (bad)
				*bad = i;
			if (why)
				*why = "NUL byte";
			return -1;
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = sequence(s + i, len - i);
		if (!k) {
			if (bad)
				*bad = i;
			if (why)
				*why = "invalid UTF-8";
			return -1;
		}
		i += k;
	}
	return 0;
}

void pb_text_mend(char *p, size_t len)
{
	size_t pos = 0, bad;

	while (pos < len && pb_text_check(p + pos, len - pos, &bad, NULL) < 0) {
		p[pos + bad] = '?';
		pos += bad + 1;
	}
}

unsigned pb_text_format_char(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	unsigned c;

	/* The Arabic letter mark, a bidirectional mark as U+200F is. */
	if (n >= 2 && s[0] == 0xd8 && s[1] == 0x9c)
		return 0x061c;
	if (n < 3 || (s[0] != 0xe2 && s[0] != 0xef) || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
		return 0;
	c = ((unsigned)(s[0] & 0x0f) << 12) | ((unsigned)(s[1] & 0x3f) << 6) | (unsigned)(s[2] & 0x3f);
	if (c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff)
		return c;
	return 0;
}

size_t pb_text_format_len(unsigned c)
{
	return c < 0x800 ? 2 : 3;
}

/* Whether code point c is blank: a space, or a character that shows nothing (see pb_text_blank). */
static int blank_char(unsigned c)
{
	static const unsigned blanks[] = {0x20,	  0xa0,	  0xad,	  0x115f, 0x1160, 0x1680, 0x180e,
					  0x202f, 0x205f, 0x2060, 0x2800, 0x3000, 0x3164, 0xffa0};
	size_t i;

	if (c >= 0x2000 && c <= 0x200d)
		return 1;
	for (i = 0; i < sizeof(blanks) / sizeof(blanks[0]); i++)
		if (c == blanks[i])
			return 1;
	return 0;
}

int pb_text_blank(const char *p, size_t n, unsigned *other)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, k;
	unsigned c, first = 0;

	while (i < n) {
		k = s[i] < 0x80 ? 1 : sequence(s + i, n - i);
		if (k == 1)
			c = s[i];
		else if (k == 2)
			c = ((unsigned)(s[i] & 0x1f) << 6) | (s[i + 1] & 0x3fu);
		else if (k == 3)
			c = ((unsigned)(s[i] & 0x0f) << 12) | ((unsigned)(s[i + 1] & 0x3f) << 6) | (s[i + 2] & 0x3fu);
		else
			return 0;
		if (!blank_char(c))
			return 0;
		if (!first && c != 0x20)
			first = c;
		i += k;
	}
	if (other)
		*other = first;
	return 1;
}

/*
 * The length of the run at s (n bytes) that is shown as it is: UTF-8 without a control character (C0, DEL, C1
 * written in UTF-8) or a format character (pb_text_format_char). The byte after it is a control
 * character's, a format character's first or one that is not UTF-8.
 */
static size_t visible_run(const unsigned char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (s[i] < 0x80) {
			if (s[i] < 0x20 || s[i] == 0x7f)
				break;
			i++;
			continue;
		}
		k = sequence(s + i, n - i);
		if (!k || (s[i] == 0xc2 && s[i + 1] < 0xa0) || pb_text_format_char((const char *)s + i, k))
			break;
		i += k;
	}
	return i;
}

void pb_text_add_visible(struct pb_buf *b, const char *s, size_t len)
{
	size_t i = 0, n;
	unsigned c;

	while (i < len) {
		n = visible_run((const unsigned char *)s + i, len - i);
		pb_buf_add(b, s + i, n);
		i += n;
		if (i < len && (c = pb_text_format_char(s + i, len - i)) != 0) {
			pb_buf_addf(b, "\\u%04x", c);
			i += pb_text_format_len(c);
		} else if (i < len) {
			pb_buf_addf(b, "\\x%02x", (unsigned char)s[i++]);
		}
	}
}

int pb_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

unsigned pb_text_invisible_char(const char *p, size_t n, size_t *len)
{
	/* Ranges of code points, first and last, in order: Default_Ignorable_Code_Point and the spaces. */
	static const unsigned ranges[][2] = {
		{0x00a0, 0x00a0},   {0x00ad, 0x00ad}, {0x034f, 0x034f}, {0x061c, 0x061c},   {0x115f, 0x1160},
		{0x1680, 0x1680},   {0x17b4, 0x17b5}, {0x180b, 0x180f}, {0x2000, 0x200f},   {0x2028, 0x202f},
		{0x205f, 0x206f},   {0x2800, 0x2800}, {0x3000, 0x3000}, {0x3164, 0x3164},   {0xfe00, 0xfe0f},
		{0xfeff, 0xfeff},   {0xffa0, 0xffa0}, {0xfff0, 0xfff8}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a},
		{0xe0000, 0xe0fff},
	};
	const unsigned char *s = (const unsigned char *)p;
	size_t k, i;
	unsigned c;

	if (!n)
		return 0;
	if (s[0] < 0x80) {
		*len = 1;
		return s[0] < 0x20 || s[0] == 0x7f ? s[0] : 0;
	}
	k = sequence(s, n);
	if (!k)
		return 0;
	c = k == 2 ? s[0] & 0x1fu : k == 3 ? s[0] & 0x0fu : s[0] & 0x07u;
	for (i = 1; i < k; i++)
		c = c << 6 | (s[i] & 0x3fu);
	*len = k;
	if (c <= 0x9f)
		return c;
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]) && ranges[i][0] <= c; i++)
		if (c <= ranges[i][1])
			return c;
	return 0;
}
