/* Bulk imports of accounts and of links: columns matched by header, every row checked and stored in one transaction. */
#include "import.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "atomicfile.h"
#include "csv.h"
#include "date.h"
#include "db.h"
#include "eligibility.h"
#include "exitcode.h"
#include "input.h"
#include "link.h"
#include "testhook.h"
#include "text.h"

#include "banned.h"

/* The longest record read: every field at PB_ACCOUNT_MAX_TEXT bytes fits many times over. */
#define MAX_RECORD ((size_t)64 << 10)

/* An alias a row of the file holds (2 to 6 characters), and the row's line: a record of the seen file. */
struct seen {
	char alias[8];
	uint64_t line;
};

/* How many bytes of link rows are sent to the server at a time. */
#define COPY_CHUNK ((size_t)64 << 10)

/* The columns of a link file, in the order of enum link_column. */
enum link_column { LINK_ALIAS, LINK_VENDOR, LINK_ID, LINK_FROM, LINK_TO, LINK_NCOLUMNS };
static const char *const link_columns[LINK_NCOLUMNS] = {"alias", "vendor", "partner_account_id", "from", "to"};

/* Where the import is: the reader, which field holds which column, and where an error points. */
struct import {
	struct pb_csv csv;
	const char *const *names; /* the column names the file may have */
	size_t ncolumns;
	long col[PB_ACCOUNT_NFIELDS]; /* field index of each column, -1 when absent */
	uint64_t *line;
	uint32_t *col_no;
	FILE *seen;	    /* accounts: the aliases of the rows stored, with their lines (a temporary file) */
	int copying;	    /* links: the rows read go to the server (COPY) */
	struct pb_buf rows; /* links: the rows read that are not sent yet */
	uint64_t nlinks;    /* links: how many rows were read */
	int failed;	    /* links: the error of the row reading stopped at, in err */
	const struct pb_eligibility *e;
	const char *by;
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

