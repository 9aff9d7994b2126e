/* The partner-usage answers: an account's figures, its daily series, and a page of every account's, as JSON. */
#ifndef PB_API_USAGE_H
#define PB_API_USAGE_H

#include <libpq-fe.h>
#include <stdint.h>

#include "buf.h"

/* A month's aggregate run as the answers name it. */
struct pb_api_run {
	int found; /* 0: the month has no current run (the rest is empty) */
	long long id;
	char id_text[24], as_of[16], finished_at[32], month[8];
};

/* The longest cursor pb_api_usage_list writes, with its NUL. */
#define PB_API_CURSOR_MAX 32

/* Fills run from row 0 of a PB_API_Q_RUN or PB_API_Q_RUN_BY_ID result (found = 0 when it has none). 0 or -1. */
int pb_api_usage_run(PGresult *res, struct pb_api_run *run);

/*
 * Each answer is written to out from its statement's result (see queries.h). Returns 0, 1 when the result
 * holds nothing for the account (no row, or one of NULLs: not found), or -1 when a value is not what the
 * schema promises (an amount that is not a decimal, a missing 'all' row).
 */
int pb_api_usage_account(const struct pb_api_run *run, const char *alias, PGresult *res, struct pb_buf *out);
int pb_api_usage_daily(const struct pb_api_run *run, const char *alias, PGresult *res, struct pb_buf *out);

/*
 * A page of the accounts of run: res holds the rows of up to limit + 1 accounts (PB_API_Q_LIST; one row of
 * NULLs for none); the first limit are written, and next_cursor names where the next page starts when there
 * is one (else null). Returns 0 or -1.
 */
int pb_api_usage_list(const struct pb_api_run *run, PGresult *res, unsigned limit, struct pb_buf *out);

/* The page cursor that names alias (up to 7 bytes) of run: "RUN.ALIAS". */
void pb_api_usage_cursor_make(long long run, const char *alias, char cursor[PB_API_CURSOR_MAX]);

/* A page cursor, "RUN.ALIAS": 0 with the run and the alias (7 bytes) it names, or -1 when s is not one. */
int pb_api_usage_cursor(const char *s, long long *run, char alias[8]);

/*
 * The month parameter s (NULL when absent) into month: YYYY-MM with a month from 01 to 12 is one (year 0000
 * too: before 2000-01, it is out of range, not malformed); it is served from 2000-01 to the month after now's (UTC,
 * seconds since 1970, the database server's: pb_api_pool_now), so that no client can make the server ask the database
 * for centuries of months. Returns 0, -1 when s is not a month, -2 when it is one out of that range.
 */
int pb_api_usage_month(const char *s, int64_t now, char month[8]);

/* 1 when s can be a CLC account's alias (pb.clc_account's rule: 2 to 6 of A-Z and 0-9), else 0. */
int pb_api_usage_alias_ok(const char *s);

#endif
