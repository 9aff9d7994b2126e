/* The periods of a meter's prices, worked out from every load's rows with the rule pb-ingest applies. */
#include "show.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "text.h"
#include "unit.h"

#include "banned.h"

#define OPEN_END INT32_MAX

/*
 * One stored price, in show's order: region, unit's base, currency, newest load first, unit, latest start first,
 * tier (seq: its place in the query's order, which has all but the unit's base).
 */
struct row {
	const char *key; /* the region as pb-ingest compares it: "US East", "us-east" and (paired) "eastus" alike */
	const char *region, *unit, *tier, *price, *currency, *product;
	/* The unit as pb-ingest compares it: "b " and its base ("100 Hours": "b hour"), else "t " and its text. */
	char base[PB_UNIT_BASE_MAX + 2];
	long long load;
	size_t seq;
	int32_t start, end;
};

/* The unit's base, as pb-ingest counts a line's quantity; a unit it cannot read as one, by its text without case. */
static void unit_base(struct row *r)
{
	uint32_t count;
	size_t i;

	if (pb_unit_parse(r->unit, strlen(r->unit), &count, r->base + 2, sizeof(r->base) - 2) == 0) {
		memcpy(r->base, "b ", 2);
		return;
	}
	memcpy(r->base, "t ", 2);
	for (i = 0; r->unit[i] && i + 3 < sizeof(r->base); i++)
		r->base[i + 2] = pb_ascii_lower(r->unit[i]);
	r->base[i + 2] = '\0';
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (!c)
		c = strcmp(x->base, y->base);
	if (!c)
		c = strcmp(x->currency, y->currency);
	if (!c)
		c = x->load == y->load ? 0 : x->load > y->load ? -1 : 1;
	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int in_force(const struct row *r, int32_t day)
{
	return r->start <= day && day < r->end;
}

/* The rows of the newest load in force on day among rows[0..n), one per unit and tier (latest start): into pick. */
static size_t prices_on(const struct row *rows, size_t n, int32_t day, const struct row **pick)
{
	long long load = -1;
	size_t i, k, np = 0;

	for (i = 0; i < n && load < 0; i++)
		if (in_force(&rows[i], day))
			load = rows[i].load;
	for (i = 0; i < n; i++) {
		if (rows[i].load != load || !in_force(&rows[i], day))
			continue;
		for (k = 0;
		     k < np && (strcmp(pick[k]->tier, rows[i].tier) != 0 || strcasecmp(pick[k]->unit, rows[i].unit));
		     k++)
			;
		if (k == np)
			pick[np++] = &rows[i];
	}
	return np;
}

/* One day's prices and another's are alike: units compared without case, as prices_on and pb-ingest compare them. */
static int same_prices(const struct row *const *a, size_t na, const struct row *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (a[i]->load != b[i]->load || strcasecmp(a[i]->unit, b[i]->unit) || strcmp(a[i]->tier, b[i]->tier) ||
		    strcmp(a[i]->price, b[i]->price) || strcmp(a[i]->currency, b[i]->currency))
			return 0;
	return 1;
}

static int cmp_day(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Prints a line made by fmt: the price list's text in it with its control characters shown as \xHH, a line feed
 * too (a unit or region with one would print a period as two lines), but for the one that ends the line.
 */
static void __attribute__((format(printf, 2, 3))) put_line(FILE *out, const char *fmt, ...)
{
	struct pb_buf b = PB_BUF_INIT, shown = PB_BUF_INIT;
	size_t len;
	int ends;
	va_list ap;

	va_start(ap, fmt);
	pb_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	len = b.len;
	ends = len && b.ptr[len - 1] == '\n';
	pb_text_add_visible(&shown, b.ptr ? b.ptr : "", len - (size_t)ends);
	if (ends)
		pb_buf_addstr(&shown, "\n");
	fputs(pb_buf_str(&shown), out);
	pb_buf_release(&shown);
	pb_buf_release(&b);
}

/* Prints one period's prices: from, to (inclusive, "-" when open), then per tier. */
static void print_period(FILE *out, int32_t from, int32_t to, const struct row *const *p, size_t n)
{
	char f[11], t[11] = "-";
	size_t i;

	pb_date_format(from, f);
	if (to != OPEN_END)
		pb_date_format(to - 1, t);
	for (i = 0; i < n; i++)
		put_line(out, "%-10s  %-10s  %-16s  %-12s  %10s  %14s  %-8s  %5lld\n", f, t, p[i]->region, p[i]->unit,
			 p[i]->tier, p[i]->price, p[i]->currency, p[i]->load);
}

/* One region, unit's base and currency: the boundaries of every row, and the prices between each two. */
static int show_group(const struct row *rows, size_t n, FILE *out)
{
	int32_t *days = malloc(2 * n * sizeof(*days));
	const struct row **cur = malloc(n * sizeof(*cur)), **prev = malloc(n * sizeof(*prev)), **swap;
	size_t nd = 0, i, ncur, nprev = 0;
	int32_t from = 0;

	if (!days || !cur || !prev) {
		free(days);
		free(cur);
		free(prev);
		return -1;
	}
	for (i = 0; i < n; i++) {
		days[nd++] = rows[i].start;
		if (rows[i].end != OPEN_END)
			days[nd++] = rows[i].end;
	}
	qsort(days, nd, sizeof(*days), cmp_day);
	for (i = 0; i < nd; i++) {
		if (i && days[i] == days[i - 1])
			continue;
		ncur = prices_on(rows, n, days[i], cur);
		if (same_prices(cur, ncur, prev, nprev))
			continue;
		if (nprev)
			print_period(out, from, days[i], prev, nprev);
		from = days[i];
		swap = prev;
		prev = cur;
		cur = swap;
		nprev = ncur;
	}
	if (nprev)
		print_period(out, from, OPEN_END, prev, nprev);
	free(days);
	free(cur);
	free(prev);
	return 0;
}

int pb_prices_show(PGconn *conn, const char *vendor, const char *meter, FILE *out, struct pb_buf *err)
{
	char *key = strdup(meter);
	const char *p[2] = {vendor, key};
	struct row *rows = NULL;
	PGresult *res = NULL;
	size_t i, n, g;
	int rc = 0;

	if (!key) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return PB_ERR_DATA;
	}
	for (i = 0; key[i] && strcmp(vendor, "azure") == 0; i++)
		key[i] = pb_ascii_lower(key[i]);
	res = pb_db_query(
		conn,
		"WITH al AS MATERIALIZED (SELECT alias, region FROM pb.region_alias WHERE vendor = $1), "
		"r AS (SELECT p.*, coalesce(al.region, pb.region_fold(p.region)) AS rkey FROM pb.price p LEFT JOIN al "
		"ON al.alias = pb.region_fold(p.region) JOIN pb.price_load l ON l.id = p.load_id AND "
		"l.status IN ('committed', 'superseded') WHERE p.vendor = $1 AND p.meter = $2) "
		"SELECT p.region, p.unit, trim_scale(p.tier_min)::text, p.effective_start::text, "
		"coalesce(p.effective_end::text, ''), trim_scale(p.unit_price)::text, p.currency, p.load_id, "
		"p.product, p.rkey FROM r p ORDER BY p.rkey COLLATE \"C\", p.currency COLLATE \"C\", p.load_id DESC, "
		"lower(p.unit) COLLATE \"C\", p.unit COLLATE \"C\", p.effective_start DESC, p.tier_min, p.region "
		"COLLATE \"C\"",
		2, p, err);
	if (!res) {
		rc = PB_ERR_DEPENDENCY;
		goto out;
	}
	n = (size_t)PQntuples(res);
	if (!n) {
		pb_buf_reset(err);
		pb_buf_addf(err, "no price of %s %s %s in any load", vendor,
			    strcmp(vendor, "aws") == 0 ? "SKU" : "meter", key);
		rc = PB_ERR_DATA;
		goto out;
	}
	rows = calloc(n, sizeof(*rows));
	if (!rows) {
		rc = PB_ERR_DATA;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct row *r = &rows[i];
		const char *end = PQgetvalue(res, (int)i, 4);

		r->region = PQgetvalue(res, (int)i, 0);
		r->key = PQgetvalue(res, (int)i, 9);
		r->unit = PQgetvalue(res, (int)i, 1);
		r->tier = PQgetvalue(res, (int)i, 2);
		r->price = PQgetvalue(res, (int)i, 5);
		r->currency = PQgetvalue(res, (int)i, 6);
		r->load = strtoll(PQgetvalue(res, (int)i, 7), NULL, 10);
		r->product = PQgetvalue(res, (int)i, 8);
		r->end = OPEN_END;
		r->seq = i;
		unit_base(r);
		pb_date_parse_iso(PQgetvalue(res, (int)i, 3), 10, &r->start);
		if (*end)
			pb_date_parse_iso(end, strlen(end), &r->end);
	}
	/* pb-ingest counts a line's quantity in its unit's base: "1 Hour" and "100 Hours" are one unit's prices. */
	qsort(rows, n, sizeof(*rows), cmp_row);
	put_line(out, "%s %s %s%s%s%s: the prices in force, from the newest load that has one each day\n", vendor,
		 strcmp(vendor, "aws") == 0 ? "SKU" : "meter", key, rows[0].product[0] ? " (" : "", rows[0].product,
		 rows[0].product[0] ? ")" : "");
	fprintf(out, "%-10s  %-10s  %-16s  %-12s  %10s  %14s  %-8s  %5s\n", "from", "to", "region", "unit", "tier_min",
		"unit_price", "currency", "load");
	for (i = 0; i < n && rc == 0; i = g) {
		/* Per currency too: a price in one prices the lines billed in it, whatever the newer loads in others.
		 */
		for (g = i; g < n && !strcmp(rows[g].key, rows[i].key) && !strcmp(rows[g].base, rows[i].base) &&
			    !strcmp(rows[g].currency, rows[i].currency);
		     g++)
			;
		if (show_group(rows + i, g - i, out) < 0) {
			pb_buf_reset(err);
			pb_buf_addstr(err, "out of memory");
			rc = PB_ERR_DATA;
		}
	}
out:
	free(rows);
	PQclear(res);
	free(key);
	return rc;
}

int pb_prices_history(PGconn *conn, const char *vendor, FILE *out, struct pb_buf *err)
{
	const char *p[1] = {vendor ? vendor : ""};
	PGresult *res;
	int i;

	res = pb_db_query(conn,
			  "SELECT id, vendor, format, status, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS'), "
			  "coalesce(file_count::text, '-'), coalesce(item_count::text, '-'), coalesce(row_count::text, "
			  "'-'), coalesce(skipped_count::text, '-'), source, coalesce(error, '') FROM pb.price_load "
			  "WHERE $1 = '' OR vendor = $1 ORDER BY id",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	fprintf(out, "%5s  %-6s %-16s  %-10s  %-19s %6s %10s %10s %10s  %s\n", "load", "vendor", "format", "status",
		"started", "files", "items", "prices", "skipped", "source");
	for (i = 0; i < PQntuples(res); i++) {
		put_line(out, "%5s  %-6s %-16s  %-10s  %-19s %6s %10s %10s %10s  %s", PQgetvalue(res, i, 0),
			 PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
			 PQgetvalue(res, i, 5), PQgetvalue(res, i, 6), PQgetvalue(res, i, 7), PQgetvalue(res, i, 8),
			 PQgetvalue(res, i, 9));
		if (*PQgetvalue(res, i, 10))
			put_line(out, "  (%s)", PQgetvalue(res, i, 10));
		fputc('\n', out);
	}
	PQclear(res);
	/* What could not be written is said when standard output is closed (pb_close_stdout). */
	return ferror(out) ? PB_ERR_DEPENDENCY : 0;
}
