/* JSON text written straight into a buffer; amounts go in as JSON strings holding the exact decimal text. */
#ifndef PB_API_JSON_H
#define PB_API_JSON_H

#include "buf.h"

#define PB_API_JSON_MAX_DEPTH 16

/*
 * A writer appends to the caller's buffer and places the commas. A bad call (a decimal that is not one,
 * nesting deeper than PB_API_JSON_MAX_DEPTH, a close that does not match) marks it failed; so does a failed
 * append. Check once, with pb_api_json_finish.
 */
struct pb_api_json {
	struct pb_buf *out;
	unsigned depth;
	int after_key;
	int failed;
	unsigned char comma[PB_API_JSON_MAX_DEPTH + 1];
	char open[PB_API_JSON_MAX_DEPTH + 1]; /* the bracket that opened each level */
};

void pb_api_json_init(struct pb_api_json *j, struct pb_buf *out);
/* '{' or '['; and its close. */
void pb_api_json_open(struct pb_api_json *j, char bracket);
void pb_api_json_close(struct pb_api_json *j, char bracket);
/* A member's name: the next value is its value. */
void pb_api_json_key(struct pb_api_json *j, const char *name);
/* Values. A NULL string is written as null. */
void pb_api_json_string(struct pb_api_json *j, const char *s);
void pb_api_json_int(struct pb_api_json *j, long long v);
void pb_api_json_bool(struct pb_api_json *j, int v);
void pb_api_json_null(struct pb_api_json *j);
/*
 * An amount: s must be a decimal, -?DIGITS[.DIGITS] (PostgreSQL's numeric text, never NaN or an
 * exponent); it is written unchanged as a JSON string. Anything else marks the writer failed.
 */
void pb_api_json_decimal(struct pb_api_json *j, const char *s);
/* 0 when every call was right and every bracket closed; else -1. */
int pb_api_json_finish(const struct pb_api_json *j);

/* 1 when s is a decimal as pb_api_json_decimal takes it. */
int pb_api_json_is_decimal(const char *s);

#endif
