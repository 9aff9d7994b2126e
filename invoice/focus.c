/* FOCUS 1.2 rows, streamed from the run's detail through a cursor into a file made visible whole. */
#include "focus.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "conf.h"
#include "date.h"
#include "db.h"
#include "eligconf.h"
#include "exitcode.h"
#include "export.h"
#include "issue.h"
#include "money.h"
#include "output.h"
#include "rates.h"
#include "sha256.h"
#include "testhook.h"
#include "text.h"

#include "banned.h"

#define CATEGORIES_ENV "PB_SERVICE_CATEGORIES"
#define PROVIDER "CenturyLink Cloud"
#define FETCH_ROWS "10000"

static const char *const service_categories[] = {
	"AI and Machine Learning",
	"Analytics",
	"Business Applications",
	"Compute",
	"Databases",
	"Developer Tools",
	"Multicloud",
	"Identity",
	"Integration",
	"Internet of Things",
	"Management and Governance",
	"Media",
	"Migration",
	"Mobile",
	"Networking",
	"Security",
	"Storage",
	"Web",
	"Other",
};

static const char *const charge_categories[] = {"Usage", "Purchase", "Tax", "Credit", "Adjustment"};

static const char *const publishers[PB_NVENDORS] = {"Amazon Web Services", "Microsoft"};

/* SubAccountType: the provider's sub accounts are of two kinds, one per publisher. */
static const char *const sub_account_types[PB_NVENDORS] = {"AWS Account", "Azure Subscription"};

struct pb_inv_category_rule {
	char vendor[8], pattern[128];
	const char *category;
};

void pb_inv_categories_release(struct pb_inv_categories *c)
{
	free(c->r);
	free(c->shown);
	memset(c, 0, sizeof(*c));
}

static const char *allowed(const char *const *list, size_t n, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], p, len) == 0)
			return list[i];
	return NULL;
}

static int rule_error(struct pb_buf *err, const char *file, unsigned line, unsigned col, const char *what)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "%s:%u:%u: %s", file, line, col, what);
	return PB_ERR_DATA;
}

/* One line of the mapping into c (blank and comment lines add nothing). */
static int category_line(struct pb_inv_categories *c, const char *file, unsigned line, const char *s, size_t n,
			 struct pb_buf *err)
{
	struct pb_conf_field f[4];
	struct pb_inv_category_rule *r;
	unsigned bad = 1;
	int k = pb_conf_split(s, n, f, 4, &bad);

	if (k == 0)
		return 0;
	if (k != 3)
		return rule_error(err, file, line, k < 0 ? bad : 1, "a rule is VENDOR SERVICE_PATTERN CATEGORY");
	r = realloc(c->r, (c->n + 1) * sizeof(*r));
	if (!r)
		return rule_error(err, file, line, 1, "out of memory");
	c->r = r;
	r = &c->r[c->n];
	if (f[0].n >= sizeof(r->vendor) || f[1].n >= sizeof(r->pattern))
		return rule_error(err, file, line, f[0].n >= sizeof(r->vendor) ? f[0].col : f[1].col, "too long");
	memcpy(r->vendor, f[0].p, f[0].n);
	r->vendor[f[0].n] = '\0';
	memcpy(r->pattern, f[1].p, f[1].n);
	r->pattern[f[1].n] = '\0';
	r->category =
		allowed(service_categories, sizeof(service_categories) / sizeof(service_categories[0]), f[2].p, f[2].n);
	if (!r->category)
		return rule_error(err, file, line, f[2].col, "not a FOCUS 1.2 ServiceCategory");
	c->n++;
	return 0;
}

/*
 * A copy of name (a file's, an address) that the database takes: a byte that is not UTF-8 (or a NUL) shown as
 * '?'. NULL when out of memory; free it.
 */
static char *storable(const char *name)
{
	char *copy = strdup(name);
	size_t at = 0, bad;

	while (copy && pb_text_check(copy + at, strlen(copy + at), &bad, NULL) < 0) {
		copy[at + bad] = '?';
		at += bad + 1;
	}
	return copy;
}

