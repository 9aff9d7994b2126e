/* Bulk imports of accounts and of links: columns matched by header, every row checked and stored in one transaction. */
#include "import.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
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

/* An alias a row of the file holds, and the row's line. */
struct seen {
	char alias[8];
	uint64_t line;
};

/* Where a link row of the file is: its line and the column of each of its fields (0: absent). */
struct link_where {
	uint64_t line;
	uint32_t col[5];
};

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
	struct seen *seen; /* accounts: the aliases of the rows read, with their lines */
	size_t nseen, seen_alloc;
	struct pb_link_row *links; /* links: the rows read, and where they are */
	struct link_where *where;
	size_t nlinks, links_alloc, where_alloc;
	int failed; /* links: the error of the row reading stopped at, in err */
	const struct pb_eligibility *e;
	const char *by;
};

/* Grows *items (of size bytes each) so that one more fits after n. Returns 0, or -1 when out of memory. */
static int grow(void **items, size_t *alloc, size_t n, size_t size)
{
	void *grown;
	size_t want;

	if (n < *alloc)
		return 0;
	want = *alloc ? *alloc * 2 : 64;
	grown = realloc(*items, want * size);
	if (!grown)
		return -1;
	*items = grown;
	*alloc = want;
	return 0;
}

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
 * Remembers the alias of the row at line. Returns 0; PB_ERR_DATA with a message when an earlier row of
 * the file holds it (the database would say it exists, which hides that the file holds it twice); or
 * PB_ERR_DEPENDENCY when out of memory.
 */
