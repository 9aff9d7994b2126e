/* Issuing an invoice: checks, one transaction that stores the lines and freezes the run, then the files. */
#include "issue.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "coverage.h"
#include "currency.h"
#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "export.h"
#include "lines.h"
#include "log.h"
#include "output.h"
#include "sha256.h"

#include "testhook.h"

#include "banned.h"

/* What issuing one month needs to know. */
struct issue {
	const struct pb_inv_options *o;
	char month[11], number[24], run_id[24], invoice_id[24];
	size_t nlines;
	char export_sha[65], detail_sha[65];
};

/* The tables of the lines an issue makes, before they are stored with the invoice (invoice_id 0). */
#define NEW_LINES "pg_temp.invoice_new"

/* The month's current aggregate run; its as-of day and whether it holds the detail. */
static int current_run(PGconn *conn, struct issue *s, int need_detail, struct pb_buf *err)
{
	const char *p[1] = {s->month};
	PGresult *res;
	int ret = 0;

	res = pb_db_query(conn,
			  "SELECT id, as_of = (billing_month + interval '1 month' - interval '1 day')::date, detail "
			  "FROM pb.aggregate_run WHERE billing_month = $1::date AND status = 'current'",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	pb_buf_reset(err);
	if (PQntuples(res) != 1) {
		pb_buf_addf(err, "%.7s has no aggregate run: run pb-aggregate --month %.7s --detail", s->month,
			    s->month);
		ret = PB_ERR_DATA;
	} else if (need_detail && PQgetvalue(res, 0, 1)[0] != 't' && !s->o->reason) {
		pb_buf_addf(err,
			    "the current aggregate run of %.7s is not as of the month's last day: run pb-aggregate "
			    "--month %.7s --detail (or --force --reason TEXT)",
			    s->month, s->month);
		ret = PB_ERR_REFUSED;
	} else if (need_detail && PQgetvalue(res, 0, 2)[0] != 't') {
		pb_buf_addf(err,
			    "the current aggregate run of %.7s has no detail: run pb-aggregate --month %.7s --detail",
			    s->month, s->month);
		ret = PB_ERR_DATA;
	} else {
		snprintf(s->run_id, sizeof(s->run_id), "%s", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return ret;
}

/* What the month's issued invoice stored with its lines: the files' hashes, and who issued it when. */
struct issued {
	char export_sha[65], detail_sha[65], by[300];
};

/*
 * The month's issued invoice: its id, number and run into s, the rest into i. Returns 1, 0 when the month is not
 * issued, or an error. What an issued month holds never changes: its lines are what issuing it again would give.
 */
static int read_issued(PGconn *conn, struct issue *s, struct issued *i, struct pb_buf *err)
{
	const char *p[1] = {s->month};
	PGresult *res;

	res = pb_db_query(conn,
			  "SELECT id, number, run_id, export_sha256, detail_sha256, issued_by, "
			  "to_char(issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM pb.invoice "
			  "WHERE billing_month = $1::date",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	snprintf(s->invoice_id, sizeof(s->invoice_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(s->number, sizeof(s->number), "%s", PQgetvalue(res, 0, 1));
	snprintf(s->run_id, sizeof(s->run_id), "%s", PQgetvalue(res, 0, 2));
	snprintf(i->export_sha, sizeof(i->export_sha), "%s", PQgetvalue(res, 0, 3));
	snprintf(i->detail_sha, sizeof(i->detail_sha), "%s", PQgetvalue(res, 0, 4));
	snprintf(i->by, sizeof(i->by), "by %s at %s UTC", PQgetvalue(res, 0, 5), PQgetvalue(res, 0, 6));
	PQclear(res);
	return 1;
}

/* What writes the export a line at a time: to out, and, when keep, into NEW_LINES (sent on a batch at a time). */
struct export_rows {
	PGconn *conn;
	const struct issue *s;
	struct pb_inv_sink *out;
	int keep;
	struct pb_buf row, lines, parts;
};

static void add_money(struct pb_buf *b, pb_money m)
{
	char s[PB_MONEY_STRMAX];

	pb_money_format_canonical(m, s);
	pb_buf_addstr(b, s);
}

/* A line's rows of NEW_LINES (invoice_line's and invoice_part's columns, invoice 0), in COPY's text format. */
static void copy_rows(struct export_rows *x, const struct pb_inv_line *l, size_t n)
{
	char c[11];
	int v;

	pb_buf_addf(&x->lines, "0\t%zu\t", n);
	pb_buf_add_copy_text(&x->lines, l->alias, strlen(l->alias));
	pb_buf_addch(&x->lines, '\t');
	pb_buf_add_copy_text(&x->lines, l->name ? l->name : "", l->name ? strlen(l->name) : 0);
	if (l->corrects)
		pb_date_format(l->corrects, c);
	pb_buf_addf(&x->lines, "\t" PB_INV_LINE_ITEM "\t%s\t%s\t%s\t", l->kind, l->corrects ? c : "\\N", l->currency);
	add_money(&x->lines, l->amount);
	pb_buf_addch(&x->lines, '\t');
	add_money(&x->lines, l->exact);
	pb_buf_addch(&x->lines, '\n');
	for (v = 0; v < PB_NVENDORS; v++) {
		if (!l->has_part[v])
			continue;
		pb_buf_addf(&x->parts, "0\t%zu\t%s\t", n, pb_vendor_names[v]);
		add_money(&x->parts, l->part[v]);
		pb_buf_addch(&x->parts, '\t');
		add_money(&x->parts, l->part_exact[v]);
		pb_buf_addch(&x->parts, '\n');
	}
}

static int export_row(const struct pb_inv_line *l, size_t n, void *arg, struct pb_buf *err)
{
	struct export_rows *x = arg;

	pb_inv_export_row(x->s->number, x->s->o->month, l, n, &x->row);
	if (x->keep)
		copy_rows(x, l, n);
	return pb_inv_sink_write(x->out, &x->row, err);
}

/* COPY sql (FROM STDIN) with the rows b holds, and b emptied. 0, or PB_ERR_DEPENDENCY. */
static int copy_buf(PGconn *conn, const char *sql, struct pb_buf *b, struct pb_buf *err)
{
	int ok;

	if (b->len == 0 && !b->failed)
		return 0;
	if (pb_db_copy_start(conn, sql, err) < 0)
		return PB_ERR_DEPENDENCY;
	ok = pb_db_copy_send(conn, b, err) == 0;
	return pb_db_copy_end(conn, ok, NULL, err) < 0 ? PB_ERR_DEPENDENCY : 0;
}

/* The lines given since the last batch into NEW_LINES. */
static int export_batch(void *arg, struct pb_buf *err)
{
	struct export_rows *x = arg;
	int rc;

	if (!x->keep)
		return 0;
	rc = copy_buf(x->conn, "COPY " NEW_LINES "_line FROM STDIN", &x->lines, err);
	return rc < 0 ? rc : copy_buf(x->conn, "COPY " NEW_LINES "_part FROM STDIN", &x->parts, err);
}

/*
 * The export, a line at a time, to out: the lines of the invoice issued (s->invoice_id set), else those the run
 * makes (then also, when keep, into NEW_LINES). s->nlines is their number.
 */
static int write_export(PGconn *conn, struct issue *s, struct pb_inv_sink *out, int keep, struct pb_buf *err)
{
	struct export_rows x = {conn, s, out, keep, PB_BUF_INIT, PB_BUF_INIT, PB_BUF_INIT};
	struct pb_inv_emit emit = {export_row, export_batch, &x};
	int rc;

	pb_inv_export_header(&x.row);
	rc = pb_inv_sink_write(out, &x.row, err);
	if (rc == 0 && s->invoice_id[0])
		rc = pb_inv_read(conn, "pb.invoice", s->invoice_id, &emit, &s->nlines, err);
	else if (rc == 0)
		rc = pb_inv_build(conn, s->o->month, s->run_id, &emit, &s->nlines, err);
	pb_buf_release(&x.row);
	pb_buf_release(&x.lines);
	pb_buf_release(&x.parts);
	return rc;
}

/* Copies f from its start to out. Returns 0, or -1 (a read error of f; a write error of out is out's). */
static int copy_out(FILE *f, FILE *out)
{
	char chunk[65536];
	size_t n;

	rewind(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (fwrite(chunk, 1, n, out) != n)
			break;
	return ferror(f) ? -1 : 0;
}

static int warn_adjusted(PGconn *conn, const char *m, struct pb_buf *err);

int pb_inv_draft(PGconn *conn, const struct pb_inv_options *o, FILE *out, struct pb_buf *err)
{
	struct pb_inv_sink sink = {NULL, NULL, PB_SHA256_INIT};
	struct issue s;
	struct issued is;
	int rc;

	memset(&s, 0, sizeof(s));
	s.o = o;
	pb_date_format(o->month, s.month);
	snprintf(s.number, sizeof(s.number), "DRAFT-%.7s", s.month);
	/* Made into a temporary file first: standard output gets the whole export or nothing. */
	sink.f = pb_tmpfile();
	if (!sink.f) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot make a temporary file in '%s': %s", pb_tmpdir(), strerror(errno));
		return PB_ERR_DEPENDENCY;
	}
	/* The lines are read with a cursor, so in a transaction. */
	if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0) {
		fclose(sink.f);
		return PB_ERR_DEPENDENCY;
	}
	rc = read_issued(conn, &s, &is, err);
	if (rc == 1)
		pb_log(PB_LOG_WARNING, NULL,
		       "%.7s is issued: these are the lines of %s; what changed since goes on the next invoice (--diff "
		       "shows it)",
		       s.month, s.number);
	if (rc == 0)
		rc = current_run(conn, &s, 0, err);
	/* A month not issued: the lines of a run out of date are a draft --issue would refuse, and it says so. */
	if (rc == 0)
		rc = pb_inv_warn_out_of_date(conn, s.run_id, s.month, err);
	/* So are the adjustments of earlier months made from a run of theirs out of date. */
	if (rc == 0)
		rc = warn_adjusted(conn, s.month, err);
	if (rc >= 0)
		rc = write_export(conn, &s, &sink, 0, err);
	PQclear(PQexec(conn, "ROLLBACK"));
	if (rc == 0 && (fflush(sink.f) != 0 || ferror(sink.f) || copy_out(sink.f, out) < 0)) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot write a temporary file in '%s': %s", pb_tmpdir(), strerror(errno));
		rc = PB_ERR_DEPENDENCY;
	}
	fclose(sink.f);
	pb_sha256_release(&sink.sha);
	return rc;
}

/*
 * Whether the month has not ended (today, UTC, by the database server's clock as pb-ingest --final takes it, is on or
 * before its last day): 1 with today's date in today, 0, or PB_ERR_DEPENDENCY. Its days to come are in no source,
 * however final its sources say they are.
 */
static int not_ended(PGconn *conn, const struct issue *s, char today[11], struct pb_buf *err)
{
	int32_t day, next;
	int y, m, d;

	if (pb_db_today(conn, &day, err) < 0)
		return PB_ERR_DEPENDENCY;
	pb_date_format(day, today);
	if (pb_date_parse_day(s->month, &next) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "'%s' is not a month", s->month);
		return PB_ERR_DEPENDENCY;
	}
	pb_date_to_ymd(next, &y, &m, &d);
	next = m == 12 ? pb_date_from_ymd(y + 1, 1, 1) : pb_date_from_ymd(y, m + 1, 1);
	return day < next;
}

/*
 * The run's final sources whose import was stored before the month ended (an export marked final while the month
 * ran: it holds none of the days after it was made), as "VENDOR FORMAT from SOURCE was stored on DAY" into early,
 * ", " between them. Returns their number, or PB_ERR_DEPENDENCY.
 */
static int stored_early(PGconn *conn, const struct issue *s, struct pb_buf *early, struct pb_buf *err)
{
	const char *p[2] = {s->run_id, s->month};
	PGresult *res;
	int i, n;

	res = pb_db_query(
		conn,
		"SELECT a.vendor, a.format, a.source, (i.started_at AT TIME ZONE 'UTC')::date::text "
		"FROM pb.aggregate_source a JOIN pb.import i ON i.id = a.import_id WHERE a.run_id = $1::bigint "
		"AND a.final AND i.started_at < ($2::date + interval '1 month') AT TIME ZONE 'UTC' "
		"ORDER BY a.import_id",
		2, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		pb_buf_addf(early, "%s%s %s from %s was stored on %s, before the month ended", i ? ", " : "",
			    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3));
	PQclear(res);
	return n;
}

/*
 * Refuses a month that has not ended or whose sources are not all final (a final one stored before the month
 * ended is not), naming them, unless forced.
 */
static int check_final(PGconn *conn, const struct issue *s, struct pb_buf *err)
{
	const char *p[1] = {s->run_id};
	struct pb_buf gaps = PB_BUF_INIT, early = PB_BUF_INIT;
	PGresult *res;
	char today[11];
	int i, missing, nearly = 0, ret = 0, unended = not_ended(conn, s, today, err);

	if (unended < 0)
		return unended;
	/* While the month runs, every import was stored before it ended: "the month has not ended" says it. */
	if (!unended)
		nearly = stored_early(conn, s, &early, err);
	if (nearly < 0) {
		pb_buf_release(&early);
		return nearly;
	}
	res = pb_db_query(
		conn,
		"SELECT vendor, format, source FROM pb.aggregate_source WHERE run_id = $1::bigint AND NOT final "
		"ORDER BY import_id",
		1, p, err);
	if (!res) {
		pb_buf_release(&early);
		return PB_ERR_DEPENDENCY;
	}
	/* A vendor that accounts are linked to but that has no import in the month is missing, so not final. */
	missing = pb_missing_vendors(conn, s->month, s->run_id, &gaps, err);
	if (missing < 0 || early.failed) {
		PQclear(res);
		pb_buf_release(&gaps);
		pb_buf_release(&early);
		return PB_ERR_DEPENDENCY;
	}
	if ((unended || PQntuples(res) || nearly || missing) && !s->o->reason) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%.7s is not final: ", s->month);
		if (unended)
			pb_buf_addf(err, "the month has not ended (today is %s UTC)%s", today,
				    PQntuples(res) || missing ? "; " : "");
		for (i = 0; i < PQntuples(res); i++)
			pb_buf_addf(err, "%s%s %s from %s", i ? ", " : "", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
				    PQgetvalue(res, i, 2));
		pb_buf_addf(err, "%s%s", PQntuples(res) && nearly ? "; " : "", pb_buf_str(&early));
		pb_buf_addf(err, "%s%s", (PQntuples(res) || nearly) && missing ? "; " : "", pb_buf_str(&gaps));
		pb_buf_addstr(err, " (--force --reason TEXT issues it all the same)");
		ret = PB_ERR_REFUSED;
	}
	PQclear(res);
	pb_buf_release(&gaps);
	pb_buf_release(&early);
	return ret;
}

/*
 * Refuses a run that reads one partner account's usage of the same days from two imports (two sources: a
 * report delivered under two prefixes, a CSP tenant in both a cost export and Partner Center's files), where
 * an account is linked to it on those days: each import is billed, so those days would be billed twice.
 * Days apart (a subscription moved from one export's scope to another's) are not refused. Unless forced.
 */
static int check_overlap(PGconn *conn, const struct issue *s, struct pb_buf *err)
{
	const char *p[1] = {s->run_id};
	PGresult *res;
	int i, ret = 0;

	res = pb_db_query(
		conn,
		"WITH held AS (SELECT s.vendor, s.format, s.source, a.import_id, a.partner_account_id, "
		"min(a.first_day) AS first_day, max(a.last_day) AS last_day FROM pb.aggregate_source s "
		"JOIN pb.import_account a ON a.import_id = s.import_id WHERE s.run_id = $1::bigint "
		"GROUP BY 1, 2, 3, 4, 5), "
		"pairs AS (SELECT x.vendor, x.partner_account_id, x.import_id AS a, x.format AS af, x.source AS asrc, "
		"y.import_id AS b, y.format AS bf, y.source AS bsrc, greatest(x.first_day, y.first_day) AS d0, "
		"least(x.last_day, y.last_day) AS d1 FROM held x JOIN held y ON y.vendor = x.vendor "
		"AND y.partner_account_id = x.partner_account_id AND y.import_id > x.import_id "
		"AND y.first_day <= x.last_day AND x.first_day <= y.last_day) "
		/* The accounts the run bills for it on those days (links changed since change runs to come). */
		"SELECT q.vendor, q.partner_account_id, string_agg(DISTINCT l.alias, ', ' ORDER BY l.alias), q.a, "
		"q.af, "
		"q.asrc, q.b, q.bf, q.bsrc, q.d0, q.d1 FROM pairs q JOIN pb.aggregate_detail l ON l.run_id = "
		"$1::bigint "
		"AND l.vendor = q.vendor AND l.partner_account_id = q.partner_account_id "
		"AND l.usage_date BETWEEN q.d0 AND q.d1 "
		"GROUP BY 1, 2, 4, 5, 6, 7, 8, 9, 10, 11 ORDER BY 1, 2, 4, 7",
		1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) && !s->o->reason) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%.7s would bill usage twice: ", s->month);
		for (i = 0; i < PQntuples(res); i++)
			pb_buf_addf(
				err,
				"%s%s partner account %s (%s) is in import %s (%s from %s) and import %s (%s from %s) "
				"from %s to %s",
				i ? "; " : "", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
				PQgetvalue(res, i, 3), PQgetvalue(res, i, 4), PQgetvalue(res, i, 5),
				PQgetvalue(res, i, 6), PQgetvalue(res, i, 7), PQgetvalue(res, i, 8),
				PQgetvalue(res, i, 9), PQgetvalue(res, i, 10));
		pb_buf_addstr(err, " (--force --reason TEXT issues it all the same)");
		ret = PB_ERR_REFUSED;
	}
	PQclear(res);
	return ret;
}

