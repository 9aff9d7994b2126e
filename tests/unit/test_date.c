/* Unit tests of common/date.c: day numbers over the whole supported calendar, ISO 8601 parsing, formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "date.h"

#include "banned.h"

/* An independent calendar to walk day by day: the Gregorian rule, written out plainly. */
static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : n[m - 1];
}

static void test_known_values(void **state)
{
	(void)state;
	assert_int_equal(pb_date_from_ymd(1970, 1, 1), 0);
	assert_int_equal(pb_date_from_ymd(1970, 1, 2), 1);
	assert_int_equal(pb_date_from_ymd(1969, 12, 31), -1);
	assert_int_equal(pb_date_from_ymd(2000, 2, 29), 11016);
	assert_int_equal(pb_date_from_ymd(2000, 3, 1), 11017);
	assert_int_equal(pb_date_from_ymd(2024, 2, 29), 19782);
	assert_int_equal(pb_date_from_ymd(2026, 10, 1), 20727);
	assert_int_equal(pb_date_from_ymd(2026, 10, 31), 20757);
	assert_int_equal(pb_date_from_ymd(1900, 3, 1), -25508);
	assert_int_equal(pb_date_from_ymd(1600, 2, 29), -135081);
	assert_int_equal(pb_date_from_ymd(1, 1, 1), -719162);
	assert_int_equal(pb_date_from_ymd(9999, 12, 31), 2932896);
}