static int remember_alias(struct import *im, const char *alias, uint64_t line, struct pb_buf *why)
{
	size_t i;

	for (i = 0; i < im->nseen; i++) {
		if (strcmp(im->seen[i].alias, alias) == 0) {
			pb_buf_addf(why, "alias '%s' is on line %llu already", alias,
				    (unsigned long long)im->seen[i].line);
			return PB_ERR_DATA;
		}
	}
	if (grow((void **)&im->seen, &im->seen_alloc, im->nseen, sizeof(*im->seen)) < 0) {
		pb_buf_addstr(why, "out of memory");
		return PB_ERR_DEPENDENCY;
	}
	snprintf(im->seen[im->nseen].alias, sizeof(im->seen[im->nseen].alias), "%s", alias);
	im->seen[im->nseen].line = line;
	im->nseen++;
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
	if (ret == 0 && a.v[PB_ACCOUNT_ALIAS]) {
		bad = PB_ACCOUNT_ALIAS;
		ret = remember_alias(im, a.v[PB_ACCOUNT_ALIAS], im->csv.line, &why);
	}
	if (ret == 0)
		ret = pb_account_insert(conn, &a, im->by, &bad, &why);
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

/*
 * Reads the current record as a link row. A bad row stops the reading: its error is kept (im->failed, err
 * and the position) for link_check, which looks for an earlier row that is refused first.
 */
static int link_row(PGconn *conn, struct import *im, struct pb_buf *err)
{
	struct pb_buf why = PB_BUF_INIT;
	struct link_where *w;
	enum link_column bad;
	size_t c;
	int ret;

	(void)conn;
	if (check_text(im, 0, err) < 0) {
		im->failed = PB_ERR_DATA;
		return 0;
	}
	if (grow((void **)&im->links, &im->links_alloc, im->nlinks, sizeof(*im->links)) < 0 ||
	    grow((void **)&im->where, &im->where_alloc, im->nlinks, sizeof(*im->where)) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return PB_ERR_DEPENDENCY;
	}
	ret = link_fields(im, &im->links[im->nlinks], &bad, &why);
	if (ret < 0) {
		at_field(im, (size_t)im->col[bad], err);
		pb_buf_addstr(err, pb_buf_str(&why));
		im->failed = ret;
	} else {
		w = &im->where[im->nlinks++];
		w->line = im->csv.line;
		for (c = 0; c < LINK_NCOLUMNS; c++)
			if (im->col[c] >= 0)
				pb_csv_field_pos(&im->csv, (size_t)im->col[c], &w->line, &w->col[c]);
	}
	pb_buf_release(&why);
	return 0;
}

/* Sorts aliases (pointers to char arrays) as strcmp does. */
static int by_alias(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The facts of every account the rows link for vendor: the distinct aliases, sorted, in *aliases (n in *n)
 * and their facts in *facts. Returns 0, or PB_ERR_DEPENDENCY.
 */
static int vendor_facts(PGconn *conn, const struct import *im, int vendor, const char ***aliases, size_t *n,
			struct pb_eligibility_facts **facts, struct pb_buf *err)
{
	const char **a = malloc((im->nlinks ? im->nlinks : 1) * sizeof(*a));
	size_t i, k = 0;

	*aliases = a;
	*n = 0;
	*facts = NULL;
	if (!a)
		goto oom;
	for (i = 0; i < im->nlinks; i++)
		if (im->links[i].vendor == vendor)
			a[k++] = im->links[i].alias;
	qsort(a, k, sizeof(*a), by_alias);
	for (i = 0; i < k; i++)
		if (*n == 0 || strcmp(a[*n - 1], a[i]) != 0)
			a[(*n)++] = a[i];
	*facts = malloc((*n ? *n : 1) * sizeof(**facts));
	if (!*facts)
		goto oom;
	return pb_eligibility_facts_all(conn, a, *n, vendor, *facts, err);
oom:
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return PB_ERR_DEPENDENCY;
}

/* "ALIAS: not eligible for VENDOR: " and the failing rules, on one line. */
static void say_ineligible(const struct pb_link_row *l, const struct pb_buf *reasons, struct pb_buf *why)
{
	const char *r = pb_buf_str(reasons);
	size_t n;

	pb_buf_addf(why, "%s: not eligible for %s: ", l->alias, pb_vendor_names[l->vendor]);
	while (*r) {
		n = strcspn(r, "\n");
		pb_buf_add(why, r, n);
		r += n;
		if (*r && *++r)
			pb_buf_addstr(why, "; ");
	}
}

/*
 * The first row, in the file's order, whose account does not exist (PB_ERR_DATA) or is not eligible for its
 * vendor (PB_ERR_REFUSED), with the message in why; *first is nlinks when every account is eligible.
 */
static int first_ineligible(PGconn *conn, const struct import *im, size_t *first, struct pb_buf *why)
{
	const char **aliases[PB_NVENDORS] = {NULL};
	struct pb_eligibility_facts *facts[PB_NVENDORS] = {NULL};
	struct pb_buf reasons = PB_BUF_INIT;
	size_t n[PB_NVENDORS] = {0}, i;
	int ret = 0, v;

	*first = im->nlinks;
	for (v = 0; v < PB_NVENDORS && ret == 0; v++)
		ret = vendor_facts(conn, im, v, &aliases[v], &n[v], &facts[v], why);
	for (i = 0; i < im->nlinks && ret == 0; i++) {
		const struct pb_link_row *l = &im->links[i];
		const char *key = l->alias, **at_alias;
		const struct pb_eligibility_facts *f;

		at_alias = bsearch(&key, aliases[l->vendor], n[l->vendor], sizeof(key), by_alias);
		f = &facts[l->vendor][at_alias - aliases[l->vendor]];
		if (!f->alias[0]) {
			pb_buf_addf(why, "no CLC account '%s'", l->alias);
			ret = PB_ERR_DATA;
		} else if (pb_eligibility_check(im->e, l->vendor, f, &reasons)) {
			say_ineligible(l, &reasons, why);
			ret = PB_ERR_REFUSED;
		}
		if (ret < 0)
			*first = i;
	}
	for (v = 0; v < PB_NVENDORS; v++) {
		free(aliases[v]);
		free(facts[v]);
	}
	pb_buf_release(&reasons);
	return ret;
}

/* An overlap with the earlier row o of the file (at line), as link would say it of a link in the database. */
static void say_row_overlap(const struct pb_link_row *o, uint64_t line, struct pb_buf *why)
{
	char day[11];

	pb_buf_reset(why);
	pb_date_format(o->from, day);
	pb_buf_addf(why, "%s partner account %s is linked to %s from %s", pb_vendor_names[o->vendor], o->id, o->alias,
		    day);
	if (o->to != PB_LINK_OPEN) {
		pb_date_format(o->to, day);
		pb_buf_addf(why, " to %s", day);
	} else {
		pb_buf_addstr(why, " (open-ended)");
	}
	pb_buf_addf(why, " on line %llu already: a partner account maps to one CLC account at a time",
		    (unsigned long long)line);
}

/*
 * After the rows are read: the first refused row, in the file's order, as link refuses a link (the account
 * first, then an overlap), else the row the reading stopped at; or every row stored.
 */
static int link_check(PGconn *conn, struct import *im, struct pb_buf *err)
{
	struct pb_buf why = PB_BUF_INIT, overlap = PB_BUF_INIT;
	size_t first, bad;
	long other;
	int ret, stored;

	ret = first_ineligible(conn, im, &first, &why);
	if (ret == PB_ERR_DEPENDENCY)
		goto out;
	pb_test_pause("link-checked");
	/*
	 * Only the rows before the first refused one can be refused earlier: for an overlap. When a row is
	 * refused, or the reading stopped at bad data, they are checked and nothing is inserted.
	 */
	stored = pb_link_add_all(conn, im->links, first, ret == 0 && !im->failed, "import-links", im->by, &bad, &other,
				 &overlap);
	if (stored == PB_ERR_REFUSED) {
		if (other >= 0)
			say_row_overlap(&im->links[other], im->where[other].line, &overlap);
		*im->line = im->where[bad].line;
		*im->col_no = im->where[bad].col[LINK_ID];
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&overlap));
		ret = stored;
	} else if (stored < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&overlap));
		ret = stored;
	} else if (ret < 0) {
		*im->line = im->where[first].line;
		*im->col_no = im->where[first].col[LINK_ALIAS];
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
	int (*row)(PGconn *conn, struct import *im, struct pb_buf *err);    /* each record after the header */
	int (*finish)(PGconn *conn, struct import *im, struct pb_buf *err); /* after them, unless NULL */
};

