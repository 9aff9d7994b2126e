/* A run's files read: opened (downloaded, hashed), parsed, normalized and reduced, errors in file order. */
#include "read.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "csv.h"
#include "db.h"
#include "format.h"
#include "input.h"
#include "interrupt.h"
#include "jsonl.h"
#include "log.h"
#include "parser.h"
#include "partner_center.h"
#include "testhook.h"
#include "url.h"
#include "worker.h"

#include "banned.h"

/* Plain files are split in parts of at least MIN_PART bytes (PB_SPLIT_MIN_BYTES for the tests). */
#define MIN_PART ((uint64_t)8 << 20)
#define MAX_THREADS PB_INGEST_MAX_THREADS

struct pb_file_hash;
static void free_hash(struct pb_file_hash *h);

/*
 * A file's reader, passing its bytes on and noting where its first one after a UTF-8 byte order mark and
 * blanks stands: a file given with the wrong --format (JSON lines as CSV, CSV as JSON lines) is told by it.
 */
struct sniff {
	struct pb_input *in;
	int first; /* that byte, or -1 before it */
	uint64_t line;
	uint32_t col;
	uint64_t seen; /* bytes passed on before it */
	uint64_t bom;  /* of them, those of a byte order mark at the start */
};

static void sniff_init(struct sniff *s, struct pb_input *in)
{
	memset(s, 0, sizeof(*s));
	s->in = in;
	s->first = -1;
	s->line = 1;
	s->col = 1;
}

static long sniff_read(void *ctx, char *buf, size_t n, struct pb_buf *err)
{
	struct sniff *s = ctx;
	long got = pb_input_read(s->in, buf, n, err);
	long i;

	for (i = 0; i < got && s->first < 0; i++, s->seen++) {
		unsigned char c = (unsigned char)buf[i];

		if (s->seen == s->bom && s->bom < 3 && c == (unsigned char)"\xEF\xBB\xBF"[s->bom]) {
			s->bom++; /* the byte order mark: not counted in columns */
			continue;
		}
		if (c == '\n') {
			s->line++;
			s->col = 1;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			s->col++;
		} else {
			s->first = c;
		}
	}
	return got;
}

/* A first byte that starts a CSV header (a name, quoted or not) rather than a JSON object. */
static int sniff_csv(const struct sniff *s)
{
	return (s->first >= 'A' && s->first <= 'Z') || (s->first >= 'a' && s->first <= 'z') ||
	       (s->first >= '0' && s->first <= '9') || s->first == '"' || s->first == '_';
}

/* The store's memory, in megabytes, unless PB_STORE_MEMORY says otherwise. */
#define DEFAULT_STORE_MB 64

/* Distinct names and tags kept per partner account: past it, lines are counted, not recorded. */
#define NAMES_PER_ACCOUNT 256

/* The grain of the run's rows: per-account totals, the daily rows of --summary=daily, or the store's. */
static enum pb_reduce_grain grain(const struct pb_ingest_options *opt)
{
	if (opt->summary == PB_SUMMARY_ACCOUNTS)
		return PB_GRAIN_ACCOUNT;
	return opt->summary == PB_SUMMARY_DAILY ? PB_GRAIN_DAILY : PB_GRAIN_STORE;
}

/*
 * The memory the store's daily rows may take: PB_STORE_MEMORY megabytes (default 64) for the whole run, of
 * which the reductions get three eighths (shared by the parts of a file read at once), the rest being for
 * the program and its libraries (about 13 MB, what --summary takes), reading, the merge of spilled runs
 * (about 5 MB) and COPY. Past it, rows are spilled to a temporary file under the runtime folder
 * (PB_VAR_DIR, else var) and merged back in order.
 */
static void set_memory(struct pb_reduce *red, size_t parts)
{
	const char *env = getenv("PB_STORE_MEMORY");
	unsigned long long mb = DEFAULT_STORE_MB;
	struct pb_buf dir = PB_BUF_INIT;

	if (env && *env) {
		char *end;
		unsigned long long v = strtoull(env, &end, 10);

		if (!*end && v > 0 && v < ((unsigned long long)1 << 40))
			mb = v;
	}
	pb_buf_addf(&dir, "%s/tmp", pb_db_var_dir());
	pb_reduce_set_memory(red, (size_t)(mb << 20) / 8 * 3 / parts, dir.failed ? NULL : pb_buf_str(&dir));
	pb_buf_release(&dir);
}

int pb_read_init(struct pb_read *r, const struct pb_ingest_options *opt, const struct pb_tag_keys *keys, int store)
{
	memset(r, 0, sizeof(*r));
	pb_buf_init(&r->first_error, 0);
	pb_buf_init(&r->label, 0);
	r->opt = opt;
	r->store = store;
	r->tag_keys = keys;
	r->month = opt->month;
	r->reduce = pb_reduce_new(grain(opt));
	r->names = pb_reduce_new(PB_GRAIN_DAILY);
	if (!r->reduce || !r->names)
		return -1;
	pb_reduce_set_cap(r->names, NAMES_PER_ACCOUNT);
	if (store)
		set_memory(r->reduce, 1);
	pb_progress_init(&r->progress, opt->progress ? stderr : NULL);
	return 0;
}

void pb_read_release(struct pb_read *r)
{
	size_t k;

	free_hash(r->pending_hash);
	for (k = 0; k < r->nextra; k++)
		pb_reduce_free(r->extra[k]);
	free(r->extra);
	for (k = 0; k < r->nfiles; k++)
		free((char *)r->files[k].uri);
	free(r->files);
	pb_buf_release(&r->first_error);
	pb_buf_release(&r->label);
	pb_reduce_free(r->reduce);
	pb_reduce_free(r->names);
	memset(r, 0, sizeof(*r));
}

void pb_read_report(struct pb_read *r, const char *name, uint64_t line, uint32_t col, const char *msg)
{
	struct pb_log_where w = {0};

	if (!r->errors) {
		pb_buf_reset(&r->first_error);
		if (line && col)
			pb_buf_addf(&r->first_error, "%s:%llu:%u: %s", name, (unsigned long long)line, col, msg);
		else if (line)
			pb_buf_addf(&r->first_error, "%s:%llu: %s", name, (unsigned long long)line, msg);
		else
			pb_buf_addstr(&r->first_error, msg);
	}
	if (line) {
		w.file = name;
		w.line = line;
		w.column = col;
	}
	pb_log(PB_LOG_ERROR, line ? &w : NULL, "%s", msg);
	r->errors++;
}

