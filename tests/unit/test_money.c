/* Unit tests of common/money.c: every accepted and rejected form, the range, overflow and rounding ties. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "money.h"

#include "banned.h"

/* Parses s and returns its canonical text; fails the test if the parse fails. */
static const char *canon(const char *s, int *rounded)
{
	static char buf[PB_MONEY_STRMAX];
	struct pb_money_parse_info info;
	pb_money m;

	assert_int_equal(pb_money_parse(s, strlen(s), &m, &info), PB_MONEY_OK);
	if (rounded)
		*rounded = info.rounded;
	pb_money_format_canonical(m, buf);
	return buf;
}

static void expect_exact(const char *in, const char *want)
{
	int rounded = -1;

	assert_string_equal(canon(in, &rounded), want);
	assert_int_equal(rounded, 0);
}

static void expect_rounded(const char *in, const char *want)
{
	int rounded = -1;

	assert_string_equal(canon(in, &rounded), want);
	assert_int_equal(rounded, 1);
}

static void expect_reject(const char *in, int code, const char *reason)
{
	struct pb_money_parse_info info;
	pb_money m;

	assert_int_equal(pb_money_parse(in, strlen(in), &m, &info), code);
	assert_string_equal(info.reason, reason);
}

static pb_money money(const char *s)
{
	pb_money m;

	assert_int_equal(pb_money_parse(s, strlen(s), &m, NULL), PB_MONEY_OK);
	return m;
}

static void test_accepts_plain_forms(void **state)
{
	(void)state;
	expect_exact("0", "0");
	expect_exact("-0", "0");
	expect_exact("+0", "0");
	expect_exact("-0.000", "0");
	expect_exact("12", "12");
	expect_exact("+12", "12");
	expect_exact("-12", "-12");
	expect_exact("12.5", "12.5");
	expect_exact(".5", "0.5");
	expect_exact("-.5", "-0.5");
	expect_exact("5.", "5");
	expect_exact("007.250", "7.25");
	expect_exact("0.000000000000000001", "0.000000000000000001");
	expect_exact("-0.000000000000000001", "-0.000000000000000001");
	expect_exact("123456789.123456789123456789", "123456789.123456789123456789");
	expect_exact("1.0000000000000000000000", "1");
}

static void test_accepts_exponents(void **state)
{
	(void)state;
	expect_exact("3.06E-7", "0.000000306");
	expect_exact("3.06e-7", "0.000000306");
	expect_exact("1.5e+3", "1500");
	expect_exact("1.5E3", "1500");
	expect_exact("-2E-10", "-0.0000000002");
	expect_exact("1e0", "1");
	expect_exact(".5e1", "5");
	expect_exact("5.e-1", "0.5");
	expect_exact("0e999999999", "0");
	expect_exact("1E-18", "0.000000000000000001");
	expect_exact("1e19", "10000000000000000000");
	expect_exact("0.00000000000000000000001e23", "1");
}

/*
 * An exponent of seven digits that a fraction of as many leading zeros brings back into range (a CSV field may be
 * a mebibyte long): every digit of the exponent counts.
 */
static void test_long_exponent_with_long_fraction(void **state)
{
	static char text[1000100];
	struct pb_decimal d;
	pb_money r;
	size_t n = 2;

	(void)state;
	memcpy(text, "0.", 2);
	memset(text + n, '0', 1000000);
	n += 1000000;
	memcpy(text + n, "25e1000001", 11);
	expect_exact(text, "2.5");
	assert_int_equal(pb_decimal_parse(text, strlen(text), &d, NULL), 0);
	assert_int_equal(pb_decimal_product(&d, 1, 1, &r, NULL), 0);
	assert_int_equal(pb_money_cmp(r, money("2.5")), 0);
	memcpy(text + n, "25e1000000", 11);
	expect_exact(text, "0.25");
	memcpy(text + n, "25e1000021", 11);
	expect_reject(text, PB_MONEY_ERR_RANGE, "out of range");
	memcpy(text + n, "25e-99999999999999999999", 25);
	expect_rounded(text, "0");
	expect_rounded("1e-99999999999999999999999", "0");
	expect_reject("1e99999999999999999999999", PB_MONEY_ERR_RANGE, "out of range");
	assert_int_equal(pb_decimal_parse("1e-99999999999999999999999", 26, &d, NULL), 0);
	assert_int_equal(pb_decimal_product(&d, 1, 1, &r, NULL), 0);
	assert_true(pb_money_is_zero(r));
	assert_int_equal(pb_decimal_parse("1e99999999999999999999999", 25, &d, NULL), 0);
	assert_int_equal(pb_decimal_product(&d, 1, 1, &r, NULL), PB_MONEY_ERR_RANGE);
}

