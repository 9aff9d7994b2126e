/*
 * Unit tests of ingest/listprice.c: lookups in a price table loaded from rows: meters whose slots look alike, the meter
 * kept from the last line, a usage date on either side of an effective start, rows in any order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "hash.h"
#include "listprice.h"
#include "money.h"

#include "banned.h"

/*
 * Two meter ids whose hashes share the upper half (what a slot keeps) and the low byte (the home slot in a
 * table of 256): found by search, so that only their names tell them apart.
 */
#define MA "11111111-aaaa-4bbb-8ccc-000000004581"
#define MB "11111111-aaaa-4bbb-8ccc-0000003e2381"
/* Two names alike in their first 44 bytes (what a meter holds of its name), not after. */
#define LONG1 "11111111-aaaa-4bbb-8ccc-000000000001/long-name-part-1"
#define LONG2 "11111111-aaaa-4bbb-8ccc-000000000001/long-name-part-2"

/* The rows in the COPY's form: meter, region, unit, tier, start, end, price, currency, load, usage type, op. */
static const char *const rows[] = {
	MA "\tUS East\t1 Hour\t0\t2026-10-01\t\t0.5\tUSD\t1\t\t\n",
	MA "\tUS East\t1 Hour\t0\t2026-10-15\t\t0.7\tUSD\t1\t\t\n",
	MB "\tUS East\t1 Hour\t0\t2026-10-01\t\t2\tUSD\t1\t\t\n",
	LONG1 "\tUS East\t1 Hour\t0\t2026-10-01\t\t3\tUSD\t1\t\t\n",
	LONG2 "\tUS East\t1 Hour\t0\t2026-10-01\t\t5\tUSD\t1\t\t\n",
};

/* An Azure table of September and October loaded from text, rows in the COPY's form. */
static struct pb_listprice *loaded(const char *text)
{
	struct pb_listprice *p =
		pb_listprice_new(NULL, "azure", pb_date_from_ymd(2026, 9, 1), pb_date_from_ymd(2026, 10, 31));

	assert_non_null(p);
	assert_int_equal(pb_listprice_load_rows(p, text, strlen(text)), 0);
	return p;
}

static struct pb_listprice *table(const int *order)
{
	char text[1024] = "";
	size_t i, len = 0;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = strlen(rows[order[i]]);

		assert_true(len + n < sizeof(text));
		memcpy(text + len, rows[order[i]], n);
		len += n;
	}
	return loaded(text);
}

/* The list cost p gives quantity of unit of meter on October day, as text; "none" when not priced. */
static const char *price_of(struct pb_listprice *p, const char *meter, int day, const char *unit, const char *quantity)
{
	static char out[64];
	struct pb_usage u;
	struct pb_buf err = PB_BUF_INIT;
	int rc;

	memset(&u, 0, sizeof(u));
	u.usage_date = pb_date_from_ymd(2026, 10, day);
	u.currency = (struct pb_text){"USD", 3};
	u.account = (struct pb_text){"acct", 4};
	u.ref.wants = 1;
	u.ref.meter = (struct pb_text){meter, strlen(meter)};
	u.ref.unit = (struct pb_text){unit, strlen(unit)};
	u.ref.region = (struct pb_text){"US East", 7};
	assert_int_equal(pb_decimal_parse(quantity, strlen(quantity), &u.ref.quantity, NULL), 0);
	u.ref.has_quantity = 1;
	rc = pb_listprice_fill(p, &u, &err);
	pb_buf_release(&err);
	assert_true(rc >= 0);
	if (rc == 0)
		return "none";
	assert_int_equal(u.has_list, 1);
	assert_int_equal(u.price_load, 1);
	pb_money_format(u.list_cost, 2, out);
	return out;
}

/* The list cost p gives 2 of unit of meter on October day. */
static const char *price_in(struct pb_listprice *p, const char *meter, int day, const char *unit)
{
	return price_of(p, meter, day, unit, "2");
}

