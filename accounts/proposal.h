/*
 * Links proposed from text customers control (account, subscription and customer names, resource tags):
 * pb.link_proposal. A proposal links nothing until a person approves it.
 */
#ifndef PB_PROPOSAL_H
#define PB_PROPOSAL_H

#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"
#include "eligconf.h"

/* What a mapping rule proposed, and from what. */
struct pb_proposal_in {
	const char *vendor, *partner_account_id, *alias;
	const char *rule;	 /* "RULES:LINE" */
	const char *kind, *name; /* the evidence: a kind of pb.partner_account_name, and the name */
	int32_t month;		 /* the day number of the month's first day */
};

/*
 * Records the proposal, or refreshes the open one of the same partner account and alias (its rule and
 * evidence become these, its month the earlier one). A pair that was rejected before is not proposed
 * again: then *rejected is set. Appends the proposal's id to id. Returns 0 or PB_ERR_DEPENDENCY. Runs in
 * the caller's transaction, if any.
 */
int pb_proposal_record(PGconn *conn, const struct pb_proposal_in *p, struct pb_buf *id, int *rejected,
		       struct pb_buf *err);

/* Checks a proposal id as given on a command line (digits): 0, or PB_ERR_DATA with a message. */
int pb_proposal_check_id(const char *id, struct pb_buf *err);

/*
 * Appends the proposals to out as CSV with a header line (id, status, vendor, partner_account_id, alias,
 * month, rule, evidence_kind, evidence, decided_by, decided_at, reason, created_at), every one or those
 * of status (NULL: all), by id. Returns 0 or PB_ERR_DEPENDENCY.
 */
int pb_proposal_list(PGconn *conn, const char *status, struct pb_buf *out, struct pb_buf *err);

/*
 * Approves proposal id: links its partner account to its alias from day from (has_from unset: the first
 * day of the proposal's month), open-ended, and records by as who decided, all in one transaction (the
 * connection must not be in one). Eligibility is enforced as pb-accounts link enforces it. Appends what
 * was done to out, one line. Returns 0; PB_ERR_DATA (no such proposal, no such account); PB_ERR_REFUSED
 * (decided already, or a link of the partner account in the way: err says which; or not eligible: a line
 * per failing rule in reasons, the proposal's vendor and alias in vendor and alias, 8 bytes each); or
 * PB_ERR_DEPENDENCY.
 */
int pb_proposal_approve(PGconn *conn, const struct pb_eligibility *e, const char *id, int32_t from, int has_from,
			const char *by, char *vendor, char *alias, struct pb_buf *out, struct pb_buf *reasons,
			struct pb_buf *err);

/*
 * Rejects proposal id for reason, recording by. Appends what was done to out, one line. Returns 0;
 * PB_ERR_DATA (no such proposal); PB_ERR_REFUSED (decided already); or PB_ERR_DEPENDENCY.
 */
int pb_proposal_reject(PGconn *conn, const char *id, const char *by, const char *reason, struct pb_buf *out,
		       struct pb_buf *err);

#endif
