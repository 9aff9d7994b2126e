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

static int need_line(struct pb_inv_lines *ls, struct pb_buf *err)
{
	if (ls->n == ls->alloc) {
		size_t alloc = ls->alloc ? ls->alloc * 2 : 64;
		struct pb_inv_line *l = realloc(ls->l, alloc * sizeof(*l));

		if (!l) {
			pb_buf_reset(err);
			pb_buf_addstr(err, "out of memory");
			return PB_ERR_DATA;
		}
		ls->l = l;
		ls->alloc = alloc;
	}
	memset(&ls->l[ls->n], 0, sizeof(ls->l[0]));
	return 0;
}

static int bad_value(struct pb_buf *err, const char *what, const char *v)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "internal error: the database gave '%s' for %s", v, what);
	return PB_ERR_DATA;
}

/*
 * Each account's total of a run: a line with its exact total and per-vendor parts (vendor 'all' is the
 * total), not yet rounded. Appends to ls, sorted by alias.
 */
static int run_totals(PGconn *conn, const char *run_id, struct pb_inv_lines *ls, struct pb_buf *err)
{
	const char *p[1] = {run_id};
	PGresult *res;
	int i, rc = 0;

	res = pb_db_query(conn,
			  "SELECT a.alias, c.name, a.vendor, a.currency, (a.month_to_date + a.markup)::text "
			  "FROM pb.aggregate_account a JOIN pb.clc_account c ON c.alias = a.alias "
			  "WHERE a.run_id = $1::bigint ORDER BY a.alias COLLATE \"C\", a.vendor",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *alias = PQgetvalue(res, i, 0), *vendor = PQgetvalue(res, i, 2), *v = PQgetvalue(res, i, 4);
		struct pb_inv_line *l = ls->n ? &ls->l[ls->n - 1] : NULL;
		pb_money m;
		int k = pb_vendor_index(vendor);

		if (pb_money_parse(v, strlen(v), &m, NULL) < 0) {
			rc = bad_value(err, "an amount", v);
			break;
		}
		if (!l || strcmp(l->alias, alias) != 0) {
			rc = need_line(ls, err);
			if (rc < 0)
				break;
			l = &ls->l[ls->n++];
			snprintf(l->alias, sizeof(l->alias), "%s", alias);
			snprintf(l->currency, sizeof(l->currency), "%s", PQgetvalue(res, i, 3));
			l->minor = pb_currency_minor_unit(l->currency, strlen(l->currency));
			l->name = strdup(PQgetvalue(res, i, 1));
			if (!l->name || l->minor < 0)
				rc = bad_value(err, "a currency", l->currency);
		}
		if (k >= 0) {
			l->part_exact[k] = m;
			l->has_part[k] = 1;
		} else {
			l->exact = m;
		}
	}
	PQclear(res);
	return rc;
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

/* The month's own lines: every account with a non-zero rounded total. */
static int month_lines(PGconn *conn, const char *run_id, struct pb_inv_lines *out, struct pb_buf *err)
{
	struct pb_inv_lines all = {0};
	size_t i;
	int rc = run_totals(conn, run_id, &all, err);

	for (i = 0; i < all.n && rc == 0; i++) {
		rc = round_line(&all.l[i], err);
		if (rc == 0 && !pb_money_is_zero(all.l[i].amount)) {
			rc = need_line(out, err);
			if (rc == 0) {
				out->l[out->n++] = all.l[i];
				all.l[i].name = NULL;
			}
		}
	}
	pb_inv_lines_release(&all);
	return rc;
}

/*
 * What was invoiced for month (its lines and the adjustments since), per account and vendor, into ls (rounded
 * amounts), under the account's name now: its lines may carry older names.
 */
static int invoiced(PGconn *conn, const char *month, struct pb_inv_lines *ls, struct pb_buf *err)
{
	const char *p[1] = {month};
	PGresult *res;
	int i, rc = 0;

	res = pb_db_query(
		conn,
		"SELECT l.alias, c.name, coalesce(p.vendor, ''), l.currency, sum(coalesce(p.amount, "
		"l.amount))::text FROM pb.invoice_line l JOIN pb.invoice i ON i.id = l.invoice_id "
		"JOIN pb.clc_account c ON c.alias = l.alias "
		"LEFT JOIN pb.invoice_part p ON p.invoice_id = l.invoice_id AND p.line = l.line "
		"WHERE (i.billing_month = $1::date AND l.kind <> 'adjustment') OR l.corrects_month = $1::date "
		"GROUP BY 1, 2, 3, 4 ORDER BY l.alias COLLATE \"C\", 3",
		1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		struct pb_inv_line *l = ls->n ? &ls->l[ls->n - 1] : NULL;
		const char *v = PQgetvalue(res, i, 4);
		int k = pb_vendor_index(PQgetvalue(res, i, 2));
		pb_money m;

		if (pb_money_parse(v, strlen(v), &m, NULL) < 0) {
			rc = bad_value(err, "an amount", v);
			break;
		}
		if (!l || strcmp(l->alias, PQgetvalue(res, i, 0)) != 0) {
			rc = need_line(ls, err);
			if (rc < 0)
				break;
			l = &ls->l[ls->n++];
			snprintf(l->alias, sizeof(l->alias), "%s", PQgetvalue(res, i, 0));
			snprintf(l->currency, sizeof(l->currency), "%s", PQgetvalue(res, i, 3));
			l->minor = pb_currency_minor_unit(l->currency, strlen(l->currency));
			l->name = strdup(PQgetvalue(res, i, 1));
			if (!l->name || l->minor < 0) {
				rc = bad_value(err, "a currency", l->currency);
				break;
			}
		}
		if (k >= 0) {
			l->has_part[k] = 1;
			if (pb_money_add(l->part[k], m, &l->part[k]) < 0)
				rc = bad_value(err, "a sum", v);
		}
		if (pb_money_add(l->amount, m, &l->amount) < 0)
			rc = bad_value(err, "a sum", v);
	}
	PQclear(res);
	return rc;
}

static struct pb_inv_line *find(struct pb_inv_lines *ls, const char *alias)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (strcmp(ls->l[i].alias, alias) == 0)
			return &ls->l[i];
	return NULL;
}

