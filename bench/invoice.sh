#!/usr/bin/env bash
# bench/invoice.sh: pb-invoice on a month of N CLC accounts and on one of 10N, in a throwaway cluster under
# var/bench/invoice. Each account has two AWS accounts and an Azure subscription, 8 services each, usage and
# a credit (about 32 rows of detail per account); one account in ten is invoiced in EUR. September holds the
# N accounts, October the 10N (other accounts), both aggregated with --detail and final. For each month, the
# wall time and peak RSS (/usr/bin/time -f '%e s %M KB') of: --draft (the export CSV on standard output),
# --issue --out DIR (the export and detail files), --issue again (the files made again and checked against
# the stored hashes: "nothing to do"), --report, --diff and --focus; and the SHA-256 of what each wrote, so that
# two builds' outputs can be compared byte for byte. Target: no peak RSS at 10N more than 1.5x the one at N
# (PASS or MISS): pb-invoice streams, its memory does not grow with the accounts.
#
# Environment: BENCH_INVOICE_ACCOUNTS (default 2000) is N; PB_INVOICE_BIN another build's pb-invoice (the
# "before" numbers of bench/README.md); BENCH_KEEP=1 keeps the cluster and files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

N=${BENCH_INVOICE_ACCOUNTS:-2000}
PBV=${PB_INVOICE_BIN:-$PWD/bin/pb-invoice}
VAR=$PWD/var/bench/invoice
TIME=/usr/bin/time
export PB_VAR_DIR=$VAR PB_PRICING_CONFIG=$PWD/config/pricing.conf PB_ELIGIBILITY_CONFIG=$PWD/config/eligibility.conf
export PB_SERVICE_CATEGORIES=$PWD/config/service-categories.conf
unset PB_DATABASE_URL PGHOST PGHOSTADDR PGDATABASE PGSERVICE PGUSER PGPORT

