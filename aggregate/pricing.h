/* Pricing rules: what a CLC account pays for each kind of partner charge (config/pricing.conf). */
#ifndef PB_PRICING_H
#define PB_PRICING_H

#include <stddef.h>

#include "buf.h"

enum pb_price {
	PB_PRICE_LIST,		 /* the list cost; usage without one at its billed cost, counted in a warning */
	PB_PRICE_LIST_OR_BILLED, /* the list cost where the export has one, else the billed cost */
	PB_PRICE_BILLED,	 /* passed through at the billed value (the partner's credits and refunds) */
	PB_PRICE_EXCLUDE,	 /* not the customer's: partner tax, the reseller's earned discounts, its commitments */
};

/* One rule: vendor, charge category and charge type patterns ('*' wildcards, any case), and the price. */
struct pb_pricing_rule {
	char vendor[16], category[48], charge_type[128];
	enum pb_price price;
	char reason[48]; /* for exclude: tax, earned-discount, commitment, ... */
	unsigned line;
};

struct pb_pricing {
	struct pb_pricing_rule *rules;
	size_t n;
	char *file;	 /* where the rules were read */
	char sha256[65]; /* of the file's bytes */
};

/*
 * Parses rules from len bytes of text (name in messages): one rule a line, "VENDOR CATEGORY CHARGE_TYPE
 * PRICE [REASON]", fields separated by blanks (a field with blanks in quotation marks), PRICE one of list,
 * list-or-billed, billed, exclude (which takes a REASON); '#' starts a comment. Returns 0, or -1 with
 * "NAME:LINE:COL: what" in err. Release with pb_pricing_release.
 */
int pb_pricing_parse(struct pb_pricing *p, const char *name, const char *text, size_t len, struct pb_buf *err);

/*
 * Finds the rules (option when not NULL, else $PB_PRICING_CONFIG, else config/pricing.conf, else
 * PREFIX/share/partnerbill/pricing.conf next to the installed program), reads (pb_conf_read) and parses them.
 * Returns 0, PB_ERR_USAGE when no file is found or it was named wrong, PB_ERR_DEPENDENCY when its download
 * failed, or PB_ERR_DATA for bad rules.
 */
int pb_pricing_load(struct pb_pricing *p, const char *option, struct pb_buf *err);

/* The first rule matching the charge, or NULL when none does. */
const struct pb_pricing_rule *pb_pricing_match(const struct pb_pricing *p, const char *vendor, const char *category,
					       const char *charge_type);

/* The price's name as the rules spell it. */
const char *pb_pricing_name(enum pb_price price);

void pb_pricing_release(struct pb_pricing *p);

#endif