static const char *price(struct pb_listprice *p, const char *meter, int day)
{
	return price_in(p, meter, day, "1 Hour");
}

static void test_meters_alike(void **state)
{
	static const int order[] = {0, 1, 2, 3, 4};
	uint64_t a = pb_hash_bytes(MA, strlen(MA)), b = pb_hash_bytes(MB, strlen(MB));
	struct pb_listprice *p;

	(void)state;
	/* The premise: the slots of MA and MB differ only in the meter they point to. */
	assert_true(a >> 32 == b >> 32 && (a & 0xFF) == (b & 0xFF));
	p = table(order);
	/* Each line after one of the other meter: the meter kept from the last line must not be taken. */
	assert_string_equal(price(p, MA, 20), "1.40");
	assert_string_equal(price(p, MB, 20), "4.00");
	assert_string_equal(price(p, MA, 20), "1.40");
	assert_string_equal(price(p, MB, 20), "4.00");
	assert_string_equal(price(p, LONG1, 20), "6.00");
	assert_string_equal(price(p, LONG2, 20), "10.00");
	assert_string_equal(price(p, LONG1, 20), "6.00");
	/* Not in the table, with MA's head; and MA in capitals, as exports write meter ids. */
	assert_string_equal(price(p, "11111111-aaaa-4bbb-8ccc-000000004582", 20), "none");
	assert_string_equal(price(p, "11111111-AAAA-4BBB-8CCC-000000004581", 20), "1.40");
	assert_int_equal(pb_listprice_missed(p, PB_MISS_METER), 1);
	assert_int_equal(pb_listprice_priced(p), 8);
	pb_listprice_free(p);
}

/* A meter id of 64 bytes or more: in capitals, as exports write meter ids, it was looked up as written. */
#define LONG3 "11111111-aaaa-4bbb-8ccc-000000000001/a-meter-name-longer-than-sixty-four-bytes"
#define LONG3_CAPS "11111111-AAAA-4BBB-8CCC-000000000001/A-METER-NAME-LONGER-THAN-SIXTY-FOUR-BYTES"

static void test_long_meter_in_capitals(void **state)
{
	static const char text[] = LONG3 "\tUS East\t1 Hour\t0\t2026-10-01\t\t3\tUSD\t1\t\t\n";
	struct pb_listprice *p = loaded(text);

	(void)state;
	assert_string_equal(price(p, LONG3_CAPS, 20), "6.00");
	assert_string_equal(price(p, LONG3, 20), "6.00");
	assert_int_equal(pb_listprice_missed(p, PB_MISS_METER), 0);
	pb_listprice_free(p);
}

static void test_effective_start(void **state)
{
	static const int order[] = {0, 1, 2, 3, 4};
	struct pb_listprice *p = table(order);

	(void)state;
	/* The same meter line after line, its usage date either side of October 15th, when 0.7 replaces 0.5. */
	assert_string_equal(price(p, MA, 14), "1.00");
	assert_string_equal(price(p, MA, 15), "1.40");
	assert_string_equal(price(p, MA, 14), "1.00");
	assert_string_equal(price(p, MA, 31), "1.40");
	assert_string_equal(price(p, MA, 1), "1.00");
	pb_listprice_free(p);
}

static void test_units_in_a_row(void **state)
{
	static const int order[] = {0, 1, 2, 3, 4};
	struct pb_listprice *p = table(order);

	(void)state;
	/* The unit read for the last line must not be taken for the next one's. */
	assert_string_equal(price_in(p, MA, 20, "1 Hour"), "1.40");
	assert_string_equal(price_in(p, MA, 20, "100 Hours"), "140.00");
	assert_string_equal(price_in(p, MA, 20, "1 Hour"), "1.40");
	assert_string_equal(price_in(p, MA, 20, "1 GB"), "none");
	assert_string_equal(price_in(p, MA, 20, "10 Hours"), "14.00");
	assert_int_equal(pb_listprice_missed(p, PB_MISS_UNIT), 1);
	pb_listprice_free(p);
}

