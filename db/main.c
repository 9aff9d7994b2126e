/* pb-db: the local PostgreSQL cluster (init, start, stop, status), migrations, and psql. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cluster.h"
#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "migrations.h"
#include "opts.h"

#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: pb-db init|start|stop|status|migrate\n"
		     "       pb-db psql [PSQL-ARGUMENT]...\n"
		     "\n"
		     "  init      create the local cluster in $PB_VAR_DIR/pg (default var/pg): Unix socket only\n"
		     "  start     start the local cluster and create the partnerbill database\n"
		     "  stop      stop the local cluster\n"
		     "  status    say whether the local cluster runs, and the schema version of the database\n"
		     "  migrate   apply the schema migrations the database lacks (safe to run again)\n"
		     "  psql      open psql on the configured database (settings in its environment, not argv), with\n"
		     "            the arguments given, such as -c COMMAND\n"
		     "\n"
		     "The database is PB_DATABASE_URL when set (any libpq connection string), else the local cluster.\n"
		     "Exit status: 0 success, 2 usage error, 3 the database or the cluster failed (status: not\n"
		     "running, or a schema the programs refuse); psql ends with psql's own exit status.\n");
}

/* Says what failed and why (err, released here: run returns at once), and returns code. */
static int fail(const char *what, struct pb_buf *err, int code)
{
	pb_error("%s%s%s", what ? what : "", what ? ": " : "", pb_buf_str(err));
	pb_buf_release(err);
	return code;
}

static int cmd_migrate(void)
{
	struct pb_buf err = PB_BUF_INIT;
	PGconn *conn = pb_db_connect("pb-db", &err);
	unsigned version;
	int rc = 0;

	if (!conn)
		return fail(NULL, &err, EXIT_DEPENDENCY);
	/* Each "applied" line is printed as its migration commits: those before a failure are kept, and said. */
	if (pb_db_migrate(conn, stdout, &err) < 0 || pb_db_schema_version(conn, &version, &err) < 0)
		rc = fail(NULL, &err, EXIT_DEPENDENCY);
	else
		printf("schema at version %u\n", version);
	PQfinish(conn);
	pb_buf_release(&err);
	return rc;
}

static int cmd_status(void)
{
	struct pb_buf err = PB_BUF_INIT;
	unsigned version, need = pb_nmigrations ? pb_migrations[pb_nmigrations - 1].version : 0;
	PGconn *conn;
	int rc = 0;

	/* A server that PB_DATABASE_URL or a PG* variable names is the programs' database: the local cluster is not. */
	if (pb_db_local()) {
		int st = pb_cluster_status(pb_db_var_dir(), &err);

		if (st < 0)
			return fail(NULL, &err, EXIT_DEPENDENCY);
		/* pg_ctl took it for stopped, and so did status, while it took connections on its socket. */
		if (st == PB_CLUSTER_NO_PID_FILE) {
			pb_buf_reset(&err);
			pb_cluster_no_pid_file(pb_db_var_dir(), &err);
			printf("local cluster in %s/pg: running, but %s: it stops itself within a minute of finding "
			       "the "
			       "file gone ('pb-db stop' stops it now)\n",
			       pb_db_var_dir(), pb_buf_str(&err));
			pb_buf_release(&err);
			return EXIT_DEPENDENCY;
		}
		printf("local cluster in %s/pg: %s\n", pb_db_var_dir(),
		       st == PB_CLUSTER_RUNNING	  ? "running"
		       : st == PB_CLUSTER_STOPPED ? "stopped"
		       : st == PB_CLUSTER_STALE	  ? "stopped (a server that was killed left postmaster.pid, naming a "
						    "process that is not it: 'pb-db start' removes it)"
		       : st == PB_CLUSTER_STALE_EMPTY
			       ? "stopped (a server that was killed left postmaster.pid without a "
				 "process number: 'pb-db start' removes it)"
			       : "not created");
		pb_buf_release(&err);
		if (st != PB_CLUSTER_RUNNING)
			return EXIT_DEPENDENCY;
	}
	conn = pb_db_connect("pb-db", &err);
	if (!conn)
		return fail(NULL, &err, EXIT_DEPENDENCY);
	/* The schema's version is read from the table migrate may hold: while it runs, refused as the programs are. */
	if (pb_db_refuse_migrating(conn, &err) < 0 || pb_db_schema_version(conn, &version, &err) < 0) {
		rc = fail(NULL, &err, EXIT_DEPENDENCY);
	} else {
		int rule = 1;

		printf("schema version %u (these programs need %u)%s\n", version, need,
		       version < need ? ": run 'pb-db migrate'" : "");
		/*
		 * The programs refuse a schema that lacks a migration below the newest applied, or holds one they do
		 * not carry (a newer pb-db's): so does status, which said the versions alone.
		 */
		if (version < need) {
			rc = EXIT_DEPENDENCY;
		} else if (pb_db_check_schema(conn, &err) < 0) {
			pb_error("%s", pb_buf_str(&err));
			rc = EXIT_DEPENDENCY;
		}
		/* From the accounts' migration on, the rule against overlapping links must be there. */
		if (version >= 3 && pb_db_link_rule(conn, &rule, &err) < 0)
			rc = fail(NULL, &err, EXIT_DEPENDENCY);
		else if (!rule) {
			pb_error("%s", PB_DB_LINK_RULE_MISSING);
			rc = EXIT_DEPENDENCY;
		}
	}
	PQfinish(conn);
	pb_buf_release(&err);
	return rc;
}

