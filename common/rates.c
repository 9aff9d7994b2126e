/* Conversion rates in pb.fx_rate: loaded all or nothing, read per month, applied exactly. */
#include "rates.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "currency.h"
#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "input.h"
#include "text.h"

#include "banned.h"

enum { COL_MONTH, COL_FROM, COL_TO, COL_RATE, NCOLS };
static const char *const col_names[NCOLS] = {"month", "from", "to", "rate"};

/* One parsed line, texts in the reader's buffer. */
struct rate_line {
	char month[11], from[4], to[4];
	char rate[PB_MONEY_STRMAX * 2];
};

/* A file's bad lines: the first BAD_SHOWN messages, in the file's order, and how many there were in all. */
enum { BAD_SHOWN = 20 };

struct bad_lines {
	struct pb_buf msg[BAD_SHOWN];
	uint64_t line[BAD_SHOWN];
	size_t n;
	uint64_t total;
};

static void bad_init(struct bad_lines *b)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < BAD_SHOWN; i++)
		pb_buf_init(&b->msg[i], 0);
}

static void bad_release(struct bad_lines *b)
{
	size_t i;

	for (i = 0; i < BAD_SHOWN; i++)
		pb_buf_release(&b->msg[i]);
}

/* Notes a bad line; lines come in the file's order. */
static void bad_add(struct bad_lines *b, const char *name, uint64_t line, uint32_t col, const char *what)
{
	b->total++;
	if (b->n == BAD_SHOWN)
		return;
	b->line[b->n] = line;
	pb_buf_addf(&b->msg[b->n], "%s:%llu:%u: %s", name, (unsigned long long)line, col, what);
	b->n++;
}

static int field_error(struct bad_lines *b, const char *name, const struct pb_csv *c, size_t field, const char *what)
{
	uint64_t line;
	uint32_t col;

	pb_csv_field_pos(c, field, &line, &col);
	bad_add(b, name, line, col, what);
	return PB_ERR_DATA;
}

/* The header: exactly the four columns, in any order. */
static int bind(const struct pb_csv *c, const char *name, long *cols, struct pb_buf *err)
{
	size_t k;

	for (k = 0; k < NCOLS; k++) {
		cols[k] = pb_csv_find(c, col_names[k], 1);
		if (cols[k] < 0) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s:1:1: missing column '%s' (the header is month,from,to,rate)", name,
				    col_names[k]);
			return PB_ERR_DATA;
		}
	}
	if (c->nfields != NCOLS) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s:1:1: the header is month,from,to,rate, and nothing else", name);
		return PB_ERR_DATA;
	}
	return 0;
}

static int currency_of(const struct pb_csv *c, const char *name, long col, char *out, struct bad_lines *b)
{
	const struct pb_csv_field *f = &c->fields[col];

	if (pb_currency_minor_unit(f->ptr, f->len) < 0)
		return field_error(b, name, c, (size_t)col, "not an ISO 4217 currency code");
	memcpy(out, f->ptr, 3);
	out[3] = '\0';
	return 0;
}

/*
 * A rate below 1E-18 converts every amount to 0 (amounts keep 18 decimals), and one of 20 integer digits or
 * more any amount beyond the range of amounts: a typo in the exponent, never a rate.
 */
static int rate_in_range(const struct pb_decimal *d)
{
	unsigned __int128 m = d->mant;
	long magnitude = d->exp; /* the power of ten of the leading digit */

	while (m >= 10) {
		m /= 10;
		magnitude++;
	}
	return magnitude >= -18 && magnitude < 20;
}

/* Checks one record into l; a bad one is noted in b. */
static int parse_line(const struct pb_csv *c, const char *name, const long *cols, struct rate_line *l,
		      struct bad_lines *b)
{
	const struct pb_csv_field *m = &c->fields[cols[COL_MONTH]], *r = &c->fields[cols[COL_RATE]];
	struct pb_money_parse_info info;
	struct pb_decimal d;
	int32_t day;
	char text[96];
	enum pb_date_case dc = pb_date_read(m->ptr, m->len, PB_DATE_MONTH, &day);

