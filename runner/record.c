/* pb.job_run and pb.job_step: the lock of a month, the run's row, one row per step attempt, history. */
#include "record.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "date.h"
#include "db.h"
#include "exec.h"
#include "log.h"
#include "text.h"
#include "who.h"

#include "banned.h"

/*
 * The deadline of a call to the database. libpq waits for the server's answer for ever (a stopped server
 * process, a peer that never answers: statement_timeout is the server's own, and needs it running): at the
 * deadline SIGALRM cuts the connection's socket (shutdown), which ends libpq's wait with an error, and the
 * connection with it.
 */
static int timeout_s = PB_RECORD_TIMEOUT_DEFAULT;
static volatile sig_atomic_t watched_fd = -1, cut, cut_by;

/* After pb-run's signal, how long at most the calls that record the run's end wait for the server. */
#define AFTER_SIGNAL_S 5

/* The wait of a call: PB_RUN_DB_TIMEOUT, or at most AFTER_SIGNAL_S once pb-run is stopping on a signal. */
static int wait_s(void)
{
	return pb_exec_signal() && timeout_s > AFTER_SIGNAL_S ? AFTER_SIGNAL_S : timeout_s;
}

void pb_record_interrupt(int sig)
{
	if (watched_fd >= 0 && !cut) {
		shutdown(watched_fd, SHUT_RDWR);
		cut_by = sig;
		cut = 1;
	}
}

static void on_alarm(int sig)
{
	(void)sig;
	if (watched_fd >= 0) {
		shutdown(watched_fd, SHUT_RDWR);
		cut = 1;
	}
}

void pb_record_set_timeout(int seconds)
{
	timeout_s = seconds;
}

void pb_record_watch(PGconn *conn)
{
	struct sigaction sa;
	struct itimerval t;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	cut = 0;
	cut_by = 0;
	memset(&t, 0, sizeof(t));
	t.it_value.tv_sec = wait_s();
	watched_fd = PQsocket(conn);
	setitimer(ITIMER_REAL, &t, NULL);
}

/* Appends "host 'H', port P, database 'D'" of conn, the database's name as a message may show it. */
static void add_server(struct pb_buf *err, PGconn *conn)
{
	const char *host = PQhost(conn);

	pb_buf_addf(err, "host '%s', port %s, database '", host && *host ? host : "localhost",
		    PQport(conn) ? PQport(conn) : "");
	pb_db_dbname_shown(err, PQdb(conn));
	pb_buf_addch(err, '\'');
}

int pb_record_unwatch(PGconn *conn, int ret, struct pb_buf *err)
{
	struct itimerval off;

	memset(&off, 0, sizeof(off));
	setitimer(ITIMER_REAL, &off, NULL);
	watched_fd = -1;
	/* A call that ended as the deadline came has its result: the next call meets the closed connection. */
	if (!cut || ret >= 0)
		return ret;
	pb_buf_reset(err);
	if (cut_by) {
		char sig[32];

		pb_exec_signal_name(cut_by, sig, sizeof(sig));
		pb_buf_addf(err, "interrupted by %s while waiting for the database server (", sig);
		add_server(err, conn);
		pb_buf_addch(err, ')');
		return -1;
	}
	pb_buf_addstr(err, "the database server (");
	add_server(err, conn);
	pb_buf_addf(
		err,
		") did not answer in %d s: it is stopped, hangs or is out of reach (PB_RUN_DB_TIMEOUT sets the wait)",
		wait_s());
	return -1;
}

int pb_record_ended(const PGconn *conn)
{
	return !cut && PQstatus(conn) != CONNECTION_OK;
}

/* pb_db_query within the deadline. */
static PGresult *timed_query(PGconn *conn, const char *sql, int nparams, const char *const *params, struct pb_buf *err)
{
	PGresult *res;

	pb_record_watch(conn);
	res = pb_db_query(conn, sql, nparams, params, err);
	pb_record_unwatch(conn, res ? 0 : -1, err);
	return res;
}

