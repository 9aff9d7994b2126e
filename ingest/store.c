/* The import protocol of shared/DESIGN.md: lock, running row, one transaction, supersede. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "date.h"
#include "db.h"
#include "interrupt.h"
#include "log.h"
#include "pgcopy.h"
#include "testhook.h"
#include "text.h"
#include "url.h"
#include "who.h"

#include "banned.h"

/* The sources of Partner Center's unbilled usage of a month and of an invoice's billed usage (+ currency, invoice). */
#define PC_UNBILLED "partner-center:unbilled:"
#define PC_BILLED "partner-center:billed:"

/*
 * Rows are handed to libpq 16 KB at a time. The server takes the rows more slowly than they are made, so with
 * small pieces the socket stays full and the server never waits; with 256 KB pieces it waited in epoll for
 * each piece to be made (bench/README.md: the COPY of 574,897 Azure rows 1.22-1.50 s with 256 KB, 0.81-0.94 s
 * with 8-32 KB, 1.36-1.51 s with 1 MB).
 */
#define COPY_CHUNK ((size_t)16 << 10)

/* Adds the time since *t to the import's phase, if it keeps them, and restarts *t. */
static void phase(const struct pb_store_import *im, int which, struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (im->phase_ns)
		im->phase_ns[which] += (int64_t)(now.tv_sec - t->tv_sec) * 1000000000 + (now.tv_nsec - t->tv_nsec);
	*t = now;
}

/*
 * The advisory lock's name; its key is the name's 64-bit hash, computed by the server. IMPORT_LOCK_NAME_SQL is
 * the same name made in SQL from the row i of pb.import.
 */
#define IMPORT_LOCK_NAME_SQL(i)                                                                            \
	"('pb-import|' || " i ".vendor || '|' || " i ".format || '|' || " i ".source || '|' || to_char(" i \
	".billing_month, 'YYYY-MM-DD'))"
static void lock_name(const struct pb_store_import *im, char *month, struct pb_buf *key)
{
	pb_date_format(im->billing_month, month);
	pb_buf_reset(key);
	pb_buf_addf(key, "pb-import|%s|%s|%s|%s", im->vendor, im->format, im->source, month);
}

/* Says who holds the lock: the running import and the session behind it. */
static void describe_holder(PGconn *conn, const struct pb_store_import *im, const char *key, const char *month,
			    struct pb_buf *err)
{
	const char *p[5] = {key, im->vendor, im->source, month, im->format};
	struct pb_buf ignore = PB_BUF_INIT;
	PGresult *res;

	res = pb_db_query(conn,
			  "SELECT a.pid, coalesce(i.id::text, '?'), coalesce(i.run_by, a.application_name), "
			  "to_char(coalesce(i.started_at, a.backend_start), 'YYYY-MM-DD HH24:MI:SS TZ') "
			  "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
			  "LEFT JOIN pb.import i ON i.status = 'running' AND i.vendor = $2 AND i.source = $3 "
			  "AND i.billing_month = $4::date AND i.format = $5 "
			  "WHERE l.granted AND " PB_DB_ADVISORY_LOCK_IS(
				  "l", "hashtextextended($1, 0)") " "
								  "ORDER BY i.id DESC NULLS LAST LIMIT 1",
			  5, p, &ignore);
	pb_buf_reset(err);
	pb_buf_addf(err, "the %s import of '%s' for %.7s is running already", im->vendor, im->source, month);
	if (res && PQntuples(res) == 1)
		pb_buf_addf(err, ": import %s, by %s, since %s (server process %s)", PQgetvalue(res, 0, 1),
			    PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 0));
	PQclear(res);
	pb_buf_release(&ignore);
}

int pb_store_lock(PGconn *conn, const struct pb_store_import *im, struct pb_buf *err)
{
	struct pb_buf key = PB_BUF_INIT;
	char month[11];
	const char *p[1];
	PGresult *res;
	int ret = PB_STORE_ERR_DB;

	lock_name(im, month, &key);
	p[0] = pb_buf_str(&key);
	res = pb_db_query(conn, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", 1, p, err);
	if (res && strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		describe_holder(conn, im, pb_buf_str(&key), month, err);
		ret = PB_STORE_ERR_LOCKED;
	} else if (res) {
		ret = 0;
	}
	PQclear(res);
	pb_buf_release(&key);
	return ret;
}

int pb_store_begin(PGconn *conn, struct pb_store_import *im, struct pb_buf *err)
{
	struct pb_buf who = PB_BUF_INIT;
	char month[11], host[256] = "";
	PGresult *res = NULL;
	int ret = PB_STORE_ERR_DB, begun = 0;

	pb_date_format(im->billing_month, month);
	if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0)
		goto out;
	begun = 1;
	/* Holding the lock, any 'running' import of the key belongs to a run that died. */
	{
		const char *p[4] = {im->vendor, im->source, month, im->format};

		if (pb_db_exec(conn,
			       "UPDATE pb.import SET status = 'failed', finished_at = now(), "
			       "error = 'interrupted: the run ended before it finished' "
			       "WHERE vendor = $1 AND source = $2 AND billing_month = $3::date AND format = $4 "
			       "AND status = 'running'",
			       4, p, err) < 0)
			goto out;
	}
	pb_who_host(host, sizeof(host));
	pb_buf_addf(&who, "pb-ingest pid %ld on %s", (long)getpid(), host);
	{
		const char *p[5] = {im->vendor, im->source, month, pb_buf_str(&who), im->format};

		res = pb_db_query(conn,
				  "INSERT INTO pb.import (vendor, format, source, billing_month, status, run_by) "
				  "VALUES ($1, $5, $2, $3::date, 'running', $4) "
				  "RETURNING id, (started_at AT TIME ZONE 'UTC')::date::text",
				  5, p, err);
	}
	if (!res)
		goto out;
	im->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (!pb_test_today(&im->started_day) && pb_date_parse_day(PQgetvalue(res, 0, 1), &im->started_day) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "the database server's date '%s' is not a date YYYY-MM-DD", PQgetvalue(res, 0, 1));
		goto out;
	}
	ret = 0;
out:
	PQclear(res);
	pb_buf_release(&who);
	if (ret < 0 && begun)
		PQclear(PQexec(conn, "ROLLBACK"));
	return ret;
}

int pb_store_begin_end(PGconn *conn, int keep, struct pb_buf *err)
{
	if (!keep) {
		PQclear(PQexec(conn, "ROLLBACK"));
		return 0;
	}
	return pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0 ? PB_STORE_ERR_DB : 0;
}

static int put_copy(PGconn *conn, struct pb_buf *b, struct pb_buf *err)
{
	if (pb_interrupt_check(err) < 0)
		return -1;
	return pb_db_copy_send(conn, b, err);
}

/*
 * Sends what b holds and ends the COPY (ok: the rows went well so far); the rows the server took in *count
 * unless it is NULL. Returns 0 or -1 with err set.
 */
static int copy_finish(PGconn *conn, struct pb_buf *b, int ok, uint64_t *count, struct pb_buf *err)
{
	int ret;

	ok = ok && put_copy(conn, b, err) == 0;
	ret = pb_db_copy_end(conn, ok, count, err);
	pb_buf_release(b);
	return ret;
}

/*
 * One COPY of the few rows that rows holds whole (text format): started with sql, sent and ended. Releases
 * rows. Returns 0 or -1 with err set.
 */
static int copy_all(PGconn *conn, const char *sql, struct pb_buf *rows, struct pb_buf *err)
{
	if (pb_db_copy_start(conn, sql, err) < 0) {
		pb_buf_release(rows);
		return -1;
	}
	return copy_finish(conn, rows, 1, NULL, err);
}

/* pb.usage_daily.list_source's text. */
static const char *list_source_name(enum pb_list_source s)
{
	return s == PB_LIST_PRICE ? "price-list" : s == PB_LIST_EXPORT ? "export" : "none";
}

/* What one partner account holds in one currency. */
struct account_total {
	char *currency; /* a copy: a row's texts last only until the next row */
	size_t currency_len;
	pb_money list, billed;
	uint64_t lines;
	int32_t lo, hi;
};

/* One (charge category, charge type) of an import and its totals; the texts are copies. */
struct charge {
	struct pb_text category, type;
	pb_money list, billed;
	uint64_t lines;
};

/* One list source of an import (a price load apart from another) and its totals. */
struct list_total {
	enum pb_list_source source;
	int64_t load;
	pb_money list, billed;
	uint64_t lines;
};