int pb_inv_check_rates(PGconn *conn, const char *run_id, const char *month, struct pb_buf *err)
{
	const char *p[2] = {run_id, month};
	PGresult *res;
	int ret = 0;

	/*
	 * A pair the run converts with (a total in one currency, its account invoiced in another) whose rate is not
	 * the one the run read: the invoice would convert the detail at another rate than the run's lines. A run that
	 * kept no rates (stored before runs did) is judged by when the rate was loaded.
	 */
	res = pb_db_query(conn,
			  "SELECT f.from_currency, f.to_currency, trim_scale(f.rate)::text, trim_scale(u.rate)::text "
			  "FROM pb.fx_rate f JOIN pb.aggregate_run r ON r.id = $1::bigint "
			  "LEFT JOIN pb.aggregate_rate u ON u.run_id = r.id AND u.from_currency = f.from_currency "
			  "AND u.to_currency = f.to_currency WHERE f.month = $2::date "
			  "AND CASE WHEN EXISTS (SELECT 1 FROM pb.aggregate_rate k WHERE k.run_id = r.id) "
			  "THEN u.rate IS DISTINCT FROM f.rate ELSE f.loaded_at >= r.started_at END "
			  "AND EXISTS (SELECT 1 FROM pb.aggregate_total t JOIN pb.aggregate_account a ON a.run_id = "
			  "t.run_id AND a.alias = t.alias AND a.vendor = t.vendor WHERE t.run_id = r.id AND "
			  "t.currency = f.from_currency AND a.currency = f.to_currency) ORDER BY 1, 2 LIMIT 1",
			  2, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res)) {
		pb_buf_reset(err);
		pb_buf_addf(err, "aggregate run %s of %.7s is out of date: the rate from %s to %s ", run_id, month,
			    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
		if (PQgetisnull(res, 0, 3))
			pb_buf_addstr(err, "was loaded after it");
		else
			pb_buf_addf(err, "is %s now, not the %s it converted with", PQgetvalue(res, 0, 2),
				    PQgetvalue(res, 0, 3));
		pb_buf_addf(err, ": run pb-aggregate --month %.7s --detail first", month);
		ret = PB_ERR_REFUSED;
	}
	PQclear(res);
	return ret;
}

