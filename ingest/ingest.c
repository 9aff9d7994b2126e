/* The run of shared/DESIGN.md's import protocol: delivery, lock, read, totals check, commit or summary. */
#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "azure_export.h"
#include "conf.h"
#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "fetch.h"
#include "format.h"
#include "input.h"
#include "listprice.h"
#include "log.h"
#include "manifest.h"
#include "pc_export.h"
#include "read.h"
#include "store.h"
#include "summary.h"
#include "tags.h"
#include "testhook.h"
#include "text.h"
#include "url.h"

#include "banned.h"

/* The phases of a run PB_INGEST_TIMING shows, before the store's. */
enum { RUN_PREPARE, RUN_READ, RUN_SORT, RUN_NPHASES };

#define RULES_ENV "PB_MAPPING_RULES"
#define RULES_DEFAULT "config/mapping-rules"
/* The most a rules file may hold, as for pb-accounts. */
#define RULES_MAX ((size_t)1 << 20)

/* Everything one run holds, released in one place. */
struct run {
	const struct pb_ingest_options *o;
	struct pb_fetch_opts fetch;
	struct pb_s3_config s3;
	struct pb_azure_config azure;
	struct pb_tag_keys keys;
	struct pb_manifest man;
	char *man_src; /* where an AWS report's manifest was read (not redacted), to read it again; or NULL */
	struct pb_read read;
	struct pb_ingest_options opt; /* o with this run's fetch settings */
	const char *const *files;
	size_t nfiles;
	PGconn *conn;
	struct pb_store_import im;
	struct pb_listprice *prices;
	char *source;
	int bad_first; /* the first line item is bad: the read reports, nothing else is done */
	/*
	 * Today, UTC, by the database server's clock (pb_db_today), once connected; once the import is recorded, the
	 * day of its stamp (started_at), which is what says later whether it was stored while its month ran.
	 */
	int32_t today;
	/* PB_INGEST_TIMING: nanoseconds per phase of the run, then of the store's commit. */
	int64_t ns[RUN_NPHASES + PB_STORE_NPHASES];
	struct timespec t;
};

/* YYYY-MM-DD of a day number, in a static buffer: for messages. */
static const char *day_text(int32_t day)
{
	static char buf[11];

	pb_date_format(day, buf);
	return buf;
}

/* Adds the time since the last mark to phase which. */
static void mark(struct run *run, int which)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	run->ns[which] += (int64_t)(now.tv_sec - run->t.tv_sec) * 1000000000 + (now.tv_nsec - run->t.tv_nsec);
	run->t = now;
}

static int is_s3(const char *p)
{
	return p && strncmp(p, "s3://", 5) == 0;
}

/* Credentials for s3:// files and Shared Key for Blob Storage, from the environment, as the run needs them. */
static int setup_fetch(struct run *run)
{
	const struct pb_ingest_options *o = run->o;
	struct pb_buf err = PB_BUF_INIT;
	int ret = 0, rc, s3 = is_s3(o->source);
	size_t k;

	run->opt = *o;
	for (k = 0; k < o->nfiles; k++)
		s3 |= is_s3(o->files[k]);
	if (s3 && pb_fetch_s3_from_env(&run->s3, o->endpoint, &err) < 0)
		ret = PB_ERR_USAGE;
	if (s3 && ret == 0)
		run->opt.fetch.s3 = &run->s3;
	/* Shared Key signs Blob Storage requests only: other formats' URLs never get it. */
	rc = ret == 0 && o->kind == PB_FORMAT_AZURE_COST ? pb_fetch_azure_from_env(&run->azure, &err) : 1;
	if (rc < 0)
		ret = PB_ERR_USAGE;
	if (rc == 0)
		run->opt.fetch.azure = &run->azure;
	/* A URL the key may not go to is refused before anything is sent. */
	for (k = 0; rc == 0 && ret == 0 && k <= o->nfiles; k++) {
		const char *url = k < o->nfiles ? o->files[k] : o->source;

		if (url && pb_azure_key_allowed(&run->azure, url, &err) < 0)
			ret = PB_ERR_USAGE;
	}
	if (ret)
		pb_error("%s", pb_buf_str(&err));
	pb_buf_release(&err);
	return ret;
}

/* The tag keys recorded as names: --tag-keys, else those the mapping rules read. */
static int setup_tag_keys(struct run *run)
{
	const struct pb_ingest_options *o = run->o;
	struct pb_buf err = PB_BUF_INIT, text = PB_BUF_INIT, shown = PB_BUF_INIT;
	const char *env = getenv(RULES_ENV);
	int named = o->rules || (env && *env);
	const char *rules = o->rules ? o->rules : named ? env : RULES_DEFAULT;
	int ret = 0, rc;

	if (o->tag_keys) {
		if (pb_tag_keys_parse(&run->keys, o->tag_keys) < 0) {
			pb_error("out of memory");
			ret = PB_ERR_DATA;
		}
	} else if (named || access(rules, F_OK) == 0 || errno != ENOENT) {
		/*
		 * Read as pb-accounts reads the rules. A file or address named is meant: one that is not there is an
		 * error, not rules that read no tag. Only the default may be missing.
		 */
		rc = pb_conf_read(rules, RULES_MAX, &text, &shown, &err);
		if (rc < 0) {
			pb_error("%s", pb_buf_str(&err));
			ret = rc;
		} else if (pb_tag_keys_from_text(&run->keys, text.ptr, text.len) < 0) {
			pb_error("out of memory");
			ret = PB_ERR_DATA;
		}
	}
	pb_buf_release(&err);
	pb_buf_release(&text);
	pb_buf_release(&shown);
	return ret;
}

/* The Partner Center export's manifest. */
static int load_pc_export(const struct pb_ingest_options *o, struct pb_manifest *m)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_pc_export x = {o->month, o->invoice, o->currency, o->billing_period, o->poll_timeout};
	int rc = pb_pc_export_load(m, &x, &err);

	if (rc != 0)
		pb_error("%s", pb_buf_str(&err));
	pb_buf_release(&err);
	return rc == 0 ? 0 : rc == -2 ? PB_ERR_USAGE : rc == -3 ? PB_ERR_DATA : PB_ERR_DEPENDENCY;
}

/* The newest complete run of an Azure export in Blob Storage. */
static int load_azure_export(const struct pb_ingest_options *o, struct pb_manifest *m)
{
	struct pb_buf err = PB_BUF_INIT;
	int rc = pb_azure_export_load(m, o->source, o->month, &o->fetch, stderr, &err);

	if (rc != 0)
		pb_error("%s", pb_buf_str(&err));
	pb_buf_release(&err);
	if (rc == 0 && m->nparts == 0) {
		/* As an AWS manifest that lists no report files: never an import of nothing. */
		pb_error("%s: the run's manifest lists no blobs", m->url);
		return PB_ERR_DATA;
	}
	return rc == 0 ? 0 : rc == -2 ? PB_ERR_USAGE : rc == -1 ? PB_ERR_DATA : PB_ERR_DEPENDENCY;
}

