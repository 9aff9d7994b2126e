/*
 * The month-end estimator: month-to-date plus a robust forecast of recurring usage, with prediction intervals.
 * The one module where floating point is allowed (shared/DESIGN.md, "Money"): a forecast is a statistic.
 *
 * The forecast works on the log of daily usage, where weekday patterns, drift and noise are additive:
 * day-of-week factors from each weekday's median deviation from its week; outlier days (spikes, outages)
 * found as days far from both the days before and the days after them; the last changepoint (a workload that
 * starts, a level shift) by optimal partitioning into lines; then a Huber line through the days since,
 * recent days weighing more, whose level, damped slope and weekday factors give each remaining day. The
 * intervals come from simulated totals: the level error the series' own backtests show (forecasts from
 * earlier days checked against what followed), spikes and one-offs drawn at the rate the window had them.
 * bench/estimate.sh measures all this against plain forecasts on synthetic account-months.
 */
#include "estimate.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

#include "banned.h"

#define MAXD PB_ESTIMATE_MAX_DAYS
/* Simulated totals behind the intervals. */
#define NSIM 2000
/* Below this many days at the current level the series has a short history. */
#define MIN_DAYS 7
/* Interior segments of the changepoint search are at least this long; the last one at least MIN_LAST. */
#define MIN_SEGMENT 7
#define MIN_LAST 3
/* A day further than this many robust deviations from both sides of it is an outlier. */
#define OUTLIER_K 3.5
/* The smallest daily deviation (log scale) thresholds and penalties use: 1 %. */
#define MIN_SIGMA 0.01
/* No trend is projected steeper than this, per day (log scale). */
#define MAX_SLOPE 0.02
/* A weekday whose factor is below this (log scale, about 1/20) may well have no usage. */
#define STOP_DOW (-3.0)
/* Backtests: forecasts from every BT_STEP-th day back, each fitted on at least BT_MIN_FIT days, at most BT_MAX. */
#define BT_STEP 3
#define BT_MIN_FIT 21
#define BT_MAX 24
/* The weight, in backtests, of the line's own standard errors in the level error's variance. */
#define BT_PRIOR 4

/*
 * Spikes: what the window showed, and what it could not. Their rate is drawn from its posterior given the
 * window (Jeffreys' prior); a drawn spike is one the window showed, its size blurred by SPIKE_BLUR (log
 * scale) since a few spikes do not show the range of sizes, or, with the weight of one more spike, a spike of
 * about SPIKE_PRIOR_SIZE times a usual day, spread by SPIKE_PRIOR_SPREAD: a window without spikes may see one.
 */
#define SPIKE_BLUR 0.3
#define SPIKE_PRIOR_SIZE 5.0
#define SPIKE_PRIOR_SPREAD 0.8
/*
 * A projected day, expected or simulated, is at most this many times the largest day of the window: a spike's size
 * is relative to the level it stood out from, and one drawn from an earlier, far lower level (a workload that ran in
 * bursts and now runs every day) would otherwise make days of 10^6 times anything the series had, up to totals
 * beyond the range of amounts; a level error of a wild series likewise, and a weekday factor of a weekday that
 * stood far above its week.
 */
#define MAX_DAY_FACTOR 100.0
/* A rate is drawn as if from this many days at least: a few days without a spike say little about spikes. */
#define MIN_RATE_DAYS 28

/* Tuning, measured by bench/estimate.sh on synthetic account-months. */
static const struct tuning {
	double penalty;	     /* changepoint penalty, in daily variances times log(days) */
	double half_life;    /* days over which a day's weight in the level halves */
	int min_trend_days;  /* fewer days at the current level: no trend */
	double slope_shrink; /* a slope of t standard errors keeps t^2 / (t^2 + slope_shrink) of itself */
	double damp;	     /* the slope's weight on the h-th day ahead is damp^h */
	double widen;	     /* the level error's deviation is multiplied by this */
} tuning = {30.0, 35.0, 28, 1.0, 0.98, 1.3};

/* A line through the log series at an origin day: the level there, the slope, their standard errors. */
struct line {
	double level, slope, se_level, se_slope, sigma;
};

/*
 * What the forecast of one series works with; index t is the day first_day + t. Amounts are in units of scale, a
 * day of the window (see scale_of): a constant series is then days of exactly 1, whose forecast is exactly 1 a day.
 */
struct model {
	pb_money scale_money; /* the scale, exactly */
	double scale;	      /* the same as a double */
	int n;		      /* days in the window */
	int a;		      /* the first day with usage */
	int s;		      /* the first day of the current level (after the last changepoint) */
	int horizon;	      /* days after as_of in the month */
	int dow0;	      /* day of the week of day 0, 0 = Monday */
	double floor;	      /* usage at or below this counts as none */
	double top;	      /* the largest day of the window */
	double x[MAXD], z[MAXD], u[MAXD], uc[MAXD], seg[MAXD];
	unsigned char outlier[MAXD];
	double d[7];  /* day-of-week factors, log scale, mean 0 */
	double sigma; /* robust daily deviation, log scale */
	int weekly;
	struct line line;
	double ar, last_res; /* lag-one autocorrelation of the residuals, and the last day's */
	double smear; /* mean of exp(residual) over the current level's ordinary days: log scale back to amounts */
	double spikes[MAXD]; /* residuals of the outlier days, drawn at the rate they came */
	int nspikes, npool;
	double oneoffs[MAXD]; /* one-off amounts of the window, drawn likewise */
	int noneoffs;
	double log_var;		/* variance of the log error of the projected total of ordinary days */
	int dof;		/* degrees of freedom of that variance */
	double parts, parts_sd; /* the parts' projection (pb_estimate_part) and the deviation of its log error */
};

