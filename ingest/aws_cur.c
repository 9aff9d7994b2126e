/* Mapping of AWS CUR columns and line item types to the normalized record. */
#include "aws_cur.h"

#include <string.h>
#include <strings.h>

#include "date.h"
#include "money.h"

#include "banned.h"

/* Candidate header names per column, in order of preference: legacy first, then CUR 2.0. */
struct colspec {
	int required;
	const char *legacy[4];
	const char *cur2[4];
};

static const struct colspec cols[CUR_NCOLS] = {
	[CUR_BILL_START] = {1, {"bill/BillingPeriodStartDate"}, {"bill_billing_period_start_date"}},
	[CUR_ACCOUNT] = {1, {"lineItem/UsageAccountId"}, {"line_item_usage_account_id"}},
	[CUR_TYPE] = {1, {"lineItem/LineItemType"}, {"line_item_line_item_type"}},
	[CUR_USAGE_START] = {1, {"lineItem/UsageStartDate"}, {"line_item_usage_start_date"}},
	[CUR_CURRENCY] = {1, {"lineItem/CurrencyCode"}, {"line_item_currency_code"}},
	[CUR_BILLED] = {1, {"lineItem/UnblendedCost"}, {"line_item_unblended_cost"}},
	[CUR_LIST] = {1, {"pricing/publicOnDemandCost"}, {"pricing_public_on_demand_cost"}},
	[CUR_SERVICE] = {0,
			 {"product/ProductName", "product/servicename", "lineItem/ProductCode"},
			 {"product_product_name", "product_servicename", "line_item_product_code"}},
	[CUR_REGION] = {0, {"product/regionCode", "product/region"}, {"product_region_code", "product_region"}},
	[CUR_INVOICE] = {0, {"bill/InvoiceId"}, {"bill_invoice_id"}},
	[CUR_ACCOUNT_NAME] = {0, {"lineItem/UsageAccountName"}, {"line_item_usage_account_name"}},
	/* Legacy reports spread tags over resourceTags/user:KEY columns; only CUR 2.0's map is read. */
	[CUR_TAGS] = {0, {NULL}, {"resource_tags"}},
};

const char *pb_aws_cur_column_name(const struct pb_aws_cur *a, int col)
{
	return a->cur2 ? cols[col].cur2[0] : cols[col].legacy[0];
}

int pb_aws_cur_bind(struct pb_aws_cur *a, const struct pb_csv *c, struct pb_buf *err)
{
	size_t i;
	int k, j;

	memset(a, 0, sizeof(*a));
	/* CUR 2.0 has no slash names; legacy has nothing but. */
	a->cur2 = 1;
	for (i = 0; i < c->nfields; i++)
		if (memchr(c->fields[i].ptr, '/', c->fields[i].len))
			a->cur2 = 0;
	for (k = 0; k < CUR_NCOLS; k++) {
		const char *const *names = a->cur2 ? cols[k].cur2 : cols[k].legacy;

		int nalt = 0;

		a->col[k] = -1;
		for (j = 0; j < 4; j++)
			a->alt[k][j] = -1;
		for (j = 0; j < 4 && names[j]; j++) {
			long idx = pb_csv_find(c, names[j], 1);

			if (idx >= 0)
				a->alt[k][nalt++] = idx;
		}
		a->col[k] = a->alt[k][0];
		if (a->col[k] < 0 && cols[k].required) {
			pb_buf_reset(err);
			pb_buf_addf(err, "missing required column '%s'", names[0]);
			return -1;
		}
	}
	return 0;
}

size_t pb_aws_cur_columns(const struct pb_aws_cur *a, size_t *out)
{
	size_t n = 0;
	int k, j;

	for (k = 0; k < CUR_NCOLS; k++)
		for (j = 0; j < 4; j++)
			if (a->alt[k][j] >= 0)
				out[n++] = (size_t)a->alt[k][j];
	return n;
}

const char *pb_aws_cur_category(const char *t, size_t n)
{
#define TYPE(name, category)                     \
	{                                        \
		name, sizeof(name) - 1, category \
	}
	static const struct {
		const char *type;
		size_t len;
		const char *category;
	} map[] = {
		TYPE("Usage", "Usage"),
		TYPE("DiscountedUsage", "Usage"),
		TYPE("SavingsPlanCoveredUsage", "Usage"),
		TYPE("SavingsPlanNegation", "Usage"),
		TYPE("Fee", "Purchase"),
		TYPE("RIFee", "Purchase"),
		TYPE("SavingsPlanUpfrontFee", "Purchase"),
		TYPE("SavingsPlanRecurringFee", "Purchase"),
		TYPE("Tax", "Tax"),
		TYPE("Credit", "Credit"),
		TYPE("Refund", "Credit"),
		TYPE("Discount", "Credit"),
		TYPE("BundledDiscount", "Credit"),
		TYPE("EdpDiscount", "Credit"),
		TYPE("PrivateRateDiscount", "Credit"),
		TYPE("SppDiscount", "Credit"),
		TYPE("DistributorDiscount", "Credit"),
		TYPE("TieredDiscount", "Credit"),
	};
#undef TYPE
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].len == n && memcmp(map[i].type, t, n) == 0)
			return map[i].category;
	return NULL;
}

