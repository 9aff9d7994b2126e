/* Links between partner accounts and CLC accounts; PostgreSQL's exclusion constraint keeps them from overlapping. */
#include "link.h"

#include <ctype.h>
#include <stdint.h>
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
	if (res && (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK)) {
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

/*
 * The rows of pg_temp.pb_link_rows with n below $1 and not in pg_temp.pb_link_bad that overlap a link in the
 * database: into pg_temp.pb_link_bad (refused: the code is $2), their message said when they are reported.
 * A row refused already is left out by the key of pg_temp.pb_link_bad, not by a NOT EXISTS of the table being
 * inserted into: planned for the table as it was (empty, say), that read every row inserted so far for each
 * row, quadratic in the rows refused.
 */
#define IN_DATABASE                                                                                             \
	"INSERT INTO pg_temp.pb_link_bad (n, line, col, code, vendor, id, f, t) SELECT r.n, r.line, r.col_id, " \
	"$2::integer, r.vendor, r.id, r.f, r.t FROM pg_temp.pb_link_rows r WHERE r.n < $1::bigint AND EXISTS "  \
	"(SELECT 1 FROM pb.partner_account pa WHERE pa.vendor = r.vendor AND pa.partner_account_id = r.id AND " \
	"pa.validity && daterange(r.f, r.t, '[]')) ON CONFLICT (n) DO NOTHING"

/*
 * The rows left that overlap an earlier row left, in the order of n: into pg_temp.pb_link_bad (code $2), with
 * their days as pg_temp.pb_link_rows_in numbers them. The rows of partner accounts that have more than one go
 * into pg_temp.pb_link_rows_in, whose exclusion constraint keeps their days from overlapping, in the order of
 * n, and a row that overlaps one before it is left out: the rows left out are those that overlap an earlier
 * row that went in, as if each row were added alone and a refused one were not there. n log n, in the server,
 * whatever the rows.
 *
 * Each partner account k gets its own stretch of numbers, k * 10^8 on, where its rows' days lie (any day of
 * years 0 to 9999 is between 10^6 and 10^8 - 1 from 1970-01-01 + 10^6): an overlap of two rows of one account
 * is one of their ranges there, and ranges of numbers alone keep the index quick however many rows one partner
 * account has. The index holds n too (two rows never have the same n: the constraint is the one of their
 * days), so that pb_link_bad_select finds the first row that went in that a refused one overlaps by walking
 * it in the order of n (btree_gist's <->), not by reading every row it overlaps.
 */
#define IN_FILE                                                                                                        \
	"WITH c AS MATERIALIZED (SELECT r.*, int8range(a.k * 100000000 + (r.f - date '1970-01-01') + 1000000, a.k * "  \
	"100000000 + coalesce(r.t - date '1970-01-01' + 1000000, 99999999), '[]') AS during FROM "                     \
	"pg_temp.pb_link_rows r JOIN (SELECT vendor, id, row_number() OVER () AS k FROM pg_temp.pb_link_rows l "       \
	"WHERE l.n < $1::bigint AND NOT EXISTS (SELECT 1 FROM pg_temp.pb_link_bad b WHERE b.n = l.n) GROUP BY "        \
	"vendor, id HAVING count(*) > 1) a USING (vendor, id) WHERE r.n < $1::bigint AND NOT EXISTS (SELECT 1 FROM "   \
	"pg_temp.pb_link_bad b WHERE b.n = r.n)), went AS (INSERT INTO pg_temp.pb_link_rows_in SELECT n, during, "     \
	"alias, f, t, line FROM c ORDER BY n ON CONFLICT DO NOTHING RETURNING n) INSERT INTO pg_temp.pb_link_bad (n, " \
	"line, col, code, vendor, id, f, t, during) SELECT c.n, c.line, c.col_id, $2::integer, c.vendor, c.id, c.f, "  \
	"c.t, c.during FROM c WHERE NOT EXISTS (SELECT 1 FROM went WHERE went.n = c.n)"

/* Until the transaction ends, btree_gist's operators are found wherever migration 003 put it. */
#define USE_BTREE_GIST                                                                                            \
	"SELECT set_config('search_path', concat_ws(', ', nullif(current_setting('search_path'), ''), "           \
	"quote_ident(s.nspname)), true) FROM pg_extension e JOIN pg_namespace s ON s.oid = e.extnamespace WHERE " \
	"e.extname = 'btree_gist'"

int pb_link_check_rows(PGconn *conn, int64_t limit, struct pb_buf *err)
{
	char limit_s[24], code_s[8];
	const char *p[2] = {limit_s, code_s};

	snprintf(limit_s, sizeof(limit_s), "%lld", (long long)(limit < 0 ? INT64_MAX : limit));
	snprintf(code_s, sizeof(code_s), "%d", PB_ERR_REFUSED);
	if (pb_db_exec(
		    conn,
		    "CREATE TEMP TABLE IF NOT EXISTS pb_link_rows_in (n bigint, during int8range, alias text, f date, "
		    "t date, line bigint, EXCLUDE USING gist (during WITH &&, n WITH <>)) ON COMMIT DROP",
		    0, NULL, err) < 0 ||
	    pb_db_exec(conn, USE_BTREE_GIST, 0, NULL, err) < 0 ||
	    pb_db_exec(conn, "TRUNCATE pg_temp.pb_link_rows_in", 0, NULL, err) < 0 ||
	    pb_db_exec(conn, "DELETE FROM pg_temp.pb_link_bad WHERE msg IS NULL", 0, NULL, err) < 0 ||
	    pb_db_exec(conn, IN_DATABASE, 2, p, err) < 0 || pb_db_exec(conn, IN_FILE, 2, p, err) < 0)
		return PB_ERR_DEPENDENCY;
	return 0;
}

/*
 * Says a refused row as describe_overlap says a link in the way (the link in the database that starts first),
 * or names the first earlier row it overlaps, among those that went in: found through the index of their days
 * and n, in the order of n (n <-> 0), as soon as one is found.
 */
const char pb_link_bad_select[] =
	"SELECT b.n, b.line, b.col, b.code, coalesce(b.msg, format('%s partner account %s ', b.vendor, b.id) || CASE "
	"WHEN d.alias IS NOT NULL THEN format('is linked to %s from %s%s already', d.alias, d.f, CASE WHEN d.t IS "
	"NULL THEN ' (open-ended)' ELSE ' to ' || d.t END) WHEN o.alias IS NOT NULL THEN format('is linked to %s "
	"from %s%s on line %s already', o.alias, o.f, CASE WHEN o.t IS NULL THEN ' (open-ended)' ELSE ' to ' || o.t "
	"END, o.line) ELSE 'is linked to another account in that period' END || ': a partner account maps to one CLC "
	"account at a time') FROM (SELECT * FROM pg_temp.pb_link_bad ORDER BY n LIMIT $1::bigint) b LEFT JOIN "
	"LATERAL (SELECT pa.alias, pa.valid_from AS f, pa.valid_to AS t FROM pb.partner_account pa WHERE b.msg IS "
	"NULL AND b.during IS NULL AND pa.vendor = b.vendor AND pa.partner_account_id = b.id AND pa.validity && "
	"daterange(b.f, b.t, '[]') ORDER BY pa.valid_from LIMIT 1) d ON true LEFT JOIN LATERAL (SELECT i.alias, i.f, "
	"i.t, i.line FROM pg_temp.pb_link_rows_in i WHERE b.during IS NOT NULL AND i.during && b.during AND i.n < "
	"b.n ORDER BY i.n <-> 0::bigint LIMIT 1) o ON true ORDER BY b.n";

int pb_link_store_rows(PGconn *conn, const char *origin, const char *by, struct pb_buf *err)
{
	const char *p[2] = {origin, by};

	/*
	 * In the order of partner account and first day, whatever the file's: two imports of the same partner
	 * accounts then meet at the same row first, and the second waits for the first instead of each waiting
	 * for the other (a deadlock). Nothing comes back to the client but the count, whatever the rows.
	 */
	return insert_links(conn,
			    "INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, valid_to, "
			    "origin, created_by) SELECT r.vendor, r.id, r.alias, r.f, r.t, $1, $2 FROM "
			    "pg_temp.pb_link_rows r ORDER BY r.vendor COLLATE \"C\", r.id COLLATE \"C\", r.f",
			    2, p, NULL, err);
}
