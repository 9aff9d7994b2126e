/* libpq helpers: every value crosses as text, every failure leaves one line for the caller. */
#include "db.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "date.h"
#include "interrupt.h"
#include "log.h"
#include "migrations.h"
#include "progress.h"
#include "sha256.h"
#include "testhook.h"

#include "banned.h"

/* Arbitrary, fixed: the key of the advisory lock that serializes migrations. */
#define MIGRATE_LOCK_KEY 7271001

const char *pb_db_var_dir(void)
{
	const char *v = getenv("PB_VAR_DIR");

	return v && *v ? v : "var";
}

/* Escapes a value for a keyword=value connection string. */
static void add_conn_value(struct pb_buf *b, const char *v)
{
	pb_buf_addch(b, '\'');
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			pb_buf_addch(b, '\\');
		pb_buf_addch(b, *v);
	}
	pb_buf_addch(b, '\'');
}

/* Says that the local cluster's folder is not there: which folder (var is the current folder's), and how to
 * reach the cluster that is elsewhere before how to make an empty one. */
static void no_var_dir(struct pb_buf *err)
{
	const char *set = getenv("PB_VAR_DIR");
	char cwd[PATH_MAX];

	pb_buf_reset(err);
	pb_buf_addstr(err, "no database: PB_DATABASE_URL is not set and there is no local cluster in ");
	if (set && *set)
		pb_buf_addf(err, "'%s' (PB_VAR_DIR): set PB_VAR_DIR to the folder that holds it", set);
	else {
		pb_buf_addf(err, "'%s' of the current folder", pb_db_var_dir());
		if (getcwd(cwd, sizeof(cwd)))
			pb_buf_addf(err, ", %s", cwd);
		pb_buf_addstr(
			err,
			": run the program in the folder that holds var, or set PB_VAR_DIR to var's absolute path");
	}
	pb_buf_addstr(err, "; 'pb-db init' and 'pb-db start' make a new, empty cluster");
}

/* Whether a PG* variable names the server (set, as libpq takes it, even if empty). */
static int server_named(void)
{
	return getenv("PGHOST") || getenv("PGHOSTADDR") || getenv("PGSERVICE");
}

int pb_db_local(void)
{
	const char *url = getenv("PB_DATABASE_URL");

	return !(url && *url) && !server_named();
}

int pb_db_conninfo(struct pb_buf *out, struct pb_buf *err)
{
	const char *url = getenv("PB_DATABASE_URL");
	char path[PATH_MAX];

	pb_buf_reset(out);
	if (url && *url) {
		pb_buf_addstr(out, url);
		return out->failed ? -1 : 0;
	}
	/*
	 * As in every PostgreSQL tool, a variable that names a server chooses it (PGSERVICE's file names one). Not
	 * PGDATABASE, which names a database alone: with no server named, the local cluster's own is used.
	 */
	if (server_named())
		return 0;
	if (!realpath(pb_db_var_dir(), path)) {
		no_var_dir(err);
		return -1;
	}
	pb_buf_addstr(out, "host=");
	{
		struct pb_buf host = PB_BUF_INIT;

		pb_cluster_socket_dir(pb_db_var_dir(), path, &host);
		add_conn_value(out, pb_buf_str(&host));
		pb_buf_release(&host);
	}
	pb_buf_addstr(out, " port=5432 user=pb dbname=partnerbill");
	return out->failed ? -1 : 0;
}

/* Notices (such as "already exists, skipping") are not for the user. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int pb_db_startup_options(const char *conninfo, const char *ours, struct pb_buf *out)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL), *o;
	const char *user = NULL, *service = getenv("PGSERVICE");
	int ret = 1;

	/* user and service may point into opts: used before it is freed. */
	for (o = opts; o && o->keyword; o++) {
		if (strcmp(o->keyword, "options") == 0 && o->val && *o->val)
			user = o->val;
		if (strcmp(o->keyword, "service") == 0 && o->val && *o->val)
			service = o->val;
	}
	if (!user)
		user = getenv("PGOPTIONS");
	/* A service file's options would be replaced, unseen: then the SETs of pb_db_session alone. */
	if (!(user && *user) && service && *service) {
		ret = 0;
	} else {
		if (user && *user)
			pb_buf_addf(out, "%s ", user);
		pb_buf_addstr(out, ours);
	}
	PQconninfoFree(opts);
	return ret;
}

/* Whether the n bytes at s are one character or a plain word (an option's name, a value such as "bogus"), safe to show.
 */
static int plain_word(const char *s, size_t n)
{
	size_t i;

	if (n == 1)
		return 1; /* a bracket, as in "]" */
	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/*
 * Whether conninfo is a URI whose user information holds an '@' or a '/' left as it is (not percent-encoded):
 * libpq ends the user information at the first '@' or '/', and takes what follows for the host, the port or
 * the database, whose messages ("could not translate host name", "invalid integer value ... for connection
 * option \"port\"") then show a part of the password. Told by an '@' in the host or the database's name.
 * When so, err says so, naming none of it.
 */
static int uri_garbled(const char *conninfo, struct pb_buf *err, const char *what, const char *name)
{
	const char *p = conninfo, *rest, *end;
	int bad = 0;

	if (strncmp(p, "postgresql://", 13) == 0)
		p += 13;
	else if (strncmp(p, "postgres://", 11) == 0)
		p += 11;
	else
		return 0;
	/* As libpq reads it: the user information up to the first '@' (none when a '/' comes first). */
	rest = p + strcspn(p, "@/");
	if (*rest == '@') {
		p = rest + 1;
		rest = p + strcspn(p, "/?");
		bad = memchr(p, '@', (size_t)(rest - p)) != NULL;
	} else {
		/* The host ends at the database's '/' or at the parameters, whose values may hold '/' and '@'. */
		rest = p + strcspn(p, "/?");
	}
	/* The database's name, right after the host, up to the parameters. */
	if (!bad && *rest == '/') {
		end = rest + 1 + strcspn(rest + 1, "?");
		bad = memchr(rest, '@', (size_t)(end - rest)) != NULL;
	}
	if (!bad)
		return 0;
	pb_buf_reset(err);
	if (what)
		pb_buf_addf(err, "%s: ", what);
	pb_buf_addf(err,
		    "%s is not a valid URI (an '@' after its user information: an '@' or a '/' in a password or a user "
		    "name is written %%40 or %%2F, and in a database's name %%40): correct it",
		    name);
	return 1;
}

/*
 * err = "WHAT: NAME is not a valid connection string or URI (MSG): correct it", MSG being libpq's message on
 * conninfo with each quoted part that is not a plain word shown as "...": libpq quotes the piece it choked on,
 * which may be the password or the whole string.
 */
static void conninfo_invalid(struct pb_buf *err, const char *what, const char *name, const char *conninfo,
			     const char *msg)
{
	const char *p = msg && *msg ? msg : "out of memory", *end, *close;
	/* Quotes in the string itself: libpq's own cannot be told from them, so all between the outer ones hides. */
	int outer = conninfo && strchr(conninfo, '"') != NULL;

	end = p + strlen(p);
	while (end > p && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	pb_buf_reset(err);
	if (what)
		pb_buf_addf(err, "%s: ", what);
	pb_buf_addf(err, "%s is not a valid connection string or URI (", name);
	while (p < end) {
		if (*p != '"') {
			pb_buf_addch(err, *p == '\n' || *p == '\t' ? ' ' : *p);
			p++;
			continue;
		}
		close = NULL;
		for (const char *q = p + 1; q < end; q++) {
			if (*q == '"') {
				close = q;
				if (!outer)
					break;
			}
		}
		if (close && plain_word(p + 1, (size_t)(close - p - 1)))
			pb_buf_add(err, p, (size_t)(close - p + 1));
		else
			pb_buf_addstr(err, "\"...\"");
		if (!close)
			break;
		p = close + 1;
	}
	pb_buf_addstr(err, "): correct it");
}

/* Whether libpq would take v for a connection string, were it the first dbname of PQconnectdbParams. */
static int is_conninfo(const char *v)
{
	return strncmp(v, "postgresql://", 13) == 0 || strncmp(v, "postgres://", 11) == 0 || strchr(v, '=');
}

/* The dbname libpq will use with conninfo (parsed as opts): its own, else PGDATABASE's (a service's is unseen). */
static const char *dbname_of(const PQconninfoOption *opts, const char **from)
{
	const char *env = getenv("PGDATABASE");

	*from = NULL;
	for (; opts->keyword; opts++) {
		if (strcmp(opts->keyword, "dbname") == 0 && opts->val && *opts->val)
			return opts->val;
		if (strcmp(opts->keyword, "service") == 0 && opts->val && *opts->val)
			return NULL;
	}
	if (!env || !*env || getenv("PGSERVICE"))
		return NULL;
	*from = "PGDATABASE";
	return env;
}

int pb_db_conninfo_check(const char *conninfo, const char *what, const char *name, struct pb_buf *err)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
	const char *dbname, *from;
	int ret = -1;

	if (!opts) {
		conninfo_invalid(err, what, name, conninfo, msg);
		PQfreemem(msg);
		return -1;
	}
	if (uri_garbled(conninfo, err, what, name))
		goto out;
	dbname = dbname_of(opts, &from);
	if (dbname && is_conninfo(dbname)) {
		pb_buf_reset(err);
		if (what)
			pb_buf_addf(err, "%s: ", what);
		if (from)
			pb_buf_addf(err, "%s is a connection string or URI", from);
		else
			pb_buf_addf(err, "the dbname of %s is itself a connection string or URI", name);
		pb_buf_addstr(err,
			      ", which libpq does not expand but takes for a database's name (the server's messages "
			      "would show it, a password with it): ");
		if (from)
			pb_buf_addstr(err, "set PB_DATABASE_URL to it instead");
		else
			pb_buf_addf(err, "give its settings in %s itself", name);
		goto out;
	}
	ret = 0;
out:
	PQconninfoFree(opts);
	return ret;
}

/* Appends v as a connection string's value: quoted when it is empty or holds a space, a quote or a backslash. */
static void add_shown_value(struct pb_buf *out, const char *v)
{
	if (*v && !strpbrk(v, " \t\n'\\")) {
		pb_buf_addstr(out, v);
		return;
	}
	add_conn_value(out, v);
}

void pb_db_dbname_shown(struct pb_buf *out, const char *dbname)
{
	if (dbname && is_conninfo(dbname))
		pb_buf_addstr(out, "***");
	else
		pb_buf_addstr(out, dbname ? dbname : "");
}

/* Whether option o's value is a secret: a password, or a dbname that is a connection string (which may hold one). */
static int secret_option(const PQconninfoOption *o)
{
	return o->val && (strchr(o->dispchar, '*') || (strcmp(o->keyword, "dbname") == 0 && is_conninfo(o->val)));
}

void pb_db_conninfo_shown(struct pb_buf *out, const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL), *o;
	int n = 0;

	if (!opts) {
		pb_buf_addstr(out, "(not valid)");
		return;
	}
	for (o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		pb_buf_addf(out, "%s%s=", n++ ? " " : "", o->keyword);
		if (secret_option(o))
			pb_buf_addstr(out, "***");
		else
			add_shown_value(out, o->val);
	}
	PQconninfoFree(opts);
}

