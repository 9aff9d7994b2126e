/* The Partner Center (Microsoft Graph partner billing) reconciliation export, requested and awaited. */
#ifndef PB_PC_EXPORT_H
#define PB_PC_EXPORT_H

#include <stdint.h>

#include "buf.h"
#include "manifest.h"

struct pb_pc_export {
	int32_t month;		    /* the billing month (day number of its first day) */
	const char *invoice;	    /* billed usage of this invoice, or NULL for unbilled usage */
	const char *currency;	    /* unbilled: currencyCode */
	const char *billing_period; /* unbilled: "current" or "last" */
	long timeout_s;		    /* how long the operation may run */
};

/*
 * Gets a token (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET at PB_PC_LOGIN_URL), requests the
 * export at PB_PC_GRAPH_URL, polls the operation (honouring Retry-After; 429 and 5xx retried) and reads
 * its manifest: the blob URLs (rootDirectory/name?sasToken) in m->parts, the eTag in m->assembly_id.
 * The secret and the token go only to https URLs, or plain http to a loopback address (test servers).
 * Returns 0, -2 when the credentials are not set or PB_PC_LOGIN_URL or PB_PC_GRAPH_URL is such a URL, or
 * -1 (err names the URL and what the service said; also when an answer points the token elsewhere), or -3
 * when the manifest's blobCount is not the number of blobs it lists (a data error).
 */
int pb_pc_export_load(struct pb_manifest *m, const struct pb_pc_export *x, struct pb_buf *err);

/* "current" or "last" when month is today's month or the one before, else NULL. */
const char *pb_pc_billing_period(int32_t month, int32_t today);

#endif
