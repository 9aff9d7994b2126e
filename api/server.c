/* The server's life: parts made, libmicrohttpd started, SIGTERM awaited, then everything stopped in order. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clients.h"
#include "conns.h"
#include "db.h"
#include "exitcode.h"
#include "lastuse_writer.h"
#include "log.h"
#include "progress.h"
#include "routes.h"
#include "testhook.h"
#include "tls.h"

#include "banned.h"

#define DRAIN_MS 5000	 /* how long a stop waits for the connections to end */
#define ANSWER_MS 500	 /* a stopping server's time to answer a request whose database waits it cut */
#define STOP_NOW_MS 1000 /* after a second signal, how long requests cut short have to be answered */
/*
 * The descriptors the server keeps for itself, besides its pool's connections: standard input, output and
 * error, the listening socket, libmicrohttpd's signalling, the notifications' and the last-use writer's
 * connections, a connection being made again, and room for what libc and libpq open in passing.
 */
#define OWN_FDS 32
#define HTTP_MESSAGES 10 /* libmicrohttpd's messages written a minute at most (see mhd_logger) */
#define IDLE_MS 200	 /* connections idle this long (no request) while the server stops are closed */
/*
 * libmicrohttpd's memory for a connection: the request's line and headers, a 64-byte record for each query
 * parameter and header field, and the answer's headers. With its default, 32 KiB, some 500 parameters in
 * 3.4 KB ran it out while it parsed the request line, and it closed the connection without an answer
 * (libmicrohttpd 0.9.75 ignores that failure there). 256 KiB holds a 32 KiB target and 32 KiB of header
 * fields (routes.h's limits) with some 3,000 records besides; a keep-alive connection keeps and clears all
 * of it for each request, so --max-connections 1024 can hold 256 MiB.
 */
#define CONNECTION_MEMORY ((size_t)256 * 1024)
/* GnuTLS's defaults, but TLS 1.2 and 1.3 alone: 1.0 and 1.1 are deprecated (RFC 8996). */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

void pb_api_config_init(struct pb_api_config *cfg)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = "127.0.0.1";
	cfg->port = 8080;
	cfg->threads = 0;
	cfg->max_connections = 1024;
	cfg->max_per_client = 64;
	cfg->pool = cpus > 4 && cpus < 64 ? (unsigned)cpus : 4;
	cfg->cache_entries = 100000;
	cfg->auth_failures = 10;
	cfg->last_use_seconds = 60;
	cfg->header_timeout = 20;
}

/* The socket address of addr and port: 0, or -1 when addr is not an IP address. */
static int sockaddr_of(const char *addr, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -1;
}

int pb_api_is_loopback(const char *addr)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
	const unsigned char *b = in6->sin6_addr.s6_addr;

	if (sockaddr_of(addr, 0, &ss) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
	if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
}

int pb_api_config_check(const struct pb_api_config *cfg, struct pb_buf *err)
{
	struct sockaddr_storage ss;

	if (sockaddr_of(cfg->listen, cfg->port, &ss) < 0) {
		pb_buf_addf(err, "--listen takes an IPv4 or IPv6 address, not '%s'", cfg->listen);
		return PB_ERR_USAGE;
	}
	if (!cfg->tls_cert != !cfg->tls_key) {
		pb_buf_addstr(err, "TLS needs both --tls-cert and --tls-key");
		return PB_ERR_USAGE;
	}
	if (!cfg->tls_cert && !cfg->allow_insecure_http && !pb_api_is_loopback(cfg->listen)) {
		pb_buf_addf(err,
			    "refusing plain HTTP on %s, which is not a loopback address: give --tls-cert and "
			    "--tls-key, or --allow-insecure-http behind a proxy that encrypts",
			    cfg->listen);
		return PB_ERR_USAGE;
	}
	return 0;
}

struct server {
	const struct pb_api_config *cfg;
	struct pb_buf conninfo;
	struct pb_api_routes routes;
	struct pb_api_clients *clients;
	struct pb_api_conns *conns; /* each connection's deadline for its request's head */
	struct pb_api_lastuse_writer *writer;
	struct MHD_Daemon *daemon;
	MHD_socket quiesced;
	char *cert, *key;
	/* The messages about connections, libmicrohttpd's and the server's own, each limited apart (http_say) */
	pthread_mutex_t http_lock;
	struct budget {
		const char *what; /* "of libmicrohttpd's messages", say */
		uint64_t since;	  /* the minute's start */
		unsigned written; /* in that minute */
		unsigned long long left_out;
	} mhd_said, own_said;
	int hurry; /* a second signal came during the stop: the database is waited for no longer */
};