/*
 * Refuses a run that is not the month's data now: an import of the month committed after it (or one it read,
 * superseded since). Forced or not: the invoice would bill data that is not the month's, and aggregating again
 * is all it takes.
 */
static int check_current(PGconn *conn, const struct issue *s, struct pb_buf *err)
{
	int ret = pb_inv_check_imports(conn, s->run_id, s->month, err);

	return ret == 0 ? pb_inv_check_rates(conn, s->run_id, s->month, err) : ret;
}

int pb_inv_check_imports(PGconn *conn, const char *run_id, const char *month, struct pb_buf *err)
{
	const char *p[2] = {run_id, month};
	PGresult *res;
	int ret = 0;

	res = pb_db_query(conn,
			  "SELECT i.id, i.vendor, i.source, 'is not in it' FROM pb.import i "
			  "WHERE i.billing_month = $2::date AND i.status = 'committed' AND NOT EXISTS (SELECT 1 FROM "
			  "pb.aggregate_source a WHERE a.run_id = $1::bigint AND a.import_id = i.id) "
			  "UNION ALL SELECT a.import_id, a.vendor, a.source, 'is no longer current' "
			  "FROM pb.aggregate_source a WHERE a.run_id = $1::bigint AND NOT EXISTS (SELECT 1 FROM "
			  "pb.import i WHERE i.id = a.import_id AND i.status = 'committed') ORDER BY 1 LIMIT 1",
			  2, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res)) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "aggregate run %s of %.7s is out of date: import %s (%s from %s) %s: run pb-aggregate "
			    "--month %.7s --detail first",
			    run_id, month, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
			    PQgetvalue(res, 0, 3), month);
		ret = PB_ERR_REFUSED;
	}
	PQclear(res);
	return ret;
}

