/*
 * libFuzzer target for pb-prices' price list readers (prices/csvlist.c: the Azure price sheet and the AWS offer
 * file; prices/retail.c: a page of the Azure Retail Prices API; prices/reader.c), on a file's bytes, handed to
 * them as pb-prices reads a file named on its command line (/proc/self/fd/N of a memory file; gzip and ZIP are
 * unpacked as for a file on disk). The database is left out: the load the readers feed (prices/load.c, a COPY
 * into PostgreSQL) is replaced here by functions that check each price. So is the AWS offer index
 * (prices/offer.c), which is only ever downloaded.
 *
 * Checked: no crash or sanitizer report; every price is one the load can store (texts PostgreSQL takes, a
 * currency code, a price and tier in range, an end after the start, where its unit is written); an error
 * names the file, line and column and is UTF-8 text.
 *
 * Input: byte 0 picks the reader (0: Azure price sheet, 1: AWS offer file, 2: Retail Prices page, 3: the same
 * with --currency USD); the rest is the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csvlist.h"
#include "exitcode.h"
#include "load.h"
#include "money.h"
#include "reader.h"
#include "retail.h"
#include "text.h"

#include "check.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the load in prices/load.c would be given. */
struct pb_price_load {
	uint64_t items, skipped, files;
};

static void check_text(struct pb_price_text t, const char *what)
{
	CHECK(t.len == 0 || (t.ptr && pb_text_check(t.ptr, t.len, NULL, NULL) == 0),
	      "a price's %s is no text PostgreSQL takes", what);
}

int pb_price_load_add(struct pb_price_load *l, const struct pb_price_item *it, struct pb_buf *err)
{
	(void)err;
	l->items++;
	CHECK(it->meter.len > 0, "a price without a meter");
	check_text(it->meter, "meter");
	check_text(it->region, "region");
	check_text(it->unit, "unit");
	check_text(it->currency, "currency");
	check_text(it->usage_type, "usage type");
	check_text(it->operation, "operation");
	check_text(it->product, "product");
	CHECK(pb_price_currency_ok(it->currency.ptr, it->currency.len), "currency '%.*s'", (int)it->currency.len,
	      it->currency.ptr);
	CHECK(pb_price_decimal_ok(&it->price) && pb_price_decimal_ok(&it->tier_min), "a price or tier out of range");
	CHECK(!it->has_tier_max || it->tier_inf || pb_price_decimal_ok(&it->tier_max), "a tier end out of range");
	CHECK(it->start != 0 && (it->end == 0 || it->end > it->start), "in force from day %d to %d", (int)it->start,
	      (int)it->end);
	CHECK(it->file && it->line >= 1 && it->col >= 1, "a price written nowhere");
	return 0;
}

void pb_price_load_skip(struct pb_price_load *l, uint64_t n)
{
	l->skipped += n;
}

uint64_t pb_price_load_kept(const struct pb_price_load *l)
{
	return l->items;
}

int pb_price_load_file(struct pb_price_load *l, const char *uri, uint64_t bytes, const char *sha256, const char *etag,
		       uint64_t items)
{
	(void)bytes;
	(void)etag;
	(void)items;
	CHECK(uri && strlen(sha256) == 64, "a file recorded without its URI or SHA-256");
	l->files++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_price_load load = {0, 0, 0};
	struct pb_fetch_opts fo;
	struct pb_price_reader r;
	struct pb_buf err = PB_BUF_INIT;
	uint64_t digest[2];
	char path[64], *next = NULL;
	int fd, rc, kind;
	size_t len;

	if (size < 1 || size > ((size_t)1 << 18))
		return 0;
	kind = data[0] & 3;
	len = size - 1;
	fd = memfd_create("prices", MFD_CLOEXEC);
	CHECK(fd >= 0, "no memory file");
	CHECK(len == 0 || write(fd, data + 1, len) == (ssize_t)len, "cannot write the memory file");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	memset(&fo, 0, sizeof(fo));
	memset(&r, 0, sizeof(r));
	r.load = &load;
	r.fetch = &fo;
	r.label = "prices";
	r.currency = kind == 3 ? "USD" : NULL;
	pb_progress_init(&r.progress, NULL);
	if (kind < 2)
		rc = pb_csvlist_read(&r, kind == 0 ? PB_CSVLIST_AZURE_SHEET : PB_CSVLIST_AWS_OFFER, path, &err);
	else
		rc = pb_retail_page(&r, path, &next, digest, &err);
	CHECK(rc == 0 || rc == PB_ERR_DATA, "returned %d: %s", rc, pb_buf_str(&err));
	if (rc == 0) {
		CHECK(load.files == 1, "the file recorded %llu times", (unsigned long long)load.files);
	} else {
		/* "NAME:LINE:COL: what", or "NAME: what" for the whole file. */
		CHECK(err.len > strlen(path) && strncmp(err.ptr, path, strlen(path)) == 0 &&
			      err.ptr[strlen(path)] == ':',
		      "an error that does not name the file: %s", pb_buf_str(&err));
		CHECK(pb_text_check(err.ptr, err.len, NULL, NULL) == 0, "an error that is not UTF-8: %s",
		      pb_buf_str(&err));
	}
	free(next);
	pb_buf_release(&err);
	close(fd);
	return 0;
}
