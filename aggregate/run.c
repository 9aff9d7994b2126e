/*
 * An aggregate run. One grouped query reads the month's daily rows once, each attributed through the link
 * valid on its usage date and placed (attributed, unmapped, ineligible, excluded), sorted by account; the
 * rows stream through a cursor so memory holds one account at a time, and what the run writes is spilled
 * to files and copied in at the end, all in one transaction.
 */
#include "run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "atomicfile.h"
#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "pool.h"
#include "rates.h"
#include "testhook.h"

#include "banned.h"

#define FETCH_ROWS "10000"
#define MAX_CURRENCIES 64

/* The reconciliation's places, in the order of pb.aggregate_recon.place's values. */
enum { P_TOTAL, P_ATTRIBUTED, P_UNMAPPED, P_INELIGIBLE, P_EXCLUDED, NPLACES };
static const char *const place_names[NPLACES] = {"total", "attributed", "unmapped", "ineligible", "excluded"};

struct recon {
	char currency[4];
	pb_money list[NPLACES], billed[NPLACES];
	uint64_t lines[NPLACES];
};

/* Everything one run holds. */
struct run {
	PGconn *conn;
	const struct pb_agg_options *o;
	struct pb_agg_result *res;
	struct pb_agg_context ctx;
	struct pb_rates rates;
	char month[11], as_of[11];
	struct pb_buf imports; /* "{1,2}" */
	struct pb_buf sources; /* COPY text of pb.aggregate_source */
	struct pb_buf with;    /* the queries' common table expressions: prices and eligibility */
	FILE *buckets;
	struct recon recon[MAX_CURRENCIES];
	size_t nrecon;
	int32_t last_day;	     /* the latest day any import holds */
	struct pb_agg_pool *pool;    /* where the accounts are finished */
	struct pb_agg_account *acct; /* the account being read, the pool's */
	int in_account;
	PGresult *hist;	    /* the current batch of history rows */
	PGresult *accounts; /* alias, invoice currency, markup of every account */
	int hist_row, hist_done;
};

static int db_fail(struct pb_buf *err)
{
	(void)err;
	return PB_ERR_DEPENDENCY;
}

/* The month's aggregate lock, for this session: a second run of the month is refused, naming the first. */
static int take_lock(struct run *r, struct pb_buf *err)
{
	const char *p[1] = {r->month};
	PGresult *res = pb_db_query(r->conn, "SELECT pg_try_advisory_lock(hashtextextended('pb-aggregate|' || $1, 0))",
				    1, p, err);
	int ret = 0;

	if (!res)
		return db_fail(err);
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		res = pb_db_query(
			r->conn,
			"SELECT a.pid, a.application_name, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') "
			"FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.granted "
			"AND " PB_DB_ADVISORY_LOCK_IS("l", "hashtextextended('pb-aggregate|' || $1, 0)") " LIMIT 1",
			1, p, err);
		pb_buf_reset(err);
		/*
		 * pb-invoice holds the lock while it issues the month's invoice, or a later month's that may adjust it:
		 * no aggregation is running then, and the message must not send the operator looking for one.
		 */
		if (res && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 1), "pb-invoice") == 0)
			pb_buf_addf(err,
				    "%.7s is not aggregated while an invoice that bills or adjusts it is being issued: "
				    "pb-invoice, server process %s, since %s (aggregate it again when that is done)",
				    r->month, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2));
		else if (res && PQntuples(res) == 1)
			pb_buf_addf(err, "the aggregation of %.7s is running already: %s, server process %s, since %s",
				    r->month, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2));
		else
			pb_buf_addf(err, "the aggregation of %.7s is running already", r->month);
		ret = PB_ERR_REFUSED;
	}
	PQclear(res);
	return ret;
}

/* The aliases linked in the month to vendor v, which has no import in it (pb_agg_context.unserved). */
static int read_unserved(struct run *r, int v, struct pb_buf *err)
{
	const char *p[2] = {pb_vendor_names[v], r->month};
	PGresult *res;
	int i, n;

	res = pb_db_query(r->conn,
			  "SELECT alias FROM pb.partner_account WHERE vendor = $1 AND validity && "
			  "daterange($2::date, ($2::date + interval '1 month')::date) GROUP BY alias "
			  "ORDER BY alias COLLATE \"C\"",
			  2, p, err);
	if (!res)
		return -1;
	n = PQntuples(res);
	r->ctx.unserved[v] = calloc((size_t)n + 1, sizeof(char *));
	for (i = 0; r->ctx.unserved[v] && i < n; i++) {
		r->ctx.unserved[v][i] = strdup(PQgetvalue(res, i, 0));
		if (!r->ctx.unserved[v][i])
			break;
		r->ctx.nunserved[v]++;
	}
	PQclear(res);
	if ((size_t)n != r->ctx.nunserved[v]) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	return 0;
}

/* The month's committed imports: their ids, and per source the day through which it is complete. */
static int read_sources(struct run *r, struct pb_buf *err)
{
	const char *p[1] = {r->month};
	PGresult *res;
	int i, v, served[PB_NVENDORS];

	res = pb_db_query(r->conn,
			  "SELECT i.id, i.vendor, i.format, i.source, i.final, "
			  "(SELECT max(a.last_day) FROM pb.import_account a WHERE a.import_id = i.id)::text "
			  "FROM pb.import i WHERE i.status = 'committed' AND i.billing_month = $1::date ORDER BY i.id",
			  1, p, err);
	if (!res)
		return db_fail(err);
	for (v = 0; v < PB_NVENDORS; v++)
		r->ctx.final[v] = 1;
	pb_buf_addch(&r->imports, '{');
	for (i = 0; i < PQntuples(res); i++) {
		const char *last = PQgetvalue(res, i, 5);
		int32_t last_day = 0, through = 0;
		int final = PQgetvalue(res, i, 4)[0] == 't' && r->o->as_of >= r->ctx.month_end;

		v = pb_vendor_index(PQgetvalue(res, i, 1));
		if (*last && pb_date_parse_iso(last, strlen(last), &last_day) == 0) {
			/* The last day present is partial until the next delivery, unless the data is final. */
			through = final ? r->ctx.month_end : last_day - 1 < r->o->as_of ? last_day - 1 : r->o->as_of;
			r->last_day = last_day > r->last_day ? last_day : r->last_day;
		}
		if (v >= 0)
			r->ctx.final[v] &= final;
		/* A source without a day yet says nothing of which days are complete (nor does it lag). */
		if (v >= 0 && through) {
			if (!r->ctx.complete_through[v] || through < r->ctx.complete_through[v])
				r->ctx.complete_through[v] = through;
		}
		pb_buf_addf(&r->imports, "%s%s", i ? "," : "", PQgetvalue(res, i, 0));
		pb_buf_addf(&r->sources, "%s\t", r->ctx.run_id);
		pb_buf_add_copy_text(&r->sources, PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1));
		pb_buf_addch(&r->sources, '\t');
		pb_buf_add_copy_text(&r->sources, PQgetvalue(res, i, 2), (size_t)PQgetlength(res, i, 2));
		pb_buf_addch(&r->sources, '\t');
		pb_buf_add_copy_text(&r->sources, PQgetvalue(res, i, 3), (size_t)PQgetlength(res, i, 3));
		pb_buf_addf(&r->sources, "\t%s\t%s\t", PQgetvalue(res, i, 0), *last ? last : "\\N");
		if (through) {
			char t[11];

			pb_date_format(through, t);
			pb_buf_addf(&r->sources, "%s\t%s\n", t, final ? "t" : "f");
		} else {
			pb_buf_addf(&r->sources, "\\N\t%s\n", final ? "t" : "f");
		}
	}
	pb_buf_addch(&r->imports, '}');
	r->res->imports = PQntuples(res);
	for (v = 0; v < PB_NVENDORS; v++)
		served[v] = 0;
	for (i = 0; i < PQntuples(res); i++) {
		v = pb_vendor_index(PQgetvalue(res, i, 1));
		if (v >= 0)
			served[v] = 1;
	}
	PQclear(res);
	for (v = 0; v < PB_NVENDORS; v++)
		if (!served[v] && read_unserved(r, v, err) < 0)
			return db_fail(err);
	return 0;
}

