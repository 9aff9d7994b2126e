#!/usr/bin/env bash
# bench/run.sh: times `pb-ingest --format aws-cur --summary` against DuckDB and `pigz -dc` on generated AWS
# CUR files, checks that both summaries agree, and reports the performance targets as PASS or MISS.
#
# Environment: BENCH_ROWS (default 1000000) rows in the timed file; below 1000000 the 10M-row RSS check is
# skipped (a smoke run). BENCH_BIG_ROWS (default 10000000) rows for the RSS check. PB_INGEST (default
# bin/pb-ingest). Exit status: 0 when every command ran and the outputs match, whatever the targets say;
# 1 when a command failed or the outputs differ.
#
# Sections: cur (the above, then the store and the downloads) and azure-cost (`pb-ingest --format azure-cost
# --summary` on a generated Azure cost details export of BENCH_ROWS rows, against DuckDB and `pigz -dc` the
# same way), aggregate (bench/aggregate.sh: pb-aggregate against a plain GROUP BY, and --detail at N and 10N) and estimate
# (bench/estimate.sh: the month-end estimator's accuracy against the usual forecasts) and api (bench/api.sh:
# pb-api under wrk next to a Node.js peer) and store (bench/store.sh: storing a CUR and an Azure export next to
# --summary and to COPY + GROUP BY in PostgreSQL) and prices (bench/prices.sh: pb-prices loading a retail
# price list and an offer file, and pb-ingest with every list price looked up next to the same export with
# them) and invoice (bench/invoice.sh: pb-invoice's wall time and peak RSS at N and 10N accounts). BENCH_SECTIONS
# (default "cur azure-cost aggregate estimate api store prices invoice")
# picks some; BENCH_AZURE_SCHEMA (default mca, or ea) is the export's schema.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROWS=${BENCH_ROWS:-1000000}
MAX_STORE_RATIO=1.5
BIG_ROWS=${BENCH_BIG_ROWS:-10000000}
PB=${PB_INGEST:-bin/pb-ingest}
SEED=20261001
RUNS=3
DIR=var/bench
TIME=/usr/bin/time

# Targets.
MIN_SPEEDUP=8
MAX_GZ_RATIO=1.1
MAX_RSS_KB=$((32 * 1024))

SECTIONS=" ${BENCH_SECTIONS:-cur azure-cost aggregate estimate api store prices invoice} "
AZ_SCHEMA=${BENCH_AZURE_SCHEMA:-mca}

die() {
	echo "bench: $*" >&2
	exit 1
}

[[ $AZ_SCHEMA == ea || $AZ_SCHEMA == mca ]] || die "BENCH_AZURE_SCHEMA is ea or mca, not '$AZ_SCHEMA'"

for n in "$ROWS" "$BIG_ROWS"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "row count '$n' is not a positive integer"
done
[[ -x $TIME ]] || die "$TIME not found (apt-get install time)"
command -v pigz >/dev/null || die "pigz not found (apt-get install pigz)"
command -v node >/dev/null || die "node not found"
command -v cc >/dev/null || die "cc not found"
[[ -x $PB ]] || die "'$PB' not found: run make first"

mkdir -p "$DIR"

# Short label for a row count: 1000000 -> 1M, 20000 -> 20K.
label() {
	local n=$1
	if ((n % 1000000 == 0)); then
		echo "$((n / 1000000))M"
	elif ((n % 1000 == 0)); then
		echo "$((n / 1000))K"
	else
		echo "$n"
	fi
}

# A file name's part for a row count: 1000000 -> 1m, 20000 -> 20k.
slug() {
	label "$1" | tr 'MK' 'mk'
}

# build_gen NAME: bench/NAME.c to $DIR/NAME. A generator is rebuilt every run: it takes well under a second.
build_gen() {
	cc -O2 -std=c11 -Wall -Wextra -Werror -o "$DIR/$1" "bench/$1.c"
}

# gen_sum NAME: the checksum of generator NAME's source, the header it includes with it.
gen_sum() {
	cat "bench/$1.c" bench/gen_common.h | sha256sum | cut -d' ' -f1
}

