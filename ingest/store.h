/* Writing an import to PostgreSQL: one transaction that commits the rows and makes them current. */
#ifndef PB_STORE_H
#define PB_STORE_H

#include <libpq-fe.h>
#include <stdint.h>
#include <sys/stat.h>

#include "buf.h"
#include "fetch.h"
#include "money.h"
#include "reduce.h"

/* What the audit keeps of each file read. */
struct pb_store_file {
	const char *uri;
	uint64_t bytes;
	char sha256[65];
	char etag[PB_FETCH_ETAG_MAX + 1]; /* "" when the file had none (a local file) */
	char last_modified[64];		  /* likewise, as the server wrote it: not stored, compared */
	/* A local regular file: 1, and what fstat said of it when it was opened (not stored, compared). */
	int local;
	struct stat opened;
	uint64_t lines;
	pb_money list_total, billed_total;
};

/* One import: its key (vendor, format, source, month), and what the run read. */
struct pb_store_import {
	const char *vendor;
	const char *format; /* aws-cur, azure-cost, partner-center */
	const char *source;
	int32_t billing_month;	 /* day number of the month's first day */
	const char *assembly_id; /* the delivery (manifest assemblyId), or NULL */
	int final;		 /* every line carries an invoice id */
	int allow_empty;	 /* no line items may replace an import that had some */
	int allow_not_final;	 /* a delivery that is not final may replace a final import */
	/*
	 * An Azure export run: when it was submitted, and the runs submitted after it but incomplete now
	 * (runIds, submittedTimes): the import of one of those is not replaced by this older one.
	 */
	const char *submitted;
	const char *const *newer_runs, *const *newer_submitted;
	size_t nnewer;
	/*
	 * An Azure export run: its blobs' URLs and the ETags the listing gave them (NULL: none), nparts of each, or
	 * NULL. A run rewritten in place keeps its runId: its import is the same delivery only with these ETags.
	 */
	const char *const *parts, *const *part_etags;
	size_t nparts;
	/* The names lines gave their partner accounts: account, kind (category), name (service), lines. */
	const struct pb_daily *const *names;
	size_t nnames;
	long long id;	     /* set by pb_store_begin */
	int32_t started_day; /* set by pb_store_begin: the day (UTC) of the import's started_at, see there */
	int64_t *phase_ns;   /* when set: nanoseconds spent in each PB_STORE_PHASE_*, added by pb_store_commit */
};

/* The steps of pb_store_commit, for --timing. */
enum {
	PB_STORE_PHASE_REFUSALS,
	PB_STORE_PHASE_COPY,
	PB_STORE_PHASE_RECORDS,
	PB_STORE_PHASE_SUPERSEDE,
	PB_STORE_PHASE_ATTACH,
	PB_STORE_PHASE_COMMIT,
	PB_STORE_NPHASES
};

/*
 * The currency of a Partner Center unbilled usage source ("partner-center:unbilled:USD": "USD"), whose usage a
 * billed invoice in that currency replaces; NULL for any other source.
 */
const char *pb_store_unbilled_currency(const char *source);

/*
 * The committed import of im's key that holds assembly im->assembly_id: its id in *id, or 0 when there
 * is none. With im->part_etags, an import of the assembly that read other blobs (another count, or one of another
 * ETag than the listing gives now: the run was rewritten in place) is none either, and rewritten says how, as a note
 * naming the blob ("URL: rewritten in place since import N read run R (ETag A, now B): the run is read again"); so
 * is one of a listing that gives a blob no ETag ("URL: listed without an ETag: whether run R was rewritten in place
 * since import N read it cannot be told: the run is read again").
 * Returns 0, or PB_STORE_ERR_DB.
 */
int pb_store_committed_assembly(PGconn *conn, const struct pb_store_import *im, long long *id, struct pb_buf *rewritten,
				struct pb_buf *err);

/* Whether import id is not final: 1 or 0 in *yes. Returns 0, or PB_STORE_ERR_DB. */
int pb_store_not_final(PGconn *conn, long long id, int *yes, struct pb_buf *err);

/*
 * Whether import id is not final and was stored (pb.import.started_at, UTC, by the database server's clock) on or
 * before day: 1 or 0 in *yes. Returns 0, or PB_STORE_ERR_DB.
 */
int pb_store_not_final_by(PGconn *conn, long long id, int32_t day, int *yes, struct pb_buf *err);

/* Exit-code classes of the store's failures. */
enum { PB_STORE_ERR_DB = -1, PB_STORE_ERR_LOCKED = -4, PB_STORE_ERR_DATA = -2, PB_STORE_ERR_REFUSED = -5 };

