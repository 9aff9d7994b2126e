/* pb-aggregate estimate: daily amounts per series from a CSV file in, each series' month-end estimate out. */
#include "estimate_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "atomicfile.h"
#include "buf.h"
#include "csv.h"
#include "date.h"
#include "estimate.h"
#include "exitcode.h"
#include "input.h"
#include "log.h"
#include "opts.h"
#include "money.h"
#include "text.h"

#include "banned.h"

/* Bad records reported before reading stops. */
#define MAX_ERRORS 20
/* Output is written in pieces of about this size. */
#define OUT_CHUNK ((size_t)1 << 16)
/*
 * Series held in memory at most (about 2 KB each, twice that with one-offs). A file sorted by series is read
 * in batches of this many, each estimated and set aside on disk, so its size does not matter; one that is not
 * sorted is held whole, and refused past this many series.
 */
#define MAX_HELD 10000

static const char usage_text[] =
	"usage: pb-aggregate estimate --as-of YYYY-MM-DD [--final] [--minor-unit N] FILE\n"
	"\n"
	"Estimates the month total of every series of FILE ('-': standard input), a CSV file with a header row\n"
	"naming the columns series, date, charge_category and amount. The month is the as-of day's; dates run from\n"
	"90 days before the month through the as-of day. Charge category Usage is recurring and projected over the\n"
	"rest of the month; any other (Purchase, Credit, Tax, Fee, ...) counts once, where it falls.\n"
	"\n"
	"  --as-of YYYY-MM-DD  the last day the data covers, a day of a month from 0001-04 to 9999-11\n"
	"  --final             the month's data is complete: the estimate is the month-to-date\n"
	"  --minor-unit N      decimals of the currency (default 2; 0 for JPY, 3 for BHD)\n"
	"\n"
	"Writes series,month,as_of,month_to_date,estimate,low80,high80,low90,high90,method: one line per series,\n"
	"sorted by series; month-to-date exact, the rest rounded to the minor unit with 80 % and 90 % intervals.\n"
	"A file of more than 10000 series must be sorted by series (byte order: LC_ALL=C sort).\n"
	"Exit status: 0 success, 1 bad input, 2 usage error, 3 standard output or a temporary file cannot be\n"
	"written.\n";

enum { COL_SERIES, COL_DATE, COL_CATEGORY, COL_AMOUNT, NCOLS };
static const char *const column_names[NCOLS] = {"series", "date", "charge_category", "amount"};

/*
 * One series as read: its key, its month-to-date, and its daily usage and one-offs from first_day on (oneoff
 * only once the series has one: most have none).
 */
struct series {
	char *key;
	size_t keylen;
	pb_money mtd;
	pb_money usage[PB_ESTIMATE_MAX_DAYS];
	pb_money *oneoff;
};

/* The series read so far, and an open-addressing index of them by key. */
struct table {
	struct series **v;
	size_t n, alloc;
	size_t *slots; /* index + 1 into v; 0 is an empty slot */
	size_t nslots;
};

/*
 * The output lines of the series estimated so far: in buf, and in the temporary file f (NULL until a sorted
 * file's first batch is set aside) once buf grows past OUT_CHUNK.
 */
struct sink {
	FILE *f;
	struct pb_buf buf;
	int failed; /* writing f failed: errno_ says why */
	int errno_;
};

struct options {
	int32_t as_of;
	int has_as_of, final, minor_unit;
	const char *file;
};

struct run {
	const char *name;
	const struct options *o;
	int32_t as_of, month_start, first_day;
	struct pb_csv csv;
	long col[NCOLS];
	struct table t;
	struct series *last; /* the series of the last good record */
	int unsorted;	     /* a record's series came before the one of the record before it */
	int set_aside;	     /* batches of series have been estimated and dropped from t */
	struct sink out;
	unsigned errors;
	uint64_t rounded;	      /* amounts of more than 18 decimal places, rounded */
	struct pb_log_where round_at; /* the first of them */
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	struct pb_buf msg = PB_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	pb_buf_addstr(&msg, "estimate: ");
	pb_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	pb_log(PB_LOG_ERROR, NULL, "%s", pb_buf_str(&msg));
	fprintf(stderr, "Try 'pb-aggregate estimate --help'.\n");
	pb_buf_release(&msg);
	return EXIT_USAGE;
}