/*
 * What the import's rows add up to per partner account and currency (the COPY lines of pb.import_account,
 * made as each account's rows end: they come sorted by account), per charge and per list source, tallied
 * while the rows are sent.
 */
struct tally {
	const char *id;
	struct pb_buf accounts;
	struct pb_text account; /* the account whose rows are being sent: its text in account_text */
	struct pb_buf account_text;
	int have_account;
	struct account_total *t; /* the account's currencies, as many as its rows have (three capitals each) */
	size_t nt, capt, lastt;	 /* used, allocated, and the one of the row before */
	uint16_t *code;		 /* by currency code (CODES places): 1 + its place in t, or 0 (made on first use) */
	struct charge *cs;
	size_t ncs;
	struct list_total *ls;
	size_t nls;
	/* Set when a total left the range of amounts (its message in the error): bad data, not the database. */
	int range;
};

/* Three capitals, as every parser checks a currency: 26^3 codes, fewer than a uint16_t counts. */
#define CODES (26 * 26 * 26)

/* The place of a currency's three capitals among the CODES, or -1 for any other text. */
static long currency_code(const char *p, size_t len)
{
	long code = 0;
	size_t i;

	if (len != 3 || !p)
		return -1;
	for (i = 0; i < 3; i++) {
		if (p[i] < 'A' || p[i] > 'Z')
			return -1;
		code = code * 26 + (p[i] - 'A');
	}
	return code;
}

static void tally_release(struct tally *y)
{
	size_t k;

	for (k = 0; k < y->nt; k++)
		free(y->t[k].currency);
	free(y->t);
	for (k = 0; k < y->ncs; k++) {
		free((char *)y->cs[k].category.ptr);
		free((char *)y->cs[k].type.ptr);
	}
	pb_buf_release(&y->accounts);
	pb_buf_release(&y->account_text);
	free(y->code);
	free(y->cs);
	free(y->ls);
}

/* Writes the COPY lines of the account whose rows ended. */
static void flush_account(struct tally *y)
{
	char first[11], last[11], l[PB_MONEY_STRMAX], bl[PB_MONEY_STRMAX];
	size_t k;
	long code;

	for (k = 0; k < y->nt; k++) {
		code = currency_code(y->t[k].currency, y->t[k].currency_len);
		if (code >= 0 && y->code)
			y->code[code] = 0;
		pb_money_format_canonical(y->t[k].list, l);
		pb_money_format_canonical(y->t[k].billed, bl);
		pb_date_format(y->t[k].lo, first);
		pb_date_format(y->t[k].hi, last);
		pb_buf_addf(&y->accounts, "%s\t", y->id);
		pb_buf_add_copy_text(&y->accounts, y->account.ptr, y->account.len);
		pb_buf_addch(&y->accounts, '\t');
		pb_buf_add_copy_text(&y->accounts, y->t[k].currency, y->t[k].currency_len);
		pb_buf_addf(&y->accounts, "\t%llu\t%s\t%s\t%s\t%s\n", (unsigned long long)y->t[k].lines, l, bl, first,
			    last);
		free(y->t[k].currency);
	}
	y->nt = 0;
}

/* A copy of t, NUL-terminated (a row's texts last only until the next row), or NULL. */
static char *dup_text(const struct pb_text *t)
{
	char *p = malloc(t->len + 1);

	if (p) {
		if (t->len)
			memcpy(p, t->ptr, t->len);
		p[t->len] = '\0';
	}
	return p;
}

/* Whether t holds the len bytes at p. */
static int same_text(const struct pb_text *t, const char *p, size_t len)
{
	return t->len == len && (!len || (t->ptr && p && memcmp(t->ptr, p, len) == 0));
}

/*
 * Adds d's amounts to a total's list and billed, both or neither. The rows add up overall (the reduction's check),
 * but a part of them need not: usage behind a credit of as much. -1, with y->range set, when a sum leaves the range.
 */
static int tally_add(struct tally *y, pb_money *list, pb_money *billed, const struct pb_daily *d)
{
	pb_money l, b;

	if (pb_money_add(*list, d->list_cost, &l) < 0 || pb_money_add(*billed, d->billed_cost, &b) < 0) {
		y->range = 1;
		return -1;
	}
	*list = l;
	*billed = b;
	return 0;
}

/* Puts the import's source before the message in err: a total of the whole import is no file's line. */
static void name_source(const struct pb_store_import *im, struct pb_buf *err)
{
	struct pb_buf m = PB_BUF_INIT;

	pb_buf_addf(&m, "%s: %s", im->source, pb_buf_str(err));
	if (!m.failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&m));
	}
	pb_buf_release(&m);
}

static int tally_account(struct tally *y, const struct pb_daily *d, struct pb_buf *err)
{
	struct account_total *t;
	size_t k;
	long code;

	if (!y->have_account || !same_text(&d->account, y->account.ptr, y->account.len)) {
		flush_account(y);
		pb_buf_reset(&y->account_text);
		if (pb_buf_add(&y->account_text, d->account.ptr ? d->account.ptr : "", d->account.len) < 0)
			goto nomem;
		y->account.ptr = y->account_text.ptr;
		y->account.len = d->account.len;
		y->have_account = 1;
	}
	/*
	 * Rows one after the other mostly share their currency: the row before's is tried first, then the
	 * code's place (an account may have thousands: a walk through them for every row would not end).
	 */
	code = -1;
	if (y->lastt < y->nt && same_text(&d->currency, y->t[y->lastt].currency, y->t[y->lastt].currency_len)) {
		k = y->lastt;
	} else if ((code = currency_code(d->currency.ptr, d->currency.len)) >= 0) {
		if (!y->code && !(y->code = calloc(CODES, sizeof(*y->code))))
			goto nomem;
		k = y->code[code] ? y->code[code] - 1u : y->nt;
	} else {
		for (k = 0; k < y->nt && !same_text(&d->currency, y->t[k].currency, y->t[k].currency_len); k++)
			;
	}
	if (k == y->nt) {
		if (y->nt == y->capt) {
			size_t cap = y->capt ? 2 * y->capt : 4;
			struct account_total *more = realloc(y->t, cap * sizeof(*more));

			if (!more)
				goto nomem;
			y->t = more;
			y->capt = cap;
		}
		t = &y->t[y->nt];
		memset(t, 0, sizeof(*t));
		t->currency = dup_text(&d->currency);
		if (!t->currency)
			goto nomem;
		y->nt++;
		t->currency_len = d->currency.len;
		t->lo = INT32_MAX;
		t->hi = INT32_MIN;
		if (code >= 0)
			y->code[code] = (uint16_t)y->nt;
	}
	y->lastt = k;
	t = &y->t[k];
	if (tally_add(y, &t->list, &t->billed, d) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "sum out of range: the totals of partner account %.*s in %.*s leave the range of amounts",
			    (int)d->account.len, d->account.ptr ? d->account.ptr : "", (int)d->currency.len,
			    d->currency.ptr ? d->currency.ptr : "");
		return -1;
	}
	t->lines += d->line_count;
	t->lo = d->usage_date < t->lo ? d->usage_date : t->lo;
	t->hi = d->usage_date > t->hi ? d->usage_date : t->hi;
	return 0;
nomem:
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return -1;
}

static int tally_charge(struct tally *y, const struct pb_daily *d)
{
	struct charge *c;
	size_t i;

	for (i = 0; i < y->ncs; i++)
		if (same_text(&d->category, y->cs[i].category.ptr, y->cs[i].category.len) &&
		    same_text(&d->charge_type, y->cs[i].type.ptr, y->cs[i].type.len))
			break;
	if (i == y->ncs) {
		c = realloc(y->cs, (y->ncs + 1) * sizeof(*c));
		if (!c)
			return -1;
		y->cs = c;
		memset(&c[i], 0, sizeof(*c));
		c[i].category.ptr = dup_text(&d->category);
		c[i].category.len = d->category.len;
		c[i].type.ptr = dup_text(&d->charge_type);
		c[i].type.len = d->charge_type.len;
		y->ncs++;
		if (!c[i].category.ptr || !c[i].type.ptr)
			return -1;
	}
	c = &y->cs[i];
	if (tally_add(y, &c->list, &c->billed, d) < 0)
		return -1;
	c->lines += d->line_count;
	return 0;
}

