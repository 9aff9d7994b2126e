/*
 * libFuzzer target for pb-accounts' import files (accounts/import.c, with account.c and link.c checking each
 * row), read up to what they would write to the database. The database's client is stood in for at link time
 * (-Wl,--wrap): each account's INSERT is kept here and answered as the database would (an alias inserted
 * before exists, a parent is an account inserted before as a reseller without a parent); a link file's COPY
 * rows are kept, and the COPY's end fails, so that nothing after the rows runs.
 *
 * Checked: no crash, leak or sanitizer report; an error names a line and column of the file and is one line
 * of UTF-8; the same bytes read twice give the same rows, count and error; and with one error reported, the
 * rows kept are the file's records in order, each field stored whole: the text as it is, or an alias,
 * country, currency, domain, reseller flag or markup in its normal form, which names the same value, none
 * holding a control character (which no option of add may hold); and a link row's fields are the record's,
 * as COPY reads them (no tab, newline or backslash).
 *
 * Input: byte 0 holds flags (bit 0: a link file, else an account file; bit 1: up to 5 bad rows reported, else
 * the first), the rest is the file.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "account.h"
#include "buf.h"
#include "csv.h"
#include "date.h"
#include "exitcode.h"
#include "import.h"
#include "text.h"

#include "check.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one import wrote, and the accounts it inserted, which the stand-in answers from. */
struct written {
	struct pb_buf rows;   /* accounts: one line an INSERT, its 17 parameters (add_param); links: the COPY's text */
	struct pb_buf report; /* the bad rows reported */
	char *inserted[256];  /* accounts: the aliases inserted, and whether each is a reseller without parent */
	int reseller[256];
	size_t ninserted;
	int copying;
};

static struct written *now;

/* Appends a parameter as "<len>:<bytes>" or "NULL", so that any bytes are told apart. */
static void add_param(struct pb_buf *b, const char *p)
{
	if (p)
		pb_buf_addf(b, "%zu:", strlen(p));
	pb_buf_addstr(b, p ? p : "NULL");
	pb_buf_addch(b, '\t');
}

static PGresult *rows_result(int nfields, int nrows, const char *const *values)
{
	PGresAttDesc attrs[2];
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	int f, r;

	CHECK(res != NULL, "out of memory");
	memset(attrs, 0, sizeof(attrs));
	for (f = 0; f < nfields; f++) {
		attrs[f].name = (char *)"c";
		attrs[f].typid = 25;
		attrs[f].typlen = -1;
		attrs[f].atttypmod = -1;
	}
	CHECK(PQsetResultAttrs(res, nfields, attrs), "out of memory");
	for (r = 0; r < nrows; r++)
		for (f = 0; f < nfields; f++)
			CHECK(PQsetvalue(res, r, f, (char *)values[r * nfields + f],
					 (int)strlen(values[r * nfields + f])),
			      "out of memory");
	return res;
}

PGresult *__wrap_pb_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params, struct pb_buf *err);
int __wrap_pb_db_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, struct pb_buf *err);
int __wrap_pb_db_copy_start(PGconn *conn, const char *sql, struct pb_buf *err);
int __wrap_pb_db_copy_send(PGconn *conn, struct pb_buf *rows, struct pb_buf *err);
int __wrap_pb_db_copy_end(PGconn *conn, int ok, uint64_t *count, struct pb_buf *err);

