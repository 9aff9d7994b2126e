/*
 * The monthly report in HTML. Charts are SVG drawn in integer arithmetic (amounts in minor units scaled to
 * pixels): money never passes through floating point, not even to be drawn.
 */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "currency.h"
#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "issue.h"
#include "lines.h"
#include "output.h"
#include "testhook.h"
#include "text.h"

#include "banned.h"

#define CHARTS 12
#define W 640
#define H 220
#define PAD 40

static const char style[] = "<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}h1{font-size:1.5em}"
			    "h2{font-size:1.15em;margin-top:2em}table{border-collapse:collapse;margin:.5em 0}"
			    "th,td{border-bottom:1px solid #ccc;padding:.25em "
			    ".6em;text-align:left;white-space:nowrap}td{white-space:pre}td.n,th.n{text-align:right;"
			    "font-variant-numeric:tabular-nums}.chart{margin:1em 0;page-break-inside:avoid}"
			    ".band{fill:#cfe0f7}.est{fill:none;stroke:#2b6cb0;stroke-width:1.5}.day-mark{fill:#c05621}"
			    ".axis{stroke:#555}.lbl{font-size:11px;fill:#333}.legend{color:#444;max-width:60em}"
			    "@media print{body{margin:0;font-size:11px}h2{page-break-after:avoid}}</style>";

/*
 * Appends s with the characters HTML gives a meaning escaped (its blanks and line breaks are kept: the cells are
 * white-space: pre, so that two names that differ in them do not show alike), and each character a browser shows
 * as nothing or as a space (pb_text_invisible_char: an override that would show the rest of a name reversed, a
 * line separator, a zero width space, a soft hyphen, a control character, a no-break space) as the text \uHHHH
 * (\UHHHHHHHH above U+FFFF): a name from the data cannot disguise itself, nor look like another. A tab and a line
 * feed are kept (blanks and a line break); a carriage return is not (HTML reads it as a line feed).
 */
static void html(struct pb_buf *b, const char *s)
{
	size_t len;
	unsigned c;

	for (; *s; s++) {
		c = pb_text_invisible_char(s, strnlen(s, 4), &len);
		if (c && c != '\t' && c != '\n') {
			pb_buf_addf(b, c > 0xffff ? "\\U%08x" : "\\u%04x", c);
			s += len - 1;
			continue;
		}
		switch (*s) {
		case '<':
			pb_buf_addstr(b, "&lt;");
			break;
		case '>':
			pb_buf_addstr(b, "&gt;");
			break;
		case '&':
			pb_buf_addstr(b, "&amp;");
			break;
		case '"':
			pb_buf_addstr(b, "&quot;");
			break;
		default:
			pb_buf_addch(b, *s);
		}
	}
}

static void amount_cell(struct pb_buf *b, pb_money m, int minor)
{
	char s[PB_MONEY_STRMAX];

	if (pb_money_format(m, minor, s) < 0)
		pb_money_format_canonical(m, s);
	pb_buf_addf(b, "<td class=\"n\">%s</td>", s);
}

/* The header: the invoice, or that this is a draft, and the run. */
static int header(PGconn *conn, const char *month, const char *run_id, struct pb_buf *b, struct pb_buf *err)
{
	const char *p[2] = {month, run_id};
	PGresult *res =
		pb_db_query(conn,
			    "SELECT coalesce((SELECT number || ', issued ' || to_char(issued_at AT TIME ZONE 'UTC', "
			    "'YYYY-MM-DD HH24:MI') || ' UTC by ' || issued_by || CASE WHEN forced THEN "
			    "' (forced: ' || force_reason || ')' ELSE '' END FROM pb.invoice WHERE billing_month = "
			    "$1::date), 'draft: not issued'), as_of::text, frozen FROM pb.aggregate_run "
			    "WHERE id = $2::bigint",
			    2, p, err);

	if (!res)
		return PB_ERR_DEPENDENCY;
	pb_buf_addf(b, "<h1>Partner cloud billing, %.7s</h1><p>Invoice: ", month);
	html(b, PQgetvalue(res, 0, 0));
	pb_buf_addf(b, ". Aggregate run %s, as of %s%s.</p>", run_id, PQgetvalue(res, 0, 1),
		    PQgetvalue(res, 0, 2)[0] == 't' ? ", frozen by the invoice" : "");
	PQclear(res);
	return 0;
}

