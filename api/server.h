/* pb-api's server: libmicrohttpd on one address, the pool, the caches and the notifications, until SIGTERM. */
#ifndef PB_API_SERVER_H
#define PB_API_SERVER_H

#include <stddef.h>

#include "buf.h"

struct pb_api_config {
	const char *listen;		/* an IPv4 or IPv6 address (no host names) */
	unsigned port;			/* 0: the kernel picks one (the log says which) */
	const char *database;		/* a libpq connection string or URI; NULL: as pb_db_conninfo says */
	unsigned threads;		/* 0: a thread per connection; N: N threads polling with epoll */
	unsigned max_connections;	/* connections open at once at most */
	unsigned max_per_client;	/* of them from one client address */
	unsigned pool;			/* database connections */
	const char *tls_cert, *tls_key; /* PEM files, both or neither */
	int allow_insecure_http;	/* plain HTTP on an address other than loopback */
	size_t cache_entries;		/* answers cached at most */
	unsigned auth_failures;		/* failed authentications a client address may make per minute */
	unsigned last_use_seconds;	/* how often the tokens' last use is written to the database */
	unsigned header_timeout;	/* seconds a request's line and header fields may take to come */
};

/*
 * Fills the defaults: 127.0.0.1:8080, a thread per connection and at most 1024 of them (64 from one client
 * address), a database connection
 * per CPU (at least 4), 100000 answers, 10 failures a minute, the tokens' last use written every 60 seconds,
 * 20 seconds for a request's line and header fields.
 */
void pb_api_config_init(struct pb_api_config *cfg);

/* 1 when addr is a loopback address (127.0.0.0/8, ::1, or IPv4-mapped 127/8), else 0. */
int pb_api_is_loopback(const char *addr);

/*
 * Checks cfg before anything starts: the address parses, TLS has both files, and plain HTTP listens on
 * loopback only unless allow_insecure_http. Returns 0, or PB_ERR_USAGE with the reason in err.
 */
int pb_api_config_check(const struct pb_api_config *cfg, struct pb_buf *err);

/*
 * Serves until SIGTERM, SIGINT or SIGHUP, then stops taking connections (refused at once), lets the requests
 * in progress finish (each answer closing its connection), closes the idle connections and returns 0. It does not need
 * the database to start. Logs "listening on URL" once it listens. Returns PB_ERR_USAGE when it cannot listen there or
 * read the TLS files, PB_ERR_DATA when the TLS files are not a certificate and its unencrypted key (checked before
 * anything starts), PB_ERR_DEPENDENCY when no database is configured or a thread cannot start; the reason in err.
 */
int pb_api_serve(const struct pb_api_config *cfg, struct pb_buf *err);

#endif
