/*
 * Price lists in CSV: the price sheet a customer downloads from Azure Cost Management (EA or MCA columns),
 * and the AWS Price List offer files (five lines of metadata, then the header; one row per SKU and term).
 * One streaming reader, driven by a table of each format's columns.
 */
#ifndef PB_PRICES_CSVLIST_H
#define PB_PRICES_CSVLIST_H

#include "buf.h"
#include "reader.h"

enum pb_csvlist_kind { PB_CSVLIST_AZURE_SHEET, PB_CSVLIST_AWS_OFFER };

/*
 * Reads the list at path (a file or URL; plain, gzip or ZIP) into the load: each row of the list price term
 * (Azure PriceType Consumption, when the sheet has the column; AWS TermType OnDemand) is a price, the others
 * are counted as skipped. Returns 0, PB_ERR_DATA with "NAME:LINE:COL: what" in err, or PB_ERR_DEPENDENCY when
 * a download failed after its retries.
 */
int pb_csvlist_read(struct pb_price_reader *r, enum pb_csvlist_kind kind, const char *path, struct pb_buf *err);

#endif
