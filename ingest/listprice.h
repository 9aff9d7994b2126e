/*
 * List prices from the loaded price lists (pb-prices), for the usage lines whose export leaves theirs out:
 * read into memory once per run, then looked up per line by its meter or SKU and its usage date.
 */
#ifndef PB_LISTPRICE_H
#define PB_LISTPRICE_H

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "reduce.h"

struct pb_listprice;

/* Why a line found no price, counted per reason (pb_listprice_report); 0 is a price found. */
enum pb_listprice_miss {
	PB_MISS_KEY = 1,   /* the line names no meter or SKU (nor an AWS usage type and operation) */
	PB_MISS_QUANTITY,  /* the line has no quantity */
	PB_MISS_METER,	   /* no price list holds the meter or SKU */
	PB_MISS_DATE,	   /* none holds a price of it in force on the usage date */
	PB_MISS_REGION,	   /* the meter has prices in several regions, none the line's */
	PB_MISS_NO_REGION, /* the meter has prices in several regions, and the line names none */
	PB_MISS_UNIT,	   /* the prices are per another unit of measure than the line's quantity */
	PB_MISS_NO_UNIT,   /* the line gives no unit, and the price is per more (or other) than one of its base */
	PB_MISS_CURRENCY,  /* the price's currency is not the line's, and the line gives no rate for it */
	PB_MISS_AMBIGUOUS, /* an AWS usage type and operation that SKUs of different prices share */
	PB_MISS_RANGE,	   /* the cost leaves the range of amounts */
	PB_MISS_TIER,	   /* the line's quantity falls below the lowest tier of the price */
	PB_MISS_TIERS,	   /* the price has more tiers than a lookup holds */
	PB_NMISS
};

/*
 * The price lookups of one run of vendor ("aws" or "azure"): the prices in force on some day from first to
 * last (day numbers) are read from conn the first time a line needs one, so that a run whose lines all carry
 * their list cost reads none. Returns NULL when memory cannot be had; free with pb_listprice_free (NULL is
 * fine). Not thread-safe: one reader at a time, and conn is not used by anyone else meanwhile.
 */
struct pb_listprice *pb_listprice_new(PGconn *conn, const char *vendor, int32_t first, int32_t last);
void pb_listprice_free(struct pb_listprice *p);

/*
 * Gives u, a usage line without a list cost (u->has_list 0), the list cost of its quantity at the price in
 * force on its usage date, exactly: unit price x quantity (x the line's exchange rate when the price is in
 * its pricing currency), in the line's unit of measure, over graduated tiers where the meter has them.
 * Sets u->list_cost, u->has_list and u->price_load. Returns 1 when priced, 0 when not (the reason counted),
 * or -1 when the price lists cannot be read (err says why, naming the database).
 */
int pb_listprice_fill(struct pb_listprice *p, struct pb_usage *u, struct pb_buf *err);

/*
 * Loads p's prices from rows (len bytes) instead of the database: lines of tab-separated fields as the load's
 * COPY gives them (meter, region, unit, tier_min, effective_start, effective_end or empty, unit_price,
 * currency, load_id, usage_type, operation), in any order; for tests. Returns 0, or -1 when a row cannot be
 * read, memory cannot be had, or p has its prices already (then pb_listprice_fill fails with the reason).
 */
int pb_listprice_load_rows(struct pb_listprice *p, const char *rows, size_t len);

/* The lines priced (per load) and those left without a price (per reason) so far. */
uint64_t pb_listprice_priced(const struct pb_listprice *p);
uint64_t pb_listprice_missed(const struct pb_listprice *p, enum pb_listprice_miss why);

/* One warning line each, "PROG: warning: ...", about the lines no price list could price, on out. */
void pb_listprice_report(const struct pb_listprice *p, const char *prog, FILE *out);

#endif
