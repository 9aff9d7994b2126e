/* The pool: a slot per connection, taken under a mutex; a lost connection is made again on its next use. */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "progress.h"

#include "banned.h"

/* After a failed connect, callers get 503 at once for this long instead of each trying again. */
#define RETRY_MS 250
/*
 * A statement's time at most: the server cancels it then (a lock it waits for, say), and a connection whose
 * server has not answered QUERY_GRACE_MS later (stopped, or cut off) is given up.
 */
#define QUERY_MS 5000
#define QUERY_GRACE_MS 2000
/*
 * A connect's time at most (libpq's connect_timeout, which PQconnectPoll leaves to its caller): 5 s, or a
 * stricter one that the connection string or PGCONNECT_TIMEOUT sets (a DBA's choice, as statement_timeout).
 */
#define CONNECT_S 5

struct slot {
	PGconn *conn;
	/*
	 * A descriptor of its own (F_DUPFD_CLOEXEC) for the socket of a connection being set up (its session's
	 * settings made, its schema checked, its statements prepared), -1: libpq closes its own when the server
	 * hangs up, and that number may be another connection's, a client's or a file's by the time a stop shuts
	 * this one.
	 */
	int opening;
	int cut; /* pb_api_pool_cut shut opening */
	int busy;
	int timeout_ms; /* the connection's statement_timeout: QUERY_MS, or the role's own when stricter */
};

struct pb_api_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	char *conninfo;
	unsigned size, wait_ms, in_use;
	struct slot *slots;
	uint64_t down_until_ms;
	int down; /* the last connect failed: logged once until one succeeds */
	atomic_uint_fast64_t connects, connect_failures;
	atomic_uint connected;
	atomic_uint_fast64_t stop_by;	 /* pb_now_ms's time by which a stopping server answers: 0 when running */
	atomic_int_fast64_t clock_ahead; /* seconds the database server's clock is ahead of the machine's */
};

int64_t pb_api_pool_now(struct pb_api_pool *p)
{
	return (int64_t)time(NULL) + (int64_t)atomic_load(&p->clock_ahead);
}

unsigned pb_api_pool_hold_ms(void)
{
	return QUERY_MS + QUERY_GRACE_MS;
}

void pb_api_pool_stop_by(struct pb_api_pool *p, uint64_t deadline_ms)
{
	atomic_store(&p->stop_by, deadline_ms);
	/* Those waiting for a connection look at the new deadline (a nearer one ends their wait at once). */
	pthread_mutex_lock(&p->lock);
	pthread_cond_broadcast(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

/* Whether a stopping server's deadline has come. */
static int stop_passed(struct pb_api_pool *p)
{
	uint64_t stop_by = atomic_load(&p->stop_by);

	return stop_by && pb_now_ms() >= stop_by;
}

/* deadline, or the stopping server's own when that comes first (*cut then 1). */
static uint64_t within_stop(struct pb_api_pool *p, uint64_t deadline, int *cut)
{
	uint64_t stop_by = atomic_load(&p->stop_by);

	*cut = stop_by && stop_by < deadline;
	return *cut ? stop_by : deadline;
}

struct pb_api_pool *pb_api_pool_new(const char *conninfo, unsigned size, unsigned wait_ms)
{
	struct pb_api_pool *p = calloc(1, sizeof(*p));
	pthread_condattr_t attr;
	unsigned i;

	if (!p)
		return NULL;
	p->conninfo = strdup(conninfo);
	p->slots = calloc(size ? size : 1, sizeof(*p->slots));
	if (!p->conninfo || !p->slots || pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p->conninfo);
		free(p->slots);
		free(p);
		return NULL;
	}
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->freed, &attr);
	pthread_condattr_destroy(&attr);
	p->size = size ? size : 1;
	for (i = 0; i < p->size; i++)
		p->slots[i].opening = -1;
	p->wait_ms = wait_ms;
	atomic_init(&p->connects, 0);
	atomic_init(&p->connect_failures, 0);
	atomic_init(&p->connected, 0);
	atomic_init(&p->clock_ahead, 0);
	return p;
}

void pb_api_pool_free(struct pb_api_pool *p)
{
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < p->size; i++)
		PQfinish(p->slots[i].conn);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p->slots);
	free(p->conninfo);
	free(p);
}

/* Notices are not for the server's log. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static const char expired[] = "timeout expired"; /* connect_until's *why when its time ran out */

