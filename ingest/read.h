/* Reading a run's files into its reductions: CSV files split between threads, JSON lines on one. */
#ifndef PB_INGEST_READ_H
#define PB_INGEST_READ_H

#include <stdint.h>
#include <sys/stat.h>

#include "buf.h"
#include "listprice.h"
#include "manifest.h"
#include "options.h"
#include "progress.h"
#include "reduce.h"
#include "store.h"
#include "tags.h"

/* The state of one run over all its files. */
struct pb_read {
	const struct pb_ingest_options *opt;
	struct pb_reduce *reduce; /* the daily rows (or per-account totals for --summary) */
	struct pb_reduce *names;  /* partner account names and tags, when storing (a summary only checks them) */
	const struct pb_tag_keys *tag_keys;
	struct pb_listprice *prices; /* when set: list prices for usage lines without one (not owned) */
	/*
	 * Price lists of the vendor are loaded: lines are priced in the file's order, one thread, since a tiered
	 * price's share of each day follows the usage before it, and a rerun must give the same daily rows.
	 */
	int in_order;
	int store;     /* hash files and prefetch downloads */
	int32_t month; /* every line's billing month (pb_month_check), or 0 before it is known */
	/*
	 * Storing under a Partner Center unbilled usage source ("partner-center:unbilled:USD"): its currency, which
	 * every line must be billed in (a billed invoice in that currency replaces it), and the source (read only
	 * with a currency); the currency NULL for any other source.
	 */
	const char *only_currency, *only_source;
	struct pb_progress progress;
	uint64_t bytes_before, rows;
	unsigned long errors;
	int remote_failed;	    /* a download failed after its retries, or the price lists could not be read */
	uint64_t lines, no_invoice; /* for the final flag */
	size_t part, nparts;	    /* for the progress line: part of parts */
	struct pb_buf label;
	struct pb_store_file *files; /* what the audit keeps of each file read, when storing */
	size_t nfiles;
	struct pb_buf first_error; /* recorded on a failed import */
	/* What the delivery's manifest declares of the file read next (NULL: nothing), for messages. */
	const char *manifest;
	const struct pb_part_decl *decl;
	const char *if_match;	    /* the ETag a listing gave the file read next, its download bound to it, or NULL */
	struct pb_fetch_opts fetch; /* the download options of the file being opened: the run's, with if_match */
	int opened_local;	    /* the file opened last is a local regular file: opened is its fstat then */
	struct stat opened;
	const char *const *columns; /* the header, or NULL */
	size_t ncolumns;
	uint64_t stored_bytes; /* of the files read, as stored (compressed when they are) */
	/*
	 * The SHA-256 of the last plain file read, still being computed on its own thread (NULL: none): its
	 * file's record gets it from pb_read_finish_hash, so that the hash overlaps what follows the read.
	 */
	struct pb_file_hash *pending_hash;
	size_t pending_file;
	/*
	 * Storing: the reductions of the other parts of the last file split between threads, walked with
	 * reduce's (pb_read_walk_start) rather than absorbed into it; absorbed when another file is read.
	 */
	struct pb_reduce **extra;
	size_t nextra;
};

/* Prepares r for a run (store: whether it stores). Returns 0, or -1 when memory cannot be had. */
int pb_read_init(struct pb_read *r, const struct pb_ingest_options *opt, const struct pb_tag_keys *keys, int store);
void pb_read_release(struct pb_read *r);

/*
 * Reads the file or URL at path into the run (the format of r->opt). Errors are reported on stderr as
 * they are found, with their file, line and column, and counted in r->errors. Returns 0, or -1 when the
 * run must stop.
 */
int pb_read_file(struct pb_read *r, const char *path);

/*
 * Waits for the SHA-256 of the last file read, if it is still being computed, and puts it in its record.
 * Returns 0, or -1 with the reason in err.
 */
int pb_read_finish_hash(struct pb_read *r, struct pb_buf *err);

/* The store's rows: those of reduce and of the extra parts' reductions, walked together, in order. */
int pb_read_walk_start(struct pb_read *r, struct pb_reduce_walks *w);
/* What the rows add up to, their count (as pb_reduce_count) and the runs spilled, over every reduction. */
void pb_read_totals(const struct pb_read *r, pb_money *list, pb_money *billed, uint64_t *lines);
uint64_t pb_read_row_count(const struct pb_read *r);
uint64_t pb_read_spilled(const struct pb_read *r);
/* The times the reductions' dictionaries of texts outgrew their bound and started over. */
uint64_t pb_read_dict_resets(const struct pb_read *r);

/* Appends why the temporary file of the spilled rows failed (pb_reduce_spill_message) and returns 1, if it did. */
int pb_read_spill_message(const struct pb_read *r, struct pb_buf *out);

/*
 * The billing month of the first line item of path, for a run given no --month. Returns 1 with *month
 * set, 0 when the file has no line item, PB_READ_BAD_FIRST when the first line item is bad (not reported:
 * the full read reports it at its line and column, with the bad lines after it), or -1 after reporting
 * why the file cannot be read at all.
 */
#define PB_READ_BAD_FIRST (-2)

/*
 * Whether path is read once, in order, as it comes: standard input ("-"), or a local path that is not a
 * regular file (a FIFO, <(zcat FILE), a device). Such a file is never peeked at before it is read.
 */
int pb_read_is_stream(const char *path);

int pb_read_peek_month(struct pb_read *r, const char *path, int32_t *month);

/*
 * Compares what the manifest declares of the whole delivery (d) with what the files read held, and reports
 * every difference. Returns 0, or -1 after reporting.
 */
int pb_read_check_total(struct pb_read *r, const struct pb_part_decl *d);

/*
 * Reports an error about name (line 0: no position; column 0: the line alone), the first one kept for the
 * import's record.
 */
void pb_read_report(struct pb_read *r, const char *name, uint64_t line, uint32_t col, const char *msg);

/*
 * The line to report a reader's stop at: err_line when the reader gave one, else next_line (the line it had
 * reached) when a signal stopped the run, else 0 (no position: a download's failure names its URL).
 */
uint64_t pb_read_error_line(uint64_t err_line, uint64_t next_line);

#endif