int pb_estimate_month_taken(const char *opt, const char *value, int32_t day, struct pb_buf *why)
{
	int32_t first = pb_date_from_ymd(1, 1, 1) + PB_ESTIMATE_HISTORY, lowest = pb_date_month_start(first);
	char low[11];

	if (pb_date_after_last_month(day)) {
		pb_buf_addf(why, PB_DATE_OUT_OF_RANGE, opt, value, pb_date_bound(PB_DATE_AFTER_LAST));
		return -1;
	}
	if (lowest < first)
		lowest = pb_date_month_start(lowest + 31);
	if (day >= lowest)
		return 0;
	pb_date_format(lowest, low);
	pb_buf_addf(why,
		    "%s %s is out of range: a month from %.7s to " PB_DATE_LAST_MONTH
		    " (its estimate reads the %d days before it)",
		    opt, value, low, PB_ESTIMATE_HISTORY);
	return -1;
}

/* Parses argv (argv[0] is "estimate"). Returns 0, -1 when --help was shown, or an exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"as-of", required_argument, NULL, 'a'},
		{"final", no_argument, NULL, 'f'},
		{"minor-unit", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct pb_buf range = PB_BUF_INIT;
	int ch, rc;

	memset(o, 0, sizeof(*o));
	o->minor_unit = 2;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, PB_OPTSTRING, longopts, NULL)) != -1) {
		long v;

		switch (ch) {
		case 'a':
			/* A day of year 0000 is before every day taken, and said with their range. */
			if (pb_date_read(optarg, strlen(optarg), PB_DATE_DAY, &o->as_of) == PB_DATE_MALFORMED)
				return usage_error("--as-of takes YYYY-MM-DD, not '%s'", optarg);
			if (pb_estimate_month_taken("--as-of", optarg, o->as_of, &range) < 0) {
				rc = usage_error("%s", pb_buf_str(&range));
				pb_buf_release(&range);
				return rc;
			}
			o->has_as_of = 1;
			break;
		case 'f':
			o->final = 1;
			break;
		case 'm':
			if (pb_opts_count(optarg, 0, PB_MONEY_SCALE, &v) < 0)
				return usage_error("--minor-unit takes a number of decimals 0..%d, not '%s'",
						   PB_MONEY_SCALE, optarg);
			o->minor_unit = (int)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default: {
			char why[256];

			pb_opts_refusal(ch, argc, argv, why, sizeof(why));
			return usage_error("%s", why);
		}
		}
	}
	if (!o->has_as_of)
		return usage_error("--as-of YYYY-MM-DD is required");
	if (optind != argc - 1)
		return usage_error(optind == argc ? "a FILE to read is required ('-': standard input)"
						  : "one FILE only");
	o->file = argv[optind];
	return 0;
}

/* Appends the text of a field in quotes, cut at 40 bytes. */
static void add_quoted(struct pb_buf *b, const struct pb_csv_field *f)
{
	if (f->len <= 40)
		pb_buf_addf(b, "\"%.*s\"", (int)f->len, f->ptr);
	else
		pb_buf_addf(b, "\"%.40s...\"", f->ptr);
}

