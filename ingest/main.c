/* pb-ingest: reads partner exports, normalizes every line, reduces to daily grain; argument parsing and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "exitcode.h"
#include "format.h"
#include "http.h"
#include "ingest.h"
#include "interrupt.h"
#include "log.h"
#include "opts.h"
#include "options.h"
#include "store.h"

#include "banned.h"

#define FORMATS "aws-cur, azure-cost, partner-center"

/* Options without a short form. */
enum {
	OPT_FORMAT = 256,
	OPT_SOURCE,
	OPT_ENDPOINT,
	OPT_STALL_TIMEOUT,
	OPT_MIN_RATE,
	OPT_DOWNLOAD_TIMEOUT,
	OPT_MONTH,
	OPT_HISTORY,
	OPT_SUMMARY,
	OPT_MAX_ERRORS,
	OPT_THREADS,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_HELP,
	OPT_VERSION,
	OPT_INVOICE,
	OPT_CURRENCY,
	OPT_BILLING_PERIOD,
	OPT_POLL_TIMEOUT,
	OPT_ALLOW_EMPTY,
	OPT_ALLOW_NOT_FINAL,
	OPT_FINAL,
	OPT_TAG_KEYS,
	OPT_RULES,
	OPT_LOG_FORMAT,
	OPT_CACERT,
};

/* What the command line said, beyond the options modules read. */
struct args {
	struct pb_ingest_options o;
	const char *format;
	int history, currency_given, progress, done;
};

