/* pb-ingest: reads partner exports, normalizes every line, reduces to daily grain; argument parsing and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "azure_export.h"
#include "buf.h"
#include "exitcode.h"
#include "csv.h"
#include "date.h"
#include "db.h"
#include "input.h"
#include "jsonl.h"
#include "manifest.h"
#include "money.h"
#include "parser.h"
#include "partner_center.h"
#include "pc_export.h"
#include "progress.h"
#include "reduce.h"
#include "store.h"
#include "worker.h"

#include "banned.h"

enum summary_kind { SUMMARY_NONE, SUMMARY_ACCOUNTS, SUMMARY_DAILY };

/* Plain files are split between up to MAX_THREADS threads, in parts of at least MIN_PART bytes. */
#define MAX_THREADS 16
#define MIN_PART ((uint64_t)8 << 20)

struct options {
	const char *format;
	enum pb_format_kind kind;
	const char *source;
	const char *endpoint;
	struct pb_s3_config s3;	      /* when a FILE is s3:// */
	struct pb_azure_config azure; /* when AZURE_STORAGE_KEY is set */
	struct pb_fetch_opts fetch;
	int32_t month; /* day number of --month's first day, or 0 */
	int history;
	enum summary_kind summary;
	unsigned long max_errors;
	size_t threads;
	int progress; /* -1: when stderr is a terminal */
	/* The Partner Center export (partner-center without files). */
	const char *invoice, *currency, *billing_period;
	int currency_given;
	long poll_timeout;
};

static const char *progname = "pb-ingest";

#define FORMATS "aws-cur, azure-cost, partner-center"

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
		"  --month YYYY-MM      the billing month (default: from the data)\n"
		"  --endpoint URL       an S3-compatible endpoint for s3:// files (default: AWS_ENDPOINT_URL)\n"
		"  --stall-timeout S    a download that moves no byte for S seconds is retried (default 30)\n"
		"  --invoice ID         partner-center without files: the billed usage of invoice ID\n"
		"                       (default: the unbilled usage of --month, the current or last month)\n"
		"  --currency CODE      partner-center unbilled usage: its currency (default USD)\n"
		"  --billing-period P   partner-center unbilled usage: current or last (default: from --month)\n"
		"  --poll-timeout S     partner-center: how long the export may run (default 3600)\n"
		"  --history            list the imports (of --month only, if given) and exit\n"
		"  --max-errors N       report up to N bad lines before stopping (default 1)\n"
		"  --threads N          threads for a plain file (default: the number of CPUs)\n"
		"  --progress           show bytes, rows and MB/s on stderr (default when it is a terminal)\n"
		"  --no-progress        never show progress\n"
		"  --help               show this help\n"
		"  --version            show the version\n"
		"\n"
		"Exit status: 0 success, 1 bad input, 2 usage error, 3 a dependency failed, 4 refused by a rule.\n");
}

