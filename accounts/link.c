/* Links between partner accounts and CLC accounts; PostgreSQL's exclusion constraint keeps them from overlapping. */
#include "link.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "date.h"
#include "db.h"
#include "eligibility.h"
#include "exitcode.h"
#include "testhook.h"

#include "banned.h"

/* The SQLSTATE of exclusion_violation. */
#define EXCLUSION_VIOLATION "23P01"

static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int is_guid(const char *s)
{
	static const size_t groups[] = {8, 4, 4, 4, 12};
	size_t g, i;

	for (g = 0; g < 5; g++) {
		for (i = 0; i < groups[g]; i++, s++)
			if (!isxdigit((unsigned char)*s))
				return 0;
		if (*s != (g < 4 ? '-' : '\0'))
			return 0;
		s++;
	}
	return 1;
}

int pb_link_check_id(int vendor, const char *id, struct pb_buf *err)
{
	int good = vendor == PB_VENDOR_AWS ? strlen(id) == 12 && all_digits(id, 12) : is_guid(id);

	if (good)
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "bad %s partner account id '", pb_vendor_names[vendor]);
	/* Shown escaped: a message is one line, whatever the id holds. */
	pb_account_quote(err, id, strlen(id));
	pb_buf_addf(err, "': %s",
		    vendor == PB_VENDOR_AWS
			    ? "a 12-digit AWS account id"
			    : "a tenant or subscription id such as 8f0c3e6a-1b2d-4c5e-9f70-a1b2c3d4e5f6");
	return PB_ERR_DATA;
}

/*
 * The id as links keep it: Azure GUIDs in lowercase (the exports write them so, and pb-ingest stores
 * them so), in buf; any other id as it is.
 */
static const char *stored_id(int vendor, const char *id, char buf[64])
{
	size_t i, n = strlen(id);

	if (vendor != PB_VENDOR_AZURE || n >= 64)
		return id;
	for (i = 0; i <= n; i++)
		buf[i] = (char)tolower((unsigned char)id[i]);
	return buf;
}

/* Says which link of the partner account (p: vendor, id, from, to) overlaps from..to. */
static int describe_overlap(PGconn *conn, const char *const *p, struct pb_buf *err)
{
	struct pb_buf ignore = PB_BUF_INIT;
	PGresult *res;

	res = pb_db_query(conn,
			  "SELECT alias, valid_from, coalesce(valid_to::text, '') FROM pb.partner_account "
			  "WHERE vendor = $1 AND partner_account_id = $2 AND validity && daterange($3::date, $4::date, "
			  "'[]') ORDER BY valid_from LIMIT 1",
			  4, p, &ignore);
	pb_buf_reset(err);
	pb_buf_addf(err, "%s partner account %s", p[0], p[1]);
	if (res && PQntuples(res) == 1) {
		const char *to = PQgetvalue(res, 0, 2);

		pb_buf_addf(err, " is linked to %s from %s%s%s already", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
			    *to ? " to " : " (open-ended)", to);
	} else {
		pb_buf_addstr(err, " is linked to another account in that period");
	}
	pb_buf_addstr(err, ": a partner account maps to one CLC account at a time");
	PQclear(res);
	pb_buf_release(&ignore);
	return PB_ERR_REFUSED;
}

/* Refuses an alias that names no CLC account: 0, PB_ERR_DATA or PB_ERR_DEPENDENCY. */
static int account_exists(PGconn *conn, const char *alias, struct pb_buf *err)
{
	const char *p[1] = {alias};
	PGresult *res = pb_db_query(conn, "SELECT 1 FROM pb.clc_account WHERE alias = $1", 1, p, err);
	int n;

	if (!res)
		return PB_ERR_DEPENDENCY;
	n = PQntuples(res);
	PQclear(res);
	if (n == 1)
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "no CLC account '%s'", alias);
	return PB_ERR_DATA;
}

