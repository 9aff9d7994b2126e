/* Whether a month's data covers every vendor that CLC accounts are linked to in it. */
#ifndef PB_COVERAGE_H
#define PB_COVERAGE_H

#include <libpq-fe.h>

#include "buf.h"

/*
 * The vendors that CLC accounts have links to during month (its first day, YYYY-MM-DD) but that have no source
 * (import) in the month's aggregate run run_id. Appends to out, per vendor and separated by "; ": "no azure
 * import, though ACME1 has azure links in the month" (at most five aliases named, then "and N more"). Any
 * import of the vendor counts, whatever partner accounts it holds. Returns the number of such vendors, or -1
 * with err set.
 */
int pb_missing_vendors(PGconn *conn, const char *month, const char *run_id, struct pb_buf *out, struct pb_buf *err);

#endif