int pb_inv_categories_load(struct pb_inv_categories *c, struct pb_buf *err)
{
	struct pb_buf text = PB_BUF_INIT, path = PB_BUF_INIT, shown = PB_BUF_INIT;
	const char *file, *s, *end;
	unsigned line = 0;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (pb_conf_find(NULL, CATEGORIES_ENV, "service-categories.conf",
			 "no service categories: set " CATEGORIES_ENV " to a FILE", &path, err) < 0)
		rc = PB_ERR_USAGE;
	else
		rc = pb_conf_read(pb_buf_str(&path), (size_t)1 << 20, &text, &shown, err);
	if (rc < 0) {
		pb_buf_release(&text);
		pb_buf_release(&path);
		pb_buf_release(&shown);
		return rc;
	}
	file = pb_buf_str(&shown);
	s = text.ptr ? text.ptr : "";
	end = s + text.len;
	c->shown = storable(file);
	if (!c->shown || pb_sha256_hex(s, text.len, c->sha256) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		rc = PB_ERR_DATA;
	}
	while (s < end && rc == 0) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);

		rc = category_line(c, file, ++line, s, n, err);
		s += n + 1;
	}
	/* Without a rule every service would be 'Other', silently. */
	if (rc == 0 && !c->n) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: no service category", file);
		rc = PB_ERR_DATA;
	}
	pb_buf_release(&text);
	pb_buf_release(&path);
	pb_buf_release(&shown);
	if (rc < 0)
		pb_inv_categories_release(c);
	return rc;
}

static const char *category_of(const struct pb_inv_categories *c, const char *vendor, const char *service)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if ((strcmp(c->r[i].vendor, "*") == 0 || strcmp(c->r[i].vendor, vendor) == 0) &&
		    fnmatch(c->r[i].pattern, service, FNM_CASEFOLD) == 0)
			return c->r[i].category;
	return "Other";
}

/*
 * The categories of the services met last, by a hash of vendor and service: each row would otherwise match its
 * service against every rule (fnmatch) when a month has a few hundred services across its hundreds of thousands
 * of rows.
 */
#define CATEGORY_SLOTS 512

struct category_cache {
	struct {
		int vendor;
		char *service; /* NULL: an empty slot */
		const char *category;
	} slot[CATEGORY_SLOTS];
};

static void category_cache_release(struct category_cache *cc)
{
	size_t i;

	for (i = 0; i < CATEGORY_SLOTS; i++)
		free(cc->slot[i].service);
	memset(cc, 0, sizeof(*cc));
}

static const char *category_cached(struct category_cache *cc, const struct pb_inv_categories *c, int v,
				   const char *vendor, const char *service, size_t len)
{
	uint32_t h = 2166136261u ^ (uint32_t)v;
	size_t i;
	char *copy;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)service[i]) * 16777619u;
	i = h % CATEGORY_SLOTS;
	if (cc->slot[i].service && cc->slot[i].vendor == v && strcmp(cc->slot[i].service, service) == 0)
		return cc->slot[i].category;
	/* Out of memory, the category is still right: only not kept. */
	copy = strdup(service);
	if (!copy)
		return category_of(c, vendor, service);
	free(cc->slot[i].service);
	cc->slot[i].vendor = v;
	cc->slot[i].service = copy;
	cc->slot[i].category = category_of(c, vendor, service);
	return cc->slot[i].category;
}

static const char header[] =
	"BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,"
	"BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargePeriodEnd,"
	"ChargePeriodStart,ContractedCost,EffectiveCost,InvoiceIssuerName,ListCost,"
	"PricingQuantity,PricingUnit,ProviderName,PublisherName,RegionId,RegionName,ServiceCategory,"
	"ServiceName,SubAccountId,SubAccountName,SubAccountType,Tags\r\n";

/* A text field from the data (a name, a partner's service): a formula to a spreadsheet is neutralized. */
static void add_text(struct pb_buf *b, const char *s, size_t len)
{
	pb_buf_add_csv_text(b, s, len);
	pb_buf_addch(b, ',');
}

