/* The textfile of a run's metrics: Prometheus' text format, values as the database writes them, replaced atomically. */
#include "metrics.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "date.h"
#include "db.h"

#include "banned.h"

/* HELP and TYPE of a gauge. */
static void family(struct pb_buf *out, const char *name, const char *help)
{
	pb_buf_addf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A label's value, escaped as the text format wants. */
static void label(struct pb_buf *out, const char *name, const char *value, int first)
{
	pb_buf_addf(out, "%s%s=\"", first ? "{" : ",", name);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			pb_buf_addch(out, '\\');
		if (*value == '\n')
			pb_buf_addstr(out, "\\n");
		else
			pb_buf_addch(out, *value);
	}
	pb_buf_addch(out, '"');
}

/* A gauge of the job: HELP, TYPE and its one sample. */
static void job_gauge(struct pb_buf *out, const char *metric, const char *help, const char *job, const char *value)
{
	family(out, metric, help);
	pb_buf_addstr(out, metric);
	label(out, "job", job, 1);
	pb_buf_addf(out, "} %s\n", value);
}

/*
 * SQL: whether a run of job $1 other than run $2 runs now: recorded running, its month's lock held by a session that
 * began before it (a run left running by a pb-run that died holds none), as record.c names the lock.
 */
#define OTHER_RUN_RUNS                                                                                             \
	"EXISTS (SELECT 1 FROM pb.job_run r WHERE r.job = $1 AND r.status = 'running' AND r.id <> $2::bigint AND " \
	"EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.granted AND "           \
	"a.backend_start <= r.started_at AND " PB_DB_ADVISORY_LOCK_IS(                                             \
		"l", "hashtextextended('pb-run|' || to_char(r.month, 'YYYY-MM'), 0)") "))"

/* The job's timestamps and exit status. */
static int job_metrics(PGconn *conn, const struct pb_metrics_run *run, struct pb_buf *out, struct pb_buf *err)
{
	char id[24], status[16], ended[32];
	const char *p[2] = {run->job, id};
	PGresult *res;
	int runs = run->running;

	snprintf(ended, sizeof(ended), "%llu.%03llu", (unsigned long long)(run->finished_ms / 1000),
		 (unsigned long long)(run->finished_ms % 1000));
	if (!conn) {
		if (run->last_success)
			job_gauge(out, "pb_job_last_success_timestamp_seconds",
				  "Unix time at which the last successful run of the job (of any month) finished.",
				  run->job, run->last_success);
		job_gauge(out, "pb_job_last_run_timestamp_seconds",
			  "Unix time at which the last run of the job finished.", run->job, ended);
		goto status;
	}
	snprintf(id, sizeof(id), "%lld", run->run_id);
	res = pb_db_query(conn,
			  "SELECT (SELECT round(extract(epoch FROM max(finished_at)), 3)::text FROM pb.job_run "
			  "WHERE job = $1 AND status = 'succeeded'), "
			  "(SELECT round(extract(epoch FROM finished_at), 3)::text FROM pb.job_run WHERE id = $2), "
			  "(SELECT round(extract(epoch FROM started_at), 3)::text FROM pb.job_run WHERE id = "
			  "$2), " OTHER_RUN_RUNS,
			  2, p, err);
	if (!res)
		return -1;
	/*
	 * Another run of the job runs on: one refused because it holds the month, or one of another month. Said 0 by
	 * this run's end, a kill of it then would leave a file saying that nothing ran.
	 */
	if (strcmp(PQgetvalue(res, 0, 3), "t") == 0)
		runs = 1;
	if (!PQgetisnull(res, 0, 0))
		job_gauge(out, "pb_job_last_success_timestamp_seconds",
			  "Unix time at which the last successful run of the job (of any month) finished.", run->job,
			  PQgetvalue(res, 0, 0));
	if (!PQgetisnull(res, 0, 2))
		job_gauge(out, "pb_job_last_run_start_timestamp_seconds",
			  "Unix time at which the last run of the job started.", run->job, PQgetvalue(res, 0, 2));
	if (!run->running && (!PQgetisnull(res, 0, 1) || !run->run_id))
		job_gauge(out, "pb_job_last_run_timestamp_seconds",
			  "Unix time at which the last run of the job finished.", run->job,
			  run->run_id ? PQgetvalue(res, 0, 1) : ended);
	PQclear(res);
status:
	if (!run->running) {
		snprintf(status, sizeof(status), "%d", run->exit_status);
		job_gauge(out, "pb_job_last_run_exit_status", "Exit status of the last run of the job (0: success).",
			  run->job, status);
	}
	job_gauge(out, "pb_job_running",
		  "1 from the start of a run of the job to its end (a run killed outright leaves it 1), else 0.",
		  run->job, runs ? "1" : "0");
	return 0;
}

