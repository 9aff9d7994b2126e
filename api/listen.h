/* The database's notifications: a thread that LISTENs and drops cached answers and tokens when told to. */
#ifndef PB_API_LISTEN_H
#define PB_API_LISTEN_H

#include "buf.h"
#include "cache.h"
#include "metrics.h"

/*
 * What the listener clears: runs and answers when a new aggregate run becomes current (channel
 * pb_aggregate_run), tokens when one is revoked (channel pb_api_token). While it is not listening (no
 * database, or the connection was lost) the three caches are disabled: a notification could be missed, so
 * nothing may be served from them. It enables them once it listens again.
 */
struct pb_api_listen_targets {
	struct pb_api_cache *runs, *answers, *tokens;
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

/* 1 while it listens (the database is there and the caches are in use), else 0. */
int pb_api_listener_up(struct pb_api_listener *l);

#endif