static const struct option longopts[] = {
	{"format", required_argument, NULL, OPT_FORMAT},
	{"source", required_argument, NULL, OPT_SOURCE},
	{"endpoint", required_argument, NULL, OPT_ENDPOINT},
	{"stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT},
	{"min-rate", required_argument, NULL, OPT_MIN_RATE},
	{"download-timeout", required_argument, NULL, OPT_DOWNLOAD_TIMEOUT},
	{"cacert", required_argument, NULL, OPT_CACERT},
	{"month", required_argument, NULL, OPT_MONTH},
	{"history", no_argument, NULL, OPT_HISTORY},
	{"summary", optional_argument, NULL, OPT_SUMMARY},
	{"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{"invoice", required_argument, NULL, OPT_INVOICE},
	{"currency", required_argument, NULL, OPT_CURRENCY},
	{"billing-period", required_argument, NULL, OPT_BILLING_PERIOD},
	{"poll-timeout", required_argument, NULL, OPT_POLL_TIMEOUT},
	{"allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY},
	{"allow-not-final", no_argument, NULL, OPT_ALLOW_NOT_FINAL},
	{"final", no_argument, NULL, OPT_FINAL},
	{"tag-keys", required_argument, NULL, OPT_TAG_KEYS},
	{"rules", required_argument, NULL, OPT_RULES},
	{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pb-ingest --format FORMAT [--summary[=accounts|daily]] [options] FILE...\n"
		"       pb-ingest --format aws-cur|azure-cost --source URL --month YYYY-MM [options]\n"
		"       pb-ingest --format partner-center --month YYYY-MM [--invoice ID] [options]\n"
		"       pb-ingest --history [--month YYYY-MM]\n"
		"\n"
		"Reads partner cost exports (plain CSV, gzip or ZIP; - is standard input; https:// and\n"
		"s3://BUCKET/KEY are downloaded, with retries), normalizes every\n"
		"line item, reduces it to daily grain and stores it in PostgreSQL as one import, replacing the\n"
		"previous import of the same source and month (PB_DATABASE_URL, else the local cluster).\n"
		"\n"
		"  --format FORMAT      the export format: aws-cur (legacy CUR and CUR 2.0), azure-cost\n"
		"                       (Azure cost details: EA, MCA, CSP), partner-center (reconciliation,\n"
		"                       JSON lines)\n"
		"  --summary[=KIND]     print a summary instead of storing: accounts (the default) prints\n"
		"                       partner_account_id,list_cost,billed_cost; daily prints the daily rows\n"
		"  --source URI         the source the import replaces imports of (default: file:// and the\n"
		"                       folder of the first file)\n"
		"  --month YYYY-MM      the billing month (default: the first line's); every line must be of it\n"
		"  --allow-empty        an export without line items may replace an import that had some\n"
		"  --allow-not-final    a delivery that is not final may replace the month's final import\n"
		"  --final              the files are the month's final data (AWS reports with an invoice id\n"
		"                       on every line and Partner Center invoices are, once their month is over)\n"
		"  --tag-keys K1,K2     record the resource tags with these keys (* for all; default: the keys\n"
		"                       the mapping rules read)\n"
		"  --rules FILE         the mapping rules whose tag keys are recorded (default: $PB_MAPPING_RULES,\n"
		"                       else config/mapping-rules)\n"
		"  --endpoint URL       an S3-compatible endpoint for s3:// files (default: AWS_ENDPOINT_URL)\n");
	fputs(PB_FETCH_LIMIT_USAGE, out);
	fprintf(out,
		"  --cacert FILE        trust the certificates in FILE (PEM) for https (default: CURL_CA_BUNDLE,\n"
		"                       else SSL_CERT_FILE, else the system's; AWS_CA_BUNDLE for the S3 endpoint)\n"
		"  --invoice ID         partner-center without files: the billed usage of invoice ID\n"
		"                       (default: the unbilled usage of --month, the current or last month)\n"
		"  --currency CODE      partner-center unbilled usage: its currency (default USD)\n"
		"  --billing-period P   partner-center unbilled usage: current or last (default: from --month)\n"
		"  --poll-timeout S     partner-center: how long the export may run (default 3600)\n"
		"  --history            list the imports (of --month only, if given) and exit\n"
		"  --max-errors N       report up to N bad lines before stopping (default 1)\n"
		"  --threads N          threads for a plain file (default: the number of CPUs, at most 16)\n"
		"  --progress           show bytes, rows and MB/s on stderr (default when it is a terminal)\n"
		"  --no-progress        never show progress\n"
		"  --log-format FORMAT  plain (the default) or json: one JSON object a line on stderr\n"
		"  --help               show this help\n"
		"  --version            show the version\n"
		"\n"
		"Exit status: 0 success, 1 bad input, 2 usage error, 3 a dependency failed, 4 refused by a rule.\n");
}

/* Options that take a number. */
static int number_option(struct args *a, int ch, const char *v)
{
	long n;

	switch (ch) {
	case OPT_MAX_ERRORS:
		if (pb_opts_count(v, 1, 1000000000, &n) < 0)
			return pb_opts_bad("--max-errors", "a positive whole number", v);
		a->o.max_errors = (unsigned long)n;
		return 0;
	case OPT_THREADS:
		if (pb_opts_count(v, 1, PB_INGEST_MAX_THREADS, &n) < 0) {
			pb_error("--threads takes a whole number from 1 to %d, not '%s'", PB_INGEST_MAX_THREADS, v);
			return -1;
		}
		a->o.threads = (size_t)n;
		return 0;
	case OPT_STALL_TIMEOUT:
	case OPT_MIN_RATE:
	case OPT_DOWNLOAD_TIMEOUT:
		/* pb_fetch_limit_option knows each limit by its option's name. */
		return pb_fetch_limit_option(pb_opts_name(longopts, ch), v, &a->o.fetch);
	default: /* OPT_POLL_TIMEOUT */
		if (pb_opts_count(v, 1, 86400 * 7, &n) < 0)
			return pb_opts_bad("--poll-timeout", "a positive number of seconds", v);
		a->o.poll_timeout = n;
		return 0;
	}
}

/* Options that take a word from a list or a code. */
static int word_option(struct args *a, int ch, const char *v)
{
	switch (ch) {
	case OPT_SUMMARY:
		if (!v || strcmp(v, "accounts") == 0)
			a->o.summary = PB_SUMMARY_ACCOUNTS;
		else if (strcmp(v, "daily") == 0)
			a->o.summary = PB_SUMMARY_DAILY;
		else
			return pb_opts_bad("--summary", "accounts or daily", v);
		return 0;
	case OPT_CURRENCY:
		if (!pb_valid_currency(v, strlen(v)))
			return pb_opts_bad("--currency", "an ISO 4217 code such as USD", v);
		a->o.currency = v;
		a->currency_given = 1;
		return 0;
	case OPT_BILLING_PERIOD:
		if (strcmp(v, "current") != 0 && strcmp(v, "last") != 0)
			return pb_opts_bad("--billing-period", "current or last", v);
		a->o.billing_period = v;
		return 0;
	case OPT_LOG_FORMAT:
		return pb_opts_log_format(v);
	default: /* OPT_MONTH */
		return pb_opts_month("--month", v, &a->o.month);
	}
}

/* One option. Returns 0, or -1 after saying what is wrong. */
static int option(void *ctx, int ch, const char *v)
{
	struct args *a = ctx;

	switch (ch) {
	case OPT_FORMAT:
		a->format = v;
		return 0;
	case OPT_SOURCE:
		a->o.source = v;
		return 0;
	case OPT_ENDPOINT:
		a->o.endpoint = v;
		return 0;
	case OPT_CACERT:
		return pb_tls_check_ca_option(v);
	case OPT_INVOICE:
		a->o.invoice = v;
		return 0;
	case OPT_TAG_KEYS:
		a->o.tag_keys = v;
		return 0;
	case OPT_RULES:
		a->o.rules = v;
		return 0;
	case OPT_HISTORY:
		a->history = 1;
		return 0;
	case OPT_ALLOW_EMPTY:
		a->o.allow_empty = 1;
		return 0;
	case OPT_ALLOW_NOT_FINAL:
		a->o.allow_not_final = 1;
		return 0;
	case OPT_FINAL:
		a->o.final = 1;
		return 0;
	case OPT_PROGRESS:
	case OPT_NO_PROGRESS:
		a->progress = ch == OPT_PROGRESS;
		return 0;
	case OPT_MAX_ERRORS:
	case OPT_THREADS:
	case OPT_STALL_TIMEOUT:
	case OPT_MIN_RATE:
	case OPT_DOWNLOAD_TIMEOUT:
	case OPT_POLL_TIMEOUT:
		return number_option(a, ch, v);
	default:
		return word_option(a, ch, v);
	}
}

/* Reads the options; --help and --version are answered at once. Returns 0, or -1 on a usage error. */
static int read_options(int argc, char **argv, struct args *a)
{
	const struct pb_opts o = {"pb-ingest", longopts, OPT_HELP, OPT_VERSION, usage, option, a};
	int first;

	/* The files are the operands from optind on. */
	first = pb_opts_parse(&o, argc, argv, &a->done);
	return first < 0 ? -1 : 0;
}

/* The Partner Center export's own checks: its month, and which usage it asks for. */
static int check_export(struct args *a)
{
	struct pb_ingest_options *o = &a->o;

	if (!o->month) {
		pb_error("the Partner Center export needs --month YYYY-MM");
		return -1;
	}
	if (o->invoice && (o->billing_period || a->currency_given)) {
		pb_error("--invoice takes neither --currency nor --billing-period (the invoice has both)");
		return -1;
	}
	/* Without --billing-period, the month decides it, against today by the database server's clock (ingest.c). */
	return 0;
}

static int parse_format(struct args *a)
{
	if (!a->format) {
		pb_error("--format is required (%s)", FORMATS);
		return -1;
	}
	if (strcmp(a->format, "aws-cur") == 0)
		a->o.kind = PB_FORMAT_AWS_CUR;
	else if (strcmp(a->format, "azure-cost") == 0)
		a->o.kind = PB_FORMAT_AZURE_COST;
	else if (strcmp(a->format, "partner-center") == 0)
		a->o.kind = PB_FORMAT_PARTNER_CENTER;
	else {
		pb_error("unknown format '%s' (%s)", a->format, FORMATS);
		return -1;
	}
	return 0;
}

/* PB_STORE_MEMORY, if set, is a number of megabytes the store reads (read.c); anything else is refused. */
static int check_store_memory(void)
{
	const char *env = getenv("PB_STORE_MEMORY");
	unsigned long long v;
	char *end;

	if (!env || !*env)
		return 0;
	errno = 0;
	v = strtoull(env, &end, 10);
	if (*env < '0' || *env > '9' || *end || errno || v == 0 || v >= ((unsigned long long)1 << 40)) {
		pb_error("PB_STORE_MEMORY '%s' is not a number of megabytes from 1 to %llu", env,
			 ((unsigned long long)1 << 40) - 1);
		return -1;
	}
	return 0;
}

/* The checks between options, once all are read. */
static int check_args(struct args *a)
{
	struct pb_ingest_options *o = &a->o;
	int pc = o->kind == PB_FORMAT_PARTNER_CENTER;
	const char *unbilled;

	if (check_store_memory() < 0)
		return -1;
	if (pc && !o->nfiles && check_export(a) < 0)
		return -1;
	if ((!pc || o->nfiles) && (o->invoice || o->billing_period || a->currency_given)) {
		pb_error("--invoice, --currency and --billing-period are for the Partner Center export (--format "
			 "partner-center without files)");
		return -1;
	}
	/* A billed invoice replaces the unbilled usage of its currency: the source names one, as the export's does. */
	unbilled = pc && o->source ? pb_store_unbilled_currency(o->source) : NULL;
	if (unbilled && !pb_valid_currency(unbilled, strlen(unbilled))) {
		pb_error(
			"--source partner-center:unbilled:CUR takes a currency code in capitals, such as USD, not '%s'",
			o->source);
		return -1;
	}
	if (pc && o->nfiles && !o->month && !o->summary) {
		pb_error("storing Partner Center files needs --month YYYY-MM");
		return -1;
	}
	if (!o->nfiles && !o->source && !pc) {
		pb_error("no input files");
		return -1;
	}
	if (!o->nfiles && !o->month) {
		pb_error("reading a report's manifest from --source needs --month YYYY-MM");
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(a, 0, sizeof(*a));
	a->o.max_errors = 1;
	a->o.currency = "USD";
	a->o.poll_timeout = 3600;
	a->progress = -1;
	if (read_options(argc, argv, a) < 0 || a->done)
		return a->done ? 0 : -1;
	a->o.files = (const char *const *)argv + optind;
	a->o.nfiles = (size_t)(argc - optind);
	if (a->history) {
		if (a->o.nfiles) {
			pb_error("--history takes no files");
			return -1;
		}
		return 0;
	}
	if (parse_format(a) < 0 || check_args(a) < 0)
		return -1;
	a->o.progress = a->progress < 0 ? isatty(STDERR_FILENO) : a->progress;
	if (!a->o.threads)
		a->o.threads = n < 1 ? 1 : n > PB_INGEST_MAX_THREADS ? PB_INGEST_MAX_THREADS : (size_t)n;
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	int rc;

	if (pb_opts_start("pb-ingest") < 0)
		return EXIT_DEPENDENCY;
	if (parse_args(argc, argv, &a) < 0) {
		fprintf(stderr, "Try 'pb-ingest --help'.\n");
		return EXIT_USAGE;
	}
	if (a.done)
		return pb_close_stdout(EXIT_OK);
	/* A summary and the history are all they give: into a closed standard output they would succeed. */
	if ((a.history || a.o.summary != PB_SUMMARY_NONE) && pb_opts_stdout_closed())
		return pb_opts_stdout_closed_refused();
	pb_interrupt_install();
	rc = a.history ? pb_ingest_history(&a.o) : pb_ingest_run(&a.o);
	rc = pb_close_stdout(pb_exit_status(rc));
	/*
	 * Stopped by a signal: the run was failed and recorded so, and the caller sees the signal. A signal that
	 * came once the import was committed stopped nothing: the run succeeded, and says so by exit 0.
	 */
	if (rc != EXIT_OK)
		pb_interrupt_exit();
	return rc;
}
