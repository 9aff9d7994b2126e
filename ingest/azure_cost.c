/* Mapping of Azure cost-details columns (EA, MCA, CSP partner) and charge types to the normalized record. */
#include "azure_cost.h"

#include <string.h>
#include <strings.h>

#include "date.h"
#include "money.h"

#include "banned.h"

/* Candidate header names per column, in order of preference; matched case-insensitively. */
static const char *const names[AZ_NCOLS][PB_MAX_ALT] = {
	[AZ_TENANT] = {"customerTenantId"},
	[AZ_SUBSCRIPTION] = {"SubscriptionId", "SubscriptionGuid"},
	[AZ_DATE] = {"Date", "UsageDate", "UsageDateTime"},
	[AZ_BILL_START] = {"BillingPeriodStartDate"},
	[AZ_SERVICE_PERIOD] = {"servicePeriodStartDate"},
	[AZ_TYPE] = {"ChargeType"},
	[AZ_CURRENCY] = {"BillingCurrency", "BillingCurrencyCode", "Currency"},
	[AZ_BILLED] = {"CostInBillingCurrency", "Cost"},
	[AZ_PAYG_COST] = {"paygCostInBillingCurrency"},
	[AZ_PAYG_PRICE] = {"PayGPrice"},
	[AZ_QUANTITY] = {"Quantity"},
	[AZ_RATE] = {"exchangeRatePricingToBilling"},
	[AZ_PUBLISHER_TYPE] = {"PublisherType"},
	[AZ_PRICING_MODEL] = {"PricingModel"},
	[AZ_SERVICE] = {"MeterCategory", "ServiceName", "ConsumedService"},
	[AZ_REGION] = {"ResourceLocation", "Location", "MeterRegion"},
	[AZ_SUB_NAME] = {"SubscriptionName"},
	[AZ_CUSTOMER_NAME] = {"customerName"},
	[AZ_TAGS] = {"Tags"},
	[AZ_METER_ID] = {"MeterId"},
	[AZ_UNIT] = {"UnitOfMeasure"},
	[AZ_METER_REGION] = {"MeterRegion"},
	[AZ_LOCATION] = {"ResourceLocation", "Location"},
	[AZ_PRICING_CURRENCY] = {"PricingCurrency", "pricingCurrencyCode"},
};

/* Whether a file must have the column: the subscription unless the file is CSP, a quantity for a price. */
static int required(const struct pb_azure_cost *a, int k)
{
	switch (k) {
	case AZ_SUBSCRIPTION:
		return !a->csp;
	case AZ_DATE:
	case AZ_TYPE:
	case AZ_CURRENCY:
	case AZ_BILLED:
		return 1;
	case AZ_QUANTITY:
		return a->alt[AZ_PAYG_PRICE][0] >= 0;
	default:
		return 0;
	}
}

int pb_azure_cost_bind(struct pb_azure_cost *a, const struct pb_csv *c, struct pb_buf *err, size_t *field)
{
	int k;

	memset(a, 0, sizeof(*a));
	if (pb_find_columns(c, names, AZ_NCOLS, a->alt, err, field) < 0)
		return -1;
	for (k = 0; k < AZ_NCOLS; k++) {
		if (a->alt[k][0] >= 0) {
			const struct pb_csv_field *f = &c->fields[a->alt[k][0]];

			snprintf(a->name[k], sizeof(a->name[k]), "%.*s", (int)f->len, f->ptr);
		} else {
			snprintf(a->name[k], sizeof(a->name[k]), "%s", names[k][0]);
		}
	}
	a->csp = a->alt[AZ_TENANT][0] >= 0;
	for (k = 0; k < AZ_NCOLS; k++) {
		if (required(a, k) && a->alt[k][0] < 0) {
			pb_buf_reset(err);
			pb_buf_addf(err, "missing required column '%s'", names[k][0]);
			return -1;
		}
	}
	return 0;
}

size_t pb_azure_cost_columns(const struct pb_azure_cost *a, size_t *out)
{
	return pb_found_columns(a->alt, AZ_NCOLS, out);
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
	return &c->fields[a->alt[col][0]];
}

static int field_error(const struct pb_azure_cost *a, const struct pb_csv *c, int col, const char *what,
		       struct pb_buf *err, size_t *field)
{
	const struct pb_csv_field *f = field_of(a, c, col);

