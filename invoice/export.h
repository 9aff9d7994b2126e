/* The invoice files invoicing imports: the lines (schemas/invoice_csv.md) and the detail of each line. */
#ifndef PB_INVOICE_EXPORT_H
#define PB_INVOICE_EXPORT_H

#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"
#include "lines.h"

/*
 * Appends the export CSV of the lines to out: RFC 4180, UTF-8, a header row, ISO dates, amounts with
 * exactly the currency's decimals, text that a spreadsheet would take for a formula neutralized. No
 * timestamp: the same lines give the same bytes.
 */
void pb_inv_export_csv(const char *number, int32_t month, const struct pb_inv_lines *ls, struct pb_buf *out);

/*
 * Appends the detail CSV to out: per account, vendor, service and charge category of the aggregate run
 * run_id, in the source currency (exact) and converted to the invoice currency, with the number of the
 * account's line. With check, also that each account's rows of a vendor add up to the run's exact figure of
 * them, as it converted them: PB_ERR_REFUSED when not (the month's rates changed since the run). Returns 0,
 * PB_ERR_DATA (a missing rate) or PB_ERR_DEPENDENCY.
 */
int pb_inv_detail_csv(PGconn *conn, const char *number, int32_t month, const char *run_id,
		      const struct pb_inv_lines *ls, int check, struct pb_buf *out, struct pb_buf *err);

/* Appends s as a CSV field, with a leading ' when it starts with = + - @ or a tab or CR. */
void pb_inv_csv_text(struct pb_buf *out, const char *s);

#endif
