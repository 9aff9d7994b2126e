/* Units of measure as price lists and usage lines write them: a count of a base unit. */
#ifndef PB_UNIT_H
#define PB_UNIT_H

#include <stddef.h>
#include <stdint.h>

/* The bytes of a base, its NUL included, that every reader of units gives pb_unit_parse: one longer is unread. */
#define PB_UNIT_BASE_MAX 128

/* The most tiers of one price pb-ingest applies: a line of a price in more gets none (pb-prices says so at load). */
#define PB_PRICE_MAX_TIERS 32

/*
 * A unit of measure as a count of a base unit: "100 Hours" is 100 of "hour", "1 GB/Month" 1 of "gb/month",
 * "10K" (or "10k") 10000 of "", "Hrs" 1 of "hrs". The base is lowercased, its runs of blanks made one, and the plural
 * 's' of its words of four letters or more dropped ("hours", "requests"), into base (cap bytes with the NUL).
 * Returns 0, or -1 when the count is not a whole number from 1 to 10^9 or the base does not fit.
 */
int pb_unit_parse(const char *s, size_t len, uint32_t *count, char *base, size_t cap);

#endif
