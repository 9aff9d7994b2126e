/* One CLC account's month, built from its attributed rows as they stream by: totals, daily series, estimates. */
#ifndef PB_AGGREGATE_ACCOUNT_H
#define PB_AGGREGATE_ACCOUNT_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "eligconf.h"
#include "estimate.h"
#include "money.h"
#include "rates.h"

/* History before the month that the estimator reads, and the longest month. */
#define PB_AGG_HISTORY_DAYS PB_ESTIMATE_HISTORY
#define PB_AGG_MAX_DAYS (PB_AGG_HISTORY_DAYS + 31)

/* What the whole run shares: its dates, the sources' completeness, the rates, and where rows go. */
struct pb_agg_context {
	char run_id[24];
	int32_t month, month_end, as_of, first_day; /* first_day: the first day of history */
	int32_t complete_through[PB_NVENDORS];	    /* 0: the vendor has no source this month */
	int final[PB_NVENDORS];
	/*
	 * Per vendor without any import in the month: the aliases linked to it in the month, sorted bytewise. Their
	 * totals are not final, whatever their other vendors' data: that vendor's charges are missing.
	 */
	char **unserved[PB_NVENDORS];
	size_t nunserved[PB_NVENDORS];
	const struct pb_rates *rates;
	/* COPY text of each table, spilled to files so that memory does not grow with the month. */
	FILE *totals, *accounts, *daily, *history;
	uint64_t no_list_lines;
	long naccounts;
};

/* A charge category's month to date in one currency. */
struct pb_agg_total {
	char category[48], currency[4];
	pb_money amount, billed;
	uint64_t lines, no_list;
};

/* The usage of a link that starts or ends within the month (its days from .. to - 1), in the invoice currency. */
struct pb_agg_part {
	int32_t from, to;
	pb_money usage[PB_AGG_MAX_DAYS];
};

/* One vendor of one account: its totals and its daily series in the invoice currency. */
struct pb_agg_series {
	struct pb_agg_total *totals;
	size_t ntotals, alloc;
	struct pb_agg_part *parts; /* the links of the account that start or end within the month */
	size_t nparts, parts_alloc;
	pb_money usage[PB_AGG_MAX_DAYS], one_off[PB_AGG_MAX_DAYS];
	unsigned char in_run[PB_AGG_MAX_DAYS]; /* the day has rows of this run (not only history) */
	int present;			       /* the account has rows of this vendor this month */
};

/* The figures of one series (a vendor, or every vendor together), made by pb_agg_account_estimate. */
struct pb_agg_figures {
	const char *vendor;
	pb_money mtd, markup;
	struct pb_estimate est;
	int32_t complete_through;
	int final;
};

struct pb_agg_account {
	char alias[16], currency[4];
	struct pb_decimal markup; /* percent */
	char markup_text[48];
	int minor_unit;
	struct pb_agg_series v[PB_NVENDORS];
	struct pb_agg_figures fig[PB_NVENDORS + 1]; /* per vendor, then every vendor together */
};

/* Starts the account alias (invoice currency, markup percent as text) afresh. Returns 0, or PB_ERR_DATA. */
int pb_agg_account_start(struct pb_agg_account *a, const char *alias, const char *currency, const char *markup,
			 struct pb_buf *err);

/* One attributed row: what a charge category in a currency came to on a day, priced already. */
struct pb_agg_row {
	int vendor;
	const char *category, *currency;
	int32_t day;
	pb_money amount, billed;
	uint64_t lines, no_list;
	int32_t link_from, link_to; /* the link's days when it starts or ends within the month, else both 0 */
};

/* Adds a row. Returns 0, or PB_ERR_DATA (a missing conversion rate, a sum out of range) with err set. */
int pb_agg_account_add(const struct pb_agg_context *ctx, struct pb_agg_account *a, const struct pb_agg_row *r,
		       struct pb_buf *err);

/* Adds a day of history (recurring usage in the invoice currency, from an earlier month's run). */
void pb_agg_account_history(const struct pb_agg_context *ctx, struct pb_agg_account *a, int vendor, int32_t day,
			    pb_money usage);

/*
 * Works out the account's figures (month to date, markup, estimates) into a->fig, once all its rows are added.
 * Reads ctx and writes a alone: accounts may be estimated on several threads at once, each its own. Returns 0,
 * or PB_ERR_DATA with err set.
 */
int pb_agg_account_estimate(const struct pb_agg_context *ctx, struct pb_agg_account *a, struct pb_buf *err);

/*
 * Writes the account's rows (totals, per-vendor and all-vendor figures with their estimates, the daily
 * series, the estimate history) to the context's files, after pb_agg_account_estimate.
 */
void pb_agg_account_write(struct pb_agg_context *ctx, const struct pb_agg_account *a);

/* pb_agg_account_estimate, then pb_agg_account_write. Returns 0, or PB_ERR_DATA with err set. */
int pb_agg_account_finish(struct pb_agg_context *ctx, struct pb_agg_account *a, struct pb_buf *err);

void pb_agg_account_release(struct pb_agg_account *a);

#endif
