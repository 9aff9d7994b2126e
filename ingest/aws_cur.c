/* Mapping of AWS CUR columns and line item types to the normalized record. */
#include "aws_cur.h"

#include <string.h>
#include <strings.h>

#include "date.h"
#include "money.h"

#include "banned.h"

/* Candidate header names per column, in order of preference: legacy reports, and CUR 2.0. */
static const char *const legacy_names[CUR_NCOLS][PB_MAX_ALT] = {
	[CUR_BILL_START] = {"bill/BillingPeriodStartDate"},
	[CUR_ACCOUNT] = {"lineItem/UsageAccountId"},
	[CUR_TYPE] = {"lineItem/LineItemType"},
	[CUR_USAGE_START] = {"lineItem/UsageStartDate"},
	[CUR_CURRENCY] = {"lineItem/CurrencyCode"},
	[CUR_BILLED] = {"lineItem/UnblendedCost"},
	[CUR_LIST] = {"pricing/publicOnDemandCost"},
	[CUR_SERVICE] = {"product/ProductName", "product/servicename", "lineItem/ProductCode"},
	[CUR_REGION] = {"product/regionCode", "product/region"},
	[CUR_INVOICE] = {"bill/InvoiceId"},
	[CUR_ACCOUNT_NAME] = {"lineItem/UsageAccountName"},
	/* Legacy reports spread tags over resourceTags/user:KEY columns: see bind_tags. */
	[CUR_TAGS] = {NULL},
	[CUR_SKU] = {"product/sku"},
	[CUR_PRICING_UNIT] = {"pricing/unit"},
	[CUR_REGION_CODE] = {"product/regionCode"},
	[CUR_USAGE_AMOUNT] = {"lineItem/UsageAmount"},
	[CUR_USAGE_TYPE] = {"lineItem/UsageType"},
	[CUR_OPERATION] = {"lineItem/Operation"},
	[CUR_RESERVATION_ARN] = {"reservation/ReservationARN"},
	[CUR_SAVINGS_PLAN_ARN] = {"savingsPlan/SavingsPlanARN"},
};

static const char *const cur2_names[CUR_NCOLS][PB_MAX_ALT] = {
	[CUR_BILL_START] = {"bill_billing_period_start_date"},
	[CUR_ACCOUNT] = {"line_item_usage_account_id"},
	[CUR_TYPE] = {"line_item_line_item_type"},
	[CUR_USAGE_START] = {"line_item_usage_start_date"},
	[CUR_CURRENCY] = {"line_item_currency_code"},
	[CUR_BILLED] = {"line_item_unblended_cost"},
	[CUR_LIST] = {"pricing_public_on_demand_cost"},
	[CUR_SERVICE] = {"product_product_name", "product_servicename", "line_item_product_code"},
	[CUR_REGION] = {"product_region_code", "product_region"},
	[CUR_INVOICE] = {"bill_invoice_id"},
	[CUR_ACCOUNT_NAME] = {"line_item_usage_account_name"},
	[CUR_TAGS] = {"resource_tags"},
	[CUR_SKU] = {"product_sku"},
	[CUR_PRICING_UNIT] = {"pricing_unit"},
	[CUR_REGION_CODE] = {"product_region_code"},
	[CUR_USAGE_AMOUNT] = {"line_item_usage_amount"},
	[CUR_USAGE_TYPE] = {"line_item_usage_type"},
	[CUR_OPERATION] = {"line_item_operation"},
	[CUR_RESERVATION_ARN] = {"reservation_reservation_a_r_n"},
	[CUR_SAVINGS_PLAN_ARN] = {"savings_plan_savings_plan_a_r_n"},
};

/*
 * The columns every report must have: up to CUR_BILLED. CUR 2.0 lets the user leave out the pricing
 * columns, so pricing/publicOnDemandCost is read when present: without it no line has a list price.
 */
#define CUR_NREQUIRED (CUR_BILLED + 1)

const char *pb_aws_cur_column_name(const struct pb_aws_cur *a, int col)
{
	return a->cur2 ? cur2_names[col][0] : legacy_names[col][0];
}

#define TAG_PREFIX "resourceTags/"

/*
 * The key CUR 2.0 gives in resource_tags to a legacy tag column's KEY (after resourceTags/): an underscore
 * before each capital that does not follow one, capitals lowered, and anything but letters and digits an
 * underscore (user:CostCenter is user_cost_center, aws:createdBy aws_created_by). Returns its length, or 0
 * when it does not fit in room.
 */
