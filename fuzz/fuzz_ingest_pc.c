/*
 * libFuzzer target for pb-ingest's Partner Center format (ingest/partner_center.c) and the reduction of its lines
 * (ingest/read.c's JSON lines path, reduce.c), on a file's bytes: pb_read_file reads the input as pb-ingest
 * reads a file named on its command line (handed to it as /proc/self/fd/N of a memory file; gzip is unpacked as
 * for a file on disk), mapping each record to a normalized line, checking its month, reducing it, counting its
 * names. The database is left out: nothing is stored (the audit's record of the file is kept in memory only).
 *
 * Checked: no crash or sanitizer report; every message is UTF-8 text; and for a file read without an error, the
 * rows' sums are exactly the costs of the lines, summed again here from a second read of the same bytes.
 *
 * Input: byte 0 holds flags (bit 0: read as storing, else as --summary; bit 1: the month given (October 2026),
 * else the first line's; bit 2: every tag key recorded as a name; bit 3: --summary=daily, else per account), the
 * rest is the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "date.h"
#include "format.h"
#include "jsonl.h"
#include "log.h"
#include "money.h"
#include "options.h"
#include "partner_center.h"
#include "read.h"
#include "reduce.h"
#include "tags.h"
#include "text.h"

#include "sums.h"

#include "banned.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *log_text;
static size_t log_len;
static FILE *log_out;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_out = open_memstream(&log_text, &log_len);
	if (!log_out)
		abort();
	pb_log_setup("pb-ingest", PB_LOG_PLAIN, log_out);
	return 0;
}

struct memsrc {
	const char *p;
	size_t len, pos;
};

static long mem_read(void *ctx, char *buf, size_t n, struct pb_buf *err)
{
	struct memsrc *m = ctx;
	size_t k = m->len - m->pos;

	(void)err;
	if (k > n)
		k = n;
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (long)k;
}

/* What the lines of a file read without an error add up to, read again here line by line. */
static void recompute(const char *file, size_t len, int32_t month, struct sums *s)
{
	struct memsrc m = {file, len, 0};
	struct pb_buf err = PB_BUF_INIT;
	struct pb_format_stats st;
	struct pb_jsonl j;
	struct pb_usage u;
	char account[40];
	uint32_t col;
	int rc, usage;

	memset(s, 0, sizeof(*s));
	pb_stats_reset(&st);
	CHECK(pb_jsonl_init(&j, mem_read, &m, (size_t)64 << 20) == 0, "out of memory");
	while ((rc = pb_jsonl_next(&j)) == PB_JSONL_RECORD) {
		CHECK(pb_partner_center_row(&st, &j, month, &u, account, &err, &col) == 0,
		      "line %llu refused on the second read: %s", (unsigned long long)j.line, pb_buf_str(&err));
		if (!month)
			month = u.billing_month;
		CHECK(pb_month_check(month, 0, &u, &err, &usage) == 0, "line %llu out of the month on the second read",
		      (unsigned long long)j.line);
		add_line(s, &u);
	}
	CHECK(rc == PB_JSONL_END, "the second read stopped at line %llu: %s", (unsigned long long)j.line,
	      pb_buf_str(&j.err));
	pb_jsonl_release(&j);
	pb_buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_tag_keys keys = {NULL, 0, 1};
	struct pb_ingest_options opt;
	struct pb_read r;
	struct sums got, want;
	char path[64];
	int flags, fd, rc;
	size_t len;

	if (size < 1 || size > ((size_t)1 << 18))
		return 0;
	flags = data[0];
	len = size - 1;
	fd = memfd_create("pc", MFD_CLOEXEC);
	CHECK(fd >= 0, "no memory file");
	CHECK(len == 0 || write(fd, data + 1, len) == (ssize_t)len, "cannot write the memory file");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	memset(&opt, 0, sizeof(opt));
	opt.kind = PB_FORMAT_PARTNER_CENTER;
	opt.month = flags & 2 ? pb_date_from_ymd(2026, 10, 1) : 0;
	opt.summary = flags & 1 ? PB_SUMMARY_NONE : flags & 8 ? PB_SUMMARY_DAILY : PB_SUMMARY_ACCOUNTS;
	opt.max_errors = 3;
	opt.threads = 1;
	CHECK(pb_read_init(&r, &opt, flags & 4 ? &keys : NULL, flags & 1) == 0, "out of memory");
	rewind(log_out);
	rc = pb_read_file(&r, path);
	fflush(log_out);
	CHECK(pb_text_check(log_text, log_len, NULL, NULL) == 0, "a message is not UTF-8: %.*s", (int)log_len,
	      log_text);
	CHECK((rc == 0) == (r.errors == 0), "read %d after %lu errors", rc, r.errors);
	/* A packed file (gzip, ZIP) is read unpacked: its lines are not summed again here. */
	if (rc == 0 && !(len >= 2 && (memcmp(data + 1, "\x1f\x8b", 2) == 0 || memcmp(data + 1, "PK", 2) == 0))) {
		walk(r.reduce, &got);
		recompute((const char *)data + 1, len, opt.month, &want);
		same(&got, &want, "rows");
		if (flags & 1)
			walk(r.names, &got);
	}
	pb_read_release(&r);
	close(fd);
	return 0;
}
