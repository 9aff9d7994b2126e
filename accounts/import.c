/* Bulk imports of accounts and of links: columns matched by header, every row checked and stored in one transaction. */
#include "import.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

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

/*
 * An alias a row of the file holds (2 to 6 characters), and the row's line: a record of the seen file. The
 * records of aliases of the same hash are chained, the latest first: next is the offset of the one before it,
 * plus one (0: none).
 */
struct seen {
	char alias[8];
	uint64_t line;
	uint64_t next;
};

/* How many chains the seen file has: their heads (the offset of each one's latest record, plus one) are in memory. */
#define SEEN_CHAINS ((size_t)1 << 16)

/* How many bytes of link rows are sent to the server at a time. */
#define COPY_CHUNK ((size_t)64 << 10)

/* The columns of a link file, in the order of enum link_column. */
enum link_column { LINK_ALIAS, LINK_VENDOR, LINK_ID, LINK_FROM, LINK_TO, LINK_NCOLUMNS };
static const char *const link_columns[LINK_NCOLUMNS] = {"alias", "vendor", "partner_account_id", "from", "to"};

/* Where the bad rows of an import go when more than one may be reported. */
struct reporting {
	long max_errors;
	pb_import_report_fn *report;
	void *arg;
	long nerrors;
};

/* A row of bad data of a link file, kept until the rows are checked: len bytes of message follow it. */
struct bad_row {
	uint64_t n, line;
	uint32_t col, len;
	int32_t code;
};

