/* The export and detail CSVs, made from the stored lines and the run: the same data, the same bytes. */
#include "export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "rates.h"

#include "banned.h"

#define DETAIL_FETCH_ROWS "2000" /* rows of the detail read at a time */

void pb_inv_csv_text(struct pb_buf *out, const char *s)
{
	pb_buf_add_csv_text(out, s, strlen(s));
}

static void add_amount(struct pb_buf *out, pb_money m, int minor)
{
	char s[PB_MONEY_STRMAX];

	if (pb_money_format(m, minor, s) < 0)
		pb_money_format_canonical(m, s);
	pb_buf_addf(out, ",%s", s);
}

static int32_t month_end(int32_t month)
{
	int y, m, d;

	pb_date_to_ymd(month, &y, &m, &d);
	return (m == 12 ? pb_date_from_ymd(y + 1, 1, 1) : pb_date_from_ymd(y, m + 1, 1)) - 1;
}

/* "cannot write 'NAME': why", or for a temporary file (no name) "cannot write a temporary file in 'DIR': why". */
static void write_failed(const struct pb_inv_sink *s, const char *why, struct pb_buf *err)
{
	pb_buf_reset(err);
	if (s->name)
		pb_buf_addf(err, "cannot write '%s': %s", s->name, why);
	else
		pb_buf_addf(err, "cannot write a temporary file in '%s': %s", pb_tmpdir(), why);
}

int pb_inv_sink_write(struct pb_inv_sink *s, struct pb_buf *b, struct pb_buf *err)
{
	int rc = 0;

	if (b->failed) {
		write_failed(s, "out of memory", err);
		rc = PB_ERR_DEPENDENCY;
	} else if (b->len) {
		pb_sha256_update(&s->sha, b->ptr, b->len);
		if (s->f && fwrite(b->ptr, 1, b->len, s->f) != b->len) {
			write_failed(s, strerror(errno), err);
			rc = PB_ERR_DEPENDENCY;
		}
	}
	pb_buf_reset(b);
	return rc;
}

void pb_inv_export_header(struct pb_buf *out)
{
	int v;

	pb_buf_addstr(out, "invoice_number,billing_period_start,billing_period_end,line,account_alias,account_name,"
			   "line_item,line_type,corrects_period_start,currency,amount");
	for (v = 0; v < PB_NVENDORS; v++)
		pb_buf_addf(out, ",%s_amount", pb_vendor_names[v]);
	pb_buf_addstr(out, "\r\n");
}

void pb_inv_export_row(const char *number, int32_t month, const struct pb_inv_line *l, size_t n, struct pb_buf *out)
{
	char start[11], end[11], corrects[11];
	int v;

	pb_date_format(month, start);
	pb_date_format(month_end(month), end);
	pb_inv_csv_text(out, number);
	pb_buf_addf(out, ",%s,%s,%zu,", start, end, n);
	pb_inv_csv_text(out, l->alias);
	pb_buf_addch(out, ',');
	pb_inv_csv_text(out, l->name ? l->name : "");
	pb_buf_addf(out, ",%s,%s,", PB_INV_LINE_ITEM, l->kind);
	if (l->corrects) {
		pb_date_format(l->corrects, corrects);
		pb_buf_addstr(out, corrects);
	}
	pb_buf_addf(out, ",%s", l->currency);
	add_amount(out, l->amount, l->minor);
	for (v = 0; v < PB_NVENDORS; v++)
		add_amount(out, l->has_part[v] ? l->part[v] : PB_MONEY_ZERO, l->minor);
	pb_buf_addstr(out, "\r\n");
}

/* What one source currency of an account's vendor has come to so far (see struct so_far). */
struct so_far_currency {
	char currency[4];
	pb_money source, converted;
};

/*
 * What an account's rows of one vendor and source currency have come to so far, in that currency and converted.
 * A row's converted amount is what the sum converts to with it less without it, so that the rows add up to the
 * sum converted once, as the month to date is (each row converted alone could be 10^-18 off each). c grows to the
 * number of source currencies of one account's vendor (the data's, not a fixed number); so_far_release frees it.
 */
struct so_far {
	char alias[16], vendor[8];
	struct so_far_currency *c;
	int n, cap;
	pb_money run; /* what the run made of the account's vendor (month to date and markup), when has_run */
	int has_run;
};

static void so_far_release(struct so_far *f)
{
	free(f->c);
	f->c = NULL;
	f->n = f->cap = 0;
}

/*
 * When the rows of f's account and vendor add up to something else than the run's exact figure of them (what
 * it converted with the month's rates when it was made): PB_ERR_REFUSED, naming them. Else 0.
 */
