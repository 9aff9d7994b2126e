/* Who may be offered a vendor's services: the allowed countries per vendor (a config file) and the rules. */
#ifndef PB_ELIGIBILITY_H
#define PB_ELIGIBILITY_H

#include <stddef.h>

#include <libpq-fe.h>

#include "buf.h"

/* The vendors, in the order of pb_eligibility's arrays. */
enum { PB_VENDOR_AWS, PB_VENDOR_AZURE, PB_NVENDORS };
extern const char *const pb_vendor_names[PB_NVENDORS];

/* PB_VENDOR_AWS or PB_VENDOR_AZURE for "aws" or "azure", else -1. */
int pb_vendor_index(const char *name);

#define PB_ELIGIBILITY_MAX_COUNTRIES 256

/* The allowed billing countries of each vendor, as the config file lists them. */
struct pb_eligibility {
	char countries[PB_NVENDORS][PB_ELIGIBILITY_MAX_COUNTRIES][3];
	size_t ncountries[PB_NVENDORS];
};

/*
 * Finds the config file: option when not NULL, else PB_ELIGIBILITY_CONFIG, else config/eligibility.conf
 * in the current folder (a work tree), else share/partnerbill/eligibility.conf next to the folder holding
 * the running program (an installation). Sets path. Returns 0, or PB_ACCOUNT_ERR_USAGE with a message
 * naming the places looked in.
 */
int pb_eligibility_find(const char *option, struct pb_buf *path, struct pb_buf *err);

/*
 * Reads the config from len bytes of text (name is used in messages): lines "VENDOR = CC CC ...", '#'
 * comments and blank lines; every vendor must have a line, which may list no country. Returns 0, or
 * PB_ACCOUNT_ERR_DATA with "NAME:LINE:COL: what" in err.
 */
int pb_eligibility_parse(struct pb_eligibility *e, const char *name, const char *text, size_t len, struct pb_buf *err);

/* pb_eligibility_parse on the file at path. Returns 0 or PB_ACCOUNT_ERR_DATA. */
int pb_eligibility_load(struct pb_eligibility *e, const char *path, struct pb_buf *err);

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
 * Reads the facts about alias for vendor. Returns 0, PB_ACCOUNT_ERR_DATA ("no CLC account 'X'") or
 * PB_ACCOUNT_ERR_DEPENDENCY.
 */
int pb_eligibility_facts(PGconn *conn, const char *alias, int vendor, struct pb_eligibility_facts *f,
			 struct pb_buf *err);

/*
 * Applies every rule and appends one line per failing rule to reasons ("reseller accounts are excluded",
 * "customer of reseller RSL1", "billing country FR is not among azure's allowed countries (US, GB)",
 * "terms not accepted: centurylink", "terms not accepted: azure in region US"). Returns how many failed.
 */
int pb_eligibility_check(const struct pb_eligibility *e, int vendor, const struct pb_eligibility_facts *f,
			 struct pb_buf *reasons);

/*
 * pb_eligibility_facts then pb_eligibility_check. Returns 0 when eligible, PB_ACCOUNT_ERR_REFUSED with
 * one line per failing rule in reasons, or the error of pb_eligibility_facts.
 */
int pb_eligibility_of(PGconn *conn, const struct pb_eligibility *e, const char *alias, int vendor,
		      struct pb_buf *reasons, struct pb_buf *err);

#endif
