/* pb-aggregate's outputs, read back from the stored run: what is printed is what was stored. */
#include "report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "coverage.h"
#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "log.h"

#include "banned.h"

/* The id of the month's current run as text into id; PB_ERR_DATA when there is none. */
static int current_run(PGconn *conn, int32_t month, char *id, size_t n, struct pb_buf *err)
{
	char m[11];
	const char *p[1] = {m};
	PGresult *res;
	int ret = 0;

	pb_date_format(month, m);
	res = pb_db_query(conn, "SELECT id FROM pb.aggregate_run WHERE billing_month = $1::date AND status = 'current'",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) == 1) {
		snprintf(id, n, "%s", PQgetvalue(res, 0, 0));
	} else {
		pb_buf_reset(err);
		pb_buf_addf(err, "%.7s has no aggregate run: run pb-aggregate --month %.7s", m, m);
		ret = PB_ERR_DATA;
	}
	PQclear(res);
	return ret;
}

/* 1 when column j of res holds numbers (int2, int4, int8, numeric: pg_type's fixed oids). */
static int number_column(const PGresult *res, int j)
{
	Oid t = PQftype(res, j);

	return t == 20 || t == 21 || t == 23 || t == 1700;
}

/*
 * Prints a result as CSV: a header, then each row, fields quoted where RFC 4180 needs it. Text (a reason, a
 * partner account id) that a spreadsheet would run as a formula gets a single quote before it; numbers (-4.2)
 * are left as they are.
 */
static void print_csv(PGresult *res, FILE *out)
{
	struct pb_buf line = PB_BUF_INIT;
	int i, j;

	for (j = 0; j < PQnfields(res); j++) {
		pb_buf_addstr(&line, j ? "," : "");
		pb_buf_addstr(&line, PQfname(res, j));
	}
	pb_buf_addch(&line, '\n');
	for (i = 0; i < PQntuples(res); i++) {
		for (j = 0; j < PQnfields(res); j++) {
			const char *v = PQgetvalue(res, i, j);

			pb_buf_addstr(&line, j ? "," : "");
			if (number_column(res, j))
				pb_buf_add_csv_field(&line, v, strlen(v));
			else
				pb_buf_add_csv_text(&line, v, strlen(v));
		}
		pb_buf_addch(&line, '\n');
		if (line.len > 65536) {
			fwrite(line.ptr, 1, line.len, out);
			pb_buf_reset(&line);
		}
	}
	if (line.len)
		fwrite(line.ptr, 1, line.len, out);
	pb_buf_release(&line);
}

