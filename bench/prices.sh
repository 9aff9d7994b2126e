#!/usr/bin/env bash
# bench/prices.sh: pb-prices loading a generated Azure Retail Prices API list of 500,000 items (500 saved pages of
# JSON) and an AWS offer file of 2,000,000 rows (time and peak RSS), into a throwaway cluster; then pb-ingest
# storing a 1,000,000-line Azure export in which every line needs a looked-up list price (PayGPrice empty),
# next to the same export with its list prices present: the lookups may add at most 20% (PASS or MISS). The two
# imports must hold the same list total to the last digit.
#
# Environment: BENCH_PRICE_ITEMS (default 500000), BENCH_OFFER_ROWS (default 2000000), BENCH_PRICE_LINES (default
# 1000000), BENCH_PRICE_RUNS (default 3: runs of each ingest), BENCH_PRICES_INGEST_ONLY=1 (only the Azure load the
# ingests need, then the ingests: no AWS offer, no reload), PB_INGEST_BIN (default bin/pb-ingest: another build's
# pb-ingest, the "before" of a change). The generated files are kept in var/bench/prices and
# reused while their generator and sizes match. CPU is user + system seconds of the program, steadier than wall
# time on a shared machine; the verdict is on wall time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ITEMS=${BENCH_PRICE_ITEMS:-500000}
ROWS=${BENCH_OFFER_ROWS:-2000000}
LINES=${BENCH_PRICE_LINES:-1000000}
SEED=20261014
RUNS=${BENCH_PRICE_RUNS:-3}
INGEST_ONLY=${BENCH_PRICES_INGEST_ONLY:-}
INGEST_BIN=${PB_INGEST_BIN:-bin/pb-ingest}
TARGET=1.2
DIR=$PWD/var/bench/prices
VAR=$DIR/pg
TIME=/usr/bin/time
export PB_VAR_DIR=$VAR
unset PB_DATABASE_URL PGHOST PGHOSTADDR PGDATABASE PGSERVICE PGUSER PGPORT

die() {
	echo "bench: $*" >&2
	exit 1
}
[[ -x bin/pb-prices && -x $INGEST_BIN ]] || die "run make first"
[[ -x $TIME ]] || die "$TIME not found (apt-get install time)"
for n in "$ITEMS" "$ROWS" "$LINES" "$RUNS"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "'$n' is not a positive whole number"
done
mkdir -p "$DIR"
chmod 755 var/bench "$DIR"
cc -O2 -std=c11 -Wall -Wextra -Werror -o "$DIR/gen_prices" bench/gen_prices.c
GEN=$(cat bench/gen_prices.c bench/gen_common.h | sha256sum | cut -d' ' -f1)

# make NAME STAMP CMD...: runs CMD (which writes $DIR/NAME) unless NAME.stamp says it is made already.
make_input() {
	local name=$1 stamp=$2 t0
	shift 2
	if [[ -e $DIR/$name && -f $DIR/$name.stamp && $(cat "$DIR/$name.stamp") == "$stamp" ]]; then
		echo "bench: reusing $DIR/$name" >&2
		return
	fi
	rm -rf "${DIR:?}/$name" "$DIR/$name.stamp"
	echo "bench: generating $DIR/$name" >&2
	t0=$EPOCHREALTIME
	"$@"
	echo "$stamp" >"$DIR/$name.stamp"
	echo "bench: generated in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s" >&2
}
make_input pages "gen=$GEN items=$ITEMS seed=$SEED" "$DIR/gen_prices" azure-pages "$ITEMS" "$SEED" "$DIR/pages"
[[ -n $INGEST_ONLY ]] || make_input offer.csv "gen=$GEN rows=$ROWS seed=$SEED" \
	sh -c "'$DIR/gen_prices' aws-offer $ROWS $SEED >'$DIR/offer.csv'"
mkdir -p "$DIR/list" "$DIR/no-list"
make_input list/usage.csv "gen=$GEN lines=$LINES items=$ITEMS seed=$SEED" \
	sh -c "'$DIR/gen_prices' azure-usage $LINES $SEED $ITEMS >'$DIR/list/usage.csv'"
make_input no-list/usage.csv "gen=$GEN lines=$LINES items=$ITEMS seed=$SEED no-list" \
	sh -c "'$DIR/gen_prices' azure-usage $LINES $SEED $ITEMS --no-list >'$DIR/no-list/usage.csv'"