/* Appends s as an SQL string literal (quotes doubled: the texts come from the exports). */
static void add_literal(struct pb_buf *b, const char *s)
{
	pb_buf_addch(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			pb_buf_addch(b, '\'');
		pb_buf_addch(b, *s);
	}
	pb_buf_addch(b, '\'');
}

/*
 * The price of every charge of the month's imports, from the rules, as a VALUES list in prices (a list the
 * query carries itself: a temporary table would keep the query from running on parallel workers).
 */
static int price_charges(struct run *r, struct pb_buf *prices, struct pb_buf *err)
{
	const char *p[1] = {pb_buf_str(&r->imports)};
	PGresult *res;
	int i;

	res = pb_db_query(r->conn,
			  "SELECT DISTINCT i.vendor, c.charge_category, c.charge_type FROM pb.import_charge c "
			  "JOIN pb.import i ON i.id = c.import_id WHERE i.id = ANY ($1::bigint[]) ORDER BY 1, 2, 3",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	pb_buf_addstr(prices, "VALUES ('', '', '', 0, '')");
	for (i = 0; i < PQntuples(res); i++) {
		const struct pb_pricing_rule *rule = pb_pricing_match(r->o->pricing, PQgetvalue(res, i, 0),
								      PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));

		if (!rule) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s: no pricing rule for %s charges of category '%s' and type '%s'",
				    r->o->pricing->file, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
				    PQgetvalue(res, i, 2));
			PQclear(res);
			return PB_ERR_DATA;
		}
		pb_buf_addstr(prices, ", (");
		add_literal(prices, PQgetvalue(res, i, 0));
		pb_buf_addstr(prices, ", ");
		add_literal(prices, PQgetvalue(res, i, 1));
		pb_buf_addstr(prices, ", ");
		add_literal(prices, PQgetvalue(res, i, 2));
		pb_buf_addf(prices, ", %d, ", (int)rule->price);
		add_literal(prices, rule->reason);
		pb_buf_addch(prices, ')');
	}
	PQclear(res);
	return prices->failed ? PB_ERR_DATA : 0;
}

/* "'{US,GB}'::text[]": a vendor's allowed countries (two capital letters each: the config is checked). */
static void countries(const struct pb_eligibility *e, int v, struct pb_buf *out)
{
	size_t i;

	pb_buf_addstr(out, "'{");
	for (i = 0; i < e->ncountries[v]; i++)
		pb_buf_addf(out, "%s%s", i ? "," : "", e->countries[v][i]);
	pb_buf_addstr(out, "}'::text[]");
}

/*
 * Each account and vendor: whether its usage may be billed (eligible NULL: never) and why not. The rules
 * are applied as they stand when the run is made (the terms accepted by then), except for an account a frozen
 * run of the month holds (see read_accounts): it keeps the eligibility the latest such run gave it (a change
 * of country, reseller or terms applies to the months after, as a change of currency or markup does). The
 * link, not the rules, says which days' usage is the account's.
 * It is made once per run into a temporary table (agg_elig, analyzed) that the run's queries join and that
 * record_eligibility stores. Inlined in a query, the planner worked it out once per daily row (10,000 accounts
 * and 2.2 M rows took 74 s to group); as a materialized CTE (no statistics) the planner took its hash for a
 * poor one and hashed, or sorted on disk, the month's daily rows instead; and recorded straight from the CTE,
 * each account's lookup of the month's frozen runs ran while the statement filled the table it looks in: a new
 * table (no statistics, a plan that scans it) was scanned once per account, the rows written so far included
 * (13.4 s for the 22,000 accounts of a new database's first run).
 */
static void eligibility(const struct run *r, struct pb_buf *q)
{
	pb_buf_addstr(q,
		      "WITH elig_now AS (SELECT a.alias, v.vendor, "
		      "CASE WHEN a.is_reseller OR a.parent_reseller IS NOT NULL OR NOT (a.billing_country = ANY "
		      "(v.countries)) OR ct.day IS NULL OR vt.day IS NULL THEN NULL ELSE true END AS eligible, "
		      "nullif(concat_ws('; ', CASE WHEN a.is_reseller THEN 'reseller accounts are excluded' END, "
		      "CASE WHEN a.parent_reseller IS NOT NULL THEN 'customer of reseller ' || a.parent_reseller END, "
		      "CASE WHEN NOT (a.billing_country = ANY (v.countries)) THEN 'billing country ' || "
		      "a.billing_country || ' is not among ' || v.vendor || '''s allowed countries' END, "
		      "CASE WHEN ct.day IS NULL THEN 'terms not accepted: centurylink' END, "
		      "CASE WHEN vt.day IS NULL THEN 'terms not accepted: ' || v.vendor || ' in region ' || "
		      "a.billing_country END), '') AS reason "
		      "FROM pb.clc_account a CROSS JOIN (VALUES ('aws', ");
	countries(r->o->eligibility, PB_VENDOR_AWS, q);
	pb_buf_addstr(q, "), ('azure', ");
	countries(r->o->eligibility, PB_VENDOR_AZURE, q);
	pb_buf_addstr(q,
		      ")) v (vendor, countries) "
		      "LEFT JOIN LATERAL (SELECT min(t.accepted_at)::date AS day FROM pb.terms_acceptance t "
		      "WHERE t.alias = a.alias AND t.terms = 'centurylink') ct ON true "
		      "LEFT JOIN LATERAL (SELECT min(t.accepted_at)::date AS day FROM pb.terms_acceptance t "
		      "WHERE t.alias = a.alias AND t.terms = v.vendor AND t.region = a.billing_country) vt ON true) ");
	pb_buf_addf(q,
		    "SELECT n.alias, n.vendor, CASE WHEN f.run_id IS NULL THEN n.eligible "
		    "WHEN f.eligible THEN true END AS eligible, "
		    "CASE WHEN f.run_id IS NULL THEN n.reason ELSE nullif(f.reason, '') END AS reason FROM elig_now n "
		    "LEFT JOIN LATERAL (SELECT e.run_id, e.eligible, e.reason FROM pb.aggregate_eligibility e "
		    "JOIN pb.aggregate_run fr ON fr.id = e.run_id AND fr.frozen AND fr.billing_month = '%s'::date "
		    "WHERE e.alias = n.alias AND e.vendor = n.vendor ORDER BY fr.id DESC LIMIT 1) f ON true",
		    r->month);
}

/*
 * The grouped query's body after its CTEs: every row placed, priced and grouped. Every charge of the month's
 * imports has its price (price_charges), so the join with the prices keeps every row; written as an inner join
 * the planner took it to keep 4% of them (three columns matched against a list of a few rows, each column's
 * selectivity multiplied), and with the links and the eligibility as materialized CTEs (no statistics) it
 * hashed the 6 M daily rows of 20,000 partner accounts to probe them with the links, then sorted them all on
 * disk (590 MB) to merge them with the eligibility: 15.8 s of a 25 s run. Joined as an outer join and filtered
 * by a test the planner cannot turn back into an inner join, the same rows are kept, estimated at about their
 * number, and the links with their eligibility (agg_links, a table with statistics) are hashed: the rows
 * stream through.
 */
