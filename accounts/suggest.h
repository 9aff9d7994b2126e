/* Proposing CLC aliases for unmapped partner accounts from their names, and linking them. */
#ifndef PB_SUGGEST_H
#define PB_SUGGEST_H

#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"
#include "eligibility.h"
#include "rules.h"

/*
 * Matches the rules against the names of the partner accounts of month's committed imports that no link
 * covers on any day of the month (month: the day number of its first day). Without apply, appends to out
 * one CSV row per name: vendor,partner_account_id,name,alias,rule (alias and rule empty when no rule
 * matched). With apply, links each account whose names propose one alias from month's first day, open-ended
 * (eligibility enforced, origin "suggest RULES:LINE", recorded as by), appends "linked ..." lines and a
 * summary to out, and a line per refusal to refused. Every name is matched before anything is linked.
 * Returns 0; PB_ERR_REFUSED when something was refused; PB_ERR_DATA when a rule failed to
 * match (the match limit), nothing linked; or PB_ERR_DEPENDENCY.
 */
int pb_suggest(PGconn *conn, struct pb_rules *rules, const struct pb_eligibility *e, int32_t month, int apply,
	       const char *by, struct pb_buf *out, struct pb_buf *refused, struct pb_buf *err);

#endif