/* pb_db_exec within the deadline. */
static int timed_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, struct pb_buf *err)
{
	PGresult *res = timed_query(conn, sql, nparams, params, err);

	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

PGconn *pb_record_connect(struct pb_buf *err)
{
	PGconn *conn = pb_db_connect_within("pb-run", wait_s(), err);
	int ret = 0;

	if (conn) {
		pb_record_watch(conn);
		if (pb_db_exec(conn, "SET TIME ZONE 'UTC'", 0, NULL, err) < 0 || pb_db_check_schema(conn, err) < 0)
			ret = -1;
		ret = pb_record_unwatch(conn, ret, err);
	}
	if (ret < 0) {
		PQfinish(conn);
		conn = NULL;
	}
	return conn;
}

/*
 * The lock's name, whose 64-bit hash the server computes: "pb-run|YYYY-MM". It is the month's, whatever the
 * job: a finance rerun of the month close and the nightly job over the same month are one run at a time.
 */
static void lock_name(int32_t month, char *day, struct pb_buf *key)
{
	pb_date_format(month, day);
	pb_buf_reset(key);
	pb_buf_addf(key, "pb-run|%.7s", day);
}

/* How long, at most, the holder of the lock is given to record its run, so that it can be named. */
#define HOLDER_WAIT_MS 2000
#define HOLDER_POLL_MS 50

/*
 * Says who holds the lock: the running run of the month (of this job or another) and the session behind it.
 * A pb-run that holds it records its run a moment after it takes it: a run that lost the race to it waits
 * a little for that row, so that it names the run rather than a server process. A run left 'running' by a
 * pb-run that died before the holder's session began is not the holder. Returns whether anyone holds it.
 */
static int describe_holder(PGconn *conn, const char *key, const char *job, const char *day, struct pb_buf *err)
{
	const char *p[2] = {key, day};
	struct pb_buf ignore = PB_BUF_INIT;
	const struct timespec poll_wait = {0, HOLDER_POLL_MS * 1000000L};
	PGresult *res = NULL;
	int waited, found;

	for (waited = 0;; waited += HOLDER_POLL_MS) {
		PQclear(res);
		res = timed_query(conn,
				  "SELECT r.id, r.job, coalesce(r.run_by, a.application_name || ' (server process ' || "
				  "a.pid || ')'), "
				  "to_char(coalesce(r.started_at, a.backend_start), 'YYYY-MM-DD HH24:MI:SS TZ'), "
				  "a.application_name = 'pb-run' "
				  "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
				  "LEFT JOIN pb.job_run r ON r.status = 'running' AND r.month = $2::date "
				  "AND r.started_at >= a.backend_start "
				  "WHERE l.granted AND " PB_DB_ADVISORY_LOCK_IS(
					  "l", "hashtextextended($1, 0)") " "
									  "ORDER BY r.id DESC NULLS LAST LIMIT 1",
				  2, p, &ignore);
		if (!res || PQntuples(res) != 1 || !PQgetisnull(res, 0, 0) || strcmp(PQgetvalue(res, 0, 4), "t") != 0 ||
		    waited >= HOLDER_WAIT_MS)
			break;
		nanosleep(&poll_wait, NULL);
	}
	pb_buf_reset(err);
	if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) && strcmp(PQgetvalue(res, 0, 1), job) == 0)
		pb_buf_addf(err, "job '%s' for %.7s is running already: run %s, ", job, day, PQgetvalue(res, 0, 0));
	else if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		pb_buf_addf(err, "job '%s' for %.7s is not run: job '%s' is running for %.7s already: run %s, ", job,
			    day, PQgetvalue(res, 0, 1), day, PQgetvalue(res, 0, 0));
	else
		pb_buf_addf(err, "job '%s' for %.7s is not run: another run holds %.7s (one run at a time per month)",
			    job, day, day);
	if (res && PQntuples(res) == 1)
		pb_buf_addf(err, "%sby %s, since %s", PQgetisnull(res, 0, 0) ? ": " : "", PQgetvalue(res, 0, 2),
			    PQgetvalue(res, 0, 3));
	found = res && PQntuples(res) == 1;
	PQclear(res);
	pb_buf_release(&ignore);
	return found;
}

