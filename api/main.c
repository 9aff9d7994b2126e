/* pb-api: month-to-date totals and estimates as a JSON API, and its tokens; arguments and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "opts.h"
#include "pool.h"
#include "server.h"
#include "token.h"
#include "who.h"

#include "banned.h"

enum {
	OPT_LISTEN = 256,
	OPT_PORT,
	OPT_DATABASE,
	OPT_THREADS,
	OPT_POOL,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_INSECURE,
	OPT_CACHE,
	OPT_MAX_CONNECTIONS,
	OPT_MAX_PER_CLIENT,
	OPT_AUTH_FAILURES,
	OPT_HEADER_TIMEOUT,
	OPT_LAST_USE,
	OPT_LOG_FORMAT,
	OPT_ACCOUNT,
	OPT_PLATFORM,
	OPT_BY,
	OPT_HELP,
	OPT_VERSION,
};

enum command { CMD_SERVE, CMD_CREATE, CMD_LIST, CMD_REVOKE };
static const char *const command_names[] = {"pb-api", "pb-api token create", "pb-api token list",
					    "pb-api token revoke"};

struct args {
	struct pb_api_config cfg;
	enum command cmd;
	const char *account, *by;
	int platform, done;
	long long id;
};

/* Every option, the server's and the token commands'. */
static const struct option longopts[] = {
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"port", required_argument, NULL, OPT_PORT},
	{"database", required_argument, NULL, OPT_DATABASE},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"pool", required_argument, NULL, OPT_POOL},
	{"tls-cert", required_argument, NULL, OPT_TLS_CERT},
	{"tls-key", required_argument, NULL, OPT_TLS_KEY},
	{"allow-insecure-http", no_argument, NULL, OPT_INSECURE},
	{"cache-entries", required_argument, NULL, OPT_CACHE},
	{"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
	{"max-connections-per-client", required_argument, NULL, OPT_MAX_PER_CLIENT},
	{"auth-failures", required_argument, NULL, OPT_AUTH_FAILURES},
	{"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
	{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	{"account", required_argument, NULL, OPT_ACCOUNT},
	{"platform", no_argument, NULL, OPT_PLATFORM},
	{"by", required_argument, NULL, OPT_BY},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: pb-api [--listen ADDR] [--port N] [--tls-cert FILE --tls-key FILE] [options]\n"
		     "       pb-api token create --account ALIAS | --platform [--by NAME]\n"
		     "       pb-api token list\n"
		     "       pb-api token revoke ID [--by NAME]\n"
		     "\n"
		     "Serves the month-to-date totals and month-end estimates of the current aggregate runs as JSON:\n"
		     "GET /v1/accounts/{alias}/partner-usage?month=YYYY-MM, .../partner-usage/daily?month=YYYY-MM,\n"
		     "/v1/partner-usage?month=YYYY-MM (platform tokens), /healthz and /metrics. Each request carries\n"
		     "'Authorization: Bearer TOKEN'; an account token sees its own account only. Runs until SIGTERM.\n"
		     "\n"
		     "  --listen ADDR          IPv4 or IPv6 address (default 127.0.0.1; $PB_API_LISTEN)\n"
		     "  --port N               TCP port, 0 for any free one (default 8080; $PB_API_PORT)\n"
		     "  --database CONNINFO    libpq connection string or URI (default $PB_DATABASE_URL, else the\n"
		     "                         local cluster)\n"
		     "  --threads N            0 (the default): a thread per connection; N: N threads polling with\n"
		     "                         epoll, for many more connections ($PB_API_THREADS)\n"
		     "  --max-connections N    connections open at once (default 1024)\n"
		     "  --max-connections-per-client N\n"
		     "                         of them from one client address, an IPv6 one per /64 (default 64;\n"
		     "                         behind a proxy, its connections to this server)\n"
		     "  --pool N               database connections (default: one per CPU, at least 4; $PB_API_POOL)\n"
		     "  --tls-cert FILE        PEM certificate chain, with --tls-key FILE: serve HTTPS\n"
		     "                         ($PB_API_TLS_CERT, $PB_API_TLS_KEY)\n"
		     "  --allow-insecure-http  plain HTTP on an address other than loopback (behind a TLS proxy)\n"
		     "  --cache-entries N      answers kept in memory at most (default 100000)\n"
		     "  --auth-failures N      failed authentications per client address and minute (default 10;\n"
		     "                         behind a proxy, all its clients' together: raise it there)\n"
		     "  --header-timeout N     seconds a connection has for each request's line and header fields,\n"
		     "                         from its start or its previous answer; then it is closed (default\n"
		     "                         20; $PB_API_HEADER_TIMEOUT)\n"
		     "  --log-format FORMAT    plain (the default) or json\n"
		     "  $PB_API_LAST_USE_SECONDS\n"
		     "                         seconds between writes of the tokens' last use to the database\n"
		     "                         (default 60; and once more at SIGTERM)\n"
		     "  --help, --version\n"
		     "\n"
		     "Exit status: 0 stopped by SIGTERM, SIGINT or SIGHUP (or a token command done), 1 no such\n"
		     "account or token, or TLS files that are not a certificate and its unencrypted key, 2 usage\n"
		     "error (a bad option, an address it cannot listen on, a file it cannot read, plain HTTP off\n"
		     "loopback), 3 a dependency failed.\n");
}

static int number(const char *opt, const char *v, long lo, long hi, unsigned long *out)
{
	char what[64];
	long n = 0;
	int rc = pb_opts_count(v, lo, hi, &n);

	*out = (unsigned long)n;
	if (rc == 0)
		return 0;
	snprintf(what, sizeof(what), "a whole number from %ld to %ld", lo, hi);
	return pb_opts_bad(opt, what, v);
}

/* The options that need a number: 0 with it stored, or -1. */
static int number_option(struct args *a, int ch, const char *v)
{
	unsigned long n;

	switch (ch) {
	case OPT_PORT:
		if (number("--port", v, 0, 65535, &n) < 0)
			return -1;
		a->cfg.port = (unsigned)n;
		return 0;
	case OPT_THREADS:
		if (number("--threads", v, 0, 256, &n) < 0)
			return -1;
		a->cfg.threads = (unsigned)n;
		return 0;
	case OPT_POOL:
		if (number("--pool", v, 1, 256, &n) < 0)
			return -1;
		a->cfg.pool = (unsigned)n;
		return 0;
	case OPT_MAX_CONNECTIONS:
		if (number("--max-connections", v, 1, 100000, &n) < 0)
			return -1;
		a->cfg.max_connections = (unsigned)n;
		return 0;
	case OPT_MAX_PER_CLIENT:
		if (number("--max-connections-per-client", v, 1, 100000, &n) < 0)
			return -1;
		a->cfg.max_per_client = (unsigned)n;
		return 0;
	case OPT_CACHE:
		if (number("--cache-entries", v, 1, 10000000, &n) < 0)
			return -1;
		a->cfg.cache_entries = n;
		return 0;
	case OPT_HEADER_TIMEOUT:
		if (number("--header-timeout", v, 1, 3600, &n) < 0)
			return -1;
		a->cfg.header_timeout = (unsigned)n;
		return 0;
	case OPT_LAST_USE:
		if (number("PB_API_LAST_USE_SECONDS", v, 1, 3600, &n) < 0)
			return -1;
		a->cfg.last_use_seconds = (unsigned)n;
		return 0;
	default:
		if (number("--auth-failures", v, 1, 100000, &n) < 0)
			return -1;
		a->cfg.auth_failures = (unsigned)n;
		return 0;
	}
}

/* pb-api's own copy of a --database value that held a password (written over in the arguments). */
static char *database_copy;

/*
 * The value of --database, v, a string of the process's arguments: when it holds a secret (a password, or a
 * dbname that is itself a connection string: pb_db_conninfo_secret), pb-api keeps a copy and writes the value over with
 * '*', so that ps, which shows every user the command line, no longer shows it (it did until then: PB_DATABASE_URL, in
 * the environment, is the safe way). Returns the value to use, or NULL when memory cannot be had.
 */
static const char *hide_password(const char *v)
{
	if (!pb_db_conninfo_secret(v))
		return v;
	free(database_copy);
	database_copy = strdup(v);
	if (!database_copy)
		return NULL;
	memset((char *)v, '*', strlen(v));
	return database_copy;
}

static int server_option(struct args *a, int ch, const char *v)
{
	switch (ch) {
	case OPT_LISTEN:
		a->cfg.listen = v;
		return 0;
	case OPT_DATABASE:
		a->cfg.database = hide_password(v);
		if (!a->cfg.database) {
			pb_error("out of memory");
			return -1;
		}
		return 0;
	case OPT_TLS_CERT:
		a->cfg.tls_cert = v;
		return 0;
	case OPT_TLS_KEY:
		a->cfg.tls_key = v;
		return 0;
	case OPT_INSECURE:
		a->cfg.allow_insecure_http = 1;
		return 0;
	default:
		return number_option(a, ch, v);
	}
}

/* 1 for the options that only the server takes: a token command refuses them rather than ignore them. */
static int server_only(int ch)
{
	return ch != OPT_DATABASE && ch != OPT_LOG_FORMAT && ch != OPT_ACCOUNT && ch != OPT_PLATFORM && ch != OPT_BY;
}

static int option(void *ctx, int ch, const char *v)
{
	struct args *a = ctx;

	if (a->cmd != CMD_SERVE && server_only(ch)) {
		pb_error("--%s is an option of the server, not of '%s'", pb_opts_name(longopts, ch),
			 command_names[a->cmd]);
		return -1;
	}
	switch (ch) {
	case OPT_ACCOUNT:
		a->account = v;
		return 0;
	case OPT_PLATFORM:
		a->platform = 1;
		return 0;
	case OPT_BY:
		a->by = v;
		return 0;
	case OPT_LOG_FORMAT:
		return pb_opts_log_format(v);
	default:
		return server_option(a, ch, v);
	}
}

/* The environment's settings, which options override. */
static int from_environment(struct args *a)
{
	static const struct {
		const char *name;
		int opt;
	} vars[] = {
		{"PB_API_LISTEN", OPT_LISTEN},
		{"PB_API_PORT", OPT_PORT},
		{"PB_API_THREADS", OPT_THREADS},
		{"PB_API_POOL", OPT_POOL},
		{"PB_API_TLS_CERT", OPT_TLS_CERT},
		{"PB_API_TLS_KEY", OPT_TLS_KEY},
		{"PB_API_LAST_USE_SECONDS", OPT_LAST_USE},
		{"PB_API_HEADER_TIMEOUT", OPT_HEADER_TIMEOUT},
	};
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i].name);

		if (v && *v && server_option(a, vars[i].opt, v) < 0) {
			pb_error("(from $%s)", vars[i].name);
			return -1;
		}
	}
	return 0;
}

