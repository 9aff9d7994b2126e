/* pb-ingest: reads partner exports, normalizes every line, reduces to daily grain; argument parsing and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws_cur.h"
#include "buf.h"
#include "csv.h"
#include "date.h"
#include "input.h"
#include "money.h"
#include "progress.h"
#include "reduce.h"

#include "banned.h"

enum { EXIT_DATA = 1, EXIT_USAGE = 2, EXIT_DEPENDENCY = 3, EXIT_REFUSED = 4 };
enum summary_kind { SUMMARY_NONE, SUMMARY_ACCOUNTS, SUMMARY_DAILY };

struct options {
	const char *format;
	enum summary_kind summary;
	unsigned long max_errors;
	int progress; /* -1: when stderr is a terminal */
};

static const char *progname = "pb-ingest";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pb-ingest --format aws-cur --summary[=accounts|daily] [options] FILE...\n"
		"\n"
		"Reads partner cost exports (plain CSV, gzip or ZIP; - is standard input), normalizes every\n"
		"line item and reduces it to daily grain.\n"
		"\n"
		"  --format FORMAT      the export format: aws-cur (legacy CUR and CUR 2.0)\n"
		"  --summary[=KIND]     print a summary instead of storing: accounts (the default) prints\n"
		"                       partner_account_id,list_cost,billed_cost; daily prints the daily rows\n"
		"  --max-errors N       report up to N bad lines before stopping (default 1)\n"
		"  --progress           show bytes, rows and MB/s on stderr (default when it is a terminal)\n"
		"  --no-progress        never show progress\n"
		"  --help               show this help\n"
		"  --version            show the version\n"
		"\n"
		"Exit status: 0 success, 1 bad input, 2 usage error, 3 a dependency failed, 4 refused by a rule.\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},     {"summary", optional_argument, NULL, 's'},
		{"max-errors", required_argument, NULL, 'm'}, {"progress", no_argument, NULL, 'p'},
		{"no-progress", no_argument, NULL, 'P'},      {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},	      {NULL, 0, NULL, 0},
	};
	int ch;
	char *end;

	memset(o, 0, sizeof(*o));
	o->max_errors = 1;
	o->progress = -1;
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
	if (!o->format) {
		fprintf(stderr, "%s: --format is required (aws-cur)\nTry 'pb-ingest --help'.\n", progname);
		return -1;
	}
	if (strcmp(o->format, "aws-cur") != 0) {
		fprintf(stderr, "%s: unknown format '%s' (aws-cur)\n", progname, o->format);
		return -1;
	}
	if (o->summary == SUMMARY_NONE) {
		fprintf(stderr, "%s: storing to the database is not built yet; use --summary\n", progname);
		return -1;
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no input files\nTry 'pb-ingest --help'.\n", progname);
		return -1;
	}
	if (o->progress < 0)
		o->progress = isatty(STDERR_FILENO);
	return 0;
}

/* The state of one run over all files. */
struct run {
	const struct options *opt;
	struct pb_reduce *reduce;
	struct pb_progress progress;
	uint64_t bytes_before, rows;
	unsigned long errors;
	int fatal;
};

static void report(struct run *r, const char *name, uint64_t line, uint32_t col, const char *msg)
{
	if (line)
		fprintf(stderr, "%s: %s:%llu:%u: %s\n", progname, name, (unsigned long long)line, col, msg);
	else
		fprintf(stderr, "%s: %s\n", progname, msg);
	r->errors++;
}

static void warn_file(const char *name, const struct pb_aws_cur *a)
{
	size_t i;

	if (a->rounded)
		fprintf(stderr,
			"%s: %s: warning: %llu amounts had more than 18 decimal places and were rounded "
			"half-to-even\n",
			progname, name, (unsigned long long)a->rounded);
	for (i = 0; i < a->nunknown; i++)
		fprintf(stderr,
			"%s: %s: warning: %llu lines of unknown line item type '%s' kept as charge category "
			"'%s'\n",
			progname, name, (unsigned long long)a->unknown[i].count, a->unknown[i].name,
			a->unknown[i].name);
	if (a->unknown_other)
		fprintf(stderr, "%s: %s: warning: %llu more lines of other unknown line item types\n", progname, name,
			(unsigned long long)a->unknown_other);
}

/* Reads one file into the reduction. Returns 0, or -1 when the run must stop. */
static int ingest_file(struct run *r, const char *path)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_input *in = NULL;
	struct pb_csv csv;
	struct pb_aws_cur cur;
	struct pb_usage u;
	const char *name;
	size_t field;
	int rc, ret = -1, csv_ready = 0;
	uint64_t line;
	uint32_t col;

	if (pb_input_open(path, &in, &err) < 0) {
		report(r, path, 0, 0, pb_buf_str(&err));
		goto out;
	}
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
	if (pb_aws_cur_bind(&cur, &csv, &err) < 0) {
		report(r, name, csv.line, 1, pb_buf_str(&err));
		goto out;
	}
	pb_csv_expect_fields(&csv, csv.nfields);
	for (;;) {
		rc = pb_csv_next(&csv);
		if (rc == PB_CSV_END)
			break;
		if (rc == PB_CSV_ERR_FATAL) {
			report(r, name, csv.err_line, csv.err_col, pb_buf_str(&csv.err));
			goto out;
		}
		if (rc == PB_CSV_ERR_RECORD) {
			report(r, name, csv.err_line, csv.err_col, pb_buf_str(&csv.err));
			if (r->errors >= r->opt->max_errors)
				goto out;
			continue;
		}
		r->rows++;
		if ((r->rows & 0x3fff) == 0)
			pb_progress_update(&r->progress, name, r->bytes_before + csv.bytes, r->rows);
		if (pb_aws_cur_row(&cur, &csv, &u, &err, &field) < 0) {
			pb_csv_field_pos(&csv, field, &line, &col);
			report(r, name, line, col, pb_buf_str(&err));
			if (r->errors >= r->opt->max_errors)
				goto out;
			continue;
		}
		if (r->errors)
			continue;
		rc = pb_reduce_add(r->reduce, &u);
		if (rc < 0) {
			report(r, name, csv.line, 1,
			       rc == PB_MONEY_ERR_RANGE ? "sum out of range" : "out of memory or value too long");
			goto out;
		}
	}
	warn_file(name, &cur);
	r->bytes_before += csv.bytes;
	ret = 0;