static const char group_sql[] =
	" SELECT CASE WHEN pa.alias IS NULL THEN 3 WHEN pa.eligible IS NULL THEN 2 WHEN p.price = 3 THEN 1 "
	"ELSE 0 END AS place, coalesce(pa.alias, '') AS alias, u.vendor, "
	"CASE WHEN pa.alias IS NULL OR pa.eligible IS NULL OR p.price = 3 OR (p.price = 0 AND u.list_cost IS NULL) "
	"THEN u.partner_account_id END AS pa, "
	"CASE WHEN pa.alias IS NULL THEN NULL WHEN pa.eligible IS NULL THEN pa.reason WHEN p.price = 3 "
	"THEN p.reason END AS reason, "
	"CASE WHEN pa.alias IS NULL OR pa.eligible IS NULL OR p.price = 3 THEN NULL ELSE u.charge_category "
	"END AS category, u.currency, "
	"CASE WHEN pa.alias IS NULL OR pa.eligible IS NULL OR p.price = 3 THEN NULL ELSE u.usage_date END AS day, "
	"CASE WHEN pa.alias IS NULL OR pa.eligible IS NULL OR p.price = 3 THEN NULL ELSE p.price END AS price, "
	"sum(u.list_cost) AS list, sum(u.billed_cost) AS billed, "
	"sum(u.billed_cost) FILTER (WHERE u.list_cost IS NULL) AS billed_no_list, sum(u.line_count) AS lines, "
	"sum(u.line_count) FILTER (WHERE u.list_cost IS NULL) AS lines_no_list, "
	/* A link that starts or ends within the month: its days, which the estimate projects apart. */
	"CASE WHEN pa.alias IS NULL OR pa.eligible IS NULL OR p.price = 3 OR pa.validity @> (SELECT days FROM month) "
	"THEN NULL "
	"ELSE lower(pa.validity)::text || ' ' || coalesce(upper(pa.validity)::text, '') END AS link_days "
	"FROM pb.usage_daily u LEFT JOIN price p ON p.vendor = u.vendor AND p.category = u.charge_category "
	"AND p.charge_type = u.charge_type "
	"LEFT JOIN agg_links pa ON pa.vendor = u.vendor "
	"AND pa.partner_account_id = u.partner_account_id AND pa.validity @> u.usage_date "
	"WHERE coalesce(p.price, -1) <> -1 AND ";

/*
 * The common table expressions of the run's queries, made once: the prices, the links (the table itself, whose
 * statistics let the planner hash it), the eligibility (agg_elig, made here) and the month's days.
 */
static int with_clause(struct run *r, struct pb_buf *err)
{
	struct pb_buf q = PB_BUF_INIT;
	int rc;

	pb_buf_addstr(&q, "CREATE TEMP TABLE agg_elig ON COMMIT DROP AS ");
	eligibility(r, &q);
	if (q.failed) {
		pb_buf_release(&q);
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return PB_ERR_DATA;
	}
	/*
	 * The links with their account's eligibility (agg_links): the grouping meets each daily row's link and its
	 * eligibility in one hash join instead of two (a link without an eligibility row, or no link, leaves both
	 * NULL, as the two outer joins did): 10-12% of the grouping's time.
	 */
	rc = pb_db_exec(r->conn, pb_buf_str(&q), 0, NULL, err) < 0 ||
			     pb_db_exec(r->conn, "ANALYZE agg_elig", 0, NULL, err) < 0 ||
			     pb_db_exec(r->conn,
					"CREATE TEMP TABLE agg_links ON COMMIT DROP AS SELECT l.vendor, "
					"l.partner_account_id, l.alias, l.validity, e.eligible, e.reason "
					"FROM pb.partner_account l LEFT JOIN agg_elig e ON e.alias = l.alias "
					"AND e.vendor = l.vendor",
					0, NULL, err) < 0 ||
			     pb_db_exec(r->conn, "ANALYZE agg_links", 0, NULL, err) < 0
		     ? PB_ERR_DEPENDENCY
		     : 0;
	pb_buf_release(&q);
	if (rc < 0)
		return rc;
	pb_buf_addstr(&r->with, "WITH price (vendor, category, charge_type, price, reason) AS (");
	rc = price_charges(r, &r->with, err);
	if (rc < 0)
		return rc;
	pb_buf_addstr(&r->with,
		      "), links AS (SELECT vendor, partner_account_id, alias, validity FROM pb.partner_account), "
		      "elig AS (SELECT alias, vendor, eligible, reason FROM agg_elig)");
	pb_buf_addf(&r->with,
		    ", month (days) AS (VALUES (daterange('%s'::date, ('%s'::date + interval '1 month')::date)))",
		    r->month, r->month);
	return 0;
}

/* Runs a query built of head, the common table expressions, body and the month's row filter, then tail. */
static int run_query(struct run *r, const char *head, const char *body, const char *tail, struct pb_buf *err)
{
	struct pb_buf q = PB_BUF_INIT;
	int rc;

	pb_buf_addstr(&q, head);
	pb_buf_addstr(&q, pb_buf_str(&r->with));
	pb_buf_addstr(&q, body);
	/* Dates and import ids the run made itself: nothing from the data goes into the text unquoted. */
	pb_buf_addf(&q, "u.billing_month = '%s' AND u.import_id = ANY ('%s'::bigint[]) AND u.usage_date <= '%s' ",
		    r->month, pb_buf_str(&r->imports), r->as_of);
	pb_buf_addstr(&q, tail);
	if (q.failed || r->with.failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		rc = PB_ERR_DATA;
	} else {
		rc = pb_db_exec(r->conn, pb_buf_str(&q), 0, NULL, err) < 0 ? PB_ERR_DEPENDENCY : 0;
	}
	pb_buf_release(&q);
	return rc;
}

/*
 * The month's rows, each through the link valid on its usage date, placed (0 attributed, 1 excluded by a
 * pricing rule, 2 ineligible, 3 unmapped) and grouped: attributed rows per account, vendor, category,
 * currency, day and price (and per partner account where usage priced at list has no list cost, which the
 * run counts per partner account); the others per partner account and reason. Written to a temporary table by a
 * query that may run on parallel workers (a cursor's may not), then read back in account order.
 */
static int group_rows(struct run *r, struct pb_buf *err)
{
	int rc = with_clause(r, err);

	/*
	 * Grouped by hashing: the planner cannot tell how few groups the placed rows make (340,000 of 6 M rows),
	 * takes them for as many as the rows, and sorts the 6 M rows on disk instead (21 s against 11.5 s).
	 * Compiled (JIT), unlike the run's other statements: its ten grouping keys are worked out for every daily
	 * row, and compiled they take less time than the compiling (6 M rows: 7.2-10 s against 11-12.6 s).
	 */
	if (rc == 0 && (pb_db_exec(r->conn, "SET LOCAL enable_sort = off", 0, NULL, err) < 0 ||
			pb_db_exec(r->conn, "SET LOCAL jit = on", 0, NULL, err) < 0))
		rc = PB_ERR_DEPENDENCY;
	if (rc == 0)
		rc = run_query(r, "CREATE TEMP TABLE agg_groups ON COMMIT DROP AS ", group_sql,
			       "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 15", err);
	if (rc == 0 && (pb_db_exec(r->conn, "RESET enable_sort", 0, NULL, err) < 0 ||
			pb_db_exec(r->conn, "SET LOCAL jit = off", 0, NULL, err) < 0))
		rc = PB_ERR_DEPENDENCY;
	return rc;
}

/*
 * The detail an invoice shows: per account, vendor, service, category and currency, what the attributed
 * rows came to, priced as the totals were; in the same snapshot, and checked to add up to the totals.
 * The links of eligible accounts are made once (MATERIALIZED, hashed) before the daily rows meet them, so
 * that no join follows the one with the links. Joined after it, the eligibility was scanned whole for every
 * daily row: the planner takes the rows that meet a price and a link valid on their day to be a row or so
 * (links within the month: 960,000 rows of 20,000 accounts ran for more than 26 minutes instead of 30 s).
 * Taking them for so few, it also met them with the links in a nested loop, every daily row with every link
 * (2,000 links and 760,000 daily rows: more than 10 minutes instead of 11 s): nested loops are off for it.
 */