static void test_round_trip_every_day(void **state)
{
	int y = 1, m = 1, d = 1, yy, mm, dd;
	int32_t days = pb_date_from_ymd(1, 1, 1), n;
	long count = 0;

	(void)state;
	/* Every day from 0001-01-01 to 9999-12-31: consecutive numbers, both directions agree. */
	for (;;) {
		n = pb_date_from_ymd(y, m, d);
		if (n != days)
			fail_msg("%04d-%02d-%02d is %d, want %d", y, m, d, (int)n, (int)days);
		pb_date_to_ymd(days, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d)
			fail_msg("%d gives %04d-%02d-%02d, want %04d-%02d-%02d", (int)days, yy, mm, dd, y, m, d);
		if (!pb_date_valid(y, m, d))
			fail_msg("%04d-%02d-%02d not valid", y, m, d);
		count++;
		if (y == 9999 && m == 12 && d == 31)
			break;
		days++;
		if (++d > month_days(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	assert_int_equal(count, 2932896 + 719162 + 1);
}

static void test_leap_years(void **state)
{
	(void)state;
	assert_false(pb_date_valid(1900, 2, 29));
	assert_true(pb_date_valid(2000, 2, 29));
	assert_true(pb_date_valid(2024, 2, 29));
	assert_false(pb_date_valid(2026, 2, 29));
	assert_false(pb_date_valid(2100, 2, 29));
	assert_true(pb_date_valid(1600, 2, 29));
	assert_true(pb_date_valid(4, 2, 29));
	/* 1900 has no Feb 29: Feb 28 and Mar 1 are neighbours; in 2000 and 2024 they are two days apart. */
	assert_int_equal(pb_date_from_ymd(1900, 3, 1) - pb_date_from_ymd(1900, 2, 28), 1);
	assert_int_equal(pb_date_from_ymd(2000, 3, 1) - pb_date_from_ymd(2000, 2, 28), 2);
	assert_int_equal(pb_date_from_ymd(2024, 3, 1) - pb_date_from_ymd(2024, 2, 28), 2);
	assert_int_equal(pb_date_from_ymd(2001, 1, 1) - pb_date_from_ymd(2000, 1, 1), 366);
	assert_int_equal(pb_date_from_ymd(1901, 1, 1) - pb_date_from_ymd(1900, 1, 1), 365);
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(pb_date_valid(1, 1, 1));
	assert_true(pb_date_valid(9999, 12, 31));
	assert_true(pb_date_valid(2026, 1, 31));
	assert_true(pb_date_valid(2026, 4, 30));
	assert_false(pb_date_valid(0, 12, 31));
	assert_false(pb_date_valid(10000, 1, 1));
	assert_false(pb_date_valid(-1, 1, 1));
	assert_false(pb_date_valid(2026, 0, 1));
	assert_false(pb_date_valid(2026, 13, 1));
	assert_false(pb_date_valid(2026, 1, 0));
	assert_false(pb_date_valid(2026, 1, 32));
	assert_false(pb_date_valid(2026, 4, 31));
	assert_false(pb_date_valid(2026, 2, 30));
	assert_false(pb_date_valid(2026, 6, -1));
}

static int32_t parse_ok(const char *s)
{
	int32_t days = 123456789;

	if (pb_date_parse_iso(s, strlen(s), &days) != 0)
		fail_msg("'%s' rejected", s);
	return days;
}

static void test_parse_accepted(void **state)
{
	int32_t oct1 = pb_date_from_ymd(2026, 10, 1);

	(void)state;
	assert_int_equal(parse_ok("2026-10-01"), oct1);
	assert_int_equal(parse_ok("1970-01-01"), 0);
	assert_int_equal(parse_ok("0001-01-01"), -719162);
	assert_int_equal(parse_ok("9999-12-31"), 2932896);
	assert_int_equal(parse_ok("2024-02-29"), 19782);
	assert_int_equal(parse_ok("2026-10-01T12:34"), oct1);
	assert_int_equal(parse_ok("2026-10-01 12:34"), oct1);
	assert_int_equal(parse_ok("2026-10-01T12:34:56"), oct1);
	assert_int_equal(parse_ok("2026-10-01T00:00:00"), oct1);
	assert_int_equal(parse_ok("2026-10-01T23:59:59"), oct1);
	assert_int_equal(parse_ok("2026-10-01T12:34:56.1"), oct1);
	assert_int_equal(parse_ok("2026-10-01T23:59:59.999999999"), oct1);
	assert_int_equal(parse_ok("2026-10-01T12:34Z"), oct1);
	assert_int_equal(parse_ok("2026-10-01T12:34:56Z"), oct1);
	assert_int_equal(parse_ok("2026-10-01T12:34:56.789Z"), oct1);
	assert_int_equal(parse_ok("2026-10-01 00:00:00.000Z"), oct1);
	assert_int_equal(parse_ok("2026-10-01T12:34+02:00"), oct1);
	assert_int_equal(parse_ok("2026-10-01T12:34:56-05:00"), oct1);
	assert_int_equal(parse_ok("2026-10-01T12:34:56.5+0530"), oct1);
	assert_int_equal(parse_ok("2026-10-01T12:34+02"), oct1);
	assert_int_equal(parse_ok("2026-10-01T12:34:56-00:00"), oct1);
	assert_int_equal(parse_ok("2026-10-01T12:34:56+00"), oct1);
}

static void test_parse_offsets_move_day(void **state)
{
	(void)state;
	/* East of UTC, early in the day: the UTC day is the one before, across a month and a year. */
	assert_int_equal(parse_ok("2026-10-01T01:00+02:00"), pb_date_from_ymd(2026, 9, 30));
	assert_int_equal(parse_ok("2026-10-01T01:59:59+0200"), pb_date_from_ymd(2026, 9, 30));
	assert_int_equal(parse_ok("2026-10-01T02:00+02"), pb_date_from_ymd(2026, 10, 1));
	assert_int_equal(parse_ok("2026-01-01T00:30+01:00"), pb_date_from_ymd(2025, 12, 31));
	assert_int_equal(parse_ok("2024-03-01T05:00+05:30"), pb_date_from_ymd(2024, 2, 29));
	/* West of UTC, late in the day: the day after. */
	assert_int_equal(parse_ok("2026-12-31T22:00-05:00"), pb_date_from_ymd(2027, 1, 1));
	assert_int_equal(parse_ok("2026-12-31T18:59-05:00"), pb_date_from_ymd(2026, 12, 31));
	assert_int_equal(parse_ok("2026-12-31T19:00-05:00"), pb_date_from_ymd(2027, 1, 1));
	assert_int_equal(parse_ok("2026-02-28T23:00-01:00"), pb_date_from_ymd(2026, 3, 1));
	assert_int_equal(parse_ok("2024-02-28T23:30-0045"), pb_date_from_ymd(2024, 2, 29));
	assert_int_equal(parse_ok("2026-09-30T20:00:00.5-04"), pb_date_from_ymd(2026, 10, 1));
	/* The same instant written three ways. */
	assert_int_equal(parse_ok("2026-11-01T03:30:00Z"), parse_ok("2026-10-31T23:30:00-04:00"));
	assert_int_equal(parse_ok("2026-11-01T03:30:00Z"), parse_ok("2026-11-01T09:00:00+05:30"));
}

/* Zones run from -12:00 to +14:00: an offset beyond either is no zone, and the text no timestamp. */
static void test_parse_offsets_range(void **state)
{
	static const char *const good[] = {
		"2026-10-01T12:00+14:00", "2026-10-01T12:00+1400", "2026-10-01T12:00+14",    "2026-10-01T12:00-12:00",
		"2026-10-01T12:00-1200",  "2026-10-01T12:00-12",   "2026-10-01T12:00+05:45",
	};
	static const char *const bad[] = {
		"2026-10-01T12:00+14:01", "2026-10-01T12:00+14:30", "2026-10-01T12:00+1430",  "2026-10-01T12:00+15:00",
		"2026-10-01T12:00+15",	  "2026-10-01T12:00+23:59", "2026-10-01T12:00-12:01", "2026-10-01T12:00-12:30",
		"2026-10-01T12:00-13:00", "2026-10-01T12:00-13",    "2026-10-01T12:00-23:00", "9999-12-31T23:00-14:00",
	};
	size_t i;
	int32_t d;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		(void)parse_ok(good[i]);
	assert_int_equal(parse_ok("2026-10-01T13:59+14:00"), pb_date_from_ymd(2026, 9, 30));
	assert_int_equal(parse_ok("2026-10-01T14:00+14:00"), pb_date_from_ymd(2026, 10, 1));
	assert_int_equal(parse_ok("2026-10-01T11:59-12:00"), pb_date_from_ymd(2026, 10, 1));
	assert_int_equal(parse_ok("2026-10-01T12:00-12:00"), pb_date_from_ymd(2026, 10, 2));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = 12345;
		if (pb_date_parse_iso(bad[i], strlen(bad[i]), &d) != -1)
			fail_msg("'%s' accepted as day %d", bad[i], (int)d);
		if (pb_date_read_iso(bad[i], strlen(bad[i]), &d) != PB_DATE_MALFORMED)
			fail_msg("'%s' read as a timestamp", bad[i]);
		if (pb_date_read_any(bad[i], strlen(bad[i]), &d) != PB_DATE_MALFORMED)
			fail_msg("'%s' read as a timestamp by pb_date_read_any", bad[i]);
	}
}

static void test_parse_len(void **state)
{
	int32_t days = 0;
	const char *s = "2026-10-01T12:00Zjunk";

	(void)state;
	/* Only len bytes are read; no NUL is needed. */
	assert_int_equal(pb_date_parse_iso(s, 17, &days), 0);
	assert_int_equal(days, pb_date_from_ymd(2026, 10, 1));
	assert_int_equal(pb_date_parse_iso(s, 10, &days), 0);
	assert_int_equal(pb_date_parse_iso(s, 9, &days), -1);
	assert_int_equal(pb_date_parse_iso(s, 18, &days), -1);
	assert_int_equal(pb_date_parse_iso(s, 0, &days), -1);
}

static void test_parse_rejected(void **state)
{
	static const char *const bad[] = {
		"",
		"2026-02-30",
		"2026-02-29",
		"1900-02-29",
		"2026-13-01",
		"2026-00-01",
		"2026-10-00",
		"2026-10-32",
		"0000-01-01",
		"26-10-01",
		"2026-1-01",
		"2026-10-1",
		"20261001",
		"2026/10/01",
		"+2026-10-01",
		" 2026-10-01",
		"2026-10-01 ",
		"2026-10-01x",
		"2026-10-01Z",
		"2026-10-01T",
		"2026-10-01T12",
		"2026-10-01T12:",
		"2026-10-01T12:3",
		"2026-10-01T1234",
		"2026-10-01T24:00",
		"2026-10-01T24:00:00Z",
		"2026-10-01T12:60",
		"2026-10-01T12:34:61",
		"2026-10-01T12:34:5",
		"2026-10-01T12:34:56.",
		"2026-10-01T12:34.5",
		"2026-10-01T12:34:56Zjunk",
		"2026-10-01T12:34:56 ",
		"2026-10-01T12:34junk",
		"2026-10-01T12:34Z+01:00",
		"2026-10-01T12:34+",
		"2026-10-01T12:34+2",
		"2026-10-01T12:34+24:00",
		"2026-10-01T12:34+02:60",
		"2026-10-01T12:34+02:",
		"2026-10-01T12:34+02:0",
		"2026-10-01T12:34+02:000",
		"2026-10-01T12:34+0200Z",
		"2026-10-01T12:34+02:00:00",
		"2026-10-01t12:34",
		"2026-10-01T12:34z",
		"2026-10-01T-1:34",
		"abcd-ef-gh",
	};
	size_t i, accepted = 0;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int32_t days = 42;

		if (pb_date_parse_iso(bad[i], strlen(bad[i]), &days) != -1) {
			print_error("'%s' accepted as day %d\n", bad[i], (int)days);
			accepted++;
		}
	}
	assert_int_equal(accepted, 0);
}

static void check_format(int32_t days, const char *want)
{
	char buf[16];

	memset(buf, 'X', sizeof(buf));
	pb_date_format(days, buf);
	assert_string_equal(buf, want);
	/* Eleven bytes and no more. */
	assert_int_equal(buf[11], 'X');
}

/* Azure's US dates: month first, always; one or two digits; either form per value through parse_any. */
static void test_parse_us(void **state)
{
	static const char *bad[] = {"13/01/2026",  "02/30/2026", "0/1/2026",	"1/0/2026", "10/01/26",	  "10-01-2026",
				    "10/01/2026 ", "/01/2026",	 "10/001/2026", "",	    "10/01/20261"};
	int32_t d = -1;
	size_t i;

	(void)state;
	assert_int_equal(pb_date_parse_us("10/01/2026", 10, &d), 0);
	assert_int_equal(d, pb_date_from_ymd(2026, 10, 1));
	assert_int_equal(pb_date_parse_us("1/2/2026", 8, &d), 0);
	assert_int_equal(d, pb_date_from_ymd(2026, 1, 2));
	assert_int_equal(pb_date_parse_us("02/29/2024", 10, &d), 0);
	assert_int_equal(d, pb_date_from_ymd(2024, 2, 29));
	assert_int_equal(pb_date_parse_us("12/31/2026", 10, &d), 0);
	assert_int_equal(d, pb_date_from_ymd(2026, 12, 31));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pb_date_parse_us(bad[i], strlen(bad[i]), &d), -1);
	assert_int_equal(pb_date_parse_any("2026-10-02", 10, &d), 0);
	assert_int_equal(d, pb_date_from_ymd(2026, 10, 2));
	assert_int_equal(pb_date_parse_any("2026-10-02T23:00:00-02:00", 25, &d), 0);
	assert_int_equal(d, pb_date_from_ymd(2026, 10, 3));
	assert_int_equal(pb_date_parse_any("10/02/2026", 10, &d), 0);
	assert_int_equal(d, pb_date_from_ymd(2026, 10, 2));
	assert_int_equal(pb_date_parse_any("13/01/2026", 10, &d), -1);
	assert_int_equal(pb_date_parse_any("2026/10/02", 10, &d), -1);
}