/*
 * PQconnectdbParams's connection, made a tenth of a second at a time so that give_up(arg) ends it: a server
 * that stops does not wait for a database that does not answer (libpq waits out connect_timeout). NULL
 * connection, or one not CONNECTION_OK, with *why set when it was not libpq that ended it ("" by give_up).
 */
static PGconn *connect_until(const char *const *keys, const char *const *vals, int seconds, int (*give_up)(void *),
			     void *arg, const char **why)
{
	PGconn *conn = PQconnectStartParams(keys, vals, 1);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	uint64_t end = pb_now_ms() + (uint64_t)seconds * 1000;

	if (conn)
		PQsetNoticeProcessor(conn, ignore_notice, NULL);

	while (conn && PQstatus(conn) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		struct pollfd pfd = {.fd = PQsocket(conn), .events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT};
		uint64_t now = pb_now_ms();
		int n;

		if (give_up(arg)) {
			*why = "";
			break;
		}
		if (now >= end) {
			*why = expired;
			break;
		}
		n = poll(&pfd, 1, end - now < 100 ? (int)(end - now) : 100);
		if (n < 0 && errno != EINTR) {
			*why = "cannot wait for its answer (poll failed)";
			break;
		}
		if (n > 0)
			st = PQconnectPoll(conn);
	}
	return conn;
}

/* Whether the connection string opts (or PGHOST, PGHOSTADDR) names several hosts, to be tried in turn. */
static int several_hosts(const PQconninfoOption *opts)
{
	const char *env[2] = {getenv("PGHOST"), getenv("PGHOSTADDR")};
	int named[2] = {0, 0}, i;

	for (; opts->keyword; opts++)
		for (i = 0; i < 2; i++)
			if (strcmp(opts->keyword, i ? "hostaddr" : "host") == 0 && opts->val) {
				named[i] = 1;
				if (strchr(opts->val, ','))
					return 1;
			}
	for (i = 0; i < 2; i++)
		if (!named[i] && env[i] && strchr(env[i], ','))
			return 1;
	return 0;
}

/*
 * The connect_timeout a connection is made with, in seconds: CONNECT_S, or a stricter one that opts (the
 * connection string) or else PGCONNECT_TIMEOUT sets; libpq takes 1 as 2, and 0 or less as none (so CONNECT_S).
 * -1 with err set when it is not a whole number, which libpq would refuse (its asynchronous connect ignores it).
 */
static int connect_seconds(const PQconninfoOption *opts, const char *conninfo, struct pb_buf *err)
{
	const char *v = getenv("PGCONNECT_TIMEOUT"), *from = "PGCONNECT_TIMEOUT";
	char *end;
	long n;

	for (; opts->keyword; opts++)
		if (strcmp(opts->keyword, "connect_timeout") == 0 && opts->val) {
			v = opts->val;
			from = NULL;
		}
	if (!v || !*v)
		return CONNECT_S;
	errno = 0;
	n = strtol(v, &end, 10);
	/* What libpq takes after the number: any of isspace's characters in the C locale (a CR included). */
	while (*end && strchr(" \t\n\v\f\r", *end))
		end++;
	if (errno || end == v || *end || n > INT_MAX || n < INT_MIN) {
		pb_buf_addf(err,
			    "cannot connect to the database: connect_timeout '%s'%s%s is not a whole number of seconds",
			    v, from ? " in " : "", from ? from : "");
		if (end != v && !*end)
			pb_buf_addf(err, " from %d to %d", INT_MIN, INT_MAX);
		if (!from) {
			pb_buf_addstr(err, " (the database is '");
			pb_db_conninfo_shown(err, conninfo);
			pb_buf_addstr(err, "')");
		}
		return -1;
	}
	if (n <= 0 || n >= CONNECT_S)
		return CONNECT_S;
	return n < 2 ? 2 : (int)n;
}

/*
 * conninfo parsed: its options, or NULL with err when it is not a connection string or URI, or a URI with an '@'
 * after its user information (faults that no retry mends).
 */
static PQconninfoOption *parse_conninfo(const char *conninfo, struct pb_buf *err)
{
	PQconninfoOption *opts;

	if (pb_db_conninfo_check(conninfo, "cannot connect to the database", "--database (or PB_DATABASE_URL)", err) <
	    0)
		return NULL;
	opts = PQconninfoParse(conninfo, NULL);
	if (!opts)
		pb_buf_addstr(err, "cannot connect to the database: out of memory");
	return opts;
}