int pb_db_conninfo_secret(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL), *o;
	int yes = 0;

	for (o = opts; o && o->keyword; o++)
		if (secret_option(o) && *o->val)
			yes = 1;
	PQconninfoFree(opts);
	return yes;
}

/* Below this many bytes free, the local cluster's disk is full: the server cannot write a session's files. */
#define DISK_FULL_BYTES (1024ULL * 1024)

/* Whether the file system of the local cluster's data folder is full; *free_kb, what it has left. */
static int local_disk_full(unsigned long long *free_kb)
{
	char path[PATH_MAX], data[PATH_MAX + 16];
	struct statvfs st;
	unsigned long long left;

	if (!realpath(pb_db_var_dir(), path) ||
	    (size_t)snprintf(data, sizeof(data), "%s/pg/data", path) >= sizeof(data) || statvfs(data, &st) < 0)
		return 0;
	left = (unsigned long long)st.f_bavail * st.f_frsize;
	*free_kb = left / 1024;
	return left < DISK_FULL_BYTES;
}

/* After a refused connection to conninfo (pb_db_conninfo's; conn, what came of it, or NULL): which database that was,
 * and what to do. */
static void add_where(struct pb_buf *err, const char *conninfo, const PGconn *conn)
{
	const char *url = getenv("PB_DATABASE_URL");
	unsigned long long free_kb = 0;

	if (url && *url) {
		pb_buf_addstr(err, " (PB_DATABASE_URL is '");
		pb_db_conninfo_shown(err, conninfo);
		pb_buf_addstr(err, "': check that its server runs and takes its user, password and database)");
	} else if (!*conninfo) {
		pb_buf_addstr(err,
			      " (PB_DATABASE_URL is not set: the server is the one PGHOST, PGHOSTADDR or PGSERVICE "
			      "names: check them)");
	} else if (conn && strstr(PQerrorMessage(conn), "FATAL:") &&
		   strstr(PQerrorMessage(conn), "database \"partnerbill\" does not exist")) {
		/*
		 * Dropped, or never made (a start cut short before it created it, a server started with pg_ctl by
		 * hand): the PG* variables it pointed to were not the cause.
		 */
		pb_buf_addf(
			err,
			" (the local cluster in '%s/pg' runs without the partnerbill database: 'pb-db start' creates "
			"it, then 'pb-db migrate' makes its schema)",
			pb_db_var_dir());
	} else if (conn && strstr(PQerrorMessage(conn), "FATAL:") && local_disk_full(&free_kb)) {
		/*
		 * The server runs but cannot start a session on a full disk ("could not write init file"), which
		 * was taken for settings it refused, sending the reader to the PG* variables.
		 */
		pb_buf_addf(err,
			    " (the local cluster in '%s/pg' runs and refused the session: the file system of its data "
			    "folder is full, %llu kB free: make room there, then run the program again)",
			    pb_db_var_dir(), free_kb);
	} else if (conn && strstr(PQerrorMessage(conn), "FATAL:")) {
		/* The server answered: it runs, and refused this session. */
		pb_buf_addf(err,
			    " (the local cluster in '%s/pg' runs and refused the session: check the PG* variables, "
			    "PGOPTIONS among them)",
			    pb_db_var_dir());
	} else if (conn && strstr(PQerrorMessage(conn), "Permission denied")) {
		/* Its socket's folder is closed to this user: a cluster made as root is the postgres user's. */
		pb_buf_addf(err, " (the local cluster in '%s/pg' is another user's: run as that user, or as root)",
			    pb_db_var_dir());
	} else if (conn && strstr(PQerrorMessage(conn), "invalid ") && strstr(PQerrorMessage(conn), " value")) {
		/* libpq refused a PG* variable's value ("invalid sslmode value"): the cluster may well run. */
		pb_buf_addf(err,
			    " (the local cluster in '%s/pg': libpq refused a setting before reaching it: check the PG* "
			    "variables)",
			    pb_db_var_dir());
	} else {
		pb_buf_addf(err, " (the local cluster in '%s/pg': start it with 'pb-db start')", pb_db_var_dir());
	}
}

PGconn *pb_db_connect(const char *application, struct pb_buf *err)
{
	return pb_db_connect_within(application, 0, err);
}

/* Whether conninfo (or PGCONNECT_TIMEOUT) sets a connect_timeout of its own. */
static int has_connect_timeout(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL), *o;
	const char *env = getenv("PGCONNECT_TIMEOUT");
	int yes = env && *env;

	for (o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "connect_timeout") == 0 && o->val && *o->val)
			yes = 1;
	PQconninfoFree(opts);
	return yes;
}