/*
 * A line that gives no unit of measure: its quantity is taken in the price's unit only when that is one of its base
 * ("1 Hour", "Hrs"); of a meter priced per "100 Hours" it could be hours or hundreds of them (a list cost 100 times
 * too high), so it gets no price, for its own reason.
 */
static void test_line_without_unit(void **state)
{
	static const char text[] = MA "\tUS East\t1 Hour\t0\t2026-10-01\t\t0.5\tUSD\t1\t\t\n" MB
				      "\tUS East\t100 Hours\t0\t2026-10-01\t\t20\tUSD\t1\t\t\n" LONG1
				      "\tUS East\t10K\t0\t2026-10-01\t\t3\tUSD\t1\t\t\n";
	struct pb_listprice *p = loaded(text);

	(void)state;
	assert_string_equal(price_in(p, MA, 20, ""), "1.00");
	assert_string_equal(price_in(p, MB, 20, ""), "none");
	assert_string_equal(price_in(p, LONG1, 20, ""), "none");
	/* With its unit, each is priced as before. */
	assert_string_equal(price_in(p, MB, 20, "1 Hour"), "0.40");
	assert_string_equal(price_in(p, MB, 20, "100 Hours"), "40.00");
	assert_string_equal(price_in(p, LONG1, 20, "10K"), "6.00");
	assert_int_equal(pb_listprice_missed(p, PB_MISS_NO_UNIT), 2);
	assert_int_equal(pb_listprice_missed(p, PB_MISS_UNIT), 0);
	pb_listprice_free(p);
}

/*
 * A meter a load prices per one of its base and per a hundred of it, the same price for each hour (no conflict):
 * a line without a unit is priced per the one, whichever unit sorts first ("100 Hrs" before "Hrs"); it got no
 * price when the hundred came first.
 */
static void test_line_without_unit_one_of_two(void **state)
{
	static const char text[] = MA "\tUS East\tHrs\t0\t2026-10-01\t\t0.5\tUSD\t1\t\t\n" MA
				      "\tUS East\t100 Hrs\t0\t2026-10-01\t\t50\tUSD\t1\t\t\n" MB
				      "\tUS East\t100 Hours\t0\t2026-10-01\t\t20\tUSD\t1\t\t\n" MB
				      "\tUS East\t1 Hour\t0\t2026-10-01\t\t0.2\tUSD\t1\t\t\n" LONG1
				      "\tUS East\t100 Hours\t0\t2026-10-01\t\t20\tUSD\t1\t\t\n" LONG1
				      "\tUS East\t1 GB\t0\t2026-10-01\t\t0.3\tUSD\t1\t\t\n";
	struct pb_listprice *p = loaded(text);

	(void)state;
	assert_string_equal(price_in(p, MA, 20, ""), "1.00");
	assert_string_equal(price_in(p, MB, 20, ""), "0.40");
	assert_string_equal(price_in(p, MA, 20, "100 Hrs"), "100.00");
	assert_int_equal(pb_listprice_missed(p, PB_MISS_NO_UNIT), 0);
	/* One of another base ("1 GB") is no price per one of the hours'. */
	assert_string_equal(price_in(p, LONG1, 20, ""), "none");
	assert_int_equal(pb_listprice_missed(p, PB_MISS_NO_UNIT), 1);
	pb_listprice_free(p);
}