/* A field of the row's own (a constant, a figure formatted here), then its comma. */
static void add_field(struct pb_buf *b, const char *s, size_t len)
{
	pb_buf_add(b, s, len);
	pb_buf_addch(b, ',');
}

/*
 * What an account's rows have come to so far: per vendor and source currency, in that currency and converted;
 * per vendor, converted and with the markup. A row's ListCost is what the sum converts to with it less without
 * it, and its BilledCost likewise with the markup, so that the rows add up, to the last of 18 places, to the
 * month to date (each currency's total converted once) and to the invoice's exact figure (the markup on it
 * rounded once), as each row converted and marked up alone would not.
 */
struct so_far {
	char alias[16];
	struct {
		int vendor;
		char currency[4];
		pb_money source, converted;
	} c[32];
	int n;
	pb_money list[PB_NVENDORS], billed[PB_NVENDORS];
	/* The account's markup, read once: its percent, none (no markup) or not a number (bad). */
	struct pb_decimal percent;
	int none, bad;
};

/* The markup of an account whose rows start: so_far's percent, none and bad. */
static void read_markup(struct so_far *f, const char *pct)
{
	if (pb_decimal_parse(pct, strlen(pct), &f->percent, NULL) < 0) {
		f->bad = 1;
		return;
	}
	f->none = f->percent.mant == 0;
}

/*
 * The customer's markup as pb-aggregate makes it: billed = list + list x percent / 100, the markup exact and
 * rounded half-to-even to 18 places once (none: the list itself). Rounding list x (100 + percent) / 100 instead
 * is not the same at a tie: the list's last digit would decide its direction, not the markup's.
 */
static int with_markup(const struct so_far *f, pb_money list, pb_money *billed)
{
	struct pb_decimal d[2];
	pb_money markup;

	if (f->bad)
		return -1;
	if (f->none) {
		*billed = list;
		return 0;
	}
	d[0] = pb_decimal_from_money(list);
	d[1] = f->percent;
	if (pb_decimal_product(d, 2, 100, &markup, NULL) < 0)
		return -1;
	return pb_money_add(list, markup, billed);
}

/* This row's ListCost and BilledCost from its source amount, and the running sums moved on (see struct so_far). */
static int row_costs(struct so_far *f, const char *alias, int v, const char *from, const char *to, const char *pct,
		     pb_money amount, const struct pb_rates *rates, pb_money *list, pb_money *billed,
		     struct pb_buf *err)
{
	pb_money sum, conv, total, marked;
	int k;

	if (strcmp(f->alias, alias) != 0) {
		memset(f, 0, sizeof(*f));
		snprintf(f->alias, sizeof(f->alias), "%s", alias);
		read_markup(f, pct);
	}
	for (k = 0; k < f->n && (f->c[k].vendor != v || strcmp(f->c[k].currency, from) != 0); k++)
		;
	if (k == f->n) {
		if (f->n == (int)(sizeof(f->c) / sizeof(f->c[0])))
			return -1;
		f->c[k].vendor = v;
		snprintf(f->c[k].currency, sizeof(f->c[k].currency), "%s", from);
		f->n++;
	}
	if (pb_money_add(f->c[k].source, amount, &sum) < 0 || pb_rates_convert(rates, from, to, sum, &conv, err) < 0 ||
	    pb_money_sub(conv, f->c[k].converted, list) < 0 || pb_money_add(f->list[v], *list, &total) < 0 ||
	    with_markup(f, total, &marked) < 0 || pb_money_sub(marked, f->billed[v], billed) < 0)
		return -1;
	f->c[k].source = sum;
	f->c[k].converted = conv;
	f->list[v] = total;
	f->billed[v] = marked;
	return 0;
}

/* What the rows are written with: the month's fields, the running sums, the categories met, a scratch buffer. */
struct writer {
	const struct pb_inv_categories *cats;
	const struct pb_rates *rates;
	char period[2 * 21 + 1];		 /* BillingPeriodEnd,BillingPeriodStart, */
	char day[11], charge_period[2 * 21 + 1]; /* the last row's day, its ChargePeriodEnd,ChargePeriodStart, */
	struct so_far so_far;
	struct category_cache categories;
	struct pb_buf desc;
};