/* One account's adjustment for month: what is right now less what was invoiced, if anything. */
static int adjust_one(struct pb_inv_line *now, const struct pb_inv_line *was, int32_t month, struct pb_inv_lines *out,
		      struct pb_buf *err)
{
	struct pb_inv_line *l;
	int k, rc;

	if (was && now->amount.units != 0 && strcmp(now->currency, was->currency) != 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "account %s: the invoice currency changed from %s to %s", now->alias, was->currency,
			    now->currency);
		return PB_ERR_DATA;
	}
	/* Nothing invoiced counts as zero: an account whose total still rounds to nothing gets no line. */
	if (now->amount.units == (was ? was->amount.units : 0))
		return 0;
	rc = need_line(out, err);
	if (rc < 0)
		return rc;
	l = &out->l[out->n++];
	*l = *now;
	l->name = now->name;
	now->name = NULL;
	snprintf(l->kind, sizeof(l->kind), "adjustment");
	l->corrects = month;
	for (k = 0; k < PB_NVENDORS; k++) {
		l->has_part[k] = now->has_part[k] || (was && was->has_part[k]);
		if (was)
			pb_money_sub(now->part[k], was->part[k], &l->part[k]);
		l->part_exact[k] = l->part[k];
	}
	if (was)
		pb_money_sub(now->amount, was->amount, &l->amount);
	l->exact = l->amount;
	return 0;
}

/* The adjustments of one earlier month whose current run is not the one its invoice billed. */
static int adjust_month(PGconn *conn, const char *month, const char *run_id, struct pb_inv_lines *out,
			struct pb_buf *err)
{
	struct pb_inv_lines now = {0}, was = {0};
	int32_t day;
	size_t i;
	int rc;

	pb_date_parse_iso(month, 10, &day);
	rc = run_totals(conn, run_id, &now, err);
	for (i = 0; i < now.n && rc == 0; i++)
		rc = round_line(&now.l[i], err);
	if (rc == 0)
		rc = invoiced(conn, month, &was, err);
	for (i = 0; i < now.n && rc == 0; i++)
		rc = adjust_one(&now.l[i], find(&was, now.l[i].alias), day, out, err);
	/* An account invoiced then, and in the month's run no more: all of it comes back. */
	for (i = 0; i < was.n && rc == 0; i++) {
		if (!find(&now, was.l[i].alias) && was.l[i].amount.units != 0) {
			struct pb_inv_line zero = was.l[i];
			int k;

			zero.amount = PB_MONEY_ZERO;
			for (k = 0; k < PB_NVENDORS; k++)
				zero.part[k] = PB_MONEY_ZERO;
			zero.name = was.l[i].name;
			was.l[i].name = NULL;
			rc = adjust_one(&zero, &was.l[i], day, out, err);
			free(zero.name);
		}
	}
	pb_inv_lines_release(&now);
	pb_inv_lines_release(&was);
	return rc;
}

