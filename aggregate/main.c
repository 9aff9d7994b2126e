/* pb-aggregate: month-to-date totals, estimates and the reconciliation per CLC account; arguments and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "buf.h"
#include "date.h"
#include "db.h"
#include "eligconf.h"
#include "estimate_cli.h"
#include "exitcode.h"
#include "input.h"
#include "log.h"
#include "opts.h"
#include "pool.h"
#include "pricing.h"
#include "rates.h"
#include "report.h"
#include "run.h"
#include "testhook.h"
#include "who.h"

#include "banned.h"

enum {
	OPT_MONTH = 256,
	OPT_AS_OF,
	OPT_STRICT,
	OPT_PRICING,
	OPT_CONFIG,
	OPT_CSV,
	OPT_UNMAPPED,
	OPT_NO_LIST,
	OPT_NO_RUN,
	OPT_HISTORY,
	OPT_LOG_FORMAT,
	OPT_HELP,
	OPT_VERSION,
	OPT_LOAD,
	OPT_LIST,
	OPT_DETAIL,
	OPT_STALE_AFTER,
	OPT_THREADS,
};

enum output { OUT_SUMMARY, OUT_CSV, OUT_UNMAPPED, OUT_NO_LIST };

struct args {
	int32_t month, as_of;
	int has_month, has_as_of; /* given: day 0 (1970-01-01) is a day like any other */
	int strict, no_run, history, done, rates, load, list, detail;
	int stale_after, has_stale_after; /* days a source may lag before a warning */
	int threads;			  /* 0: pb_agg_pool_default_threads() */
	enum output output;
	const char *pricing, *config, *file;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pb-aggregate --month YYYY-MM [--as-of YYYY-MM-DD] [--strict] [--csv | --unmapped | --no-list]\n"
		"                    [options]\n"
		"       pb-aggregate --month YYYY-MM --no-run [--csv | --unmapped | --no-list]\n"
		"       pb-aggregate --history [--month YYYY-MM]\n"
		"       pb-aggregate rates --load FILE.csv | --list [--month YYYY-MM]\n"
		"       pb-aggregate estimate --as-of YYYY-MM-DD [--final] [--minor-unit N] FILE.csv\n"
		"\n"
		"Rolls the month's committed imports up per CLC account (each daily row through the link valid on\n"
		"its usage date), priced by the pricing rules at the partners' list prices, with a month-end\n"
		"estimate, and stores the result as the month's current aggregate run, in one transaction. Every\n"
		"partner charge is accounted for: attributed, unmapped, ineligible or excluded.\n"
		"\n"
		"  --month YYYY-MM      the billing month\n"
		"  --as-of YYYY-MM-DD   count usage dates up to this day (default: today, or the month's last day)\n"
		"  --strict             exit 1 when any spend is unmapped or ineligible\n"
		"  --stale-after DAYS   warn of a source complete through a day more than DAYS (1 to 365, default\n"
		"                       3) before the as-of day: its export may have stopped\n"
		"  --threads N          estimate the accounts on N threads while the next rows are read (1 to 64;\n"
		"                       default: one per processor, at most 8; 1: in turn with the reads)\n"
		"  --detail             also store the amounts per account, vendor, service and category (what\n"
		"                       an invoice's detail shows: pb-invoice --issue needs a run made with it)\n"
		"  --csv                print one CSV row per CLC account and vendor instead of the summary\n"
		"  --unmapped           print the unmapped, ineligible and excluded spend per partner account (CSV)\n"
		"  --no-list            print the usage billed at its billed cost for want of a list price (in the\n"
		"                       export or a price list) per partner account (CSV)\n"
		"  --no-run             print the month's current run without computing a new one\n"
		"  --pricing FILE       the pricing rules (default: $PB_PRICING_CONFIG, else the installed\n"
		"                       PREFIX/share/partnerbill/pricing.conf, else config/pricing.conf here)\n"
		"  --config FILE        the eligibility config (default: $PB_ELIGIBILITY_CONFIG, else the installed\n"
		"                       PREFIX/share/partnerbill/eligibility.conf, else config/eligibility.conf here)\n"
		"  --history            list the aggregate runs (of --month only, if given)\n"
		"  --log-format FORMAT  plain (the default) or json\n"
		"  --help, --version\n"
		"\n"
		"Exit status: 0 success, 1 bad data (a missing rate, a charge no rule prices; with --strict,\n"
		"unmapped or ineligible spend), 2 usage error, 3 a dependency failed, 4 refused (another run of the\n"
		"month is running, a month's rates frozen by its invoice).\n");
}

