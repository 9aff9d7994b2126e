/* Unit tests of common/country.c: the assigned ISO 3166-1 alpha-2 codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "country.h"

#include "banned.h"

static int valid(const char *code)
{
	return pb_country_valid(code, strlen(code));
}

static void test_assigned(void **state)
{
	(void)state;
	assert_true(valid("US"));
	assert_true(valid("GB"));
	assert_true(valid("AD")); /* the first */
	assert_true(valid("ZW")); /* the last */
	assert_true(valid("SS")); /* South Sudan, 2011 */
	assert_true(valid("BQ"));
	assert_true(valid("AX"));
}

static void test_not_assigned(void **state)
{
	char code[3] = "";
	int a, b, n = 0;

	(void)state;
	assert_false(valid("UK")); /* exceptionally reserved */
	assert_false(valid("EU"));
	assert_false(valid("XK")); /* user-assigned */
	assert_false(valid("ZZ"));
	assert_false(valid("AA"));
	assert_false(valid("YU")); /* withdrawn */
	assert_false(valid("us"));
	assert_false(valid("USA"));
	assert_false(valid("U"));
	assert_false(valid(""));
	for (a = 'A'; a <= 'Z'; a++) {
		for (b = 'A'; b <= 'Z'; b++) {
			code[0] = (char)a;
			code[1] = (char)b;
			n += valid(code);
		}
	}
	assert_int_equal(n, 249);
}

static void test_meant(void **state)
{
	(void)state;
	assert_string_equal(pb_country_meant("UK", 2), "GB");
	assert_string_equal(pb_country_meant("EL", 2), "GR");
	assert_null(pb_country_meant("ZZ", 2));
	assert_null(pb_country_meant("UKX", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assigned),
		cmocka_unit_test(test_not_assigned),
		cmocka_unit_test(test_meant),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