PGresult *__wrap_pb_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params, struct pb_buf *err)
{
	size_t i;
	int p;

	(void)conn;
	(void)err;
	if (strncmp(sql, "INSERT INTO pb.clc_account ", 27) == 0) {
		CHECK(nparams == PB_ACCOUNT_NFIELDS + 1, "%d parameters", nparams);
		for (i = 0; i < now->ninserted; i++)
			if (strcmp(now->inserted[i], params[PB_ACCOUNT_ALIAS]) == 0)
				return rows_result(1, 0, NULL);
		for (p = 0; p < nparams; p++)
			add_param(&now->rows, params[p]);
		pb_buf_addch(&now->rows, '\n');
		if (now->ninserted < sizeof(now->inserted) / sizeof(now->inserted[0])) {
			now->inserted[now->ninserted] = strdup(params[PB_ACCOUNT_ALIAS]);
			CHECK(now->inserted[now->ninserted] != NULL, "out of memory");
			now->reseller[now->ninserted++] =
				strcmp(params[PB_ACCOUNT_RESELLER], "true") == 0 && !params[PB_ACCOUNT_PARENT];
		}
		return rows_result(1, 1, params);
	}
	/* An alias inserted before exists with other values: the row is refused as existing. */
	if (strncmp(sql, "SELECT coalesce(", 16) == 0) {
		const char *compare = params[PB_ACCOUNT_NFIELDS];

		CHECK(nparams == PB_ACCOUNT_NFIELDS + 1 && compare && strlen(compare) == PB_ACCOUNT_NFIELDS &&
			      strspn(compare, "01") == PB_ACCOUNT_NFIELDS && compare[PB_ACCOUNT_ALIAS] == '1',
		      "compare '%s'", compare ? compare : "(null)");
		return rows_result(1, 0, NULL);
	}
	if (strncmp(sql, "SELECT is_reseller, ", 20) == 0) {
		const char *row[2] = {"f", ""};

		for (i = 0; i < now->ninserted; i++)
			if (strcmp(now->inserted[i], params[0]) == 0) {
				row[0] = now->reseller[i] ? "t" : "f";
				return rows_result(2, 1, row);
			}
		return rows_result(2, 0, NULL);
	}
	CHECK(0, "a query the target does not stand in for: %s", sql);
	return NULL;
}

int __wrap_pb_db_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, struct pb_buf *err)
{
	(void)conn;
	(void)nparams;
	(void)params;
	(void)err;
	CHECK(strncmp(sql, "INSERT", 6) != 0 && strncmp(sql, "UPDATE", 6) != 0, "a write the target misses: %s", sql);
	return 0;
}

int __wrap_pb_db_copy_start(PGconn *conn, const char *sql, struct pb_buf *err)
{
	(void)conn;
	(void)err;
	CHECK(strcmp(sql, "COPY pg_temp.pb_link_rows FROM STDIN") == 0, "COPY '%s'", sql);
	now->copying = 1;
	return 0;
}

int __wrap_pb_db_copy_send(PGconn *conn, struct pb_buf *rows, struct pb_buf *err)
{
	(void)conn;
	(void)err;
	CHECK(now->copying && !rows->failed, "rows sent outside a COPY, or failed");
	pb_buf_add(&now->rows, rows->ptr, rows->len);
	pb_buf_reset(rows);
	return 0;
}

int __wrap_pb_db_copy_end(PGconn *conn, int ok, uint64_t *count, struct pb_buf *err)
{
	(void)conn;
	(void)count;
	CHECK(now->copying, "a COPY ended twice");
	now->copying = 0;
	if (ok) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "the rows stop here");
	}
	return -1;
}

static void report(void *arg, uint64_t line, uint32_t col, const char *what)
{
	struct written *w = arg;

	CHECK(line >= 1 && col >= 1 && *what && !strchr(what, '\n'), "bad row %llu:%u '%s'", (unsigned long long)line,
	      col, what);
	CHECK(pb_text_check(what, strlen(what), NULL, NULL) == 0, "a report that is not UTF-8");
	pb_buf_addf(&w->report, "%llu:%u: %s\n", (unsigned long long)line, col, what);
}

struct outcome {
	int rc;
	size_t count, unchanged;
	uint64_t line;
	uint32_t col;
	struct pb_buf err;
};

static void import(const char *path, int links, long max_errors, struct written *w, struct outcome *o)
{
	struct pb_buf init = PB_BUF_INIT;

	memset(w, 0, sizeof(*w));
	memset(o, 0, sizeof(*o));
	w->rows = init;
	w->report = init;
	o->err = init;
	now = w;
	if (links)
		o->rc = pb_import_links(NULL, NULL, path, "fuzz", max_errors, max_errors > 1 ? report : NULL, w,
					&o->count, &o->unchanged, &o->line, &o->col, &o->err);
	else
		o->rc = pb_import_accounts(NULL, path, "fuzz", max_errors, max_errors > 1 ? report : NULL, w, &o->count,
					   &o->unchanged, &o->line, &o->col, &o->err);
	now = NULL;
	CHECK(!w->copying, "a COPY left under way");
	/* The stand-in holds no account with a row's values: none is unchanged. */
	CHECK(o->unchanged == 0, "%zu unchanged", o->unchanged);
	CHECK(o->rc == 0 || o->rc == PB_ERR_DATA || o->rc == PB_ERR_REFUSED || o->rc == PB_ERR_DEPENDENCY, "rc %d",
	      o->rc);
	if (o->err.len) {
		CHECK(!strchr(pb_buf_str(&o->err), '\n') && pb_text_check(o->err.ptr, o->err.len, NULL, NULL) == 0,
		      "error '%s'", pb_buf_str(&o->err));
		/* Every error about the file's text names its place, one about the file the file; the stand-in's not.
		 */
		CHECK(o->rc == PB_ERR_DEPENDENCY || (o->line >= 1 && o->col >= 1) ||
			      (o->line == 0 && o->col == 0 && strncmp(pb_buf_str(&o->err), path, strlen(path)) == 0),
		      "error '%s' at %llu:%u", pb_buf_str(&o->err), (unsigned long long)o->line, o->col);
	}
}