/*
 * --month's value: a month whose 90 days of history (the estimate's) are all dates, 0001-04 to 9999-11 (the last
 * month every program takes). Before it the database refused the history's first day (year 0) when the run was well
 * under way.
 */
static int parse_month(const char *v, int32_t *month)
{
	struct pb_buf why = PB_BUF_INIT;
	int ret = 0;

	/* A month of year 0000 is before every month taken, and said with their range. */
	if (pb_date_read(v, strlen(v), PB_DATE_MONTH, month) == PB_DATE_MALFORMED)
		return pb_opts_bad("--month", "YYYY-MM", v);
	if (pb_estimate_month_taken("--month", v, *month, &why) < 0) {
		pb_error("%s", pb_buf_str(&why));
		ret = -1;
	}
	pb_buf_release(&why);
	return ret;
}

/* --as-of's value: a day of year 0000 is out of range as its month is; any other is checked against --month later. */
static int parse_as_of(const char *v, int32_t *as_of)
{
	struct pb_buf why = PB_BUF_INIT;
	enum pb_date_case c = pb_date_read(v, strlen(v), PB_DATE_DAY, as_of);

	if (c == PB_DATE_MALFORMED)
		return pb_opts_bad("--as-of", "YYYY-MM-DD", v);
	if (c != PB_DATE_BEFORE_FIRST)
		return 0;
	pb_estimate_month_taken("--as-of", v, *as_of, &why);
	pb_error("%s", pb_buf_str(&why));
	pb_buf_release(&why);
	return -1;
}

static int option(void *ctx, int ch, const char *v)
{
	struct args *a = ctx;
	long n;

	switch (ch) {
	case OPT_MONTH:
		a->has_month = 1;
		return parse_month(v, &a->month);
	case OPT_AS_OF:
		a->has_as_of = 1;
		return parse_as_of(v, &a->as_of);
	case OPT_STRICT:
		a->strict = 1;
		return 0;
	case OPT_STALE_AFTER:
		if (pb_opts_count(v, 1, 365, &n) < 0)
			return pb_opts_bad("--stale-after", "a number of days from 1 to 365", v);
		a->stale_after = (int)n;
		a->has_stale_after = 1;
		return 0;
	case OPT_THREADS:
		if (pb_opts_count(v, 1, PB_AGG_POOL_MAX_THREADS, &n) < 0)
			return pb_opts_bad("--threads", "a number of threads from 1 to 64", v);
		a->threads = (int)n;
		return 0;
	case OPT_PRICING:
		a->pricing = v;
		return 0;
	case OPT_CONFIG:
		a->config = v;
		return 0;
	case OPT_CSV:
	case OPT_UNMAPPED:
	case OPT_NO_LIST: {
		static const char *const names[] = {"", "--csv", "--unmapped", "--no-list"};
		enum output out = ch == OPT_CSV ? OUT_CSV : ch == OPT_UNMAPPED ? OUT_UNMAPPED : OUT_NO_LIST;

		/* stdout holds one of them: a script given two would read the last one as the first. */
		if (a->output != OUT_SUMMARY && a->output != out) {
			pb_error("%s and %s print two different things: give one", names[a->output], names[out]);
			return -1;
		}
		a->output = out;
		return 0;
	}
	case OPT_NO_RUN:
		a->no_run = 1;
		return 0;
	case OPT_DETAIL:
		a->detail = 1;
		return 0;
	case OPT_HISTORY:
		a->history = 1;
		return 0;
	case OPT_LOAD:
		a->load = 1;
		a->file = v;
		return 0;
	case OPT_LIST:
		a->list = 1;
		return 0;
	default:
		return pb_opts_log_format(v);
	}
}