	for (f = 0; f < im->ncolumns; f++)
		if (im->col[f] == (long)i)
			return im->names[f];
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

/* Reads the header: each field names one of im->names, once; the nrequired columns of required are there. */
static int read_header(struct import *im, const size_t *required, size_t nrequired, struct pb_buf *err)
{
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
	for (f = 0; f < im->ncolumns; f++)
		im->col[f] = -1;
	for (i = 0; i < im->csv.nfields; i++) {
		const struct pb_csv_field *fd = &im->csv.fields[i];

		for (f = 0; f < im->ncolumns; f++)
			if (strlen(im->names[f]) == fd->len && strncasecmp(fd->ptr, im->names[f], fd->len) == 0)
				break;
		if (f == im->ncolumns || im->col[f] >= 0) {
			at_field(im, i, err);
			pb_buf_addstr(err, f == im->ncolumns ? "unknown column '" : "column '");
			pb_account_quote(err, fd->ptr, fd->len);
			pb_buf_addstr(err, f == im->ncolumns ? "'" : "' appears twice");
			return PB_ERR_DATA;
		}
		im->col[f] = (long)i;
	}
	for (i = 0; i < nrequired; i++) {
		if (im->col[required[i]] < 0) {
			at(im, im->csv.line, 1, err);
			pb_buf_addf(err, "no column '%s'", im->names[required[i]]);
			return PB_ERR_DATA;
		}
	}
	pb_csv_expect_fields(&im->csv, im->csv.nfields);
	return 0;
}

/*
 * Notes the alias of the row at line, stored, in the seen file: an alias stored already is found there only
 * when the database refuses it (first_line), so that a file of any length is read in the same memory and
 * each row costs one write. Returns 0, or PB_ERR_DEPENDENCY with a message.
 */
static int remember_alias(struct import *im, const char *alias, uint64_t line, struct pb_buf *why)
{
	struct seen r;

	memset(&r, 0, sizeof(r));
	snprintf(r.alias, sizeof(r.alias), "%s", alias);
	r.line = line;
	if (!im->seen)
		im->seen = pb_tmpfile();
	/* first_line may have stopped reading mid-file: a write must follow a seek, or it lands on a later row. */
	if (!im->seen || fseek(im->seen, 0, SEEK_END) != 0 || fwrite(&r, sizeof(r), 1, im->seen) != 1) {
		pb_buf_reset(why);
		pb_buf_addf(why, "cannot write a temporary file in '%s': %s", pb_tmpdir(), strerror(errno));
		return PB_ERR_DEPENDENCY;
	}
	return 0;
}

/*
 * The line of the row of the file that holds alias, stored already, found in the seen file; 0 when none does
 * (the account existed before the import), or -1 with a message.
 */
static int64_t first_line(struct import *im, const char *alias, struct pb_buf *why)
{
	struct seen r;

	if (!im->seen)
		return 0;
	if (fflush(im->seen) != 0 || fseek(im->seen, 0, SEEK_SET) != 0) {
		pb_buf_reset(why);
		pb_buf_addf(why, "cannot read a temporary file: %s", strerror(errno));
		return -1;
	}
	while (fread(&r, sizeof(r), 1, im->seen) == 1)
		if (strcmp(r.alias, alias) == 0)
			return (int64_t)r.line;
	if (ferror(im->seen)) {
		pb_buf_reset(why);
		pb_buf_addstr(why, "cannot read a temporary file");
		return -1;
	}
	return 0;
}

/* Checks and inserts the current record as an account. */
static int account_row(PGconn *conn, struct import *im, struct pb_buf *err)
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
	if (ret == 0)
		ret = pb_account_insert(conn, &a, im->by, &bad, &why);
	/* An alias refused as existing may be an earlier row's: the file holds it twice, which "exists" would hide. */
	if (ret == PB_ERR_DATA && bad == PB_ACCOUNT_ALIAS && a.v[PB_ACCOUNT_ALIAS]) {
		int64_t earlier = first_line(im, a.v[PB_ACCOUNT_ALIAS], &why);

		if (earlier < 0) {
			ret = PB_ERR_DEPENDENCY;
		} else if (earlier > 0) {
			pb_buf_reset(&why);
			pb_buf_addf(&why, "alias '%s' is on line %llu already", a.v[PB_ACCOUNT_ALIAS],
				    (unsigned long long)earlier);
		}
	}
	if (ret == 0)
		ret = remember_alias(im, a.v[PB_ACCOUNT_ALIAS], im->csv.line, &why);
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

/* Copies field c of the current record (UTF-8 without NUL bytes: checked) into b, NUL-terminated. */
static const char *field_text(struct import *im, enum link_column c, struct pb_buf *b)
{
	pb_buf_reset(b);
	if (im->col[c] >= 0)
		pb_buf_add(b, im->csv.fields[im->col[c]].ptr, im->csv.fields[im->col[c]].len);
	return pb_buf_str(b);
}

/* A date of column c into *day: 0, 1 when the field is empty, or PB_ERR_DATA with the message. */
static int date_field(struct import *im, enum link_column c, int32_t *day, struct pb_buf *b, struct pb_buf *why)
{
	const char *text = field_text(im, c, b);

	if (!*text)
		return 1;
	if (pb_date_parse_day(text, day) == 0)
		return 0;
	pb_buf_addf(why, "bad %s date '", link_columns[c]);
	pb_account_quote(why, text, strlen(text));
	pb_buf_addstr(why, "': a date YYYY-MM-DD");
	return PB_ERR_DATA;
}

/*
 * Reads the fields of the current record into l (its id checked). Returns 0, or PB_ERR_DATA with the
 * message in why and the column at fault in *bad.
 */
static int link_fields(struct import *im, struct pb_link_row *l, enum link_column *bad, struct pb_buf *why)
{
	struct pb_buf b = PB_BUF_INIT;
	const char *text;
	int ret;

	memset(l, 0, sizeof(*l));
	*bad = LINK_ALIAS;
	ret = pb_account_alias(field_text(im, LINK_ALIAS, &b), l->alias, why);
	if (ret == 0) {
		*bad = LINK_VENDOR;
		text = field_text(im, LINK_VENDOR, &b);
		l->vendor = pb_vendor_index(text);
		if (l->vendor < 0) {
			pb_buf_addstr(why, "bad vendor '");
			pb_account_quote(why, text, strlen(text));
			pb_buf_addstr(why, "': aws or azure");
			ret = PB_ERR_DATA;
		}
	}
	if (ret == 0) {
		*bad = LINK_ID;
		text = field_text(im, LINK_ID, &b);
		ret = pb_link_check_id(l->vendor, text, why);
		/* Azure ids are kept and shown in lowercase, as link keeps them. */
		for (size_t i = 0; ret == 0 && text[i] && i + 1 < sizeof(l->id); i++)
			l->id[i] = l->vendor == PB_VENDOR_AZURE ? (char)tolower((unsigned char)text[i]) : text[i];
	}
	if (ret == 0) {
		*bad = LINK_FROM;
		ret = date_field(im, LINK_FROM, &l->from, &b, why);
		if (ret == 1) {
			pb_buf_addstr(why, "no from date: a link needs its first day");
			ret = PB_ERR_DATA;
		}
	}
	if (ret == 0) {
		*bad = LINK_TO;
		ret = date_field(im, LINK_TO, &l->to, &b, why);
		if (ret == 1) {
			l->to = PB_LINK_OPEN;
			ret = 0;
		}
	}
	if (ret == 0 && l->to != PB_LINK_OPEN && l->to < l->from) {
		char from_s[11], to_s[11];

		pb_date_format(l->from, from_s);
		pb_date_format(l->to, to_s);
		pb_buf_addf(why, "the link would end on %s, before it starts on %s", to_s, from_s);
		ret = PB_ERR_DATA;
	}
	pb_buf_release(&b);
	return ret;
}

/* The rows read so far to the server. Returns 0, or PB_ERR_DEPENDENCY with the message. */
static int send_rows(PGconn *conn, struct import *im, struct pb_buf *err)
{
	return pb_db_copy_send(conn, &im->rows, err) < 0 ? PB_ERR_DEPENDENCY : 0;
}

/*
 * Ends the COPY of the rows (as failed unless ok) and collects its result. Returns 0, or PB_ERR_DEPENDENCY
 * with the message (unless ok was 0: err keeps its message then).
 */
static int end_rows(PGconn *conn, struct import *im, int ok, struct pb_buf *err)
{
	if (!im->copying)
		return 0;
	im->copying = 0;
	if (ok && send_rows(conn, im, err) < 0)
		ok = 0;
	return pb_db_copy_end(conn, ok, NULL, err) < 0 ? PB_ERR_DEPENDENCY : 0;
}

/*
 * The rows of a link file go to a table of the session as they are read (memory does not grow with the
 * file), each with where it is: its order n, its line, the columns of its alias and id.
 */
static int link_start(PGconn *conn, struct import *im, struct pb_buf *err)
{
	PGresult *res;

	if (pb_db_exec(conn,
		       "CREATE TEMP TABLE pb_link_rows (n bigint NOT NULL, line bigint NOT NULL, col_alias integer NOT "
		       "NULL, col_id integer NOT NULL, vendor text NOT NULL, id text NOT NULL, alias text NOT NULL, "
		       "f date NOT NULL, t date) ON COMMIT DROP",
		       0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	res = PQexec(conn, "COPY pg_temp.pb_link_rows FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		pb_db_result_message(err, "database", conn, res);
		PQclear(res);
		return PB_ERR_DEPENDENCY;
	}
	PQclear(res);
	im->copying = 1;
	return 0;
}

/*
 * Reads the current record as a link row, on its way to the server. A bad row stops the reading: its error
 * is kept (im->failed, err and the position) for link_check, which looks for an earlier row that is refused
 * first.
 */
static int link_row(PGconn *conn, struct import *im, struct pb_buf *err)
{
	struct pb_buf why = PB_BUF_INIT;
	struct pb_link_row l;
	enum link_column bad;
	uint64_t line = im->csv.line;
	uint32_t col[LINK_NCOLUMNS] = {0};
	char from_s[11], to_s[11] = "\\N";
	size_t c;
	int ret;

	if (check_text(im, 0, err) < 0) {
		im->failed = PB_ERR_DATA;
		return 0;
	}
	ret = link_fields(im, &l, &bad, &why);
	if (ret < 0) {
		at_field(im, (size_t)im->col[bad], err);
		pb_buf_addstr(err, pb_buf_str(&why));
		im->failed = ret;
		pb_buf_release(&why);
		return 0;
	}
	pb_buf_release(&why);
	for (c = 0; c < LINK_NCOLUMNS; c++)
		if (im->col[c] >= 0)
			pb_csv_field_pos(&im->csv, (size_t)im->col[c], &line, &col[c]);
	pb_date_format(l.from, from_s);
	if (l.to != PB_LINK_OPEN)
		pb_date_format(l.to, to_s);
	/* Every field is letters, digits, dashes or a date: nothing to escape for COPY. */
	pb_buf_addf(&im->rows, "%llu\t%llu\t%u\t%u\t%s\t%s\t%s\t%s\t%s\n", (unsigned long long)im->nlinks,
		    (unsigned long long)line, col[LINK_ALIAS], col[LINK_ID], pb_vendor_names[l.vendor], l.id, l.alias,
		    from_s, to_s);
	im->nlinks++;
	if (im->rows.len >= COPY_CHUNK || im->rows.failed)
		return send_rows(conn, im, err);
	return 0;
}

/* "ALIAS: not eligible for VENDOR: " and the failing rules, on one line. */
static void say_ineligible(const char *alias, int vendor, const struct pb_buf *reasons, struct pb_buf *why)
{
	const char *r = pb_buf_str(reasons);
	size_t n;

	pb_buf_addf(why, "%s: not eligible for %s: ", alias, pb_vendor_names[vendor]);
	while (*r) {
		n = strcspn(r, "\n");
		pb_buf_add(why, r, n);
		r += n;
		if (*r && *++r)
			pb_buf_addstr(why, "; ");
	}
}

/*
 * The vendors and aliases of the rows' accounts that are not eligible for the vendor under im->e, as two
 * text[] literals (how many accounts the database holds at most, whatever the file). The accounts are
 * locked (FOR SHARE) until the transaction ends. Returns 0 or PB_ERR_DEPENDENCY.
 */
static int ineligible_accounts(PGconn *conn, const struct import *im, struct pb_buf *vendors, struct pb_buf *aliases,
			       struct pb_buf *err)
{
	struct pb_buf sql = PB_BUF_INIT, reasons = PB_BUF_INIT;
	struct pb_eligibility_facts f;
	int v, r, n = 0, ret = 0;

	pb_buf_addstr(vendors, "{");
	pb_buf_addstr(aliases, "{");
	pb_buf_addf(&sql,
		    "%sWHERE a.alias IN (SELECT alias FROM pg_temp.pb_link_rows WHERE vendor = $1) "
		    "ORDER BY a.alias COLLATE \"C\" FOR SHARE OF a",
		    pb_eligibility_facts_select);
	for (v = 0; v < PB_NVENDORS && ret == 0; v++) {
		const char *p[1] = {pb_vendor_names[v]};
		PGresult *res = sql.failed ? NULL : pb_db_query(conn, pb_buf_str(&sql), 1, p, err);

		if (!res) {
			ret = PB_ERR_DEPENDENCY;
			break;
		}
		for (r = 0; r < PQntuples(res); r++) {
			pb_eligibility_facts_read(res, r, &f);
			pb_buf_reset(&reasons);
			if (!pb_eligibility_check(im->e, v, &f, &reasons))
				continue;
			/* Aliases are letters and digits: nothing to quote. */
			pb_buf_addf(vendors, "%s%s", n ? "," : "", pb_vendor_names[v]);
			pb_buf_addf(aliases, "%s%s", n ? "," : "", f.alias);
			n++;
		}
		PQclear(res);
	}
	pb_buf_addstr(vendors, "}");
	pb_buf_addstr(aliases, "}");
	if (ret == 0 && (vendors->failed || aliases->failed || sql.failed)) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		ret = PB_ERR_DEPENDENCY;
	}
	pb_buf_release(&sql);
	pb_buf_release(&reasons);
	return ret;
}

/*
 * The first row, in the file's order, whose account does not exist (PB_ERR_DATA) or is not eligible for its
 * vendor (PB_ERR_REFUSED), with the message in why and its n, line and alias column in *first, *line and
 * *col; *first is -1 when every account is eligible.
 */
static int first_ineligible(PGconn *conn, const struct import *im, int64_t *first, uint64_t *line, uint32_t *col,
			    struct pb_buf *why)
{
	struct pb_buf vendors = PB_BUF_INIT, aliases = PB_BUF_INIT, reasons = PB_BUF_INIT;
	struct pb_eligibility_facts f;
	const char *p[2];
	PGresult *res = NULL;
	int ret, v;

	*first = -1;
	ret = ineligible_accounts(conn, im, &vendors, &aliases, why);
	if (ret < 0)
		goto out;
	p[0] = pb_buf_str(&vendors);
	p[1] = pb_buf_str(&aliases);
	res = pb_db_query(
		conn,
		"SELECT r.n, r.line, r.col_alias, r.vendor, r.alias, NOT EXISTS (SELECT 1 FROM pb.clc_account "
		"a WHERE a.alias = r.alias) FROM pg_temp.pb_link_rows r WHERE NOT EXISTS (SELECT 1 FROM "
		"pb.clc_account a WHERE a.alias = r.alias) OR (r.vendor, r.alias) IN (SELECT * FROM "
		"unnest($1::text[], $2::text[])) ORDER BY r.n LIMIT 1",
		2, p, why);
	if (!res) {
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	if (PQntuples(res) == 0)
		goto out;
	*first = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*line = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
	*col = (uint32_t)strtoul(PQgetvalue(res, 0, 2), NULL, 10);
	v = pb_vendor_index(PQgetvalue(res, 0, 3));
	pb_buf_reset(why);
	if (strcmp(PQgetvalue(res, 0, 5), "t") == 0) {
		pb_buf_addf(why, "no CLC account '%s'", PQgetvalue(res, 0, 4));
		ret = PB_ERR_DATA;
		goto out;
	}
	ret = pb_eligibility_facts(conn, PQgetvalue(res, 0, 4), v, &f, why);
	if (ret == 0 && pb_eligibility_check(im->e, v, &f, &reasons)) {
		pb_buf_reset(why);
		say_ineligible(f.alias, v, &reasons, why);
		ret = PB_ERR_REFUSED;
	}
out:
	PQclear(res);
	pb_buf_release(&vendors);
	pb_buf_release(&aliases);
	pb_buf_release(&reasons);
	return ret;
}

/* An overlap of row bad with the earlier row other of the file, as link would say it of a link in the database. */
static int say_row_overlap(PGconn *conn, int64_t bad, int64_t other, uint64_t *line, uint32_t *col, struct pb_buf *why)
{
	char bad_s[24], other_s[24];
	const char *p[2] = {bad_s, other_s};
	PGresult *res;
	const char *to;

	snprintf(bad_s, sizeof(bad_s), "%lld", (long long)bad);
	snprintf(other_s, sizeof(other_s), "%lld", (long long)other);
	res = pb_db_query(conn,
			  "SELECT b.line, b.col_id, o.vendor, o.id, o.alias, o.f, coalesce(o.t::text, ''), o.line FROM "
			  "pg_temp.pb_link_rows b LEFT JOIN pg_temp.pb_link_rows o ON o.n = $2::bigint WHERE b.n = "
			  "$1::bigint",
			  2, p, why);
	if (!res)
		return PB_ERR_DEPENDENCY;
	*line = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	*col = (uint32_t)strtoul(PQgetvalue(res, 0, 1), NULL, 10);
	if (other >= 0) {
		to = PQgetvalue(res, 0, 6);
		pb_buf_reset(why);
		pb_buf_addf(why, "%s partner account %s is linked to %s from %s", PQgetvalue(res, 0, 2),
			    PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5));
		if (*to)
			pb_buf_addf(why, " to %s", to);
		else
			pb_buf_addstr(why, " (open-ended)");
		pb_buf_addf(why, " on line %s already: a partner account maps to one CLC account at a time",
			    PQgetvalue(res, 0, 7));
	}
	PQclear(res);
	return PB_ERR_REFUSED;
}

/*
 * After the rows are read: the first refused row, in the file's order, as link refuses a link (the account
 * first, then an overlap), else the row the reading stopped at; or every row stored.
 */
static int link_check(PGconn *conn, struct import *im, struct pb_buf *err)
{
	struct pb_buf why = PB_BUF_INIT, overlap = PB_BUF_INIT;
	int64_t first, bad, other;
	uint64_t line = 0;
	uint32_t col = 0;
	int ret, stored;

	ret = end_rows(conn, im, 1, err);
	if (ret < 0)
		return ret;
	/* A table of the session is never analyzed by autovacuum: the plans below need its statistics. */
	if (pb_db_exec(conn, "ANALYZE pg_temp.pb_link_rows", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	ret = first_ineligible(conn, im, &first, &line, &col, &why);
	if (ret == PB_ERR_DEPENDENCY)
		goto out;
	pb_test_pause("link-checked");
	/*
	 * Only the rows before the first refused one can be refused earlier: for an overlap. When a row is
	 * refused, or the reading stopped at bad data, they are checked and nothing is inserted.
	 */
	stored = pb_link_add_rows(conn, first, ret == 0 && !im->failed, "import-links", im->by, &bad, &other, &overlap);
	if (stored == PB_ERR_REFUSED)
		stored = say_row_overlap(conn, bad, other, im->line, im->col_no, &overlap);
	if (stored < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&overlap));
		ret = stored;
	} else if (ret < 0) {
		*im->line = line;
		*im->col_no = col;
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&why));
	} else {
		ret = im->failed;
	}
out:
	if (ret == PB_ERR_DEPENDENCY && why.len) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&why));
	}
	pb_buf_release(&why);
	pb_buf_release(&overlap);
	return ret;
}

