/* An account's month: its rows folded into totals and daily series, then its figures and estimates written. */
#include "account.h"

#include <stdlib.h>
#include <string.h>

#include "currency.h"
#include "date.h"
#include "estimate.h"
#include "exitcode.h"

#include "banned.h"

int pb_agg_account_start(struct pb_agg_account *a, const char *alias, const char *currency, const char *markup,
			 struct pb_buf *err)
{
	int v;

	for (v = 0; v < PB_NVENDORS; v++) {
		struct pb_agg_total *t = a->v[v].totals;
		struct pb_agg_part *parts = a->v[v].parts;
		size_t alloc = a->v[v].alloc, parts_alloc = a->v[v].parts_alloc;

		memset(&a->v[v], 0, sizeof(a->v[v]));
		a->v[v].totals = t;
		a->v[v].alloc = alloc;
		a->v[v].parts = parts;
		a->v[v].parts_alloc = parts_alloc;
	}
	snprintf(a->alias, sizeof(a->alias), "%s", alias);
	snprintf(a->currency, sizeof(a->currency), "%s", currency);
	a->minor_unit = pb_currency_minor_unit(currency, strlen(currency));
	snprintf(a->markup_text, sizeof(a->markup_text), "%s", markup);
	if (a->minor_unit < 0 || pb_decimal_parse(markup, strlen(markup), &a->markup, NULL) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "account %s: bad invoice currency '%s' or markup '%s'", alias, currency, markup);
		return PB_ERR_DATA;
	}
	return 0;
}

void pb_agg_account_release(struct pb_agg_account *a)
{
	int v;

	for (v = 0; v < PB_NVENDORS; v++) {
		free(a->v[v].totals);
		free(a->v[v].parts);
	}
	memset(a, 0, sizeof(*a));
}

/* The total of (category, currency), made when new; NULL when memory cannot be had. */
static struct pb_agg_total *total_of(struct pb_agg_series *s, const char *category, const char *currency)
{
	size_t i;

	for (i = 0; i < s->ntotals; i++)
		if (strcmp(s->totals[i].category, category) == 0 && strcmp(s->totals[i].currency, currency) == 0)
			return &s->totals[i];
	if (s->ntotals == s->alloc) {
		size_t alloc = s->alloc ? s->alloc * 2 : 8;
		struct pb_agg_total *t = realloc(s->totals, alloc * sizeof(*t));

		if (!t)
			return NULL;
		s->totals = t;
		s->alloc = alloc;
	}
	memset(&s->totals[s->ntotals], 0, sizeof(s->totals[0]));
	snprintf(s->totals[s->ntotals].category, sizeof(s->totals[0].category), "%s", category);
	snprintf(s->totals[s->ntotals].currency, sizeof(s->totals[0].currency), "%s", currency);
	return &s->totals[s->ntotals++];
}

/* The part of a link's days from .. to - 1, made when new; NULL when memory cannot be had. */
static struct pb_agg_part *part_of(struct pb_agg_series *s, int32_t from, int32_t to)
{
	size_t i;

	for (i = 0; i < s->nparts; i++)
		if (s->parts[i].from == from && s->parts[i].to == to)
			return &s->parts[i];
	if (s->nparts == s->parts_alloc) {
		size_t alloc = s->parts_alloc ? s->parts_alloc * 2 : 2;
		struct pb_agg_part *p = realloc(s->parts, alloc * sizeof(*p));

		if (!p)
			return NULL;
		s->parts = p;
		s->parts_alloc = alloc;
	}
	memset(&s->parts[s->nparts], 0, sizeof(s->parts[0]));
	s->parts[s->nparts].from = from;
	s->parts[s->nparts].to = to;
	return &s->parts[s->nparts++];
}

static int range_error(struct pb_buf *err, const char *alias)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "account %s: a sum leaves the range of amounts", alias);
	return PB_ERR_DATA;
}

/* The index of day in the daily series: days older than the history count on its first day. */
static size_t day_index(const struct pb_agg_context *ctx, int32_t day)
{
	return day < ctx->first_day ? 0 : (size_t)(day - ctx->first_day);
}