static int read_options(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{"month", required_argument, NULL, OPT_MONTH},
		{"as-of", required_argument, NULL, OPT_AS_OF},
		{"strict", no_argument, NULL, OPT_STRICT},
		{"pricing", required_argument, NULL, OPT_PRICING},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"csv", no_argument, NULL, OPT_CSV},
		{"unmapped", no_argument, NULL, OPT_UNMAPPED},
		{"no-list", no_argument, NULL, OPT_NO_LIST},
		{"no-run", no_argument, NULL, OPT_NO_RUN},
		{"history", no_argument, NULL, OPT_HISTORY},
		{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, OPT_VERSION},
		{"load", required_argument, NULL, OPT_LOAD},
		{"list", no_argument, NULL, OPT_LIST},
		{"detail", no_argument, NULL, OPT_DETAIL},
		{"stale-after", required_argument, NULL, OPT_STALE_AFTER},
		{"threads", required_argument, NULL, OPT_THREADS},
		{NULL, 0, NULL, 0},
	};
	const struct pb_opts o = {"pb-aggregate", longopts, OPT_HELP, OPT_VERSION, usage, option, a};
	int first;

	first = pb_opts_parse(&o, argc, argv, &a->done);
	if (first <= 0)
		return first;
	return pb_opts_no_operands(argc, argv, first);
}

/* A given --as-of must be a day of the month (the default, today by the database server's clock, comes once connected).
 */
static int check_as_of(const struct args *a)
{
	char month[11], day[11];

	if (!a->has_as_of || (a->as_of >= a->month && a->as_of <= pb_agg_month_end(a->month)))
		return 0;
	pb_date_format(a->month, month);
	pb_date_format(a->as_of, day);
	pb_error("--as-of must be a day of the month %.7s, not %s", month, day);
	return -1;
}

/* The first option given of those that make a new run (or print one: with_output), or NULL. */
static const char *run_option(const struct args *a, int with_output)
{
	static const char *const outputs[] = {"", "--csv", "--unmapped", "--no-list"};

	if (a->strict)
		return "--strict";
	if (a->detail)
		return "--detail";
	if (a->pricing)
		return "--pricing";
	if (a->config)
		return "--config";
	if (a->has_stale_after)
		return "--stale-after";
	if (a->threads)
		return "--threads";
	if (!with_output)
		return NULL;
	if (a->has_as_of)
		return "--as-of";
	if (a->no_run)
		return "--no-run";
	return a->output != OUT_SUMMARY ? outputs[a->output] : NULL;
}

static int check_args(struct args *a)
{
	const char *opt;

	/* Ignored, an option of a run would let a script believe it had been applied (--threads, --strict). */
	if ((a->rates || a->history) && (opt = run_option(a, 1))) {
		pb_error("%s; %s is an option of a month's run",
			 a->rates ? "rates loads or lists conversion rates" : "--history lists the runs", opt);
		return -1;
	}
	if (a->rates) {
		if (a->load == a->list) {
			pb_error("rates takes --load FILE or --list");
			return -1;
		}
		return 0;
	}
	if (a->load || a->list) {
		pb_error("--load and --list are options of 'pb-aggregate rates'");
		return -1;
	}
	if (a->history)
		return 0;
	if (!a->has_month) {
		pb_error("--month YYYY-MM is required");
		return -1;
	}
	if (a->has_as_of && a->no_run) {
		pb_error("--no-run shows the current run; --as-of makes a new one");
		return -1;
	}
	/* Ignored, --strict let a script that gates on it read success whatever the current run held. */
	if (a->no_run && (opt = run_option(a, 0))) {
		pb_error("--no-run shows the current run; %s is for a new one", opt);
		return -1;
	}
	if (a->no_run && a->output == OUT_SUMMARY) {
		pb_error("--no-run prints --csv, --unmapped or --no-list");
		return -1;
	}
	return a->no_run ? 0 : check_as_of(a);
}