static void test_rejects_bad_text(void **state)
{
	(void)state;
	expect_reject("", PB_MONEY_ERR_SYNTAX, "empty");
	expect_reject(" 1", PB_MONEY_ERR_SYNTAX, "unexpected character ' '");
	expect_reject("1 ", PB_MONEY_ERR_SYNTAX, "unexpected character ' '");
	expect_reject("1,5", PB_MONEY_ERR_SYNTAX, "unexpected character ','");
	expect_reject("NaN", PB_MONEY_ERR_SYNTAX, "unexpected character 'N'");
	expect_reject("nan", PB_MONEY_ERR_SYNTAX, "unexpected character 'n'");
	expect_reject("inf", PB_MONEY_ERR_SYNTAX, "unexpected character 'i'");
	expect_reject("-Infinity", PB_MONEY_ERR_SYNTAX, "unexpected character 'I'");
	expect_reject("0x1", PB_MONEY_ERR_SYNTAX, "unexpected character 'x'");
	expect_reject("--1", PB_MONEY_ERR_SYNTAX, "unexpected character '-'");
	expect_reject("+-1", PB_MONEY_ERR_SYNTAX, "unexpected character '-'");
	expect_reject("1e", PB_MONEY_ERR_SYNTAX, "exponent has no digits");
	expect_reject("1e+", PB_MONEY_ERR_SYNTAX, "exponent has no digits");
	expect_reject("1ex", PB_MONEY_ERR_SYNTAX, "unexpected character 'x'");
	expect_reject(".", PB_MONEY_ERR_SYNTAX, "no digits");
	expect_reject("-", PB_MONEY_ERR_SYNTAX, "no digits");
	expect_reject("+", PB_MONEY_ERR_SYNTAX, "no digits");
	expect_reject("-.e5", PB_MONEY_ERR_SYNTAX, "unexpected character 'e'");
	expect_reject("1.2.3", PB_MONEY_ERR_SYNTAX, "unexpected character '.'");
	expect_reject("$5", PB_MONEY_ERR_SYNTAX, "unexpected character '$'");
	expect_reject("5\t", PB_MONEY_ERR_SYNTAX, "unexpected byte 0x09");
	expect_reject("1e5e5", PB_MONEY_ERR_SYNTAX, "unexpected character 'e'");
}

static void test_error_position(void **state)
{
	struct pb_money_parse_info info;
	pb_money m;

	(void)state;
	assert_int_equal(pb_money_parse("12,5", 4, &m, &info), PB_MONEY_ERR_SYNTAX);
	assert_int_equal(info.errpos, 2);
	/* Length, not NUL, ends the text. */
	assert_int_equal(pb_money_parse("12,5", 2, &m, &info), PB_MONEY_OK);
	assert_true(m.units == (__int128)12 * 1000000000000000000LL);
}

static void test_range_limits(void **state)
{
	(void)state;
	expect_exact("99999999999999999999.999999999999999999", "99999999999999999999.999999999999999999");
	expect_exact("-99999999999999999999.999999999999999999", "-99999999999999999999.999999999999999999");
	expect_exact("9.9999999999999999999999999999999999999e19", "99999999999999999999.999999999999999999");
	expect_reject("100000000000000000000", PB_MONEY_ERR_RANGE, "out of range");
	expect_reject("-100000000000000000000", PB_MONEY_ERR_RANGE, "out of range");
	expect_reject("1e20", PB_MONEY_ERR_RANGE, "out of range");
	expect_reject("1e999999999999", PB_MONEY_ERR_RANGE, "out of range");
	expect_reject("123456789012345678901234567890123456789012345", PB_MONEY_ERR_RANGE, "out of range");
	/* Rounding the last fraction digit up can leave the range. */
	expect_reject("99999999999999999999.9999999999999999995", PB_MONEY_ERR_RANGE, "out of range");
}

