/* Importing CLC accounts, or links of partner accounts to them, from a CSV file: every row or none. */
#ifndef PB_IMPORT_H
#define PB_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"

/*
 * Called with each bad row when more than one may be reported: the position (line and column from 1) and what
 * is wrong, arg as given.
 */
typedef void pb_import_report_fn(void *arg, uint64_t line, uint32_t col, const char *what);

/*
 * Inserts the accounts of the CSV file at path ("-": standard input) in one transaction, recording by.
 * Columns are found by their header names (pb.clc_account's column names, any case, in any order:
 * alias, name and billing_country are required, unknown names are errors). A reseller must come before
 * the accounts that name it as parent_reseller, or be in the database already; an alias may appear on
 * one row only (a second names the line of the first). An account stored already that holds the row's values, in
 * each column the file has (compared as pb_account_set normalizes them), is left as it is and counted in
 * *unchanged, not in *count; one that holds other values is refused as existing. Every field must be UTF-8
 * without NUL bytes (a UTF-16 file is named as such), no record longer than 64 KiB; a regular file that changed
 * while it was read (its size or time of modification when its end is read) is bad data. Returns 0 with the count
 * in *count; PB_ERR_DATA with what is wrong in err and where in *line and *col (the first bad row's
 * field; 0 when the error is not in the file's text, such as a file that cannot be opened), nothing
 * inserted; or PB_ERR_DEPENDENCY.
 * With max_errors above 1, up to max_errors bad rows are given to report (in the file's order; a row after
 * a bad one is checked as if the bad one were not in the file) and PB_ERR_DATA is returned with err empty
 * when they were all reported so (a record of the wrong number of fields or with a stray quote among them); an
 * error that leaves the rest unreadable (a quote never closed, a record too long, damaged gzip) is returned in err
 * as above, after the bad rows before it.
 */
int pb_import_accounts(PGconn *conn, const char *path, const char *by, long max_errors, pb_import_report_fn *report,
		       void *arg, size_t *count, size_t *unchanged, uint64_t *line, uint32_t *col, struct pb_buf *err);

struct pb_eligibility;

/*
 * Links partner accounts to CLC accounts from the CSV file at path ("-": standard input; gzip told by its
 * first bytes), one link a row, in one transaction, recording by. Columns are found by their header names
 * (any case, in any order): alias, vendor, partner_account_id and from are required, to is optional (empty:
 * open-ended), unknown names are errors. Each row is checked as pb_link_add_eligible checks a link (the
 * account eligible for the vendor under e, the id of the vendor's form, Azure ids kept in lowercase, no
 * overlap with another link of the partner account, one of the file's rows included, which is named by
 * its line). A row that is a link stored already (the same partner account, account, first and last day; the
 * first such row of the file) is left out, unchecked, and counted in *unchanged, not in *count; a link ended since
 * is not the row's, which is refused as overlapping it. Returns 0 with the count in *count; PB_ERR_DATA (bad data) or
 * PB_ERR_REFUSED (a rule) with what is wrong in err and where in *line and *col, as pb_import_accounts; or
 * PB_ERR_DEPENDENCY. Nothing is linked unless every row is. With max_errors above 1, up to max_errors bad rows are
 * given to report, in the file's order, each as it would be the first; each row is checked as if the bad rows before it
 * were not in the file (a row that overlaps only refused rows is not refused for it). Then PB_ERR_DATA when one of them
 * holds bad data, else PB_ERR_REFUSED, with err empty; an error that leaves the rest unreadable is returned in err as
 * pb_import_accounts returns it, after the bad rows before it.
 */
int pb_import_links(PGconn *conn, const struct pb_eligibility *e, const char *path, const char *by, long max_errors,
		    pb_import_report_fn *report, void *arg, size_t *count, size_t *unchanged, uint64_t *line,
		    uint32_t *col, struct pb_buf *err);

#endif