/* YYYY-MM to the day number of the month's first day. */
static int parse_month(const char *s, int32_t *out)
{
	char buf[16];
	int32_t day;

	if (strlen(s) != 7)
		return -1;
	snprintf(buf, sizeof(buf), "%s-01", s);
	if (pb_date_parse_iso(buf, strlen(buf), &day) < 0)
		return -1;
	*out = day;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"source", required_argument, NULL, 'S'},
		{"endpoint", required_argument, NULL, 'E'},
		{"stall-timeout", required_argument, NULL, 'T'},
		{"month", required_argument, NULL, 'M'},
		{"history", no_argument, NULL, 'H'},
		{"summary", optional_argument, NULL, 's'},
		{"max-errors", required_argument, NULL, 'm'},
		{"threads", required_argument, NULL, 't'},
		{"progress", no_argument, NULL, 'p'},
		{"no-progress", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"invoice", required_argument, NULL, 'I'},
		{"currency", required_argument, NULL, 'C'},
		{"billing-period", required_argument, NULL, 'B'},
		{"poll-timeout", required_argument, NULL, 'O'},
		{NULL, 0, NULL, 0},
	};
	int ch;
	char *end;

	memset(o, 0, sizeof(*o));
	o->max_errors = 1;
	o->progress = -1;
	o->currency = "USD";
	o->poll_timeout = 3600;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			o->format = optarg;
			break;
		case 's':
			if (!optarg || strcmp(optarg, "accounts") == 0) {
				o->summary = SUMMARY_ACCOUNTS;
			} else if (strcmp(optarg, "daily") == 0) {
				o->summary = SUMMARY_DAILY;
			} else {
				fprintf(stderr, "%s: unknown summary '%s' (accounts or daily)\n", progname, optarg);
				return -1;
			}
			break;
		case 'm':
			errno = 0;
			o->max_errors = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || o->max_errors == 0 || optarg[0] == '-') {
				fprintf(stderr, "%s: --max-errors takes a positive whole number, not '%s'\n", progname,
					optarg);
				return -1;
			}
			break;
		case 't': {
			unsigned long n;

			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || n == 0 || n > MAX_THREADS || optarg[0] == '-') {
				fprintf(stderr, "%s: --threads takes a whole number from 1 to %d, not '%s'\n", progname,
					MAX_THREADS, optarg);
				return -1;
			}
			o->threads = n;
			break;
		}
		case 'S':
			o->source = optarg;
			break;
		case 'E':
			o->endpoint = optarg;
			break;
		case 'T':
			errno = 0;
			o->fetch.stall_seconds = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o->fetch.stall_seconds <= 0) {
				fprintf(stderr, "%s: --stall-timeout takes a positive number of seconds, not '%s'\n",
					progname, optarg);
				return -1;
			}
			break;
		case 'M':
			if (parse_month(optarg, &o->month) < 0) {
				fprintf(stderr, "%s: --month takes YYYY-MM, not '%s'\n", progname, optarg);
				return -1;
			}
			break;
		case 'H':
			o->history = 1;
			break;
		case 'I':
			o->invoice = optarg;
			break;
		case 'C':
			if (!pb_valid_currency(optarg, strlen(optarg))) {
				fprintf(stderr, "%s: --currency takes an ISO 4217 code such as USD, not '%s'\n",
					progname, optarg);
				return -1;
			}
			o->currency = optarg;
			o->currency_given = 1;
			break;
		case 'B':
			if (strcmp(optarg, "current") != 0 && strcmp(optarg, "last") != 0) {
				fprintf(stderr, "%s: --billing-period takes current or last, not '%s'\n", progname,
					optarg);
				return -1;
			}
			o->billing_period = optarg;
			break;
		case 'O':
			errno = 0;
			o->poll_timeout = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o->poll_timeout <= 0) {
				fprintf(stderr, "%s: --poll-timeout takes a positive number of seconds, not '%s'\n",
					progname, optarg);
				return -1;
			}
			break;
		case 'p':
			o->progress = 1;
			break;
		case 'P':
			o->progress = 0;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("pb-ingest %s\n", PB_VERSION);
			exit(0);
		default:
			if (optopt)
				fprintf(stderr, "%s: option '%s' needs an argument or is unknown\n", progname,
					argv[optind - 1]);
			else
				fprintf(stderr, "%s: unknown option '%s'\n", progname, argv[optind - 1]);
			fprintf(stderr, "Try 'pb-ingest --help'.\n");
			return -1;
		}
	}
	if (o->history) {
		if (optind < argc) {
			fprintf(stderr, "%s: --history takes no files\n", progname);
			return -1;
		}
		return 0;
	}
	if (!o->format) {
		fprintf(stderr, "%s: --format is required (%s)\nTry 'pb-ingest --help'.\n", progname, FORMATS);
		return -1;
	}
	if (strcmp(o->format, "aws-cur") == 0) {
		o->kind = PB_FORMAT_AWS_CUR;
	} else if (strcmp(o->format, "azure-cost") == 0) {
		o->kind = PB_FORMAT_AZURE_COST;
	} else if (strcmp(o->format, "partner-center") == 0) {
		o->kind = PB_FORMAT_PARTNER_CENTER;
	} else {
		fprintf(stderr, "%s: unknown format '%s' (%s)\n", progname, o->format, FORMATS);
		return -1;
	}
	if (o->kind == PB_FORMAT_PARTNER_CENTER && optind >= argc) {
		/* The export: its month is the import's, and unbilled usage is of the current or last month. */
		if (!o->month) {
			fprintf(stderr, "%s: the Partner Center export needs --month YYYY-MM\n", progname);
			return -1;
		}
		if (o->invoice && (o->billing_period || o->currency_given)) {
			fprintf(stderr,
				"%s: --invoice takes neither --currency nor --billing-period (the invoice has both)\n",
				progname);
			return -1;
		}
		if (!o->invoice && !o->billing_period) {
			o->billing_period = pb_pc_billing_period(o->month, (int32_t)(time(NULL) / 86400));
			if (!o->billing_period) {
				fprintf(stderr,
					"%s: unbilled usage is of the current or the last month only; give --invoice "
					"ID "
					"for an older month\n",
					progname);
				return -1;
			}
		}
	} else if (o->invoice || o->billing_period || o->currency_given) {
		fprintf(stderr,
			"%s: --invoice, --currency and --billing-period are for the Partner Center export (--format "
			"partner-center without files)\n",
			progname);
		return -1;
	}
	if (o->kind == PB_FORMAT_PARTNER_CENTER && optind < argc && !o->month && !o->summary) {
		fprintf(stderr, "%s: storing Partner Center files needs --month YYYY-MM\n", progname);
		return -1;
	}
	if (optind >= argc && !o->source && o->kind != PB_FORMAT_PARTNER_CENTER) {
		fprintf(stderr, "%s: no input files\nTry 'pb-ingest --help'.\n", progname);
		return -1;
	}
	if (optind >= argc && !o->month) {
		fprintf(stderr, "%s: reading a report's manifest from --source needs --month YYYY-MM\n", progname);
		return -1;
	}
	if (o->progress < 0)
		o->progress = isatty(STDERR_FILENO);
	if (!o->threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		o->threads = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (size_t)n;
	}
	return 0;
}

/* The state of one run over all files. */
struct run {
	const struct options *opt;
	struct pb_reduce *reduce;
	struct pb_reduce *names; /* partner account names, when storing */
	int exported;		 /* the files are a Partner Center export's blobs */
	struct pb_progress progress;
	uint64_t bytes_before, rows;
	unsigned long errors;
	int store;		    /* hash files, check months, no split */
	int remote_failed;	    /* a download failed after its retries: exit 3 */
	uint64_t lines, no_invoice; /* for the final flag */
	size_t part, nparts;	    /* for the progress line: part of parts */
	struct pb_buf label;
	int32_t month; /* every line's billing month when storing */
	struct pb_store_file *files;
	size_t nfiles;
	struct pb_buf first_error; /* recorded on a failed import */
};

static void report(struct run *r, const char *name, uint64_t line, uint32_t col, const char *msg)
{
	if (!r->errors) {
		pb_buf_reset(&r->first_error);
		if (line)
			pb_buf_addf(&r->first_error, "%s:%llu:%u: %s", name, (unsigned long long)line, col, msg);
		else
			pb_buf_addstr(&r->first_error, msg);
	}
	if (line)
		fprintf(stderr, "%s: %s:%llu:%u: %s\n", progname, name, (unsigned long long)line, col, msg);
	else
		fprintf(stderr, "%s: %s\n", progname, msg);
	r->errors++;
}

/* A file split into parts, one per thread; part 0 reads on from the header. */
struct split {
	size_t n;
	uint64_t starts[MAX_THREADS];
	struct pb_worker workers[MAX_THREADS];
	struct pb_input *inputs[MAX_THREADS];
	struct pb_csv csvs[MAX_THREADS];
	int csv_ready[MAX_THREADS];
	pthread_t threads[MAX_THREADS];
	int started[MAX_THREADS];
};

static void *worker_main(void *arg)
{
	pb_worker_run(arg);
	return NULL;
}

