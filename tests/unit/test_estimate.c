/* Unit tests of aggregate/estimate.c: the contract of pb_estimate_compute, exact where it promises exactness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "date.h"
#include "estimate.h"
#include "money.h"

#include "banned.h"

/* Amounts in cents, and from text. */
static pb_money cents(long long c)
{
	pb_money m = {(__int128)c * 10000000000000000LL};

	return m;
}

static pb_money money(const char *s)
{
	pb_money m = PB_MONEY_ZERO;

	assert_int_equal(pb_money_parse(s, strlen(s), &m, NULL), PB_MONEY_OK);
	return m;
}

static void assert_money(pb_money got, const char *want)
{
	char buf[PB_MONEY_STRMAX];

	pb_money_format_canonical(got, buf);
	if (pb_money_cmp(got, money(want)) != 0)
		fail_msg("got %s, want %s", buf, want);
}

/* A series of March 2026 with its window from 90 days before, as-of the given day; days hold the usage. */
struct fixture {
	struct pb_estimate_series s;
	pb_money days[PB_ESTIMATE_MAX_DAYS];
	pb_money oneoff[PB_ESTIMATE_MAX_DAYS];
};

static void setup_series(struct fixture *f, int as_of_day)
{
	memset(f, 0, sizeof(*f));
	f->s.month_start = pb_date_from_ymd(2026, 3, 1);
	f->s.as_of = f->s.month_start + as_of_day - 1;
	f->s.first_day = f->s.month_start - PB_ESTIMATE_HISTORY;
	f->s.ndays = (size_t)(f->s.as_of - f->s.first_day + 1);
	f->s.recurring = f->days;
	f->s.minor_unit = 2;
}

/* Every day of the window the same usage; month_to_date to match. */
static void flat(struct fixture *f, long long c)
{
	for (size_t i = 0; i < f->s.ndays; i++)
		f->days[i] = cents(c);
	f->s.month_to_date = cents(c * (f->s.as_of - f->s.month_start + 1));
}

static void assert_ordered(const struct pb_estimate *e)
{
	assert_true(pb_money_cmp(e->low90, e->low80) <= 0);
	assert_true(pb_money_cmp(e->low80, e->estimate) <= 0);
	assert_true(pb_money_cmp(e->estimate, e->high80) <= 0);
	assert_true(pb_money_cmp(e->high80, e->high90) <= 0);
}

static void test_arguments(void **state)
{
	struct fixture f;
	struct pb_estimate e;

	(void)state;
	setup_series(&f, 10);
	flat(&f, 1000);
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);

	f.s.month_start++;
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_ERR_ARG);
	setup_series(&f, 10);
	f.s.as_of = f.s.month_start - 2;
	f.s.ndays = (size_t)(f.s.as_of - f.s.first_day + 1);
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_ERR_ARG);
	setup_series(&f, 10);
	f.s.as_of = pb_date_from_ymd(2026, 4, 1);
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_ERR_ARG);
	setup_series(&f, 10);
	f.s.first_day--;
	f.s.ndays++;
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_ERR_ARG);
	setup_series(&f, 10);
	f.s.first_day = f.s.month_start + 1;
	f.s.ndays = (size_t)(f.s.as_of - f.s.first_day + 1);
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_ERR_ARG);
	setup_series(&f, 10);
	f.s.ndays--;
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_ERR_ARG);
	setup_series(&f, 10);
	f.s.recurring = NULL;
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_ERR_ARG);
	setup_series(&f, 10);
	f.s.minor_unit = 19;
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_ERR_ARG);
	f.s.minor_unit = -1;
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_ERR_ARG);

	/* A shorter window is fine: first_day anywhere from 90 days before the month to its first day. */
	setup_series(&f, 10);
	f.s.first_day = f.s.month_start;
	f.s.ndays = 10;
	flat(&f, 1000);
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_money(e.estimate, "310");
}