/*
 * Runs the INSERT sql with its nparams parameters p, straight to libpq: the SQLSTATE tells an overlap from
 * any other failure. Inside a transaction it runs under a savepoint, so that the transaction lives on to say
 * which link is in the way. Appends the first new link's id to link_id (if not NULL). Returns 0, 1 after an
 * overlap (the database's message in err), or PB_ERR_DEPENDENCY.
 */
static int insert_links(PGconn *conn, const char *sql, int nparams, const char *const *p, struct pb_buf *link_id,
			struct pb_buf *err)
{
	struct pb_buf ignore = PB_BUF_INIT;
	int in_tx = PQtransactionStatus(conn) == PQTRANS_INTRANS, ret = PB_ERR_DEPENDENCY;
	const char *state, *msg;
	PGresult *res = NULL;

	if (in_tx && pb_db_exec(conn, "SAVEPOINT pb_link_add", 0, NULL, err) < 0)
		goto out;
	res = PQexecParams(conn, sql, nparams, NULL, p, NULL, NULL, 0);
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
		if (link_id && PQntuples(res) > 0)
			pb_buf_addstr(link_id, PQgetvalue(res, 0, 0));
		ret = in_tx && pb_db_exec(conn, "RELEASE SAVEPOINT pb_link_add", 0, NULL, err) < 0 ? PB_ERR_DEPENDENCY
												   : 0;
		goto out;
	}
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
	pb_buf_reset(err);
	pb_buf_addf(err, "database: %.*s", (int)strcspn(msg, "\n"), msg);
	if (in_tx)
		pb_db_exec(conn, "ROLLBACK TO SAVEPOINT pb_link_add", 0, NULL, &ignore);
	if (state && strcmp(state, EXCLUSION_VIOLATION) == 0)
		ret = 1;
out:
	PQclear(res);
	pb_buf_release(&ignore);
	return ret;
}

/*
 * The INSERT of a link (p: vendor, id, alias, from, to, origin, by). Appends the new link's id to link_id
 * (if not NULL). An overlap is PB_ERR_REFUSED, naming the link in the way.
 */
static int insert_link(PGconn *conn, const char *const *p, struct pb_buf *link_id, struct pb_buf *err)
{
	const char *q[4] = {p[0], p[1], p[3], p[4]};
	int ret =
		insert_links(conn,
			     "INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, valid_to, "
			     "origin, created_by) VALUES ($1, $2, $3, $4::date, $5::date, $6, $7) RETURNING id",
			     7, p, link_id, err);

	return ret == 1 ? describe_overlap(conn, q, err) : ret;
}

int pb_link_add(PGconn *conn, int vendor, const char *id, const char *alias, int32_t from, int32_t to,
		const char *origin, const char *by, struct pb_buf *link_id, struct pb_buf *err)
{
	char from_s[11], to_s[11], idbuf[64];
	const char *p[7] = {pb_vendor_names[vendor], stored_id(vendor, id, idbuf), alias, from_s, NULL, origin, by};
	int ret;

	pb_date_format(from, from_s);
	if (to != PB_LINK_OPEN) {
		pb_date_format(to, to_s);
		p[4] = to_s;
		if (to < from) {
			pb_buf_reset(err);
			pb_buf_addf(err, "the link would end on %s, before it starts on %s", to_s, from_s);
			return PB_ERR_DATA;
		}
	}
	ret = account_exists(conn, alias, err);
	if (ret == 0)
		ret = insert_link(conn, p, link_id, err);
	return ret;
}

int pb_link_add_eligible(PGconn *conn, const struct pb_eligibility *e, int vendor, const char *id, const char *alias,
			 int32_t from, int32_t to, const char *origin, const char *by, struct pb_buf *link_id,
			 struct pb_buf *reasons, struct pb_buf *err)
{
	struct pb_buf ignore = PB_BUF_INIT;
	int own = PQtransactionStatus(conn) != PQTRANS_INTRANS, ret;