/*
 * Chooses the part starts of a plain file of the given size whose header ends at data: line starts
 * near equal shares. Parts smaller than MIN_PART (PB_SPLIT_MIN_BYTES for the tests) are not made.
 */
static int plan_split(struct split *sp, const struct pb_input *in, uint64_t data, uint64_t size, size_t threads,
		      struct pb_buf *err)
{
	const char *env = getenv("PB_SPLIT_MIN_BYTES");
	uint64_t min_part = MIN_PART, pos;
	size_t k;

	if (env && *env) {
		char *end;
		unsigned long long v = strtoull(env, &end, 10);

		if (!*end && v > 0)
			min_part = v;
	}
	sp->n = 1;
	sp->starts[0] = data;
	if (size <= data || (size - data) / min_part < 2)
		return 0;
	if ((size - data) / min_part < threads)
		threads = (size_t)((size - data) / min_part);
	for (k = 1; k < threads; k++) {
		if (pb_input_next_line_start(in, data + (size - data) / threads * k, &pos, err) < 0)
			return -1;
		if (pos > sp->starts[sp->n - 1] && pos < size)
			sp->starts[sp->n++] = pos;
	}
	return 0;
}

/* Sums the progress of every part and redraws. */
static void show_progress(struct run *r, const char *name, struct split *sp)
{
	uint64_t bytes = 0, rows = 0;
	size_t k;

	for (k = 0; k < sp->n; k++) {
		bytes += atomic_load_explicit(&sp->workers[k].bytes, memory_order_relaxed);
		rows += atomic_load_explicit(&sp->workers[k].rows, memory_order_relaxed);
	}
	pb_buf_reset(&r->label);
	if (r->nparts > 1)
		pb_buf_addf(&r->label, "part %zu of %zu, ", r->part + 1, r->nparts);
	pb_buf_addstr(&r->label, name);
	pb_progress_update(&r->progress, pb_buf_str(&r->label), r->bytes_before + bytes, r->rows + rows);
}

/*
 * Walks the parts in file order: a part that ended on a later part's start hands over to that part, so
 * parts it passed over (begun inside a quoted field) are skipped. Reports errors with absolute lines.
 */
static int collect(struct run *r, const char *name, struct split *sp, struct pb_format_stats *stats)
{
	size_t k = 0;
	uint64_t base = 1;

	while (k < sp->n) {
		struct pb_worker *w = &sp->workers[k];
		size_t i;

		for (i = 0; i < w->nerrors && r->errors < r->opt->max_errors; i++)
			report(r, name, w->errors[i].line ? base + w->errors[i].line - 1 : 0, w->errors[i].col,
			       w->errors[i].msg);
		if (w->fatal || r->errors >= r->opt->max_errors)
			return -1;
		if (!r->errors && (pb_reduce_merge(r->reduce, w->reduce) < 0 ||
				   (w->names && pb_reduce_merge(r->names, w->names) < 0))) {
			report(r, name, 0, 0, "out of memory or sum out of range");
			return -1;
		}
		pb_stats_merge(stats, &w->parser.st);
		r->rows += atomic_load(&w->rows);
		r->bytes_before += atomic_load(&w->bytes);
		/* Part 0 counted lines from the file's start, the header's included; the others from their own. */
		base += w->lines;
		k = k + 1 + w->stopped_at;
	}
	return r->errors ? -1 : 0;
}

static void release_split(struct split *sp)
{
	size_t k;

	for (k = 0; k < sp->n; k++) {
		if (sp->started[k])
			pthread_join(sp->threads[k], NULL);
		pb_worker_release(&sp->workers[k]);
		pb_reduce_free(sp->workers[k].reduce);
		pb_reduce_free(sp->workers[k].names);
		if (k > 0) {
			if (sp->csv_ready[k])
				pb_csv_release(&sp->csvs[k]);
			pb_input_free(sp->inputs[k]);
		}
	}
}

/* "file://" and an absolute path, to free; NULL when memory cannot be had. */
static char *file_uri(const char *abs)
{
	size_t n = strlen(abs);
	char *u = malloc(n + 8);

	if (u) {
		memcpy(u, "file://", 7);
		memcpy(u + 7, abs, n + 1);
	}
	return u;
}

/* Keeps what the audit records of a file read for the store: its bytes, hash and totals. */
static int record_file(struct run *r, const char *path, struct pb_input *in, struct pb_reduce *const *parts,
		       size_t nparts)
{
	struct pb_store_file *f, *files;
	char abs[PATH_MAX];
	size_t k;

	files = realloc(r->files, (r->nfiles + 1) * sizeof(*files));
	if (!files) {
		report(r, path, 0, 0, "out of memory");
		return -1;
	}
	r->files = files;
	f = &files[r->nfiles];
	memset(f, 0, sizeof(*f));
	if (pb_input_sha256(in, f->sha256) < 0) {
		report(r, path, 0, 0, "cannot compute the file's SHA-256");
		return -1;
	}
	f->bytes = pb_input_raw_bytes(in);
	snprintf(f->etag, sizeof(f->etag), "%s", pb_input_etag(in));
	if (pb_fetch_is_url(path) || strncmp(path, "file://", 7) == 0)
		f->uri = pb_fetch_without_sas(path); /* never a SAS in the database */
	else if (strcmp(path, "-") == 0)
		f->uri = strdup("stdin");
	else if (realpath(path, abs))
		f->uri = file_uri(abs);
	else
		f->uri = strdup(path);
	if (!f->uri) {
		report(r, path, 0, 0, "out of memory");
		return -1;
	}
	for (k = 0; k < nparts; k++) {
		pb_money list, billed;
		uint64_t lines;

		pb_reduce_totals(parts[k], &list, &billed, &lines);
		if (pb_money_add(f->list_total, list, &f->list_total) < 0 ||
		    pb_money_add(f->billed_total, billed, &f->billed_total) < 0) {
			report(r, path, 0, 0, "sum out of range");
			return -1;
		}
		f->lines += lines;
	}
	r->nfiles++;
	return 0;
}

