/* Dispatch to the CSV export formats. */
#include "parser.h"

#include <stdint.h>
#include <string.h>

#include "banned.h"

const char *pb_format_name(enum pb_format_kind kind)
{
	return kind == PB_FORMAT_AWS_CUR ? "aws-cur" : kind == PB_FORMAT_AZURE_COST ? "azure-cost" : "partner-center";
}

const char *pb_format_vendor(enum pb_format_kind kind)
{
	return kind == PB_FORMAT_AWS_CUR ? "aws" : "azure";
}

/*
 * After the reason a header does not bind, the format it binds as when the other CSV format takes it: an
 * Azure export given as an AWS report, or the other way round (a wrong --format).
 */
static void name_other_format(enum pb_format_kind kind, const struct pb_csv *c, struct pb_buf *err)
{
	struct pb_parser other;
	struct pb_buf scratch = PB_BUF_INIT;
	size_t field;
	int binds;

	binds = kind == PB_FORMAT_AWS_CUR ? pb_azure_cost_bind(&other.az, c, &scratch, &field) == 0
					  : pb_aws_cur_bind(&other.aws, c, &scratch, &field) == 0;
	pb_buf_release(&scratch);
	if (binds)
		pb_buf_addstr(err, kind == PB_FORMAT_AWS_CUR
					   ? ": the header is an Azure cost details export's (--format azure-cost)"
					   : ": the header is an AWS Cost and Usage Report's (--format aws-cur)");
}

int pb_parser_bind(struct pb_parser *p, enum pb_format_kind kind, const struct pb_csv *c, struct pb_buf *err,
		   size_t *field)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	*field = 0;
	/* UTF-16 (Excel's "Unicode text") reads as fields full of NUL bytes: say so, not "missing column". */
	if (c->nfields && c->fields[0].len >= 2 &&
	    (memcmp(c->fields[0].ptr, "\xFF\xFE", 2) == 0 || memcmp(c->fields[0].ptr, "\xFE\xFF", 2) == 0)) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "a UTF-16 byte order mark: a CSV export is read as UTF-8 text");
		return -1;
	}
	for (i = 0; i < c->nfields; i++) {
		if (memchr(c->fields[i].ptr, '\0', c->fields[i].len)) {
			pb_buf_reset(err);
			pb_buf_addstr(
				err,
				"NUL byte in the header: a CSV export is read as UTF-8 text (is this one UTF-16?)");
			*field = i;
			return -1;
		}
	}
	/* A file whose lines end in CR alone reads as one long header record: say so, not "missing column". */
	for (i = 0; i < c->nfields; i++) {
		if (memchr(c->fields[i].ptr, '\r', c->fields[i].len)) {
			pb_buf_reset(err);
			pb_buf_addstr(err, "carriage return inside a header field: lines that end in CR alone are not "
					   "read; convert them to LF or CR LF");
			*field = i;
			return -1;
		}
	}
	/* Saved with another list separator (Excel in many locales): say so, not "missing required column". */
	if (c->nfields == 1) {
		static const char seps[] = ";\t|";

		for (i = 0; seps[i]; i++) {
			if (memchr(c->fields[0].ptr, seps[i], c->fields[0].len)) {
				pb_buf_reset(err);
				pb_buf_addf(err,
					    "the header is one column holding %s: an export's fields are separated by "
					    "commas (was the file saved with another list separator?)",
					    seps[i] == '\t'  ? "tabs"
					    : seps[i] == ';' ? "';'"
							     : "'|'");
				return -1;
			}
		}
	}
	if (kind == PB_FORMAT_AWS_CUR ? pb_aws_cur_bind(&p->aws, c, err, field) < 0
				      : pb_azure_cost_bind(&p->az, c, err, field) < 0) {
		name_other_format(kind, c, err);
		return -1;
	}
	return 0;
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
	return (size_t)p->az.month_field;
}

size_t pb_parser_date_field(const struct pb_parser *p)
{
	if (p->kind == PB_FORMAT_AWS_CUR)
		return (size_t)p->aws.alt[CUR_USAGE_START][0];
	return (size_t)p->az.alt[AZ_DATE][0];
}

size_t pb_parser_tags_field(const struct pb_parser *p)
{
	long f = p->kind == PB_FORMAT_AWS_CUR ? p->aws.alt[CUR_TAGS][0] : p->az.alt[AZ_TAGS][0];

	return f < 0 ? SIZE_MAX : (size_t)f;
}

const char *pb_parser_field_name(const struct pb_parser *p, size_t field)
{
	int k, j;

	for (k = 0; k < (p->kind == PB_FORMAT_AWS_CUR ? CUR_NCOLS : AZ_NCOLS); k++) {
		for (j = 0; j < PB_MAX_ALT; j++) {
			long f = p->kind == PB_FORMAT_AWS_CUR ? p->aws.alt[k][j] : p->az.alt[k][j];

			if (f >= 0 && (size_t)f == field)
				return p->kind == PB_FORMAT_AWS_CUR ? pb_aws_cur_column_name(&p->aws, k)
								    : p->az.name[k];
		}
	}
	return "?";
}