/* Says how many of b's messages were left out, if any; http_lock is held. */
static void say_left_out(struct budget *b)
{
	if (b->left_out)
		pb_warning("http: %llu more %s left out (%d a minute at most)", b->left_out, b->what, HTTP_MESSAGES);
	b->left_out = 0;
}

/*
 * A message about a connection, "http: " and msg, HTTP_MESSAGES a minute at most of b's: those left out are
 * counted, and said before the next one written after that minute, or at the stop.
 */
static void http_say(struct server *s, struct budget *b, const char *msg)
{
	uint64_t now = pb_now_ms();

	pthread_mutex_lock(&s->http_lock);
	if (now - b->since >= 60000 || !b->since) {
		say_left_out(b);
		b->since = now ? now : 1;
		b->written = 0;
	}
	if (b->written < HTTP_MESSAGES) {
		b->written++;
		pb_warning("http: %s", msg);
	} else {
		b->left_out++;
	}
	pthread_mutex_unlock(&s->http_lock);
}

/*
 * The server's own messages about connections: one closed at --header-timeout, a request refused for a NUL
 * or a control character in its head. Any client can have them written, so they too are limited, apart from
 * libmicrohttpd's, which do not then crowd them out.
 */
static void own_say(void *cls, const char *msg)
{
	struct server *s = cls;

	http_say(s, &s->own_said, msg);
}

/*
 * libmicrohttpd's messages, HTTP_MESSAGES a minute at most (http_say): it writes one for each connection
 * closed before its request was all in, and for each one refused when it holds all it may, so that any client
 * could otherwise have thousands of lines a second written (connecting, sending half a request line and
 * closing, over and over).
 */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct server *s = cls;
	struct pb_buf msg = PB_BUF_INIT;

	pb_buf_vaddf(&msg, fmt, ap);
	while (msg.len && (msg.ptr[msg.len - 1] == '\n' || msg.ptr[msg.len - 1] == ' '))
		msg.ptr[--msg.len] = '\0';
	http_say(s, &s->mhd_said, pb_buf_str(&msg));
	pb_buf_release(&msg);
}

/* The pool, the caches, the notification thread and the last-use writer. 0, or a negative pb_err with err. */
static int start_parts(struct server *s, struct pb_buf *err)
{
	const struct pb_api_config *cfg = s->cfg;
	struct pb_api_routes *r = &s->routes;
	struct pb_api_listen_targets t;

	if (cfg->database)
		pb_buf_addstr(&s->conninfo, cfg->database);
	else if (pb_db_conninfo(&s->conninfo, err) < 0)
		return PB_ERR_DEPENDENCY;
	/* One that can never connect is said at the start, not once in the log while every request gets 503. */
	if (!s->conninfo.failed && pb_api_pool_conninfo_check(pb_buf_str(&s->conninfo), err) < 0)
		return PB_ERR_DEPENDENCY;
	r->metrics = pb_api_metrics_new();
	r->limit = pb_api_ratelimit_new(cfg->auth_failures, 60000 / (cfg->auth_failures ? cfg->auth_failures : 1));
	r->pool = pb_api_pool_new(pb_buf_str(&s->conninfo), cfg->pool, 5000);
	r->lastuse = pb_api_lastuse_new();
	if (s->conninfo.failed || !r->metrics || !r->limit || !r->pool || !r->lastuse) {
		pb_buf_addstr(err, "out of memory");
		return PB_ERR_DEPENDENCY;
	}
	if (pb_api_routes_init(r, cfg->cache_entries, err) < 0)
		return PB_ERR_DEPENDENCY;
	t.runs = r->runs;
	t.no_runs = r->no_runs;
	t.answers = r->answers;
	t.tokens = r->tokens;
	t.metrics = r->metrics;
	r->listener = pb_api_listener_start(pb_buf_str(&s->conninfo), &t, err);
	if (!r->listener)
		return PB_ERR_DEPENDENCY;
	s->writer = pb_api_lastuse_writer_start(pb_buf_str(&s->conninfo), r->lastuse, cfg->last_use_seconds, err);
	return s->writer ? 0 : PB_ERR_DEPENDENCY;
}

/*
 * The certificate and key, read and checked before anything starts: 0, or a negative pb_err with err
 * (PB_ERR_DATA for files that are not what they should be, the file named).
 */