static int tally_list(struct tally *y, const struct pb_daily *d)
{
	struct list_total *t;
	size_t k;

	for (k = 0; k < y->nls && (y->ls[k].source != d->list_source || y->ls[k].load != d->price_load); k++)
		;
	if (k == y->nls) {
		t = realloc(y->ls, (y->nls + 1) * sizeof(*t));
		if (!t)
			return -1;
		y->ls = t;
		memset(&t[k], 0, sizeof(*t));
		t[k].source = d->list_source;
		t[k].load = d->price_load;
		y->nls++;
	}
	t = &y->ls[k];
	if (tally_add(y, &t->list, &t->billed, d) < 0)
		return -1;
	t->lines += d->line_count;
	return 0;
}

/* Folds a row sent into the tallies. -1 with err set. */
static int tally_row(struct tally *y, const struct pb_daily *d, struct pb_buf *err)
{
	if (tally_account(y, d, err) < 0)
		return -1;
	if (tally_charge(y, d) < 0) {
		pb_buf_reset(err);
		if (y->range)
			pb_buf_addf(
				err,
				"sum out of range: the totals of charge category %.*s (type %.*s) leave the range of "
				"amounts",
				(int)d->category.len, d->category.ptr ? d->category.ptr : "", (int)d->charge_type.len,
				d->charge_type.ptr ? d->charge_type.ptr : "");
		else
			pb_buf_addstr(err, "out of memory");
		return -1;
	}
	if (tally_list(y, d) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(
			err, y->range ? "sum out of range: the totals of a list price source leave the range of amounts"
				      : "out of memory");
		return -1;
	}
	return 0;
}

/* Per partner account and currency: lines, totals and first and last day. */
static int copy_accounts(PGconn *conn, struct tally *y, struct pb_buf *err)
{
	struct pb_buf b = PB_BUF_INIT;

	flush_account(y);
	if (!y->accounts.len)
		return 0;
	if (y->accounts.failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	pb_buf_add(&b, y->accounts.ptr, y->accounts.len);
	return copy_all(conn,
			"COPY pb.import_account (import_id, partner_account_id, currency, line_count, list_total, "
			"billed_total, first_day, last_day) FROM STDIN",
			&b, err);
}

/* Ends a COPY line of pb.import_charge or pb.import_list: its line count, list and billed totals. */
static void add_totals(struct pb_buf *b, uint64_t lines, pb_money list, pb_money billed)
{
	char l[PB_MONEY_STRMAX], bl[PB_MONEY_STRMAX];

	pb_money_format_canonical(list, l);
	pb_money_format_canonical(billed, bl);
	pb_buf_addf(b, "\t%llu\t%s\t%s\n", (unsigned long long)lines, l, bl);
}

/* Per charge category and type: lines and totals. */
static int copy_charges(PGconn *conn, const struct tally *y, struct pb_buf *err)
{
	struct pb_buf b = PB_BUF_INIT;
	size_t i;

	if (!y->ncs)
		return 0;
	for (i = 0; i < y->ncs; i++) {
		pb_buf_addf(&b, "%s\t", y->id);
		pb_buf_add_copy_text(&b, y->cs[i].category.ptr, y->cs[i].category.len);
		pb_buf_addch(&b, '\t');
		pb_buf_add_copy_text(&b, y->cs[i].type.ptr, y->cs[i].type.len);
		add_totals(&b, y->cs[i].lines, y->cs[i].list, y->cs[i].billed);
	}
	return copy_all(conn,
			"COPY pb.import_charge (import_id, charge_category, charge_type, line_count, list_total, "
			"billed_total) FROM STDIN",
			&b, err);
}

/* Per list source (and price load): lines and totals, for the reconciliation. */
static int copy_lists(PGconn *conn, const struct tally *y, struct pb_buf *err)
{
	struct pb_buf b = PB_BUF_INIT;
	size_t k;

	if (!y->nls)
		return 0;
	for (k = 0; k < y->nls; k++) {
		pb_buf_addf(&b, "%s\t%s\t", y->id, list_source_name(y->ls[k].source));
		if (y->ls[k].source == PB_LIST_PRICE)
			pb_buf_addf(&b, "%lld", (long long)y->ls[k].load);
		else
			pb_buf_addstr(&b, "\\N");
		add_totals(&b, y->ls[k].lines, y->ls[k].list, y->ls[k].billed);
	}
	return copy_all(
		conn,
		"COPY pb.import_list (import_id, list_source, price_load_id, line_count, list_total, billed_total) "
		"FROM STDIN",
		&b, err);
}

/* What the rows sent add up to, for the totals check. */
struct sent {
	pb_money list, billed;
	uint64_t lines, sent, rows; /* rows: what the server says it took */
};

/*
 * Appends one daily row as a tuple of the binary COPY format (its 15 fields, in the order of copy_rows's
 * column list); prefix is the import id, vendor and month fields, the same for every row.
 */
static void copy_row(struct pb_buf *b, const char *prefix, size_t prefix_len, const struct pb_daily *d)
{
	pb_pgcopy_tuple(b, 15);
	pb_buf_add(b, prefix, prefix_len);
	pb_pgcopy_text(b, d->account.ptr, d->account.len);
	pb_pgcopy_date(b, d->usage_date);
	pb_pgcopy_text(b, d->category.ptr, d->category.len);
	pb_pgcopy_text(b, d->charge_type.ptr, d->charge_type.len);
	pb_pgcopy_text(b, d->service.ptr, d->service.len);
	pb_pgcopy_text(b, d->region.ptr, d->region.len);
	pb_pgcopy_text(b, d->currency.ptr, d->currency.len);
	if (d->list_lines)
		pb_pgcopy_numeric(b, d->list_cost);
	else
		pb_pgcopy_null(b);
	if (d->billed_lines)
		pb_pgcopy_numeric(b, d->billed_cost);
	else
		pb_pgcopy_null(b);
	pb_pgcopy_int8(b, (int64_t)d->line_count);
	{
		const char *src = list_source_name(d->list_source);

		pb_pgcopy_text(b, src, strlen(src));
	}
	if (d->list_source == PB_LIST_PRICE)
		pb_pgcopy_int8(b, d->price_load);
	else
		pb_pgcopy_null(b);
}

/*
 * Creates the import's own table of daily rows (in this transaction, so COPY writes it frozen and no index
 * is kept up) and fills it from the row source, tallying what is sent in *sent and y.
 */
static int copy_rows(PGconn *conn, const struct pb_store_import *im, const struct pb_store_rows *rows,
		     struct sent *sent, struct tally *y, struct pb_buf *err)
{
	struct pb_buf b = PB_BUF_INIT, sql = PB_BUF_INIT, prefix = PB_BUF_INIT;
	char month[11];
	const char *p[2] = {y->id, month};
	struct pb_daily d;
	PGresult *res;
	int rc, ok = 1;

	pb_date_format(im->billing_month, month);
	res = pb_db_query(conn, "SELECT pb.create_import_rows($1::bigint, $2::date)", 2, p, err);
	if (!res)
		return -1;
	pb_buf_addf(&sql,
		    "COPY pb.\"%s\" (import_id, vendor, billing_month, partner_account_id, usage_date, "
		    "charge_category, charge_type, service, region, currency, list_cost, billed_cost, line_count, "
		    "list_source, price_load_id) FROM STDIN WITH (FREEZE, FORMAT binary)",
		    PQgetvalue(res, 0, 0));
	PQclear(res);
	rc = pb_db_copy_start(conn, pb_buf_str(&sql), err);
	pb_buf_release(&sql);
	if (rc < 0)
		return -1;
	memset(sent, 0, sizeof(*sent));
	pb_pgcopy_header(&b);
	pb_pgcopy_int8(&prefix, im->id);
	pb_pgcopy_text(&prefix, im->vendor, strlen(im->vendor));
	pb_pgcopy_date(&prefix, im->billing_month);
	while (ok && (rc = rows->next(rows->ctx, &d)) == 1) {
		copy_row(&b, prefix.ptr, prefix.len, &d);
		/* The rows add up already (the reduction's check): these sums cannot leave the range. */
		pb_money_add(sent->list, d.list_cost, &sent->list);
		pb_money_add(sent->billed, d.billed_cost, &sent->billed);
		sent->lines += d.line_count;
		sent->sent++;
		ok = tally_row(y, &d, err) == 0 && (b.len < COPY_CHUNK || put_copy(conn, &b, err) == 0);
		if (ok && sent->sent == rows->pause_at) {
			ok = put_copy(conn, &b, err) == 0 && PQflush(conn) == 0;
			if (ok)
				pb_test_pause("copy");
		}
	}
	if (ok && rc < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, rows->error ? rows->error(rows->ctx) : "cannot read the daily rows");
		ok = 0;
	}
	pb_buf_release(&prefix);
	if (ok)
		pb_pgcopy_trailer(&b);
	return copy_finish(conn, &b, ok, &sent->rows, err);
}