static void bad_id(const char *v)
{
	pb_error("token revoke takes a token ID, a whole number from 1, not '%s'", v);
}

/* 1 when arg is an option (or an unambiguous start of one, as getopt_long takes it) whose value follows it. */
static int value_follows(const char *arg)
{
	const struct option *o, *match = NULL;
	size_t n;
	int matches = 0;

	if (strncmp(arg, "--", 2) != 0 || strchr(arg, '=') || !arg[2])
		return 0;
	n = strlen(arg + 2);
	for (o = longopts; o->name; o++) {
		if (strncmp(o->name, arg + 2, n) != 0)
			continue;
		if (!o->name[n])
			return o->has_arg == required_argument;
		match = o;
		matches++;
	}
	return matches == 1 && match->has_arg == required_argument;
}

/*
 * token revoke's ID written as a negative number ("-1"), which getopt would take for an unknown option: 0,
 * or -1 with that said. What follows "--" is left to check_args.
 */
static int negative_id(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9') {
			bad_id(argv[i]);
			return -1;
		}
		if (value_follows(argv[i]))
			i++;
	}
	return 0;
}

static int read_options(int argc, char **argv, struct args *a)
{
	const struct pb_opts o = {"pb-api", longopts, OPT_HELP, OPT_VERSION, usage, option, a};

	if (a->cmd == CMD_REVOKE && negative_id(argc, argv) < 0)
		return -1;
	return pb_opts_parse(&o, argc, argv, &a->done);
}