static void test_rounds_half_even_beyond_18_places(void **state)
{
	(void)state;
	/* Ties go to the even neighbour, both ways. */
	expect_rounded("0.0000000000000000005", "0");
	expect_rounded("0.0000000000000000015", "0.000000000000000002");
	expect_rounded("0.0000000000000000025", "0.000000000000000002");
	expect_rounded("-0.0000000000000000015", "-0.000000000000000002");
	expect_rounded("-0.0000000000000000025", "-0.000000000000000002");
	/* Not ties. */
	expect_rounded("0.00000000000000000051", "0.000000000000000001");
	expect_rounded("0.0000000000000000024999", "0.000000000000000002");
	expect_rounded("0.00000000000000000250000001", "0.000000000000000003");
	expect_rounded("1.1234567890123456789", "1.123456789012345679");
	expect_rounded("3.06E-19", "0");
	expect_rounded("12345E-22", "0.000000000000000001");
	expect_rounded("5E-19", "0");
	expect_rounded("1.5E-18", "0.000000000000000002");
	expect_rounded("1e-100000", "0");
	/* 38 significant digits kept, the rest decide the rounding. */
	expect_rounded("1.00000000000000000050000000000000000000001", "1.000000000000000001");
	expect_rounded("1.000000000000000000500000000000000000000", "1");
	/* Zeros beyond the 18th place lose nothing. */
	expect_exact("0.1000000000000000000000", "0.1");
}

static void test_add_sub_overflow(void **state)
{
	pb_money max = money("99999999999999999999.999999999999999999");
	pb_money tiny = money("0.000000000000000001");
	pb_money r;
	char buf[PB_MONEY_STRMAX];

	(void)state;
	assert_int_equal(pb_money_add(money("0.1"), money("0.2"), &r), 0);
	pb_money_format_canonical(r, buf);
	assert_string_equal(buf, "0.3");
	assert_int_equal(pb_money_sub(money("0.1"), money("0.3"), &r), 0);
	pb_money_format_canonical(r, buf);
	assert_string_equal(buf, "-0.2");
	r = money("7");
	assert_int_equal(pb_money_add(max, tiny, &r), PB_MONEY_ERR_RANGE);
	pb_money_format_canonical(r, buf);
	assert_string_equal(buf, "7");
	assert_int_equal(pb_money_sub(money("-99999999999999999999.999999999999999999"), tiny, &r), PB_MONEY_ERR_RANGE);
	/* Two maxima: the sum does not fit the 128-bit integer, and must still be refused cleanly. */
	assert_int_equal(pb_money_add(max, max, &r), PB_MONEY_ERR_RANGE);
	assert_int_equal(pb_money_sub(money("-99999999999999999999.999999999999999999"), max, &r), PB_MONEY_ERR_RANGE);
	assert_int_equal(pb_money_sub(max, money("-99999999999999999999.999999999999999999"), &r), PB_MONEY_ERR_RANGE);
	assert_int_equal(pb_money_add(max, money("-0.000000000000000001"), &r), 0);
	pb_money_format_canonical(r, buf);
	assert_string_equal(buf, "99999999999999999999.999999999999999998");
}

static void test_many_small_sums_are_exact(void **state)
{
	pb_money sum = PB_MONEY_ZERO, cent = money("0.01");
	char buf[PB_MONEY_STRMAX];
	int i;

	(void)state;
	for (i = 0; i < 1000000; i++)
		assert_int_equal(pb_money_add(sum, cent, &sum), 0);
	pb_money_format_canonical(sum, buf);
	assert_string_equal(buf, "10000");
}

static void expect_mul(const char *a, const char *b, const char *want, int want_rounded)
{
	pb_money r;
	int rounded = -1;
	char buf[PB_MONEY_STRMAX];

	assert_int_equal(pb_money_mul(money(a), money(b), &r, &rounded), 0);
	pb_money_format_canonical(r, buf);
	assert_string_equal(buf, want);
	assert_int_equal(rounded, want_rounded);
}

static void test_mul(void **state)
{
	pb_money r;

	(void)state;
	expect_mul("0.0116", "744", "8.6304", 0);
	expect_mul("-1.5", "2", "-3", 0);
	expect_mul("-1.5", "-2", "3", 0);
	expect_mul("0", "-2", "0", 0);
	expect_mul("0.000000001", "0.000000001", "0.000000000000000001", 0);
	/* Ties to even, both ways, and a sign. */
	expect_mul("0.000000001", "0.0000000005", "0", 1);
	expect_mul("0.000000001", "0.0000000015", "0.000000000000000002", 1);
	expect_mul("0.000000001", "0.0000000025", "0.000000000000000002", 1);
	expect_mul("-0.000000001", "0.0000000025", "-0.000000000000000002", 1);
	expect_mul("0.000000001", "0.00000000051", "0.000000000000000001", 1);
	expect_mul("12345678901.123456789", "3.5", "43209876153.9320987615", 0);
	expect_mul("99999999999999999999.999999999999999999", "1", "99999999999999999999.999999999999999999", 0);
	assert_int_equal(pb_money_mul(money("10000000000"), money("10000000000"), &r, NULL), PB_MONEY_ERR_RANGE);
	assert_int_equal(pb_money_mul(money("99999999999999999999.999999999999999999"),
				      money("99999999999999999999.999999999999999999"), &r, NULL),
			 PB_MONEY_ERR_RANGE);
	expect_mul("9999999999.9999999999", "9999999999.9999999999", "99999999999999999998", 1);
}