/* The report as it is written: b, spilled to f (the temporary file of path) as it grows. */
struct report {
	FILE *f;
	const char *path;
	struct pb_buf b;
};

#define SPILL_BYTES 65536

/* Writes what r->b holds to the file when it holds SPILL_BYTES or more (all, when all). 0, or PB_ERR_DEPENDENCY. */
static int spill(struct report *r, int all, struct pb_buf *err)
{
	if (r->b.failed) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot write '%s': out of memory", r->path);
		return PB_ERR_DEPENDENCY;
	}
	if ((all || r->b.len >= SPILL_BYTES) && r->b.len) {
		if (fwrite(r->b.ptr, 1, r->b.len, r->f) != r->b.len) {
			pb_buf_reset(err);
			pb_buf_addf(err, "cannot write '%s': %s", r->path, strerror(errno));
			return PB_ERR_DEPENDENCY;
		}
		pb_buf_reset(&r->b);
	}
	return 0;
}

static int line_row(const struct pb_inv_line *l, size_t n, void *arg, struct pb_buf *err)
{
	struct report *r = arg;
	struct pb_buf *b = &r->b;
	char c[11] = "";
	int v;

	if (l->corrects)
		pb_date_format(l->corrects, c);
	pb_buf_addf(b, "<tr><td>%zu</td><td>", n);
	html(b, l->alias);
	pb_buf_addstr(b, "</td><td>");
	html(b, l->name ? l->name : "");
	pb_buf_addf(b, "</td><td>%s</td><td>%s</td><td>%.7s</td><td>%s</td>", PB_INV_LINE_ITEM, l->kind, c,
		    l->currency);
	amount_cell(b, l->amount, l->minor);
	for (v = 0; v < 2; v++)
		amount_cell(b, l->has_part[v] ? l->part[v] : PB_MONEY_ZERO, l->minor);
	pb_buf_addstr(b, "</tr>");
	return spill(r, 0, err);
}

/*
 * An amount in hundredths of its unit, as a whole number: what a chart needs, exactly. 128 bits: any amount's
 * hundredths, and sums and products of them with a month's days and a chart's pixels, fit.
 */
static __int128 hundredths(const char *text)
{
	pb_money m;

	if (pb_money_parse(text, strlen(text), &m, NULL) < 0)
		return 0;
	return m.units / (__int128)10000000000000000LL;
}