/* One FOCUS row. */
static int focus_row(struct writer *w, PGresult *res, int i, struct pb_buf *b, struct pb_buf *err)
{
	const char *alias = PQgetvalue(res, i, 0), *vendor = PQgetvalue(res, i, 4), *day = PQgetvalue(res, i, 6);
	const char *service = PQgetvalue(res, i, 7), *region = PQgetvalue(res, i, 8), *cat = PQgetvalue(res, i, 9);
	const char *focus_cat = allowed(charge_categories, 5, cat, (size_t)PQgetlength(res, i, 9));
	const char *name, *category;
	size_t region_len = (size_t)PQgetlength(res, i, 8), name_len;
	int v = pb_vendor_index(vendor), quantity, n;
	pb_money amount, list, billed;
	char money[PB_MONEY_STRMAX];
	int32_t d;

	if (pb_money_parse(PQgetvalue(res, i, 11), (size_t)PQgetlength(res, i, 11), &amount, NULL) < 0 || v < 0 ||
	    row_costs(&w->so_far, alias, v, PQgetvalue(res, i, 10), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
		      amount, w->rates, &list, &billed, err) < 0 ||
	    (strcmp(w->day, day) != 0 && pb_date_parse_iso(day, 10, &d) < 0)) {
		if (!err->len)
			pb_buf_addf(err, "account %s: a row of %s cannot be converted", alias, day);
		return PB_ERR_DATA;
	}
	if (strcmp(w->day, day) != 0) {
		char next[11];

		pb_date_format(d + 1, next);
		snprintf(w->day, sizeof(w->day), "%s", day);
		snprintf(w->charge_period, sizeof(w->charge_period), "%sT00:00:00Z,%sT00:00:00Z,", next, day);
	}
	/* A charge the export names no service of (a credit, a fee) is the publisher's: ServiceName is never null. */
	name = *service ? service : publishers[v];
	name_len = strlen(name);
	/* A charge category FOCUS does not know (an export's new type) is an adjustment to FOCUS. */
	focus_cat = focus_cat ? focus_cat : "Adjustment";
	quantity = strcmp(focus_cat, "Usage") == 0 || strcmp(focus_cat, "Purchase") == 0;
	/* A credit relates to no other charge and has no unit price: FOCUS has its ListCost be its BilledCost. */
	if (strcmp(focus_cat, "Credit") == 0)
		list = billed;
	n = pb_money_format_canonical(billed, money);
	add_field(b, money, (size_t)n);
	add_text(b, alias, (size_t)PQgetlength(res, i, 0));
	add_text(b, PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1));
	/* BillingCurrency, BillingPeriodEnd, BillingPeriodStart, ChargeCategory, ChargeClass (null: no correction). */
	add_field(b, PQgetvalue(res, i, 2), (size_t)PQgetlength(res, i, 2));
	pb_buf_addstr(b, w->period);
	pb_buf_addstr(b, focus_cat);
	pb_buf_add(b, ",,", 2);
	pb_buf_reset(&w->desc);
	pb_buf_add(&w->desc, name, name_len);
	pb_buf_addch(&w->desc, ' ');
	pb_buf_add(&w->desc, cat, (size_t)PQgetlength(res, i, 9));
	pb_buf_add(&w->desc, ", ", 2);
	if (region_len)
		pb_buf_add(&w->desc, region, region_len);
	else
		pb_buf_addstr(&w->desc, "no region");
	if (w->desc.failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return PB_ERR_DATA;
	}
	add_text(b, w->desc.ptr, w->desc.len);
	pb_buf_addstr(b, w->charge_period);
	add_field(b, money, (size_t)n);
	add_field(b, money, (size_t)n);
	add_field(b, PROVIDER, strlen(PROVIDER));
	n = pb_money_format_canonical(list, money);
	add_field(b, money, (size_t)n);
	pb_buf_addstr(b, quantity ? "1,Service-Day," : ",,");
	add_field(b, PROVIDER, strlen(PROVIDER));
	add_field(b, publishers[v], strlen(publishers[v]));
	/* RegionName: the exports give the region's code alone, which is its name too (null with RegionId). */
	add_text(b, region, region_len);
	add_text(b, region, region_len);
	category = category_cached(&w->categories, w->cats, v, vendor, service, (size_t)PQgetlength(res, i, 7));
	add_text(b, category, strlen(category));
	add_text(b, name, name_len);
	add_text(b, PQgetvalue(res, i, 5), (size_t)PQgetlength(res, i, 5));
	add_text(b, PQgetvalue(res, i, 12), (size_t)PQgetlength(res, i, 12));
	add_text(b, sub_account_types[v], strlen(sub_account_types[v]));
	pb_buf_addstr(b, "\"{\"\"clc-account\"\":\"\"");
	pb_buf_add(b, alias, (size_t)PQgetlength(res, i, 0));
	pb_buf_addstr(b, "\"\"}\"\r\n");
	return 0;
}

