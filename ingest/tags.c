/* A small reader of the flat JSON objects exports use for resource tags. */
#include "tags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"

#include "banned.h"

void pb_tags_init(struct pb_tags *t, const char *text, size_t len)
{
	/* A line without tags hands no text at all (NULL): no arithmetic on it. */
	t->p = text;
	t->end = len ? text + len : text;
}

static void skip_space(struct pb_tags *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t' || *t->p == '\r' || *t->p == '\n'))
		t->p++;
}

/* Appends code point u as UTF-8. */
static void add_utf8(struct pb_buf *out, unsigned u)
{
	if (u < 0x80) {
		pb_buf_addch(out, (char)u);
	} else if (u < 0x800) {
		pb_buf_addch(out, (char)(0xC0 | (u >> 6)));
		pb_buf_addch(out, (char)(0x80 | (u & 0x3F)));
	} else if (u < 0x10000) {
		pb_buf_addch(out, (char)(0xE0 | (u >> 12)));
		pb_buf_addch(out, (char)(0x80 | ((u >> 6) & 0x3F)));
		pb_buf_addch(out, (char)(0x80 | (u & 0x3F)));
	} else {
		pb_buf_addch(out, (char)(0xF0 | (u >> 18)));
		pb_buf_addch(out, (char)(0x80 | ((u >> 12) & 0x3F)));
		pb_buf_addch(out, (char)(0x80 | ((u >> 6) & 0x3F)));
		pb_buf_addch(out, (char)(0x80 | (u & 0x3F)));
	}
}

/* Four hex digits at t->p into *u. 0, or -1 when they are not there. */
static int hex4(struct pb_tags *t, unsigned *u)
{
	int i;

	*u = 0;
	for (i = 0; i < 4; i++) {
		if (t->p >= t->end || pb_hex_digit(*t->p) < 0)
			return -1;
		*u = *u * 16 + (unsigned)pb_hex_digit(*t->p++);
	}
	return 0;
}

/*
 * The code point of a \u escape whose four digits are at t->p: a high surrogate takes the low one that must
 * follow it (an emoji). -1 for \u0000 and for an unpaired surrogate: no stored text may hold either.
 */