/* Writes hundredths as a decimal with two places ("-12.05") into buf (64 bytes). */
static void hundredths_text(__int128 v, char *buf)
{
	unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	char digits[48];
	int n = 0, i = 0;

	do {
		digits[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u || n < 3);
	if (v < 0)
		buf[i++] = '-';
	while (n > 2)
		buf[i++] = digits[--n];
	buf[i++] = '.';
	buf[i++] = digits[1];
	buf[i++] = digits[0];
	buf[i] = '\0';
}

struct day {
	__int128 actual, est, lo, hi; /* in hundredths, for the chart's geometry */
	pb_money total;		      /* the month to date through the day, exact */
	int has_est;
};

/* y in pixels of an amount in hundredths, with top the chart's largest amount. */
static long long y_of(__int128 v, __int128 top)
{
	if (top <= 0)
		return H - PAD / 2;
	if (v < 0)
		v = 0;
	return (long long)((H - PAD / 2) - v * (H - PAD) / top);
}

static long long x_of(int d, int days)
{
	return PAD + (long long)(d - 1) * (W - 2 * PAD) / (days > 1 ? days - 1 : 1);
}

/* The SVG of one account's month: the 90% band and the estimate line where estimates exist, a mark per day. */
static void chart_svg(const char *alias, int minor, const struct day *days, int n, struct pb_buf *b)
{
	pb_money r;
	__int128 top = 1;
	char text[64];
	int d, first = 1;

	for (d = 0; d < n; d++) {
		top = days[d].actual > top ? days[d].actual : top;
		top = days[d].has_est && days[d].hi > top ? days[d].hi : top;
	}
	pb_buf_addf(b,
		    "<svg class=\"chart\" data-account=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		    "role=\"img\"><title>%s: month to date by day, and each day's estimate with its 90%% band</title>",
		    alias, W, H, W, H, alias);
	pb_buf_addstr(b, "<polygon class=\"band\" points=\"");
	for (d = 0; d < n; d++)
		if (days[d].has_est)
			pb_buf_addf(b, "%lld,%lld ", x_of(d + 1, n), y_of(days[d].hi, top));
	for (d = n - 1; d >= 0; d--)
		if (days[d].has_est)
			pb_buf_addf(b, "%lld,%lld ", x_of(d + 1, n), y_of(days[d].lo, top));
	pb_buf_addstr(b, "\"/><polyline class=\"est\" points=\"");
	for (d = 0; d < n; d++)
		if (days[d].has_est)
			pb_buf_addf(b, "%s%lld,%lld", first-- > 0 ? "" : " ", x_of(d + 1, n), y_of(days[d].est, top));
	pb_buf_addf(b, "\"/><line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", PAD, H - PAD / 2, W - PAD,
		    H - PAD / 2);
	for (d = 0; d < n; d++) {
		/* The day's figure as the invoice would show it: the exact sum, rounded once to the minor unit. */
		if (pb_money_round(days[d].total, minor, &r) < 0 || pb_money_format(r, minor, text) < 0)
			pb_money_format_canonical(days[d].total, text);
		pb_buf_addf(b,
			    "<circle class=\"day-mark\" data-day=\"%d\" cx=\"%lld\" cy=\"%lld\" r=\"3\"><title>day %d: "
			    "%s</title></circle>",
			    d + 1, x_of(d + 1, n), y_of(days[d].actual, top), d + 1, text);
	}
	hundredths_text(top, text);
	pb_buf_addf(b,
		    "<text class=\"lbl\" x=\"%d\" y=\"%d\">1</text><text class=\"lbl\" x=\"%d\" y=\"%d\">%d</text>"
		    "<text class=\"lbl\" x=\"4\" y=\"14\">%s</text></svg>",
		    PAD, H - 4, W - PAD - 8, H - 4, n, text);
}

/* Says that the account's figure through day d is out of the range of amounts (what, "charges of" or "month to date
 * through"). Returns PB_ERR_DATA. */
static int out_of_range(const char *run_id, const char *month, const char *alias, const char *what, int d,
			struct pb_buf *err)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "account '%s' (aggregate run %s of %.7s): its %s day %d is out of the range of amounts", alias,
		    run_id, month, what, d);
	return PB_ERR_DATA;
}

/*
 * The days of one account: cumulative actual and the estimates made on each day. A day's charges or the month to
 * date through a day out of the range of amounts is PB_ERR_DATA: the chart would show a figure that is not the sum.
 */
static int account_days(PGconn *conn, const char *run_id, const char *month, const char *alias, struct day *days, int n,
			struct pb_buf *err)
{
	const char *p[3] = {run_id, alias, month};
	PGresult *res;
	int i, d;
	pb_money sum = PB_MONEY_ZERO;

	memset(days, 0, (size_t)n * sizeof(*days));
	res = pb_db_query(conn,
			  /* Charges the month bills late for an earlier month's days are on its first day. */
			  "SELECT extract(day FROM greatest(usage_date, $3::date))::int, sum(usage + one_off)::text "
			  "FROM pb.aggregate_daily WHERE run_id = $1::bigint AND alias = $2 GROUP BY 1 ORDER BY 1",
			  3, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < PQntuples(res); i++) {
		const char *v = PQgetvalue(res, i, 1);

		d = (int)strtol(PQgetvalue(res, i, 0), NULL, 10);
		if (d >= 1 && d <= n && pb_money_parse(v, strlen(v), &days[d - 1].total, NULL) < 0) {
			PQclear(res);
			return out_of_range(run_id, month, alias, "charges of", d, err);
		}
	}
	PQclear(res);
	/* Summed exactly, then scaled: never each day cut to hundredths and the cuts summed. */
	for (d = 0; d < n; d++) {
		if (pb_money_add(sum, days[d].total, &sum) < 0)
			return out_of_range(run_id, month, alias, "month to date through", d + 1, err);
		days[d].total = sum;
		days[d].actual = sum.units / (__int128)10000000000000000LL;
	}
	res = pb_db_query(conn,
			  "SELECT DISTINCT ON (as_of) extract(day FROM as_of)::int, estimate::text, low90::text, "
			  "high90::text FROM pb.estimate_history WHERE billing_month = $3::date AND alias = $2 "
			  /* The estimates made up to the run: not those of runs made since (an issued month's). */
			  "AND vendor = 'all' AND run_id <= $1::bigint ORDER BY as_of, id DESC",
			  3, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < PQntuples(res); i++) {
		d = (int)strtol(PQgetvalue(res, i, 0), NULL, 10);
		if (d < 1 || d > n)
			continue;
		days[d - 1].has_est = 1;
		days[d - 1].est = hundredths(PQgetvalue(res, i, 1));
		days[d - 1].lo = hundredths(PQgetvalue(res, i, 2));
		days[d - 1].hi = hundredths(PQgetvalue(res, i, 3));
	}
	PQclear(res);
	return 0;
}

