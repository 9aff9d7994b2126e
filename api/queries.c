/* The statements of pb-api. Amounts leave PostgreSQL as text and are never converted on the way out. */
#include "queries.h"

#include "banned.h"

#define RUN_COLUMNS                                                                                          \
	"SELECT id, to_char(as_of, 'YYYY-MM-DD'), "                                                          \
	"to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), to_char(billing_month, " \
	"'YYYY-MM') FROM pb.aggregate_run "

/* The columns of a figures row, of pb.aggregate_account as x. */
#define FIGURES                                                                                                   \
	"x.vendor, x.currency, trim_scale(x.month_to_date)::text, trim_scale(x.markup)::text, x.estimate::text, " \
	"x.low80::text, x.high80::text, x.low90::text, x.high90::text, x.method, "                                \
	"coalesce(to_char(x.complete_through, 'YYYY-MM-DD'), ''), CASE WHEN x.final THEN 't' ELSE 'f' END "

const struct pb_api_query_def pb_api_queries[PB_API_NQUERIES] = {
	[PB_API_Q_TOKEN] = {"pb_api_token", 1,
			    "SELECT id, kind, coalesce(alias, ''), sha256 FROM pb.api_token WHERE sha256 = $1 "
			    "AND revoked_at IS NULL"},
	[PB_API_Q_RUN] = {"pb_api_run", 1, RUN_COLUMNS "WHERE billing_month = $1::date AND status = 'current'"},
	[PB_API_Q_RUN_BY_ID] = {"pb_api_run_by_id", 1, RUN_COLUMNS "WHERE id = $1::bigint"},
	/*
	 * The figures are read in the statement that finds the run still current, so in one snapshot: a run
	 * superseded since it was looked up (its daily series removed as it was) gives no row at all.
	 */
	[PB_API_Q_ACCOUNT] = {"pb_api_account", 2,
			      "SELECT " FIGURES "FROM pb.aggregate_run r LEFT JOIN pb.aggregate_account x ON "
			      "x.run_id = r.id AND x.alias = $2 WHERE r.id = $1::bigint AND r.status = 'current' "
			      "ORDER BY x.vendor = 'all' DESC, x.vendor"},
	[PB_API_Q_DAILY] = {"pb_api_daily", 2,
			    "SELECT a.vendor, a.currency, coalesce(to_char(d.usage_date, 'YYYY-MM-DD'), ''), "
			    "trim_scale(d.usage)::text, trim_scale(d.one_off)::text FROM pb.aggregate_run r LEFT JOIN "
			    "(pb.aggregate_account a LEFT JOIN pb.aggregate_daily d ON d.run_id = a.run_id AND "
			    "d.alias = a.alias AND d.vendor = a.vendor) ON a.run_id = r.id AND a.alias = $2 AND "
			    "a.vendor <> 'all' WHERE r.id = $1::bigint AND r.status = 'current' "
			    "ORDER BY a.vendor, d.usage_date"},
	/* A cursor's page ($4 false) keeps to its run, current or not: a superseded run keeps its figures. */
	[PB_API_Q_LIST] = {"pb_api_list", 4,
			   "SELECT x.alias, " FIGURES "FROM pb.aggregate_run r LEFT JOIN (pb.aggregate_account x "
			   "JOIN (SELECT alias FROM pb.aggregate_account WHERE run_id = $1::bigint AND vendor = 'all' "
			   "AND alias > $2 ORDER BY alias LIMIT $3::integer) p ON p.alias = x.alias) ON x.run_id = "
			   "r.id WHERE r.id = $1::bigint AND (r.status = 'current' OR NOT $4::boolean) "
			   "ORDER BY x.alias, x.vendor = 'all' DESC, x.vendor"},
};