/* How many times the lock is tried when its holder let go of it before it could be named. */
#define LOCK_TRIES 5
/* How often a run that waits for its month (--wait) tries the lock again. */
#define WAIT_POLL_MS 250

/* Milliseconds since start, on the monotonic clock. */
static long long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000LL + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int pb_record_lock(PGconn *conn, const char *job, int32_t month, long wait, struct pb_buf *err)
{
	struct pb_buf key = PB_BUF_INIT;
	struct timespec start, pause = {0, 0};
	char day[11];
	const char *p[1];
	PGresult *res = NULL;
	int ret = -1, tries, said = 0;
	long long left;

	clock_gettime(CLOCK_MONOTONIC, &start);
	lock_name(month, day, &key);
	p[0] = pb_buf_str(&key);
	/* A run that ends between the try and the look at who holds the lock leaves the month free: try again. */
	for (tries = 1; ret < 0; tries++) {
		PQclear(res);
		res = timed_query(conn, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", 1, p, err);
		if (!res && said) {
			/* After "waiting up to N s", the end of the wait says which run it ends. */
			struct pb_buf why = PB_BUF_INIT;

			pb_buf_addf(&why, "job '%s' for %.7s is not run: while it waited for %.7s, %s", job, day, day,
				    pb_buf_str(err));
			pb_buf_reset(err);
			pb_buf_addstr(err, pb_buf_str(&why));
			pb_buf_release(&why);
		}
		if (!res)
			break;
		if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
			ret = 0;
			continue;
		}
		if (!describe_holder(conn, pb_buf_str(&key), job, day, err) && tries < LOCK_TRIES)
			continue;
		left = wait * 1000LL - elapsed_ms(&start);
		if (left <= 0) {
			if (wait > 0)
				pb_buf_addf(err, " (waited %ld s)", wait);
			ret = PB_RECORD_LOCKED;
			continue;
		}
		/* Said once: the holder, and how long this run waits for it. */
		if (!said)
			pb_log(PB_LOG_INFO, NULL, "waiting up to %ld s for %.7s: %s", wait, day, pb_buf_str(err));
		said = 1;
		pause.tv_nsec = (left < WAIT_POLL_MS ? left : WAIT_POLL_MS) * 1000000L;
		nanosleep(&pause, NULL);
		tries = 0;
	}
	PQclear(res);
	pb_buf_release(&key);
	return ret;
}

int pb_record_lock_held(PGconn *conn, const char *job, int32_t month, struct pb_buf *err)
{
	struct pb_buf key = PB_BUF_INIT, why = PB_BUF_INIT;
	char day[11];
	const char *p[1];
	PGresult *res;
	int ret = -1;

	lock_name(month, day, &key);
	p[0] = pb_buf_str(&key);
	res = timed_query(conn,
			  "SELECT count(*) FROM pg_locks l WHERE l.granted AND l.pid = pg_backend_pid() "
			  "AND " PB_DB_ADVISORY_LOCK_IS("l", "hashtextextended($1, 0)"),
			  1, p, &why);
	if (res && strcmp(PQgetvalue(res, 0, 0), "1") == 0)
		ret = 0;
	pb_buf_reset(err);
	if (ret < 0 && !res && cut)
		pb_buf_addf(err, "the lock of job '%s' for %.7s cannot be checked: %s", job, day, pb_buf_str(&why));
	else if (ret < 0)
		pb_buf_addf(err, "the lock of job '%s' for %.7s is lost (%s)", job, day,
			    !res && PQstatus(conn) != CONNECTION_OK ? "its connection to the database ended"
								    : "its session no longer holds it");
	PQclear(res);
	pb_buf_release(&key);
	pb_buf_release(&why);
	return ret;
}

/* A copy of the len bytes at s that PostgreSQL takes as text: each byte of what is not UTF-8 as '?'. */
static void add_text(struct pb_buf *b, const char *s, size_t len)
{
	size_t at = b->len;

	pb_buf_add(b, s, len);
	if (!b->failed)
		pb_text_mend(b->ptr + at, len);
}