/* Where the import is: the reader, which field holds which column, and where an error points. */
struct import {
	struct pb_csv csv;
	const char *const *names; /* the column names the file may have */
	size_t ncolumns;
	long col[PB_ACCOUNT_NFIELDS]; /* field index of each column, -1 when absent */
	uint64_t *line;
	uint32_t *col_no;
	FILE *seen;	       /* accounts: the aliases of the rows stored, with their lines (a temporary file) */
	uint64_t *seen_heads;  /* accounts: the heads of its chains (SEEN_CHAINS), once it is made */
	uint64_t seen_size;    /* accounts: its size */
	int copying;	       /* links: the rows read go to the server (COPY) */
	struct pb_buf rows;    /* links: the rows read that are not sent yet */
	uint64_t nlinks;       /* links: how many rows were read (the next one's n) */
	uint64_t unchanged;    /* the rows stored already, as the file gives them: nothing written for them */
	int look_first;	       /* accounts: the last row was stored already: the next is looked for before its INSERT */
	int failed;	       /* links: the error of the row reading stopped at, in err */
	FILE *bad;	       /* links: the rows of bad data read (a temporary file), when more than one is reported */
	long nbad;	       /* links: how many */
	int full;	       /* links: as many bad rows were read as may be reported */
	struct reporting *rep; /* the bad rows to report, unless NULL: the first alone */
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
		if (f == im->ncolumns && fd->len > PB_ACCOUNT_MAX_TEXT) {
			/* Quoted, it would be up to four times the record, on one line. */
			at_field(im, i, err);
			pb_buf_addf(err, "unknown column: %zu bytes long", (size_t)fd->len);
			return PB_ERR_DATA;
		}
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

/* Which chain of the seen file alias is on (FNV-1a). */
static size_t seen_chain(const char *alias)
{
	uint32_t h = 2166136261u;

	for (; *alias; alias++)
		h = (h ^ (unsigned char)*alias) * 16777619u;
	return h & (SEEN_CHAINS - 1);
}

/*
 * Notes the alias of the row at line, stored (or found stored already, unchanged), in the seen file: an alias
 * is looked for there only when the database refuses it or holds it already (first_line), by its chain, so that a
 * file of any length is read in the same memory, each row costs one write and each alias refused a few reads,
 * however many are. Returns 0, or PB_ERR_DEPENDENCY with a message.
 */
static int remember_alias(struct import *im, const char *alias, uint64_t line, struct pb_buf *why)
{
	struct seen r;
	size_t c = seen_chain(alias);
	ssize_t n = -1;

	memset(&r, 0, sizeof(r));
	snprintf(r.alias, sizeof(r.alias), "%s", alias);
	r.line = line;
	errno = 0;
	if (!im->seen_heads)
		im->seen_heads = calloc(SEEN_CHAINS, sizeof(*im->seen_heads));
	if (im->seen_heads && !im->seen)
		im->seen = pb_tmpfile();
	if (im->seen) {
		r.next = im->seen_heads[c];
		errno = 0;
		n = pwrite(fileno(im->seen), &r, sizeof(r), (off_t)im->seen_size);
	}
	if (n != (ssize_t)sizeof(r)) {
		int e = errno ? errno : ENOSPC; /* a short write: the disk is full */

		pb_buf_reset(why);
		pb_buf_addf(why, "cannot write a temporary file in '%s': %s", pb_tmpdir(), strerror(e));
		return PB_ERR_DEPENDENCY;
	}
	im->seen_heads[c] = im->seen_size + 1;
	im->seen_size += sizeof(r);
	return 0;
}

/*
 * The line of the row of the file that holds alias, stored already, found in the seen file; 0 when none does
 * (the account existed before the import), or -1 with a message.
 */
static int64_t first_line(struct import *im, const char *alias, struct pb_buf *why)
{
	struct seen r;
	uint64_t at;

	if (!im->seen)
		return 0;
	for (at = im->seen_heads[seen_chain(alias)]; at; at = r.next) {
		errno = 0;
		if (pread(fileno(im->seen), &r, sizeof(r), (off_t)(at - 1)) != (ssize_t)sizeof(r)) {
			pb_buf_reset(why);
			pb_buf_addf(why, "cannot read a temporary file: %s", strerror(errno ? errno : EIO));
			return -1;
		}
		if (strcmp(r.alias, alias) == 0)
			return (int64_t)r.line;
	}
	return 0;
}

/*
 * Imports of accounts take turns, each holding the lock until its transaction ends: two files listing the same
 * new aliases in opposite orders would each wait for a row the other inserted (a deadlock, one of them failing
 * with exit 3 and no line named); the second now waits for the first, then finds the aliases it stored.
 */
static int accounts_start(PGconn *conn, struct import *im, struct pb_buf *err)
{
	(void)im;
	return pb_db_exec(conn, "SELECT pg_advisory_xact_lock(hashtextextended('pb-accounts|import', 0))", 0, NULL,
			  err) < 0
		       ? PB_ERR_DEPENDENCY
		       : 0;
}

/*
 * Whether an earlier row of the file holds alias (looked for in the seen file, without a statement): PB_ERR_DATA
 * naming its line in why, which "exists" or "unchanged" would hide; 0 when none does; or PB_ERR_DEPENDENCY.
 */
static int earlier_row(struct import *im, const char *alias, struct pb_buf *why)
{
	int64_t earlier = first_line(im, alias, why);

	if (earlier < 0)
		return PB_ERR_DEPENDENCY;
	if (earlier > 0) {
		pb_buf_reset(why);
		pb_buf_addf(why, "alias '%s' is on line %llu already", alias, (unsigned long long)earlier);
		return PB_ERR_DATA;
	}
	return 0;
}

/*
 * The current record's account is stored already with the row's values: unchanged (0, counted), unless an earlier
 * row of the file holds its alias (PB_ERR_DATA naming that row's line, which "exists" or "unchanged" would hide),
 * looked for in the seen file, without a statement; or PB_ERR_DEPENDENCY. The message goes to why.
 */
static int unchanged_account(struct import *im, const char *alias, struct pb_buf *why)
{
	int ret = earlier_row(im, alias, why);

	if (ret == 0)
		im->unchanged++;
	return ret;
}

/*
 * The current record's alias, which the database refused as existing: an earlier row's (PB_ERR_DATA naming its
 * line), looked for first, without a statement; else an account stored already that holds the row's values in the
 * columns of the file (compare): unchanged (0), and the next row is looked for before its INSERT; or not:
 * PB_ERR_DATA ("exists already", in why as the INSERT left it). Or PB_ERR_DEPENDENCY with the message in why.
 */
static int existing_account(PGconn *conn, struct import *im, const struct pb_account *a, const char *compare,
			    struct pb_buf *why)
{
	const char *alias = a->v[PB_ACCOUNT_ALIAS];
	int state, ret = earlier_row(im, alias, why);

	if (ret < 0)
		return ret;
	/* Which values differ: a file run again after an update of the account is refused naming what changed. */
	if (pb_account_stored(conn, a, compare, &state, why, why) < 0)
		return PB_ERR_DEPENDENCY;
	if (state != PB_ACCOUNT_SAME)
		return PB_ERR_DATA;
	im->look_first = 1;
	return unchanged_account(im, alias, why);
}

/*
 * After a row found stored already (a file imported again, most of its rows stored), the next row's account is
 * looked for before its INSERT: one statement a row stored already, not two. *done is set when the row is found
 * stored with its values (unchanged, or an alias on an earlier line: the result is returned); else it goes to the
 * INSERT as any row, and a row of a new account ends the looking first. Returns 0, PB_ERR_DATA or
 * PB_ERR_DEPENDENCY with the message in why.
 */
static int stored_first(PGconn *conn, struct import *im, const struct pb_account *a, const char *compare, int *done,
			struct pb_buf *why)
{
	int state;