	if (own && pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	ret = pb_eligibility_of(conn, e, alias, vendor, reasons, err);
	if (ret == 0) {
		pb_test_pause("link-checked");
		ret = pb_link_add(conn, vendor, id, alias, from, to, origin, by, link_id, err);
	}
	if (own && ret == 0 && pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0)
		ret = PB_ERR_DEPENDENCY;
	if (own && ret < 0)
		pb_db_exec(conn, "ROLLBACK", 0, NULL, &ignore);
	pb_buf_release(&ignore);
	return ret;
}

/*
 * Removes alias's link of the partner account (p: vendor, id, alias, to, by) that starts the day after to: it
 * holds on no day. It is kept in pb.partner_account_removed with who removed it. A link an approval made is
 * kept, its proposal naming it. Returns 1 when removed, 0 when there is no such link, or an error.
 */
static int remove_link(PGconn *conn, const char *const *p, const char *id, struct pb_buf *err)
{
	PGresult *res;
	int ret = 0;

	res = pb_db_query(conn,
			  "SELECT pa.id, pa.valid_from, (SELECT min(lp.id) FROM pb.link_proposal lp WHERE lp.link_id = "
			  "pa.id) FROM pb.partner_account pa WHERE pa.vendor = $1 AND pa.partner_account_id = $2 AND "
			  "pa.alias = $3 AND pa.valid_from = $4::date + 1 FOR UPDATE OF pa",
			  4, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 2)) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "the link of %s partner account %s to %s from %s was made by approving link proposal %s: "
			    "end it on a day it holds instead",
			    p[0], id, p[2], PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
		ret = PB_ERR_REFUSED;
	} else if (PQntuples(res) == 1) {
		const char *q[2] = {PQgetvalue(res, 0, 0), p[4]};

		ret = pb_db_exec(conn,
				 "WITH gone AS (DELETE FROM pb.partner_account WHERE id = $1::bigint RETURNING *) "
				 "INSERT INTO pb.partner_account_removed (id, vendor, partner_account_id, alias, "
				 "valid_from, valid_to, origin, created_by, created_at, removed_by) SELECT id, vendor, "
				 "partner_account_id, alias, valid_from, valid_to, origin, created_by, created_at, $2 "
				 "FROM gone",
				 2, q, err) < 0
			      ? PB_ERR_DEPENDENCY
			      : 1;
	}
	PQclear(res);
	return ret;
}

int pb_link_end(PGconn *conn, int vendor, const char *id, const char *alias, int32_t to, const char *by, int *removed,
		struct pb_buf *err)
{
	char to_s[11], idbuf[64];
	const char *p[5] = {pb_vendor_names[vendor], stored_id(vendor, id, idbuf), alias, to_s, by};
	struct pb_buf ignore = PB_BUF_INIT;
	PGresult *res;
	int ret;

	*removed = 0;
	pb_date_format(to, to_s);
	if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	res = pb_db_query(conn,
			  "UPDATE pb.partner_account SET valid_to = $4::date, ended_by = $5, ended_at = now() "
			  "WHERE vendor = $1 AND partner_account_id = $2 AND alias = $3 AND validity @> $4::date "
			  "RETURNING id",
			  5, p, err);
	if (!res)
		ret = PB_ERR_DEPENDENCY;
	else if (PQntuples(res) == 1)
		ret = 0;
	else
		ret = remove_link(conn, p, p[1], err);
	if (ret == 0 && PQntuples(res) != 1) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s has no link of %s partner account %s valid on %s", alias, p[0], id, to_s);
		ret = PB_ERR_DATA;
	} else if (ret == 1) {
		*removed = 1;
		ret = 0;
	}
	PQclear(res);
	if (ret == 0 && pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0)
		ret = PB_ERR_DEPENDENCY;
	if (ret < 0)
		pb_db_exec(conn, "ROLLBACK", 0, NULL, &ignore);
	pb_buf_release(&ignore);
	return ret;
}

