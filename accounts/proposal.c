/* Proposed links: recorded by suggest, linked only when a person approves one, in the transaction that says so. */
#include "proposal.h"

#include <stdio.h>
#include <string.h>

#include "account.h"
#include "date.h"
#include "db.h"
#include "eligibility.h"
#include "exitcode.h"
#include "link.h"

#include "banned.h"

/* The format of the timestamps shown to users (UTC, to the second), a parameter of to_char. */
#define UTC_TIME "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\""

/* The longest id taken: a bigint has at most 19 digits. */
#define MAX_ID_DIGITS 18

int pb_proposal_record(PGconn *conn, const struct pb_proposal_in *in, struct pb_buf *id, int *rejected,
		       struct pb_buf *err)
{
	char month[11];
	const char *p[7] = {in->vendor, in->partner_account_id, in->alias, in->rule, in->kind, in->name, month};
	PGresult *res;

	pb_date_format(in->month, month);
	/* The open one is updated first, so that the INSERT (and its sequence) runs only for a new pair. */
	res = pb_db_query(
		conn,
		"WITH rejected AS (SELECT id FROM pb.link_proposal WHERE vendor = $1 AND "
		"partner_account_id = $2 AND alias = $3 AND status = 'rejected' ORDER BY id DESC LIMIT 1), "
		"refreshed AS (UPDATE pb.link_proposal SET rule = $4, evidence_kind = $5, evidence_name = $6, "
		"month = least(month, $7::date), updated_at = now() WHERE vendor = $1 AND partner_account_id = "
		"$2 AND alias = $3 AND status = 'proposed' AND NOT EXISTS (SELECT 1 FROM rejected) RETURNING id), "
		"made AS (INSERT INTO pb.link_proposal (vendor, partner_account_id, alias, rule, evidence_kind, "
		"evidence_name, month) SELECT $1, $2, $3, $4, $5, $6, $7::date WHERE NOT EXISTS (SELECT 1 "
		"FROM rejected) AND NOT EXISTS (SELECT 1 FROM refreshed) ON CONFLICT (vendor, "
		"partner_account_id, alias) WHERE status = 'proposed' DO UPDATE SET rule = EXCLUDED.rule, "
		"evidence_kind = EXCLUDED.evidence_kind, evidence_name = EXCLUDED.evidence_name, month = "
		"least(pb.link_proposal.month, EXCLUDED.month), updated_at = now() RETURNING id) "
		"SELECT id, false FROM refreshed UNION ALL SELECT id, false FROM made "
		"UNION ALL SELECT id, true FROM rejected",
		7, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) != 1) {
		PQclear(res);
		pb_buf_reset(err);
		pb_buf_addf(err, "recording the link proposal of %s partner account %s to %s failed: try again",
			    in->vendor, in->partner_account_id, in->alias);
		return PB_ERR_DEPENDENCY;
	}
	pb_buf_addstr(id, PQgetvalue(res, 0, 0));
	*rejected = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	return 0;
}

int pb_proposal_check_id(const char *id, struct pb_buf *err)
{
	size_t n = strspn(id, "0123456789");

	if (n && !id[n] && n <= MAX_ID_DIGITS)
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "bad link proposal id '%s': a number such as 42 (see pb-accounts proposals)", id);
	return PB_ERR_DATA;
}

int pb_proposal_list(PGconn *conn, const char *status, struct pb_buf *out, struct pb_buf *err)
{
	const char *p[2] = {status, UTC_TIME};
	PGresult *res;
	int r, c;

	res = pb_db_query(
		conn,
		"SELECT id, status, vendor, partner_account_id, alias, to_char(month, 'YYYY-MM'), rule, "
		"evidence_kind, evidence_name, decided_by, to_char(decided_at AT TIME ZONE 'UTC', $2), reason, "
		"to_char(created_at AT TIME ZONE 'UTC', $2) FROM pb.link_proposal "
		"WHERE $1::text IS NULL OR status = $1 ORDER BY id",
		2, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	pb_buf_addstr(out, "id,status,vendor,partner_account_id,alias,month,rule,evidence_kind,evidence,decided_by,"
			   "decided_at,reason,created_at\n");
	for (r = 0; r < PQntuples(res); r++) {
		for (c = 0; c < PQnfields(res); c++) {
			if (c)
				pb_buf_addch(out, ',');
			pb_account_add_shown(out, PQgetvalue(res, r, c), (size_t)PQgetlength(res, r, c), 1);
		}
		pb_buf_addch(out, '\n');
	}
	PQclear(res);
	return 0;
}

/* The columns of a proposal that approving and rejecting read, in this order. */
enum { COL_VENDOR, COL_ACCOUNT, COL_ALIAS, COL_MONTH, COL_STATUS, COL_BY, COL_AT };

/*
 * Reads proposal id (locked until the transaction ends when lock is set). Returns the row, or NULL with
 * *ret set: PB_ERR_DATA (no such proposal), PB_ERR_REFUSED (decided already), PB_ERR_DEPENDENCY.
 */
static PGresult *open_proposal(PGconn *conn, const char *id, int lock, int *ret, struct pb_buf *err)
{
	const char *p[2] = {id, UTC_TIME};
	PGresult *res;

	res = pb_db_query(
		conn,
		lock ? "SELECT vendor, partner_account_id, alias, month, status, decided_by, to_char(decided_at "
		       "AT TIME ZONE 'UTC', $2) FROM pb.link_proposal WHERE id = $1::bigint FOR UPDATE"
		     : "SELECT vendor, partner_account_id, alias, month, status, decided_by, to_char(decided_at "
		       "AT TIME ZONE 'UTC', $2) FROM pb.link_proposal WHERE id = $1::bigint",
		2, p, err);
	*ret = PB_ERR_DEPENDENCY;
	if (!res)
		return NULL;
	if (PQntuples(res) != 1) {
		pb_buf_reset(err);
		pb_buf_addf(err, "no link proposal %s", id);
		*ret = PB_ERR_DATA;
	} else if (strcmp(PQgetvalue(res, 0, COL_STATUS), "proposed") != 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "link proposal %s was %s by %s at %s already", id, PQgetvalue(res, 0, COL_STATUS),
			    PQgetvalue(res, 0, COL_BY), PQgetvalue(res, 0, COL_AT));
		*ret = PB_ERR_REFUSED;
	} else {
		*ret = 0;
		return res;
	}
	PQclear(res);
	return NULL;
}

