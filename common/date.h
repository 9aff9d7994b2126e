/* Calendar dates as day numbers (days since 1970-01-01), parsed and printed without the C library's time zone state. */
#ifndef PB_DATE_H
#define PB_DATE_H

#include <stddef.h>
#include <stdint.h>

/* Day number of a proleptic Gregorian date; no range check (see pb_date_valid). */
int32_t pb_date_from_ymd(int y, int m, int d);
void pb_date_to_ymd(int32_t days, int *y, int *m, int *d);
/* 1 when y-m-d is a real date with 1 <= y <= 9999. */
int pb_date_valid(int y, int m, int d);

/*
 * Parses an ISO 8601 date or timestamp and gives the UTC day it falls on:
 * YYYY-MM-DD, optionally followed by 'T' or ' ', HH:MM[:SS[.fraction]] and Z, +HH:MM, -HH:MM, +HHMM or
 * +HH, a zone from -12:00 to +14:00. A timestamp without a zone is taken as UTC. Returns 0, or -1 if the text is
 * anything else or its zone moves it out of the years 0001 to 9999.
 */
int pb_date_parse_iso(const char *s, size_t len, int32_t *days);

/*
 * A US date, MM/DD/YYYY with one- or two-digit month and day (Azure cost exports). Never day-first:
 * 13/01/2026 is an error, not January 13. Returns 0 or -1.
 */
int pb_date_parse_us(const char *s, size_t len, int32_t *days);

/* pb_date_parse_iso for text that starts YYYY-, else pb_date_parse_us: either form, per value. */
int pb_date_parse_any(const char *s, size_t len, int32_t *days);

/* Exactly YYYY-MM (*days: the month's first day) or exactly YYYY-MM-DD, nothing before or after. 0 or -1. */
int pb_date_parse_month(const char *s, int32_t *days);
int pb_date_parse_day(const char *s, int32_t *days);

/* Writes YYYY-MM-DD and a NUL into buf (11 bytes). */
void pb_date_format(int32_t days, char *buf);

/*
 * The months the programs take. The last: the end of 9999-12 (the first day of the month after it) has no
 * YYYY-MM-DD, so its invoice's billing period, its FOCUS dataset's and its AWS manifest's name could not be written.
 * The first: year 0000 has no day in PostgreSQL's calendar (year 1 BC follows AD 1). A month or day of year 0000 is
 * written as any other, so it is out of range, not malformed, as one of 9999-12 is. Given on the command line, either
 * is a usage error said with PB_DATE_OUT_OF_RANGE (its arguments: the option, the value, pb_date_bound).
 */
#define PB_DATE_FIRST_MONTH "0001-01"
#define PB_DATE_LAST_MONTH "9999-11"
#define PB_DATE_OUT_OF_RANGE "%s %s is out of range: %s"
/* 1 when the month that days falls in is after PB_DATE_LAST_MONTH. */
int pb_date_after_last_month(int32_t days);

/* The forms pb_date_read takes: YYYY-MM, YYYY-MM-DD. */
enum pb_date_form { PB_DATE_MONTH, PB_DATE_DAY };

/* What pb_date_read made of a text. */
enum pb_date_case {
	PB_DATE_OK,	       /* a day in a month from PB_DATE_FIRST_MONTH to PB_DATE_LAST_MONTH */
	PB_DATE_MALFORMED,     /* not the form, or no such day in any year (2026-13, 0000-02-30, 10000-01) */
	PB_DATE_BEFORE_FIRST,  /* a real day of year 0000 */
	PB_DATE_AFTER_LAST,    /* a real day of 9999-12 */
	PB_DATE_PAST_CALENDAR, /* a timestamp of 9999-12-31 that its time zone moves to 10000-01-01 */
};

/*
 * Reads s (len characters, exactly the form, nothing before or after) as a month (*days: its first day) or a day,
 * and says which case it is. *days is set in every case but PB_DATE_MALFORMED: a day of year 0000 is given as the
 * proleptic Gregorian calendar counts it (0000-01-01 is -719528). What is out of range is said with pb_date_bound.
 */
enum pb_date_case pb_date_read(const char *s, size_t len, enum pb_date_form form, int32_t *days);

/*
 * pb_date_parse_iso and pb_date_parse_any as pb_date_read reads: a date or timestamp of year 0000 (or whose time zone
 * moves it there) is PB_DATE_BEFORE_FIRST, one of a day in 9999-12 PB_DATE_AFTER_LAST, one whose zone moves it past
 * 9999-12-31 PB_DATE_PAST_CALENDAR (out of range in PB_DATE_AFTER_LAST's words), *days set in every case but
 * PB_DATE_MALFORMED.
 */
enum pb_date_case pb_date_read_iso(const char *s, size_t len, int32_t *days);
enum pb_date_case pb_date_read_any(const char *s, size_t len, int32_t *days);

/*
 * For PB_DATE_BEFORE_FIRST: "the first month supported is 0001-01"; for PB_DATE_AFTER_LAST and PB_DATE_PAST_CALENDAR,
 * the last; else "".
 */
const char *pb_date_bound(enum pb_date_case c);

/* Day number of the first day of the month that days falls in. */
int32_t pb_date_month_start(int32_t days);

#endif
