/*
 * Unit tests of common/jsonl.c: the column of every kind of member value and of every error, which must be
 * the byte column of the first byte of what is at fault (a string's opening quote, a literal's first
 * letter, a bracket), whatever the escapes before it and however the input is cut into reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonl.h"

#include "banned.h"

/* A byte source over a string, at most chunk bytes a call. */
struct memsrc {
	const char *data;
	size_t len, pos, chunk;
};

static long mem_read(void *ctx, char *buf, size_t n, struct pb_buf *err)
{
	struct memsrc *m = ctx;
	size_t k = m->len - m->pos;

	(void)err;
	if (k > m->chunk)
		k = m->chunk;
	if (k > n)
		k = n;
	memcpy(buf, m->data + m->pos, k);
	m->pos += k;
	return (long)k;
}

/* The byte column of the first occurrence of needle in line, from 1. */
static uint32_t col_of(const char *line, const char *needle)
{
	const char *at = strstr(line, needle);

	assert_non_null(at);
	return (uint32_t)(at - line) + 1;
}

/* Reads text, cut in reads of every size from 1 to 7 and whole, expecting one record; checks member key. */
static void expect_member(const char *text, const char *key, enum pb_json_type type, const char *val, uint32_t col)
{
	size_t chunk;

	for (chunk = 1; chunk <= 8; chunk++) {
		struct memsrc m = {text, strlen(text), 0, chunk == 8 ? strlen(text) + 1 : chunk};
		struct pb_jsonl j;
		const struct pb_json_field *f;

		assert_int_equal(pb_jsonl_init(&j, mem_read, &m, 4096), 0);
		assert_int_equal(pb_jsonl_next(&j), PB_JSONL_RECORD);
		f = pb_jsonl_get(&j, key);
		assert_non_null(f);
		assert_int_equal(f->type, type);
		assert_int_equal(f->val_len, strlen(val));
		assert_memory_equal(f->val, val, f->val_len);
		assert_int_equal(f->col, col);
		pb_jsonl_release(&j);
	}
}

/* Reads text expecting an error at line, col with exactly msg, after good records. */
static void expect_error(const char *text, uint64_t line, uint32_t col, const char *msg)
{
	struct memsrc m = {text, strlen(text), 0, 3};
	struct pb_jsonl j;
	int rc;

	assert_int_equal(pb_jsonl_init(&j, mem_read, &m, 4096), 0);
	while ((rc = pb_jsonl_next(&j)) == PB_JSONL_RECORD)
		;
	assert_int_equal(rc, PB_JSONL_ERR);
	assert_string_equal(pb_buf_str(&j.err), msg);
	assert_int_equal(j.err_line, line);
	assert_int_equal(j.err_col, col);
	pb_jsonl_release(&j);
}

static void test_value_columns(void **state)
{
	static const char line[] = "{\"s\":\"ab\", \"n\": -12.5e3,\"t\":true,\"f\":false,\"z\":null,"
				   "\"o\":{\"x\":[1]},\"a\":[1,2],\"e\":\"\\u00e9\\\"x\"}\n";

	(void)state;
	expect_member(line, "s", PB_JSON_STRING, "ab", col_of(line, "\"ab\""));
	expect_member(line, "n", PB_JSON_NUMBER, "-12.5e3", col_of(line, "-12.5e3"));
	expect_member(line, "t", PB_JSON_BOOL, "true", col_of(line, "true"));
	expect_member(line, "f", PB_JSON_BOOL, "false", col_of(line, "false"));
	expect_member(line, "z", PB_JSON_NULL, "", col_of(line, "null"));
	expect_member(line, "o", PB_JSON_NESTED, "", col_of(line, "{\"x\""));
	expect_member(line, "a", PB_JSON_NESTED, "", col_of(line, "[1,2]"));
	expect_member(line, "e", PB_JSON_STRING, "\xc3\xa9\"x", col_of(line, "\"\\u00e9"));
}

/* Escapes before a value, and quotes and backslashes inside it, do not move its column. */
static void test_columns_after_escapes(void **state)
{
	static const char line[] = "{\"k\":\"a\\\"b\\\\\",\"m\":\"c\\\\\\\"\\\\\",\"q\":\"\\ud83d\\ude00 x\"}\n";

	(void)state;
	expect_member(line, "k", PB_JSON_STRING, "a\"b\\", col_of(line, "\"a\\\""));
	expect_member(line, "m", PB_JSON_STRING, "c\\\"\\", col_of(line, "\"c\\"));
	expect_member(line, "q", PB_JSON_STRING, "\xf0\x9f\x98\x80 x", col_of(line, "\"\\ud83d"));
}

/* Columns count from after a byte order mark, as the CSV reader's do. */
static void test_columns_after_bom(void **state)
{
	(void)state;
	expect_member("\xef\xbb\xbf{\"a\":\"x\"}\n", "a", PB_JSON_STRING, "x", 6);
}