/* Runs every part on a thread of its own; this thread draws the progress meanwhile. */
static int run_parts(struct run *r, const char *name, struct split *sp)
{
	size_t k;
	int running = 1;

	for (k = 0; k < sp->n; k++) {
		if (pthread_create(&sp->threads[k], NULL, worker_main, &sp->workers[k]) != 0) {
			report(r, name, 0, 0, "cannot start a thread");
			return -1;
		}
		sp->started[k] = 1;
	}
	while (r->progress.out && running) {
		struct timespec ts = {0, 100 * 1000000L};

		nanosleep(&ts, NULL);
		show_progress(r, name, sp);
		running = 0;
		for (k = 0; k < sp->n; k++) {
			if (sp->started[k] && pthread_tryjoin_np(sp->threads[k], NULL) == 0)
				sp->started[k] = 0;
			running |= sp->started[k];
		}
	}
	for (k = 0; k < sp->n; k++) {
		if (sp->started[k])
			pthread_join(sp->threads[k], NULL);
		sp->started[k] = 0;
	}
	return 0;
}

/* Prepares part k (k > 0) to read the file from its start. */
static int open_part(struct run *r, const char *path, const char *name, struct split *sp, size_t k, size_t nfields,
		     const size_t *cols, size_t ncols)
{
	struct pb_buf err = PB_BUF_INIT;
	int ret = -1;

	if (pb_input_open_at(path, sp->starts[k], &sp->inputs[k], &err) < 0) {
		report(r, name, 0, 0, pb_buf_str(&err));
		goto out;
	}
	if (pb_csv_init(&sp->csvs[k], pb_input_read, sp->inputs[k], 0) < 0) {
		report(r, name, 0, 0, "out of memory");
		goto out;
	}
	sp->csv_ready[k] = 1;
	pb_csv_expect_fields(&sp->csvs[k], nfields);
	if (pb_csv_project(&sp->csvs[k], cols, ncols) < 0) {
		report(r, name, 0, 0, "out of memory");
		goto out;
	}
	sp->workers[k].csv = &sp->csvs[k];
	sp->workers[k].start = sp->starts[k];
	ret = 0;
out:
	pb_buf_release(&err);
	return ret;
}

/*
 * Opens a file or URL of the run (hashed and fetched ahead when storing). Returns 0, or -1 when the run
 * must stop (reported; a download that failed after its retries is marked for exit 3).
 */
static int open_input(struct run *r, const char *path, struct pb_input **in)
{
	struct pb_buf err = PB_BUF_INIT;
	int rc = pb_input_open_ex(path, r->store ? PB_INPUT_SHA256 | PB_INPUT_PREFETCH : 0, &r->opt->fetch, in, &err);

	if (rc < 0) {
		r->remote_failed |= rc == PB_INPUT_ERR_REMOTE;
		report(r, path, 0, 0, pb_buf_str(&err));
	}
	pb_buf_release(&err);
	return rc < 0 ? -1 : 0;
}

/* Reads one Partner Center JSON lines file into the run's reduction. Returns 0, or -1 when the run must stop. */
static int ingest_jsonl(struct run *r, const char *path)
{
	struct pb_buf err = PB_BUF_INIT, scratch = PB_BUF_INIT;
	struct pb_input *in = NULL;
	struct pb_jsonl j;
	struct pb_format_stats st;
	struct pb_reduce *red = NULL, *names = NULL;
	struct pb_usage u;
	const char *name = path;
	int32_t month = r->store ? r->month : r->opt->month;
	char account[40];
	uint64_t rows = 0;
	uint32_t col;
	int rc, ret = -1, ready = 0;

	pb_stats_reset(&st);
	if (open_input(r, path, &in) < 0)
		goto out;
	name = pb_input_name(in);
	red = pb_reduce_new(r->opt->summary == SUMMARY_ACCOUNTS ? PB_GRAIN_ACCOUNT : PB_GRAIN_DAILY);
	names = pb_reduce_new(PB_GRAIN_DAILY);
	if (!red || !names || pb_jsonl_init(&j, pb_input_read, in, (size_t)64 << 20) < 0) {
		report(r, name, 0, 0, "out of memory");
		goto out;
	}
	ready = 1;
	while ((rc = pb_jsonl_next(&j)) == PB_JSONL_RECORD) {
		if ((++rows & 0x3fff) == 0) {
			pb_buf_reset(&r->label);
			pb_buf_addstr(&r->label, name);
			pb_progress_update(&r->progress, pb_buf_str(&r->label), r->bytes_before + j.bytes,
					   r->rows + rows);
		}
		if (pb_partner_center_row(&st, &j, month, &u, account, &err, &col) < 0) {
			report(r, name, j.line, col, pb_buf_str(&err));
			if (r->errors >= r->opt->max_errors)
				goto out;
			continue;
		}
		if (r->errors)
			continue;
		rc = pb_reduce_add(red, &u);
		if (rc == 0 && r->store)
			rc = pb_worker_add_name(names, &u, &scratch);
		if (rc < 0) {
			report(r, name, j.line, 1,
			       rc == PB_MONEY_ERR_RANGE	     ? "sum out of range"
			       : rc == PB_REDUCE_ERR_TOOLONG ? "a text value is longer than 65535 bytes"
							     : "out of memory");
			goto out;
		}
	}
	if (rc == PB_JSONL_ERR) {
		r->remote_failed |= in && pb_input_remote_failed(in);
		report(r, name, j.err_line, j.err_col, pb_buf_str(&j.err));
		goto out;
	}
	if (r->errors)
		goto out;
	r->rows += rows;
	r->bytes_before += j.bytes;
	pb_stats_warn(stderr, progname, name, &st);
	r->lines += st.lines;
	if (pb_reduce_merge(r->reduce, red) < 0 || pb_reduce_merge(r->names, names) < 0) {
		report(r, name, 0, 0, "out of memory or sum out of range");
		goto out;
	}
	if (r->store && record_file(r, path, in, &red, 1) < 0)
		goto out;
	ret = 0;
out:
	if (ready)
		pb_jsonl_release(&j);
	if (in && pb_input_remote_failed(in))
		r->remote_failed = 1;
	pb_input_free(in);
	pb_reduce_free(red);
	pb_reduce_free(names);
	pb_buf_release(&scratch);
	pb_buf_release(&err);
	return ret;
}

