/* The month as a FinOps FOCUS 1.2 cost and usage dataset, from the customer's side. */
#ifndef PB_INVOICE_FOCUS_H
#define PB_INVOICE_FOCUS_H

#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"

/*
 * Writes path (atomically): the daily rows of the month's current aggregate run (made with --detail) per
 * CLC account, partner account, day, service, region and charge category, with every column FOCUS 1.2 marks
 * Mandatory plus RegionId, SubAccountId and Tags. The reseller is the provider and invoice issuer, the
 * partner the publisher, the CLC account the billing account, the partner account the sub-account.
 * categories is the service category mapping (NULL: $PB_SERVICE_CATEGORIES, else
 * config/service-categories.conf). Returns 0, or a PB_ERR_* class with err set.
 */
int pb_inv_focus(PGconn *conn, int32_t month, const char *path, const char *categories, struct pb_buf *err);

#endif