/* The product of three amounts as pb_money holds them (18 places), divided by div. */
static int mul3(const char *a, const char *b, const char *c, uint32_t div, pb_money *out, int *rounded)
{
	struct pb_decimal f[3] = {pb_decimal_from_money(money(a)), pb_decimal_from_money(money(b)),
				  pb_decimal_from_money(money(c))};

	return pb_decimal_product(f, 3, div, out, rounded);
}

static void expect_mul3(const char *a, const char *b, const char *c, uint32_t div, const char *want, int want_rounded)
{
	pb_money r;
	int rounded = -1;
	char buf[PB_MONEY_STRMAX];

	assert_int_equal(mul3(a, b, c, div, &r, &rounded), 0);
	pb_money_format_canonical(r, buf);
	assert_string_equal(buf, want);
	assert_int_equal(rounded, want_rounded);
}

/* Price x quantity x exchange rate / a divisor: one rounding at the end, never one per factor. */
static void test_mul3(void **state)
{
	pb_money r;

	(void)state;
	expect_mul3("0.0116", "744", "1", 1, "8.6304", 0);
	expect_mul3("1.52", "250", "1", 100, "3.8", 0);
	expect_mul3("-1.52", "250", "1", 100, "-3.8", 0);
	expect_mul3("0.912345678901", "3", "1", 1, "2.737037036703", 0);
	/* Factors already at 18 places: the 22-digit price was rounded when it was read. */
	expect_mul3("0.0123456789012345678901", "1234.56789012345678901", "1", 1, "15.241578753238836886", 1);
	expect_mul3("1", "1", "0.000000000000000001", 2, "0", 1);
	expect_mul3("1", "3", "0.000000000000000001", 2, "0.000000000000000002", 1);
	expect_mul3("1", "5", "0.000000000000000001", 2, "0.000000000000000002", 1);
	expect_mul3("1", "5.0001", "0.000000000000000001", 2, "0.000000000000000003", 1);
	expect_mul3("-1", "5", "0.000000000000000001", 2, "-0.000000000000000002", 1);
	/* Rounding per factor would give 0.000000000000000001 x 3 = 0.000000000000000003, not 0.000000000000000002. */
	expect_mul3("0.0000000005", "0.0000000015", "3", 1, "0.000000000000000002", 1);
	expect_mul3("99999999999999999999.999999999999999999", "1", "1", 1, "99999999999999999999.999999999999999999",
		    0);
	expect_mul3("99999999999999999999.999999999999999999", "99999999999999999999.999999999999999999",
		    "0.000000000000000001", 4000000000u, "2500000000000", 1);
	assert_int_equal(mul3("10000000000", "10000000000", "1", 1, &r, NULL), PB_MONEY_ERR_RANGE);
	assert_int_equal(mul3("1", "1", "1", 0, &r, NULL), PB_MONEY_ERR_RANGE);
}

static void expect_product(const char *a, const char *b, const char *c, uint32_t div, const char *want,
			   int want_rounded)
{
	struct pb_decimal f[3];
	pb_money r;
	int rounded = -1;
	char buf[PB_MONEY_STRMAX];

	assert_int_equal(pb_decimal_parse(a, strlen(a), &f[0], NULL), 0);
	assert_int_equal(pb_decimal_parse(b, strlen(b), &f[1], NULL), 0);
	assert_int_equal(pb_decimal_parse(c, strlen(c), &f[2], NULL), 0);
	assert_int_equal(pb_decimal_product(f, 3, div, &r, &rounded), 0);
	pb_money_format_canonical(r, buf);
	assert_string_equal(buf, want);
	assert_int_equal(rounded, want_rounded);
}