/* Reads one file into the run's reduction. Returns 0, or -1 when the run must stop. */
static int ingest_file(struct run *r, const char *path)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_input *in = NULL;
	struct pb_csv csv;
	struct pb_parser parser;
	struct split *sp = NULL;
	const char *name = path;
	size_t k, cols[PB_PARSER_MAXCOLS], ncols;
	int rc, ret = -1, csv_ready = 0;

	if (open_input(r, path, &in) < 0)
		goto out;
	name = pb_input_name(in);
	if (pb_csv_init(&csv, pb_input_read, in, 0) < 0) {
		report(r, name, 0, 0, "out of memory");
		goto out;
	}
	csv_ready = 1;
	rc = pb_csv_next(&csv);
	if (rc == PB_CSV_END) {
		pb_buf_reset(&err);
		pb_buf_addf(&err, "%s: empty file: no header line", name);
		report(r, name, 0, 0, pb_buf_str(&err));
		goto out;
	}
	if (rc < 0) {
		report(r, name, csv.err_line, csv.err_col, pb_buf_str(&csv.err));
		goto out;
	}
	if (pb_parser_bind(&parser, r->opt->kind, &csv, &err) < 0) {
		report(r, name, csv.line, 1, pb_buf_str(&err));
		goto out;
	}
	pb_csv_expect_fields(&csv, csv.nfields);
	ncols = pb_parser_columns(&parser, cols);
	if (pb_csv_project(&csv, cols, ncols) < 0) {
		report(r, name, 0, 0, "out of memory");
		goto out;
	}

	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		report(r, name, 0, 0, "out of memory");
		goto out;
	}
	if (plan_split(sp, in, csv.bytes, pb_input_plain_size(in), r->store ? 1 : r->opt->threads, &err) < 0) {
		report(r, name, 0, 0, pb_buf_str(&err));
		sp->n = 0;
		goto out;
	}
	for (k = 0; k < sp->n; k++) {
		struct pb_worker *w = &sp->workers[k];

		w->parser = parser;
		w->month = r->store ? r->month : 0;
		w->max_errors = r->opt->max_errors;
		w->stops = sp->starts + k + 1;
		w->nstops = sp->n - k - 1;
		w->reduce = pb_reduce_new(r->opt->summary == SUMMARY_ACCOUNTS ? PB_GRAIN_ACCOUNT : PB_GRAIN_DAILY);
		if (r->store)
			w->names = pb_reduce_new(PB_GRAIN_DAILY);
		if (!w->reduce || (r->store && !w->names)) {
			report(r, name, 0, 0, "out of memory");
			goto out;
		}
		if (k == 0)
			w->csv = &csv;
		else if (open_part(r, path, name, sp, k, csv.nfields, cols, ncols) < 0)
			goto out;
	}
	if (run_parts(r, name, sp) < 0)
		goto out;
	pb_stats_reset(&parser.st);
	if (collect(r, name, sp, &parser.st) < 0)
		goto out;
	pb_stats_warn(stderr, progname, name, &parser.st);
	r->lines += parser.st.lines;
	r->no_invoice += parser.st.no_invoice;
	if (r->store) {
		struct pb_reduce *parts[MAX_THREADS];

		for (k = 0; k < sp->n; k++)
			parts[k] = sp->workers[k].reduce;
		if (record_file(r, path, in, parts, sp->n) < 0)
			goto out;
	}
	ret = 0;
out:
	if (sp) {
		release_split(sp);
		free(sp);
	}
	if (csv_ready)
		pb_csv_release(&csv);
	if (in && pb_input_remote_failed(in))
		r->remote_failed = 1;
	pb_input_free(in);
	pb_buf_release(&err);
	return ret;
}

static void add_amount(struct pb_buf *out, pb_money m, uint64_t lines)
{
	char num[PB_MONEY_STRMAX];

	if (lines) {
		pb_money_format_canonical(m, num);
		pb_buf_addstr(out, num);
	}
}

static int write_all(const struct pb_buf *b)
{
	return fwrite(b->ptr ? b->ptr : "", 1, b->len, stdout) == b->len ? 0 : -1;
}

/* Flushes the buffered output once it is large; -1 when stdout fails. */
static int flush_some(struct pb_buf *b)
{
	if (b->failed)
		return -1;
	if (b->len < ((size_t)1 << 16))
		return 0;
	if (write_all(b) < 0)
		return -1;
	pb_buf_reset(b);
	return 0;
}

static int print_daily(const char *vendor, const struct pb_daily *const *rows, size_t n)
{
	struct pb_buf out = PB_BUF_INIT;
	char date[11];
	size_t i;
	int rc = 0;

	pb_buf_addstr(&out, "vendor,billing_month,partner_account_id,usage_date,charge_category,service,region,"
			    "currency,list_cost,billed_cost,line_count\n");
	for (i = 0; i < n && rc == 0; i++) {
		const struct pb_daily *d = rows[i];

		pb_buf_addf(&out, "%s,", vendor);
		pb_date_format(d->billing_month, date);
		pb_buf_addf(&out, "%s,", date);
		pb_buf_add_csv_field(&out, d->account.ptr, d->account.len);
		pb_date_format(d->usage_date, date);
		pb_buf_addf(&out, ",%s,", date);
		pb_buf_add_csv_field(&out, d->category.ptr, d->category.len);
		pb_buf_addch(&out, ',');
		pb_buf_add_csv_field(&out, d->service.ptr, d->service.len);
		pb_buf_addch(&out, ',');
		pb_buf_add_csv_field(&out, d->region.ptr, d->region.len);
		pb_buf_addch(&out, ',');
		pb_buf_add_csv_field(&out, d->currency.ptr, d->currency.len);
		pb_buf_addch(&out, ',');
		add_amount(&out, d->list_cost, d->list_lines);
		pb_buf_addch(&out, ',');
		add_amount(&out, d->billed_cost, d->billed_lines);
		pb_buf_addf(&out, ",%llu\n", (unsigned long long)d->line_count);
		rc = flush_some(&out);
	}
	if (rc == 0)
		rc = out.failed ? -1 : write_all(&out);
	pb_buf_release(&out);
	return rc;
}