static int by_alias(const void *a, const void *b)
{
	const struct pb_inv_line *x = a, *y = b;
	int c = strcmp(x->alias, y->alias);

	if (c)
		return c;
	if (x->corrects != y->corrects)
		return x->corrects < y->corrects ? -1 : 1;
	return 0;
}

int pb_inv_build(PGconn *conn, int32_t month, const char *run_id, struct pb_inv_lines *out, struct pb_buf *err)
{
	char m[11];
	const char *p[1] = {m};
	PGresult *res;
	int i, rc;

	memset(out, 0, sizeof(*out));
	rc = month_lines(conn, run_id, out, err);
	if (rc < 0)
		return rc;
	pb_date_format(month, m);
	res = pb_db_query(conn,
			  "SELECT i.billing_month::text, r.id FROM pb.invoice i JOIN pb.aggregate_run r "
			  "ON r.billing_month = i.billing_month AND r.status = 'current' "
			  "WHERE i.billing_month < $1::date AND r.id <> i.run_id ORDER BY 1",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < PQntuples(res) && rc == 0; i++)
		rc = adjust_month(conn, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), out, err);
	PQclear(res);
	/* Each account's own line first (corrects 0), then its adjustments oldest first. */
	if (rc == 0 && out->n)
		qsort(out->l, out->n, sizeof(out->l[0]), by_alias);
	return rc;
}

int pb_inv_read(PGconn *conn, const char *invoice_id, struct pb_inv_lines *out, struct pb_buf *err)
{
	const char *p[1] = {invoice_id};
	PGresult *res;
	int i, rc = 0;

	memset(out, 0, sizeof(*out));
	res = pb_db_query(conn,
			  "SELECT l.alias, l.account_name, l.kind, coalesce(l.corrects_month::text, ''), l.currency, "
			  "l.amount::text, l.exact::text, coalesce(p.vendor, ''), coalesce(p.amount::text, '0'), "
			  "coalesce(p.exact::text, '0'), l.line FROM pb.invoice_line l LEFT JOIN pb.invoice_part p "
			  "ON p.invoice_id = l.invoice_id AND p.line = l.line WHERE l.invoice_id = $1::bigint "
			  "ORDER BY l.line, p.vendor",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		struct pb_inv_line *l = out->n ? &out->l[out->n - 1] : NULL;
		int k = pb_vendor_index(PQgetvalue(res, i, 7));

		if (!l || strcmp(PQgetvalue(res, i - 1, 10), PQgetvalue(res, i, 10)) != 0) {
			rc = need_line(out, err);
			if (rc < 0)
				break;
			l = &out->l[out->n++];
			snprintf(l->alias, sizeof(l->alias), "%s", PQgetvalue(res, i, 0));
			l->name = strdup(PQgetvalue(res, i, 1));
			snprintf(l->kind, sizeof(l->kind), "%s", PQgetvalue(res, i, 2));
			if (*PQgetvalue(res, i, 3))
				pb_date_parse_iso(PQgetvalue(res, i, 3), 10, &l->corrects);
			snprintf(l->currency, sizeof(l->currency), "%s", PQgetvalue(res, i, 4));
			l->minor = pb_currency_minor_unit(l->currency, 3);
			pb_money_parse(PQgetvalue(res, i, 5), strlen(PQgetvalue(res, i, 5)), &l->amount, NULL);
			pb_money_parse(PQgetvalue(res, i, 6), strlen(PQgetvalue(res, i, 6)), &l->exact, NULL);
		}
		if (k >= 0) {
			l->has_part[k] = 1;
			pb_money_parse(PQgetvalue(res, i, 8), strlen(PQgetvalue(res, i, 8)), &l->part[k], NULL);
			pb_money_parse(PQgetvalue(res, i, 9), strlen(PQgetvalue(res, i, 9)), &l->part_exact[k], NULL);
		}
	}
	PQclear(res);
	return rc;
}

void pb_inv_lines_release(struct pb_inv_lines *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		free(ls->l[i].name);
	free(ls->l);
	memset(ls, 0, sizeof(*ls));
}
