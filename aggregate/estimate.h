/* The month-end estimate: a pure function of an account's daily history (no database, no I/O). */
#ifndef PB_ESTIMATE_H
#define PB_ESTIMATE_H

#include <stddef.h>
#include <stdint.h>

#include "money.h"

/* One series (an account, or an account and vendor): recurring usage per day, and the month to date. */
struct pb_estimate_series {
	int32_t month_start, as_of; /* day numbers; as_of inside the month */
	int32_t first_day;	    /* the day recurring[0] is of (up to 90 days before the month) */
	size_t ndays;		    /* first_day..as_of */
	const pb_money *recurring;  /* per day: recurring usage (charge category Usage) */
	pb_money month_to_date;	    /* exact: every category, from the month's start through as_of */
	int final;		    /* the month's data is final: the estimate is the month to date */
	int minor_unit;		    /* the currency's decimals */
};

struct pb_estimate {
	pb_money estimate, low80, high80, low90, high90; /* rounded to the minor unit */
	const char *method;				 /* a static name */
};

/* Computes the estimate of s. Returns 0, or -1 when s is not usable. */
int pb_estimate_compute(const struct pb_estimate_series *s, struct pb_estimate *out);

#endif
