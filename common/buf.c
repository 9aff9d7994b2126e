/* The growable byte buffer: one type for every string built at run time. */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#include "banned.h"

/* The characters a POSIX shell reads as themselves in a word. */
#define SHELL_SAFE "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-"

static char empty_str[1];

void pb_buf_init(struct pb_buf *b, size_t cap)
{
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap ? cap : PB_BUF_DEFAULT_CAP;
	b->failed = 0;
}

void pb_buf_release(struct pb_buf *b)
{
	if (!b)
		return;
	free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
	b->failed = 0;
}

void pb_buf_reset(struct pb_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

const char *pb_buf_str(const struct pb_buf *b)
{
	return b->ptr ? b->ptr : empty_str;
}

static int fail(struct pb_buf *b)
{
	b->failed = 1;
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
	return -1;
}

/* Makes room for extra more bytes plus the terminating NUL. */
static int grow(struct pb_buf *b, size_t extra)
{
	size_t need, n;
	char *p;

	if (b->failed)
		return -1;
	if (extra > b->cap || b->len > b->cap - extra)
		return fail(b);
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	p = realloc(b->ptr, n);
	if (!p)
		return fail(b);
	b->ptr = p;
	b->alloc = n;
	return 0;
}

int pb_buf_add(struct pb_buf *b, const void *data, size_t len)
{
	if (grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int pb_buf_addstr(struct pb_buf *b, const char *s)
{
	return pb_buf_add(b, s, strlen(s));
}

int pb_buf_addch(struct pb_buf *b, char c)
{
	return pb_buf_add(b, &c, 1);
}

int pb_buf_vaddf(struct pb_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (b->failed)
		return -1;
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return fail(b);
	if (grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int pb_buf_addf(struct pb_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pb_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int pb_buf_add_csv_field(struct pb_buf *b, const char *s, size_t len)
{
	size_t i, start;

	for (i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
			break;
	if (i == len)
		return pb_buf_add(b, s, len);
	pb_buf_addch(b, '"');
	start = 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '"') {
			pb_buf_add(b, s + start, i + 1 - start);
			start = i;
		}
	}
	pb_buf_add(b, s + start, len - start);
	return pb_buf_addch(b, '"');
}

/* Whether the len bytes at s hold a format character (pb_text_format_char). */
static int has_format_char(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++)
		if (pb_text_format_char(s + i, len - i))
			return 1;
	return 0;
}

int pb_buf_add_csv_text(struct pb_buf *b, const char *s, size_t len)
{
	struct pb_buf t = PB_BUF_INIT;
	size_t i;
	unsigned c;
	int ret, formula = len && strchr("=+-@\t\r", s[0]);

	if (!formula && !has_format_char(s, len))
		return pb_buf_add_csv_field(b, s, len);
	if (formula)
		pb_buf_addch(&t, '\'');
	for (i = 0; i < len; i++) {
		c = pb_text_format_char(s + i, len - i);
		if (c) {
			pb_buf_addf(&t, "\\u%04x", c);
			i += pb_text_format_len(c) - 1;
		} else {
			pb_buf_addch(&t, s[i]);
		}
	}
	ret = t.failed ? -1 : pb_buf_add_csv_field(b, t.ptr, t.len);
	pb_buf_release(&t);
	return ret;
}

void pb_buf_add_copy_text(struct pb_buf *b, const char *s, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		const char *esc;

		switch (s[i]) {
		case '\\':
			esc = "\\\\";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		default:
			continue;
		}
		pb_buf_add(b, s + start, i - start);
		pb_buf_addstr(b, esc);
		start = i + 1;
	}
	pb_buf_add(b, s + start, len - start);
}

/*
 * The length of the character at p (n > 0 bytes left; 1 for a byte that is not UTF-8), and in *acted whether a
 * terminal acts on it rather than shows it: a control character but the tab and the line feed, DEL, C1 written
 * in UTF-8, a format character (pb_text_format_char), a byte that is not UTF-8.
 */
static size_t next_char(const char *p, size_t n, int *acted)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t k = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;

	if (s[0] < 0x80) {
		*acted = (s[0] < 0x20 && s[0] != '\t' && s[0] != '\n') || s[0] == 0x7f;
		return 1;
	}
	if (s[0] < 0xc2 || s[0] > 0xf4 || k > n || pb_text_check(p, k, NULL, NULL) < 0) {
		*acted = 1;
		return 1;
	}
	*acted = (s[0] == 0xc2 && s[1] < 0xa0) || pb_text_format_char(p, k) != 0;
	return k;
}

/*
 * The len bytes at s as $'...' (bash, zsh, ksh, POSIX.1-2024 shells): each byte of a character a terminal acts
 * on (next_char) as \ooo, a quote and a backslash after a backslash, the rest as it is.
 */
static void add_dollar_quoted(struct pb_buf *b, const char *s, size_t len)
{
	size_t i = 0, k;
	int acted;

	pb_buf_addstr(b, "$'");
	while (i < len) {
		k = next_char(s + i, len - i, &acted);
		if (acted) {
			for (; k > 0; k--, i++)
				pb_buf_addf(b, "\\%03o", (unsigned char)s[i]);
			continue;
		}
		if (s[i] == '\'' || s[i] == '\\')
			pb_buf_addch(b, '\\');
		pb_buf_add(b, s + i, k);
		i += k;
	}
	pb_buf_addch(b, '\'');
}

void pb_buf_add_shell_word(struct pb_buf *b, const char *s, size_t len)
{
	size_t i;
	int acted = 0;

	for (i = 0; i < len && s[i] && strchr(SHELL_SAFE, s[i]); i++)
		;
	/* A word that begins with '=' is quoted too: zsh reads it as a command's path ("=ls" is /usr/bin/ls). */
	if (len && i == len && s[0] != '=') {
		pb_buf_add(b, s, len);
		return;
	}
	for (i = 0; i < len && !acted;)
		i += next_char(s + i, len - i, &acted);
	if (acted) {
		add_dollar_quoted(b, s, len);
		return;
	}
	pb_buf_addch(b, '\'');
	for (i = 0; i < len; i++) {
		if (s[i] == '\'')
			pb_buf_addstr(b, "'\\''");
		else
			pb_buf_addch(b, s[i]);
	}
	pb_buf_addch(b, '\'');
}
