/* Interim estimator: the recent daily rate carried to the month's end (the estimator of its own issue replaces it). */
#include "estimate.h"

#include <string.h>

#include "banned.h"

static double to_double(pb_money m)
{
	return (double)m.units / 1e18;
}

static pb_money from_double(double d, int minor)
{
	__int128 unit = 1;
	pb_money m;
	int i;

	for (i = 0; i < 18 - minor; i++)
		unit *= 10;
	m.units = (__int128)(d * 1e18 / (double)unit + (d < 0 ? -0.5 : 0.5)) * unit;
	return m;
}

int pb_estimate_compute(const struct pb_estimate_series *s, struct pb_estimate *out)
{
	int32_t end_guess;
	size_t i, n = 0;
	double sum = 0, rate, rest, mtd = to_double(s->month_to_date);

	memset(out, 0, sizeof(*out));
	for (i = (size_t)(s->month_start - s->first_day); i < s->ndays; i++, n++)
		sum += to_double(s->recurring[i]);
	end_guess = s->month_start + 30;
	rate = n ? sum / (double)n : 0;
	rest = s->final ? 0 : rate * (double)(end_guess - s->as_of > 0 ? end_guess - s->as_of : 0);
	out->estimate = from_double(mtd + rest, s->minor_unit);
	out->low80 = from_double(mtd + rest * 0.8, s->minor_unit);
	out->high80 = from_double(mtd + rest * 1.2, s->minor_unit);
	out->low90 = from_double(mtd + rest * 0.7, s->minor_unit);
	out->high90 = from_double(mtd + rest * 1.3, s->minor_unit);
	out->method = s->final ? "final" : "linear";
	return 0;
}