static void step_metrics(const struct pb_metrics_run *run, struct pb_buf *out)
{
	size_t i;

	if (!run->nsteps)
		return;
	family(out, "pb_job_step_duration_seconds",
	       "Wall-clock seconds each step of the last run of the job took, retries and their waits included.");
	for (i = 0; i < run->nsteps; i++) {
		pb_buf_addstr(out, "pb_job_step_duration_seconds");
		label(out, "job", run->job, 1);
		label(out, "step", run->steps[i].name, 0);
		pb_buf_addf(out, "} %llu.%03llu\n", (unsigned long long)(run->steps[i].ms / 1000),
			    (unsigned long long)(run->steps[i].ms % 1000));
	}
}

/* A sample per row of res whose first column is key: month, then the second column as label name, the third as value.
 */
static void samples(struct pb_buf *out, const PGresult *res, const char *key, const char *metric, const char *help,
		    const char *month, const char *name)
{
	int i, n = 0;

	for (i = 0; i < PQntuples(res); i++) {
		if (strcmp(PQgetvalue(res, i, 0), key) != 0)
			continue;
		if (!n++)
			family(out, metric, help);
		pb_buf_addstr(out, metric);
		label(out, "month", month, 1);
		label(out, name, PQgetvalue(res, i, 1), 0);
		pb_buf_addf(out, "} %s\n", PQgetvalue(res, i, 2));
	}
}

/* The month's lines by vendor, and the unmapped and ineligible amounts of its current aggregate run. */
static int month_metrics(PGconn *conn, const struct pb_metrics_run *run, struct pb_buf *out, struct pb_buf *err)
{
	char day[11], month[8];
	const char *p[1] = {day};
	PGresult *res;

	pb_date_format(run->month, day);
	snprintf(month, sizeof(month), "%.7s", day);
	res = pb_db_query(conn,
			  "SELECT '', v, coalesce(sum(i.line_count), 0)::text "
			  "FROM unnest(ARRAY['aws', 'azure']) v LEFT JOIN pb.import i ON i.vendor = v "
			  "AND i.status = 'committed' AND i.billing_month = $1::date GROUP BY v ORDER BY v",
			  1, p, err);
	if (!res)
		return -1;
	samples(out, res, "", "pb_ingest_lines", "Source lines of the committed imports of the month, by vendor.",
		month, "vendor");
	PQclear(res);
	res = pb_db_query(conn,
			  "SELECT bucket, currency, trim_scale(sum(amount))::text FROM pb.aggregate_bucket_current "
			  "WHERE billing_month = $1::date AND bucket IN ('unmapped', 'ineligible') "
			  "GROUP BY bucket, currency ORDER BY bucket, currency COLLATE \"C\"",
			  1, p, err);
	if (!res)
		return -1;
	samples(out, res, "unmapped", "pb_unmapped_amount",
		"Usage of the month that maps to no CLC account, by billing currency.", month, "currency");
	samples(out, res, "ineligible", "pb_ineligible_amount",
		"Usage of the month of CLC accounts not eligible for the vendor, by billing currency.", month,
		"currency");
	PQclear(res);
	return 0;
}