/* Checks what an AWS manifest says against what the run asked for. */
static int check_manifest(const struct pb_ingest_options *o, const struct pb_manifest *m)
{
	if (m->period_start != o->month) {
		pb_error("%s: the manifest is for the billing period of %s, not %.7s", m->url,
			 day_text(m->period_start), o->source ? day_text(o->month) : "");
		return PB_ERR_DATA;
	}
	if (m->nparts == 0) {
		pb_error("%s: the manifest lists no report files", m->url);
		return PB_ERR_DATA;
	}
	return 0;
}

/* The legacy CUR manifest of the report at --source, else the CUR 2.0 one. */
static int load_aws_manifest(const struct pb_ingest_options *o, struct pb_manifest *m, char **src)
{
	struct pb_buf err = PB_BUF_INIT;
	char *url[2] = {pb_manifest_url(o->source, o->month, 0), pb_manifest_url(o->source, o->month, 1)};
	int i, rc = 1, ret = 0;

	for (i = 0; i < 2 && rc == 1 && url[i]; i++) {
		pb_manifest_release(m);
		rc = pb_manifest_load(m, url[i], &o->fetch, &err);
		if (rc == 0)
			*src = strdup(url[i]);
		if (i == 0 && strcmp(url[0], url[1]) == 0)
			break;
	}
	if (rc == 1) {
		pb_buf_reset(&err);
		pb_buf_addf(&err, "no manifest for %.7s at ", day_text(o->month));
		pb_url_add(&err, url[0]);
		if (url[1] && strcmp(url[0], url[1]) != 0) {
			pb_buf_addstr(&err, " or ");
			pb_url_add(&err, url[1]);
		}
		pb_error("%s", pb_buf_str(&err));
		/*
		 * A bucket AWS has not written the month's manifest to yet: a dependency, retried. A local folder
		 * (file://) gets nothing while a retry waits, and its absence is known before connecting: bad input.
		 */
		ret = strncmp(o->source, "file://", 7) == 0 ? PB_ERR_DATA : PB_ERR_DEPENDENCY;
	} else if (rc < 0) {
		pb_error("%s", pb_buf_str(&err));
		ret = rc == -3 ? PB_ERR_DEPENDENCY : PB_ERR_DATA;
	} else if (!*src) {
		pb_error("out of memory");
		ret = PB_ERR_DATA;
	} else {
		ret = check_manifest(o, m);
	}
	free(url[0]);
	free(url[1]);
	pb_buf_release(&err);
	return ret;
}

/*
 * The unbilled usage's billing period of the Partner Center export when --billing-period is not given: current for
 * today's month, last for the one before, today being the database server's (pb_db_today, the day pb-ingest --final
 * and pb-invoice --issue take), so that a machine whose clock is off does not store last month's usage as this
 * month's. A --summary, which stores nothing and does not connect, takes the machine's clock. 0, or an error (said).
 */
static int pc_billing_period(struct run *run)
{
	struct pb_ingest_options *o = &run->opt;
	struct pb_buf err = PB_BUF_INIT;
	PGconn *conn = NULL;
	int32_t today = (int32_t)(time(NULL) / 86400);
	int ret = 0;

	if (o->invoice || o->billing_period)
		return 0;
	if (run->o->summary == PB_SUMMARY_NONE) {
		conn = pb_db_connect("pb-ingest", &err);
		if (!conn || pb_db_check_schema(conn, &err) < 0 || pb_db_today(conn, &today, &err) < 0) {
			pb_error("%s", pb_buf_str(&err));
			ret = PB_ERR_DEPENDENCY;
			goto out;
		}
	}
	o->billing_period = pb_pc_billing_period(o->month, today);
	if (!o->billing_period) {
		pb_error("unbilled usage is of the current or the last month only (today is %s%s); give --invoice ID "
			 "for "
			 "an older month",
			 day_text(today), conn ? " by the database server's clock" : ", UTC");
		ret = PB_ERR_USAGE;
	}
out:
	PQfinish(conn);
	pb_buf_release(&err);
	return ret;
}

/* The parts of the delivery the run reads when no file is named. */
static int load_delivery(struct run *run)
{
	const struct pb_ingest_options *o = &run->opt;
	int rc;

	if (o->kind == PB_FORMAT_PARTNER_CENTER) {
		rc = pc_billing_period(run);
		if (rc == 0)
			rc = load_pc_export(o, &run->man);
	} else if (o->kind == PB_FORMAT_AZURE_COST) {
		rc = load_azure_export(o, &run->man);
	} else {
		rc = load_aws_manifest(o, &run->man, &run->man_src);
	}
	if (rc)
		return rc;
	run->files = (const char *const *)run->man.parts;
	run->nfiles = run->man.nparts;
	run->im.assembly_id = run->man.assembly_id;
	run->im.submitted = run->man.submitted;
	run->im.newer_runs = (const char *const *)run->man.newer_runs;
	run->im.newer_submitted = (const char *const *)run->man.newer_submitted;
	run->im.nnewer = run->man.nnewer;
	if (o->kind == PB_FORMAT_AZURE_COST && run->man.etags) {
		run->im.parts = (const char *const *)run->man.parts;
		run->im.part_etags = (const char *const *)run->man.etags;
		run->im.nparts = run->man.nparts;
	}
	return 0;
}

/* The default source: the folder of the first file, as a file:// URI, or of the first URL. */
/*
 * The length of folder (n bytes) without its last two segments when these are a period's folder and a run's,
 * PERIOD/RUN with PERIOD yyyymmdd-yyyymmdd and RUN a GUID: AWS writes each assembly of a legacy report to
 * REPORT/PERIOD/ASSEMBLYID/, Cost Management each run of an export to EXPORT/PERIOD/RUNID/. Else n.
 */
static size_t report_folder(const char *folder, size_t n)
{
	const char *run = memrchr(folder, '/', n), *period;
	size_t i;

	if (!run || run == folder)
		return n;
	period = memrchr(folder, '/', (size_t)(run - folder));
	if (!period || period == folder || run - period - 1 != 17 || period[9] != '-' ||
	    !pb_valid_guid(run + 1, (size_t)(folder + n - run - 1)))
		return n;
	for (i = 1; i <= 17; i++)
		if (i != 9 && (period[i] < '0' || period[i] > '9'))
			return n;
	return (size_t)(period - folder);
}