int pb_api_pool_conninfo_check(const char *conninfo, struct pb_buf *err)
{
	PQconninfoOption *opts = parse_conninfo(conninfo, err);

	PQconninfoFree(opts);
	return opts ? 0 : -1;
}

/* pb_api_pool_connect's connection before its session's settings are made. */
static PGconn *connect_only(const char *conninfo, const char *application, int (*give_up)(void *), void *arg,
			    struct pb_buf *err)
{
	const char *why = NULL;

	/* A dead peer over TCP is noticed in about 25 s (ignored on a Unix socket, which says so at once). */
	const char *keys[8] = {"dbname",
			       "application_name",
			       "connect_timeout",
			       "keepalives_idle",
			       "keepalives_interval",
			       "keepalives_count",
			       "options",
			       NULL};
	const char *vals[8] = {conninfo, application, NULL, "10", "5", "3", NULL, NULL};
	struct pb_buf options = PB_BUF_INIT;
	PQconninfoOption *opts = parse_conninfo(conninfo, err);
	char timeout[16];
	PGconn *conn;
	int seconds;

	if (!opts)
		return NULL;
	seconds = connect_seconds(opts, conninfo, err);
	/* libpq alone moves on to a list's next host when connect_timeout runs out: it waits as it did then. */
	if (several_hosts(opts))
		give_up = NULL;
	PQconninfoFree(opts);
	if (seconds < 0)
		return NULL;
	snprintf(timeout, sizeof(timeout), "%d", seconds);
	vals[2] = timeout;
	/* The server's chatter at startup kept out of the log (a role's client_min_messages = debug). */
	if (pb_db_startup_options(conninfo, PB_DB_QUIET_OPTIONS, &options))
		vals[6] = pb_buf_str(&options);
	else
		keys[6] = NULL;
	conn = give_up ? connect_until(keys, vals, seconds, give_up, arg, &why) : PQconnectdbParams(keys, vals, 1);
	pb_buf_release(&options);
	if (why && !*why) {
		pb_buf_addstr(err, "cannot connect to the database: no answer by the time the server had to stop");
		PQfinish(conn);
		return NULL;
	}
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		char late[64];

		snprintf(late, sizeof(late), "no answer within %d s (connect_timeout)", seconds);
		pb_db_message(err, "cannot connect to the database",
			      why == expired ? late
			      : why	     ? why
			      : conn	     ? PQerrorMessage(conn)
					     : "out of memory");
		pb_buf_addstr(err, " (the database is '");
		pb_db_conninfo_shown(err, conninfo);
		pb_buf_addstr(err, "': check that its server runs and takes its user, password and database)");
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	return conn;
}

PGconn *pb_api_pool_connect(const char *conninfo, const char *application, int (*give_up)(void *), void *arg,
			    struct pb_buf *err)
{
	PGconn *conn = connect_only(conninfo, application, give_up, arg, err);
	int rc;

	/* Its settings wait as a statement does, and for no stopping server. */
	if (!conn)
		return NULL;
	rc = give_up ? pb_db_session_until(conn, 0, pb_now_ms() + QUERY_MS + QUERY_GRACE_MS, give_up, arg, err)
		     : pb_db_session(conn, 0, err);
	if (rc == -2) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "cannot connect to the database: no answer by the time the server had to stop");
	}
	if (rc < 0) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

int pb_api_pool_set_timeout(PGconn *conn, int max_ms, int *ms, struct pb_buf *err)
{
	/*
	 * The session's statement_timeout as the role, the database or the connection string sets it: kept when
	 * it is stricter (a DBA's choice), max_ms otherwise (none set is 0).
	 */
	char sql[320];
	PGresult *res;
	int rc = -1;

	snprintf(sql, sizeof(sql),
		 "SELECT set_config('statement_timeout', v::text, false), v FROM (SELECT CASE WHEN "
		 "setting::bigint BETWEEN 1 AND %d THEN setting::int ELSE %d END AS v FROM pg_settings WHERE name = "
		 "'statement_timeout') t",
		 max_ms - 1, max_ms);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		*ms = (int)strtol(PQgetvalue(res, 0, 1), NULL, 10);
		rc = 0;
	} else {
		pb_db_message(err, "cannot set statement_timeout",
			      PQresultStatus(res) == PGRES_TUPLES_OK ? "no such setting" : PQresultErrorMessage(res));
	}
	PQclear(res);
	return rc;
}

/* ms as the log says it: "5 s", or "1500 ms" when it is not whole seconds. */
static void say_ms(char *out, size_t size, int ms)
{
	if (ms % 1000 == 0)
		snprintf(out, size, "%d s", ms / 1000);
	else
		snprintf(out, size, "%d ms", ms);
}