/*
 * A month is attributed only while the rule against overlapping links holds: without it, a partner
 * account's day could go to two accounts and be billed twice. 0, or a PB_ERR_* with err set.
 */
static int link_rule_kept(PGconn *conn, struct pb_buf *err)
{
	int yes;

	if (pb_db_link_rule(conn, &yes, err) < 0)
		return PB_ERR_DEPENDENCY;
	if (yes)
		return 0;
	pb_buf_reset(err);
	pb_buf_addstr(err, PB_DB_LINK_RULE_MISSING);
	return PB_ERR_REFUSED;
}

/* The rules a run is made with: read before the database is reached, so that a bad one is said as such. */
struct configs {
	struct pb_pricing pricing;
	struct pb_eligibility elig;
};

/* Reads the pricing rules and the eligibility config. 0, or a PB_ERR_* with err set. */
static int load_configs(const struct args *a, struct configs *c, struct pb_buf *err)
{
	struct pb_buf path = PB_BUF_INIT;
	int rc = pb_pricing_load(&c->pricing, a->pricing, err);

	if (rc == 0)
		rc = pb_eligibility_find(a->config, &path, err);
	if (rc == 0)
		rc = pb_eligibility_load(&c->elig, pb_buf_str(&path), err);
	pb_buf_release(&path);
	return rc < 0 ? rc : 0;
}

/* Computes and stores a run as of as_of with the configs c; prints what was asked. */
static int run_month(PGconn *conn, const struct args *a, int32_t as_of, struct configs *c, long long *run_id)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_agg_options o;
	struct pb_agg_result res;
	char by[300];
	int rc;

	rc = link_rule_kept(conn, &err);
	if (rc < 0)
		goto out;
	pb_who(by, sizeof(by));
	o.month = a->month;
	o.as_of = as_of;
	o.as_of_today = !a->has_as_of;
	o.pricing = &c->pricing;
	o.eligibility = &c->elig;
	o.by = by;
	o.detail = a->detail;
	o.threads = a->threads ? a->threads : pb_agg_pool_default_threads();
	rc = pb_aggregate_run(conn, &o, &res, &err);
	if (rc < 0)
		goto out;
	*run_id = res.run_id;
	rc = pb_agg_report_run(conn, res.run_id, a->stale_after, a->output == OUT_SUMMARY ? stdout : NULL, &err);
	if (rc > 0)
		rc = a->strict ? PB_ERR_DATA : 0;
	if (rc < 0 && rc != PB_ERR_DATA)
		goto out;
	if (rc == PB_ERR_DATA)
		pb_buf_reset(&err);
out:
	if (err.len)
		pb_error("%s", pb_buf_str(&err));
	pb_buf_release(&err);
	return rc;
}

/* Says each line of err as a message of its own (a rates file's bad lines are one a line). */
static void report(const struct pb_buf *err)
{
	const char *p = pb_buf_str(err), *nl;

	if (!err->len)
		return;
	while ((nl = strchr(p, '\n')) != NULL) {
		pb_error("%.*s", (int)(nl - p), p);
		p = nl + 1;
	}
	pb_error("%s", p);
}