uint64_t pb_read_error_line(uint64_t err_line, uint64_t next_line)
{
	return err_line ? err_line : pb_interrupted() ? next_line : 0;
}

/* What a file's lines add up to. */
struct file_totals {
	pb_money list, billed;
	uint64_t lines;
};

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
	int borrowed; /* storing: part 0 reduces into the run's own reduction, the others are absorbed into it */
	struct file_totals before; /* what the run's reduction held before the file */
	pthread_mutex_t prices_lock;
};

static void *worker_main(void *arg)
{
	pb_worker_run(arg);
	return NULL;
}

static uint64_t min_part(void)
{
	const char *env = getenv("PB_SPLIT_MIN_BYTES");

	if (env && *env) {
		char *end;
		unsigned long long v = strtoull(env, &end, 10);

		if (!*end && v > 0)
			return v;
	}
	return MIN_PART;
}

/*
 * Chooses the part starts of a plain file of the given size whose header ends at data: line starts
 * near equal shares. Parts smaller than min_part() are not made.
 */
static int plan_split(struct split *sp, const struct pb_input *in, uint64_t data, uint64_t size, size_t threads,
		      struct pb_buf *err)
{
	uint64_t min = min_part(), pos;
	size_t k;

	sp->n = 1;
	sp->starts[0] = data;
	if (size <= data || (size - data) / min < 2)
		return 0;
	if ((size - data) / min < threads)
		threads = (size_t)((size - data) / min);
	for (k = 1; k < threads; k++) {
		if (pb_input_next_line_start(in, data + (size - data) / threads * k, &pos, err) < 0)
			return -1;
		if (pos > sp->starts[sp->n - 1] && pos < size)
			sp->starts[sp->n++] = pos;
	}
	return 0;
}

/* Sums the progress of every part and redraws. */
static void show_progress(struct pb_read *r, const char *name, struct split *sp)
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
 * Reports a failure to take a file's (or a part's) rows into the run's: no line is at fault when the sum of all of
 * them with those read before leaves the range, but the file is named.
 */
static const char *reduce_error(int rc);

static void report_merge(struct pb_read *r, const char *name, int rc)
{
	struct pb_buf msg = PB_BUF_INIT;

	if (rc == PB_MONEY_ERR_RANGE)
		pb_buf_addf(&msg, "%s: sum out of range, with the lines read before it", name);
	pb_read_report(r, name, 0, 0, msg.len && !msg.failed ? pb_buf_str(&msg) : reduce_error(rc));
	pb_buf_release(&msg);
}

/* Merges a part's or a file's reductions into the run's; -1 after reporting. */
static int merge(struct pb_read *r, const char *name, const struct pb_reduce *red, const struct pb_reduce *names)
{
	int rc = red ? pb_reduce_merge(r->reduce, red) : 0;

	if (rc == 0 && names)
		rc = pb_reduce_merge(r->names, names);
	if (rc < 0) {
		report_merge(r, name, rc);
		return -1;
	}
	return 0;
}

/* The totals red gained since it held before. */
static int totals_since(const struct pb_reduce *red, const struct file_totals *before, struct file_totals *t)
{
	pb_money list, billed;
	uint64_t lines;

	pb_reduce_totals(red, &list, &billed, &lines);
	if (pb_money_sub(list, before->list, &t->list) < 0 || pb_money_sub(billed, before->billed, &t->billed) < 0)
		return PB_MONEY_ERR_RANGE;
	t->lines = lines - before->lines;
	return 0;
}

/* Adds b to a. -1 when the sum leaves the range. */
static int add_totals(struct file_totals *a, const struct file_totals *b)
{
	if (pb_money_add(a->list, b->list, &a->list) < 0 || pb_money_add(a->billed, b->billed, &a->billed) < 0)
		return -1;
	a->lines += b->lines;
	return 0;
}

/*
 * Takes part k's rows into the run's: merged, or, when storing, read there already (part 0) or absorbed (its
 * reduction may have spilled); what it read is added to t.
 */
/* Keeps a part's reduction to be walked with the run's (pb_read_walk_start). 0, or -1 without memory. */
static int keep_extra(struct pb_read *r, struct pb_worker *w)
{
	struct pb_reduce **extra = realloc(r->extra, (r->nextra + 1) * sizeof(*extra));

	if (!extra)
		return -1;
	r->extra = extra;
	r->extra[r->nextra++] = w->reduce;
	w->reduce = NULL;
	return 0;
}

/* Absorbs the kept parts' reductions into the run's, which gets the whole memory again. */
/*
 * When the temporary file of the spilled rows failed in r's reduction, its extra ones or red: reports it
 * (no line: the file being read is not at fault), counts it as a dependency failure (exit 3) and returns 1.
 */
static int spill_report(struct pb_read *r, const char *name, const struct pb_reduce *red)
{
	struct pb_buf msg = PB_BUF_INIT;
	int found = pb_reduce_spill_message(red, &msg) || pb_read_spill_message(r, &msg);

	if (found) {
		pb_read_report(r, name, 0, 0,
			       msg.failed ? "cannot use the temporary file of the daily rows" : pb_buf_str(&msg));
		r->remote_failed = 1;
	}
	pb_buf_release(&msg);
	return found;
}

int pb_read_spill_message(const struct pb_read *r, struct pb_buf *out)
{
	size_t k;

	if (pb_reduce_spill_message(r->reduce, out))
		return 1;
	for (k = 0; k < r->nextra; k++)
		if (pb_reduce_spill_message(r->extra[k], out))
			return 1;
	return 0;
}

static int absorb_extra(struct pb_read *r, const char *name)
{
	int rc = 0;
	size_t k;

	for (k = 0; k < r->nextra; k++) {
		if (rc == 0) {
			rc = pb_reduce_absorb(r->reduce, r->extra[k]);
			if (rc < 0 && !spill_report(r, name, r->extra[k]))
				report_merge(r, name, rc);
		}
		pb_reduce_free(r->extra[k]);
	}
	free(r->extra);
	r->extra = NULL;
	r->nextra = 0;
	if (r->store)
		set_memory(r->reduce, 1);
	return rc;
}

int pb_read_walk_start(struct pb_read *r, struct pb_reduce_walks *w)
{
	struct pb_reduce *all[1 + PB_INGEST_MAX_THREADS];
	size_t n = 0, k;

	all[n++] = r->reduce;
	for (k = 0; k < r->nextra && n < sizeof(all) / sizeof(all[0]); k++)
		all[n++] = r->extra[k];
	return pb_reduce_walks_start(w, all, n);
}

