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

static int field_error(struct pb_buf *err, const char *name, const struct pb_csv *c, size_t field, const char *what)
{
	uint64_t line;
	uint32_t col;

	pb_csv_field_pos(c, field, &line, &col);
	pb_buf_reset(err);
	pb_buf_addf(err, "%s:%llu:%u: %s", name, (unsigned long long)line, col, what);
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

static int currency_of(const struct pb_csv *c, const char *name, long col, char *out, struct pb_buf *err)
{
	const struct pb_csv_field *f = &c->fields[col];

	if (pb_currency_minor_unit(f->ptr, f->len) < 0)
		return field_error(err, name, c, (size_t)col, "not an ISO 4217 currency code");
	memcpy(out, f->ptr, 3);
	out[3] = '\0';
	return 0;
}

/* Checks one record into l. */
static int parse_line(const struct pb_csv *c, const char *name, const long *cols, struct rate_line *l,
		      struct pb_buf *err)
{
	const struct pb_csv_field *m = &c->fields[cols[COL_MONTH]], *r = &c->fields[cols[COL_RATE]];
	struct pb_money_parse_info info;
	struct pb_decimal d;
	int32_t day;
	char text[16];

	if (m->len != 7)
		return field_error(err, name, c, (size_t)cols[COL_MONTH], "the month is YYYY-MM");
	snprintf(text, sizeof(text), "%.7s-01", m->ptr);
	if (pb_date_parse_iso(text, 10, &day) < 0)
		return field_error(err, name, c, (size_t)cols[COL_MONTH], "the month is YYYY-MM");
	memcpy(l->month, text, 11);
	if (currency_of(c, name, cols[COL_FROM], l->from, err) < 0 ||
	    currency_of(c, name, cols[COL_TO], l->to, err) < 0)
		return PB_ERR_DATA;
	if (strcmp(l->from, l->to) == 0)
		return field_error(err, name, c, (size_t)cols[COL_TO], "a rate converts between two currencies");
	if (pb_decimal_parse(r->ptr, r->len, &d, &info) < 0 || d.neg || d.mant == 0 || r->len >= sizeof(l->rate)) {
		pb_buf_reset(err);
		field_error(err, name, c, (size_t)cols[COL_RATE], "the rate is a positive decimal number");
		return PB_ERR_DATA;
	}
	memcpy(l->rate, r->ptr, r->len);
	l->rate[r->len] = '\0';
	return 0;
}

/*
 * Writes one rate, or replaces the month's rate of the pair, and notes the pair and its line in fx_seen (on
 * the server: a file of a million rates takes no memory here).
 */
static int store_line(PGconn *conn, const struct rate_line *l, const char *source, uint64_t line, const char *by,
		      struct pb_buf *err)
{
	char key[18], num[24];
	const char *p[8] = {l->month, l->from, l->to, l->rate, source, by, key, num};

	snprintf(key, sizeof(key), "%.10s%s%s", l->month, l->from, l->to);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)line);
	if (pb_db_exec(conn,
		       "WITH seen AS (INSERT INTO fx_seen (k, line) VALUES ($7, $8::bigint)) "
		       "INSERT INTO pb.fx_rate (month, from_currency, to_currency, rate, source, loaded_by) "
		       "VALUES ($1::date, $2, $3, $4::numeric, $5, $6) ON CONFLICT (month, from_currency, to_currency) "
		       "DO UPDATE SET rate = excluded.rate, source = excluded.source, loaded_by = excluded.loaded_by, "
		       "loaded_at = now() WHERE pb.fx_rate.rate <> excluded.rate",
		       8, p, err) < 0) {
		if (!strstr(pb_buf_str(err), "are frozen"))
			return PB_ERR_DEPENDENCY;
		pb_buf_reset(err);
		pb_buf_addf(err, "%s:%llu:1: the rates of %.7s are frozen: the month's invoice is issued", source,
			    (unsigned long long)line, l->month);
		return PB_ERR_REFUSED;
	}
	return 0;
}

/*
 * A file gives each pair of a month once: the earliest line that repeats one is an error naming the first
 * (two rates for one pair leave no way to tell which was meant).
 */
static int repeated(PGconn *conn, const char *name, struct pb_buf *err)
{
	PGresult *res =
		pb_db_query(conn,
			    "SELECT k, line, first FROM (SELECT k, line, row_number() OVER w AS n, "
			    "min(line) OVER w AS first FROM fx_seen WINDOW w AS (PARTITION BY k ORDER BY line)) x "
			    "WHERE n = 2 ORDER BY line LIMIT 1",
			    0, NULL, err);
	const char *k;

	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	k = PQgetvalue(res, 0, 0);
	pb_buf_reset(err);
	pb_buf_addf(err, "%s:%s:1: the rate of %.7s from %.3s to %.3s is on line %s already", name,
		    PQgetvalue(res, 0, 1), k, k + 10, k + 13, PQgetvalue(res, 0, 2));
	PQclear(res);
	return PB_ERR_DATA;
}

/* Reads and stores every record of the open reader. Returns the count, or an error. */
static long load_records(PGconn *conn, struct pb_csv *c, const char *name, const char *by, struct pb_buf *err)
{
	struct rate_line l;
	long cols[NCOLS], n = 0;
	int rc = pb_csv_next(c);

	if (rc == PB_CSV_END) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: empty file: no header line", name);
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
	if (pb_db_exec(conn, "CREATE TEMP TABLE fx_seen (k text, line bigint) ON COMMIT DROP", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	while ((rc = pb_csv_next(c)) == PB_CSV_RECORD) {
		rc = parse_line(c, name, cols, &l, err);
		if (rc == 0)
			rc = store_line(conn, &l, name, c->line, by, err);
		if (rc < 0)
			return rc;
		n++;
	}
	if (rc < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s:%llu:%u: %s", name, (unsigned long long)c->err_line, c->err_col,
			    pb_buf_str(&c->err));
		return PB_ERR_DATA;
	}
	rc = repeated(conn, name, err);
	return rc < 0 ? rc : n;
}

int pb_rates_load(PGconn *conn, const char *path, const char *by, FILE *out, struct pb_buf *err)
{
	struct pb_input *in = NULL;
	struct pb_csv c;
	long n = PB_ERR_DATA;
	int ready = 0;

	if (pb_input_open_ex(path, 0, NULL, &in, err) < 0)
		return PB_ERR_DATA;
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
