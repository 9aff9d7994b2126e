/* The record is an open-addressing table by token id under a mutex, swapped out whole when taken. */
#include "lastuse.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "progress.h"

#include "banned.h"

#define FIRST_SLOTS 64

struct pb_api_lastuse {
	pthread_mutex_t lock;
	struct pb_api_lastuse_entry *slots; /* id 0: free (ids start at 1) */
	size_t nslots, used;
};

struct pb_api_lastuse *pb_api_lastuse_new(void)
{
	struct pb_api_lastuse *u = calloc(1, sizeof(*u));

	if (u && pthread_mutex_init(&u->lock, NULL) != 0) {
		free(u);
		u = NULL;
	}
	return u;
}

void pb_api_lastuse_free(struct pb_api_lastuse *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u->slots);
	free(u);
}

static size_t slot_of(long long id, size_t nslots)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;

	return (size_t)(h >> 32) & (nslots - 1);
}

/* Puts id and when in slots (nslots a power of two, at least one free). */
static void put(struct pb_api_lastuse_entry *slots, size_t nslots, size_t *used, long long id, int64_t when)
{
	size_t i = slot_of(id, nslots);

	while (slots[i].id && slots[i].id != id)
		i = (i + 1) & (nslots - 1);
	if (!slots[i].id) {
		slots[i].id = id;
		slots[i].when = when;
		(*used)++;
	} else if (slots[i].when < when) {
		slots[i].when = when;
	}
}

/* Doubles the table (or makes the first); the lock is held. 0, or -1 when out of memory. */
static int grow(struct pb_api_lastuse *u)
{
	size_t n = u->nslots ? u->nslots * 2 : FIRST_SLOTS, used = 0, i;
	struct pb_api_lastuse_entry *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	for (i = 0; i < u->nslots; i++)
		if (u->slots[i].id)
			put(slots, n, &used, u->slots[i].id, u->slots[i].when);
	free(u->slots);
	u->slots = slots;
	u->nslots = n;
	return 0;
}

int pb_api_lastuse_note(struct pb_api_lastuse *u, long long id, int64_t when)
{
	int rc = 0;

	pthread_mutex_lock(&u->lock);
	/* At most half full, so that a probe ends soon. */
	if ((u->used + 1) * 2 > u->nslots)
		rc = grow(u);
	if (rc == 0)
		put(u->slots, u->nslots, &u->used, id, when);
	pthread_mutex_unlock(&u->lock);
	return rc;
}

size_t pb_api_lastuse_count(struct pb_api_lastuse *u)
{
	size_t n;

	pthread_mutex_lock(&u->lock);
	n = u->used;
	pthread_mutex_unlock(&u->lock);
	return n;
}

struct pb_api_lastuse_entry *pb_api_lastuse_take(struct pb_api_lastuse *u, size_t *n)
{
	struct pb_api_lastuse_entry *slots;
	size_t nslots, i, k = 0;

	pthread_mutex_lock(&u->lock);
	slots = u->slots;
	nslots = u->nslots;
	u->slots = NULL;
	u->nslots = u->used = 0;
	pthread_mutex_unlock(&u->lock);
	/* Packed in place: the entries to the front. */
	for (i = 0; i < nslots; i++)
		if (slots[i].id)
			slots[k++] = slots[i];
	*n = k;
	if (k == 0) {
		free(slots);
		return NULL;
	}
	return slots;
}

/* Adds libpq's message msg to err, on one line (an UPDATE's has a CONTEXT line), without the trailing newline. */
static void add_message(struct pb_buf *err, const char *msg)
{
	size_t len = strlen(msg), i;

	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	pb_buf_addstr(err, "cannot record the tokens' last use: ");
	for (i = 0; i < len; i++)
		pb_buf_addch(err, msg[i] == '\n' ? ' ' : msg[i]);
}

/*
 * Runs sql (with params when nparams) on conn, waiting for its answer until deadline at most: 0, or -1 with
 * PostgreSQL's message in err. A statement without its answer by then is left running.
 */
