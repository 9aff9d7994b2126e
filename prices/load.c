/* The load protocol: lock, one transaction, COPY into a staging table, then the prices kept and made current. */
#include "load.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "interrupt.h"
#include "testhook.h"
#include "text.h"
#include "unit.h"
#include "who.h"

#include "banned.h"

#define COPY_CHUNK ((size_t)256 << 10)

struct load_file {
	char *uri;
	uint64_t bytes, items;
	char sha256[65];
	char *etag;
};

struct pb_price_load {
	PGconn *conn;
	char vendor[8], format[24];
	char *source;
	struct pb_buf lock; /* the advisory lock's name */
	int locked, in_tx, in_copy;
	struct pb_buf copy; /* COPY text not sent yet */
	EVP_MD_CTX *sha;    /* of the COPY text: the prices kept, in the order read */
	uint64_t items, skipped;
	struct load_file *files;
	size_t nfiles;
};

static void one_line(struct pb_buf *err)
{
	size_t k;

	for (k = 0; k < err->len; k++)
		if (err->ptr[k] == '\n')
			err->ptr[k] = ' ';
	while (err->len && err->ptr[err->len - 1] == ' ')
		err->ptr[--err->len] = '\0';
}

static int db_error(struct pb_buf *err)
{
	one_line(err);
	return PB_ERR_DEPENDENCY;
}

/*
 * The answer of a query for a conflict among the staged prices (unit_conflict, region_conflict): none
 * (0), or one row, its message (PB_ERR_DATA with it in err, on one line). res is cleared.
 */
static int conflict_found(PGresult *res, struct pb_buf *err)
{
	int rc = 0;

	if (!res)
		return db_error(err);
	if (PQntuples(res) == 1) {
		pb_buf_reset(err);
		pb_buf_addstr(err, PQgetvalue(res, 0, 0));
		one_line(err);
		rc = PB_ERR_DATA;
	}
	PQclear(res);
	return rc;
}

/* Says who holds the source's lock: the server process and its program. */
static int locked_by(struct pb_price_load *l, struct pb_buf *err)
{
	const char *p[1] = {pb_buf_str(&l->lock)};
	struct pb_buf ignore = PB_BUF_INIT;
	PGresult *res =
		pb_db_query(l->conn,
			    "SELECT a.pid, a.application_name, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') "
			    "FROM pg_locks k "
			    "JOIN pg_stat_activity a ON a.pid = k.pid WHERE k.granted AND " PB_DB_ADVISORY_LOCK_IS(
				    "k", "hashtextextended($1, 0)") " LIMIT 1",
			    1, p, &ignore);

	pb_buf_reset(err);
	pb_buf_addf(err, "a load of the %s prices of '%s' is running already", l->vendor, l->source);
	if (res && PQntuples(res) == 1)
		pb_buf_addf(err, ": %s, server process %s, since %s", PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0),
			    PQgetvalue(res, 0, 2));
	PQclear(res);
	pb_buf_release(&ignore);
	return PB_ERR_REFUSED;
}

int pb_price_load_begin(PGconn *conn, const char *vendor, const char *format, const char *source,
			struct pb_price_load **out, struct pb_buf *err)
{
	struct pb_price_load *l = calloc(1, sizeof(*l));
	PGresult *res;
	const char *p[1];
	int rc = PB_ERR_DEPENDENCY;

	*out = l;
	if (!l)
		goto nomem;
	l->conn = conn;
	snprintf(l->vendor, sizeof(l->vendor), "%s", vendor);
	snprintf(l->format, sizeof(l->format), "%s", format);
	l->source = strdup(source);
	pb_buf_init(&l->lock, 0);
	pb_buf_init(&l->copy, 0);
	l->sha = EVP_MD_CTX_new();
	if (!l->source || !l->sha || EVP_DigestInit_ex(l->sha, EVP_sha256(), NULL) != 1)
		goto nomem;
	pb_buf_addf(&l->lock, "pb-prices|%s|%s|%s", vendor, format, source);
	p[0] = pb_buf_str(&l->lock);
	res = pb_db_query(conn, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", 1, p, err);
	if (!res)
		return db_error(err);
	l->locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!l->locked)
		return locked_by(l, err);
	if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0)
		return db_error(err);
	l->in_tx = 1;
	if (pb_db_exec(conn,
		       "CREATE TEMP TABLE price_stage (meter text, region text, unit text, tier_min numeric, "
		       "effective_start date, effective_end date, unit_price numeric, currency text, usage_type text, "
		       "operation text, product text, tier_max numeric, has_max boolean, seq bigint, pos text, max_at "
		       "text, location text, ubase text, ucount bigint) "
		       "ON COMMIT DROP",
		       0, NULL, err) < 0)
		return db_error(err);
	if (pb_db_copy_start(conn, "COPY price_stage FROM STDIN", err) < 0)
		return db_error(err);
	l->in_copy = 1;
	return 0;
nomem:
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return rc;
}

/* The escape of ch in a COPY text field, or NULL when it stands for itself. */
static const char *copy_escape(char ch)
{
	return ch == '\\' ? "\\\\" : ch == '\t' ? "\\t" : ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : NULL;
}

/* Appends s as a COPY text field (tabs, line breaks and backslashes escaped). */
static void copy_text(struct pb_buf *b, const char *s, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		const char *esc = copy_escape(s[i]);

		if (!esc)
			continue;
		pb_buf_add(b, s + start, i - start);
		pb_buf_addstr(b, esc);
		start = i + 1;
	}
	pb_buf_add(b, s + start, len - start);
}