/* 0 when name may name who makes or revokes a token; else -1, said with what (for the message). */
static int check_name(const char *what, const char *name)
{
	const char *fault = pb_api_token_name_fault(name);

	if (!fault)
		return 0;
	pb_error("%s %s (a name is 1 to %d printable UTF-8 characters, without a comma or quotation mark, not "
		 "beginning or ending with a blank)",
		 what, fault, PB_API_NAME_MAX);
	return -1;
}

/* What follows the options: the token command's ID, nothing else. 0, or -1. */
static int check_args(struct args *a, int argc, char **argv, int first)
{
	unsigned long long id;
	char *end;

	if (a->cmd == CMD_REVOKE) {
		if (first != argc - 1) {
			pb_error("token revoke takes one token ID");
			return -1;
		}
		errno = 0;
		id = strtoull(argv[first], &end, 10);
		if (argv[first][0] < '1' || argv[first][0] > '9' || errno || *end || id > (1ULL << 62)) {
			bad_id(argv[first]);
			return -1;
		}
		a->id = (long long)id;
		first++;
	}
	if (pb_opts_no_operands(argc, argv, first) < 0)
		return -1;
	if (a->cmd == CMD_CREATE && !a->account == !a->platform) {
		pb_error("token create takes --account ALIAS or --platform");
		return -1;
	}
	if (a->cmd != CMD_CREATE && (a->account || a->platform)) {
		pb_error("--account and --platform are options of 'pb-api token create'");
		return -1;
	}
	if (a->by && a->cmd != CMD_CREATE && a->cmd != CMD_REVOKE) {
		pb_error("--by is an option of 'pb-api token create' and 'token revoke'");
		return -1;
	}
	return a->by ? check_name("--by: the name", a->by) : 0;
}