static int run(PGconn *conn, const char *sql, int nparams, const char *const *params, uint64_t deadline,
	       const atomic_uint_fast64_t *stop_by, struct pb_buf *err)
{
	int sent =
		nparams ? PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0) : PQsendQuery(conn, sql);
	PGresult *res;
	int rc = 0;

	if (!sent) {
		add_message(err, PQerrorMessage(conn));
		return -1;
	}
	for (;;) {
		/* A tenth of a second at a time: a stop may bring the deadline nearer meanwhile. */
		uint64_t stop = stop_by ? atomic_load(stop_by) : 0, now = pb_now_ms();
		uint64_t end = stop && stop < deadline ? stop : deadline;

		if (pb_db_await(conn, end < now + 100 ? end : now + 100) < 0) {
			if (pb_now_ms() < end)
				continue;
			if (rc == 0)
				pb_buf_addstr(
					err, "cannot record the tokens' last use: the database did not answer in time");
			return -1;
		}
		res = PQgetResult(conn);
		if (!res)
			break;
		if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK) {
			add_message(err, PQresultErrorMessage(res));
			rc = -1;
		}
		PQclear(res);
	}
	return rc;
}

/* The UPDATE in a transaction of its own that waits 2 s at most for a row another transaction holds. */
static int write_down(PGconn *conn, const char *ids, const char *whens, unsigned timeout_ms,
		      const atomic_uint_fast64_t *stop_by, struct pb_buf *err)
{
	const char *params[2] = {ids, whens};
	uint64_t deadline = pb_now_ms() + timeout_ms;
	struct pb_buf ignored = PB_BUF_INIT;

	if (run(conn, "BEGIN; SET LOCAL lock_timeout = '2s'", 0, NULL, deadline, stop_by, err) == 0 &&
	    run(conn,
		"UPDATE pb.api_token t SET last_used_at = to_timestamp(u.at) FROM unnest($1::bigint[], "
		"$2::bigint[]) AS u(id, at) WHERE t.id = u.id AND (t.last_used_at IS NULL OR "
		"t.last_used_at < to_timestamp(u.at))",
		2, params, deadline, stop_by, err) == 0 &&
	    run(conn, "COMMIT", 0, NULL, deadline, stop_by, err) == 0)
		return 0;
	/* A statement refused (a lock waited for too long) leaves the transaction open: ended here. */
	if (PQtransactionStatus(conn) == PQTRANS_INTRANS || PQtransactionStatus(conn) == PQTRANS_INERROR)
		run(conn, "ROLLBACK", 0, NULL, pb_now_ms() + 1000, stop_by, &ignored);
	pb_buf_release(&ignored);
	return -1;
}

int pb_api_lastuse_flush(struct pb_api_lastuse *u, PGconn *conn, unsigned timeout_ms,
			 const atomic_uint_fast64_t *stop_by, struct pb_buf *err)
{
	struct pb_buf ids = PB_BUF_INIT, whens = PB_BUF_INIT;
	size_t n = 0, i;
	struct pb_api_lastuse_entry *e = pb_api_lastuse_take(u, &n);
	int rc = -1;

	if (!e)
		return 0;
	pb_buf_addch(&ids, '{');
	pb_buf_addch(&whens, '{');
	for (i = 0; i < n; i++) {
		pb_buf_addf(&ids, "%s%lld", i ? "," : "", e[i].id);
		pb_buf_addf(&whens, "%s%" PRId64, i ? "," : "", e[i].when);
	}
	pb_buf_addch(&ids, '}');
	pb_buf_addch(&whens, '}');
	if (ids.failed || whens.failed)
		pb_buf_addstr(err, "out of memory");
	else if (write_down(conn, pb_buf_str(&ids), pb_buf_str(&whens), timeout_ms, stop_by, err) == 0)
		rc = (int)(n > INT32_MAX ? INT32_MAX : n);
	if (rc < 0)
		for (i = 0; i < n; i++)
			pb_api_lastuse_note(u, e[i].id, e[i].when);
	pb_buf_release(&ids);
	pb_buf_release(&whens);
	free(e);
	return rc;
}
