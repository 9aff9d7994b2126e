/* Mapping rules: PCRE2 patterns that find a CLC alias in a partner account's name. */
#ifndef PB_RULES_H
#define PB_RULES_H

#include <stddef.h>

#include "buf.h"

/*
 * Bounds on one match, so that a pattern that backtracks catastrophically (^(a+)+$) stops at once with
 * an error instead of running for hours: PCRE2's match limit, depth limit and heap limit (KiB).
 */
#define PB_RULES_MATCH_LIMIT 100000
#define PB_RULES_DEPTH_LIMIT 1000
#define PB_RULES_HEAP_LIMIT 4096

struct pb_rules;

/*
 * Compiles rules from len bytes of text (name is used in messages). One rule per line: an optional vendor
 * prefix "aws:" or "azure:" followed by blanks, then a PCRE2 pattern (UTF mode) with a named group
 * "alias"; blank lines and lines starting with '#' are skipped. Returns 0 and *out (free with
 * pb_rules_free), or PB_ERR_DATA with "NAME:LINE:COL: what" in err.
 */
int pb_rules_parse(const char *name, const char *text, size_t len, struct pb_rules **out, struct pb_buf *err);

/* pb_rules_parse on the file at path, read by pb_conf_read: 0, or its error or pb_rules_parse's. */
int pb_rules_load(const char *path, struct pb_rules **out, struct pb_buf *err);

/*
 * Matches name (a partner account of vendor, PB_VENDOR_AWS or PB_VENDOR_AZURE) against the rules in
 * order. Returns 1 with the first matching rule's alias group, upper-cased, in alias and its line in
 * *line; 0 when no rule matches; PB_ERR_DATA with "NAME:LINE: pattern exceeded the match limit
 * on 'NAME'" (or another matching error) in err.
 */
int pb_rules_match(struct pb_rules *r, int vendor, const char *name, struct pb_buf *alias, size_t *line,
		   struct pb_buf *err);

/* The name the rules were loaded under (their file). Owned by r. */
const char *pb_rules_name(const struct pb_rules *r);

/* Frees the rules. Accepts NULL. */
void pb_rules_free(struct pb_rules *r);

#endif