/* The rows' vendors, ids (ids: as links keep them), aliases, first and last days ('' when open) as text[]. */
static int row_arrays(const struct pb_link_row *rows, const char *const *ids, size_t n, struct pb_buf *a)
{
	size_t m = n ? n : 1, i, c;
	const char **col[5];
	char(*days)[2][11] = malloc(m * sizeof(*days));
	int ret = days ? 0 : -1;

	for (c = 0; c < 5; c++) {
		col[c] = malloc(m * sizeof(*col[c]));
		if (!col[c])
			ret = -1;
	}
	for (i = 0; ret == 0 && i < n; i++) {
		pb_date_format(rows[i].from, days[i][0]);
		days[i][1][0] = '\0';
		if (rows[i].to != PB_LINK_OPEN)
			pb_date_format(rows[i].to, days[i][1]);
		col[0][i] = pb_vendor_names[rows[i].vendor];
		col[1][i] = ids[i];
		col[2][i] = rows[i].alias;
		col[3][i] = days[i][0];
		col[4][i] = days[i][1];
	}
	for (c = 0; c < 5; c++) {
		if (ret == 0)
			pb_db_text_array(&a[c], col[c], n);
		if (a[c].failed)
			ret = -1;
		free(col[c]);
	}
	free(days);
	return ret;
}

/* A row in the order of its partner account and first day. */
struct sorted_row {
	const struct pb_link_row *r;
	const char *id;
	size_t i;
};

static int by_account_and_day(const void *a, const void *b)
{
	const struct sorted_row *x = a, *y = b;
	int c = x->r->vendor - y->r->vendor;

	if (c == 0)
		c = strcmp(x->id, y->id);
	if (c == 0)
		c = x->r->from < y->r->from ? -1 : x->r->from > y->r->from;
	return c;
}

/* The last day of a row, an open end as the latest day of all. */
static int32_t last_day(const struct pb_link_row *r)
{
	return r->to == PB_LINK_OPEN ? INT32_MAX : r->to;
}

static int same_account(const struct sorted_row *x, const struct sorted_row *y)
{
	return x->r->vendor == y->r->vendor && strcmp(x->id, y->id) == 0;
}

/*
 * Whether two of the rows numbered up to limit overlap, from s (n rows sorted by partner account and first
 * day): a row overlaps one that starts before it when the latest end of those is on or after its first day.
 */
static int overlap_up_to(const struct sorted_row *s, size_t n, size_t limit)
{
	int32_t latest = 0;
	size_t j, prev = n;

	for (j = 0; j < n; j++) {
		if (s[j].i > limit)
			continue;
		if (prev < n && same_account(&s[prev], &s[j]) && latest >= s[j].r->from)
			return 1;
		if (prev == n || !same_account(&s[prev], &s[j]) || last_day(s[j].r) > latest)
			latest = last_day(s[j].r);
		prev = j;
	}
	return 0;
}

/*
 * The first row (by index) that overlaps an earlier row of the same partner account: *bad, *other the first
 * such earlier row, and 1; 0 when none does; -1 when out of memory. n log n whatever the rows: sorted once
 * by partner account and first day, the shortest run of rows from the first that holds an overlap is found
 * by halving.
 */
static int first_row_overlap(const struct pb_link_row *rows, const char *const *ids, size_t n, size_t *bad, long *other)
{
	struct sorted_row *s = malloc((n ? n : 1) * sizeof(*s));
	size_t i, lo, hi, mid;
	int found = 0;

	if (!s)
		return -1;
	for (i = 0; i < n; i++) {
		s[i].r = &rows[i];
		s[i].id = ids[i];
		s[i].i = i;
	}
	qsort(s, n, sizeof(*s), by_account_and_day);
	if (n > 0 && overlap_up_to(s, n, n - 1)) {
		lo = 1;
		hi = n - 1;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (overlap_up_to(s, n, mid))
				hi = mid;
			else
				lo = mid + 1;
		}
		*bad = hi;
		for (i = 0; i < hi; i++) {
			if (rows[i].vendor == rows[hi].vendor && strcmp(ids[i], ids[hi]) == 0 &&
			    last_day(&rows[i]) >= rows[hi].from && last_day(&rows[hi]) >= rows[i].from)
				break;
		}
		*other = (long)i;
		found = 1;
	}
	free(s);
	return found;
}