static char *default_source(const char *path)
{
	char abs[PATH_MAX], *slash;

	if (strcmp(path, "-") == 0)
		return strdup("stdin");
	if (pb_fetch_is_url(path) || strncmp(path, "file://", 7) == 0) {
		/*
		 * The folder of the object: s3://bucket/prefix/report for s3://bucket/prefix/report/part. Taken from
		 * the address as it is recorded, so that no signed query (in a folder's name too) is kept.
		 */
		char *shown = pb_url_redact(path);
		size_t n = shown ? strcspn(shown, pb_fetch_is_url(shown) ? "?#" : "") : 0;
		const char *last = shown ? memrchr(shown, '/', n) : NULL;

		if (shown && last)
			shown[report_folder(shown, (size_t)(last - shown))] = '\0';
		return shown;
	}
	if (!realpath(path, abs))
		return NULL;
	slash = strrchr(abs, '/');
	if (slash && slash != abs)
		*slash = '\0';
	abs[report_folder(abs, strlen(abs))] = '\0';
	/* A folder saved under its URL may hold a SAS: recorded as a URL is. */
	return pb_url_file_uri(abs);
}

/* The source an import of the run replaces imports of. NULL (errno set) when it cannot be had. */
static char *import_source(const struct pb_ingest_options *o, const char *first, int exported)
{
	char *s = NULL;

	if (!o->source && exported) {
		/* The Partner Center export: what it holds, not where its blobs happened to be. */
		if (asprintf(&s, "partner-center:%s:%s", o->invoice ? "billed" : "unbilled",
			     o->invoice ? o->invoice : o->currency) < 0)
			s = NULL;
		return s;
	}
	if (!o->source)
		return default_source(first);
	if (o->kind == PB_FORMAT_AWS_CUR)
		return pb_url_redact(o->source);
	return pb_azure_export_source(o->source); /* never a SAS signature in the database */
}

/* The run's billing month: --month, else the first line's (for standard input in --summary: lazily). */
static int find_month(struct run *run)
{
	const char *first = run->files[0];
	int32_t month = 0;
	int rc;

	if (run->opt.month)
		return 0;
	/*
	 * A summary takes the month of its first line as it reads (standard input, pipes, downloads: they are
	 * never split, so one reader sees every line in order); only a regular local file, which may be split, is
	 * peeked.
	 */
	if (!run->read.store && (pb_read_is_stream(first) || pb_fetch_is_url(first)))
		return 0;
	rc = pb_read_peek_month(&run->read, first, &month);
	if (rc == PB_READ_BAD_FIRST) {
		/* No month, so no lock: the read only reports what is wrong, and nothing is stored. */
		run->read.store = 0;
		run->bad_first = 1;
		return 0;
	}
	if (rc < 0)
		return run->read.remote_failed ? PB_ERR_DEPENDENCY : PB_ERR_DATA;
	if (rc == 0 && run->read.store) {
		char *shown = pb_url_redact(first);
		struct pb_log_where w = {.file = shown ? shown : "?"};

		pb_log(PB_LOG_ERROR, &w, "no line items, so no billing month: give --month YYYY-MM");
		free(shown);
		return PB_ERR_DATA;
	}
	run->read.month = month;
	return 0;
}

/*
 * The price lists that fill the list costs the export leaves out (CSV formats): the prices in force in the
 * month, and for Azure in the month before too, since its periods take late usage.
 */
static int open_prices(struct run *run)
{
	int32_t month = run->read.month, first = month, last;
	int y, m, d;

	if (run->opt.kind == PB_FORMAT_PARTNER_CENTER)
		return 0;
	pb_date_to_ymd(month, &y, &m, &d);
	last = (m == 12 ? pb_date_from_ymd(y + 1, 1, 1) : pb_date_from_ymd(y, m + 1, 1)) - 1;
	if (run->opt.kind == PB_FORMAT_AZURE_COST)
		first = pb_date_month_start(month - 1);
	run->prices = pb_listprice_new(run->conn, pb_format_vendor(run->opt.kind), first, last);
	run->read.prices = run->prices;
	if (!run->prices)
		return -1;
	{
		const char *p[1] = {pb_format_vendor(run->opt.kind)};
		struct pb_buf err = PB_BUF_INIT;
		PGresult *res =
			pb_db_query(run->conn,
				    "SELECT EXISTS (SELECT 1 FROM pb.price_load WHERE vendor = $1 AND status IN "
				    "('committed', 'superseded'))",
				    1, p, &err);

		/* Unknown: in order, to be safe. */
		run->read.in_order = !res || strcmp(PQgetvalue(res, 0, 0), "f") != 0;
		PQclear(res);
		pb_buf_release(&err);
	}
	/*
	 * No price list now: the files may be read in parts side by side, in no set order, so a list committed
	 * meanwhile is not used (it would price the tiers of a meter in whatever order the parts' lines came).
	 */
	if (!run->read.in_order && pb_listprice_load_rows(run->prices, "", 0) < 0)
		return -1;
	return 0;
}

/* The last day of the month that starts on day month. */
static int32_t month_last_day(int32_t month)
{
	int y, m, d;

	pb_date_to_ymd(month, &y, &m, &d);
	return (m == 12 ? pb_date_from_ymd(y + 1, 1, 1) : pb_date_from_ymd(y, m + 1, 1)) - 1;
}

/*
 * --final for a month that has not ended (today, by the database server's clock, on or before its last day) is a
 * usage error: an export made while its month runs holds none of the days after it, so it is not the month's final
 * data. Today is the day of the import's stamp (store_open), as for final_by_data. The month is --month's, else the
 * first file's first line's (that file is named). Returns 0, or PB_ERR_USAGE after saying so.
 */
static int check_final_month(const struct run *run)
{
	int32_t month = run->read.month, last = month_last_day(month);
	char first_s[11], last_s[11], today_s[11], *shown;

	if (!run->o->final || run->today > last)
		return 0;
	pb_date_format(month, first_s);
	pb_date_format(last, last_s);
	pb_date_format(run->today, today_s);
	shown = run->o->month ? NULL : pb_url_redact(run->files[0]);
	pb_error("%s%s--final: %.7s%s has not ended: the month ends on %s (UTC; today is %s by the database "
		 "server's clock), and an export made before then holds none of the days after it (store it without "
		 "--final until the month is over)",
		 shown ? shown : "", shown ? ": " : "", first_s, run->o->month ? "" : ", the month of its first line,",
		 last_s, today_s);
	free(shown);
	return PB_ERR_USAGE;
}

/*
 * Whether the assembly committed already as import id is stored again: when its import is not final, and this run
 * would store it final. With --final (an Azure export run, a Partner Center eTag, any assembly the nightly job stored
 * without it and the month close gives again with it), once its month is over (check_final_month): the same bytes
 * are a new import, final, whenever the one committed was stored. An AWS report with an invoice id on every line, or
 * a Partner Center invoice's billed usage, is final once its month is over (final_by_data): when its import is not
 * final only because it was stored while its month ran, the same bytes stored again are a new import, final (a
 * month-to-date report, without an invoice id on every line, is stored again as not final, once: that import was
 * stored after the month). Else the month could never be final from that delivery. 0 with *again, or an error.
 */