static void test_flat_exact(void **state)
{
	struct fixture f;
	struct pb_estimate e;

	(void)state;
	setup_series(&f, 10);
	flat(&f, 1234);
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_money(e.estimate, "382.54");
	assert_string_equal(e.method, "level");
	assert_ordered(&e);

	/* February 2026 has 28 days; a month-to-date with one-offs is carried exactly. */
	memset(&f, 0, sizeof(f));
	f.s.month_start = pb_date_from_ymd(2026, 2, 1);
	f.s.as_of = pb_date_from_ymd(2026, 2, 20);
	f.s.first_day = f.s.month_start - PB_ESTIMATE_HISTORY;
	f.s.ndays = (size_t)(f.s.as_of - f.s.first_day + 1);
	f.s.recurring = f.days;
	f.s.minor_unit = 3;
	for (size_t i = 0; i < f.s.ndays; i++)
		f.days[i] = money("0.125");
	f.s.month_to_date = money("1002.5001");
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_money(e.estimate, "1003.500"); /* 1002.5001 + 8 x 0.125, rounded to 3 places */

	/* Whatever the size of the day: 10^12 + 0.01 a day, 10 of them to date, 21 to come. */
	setup_series(&f, 10);
	for (size_t i = 0; i < f.s.ndays; i++)
		f.days[i] = money("1000000000000.01");
	f.s.month_to_date = money("10000000000000.1");
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_money(e.estimate, "31000000000000.31");
}

static void test_final(void **state)
{
	struct fixture f;
	struct pb_estimate e;

	(void)state;
	setup_series(&f, 10);
	flat(&f, 1000);
	f.s.month_to_date = money("123.455");
	f.s.final = 1;
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_string_equal(e.method, "final");
	assert_money(e.estimate, "123.46"); /* half away from zero */
	assert_money(e.low90, "123.46");
	assert_money(e.high90, "123.46");
	assert_money(e.low80, "123.46");
	assert_money(e.high80, "123.46");

	f.s.month_to_date = money("-123.455");
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_money(e.estimate, "-123.46");

	setup_series(&f, 31);
	flat(&f, 1000);
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_string_equal(e.method, "final");
	assert_money(e.estimate, "310");
	assert_money(e.high90, "310");
}

static void test_no_usage(void **state)
{
	struct fixture f;
	struct pb_estimate e;

	(void)state;
	setup_series(&f, 12);
	f.s.month_to_date = money("-45.5");
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_string_equal(e.method, "no-usage");
	assert_money(e.estimate, "-45.5");
	assert_money(e.low90, "-45.5");
	assert_money(e.high90, "-45.5");

	/* Usage that stopped three weeks ago is not projected. */
	flat(&f, 5000);
	for (size_t i = f.s.ndays - 21; i < f.s.ndays; i++)
		f.days[i] = PB_MONEY_ZERO;
	f.s.month_to_date = PB_MONEY_ZERO;
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_string_equal(e.method, "no-usage");
	assert_money(e.estimate, "0");

	/*
	 * The first usage in a partial last day: left out of the series and of the month to date, to be
	 * projected in full; with nothing to project, the estimate is what was spent all the same.
	 */
	setup_series(&f, 9);
	f.s.month_to_date = PB_MONEY_ZERO;
	f.s.partial = money("250");
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_string_equal(e.method, "no-usage");
	assert_money(e.estimate, "250");
	assert_money(e.low90, "250");
	assert_money(e.high90, "250");
}

/*
 * No day of the month complete yet (its first day is partial): the series ends the day before the month, and
 * the whole month is projected from the history; the partial day's usage is spent, not a level.
 */
static void test_no_complete_day(void **state)
{
	struct fixture f;
	struct pb_estimate e;

	(void)state;
	setup_series(&f, 1);
	f.s.as_of = f.s.month_start - 1;
	f.s.ndays = (size_t)(f.s.as_of - f.s.first_day + 1);
	flat(&f, 1000);
	f.s.month_to_date = PB_MONEY_ZERO;
	f.s.partial = money("3");
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_string_equal(e.method, "level");
	assert_money(e.estimate, "310"); /* 31 days at 10 */
	assert_ordered(&e);

	/* Without history: nothing to project, the estimate is what was spent. */
	memset(f.days, 0, sizeof(f.days));
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_string_equal(e.method, "no-usage");
	assert_money(e.estimate, "3");
	assert_money(e.high90, "3");
}

