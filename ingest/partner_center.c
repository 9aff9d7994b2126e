/* Mapping of Partner Center reconciliation members to the normalized record. */
#include "partner_center.h"

#include <string.h>
#include <strings.h>

#include "azure_cost.h"
#include "date.h"
#include "money.h"

#include "banned.h"

/* What a JSON type is called in a message. */
static const char *type_name(const struct pb_json_field *f)
{
	switch (f->type) {
	case PB_JSON_NULL:
		return "null";
	case PB_JSON_BOOL:
		return "true or false";
	case PB_JSON_NESTED:
		return "an object or an array";
	default:
		return "text";
	}
}

/*
 * A member's text. Absent, null and "" give an empty text (optional members); an object, an array or
 * true/false where a value is read is an error, never skipped.
 */
static int text_of(const struct pb_jsonl *j, const char *key, struct pb_text *t, struct pb_buf *err, uint32_t *col)
{
	const struct pb_json_field *f = pb_jsonl_get(j, key);

	t->ptr = "";
	t->len = 0;
	if (!f || f->type == PB_JSON_NULL)
		return 0;
	if (f->type == PB_JSON_NESTED || f->type == PB_JSON_BOOL) {
		pb_buf_reset(err);
		pb_buf_addf(err, "member '%s' is %s, not a value", key, type_name(f));
		*col = f->col;
		return -1;
	}
	t->ptr = f->val;
	t->len = f->val_len;
	return 0;
}

/* "bad WHAT "VALUE" in member 'KEY'[: WHY]", or why the member is unusable; *col points at it. */
static int member_error_why(const struct pb_jsonl *j, const char *key, const char *what, const char *why,
			    struct pb_buf *err, uint32_t *col)
{
	const struct pb_json_field *f = pb_jsonl_get(j, key);