static int detail(struct run *r, struct pb_buf *err)
{
	struct pb_buf body = PB_BUF_INIT;
	const char *p[1] = {r->ctx.run_id};
	PGresult *res;
	int rc;

	pb_buf_addf(&body,
		    ", eligible_links AS MATERIALIZED (SELECT l.vendor, l.partner_account_id, l.alias, l.validity "
		    "FROM links l JOIN elig e ON e.alias = l.alias AND e.vendor = l.vendor AND e.eligible) "
		    "SELECT %s, pa.alias, u.vendor, u.partner_account_id, u.usage_date, u.service, u.region, "
		    "u.charge_category, u.currency, coalesce(sum(CASE WHEN p.price = 2 THEN u.billed_cost "
		    "ELSE coalesce(u.list_cost, u.billed_cost) END), 0), coalesce(sum(u.list_cost), 0), "
		    "coalesce(sum(u.billed_cost), 0), sum(u.line_count) "
		    "FROM pb.usage_daily u JOIN price p ON p.vendor = u.vendor AND p.category = u.charge_category "
		    "AND p.charge_type = u.charge_type AND p.price <> 3 "
		    "JOIN eligible_links pa ON pa.vendor = u.vendor AND pa.partner_account_id = u.partner_account_id "
		    "AND pa.validity @> u.usage_date WHERE ",
		    r->ctx.run_id);
	rc = pb_db_exec(r->conn, "SET LOCAL enable_nestloop = off", 0, NULL, err) < 0 ? PB_ERR_DEPENDENCY : 0;
	if (rc == 0)
		rc = run_query(r,
			       "INSERT INTO pb.aggregate_detail (run_id, alias, vendor, partner_account_id, "
			       "usage_date, service, region, charge_category, currency, amount, list, billed, "
			       "line_count) ",
			       pb_buf_str(&body), "GROUP BY 2, 3, 4, 5, 6, 7, 8, 9", err);
	if (rc == 0 && pb_db_exec(r->conn, "RESET enable_nestloop", 0, NULL, err) < 0)
		rc = PB_ERR_DEPENDENCY;
	pb_buf_release(&body);
	if (rc < 0)
		return rc;
	res = pb_db_query(
		r->conn,
		"SELECT count(*) FROM (SELECT alias, vendor, charge_category, currency, sum(amount) AS amount "
		"FROM pb.aggregate_detail WHERE run_id = $1::bigint GROUP BY 1, 2, 3, 4) d "
		"FULL JOIN (SELECT * FROM pb.aggregate_total WHERE run_id = $1::bigint) t "
		"USING (alias, vendor, charge_category, currency) WHERE d.amount IS DISTINCT FROM t.amount",
		1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "internal error: the detail of run %s does not add up to its totals: nothing was stored",
			    r->ctx.run_id);
		rc = PB_ERR_DATA;
	}
	PQclear(res);
	return rc;
}

/* The cursors: the month's groups in account order, and the history of the months before. */
static int open_cursors(struct run *r, struct pb_buf *err)
{
	char first[11], first_month[11];
	const char *h[3] = {first_month, r->month, first};

	pb_date_format(r->ctx.first_day, first);
	pb_date_format(pb_date_month_start(r->ctx.first_day), first_month);
	if (pb_db_exec(r->conn,
		       "DECLARE agg_rows NO SCROLL CURSOR FOR SELECT place, alias, vendor, pa, reason, category, "
		       "currency, day, price, coalesce(list, 0)::text, coalesce(billed, 0)::text, "
		       "coalesce(billed_no_list, 0)::text, lines::text, coalesce(lines_no_list, 0)::text, link_days "
		       "FROM agg_groups ORDER BY place, alias COLLATE \"C\", vendor, category COLLATE \"C\", currency, "
		       "day, "
		       "price, pa COLLATE \"C\", reason COLLATE \"C\", link_days COLLATE \"C\"",
		       0, NULL, err) < 0 ||
	    pb_db_exec(
		    r->conn,
		    "DECLARE agg_hist NO SCROLL CURSOR FOR SELECT d.alias, d.vendor, d.usage_date::text, d.usage::text "
		    "FROM pb.aggregate_daily d JOIN pb.aggregate_run r ON r.id = d.run_id AND r.status = 'current' "
		    /* In the account's invoice currency now: a month aggregated in another says nothing of it. */
		    "JOIN pb.aggregate_account a ON a.run_id = d.run_id AND a.alias = d.alias AND a.vendor = 'all' "
		    "JOIN pb.clc_account c ON c.alias = d.alias AND c.invoice_currency = a.currency "
		    /* Each run's own month: a day before it holds that run's late charges, not the day's usage. */
		    "WHERE r.billing_month >= $1::date AND r.billing_month < $2::date AND d.usage_date >= $3::date "
		    "AND d.usage_date < $2::date AND d.usage_date >= r.billing_month ORDER BY d.alias COLLATE \"C\", "
		    "d.vendor, d.usage_date",
		    3, h, err) < 0)
		return PB_ERR_DEPENDENCY;
	return 0;
}

/*
 * Every account's invoice currency and markup, sorted by alias (a few bytes an account). An account a frozen
 * run of the month holds (the run its invoice billed, or one a later invoice's adjustments billed) keeps the
 * terms of the latest such run, as the month's rates do: a change of terms applies from then on, and never
 * reprices (or, for lack of a frozen rate, blocks) a month once it is billed.
 */
static int read_accounts(struct run *r, struct pb_buf *err)
{
	const char *p[1] = {r->month};

	r->accounts = pb_db_query(
		r->conn,
		"SELECT c.alias, coalesce(f.currency, c.invoice_currency), "
		"coalesce(f.markup_percent, c.markup_percent)::text FROM pb.clc_account c "
		"LEFT JOIN LATERAL (SELECT a.currency, a.markup_percent FROM pb.aggregate_account a "
		"JOIN pb.aggregate_run fr ON fr.id = a.run_id AND fr.frozen AND fr.billing_month = $1::date "
		"WHERE a.alias = c.alias AND a.vendor = 'all' ORDER BY fr.id DESC LIMIT 1) f ON true "
		"ORDER BY c.alias COLLATE \"C\"",
		1, p, err);
	return r->accounts ? 0 : PB_ERR_DEPENDENCY;
}

/* The row of alias in r->accounts, or -1. */
static int account_row(const struct run *r, const char *alias)
{
	int lo = 0, hi = PQntuples(r->accounts) - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2, c = strcmp(PQgetvalue(r->accounts, mid, 0), alias);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static int bad_amount(struct pb_buf *err, const char *text)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "internal error: the database gave '%s' for an amount", text);
	return PB_ERR_DATA;
}

/* An amount the database summed: beyond the range of amounts (sums of imports in range each) is bad data. */
static int money_of(const struct run *r, const char *text, pb_money *out, struct pb_buf *err)
{
	int rc = pb_money_parse(text, strlen(text), out, NULL);

	if (rc == PB_MONEY_ERR_RANGE) {
		pb_buf_reset(err);
		pb_buf_addf(err, "a sum of %.7s leaves the range of amounts (20 integer digits): %s", r->month, text);
		return PB_ERR_DATA;
	}
	return rc < 0 ? bad_amount(err, text) : 0;
}

static struct recon *recon_of(struct run *r, const char *currency)
{
	size_t i;

	for (i = 0; i < r->nrecon; i++)
		if (strcmp(r->recon[i].currency, currency) == 0)
			return &r->recon[i];
	if (r->nrecon == MAX_CURRENCIES)
		return NULL;
	memset(&r->recon[r->nrecon], 0, sizeof(r->recon[0]));
	snprintf(r->recon[r->nrecon].currency, sizeof(r->recon[0].currency), "%s", currency);
	return &r->recon[r->nrecon++];
}

/* Counts a row into its place of the reconciliation, and into the total. */
static int reconcile(struct run *r, int place, const char *currency, pb_money list, pb_money billed, uint64_t lines,
		     struct pb_buf *err)
{
	struct recon *c = recon_of(r, currency);
	int k, at[2] = {P_TOTAL, place};

	if (!c) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "more than 64 currencies in one month");
		return PB_ERR_DATA;
	}
	for (k = 0; k < 2; k++) {
		if (pb_money_add(c->list[at[k]], list, &c->list[at[k]]) < 0 ||
		    pb_money_add(c->billed[at[k]], billed, &c->billed[at[k]]) < 0) {
			pb_buf_reset(err);
			pb_buf_addstr(err, "the month's total leaves the range of amounts");
			return PB_ERR_DATA;
		}
		c->lines[at[k]] += lines;
	}
	return 0;
}