static double money_to_double(pb_money m)
{
	return (double)m.units / 1e18;
}

/*
 * v as money, rounded to 9 decimals (finer digits of a double are noise), over the whole range of amounts: the
 * whole part goes through 128 bits, not 64, which held no more than about 9 x 10^18.
 */
static int money_from_double(double v, pb_money *out)
{
	double ip, nano;

	if (!isfinite(v) || fabs(v) >= 1e20)
		return PB_ESTIMATE_ERR_RANGE;
	ip = floor(v);
	nano = round((v - ip) * 1e9);
	out->units = (__int128)ip * 1000000000000000000 + (__int128)(long long)nano * 1000000000;
	return PB_ESTIMATE_OK;
}

/*
 * a times n (n >= 0, a number of days of a, in the units of the model), in decimal: n through its 15 significant
 * digits (the 16th and 17th of a double are the noise of its arithmetic), the product exact, rounded to 18
 * places. A forecast of exactly 21 days of a is 21 times a to the last digit, whatever a's size.
 */
static int times(pb_money a, double n, pb_money *out)
{
	struct pb_decimal f[2];
	double digits;
	int e;

	if (!isfinite(n) || n < 0 || n >= 1e300)
		return PB_ESTIMATE_ERR_RANGE;
	if (n == 0) {
		*out = PB_MONEY_ZERO;
		return PB_ESTIMATE_OK;
	}
	e = (int)floor(log10(n)) - 14;
	/* 10^k is exact in a double up to k = 22; below 10^-8 days its rounding may move the 15th digit by one. */
	digits = e < 0 ? n * pow(10, -e) : n / pow(10, e);
	f[0] = pb_decimal_from_money(a);
	f[1].mant = (unsigned __int128)llround(digits);
	f[1].exp = e;
	f[1].neg = 0;
	if (pb_decimal_product(f, 2, 1, out, NULL) < 0)
		return PB_ESTIMATE_ERR_RANGE;
	return PB_ESTIMATE_OK;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

static int cmp_money(const void *pa, const void *pb)
{
	return pb_money_cmp(*(const pb_money *)pa, *(const pb_money *)pb);
}

/*
 * The unit the model counts amounts in: the median of the window's positive days (the lower of the middle two of
 * an even count), an amount the series had, exactly; one unit when no day was positive. Divided by it, the days
 * of a constant series are exactly 1 and their logarithms exactly 0, so its forecast is a whole number of days,
 * which times() turns back into money exactly: the logarithm of a day of 10^12 and its exponential lost
 * hundredths of a cent each.
 */
static pb_money scale_of(const struct pb_estimate_series *s)
{
	pb_money pos[MAXD];
	size_t n = 0;

	for (size_t t = 0; t < s->ndays; t++)
		if (pb_money_cmp(s->recurring[t], PB_MONEY_ZERO) > 0)
			pos[n++] = s->recurring[t];
	if (n == 0)
		return PB_MONEY_ONE;
	qsort(pos, n, sizeof(*pos), cmp_money);
	return pos[(n - 1) / 2];
}

/*
 * Sorts the NSIM draws of sims ascending: the order qsort with cmp_double gives (draws that compare equal are
 * the same number, but for -0 and +0, whose difference is none), by a radix sort of their bits, a byte at a time
 * from the lowest, skipping the bytes all draws share. qsort's calls were about a third of the estimator's time.
 */
static void sort_draws(double *sims)
{
	static const uint64_t sign = (uint64_t)1 << 63;
	uint64_t key[NSIM], tmp[NSIM], *from = key, *to = tmp, *swap;
	size_t count[8][256], pos[256], i, total;
	int b;

	memset(count, 0, sizeof(count));
	for (i = 0; i < NSIM; i++) {
		uint64_t u;

		memcpy(&u, &sims[i], sizeof(u));
		/* Ordered as unsigned numbers: negatives reversed below the positives. */
		key[i] = u & sign ? ~u : u | sign;
		for (b = 0; b < 8; b++)
			count[b][(key[i] >> (8 * b)) & 0xff]++;
	}
	for (b = 0; b < 8; b++) {
		if (count[b][(key[0] >> (8 * b)) & 0xff] == NSIM)
			continue;
		for (i = 0, total = 0; i < 256; i++) {
			pos[i] = total;
			total += count[b][i];
		}
		for (i = 0; i < NSIM; i++)
			to[pos[(from[i] >> (8 * b)) & 0xff]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	for (i = 0; i < NSIM; i++) {
		uint64_t u = from[i] & sign ? from[i] & ~sign : ~from[i];

		memcpy(&sims[i], &u, sizeof(u));
	}
}

/* The median of v[0..n-1] (n > 0), v left unchanged; tmp holds n doubles. */
static double median(const double *v, int n, double *tmp)
{
	memcpy(tmp, v, (size_t)n * sizeof(*tmp));
	qsort(tmp, (size_t)n, sizeof(*tmp), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* The median absolute deviation of v[0..n-1] from c, scaled to a normal standard deviation. */
static double mad(const double *v, int n, double c)
{
	double dev[MAXD], tmp[MAXD];

	for (int i = 0; i < n; i++)
		dev[i] = fabs(v[i] - c);
	return 1.4826 * median(dev, n, tmp);
}

/* out[t] for t in lo..hi-1: the median of the 7 days around t (shifted at the ends) of v. */
static void rolling_median(const double *v, int lo, int hi, double *out)
{
	double tmp[7];

	for (int t = lo; t < hi; t++) {
		int b = t - 3, e = t + 4;

		if (b < lo) {
			e += lo - b;
			b = lo;
		}
		if (e > hi) {
			b -= e - hi;
			e = hi;
		}
		if (b < lo)
			b = lo;
		out[t] = median(v + b, e - b, tmp);
	}
}

/* splitmix64, and deviates from it: the simulation is deterministic. */
static uint64_t rng_next(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *st)
{
	return ((double)(rng_next(st) >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_gauss(uint64_t *st)
{
	return sqrt(-2 * log(rng_uniform(st))) * cos(6.283185307179586 * rng_uniform(st));
}

static int rng_below(uint64_t *st, int n)
{
	return (int)(((unsigned __int128)rng_next(st) * (unsigned)n) >> 64);
}

/* Gamma(shape, 1), by Marsaglia and Tsang's method (boosted below shape 1). */
static double rng_gamma(uint64_t *st, double shape)
{
	double d, c, x, v, u, boost = 1;

	if (shape < 1) {
		boost = pow(rng_uniform(st), 1 / shape);
		shape += 1;
	}
	d = shape - 1.0 / 3;
	c = 1 / sqrt(9 * d);
	for (;;) {
		do {
			x = rng_gauss(st);
			v = 1 + c * x;
		} while (v <= 0);
		v = v * v * v;
		u = rng_uniform(st);
		if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v * boost;
	}
}

/* A rate seen k times in n days, drawn from its posterior under Jeffreys' prior: few sightings say little. */
static double rng_rate(uint64_t *st, int k, int n)
{
	double x = rng_gamma(st, k + 0.5), y = rng_gamma(st, n - k + 0.5);

	return x / (x + y);
}

/* Student's t with dof degrees of freedom: a variance estimated from few samples. */
static double rng_t(uint64_t *st, int dof)
{
	return rng_gauss(st) / sqrt(2 * rng_gamma(st, dof / 2.0) / dof);
}

static int dow(const struct model *m, int t)
{
	return (m->dow0 + t) % 7;
}

/* Sum over the days 1..h ahead of damp^i: how far a damped slope goes. */
static double reach(int h)
{
	double s = 0, f = 1;

	for (int i = 1; i <= h; i++) {
		f *= tuning.damp;
		s += f;
	}
	return s;
}

/*
 * Too few weeks for a factor per weekday: one factor for the weekend against the weekdays, from at least two
 * weekend days and five weekdays, kept only when clearly more than noise.
 */
static void weekend_factor(struct model *m)
{
	double we[MAXD], wd[MAXD], dev[MAXD], tmp[MAXD], mwe, mwd, diff, sigma, se2;
	int nwe = 0, nwd = 0, nd = 0, t, k;

	for (t = m->a; t < m->n; t++) {
		if (dow(m, t) >= 5)
			we[nwe++] = m->z[t];
		else
			wd[nwd++] = m->z[t];
	}
	if (nwe < 2 || nwd < 5)
		return;
	mwe = median(we, nwe, tmp);
	mwd = median(wd, nwd, tmp);
	for (t = 0; t < nwe; t++)
		dev[nd++] = we[t] - mwe;
	for (t = 0; t < nwd; t++)
		dev[nd++] = wd[t] - mwd;
	sigma = mad(dev, nd, 0);
	se2 = 1.57 * sigma * sigma * (1.0 / nwe + 1.0 / nwd);
	diff = mwe - mwd;
	if (diff * diff <= 4 * se2)
		return;
	for (k = 0; k < 7; k++)
		m->d[k] = k >= 5 ? diff * 5 / 7 : -diff * 2 / 7;
	m->weekly = fabs(diff) >= 0.05;
}

/*
 * Day-of-week factors from the days' deviations from their week's median, one median per weekday, shrunk
 * towards none by how much of them noise could explain.
 */
static void weekly_factors(struct model *m)
{
	double roll[MAXD], dev[7][MAXD], all[MAXD], tmp[MAXD], se2 = 0, signal = 0, mean = 0, sigma, shrink;
	int cnt[7] = {0}, k, t, nall = 0;

	memset(m->d, 0, sizeof(m->d));
	m->weekly = 0;
	if (m->n - m->a < 21) {
		if (m->n - m->a >= 10)
			weekend_factor(m);
		return;
	}
	rolling_median(m->z, m->a, m->n, roll);
	for (t = m->a; t < m->n; t++) {
		k = dow(m, t);
		dev[k][cnt[k]++] = m->z[t] - roll[t];
	}
	for (k = 0; k < 7; k++) {
		m->d[k] = median(dev[k], cnt[k], tmp);
		mean += m->d[k] / 7;
	}
	for (k = 0; k < 7; k++) {
		m->d[k] -= mean;
		for (t = 0; t < cnt[k]; t++)
			all[nall++] = dev[k][t] - m->d[k] - mean;
	}
	sigma = mad(all, nall, 0);
	for (k = 0; k < 7; k++) {
		se2 += 1.57 * sigma * sigma / cnt[k];
		signal += m->d[k] * m->d[k];
	}
	shrink = signal > 0 ? 1 - 2 * se2 / signal : 0;
	if (shrink <= 0) {
		memset(m->d, 0, sizeof(m->d));
		return;
	}
	for (k = 0; k < 7; k++) {
		m->d[k] *= shrink;
		if (fabs(m->d[k]) >= 0.03)
			m->weekly = 1;
	}
}

/* The median of v[b..e-1] clipped to lo..hi-1; NAN when that holds no day. */
static double side_median(const double *v, int b, int e, int lo, int hi)
{
	double tmp[8];

	if (b < lo)
		b = lo;
	if (e > hi)
		e = hi;
	return e > b ? median(v + b, e - b, tmp) : NAN;
}

/*
 * Marks outliers: days far from the median of the days before them and from that of the days after them
 * (a level shift is near one side, a spike near neither). The last two days, with less after them, are
 * compared with the median of the last three. uc gets the series with outliers replaced.
 */
static void clean_outliers(struct model *m)
{
	double roll[MAXD], dev[MAXD], lim;
	int t, nd = 0;

	rolling_median(m->u, m->a, m->n, roll);
	for (t = m->a; t < m->n; t++)
		dev[nd++] = m->u[t] - roll[t];
	/* A 7-day median follows the data a little: its residuals understate the deviation. */
	m->sigma = 1.1 * mad(dev, nd, 0);
	if (m->sigma < MIN_SIGMA)
		m->sigma = MIN_SIGMA;
	lim = OUTLIER_K * m->sigma;
	for (t = m->a; t < m->n; t++) {
		double left = side_median(m->u, t - 5, t, m->a, m->n), right;
		int far_left, far_right;

		if (t >= m->n - 2)
			right = side_median(m->u, m->n - 3, m->n, m->a, m->n);
		else
			right = side_median(m->u, t + 1, t + 6, m->a, m->n);
		far_left = isnan(left) || fabs(m->u[t] - left) > lim;
		far_right = isnan(right) || fabs(m->u[t] - right) > lim;
		m->outlier[t] = far_left && far_right && !(isnan(left) && isnan(right));
		m->uc[t] = m->outlier[t] ? (isnan(left) ? right : left) : m->u[t];
	}
}

/* Sums over days for least-squares lines, prefix by prefix. */
struct sums {
	double n, x, xx, y, xy, yy;
};

/* The residual sum of squares of the least-squares line through days i..j-1, and the line if lev is set. */
static double sse(const struct sums *p, int i, int j, double *lev, double *slope, double *xbar)
{
	double n = p[j].n - p[i].n, sx = p[j].x - p[i].x, sxx = p[j].xx - p[i].xx;
	double sy = p[j].y - p[i].y, sxy = p[j].xy - p[i].xy, syy = p[j].yy - p[i].yy;
	double cxx = sxx - sx * sx / n, cxy = sxy - sx * sy / n, cyy = syy - sy * sy / n;
	double b = cxx > 1e-12 ? cxy / cxx : 0, r = cyy - b * cxy;

	if (lev) {
		*lev = sy / n;
		*slope = b;
		*xbar = sx / n;
	}
	return r > 0 ? r : 0;
}

/*
 * Whether a change a few days before as_of is one: every day since lies on the same side of the level
 * before it, clearly. Two spikes among the last three days look like a shift to the partitioning, not to
 * this. The days of a change refused that are far from the level before it become outliers.
 */
static int confirm_shift(struct model *m)
{
	double before = m->seg[m->s - 1], lim = 2 * m->sigma;
	int t, up = 0, down = 0;

	for (t = m->s; t < m->n; t++) {
		up += m->u[t] - before > lim;
		down += before - m->u[t] > lim;
	}
	if (up == m->n - m->s || down == m->n - m->s)
		return 1;
	for (t = m->s; t < m->n; t++) {
		if (fabs(m->u[t] - before) > OUTLIER_K * m->sigma) {
			m->outlier[t] = 1;
			m->uc[t] = before;
		}
	}
	return 0;
}

/*
 * The last changepoint: optimal partitioning of the cleaned series into lines, each new line costing a
 * penalty. m->s gets the first day of the last line, m->seg the lines' values.
 */
static void find_segments(struct model *m)
{
	struct sums p[MAXD + 1];
	double f[MAXD + 1], beta;
	int from[MAXD + 1] = {0}, a = m->a, n = m->n, len = n - a, i, j;

	memset(&p[0], 0, sizeof(p[0]));
	for (i = 0; i < len; i++) {
		double x = i, y = m->uc[a + i] - m->uc[n - 1];

		p[i + 1].n = p[i].n + 1;
		p[i + 1].x = p[i].x + x;
		p[i + 1].xx = p[i].xx + x * x;
		p[i + 1].y = p[i].y + y;
		p[i + 1].xy = p[i].xy + x * y;
		p[i + 1].yy = p[i].yy + y * y;
	}
	beta = tuning.penalty * m->sigma * m->sigma * log((double)len);
	for (j = 1; j <= len; j++) {
		int minlen = j == len ? MIN_LAST : MIN_SEGMENT;

		f[j] = sse(p, 0, j, NULL, NULL, NULL);
		from[j] = 0;
		for (i = MIN_SEGMENT; i + minlen <= j; i++) {
			double c = f[i] + sse(p, i, j, NULL, NULL, NULL) + beta;

			if (c < f[j]) {
				f[j] = c;
				from[j] = i;
			}
		}
	}
	m->s = a + from[len];
	for (j = len; j > 0; j = i) {
		double lev, slope, xbar;

		i = from[j];
		sse(p, i, j, &lev, &slope, &xbar);
		for (int t = i; t < j; t++)
			m->seg[a + t] = lev + slope * (t - xbar) + m->uc[n - 1];
	}
	if (m->s > a && n - m->s < MIN_DAYS && !confirm_shift(m))
		m->s = a + from[m->s - a];
}

/*
 * A Huber line through u over days s..e-1, recent days weighing more, outliers not at all, described at the
 * origin e - 1: level, slope (shrunk by its standard error, capped), standard errors in sandwich form, and
 * the spread of the days around it. A trend only from min_trend_days days on.
 */
static void fit_line(const struct model *m, int s, int e, struct line *l)
{
	double w[MAXD] = {0}, hw[MAXD] = {0}, res[MAXD], decay = pow(0.5, 1 / tuning.half_life);
	double lev = 0, slope = 0, sigma = m->sigma, a11 = 0, a12 = 0, a22 = 0, b11 = 0, b12 = 0, b22 = 0;
	int trend = e - s >= tuning.min_trend_days, t, it, nr = 0;

	for (t = s; t < e; t++) {
		w[t] = m->outlier[t] ? 0 : pow(decay, e - 1 - t);
		hw[t] = 1;
	}
	for (it = 0; it < 8; it++) {
		double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;

		for (t = s; t < e; t++) {
			double wt = w[t] * hw[t], x = t - (e - 1);

			sw += wt;
			sx += wt * x;
			sy += wt * m->u[t];
			sxx += wt * x * x;
			sxy += wt * x * m->u[t];
		}
		if (sw <= 0)
			break;
		if (trend && sxx * sw - sx * sx > 1e-9 * sw * sw) {
			slope = (sxy * sw - sx * sy) / (sxx * sw - sx * sx);
			lev = (sy - slope * sx) / sw;
		} else {
			slope = 0;
			lev = sy / sw;
		}
		for (t = s; t < e; t++) {
			double r = fabs(m->u[t] - lev - slope * (t - (e - 1)));

			hw[t] = r <= 1.5 * sigma ? 1 : 1.5 * sigma / r;
		}
	}
	for (t = s; t < e; t++)
		if (!m->outlier[t])
			res[nr++] = m->u[t] - lev - slope * (t - (e - 1));
	if (nr >= 5 && mad(res, nr, 0) > sigma)
		sigma = mad(res, nr, 0);
	for (t = s; t < e; t++) {
		double wt = w[t] * hw[t], x = t - (e - 1);

		a11 += wt;
		a12 += wt * x;
		a22 += wt * x * x;
		b11 += wt * wt;
		b12 += wt * wt * x;
		b22 += wt * wt * x * x;
	}
	l->se_slope = 0;
	if (!trend || a11 * a22 - a12 * a12 <= 1e-9 * a11 * a11) {
		l->se_level = a11 > 0 ? sigma * sqrt(b11) / a11 : sigma;
	} else {
		/* (A^-1 B A^-1) with A = X'WX, B = X'W^2X */
		double det = a11 * a22 - a12 * a12, i11 = a22 / det, i12 = -a12 / det, i22 = a11 / det;

		l->se_level = sigma * sqrt(i11 * i11 * b11 + 2 * i11 * i12 * b12 + i12 * i12 * b22);
		l->se_slope = sigma * sqrt(i12 * i12 * b11 + 2 * i12 * i22 * b12 + i22 * i22 * b22);
		slope *= slope * slope / (slope * slope + tuning.slope_shrink * l->se_slope * l->se_slope);
		if (fabs(slope) > MAX_SLOPE)
			slope = slope > 0 ? MAX_SLOPE : -MAX_SLOPE;
	}
	l->level = lev;
	l->slope = slope;
	l->sigma = sigma;
}

/* The log of the expected usage of day o + h from a line at origin o, for ordinary days (smear applied). */
static double day_forecast(const struct model *m, const struct line *l, int o, int h)
{
	return l->level + l->slope * reach(h) + m->d[dow(m, o + h)] + log(m->smear);
}

/*
 * Residuals around the line: their autocorrelation and the last one (a correlated deviation persists a
 * little into the next days), the mean of their exponential over the ordinary days of the current level
 * (smear: it turns that level's log forecast back into amounts, so an earlier level's spread says nothing of
 * it), and the outlier days' ones, which the simulation draws as spikes (those of an earlier level relative to
 * it, unless far above it: see below).
 */
static void residuals(struct model *m)
{
	double num = 0, den = 0, sum = 0, prev = 0;
	int t, nclean = 0, prev_ok = 0;

	m->nspikes = 0;
	m->npool = 0;
	for (t = m->a; t < m->n; t++) {
		double r = t >= m->s ? m->u[t] - m->line.level - m->line.slope * (t - (m->n - 1)) : m->u[t] - m->seg[t];

		m->npool++;
		if (m->outlier[t]) {
			double now = m->u[t] - m->line.level;

			/*
			 * A spike of more than MAX_DAY_FACTOR times the earlier level it stood out from is drawn at its
			 * size against the level of now, when that is smaller: bursts of a workload that now runs every
			 * day were spikes of 10^15 times the days around them, which only the cap cut, at every fourth
			 * simulated day; against the level of now they are usual days. A smaller spike keeps its size:
			 * spikes that scale with the level (those of bench/estimate.sh) would be drawn too small.
			 */
			if (t < m->s && r > log(MAX_DAY_FACTOR) && now < r)
				r = now;
			m->spikes[m->nspikes++] = r;
			prev_ok = 0;
			continue;
		}
		if (t >= m->s) {
			sum += exp(r);
			nclean++;
			den += r * r;
			if (prev_ok)
				num += r * prev;
			prev = r;
			prev_ok = 1;
		}
	}
	m->smear = nclean >= 5 ? sum / nclean : exp(m->line.sigma * m->line.sigma / 2);
	m->ar = 0;
	if (m->n - m->s >= 14 && den > 0 && num > 0)
		m->ar = num / den > 0.8 ? 0.8 : num / den;
	m->last_res = m->outlier[m->n - 1] ? 0 : m->u[m->n - 1] - m->line.level;
}

/*
 * The variance of the log error of the projected total: from the line's standard errors and the daily
 * deviation averaged over the horizon (with its autocorrelation), and from backtests: the same forecast from
 * earlier origins, checked against the days that followed them. The backtests weigh as many samples as they
 * are, the standard errors as BT_PRIOR.
 */
static void level_error(struct model *m)
{
	const struct line *l = &m->line;
	double corr = (1 + m->ar) / (1 - m->ar), mean_reach = 0, v_model, sum = 0;
	int H = m->horizon, k = 0, o, h;

	for (h = 1; h <= H; h++)
		mean_reach += reach(h) / H;
	v_model = l->se_level * l->se_level * corr + pow(l->se_slope * mean_reach, 2) * corr +
		  l->sigma * l->sigma * corr / H;
	for (o = m->n - 1 - BT_STEP; o + 1 - m->s >= BT_MIN_FIT && k < BT_MAX; o -= BT_STEP) {
		int hb = H < m->n - 1 - o ? H : m->n - 1 - o;
		double pred = 0, act = 0;
		struct line bl;

		fit_line(m, m->s, o + 1, &bl);
		for (h = 1; h <= hb; h++) {
			pred += exp(day_forecast(m, &bl, o, h));
			act += exp(m->uc[o + h] + m->d[dow(m, o + h)]);
		}
		sum += pow(log(act / pred), 2);
		k++;
	}
	m->log_var = (sum + BT_PRIOR * v_model) / (k + BT_PRIOR);
	if (m->log_var < v_model)
		m->log_var = v_model;
	m->dof = k + BT_PRIOR;
}

/* The shortest interval holding the share p of the sorted simulated totals. */
static void shortest(const double *sims, double p, double *lo, double *hi)
{
	int span = (int)(p * NSIM + 0.5), best = 0;

	for (int i = 1; i + span < NSIM; i++)
		if (sims[i + span] - sims[i] < sims[best + span] - sims[best])
			best = i;
	*lo = sims[best];
	*hi = sims[best + span];
}

/* A drawn spike's size, times a usual day (see SPIKE_PRIOR_SIZE). */
static double spike(const struct model *m, uint64_t *st)
{
	int j = rng_below(st, m->nspikes + 1);

	if (j < m->nspikes)
		return exp(m->spikes[j] + SPIKE_BLUR * rng_gauss(st));
	return SPIKE_PRIOR_SIZE * exp(SPIKE_PRIOR_SPREAD * rng_gauss(st));
}

/*
 * The projection of the recurring days after as_of (*point, in units of the scale, without the parts), and
 * intervals from its simulated distribution (amounts, the parts in): q[0] and q[3] bound the shortest interval
 * holding 90 % of the simulated totals, q[1] and q[2] 80 %. A total with a long upper tail (spikes) gets a
 * shorter interval so than with equal tails, and no less often right.
 */
static void project(const struct model *m, double *point, double q[4])
{
	double base[32], sims[NSIM], sd = sqrt(m->log_var) * tuning.widen, cap = MAX_DAY_FACTOR * m->top;
	double parts = m->parts / m->scale;
	uint64_t st = 0x5eed5eed5eedULL;
	int h, k, H = m->horizon;

	*point = 0;
	for (h = 1; h <= H; h++) {
		base[h] = exp(day_forecast(m, &m->line, m->n - 1, h) + pow(m->ar, h) * m->last_res);
		/*
		 * The expected day is cut as a simulated one is: a weekday factor learnt from a weekday that stood
		 * far above its week, on a level that rose to it since, would otherwise make that weekday a million
		 * times anything the series had, far above every simulated total, or beyond the range of amounts.
		 */
		if (!(base[h] < cap))
			base[h] = cap;
		*point += base[h];
	}
	for (k = 0; k < NSIM; k++) {
		double level = exp(sd * rng_t(&st, m->dof)), tot = 0;
		double p_spike = rng_rate(&st, m->nspikes, m->npool > MIN_RATE_DAYS ? m->npool : MIN_RATE_DAYS);
		double p_oneoff = 0;

		if (m->noneoffs)
			p_oneoff = rng_rate(&st, m->noneoffs, m->n);

		for (h = 1; h <= H; h++) {
			double day = base[h];

			if (rng_uniform(&st) < p_spike)
				day *= spike(m, &st) / m->smear;
			day *= level;
			tot += day < cap ? day : cap;
			if (rng_uniform(&st) < p_oneoff)
				tot += m->oneoffs[rng_below(&st, m->noneoffs)];
		}
		if (m->parts > 0)
			tot += parts * exp(m->parts_sd * rng_gauss(&st));
		sims[k] = tot;
	}
	sort_draws(sims);
	shortest(sims, 0.90, &q[0], &q[3]);
	shortest(sims, 0.80, &q[1], &q[2]);
	for (k = 0; k < 4; k++)
		q[k] *= m->scale;
}

/*
 * A level from fewer than MIN_DAYS days: their median as it is, no trend, a typical spread and a wide
 * uncertainty.
 */
static void short_level(struct model *m)
{
	double tmp[MAXD];
	int len = m->n - m->s;

	m->line.level = median(m->u + m->s, len, tmp);
	m->line.slope = 0;
	m->line.sigma = 0.3;
	m->line.se_level = sqrt(m->line.sigma * m->line.sigma * 1.57 / len + 0.1 * 0.1);
	m->line.se_slope = 0;
	m->smear = 1;
	m->ar = 0;
	m->last_res = 0;
	m->nspikes = 0;
	m->npool = 0;
	m->log_var = m->line.se_level * m->line.se_level + m->line.sigma * m->line.sigma / m->horizon;
	m->dof = 200;
}

/* The figures: the month to date plus the projection (point, exact) and plus each bound of the intervals (q). */
static int set_figures(const struct pb_estimate_series *s, pb_money point, const double q[4], struct pb_estimate *out)
{
	pb_money v[5] = {point}, r[5], mtd = s->month_to_date;
	double d[5] = {0, q[1], q[2], q[0], q[3]};
	int i, rc;

	for (i = 0; i < 5; i++) {
		rc = i == 0 ? PB_ESTIMATE_OK : money_from_double(d[i], &v[i]);
		if (rc == 0)
			rc = pb_money_add(mtd, v[i], &v[i]) < 0 ? PB_ESTIMATE_ERR_RANGE : 0;
		if (rc == 0)
			rc = pb_money_round(v[i], s->minor_unit, &r[i]) < 0 ? PB_ESTIMATE_ERR_RANGE : 0;
		if (rc < 0)
			return rc;
	}
	/* Keep the order low90 <= low80 <= estimate <= high80 <= high90 whatever the simulation said. */
	if (pb_money_cmp(r[1], r[0]) > 0)
		r[1] = r[0];
	if (pb_money_cmp(r[3], r[1]) > 0)
		r[3] = r[1];
	if (pb_money_cmp(r[2], r[0]) < 0)
		r[2] = r[0];
	if (pb_money_cmp(r[4], r[2]) < 0)
		r[4] = r[2];
	out->estimate = r[0];
	out->low80 = r[1];
	out->high80 = r[2];
	out->low90 = r[3];
	out->high90 = r[4];
	return PB_ESTIMATE_OK;
}

static int check_series(const struct pb_estimate_series *s, int32_t *month_end)
{
	*month_end = pb_date_month_start(s->month_start + 31) - 1;
	if (pb_date_month_start(s->month_start) != s->month_start || s->as_of < s->month_start - 1 ||
	    s->as_of > *month_end)
		return PB_ESTIMATE_ERR_ARG;
	if (s->first_day > s->month_start || s->first_day < s->month_start - PB_ESTIMATE_HISTORY)
		return PB_ESTIMATE_ERR_ARG;
	if (s->ndays != (size_t)(s->as_of - s->first_day + 1) || !s->recurring)
		return PB_ESTIMATE_ERR_ARG;
	if (s->minor_unit < 0 || s->minor_unit > PB_MONEY_SCALE)
		return PB_ESTIMATE_ERR_ARG;
	if (s->nparts && !s->parts)
		return PB_ESTIMATE_ERR_ARG;
	for (size_t j = 0; j < s->nparts; j++)
		if (!s->parts[j].recurring || s->parts[j].from >= s->parts[j].to)
			return PB_ESTIMATE_ERR_ARG;
	return PB_ESTIMATE_OK;
}

/*
 * Reads the series into m: the days as doubles in units of the scale, the first day with usage, the log series,
 * the one-offs.
 * Returns 0 when there is no usage to project.
 */
static int prepare(const struct pb_estimate_series *s, int32_t month_end, const double *steady, struct model *m)
{
	double pos[MAXD], tmp[MAXD], parts = m->parts, parts_sd = m->parts_sd;
	int t, npos = 0;

	memset(m, 0, sizeof(*m));
	m->parts = parts;
	m->parts_sd = parts_sd;
	m->scale_money = scale_of(s);
	m->scale = money_to_double(m->scale_money);
	m->n = (int)s->ndays;
	m->horizon = month_end - s->as_of;
	m->dow0 = (int)(((s->first_day + 3) % 7 + 7) % 7);
	m->a = -1;
	for (t = 0; t < m->n; t++) {
		m->x[t] = steady[t] / m->scale;
		if (m->x[t] > 0 && m->a < 0)
			m->a = t;
		if (m->x[t] > 0)
			pos[npos++] = m->x[t];
		if (m->x[t] > m->top)
			m->top = m->x[t];
		if (s->oneoff && !pb_money_is_zero(s->oneoff[t]))
			m->oneoffs[m->noneoffs++] = money_to_double(s->oneoff[t]) / m->scale;
	}
	if (m->a < 0)
		return 0;
	/* A day without usage is a deep low, not minus infinity: 1 % of a typical day. */
	m->floor = 0.01 * median(pos, npos, tmp);
	for (t = m->a; t < m->n; t++)
		m->z[t] = log(m->x[t] > m->floor ? m->x[t] : m->floor);
	return 1;
}

/*
 * Whether usage stopped: most days since the last changepoint have none, and the last day; or the last two
 * days have none where their weekdays usually have some (meters of a running workload do not stop).
 */
static int stopped(const struct model *m)
{
	int t, none = 0, n = m->n;

	for (t = m->s; t < n; t++)
		none += m->x[t] <= m->floor;
	if (m->x[n - 1] <= m->floor && 2 * none > n - m->s)
		return 1;
	return n - m->a >= MIN_DAYS + 2 && m->x[n - 1] <= 0 && m->x[n - 2] <= 0 && m->d[dow(m, n - 1)] > STOP_DOW &&
	       m->d[dow(m, n - 2)] > STOP_DOW;
}

/*
 * Nothing recurring to project: every figure is what was spent, the partial days' usage with it, and the
 * projection of the parts, if any (method "links").
 */
static int no_usage(const struct pb_estimate_series *s, const struct model *m, struct pb_estimate *out)
{
	static const double none[4] = {0, 0, 0, 0};
	struct pb_estimate_series spent = *s;
	double sims[NSIM], q[4];
	pb_money point;
	uint64_t st = 0x5eed5eed5eedULL;
	int k;

	if (pb_money_add(s->month_to_date, s->partial, &spent.month_to_date) < 0)
		return PB_ESTIMATE_ERR_RANGE;
	out->method = "no-usage";
	if (m->parts <= 0)
		return set_figures(&spent, PB_MONEY_ZERO, none, out);
	if (money_from_double(m->parts, &point) < 0)
		return PB_ESTIMATE_ERR_RANGE;
	out->method = "links";
	for (k = 0; k < NSIM; k++)
		sims[k] = m->parts * exp(m->parts_sd * rng_gauss(&st));
	sort_draws(sims);
	shortest(sims, 0.90, &q[0], &q[3]);
	shortest(sims, 0.80, &q[1], &q[2]);
	return set_figures(&spent, point, q, out);
}

/* The days lo .. hi - 1 that both the part's link and from .. to - 1 hold (hi <= lo: none). */
static void part_span(const struct pb_estimate_part *p, int32_t from, int32_t to, int32_t *lo, int32_t *hi)
{
	*lo = p->from > from ? p->from : from;
	*hi = p->to < to ? p->to : to;
}

/*
 * The series without its parts into steady (see pb_estimate_part): each part's usage taken out of the month's
 * days, and, before the month, the share of the series it had in the month taken out of the days its link
 * covered. m->parts and m->parts_sd get the parts' projection, *spent the partial days of the parts that have
 * none (their usage counted as it stands), *partial the series' partial days without the parts'.
 */
static int take_parts(const struct pb_estimate_series *s, int32_t month_end, double *steady, struct model *m,
		      pb_money *spent, pb_money *partial)
{
	double var = 0;
	size_t j;
	int t;

	m->parts = 0;
	m->parts_sd = 0;
	*spent = PB_MONEY_ZERO;
	*partial = s->partial;
	for (t = 0; t < (int)s->ndays; t++)
		steady[t] = money_to_double(s->recurring[t]);
	for (j = 0; j < s->nparts; j++) {
		const struct pb_estimate_part *p = &s->parts[j];
		double num = 0, den = 0, share, recent = 0, proj, sd;
		int32_t lo, hi, d, n;

		if (pb_money_sub(*partial, p->partial, partial) < 0)
			return PB_ESTIMATE_ERR_RANGE;
		part_span(p, s->month_start, s->as_of + 1, &lo, &hi);
		for (d = lo; d < hi; d++) {
			double v = money_to_double(p->recurring[d - s->first_day]);

			num += v;
			den += money_to_double(s->recurring[d - s->first_day]);
			steady[d - s->first_day] -= v;
			if (d >= hi - 7)
				recent += v;
		}
		share = den > 0 && num > 0 ? num / den : 0;
		if (share > 1)
			share = 1;
		part_span(p, s->first_day, s->month_start, &lo, &hi);
		for (d = lo; d < hi; d++)
			steady[d - s->first_day] -= share * money_to_double(s->recurring[d - s->first_day]);
		part_span(p, s->month_start, s->as_of + 1, &lo, &hi);
		n = hi - lo > 7 ? 7 : hi - lo;
		if (n <= 0) {
			if (pb_money_add(*spent, p->partial, spent) < 0)
				return PB_ESTIMATE_ERR_RANGE;
			continue;
		}
		part_span(p, s->as_of + 1, month_end + 1, &lo, &hi);
		proj = hi > lo && recent > 0 ? recent / n * (hi - lo) : 0;
		/* A plain level from n days, as a short history's (short_level). */
		sd = sqrt(0.3 * 0.3 * 1.57 / n + 0.1 * 0.1);
		m->parts += proj;
		var += proj * proj * sd * sd;
	}
	for (t = 0; t < (int)s->ndays; t++)
		if (steady[t] < 0)
			steady[t] = 0;
	m->parts_sd = m->parts > 0 ? sqrt(var) / m->parts : 0;
	return PB_ESTIMATE_OK;
}

int pb_estimate_compute(const struct pb_estimate_series *s, struct pb_estimate *out)
{
	static const double none[4] = {0, 0, 0, 0};
	struct pb_estimate_series steady_s = *s;
	struct model m;
	double point = 0, q[4], steady[MAXD];
	pb_money spent_parts, proj, parts;
	int32_t month_end;
	int rc, t;

	rc = check_series(s, &month_end);
	if (rc < 0)
		return rc;
	if (s->final || s->as_of == month_end) {
		out->method = "final";
		return set_figures(s, PB_MONEY_ZERO, none, out);
	}
	rc = take_parts(s, month_end, steady, &m, &spent_parts, &steady_s.partial);
	if (rc < 0)
		return rc;
	if (pb_money_add(s->month_to_date, spent_parts, &steady_s.month_to_date) < 0)
		return PB_ESTIMATE_ERR_RANGE;
	if (!prepare(s, month_end, steady, &m))
		return no_usage(&steady_s, &m, out);
	weekly_factors(&m);
	for (t = m.a; t < m.n; t++)
		m.u[t] = m.z[t] - m.d[dow(&m, t)];
	clean_outliers(&m);
	m.s = m.a;
	if (m.n - m.a >= MIN_SEGMENT + MIN_LAST)
		find_segments(&m);
	if (stopped(&m))
		return no_usage(&steady_s, &m, out);
	if (m.n - m.s < MIN_DAYS) {
		short_level(&m);
		out->method = "short-history";
	} else {
		fit_line(&m, m.s, m.n, &m.line);
		m.smear = 1;
		residuals(&m);
		level_error(&m);
		out->method = m.weekly ? "weekly" : "level";
	}
	project(&m, &point, q);
	/* The recurring days' projection in decimal (times), the parts' added to it. */
	if (times(m.scale_money, point, &proj) < 0 || money_from_double(m.parts, &parts) < 0 ||
	    pb_money_add(proj, parts, &proj) < 0)
		return PB_ESTIMATE_ERR_RANGE;
	return set_figures(&steady_s, proj, q, out);
}