/* The partner account names the lines gave: rows of account, kind (in category), name (in service). */
static int copy_names(PGconn *conn, const struct pb_store_import *im, struct pb_buf *err)
{
	struct pb_buf b = PB_BUF_INIT;
	char id[32];
	size_t i;

	if (!im->nnames)
		return 0;
	snprintf(id, sizeof(id), "%lld", im->id);
	if (pb_db_copy_start(
		    conn,
		    "COPY pb.partner_account_name (import_id, vendor, partner_account_id, kind, name, line_count) "
		    "FROM STDIN",
		    err) < 0)
		return -1;
	for (i = 0; i < im->nnames; i++) {
		const struct pb_daily *d = im->names[i];

		pb_buf_addf(&b, "%s\t%s\t", id, im->vendor);
		pb_buf_add_copy_text(&b, d->account.ptr, d->account.len);
		pb_buf_addch(&b, '\t');
		pb_buf_add_copy_text(&b, d->category.ptr, d->category.len);
		pb_buf_addch(&b, '\t');
		pb_buf_add_copy_text(&b, d->service.ptr, d->service.len);
		pb_buf_addf(&b, "\t%llu\n", (unsigned long long)d->line_count);
		if (b.len >= COPY_CHUNK && put_copy(conn, &b, err) < 0)
			return copy_finish(conn, &b, 0, NULL, err);
	}
	return copy_finish(conn, &b, 1, NULL, err);
}

/*
 * The rows sent must add up to exactly the lines read (the files' totals, counted as they were read), and the
 * server must have taken every row sent: then the database holds what was read, without reading it back.
 */
static int verify_totals(const struct sent *sent, const struct pb_store_file *files, size_t nfiles, struct pb_buf *err)
{
	pb_money list = PB_MONEY_ZERO, billed = PB_MONEY_ZERO;
	uint64_t lines = 0;
	size_t i;
	char l[PB_MONEY_STRMAX], b[PB_MONEY_STRMAX], sl[PB_MONEY_STRMAX], sb[PB_MONEY_STRMAX];

	for (i = 0; i < nfiles; i++) {
		if (pb_money_add(list, files[i].list_total, &list) < 0 ||
		    pb_money_add(billed, files[i].billed_total, &billed) < 0)
			break;
		lines += files[i].lines;
	}
	if (i == nfiles && pb_money_cmp(sent->list, list) == 0 && pb_money_cmp(sent->billed, billed) == 0 &&
	    sent->lines == lines && sent->rows == sent->sent)
		return 0;
	pb_money_format_canonical(list, l);
	pb_money_format_canonical(billed, b);
	pb_money_format_canonical(sent->list, sl);
	pb_money_format_canonical(sent->billed, sb);
	pb_buf_reset(err);
	pb_buf_addf(
		err,
		"the stored rows do not add up to the lines read (stored list %s, billed %s, lines %llu, rows %llu; "
		"read list %s, billed %s, lines %llu, rows %llu): nothing was committed",
		sl, sb, (unsigned long long)sent->lines, (unsigned long long)sent->rows, l, b,
		(unsigned long long)lines, (unsigned long long)sent->sent);
	return PB_STORE_ERR_DATA;
}

static int record_files(PGconn *conn, const struct pb_store_import *im, const struct pb_store_file *files,
			size_t nfiles, struct pb_buf *err)
{
	char id[32], seq[32], bytes[32], lines[32], list[PB_MONEY_STRMAX], billed[PB_MONEY_STRMAX];
	size_t i;

	snprintf(id, sizeof(id), "%lld", im->id);
	for (i = 0; i < nfiles; i++) {
		const struct pb_store_file *f = &files[i];
		const char *p[9] = {
			id, seq, f->uri, bytes, f->sha256, lines, list, billed, f->etag[0] ? f->etag : NULL};

		snprintf(seq, sizeof(seq), "%zu", i + 1);
		snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)f->bytes);
		snprintf(lines, sizeof(lines), "%llu", (unsigned long long)f->lines);
		pb_money_format_canonical(f->list_total, list);
		pb_money_format_canonical(f->billed_total, billed);
		if (pb_db_exec(
			    conn,
			    "INSERT INTO pb.import_file (import_id, seq, uri, bytes, sha256, line_count, list_total, "
			    "billed_total, etag) VALUES ($1::bigint, $2::integer, $3, $4::bigint, $5, $6::bigint, "
			    "$7::numeric, $8::numeric, $9)",
			    9, p, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * What holds the granted locks of this database that cond picks (on pg_locks l): "server process 123 (psql, in
 * a transaction since ...)" for a session (a role that may not see another role's session details gets what it
 * may see: "server process 123"), "prepared transaction 'gid' (since ...)" for a transaction prepared for
 * two-phase commit, which holds its locks with no session.
 */
#define HOLDERS(cond)                                                                                            \
	"WITH held AS (SELECT DISTINCT l.pid, l.virtualtransaction FROM pg_locks l WHERE l.granted AND "         \
	"l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND (" cond ")) "         \
	"SELECT string_agg(who, ', ' ORDER BY k, who) FROM ("                                                    \
	"SELECT a.pid AS k, 'server process ' || a.pid || coalesce(' (' || nullif(concat_ws(', ', "              \
	"coalesce(nullif(a.application_name, ''), a.backend_type), 'in a transaction since ' || "                \
	"to_char(coalesce(a.xact_start, a.backend_start), 'YYYY-MM-DD HH24:MI:SS TZ')), '') || ')', '') AS who " \
	"FROM held h JOIN pg_stat_activity a ON a.pid = h.pid WHERE a.pid <> pg_backend_pid() UNION ALL "        \
	"SELECT 0, format('prepared transaction %L (since %s)', p.gid, "                                         \
	"to_char(p.prepared, 'YYYY-MM-DD HH24:MI:SS TZ')) FROM held h JOIN pg_locks x ON h.pid IS NULL AND "     \
	"x.pid IS NULL AND x.locktype = 'transactionid' AND x.virtualtransaction = h.virtualtransaction "        \
	"JOIN pg_prepared_xacts p ON p.transaction = x.transactionid) s"

/* The holders of a month's tables ($1: its first day), of its imports' advisory lock, of the parent table. */
#define MONTH_READERS                                                                                    \
	HOLDERS("l.relation IN (SELECT c.oid FROM pg_class c WHERE c.relnamespace = 'pb'::regnamespace " \
		"AND left(c.relname, 19) = format('usage_daily_%s', to_char($1::date, 'YYYY_MM')))")
#define MONTH_IMPORTS HOLDERS(PB_DB_ADVISORY_LOCK_IS("l", "hashtextextended('pb-import-month|' || $1, 0)"))
#define TABLE_READERS HOLDERS("l.relation = 'pb.usage_daily'::regclass AND $1 = $1")

/* On whom a statement of the store waits: what, and sql naming the sessions in the way from param ($1). */
struct waiting {
	const char *param, *sql;
	char what[96];
};

/* pb_db_exec_yielding's waiting: "pb-ingest: waiting for WHAT: server process ...". */
static void say_waiting(PGconn *conn, void *ctx)
{
	const struct waiting *w = ctx;
	struct pb_buf ignore = PB_BUF_INIT;
	PGresult *res = pb_db_query(conn, w->sql, 1, &w->param, &ignore);

	if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		pb_log(PB_LOG_INFO, NULL, "waiting for %s: %s", w->what, PQgetvalue(res, 0, 0));
	else
		pb_log(PB_LOG_INFO, NULL, "waiting for %s", w->what);
	PQclear(res);
	pb_buf_release(&ignore);
}

int pb_store_prepare(PGconn *conn, int32_t month, struct pb_buf *err)
{
	char m[11];
	const char *p[1] = {m};
	struct waiting w = {"", TABLE_READERS, "other sessions to release pb.usage_daily"};

	pb_date_format(month, m);
	/*
	 * Autocommit: each call is its own short transaction, whose lock on the parent table is brief; making a
	 * month's partition waits for the table's readers without holding up those that come after them. The next
	 * month is the server's to work out: after 9999-12 it has a fifth digit, which a YYYY-MM-DD text has not.
	 */
	if (pb_db_exec_yielding(conn, "SELECT pb.ensure_usage_partition($1::date)", 1, p, say_waiting, &w, err) < 0 ||
	    pb_db_exec_yielding(conn, "SELECT pb.ensure_usage_partition(($1::date + interval '1 month')::date)", 1, p,
				say_waiting, &w, err) < 0)
		return PB_STORE_ERR_DB;
	return 0;
}

