/* pb-prices: loads the partners' published price lists and shows them; argument parsing and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "exitcode.h"
#include "http.h"
#include "interrupt.h"
#include "log.h"
#include "opts.h"
#include "offer.h"
#include "options.h"
#include "retail.h"
#include "show.h"
#include "url.h"

#include "banned.h"

#define MAX_LIST 64

enum {
	OPT_FORMAT = 256,
	OPT_URL,
	OPT_SERVICE,
	OPT_REGION,
	OPT_CURRENCY,
	OPT_SOURCE,
	OPT_STALL_TIMEOUT,
	OPT_MIN_RATE,
	OPT_DOWNLOAD_TIMEOUT,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_VENDOR,
	OPT_METER,
	OPT_SKU,
	OPT_HISTORY,
	OPT_LOG_FORMAT,
	OPT_HELP,
	OPT_VERSION,
	OPT_CACERT,
};

enum command { CMD_NONE, CMD_LOAD, CMD_SHOW };

struct args {
	enum command cmd;
	struct pb_prices_options o;
	const char *format, *vendor, *meter, *sku;
	const char *services[MAX_LIST], *regions[MAX_LIST];
	int history, progress, done;
};

static const struct option longopts[] = {
	{"format", required_argument, NULL, OPT_FORMAT},
	{"url", required_argument, NULL, OPT_URL},
	{"service", required_argument, NULL, OPT_SERVICE},
	{"region", required_argument, NULL, OPT_REGION},
	{"currency", required_argument, NULL, OPT_CURRENCY},
	{"source", required_argument, NULL, OPT_SOURCE},
	{"stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT},
	{"min-rate", required_argument, NULL, OPT_MIN_RATE},
	{"download-timeout", required_argument, NULL, OPT_DOWNLOAD_TIMEOUT},
	{"cacert", required_argument, NULL, OPT_CACERT},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"vendor", required_argument, NULL, OPT_VENDOR},
	{"meter", required_argument, NULL, OPT_METER},
	{"sku", required_argument, NULL, OPT_SKU},
	{"history", no_argument, NULL, OPT_HISTORY},
	{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pb-prices load --format azure-retail [--service NAME]... [--region NAME]... [--currency CODE]\n"
		"                      [--url URL] [options] [FILE...]\n"
		"       pb-prices load --format azure-pricesheet [options] FILE...\n"
		"       pb-prices load --format aws-offer --service CODE... [--region CODE]... [--url URL] [options]\n"
		"       pb-prices load --format aws-offer [options] FILE...\n"
		"       pb-prices show --vendor azure --meter ID\n"
		"       pb-prices show --vendor aws --sku SKU\n"
		"       pb-prices --history [--vendor VENDOR]\n"
		"\n"
		"Loads a partner's published price list into PostgreSQL as one load of its source, replacing the\n"
		"previous load of the same source (a reload of the same prices changes nothing), so that pb-ingest\n"
		"can give a list price to the usage lines whose export leaves it out. Files and https:// URLs are\n"
		"read as they arrive, downloads retried and resumed.\n"
		"\n"
		"  --format FORMAT      azure-retail (the Azure Retail Prices API, JSON pages), azure-pricesheet\n"
		"                       (a Cost Management price sheet, CSV), aws-offer (AWS Price List offer\n"
		"                       files, CSV)\n"
		"  --service NAME       azure-retail: a serviceName to load; aws-offer: an offer code such as\n"
		"                       AmazonEC2 (repeatable; aws-offer without files needs one)\n"
		"  --region NAME        azure-retail: an armRegionName, or a display name a load paired with one;\n"
		"                       aws-offer: a region code, read from the service's region index\n"
		"                       (repeatable; default: every region)\n"
		"  --currency CODE      azure-retail: the currency of the prices (default: the API's, USD)\n"
		"  --url URL            azure-retail: the API (default " PB_RETAIL_URL ");\n"
		"                       aws-offer: the offer index (default " PB_OFFER_INDEX_URL ")\n"
		"  --source NAME        what a reload replaces (default: the URL with the services, regions and\n"
		"                       currency asked for, or the folder of the first file)\n");
	fputs(PB_FETCH_LIMIT_USAGE, out);
	fprintf(out, "  --cacert FILE        trust the certificates in FILE (PEM) for https (default: CURL_CA_BUNDLE,\n"
		     "                       else SSL_CERT_FILE, else the system's)\n"
		     "  --vendor VENDOR      show and --history: aws or azure\n"
		     "  --meter ID           show: an Azure meterId\n"
		     "  --sku SKU            show: an AWS SKU\n"
		     "  --history            list the loads (of --vendor only, if given)\n"
		     "  --progress           show bytes, items and MB/s on stderr (default when it is a terminal)\n"
		     "  --no-progress        never show progress\n"
		     "  --log-format FORMAT  plain (the default) or json\n"
		     "  --help, --version\n"
		     "\n"
		     "Exit status: 0 success (or nothing to do), 1 bad input (its FILE:LINE:COLUMN or URL), 2 usage\n"
		     "error, 3 a download or the database failed after retries, 4 refused (another load of the source\n"
		     "is running).\n");
}

static int add(const char **list, size_t *n, const char *opt, const char *v)
{
	if (*n == MAX_LIST) {
		pb_error("--%s is given more than %d times", opt, MAX_LIST);
		return -1;
	}
	list[(*n)++] = v;
	return 0;
}

static int option(void *ctx, int ch, const char *v)
{
	struct args *a = ctx;

	switch (ch) {
	case OPT_FORMAT:
		a->format = v;
		return 0;
	case OPT_CACERT:
		return pb_tls_check_ca_option(v);
	case OPT_URL:
		a->o.url = v;
		return 0;
	case OPT_SERVICE:
		return add(a->services, &a->o.nservices, "service", v);
	case OPT_REGION:
		return add(a->regions, &a->o.nregions, "region", v);
	case OPT_CURRENCY:
		if (strlen(v) != 3 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
			return pb_opts_bad("--currency", "an ISO 4217 code such as USD", v);
		a->o.currency = v;
		return 0;
	case OPT_SOURCE:
		a->o.source = v;
		return 0;
	case OPT_STALL_TIMEOUT:
	case OPT_MIN_RATE:
	case OPT_DOWNLOAD_TIMEOUT:
		/* pb_fetch_limit_option knows each limit by its option's name. */
		return pb_fetch_limit_option(pb_opts_name(longopts, ch), v, &a->o.fetch);
	case OPT_PROGRESS:
	case OPT_NO_PROGRESS:
		a->progress = ch == OPT_PROGRESS ? 1 : -1;
		return 0;
	case OPT_VENDOR:
		if (strcmp(v, "aws") != 0 && strcmp(v, "azure") != 0)
			return pb_opts_bad("--vendor", "aws or azure", v);
		a->vendor = v;
		return 0;
	case OPT_METER:
		a->meter = v;
		return 0;
	case OPT_SKU:
		a->sku = v;
		return 0;
	case OPT_HISTORY:
		a->history = 1;
		return 0;
	default: /* OPT_LOG_FORMAT */
		return pb_opts_log_format(v);
	}
}

