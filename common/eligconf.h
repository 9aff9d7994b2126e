/* The eligibility config: the billing countries each vendor may be offered to, read by pb-accounts and pb-aggregate. */
#ifndef PB_ELIGCONF_H
#define PB_ELIGCONF_H

#include <stddef.h>

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
 * the running program (an installation). Sets path. Returns 0, or PB_ERR_USAGE with a message
 * naming the places looked in.
 */
int pb_eligibility_find(const char *option, struct pb_buf *path, struct pb_buf *err);

/*
 * Reads the config from len bytes of text (name is used in messages): lines "VENDOR = CC CC ...", '#'
 * comments and blank lines; every vendor must have a line, which may list no country, and every country
 * must be an assigned ISO 3166-1 code (pb_country_valid; UK is refused naming GB). Returns 0, or
 * PB_ERR_DATA with "NAME:LINE:COL: what" in err.
 */
int pb_eligibility_parse(struct pb_eligibility *e, const char *name, const char *text, size_t len, struct pb_buf *err);

/*
 * pb_eligibility_parse on the file at path, read by pb_conf_read. Returns 0, or pb_conf_read's or
 * pb_eligibility_parse's error.
 */
int pb_eligibility_load(struct pb_eligibility *e, const char *path, struct pb_buf *err);

#endif