/*
 * Takes the advisory lock of (vendor, source, month) for this session. Returns 0, PB_STORE_ERR_LOCKED with
 * "... is being imported by ..." in err, or PB_STORE_ERR_DB.
 */
int pb_store_lock(PGconn *conn, const struct pb_store_import *im, struct pb_buf *err);

/*
 * Holding the lock (pb_store_lock), marks imports of its key left 'running' by a dead run as 'failed', and records a
 * new 'running' import (im->id), with the day of its stamp, started_at, by the database server's clock (UTC) in
 * im->started_day (the test build's PB_TEST_TODAY stands for it, as for pb_db_today). Both are made in a transaction
 * left open, so that what depends on that day may still be refused with nothing recorded: pb_store_begin_end commits
 * or rolls it back. Returns 0 or PB_STORE_ERR_DB (the transaction rolled back).
 */
int pb_store_begin(PGconn *conn, struct pb_store_import *im, struct pb_buf *err);

/*
 * Ends pb_store_begin's transaction: commits the 'running' import when keep is set, else rolls it back (nothing of
 * the run is recorded). Returns 0 or PB_STORE_ERR_DB.
 */
int pb_store_begin_end(PGconn *conn, int keep, struct pb_buf *err);

/*
 * Makes the month's partition of the daily rows (and the next month's) if they are missing, each in a
 * short transaction of its own. Returns 0 or PB_STORE_ERR_DB.
 */
int pb_store_prepare(PGconn *conn, int32_t month, struct pb_buf *err);

/*
 * The import's daily rows, one at a time, sorted by account (as pb_reduce_sorted sorts them): next fills *d
 * (its texts valid until the commit ends; equal texts at one address) and returns 1, 0 after the last row,
 * or a negative value, then error (may be NULL) says why. The "copy" test pause is taken after pause_at rows.
 */
struct pb_store_rows {
	int (*next)(void *ctx, struct pb_daily *d);
	const char *(*error)(void *ctx);
	void *ctx;
	uint64_t pause_at;
	/*
	 * When set: called once the rows are sent, before the files' hashes are compared with the month's other
	 * imports; it completes them (the last file's is computed while the rows are sent). 0, or -1 with err set.
	 */
	int (*files_ready)(void *ctx, struct pb_buf *err);
};

/*
 * In one transaction: refuses an import without line items that would replace one that had some (unless
 * im->allow_empty) and one that is not final that would replace a final one (unless im->allow_not_final),
 * each PB_STORE_ERR_REFUSED with the reason in err; creates the import's own table and writes the rows into
 * it with COPY (with where each row's list cost came from); refuses a file whose bytes another current import
 * of the month holds (or this one twice), once rows->files_ready has completed the hashes; checks that the rows sent
 * add up to exactly the files' totals as they were read and that the server took every one, records the files and the
 * totals per account, charge and list source, marks the previous committed import of the key 'superseded' and drops its
 * rows (its table), makes this import's table a partition of its month, and commits. On failure nothing of it
 * stays. Returns 0 with the rows stored in *nrows, PB_STORE_ERR_REFUSED, PB_STORE_ERR_DATA (the totals
 * disagree, or a file's hash could not be computed) or PB_STORE_ERR_DB.
 */
int pb_store_commit(PGconn *conn, const struct pb_store_import *im, const struct pb_store_rows *rows,
		    const struct pb_store_file *files, size_t nfiles, uint64_t *nrows, struct pb_buf *err);

/*
 * Writes one line per partner account that more than one current import of the vendor and month holds
 * (of one vendor, or every one when vendor is NULL; of one month, or every one when month is 0; of those
 * import_id is one of, or all when import_id is 0), each starting with prefix, on out. Returns the count,
 * or -1 with err set.
 */
/*
 * An import's list and billed totals per currency, as "EUR 10.004 + USD 1", into list and billed, when it holds
 * more than one currency. Returns the number of currencies (list and billed untouched below 2), or -1 with err.
 */
int pb_store_currency_totals(PGconn *conn, long long import_id, struct pb_buf *list, struct pb_buf *billed,
			     struct pb_buf *err);

long pb_store_overlaps(PGconn *conn, const char *vendor, int32_t month, long long import_id, const char *prefix,
		       FILE *out, struct pb_buf *err);

/* Marks the import 'failed' with the reason (best effort: the connection may be gone). */
void pb_store_fail(PGconn *conn, const struct pb_store_import *im, const char *why);

/*
 * Prints the imports (of one month when month > 0) as an aligned table to out, then the partner accounts
 * two current imports hold. Returns 0, or -1 (err set, or errno when writing out failed).
 */
int pb_store_history(PGconn *conn, int32_t month, FILE *out, struct pb_buf *err);

#endif