static int read_options(int argc, char **argv, struct args *a)
{
	const struct pb_opts o = {"pb-prices", longopts, OPT_HELP, OPT_VERSION, usage, option, a};
	int first = pb_opts_parse(&o, argc, argv, &a->done);

	if (first <= 0)
		return first;
	a->o.files = (const char *const *)argv + first;
	a->o.nfiles = (size_t)(argc - first);
	a->o.services = a->services;
	a->o.regions = a->regions;
	return 0;
}

/* What load needs: a format, and what to read. */
static int check_load(struct args *a)
{
	if (!a->format) {
		pb_error("load needs --format azure-retail, azure-pricesheet or aws-offer");
		return -1;
	}
	if (strcmp(a->format, "azure-retail") == 0)
		a->o.format = PB_PRICES_AZURE_RETAIL;
	else if (strcmp(a->format, "azure-pricesheet") == 0)
		a->o.format = PB_PRICES_AZURE_SHEET;
	else if (strcmp(a->format, "aws-offer") == 0)
		a->o.format = PB_PRICES_AWS_OFFER;
	else
		return pb_opts_bad("--format", "azure-retail, azure-pricesheet or aws-offer", a->format);
	if (!a->o.url)
		a->o.url = a->o.format == PB_PRICES_AWS_OFFER ? PB_OFFER_INDEX_URL : PB_RETAIL_URL;
	if (a->o.format == PB_PRICES_AZURE_SHEET && !a->o.nfiles) {
		pb_error("azure-pricesheet reads the sheet's FILE or URL");
		return -1;
	}
	if (a->o.nfiles && (a->o.nservices || a->o.nregions || a->o.currency)) {
		pb_error("--service, --region and --currency choose what the API or index gives, not what files hold");
		return -1;
	}
	if (a->o.format == PB_PRICES_AWS_OFFER && !a->o.nfiles && !a->o.nservices) {
		pb_error("aws-offer needs --service CODE (such as AmazonEC2) or the offer FILE");
		return -1;
	}
	if (a->o.format != PB_PRICES_AZURE_RETAIL && a->o.currency) {
		pb_error("--currency is for azure-retail");
		return -1;
	}
	return 0;
}