static void test_short_history(void **state)
{
	struct fixture f;
	struct pb_estimate e;

	(void)state;
	setup_series(&f, 15);
	f.days[f.s.ndays - 1] = cents(2000);
	f.s.month_to_date = cents(2000);
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_string_equal(e.method, "short-history");
	assert_money(e.estimate, "340"); /* 17 days at 20 */
	assert_ordered(&e);
	/* Wide: the 90 % interval spans more than the estimate's half. */
	assert_true(pb_money_cmp(e.high90, money("400")) > 0);
	assert_true(pb_money_cmp(e.low90, money("280")) < 0);
}

static void test_one_offs_not_projected(void **state)
{
	struct fixture f;
	struct pb_estimate plain, with;
	pb_money diff;

	(void)state;
	setup_series(&f, 8);
	flat(&f, 999);
	assert_int_equal(pb_estimate_compute(&f.s, &plain), PB_ESTIMATE_OK);
	f.oneoff[f.s.ndays - 3] = money("250.01");
	f.oneoff[20] = money("-75");
	f.s.oneoff = f.oneoff;
	assert_int_equal(pb_money_add(f.s.month_to_date, money("250.01"), &f.s.month_to_date), 0);
	assert_int_equal(pb_estimate_compute(&f.s, &with), PB_ESTIMATE_OK);
	assert_int_equal(pb_money_sub(with.estimate, plain.estimate, &diff), 0);
	assert_money(diff, "250.01");
	/* The one-offs seen widen the intervals, never move the estimate. */
	assert_true(pb_money_cmp(with.high90, plain.high90) > 0);
}

/*
 * Links that start or end within the month: their partner accounts' usage is projected for their link's days
 * only, the rest of the series as if they had never been in it.
 */
static void test_parts(void **state)
{
	struct fixture f;
	struct pb_estimate e;
	struct pb_estimate_part part;
	pb_money pdays[PB_ESTIMATE_MAX_DAYS];
	int32_t d;

	(void)state;
	/* 100 a day, 40 of it a partner account whose link ends on the 20th: 60 x 21 + 40 x 10 after the 10th. */
	setup_series(&f, 10);
	flat(&f, 10000);
	memset(pdays, 0, sizeof(pdays));
	for (d = f.s.month_start; d <= f.s.as_of; d++)
		pdays[d - f.s.first_day] = cents(4000);
	memset(&part, 0, sizeof(part));
	part.from = f.s.month_start - 200;
	part.to = f.s.month_start + 20;
	part.recurring = pdays;
	f.s.parts = &part;
	f.s.nparts = 1;
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_money(e.estimate, "2660");
	assert_ordered(&e);
	/* Its link ended on the 5th: nothing of it after the 10th, and the month so far without it is the level. */
	part.to = f.s.month_start + 5;
	for (d = f.s.month_start + 5; d <= f.s.as_of; d++) {
		pdays[d - f.s.first_day] = PB_MONEY_ZERO;
		f.days[d - f.s.first_day] = cents(6000);
	}
	f.s.month_to_date = cents(5 * 10000 + 5 * 6000);
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_money(e.estimate, "2060");

	/* 100 a day, and a partner account linked from the 8th using 50 a day on top: both projected in full. */
	setup_series(&f, 10);
	flat(&f, 10000);
	memset(pdays, 0, sizeof(pdays));
	for (d = f.s.month_start + 7; d <= f.s.as_of; d++) {
		pdays[d - f.s.first_day] = cents(5000);
		f.days[d - f.s.first_day] = cents(15000);
	}
	f.s.month_to_date = cents(7 * 10000 + 3 * 15000);
	part.from = f.s.month_start + 7;
	part.to = INT32_MAX;
	f.s.parts = &part;
	f.s.nparts = 1;
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_money(e.estimate, "4300");

	/* Nothing but that partner account: its days projected (method links), its partial day counted once. */
	for (size_t i = 0; i < f.s.ndays; i++)
		f.days[i] = pdays[i];
	f.s.month_to_date = cents(3 * 5000);
	part.partial = cents(2000);
	f.s.partial = cents(2000);
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	assert_money(e.estimate, "1200");
	assert_string_equal(e.method, "links");
	assert_ordered(&e);
	assert_true(pb_money_cmp(e.low90, e.high90) < 0);
}