/*
 * Reads the CSV file at path as kind says, and calls its row for each record after the header (until one
 * fails, or sets im->failed), then its finish, all in one transaction that commits only when every call
 * succeeded. Returns as pb_import_accounts.
 */
static int import_file(PGconn *conn, const struct import_kind *kind, const struct pb_eligibility *e, const char *path,
		       const char *by, size_t *count, uint64_t *line, uint32_t *col, struct pb_buf *err)
{
	struct import im;
	struct pb_input *in = NULL;
	struct pb_buf ignore = PB_BUF_INIT;
	int ret = PB_ERR_DATA, csv_ready = 0, begun = 0, rc;

	*count = 0;
	*line = 0;
	*col = 0;
	memset(&im, 0, sizeof(im));
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
		if (ret < 0)
			goto out;
		if (im.failed)
			break;
		(*count)++;
	}
	ret = kind->finish ? kind->finish(conn, &im, err) : 0;
	if (ret < 0)
		goto out;
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
	free(im.links);
	free(im.where);
	pb_input_free(in);
	pb_buf_release(&ignore);
	return ret;
}

int pb_import_accounts(PGconn *conn, const char *path, const char *by, size_t *count, uint64_t *line, uint32_t *col,
		       struct pb_buf *err)
{
	static const size_t required[] = {PB_ACCOUNT_ALIAS, PB_ACCOUNT_NAME, PB_ACCOUNT_COUNTRY};
	const char *names[PB_ACCOUNT_NFIELDS];
	struct import_kind kind = {names, PB_ACCOUNT_NFIELDS, required, 3, account_row, NULL};
	size_t f;

	for (f = 0; f < PB_ACCOUNT_NFIELDS; f++)
		names[f] = pb_account_fields[f].column;
	return import_file(conn, &kind, NULL, path, by, count, line, col, err);
}

int pb_import_links(PGconn *conn, const struct pb_eligibility *e, const char *path, const char *by, size_t *count,
		    uint64_t *line, uint32_t *col, struct pb_buf *err)
{
	static const size_t required[] = {LINK_ALIAS, LINK_VENDOR, LINK_ID, LINK_FROM};
	static const struct import_kind kind = {link_columns, LINK_NCOLUMNS, required, 4, link_row, link_check};

	return import_file(conn, &kind, e, path, by, count, line, col, err);
}