static int store_again(struct run *run, long long id, int *again, struct pb_buf *err)
{
	int32_t last = month_last_day(run->read.month);
	int marks =
		run->opt.kind == PB_FORMAT_AWS_CUR || (run->opt.kind == PB_FORMAT_PARTNER_CENTER && run->opt.invoice);

	/*
	 * --final while the month runs, looked at before the import is stamped: not nothing to do, as the stamp's day
	 * decides whether the month has ended (check_final_month).
	 */
	*again = run->today <= last && run->opt.final;
	if (run->today <= last)
		return 0;
	if (run->opt.final)
		return pb_store_not_final(run->conn, id, again, err) < 0 ? PB_ERR_DEPENDENCY : 0;
	if (!marks)
		return 0;
	return pb_store_not_final_by(run->conn, id, last, again, err) < 0 ? PB_ERR_DEPENDENCY : 0;
}

/*
 * Whether the run's assembly is committed already with nothing to store again (then says so): 1, 0 when it is to be
 * stored, or an error with err set. The note of a run rewritten in place goes to rewritten.
 */
static int committed_already(struct run *run, struct pb_buf *rewritten, struct pb_buf *err)
{
	struct pb_store_import *im = &run->im;
	long long done = 0;
	int again = 0;

	if (!im->assembly_id)
		return 0;
	if (pb_store_committed_assembly(run->conn, im, &done, rewritten, err) < 0 ||
	    (done && store_again(run, done, &again, err) < 0))
		return PB_ERR_DEPENDENCY;
	if (!done || again)
		return 0;
	printf("assembly %s of %s %.7s from %s is committed already as import %lld: nothing to do\n", im->assembly_id,
	       im->vendor, day_text(im->billing_month), im->source, done);
	return 1;
}

