/* A fixed pool of libpq connections with pb-api's statements prepared, reconnecting by itself. */
#ifndef PB_API_POOL_H
#define PB_API_POOL_H

#include <libpq-fe.h>
#include <stdint.h>

#include "buf.h"
#include "queries.h"

/*
 * size connections to conninfo (a libpq connection string or URI, "" for libpq's defaults), made when
 * first needed and made again when lost; none is needed to start. A caller waits at most wait_ms for a
 * free one. Thread-safe.
 */
struct pb_api_pool;

/* The longest a request holds a connection for one statement: its time, then the grace for a server gone quiet. */
unsigned pb_api_pool_hold_ms(void);

/*
 * Now, in seconds since 1970, by the database server's clock (the one that stamps and dates what is stored, and
 * pb-aggregate's and pb-invoice's today) as the pool's latest connection found it against the machine's; the
 * machine's until one is made.
 */
int64_t pb_api_pool_now(struct pb_api_pool *p);

/*
 * The server stops: from now on no request waits for a connection or a statement's answer past deadline_ms
 * (pb_now_ms's clock); one that would is answered as a statement that ran out of time (PB_API_POOL_TIMEOUT or
 * PB_API_POOL_BUSY), before the server closes its connection.
 */
void pb_api_pool_stop_by(struct pb_api_pool *p, uint64_t deadline_ms);

/* Returns NULL when out of memory. The pool keeps a copy of conninfo. */
struct pb_api_pool *pb_api_pool_new(const char *conninfo, unsigned size, unsigned wait_ms);
/* Closes every connection; no caller may be using the pool. */
void pb_api_pool_free(struct pb_api_pool *p);

enum pb_api_pool_error {
	PB_API_POOL_OK,
	PB_API_POOL_DOWN,    /* the database cannot be reached (or is too old for this program) */
	PB_API_POOL_BUSY,    /* no connection came free within wait_ms */
	PB_API_POOL_TIMEOUT, /* the database did not answer the statement in time, or cannot now (logged) */
	PB_API_POOL_ERROR,   /* the statement failed: the message is logged */
};

/*
 * Runs statement q with params (text; as many as the statement takes) on a pool connection. A connection
 * found broken is made again and the statement retried once. A statement has 5 s (statement_timeout, set
 * on each connection; less when the role's own is less), and a connection whose server has not answered
 * 2 s later is closed: both are PB_API_POOL_TIMEOUT, as is a statement the database cannot answer for the
 * moment (a lock not granted within the role's lock_timeout, a lack of memory, say). Returns the result (the caller
 * PQclears it), or NULL with the reason in *why.
 */
PGresult *pb_api_pool_exec(struct pb_api_pool *p, enum pb_api_query q, const char *const *params,
			   enum pb_api_pool_error *why);

struct pb_api_pool_stats {
	unsigned size, in_use, connected;
	uint64_t connects, connect_failures;
};
void pb_api_pool_stats(struct pb_api_pool *p, struct pb_api_pool_stats *out);

/*
 * Once the stopping server's deadline (pb_api_pool_stop_by) has come, shuts the sockets of the connections
 * still being set up, whose statements (the schema's check, say, waiting for pb-db migrate's lock) no deadline
 * ends otherwise: their requests are answered 503. Called as the server stops, again and again.
 */
void pb_api_pool_cut(struct pb_api_pool *p);

/*
 * One connection to conninfo, named application in pg_stat_activity, that gives up after a few seconds, or
 * (give_up not NULL) as soon as give_up(arg) returns non-zero, which it asks a tenth of a second at a time.
 * Returns it (PQfinish it), or NULL with the reason in err.
 */
PGconn *pb_api_pool_connect(const char *conninfo, const char *application, int (*give_up)(void *), void *arg,
			    struct pb_buf *err);

/*
 * 0 when conninfo is a connection string or URI, or -1 with err when it never will connect, whatever the
 * database does: not one, or a URI with an '@' after its user information (as pb_api_pool_connect says it, the
 * password hidden).
 */
int pb_api_pool_conninfo_check(const char *conninfo, struct pb_buf *err);

/*
 * Sets conn's statement_timeout to max_ms, or leaves the one the role, the database or the connection
 * string gives it when that is stricter (not 0 and less). 0 with the one in force in *ms, or -1 with err.
 */
int pb_api_pool_set_timeout(PGconn *conn, int max_ms, int *ms, struct pb_buf *err);

#endif