static int dispatch(const struct args *a)
{
	struct pb_buf err = PB_BUF_INIT;
	struct configs c;
	struct pb_input *in = NULL;
	PGconn *conn = NULL;
	char by[300];
	int32_t as_of;
	long long run_id = 0; /* the run made, whose outputs are printed; 0 with --no-run: the current one */
	int run = !a->rates && !a->history && !a->no_run, rc, strict = 0;

	memset(&c, 0, sizeof(c));
	rc = run ? load_configs(a, &c, &err) : 0;
	/* A rates file that cannot be opened is said as such, not as a failed connection that pb-run would retry. */
	if (rc == 0 && a->rates && a->load)
		rc = pb_rates_open(a->file, &in, &err);
	if (rc < 0)
		goto out;
	rc = PB_ERR_DEPENDENCY;
	conn = pb_db_connect("pb-aggregate", &err);
	if (!conn || pb_db_check_schema(conn, &err) < 0)
		goto out;
	if (a->rates) {
		pb_who(by, sizeof(by));
		rc = a->load ? pb_rates_load(conn, in, by, stdout, &err)
			     : pb_rates_list(conn, a->has_month ? &a->month : NULL, stdout, &err);
		in = NULL;
		goto out;
	}
	if (a->history) {
		rc = pb_agg_report_history(conn, a->has_month ? &a->month : NULL, stdout, &err);
		goto out;
	}
	as_of = a->as_of;
	/* A month that has not begun is refused before any wait; the run takes the day again as it reads the month. */
	if (run && !a->has_as_of)
		rc = pb_agg_default_as_of(conn, a->month, &as_of, &err);
	else
		rc = 0;
	if (rc == 0 && run)
		rc = run_month(conn, a, as_of, &c, &run_id);
	/* --strict and spend unmapped or ineligible: the run is stored, and what was asked is printed all the same. */
	strict = rc == PB_ERR_DATA && run_id > 0;
	if (strict)
		rc = 0;
	if (rc == 0 && run && a->output != OUT_SUMMARY)
		pb_test_pause("aggregate-report");
	if (rc == 0 && a->output == OUT_CSV)
		rc = pb_agg_report_csv(conn, a->month, run_id, stdout, &err);
	if (rc == 0 && a->output == OUT_UNMAPPED)
		rc = pb_agg_report_buckets(conn, a->month, run_id, stdout, &err);
	if (rc == 0 && a->output == OUT_NO_LIST)
		rc = pb_agg_report_no_list(conn, a->month, run_id, stdout, &err);
	if (rc == 0 && strict)
		rc = PB_ERR_DATA;
out:
	report(&err);
	pb_input_free(in);
	PQfinish(conn);
	pb_pricing_release(&c.pricing);
	pb_buf_release(&err);
	return rc;
}

/* Whether what is printed on stdout is what was asked for (the CSV, the runs, the rates), not a run's summary. */
static int stdout_output(const struct args *a)
{
	if (a->rates)
		return a->list;
	return a->history || a->output != OUT_SUMMARY;
}

int main(int argc, char **argv)
{
	struct args a;

	if (pb_opts_start("pb-aggregate") < 0)
		return EXIT_DEPENDENCY;
	if (argc > 1 && strcmp(argv[1], "estimate") == 0)
		return pb_close_stdout(pb_estimate_cli(argc - 1, argv + 1));
	memset(&a, 0, sizeof(a));
	a.stale_after = 3;
	if (argc > 1 && strcmp(argv[1], "rates") == 0) {
		a.rates = 1;
		argc--;
		argv++;
	}
	if (read_options(argc, argv, &a) < 0 || (!a.done && check_args(&a) < 0)) {
		fprintf(stderr, "Try 'pb-aggregate --help'.\n");
		return EXIT_USAGE;
	}
	/* Closed, it got /dev/null: what was asked for would go nowhere, and the exit status say success. */
	if (!a.done && pb_opts_stdout_closed() && stdout_output(&a))
		return pb_opts_stdout_closed_refused();
	if (a.done)
		return pb_close_stdout(EXIT_OK);
	return pb_close_stdout(pb_exit_status(dispatch(&a)));
}