/* What a file imports: the column names, which of them are required, and what is done with its rows. */
struct import_kind {
	const char *const *names;
	size_t ncolumns;
	const size_t *required;
	size_t nrequired;
	int (*start)(PGconn *conn, struct import *im, struct pb_buf *err);  /* after the header, unless NULL */
	int (*row)(PGconn *conn, struct import *im, struct pb_buf *err);    /* each record after the header */
	int (*finish)(PGconn *conn, struct import *im, struct pb_buf *err); /* after them, unless NULL */
};

/* Where the bad rows of an account import go when more than one may be reported. */
struct reporting {
	long max_errors;
	pb_import_report_fn *report;
	void *arg;
	long nerrors;
};

/*
 * Reads the CSV file at path as kind says, and calls its row for each record after the header (until one
 * fails, or sets im->failed), then its finish, all in one transaction that commits only when every call
 * succeeded (rep, unless NULL: the bad rows to report before stopping). Returns as pb_import_accounts.
 */
static int import_file(PGconn *conn, const struct import_kind *kind, const struct pb_eligibility *e, const char *path,
		       const char *by, struct reporting *rep, size_t *count, uint64_t *line, uint32_t *col,
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
	pb_buf_init(&im.rows, 0);
	im.names = kind->names;
	im.ncolumns = kind->ncolumns;
	im.line = line;
	im.col_no = col;
	im.e = e;
	im.by = by;
	if (pb_input_open(path, &in, err) < 0)
		goto out;
	if (pb_csv_init(&im.csv, pb_input_read, in, MAX_RECORD) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	csv_ready = 1;
	/*
	 * A client killed mid-import (kill -9, a lost machine) must not leave its statement running for minutes
	 * with the rows it locked: the server looks for the client every second while a statement runs
	 * (PostgreSQL 14 and later; set where it exists).
	 */
	if (pb_db_exec(conn,
		       "SELECT set_config(name, '1s', false) FROM pg_settings "
		       "WHERE name = 'client_connection_check_interval'",
		       0, NULL, err) < 0 ||
	    pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0) {
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	begun = 1;
	ret = read_header(&im, kind->required, kind->nrequired, err);
	if (ret == 0 && kind->start)
		ret = kind->start(conn, &im, err);
	if (ret < 0)
		goto out;
	for (;;) {
		rc = pb_csv_next(&im.csv);
		if (rc == PB_CSV_END)
			break;
		if (rc < 0) {
			ret = csv_error(&im, err);
			if (!kind->finish)
				goto out;
			im.failed = ret;
			break;
		}
		ret = kind->row(conn, &im, err);
		if (ret == PB_ERR_DATA && rep && rep->max_errors > 1) {
			/* Reported now; the rows after it are checked (and stored, then rolled back) all the same. */
			rep->report(rep->arg, *line, *col, pb_buf_str(err));
			pb_buf_reset(err);
			*line = 0;
			*col = 0;
			if (++rep->nerrors >= rep->max_errors)
				goto out;
			continue;
		}
		if (ret < 0)
			goto out;
		if (im.failed)
			break;
		(*count)++;
	}
	ret = kind->finish ? kind->finish(conn, &im, err) : 0;
	if (ret == 0 && rep && rep->nerrors)
		ret = PB_ERR_DATA;
	if (ret < 0)
		goto out;
	if (pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0) {
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	begun = 0;
	ret = 0;
out:
	end_rows(conn, &im, 0, &ignore);
	if (begun)
		pb_db_exec(conn, "ROLLBACK", 0, NULL, &ignore);
	if (ret < 0)
		*count = 0;
	if (csv_ready)
		pb_csv_release(&im.csv);
	if (im.seen)
		fclose(im.seen);
	pb_buf_release(&im.rows);
	pb_input_free(in);
	pb_buf_release(&ignore);
	return ret;
}

int pb_import_accounts(PGconn *conn, const char *path, const char *by, long max_errors, pb_import_report_fn *report,
		       void *arg, size_t *count, uint64_t *line, uint32_t *col, struct pb_buf *err)
{
	struct reporting rep = {max_errors, report, arg, 0};
	static const size_t required[] = {PB_ACCOUNT_ALIAS, PB_ACCOUNT_NAME, PB_ACCOUNT_COUNTRY};
	const char *names[PB_ACCOUNT_NFIELDS];
	struct import_kind kind = {names, PB_ACCOUNT_NFIELDS, required, 3, NULL, account_row, NULL};
	size_t f;

	for (f = 0; f < PB_ACCOUNT_NFIELDS; f++)
		names[f] = pb_account_fields[f].column;
	return import_file(conn, &kind, NULL, path, by, report ? &rep : NULL, count, line, col, err);
}

int pb_import_links(PGconn *conn, const struct pb_eligibility *e, const char *path, const char *by, size_t *count,
		    uint64_t *line, uint32_t *col, struct pb_buf *err)
{
	static const size_t required[] = {LINK_ALIAS, LINK_VENDOR, LINK_ID, LINK_FROM};
	static const struct import_kind kind = {link_columns, LINK_NCOLUMNS, required,	4,
						link_start,   link_row,	     link_check};

	return import_file(conn, &kind, e, path, by, NULL, count, line, col, err);
}