build_gen gen_cur

if [[ ! -f bench/node_modules/@duckdb/node-api/package.json ]]; then
	echo "bench: installing @duckdb/node-api from bench/package-lock.json" >&2
	npm ci --prefix bench --no-audit --no-fund >&2
fi

# A generated file is cached with a stamp: what a cached file must match to be reused. GEN names the generator
# ("gen=CHECKSUM", and its options), followed by the rows, the seed and the size.

# stamp_of FILE ROWS GEN
stamp_of() {
	echo "$3 rows=$2 seed=$SEED size=$(stat -c %s "$1")"
}

# fresh FILE ROWS GEN: whether FILE is cached with a matching stamp.
fresh() {
	local file=$1 rows=$2 gen=$3
	[[ -f $file && -f $file.stamp ]] && [[ $(cat "$file.stamp") == "$(stamp_of "$file" "$rows" "$gen")" ]]
}

# make_csv FILE ROWS GEN NOTE CMD...: FILE from CMD's output unless a matching one is cached; NOTE follows the
# row count in the message.
make_csv() {
	local file=$1 rows=$2 gen=$3 note=$4 t0
	shift 4
	if fresh "$file" "$rows" "$gen"; then
		echo "bench: reusing $file" >&2
		return
	fi
	rm -f "$file" "$file.stamp" "$file.gz" "$file.gz.stamp"
	echo "bench: generating $file ($rows rows$note)" >&2
	t0=$EPOCHREALTIME
	"$@" >"$file.tmp"
	mv "$file.tmp" "$file"
	stamp_of "$file" "$rows" "$gen" >"$file.stamp"
	echo "bench: generated $file in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s" >&2
}

# make_gz FILE ROWS GEN: FILE.gz from FILE unless a matching one is cached.
make_gz() {
	local file=$1 rows=$2 gen=$3
	if fresh "$file.gz" "$rows" "$gen"; then
		echo "bench: reusing $file.gz" >&2
		return
	fi
	echo "bench: compressing $file" >&2
	pigz -c "$file" >"$file.gz.tmp"
	mv "$file.gz.tmp" "$file.gz"
	stamp_of "$file.gz" "$rows" "$gen" >"$file.gz.stamp"
}

# check_space BYTES GEN ROWS:FILE...: dies unless $DIR has room for the files still to be made, at about BYTES a
# row (the plain file and its gzip).
check_space() {
	local per_row=$1 gen=$2 total=0 rows file avail
	shift 2
	for spec in "$@"; do
		rows=${spec%%:*}
		file=${spec#*:}
		fresh "$file" "$rows" "$gen" || total=$((total + rows * per_row / 1024))
	done
	avail=$(df -Pk "$DIR" | awk 'NR == 2 { print $4 }')
	((total < avail)) || die "need about $((total / 1024)) MB free in $DIR, have $((avail / 1024)) MB"
}

# run NAME OUTFILE CMD...: runs CMD once under $TIME with stdout to OUTFILE; sets WALL and RSS_KB.
run() {
	local name=$1 out=$2
	shift 2
	local tf=$DIR/time.txt err=$DIR/$name.stderr
	if ! "$TIME" -f '%e %M' -o "$tf" "$@" >"$out" 2>"$err"; then
		echo "bench: $name failed: $*" >&2
		tail -n 20 "$err" >&2
		tail -n 1 "$tf" >&2 || true
		exit 1
	fi
	read -r WALL RSS_KB < <(tail -n 1 "$tf")
}

# best NAME OUTFILE CMD...: RUNS runs; sets BEST (least wall seconds) and PEAK (greatest RSS in KB).
best() {
	local name=$1 out=$2 i
	shift 2
	BEST=
	PEAK=0
	for ((i = 0; i < RUNS; i++)); do
		run "$name" "$out" "$@"
		if [[ -z $BEST ]] || awk -v a="$WALL" -v b="$BEST" 'BEGIN { exit !(a < b) }'; then
			BEST=$WALL
		fi
		((RSS_KB > PEAK)) && PEAK=$RSS_KB
	done
	return 0
}

warm() {
	cat "$@" >/dev/null
}

# Outputs: pb-ingest must agree with DuckDB byte for byte, and each tool with itself across plain and gzip.
MISMATCH=0
compare() {
	if cmp -s "$1" "$2"; then
		printf '  %-44s MATCH\n' "$3"
	else
		printf '  %-44s MISMATCH\n' "$3"
		diff "$1" "$2" | head -n 10 | sed 's/^/    /'
		MISMATCH=1
	fi
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 0.005; printf "%.2f", a / b }'
}