static void test_regions(void **state)
{
	static const char text[] = MA "\tUS East\t1 Hour\t0\t2026-10-01\t\t1\tUSD\t1\t\t\n" MA
				      "\tEU West\t1 Hour\t0\t2026-10-01\t\t2\tUSD\t1\t\t\n" MB
				      "\tUS East\t1 Hour\t0\t2026-10-01\t\t3\tUSD\t1\t\t\n";
	struct pb_listprice *p = loaded(text);
	struct pb_usage u;
	struct pb_buf err = PB_BUF_INIT;
	char out[64];
	static const struct {
		const char *meter, *region, *price;
	} lines[] = {
		{MA, "US East", "2.00"}, {MA, "eu west", "4.00"}, {MB, "EU West", "6.00"}, /* one region: any */
		{MA, "Asia", "none"},	 {MA, "US East", "2.00"}, {MA, "", "none"},	   /* no region: of which? */
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
		memset(&u, 0, sizeof(u));
		u.usage_date = pb_date_from_ymd(2026, 10, 20);
		u.currency = (struct pb_text){"USD", 3};
		u.ref.wants = 1;
		u.ref.meter = (struct pb_text){lines[k].meter, strlen(lines[k].meter)};
		u.ref.unit = (struct pb_text){"1 Hour", 6};
		u.ref.region = (struct pb_text){lines[k].region, strlen(lines[k].region)};
		assert_int_equal(pb_decimal_parse("2", 1, &u.ref.quantity, NULL), 0);
		u.ref.has_quantity = 1;
		if (pb_listprice_fill(p, &u, &err) == 1)
			pb_money_format(u.list_cost, 2, out);
		else
			snprintf(out, sizeof(out), "none");
		assert_string_equal(out, lines[k].price);
	}
	assert_int_equal(pb_listprice_missed(p, PB_MISS_REGION), 1);
	assert_int_equal(pb_listprice_missed(p, PB_MISS_NO_REGION), 1);
	pb_buf_release(&err);
	pb_listprice_free(p);
}

/* An AWS line without a SKU, priced by every SKU of its usage type, operation and region: 0, or the miss. */
static int aws_price(struct pb_listprice *p, const char *usage_type, const char *operation, char *out)
{
	struct pb_usage u;
	struct pb_buf err = PB_BUF_INIT;
	uint64_t missed[PB_NMISS];
	int rc, k;

	for (k = 0; k < PB_NMISS; k++)
		missed[k] = pb_listprice_missed(p, (enum pb_listprice_miss)k);
	memset(&u, 0, sizeof(u));
	u.usage_date = pb_date_from_ymd(2026, 10, 20);
	u.currency = (struct pb_text){"USD", 3};
	u.ref.wants = 1;
	u.ref.usage_type = (struct pb_text){usage_type, strlen(usage_type)};
	u.ref.operation = (struct pb_text){operation, strlen(operation)};
	u.ref.region = (struct pb_text){"us-east-1", 9};
	u.ref.unit = (struct pb_text){"Hrs", 3};
	assert_int_equal(pb_decimal_parse("2", 1, &u.ref.quantity, NULL), 0);
	u.ref.has_quantity = 1;
	rc = pb_listprice_fill(p, &u, &err);
	pb_buf_release(&err);
	if (rc == 1) {
		pb_money_format(u.list_cost, 4, out);
		return 0;
	}
	for (k = 0; k < PB_NMISS; k++)
		if (pb_listprice_missed(p, (enum pb_listprice_miss)k) != missed[k])
			return k;
	return -1;
}