/*
 * Refuses the import when sql ($1 to $4: its vendor, format, source and month) finds the month's current import
 * of its source, with its id and what it holds that the import would undo: PB_STORE_ERR_REFUSED, err saying
 * "WHY: the current import ID of VENDOR MONTH from SOURCE HOLDS; UNLESS".
 */
static int refuse_current(PGconn *conn, const struct pb_store_import *im, const char *month, const char *sql,
			  const char *why, const char *unless, struct pb_buf *err)
{
	const char *p[4] = {im->vendor, im->format, im->source, month};
	PGresult *res;
	int ret = 0;

	res = pb_db_query(conn, sql, 4, p, err);
	if (!res)
		return PB_STORE_ERR_DB;
	if (PQntuples(res) == 1) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: the current import %s of %s %.7s from %s %s; %s", why, PQgetvalue(res, 0, 0),
			    im->vendor, month, im->source, PQgetvalue(res, 0, 1), unless);
		ret = PB_STORE_ERR_REFUSED;
	}
	PQclear(res);
	return ret;
}

/* An import without line items never replaces one that had some, unless allowed. */
static int refuse_empty(PGconn *conn, const struct pb_store_import *im, const char *month, uint64_t lines,
			struct pb_buf *err)
{
	if (lines || im->allow_empty)
		return 0;
	return refuse_current(conn, im, month,
			      "SELECT id, 'has ' || line_count || ' lines' FROM pb.import WHERE vendor = $1 AND "
			      "format = $2 AND source = $3 AND billing_month = $4::date AND status = 'committed' "
			      "AND line_count > 0",
			      "no line items", "an empty export does not replace it (--allow-empty to do so)", err);
}

/*
 * A month-to-date delivery never replaces the month's final data, unless allowed: a late or repeated nightly
 * run must not undo a month close. A final delivery (a restatement) replaces a final one.
 */
static int refuse_not_final(PGconn *conn, const struct pb_store_import *im, const char *month, struct pb_buf *err)
{
	if (im->final || im->allow_not_final)
		return 0;
	return refuse_current(conn, im, month,
			      "SELECT id, 'holds the month''s final data' FROM pb.import WHERE vendor = $1 AND "
			      "format = $2 AND source = $3 AND billing_month = $4::date AND status = 'committed' "
			      "AND final",
			      "not final",
			      "a delivery that is not final does not replace it (--allow-not-final to do so)", err);
}

/*
 * An Azure export run never replaces the import of a run submitted after it, which is incomplete now (its
 * blobs deleted or being rewritten): that would go back to older data without anyone asking.
 */
static int refuse_older_run(PGconn *conn, const struct pb_store_import *im, const char *month, struct pb_buf *err)
{
	struct pb_buf runs = PB_BUF_INIT;
	const char *p[5] = {im->vendor, im->format, im->source, month, NULL};
	PGresult *res;
	size_t i;
	int ret = 0;

	if (!im->nnewer)
		return 0;
	pb_db_text_array(&runs, im->newer_runs, im->nnewer);
	p[4] = pb_buf_str(&runs);
	res = pb_db_query(conn,
			  "SELECT id, assembly_id FROM pb.import WHERE vendor = $1 AND format = $2 AND source = $3 "
			  "AND billing_month = $4::date AND status = 'committed' AND assembly_id = ANY ($5::text[])",
			  5, p, err);
	pb_buf_release(&runs);
	if (!res)
		return PB_STORE_ERR_DB;
	for (i = 0; PQntuples(res) == 1 && i < im->nnewer; i++) {
		if (strcmp(im->newer_runs[i], PQgetvalue(res, 0, 1)) != 0)
			continue;
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "run %s (submitted %s) is older than run %s (submitted %s) of the current import %s of %s "
			    "%.7s from %s, which is incomplete now: an older run does not replace it (remove run %s's "
			    "manifest.json to go back to an older run)",
			    im->assembly_id, im->submitted, im->newer_runs[i], im->newer_submitted[i],
			    PQgetvalue(res, 0, 0), im->vendor, month, im->source, im->newer_runs[i]);
		ret = PB_STORE_ERR_REFUSED;
		break;
	}
	PQclear(res);
	return ret;
}

/* The hashes as a PostgreSQL array literal ("{h1,h2}"). */
static void hash_array(const struct pb_store_file *files, size_t nfiles, struct pb_buf *out)
{
	size_t i;

	pb_buf_addch(out, '{');
	for (i = 0; i < nfiles; i++)
		pb_buf_addf(out, "%s%s", i ? "," : "", files[i].sha256);
	pb_buf_addch(out, '}');
}

/*
 * A file's bytes belong to at most one current import of a month: the same bytes under another source
 * (a copy of the folder) or twice in this import would bill them twice.
 */
static int refuse_duplicates(PGconn *conn, const struct pb_store_import *im, const char *month,
			     const struct pb_store_file *files, size_t nfiles, struct pb_buf *err)
{
	struct pb_buf hashes = PB_BUF_INIT;
	char id[32];
	const char *p[3] = {month, NULL, id};
	PGresult *res;
	size_t i, j;
	int ret = 0;

	for (i = 0; i < nfiles; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(files[i].sha256, files[j].sha256) == 0) {
				pb_buf_reset(err);
				pb_buf_addf(err, "%s: the same bytes as %s (sha256 %s): a file is read once per import",
					    files[i].uri, files[j].uri, files[i].sha256);
				return PB_STORE_ERR_REFUSED;
			}
		}
	}
	hash_array(files, nfiles, &hashes);
	p[1] = pb_buf_str(&hashes);
	snprintf(id, sizeof(id), "%lld", im->id);
	res = pb_db_query(
		conn,
		"SELECT f.sha256, i.id, i.format, i.source, f.uri FROM pb.import_file f "
		"JOIN pb.import i ON i.id = f.import_id WHERE i.status = 'committed' "
		"AND i.billing_month = $1::date AND f.sha256 = ANY ($2::text[]) AND i.id <> $3::bigint "
		"AND NOT EXISTS (SELECT 1 FROM pb.import me WHERE me.id = $3::bigint AND me.vendor = i.vendor "
		"AND me.format = i.format AND me.source = i.source) ORDER BY i.id, f.seq LIMIT 1",
		3, p, err);
	pb_buf_release(&hashes);
	if (!res)
		return PB_STORE_ERR_DB;
	if (PQntuples(res) == 1) {
		const char *uri = "?";

		for (i = 0; i < nfiles; i++)
			if (strcmp(files[i].sha256, PQgetvalue(res, 0, 0)) == 0)
				uri = files[i].uri;
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "%s: the same bytes (sha256 %s) are in import %s of %.7s (%s from %s, file %s): refusing "
			    "to bill them twice",
			    uri, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), month, PQgetvalue(res, 0, 2),
			    PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4));
		ret = PB_STORE_ERR_REFUSED;
	}
	PQclear(res);
	return ret;
}

/*
 * The same lines in other bytes (gzipped, other line endings) under another source: every partner account's
 * line count, totals and days are those of another current import of the vendor and month, which only the
 * same data gives. Refused as the same bytes are (refuse_duplicates). Needs the import's pb.import_account rows.
 */
static int refuse_same_lines(PGconn *conn, const struct pb_store_import *im, const char *id, const char *month,
			     struct pb_buf *err)
{
#define ACCOUNT_FIGURES "partner_account_id, currency, line_count, list_total, billed_total, first_day, last_day"
	const char *p[3] = {id, im->vendor, month};
	PGresult *res;
	int ret = 0;