int pb_inv_warn_out_of_date(PGconn *conn, const char *run_id, const char *month, struct pb_buf *err)
{
	int rc = pb_inv_check_imports(conn, run_id, month, err);

	if (rc != PB_ERR_REFUSED)
		return rc;
	pb_log(PB_LOG_WARNING, NULL, "%s (--issue refuses the run; these figures are not the month's now)",
	       pb_buf_str(err));
	pb_buf_reset(err);
	return 0;
}

/*
 * The earlier months this month's invoice may adjust: every issued one, oldest first, per row the month (YYYY-MM-DD)
 * and its current run. pb_inv_build adjusts those whose current run is not the one their invoice billed; one still
 * at that run is checked all the same, so that an import of it committed after its invoice is not left out of
 * every invoice until someone aggregates the month again. NULL on failure.
 */
static PGresult *adjusted_runs(PGconn *conn, const char *month, struct pb_buf *err)
{
	const char *p[1] = {month};

	return pb_db_query(conn,
			   "SELECT i.billing_month::text, r.id FROM pb.invoice i JOIN pb.aggregate_run r "
			   "ON r.billing_month = i.billing_month AND r.status = 'current' "
			   "WHERE i.billing_month < $1::date ORDER BY 1",
			   1, p, err);
}

/*
 * Takes the lock pb-ingest holds while it stores and commits an import of month (YYYY-MM-DD), until the transaction
 * ends, when it is free: *held 1, or 0 when an import of the month is being stored. 0, or -1 with err set.
 */
static int try_import_lock(PGconn *conn, const char *month, int *held, struct pb_buf *err)
{
	const char *p[1] = {month};
	PGresult *res;

	res = pb_db_query(conn, "SELECT pg_try_advisory_xact_lock(hashtextextended('pb-import-month|' || $1, 0))", 1, p,
			  err);
	if (!res)
		return -1;
	*held = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

/* check_adjusted of one month (YYYY-MM-DD) and its current run. */
static int check_adjusted_run(PGconn *conn, const struct issue *s, const char *month, const char *run_id,
			      struct pb_buf *err)
{
	struct pb_buf msg = PB_BUF_INIT;
	int rc, held;

	if (try_import_lock(conn, month, &held, err) < 0)
		return PB_ERR_DEPENDENCY;
	if (!held) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "an import of %.7s is being stored: aggregate %.7s again when it is done, then issue the "
			    "invoice of %.7s (it adjusts %.7s)",
			    month, month, s->month, month);
		return PB_ERR_REFUSED;
	}
	rc = pb_inv_check_imports(conn, run_id, month, err);
	if (rc == 0)
		rc = pb_inv_check_rates(conn, run_id, month, err);
	if (rc == PB_ERR_REFUSED) {
		pb_buf_addf(&msg, "the invoice of %.7s adjusts %.7s: %s", s->month, month, pb_buf_str(err));
		pb_buf_reset(err);
		pb_buf_addstr(err, msg.failed ? "out of memory" : pb_buf_str(&msg));
	}
	pb_buf_release(&msg);
	return rc;
}

/*
 * Refuses an adjustment of an earlier month made from a run of it that is not the month's data now (an import of it
 * committed after the run, one the run read superseded since, a rate it uses loaded after it), as its own run is
 * refused: the adjustment would bill what the month came to before, and the difference wait one more invoice.
 * Forced or not: aggregating that month again is all it takes. An import of that month being stored is refused;
 * one that begins waits until this invoice is issued (its lock, as for the month's own imports).
 */
static int check_adjusted(PGconn *conn, const struct issue *s, struct pb_buf *err)
{
	PGresult *res = adjusted_runs(conn, s->month, err);
	int i, rc = res ? 0 : PB_ERR_DEPENDENCY;

	for (i = 0; res && i < PQntuples(res) && rc == 0; i++)
		rc = check_adjusted_run(conn, s, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), err);
	PQclear(res);
	return rc;
}

/* What check_adjusted refuses for an import, as a warning of the draft (one per month), which is still wanted. */
static int warn_adjusted(PGconn *conn, const char *m, struct pb_buf *err)
{
	PGresult *res = adjusted_runs(conn, m, err);
	int i, rc = res ? 0 : PB_ERR_DEPENDENCY;

	for (i = 0; res && i < PQntuples(res) && rc == 0; i++) {
		rc = pb_inv_check_imports(conn, PQgetvalue(res, i, 1), PQgetvalue(res, i, 0), err);
		if (rc != PB_ERR_REFUSED)
			continue;
		pb_log(PB_LOG_WARNING, NULL,
		       "%s (--issue of %.7s refuses the run; this draft's adjustments of %.7s are not the month's now)",
		       pb_buf_str(err), m, PQgetvalue(res, i, 0));
		pb_buf_reset(err);
		rc = 0;
	}
	PQclear(res);
	return rc;
}