static void test_format(void **state)
{
	int32_t d;
	char buf[11];

	(void)state;
	check_format(0, "1970-01-01");
	check_format(-1, "1969-12-31");
	check_format(11016, "2000-02-29");
	check_format(20757, "2026-10-31");
	check_format(-719162, "0001-01-01");
	check_format(2932896, "9999-12-31");
	check_format(pb_date_from_ymd(987, 6, 5), "0987-06-05");
	/* Format then parse is the identity, over a dense sample of the range. */
	for (d = -719162; d <= 2932896; d += 97) {
		int32_t back = 0;

		pb_date_format(d, buf);
		assert_int_equal(pb_date_parse_iso(buf, 10, &back), 0);
		assert_int_equal(back, d);
	}
}

static void test_month_start(void **state)
{
	int32_t d;

	(void)state;
	assert_int_equal(pb_date_month_start(pb_date_from_ymd(2026, 10, 31)), pb_date_from_ymd(2026, 10, 1));
	assert_int_equal(pb_date_month_start(pb_date_from_ymd(2026, 10, 1)), pb_date_from_ymd(2026, 10, 1));
	assert_int_equal(pb_date_month_start(pb_date_from_ymd(2024, 2, 29)), pb_date_from_ymd(2024, 2, 1));
	assert_int_equal(pb_date_month_start(pb_date_from_ymd(2024, 3, 1)), pb_date_from_ymd(2024, 3, 1));
	assert_int_equal(pb_date_month_start(0), 0);
	assert_int_equal(pb_date_month_start(-1), pb_date_from_ymd(1969, 12, 1));
	assert_int_equal(pb_date_month_start(-719162), -719162);
	assert_int_equal(pb_date_month_start(2932896), pb_date_from_ymd(9999, 12, 1));
	/* Every day of 1999-2001: the first of its own month. */
	for (d = pb_date_from_ymd(1999, 1, 1); d <= pb_date_from_ymd(2001, 12, 31); d++) {
		int y, m, dd;

		pb_date_to_ymd(d, &y, &m, &dd);
		assert_int_equal(pb_date_month_start(d), d - (dd - 1));
	}
}

