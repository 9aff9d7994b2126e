/* The monthly report: one self-contained HTML file finance can read on screen and on paper. */
#ifndef PB_INVOICE_REPORT_H
#define PB_INVOICE_REPORT_H

#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"

/*
 * Writes path (atomically): the month's invoice lines (issued, or the draft), for the largest accounts a
 * chart of the month to date day by day against each day's estimate with its 90% band (from the estimate
 * history), the unmapped and ineligible spend, and the reconciliation. Inline CSS and SVG only: nothing is
 * fetched, nothing runs. Returns 0, or a PB_ERR_* class with err set.
 */
int pb_inv_report(PGconn *conn, int32_t month, const char *path, struct pb_buf *err);

#endif
