/* Mapping of Azure cost-details columns (EA, MCA, CSP partner) and charge types to the normalized record. */
#include "azure_cost.h"

#include <string.h>
#include <strings.h>

#include "date.h"
#include "money.h"

#include "banned.h"

/* Candidate header names per column, in order of preference; matched case-insensitively. */
static const struct {
	int required;
	const char *names[AZ_MAX_ALT];
} cols[AZ_NCOLS] = {
	[AZ_TENANT] = {0, {"customerTenantId"}},
	[AZ_SUBSCRIPTION] = {1, {"SubscriptionId", "SubscriptionGuid"}},
	[AZ_DATE] = {1, {"Date", "UsageDate", "UsageDateTime"}},
	[AZ_BILL_START] = {0, {"BillingPeriodStartDate"}},
	[AZ_TYPE] = {1, {"ChargeType"}},
	[AZ_CURRENCY] = {1, {"BillingCurrency", "BillingCurrencyCode", "Currency"}},
	[AZ_BILLED] = {1, {"CostInBillingCurrency", "Cost"}},
	[AZ_PAYG_COST] = {0, {"paygCostInBillingCurrency"}},
	[AZ_PAYG_PRICE] = {0, {"PayGPrice"}},
	[AZ_QUANTITY] = {0, {"Quantity"}},
	[AZ_RATE] = {0, {"exchangeRatePricingToBilling"}},
	[AZ_PUBLISHER_TYPE] = {0, {"PublisherType"}},
	[AZ_PRICING_MODEL] = {0, {"PricingModel"}},
	[AZ_SERVICE] = {0, {"MeterCategory", "ServiceName", "ConsumedService"}},
	[AZ_REGION] = {0, {"ResourceLocation", "Location", "MeterRegion"}},
	[AZ_SUB_NAME] = {0, {"SubscriptionName"}},
	[AZ_CUSTOMER_NAME] = {0, {"customerName"}},
	[AZ_TAGS] = {0, {"Tags"}},
};

int pb_azure_cost_bind(struct pb_azure_cost *a, const struct pb_csv *c, struct pb_buf *err)
{
	int k, j;

	memset(a, 0, sizeof(*a));
	for (k = 0; k < AZ_NCOLS; k++) {
		int nalt = 0;

		for (j = 0; j < AZ_MAX_ALT; j++)
			a->alt[k][j] = -1;
		for (j = 0; j < AZ_MAX_ALT && cols[k].names[j]; j++) {
			long idx = pb_csv_find(c, cols[k].names[j], 1);

			if (idx >= 0)
				a->alt[k][nalt++] = idx;
		}
		a->col[k] = a->alt[k][0];
		if (a->col[k] >= 0) {
			const struct pb_csv_field *f = &c->fields[a->col[k]];

			snprintf(a->name[k], sizeof(a->name[k]), "%.*s", (int)f->len, f->ptr);
		} else {
			snprintf(a->name[k], sizeof(a->name[k]), "%s", cols[k].names[0]);
		}
	}
	a->csp = a->col[AZ_TENANT] >= 0;
	for (k = 0; k < AZ_NCOLS; k++) {
		int need = cols[k].required && !(k == AZ_SUBSCRIPTION && a->csp);

		/* A list price needs its quantity. */
		need |= k == AZ_QUANTITY && a->col[AZ_PAYG_PRICE] >= 0;
		if (need && a->col[k] < 0) {
			pb_buf_reset(err);
			pb_buf_addf(err, "missing required column '%s'", cols[k].names[0]);
			return -1;
		}
	}
	return 0;
}

size_t pb_azure_cost_columns(const struct pb_azure_cost *a, size_t *out)
{
	size_t n = 0;
	int k, j;

	for (k = 0; k < AZ_NCOLS; k++)
		for (j = 0; j < AZ_MAX_ALT; j++)
			if (a->alt[k][j] >= 0)
				out[n++] = (size_t)a->alt[k][j];
	return n;
}

