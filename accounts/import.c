/* Bulk account import: columns matched by header, every row checked and inserted in one transaction. */
#include "import.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "csv.h"
#include "db.h"
#include "exitcode.h"
#include "input.h"
#include "text.h"

#include "banned.h"

/* The longest record read: every field at PB_ACCOUNT_MAX_TEXT bytes fits many times over. */
#define MAX_RECORD ((size_t)64 << 10)

/* An alias a row of the file holds, and the row's line. */
struct seen {
	char alias[8];
	uint64_t line;
};

/* Where the import is: the reader, which field holds which column, and where an error points. */
struct import {
	struct pb_csv csv;
	long col[PB_ACCOUNT_NFIELDS]; /* field index of each account field, -1 when absent */
	uint64_t *line;
	uint32_t *col_no;
	struct seen *seen; /* the aliases of the rows read, with their lines */
	size_t nseen, seen_alloc;
};

/* Points the error at field i of the current record and empties err for the message. */
static void at_field(struct import *im, size_t i, struct pb_buf *err)
{
	pb_csv_field_pos(&im->csv, i, im->line, im->col_no);
	pb_buf_reset(err);
}

/* Points the error at line, col and empties err for the message. */
static void at(struct import *im, uint64_t line, uint32_t col, struct pb_buf *err)
{
	*im->line = line;
	*im->col_no = col;
	pb_buf_reset(err);
}

/* The reader's error, at its position. */
static int csv_error(struct import *im, struct pb_buf *err)
{
	at(im, im->csv.err_line, im->csv.err_col, err);
	pb_buf_addstr(err, pb_buf_str(&im->csv.err));
	return PB_ERR_DATA;
}

/* The name of the column field i of a record holds. */
static const char *column_of(const struct import *im, size_t i)
{
	size_t f;

	for (f = 0; f < PB_ACCOUNT_NFIELDS; f++)
		if (im->col[f] == (long)i)
			return pb_account_fields[f].column;
	return "?";
}

/*
 * Refuses a record with a field PostgreSQL would not take as text (not UTF-8, or holding a NUL byte),
 * naming the field's column; in the header, where NUL bytes mean UTF-16 more often than not, saying so.
 */
static int check_text(struct import *im, int header, struct pb_buf *err)
{
	const char *why;
	size_t i, bad;

	for (i = 0; i < im->csv.nfields; i++) {
		const struct pb_csv_field *fd = &im->csv.fields[i];

		if (pb_text_check(fd->ptr, fd->len, &bad, &why) == 0)
			continue;
		at_field(im, i, err);
		if (!header)
			pb_buf_addf(err, "%s in column '%s'", why, column_of(im, i));
		else if (fd->ptr[bad] == '\0')
			pb_buf_addf(err, "%s in the header: is the file UTF-16? save it as UTF-8", why);
		else
			pb_buf_addf(err, "%s in the header", why);
		return PB_ERR_DATA;
	}
	return 0;
}

/* What the header's bytes say before its names are read: UTF-16, not UTF-8, or lines ending in CR alone. */
static int check_header_text(struct import *im, struct pb_buf *err)
{
	const struct pb_csv_field *first = &im->csv.fields[0];
	size_t i;

	if (first->len >= 2 && (memcmp(first->ptr, "\xFF\xFE", 2) == 0 || memcmp(first->ptr, "\xFE\xFF", 2) == 0)) {
		at(im, im->csv.line, 1, err);
		pb_buf_addstr(err, "the file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8");
		return PB_ERR_DATA;
	}
	if (check_text(im, 1, err) < 0)
		return PB_ERR_DATA;
	/* A file whose lines end in CR alone reads as one long header record: say so, not "unknown column". */
	for (i = 0; i < im->csv.nfields; i++) {
		if (memchr(im->csv.fields[i].ptr, '\r', im->csv.fields[i].len)) {
			at_field(im, i, err);
			pb_buf_addstr(err, "carriage return inside a header field: lines that end in CR alone are not "
					   "read; convert them to LF or CR LF");
			return PB_ERR_DATA;
		}
	}
	return 0;
}

static int read_header(struct import *im, struct pb_buf *err)
{
	static const enum pb_account_field required[] = {PB_ACCOUNT_ALIAS, PB_ACCOUNT_NAME, PB_ACCOUNT_COUNTRY};
	size_t i, f;
	int rc = pb_csv_next(&im->csv);

	if (rc == PB_CSV_END) {
		at(im, 1, 1, err);
		pb_buf_addstr(err, "the file is empty: a header line naming the columns is needed");
		return PB_ERR_DATA;
	}
	if (rc < 0)
		return csv_error(im, err);
	if (check_header_text(im, err) < 0)
		return PB_ERR_DATA;
	for (f = 0; f < PB_ACCOUNT_NFIELDS; f++)
		im->col[f] = -1;
	for (i = 0; i < im->csv.nfields; i++) {
		const struct pb_csv_field *fd = &im->csv.fields[i];

		for (f = 0; f < PB_ACCOUNT_NFIELDS; f++)
			if (strlen(pb_account_fields[f].column) == fd->len &&
			    strncasecmp(fd->ptr, pb_account_fields[f].column, fd->len) == 0)
				break;
		if (f == PB_ACCOUNT_NFIELDS || im->col[f] >= 0) {
			at_field(im, i, err);
			pb_buf_addstr(err, f == PB_ACCOUNT_NFIELDS ? "unknown column '" : "column '");
			pb_account_quote(err, fd->ptr, fd->len);
			pb_buf_addstr(err, f == PB_ACCOUNT_NFIELDS ? "'" : "' appears twice");
			return PB_ERR_DATA;
		}
		im->col[f] = (long)i;
	}
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (im->col[required[i]] < 0) {
			at(im, im->csv.line, 1, err);
			pb_buf_addf(err, "no column '%s'", pb_account_fields[required[i]].column);
			return PB_ERR_DATA;
		}
	}
	pb_csv_expect_fields(&im->csv, im->csv.nfields);
	return 0;
}