static int token_command(const struct args *a)
{
	struct pb_buf err = PB_BUF_INIT, info = PB_BUF_INIT;
	PGconn *conn = NULL;
	const char *by = a->by, *fault;
	char login[300];
	long long id = 0;
	int rc = PB_ERR_DEPENDENCY;

	if (!by && a->cmd != CMD_LIST) {
		pb_who(login, sizeof(login));
		fault = pb_api_token_name_fault(login);
		if (fault) {
			pb_buf_addf(&err, "the login name and host %s as a name for the record: give --by NAME", fault);
			rc = PB_ERR_USAGE;
			goto out;
		}
		by = login;
	}
	if (a->cfg.database)
		pb_buf_addstr(&info, a->cfg.database);
	else if (pb_db_conninfo(&info, &err) < 0)
		goto out;
	conn = pb_api_pool_connect(pb_buf_str(&info), "pb-api", NULL, NULL, &err);
	if (!conn || pb_db_check_schema(conn, &err) < 0)
		goto out;
	if (a->cmd == CMD_LIST) {
		rc = pb_api_token_list(conn, stdout, &err);
	} else if (a->cmd == CMD_CREATE) {
		rc = pb_api_token_create(conn, a->account, by, stdout, &id, &err);
		if (rc == 0)
			pb_log(PB_LOG_INFO, NULL, "token %lld made for %s%s: it is shown this once", id,
			       a->account ? "account " : "the platform", a->account ? a->account : "");
	} else {
		rc = pb_api_token_revoke(conn, a->id, by, &err);
		if (rc >= 0)
			pb_log(PB_LOG_INFO, NULL, "token %lld %s", a->id, rc ? "was revoked already" : "revoked");
	}
out:
	if (err.len)
		pb_error("%s", pb_buf_str(&err));
	PQfinish(conn);
	pb_buf_release(&info);
	pb_buf_release(&err);
	return rc;
}

static int serve(const struct args *a)
{
	struct pb_buf err = PB_BUF_INIT;
	int rc = pb_api_serve(&a->cfg, &err);

	if (err.len)
		pb_error("%s", pb_buf_str(&err));
	pb_buf_release(&err);
	return rc;
}

/* "token create|list|revoke": the command and how many words it took. */
static int token_words(int argc, char **argv, enum command *cmd)
{
	if (argc < 2 || strcmp(argv[1], "token") != 0) {
		*cmd = CMD_SERVE;
		return 0;
	}
	if (argc > 2 && strcmp(argv[2], "create") == 0)
		*cmd = CMD_CREATE;
	else if (argc > 2 && strcmp(argv[2], "list") == 0)
		*cmd = CMD_LIST;
	else if (argc > 2 && strcmp(argv[2], "revoke") == 0)
		*cmd = CMD_REVOKE;
	else
		return -1;
	return 2;
}

int main(int argc, char **argv)
{
	struct args a;
	int skip, first;

	if (pb_opts_start("pb-api") < 0)
		return EXIT_DEPENDENCY;
	memset(&a, 0, sizeof(a));
	pb_api_config_init(&a.cfg);
	skip = token_words(argc, argv, &a.cmd);
	if (skip < 0)
		pb_error("token takes create, list or revoke");
	first = skip < 0 || from_environment(&a) < 0 ? -1 : read_options(argc - skip, argv + skip, &a);
	if (first < 0 || (!a.done && check_args(&a, argc - skip, argv + skip, first) < 0)) {
		fprintf(stderr, "Try 'pb-api --help'.\n");
		return EXIT_USAGE;
	}
	if (a.done)
		return pb_close_stdout(EXIT_OK);
	/*
	 * Closed, it got /dev/null: a token made would be printed nowhere, and never shown again; the list of tokens,
	 * all token list gives, would go nowhere.
	 */
	if ((a.cmd == CMD_CREATE || a.cmd == CMD_LIST) && pb_opts_stdout_closed())
		return pb_opts_stdout_closed_refused();
	if (a.cmd == CMD_SERVE)
		return pb_close_stdout(pb_exit_status(serve(&a)));
	return pb_close_stdout(pb_exit_status(token_command(&a)));
}