/* The path of the month's export (detail 0) or detail file (detail 1) in the folder, into path. */
static void file_path(const struct issue *s, int detail, struct pb_buf *path)
{
	pb_buf_reset(path);
	pb_buf_addf(path, "%s/invoice-%.7s%s.csv", s->o->dir, s->month, detail ? "-detail" : "");
}

/* Gives both files up (the detail first), as pb_atomic_abort does: each may be unopened or released. */
static void abort_files(struct pb_atomic out[2])
{
	pb_atomic_abort(&out[0]);
	pb_atomic_abort(&out[1]);
}

/*
 * Opens the temporary files of the detail (out[0]) and the export (out[1]) in the folder, in that order. 0, or
 * PB_ERR_DEPENDENCY with "cannot write 'PATH': why" in err and no file left (PB_ERR_USAGE when what is at PATH
 * is not a regular file: a link or a FIFO there stays until someone removes it, retrying does not help).
 */
static int open_files(const struct issue *s, struct pb_atomic out[2], struct pb_buf *err)
{
	struct pb_buf path = PB_BUF_INIT;
	int i, rc = 0;

	memset(out, 0, 2 * sizeof(*out));
	for (i = 0; i < 2 && rc == 0; i++) {
		file_path(s, i == 0, &path);
		rc = path.failed ? PB_ERR_DEPENDENCY : pb_inv_open_output(&out[i], pb_buf_str(&path), err);
	}
	if (rc < 0)
		abort_files(out);
	pb_buf_release(&path);
	return rc;
}

/* The two files flushed, fsynced and closed (the detail first): all that can fail for lack of room or rights. */
static int stage_files(struct pb_atomic out[2], struct pb_buf *err)
{
	int rc = 0, i;

	for (i = 0; i < 2 && rc == 0; i++)
		if (pb_atomic_stage(&out[i], err) < 0)
			rc = PB_ERR_DEPENDENCY;
	if (rc < 0)
		abort_files(out);
	return rc;
}

/* The staged files in place: the detail first, so that the export is never there without it. */
static int publish_files(struct pb_atomic out[2], struct pb_buf *err)
{
	if (pb_atomic_publish(&out[0], err) < 0) {
		pb_atomic_abort(&out[1]);
		return PB_ERR_DEPENDENCY;
	}
	return pb_atomic_publish(&out[1], err) < 0 ? PB_ERR_DEPENDENCY : 0;
}

/* A sink of file i of out (0 the detail, 1 the export; out NULL: the hash alone). */
static void file_sink(struct pb_atomic *out, int i, struct pb_inv_sink *sink)
{
	memset(sink, 0, sizeof(*sink));
	sink->f = out ? out[i].f : NULL;
	sink->name = out ? pb_buf_str(&out[i].path) : (i ? "the export" : "the detail");
}

/* The SHA-256 of a sink into hex, and the sink released. Returns 0, or PB_ERR_DEPENDENCY with err set. */
static int sink_end(struct pb_inv_sink *sink, char hex[65], struct pb_buf *err)
{
	if (pb_sha256_final(&sink->sha, hex) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot write '%s': out of memory", sink->name);
		return PB_ERR_DEPENDENCY;
	}
	return 0;
}

/*
 * The export and detail files, written into out as they are made (out NULL: their hashes alone), and their
 * hashes into s. Of the invoice issued (s->invoice_id set): made again from what was stored. Else the new
 * invoice's: the export from the lines of the run (each line also kept in NEW_LINES, for the detail's line
 * numbers and to be stored), then the detail, refused when the month's rates give it other figures than the
 * run's (see pb_inv_detail_csv).
 */
static int make_files(PGconn *conn, struct issue *s, struct pb_atomic *out, struct pb_buf *err)
{
	int fresh = !s->invoice_id[0];
	struct pb_inv_sink sink[2];
	int rc = 0;

	file_sink(out, 1, &sink[1]);
	file_sink(out, 0, &sink[0]);
	if (fresh && (pb_db_exec(conn, "CREATE TEMP TABLE invoice_new_line (LIKE pb.invoice_line) ON COMMIT DROP", 0,
				 NULL, err) < 0 ||
		      pb_db_exec(conn, "CREATE TEMP TABLE invoice_new_part (LIKE pb.invoice_part) ON COMMIT DROP", 0,
				 NULL, err) < 0))
		rc = PB_ERR_DEPENDENCY;
	if (rc == 0)
		rc = write_export(conn, s, &sink[1], fresh, err);
	if (rc == 0)
		rc = pb_inv_detail_csv(conn, s->number, s->o->month, s->run_id, fresh ? NEW_LINES : "pb.invoice",
				       fresh ? "0" : s->invoice_id, fresh, &sink[0], err);
	if (rc == 0)
		rc = sink_end(&sink[1], s->export_sha, err);
	if (rc == 0)
		rc = sink_end(&sink[0], s->detail_sha, err);
	pb_sha256_release(&sink[0].sha);
	pb_sha256_release(&sink[1].sha);
	return rc;
}