static long escape(struct pb_tags *t)
{
	unsigned u, lo;

	if (hex4(t, &u) < 0 || u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
		return -1;
	if (u < 0xD800 || u > 0xDBFF)
		return (long)u;
	if (t->end - t->p < 6 || t->p[0] != '\\' || t->p[1] != 'u')
		return -1;
	t->p += 2;
	if (hex4(t, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
		return -1;
	return 0x10000 + (((long)u - 0xD800) << 10) + ((long)lo - 0xDC00);
}

/* A JSON string at t->p (on its opening quote), decoded onto out. 0, or -1 when malformed. */
static int string(struct pb_tags *t, struct pb_buf *out)
{
	t->p++;
	while (t->p < t->end && *t->p != '"') {
		char c = *t->p++;

		if (c != '\\') {
			pb_buf_addch(out, c);
			continue;
		}
		if (t->p >= t->end)
			return -1;
		c = *t->p++;
		switch (c) {
		case 'n':
			pb_buf_addch(out, '\n');
			break;
		case 't':
			pb_buf_addch(out, '\t');
			break;
		case 'r':
			pb_buf_addch(out, '\r');
			break;
		case 'b':
			pb_buf_addch(out, '\b');
			break;
		case 'f':
			pb_buf_addch(out, '\f');
			break;
		case 'u': {
			long u = escape(t);

			if (u < 0)
				return -1;
			add_utf8(out, (unsigned)u);
			break;
		}
		default:
			pb_buf_addch(out, c);
		}
	}
	if (t->p >= t->end)
		return -1;
	t->p++;
	return 0;
}

/* Skips an object or array value, strings inside included. */
static int skip_nested(struct pb_tags *t)
{
	int depth = 0;

	while (t->p < t->end) {
		char c = *t->p;

		if (c == '"') {
			struct pb_buf ignore = PB_BUF_INIT;
			int rc = string(t, &ignore);

			pb_buf_release(&ignore);
			if (rc < 0)
				return -1;
			continue;
		}
		t->p++;
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return 0;
	}
	return -1;
}

int pb_tags_next(struct pb_tags *t, struct pb_buf *out)
{
	for (;;) {
		skip_space(t);
		if (t->p < t->end && (*t->p == '{' || *t->p == ','))
			t->p++;
		skip_space(t);
		if (t->p >= t->end || *t->p == '}')
			return 0;
		if (*t->p != '"')
			return -1;
		pb_buf_reset(out);
		if (string(t, out) < 0)
			return -1;
		skip_space(t);
		if (t->p >= t->end || *t->p != ':')
			return -1;
		t->p++;
		skip_space(t);
		if (t->p >= t->end)
			return -1;
		pb_buf_addch(out, '=');
		if (*t->p == '"') {
			if (string(t, out) < 0)
				return -1;
		} else if (*t->p == '{' || *t->p == '[') {
			if (skip_nested(t) < 0)
				return -1;
			continue;
		} else {
			const char *s = t->p;

			while (t->p < t->end && *t->p != ',' && *t->p != '}' && *t->p != ' ')
				t->p++;
			if (t->p == s)
				return -1;
			pb_buf_add(out, s, (size_t)(t->p - s));
		}
		return out->failed ? -1 : 1;
	}
}

static int add_key(struct pb_tag_keys *k, const char *p, size_t n)
{
	char **keys;
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strlen(k->keys[i]) == n && strncasecmp(k->keys[i], p, n) == 0)
			return 0;
	keys = realloc(k->keys, (k->n + 1) * sizeof(*keys));
	if (!keys)
		return -1;
	k->keys = keys;
	k->keys[k->n] = strndup(p, n);
	if (!k->keys[k->n])
		return -1;
	k->n++;
	return 0;
}

int pb_tag_keys_parse(struct pb_tag_keys *k, const char *list)
{
	const char *p = list;

	memset(k, 0, sizeof(*k));
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 1 && *p == '*')
			k->all = 1;
		else if (n && add_key(k, p, n) < 0)
			return -1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("_.:/+@-", c);
}

/* The key of one rule line, if it reads a tag: "^KEY=" after the optional vendor prefix. */
static int rule_key(struct pb_tag_keys *k, const char *line, size_t n)
{
	size_t i = 0, start;

	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < n && line[i] == '#')
		return 0;
	if (n - i >= 4 && strncmp(line + i, "aws:", 4) == 0)
		i += 4;
	else if (n - i >= 6 && strncmp(line + i, "azure:", 6) == 0)
		i += 6;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= n || line[i] != '^')
		return 0;
	start = ++i;
	while (i < n && line[i] && key_char(line[i]))
		i++;
	if (i == start || i >= n || line[i] != '=')
		return 0;
	return add_key(k, line + start, i - start);
}

int pb_tag_keys_from_text(struct pb_tag_keys *k, const char *text, size_t len)
{
	size_t i = 0;

	memset(k, 0, sizeof(*k));
	/* A UTF-8 byte order mark (some editors write one) is no part of the first rule, as pb-accounts skips it. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;

		if (rule_key(k, text + i, n) < 0)
			return -1;
		i += n + 1;
	}
	return 0;
}

int pb_tag_keys_want(const struct pb_tag_keys *k, const char *tag, size_t len)
{
	const char *eq = memchr(tag, '=', len);
	size_t n = eq ? (size_t)(eq - tag) : len, i;

	if (k->all)
		return 1;
	for (i = 0; i < k->n; i++)
		if (strlen(k->keys[i]) == n && strncasecmp(k->keys[i], tag, n) == 0)
			return 1;
	return 0;
}

void pb_tag_keys_release(struct pb_tag_keys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->keys[i]);
	free(k->keys);
	memset(k, 0, sizeof(*k));
}
