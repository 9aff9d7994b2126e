/* Unit tests of common/unit.c: the count and base a line's quantity and a price are per. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "unit.h"

#include "banned.h"

static void expect_unit(const char *text, uint32_t count, const char *base)
{
	char got[64];
	uint32_t n = 0;

	assert_int_equal(pb_unit_parse(text, strlen(text), &n, got, sizeof(got)), 0);
	assert_int_equal(n, count);
	assert_string_equal(got, base);
}

static void test_counts(void **state)
{
	(void)state;
	expect_unit("100 Hours", 100, "hour");
	expect_unit("1 Hour", 1, "hour");
	expect_unit("1/Hour", 1, "hour");
	expect_unit("10K", 10000, "");
	expect_unit("1M", 1000000, "");
	expect_unit("10000", 10000, "");
	expect_unit("Hrs", 1, "hrs");
	/* Units are compared without case: "10k hours" is "10K Hours", not 10 of "k hour". */
	expect_unit("10k hours", 10000, "hour");
	expect_unit("1m", 1000000, "");
	expect_unit("10k/Month", 10000, "month");
}

static void test_bases(void **state)
{
	(void)state;
	expect_unit("1 GB/Month", 1, "gb/month");
	expect_unit("100 GB/Months", 100, "gb/month");
	expect_unit("  1   GiB  Hour ", 1, "gib hour");
	expect_unit("10K Transactions", 10000, "transaction");
	expect_unit("GB-Mo", 1, "gb-mo");
	expect_unit("1 MB", 1, "mb");
	expect_unit("Requests", 1, "request");
	/* Short words keep their 's': "hrs" is not "hr", "gbs" stays. */
	expect_unit("GBs", 1, "gbs");
	/* Two s at the end are not a plural. */
	expect_unit("1 Access", 1, "access");
	/* Blanks around a "/" are dropped: Azure writes "1 GB /Month" as well as "1 GB/Month". */
	expect_unit("1 GB /Month", 1, "gb/month");
	expect_unit("1 GB / Month", 1, "gb/month");
	expect_unit("100  GB  /  Months", 100, "gb/month");
	expect_unit("1 GiB/ Hour", 1, "gib/hour");
	expect_unit("1 / Month", 1, "month");
}

static void test_refusals(void **state)
{
	char base[8];
	uint32_t n;

	(void)state;
	assert_int_equal(pb_unit_parse("0 Hours", 7, &n, base, sizeof(base)), -1);
	assert_int_equal(pb_unit_parse("99999999999 Hours", 17, &n, base, sizeof(base)), -1);
	/* The base does not fit. */
	assert_int_equal(pb_unit_parse("1 Gigabyte Months", 17, &n, base, sizeof(base)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_bases),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