PGconn *pb_db_connect_within(const char *application, int timeout_s, struct pb_buf *err)
{
	struct pb_buf info = PB_BUF_INIT, options = PB_BUF_INIT;
	/* Before dbname, which the connection string expands into: its own connect_timeout wins. */
	const char *keys[5] = {"connect_timeout", "dbname", "application_name", "options", NULL};
	const char *vals[5];
	char timeout[16];
	PGconn *conn = NULL;
	int k = 0;

	if (pb_db_conninfo(&info, err) < 0)
		goto out;
	if (pb_db_conninfo_check(pb_buf_str(&info), "cannot connect to the database", "PB_DATABASE_URL", err) < 0)
		goto out;
	if (!pb_db_startup_options(pb_buf_str(&info), PB_DB_BATCH_OPTIONS " " PB_DB_QUIET_OPTIONS, &options))
		keys[3] = NULL;
	snprintf(timeout, sizeof(timeout), "%d", timeout_s);
	vals[0] = timeout;
	vals[1] = pb_buf_str(&info);
	vals[2] = application;
	vals[3] = pb_buf_str(&options);
	vals[4] = NULL;
	if (timeout_s <= 0 || has_connect_timeout(pb_buf_str(&info)))
		k = 1;
	/* expand_dbname lets dbname carry a whole connection string or URI. */
	conn = PQconnectdbParams(keys + k, vals + k, 1);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		pb_db_message(err, "cannot connect to the database", conn ? PQerrorMessage(conn) : "out of memory");
		add_where(err, pb_buf_str(&info), conn);
		PQfinish(conn);
		conn = NULL;
	} else {
		PQsetNoticeProcessor(conn, ignore_notice, NULL);
		if (pb_db_session(conn, 1, err) < 0) {
			PQfinish(conn);
			conn = NULL;
		}
	}
out:
	pb_buf_release(&info);
	pb_buf_release(&options);
	return conn;
}

int pb_db_session(PGconn *conn, int batch, struct pb_buf *err)
{
	return pb_db_session_until(conn, batch, 0, NULL, NULL, err);
}

/*
 * The result of the statements sent on conn: the last, or the first that failed. NULL when the deadline came
 * first, or give_up(arg) said so (checked a tenth of a second at a time; *gave_up then 1).
 */
static PGresult *take_until(PGconn *conn, uint64_t deadline_ms, int (*give_up)(void *), void *arg, int *gave_up)
{
	PGresult *res = NULL, *next;

	*gave_up = 0;
	for (;;) {
		uint64_t now = pb_now_ms();

		if (!PQisBusy(conn)) {
			next = PQgetResult(conn);
			if (!next)
				return res;
			if (res && PQresultStatus(res) == PGRES_FATAL_ERROR) {
				PQclear(next);
			} else {
				PQclear(res);
				res = next;
			}
			continue;
		}
		if (give_up && give_up(arg)) {
			*gave_up = 1;
			break;
		}
		if (now >= deadline_ms)
			break;
		pb_db_await(conn, deadline_ms < now + 100 ? deadline_ms : now + 100);
	}
	PQclear(res);
	return NULL;
}

int pb_db_session_until(PGconn *conn, int batch, uint64_t deadline_ms, int (*give_up)(void *), void *arg,
			struct pb_buf *err)
{
	static const char common[] =
		"SET DateStyle = ISO, YMD; SET IntervalStyle = postgres; SET TimeZone = 'UTC'; "
		"SET client_encoding = 'UTF8'; SET standard_conforming_strings = on; "
		"SET default_transaction_isolation = 'read committed'; "
		"SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'idle_session_timeout'; "
		"SELECT current_setting('session_replication_role'), current_setting('server_encoding'), "
		"current_database()";
	/*
	 * First, so that a timeout of a millisecond cannot end the settings themselves (pb_db_connect also
	 * sends them as startup options). A commit is durable before the programs write what follows from it
	 * (invoice files). PostgreSQL 17's transaction_timeout is off where it exists. In common: no
	 * idle_session_timeout (PostgreSQL 14's: set where it exists), since pb-api's pool and listener idle by design.
	 */
	static const char batch_sql[] =
		"SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0; "
		"SET synchronous_commit = on; "
		"SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'transaction_timeout'; ";
	char sql[sizeof(common) + sizeof(batch_sql)];
	PGresult *res;
	int rc = -1;

	int gave_up = 0;

	snprintf(sql, sizeof(sql), "%s%s", batch ? batch_sql : "", common);
	if (!deadline_ms)
		res = PQexec(conn, sql);
	else if (!PQsendQuery(conn, sql))
		res = NULL;
	else if (!(res = take_until(conn, deadline_ms, give_up, arg, &gave_up))) {
		pb_buf_reset(err);
		pb_buf_addstr(err, gave_up ? "cannot set the session's settings: given up"
					   : "cannot set the session's settings: the database did not answer in time");
		return gave_up ? -2 : -1;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) != 3) {
		pb_db_message(err, "cannot set the session's settings",
			      res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	} else if (strcmp(PQgetvalue(res, 0, 0), "origin") != 0) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "the session's session_replication_role is '%s', under which partnerbill's triggers do "
			    "not run: set it to 'origin' for this role and database",
			    PQgetvalue(res, 0, 0));
	} else if (strcmp(PQgetvalue(res, 0, 1), "UTF8") != 0 && strcmp(PQgetvalue(res, 0, 1), "SQL_ASCII") != 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "database %s is encoded %s: partnerbill stores UTF-8 text and needs a UTF8 database",
			    PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 1));
	} else {
		rc = 0;
	}
	PQclear(res);
	/*
	 * A batch program killed while the server works for it (a long query, a wait for a lock) left its server
	 * process working on for no one, holding its locks: a rerun waited or was refused until it ended. The server
	 * looks for the client every second while a statement runs (PostgreSQL 14 and later). Best effort, apart
	 * from the settings above: a server on a system that cannot tell (no POLLRDHUP) refuses it, and the session
	 * goes on without.
	 */
	if (rc == 0 && batch)
		PQclear(PQexec(conn, "SELECT set_config(name, '1s', false) FROM pg_settings WHERE name = "
				     "'client_connection_check_interval'"));
	return rc;
}

void pb_db_message(struct pb_buf *err, const char *what, const char *msg)
{
	size_t n = msg ? strlen(msg) : 0;

	/* The message as libpq wrote it, but each line break (and the indent after it) one space. */
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '\t'))
		n--;
	pb_buf_reset(err);
	pb_buf_addf(err, "%s: ", what);
	for (size_t i = 0; i < n; i++) {
		if (msg[i] != '\n') {
			pb_buf_addch(err, msg[i]);
			continue;
		}
		while (i + 1 < n && (msg[i + 1] == '\t' || msg[i + 1] == ' '))
			i++;
		pb_buf_addch(err, ' ');
	}
}

/* The server's message on one line. */
void pb_db_result_message(struct pb_buf *err, const char *what, PGconn *conn, const PGresult *res)
{
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (!msg || !*msg)
		msg = PQerrorMessage(conn);
	pb_db_message(err, what, msg);
	/* insufficient_privilege: the programs need what the owner of schema pb has. */
	if (state && strcmp(state, "42501") == 0)
		pb_buf_addf(err,
			    " (role '%s' lacks a privilege: partnerbill's programs run as the role that owns schema pb "
			    "or a member of it, and pb-db migrate needs CREATE on the database)",
			    PQuser(conn));
	/*
	 * disk_full on the local cluster: the server named a file inside its own folder ("could not extend file
	 * base/16384/2604"), not where that folder is.
	 */
	if (state && strcmp(state, "53100") == 0 && pb_db_local()) {
		unsigned long long free_kb = ULLONG_MAX;

		local_disk_full(&free_kb);
		pb_buf_addf(err, " (the file system of the local cluster's data folder '%s/pg/data' is full",
			    pb_db_var_dir());
		if (free_kb != ULLONG_MAX)
			pb_buf_addf(err, ", %llu kB free", free_kb);
		pb_buf_addstr(err, ": make room there, then run the program again)");
	}
	/* read_only_sql_transaction: no write will pass until the programs are pointed at another server. */
	if (state && strcmp(state, "25006") == 0) {
		pb_buf_addstr(err, " (database ");
		pb_db_dbname_shown(err, PQdb(conn));
		pb_buf_addf(err,
			    " at %s is read-only: default_transaction_read_only is on for its role or database, or its "
			    "server is a standby; run against one that takes writes)",
			    PQhost(conn));
	}
}

