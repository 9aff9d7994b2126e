#!/usr/bin/env bash
# bench/store.sh: storing an import next to reading it. For a generated legacy AWS CUR and an Azure cost details
# export (MCA) of BENCH_ROWS lines each, in the same run and the same throwaway cluster: pb-ingest --summary,
# the store (pb-ingest without --summary), and the peer a database engineer would write: COPY of the raw file
# into a table of text columns, then one INSERT ... SELECT ... GROUP BY into the daily grain with exact numeric
# sums. Wall time and peak RSS of each; the targets as PASS or MISS: CUR store <= 2x its --summary, Azure
# store <= 3x, each <= 64 MB peak RSS, each >= 5x faster than the peer.
#
# Environment: BENCH_ROWS (default 1000000) lines per file; BENCH_STORE_RUNS (default 3) runs of each, best
# wall time and greatest RSS kept; BENCH_STORE_BIG=N also stores an Azure file of N lines once (10000000 for
# the issue's check: its peak RSS must be the 1M one's; about 10 GB of disk). PB_BIN (default bin): the programs'
# folder, to time another build. PB_STORE_MEMORY is passed on.
# Exit status: 0 when everything ran and the stored rows match --summary=daily's, whatever the targets say.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROWS=${BENCH_ROWS:-1000000}
RUNS=${BENCH_STORE_RUNS:-3}
BIG=${BENCH_STORE_BIG:-0}
SEED=20261001
DIR=$PWD/var/bench
VAR=$DIR/store-pg
TIME=/usr/bin/time
BIN=${PB_BIN:-bin}
PB=$BIN/pb-ingest
MAX_CUR_RATIO=2
MAX_AZ_RATIO=3
MAX_RSS_KB=$((64 * 1024))
MIN_PEER=5
export PB_VAR_DIR=$VAR
unset PB_DATABASE_URL PGHOST PGHOSTADDR PGDATABASE PGSERVICE PGUSER PGPORT

die() {
	echo "bench: $*" >&2
	exit 1
}
for n in "$ROWS" "$RUNS"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "'$n' is not a positive whole number"
done
[[ $BIG =~ ^[0-9]+$ ]] || die "BENCH_STORE_BIG '$BIG' is not a whole number"
[[ -x $PB && -x "$BIN/pb-db" ]] || die "run make first"
[[ -x $TIME ]] || die "$TIME not found (apt-get install time)"
mkdir -p "$DIR"
chmod 755 var "$DIR" 2>/dev/null || true

label() {
	local n=$1
	if ((n % 1000000 == 0)); then echo "$((n / 1000000))M"; elif ((n % 1000 == 0)); then echo "$((n / 1000))K"; else echo "$n"; fi
}
slug() { label "$1" | tr 'MK' 'mk'; }

# input NAME ROWS GEN ARGS...: $DIR/NAME made by bench/GEN.c unless a file of the same generator and size is there.
input() {
	local file=$DIR/$1 rows=$2 gen=$3 stamp
	shift 3
	cc -O2 -std=c11 -Wall -Wextra -Werror -o "$DIR/$gen" "bench/$gen.c"
	stamp="gen=$(cat "bench/$gen.c" bench/gen_common.h | sha256sum | cut -d' ' -f1) $* rows=$rows seed=$SEED"
	if [[ -f $file && -f $file.store-stamp && $(cat "$file.store-stamp") == "$stamp" ]]; then
		echo "bench: reusing $file" >&2
		return
	fi
	echo "bench: generating $file ($rows lines)" >&2
	"$DIR/$gen" "$rows" "$SEED" "$@" >"$file.tmp"
	mv "$file.tmp" "$file"
	echo "$stamp" >"$file.store-stamp"
}

CUR=$DIR/cur-$(slug "$ROWS").csv
AZ=$DIR/azure-mca-$(slug "$ROWS").csv
input "$(basename "$CUR")" "$ROWS" gen_cur
input "$(basename "$AZ")" "$ROWS" gen_azure --mca
if ((BIG)); then
	AZ_BIG=$DIR/azure-mca-$(slug "$BIG").csv
	input "$(basename "$AZ_BIG")" "$BIG" gen_azure --mca
fi