/*
 * Per-account totals: one row per account and currency, sorted by account. An account billed in two
 * currencies has no single total.
 */
static int print_accounts(const struct pb_daily *const *rows, size_t n)
{
	struct pb_buf out = PB_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i + 1 < n; i++) {
		const struct pb_text *a = &rows[i]->account, *b = &rows[i + 1]->account;

		if (a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0) {
			fprintf(stderr,
				"%s: partner account '%.*s' has lines in more than one currency (%.*s, %.*s); use "
				"--summary=daily\n",
				progname, (int)a->len, a->ptr, (int)rows[i]->currency.len, rows[i]->currency.ptr,
				(int)rows[i + 1]->currency.len, rows[i + 1]->currency.ptr);
			return -3;
		}
	}
	pb_buf_addstr(&out, "partner_account_id,list_cost,billed_cost\n");
	for (i = 0; i < n && rc == 0; i++) {
		pb_buf_add_csv_field(&out, rows[i]->account.ptr, rows[i]->account.len);
		pb_buf_addch(&out, ',');
		add_amount(&out, rows[i]->list_cost, rows[i]->list_lines);
		pb_buf_addch(&out, ',');
		add_amount(&out, rows[i]->billed_cost, rows[i]->billed_lines);
		pb_buf_addch(&out, '\n');
		rc = flush_some(&out);
	}
	if (rc == 0)
		rc = out.failed ? -1 : write_all(&out);
	pb_buf_release(&out);
	return rc;
}

/* The reduced rows must add up to exactly what was read, line by line. */
static int check_totals(struct pb_reduce *red, const struct pb_daily *const *rows, size_t n)
{
	pb_money list, billed, raw_list, raw_billed;
	uint64_t lines, raw_lines;

	pb_reduce_totals(red, &raw_list, &raw_billed, &raw_lines);
	if (pb_reduce_sum_rows(rows, n, &list, &billed, &lines) < 0 || pb_money_cmp(list, raw_list) ||
	    pb_money_cmp(billed, raw_billed) || lines != raw_lines)
		return -1;
	return 0;
}

/* The billing month of the first line of path, for the import's lock. 1 when found, 0 when no line. */
static int peek_month(const struct options *opt, const char *path, int32_t *month, struct pb_buf *err)
{
	struct pb_input *in = NULL;
	struct pb_csv csv;
	struct pb_parser parser;
	struct pb_usage u;
	size_t field;
	int rc, ret = -1, ready = 0;

	if (strcmp(path, "-") == 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "reading standard input into the store needs --month YYYY-MM");
		return -1;
	}
	if (pb_input_open_ex(path, 0, &opt->fetch, &in, err) < 0)
		goto out;
	if (pb_csv_init(&csv, pb_input_read, in, 0) < 0)
		goto out;
	ready = 1;
	rc = pb_csv_next(&csv);
	if (rc == PB_CSV_RECORD && pb_parser_bind(&parser, opt->kind, &csv, err) == 0) {
		pb_csv_expect_fields(&csv, csv.nfields);
		rc = pb_csv_next(&csv);
		if (rc == PB_CSV_END) {
			ret = 0;
		} else if (rc == PB_CSV_RECORD && pb_parser_row(&parser, &csv, &u, err, &field) == 0) {
			*month = u.billing_month;
			ret = 1;
		}
	} else if (rc == PB_CSV_END) {
		ret = 0;
	}
	if (ret < 0 && !err->len) {
		/* The full read reports the exact problem with its position; the lock needs a month first. */
		pb_buf_addf(err, "%s: cannot read the billing month of the first line (see the errors below)", path);
	}
out:
	if (ready)
		pb_csv_release(&csv);
	pb_input_free(in);
	return ret;
}

/* The default source: the folder of the first file, as a file:// URI, or of the first URL. */
static char *default_source(const char *path)
{
	char abs[PATH_MAX], *slash;

	if (strcmp(path, "-") == 0)
		return strdup("stdin");
	if (pb_fetch_is_url(path) || strncmp(path, "file://", 7) == 0) {
		/* The folder of the object: s3://bucket/prefix/report for s3://bucket/prefix/report/part. */
		size_t n = strcspn(path, "?");
		const char *last = memrchr(path, '/', n);

		return strndup(path, (size_t)(last - path));
	}
	if (!realpath(path, abs))
		return NULL;
	slash = strrchr(abs, '/');
	if (slash && slash != abs)
		*slash = '\0';
	return file_uri(abs);
}

/* --history: the imports, with their status, files, lines and totals. */
static int show_history(const struct options *opt)
{
	struct pb_buf err = PB_BUF_INIT;
	PGconn *conn = pb_db_connect("pb-ingest", &err);
	int status = EXIT_DEPENDENCY;

	if (conn && pb_db_check_schema(conn, &err) == 0 && pb_store_history(conn, opt->month, stdout, &err) == 0)
		status = 0;
	else
		fprintf(stderr, "%s: %s\n", progname, pb_buf_str(&err));
	PQfinish(conn);
	pb_buf_release(&err);
	return status;
}

/* YYYY-MM-DD of a day number, in a static buffer: for messages. */
static const char *month_text(int32_t day)
{
	static char buf[11];

	pb_date_format(day, buf);
	return buf;
}

/*
 * The parts of one delivery of the report at --source for --month: the legacy CUR manifest, else the
 * CUR 2.0 one. Returns 0 or an exit status.
 */