rm -rf "$VAR"
mkdir -p "$VAR"
chmod 755 "$VAR"
stop() { bin/pb-db stop >/dev/null 2>&1 || true; rm -rf "$VAR"; }
trap stop EXIT
{ bin/pb-db init && bin/pb-db start && bin/pb-db migrate; } >/dev/null || die "cannot start the bench cluster"
sql() { bin/pb-db psql -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"; }

# once NAME CMD...: one timed run; WALL seconds, CPU (user + system) seconds and RSS_KB, stdout in $DIR/NAME.out.
once() {
	local name=$1 user sys
	shift
	"$TIME" -f '%e %M %U %S' -o "$DIR/$name.time" "$@" >"$DIR/$name.out" 2>"$DIR/$name.err" ||
		die "$name failed: $(tail -n 5 "$DIR/$name.err")"
	read -r WALL RSS_KB user sys <"$DIR/$name.time"
	CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
}
# best NAME CMD...: RUNS runs; BEST (least wall seconds), BEST_CPU (least CPU seconds), PEAK (greatest RSS in
# KB), ALL (each run's "wall/CPU"), LOADS (the 1-minute load average before each run).
best() {
	local name=$1 i
	shift
	BEST=
	BEST_CPU=
	PEAK=0
	ALL=
	LOADS=
	for ((i = 0; i < RUNS; i++)); do
		LOADS+="${LOADS:+ }$(cut -d' ' -f1 /proc/loadavg)"
		once "$name" "$@"
		if [[ -z $BEST ]] || awk -v a="$WALL" -v b="$BEST" 'BEGIN { exit !(a < b) }'; then BEST=$WALL; fi
		if [[ -z $BEST_CPU ]] || awk -v a="$CPU" -v b="$BEST_CPU" 'BEGIN { exit !(a < b) }'; then BEST_CPU=$CPU; fi
		((RSS_KB > PEAK)) && PEAK=$RSS_KB
		ALL+="${ALL:+, }$WALL/$CPU"
	done
	return 0
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
size_mb() { du -sm "$1" | cut -f1; }

echo "bench: loading $ITEMS Azure retail prices${INGEST_ONLY:+ (only)}${INGEST_ONLY:- and $ROWS AWS offer rows}" >&2
cat "$DIR"/pages/*.json >/dev/null
once azure bin/pb-prices load --format azure-retail --no-progress --source bench-azure "$DIR"/pages/page-*.json
t_azure=$WALL m_azure=$RSS_KB
prices_azure=$(sql "SELECT row_count FROM pb.price_load WHERE vendor = 'azure' AND status = 'committed'")
if [[ -z $INGEST_ONLY ]]; then
	cat "$DIR/offer.csv" >/dev/null
	once aws bin/pb-prices load --format aws-offer --no-progress "$DIR/offer.csv"
	t_aws=$WALL m_aws=$RSS_KB
	prices_aws=$(sql "SELECT row_count FROM pb.price_load WHERE vendor = 'aws' AND status = 'committed'")
	once azure_again bin/pb-prices load --format azure-retail --no-progress --source bench-azure "$DIR"/pages/page-*.json
	t_again=$WALL
	grep -q "unchanged" "$DIR/azure_again.out" ||
		die "a reload of the same Azure prices was not 'unchanged': $(cat "$DIR/azure_again.out")"
fi

echo "bench: pb-ingest storing $LINES lines, list prices present and looked up, best of $RUNS" >&2
cat "$DIR/list/usage.csv" "$DIR/no-list/usage.csv" >/dev/null
sql "VACUUM ANALYZE" >/dev/null
# One source for both exports: each import replaces the other, as a month's deliveries do.
INGEST=("$INGEST_BIN" --format azure-cost --no-progress --source bench-usage)
current() { sql "SELECT $1 FROM pb.import i WHERE status = 'committed' AND source = 'bench-usage'"; }
best list "${INGEST[@]}" "$DIR/list/usage.csv"
t_list=$BEST c_list=$BEST_CPU m_list=$PEAK all_list=$ALL loads_list=$LOADS
list_total=$(current list_total)
best lookup "${INGEST[@]}" "$DIR/no-list/usage.csv"
t_lookup=$BEST c_lookup=$BEST_CPU m_lookup=$PEAK all_lookup=$ALL loads_lookup=$LOADS
lookup_total=$(current list_total)
priced=$(current "(SELECT coalesce(sum(l.line_count), 0) FROM pb.import_list l WHERE l.import_id = i.id
	AND l.list_source = 'price-list')")
ratio=$(awk -v a="$t_lookup" -v b="$t_list" 'BEGIN { if (b <= 0) b = 0.005; printf "%.2f", a / b }')
cpu_ratio=$(awk -v a="$c_lookup" -v b="$c_list" 'BEGIN { if (b <= 0) b = 0.005; printf "%.2f", a / b }')
verdict=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print (r <= t ? "PASS" : "MISS") }')

echo
echo "prices bench: $(bin/pb-prices --version), $(nproc) cores, seed $SEED; wall = one run for the loads, best of $RUNS for"
echo "the ingests (page cache warm); RSS = peak"
echo
echo "| what | input | prices stored | wall | peak RSS |"
echo "|---|---|---|---|---|"
echo "| pb-prices load --format azure-retail | $ITEMS items, $(ls "$DIR/pages" | wc -l) pages, $(size_mb "$DIR/pages") MB JSON | $prices_azure | ${t_azure} s | $(mb "$m_azure") MB |"
if [[ -z $INGEST_ONLY ]]; then
	echo "| the same again (unchanged: nothing stored) | | | ${t_again} s | |"
	echo "| pb-prices load --format aws-offer | $ROWS rows, $(size_mb "$DIR/offer.csv") MB CSV | $prices_aws | ${t_aws} s | $(mb "$m_aws") MB |"
fi
echo
echo "| pb-ingest --format azure-cost (store) | lines | wall | CPU (user+sys) | peak RSS | each run, wall/CPU s | load avg |"
echo "|---|---|---|---|---|---|---|"
echo "| list prices in the export (PayGPrice x Quantity) | $LINES | ${t_list} s | ${c_list} s | $(mb "$m_list") MB | $all_list | $loads_list |"
echo "| every list price looked up ($priced lines priced) | $LINES | ${t_lookup} s | ${c_lookup} s | $(mb "$m_lookup") MB | $all_lookup | $loads_lookup |"
echo
if [[ $list_total == "$lookup_total" ]]; then
	echo "list total, export's own vs looked up: $list_total = $lookup_total: MATCH"
else
	echo "list total, export's own vs looked up: $list_total <> $lookup_total: MISMATCH"
fi
echo "looked up / present: ${ratio}x (target <= ${TARGET}x): $verdict; CPU ${cpu_ratio}x"
[[ $list_total == "$lookup_total" && $priced == "$LINES" ]] || exit 1