/* Appends keyword='value' to a connection string. */
static void add_setting(struct pb_buf *b, const char *keyword, const char *value)
{
	pb_buf_addf(b, "%s%s='", b->len ? " " : "", keyword);
	for (; *value; value++) {
		if (*value == '\'' || *value == '\\')
			pb_buf_addch(b, '\\');
		pb_buf_addch(b, *value);
	}
	pb_buf_addch(b, '\'');
}

/*
 * Moves the settings of a connection string into the environment variables libpq reads (PGHOST,
 * PGPASSWORD...), so that no secret reaches psql's command line, which every user of the machine can read
 * (ps, /proc/PID/cmdline); the environment is the user's alone. The few settings without a variable
 * (keepalives...) are left in rest, a connection string for the command line; a secret without one
 * (sslpassword) is refused. Returns 0, or -1 with a message.
 */
static int conninfo_to_env(const char *info, struct pb_buf *rest, struct pb_buf *err)
{
	PQconninfoOption *opts, *o;
	int ret = 0;

	/* psql would name the host or the port libpq took from the password, or the dbname that holds one. */
	if (pb_db_conninfo_check(info, NULL, "PB_DATABASE_URL", err) < 0)
		return -1;
	if (!*info)
		return 0;
	opts = PQconninfoParse(info, NULL);
	if (!opts) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	for (o = opts; o->keyword && ret == 0; o++) {
		if (!o->val)
			continue;
		if (o->envvar && setenv(o->envvar, o->val, 1) < 0) {
			pb_buf_reset(err);
			pb_buf_addf(err, "cannot set %s: %s", o->envvar, strerror(errno));
			ret = -1;
		} else if (!o->envvar && strchr(o->dispchar, '*')) {
			pb_buf_reset(err);
			pb_buf_addf(err, "the connection string sets %s, which psql could only get on its command line",
				    o->keyword);
			ret = -1;
		} else if (!o->envvar) {
			add_setting(rest, o->keyword, o->val);
		}
	}
	PQconninfoFree(opts);
	return ret;
}