/* Streams the run's detail through a cursor into f, each byte into sha too. */
static int write_rows(PGconn *conn, const char *run_id, int32_t month, const struct pb_inv_categories *cats, FILE *f,
		      struct pb_sha256 *sha, const char *path, struct pb_buf *err)
{
	struct pb_rates rates;
	struct writer w;
	struct pb_buf b = PB_BUF_INIT;
	const char *p[1] = {run_id};
	char start[11], end[11];
	int y, m, d, i, n, rc;

	pb_date_format(month, start);
	pb_date_to_ymd(month, &y, &m, &d);
	pb_date_format(m == 12 ? pb_date_from_ymd(y + 1, 1, 1) : pb_date_from_ymd(y, m + 1, 1), end);
	rc = pb_rates_read(conn, month, &rates, err);
	if (rc < 0)
		return rc;
	memset(&w, 0, sizeof(w));
	w.cats = cats;
	w.rates = &rates;
	snprintf(w.period, sizeof(w.period), "%sT00:00:00Z,%sT00:00:00Z,", end, start);
	pb_buf_init(&w.desc, 0);
	/*
	 * Every row is read, in the one order (cursor_tuple_fraction), and each joins a few rows of its account's:
	 * the invoice's lines are often fresh (issued a moment ago, not yet analyzed) and a run's names are
	 * estimated at a few hundred, so that the plan made of them compared each detail row with every line in a
	 * nested loop (96 million comparisons, 6 s of 7, at 2,000 accounts); hash joins do not depend on the
	 * estimates. JIT compiling (a second past its thresholds) would cost more than this one pass saves.
	 */
	if (pb_db_exec(conn,
		       "SELECT set_config('cursor_tuple_fraction', '1', true), set_config('enable_nestloop', 'off', "
		       "true), set_config('jit', 'off', true)",
		       0, NULL, err) < 0 ||
	    pb_db_exec(
		    conn,
		    /*
		     * SubAccountName: the name the run's imports give the partner account most often (CUR
		     * line_item_usage_account_name, Azure SubscriptionName), so that an issued month keeps it; its id
		     * where they give none, FOCUS wanting a name wherever there is a SubAccountId. BillingAccountName:
		     * the name the account's line of an issued month was invoiced under (an account renamed since does
		     * not change the month's charges); the current one where the month has no line of it. The rows
		     * are sorted by their own columns (ORDER BY 1, 6...), so that the sort does not carry a second
		     * copy of each text it sorts on.
		     */
		    "DECLARE focus_rows NO SCROLL CURSOR FOR WITH names AS (SELECT DISTINCT ON (vendor, "
		    "partner_account_id) vendor, partner_account_id, name FROM (SELECT n.vendor, n.partner_account_id, "
		    "n.name, sum(n.line_count) AS lines FROM pb.partner_account_name n WHERE n.import_id IN (SELECT "
		    "unnest(r.imports) FROM pb.aggregate_run r WHERE r.id = $1::bigint) AND n.kind IN ('account_name', "
		    "'subscription_name') AND n.name <> '' GROUP BY 1, 2, 3) x ORDER BY vendor, partner_account_id, "
		    "lines DESC, name COLLATE \"C\"), "
		    "invoiced AS (SELECT DISTINCT ON (l.alias) l.alias, l.account_name FROM pb.invoice i "
		    "JOIN pb.invoice_line l ON l.invoice_id = i.id WHERE i.run_id = $1::bigint AND l.corrects_month "
		    "IS NULL ORDER BY l.alias, l.line) "
		    "SELECT d.alias COLLATE \"C\", coalesce(v.account_name, c.name), a.currency, "
		    "a.markup_percent::text, d.vendor, d.partner_account_id COLLATE \"C\", d.usage_date::text, "
		    "d.service COLLATE \"C\", d.region COLLATE \"C\", d.charge_category COLLATE \"C\", d.currency, "
		    "d.amount::text, coalesce(s.name, d.partner_account_id) "
		    "FROM pb.aggregate_detail d "
		    "JOIN pb.aggregate_account a ON a.run_id = d.run_id AND a.alias = d.alias AND a.vendor = 'all' "
		    "JOIN pb.clc_account c ON c.alias = d.alias LEFT JOIN invoiced v ON v.alias = d.alias "
		    "LEFT JOIN names s ON s.vendor = d.vendor "
		    "AND s.partner_account_id = d.partner_account_id WHERE d.run_id = $1::bigint "
		    "ORDER BY 1, 6, d.usage_date, 8, 9, 10, 11",
		    1, p, err) < 0)
		rc = PB_ERR_DEPENDENCY;
	fputs(header, f);
	pb_sha256_update(sha, header, strlen(header));
	do {
		PGresult *res =
			rc == 0 ? pb_db_query(conn, "FETCH " FETCH_ROWS " FROM focus_rows", 0, NULL, err) : NULL;

		if (!res) {
			rc = rc ? rc : PB_ERR_DEPENDENCY;
			break;
		}
		n = PQntuples(res);
		for (i = 0; i < n && rc == 0; i++)
			rc = focus_row(&w, res, i, &b, err);
		PQclear(res);
		if (rc == 0 && b.failed) {
			pb_buf_reset(err);
			pb_buf_addstr(err, "out of memory");
			rc = PB_ERR_DATA;
		}
		if (b.len && fwrite(b.ptr, 1, b.len, f) != b.len) {
			pb_buf_reset(err);
			pb_buf_addf(err, "cannot write '%s': %s", path, strerror(errno));
			rc = PB_ERR_DEPENDENCY;
		}
		pb_sha256_update(sha, b.ptr, b.len);
		pb_buf_reset(&b);
	} while (n > 0 && rc == 0);
	pb_buf_release(&b);
	pb_buf_release(&w.desc);
	category_cache_release(&w.categories);
	pb_rates_release(&rates);
	return rc;
}

