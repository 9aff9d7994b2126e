/* The invoice lines of a month, from its aggregate run, rounded once and split by largest remainder. */
#include "lines.h"

#include <stdlib.h>
#include <string.h>

#include "currency.h"
#include "date.h"
#include "db.h"
#include "exitcode.h"

#include "banned.h"

/* 10^(18 - minor): one minor unit in units of 10^-18. */
static __int128 minor_unit(int minor)
{
	__int128 u = 1;
	int i;

	for (i = 0; i < 18 - minor; i++)
		u *= 10;
	return u;
}

int pb_inv_allocate(pb_money total, const pb_money *exact, const int *has, int n, int minor, pb_money *out)
{
	__int128 unit = minor_unit(minor), floors = 0, rem[PB_NVENDORS], left;
	int i, k, order[PB_NVENDORS], m = 0;

	for (i = 0; i < n; i++) {
		__int128 q = exact[i].units / unit;

		out[i].units = 0;
		if (!has[i])
			continue;
		if (exact[i].units % unit != 0 && exact[i].units < 0)
			q--;
		out[i].units = q * unit;
		rem[i] = exact[i].units - q * unit;
		floors += q;
		order[m++] = i;
	}
	left = total.units / unit - floors;
	if (total.units % unit != 0 || left < 0 || left > m)
		return -1;
	/* The largest remainders first; the earlier part first among equal ones. */
	for (i = 1; i < m; i++)
		for (k = i; k > 0 && rem[order[k]] > rem[order[k - 1]]; k--) {
			int t = order[k];

			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	for (i = 0; i < (int)left; i++)
		out[order[i]].units += unit;
	return 0;
}

#define LINES_FETCH_ROWS "10000" /* rows of the lines read at a time */

static int bad_value(struct pb_buf *err, const char *what, const char *v)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "internal error: the database gave '%s' for %s", v, what);
	return PB_ERR_DATA;
}

/* Rounds a line once, half away from zero, and splits it over its vendors. */
static int round_line(struct pb_inv_line *l, struct pb_buf *err)
{
	if (pb_money_round(l->exact, l->minor, &l->amount) < 0 ||
	    pb_inv_allocate(l->amount, l->part_exact, l->has_part, PB_NVENDORS, l->minor, l->part) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "account %s: the total cannot be rounded and split over its vendors", l->alias);
		return PB_ERR_DATA;
	}
	snprintf(l->kind, sizeof(l->kind), "%s", l->amount.units < 0 ? "credit" : "charge");
	return 0;
}

/* Gives l to emit as the next line. */
static int emit_line(const struct pb_inv_emit *emit, const struct pb_inv_line *l, size_t *count, struct pb_buf *err)
{
	(*count)++;
	return emit->line(l, *count, emit->arg, err);
}

/* One account's adjustment for month: what is right now less what was invoiced, if anything. */
static int adjust_one(const struct pb_inv_line *now, const struct pb_inv_line *was, int32_t month,
		      const struct pb_inv_emit *emit, size_t *count, struct pb_buf *err)
{
	struct pb_inv_line l;
	int k;

	if (was && now->amount.units != 0 && strcmp(now->currency, was->currency) != 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "account %s: the invoice currency changed from %s to %s", now->alias, was->currency,
			    now->currency);
		return PB_ERR_DATA;
	}
	/* Nothing invoiced counts as zero: an account whose total still rounds to nothing gets no line. */
	if (now->amount.units == (was ? was->amount.units : 0))
		return 0;
	l = *now;
	snprintf(l.kind, sizeof(l.kind), "adjustment");
	l.corrects = month;
	for (k = 0; k < PB_NVENDORS; k++) {
		l.has_part[k] = now->has_part[k] || (was && was->has_part[k]);
		if (was)
			pb_money_sub(now->part[k], was->part[k], &l.part[k]);
		l.part_exact[k] = l.part[k];
	}
	if (was)
		pb_money_sub(now->amount, was->amount, &l.amount);
	l.exact = l.amount;
	return emit_line(emit, &l, count, err);
}

/*
 * One account's rows of one month (its own month, or an earlier one it may be adjusted for): what the run makes
 * of it ("now", a total and per-vendor parts, not yet rounded) and, for an earlier month, what was invoiced for
 * it (its lines and the adjustments since, rounded amounts, per vendor), under the account's name now.
 */
struct group {
	char alias[16];
	int32_t corrects; /* the earlier month, or 0 */
	struct pb_inv_line now, was;
	int has_now, has_was;
};

static void group_release(struct group *g)
{
	free(g->now.name);
	free(g->was.name);
	memset(g, 0, sizeof(*g));
}