/* A new connection with the schema checked and every statement prepared; NULL with a message in err. */
/* Whether a stopping server's deadline has come (arg: the pool): a connect gives up then. */
static int stop_passed_arg(void *arg)
{
	return stop_passed(arg);
}

/*
 * Notes the socket of s's connection being set up, which pb_api_pool_cut may shut: a descriptor of its own,
 * which only opened closes (none when none is left: a stop then waits for the statement as libpq does).
 */
static void opening(struct pb_api_pool *p, struct slot *s, PGconn *conn)
{
	int fd = PQsocket(conn) >= 0 ? fcntl(PQsocket(conn), F_DUPFD_CLOEXEC, 0) : -1;

	pthread_mutex_lock(&p->lock);
	s->opening = fd;
	s->cut = 0;
	pthread_mutex_unlock(&p->lock);
}

/* Forgets it (closing that descriptor): 1 when pb_api_pool_cut shut it meanwhile, 0 otherwise. */
static int opened(struct pb_api_pool *p, struct slot *s)
{
	int cut;

	pthread_mutex_lock(&p->lock);
	cut = s->cut;
	if (s->opening >= 0)
		close(s->opening);
	s->opening = -1;
	s->cut = 0;
	pthread_mutex_unlock(&p->lock);
	return cut;
}

void pb_api_pool_cut(struct pb_api_pool *p)
{
	unsigned i;

	if (!stop_passed(p))
		return;
	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->size; i++)
		if (p->slots[i].opening >= 0 && !p->slots[i].cut) {
			shutdown(p->slots[i].opening, SHUT_RDWR);
			p->slots[i].cut = 1;
		}
	pthread_mutex_unlock(&p->lock);
}

/*
 * A new connection for s with the schema checked and every statement prepared; NULL with a message in err.
 * Those statements wait for libpq's answer, which no deadline ends: its socket is noted meanwhile, for a stop
 * that can wait no longer to shut (pb_api_pool_cut).
 */
static PGconn *open_conn(struct pb_api_pool *p, struct slot *s, struct pb_buf *err)
{
	PGconn *conn = connect_only(p->conninfo, "pb-api", stop_passed_arg, p, err);
	PGresult *res;
	int i, rc;

	if (!conn)
		return NULL;
	opening(p, s, conn);
	/* The session's settings, its first statement, wait as a statement does, and for no stopping server. */
	rc = pb_db_session_until(conn, 0, pb_now_ms() + QUERY_MS + QUERY_GRACE_MS, stop_passed_arg, p, err);
	if (rc == -2) {
		opened(p, s);
		goto cut;
	}
	if (rc < 0)
		goto fail;
	/* First: the schema's check and the statements' preparing may wait for a lock too. */
	if (pb_api_pool_set_timeout(conn, QUERY_MS, &s->timeout_ms, err) < 0)
		goto fail;
	if (pb_db_check_schema(conn, err) < 0)
		goto fail;
	/* The database server's clock, against the machine's: pb_api_pool_now. */
	res = pb_db_query(conn, "SELECT floor(extract(epoch FROM now()))::bigint", 0, NULL, err);
	if (!res)
		goto fail;
	atomic_store(&p->clock_ahead, (int_fast64_t)(strtoll(PQgetvalue(res, 0, 0), NULL, 10) - (long long)time(NULL)));
	PQclear(res);
	for (i = 0; i < PB_API_NQUERIES; i++) {
		const struct pb_api_query_def *q = &pb_api_queries[i];

		res = PQprepare(conn, q->name, q->sql, q->nparams, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			char what[128];

			snprintf(what, sizeof(what), "cannot prepare %s", q->name);
			pb_db_message(err, what, PQresultErrorMessage(res));
			PQclear(res);
			goto fail;
		}
		PQclear(res);
	}
	if (!opened(p, s))
		return conn;
	/* Shut after its last statement was answered: of no use. */
	goto cut;
fail:
	if (!opened(p, s)) {
		PQfinish(conn);
		return NULL;
	}
cut:
	pb_buf_reset(err);
	pb_buf_addstr(err, "cannot set up a connection to the database: no answer by the time the server had to stop");
	PQfinish(conn);
	return NULL;
}

/* Takes a free slot, waiting up to wait_ms; NULL when none came free. */
static struct slot *acquire(struct pb_api_pool *p)
{
	struct timespec until;
	struct slot *s = NULL;
	unsigned i;
	int cut;
	uint64_t now = pb_now_ms(), end = within_stop(p, now + p->wait_ms, &cut);