mb() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

size_mb() {
	awk -v s="$(stat -c %s "$1")" 'BEGIN { printf "%.0f", s / 1048576 }'
}

verdict() {
	if awk -v v="$1" -v op="$2" -v lim="$3" 'BEGIN { exit !(op == ">=" ? v >= lim : v <= lim) }'; then
		echo PASS
	else
		echo MISS
	fi
}

# target TEXT SHOWN VALUE OP LIMIT: one line of targets, PASS when VALUE OP LIMIT holds (OP >= or <=).
target() {
	printf '  %-40s %10s  %s\n' "$1" "$2" "$(verdict "$3" "$4" "$5")"
}

# row INPUT TOOL KEY NOTE: one line of the table; MB/s is of the uncompressed CSV.
row() {
	local mbps
	mbps=$(awk -v b="$PLAIN_BYTES" -v t="${T[$3]}" 'BEGIN { if (t <= 0) t = 0.005; printf "%.0f", b / 1048576 / t }')
	printf '  %-10s %-10s %8s %8s %12s %10s\n' "$1" "$2" "${T[$3]}" "$mbps" "$(mb "${M[$3]}")" "$4"
}

# section NAME: whether BENCH_SECTIONS asks for NAME.
section() {
	[[ $SECTIONS == *" $1 "* ]]
}

# ---- what the CUR and azure-cost sections share: pb-ingest against DuckDB and pigz -dc on one file ----------
#
# In T (best wall seconds) and M (peak RSS in KB), and in the outputs $DIR/out-*.csv, a section's runs are
# named with its prefix P: P=az_ gives T[az_pb_plain] and $DIR/out-az-pb-plain.csv.