/* Feeds the account the history rows of its alias from the history cursor. */
static int feed_history(struct run *r, struct pb_buf *err)
{
	for (;;) {
		const char *alias;
		int c, v;
		int32_t day;
		pb_money usage;

		if (!r->hist || r->hist_row >= PQntuples(r->hist)) {
			if (r->hist_done)
				return 0;
			PQclear(r->hist);
			r->hist = pb_db_query(r->conn, "FETCH " FETCH_ROWS " FROM agg_hist", 0, NULL, err);
			r->hist_row = 0;
			if (!r->hist)
				return PB_ERR_DEPENDENCY;
			r->hist_done = PQntuples(r->hist) == 0;
			continue;
		}
		alias = PQgetvalue(r->hist, r->hist_row, 0);
		c = strcmp(alias, r->acct->alias);
		if (c > 0)
			return 0;
		if (c == 0) {
			v = pb_vendor_index(PQgetvalue(r->hist, r->hist_row, 1));
			if (v >= 0 && pb_date_parse_iso(PQgetvalue(r->hist, r->hist_row, 2), 10, &day) == 0 &&
			    money_of(r, PQgetvalue(r->hist, r->hist_row, 3), &usage, err) == 0)
				pb_agg_account_history(&r->ctx, r->acct, v, day, usage);
		}
		r->hist_row++;
	}
}

static int finish_account(struct run *r, struct pb_buf *err)
{
	if (!r->in_account)
		return 0;
	r->in_account = 0;
	return pb_agg_pool_submit(r->pool, err);
}

/* Starts the account of alias: its currency and markup, and its history. */
static int start_account(struct run *r, const char *alias, struct pb_buf *err)
{
	int k = account_row(r, alias), rc = finish_account(r, err);

	if (rc < 0)
		return rc;
	if (k < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "internal error: no CLC account '%s'", alias);
		return PB_ERR_DATA;
	}
	r->acct = pb_agg_pool_next(r->pool, err);
	if (!r->acct)
		return PB_ERR_DATA;
	rc = pb_agg_account_start(r->acct, alias, PQgetvalue(r->accounts, k, 1), PQgetvalue(r->accounts, k, 2), err);
	if (rc == 0)
		rc = feed_history(r, err);
	r->in_account = rc == 0;
	return rc;
}

/* A bound of a link's days: a date, or (a date column may hold them) infinity, -infinity, or none (empty). */
static int link_bound(const char *text, size_t len, int32_t none, int32_t *day)
{
	if (len == 0 || (len == 8 && memcmp(text, "infinity", 8) == 0)) {
		*day = len ? INT32_MAX : none;
		return 0;
	}
	if (len == 9 && memcmp(text, "-infinity", 9) == 0) {
		*day = INT32_MIN;
		return 0;
	}
	return len == 10 ? pb_date_parse_iso(text, 10, day) : -1;
}

/* "FROM TO" of a link's days into from .. to - 1. Returns 0, or -1 when the text is not that. */
static int link_days(const char *text, int32_t *from, int32_t *to)
{
	const char *sp = strchr(text, ' ');

	if (!sp || link_bound(text, (size_t)(sp - text), INT32_MIN, from) < 0 ||
	    link_bound(sp + 1, strlen(sp + 1), INT32_MAX, to) < 0)
		return -1;
	return *to > *from ? 0 : -1;
}

/* One attributed row: a new alias starts a new account. */
static int attributed(struct run *r, PGresult *res, int i, pb_money list, pb_money billed, pb_money billed_no_list,
		      uint64_t lines, struct pb_buf *err)
{
	const char *alias = PQgetvalue(res, i, 1);
	struct pb_agg_row row;
	int rc, price = (int)strtol(PQgetvalue(res, i, 8), NULL, 10);

	if (!r->in_account || strcmp(alias, r->acct->alias) != 0) {
		rc = start_account(r, alias, err);
		if (rc < 0)
			return rc;
	}
	memset(&row, 0, sizeof(row));
	row.vendor = pb_vendor_index(PQgetvalue(res, i, 2));
	row.category = PQgetvalue(res, i, 5);
	row.currency = PQgetvalue(res, i, 6);
	if (row.vendor < 0 || pb_date_parse_iso(PQgetvalue(res, i, 7), 10, &row.day) < 0)
		return bad_amount(err, PQgetvalue(res, i, 7));
	row.billed = billed;
	row.lines = lines;
	/* The list cost, or where a line had none its billed cost; "billed" passes the billed value through. */
	if (price == PB_PRICE_BILLED)
		row.amount = billed;
	else if (pb_money_add(list, billed_no_list, &row.amount) < 0)
		return bad_amount(err, PQgetvalue(res, i, 9));
	if (price == PB_PRICE_LIST)
		row.no_list = strtoull(PQgetvalue(res, i, 13), NULL, 10);
	if (!PQgetisnull(res, i, 14) && link_days(PQgetvalue(res, i, 14), &row.link_from, &row.link_to) < 0)
		return bad_amount(err, PQgetvalue(res, i, 14));
	return pb_agg_account_add(&r->ctx, r->acct, &row, err);
}

/*
 * "cannot write a temporary file in 'TMPDIR': why" (e the errno of the failed write, 0 when unknown) into err:
 * a full or missing temporary folder is a dependency that failed, as a full disk is, not bad data.
 */
static int temp_failed(int e, struct pb_buf *err)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "cannot write a temporary file in '%s': %s", pb_tmpdir(), e ? strerror(e) : "a write failed");
	return PB_ERR_DEPENDENCY;
}

/* One bucket row (unmapped, ineligible, excluded), written per partner account. */
static int bucket(struct run *r, PGresult *res, int i, int place, const char *list, const char *billed, uint64_t lines,
		  struct pb_buf *err)
{
	static const int text[5] = {2, 3, 1, 4, 6}; /* vendor, partner account, alias, reason, currency */
	struct pb_buf line = PB_BUF_INIT;
	int k, ok;

	pb_buf_addf(&line, "%s\t%s", r->ctx.run_id, place_names[place]);
	for (k = 0; k < 5; k++) {
		pb_buf_addch(&line, '\t');
		pb_buf_add_copy_text(&line, PQgetvalue(res, i, text[k]), (size_t)PQgetlength(res, i, text[k]));
	}
	pb_buf_addf(&line, "\t%s\t%s\t%llu\n", list, billed, (unsigned long long)lines);
	if (line.failed) {
		pb_buf_release(&line);
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return PB_ERR_DATA;
	}
	ok = fwrite(line.ptr, 1, line.len, r->buckets) == line.len;
	pb_buf_release(&line);
	if (!ok)
		return temp_failed(errno, err);
	if (place == P_UNMAPPED)
		r->res->unmapped_lines += lines;
	else if (place == P_INELIGIBLE)
		r->res->ineligible_lines += lines;
	return 0;
}

/* One grouped row of the cursor. */
static int one_row(struct run *r, PGresult *res, int i, struct pb_buf *err)
{
	static const int places[4] = {P_ATTRIBUTED, P_EXCLUDED, P_INELIGIBLE, P_UNMAPPED};
	pb_money list, billed, billed_no_list;
	uint64_t lines = strtoull(PQgetvalue(res, i, 12), NULL, 10);
	long k = strtol(PQgetvalue(res, i, 0), NULL, 10);
	int place, rc;

	if (k < 0 || k > 3)
		return bad_amount(err, PQgetvalue(res, i, 0));
	place = places[k];
	if (money_of(r, PQgetvalue(res, i, 9), &list, err) < 0 ||
	    money_of(r, PQgetvalue(res, i, 10), &billed, err) < 0 ||
	    money_of(r, PQgetvalue(res, i, 11), &billed_no_list, err) < 0)
		return PB_ERR_DATA;
	rc = reconcile(r, place, PQgetvalue(res, i, 6), list, billed, lines, err);
	if (rc < 0)
		return rc;
	if (place == P_ATTRIBUTED)
		return attributed(r, res, i, list, billed, billed_no_list, lines, err);
	rc = finish_account(r, err);
	if (rc < 0)
		return rc;
	return bucket(r, res, i, place, PQgetvalue(res, i, 9), PQgetvalue(res, i, 10), lines, err);
}

/*
 * The first failure in the order of the rows: when reading a row failed, an account before it whose estimate
 * (made meanwhile on a worker thread) failed, as if the accounts had been finished in turn.
 */
static int first_failure(struct run *r, int rc, struct pb_buf *err)
{
	struct pb_buf before = PB_BUF_INIT;

	if (pb_agg_pool_drain(r->pool, &before) < 0 && before.len) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&before));
		rc = PB_ERR_DATA;
	}
	pb_buf_release(&before);
	return rc;
}

