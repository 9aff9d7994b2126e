/* pb-run: runs a job file's steps for a month, or shows the history of runs; arguments and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "date.h"
#include "exitcode.h"
#include "job.h"
#include "log.h"
#include "opts.h"
#include "record.h"
#include "run.h"

#include "banned.h"

#define HISTORY_LIMIT_DEFAULT 20
#define HISTORY_LIMIT_MAX 10000
#define WAIT_MAX 86400 /* --wait: a day */

static const char *progname = "pb-run";

struct options {
	struct pb_run_args run;
	int32_t month, as_of;
	int dry_run, history, help, version, wait_given;
	const char *job;
	long limit;
	enum pb_log_format log_format;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pb-run JOB.yaml [--month YYYY-MM] [--as-of YYYY-MM-DD] [--from STEP | --only STEP]\n"
		"              [--wait SECONDS] [--dry-run] [--metrics-file FILE] [--log-format plain|json]\n"
		"       pb-run --history [--job NAME] [--limit N]\n"
		"\n"
		"Runs the steps of a job file in order, each program as a child process with its own process\n"
		"group, its stderr lines prefixed with [STEP]; records the run and each step in PostgreSQL\n"
		"(PB_DATABASE_URL, else the local cluster) and holds the month's lock while it runs.\n"
		"Exit status 3 from a step is retried as the step says; the first step that fails stops the run.\n"
		"\n"
		"  --month YYYY-MM         the month to run for (default: the job's; current means the as_of day's)\n"
		"  --as-of YYYY-MM-DD      the as_of date (default: the job's; for a past --month, its last day)\n"
		"  --from STEP             start at STEP (to resume after a failure)\n"
		"  --only STEP             run STEP alone\n"
		"  --wait SECONDS          when another run holds the month, wait up to SECONDS for it (default 0)\n"
		"  --dry-run               print the steps as they would run, quoted for a shell; run nothing\n"
		"  --metrics-file FILE     as the run begins and after it, replace FILE with its metrics (Prometheus\n"
		"                          text format)\n"
		"  --log-format FORMAT     plain (default) or json, for pb-run's messages and the steps' stderr\n"
		"  --history               list the latest runs and their steps, newest first\n"
		"  --job NAME              --history: the runs of job NAME only\n"
		"  --limit N               --history: the N latest runs (default 20)\n"
		"  --help                  show this help\n"
		"  --version               show the version\n"
		"\n"
		"Exit status: 0 success; 1 a bad job file; 2 usage error (also an unset or empty ${env:NAME}, a "
		"program\n"
		"not found); 3 the database failed or a step timed out; 4 another run holds the month;\n"
		"else the failing step's exit status (128+N when signal N ended it); 143, 130 or 129 when pb-run\n"
		"was stopped by SIGTERM, SIGINT or SIGHUP.\n");
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	struct pb_buf msg = PB_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	pb_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	/* Through the logger: a --log-format json before it holds, and the value quoted is shown as it shows text. */
	pb_error("%s", pb_buf_str(&msg));
	fprintf(stderr, "Try 'pb-run --help'.\n");
	pb_buf_release(&msg);
	return EXIT_USAGE;
}

/* One option's value into o. Returns 0 or EXIT_USAGE, having said why. */
static int take_option(int ch, const char *arg, struct options *o)
{
	enum pb_date_case c;

	switch (ch) {
	case 'm':
		c = pb_date_read(arg, strlen(arg), PB_DATE_MONTH, &o->month);
		if (c == PB_DATE_MALFORMED)
			return usage_error("--month takes YYYY-MM, not '%s'", arg);
		if (c != PB_DATE_OK)
			return usage_error(PB_DATE_OUT_OF_RANGE, "--month", arg, pb_date_bound(c));
		o->run.month = &o->month;
		break;
	case 'a':
		/* The current month is the as_of day's: one after the last would be given to every step. */
		c = pb_date_read(arg, strlen(arg), PB_DATE_DAY, &o->as_of);
		if (c == PB_DATE_MALFORMED)
			return usage_error("--as-of takes YYYY-MM-DD, not '%s'", arg);
		if (c != PB_DATE_OK)
			return usage_error(PB_DATE_OUT_OF_RANGE, "--as-of", arg, pb_date_bound(c));
		o->run.as_of = &o->as_of;
		break;
	case 'f':
		o->run.from = arg;
		break;
	case 'o':
		o->run.only = arg;
		break;
	case 'M':
		o->run.metrics_file = arg;
		break;
	case 'w':
		if (pb_opts_count(arg, 0, WAIT_MAX, &o->run.wait) < 0)
			return usage_error("--wait takes a count of seconds from 0 to %d, not '%s'", WAIT_MAX, arg);
		o->wait_given = 1;
		break;
	case 'L':
		if (pb_log_parse_format(arg, &o->log_format) < 0)
			return usage_error("--log-format takes plain or json, not '%s'", arg);
		pb_log_setup(progname, o->log_format, stderr);
		o->run.json_log = o->log_format == PB_LOG_JSON;
		break;
	case 'j':
		/* An empty one (a script's unset variable) would list every job's runs. */
		if (!pb_job_name_ok(arg))
			return usage_error("--job takes a job name (up to %d letters, digits, '.', '_' and '-', the "
					   "first a letter or digit), not '%s'",
					   PB_JOB_NAME_MAX, arg);
		o->job = arg;
		break;
	case 'n':
		if (pb_opts_count(arg, 1, HISTORY_LIMIT_MAX, &o->limit) < 0)
			return usage_error("--limit takes a count from 1 to 10000, not '%s'", arg);
		break;
	}
	return 0;
}