/* psql on the configured database, its settings in the environment (see conninfo_to_env). */
static int cmd_psql(int argc, char **argv)
{
	struct pb_buf err = PB_BUF_INIT, info = PB_BUF_INIT, rest = PB_BUF_INIT;
	char **args = NULL;
	int i, n = 0, rc = EXIT_DEPENDENCY;

	if (pb_db_conninfo(&info, &err) < 0) {
		fail(NULL, &err, rc);
		goto out;
	}
	if (conninfo_to_env(pb_buf_str(&info), &rest, &err) < 0) {
		rc = fail("psql", &err, EXIT_USAGE);
		goto out;
	}
	args = calloc((size_t)argc + 3, sizeof(*args));
	if (!args || rest.failed) {
		rc = EXIT_DATA;
		goto out;
	}
	args[n++] = "psql";
	if (rest.len)
		args[n++] = (char *)pb_buf_str(&rest);
	for (i = 0; i < argc; i++)
		args[n++] = argv[i];
	if (info.ptr)
		memset(info.ptr, 0, info.len);
	pb_sigxfsz_restore();
	/*
	 * The psql beside the server's programs, else the one on PATH: Debian's /usr/bin/psql is a Perl
	 * wrapper that picks a version, which costs more than psql's own start.
	 */
	{
		char bindir[PATH_MAX], path[PATH_MAX + 8];
		struct pb_buf ignore = PB_BUF_INIT;

		if (pb_cluster_bindir(bindir, sizeof(bindir), &ignore) == 0 &&
		    (size_t)snprintf(path, sizeof(path), "%s/psql", bindir) < sizeof(path) && access(path, X_OK) == 0)
			execv(path, args);
		pb_buf_release(&ignore);
	}
	execvp("psql", args);
	perror("pb-db: cannot run psql");
out:
	if (info.ptr)
		memset(info.ptr, 0, info.len);
	free(args);
	pb_buf_release(&info);
	pb_buf_release(&rest);
	pb_buf_release(&err);
	return rc;
}

/* The command's exit status; main checks that what it printed reached standard output. */
static int run(int argc, char **argv)
{
	struct pb_buf err = PB_BUF_INIT;
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const char *var = pb_db_var_dir();
	int rc;

	if (!cmd) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("pb-db %s\n", PB_VERSION);
		return 0;
	}
	/*
	 * Only psql takes arguments (psql's). The others ran whatever followed them: "pb-db init --help" made a
	 * cluster, "pb-db migrate --dry-run" migrated.
	 */
	if (argc > 2 && (strcmp(cmd, "init") == 0 || strcmp(cmd, "start") == 0 || strcmp(cmd, "stop") == 0 ||
			 strcmp(cmd, "status") == 0 || strcmp(cmd, "migrate") == 0)) {
		pb_error("%s takes no arguments: unexpected argument '%s'", cmd, argv[2]);
		fprintf(stderr, "Try 'pb-db --help'.\n");
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "init") == 0) {
		rc = pb_cluster_init(var, &err);
		if (rc < 0)
			return fail("init", &err, EXIT_DEPENDENCY);
		printf(rc ? "local cluster in %s/pg exists already\n" : "created the local cluster in %s/pg\n", var);
		pb_buf_release(&err);
		return 0;
	}
	if (strcmp(cmd, "start") == 0) {
		if (pb_cluster_start(var, &err) < 0)
			return fail("start", &err, EXIT_DEPENDENCY);
		printf("local cluster in %s/pg is running\n", var);
		pb_buf_release(&err);
		return 0;
	}
	if (strcmp(cmd, "stop") == 0) {
		if (pb_cluster_stop(var, &err) < 0)
			return fail("stop", &err, EXIT_DEPENDENCY);
		printf("local cluster in %s/pg is stopped\n", var);
		pb_buf_release(&err);
		return 0;
	}
	if (strcmp(cmd, "status") == 0)
		return cmd_status();
	if (strcmp(cmd, "migrate") == 0)
		return cmd_migrate();
	if (strcmp(cmd, "psql") == 0)
		return cmd_psql(argc - 2, argv + 2);
	pb_error("unknown command '%s'", cmd);
	fprintf(stderr, "Try 'pb-db --help'.\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (pb_opts_start("pb-db") < 0)
		return EXIT_DEPENDENCY;
	return pb_close_stdout(run(argc, argv));
}
