/* gen_months.c: synthetic account-months for the month-end estimator's accuracy benchmark (bench/estimate.sh).
 *
 * Usage: gen_months COUNT SEED DATA.csv TRUTH.csv [--month YYYY-MM]
 *
 * Each series is one account-month of daily cost: 90 days of history before the month, then the month itself
 * (default 2026-03). Usage is level x weekday factor x noise x spike, where the log level drifts (a slope that
 * itself wanders a little), may shift once (and, rarely, drop to zero), and may start late: in the history or in
 * the month, zero before. The noise is lognormal with mean 1 and AR(1) correlated from day to day; spikes of 3-20x
 * come on a few days in a hundred. A fifth of the series has one-off charges (Purchase, Credit, Fee) on random
 * days, which no forecast can foresee.
 *
 * DATA.csv is what `pb-aggregate estimate` reads (series,date,charge_category,amount), every day through the
 * month's end, some days' usage split over two rows. TRUTH.csv has per series the exact month total, what the
 * series has (flags: w weekly, d drift, s starts in the month, h starts in the history, l level shift, z stops,
 * o one-offs), and per as-of day D of the month the oracle: month-to-date through D plus the expected usage of
 * the days after D given the hidden state at D (level, slope, weekday factors, noise state). The oracle does not
 * foresee what cannot be foreseen: one-offs, spikes, a start, shift or stop after D.
 *
 * Floating point is fine here: the amounts are written with 10 decimals and the totals summed exactly in
 * integers of 10^-10. The PRNG (splitmix64) comes from gen_common.h; each series has its own stream, so a series
 * does not change with COUNT. Build: cc -O2 -o gen_months bench/gen_months.c -lm */

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_common.h"

#define HISTORY 90
#define MAXDAYS (HISTORY + 31)
#define UNIT 1e10 /* amounts are integers of 10^-10 */