out:
	if (csv_ready)
		pb_csv_release(&csv);
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

static int print_daily(const struct pb_daily *const *rows, size_t n)
{
	struct pb_buf out = PB_BUF_INIT;
	char date[11];
	size_t i;
	int rc = 0;

	pb_buf_addstr(&out, "vendor,billing_month,partner_account_id,usage_date,charge_category,service,region,"
			    "currency,list_cost,billed_cost,line_count\n");
	for (i = 0; i < n && rc == 0; i++) {
		const struct pb_daily *d = rows[i];

		pb_buf_addstr(&out, "aws,");
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

/* Per-account totals from the sorted daily rows: rows of one account are adjacent. */
static int print_accounts(const struct pb_daily *const *rows, size_t n)
{
	struct pb_buf out = PB_BUF_INIT;
	size_t i = 0, j;
	int rc = 0;

	pb_buf_addstr(&out, "partner_account_id,list_cost,billed_cost\n");
	while (i < n && rc == 0) {
		pb_money list = PB_MONEY_ZERO, billed = PB_MONEY_ZERO;
		uint64_t list_lines = 0, billed_lines = 0;

		for (j = i; j < n && rows[j]->account.len == rows[i]->account.len &&
			    memcmp(rows[j]->account.ptr, rows[i]->account.ptr, rows[i]->account.len) == 0;
		     j++) {
			/* Each account's sums are bounded by the run's raw totals, already checked in range. */
			if (pb_money_add(list, rows[j]->list_cost, &list) < 0 ||
			    pb_money_add(billed, rows[j]->billed_cost, &billed) < 0)
				rc = -2;
			list_lines += rows[j]->list_lines;
			billed_lines += rows[j]->billed_lines;
		}
		pb_buf_add_csv_field(&out, rows[i]->account.ptr, rows[i]->account.len);
		pb_buf_addch(&out, ',');
		add_amount(&out, list, list_lines);
		pb_buf_addch(&out, ',');
		add_amount(&out, billed, billed_lines);
		pb_buf_addch(&out, '\n');
		if (rc == 0)
			rc = flush_some(&out);
		i = j;
	}
	if (rc == 0)
		rc = out.failed ? -1 : write_all(&out);
	pb_buf_release(&out);
	return rc;
}

/* The reduced rows must add up to exactly what was read, line by line. */
static int check_totals(struct pb_reduce *red, const struct pb_daily *const *rows, size_t n)
{
	pb_money list = PB_MONEY_ZERO, billed = PB_MONEY_ZERO, raw_list, raw_billed;
	uint64_t lines = 0, raw_lines;
	size_t i;

	pb_reduce_totals(red, &raw_list, &raw_billed, &raw_lines);
	for (i = 0; i < n; i++) {
		if (pb_money_add(list, rows[i]->list_cost, &list) < 0 ||
		    pb_money_add(billed, rows[i]->billed_cost, &billed) < 0)
			return -1;
		lines += rows[i]->line_count;
	}
	if (pb_money_cmp(list, raw_list) || pb_money_cmp(billed, raw_billed) || lines != raw_lines)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct run run;
	const struct pb_daily *const *rows;
	size_t n;
	int i, rc, status = 0;

	if (parse_args(argc, argv, &opt) < 0)
		return EXIT_USAGE;
	memset(&run, 0, sizeof(run));
	run.opt = &opt;
	run.reduce = pb_reduce_new();
	if (!run.reduce) {
		fprintf(stderr, "%s: out of memory\n", progname);
		return EXIT_DATA;
	}
	pb_progress_init(&run.progress, opt.progress ? stderr : NULL);
	for (i = optind; i < argc; i++)
		if (ingest_file(&run, argv[i]) < 0 || run.errors)
			break;
	if (run.errors) {
		status = EXIT_DATA;
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
		status = EXIT_DATA;
		goto out;
	}
	rc = opt.summary == SUMMARY_DAILY ? print_daily(rows, n) : print_accounts(rows, n);
	if (rc == 0 && fflush(stdout) != 0)
		rc = -1;
	if (rc < 0) {
		fprintf(stderr, "%s: cannot write output: %s\n", progname,
			rc == -2 ? "sum out of range" : strerror(errno));
		status = EXIT_DATA;
	}
out:
	pb_reduce_free(run.reduce);
	return status;
}