	/* pb_now_ms's clock is CLOCK_MONOTONIC, the condition's too (see pb_api_pool_new). */
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)((end > now ? end - now : 0) / 1000);
	until.tv_nsec += (long)((end > now ? end - now : 0) % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	for (;;) {
		/* A connected slot first: a broken or absent one costs a connect. */
		for (i = 0; i < p->size && !s; i++)
			if (!p->slots[i].busy && p->slots[i].conn)
				s = &p->slots[i];
		for (i = 0; i < p->size && !s; i++)
			if (!p->slots[i].busy)
				s = &p->slots[i];
		if (s || stop_passed(p) || pthread_cond_timedwait(&p->freed, &p->lock, &until) == ETIMEDOUT)
			break;
	}
	if (s) {
		s->busy = 1;
		p->in_use++;
	}
	pthread_mutex_unlock(&p->lock);
	return s;
}

static void release(struct pb_api_pool *p, struct slot *s)
{
	pthread_mutex_lock(&p->lock);
	s->busy = 0;
	p->in_use--;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

/* Connects slot s unless the last attempt failed moments ago. 0, or -1 (the database is down). */
static int reconnect(struct pb_api_pool *p, struct slot *s)
{
	struct pb_buf err = PB_BUF_INIT;
	int wait;

	pthread_mutex_lock(&p->lock);
	wait = p->down && pb_now_ms() < p->down_until_ms;
	pthread_mutex_unlock(&p->lock);
	if (wait)
		return -1;
	s->conn = open_conn(p, s, &err);
	atomic_fetch_add_explicit(s->conn ? &p->connects : &p->connect_failures, 1, memory_order_relaxed);
	if (s->conn)
		atomic_fetch_add_explicit(&p->connected, 1, memory_order_relaxed);
	pthread_mutex_lock(&p->lock);
	if (!s->conn) {
		p->down_until_ms = pb_now_ms() + RETRY_MS;
		if (!p->down)
			pb_warning("database unavailable: %s", pb_buf_str(&err));
		p->down = 1;
	} else if (p->down) {
		p->down = 0;
		pb_log(PB_LOG_INFO, NULL, "database available again");
	}
	pthread_mutex_unlock(&p->lock);
	pb_buf_release(&err);
	return s->conn ? 0 : -1;
}

/* The one result of the statement sent on conn, taken by deadline; NULL when it did not come in time. */
static PGresult *take_result(struct pb_api_pool *p, PGconn *conn, uint64_t deadline, int *late, int *cut)
{
	PGresult *res = NULL, *next;

	*late = 0;
	for (;;) {
		/* A tenth of a second at a time: a stop may bring the deadline nearer meanwhile. */
		uint64_t end = within_stop(p, deadline, cut), now = pb_now_ms();

		if (pb_db_await(conn, end < now + 100 ? end : now + 100) < 0) {
			if (pb_now_ms() < end)
				continue;
			*late = 1;
			PQclear(res);
			return NULL;
		}
		next = PQgetResult(conn);
		if (!next)
			return res;
		if (res)
			PQclear(next);
		else
			res = next;
	}
}

/*
 * Whether SQLSTATE state says the database could not answer a statement for the moment, as a statement_timeout
 * does, rather than that the statement is at fault: a lock not granted within the role's or the database's
 * lock_timeout (55P03), a conflict with recovery on a standby or a deadlock (40001, 40P01), a lack of memory,
 * disk or connections (class 53). The same statement may be answered when tried again.
 */
static int not_now(const char *state)
{
	return strcmp(state, "55P03") == 0 || strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	       strncmp(state, "53", 2) == 0;
}

/* Logs at level what, followed by the server's message on res (pb_db_result_message). */
static void log_result(enum pb_log_level level, const char *what, PGconn *conn, const PGresult *res)
{
	struct pb_buf msg = PB_BUF_INIT;

	pb_db_result_message(&msg, what, conn, res);
	pb_log(level, NULL, "%s", pb_buf_str(&msg));
	pb_buf_release(&msg);
}

/*
 * Runs q on s once: the result, or NULL with *why: PB_API_POOL_DOWN when the connection broke or its server
 * did not answer in time (the connection is then closed), PB_API_POOL_TIMEOUT when the statement ran out of
 * time (statement_timeout), the database cancelled it, could not answer it for the moment (not_now), or a
 * stopping server could wait no longer (each logged apart), PB_API_POOL_ERROR when it failed otherwise (logged).
 */
static PGresult *run(struct pb_api_pool *p, struct slot *s, enum pb_api_query q, const char *const *params,
		     enum pb_api_pool_error *why)
{
	const struct pb_api_query_def *d = &pb_api_queries[q];
	PGresult *res = NULL;
	ExecStatusType st;
	const char *state;
	char within[32];
	int late = 0, cut = 0;
	uint64_t start = pb_now_ms(), took;

	/* A stopping server answers before it closes the connections: the statement waits until then at most. */
	if (PQsendQueryPrepared(s->conn, d->name, d->nparams, params, NULL, NULL, 0))
		res = take_result(p, s->conn, start + (uint64_t)s->timeout_ms + QUERY_GRACE_MS, &late, &cut);
	st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		*why = PB_API_POOL_OK;
		return res;
	}
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (late || PQstatus(s->conn) == CONNECTION_BAD) {
		say_ms(within, sizeof(within), s->timeout_ms + QUERY_GRACE_MS);
		if (late && cut)
			pb_warning(
				"query %s: the database did not answer within %llu ms, when the server had to answer "
				"as it stops: its connection is closed",
				d->name, (unsigned long long)(pb_now_ms() - start));
		else if (late)
			pb_warning("query %s: the database did not answer within %s: its connection is closed", d->name,
				   within);
		*why = late ? PB_API_POOL_TIMEOUT : PB_API_POOL_DOWN;
		PQfinish(s->conn);
		s->conn = NULL;
	} else if (state && strcmp(state, "57014") == 0 && (took = pb_now_ms() - start) + 1 < (uint64_t)s->timeout_ms) {
		/*
		 * Cancelled before its time ran out: by a DBA (pg_cancel_backend) or the server. The same 503 as a
		 * timeout (the client may retry), but the log says what happened, in the server's words (whatever
		 * their language: the time tells a cancel from the statement_timeout, not the text).
		 */
		char what[160];

		say_ms(within, sizeof(within), s->timeout_ms);
		snprintf(what, sizeof(what), "query %s: the database cancelled it after %llu ms, before its %s ran out",
			 d->name, (unsigned long long)took, within);
		log_result(PB_LOG_WARNING, what, s->conn, res);
		*why = PB_API_POOL_TIMEOUT;
	} else if (state && strcmp(state, "57014") == 0) {
		say_ms(within, sizeof(within), s->timeout_ms);
		pb_warning("query %s: the database did not answer within %s (statement_timeout)", d->name, within);
		*why = PB_API_POOL_TIMEOUT;
	} else if (state && not_now(state)) {
		char what[128];

		snprintf(what, sizeof(what), "query %s: the database cannot answer it now", d->name);
		log_result(PB_LOG_WARNING, what, s->conn, res);
		*why = PB_API_POOL_TIMEOUT;
	} else {
		char what[128];

		snprintf(what, sizeof(what), "query %s failed", d->name);
		log_result(PB_LOG_ERROR, what, s->conn, res);
		*why = PB_API_POOL_ERROR;
	}
	PQclear(res);
	return NULL;
}