	if (dc == PB_DATE_MALFORMED)
		return field_error(b, name, c, (size_t)cols[COL_MONTH], "the month is YYYY-MM");
	/* A month of year 0000 or 9999-12 is written as any other, and no program takes it: out of range. */
	if (dc != PB_DATE_OK) {
		snprintf(text, sizeof(text), "the month is out of range: %s", pb_date_bound(dc));
		return field_error(b, name, c, (size_t)cols[COL_MONTH], text);
	}
	snprintf(text, sizeof(text), "%.7s-01", m->ptr);
	memcpy(l->month, text, 11);
	if (currency_of(c, name, cols[COL_FROM], l->from, b) < 0 || currency_of(c, name, cols[COL_TO], l->to, b) < 0)
		return PB_ERR_DATA;
	if (strcmp(l->from, l->to) == 0)
		return field_error(b, name, c, (size_t)cols[COL_TO], "a rate converts between two currencies");
	if (pb_decimal_parse(r->ptr, r->len, &d, &info) < 0 || d.neg || d.mant == 0 || r->len >= sizeof(l->rate))
		return field_error(b, name, c, (size_t)cols[COL_RATE], "the rate is a positive decimal number");
	if (!rate_in_range(&d))
		return field_error(b, name, c, (size_t)cols[COL_RATE],
				   "the rate is out of range: from 1E-18 to less than 1E+20");
	memcpy(l->rate, r->ptr, r->len);
	l->rate[r->len] = '\0';
	return 0;
}

/*
 * Reads every record of the open reader into fx_load (line, month, pair, rate), with one COPY: a file of a
 * million rates takes one round trip and no memory here. Bad lines are noted in b; a record that leaves the
 * rest unreadable ends the reading. Returns the count of good lines, or PB_ERR_DEPENDENCY.
 */
static long copy_records(PGconn *conn, struct pb_csv *c, const char *name, const long *cols, struct bad_lines *b,
			 struct pb_buf *err)
{
	struct pb_buf rows = PB_BUF_INIT;
	struct rate_line l;
	long n = 0;
	int rc, ok = 1;

