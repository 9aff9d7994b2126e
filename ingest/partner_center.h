/* Partner Center (Microsoft Graph partner billing) reconciliation lines, JSON, to normalized lines. */
#ifndef PB_PARTNER_CENTER_H
#define PB_PARTNER_CENTER_H

#include <stdint.h>

#include "buf.h"
#include "format.h"
#include "jsonl.h"
#include "reduce.h"

/*
 * Converts the current record of j into u (strings borrowed from j). month, when not 0, is the billing
 * month of every line (the export's); else the month of the usage date. account holds the customer id
 * when it had to be lowercased (see pb_azure_id). Returns 0, or -1 with the reason in err and the column
 * in *col.
 */
int pb_partner_center_row(struct pb_format_stats *st, const struct pb_jsonl *j, int32_t month, struct pb_usage *u,
			  char account[40], struct pb_buf *err, uint32_t *col);

#endif