	pb_buf_reset(err);
	if (f->len == 0) {
		pb_buf_addf(err, "empty value in column '%s'", a->name[col]);
	} else if (strcmp(what, "id") == 0) {
		pb_bad_value_add(err, "id", f->ptr, f->len, "column", a->name[col]);
		pb_buf_addstr(err, ": Azure subscription and tenant ids are GUIDs");
	} else {
		pb_bad_value_add(err, what, f->ptr, f->len, "column", a->name[col]);
	}
	*field = (size_t)a->alt[col][0];
	return -1;
}

/*
 * Parses the date column col, remembering the last text: a file repeats the same few dates. Returns 0, or -1 with
 * the message (one that is not a date, one of year 0000, or one whose zone moves it past 9999-12-31).
 */
static int date_of(const struct pb_azure_cost *a, const struct pb_csv *c, int col, char *last, size_t cap,
		   size_t *last_len, int32_t *last_day, int32_t *out, struct pb_buf *err, size_t *field)
{
	const struct pb_csv_field *f = field_of(a, c, col);
	enum pb_date_case dc;

	if (f->len && f->len == *last_len && memcmp(f->ptr, last, f->len) == 0) {
		*out = *last_day;
		return 0;
	}
	dc = pb_date_read_any(f->ptr, f->len, out);
	if (dc == PB_DATE_MALFORMED)
		return field_error(a, c, col, "date", err, field);
	if (dc == PB_DATE_BEFORE_FIRST || dc == PB_DATE_PAST_CALENDAR) {
		*field = (size_t)a->alt[col][0];
		return pb_date_range_error(err, dc, "date", f->ptr, f->len, "column", a->name[col]);
	}
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
	if (a->alt[col][0] < 0)
		return 0;
	return pb_text_is(field_of(a, c, col)->ptr, field_of(a, c, col)->len, value);
}

/*
 * A line of a reservation or savings plan: its purchase, refund, or the usage it covers in an amortized
 * export. There a zero PayGPrice (or paygCost) is a price Microsoft left out, not a free meter, as its own
 * FinOps tooling documents it.
 */
static int commitment(const struct pb_azure_cost *a, const struct pb_csv *c)
{
	return column_is(a, c, AZ_PRICING_MODEL, "Reservation") || column_is(a, c, AZ_PRICING_MODEL, "Reservations") ||
	       column_is(a, c, AZ_PRICING_MODEL, "SavingsPlan") || column_is(a, c, AZ_PRICING_MODEL, "Savings Plan");
}

/* A line whose zero price is a price left out: a marketplace line, or a commitment's (see commitment). */
static int no_price(const struct pb_azure_cost *a, const struct pb_csv *c)
{
	return column_is(a, c, AZ_PUBLISHER_TYPE, "Marketplace") || commitment(a, c);
}

/* A text of an optional column, or "". */
static struct pb_text text_of(const struct pb_azure_cost *a, const struct pb_csv *c, int col)
{
	struct pb_text t = {"", 0};

	if (a->alt[col][0] >= 0) {
		t.ptr = field_of(a, c, col)->ptr;
		t.len = field_of(a, c, col)->len;
	}
	return t;
}

/*
 * What a usage line without a list price is looked up by in the price lists: its meter, unit of measure,
 * region and quantity (in that unit), and what converts the price's currency to the billing currency.
 */
static int price_ref(struct pb_azure_cost *a, const struct pb_csv *c, struct pb_usage *u, struct pb_buf *err,
		     size_t *field)
{
	struct pb_price_ref *r = &u->ref;

	if (!pb_text_is(u->category.ptr, u->category.len, "Usage"))
		return 0;
	r->wants = 1;
	r->meter = text_of(a, c, AZ_METER_ID);
	r->unit = text_of(a, c, AZ_UNIT);
	r->region = text_of(a, c, AZ_METER_REGION);
	r->region2 = text_of(a, c, AZ_LOCATION);
	r->pricing_currency = text_of(a, c, AZ_PRICING_CURRENCY);
	if (a->alt[AZ_QUANTITY][0] >= 0 && field_of(a, c, AZ_QUANTITY)->len) {
		if (decimal_of(a, c, AZ_QUANTITY, &r->quantity, err, field) < 0)
			return -1;
		r->has_quantity = 1;
	}
	if (a->alt[AZ_RATE][0] >= 0 && field_of(a, c, AZ_RATE)->len) {
		if (decimal_of(a, c, AZ_RATE, &r->rate, err, field) < 0)
			return -1;
		r->has_rate = 1;
	}
	return 0;
}