static void set_result_error(struct pb_buf *err, PGconn *conn, PGresult *res)
{
	pb_db_result_message(err, "database", conn, res);
}

/* Asks the server to cancel what conn's session runs (a failed request changes nothing: the statement goes on). */
static void cancel_statement(PGconn *conn)
{
	char why[256];
	PGcancel *c = PQgetCancel(conn);

	if (c) {
		PQcancel(c, why, sizeof(why));
		PQfreeCancel(c);
	}
}

/*
 * How long a statement that says what it waits for (exec_params) waits before it looks for a lock it waits for,
 * to say which and who holds it; it looks again at twice the interval (up to half a minute) until it has said so.
 */
#define TELL_MS 2000
#define TELL_MAX_MS 30000

/*
 * SQL: the lock server process $1 waits for ($2: the migrations' advisory lock key), and who is in the way (holds
 * it, or waits for it ahead of $1): "server process 123 (psql, in a transaction since ...)", "a prepared
 * transaction". No row when it waits for no lock.
 */
/*
 * SQL: the session of server process pid (an SQL expression), a its row of pg_stat_activity (an alias): "server
 * process 123 (psql, in a transaction since 2026-11-30 09:00:00 UTC)".
 */
#define SESSION_SHOWN(pid, a)                                                                                   \
	"'server process ' || " pid " || coalesce(' (' || nullif(concat_ws(', ', coalesce(nullif(" a            \
	".application_name, ''), " a ".backend_type), CASE WHEN " a ".xact_start IS NOT NULL THEN 'in a "       \
	"transaction since ' || to_char(" a ".xact_start, 'YYYY-MM-DD HH24:MI:SS TZ') ELSE 'connected since ' " \
	"|| to_char(" a ".backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') END), '') || ')', '')"

#define LOCK_WAIT_IS_MIGRATIONS PB_DB_ADVISORY_LOCK_IS("w", "$2::bigint")
#define LOCK_WAIT_SQL                                                                                                \
	"SELECT CASE WHEN w.locktype = 'relation' THEN format('%s on %s', w.mode, coalesce((SELECT "                 \
	"format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "       \
	"WHERE c.oid = w.relation), 'relation ' || w.relation)) "                                                    \
	"WHEN " LOCK_WAIT_IS_MIGRATIONS " THEN 'the migrations'' lock (another pb-db migrate runs)' "                \
	"WHEN w.locktype IN ('transactionid', 'tuple') THEN 'a row another transaction changed or locked' "          \
	"ELSE format('%s on a lock of type %s', w.mode, w.locktype) END, "                                           \
	"(SELECT string_agg(CASE WHEN b = 0 THEN 'a prepared transaction' ELSE " SESSION_SHOWN(                      \
		"b", "a") " END, ', ' ORDER BY b) "                                                                  \
			  "FROM unnest(pg_blocking_pids($1::integer)) b LEFT JOIN pg_stat_activity a ON a.pid = b) " \
			  "FROM pg_locks w WHERE w.pid = $1::integer AND NOT w.granted LIMIT 1"

/*
 * Says on stderr which lock server process pid waits for, and who holds it, during: "waiting for
 * AccessExclusiveLock on pb.aggregate_rate (migration 024_x.sql): server process 123 (psql, in a transaction
 * since ...)"; "" during: nothing in parentheses. Looks through a connection of its own (pid's is busy waiting).
 * Returns 1 when it said so, 0 when pid waits for no lock or the look failed (nothing said).
 */
static int say_lock_wait(int pid, const char *during)
{
	struct pb_buf ignore = PB_BUF_INIT;
	PGconn *look = pb_db_connect_within("pb-db", 5, &ignore);
	char spid[16], key[32];
	const char *p[2] = {spid, key};
	PGresult *res = NULL;
	int told = 0;

	snprintf(spid, sizeof(spid), "%d", pid);
	snprintf(key, sizeof(key), "%d", MIGRATE_LOCK_KEY);
	if (look)
		res = pb_db_query(look, LOCK_WAIT_SQL, 2, p, &ignore);
	if (res && PQntuples(res) == 1) {
		pb_log(PB_LOG_INFO, NULL, "waiting for %s%s%s%s%s%s", PQgetvalue(res, 0, 0), *during ? " (" : "",
		       during, *during ? ")" : "", PQgetisnull(res, 0, 1) ? "" : ": ", PQgetvalue(res, 0, 1));
		told = 1;
	}
	PQclear(res);
	PQfinish(look);
	pb_buf_release(&ignore);
	return told;
}

/*
 * PQexecParams (nparams < 0: PQexec, for a script of several statements), the last result or the first that
 * failed, except that a signal asking to stop (interrupt.h) that comes while the statement runs has the server
 * cancel it, so that a long statement does not hold the program past the signal. A statement sent after the
 * signal (a rollback, the failure recorded) runs to its end, as does one that ends before the cancel is taken:
 * *cancelled only says that the cancel was asked for. With during (migrate's statements), a statement without an
 * answer after a few seconds says which lock it waits for and who holds it (say_lock_wait, naming during), once,
 * and waits on.
 */
static PGresult *exec_params(PGconn *conn, const char *sql, int nparams, const char *const *params, const char *during,
			     int *cancelled)
{
	int watch = pb_interrupt_installed() && !pb_interrupted(), told = !during;
	long every = TELL_MS;
	uint64_t next = pb_now_ms() + (uint64_t)every;
	PGresult *res, *last = NULL;
	ExecStatusType st;

	*cancelled = 0;
	if (!watch && told)
		return nparams < 0 ? PQexec(conn, sql) : PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	/* Results of an earlier statement left unread are dropped, as PQexecParams drops them. */
	while ((res = PQgetResult(conn))) {
		st = PQresultStatus(res);
		PQclear(res);
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
			break; /* a COPY under way: the send below refuses */
	}
	if (!(nparams < 0 ? PQsendQuery(conn, sql)
			  : PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0)))
		return NULL;
	for (;;) {
		while (PQisBusy(conn)) {
			struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};

			if (watch && pb_interrupted()) {
				cancel_statement(conn);
				*cancelled = 1;
				watch = 0;
			}
			if (!told && pb_now_ms() >= next) {
				told = say_lock_wait(PQbackendPID(conn), during);
				if (every < TELL_MAX_MS)
					every *= 2;
				next = pb_now_ms() + (uint64_t)every;
			}
			/* The signal wakes poll up in the thread it lands on; the others look every 100 ms. */
			if ((poll(&pfd, 1, watch || !told ? 100 : -1) < 0 && errno != EINTR) || !PQconsumeInput(conn))
				break; /* PQgetResult reports it */
		}
		res = PQgetResult(conn);
		if (!res)
			break;
		st = PQresultStatus(res);
		if (last && PQresultStatus(last) == PGRES_FATAL_ERROR) {
			PQclear(res);
		} else {
			PQclear(last);
			last = res;
		}
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH ||
		    PQstatus(conn) == CONNECTION_BAD)
			break;
	}
	return last;
}

/* err = the server's message for res, or the signal's reason when the statement failed for a cancel asked for. */
static void statement_error(struct pb_buf *err, const char *what, PGconn *conn, const PGresult *res, int cancelled)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (cancelled && state && strcmp(state, "57014") == 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_interrupt_reason());
		return;
	}
	pb_db_result_message(err, what, conn, res);
}