	/*
	 * Only the vendor and month's other current imports are candidates, each compared by its primary key
	 * (import, partner account, currency): a join of every import's rows on the partner account alone took
	 * minutes for an account billed in thousands of currencies, once the planner misjudged the rows just
	 * copied (the same count and every row found: the same rows). An import of no lines has no rows to compare:
	 * it is the same data as no other (two empty exports of two sources are not one delivery billed twice).
	 */
	res = pb_db_query(
		conn,
		"WITH me AS MATERIALIZED (SELECT " ACCOUNT_FIGURES " FROM pb.import_account WHERE import_id = "
		"$1::bigint), n AS (SELECT count(*) AS n FROM me) "
		"SELECT i.id, i.format, i.source FROM pb.import i JOIN pb.import me_i ON me_i.id = $1::bigint "
		"WHERE i.status = 'committed' AND i.vendor = $2 AND i.billing_month = $3::date AND i.id <> $1::bigint "
		"AND (i.format, i.source) IS DISTINCT FROM (me_i.format, me_i.source) "
		"AND (SELECT n FROM n) > 0 AND (SELECT count(*) FROM pb.import_account a WHERE a.import_id = i.id) = "
		"(SELECT n FROM n) "
		"AND NOT EXISTS (SELECT 1 FROM me WHERE NOT EXISTS (SELECT 1 FROM pb.import_account a WHERE "
		"a.import_id = i.id AND a.partner_account_id = me.partner_account_id AND a.currency = me.currency "
		"AND a.line_count = me.line_count AND a.list_total = me.list_total AND a.billed_total = "
		"me.billed_total AND a.first_day = me.first_day AND a.last_day = me.last_day)) ORDER BY i.id LIMIT 1",
		3, p, err);
#undef ACCOUNT_FIGURES
	if (!res)
		return PB_STORE_ERR_DB;
	if (PQntuples(res)) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "%s: the same lines as import %s of %.7s (%s from %s): every partner account's line count, "
			    "totals and days alike: refusing to bill them twice",
			    im->source, PQgetvalue(res, 0, 0), month, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
		ret = PB_STORE_ERR_REFUSED;
	}
	PQclear(res);
	return ret;
}

/* Makes this import the current one of its key: the previous one superseded, its rows deleted. */
static int make_current(PGconn *conn, const struct pb_store_import *im, const char *id, const char *month,
			const struct pb_store_file *files, size_t nfiles, uint64_t nrows, struct timespec *t,
			struct pb_buf *err)
{
	char nf[32], lines_s[32], nrows_s[32], list[PB_MONEY_STRMAX], billed[PB_MONEY_STRMAX];
	pb_money lt = PB_MONEY_ZERO, bt = PB_MONEY_ZERO;
	uint64_t lines = 0;
	size_t i;
	const char *p[5] = {im->vendor, im->source, month, id, im->format};
	struct waiting w = {month, MONTH_READERS, ""};

	for (i = 0; i < nfiles; i++) {
		pb_money_add(lt, files[i].list_total, &lt);
		pb_money_add(bt, files[i].billed_total, &bt);
		lines += files[i].lines;
	}
	snprintf(nf, sizeof(nf), "%zu", nfiles);
	snprintf(lines_s, sizeof(lines_s), "%llu", (unsigned long long)lines);
	snprintf(nrows_s, sizeof(nrows_s), "%llu", (unsigned long long)nrows);
	pb_money_format_canonical(lt, list);
	pb_money_format_canonical(bt, billed);
	snprintf(w.what, sizeof(w.what), "other sessions to release the daily rows of %.7s", month);
	/*
	 * The previous import's table is dropped, and this one's becomes a partition: no row is read or deleted.
	 * Both wait for the month's readers, without holding up the readers that come after them.
	 */
	if (pb_db_exec_yielding(
		    conn,
		    "WITH old AS (UPDATE pb.import SET status = 'superseded' WHERE vendor = $1 AND source = "
		    "$2 AND billing_month = $3::date AND format = $5 AND status = 'committed' AND id <> "
		    "$4::bigint RETURNING id) SELECT pb.drop_import_rows(id, $3::date) FROM old",
		    5, p, say_waiting, &w, err) < 0)
		return -1;
	/*
	 * A Partner Center invoice's billed usage replaces the month's unbilled usage in its currencies (what was
	 * read of the month before it was invoiced): both current would bill the month's usage twice.
	 */
	if (strcmp(im->format, "partner-center") == 0 && strncmp(im->source, PC_BILLED, strlen(PC_BILLED)) == 0 &&
	    pb_db_exec_yielding(conn,
				"WITH old AS (UPDATE pb.import i SET status = 'superseded' WHERE i.vendor = $1 "
				"AND i.billing_month = $2::date AND i.format = 'partner-center' AND i.status = "
				"'committed' AND i.source IN (SELECT '" PC_UNBILLED "' || a.currency FROM "
				"pb.import_account a WHERE a.import_id = $3::bigint) RETURNING i.id) "
				"SELECT pb.drop_import_rows(id, $2::date) FROM old",
				3, (const char *[]){im->vendor, month, id}, say_waiting, &w, err) < 0)
		return -1;
	phase(im, PB_STORE_PHASE_SUPERSEDE, t);
	if (pb_db_exec_yielding(conn, "SELECT pb.attach_import_rows($1::bigint, $2::date)", 2,
				(const char *[]){id, month}, say_waiting, &w, err) < 0)
		return -1;
	phase(im, PB_STORE_PHASE_ATTACH, t);
	{
		const char *q[8] = {id, nf, lines_s, nrows_s, list, billed, im->assembly_id, im->final ? "t" : "f"};

		return pb_db_exec(
			conn,
			"UPDATE pb.import SET status = 'committed', finished_at = clock_timestamp(), file_count = "
			"$2::integer, line_count = $3::bigint, row_count = $4::bigint, list_total = "
			"$5::numeric, billed_total = $6::numeric, assembly_id = $7, final = $8::boolean "
			"WHERE id = $1::bigint",
			8, q, err);
	}
}

const char *pb_store_unbilled_currency(const char *source)
{
	return strncmp(source, PC_UNBILLED, strlen(PC_UNBILLED)) == 0 ? source + strlen(PC_UNBILLED) : NULL;
}

/*
 * Partner Center's unbilled usage of a month is what its invoice's billed usage replaces (see make_current):
 * once the billed usage of the month is in, in the currency, unbilled usage in it no longer counts.
 */
static int refuse_unbilled(PGconn *conn, const struct pb_store_import *im, const char *month, struct pb_buf *err)
{
	const char *p[3] = {im->vendor, month, pb_store_unbilled_currency(im->source)};
	PGresult *res;
	int ret = 0;

	if (strcmp(im->format, "partner-center") != 0 || !p[2])
		return 0;
	res = pb_db_query(
		conn,
		"SELECT i.id, i.source FROM pb.import i WHERE i.vendor = $1 AND i.billing_month = $2::date "
		"AND i.format = 'partner-center' AND i.status = 'committed' AND i.source LIKE '" PC_BILLED
		"%' AND EXISTS (SELECT 1 FROM pb.import_account a WHERE a.import_id = i.id AND a.currency = $3) "
		"ORDER BY i.id LIMIT 1",
		3, p, err);
	if (!res)
		return PB_STORE_ERR_DB;
	if (PQntuples(res)) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "%s %.7s has the billed usage of a Partner Center invoice in %s (import %s from %s): its "
			    "unbilled usage in %s no longer counts",
			    im->vendor, month, p[2], PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), p[2]);
		ret = PB_STORE_ERR_REFUSED;
	}
	PQclear(res);
	return ret;
}

/* The refusals that need the month's other imports: under a lock of the month, so two sources cannot race. */
static int check_refusals(PGconn *conn, const struct pb_store_import *im, const char *month, uint64_t lines,
			  struct pb_buf *err)
{
	const char *p[1] = {month};
	struct waiting w = {month, MONTH_IMPORTS, ""};
	int rc;

	snprintf(w.what, sizeof(w.what), "another import of %.7s to finish", month);
	if (pb_db_exec_yielding(conn, "SELECT pg_advisory_xact_lock(hashtextextended('pb-import-month|' || $1, 0))", 1,
				p, say_waiting, &w, err) < 0)
		return PB_STORE_ERR_DB;
	rc = refuse_empty(conn, im, month, lines, err);
	if (rc == 0)
		rc = refuse_not_final(conn, im, month, err);
	if (rc == 0)
		rc = refuse_older_run(conn, im, month, err);
	if (rc == 0)
		rc = refuse_unbilled(conn, im, month, err);
	return rc;
}

