/* What pb-run keeps in the database: the lock of a month, its runs and steps (pb.job_run, pb.job_step). */
#ifndef PB_RECORD_H
#define PB_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"

#define PB_RECORD_LOCKED 1

/* How long pb-run waits for the database server to connect or to answer one query, by default; at most. */
#define PB_RECORD_TIMEOUT_DEFAULT 60
#define PB_RECORD_TIMEOUT_MAX 3600

/* Sets that wait (PB_RUN_DB_TIMEOUT), in seconds: 1 to PB_RECORD_TIMEOUT_MAX. */
void pb_record_set_timeout(int seconds);

/*
 * Starts the deadline of a call to the database on conn (the functions below keep it on each query): when it
 * passes, conn's socket is shut down, which ends the call with an error and leaves conn broken. SIGALRM is
 * pb-run's for this.
 */
void pb_record_watch(PGconn *conn);

/*
 * Cuts the call being watched, if any, as its deadline would (safe in a signal handler): pb-run's SIGTERM,
 * SIGINT or SIGHUP (sig) is acted on at once, not after a server that does not answer. The calls made after
 * that signal wait at most 5 s (or PB_RUN_DB_TIMEOUT when shorter).
 */
void pb_record_interrupt(int sig);

/*
 * Ends it. Returns ret, the call's result (0 or -1), or -1 with "the database server (host 'H', port P,
 * database 'D') did not answer in N s: ..." in err when the deadline ended the call ("interrupted by SIGTERM
 * while waiting for the database server (...)" when pb_record_interrupt did).
 */
int pb_record_unwatch(PGconn *conn, int ret, struct pb_buf *err);

/*
 * Whether conn's last call failed because the server ended the connection (a restart, pb-db stop, a
 * failover), not because the deadline or a signal cut it.
 */
int pb_record_ended(const PGconn *conn);

/* A run, as pb_record_begin inserts it. */
struct pb_record_run {
	const char *job;
	int32_t month; /* first day */
	int32_t as_of;
	const char *job_file;
	const char *sha256; /* of the job file's text, 64 hex digits */
	long long id;	    /* set by pb_record_begin */
};

/*
 * Connects as pb-run, with UTC as the session's time zone, and checks the schema, each within the wait set
 * by pb_record_set_timeout (the connection string's connect_timeout wins for the connection). Returns the connection
 * (PQfinish it), or NULL with a message in err.
 */
PGconn *pb_record_connect(struct pb_buf *err);

/*
 * Takes the advisory lock of month (the month's, whatever the job: one run at a time per month), held by
 * conn's session until it closes. Returns 0; PB_RECORD_LOCKED with "job 'JOB' for YYYY-MM is running already:
 * run N, by WHO, since WHEN" in err (or, when another job holds the month, "job 'JOB' for YYYY-MM is not run:
 * job 'OTHER' is running for YYYY-MM already: run N, by WHO, since WHEN"); or -1 with a message in err.
 * With wait seconds (0: none), a month held is tried again every quarter second until then, having said once
 * "waiting up to N s for YYYY-MM: " and the holder; still held, err ends with " (waited N s)".
 */
int pb_record_lock(PGconn *conn, const char *job, int32_t month, long wait, struct pb_buf *err);

/*
 * Whether conn's session still holds the lock pb_record_lock took: its connection can end under it (a
 * DBA's pg_terminate_backend, a proxy, a failover), and the lock with it. Returns 0, or -1 with "the lock
 * of job 'JOB' for YYYY-MM is lost (why)" in err.
 */
int pb_record_lock_held(PGconn *conn, const char *job, int32_t month, struct pb_buf *err);

/*
 * With the lock held: marks the runs of the month (of any job) left running by a pb-run that died, and their
 * steps, failed; then inserts run as running, by "user@host pid N", and sets run->id. Returns 0 or -1.
 */
int pb_record_begin(PGconn *conn, struct pb_record_run *run, struct pb_buf *err);

/* Inserts attempt number attempt of step seq (1-based) as running, with argv[0..argc-1]. 0 or -1. */
int pb_record_step_begin(PGconn *conn, long long run_id, unsigned seq, const char *name, unsigned attempt,
			 char *const *argv, size_t argc, struct pb_buf *err);

/* How an attempt ended, for pb_record_step_end. */
struct pb_record_step_end {
	const char *status; /* succeeded, failed, timed_out or interrupted */
	int exit_status;    /* < 0: none */
	int signal;	    /* 0: none */
	const char *tail;   /* its stderr's end; bytes that are not UTF-8 are stored as '?' */
	size_t tail_len;
};

int pb_record_step_end(PGconn *conn, long long run_id, unsigned seq, unsigned attempt,
		       const struct pb_record_step_end *end, struct pb_buf *err);

/*
 * Ends the run with status (succeeded, failed or interrupted), pb-run's exit status and error (NULL: none);
 * a step attempt of it still running (its end not recorded) is marked failed.
 */
int pb_record_finish(PGconn *conn, long long run_id, const char *status, int exit_status, const char *error,
		     struct pb_buf *err);

/*
 * Appends to out a table of the limit latest runs (of job only, unless it is NULL), newest first, each
 * followed by its steps' attempts. Returns 0 or -1.
 */
int pb_record_history(PGconn *conn, const char *job, long limit, struct pb_buf *out, struct pb_buf *err);

#endif