static int load_tls(struct server *s, struct pb_buf *err)
{
	if (!s->cfg->tls_cert)
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		pb_buf_addstr(err, "this libmicrohttpd has no TLS");
		return PB_ERR_USAGE;
	}
	return pb_api_tls_load(s->cfg->tls_cert, s->cfg->tls_key, &s->cert, &s->key, err);
}

/* libmicrohttpd's accept policy: a client that holds its connections already is refused (closed at once). */
static enum MHD_Result accept_client(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)addrlen;
	return pb_api_clients_may_open(cls, addr) ? MHD_YES : MHD_NO;
}

/*
 * A connection made (counted open, and given its deadline for its request's head: its socket context is
 * then its struct pb_api_conn) or closed. libmicrohttpd calls the accept policy and then this in the thread
 * that accepts, so that with a thread per connection no other connection is counted between the check and
 * the count (with --threads N, each of N threads accepts: a client may get up to N - 1 more). It says a
 * connection closed before it closes its socket. One that cannot be given its deadline (out of memory) is
 * shut down at once, never served without one.
 */
static void connection_event(void *cls, struct MHD_Connection *conn, void **socket_context,
			     enum MHD_ConnectionNotificationCode code)
{
	struct server *s = cls;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const union MHD_ConnectionInfo *fdi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const struct sockaddr *addr = ci ? ci->client_addr : NULL;
	struct pb_api_conn *c = *socket_context;
	int counted;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		counted = pb_api_clients_count(s->clients, addr, 1) == 0;
		c = fdi ? pb_api_conns_open(s->conns, fdi->connect_fd, addr, counted) : NULL;
		if (!c) {
			if (counted)
				pb_api_clients_count(s->clients, addr, -1);
			if (fdi)
				shutdown(fdi->connect_fd, SHUT_RDWR);
		}
		*socket_context = c;
	} else if (c) {
		if (pb_api_conns_counted(c))
			pb_api_clients_count(s->clients, addr, -1);
		pb_api_conns_close(s->conns, c);
		*socket_context = NULL;
	}
}

/*
 * A thread per connection by default: a connection waits only for its own thread, so a CPU shared with other
 * work delays one request at a time, not every connection a pool thread holds. --threads N polls with epoll
 * on N threads instead, for many more connections than threads.
 */
static int start_daemon(struct server *s, unsigned max_connections, struct pb_buf *err)
{
	const struct pb_api_config *cfg = s->cfg;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[5];
	struct sockaddr_storage ss;
	int n = 0;

	sockaddr_of(cfg->listen, cfg->port, &ss);
	flags |= ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0;
	/* Each connection's thread waits with poll(2): select(2) could not take a descriptor past 1023. */
	flags |= cfg->threads ? MHD_USE_EPOLL | MHD_USE_TURBO : MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
	if (cfg->threads)
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL};
	if (s->cert) {
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->key};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES};
		flags |= MHD_USE_TLS;
	}
	opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	s->clients = pb_api_clients_new(cfg->max_per_client);
	if (!s->clients) {
		pb_buf_addstr(err, "out of memory");
		return PB_ERR_DEPENDENCY;
	}
	s->conns = pb_api_conns_start(cfg->header_timeout * 1000, own_say, s, err);
	if (!s->conns)
		return PB_ERR_DEPENDENCY;
	s->routes.conns = s->conns;
	/* Not libmicrohttpd's own limit per client address: it counts each IPv6 address, not the client's /64. */
	s->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, accept_client, s->clients, pb_api_routes_answer,
				     &s->routes, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s, MHD_OPTION_SOCK_ADDR,
				     (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, max_connections,
				     MHD_OPTION_NOTIFY_CONNECTION, connection_event, s,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY, MHD_OPTION_URI_LOG_CALLBACK,
				     pb_api_routes_uri, &s->routes, MHD_OPTION_NOTIFY_COMPLETED,
				     pb_api_routes_completed, &s->routes, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
				     MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!s->daemon) {
		pb_buf_addf(err, "cannot listen on %s port %u%s", cfg->listen, cfg->port,
			    cfg->tls_cert ? " with that certificate and key" : "");
		return PB_ERR_USAGE;
	}
	return 0;
}

/*
 * The descriptors a process may open, as many as it is allowed: a soft limit of 1024 (systemd's default for
 * a service) would refuse connections well short of --max-connections' 1024. Returns the connections that
 * limit leaves room for, besides the server's own descriptors (OWN_FDS, the pool's connections and, with
 * --threads N, each thread's epoll and signalling descriptors): at most max. Serving more, libmicrohttpd
 * would accept until the process had no descriptor left, then try again and again at once, writing two
 * warnings each time (some 300,000 lines a second, for as long as the connections are held), and the pool
 * could not connect to the database.
 */
