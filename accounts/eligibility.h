/* Who may be offered a vendor's services: the allowed countries per vendor (a config file) and the rules. */
#ifndef PB_ELIGIBILITY_H
#define PB_ELIGIBILITY_H

#include <stddef.h>

#include <libpq-fe.h>

#include "buf.h"
#include "eligconf.h"

/* What the rules look at, read from the database by pb_eligibility_facts. */
struct pb_eligibility_facts {
	char alias[8];
	char country[3];
	int is_reseller;
	char parent_reseller[8]; /* "" when none */
	int centurylink_terms;	 /* the CenturyLink terms were accepted (any version) */
	int vendor_terms;	 /* the vendor's terms were accepted for the account's billing country */
};

/*
 * Reads the facts about alias for vendor. Returns 0, PB_ERR_DATA ("no CLC account 'X'") or
 * PB_ERR_DEPENDENCY.
 */
int pb_eligibility_facts(PGconn *conn, const char *alias, int vendor, struct pb_eligibility_facts *f,
			 struct pb_buf *err);

/*
 * pb_eligibility_facts of each of the n aliases (sorted as strcmp sorts them, each once) into f[i], in one
 * query: f[i].alias is empty when there is no such account. Returns 0 or PB_ERR_DEPENDENCY.
 */
int pb_eligibility_facts_all(PGconn *conn, const char *const *aliases, size_t n, int vendor,
			     struct pb_eligibility_facts *f, struct pb_buf *err);

/*
 * The start of a query of the facts, up to its FROM clause included ("... FROM pb.clc_account a "): $1 is the
 * vendor's name; the caller adds which accounts (a WHERE clause on a.alias) and their lock. Each row is read
 * with pb_eligibility_facts_read.
 */
extern const char pb_eligibility_facts_select[];
void pb_eligibility_facts_read(const PGresult *res, int row, struct pb_eligibility_facts *f);

/*
 * Applies every rule and appends one line per failing rule to reasons ("reseller accounts are excluded",
 * "customer of reseller RSL1", "billing country FR is not among azure's allowed countries (US, GB)",
 * "terms not accepted: centurylink", "terms not accepted: azure in region US"). Returns how many failed.
 */
int pb_eligibility_check(const struct pb_eligibility *e, int vendor, const struct pb_eligibility_facts *f,
			 struct pb_buf *reasons);

/*
 * pb_eligibility_facts then pb_eligibility_check. Returns 0 when eligible, PB_ERR_REFUSED with
 * one line per failing rule in reasons, or the error of pb_eligibility_facts.
 */
int pb_eligibility_of(PGconn *conn, const struct pb_eligibility *e, const char *alias, int vendor,
		      struct pb_buf *reasons, struct pb_buf *err);

#endif