/* Factors read from their text with every digit: 22 significant digits below 1 keep all 22. */
static void test_decimal_product(void **state)
{
	struct pb_decimal d;
	struct pb_money_parse_info info;
	pb_money r;

	(void)state;
	expect_product("0.0123456789012345678901", "1234.56789012345678901", "1", 1, "15.24157875323883675", 1);
	expect_product("0.0000000000000000015", "1", "1", 1, "0.000000000000000002", 1);
	expect_product("0.0000000000000000025", "1", "1", 1, "0.000000000000000002", 1);
	expect_product("0.00000000000000000250001", "1", "1", 1, "0.000000000000000003", 1);
	expect_product("-0.0000000000000000025", "1", "1", 1, "-0.000000000000000002", 1);
	expect_product("0.0000000000000000000015", "1", "1", 1, "0", 1);
	expect_product("1E-40", "1", "1", 1, "0", 1);
	expect_product("1.52", "250", "0.912345678901", 100, "3.4669135798238", 0);
	expect_product("3.06E-7", "1E+3", "1", 10, "0.0000306", 0);
	expect_product("0", "1E+300", "1", 1, "0", 0);
	expect_product("1.5", "-2", "-1", 1, "3", 0);
	assert_int_equal(pb_decimal_parse("123456789012345678901234567890123456789", 39, &d, &info),
			 PB_MONEY_ERR_RANGE);
	assert_string_equal(info.reason, "more than 38 significant digits");
	assert_int_equal(pb_decimal_parse("12345678901234567890123456789012345678000", 41, &d, NULL), 0);
	assert_int_equal(pb_decimal_parse("1,5", 3, &d, &info), PB_MONEY_ERR_SYNTAX);
	assert_int_equal(pb_decimal_parse("1E+19", 5, &d, NULL), 0);
	assert_int_equal(pb_decimal_product(&d, 1, 1, &r, NULL), 0);
	assert_int_equal(pb_decimal_parse("1E+20", 5, &d, NULL), 0);
	assert_int_equal(pb_decimal_product(&d, 1, 1, &r, NULL), PB_MONEY_ERR_RANGE);
}

static void expect_round(const char *in, int digits, const char *want)
{
	pb_money r;
	char buf[PB_MONEY_STRMAX];

	assert_int_equal(pb_money_round(money(in), digits, &r), 0);
	assert_true(pb_money_format(r, digits, buf) > 0);
	assert_string_equal(buf, want);
}

static void test_round_half_away_from_zero(void **state)
{
	pb_money r;

	(void)state;
	expect_round("2.345", 2, "2.35");
	expect_round("2.355", 2, "2.36");
	expect_round("-2.345", 2, "-2.35");
	expect_round("2.3449999999", 2, "2.34");
	expect_round("-2.3449999999", 2, "-2.34");
	expect_round("0.005", 2, "0.01");
	expect_round("-0.005", 2, "-0.01");
	expect_round("0.004999999999999999", 2, "0.00");
	expect_round("1.5", 0, "2");
	expect_round("2.5", 0, "3");
	expect_round("-2.5", 0, "-3");
	expect_round("1234.5675", 3, "1234.568");
	expect_round("7", 2, "7.00");
	expect_round("0.000000000000000001", 18, "0.000000000000000001");
	assert_int_equal(pb_money_round(money("99999999999999999999.995"), 2, &r), PB_MONEY_ERR_RANGE);
	assert_int_equal(pb_money_round(money("1"), 19, &r), PB_MONEY_ERR_RANGE);
	assert_int_equal(pb_money_round(money("1"), -1, &r), PB_MONEY_ERR_RANGE);
}

/* The customer's rounding at the minor units of JPY (0), USD (2) and KWD or BHD (3), credits alike, to the range. */
static void test_round_minor_units_and_limits(void **state)
{
	pb_money r;

	(void)state;
	expect_round("-0.5", 0, "-1");
	expect_round("-0.499999999999999999", 0, "0");
	expect_round("0.499999999999999999", 0, "0");
	expect_round("-1.5", 0, "-2");
	expect_round("0.0005", 3, "0.001");
	expect_round("-0.0005", 3, "-0.001");
	expect_round("-0.000499999999999999", 3, "0.000");
	expect_round("2.0025", 3, "2.003");
	expect_round("-2.0025", 3, "-2.003");
	expect_round("-0.0049999999999", 2, "0.00");
	expect_round("-0.000000000000000001", 2, "0.00");
	expect_round("99999999999999999999.4999", 0, "99999999999999999999");
	expect_round("-99999999999999999999.4999", 0, "-99999999999999999999");
	expect_round("-99999999999999999999.999999999999999999", 18, "-99999999999999999999.999999999999999999");
	assert_int_equal(pb_money_round(money("99999999999999999999.5"), 0, &r), PB_MONEY_ERR_RANGE);
	assert_int_equal(pb_money_round(money("-99999999999999999999.5"), 0, &r), PB_MONEY_ERR_RANGE);
	assert_int_equal(pb_money_round(money("-99999999999999999999.9995"), 3, &r), PB_MONEY_ERR_RANGE);
}