static size_t tag_key(const char *p, size_t n, char *out, size_t room)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (k + 3 > room)
			return 0;
		if (ch >= 'A' && ch <= 'Z') {
			if (k && out[k - 1] != '_')
				out[k++] = '_';
			out[k++] = (char)(ch - 'A' + 'a');
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
			out[k++] = (char)ch;
		} else {
			out[k++] = '_';
		}
	}
	out[k] = '\0';
	return k;
}

/* Finds a legacy report's resourceTags/ columns. Returns 0, or -1 with err set when there are too many. */
static int bind_tags(struct pb_aws_cur *a, const struct pb_csv *c, struct pb_buf *err, size_t *field)
{
	size_t i, used = 0, plen = strlen(TAG_PREFIX), k;

	for (i = 0; i < c->nfields; i++) {
		const struct pb_csv_field *f = &c->fields[i];

		if (f->len <= plen || strncasecmp(f->ptr, TAG_PREFIX, plen) != 0)
			continue;
		k = a->ntags < CUR_MAX_TAGS
			    ? tag_key(f->ptr + plen, f->len - plen, a->tag_names + used, sizeof(a->tag_names) - used)
			    : 0;
		if (k == 0) {
			pb_buf_reset(err);
			pb_buf_addf(err,
				    "more tag columns (resourceTags/) than can be read: at most %d, with keys of %d "
				    "bytes in all",
				    CUR_MAX_TAGS, CUR_TAG_NAMES);
			*field = i;
			return -1;
		}
		a->tag_field[a->ntags] = (uint32_t)i;
		a->tag_name[a->ntags++] = (uint32_t)used;
		used += k + 1;
	}
	return 0;
}

/* 1 when an earlier tag column than k has k's key (they differ only in case) and holds the same value. */
static int repeated_tag(const struct pb_aws_cur *a, const struct pb_csv *c, size_t k)
{
	const struct pb_csv_field *f = &c->fields[a->tag_field[k]];
	size_t j;

	for (j = 0; j < k; j++) {
		const struct pb_csv_field *g = &c->fields[a->tag_field[j]];

		if (g->len == f->len && memcmp(g->ptr, f->ptr, f->len) == 0 &&
		    strcmp(a->tag_names + a->tag_name[j], a->tag_names + a->tag_name[k]) == 0)
			return 1;
	}
	return 0;
}

int pb_aws_cur_legacy_tags(const struct pb_aws_cur *a, const struct pb_csv *c, struct pb_buf *out)
{
	size_t k, i;

	pb_buf_reset(out);
	pb_buf_addch(out, '{');
	for (k = 0; k < a->ntags; k++) {
		const struct pb_csv_field *f = &c->fields[a->tag_field[k]];

		/* One key=value of the line is one tag of the line, however many columns hold it. */
		if (f->len == 0 || repeated_tag(a, c, k))
			continue;
		if (out->len > 1)
			pb_buf_addch(out, ',');
		pb_buf_addf(out, "\"%s\":\"", a->tag_names + a->tag_name[k]);
		for (i = 0; i < f->len; i++) {
			unsigned char ch = (unsigned char)f->ptr[i];

			if (ch == '"' || ch == '\\')
				pb_buf_addf(out, "\\%c", ch);
			else if (ch < 0x20)
				pb_buf_addf(out, "\\u%04x", ch);
			else
				pb_buf_addch(out, (char)ch);
		}
		pb_buf_addch(out, '"');
	}
	pb_buf_addch(out, '}');
	return out->failed ? -1 : 0;
}

int pb_aws_cur_bind(struct pb_aws_cur *a, const struct pb_csv *c, struct pb_buf *err, size_t *field)
{
	size_t i;
	int k;

	memset(a, 0, sizeof(*a));
	/* CUR 2.0 has no slash names; legacy has nothing but. */
	a->cur2 = 1;
	for (i = 0; i < c->nfields; i++)
		if (memchr(c->fields[i].ptr, '/', c->fields[i].len))
			a->cur2 = 0;
	if (pb_find_columns(c, a->cur2 ? cur2_names : legacy_names, CUR_NCOLS, a->alt, err, field) < 0)
		return -1;
	if (!a->cur2 && bind_tags(a, c, err, field) < 0)
		return -1;
	for (k = 0; k < CUR_NREQUIRED; k++) {
		if (a->alt[k][0] < 0) {
			pb_buf_reset(err);
			pb_buf_addf(err, "missing required column '%s'", pb_aws_cur_column_name(a, k));
			return -1;
		}
	}
	return 0;
}

