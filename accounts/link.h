/* Partner accounts mapped to CLC accounts over time: pb.partner_account, one CLC account at a time. */
#ifndef PB_LINK_H
#define PB_LINK_H

#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"

/* The end of a link that has none (valid_to NULL). */
#define PB_LINK_OPEN INT32_MIN

/*
 * Checks a partner account id of vendor (PB_VENDOR_AWS: 12 digits; PB_VENDOR_AZURE: a tenant or
 * subscription GUID). Returns 0, or PB_ERR_DATA with a message.
 */
int pb_link_check_id(int vendor, const char *id, struct pb_buf *err);

/*
 * Maps vendor's partner account id to alias from day from to day to (both included; PB_LINK_OPEN: no
 * end), recording origin and by, and appends the new link's id to link_id (unless NULL). The database
 * refuses an overlap with another link of the same partner account (constraint
 * partner_account_no_overlap); this returns PB_ERR_REFUSED then, naming the link in the way. Other
 * returns: 0, PB_ERR_DATA (no such account, an end before the start), PB_ERR_DEPENDENCY. Inside a
 * transaction, the insert runs under a savepoint: a refusal leaves the transaction usable.
 */
int pb_link_add(PGconn *conn, int vendor, const char *id, const char *alias, int32_t from, int32_t to,
		const char *origin, const char *by, struct pb_buf *link_id, struct pb_buf *err);

struct pb_eligibility;

/*
 * pb_link_add for an account eligible for vendor under the rules e, checked in the same transaction
 * (begun and ended here unless the caller has one) with the account's row locked, so that no change of
 * the account can come between the check and the link. Returns PB_ERR_REFUSED with one line per failing
 * rule in reasons when the account is not eligible, else what pb_link_add returns.
 */
int pb_link_add_eligible(PGconn *conn, const struct pb_eligibility *e, int vendor, const char *id, const char *alias,
			 int32_t from, int32_t to, const char *origin, const char *by, struct pb_buf *link_id,
			 struct pb_buf *reasons, struct pb_buf *err);

/*
 * Ends alias's link of vendor's partner account id that is valid on day to: it holds until to, included.
 * A link that starts the day after to held on no day: it is removed, and *removed set (a link made by
 * approving a proposal is not: PB_ERR_REFUSED, naming the proposal). Returns 0, PB_ERR_DATA when there
 * is no such link, PB_ERR_REFUSED, or PB_ERR_DEPENDENCY.
 */
int pb_link_end(PGconn *conn, int vendor, const char *id, const char *alias, int32_t to, const char *by, int *removed,
		struct pb_buf *err);

/* One link: vendor's partner account id to alias from day from to day to. */
struct pb_link_row {
	int vendor;
	char id[64];
	char alias[8];
	int32_t from, to; /* to: PB_LINK_OPEN when open-ended */
};

/*
 * Checks the rows of the session's table pg_temp.pb_link_rows (n bigint: the rows' order, line bigint, col_id
 * integer: where the row's id is, vendor, id as links keep it, alias, f date, t date: NULL when open-ended; ids
 * checked, each t on or after its f) with n below limit (-1: every row), whatever their number, in statements
 * that send nothing back, as pb_link_add would add them one at a time in the order of n: a row that overlaps a
 * link in the database, or an earlier row that was not refused, is refused. The rows the session's table
 * pg_temp.pb_link_bad (n bigint, line bigint, col integer, code integer, msg text, vendor text, id text, f date,
 * t date, during int8range) holds with a msg (refused already: another account's, say) count as not there;
 * each row refused here is added to it (code PB_ERR_REFUSED, msg NULL: pb_link_bad_select says it), after
 * those of an earlier call are removed. Returns 0 or PB_ERR_DEPENDENCY.
 */
int pb_link_check_rows(PGconn *conn, int64_t limit, struct pb_buf *err);

/*
 * A query of the first $1 rows of pg_temp.pb_link_bad, in the order of n, after pb_link_check_rows: n, line,
 * col, code and the message (msg, or for an overlap what pb_link_add says of the link in the way, or the line of
 * the earlier row, the first it overlaps: "aws partner account 111111111111 is linked to ACME1 from 2026-10-01
 * (open-ended) on line 4 already: a partner account maps to one CLC account at a time").
 */
extern const char pb_link_bad_select[];

/*
 * Inserts every row of pg_temp.pb_link_rows as a link (origin and by recorded), in one statement under a
 * savepoint when in a transaction. Returns 0; 1 when a link another session stored since the check is in the
 * way (nothing inserted, the database's message in err); or PB_ERR_DEPENDENCY.
 */
int pb_link_store_rows(PGconn *conn, const char *origin, const char *by, struct pb_buf *err);

#endif
