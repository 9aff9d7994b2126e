/* One thread's share of an export file: a run of records read, normalized and reduced on its own. */
#ifndef PB_WORKER_H
#define PB_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "csv.h"
#include "listprice.h"
#include "parser.h"
#include "reduce.h"
#include "tags.h"

/* An error kept for reporting once the file order is known. line is relative to the worker's start; 0: none. */
struct pb_worker_error {
	uint64_t line;
	uint32_t col;
	char *msg;
};

struct pb_worker {
	/* Set by the caller. */
	struct pb_csv *csv;		    /* positioned at start (after the header for the first part) */
	struct pb_parser parser;	    /* the file's bound columns; per-part counters */
	struct pb_reduce *reduce;	    /* this part's rows */
	struct pb_reduce *names;	    /* the account names lines give (pb_worker_name_kind); NULL: checked only */
	const struct pb_tag_keys *tag_keys; /* the tags recorded as names (NULL: none) */
	struct pb_listprice *prices;	    /* when set: list prices for usage lines without one */
	pthread_mutex_t *prices_lock;	    /* held around prices: the parts of a file share them */
	unsigned long max_errors;	    /* stop after this many */
	int32_t month;			    /* every line's billing month (pb_month_check) */
	uint64_t start;			    /* absolute offset of csv's first byte */
	const uint64_t *stops;		    /* absolute starts of the later parts, increasing */
	size_t nstops;

	/* Progress, read by other threads while this one runs. */
	_Atomic uint64_t bytes, rows;

	/* Results. */
	struct pb_worker_error *errors;
	size_t nerrors;
	int fatal;	   /* reading could not go on */
	int dependency;	   /* because the price lists could not be read */
	size_t stopped_at; /* index into stops where the part ended, or nstops at the end of input */
	uint64_t lines;	   /* lines consumed, relative to start */
};

/*
 * Reads records until the input ends, an error stops it, or the position lands on one of stops (a later
 * part's start). A part that passes over a stop without landing on it goes on, since the later part then
 * began inside a quoted field and its results are void. Thread-safe across workers.
 */
void pb_worker_run(struct pb_worker *w);

/*
 * The text of a name kind as pb.partner_account_name.kind has it. In the names reduction a row's account
 * is the partner account, its category the kind, its service the name.
 */
const char *pb_worker_name_kind(enum pb_name_kind kind);

/*
 * Counts the line's partner account name into names, if it gives one, and each of its resource tags
 * whose key is in keys (NULL: none) as a name of kind tag, "key=value". scratch is the caller's buffer for
 * the tag text. Returns as pb_reduce_add.
 */
int pb_worker_add_name(struct pb_reduce *names, const struct pb_usage *u, const struct pb_tag_keys *keys,
		       struct pb_buf *scratch);

/*
 * Checks what pb_worker_add_name would record, without recording it, so that a summary refuses what the
 * store would: the name and the tags of keys must be text the database takes, of at most 65535 bytes.
 * Returns 0, PB_REDUCE_ERR_TOOLONG, or PB_REDUCE_ERR_TEXT with the bad byte in *at (inside u's name, or
 * in scratch for a decoded tag) and why in *why.
 */
int pb_worker_check_name(const struct pb_usage *u, const struct pb_tag_keys *keys, struct pb_buf *scratch,
			 const char **at, const char **why);

/* Frees what the worker's results hold (errors), not csv or reduce. */
void pb_worker_release(struct pb_worker *w);

#endif
