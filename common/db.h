/* PostgreSQL through libpq: where the database is, connecting, checked queries, and migrations. */
#ifndef PB_DB_H
#define PB_DB_H

#include <stdint.h>

#include <libpq-fe.h>
#include <stdio.h>

#include "buf.h"

/*
 * The connection string: PB_DATABASE_URL when set (any libpq connection string or URI; the usual PG*
 * variables fill in what it leaves out); else "" (libpq's defaults) when PGHOST, PGHOSTADDR, PGDATABASE
 * or PGSERVICE is set; else the local cluster under pb_db_var_dir(). Returns 0, or -1 with a message.
 */
int pb_db_conninfo(struct pb_buf *out, struct pb_buf *err);

/*
 * Whether the programs use the local cluster: PB_DATABASE_URL is not set (or empty) and no PG* variable names a
 * server (PGHOST, PGHOSTADDR or PGSERVICE, set even if empty).
 */
int pb_db_local(void);

/* The runtime folder: PB_VAR_DIR when set, else "var" in the current folder. Not owned by the caller. */
const char *pb_db_var_dir(void);

/*
 * Refuses a connection string (conninfo, which NAME names in the message, as "PB_DATABASE_URL") that no retry
 * mends or whose messages would show a secret: one libpq cannot parse (its message quotes the piece it choked on,
 * which may be the password: each quoted part that is not a plain word is shown as "..."); a URI whose user
 * information holds an '@' or a '/' left as it is (libpq ends it there and takes the rest of the password for the
 * host, the port or the database, which its messages name); and a dbname, its own or else PGDATABASE's, that is
 * itself a connection string or URI, which libpq does not expand but sends as a database's name, and the server
 * names in its messages, password and all. Returns 0, or -1 with "WHAT: why...: correct it" in err (no "WHAT: "
 * when what is NULL), showing none of conninfo.
 */
int pb_db_conninfo_check(const char *conninfo, const char *what, const char *name, struct pb_buf *err);

/*
 * Appends the settings conninfo (a connection string or URI) holds as keyword=value pairs, each secret
 * (password, sslpassword, and a dbname that is itself a connection string) shown as ***: what a message may
 * show of it. "(not valid)" when libpq cannot parse it. The one way a message shows a connection string.
 */
void pb_db_conninfo_shown(struct pb_buf *out, const char *conninfo);

/* Appends a database's name (PQdb's) as a message may show it: *** when it is itself a connection string. */
void pb_db_dbname_shown(struct pb_buf *out, const char *dbname);

/*
 * Whether conninfo sets a secret that pb_db_conninfo_shown hides (a password, or a dbname that is itself a
 * connection string, which may hold one): a command line that holds it is to be written over.
 */
int pb_db_conninfo_secret(const char *conninfo);

/*
 * Connects with the settings above, naming the program in application_name. Returns a connection
 * (close with PQfinish), or NULL with "cannot connect to the database: ... (WHERE: what to check)" in err.
 */
PGconn *pb_db_connect(const char *application, struct pb_buf *err);

/*
 * pb_db_connect, giving up after timeout_s seconds (libpq's connect_timeout; 0: no limit) unless the
 * connection string or PGCONNECT_TIMEOUT sets a connect_timeout of its own.
 */
PGconn *pb_db_connect_within(const char *application, int timeout_s, struct pb_buf *err);

/*
 * Waits until conn's next result (of a query sent with PQsendQuery...) can be taken without blocking: 0, or -1
 * when deadline_ms (pb_now_ms's clock) passed first. A connection that broke meanwhile gives 0: its error is the
 * next result.
 */
int pb_db_await(PGconn *conn, uint64_t deadline_ms);

/*
 * Sets the session settings the programs' SQL assumes, whatever the server, database, role or PGOPTIONS
 * default to: dates and intervals printed in ISO form, times in UTC (texts that are parsed, compared and
 * written to invoices), UTF-8 texts, read committed, standard strings, no idle-session timeout. With batch
 * (pb_db_connect's programs), also no statement, lock or idle-in-transaction timeout, as pg_dump and pg_restore do (a
 * long COPY or a wait on a lock is bounded by the program: its lock waits, pb-run's step timeouts), synchronous
 * commits, and where the server can (PostgreSQL 14 and later, on a system with POLLRDHUP) a check for the client
 * every second while a statement runs, so that a killed program's statement ends with it. Refuses a database that is
 * not UTF8 (or SQL_ASCII, which keeps bytes as they are) and a session_replication_role other than origin (the triggers
 * would not run). 0, or -1 with the reason in err.
 */
int pb_db_session(PGconn *conn, int batch, struct pb_buf *err);

/*
 * pb_db_session, waiting for the server's answer until deadline_ms (pb_now_ms's clock; 0: for as long as it
 * takes) and, when give_up is given, until give_up(arg) says to stop waiting (asked a tenth of a second at a
 * time): -1 then, or -2 when it was give_up, with a message in err. A statement left without its answer is
 * still running: the caller closes the connection.
 */
