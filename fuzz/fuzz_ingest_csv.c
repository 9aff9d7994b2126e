/*
 * libFuzzer target for pb-ingest's CSV formats (ingest/aws_cur.c, azure_cost.c, parser.c) and the reduction of
 * their lines (ingest/worker.c, reduce.c, table.c), on a file's bytes, as pb-ingest reads a file on one thread:
 * the header bound, each record mapped to a normalized line, checked against the month, priced from the price
 * lists when it has no list cost, reduced into daily rows, its account names and tags counted. The database is
 * left out: the price lists are loaded from a fixed table of rows (pb_listprice_load_rows), and nothing is
 * stored. So is splitting a file between threads (parts opened at offsets of a file on disk).
 *
 * Checked: no crash or sanitizer report; every error names a line and column and is UTF-8 text; the rows'
 * texts are text the database takes; and for a file read without an error, the rows' sums are exactly the
 * costs of the lines, summed again here from a second read of the same bytes.
 *
 * Input: byte 0 holds flags (bit 0: Azure cost details, else AWS CUR; bit 1: the store's grain, else
 * --summary=daily; bit 2: price lists loaded; bit 3: every tag key recorded as a name; bit 4: the month given
 * (October 2026), else the first line's; bit 5: a few kilobytes of memory for the rows, so that they spill to
 * a temporary file; bits 6-7: the reader's chunk size), the rest is the file.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "date.h"
#include "listprice.h"
#include "money.h"
#include "parser.h"
#include "reduce.h"
#include "tags.h"
#include "text.h"
#include "worker.h"

#include "sums.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The price lists in the COPY's form: meter, region, unit, tier, start, end, price, currency, load, usage type, op. */
static const char azure_rows[] =
	"e2d1b0a9-8c7f-4e6d-9b5a-43210fedcba9\tEU West\t1 Hour\t0\t2026-09-01\t\t0.192\tUSD\t1\t\t\n"
	"e2d1b0a9-8c7f-4e6d-9b5a-43210fedcba9\tEU West\t1 Hour\t100\t2026-09-01\t\t0.15\tUSD\t1\t\t\n"
	"e2d1b0a9-8c7f-4e6d-9b5a-43210fedcba9\tUK South\t1 Hour\t0\t2026-10-15\t2026-11-01\t0.2\tUSD\t2\t\t\n"
	"f3e2c1b0-9d8a-4f7e-8c6b-54321fedcba0\t\t100 Hours\t0\t2026-01-01\t\t4.16\tUSD\t1\t\t\n"
	"f3e2c1b0-9d8a-4f7e-8c6b-54321fedcba0\t\t100 Hours\t0\t2026-01-01\t\t3.3\tGBP\t1\t\t\n"
	"a\t\t1\t0\t2026-10-01\t\t0.000000000000000001\tUSD\t3\t\t\n";
static const char aws_rows[] =
	"ABCDEFGH12345678\tus-east-1\tHrs\t0\t2026-09-01\t\t0.096\tUSD\t1\tBoxUsage:m5.large\tRunInstances\n"
	"ABCDEFGH12345678\tus-east-1\tHrs\t0\t2026-10-10\t\t0.1\tUSD\t2\tBoxUsage:m5.large\tRunInstances\n"
	"S3STANDARD000001\tus-east-1\tGB-Mo\t0\t2026-01-01\t\t0.023\tUSD\t1\tTimedStorage-ByteHrs\t\n"
	"S3STANDARD000001\tus-east-1\tGB-Mo\t51200\t2026-01-01\t\t0.022\tUSD\t1\tTimedStorage-ByteHrs\t\n"
	"S3STANDARD000002\tus-west-2\tGB-Mo\t0\t2026-01-01\t\t0.025\tUSD\t1\tTimedStorage-ByteHrs\t\n"
	"REQ0000000000001\t\tRequests\t0\t2026-01-01\t\t0.0000004\tUSD\t1\tRequests-Tier1\tPutObject\n";

struct memsrc {
	const char *p;
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
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (long)k;
}

static struct pb_listprice *prices(enum pb_format_kind kind)
{
	const char *rows = kind == PB_FORMAT_AWS_CUR ? aws_rows : azure_rows;
	struct pb_listprice *p = pb_listprice_new(NULL, pb_format_vendor(kind), pb_date_from_ymd(2025, 1, 1),
						  pb_date_from_ymd(2027, 12, 31));

	CHECK(p != NULL, "out of memory");
	CHECK(pb_listprice_load_rows(p, rows, strlen(rows)) == 0, "the fixed price rows are refused");
	return p;
}

/* Reads the header of the file in m and binds it. 1 ready, 0 not (an empty file, a header refused). */
static int bind(struct pb_csv *c, struct memsrc *m, enum pb_format_kind kind, struct pb_parser *parser)
{
	struct pb_buf err = PB_BUF_INIT;
	size_t cols[PB_PARSER_MAXCOLS], ncols, field = 0;
	int rc;

	CHECK(pb_csv_init(c, mem_read, m, 0) == 0, "out of memory");
	rc = pb_csv_next(c);
	if (rc != PB_CSV_RECORD) {
		CHECK(rc == PB_CSV_END || (c->err_line >= 1 && c->err_col >= 1), "header error at %llu:%u",
		      (unsigned long long)c->err_line, c->err_col);
		pb_buf_release(&err);
		return 0;
	}
	if (pb_parser_bind(parser, kind, c, &err, &field) < 0) {
		CHECK(field < c->nfields, "header error at field %zu of %zu", field, c->nfields);
		CHECK(err.len > 0 && pb_text_check(err.ptr, err.len, NULL, NULL) == 0, "header error '%s'",
		      pb_buf_str(&err));
		pb_buf_release(&err);
		return 0;
	}
	pb_buf_release(&err);
	pb_csv_expect_fields(c, c->nfields);
	ncols = pb_parser_columns(parser, cols);
	CHECK(ncols <= PB_PARSER_MAXCOLS, "%zu columns", ncols);
	CHECK(pb_csv_project(c, cols, ncols) == 0, "out of memory");
	return 1;
}

