/* pb-run's work behind its command line: reading a job, showing its plan, running it, and its history. */
#ifndef PB_RUN_H
#define PB_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "job.h"
#include "param.h"
#include "plan.h"

/* The grace from SIGTERM to SIGKILL for a step's process group. */
#define PB_RUN_GRACE_MS 5000

/* What the command line asks of a run. */
struct pb_run_args {
	const char *job_file;
	const int32_t *month; /* --month: a first day, or NULL */
	const int32_t *as_of; /* --as-of, or NULL */
	const char *from;     /* --from, or NULL */
	const char *only;     /* --only, or NULL */
	const char *metrics_file;
	long wait;    /* --wait: seconds to wait for a month another run holds (0: refuse at once) */
	int json_log; /* --log-format json: the steps' stderr lines as JSON too */
	int dry;      /* --dry-run: today, when the parameters need it, is the machine's (the database is not asked) */
};

/* A run, read and planned. */
struct pb_run {
	const struct pb_run_args *args;
	struct pb_buf text; /* the job file's */
	struct pb_job job;
	struct pb_param par;
	struct pb_plan plan;
	struct pb_buf today_err; /* why the database server's today could not be taken: the run does not begin */
};

/*
 * Reads the job file, parses it, resolves the parameters and makes the plan; nothing runs. Today, when the
 * parameters need it (no --month or no --as-of), is the database server's (pb_db_today: the day pb-ingest, pb-aggregate
 * and pb-invoice take), asked on a connection of its own; with args->dry, the machine's clock, and the database is not
 * touched. Without the database, the machine's day stands for the plan and today_err says why: pb_run_execute does not
 * begin the run (exit 3). Says what is wrong through pb_log. Returns 0, EXIT_DATA (the job file cannot be read or is
 * bad) or EXIT_USAGE (--from or --only names no step, an environment variable is not set, a program cannot be found).
 * run is released with pb_run_release whatever the return.
 */
int pb_run_prepare(struct pb_run *run, const struct pb_run_args *args);

void pb_run_release(struct pb_run *run);

/*
 * Writes the plan on out: a line with the job, month and as_of, then a line per step, "NAME: PROGRAM ARG...",
 * quoted for a shell to read, secrets as "${NAME}". Returns 0, or EXIT_DATA having said that out cannot be
 * written.
 */
int pb_run_dry(const struct pb_run *run, FILE *out);

/*
 * Runs the plan: takes the job's lock for the month, records the run and each step attempt, runs the steps
 * in order (each one's stderr on err_out, a line at a time, "[STEP] " before it), retries exit status 3,
 * stops at the first step that fails, and writes the metrics file if asked. Returns pb-run's exit status:
 * 0; the failing step's exit status (3 when it timed out, 128 + N when signal N ended it, 2 when it could
 * not be started); 128 + N when pb-run itself received signal N (SIGTERM, SIGINT, SIGHUP); 4 when the lock
 * is held; 3 when the database failed.
 */
int pb_run_execute(struct pb_run *run, FILE *err_out);

/*
 * Writes on out the table of the limit latest runs (of job, unless NULL) and their steps. Returns 0,
 * EXIT_DEPENDENCY (the database), or EXIT_DATA having said that out cannot be written.
 */
int pb_run_history(const char *job, long limit, FILE *out);

#endif