/* Products at the ends of the range: never wrapped, the sign as the factors give it. */
static void test_mul_range_ends(void **state)
{
	pb_money max = money("99999999999999999999.999999999999999999"), r;

	(void)state;
	expect_mul("99999999999999999999.999999999999999999", "1", "99999999999999999999.999999999999999999", 0);
	expect_mul("-99999999999999999999.999999999999999999", "-1", "99999999999999999999.999999999999999999", 0);
	expect_mul("99999999999999999999.999999999999999999", "-0.000000000000000001", "-100", 1);
	expect_mul("-2.5", "0.000000000000000001", "-0.000000000000000002", 1);
	expect_mul("-3.5", "0.000000000000000001", "-0.000000000000000004", 1);
	assert_int_equal(pb_money_mul(max, max, &r, NULL), PB_MONEY_ERR_RANGE);
	assert_int_equal(pb_money_mul(max, money("-1.000000000000000001"), &r, NULL), PB_MONEY_ERR_RANGE);
	assert_int_equal(pb_money_mul(money("10000000000"), money("10000000000"), &r, NULL), PB_MONEY_ERR_RANGE);
	assert_int_equal(
		pb_money_sub(money("-99999999999999999999.999999999999999999"), money("0.000000000000000001"), &r),
		PB_MONEY_ERR_RANGE);
}

static void test_format_at_scale(void **state)
{
	char buf[PB_MONEY_STRMAX];

	(void)state;
	assert_int_equal(pb_money_format(money("12.5"), 2, buf), 5);
	assert_string_equal(buf, "12.50");
	assert_int_equal(pb_money_format(money("-0.5"), 1, buf), 4);
	assert_string_equal(buf, "-0.5");
	assert_int_equal(pb_money_format(money("12"), 0, buf), 2);
	assert_string_equal(buf, "12");
	/* Not exact at the scale: the caller must round first. */
	assert_int_equal(pb_money_format(money("12.345"), 2, buf), PB_MONEY_ERR_RANGE);
	assert_int_equal(pb_money_format(money("-99999999999999999999.999999999999999999"), 18, buf), 40);
	assert_string_equal(buf, "-99999999999999999999.999999999999999999");
	assert_true(strlen(buf) < PB_MONEY_STRMAX);
	pb_money_format_canonical(money("0.000000306"), buf);
	assert_string_equal(buf, "0.000000306");
	pb_money_format_canonical(money("-1500"), buf);
	assert_string_equal(buf, "-1500");
}

static void test_compare(void **state)
{
	(void)state;
	assert_true(pb_money_cmp(money("1"), money("2")) < 0);
	assert_true(pb_money_cmp(money("2"), money("1")) > 0);
	assert_int_equal(pb_money_cmp(money("1.0"), money("1")), 0);
	assert_true(pb_money_cmp(money("-1"), money("0.5")) < 0);
	assert_true(pb_money_is_zero(money("-0.0")));
	assert_false(pb_money_is_zero(money("1e-18")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_plain_forms),
		cmocka_unit_test(test_accepts_exponents),
		cmocka_unit_test(test_long_exponent_with_long_fraction),
		cmocka_unit_test(test_rejects_bad_text),
		cmocka_unit_test(test_error_position),
		cmocka_unit_test(test_range_limits),
		cmocka_unit_test(test_rounds_half_even_beyond_18_places),
		cmocka_unit_test(test_add_sub_overflow),
		cmocka_unit_test(test_many_small_sums_are_exact),
		cmocka_unit_test(test_mul),
		cmocka_unit_test(test_mul3),
		cmocka_unit_test(test_decimal_product),
		cmocka_unit_test(test_round_half_away_from_zero),
		cmocka_unit_test(test_round_minor_units_and_limits),
		cmocka_unit_test(test_mul_range_ends),
		cmocka_unit_test(test_format_at_scale),
		cmocka_unit_test(test_compare),
	};

	return cmocka_run_group_tests_name("money", tests, NULL, NULL);
}