static void test_out_of_range(void **state)
{
	struct fixture f;
	struct pb_estimate e;

	(void)state;
	setup_series(&f, 2);
	for (size_t i = 0; i < f.s.ndays; i++)
		f.days[i] = money("9000000000000000000");
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_ERR_RANGE);

	/* Large, but inside the range of amounts (10^20): estimated, not refused. */
	setup_series(&f, 10);
	for (size_t i = 0; i < f.s.ndays; i++)
		f.days[i] = money("500000000000000000");
	f.s.month_to_date = money("5000000000000000000");
	assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
	/* 5 x 10^18 + 21 x 5 x 10^17: a constant day's projection is exact */
	assert_money(e.estimate, "15500000000000000000");
	assert_ordered(&e);
}

/* Numbers from drand48's generator, in 0..n-1. */
static uint64_t lcg_state = 42;

static uint64_t below(uint64_t n)
{
	lcg_state = (lcg_state * 0x5DEECE66DULL + 0xB) & ((1ULL << 48) - 1);
	return (lcg_state >> 16) % n;
}

/*
 * Series of every shape made up at random (late starts, zeros, spikes, negative days, steps, tiny and huge
 * amounts): the figures come back ordered, rounded to the minor unit, the same twice, no figure above the
 * month-to-date plus the days left at 100 times the largest day (one more for the rounding), and none below
 * the month-to-date when no day is negative.
 */
static void test_random_series(void **state)
{
	struct fixture f;
	struct pb_estimate e, again;
	pb_money rounded;

	(void)state;
	for (int k = 0; k < 300; k++) {
		long long base = 1 + (long long)below(1000000), c, top = 0;
		pb_money most;
		int as_of, start = (int)below(PB_ESTIMATE_MAX_DAYS), step = (int)below(PB_ESTIMATE_MAX_DAYS),
			   negative = 0;

		as_of = 1 + (int)below(31);
		setup_series(&f, as_of);
		f.s.minor_unit = (int)below(5);
		f.s.month_to_date = PB_MONEY_ZERO;
		for (size_t i = 0; i < f.s.ndays; i++) {
			c = (int)i < start ? 0 : base * (long long)(80 + below(40)) / 100;
			if ((int)i >= step && k % 3 == 0)
				c *= 3;
			if (below(50) == 0)
				c *= 10;
			if (below(40) == 0)
				c = 0;
			if (k % 7 == 0 && below(30) == 0) {
				c = -c;
				negative = 1;
			}
			f.days[i] = cents(c);
			if (c > top)
				top = c;
			if (f.s.first_day + (int32_t)i >= f.s.month_start)
				assert_int_equal(pb_money_add(f.s.month_to_date, f.days[i], &f.s.month_to_date), 0);
		}
		assert_int_equal(pb_estimate_compute(&f.s, &e), PB_ESTIMATE_OK);
		assert_int_equal(pb_estimate_compute(&f.s, &again), PB_ESTIMATE_OK);
		assert_ordered(&e);
		assert_true(pb_money_cmp(e.estimate, again.estimate) == 0 && pb_money_cmp(e.low90, again.low90) == 0 &&
			    pb_money_cmp(e.high90, again.high90) == 0 && strcmp(e.method, again.method) == 0);
		assert_int_equal(pb_money_round(e.estimate, f.s.minor_unit, &rounded), 0);
		assert_int_equal(pb_money_cmp(rounded, e.estimate), 0);
		assert_int_equal(pb_money_add(f.s.month_to_date, cents((31 - as_of) * 100 * top + 100), &most), 0);
		assert_true(pb_money_cmp(e.high90, most) <= 0);
		if (!negative) {
			assert_int_equal(pb_money_round(f.s.month_to_date, f.s.minor_unit, &rounded), 0);
			assert_true(pb_money_cmp(e.low90, rounded) >= 0);
		}
	}
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_flat_exact),
		cmocka_unit_test(test_final),
		cmocka_unit_test(test_no_usage),
		cmocka_unit_test(test_no_complete_day),
		cmocka_unit_test(test_short_history),
		cmocka_unit_test(test_one_offs_not_projected),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_random_series),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
