/* Conversion rates: one per month and currency pair, loaded from CSV, frozen with the month's invoice. */
#ifndef PB_RATES_H
#define PB_RATES_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "buf.h"
#include "money.h"

struct pb_input;

/*
 * Opens the rates file at path ('-': standard input) for pb_rates_load, before the database is reached: one that
 * cannot be opened is bad input whether or not the database is up. Returns 0, or PB_ERR_DATA with err set.
 */
int pb_rates_open(const char *path, struct pb_input **in, struct pb_buf *err);

/*
 * Loads the rates of the CSV file in (pb_rates_open's, freed here; header month,from,to,rate; month YYYY-MM, ISO 4217
 * codes, an exact decimal rate from 1E-18 to less than 1E+20) in one transaction, sent with one COPY: a pair already
 * loaded for the month takes the new rate. Says what it did on out. A file of no rate (a header alone) is bad data,
 * "FILE:1:1: a header and no rate: ...". Returns 0; PB_ERR_DATA with one line
 * "FILE:LINE:COL: what" in err per bad line (the first 20, in the file's order), then, when there are more than one, a
 * last line "FILE: N bad lines: nothing loaded"; PB_ERR_REFUSED when a month is frozen (its invoice issued); or
 * PB_ERR_DEPENDENCY.
 */
int pb_rates_load(PGconn *conn, struct pb_input *in, const char *by, FILE *out, struct pb_buf *err);

/* Prints the rates (of *month only, every month's when month is NULL) as CSV on out. Returns 0, or PB_ERR_DEPENDENCY.
 */
int pb_rates_list(PGconn *conn, const int32_t *month, FILE *out, struct pb_buf *err);

/* The rates of one month, for conversion. */
struct pb_rate {
	char from[4], to[4];
	struct pb_decimal rate;
};

struct pb_rates {
	struct pb_rate *r;
	size_t n;
	int32_t month;
};

/* Reads month's rates. Returns 0, or PB_ERR_DEPENDENCY. Release with pb_rates_release. */
int pb_rates_read(PGconn *conn, int32_t month, struct pb_rates *rates, struct pb_buf *err);

/*
 * amount in currency from, in currency to: unchanged when they are the same, else amount x the month's
 * rate, exact and rounded half-to-even to 18 places once. Returns 0, PB_ERR_DATA with "no conversion
 * rate from EUR to USD for 2026-10: load one with pb-aggregate rates --load FILE" in err, or
 * PB_ERR_DATA for a result out of range.
 */
int pb_rates_convert(const struct pb_rates *rates, const char *from, const char *to, pb_money amount, pb_money *out,
		     struct pb_buf *err);

void pb_rates_release(struct pb_rates *rates);

#endif
