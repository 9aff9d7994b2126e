/* The --summary outputs, buffered and written in large pieces; every write is checked. */
#include "summary.h"

#include <string.h>

#include "buf.h"
#include "date.h"
#include "log.h"

#include "banned.h"

#define FLUSH_AT ((size_t)1 << 16)

static void add_amount(struct pb_buf *out, pb_money m, uint64_t lines)
{
	char num[PB_MONEY_STRMAX];

	if (lines) {
		pb_money_format_canonical(m, num);
		pb_buf_addstr(out, num);
	}
}

static int write_all(const struct pb_buf *b, FILE *out)
{
	return fwrite(b->ptr ? b->ptr : "", 1, b->len, out) == b->len ? 0 : -1;
}

/* Writes the buffered output once it is large (or at the end); -1 when writing fails. */
static int flush_some(struct pb_buf *b, FILE *out, int end)
{
	if (b->failed)
		return -1;
	if (!end && b->len < FLUSH_AT)
		return 0;
	if (write_all(b, out) < 0)
		return -1;
	pb_buf_reset(b);
	return 0;
}

static void add_text(struct pb_buf *out, const struct pb_text *t, char after)
{
	pb_buf_add_csv_field(out, t->ptr, t->len);
	pb_buf_addch(out, after);
}

static void add_daily(struct pb_buf *out, const char *vendor, const struct pb_daily *d)
{
	char date[11];

	pb_buf_addf(out, "%s,", vendor);
	pb_date_format(d->billing_month, date);
	pb_buf_addf(out, "%s,", date);
	add_text(out, &d->account, ',');
	pb_date_format(d->usage_date, date);
	pb_buf_addf(out, "%s,", date);
	add_text(out, &d->category, ',');
	add_text(out, &d->charge_type, ',');
	add_text(out, &d->service, ',');
	add_text(out, &d->region, ',');
	add_text(out, &d->currency, ',');
	add_amount(out, d->list_cost, d->list_lines);
	pb_buf_addch(out, ',');
	add_amount(out, d->billed_cost, d->billed_lines);
	pb_buf_addf(out, ",%llu\n", (unsigned long long)d->line_count);
}

static void add_account(struct pb_buf *out, const struct pb_daily *d)
{
	add_text(out, &d->account, ',');
	add_amount(out, d->list_cost, d->list_lines);
	pb_buf_addch(out, ',');
	add_amount(out, d->billed_cost, d->billed_lines);
	pb_buf_addch(out, '\n');
}

/* An account with rows in two currencies has no single total. */
static int two_currencies(const struct pb_daily *const *rows, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		const struct pb_text *a = &rows[i]->account, *b = &rows[i + 1]->account;

		if (a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0) {
			pb_error("partner account '%.*s' has lines in more than one currency (%.*s, %.*s); use "
				 "--summary=daily",
				 (int)a->len, a->ptr, (int)rows[i]->currency.len, rows[i]->currency.ptr,
				 (int)rows[i + 1]->currency.len, rows[i + 1]->currency.ptr);
			return 1;
		}
	}
	return 0;
}

int pb_summary_print(enum pb_summary_kind kind, const char *vendor, const struct pb_daily *const *rows, size_t n,
		     FILE *out)
{
	struct pb_buf b = PB_BUF_INIT;
	size_t i;
	int rc = 0;

	if (kind == PB_SUMMARY_ACCOUNTS && two_currencies(rows, n))
		return 1;
	if (kind == PB_SUMMARY_DAILY)
		pb_buf_addstr(&b, "vendor,billing_month,partner_account_id,usage_date,charge_category,charge_type,"
				  "service,region,currency,list_cost,billed_cost,line_count\n");
	else
		pb_buf_addstr(&b, "partner_account_id,list_cost,billed_cost\n");
	for (i = 0; i < n && rc == 0; i++) {
		if (kind == PB_SUMMARY_DAILY)
			add_daily(&b, vendor, rows[i]);
		else
			add_account(&b, rows[i]);
		rc = flush_some(&b, out, 0);
	}
	if (rc == 0)
		rc = flush_some(&b, out, 1);
	pb_buf_release(&b);
	return rc;
}
