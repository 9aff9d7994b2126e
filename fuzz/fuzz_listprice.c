/*
 * libFuzzer target for pb-ingest's list prices (ingest/listprice.c): the prices in force read from the rows the
 * database sends (here given as text, pb_listprice_load_rows, instead of read from PostgreSQL), then the lines
 * without a list cost priced from them, as pb-ingest prices a file's lines in order.
 *
 * Checked: no crash or sanitizer report; a line priced has a list cost, one not priced has neither (nor a load); the
 * prices do not depend on the order the database sent the rows in (listprice.c sorts them so that they do not): the
 * rows loaded again in the reverse order price every line the same.
 *
 * Input: byte 0 holds flags (bit 0: AWS, else Azure). Then the rows, as the COPY of listprice.c gives them
 * (meter, region, unit, tier minimum, effective start, effective end, price, currency, load, usage type,
 * operation; tab-separated; UTF-8 text without a NUL byte, as PostgreSQL sends), up to an empty line; then one
 * line to price per line, tab-separated: account, meter, unit, region, second region, quantity, exchange rate,
 * pricing currency, currency, day of October 2026, usage type, operation (missing fields are empty; an empty
 * quantity or rate is none).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "date.h"
#include "listprice.h"
#include "money.h"
#include "reduce.h"
#include "text.h"

#include "check.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { L_ACCOUNT, L_METER, L_UNIT, L_REGION, L_REGION2, L_QUANTITY, L_RATE, L_PCUR, L_CUR, L_DAY, L_UT, L_OP, L_N };

/* The rows of text[0..len) in the reverse order. */
static char *reversed(const char *text, size_t len)
{
	char *out = malloc(len + 2);
	size_t o = 0, end = len;

	CHECK(out != NULL, "out of memory");
	while (end > 0) {
		size_t start = end;

		while (start > 0 && text[start - 1] != '\n')
			start--;
		if (start < end) {
			memcpy(out + o, text + start, end - start);
			o += end - start;
			out[o++] = '\n';
		}
		end = start ? start - 1 : 0;
	}
	CHECK(o <= len + 1, "%zu bytes of %zu", o, len);
	out[o] = '\0';
	return out;
}

/* The line to price at s[0..n). 0, or -1 when it cannot be one (a quantity or rate that is no number). */
static int line_of(const char *s, size_t n, struct pb_usage *u)
{
	struct pb_text f[L_N];
	size_t k, i = 0;
	unsigned day = 1;

	for (k = 0; k < L_N; k++) {
		const char *tab = i <= n ? memchr(s + i, '\t', n - i) : NULL;
		size_t e = tab ? (size_t)(tab - s) : n;

		f[k].ptr = s + (i < n ? i : n);
		f[k].len = i < n ? e - i : 0;
		i = e + 1;
	}
	memset(u, 0, sizeof(*u));
	for (k = 0; k < f[L_DAY].len && k < 2; k++)
		if (f[L_DAY].ptr[k] >= '0' && f[L_DAY].ptr[k] <= '9')
			day = day * 10 + (unsigned)(f[L_DAY].ptr[k] - '0');
	u->usage_date = pb_date_from_ymd(2026, 10, (int)(day % 31) + 1);
	u->billing_month = pb_date_from_ymd(2026, 10, 1);
	u->account = f[L_ACCOUNT];
	u->currency = f[L_CUR];
	u->ref.wants = 1;
	u->ref.meter = f[L_METER];
	u->ref.unit = f[L_UNIT];
	u->ref.region = f[L_REGION];
	u->ref.region2 = f[L_REGION2];
	u->ref.pricing_currency = f[L_PCUR];
	u->ref.usage_type = f[L_UT];
	u->ref.operation = f[L_OP];
	if (f[L_QUANTITY].len) {
		if (pb_decimal_parse(f[L_QUANTITY].ptr, f[L_QUANTITY].len, &u->ref.quantity, NULL) < 0)
			return -1;
		u->ref.has_quantity = 1;
	}
	if (f[L_RATE].len) {
		if (pb_decimal_parse(f[L_RATE].ptr, f[L_RATE].len, &u->ref.rate, NULL) < 0)
			return -1;
		u->ref.has_rate = 1;
	}
	return 0;
}

/* Prices u with p; checks what it says. */
static int fill(struct pb_listprice *p, struct pb_usage *u, int loaded)
{
	struct pb_buf err = PB_BUF_INIT;
	int rc = pb_listprice_fill(p, u, &err);

	CHECK(rc >= -1 && rc <= 1, "pb_listprice_fill returned %d", rc);
	/* The load is the row's (any number here: the database's are ids above 0). */
	if (rc == 1)
		CHECK(u->has_list, "priced without a list cost");
	if (rc == 0)
		CHECK(!u->has_list && u->price_load == 0, "not priced, with a list cost");
	if (rc < 0)
		CHECK(!loaded && err.len > 0, "a failure with prices loaded, or without a reason");
	pb_buf_release(&err);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *vendor, *text = (const char *)data + 1, *sep, *s, *end;
	struct pb_listprice *a, *b;
	size_t len, nrows;
	char *rev;
	int ok_a, ok_b;

	if (size < 1 || size > ((size_t)1 << 16))
		return 0;
	vendor = data[0] & 1 ? "aws" : "azure";
	len = size - 1;
	sep = memmem(text, len, "\n\n", 2);
	nrows = sep ? (size_t)(sep - text) + 1 : len;
	/* What PostgreSQL sends is UTF-8 text without a NUL byte. */
	if (pb_text_check(text, nrows, NULL, NULL) < 0)
		return 0;
	a = pb_listprice_new(NULL, vendor, pb_date_from_ymd(2026, 9, 1), pb_date_from_ymd(2026, 11, 30));
	b = pb_listprice_new(NULL, vendor, pb_date_from_ymd(2026, 9, 1), pb_date_from_ymd(2026, 11, 30));
	CHECK(a && b, "out of memory");
	rev = reversed(text, nrows);
	ok_a = pb_listprice_load_rows(a, text, nrows) == 0;
	ok_b = pb_listprice_load_rows(b, rev, strlen(rev)) == 0;
	CHECK(ok_a == ok_b, "the rows loaded %s, in the reverse order %s", ok_a ? "" : "not", ok_b ? "" : "not");
	for (s = sep ? sep + 2 : text + len; s < text + len; s = end + 1) {
		struct pb_usage u, v;
		int ra, rb;

		end = memchr(s, '\n', (size_t)(text + len - s));
		if (!end)
			end = text + len;
		if (line_of(s, (size_t)(end - s), &u) < 0)
			continue;
		v = u;
		ra = fill(a, &u, ok_a);
		rb = fill(b, &v, ok_b);
		CHECK(ra == rb && pb_money_cmp(u.list_cost, v.list_cost) == 0 && u.price_load == v.price_load,
		      "line '%.*s': %d, load %lld; from the rows in the reverse order %d, load %lld", (int)(end - s), s,
		      ra, (long long)u.price_load, rb, (long long)v.price_load);
	}
	pb_listprice_free(a);
	pb_listprice_free(b);
	free(rev);
	return 0;
}
