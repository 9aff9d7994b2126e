/* A small reader of the flat JSON objects exports use for resource tags. */
#include "tags.h"

#include "banned.h"

void pb_tags_init(struct pb_tags *t, const char *text, size_t len)
{
	t->p = text;
	t->end = text + len;
}

static void skip_space(struct pb_tags *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t' || *t->p == '\r' || *t->p == '\n'))
		t->p++;
}

static int hex(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* Appends code point u as UTF-8. */
static void add_utf8(struct pb_buf *out, unsigned u)
{
	if (u < 0x80) {
		pb_buf_addch(out, (char)u);
	} else if (u < 0x800) {
		pb_buf_addch(out, (char)(0xC0 | (u >> 6)));
		pb_buf_addch(out, (char)(0x80 | (u & 0x3F)));
	} else {
		pb_buf_addch(out, (char)(0xE0 | (u >> 12)));
		pb_buf_addch(out, (char)(0x80 | ((u >> 6) & 0x3F)));
		pb_buf_addch(out, (char)(0x80 | (u & 0x3F)));
	}
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
			unsigned u = 0;
			int i;

			for (i = 0; i < 4; i++) {
				if (t->p >= t->end || hex(*t->p) < 0)
					return -1;
				u = u * 16 + (unsigned)hex(*t->p++);
			}
			/* Surrogates are not paired up: tags are names, rarely outside the BMP. */
			add_utf8(out, u);
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