static int load_manifest(const struct options *opt, struct pb_manifest *m)
{
	if (opt->kind == PB_FORMAT_PARTNER_CENTER) {
		struct pb_buf err = PB_BUF_INIT;
		struct pb_pc_export x = {opt->month, opt->invoice, opt->currency, opt->billing_period,
					 opt->poll_timeout};
		int rc = pb_pc_export_load(m, &x, &err);

		if (rc != 0)
			fprintf(stderr, "%s: %s\n", progname, pb_buf_str(&err));
		pb_buf_release(&err);
		return rc == 0 ? 0 : rc == -2 ? EXIT_USAGE : EXIT_DEPENDENCY;
	}
	if (opt->kind == PB_FORMAT_AZURE_COST) {
		struct pb_buf err = PB_BUF_INIT;
		int rc = pb_azure_export_load(m, opt->source, opt->month, &opt->fetch, stderr, &err);

		if (rc != 0)
			fprintf(stderr, "%s: %s\n", progname, pb_buf_str(&err));
		pb_buf_release(&err);
		return rc == 0 ? 0 : rc == -2 ? EXIT_USAGE : rc == -1 ? EXIT_DATA : EXIT_DEPENDENCY;
	}

	struct pb_buf err = PB_BUF_INIT;
	char *url[2] = {pb_manifest_url(opt->source, opt->month, 0), pb_manifest_url(opt->source, opt->month, 1)};
	int i, rc = 1, status = 0;

	for (i = 0; i < 2 && rc == 1 && url[i]; i++) {
		pb_manifest_release(m);
		rc = pb_manifest_load(m, url[i], &opt->fetch, &err);
		if (i == 0 && strcmp(url[0], url[1]) == 0)
			break;
	}
	if (rc == 1) {
		fprintf(stderr, "%s: no manifest for %.7s at %s%s%s\n", progname, month_text(opt->month), url[0],
			strcmp(url[0], url[1]) ? " or " : "", strcmp(url[0], url[1]) ? url[1] : "");
		status = EXIT_DEPENDENCY;
	} else if (rc < 0) {
		fprintf(stderr, "%s: %s\n", progname, pb_buf_str(&err));
		status = rc == -3 ? EXIT_DEPENDENCY : EXIT_DATA;
	} else if (m->period_start != opt->month) {
		fprintf(stderr, "%s: %s: the manifest is for the billing period of %s, not %.7s\n", progname, m->url,
			month_text(m->period_start), opt->source ? month_text(opt->month) : "");
		status = EXIT_DATA;
	} else if (m->nparts == 0) {
		fprintf(stderr, "%s: %s: the manifest lists no report files\n", progname, m->url);
		status = EXIT_DATA;
	}
	free(url[0]);
	free(url[1]);
	pb_buf_release(&err);
	return status;
}

/* Connects and takes the import's lock. Returns 0, -1 when there is nothing to do, or an exit status. */
static int store_open(struct run *run, const struct options *opt, const char *first, PGconn **conn,
		      struct pb_store_import *im, char **source)
{
	struct pb_buf err = PB_BUF_INIT;
	int rc, status = 0;

	if (!opt->source && run->exported) {
		/* The Partner Center export: what it holds, not where its blobs happened to be. */
		if (asprintf(source, "partner-center:%s:%s", opt->invoice ? "billed" : "unbilled",
			     opt->invoice ? opt->invoice : opt->currency) < 0)
			*source = NULL;
	} else if (!opt->source)
		*source = default_source(first);
	else if (opt->kind == PB_FORMAT_AWS_CUR)
		*source = strdup(opt->source);
	else
		*source = pb_azure_export_source(opt->source); /* never a SAS signature in the database */
	if (!*source) {
		fprintf(stderr, "%s: cannot open '%s': %s\n", progname, first, strerror(errno));
		return EXIT_DATA;
	}
	run->month = opt->month;
	if (!run->month) {
		rc = peek_month(opt, first, &run->month, &err);
		if (rc == 0) {
			fprintf(stderr, "%s: %s: no line items, so no billing month: give --month YYYY-MM\n", progname,
				first);
			status = EXIT_DATA;
		}
		if (rc < 0) {
			fprintf(stderr, "%s: %s\n", progname, pb_buf_str(&err));
			status = EXIT_DATA;
		}
		if (status)
			goto out;
	}
	*conn = pb_db_connect("pb-ingest", &err);
	if (!*conn || pb_db_check_schema(*conn, &err) < 0) {
		fprintf(stderr, "%s: %s\n", progname, pb_buf_str(&err));
		status = EXIT_DEPENDENCY;
		goto out;
	}
	im->vendor = pb_format_vendor(opt->kind);
	im->source = *source;
	im->billing_month = run->month;
	if (im->assembly_id) {
		long long done;

		if (pb_store_committed_assembly(*conn, im, &done, &err) < 0) {
			fprintf(stderr, "%s: %s\n", progname, pb_buf_str(&err));
			status = EXIT_DEPENDENCY;
			goto out;
		}
		if (done) {
			printf("assembly %s of %s %.7s from %s is committed already as import %lld: nothing to do\n",
			       im->assembly_id, im->vendor, month_text(im->billing_month), im->source, done);
			status = -1;
			goto out;
		}
	}
	rc = pb_store_begin(*conn, im, &err);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", progname, pb_buf_str(&err));
		status = rc == PB_STORE_ERR_LOCKED ? EXIT_REFUSED : EXIT_DEPENDENCY;
	}
out:
	pb_buf_release(&err);
	return status;
}