/* Streams the month's rows through the accounts and buckets. */
static int stream_rows(struct run *r, struct pb_buf *err)
{
	PGresult *res;
	int i, n, rc = 0;

	r->pool = pb_agg_pool_new(&r->ctx, r->o->threads, err);
	if (!r->pool)
		return PB_ERR_DATA;
	do {
		res = pb_db_query(r->conn, "FETCH " FETCH_ROWS " FROM agg_rows", 0, NULL, err);
		if (!res) {
			rc = PB_ERR_DEPENDENCY;
			break;
		}
		n = PQntuples(res);
		for (i = 0; i < n && rc == 0; i++)
			rc = one_row(r, res, i, err);
		PQclear(res);
	} while (n > 0 && rc == 0);
	if (rc == 0)
		rc = finish_account(r, err);
	if (rc == 0)
		rc = pb_agg_pool_drain(r->pool, err);
	else
		rc = first_failure(r, rc, err);
	r->in_account = 0;
	r->acct = NULL;
	pb_agg_pool_free(r->pool);
	r->pool = NULL;
	PQclear(r->hist);
	r->hist = NULL;
	if (rc == 0 && (pb_db_exec(r->conn, "CLOSE agg_rows", 0, NULL, err) < 0 ||
			pb_db_exec(r->conn, "CLOSE agg_hist", 0, NULL, err) < 0))
		rc = PB_ERR_DEPENDENCY;
	return rc;
}

/*
 * The identity: the places add up to the total (each row is in exactly one), and the total is what the
 * imports hold, by their own per-account totals (or, for an as-of before their last day, by the rows).
 */
static int check_recon(struct run *r, struct pb_buf *err)
{
	const char *p[3] = {pb_buf_str(&r->imports), r->month, r->as_of};
	PGresult *res;
	size_t i, k;
	int j, ret = 0;

	if (r->o->as_of >= r->last_day)
		res = pb_db_query(
			r->conn,
			"SELECT currency, sum(list_total)::text, sum(billed_total)::text, sum(line_count)::text "
			"FROM pb.import_account WHERE import_id = ANY ($1::bigint[]) GROUP BY 1",
			1, p, err);
	else
		res = pb_db_query(
			r->conn,
			"SELECT currency, coalesce(sum(list_cost), 0)::text, coalesce(sum(billed_cost), 0)::text, "
			"sum(line_count)::text FROM pb.usage_daily WHERE import_id = ANY ($1::bigint[]) "
			"AND billing_month = $2::date AND usage_date <= $3::date GROUP BY 1",
			3, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < r->nrecon && ret == 0; i++) {
		struct recon *c = &r->recon[i];
		pb_money l = PB_MONEY_ZERO, b = PB_MONEY_ZERO, il, ib;
		uint64_t lines = 0;
		int found = 0;

		for (k = P_ATTRIBUTED; k < NPLACES; k++) {
			pb_money_add(l, c->list[k], &l);
			pb_money_add(b, c->billed[k], &b);
			lines += c->lines[k];
		}
		for (j = 0; j < PQntuples(res); j++) {
			if (strcmp(PQgetvalue(res, j, 0), c->currency) != 0)
				continue;
			found = money_of(r, PQgetvalue(res, j, 1), &il, err) == 0 &&
				money_of(r, PQgetvalue(res, j, 2), &ib, err) == 0 &&
				!pb_money_cmp(il, c->list[P_TOTAL]) && !pb_money_cmp(ib, c->billed[P_TOTAL]) &&
				strtoull(PQgetvalue(res, j, 3), NULL, 10) == c->lines[P_TOTAL];
		}
		if (!found || pb_money_cmp(l, c->list[P_TOTAL]) || pb_money_cmp(b, c->billed[P_TOTAL]) ||
		    lines != c->lines[P_TOTAL]) {
			pb_buf_reset(err);
			pb_buf_addf(err,
				    "internal error: the %s reconciliation of %.7s does not add up to what the imports "
				    "hold: nothing was stored",
				    c->currency, r->month);
			ret = PB_ERR_DATA;
		}
	}
	if (ret == 0 && (size_t)PQntuples(res) != r->nrecon) {
		pb_buf_reset(err);
		pb_buf_addf(err, "internal error: a currency of the imports of %.7s is missing from the run", r->month);
		ret = PB_ERR_DATA;
	}
	PQclear(res);
	return ret;
}

static int write_recon(struct run *r, FILE *f)
{
	char l[PB_MONEY_STRMAX], b[PB_MONEY_STRMAX];
	size_t i;
	int k;

	for (i = 0; i < r->nrecon; i++) {
		for (k = 0; k < NPLACES; k++) {
			pb_money_format_canonical(r->recon[i].list[k], l);
			pb_money_format_canonical(r->recon[i].billed[k], b);
			fprintf(f, "%s\t%s\t%s\t%s\t%s\t%llu\n", r->ctx.run_id, r->recon[i].currency, place_names[k], l,
				b, (unsigned long long)r->recon[i].lines[k]);
		}
	}
	return ferror(f) ? -1 : 0;
}

/* Copies a spilled file into its table. */
static int copy_in(struct run *r, const char *sql, FILE *f, struct pb_buf *err)
{
	if (fflush(f) != 0)
		return temp_failed(errno, err);
	if (ferror(f))
		return temp_failed(0, err);
	return pb_db_copy_file(r->conn, sql, f, err) < 0 ? PB_ERR_DEPENDENCY : 0;
}

/* The usage billed at its billed cost for want of a list price, per partner account: from the groups. */
static int no_list(struct run *r, struct pb_buf *err)
{
	const char *p[1] = {r->ctx.run_id};

	return pb_db_exec(
		       r->conn,
		       "INSERT INTO pb.aggregate_no_list (run_id, vendor, partner_account_id, alias, currency, "
		       "line_count, billed) SELECT $1::bigint, vendor, pa, alias, currency, sum(lines_no_list), "
		       "coalesce(sum(billed_no_list), 0) FROM agg_groups WHERE place = 0 AND price = 0 AND pa IS NOT "
		       "NULL GROUP BY vendor, pa, alias, currency",
		       1, p, err) < 0
		       ? PB_ERR_DEPENDENCY
		       : 0;
}

/*
 * The run's record: the previous current run superseded, its daily series, eligibility and detail dropped unless
 * an invoice froze it (the detail of every run kept, a month's detail again at each run: 463,000 rows a run at
 * 2,000 links).
 */
static int record_run(struct run *r, const char *started, struct pb_buf *err)
{
	char unmapped[24], ineligible[24], nolist[24];
	const char *p[1] = {r->month};
	const char *q[12] = {r->ctx.run_id,
			     r->month,
			     r->as_of,
			     pb_buf_str(&r->imports),
			     r->o->pricing->file,
			     r->o->pricing->sha256,
			     unmapped,
			     ineligible,
			     nolist,
			     started,
			     r->o->by,
			     r->o->detail ? "t" : "f"};
	PGresult *res;

	res = pb_db_query(r->conn,
			  "UPDATE pb.aggregate_run SET status = 'superseded', detail = detail AND frozen "
			  "WHERE billing_month = $1::date AND status = 'current' RETURNING id, frozen",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) == 1) {
		const char *d[1] = {PQgetvalue(res, 0, 0)};

		r->res->superseded = strtoll(d[0], NULL, 10);
		if (PQgetvalue(res, 0, 1)[0] != 't' &&
		    (pb_db_exec(r->conn, "DELETE FROM pb.aggregate_daily WHERE run_id = $1::bigint", 1, d, err) < 0 ||
		     pb_db_exec(r->conn, "DELETE FROM pb.aggregate_eligibility WHERE run_id = $1::bigint", 1, d, err) <
			     0 ||
		     pb_db_exec(r->conn, "DELETE FROM pb.aggregate_detail WHERE run_id = $1::bigint", 1, d, err) < 0)) {
			PQclear(res);
			return PB_ERR_DEPENDENCY;
		}
	}
	PQclear(res);
	snprintf(unmapped, sizeof(unmapped), "%llu", (unsigned long long)r->res->unmapped_lines);
	snprintf(ineligible, sizeof(ineligible), "%llu", (unsigned long long)r->res->ineligible_lines);
	snprintf(nolist, sizeof(nolist), "%llu", (unsigned long long)r->ctx.no_list_lines);
	if (pb_db_exec(
		    r->conn,
		    "INSERT INTO pb.aggregate_run (id, billing_month, as_of, status, imports, pricing_file, "
		    "pricing_sha256, unmapped_lines, ineligible_lines, no_list_lines, started_at, run_by, detail) "
		    "VALUES ($1::bigint, $2::date, $3::date, 'current', $4::bigint[], $5, $6, $7::bigint, $8::bigint, "
		    "$9::bigint, $10::timestamptz, $11, $12::boolean)",
		    12, q, err) < 0)
		return PB_ERR_DEPENDENCY;
	/*
	 * The rates it converted with: those pb_rates_read read, in the run's snapshot, taken after any wait for the
	 * month's rows. pb-invoice compares them with the month's rates when it issues.
	 */
	if (pb_db_exec(r->conn,
		       "INSERT INTO pb.aggregate_rate (run_id, from_currency, to_currency, rate) "
		       "SELECT $1::bigint, from_currency, to_currency, rate FROM pb.fx_rate WHERE month = $2::date",
		       2, q, err) < 0)
		return PB_ERR_DEPENDENCY;
	return 0;
}