void pb_read_totals(const struct pb_read *r, pb_money *list, pb_money *billed, uint64_t *lines)
{
	size_t k;

	pb_reduce_totals(r->reduce, list, billed, lines);
	for (k = 0; k < r->nextra; k++) {
		pb_money l, b;
		uint64_t n;

		/* The parts were added up as they were collected: their sums stay in range. */
		pb_reduce_totals(r->extra[k], &l, &b, &n);
		pb_money_add(*list, l, list);
		pb_money_add(*billed, b, billed);
		*lines += n;
	}
}

/* A count of the run's reduction and its extra ones, added up. */
static uint64_t sum_reductions(const struct pb_read *r, uint64_t (*count)(const struct pb_reduce *))
{
	uint64_t n = r->reduce ? count(r->reduce) : 0;
	size_t k;

	for (k = 0; k < r->nextra; k++)
		n += count(r->extra[k]);
	return n;
}

uint64_t pb_read_row_count(const struct pb_read *r)
{
	return sum_reductions(r, pb_reduce_count);
}

uint64_t pb_read_spilled(const struct pb_read *r)
{
	return sum_reductions(r, pb_reduce_spilled);
}

uint64_t pb_read_dict_resets(const struct pb_read *r)
{
	return sum_reductions(r, pb_reduce_dict_resets);
}

static int add_part(struct pb_read *r, const char *name, struct split *sp, size_t k, struct file_totals *t)
{
	struct pb_worker *w = &sp->workers[k];
	struct file_totals part;
	int rc = 0;

	if (sp->borrowed && k == 0) {
		rc = totals_since(r->reduce, &sp->before, &part);
	} else {
		pb_reduce_totals(w->reduce, &part.list, &part.billed, &part.lines);
		if (sp->borrowed)
			rc = keep_extra(r, w);
		else
			rc = pb_reduce_merge(r->reduce, w->reduce);
	}
	if (rc == 0 && w->names)
		rc = pb_reduce_merge(r->names, w->names);
	if (rc == 0 && add_totals(t, &part) < 0)
		rc = PB_MONEY_ERR_RANGE;
	if (rc < 0 && !spill_report(r, name, w->reduce))
		report_merge(r, name, rc);
	return rc < 0 ? -1 : 0;
}

/*
 * Walks the parts in file order: a part that ended on a later part's start hands over to that part, so
 * parts it passed over (begun inside a quoted field) are skipped. Reports errors with absolute lines.
 */
static int collect(struct pb_read *r, const char *name, struct split *sp, struct pb_format_stats *stats,
		   struct file_totals *t)
{
	size_t k = 0;
	uint64_t base = 1;

	while (k < sp->n) {
		struct pb_worker *w = &sp->workers[k];
		size_t i;

		for (i = 0; i < w->nerrors && r->errors < r->opt->max_errors; i++)
			pb_read_report(r, name, w->errors[i].line ? base + w->errors[i].line - 1 : 0, w->errors[i].col,
				       w->errors[i].msg);
		r->remote_failed |= w->dependency;
		if (w->fatal || r->errors >= r->opt->max_errors)
			return -1;
		if (!r->errors && add_part(r, name, sp, k, t) < 0)
			return -1;
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
		if (!sp->borrowed || k > 0)
			pb_reduce_free(sp->workers[k].reduce);
		pb_reduce_free(sp->workers[k].names);
		if (k > 0) {
			if (sp->csv_ready[k])
				pb_csv_release(&sp->csvs[k]);
			pb_input_free(sp->inputs[k]);
		}
	}
}

/* The URI the audit records for path: never with a SAS. NULL when memory cannot be had. */
static char *audit_uri(const char *path)
{
	char abs[PATH_MAX];

	if (pb_fetch_is_url(path) || strncmp(path, "file://", 7) == 0)
		return pb_url_redact(path);
	if (strcmp(path, "-") == 0)
		return strdup("stdin");
	if (realpath(path, abs)) {
		/* A path may hold a SAS pasted with it (a download saved under its URL): recorded as a URL is. */
		return pb_url_file_uri(abs);
	}
	return pb_url_redact(path);
}

/* The SHA-256 of a whole plain file, computed on a thread of its own while its parts are read. */
struct pb_file_hash {
	char *path;
	pthread_t thread;
	int started, joined, failed;
	char hex[65];
	uint64_t bytes;
	struct stat before; /* the file as it was split: the bytes hashed must be those */
	struct pb_buf err;
};

/* Whether st is the file before describes, with the same bytes as far as its size and modification time tell. */
static int same_file(const struct stat *st, const struct stat *before)
{
	return st->st_dev == before->st_dev && st->st_ino == before->st_ino && st->st_size == before->st_size &&
	       st->st_mtim.tv_sec == before->st_mtim.tv_sec && st->st_mtim.tv_nsec == before->st_mtim.tv_nsec;
}

/*
 * 1 with a message in err when the file it was split from (before, taken from part 0's open file) changed
 * while it was read: the file at path now, or one of the n inputs (opened again by the other parts, or by the
 * hash), is not that file, or has another size or time of modification, or bytes (when not 0) is not its
 * size. What was parsed and what was hashed could then be different bytes. 0 otherwise. Changes of owner,
 * mode or links alone do not count.
 */
static int changed(const char *path, const struct stat *before, struct pb_input *const *inputs, size_t n,
		   uint64_t bytes, struct pb_buf *err)
{
	struct stat now;
	size_t k;
	int same = stat(path, &now) == 0 && same_file(&now, before) && (!bytes || bytes == (uint64_t)before->st_size);

	for (k = 0; same && k < n; k++)
		same = inputs[k] && pb_input_fstat(inputs[k], &now) == 0 && same_file(&now, before);
	if (same)
		return 0;
	pb_url_message(err, path);
	pb_buf_addf(
		err,
		"the file changed while it was read (%lld bytes when it was opened): read it again once it is whole",
		(long long)before->st_size);
	return 1;
}