rm -rf "$VAR"
mkdir -p "$VAR"
chmod 755 "$VAR"
stop() { "$BIN/pb-db" stop >/dev/null 2>&1 || true; rm -rf "$VAR"; }
trap stop EXIT
{ "$BIN/pb-db" init && "$BIN/pb-db" start && "$BIN/pb-db" migrate; } >/dev/null || die "cannot start the bench cluster"
sql() { "$BIN/pb-db" psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

# once NAME CMD...: one run under $TIME; WALL seconds and RSS_KB, stdout in $DIR/store-NAME.out.
once() {
	local name=$1
	shift
	"$TIME" -f '%e %M' -o "$DIR/store-$name.time" "$@" >"$DIR/store-$name.out" 2>"$DIR/store-$name.err" ||
		die "$name failed: $(tail -n 5 "$DIR/store-$name.err")"
	read -r WALL RSS_KB < <(tail -n 1 "$DIR/store-$name.time")
}
declare -A T M A
# best NAME CMD...: RUNS runs; T[NAME] least wall seconds, M[NAME] greatest RSS in KB, A[NAME] every wall time.
best() {
	local name=$1 i
	shift
	T[$name]= M[$name]=0 A[$name]=
	for ((i = 0; i < RUNS; i++)); do
		once "$name" "$@"
		A[$name]+="${A[$name]:+ }$WALL"
		if [[ -z ${T[$name]} ]] || awk -v a="$WALL" -v b="${T[$name]}" 'BEGIN { exit !(a < b) }'; then T[$name]=$WALL; fi
		((RSS_KB > M[$name])) && M[$name]=$RSS_KB
	done
	return 0
}

# The peer's tables: every column of the export as text, and the daily grain with exact sums.
sql <<'SQL' >/dev/null
CREATE TABLE peer_cur_raw (
	"identity/LineItemId" text, "identity/TimeInterval" text, "bill/InvoiceId" text, "bill/BillingEntity" text,
	"bill/BillType" text, "bill/PayerAccountId" text, "bill/BillingPeriodStartDate" text,
	"bill/BillingPeriodEndDate" text, "lineItem/UsageAccountId" text, "lineItem/LineItemType" text,
	"lineItem/UsageStartDate" text, "lineItem/UsageEndDate" text, "lineItem/ProductCode" text,
	"lineItem/UsageType" text, "lineItem/Operation" text, "lineItem/AvailabilityZone" text,
	"lineItem/ResourceId" text, "lineItem/UsageAmount" text, "lineItem/CurrencyCode" text,
	"lineItem/UnblendedRate" text, "lineItem/UnblendedCost" text, "lineItem/BlendedRate" text,
	"lineItem/BlendedCost" text, "lineItem/LineItemDescription" text, "product/ProductName" text,
	"product/region" text, "product/regionCode" text, "product/instanceType" text, "product/location" text,
	"pricing/publicOnDemandCost" text, "pricing/publicOnDemandRate" text, "pricing/term" text, "pricing/unit" text,
	"reservation/ReservationARN" text, "reservation/EffectiveCost" text, "savingsPlan/SavingsPlanARN" text,
	"savingsPlan/SavingsPlanEffectiveCost" text, "savingsPlan/SavingsPlanRate" text, "resourceTags/user:Name" text,
	"resourceTags/user:CostCenter" text, "resourceTags/user:Environment" text);
CREATE TABLE peer_az_raw (
	"invoiceId" text, "previousInvoiceId" text, "billingAccountId" text, "billingAccountName" text,
	"billingProfileId" text, "billingProfileName" text, "invoiceSectionId" text, "invoiceSectionName" text,
	"resellerName" text, "resellerMpnId" text, "costCenter" text, "billingPeriodEndDate" text,
	"billingPeriodStartDate" text, "servicePeriodEndDate" text, "servicePeriodStartDate" text, "date" text,
	"serviceFamily" text, "productOrderId" text, "productOrderName" text, "consumedService" text, "meterId" text,
	"meterName" text, "meterCategory" text, "meterSubCategory" text, "meterRegion" text, "ProductId" text,
	"ProductName" text, "SubscriptionId" text, "subscriptionName" text, "publisherType" text, "publisherId" text,
	"publisherName" text, "resourceGroupName" text, "ResourceId" text, "resourceLocation" text, "location" text,
	"effectivePrice" text, "quantity" text, "unitOfMeasure" text, "chargeType" text, "billingCurrency" text,
	"pricingCurrency" text, "costInBillingCurrency" text, "costInPricingCurrency" text, "costInUsd" text,
	"paygCostInBillingCurrency" text, "paygCostInUsd" text, "exchangeRatePricingToBilling" text,
	"exchangeRateDate" text, "isAzureCreditEligible" text, "serviceInfo1" text, "serviceInfo2" text,
	"additionalInfo" text, "tags" text, "PayGPrice" text, "frequency" text, "term" text, "reservationId" text,
	"reservationName" text, "pricingModel" text, "unitPrice" text, "costAllocationRuleName" text, "benefitId" text,
	"benefitName" text, "provider" text);
CREATE TABLE peer_daily (billing_month date, partner_account_id text, usage_date date, charge_type text,
	service text, region text, currency text, list_cost numeric, billed_cost numeric, line_count bigint);
SQL
[[ $(head -n 1 "$CUR" | tr ',' '\n' | wc -l) == 41 && $(head -n 1 "$AZ" | tr ',' '\n' | wc -l) == 65 ]] ||
	die "the generators' columns changed: update the peer's tables"

# The peer's script for one file: truncate, COPY, GROUP BY, all in one session, as one would run it.
peer_cur() {
	cat <<SQL
TRUNCATE peer_cur_raw, peer_daily;
\\copy peer_cur_raw FROM '$1' (FORMAT csv, HEADER true)
INSERT INTO peer_daily SELECT "bill/BillingPeriodStartDate"::timestamptz::date, "lineItem/UsageAccountId",
	"lineItem/UsageStartDate"::timestamptz::date, "lineItem/LineItemType", "lineItem/ProductCode",
	"product/region", "lineItem/CurrencyCode", sum(nullif("pricing/publicOnDemandCost", '')::numeric),
	sum(nullif("lineItem/UnblendedCost", '')::numeric), count(*)
FROM peer_cur_raw GROUP BY 1, 2, 3, 4, 5, 6, 7;
SQL
}
peer_az() {
	cat <<SQL
TRUNCATE peer_az_raw, peer_daily;
\\copy peer_az_raw FROM '$1' (FORMAT csv, HEADER true)
INSERT INTO peer_daily SELECT "billingPeriodStartDate"::date, "SubscriptionId", "date"::date,
	"chargeType" || coalesce('/' || nullif("pricingModel", 'OnDemand'), ''), "meterCategory", "resourceLocation",
	"billingCurrency", sum(nullif("PayGPrice", '')::numeric * "quantity"::numeric
	* coalesce(nullif("exchangeRatePricingToBilling", '')::numeric, 1)),
	sum("costInBillingCurrency"::numeric), count(*)
FROM peer_az_raw GROUP BY 1, 2, 3, 4, 5, 6, 7;
SQL
}

# stored_matches FORMAT FILE SOURCE: whether the current import of SOURCE holds exactly --summary=daily's rows.
stored_matches() {
	local want got
	want=$("$PB" --format "$1" --summary=daily --no-progress "$2" 2>/dev/null | tail -n +2 |
		python3 -c 'import csv, sys
for r in csv.reader(sys.stdin): print("|".join(r))' | sha256sum)
	got=$(sql -F'|' -c "SELECT u.vendor, u.billing_month, u.partner_account_id, u.usage_date,
		u.charge_category, u.charge_type, u.service, u.region, u.currency,
		coalesce(trim_scale(sum(u.list_cost))::text, ''), trim_scale(sum(u.billed_cost)), sum(u.line_count)
		FROM pb.usage_daily u JOIN pb.import i ON i.id = u.import_id WHERE i.status = 'committed' AND i.source = '$3'
		GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 ORDER BY u.partner_account_id COLLATE \"C\", u.usage_date,
		u.charge_category COLLATE \"C\", u.charge_type COLLATE \"C\", u.service COLLATE \"C\",
		u.region COLLATE \"C\", u.currency COLLATE \"C\"" | sha256sum)
	[[ $want == "$got" ]]
}

MISMATCH=0
# one FORMAT P FILE PEER: the three tools on FILE, named P_summary, P_store and P_peer.
one() {
	local format=$1 p=$2 file=$3 peer=$4
	cat "$file" >/dev/null
	echo "bench: $format, $file: --summary, the store and the peer, $RUNS runs each" >&2
	best "${p}_summary" "$PB" --format "$format" --summary --no-progress "$file"
	best "${p}_store" "$PB" --format "$format" --no-progress --source "bench:$p" "$file"
	"$peer" "$file" >"$DIR/store-$p-peer.sql"
	best "${p}_peer" "$BIN/pb-db" psql -X -q -v ON_ERROR_STOP=1 -f "$DIR/store-$p-peer.sql"
	if stored_matches "$format" "$file" "bench:$p"; then
		echo "  $format: the stored rows are --summary=daily's rows: MATCH" >>"$DIR/store-checks.txt"
	else
		echo "  $format: the stored rows are --summary=daily's rows: MISMATCH" >>"$DIR/store-checks.txt"
		MISMATCH=1
	fi
}

: >"$DIR/store-checks.txt"
one aws-cur cur "$CUR" peer_cur
peer_cur_rows=$(sql -c "SELECT count(*) FROM peer_daily")
one azure-cost az "$AZ" peer_az
peer_az_rows=$(sql -c "SELECT count(*) FROM peer_daily")
if ((BIG)); then
	cat "$AZ_BIG" >/dev/null
	echo "bench: storing $AZ_BIG once" >&2
	once az_big "$PB" --format azure-cost --no-progress --source bench:az-big "$AZ_BIG"
	T[az_big]=$WALL M[az_big]=$RSS_KB
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 0.005; printf "%.2f", a / b }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
verdict() {
	if awk -v v="$1" -v op="$2" -v lim="$3" 'BEGIN { exit !(op == ">=" ? v >= lim : v <= lim) }'; then echo PASS; else echo MISS; fi
}
target() { printf '  %-44s %10s  %s\n' "$1" "$2" "$(verdict "$3" "$4" "$5")"; }
line() { printf '  %-24s %-34s %8s %12s  %s\n' "$1" "$2" "${T[$3]}" "$(mb "${M[$3]}")" "${A[$3]:-}"; }
rows_of() { grep -o '[0-9]* daily rows' "$DIR/store-$1.out" | cut -d' ' -f1; }

L=$(label "$ROWS")
echo
echo "store bench: $("$PB" --version 2>/dev/null || echo pb-ingest), $(postgres --version 2>/dev/null ||
	pg_config --version 2>/dev/null || echo PostgreSQL), $(nproc) cores; wall = best of $RUNS (page cache warm,"
echo "every run listed), RSS = peak of the program run (for the peer: psql, the server does the work)"
echo
printf '  %-24s %-34s %8s %12s  %s\n' input tool wall_s peak_rss_MB "all runs"
line "aws-cur legacy $L" "pb-ingest --summary" cur_summary
line "aws-cur legacy $L" "pb-ingest (store, $(rows_of cur_store) rows)" cur_store
line "aws-cur legacy $L" "peer: COPY + GROUP BY ($peer_cur_rows rows)" cur_peer
line "azure-cost mca $L" "pb-ingest --summary" az_summary
line "azure-cost mca $L" "pb-ingest (store, $(rows_of az_store) rows)" az_store
line "azure-cost mca $L" "peer: COPY + GROUP BY ($peer_az_rows rows)" az_peer
((BIG)) && line "azure-cost mca $(label "$BIG")" "pb-ingest (store, 1 run)" az_big
echo
echo "checks:"
cat "$DIR/store-checks.txt"
echo
cur_ratio=$(ratio "${T[cur_store]}" "${T[cur_summary]}")
az_ratio=$(ratio "${T[az_store]}" "${T[az_summary]}")
cur_peer=$(ratio "${T[cur_peer]}" "${T[cur_store]}")
az_peer=$(ratio "${T[az_peer]}" "${T[az_store]}")
echo "targets:"
target "CUR store <= ${MAX_CUR_RATIO}x its --summary" "${cur_ratio}x" "$cur_ratio" "<=" "$MAX_CUR_RATIO"
target "Azure store <= ${MAX_AZ_RATIO}x its --summary" "${az_ratio}x" "$az_ratio" "<=" "$MAX_AZ_RATIO"
target "CUR store peak RSS <= 64 MB" "$(mb "${M[cur_store]}") MB" "${M[cur_store]}" "<=" "$MAX_RSS_KB"
target "Azure store peak RSS <= 64 MB" "$(mb "${M[az_store]}") MB" "${M[az_store]}" "<=" "$MAX_RSS_KB"
target "CUR store >= ${MIN_PEER}x faster than the peer" "${cur_peer}x" "$cur_peer" ">=" "$MIN_PEER"
target "Azure store >= ${MIN_PEER}x faster than the peer" "${az_peer}x" "$az_peer" ">=" "$MIN_PEER"
if ((BIG)); then
	target "Azure $(label "$BIG") store peak RSS <= $L's + 10%" "$(mb "${M[az_big]}") MB" "${M[az_big]}" "<=" \
		"$((M[az_store] * 11 / 10))"
else
	printf '  %-44s %10s  %s\n' "Azure 10M store peak RSS = the 1M one's" "-" "SKIPPED (BENCH_STORE_BIG=10000000)"
fi
((MISMATCH)) && die "the stored rows differ from --summary=daily's"
exit 0