/* What the lines of a file read without an error add up to, read again here line by line. */
static void recompute(const char *file, size_t len, size_t chunk, enum pb_format_kind kind, int32_t month, int priced,
		      struct sums *s)
{
	struct memsrc m = {file, len, 0, chunk};
	struct pb_listprice *p = priced ? prices(kind) : NULL;
	struct pb_buf err = PB_BUF_INIT;
	struct pb_parser parser;
	struct pb_csv c;
	struct pb_usage u;
	size_t field;
	int rc, usage;

	memset(s, 0, sizeof(*s));
	CHECK(bind(&c, &m, kind, &parser), "the header bound once, not twice");
	while ((rc = pb_csv_next(&c)) == PB_CSV_RECORD) {
		CHECK(pb_parser_row(&parser, &c, &u, &err, &field) == 0, "line %llu refused on the second read: %s",
		      (unsigned long long)c.line, pb_buf_str(&err));
		if (!month)
			month = u.billing_month;
		CHECK(pb_month_check(month, kind == PB_FORMAT_AWS_CUR, &u, &err, &usage) == 0,
		      "line %llu out of the month on the second read", (unsigned long long)c.line);
		if (p && u.ref.wants && !u.has_list)
			CHECK(pb_listprice_fill(p, &u, &err) >= 0, "%s", pb_buf_str(&err));
		add_line(s, &u);
	}
	CHECK(rc == PB_CSV_END, "the second read stopped at line %llu: %s", (unsigned long long)c.line,
	      pb_buf_str(&c.err));
	pb_csv_release(&c);
	pb_listprice_free(p);
	pb_buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = {1 << 20, 1, 7, 4096};
	struct pb_tag_keys keys = {NULL, 0, 1};
	struct pb_worker w;
	struct pb_csv c;
	struct memsrc m;
	struct sums got, want, totals;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	enum pb_format_kind kind;
	int flags, store;
	size_t len, i;
	char *file;

	if (size < 1 || size > ((size_t)1 << 18))
		return 0;
	flags = data[0];
	kind = flags & 1 ? PB_FORMAT_AZURE_COST : PB_FORMAT_AWS_CUR;
	store = (flags & 2) != 0;
	len = size - 1;
	/* A copy of exactly the file's bytes, so that ASan sees a read past its end. */
	file = malloc(len ? len : 1);
	if (!file)
		return 0;
	memcpy(file, data + 1, len);
	m = (struct memsrc){file, len, 0, chunks[flags >> 6]};

	memset(&w, 0, sizeof(w));
	if (!bind(&c, &m, kind, &w.parser)) {
		pb_csv_release(&c);
		free(file);
		return 0;
	}
	w.csv = &c;
	w.reduce = pb_reduce_new(store ? PB_GRAIN_STORE : PB_GRAIN_DAILY);
	w.names = pb_reduce_new(PB_GRAIN_DAILY);
	CHECK(w.reduce && w.names, "out of memory");
	pb_reduce_set_cap(w.names, 256);
	if (flags & 32)
		pb_reduce_set_memory(w.reduce, 4096, NULL);
	w.tag_keys = flags & 8 ? &keys : NULL;
	w.prices = flags & 4 ? prices(kind) : NULL;
	w.prices_lock = &lock;
	w.max_errors = 3;
	w.month = flags & 16 ? pb_date_from_ymd(2026, 10, 1) : 0;
	pb_worker_run(&w);

	for (i = 0; i < w.nerrors; i++) {
		const struct pb_worker_error *e = &w.errors[i];

		CHECK(e->line >= 1 && e->col >= 1, "'%s' at %llu:%u", e->msg, (unsigned long long)e->line, e->col);
		CHECK(pb_text_check(e->msg, strlen(e->msg), NULL, NULL) == 0, "a message is not UTF-8: %s", e->msg);
	}
	if (w.nerrors == 0) {
		CHECK(!w.fatal, "stopped without an error");
		walk(w.reduce, &got);
		pb_reduce_totals(w.reduce, &totals.list, &totals.billed, &totals.lines);
		same(&got, &totals, "the rows against the reduction's totals");
		recompute(file, len, m.chunk, kind, flags & 16 ? pb_date_from_ymd(2026, 10, 1) : 0, w.prices != NULL,
			  &want);
		same(&got, &want, "the rows against the lines");
		CHECK(got.list_lines == want.list_lines && got.billed_lines == want.billed_lines,
		      "%llu lines with a list cost, %llu with a billed cost; the lines say %llu and %llu",
		      (unsigned long long)got.list_lines, (unsigned long long)got.billed_lines,
		      (unsigned long long)want.list_lines, (unsigned long long)want.billed_lines);
		CHECK(w.parser.st.lines == want.lines, "%llu lines converted, %llu read",
		      (unsigned long long)w.parser.st.lines, (unsigned long long)want.lines);
		walk(w.names, &got);
	}
	pb_worker_release(&w);
	pb_listprice_free(w.prices);
	pb_reduce_free(w.reduce);
	pb_reduce_free(w.names);
	pb_csv_release(&c);
	free(file);
	return 0;
}