/* A non-negative decimal as plain digits: mant x 10^exp. */
static void copy_decimal(struct pb_buf *b, const struct pb_decimal *d)
{
	char digits[48];
	int n = 0, i;
	unsigned __int128 m = d->mant;

	do {
		digits[n++] = (char)('0' + (int)(m % 10));
		m /= 10;
	} while (m);
	if (d->mant == 0) {
		pb_buf_addch(b, '0');
		return;
	}
	if (d->exp >= 0) {
		for (i = n - 1; i >= 0; i--)
			pb_buf_addch(b, digits[i]);
		for (i = 0; i < d->exp; i++)
			pb_buf_addch(b, '0');
		return;
	}
	/* -exp digits after the point: leading zeros where the mantissa is shorter. */
	if (n <= -d->exp) {
		pb_buf_addstr(b, "0.");
		for (i = 0; i < -d->exp - n; i++)
			pb_buf_addch(b, '0');
		for (i = n - 1; i >= 0; i--)
			pb_buf_addch(b, digits[i]);
	} else {
		for (i = n - 1; i >= 0; i--) {
			pb_buf_addch(b, digits[i]);
			if (i == -d->exp)
				pb_buf_addch(b, '.');
		}
	}
}

static int flush_copy(struct pb_price_load *l, struct pb_buf *err)
{
	return pb_db_copy_send(l->conn, &l->copy, err) < 0 ? db_error(err) : 0;
}

int pb_price_load_add(struct pb_price_load *l, const struct pb_price_item *it, struct pb_buf *err)
{
	struct pb_buf *b = &l->copy;
	char day[11], base[PB_UNIT_BASE_MAX];
	size_t i, row = b->len;
	uint32_t count;

	l->items++;
	/* Azure meter ids are GUIDs: kept in lowercase, as pb-ingest looks them up. */
	for (i = 0; i < it->meter.len; i++) {
		char ch = it->meter.ptr[i];

		if (strcmp(l->vendor, "azure") == 0)
			ch = pb_ascii_lower(ch);
		/* A line break, tab or backslash escaped as in every other field: raw, it ends the COPY row. */
		if (copy_escape(ch))
			pb_buf_addstr(b, copy_escape(ch));
		else
			pb_buf_addch(b, ch);
	}
	pb_buf_addch(b, '\t');
	copy_text(b, it->region.ptr, it->region.len);
	pb_buf_addch(b, '\t');
	copy_text(b, it->unit.ptr, it->unit.len);
	pb_buf_addch(b, '\t');
	copy_decimal(b, &it->tier_min);
	pb_date_format(it->start, day);
	pb_buf_addf(b, "\t%s\t", day);
	if (it->end) {
		pb_date_format(it->end, day);
		pb_buf_addstr(b, day);
	} else {
		pb_buf_addstr(b, "\\N");
	}
	pb_buf_addch(b, '\t');
	copy_decimal(b, &it->price);
	pb_buf_addch(b, '\t');
	copy_text(b, it->currency.ptr, it->currency.len);
	pb_buf_addch(b, '\t');
	copy_text(b, it->usage_type.ptr, it->usage_type.len);
	pb_buf_addch(b, '\t');
	copy_text(b, it->operation.ptr, it->operation.len);
	pb_buf_addch(b, '\t');
	copy_text(b, it->product.ptr, it->product.len);
	pb_buf_addch(b, '\t');
	if (it->has_tier_max && !it->tier_inf)
		copy_decimal(b, &it->tier_max);
	else
		pb_buf_addstr(b, "\\N");
	pb_buf_addstr(b, it->has_tier_max ? "\tt" : "\tf");
	/* The prices kept, in the order read, are what the SHA-256 is of: where they are written is not. */
	if (!b->failed &&
	    (EVP_DigestUpdate(l->sha, b->ptr + row, b->len - row) != 1 || EVP_DigestUpdate(l->sha, "\n", 1) != 1)) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "cannot compute the SHA-256 of the prices");
		return PB_ERR_DEPENDENCY;
	}
	pb_buf_addf(b, "\t%llu\t", (unsigned long long)l->items);
	copy_text(b, it->file ? it->file : "", it->file ? strlen(it->file) : 0);
	pb_buf_addf(b, ":%llu:%u\t", (unsigned long long)it->line, it->col);
	/* Where its tier end is written, as LINE:COL of the same file: a message about its tiers names it. */
	if (it->max_line)
		pb_buf_addf(b, "%llu:%u\t", (unsigned long long)it->max_line, it->max_col);
	else
		pb_buf_addstr(b, "\\N\t");
	/* The region's other name is not part of the price: the same prices with it are the same prices. */
	copy_text(b, it->location.ptr ? it->location.ptr : "", it->location.len);
	/* The unit as pb-ingest reads it (pb_unit_parse), for the refusal of one unit priced two ways. */
	if (pb_unit_parse(it->unit.ptr, it->unit.len, &count, base, sizeof(base)) == 0) {
		pb_buf_addch(b, '\t');
		copy_text(b, base, strlen(base));
		pb_buf_addf(b, "\t%u\n", (unsigned)count);
	} else {
		pb_buf_addstr(b, "\t\\N\t\\N\n");
	}
	if (b->len >= COPY_CHUNK || b->failed)
		return flush_copy(l, err);
	return 0;
}

void pb_price_load_skip(struct pb_price_load *l, uint64_t n)
{
	l->items += n;
	l->skipped += n;
}