/*
 * Remembers the alias of the row at line. Returns 0; PB_ERR_DATA with a message when an earlier row of
 * the file holds it (the database would say it exists, which hides that the file holds it twice); or
 * PB_ERR_DEPENDENCY when out of memory.
 */
static int remember_alias(struct import *im, const char *alias, uint64_t line, struct pb_buf *why)
{
	struct seen *grown;
	size_t i;

	for (i = 0; i < im->nseen; i++) {
		if (strcmp(im->seen[i].alias, alias) == 0) {
			pb_buf_addf(why, "alias '%s' is on line %llu already", alias,
				    (unsigned long long)im->seen[i].line);
			return PB_ERR_DATA;
		}
	}
	if (im->nseen == im->seen_alloc) {
		size_t n = im->seen_alloc ? im->seen_alloc * 2 : 64;

		grown = realloc(im->seen, n * sizeof(*grown));
		if (!grown) {
			pb_buf_addstr(why, "out of memory");
			return PB_ERR_DEPENDENCY;
		}
		im->seen = grown;
		im->seen_alloc = n;
	}
	snprintf(im->seen[im->nseen].alias, sizeof(im->seen[im->nseen].alias), "%s", alias);
	im->seen[im->nseen].line = line;
	im->nseen++;
	return 0;
}

/* Checks and inserts the current record. */
static int import_row(PGconn *conn, struct import *im, const char *by, struct pb_buf *err)
{
	struct pb_account a;
	struct pb_buf why = PB_BUF_INIT;
	enum pb_account_field bad = PB_ACCOUNT_ALIAS;
	size_t f;
	int ret = 0;

	if (check_text(im, 0, err) < 0)
		return PB_ERR_DATA;
	pb_account_init(&a);
	for (f = 0; f < PB_ACCOUNT_NFIELDS && ret == 0; f++) {
		const struct pb_csv_field *fd;

		if (im->col[f] < 0)
			continue;
		fd = &im->csv.fields[im->col[f]];
		ret = pb_account_set(&a, (enum pb_account_field)f, fd->ptr, fd->len, &why);
		bad = (enum pb_account_field)f;
	}
	if (ret == 0 && a.v[PB_ACCOUNT_ALIAS]) {
		bad = PB_ACCOUNT_ALIAS;
		ret = remember_alias(im, a.v[PB_ACCOUNT_ALIAS], im->csv.line, &why);
	}
	if (ret == 0)
		ret = pb_account_insert(conn, &a, by, &bad, &why);
	if (ret == PB_ERR_DATA) {
		at_field(im, (size_t)im->col[bad], err);
		pb_buf_addstr(err, pb_buf_str(&why));
	} else if (ret < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&why));
	}
	pb_account_release(&a);
	pb_buf_release(&why);
	return ret;
}

int pb_import_accounts(PGconn *conn, const char *path, const char *by, size_t *count, uint64_t *line, uint32_t *col,
		       struct pb_buf *err)
{
	struct import im;
	struct pb_input *in = NULL;
	struct pb_buf ignore = PB_BUF_INIT;
	int ret = PB_ERR_DATA, csv_ready = 0, begun = 0, rc;

	*count = 0;
	*line = 0;
	*col = 0;
	memset(&im, 0, sizeof(im));
	im.line = line;
	im.col_no = col;
	if (pb_input_open(path, &in, err) < 0)
		goto out;
	if (pb_csv_init(&im.csv, pb_input_read, in, MAX_RECORD) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	csv_ready = 1;
	if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0) {
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	begun = 1;
	ret = read_header(&im, err);
	if (ret < 0)
		goto out;
	for (;;) {
		rc = pb_csv_next(&im.csv);
		if (rc == PB_CSV_END)
			break;
		if (rc < 0) {
			ret = csv_error(&im, err);
			goto out;
		}
		ret = import_row(conn, &im, by, err);
		if (ret < 0)
			goto out;
		(*count)++;
	}
	if (pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0) {
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	begun = 0;
	ret = 0;
out:
	if (begun)
		pb_db_exec(conn, "ROLLBACK", 0, NULL, &ignore);
	if (ret < 0)
		*count = 0;
	if (csv_ready)
		pb_csv_release(&im.csv);
	free(im.seen);
	pb_input_free(in);
	pb_buf_release(&ignore);
	return ret;
}