/* Each account's eligibility per vendor as the run applied it (what an issued month keeps): agg_elig. */
static int record_eligibility(struct run *r, struct pb_buf *err)
{
	struct pb_buf q = PB_BUF_INIT;
	const char *p[1] = {r->ctx.run_id};
	int rc = 0;

	pb_buf_addstr(&q, "INSERT INTO pb.aggregate_eligibility (run_id, alias, vendor, eligible, reason) "
			  "SELECT $1::bigint, alias, vendor, eligible IS NOT NULL, coalesce(reason, '') FROM agg_elig");
	if (q.failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		rc = PB_ERR_DATA;
	} else if (pb_db_exec(r->conn, pb_buf_str(&q), 1, p, err) < 0) {
		rc = PB_ERR_DEPENDENCY;
	}
	pb_buf_release(&q);
	return rc;
}

/* Writes everything the run made. */
static int store(struct run *r, const char *started, struct pb_buf *err)
{
	FILE *recon = pb_tmpfile(), *sources = pb_tmpfile();
	int rc = 0;

	if (!recon || !sources) {
		rc = PB_ERR_DEPENDENCY;
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot open a temporary file in '%s': %s", pb_tmpdir(), strerror(errno));
	} else if (write_recon(r, recon) < 0 ||
		   fwrite(r->sources.ptr ? r->sources.ptr : "", 1, r->sources.len, sources) != r->sources.len) {
		rc = temp_failed(errno, err);
	}
	if (rc == 0)
		rc = record_run(r, started, err);
	if (rc == 0)
		rc = record_eligibility(r, err);
	if (rc == 0)
		rc = copy_in(r, "COPY pb.aggregate_source FROM STDIN", sources, err);
	if (rc == 0)
		rc = copy_in(r, "COPY pb.aggregate_total FROM STDIN", r->ctx.totals, err);
	if (rc == 0)
		rc = copy_in(r, "COPY pb.aggregate_account FROM STDIN", r->ctx.accounts, err);
	if (rc == 0)
		rc = copy_in(r, "COPY pb.aggregate_daily FROM STDIN", r->ctx.daily, err);
	if (rc == 0)
		rc = copy_in(r, "COPY pb.aggregate_bucket FROM STDIN", r->buckets, err);
	if (rc == 0)
		rc = copy_in(r, "COPY pb.aggregate_recon FROM STDIN", recon, err);
	if (rc == 0)
		rc = no_list(r, err);
	if (rc == 0)
		rc = copy_in(r,
			     "COPY pb.estimate_history (run_id, billing_month, alias, vendor, as_of, currency, "
			     "month_to_date, estimate, low80, high80, low90, high90, method) FROM STDIN",
			     r->ctx.history, err);
	if (recon)
		fclose(recon);
	if (sources)
		fclose(sources);
	return rc;
}

int32_t pb_agg_month_end(int32_t month)
{
	int y, m, d;

	pb_date_to_ymd(month, &y, &m, &d);
	return (m == 12 ? pb_date_from_ymd(y + 1, 1, 1) : pb_date_from_ymd(y, m + 1, 1)) - 1;
}

int pb_agg_default_as_of(PGconn *conn, int32_t month, int32_t *as_of, struct pb_buf *err)
{
	int32_t today, end = pb_agg_month_end(month);
	char month_s[11], today_s[11];

	if (pb_db_today(conn, &today, err) < 0)
		return PB_ERR_DEPENDENCY;
	if (today < month) {
		pb_date_format(month, month_s);
		pb_date_format(today, today_s);
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "%.7s has not begun (today is %s by the database server's clock): give --as-of, a day of "
			    "the month",
			    month_s, today_s);
		return PB_ERR_USAGE;
	}
	*as_of = today < end ? today : end;
	return 0;
}

/* Opens what the run writes into, and sets its dates. */
static int prepare(struct run *r, struct pb_buf *err)
{
	PGresult *res;

	pb_date_format(r->o->month, r->month);
	pb_date_format(r->o->as_of, r->as_of);
	r->ctx.month = r->o->month;
	r->ctx.month_end = pb_agg_month_end(r->o->month);
	r->ctx.as_of = r->o->as_of;
	r->ctx.first_day = r->o->month - PB_AGG_HISTORY_DAYS;
	r->ctx.rates = &r->rates;
	r->ctx.totals = pb_tmpfile();
	r->ctx.accounts = pb_tmpfile();
	r->ctx.daily = pb_tmpfile();
	r->ctx.history = pb_tmpfile();
	r->buckets = pb_tmpfile();
	if (!r->ctx.totals || !r->ctx.accounts || !r->ctx.daily || !r->ctx.history || !r->buckets) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot open a temporary file in '%s': %s", pb_tmpdir(), strerror(errno));
		return PB_ERR_DEPENDENCY;
	}
	if (r->ctx.as_of < r->ctx.month_end) {
		/*
		 * An issued month's run as of an earlier day would become its current run, and the next invoice would
		 * credit back all that came after that day: an issued month is aggregated as of its last day only.
		 */
		const char *p[1] = {r->month};
		char last[11];

		res = pb_db_query(r->conn, "SELECT number FROM pb.invoice WHERE billing_month = $1::date", 1, p, err);
		if (!res)
			return PB_ERR_DEPENDENCY;
		if (PQntuples(res)) {
			pb_date_format(r->ctx.month_end, last);
			pb_buf_reset(err);
			pb_buf_addf(err, "%.7s is issued (%s): it is aggregated as of its last day, %s, not %s",
				    r->month, PQgetvalue(res, 0, 0), last, r->as_of);
			PQclear(res);
			return PB_ERR_REFUSED;
		}
		PQclear(res);
	}
	res = pb_db_query(r->conn, "SELECT nextval('pb.aggregate_run_id_seq')", 0, NULL, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	snprintf(r->ctx.run_id, sizeof(r->ctx.run_id), "%s", PQgetvalue(res, 0, 0));
	r->res->run_id = strtoll(r->ctx.run_id, NULL, 10);
	PQclear(res);
	return pb_rates_read(r->conn, r->o->month, &r->rates, err);
}

static void release(struct run *r)
{
	FILE *files[5] = {r->ctx.totals, r->ctx.accounts, r->ctx.daily, r->ctx.history, r->buckets};
	size_t i;
	int k;

	for (k = 0; k < 5; k++)
		if (files[k])
			fclose(files[k]);
	for (k = 0; k < PB_NVENDORS; k++) {
		for (i = 0; i < r->ctx.nunserved[k]; i++)
			free(r->ctx.unserved[k][i]);
		free(r->ctx.unserved[k]);
	}
	PQclear(r->hist);
	PQclear(r->accounts);
	pb_agg_pool_free(r->pool);
	pb_rates_release(&r->rates);
	pb_buf_release(&r->imports);
	pb_buf_release(&r->sources);
	pb_buf_release(&r->with);
}