	if (pb_db_exec(conn,
		       "CREATE TEMP TABLE fx_load (line bigint, month date, from_currency text, to_currency text, "
		       "rate numeric) ON COMMIT DROP",
		       0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	if (pb_db_copy_start(conn, "COPY fx_load FROM STDIN", err) < 0)
		return PB_ERR_DEPENDENCY;
	while ((rc = pb_csv_next(c)) != PB_CSV_END) {
		if (rc < 0) {
			bad_add(b, name, c->err_line, c->err_col, pb_buf_str(&c->err));
			if (rc == PB_CSV_ERR_FATAL)
				break;
			continue;
		}
		if (parse_line(c, name, cols, &l, b) < 0)
			continue;
		pb_buf_addf(&rows, "%llu\t%s\t%s\t%s\t%s\n", (unsigned long long)c->line, l.month, l.from, l.to,
			    l.rate);
		n++;
		if (rows.len >= 65536 && pb_db_copy_send(conn, &rows, err) < 0) {
			ok = 0;
			break;
		}
	}
	if (ok && pb_db_copy_send(conn, &rows, err) < 0)
		ok = 0;
	pb_buf_release(&rows);
	return pb_db_copy_end(conn, ok, NULL, err) < 0 ? PB_ERR_DEPENDENCY : n;
}

/*
 * A file gives each pair of a month once: every line that repeats one is bad, naming the first (two rates for
 * one pair leave no way to tell which was meant). Noted in b after the lines it holds, then put in line order.
 */
static int repeated(PGconn *conn, const char *name, struct bad_lines *b, struct pb_buf *err)
{
	PGresult *res = pb_db_query(
		conn,
		"SELECT line, to_char(month, 'YYYY-MM'), from_currency, to_currency, first, count(*) OVER () FROM "
		"(SELECT line, month, from_currency, to_currency, row_number() OVER w AS n, min(line) OVER w AS first "
		"FROM fx_load WINDOW w AS (PARTITION BY month, from_currency, to_currency ORDER BY line)) x "
		"WHERE n > 1 ORDER BY line LIMIT 20",
		0, NULL, err);
	struct bad_lines merged;
	size_t i = 0, j = 0;
	int rows;

	if (!res)
		return PB_ERR_DEPENDENCY;
	rows = PQntuples(res);
	if (rows == 0) {
		PQclear(res);
		return 0;
	}
	bad_init(&merged);
	merged.total = b->total + strtoull(PQgetvalue(res, 0, 5), NULL, 10);
	while (merged.n < BAD_SHOWN && (i < b->n || j < (size_t)rows)) {
		uint64_t dup = j < (size_t)rows ? strtoull(PQgetvalue(res, (int)j, 0), NULL, 10) : UINT64_MAX;

		if (i < b->n && b->line[i] < dup) {
			merged.line[merged.n] = b->line[i];
			pb_buf_addstr(&merged.msg[merged.n], pb_buf_str(&b->msg[i]));
			i++;
		} else {
			merged.line[merged.n] = dup;
			pb_buf_addf(&merged.msg[merged.n],
				    "%s:%llu:1: the rate of %s from %s to %s is on line %s already", name,
				    (unsigned long long)dup, PQgetvalue(res, (int)j, 1), PQgetvalue(res, (int)j, 2),
				    PQgetvalue(res, (int)j, 3), PQgetvalue(res, (int)j, 4));
			j++;
		}
		merged.n++;
	}
	PQclear(res);
	bad_release(b);
	*b = merged;
	return 0;
}

/* The bad lines as err's lines: each message, then their count when there are more than one. */
static int bad_report(const struct bad_lines *b, const char *name, struct pb_buf *err)
{
	size_t i;

	pb_buf_reset(err);
	for (i = 0; i < b->n; i++)
		pb_buf_addf(err, "%s%s", i ? "\n" : "", pb_buf_str(&b->msg[i]));
	if (b->total > 1)
		pb_buf_addf(err, "\n%s: %llu bad lines%s: nothing loaded", name, (unsigned long long)b->total,
			    b->total > b->n ? " (the first 20 shown)" : "");
	return PB_ERR_DATA;
}

/*
 * Writes the loaded rates, a pair already loaded for its month taking the new rate. In the order of the key,
 * whatever the file's: two loads at once then take the pairs' locks in one order, and the second waits
 * instead of failing on a deadlock. A month frozen by its invoice refuses a change: the first line that would
 * change one is named.
 */
static int store(PGconn *conn, const char *source, const char *by, struct pb_buf *err)
{
	const char *p[2] = {source, by};
	PGresult *res;

	if (pb_db_exec(conn, "SAVEPOINT fx_store", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	if (pb_db_exec(conn,
		       "INSERT INTO pb.fx_rate (month, from_currency, to_currency, rate, source, loaded_by) "
		       "SELECT month, from_currency, to_currency, rate, $1, $2 FROM fx_load "
		       "ORDER BY month, from_currency, to_currency "
		       "ON CONFLICT (month, from_currency, to_currency) DO UPDATE SET rate = excluded.rate, "
		       "source = excluded.source, loaded_by = excluded.loaded_by, loaded_at = now() "
		       "WHERE pb.fx_rate.rate <> excluded.rate",
		       2, p, err) == 0)
		return 0;
	if (!strstr(pb_buf_str(err), "are frozen"))
		return PB_ERR_DEPENDENCY;
	if (pb_db_exec(conn, "ROLLBACK TO SAVEPOINT fx_store", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	res = pb_db_query(conn,
			  "SELECT l.line, to_char(l.month, 'YYYY-MM') FROM fx_load l JOIN pb.fx_rate f "
			  "ON (f.month, f.from_currency, f.to_currency) = (l.month, l.from_currency, l.to_currency) "
			  "WHERE f.rate <> l.rate AND EXISTS (SELECT 1 FROM pb.aggregate_run r "
			  "WHERE r.billing_month = l.month AND r.frozen) ORDER BY l.line LIMIT 1",
			  0, NULL, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	pb_buf_reset(err);
	if (PQntuples(res) == 1)
		pb_buf_addf(err, "%s:%s:1: the rates of %s are frozen: the month's invoice is issued", source,
			    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	else
		pb_buf_addf(err, "%s: a month's rates are frozen: its invoice is issued", source);
	PQclear(res);
	return PB_ERR_REFUSED;
}

/* Reads, checks and stores every record of the open reader. Returns the count, or an error. */
static long load_records(PGconn *conn, struct pb_csv *c, const char *name, const char *by, struct pb_buf *err)
{
	struct bad_lines bad;
	long cols[NCOLS], n;
	int rc = pb_csv_next(c);

	if (rc == PB_CSV_END) {
		pb_buf_reset(err);
		pb_csv_no_header(c, name, err);
		return PB_ERR_DATA;
	}
	if (rc < 0 || bind(c, name, cols, err) < 0) {
		if (rc < 0) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s:%llu:%u: %s", name, (unsigned long long)c->err_line, c->err_col,
				    pb_buf_str(&c->err));
		}
		return PB_ERR_DATA;
	}
	pb_csv_expect_fields(c, NCOLS);
	bad_init(&bad);
	n = copy_records(conn, c, name, cols, &bad, err);
	if (n >= 0 && repeated(conn, name, &bad, err) < 0)
		n = PB_ERR_DEPENDENCY;
	if (n >= 0 && bad.total)
		n = bad_report(&bad, name, err);
	/* A header alone is a download cut short or the wrong file, not a month without rates. */
	if (n == 0) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "%s:1:1: a header and no rate: nothing loaded (a download cut short, or the wrong file?)",
			    name);
		n = PB_ERR_DATA;
	}
	if (n >= 0) {
		rc = store(conn, name, by, err);
		if (rc < 0)
			n = rc;
	}
	bad_release(&bad);
	return n;
}

int pb_rates_open(const char *path, struct pb_input **in, struct pb_buf *err)
{
	*in = NULL;
	return pb_input_open_ex(path, 0, NULL, in, err) < 0 ? PB_ERR_DATA : 0;
}

int pb_rates_load(PGconn *conn, struct pb_input *in, const char *by, FILE *out, struct pb_buf *err)
{
	struct pb_csv c;
	long n = PB_ERR_DATA;
	int ready = 0;

	if (pb_csv_init(&c, pb_input_read, in, 0) < 0) {
		pb_input_free(in);
		return PB_ERR_DATA;
	}
	ready = 1;
	if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0) {
		n = PB_ERR_DEPENDENCY;
		goto out;
	}
	n = load_records(conn, &c, pb_input_name(in), by, err);
	if (n < 0) {
		PQclear(PQexec(conn, "ROLLBACK"));
		goto out;
	}
	if (pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0) {
		n = PB_ERR_DEPENDENCY;
		goto out;
	}
	fprintf(out, "%ld rate%s loaded from %s\n", n, n == 1 ? "" : "s", pb_input_name(in));
out:
	if (ready)
		pb_csv_release(&c);
	pb_input_free(in);
	return n < 0 ? (int)n : 0;
}

int pb_rates_list(PGconn *conn, const int32_t *month, FILE *out, struct pb_buf *err)
{
	struct pb_buf line = PB_BUF_INIT;
	char m[11] = "";
	const char *p[1] = {m};
	PGresult *res;
	int i;

	if (month)
		pb_date_format(*month, m);
	res = pb_db_query(
		conn,
		"SELECT to_char(month, 'YYYY-MM'), from_currency, to_currency, rate::text, source, loaded_by, "
		"to_char(loaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM pb.fx_rate "
		"WHERE $1 = '' OR month = nullif($1, '')::date ORDER BY month, from_currency, to_currency",
		1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	pb_buf_addstr(&line, "month,from,to,rate,source,loaded_by,loaded_at\n");
	for (i = 0; i < PQntuples(res); i++) {
		pb_buf_addf(&line, "%s,%s,%s,%s,", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
			    PQgetvalue(res, i, 3));
		/* The file's name and the loader are text: one CSV field each, never a formula. */
		pb_buf_add_csv_text(&line, PQgetvalue(res, i, 4), (size_t)PQgetlength(res, i, 4));
		pb_buf_addch(&line, ',');
		pb_buf_add_csv_text(&line, PQgetvalue(res, i, 5), (size_t)PQgetlength(res, i, 5));
		pb_buf_addf(&line, ",%s\n", PQgetvalue(res, i, 6));
		if (line.len > 65536) {
			fwrite(line.ptr, 1, line.len, out);
			pb_buf_reset(&line);
		}
	}
	if (line.len)
		fwrite(line.ptr, 1, line.len, out);
	PQclear(res);
	pb_buf_release(&line);
	return 0;
}

int pb_rates_read(PGconn *conn, int32_t month, struct pb_rates *rates, struct pb_buf *err)
{
	char m[11];
	const char *p[1] = {m};
	PGresult *res;
	int i;

	memset(rates, 0, sizeof(*rates));
	rates->month = month;
	pb_date_format(month, m);
	res = pb_db_query(conn, "SELECT from_currency, to_currency, rate::text FROM pb.fx_rate WHERE month = $1::date",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	rates->r = calloc((size_t)PQntuples(res) + 1, sizeof(*rates->r));
	if (!rates->r) {
		PQclear(res);
		return PB_ERR_DEPENDENCY;
	}
	for (i = 0; i < PQntuples(res); i++) {
		struct pb_rate *r = &rates->r[rates->n];
		const char *v = PQgetvalue(res, i, 2);

		snprintf(r->from, sizeof(r->from), "%s", PQgetvalue(res, i, 0));
		snprintf(r->to, sizeof(r->to), "%s", PQgetvalue(res, i, 1));
		if (pb_decimal_parse(v, strlen(v), &r->rate, NULL) == 0)
			rates->n++;
	}
	PQclear(res);
	return 0;
}

int pb_rates_convert(const struct pb_rates *rates, const char *from, const char *to, pb_money amount, pb_money *out,
		     struct pb_buf *err)
{
	struct pb_decimal f[2];
	char m[11];
	size_t i;

	if (strcmp(from, to) == 0) {
		*out = amount;
		return 0;
	}
	for (i = 0; i < rates->n; i++) {
		if (strcmp(rates->r[i].from, from) == 0 && strcmp(rates->r[i].to, to) == 0) {
			f[0] = pb_decimal_from_money(amount);
			f[1] = rates->r[i].rate;
			if (pb_decimal_product(f, 2, 1, out, NULL) == 0)
				return 0;
			pb_buf_reset(err);
			pb_buf_addf(err, "converting from %s to %s leaves the range of amounts", from, to);
			return PB_ERR_DATA;
		}
	}
	pb_date_format(rates->month, m);
	pb_buf_reset(err);
	pb_buf_addf(err, "no conversion rate from %s to %s for %.7s: load one with pb-aggregate rates --load FILE",
		    from, to, m);
	return PB_ERR_DATA;
}

void pb_rates_release(struct pb_rates *rates)
{
	free(rates->r);
	memset(rates, 0, sizeof(*rates));
}