uint64_t pb_price_load_kept(const struct pb_price_load *l)
{
	return l->items - l->skipped;
}

int pb_price_load_file(struct pb_price_load *l, const char *uri, uint64_t bytes, const char *sha256, const char *etag,
		       uint64_t items)
{
	struct load_file *f = realloc(l->files, (l->nfiles + 1) * sizeof(*f));

	if (!f)
		return -1;
	l->files = f;
	f = &f[l->nfiles];
	memset(f, 0, sizeof(*f));
	f->uri = strdup(uri);
	f->etag = strdup(etag ? etag : "");
	f->bytes = bytes;
	f->items = items;
	snprintf(f->sha256, sizeof(f->sha256), "%s", sha256);
	if (!f->uri || !f->etag) {
		free(f->uri);
		free(f->etag);
		return -1;
	}
	l->nfiles++;
	return 0;
}

/* Ends the COPY; ok 0 ends it as failed. 0, or PB_ERR_DEPENDENCY. */
static int end_copy(struct pb_price_load *l, int ok, struct pb_buf *err)
{
	if (!l->in_copy)
		return 0;
	l->in_copy = 0;
	ok = ok && flush_copy(l, err) == 0;
	return pb_db_copy_end(l->conn, ok, NULL, err) < 0 ? db_error(err) : 0;
}

/*
 * The current load of the source with the same prices, into *id (0: none), and the number of prices it stored
 * (conflicting duplicates and tiers with a gap are not) into *stored, when they are still the prices in
 * force: every one of them kept, and none of their meters priced by a newer load (of any source) on one of their
 * days, in whatever region: pb-ingest takes "US East" and "us-east" for one region, and a line's MeterRegion and
 * ResourceLocation ("US East", "eastus") for its own. Otherwise a reload of the same list must be a new load, to
 * be the newest again.
 */
static int unchanged(struct pb_price_load *l, const char *sha, long long *id, uint64_t *stored, struct pb_buf *err)
{
	const char *p[4] = {l->vendor, l->format, l->source, sha};
	PGresult *res = pb_db_query(
		l->conn,
		"SELECT l.id, l.row_count FROM pb.price_load l WHERE l.vendor = $1 AND l.format = $2 AND l.source = $3 "
		"AND l.status = 'committed' AND l.content_sha256 = $4 "
		"AND (SELECT count(*) FROM pb.price o WHERE o.load_id = l.id) = l.row_count "
		"AND NOT EXISTS (SELECT 1 FROM pb.price o JOIN pb.price n ON n.vendor = o.vendor AND n.meter = o.meter "
		"AND n.effective_start < coalesce(o.effective_end, 'infinity') AND n.load_id > o.load_id "
		"AND n.currency = o.currency "
		"AND (n.effective_end IS NULL OR n.effective_end > o.effective_start) WHERE o.load_id = l.id)",
		4, p, err);

	if (!res)
		return db_error(err);
	*id = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	*stored = PQntuples(res) == 1 ? strtoull(PQgetvalue(res, 0, 1), NULL, 10) : 0;
	PQclear(res);
	return 0;
}

/*
 * A meter, region and start priced two ways in units that are one unit to pb-ingest: without case ("1 Hour",
 * "1 hour"), and as pb_unit_parse reads them, at another price for each of what they count ("1 GB/Month" and
 * "1 GB /Month"; "100 Hours" at other than 100 times "1 Hour"'s price). A line in the unit (in a third spelling,
 * when the two differ in more than case) would be priced with the tiers of whichever pb-ingest met first. A tier
 * starts at its count of the unit's count ("100 Hours" from 1: 100 hours, as pb-ingest counts it): each tier of
 * one spelling is compared with the other's tier in force where it starts, or with its lowest when that starts
 * above (a quantity below it has no price in that spelling). PB_ERR_DATA with err naming both and where they
 * are written, or 0.
 */
