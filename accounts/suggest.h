/* Proposing CLC aliases for unmapped partner accounts from their names; linking the tenants the reseller made. */
#ifndef PB_SUGGEST_H
#define PB_SUGGEST_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "buf.h"
#include "eligibility.h"
#include "rules.h"

/*
 * Matches the rules against the names of the partner accounts of month's committed imports that no link
 * covers on any day of the month (month: the day number of its first day), and records what they propose
 * as proposals (pb_proposal_record, the rule as "RULES:LINE", each partner account and alias once) in one
 * transaction: names and tags are the customer's to write, so a rule only proposes. The names are read from
 * a cursor, a thousand at a time, and taken in their order: the memory is the same whatever their number.
 * Without apply, writes to csv (a temporary file: what it holds is the output only when 0 is returned) the
 * header and one CSV row per name: vendor,partner_account_id,name,alias,rule,proposal,status (alias
 * to status empty when no rule matched; status proposed, or rejected for a pair rejected before). With
 * apply, first links what the reseller itself assigned: each tenant create-azure-customer made that the
 * month's imports bill, to its account from month's first day, open-ended (eligibility enforced, recorded
 * as by), appending a "linked ..." line each to out and a line per refusal to refused; then records the
 * proposals of the other accounts and appends a summary line. Every name is matched before anything is
 * recorded or linked. Returns 0; PB_ERR_REFUSED when a link was refused; PB_ERR_DATA when a rule failed
 * to match (the match limit), nothing recorded; or PB_ERR_DEPENDENCY.
 */
int pb_suggest(PGconn *conn, struct pb_rules *rules, const struct pb_eligibility *e, int32_t month, int apply,
	       const char *by, FILE *csv, struct pb_buf *out, struct pb_buf *refused, struct pb_buf *err);

#endif