	pb_buf_reset(err);
	if (!f)
		pb_buf_addf(err, "missing member '%s'", key);
	else if (f->type == PB_JSON_NULL)
		pb_buf_addf(err, "member '%s' is null", key);
	else if (f->type == PB_JSON_STRING && f->val_len == 0)
		pb_buf_addf(err, "empty value in member '%s'", key);
	else if (f->type == PB_JSON_NESTED || f->type == PB_JSON_BOOL)
		pb_buf_addf(err, "member '%s' is %s, not a %s", key, type_name(f), what);
	else {
		pb_bad_value_add(err, what, f->val, f->val_len, "member", key);
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

/* A required member: present, not null, not empty, and a string or a number. */
static int need(const struct pb_jsonl *j, const char *key, const char *what, struct pb_text *out, struct pb_buf *err,
		uint32_t *col)
{
	const struct pb_json_field *f = pb_jsonl_get(j, key);

	if (!f || (f->type != PB_JSON_STRING && f->type != PB_JSON_NUMBER) || f->val_len == 0)
		return member_error(j, key, what, err, col);
	out->ptr = f->val;
	out->len = f->val_len;
	return 0;
}

/* A required amount or factor, as a JSON number or a string holding one. */
static int decimal(const struct pb_jsonl *j, const char *key, struct pb_decimal *out, struct pb_buf *err, uint32_t *col)
{
	struct pb_text t = {"", 0};
	struct pb_money_parse_info info;

	if (need(j, key, "number", &t, err, col) < 0)
		return -1;
	if (pb_decimal_parse(t.ptr, t.len, out, &info) < 0)
		return member_error_why(j, key, "number", info.reason, err, col);
	return 0;
}

/*
 * ListCost: UnitPrice x Quantity (x PCToBCExchangeRate when present), from every digit of each, rounded
 * once. UnitPrice and Quantity are required; the list cost is absent only when the rate is 0 or below (no
 * rate: the product would be a list cost of 0, or of the wrong sign), or when there is no rate and
 * PricingCurrency is another currency than BillingCurrency (the product would be in the pricing currency),
 * counted as a line without list price.
 */
static int list_cost(struct pb_format_stats *st, const struct pb_jsonl *j, struct pb_usage *u, struct pb_buf *err,
		     uint32_t *col)
{
	struct pb_decimal f[3];
	struct pb_text rate;
	size_t n = 2;

	u->has_list = 0;
	u->price_load = 0;
	memset(&u->ref, 0, sizeof(u->ref));
	if (decimal(j, "UnitPrice", &f[0], err, col) < 0 || decimal(j, "Quantity", &f[1], err, col) < 0)
		return -1;
	if (text_of(j, "PCToBCExchangeRate", &rate, err, col) < 0)
		return -1;
	if (rate.len) {
		if (decimal(j, "PCToBCExchangeRate", &f[2], err, col) < 0)
			return -1;
		if (f[2].mant == 0 || f[2].neg) {
			st->no_list++;
			return 0;
		}
		n = 3;
	} else {
		struct pb_text pc;

		/* UnitPrice is in PricingCurrency: without the rate, another currency's price is no list price. */
		if (text_of(j, "PricingCurrency", &pc, err, col) < 0)
			return -1;
		if (pc.len && !(pc.len == u->currency.len && strncasecmp(pc.ptr, u->currency.ptr, pc.len) == 0)) {
			st->no_list++;
			return 0;
		}
	}
	if (pb_decimal_product(f, n, 1, &u->list_cost, NULL) < 0)
		return member_error(j, "UnitPrice", "list cost (UnitPrice x Quantity out of range)", err, col);
	u->has_list = 1;
	return 0;
}

/* The usage day: UsageDate, else ChargeStartDate when UsageDate is absent, null or empty. */
static int usage_day(const struct pb_jsonl *j, struct pb_usage *u, struct pb_buf *err, uint32_t *col)
{
	const char *key = "UsageDate";
	struct pb_text t = {"", 0};
	enum pb_date_case dc;

	if (text_of(j, key, &t, err, col) < 0)
		return -1;
	if (t.len == 0) {
		key = "ChargeStartDate";
		if (text_of(j, key, &t, err, col) < 0)
			return -1;
	}
	dc = t.len ? pb_date_read_any(t.ptr, t.len, &u->usage_date) : PB_DATE_MALFORMED;
	if (dc == PB_DATE_MALFORMED)
		return member_error(j, key, "date", err, col);
	if (dc != PB_DATE_BEFORE_FIRST && dc != PB_DATE_PAST_CALENDAR)
		return 0;
	*col = pb_jsonl_get(j, key)->col;
	return pb_date_range_error(err, dc, "date", t.ptr, t.len, "member", key);
}

/* ChargeType (required): the FOCUS category, and the type itself as the source's charge type. */
static int charge(struct pb_format_stats *st, const struct pb_jsonl *j, struct pb_usage *u, struct pb_buf *err,
		  uint32_t *col)
{
	struct pb_text t = {"", 0};

	if (need(j, "ChargeType", "text", &t, err, col) < 0)
		return -1;
	u->charge_type = t;
	u->category = pb_stats_category(st, pb_azure_category(t.ptr, t.len), t.ptr, t.len);
	return 0;
}

/* The optional texts: service, region, the customer's name. */
static int texts(const struct pb_jsonl *j, struct pb_usage *u, struct pb_buf *err, uint32_t *col)
{
	if (text_of(j, "MeterCategory", &u->service, err, col) < 0 ||
	    text_of(j, "ResourceLocation", &u->region, err, col) < 0)
		return -1;
	if (u->region.len == 0 && text_of(j, "MeterRegion", &u->region, err, col) < 0)
		return -1;
	if (text_of(j, "CustomerName", &u->name, err, col) < 0)
		return -1;
	u->name_kind = PB_NAME_CUSTOMER;
	return 0;
}

int pb_partner_center_row(struct pb_format_stats *st, const struct pb_jsonl *j, int32_t month, struct pb_usage *u,
			  char account[40], struct pb_buf *err, uint32_t *col)
{
	struct pb_text t = {"", 0};
	struct pb_money_parse_info info;

	memset(u, 0, sizeof(*u));
	if (need(j, "CustomerId", "text", &u->account, err, col) < 0)
		return -1;
	if (!pb_valid_guid(u->account.ptr, u->account.len))
		return member_error_why(j, "CustomerId", "customer id",
					"a Microsoft customer (tenant) id is a GUID such as "
					"0f3ac2a8-8b1d-4c7e-9d2b-5e6f7a8b9c0d",
					err, col);
	u->account = pb_azure_id(u->account, account);
	if (usage_day(j, u, err, col) < 0)
		return -1;
	u->billing_month = month ? month : pb_date_month_start(u->usage_date);
	if (charge(st, j, u, err, col) < 0)
		return -1;
	if (need(j, "BillingCurrency", "text", &u->currency, err, col) < 0)
		return -1;
	if (!pb_valid_currency(u->currency.ptr, u->currency.len))
		return member_error(j, "BillingCurrency", "currency code", err, col);

	/* BilledCost: BillingPreTaxTotal, read exactly to 18 places. */
	if (need(j, "BillingPreTaxTotal", "number", &t, err, col) < 0)
		return -1;
	if (pb_money_parse(t.ptr, t.len, &u->billed_cost, &info) < 0)
		return member_error_why(j, "BillingPreTaxTotal", "amount", info.reason, err, col);
	st->rounded += (uint64_t)info.rounded;
	u->has_billed = 1;

	if (list_cost(st, j, u, err, col) < 0 || texts(j, u, err, col) < 0)
		return -1;
	st->lines++;
	return 0;
}