int pb_agg_account_add(const struct pb_agg_context *ctx, struct pb_agg_account *a, const struct pb_agg_row *r,
		       struct pb_buf *err)
{
	struct pb_agg_series *s = &a->v[r->vendor];
	struct pb_agg_total *t = total_of(s, r->category, r->currency);
	pb_money converted, *slot;
	size_t d = day_index(ctx, r->day);
	int rc;

	if (!t) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return PB_ERR_DATA;
	}
	if (pb_money_add(t->amount, r->amount, &t->amount) < 0 || pb_money_add(t->billed, r->billed, &t->billed) < 0)
		return range_error(err, a->alias);
	t->lines += r->lines;
	t->no_list += r->no_list;
	rc = pb_rates_convert(ctx->rates, r->currency, a->currency, r->amount, &converted, err);
	if (rc < 0)
		return rc;
	/* Usage of the month is the recurring series; everything else, and late usage of earlier days, is one-off. */
	slot = strcmp(r->category, "Usage") == 0 && r->day >= ctx->month ? &s->usage[d] : &s->one_off[d];
	if (pb_money_add(*slot, converted, slot) < 0)
		return range_error(err, a->alias);
	if (slot == &s->usage[d] && r->link_to > r->link_from) {
		struct pb_agg_part *p = part_of(s, r->link_from, r->link_to);

		if (!p) {
			pb_buf_reset(err);
			pb_buf_addstr(err, "out of memory");
			return PB_ERR_DATA;
		}
		if (pb_money_add(p->usage[d], converted, &p->usage[d]) < 0)
			return range_error(err, a->alias);
	}
	s->in_run[d] = 1;
	s->present = 1;
	return 0;
}

void pb_agg_account_history(const struct pb_agg_context *ctx, struct pb_agg_account *a, int vendor, int32_t day,
			    pb_money usage)
{
	if (day >= ctx->first_day && day < ctx->month)
		a->v[vendor].usage[day - ctx->first_day] = usage;
}

/* One vendor's month to date in the invoice currency: each currency's total converted once. */
static int month_to_date(const struct pb_agg_context *ctx, const struct pb_agg_account *a, int v, pb_money *out,
			 struct pb_buf *err)
{
	const struct pb_agg_series *s = &a->v[v];
	size_t i, j;

	*out = PB_MONEY_ZERO;
	for (i = 0; i < s->ntotals; i++) {
		pb_money sum = PB_MONEY_ZERO, c;
		int first = 1;

		for (j = 0; j < i && first; j++)
			first = strcmp(s->totals[j].currency, s->totals[i].currency) != 0;
		if (!first)
			continue;
		for (j = i; j < s->ntotals; j++)
			if (strcmp(s->totals[j].currency, s->totals[i].currency) == 0 &&
			    pb_money_add(sum, s->totals[j].amount, &sum) < 0)
				return range_error(err, a->alias);
		if (pb_rates_convert(ctx->rates, s->totals[i].currency, a->currency, sum, &c, err) < 0)
			return PB_ERR_DATA;
		if (pb_money_add(*out, c, out) < 0)
			return range_error(err, a->alias);
	}
	return 0;
}

static void add_money(FILE *f, pb_money m, int tab)
{
	char s[PB_MONEY_STRMAX];

	pb_money_format_canonical(m, s);
	fprintf(f, "%s%s", tab ? "\t" : "", s);
}

/* An estimate with exactly the currency's decimals (it is rounded to them already). */
static void add_minor(FILE *f, pb_money m, int minor)
{
	char s[PB_MONEY_STRMAX];

	if (pb_money_format(m, minor, s) < 0)
		pb_money_format_canonical(m, s);
	fprintf(f, "\t%s", s);
}

/* The markup or discount: month to date x percent / 100, rounded half-to-even to 18 places once. */
static int markup_of(const struct pb_agg_account *a, pb_money mtd, pb_money *out, struct pb_buf *err)
{
	struct pb_decimal f[2];

	f[0] = pb_decimal_from_money(mtd);
	f[1] = a->markup;
	if (pb_decimal_product(f, 2, 100, out, NULL) < 0)
		return range_error(err, a->alias);
	return 0;
}

