/* Links between partner accounts and CLC accounts; PostgreSQL's exclusion constraint keeps them from overlapping. */
#include "link.h"

#include <ctype.h>
#include <stdio.h>
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
 * The INSERT of a link (p: vendor, id, alias, from, to, origin, by), straight to libpq: the SQLSTATE tells
 * an overlap from any other failure. Inside a transaction it runs under a savepoint, so that the
 * transaction lives on to say which link is in the way. Appends the new link's id to link_id (if not NULL).
 */
static int insert_link(PGconn *conn, const char *const *p, struct pb_buf *link_id, struct pb_buf *err)
{
	struct pb_buf ignore = PB_BUF_INIT;
	int in_tx = PQtransactionStatus(conn) == PQTRANS_INTRANS, ret = PB_ERR_DEPENDENCY;
	const char *state, *msg;
	PGresult *res = NULL;

	if (in_tx && pb_db_exec(conn, "SAVEPOINT pb_link_add", 0, NULL, err) < 0)
		goto out;
	res = PQexecParams(conn,
			   "INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, valid_to, "
			   "origin, created_by) VALUES ($1, $2, $3, $4::date, $5::date, $6, $7) RETURNING id",
			   7, NULL, p, NULL, NULL, 0);
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
		if (link_id)
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
	if (state && strcmp(state, EXCLUSION_VIOLATION) == 0) {
		const char *q[4] = {p[0], p[1], p[3], p[4]};

		ret = describe_overlap(conn, q, err);
	}
out:
	PQclear(res);
	pb_buf_release(&ignore);
	return ret;
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