static double uniform(uint64_t *st)
{
	return ((double)(next(st) >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(uint64_t *st)
{
	double u = uniform(st), v = uniform(st);

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static double range(uint64_t *st, double lo, double hi)
{
	return lo + (hi - lo) * uniform(st);
}

/* Day number of y-m-d (days since 1970-01-01), and back. */
static int32_t days_from_civil(int y, int m, int d)
{
	int yy = m <= 2 ? y - 1 : y;
	int era = (yy >= 0 ? yy : yy - 399) / 400;
	int yoe = yy - era * 400;
	int doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;

	return (int32_t)(era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468);
}

static void civil_from_days(int32_t days, char out[11])
{
	int z = days + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	int d = doy - (153 * mp + 2) / 5 + 1;
	int m = mp < 10 ? mp + 3 : mp - 9;
	int y = yoe + era * 400 + (m <= 2);

	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000, (unsigned)m % 100, (unsigned)d % 100);
}

/* Writes v units of 10^-10 as a decimal. */
static void put_amount(FILE *f, int64_t v)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	fprintf(f, "%s%llu.%010llu", v < 0 ? "-" : "", (unsigned long long)(mag / 10000000000ULL),
		(unsigned long long)(mag % 10000000000ULL));
}

/* What one series is made of; the arrays run over the window, index 0 = the first history day. */
struct series {
	double base[MAXDAYS];  /* level x weekday factor: the expected usage without noise, spikes or state */
	double loglev[MAXDAYS];
	double slope[MAXDAYS];
	double noise[MAXDAYS]; /* the log noise e_t */
	int active[MAXDAYS];
	int64_t usage[MAXDAYS];	 /* what is billed, in 10^-10 */
	int64_t oneoff[MAXDAYS]; /* sum of the one-offs of the day */
	int oneoff_kind[MAXDAYS];
	unsigned char spike[MAXDAYS];
	int start, shift_day, stop;
	double w[7];
	double s, mu, phi, eta;
	char flags[8];
};

static const char *const oneoff_names[] = {"Purchase", "Credit", "Fee"};

static void make_series(struct series *x, uint64_t *st, int ndays, int month0, int dow0)
{
	double lev = log(40.0) + 1.3 * gauss(st), g, cv, weekend, spike_rate, wsum = 0;
	int start = 0, stop = ndays, shift_day = -1, has_oneoffs, t, k, nf = 0;
	double shift = 0;

	memset(x, 0, sizeof(*x));
	/* Weekday factors: business hours workloads are much lower on weekends, the rest a little. */
	if (uniform(st) < 0.4) {
		weekend = range(st, 0.3, 0.6);
		x->flags[nf++] = 'w';
	} else {
		weekend = range(st, 0.85, 1.0);
	}
	for (k = 0; k < 7; k++) {
		x->w[k] = (k >= 5 ? weekend : 1.0) * exp(0.04 * gauss(st));
		wsum += x->w[k];
	}
	for (k = 0; k < 7; k++)
		x->w[k] *= 7.0 / wsum;
	/* Drift: a third grow or shrink by up to 1 % a day; the slope wanders. */
	if (uniform(st) < 0.35) {
		g = range(st, -0.01, 0.01);
		x->flags[nf++] = 'd';
	} else {
		g = 0.0015 * gauss(st);
	}
	x->eta = 0.0002;
	cv = range(st, 0.10, 0.20);
	x->s = sqrt(log(1.0 + cv * cv));
	x->mu = -x->s * x->s / 2;
	x->phi = range(st, 0.0, 0.6);
	spike_rate = range(st, 0.0, 0.04);
	/* Late starts: a tenth in the month, some in the history. */
	if (uniform(st) < 0.10) {
		start = month0 + 1 + (int)below(st, 27);
		x->flags[nf++] = 's';
	} else if (uniform(st) < 0.09) {
		start = 7 + (int)below(st, (uint64_t)(month0 - 7));
		x->flags[nf++] = 'h';
	}
	if (uniform(st) < 0.12) {
		shift_day = start + 7 + (int)below(st, (uint64_t)(ndays - start - 7));
		shift = (uniform(st) < 0.5 ? -1 : 1) * range(st, 0.3, 1.0);
		x->flags[nf++] = 'l';
	} else if (uniform(st) < 0.015) {
		stop = start + 7 + (int)below(st, (uint64_t)(ndays - start - 7));
		x->flags[nf++] = 'z';
	}
	x->start = start;
	x->shift_day = shift_day;
	x->stop = stop;
	has_oneoffs = uniform(st) < 0.20;
	if (has_oneoffs)
		x->flags[nf++] = 'o';

	x->noise[0] = x->mu + x->s * gauss(st);
	for (t = 0; t < ndays; t++) {
		double u, e;

		if (t > 0) {
			g += x->eta * gauss(st);
			if (g > 0.02)
				g = 0.02;
			if (g < -0.02)
				g = -0.02;
			lev += g;
			x->noise[t] = x->mu + x->phi * (x->noise[t - 1] - x->mu) +
				      sqrt(1 - x->phi * x->phi) * x->s * gauss(st);
		}
		if (t == shift_day)
			lev += shift;
		x->loglev[t] = lev;
		x->slope[t] = g;
		x->active[t] = t >= start && t < stop;
		x->base[t] = exp(lev) * x->w[(dow0 + t) % 7];
		e = x->noise[t];
		u = x->active[t] ? x->base[t] * exp(e) : 0.0;
		if (x->active[t] && uniform(st) < spike_rate) {
			u *= range(st, 3.0, 20.0);
			x->spike[t] = 1;
		}
		x->usage[t] = (int64_t)llround(u * UNIT);
		if (has_oneoffs && x->active[t] && uniform(st) < 1.5 / 30) {
			double r = uniform(st), amount;

			if (r < 0.6) {
				x->oneoff_kind[t] = 0;
				amount = x->base[t] * exp(log(4.0) + 0.8 * gauss(st));
			} else if (r < 0.9) {
				x->oneoff_kind[t] = 1;
				amount = -x->base[t] * range(st, 1.0, 6.0);
			} else {
				x->oneoff_kind[t] = 2;
				amount = x->base[t] * range(st, 0.1, 1.0);
			}
			x->oneoff[t] = (int64_t)llround(amount * UNIT);
		}
	}
}

/* The expected usage of day t + h given the state at day t, spikes and one-offs left out. */
static double expected(const struct series *x, int t, int h, int dow0)
{
	double var_level = 0, lvl, e;

	if (!x->active[t])
		return 0.0;
	for (int k = 1; k <= h; k++)
		var_level += (double)k * k;
	var_level *= x->eta * x->eta;
	lvl = x->loglev[t] + h * x->slope[t];
	e = x->mu + pow(x->phi, h) * (x->noise[t] - x->mu);
	return exp(lvl + var_level / 2) * x->w[(dow0 + t + h) % 7] *
	       exp(e + x->s * x->s * (1 - pow(x->phi, 2.0 * h)) / 2);
}

static int write_series(FILE *data, FILE *truth, struct series *x, const char *key, int32_t first_day,
			int ndays, int month0, uint64_t *st, int dow0)
{
	int64_t total = 0, mtd = 0;
	char date[11];
	int t, d, mdays = ndays - month0;

	/* Credits never take a month below half its usage. */
	for (t = month0; t < ndays; t++)
		total += x->usage[t] + (x->oneoff[t] > 0 ? x->oneoff[t] : 0);
	int64_t room = total / 2;
	for (t = 0; t < ndays; t++) {
		int64_t u = x->usage[t], o = x->oneoff[t];

		if (o < 0 && t >= month0) {
			if (-o > room)
				o = 0;
			else
				room += o;
		}
		civil_from_days(first_day + t, date);
		if (u != 0) {
			if (uniform(st) < 0.25) {
				int64_t part = (int64_t)((double)u * range(st, 0.2, 0.8));

				fprintf(data, "%s,%s,Usage,", key, date);
				put_amount(data, part);
				fprintf(data, "\n%s,%s,Usage,", key, date);
				put_amount(data, u - part);
				fputc('\n', data);
			} else {
				fprintf(data, "%s,%s,Usage,", key, date);
				put_amount(data, u);
				fputc('\n', data);
			}
		}
		if (o != 0) {
			fprintf(data, "%s,%s,%s,", key, date, oneoff_names[x->oneoff_kind[t]]);
			put_amount(data, o);
			fputc('\n', data);
		}
		x->oneoff[t] = o; /* as billed: the month-to-date below sums what was written */
	}
	total = 0;
	for (t = month0; t < ndays; t++)
		total += x->usage[t] + x->oneoff[t];
	fprintf(truth, "%s,", key);
	put_amount(truth, total);
	fprintf(truth, ",%s,", x->flags[0] ? x->flags : "-");
	/* What happened in the month, by day: B start, L level shift, Z stop, S spike, O one-off. */
	for (t = month0; t < ndays; t++) {
		int day = t - month0 + 1;

		if (t == x->start && t > 0)
			fprintf(truth, "B%d ", day);
		if (t == x->shift_day)
			fprintf(truth, "L%d ", day);
		if (t == x->stop)
			fprintf(truth, "Z%d ", day);
		if (x->spike[t])
			fprintf(truth, "S%d ", day);
		if (x->oneoff[t])
			fprintf(truth, "O%d ", day);
	}
	for (d = 1; d <= mdays; d++) {
		int as_of = month0 + d - 1;
		double rest = 0;

		mtd += x->usage[as_of] + x->oneoff[as_of];
		for (int h = 1; as_of + h < ndays; h++)
			rest += expected(x, as_of, h, dow0);
		fprintf(truth, ",%.6f", (double)mtd / UNIT + rest);
	}
	fputc('\n', truth);
	return ferror(data) || ferror(truth) ? -1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: gen_months COUNT SEED DATA.csv TRUTH.csv [--month YYYY-MM]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct series x;
	uint64_t count, seed;
	int y = 2026, m = 3, ndays, month0 = HISTORY, mdays, dow0, rc = 0;
	int32_t month_start, next_month, first_day;
	FILE *data, *truth;
	char key[32];

	if (argc != 5 && argc != 7)
		return usage();
	if (parse_u64(argv[1], &count) < 0 || count == 0 || count > 10000000 || parse_u64(argv[2], &seed) < 0)
		return usage();
	if (argc == 7) {
		char *end;

		if (strcmp(argv[5], "--month") != 0 || strlen(argv[6]) != 7 || argv[6][4] != '-')
			return usage();
		y = (int)strtol(argv[6], &end, 10);
		m = (int)strtol(argv[6] + 5, &end, 10);
		if (*end != '\0' || y < 1900 || y > 9999 || m < 1 || m > 12)
			return usage();
	}
	month_start = days_from_civil(y, m, 1);
	next_month = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
	mdays = next_month - month_start;
	first_day = month_start - HISTORY;
	ndays = HISTORY + mdays;
	dow0 = (int)(((first_day + 3) % 7 + 7) % 7); /* 0 = Monday; day 0 was a Thursday */

	data = fopen(argv[3], "w");
	truth = fopen(argv[4], "w");
	if (!data || !truth) {
		fprintf(stderr, "gen_months: cannot open the outputs: %s\n", strerror(errno));
		return 1;
	}
	fprintf(data, "series,date,charge_category,amount\n");
	fprintf(truth, "series,total,flags,events");
	for (int d = 1; d <= mdays; d++)
		fprintf(truth, ",oracle_%d", d);
	fputc('\n', truth);
	for (uint64_t i = 0; i < count && rc == 0; i++) {
		uint64_t st = mix64(seed * 0x9e3779b97f4a7c15ULL + i + 1);

		snprintf(key, sizeof(key), "acct-%06llu", (unsigned long long)i);
		make_series(&x, &st, ndays, month0, dow0);
		rc = write_series(data, truth, &x, key, first_day, ndays, month0, &st, dow0);
	}
	if (fclose(data) != 0 || fclose(truth) != 0 || rc != 0) {
		fprintf(stderr, "gen_months: cannot write the outputs: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