/* Whether the line names a pricing currency other than its billing currency (u->currency). */
static int other_pricing_currency(const struct pb_azure_cost *a, const struct pb_csv *c, const struct pb_usage *u)
{
	struct pb_text pc = pb_first_text(c, a->alt[AZ_PRICING_CURRENCY]);

	return pc.len && !(pc.len == u->currency.len && strncasecmp(pc.ptr, u->currency.ptr, pc.len) == 0);
}

/*
 * FOCUS ListCost: paygCostInBillingCurrency when the export has it, else PayGPrice x Quantity
 * (x exchangeRatePricingToBilling), exact and rounded once: the same product Microsoft defines
 * paygCostInBillingCurrency as. PayGPrice is the price of one UnitOfMeasure ("100 Hours") and Quantity
 * counts those units (0.24 of "100 Hours" is 24 hours), so the block is in both already and is never
 * applied again. No list price at all (an empty price, a zero price on a marketplace line or any line of a
 * reservation or savings plan, a rate of 0 or below, or no rate for a price in another currency than the
 * billing currency) leaves it absent.
 */
static int list_cost(struct pb_azure_cost *a, struct pb_format_stats *st, const struct pb_csv *c, struct pb_usage *u,
		     struct pb_buf *err, size_t *field)
{
	struct pb_decimal f[3];
	size_t n = 2;

	u->has_list = 0;
	u->price_load = 0;
	memset(&u->ref, 0, sizeof(u->ref));
	if (a->alt[AZ_PAYG_COST][0] >= 0 && field_of(a, c, AZ_PAYG_COST)->len) {
		if (money_of(a, st, c, AZ_PAYG_COST, &u->list_cost, err, field) < 0)
			return -1;
		if (pb_money_cmp(u->list_cost, PB_MONEY_ZERO) == 0 && no_price(a, c)) {
			st->no_list++;
			return price_ref(a, c, u, err, field);
		}
		u->has_list = 1;
		return 0;
	}
	if (a->alt[AZ_PAYG_PRICE][0] < 0 || field_of(a, c, AZ_PAYG_PRICE)->len == 0) {
		st->no_list++;
		return price_ref(a, c, u, err, field);
	}
	if (decimal_of(a, c, AZ_PAYG_PRICE, &f[0], err, field) < 0)
		return -1;
	if (f[0].mant == 0 && no_price(a, c)) {
		st->no_list++;
		return price_ref(a, c, u, err, field);
	}
	if (decimal_of(a, c, AZ_QUANTITY, &f[1], err, field) < 0)
		return -1;
	if (a->alt[AZ_RATE][0] >= 0 && field_of(a, c, AZ_RATE)->len) {
		if (decimal_of(a, c, AZ_RATE, &f[2], err, field) < 0)
			return -1;
		/* A rate of 0 or below is no rate: the product would be a list cost of 0, or of the wrong sign. */
		if (f[2].mant == 0 || f[2].neg) {
			st->no_list++;
			return price_ref(a, c, u, err, field);
		}
		n = 3;
	} else if (other_pricing_currency(a, c, u)) {
		/* PayGPrice is in the pricing currency: without the rate, another currency's price is no list price. */
		st->no_list++;
		return price_ref(a, c, u, err, field);
	}
	/* The product's own rounding to 18 places is the documented one, not a warning. */
	if (pb_decimal_product(f, n, 1, &u->list_cost, NULL) < 0)
		return field_error(a, c, AZ_PAYG_PRICE, "list cost (PayGPrice x Quantity out of range)", err, field);
	u->has_list = 1;
	return 0;
}

/*
 * The billing month: of BillingPeriodStartDate; where Cost Management leaves it empty (Azure plan
 * subscriptions in daily actual-cost exports), of servicePeriodStartDate, else of the usage date.
 */
static int billing_month(struct pb_azure_cost *a, const struct pb_csv *c, struct pb_usage *u, struct pb_buf *err,
			 size_t *field)
{
	static const int cols[2] = {AZ_BILL_START, AZ_SERVICE_PERIOD};
	int32_t day;
	int k;

	for (k = 0; k < 2; k++) {
		if (a->alt[cols[k]][0] < 0 || field_of(a, c, cols[k])->len == 0)
			continue;
		if (date_of(a, c, cols[k], a->last_bill, sizeof(a->last_bill), &a->last_bill_len, &a->last_bill_month,
			    &day, err, field) < 0)
			return -1;
		u->billing_month = pb_date_month_start(day);
		a->month_field = a->alt[cols[k]][0];
		return 0;
	}
	u->billing_month = pb_date_month_start(u->usage_date);
	a->month_field = a->alt[AZ_DATE][0];
	return 0;
}

