#!/usr/bin/env bash
# bench/aggregate.sh: pb-aggregate on a month of 20,000 partner accounts linked to 5,000 CLC accounts, 30 days,
# 10 daily rows per partner account and day (6 M daily rows), next to the plain SQL GROUP BY of the same rows
# into per-account sums, in the same database and the same run; and pb-aggregate's peak memory on that month
# and on one of half as many rows (it must not grow with the rows). Then `pb-aggregate rates --load` of a rates
# file of BENCH_AGG_RATES lines and of one of a tenth as many: its peak memory must not grow with the lines.
# Last, `pb-aggregate --detail` of a month of N CLC accounts and of one of 10N (July and August), each account
# with two AWS accounts and an Azure subscription linked for that month only, 8 services, usage and a credit on
# one day (48 daily rows and 48 rows of detail per account: 960,000 at 20,000 accounts): its wall time must
# grow with the rows, not faster (target: 10N at most 12x N).
#
# Environment: BENCH_AGG_ACCOUNTS (default 20000) partner accounts, BENCH_AGG_ROWS_PER_DAY (default 10),
# BENCH_AGG_RATES (default 100000) rates, BENCH_AGG_DETAIL_ACCOUNTS (default 2000) the N of the detail,
# BENCH_AGG_DETAIL_ONLY=1 only the detail, BENCH_AGG_DETAIL_TIMEOUT (default 1800) seconds after which a run
# of the detail is stopped (and counted a MISS), PB_AGGREGATE_BIN another build's pb-aggregate for the runs of
# --month and of the detail (the "before" numbers of bench/README.md).
# The data is made in a throwaway cluster under var/bench/agg by SQL (about a minute), then dropped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PAS=${BENCH_AGG_ACCOUNTS:-20000}
PER_DAY=${BENCH_AGG_ROWS_PER_DAY:-10}
RATES=${BENCH_AGG_RATES:-100000}
DETAIL_N=${BENCH_AGG_DETAIL_ACCOUNTS:-2000}
DETAIL_TIMEOUT=${BENCH_AGG_DETAIL_TIMEOUT:-1800}
PBA=${PB_AGGREGATE_BIN:-$PWD/bin/pb-aggregate}
CLC=$((PAS / 4))
RUNS=3
TARGET=1.5
VAR=$PWD/var/bench/agg
TIME=/usr/bin/time
export PB_VAR_DIR=$VAR PB_PRICING_CONFIG=$PWD/config/pricing.conf PB_ELIGIBILITY_CONFIG=$PWD/config/eligibility.conf
unset PB_DATABASE_URL PGHOST PGHOSTADDR PGDATABASE PGSERVICE PGUSER PGPORT

[[ -x bin/pb-aggregate && -x $PBA ]] || { echo "bench: run make first" >&2; exit 1; }
[[ $DETAIL_N =~ ^[1-9][0-9]*$ && $DETAIL_N -le 100000 ]] ||
	{ echo "bench: BENCH_AGG_DETAIL_ACCOUNTS '$DETAIL_N' is not a whole number from 1 to 100000" >&2; exit 1; }
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

