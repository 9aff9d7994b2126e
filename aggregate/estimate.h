/* The month-end estimate of one series: its exact month-to-date plus a forecast of its recurring usage. */
#ifndef PB_ESTIMATE_H
#define PB_ESTIMATE_H

#include <stddef.h>
#include <stdint.h>

#include "money.h"

/* How far before the month a series' days may go back. */
#define PB_ESTIMATE_HISTORY 90
/* The most days a series covers: the history and a 31-day month. */
#define PB_ESTIMATE_MAX_DAYS (PB_ESTIMATE_HISTORY + 31)

/*
 * The usage of partner accounts whose links to the series' account start or end within the month: a part of
 * the series that belongs to it on the days from .. to - 1 only (its link's days). recurring is indexed as the
 * series' own and holds the part's usage of the month's days (days before the month are not read: an earlier
 * month's usage is the series' alone). partial is the part's usage of the partial days after as_of (in the
 * series' partial).
 */
struct pb_estimate_part {
	int32_t from, to;
	const pb_money *recurring;
	pb_money partial;
};

/*
 * One series (an account, or an account and vendor), read-only to the estimator. Days are day numbers
 * (common/date.h). recurring holds ndays amounts, for first_day .. as_of: the recurring usage of each day
 * (charge category Usage), zero on days without any. month_to_date is the exact sum of every charge category
 * from month_start through as_of: purchases, fees, credits, refunds and tax are in it and never projected.
 * oneoff (NULL: none known) holds the other categories' sum per day like recurring: never projected either,
 * but how often and how large they came widens the intervals.
 */
struct pb_estimate_series {
	int32_t month_start; /* the first day of the month */
	int32_t as_of;	     /* the last day with data: month_start - 1 (none of the month) .. its last day */
	int32_t first_day;   /* the day of recurring[0]: month_start - PB_ESTIMATE_HISTORY .. month_start */
	size_t ndays;	     /* as_of - first_day + 1 */
	const pb_money *recurring;
	const pb_money *oneoff;
	const struct pb_estimate_part *parts; /* nparts of them, NULL when none */
	size_t nparts;
	pb_money month_to_date;
	pb_money
		partial; /* usage of the partial days after as_of, not in month_to_date: added when none is projected */
	int final;	 /* 1: the month's data is complete, the estimate is the month-to-date */
	int minor_unit;	 /* decimals of the currency: 2 for USD, 0 for JPY, 3 for BHD (0..18) */
};

/*
 * The estimated month total and its 80 % and 90 % prediction intervals, each rounded to the minor unit
 * (half away from zero), with low90 <= low80 <= estimate <= high80 <= high90. The estimate is the month-to-date
 * plus the expected usage of the rest of the month; the intervals also allow for spikes and one-offs at the
 * rate the window had them. method is a static string:
 *   final          the month is over or declared final: every figure is the month-to-date
 *   no-usage       no recurring usage to project (none in the window, or none since it stopped)
 *   short-history  fewer than a week of usage at the current level: a plain level, wide intervals
 *   weekly         a robust local level and damped trend, with day-of-week factors
 *   level          the same without day-of-week factors (the series shows no weekly pattern)
 *   links          nothing recurring to project but the parts whose links cover days after as_of
 * Each part is taken out of the series and projected on its own, at its mean daily usage over the last (up to 7)
 * days of the month its link covered through as_of, for the days after as_of its link covers (a part whose
 * link covered none of those days counts its partial days as they stand); before the month,
 * where its link covered the series, the series is reduced by the share of the series it had in the month.
 */
struct pb_estimate {
	pb_money estimate, low80, high80, low90, high90;
	const char *method;
};

enum {
	PB_ESTIMATE_OK = 0,
	PB_ESTIMATE_ERR_ARG = -1,   /* days or minor_unit out of their ranges */
	PB_ESTIMATE_ERR_RANGE = -2, /* a figure leaves pb_money's range */
};

/*
 * Estimates s's month total into *out. Pure: no I/O, no allocation, no global state; the same series gives
 * the same figures. Returns PB_ESTIMATE_OK or a negative code (out is then unspecified).
 */
int pb_estimate_compute(const struct pb_estimate_series *s, struct pb_estimate *out);

#endif
