/* AWS Cost and Usage Reports, legacy (lineItem/UsageAccountId) and 2.0 (line_item_usage_account_id), to normalized
 * lines. */
#ifndef PB_AWS_CUR_H
#define PB_AWS_CUR_H

#include <stdint.h>

#include "buf.h"
#include "csv.h"
#include "format.h"
#include "reduce.h"

/* The columns read; those up to CUR_BILLED are required. */
enum {
	CUR_BILL_START,
	CUR_ACCOUNT,
	CUR_TYPE,
	CUR_USAGE_START,
	CUR_CURRENCY,
	CUR_BILLED,
	CUR_LIST,
	CUR_SERVICE,
	CUR_REGION,
	CUR_INVOICE,
	CUR_ACCOUNT_NAME,
	CUR_TAGS,
	/* What a line without pricing columns is priced by, from the price lists (see pb_price_ref). */
	CUR_SKU,
	CUR_PRICING_UNIT,
	CUR_REGION_CODE,
	CUR_USAGE_AMOUNT,
	CUR_USAGE_TYPE,
	CUR_OPERATION,
	/* What tells a Fee or Refund of a reservation or Savings Plan from any other (see pb_aws_cur_row). */
	CUR_RESERVATION_ARN,
	CUR_SAVINGS_PLAN_ARN,
	CUR_NCOLS
};

/*
 * Legacy reports' resourceTags/KEY columns read (the rest are left), and the room for their keys as CUR 2.0
 * names them in resource_tags ("resourceTags/user:CostCenter" is user_cost_center).
 */
#define CUR_MAX_TAGS 512
#define CUR_TAG_NAMES 32768

/* Per-file state: where the columns are, and what was noticed along the way. */
struct pb_aws_cur {
	/*
	 * Every candidate column found, in order of preference (-1 after the last): alt[k][0] is the
	 * column's field, or -1; for service and region the first non-empty one wins per line.
	 */
	long alt[CUR_NCOLS][PB_MAX_ALT];
	int cur2;
	/* Legacy resourceTags/ columns: their fields, and their keys (offsets into tag_names, each ended by NUL). */
	size_t ntags;
	uint32_t tag_field[CUR_MAX_TAGS];
	uint32_t tag_name[CUR_MAX_TAGS];
	char tag_names[CUR_TAG_NAMES];
	/* The last billing period text seen and its month, since every line repeats it. */
	char last_bill[40];
	size_t last_bill_len;
	int32_t last_bill_month;
};

/*
 * Finds the columns in the header record c (names matched case-insensitively). Returns 0, or -1 with
 * "missing required column 'lineItem/UnblendedCost'" (or a duplicate column, *field set to it) in err.
 */
int pb_aws_cur_bind(struct pb_aws_cur *a, const struct pb_csv *c, struct pb_buf *err, size_t *field);

/*
 * Converts the current record of c into u (strings borrowed from c). Returns 0, or -1 with the reason in
 * err and the offending field's index in *field.
 */
int pb_aws_cur_row(struct pb_aws_cur *a, struct pb_format_stats *st, const struct pb_csv *c, struct pb_usage *u,
		   struct pb_buf *err, size_t *field);

/*
 * The tags of the current record of a legacy report, as the flat JSON object CUR 2.0 writes in
 * resource_tags: {"user_cost_center":"cc-1004",...}, empty values left out. Columns whose keys differ only
 * in case (user:Env, user:env) share that key: each value is given once, several when they differ. Returns
 * 0, or -1 when memory cannot be had.
 */
int pb_aws_cur_legacy_tags(const struct pb_aws_cur *a, const struct pb_csv *c, struct pb_buf *out);

/*
 * Writes the indexes of every column this format reads into cols (CUR_NCOLS * PB_MAX_ALT + CUR_MAX_TAGS
 * room); returns the count.
 */
size_t pb_aws_cur_columns(const struct pb_aws_cur *a, size_t *cols);

/* The canonical name of a column in this file's naming, for messages. */
const char *pb_aws_cur_column_name(const struct pb_aws_cur *a, int col);

/* FOCUS ChargeCategory for a LineItemType, or NULL when the type is unknown. */
const char *pb_aws_cur_category(const char *type, size_t len);

#endif
