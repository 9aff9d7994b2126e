/* The SQL pb-api runs: every statement, prepared on each pool connection, every value a parameter. */
#ifndef PB_API_QUERIES_H
#define PB_API_QUERIES_H

enum pb_api_query {
	PB_API_Q_TOKEN,	    /* $1 sha256 hex: id, kind, alias ('' for platform), sha256 of a live token */
	PB_API_Q_RUN,	    /* $1 month's first day: id, as_of, finished_at, month of its current run */
	PB_API_Q_RUN_BY_ID, /* $1 run id: the same columns */
	PB_API_Q_ACCOUNT,   /* $1 run, $2 alias: the figures, 'all' first (columns: PB_API_FIG_*) */
	PB_API_Q_DAILY,	    /* $1 run, $2 alias: vendor, currency, date, usage, one_off, by vendor and date */
	PB_API_Q_LIST,	    /* $1 run, $2 after alias, $3 aliases, $4 current only: alias, the figures' columns */
	PB_API_NQUERIES
};

/*
 * PB_API_Q_ACCOUNT, PB_API_Q_DAILY and PB_API_Q_LIST (with $4 true) read the run's rows in the statement that
 * finds it current: no row at all when it is not (a newer run committed since it was looked up); one row of
 * NULLs when it is but holds nothing for the account (or the page).
 */

/* The columns of a figures row (PB_API_Q_ACCOUNT; PB_API_Q_LIST from column 1). */
enum {
	PB_API_FIG_VENDOR,
	PB_API_FIG_CURRENCY,
	PB_API_FIG_MTD,
	PB_API_FIG_MARKUP,
	PB_API_FIG_ESTIMATE,
	PB_API_FIG_LOW80,
	PB_API_FIG_HIGH80,
	PB_API_FIG_LOW90,
	PB_API_FIG_HIGH90,
	PB_API_FIG_METHOD,
	PB_API_FIG_COMPLETE,
	PB_API_FIG_FINAL,
	PB_API_FIG_NCOLUMNS
};

struct pb_api_query_def {
	const char *name;
	int nparams;
	const char *sql;
};

/* Indexed by enum pb_api_query. */
extern const struct pb_api_query_def pb_api_queries[PB_API_NQUERIES];

#endif