int pb_db_copy_out(PGconn *conn, const char *sql, const char *what, void (*row)(void *arg, char *data, size_t len),
		   void *arg, struct pb_buf *err)
{
	int cancelled, watch, n, ok;
	PGresult *res = exec_params(conn, sql, 0, NULL, NULL, &cancelled);
	char *data;

	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		statement_error(err, what, conn, res, cancelled);
		PQclear(res);
		while ((res = PQgetResult(conn)))
			PQclear(res);
		return -1;
	}
	PQclear(res);
	/* The rows come as the statement runs: a signal meanwhile cancels it too. */
	watch = pb_interrupt_installed() && !pb_interrupted() && !cancelled;
	for (;;) {
		n = PQgetCopyData(conn, &data, watch);
		if (n > 0) {
			row(arg, data, (size_t)n);
			PQfreemem(data);
			continue;
		}
		if (n < 0)
			break;
		if (pb_interrupted()) {
			cancel_statement(conn);
			cancelled = 1;
			watch = 0; /* the rows up to the cancel, then its error */
			continue;
		}
		{
			struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};

			if ((poll(&pfd, 1, 100) < 0 && errno != EINTR) || !PQconsumeInput(conn)) {
				n = -2;
				break;
			}
		}
	}
	if (n == -2) {
		pb_db_result_message(err, what, conn, NULL);
		while ((res = PQgetResult(conn)))
			PQclear(res);
		return -1;
	}
	res = PQgetResult(conn);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		statement_error(err, what, conn, res, cancelled);
	PQclear(res);
	while ((res = PQgetResult(conn)))
		PQclear(res);
	return ok ? 0 : -1;
}

/*
 * pb_db_query, with during as for exec_params: migrate's statements say what they wait for, naming what migrate
 * does (during; NULL: nothing said, for the programs' check of the schema, which shares some of them).
 */
static PGresult *query_during(PGconn *conn, const char *sql, int nparams, const char *const *params, const char *during,
			      struct pb_buf *err)
{
	int cancelled;
	PGresult *res = exec_params(conn, sql, nparams, params, during, &cancelled);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	statement_error(err, "database", conn, res, cancelled);
	PQclear(res);
	return NULL;
}

/* pb_db_exec for migrate's statements without parameters, as query_during. */
static int exec_during(PGconn *conn, const char *sql, const char *during, struct pb_buf *err)
{
	PGresult *res = query_during(conn, sql, 0, NULL, during, err);
	int ok = res != NULL;

	PQclear(res);
	return ok ? 0 : -1;
}

PGresult *pb_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params, struct pb_buf *err)
{
	return query_during(conn, sql, nparams, params, NULL, err);
}

void pb_db_text_array(struct pb_buf *b, const char *const *items, size_t n)
{
	size_t i;
	const char *s;

	pb_buf_addch(b, '{');
	for (i = 0; i < n; i++) {
		pb_buf_addstr(b, i ? ",\"" : "\"");
		for (s = items[i]; *s; s++) {
			if (*s == '"' || *s == '\\')
				pb_buf_addch(b, '\\');
			pb_buf_addch(b, *s);
		}
		pb_buf_addch(b, '"');
	}
	pb_buf_addch(b, '}');
}