/* INSERTs the invoice, then its lines and parts from NEW_LINES. */
static int store_lines(PGconn *conn, struct issue *s, struct pb_buf *err)
{
	char count[24];
	const char *p[9] = {s->month,	  s->number,	 s->run_id,	s->o->by, s->o->reason ? "t" : "f",
			    s->o->reason, s->export_sha, s->detail_sha, count};

	snprintf(count, sizeof(count), "%zu", s->nlines);
	if (pb_db_exec(conn,
		       "INSERT INTO pb.invoice (billing_month, number, run_id, issued_by, forced, force_reason, "
		       "export_sha256, detail_sha256, line_count) VALUES ($1::date, $2, $3::bigint, $4, $5::boolean, "
		       "$6, $7, $8, $9::integer)",
		       9, p, err) < 0 ||
	    pb_db_exec(conn,
		       "INSERT INTO pb.invoice_line (invoice_id, line, alias, account_name, line_item, kind, "
		       "corrects_month, currency, amount, exact) SELECT currval('pb.invoice_id_seq'), line, alias, "
		       "account_name, line_item, kind, corrects_month, currency, amount, exact FROM " NEW_LINES
		       "_line ORDER BY line",
		       0, NULL, err) < 0 ||
	    pb_db_exec(conn,
		       "INSERT INTO pb.invoice_part (invoice_id, line, vendor, amount, exact) SELECT "
		       "currval('pb.invoice_id_seq'), line, vendor, amount, exact FROM " NEW_LINES
		       "_part ORDER BY line, vendor",
		       0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	return 0;
}

/*
 * Removes the temporary files of the month's invoice a killed run left in the folder (PATH.tmp.XXXXXX of
 * the export and the detail): they may hold an invoice that was never issued. Called under the month's
 * lock, so no other run of the month is writing them.
 */
static void remove_leftovers(const struct issue *s)
{
	struct pb_buf path = PB_BUF_INIT;
	int i;

	for (i = 0; i < 2; i++) {
		file_path(s, i, &path);
		if (!path.failed)
			pb_atomic_remove_leftovers(pb_buf_str(&path));
	}
	pb_buf_release(&path);
}

enum file_state { FILE_AS_ISSUED, FILE_MISSING, FILE_CHANGED };

/* Whether the export (export 1) or the detail file in the folder holds the bytes whose SHA-256 is sha. */
static enum file_state file_state(const struct issue *s, int export, const char *sha)
{
	struct pb_sha256 h = PB_SHA256_INIT;
	struct pb_buf path = PB_BUF_INIT;
	char chunk[65536], hex[65];
	size_t n;
	enum file_state st = FILE_CHANGED;
	struct stat sb;
	FILE *f;
	int fd;

	file_path(s, !export, &path);
	/* Not followed if a link, not waited on if a FIFO: only a regular file can be the one issued. */
	fd = path.failed ? -1 : open(pb_buf_str(&path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	f = fd < 0 ? NULL : fdopen(fd, "rb");
	if (!f) {
		if (!path.failed && fd < 0 && errno == ENOENT)
			st = FILE_MISSING;
		if (fd >= 0)
			close(fd);
		pb_buf_release(&path);
		return st;
	}
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			pb_sha256_update(&h, chunk, n);
		if (!ferror(f) && pb_sha256_final(&h, hex) == 0 && strcmp(hex, sha) == 0)
			st = FILE_AS_ISSUED;
	}
	pb_sha256_release(&h);
	fclose(f);
	pb_buf_release(&path);
	return st;
}

/* Refuses files made again that are not the ones whose hashes were stored with the invoice. */
static int check_again(const struct issue *s, const struct issued *is, struct pb_buf *err)
{
	if (strcmp(is->export_sha, s->export_sha) == 0 && strcmp(is->detail_sha, s->detail_sha) == 0)
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "invoice %s: the files made again from what was stored differ from the ones issued",
		    s->number);
	return PB_ERR_DATA;
}

/*
 * The invoice issued already: its files written again from what was stored, and checked to be the bytes
 * whose hashes were stored. Returns 1 when there is one (done), 0 when not, or an error.
 */
static int issued_already(PGconn *conn, struct issue *s, FILE *out, struct pb_buf *err)
{
	struct issued is;
	struct pb_atomic files[2];
	enum file_state state[2];
	int rc = read_issued(conn, s, &is, err), i;

	if (rc <= 0)
		return rc;
	state[0] = file_state(s, 1, is.export_sha);
	state[1] = file_state(s, 0, is.detail_sha);
	if (state[0] == FILE_AS_ISSUED && state[1] == FILE_AS_ISSUED) {
		/* Made again all the same (their hashes alone): what was stored must still give them. */
		rc = make_files(conn, s, NULL, err);
		if (rc == 0)
			rc = check_again(s, &is, err);
		if (rc < 0)
			return rc;
		fprintf(out, "invoice %s of %.7s was issued already, %s: nothing to do\n", s->number, s->month, is.by);
		return 1;
	}
	rc = open_files(s, files, err);
	if (rc == 0)
		rc = make_files(conn, s, files, err);
	if (rc == 0)
		rc = check_again(s, &is, err);
	if (rc < 0) {
		abort_files(files);
		return rc;
	}
	rc = stage_files(files, err);
	if (rc == 0)
		rc = publish_files(files, err);
	if (rc < 0)
		return rc;
	fprintf(out, "invoice %s of %.7s was issued already, %s: its files written again (", s->number, s->month,
		is.by);
	for (i = 0; i < 2; i++)
		if (state[i] != FILE_AS_ISSUED)
			fprintf(out, "%sthe %s %s", i && state[0] != FILE_AS_ISSUED ? "; " : "",
				i ? "detail" : "export",
				state[i] == FILE_MISSING ? "was not there" : "was not the one issued");
	fprintf(out, ")\n");
	return 1;
}

/*
 * One issue of the month at a time, until its files are in place (a lock of the session: the files are put in
 * place after the commit, and another issue would take them for a killed run's and remove them). Waited for before
 * the transaction begins: its time (now(), the day the month is found ended by, the invoice's issued_at and the
 * run's frozen_at) is then that of the issue, not that of a wait for another.
 */
static int wait_month(PGconn *conn, const struct issue *s, struct pb_buf *err)
{
	const char *p[1] = {s->month};

	return pb_db_exec(conn, "SELECT pg_advisory_lock(hashtextextended('pb-invoice|' || $1, 0))", 1, p, err) < 0
		       ? PB_ERR_DEPENDENCY
		       : 0;
}

/* No aggregation of the month may commit while its run is frozen. */
static int lock_month(PGconn *conn, const struct issue *s, struct pb_buf *err)
{
	const char *p[1] = {s->month};
	PGresult *res;
	int ret = 0;

	res = pb_db_query(conn, "SELECT pg_try_advisory_xact_lock(hashtextextended('pb-aggregate|' || $1, 0))", 1, p,
			  err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "an aggregation of %.7s is running: issue its invoice when it is done", s->month);
		ret = PB_ERR_REFUSED;
	}
	PQclear(res);
	return ret;
}

/*
 * No import of the month may commit while its invoice is issued: the run would be out of date the moment it did,
 * and the invoice would bill the month without it. One being stored (pb-ingest holds the lock while it stores
 * and commits) is refused; one that begins waits until the invoice is issued.
 */
static int lock_imports(PGconn *conn, const struct issue *s, struct pb_buf *err)
{
	int held;

	if (try_import_lock(conn, s->month, &held, err) < 0)
		return PB_ERR_DEPENDENCY;
	if (held)
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(
		err,
		"an import of %.7s is being stored: aggregate the month again when it is done, then issue its invoice",
		s->month);
	return PB_ERR_REFUSED;
}

/*
 * Begins the transaction, the month's rates shared in it: no rate of the month may change from the moment the
 * invoice reads them until it freezes them (a load waits, then finds them frozen). A load that holds them is waited
 * for before the transaction begins, as the month is: the transaction's time (now(), as for wait_month) is then
 * after the load's commit. They are taken as its first statement without waiting: 0, 1 when a load took them again
 * since the wait (the transaction is rolled back, to wait again), or PB_ERR_DEPENDENCY.
 */
static int begin_with_rates(PGconn *conn, const struct issue *s, struct pb_buf *err)
{
	const char *p[1] = {s->month};
	PGresult *res;
	const char *state;
	int busy;

	if (pb_db_exec(conn, "SELECT 1 FROM pb.fx_rate WHERE month = $1::date FOR SHARE", 1, p, err) < 0 ||
	    pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	res = PQexecParams(conn, "SELECT 1 FROM pb.fx_rate WHERE month = $1::date FOR SHARE NOWAIT", 1, NULL, p, NULL,
			   NULL, 0);
	state = PQresultStatus(res) == PGRES_FATAL_ERROR ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	busy = state && strcmp(state, "55P03") == 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK && !busy) {
		pb_db_result_message(err, "cannot lock the month's rates", conn, res);
		PQclear(res);
		return PB_ERR_DEPENDENCY;
	}
	PQclear(res);
	if (busy && pb_db_exec(conn, "ROLLBACK", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	return busy;
}

/*
 * No aggregation of an earlier issued month may commit while this invoice adjusts it: the run an adjustment is
 * made from is the one frozen with it (see freeze_adjusted).
 */
static int lock_adjusted(PGconn *conn, const struct issue *s, struct pb_buf *err)
{
	const char *p[1] = {s->month};
	PGresult *res;
	int i, ret = 0;

	res = pb_db_query(conn,
			  "SELECT billing_month::text, pg_try_advisory_xact_lock(hashtextextended('pb-aggregate|' || "
			  "billing_month::text, 0)) FROM pb.invoice WHERE billing_month < $1::date ORDER BY 1",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < PQntuples(res) && ret == 0; i++) {
		if (strcmp(PQgetvalue(res, i, 1), "t") != 0) {
			pb_buf_reset(err);
			pb_buf_addf(err, "an aggregation of %.7s is running: issue the invoice of %.7s when it is done",
				    PQgetvalue(res, i, 0), s->month);
			ret = PB_ERR_REFUSED;
		}
	}
	PQclear(res);
	return ret;
}

/*
 * The runs this invoice's adjustments bill are frozen with it: an account first billed for a month by an
 * adjustment keeps the terms and eligibility it was billed under (pb-aggregate reads them from the month's
 * frozen runs), and the figures an adjustment was made from stay as they were.
 */
static int freeze_adjusted(PGconn *conn, const struct issue *s, struct pb_buf *err)
{
	const char *p[1] = {s->o->by};

	return pb_db_exec(conn,
			  "UPDATE pb.aggregate_run SET frozen = true, frozen_at = now(), frozen_by = $1 "
			  "WHERE status = 'current' AND NOT frozen AND billing_month IN (SELECT corrects_month "
			  "FROM " NEW_LINES "_line WHERE corrects_month IS NOT NULL)",
			  1, p, err) < 0
		       ? PB_ERR_DEPENDENCY
		       : 0;
}

/* The transaction: the lines stored and the run frozen, or nothing. */
static int issue_new(PGconn *conn, struct issue *s, FILE *out, struct pb_buf *err)
{
	const char *p[2] = {s->run_id, s->o->by};
	struct pb_atomic files[2];
	sigset_t before;
	int rc = lock_imports(conn, s, err);

	if (rc == 0)
		rc = current_run(conn, s, 1, err);
	if (rc == 0)
		rc = check_current(conn, s, err);
	if (rc == 0)
		rc = check_overlap(conn, s, err);
	if (rc == 0)
		rc = check_final(conn, s, err);
	if (rc == 0)
		rc = lock_adjusted(conn, s, err);
	if (rc == 0)
		rc = check_adjusted(conn, s, err);
	/* The files are written as they are made, into temporary files: nothing is in place before the commit. */
	if (rc == 0)
		rc = open_files(s, files, err);
	if (rc < 0)
		return rc;
	rc = make_files(conn, s, files, err);
	if (rc == 0)
		rc = store_lines(conn, s, err);
	if (rc == 0)
		rc = freeze_adjusted(conn, s, err);
	if (rc == 0 && pb_db_exec(conn,
				  "UPDATE pb.aggregate_run SET frozen = true, frozen_at = now(), frozen_by = $2 "
				  "WHERE id = $1::bigint",
				  2, p, err) < 0)
		rc = PB_ERR_DEPENDENCY;
	/* The files on disk before the commit: a full disk or a folder it may not write issues nothing. */
	if (rc < 0) {
		abort_files(files);
		return rc;
	}
	rc = stage_files(files, err);
	if (rc < 0)
		return rc;
	pb_test_pause("invoice-staged");
	/*
	 * A stop once COMMIT is sent may come after the month is issued: it would remove the files of an issued
	 * invoice. It waits until the commit's outcome is known and the files are in place, or given up.
	 */
	pb_atomic_stop_hold(&before);
	if (pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0) {
		abort_files(files);
		pb_atomic_stop_release(&before);
		return PB_ERR_DEPENDENCY;
	}
	fprintf(out, "invoice %s of %.7s issued: %zu line%s, aggregate run %s frozen%s\n", s->number, s->month,
		s->nlines, s->nlines == 1 ? "" : "s", s->run_id, s->o->reason ? " (forced)" : "");
	fflush(out);
	pb_test_pause("invoice-committed");
	rc = publish_files(files, err);
	pb_atomic_stop_release(&before);
	if (rc < 0)
		pb_buf_addstr(err, " (the invoice is issued: run --issue again to write its files)");
	return rc;
}

/*
 * The folder the files go to, made when missing (*made set then), once the month is this run's: a folder another
 * issue made and removed again (it wrote nothing there) while this one waited for the month is made again. Noted
 * (pb_atomic_mkdir), so that a stop signal removes it too while it is empty. 0, or PB_ERR_DEPENDENCY with err set.
 */
static int make_dir(const struct issue *s, int *made, struct pb_buf *err)
{
	*made = pb_atomic_mkdir(s->o->dir, 0755) == 0;
	if (*made || errno == EEXIST)
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "cannot make '%s': %s", s->o->dir, strerror(errno));
	return PB_ERR_DEPENDENCY;
}

int pb_inv_issue(PGconn *conn, const struct pb_inv_options *o, FILE *out, struct pb_buf *err)
{
	struct issue s;
	int rc, made = 0;

	memset(&s, 0, sizeof(s));
	s.o = o;
	pb_date_format(o->month, s.month);
	snprintf(s.number, sizeof(s.number), "PB-%.7s", s.month);
	rc = wait_month(conn, &s, err);
	if (rc == 0)
		rc = begin_with_rates(conn, &s, err);
	while (rc == 1)
		rc = begin_with_rates(conn, &s, err);
	if (rc == 0)
		rc = lock_month(conn, &s, err);
	if (rc == 0)
		rc = make_dir(&s, &made, err);
	if (rc == 0)
		remove_leftovers(&s);
	if (rc == 0)
		rc = issued_already(conn, &s, out, err);
	if (rc == 0)
		rc = issue_new(conn, &s, out, err);
	/* Nothing written (refused, failed): the folder made is not left behind, empty; removed while the month is
	 * ours. */
	if (made)
		pb_atomic_mkdir_end(rc < 0);
	PQclear(PQexec(conn, "ROLLBACK")); /* after COMMIT a warning only; it ends the transaction otherwise */
	PQclear(PQexecParams(conn, "SELECT pg_advisory_unlock(hashtextextended('pb-invoice|' || $1, 0))", 1, NULL,
			     (const char *const[]){s.month}, NULL, NULL, 0));
	return rc < 0 ? rc : 0;
}

#define DIFF_FETCH_ROWS "10000" /* accounts of --diff read at a time */

/*
 * The rows of the diff cursor in res as CSV on out. Returns 0, or PB_ERR_DATA with err set when an amount is
 * out of the range of amounts, or the invoiced one has more decimals than its currency (not a figure to print).
 */
static int diff_rows(PGresult *res, FILE *out, struct pb_buf *err)
{
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		pb_money b, n, rn, d;
		char bs[PB_MONEY_STRMAX], ns[PB_MONEY_STRMAX], ds[PB_MONEY_STRMAX];
		const char *alias = PQgetvalue(res, i, 0), *cur = PQgetvalue(res, i, 1);
		const char *bt = PQgetvalue(res, i, 2), *nt = PQgetvalue(res, i, 3);
		int minor = pb_currency_minor_unit(cur, strlen(cur));
		int scale = minor < 0 ? 2 : minor;

		if (pb_money_parse(bt, strlen(bt), &b, NULL) < 0 || pb_money_parse(nt, strlen(nt), &n, NULL) < 0 ||
		    pb_money_round(n, scale, &rn) < 0 || pb_money_sub(rn, b, &d) < 0 ||
		    pb_money_format(b, scale, bs) < 0 || pb_money_format(rn, scale, ns) < 0 ||
		    pb_money_format(d, scale, ds) < 0) {
			pb_buf_reset(err);
			pb_buf_addf(
				err,
				"account '%s': invoiced %s %s, now %s: out of the range of amounts, or more decimals "
				"than %s has",
				alias, bt, cur, nt, cur);
			return PB_ERR_DATA;
		}
		fprintf(out, "%s,%s,%s,%s,%s\n", alias, cur, bs, ns, ds);
	}
	return 0;
}

/*
 * Refuses a diff against a current run that is not the month's data now (an import committed after it, or one it
 * read superseded since): its "now" would be what the month came to before, and the difference 0 where the next
 * invoice is to adjust. A month without a current run has nothing to be out of date.
 */
static int diff_current(PGconn *conn, const struct pb_inv_options *o, const char *m, struct pb_buf *err)
{
	const char *p[1] = {m};
	struct issue s;
	PGresult *res;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	s.o = o;
	snprintf(s.month, sizeof(s.month), "%s", m);
	res = pb_db_query(conn, "SELECT id FROM pb.aggregate_run WHERE billing_month = $1::date AND status = 'current'",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) == 1) {
		snprintf(s.run_id, sizeof(s.run_id), "%s", PQgetvalue(res, 0, 0));
		rc = check_current(conn, &s, err);
	}
	PQclear(res);
	return rc;
}