/* Connects, checks the schema, and takes the import's lock. Returns 0, 1 when there is nothing to do, or an error. */
static int store_open(struct run *run)
{
	struct pb_store_import *im = &run->im;
	struct pb_buf err = PB_BUF_INIT, rewritten = PB_BUF_INIT;
	int rc, ret = 0;

	run->conn = pb_db_connect("pb-ingest", &err);
	if (!run->conn || pb_db_check_schema(run->conn, &err) < 0 || pb_db_today(run->conn, &run->today, &err) < 0) {
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	im->vendor = pb_format_vendor(run->opt.kind);
	im->format = pb_format_name(run->opt.kind);
	im->source = run->source;
	im->billing_month = run->read.month;
	im->allow_empty = run->opt.allow_empty;
	im->allow_not_final = run->opt.allow_not_final;
	ret = committed_already(run, &rewritten, &err);
	if (rewritten.len)
		pb_log(PB_LOG_INFO, NULL, "%s", pb_buf_str(&rewritten));
	if (ret)
		goto out;
	if (im->assembly_id)
		pb_test_pause("assembly-checked");
	rc = pb_store_lock(run->conn, im, &err);
	/* --final while the month runs is said as such, whoever holds the lock: by the clock now. */
	if (rc == PB_STORE_ERR_LOCKED && run->o->final) {
		struct pb_buf ignore = PB_BUF_INIT;

		if (pb_db_today(run->conn, &run->today, &ignore) == 0)
			ret = check_final_month(run);
		pb_buf_release(&ignore);
		if (ret) {
			pb_buf_release(&err);
			pb_buf_release(&rewritten);
			return ret; /* said */
		}
	}
	if (rc < 0) {
		ret = rc == PB_STORE_ERR_LOCKED ? PB_ERR_REFUSED : PB_ERR_DEPENDENCY;
		goto out;
	}
	pb_test_pause("import-begin");
	if (pb_store_begin(run->conn, im, &err) < 0) {
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	/*
	 * A run that connected in the last seconds of a month's last day is stamped on the next: its data marked final
	 * (final_by_data) are final then, as the stamp says they were stored after the month, and so is --final. Taken
	 * as not final, a delivery would never be stored again as final (store_again: it was not stored while its month
	 * ran). --final stamped while the month runs is refused, and the import is not recorded.
	 */
	run->today = im->started_day;
	rc = check_final_month(run);
	/*
	 * Another run of the assembly (the month close run by hand beside the job's rerun) may have committed it
	 * between the look and the lock: looked at again under the lock, else its bytes were stored twice, a second
	 * import. With the day of the stamp, as for the rest: an assembly stored while its month ran, looked at after
	 * midnight by a run that connected before, is stored again, final, not "nothing to do".
	 */
	if (rc == 0) {
		pb_buf_reset(&rewritten);
		ret = committed_already(run, &rewritten, &err);
	}
	/* Refused or nothing to do: the running import is not recorded. */
	if (pb_store_begin_end(run->conn, rc == 0 && ret == 0, &err) < 0)
		ret = PB_ERR_DEPENDENCY;
	if (rc) {
		pb_buf_release(&err);
		pb_buf_release(&rewritten);
		return rc; /* said */
	}
	if (ret == 0 && open_prices(run) < 0) {
		pb_buf_reset(&err);
		pb_buf_addstr(&err, "out of memory");
		ret = PB_ERR_DATA;
	}
out:
	if (ret < 0)
		pb_error("%s", pb_buf_str(&err));
	pb_buf_release(&err);
	pb_buf_release(&rewritten);
	return ret;
}

/*
 * The bytes the progress counts towards, when they are known: every file local, regular and not compressed
 * (the first bytes say so, as for reading). 0 otherwise: downloads and compressed files show no time left.
 */
static uint64_t plain_bytes(const char *const *files, size_t n)
{
	uint64_t sum = 0;
	unsigned char head[4];
	struct stat st;
	size_t k;
	ssize_t got;
	int fd;

	for (k = 0; k < n; k++) {
		/* A pipe is not opened here: its writer would take this open for the read and be left. */
		if (pb_read_is_stream(files[k]) || strstr(files[k], "://"))
			return 0;
		fd = open(files[k], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
		got = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, head, sizeof(head)) : -1;
		close(fd);
		if (got < 0 || (got >= 2 && head[0] == 0x1f && head[1] == 0x8b) ||
		    (got == 4 && memcmp(head, "PK\3\4", 4) == 0))
			return 0;
		sum += (uint64_t)st.st_size;
	}
	return sum;
}

/*
 * Whether a HEAD answered with status is asked again as a GET of the first byte: a server that refuses HEAD (405, 501:
 * some https servers and CDNs), and an S3 presigned URL, signed for GET alone, whose HEAD S3 answers 403
 * (SignatureDoesNotMatch, with no body to say so). Any other URL's 403 is a permission refused, said as it is.
 */
static int head_refused(const char *url, long status)
{
	return status == 405 || status == 501 || (status == 403 && pb_url_is_s3_presigned(url));
}

/* What the server says of an object now: its answer to a HEAD (or to the GET of its first byte standing for one). */
struct head_answer {
	char etag[PB_FETCH_ETAG_MAX + 1]; /* "" for none */
	char lm[64];			  /* its Last-Modified, "" for none */
	int64_t length;			  /* the object's length it gives (pb_fetch_object_length), -1 for none */
	long status;			  /* 200, 206 or 416 */
	int head;			  /* 1: a HEAD was answered, 2: a GET of the first byte */
};

/*
 * What the server says of the object at url now (HEAD, else a GET of its first byte when HEAD is refused), into a.
 * Returns 0, or -1 with a message naming the URL in err.
 */
static int head_object(const char *url, const struct pb_fetch_opts *fo, struct head_answer *a, struct pb_buf *err)
{
	struct pb_fetch_opts o = *fo;
	struct pb_fetch *f;
	char c;
	long n;

	o.head = 1;
	o.if_match = NULL;
	if (pb_fetch_open(url, &o, &f, err) < 0)
		return -1;
	n = pb_fetch_read(f, &c, 1, err);
	/*
	 * HEAD refused: the first byte is asked for instead, the answer's headers giving the same ETag and
	 * Last-Modified (and its failure, a 403 again, the one said).
	 */
	if (n < 0 && o.head == 1 && head_refused(url, pb_fetch_status(f))) {
		pb_fetch_free(f);
		pb_buf_reset(err);
		o.head = 2;
		if (pb_fetch_open(url, &o, &f, err) < 0)
			return -1;
		n = pb_fetch_read(f, &c, 1, err);
	}
	if (n == 0) {
		snprintf(a->etag, sizeof(a->etag), "%s", pb_fetch_etag(f));
		snprintf(a->lm, sizeof(a->lm), "%s", pb_fetch_last_modified(f));
		a->length = pb_fetch_object_length(f);
		a->status = pb_fetch_status(f);
		a->head = o.head;
	} else if (n > 0) {
		pb_buf_reset(err);
		pb_url_message(err, url);
		pb_buf_addstr(err, "a HEAD request was answered with a body");
	}
	pb_fetch_free(f);
	return n == 0 ? 0 : -1;
}

/* Appends which answer gave the object's length, for a message: "HTTP 200 to a HEAD request, Content-Length N". */
static void add_length_answer(struct pb_buf *b, const struct head_answer *a)
{
	const char *asked = a->head == 1 ? "a HEAD request" : "a request of its first byte";

	if (a->status == 416)
		pb_buf_addf(b, "HTTP 416 to %s, Content-Range bytes */%lld", asked, (long long)a->length);
	else if (a->status == 206)
		pb_buf_addf(b, "HTTP 206 to %s, its Content-Range giving a complete length of %lld", asked,
			    (long long)a->length);
	else
		pb_buf_addf(b, "HTTP %ld to %s, Content-Length %lld", a->status, asked, (long long)a->length);
}

#define LANDED "a new delivery landed while the report was read: "

/* Text from a server (an ETag, an assembly id) into a message, its control characters as \\xHH. */
static void add_visible(struct pb_buf *b, const char *text)
{
	pb_text_add_visible(b, text, strlen(text));
}

/* Appends what a stat says of a file: "N bytes, modified at S.NNNNNNNNN, changed at S.NNNNNNNNN, inode I". */
static void add_file_stat(struct pb_buf *b, const struct stat *st)
{
	pb_buf_addf(b, "%lld bytes, modified at %lld.%09ld, changed at %lld.%09ld, inode %llu", (long long)st->st_size,
		    (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec,
		    (long)st->st_ctim.tv_nsec, (unsigned long long)st->st_ino);
}

/*
 * Whether the local part at path (a path or a file:// URL) is still the file it was read from, as its size, time of
 * modification, time of its last change and inode tell (a file written in place, or replaced by another). The time of
 * modification alone can be put back (touch -d, cp -p, rsync --inplace --times) once a file of the same size was
 * written in place; the time of its last change (ctime) is the system's, set by every write. Returns 0, or -1 with a
 * message naming it in err.
 */
static int same_local_file(const char *path, const struct stat *opened, struct pb_buf *err)
{
	char *decoded = strncmp(path, "file://", 7) == 0 ? pb_url_file_path(path, err) : NULL;
	struct stat now;
	int gone;

	if (strncmp(path, "file://", 7) == 0 && !decoded)
		return -1;
	gone = stat(decoded ? decoded : path, &now) != 0;
	free(decoded);
	if (!gone && now.st_dev == opened->st_dev && now.st_ino == opened->st_ino && now.st_size == opened->st_size &&
	    now.st_mtim.tv_sec == opened->st_mtim.tv_sec && now.st_mtim.tv_nsec == opened->st_mtim.tv_nsec &&
	    now.st_ctim.tv_sec == opened->st_ctim.tv_sec && now.st_ctim.tv_nsec == opened->st_ctim.tv_nsec)
		return 0;
	pb_buf_reset(err);
	pb_url_message(err, path);
	pb_buf_addstr(err, LANDED "the part was read from a file of ");
	add_file_stat(err, opened);
	if (gone) {
		pb_buf_addstr(err, ", it is gone now");
	} else {
		pb_buf_addstr(err, ", it is one of ");
		add_file_stat(err, &now);
		pb_buf_addstr(err, " now");
	}
	return -1;
}

/*
 * An AWS report written in place (CUR 2.0, a legacy report without assembly folders) is bound to no one delivery:
 * AWS may write the next one while its parts are read. After the last part, each part read must still have the ETag
 * (else the Last-Modified) it was read with (a local part: the size, time of modification and inode it was opened
 * with), and the manifest must still name the same assembly and parts: then what was read is one delivery. Returns 0,
 * or -1 with a message naming the URL in err.
 */
static int check_delivery(struct run *run, struct pb_buf *err)
{
	const struct pb_read *r = &run->read;
	struct pb_manifest again;
	struct head_answer a;
	size_t k;
	int rc, same;

	for (k = 0; k < run->nfiles && r->nfiles == run->nfiles; k++) {
		const struct pb_store_file *f = &r->files[k];
		const char *what = "ETag", *was = f->etag, *now = a.etag;
		int same_version;

		if (f->local) {
			if (same_local_file(run->files[k], &f->opened, err) < 0)
				return -1;
			continue;
		}
		if (!pb_fetch_is_url(run->files[k]) || (!f->etag[0] && !f->last_modified[0]))
			continue;
		if (head_object(run->files[k], &run->opt.fetch, &a, err) < 0) {
			pb_buf_addstr(err, " (looking whether a new delivery landed while the report was read)");
			return -1;
		}
		if (!f->etag[0]) {
			what = "Last-Modified";
			was = f->last_modified;
			now = a.lm;
		}
		same_version = strcmp(was, now) == 0;
		/*
		 * The object's length, as the answer gives it (a HEAD's Content-Length, the Content-Range of a 206 or a
		 * 416 to its first byte), must be the one read: a server's ETag may not follow its bytes (a weak or
		 * broken one, an object rewritten in place by a proxy that keeps it), nor its Last-Modified within its
		 * second. A 416 that gives it bytes contradicts itself (a server that is wrong, or an object that
		 * changed between the two), whatever version it names; one that gives none says it has no bytes
		 * (bytes=0-0 is unsatisfiable then only). Under another version, that version is said below.
		 */
		if (a.length >= 0 && (uint64_t)a.length != f->bytes &&
		    (same_version || (a.status == 416 && a.length > 0))) {
			pb_buf_reset(err);
			pb_url_message(err, run->files[k]);
			pb_buf_addf(err, LANDED "the part was read with %llu bytes, it has ",
				    (unsigned long long)f->bytes);
			if (a.status == 416 && a.length == 0) {
				pb_buf_addf(err,
					    "none now (HTTP 416 to a request of its first byte, with the %s it was "
					    "read with)",
					    what);
			} else {
				pb_buf_addf(err, "%lld now (", (long long)a.length);
				add_length_answer(err, &a);
				pb_buf_addch(err, ')');
			}
			return -1;
		}
		if (same_version)
			continue;
		pb_buf_reset(err);
		pb_url_message(err, run->files[k]);
		pb_buf_addf(err, LANDED "the part was read with %s ", what);
		add_visible(err, was);
		/* An object emptied since, from a server whose 416 gives no version to compare: what it says is said.
		 */
		if (a.status == 416 && a.length == 0 && !now[0]) {
			pb_buf_addf(err,
				    ", it has no bytes now (HTTP 416 to a request of its first byte, without %s %s)",
				    what[0] == 'E' ? "an" : "a", what);
			return -1;
		}
		pb_buf_addf(err, ", it has %s ", now[0] ? what : "none");
		add_visible(err, now[0] ? now : "");
		pb_buf_addstr(err, now[0] ? " now" : "now");
		return -1;
	}
	pb_buf_reset(err);
	rc = pb_manifest_load(&again, run->man_src, &run->opt.fetch, err);
	if (rc == 1) {
		pb_buf_reset(err);
		pb_url_message(err, run->man_src);
		pb_buf_addstr(err, LANDED "the manifest is gone");
	}
	if (rc < 0)
		pb_buf_addstr(err, " (looking whether a new delivery landed while the report was read)");
	if (rc != 0) {
		pb_manifest_release(&again);
		return -1;
	}
	same = strcmp(again.assembly_id, run->man.assembly_id) == 0 && again.nparts == run->man.nparts;
	for (k = 0; same && k < again.nparts; k++)
		same = strcmp(again.parts[k], run->man.parts[k]) == 0;
	if (!same) {
		pb_url_message(err, run->man_src);
		/* Assembly ids come from the manifest: control characters are shown escaped. */
		pb_buf_addstr(err, LANDED "the manifest was read with assembly ");
		add_visible(err, run->man.assembly_id);
		pb_buf_addstr(err, ", it names ");
		if (strcmp(again.assembly_id, run->man.assembly_id) == 0) {
			pb_buf_addstr(err, "other parts of it now");
		} else {
			pb_buf_addstr(err, "assembly ");
			add_visible(err, again.assembly_id);
			pb_buf_addstr(err, " now");
		}
	}
	pb_manifest_release(&again);
	return same ? 0 : -1;
}

/* Reads every file of the run. Returns 0, or the error class the failure calls for. */
static int read_all(struct run *run)
{
	struct pb_read *r = &run->read;
	size_t k;

	r->nparts = run->nfiles;
	if (r->progress.out)
		pb_progress_set_total(&r->progress, plain_bytes(run->files, run->nfiles));
	r->manifest = run->man.url;
	r->columns = (const char *const *)run->man.columns;
	r->ncolumns = run->man.ncolumns;
	for (k = 0; k < run->nfiles; k++) {
		r->part = k;
		r->decl = run->man.decl ? &run->man.decl[k] : NULL;
		r->if_match = run->man.etags ? run->man.etags[k] : NULL;
		if (pb_read_file(r, run->files[k]) < 0 || r->errors)
			break;
		if (r->store) {
			pb_test_pause("read");
			if (pb_read_spilled(r) > 0)
				pb_test_pause("spill");
		}
	}
	if (!r->errors)
		pb_read_check_total(r, &run->man.total);
	if (r->errors) {
		pb_store_fail(run->conn, &run->im, pb_buf_str(&r->first_error));
		return r->remote_failed ? PB_ERR_DEPENDENCY : PB_ERR_DATA;
	}
	if (run->man_src && r->store) {
		struct pb_buf err = PB_BUF_INIT;

		if (check_delivery(run, &err) < 0) {
			pb_error("%s", err.failed ? "out of memory" : pb_buf_str(&err));
			pb_store_fail(run->conn, &run->im, err.failed ? "out of memory" : pb_buf_str(&err));
			pb_buf_release(&err);
			return PB_ERR_DEPENDENCY;
		}
		pb_buf_release(&err);
	}
	pb_progress_finish(&r->progress, "total", r->bytes_before, r->rows);
	pb_listprice_report(run->prices, pb_log_program(), stderr);
	return 0;
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

/* Says what the cap on names left out, if anything. */
static void warn_capped(const struct pb_read *r)
{
	uint64_t rows, lines;

	pb_reduce_capped(r->names, &rows, &lines);
	if (rows)
		pb_warning("%llu distinct names or tags of partner accounts past %d per account were not recorded "
			   "(%llu lines)",
			   (unsigned long long)rows, 256, (unsigned long long)lines);
}

/* The lines the price lists gave a list cost, per load (the first 16 loads; the others together). */
struct priced {
	int64_t load[16];
	uint64_t lines[16], other, total;
	size_t nload;
};

static void priced_add(struct priced *p, const struct pb_daily *d)
{
	size_t k;

	if (d->list_source != PB_LIST_PRICE)
		return;
	p->total += d->line_count;
	for (k = 0; k < p->nload && p->load[k] != d->price_load; k++)
		;
	if (k == p->nload && p->nload == 16) {
		p->other += d->line_count;
		return;
	}
	if (k == p->nload) {
		/* In load order. */
		for (k = p->nload; k > 0 && p->load[k - 1] > d->price_load; k--) {
			p->load[k] = p->load[k - 1];
			p->lines[k] = p->lines[k - 1];
		}
		p->load[k] = d->price_load;
		p->lines[k] = 0;
		p->nload++;
	}
	p->lines[k] += d->line_count;
}

/* Says how many lines the price lists gave a list cost, per load, when any did. */
static void print_priced(const struct priced *p)
{
	size_t k;

	if (!p->total)
		return;
	printf("list prices: %llu line%s without a list cost in the export priced from price lists:",
	       (unsigned long long)p->total, p->total == 1 ? "" : "s");
	for (k = 0; k < p->nload; k++)
		printf("%s load %lld (%llu)", k ? "," : "", (long long)p->load[k], (unsigned long long)p->lines[k]);
	if (p->other)
		printf(", other loads (%llu)", (unsigned long long)p->other);
	printf("\n");
}

/* The store's row source: the run's reduction walked in order, the priced lines counted on the way. */
struct walker {
	struct pb_reduce_walks walks;
	struct pb_read *read;
	struct priced priced;
	int rc;
	struct pb_buf msg; /* walk_error's, when it is made */
};

static int walk_files_ready(void *ctx, struct pb_buf *err)
{
	struct walker *w = ctx;

	return pb_read_finish_hash(w->read, err);
}

static int walk_next(void *ctx, struct pb_daily *d)
{
	struct walker *w = ctx;

	w->rc = pb_reduce_walks_next(&w->walks, d);
	if (w->rc == 1)
		priced_add(&w->priced, d);
	if (w->rc == PB_MONEY_ERR_RANGE) {
		char day[11];

		pb_date_format(d->usage_date, day);
		pb_buf_reset(&w->msg);
		pb_buf_addf(&w->msg,
			    "sum out of range: the lines of partner account %.*s on %s (%.*s, %.*s, %.*s, %.*s, %.*s) "
			    "add up "
			    "past the range of amounts",
			    (int)d->account.len, d->account.ptr ? d->account.ptr : "", day, (int)d->category.len,
			    d->category.ptr ? d->category.ptr : "", (int)d->charge_type.len,
			    d->charge_type.ptr ? d->charge_type.ptr : "", (int)d->service.len,
			    d->service.ptr ? d->service.ptr : "", (int)d->region.len,
			    d->region.ptr ? d->region.ptr : "", (int)d->currency.len,
			    d->currency.ptr ? d->currency.ptr : "");
	}
	return w->rc;
}

static const char *walk_error(void *ctx)
{
	struct walker *w = ctx;

	if (w->rc == PB_REDUCE_ERR_SPILL) {
		pb_buf_reset(&w->msg);
		pb_read_spill_message(w->read, &w->msg);
		return w->msg.len && !w->msg.failed ? pb_buf_str(&w->msg)
						    : "cannot read back the temporary file of the daily rows";
	}
	if (w->rc == PB_MONEY_ERR_RANGE)
		return w->msg.len && !w->msg.failed ? pb_buf_str(&w->msg) : "sum out of range";
	return "out of memory";
}

/*
 * Whether the data say they are the month's final data: an AWS report with an invoice id on every line, a Partner
 * Center invoice's billed usage. Not while the month runs (today, by the database server's clock, on or before its
 * last day, as for --final): such data hold none of the days after they were made, so they are stored as not final,
 * with a warning naming the file (or the invoice) and the day the month ends.
 */
static int final_by_data(const struct run *run)
{
	int aws = run->opt.kind == PB_FORMAT_AWS_CUR && run->read.lines > 0 && run->read.no_invoice == 0;
	int pc = run->opt.kind == PB_FORMAT_PARTNER_CENTER && run->opt.invoice && !run->o->nfiles;
	int32_t last = month_last_day(run->read.month);
	char month_s[11], last_s[11], today_s[11];
	char *shown;

	if (!aws && !pc)
		return 0;
	if (run->today > last)
		return 1;
	pb_date_format(run->read.month, month_s);
	pb_date_format(last, last_s);
	pb_date_format(run->today, today_s);
	if (pc) {
		pb_warning(
			"Partner Center invoice %s marks %.7s final (its billed usage), but the month has not ended: "
			"it ends on %s (UTC; today is %s by the database server's clock); stored as not final",
			run->opt.invoice, month_s, last_s, today_s);
		return 0;
	}
	/* The delivery's manifest, else the first file. */
	shown = pb_url_redact(run->man.url ? run->man.url : run->files[0]);
	pb_warning(
		"%s: the report marks %.7s final (an invoice id on every line), but the month has not ended: it ends "
		"on %s (UTC; today is %s by the database server's clock); stored as not final",
		shown ? shown : "?", month_s, last_s, today_s);
	free(shown);
	return 0;
}

/* Commits the import and says what it holds. */
static int store_close(struct run *run)
{
	struct pb_store_import *im = &run->im;
	struct pb_buf err = PB_BUF_INIT, lists = PB_BUF_INIT, billeds = PB_BUF_INIT, source = PB_BUF_INIT;
	char list[PB_MONEY_STRMAX], billed[PB_MONEY_STRMAX];
	struct walker w = {.read = &run->read, .msg = PB_BUF_INIT};
	struct pb_store_rows rows = {walk_next, walk_error, &w, 0, walk_files_ready};
	uint64_t lines, n = 0;
	pb_money lt, bt;
	int rc;

	/*
	 * Final: what --final declares (an Azure export made after its billing period closed), or, once the month is
	 * over, an AWS report with an invoice id on every line or a Partner Center invoice's billed usage.
	 */
	im->final = run->opt.final || final_by_data(run);
	im->names = pb_reduce_sorted(run->read.names, &im->nnames);
	rc = im->names ? pb_read_walk_start(&run->read, &w.walks) : PB_REDUCE_ERR_NOMEM;
	mark(run, RUN_SORT);
	if (rc < 0) {
		pb_reduce_walks_release(&w.walks);
		pb_buf_release(&w.msg);
		pb_error("out of memory");
		pb_store_fail(run->conn, im, "out of memory");
		return PB_ERR_DATA;
	}
	rows.pause_at = pb_read_row_count(&run->read) / 2 + 1;
	warn_capped(&run->read);
	rc = pb_store_commit(run->conn, im, &rows, run->read.files, run->read.nfiles, &n, &err);
	pb_reduce_walks_release(&w.walks);
	pb_buf_release(&w.msg);
	if (rc < 0) {
		pb_error("%s", pb_buf_str(&err));
		pb_store_fail(run->conn, im, pb_buf_str(&err));
		pb_buf_release(&err);
		/* A sum out of range found merging the rows is in the data, as one found while reading. */
		return rc == PB_STORE_ERR_DATA || w.rc == PB_MONEY_ERR_RANGE ? PB_ERR_DATA
		       : rc == PB_STORE_ERR_REFUSED			     ? PB_ERR_REFUSED
									     : PB_ERR_DEPENDENCY;
	}
	pb_read_totals(&run->read, &lt, &bt, &lines);
	pb_money_format_canonical(lt, list);
	pb_money_format_canonical(bt, billed);
	/* An import in several currencies: its totals per currency, never one sum of both (the sum stays stored). */
	if (pb_store_currency_totals(run->conn, im->id, &lists, &billeds, &err) < 0) {
		pb_error("warning: %s", pb_buf_str(&err));
		pb_buf_reset(&err);
	}
	/* The source names a folder from outside: its control characters as \\xHH. */
	pb_text_add_visible(&source, im->source, strlen(im->source));
	printf("import %lld committed: %s %.7s from %s: %zu file%s, %llu lines, %llu daily rows, list_cost %s, "
	       "billed_cost %s\n",
	       im->id, im->vendor, day_text(im->billing_month), pb_buf_str(&source), run->read.nfiles,
	       run->read.nfiles == 1 ? "" : "s", (unsigned long long)lines, (unsigned long long)n,
	       lists.len ? pb_buf_str(&lists) : list, billeds.len ? pb_buf_str(&billeds) : billed);
	pb_buf_release(&lists);
	pb_buf_release(&billeds);
	pb_buf_release(&source);
	print_priced(&w.priced);
	{
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "%s: warning: ", pb_log_program());
		/* The accounts this import shares: other imports' overlaps are --history's to tell. */
		pb_store_overlaps(run->conn, im->vendor, im->billing_month, im->id, prefix, stderr, &err);
	}
	pb_buf_release(&err);
	return 0;
}

/* The rows reduced, checked, then stored (the store checks them as it sends them) or printed. */
static int finish(struct run *run)
{
	const struct pb_daily *const *rows;
	size_t n;
	int rc;

	if (run->read.store)
		return store_close(run);
	rows = pb_reduce_sorted(run->read.reduce, &n);
	if (!rows) {
		pb_error("out of memory");
		return PB_ERR_DATA;
	}
	if (check_totals(run->read.reduce, rows, n) < 0) {
		pb_error("internal error: daily rows do not add up to the lines read");
		return PB_ERR_DATA;
	}
	rc = pb_summary_print(run->opt.summary, pb_format_vendor(run->opt.kind), rows, n, stdout);
	/*
	 * A write that failed (-1) is said once, with the first failed write's error, when standard output is
	 * closed (pb_close_stdout). An account billed in two currencies was reported: bad input for a summary per
	 * account.
	 */
	return rc == -1 ? PB_ERR_DEPENDENCY : rc == 1 ? PB_ERR_DATA : 0;
}

/*
 * The local files named, each opened before anything else (the first read for its month, the database reached):
 * one that cannot be opened is bad input whether the database is there or not. 0, or PB_ERR_DATA (reported).
 */
static int check_files(const char *const *files, size_t n)
{
	struct pb_buf err = PB_BUF_INIT;
	size_t k;
	int rc = 0;

	for (k = 0; k < n && rc == 0; k++)
		if (pb_input_check(files[k], &err) < 0) {
			pb_error("%s", pb_buf_str(&err));
			rc = PB_ERR_DATA;
		}
	pb_buf_release(&err);
	return rc;
}

/* Everything before reading: fetch settings, the delivery, the month, the lock. 1: nothing to do. */
static int prepare(struct run *run)
{
	int rc = setup_fetch(run);

	/* A summary reads the tags the store would record too, to refuse what the store would refuse. */
	if (rc == 0)
		rc = setup_tag_keys(run);
	if (rc)
		return rc;
	run->files = run->o->files;
	run->nfiles = run->o->nfiles;
	if (!run->nfiles)
		rc = load_delivery(run);
	else
		rc = check_files(run->files, run->nfiles);
	if (rc)
		return rc;
	if (pb_read_init(&run->read, &run->opt, &run->keys, run->o->summary == PB_SUMMARY_NONE) < 0) {
		pb_error("out of memory");
		return PB_ERR_DATA;
	}
	rc = find_month(run);
	if (rc || !run->read.store || run->bad_first)
		return rc;
	run->source =
		import_source(&run->opt, run->files[0], !run->o->nfiles && run->o->kind == PB_FORMAT_PARTNER_CENTER);
	if (!run->source) {
		int e = errno;
		char *shown = pb_url_redact(run->files[0]);

		pb_error("cannot open '%s': %s", shown ? shown : "?", strerror(e));
		free(shown);
		return PB_ERR_DATA;
	}
	if (run->opt.kind == PB_FORMAT_PARTNER_CENTER) {
		run->read.only_currency = pb_store_unbilled_currency(run->source);
		run->read.only_source = run->source;
	}
	return store_open(run);
}

/* PB_INGEST_TIMING=1: where the run's time went, on stderr. */
static void print_timing(const struct run *run)
{
	static const char *const names[RUN_NPHASES + PB_STORE_NPHASES] = {
		"connect, lock",	"read, parse, reduce", "sort",	 "refusals", "COPY (rows merged and sent)",
		"files, names, totals", "supersede",	       "attach", "commit"};
	const char *env = getenv("PB_INGEST_TIMING");
	int i;

	if (!env || strcmp(env, "1") != 0)
		return;
	for (i = 0; i < RUN_NPHASES + PB_STORE_NPHASES; i++)
		fprintf(stderr, "%s: timing: %-28s %lld.%03lld s\n", pb_log_program(), names[i],
			(long long)(run->ns[i] / 1000000000), (long long)(run->ns[i] / 1000000 % 1000));
	if (run->read.reduce)
		fprintf(stderr, "%s: timing: %-28s %llu\n", pb_log_program(), "runs spilled",
			(unsigned long long)pb_read_spilled(&run->read));
	if (run->read.reduce)
		fprintf(stderr, "%s: timing: %-28s %llu\n", pb_log_program(), "dictionaries started over",
			(unsigned long long)pb_read_dict_resets(&run->read));
}

int pb_ingest_run(const struct pb_ingest_options *o)
{
	struct run run;
	int rc;

	memset(&run, 0, sizeof(run));
	run.o = o;
	run.im.phase_ns = run.ns + RUN_NPHASES;
	clock_gettime(CLOCK_MONOTONIC, &run.t);
	rc = prepare(&run);
	mark(&run, RUN_PREPARE);
	if (rc == 0)
		rc = read_all(&run);
	mark(&run, RUN_READ);
	if (rc == 0 && run.bad_first) {
		pb_error("internal error: the first line item was bad, then read well");
		rc = PB_ERR_DATA;
	}
	if (rc == 0)
		rc = finish(&run);
	print_timing(&run);
	if (rc == 1)
		rc = 0;
	pb_read_release(&run.read);
	free(run.source);
	pb_tag_keys_release(&run.keys);
	pb_fetch_s3_release(&run.s3);
	pb_fetch_azure_release(&run.azure);
	pb_manifest_release(&run.man);
	free(run.man_src);
	pb_listprice_free(run.prices);
	PQfinish(run.conn);
	return rc;
}

int pb_ingest_history(const struct pb_ingest_options *o)
{
	struct pb_buf err = PB_BUF_INIT;
	PGconn *conn = pb_db_connect("pb-ingest", &err);
	int ret = PB_ERR_DEPENDENCY;

	if (conn && pb_db_check_schema(conn, &err) == 0 && pb_store_history(conn, o->month, stdout, &err) == 0)
		ret = 0;
	else
		pb_error("%s", pb_buf_str(&err));
	PQfinish(conn);
	pb_buf_release(&err);
	return ret;
}