/* Runs a query of run run_id ($1), or of the month's current run when run_id is 0, and prints it as CSV. */
static int csv_of_run(PGconn *conn, int32_t month, long long run_id, const char *sql, FILE *out, struct pb_buf *err)
{
	char id[24];
	const char *p[1] = {id};
	PGresult *res;
	int rc = 0;

	if (run_id > 0)
		snprintf(id, sizeof(id), "%lld", run_id);
	else
		rc = current_run(conn, month, id, sizeof(id), err);
	if (rc < 0)
		return rc;
	res = pb_db_query(conn, sql, 1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	print_csv(res, out);
	PQclear(res);
	return 0;
}

int pb_agg_report_csv(PGconn *conn, int32_t month, long long run_id, FILE *out, struct pb_buf *err)
{
	return csv_of_run(
		conn, month, run_id,
		"SELECT alias, vendor, currency, trim_scale(month_to_date) AS month_to_date, estimate, low80, "
		"high80, low90, high90, coalesce(complete_through::text, '') AS complete_through, "
		"CASE WHEN final THEN 'true' ELSE 'false' END AS final, trim_scale(markup) AS markup "
		"FROM pb.aggregate_account "
		"WHERE run_id = $1::bigint AND vendor <> 'all' ORDER BY alias COLLATE \"C\", vendor",
		out, err);
}

int pb_agg_report_buckets(PGconn *conn, int32_t month, long long run_id, FILE *out, struct pb_buf *err)
{
	return csv_of_run(
		conn, month, run_id,
		"SELECT bucket, vendor, partner_account_id, alias, reason, currency, trim_scale(list) AS list, "
		"trim_scale(billed) AS billed, line_count FROM pb.aggregate_bucket WHERE run_id = $1::bigint "
		"ORDER BY bucket, vendor, partner_account_id COLLATE \"C\", alias COLLATE \"C\", "
		"reason COLLATE \"C\", currency",
		out, err);
}

int pb_agg_report_no_list(PGconn *conn, int32_t month, long long run_id, FILE *out, struct pb_buf *err)
{
	return csv_of_run(
		conn, month, run_id,
		"SELECT vendor, partner_account_id, alias, currency, line_count, trim_scale(billed) AS billed "
		"FROM pb.aggregate_no_list WHERE run_id = $1::bigint ORDER BY vendor, partner_account_id "
		"COLLATE \"C\", alias COLLATE \"C\", currency",
		out, err);
}

/* Writes a line of the summary: on out, or when out is NULL as a message (stdout holds the CSV asked for). */
static void say(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(FILE *out, const char *fmt, ...)
{
	struct pb_buf line = PB_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	pb_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	if (out)
		fprintf(out, "%s\n", pb_buf_str(&line));
	else
		pb_log(PB_LOG_INFO, NULL, "%s", pb_buf_str(&line));
	pb_buf_release(&line);
}

/* The reconciliation of the run, per currency: the total billed is the sum of its places, to the last digit. */
static int print_recon(PGconn *conn, const char *id, FILE *out, struct pb_buf *err)
{
	const char *p[1] = {id};
	struct pb_buf line = PB_BUF_INIT;
	PGresult *res;
	int i;

	res = pb_db_query(
		conn,
		"SELECT currency, place, trim_scale(billed)::text, line_count FROM pb.aggregate_recon "
		"WHERE run_id = $1::bigint ORDER BY currency, CASE place WHEN 'total' THEN 0 WHEN 'attributed' "
		"THEN 1 WHEN 'unmapped' THEN 2 WHEN 'ineligible' THEN 3 ELSE 4 END",
		1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < PQntuples(res); i++) {
		const char *place = PQgetvalue(res, i, 1);

		if (strcmp(place, "total") == 0)
			pb_buf_addf(&line, "reconciliation %s, billed: %s (%s lines) =", PQgetvalue(res, i, 0),
				    PQgetvalue(res, i, 2), PQgetvalue(res, i, 3));
		else
			pb_buf_addf(&line, "%s %s %s", strcmp(place, "attributed") == 0 ? "" : " +", place,
				    PQgetvalue(res, i, 2));
		if (strcmp(place, "excluded") == 0) {
			say(out, "%s", pb_buf_str(&line));
			pb_buf_reset(&line);
		}
	}
	PQclear(res);
	pb_buf_release(&line);
	return 0;
}

/* No more partner accounts without a list price are printed than this (the query asks for one more). */
#define NO_LIST_SHOWN 20

/*
 * Where the list costs came from, when price lists gave some, and the usage billed at its billed cost for want
 * of any list price, per partner account (the first NO_LIST_SHOWN; --no-list lists them all).
 */
static int print_list_sources(PGconn *conn, const char *id, FILE *out, struct pb_buf *err)
{
	const char *p[1] = {id};
	PGresult *res;
	int i, n;

	res = pb_db_query(conn,
			  "SELECT l.price_load_id, sum(l.line_count) FROM pb.import_list l JOIN pb.aggregate_run r ON "
			  "l.import_id = ANY (r.imports) WHERE r.id = $1::bigint AND l.list_source = 'price-list' "
			  "GROUP BY 1 ORDER BY 1",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < PQntuples(res); i++)
		say(out, "%s price list load %s: the list cost of %s line%s the exports left without one",
		    i ? "" : "list prices:", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    strcmp(PQgetvalue(res, i, 1), "1") ? "s" : "");
	PQclear(res);
	res = pb_db_query(
		conn,
		"SELECT n.vendor, n.partner_account_id, n.alias, n.currency, n.line_count, "
		"trim_scale(n.billed)::text, to_char(r.billing_month, 'YYYY-MM'), count(*) OVER () FROM "
		"pb.aggregate_no_list n JOIN pb.aggregate_run r ON r.id = n.run_id WHERE n.run_id = $1::bigint "
		"ORDER BY n.vendor, n.partner_account_id COLLATE \"C\", n.alias, n.currency LIMIT 21",
		1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	n = PQntuples(res);
	for (i = 0; i < n && i < NO_LIST_SHOWN; i++)
		say(out, "no list price: %s partner account %s (%s): %s usage line%s billed at the billed cost, %s %s",
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 4),
		    strcmp(PQgetvalue(res, i, 4), "1") ? "s" : "", PQgetvalue(res, i, 3), PQgetvalue(res, i, 5));
	if (n > NO_LIST_SHOWN)
		say(out,
		    "no list price: %lld partner accounts and currencies in all (pb-aggregate --month %s --no-run "
		    "--no-list lists them)",
		    strtoll(PQgetvalue(res, 0, 7), NULL, 10), PQgetvalue(res, 0, 6));
	PQclear(res);
	return 0;
}

/* A warning per non-empty bucket of spend that no account is billed for. Returns how many. */
static int warn_buckets(PGconn *conn, const char *id, const struct pb_log_where *w, struct pb_buf *err)
{
	const char *p[1] = {id};
	PGresult *res;
	int i, n = 0;

	res = pb_db_query(conn,
			  "SELECT r.billing_month, b.bucket, b.currency, count(DISTINCT b.partner_account_id), "
			  "sum(b.line_count), trim_scale(sum(b.billed))::text FROM pb.aggregate_bucket b "
			  "JOIN pb.aggregate_run r ON r.id = b.run_id WHERE b.run_id = $1::bigint "
			  "AND b.bucket IN ('unmapped', 'ineligible') GROUP BY 1, 2, 3 ORDER BY 2, 3",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < PQntuples(res); i++) {
		pb_log(PB_LOG_WARNING, w,
		       "%.7s: %s spend of %s partner account%s: %s lines, billed %s %s (pb-aggregate --month %.7s "
		       "--unmapped lists them)",
		       PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 3),
		       strcmp(PQgetvalue(res, i, 3), "1") ? "s" : "", PQgetvalue(res, i, 4), PQgetvalue(res, i, 2),
		       PQgetvalue(res, i, 5), PQgetvalue(res, i, 0));
		n++;
	}
	PQclear(res);
	return n;
}

/* A warning when a vendor that accounts are linked to in the month has no import in the run. */
static int warn_missing(PGconn *conn, const char *month, const char *id, const struct pb_log_where *w,
			struct pb_buf *err)
{
	struct pb_buf gaps = PB_BUF_INIT;
	int n = pb_missing_vendors(conn, month, id, &gaps, err);

	if (n > 0)
		pb_log(PB_LOG_WARNING, w, "%.7s has %s: those charges are missing", month, pb_buf_str(&gaps));
	pb_buf_release(&gaps);
	return n < 0 ? PB_ERR_DEPENDENCY : 0;
}

/*
 * A warning per source complete through a day more than stale_after days before the run's as-of day: nothing
 * tells an export that is late from one that stopped, and the estimates take it to lag (a final import is
 * complete, however early its rows end). Returns 0 or PB_ERR_DEPENDENCY.
 */
static int warn_stale(PGconn *conn, const char *id, int stale_after, const struct pb_log_where *w, struct pb_buf *err)
{
	char days[12];
	const char *p[2] = {id, days};
	PGresult *res;
	int i;

	snprintf(days, sizeof(days), "%d", stale_after);
	res = pb_db_query(conn,
			  "SELECT to_char(r.billing_month, 'YYYY-MM'), s.vendor, s.source, s.complete_through, "
			  "r.as_of - s.complete_through, r.as_of FROM pb.aggregate_source s "
			  "JOIN pb.aggregate_run r ON r.id = s.run_id JOIN pb.import i ON i.id = s.import_id "
			  "WHERE s.run_id = $1::bigint AND NOT i.final AND r.as_of - s.complete_through > $2::int "
			  "ORDER BY s.vendor, s.source COLLATE \"C\", s.import_id",
			  2, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < PQntuples(res); i++)
		pb_log(PB_LOG_WARNING, w,
		       "%s: %s source '%s' is complete through %s, %s days before the as-of day %s (more than %d): if "
		       "its export stopped, the estimates project it at its level",
		       PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
		       PQgetvalue(res, i, 4), PQgetvalue(res, i, 5), stale_after);
	PQclear(res);
	return 0;
}

int pb_agg_report_run(PGconn *conn, long long run_id, int stale_after, FILE *out, struct pb_buf *err)
{
	struct pb_log_where w = {0};
	char id[24], month[8];
	const char *p[1] = {id};
	PGresult *res;
	int rc;

	snprintf(id, sizeof(id), "%lld", run_id);
	res = pb_db_query(conn,
			  "SELECT to_char(r.billing_month, 'YYYY-MM'), r.as_of, cardinality(r.imports), "
			  "(SELECT count(*) FROM pb.aggregate_account a WHERE a.run_id = r.id AND a.vendor = 'all'), "
			  "r.no_list_lines, r.billing_month::text FROM pb.aggregate_run r WHERE r.id = $1::bigint",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	snprintf(month, sizeof(month), "%s", PQgetvalue(res, 0, 0));
	w.month = month;
	say(out, "aggregate run %s of %s as of %s: %s import%s, %s CLC account%s", id, PQgetvalue(res, 0, 0),
	    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), strcmp(PQgetvalue(res, 0, 2), "1") ? "s" : "",
	    PQgetvalue(res, 0, 3), strcmp(PQgetvalue(res, 0, 3), "1") ? "s" : "");
	if (strcmp(PQgetvalue(res, 0, 4), "0") != 0)
		pb_log(PB_LOG_WARNING, &w,
		       "%s usage line%s no list price and %s billed at the billed cost (pb-aggregate --month %s "
		       "--no-run --no-list lists them per partner account)",
		       PQgetvalue(res, 0, 4), strcmp(PQgetvalue(res, 0, 4), "1") ? "s have" : " has",
		       strcmp(PQgetvalue(res, 0, 4), "1") ? "are" : "is", PQgetvalue(res, 0, 0));
	rc = warn_missing(conn, PQgetvalue(res, 0, 5), id, &w, err);
	PQclear(res);
	if (rc == 0)
		rc = warn_stale(conn, id, stale_after, &w, err);
	if (rc == 0)
		rc = print_recon(conn, id, out, err);
	if (rc == 0)
		rc = print_list_sources(conn, id, out, err);
	if (rc < 0)
		return rc;
	return warn_buckets(conn, id, &w, err);
}

int pb_agg_report_history(PGconn *conn, const int32_t *month, FILE *out, struct pb_buf *err)
{
	char m[11] = "";
	const char *p[1] = {m};
	PGresult *res;
	int i;

	if (month)
		pb_date_format(*month, m);
	res = pb_db_query(conn,
			  "SELECT id, to_char(billing_month, 'YYYY-MM'), as_of, status, cardinality(imports), "
			  "unmapped_lines, ineligible_lines, CASE WHEN frozen THEN 'frozen' ELSE '' END, "
			  "to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM pb.aggregate_run "
			  "WHERE $1 = '' OR billing_month = nullif($1, '')::date ORDER BY id",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	fprintf(out, "%6s  %-7s  %-10s  %-10s  %7s  %10s  %10s  %-6s  %s\n", "run", "month", "as_of", "status",
		"imports", "unmapped", "ineligible", "frozen", "finished (UTC)");
	for (i = 0; i < PQntuples(res); i++)
		fprintf(out, "%6s  %-7s  %-10s  %-10s  %7s  %10s  %10s  %-6s  %s\n", PQgetvalue(res, i, 0),
			PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
			PQgetvalue(res, i, 5), PQgetvalue(res, i, 6), PQgetvalue(res, i, 7), PQgetvalue(res, i, 8));
	PQclear(res);
	return 0;
}