/*
 * The estimate of a recurring series (history and month) and its one-off charges, with the month to date; the
 * parts (links that start or end within the month) are those of the vendors v of the account with only[v] set.
 */
static int estimate_of(const struct pb_agg_context *ctx, const struct pb_agg_account *a, const pb_money *usage,
		       const pb_money *one_off, const int *only, struct pb_agg_figures *fig, struct pb_buf *err)
{
	struct pb_estimate_series s;
	struct pb_estimate_part *parts = NULL;
	size_t nparts = 0, i;
	int32_t through = ctx->as_of, d;
	int v, rc = 0;

	memset(&s, 0, sizeof(s));
	s.month_to_date = fig->mtd;
	/*
	 * The days after the last complete one hold part of a day's usage (exports lag): the series ends at the
	 * last complete day, so that a partial day is not read as a drop, and their usage leaves the month to date
	 * the estimator adds its projection to (the projection covers those days in full; their one-off charges
	 * stay counted as they stand). When even the month's first day is partial, the series ends the day before
	 * the month, and the whole month is projected.
	 */
	if (!fig->final && fig->complete_through && fig->complete_through < ctx->as_of)
		through = fig->complete_through < ctx->month ? ctx->month - 1 : fig->complete_through;
	for (d = through + 1; d <= ctx->as_of; d++)
		if (pb_money_sub(s.month_to_date, usage[d - ctx->first_day], &s.month_to_date) < 0 ||
		    pb_money_add(s.partial, usage[d - ctx->first_day], &s.partial) < 0)
			return range_error(err, a->alias);
	for (v = 0; v < PB_NVENDORS; v++)
		if (only[v])
			nparts += a->v[v].nparts;
	if (nparts && !fig->final) {
		parts = calloc(nparts, sizeof(*parts));
		if (!parts) {
			pb_buf_reset(err);
			pb_buf_addstr(err, "out of memory");
			return PB_ERR_DATA;
		}
		nparts = 0;
		for (v = 0; v < PB_NVENDORS; v++) {
			for (i = 0; only[v] && i < a->v[v].nparts; i++) {
				const struct pb_agg_part *p = &a->v[v].parts[i];

				parts[nparts].from = p->from;
				parts[nparts].to = p->to;
				parts[nparts].recurring = p->usage;
				for (d = through + 1; d <= ctx->as_of && rc == 0; d++)
					if (pb_money_add(parts[nparts].partial, p->usage[d - ctx->first_day],
							 &parts[nparts].partial) < 0)
						rc = range_error(err, a->alias);
				nparts++;
			}
		}
	} else {
		nparts = 0;
	}
	s.month_start = ctx->month;
	s.as_of = through;
	s.first_day = ctx->first_day;
	s.ndays = (size_t)(through - ctx->first_day + 1);
	s.recurring = usage;
	s.oneoff = one_off;
	s.parts = parts;
	s.nparts = nparts;
	s.final = fig->final;
	s.minor_unit = a->minor_unit;
	if (rc == 0 && pb_estimate_compute(&s, &fig->est) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "account %s: the estimate of %s failed", a->alias, fig->vendor);
		rc = PB_ERR_DATA;
	}
	free(parts);
	return rc;
}

static void write_figures(struct pb_agg_context *ctx, const struct pb_agg_account *a, const struct pb_agg_figures *f)
{
	char day[11], month[11], as_of[11];

	fprintf(ctx->accounts, "%s\t%s\t%s\t%s", ctx->run_id, a->alias, f->vendor, a->currency);
	add_money(ctx->accounts, f->mtd, 1);
	fprintf(ctx->accounts, "\t%s", a->markup_text);
	add_money(ctx->accounts, f->markup, 1);
	add_minor(ctx->accounts, f->est.estimate, a->minor_unit);
	add_minor(ctx->accounts, f->est.low80, a->minor_unit);
	add_minor(ctx->accounts, f->est.high80, a->minor_unit);
	add_minor(ctx->accounts, f->est.low90, a->minor_unit);
	add_minor(ctx->accounts, f->est.high90, a->minor_unit);
	if (f->complete_through)
		pb_date_format(f->complete_through, day);
	fprintf(ctx->accounts, "\t%s\t%s\t%s\n", f->est.method, f->complete_through ? day : "\\N",
		f->final ? "t" : "f");
	pb_date_format(ctx->month, month);
	pb_date_format(ctx->as_of, as_of);
	fprintf(ctx->history, "%s\t%s\t%s\t%s\t%s\t%s", ctx->run_id, month, a->alias, f->vendor, as_of, a->currency);
	add_money(ctx->history, f->mtd, 1);
	add_minor(ctx->history, f->est.estimate, a->minor_unit);
	add_minor(ctx->history, f->est.low80, a->minor_unit);
	add_minor(ctx->history, f->est.high80, a->minor_unit);
	add_minor(ctx->history, f->est.low90, a->minor_unit);
	add_minor(ctx->history, f->est.high90, a->minor_unit);
	fprintf(ctx->history, "\t%s\n", f->est.method);
}