static int field_error(struct pb_aws_cur *a, const struct pb_csv *c, int col, const char *what, struct pb_buf *err,
		       size_t *field)
{
	const struct pb_csv_field *f = &c->fields[a->col[col]];

	pb_buf_reset(err);
	if (strcmp(what, "empty") == 0) {
		pb_buf_addf(err, "empty value in column '%s'", pb_aws_cur_column_name(a, col));
	} else {
		pb_buf_addf(err, "bad %s ", what);
		pb_add_quoted_value(err, f->ptr, f->len);
		pb_buf_addf(err, " in column '%s'", pb_aws_cur_column_name(a, col));
	}
	*field = (size_t)a->col[col];
	return -1;
}

static int amount(struct pb_aws_cur *a, struct pb_format_stats *st, const struct pb_csv *c, int col, pb_money *out,
		  int *has, struct pb_buf *err, size_t *field)
{
	const struct pb_csv_field *f = &c->fields[a->col[col]];
	struct pb_money_parse_info info;

	*has = 0;
	if (f->len == 0)
		return 0;
	if (pb_money_parse(f->ptr, f->len, out, &info) < 0) {
		field_error(a, c, col, "amount", err, field);
		pb_buf_addf(err, ": %s", info.reason);
		return -1;
	}
	st->rounded += (uint64_t)info.rounded;
	*has = 1;
	return 0;
}

/* The first non-empty field among the column's candidates, or "". */
static struct pb_text first_text(const struct pb_aws_cur *a, const struct pb_csv *c, int col)
{
	struct pb_text t = {"", 0};
	int j;

	for (j = 0; j < 4 && a->alt[col][j] >= 0; j++) {
		const struct pb_csv_field *f = &c->fields[a->alt[col][j]];

		if (f->len) {
			t.ptr = f->ptr;
			t.len = f->len;
			break;
		}
	}
	return t;
}

int pb_aws_cur_row(struct pb_aws_cur *a, struct pb_format_stats *st, const struct pb_csv *c, struct pb_usage *u,
		   struct pb_buf *err, size_t *field)
{
	const struct pb_csv_field *f;
	const char *cat;
	int32_t day;

	f = &c->fields[a->col[CUR_BILL_START]];
	if (f->len == a->last_bill_len && f->len && memcmp(f->ptr, a->last_bill, f->len) == 0) {
		u->billing_month = a->last_bill_month;
	} else {
		if (pb_date_parse_iso(f->ptr, f->len, &day) < 0)
			return field_error(a, c, CUR_BILL_START, "timestamp", err, field);
		u->billing_month = pb_date_month_start(day);
		if (f->len < sizeof(a->last_bill)) {
			memcpy(a->last_bill, f->ptr, f->len);
			a->last_bill_len = f->len;
			a->last_bill_month = u->billing_month;
		}
	}
	f = &c->fields[a->col[CUR_USAGE_START]];
	if (pb_date_parse_iso(f->ptr, f->len, &u->usage_date) < 0)
		return field_error(a, c, CUR_USAGE_START, "timestamp", err, field);

	f = &c->fields[a->col[CUR_ACCOUNT]];
	u->account.ptr = f->ptr;
	u->account.len = f->len;
	if (f->len == 0)
		return field_error(a, c, CUR_ACCOUNT, "empty", err, field);

	f = &c->fields[a->col[CUR_TYPE]];
	if (f->len == 0)
		return field_error(a, c, CUR_TYPE, "empty", err, field);
	cat = pb_aws_cur_category(f->ptr, f->len);
	if (cat) {
		u->category.ptr = cat;
		u->category.len = strlen(cat);
	} else {
		pb_stats_unknown(st, f->ptr, f->len, 1);
		u->category.ptr = f->ptr;
		u->category.len = f->len;
	}

	f = &c->fields[a->col[CUR_CURRENCY]];
	if (f->len == 0)
		return field_error(a, c, CUR_CURRENCY, "empty", err, field);
	if (!pb_valid_currency(f->ptr, f->len))
		return field_error(a, c, CUR_CURRENCY, "currency code", err, field);
	u->currency.ptr = f->ptr;
	u->currency.len = f->len;

	if (amount(a, st, c, CUR_BILLED, &u->billed_cost, &u->has_billed, err, field) < 0)
		return -1;
	if (amount(a, st, c, CUR_LIST, &u->list_cost, &u->has_list, err, field) < 0)
		return -1;
	u->service = first_text(a, c, CUR_SERVICE);
	u->region = first_text(a, c, CUR_REGION);
	u->name = first_text(a, c, CUR_ACCOUNT_NAME);
	u->tags = first_text(a, c, CUR_TAGS);
	u->name_kind = PB_NAME_ACCOUNT;
	st->lines++;
	if (a->col[CUR_INVOICE] < 0 || c->fields[a->col[CUR_INVOICE]].len == 0)
		st->no_invoice++;
	return 0;
}
