/*
 * One connection that LISTENs; poll() wakes it when a notification, an answer or the connection's end
 * arrives. A round trip every second confirms that the server process behind it still answers: the
 * notifications are heard only while it does.
 */
#include "listen.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "pool.h"
#include "token.h"

#include "banned.h"

#define TICK_MS 200	    /* how often the thread looks at its stop flag and its clock */
#define BACKOFF_MAX_MS 1000 /* the longest wait between two connects */
#define PING_MS 1000	    /* a round trip this long after the last one was sent */
#define CONFIRM_MS 3000	    /* unconfirmed for this long: not listening (see pb_api_listener_up) */
#define HEARD_MAX 4000	    /* the bytes of revoked tokens' ids said at one round trip, at most */

struct pb_api_listener {
	pthread_t thread;
	char *conninfo;
	struct pb_api_listen_targets t;
	atomic_int stop, up;
	_Atomic uint64_t confirmed_ms; /* when the last round trip answered was sent */
	/* The thread's own. */
	PGconn *conn;
	int listening;	  /* the LISTEN on conn was answered */
	int waiting;	  /* a round trip was sent on conn, its answer is not all in */
	uint64_t sent_ms; /* when the last one was sent */
	uint64_t retry_ms;
	unsigned backoff;
	int said;
	/* The ids of the revoked tokens dropped since the last round trip was sent, comma-separated: said next. */
	struct pb_buf heard;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void set_caches(struct pb_api_listener *l, int on)
{
	pb_api_cache_enable(l->t.runs, on);
	pb_api_cache_enable(l->t.no_runs, on);
	pb_api_cache_enable(l->t.answers, on);
	pb_api_cache_enable(l->t.tokens, on);
}

static void close_conn(struct pb_api_listener *l)
{
	PQfinish(l->conn);
	l->conn = NULL;
	l->listening = l->waiting = 0;
	pb_buf_reset(&l->heard);
}

/* The connection (or its LISTEN) failed before it listened: said once, tried again after a pause. */
static void not_yet(struct pb_api_listener *l, const char *why)
{
	if (!l->said)
		pb_warning("no database notifications yet: %s", why);
	l->said = 1;
	close_conn(l);
	l->retry_ms = now_ms() + l->backoff;
	l->backoff = l->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff * 2;
}

/* It listened, and no longer does: nothing may be served from the caches until it listens again. */
static void lost(struct pb_api_listener *l, const char *why)
{
	atomic_store(&l->up, 0);
	set_caches(l, 0);
	pb_warning("lost the database's notifications (%s): answers are not cached until they are back", why);
	close_conn(l);
}

static void failed(struct pb_api_listener *l, const char *why)
{
	if (l->listening)
		lost(l, why);
	else
		not_yet(l, why);
}

/*
 * Sends sql as the connection's next round trip; 0, or -1 when the connection failed (handled). With revoked
 * tokens dropped since the last one, the round trip says so instead, a notification on PB_API_HEARD_CHANNEL
 * for each (its id), which token revoke waits for.
 */
static int send_round_trip(struct pb_api_listener *l, const char *sql)
{
	const char *ids[1] = {pb_buf_str(&l->heard)};
	int sent = l->heard.len ? PQsendQueryParams(l->conn,
						    "SELECT pg_notify('" PB_API_HEARD_CHANNEL
						    "', id) FROM unnest(string_to_array($1, ',')) id",
						    1, NULL, ids, NULL, NULL, 0)
				: PQsendQuery(l->conn, sql);

	pb_buf_reset(&l->heard);
	if (!sent) {
		failed(l, "the connection ended");
		return -1;
	}
	l->waiting = 1;
	l->sent_ms = now_ms();
	return 0;
}

static void handle(struct pb_api_listener *l, const PGnotify *n)
{
	if (strcmp(n->relname, "pb_aggregate_run") == 0) {
		pb_api_cache_clear(l->t.runs);
		pb_api_cache_clear(l->t.no_runs);
		pb_api_cache_clear(l->t.answers);
		pb_api_metrics_event(l->t.metrics, PB_API_EV_NOTIFY_RUN);
		pb_log(PB_LOG_INFO, NULL, "a new aggregate run of %s is current: cached answers dropped", n->extra);
	} else if (strcmp(n->relname, "pb_api_token") == 0) {
		pb_api_cache_clear(l->t.tokens);
		pb_api_metrics_event(l->t.metrics, PB_API_EV_NOTIFY_TOKEN);
		pb_log(PB_LOG_INFO, NULL, "token %s revoked: cached tokens dropped", n->extra);
		/* Said at once (listen_once): token revoke waits for it. Past HEARD_MAX, it waits 3 s instead. */
		if (n->extra[0] && strspn(n->extra, "0123456789") == strlen(n->extra) &&
		    l->heard.len + strlen(n->extra) < HEARD_MAX) {
			if (l->heard.len)
				pb_buf_addch(&l->heard, ',');
			pb_buf_addstr(&l->heard, n->extra);
		}
	}
}

static void take_notifications(struct pb_api_listener *l)
{
	PGnotify *n;

	while ((n = PQnotifies(l->conn))) {
		handle(l, n);
		PQfreemem(n);
	}
}

/*
 * The round trip's answer, as much of it as is in. Once it is all in, every notification committed before
 * it was sent has arrived (the server process sends those it was told of before it says it is ready again)
 * and has been taken: the connection is confirmed as of the sending.
 */
static void take_answer(struct pb_api_listener *l)
{
	PGresult *res;
	char why[256];

	while (!PQisBusy(l->conn)) {
		res = PQgetResult(l->conn);
		if (!res)
			break;
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
			snprintf(why, sizeof(why), "%s%s",
				 l->listening ? "" : "cannot LISTEN: ", PQresultErrorMessage(res));
			why[strcspn(why, "\n")] = '\0';
			PQclear(res);
			failed(l, why);
			return;
		}
		PQclear(res);
	}
	if (PQisBusy(l->conn))
		return;
	l->waiting = 0;
	take_notifications(l);
	atomic_store(&l->confirmed_ms, l->sent_ms);
	if (!l->listening) {
		/* Anything cached before this moment may have missed a notification: start empty. */
		l->listening = 1;
		set_caches(l, 1);
		atomic_store(&l->up, 1);
		pb_log(PB_LOG_INFO, NULL, "listening for the database's notifications");
		l->backoff = 50;
		l->said = 0;
	}
}