static void *hash_main(void *arg)
{
	struct pb_file_hash *h = arg;
	struct pb_input *in = NULL;
	char *buf = malloc((size_t)1 << 20);
	long n = 0;

	h->failed = 1;
	if (buf && pb_input_open_flags(h->path, PB_INPUT_SHA256, &in, &h->err) == 0) {
		while ((n = pb_input_read(in, buf, (size_t)1 << 20, &h->err)) > 0)
			;
		if (n == 0 && pb_input_sha256(in, h->hex) == 0) {
			h->bytes = pb_input_raw_bytes(in);
			h->failed = changed(h->path, &h->before, &in, 1, h->bytes, &h->err);
		} else if (n == 0) {
			pb_buf_reset(&h->err);
			pb_buf_addstr(&h->err, "cannot compute the file's SHA-256");
		}
	} else if (!buf) {
		pb_buf_addstr(&h->err, "out of memory");
	}
	pb_input_free(in);
	free(buf);
	return NULL;
}

static int start_hash(struct pb_file_hash *h, const char *path, const struct stat *before)
{
	h->before = *before;
	h->path = strdup(path);
	if (!h->path)
		return -1;
	if (pthread_create(&h->thread, NULL, hash_main, h) != 0)
		return -1;
	h->started = 1;
	return 0;
}

/* Waits for the hash. Returns 0, or -1 with the reason in h->err. */
static int finish_hash(struct pb_file_hash *h)
{
	if (!h->joined)
		pthread_join(h->thread, NULL);
	h->joined = 1;
	return h->failed ? -1 : 0;
}

static void free_hash(struct pb_file_hash *h)
{
	if (!h)
		return;
	if (h->started)
		finish_hash(h);
	pb_buf_release(&h->err);
	free(h->path);
	free(h);
}

int pb_read_finish_hash(struct pb_read *r, struct pb_buf *err)
{
	struct pb_file_hash *h = r->pending_hash;
	struct pb_store_file *f;
	int ret = 0;

	if (!h)
		return 0;
	r->pending_hash = NULL;
	if (finish_hash(h) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&h->err));
		ret = -1;
	} else {
		f = &r->files[r->pending_file];
		memcpy(f->sha256, h->hex, sizeof(f->sha256));
		f->bytes = h->bytes;
	}
	free_hash(h);
	return ret;
}

/* Keeps what the audit records of a file read for the store: its bytes, hash and totals. */
static int record_file(struct pb_read *r, const char *path, const char *name, struct pb_input *in,
		       const struct pb_file_hash *hash, const struct file_totals *t)
{
	struct pb_store_file *f, *files;

	files = realloc(r->files, (r->nfiles + 1) * sizeof(*files));
	if (!files) {
		pb_read_report(r, name, 0, 0, "out of memory");
		return -1;
	}
	r->files = files;
	f = &files[r->nfiles];
	memset(f, 0, sizeof(*f));
	if (hash) {
		/* Its hash comes later (pb_read_finish_hash). */
		f->bytes = pb_input_plain_size(in);
	} else if (pb_input_sha256(in, f->sha256) < 0) {
		pb_read_report(r, name, 0, 0, "cannot compute the file's SHA-256");
		return -1;
	} else {
		f->bytes = pb_input_raw_bytes(in);
	}
	snprintf(f->etag, sizeof(f->etag), "%s", pb_input_etag(in));
	snprintf(f->last_modified, sizeof(f->last_modified), "%s", pb_input_last_modified(in));
	f->local = r->opened_local;
	if (f->local)
		f->opened = r->opened;
	f->uri = audit_uri(path);
	if (!f->uri) {
		pb_read_report(r, name, 0, 0, "out of memory");
		return -1;
	}
	r->nfiles++;
	f->list_total = t->list;
	f->billed_total = t->billed;
	f->lines = t->lines;
	return 0;
}