static int unit_conflict(struct pb_price_load *l, struct pb_buf *err)
{
	PGresult *res = pb_db_query(
		l->conn,
		/*
		 * Each row b, with the tier in force where it starts of each other spelling a, else its lowest, a tier
		 * counted in the unit's base. The join is hashed on price_stage itself: on a CTE, whose rows the
		 * planner cannot count, it took a nested loop, minutes for 80,000 rows of two spellings each. A unit
		 * pb-ingest cannot read is compared by its text without case, as one of it.
		 */
		"WITH p AS (SELECT DISTINCT ON (b.seq, a.unit) b.seq AS bseq, b.pos AS bpos, b.meter, b.region, "
		"b.tier_min AS btier, b.effective_start, b.unit AS bunit, b.unit_price AS bprice, a.seq AS aseq, "
		"a.pos AS apos, a.tier_min AS atier, a.unit AS aunit, a.unit_price AS aprice, coalesce(a.ubase, "
		"lower(a.unit)) AS ukey, a.tier_min * coalesce(a.ucount, 1) > b.tier_min * coalesce(b.ucount, 1) AS "
		"above, a.tier_min * coalesce(a.ucount, 1) > b.tier_min * coalesce(b.ucount, 1) OR b.unit_price * "
		"coalesce(a.ucount, 1) <> a.unit_price * coalesce(b.ucount, 1) OR b.effective_end IS DISTINCT FROM "
		"a.effective_end AS differ, b.unit_price * coalesce(a.ucount, 1) <> a.unit_price * "
		"coalesce(b.ucount, 1) AS pdiff FROM price_stage b JOIN price_stage a ON a.meter = b.meter AND "
		"a.region = b.region AND coalesce(a.ubase, lower(a.unit)) = coalesce(b.ubase, lower(b.unit)) AND "
		"a.currency = b.currency AND a.effective_start = b.effective_start AND a.unit <> b.unit ORDER BY "
		"b.seq, a.unit, a.tier_min * coalesce(a.ucount, 1) > b.tier_min * coalesce(b.ucount, 1), CASE WHEN "
		"a.tier_min * coalesce(a.ucount, 1) > b.tier_min * coalesce(b.ucount, 1) THEN a.tier_min * "
		"coalesce(a.ucount, 1) ELSE -a.tier_min * coalesce(a.ucount, 1) END, a.seq), "
		/* The other tier, when it is not the one of the same number. */
		"q AS (SELECT p.*, CASE WHEN above THEN ', tier ' || atier || ', no price below it' WHEN atier <> "
		"btier THEN ', tier ' || atier END AS at FROM p WHERE differ) SELECT CASE WHEN lower(bunit) = "
		"lower(aunit) THEN format('%s: meter %s, region %L, tier %s, from %s: unit %L (price %s) is unit %L "
		"of %s (price %s%s) written in another case: units are compared without case, so which price a line "
		"in it gets cannot be told', bpos, meter, region, btier, effective_start, bunit, bprice, aunit, "
		"apos, aprice, at) ELSE format('%s: meter %s, region %L, tier %s, from %s: unit %L (price %s) and "
		"unit %L of %s (price %s%s) both count %L, %s: units are compared by what they count, so which price "
		"a line in it gets cannot be told', bpos, meter, region, btier, effective_start, bunit, bprice, "
		"aunit, apos, aprice, at, ukey, CASE WHEN pdiff OR above THEN 'at another price for each' ELSE 'at "
		"one price for each but in force to another day' END) END FROM q ORDER BY greatest(bseq, aseq), "
		"least(bseq, aseq), bseq DESC LIMIT 1",
		0, NULL, err);

	return conflict_found(res, err);
}

/*
 * A meter, unit, tier and start priced two ways in regions that are one region to pb-ingest, which compares them on
 * their letters and digits without case ("US East", "us-east") and takes a programmatic name for the display name a
 * list paired it with ("eastus", "US East"): it would price a line there with the lower price, nothing said. A
 * tier is where it starts in what the unit counts ("100 Hours" from 1 is "1 Hour" from 100). PB_ERR_DATA with err
 * naming both and where they are written, or 0.
 */
static int region_conflict(struct pb_price_load *l, struct pb_buf *err)
{
	const char *p[1] = {l->vendor};
	PGresult *res = pb_db_query(
		l->conn,
		/* Only meters priced in two region texts or more are compared (most are one region's). */
		"WITH al AS MATERIALIZED (SELECT alias, region FROM pb.region_alias WHERE vendor = $1), s AS "
		"MATERIALIZED (SELECT st.*, pb.region_fold(st.region) AS folded FROM price_stage st WHERE meter IN "
		"(SELECT meter FROM price_stage GROUP BY meter HAVING min(region) <> max(region))), "
		/* A pair's alias is in no other pair: the join gives each row once. */
		"k AS MATERIALIZED (SELECT s.*, coalesce(al.region, s.folded) AS rkey FROM s LEFT JOIN al ON "
		"al.alias = s.folded) SELECT format('%s: meter %s, unit %L, tier %s, from %s: region %L (price %s) "
		"is region %L of %s (price %s) written another way: %s, so which price a line there gets cannot be "
		"told', b.pos, b.meter, b.unit, b.tier_min, b.effective_start, b.region, b.unit_price, a.region, "
		"a.pos, a.unit_price, CASE WHEN a.folded = b.folded THEN 'regions are compared on their letters and "
		"digits without case' ELSE 'the Retail Prices API gives them as the armRegionName and location of "
		"one region' END) FROM k a JOIN k b ON b.meter = a.meter AND b.rkey = a.rkey AND b.region <> "
		"a.region AND coalesce(b.ubase, lower(b.unit)) = coalesce(a.ubase, lower(a.unit)) AND b.tier_min * "
		"coalesce(b.ucount, 1) = a.tier_min * coalesce(a.ucount, 1) AND b.effective_start = a.effective_start "
		"AND b.currency = a.currency AND b.seq > a.seq "
		"AND (b.unit_price * coalesce(a.ucount, 1) <> a.unit_price * coalesce(b.ucount, 1) OR "
		"b.effective_end IS DISTINCT FROM a.effective_end) ORDER BY b.seq, a.seq LIMIT 1",
		1, p, err);

	return conflict_found(res, err);
}