/*
 * The source's charge type: ChargeType, with "/PricingModel" when the model is not on-demand. 0, or -1 with err
 * set (at PricingModel) when the two are too long together to be kept whole: cut, two such types would be one
 * row, and a cut could split a character.
 */
static int charge_type(struct pb_azure_cost *a, const struct pb_csv *c, struct pb_usage *u, struct pb_buf *err,
		       size_t *field)
{
	struct pb_text t = {field_of(a, c, AZ_TYPE)->ptr, field_of(a, c, AZ_TYPE)->len};
	struct pb_text m = {"", 0};

	if (a->alt[AZ_PRICING_MODEL][0] >= 0) {
		m.ptr = field_of(a, c, AZ_PRICING_MODEL)->ptr;
		m.len = field_of(a, c, AZ_PRICING_MODEL)->len;
	}
	if (m.len == 0 || pb_text_is(m.ptr, m.len, "OnDemand") || pb_text_is(m.ptr, m.len, "On Demand")) {
		u->charge_type = t;
		return 0;
	}
	if (t.len + 1 + m.len >= sizeof(a->charge_type)) {
		pb_buf_reset(err);
		pb_buf_addf(
			err,
			"columns '%s' and '%s' are %zu bytes together (with the '/' between them), more than the %zu "
			"a charge type may have",
			a->name[AZ_TYPE], a->name[AZ_PRICING_MODEL], t.len + 1 + m.len, sizeof(a->charge_type) - 1);
		*field = (size_t)a->alt[AZ_PRICING_MODEL][0];
		return -1;
	}
	memcpy(a->charge_type, t.ptr, t.len);
	a->charge_type[t.len] = '/';
	memcpy(a->charge_type + t.len + 1, m.ptr, m.len);
	u->charge_type.ptr = a->charge_type;
	u->charge_type.len = t.len + 1 + m.len;
	return 0;
}

int pb_azure_cost_row(struct pb_azure_cost *a, struct pb_format_stats *st, const struct pb_csv *c, struct pb_usage *u,
		      struct pb_buf *err, size_t *field)
{
	const struct pb_csv_field *f;
	const char *cat;
	int acct = a->csp ? AZ_TENANT : AZ_SUBSCRIPTION;

	if (date_of(a, c, AZ_DATE, a->last_date, sizeof(a->last_date), &a->last_date_len, &a->last_date_day,
		    &u->usage_date, err, field) < 0)
		return -1;
	if (billing_month(a, c, u, err, field) < 0)
		return -1;

	u->account = pb_first_text(c, a->alt[acct]);
	if (u->account.len == 0)
		return field_error(a, c, acct, "", err, field);
	if (!pb_valid_guid(u->account.ptr, u->account.len))
		return field_error(a, c, acct, "id", err, field);
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
	u->category = pb_stats_category(st, cat, f->ptr, f->len);
	if (charge_type(a, c, u, err, field) < 0)
		return -1;

	u->currency = pb_first_text(c, a->alt[AZ_CURRENCY]);
	if (!pb_valid_currency(u->currency.ptr, u->currency.len))
		return field_error(a, c, AZ_CURRENCY, "currency code", err, field);

	/* What the partner charges is on every line: a line without it would be billed at nothing. */
	if (field_of(a, c, AZ_BILLED)->len == 0)
		return field_error(a, c, AZ_BILLED, "", err, field);
	if (money_of(a, st, c, AZ_BILLED, &u->billed_cost, err, field) < 0)
		return -1;
	u->has_billed = 1;
	if (list_cost(a, st, c, u, err, field) < 0)
		return -1;
	u->service = pb_first_text(c, a->alt[AZ_SERVICE]);
	u->region = pb_first_text(c, a->alt[AZ_REGION]);
	if (a->csp) {
		u->name = pb_first_text(c, a->alt[AZ_CUSTOMER_NAME]);
		u->name_kind = PB_NAME_CUSTOMER;
	} else {
		u->name = pb_first_text(c, a->alt[AZ_SUB_NAME]);
		u->name_kind = PB_NAME_SUBSCRIPTION;
	}
	u->tags = pb_first_text(c, a->alt[AZ_TAGS]);
	st->lines++;
	return 0;
}
