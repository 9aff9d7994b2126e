/* The Prometheus textfile pb-run leaves after a run, for node_exporter's textfile collector. */
#ifndef PB_METRICS_H
#define PB_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libpq-fe.h>

#include "buf.h"

struct pb_metrics_step {
	const char *name;
	uint64_t ms; /* from its first attempt's start to its last attempt's end */
};

/* A run, finished or beginning, as the metrics describe it. */
struct pb_metrics_run {
	const char *job;
	long long run_id; /* its pb.job_run row: finished, or running when running is set */
	/*
	 * 1: the run has just begun (recorded running, no step run yet). Its file says so (pb_job_running 1, its start)
	 * and nothing of an end, so that a pb-run killed outright leaves a file saying that a run started and never
	 * finished, not the run before's end as if it were the last.
	 */
	int running;
	int32_t month; /* first day */
	int exit_status;
	const struct pb_metrics_step *steps; /* the steps this run ran, in order */
	size_t nsteps;
	/* A run that never began (no database, the lock held): run_id is 0, and it ended at finished_ms. */
	uint64_t finished_ms;
	/* Without a database (conn NULL): the last success carried over from the file replaced, or NULL. */
	const char *last_success;
};

/*
 * Appends the text exposition of the run's metrics to out (conn NULL: only the job's gauges, from run):
 * pb_job_last_success_timestamp_seconds, pb_job_last_run_start_timestamp_seconds (of a run in the database),
 * pb_job_last_run_timestamp_seconds and pb_job_last_run_exit_status (not while running), pb_job_running,
 * pb_job_step_duration_seconds, pb_ingest_lines, and (once the view pb.aggregate_bucket_current exists)
 * pb_unmapped_amount and pb_ineligible_amount, each with HELP and TYPE; a metric without samples is left out. Amounts
 * are the database's numeric text. Returns 0, or -1 with a message in err.
 */
int pb_metrics_format(PGconn *conn, const struct pb_metrics_run *run, struct pb_buf *out, struct pb_buf *err);

/*
 * The job's pb_job_last_success_timestamp_seconds in the metrics file at path, copied into value (size bytes):
 * what a run that cannot reach the database carries over. Returns 0, or -1 when the file or the sample is not
 * there (or not a number).
 */
int pb_metrics_read_success(const char *path, const char *job, char *value, size_t size);

/*
 * Replaces the file at path with the len bytes at text, atomically: a temporary file in the same folder
 * (".NAME.XXXXXX", which the textfile collector skips), mode 0644, fsync, rename. What is at path already
 * must be a regular file (not a device, a FIFO, a link or a folder), and is left alone otherwise. Returns 0,
 * -2 when what is there is not a regular file, or -1, with "cannot write 'PATH': ..." in err; no temporary
 * file is left behind.
 */
int pb_metrics_write_file(const char *path, const char *text, size_t len, struct pb_buf *err);

/* What a file of mode is, for a message: "a FIFO", "a symbolic link", "a folder", "a device", "a socket". */
const char *pb_metrics_file_kind(mode_t mode);

#endif