int pb_store_commit(PGconn *conn, const struct pb_store_import *im, const struct pb_store_rows *rows,
		    const struct pb_store_file *files, size_t nfiles, uint64_t *nrows, struct pb_buf *err)
{
	char id[32], month[11];
	struct sent sent;
	struct tally y;
	struct timespec t;
	uint64_t lines = 0;
	size_t i;
	int rc;

	snprintf(id, sizeof(id), "%lld", im->id);
	pb_date_format(im->billing_month, month);
	memset(&y, 0, sizeof(y));
	memset(&sent, 0, sizeof(sent));
	y.id = id;
	pb_buf_init(&y.accounts, 0);
	pb_buf_init(&y.account_text, 0);
	for (i = 0; i < nfiles; i++)
		lines += files[i].lines;
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (pb_store_prepare(conn, im->billing_month, err) < 0)
		return PB_STORE_ERR_DB;
	if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0)
		return PB_STORE_ERR_DB;
	rc = check_refusals(conn, im, month, lines, err);
	phase(im, PB_STORE_PHASE_REFUSALS, &t);
	if (rc == 0 && copy_rows(conn, im, rows, &sent, &y, err) < 0) {
		rc = y.range ? PB_STORE_ERR_DATA : PB_STORE_ERR_DB;
		if (y.range)
			name_source(im, err);
	}
	/* The files' hashes, the last one's computed while the rows were sent, then the refusal that needs them. */
	if (rc == 0 && rows->files_ready && rows->files_ready(rows->ctx, err) < 0)
		rc = PB_STORE_ERR_DATA;
	if (rc == 0)
		rc = refuse_duplicates(conn, im, month, files, nfiles, err);
	if (rc == 0)
		rc = verify_totals(&sent, files, nfiles, err);
	phase(im, PB_STORE_PHASE_COPY, &t);
	if (rc == 0 &&
	    (record_files(conn, im, files, nfiles, err) < 0 || copy_names(conn, im, err) < 0 ||
	     copy_accounts(conn, &y, err) < 0 || copy_charges(conn, &y, err) < 0 || copy_lists(conn, &y, err) < 0))
		rc = PB_STORE_ERR_DB;
	if (rc == 0)
		rc = refuse_same_lines(conn, im, id, month, err);
	phase(im, PB_STORE_PHASE_RECORDS, &t);
	if (rc == 0 && make_current(conn, im, id, month, files, nfiles, sent.sent, &t, err) < 0)
		rc = PB_STORE_ERR_DB;
	tally_release(&y);
	if (rc < 0) {
		PQclear(PQexec(conn, "ROLLBACK"));
		return rc;
	}
	pb_test_pause("commit");
	/* A signal asking to stop, up to the last moment: nothing is committed. */
	if (pb_interrupt_check(err) < 0) {
		PQclear(PQexec(conn, "ROLLBACK"));
		return PB_STORE_ERR_DB;
	}
	if (pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0)
		return PB_STORE_ERR_DB;
	pb_test_pause("committed");
	phase(im, PB_STORE_PHASE_COMMIT, &t);
	*nrows = sent.sent;
	return 0;
}

int pb_store_currency_totals(PGconn *conn, long long import_id, struct pb_buf *list, struct pb_buf *billed,
			     struct pb_buf *err)
{
	char id[32];
	const char *p[1] = {id};
	PGresult *res;
	int i, n;

	snprintf(id, sizeof(id), "%lld", import_id);
	res = pb_db_query(conn,
			  "SELECT currency, trim_scale(sum(list_total))::text, trim_scale(sum(billed_total))::text "
			  "FROM pb.import_account WHERE import_id = $1::bigint GROUP BY currency ORDER BY currency",
			  1, p, err);
	if (!res)
		return -1;
	n = PQntuples(res);
	for (i = 0; n > 1 && i < n; i++) {
		pb_buf_addf(list, "%s%s %s", i ? " + " : "", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
		pb_buf_addf(billed, "%s%s %s", i ? " + " : "", PQgetvalue(res, i, 0), PQgetvalue(res, i, 2));
	}
	PQclear(res);
	return n;
}

long pb_store_overlaps(PGconn *conn, const char *vendor, int32_t month, long long import_id, const char *prefix,
		       FILE *out, struct pb_buf *err)
{
	char m[11] = "", id[32];
	const char *p[3] = {vendor ? vendor : "", m, id};
	PGresult *res;
	long n;
	int i;

	if (month)
		pb_date_format(month, m);
	snprintf(id, sizeof(id), "%lld", import_id);
	res = pb_db_query(conn,
			  "SELECT vendor, to_char(billing_month, 'YYYY-MM'), partner_account_id, "
			  "array_to_string(imports, ', '), line_count, cardinality(imports) FROM pb.import_overlap "
			  "WHERE ($1 = '' OR vendor = $1) AND ($2 = '' OR billing_month = nullif($2, '')::date) "
			  "AND ($3::bigint = 0 OR $3::bigint = ANY (imports)) "
			  "ORDER BY billing_month, vendor, partner_account_id",
			  3, p, err);
	if (!res)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < PQntuples(res); i++)
		fprintf(out,
			"%s%s partner account %s of %s is in %s current imports: %s (%s lines); its usage is billed "
			"once per import\n",
			prefix, PQgetvalue(res, i, 0), PQgetvalue(res, i, 2), PQgetvalue(res, i, 1),
			PQgetvalue(res, i, 5), PQgetvalue(res, i, 3), PQgetvalue(res, i, 4));
	PQclear(res);
	return n;
}

int pb_store_committed_assembly(PGconn *conn, const struct pb_store_import *im, long long *id, struct pb_buf *rewritten,
				struct pb_buf *err)
{
	char month[11];
	struct pb_buf etags = PB_BUF_INIT;
	const char *p[5] = {im->vendor, im->source, month, im->assembly_id, NULL};
	const char **listed = NULL;
	PGresult *res;
	long long nfiles;
	size_t k;

	*id = 0;
	pb_date_format(im->billing_month, month);
	/* The ETags listed, "" for a blob listed without one (nothing to compare). */
	if (im->part_etags) {
		listed = calloc(im->nparts + 1, sizeof(*listed));
		if (!listed) {
			pb_buf_reset(err);
			pb_buf_addstr(err, "out of memory");
			return PB_STORE_ERR_DB;
		}
		for (k = 0; k < im->nparts; k++)
			listed[k] = im->part_etags[k] ? im->part_etags[k] : "";
	}
	pb_db_text_array(&etags, listed, listed ? im->nparts : 0);
	free(listed);
	p[4] = pb_buf_str(&etags);
	/* With the first file (by seq) whose ETag is not the one listed now, when there is one. */
	res = pb_db_query(
		conn,
		"SELECT i.id, (SELECT count(*) FROM pb.import_file f WHERE f.import_id = i.id), d.seq, "
		"coalesce(d.etag, 'none') FROM pb.import i LEFT JOIN LATERAL (SELECT e.seq, f.etag FROM "
		"unnest($5::text[]) WITH ORDINALITY AS e(etag, seq) LEFT JOIN pb.import_file f ON f.import_id = "
		"i.id AND f.seq = e.seq WHERE e.etag <> '' AND f.etag IS DISTINCT FROM e.etag ORDER BY e.seq "
		"LIMIT 1) d ON true WHERE i.vendor = $1 AND i.source = $2 AND i.billing_month = $3::date "
		"AND i.status = 'committed' AND i.assembly_id = $4",
		5, p, err);
	pb_buf_release(&etags);
	if (!res)
		return PB_STORE_ERR_DB;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	nfiles = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	if (im->part_etags && nfiles != (long long)im->nparts) {
		pb_url_add_text(rewritten, im->source);
		pb_buf_addstr(rewritten, ": run ");
		pb_url_add_text(rewritten, im->assembly_id);
		pb_buf_addf(rewritten,
			    " was rewritten in place since import %lld read it (%lld blobs, now %zu): the run "
			    "is read again",
			    *id, nfiles, im->nparts);
		*id = 0;
	} else if (im->part_etags && !PQgetisnull(res, 0, 2)) {
		size_t seq = (size_t)strtoull(PQgetvalue(res, 0, 2), NULL, 10);
		char *shown = seq >= 1 && seq <= im->nparts ? pb_url_redact(im->parts[seq - 1]) : NULL;

		pb_url_add_text(rewritten, shown ? shown : "?");
		pb_buf_addf(rewritten, ": rewritten in place since import %lld read run ", *id);
		pb_url_add_text(rewritten, im->assembly_id);
		pb_buf_addstr(rewritten, " (ETag ");
		pb_url_add_text(rewritten, PQgetvalue(res, 0, 3));
		pb_buf_addstr(rewritten, ", now ");
		pb_url_add_text(rewritten, im->part_etags[seq - 1]);
		pb_buf_addstr(rewritten, "): the run is read again");
		free(shown);
		*id = 0;
	} else if (im->part_etags) {
		/*
		 * A blob listed without an ETag: nothing tells whether it was rewritten in place (a Last-Modified to
		 * the second, or a size, can stay the same), so the run is read again rather than taken as stored.
		 */
		for (k = 0; k < im->nparts && im->part_etags[k]; k++)
			;
		if (k < im->nparts) {
			char *shown = pb_url_redact(im->parts[k]);

			pb_url_add_text(rewritten, shown ? shown : "?");
			pb_buf_addstr(rewritten, ": listed without an ETag: whether run ");
			pb_url_add_text(rewritten, im->assembly_id);
			pb_buf_addf(rewritten,
				    " was rewritten in place since import %lld read it cannot be told: the run is read "
				    "again",
				    *id);
			free(shown);
			*id = 0;
		}
	}
	PQclear(res);
	return 0;
}