/* Which options go together. Returns 0 or EXIT_USAGE, having said why. */
static int check_options(int argc, char **argv, struct options *o)
{
	int nargs = argc - optind;

	if (o->history) {
		if (nargs)
			return usage_error("--history takes no job file ('%s')", argv[optind]);
		if (o->run.month || o->run.as_of || o->run.from || o->run.only || o->dry_run || o->run.metrics_file ||
		    o->wait_given)
			return usage_error("--history takes only --job, --limit and --log-format");
		return 0;
	}
	if (o->job || o->limit)
		return usage_error("--job and --limit go with --history");
	if (nargs != 1)
		return usage_error(nargs ? "one job file at a time" : "no job file");
	if (o->run.from && o->run.only)
		return usage_error("--from and --only do not go together");
	if (o->dry_run && o->run.metrics_file)
		return usage_error("--dry-run writes no metrics file");
	o->run.job_file = argv[optind];
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"month", required_argument, NULL, 'm'}, {"as-of", required_argument, NULL, 'a'},
		{"from", required_argument, NULL, 'f'},	 {"only", required_argument, NULL, 'o'},
		{"dry-run", no_argument, NULL, 'd'},	 {"metrics-file", required_argument, NULL, 'M'},
		{"wait", required_argument, NULL, 'w'},	 {"log-format", required_argument, NULL, 'L'},
		{"history", no_argument, NULL, 'H'},	 {"job", required_argument, NULL, 'j'},
		{"limit", required_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},	 {NULL, 0, NULL, 0},
	};
	int ch, rc;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, PB_OPTSTRING, longopts, NULL)) != -1) {
		if (ch == '?' || ch == ':') {
			char why[256];

			pb_opts_refusal(ch, argc, argv, why, sizeof(why));
			return usage_error("%s", why);
		}
		o->dry_run |= ch == 'd';
		o->history |= ch == 'H';
		o->help |= ch == 'h';
		o->version |= ch == 'V';
		rc = take_option(ch, optarg, o);
		if (rc)
			return rc;
	}
	if (o->help || o->version)
		return 0;
	return check_options(argc, argv, o);
}

/* PB_RUN_DB_TIMEOUT, when set: how long to wait for the database server. Returns 0 or EXIT_USAGE, having said why. */
static int db_timeout(void)
{
	const char *v = getenv("PB_RUN_DB_TIMEOUT");
	long n;

	if (!v)
		return 0;
	if (pb_opts_count(v, 1, PB_RECORD_TIMEOUT_MAX, &n) < 0) {
		pb_error("PB_RUN_DB_TIMEOUT takes a count of seconds from 1 to %d, not '%s'", PB_RECORD_TIMEOUT_MAX, v);
		return EXIT_USAGE;
	}
	pb_record_set_timeout((int)n);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct pb_run run;
	int rc;

	if (pb_opts_start(progname) < 0)
		return EXIT_DEPENDENCY;
	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	if (o.help || o.version) {
		if (o.help)
			usage(stdout);
		else
			printf("pb-run %s\n", PB_VERSION);
		if (fflush(stdout) == 0 && !ferror(stdout))
			return 0;
		fprintf(stderr, "%s: cannot write standard output: %s\n", progname, strerror(errno));
		return EXIT_DEPENDENCY;
	}
	pb_log_setup(progname, o.log_format, stderr);
	rc = db_timeout();
	if (rc)
		return rc;
	/* The history and the plan are all --history and --dry-run give: into a closed standard output they would
	 * succeed. */
	if (o.history && pb_opts_stdout_closed())
		return pb_opts_stdout_closed_refused();
	if (o.history)
		return pb_run_history(o.job, o.limit ? o.limit : HISTORY_LIMIT_DEFAULT, stdout);
	o.run.dry = o.dry_run;
	rc = pb_run_prepare(&run, &o.run);
	if (!rc && o.dry_run && pb_opts_stdout_closed())
		rc = pb_opts_stdout_closed_refused();
	else if (!rc)
		rc = o.dry_run ? pb_run_dry(&run, stdout) : pb_run_execute(&run, stderr);
	pb_run_release(&run);
	return rc;
}