/* Starts line l of g's account from a row: its alias, currency and name. */
static int start_line(struct pb_inv_line *l, PGresult *res, int i, struct pb_buf *err)
{
	snprintf(l->alias, sizeof(l->alias), "%s", PQgetvalue(res, i, 0));
	snprintf(l->currency, sizeof(l->currency), "%s", PQgetvalue(res, i, 5));
	l->minor = pb_currency_minor_unit(l->currency, strlen(l->currency));
	l->name = strdup(PQgetvalue(res, i, 1));
	if (!l->name || l->minor < 0)
		return bad_value(err, "a currency", l->currency);
	return 0;
}

/* Adds one row (alias, name, corrects, src, vendor, currency, amount) to g. */
static int group_row(struct group *g, PGresult *res, int i, struct pb_buf *err)
{
	const char *v = PQgetvalue(res, i, 6);
	int k = pb_vendor_index(PQgetvalue(res, i, 4)), rc;
	pb_money m;

	if (pb_money_parse(v, strlen(v), &m, NULL) < 0)
		return bad_value(err, "an amount", v);
	if (PQgetvalue(res, i, 3)[0] == '0') {
		/* What the run makes of the account: vendor 'all' is the total. */
		if (!g->has_now) {
			g->has_now = 1;
			rc = start_line(&g->now, res, i, err);
			if (rc < 0)
				return rc;
		}
		if (k >= 0) {
			g->now.part_exact[k] = m;
			g->now.has_part[k] = 1;
		} else {
			g->now.exact = m;
		}
		return 0;
	}
	if (!g->has_was) {
		g->has_was = 1;
		rc = start_line(&g->was, res, i, err);
		if (rc < 0)
			return rc;
	}
	if (k >= 0) {
		g->was.has_part[k] = 1;
		if (pb_money_add(g->was.part[k], m, &g->was.part[k]) < 0)
			return bad_value(err, "a sum", v);
	}
	if (pb_money_add(g->was.amount, m, &g->was.amount) < 0)
		return bad_value(err, "a sum", v);
	return 0;
}

/* g's line: the account's own (when its total rounds to something), or its adjustment of an earlier month. */
static int group_end(struct group *g, const struct pb_inv_emit *emit, size_t *count, struct pb_buf *err)
{
	struct pb_inv_line zero;
	int k, rc;

	if (!g->corrects) {
		rc = g->has_now ? round_line(&g->now, err) : 0;
		if (rc == 0 && g->has_now && !pb_money_is_zero(g->now.amount))
			rc = emit_line(emit, &g->now, count, err);
		return rc;
	}
	if (g->has_now) {
		rc = round_line(&g->now, err);
		return rc < 0 ? rc : adjust_one(&g->now, g->has_was ? &g->was : NULL, g->corrects, emit, count, err);
	}
	/* An account invoiced then, and in the month's run no more: all of it comes back. */
	if (!g->has_was || g->was.amount.units == 0)
		return 0;
	zero = g->was;
	zero.amount = PB_MONEY_ZERO;
	for (k = 0; k < PB_NVENDORS; k++)
		zero.part[k] = PB_MONEY_ZERO;
	return adjust_one(&zero, &g->was, g->corrects, emit, count, err);
}

/* Whether row i is of another account or month than g. */
static int other_group(const struct group *g, PGresult *res, int i)
{
	int32_t corrects = 0;

	if (!PQgetisnull(res, i, 2))
		pb_date_parse_iso(PQgetvalue(res, i, 2), 10, &corrects);
	return strcmp(g->alias, PQgetvalue(res, i, 0)) != 0 || g->corrects != corrects;
}

int pb_inv_build(PGconn *conn, int32_t month, const char *run_id, const struct pb_inv_emit *emit, size_t *count,
		 struct pb_buf *err)
{
	char m[11];
	const char *p[2] = {run_id, m};
	struct group g;
	PGresult *res;
	int i, n = 0, rc = 0, started = 0;