const char *pb_azure_category(const char *t, size_t n)
{
	/* FOCUS 1.0: unused commitments are Usage (with CommitmentDiscountStatus Unused). */
	static const struct {
		const char *type, *category;
	} map[] = {
		{"Usage", "Usage"},
		{"UnusedReservation", "Usage"},
		{"UnusedSavingsPlan", "Usage"},
		{"Purchase", "Purchase"},
		{"New", "Purchase"},
		{"Renew", "Purchase"},
		{"CycleCharge", "Purchase"},
		{"Refund", "Credit"},
		{"Credit", "Credit"},
		{"Cancel", "Credit"},
		{"Tax", "Tax"},
		{"RoundingAdjustment", "Adjustment"},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (pb_text_is(t, n, map[i].type))
			return map[i].category;
	return NULL;
}

static const struct pb_csv_field *field_of(const struct pb_azure_cost *a, const struct pb_csv *c, int col)
{
	return &c->fields[a->col[col]];
}

static int field_error(const struct pb_azure_cost *a, const struct pb_csv *c, int col, const char *what,
		       struct pb_buf *err, size_t *field)
{
	const struct pb_csv_field *f = field_of(a, c, col);

	pb_buf_reset(err);
	if (f->len == 0) {
		pb_buf_addf(err, "empty value in column '%s'", a->name[col]);
	} else {
		pb_buf_addf(err, "bad %s ", what);
		pb_add_quoted_value(err, f->ptr, f->len);
		pb_buf_addf(err, " in column '%s'", a->name[col]);
	}
	*field = (size_t)a->col[col];
	return -1;
}

/* The first non-empty field among the column's candidates, or "". */
static struct pb_text first_text(const struct pb_azure_cost *a, const struct pb_csv *c, int col)
{
	struct pb_text t = {"", 0};
	int j;

	for (j = 0; j < AZ_MAX_ALT && a->alt[col][j] >= 0; j++) {
		const struct pb_csv_field *f = &c->fields[a->alt[col][j]];

		if (f->len) {
			t.ptr = f->ptr;
			t.len = f->len;
			break;
		}
	}
	return t;
}

/* Parses a date column, remembering the last text: a file repeats the same few dates. */
static int date_of(const struct pb_csv_field *f, char *last, size_t cap, size_t *last_len, int32_t *last_day,
		   int32_t *out)
{
	if (f->len && f->len == *last_len && memcmp(f->ptr, last, f->len) == 0) {
		*out = *last_day;
		return 0;
	}
	if (pb_date_parse_any(f->ptr, f->len, out) < 0)
		return -1;
	if (f->len < cap) {
		memcpy(last, f->ptr, f->len);
		*last_len = f->len;
		*last_day = *out;
	}
	return 0;
}

static int money_of(const struct pb_azure_cost *a, struct pb_format_stats *st, const struct pb_csv *c, int col,
		    pb_money *out, struct pb_buf *err, size_t *field)
{
	const struct pb_csv_field *f = field_of(a, c, col);
	struct pb_money_parse_info info;

	if (pb_money_parse(f->ptr, f->len, out, &info) < 0) {
		field_error(a, c, col, "amount", err, field);
		if (f->len)
			pb_buf_addf(err, ": %s", info.reason);
		return -1;
	}
	st->rounded += (uint64_t)info.rounded;
	return 0;
}

static int decimal_of(const struct pb_azure_cost *a, const struct pb_csv *c, int col, struct pb_decimal *out,
		      struct pb_buf *err, size_t *field)
{
	const struct pb_csv_field *f = field_of(a, c, col);
	struct pb_money_parse_info info;

	if (pb_decimal_parse(f->ptr, f->len, out, &info) < 0) {
		field_error(a, c, col, "number", err, field);
		if (f->len)
			pb_buf_addf(err, ": %s", info.reason);
		return -1;
	}
	return 0;
}

static int column_is(const struct pb_azure_cost *a, const struct pb_csv *c, int col, const char *value)
{
	if (a->col[col] < 0)
		return 0;
	return pb_text_is(field_of(a, c, col)->ptr, field_of(a, c, col)->len, value);
}

/*
 * FOCUS ListCost: paygCostInBillingCurrency when the export has it, else PayGPrice x Quantity
 * (x exchangeRatePricingToBilling), exact and rounded once: the same product Microsoft defines
 * paygCostInBillingCurrency as. PayGPrice is the price of one UnitOfMeasure ("100 Hours") and Quantity
 * counts those units (0.24 of "100 Hours" is 24 hours), so the block is in both already and is never
 * applied again. No list price at all (an empty price, or a zero price on a marketplace line or a
 * reservation or savings plan purchase or refund) leaves it absent.
 */
static int list_cost(struct pb_azure_cost *a, struct pb_format_stats *st, const struct pb_csv *c, struct pb_usage *u,
		     struct pb_buf *err, size_t *field)
{
	struct pb_decimal f[3];
	size_t n = 2;

	u->has_list = 0;
	if (a->col[AZ_PAYG_COST] >= 0 && field_of(a, c, AZ_PAYG_COST)->len) {
		if (money_of(a, st, c, AZ_PAYG_COST, &u->list_cost, err, field) < 0)
			return -1;
		u->has_list = 1;
		return 0;
	}
	if (a->col[AZ_PAYG_PRICE] < 0 || field_of(a, c, AZ_PAYG_PRICE)->len == 0) {
		st->no_list++;
		return 0;
	}
	if (decimal_of(a, c, AZ_PAYG_PRICE, &f[0], err, field) < 0)
		return -1;
	if (f[0].mant == 0 &&
	    (column_is(a, c, AZ_PUBLISHER_TYPE, "Marketplace") ||
	     ((column_is(a, c, AZ_PRICING_MODEL, "Reservation") || column_is(a, c, AZ_PRICING_MODEL, "Reservations") ||
	       column_is(a, c, AZ_PRICING_MODEL, "SavingsPlan")) &&
	      (column_is(a, c, AZ_TYPE, "Purchase") || column_is(a, c, AZ_TYPE, "Refund"))))) {
		st->no_list++;
		return 0;
	}
	if (decimal_of(a, c, AZ_QUANTITY, &f[1], err, field) < 0)
		return -1;
	if (a->col[AZ_RATE] >= 0 && field_of(a, c, AZ_RATE)->len) {
		if (decimal_of(a, c, AZ_RATE, &f[2], err, field) < 0)
			return -1;
		n = 3;
	}
	/* The product's own rounding to 18 places is the documented one, not a warning. */
	if (pb_decimal_product(f, n, 1, &u->list_cost, NULL) < 0)
		return field_error(a, c, AZ_PAYG_PRICE, "list cost (PayGPrice x Quantity out of range)", err, field);
	u->has_list = 1;
	return 0;
}

int pb_azure_cost_row(struct pb_azure_cost *a, struct pb_format_stats *st, const struct pb_csv *c, struct pb_usage *u,
		      struct pb_buf *err, size_t *field)
{
	const struct pb_csv_field *f;
	const char *cat;
	int32_t day;
	int acct = a->csp ? AZ_TENANT : AZ_SUBSCRIPTION;

	f = field_of(a, c, AZ_DATE);
	if (date_of(f, a->last_date, sizeof(a->last_date), &a->last_date_len, &a->last_date_day, &u->usage_date) < 0)
		return field_error(a, c, AZ_DATE, "date", err, field);
	if (a->col[AZ_BILL_START] >= 0) {
		f = field_of(a, c, AZ_BILL_START);
		if (date_of(f, a->last_bill, sizeof(a->last_bill), &a->last_bill_len, &a->last_bill_month, &day) < 0)
			return field_error(a, c, AZ_BILL_START, "date", err, field);
		u->billing_month = pb_date_month_start(day);
	} else {
		u->billing_month = pb_date_month_start(u->usage_date);
	}

	u->account = first_text(a, c, acct);
	if (u->account.len == 0)
		return field_error(a, c, acct, "", err, field);
	u->account = pb_azure_id(u->account, a->account);

	f = field_of(a, c, AZ_TYPE);
	if (f->len == 0)
		return field_error(a, c, AZ_TYPE, "", err, field);
	if (f->len == a->last_type_len && memcmp(f->ptr, a->last_type, f->len) == 0) {
		cat = a->last_category;
	} else {
		cat = pb_azure_category(f->ptr, f->len);
		if (cat && f->len < sizeof(a->last_type)) {
			memcpy(a->last_type, f->ptr, f->len);
			a->last_type_len = f->len;
			a->last_category = cat;
		}
	}
	if (cat) {
		u->category.ptr = cat;
		u->category.len = strlen(cat);
	} else {
		pb_stats_unknown(st, f->ptr, f->len, 1);
		u->category.ptr = f->ptr;
		u->category.len = f->len;
	}

	u->currency = first_text(a, c, AZ_CURRENCY);
	if (!pb_valid_currency(u->currency.ptr, u->currency.len))
		return field_error(a, c, AZ_CURRENCY, "currency code", err, field);

	if (field_of(a, c, AZ_BILLED)->len == 0) {
		u->has_billed = 0;
	} else {
		if (money_of(a, st, c, AZ_BILLED, &u->billed_cost, err, field) < 0)
			return -1;
		u->has_billed = 1;
	}
	if (list_cost(a, st, c, u, err, field) < 0)
		return -1;
	u->service = first_text(a, c, AZ_SERVICE);
	u->region = first_text(a, c, AZ_REGION);
	if (a->csp) {
		u->name = first_text(a, c, AZ_CUSTOMER_NAME);
		u->name_kind = PB_NAME_CUSTOMER;
	} else {
		u->name = first_text(a, c, AZ_SUB_NAME);
		u->name_kind = PB_NAME_SUBSCRIPTION;
	}
	u->tags = first_text(a, c, AZ_TAGS);
	st->lines++;
	return 0;
}
