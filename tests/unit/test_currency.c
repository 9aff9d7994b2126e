/* Unit tests of common/currency.c: ISO 4217 minor units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "currency.h"

#include "banned.h"

static int minor(const char *code)
{
	return pb_currency_minor_unit(code, strlen(code));
}

static void test_minor_units(void **state)
{
	(void)state;
	assert_int_equal(minor("USD"), 2);
	assert_int_equal(minor("EUR"), 2);
	assert_int_equal(minor("GBP"), 2);
	assert_int_equal(minor("AED"), 2);
	assert_int_equal(minor("ZWG"), 2);
	assert_int_equal(minor("JPY"), 0);
	assert_int_equal(minor("KRW"), 0);
	assert_int_equal(minor("BHD"), 3);
	assert_int_equal(minor("KWD"), 3);
	assert_int_equal(minor("TND"), 3);
	assert_int_equal(minor("CLF"), 4);
	/* Every code whose minor unit is not 2 in the 2024 list, at either end of the table. */
	assert_int_equal(minor("BIF"), 0);
	assert_int_equal(minor("ISK"), 0);
	assert_int_equal(minor("VND"), 0);
	assert_int_equal(minor("XPF"), 0);
	assert_int_equal(minor("IQD"), 3);
	assert_int_equal(minor("JOD"), 3);
	assert_int_equal(minor("LYD"), 3);
	assert_int_equal(minor("OMR"), 3);
	assert_int_equal(minor("UYW"), 4);
}

static void test_not_currencies(void **state)
{
	(void)state;
	assert_int_equal(minor("XAU"), -1); /* gold: no minor unit */
	assert_int_equal(minor("ZZZ"), -1);
	assert_int_equal(minor("usd"), -1);
	assert_int_equal(minor("US"), -1);
	assert_int_equal(minor("USDX"), -1);
	assert_int_equal(minor("ABC"), -1);
	assert_int_equal(minor("DEM"), -1); /* withdrawn */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minor_units),
		cmocka_unit_test(test_not_currencies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
