/* A run from its job file to its exit status: prepare (no side effects), then lock, record, steps, metrics. */
#include "run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "conf.h"
#include "date.h"
#include "db.h"
#include "exec.h"
#include "exitcode.h"
#include "fetch.h"
#include "log.h"
#include "metrics.h"
#include "progress.h"
#include "record.h"
#include "step.h"

#include "banned.h"

#define JOB_FILE_MAX ((size_t)1 << 20)
/* How long the metrics file written as a run begins waits for a lock (below PB_RUN_DB_TIMEOUT's least, 1 s). */
#define BEGIN_LOCK_WAIT "'500ms'"

/* Reads and parses the job file into run. Returns 0 or EXIT_DATA, having said why. */
static int load(struct pb_run *run, struct pb_buf *err)
{
	struct pb_log_where w;
	struct pb_job_mark at;
	struct pb_buf shown = PB_BUF_INIT;
	const char *path = run->args->job_file;

	memset(&w, 0, sizeof(w));
	w.file = path;
	if (pb_fetch_is_url(path)) {
		pb_error("%s: a job file is a local file, not a URL", path);
		return EXIT_DATA;
	}
	/* Read as a config is: a FIFO or a device is refused, not waited on for ever. */
	if (pb_conf_read(path, JOB_FILE_MAX, &run->text, &shown, err) != 0) {
		pb_buf_release(&shown);
		pb_error("%s", pb_buf_str(err));
		return EXIT_DATA;
	}
	pb_buf_release(&shown);
	if (pb_job_parse(&run->job, run->text.ptr ? run->text.ptr : "", run->text.len, &at, err) < 0) {
		w.line = at.line;
		w.column = at.column;
		pb_log(PB_LOG_ERROR, &w, "%s", pb_buf_str(err));
		return EXIT_DATA;
	}
	return 0;
}

/*
 * Today by the database server's clock, on a connection of its own (waiting for the database as the run would):
 * 0, or -1 with why in err.
 */
static int server_today(int32_t *today, struct pb_buf *err)
{
	PGconn *conn = pb_record_connect(err);
	int ret = conn && pb_db_today(conn, today, err) == 0 ? 0 : -1;

	if (ret < 0 && !err->len)
		pb_buf_addstr(err, "cannot take today from the database server");
	PQfinish(conn);
	return ret;
}

int pb_run_prepare(struct pb_run *run, const struct pb_run_args *args)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_job_mark at;
	struct pb_log_where w;
	struct stat ms, js;
	int32_t today;
	int ret, rc;

	memset(run, 0, sizeof(*run));
	run->args = args;
	pb_buf_init(&run->text, 0);
	pb_buf_init(&run->today_err, 0);
	ret = load(run, &err);
	if (ret)
		goto out;
	/*
	 * The metrics file is replaced after the run, so only a regular file may be there: a FIFO, a device or a
	 * link would be replaced (as root, /dev/null), and is the caller's mistake, which no retry mends.
	 */
	if (args->metrics_file && lstat(args->metrics_file, &ms) == 0 && !S_ISREG(ms.st_mode)) {
		pb_error("--metrics-file needs a regular file, not '%s', %s (it replaces the file whole)",
			 args->metrics_file, pb_metrics_file_kind(ms.st_mode));
		ret = EXIT_USAGE;
		goto out;
	}
	/* Never by the job file's own name, a link or a hard link. */
	if (args->metrics_file && stat(args->metrics_file, &ms) == 0 && stat(args->job_file, &js) == 0 &&
	    ms.st_dev == js.st_dev && ms.st_ino == js.st_ino) {
		pb_error("--metrics-file '%s' is the job file", args->metrics_file);
		ret = EXIT_USAGE;
		goto out;
	}
	/*
	 * Without the database, the run does not begin (begin says why, exit 3, and the metrics file says so); the
	 * machine's day stands for the plan meanwhile.
	 */
	today = pb_param_today();
	if (!args->dry && (!args->month || !args->as_of) && server_today(&today, &run->today_err) < 0)
		today = pb_param_today();
	pb_param_resolve(&run->job, today, args->month, args->as_of, &run->par);
	if (run->par.as_of < run->par.month) {
		char month[11], day[11];

		pb_date_format(run->par.month, month);
		pb_date_format(run->par.as_of, day);
		memset(&w, 0, sizeof(w));
		w.file = args->job_file;
		/* The job file's as_of: where to mend it. */
		if (!args->as_of && run->job.as_of_kind == PB_JOB_DAY_LITERAL) {
			w.line = run->job.as_of_at.line;
			w.column = run->job.as_of_at.column;
		}
		pb_log(PB_LOG_ERROR, &w,
		       "as_of %s is before the month %.7s: give --as-of, a day of the month or after it", day, month);
		ret = EXIT_USAGE;
		goto out;
	}
	rc = pb_plan_make(&run->plan, &run->job, &run->par, args->from, args->only, &at, &err);
	if (rc < 0) {
		memset(&w, 0, sizeof(w));
		w.file = at.line ? args->job_file : NULL;
		w.line = at.line;
		w.column = at.column;
		pb_log(PB_LOG_ERROR, &w, "%s", pb_buf_str(&err));
		ret = rc == PB_PLAN_ERR_MEMORY ? EXIT_DATA : EXIT_USAGE;
	}