/* "WHAT takes WHICH, not 'ARG'", the argument shown as a URL is (it may hold a signature). */
static void stray_argument(const char *what, const char *arg, const char *which)
{
	char *shown = pb_url_redact(arg);

	pb_error("%s takes %s, not '%s'%s", what, which, shown ? shown : "?",
		 strcmp(what, "show") == 0 ? ": give --vendor azure --meter ID, or --vendor aws --sku SKU" : "");
	free(shown);
}

static int check_args(struct args *a)
{
	if (a->history) {
		if (a->o.nfiles) {
			stray_argument("--history", a->o.files[0], "no command and no file");
			return -1;
		}
		if (a->cmd != CMD_NONE) {
			pb_error("--history takes no command and no file");
			return -1;
		}
		return 0;
	}
	if (a->cmd == CMD_SHOW) {
		if (a->o.nfiles) {
			/* Named, so that "show 12" is not taken for a show of something called so. */
			stray_argument("show", a->o.files[0], "no argument but its options");
			return -1;
		}
		if (!a->vendor || (strcmp(a->vendor, "azure") == 0 ? !a->meter || a->sku : !a->sku || a->meter)) {
			pb_error("show takes --vendor azure --meter ID, or --vendor aws --sku SKU");
			return -1;
		}
		return 0;
	}
	if (a->cmd == CMD_LOAD)
		return check_load(a);
	pb_error("a command is needed: load, show or --history");
	return -1;
}

static int dispatch(const struct args *a)
{
	struct pb_buf err = PB_BUF_INIT;
	PGconn *conn;
	int rc = PB_ERR_DEPENDENCY;

	if (a->cmd == CMD_LOAD)
		return pb_prices_load(&a->o);
	conn = pb_db_connect("pb-prices", &err);
	if (conn && pb_db_check_schema(conn, &err) == 0) {
		if (a->history)
			rc = pb_prices_history(conn, a->vendor, stdout, &err);
		else
			rc = pb_prices_show(conn, a->vendor, a->meter ? a->meter : a->sku, stdout, &err);
	}
	if (rc < 0 && err.len)
		pb_error("%s", pb_buf_str(&err));
	PQfinish(conn);
	pb_buf_release(&err);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a;
	int rc;

	if (pb_opts_start("pb-prices") < 0)
		return EXIT_DEPENDENCY;
	memset(&a, 0, sizeof(a));
	if (argc > 1 && (strcmp(argv[1], "load") == 0 || strcmp(argv[1], "show") == 0)) {
		a.cmd = strcmp(argv[1], "load") == 0 ? CMD_LOAD : CMD_SHOW;
		argc--;
		argv++;
	}
	if (read_options(argc, argv, &a) < 0 || (!a.done && check_args(&a) < 0)) {
		fprintf(stderr, "Try 'pb-prices --help'.\n");
		return EXIT_USAGE;
	}
	if (a.done)
		return pb_close_stdout(EXIT_OK);
	/* What show and --history print is all they give: into a closed standard output they would succeed. */
	if (a.cmd != CMD_LOAD && pb_opts_stdout_closed())
		return pb_opts_stdout_closed_refused();
	a.o.progress = a.progress > 0 || (a.progress == 0 && isatty(STDERR_FILENO));
	if (a.cmd == CMD_LOAD)
		pb_interrupt_install();
	rc = pb_close_stdout(pb_exit_status(dispatch(&a)));
	/* Stopped by a signal: the load failed and is recorded so, and the caller sees the signal. */
	if (rc != EXIT_OK)
		pb_interrupt_exit();
	return rc;
}