/*
 * An issued month's dataset is the one first written after the issue (invoice_id its invoice): the first keeps
 * its SHA-256 (sha) and that of the service categories; one made since that is not those bytes is refused
 * (PB_ERR_REFUSED, saying what it was made with), never written over it. 0 when path may be written.
 */
static int keep_issued(PGconn *conn, const char *invoice_id, const char *number, const char *month,
		       const struct pb_inv_categories *cats, const char *sha, const char *by, const char *path,
		       struct pb_buf *err)
{
	const char *p[5] = {invoice_id, sha, cats->shown, cats->sha256, by};
	PGresult *res;
	int ret = 0;

	/* At once with another: the first to commit is kept, and this one is compared with it. */
	if (pb_db_exec(conn,
		       "INSERT INTO pb.invoice_focus (invoice_id, sha256, categories, categories_sha256, written_by) "
		       "VALUES ($1::bigint, $2, $3, $4, $5) ON CONFLICT (invoice_id) DO NOTHING",
		       5, p, err) < 0)
		return PB_ERR_DEPENDENCY;
	res = pb_db_query(conn,
			  "SELECT sha256, categories, categories_sha256, written_by, to_char(written_at AT TIME ZONE "
			  "'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM pb.invoice_focus WHERE invoice_id = $1::bigint",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), sha) != 0) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "%.7s is issued (%s): its FOCUS dataset is the one first written, by %s at %s UTC, and the "
			    "one made now is not those bytes",
			    month, number, PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4));
		if (strcmp(PQgetvalue(res, 0, 2), cats->sha256) != 0)
			pb_buf_addf(err,
				    " (it was made with the service categories of '%s' as they were then, not '%s')",
				    PQgetvalue(res, 0, 1), cats->shown);
		else
			pb_buf_addstr(err, " (an account without a line was renamed since)");
		pb_buf_addf(err, ": '%s' not written", path);
		ret = PB_ERR_REFUSED;
	}
	PQclear(res);
	return ret;
}

