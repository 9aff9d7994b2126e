/* One aggregate run of a month: totals, estimates, buckets and the reconciliation, stored in one transaction. */
#ifndef PB_AGGREGATE_RUN_H
#define PB_AGGREGATE_RUN_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "buf.h"
#include "eligconf.h"
#include "money.h"
#include "pricing.h"

struct pb_agg_options {
	int32_t month;	 /* day number of the month's first day */
	int32_t as_of;	 /* the last usage date counted */
	int as_of_today; /* as_of is the default, taken again once the run reads the month */
	const struct pb_pricing *pricing;
	const struct pb_eligibility *eligibility;
	const char *by; /* who runs it, for the run's record */
	int detail;	/* also the amounts per account, vendor, service and category (for an invoice) */
	int threads;	/* worker threads that estimate the accounts (1: none, the estimates between the reads) */
};

/* What a run found, for its summary and warnings. */
struct pb_agg_result {
	long long run_id, superseded;
	long accounts, imports;
	uint64_t unmapped_lines, ineligible_lines, no_list_lines;
};

/*
 * Computes the month as of o->as_of from the committed imports and stores it as the month's current run,
 * in one transaction, holding the month's aggregate lock. With o->as_of_today, the day is the default's once the
 * run's transaction holds the month's daily rows (a run that waited for them across midnight is as of the day it
 * reads them), not o->as_of. Returns 0, PB_ERR_REFUSED (another run of the
 * month holds the lock), PB_ERR_USAGE (with o->as_of_today, a month that has not begun), PB_ERR_DATA (a charge no
 * pricing rule matches, a missing conversion rate, a reconciliation that does not add up), or PB_ERR_DEPENDENCY; err
 * says why.
 */
int pb_aggregate_run(PGconn *conn, const struct pb_agg_options *o, struct pb_agg_result *res, struct pb_buf *err);

/* The day number of the last day of the month whose first day is month. */
int32_t pb_agg_month_end(int32_t month);

/*
 * The default as-of day of a run of month: today (UTC, by the database server's clock, pb_db_today) in the current
 * month, the month's last day for a past one. The machine's clock is not asked: one ahead of the server's would
 * otherwise take the month as over (a run as of its last day) before it ended. Returns 0 with the day in *as_of,
 * PB_ERR_USAGE for a month that has not begun (give --as-of), or PB_ERR_DEPENDENCY; err says why.
 */
int pb_agg_default_as_of(PGconn *conn, int32_t month, int32_t *as_of, struct pb_buf *err);

#endif
