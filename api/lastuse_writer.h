/* The thread that writes the tokens' last use down, on a connection of its own. */
#ifndef PB_API_LASTUSE_WRITER_H
#define PB_API_LASTUSE_WRITER_H

#include <stdint.h>

#include "buf.h"
#include "lastuse.h"

/*
 * Every seconds, and once more when it stops, it flushes u (pb_api_lastuse_flush) on its own connection
 * (application name "pb-api last use"), made when there is something to write and made again when lost. A
 * write that waits for a locked row, or for a database that does not answer, holds up nothing but the next
 * write: the notifications are heard on another connection and thread. A flush that fails is tried again at
 * the next; what is noted meanwhile waits in memory.
 */
struct pb_api_lastuse_writer;

/*
 * Starts the thread for conninfo (a copy is kept; u must outlive it). Returns NULL with a message in err when
 * it cannot be started.
 */
struct pb_api_lastuse_writer *pb_api_lastuse_writer_start(const char *conninfo, struct pb_api_lastuse *u,
							  unsigned seconds, struct pb_buf *err);

/*
 * The time (pb_now_ms's clock) past which the last flush waits for the database no longer, neither to connect
 * nor for its statement: a server told to stop at once. 0 (the default): the flush's own limits.
 */
void pb_api_lastuse_writer_stop_by(struct pb_api_lastuse_writer *w, uint64_t deadline_ms);

/* Tells the thread to make its last flush and end (pb_api_lastuse_writer_done says when it has). */
void pb_api_lastuse_writer_finish(struct pb_api_lastuse_writer *w);

/* Whether the thread has made its last flush (pb_api_lastuse_writer_stop then waits for nothing). */
int pb_api_lastuse_writer_done(struct pb_api_lastuse_writer *w);

/*
 * Stops the thread after a last flush (which waits a few seconds at most for the database), closes its
 * connection and frees it. NULL is accepted.
 */
void pb_api_lastuse_writer_stop(struct pb_api_lastuse_writer *w);

#endif