/* Commits the import and says what it holds. Returns 0 or an exit status. */
static int store_close(struct run *run, PGconn *conn, const struct pb_store_import *im,
		       const struct pb_daily *const *rows, size_t n)
{
	struct pb_buf err = PB_BUF_INIT;
	char list[PB_MONEY_STRMAX], billed[PB_MONEY_STRMAX], month[11];
	pb_money lt, bt;
	uint64_t lines;
	int rc;

	rc = pb_store_commit(conn, im, rows, n, run->files, run->nfiles, &err);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", progname, pb_buf_str(&err));
		pb_store_fail(conn, im, pb_buf_str(&err));
		pb_buf_release(&err);
		return rc == PB_STORE_ERR_DATA ? EXIT_DATA : EXIT_DEPENDENCY;
	}
	pb_reduce_totals(run->reduce, &lt, &bt, &lines);
	pb_money_format_canonical(lt, list);
	pb_money_format_canonical(bt, billed);
	pb_date_format(im->billing_month, month);
	printf("import %lld committed: %s %.7s from %s: %zu file%s, %llu lines, %zu daily rows, list_cost %s, "
	       "billed_cost %s\n",
	       im->id, im->vendor, month, im->source, run->nfiles, run->nfiles == 1 ? "" : "s",
	       (unsigned long long)lines, n, list, billed);
	pb_buf_release(&err);
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct run run;
	struct pb_store_import im;
	const struct pb_daily *const *rows;
	PGconn *conn = NULL;
	char *source = NULL;
	const char *const *files;
	struct pb_manifest man;
	size_t n, nfiles, k;
	int i, rc, status = 0;

	if (parse_args(argc, argv, &opt) < 0)
		return EXIT_USAGE;
	if (opt.history)
		return show_history(&opt);
	for (i = optind - 1; i < argc; i++) {
		struct pb_buf err = PB_BUF_INIT;
		const char *p = i < optind ? opt.source : argv[i];

		if (!p || strncmp(p, "s3://", 5) != 0)
			continue;
		if (pb_fetch_s3_from_env(&opt.s3, opt.endpoint, &err) < 0) {
			fprintf(stderr, "%s: %s\n", progname, pb_buf_str(&err));
			pb_buf_release(&err);
			return EXIT_USAGE;
		}
		opt.fetch.s3 = &opt.s3;
		break;
	}
	{
		struct pb_buf err = PB_BUF_INIT;

		/* Shared Key signs Blob Storage requests only: other formats' URLs never get it. */
		rc = opt.kind == PB_FORMAT_AZURE_COST ? pb_fetch_azure_from_env(&opt.azure, &err) : 1;
		if (rc < 0) {
			fprintf(stderr, "%s: %s\n", progname, pb_buf_str(&err));
			pb_buf_release(&err);
			pb_fetch_s3_release(&opt.s3);
			return EXIT_USAGE;
		}
		if (rc == 0)
			opt.fetch.azure = &opt.azure;
		pb_buf_release(&err);
	}
	memset(&run, 0, sizeof(run));
	memset(&im, 0, sizeof(im));
	memset(&man, 0, sizeof(man));
	pb_buf_init(&run.first_error, 0);
	pb_buf_init(&run.label, 0);
	run.opt = &opt;
	run.store = opt.summary == SUMMARY_NONE;
	run.reduce = pb_reduce_new(opt.summary == SUMMARY_ACCOUNTS ? PB_GRAIN_ACCOUNT : PB_GRAIN_DAILY);
	run.names = pb_reduce_new(PB_GRAIN_DAILY);
	if (!run.reduce || !run.names) {
		fprintf(stderr, "%s: out of memory\n", progname);
		return EXIT_DATA;
	}
	files = (const char *const *)argv + optind;
	nfiles = (size_t)(argc - optind);
	if (!nfiles) {
		status = load_manifest(&opt, &man);
		if (status)
			goto out;
		files = (const char *const *)man.parts;
		nfiles = man.nparts;
		im.assembly_id = man.assembly_id;
		run.exported = opt.kind == PB_FORMAT_PARTNER_CENTER;
	}
	if (run.store) {
		status = store_open(&run, &opt, files[0], &conn, &im, &source);
		if (status == -1)
			status = 0;
		if (status || !conn || im.id <= 0)
			goto out;
	}
	pb_progress_init(&run.progress, opt.progress ? stderr : NULL);
	run.nparts = nfiles;
	for (k = 0; k < nfiles; k++) {
		run.part = k;
		rc = opt.kind == PB_FORMAT_PARTNER_CENTER ? ingest_jsonl(&run, files[k]) : ingest_file(&run, files[k]);
		if (rc < 0 || run.errors)
			break;
		if (run.store)
			pb_store_test_pause("read");
	}
	if (run.errors) {
		status = run.remote_failed ? EXIT_DEPENDENCY : EXIT_DATA;
		pb_store_fail(conn, &im, pb_buf_str(&run.first_error));
		goto out;
	}
	pb_progress_finish(&run.progress, "total", run.bytes_before, run.rows);
	rows = pb_reduce_sorted(run.reduce, &n);
	if (!rows) {
		fprintf(stderr, "%s: out of memory\n", progname);
		status = EXIT_DATA;
		goto out;
	}
	if (check_totals(run.reduce, rows, n) < 0) {
		fprintf(stderr, "%s: internal error: daily rows do not add up to the lines read\n", progname);
		pb_store_fail(conn, &im, "internal error: daily rows do not add up to the lines read");
		status = EXIT_DATA;
		goto out;
	}
	if (run.store) {
		/* Only AWS marks a final report, with an invoice id on every line. */
		im.final = opt.kind == PB_FORMAT_AWS_CUR && run.lines > 0 && run.no_invoice == 0;
		im.names = pb_reduce_sorted(run.names, &im.nnames);
		if (!im.names) {
			fprintf(stderr, "%s: out of memory\n", progname);
			status = EXIT_DATA;
			goto out;
		}
		status = store_close(&run, conn, &im, rows, n);
		goto out;
	}
	rc = opt.summary == SUMMARY_DAILY ? print_daily(pb_format_vendor(opt.kind), rows, n) : print_accounts(rows, n);
	if (rc == 0 && fflush(stdout) != 0)
		rc = -1;
	if (rc == -1)
		fprintf(stderr, "%s: cannot write output: %s\n", progname, strerror(errno));
	if (rc < 0)
		status = EXIT_DATA;
out:
	for (k = 0; k < run.nfiles; k++)
		free((char *)run.files[k].uri);
	free(run.files);
	free(source);
	pb_buf_release(&run.first_error);
	pb_buf_release(&run.label);
	pb_fetch_s3_release(&opt.s3);
	pb_fetch_azure_release(&opt.azure);
	pb_manifest_release(&man);
	PQfinish(conn);
	pb_reduce_free(run.reduce);
	pb_reduce_free(run.names);
	return status;
}
