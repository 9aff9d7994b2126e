/* What pb-aggregate prints: the run's summary and reconciliation, the accounts CSV, the buckets, the runs. */
#ifndef PB_AGGREGATE_REPORT_H
#define PB_AGGREGATE_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "buf.h"

/*
 * The run's summary on out (NULL: as messages of the program's log, when stdout holds what else was asked),
 * then the reconciliation per currency, the price list loads that gave list costs and the usage left without
 * one per partner account; as warnings of the log, one per non-empty bucket, and one per source (not final)
 * complete through a day more than stale_after days before the run's as-of day. Returns the number of
 * non-empty buckets (unmapped, ineligible), or PB_ERR_DEPENDENCY.
 */
int pb_agg_report_run(PGconn *conn, long long run_id, int stale_after, FILE *out, struct pb_buf *err);

/*
 * Run run_id (0: the month's current run; a run just made passes its own id, as another run of the month may
 * have become current since), one CSV row per CLC account and vendor: alias, vendor, currency,
 * month_to_date, estimate, low80, high80, low90, high90, complete_through, final. Returns 0,
 * PB_ERR_DATA when the month has no run, or PB_ERR_DEPENDENCY.
 */
int pb_agg_report_csv(PGconn *conn, int32_t month, long long run_id, FILE *out, struct pb_buf *err);

/*
 * The buckets of run run_id (0: the month's current run) as CSV: bucket, vendor, partner_account_id, alias, reason,
 * currency, list, billed, line_count. Returns as pb_agg_report_csv.
 */
int pb_agg_report_buckets(PGconn *conn, int32_t month, long long run_id, FILE *out, struct pb_buf *err);

/*
 * The usage run run_id (0: the month's current run) bills at its billed cost because neither its export nor a price
 * list gave it a list price, as CSV: vendor, partner_account_id, alias, currency, line_count, billed. Returns as
 * pb_agg_report_csv.
 */
int pb_agg_report_no_list(PGconn *conn, int32_t month, long long run_id, FILE *out, struct pb_buf *err);

/* The runs (of *month only, every month's when month is NULL), as an aligned table. Returns 0 or PB_ERR_DEPENDENCY. */
int pb_agg_report_history(PGconn *conn, const int32_t *month, FILE *out, struct pb_buf *err);

#endif