static void test_duplicate_member(void **state)
{
	static const char text[] = "{\"a\":1}\n{\"Amount\":\"1\",\"b\":2,\"amount\":\"15\"}\n";

	(void)state;
	expect_error(text, 2, col_of(strchr(text, '\n') + 1, "\"amount\""),
		     "duplicate member 'Amount' (first at column 2)");
}

static void test_text_the_database_refuses(void **state)
{
	(void)state;
	expect_error("{\"a\":\"ok\",\"name\":\"caf\xe9\"}\n", 1, 18, "invalid UTF-8 in member 'name'");
	expect_error("{\"name\":\"\xc0\xaf\"}\n", 1, 9, "invalid UTF-8 in member 'name'");
	expect_error("{\"name\":\"\xed\xa0\x80\"}\n", 1, 9, "invalid UTF-8 in member 'name'");
	expect_error("{\"na\xe9me\":1}\n", 1, 2, "invalid UTF-8 in a member name");
	expect_error("{\"tags\":{\"env\":[\"ok\",\"b\xe9\"]}}\n", 1, 22, "invalid UTF-8 in member 'tags'");
	expect_error("{\"tags\":{\"\xe9\":1}}\n", 1, 10, "invalid UTF-8 in member 'tags'");
	expect_error("{\"a\":\"x\\u0000y\"}\n", 1, 8, "\\u0000 (a NUL character) in a string");
	expect_error("{\"a\":\"\\ud83dx\"}\n", 1, 7,
		     "unpaired surrogate escape in a string (a high surrogate without its low one)");
	expect_error("{\"a\":\"\\ude00\\ud83d\"}\n", 1, 7,
		     "unpaired surrogate escape in a string (a low surrogate alone)");
}

/* A member named "" is a name like any other: found twice, or holding a value that is not text. */
static void test_empty_member_name(void **state)
{
	(void)state;
	expect_member("{\"\":\"x\"}\n", "", PB_JSON_STRING, "x", 5);
	expect_error("{\"\":null,\"\":null}\n", 1, 10, "duplicate member '' (first at column 2)");
	expect_error("{\"\":{\"a\xa2\":1}}\n", 1, 6, "invalid UTF-8 in member ''");
	expect_error("{\"\":[\"\xff\"]}\n", 1, 6, "invalid UTF-8 in member ''");
}

/* yajl's own errors where it stops: a character it cannot lex at all is pointed at. */
static void test_line_errors(void **state)
{
	(void)state;
	expect_error("{\"a\":1}\n{\"a\":1} 12\n{\"a\":1}\n", 2, 9,
		     "more than one value on a line: only one object may stand there");
	expect_error("{\"a\":1}  {\"b\":2}\n", 1, 10, "more than one object on a line");
	/* A token cut at the line's end is a value after the object too, at its first byte. */
	expect_error("{\"a\":1} \"x\n", 1, 9, "more than one value on a line: only one object may stand there");
	expect_error("{\"a\":1}\"\n", 1, 8, "more than one value on a line: only one object may stand there");
	expect_error("{\"a\":1} \"\\u00\n", 1, 9, "more than one value on a line: only one object may stand there");
	expect_error("{\"a\":1}\ttru\n", 1, 9, "more than one value on a line: only one object may stand there");
	expect_error("{\"a\":1} -\n", 1, 9, "more than one value on a line: only one object may stand there");
	expect_error("{\"a\":1} 1e\n", 1, 9, "more than one value on a line: only one object may stand there");
	expect_error("{\"a\":1}\r\"x\n", 1, 8,
		     "a carriage return after the object: lines that end in CR alone are not read; convert them to LF "
		     "or CR LF");
	expect_error("  \"abc\n", 1, 3, "a JSON lines record must be an object");
	expect_error("nul\n", 1, 1, "a JSON lines record must be an object");
	expect_error("  \"text\"\n", 1, 3, "a JSON lines record must be an object");
	expect_error("\t[1]\n", 1, 2, "a JSON lines record must be an object");
	expect_error("{\"a\":1,\n\"b\":2}\n", 1, 8, "the object does not end on its line");
	expect_error("{\"a\":1}\r{\"a\":2}\r{\"a\":3}\r", 1, 8,
		     "a carriage return after the object: lines that end in CR alone are not read; convert them to LF "
		     "or CR LF");
	expect_error("{'a':1}\n", 1, 2, "bad JSON: lexical error: invalid char in json text.");
	expect_error("{\"a\":1}\n\xef\xbb\xbf{\"a\":1}\n", 2, 1, "bad JSON: lexical error: invalid char in json text.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_columns),
		cmocka_unit_test(test_columns_after_escapes),
		cmocka_unit_test(test_columns_after_bom),
		cmocka_unit_test(test_duplicate_member),
		cmocka_unit_test(test_text_the_database_refuses),
		cmocka_unit_test(test_empty_member_name),
		cmocka_unit_test(test_line_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