static void test_aws_skus_alike(void **state)
{
	static const char *const aws_rows[] = {
		"SKUA\tus-east-1\tHrs\t0\t2026-10-01\t\t0.01\tUSD\t1\tBoxUsage:t3.micro\tRunInstances\n",
		"SKUB\tus-east-1\tHrs\t0\t2026-10-01\t\t0.01\tUSD\t1\tBoxUsage:t3.micro\tRunInstances\n",
		"SKUC\tus-east-1\tHrs\t0\t2026-10-01\t\t0.02\tUSD\t1\tBoxUsage:t3.large\tRunInstances\n",
		"SKUD\tus-east-1\tHrs\t0\t2026-10-01\t\t0.03\tUSD\t1\tBoxUsage:t3.large\tRunInstances\n",
		/* Neither prices the line: SKUE is per GB, SKUF's price starts after its day. */
		"SKUE\tus-east-1\tGB\t0\t2026-10-01\t\t0.05\tUSD\t1\tDataTransfer\tOut\n",
		"SKUF\tus-east-1\tHrs\t0\t2026-10-25\t\t0.05\tUSD\t1\tDataTransfer\tOut\n",
	};
	static const int orders[][6] = {{0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}, {1, 5, 2, 0, 4, 3}};
	size_t k, i;

	(void)state;
	for (k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
		struct pb_listprice *p =
			pb_listprice_new(NULL, "aws", pb_date_from_ymd(2026, 10, 1), pb_date_from_ymd(2026, 10, 31));
		char text[1024] = "", out[64];
		size_t len = 0;

		assert_non_null(p);
		for (i = 0; i < 6; i++) {
			size_t n = strlen(aws_rows[orders[k][i]]);

			memcpy(text + len, aws_rows[orders[k][i]], n);
			len += n;
		}
		assert_int_equal(pb_listprice_load_rows(p, text, len), 0);
		assert_int_equal(aws_price(p, "BoxUsage:t3.micro", "RunInstances", out), 0);
		assert_string_equal(out, "0.0200");
		assert_int_equal(aws_price(p, "BoxUsage:t3.large", "RunInstances", out), PB_MISS_AMBIGUOUS);
		assert_int_equal(aws_price(p, "BoxUsage:t3.nano", "RunInstances", out), PB_MISS_METER);
		/*
		 * The SKUs are tried from the greatest name to the least, as when the rows came sorted by it, and
		 * the reason given is the last one's (SKUE's unit), whatever the order the rows came in.
		 */
		assert_int_equal(aws_price(p, "DataTransfer", "Out", out), PB_MISS_UNIT);
		pb_listprice_free(p);
	}
}

static void test_row_order(void **state)
{
	static const int orders[][5] = {{4, 3, 1, 2, 0}, {1, 0, 4, 2, 3}, {2, 4, 0, 3, 1}};
	size_t k;

	(void)state;
	/* The database sends the rows in no order: the prices are the same whatever it is. */
	for (k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
		struct pb_listprice *p = table(orders[k]);

		assert_string_equal(price(p, MA, 14), "1.00");
		assert_string_equal(price(p, MA, 15), "1.40");
		assert_string_equal(price(p, MB, 15), "4.00");
		assert_string_equal(price(p, LONG2, 1), "10.00");
		assert_string_equal(price(p, LONG1, 1), "6.00");
		pb_listprice_free(p);
	}
}

/*
 * AWS price lists none of whose prices is in force in the run's days (the database sends no row): a line
 * without a SKU, looked up by its usage type and operation, is not priced (it read the empty table of texts at
 * a random place: a crash).
 */
static void test_aws_no_price_in_force(void **state)
{
	struct pb_listprice *p =
		pb_listprice_new(NULL, "aws", pb_date_from_ymd(2026, 10, 1), pb_date_from_ymd(2026, 10, 31));
	char out[64];

	(void)state;
	assert_non_null(p);
	assert_int_equal(pb_listprice_load_rows(p, "", 0), 0);
	assert_int_equal(aws_price(p, "BoxUsage:t3.micro", "RunInstances", out), PB_MISS_METER);
	assert_int_equal(pb_listprice_missed(p, PB_MISS_METER), 1);
	pb_listprice_free(p);
}

/*
 * One SKU whose rows give two usage types (a list the database holds, however odd): the usage type a line without
 * a SKU finds it by must not depend on the order the database sent the rows in.
 */
