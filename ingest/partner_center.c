/* Mapping of Partner Center reconciliation members to the normalized record. */
#include "partner_center.h"

#include <string.h>

#include "azure_cost.h"
#include "date.h"
#include "money.h"

#include "banned.h"

/* The member's text, or "" when it is absent or null. */
static struct pb_text text_of(const struct pb_jsonl *j, const char *key)
{
	const struct pb_json_field *f = pb_jsonl_get(j, key);
	struct pb_text t = {"", 0};

	if (f && (f->type == PB_JSON_STRING || f->type == PB_JSON_NUMBER)) {
		t.ptr = f->val;
		t.len = f->val_len;
	}
	return t;
}

/* "bad WHAT "VALUE" in member 'KEY'[: WHY]", or why the member is unusable; *col points at it. */
static int member_error_why(const struct pb_jsonl *j, const char *key, const char *what, const char *why,
			    struct pb_buf *err, uint32_t *col)
{
	const struct pb_json_field *f = pb_jsonl_get(j, key);

	pb_buf_reset(err);
	if (!f)
		pb_buf_addf(err, "missing member '%s'", key);
	else if (f->type == PB_JSON_NULL || (f->type == PB_JSON_STRING && f->val_len == 0))
		pb_buf_addf(err, "empty value in member '%s'", key);
	else if (f->type == PB_JSON_NESTED || f->type == PB_JSON_BOOL)
		pb_buf_addf(err, "member '%s' is not a %s", key, what);
	else {
		pb_buf_addf(err, "bad %s ", what);
		pb_add_quoted_value(err, f->val, f->val_len);
		pb_buf_addf(err, " in member '%s'", key);
		if (why && *why)
			pb_buf_addf(err, ": %s", why);
	}
	*col = f ? f->col : 1;
	return -1;
}

static int member_error(const struct pb_jsonl *j, const char *key, const char *what, struct pb_buf *err, uint32_t *col)
{
	return member_error_why(j, key, what, NULL, err, col);
}

/* A required text member. */
static int need(const struct pb_jsonl *j, const char *key, struct pb_text *out, struct pb_buf *err, uint32_t *col)
{
	*out = text_of(j, key);
	if (out->len == 0)
		return member_error(j, key, "text", err, col);
	return 0;
}

/* An amount or factor, as a JSON number or a string holding one. */
static int decimal(const struct pb_jsonl *j, const char *key, struct pb_decimal *out, struct pb_buf *err, uint32_t *col)
{
	struct pb_text t = text_of(j, key);
	struct pb_money_parse_info info;

	if (t.len == 0)
		return member_error(j, key, "number", err, col);
	if (pb_decimal_parse(t.ptr, t.len, out, &info) < 0)
		return member_error_why(j, key, "number", info.reason, err, col);
	return 0;
}

/*
 * ListCost: UnitPrice x Quantity (x PCToBCExchangeRate), from every digit of each, rounded once. A line
 * without a unit price has no list cost: absent, and counted.
 */
static int list_cost(struct pb_format_stats *st, const struct pb_jsonl *j, struct pb_usage *u, struct pb_buf *err,
		     uint32_t *col)
{
	struct pb_decimal f[3];
	size_t n = 2;

	u->has_list = 0;
	if (text_of(j, "UnitPrice").len == 0) {
		st->no_list++;
		return 0;
	}
	if (decimal(j, "UnitPrice", &f[0], err, col) < 0 || decimal(j, "Quantity", &f[1], err, col) < 0)
		return -1;
	if (text_of(j, "PCToBCExchangeRate").len) {
		if (decimal(j, "PCToBCExchangeRate", &f[2], err, col) < 0)
			return -1;
		n = 3;
	}
	if (pb_decimal_product(f, n, 1, &u->list_cost, NULL) < 0)
		return member_error(j, "UnitPrice", "list cost (UnitPrice x Quantity out of range)", err, col);
	u->has_list = 1;
	return 0;
}

int pb_partner_center_row(struct pb_format_stats *st, const struct pb_jsonl *j, int32_t month, struct pb_usage *u,
			  char account[40], struct pb_buf *err, uint32_t *col)
{
	struct pb_text t;
	struct pb_money_parse_info info;
	const char *cat, *date_key = "UsageDate";

	memset(u, 0, sizeof(*u));
	if (need(j, "CustomerId", &u->account, err, col) < 0)
		return -1;
	u->account = pb_azure_id(u->account, account);
	if (text_of(j, date_key).len == 0)
		date_key = "ChargeStartDate";
	t = text_of(j, date_key);
	if (t.len == 0 || pb_date_parse_any(t.ptr, t.len, &u->usage_date) < 0)
		return member_error(j, date_key, "date", err, col);
	u->billing_month = month ? month : pb_date_month_start(u->usage_date);

	if (need(j, "ChargeType", &t, err, col) < 0)
		return -1;
	cat = pb_azure_category(t.ptr, t.len);
	if (cat) {
		u->category.ptr = cat;
		u->category.len = strlen(cat);
	} else {
		pb_stats_unknown(st, t.ptr, t.len, 1);
		u->category = t;
	}

	if (need(j, "BillingCurrency", &u->currency, err, col) < 0)
		return -1;
	if (!pb_valid_currency(u->currency.ptr, u->currency.len))
		return member_error(j, "BillingCurrency", "currency code", err, col);

	/* BilledCost: BillingPreTaxTotal, read exactly to 18 places. */
	t = text_of(j, "BillingPreTaxTotal");
	if (t.len == 0)
		return member_error(j, "BillingPreTaxTotal", "number", err, col);
	if (pb_money_parse(t.ptr, t.len, &u->billed_cost, &info) < 0)
		return member_error_why(j, "BillingPreTaxTotal", "amount", info.reason, err, col);
	st->rounded += (uint64_t)info.rounded;
	u->has_billed = 1;

	if (list_cost(st, j, u, err, col) < 0)
		return -1;

	u->service = text_of(j, "MeterCategory");
	u->region = text_of(j, "ResourceLocation");
	if (u->region.len == 0)
		u->region = text_of(j, "MeterRegion");
	u->name = text_of(j, "CustomerName");
	u->name_kind = PB_NAME_CUSTOMER;
	st->lines++;
	return 0;
}