static void release(struct written *w, struct outcome *o)
{
	size_t i;

	for (i = 0; i < w->ninserted; i++)
		free(w->inserted[i]);
	pb_buf_release(&w->rows);
	pb_buf_release(&w->report);
	pb_buf_release(&o->err);
}

/* A reader of the file's bytes, for reading its records again here. */
struct memsrc {
	const char *p;
	size_t len, pos;
};

static long mem_read(void *ctx, char *buf, size_t n, struct pb_buf *err)
{
	struct memsrc *m = ctx;
	size_t k = m->len - m->pos < n ? m->len - m->pos : n;

	(void)err;
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (long)k;
}

/* The next parameter of a row kept by add_param into *p (NULL for NULL), *len its length; the row moves on. */
static const char *next_param(const char **row, size_t *len)
{
	const char *r = *row, *colon;
	char *end;

	if (strncmp(r, "NULL\t", 5) == 0) {
		*row = r + 5;
		*len = 0;
		return NULL;
	}
	colon = strchr(r, ':');
	CHECK(colon != NULL, "a row kept badly");
	*len = strtoul(r, &end, 10);
	*row = colon + 1 + *len + 1;
	return colon + 1;
}

static int same_ci(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

/* 1 when the decimal texts a and b (as the markup takes them: [+-]digits[.digits]) name the same number. */
static int same_decimal(const char *a, size_t alen, const char *b, size_t blen)
{
	char x[2][64];
	const char *s[2] = {a, b};
	size_t n[2] = {alen, blen}, k, i;

	for (k = 0; k < 2; k++) {
		const char *v = s[k], *end = s[k] + n[k], *dot;
		int neg = 0;

		if (v < end && (*v == '+' || *v == '-'))
			neg = *v++ == '-';
		while (v < end && *v == '0')
			v++;
		dot = memchr(v, '.', (size_t)(end - v));
		if (dot)
			while (end > dot + 1 && end[-1] == '0')
				end--;
		if (dot && end == dot + 1)
			end = dot;
		i = (size_t)(end - v);
		if (i == 0 || (i == 1 && *v == '.'))
			neg = 0;
		if (i > 60)
			return 0;
		x[k][0] = neg ? '-' : '+';
		memcpy(x[k] + 1, v, i);
		x[k][i + 1] = '\0';
	}
	return strcmp(x[0], x[1]) == 0;
}

/* The field f of a record, stored as p: the same value, whole. */
static void check_account_field(int f, const char *t, size_t tlen, const char *p, size_t plen)
{
	size_t i;

	if (tlen == 0) {
		CHECK(p == NULL || (f == PB_ACCOUNT_RESELLER && same_ci(p, plen, "false", 5)),
		      "empty field %d stored as '%.*s'", f, (int)plen, p);
		return;
	}
	CHECK(p != NULL, "field %d '%.*s' not stored", f, (int)tlen, t);
	/* What 'show' puts on a terminal holds no control character, as no option of add may (C0, DEL, C1). */
	for (i = 0; i < plen; i++)
		CHECK((unsigned char)p[i] >= 0x20 && p[i] != 0x7f &&
			      !((unsigned char)p[i] == 0xc2 && i + 1 < plen && (unsigned char)p[i + 1] >= 0x80 &&
				(unsigned char)p[i + 1] <= 0x9f),
		      "field %d '%.*s' stored with a control character", f, (int)tlen, t);
	switch (f) {
	case PB_ACCOUNT_ALIAS:
	case PB_ACCOUNT_PARENT:
	case PB_ACCOUNT_COUNTRY:
	case PB_ACCOUNT_INVOICE_CURRENCY:
	case PB_ACCOUNT_DOMAIN:
		CHECK(same_ci(t, tlen, p, plen), "field %d '%.*s' stored as '%.*s'", f, (int)tlen, t, (int)plen, p);
		for (i = 0; i < plen; i++)
			CHECK(f == PB_ACCOUNT_DOMAIN ? !isupper((unsigned char)p[i]) : !islower((unsigned char)p[i]),
			      "field %d stored as '%.*s'", f, (int)plen, p);
		break;
	case PB_ACCOUNT_RESELLER:
		if (plen == 4 && memcmp(p, "true", 4) == 0)
			CHECK(same_ci(t, tlen, "true", 4) || same_ci(t, tlen, "yes", 3) || same_ci(t, tlen, "1", 1),
			      "reseller '%.*s' stored as true", (int)tlen, t);
		else
			CHECK(plen == 5 && memcmp(p, "false", 5) == 0 &&
				      (same_ci(t, tlen, "false", 5) || same_ci(t, tlen, "no", 2) ||
				       same_ci(t, tlen, "0", 1)),
			      "reseller '%.*s' stored as '%.*s'", (int)tlen, t, (int)plen, p);
		break;
	case PB_ACCOUNT_MARKUP:
		CHECK(same_decimal(t, tlen, p, plen), "markup '%.*s' stored as '%.*s'", (int)tlen, t, (int)plen, p);
		break;
	default:
		CHECK(plen == tlen && memcmp(p, t, tlen) == 0, "field %d '%.*s' stored as '%.*s'", f, (int)tlen, t,
		      (int)plen, p);
		break;
	}
}

/* The column each field of the header names (-1: none the target knows), from the names pb-accounts gives. */
static void header_columns(const struct pb_csv *c, int links, int *col)
{
	static const char *const link_names[] = {"alias", "vendor", "partner_account_id", "from", "to"};
	size_t i;
	int f, n = links ? 5 : PB_ACCOUNT_NFIELDS;

	for (i = 0; i < c->nfields; i++) {
		col[i] = -1;
		for (f = 0; f < n; f++) {
			const char *name = links ? link_names[f] : pb_account_fields[f].column;

			if (same_ci(c->fields[i].ptr, c->fields[i].len, name, strlen(name)))
				col[i] = f;
		}
	}
}

/* The next tab-separated field of a COPY line. */
static const char *copy_field(const char **line, size_t *len)
{
	const char *s = *line, *end = s + strcspn(s, "\t\n");

	*len = (size_t)(end - s);
	*line = *end ? end + 1 : end;
	return s;
}

static void check_link_row(const struct pb_csv *c, const int *col, const char **copy, uint64_t n)
{
	const char *line = *copy, *v[9];
	size_t len[9], i, k;
	char num[24];

	CHECK(*line, "record %llu read, but no COPY row", (unsigned long long)n);
	for (k = 0; k < 9; k++) {
		v[k] = copy_field(&line, &len[k]);
		/* The open end of a link: COPY's NULL. */
		if (k == 8 && len[k] == 2 && memcmp(v[k], "\\N", 2) == 0)
			continue;
		for (i = 0; i < len[k]; i++)
			CHECK(v[k][i] != '\\' && v[k][i] != '\r', "COPY row %llu holds a byte COPY reads otherwise",
			      (unsigned long long)n);
	}
	CHECK(line[-1] == '\n', "COPY row %llu has more than 9 fields", (unsigned long long)n);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
	CHECK(len[0] == strlen(num) && memcmp(v[0], num, len[0]) == 0, "COPY row %llu numbered otherwise",
	      (unsigned long long)n);
	for (i = 0; i < c->nfields; i++) {
		const char *t = c->fields[i].ptr;
		size_t tl = c->fields[i].len;

		switch (col[i]) {
		case 0:
			CHECK(same_ci(t, tl, v[6], len[6]), "alias '%.*s' stored as '%.*s'", (int)tl, t, (int)len[6],
			      v[6]);
			break;
		case 1:
			CHECK(tl == len[4] && memcmp(t, v[4], tl) == 0, "vendor '%.*s'", (int)tl, t);
			break;
		case 2:
			CHECK(same_ci(t, tl, v[5], len[5]), "id '%.*s' stored as '%.*s'", (int)tl, t, (int)len[5],
			      v[5]);
			break;
		case 3:
			CHECK(tl == len[7] && memcmp(t, v[7], tl) == 0, "from '%.*s' stored as '%.*s'", (int)tl, t,
			      (int)len[7], v[7]);
			break;
		case 4:
			CHECK(tl ? tl == len[8] && memcmp(t, v[8], tl) == 0
				 : len[8] == 2 && memcmp(v[8], "\\N", 2) == 0,
			      "to '%.*s' stored as '%.*s'", (int)tl, t, (int)len[8], v[8]);
			break;
		default:
			break;
		}
	}
	*copy = line;
}

/*
 * The rows kept are the file's records after its header, in order (the import stops at the first bad one),
 * each stored whole. Only for a file that is not gzip, read here from its bytes.
 */
static void check_rows(const char *file, size_t len, int links, const struct written *w)
{
	struct memsrc m = {file, len, 0};
	const char *row = pb_buf_str(&w->rows);
	struct pb_csv c;
	int col[64], rc;
	uint64_t n = 0;
	size_t i, plen;

	CHECK(pb_csv_init(&c, mem_read, &m, (size_t)64 << 10) == 0, "out of memory");
	rc = pb_csv_next(&c);
	if (rc != PB_CSV_RECORD || c.nfields > 64) {
		CHECK(!*row, "rows stored without a header");
		pb_csv_release(&c);
		return;
	}
	header_columns(&c, links, col);
	pb_csv_expect_fields(&c, c.nfields);
	while (*row && pb_csv_next(&c) == PB_CSV_RECORD) {
		if (links) {
			check_link_row(&c, col, &row, n++);
			continue;
		}
		{
			const char *p[PB_ACCOUNT_NFIELDS + 1];
			size_t pl[PB_ACCOUNT_NFIELDS + 1];
			int f, seen[PB_ACCOUNT_NFIELDS] = {0};

			for (f = 0; f <= PB_ACCOUNT_NFIELDS; f++)
				p[f] = next_param(&row, &pl[f]);
			CHECK(*row == '\n', "a row kept badly");
			row++;
			for (i = 0; i < c.nfields; i++) {
				CHECK(col[i] >= 0, "a row stored from a header with column '%.*s'",
				      (int)c.fields[i].len, c.fields[i].ptr);
				seen[col[i]] = 1;
				check_account_field(col[i], c.fields[i].ptr, c.fields[i].len, p[col[i]], pl[col[i]]);
			}
			for (f = 0; f < PB_ACCOUNT_NFIELDS; f++)
				if (!seen[f])
					check_account_field(f, "", 0, p[f], pl[f]);
			plen = pl[PB_ACCOUNT_NFIELDS];
			CHECK(p[PB_ACCOUNT_NFIELDS] && plen == 4 && memcmp(p[PB_ACCOUNT_NFIELDS], "fuzz", 4) == 0,
			      "created_by");
		}
	}
	CHECK(!*row, "more rows stored than the file's records read here");
	pb_csv_release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct written w1, w2;
	struct outcome o1, o2;
	char path[64];
	int fd, links;
	long max_errors;

	if (size < 1)
		return 0;
	links = data[0] & 1;
	max_errors = data[0] & 2 ? 5 : 1;
	fd = memfd_create("import.csv", 0);
	CHECK(fd >= 0, "memfd_create");
	CHECK(write(fd, data + 1, size - 1) == (ssize_t)(size - 1), "write");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	import(path, links, max_errors, &w1, &o1);
	import(path, links, max_errors, &w2, &o2);
	CHECK(o1.rc == o2.rc && o1.count == o2.count && o1.line == o2.line && o1.col == o2.col &&
		      strcmp(pb_buf_str(&o1.err), pb_buf_str(&o2.err)) == 0,
	      "read twice: %d %zu %llu:%u '%s', then %d %zu %llu:%u '%s'", o1.rc, o1.count, (unsigned long long)o1.line,
	      o1.col, pb_buf_str(&o1.err), o2.rc, o2.count, (unsigned long long)o2.line, o2.col, pb_buf_str(&o2.err));
	CHECK(strcmp(pb_buf_str(&w1.rows), pb_buf_str(&w2.rows)) == 0 &&
		      strcmp(pb_buf_str(&w1.report), pb_buf_str(&w2.report)) == 0,
	      "read twice, other rows or reports");
	if (max_errors == 1 && !(size >= 3 && data[1] == 0x1f && data[2] == 0x8b))
		check_rows((const char *)data + 1, size - 1, links, &w1);
	release(&w1, &o1);
	release(&w2, &o2);
	close(fd);
	return 0;
}