static void write_totals(struct pb_agg_context *ctx, const struct pb_agg_account *a, int v)
{
	const struct pb_agg_series *s = &a->v[v];
	size_t i;

	for (i = 0; i < s->ntotals; i++) {
		const struct pb_agg_total *t = &s->totals[i];

		fprintf(ctx->totals, "%s\t%s\t%s\t%s\t%s", ctx->run_id, a->alias, pb_vendor_names[v], t->category,
			t->currency);
		add_money(ctx->totals, t->amount, 1);
		add_money(ctx->totals, t->billed, 1);
		fprintf(ctx->totals, "\t%llu\t%llu\n", (unsigned long long)t->lines, (unsigned long long)t->no_list);
		ctx->no_list_lines += t->no_list;
	}
}

static void write_daily(struct pb_agg_context *ctx, const struct pb_agg_account *a, int v)
{
	const struct pb_agg_series *s = &a->v[v];
	char day[11];
	int32_t d;

	for (d = 0; d <= ctx->as_of - ctx->first_day; d++) {
		if (!s->in_run[d])
			continue;
		pb_date_format(ctx->first_day + d, day);
		fprintf(ctx->daily, "%s\t%s\t%s\t%s", ctx->run_id, a->alias, pb_vendor_names[v], day);
		/* A day before the month holds late charges of this run (one-offs) and the history's usage, not its. */
		add_money(ctx->daily, ctx->first_day + d < ctx->month ? PB_MONEY_ZERO : s->usage[d], 1);
		add_money(ctx->daily, s->one_off[d], 1);
		fputc('\n', ctx->daily);
	}
}