int pb_db_session_until(PGconn *conn, int batch, uint64_t deadline_ms, int (*give_up)(void *), void *arg,
			struct pb_buf *err);

/* The batch programs' timeouts as startup options (pb_db_connect sends them after the user's). */
#define PB_DB_BATCH_OPTIONS "-c statement_timeout=0 -c lock_timeout=0 -c idle_in_transaction_session_timeout=0"

/*
 * Every program's startup option against a client_min_messages of DEBUG or LOG that a role or database sets:
 * the server's messages of the connection's startup come before any notice processor can be set, and libpq's
 * own prints them to standard error. WARNINGs still come.
 */
#define PB_DB_QUIET_OPTIONS "-c client_min_messages=warning"

/*
 * The startup packet's options into out: the user's (the connection string's, else PGOPTIONS), then ours
 * (such as PB_DB_BATCH_OPTIONS), which the server applies before the first statement (a SET could itself be
 * cancelled by a timeout of a millisecond) and over what a role or database sets. A later -c wins; an options
 * keyword replaces the string's and PGOPTIONS. Returns 0 (out untouched) when a service file's options would
 * be replaced unseen: then send none.
 */
int pb_db_startup_options(const char *conninfo, const char *ours, struct pb_buf *out);

/*
 * Runs sql with params ($1... as text; NULL is SQL NULL). Returns the result (PQclear it) when it
 * succeeded, else NULL with the server's message in err.
 */
/* err = "WHAT: MSG", a libpq message on one line: each line break, with the indent after it, one space. */
void pb_db_message(struct pb_buf *err, const char *what, const char *msg);

/*
 * The exclusion constraint that keeps a partner account's links from overlapping (003_accounts.sql) needs
 * btree_gist: dropping that extension with CASCADE (it may live in a schema another application owns)
 * drops the rule with it, silently, and pb-migrate restores it. *yes = whether it is there. 0, or -1 with
 * err set.
 */
int pb_db_link_rule(PGconn *conn, int *yes, struct pb_buf *err);

/* What to say when the rule is missing. */
#define PB_DB_LINK_RULE_MISSING                                                                                \
	"the database lacks pb.partner_account's rule against overlapping links (partner_account_no_overlap, " \
	"dropped with the btree_gist extension?): run 'pb-db migrate' to restore it"

/*
 * err = "WHAT: MSG" (pb_db_message) with the error of res (or of conn when res is NULL or says nothing); a
 * refusal for want of a privilege (SQLSTATE 42501) also names the role and the privileges partnerbill needs.
 */
void pb_db_result_message(struct pb_buf *err, const char *what, PGconn *conn, const PGresult *res);

PGresult *pb_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params, struct pb_buf *err);

/* pb_db_query for a command whose result is not needed: 0 or -1. */
int pb_db_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, struct pb_buf *err);

/*
 * Appends the n texts as a PostgreSQL array literal, for a text[] parameter: {"a","b"}, each element quoted,
 * its quotes and backslashes escaped.
 */
void pb_db_text_array(struct pb_buf *b, const char *const *items, size_t n);

/*
 * pb_db_exec for a statement that may wait for a lock other sessions hold (a table's readers, another
 * import), without holding up the sessions that come after it: PostgreSQL queues them behind the waiting
 * lock, so one long reader would stall every reader that follows. Each attempt waits for its locks at most
 * the server's deadlock_timeout and half a second (1.5 s by default: long enough for the server to cancel an
 * autovacuum in the way); then the attempt is undone (to a savepoint inside the caller's transaction, else
 * its own transaction is rolled back), the queue behind it goes on, and the statement is tried again after
 * a pause of 50 ms doubling up to 1 s, until it succeeds or fails otherwise. A deadlock the attempt is
 * chosen to end gives way the same, up to 3 times in a row (a lock taken before the attempt would make it
 * again at every attempt), then fails with the server's message. Before the first retry,
 * waiting(conn, ctx), when not NULL, may say on whom it waits (conn is usable). A signal (interrupt.h) ends
 * the waiting: -1 with "interrupted by SIGTERM" in err. Returns 0 or -1.
 */
int pb_db_exec_yielding(PGconn *conn, const char *sql, int nparams, const char *const *params,
			void (*waiting)(PGconn *conn, void *ctx), void *ctx, struct pb_buf *err);

/*
 * COPY sql (a "COPY ... FROM STDIN" in text format) with the bytes of f from its start, in chunks. Returns
 * 0, or -1 with the server's message in err; the connection is usable afterwards either way.
 */
int pb_db_copy_file(PGconn *conn, const char *sql, FILE *f, struct pb_buf *err);

/*
 * Runs sql, a "COPY (...) TO STDOUT", and hands each row it gives (its bytes, the line feed included) to row,
 * with arg. A signal asking to stop (interrupt.h) has the server cancel the statement, as pb_db_query does.
 * Returns 0, or -1 with "WHAT: the server's message" in err, or the signal's reason alone when it cancelled the
 * statement; the connection is usable afterwards either way.
 */