int pb_db_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, struct pb_buf *err)
{
	PGresult *res = pb_db_query(conn, sql, nparams, params, err);

	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

/*
 * One attempt's lock_timeout: the server's deadlock_timeout and half a second (1.5 s by default), so that an
 * autovacuum in the way is cancelled, as the server does for a lock waited on for deadlock_timeout; at most
 * the largest lock_timeout there is.
 */
#define SLICE                                                         \
	"SELECT set_config('lock_timeout', least(extract(epoch FROM " \
	"current_setting('deadlock_timeout')::interval) * 1000 + 500, 2147483647)::bigint || 'ms', true)"

/* How many deadlocks in a row an attempt gives way to before it fails with the server's message. */
#define DEADLOCKS_IN_A_ROW 3

/* Sleeps ms milliseconds, in slices, ending early when a signal asks to stop. */
static void pause_unless_interrupted(long ms)
{
	struct timespec slice = {0, 50L * 1000000};

	for (; ms > 0 && !pb_interrupted(); ms -= 50)
		nanosleep(&slice, NULL);
}

/* Runs sql (no parameters; it may hold several statements): 0, or -1 with the server's message. */
static int exec_simple(PGconn *conn, const char *sql, struct pb_buf *err)
{
	PGresult *res = PQexec(conn, sql);
	int ok = res && (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK);

	if (!ok)
		set_result_error(err, conn, res);
	PQclear(res);
	return ok ? 0 : -1;
}

int pb_db_exec_yielding(PGconn *conn, const char *sql, int nparams, const char *const *params,
			void (*waiting)(PGconn *conn, void *ctx), void *ctx, struct pb_buf *err)
{
	int own = PQtransactionStatus(conn) == PQTRANS_IDLE, told = 0, give_way, deadlocks = 0, cancelled;
	const char *state;
	long pause_ms = 50;
	char before[64] = "";
	PGresult *res;

	if (!own) {
		/* The caller's lock_timeout, given back for the rest of its transaction. */
		if (!(res = pb_db_query(conn, "SELECT current_setting('lock_timeout')", 0, NULL, err)))
			return -1;
		snprintf(before, sizeof(before), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	for (;;) {
		if (pb_interrupt_check(err) < 0)
			return -1;
		if (exec_simple(conn, own ? "BEGIN; " SLICE : "SAVEPOINT pb_yield; " SLICE, err) < 0) {
			if (own)
				PQclear(PQexec(conn, "ROLLBACK"));
			return -1;
		}
		res = exec_params(conn, sql, nparams, params, NULL, &cancelled);
		if (res && (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK)) {
			PQclear(res);
			if (own)
				return exec_simple(conn, "COMMIT", err);
			if (exec_simple(conn, "RELEASE SAVEPOINT pb_yield", err) < 0)
				return -1;
			return pb_db_exec(conn, "SELECT set_config('lock_timeout', $1, true)", 1,
					  (const char *const[]){before}, err);
		}
		state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		/*
		 * A lock timeout gives way; so does a deadlock, a few times in a row: rolling back to the savepoint
		 * frees the attempt's own locks, but one the other side waits for that was taken before the attempt
		 * would make the same deadlock at every attempt, for ever.
		 */
		if (state && strcmp(state, "55P03") == 0)
			deadlocks = 0;
		give_way = state && (strcmp(state, "55P03") == 0 ||
				     (strcmp(state, "40P01") == 0 && ++deadlocks <= DEADLOCKS_IN_A_ROW));
		statement_error(err, "database", conn, res, cancelled);
		PQclear(res);
		if (!give_way) {
			if (own)
				PQclear(PQexec(conn, "ROLLBACK"));
			return -1;
		}
		/* Gave way: the sessions queued behind this one's lock go on while it pauses. */
		if (exec_simple(conn, own ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT pb_yield; RELEASE SAVEPOINT pb_yield",
				err) < 0)
			return -1;
		if (!told && waiting)
			waiting(conn, ctx);
		told = 1;
		pause_unless_interrupted(pause_ms);
		if (pause_ms < 1000)
			pause_ms *= 2;
	}
}

/*
 * The tables of the COPYs under way, by connection, so that a failure names the table it was filling: set by
 * pb_db_copy_start, dropped by pb_db_copy_end. A COPY beyond the slots is named "a table".
 */
#define COPY_SLOTS 16
static struct {
	PGconn *conn;
	char table[128];
} copies[COPY_SLOTS];
static pthread_mutex_t copies_lock = PTHREAD_MUTEX_INITIALIZER;

/* Records (table non-NULL) or drops (NULL) the table conn's COPY fills. */
static void copy_table_set(PGconn *conn, const char *table, size_t len)
{
	size_t i, free_slot = COPY_SLOTS;

	pthread_mutex_lock(&copies_lock);
	for (i = 0; i < COPY_SLOTS; i++) {
		if (copies[i].conn == conn)
			copies[i].conn = NULL;
		if (!copies[i].conn && free_slot == COPY_SLOTS)
			free_slot = i;
	}
	if (table && free_slot < COPY_SLOTS && len < sizeof(copies[0].table)) {
		copies[free_slot].conn = conn;
		memcpy(copies[free_slot].table, table, len);
		copies[free_slot].table[len] = '\0';
	}
	pthread_mutex_unlock(&copies_lock);
}

/* Sets what to "database: COPY into TABLE failed", the table conn's COPY fills ("database: COPY failed"). */
static void copy_what(PGconn *conn, char *what, size_t size)
{
	size_t i;

	snprintf(what, size, "database: COPY failed");
	pthread_mutex_lock(&copies_lock);
	for (i = 0; i < COPY_SLOTS; i++)
		if (copies[i].conn == conn) {
			snprintf(what, size, "database: COPY into %s failed", copies[i].table);
			break;
		}
	pthread_mutex_unlock(&copies_lock);
}

/* "database: COPY into TABLE failed: " and msg, as pb_db_message puts it. */
static void copy_failed(struct pb_buf *err, PGconn *conn, const char *msg)
{
	char what[192];

	copy_what(conn, what, sizeof(what));
	pb_db_message(err, what, msg);
}

int pb_db_copy_send(PGconn *conn, struct pb_buf *rows, struct pb_buf *err)
{
	/* A failed append left rows empty: what it held is lost, not to be sent as if whole. */
	if (rows->failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	if (rows->len && PQputCopyData(conn, rows->ptr, (int)rows->len) != 1) {
		copy_failed(err, conn, PQerrorMessage(conn));
		return -1;
	}
	pb_buf_reset(rows);
	return 0;
}

/* A failed COPY is ended as failed, so that no result loops. */
int pb_db_copy_end(PGconn *conn, int ok, uint64_t *count, struct pb_buf *err)
{
	PGresult *res;
	int ret = ok ? 0 : -1;

	if (PQputCopyEnd(conn, ok ? NULL : "the copy stopped") != 1 && ok) {
		copy_failed(err, conn, PQerrorMessage(conn));
		ret = -1;
	}
	/* Every result is read, so that the connection is usable; a COPY still open ends the loop. */
	while ((res = PQgetResult(conn))) {
		ExecStatusType st = PQresultStatus(res);

		if (st != PGRES_COMMAND_OK && ret == 0) {
			char what[192];

			copy_what(conn, what, sizeof(what));
			pb_db_result_message(err, what, conn, res);
			ret = -1;
		} else if (st == PGRES_COMMAND_OK && ret == 0 && count) {
			*count = strtoull(PQcmdTuples(res), NULL, 10);
		}
		PQclear(res);
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
			break;
	}
	copy_table_set(conn, NULL, 0);
	return ret;
}

int pb_db_copy_start(PGconn *conn, const char *sql, struct pb_buf *err)
{
	int cancelled;
	/* A COPY may wait for a lock on its table: a signal meanwhile cancels it, as any statement. */
	PGresult *res = exec_params(conn, sql, 0, NULL, NULL, &cancelled);
	/* The table: what follows "COPY " up to a blank or '(' outside a quoted name (pb."import_rows_12"). */
	const char *table = sql + (strncasecmp(sql, "COPY ", 5) == 0 ? 5 : strlen(sql));
	size_t n = 0;
	int quoted = 0;

	while (table[n] && (quoted || (table[n] != ' ' && table[n] != '('))) {
		if (table[n] == '"')
			quoted = !quoted;
		n++;
	}

	if (PQresultStatus(res) != PGRES_COPY_IN) {
		statement_error(err, "database: cannot start COPY", conn, res, cancelled);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	copy_table_set(conn, n ? table : NULL, n);
	return 0;
}

int pb_db_copy_file(PGconn *conn, const char *sql, FILE *f, struct pb_buf *err)
{
	char buf[1 << 16];
	size_t n;
	int ok = 1;

	if (pb_db_copy_start(conn, sql, err) < 0)
		return -1;
	rewind(f);
	while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (PQputCopyData(conn, buf, (int)n) != 1) {
			copy_failed(err, conn, PQerrorMessage(conn));
			ok = 0;
		}
	}
	if (ok && ferror(f)) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "cannot read back the rows to copy");
		ok = 0;
	}
	return pb_db_copy_end(conn, ok, NULL, err);
}

int pb_db_schema_version(PGconn *conn, unsigned *version, struct pb_buf *err)
{
	PGresult *res;

	*version = 0;
	res = pb_db_query(conn, "SELECT to_regclass('pb.schema_migrations') IS NOT NULL", 0, NULL, err);
	if (!res)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		return 0;
	}
	PQclear(res);
	res = pb_db_query(conn, "SELECT coalesce(max(version), 0) FROM pb.schema_migrations", 0, NULL, err);
	if (!res)
		return -1;
	*version = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/*
 * Sets *yes to whether migration version is recorded as applied. during: migrate's (see query_during), NULL for
 * the programs' check. Returns 0 or -1.
 */
static int applied(PGconn *conn, unsigned version, const char *during, int *yes, struct pb_buf *err)
{
	char ver[32];
	const char *p[1] = {ver};
	PGresult *res;

	snprintf(ver, sizeof(ver), "%u", version);
	res = query_during(conn, "SELECT count(*) FROM pb.schema_migrations WHERE version = $1::integer", 1, p, during,
			   err);
	if (!res)
		return -1;
	*yes = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	PQclear(res);
	return 0;
}

/* The migrations these programs carry, as an integer[] literal: {1,2,...}. */
static void carried_versions(struct pb_buf *versions)
{
	unsigned i;

	pb_buf_addch(versions, '{');
	for (i = 0; i < pb_nmigrations; i++)
		pb_buf_addf(versions, "%s%u", i ? "," : "", pb_migrations[i].version);
	pb_buf_addch(versions, '}');
}

/*
 * How many of the migrations these programs carry are recorded as applied, and the names of those recorded
 * that they do not carry ("099_name.sql, ...", or empty), in one query. during as for applied.
 */
static int count_applied(PGconn *conn, const char *during, unsigned *n, struct pb_buf *unknown, struct pb_buf *err)
{
	struct pb_buf versions = PB_BUF_INIT;
	const char *p[1];
	PGresult *res;

	carried_versions(&versions);
	p[0] = pb_buf_str(&versions);
	res = query_during(
		conn,
		"SELECT count(*) FILTER (WHERE version = ANY($1::integer[])), coalesce(string_agg(name, ', ' "
		"ORDER BY version) FILTER (WHERE version <> ALL($1::integer[])), '') FROM pb.schema_migrations",
		1, p, during, err);
	pb_buf_release(&versions);
	if (!res)
		return -1;
	*n = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	pb_buf_reset(unknown);
	pb_buf_addstr(unknown, PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

/* Says that the database holds migrations (names) that these programs do not carry, and what to do. */
static void newer_schema(struct pb_buf *err, const char *who, const char *names)
{
	pb_buf_reset(err);
	pb_buf_addf(err,
		    "the database schema has %s %s, which %s not carry: a newer partnerbill (or another branch) "
		    "migrated it; run the programs that did",
		    strchr(names, ',') ? "migrations" : "migration", names, who);
}

/* pb_db_link_rule, during as for applied. */
static int link_rule(PGconn *conn, const char *during, int *yes, struct pb_buf *err)
{
	PGresult *res = query_during(conn,
				     "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = "
				     "'pb.partner_account'::regclass AND conname = 'partner_account_no_overlap')",
				     0, NULL, during, err);

	if (!res)
		return -1;
	*yes = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

int pb_db_link_rule(PGconn *conn, int *yes, struct pb_buf *err)
{
	return link_rule(conn, NULL, yes, err);
}

/* What migrate says it does when a statement reading pb.schema_migrations (or making it) waits for a lock. */
#define READING_APPLIED "reading the migrations applied"

/* What migrate says it does when a statement restoring the rule against overlapping links waits for a lock. */
#define RESTORING_RULE "restoring the rule against overlapping links"

/*
 * Puts the rule against overlapping links back where it was dropped (pb_db_link_rule), with the extension,
 * and says where the extension lives when that is not pb (dropped there, it takes the rule with it again).
 */
static int restore_overlap_rule(PGconn *conn, struct pb_buf *log, struct pb_buf *err)
{
	PGresult *res;
	int yes;

	if (link_rule(conn, RESTORING_RULE, &yes, err) < 0)
		return -1;
	if (yes)
		goto where;
	if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0)
		return -1;
	if (exec_during(conn, "CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA pb", RESTORING_RULE, err) < 0 ||
	    exec_during(conn,
			"ALTER TABLE pb.partner_account ADD CONSTRAINT partner_account_no_overlap EXCLUDE USING gist "
			"(vendor WITH =, partner_account_id WITH =, validity WITH &&)",
			RESTORING_RULE, err) < 0 ||
	    exec_during(conn, "COMMIT", RESTORING_RULE, err) < 0) {
		struct pb_buf why = PB_BUF_INIT;

		pb_buf_addstr(&why, pb_buf_str(err));
		pb_buf_reset(err);
		pb_buf_addf(
			err, "cannot restore partner_account_no_overlap, the rule against overlapping links: %s%s",
			pb_buf_str(&why),
			strstr(pb_buf_str(&why), "conflicts with")
				? " (links overlap: end one with 'pb-accounts unlink', then run 'pb-db migrate' again)"
				: "");
		pb_buf_release(&why);
		PQclear(PQexec(conn, "ROLLBACK"));
		return -1;
	}
	if (log)
		pb_buf_addstr(log, "restored partner_account_no_overlap, the rule against overlapping links\n");
where:
	res = query_during(conn,
			   "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
			   "WHERE e.extname = 'btree_gist' AND n.nspname <> 'pb'",
			   0, NULL, RESTORING_RULE, err);
	if (!res)
		return -1;
	if (PQntuples(res) == 1 && log)
		pb_buf_addf(log,
			    "note: the btree_gist extension is in schema %s, not pb: dropped there with CASCADE, it "
			    "takes the rule against overlapping links with it (pb-aggregate then refuses to run "
			    "until pb-db migrate restores it)\n",
			    PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int pb_db_today(PGconn *conn, int32_t *day, struct pb_buf *err)
{
	PGresult *res;
	int ret = 0;

	if (pb_test_today(day))
		return 0;
	res = pb_db_query(conn, "SELECT (now() AT TIME ZONE 'UTC')::date::text", 0, NULL, err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1 || pb_date_parse_day(PQgetvalue(res, 0, 0), day) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "the database server's date '%s' is not a date YYYY-MM-DD",
			    PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
		ret = -1;
	}
	PQclear(res);
	return ret;
}

/*
 * SQL: the session other than this one that holds the migrations' lock ($1), else one that waits for it, with
 * "holds" or "waits for": what pb_db_refuse_migrating names. No row when no migration is under way.
 */
#define MIGRATING_WHO SESSION_SHOWN("l.pid", "a")
#define MIGRATING_LOCK PB_DB_ADVISORY_LOCK_IS("l", "$1::bigint")
#define MIGRATING_SQL                                                                                      \
	"SELECT " MIGRATING_WHO ", CASE WHEN l.granted THEN 'holds' ELSE 'waits for' END FROM pg_locks l " \
	"LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE " MIGRATING_LOCK " AND l.pid <> "             \
	"pg_backend_pid() ORDER BY l.granted DESC, l.pid LIMIT 1"

/*
 * A program started while a migration is under way queued behind the locks of migrate without a word, for as long
 * as migrate waited, and the schema it checked could change under it when migrate committed.
 */
int pb_db_refuse_migrating(PGconn *conn, struct pb_buf *err)
{
	char key[32];
	const char *p[1] = {key};
	PGresult *res;

	snprintf(key, sizeof(key), "%d", MIGRATE_LOCK_KEY);
	res = pb_db_query(conn, MIGRATING_SQL, 1, p, err);
	if (!res)
		return -1;
	if (PQntuples(res) == 1) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "a migration of the database is under way: %s %s the migrations' lock; run the program "
			    "again once 'pb-db migrate' has ended",
			    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

int pb_db_check_schema(PGconn *conn, struct pb_buf *err)
{
	unsigned have, need = pb_nmigrations ? pb_migrations[pb_nmigrations - 1].version : 0, i, n;
	struct pb_buf unknown = PB_BUF_INIT;
	int yes;

	if (pb_db_refuse_migrating(conn, err) < 0 || pb_db_schema_version(conn, &have, err) < 0)
		return -1;
	if (have < need) {
		pb_buf_reset(err);
		pb_buf_addf(err, "the database schema is at version %u; this program needs %u: run 'pb-db migrate'",
			    have, need);
		return -1;
	}
	/* Migrations are numbered as work starts, so one may land after a higher number was applied. */
	if (count_applied(conn, NULL, &n, &unknown, err) < 0) {
		pb_buf_release(&unknown);
		return -1;
	}
	/* A newer pb-db's migrations: what this program writes and reads may no longer be what they mean. */
	if (unknown.len) {
		newer_schema(err, "this program does", pb_buf_str(&unknown));
		pb_buf_release(&unknown);
		return -1;
	}
	pb_buf_release(&unknown);
	for (i = 0; n < pb_nmigrations && i < pb_nmigrations; i++) {
		if (applied(conn, pb_migrations[i].version, NULL, &yes, err) < 0)
			return -1;
		if (!yes) {
			pb_buf_reset(err);
			pb_buf_addf(err, "the database schema lacks migration %s: run 'pb-db migrate'",
				    pb_migrations[i].name);
			return -1;
		}
	}
	return 0;
}

/* The migration these programs carry with number version; NULL when they carry none. */
static const struct pb_migration *carried(unsigned long version)
{
	unsigned i;

	for (i = 0; i < pb_nmigrations; i++)
		if (pb_migrations[i].version == version)
			return &pb_migrations[i];
	return NULL;
}

/*
 * Checks the text of each applied migration against the one these programs carry, by the SHA-256 recorded as
 * it was applied: a file changed after it was applied is never applied again, so the database would silently
 * lack the change. A migration applied before SHA-256s were kept (or whose SHA-256 was set to NULL, to accept
 * the text as it is) gets the carried one recorded. 0, or -1 with a message naming the changed migration.
 */
static int check_applied_text(PGconn *conn, struct pb_buf *err)
{
	PGresult *res;
	int i, missing, ret = -1;

	res = query_during(conn,
			   "SELECT count(*) FROM pg_attribute WHERE attrelid = 'pb.schema_migrations'::regclass AND "
			   "attname = 'sha256' AND NOT attisdropped",
			   0, NULL, READING_APPLIED, err);
	if (!res)
		return -1;
	missing = strcmp(PQgetvalue(res, 0, 0), "0") == 0;
	PQclear(res);
	/* Only when missing: the ALTER locks the table that every program's schema check reads. */
	if (missing && exec_during(conn, "ALTER TABLE pb.schema_migrations ADD COLUMN IF NOT EXISTS sha256 text",
				   "adding the column of the migrations' SHA-256s", err) < 0)
		return -1;
	res = query_during(conn, "SELECT version, sha256 FROM pb.schema_migrations ORDER BY version", 0, NULL,
			   READING_APPLIED, err);
	if (!res)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		const struct pb_migration *m = carried(strtoul(PQgetvalue(res, i, 0), NULL, 10));
		char hex[65];
		const char *p[2] = {PQgetvalue(res, i, 0), hex};

		if (!m)
			continue;
		if (pb_sha256_hex(m->sql, strlen(m->sql), hex) < 0) {
			pb_buf_reset(err);
			pb_buf_addf(err, "cannot compute the SHA-256 of migration %s", m->name);
			goto out;
		}
		if (PQgetisnull(res, i, 1)) {
			PGresult *set = query_during(
				conn, "UPDATE pb.schema_migrations SET sha256 = $2 WHERE version = $1::integer", 2, p,
				"recording the migrations' SHA-256s", err);

			if (!set)
				goto out;
			PQclear(set);
		} else if (strcmp(PQgetvalue(res, i, 1), hex) != 0) {
			pb_buf_reset(err);
			pb_buf_addf(
				err,
				"migration %s was changed after it was applied: the database records SHA-256 %s, the "
				"programs carry %s (restore the file as it was applied and make the change a new "
				"migration; to accept it as it is, set that row's sha256 in pb.schema_migrations to "
				"NULL)",
				m->name, PQgetvalue(res, i, 1), hex);
			goto out;
		}
	}
	ret = 0;
out:
	PQclear(res);
	return ret;
}

/*
 * Refuses a database that holds migrations this pb-db does not carry: a newer one's, whose programs alone know
 * what its schema means. Migrate said "schema at version N" and exit 0, and the old programs ran on it.
 */
static int refuse_newer(PGconn *conn, struct pb_buf *err)
{
	struct pb_buf unknown = PB_BUF_INIT;
	unsigned n;
	int ret = count_applied(conn, READING_APPLIED, &n, &unknown, err);

	if (ret == 0 && unknown.len) {
		newer_schema(err, "this pb-db does", pb_buf_str(&unknown));
		pb_buf_addstr(err, " (nothing applied)");
		ret = -1;
	}
	pb_buf_release(&unknown);
	return ret;
}

/* Writes what log holds to out, at once (a migrate killed later leaves it on screen), and empties log. */
static void say_now(FILE *out, struct pb_buf *log)
{
	if (out && log->len) {
		fputs(pb_buf_str(log), out);
		fflush(out);
	}
	pb_buf_reset(log);
}

int pb_db_migrate(PGconn *conn, FILE *out, struct pb_buf *err)
{
	struct pb_buf log = PB_BUF_INIT;
	char key[32], ver[32];
	const char *current = NULL;
	unsigned i;
	int ret = -1, locked = 0;

	snprintf(key, sizeof(key), "%d", MIGRATE_LOCK_KEY);
	{
		const char *p[1] = {key};

		/* "" during: the lock says what it is ("the migrations' lock (another pb-db migrate runs)"). */
		PGresult *res = query_during(conn, "SELECT pg_advisory_lock($1::bigint)", 1, p, "", err);

		if (!res)
			goto out;
		PQclear(res);
	}
	locked = 1;
	/* A schema pb with objects but no record of migrations is another application's: not adopted. */
	{
		PGresult *res = query_during(
			conn,
			"SELECT current_database(), to_regclass('pb.schema_migrations') IS NULL AND "
			"(EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
			"n.nspname = 'pb') OR EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = "
			"p.pronamespace WHERE n.nspname = 'pb'))",
			0, NULL, READING_APPLIED, err);

		if (!res)
			goto out;
		if (strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
			pb_buf_reset(err);
			pb_buf_addf(err,
				    "database %s has a schema pb that partnerbill's migrations did not make (it holds "
				    "objects but no pb.schema_migrations): migrate into a database of its own",
				    PQgetvalue(res, 0, 0));
			PQclear(res);
			goto out;
		}
		PQclear(res);
	}
	/*
	 * The migrations name their own objects pb.*; an extension goes to the first schema of the search_path,
	 * whatever the role's or database's is (none, pg_temp, another application's schema): pb, always.
	 */
	if (exec_during(conn, "CREATE SCHEMA IF NOT EXISTS pb", READING_APPLIED, err) < 0 ||
	    pb_db_exec(conn, "SET search_path = pb", 0, NULL, err) < 0 ||
	    exec_during(conn,
			"CREATE TABLE IF NOT EXISTS pb.schema_migrations (version integer PRIMARY KEY, name text NOT "
			"NULL, applied_at timestamptz NOT NULL DEFAULT now())",
			READING_APPLIED, err) < 0 ||
	    refuse_newer(conn, err) < 0 || check_applied_text(conn, err) < 0)
		goto out;
	for (i = 0; i < pb_nmigrations; i++) {
		const struct pb_migration *m = &pb_migrations[i];
		char hex[65];
		const char *p[3] = {ver, m->name, hex};
		PGresult *res;
		int done, cancelled;
		char during[160];

		/* Each one missing, not only those above the highest applied: numbers may land out of order. */
		if (applied(conn, m->version, READING_APPLIED, &done, err) < 0)
			goto out;
		if (done)
			continue;
		snprintf(ver, sizeof(ver), "%u", m->version);
		if (pb_sha256_hex(m->sql, strlen(m->sql), hex) < 0) {
			pb_buf_reset(err);
			pb_buf_addf(err, "cannot compute the SHA-256 of migration %s", m->name);
			goto out;
		}
		current = m->name;
		if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0)
			goto out;
		/* A script of several statements goes through the simple protocol. */
		snprintf(during, sizeof(during), "migration %s", m->name);
		res = exec_params(conn, m->sql, -1, NULL, during, &cancelled);
		if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
			struct pb_buf why = PB_BUF_INIT;

			statement_error(&why, "database", conn, res, cancelled);
			PQclear(res);
			pb_buf_reset(err);
			pb_buf_addf(err, "migration %s failed: %s", m->name, pb_buf_str(&why));
			pb_buf_release(&why);
			PQclear(PQexec(conn, "ROLLBACK"));
			goto out;
		}
		PQclear(res);
		/* The record waits behind a lock on pb.schema_migrations as the migration may behind its own. */
		res = exec_params(
			conn, "INSERT INTO pb.schema_migrations (version, name, sha256) VALUES ($1::integer, $2, $3)",
			3, p, during, &cancelled);
		if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
			statement_error(err, "database", conn, res, cancelled);
		done = res && PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!done || exec_during(conn, "COMMIT", during, err) < 0) {
			PQclear(PQexec(conn, "ROLLBACK"));
			goto out;
		}
		current = NULL;
		pb_buf_addf(&log, "applied %s\n", m->name);
		say_now(out, &log);
	}
	if (restore_overlap_rule(conn, &log, err) < 0)
		goto out;
	ret = 0;
out:
	/*
	 * The server stopped or restarted (pb-db stop, a failover) or the session was ended: migrate said only
	 * "database: server closed the connection unexpectedly This probably means the server terminated
	 * abnormally...", naming neither the migration it was in nor what to do.
	 */
	if (ret < 0 && PQstatus(conn) != CONNECTION_OK) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "the connection to the database ended");
		if (current)
			pb_buf_addf(err,
				    " during migration %s, which is applied whole or not at all ('pb-db status' tells)",
				    current);
		pb_buf_addstr(err, ": run 'pb-db migrate' again once the database is back");
	}
	if (locked) {
		const char *p[1] = {key};
		struct pb_buf ignore = PB_BUF_INIT;

		pb_db_exec(conn, "SELECT pg_advisory_unlock($1::bigint)", 1, p, &ignore);
		pb_buf_release(&ignore);
	}
	say_now(out, &log);
	pb_buf_release(&log);
	return ret;
}

int pb_db_await(PGconn *conn, uint64_t deadline_ms)
{
	while (PQisBusy(conn)) {
		struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
		uint64_t now = pb_now_ms();

		if (now >= deadline_ms)
			return -1;
		if (poll(&pfd, 1, (int)(deadline_ms - now)) < 0 && errno != EINTR)
			return -1;
		if (!PQconsumeInput(conn))
			return 0;
	}
	return 0;
}
