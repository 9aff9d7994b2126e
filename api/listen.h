/* The database's notifications: a thread that LISTENs and drops cached answers and tokens when told to. */
#ifndef PB_API_LISTEN_H
#define PB_API_LISTEN_H

#include "buf.h"
#include "cache.h"
#include "metrics.h"

/*
 * What the listener clears: runs, months without one and answers when a new aggregate run becomes current
 * (channel pb_aggregate_run), tokens when one is revoked (channel pb_api_token). While it is not listening
 * (no database, or the connection was lost) the caches are disabled: a notification could be missed, so
 * nothing may be served from them. It enables them once it listens again. A thread held up (its server
 * process stopped answering) cannot disable them: pb_api_listener_up says whether they may be used.
 */
struct pb_api_listen_targets {
	struct pb_api_cache *runs, *no_runs, *answers, *tokens;
	struct pb_api_metrics *metrics;
};

struct pb_api_listener;

/*
 * Starts the thread on its own connection to conninfo (a copy is kept; the targets must outlive it). It
 * connects in the background, and again whenever the connection is lost. Returns NULL with a message in
 * err when the thread cannot be started.
 */
struct pb_api_listener *pb_api_listener_start(const char *conninfo, const struct pb_api_listen_targets *t,
					      struct pb_buf *err);

/* Stops the thread, closes its connection and frees it. NULL is accepted. */
void pb_api_listener_stop(struct pb_api_listener *l);

/*
 * 1 while it listens: the LISTEN was answered, and a round trip on its connection (one a second) was
 * answered within the last 3 seconds, so that every notification committed before then has been taken.
 * Else 0: a notification may be waiting unheard (its server process stopped answering, say), and nothing
 * may be served from the caches; past those 3 s the thread gives the connection up and connects again.
 * Cheap: for every request.
 */
int pb_api_listener_up(struct pb_api_listener *l);

#endif