/* Links the partner account of proposal row (of id) as approved by by; the new link's id in link_id. */
static int link_proposed(PGconn *conn, const struct pb_eligibility *e, const char *id, PGresult *row, int32_t from,
			 const char *by, struct pb_buf *link_id, struct pb_buf *reasons, struct pb_buf *err)
{
	struct pb_buf origin = PB_BUF_INIT;
	int vendor = pb_vendor_index(PQgetvalue(row, 0, COL_VENDOR)), ret;
	const char *alias = PQgetvalue(row, 0, COL_ALIAS), *account = PQgetvalue(row, 0, COL_ACCOUNT);

	ret = pb_link_check_id(vendor, account, err);
	if (ret == 0) {
		pb_buf_addf(&origin, "proposal %s", id);
		ret = pb_link_add_eligible(conn, e, vendor, account, alias, from, PB_LINK_OPEN, pb_buf_str(&origin), by,
					   link_id, reasons, err);
	}
	pb_buf_release(&origin);
	return ret;
}

int pb_proposal_approve(PGconn *conn, const struct pb_eligibility *e, const char *id, int32_t from, int has_from,
			const char *by, char *vendor, char *alias, struct pb_buf *out, struct pb_buf *reasons,
			struct pb_buf *err)
{
	struct pb_buf link_id = PB_BUF_INIT, ignore = PB_BUF_INIT;
	const char *p[3] = {id, by, NULL};
	PGresult *row = NULL;
	int ret = PB_ERR_DEPENDENCY, begun = 0;
	char day[11];

	vendor[0] = '\0';
	alias[0] = '\0';
	if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0)
		goto out;
	begun = 1;
	row = open_proposal(conn, id, 1, &ret, err);
	if (!row)
		goto out;
	snprintf(vendor, 8, "%s", PQgetvalue(row, 0, COL_VENDOR));
	snprintf(alias, 8, "%s", PQgetvalue(row, 0, COL_ALIAS));
	if (!has_from && pb_date_parse_iso(PQgetvalue(row, 0, COL_MONTH), 10, &from) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "link proposal %s: bad month '%s'", id, PQgetvalue(row, 0, COL_MONTH));
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	ret = link_proposed(conn, e, id, row, from, by, &link_id, reasons, err);
	if (ret < 0)
		goto out;
	p[2] = pb_buf_str(&link_id);
	ret = PB_ERR_DEPENDENCY;
	if (pb_db_exec(
		    conn,
		    "UPDATE pb.link_proposal SET status = 'approved', decided_by = $2, decided_at = now(), link_id = "
		    "$3::bigint, updated_at = now() WHERE id = $1::bigint",
		    3, p, err) < 0 ||
	    pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0)
		goto out;
	begun = 0;
	ret = 0;
	pb_date_format(from, day);
	pb_buf_addf(out, "approved link proposal %s: linked %s partner account %s to %s from %s (open-ended)\n", id,
		    PQgetvalue(row, 0, COL_VENDOR), PQgetvalue(row, 0, COL_ACCOUNT), alias, day);
out:
	if (begun)
		pb_db_exec(conn, "ROLLBACK", 0, NULL, &ignore);
	PQclear(row);
	pb_buf_release(&link_id);
	pb_buf_release(&ignore);
	return ret;
}

int pb_proposal_reject(PGconn *conn, const char *id, const char *by, const char *reason, struct pb_buf *out,
		       struct pb_buf *err)
{
	const char *p[3] = {id, by, reason};
	PGresult *res, *row;
	int ret;

	res = pb_db_query(
		conn,
		"UPDATE pb.link_proposal SET status = 'rejected', decided_by = $2, decided_at = now(), reason = "
		"$3, updated_at = now() WHERE id = $1::bigint AND status = 'proposed' "
		"RETURNING vendor, partner_account_id, alias",
		3, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) == 1) {
		pb_buf_addf(out, "rejected link proposal %s: %s partner account %s to %s\n", id, PQgetvalue(res, 0, 0),
			    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
		PQclear(res);
		return 0;
	}
	PQclear(res);
	/* Not open: say why (none, or decided already). */
	row = open_proposal(conn, id, 0, &ret, err);
	if (row) {
		PQclear(row);
		pb_buf_reset(err);
		pb_buf_addf(err, "link proposal %s changed while it was being rejected: try again", id);
		ret = PB_ERR_DEPENDENCY;
	}
	return ret;
}
