#!/usr/bin/env bash
# bench/aggregate.sh: pb-aggregate on a month of 20,000 partner accounts linked to 5,000 CLC accounts, 30 days,
# 10 daily rows per partner account and day (6 M daily rows), next to the plain SQL GROUP BY of the same rows
# into per-account sums, in the same database and the same run; and pb-aggregate's peak memory on that month
# and on one of half as many rows (it must not grow with the rows). Then `pb-aggregate rates --load` of a rates
# file of BENCH_AGG_RATES lines and of one of a tenth as many: its peak memory must not grow with the lines.
#
# Environment: BENCH_AGG_ACCOUNTS (default 20000) partner accounts, BENCH_AGG_ROWS_PER_DAY (default 10),
# BENCH_AGG_RATES (default 100000) rates.
# The data is made in a throwaway cluster under var/bench/agg by SQL (about a minute), then dropped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PAS=${BENCH_AGG_ACCOUNTS:-20000}
PER_DAY=${BENCH_AGG_ROWS_PER_DAY:-10}
RATES=${BENCH_AGG_RATES:-100000}
CLC=$((PAS / 4))
RUNS=3
TARGET=1.5
VAR=$PWD/var/bench/agg
TIME=/usr/bin/time
export PB_VAR_DIR=$VAR PB_PRICING_CONFIG=$PWD/config/pricing.conf PB_ELIGIBILITY_CONFIG=$PWD/config/eligibility.conf
unset PB_DATABASE_URL PGHOST PGHOSTADDR PGDATABASE PGSERVICE PGUSER PGPORT

[[ -x bin/pb-aggregate ]] || { echo "bench: run make first" >&2; exit 1; }
rm -rf "$VAR"
mkdir -p "$VAR"
chmod 755 "$VAR" var/bench
stop() { bin/pb-db stop >/dev/null 2>&1 || true; rm -rf "$VAR"; }
[[ -n ${BENCH_KEEP:-} ]] || trap stop EXIT
{ bin/pb-db init && bin/pb-db start && bin/pb-db migrate; } >/dev/null || { echo "bench: no cluster" >&2; exit 1; }
sql() { bin/pb-db psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

# month DAY0 DAYS IMPORT: one import of DAYS days from DAY0, PER_DAY rows per partner account and day.
month() {
	sql -v day0="$1" -v days="$2" -v imp="$3" -v pas="$PAS" -v per="$PER_DAY" <<'SQL'
SELECT pb.ensure_usage_partition(date_trunc('month', :'day0'::date)::date);
INSERT INTO pb.import (id, vendor, format, source, billing_month, status, final)
	VALUES (:imp, 'aws', 'aws-cur', 'bench:' || :imp, date_trunc('month', :'day0'::date), 'committed', false);
INSERT INTO pb.usage_daily (import_id, vendor, billing_month, partner_account_id, usage_date, charge_category,
	charge_type, service, region, currency, list_cost, billed_cost, line_count, list_source)
SELECT :imp, 'aws', date_trunc('month', :'day0'::date), lpad((100000000000 + a)::text, 12, '0'), :'day0'::date + d,
	CASE WHEN s = 10 THEN 'Tax' WHEN s = 9 THEN 'Credit' WHEN s = 8 THEN 'Purchase' ELSE 'Usage' END,
	CASE WHEN s = 10 THEN 'Tax' WHEN s = 9 THEN 'EdpDiscount' WHEN s = 8 THEN 'Fee' ELSE 'Usage' END,
	'Service ' || s, 'us-east-1', 'USD',
	CASE WHEN s >= 9 THEN NULL ELSE round((((a * 7919 + d * 104729 + s * 13) % 100000) / 10000.0)::numeric, 10) END,
	round((((a * 6007 + d * 7907 + s * 17) % 100000) / 11000.0)::numeric, 10) * CASE WHEN s = 9 THEN -1 ELSE 1 END,
	1 + (a + d + s) % 24, CASE WHEN s >= 9 THEN 'none' ELSE 'export' END
FROM generate_series(1, :pas) a, generate_series(0, :days - 1) d, generate_series(1, :per) s;
INSERT INTO pb.import_account (import_id, partner_account_id, currency, line_count, list_total, billed_total,
	first_day, last_day)
SELECT :imp, partner_account_id, currency, sum(line_count), coalesce(sum(list_cost), 0), coalesce(sum(billed_cost), 0),
	min(usage_date), max(usage_date) FROM pb.usage_daily WHERE import_id = :imp GROUP BY 2, 3;
INSERT INTO pb.import_charge (import_id, charge_category, charge_type, line_count, list_total, billed_total)
SELECT :imp, charge_category, charge_type, sum(line_count), coalesce(sum(list_cost), 0), coalesce(sum(billed_cost), 0)
	FROM pb.usage_daily WHERE import_id = :imp GROUP BY 2, 3;
SQL
}

echo "bench: making $CLC CLC accounts, $PAS partner accounts and $((PAS * PER_DAY * 30)) daily rows"
sql -v clc="$CLC" -v pas="$PAS" <<'SQL'
INSERT INTO pb.clc_account (alias, name, billing_country, created_by)
	SELECT 'A' || lpad(i::text, 5, '0'), 'Account ' || i, 'US', 'bench' FROM generate_series(1, :clc) i;
INSERT INTO pb.terms_acceptance (alias, terms, region, version, accepted_by)
	SELECT alias, 'centurylink', NULL, '1', 'bench' FROM pb.clc_account
	UNION ALL SELECT alias, 'aws', 'US', '1', 'bench' FROM pb.clc_account;
INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, created_by)
	SELECT 'aws', lpad((100000000000 + i)::text, 12, '0'), 'A' || lpad(((i - 1) % :clc + 1)::text, 5, '0'),
	'2026-01-01', 'bench' FROM generate_series(1, :pas - :pas / 100) i;