static int check_part(const struct so_far *f, const char *run_id, int32_t month, struct pb_buf *err)
{
	pb_money sum = PB_MONEY_ZERO, part = f->run;
	char a[PB_MONEY_STRMAX], b[PB_MONEY_STRMAX], m[11];
	int k;

	if (!f->has_run)
		return 0;
	for (k = 0; k < f->n; k++)
		if (pb_money_add(sum, f->c[k].converted, &sum) < 0)
			break;
	if (k == f->n && sum.units == part.units)
		return 0;
	pb_money_format_canonical(part, a);
	pb_money_format_canonical(sum, b);
	pb_date_format(month, m);
	pb_buf_reset(err);
	pb_buf_addf(
		err,
		"aggregate run %s of %.7s is out of date: the month's rates changed since it was made (%s's %s part is "
		"%s by the run, %s by the rates now): run pb-aggregate --month %.7s --detail first",
		run_id, m, f->alias, f->vendor, a, b, m);
	return PB_ERR_REFUSED;
}

/*
 * The index of currency's running sums for alias and vendor (started over for another account or vendor), or -1
 * when there is no memory for another currency.
 */
static int running(struct so_far *f, const char *alias, const char *vendor, const char *currency)
{
	struct so_far_currency *grown;
	int k, cap;

	if (strcmp(f->alias, alias) != 0 || strcmp(f->vendor, vendor) != 0) {
		snprintf(f->alias, sizeof(f->alias), "%s", alias);
		snprintf(f->vendor, sizeof(f->vendor), "%s", vendor);
		f->n = 0;
	}
	for (k = 0; k < f->n; k++)
		if (strcmp(f->c[k].currency, currency) == 0)
			return k;
	if (f->n == f->cap) {
		cap = f->cap ? 2 * f->cap : 16;
		grown = realloc(f->c, (size_t)cap * sizeof(*f->c));
		if (!grown)
			return -1;
		f->c = grown;
		f->cap = cap;
	}
	snprintf(f->c[f->n].currency, sizeof(f->c[0].currency), "%s", currency);
	f->c[f->n].source = PB_MONEY_ZERO;
	f->c[f->n].converted = PB_MONEY_ZERO;
	return f->n++;
}

/* One detail row: the source amount, and converted (see struct so_far). */
static int detail_row(PGresult *res, int i, const char *number, long line, const struct pb_rates *rates,
		      const char *check, struct so_far *f, struct pb_buf *out, struct pb_buf *err)
{
	const char *alias = PQgetvalue(res, i, 0), *from = PQgetvalue(res, i, 4), *to = PQgetvalue(res, i, 6);
	const char *v = PQgetvalue(res, i, 5);
	char a[PB_MONEY_STRMAX], c[PB_MONEY_STRMAX];
	pb_money m, conv, sum, sum_conv;
	int k;

	/* The rows of the account and vendor before are all there: checked against the run when asked to. */
	if (check && f->n && (strcmp(f->alias, alias) != 0 || strcmp(f->vendor, PQgetvalue(res, i, 1)) != 0) &&
	    check_part(f, check, rates->month, err) < 0)
		return PB_ERR_REFUSED;
	k = running(f, alias, PQgetvalue(res, i, 1), from);
	f->has_run = !PQgetisnull(res, i, 7) &&
		     pb_money_parse(PQgetvalue(res, i, 7), strlen(PQgetvalue(res, i, 7)), &f->run, NULL) == 0;
	if (k < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "account %s: out of memory for the detail's currencies", alias);
		return PB_ERR_DEPENDENCY;
	}
	if (pb_money_parse(v, strlen(v), &m, NULL) < 0 || pb_money_add(f->c[k].source, m, &sum) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "account %s: the detail's amounts leave the range of amounts", alias);
		return PB_ERR_DATA;
	}
	if (pb_rates_convert(rates, from, to, sum, &sum_conv, err) < 0)
		return PB_ERR_DATA;
	if (pb_money_sub(sum_conv, f->c[k].converted, &conv) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "account %s: the detail's amounts leave the range of amounts", alias);
		return PB_ERR_DATA;
	}
	f->c[k].source = sum;
	f->c[k].converted = sum_conv;
	pb_money_format_canonical(m, a);
	pb_money_format_canonical(conv, c);
	pb_inv_csv_text(out, number);
	pb_buf_addf(out, ",%ld,", line);
	pb_inv_csv_text(out, alias);
	pb_buf_addf(out, ",%s,", PQgetvalue(res, i, 1));
	pb_inv_csv_text(out, PQgetvalue(res, i, 2));
	pb_buf_addch(out, ',');
	pb_inv_csv_text(out, PQgetvalue(res, i, 3));
	pb_buf_addf(out, ",%s,%s,%s,%s\r\n", from, a, to, c);
	return 0;
}

/*
 * The number of alias's own line into *line (0 when it has none), the lines cursor moved on to it: the rows ask in
 * the order of the lines, so each line is read once. Returns 0 or PB_ERR_DEPENDENCY.
 */
static int line_of(PGconn *conn, struct pb_inv_cursor *lines, const char *alias, long *line, struct pb_buf *err)
{
	int rc, c;

	*line = 0;
	while ((rc = pb_inv_cursor_row(conn, lines, err)) == 1) {
		c = strcmp(PQgetvalue(lines->res, lines->i, 0), alias);
		if (c > 0)
			break;
		if (c == 0) {
			*line = strtol(PQgetvalue(lines->res, lines->i, 1), NULL, 10);
			break;
		}
		lines->i++;
	}
	return rc < 0 ? rc : 0;
}

