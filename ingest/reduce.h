/* The daily-grain reduction: every normalized line folded into one row per day and key, exactly. */
#ifndef PB_REDUCE_H
#define PB_REDUCE_H

#include <stddef.h>
#include <stdint.h>

#include "money.h"

struct pb_buf;

struct pb_text {
	const char *ptr;
	size_t len;
};

/* Where a line's list cost came from (pb.usage_daily.list_source). */
enum pb_list_source { PB_LIST_NONE, PB_LIST_EXPORT, PB_LIST_PRICE };

/*
 * What a usage line without a list cost carries to look its list price up by (texts borrowed, empty when the
 * export has no such column): Azure MeterId, UnitOfMeasure, MeterRegion and the resource's location,
 * Quantity, exchangeRatePricingToBilling and the pricing currency; AWS product/sku, pricing/unit,
 * product/regionCode, lineItem/UsageAmount, lineItem/UsageType and lineItem/Operation.
 */
struct pb_price_ref {
	int wants; /* the line is usage without a list cost: look its price up */
	struct pb_text meter, unit, region, region2, pricing_currency, usage_type, operation;
	struct pb_decimal quantity, rate;
	int has_quantity, has_rate;
};

/* What kind of name a line gives its partner account (pb.partner_account_name.kind). */
enum pb_name_kind { PB_NAME_NONE, PB_NAME_ACCOUNT, PB_NAME_SUBSCRIPTION, PB_NAME_CUSTOMER, PB_NAME_TAG };

/* One normalized line item (shared/DESIGN.md, "The normalized record"). Strings are borrowed. */
struct pb_usage {
	int32_t billing_month; /* day number of the period's first day */
	int32_t usage_date;    /* day number, UTC */
	struct pb_text account, category, service, region, currency;
	struct pb_text charge_type; /* the source's own type (LineItemType, ChargeType[/PricingModel]) */
	pb_money list_cost, billed_cost;
	int has_list, has_billed; /* 0 when the export left the amount empty */
	struct pb_text name;	  /* the partner account's name on this line, or empty */
	struct pb_text tags;	  /* the line's resource tags as the export writes them (see tags.h), or empty */
	enum pb_name_kind name_kind;
	struct pb_price_ref ref; /* set by the CSV formats for a line without a list cost, else zeroed */
	int64_t price_load;	 /* the price load that gave the list cost, or 0: the export's own, or none */
};

/* One reduced row. Strings are owned by the reduction and live as long as it does. */
struct pb_daily {
	int32_t billing_month, usage_date;
	struct pb_text account, category, charge_type, service, region, currency;
	pb_money list_cost, billed_cost;
	uint64_t line_count;
	uint64_t list_lines, billed_lines; /* lines that carried the amount */
	enum pb_list_source list_source;   /* PB_GRAIN_STORE only; else PB_LIST_EXPORT or PB_LIST_NONE */
	int64_t price_load;		   /* for PB_LIST_PRICE: the load */
};

struct pb_reduce;

/*
 * What a row's key holds: the daily grain of --summary=daily; the store's, which is that and where the
 * list cost came from (the export, a price load, none: a row never mixes lines with and without a list
 * cost); or only account and currency (usage date, billing month, category, service and region left empty)
 * for per-account totals.
 */
enum pb_reduce_grain { PB_GRAIN_DAILY, PB_GRAIN_STORE, PB_GRAIN_ACCOUNT };

/* Where u's list cost came from. */
enum pb_list_source pb_usage_list_source(const struct pb_usage *u);

/* Returns a new, empty reduction, or NULL when memory cannot be had. Free with pb_reduce_free. */
struct pb_reduce *pb_reduce_new(enum pb_reduce_grain grain);
void pb_reduce_free(struct pb_reduce *r);

enum { PB_REDUCE_ERR_NOMEM = -1, PB_REDUCE_ERR_TOOLONG = -3, PB_REDUCE_ERR_TEXT = -4, PB_REDUCE_ERR_SPILL = -5 };

/*
 * Bounds the memory of r's rows and of its dictionaries of distinct texts to about bytes: past it, the rows
 * are sorted and written as a run to a temporary file (made in spill_dir, else $TMPDIR, else /tmp, and
 * unlinked at once), and the table starts over; a run's rows carry their texts, so when the dictionaries
 * outgrow their share (an eighth) they start over too (not in a reduction with a cap). Such a reduction is read with
 * pb_reduce_walk_start and pb_reduce_walk_next, which merge the runs: pb_reduce_sorted returns NULL and pb_reduce_merge
 * refuses it as a source. Its pb_reduce_add and pb_reduce_merge may return PB_REDUCE_ERR_SPILL (the file cannot be
 * written).
 */
/*
 * When the temporary file of the spilled rows failed (PB_REDUCE_ERR_SPILL): appends to out "cannot write or
 * read back the temporary file of the daily rows in FOLDER: REASON" (the errno of the call that failed) and
 * returns 1; else 0.
 */
