/*
 * libFuzzer target for common/jsonl.c: any bytes, read in pieces of varying size, either give records
 * whose members lie inside their line, whose numbers are exactly the text of the line, whose names and
 * strings are text the database takes (pb_text_check) and whose names are distinct, or an error with a
 * position; never a crash, a leak or a read out of bounds. The first record's line is then read again
 * with its first member's name added at its end (in the other case, when the input's size is odd): that
 * must be reported as a duplicate member.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonl.h"
#include "text.h"

#include "banned.h"

#define CHECK(cond, what)                                                                             \
	do {                                                                                          \
		if (!(cond)) {                                                                        \
			fprintf(stderr, "fuzz_jsonl: check failed at line %d: %s\n", __LINE__, what); \
			abort();                                                                      \
		}                                                                                     \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct src {
	const uint8_t *p;
	size_t n, pos, step;
};

/* Pieces of 1 to 17 bytes, so that lines cross every kind of boundary. */
static long src_read(void *ctx, char *buf, size_t n, struct pb_buf *err)
{
	struct src *s = ctx;
	size_t k = s->n - s->pos;

	(void)err;
	s->step = s->step % 17 + 1;
	if (k > s->step)
		k = s->step;
	if (k > n)
		k = n;
	memcpy(buf, s->p + s->pos, k);
	s->pos += k;
	return (long)k;
}

/* Line number line (from 1) of data, without its line end: *len bytes at the returned pointer. */
static const uint8_t *raw_line(const uint8_t *data, size_t size, uint64_t line, size_t *len)
{
	const uint8_t *p = data, *end = data + size, *nl;

	while (--line > 0) {
		nl = memchr(p, '\n', (size_t)(end - p));
		CHECK(nl != NULL, "a record's line is in the input");
		p = nl + 1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	*len = nl ? (size_t)(nl - p) : (size_t)(end - p);
	return p;
}

/* Appends name as a JSON string (its case swapped when swap is set). */
static void add_json_string(struct pb_buf *b, const char *name, size_t len, int swap)
{
	size_t i;

	pb_buf_addch(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (swap && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			c ^= 0x20;
		if (c == '"' || c == '\\')
			pb_buf_addf(b, "\\%c", c);
		else if (c < 0x20)
			pb_buf_addf(b, "\\u%04x", c);
		else
			pb_buf_addch(b, (char)c);
	}
	pb_buf_addch(b, '"');
}

/* White space to yajl. */
static int is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The line of a record, its first member's name added again before the object's end, must be refused. */
static void check_duplicate(const uint8_t *line, size_t len, const char *name, size_t name_len, int swap)
{
	struct pb_buf b = PB_BUF_INIT;
	struct src s;
	struct pb_jsonl j;
	size_t end = len;
	int rc;

	/* After the object comes only white space: its closing brace is the last other byte. */
	while (end > 0 && is_space(line[end - 1]))
		end--;
	CHECK(end > 0 && line[end - 1] == '}', "a record's line ends with its object");
	pb_buf_add(&b, line, end - 1);
	pb_buf_addch(&b, ',');
	add_json_string(&b, name, name_len, swap);
	pb_buf_addstr(&b, ":0}\n");
	if (b.failed) {
		pb_buf_release(&b);
		return;
	}
	s = (struct src){(const uint8_t *)b.ptr, b.len, 0, b.len % 17};
	if (pb_jsonl_init(&j, src_read, &s, 1 << 20) == 0) {
		rc = pb_jsonl_next(&j);
		if (rc != PB_JSONL_ERR || strncmp(pb_buf_str(&j.err), "duplicate member '", 18) != 0)
			fprintf(stderr, "fuzz_jsonl: line: %.*s\nresult %d: %s\n", (int)b.len, b.ptr, rc,
				pb_buf_str(&j.err));
		CHECK(rc == PB_JSONL_ERR, "a member named twice is an error");
		CHECK(strncmp(pb_buf_str(&j.err), "duplicate member '", 18) == 0, "the error is the duplicate");
		CHECK(j.err_line == 1 && j.err_col >= 2 && j.err_col <= b.len, "the duplicate's place");
		pb_jsonl_release(&j);
	}
	pb_buf_release(&b);
}

/* A record's members: inside their line, numbers as their text, names and strings database text, names once. */
static void check_record(const struct pb_jsonl *j)
{
	size_t i, k;

	for (i = 0; i < j->nfields; i++) {
		const struct pb_json_field *f = &j->fields[i];

		CHECK(f->col >= 1, "a column from 1");
		CHECK(pb_text_check(f->key, f->key_len, NULL, NULL) == 0, "a member name is text");
		if (f->type == PB_JSON_STRING)
			CHECK(pb_text_check(f->val, f->val_len, NULL, NULL) == 0, "a string is text");
		if (f->type == PB_JSON_NUMBER) {
			CHECK(f->val_len > 0, "a number has text");
			for (k = 0; k < f->val_len; k++)
				CHECK(strchr("0123456789+-.eE", f->val[k]) != NULL, "a number is its text");
		}
		for (k = 0; k < i; k++)
			CHECK(f->key_len != j->fields[k].key_len ||
				      strncasecmp(f->key, j->fields[k].key, f->key_len) != 0,
			      "a member name once per object");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src s = {data, size, 0, size % 17};
	struct pb_jsonl j;
	int rc, first = 1;
	uint64_t last = 0;

	if (pb_jsonl_init(&j, src_read, &s, 4096) < 0)
		return 0;
	while ((rc = pb_jsonl_next(&j)) == PB_JSONL_RECORD) {
		CHECK(j.line > last, "lines go forward");
		last = j.line;
		check_record(&j);
		if (first && j.nfields > 0) {
			size_t len;
			const uint8_t *line = raw_line(data, size, j.line, &len);

			check_duplicate(line, len, j.fields[0].key, j.fields[0].key_len, (int)(size & 1));
		}
		first = 0;
	}
	if (rc == PB_JSONL_ERR)
		CHECK(j.err.len > 0 && j.err_line >= 1 && j.err_col >= 1, "an error says where");
	CHECK(j.bytes <= size, "no more bytes than given");
	pb_jsonl_release(&j);
	return 0;
}
