/* The invoice files invoicing imports: the lines (schemas/invoice_csv.md) and the detail of each line. */
#ifndef PB_INVOICE_EXPORT_H
#define PB_INVOICE_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "buf.h"
#include "lines.h"
#include "sha256.h"

/*
 * Where a file's bytes go as they are made: f (NULL: nowhere, the SHA-256 alone), and their SHA-256. name
 * (the file's path, or "standard output"; NULL for a temporary file in pb_tmpdir()) is what a failed write
 * names. Start it with sha at PB_SHA256_INIT.
 */
struct pb_inv_sink {
	FILE *f;
	const char *name;
	struct pb_sha256 sha;
};

/*
 * Writes what b holds to s (and into its SHA-256) and empties b. Returns 0, or PB_ERR_DEPENDENCY with "cannot
 * write 'NAME': why" (a temporary file: "cannot write a temporary file in 'DIR': why") in err (also when an
 * append to b failed: out of memory).
 */
int pb_inv_sink_write(struct pb_inv_sink *s, struct pb_buf *b, struct pb_buf *err);

/*
 * The export CSV of the lines, a row at a time: RFC 4180, UTF-8, a header row, ISO dates, amounts with exactly the
 * currency's decimals, text that a spreadsheet would take for a formula neutralized. No timestamp: the same lines
 * give the same bytes. pb_inv_export_header appends the header row to out, pb_inv_export_row line l, number n.
 */
void pb_inv_export_header(struct pb_buf *out);
void pb_inv_export_row(const char *number, int32_t month, const struct pb_inv_line *l, size_t n, struct pb_buf *out);

/*
 * Writes the detail CSV to out: per account, vendor, service and charge category of the aggregate run run_id, in
 * the source currency (exact) and converted to the invoice currency, with the number of the account's line among
 * the lines stored in table (as pb_inv_read takes it) under invoice_id. Read with a cursor in the caller's
 * transaction and written a batch at a time. With check, also that each account's rows of a vendor add up to the
 * run's exact figure of them, as it converted them: PB_ERR_REFUSED when not (the month's rates changed since the
 * run). Returns 0, PB_ERR_DATA (a missing rate) or PB_ERR_DEPENDENCY (also a write that failed).
 */
int pb_inv_detail_csv(PGconn *conn, const char *number, int32_t month, const char *run_id, const char *table,
		      const char *invoice_id, int check, struct pb_inv_sink *out, struct pb_buf *err);

/* Appends s as a CSV field, with a leading ' when it starts with = + - @ or a tab or CR. */
void pb_inv_csv_text(struct pb_buf *out, const char *s);

#endif
