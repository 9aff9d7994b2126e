/*
 * libFuzzer target for common/jsonl.c: any bytes, read in pieces of varying size, either give records
 * whose members lie inside their line and whose numbers are exactly the text of the line, or an error
 * with a position; never a crash, a leak or a read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src s = {data, size, 0, size % 17};
	struct pb_jsonl j;
	int rc;
	uint64_t last = 0;

	if (pb_jsonl_init(&j, src_read, &s, 4096) < 0)
		return 0;
	while ((rc = pb_jsonl_next(&j)) == PB_JSONL_RECORD) {
		size_t i;

		CHECK(j.line > last, "lines go forward");
		last = j.line;
		for (i = 0; i < j.nfields; i++) {
			const struct pb_json_field *f = &j.fields[i];

			CHECK(f->col >= 1, "a column from 1");
			if (f->type == PB_JSON_NUMBER) {
				size_t k;

				CHECK(f->val_len > 0, "a number has text");
				for (k = 0; k < f->val_len; k++)
					CHECK(strchr("0123456789+-.eE", f->val[k]) != NULL, "a number is its text");
			}
		}
	}
	if (rc == PB_JSONL_ERR)
		CHECK(j.err.len > 0 && j.err_line >= 1 && j.err_col >= 1, "an error says where");
	CHECK(j.bytes <= size, "no more bytes than given");
	pb_jsonl_release(&j);
	return 0;
}
