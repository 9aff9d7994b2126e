/* When each token was last used: noted in memory as requests authenticate, written to the database in batches. */
#ifndef PB_API_LASTUSE_H
#define PB_API_LASTUSE_H

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * The tokens used since the record was last taken, each with the latest time it was used. Thread-safe: the
 * request threads note, one thread takes or flushes.
 */
struct pb_api_lastuse;

/* An empty record; NULL when out of memory. Free with pb_api_lastuse_free (NULL accepted). */
struct pb_api_lastuse *pb_api_lastuse_new(void);
void pb_api_lastuse_free(struct pb_api_lastuse *u);

/*
 * Token id was used at when (seconds since the epoch); a time earlier than the one noted is ignored. 0, or -1
 * when memory ran out (the use is then not noted).
 */
int pb_api_lastuse_note(struct pb_api_lastuse *u, long long id, int64_t when);

/* How many tokens were noted since the record was last taken. */
size_t pb_api_lastuse_count(struct pb_api_lastuse *u);

struct pb_api_lastuse_entry {
	long long id;
	int64_t when;
};

/*
 * Takes what was noted and leaves the record empty: an array of *n entries in no order (the caller frees it),
 * or NULL with *n 0 when nothing was noted.
 */
struct pb_api_lastuse_entry *pb_api_lastuse_take(struct pb_api_lastuse *u, size_t *n);

/*
 * Takes what was noted and writes it to pb.api_token.last_used_at on conn in one UPDATE, in a transaction
 * of its own that waits 2 s at most for a locked row, never moving a stored time back (several servers may
 * share the database). It waits timeout_ms at most for the database's answers: past that a statement is
 * left running, and conn is no longer fit for use (PQtransactionStatus is not PQTRANS_IDLE); nor past
 * *stop_by (pb_now_ms's time; 0 or stop_by NULL: none), which it reads a tenth of a second at a time, since a
 * stopping server may bring it nearer meanwhile. When it fails what was taken is noted again for the next
 * flush. Returns the tokens taken (0: nothing to write), or -1 with the reason in err.
 */
int pb_api_lastuse_flush(struct pb_api_lastuse *u, PGconn *conn, unsigned timeout_ms,
			 const atomic_uint_fast64_t *stop_by, struct pb_buf *err);

#endif