out:
	pb_buf_release(&err);
	return ret;
}

void pb_run_release(struct pb_run *run)
{
	pb_plan_release(&run->plan);
	pb_job_release(&run->job);
	pb_buf_release(&run->text);
	pb_buf_release(&run->today_err);
}

/*
 * Writes b on out (standard output), checked to the end. Returns 0, EXIT_DATA out of memory, or EXIT_DEPENDENCY
 * having said why it could not be written.
 */
static int write_out(const struct pb_buf *b, FILE *out)
{
	if (b->failed) {
		pb_error("out of memory");
		return EXIT_DATA;
	}
	if (fwrite(pb_buf_str(b), 1, b->len, out) != b->len || fflush(out) != 0 || ferror(out)) {
		pb_error("cannot write standard output: %s", strerror(errno));
		return EXIT_DEPENDENCY;
	}
	return 0;
}

int pb_run_dry(const struct pb_run *run, FILE *out)
{
	struct pb_buf b = PB_BUF_INIT;
	char month[11], as_of[11];
	size_t i;
	int ret;

	pb_date_format(run->par.month, month);
	pb_date_format(run->par.as_of, as_of);
	pb_buf_addf(&b, "job %s: month %.7s, as_of %s\n", run->job.name, month, as_of);
	for (i = 0; i < run->plan.nsteps; i++)
		pb_buf_addf(&b, "%s: %s\n", run->plan.steps[i].step->name, run->plan.steps[i].shell);
	ret = write_out(&b, out);
	pb_buf_release(&b);
	return ret;
}

int pb_run_history(const char *job, long limit, FILE *out)
{
	struct pb_buf err = PB_BUF_INIT, table = PB_BUF_INIT;
	PGconn *conn = pb_record_connect(&err);
	int ret = EXIT_DEPENDENCY;

	if (!conn || pb_record_history(conn, job, limit, &table, &err) < 0)
		pb_error("%s", pb_buf_str(&err));
	else
		ret = write_out(&table, out);
	PQfinish(conn);
	pb_buf_release(&err);
	pb_buf_release(&table);
	return ret;
}

/* What a run holds while it runs: the lock's connection, and the one that records. */
struct session {
	struct pb_step_ctx ctx; /* its conn records, its lock holds the lock */
	char month[8];
	uint64_t start_ms;
	struct pb_metrics_step *times; /* of the steps that ran */
	size_t ntimes;
};