/* Runs sql with params and gives the count of rows it affected. */
static int exec_count(PGconn *conn, const char *sql, int n, const char *const *p, uint64_t *count, struct pb_buf *err)
{
	PGresult *res = pb_db_query(conn, sql, n, p, err);

	if (!res)
		return db_error(err);
	*count = strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

/*
 * Records the pairs of region names the load's items gave (armRegionName and location) that no load recorded
 * before, into *added: from the commit on, pb-ingest takes the two names of a pair for one region. A pair holds
 * when it is the first seen with each of its names (pb.region_alias), and the load drops older prices by the pairs
 * that hold: the loads of the vendor take their turns from here to their commit, so that a pair another load is
 * recording meanwhile is seen, and seen as earlier.
 */
static int record_regions(struct pb_price_load *l, uint64_t *added, struct pb_buf *err)
{
	const char *p[1] = {l->vendor};

	if (pb_db_exec_yielding(l->conn, "SELECT pg_advisory_xact_lock(hashtextextended('pb.price_region ' || $1, 0))",
				1, p, NULL, NULL, err) < 0)
		return db_error(err);
	/* One time for the load's pairs: two it gives at once that share a name are seen together. */
	return exec_count(
		l->conn,
		"WITH t AS MATERIALIZED (SELECT clock_timestamp() AS seen) "
		"INSERT INTO pb.price_region (vendor, name, location, first_seen) SELECT $1, d.region, "
		"d.location, t.seen FROM (SELECT DISTINCT region, location FROM price_stage WHERE region <> '' "
		"AND location <> '') d, t ON CONFLICT DO NOTHING",
		1, p, added, err);
}

int pb_price_region_arm(PGconn *conn, const char *name, char **arm, struct pb_buf *err)
{
	const char *p[1] = {name};
	PGresult *res = pb_db_query(
		conn,
		/* The spelling seen last, should a list have written it two ways: the API compares with the case. */
		"SELECT r.name FROM pb.price_region r JOIN pb.region_alias a ON a.vendor = r.vendor AND a.alias = "
		"pb.region_fold(r.name) AND a.region = pb.region_fold(r.location) WHERE r.vendor = 'azure' AND "
		"a.region = pb.region_fold($1) ORDER BY r.first_seen DESC, r.name COLLATE \"C\" LIMIT 1",
		1, p, err);

	*arm = NULL;
	if (!res)
		return db_error(err);
	if (PQntuples(res) == 1) {
		*arm = strdup(PQgetvalue(res, 0, 0));
		if (!*arm) {
			PQclear(res);
			pb_buf_reset(err);
			pb_buf_addstr(err, "out of memory");
			return PB_ERR_DEPENDENCY;
		}
	}
	PQclear(res);
	return 0;
}

/* The load's own row, running until it commits: its id. */
static int insert_load(struct pb_price_load *l, long long *id, struct pb_buf *err)
{
	char host[256] = "", who[320];
	const char *p[4] = {l->vendor, l->format, l->source, who};
	PGresult *res;

	pb_who_host(host, sizeof(host));
	snprintf(who, sizeof(who), "pb-prices pid %ld on %s", (long)getpid(), host);
	res = pb_db_query(l->conn,
			  "INSERT INTO pb.price_load (vendor, format, source, status, run_by) VALUES ($1, $2, $3, "
			  "'running', $4) RETURNING id",
			  4, p, err);
	if (!res)
		return db_error(err);
	*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/* Copies s into out (of cap bytes), cut to fit, its control characters as '?': a message is one line. */
static void visible(const char *s, char *out, size_t cap)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < cap; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7F ? '?' : s[i];
	out[i] = '\0';
}

/*
 * The prices kept, once each: items repeated with the same price are one row; a key (meter, region, unit,
 * currency, tier, start) priced two ways (another price, end or tier end) is not stored and counted as a
 * conflict, and neither are the other tiers of its meter, region, unit and currency from that start: alone,
 * they would price the quantities of the missing tier at another tier's price. Where the list says where each
 * tier ends (AWS), tiers that leave a gap (or overlap) between one's end and the next one's start are not stored
 * either: the quantities in the gap would be priced at the tier below it; nor are those whose last tier ends
 * (not "Inf"): the quantities past its end would be priced at its price.
 */
static int store_prices(struct pb_price_load *l, const char *id, struct pb_price_load_result *res, struct pb_buf *err)
{
	const char *p[2] = {id, l->vendor};
	PGresult *r;

	r = pb_db_query(
		l->conn,
		"WITH g AS (SELECT meter, region, unit, currency, tier_min, effective_start, min(effective_end) AS "
		"effective_end, "
		"min(unit_price) AS unit_price, min(usage_type) AS usage_type, "
		"min(operation) AS operation, min(product) AS product, "
		"bool_or(has_max) AS has_max, min(tier_max) AS tier_max, "
		"count(DISTINCT (unit_price, coalesce(effective_end, 'infinity'), coalesce(tier_max, -1))) "
		"AS ways FROM price_stage GROUP BY meter, region, unit, currency, tier_min, effective_start), "
		"t AS (SELECT g.*, lead(tier_min) OVER (PARTITION BY meter, region, unit, currency, effective_start "
		"ORDER BY tier_min) AS next_min, bool_or(has_max) OVER (PARTITION BY meter, region, unit, currency, "
		"effective_start) AS tiered FROM g), "
		"u AS (SELECT t.*, CASE WHEN NOT has_max THEN tiered WHEN next_min IS NULL THEN tier_max IS NOT NULL "
		"ELSE tier_max IS NULL OR tier_max <> next_min END AS gap FROM t), "
		"k AS (SELECT u.*, EXISTS (SELECT 1 FROM u b WHERE b.ways > 1 AND b.meter = u.meter AND b.region = "
		"u.region AND b.unit = u.unit AND b.currency = u.currency AND b.effective_start = u.effective_start) "
		"AS torn, EXISTS (SELECT 1 FROM u b WHERE b.gap AND b.meter = u.meter AND b.region = u.region AND "
		"b.unit = u.unit AND b.currency = u.currency AND b.effective_start = u.effective_start) AS gapped "
		"FROM u), "
		"ins AS (INSERT INTO pb.price (load_id, vendor, meter, region, unit, tier_min, effective_start, "
		"effective_end, unit_price, currency, usage_type, operation, product) SELECT $1::bigint, $2, meter, "
		"region, unit, tier_min, effective_start, effective_end, unit_price, currency, usage_type, operation, "
		"product FROM k WHERE NOT torn AND NOT gapped RETURNING 1) "
		"SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM k WHERE ways > 1), "
		"(SELECT count(*) FROM k WHERE ways = 1 AND torn), "
		/* The first key priced two ways, with where the list gives it first, and first at another price. */
		"(SELECT format('meter %s, region %L, unit %L, currency %s, tier %s, from %s: price %s at %s, price "
		"%s at %s', k.meter, k.region, k.unit, k.currency, k.tier_min, k.effective_start, a.price || CASE "
		"WHEN a.e IS DISTINCT FROM b.e THEN coalesce(' to ' || (a.e - 1), ' with no end') ELSE '' END || "
		"CASE WHEN a.tmax IS DISTINCT FROM b.tmax THEN ', tier to ' || coalesce(a.tmax::text, CASE WHEN "
		"a.has_max THEN 'Inf' ELSE 'nothing' END) ELSE '' END, a.pos, b.price || CASE WHEN b.e IS DISTINCT "
		"FROM a.e THEN coalesce(' to ' || (b.e - 1), ' with no end') ELSE '' END || CASE WHEN b.tmax IS "
		"DISTINCT FROM a.tmax THEN ', tier to ' || coalesce(b.tmax::text, CASE WHEN b.has_max THEN 'Inf' "
		"ELSE 'nothing' END) ELSE '' END, b.pos) FROM k CROSS JOIN LATERAL (SELECT s.unit_price, "
		"s.effective_end, s.tier_max, s.has_max, s.pos FROM price_stage s WHERE s.meter = k.meter AND "
		"s.region = k.region AND s.unit = k.unit AND s.currency = k.currency AND s.tier_min = k.tier_min AND "
		"s.effective_start = k.effective_start ORDER BY s.seq LIMIT 1) a(price, e, tmax, has_max, pos) CROSS "
		"JOIN LATERAL (SELECT s.unit_price, s.effective_end, s.tier_max, s.has_max, s.pos FROM price_stage s "
		"WHERE s.meter = k.meter AND s.region = k.region AND s.unit = k.unit AND s.currency = k.currency AND "
		"s.tier_min = k.tier_min AND s.effective_start = k.effective_start AND (s.unit_price, "
		"coalesce(s.effective_end, 'infinity'), coalesce(s.tier_max, -1)) IS DISTINCT FROM (a.price, "
		"coalesce(a.e, 'infinity'), coalesce(a.tmax, -1)) ORDER BY s.seq LIMIT 1) b(price, e, tmax, has_max, "
		"pos) WHERE k.ways > 1 ORDER BY k.meter, k.region, k.unit, k.currency, k.tier_min, k.effective_start "
		"LIMIT 1), (SELECT count(*) FROM k WHERE ways = 1 AND gapped AND NOT torn), "
		"(SELECT format('%s, region %L, unit %L, from %s, its tier from %s %s, %s, at %s', meter, region, "
		"unit, "
		"effective_start, tier_min, CASE WHEN has_max THEN 'to ' || coalesce(tier_max::text, 'Inf') ELSE "
		"'with an empty EndingRange' END, coalesce('the next from ' || next_min, 'and no tier after it'), "
		"(SELECT coalesce(regexp_replace(s.pos, ':[0-9]+:[0-9]+$', '') || ':' || s.max_at, s.pos) FROM "
		"price_stage s WHERE s.meter = k.meter AND s.region = k.region AND s.unit = k.unit AND s.currency = "
		"k.currency AND s.tier_min = k.tier_min AND s.effective_start = k.effective_start ORDER BY s.seq LIMIT "
		"1)) FROM k WHERE gap AND ways = 1 AND NOT torn ORDER BY meter, region, unit, currency, "
		"effective_start, "
		"tier_min LIMIT 1)",
		2, p, err);
	if (!r)
		return db_error(err);
	res->stored = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	res->conflicts = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	res->torn = strtoull(PQgetvalue(r, 0, 2), NULL, 10);
	visible(PQgetvalue(r, 0, 3), res->conflict, sizeof(res->conflict));
	res->gapped = strtoull(PQgetvalue(r, 0, 4), NULL, 10);
	visible(PQgetvalue(r, 0, 5), res->gap, sizeof(res->gap));
	PQclear(r);
	return 0;
}

/*
 * The meters (per region, unit, currency and start) the load stores in more tiers than pb-ingest applies, which
 * prices none of their lines: counted into res->many_tiers, the first named with where the list first gives it.
 * Only rows of a tier above 0 are grouped: most prices have one tier, and are not sorted for this.
 */
static int count_many_tiers(struct pb_price_load *l, const char *id, struct pb_price_load_result *res,
			    struct pb_buf *err)
{
	char max[16];
	const char *p[3] = {id, max, l->vendor};
	PGresult *r;

	snprintf(max, sizeof(max), "%d", PB_PRICE_MAX_TIERS);
	r = pb_db_query(
		l->conn,
		"WITH t AS (SELECT meter, region, unit, currency, effective_start FROM pb.price WHERE load_id = "
		"$1::bigint AND tier_min <> 0 GROUP BY meter, region, unit, currency, effective_start HAVING count(*) "
		">= $2::integer), "
		/* Each meter's tiers by the index on (vendor, meter, start): by the load's, each would read the whole
		   load. */
		"m AS (SELECT t.*, (SELECT count(*) FROM pb.price z WHERE z.vendor = $3 AND z.load_id = $1::bigint "
		"AND z.meter = t.meter AND z.region = t.region AND z.unit = t.unit AND z.currency = t.currency AND "
		"z.effective_start = t.effective_start) AS tiers FROM t) "
		"SELECT (SELECT count(*) FROM m WHERE tiers > $2::integer), (SELECT format('meter %s, region %L, unit "
		"%L, currency %s, from %s: %s tiers, the first at %s', m.meter, m.region, m.unit, m.currency, "
		"m.effective_start, m.tiers, (SELECT s.pos FROM price_stage s WHERE s.meter = m.meter AND s.region = "
		"m.region AND s.unit = m.unit AND s.currency = m.currency AND s.effective_start = m.effective_start "
		"ORDER BY s.seq LIMIT 1)) FROM m WHERE tiers > $2::integer ORDER BY m.meter, m.region, m.unit, "
		"m.currency, m.effective_start LIMIT 1)",
		3, p, err);
	if (!r)
		return db_error(err);
	res->many_tiers = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	visible(PQgetvalue(r, 0, 1), res->many, sizeof(res->many));
	PQclear(r);
	return 0;
}

/*
 * The older loads' prices this one makes unreachable: a row of the same meter, region, unit and currency whose
 * days all lie within one row of this load is never the newest load's price on any day. The region is one region
 * however either writes it ("US East", "us-east", or "eastus" where a list paired it with "US East"), as pb-ingest
 * compares them. A price in another currency stays: it prices the lines billed in that currency.
 */
static int prune(struct pb_price_load *l, const char *id, uint64_t *pruned, struct pb_buf *err)
{
	const char *p[2] = {id, l->vendor};

	/*
	 * The regions' keys are worked out once per region text and joined by hash: looked up per row, the pairs
	 * were read again for each older price (3 minutes for 20,000 prices with 5,000 pairs).
	 */
	return exec_count(l->conn,
			  "WITH a AS MATERIALIZED (SELECT alias, region FROM pb.region_alias WHERE vendor = $2), "
			  "c AS MATERIALIZED (SELECT o.ctid AS tid, o.region AS o_region, n.region AS n_region FROM "
			  "pb.price o JOIN pb.price n ON n.load_id = $1::bigint AND o.vendor = $2 AND o.load_id < "
			  "$1::bigint AND o.meter = n.meter AND o.unit = n.unit AND o.currency = n.currency "
			  "AND o.effective_start >= n.effective_start AND (n.effective_end IS NULL OR "
			  "(o.effective_end IS NOT NULL AND o.effective_end <= n.effective_end))), "
			  "k AS MATERIALIZED (SELECT r.region, coalesce(a.region, pb.region_fold(r.region)) AS rkey "
			  "FROM (SELECT o_region AS region FROM c UNION SELECT n_region FROM c) r LEFT JOIN a ON "
			  "a.alias = pb.region_fold(r.region)) "
			  "DELETE FROM pb.price d USING c JOIN k ko ON ko.region = c.o_region JOIN k kn ON kn.region = "
			  "c.n_region WHERE d.ctid = c.tid AND (c.o_region = c.n_region OR ko.rkey = kn.rkey)",
			  2, p, pruned, err);
}

static int record_files(struct pb_price_load *l, const char *id, struct pb_buf *err)
{
	char seq[24], bytes[24], items[24];
	size_t i;

	for (i = 0; i < l->nfiles; i++) {
		const struct load_file *f = &l->files[i];
		const char *p[7] = {id, seq, f->uri, bytes, f->sha256, f->etag[0] ? f->etag : NULL, items};

		snprintf(seq, sizeof(seq), "%zu", i + 1);
		snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)f->bytes);
		snprintf(items, sizeof(items), "%llu", (unsigned long long)f->items);
		if (pb_db_exec(l->conn,
			       "INSERT INTO pb.price_load_file (load_id, seq, uri, bytes, sha256, etag, item_count) "
			       "VALUES ($1::bigint, $2::integer, $3, $4::bigint, $5, $6, $7::bigint)",
			       7, p, err) < 0)
			return db_error(err);
	}
	return 0;
}

