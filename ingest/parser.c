/* Dispatch to the CSV export formats. */
#include "parser.h"

#include <string.h>

#include "banned.h"

const char *pb_format_vendor(enum pb_format_kind kind)
{
	return kind == PB_FORMAT_AWS_CUR ? "aws" : "azure";
}

int pb_parser_bind(struct pb_parser *p, enum pb_format_kind kind, const struct pb_csv *c, struct pb_buf *err)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	if (kind == PB_FORMAT_AWS_CUR)
		return pb_aws_cur_bind(&p->aws, c, err);
	return pb_azure_cost_bind(&p->az, c, err);
}

int pb_parser_row(struct pb_parser *p, const struct pb_csv *c, struct pb_usage *u, struct pb_buf *err, size_t *field)
{
	if (p->kind == PB_FORMAT_AWS_CUR)
		return pb_aws_cur_row(&p->aws, &p->st, c, u, err, field);
	return pb_azure_cost_row(&p->az, &p->st, c, u, err, field);
}

size_t pb_parser_columns(const struct pb_parser *p, size_t *cols)
{
	if (p->kind == PB_FORMAT_AWS_CUR)
		return pb_aws_cur_columns(&p->aws, cols);
	return pb_azure_cost_columns(&p->az, cols);
}

size_t pb_parser_month_field(const struct pb_parser *p)
{
	if (p->kind == PB_FORMAT_AWS_CUR)
		return (size_t)p->aws.alt[CUR_BILL_START][0];
	return (size_t)(p->az.alt[AZ_BILL_START][0] >= 0 ? p->az.alt[AZ_BILL_START][0] : p->az.alt[AZ_DATE][0]);
}

size_t pb_parser_date_field(const struct pb_parser *p)
{
	if (p->kind == PB_FORMAT_AWS_CUR)
		return (size_t)p->aws.alt[CUR_USAGE_START][0];
	return (size_t)p->az.alt[AZ_DATE][0];
}