/* The rows of $1..$5 (row_arrays), as r(vendor, id, alias, f, t, i), i from 0. */
#define ROWS                                                                                                          \
	"(SELECT u.vendor, u.id, u.alias, u.f::date AS f, nullif(u.t, '')::date AS t, u.i - 1 AS i FROM "             \
	"unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(vendor, id, alias, " \
	"f, t, i)) r"

/*
 * The first of the rows (p: row_arrays) that overlaps a link in the database or an earlier row: 0 when none
 * does, else PB_ERR_REFUSED with *bad, and *other the earlier row (-1: a link in the database, named in err).
 */
static int first_overlap(PGconn *conn, const char *const *p, const struct pb_link_row *rows, const char *const *ids,
			 size_t n, size_t *bad, long *other, struct pb_buf *err)
{
	PGresult *res;
	int found = first_row_overlap(rows, ids, n, bad, other);

	if (found < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return PB_ERR_DEPENDENCY;
	}
	res = pb_db_query(conn,
			  "SELECT r.i FROM " ROWS
			  " WHERE EXISTS (SELECT 1 FROM pb.partner_account pa WHERE pa.vendor = "
			  "r.vendor AND pa.partner_account_id = r.id AND pa.validity && daterange(r.f, r.t, '[]')) "
			  "ORDER BY r.i LIMIT 1",
			  5, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) == 1 && (!found || strtoull(PQgetvalue(res, 0, 0), NULL, 10) <= *bad)) {
		const struct pb_link_row *r;
		char from_s[11], to_s[11];
		const char *q[4] = {NULL, NULL, from_s, NULL};

		*bad = (size_t)strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		*other = -1;
		r = &rows[*bad];
		q[0] = pb_vendor_names[r->vendor];
		q[1] = ids[*bad];
		pb_date_format(r->from, from_s);
		if (r->to != PB_LINK_OPEN) {
			pb_date_format(r->to, to_s);
			q[3] = to_s;
		}
		PQclear(res);
		return describe_overlap(conn, q, err);
	}
	PQclear(res);
	return found ? PB_ERR_REFUSED : 0;
}

int pb_link_add_all(PGconn *conn, const struct pb_link_row *rows, size_t n, int store, const char *origin,
		    const char *by, size_t *bad, long *other, struct pb_buf *err)
{
	struct pb_buf a[5] = {PB_BUF_INIT, PB_BUF_INIT, PB_BUF_INIT, PB_BUF_INIT, PB_BUF_INIT};
	const char *p[7] = {NULL, NULL, NULL, NULL, NULL, origin, by};
	char(*idbuf)[64] = malloc((n ? n : 1) * sizeof(*idbuf));
	const char **ids = malloc((n ? n : 1) * sizeof(*ids));
	size_t i;
	int ret, c;

	*bad = 0;
	*other = -1;
	for (i = 0; idbuf && ids && i < n; i++)
		ids[i] = stored_id(rows[i].vendor, rows[i].id, idbuf[i]);
	if (!idbuf || !ids || row_arrays(rows, ids, n, a) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	for (c = 0; c < 5; c++)
		p[c] = pb_buf_str(&a[c]);
	ret = first_overlap(conn, p, rows, ids, n, bad, other, err);
	/*
	 * In the order of partner account and first day, whatever the file's: two imports of the same partner
	 * accounts then meet at the same row first, and the second waits for the first instead of each waiting
	 * for the other (a deadlock).
	 */
	if (ret == 0 && store)
		ret = insert_links(
			conn,
			"INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, valid_to, "
			"origin, created_by) SELECT r.vendor, r.id, r.alias, r.f, r.t, $6, $7 FROM " ROWS
			" ORDER BY r.vendor COLLATE \"C\", r.id COLLATE \"C\", r.f RETURNING id",
			7, p, NULL, err);
	/* A link another session stored since the check: it is in the way now. */
	if (ret == 1) {
		ret = first_overlap(conn, p, rows, ids, n, bad, other, err);
		if (ret == 0)
			ret = PB_ERR_REFUSED;
	}
out:
	for (c = 0; c < 5; c++)
		pb_buf_release(&a[c]);
	free(idbuf);
	free(ids);
	return ret;
}
