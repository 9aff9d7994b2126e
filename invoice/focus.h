/* The month as a FinOps FOCUS 1.2 cost and usage dataset, from the customer's side. */
#ifndef PB_INVOICE_FOCUS_H
#define PB_INVOICE_FOCUS_H

#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"

/* The service categories FOCUS's ServiceCategory is read from: the rules of one file, in its order. */
struct pb_inv_category_rule;
struct pb_inv_categories {
	struct pb_inv_category_rule *r;
	size_t n;
	char *shown;	 /* the file, as messages show it */
	char sha256[65]; /* of its text: what an issued month's dataset was made with */
};

/*
 * Reads the service categories from $PB_SERVICE_CATEGORIES, else service-categories.conf (see pb_conf_find).
 * Returns 0, or a PB_ERR_* class with err set (the file, line and column) and c left empty.
 */
int pb_inv_categories_load(struct pb_inv_categories *c, struct pb_buf *err);

/* Frees what c holds (its rules and file name) and leaves it empty, as pb_inv_categories_load may fill it again. */
void pb_inv_categories_release(struct pb_inv_categories *c);

/*
 * Writes path (atomically): the daily rows of the month's aggregate run (made with --detail; once the month is
 * issued, the run its invoice billed) per CLC account, partner account, day, service, region and charge
 * category, with every column FOCUS 1.2 marks Mandatory plus RegionId, SubAccountId and Tags. The reseller is
 * the provider and invoice issuer, the partner the publisher, the CLC account the billing account, the partner
 * account the sub-account; each service's category from cats. A run older than a rate it converts with is refused. Of
 * an issued month, the first dataset written is kept (its SHA-256 stored, with by): one that is not those bytes is
 * refused, path untouched. Returns 0, or a PB_ERR_* class with err set.
 */
int pb_inv_focus(PGconn *conn, int32_t month, const struct pb_inv_categories *cats, const char *path, const char *by,
		 struct pb_buf *err);

#endif
