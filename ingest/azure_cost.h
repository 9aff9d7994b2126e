/* Azure cost-details exports (EA, MCA and CSP partner schemas) to normalized lines. */
#ifndef PB_AZURE_COST_H
#define PB_AZURE_COST_H

#include <stdint.h>

#include "buf.h"
#include "csv.h"
#include "format.h"
#include "reduce.h"

enum {
	AZ_TENANT,
	AZ_SUBSCRIPTION,
	AZ_DATE,
	AZ_BILL_START,
	AZ_SERVICE_PERIOD,
	AZ_TYPE,
	AZ_CURRENCY,
	AZ_BILLED,
	AZ_PAYG_COST,
	AZ_PAYG_PRICE,
	AZ_QUANTITY,
	AZ_RATE,
	AZ_PUBLISHER_TYPE,
	AZ_PRICING_MODEL,
	AZ_SERVICE,
	AZ_REGION,
	AZ_SUB_NAME,
	AZ_CUSTOMER_NAME,
	AZ_TAGS,
	/* What a line without a list price is priced by, from the price lists (see pb_price_ref). */
	AZ_METER_ID,
	AZ_UNIT,
	AZ_METER_REGION,
	AZ_LOCATION,
	AZ_PRICING_CURRENCY,
	AZ_NCOLS
};

/* Per-file state: where the columns are, and the last texts seen, since lines repeat them. */
struct pb_azure_cost {
	/* Every candidate column found, in order of preference (-1 after the last): alt[k][0] is the column. */
	long alt[AZ_NCOLS][PB_MAX_ALT];
	char name[AZ_NCOLS][48]; /* each bound column's header, as the file spells it, for messages */
	int csp;		 /* customerTenantId present: the partner account is the customer's tenant */
	char last_date[40], last_bill[40], last_type[24];
	size_t last_date_len, last_bill_len, last_type_len; /* last_type: a known type only */
	const char *last_category;
	char account[40];      /* the current line's account, when it had to be lowercased */
	char charge_type[256]; /* the current line's ChargeType/PricingModel (255 bytes at most: else refused) */
	int32_t last_date_day, last_bill_month;
	long month_field; /* the column the current line's billing month came from */
};

/*
 * Finds the columns in the header record (names matched case-insensitively). 0, or -1 with err set (and
 * *field at a duplicate column).
 */
int pb_azure_cost_bind(struct pb_azure_cost *a, const struct pb_csv *c, struct pb_buf *err, size_t *field);

/* Converts the current record. 0, or -1 with the reason in err and the offending field's index in *field. */
int pb_azure_cost_row(struct pb_azure_cost *a, struct pb_format_stats *st, const struct pb_csv *c, struct pb_usage *u,
		      struct pb_buf *err, size_t *field);

/* Writes the indexes of every column read into cols (AZ_NCOLS * PB_MAX_ALT room); returns the count. */
size_t pb_azure_cost_columns(const struct pb_azure_cost *a, size_t *cols);

/* FOCUS ChargeCategory for an Azure ChargeType (any case), or NULL when the type is unknown. */
const char *pb_azure_category(const char *type, size_t len);

#endif