/* The previous current load superseded, this one committed with its counts. */
static int make_current(struct pb_price_load *l, const char *id, const char *sha, struct pb_price_load_result *res,
			struct pb_buf *err)
{
	char files[24], items[24], kept[24], skipped[24];
	const char *p[4] = {l->vendor, l->format, l->source, id};
	const char *q[6] = {id, files, items, kept, skipped, sha};
	PGresult *r;

	r = pb_db_query(
		l->conn,
		"UPDATE pb.price_load SET status = 'superseded' WHERE vendor = $1 AND format = $2 AND source = $3 "
		"AND status = 'committed' AND id <> $4::bigint RETURNING id",
		4, p, err);
	if (!r)
		return db_error(err);
	res->superseded = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	snprintf(files, sizeof(files), "%zu", l->nfiles);
	snprintf(items, sizeof(items), "%llu", (unsigned long long)l->items);
	snprintf(kept, sizeof(kept), "%llu", (unsigned long long)res->stored);
	snprintf(skipped, sizeof(skipped), "%llu", (unsigned long long)l->skipped);
	if (pb_db_exec(
		    l->conn,
		    "UPDATE pb.price_load SET status = 'committed', finished_at = clock_timestamp(), file_count = "
		    "$2::integer, "
		    "item_count = $3::bigint, row_count = $4::bigint, skipped_count = $5::bigint, content_sha256 = $6 "
		    "WHERE id = $1::bigint",
		    6, q, err) < 0)
		return db_error(err);
	return 0;
}