int pb_metrics_format(PGconn *conn, const struct pb_metrics_run *run, struct pb_buf *out, struct pb_buf *err)
{
	if (job_metrics(conn, run, out, err) < 0)
		return -1;
	step_metrics(run, out);
	if (conn && month_metrics(conn, run, out, err) < 0)
		return -1;
	if (out->failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	return 0;
}

int pb_metrics_read_success(const char *path, const char *job, char *value, size_t size)
{
	struct pb_buf want = PB_BUF_INIT;
	char line[4096];
	size_t n, len;
	int ret = -1, fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	FILE *f;

	/* Only a regular file is read (a FIFO would wait for a writer); the write refuses the others. */
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
		close(fd);
		return -1;
	}
	pb_buf_addstr(&want, "pb_job_last_success_timestamp_seconds");
	label(&want, "job", job, 1);
	pb_buf_addstr(&want, "} ");
	while (!want.failed && fgets(line, sizeof(line), f)) {
		if (strncmp(line, pb_buf_str(&want), want.len) != 0)
			continue;
		len = strlen(line + want.len);
		while (len && line[want.len + len - 1] == '\n')
			len--;
		n = strspn(line + want.len, "0123456789.");
		if (len && n == len && len < size) {
			memcpy(value, line + want.len, len);
			value[len] = '\0';
			ret = 0;
		}
		break;
	}
	fclose(f);
	pb_buf_release(&want);
	return ret;
}

/* Writes all len bytes at text to fd. Returns 0 or -1 (errno). */
static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Whether name is one of base's temporary names: a dot, base, a dot and mkstemp's six letters and digits. */
static int temporary_name(const char *name, const char *base)
{
	size_t n = strlen(base), i;

	if (name[0] != '.' || strncmp(name + 1, base, n) != 0 || name[n + 1] != '.' || strlen(name + n + 2) != 6)
		return 0;
	for (i = n + 2; name[i]; i++)
		if (!isalnum((unsigned char)name[i]))
			return 0;
	return 1;
}

/*
 * Removes the temporary files of base in folder dir that a pb-run killed while writing them left behind: a
 * writer holds its file locked until the rename, so one that can be locked is no writer's.
 */
static void remove_stale(const char *dir, const char *base)
{
	DIR *d = opendir(*dir ? dir : ".");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		int fd;

		if (!temporary_name(e->d_name, base))
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlinkat(dirfd(d), e->d_name, 0);
		close(fd);
	}
	closedir(d);
}

const char *pb_metrics_file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISDIR(mode))
		return "a folder";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISSOCK(mode))
		return "a socket";
	return S_ISREG(mode) ? "a regular file" : "not a file";
}

int pb_metrics_write_file(const char *path, const char *text, size_t len, struct pb_buf *err)
{
	struct pb_buf tmp = PB_BUF_INIT, dir = PB_BUF_INIT;
	const char *slash = strrchr(path, '/');
	struct stat st;
	int fd = -1, held = -1, created = 0, ret = -1, rc, dfd;

	/* The rename would put a regular file in place of whatever is there: a device (/dev/null), a FIFO, a link. */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot write '%s': not a regular file but %s", path,
			    pb_metrics_file_kind(st.st_mode));
		return -2;
	}
	pb_buf_add(&dir, path, slash ? (size_t)(slash - path) + 1 : 0);
	pb_buf_addf(&tmp, "%s.%s.XXXXXX", pb_buf_str(&dir), slash ? slash + 1 : path);
	if (tmp.failed || dir.failed) {
		errno = ENOMEM;
		goto out;
	}
	remove_stale(pb_buf_str(&dir), slash ? slash + 1 : path);
	fd = mkstemp(tmp.ptr);
	if (fd < 0)
		goto out;
	created = 1;
	/* Locked until renamed (held keeps the lock past the checked close), so that no other run removes it. */
	held = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (held < 0 || flock(held, LOCK_EX) < 0 || fchmod(fd, 0644) < 0 || write_all(fd, text, len) < 0 ||
	    fsync(fd) < 0)
		goto out;
	rc = close(fd);
	fd = -1;
	if (rc < 0 || rename(tmp.ptr, path) < 0)
		goto out;
	created = 0;
	/* The rename itself survives a crash once the folder is synced. */
	dfd = open(dir.len ? pb_buf_str(&dir) : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	ret = 0;
out:
	if (ret < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		if (created)
			unlink(tmp.ptr);
	}
	if (held >= 0)
		close(held);
	pb_buf_release(&tmp);
	pb_buf_release(&dir);
	return ret;
}