int pb_db_copy_out(PGconn *conn, const char *sql, const char *what, void (*row)(void *arg, char *data, size_t len),
		   void *arg, struct pb_buf *err);

/*
 * Starts sql (a "COPY TABLE ... FROM STDIN") on conn, which the messages of its failures below name. Returns 0,
 * or -1 with "database: cannot start COPY: why" on one line in err, or the signal's reason alone when a signal
 * (interrupt.h) had the server cancel it (waiting for a lock on the table, say).
 */
int pb_db_copy_start(PGconn *conn, const char *sql, struct pb_buf *err);

/*
 * Sends the bytes rows holds to the COPY under way on conn and empties rows. Returns 0, or -1 with
 * "database: COPY into TABLE failed: why" (libpq's message) on one line in err ("out of memory" when an append
 * to rows failed).
 */
int pb_db_copy_send(PGconn *conn, struct pb_buf *rows, struct pb_buf *err);

/*
 * Ends the COPY under way on conn, as failed unless ok, and collects its results, so that the connection is
 * usable afterwards. Returns 0 when ok and the server took the rows (their number in *count unless count is
 * NULL); else -1, with "database: COPY into TABLE failed: why" on one line in err when ok (err is left as it is when
 * not: the caller's reason to stop is the one to tell).
 */
int pb_db_copy_end(PGconn *conn, int ok, uint64_t *count, struct pb_buf *err);

/*
 * Today, UTC, as a day number (days since 1970-01-01), by the database server's clock: the one source of today for
 * the checks that guard stored data (pb-ingest --final and the final marks of AWS reports and Partner Center
 * invoices, pb-invoice --issue), the clock that also stamps what is stored (pb.import.started_at), whatever the clock
 * of the machine a program runs on says. In the development and test build, PB_TEST_TODAY (see pb_test_today) stands
 * for it. Returns 0, or -1 with err set.
 */
int pb_db_today(PGconn *conn, int32_t *day, struct pb_buf *err);

/* The schema version in the database (0 before any migration). Returns 0 or -1. */
int pb_db_schema_version(PGconn *conn, unsigned *version, struct pb_buf *err);

/*
 * Refuses a database older than the migrations these programs carry: returns 0, or -1 with
 * "the database schema is at version N; this program needs M: run 'pb-db migrate'" in err, or, when one
 * numbered below the newest applied one is missing, "the database schema lacks migration NNN_name.sql:
 * run 'pb-db migrate'"; and a database that holds migrations these programs do not carry (a newer pb-db
 * applied them), "the database schema has migration NNN_name.sql, which this program does not carry: ...".
 * First, while a migration is under way (another session holds the migrations' lock, or waits for it), it
 * refuses at once, rather than queue behind migrate: "a migration of the database is under way: server process
 * N (pb-db, in a transaction since ...) holds the migrations' lock; run the program again once 'pb-db migrate'
 * has ended".
 */
int pb_db_check_schema(PGconn *conn, struct pb_buf *err);

/*
 * Refuses to go on while a migration is under way (another session holds the migrations' lock, or waits for it),
 * as pb_db_check_schema does first, for a caller that reads the schema before checking it (pb-db status): "a
 * migration of the database is under way: ...". 0, or -1 with that message in err.
 */
int pb_db_refuse_migrating(PGconn *conn, struct pb_buf *err);

/*
 * Applies the missing migrations in order (every one not recorded as applied, below the newest applied
 * one too), each in its own transaction, under an advisory lock so that concurrent runs wait for each
 * other. Writes a line per applied migration to out (when not NULL) as it commits, flushed, so that a migrate
 * killed later leaves on screen what it applied. A statement that waits for a lock says, after 2 seconds, on
 * stderr, which lock and who holds it, and waits on. Records each one's SHA-256 in pb.schema_migrations and
 * refuses, naming it, an applied one whose text has changed since (see check_applied_text), and, applying
 * nothing, a database that holds migrations these programs do not carry. When the connection ends midway, err
 * names the migration it was in. Returns 0 or -1.
 */
int pb_db_migrate(PGconn *conn, FILE *out, struct pb_buf *err);

/*
 * SQL: whether the row l of pg_locks (its alias) is the advisory lock of the 64-bit key the SQL expression key
 * gives, as pg_advisory_lock(bigint) takes it (the key's high half in classid, its low half in objid, 1 in
 * objsubid), in this database: pg_locks lists the whole cluster's, and a lock of the same key taken in another
 * database (a copy of this one on the same server) is another lock.
 */
#define PB_DB_ADVISORY_LOCK_IS(l, key)                                                                \
	"(" l ".locktype = 'advisory' AND " l ".objsubid = 1 AND ((" l ".classid::bigint << 32) | " l \
	".objid::bigint) = " key " AND " l                                                            \
	".database = (SELECT oid FROM pg_database WHERE datname = current_database()))"

#endif
