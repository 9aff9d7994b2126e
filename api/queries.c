/* The statements of pb-api. Amounts leave PostgreSQL as text and are never converted on the way out. */
#include "queries.h"

#include "banned.h"

#define RUN_COLUMNS                                                                                          \
	"SELECT id, to_char(as_of, 'YYYY-MM-DD'), "                                                          \
	"to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), to_char(billing_month, " \
	"'YYYY-MM') FROM pb.aggregate_run "

#define FIGURES                                                                                         \
	"vendor, currency, trim_scale(month_to_date)::text, trim_scale(markup)::text, estimate::text, " \
	"low80::text, high80::text, low90::text, high90::text, method, "                                \
	"coalesce(to_char(complete_through, 'YYYY-MM-DD'), ''), CASE WHEN final THEN 't' ELSE 'f' END "

const struct pb_api_query_def pb_api_queries[PB_API_NQUERIES] = {
	[PB_API_Q_TOKEN] = {"pb_api_token", 1,
			    "SELECT id, kind, coalesce(alias, ''), sha256 FROM pb.api_token WHERE sha256 = $1 "
			    "AND revoked_at IS NULL"},
	[PB_API_Q_RUN] = {"pb_api_run", 1, RUN_COLUMNS "WHERE billing_month = $1::date AND status = 'current'"},
	[PB_API_Q_RUN_BY_ID] = {"pb_api_run_by_id", 1, RUN_COLUMNS "WHERE id = $1::bigint"},
	[PB_API_Q_ACCOUNT] = {"pb_api_account", 2,
			      "SELECT " FIGURES "FROM pb.aggregate_account WHERE run_id = $1::bigint AND alias = $2 "
			      "ORDER BY vendor = 'all' DESC, vendor"},
	[PB_API_Q_DAILY] = {"pb_api_daily", 2,
			    "SELECT a.vendor, a.currency, coalesce(to_char(d.usage_date, 'YYYY-MM-DD'), ''), "
			    "trim_scale(d.usage)::text, trim_scale(d.one_off)::text FROM pb.aggregate_account a "
			    "LEFT JOIN pb.aggregate_daily d ON d.run_id = a.run_id AND d.alias = a.alias AND "
			    "d.vendor = a.vendor WHERE a.run_id = $1::bigint AND a.alias = $2 AND a.vendor <> 'all' "
			    "ORDER BY a.vendor, d.usage_date"},
	[PB_API_Q_LIST] = {"pb_api_list", 3,
			   "SELECT x.alias, x." FIGURES "FROM pb.aggregate_account x JOIN (SELECT alias FROM "
			   "pb.aggregate_account WHERE run_id = $1::bigint AND vendor = 'all' AND alias > $2 "
			   "ORDER BY alias LIMIT $3::integer) p ON p.alias = x.alias WHERE x.run_id = $1::bigint "
			   "ORDER BY x.alias, x.vendor = 'all' DESC, x.vendor"},
};