int pb_price_load_commit(struct pb_price_load *l, struct pb_price_load_result *res, struct pb_buf *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	char sha[65], id[24];
	long long load_id;
	uint64_t regions = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = end_copy(l, 1, err);
	if (rc < 0)
		return rc;
	if (EVP_DigestFinal_ex(l->sha, md, &n) != 1 || n != 32) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "cannot compute the SHA-256 of the prices");
		return PB_ERR_DEPENDENCY;
	}
	for (i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", md[i]);
	res->items = l->items;
	res->skipped = l->skipped;
	res->kept = l->items - l->skipped;
	res->files = l->nfiles;
	rc = record_regions(l, &regions, err);
	if (rc == 0)
		rc = unit_conflict(l, err);
	if (rc == 0)
		rc = region_conflict(l, err);
	if (rc < 0)
		return rc;
	/* Pairs of region names no load gave before: committed, they change how lines are priced. */
	if (!regions)
		rc = unchanged(l, sha, &res->unchanged, &res->stored, err);
	if (rc < 0 || res->unchanged) {
		PQclear(PQexec(l->conn, "ROLLBACK"));
		l->in_tx = 0;
		return rc;
	}
	rc = insert_load(l, &load_id, err);
	if (rc < 0)
		return rc;
	res->id = load_id;
	snprintf(id, sizeof(id), "%lld", load_id);
	rc = store_prices(l, id, res, err);
	if (rc == 0 && res->stored == 0) {
		/* Committed, it would supersede the source's current load with nothing: pb-ingest would lose its
		 * prices. */
		pb_buf_reset(err);
		if (!res->conflicts) {
			pb_buf_addf(err,
				    "no usable price from %s: all %llu prices read are in tiers that leave a gap or "
				    "overlap, or whose last one ends (the first: %s): nothing stored",
				    l->source, (unsigned long long)res->kept, res->gap);
			return PB_ERR_DATA;
		}
		pb_buf_addf(err,
			    "no usable price from %s: all %llu prices read are conflicting duplicates (%llu key%s of "
			    "meter, region, unit, currency, tier and start priced two ways, the first: %s",
			    l->source, (unsigned long long)res->kept, (unsigned long long)res->conflicts,
			    res->conflicts == 1 ? "" : "s", res->conflict);
		if (res->torn)
			pb_buf_addf(err, ", and %llu other tier%s of their meters from the same day",
				    (unsigned long long)res->torn, res->torn == 1 ? "" : "s");
		pb_buf_addstr(err, "): nothing stored");
		return PB_ERR_DATA;
	}
	if (rc == 0)
		rc = count_many_tiers(l, id, res, err);
	if (rc == 0)
		rc = prune(l, id, &res->pruned, err);
	if (rc == 0)
		rc = record_files(l, id, err);
	if (rc == 0)
		rc = make_current(l, id, sha, res, err);
	if (rc == 0)
		pb_test_pause("prices-commit");
	/* A signal asking to stop, up to the last moment: nothing is committed. */
	if (rc == 0 && pb_interrupt_check(err) < 0)
		rc = PB_ERR_DEPENDENCY;
	if (rc == 0 && pb_db_exec(l->conn, "COMMIT", 0, NULL, err) < 0)
		rc = db_error(err);
	if (rc == 0)
		l->in_tx = 0;
	return rc;
}