int pb_inv_focus(PGconn *conn, int32_t month, const struct pb_inv_categories *cats, const char *path, const char *by,
		 struct pb_buf *err)
{
	struct pb_sha256 sha = PB_SHA256_INIT;
	struct pb_atomic out;
	char m[11], run_id[24] = "", invoice_id[24] = "", number[24] = "", hex[65];
	const char *p[1] = {m};
	PGresult *res;
	int rc = pb_inv_output_claim(conn, path, err);

	if (rc < 0)
		return rc;
	pb_date_format(month, m);
	/*
	 * One snapshot for the run, its rates and its rows: a rate loaded meanwhile would convert the run's rows
	 * with figures that are not the run's.
	 */
	if (pb_db_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	/* An issued month is the run its invoice billed, whatever was aggregated since (adjustments come later). */
	res = pb_db_query(conn,
			  "SELECT r.id, r.detail, i.id, i.number FROM pb.aggregate_run r LEFT JOIN pb.invoice i ON "
			  "i.billing_month = $1::date WHERE r.id = coalesce(i.run_id, (SELECT id FROM "
			  "pb.aggregate_run WHERE billing_month = $1::date AND status = 'current'))",
			  1, p, err);
	if (!res)
		rc = PB_ERR_DEPENDENCY;
	if (res && PQntuples(res) == 1 && PQgetvalue(res, 0, 1)[0] == 't') {
		snprintf(run_id, sizeof(run_id), "%s", PQgetvalue(res, 0, 0));
		snprintf(invoice_id, sizeof(invoice_id), "%s", PQgetvalue(res, 0, 2));
		snprintf(number, sizeof(number), "%s", PQgetvalue(res, 0, 3));
	}
	PQclear(res);
	if (rc == 0 && !*run_id) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%.7s has no aggregate run with its detail: run pb-aggregate --month %.7s --detail", m,
			    m);
		rc = PB_ERR_DATA;
	}
	/* Converted with the rates the run was made with, as its invoice lines are: never with some loaded since. */
	if (rc == 0)
		rc = pb_inv_check_rates(conn, run_id, m, err);
	/* Before the issue, the current run's: one that an import came after is not what --issue would bill. */
	if (rc == 0 && !*invoice_id)
		rc = pb_inv_warn_out_of_date(conn, run_id, m, err);
	if (rc == 0)
		rc = pb_inv_open_output(&out, path, err);
	if (rc < 0) {
		PQclear(PQexec(conn, "ROLLBACK"));
		return rc;
	}
	rc = write_rows(conn, run_id, month, cats, out.f, &sha, path, err);
	PQclear(PQexec(conn, "ROLLBACK"));
	pb_test_pause("focus-written");
	if (rc == 0 && pb_sha256_final(&sha, hex) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		rc = PB_ERR_DATA;
	}
	if (rc == 0 && pb_atomic_stage(&out, err) < 0)
		rc = PB_ERR_DEPENDENCY;
	else if (rc == 0 && *invoice_id)
		rc = keep_issued(conn, invoice_id, number, m, cats, hex, by, path, err);
	if (rc < 0)
		pb_atomic_abort(&out);
	else if (pb_atomic_publish(&out, err) < 0)
		rc = PB_ERR_DEPENDENCY;
	pb_sha256_release(&sha);
	return rc;
}
