/* One connection that LISTENs; poll() wakes it when a notification or the connection's end arrives. */
#include "listen.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pool.h"

#include "banned.h"

#define TICK_MS 200	    /* how often the thread looks at its stop flag */
#define BACKOFF_MAX_MS 1000 /* the longest wait between two connects */

struct pb_api_listener {
	pthread_t thread;
	char *conninfo;
	struct pb_api_listen_targets t;
	atomic_int stop, up;
	PGconn *conn;
};

static void set_caches(struct pb_api_listener *l, int on)
{
	pb_api_cache_enable(l->t.runs, on);
	pb_api_cache_enable(l->t.answers, on);
	pb_api_cache_enable(l->t.tokens, on);
}

/* Connects and listens on both channels; 0, or -1 with a message in err. */
static int connect_listen(struct pb_api_listener *l, struct pb_buf *err)
{
	PGresult *res;

	l->conn = pb_api_pool_connect(l->conninfo, "pb-api notifications", err);
	if (!l->conn)
		return -1;
	res = PQexec(l->conn, "LISTEN pb_aggregate_run; LISTEN pb_api_token");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot LISTEN: %s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(l->conn);
		l->conn = NULL;
		return -1;
	}
	PQclear(res);
	return 0;
}

static void lost(struct pb_api_listener *l, const char *why)
{
	atomic_store(&l->up, 0);
	set_caches(l, 0);
	pb_warning("lost the database's notifications (%s): answers are not cached until they are back", why);
	PQfinish(l->conn);
	l->conn = NULL;
}

static void handle(struct pb_api_listener *l, const PGnotify *n)
{
	if (strcmp(n->relname, "pb_aggregate_run") == 0) {
		pb_api_cache_clear(l->t.runs);
		pb_api_cache_clear(l->t.answers);
		pb_api_metrics_event(l->t.metrics, PB_API_EV_NOTIFY_RUN);
		pb_log(PB_LOG_INFO, NULL, "a new aggregate run of %s is current: cached answers dropped", n->extra);
	} else if (strcmp(n->relname, "pb_api_token") == 0) {
		pb_api_cache_clear(l->t.tokens);
		pb_api_metrics_event(l->t.metrics, PB_API_EV_NOTIFY_TOKEN);
		pb_log(PB_LOG_INFO, NULL, "token %s revoked: cached tokens dropped", n->extra);
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

/* Waits up to TICK_MS for the connection to have something, then takes every notification it holds. */
static void listen_once(struct pb_api_listener *l)
{
	struct pollfd pfd = {.fd = PQsocket(l->conn), .events = POLLIN};

	if (pfd.fd < 0) {
		lost(l, "no socket");
		return;
	}
	if (poll(&pfd, 1, TICK_MS) <= 0)
		return;
	if (!PQconsumeInput(l->conn) || PQstatus(l->conn) != CONNECTION_OK) {
		lost(l, "the connection ended");
		return;
	}
	take_notifications(l);
}

static void sleep_ms(struct pb_api_listener *l, unsigned ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 50L * 1000000L};
	unsigned waited;

	for (waited = 0; waited < ms && !atomic_load(&l->stop); waited += 50)
		nanosleep(&ts, NULL);
}

static void *loop(void *arg)
{
	struct pb_api_listener *l = arg;
	struct pb_buf err = PB_BUF_INIT;
	unsigned backoff = 50;
	int said = 0;

	while (!atomic_load(&l->stop)) {
		if (l->conn) {
			listen_once(l);
			continue;
		}
		if (connect_listen(l, &err) < 0) {
			if (!said)
				pb_warning("no database notifications yet: %s", pb_buf_str(&err));
			said = 1;
			sleep_ms(l, backoff);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		/* Anything cached before this moment may have missed a notification: start empty. */
		set_caches(l, 1);
		atomic_store(&l->up, 1);
		pb_log(PB_LOG_INFO, NULL, "listening for the database's notifications");
		backoff = 50;
		said = 0;
	}
	pb_buf_release(&err);
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
	atomic_init(&l->stop, 0);
	atomic_init(&l->up, 0);
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
	free(l->conninfo);
	free(l);
}

int pb_api_listener_up(struct pb_api_listener *l)
{
	return atomic_load(&l->up);
}