/* The run, inside its transaction. */
static int compute(struct run *r, const char *started, struct pb_buf *err)
{
	int rc = prepare(r, err);

	if (rc == 0)
		rc = read_sources(r, err);
	if (rc == 0)
		pb_test_pause("aggregate-sources");
	if (rc == 0)
		rc = read_accounts(r, err);
	if (rc == 0)
		rc = group_rows(r, err);
	if (rc == 0)
		rc = open_cursors(r, err);
	if (rc == 0)
		rc = stream_rows(r, err);
	if (rc == 0)
		rc = check_recon(r, err);
	if (rc == 0)
		rc = store(r, started, err);
	if (rc == 0 && r->o->detail)
		rc = detail(r, err);
	r->res->accounts = r->ctx.naccounts;
	r->res->no_list_lines = r->ctx.no_list_lines;
	return rc;
}

/*
 * Locks the month's partition of the daily rows before the run's snapshot is taken (no query has run in the
 * transaction yet). An import that supersedes another drops the other's table as it commits: under a snapshot
 * that still holds the other current, its rows would vanish from the run (a reconciliation that does not add
 * up). Dropping a partition needs its parent's lock, so such a commit now waits for the run, or the run for it.
 * A month without that partition has no import to supersede. Each attempt waits a second at most (lock_timeout:
 * SET and LOCK take no snapshot): 0 when locked, 1 when another session held the rows that long.
 */
static int lock_month_rows(struct run *r, struct pb_buf *err)
{
	char sql[96];
	PGresult *res;
	const char *state;
	int missing, busy;

	snprintf(sql, sizeof(sql), "LOCK TABLE ONLY pb.usage_daily_%.4s_%.2s IN ACCESS SHARE MODE", r->month,
		 r->month + 5);
	if (pb_db_exec(r->conn, "SET LOCAL lock_timeout = '1s'", 0, NULL, err) < 0 ||
	    pb_db_exec(r->conn, "SAVEPOINT pb_month_rows", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	res = PQexec(r->conn, sql);
	state = PQresultStatus(res) == PGRES_FATAL_ERROR ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	missing = state && strcmp(state, "42P01") == 0;
	busy = state && strcmp(state, "55P03") == 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK && !missing && !busy) {
		pb_db_message(err, "cannot lock the month's daily rows",
			      res ? PQresultErrorMessage(res) : PQerrorMessage(r->conn));
		PQclear(res);
		return PB_ERR_DEPENDENCY;
	}
	PQclear(res);
	if (busy)
		return 1;
	if (pb_db_exec(r->conn, missing ? "ROLLBACK TO SAVEPOINT pb_month_rows" : "RELEASE SAVEPOINT pb_month_rows", 0,
		       NULL, err) < 0 ||
	    pb_db_exec(r->conn, "SET LOCAL lock_timeout = 0", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	return 0;
}

/* Says, once, which sessions hold the month's rows (out of the run's transaction: a query there takes its snapshot). */
static void say_waiting(struct run *r)
{
	char table[40];
	const char *p[1] = {table};
	struct pb_buf ignore = PB_BUF_INIT;
	PGresult *res;

	snprintf(table, sizeof(table), "pb.usage_daily_%.4s_%.2s", r->month, r->month + 5);
	res = pb_db_query(
		r->conn,
		"SELECT string_agg('server process ' || a.pid || ' (' || coalesce(nullif(a.application_name, "
		"''), a.backend_type) || ', in a transaction since ' || to_char(a.xact_start, "
		"'YYYY-MM-DD HH24:MI:SS TZ') || ')', ', ' ORDER BY a.pid) FROM pg_locks l JOIN pg_stat_activity a "
		"ON a.pid = l.pid WHERE l.granted AND l.mode = 'AccessExclusiveLock' AND l.relation = "
		"to_regclass($1) AND a.pid <> pg_backend_pid()",
		1, p, &ignore);
	if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		pb_log(PB_LOG_INFO, NULL, "waiting for other sessions to release the daily rows of %.7s: %s", r->month,
		       PQgetvalue(res, 0, 0));
	else
		pb_log(PB_LOG_INFO, NULL, "waiting for other sessions to release the daily rows of %.7s", r->month);
	PQclear(res);
	pb_buf_release(&ignore);
}

/* Begins the run's transaction with the month's rows locked, waiting (and saying so) while others hold them. */
static int begin(struct run *r, struct pb_buf *err)
{
	const struct timespec pause = {0, 200L * 1000000};
	int rc, told = 0;

	/*
	 * No JIT but for the grouping (group_rows): the run's other big statements read each row once, and compiling
	 * them (inlined and optimized, the planner's costs being in the millions) cost more than it saved, 1-1.6 s
	 * each (6 M daily rows: 29.6 s with JIT, 25.2 s without).
	 */
	for (;;) {
		if (pb_db_exec(r->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL, err) < 0 ||
		    pb_db_exec(r->conn, "SET LOCAL TimeZone = 'UTC'", 0, NULL, err) < 0 ||
		    pb_db_exec(r->conn, "SET LOCAL work_mem = '256MB'", 0, NULL, err) < 0 ||
		    pb_db_exec(r->conn, "SET LOCAL jit = off", 0, NULL, err) < 0)
			return PB_ERR_DEPENDENCY;
		rc = lock_month_rows(r, err);
		if (rc <= 0)
			return rc;
		/* Rolled back, so that the sessions queued behind this one's lock go on meanwhile. */
		if (pb_db_exec(r->conn, "ROLLBACK", 0, NULL, err) < 0)
			return PB_ERR_DEPENDENCY;
		if (!told)
			say_waiting(r);
		told = 1;
		nanosleep(&pause, NULL);
	}
}

int pb_aggregate_run(PGconn *conn, const struct pb_agg_options *o, struct pb_agg_result *res, struct pb_buf *err)
{
	struct pb_agg_options own = *o;
	struct run r;
	const char *p[1];
	char started[40];
	PGresult *now;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(res, 0, sizeof(*res));
	r.conn = conn;
	r.o = &own;
	r.res = res;
	pb_buf_init(&r.imports, 0);
	pb_buf_init(&r.sources, 0);
	pb_buf_init(&r.with, 0);
	pb_date_format(o->month, r.month);
	/* A run killed while the server works for it leaves no statement running: see pb_db_session. */
	rc = take_lock(&r, err);
	if (rc < 0)
		return rc;
	now = pb_db_query(conn, "SELECT now()::text", 0, NULL, err);
	if (!now)
		return PB_ERR_DEPENDENCY;
	snprintf(started, sizeof(started), "%s", PQgetvalue(now, 0, 0));
	PQclear(now);
	rc = begin(&r, err);
	/*
	 * Today is taken in the transaction that reads the month (the day it began, the rows the run's): taken as the
	 * program connected, a run that waited for the rows across midnight was as of the day before the one it read.
	 */
	if (rc == 0 && o->as_of_today)
		rc = pb_agg_default_as_of(conn, o->month, &own.as_of, err);
	if (rc == 0)
		rc = compute(&r, started, err);
	if (rc == 0)
		pb_test_pause("aggregate-commit");
	if (rc == 0 && pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0)
		rc = PB_ERR_DEPENDENCY;
	if (rc < 0)
		PQclear(PQexec(conn, "ROLLBACK"));
	/*
	 * The run's rows (2 M rows of detail for 10,000 accounts) are read at once by pb-invoice: planned from the
	 * statistics of the tables before the run, its FOCUS cursor took 8 minutes instead of 20 s, until autovacuum
	 * came round. Best effort: a role that may not analyze them only gets a warning.
	 */
	if (rc == 0)
		PQclear(PQexec(conn, "ANALYZE pb.aggregate_account, pb.aggregate_total, pb.aggregate_daily, "
				     "pb.aggregate_detail"));
	release(&r);
	p[0] = r.month;
	PQclear(PQexecParams(conn, "SELECT pg_advisory_unlock(hashtextextended('pb-aggregate|' || $1, 0))", 1, NULL, p,
			     NULL, NULL, 0));
	return rc;
}