die() {
	echo "bench: $*" >&2
	exit 1
}
[[ -x bin/pb-db && -x $PBV ]] || die "run make first"
[[ -x $TIME ]] || die "$TIME not found (apt-get install time)"
[[ $N =~ ^[1-9][0-9]*$ && $N -le 100000 ]] || die "'$N' is not a whole number from 1 to 100000"
rm -rf "$VAR"
mkdir -p "$VAR"
chmod 755 var/bench "$VAR"
stop() { bin/pb-db stop >/dev/null 2>&1 || true; rm -rf "$VAR"; }
[[ -n ${BENCH_KEEP:-} ]] || trap stop EXIT
{ bin/pb-db init && bin/pb-db start && bin/pb-db migrate; } >/dev/null || die "no cluster"
sql() { bin/pb-db psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

# month DAY0 PREFIX ACCOUNTS IMPORT: ACCOUNTS CLC accounts PREFIX1.. linked in the month of DAY0 only, two final
# imports of it (aws IMPORT, azure IMPORT+1), and the month's aggregate run with its detail, made by SQL as
# pb-aggregate --detail makes them (each partner account's charges on one day; no markup; EUR accounts converted
# at the month's rate, exactly), so that only pb-invoice is timed (bench/aggregate.sh times pb-aggregate --detail).
month() {
	sql -v day0="$1" -v pre="$2" -v n="$3" -v imp="$4" <<'SQL'
\i bench/month.sql
INSERT INTO pb.import_account (import_id, partner_account_id, currency, line_count, list_total, billed_total,
	first_day, last_day)
SELECT CASE WHEN vendor = 'aws' THEN :imp ELSE :imp + 1 END, partner_account_id, 'USD', 16, 0, 0,
	:'day0'::date + (id % 28)::int, :'day0'::date + (id % 28)::int
FROM pb.partner_account WHERE alias LIKE :'pre' || '%';
INSERT INTO pb.aggregate_run (billing_month, as_of, status, imports, pricing_file, pricing_sha256, detail, started_at,
	run_by)
VALUES (:'day0'::date, (:'day0'::date + interval '1 month' - interval '1 day')::date, 'current',
	ARRAY[:imp, :imp + 1]::bigint[], 'bench', repeat('0', 64), true, now(), 'bench');
INSERT INTO pb.aggregate_source (run_id, vendor, format, source, import_id, last_day, complete_through, final)
SELECT currval('pb.aggregate_run_id_seq'), vendor, format, source, id,
	(:'day0'::date + interval '1 month' - interval '1 day')::date,
	(:'day0'::date + interval '1 month' - interval '1 day')::date, true FROM pb.import WHERE id IN (:imp, :imp + 1);
INSERT INTO pb.aggregate_detail (run_id, alias, vendor, partner_account_id, usage_date, service, region,
	charge_category, currency, amount, list, billed, line_count)
SELECT currval('pb.aggregate_run_id_seq'), p.alias, p.vendor, p.partner_account_id, :'day0'::date + (p.id % 28)::int,
	'Service ' || s, 'us-east-1', c, 'USD', v, v, v, 1
FROM pb.partner_account p, generate_series(1, 8) s, unnest(ARRAY['Usage', 'Credit']) c,
	LATERAL (SELECT round(((p.id * 6007 + s * 17) % 100000) / 1100.0, 6) * CASE WHEN c = 'Credit' THEN -0.01 ELSE 1 END) x (v)
WHERE p.alias LIKE :'pre' || '%';
INSERT INTO pb.aggregate_account (run_id, alias, vendor, currency, month_to_date, markup_percent, markup, estimate, low80,
	high80, low90, high90, method, complete_through, final)
SELECT r, alias, vendor, cur, t, 0, 0, round(t, 2), round(t, 2), round(t, 2), round(t, 2), round(t, 2), 'final',
	(:'day0'::date + interval '1 month' - interval '1 day')::date, true
FROM (SELECT d.run_id AS r, d.alias, coalesce(d.vendor, 'all') AS vendor, c.invoice_currency AS cur,
	sum(d.amount) * CASE WHEN c.invoice_currency = 'USD' THEN 1 ELSE (SELECT rate FROM pb.fx_rate
	WHERE month = :'day0'::date AND from_currency = 'USD' AND to_currency = c.invoice_currency) END AS t
	FROM pb.aggregate_detail d JOIN pb.clc_account c ON c.alias = d.alias
	WHERE d.run_id = currval('pb.aggregate_run_id_seq') GROUP BY GROUPING SETS ((1, 2, 4, d.vendor), (1, 2, 4))) x;
SQL
}

echo "bench: September with $N CLC accounts, October with $((N * 10)) (3 partner accounts each)"
printf 'month,from,to,rate\n2026-09,USD,EUR,0.9137\n2026-10,USD,EUR,0.9219\n' >"$VAR/rates.csv"
bin/pb-aggregate rates --load "$VAR/rates.csv" >/dev/null
month 2026-09-01 S "$N" 1 >/dev/null
month 2026-10-01 T "$((N * 10))" 3 >/dev/null
sql -c "VACUUM ANALYZE" >/dev/null

# measure MONTH NAME ARGS...: pb-invoice --month MONTH ARGS under time; prints the row of the table.
measure() {
	local month=$1 name=$2 t m sha
	shift 2
	"$TIME" -f '%e %M' -o "$VAR/time" "$PBV" --month "$month" "$@" >"$VAR/out" 2>"$VAR/err" ||
		die "$name of $month: exit $?, $(head -c 300 "$VAR/err")"
	read -r t m < <(tail -n 1 "$VAR/time")
	case $name in
	--draft | --diff) sha=$(sha256sum <"$VAR/out") ;;
	--issue*) sha=$(cat "$VAR/inv-$month"/invoice-"$month".csv "$VAR/inv-$month"/invoice-"$month"-detail.csv | sha256sum) ;;
	--report) sha=$(sha256sum <"$VAR/report-$month.html") ;;
	--focus) sha=$(sha256sum <"$VAR/focus-$month.csv") ;;
	esac
	printf '| %s | %s | %s s | %s KB | %.12s |\n' "$name" "$ACCOUNTS" "$t" "$m" "$sha"
	PEAK[$name/$month]=$m
}

declare -A PEAK
echo
echo "| pb-invoice | accounts | wall | peak RSS | SHA-256 of the output |"
echo "|---|---|---|---|---|"
for month in 2026-09 2026-10; do
	ACCOUNTS=$N
	[[ $month == 2026-10 ]] && ACCOUNTS=$((N * 10))
	mkdir -p "$VAR/inv-$month"
	measure $month --draft --draft
	measure $month --issue --issue --out "$VAR/inv-$month"
	measure $month "--issue again" --issue --out "$VAR/inv-$month"
	grep -q "nothing to do" "$VAR/out" || die "--issue again of $month: $(cat "$VAR/out")"
	measure $month --report --report "$VAR/report-$month.html"
	measure $month --diff --diff
	measure $month --focus --focus "$VAR/focus-$month.csv"
done
echo
echo "detail rows at $((N * 10)) accounts: $(($(wc -l <"$VAR/inv-2026-10/invoice-2026-10-detail.csv") - 1)), $(($(stat -c %s "$VAR/inv-2026-10/invoice-2026-10-detail.csv") / 1024)) KB"
for k in --draft --issue "--issue again" --report --diff --focus; do
	a=${PEAK[$k/2026-09]} b=${PEAK[$k/2026-10]}
	echo "$k: peak RSS at 10N / at N: $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx (target <= 1.5x: %s)", b / a, b <= 1.5 * a ? "PASS" : "MISS" }')"
done