static void test_aws_sku_two_usage_types(void **state)
{
	static const char *const two[] = {
		"SKUA\tus-east-1\tHrs\t0\t2026-10-01\t\t0.01\tUSD\t1\tBoxUsage:t3.micro\tRunInstances\n",
		"SKUA\tus-east-1\tHrs\t0\t2026-10-01\t\t0.01\tUSD\t1\tBoxUsage:t3.nano\tRunInstances\n",
	};
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		struct pb_listprice *p =
			pb_listprice_new(NULL, "aws", pb_date_from_ymd(2026, 10, 1), pb_date_from_ymd(2026, 10, 31));
		char text[256], out[64];

		assert_non_null(p);
		snprintf(text, sizeof(text), "%s%s", two[k], two[1 - k]);
		assert_int_equal(pb_listprice_load_rows(p, text, strlen(text)), 0);
		assert_int_equal(aws_price(p, "BoxUsage:t3.micro", "RunInstances", out), 0);
		assert_string_equal(out, "0.0200");
		assert_int_equal(aws_price(p, "BoxUsage:t3.nano", "RunInstances", out), PB_MISS_METER);
		pb_listprice_free(p);
	}
}

/*
 * Two rows of one meter, load, start, tier, unit and currency, in regions that compare alike ("US East",
 * "useast"), whose prices differ past the 18th decimal place only (PostgreSQL's numeric keeps them): which one
 * prices the line must not depend on the order the database sent them in.
 */
static void test_prices_alike_to_18_places(void **state)
{
	static const char *const two[] = {
		MA "\tUS East\t1 Hour\t0\t2026-10-01\t\t0.1000000000000000004\tUSD\t1\t\t\n",
		MA "\tuseast\t1 Hour\t0\t2026-10-01\t\t0.1000000000000000001\tUSD\t1\t\t\n",
	};
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		struct pb_listprice *p;
		char text[256];

		snprintf(text, sizeof(text), "%s%s", two[k], two[1 - k]);
		p = loaded(text);
		assert_string_equal(price_of(p, MA, 20, "1 Hour", "1000000000000000000"), "100000000000000000.10");
		pb_listprice_free(p);
	}
}

/*
 * Tiers that do not start at 0: no price is known for the quantity below the lowest, so a line that reaches
 * there gets none (it was priced at the lowest tier's price, from 0); the quantity still counts towards the
 * tiers, so the lines after it are priced where they fall.
 */
static void test_tiers_above_zero(void **state)
{
	static const char text[] = MA "\tUS East\t1 GB\t5\t2026-10-01\t\t0.5\tUSD\t1\t\t\n" MA
				      "\tUS East\t1 GB\t10\t2026-10-01\t\t0.4\tUSD\t1\t\t\n" MB
				      "\tUS East\t1 GB\t3\t2026-10-01\t\t2\tUSD\t1\t\t\n";
	struct pb_listprice *p = loaded(text);

	(void)state;
	/* 2 GB, 0 to 2, then 2 to 4: below 5. Then 4 to 6: 1 GB below 5. Then 6 to 8 at 0.5, 8 to 10 at 0.5. */
	assert_string_equal(price_in(p, MA, 20, "1 GB"), "none");
	assert_string_equal(price_in(p, MA, 20, "1 GB"), "none");
	assert_string_equal(price_in(p, MA, 20, "1 GB"), "none");
	assert_string_equal(price_in(p, MA, 20, "1 GB"), "1.00");
	assert_string_equal(price_in(p, MA, 21, "1 GB"), "1.00");
	/* 10 to 12 at 0.4. */
	assert_string_equal(price_in(p, MA, 22, "1 GB"), "0.80");
	/* One tier from 3: 0 to 2 none, 2 to 4 none, 4 to 6 at 2. */
	assert_string_equal(price_in(p, MB, 20, "1 GB"), "none");
	assert_string_equal(price_in(p, MB, 20, "1 GB"), "none");
	assert_string_equal(price_in(p, MB, 20, "1 GB"), "4.00");
	assert_int_equal(pb_listprice_missed(p, PB_MISS_TIER), 5);
	pb_listprice_free(p);
}

/*
 * A meter priced flat on some days and in tiers on others (a tier added from October 16th): the quantity of
 * the flat days counts towards the tiers too. It did not, so the tiers started over on the 16th.
 */
