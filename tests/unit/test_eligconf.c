/* Unit tests of common/eligconf.c: the eligibility config, its countries checked against ISO 3166-1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"
#include "eligconf.h"
#include "exitcode.h"

#include "banned.h"

/* Parses text as the file "e.conf": the return code, and the message in err. */
static int parse(const char *text, struct pb_eligibility *e, struct pb_buf *err)
{
	pb_buf_reset(err);
	return pb_eligibility_parse(e, "e.conf", text, strlen(text), err);
}

static void test_valid(void **state)
{
	struct pb_eligibility e;
	struct pb_buf err = PB_BUF_INIT;

	(void)state;
	assert_int_equal(parse("# allowed\nazure = US GB  # two\naws =\n", &e, &err), 0);
	assert_int_equal(e.ncountries[PB_VENDOR_AZURE], 2);
	assert_string_equal(e.countries[PB_VENDOR_AZURE][1], "GB");
	assert_int_equal(e.ncountries[PB_VENDOR_AWS], 0);
	pb_buf_release(&err);
}

/* Each bad config, and its message exactly. */
static void test_bad(void **state)
{
	static const char *const cases[][2] = {
		{"aws = US ZZ\nazure = US\n", "e.conf:1:10: bad country 'ZZ': not an ISO 3166-1 country code"},
		{"aws = US\nazure =  GB UK\n", "e.conf:2:13: bad country 'UK': not an ISO 3166-1 country code (did you "
					       "mean GB?)"},
		{"aws = XK\nazure = US\n", "e.conf:1:7: bad country 'XK': not an ISO 3166-1 country code"},
		{"aws = us\nazure = US\n",
		 "e.conf:1:7: bad country 'us': a two-letter ISO 3166 code in capitals, such as US"},
		{"aws = USA\nazure = US\n",
		 "e.conf:1:7: bad country 'USA': a two-letter ISO 3166 code in capitals, such as "
		 "US"},
		{"aws = US US\nazure = US\n", "e.conf:1:10: country US is listed twice"},
		{"aws = US\n", "e.conf: no line for vendor azure (write 'azure =' to allow no country)"},
	};
	struct pb_eligibility e;
	struct pb_buf err = PB_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i][0], &e, &err), PB_ERR_DATA);
		assert_string_equal(pb_buf_str(&err), cases[i][1]);
	}
	pb_buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