# time_tools P WHAT FILE SCRIPT PB_ARGS...: (WHAT names the timing in a message) pb-ingest PB_ARGS and node SCRIPT (the DuckDB reference) on FILE and
# FILE.gz, and pigz -dc on FILE.gz, best of RUNS each, as Ppb_plain, Ppb_gz, Pduck_plain, Pduck_gz and Ppigz.
# Sets SPEED and SPEED_GZ (DuckDB's time over pb-ingest's), GZ_RATIO (pb-ingest gzip over pigz -dc) and RSS
# (pb-ingest's peak).
time_tools() {
	local p=$1 what=$2 file=$3 script=$4
	local o=$DIR/out-${p//_/-}
	shift 4
	warm "$file" "$file.gz"
	echo "bench: $what, best of $RUNS" >&2
	best "${p}pb_plain" "${o}pb-plain.csv" "$PB" "$@" "$file"
	T[${p}pb_plain]=$BEST M[${p}pb_plain]=$PEAK
	best "${p}pb_gz" "${o}pb-gz.csv" "$PB" "$@" "$file.gz"
	T[${p}pb_gz]=$BEST M[${p}pb_gz]=$PEAK
	best "${p}duck_plain" "${o}duck-plain.csv" node "$script" "$file"
	T[${p}duck_plain]=$BEST M[${p}duck_plain]=$PEAK
	best "${p}duck_gz" "${o}duck-gz.csv" node "$script" "$file.gz"
	T[${p}duck_gz]=$BEST M[${p}duck_gz]=$PEAK
	best "${p}pigz" /dev/null pigz -dc "$file.gz"
	T[${p}pigz]=$BEST M[${p}pigz]=$PEAK

	SPEED=$(ratio "${T[${p}duck_plain]}" "${T[${p}pb_plain]}")
	SPEED_GZ=$(ratio "${T[${p}duck_gz]}" "${T[${p}pb_gz]}")
	GZ_RATIO=$(ratio "${T[${p}pb_gz]}" "${T[${p}pigz]}")
	RSS=$((M[${p}pb_plain] > M[${p}pb_gz] ? M[${p}pb_plain] : M[${p}pb_gz]))
}

# report_table P TITLE FILE ROWS_TEXT: the heading and the table of time_tools P.
report_table() {
	local p=$1 title=$2 file=$3 rows_text=$4 l
	l=$(label "$ROWS")
	echo
	echo "$title: $("$PB" --version 2>/dev/null || echo pb-ingest),"\
		"DuckDB $(node -p "require('./bench/node_modules/@duckdb/node-api/package.json').version"),"\
		"$(nproc) cores, seed $SEED"
	echo "input: $file, $rows_text, $(size_mb "$file") MB plain, $(size_mb "$file.gz") MB gzip;" \
		"wall = best of $RUNS (page cache warm), RSS = peak"
	echo
	PLAIN_BYTES=$(stat -c %s "$file")
	printf '  %-10s %-10s %8s %8s %12s %10s\n' input tool wall_s MB/s peak_rss_MB "time/pb"
	row "plain $l" pb-ingest "${p}pb_plain" ""
	row "plain $l" duckdb "${p}duck_plain" "${SPEED}x"
	row "gzip $l" pb-ingest "${p}pb_gz" ""
	row "gzip $l" duckdb "${p}duck_gz" "${SPEED_GZ}x"
	row "gzip $l" "pigz -dc" "${p}pigz" "$(ratio "${T[${p}pigz]}" "${T[${p}pb_gz]}")x"
}

# report_checks P: after the table of time_tools P, the comparison of the outputs and the targets.
report_checks() {
	local p=$1 l o=$DIR/out-${1//_/-}
	l=$(label "$ROWS")
	echo "  pb-ingest gzip / pigz -dc = ${GZ_RATIO}x"
	echo
	echo "outputs:"
	compare "${o}pb-plain.csv" "${o}duck-plain.csv" "pb-ingest vs duckdb, plain $l"
	compare "${o}pb-gz.csv" "${o}duck-gz.csv" "pb-ingest vs duckdb, gzip $l"
	compare "${o}pb-plain.csv" "${o}pb-gz.csv" "pb-ingest plain vs gzip $l"
	echo "  accounts: $(($(wc -l <"${o}pb-plain.csv") - 1))"
	echo
	echo "targets:"
	target ">= ${MIN_SPEEDUP}x faster than DuckDB, plain CSV" "${SPEED}x" "$SPEED" ">=" "$MIN_SPEEDUP"
	target "gzip time <= ${MAX_GZ_RATIO}x pigz -dc" "${GZ_RATIO}x" "$GZ_RATIO" "<=" "$MAX_GZ_RATIO"
	target "peak RSS <= 32 MB, $l rows" "$(mb "$RSS") MB" "$RSS" "<=" "$MAX_RSS_KB"
}

# ---- azure-cost: an Azure cost details export (EA or MCA columns), timed the same way as the CUR ----------

azure_section() {
	local file gen
	local -a opts=()

	[[ $AZ_SCHEMA == mca ]] && opts=(--mca)
	build_gen gen_azure
	gen="gen=$(gen_sum gen_azure) schema=$AZ_SCHEMA"
	file=$DIR/azure-$AZ_SCHEMA-$(slug "$ROWS").csv

	check_space 1150 "$gen" "$ROWS:$file"
	make_csv "$file" "$ROWS" "$gen" ", $AZ_SCHEMA" "$DIR/gen_azure" "$ROWS" "$SEED" "${opts[@]}"
	make_gz "$file" "$ROWS" "$gen"

	time_tools az_ "azure-cost timing" "$file" bench/duckdb_azure_sum.mjs --format azure-cost --summary --no-progress
	report_table az_ "azure-cost bench" "$file" "$ROWS rows ($AZ_SCHEMA)"
	report_checks az_
}

declare -A T M

# The sections that stand apart, in their own scripts, after the others.
others() {
	if section aggregate; then bash bench/aggregate.sh || MISMATCH=1; fi
	if section estimate; then bash bench/estimate.sh || MISMATCH=1; fi
	if section api; then bash bench/api.sh || MISMATCH=1; fi
	if section store; then BENCH_ROWS=$ROWS bash bench/store.sh || MISMATCH=1; fi
	if section prices; then bash bench/prices.sh || MISMATCH=1; fi
	if section invoice; then bash bench/invoice.sh || MISMATCH=1; fi
}

# BENCH_SECTIONS without cur: the other sections alone, without the CUR files.
if ! section cur; then
	if section azure-cost; then azure_section; fi
	others
	((MISMATCH)) && die "outputs differ or a section failed"
	exit 0
fi

GEN="gen=$(gen_sum gen_cur)"
SMALL=$DIR/cur-$(slug "$ROWS").csv
BIG=$DIR/cur-$(slug "$BIG_ROWS").csv
DO_BIG=0
if ((ROWS >= 1000000 && BIG_ROWS != ROWS)); then
	DO_BIG=1
fi

# About 560 bytes a row, plus the gzip.
specs=("$ROWS:$SMALL")
((DO_BIG)) && specs+=("$BIG_ROWS:$BIG")
check_space 700 "$GEN" "${specs[@]}"

make_csv "$SMALL" "$ROWS" "$GEN" "" "$DIR/gen_cur" "$ROWS" "$SEED"
make_gz "$SMALL" "$ROWS" "$GEN"
((DO_BIG)) && make_csv "$BIG" "$BIG_ROWS" "$GEN" "" "$DIR/gen_cur" "$BIG_ROWS" "$SEED"

PB_ARGS=(--format aws-cur --summary --no-progress)

time_tools "" timing "$SMALL" bench/duckdb_sum.mjs "${PB_ARGS[@]}"

if ((DO_BIG)); then
	warm "$BIG"
	echo "bench: pb-ingest on $BIG (RSS check, one run)" >&2
	run pb_big "$DIR/out-pb-big.csv" "$PB" "${PB_ARGS[@]}" "$BIG"
	T[pb_big]=$WALL M[pb_big]=$RSS_KB
fi

L=$(label "$ROWS")
report_table "" "partnerbill bench" "$SMALL" "$ROWS rows"
if ((DO_BIG)); then
	PLAIN_BYTES=$(stat -c %s "$BIG")
	row "plain $(label "$BIG_ROWS")" pb-ingest pb_big "(1 run)"
fi
report_checks ""
if ((DO_BIG)); then
	target "peak RSS <= 32 MB, $(label "$BIG_ROWS") rows" "$(mb "${M[pb_big]}") MB" "${M[pb_big]}" "<=" "$MAX_RSS_KB"
else
	printf '  %-40s %10s  %s\n' "peak RSS <= 32 MB, $(label "$BIG_ROWS") rows" "-" "SKIPPED (BENCH_ROWS < 1000000)"
fi

# The store: the same file imported into a throwaway local cluster, next to --summary alone.
PBDB=$(dirname "$PB")/pb-db
STORE_VAR=$DIR/pgvar
rm -rf "$STORE_VAR"
mkdir -p "$STORE_VAR"
chmod 755 "$DIR" "$STORE_VAR"
stop_store() { PB_VAR_DIR=$STORE_VAR "$PBDB" stop >/dev/null 2>&1 || true; rm -rf "$STORE_VAR"; }
trap stop_store EXIT
echo "bench: pb-ingest into PostgreSQL (a throwaway cluster in $STORE_VAR)" >&2
PB_VAR_DIR=$STORE_VAR "$PBDB" init >/dev/null && PB_VAR_DIR=$STORE_VAR "$PBDB" start >/dev/null &&
	PB_VAR_DIR=$STORE_VAR "$PBDB" migrate >/dev/null || die "cannot start the bench cluster"
PB_VAR_DIR=$STORE_VAR best pb_store "$DIR/out-pb-store.txt" "$PB" --format aws-cur --no-progress "$SMALL"
T[pb_store]=$BEST M[pb_store]=$PEAK
store_ratio=$(ratio "${T[pb_store]}" "${T[pb_plain]}")
echo
echo "store:"
printf '  %-12s %-22s %8s %10s\n' "input" "tool" "wall_s" "peak_rss_MB"
printf '  %-12s %-22s %8s %10s\n' "plain $L" "pb-ingest --summary" "${T[pb_plain]}" "$(mb "${M[pb_plain]}")"
printf '  %-12s %-22s %8s %10s\n' "plain $L" "pb-ingest (store)" "${T[pb_store]}" "$(mb "${M[pb_store]}")"
echo "  $(cat "$DIR/out-pb-store.txt")"
target "store <= ${MAX_STORE_RATIO}x --summary" "${store_ratio}x" "$store_ratio" "<=" "$MAX_STORE_RATIO"

# Downloads: the same report as gzip parts, from a local s3rver next to the same parts as local files.
MAX_S3_RATIO=1.3
PARTS_DIR=$DIR/parts-$(slug "$ROWS")
if [ ! -f "$PARTS_DIR/done" ]; then
	rm -rf "$PARTS_DIR"
	mkdir -p "$PARTS_DIR"
	head -n 1 "$SMALL" >"$PARTS_DIR/hdr"
	tail -n +2 "$SMALL" >"$PARTS_DIR/rows"
	split -n l/4 -d "$PARTS_DIR/rows" "$PARTS_DIR/rows-"
	for k in 0 1 2 3; do
		cat "$PARTS_DIR/hdr" "$PARTS_DIR/rows-0$k" | pigz -c >"$PARTS_DIR/part-$k.csv.gz"
	done
	rm -f "$PARTS_DIR/rows" "$PARTS_DIR"/rows-0*
	touch "$PARTS_DIR/done"
fi
. tests/servers/lib.sh
trap 'pb_servers_stop; stop_store' EXIT
rm -rf "$DIR/s3"
pb_s3_start "$DIR/s3" >/dev/null || die "cannot start s3rver (make deps installs it)"
pb_s3_mkbucket bench >/dev/null
S3_URLS=()
for k in 0 1 2 3; do
	pb_s3_put bench "cur/part-$k.csv.gz" "$PARTS_DIR/part-$k.csv.gz" >/dev/null || die "cannot upload a part"
	S3_URLS+=("s3://bench/cur/part-$k.csv.gz")
done
echo "bench: gzip parts from local files and from s3rver" >&2
best pb_parts "$DIR/out-pb-parts.csv" "$PB" "${PB_ARGS[@]}" "$PARTS_DIR"/part-?.csv.gz
T[pb_parts]=$BEST M[pb_parts]=$PEAK
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER best pb_s3 "$DIR/out-pb-s3.csv" "$PB" "${PB_ARGS[@]}" \
	--endpoint "$S3_ENDPOINT" "${S3_URLS[@]}"
T[pb_s3]=$BEST M[pb_s3]=$PEAK
s3_ratio=$(ratio "${T[pb_s3]}" "${T[pb_parts]}")
pb_servers_stop
echo
echo "downloads:"
printf '  %-24s %-22s %8s %10s\n' "input" "tool" "wall_s" "peak_rss_MB"
printf '  %-24s %-22s %8s %10s\n' "4 gzip parts, local" "pb-ingest --summary" "${T[pb_parts]}" "$(mb "${M[pb_parts]}")"
printf '  %-24s %-22s %8s %10s\n' "4 gzip parts, s3rver" "pb-ingest --summary" "${T[pb_s3]}" "$(mb "${M[pb_s3]}")"
compare "$DIR/out-pb-parts.csv" "$DIR/out-pb-s3.csv" "pb-ingest local parts vs s3rver parts"
compare "$DIR/out-pb-parts.csv" "$DIR/out-pb-plain.csv" "pb-ingest parts vs the whole file"
target "s3rver <= ${MAX_S3_RATIO}x local files" "${s3_ratio}x" "$s3_ratio" "<=" "$MAX_S3_RATIO"

if section azure-cost; then azure_section; fi
others

if ((MISMATCH)); then
	die "outputs differ or a section failed"
fi
exit 0
