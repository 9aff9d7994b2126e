/* One CSV export format chosen at run time: binds the header, converts records, keeps the statistics. */
#ifndef PB_PARSER_H
#define PB_PARSER_H

#include "aws_cur.h"
#include "azure_cost.h"
#include "format.h"

enum pb_format_kind { PB_FORMAT_AWS_CUR, PB_FORMAT_AZURE_COST, PB_FORMAT_PARTNER_CENTER };

/* Room pb_parser_columns needs. */
#define PB_PARSER_MAXCOLS \
	(((int)AZ_NCOLS > (int)CUR_NCOLS ? (int)AZ_NCOLS : (int)CUR_NCOLS) * PB_MAX_ALT + CUR_MAX_TAGS)

struct pb_parser {
	enum pb_format_kind kind;
	struct pb_aws_cur aws;
	struct pb_azure_cost az;
	struct pb_format_stats st;
};

/* The format's name as --format and pb.import.format spell it. */
const char *pb_format_name(enum pb_format_kind kind);

/* The vendor a format's lines belong to: "aws" or "azure". */
const char *pb_format_vendor(enum pb_format_kind kind);

/* Binds the header record c for the given format. 0, or -1 with err set and the offending field's index. */
int pb_parser_bind(struct pb_parser *p, enum pb_format_kind kind, const struct pb_csv *c, struct pb_buf *err,
		   size_t *field);

/* Converts the current record into u. 0, or -1 with err and the offending field's index. */
int pb_parser_row(struct pb_parser *p, const struct pb_csv *c, struct pb_usage *u, struct pb_buf *err, size_t *field);

/* The indexes of every column read (PB_PARSER_MAXCOLS room); returns the count. */
size_t pb_parser_columns(const struct pb_parser *p, size_t *cols);

/* The field index of the tags column, or SIZE_MAX when the file has none. */
size_t pb_parser_tags_field(const struct pb_parser *p);

/* The name of the column read from field index field, for messages ("?" when none is). */
const char *pb_parser_field_name(const struct pb_parser *p, size_t field);

/* The field the current line's billing month came from, and that of its usage date, for errors about them. */
size_t pb_parser_month_field(const struct pb_parser *p);
size_t pb_parser_date_field(const struct pb_parser *p);

#endif