/* "user@host pid N". */
static void run_by(struct pb_buf *who)
{
	char login[600];

	pb_who(login, sizeof(login));
	pb_buf_addf(who, "%s pid %ld", login, (long)getpid());
}

int pb_record_begin(PGconn *conn, struct pb_record_run *run, struct pb_buf *err)
{
	struct pb_buf who = PB_BUF_INIT, file = PB_BUF_INIT;
	char month[11], as_of[11];
	const char *p[6] = {run->job, month, as_of, NULL, NULL, run->sha256};
	PGresult *res = NULL;
	int ret = -1;

	pb_date_format(run->month, month);
	pb_date_format(run->as_of, as_of);
	/* Holding the month's lock, a run of the month still 'running' (of any job) belongs to a pb-run that died. */
	if (timed_exec(conn,
		       "WITH dead AS (UPDATE pb.job_run SET status = 'failed', finished_at = clock_timestamp(), "
		       "error = 'pb-run ended before the run finished' "
		       "WHERE month = $1::date AND status = 'running' RETURNING id) "
		       "UPDATE pb.job_step SET status = 'failed', finished_at = clock_timestamp() "
		       "WHERE status = 'running' AND run_id IN (SELECT id FROM dead)",
		       1, p + 1, err) < 0)
		goto out;
	run_by(&who);
	p[3] = pb_buf_str(&who);
	/* A job file in a folder named in Latin-1, say: the database takes text, not any bytes. */
	add_text(&file, run->job_file, strlen(run->job_file));
	p[4] = pb_buf_str(&file);
	res = timed_query(conn,
			  "INSERT INTO pb.job_run (job, month, as_of, status, run_by, job_file, job_sha256) "
			  "VALUES ($1, $2::date, $3::date, 'running', $4, $5, $6) RETURNING id",
			  6, p, err);
	if (!res)
		goto out;
	run->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	ret = 0;
out:
	PQclear(res);
	pb_buf_release(&who);
	pb_buf_release(&file);
	return ret;
}

/* The key of a step attempt's row, as text parameters. */
struct step_key {
	char id[24], seq[16], attempt[16];
};

static void step_key(struct step_key *k, long long run_id, unsigned seq, unsigned attempt)
{
	snprintf(k->id, sizeof(k->id), "%lld", run_id);
	snprintf(k->seq, sizeof(k->seq), "%u", seq);
	snprintf(k->attempt, sizeof(k->attempt), "%u", attempt);
}

int pb_record_step_begin(PGconn *conn, long long run_id, unsigned seq, const char *name, unsigned attempt,
			 char *const *argv, size_t argc, struct pb_buf *err)
{
	struct pb_buf arr = PB_BUF_INIT, text = PB_BUF_INIT;
	struct step_key k = {"", "", ""};
	const char *p[5] = {k.id, k.seq, name, k.attempt, NULL};
	int ret;

	step_key(&k, run_id, seq, attempt);
	pb_db_text_array(&arr, (const char *const *)argv, argc);
	/* The file run may lie in a folder named in Latin-1 (found on PATH or beside pb-run). */
	add_text(&text, pb_buf_str(&arr), arr.len);
	p[4] = pb_buf_str(&text);
	ret = timed_exec(conn,
			 "INSERT INTO pb.job_step (run_id, seq, name, attempt, argv, status) "
			 "VALUES ($1, $2, $3, $4, $5::text[], 'running')",
			 5, p, err);
	pb_buf_release(&arr);
	pb_buf_release(&text);
	return ret;
}