PGresult *pb_api_pool_exec(struct pb_api_pool *p, enum pb_api_query q, const char *const *params,
			   enum pb_api_pool_error *why)
{
	struct slot *s = acquire(p);
	PGresult *res = NULL;
	int attempt;

	*why = PB_API_POOL_BUSY;
	if (!s)
		return NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		*why = PB_API_POOL_DOWN;
		if (!s->conn && reconnect(p, s) < 0)
			break;
		res = run(p, s, q, params, why);
		if (!s->conn)
			atomic_fetch_sub_explicit(&p->connected, 1, memory_order_relaxed);
		/* A connection found broken is made again once; one that did not answer in time is not. */
		if (res || *why != PB_API_POOL_DOWN)
			break;
	}
	release(p, s);
	return res;
}

void pb_api_pool_stats(struct pb_api_pool *p, struct pb_api_pool_stats *out)
{
	out->size = p->size;
	pthread_mutex_lock(&p->lock);
	out->in_use = p->in_use;
	pthread_mutex_unlock(&p->lock);
	out->connected = atomic_load_explicit(&p->connected, memory_order_relaxed);
	out->connects = atomic_load_explicit(&p->connects, memory_order_relaxed);
	out->connect_failures = atomic_load_explicit(&p->connect_failures, memory_order_relaxed);
}