static void test_parse_month_and_day(void **state)
{
	static const char *const bad_months[] = {"",	     "2026",	 "2026-1",  "2026-13", "2026-00", "2026-10-01",
						 "2026-10 ", " 2026-10", "0000-01", "2026/10", "20261-0", NULL};
	static const char *const bad_days[] = {
		"",	      "2026-10",    "2026-10-1", "2026-02-29", "2026-10-32", "2026-10-01T00:00", "2026-10-01 ",
		"10/01/2026", "2026-10-0a", NULL};
	int32_t d;
	int i;

	(void)state;
	assert_int_equal(pb_date_parse_month("2026-10", &d), 0);
	assert_int_equal(d, pb_date_from_ymd(2026, 10, 1));
	assert_int_equal(pb_date_parse_month("0001-01", &d), 0);
	assert_int_equal(d, pb_date_from_ymd(1, 1, 1));
	assert_int_equal(pb_date_parse_day("2024-02-29", &d), 0);
	assert_int_equal(d, pb_date_from_ymd(2024, 2, 29));
	assert_int_equal(pb_date_parse_day("9999-12-31", &d), 0);
	assert_int_equal(d, pb_date_from_ymd(9999, 12, 31));
	for (i = 0; bad_months[i]; i++)
		if (pb_date_parse_month(bad_months[i], &d) == 0)
			fail_msg("month '%s' accepted", bad_months[i]);
	for (i = 0; bad_days[i]; i++)
		if (pb_date_parse_day(bad_days[i], &d) == 0)
			fail_msg("day '%s' accepted", bad_days[i]);
}