static int cmp_alias(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether alias is linked to a vendor that has no import in the month (see pb_agg_context.unserved). */
static int unserved(const struct pb_agg_context *ctx, const char *alias)
{
	int v;

	for (v = 0; v < PB_NVENDORS; v++)
		if (ctx->nunserved[v] &&
		    bsearch(&alias, ctx->unserved[v], ctx->nunserved[v], sizeof(char *), cmp_alias))
			return 1;
	return 0;
}

/* Every vendor together: the sums of the vendors' series and figures. */
/* Whether the vendors' data end on different days (or one is final and another not). */
static int apart(const struct pb_agg_account *a, const struct pb_agg_figures *vf)
{
	int v, first = -1;

	for (v = 0; v < PB_NVENDORS; v++) {
		if (!a->v[v].present)
			continue;
		if (first < 0)
			first = v;
		else if (vf[v].complete_through != vf[first].complete_through || vf[v].final != vf[first].final)
			return 1;
	}
	return 0;
}

/*
 * The vendors' estimates and intervals added up (the intervals as wide as the vendors' together). Returns 0, or
 * -1 when a sum leaves the range of amounts.
 */
static int sum_estimates(const struct pb_agg_account *a, const struct pb_agg_figures *vf, struct pb_estimate *out)
{
	int v;

	memset(out, 0, sizeof(*out));
	out->method = "vendors";
	for (v = 0; v < PB_NVENDORS; v++)
		if (a->v[v].present && (pb_money_add(out->estimate, vf[v].est.estimate, &out->estimate) < 0 ||
					pb_money_add(out->low80, vf[v].est.low80, &out->low80) < 0 ||
					pb_money_add(out->high80, vf[v].est.high80, &out->high80) < 0 ||
					pb_money_add(out->low90, vf[v].est.low90, &out->low90) < 0 ||
					pb_money_add(out->high90, vf[v].est.high90, &out->high90) < 0))
			return -1;
	return 0;
}

/*
 * The figures for all vendors together. The series of every vendor added up is projected as one when their data
 * end on the same day; when they do not (an export that lags, one vendor's month final), cutting them all at the
 * earliest day would leave out the later vendor's complete days and project the month from the earlier one's few:
 * the figures are then the sum of the vendors' own.
 */
static int all_vendors(const struct pb_agg_context *ctx, const struct pb_agg_account *a,
		       const struct pb_agg_figures *vf, struct pb_agg_figures *all, struct pb_buf *err)
{
	pb_money usage[PB_AGG_MAX_DAYS], one_off[PB_AGG_MAX_DAYS];
	int v;
	size_t d;

	memset(usage, 0, sizeof(usage));
	memset(one_off, 0, sizeof(one_off));
	all->vendor = "all";
	all->final = !unserved(ctx, a->alias);
	for (v = 0; v < PB_NVENDORS; v++) {
		for (d = 0; d < PB_AGG_MAX_DAYS; d++)
			if (pb_money_add(usage[d], a->v[v].usage[d], &usage[d]) < 0 ||
			    pb_money_add(one_off[d], a->v[v].one_off[d], &one_off[d]) < 0)
				return range_error(err, a->alias);
		if (!a->v[v].present)
			continue;
		if (pb_money_add(all->mtd, vf[v].mtd, &all->mtd) < 0 ||
		    pb_money_add(all->markup, vf[v].markup, &all->markup) < 0)
			return range_error(err, a->alias);
		all->final &= vf[v].final;
		if (vf[v].complete_through &&
		    (!all->complete_through || vf[v].complete_through < all->complete_through))
			all->complete_through = vf[v].complete_through;
	}
	if (!apart(a, vf)) {
		int every[PB_NVENDORS];

		for (v = 0; v < PB_NVENDORS; v++)
			every[v] = 1;
		if (estimate_of(ctx, a, usage, one_off, every, all, err) < 0)
			return PB_ERR_DATA;
	} else if (sum_estimates(a, vf, &all->est) < 0) {
		return range_error(err, a->alias);
	}
	return 0;
}

int pb_agg_account_estimate(const struct pb_agg_context *ctx, struct pb_agg_account *a, struct pb_buf *err)
{
	struct pb_agg_figures *f = a->fig;
	int v;

	memset(a->fig, 0, sizeof(a->fig));
	for (v = 0; v < PB_NVENDORS; v++) {
		int only[PB_NVENDORS] = {0};

		if (!a->v[v].present)
			continue;
		only[v] = 1;
		f[v].vendor = pb_vendor_names[v];
		f[v].complete_through = ctx->complete_through[v];
		f[v].final = ctx->final[v];
		if (month_to_date(ctx, a, v, &f[v].mtd, err) < 0 || markup_of(a, f[v].mtd, &f[v].markup, err) < 0 ||
		    estimate_of(ctx, a, a->v[v].usage, a->v[v].one_off, only, &f[v], err) < 0)
			return PB_ERR_DATA;
	}
	return all_vendors(ctx, a, f, &f[PB_NVENDORS], err);
}

void pb_agg_account_write(struct pb_agg_context *ctx, const struct pb_agg_account *a)
{
	int v;

	for (v = 0; v < PB_NVENDORS; v++) {
		if (!a->v[v].present)
			continue;
		write_totals(ctx, a, v);
		write_figures(ctx, a, &a->fig[v]);
		write_daily(ctx, a, v);
	}
	ctx->naccounts++;
	write_figures(ctx, a, &a->fig[PB_NVENDORS]);
}

int pb_agg_account_finish(struct pb_agg_context *ctx, struct pb_agg_account *a, struct pb_buf *err)
{
	int rc = pb_agg_account_estimate(ctx, a, err);

	if (rc == 0)
		pb_agg_account_write(ctx, a);
	return rc;
}
