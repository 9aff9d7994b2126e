/* Drafting, issuing and comparing a month's invoice. */
#ifndef PB_INVOICE_ISSUE_H
#define PB_INVOICE_ISSUE_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "buf.h"

struct pb_inv_options {
	int32_t month;
	const char *by;	    /* who issues it */
	const char *reason; /* --force: why a month whose data is not final is issued; NULL otherwise */
	const char *dir;    /* where the files go (--issue makes it when missing; see pb_inv_issue) */
};

/* Prints the lines the month's invoice would hold now, as the export CSV. Returns 0 or a PB_ERR_* class. */
int pb_inv_draft(PGconn *conn, const struct pb_inv_options *o, FILE *out, struct pb_buf *err);

/*
 * Issues the month's invoice from its current aggregate run (made with --detail, as of the month's last
 * day, every source final unless o->reason): stores the lines, freezes the run, then writes
 * DIR/invoice-YYYY-MM.csv and DIR/invoice-YYYY-MM-detail.csv (temporary file, fsync, rename). An invoice
 * issued already is not touched: its files are written again from what was stored, byte for byte, and it
 * says so on out. o->dir is made when missing once the month's lock is held, and removed again (by
 * pb_atomic_mkdir_end, or on a stop signal) when nothing is written into it. Returns 0, PB_ERR_REFUSED (data not
 * final, a run of the month in progress), PB_ERR_DATA or PB_ERR_DEPENDENCY; err says why.
 */
int pb_inv_issue(PGconn *conn, const struct pb_inv_options *o, FILE *out, struct pb_buf *err);

/*
 * Refuses (PB_ERR_REFUSED, naming the pair) an aggregate run of month (YYYY-MM-DD) made before a rate it
 * converts with was loaded or changed: it converted at the old rate, and what is made from it with the
 * month's rates now (the invoice that freezes them, its detail, the FOCUS dataset) would not be its figures.
 * Returns 0, PB_ERR_REFUSED or PB_ERR_DEPENDENCY, with err set.
 */
int pb_inv_check_rates(PGconn *conn, const char *run_id, const char *month, struct pb_buf *err);

/*
 * Refuses (PB_ERR_REFUSED, naming the import) an aggregate run of month (YYYY-MM-DD) that is not the month's data
 * now: an import of the month committed after it, or one it read superseded since. Returns 0, PB_ERR_REFUSED or
 * PB_ERR_DEPENDENCY, with err set.
 */
int pb_inv_check_imports(PGconn *conn, const char *run_id, const char *month, struct pb_buf *err);

/*
 * What pb_inv_check_imports refuses, as one warning on standard error instead, for what is made of a month's current
 * run before it is issued (a draft, a report, a FOCUS dataset): still wanted, but not what --issue would bill.
 * Returns 0 (warned or not) or PB_ERR_DEPENDENCY.
 */
int pb_inv_warn_out_of_date(PGconn *conn, const char *run_id, const char *month, struct pb_buf *err);

/*
 * Per account, what the month's invoice (and the adjustments since) billed, what the month's current run
 * comes to now, and the difference, as CSV on out. Returns 0, PB_ERR_DATA (not issued) or PB_ERR_DEPENDENCY.
 */
int pb_inv_diff(PGconn *conn, const struct pb_inv_options *o, FILE *out, struct pb_buf *err);

#endif
