/* The JSON writer of pb-api: no number ever passes through floating point on its way out. */
#include "json.h"

#include <string.h>

#include "banned.h"

void pb_api_json_init(struct pb_api_json *j, struct pb_buf *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

/* The comma before a value, unless it follows its name. */
static void before_value(struct pb_api_json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->comma[j->depth])
		pb_buf_addch(j->out, ',');
	j->comma[j->depth] = 1;
}

void pb_api_json_open(struct pb_api_json *j, char bracket)
{
	if (j->depth >= PB_API_JSON_MAX_DEPTH || (bracket != '{' && bracket != '[')) {
		j->failed = 1;
		return;
	}
	before_value(j);
	pb_buf_addch(j->out, bracket);
	j->depth++;
	j->comma[j->depth] = 0;
	j->open[j->depth] = bracket;
}

void pb_api_json_close(struct pb_api_json *j, char bracket)
{
	if (j->depth == 0 || j->after_key || bracket != (j->open[j->depth] == '{' ? '}' : ']')) {
		j->failed = 1;
		return;
	}
	j->depth--;
	pb_buf_addch(j->out, bracket);
}

static void add_quoted(struct pb_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	pb_buf_addch(b, '"');
	for (; *p; p++) {
		if (*p == '"' || *p == '\\') {
			pb_buf_addch(b, '\\');
			pb_buf_addch(b, (char)*p);
		} else if (*p < 0x20) {
			pb_buf_addf(b, "\\u%04x", *p);
		} else {
			pb_buf_addch(b, (char)*p);
		}
	}
	pb_buf_addch(b, '"');
}

void pb_api_json_key(struct pb_api_json *j, const char *name)
{
	if (j->after_key || j->depth == 0) {
		j->failed = 1;
		return;
	}
	before_value(j);
	add_quoted(j->out, name);
	pb_buf_addch(j->out, ':');
	j->after_key = 1;
}

void pb_api_json_string(struct pb_api_json *j, const char *s)
{
	before_value(j);
	if (s)
		add_quoted(j->out, s);
	else
		pb_buf_addstr(j->out, "null");
}

void pb_api_json_int(struct pb_api_json *j, long long v)
{
	before_value(j);
	pb_buf_addf(j->out, "%lld", v);
}

void pb_api_json_bool(struct pb_api_json *j, int v)
{
	before_value(j);
	pb_buf_addstr(j->out, v ? "true" : "false");
}

void pb_api_json_null(struct pb_api_json *j)
{
	before_value(j);
	pb_buf_addstr(j->out, "null");
}

int pb_api_json_is_decimal(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

void pb_api_json_decimal(struct pb_api_json *j, const char *s)
{
	if (!s || !pb_api_json_is_decimal(s)) {
		j->failed = 1;
		return;
	}
	before_value(j);
	pb_buf_addch(j->out, '"');
	pb_buf_addstr(j->out, s);
	pb_buf_addch(j->out, '"');
}

int pb_api_json_finish(const struct pb_api_json *j)
{
	return j->failed || j->out->failed || j->depth != 0 || j->after_key ? -1 : 0;
}