static void sha256_hex(const char *text, size_t len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0, i;

	hex[0] = '\0';
	if (EVP_Digest(text, len, md, &n, EVP_sha256(), NULL) != 1)
		n = 0;
	for (i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Connects, takes the lock, and records the run as running. Returns 0 or an exit status, having said why. */
static int begin(const struct pb_run *run, struct session *s)
{
	struct pb_buf err = PB_BUF_INIT, ignore = PB_BUF_INIT;
	struct pb_record_run rec;
	char sha[65], as_of[11], *path = NULL;
	int ret = EXIT_DEPENDENCY, rc;

	if (run->today_err.len) {
		pb_buf_addstr(&err, pb_buf_str(&run->today_err));
		goto fail;
	}
	s->ctx.lock = pb_record_connect(&err);
	if (!s->ctx.lock)
		goto fail;
	rc = pb_record_lock(s->ctx.lock, run->job.name, run->par.month, run->args->wait, &err);
	if (rc == PB_RECORD_LOCKED)
		ret = EXIT_REFUSED;
	/*
	 * The recording connection is made once the lock is had or refused (a refused run's metrics are the
	 * database's too): made before a wait (--wait), it sat idle all along, for an idle limit to end.
	 */
	if (rc == 0 || rc == PB_RECORD_LOCKED) {
		s->ctx.conn = pb_record_connect(rc ? &ignore : &err);
		if (!s->ctx.conn && rc == 0)
			rc = -1;
	}
	/* A pb-run killed outright leaves its lock held until its running step's group is gone. */
	/* A signal cuts a call to a server that does not answer rather than wait for it. */
	pb_exec_on_signal(pb_record_interrupt);
	if (rc != 0 || pb_exec_setup(PQsocket(s->ctx.lock), &err) < 0)
		goto fail;
	sha256_hex(pb_buf_str(&run->text), run->text.len, sha);
	memset(&rec, 0, sizeof(rec));
	rec.job = run->job.name;
	rec.month = run->par.month;
	rec.as_of = run->par.as_of;
	/* The file's full name, which says which job file it was whatever folder pb-run ran in. */
	path = realpath(run->args->job_file, NULL);
	rec.job_file = path ? path : run->args->job_file;
	rec.sha256 = sha;
	if (pb_record_begin(s->ctx.conn, &rec, &err) < 0)
		goto fail;
	s->ctx.run_id = rec.id;
	pb_date_format(run->par.as_of, as_of);
	pb_step_log(&s->ctx, PB_LOG_INFO, NULL, "run %lld: job %s for %s, as_of %s", rec.id, run->job.name, s->month,
		    as_of);
	ret = 0;
	goto out;
fail:
	pb_error("%s", pb_buf_str(&err));
out:
	free(path);
	pb_buf_release(&err);
	pb_buf_release(&ignore);
	return ret;
}

/* Runs the plan's steps in order. Returns 0, or -1 with end filled by the step that stopped the run. */
static int run_steps(const struct pb_run *run, struct session *s, struct pb_step_end *end)
{
	size_t i;

	for (i = 0; i < run->plan.nsteps; i++) {
		const struct pb_plan_step *ps = &run->plan.steps[i];
		int started, rc;
		uint64_t ms;

		/* Without its lock, a second run of the month could be running beside this one. */
		if (i && pb_step_lock_held(&s->ctx, "the job's next steps are not run", end) < 0)
			return -1;
		rc = pb_step_run(&s->ctx, ps, end, &started, &ms);
		if (started) {
			s->times[s->ntimes].name = ps->step->name;
			s->times[s->ntimes].ms = ms;
			s->ntimes++;
		}
		if (rc < 0)
			return -1;
	}
	/* Nor is a run that lost its lock during its last step a success: another could have run beside it. */
	if (pb_step_lock_held(&s->ctx, "its last step may have run beside another run of the month", end) < 0)
		return -1;
	return 0;
}

/*
 * Writes the metrics file of the finished run, or (running) of the run that has just begun. Returns 0, or -1 (-2: not a
 * regular file there) having said why; the file of a run that begins is not said to fail: the file of its end says it
 * once, with the exit status the run then has.
 */
static int write_metrics(const struct pb_run *run, const struct session *s, int exit_status, int running)
{
	struct pb_metrics_run m;
	struct pb_buf text = PB_BUF_INIT, err = PB_BUF_INIT;
	char success[64];
	struct timespec now;
	int ret = -1, rc;

	m.job = run->job.name;
	m.run_id = s->ctx.run_id;
	m.month = run->par.month;
	m.exit_status = exit_status;
	m.running = running;
	m.steps = s->times;
	m.nsteps = s->ntimes;
	clock_gettime(CLOCK_REALTIME, &now);
	m.finished_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	m.last_success = NULL;
	/* A run that never began: without a database, the last success the file said is carried over. */
	if (!s->ctx.conn &&
	    pb_metrics_read_success(run->args->metrics_file, run->job.name, success, sizeof(success)) == 0)
		m.last_success = success;
	if (s->ctx.conn)
		pb_record_watch(s->ctx.conn);
	/*
	 * As the run begins, the file waits for no lock for long: a read held behind another session's lock (the
	 * month's aggregate locked by a VACUUM FULL, a long DDL) waited until the deadline cut the connection the run
	 * records its steps on, and the run failed before its first step. Not written then, the run goes on, and the
	 * file after the run is written as ever.
	 */
	if (running && s->ctx.conn &&
	    (pb_db_exec(s->ctx.conn, "BEGIN", 0, NULL, &err) < 0 ||
	     pb_db_exec(s->ctx.conn, "SET LOCAL lock_timeout = " BEGIN_LOCK_WAIT, 0, NULL, &err) < 0))
		rc = -1;
	else
		rc = pb_metrics_format(s->ctx.conn, &m, &text, &err);
	if (running && s->ctx.conn && PQtransactionStatus(s->ctx.conn) != PQTRANS_IDLE)
		PQclear(PQexec(s->ctx.conn, "ROLLBACK"));
	if (s->ctx.conn)
		rc = pb_record_unwatch(s->ctx.conn, rc, &err);
	if (rc == 0)
		rc = pb_metrics_write_file(run->args->metrics_file, pb_buf_str(&text), text.len, &err);
	if (rc == 0)
		ret = 0;
	else if (!running)
		pb_error("metrics: %s", pb_buf_str(&err));
	/* Not a regular file (put there during the run): the caller's mistake, as when the run began. */
	if (rc == -2)
		ret = -2;
	pb_buf_release(&text);
	pb_buf_release(&err);
	return ret;
}

/*
 * The recording connection, made again when the server ended it (a restart, a failover) so that the run's
 * end is recorded and its metrics are the database's; NULL, having said why, when that fails too.
 */
static PGconn *recording(struct session *s)
{
	struct pb_buf err = PB_BUF_INIT;

	if (PQstatus(s->ctx.conn) != CONNECTION_OK) {
		PQfinish(s->ctx.conn);
		s->ctx.conn = pb_record_connect(&err);
		if (!s->ctx.conn)
			pb_error("%s", pb_buf_str(&err));
	}
	pb_buf_release(&err);
	return s->ctx.conn;
}

/* Records the run's end, writes the metrics, says how it ended. Returns pb-run's exit status. */
static int finish(const struct pb_run *run, struct session *s, int ok, struct pb_step_end *end)
{
	struct pb_buf err = PB_BUF_INIT;
	int status, sig = pb_exec_signal(), rc = -1, tries;
	char secs[32], name[32];

	/* A run that failed once pb-run got its signal (a call to the database it cut, say) ended by that signal. */
	if (!ok && sig && strcmp(end->status, "interrupted") != 0) {
		pb_exec_signal_name(sig, name, sizeof(name));
		end->status = "interrupted";
		end->exit_status = 128 + sig;
		if (strncmp(pb_buf_str(&end->why), "interrupted by ", 15) != 0) {
			struct pb_buf why = PB_BUF_INIT;

			pb_buf_addf(&why, "interrupted by %s: %s", name, pb_buf_str(&end->why));
			pb_buf_reset(&end->why);
			pb_buf_addstr(&end->why, pb_buf_str(&why));
			pb_buf_release(&why);
		}
	}
	status = ok ? 0 : end->exit_status;
	/* Once more on a new connection when the one it had was cut under it (a signal, the deadline). */
	for (tries = 0; tries < 2 && rc < 0; tries++) {
		if (!recording(s))
			break;
		pb_buf_reset(&err);
		rc = pb_record_finish(s->ctx.conn, s->ctx.run_id, ok ? "succeeded" : end->status, status,
				      ok ? NULL : pb_buf_str(&end->why), &err);
		if (rc < 0 && PQstatus(s->ctx.conn) == CONNECTION_OK)
			break;
	}
	if (rc < 0 && err.len)
		pb_error("%s", pb_buf_str(&err));
	if (rc < 0 && !status)
		status = EXIT_DEPENDENCY;
	if (run->args->metrics_file && (rc = write_metrics(run, s, status, 0)) < 0 && !status)
		status = rc == -2 ? EXIT_USAGE : EXIT_DEPENDENCY;
	pb_step_seconds(pb_now_ms() - s->start_ms, secs);
	if (ok)
		pb_step_log(&s->ctx, PB_LOG_INFO, NULL, "run %lld succeeded in %s", s->ctx.run_id, secs);
	else if (strcmp(end->status, "interrupted") == 0)
		pb_step_log(&s->ctx, PB_LOG_ERROR, NULL, "run %lld %s", s->ctx.run_id, pb_buf_str(&end->why));
	else
		pb_step_log(&s->ctx, PB_LOG_ERROR, NULL, "run %lld failed: %s", s->ctx.run_id, pb_buf_str(&end->why));
	pb_buf_release(&err);
	return status;
}

int pb_run_execute(struct pb_run *run, FILE *err_out)
{
	struct session s;
	struct pb_step_end end;
	char day[11];
	int status;

	memset(&s, 0, sizeof(s));
	memset(&end, 0, sizeof(end));
	pb_buf_init(&end.why, 0);
	pb_date_format(run->par.month, day);
	snprintf(s.month, sizeof(s.month), "%.7s", day);
	s.ctx.month = s.month;
	s.ctx.job = run->job.name;
	s.ctx.month_day = run->par.month;
	s.ctx.err_out = err_out;
	s.ctx.json_log = run->args->json_log;
	s.ctx.grace_ms = PB_RUN_GRACE_MS;
	s.start_ms = pb_now_ms();
	s.times = calloc(run->plan.nsteps + 1, sizeof(*s.times));
	if (!s.times) {
		pb_error("out of memory");
		return EXIT_DATA;
	}
	status = begin(run, &s);
	if (!status) {
		int ok;

		/* A pb-run killed outright writes nothing at its end: the file says the run began and has not ended. */
		if (run->args->metrics_file)
			write_metrics(run, &s, 0, 1);
		ok = run_steps(run, &s, &end) == 0;
		pb_exec_end();
		status = finish(run, &s, ok, &end);
	} else if (run->args->metrics_file)
		write_metrics(run, &s, status, 0);
	PQfinish(s.ctx.conn);
	PQfinish(s.ctx.lock);
	free(s.times);
	pb_buf_release(&end.why);
	return status;
}