/*
 * Sends a round trip when one is due, gives the connection up when the last one went unanswered too long,
 * then waits up to TICK_MS for something to arrive and takes it.
 */
static void listen_once(struct pb_api_listener *l)
{
	struct pollfd pfd = {.fd = PQsocket(l->conn), .events = POLLIN};
	uint64_t now = now_ms();

	if (pfd.fd < 0) {
		failed(l, "no socket");
		return;
	}
	if (l->waiting && now - (l->listening ? atomic_load(&l->confirmed_ms) : l->sent_ms) >= CONFIRM_MS) {
		failed(l, l->listening ? "no answer within 3 s" : "cannot LISTEN: no answer within 3 s");
		return;
	}
	if (!l->waiting && (l->heard.len || now - l->sent_ms >= PING_MS) && send_round_trip(l, "SELECT 1") < 0)
		return;
	if (poll(&pfd, 1, TICK_MS) <= 0)
		return;
	if (!PQconsumeInput(l->conn) || PQstatus(l->conn) != CONNECTION_OK) {
		failed(l, "the connection ended");
		return;
	}
	take_notifications(l);
	if (l->waiting)
		take_answer(l);
}

/* Whether the server stops (arg: the listener): a connect gives up then, not to hold the stop up. */
static int stopping(void *arg)
{
	struct pb_api_listener *l = arg;

	return atomic_load(&l->stop);
}

/* Connects and sends the LISTEN, whose answer listen_once takes; waits instead while a retry is not due. */
static void connect_once(struct pb_api_listener *l)
{
	struct timespec tick = {.tv_sec = 0, .tv_nsec = 50L * 1000000L};
	struct pb_buf err = PB_BUF_INIT;
	int ms;

	if (now_ms() < l->retry_ms) {
		nanosleep(&tick, NULL);
		return;
	}
	l->conn = pb_api_pool_connect(l->conninfo, PB_API_LISTENER_APP, stopping, l, &err);
	if (!l->conn && atomic_load(&l->stop)) {
		pb_buf_release(&err);
		return;
	}
	/*
	 * A database whose schema lacks a migration fails every request: not listening there keeps /healthz at
	 * 503 and says why, until it is migrated. The check waits no longer than a round trip may (or the role's
	 * statement_timeout, when stricter).
	 */
	if (!l->conn || pb_api_pool_set_timeout(l->conn, CONFIRM_MS, &ms, &err) < 0 ||
	    pb_db_check_schema(l->conn, &err) < 0)
		not_yet(l, pb_buf_str(&err));
	else
		send_round_trip(l, "LISTEN pb_aggregate_run; LISTEN pb_api_token");
	pb_buf_release(&err);
}

static void *loop(void *arg)
{
	struct pb_api_listener *l = arg;

	while (!atomic_load(&l->stop)) {
		if (l->conn)
			listen_once(l);
		else
			connect_once(l);
	}
	return NULL;
}

struct pb_api_listener *pb_api_listener_start(const char *conninfo, const struct pb_api_listen_targets *t,
					      struct pb_buf *err)
{
	struct pb_api_listener *l = calloc(1, sizeof(*l));

	if (l)
		l->conninfo = strdup(conninfo);
	if (!l || !l->conninfo) {
		free(l);
		pb_buf_addstr(err, "out of memory");
		return NULL;
	}
	l->t = *t;
	l->backoff = 50;
	pb_buf_init(&l->heard, 0);
	atomic_init(&l->stop, 0);
	atomic_init(&l->up, 0);
	atomic_init(&l->confirmed_ms, 0);
	if (pthread_create(&l->thread, NULL, loop, l) != 0) {
		free(l->conninfo);
		free(l);
		pb_buf_addstr(err, "cannot start the notification thread");
		return NULL;
	}
	return l;
}

void pb_api_listener_stop(struct pb_api_listener *l)
{
	if (!l)
		return;
	atomic_store(&l->stop, 1);
	pthread_join(l->thread, NULL);
	PQfinish(l->conn);
	pb_buf_release(&l->heard);
	free(l->conninfo);
	free(l);
}

int pb_api_listener_up(struct pb_api_listener *l)
{
	/* Read by the request threads, so that a thread held up in a call cannot keep the caches trusted. */
	return atomic_load(&l->up) && now_ms() - atomic_load(&l->confirmed_ms) < CONFIRM_MS;
}