size_t pb_aws_cur_columns(const struct pb_aws_cur *a, size_t *out)
{
	size_t n = pb_found_columns(a->alt, CUR_NCOLS, out), k;

	for (k = 0; k < a->ntags; k++)
		out[n++] = a->tag_field[k];
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
	const struct pb_csv_field *f = &c->fields[a->alt[col][0]];

	pb_buf_reset(err);
	if (strcmp(what, "empty") == 0) {
		pb_buf_addf(err, "empty value in column '%s'", pb_aws_cur_column_name(a, col));
	} else if (strcmp(what, "account id") == 0) {
		pb_bad_value_add(err, "account id", f->ptr, f->len, "column", pb_aws_cur_column_name(a, col));
		pb_buf_addstr(err, ": an AWS account id is 12 digits");
	} else {
		pb_bad_value_add(err, what, f->ptr, f->len, "column", pb_aws_cur_column_name(a, col));
	}
	*field = (size_t)a->alt[col][0];
	return -1;
}

static int amount(struct pb_aws_cur *a, struct pb_format_stats *st, const struct pb_csv *c, int col, pb_money *out,
		  int *has, struct pb_buf *err, size_t *field)
{
	const struct pb_csv_field *f = &c->fields[a->alt[col][0]];
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

/* A text of an optional column, or "". */
static struct pb_text text_of(const struct pb_aws_cur *a, const struct pb_csv *c, int col)
{
	struct pb_text t = {"", 0};

	if (a->alt[col][0] >= 0) {
		t.ptr = c->fields[a->alt[col][0]].ptr;
		t.len = c->fields[a->alt[col][0]].len;
	}
	return t;
}

/*
 * What a usage line without a list cost is looked up by in the price lists: its SKU, else its usage type,
 * operation and region; and its usage amount in the price's unit.
 */
static int price_ref(struct pb_aws_cur *a, const struct pb_csv *c, struct pb_usage *u, struct pb_buf *err,
		     size_t *field)
{
	struct pb_price_ref *r = &u->ref;
	struct pb_money_parse_info info;
	struct pb_text amount = text_of(a, c, CUR_USAGE_AMOUNT);

	r->wants = 1;
	r->meter = text_of(a, c, CUR_SKU);
	r->unit = text_of(a, c, CUR_PRICING_UNIT);
	r->region = text_of(a, c, CUR_REGION_CODE);
	r->usage_type = text_of(a, c, CUR_USAGE_TYPE);
	r->operation = text_of(a, c, CUR_OPERATION);
	if (amount.len == 0)
		return 0;
	if (pb_decimal_parse(amount.ptr, amount.len, &r->quantity, &info) < 0) {
		field_error(a, c, CUR_USAGE_AMOUNT, "usage amount", err, field);
		pb_buf_addf(err, ": %s", info.reason);
		return -1;
	}
	r->has_quantity = 1;
	return 0;
}

/*
 * AWS reports a reservation's upfront payment as a Fee, and the refund of a reservation or Savings Plan as a
 * Refund, each with the commitment's ARN: they become "Fee/Reservation", "Refund/Reservation" and
 * "Refund/SavingsPlan" (as Azure's charge types carry their pricing model), so that the pricing rules can
 * tell the reseller's commitments from a customer's fee or refund.
 */
static void commitment_type(const struct pb_aws_cur *a, const struct pb_csv *c, struct pb_text *type)
{
	int fee = pb_text_is(type->ptr, type->len, "Fee"), refund = pb_text_is(type->ptr, type->len, "Refund");
	const char *t = NULL;

	if (!fee && !refund)
		return;
	if (text_of(a, c, CUR_RESERVATION_ARN).len)
		t = fee ? "Fee/Reservation" : "Refund/Reservation";
	else if (refund && text_of(a, c, CUR_SAVINGS_PLAN_ARN).len)
		t = "Refund/SavingsPlan";
	if (t) {
		type->ptr = t;
		type->len = strlen(t);
	}
}

/*
 * A timestamp column into *day: 0, or -1 with the message (one that is not a timestamp, one of year 0000, or one whose
 * zone moves it past 9999-12-31).
 */
static int timestamp(struct pb_aws_cur *a, const struct pb_csv *c, int col, int32_t *day, struct pb_buf *err,
		     size_t *field)
{
	const struct pb_csv_field *f = &c->fields[a->alt[col][0]];
	enum pb_date_case dc = pb_date_read_iso(f->ptr, f->len, day);

	if (dc == PB_DATE_MALFORMED)
		return field_error(a, c, col, "timestamp", err, field);
	if (dc != PB_DATE_BEFORE_FIRST && dc != PB_DATE_PAST_CALENDAR)
		return 0;
	*field = (size_t)a->alt[col][0];
	return pb_date_range_error(err, dc, "timestamp", f->ptr, f->len, "column", pb_aws_cur_column_name(a, col));
}

int pb_aws_cur_row(struct pb_aws_cur *a, struct pb_format_stats *st, const struct pb_csv *c, struct pb_usage *u,
		   struct pb_buf *err, size_t *field)
{
	const struct pb_csv_field *f;
	const char *cat;
	int32_t day;

	f = &c->fields[a->alt[CUR_BILL_START][0]];
	if (f->len == a->last_bill_len && f->len && memcmp(f->ptr, a->last_bill, f->len) == 0) {
		u->billing_month = a->last_bill_month;
	} else {
		if (timestamp(a, c, CUR_BILL_START, &day, err, field) < 0)
			return -1;
		u->billing_month = pb_date_month_start(day);
		if (f->len < sizeof(a->last_bill)) {
			memcpy(a->last_bill, f->ptr, f->len);
			a->last_bill_len = f->len;
			a->last_bill_month = u->billing_month;
		}
	}
	if (timestamp(a, c, CUR_USAGE_START, &u->usage_date, err, field) < 0)
		return -1;

	f = &c->fields[a->alt[CUR_ACCOUNT][0]];
	u->account.ptr = f->ptr;
	u->account.len = f->len;
	if (f->len == 0)
		return field_error(a, c, CUR_ACCOUNT, "empty", err, field);
	if (!pb_valid_aws_account(f->ptr, f->len))
		return field_error(a, c, CUR_ACCOUNT, "account id", err, field);

	f = &c->fields[a->alt[CUR_TYPE][0]];
	if (f->len == 0)
		return field_error(a, c, CUR_TYPE, "empty", err, field);
	u->charge_type.ptr = f->ptr;
	u->charge_type.len = f->len;
	commitment_type(a, c, &u->charge_type);
	cat = pb_aws_cur_category(f->ptr, f->len);
	u->category = pb_stats_category(st, cat, f->ptr, f->len);

	f = &c->fields[a->alt[CUR_CURRENCY][0]];
	if (f->len == 0)
		return field_error(a, c, CUR_CURRENCY, "empty", err, field);
	if (!pb_valid_currency(f->ptr, f->len))
		return field_error(a, c, CUR_CURRENCY, "currency code", err, field);
	u->currency.ptr = f->ptr;
	u->currency.len = f->len;

	if (amount(a, st, c, CUR_BILLED, &u->billed_cost, &u->has_billed, err, field) < 0)
		return -1;
	/* What the partner charges is on every line: a line without it would be billed at nothing. */
	if (!u->has_billed)
		return field_error(a, c, CUR_BILLED, "empty", err, field);
	u->has_list = 0;
	u->price_load = 0;
	memset(&u->ref, 0, sizeof(u->ref));
	if (a->alt[CUR_LIST][0] >= 0 && amount(a, st, c, CUR_LIST, &u->list_cost, &u->has_list, err, field) < 0)
		return -1;
	/*
	 * Usage without a public price is worth a warning, and a look in the price lists; taxes, credits and
	 * negations have none by nature.
	 */
	if (!u->has_list && cat && strcmp(cat, "Usage") == 0 &&
	    !pb_text_is(u->charge_type.ptr, u->charge_type.len, "SavingsPlanNegation")) {
		st->no_list++;
		if (price_ref(a, c, u, err, field) < 0)
			return -1;
	}
	u->service = pb_first_text(c, a->alt[CUR_SERVICE]);
	u->region = pb_first_text(c, a->alt[CUR_REGION]);
	u->name = pb_first_text(c, a->alt[CUR_ACCOUNT_NAME]);
	u->tags = pb_first_text(c, a->alt[CUR_TAGS]);
	u->name_kind = PB_NAME_ACCOUNT;
	st->lines++;
	if (a->alt[CUR_INVOICE][0] < 0 || c->fields[a->alt[CUR_INVOICE][0]].len == 0)
		st->no_invoice++;
	return 0;
}