/* Runs every part on a thread of its own; this thread draws the progress meanwhile. */
static int run_parts(struct pb_read *r, const char *name, struct split *sp)
{
	size_t k;
	int running = 1;

	for (k = 0; k < sp->n; k++) {
		if (pthread_create(&sp->threads[k], NULL, worker_main, &sp->workers[k]) != 0) {
			pb_read_report(r, name, 0, 0, "cannot start a thread");
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
static int open_part(struct pb_read *r, const char *path, const char *name, struct split *sp, size_t k, size_t nfields,
		     const size_t *cols, size_t ncols)
{
	struct pb_buf err = PB_BUF_INIT;
	int ret = -1;

	if (pb_input_open_at(path, sp->starts[k], &sp->inputs[k], &err) < 0) {
		pb_read_report(r, name, 0, 0, pb_buf_str(&err));
		goto out;
	}
	if (pb_csv_init(&sp->csvs[k], pb_input_read, sp->inputs[k], 0) < 0) {
		pb_read_report(r, name, 0, 0, "out of memory");
		goto out;
	}
	sp->csv_ready[k] = 1;
	pb_csv_expect_fields(&sp->csvs[k], nfields);
	if (pb_csv_project(&sp->csvs[k], cols, ncols) < 0) {
		pb_read_report(r, name, 0, 0, "out of memory");
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
 * must stop (reported; a download that failed after its retries is marked).
 */
static int open_input(struct pb_read *r, const char *path, int flags, struct pb_input **in)
{
	struct pb_buf err = PB_BUF_INIT;
	int rc;

	r->fetch = r->opt->fetch;
	r->fetch.if_match = r->if_match;
	rc = pb_input_open_ex(path, flags, &r->fetch, in, &err);
	/* A local file as it was opened: a report's parts are compared with it once the last is read. */
	r->opened_local = rc >= 0 && pb_input_fstat(*in, &r->opened) == 0 && S_ISREG(r->opened.st_mode);
	if (rc < 0) {
		r->remote_failed |= rc == PB_INPUT_ERR_REMOTE;
		pb_read_report(r, path, 0, 0, pb_buf_str(&err));
	}
	pb_buf_release(&err);
	return rc < 0 ? -1 : 0;
}

static int store_flags(const struct pb_read *r)
{
	return r->store ? PB_INPUT_SHA256 | PB_INPUT_PREFETCH : 0;
}

/* What a reduction's failure means, for the message. */
static const char *reduce_error(int rc)
{
	return rc == PB_MONEY_ERR_RANGE	     ? "sum out of range"
	       : rc == PB_REDUCE_ERR_TOOLONG ? "a text value is longer than 65535 bytes"
	       : rc == PB_REDUCE_ERR_SPILL   ? "cannot write the temporary file of the daily rows"
					     : "out of memory";
}

/* A JSON lines text the database would refuse: at the member holding the bad byte at. */
static void jsonl_text_error(struct pb_read *r, const char *name, const struct pb_jsonl *j, const char *at,
			     const char *why)
{
	struct pb_buf msg = PB_BUF_INIT;
	uint32_t col = 1;
	size_t i;

	pb_buf_addf(&msg, "%s in a text value", why);
	for (i = 0; i < j->nfields; i++) {
		const struct pb_json_field *f = &j->fields[i];

		if (at >= f->val && at < f->val + f->val_len) {
			pb_buf_reset(&msg);
			pb_buf_addf(&msg, "%s in member '%.*s'", why, (int)f->key_len, f->key);
			col = f->col;
			break;
		}
	}
	pb_read_report(r, name, j->line, col, pb_buf_str(&msg));
	pb_buf_release(&msg);
}

/* Folds a converted record into the file's reductions. 0, 1 when reported and reading goes on, -1 to stop. */
static int jsonl_fold(struct pb_read *r, const char *name, const struct pb_jsonl *j, const struct pb_usage *u,
		      struct pb_reduce *red, struct pb_reduce *names, struct pb_buf *scratch)
{
	const char *at = NULL, *why = NULL;
	int rc = pb_reduce_add(red, u);

	if (rc == PB_REDUCE_ERR_TEXT) {
		pb_reduce_bad_text(red, &at, &why);
	} else if (rc == 0 && r->store) {
		rc = pb_worker_add_name(names, u, r->tag_keys, scratch);
		if (rc == PB_REDUCE_ERR_TEXT)
			pb_reduce_bad_text(names, &at, &why);
	} else if (rc == 0) {
		/* A summary checks the names as the store would, without keeping them. */
		rc = pb_worker_check_name(u, r->tag_keys, scratch, &at, &why);
	}
	if (rc == PB_REDUCE_ERR_TEXT) {
		jsonl_text_error(r, name, j, at, why);
		return 1;
	}
	if (rc < 0) {
		if (rc != PB_REDUCE_ERR_SPILL || !spill_report(r, name, NULL))
			pb_read_report(r, name, j->line, 1, reduce_error(rc));
		return -1;
	}
	return 0;
}

/* One JSON lines record into the file's reductions. 0, 1 when reported and reading goes on, -1 to stop. */
static int jsonl_record(struct pb_read *r, const char *name, struct pb_jsonl *j, struct pb_format_stats *st,
			struct pb_reduce *red, struct pb_reduce *names, struct pb_buf *scratch)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_usage u;
	char account[40];
	uint32_t col;
	int rc = 0, usage;

	if (pb_partner_center_row(st, j, r->month, &u, account, &err, &col) < 0) {
		pb_read_report(r, name, j->line, col, pb_buf_str(&err));
		rc = 1;
		goto out;
	}
	if (!r->month)
		r->month = u.billing_month; /* standard input without --month: its first line's */
	if (r->only_currency && (u.currency.len != strlen(r->only_currency) ||
				 memcmp(u.currency.ptr, r->only_currency, u.currency.len) != 0)) {
		const struct pb_json_field *f = pb_jsonl_get(j, "BillingCurrency");

		/* A billed invoice in the source's currency replaces it: a line in another would stay current. */
		pb_buf_addf(
			&err,
			"BillingCurrency '%.*s' is not %s, the currency of the unbilled usage that source '%s' holds "
			"(a billed invoice in %s replaces it): store each currency's unbilled usage under its own",
			(int)u.currency.len, u.currency.ptr, r->only_currency, r->only_source, r->only_currency);
		pb_read_report(r, name, j->line, f ? f->col : 1, pb_buf_str(&err));
		rc = 1;
	} else if (pb_month_check(r->month, 0, &u, &err, &usage) < 0) {
		/* The usage day came from UsageDate, or from ChargeStartDate where UsageDate is null or empty. */
		const struct pb_json_field *f = pb_jsonl_get(j, "UsageDate");

		if (!f || f->type == PB_JSON_NULL || f->val_len == 0)
			f = pb_jsonl_get(j, "ChargeStartDate");

		pb_read_report(r, name, j->line, f ? f->col : 1, pb_buf_str(&err));
		rc = 1;
	} else if (!r->errors) {
		rc = jsonl_fold(r, name, j, &u, red, names, scratch);
	}
out:
	if (rc == 1 && r->errors >= r->opt->max_errors)
		rc = -1;
	pb_buf_release(&err);
	return rc;
}

/*
 * Reports the error of a JSON lines file's reader: at its first line, when that starts as a CSV header does,
 * that the file is no JSON lines (a cost export given with the wrong --format), not what yajl made of it.
 */
static void jsonl_error(struct pb_read *r, const char *name, const struct sniff *s, const struct pb_jsonl *j)
{
	uint64_t line = pb_read_error_line(j->err_line, j->line + 1);

	if (line == s->line && sniff_csv(s))
		pb_read_report(r, name, s->line, s->col,
			       "not a JSON object: a Partner Center file holds one object a line (a CSV cost export is "
			       "read with --format aws-cur or azure-cost)");
	else
		pb_read_report(r, name, line, j->err_col, pb_buf_str(&j->err));
}

/* The records of an open JSON lines file. 0, or -1 when the run must stop. */
static int jsonl_records(struct pb_read *r, const char *name, const struct sniff *s, struct pb_jsonl *j,
			 struct pb_format_stats *st, struct pb_reduce *red, struct pb_reduce *names)
{
	struct pb_buf scratch = PB_BUF_INIT;
	uint64_t rows = 0;
	int rc, ret = -1;

	while ((rc = pb_jsonl_next(j)) == PB_JSONL_RECORD) {
		if ((++rows & 0x3fff) == 0) {
			pb_buf_reset(&r->label);
			pb_buf_addstr(&r->label, name);
			pb_progress_update(&r->progress, pb_buf_str(&r->label), r->bytes_before + j->bytes,
					   r->rows + rows);
		}
		if (jsonl_record(r, name, j, st, red, names, &scratch) < 0)
			goto out;
	}
	if (rc == PB_JSONL_ERR) {
		r->remote_failed |= pb_input_remote_failed(s->in);
		jsonl_error(r, name, s, j);
		goto out;
	}
	r->rows += rows;
	r->bytes_before += j->bytes;
	ret = r->errors ? -1 : 0;
out:
	pb_buf_release(&scratch);
	return ret;
}

/* Reads one Partner Center JSON lines file into the run's reduction. Returns 0, or -1 when the run must stop. */
static int read_jsonl(struct pb_read *r, const char *path)
{
	struct pb_input *in = NULL;
	struct sniff sn;
	struct pb_jsonl j;
	struct pb_format_stats st;
	struct pb_reduce *red = NULL, *names = NULL;
	const char *name = path;
	int ret = -1, ready = 0;

	pb_stats_reset(&st);
	if (open_input(r, path, store_flags(r), &in) < 0)
		goto out;
	name = pb_input_name(in);
	red = pb_reduce_new(grain(r->opt));
	names = pb_reduce_new(PB_GRAIN_DAILY);
	sniff_init(&sn, in);
	if (!red || !names || pb_jsonl_init(&j, sniff_read, &sn, (size_t)64 << 20) < 0) {
		pb_read_report(r, name, 0, 0, "out of memory");
		goto out;
	}
	ready = 1;
	pb_reduce_set_cap(names, NAMES_PER_ACCOUNT);
	if (jsonl_records(r, name, &sn, &j, &st, red, names) < 0)
		goto out;
	pb_stats_warn(stderr, pb_log_program(), name, &st);
	r->lines += st.lines;
	if (merge(r, name, red, names) < 0)
		goto out;
	if (r->store) {
		struct file_totals t;

		pb_reduce_totals(red, &t.list, &t.billed, &t.lines);
		if (record_file(r, path, name, in, NULL, &t) < 0)
			goto out;
	}
	ret = 0;
out:
	if (ready)
		pb_jsonl_release(&j);
	if (in && pb_input_remote_failed(in))
		r->remote_failed = 1;
	pb_input_free(in);
	pb_reduce_free(red);
	pb_reduce_free(names);
	return ret;
}

/* Reports that the figure what of name declared by the manifest is not what was read. */
static void figure_differs(struct pb_read *r, const char *name, const char *what, uint64_t declared, uint64_t got)
{
	struct pb_buf msg = PB_BUF_INIT;

	pb_buf_addf(&msg, "%s: the manifest %s declares %llu %s, %llu were read", name, r->manifest,
		    (unsigned long long)declared, what, (unsigned long long)got);
	pb_read_report(r, name, 0, 0, msg.failed ? "a part is not what its manifest declares" : pb_buf_str(&msg));
	pb_buf_release(&msg);
}

/* Compares what the manifest declares of a part (or of them all) with what was read of it. */
static int check_decl(struct pb_read *r, const char *name, const struct pb_part_decl *d, uint64_t bytes, uint64_t rows)
{
	int ret = 0;

	if (!d)
		return 0;
	if ((d->declared & PB_DECL_BYTES) && d->bytes != bytes) {
		figure_differs(r, name, "bytes", d->bytes, bytes);
		ret = -1;
	}
	if ((d->declared & PB_DECL_ROWS) && d->rows != rows) {
		figure_differs(r, name, "data rows", d->rows, rows);
		ret = -1;
	}
	return ret;
}

int pb_read_check_total(struct pb_read *r, const struct pb_part_decl *d)
{
	return check_decl(r, "the delivery", d, r->stored_bytes, r->rows);
}

/* The header of a part against the columns its manifest declares: the same names in the same order. */
static int check_columns(struct pb_read *r, const char *name, const struct pb_csv *csv)
{
	struct pb_buf msg = PB_BUF_INIT;
	size_t i, n = csv->nfields < r->ncolumns ? csv->nfields : r->ncolumns, at;
	uint64_t line;
	uint32_t col;

	if (!r->columns)
		return 0;
	for (i = 0; i < n; i++)
		if (strlen(r->columns[i]) != csv->fields[i].len ||
		    memcmp(r->columns[i], csv->fields[i].ptr, csv->fields[i].len) != 0)
			break;
	if (i == n && csv->nfields == r->ncolumns)
		return 0;
	/* At the first column that differs, or the first one past the manifest's, or the header's last. */
	at = i < csv->nfields ? i : csv->nfields - 1;
	pb_csv_field_pos(csv, at, &line, &col);
	pb_buf_addf(&msg, "the header is not the columns the manifest %s declares: ", r->manifest);
	if (i < n) {
		pb_buf_addf(&msg, "column %zu is ", i + 1);
		pb_add_quoted_value(&msg, csv->fields[i].ptr, csv->fields[i].len);
		pb_buf_addstr(&msg, ", the manifest says ");
		pb_add_quoted_value(&msg, r->columns[i], strlen(r->columns[i]));
	} else {
		pb_buf_addf(&msg, "%zu columns, the manifest declares %zu", csv->nfields, r->ncolumns);
	}
	pb_read_report(r, name, line, col,
		       msg.failed ? "the header is not the columns its manifest declares" : pb_buf_str(&msg));
	pb_buf_release(&msg);
	return -1;
}

/*
 * Reads a CSV file's header and binds it (cols: the columns read). Returns 1 ready, 0 for an empty file,
 * -1 after reporting.
 */
static int read_header(struct pb_read *r, const char *name, const struct sniff *s, struct pb_csv *csv,
		       struct pb_parser *parser, size_t *cols, size_t *ncols)
{
	struct pb_buf err = PB_BUF_INIT;
	uint64_t line;
	uint32_t col;
	size_t field;
	int rc = pb_csv_next(csv), ret = -1;

	if (rc == PB_CSV_END) {
		ret = 0;
	} else if (rc < 0 && s->first == '{') {
		/* Partner Center's JSON lines: say so, not "unexpected '"' in unquoted field". */
		pb_read_report(r, name, s->line, s->col,
			       "a JSON object where a CSV header should be: Partner Center reconciliation files are "
			       "read with --format partner-center");
	} else if (rc < 0) {
		pb_read_report(r, name, pb_read_error_line(csv->err_line, csv->next_line), csv->err_col,
			       pb_buf_str(&csv->err));
	} else if (check_columns(r, name, csv) < 0) {
		/* reported */
	} else if (pb_parser_bind(parser, r->opt->kind, csv, &err, &field) < 0) {
		pb_csv_field_pos(csv, field, &line, &col);
		pb_read_report(r, name, line, col, pb_buf_str(&err));
	} else {
		pb_csv_expect_fields(csv, csv->nfields);
		*ncols = pb_parser_columns(parser, cols);
		if (pb_csv_project(csv, cols, *ncols) < 0)
			pb_read_report(r, name, 0, 0, "out of memory");
		else
			ret = 1;
	}
	pb_buf_release(&err);
	return ret;
}

/* Sets up the workers of a split file: part 0 reads on from the header in csv, the others open their own. */
static int prepare_parts(struct pb_read *r, const char *path, const char *name, struct split *sp,
			 const struct pb_parser *parser, struct pb_csv *csv, const size_t *cols, size_t ncols)
{
	size_t k;

	for (k = 0; k < sp->n; k++) {
		struct pb_worker *w = &sp->workers[k];

		w->parser = *parser;
		w->month = r->month;
		w->max_errors = r->opt->max_errors;
		w->stops = sp->starts + k + 1;
		w->nstops = sp->n - k - 1;
		w->tag_keys = r->tag_keys;
		w->prices = r->prices;
		w->prices_lock = &sp->prices_lock;
		/*
		 * Storing, part 0 reads straight into the run's reduction and the others into reductions of their
		 * own, each with its share of the memory, absorbed into the run's after.
		 */
		sp->borrowed = r->store;
		w->reduce = sp->borrowed && k == 0 ? r->reduce : pb_reduce_new(grain(r->opt));
		if (w->reduce && r->store)
			set_memory(w->reduce, sp->n);
		if (r->store)
			w->names = pb_reduce_new(PB_GRAIN_DAILY);
		if (!w->reduce || (r->store && !w->names)) {
			pb_read_report(r, name, 0, 0, "out of memory");
			return -1;
		}
		if (w->names)
			pb_reduce_set_cap(w->names, NAMES_PER_ACCOUNT);
		if (k == 0)
			w->csv = csv;
		else if (open_part(r, path, name, sp, k, csv->nfields, cols, ncols) < 0)
			return -1;
	}
	return 0;
}

/* changed, for the parts of a split file: part 0 read in, the others their own inputs. */
static int parts_changed(const char *path, const struct stat *before, struct pb_input *in, const struct split *sp,
			 struct pb_buf *err)
{
	struct pb_input *inputs[MAX_THREADS];
	size_t k;

	inputs[0] = in;
	for (k = 1; k < sp->n; k++)
		inputs[k] = sp->inputs[k];
	return changed(path, before, inputs, sp->n, 0, err);
}

/* Reads the records of a bound CSV file, split between threads when it is a plain local file. */
static int read_records(struct pb_read *r, const char *path, const char *name, struct pb_input *in, struct pb_csv *csv,
			struct pb_parser *parser, const size_t *cols, size_t ncols)
{
	struct pb_buf err = PB_BUF_INIT;
	struct split *sp = calloc(1, sizeof(*sp));
	struct file_totals t = {PB_MONEY_ZERO, PB_MONEY_ZERO, 0};
	struct pb_file_hash *hash = NULL;
	/* A file:// URL names a local file: its parts open the path (decoded: it opened so already). */
	char *decoded = strncmp(path, "file://", 7) == 0 ? pb_url_file_path(path, &err) : NULL;
	const char *local = decoded ? decoded : path;
	struct stat before;
	int ret = -1;

	if (!sp) {
		pb_read_report(r, name, 0, 0, "out of memory");
		goto out;
	}
	pthread_mutex_init(&sp->prices_lock, NULL);
	if (strncmp(path, "file://", 7) == 0 && !decoded) {
		pb_read_report(r, name, 0, 0, pb_buf_str(&err));
		goto out;
	}
	pb_reduce_totals(r->reduce, &sp->before.list, &sp->before.billed, &sp->before.lines);
	if (plan_split(sp, in, csv->bytes, pb_input_plain_size(in), r->in_order ? 1 : r->opt->threads, &err) < 0) {
		pb_read_report(r, name, 0, 0, pb_buf_str(&err));
		sp->n = 0;
		goto out;
	}
	/* The other parts open the file again: it must stay the file part 0 opened (see changed). */
	if (sp->n > 1 && pb_input_fstat(in, &before) < 0) {
		int e = errno;

		pb_buf_reset(&err);
		pb_buf_addstr(&err, "cannot read '");
		pb_url_add(&err, local);
		pb_buf_addf(&err, "': %s", strerror(e));
		pb_read_report(r, name, 0, 0, pb_buf_str(&err));
		sp->n = 0;
		goto out;
	}
	if (sp->n > 1)
		pb_test_pause("split");
	/*
	 * Part 0 stops before the file's end: the whole file is hashed on a thread of its own, started once the
	 * parts are read, so that it runs while the rows are stored (when the server works and the client waits)
	 * rather than taking a core from the parts. Part 0's input (and its read-ahead) need not hash the bytes.
	 */
	if (r->store && sp->n > 1)
		pb_input_stop_sha256(in);
	if (prepare_parts(r, local, name, sp, parser, csv, cols, ncols) < 0 || run_parts(r, name, sp) < 0)
		goto out;
	if (sp->n > 1 && parts_changed(local, &before, in, sp, &err)) {
		pb_read_report(r, name, 0, 0, pb_buf_str(&err));
		goto out;
	}
	if (r->store && sp->n > 1) {
		hash = calloc(1, sizeof(*hash));
		if (!hash || (pb_buf_init(&hash->err, 0), start_hash(hash, local, &before)) < 0) {
			pb_read_report(r, name, 0, 0, "cannot start a thread");
			goto out;
		}
	}
	pb_stats_reset(&parser->st);
	if (collect(r, name, sp, &parser->st, &t) < 0)
		goto out;
	pb_stats_warn(stderr, pb_log_program(), name, &parser->st);
	r->lines += parser->st.lines;
	r->no_invoice += parser->st.no_invoice;
	if (r->store && record_file(r, path, name, in, hash, &t) < 0)
		goto out;
	/* The hash goes on while the rows are stored; the file's record gets it from pb_read_finish_hash. */
	if (hash) {
		r->pending_hash = hash;
		r->pending_file = r->nfiles - 1;
		hash = NULL;
	}
	ret = 0;
out:
	free_hash(hash);
	free(decoded);
	if (sp) {
		release_split(sp);
		pthread_mutex_destroy(&sp->prices_lock);
		free(sp);
	}
	/* The parts' reductions are gone (or kept, with their share): the run's has the whole memory again. */
	if (r->store && !r->nextra)
		set_memory(r->reduce, 1);
	pb_buf_release(&err);
	return ret;
}

/* Reads one CSV file into the run's reduction. Returns 0, or -1 when the run must stop. */
static int read_csv(struct pb_read *r, const char *path)
{
	struct pb_input *in = NULL;
	struct sniff sn;
	struct pb_csv csv;
	struct pb_parser parser;
	const char *name = path;
	size_t cols[PB_PARSER_MAXCOLS], ncols = 0;
	uint64_t rows;
	int rc, ret = -1, csv_ready = 0;

	if (open_input(r, path, store_flags(r), &in) < 0)
		goto out;
	name = pb_input_name(in);
	sniff_init(&sn, in);
	if (pb_csv_init(&csv, sniff_read, &sn, 0) < 0) {
		pb_read_report(r, name, 0, 0, "out of memory");
		goto out;
	}
	csv_ready = 1;
	rc = read_header(r, name, &sn, &csv, &parser, cols, &ncols);
	if (rc == 0) {
		struct pb_buf msg = PB_BUF_INIT;

		/* Blank lines are skipped, so a file of them alone ends before a header: say so, not "empty". */
		pb_csv_no_header(&csv, name, &msg);
		pb_read_report(r, name, 0, 0, msg.failed ? "empty file: no header line" : pb_buf_str(&msg));
		pb_buf_release(&msg);
		r->remote_failed |= pb_input_remote_failed(in);
	}
	if (rc <= 0)
		goto out;
	rows = r->rows;
	ret = read_records(r, path, name, in, &csv, &parser, cols, ncols);
	if (ret == 0) {
		/* A plain file split between threads was read whole; this input read its first part only. */
		uint64_t bytes = pb_input_plain_size(in) ? pb_input_plain_size(in) : pb_input_raw_bytes(in);

		r->stored_bytes += bytes;
		ret = check_decl(r, name, r->decl, bytes, r->rows - rows);
	}
out:
	if (csv_ready)
		pb_csv_release(&csv);
	if (in && pb_input_remote_failed(in))
		r->remote_failed = 1;
	pb_input_free(in);
	return ret;
}

int pb_read_file(struct pb_read *r, const char *path)
{
	/* The last file's parts are walked apart only if it is the last one read. */
	if (r->nextra && absorb_extra(r, path) < 0)
		return -1;
	/* One file's hash at a time goes on after its read. */
	if (r->pending_hash) {
		struct pb_buf err = PB_BUF_INIT;
		int rc = pb_read_finish_hash(r, &err);

		if (rc < 0)
			pb_read_report(r, path, 0, 0, pb_buf_str(&err));
		pb_buf_release(&err);
		if (rc < 0)
			return -1;
	}
	return r->opt->kind == PB_FORMAT_PARTNER_CENTER ? read_jsonl(r, path) : read_csv(r, path);
}

/* The first record's month of an open JSON lines file (see pb_read_peek_month). */
static int peek_jsonl(struct pb_read *r, const char *name, struct pb_input *in, int32_t *month)
{
	struct sniff sn;
	struct pb_buf err = PB_BUF_INIT;
	struct pb_format_stats st;
	struct pb_jsonl j;
	struct pb_usage u;
	char account[40];
	uint32_t col;
	int rc, ret = -1;

	sniff_init(&sn, in);
	if (pb_jsonl_init(&j, sniff_read, &sn, (size_t)64 << 20) < 0) {
		pb_read_report(r, name, 0, 0, "out of memory");
		return -1;
	}
	pb_stats_reset(&st);
	rc = pb_jsonl_next(&j);
	if (rc == PB_JSONL_END) {
		ret = 0;
	} else if (rc == PB_JSONL_ERR) {
		r->remote_failed |= pb_input_remote_failed(in);
		jsonl_error(r, name, &sn, &j);
	} else if (pb_partner_center_row(&st, &j, 0, &u, account, &err, &col) < 0) {
		ret = PB_READ_BAD_FIRST; /* the full read reports it, with the others */
	} else {
		*month = u.billing_month;
		ret = 1;
	}
	pb_jsonl_release(&j);
	pb_buf_release(&err);
	return ret;
}

/* The first record's month of an open CSV file (see pb_read_peek_month). */
static int peek_csv(struct pb_read *r, const char *name, struct pb_input *in, int32_t *month)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_csv csv;
	struct pb_parser parser;
	struct pb_usage u;
	size_t cols[PB_PARSER_MAXCOLS], ncols, field;
	struct sniff sn;
	int rc, ret = -1;

	sniff_init(&sn, in);
	if (pb_csv_init(&csv, sniff_read, &sn, 0) < 0) {
		pb_read_report(r, name, 0, 0, "out of memory");
		return -1;
	}
	rc = read_header(r, name, &sn, &csv, &parser, cols, &ncols);
	if (rc == 1) {
		rc = pb_csv_next(&csv);
		if (rc == PB_CSV_END) {
			ret = 0;
		} else if (rc < 0) {
			pb_read_report(r, name, pb_read_error_line(csv.err_line, csv.next_line), csv.err_col,
				       pb_buf_str(&csv.err));
		} else if (pb_parser_row(&parser, &csv, &u, &err, &field) < 0) {
			ret = PB_READ_BAD_FIRST; /* the full read reports it, with the others */
		} else {
			*month = u.billing_month;
			ret = 1;
		}
	} else if (rc == 0) {
		ret = 0;
	}
	r->remote_failed |= ret == -1 && pb_input_remote_failed(in);
	pb_csv_release(&csv);
	pb_buf_release(&err);
	return ret;
}

int pb_read_is_stream(const char *path)
{
	struct stat st;

	return strcmp(path, "-") == 0 || (!pb_fetch_is_url(path) && stat(path, &st) == 0 && !S_ISREG(st.st_mode));
}

int pb_read_peek_month(struct pb_read *r, const char *path, int32_t *month)
{
	struct pb_input *in = NULL;
	const char *name;
	int ret;

	if (strcmp(path, "-") == 0) {
		pb_read_report(r, path, 0, 0, "reading standard input into the store needs --month YYYY-MM");
		return -1;
	}
	if (pb_read_is_stream(path)) {
		struct pb_buf msg = PB_BUF_INIT;

		pb_buf_addf(&msg, "%s: reading a pipe or device into the store needs --month YYYY-MM", path);
		pb_read_report(r, path, 0, 0, msg.failed ? "out of memory" : pb_buf_str(&msg));
		pb_buf_release(&msg);
		return -1;
	}
	if (open_input(r, path, 0, &in) < 0)
		return -1;
	name = pb_input_name(in);
	if (r->opt->kind == PB_FORMAT_PARTNER_CENTER)
		ret = peek_jsonl(r, name, in, month);
	else
		ret = peek_csv(r, name, in, month);
	pb_input_free(in);
	return ret;
}