/* Reports a bad field of the current record: "FILE:LINE:COL: message". */
static void field_error(struct run *r, long field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void field_error(struct run *r, long field, const char *fmt, ...)
{
	struct pb_log_where w = {0};
	struct pb_buf msg = PB_BUF_INIT;
	va_list ap;

	w.file = r->name;
	pb_csv_field_pos(&r->csv, (size_t)field, &w.line, &w.column);
	va_start(ap, fmt);
	pb_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	pb_log(PB_LOG_ERROR, &w, "%s", pb_buf_str(&msg));
	pb_buf_release(&msg);
	r->errors++;
}

/* Reports what the CSV reader found wrong. */
static void csv_error(struct run *r)
{
	struct pb_log_where w = {0};

	w.file = r->name;
	w.line = r->csv.err_line;
	w.column = r->csv.err_col;
	pb_log(PB_LOG_ERROR, &w, "%s", pb_buf_str(&r->csv.err));
	r->errors++;
}

static uint64_t hash_key(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

static int table_grow(struct table *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 1024, i;
	size_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -1;
	for (i = 0; i < t->n; i++) {
		size_t j = hash_key(t->v[i]->key, t->v[i]->keylen) & (nslots - 1);

		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

/* The series with this key, added when new; NULL when memory ran out. */
static struct series *table_get(struct table *t, const char *key, size_t len)
{
	struct series *s;
	size_t j;

	if ((t->n + 1) * 2 > t->nslots && table_grow(t) < 0)
		return NULL;
	for (j = hash_key(key, len) & (t->nslots - 1); t->slots[j]; j = (j + 1) & (t->nslots - 1)) {
		s = t->v[t->slots[j] - 1];
		if (s->keylen == len && memcmp(s->key, key, len) == 0)
			return s;
	}
	if (t->n == t->alloc) {
		size_t alloc = t->alloc ? t->alloc * 2 : 256;
		struct series **v = realloc(t->v, alloc * sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->alloc = alloc;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->key = malloc(len + 1);
	if (!s->key) {
		free(s);
		return NULL;
	}
	memcpy(s->key, key, len);
	s->key[len] = '\0';
	s->keylen = len;
	t->v[t->n] = s;
	t->slots[j] = ++t->n;
	return s;
}

static void table_release(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i]->key);
		free(t->v[i]->oneoff);
		free(t->v[i]);
	}
	free(t->v);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static int add_line(struct run *r, const struct options *o, const struct series *s, struct pb_buf *out);

static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

/* Writes the sink's buffer to its file (created when missing). Returns 0, or -1 with failed set. */
static int sink_spill(struct sink *k)
{
	if (k->failed)
		return -1;
	if (!k->f) {
		k->f = pb_tmpfile();
		if (!k->f)
			goto fail;
	}
	if (k->buf.len && fwrite(k->buf.ptr, 1, k->buf.len, k->f) != k->buf.len)
		goto fail;
	pb_buf_reset(&k->buf);
	return 0;
fail:
	k->failed = 1;
	k->errno_ = errno;
	return -1;
}

/*
 * Estimates every series held (all of them before the current record's, the file being sorted so far) into
 * the sink and drops them. Returns 0, or -1 when the temporary file cannot be written.
 */
static int set_aside(struct run *r)
{
	for (size_t i = 0; i < r->t.n; i++) {
		if (add_line(r, r->o, r->t.v[i], &r->out.buf) < 0)
			r->errors++;
		if (r->out.buf.failed)
			return -1;
		if (r->out.buf.len >= OUT_CHUNK && sink_spill(&r->out) < 0)
			return -1;
	}
	table_release(&r->t);
	r->last = NULL;
	r->set_aside = 1;
	return 0;
}

/*
 * The series of the current record, checking the order of the series. Returns 0 with *out set, 1 after
 * reporting a record that cannot be read with the series held (reading stops), or -1 out of memory or when
 * the temporary file cannot be written.
 */
static int find_series(struct run *r, const struct pb_csv_field *key, struct series **out)
{
	int c = r->last ? key_cmp(key->ptr, key->len, r->last->key, r->last->keylen) : 1;

	*out = NULL;
	if (c == 0) {
		*out = r->last;
		return 0;
	}
	if (c < 0 && r->set_aside) {
		field_error(r, r->col[COL_SERIES],
			    "series '%.*s' comes after series '%s': a file of more than %d series must be sorted by "
			    "series (byte order: LC_ALL=C sort)",
			    key->len > 40 ? 40 : (int)key->len, key->ptr, r->last->key, MAX_HELD);
		return 1;
	}
	if (c < 0)
		r->unsorted = 1;
	else if (!r->unsorted && r->t.n >= MAX_HELD && set_aside(r) < 0)
		return -1;
	*out = table_get(&r->t, key->ptr, key->len);
	if (!*out)
		return -1;
	if (r->t.n > MAX_HELD) {
		field_error(r, r->col[COL_SERIES],
			    "more than %d series in a file not sorted by series: sort it by series (byte order: "
			    "LC_ALL=C sort) to estimate any number",
			    MAX_HELD);
		return 1;
	}
	r->last = *out;
	return 0;
}

/* Finds the columns by name. Returns 0, or -1 after reporting what is wrong with the header. */
static int read_header(struct run *r)
{
	struct pb_log_where w = {0};
	int rc = pb_csv_next(&r->csv), c;

	w.file = r->name;
	if (rc == PB_CSV_END) {
		/* Blank lines are skipped: a file of them alone is said to be so, at the line after them. */
		w.line = r->csv.next_line;
		w.column = 1;
		if (r->csv.next_line > 1)
			pb_log(PB_LOG_ERROR, &w,
			       "the file holds only blank lines (%llu): a header row "
			       "series,date,charge_category,amount "
			       "is needed",
			       (unsigned long long)(r->csv.next_line - 1));
		else
			pb_log(PB_LOG_ERROR, &w,
			       "the file is empty: a header row series,date,charge_category,amount is needed");
		return -1;
	}
	if (rc < 0) {
		csv_error(r);
		return -1;
	}
	for (c = 0; c < NCOLS; c++)
		r->col[c] = -1;
	for (size_t i = 0; i < r->csv.nfields; i++) {
		const struct pb_csv_field *f = &r->csv.fields[i];

		for (c = 0; c < NCOLS; c++)
			if (strlen(column_names[c]) == f->len && strncasecmp(f->ptr, column_names[c], f->len) == 0)
				break;
		if (c == NCOLS || r->col[c] >= 0) {
			field_error(r, (long)i, c == NCOLS ? "unknown column '%.*s'" : "column '%.*s' appears twice",
				    (int)f->len, f->ptr);
			return -1;
		}
		r->col[c] = (long)i;
	}
	for (c = 0; c < NCOLS; c++) {
		if (r->col[c] < 0) {
			w.line = r->csv.line;
			w.column = 1;
			pb_log(PB_LOG_ERROR, &w, "no column '%s'", column_names[c]);
			return -1;
		}
	}
	pb_csv_expect_fields(&r->csv, r->csv.nfields);
	return 0;
}

/* Whether a text field is text as pb-ingest takes it, UTF-8 without NUL bytes: 0, or -1 after reporting it. */
static int text_field(struct run *r, int c)
{
	const struct pb_csv_field *f = &r->csv.fields[r->col[c]];
	const char *why;

	if (pb_text_check(f->ptr, f->len, NULL, &why) == 0)
		return 0;
	field_error(r, r->col[c], "%s in column '%s'", why, column_names[c]);
	return -1;
}

/*
 * A charge category is compared with Usage as pb-ingest compares charge types, in any case and with nothing taken
 * off: a blank at either end is a mistake (a CSV written with ", " between its fields), not a one-off charge.
 */
static int blank_at_end(const struct pb_csv_field *f)
{
	return f->len &&
	       (f->ptr[0] == ' ' || f->ptr[0] == '\t' || f->ptr[f->len - 1] == ' ' || f->ptr[f->len - 1] == '\t');
}

/*
 * Adds the current record to its series. Returns 0, 1 after reporting a bad record, 2 after reporting one that
 * stops the reading, or -1 out of memory or when the temporary file cannot be written.
 */
static int read_row(struct run *r)
{
	const struct pb_csv_field *key = &r->csv.fields[r->col[COL_SERIES]];
	const struct pb_csv_field *date = &r->csv.fields[r->col[COL_DATE]];
	const struct pb_csv_field *cat = &r->csv.fields[r->col[COL_CATEGORY]];
	const struct pb_csv_field *amount = &r->csv.fields[r->col[COL_AMOUNT]];
	struct pb_money_parse_info info;
	struct series *s;
	char text[11], limit[11];
	int32_t day;
	pb_money v, *sum;
	int usage, rc;

	if (key->len == 0) {
		field_error(r, r->col[COL_SERIES], "empty series");
		return 1;
	}
	if (text_field(r, COL_SERIES) < 0)
		return 1;
	/* A day of year 0000 is before the window, as one of year 0001 is: out of range, not malformed. */
	if (pb_date_read(date->ptr, date->len, PB_DATE_DAY, &day) == PB_DATE_MALFORMED) {
		struct pb_buf msg = PB_BUF_INIT;

		add_quoted(&msg, date);
		field_error(r, r->col[COL_DATE], "bad date %s", pb_buf_str(&msg));
		pb_buf_release(&msg);
		return 1;
	}
	if (day > r->as_of || day < r->first_day) {
		pb_date_format(day, text);
		pb_date_format(day > r->as_of ? r->as_of : r->month_start, limit);
		if (day > r->as_of)
			field_error(r, r->col[COL_DATE], "date %s is after the as-of day %s", text, limit);
		else
			field_error(r, r->col[COL_DATE], "date %s is more than %d days before the month (%.7s)", text,
				    PB_ESTIMATE_HISTORY, limit);
		return 1;
	}
	if (cat->len == 0) {
		field_error(r, r->col[COL_CATEGORY], "empty charge_category");
		return 1;
	}
	if (text_field(r, COL_CATEGORY) < 0)
		return 1;
	if (blank_at_end(cat)) {
		struct pb_buf msg = PB_BUF_INIT;

		add_quoted(&msg, cat);
		field_error(r, r->col[COL_CATEGORY], "bad charge_category %s: a blank before or after it",
			    pb_buf_str(&msg));
		pb_buf_release(&msg);
		return 1;
	}
	if (pb_money_parse(amount->ptr, amount->len, &v, &info) < 0) {
		struct pb_buf msg = PB_BUF_INIT;

		add_quoted(&msg, amount);
		field_error(r, r->col[COL_AMOUNT], "bad amount %s: %s", pb_buf_str(&msg), info.reason);
		pb_buf_release(&msg);
		return 1;
	}
	if (info.rounded && r->rounded++ == 0) {
		r->round_at.file = r->name;
		pb_csv_field_pos(&r->csv, (size_t)r->col[COL_AMOUNT], &r->round_at.line, &r->round_at.column);
	}
	rc = find_series(r, key, &s);
	if (rc != 0)
		return rc < 0 ? -1 : 2;
	usage = cat->len == 5 && strncasecmp(cat->ptr, "Usage", 5) == 0;
	if (!usage && !s->oneoff) {
		s->oneoff = calloc(PB_ESTIMATE_MAX_DAYS, sizeof(*s->oneoff));
		if (!s->oneoff)
			return -1;
	}
	sum = usage ? &s->usage[day - r->first_day] : &s->oneoff[day - r->first_day];
	if (pb_money_add(*sum, v, sum) < 0 || (day >= r->month_start && pb_money_add(s->mtd, v, &s->mtd) < 0)) {
		field_error(r, r->col[COL_AMOUNT], "amount out of range: the series' sum leaves the range of amounts");
		return 1;
	}
	return 0;
}

/*
 * Reads every record. Returns 0, -1 after reporting the bad records (or running out of memory), or -2 after
 * reporting that the temporary file cannot be written.
 */
static int read_all(struct run *r)
{
	int rc;

	if (read_header(r) < 0)
		return -1;
	while (r->errors < MAX_ERRORS) {
		rc = pb_csv_next(&r->csv);
		if (rc == PB_CSV_END)
			break;
		if (rc == PB_CSV_ERR_RECORD) {
			csv_error(r);
			continue;
		}
		if (rc == PB_CSV_ERR_FATAL) {
			csv_error(r);
			return -1;
		}
		rc = read_row(r);
		if (rc < 0 && r->out.failed) {
			pb_error("cannot write a temporary file in '%s': %s", pb_tmpdir(), strerror(r->out.errno_));
			return -2;
		}
		if (rc < 0) {
			pb_error("out of memory reading '%s'", r->name);
			return -1;
		}
		if (rc == 2)
			return -1;
	}
	if (r->errors >= MAX_ERRORS)
		pb_error("%s: stopped after %d errors", r->name, MAX_ERRORS);
	if (r->errors)
		return -1;
	/* Said as pb-ingest says it: the month to date printed is that of the rounded amounts. */
	if (r->rounded)
		pb_log(PB_LOG_WARNING, &r->round_at,
		       "%llu amount%s had more than 18 decimal places and %s rounded half-to-even, the first here",
		       (unsigned long long)r->rounded, r->rounded == 1 ? "" : "s", r->rounded == 1 ? "was" : "were");
	return 0;
}

static int cmp_series(const void *pa, const void *pb)
{
	const struct series *a = *(struct series *const *)pa, *b = *(struct series *const *)pb;
	size_t n = a->keylen < b->keylen ? a->keylen : b->keylen;
	int c = memcmp(a->key, b->key, n);

	if (c != 0)
		return c;
	return (a->keylen > b->keylen) - (a->keylen < b->keylen);
}

/* Appends one series' line. Returns 0, or -1 after reporting that its figures leave the range. */
static int add_line(struct run *r, const struct options *o, const struct series *s, struct pb_buf *out)
{
	struct pb_estimate_series in;
	struct pb_estimate e;
	const pb_money *fig[5] = {&e.estimate, &e.low80, &e.high80, &e.low90, &e.high90};
	char day[11], num[PB_MONEY_STRMAX];

	memset(&in, 0, sizeof(in)); /* no partial days: the file's series end at as_of */
	in.month_start = r->month_start;
	in.as_of = r->as_of;
	in.first_day = r->first_day;
	in.ndays = (size_t)(r->as_of - r->first_day + 1);
	in.recurring = s->usage;
	in.oneoff = s->oneoff;
	in.month_to_date = s->mtd;
	in.final = o->final;
	in.minor_unit = o->minor_unit;
	if (pb_estimate_compute(&in, &e) < 0) {
		pb_error("%s: series '%s': the estimate leaves the range of amounts", r->name, s->key);
		return -1;
	}
	pb_date_format(r->as_of, day);
	/* A key a spreadsheet would run as a formula gets a single quote before it. */
	pb_buf_add_csv_text(out, s->key, s->keylen);
	pb_buf_addf(out, ",%.7s,%s,", day, day);
	pb_money_format_canonical(s->mtd, num);
	pb_buf_addstr(out, num);
	for (int i = 0; i < 5; i++) {
		pb_money_format(*fig[i], o->minor_unit, num);
		pb_buf_addch(out, ',');
		pb_buf_addstr(out, num);
	}
	pb_buf_addf(out, ",%s\n", e.method);
	return 0;
}

/* Copies what the sink's file holds onto stdout. Returns 0, -1 when stdout fails, -2 when the file does. */
static int copy_spilled(struct sink *k)
{
	char chunk[OUT_CHUNK];
	size_t n;

	if (!k->f)
		return 0;
	if (fflush(k->f) != 0 || ferror(k->f) || fseek(k->f, 0, SEEK_SET) != 0)
		goto fail;
	while ((n = fread(chunk, 1, sizeof(chunk), k->f)) > 0)
		if (fwrite(chunk, 1, n, stdout) != n)
			return -1;
	if (ferror(k->f))
		goto fail;
	return 0;
fail:
	k->failed = 1;
	k->errno_ = errno;
	return -2;
}

/*
 * Estimates the series held, in key order, after those set aside, and prints them all; prints nothing when a
 * figure leaves the range. Returns an exit status.
 */
static int write_all(struct run *r, const struct options *o)
{
	static const char header[] = "series,month,as_of,month_to_date,estimate,low80,high80,low90,high90,method\n";
	struct sink *k = &r->out;
	int rc = EXIT_OK;

	if (r->t.n)
		qsort(r->t.v, r->t.n, sizeof(r->t.v[0]), cmp_series);
	for (size_t i = 0; i < r->t.n && rc == EXIT_OK; i++) {
		if (add_line(r, o, r->t.v[i], &k->buf) < 0)
			rc = EXIT_DATA;
		else if (k->buf.failed)
			rc = -1;
		else if (k->f && k->buf.len >= OUT_CHUNK && sink_spill(k) < 0)
			rc = -2;
	}
	if (rc == EXIT_OK && r->errors)
		rc = EXIT_DATA; /* a series set aside left the range */
	if (rc == EXIT_OK && fputs(header, stdout) == EOF)
		rc = -3;
	if (rc == EXIT_OK) {
		int c = copy_spilled(k);

		rc = c == -1 ? -3 : c;
	}
	if (rc == EXIT_OK && k->buf.len && fwrite(k->buf.ptr, 1, k->buf.len, stdout) != k->buf.len)
		rc = -3;
	if (rc == EXIT_OK && (fflush(stdout) != 0 || ferror(stdout)))
		rc = -3;
	if (rc == -1) {
		pb_error("cannot write standard output: out of memory");
		rc = EXIT_DATA;
	} else if (rc == -2) {
		pb_error("cannot write a temporary file in '%s': %s", pb_tmpdir(), strerror(k->errno_));
		rc = EXIT_DEPENDENCY;
	} else if (rc == -3) {
		/* Said once, with the first failed write's error, when standard output is closed (pb_close_stdout). */
		rc = EXIT_DEPENDENCY;
	}
	return rc;
}

int pb_estimate_cli(int argc, char **argv)
{
	struct options o;
	struct run r;
	struct pb_input *in = NULL;
	struct pb_buf err = PB_BUF_INIT;
	int rc, csv_ready = 0;

	rc = parse_options(argc, argv, &o);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	/* The estimates are all it gives: into a closed standard output (now /dev/null) it would succeed. */
	if (pb_opts_stdout_closed())
		return pb_opts_stdout_closed_refused();
	memset(&r, 0, sizeof(r));
	pb_buf_init(&r.out.buf, 0);
	r.o = &o;
	r.as_of = o.as_of;
	r.month_start = pb_date_month_start(o.as_of);
	r.first_day = r.month_start - PB_ESTIMATE_HISTORY;
	if (pb_input_open(o.file, &in, &err) < 0) {
		pb_error("%s", pb_buf_str(&err));
		rc = EXIT_DATA;
		goto out;
	}
	r.name = pb_input_name(in);
	if (pb_csv_init(&r.csv, pb_input_read, in, 0) < 0) {
		pb_error("out of memory");
		rc = EXIT_DATA;
		goto out;
	}
	csv_ready = 1;
	rc = read_all(&r);
	if (rc < 0) {
		/* -2: the temporary file, the environment's failure as in write_all; else bad input. */
		rc = rc == -2 ? EXIT_DEPENDENCY : EXIT_DATA;
		goto out;
	}
	rc = write_all(&r, &o);
out:
	if (csv_ready)
		pb_csv_release(&r.csv);
	table_release(&r.t);
	pb_buf_release(&r.out.buf);
	if (r.out.f)
		fclose(r.out.f);
	pb_input_free(in);
	pb_buf_release(&err);
	return rc;
}