/*
 * Appends an amount of a chart's heading as the invoice shows one: the database's exact text rounded once, half away
 * from zero, to the currency's minor unit, then the currency ("9571.35 USD"). A currency without a minor unit, or an
 * amount that does not parse, is shown as it is.
 */
static void heading_amount(struct pb_buf *b, const char *text, const char *currency)
{
	int minor = pb_currency_minor_unit(currency, strlen(currency));
	char s[PB_MONEY_STRMAX];
	pb_money m, r;

	if (minor >= 0 && pb_money_parse(text, strlen(text), &m, NULL) == 0 && pb_money_round(m, minor, &r) == 0 &&
	    pb_money_format(r, minor, s) >= 0)
		pb_buf_addstr(b, s);
	else
		html(b, text);
	pb_buf_addch(b, ' ');
	html(b, currency);
}

/* Charts of the largest accounts by the month's total. */
static int charts(PGconn *conn, const char *run_id, const char *month, int ndays, struct pb_buf *b, struct pb_buf *err)
{
	const char *p[1] = {run_id};
	struct day days[31];
	PGresult *res;
	int i, rc = 0;

	res = pb_db_query(
		conn,
		/*
		 * Ranked in USD through the month's rates (a ranking, not an amount: the division is
		 * never shown), else as they stand: 101 JPY is not larger than 10 USD. An issued month's
		 * through those its run converted with (pb.aggregate_rate): no rate loaded since, not even
		 * one whose load began before the issue and committed after it, reorders it (a run of a
		 * month that had no rates kept none: it is ranked as the amounts stand). A run stored
		 * before runs kept their rates (migration 024): through those loaded before the issue.
		 */
		"WITH run AS (SELECT r.id, r.billing_month, i.issued_at, i.id IS NOT NULL AND (EXISTS (SELECT 1 "
		"FROM pb.aggregate_rate k WHERE k.run_id = r.id) OR r.started_at >= (SELECT m.applied_at FROM "
		"pb.schema_migrations m WHERE m.version = 24)) AS kept FROM pb.aggregate_run r LEFT JOIN "
		"pb.invoice i ON i.run_id = r.id WHERE r.id = $1::bigint), rates AS (SELECT u.from_currency, "
		"u.to_currency, u.rate FROM pb.aggregate_rate u JOIN run ON u.run_id = run.id WHERE run.kept "
		"UNION ALL SELECT f.from_currency, f.to_currency, f.rate FROM pb.fx_rate f JOIN run ON f.month = "
		"run.billing_month WHERE NOT run.kept AND f.loaded_at <= coalesce(run.issued_at, 'infinity')) "
		"SELECT a.alias, a.currency, a.month_to_date::text, a.estimate::text FROM pb.aggregate_account a "
		"WHERE a.run_id = $1::bigint AND a.vendor = 'all' "
		"ORDER BY abs(a.month_to_date / coalesce((SELECT x.rate FROM rates x WHERE x.from_currency = "
		"'USD' AND x.to_currency = a.currency), (SELECT 1 / x.rate FROM rates x WHERE x.from_currency = "
		"a.currency AND x.to_currency = 'USD'), 1)) DESC, a.alias COLLATE \"C\" LIMIT 12",
		1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	pb_buf_addf(b, "<h2>Month to date against the estimates (the %d largest accounts)</h2>", CHARTS);
	pb_buf_addstr(b, "<p class=\"legend\">Each chart, in the account's currency: a dot per day, the month to date "
			 "at the day's end (its amount on hover); the line, the month-end estimate made on that day, "
			 "in its 90% band (shaded); the figure at the top left, the chart's largest amount.</p>");
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		pb_buf_addstr(b, "<h3>");
		html(b, PQgetvalue(res, i, 0));
		pb_buf_addstr(b, ": month to date ");
		heading_amount(b, PQgetvalue(res, i, 2), PQgetvalue(res, i, 1));
		pb_buf_addstr(b, ", estimate ");
		heading_amount(b, PQgetvalue(res, i, 3), PQgetvalue(res, i, 1));
		pb_buf_addstr(b, "</h3>");
		rc = account_days(conn, run_id, month, PQgetvalue(res, i, 0), days, ndays, err);
		if (rc == 0)
			chart_svg(PQgetvalue(res, i, 0), pb_currency_minor_unit(PQgetvalue(res, i, 1), 3), days, ndays,
				  b);
	}
	PQclear(res);
	return rc;
}

