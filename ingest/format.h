/* The export formats behind one interface: binding a header, converting a record, and what was noticed. */
#ifndef PB_FORMAT_H
#define PB_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "csv.h"
#include "date.h"
#include "reduce.h"

#define PB_MAX_UNKNOWN 32

/* How many header names a column may go by. */
#define PB_MAX_ALT 4

/*
 * Finds each of n columns in the header record c by its candidate names (names[k][0..PB_MAX_ALT), ended
 * by NULL; ASCII case-insensitive): alt[k] gets the indexes found, in order of preference, then -1.
 * Returns 0, or -1 when a name read is in the header twice (err says so, *field is the second one).
 */
int pb_find_columns(const struct pb_csv *c, const char *const (*names)[PB_MAX_ALT], int n, long (*alt)[PB_MAX_ALT],
		    struct pb_buf *err, size_t *field);

/* Writes every index alt holds for n columns into out (n * PB_MAX_ALT room); returns the count. */
size_t pb_found_columns(const long (*alt)[PB_MAX_ALT], int n, size_t *out);

/* The first non-empty field among a column's candidates alt (from pb_find_columns), or "". */
struct pb_text pb_first_text(const struct pb_csv *c, const long *alt);

/* What a file's lines showed beyond their values: counted per part, merged per file. */
struct pb_format_stats {
	uint64_t lines;	     /* lines converted */
	uint64_t rounded;    /* amounts rounded beyond 18 decimal places */
	uint64_t no_invoice; /* AWS: lines without bill/InvoiceId (the report is not final) */
	uint64_t no_list;    /* lines without a list price (list cost left empty) */
	uint64_t priced;     /* lines without one in the export that a price list priced */
	struct {
		char name[64];
		uint64_t count;
	} unknown[PB_MAX_UNKNOWN]; /* charge types not in the table, kept under their own name */
	size_t nunknown;
	uint64_t unknown_other; /* lines of unknown types past the table */
};

/* Counts count lines of the unknown charge type t (n bytes). */
void pb_stats_unknown(struct pb_format_stats *s, const char *t, size_t n, uint64_t count);

/*
 * A line's category: cat, the category its charge type is known by, else (cat NULL) the charge type itself
 * (type, n bytes), counted in s as an unknown one.
 */
struct pb_text pb_stats_category(struct pb_format_stats *s, const char *cat, const char *type, size_t n);

void pb_stats_merge(struct pb_format_stats *dst, const struct pb_format_stats *src);
void pb_stats_reset(struct pb_format_stats *s);

/* The warnings a file's statistics call for, one line each on out, as "PROG: NAME: warning: ...". */
void pb_stats_warn(FILE *out, const char *prog, const char *name, const struct pb_format_stats *s);

/*
 * Quotes at most 40 bytes of a bad value into err (and "..." when there are more), so one wild field cannot
 * flood the terminal; a control character, a byte order mark and a byte that is not UTF-8 are written
 * \xHH (and a backslash \\), so that the message shows them and stays UTF-8.
 */
void pb_add_quoted_value(struct pb_buf *err, const char *ptr, size_t len);

/* "bad WHAT "VALUE" in PLACE 'NAME'" added to err (PLACE: column or member), the value quoted as above. */
void pb_bad_value_add(struct pb_buf *err, const char *what, const char *ptr, size_t len, const char *place,
		      const char *name);

/*
 * A date or timestamp of year 0000 (pb_date_read_iso or pb_date_read_any said PB_DATE_BEFORE_FIRST), written as
 * any other, is out of range as a month of that year given as an option is, and so is one whose zone moves it past
 * 9999-12-31 (PB_DATE_PAST_CALENDAR): "WHAT "VALUE" in PLACE 'NAME' is out of range: " and pb_date_bound(c) into
 * err, emptied first (PLACE: column or member). Returns -1.
 */
int pb_date_range_error(struct pb_buf *err, enum pb_date_case c, const char *what, const char *ptr, size_t len,
			const char *place, const char *name);
/* The same message added to what err holds (a manifest's address, which it is in). Returns -1. */
int pb_date_range_add(struct pb_buf *err, enum pb_date_case c, const char *what, const char *ptr, size_t len,
		      const char *place, const char *name);

/* 1 when the field is a GUID (8-4-4-4-12 hexadecimal digits, either case). */
int pb_valid_guid(const char *ptr, size_t len);

/* 1 when the field is an AWS account id: exactly 12 digits. */
int pb_valid_aws_account(const char *ptr, size_t len);

/* 1 when the field is three capital letters (an ISO 4217 code). */
int pb_valid_currency(const char *ptr, size_t len);

/*
 * An Azure id (tenant, subscription) in the one case links use: a GUID with capital hex digits is copied
 * into buf in lowercase and returned from there; anything else is returned as it is.
 */
struct pb_text pb_azure_id(struct pb_text t, char buf[40]);

/*
 * The one month rule of an import of month (the day number of its first day), in --summary and when
 * storing alike: every line's billing month is the import's, and its usage date is not after that month
 * (nor, for AWS, before it: Azure periods take late usage). Returns 0, or -1 with the reason in msg and
 * *usage_field set when the usage date is at fault (else the billing period is).
 */
int pb_month_check(int32_t month, int aws, const struct pb_usage *u, struct pb_buf *msg, int *usage_field);

/* Case-insensitive comparison of a field with a NUL-terminated name. */
int pb_text_is(const char *ptr, size_t len, const char *name);

#endif