/* What a reader made of text (got, and the day d it gave, 12345 before) is want and the day y-m-d. */
static void check_read(const char *text, enum pb_date_case got, int32_t d, enum pb_date_case want, int y, int m, int dd)
{
	if (got != want)
		fail_msg("'%s': case %d, not %d", text, (int)got, (int)want);
	if (want == PB_DATE_MALFORMED)
		assert_int_equal(d, 12345);
	else if (d != pb_date_from_ymd(y, m, dd))
		fail_msg("'%s': day %d, not %d", text, (int)d, (int)pb_date_from_ymd(y, m, dd));
}

/* One text for pb_date_read: what it is taken for, and the day it gives. */
struct read_case {
	const char *text;
	enum pb_date_form form;
	enum pb_date_case want;
	int y, m, d; /* the day given, when want is not PB_DATE_MALFORMED */
};

static void test_read(void **state)
{
	static const struct read_case cases[] = {
		{"2026-10", PB_DATE_MONTH, PB_DATE_OK, 2026, 10, 1},
		{"0001-01", PB_DATE_MONTH, PB_DATE_OK, 1, 1, 1},
		{"9999-11", PB_DATE_MONTH, PB_DATE_OK, 9999, 11, 1},
		{"9999-12", PB_DATE_MONTH, PB_DATE_AFTER_LAST, 9999, 12, 1},
		/* Year 0000 is written as any other: out of range, its day given as the calendar counts it. */
		{"0000-01", PB_DATE_MONTH, PB_DATE_BEFORE_FIRST, 0, 1, 1},
		{"0000-12", PB_DATE_MONTH, PB_DATE_BEFORE_FIRST, 0, 12, 1},
		{"0000-00", PB_DATE_MONTH, PB_DATE_MALFORMED, 0, 0, 0},
		{"0000-13", PB_DATE_MONTH, PB_DATE_MALFORMED, 0, 0, 0},
		{"10000-01", PB_DATE_MONTH, PB_DATE_MALFORMED, 0, 0, 0},
		{"-001-01", PB_DATE_MONTH, PB_DATE_MALFORMED, 0, 0, 0},
		{"0000-1", PB_DATE_MONTH, PB_DATE_MALFORMED, 0, 0, 0},
		{"0000-0a", PB_DATE_MONTH, PB_DATE_MALFORMED, 0, 0, 0},
		{"2026-10-01", PB_DATE_MONTH, PB_DATE_MALFORMED, 0, 0, 0},
		{"2026-10 ", PB_DATE_MONTH, PB_DATE_MALFORMED, 0, 0, 0},
		{"", PB_DATE_MONTH, PB_DATE_MALFORMED, 0, 0, 0},
		{"2024-02-29", PB_DATE_DAY, PB_DATE_OK, 2024, 2, 29},
		{"0001-01-01", PB_DATE_DAY, PB_DATE_OK, 1, 1, 1},
		{"9999-11-30", PB_DATE_DAY, PB_DATE_OK, 9999, 11, 30},
		{"9999-12-01", PB_DATE_DAY, PB_DATE_AFTER_LAST, 9999, 12, 1},
		{"9999-12-31", PB_DATE_DAY, PB_DATE_AFTER_LAST, 9999, 12, 31},
		{"0000-01-01", PB_DATE_DAY, PB_DATE_BEFORE_FIRST, 0, 1, 1},
		/* Year 0000 is a leap year, as 2000 is. */
		{"0000-02-29", PB_DATE_DAY, PB_DATE_BEFORE_FIRST, 0, 2, 29},
		{"0000-12-31", PB_DATE_DAY, PB_DATE_BEFORE_FIRST, 0, 12, 31},
		{"0000-02-30", PB_DATE_DAY, PB_DATE_MALFORMED, 0, 0, 0},
		{"0000-00-01", PB_DATE_DAY, PB_DATE_MALFORMED, 0, 0, 0},
		{"0000-01-32", PB_DATE_DAY, PB_DATE_MALFORMED, 0, 0, 0},
		{"2026-02-29", PB_DATE_DAY, PB_DATE_MALFORMED, 0, 0, 0},
		{"10000-01-01", PB_DATE_DAY, PB_DATE_MALFORMED, 0, 0, 0},
		{"-001-01-01", PB_DATE_DAY, PB_DATE_MALFORMED, 0, 0, 0},
		{"0000-01-01T00:00", PB_DATE_DAY, PB_DATE_MALFORMED, 0, 0, 0},
		{"2026-10-01 ", PB_DATE_DAY, PB_DATE_MALFORMED, 0, 0, 0},
		{"10/01/2026", PB_DATE_DAY, PB_DATE_MALFORMED, 0, 0, 0},
		{"2026-10", PB_DATE_DAY, PB_DATE_MALFORMED, 0, 0, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct read_case *c = &cases[i];
		int32_t d = 12345;

		enum pb_date_case got = pb_date_read(c->text, strlen(c->text), c->form, &d);

		check_read(c->text, got, d, c->want, c->y, c->m, c->d);
	}
	/* Only len characters are read: a field of a longer line. */
	assert_int_equal(pb_date_read("2026-10-01,x", 10, PB_DATE_DAY, &(int32_t){0}), PB_DATE_OK);
	assert_int_equal(pb_date_read("0000-10,x", 7, PB_DATE_MONTH, &(int32_t){0}), PB_DATE_BEFORE_FIRST);
	/* The day numbers of year 0000: 2000 years (five 400-year cycles) before those of 2000. */
	assert_int_equal(pb_date_from_ymd(0, 1, 1), -719528);
	assert_int_equal(pb_date_from_ymd(2000, 1, 1) - pb_date_from_ymd(0, 1, 1), 5 * 146097);
	assert_string_equal(pb_date_bound(PB_DATE_BEFORE_FIRST), "the first month supported is 0001-01");
	assert_string_equal(pb_date_bound(PB_DATE_AFTER_LAST), "the last month supported is 9999-11");
}

/* A date or timestamp for pb_date_read_iso (any 0) or pb_date_read_any (any 1). */
struct read_text_case {
	const char *text;
	int any;
	enum pb_date_case want;
	int y, m, d;
};

static void test_read_iso_and_any(void **state)
{
	static const struct read_text_case cases[] = {
		{"2026-10-01T03:00:00.000Z", 0, PB_DATE_OK, 2026, 10, 1},
		{"0000-01-01T00:00:00.000Z", 0, PB_DATE_BEFORE_FIRST, 0, 1, 1},
		{"0000-02-29", 0, PB_DATE_BEFORE_FIRST, 0, 2, 29},
		/* A zone that moves the day into year 0000, or out of it. */
		{"0001-01-01T00:00:00+01:00", 0, PB_DATE_BEFORE_FIRST, 0, 12, 31},
		{"0000-12-31T23:00:00-02:00", 0, PB_DATE_OK, 1, 1, 1},
		{"9999-12-01T00:00:00Z", 0, PB_DATE_AFTER_LAST, 9999, 12, 1},
		{"9999-11-30T23:00:00-02:00", 0, PB_DATE_AFTER_LAST, 9999, 12, 1},
		{"10000-01-01T00:00:00Z", 0, PB_DATE_MALFORMED, 0, 0, 0},
		/* Each side of the calendar's first and last day, by the widest zones. */
		{"0001-01-01T13:59:59+14:00", 0, PB_DATE_BEFORE_FIRST, 0, 12, 31},
		{"0001-01-01T14:00:00+14:00", 0, PB_DATE_OK, 1, 1, 1},
		{"0000-12-31T12:00:00-12:00", 0, PB_DATE_OK, 1, 1, 1},
		{"0000-12-31T11:59:59-12:00", 0, PB_DATE_BEFORE_FIRST, 0, 12, 31},
		{"9999-12-31T11:59:59-12:00", 0, PB_DATE_AFTER_LAST, 9999, 12, 31},
		{"9999-12-31T12:00:00-12:00", 0, PB_DATE_PAST_CALENDAR, 10000, 1, 1},
		{"9999-12-31T23:59-1200", 1, PB_DATE_PAST_CALENDAR, 10000, 1, 1},
		{"10000-01-01T13:00:00+14:00", 0, PB_DATE_MALFORMED, 0, 0, 0},
		{"9999-12-31T23:00-14:00", 0, PB_DATE_MALFORMED, 0, 0, 0},
		{"0001-01-01T00:00+15:00", 0, PB_DATE_MALFORMED, 0, 0, 0},
		{"0000-02-30", 0, PB_DATE_MALFORMED, 0, 0, 0},
		{"0000-00-01", 0, PB_DATE_MALFORMED, 0, 0, 0},
		{"10/01/2026", 0, PB_DATE_MALFORMED, 0, 0, 0},
		{"10/01/2026", 1, PB_DATE_OK, 2026, 10, 1},
		{"2/29/0000", 1, PB_DATE_BEFORE_FIRST, 0, 2, 29},
		{"0000-01-01", 1, PB_DATE_BEFORE_FIRST, 0, 1, 1},
		{"12/31/9999", 1, PB_DATE_AFTER_LAST, 9999, 12, 31},
		{"2/30/0000", 1, PB_DATE_MALFORMED, 0, 0, 0},
		{"01/01/10000", 1, PB_DATE_MALFORMED, 0, 0, 0},
		{"10000-01-01", 1, PB_DATE_MALFORMED, 0, 0, 0},
	};
	size_t i;
	int32_t d;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct read_text_case *c = &cases[i];
		size_t n = strlen(c->text);
		enum pb_date_case got;

		d = 12345;
		got = c->any ? pb_date_read_any(c->text, n, &d) : pb_date_read_iso(c->text, n, &d);
		check_read(c->text, got, d, c->want, c->y, c->m, c->d);
	}
	/* The parsers that say only yes or no still refuse year 0000. */
	assert_int_equal(pb_date_parse_iso("0000-01-01", 10, &d), -1);
	assert_int_equal(pb_date_parse_any("1/1/0000", 8, &d), -1);
	/* Nor do they give a day of year 0000 or 10000 that a zone moved there. */
	d = 12345;
	assert_int_equal(pb_date_parse_iso("0001-01-01T13:59+14:00", 22, &d), -1);
	assert_int_equal(pb_date_parse_iso("0001-01-01T00:00+00:01", 22, &d), -1);
	assert_int_equal(pb_date_parse_any("9999-12-31T12:00-12:00", 22, &d), -1);
	assert_int_equal(pb_date_parse_iso("9999-12-31T23:59:59.9-00:01", 27, &d), -1);
	assert_int_equal(d, 12345);
	assert_int_equal(pb_date_parse_iso("0001-01-01T14:00+14:00", 22, &d), 0);
	assert_int_equal(d, pb_date_from_ymd(1, 1, 1));
	assert_int_equal(pb_date_parse_iso("9999-12-31T11:59-12:00", 22, &d), 0);
	assert_int_equal(d, pb_date_from_ymd(9999, 12, 31));
	/* Past the calendar is out of range as its last month is, in the same words. */
	assert_string_equal(pb_date_bound(PB_DATE_PAST_CALENDAR), "the last month supported is 9999-11");
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_round_trip_every_day),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_parse_accepted),
		cmocka_unit_test(test_parse_offsets_move_day),
		cmocka_unit_test(test_parse_offsets_range),
		cmocka_unit_test(test_parse_len),
		cmocka_unit_test(test_parse_rejected),
		cmocka_unit_test(test_parse_us),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_month_start),
		cmocka_unit_test(test_parse_month_and_day),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_read_iso_and_any),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