static unsigned raise_file_limit(const struct pb_api_config *cfg, unsigned max, unsigned long long *limit)
{
	/* Each of the pool's connections, and a second descriptor of its socket while it is set up (see pool.c). */
	rlim_t own = OWN_FDS + 2 * (rlim_t)cfg->pool + 2 * (rlim_t)cfg->threads;
	struct rlimit rl;

	*limit = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return max;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return max;
	}
	*limit = (unsigned long long)rl.rlim_cur;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= own + max)
		return max;
	return rl.rlim_cur > own ? (unsigned)(rl.rlim_cur - own) : 1;
}

static void announce(const struct server *s)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	int v6 = strchr(s->cfg->listen, ':') != NULL;

	pb_log(PB_LOG_INFO, NULL, "listening on %s://%s%s%s:%u", s->cfg->tls_cert ? "https" : "http", v6 ? "[" : "",
	       s->cfg->listen, v6 ? "]" : "", info ? (unsigned)info->port : s->cfg->port);
}

static const char *signal_name(int sig)
{
	if (sig == SIGINT)
		return "SIGINT";
	return sig == SIGHUP ? "SIGHUP" : "SIGTERM";
}

/*
 * Stops taking connections, then waits (DRAIN_MS at most) until every connection is closed, each answer now
 * closing its own, or those left have been idle for IDLE_MS: no request begun or in progress meanwhile, so
 * that MHD_stop_daemon, which closes them, cuts no request short that was on its way. A request still in
 * progress at DRAIN_MS (one waiting on a database that stopped answering) is waited for until the pool gives
 * its statement up and it is answered 503: DRAIN_MS, or the pool's hold and a second, whichever is longer; a
 * request begun during the stop (on a keep-alive connection) waits for the database no longer than that, less
 * ANSWER_MS, so that it too is answered before its connection is closed. The listening socket stops listening
 * at once (shutdown(2); libmicrohttpd's threads may hold it until they stop, so it is closed after them): a
 * client connecting now is refused, and may turn to another server at once, instead of waiting in its queue to
 * be reset when this one exits; the log says "SIG...: stopping" (sig) only then. A second signal (stop)
 * shortens all of this to STOP_NOW_MS from then on.
 */
static void drain(struct server *s, const sigset_t *stop, int sig)
{
	struct timespec tick = {0, 20L * 1000000L}, none = {0, 0};
	uint_fast64_t seen = 0;
	uint64_t start = pb_now_ms(), waited;
	unsigned idle = 0, busy_ms = pb_api_pool_hold_ms() + 1000;
	int again;

	atomic_store(&s->routes.stopping, 1);
	/* A request begun from now on (on a keep-alive connection) gets its answer too: its waits end in time. */
	pb_api_pool_stop_by(s->routes.pool, start + busy_ms - ANSWER_MS);
	s->quiesced = MHD_quiesce_daemon(s->daemon);
	if (s->quiesced != MHD_INVALID_SOCKET)
		shutdown(s->quiesced, SHUT_RDWR);
	/* Said once it is so: a client that connects when the log says "stopping" is refused. */
	pb_log(PB_LOG_INFO, NULL, "%s: stopping", signal_name(sig));
	pb_test_pause("api-stopping");
	while (idle < IDLE_MS) {
		const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		uint_fast64_t begun = atomic_load(&s->routes.begun);
		int busy = atomic_load(&s->routes.ended) != begun;

		waited = pb_now_ms() - start;
		if (!info || info->num_connections == 0)
			break;
		/*
		 * A second signal (an operator's second Ctrl-C): the database is waited for no longer; the requests
		 * waiting on it are answered 503 at once, and the stop ends a second later at most.
		 */
		again = sigtimedwait(stop, NULL, &none);
		if (again > 0 && !s->hurry) {
			uint_fast64_t left = begun - atomic_load(&s->routes.ended);

			pb_warning(
				"%s during the stop: stopping now, without waiting for the database (%llu request%s in "
				"progress)",
				signal_name(again), (unsigned long long)left, left == 1 ? "" : "s");
			pb_api_pool_stop_by(s->routes.pool, pb_now_ms());
			/* The tokens' last use is written if the database answers at once, and given up otherwise. */
			pb_api_lastuse_writer_stop_by(s->writer, pb_now_ms() + STOP_NOW_MS);
			s->hurry = 1;
			if (busy_ms > waited + STOP_NOW_MS)
				busy_ms = (unsigned)waited + STOP_NOW_MS;
		}
		/*
		 * After a second signal the connections are still waited for (each answer closes its own, and a
		 * request sent meanwhile on a keep-alive connection is answered), a second at most.
		 */
		if (s->hurry ? waited >= busy_ms : waited >= DRAIN_MS && (!busy || waited >= busy_ms))
			break;
		idle = begun == seen && !busy ? idle + 20 : 0;
		seen = begun;
		pb_api_pool_cut(s->routes.pool);
		nanosleep(&tick, NULL);
	}
	pb_api_pool_cut(s->routes.pool);
}