int pb_inv_detail_csv(PGconn *conn, const char *number, int32_t month, const char *run_id, const char *table,
		      const char *invoice_id, int check, struct pb_inv_sink *out, struct pb_buf *err)
{
	const char *p[2] = {run_id, invoice_id};
	struct pb_buf q = PB_BUF_INIT, q2 = PB_BUF_INIT, rows = PB_BUF_INIT;
	struct pb_inv_cursor lines = {"detail_lines", NULL, 0, 0, 0};
	struct pb_rates rates;
	struct so_far so_far = {.c = NULL, .n = 0, .cap = 0};
	PGresult *res;
	int i, n = 0, rc;

	rc = pb_rates_read(conn, month, &rates, err);
	if (rc < 0)
		return rc;
	/*
	 * A cursor, read a batch at a time: the memory is one batch's, whatever the number of rows. Each row names
	 * its account's own line (not an adjustment), or 0.
	 */
	pb_buf_addf(&q,
		    "DECLARE detail_rows NO SCROLL CURSOR FOR "
		    "SELECT alias, vendor, service, category, currency, amount, invoice_currency, run FROM ("
		    "SELECT d.alias, d.vendor, d.service, d.charge_category AS category, d.currency, "
		    "sum(d.amount)::text AS amount, c.currency AS invoice_currency, 0 AS markup, "
		    "(v.month_to_date + v.markup)::text AS run "
		    "FROM pb.aggregate_detail d JOIN pb.aggregate_account c "
		    "ON c.run_id = d.run_id AND c.alias = d.alias AND c.vendor = 'all' "
		    "LEFT JOIN pb.aggregate_account v "
		    "ON v.run_id = d.run_id AND v.alias = d.alias AND v.vendor = d.vendor WHERE d.run_id = $1::bigint "
		    "GROUP BY d.alias, d.vendor, d.service, d.charge_category, d.currency, c.currency, "
		    "v.month_to_date, v.markup "
		    /* The account's markup (or discount) on the vendor, last: what the line adds to the charges. */
		    "UNION ALL SELECT a.alias, a.vendor, '', 'Markup', a.currency, a.markup::text, a.currency, 1, "
		    "(a.month_to_date + a.markup)::text "
		    "FROM pb.aggregate_account a WHERE a.run_id = $1::bigint AND a.vendor <> 'all' AND a.markup <> 0"
		    ") x ORDER BY alias COLLATE \"C\", vendor, markup, service COLLATE \"C\", category COLLATE \"C\", "
		    "currency");
	/* The accounts' own lines (not adjustments) in the same order, read beside the rows: each row's line number. */
	pb_buf_addf(&q2,
		    "DECLARE detail_lines NO SCROLL CURSOR FOR SELECT alias, line FROM %s_line "
		    "WHERE invoice_id = $1::bigint AND corrects_month IS NULL ORDER BY alias COLLATE \"C\"",
		    table);
	if (q.failed || q2.failed || pb_db_exec(conn, pb_buf_str(&q), 1, p, err) < 0 ||
	    pb_db_exec(conn, pb_buf_str(&q2), 1, p + 1, err) < 0) {
		pb_buf_release(&q);
		pb_buf_release(&q2);
		pb_rates_release(&rates);
		return PB_ERR_DEPENDENCY;
	}
	pb_buf_release(&q);
	pb_buf_release(&q2);
	pb_buf_addstr(&rows, "invoice_number,line,account_alias,vendor,service,charge_category,source_currency,"
			     "source_amount,currency,amount\r\n");
	do {
		res = pb_db_query(conn, "FETCH " DETAIL_FETCH_ROWS " FROM detail_rows", 0, NULL, err);
		if (!res) {
			rc = PB_ERR_DEPENDENCY;
			break;
		}
		n = PQntuples(res);
		for (i = 0; i < n && rc == 0; i++) {
			long line = 0;

			rc = line_of(conn, &lines, PQgetvalue(res, i, 0), &line, err);
			if (rc == 0)
				rc = detail_row(res, i, number, line, &rates, check ? run_id : NULL, &so_far, &rows,
						err);
		}
		PQclear(res);
		if (rc == 0)
			rc = pb_inv_sink_write(out, &rows, err);
	} while (n > 0 && rc == 0);
	if (rc == 0 && check && so_far.n)
		rc = check_part(&so_far, run_id, month, err);
	if (rc == 0 && pb_db_exec(conn, "CLOSE detail_rows", 0, NULL, err) < 0)
		rc = PB_ERR_DEPENDENCY;
	/* Read to its end, which closes it. */
	while (rc == 0) {
		rc = pb_inv_cursor_row(conn, &lines, err);
		if (rc == 1) {
			lines.i = lines.n;
			rc = 0;
		} else if (rc == 0) {
			break;
		}
	}
	pb_inv_cursor_release(&lines);
	pb_rates_release(&rates);
	pb_buf_release(&rows);
	so_far_release(&so_far);
	return rc;
}