static void test_flat_then_tiers(void **state)
{
	static const char text[] = MA "\tUS East\t1 GB\t0\t2026-10-01\t\t1\tUSD\t1\t\t\n" MA
				      "\tUS East\t1 GB\t5\t2026-10-16\t\t0.5\tUSD\t1\t\t\n";
	struct pb_listprice *p = loaded(text);

	(void)state;
	/* 2 GB on the 10th and the 12th at 1 (0 to 4); the 20th: 4 to 5 at 1, 5 to 6 at 0.5. */
	assert_string_equal(price_in(p, MA, 10, "1 GB"), "2.00");
	assert_string_equal(price_in(p, MA, 12, "1 GB"), "2.00");
	assert_string_equal(price_in(p, MA, 20, "1 GB"), "1.50");
	assert_string_equal(price_in(p, MA, 21, "1 GB"), "1.00");
	pb_listprice_free(p);
}

/* More tiers than a lookup holds: no price (the tiers past the 32nd were left out, priced at the 32nd's). */
static void test_many_tiers(void **state)
{
	char text[33 * 96];
	size_t len = 0, k;
	struct pb_listprice *p =
		pb_listprice_new(NULL, "azure", pb_date_from_ymd(2026, 9, 1), pb_date_from_ymd(2026, 10, 31));

	(void)state;
	assert_non_null(p);
	/* Tiers from 0 to 31 at 1, from 32 at 0.01; in reverse order, as a list may give them. */
	for (k = 33; k-- > 0;)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s\tUS East\t1 GB\t%zu\t2026-10-01\t\t%s\tUSD\t1\t\t\n", MA, k,
					k == 32 ? "0.01" : "1");
	assert_int_equal(pb_listprice_load_rows(p, text, len), 0);
	assert_string_equal(price_of(p, MA, 20, "1 GB", "40"), "none");
	assert_int_equal(pb_listprice_missed(p, PB_MISS_TIERS), 1);
	pb_listprice_free(p);
}

/* A EUR line of a USD price, with the line's rate from USD to EUR: rate x price x quantity; "none", or the miss. */
static const char *eur_price(struct pb_listprice *p, const char *rate)
{
	static char out[64];
	struct pb_usage u;
	struct pb_buf err = PB_BUF_INIT;
	int rc;

	memset(&u, 0, sizeof(u));
	u.usage_date = pb_date_from_ymd(2026, 10, 20);
	u.currency = (struct pb_text){"EUR", 3};
	u.account = (struct pb_text){"acct", 4};
	u.ref.wants = 1;
	u.ref.meter = (struct pb_text){MA, strlen(MA)};
	u.ref.unit = (struct pb_text){"1 Hour", 6};
	u.ref.pricing_currency = (struct pb_text){"USD", 3};
	assert_int_equal(pb_decimal_parse("2", 1, &u.ref.quantity, NULL), 0);
	u.ref.has_quantity = 1;
	assert_int_equal(pb_decimal_parse(rate, strlen(rate), &u.ref.rate, NULL), 0);
	u.ref.has_rate = 1;
	rc = pb_listprice_fill(p, &u, &err);
	pb_buf_release(&err);
	assert_true(rc >= 0);
	if (rc == 0)
		return "none";
	pb_money_format(u.list_cost, 2, out);
	return out;
}

/* An exchange rate of 0 (or below) is no rate: it made a list cost of 0, or one of the wrong sign. */
static void test_rate_not_above_zero(void **state)
{
	static const int order[] = {0, 1, 2, 3, 4};
	struct pb_listprice *p = table(order);

	(void)state;
	assert_string_equal(eur_price(p, "0.9"), "1.26");
	assert_string_equal(eur_price(p, "0"), "none");
	assert_string_equal(eur_price(p, "-0.9"), "none");
	assert_int_equal(pb_listprice_missed(p, PB_MISS_CURRENCY), 2);
	pb_listprice_free(p);
}