int pb_record_step_end(PGconn *conn, long long run_id, unsigned seq, unsigned attempt,
		       const struct pb_record_step_end *end, struct pb_buf *err)
{
	struct pb_buf tail = PB_BUF_INIT;
	struct step_key k = {"", "", ""};
	char st[16], sig[16];
	const char *p[7] = {k.id, k.seq, k.attempt, end->status, st, sig, NULL};
	int ret;

	step_key(&k, run_id, seq, attempt);
	snprintf(st, sizeof(st), "%d", end->exit_status);
	snprintf(sig, sizeof(sig), "%d", end->signal);
	if (end->exit_status < 0)
		p[4] = NULL;
	if (!end->signal)
		p[5] = NULL;
	add_text(&tail, end->tail, end->tail_len);
	p[6] = pb_buf_str(&tail);
	ret = timed_exec(conn,
			 "UPDATE pb.job_step SET status = $4, finished_at = clock_timestamp(), exit_status = $5, "
			 "signal = $6, stderr_tail = $7 WHERE run_id = $1 AND seq = $2 AND attempt = $3",
			 7, p, err);
	pb_buf_release(&tail);
	return ret;
}

int pb_record_finish(PGconn *conn, long long run_id, const char *status, int exit_status, const char *error,
		     struct pb_buf *err)
{
	struct pb_buf text = PB_BUF_INIT;
	char id[24], st[16];
	const char *p[4] = {id, status, st, NULL};
	int ret;

	snprintf(id, sizeof(id), "%lld", run_id);
	snprintf(st, sizeof(st), "%d", exit_status);
	/* The error may name a file in a folder named in Latin-1. */
	if (error) {
		add_text(&text, error, strlen(error));
		p[3] = pb_buf_str(&text);
	}
	/* A step whose end could not be recorded (the connection ended under it) ends with the run. */
	ret = timed_exec(conn,
			 "WITH steps AS (UPDATE pb.job_step SET status = CASE WHEN $2 = 'interrupted' THEN $2 "
			 "ELSE 'failed' END, finished_at = clock_timestamp() "
			 "WHERE run_id = $1 AND status = 'running') "
			 "UPDATE pb.job_run SET status = $2, finished_at = clock_timestamp(), exit_status = $3, "
			 "error = $4 WHERE id = $1",
			 4, p, err);
	pb_buf_release(&text);
	return ret;
}

#define HISTORY_COLUMNS 11

/*
 * The history's cells of row i (-1: the header) into cell[]; sig is room for a signal's name. The query's
 * first four columns order the rows and give the signal, its last the run's error (NULL on a step's row).
 */
static void history_cells(const PGresult *res, int i, const char **cell, char *sig, size_t sig_size)
{
	static const char *const header[HISTORY_COLUMNS] = {"run",    "job",  "month",	 "as_of",   "step", "attempt",
							    "status", "exit", "started", "seconds", "by"};
	int c;

	for (c = 0; c < HISTORY_COLUMNS; c++)
		cell[c] = i < 0 ? header[c] : PQgetvalue(res, i, c + 4);
	if (i < 0)
		return;
	if (!*cell[7] && !PQgetisnull(res, i, 3)) {
		pb_exec_signal_name((int)strtol(PQgetvalue(res, i, 3), NULL, 10), sig, sig_size);
		cell[7] = sig;
	}
	for (c = 0; c < HISTORY_COLUMNS; c++)
		if (!*cell[c] && (c == 7 || c == 9))
			cell[c] = "-";
}

/*
 * The columns a cell takes on a terminal. With a UTF-8 locale in use (utf8), each character's wcwidth: a CJK
 * character or an emoji takes two, a combining mark none, and a byte that is not UTF-8 or a character with no
 * width (an unassigned one) one. Without one, each character (UTF-8 code point) takes one. A control
 * character is one already, shown as '?'.
 */
static int cell_width(const char *s, int utf8)
{
	size_t left = strlen(s), k;
	mbstate_t st;
	wchar_t wc;
	int n = 0, w;

	if (!utf8) {
		for (; *s; s++)
			n += ((unsigned char)*s & 0xc0) != 0x80;
		return n;
	}
	memset(&st, 0, sizeof(st));
	while (left > 0) {
		k = mbrtowc(&wc, s, left, &st);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof(st));
			k = 1;
			w = 1;
		} else {
			w = wcwidth(wc);
			if (w < 0)
				w = 1;
		}
		n += w;
		s += k;
		left -= k;
	}
	return n;
}

