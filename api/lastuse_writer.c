/* A thread asleep on a condition variable between writes, so that a stop wakes it at once. */
#include "lastuse_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pool.h"
#include "progress.h"

#include "banned.h"

#define FLUSH_MS 5000 /* how long a write waits for the database at most: its lock wait is 2 s */

struct pb_api_lastuse_writer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop; /* under lock */
	char *conninfo;
	struct pb_api_lastuse *u;
	unsigned seconds;
	PGconn *conn;
	atomic_uint_fast64_t stop_by; /* pb_now_ms's time by which the last write gives up: 0, its own limits */
	atomic_int done;	      /* the thread has made its last write */
};

void pb_api_lastuse_writer_stop_by(struct pb_api_lastuse_writer *w, uint64_t deadline_ms)
{
	if (w)
		atomic_store(&w->stop_by, deadline_ms);
}

/* Whether the stop's deadline has come (arg: the writer). */
static int stop_passed(void *arg)
{
	struct pb_api_lastuse_writer *w = arg;
	uint64_t stop_by = atomic_load(&w->stop_by);

	return stop_by && pb_now_ms() >= stop_by;
}

/* Closes the connection when it broke, or was left in the middle of a statement that did not answer in time. */
static void check_conn(struct pb_api_lastuse_writer *w)
{
	if (w->conn && (PQstatus(w->conn) != CONNECTION_OK || PQtransactionStatus(w->conn) != PQTRANS_IDLE)) {
		PQfinish(w->conn);
		w->conn = NULL;
	}
}

/*
 * Writes what was noted; final: the last write, whose failure to connect is said (the pool says when the
 * database is away). Uses not written stay noted for the next write.
 */
static void flush(struct pb_api_lastuse_writer *w, int final)
{
	struct pb_buf err = PB_BUF_INIT;
	int attempt, kept, broken, rc;
	uint64_t stop_by, now;
	unsigned ms;

	for (attempt = 0; attempt < 2 && pb_api_lastuse_count(w->u) > 0; attempt++) {
		kept = w->conn != NULL;
		pb_buf_reset(&err);
		if (!w->conn)
			w->conn = pb_api_pool_connect(w->conninfo, "pb-api last use", stop_passed, w, &err);
		if (!w->conn) {
			if (final)
				pb_warning("the tokens' last use since the last write is not recorded: %s",
					   pb_buf_str(&err));
			break;
		}
		stop_by = atomic_load(&w->stop_by);
		now = pb_now_ms();
		ms = !stop_by || stop_by >= now + FLUSH_MS ? FLUSH_MS : stop_by > now ? (unsigned)(stop_by - now) : 1;
		rc = pb_api_lastuse_flush(w->u, w->conn, ms, &w->stop_by, &err);
		broken = rc < 0 && PQstatus(w->conn) != CONNECTION_OK;
		check_conn(w);
		/* A connection kept since the last write may have ended meanwhile (a restart): once more, anew. */
		if (rc >= 0 || !kept || !broken) {
			if (rc < 0)
				pb_warning("%s", pb_buf_str(&err));
			break;
		}
	}
	pb_buf_release(&err);
}

/* now + ms on the monotonic clock, as pthread_cond_timedwait takes it. */
static struct timespec after_ms(uint64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static void *loop(void *arg)
{
	struct pb_api_lastuse_writer *w = arg;
	struct timespec next = after_ms((uint64_t)w->seconds * 1000);

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		if (pthread_cond_timedwait(&w->wake, &w->lock, &next) != ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&w->lock);
		flush(w, 0);
		/* From its end: a write that waited on a lock leaves the next interval whole. */
		next = after_ms((uint64_t)w->seconds * 1000);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	flush(w, 1);
	atomic_store(&w->done, 1);
	return NULL;
}

struct pb_api_lastuse_writer *pb_api_lastuse_writer_start(const char *conninfo, struct pb_api_lastuse *u,
							  unsigned seconds, struct pb_buf *err)
{
	struct pb_api_lastuse_writer *w = calloc(1, sizeof(*w));
	pthread_condattr_t attr;
	int made = 0;

	if (w)
		w->conninfo = strdup(conninfo);
	if (!w || !w->conninfo) {
		free(w);
		pb_buf_addstr(err, "out of memory");
		return NULL;
	}
	w->u = u;
	w->seconds = seconds ? seconds : 60;
	atomic_init(&w->stop_by, 0);
	atomic_init(&w->done, 0);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&w->lock, NULL) == 0) {
		made = 1;
		if (pthread_cond_init(&w->wake, &attr) == 0) {
			made = 2;
			if (pthread_create(&w->thread, NULL, loop, w) == 0)
				made = 3;
		}
	}
	pthread_condattr_destroy(&attr);
	if (made == 3)
		return w;
	if (made >= 2)
		pthread_cond_destroy(&w->wake);
	if (made >= 1)
		pthread_mutex_destroy(&w->lock);
	free(w->conninfo);
	free(w);
	pb_buf_addstr(err, "cannot start the thread that records the tokens' last use");
	return NULL;
}

void pb_api_lastuse_writer_finish(struct pb_api_lastuse_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

int pb_api_lastuse_writer_done(struct pb_api_lastuse_writer *w)
{
	return !w || atomic_load(&w->done);
}

void pb_api_lastuse_writer_stop(struct pb_api_lastuse_writer *w)
{
	if (!w)
		return;
	pb_api_lastuse_writer_finish(w);
	pthread_join(w->thread, NULL);
	PQfinish(w->conn);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w->conninfo);
	free(w);
}