/* The diff's rows, read with a cursor, into f. */
static int diff_into(PGconn *conn, const struct pb_inv_options *o, const char *m, FILE *f, struct pb_buf *err)
{
	const char *p[1] = {m};
	PGresult *res;
	int n, rc = 0;

	res = pb_db_query(conn, "SELECT EXISTS (SELECT 1 FROM pb.invoice WHERE billing_month = $1::date)", 1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	n = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!n) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%.7s has no issued invoice", m);
		return PB_ERR_DATA;
	}
	n = diff_current(conn, o, m, err);
	if (n < 0)
		return n;
	if (pb_db_exec(
		    conn,
		    "DECLARE diff_rows NO SCROLL CURSOR FOR "
		    "WITH billed AS (SELECT l.alias, l.currency, sum(l.amount) AS amount FROM pb.invoice_line l "
		    "JOIN pb.invoice i ON i.id = l.invoice_id WHERE (i.billing_month = $1::date AND l.kind <> "
		    "'adjustment') "
		    "OR l.corrects_month = $1::date GROUP BY 1, 2), "
		    "now AS (SELECT a.alias, a.currency, a.month_to_date + a.markup AS amount FROM "
		    "pb.aggregate_account "
		    "a JOIN pb.aggregate_run r ON r.id = a.run_id AND r.status = 'current' AND r.billing_month = "
		    "$1::date WHERE a.vendor = 'all') "
		    "SELECT coalesce(b.alias, n.alias), coalesce(b.currency, n.currency), coalesce(b.amount, 0)::text, "
		    "coalesce(n.amount, 0)::text "
		    "FROM billed b FULL JOIN now n ON n.alias = b.alias ORDER BY coalesce(b.alias, n.alias) COLLATE "
		    "\"C\"",
		    1, p, err) < 0)
		return PB_ERR_DEPENDENCY;
	/* An issued month without a line that bills no account now has no row: the header alone. */
	fprintf(f, "account_alias,currency,invoiced,now,difference\n");
	do {
		res = pb_db_query(conn, "FETCH " DIFF_FETCH_ROWS " FROM diff_rows", 0, NULL, err);
		if (!res)
			return PB_ERR_DEPENDENCY;
		n = PQntuples(res);
		rc = diff_rows(res, f, err);
		PQclear(res);
	} while (n > 0 && rc == 0);
	return rc;
}

int pb_inv_diff(PGconn *conn, const struct pb_inv_options *o, FILE *out, struct pb_buf *err)
{
	char m[11];
	FILE *f;
	int rc;

	pb_date_format(o->month, m);
	/* Made into a temporary file first: standard output gets the whole diff or nothing. */
	f = pb_tmpfile();
	if (!f) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot make a temporary file in '%s': %s", pb_tmpdir(), strerror(errno));
		return PB_ERR_DEPENDENCY;
	}
	/* One snapshot, as the one query it was. */
	rc = pb_db_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, err) < 0 ? PB_ERR_DEPENDENCY
												   : 0;
	if (rc == 0)
		rc = diff_into(conn, o, m, f, err);
	PQclear(PQexec(conn, "ROLLBACK"));
	if (rc == 0 && (fflush(f) != 0 || ferror(f) || copy_out(f, out) < 0)) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot write a temporary file in '%s': %s", pb_tmpdir(), strerror(errno));
		rc = PB_ERR_DEPENDENCY;
	}
	fclose(f);
	return rc;
}