/*
 * A correction read before the usage it corrects takes the account's quantity below 0: the first tier (from
 * 0) prices it there too. It was priced 0 (the part below 0 was left out), so the credit and the usage after
 * it both lost their list cost for that part.
 */
static void test_credit_first(void **state)
{
	static const char text[] = MA "\tUS East\t1 GB\t0\t2026-10-01\t\t1\tUSD\t1\t\t\n" MA
				      "\tUS East\t1 GB\t5\t2026-10-01\t\t0.5\tUSD\t1\t\t\n";
	struct pb_listprice *p = loaded(text);

	(void)state;
	/* -3 to 0 at 1; then -3 to 2 at 1; then 2 to 5 at 1 and 5 to 7 at 0.5. */
	assert_string_equal(price_of(p, MA, 10, "1 GB", "-3"), "-3.00");
	assert_string_equal(price_of(p, MA, 11, "1 GB", "5"), "5.00");
	assert_string_equal(price_of(p, MA, 12, "1 GB", "5"), "4.00");
	pb_listprice_free(p);
}

/*
 * A line whose MeterRegion and ResourceLocation name two regions the meter is priced in: the meter's own
 * region decides. The first region in the table's order did (eastus's 1 for a West US meter).
 */
static void test_meter_region_first(void **state)
{
	static const char text[] = MA "\teastus\t1 Hour\t0\t2026-10-01\t\t1\tUSD\t1\t\t\n" MA
				      "\twestus\t1 Hour\t0\t2026-10-01\t\t2\tUSD\t1\t\t\n";
	static const struct {
		const char *region, *location, *price;
	} lines[] = {
		{"West US", "eastus", "4.00"},
		{"US East", "eastus", "2.00"}, /* no price in "useast": the resource's location */
		{"East US", "westus", "2.00"},
	};
	struct pb_listprice *p = loaded(text);
	struct pb_buf err = PB_BUF_INIT;
	struct pb_usage u;
	char out[64];
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
		memset(&u, 0, sizeof(u));
		u.usage_date = pb_date_from_ymd(2026, 10, 20);
		u.currency = (struct pb_text){"USD", 3};
		u.ref.wants = 1;
		u.ref.meter = (struct pb_text){MA, strlen(MA)};
		u.ref.unit = (struct pb_text){"1 Hour", 6};
		u.ref.region = (struct pb_text){lines[k].region, strlen(lines[k].region)};
		u.ref.region2 = (struct pb_text){lines[k].location, strlen(lines[k].location)};
		assert_int_equal(pb_decimal_parse("2", 1, &u.ref.quantity, NULL), 0);
		u.ref.has_quantity = 1;
		if (pb_listprice_fill(p, &u, &err) == 1)
			pb_money_format(u.list_cost, 2, out);
		else
			snprintf(out, sizeof(out), "none");
		assert_string_equal(out, lines[k].price);
	}
	pb_buf_release(&err);
	pb_listprice_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meters_alike),
		cmocka_unit_test(test_long_meter_in_capitals),
		cmocka_unit_test(test_effective_start),
		cmocka_unit_test(test_row_order),
		cmocka_unit_test(test_prices_alike_to_18_places),
		cmocka_unit_test(test_units_in_a_row),
		cmocka_unit_test(test_line_without_unit),
		cmocka_unit_test(test_line_without_unit_one_of_two),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_aws_skus_alike),
		cmocka_unit_test(test_aws_no_price_in_force),
		cmocka_unit_test(test_aws_sku_two_usage_types),
		cmocka_unit_test(test_tiers_above_zero),
		cmocka_unit_test(test_flat_then_tiers),
		cmocka_unit_test(test_many_tiers),
		cmocka_unit_test(test_rate_not_above_zero),
		cmocka_unit_test(test_credit_first),
		cmocka_unit_test(test_meter_region_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