void pb_price_load_fail(struct pb_price_load *l, const char *why)
{
	struct pb_buf ignore = PB_BUF_INIT;
	char host[256] = "", who[320];
	const char *p[5] = {l ? l->vendor : "", l ? l->format : "", l ? l->source : "", who, why};

	if (!l || !l->conn || PQstatus(l->conn) != CONNECTION_OK)
		return;
	end_copy(l, 0, &ignore);
	if (l->in_tx)
		PQclear(PQexec(l->conn, "ROLLBACK"));
	l->in_tx = 0;
	if (l->locked) {
		pb_who_host(host, sizeof(host));
		snprintf(who, sizeof(who), "pb-prices pid %ld on %s", (long)getpid(), host);
		pb_db_exec(l->conn,
			   "INSERT INTO pb.price_load (vendor, format, source, status, run_by, finished_at, error) "
			   "VALUES ($1, $2, $3, 'failed', $4, now(), $5)",
			   5, p, &ignore);
	}
	pb_buf_release(&ignore);
}

void pb_price_load_free(struct pb_price_load *l)
{
	size_t i;

	if (!l)
		return;
	if (l->in_copy || l->in_tx)
		pb_price_load_fail(l, "the load stopped");
	if (l->locked) {
		const char *p[1] = {pb_buf_str(&l->lock)};

		PQclear(PQexecParams(l->conn, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", 1, NULL, p, NULL,
				     NULL, 0));
	}
	for (i = 0; i < l->nfiles; i++) {
		free(l->files[i].uri);
		free(l->files[i].etag);
	}
	free(l->files);
	free(l->source);
	EVP_MD_CTX_free(l->sha);
	pb_buf_release(&l->lock);
	pb_buf_release(&l->copy);
	free(l);
}