	*done = 0;
	if (pb_account_stored(conn, a, compare, &state, NULL, why) < 0)
		return PB_ERR_DEPENDENCY;
	if (state == PB_ACCOUNT_NONE)
		im->look_first = 0;
	if (state != PB_ACCOUNT_SAME)
		return 0;
	*done = 1;
	return unchanged_account(im, a->v[PB_ACCOUNT_ALIAS], why);
}

/*
 * Checks and inserts the current record as an account, or finds it stored already with the row's values
 * (unchanged: nothing written).
 */
static int account_row(PGconn *conn, struct import *im, struct pb_buf *err)
{
	struct pb_account a;
	struct pb_buf why = PB_BUF_INIT;
	enum pb_account_field bad = PB_ACCOUNT_ALIAS;
	char compare[PB_ACCOUNT_NFIELDS + 1];
	size_t f;
	int ret = 0, done = 0;

	if (check_text(im, 0, err) < 0)
		return PB_ERR_DATA;
	pb_account_init(&a);
	for (f = 0; f < PB_ACCOUNT_NFIELDS && ret == 0; f++) {
		const struct pb_csv_field *fd;

		/* A column the file leaves out says nothing of the field: an account stored already keeps its value. */
		compare[f] = im->col[f] < 0 ? '0' : '1';
		if (im->col[f] < 0)
			continue;
		fd = &im->csv.fields[im->col[f]];
		ret = pb_account_set(&a, (enum pb_account_field)f, fd->ptr, fd->len, &why);
		bad = (enum pb_account_field)f;
	}
	compare[PB_ACCOUNT_NFIELDS] = '\0';
	if (ret == 0 && im->look_first) {
		ret = stored_first(conn, im, &a, compare, &done, &why);
		bad = PB_ACCOUNT_ALIAS;
	}
	if (ret == 0 && !done) {
		ret = pb_account_insert(conn, &a, im->by, &bad, &why);
		if (ret == PB_ERR_DATA && bad == PB_ACCOUNT_ALIAS && a.v[PB_ACCOUNT_ALIAS])
			ret = existing_account(conn, im, &a, compare, &why);
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

/*
 * Field c of the current record as field_text copies it, in *text: 0, or PB_ERR_DATA with the message in why
 * when it is longer than a field of an import file may be (its length said: quoted, the text could be four times
 * the record, on every bad row).
 */
static int column_text(struct import *im, enum link_column c, struct pb_buf *b, const char **text, struct pb_buf *why)
{
	size_t len = im->col[c] >= 0 ? im->csv.fields[im->col[c]].len : 0;

	*text = "";
	if (len > PB_ACCOUNT_MAX_TEXT) {
		pb_buf_addf(why, "bad %s: %zu bytes long, at most %d", link_columns[c], len, PB_ACCOUNT_MAX_TEXT);
		return PB_ERR_DATA;
	}
	*text = field_text(im, c, b);
	return 0;
}

/*
 * A date of column c into *day, in a month every program takes (PB_DATE_FIRST_MONTH to PB_DATE_LAST_MONTH): 0, 1
 * when the field is empty, or PB_ERR_DATA with the message (one out of range said in pb_date_bound's words).
 */
static int date_field(struct import *im, enum link_column c, int32_t *day, struct pb_buf *b, struct pb_buf *why)
{
	const char *text;
	enum pb_date_case dc;

	if (column_text(im, c, b, &text, why) < 0)
		return PB_ERR_DATA;
	if (!*text)
		return 1;
	dc = pb_date_read(text, strlen(text), PB_DATE_DAY, day);
	if (dc == PB_DATE_OK)
		return 0;
	pb_buf_addf(why, "%s%s date '", dc == PB_DATE_MALFORMED ? "bad " : "", link_columns[c]);
	pb_account_quote(why, text, strlen(text));
	if (dc == PB_DATE_MALFORMED)
		pb_buf_addstr(why, "': a date YYYY-MM-DD");
	else
		pb_buf_addf(why, "' is out of range: %s%s", pb_date_bound(dc),
			    dc == PB_DATE_AFTER_LAST && c == LINK_TO ? " (empty: no end)" : "");
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
	ret = column_text(im, LINK_ALIAS, &b, &text, why);
	if (ret == 0)
		ret = pb_account_alias(text, l->alias, why);
	if (ret == 0) {
		*bad = LINK_VENDOR;
		ret = column_text(im, LINK_VENDOR, &b, &text, why);
		l->vendor = pb_vendor_index(text);
		if (ret == 0 && l->vendor < 0) {
			pb_buf_addstr(why, "bad vendor '");
			pb_account_quote(why, text, strlen(text));
			pb_buf_addstr(why, "': aws or azure");
			ret = PB_ERR_DATA;
		}
	}
	if (ret == 0) {
		*bad = LINK_ID;
		ret = column_text(im, LINK_ID, &b, &text, why);
		if (ret == 0)
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
 * file), each with where it is: its order n, its line, the columns of its alias and id; the links stored already
 * that rows of the file are (unchanged) go to another.
 */
static int link_start(PGconn *conn, struct import *im, struct pb_buf *err)
{
	if (pb_db_exec(conn,
		       "CREATE TEMP TABLE pb_link_rows (n bigint NOT NULL, line bigint NOT NULL, col_alias integer NOT "
		       "NULL, col_id integer NOT NULL, vendor text NOT NULL, id text NOT NULL, alias text NOT NULL, "
		       "f date NOT NULL, t date) ON COMMIT DROP",
		       0, NULL, err) < 0 ||
	    pb_db_exec(
		    conn,
		    "CREATE TEMP TABLE pb_link_bad (n bigint PRIMARY KEY, line bigint NOT NULL, col integer NOT NULL, "
		    "code integer NOT NULL, msg text, vendor text, id text, f date, t date, during int8range) ON "
		    "COMMIT DROP",
		    0, NULL, err) < 0 ||
	    pb_db_exec(conn, "CREATE TEMP TABLE pb_link_same (id bigint PRIMARY KEY) ON COMMIT DROP", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	if (pb_db_copy_start(conn, "COPY pg_temp.pb_link_rows FROM STDIN", err) < 0)
		return PB_ERR_DEPENDENCY;
	im->copying = 1;
	return 0;
}

/* How many bad rows may be reported. */
static long max_errors(const struct import *im)
{
	return im->rep ? im->rep->max_errors : 1;
}

/*
 * A link row of bad data, what is wrong in err at its position. With one bad row to report, the reading stops
 * at it: its error is kept (im->failed, err and the position) for link_check, which looks for an earlier row
 * that is refused first. With more, it goes to the temporary file of bad rows, to be reported in its place
 * among the refused ones, and the reading stops at the last that may be reported (im->full). Returns 0, or
 * PB_ERR_DEPENDENCY with the message.
 */
static int link_bad_row(struct import *im, int code, struct pb_buf *err)
{
	struct bad_row r;

	if (max_errors(im) == 1) {
		im->failed = code;
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.n = im->nlinks++;
	r.line = *im->line;
	r.col = *im->col_no;
	r.len = (uint32_t)err->len;
	r.code = code;
	if (!im->bad)
		im->bad = pb_tmpfile();
	if (!im->bad || fwrite(&r, sizeof(r), 1, im->bad) != 1 || fwrite(pb_buf_str(err), 1, r.len, im->bad) != r.len) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot write a temporary file in '%s': %s", pb_tmpdir(), strerror(errno));
		*im->line = 0;
		*im->col_no = 0;
		return PB_ERR_DEPENDENCY;
	}
	pb_buf_reset(err);
	*im->line = 0;
	*im->col_no = 0;
	if (++im->nbad >= max_errors(im))
		im->full = 1;
	return 0;
}

/* Reads the current record as a link row, on its way to the server; a bad one goes to link_bad_row. */
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

	if (check_text(im, 0, err) < 0)
		return link_bad_row(im, PB_ERR_DATA, err);
	ret = link_fields(im, &l, &bad, &why);
	if (ret < 0) {
		at_field(im, (size_t)im->col[bad], err);
		pb_buf_addstr(err, pb_buf_str(&why));
		pb_buf_release(&why);
		return link_bad_row(im, ret, err);
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

/* Appends s to the text[] literal b as one element, quoted. */
static void add_element(struct pb_buf *b, const char *s)
{
	pb_buf_addch(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			pb_buf_addch(b, '\\');
		pb_buf_addch(b, *s);
	}
	pb_buf_addch(b, '"');
}

/*
 * The vendors and aliases of the rows' accounts that are not eligible for the vendor under im->e, and what
 * is said of each, as three text[] literals (how many accounts the database holds at most, whatever the
 * file). The accounts are locked (FOR SHARE) until the transaction ends. Returns 0 or PB_ERR_DEPENDENCY.
 */
static int ineligible_accounts(PGconn *conn, const struct import *im, struct pb_buf *vendors, struct pb_buf *aliases,
			       struct pb_buf *msgs, struct pb_buf *err)
{
	struct pb_buf sql = PB_BUF_INIT, reasons = PB_BUF_INIT, msg = PB_BUF_INIT;
	struct pb_eligibility_facts f;
	int v, r, n = 0, ret = 0;

	pb_buf_addstr(vendors, "{");
	pb_buf_addstr(aliases, "{");
	pb_buf_addstr(msgs, "{");
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
			pb_buf_reset(&msg);
			say_ineligible(f.alias, v, &reasons, &msg);
			/* Aliases are letters and digits: nothing to quote. */
			pb_buf_addf(vendors, "%s%s", n ? "," : "", pb_vendor_names[v]);
			pb_buf_addf(aliases, "%s%s", n ? "," : "", f.alias);
			pb_buf_addstr(msgs, n ? "," : "");
			add_element(msgs, pb_buf_str(&msg));
			n++;
		}
		PQclear(res);
	}
	pb_buf_addstr(vendors, "}");
	pb_buf_addstr(aliases, "}");
	pb_buf_addstr(msgs, "}");
	if (ret == 0 && (vendors->failed || aliases->failed || msgs->failed || sql.failed || msg.failed)) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		ret = PB_ERR_DEPENDENCY;
	}
	pb_buf_release(&sql);
	pb_buf_release(&reasons);
	pb_buf_release(&msg);
	return ret;
}

/*
 * The rows whose account does not exist (PB_ERR_DATA) or is not eligible for their vendor (PB_ERR_REFUSED),
 * into pg_temp.pb_link_bad with what is wrong, at their alias. Only the rows before the last of them that
 * may be reported can be refused for an overlap and be reported: *limit is its n (-1 when every row can).
 * Returns 0 or PB_ERR_DEPENDENCY.
 */
static int account_errors(PGconn *conn, const struct import *im, int64_t *limit, struct pb_buf *why)
{
	struct pb_buf vendors = PB_BUF_INIT, aliases = PB_BUF_INIT, msgs = PB_BUF_INIT;
	char data_s[8], refused_s[8], skip_s[24];
	const char *p[5] = {NULL, NULL, NULL, data_s, refused_s};
	PGresult *res = NULL;
	int ret;

	*limit = -1;
	ret = ineligible_accounts(conn, im, &vendors, &aliases, &msgs, why);
	if (ret < 0)
		goto out;
	p[0] = pb_buf_str(&vendors);
	p[1] = pb_buf_str(&aliases);
	p[2] = pb_buf_str(&msgs);
	snprintf(data_s, sizeof(data_s), "%d", PB_ERR_DATA);
	snprintf(refused_s, sizeof(refused_s), "%d", PB_ERR_REFUSED);
	snprintf(skip_s, sizeof(skip_s), "%ld", max_errors(im) - 1);
	if (pb_db_exec(
		    conn,
		    "INSERT INTO pg_temp.pb_link_bad (n, line, col, code, msg) SELECT r.n, r.line, r.col_alias, CASE "
		    "WHEN a.alias IS NULL THEN $4::integer ELSE $5::integer END, CASE WHEN a.alias IS NULL THEN "
		    "format('no CLC account ''%s''', r.alias) ELSE i.msg END FROM pg_temp.pb_link_rows r LEFT JOIN "
		    "pb.clc_account a ON a.alias = r.alias LEFT JOIN unnest($1::text[], $2::text[], $3::text[]) i "
		    "(vendor, alias, msg) ON i.vendor = r.vendor AND i.alias = r.alias WHERE a.alias IS NULL OR "
		    "i.alias IS NOT NULL",
		    5, p, why) < 0 ||
	    pb_db_exec(conn, "ANALYZE pg_temp.pb_link_bad", 0, NULL, why) < 0) {
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	p[0] = skip_s;
	res = pb_db_query(conn, "SELECT n FROM pg_temp.pb_link_bad ORDER BY n OFFSET $1::bigint LIMIT 1", 1, p, why);
	if (!res)
		ret = PB_ERR_DEPENDENCY;
	else if (PQntuples(res) == 1)
		*limit = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
out:
	PQclear(res);
	pb_buf_release(&vendors);
	pb_buf_release(&aliases);
	pb_buf_release(&msgs);
	return ret;
}

/* Whether pg_temp.pb_link_bad holds a row, in *any. Returns 0 or PB_ERR_DEPENDENCY. */
static int any_refused(PGconn *conn, int *any, struct pb_buf *why)
{
	PGresult *res = pb_db_query(conn, "SELECT EXISTS (SELECT 1 FROM pg_temp.pb_link_bad)", 0, NULL, why);

	if (!res)
		return PB_ERR_DEPENDENCY;
	*any = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

/*
 * The next row of the temporary file of bad rows into *r and its message into msg: 1, 0 when there is none,
 * or PB_ERR_DEPENDENCY with the message in why.
 */
static int next_bad_row(struct import *im, struct bad_row *r, struct pb_buf *msg, struct pb_buf *why)
{
	char chunk[4096];
	size_t left, n;

	if (!im->bad || fread(r, sizeof(*r), 1, im->bad) != 1) {
		if (!im->bad || !ferror(im->bad))
			return 0;
		goto fail;
	}
	pb_buf_reset(msg);
	for (left = r->len; left > 0; left -= n) {
		n = fread(chunk, 1, left < sizeof(chunk) ? left : sizeof(chunk), im->bad);
		if (n == 0)
			goto fail;
		pb_buf_add(msg, chunk, n);
	}
	return 1;
fail:
	pb_buf_reset(why);
	pb_buf_addstr(why, "cannot read a temporary file");
	return PB_ERR_DEPENDENCY;
}

/*
 * One bad row: with one to report, left in err with its position; with more, given to report. *worst becomes
 * PB_ERR_DATA when the row holds bad data, else PB_ERR_REFUSED unless it was PB_ERR_DATA.
 */
static void report_one(struct import *im, uint64_t line, uint32_t col, int code, const char *msg, struct pb_buf *err,
		       int *worst)
{
	if (max_errors(im) == 1) {
		*im->line = line;
		*im->col_no = col;
		pb_buf_reset(err);
		pb_buf_addstr(err, msg);
	} else {
		im->rep->report(im->rep->arg, line, col, msg);
		im->rep->nerrors++;
	}
	if (*worst != PB_ERR_DATA)
		*worst = code == PB_ERR_DATA ? PB_ERR_DATA : PB_ERR_REFUSED;
}

/* How many refused rows are read from the server at a time. */
#define FETCH_ROWS 1000

/*
 * Reports the bad rows in the file's order, up to max_errors: those the server refused (pg_temp.pb_link_bad)
 * and those of bad data the reading kept (im->bad), then the error the reading stopped at (im->failed, in err
 * and its position, left there). Returns what the rows reported call for (PB_ERR_DATA when one of them holds
 * bad data, else PB_ERR_REFUSED), or PB_ERR_DEPENDENCY with the message.
 */
static int report_bad(PGconn *conn, struct import *im, struct pb_buf *err)
{
	struct pb_buf sql = PB_BUF_INIT, why = PB_BUF_INIT, msg = PB_BUF_INIT;
	struct bad_row r;
	char max_s[24], fetch[64];
	const char *p[1] = {max_s};
	PGresult *res = NULL;
	long max = max_errors(im), shown = 0;
	int row = 0, nrows = 0, done = 0, have = 0, worst = 0, ret = 0;

	snprintf(max_s, sizeof(max_s), "%ld", max);
	snprintf(fetch, sizeof(fetch), "FETCH %ld FROM pb_link_bad_rows", max < FETCH_ROWS ? max : FETCH_ROWS);
	pb_buf_addf(&sql, "DECLARE pb_link_bad_rows NO SCROLL CURSOR FOR %s", pb_link_bad_select);
	if (sql.failed || pb_db_exec(conn, pb_buf_str(&sql), 1, p, &why) < 0) {
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	if (im->bad && (fflush(im->bad) != 0 || fseek(im->bad, 0, SEEK_SET) != 0)) {
		pb_buf_addf(&why, "cannot read a temporary file: %s", strerror(errno));
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	while (shown < max) {
		if (!have)
			have = next_bad_row(im, &r, &msg, &why);
		if (have < 0) {
			ret = have;
			goto out;
		}
		if (row == nrows && !done) {
			PQclear(res);
			res = pb_db_query(conn, fetch, 0, NULL, &why);
			if (!res) {
				ret = PB_ERR_DEPENDENCY;
				goto out;
			}
			row = 0;
			nrows = PQntuples(res);
			done = nrows == 0;
		}
		if (row < nrows && (!have || strtoull(PQgetvalue(res, row, 0), NULL, 10) < r.n)) {
			report_one(im, strtoull(PQgetvalue(res, row, 1), NULL, 10),
				   (uint32_t)strtoul(PQgetvalue(res, row, 2), NULL, 10),
				   (int)strtol(PQgetvalue(res, row, 3), NULL, 10), PQgetvalue(res, row, 4), err,
				   &worst);
			row++;
		} else if (have) {
			report_one(im, r.line, r.col, r.code, pb_buf_str(&msg), err, &worst);
			have = 0;
		} else {
			break;
		}
		shown++;
	}
	if (im->failed && shown < max) {
		if (worst != PB_ERR_DATA)
			worst = im->failed;
	} else if (max > 1) {
		pb_buf_reset(err);
		*im->line = 0;
		*im->col_no = 0;
	}
	ret = worst;
out:
	if (ret == PB_ERR_DEPENDENCY) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&why));
	}
	PQclear(res);
	pb_buf_release(&sql);
	pb_buf_release(&why);
	pb_buf_release(&msg);
	return ret;
}

/*
 * The rows of pg_temp.pb_link_rows that are links stored already, the same partner account linked to the same
 * account from the same day to the same day (the first such row of the file, for each link, which
 * pg_temp.pb_link_same keeps: another row of the same link is refused as overlapping it, whenever it is looked
 * for): removed from it (and from pg_temp.pb_link_bad), counted in *n and im->unchanged. Nothing is checked or stored
 * for them. A link ended since (unlink) is not the row's link any more: the row is left, to be refused as overlapping
 * it. Returns 0 or PB_ERR_DEPENDENCY.
 */
static int unchanged_links(PGconn *conn, struct import *im, uint64_t *n, struct pb_buf *err)
{
	PGresult *res = pb_db_query(
		conn,
		"WITH m AS (SELECT DISTINCT ON (pa.id) pa.id, s.n FROM pg_temp.pb_link_rows s JOIN pb.partner_account "
		"pa ON pa.vendor = s.vendor AND pa.partner_account_id = s.id AND pa.valid_from = s.f AND pa.valid_to "
		"IS "
		"NOT DISTINCT FROM s.t AND pa.alias = s.alias WHERE NOT EXISTS (SELECT 1 FROM pg_temp.pb_link_same x "
		"WHERE x.id = pa.id) ORDER BY pa.id, s.n), kept AS (INSERT INTO pg_temp.pb_link_same SELECT id FROM "
		"m), "
		"same AS (DELETE FROM pg_temp.pb_link_rows r USING m WHERE r.n = m.n RETURNING r.n), gone AS (DELETE "
		"FROM pg_temp.pb_link_bad b USING same WHERE b.n = same.n) SELECT count(*) FROM same",
		0, NULL, err);

	if (!res)
		return PB_ERR_DEPENDENCY;
	*n = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	im->unchanged += *n;
	/* The plans of the checks need the table's statistics as it is now. */
	if (*n && pb_db_exec(conn, "ANALYZE pg_temp.pb_link_rows", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	return 0;
}

/* The rows that overlap a link or an earlier row (pb_link_check_rows up to limit), and whether any is refused. */
static int check_links(PGconn *conn, int64_t limit, int *any, struct pb_buf *why)
{
	return pb_link_check_rows(conn, limit, why) < 0 ? PB_ERR_DEPENDENCY : any_refused(conn, any, why);
}

/* How many times the rows are checked again for links that another session stored meanwhile. */
#define CHECK_TRIES 3

/*
 * After the rows are read: the rows stored already left out (unchanged), each row refused as link refuses a link
 * (the account first, then an overlap with a link in the database or an earlier row not refused) and each row
 * of bad data, reported in the file's order by report_bad; or every row left stored.
 */
static int link_check(PGconn *conn, struct import *im, struct pb_buf *err)
{
	struct pb_buf why = PB_BUF_INIT;
	int64_t limit;
	uint64_t n;
	int ret, any = 0, tries, conflict;

	ret = end_rows(conn, im, 1, err);
	if (ret < 0)
		return ret;
	/* A table of the session is never analyzed by autovacuum: the plans below need its statistics. */
	if (pb_db_exec(conn, "ANALYZE pg_temp.pb_link_rows", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	ret = unchanged_links(conn, im, &n, &why);
	if (ret == 0)
		ret = account_errors(conn, im, &limit, &why);
	if (ret == 0) {
		pb_test_pause("link-checked");
		ret = check_links(conn, limit, &any, &why);
	}
	/*
	 * Links another session stored since the rows were compared (the same file run at once) make rows refused, or
	 * are in the way of the INSERT: those that are the rows' links leave the rows unchanged, and the rest are
	 * checked again.
	 */
	for (tries = 0; ret == 0 && tries < CHECK_TRIES && (any || (!im->nbad && !im->failed)); tries++) {
		conflict = 0;
		/* No row is inserted only to be rolled back: the sequence of the links' ids would show it. */
		if (!any) {
			ret = pb_link_store_rows(conn, "import-links", im->by, &why);
			if (ret == 0)
				goto out;
			if (ret != 1)
				break;
			conflict = 1;
		}
		ret = unchanged_links(conn, im, &n, &why);
		if (ret < 0 || (n == 0 && !conflict))
			break;
		ret = check_links(conn, -1, &any, &why);
		if (ret == 0 && !any && n == 0)
			ret = PB_ERR_REFUSED; /* in the way, and gone since: the database's message says which */
	}
	/* Nothing refused and nothing stored: the database's message of the last INSERT says what was in the way. */
	if (ret == 0 && !any && !im->nbad && !im->failed)
		ret = PB_ERR_REFUSED;
	if (ret == 0)
		ret = report_bad(conn, im, err);
	else if (why.len) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&why));
	}
out:
	pb_buf_release(&why);
	return ret;
}

/*
 * Whether the file behind in, a regular file that was opened as *opened says, changed since (another file in its
 * place, another size or time of modification): then the rows read may be part of the file only, or of two
 * versions of it, and err says so. A stream (a pipe, a terminal) is never said to change.
 */
static int changed_since(struct pb_input *in, const struct stat *opened, struct pb_buf *err)
{
	struct stat now;

	if (!S_ISREG(opened->st_mode))
		return 0;
	if (pb_input_fstat(in, &now) == 0 && now.st_dev == opened->st_dev && now.st_ino == opened->st_ino &&
	    now.st_size == opened->st_size && now.st_mtim.tv_sec == opened->st_mtim.tv_sec &&
	    now.st_mtim.tv_nsec == opened->st_mtim.tv_nsec)
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err,
		    "%s: the file changed while it was read (%lld bytes when it was opened): read it again once it "
		    "is whole",
		    pb_input_name(in), (long long)opened->st_size);
	return 1;
}

/* What a file imports: the column names, which of them are required, and what is done with its rows. */
struct import_kind {
	const char *const *names;
	size_t ncolumns;
	const size_t *required;
	size_t nrequired;
	int (*start)(PGconn *conn, struct import *im, struct pb_buf *err); /* after the header, unless NULL */
	int (*row)(PGconn *conn, struct import *im, struct pb_buf *err);   /* each record after the header */
	/* A record the reader refused but read to its end, its error in err at its position: as row, or NULL. */
	int (*bad)(struct import *im, int code, struct pb_buf *err);
	int (*finish)(PGconn *conn, struct import *im, struct pb_buf *err); /* after them, unless NULL */
};

/*
 * Reads the CSV file at path as kind says, and calls its row for each record after the header, or its bad for
 * one the reader refused but read to its end (until one fails, or sets im->failed), then its finish, all in one
 * transaction that commits only when every call succeeded (rep, unless NULL: the bad rows to report before stopping).
 * Returns as pb_import_accounts.
 */
static int import_file(PGconn *conn, const struct import_kind *kind, const struct pb_eligibility *e, const char *path,
		       const char *by, struct reporting *rep, size_t *count, size_t *unchanged, uint64_t *line,
		       uint32_t *col, struct pb_buf *err)
{
	struct import im;
	struct pb_input *in = NULL;
	struct pb_buf ignore = PB_BUF_INIT;
	struct stat opened;
	int ret = PB_ERR_DATA, csv_ready = 0, begun = 0, ended = 0, rc;

	*count = 0;
	*unchanged = 0;
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
	im.rep = rep;
	if (pb_input_open(path, &in, err) < 0)
		goto out;
	if (pb_input_fstat(in, &opened) < 0)
		opened.st_mode = 0;
	if (pb_csv_init(&im.csv, pb_input_read, in, MAX_RECORD) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	csv_ready = 1;
	/* A client killed mid-import leaves no statement running: pb_db_session's client_connection_check_interval. */
	if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0) {
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	begun = 1;
	ret = read_header(&im, kind->required, kind->nrequired, err);
	if (ret == 0)
		pb_test_pause("import-header");
	if (ret == 0 && kind->start)
		ret = kind->start(conn, &im, err);
	if (ret < 0)
		goto out;
	for (;;) {
		rc = pb_csv_next(&im.csv);
		ended = rc == PB_CSV_END;
		if (ended)
			break;
		if (rc == PB_CSV_ERR_RECORD) {
			/* The wrong number of fields, a stray quote: a bad row, and the next record starts after it. */
			ret = csv_error(&im, err);
			if (kind->bad)
				ret = kind->bad(&im, ret, err);
		} else if (rc < 0) {
			/* Nothing after it can be read. */
			ret = csv_error(&im, err);
			if (!kind->finish)
				goto out;
			im.failed = ret;
			break;
		} else {
			ret = kind->row(conn, &im, err);
		}
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
		if (im.failed || im.full)
			break;
		(*count)++;
	}
	/* Read to its end: the rows are the whole file only if it is the file that was opened, as it was. */
	if (ended && changed_since(in, &opened, err)) {
		*line = 0;
		*col = 0;
		ret = PB_ERR_DATA;
		goto out;
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
	*unchanged = (size_t)im.unchanged;
	*count -= *unchanged;
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
	free(im.seen_heads);
	if (im.bad)
		fclose(im.bad);
	pb_buf_release(&im.rows);
	pb_input_free(in);
	pb_buf_release(&ignore);
	return ret;
}

int pb_import_accounts(PGconn *conn, const char *path, const char *by, long max_errors, pb_import_report_fn *report,
		       void *arg, size_t *count, size_t *unchanged, uint64_t *line, uint32_t *col, struct pb_buf *err)
{
	struct reporting rep = {max_errors, report, arg, 0};
	static const size_t required[] = {PB_ACCOUNT_ALIAS, PB_ACCOUNT_NAME, PB_ACCOUNT_COUNTRY};
	const char *names[PB_ACCOUNT_NFIELDS];
	struct import_kind kind = {names, PB_ACCOUNT_NFIELDS, required, 3, accounts_start, account_row, NULL, NULL};
	size_t f;

	for (f = 0; f < PB_ACCOUNT_NFIELDS; f++)
		names[f] = pb_account_fields[f].column;
	return import_file(conn, &kind, NULL, path, by, report ? &rep : NULL, count, unchanged, line, col, err);
}

int pb_import_links(PGconn *conn, const struct pb_eligibility *e, const char *path, const char *by, long max_errors,
		    pb_import_report_fn *report, void *arg, size_t *count, size_t *unchanged, uint64_t *line,
		    uint32_t *col, struct pb_buf *err)
{
	struct reporting rep = {max_errors, report, arg, 0};
	static const size_t required[] = {LINK_ALIAS, LINK_VENDOR, LINK_ID, LINK_FROM};
	static const struct import_kind kind = {link_columns, LINK_NCOLUMNS, required,	   4,
						link_start,   link_row,	     link_bad_row, link_check};

	return import_file(conn, &kind, e, path, by, report ? &rep : NULL, count, unchanged, line, col, err);
}