	*count = 0;
	memset(&g, 0, sizeof(g));
	pb_date_format(month, m);
	/*
	 * Per account (in the order of the lines), its rows of the run (src 0), then per earlier month with an
	 * issued invoice whose current run is not the one it billed, its rows of that run (src 0) and what was
	 * invoiced for it (src 1: its lines and the adjustments since, per vendor).
	 */
	if (pb_db_exec(conn,
		       "DECLARE invoice_lines NO SCROLL CURSOR FOR "
		       "WITH adjusted AS (SELECT i.billing_month AS month, r.id AS run_id FROM pb.invoice i "
		       "JOIN pb.aggregate_run r ON r.billing_month = i.billing_month AND r.status = 'current' "
		       "WHERE i.billing_month < $2::date AND r.id <> i.run_id) "
		       "SELECT alias, name, corrects::text, src, vendor, currency, amount FROM ("
		       "SELECT a.alias, c.name, NULL::date AS corrects, 0 AS src, a.vendor, a.currency, "
		       "(a.month_to_date + a.markup)::text AS amount FROM pb.aggregate_account a "
		       "JOIN pb.clc_account c ON c.alias = a.alias WHERE a.run_id = $1::bigint "
		       "UNION ALL SELECT a.alias, c.name, j.month, 0, a.vendor, a.currency, "
		       "(a.month_to_date + a.markup)::text FROM adjusted j JOIN pb.aggregate_account a "
		       "ON a.run_id = j.run_id JOIN pb.clc_account c ON c.alias = a.alias "
		       "UNION ALL SELECT l.alias, c.name, j.month, 1, coalesce(p.vendor, ''), l.currency, "
		       "sum(coalesce(p.amount, l.amount))::text FROM adjusted j JOIN pb.invoice i ON true "
		       "JOIN pb.invoice_line l ON l.invoice_id = i.id JOIN pb.clc_account c ON c.alias = l.alias "
		       "LEFT JOIN pb.invoice_part p ON p.invoice_id = l.invoice_id AND p.line = l.line "
		       "WHERE (i.billing_month = j.month AND l.kind <> 'adjustment') OR l.corrects_month = j.month "
		       "GROUP BY l.alias, c.name, j.month, coalesce(p.vendor, ''), l.currency"
		       ") x ORDER BY alias COLLATE \"C\", corrects NULLS FIRST, src, vendor, currency",
		       2, p, err) < 0)
		return PB_ERR_DEPENDENCY;
	do {
		res = pb_db_query(conn, "FETCH " LINES_FETCH_ROWS " FROM invoice_lines", 0, NULL, err);
		if (!res) {
			rc = PB_ERR_DEPENDENCY;
			break;
		}
		n = PQntuples(res);
		for (i = 0; i < n && rc == 0; i++) {
			if (!started || other_group(&g, res, i)) {
				if (started)
					rc = group_end(&g, emit, count, err);
				group_release(&g);
				started = 1;
				snprintf(g.alias, sizeof(g.alias), "%s", PQgetvalue(res, i, 0));
				if (!PQgetisnull(res, i, 2))
					pb_date_parse_iso(PQgetvalue(res, i, 2), 10, &g.corrects);
			}
			if (rc == 0)
				rc = group_row(&g, res, i, err);
		}
		PQclear(res);
		if (rc == 0 && n > 0 && emit->batch)
			rc = emit->batch(emit->arg, err);
	} while (n > 0 && rc == 0);
	if (rc == 0 && started)
		rc = group_end(&g, emit, count, err);
	group_release(&g);
	if (rc == 0 && emit->batch)
		rc = emit->batch(emit->arg, err);
	if (rc == 0 && pb_db_exec(conn, "CLOSE invoice_lines", 0, NULL, err) < 0)
		rc = PB_ERR_DEPENDENCY;
	return rc;
}

int pb_inv_cursor_row(PGconn *conn, struct pb_inv_cursor *c, struct pb_buf *err)
{
	struct pb_buf q = PB_BUF_INIT;

	if (c->res && c->i < c->n)
		return 1;
	if (c->done)
		return 0;
	PQclear(c->res);
	c->res = NULL;
	c->i = c->n = 0;
	pb_buf_addf(&q, "FETCH " LINES_FETCH_ROWS " FROM %s", c->name);
	c->res = q.failed ? NULL : pb_db_query(conn, pb_buf_str(&q), 0, NULL, err);
	if (!c->res) {
		pb_buf_release(&q);
		return PB_ERR_DEPENDENCY;
	}
	c->n = PQntuples(c->res);
	if (c->n == 0) {
		c->done = 1;
		pb_buf_reset(&q);
		pb_buf_addf(&q, "CLOSE %s", c->name);
		if (q.failed || pb_db_exec(conn, pb_buf_str(&q), 0, NULL, err) < 0) {
			pb_buf_release(&q);
			return PB_ERR_DEPENDENCY;
		}
	}
	pb_buf_release(&q);
	return c->n > 0;
}

void pb_inv_cursor_release(struct pb_inv_cursor *c)
{
	PQclear(c->res);
	c->res = NULL;
	c->i = c->n = 0;
}

/* Declares cursor name for sql, a query of the lines' tables (TABLE stands for table) of invoice_id. */
static int declare(PGconn *conn, const char *name, const char *sql, const char *table, const char *invoice_id,
		   struct pb_buf *err)
{
	const char *p[1] = {invoice_id};
	struct pb_buf q = PB_BUF_INIT;
	int rc;
	const char *at = strstr(sql, "TABLE");