SQL
month 2026-10-01 30 1
month 2026-09-01 15 2
sql -c "VACUUM ANALYZE" >/dev/null
rows=$(sql -c "SELECT count(*) FROM pb.usage_daily WHERE billing_month = '2026-10-01'")

# best NAME CMD...: the best wall time of RUNS runs (seconds, 2 decimals) in BEST, peak RSS (KB) in PEAK.
best() {
	local name=$1 i t
	shift
	BEST=
	PEAK=0
	for ((i = 0; i < RUNS; i++)); do
		"$TIME" -f '%e %M' -o "$VAR/$name.time" "$@" >"$VAR/$name.out" 2>"$VAR/$name.err" ||
			{ echo "bench: $name failed: $(cat "$VAR/$name.err")" >&2; exit 1; }
		read -r t m <"$VAR/$name.time"
		if [[ -z $BEST ]] || awk -v a="$t" -v b="$BEST" 'BEGIN { exit !(a < b) }'; then BEST=$t; fi
		if ((m > PEAK)); then PEAK=$m; fi
	done
}

best groupby bin/pb-db psql -X -q -c "SELECT alias, sum(list_cost), sum(billed_cost) FROM pb.usage_attributed
	WHERE billing_month = '2026-10-01' GROUP BY alias"
t_sql=$BEST
best aggregate bin/pb-aggregate --month 2026-10 --as-of 2026-10-31
t_agg=$BEST
m_agg=$PEAK
best aggregate_half bin/pb-aggregate --month 2026-09 --as-of 2026-09-30
m_half=$PEAK
ratio=$(awk -v a="$t_agg" -v b="$t_sql" 'BEGIN { printf "%.2f", a / b }')
verdict=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print (r <= t ? "PASS" : "MISS") }')
echo
echo "| what | rows | time (best of $RUNS) | peak RSS |"
echo "|---|---|---|---|"
echo "| SQL GROUP BY alias over pb.usage_attributed | $rows | ${t_sql} s | (server) |"
echo "| pb-aggregate --month (totals, estimates, reconciliation, stored) | $rows | ${t_agg} s | $((m_agg / 1024)) MB |"
echo "| pb-aggregate --month, half the rows | $((rows / 2)) | | $((m_half / 1024)) MB |"
echo
echo "pb-aggregate / GROUP BY: ${ratio}x (target <= ${TARGET}x): $verdict"
echo "$(grep -c . "$VAR/aggregate.out") lines of summary; $(sql -c "SELECT count(*) FROM pb.aggregate_account WHERE run_id = (SELECT max(id) FROM pb.aggregate_run WHERE billing_month = '2026-10-01')") account rows stored"

# rates N FILE: N rates, ten currencies to USD per month from the year 1000 on (no pair twice).
rates() {
	awk -v n="$1" 'BEGIN { print "month,from,to,rate"; split("EUR GBP JPY CHF CAD AUD SEK NOK DKK PLN", c, " ")
		for (i = 0; i < n; i++) printf "%04d-%02d,%s,USD,1.%d\n", 1000 + int(i / 120), int(i / 10) % 12 + 1, c[i % 10 + 1], i }' >"$2"
}
rates "$((RATES / 10))" "$VAR/rates-small.csv"
rates "$RATES" "$VAR/rates.csv"
"$TIME" -f '%e %M' -o "$VAR/rates-small.time" bin/pb-aggregate rates --load "$VAR/rates-small.csv" >/dev/null
"$TIME" -f '%e %M' -o "$VAR/rates.time" bin/pb-aggregate rates --load "$VAR/rates.csv" >/dev/null
read -r t_rs m_rs <"$VAR/rates-small.time"
read -r t_r m_r <"$VAR/rates.time"
echo
echo "| pb-aggregate rates --load | lines | time | peak RSS |"
echo "|---|---|---|---|"
echo "| a tenth | $((RATES / 10)) | ${t_rs} s | $((m_rs / 1024)) MB |"
echo "| all | $RATES | ${t_r} s | $((m_r / 1024)) MB |"
