/* One step of a run: its attempts, their records, the retries of exit status 3, and what pb-run says of them. */
#ifndef PB_STEP_H
#define PB_STEP_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "buf.h"
#include "log.h"
#include "plan.h"

/* What the steps of a run share. */
struct pb_step_ctx {
	PGconn *conn;
	PGconn *lock;	 /* the connection that holds the run's lock (pb_record_lock) */
	const char *job; /* the job's name and month (a first day), the lock's */
	int32_t month_day;
	long long run_id;
	const char *month; /* YYYY-MM, for messages */
	FILE *err_out;	   /* where the steps' stderr lines go */
	int json_log;	   /* those lines as JSON log lines, not "[STEP] LINE" */
	uint64_t grace_ms;
};

/* How the run ends when a step stops it. */
struct pb_step_end {
	const char *status; /* failed or interrupted */
	int exit_status;    /* pb-run's */
	struct pb_buf why;  /* what happened, for the message and the run's row */
};

/*
 * Runs ps until it succeeds, retrying an exit status of 3 (a timeout included) ps->step->retries times
 * after a doubling backoff with jitter, each retry only while ctx->lock still holds the run's lock; records
 * each attempt. Returns 0 when it succeeded, or -1 with end filled (a failure, pb-run's signal, the lock
 * lost, or the database). *started: whether an attempt started; *ms then
 * the time from the first attempt's start to the last one's end.
 */
int pb_step_run(const struct pb_step_ctx *ctx, const struct pb_plan_step *ps, struct pb_step_end *end, int *started,
		uint64_t *ms);

/* pb_log with the run, month and step (NULL: none) of ctx in its place. */
void pb_step_log(const struct pb_step_ctx *ctx, enum pb_log_level level, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Whether ctx->lock still holds the run's lock. Returns 0, or -1 with end filled: failed, exit status 3,
 * "the lock of job 'JOB' for YYYY-MM is lost (why): " and then what, the steps not run.
 */
int pb_step_lock_held(const struct pb_step_ctx *ctx, const char *what, struct pb_step_end *end);

/* Writes ms as seconds with one decimal ("1.2 s") into buf (32 bytes). */
void pb_step_seconds(uint64_t ms, char *buf);

#endif
