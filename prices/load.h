/*
 * Storing a price list as one load: the protocol of imports (a lock per source, one transaction, the
 * previous load superseded, a failure recorded), with the prices streamed into PostgreSQL with COPY as the
 * files are parsed, so that memory does not grow with the list.
 */
#ifndef PB_PRICES_LOAD_H
#define PB_PRICES_LOAD_H

#include <libpq-fe.h>
#include <stdint.h>

#include "buf.h"
#include "money.h"

/* A text not NUL-terminated. */
struct pb_price_text {
	const char *ptr;
	size_t len;
};

/* One list price as a price list gives it; texts borrowed. */
struct pb_price_item {
	struct pb_price_text meter; /* Azure meterId (stored lowercase), AWS SKU */
	struct pb_price_text region, unit, currency, usage_type, operation, product;
	struct pb_price_text
		location; /* Azure: the region's display name ("US East") beside its armRegionName, or empty */
	struct pb_decimal price, tier_min;
	struct pb_decimal tier_max; /* where the tier ends (AWS EndingRange), when has_tier_max and not tier_inf */
	int has_tier_max, tier_inf; /* the list says where its tiers end; this one does not ("Inf") */
	int32_t start;		    /* first day in force */
	int32_t end;		    /* first day no longer in force, or 0: open */
	const char *file;	    /* where its unit is written, for a message: the file's name, line and column */
	uint64_t line;
	uint32_t col;
	uint64_t max_line; /* where its tier end is written (the EndingRange column, even empty), or 0: nowhere */
	uint32_t max_col;
};

/* What a committed load holds, for its summary. */
struct pb_price_load_result {
	long long id, superseded; /* superseded: the load it replaced, or 0 */
	long long unchanged;	  /* set instead when the prices equal those of this current load */
	uint64_t items, kept, skipped, stored, conflicts, pruned;
	uint64_t torn;	     /* tiers not stored because another tier of their meter and start conflicts */
	char conflict[2048]; /* the first key priced two ways, and where, for a message ("" when none) */
	uint64_t gapped;     /* prices not stored: the tiers of their meter leave a gap or overlap, or the last ends */
	char gap[512];	     /* the first such tier, for a message */
	uint64_t many_tiers; /* meters (per region, unit, currency and start) stored in more tiers than pb-ingest
				applies */
	char many[1024];     /* the first of them, for a message */
	size_t files;
};

struct pb_price_load;

/*
 * The armRegionName a Retail Prices load paired with the display name name ("eastus" for "US East", compared on
 * their letters and digits without case), where that pair holds (pb.region_alias): 0 and *arm (the caller frees
 * it), or 0 and *arm NULL when none does (name may be an armRegionName itself); PB_ERR_DEPENDENCY.
 */
int pb_price_region_arm(PGconn *conn, const char *name, char **arm, struct pb_buf *err);

/*
 * Begins a load of source (vendor aws or azure, format azure-retail, azure-pricesheet or aws-offer): takes
 * the source's lock for this session and starts the transaction and the COPY that the prices stream into.
 * Returns 0 and *out, PB_ERR_REFUSED when another load of the source runs (err names it), or
 * PB_ERR_DEPENDENCY. Finish with pb_price_load_commit or pb_price_load_fail, then pb_price_load_free.
 */
int pb_price_load_begin(PGconn *conn, const char *vendor, const char *format, const char *source,
			struct pb_price_load **out, struct pb_buf *err);

/* Adds one price. Returns 0, or PB_ERR_DEPENDENCY (the COPY failed: err says why). */
int pb_price_load_add(struct pb_price_load *l, const struct pb_price_item *it, struct pb_buf *err);

/* Counts n items read that are not list prices (reservations, savings plans, other terms). */
void pb_price_load_skip(struct pb_price_load *l, uint64_t n);

/* The items read so far that are list prices. */
uint64_t pb_price_load_kept(const struct pb_price_load *l);

/* Records a file or page read: where, its bytes, SHA-256, ETag ("" if none) and the items it held. 0 or -1. */
int pb_price_load_file(struct pb_price_load *l, const char *uri, uint64_t bytes, const char *sha256, const char *etag,
		       uint64_t items);

/*
 * Ends the COPY; refuses a meter, region, tier and start priced two ways in units that are one when compared
 * without case ("1 Hour" and "1 hour": which price a line gets from pb-ingest cannot be told), PB_ERR_DATA with
 * err naming both units and where they are; and, unless the prices kept are those of the source's current load
 * already (then nothing changes, res->unchanged names it and res->stored counts the prices it stored), stores
 * them: one row per price (an item repeated with the same price once, a key (meter, region, unit, currency, tier
 * and start) the list prices two ways not at all: counted as conflicts, nor the other tiers of its meter, region,
 * unit and currency from its start: counted as torn), drops the older loads' prices that this load covers from day to
 * day, supersedes the current load and commits. Returns 0, PB_ERR_DATA when no price is left to store (every one a
 * conflict: err names the source), or PB_ERR_DEPENDENCY (err says why). On an error nothing of the load stays; call
 * pb_price_load_fail.
 */
int pb_price_load_commit(struct pb_price_load *l, struct pb_price_load_result *res, struct pb_buf *err);

/* Ends a load that cannot go on: rolls back and records it as failed with why. Best effort. */
void pb_price_load_fail(struct pb_price_load *l, const char *why);

void pb_price_load_free(struct pb_price_load *l);

#endif