#define TABLE_FETCH_ROWS "10000" /* rows of a table read at a time */

/* A query's rows as a table, read with a cursor: the columns numeric from first_numeric on, right-aligned. */
static int table(PGconn *conn, const char *title, const char *sql, const char *run_id, int first_numeric,
		 struct report *r, struct pb_buf *err)
{
	const char *p[1] = {run_id};
	struct pb_buf q = PB_BUF_INIT, *b = &r->b;
	PGresult *res;
	int i, j, n, rows = 0, rc = 0;

	pb_buf_addf(&q, "DECLARE report_rows NO SCROLL CURSOR FOR %s", sql);
	if (q.failed || pb_db_exec(conn, pb_buf_str(&q), 1, p, err) < 0) {
		pb_buf_release(&q);
		return PB_ERR_DEPENDENCY;
	}
	pb_buf_release(&q);
	pb_buf_addf(b, "<h2>%s</h2><table><tr>", title);
	do {
		res = pb_db_query(conn, "FETCH " TABLE_FETCH_ROWS " FROM report_rows", 0, NULL, err);
		if (!res) {
			rc = PB_ERR_DEPENDENCY;
			break;
		}
		n = PQntuples(res);
		/* The header from the first batch's columns. */
		for (j = 0; j < PQnfields(res) && rows == 0; j++)
			pb_buf_addf(b, "<th%s>%s</th>", j >= first_numeric ? " class=\"n\"" : "", PQfname(res, j));
		if (rows == 0)
			pb_buf_addstr(b, "</tr>");
		for (i = 0; i < n; i++) {
			pb_buf_addstr(b, "<tr>");
			for (j = 0; j < PQnfields(res); j++) {
				pb_buf_addf(b, "<td%s>", j >= first_numeric ? " class=\"n\"" : "");
				html(b, PQgetvalue(res, i, j));
				pb_buf_addstr(b, "</td>");
			}
			pb_buf_addstr(b, "</tr>");
		}
		if (rows == 0 && n == 0)
			pb_buf_addf(b, "<tr><td colspan=\"%d\">none</td></tr>", PQnfields(res));
		rows += n ? n : 1;
		PQclear(res);
		rc = spill(r, 0, err);
	} while (n > 0 && rc == 0);
	pb_buf_addstr(b, "</table>");
	if (rc == 0 && pb_db_exec(conn, "CLOSE report_rows", 0, NULL, err) < 0)
		rc = PB_ERR_DEPENDENCY;
	return rc;
}

/* The lines table: issued ones as stored, else the draft, a line at a time. */
static int lines_table(PGconn *conn, int32_t month, const char *m, const char *run_id, struct report *r,
		       struct pb_buf *err)
{
	const char *p[1] = {m};
	struct pb_inv_emit emit = {line_row, NULL, r};
	PGresult *res = pb_db_query(conn, "SELECT id FROM pb.invoice WHERE billing_month = $1::date", 1, p, err);
	size_t n;
	int rc;

	if (!res)
		return PB_ERR_DEPENDENCY;
	pb_buf_addstr(&r->b, "<h2>Invoice lines</h2><table><tr><th>#</th><th>Account</th><th>Name</th><th>Line</th>"
			     "<th>Type</th><th>Corrects</th><th>Currency</th><th class=\"n\">Amount</th>"
			     "<th class=\"n\">AWS</th><th class=\"n\">Azure</th></tr>");
	if (PQntuples(res) == 1)
		rc = pb_inv_read(conn, "pb.invoice", PQgetvalue(res, 0, 0), &emit, &n, err);
	else
		rc = pb_inv_build(conn, month, run_id, &emit, &n, err);
	PQclear(res);
	pb_buf_addstr(&r->b, "</table>");
	return rc;
}