# detail_month DAY0 PREFIX ACCOUNTS IMPORT: ACCOUNTS CLC accounts PREFIX1.. (one in ten invoiced in EUR), each with
# two AWS accounts and an Azure subscription linked for the month of DAY0 only, and two final imports of the
# month (aws IMPORT, azure IMPORT+1): each partner account's usage and credit of 8 services on one day.
detail_month() {
	sql -v day0="$1" -v pre="$2" -v n="$3" -v imp="$4" <<'SQL'
SELECT pb.ensure_usage_partition(:'day0'::date);
\i bench/month.sql
INSERT INTO pb.usage_daily (import_id, vendor, billing_month, partner_account_id, usage_date, charge_category,
	charge_type, service, region, currency, list_cost, billed_cost, line_count, list_source)
SELECT CASE WHEN p.vendor = 'aws' THEN :imp ELSE :imp + 1 END, p.vendor, :'day0'::date, p.partner_account_id,
	:'day0'::date + (p.id % 28)::int, c, CASE WHEN c = 'Credit' AND p.vendor = 'aws' THEN 'Credit' ELSE 'Usage' END,
	'Service ' || s, 'us-east-1', 'USD', v, v, 1, 'export'
FROM pb.partner_account p, generate_series(1, 8) s, unnest(ARRAY['Usage', 'Credit']) c,
	LATERAL (SELECT round(((p.id * 6007 + s * 17) % 100000) / 1100.0, 6) * CASE WHEN c = 'Credit' THEN -0.01 ELSE 1 END) x (v)
WHERE p.alias LIKE :'pre' || '%';
INSERT INTO pb.import_account (import_id, partner_account_id, currency, line_count, list_total, billed_total,
	first_day, last_day)
SELECT import_id, partner_account_id, currency, sum(line_count), coalesce(sum(list_cost), 0), coalesce(sum(billed_cost), 0),
	min(usage_date), max(usage_date) FROM pb.usage_daily WHERE import_id IN (:imp, :imp + 1) GROUP BY 1, 2, 3;
INSERT INTO pb.import_charge (import_id, charge_category, charge_type, line_count, list_total, billed_total)
SELECT import_id, charge_category, charge_type, sum(line_count), coalesce(sum(list_cost), 0), coalesce(sum(billed_cost), 0)
	FROM pb.usage_daily WHERE import_id IN (:imp, :imp + 1) GROUP BY 1, 2, 3;
SQL
}

# detail: pb-aggregate --detail of July (N accounts) and August (10N), the wall time and peak RSS of each.
detail() {
	local month n t m rc t_n=
	echo "bench: detail: July with $DETAIL_N CLC accounts, August with $((DETAIL_N * 10)) (3 partner accounts each)"
	printf 'month,from,to,rate\n2026-07,USD,EUR,0.9137\n2026-08,USD,EUR,0.9219\n' >"$VAR/detail-rates.csv"
	bin/pb-aggregate rates --load "$VAR/detail-rates.csv" >/dev/null
	detail_month 2026-07-01 J "$DETAIL_N" 11 >/dev/null
	detail_month 2026-08-01 G "$((DETAIL_N * 10))" 13 >/dev/null
	sql -c "VACUUM ANALYZE" >/dev/null
	echo
	echo "| pb-aggregate --detail | CLC accounts | daily rows | rows of detail | wall | peak RSS |"
	echo "|---|---|---|---|---|---|"
	for month in 2026-07 2026-08; do
		n=$DETAIL_N
		[[ $month == 2026-08 ]] && n=$((DETAIL_N * 10))
		rc=0
		"$TIME" -f '%e %M' -o "$VAR/detail.time" timeout "$DETAIL_TIMEOUT" "$PBA" --month "$month" --detail \
			>"$VAR/detail.out" 2>"$VAR/detail.err" || rc=$?
		if ((rc == 124)); then
			echo "| --month $month | $n | $((n * 48)) | | not done in $DETAIL_TIMEOUT s | |"
			echo "pb-aggregate --detail at 10N / at N: MISS (stopped after $DETAIL_TIMEOUT s)"
			return 0
		fi
		((rc == 0)) || { echo "bench: pb-aggregate --detail of $month failed: $(head -c 300 "$VAR/detail.err")" >&2; exit 1; }
		read -r t m < <(tail -n 1 "$VAR/detail.time")
		echo "| --month $month | $n | $((n * 48)) | $(sql -c "SELECT count(*) FROM pb.aggregate_detail WHERE run_id =
			(SELECT id FROM pb.aggregate_run WHERE billing_month = '$month-01' AND status = 'current')") | $t s | $((m / 1024)) MB |"
		[[ -n $t_n ]] || t_n=$t
	done
	awk -v a="$t_n" -v b="$t" 'BEGIN { printf "pb-aggregate --detail at 10N / at N: %.2fx (target <= 12x: %s)\n", b / a, b <= 12 * a ? "PASS" : "MISS" }'
}
if [[ -n ${BENCH_AGG_DETAIL_ONLY:-} ]]; then
	detail
	exit 0
fi

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
best aggregate "$PBA" --month 2026-10 --as-of 2026-10-31
t_agg=$BEST
m_agg=$PEAK
best aggregate_half "$PBA" --month 2026-09 --as-of 2026-09-30
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

detail
