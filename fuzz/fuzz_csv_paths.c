/*
 * Differential fuzz target: every input is read twice, once with the bit-mask fast path and once with the
 * exact byte-wise scanner alone, and the two readings must agree record by record: return codes, field
 * counts, field bytes, positions and error messages. The first input byte picks the read size, the second
 * a projection of columns.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

#include "banned.h"

struct src {
	const uint8_t *data;
	size_t len, pos, chunk;
};

static long src_read(void *ctx, char *buf, size_t n, struct pb_buf *err)
{
	struct src *s = ctx;
	size_t k = s->len - s->pos;

	(void)err;
	if (k > n)
		k = n;
	if (k > s->chunk)
		k = s->chunk;
	memcpy(buf, s->data + s->pos, k);
	s->pos += k;
	return (long)k;
}

/* One reading, described as text: enough to compare two readings exactly. */
static void describe(const uint8_t *data, size_t len, size_t chunk, unsigned proj, int exact, struct pb_buf *out)
{
	struct src s = {data, len, 0, chunk};
	struct pb_csv c;
	size_t cols[8], ncols = 0, i;
	int rc, n = 0;

	for (i = 0; i < 8; i++)
		if (proj & (1u << i))
			cols[ncols++] = i;
	if (pb_csv_init(&c, src_read, &s, 256) < 0)
		abort();
	c.exact_only = exact;
	for (;;) {
		rc = pb_csv_next(&c);
		pb_buf_addf(out, "rc=%d", rc);
		if (rc == PB_CSV_RECORD) {
			pb_buf_addf(out, " line=%llu n=%zu:", (unsigned long long)c.line, c.nfields);
			for (i = 0; i < c.nfields; i++) {
				uint64_t line;
				uint32_t col;

				if (ncols && !(i < 8 && (proj & (1u << i))))
					continue;
				pb_csv_field_pos(&c, i, &line, &col);
				pb_buf_addf(out, " [%llu:%u ", (unsigned long long)line, col);
				pb_buf_add(out, c.fields[i].ptr, c.fields[i].len);
				pb_buf_addch(out, ']');
			}
		} else if (rc < 0) {
			pb_buf_addf(out, " %llu:%u %s", (unsigned long long)c.err_line, c.err_col, pb_buf_str(&c.err));
		}
		pb_buf_addch(out, '\n');
		if (rc == PB_CSV_END || rc == PB_CSV_ERR_FATAL || ++n > 10000)
			break;
		if (n == 1) {
			pb_csv_expect_fields(&c, c.nfields);
			if (ncols && pb_csv_project(&c, cols, ncols) < 0)
				abort();
		}
	}
	pb_csv_release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_buf fast = PB_BUF_INIT, exact = PB_BUF_INIT;
	size_t chunk;
	unsigned proj;

	if (size < 2)
		return 0;
	chunk = data[0] % 4 == 0 ? 1 + data[0] % 7 : 4096;
	proj = data[1];
	describe(data + 2, size - 2, chunk, proj, 0, &fast);
	describe(data + 2, size - 2, chunk, proj, 1, &exact);
	if (fast.failed || exact.failed || strcmp(pb_buf_str(&fast), pb_buf_str(&exact)) != 0) {
		fprintf(stderr, "fast path and exact scanner disagree\n--- fast:\n%s--- exact:\n%s", pb_buf_str(&fast),
			pb_buf_str(&exact));
		abort();
	}
	pb_buf_release(&fast);
	pb_buf_release(&exact);
	return 0;
}