static int body(PGconn *conn, int32_t month, const char *m, const char *run_id, struct report *r, struct pb_buf *err)
{
	struct pb_buf *b = &r->b;
	int y, mo, d, rc;

	pb_date_to_ymd(month, &y, &mo, &d);
	pb_buf_addf(b,
		    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Partner cloud billing "
		    "%.7s</title>%s</head><body>",
		    m, style);
	rc = header(conn, m, run_id, b, err);
	if (rc == 0)
		rc = lines_table(conn, month, m, run_id, r, err);
	if (rc == 0)
		rc = charts(conn, run_id, m,
			    (mo == 12 ? pb_date_from_ymd(y + 1, 1, 1) : pb_date_from_ymd(y, mo + 1, 1)) - month, b,
			    err);
	if (rc == 0)
		rc = table(
			conn, "Spend no account is billed for",
			"SELECT bucket, vendor, partner_account_id AS \"partner account\", alias AS account, reason, "
			"currency, trim_scale(billed)::text AS billed, line_count AS lines FROM pb.aggregate_bucket "
			"WHERE run_id = $1::bigint AND bucket <> 'excluded' ORDER BY bucket, vendor, "
			"partner_account_id COLLATE \"C\", alias COLLATE \"C\", reason COLLATE \"C\", currency",
			run_id, 6, r, err);
	if (rc == 0)
		rc = table(
			conn, "Reconciliation (every partner charge, by where it went)",
			"SELECT currency, place, trim_scale(billed)::text AS billed, trim_scale(list)::text AS list, "
			"line_count AS lines FROM pb.aggregate_recon WHERE run_id = $1::bigint ORDER BY currency, "
			"CASE place WHEN 'total' THEN 0 WHEN 'attributed' THEN 1 WHEN 'unmapped' THEN 2 "
			"WHEN 'ineligible' THEN 3 ELSE 4 END",
			run_id, 2, r, err);
	pb_buf_addstr(b, "</body></html>\n");
	return rc == 0 ? spill(r, 1, err) : rc;
}

int pb_inv_report(PGconn *conn, int32_t month, const char *path, struct pb_buf *err)
{
	struct report r = {NULL, path, PB_BUF_INIT};
	struct pb_atomic out;
	char m[11];
	const char *p[1] = {m};
	PGresult *res;
	int rc;

	pb_date_format(month, m);
	if (pb_inv_output_claim(conn, path, err) < 0)
		return PB_ERR_DEPENDENCY;
	/*
	 * One snapshot for the whole report: a run that a new one supersedes meanwhile loses its day by day series,
	 * which the charts would show as nothing.
	 */
	if (pb_db_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	res = pb_db_query(conn,
			  "SELECT coalesce((SELECT run_id FROM pb.invoice WHERE billing_month = $1::date), "
			  "(SELECT id FROM pb.aggregate_run WHERE billing_month = $1::date AND status = 'current')), "
			  "EXISTS (SELECT 1 FROM pb.invoice WHERE billing_month = $1::date)",
			  1, p, err);
	if (!res) {
		PQclear(PQexec(conn, "ROLLBACK"));
		return PB_ERR_DEPENDENCY;
	}
	if (PQgetisnull(res, 0, 0)) {
		PQclear(res);
		PQclear(PQexec(conn, "ROLLBACK"));
		pb_buf_reset(err);
		pb_buf_addf(err, "%.7s has no aggregate run: run pb-aggregate --month %.7s", m, m);
		return PB_ERR_DATA;
	}
	pb_test_pause("report-run");
	/* Before the issue, the current run's: one that an import came after is not what --issue would bill. */
	if (PQgetvalue(res, 0, 1)[0] != 't' && pb_inv_warn_out_of_date(conn, PQgetvalue(res, 0, 0), m, err) < 0) {
		PQclear(res);
		PQclear(PQexec(conn, "ROLLBACK"));
		return PB_ERR_DEPENDENCY;
	}
	/* Written as it is made, to a temporary file put in place whole once done. */
	rc = pb_inv_open_output(&out, path, err);
	if (rc == 0) {
		r.f = out.f;
		rc = body(conn, month, m, PQgetvalue(res, 0, 0), &r, err);
	}
	PQclear(res);
	PQclear(PQexec(conn, "ROLLBACK"));
	if (rc == 0 && pb_atomic_commit(&out, err) < 0)
		rc = PB_ERR_DEPENDENCY;
	else if (rc < 0)
		pb_atomic_abort(&out);
	if (rc == PB_ERR_DATA)
		pb_buf_addf(err, ": '%s' not written", path);
	pb_buf_release(&r.b);
	return rc;
}