/* Appends row i (-1: the header) with the columns' widths; numbers to the right, no trailing blanks. */
static void history_row(struct pb_buf *out, const PGresult *res, int i, const int *width, int utf8)
{
	static const int right[HISTORY_COLUMNS] = {1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0};
	const char *cell[HISTORY_COLUMNS];
	char sig[32];
	size_t start = out->len;
	int c;

	history_cells(res, i, cell, sig, sizeof(sig));
	for (c = 0; c < HISTORY_COLUMNS; c++) {
		int pad = width[c] - cell_width(cell[c], utf8);

		if (c)
			pb_buf_addstr(out, "  ");
		if (right[c])
			pb_buf_addf(out, "%*s%s", pad, "", cell[c]);
		else
			pb_buf_addf(out, "%s%*s", cell[c], pad, "");
	}
	while (out->len > start && out->ptr[out->len - 1] == ' ')
		out->len--;
	pb_buf_addch(out, '\n');
}

int pb_record_history(PGconn *conn, const char *job, long limit, struct pb_buf *out, struct pb_buf *err)
{
	char lim[24];
	/*
	 * Shown on a terminal: a control character (C0, DEL, C1) that a row's text holds (an older build's, one
	 * made by hand) as '?', in who ran it and in the job's and the step's names (a job file checks them, SQL
	 * does not). So is a format character (pb_text_format_char): a bidirectional override or isolate
	 * would show the rest of the line reordered.
	 */
	const char *p[3] = {job ? job : "", lim,
			    "[\\x01-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069\\ufeff]"};
	const char *cell[HISTORY_COLUMNS];
	int width[HISTORY_COLUMNS] = {0};
	char sig[32];
	locale_t utf8, old = (locale_t)0;
	PGresult *res;
	int i, c;

	snprintf(lim, sizeof(lim), "%ld", limit);
	res = timed_query(
		conn,
		"WITH r AS (SELECT * FROM pb.job_run WHERE $1 = '' OR job = $1 ORDER BY id DESC LIMIT $2::bigint) "
		"SELECT id, 0, 0, NULL, id::text, regexp_replace(job, $3, '?', 'g'), to_char(month, 'YYYY-MM'), "
		"as_of::text, '', '', status, coalesce(exit_status::text, ''), "
		"to_char(started_at, 'YYYY-MM-DD HH24:MI:SS'), "
		"coalesce(round(extract(epoch FROM finished_at - started_at), 1)::text, ''), "
		"regexp_replace(run_by, $3, '?', 'g'), regexp_replace(error, $3, '?', 'g') FROM r "
		"UNION ALL "
		"SELECT s.run_id, s.seq, s.attempt, s.signal, '', '', '', '', regexp_replace(s.name, $3, '?', 'g'), "
		"s.attempt::text, "
		"s.status, coalesce(s.exit_status::text, ''), to_char(s.started_at, 'YYYY-MM-DD HH24:MI:SS'), "
		"coalesce(round(extract(epoch FROM s.finished_at - s.started_at), 1)::text, ''), '', NULL "
		"FROM pb.job_step s JOIN r ON r.id = s.run_id ORDER BY 1 DESC, 2, 3",
		3, p, err);
	if (!res)
		return -1;
	/* C.UTF-8 for the width of each character (glibc's, in libc-bin); without it, each character is one. */
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8)
		old = uselocale(utf8);
	for (i = -1; i < PQntuples(res); i++) {
		history_cells(res, i, cell, sig, sizeof(sig));
		for (c = 0; c < HISTORY_COLUMNS; c++) {
			int w = cell_width(cell[c], utf8 != (locale_t)0);

			if (w > width[c])
				width[c] = w;
		}
	}
	for (i = -1; i < PQntuples(res); i++) {
		history_row(out, res, i, width, utf8 != (locale_t)0);
		/* What ended a run that failed, on a line of its own under it, from the job's column on. */
		if (i >= 0 && PQgetlength(res, i, HISTORY_COLUMNS + 4) > 0)
			pb_buf_addf(out, "%*serror: %s\n", width[0] + 2, "", PQgetvalue(res, i, HISTORY_COLUMNS + 4));
	}
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	PQclear(res);
	if (out->failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	return 0;
}
