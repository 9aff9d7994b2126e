/* The month as a FinOps FOCUS 1.2 cost and usage dataset, from the customer's side. */
#ifndef PB_INVOICE_FOCUS_H
#define PB_INVOICE_FOCUS_H

#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"

/*
 * Writes path (atomically): the daily rows of the month's aggregate run (made with --detail; once the month is
 * issued, the run its invoice billed) per CLC account, partner account, day, service, region and charge
 * category, with every column FOCUS 1.2 marks Mandatory plus RegionId, SubAccountId and Tags. The reseller is
 * the provider and invoice issuer, the partner the publisher, the CLC account the billing account, the partner
 * account the sub-account. The service categories from $PB_SERVICE_CATEGORIES, else
 * service-categories.conf (see pb_conf_find). A run older than a rate it converts with is refused. Of an
 * issued month, the first dataset written is kept (its SHA-256 stored, with by): one that is not those bytes
 * is refused, path untouched. Returns 0, or a PB_ERR_* class with err set.
 */
int pb_inv_focus(PGconn *conn, int32_t month, const char *path, const char *by, struct pb_buf *err);

#endif