int pb_reduce_spill_message(const struct pb_reduce *r, struct pb_buf *out);

void pb_reduce_set_memory(struct pb_reduce *r, size_t bytes, const char *spill_dir);

/*
 * Adds every row of src into dst by walking src (so src may have spilled; its walk is used up): for reductions
 * of the same grain without a cap. Same returns as pb_reduce_merge, or those of the walk.
 */
int pb_reduce_absorb(struct pb_reduce *dst, struct pb_reduce *src);

/* The runs r spilled so far. */
uint64_t pb_reduce_spilled(const struct pb_reduce *r);

/* The times r's dictionaries outgrew their bound and started over. */
uint64_t pb_reduce_dict_resets(const struct pb_reduce *r);

/* The rows in memory and in the runs spilled: the rows' count, or more when a key was spilled twice. */
uint64_t pb_reduce_count(const struct pb_reduce *r);

/*
 * Walks the rows in the order of pb_reduce_sorted (except that a row's list source is its key's in every
 * grain), merged from memory and the spilled runs. Start returns 0, PB_REDUCE_ERR_NOMEM or
 * PB_REDUCE_ERR_SPILL; next fills *d (its texts owned by r, valid until the next call but one) and returns
 * 1, 0 at the end, or PB_REDUCE_ERR_SPILL, PB_REDUCE_ERR_NOMEM or PB_MONEY_ERR_RANGE (*d then holds the key
 * whose sum left the range, its amounts unspecified). r must not change during a walk.
 */
int pb_reduce_walk_start(struct pb_reduce *r);
int pb_reduce_walk_next(struct pb_reduce *r, struct pb_daily *d);

/*
 * The walk of several reductions of one grain at once (the parts of a file read by threads), in the same
 * order, rows of one key added up: as if they had been absorbed into one, without building it. The
 * reductions must stay as they are until the end; the texts of a row are owned by one of them.
 */
struct pb_reduce_walks {
	struct pb_reduce **r;
	size_t n;
	struct pb_daily *head; /* each walk's next row */
	int *has;	       /* whether head[i] is there */
	size_t range_at;       /* 1 + the walk whose first row's sum left the range, else 0 */
};

/* Starts the walks of r[0..n-1]; returns as pb_reduce_walk_start. Release it whatever it returns. */
int pb_reduce_walks_start(struct pb_reduce_walks *w, struct pb_reduce *const *r, size_t n);
/* As pb_reduce_walk_next (on PB_MONEY_ERR_RANGE too: *d holds the key). */
int pb_reduce_walks_next(struct pb_reduce_walks *w, struct pb_daily *d);
void pb_reduce_walks_release(struct pb_reduce_walks *w);

/*
 * Folds u into its row. Returns 0, PB_REDUCE_ERR_NOMEM, PB_REDUCE_ERR_TOOLONG (a text over 65535
 * bytes), PB_REDUCE_ERR_TEXT (a text that is not UTF-8 or holds a NUL byte: see pb_reduce_bad_text), or
 * PB_MONEY_ERR_RANGE when a sum leaves the money range (the row is then unchanged).
 */
int pb_reduce_add(struct pb_reduce *r, const struct pb_usage *u);

/* After PB_REDUCE_ERR_TEXT: the bad byte (inside one of the texts of the usage added) and why. */
void pb_reduce_bad_text(const struct pb_reduce *r, const char **at, const char **why);

/*
 * From now on an account gets at most cap rows (0: no cap): the lines of a new row past it are left out
 * and counted (pb_reduce_capped), and nothing of them is kept, not even their texts. For the names
 * reduction, where a hostile export could make one account carry a million distinct tag values.
 */
void pb_reduce_set_cap(struct pb_reduce *r, size_t cap);

/*
 * The rows and lines left out by the cap. Since nothing of a row left out is kept, it is counted again
 * with each of its lines (and once for each part merged): rows counts distinct keys only when each came once.
 */
void pb_reduce_capped(const struct pb_reduce *r, uint64_t *rows, uint64_t *lines);

/* Adds every row of src into dst (src is unchanged). Same returns as pb_reduce_add. */
int pb_reduce_merge(struct pb_reduce *dst, const struct pb_reduce *src);

/*
 * The rows, sorted by account, usage date, category, charge type, service, region, currency, billing month
 * (bytewise), list source and price load. The array is owned by r and valid until the next change to r. *n is set to
 * the count.
 */
const struct pb_daily *const *pb_reduce_sorted(struct pb_reduce *r, size_t *n);

/* Sums n rows' list and billed costs and line counts. Returns 0, or PB_MONEY_ERR_RANGE. */
int pb_reduce_sum_rows(const struct pb_daily *const *rows, size_t n, pb_money *list, pb_money *billed, uint64_t *lines);

/* Raw totals over every line added: the reduction must sum to exactly these. */
void pb_reduce_totals(const struct pb_reduce *r, pb_money *list, pb_money *billed, uint64_t *lines);

#endif