	pb_buf_addf(&q, "DECLARE %s NO SCROLL CURSOR FOR ", name);
	pb_buf_add(&q, sql, (size_t)(at - sql));
	pb_buf_addstr(&q, table);
	pb_buf_addstr(&q, at + 5);
	rc = q.failed || pb_db_exec(conn, pb_buf_str(&q), 1, p, err) < 0 ? PB_ERR_DEPENDENCY : 0;
	pb_buf_release(&q);
	return rc;
}

/* The stored line at row i of res, with the parts of it the parts cursor is at. */
static int stored_line(PGconn *conn, PGresult *res, int i, struct pb_inv_cursor *parts, struct pb_inv_line *l,
		       struct pb_buf *err)
{
	long line = strtol(PQgetvalue(res, i, 7), NULL, 10);
	int rc;

	memset(l, 0, sizeof(*l));
	snprintf(l->alias, sizeof(l->alias), "%s", PQgetvalue(res, i, 0));
	l->name = strdup(PQgetvalue(res, i, 1));
	snprintf(l->kind, sizeof(l->kind), "%s", PQgetvalue(res, i, 2));
	if (*PQgetvalue(res, i, 3))
		pb_date_parse_iso(PQgetvalue(res, i, 3), 10, &l->corrects);
	snprintf(l->currency, sizeof(l->currency), "%s", PQgetvalue(res, i, 4));
	l->minor = pb_currency_minor_unit(l->currency, 3);
	pb_money_parse(PQgetvalue(res, i, 5), strlen(PQgetvalue(res, i, 5)), &l->amount, NULL);
	pb_money_parse(PQgetvalue(res, i, 6), strlen(PQgetvalue(res, i, 6)), &l->exact, NULL);
	/* Both in the order of the lines: each line's parts are the next ones. */
	while ((rc = pb_inv_cursor_row(conn, parts, err)) == 1) {
		PGresult *pr = parts->res;
		long at = strtol(PQgetvalue(pr, parts->i, 0), NULL, 10);
		int k = pb_vendor_index(PQgetvalue(pr, parts->i, 1));

		if (at > line)
			break;
		if (at == line && k >= 0) {
			l->has_part[k] = 1;
			pb_money_parse(PQgetvalue(pr, parts->i, 2), strlen(PQgetvalue(pr, parts->i, 2)), &l->part[k],
				       NULL);
			pb_money_parse(PQgetvalue(pr, parts->i, 3), strlen(PQgetvalue(pr, parts->i, 3)),
				       &l->part_exact[k], NULL);
		}
		parts->i++;
	}
	return rc < 0 ? rc : 0;
}

int pb_inv_read(PGconn *conn, const char *table, const char *invoice_id, const struct pb_inv_emit *emit, size_t *count,
		struct pb_buf *err)
{
	struct pb_inv_cursor lines = {"invoice_lines", NULL, 0, 0, 0}, parts = {"invoice_parts", NULL, 0, 0, 0};
	struct pb_inv_line l;
	int rc;

	*count = 0;
	/*
	 * The lines and their parts from two cursors read side by side, each a scan of its table in the order of the
	 * lines: not a join, whose plan a table without statistics yet (a fresh invoice) could make quadratic.
	 */
	rc = declare(conn, "invoice_lines",
		     "SELECT alias, account_name, kind, coalesce(corrects_month::text, ''), currency, amount::text, "
		     "exact::text, line FROM TABLE_line WHERE invoice_id = $1::bigint ORDER BY line",
		     table, invoice_id, err);
	if (rc == 0)
		rc = declare(
			conn, "invoice_parts",
			"SELECT line, vendor, amount::text, exact::text FROM TABLE_part WHERE invoice_id = $1::bigint "
			"ORDER BY line, vendor",
			table, invoice_id, err);
	while (rc == 0) {
		rc = pb_inv_cursor_row(conn, &lines, err);
		if (rc != 1)
			break;
		rc = stored_line(conn, lines.res, lines.i, &parts, &l, err);
		if (rc == 0)
			rc = emit_line(emit, &l, count, err);
		free(l.name);
		lines.i++;
		if (rc == 0 && emit->batch && lines.i == lines.n)
			rc = emit->batch(emit->arg, err);
	}
	/* The parts after the last line: none (each belongs to a line); read to the end, which closes the cursor. */
	while (rc == 0) {
		rc = pb_inv_cursor_row(conn, &parts, err);
		if (rc != 1)
			break;
		parts.i = parts.n;
		rc = 0;
	}
	if (rc == 0 && emit->batch)
		rc = emit->batch(emit->arg, err);
	pb_inv_cursor_release(&lines);
	pb_inv_cursor_release(&parts);
	return rc;
}