int pb_store_not_final(PGconn *conn, long long id, int *yes, struct pb_buf *err)
{
	char id_s[32];
	const char *p[1] = {id_s};
	PGresult *res;

	*yes = 0;
	snprintf(id_s, sizeof(id_s), "%lld", id);
	res = pb_db_query(conn, "SELECT 1 FROM pb.import WHERE id = $1::bigint AND NOT final", 1, p, err);
	if (!res)
		return PB_STORE_ERR_DB;
	*yes = PQntuples(res) == 1;
	PQclear(res);
	return 0;
}

int pb_store_not_final_by(PGconn *conn, long long id, int32_t day, int *yes, struct pb_buf *err)
{
	char id_s[32], day_s[11];
	const char *p[2] = {id_s, day_s};
	PGresult *res;

	*yes = 0;
	snprintf(id_s, sizeof(id_s), "%lld", id);
	pb_date_format(day, day_s);
	res = pb_db_query(conn,
			  "SELECT 1 FROM pb.import WHERE id = $1::bigint AND NOT final "
			  "AND (started_at AT TIME ZONE 'UTC')::date <= $2::date",
			  2, p, err);
	if (!res)
		return PB_STORE_ERR_DB;
	*yes = PQntuples(res) == 1;
	PQclear(res);
	return 0;
}

void pb_store_fail(PGconn *conn, const struct pb_store_import *im, const char *why)
{
	struct pb_buf ignore = PB_BUF_INIT;
	char id[32];
	const char *p[2] = {id, why};

	if (!conn || im->id <= 0)
		return;
	/*
	 * The server ended the session (terminated, restarted): its transaction is gone, so one new session
	 * records the failure now rather than leaving it to the next run of the key. A server that stays away
	 * leaves the import 'running', and the next run that takes the lock marks it failed.
	 */
	if (PQstatus(conn) != CONNECTION_OK)
		PQreset(conn);
	if (PQstatus(conn) != CONNECTION_OK)
		return;
	/* A transaction the failure left open (aborted, or not) is ended first: the record must not be in it. */
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
	snprintf(id, sizeof(id), "%lld", im->id);
	pb_db_exec(conn,
		   "UPDATE pb.import SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1::bigint "
		   "AND status = 'running'",
		   2, p, &ignore);
	pb_buf_release(&ignore);
}

/* Writes s to out with its control characters as \\xHH: a source or an error names files from outside. */
static void put_shown(FILE *out, const char *s)
{
	struct pb_buf b = PB_BUF_INIT;

	pb_text_add_visible(&b, s, strlen(s));
	fputs(pb_buf_str(&b), out);
	pb_buf_release(&b);
}

/* The columns --history shows of an import (i: pb.import). */
#define HISTORY_COLUMNS                                                                                             \
	"i.id, i.vendor, to_char(i.billing_month, 'YYYY-MM'), i.status, coalesce(i.file_count::text, '-'), "        \
	"coalesce(i.line_count::text, '-'), coalesce(i.row_count::text, '-'), coalesce(i.list_total::text, '-'), "  \
	"coalesce(i.billed_total::text, '-'), to_char(i.started_at, 'YYYY-MM-DD HH24:MI:SS'), i.format, i.source, " \
	"coalesce(i.error, '')"

/* Writes row k of res (HISTORY_COLUMNS) as --history lists it; dead: a run that died, shown as it will be. */
static void history_row(FILE *out, const PGresult *res, int k, int dead)
{
	fprintf(out, "%6s  %-6s %-7s  %-10s %5s %10s %8s %22s %22s  %-19s  %-14s  ", PQgetvalue(res, k, 0),
		PQgetvalue(res, k, 1), PQgetvalue(res, k, 2), dead ? "failed" : PQgetvalue(res, k, 3),
		PQgetvalue(res, k, 4), PQgetvalue(res, k, 5), PQgetvalue(res, k, 6), PQgetvalue(res, k, 7),
		PQgetvalue(res, k, 8), PQgetvalue(res, k, 9), PQgetvalue(res, k, 10));
	put_shown(out, PQgetvalue(res, k, 11));
	if (dead) {
		fputs("  (interrupted: the run ended before it finished; recorded at the next run of its source)", out);
	} else if (*PQgetvalue(res, k, 12)) {
		fputs("  (", out);
		put_shown(out, PQgetvalue(res, k, 12));
		fputc(')', out);
	}
	fputc('\n', out);
}

/*
 * The imports running when res was read whose run holds no lock (see lock_name), read again once the locks
 * were looked at: those still running belong to a run that is gone; the others ended meanwhile (a run records
 * its import's end before it lets its lock go) and are shown as they are now. Rows of HISTORY_COLUMNS, or NULL
 * with err set.
 */
static PGresult *history_recheck(PGconn *conn, const PGresult *res, struct pb_buf *err)
{
	struct pb_buf ids = PB_BUF_INIT;
	PGresult *gone, *fresh = NULL;
	const char *p[1];
	int k;

	pb_buf_addch(&ids, '{');
	for (k = 0; k < PQntuples(res); k++)
		if (strcmp(PQgetvalue(res, k, 3), "running") == 0)
			pb_buf_addf(&ids, "%s%s", ids.len > 1 ? "," : "", PQgetvalue(res, k, 0));
	pb_buf_addch(&ids, '}');
	p[0] = pb_buf_str(&ids);
	/* First the locks, in a statement of its own; then the imports, in a snapshot taken after it. */
	gone = pb_db_query(conn,
			   "SELECT coalesce(array_agg(i.id), '{}') FROM pb.import i WHERE i.id = ANY ($1::bigint[]) "
			   "AND NOT EXISTS (SELECT FROM pg_locks l WHERE l.granted AND " PB_DB_ADVISORY_LOCK_IS(
				   "l", "hashtextextended(" IMPORT_LOCK_NAME_SQL("i") ", 0)") ")",
			   1, p, err);
	pb_buf_release(&ids);
	if (!gone)
		return NULL;
	p[0] = PQgetvalue(gone, 0, 0);
	fresh = pb_db_query(conn, "SELECT " HISTORY_COLUMNS " FROM pb.import i WHERE i.id = ANY ($1::bigint[])", 1, p,
			    err);
	PQclear(gone);
	return fresh;
}

int pb_store_history(PGconn *conn, int32_t month, FILE *out, struct pb_buf *err)
{
	char m[11] = "";
	const char *p[1] = {m};
	PGresult *res, *fresh;
	int i, k;

	if (month)
		pb_date_format(month, m);
	res = pb_db_query(conn,
			  "SELECT " HISTORY_COLUMNS " FROM pb.import i "
			  "WHERE $1 = '' OR i.billing_month = nullif($1, '')::date ORDER BY i.id",
			  1, p, err);
	if (!res)
		return -1;
	pb_test_pause("history-read");
	/*
	 * An import 'running' whose run is gone (kill -9, a lost server) stays so until the source's next run
	 * records it failed: until then it is shown as that run will record it.
	 */
	fresh = history_recheck(conn, res, err);
	if (!fresh) {
		PQclear(res);
		return -1;
	}
	fprintf(out, "%6s  %-6s %-7s  %-10s %5s %10s %8s %22s %22s  %-19s  %-14s  %s\n", "import", "vendor", "month",
		"status", "files", "lines", "rows", "list_total", "billed_total", "started", "format", "source");
	for (i = 0; i < PQntuples(res); i++) {
		for (k = 0; k < PQntuples(fresh) && strcmp(PQgetvalue(fresh, k, 0), PQgetvalue(res, i, 0)) != 0; k++)
			;
		if (k < PQntuples(fresh))
			history_row(out, fresh, k, strcmp(PQgetvalue(fresh, k, 3), "running") == 0);
		else
			history_row(out, res, i, 0);
	}
	PQclear(fresh);
	PQclear(res);
	if (pb_store_overlaps(conn, NULL, month, 0, "warning: ", out, err) < 0)
		return -1;
	return 0;
}