/*
 * The tokens' last use written down a last time, which may wait for the database (5 s to connect, 5 s for its
 * answer): a second signal meanwhile (stop, a signal of the set, NULL when the server never ran) has it give
 * up a second later at most.
 */
static void last_write(struct server *s, const sigset_t *stop)
{
	struct timespec tick = {0, 100L * 1000000L};
	int again;

	if (stop)
		pb_test_pause("api-last-write"); /* a test's second signal then comes during the write */
	pb_api_lastuse_writer_finish(s->writer);
	while (stop && !pb_api_lastuse_writer_done(s->writer)) {
		again = sigtimedwait(stop, NULL, &tick);
		if (again > 0 && !s->hurry) {
			pb_warning("%s during the stop: stopping now, without waiting for the database",
				   signal_name(again));
			pb_api_lastuse_writer_stop_by(s->writer, pb_now_ms() + STOP_NOW_MS);
			s->hurry = 1;
		}
	}
	pb_api_lastuse_writer_stop(s->writer);
}

static void stop_all(struct server *s, const sigset_t *stop)
{
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	/* After the daemon: every connection is closed, and forgotten. */
	pb_api_conns_stop(s->conns);
	pthread_mutex_lock(&s->http_lock);
	say_left_out(&s->mhd_said);
	say_left_out(&s->own_said);
	pthread_mutex_unlock(&s->http_lock);
	pb_api_clients_free(s->clients);
	if (s->quiesced != MHD_INVALID_SOCKET)
		close(s->quiesced);
	/* The requests are over: the tokens' last use is written down a last time. */
	last_write(s, stop);
	pb_api_listener_stop(s->routes.listener);
	pb_api_lastuse_free(s->routes.lastuse);
	pb_api_routes_release(&s->routes);
	pb_api_pool_free(s->routes.pool);
	pb_api_ratelimit_free(s->routes.limit);
	pb_api_metrics_free(s->routes.metrics);
	if (s->key)
		explicit_bzero(s->key, strlen(s->key));
	free(s->key);
	free(s->cert);
	pb_buf_release(&s->conninfo);
}

int pb_api_serve(const struct pb_api_config *cfg, struct pb_buf *err)
{
	struct server s;
	sigset_t stop;
	int rc, sig = 0;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.quiesced = MHD_INVALID_SOCKET;
	s.mhd_said.what = "of libmicrohttpd's messages";
	s.own_said.what = "messages about connections";
	pthread_mutex_init(&s.http_lock, NULL);
	pb_buf_init(&s.conninfo, 0);
	/* Every thread started from here on inherits the blocked signals: this one alone waits for them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	/* The terminal it was started from closed, say: a stop as any other, not a death that loses the last uses. */
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = pb_api_config_check(cfg, err);
	if (rc == 0)
		rc = load_tls(&s, err);
	if (rc == 0)
		rc = start_parts(&s, err);
	if (rc == 0) {
		unsigned long long limit;
		unsigned max = raise_file_limit(cfg, cfg->max_connections, &limit);

		if (max < cfg->max_connections)
			pb_warning(
				"the open files limit (%llu) leaves room for %u connections: serving %u at most, not "
				"--max-connections' %u (raise the limit: ulimit -n, or LimitNOFILE= for a service)",
				limit, max, max, cfg->max_connections);
		rc = start_daemon(&s, max, err);
	}
	if (rc == 0) {
		announce(&s);
		while (sigwait(&stop, &sig) != 0)
			;
		drain(&s, &stop, sig);
	}
	stop_all(&s, rc == 0 ? &stop : NULL);
	pthread_mutex_destroy(&s.http_lock);
	if (rc == 0)
		pb_log(PB_LOG_INFO, NULL, "stopped");
	return rc;
}
