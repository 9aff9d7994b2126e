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
# same way). BENCH_SECTIONS (default "cur azure-cost") picks some; BENCH_AZURE_SCHEMA (default mca, or ea)
# is the export's schema.

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

SECTIONS=" ${BENCH_SECTIONS:-cur azure-cost} "
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

# The generator is rebuilt every run: it takes well under a second.
cc -O2 -std=c11 -Wall -Wextra -Werror -o "$DIR/gen_cur" bench/gen_cur.c

if [[ ! -f bench/node_modules/@duckdb/node-api/package.json ]]; then
	echo "bench: installing @duckdb/node-api from bench/package-lock.json" >&2
	npm ci --prefix bench --no-audit --no-fund >&2
fi

GEN_SUM=$(sha256sum bench/gen_cur.c | cut -d' ' -f1)

# stamp FILE ROWS: what a cached FILE must match to be reused (generator source, rows, seed, size).
stamp_of() {
	echo "gen=$GEN_SUM rows=$2 seed=$SEED size=$(stat -c %s "$1")"
}

fresh() {
	local file=$1 rows=$2
	[[ -f $file && -f $file.stamp ]] && [[ $(cat "$file.stamp") == "$(stamp_of "$file" "$rows")" ]]
}

# make_csv FILE ROWS: generates FILE unless a matching one is cached.
make_csv() {
	local file=$1 rows=$2 t0
	if fresh "$file" "$rows"; then
		echo "bench: reusing $file" >&2
		return
	fi
	rm -f "$file" "$file.stamp" "$file.gz" "$file.gz.stamp"
	echo "bench: generating $file ($rows rows)" >&2
	t0=$EPOCHREALTIME
	"$DIR/gen_cur" "$rows" "$SEED" >"$file.tmp"
	mv "$file.tmp" "$file"
	stamp_of "$file" "$rows" >"$file.stamp"
	echo "bench: generated $file in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s" >&2
}

# make_gz FILE ROWS: FILE.gz from FILE unless a matching one is cached.
make_gz() {
	local file=$1 rows=$2
	if fresh "$file.gz" "$rows"; then
		echo "bench: reusing $file.gz" >&2
		return
	fi
	echo "bench: compressing $file" >&2
	pigz -c "$file" >"$file.gz.tmp"
	mv "$file.gz.tmp" "$file.gz"
	stamp_of "$file.gz" "$rows" >"$file.gz.stamp"
}

# Disk space for the files still to be made (about 560 bytes a row, plus the gzip).
need_kb() {
	local total=0 rows file
	for spec in "$@"; do
		rows=${spec%%:*}
		file=${spec#*:}
		fresh "$file" "$rows" || total=$((total + rows * 700 / 1024))
	done
	echo "$total"
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

# ---- azure-cost: an Azure cost details export (EA or MCA columns), timed the same way as the CUR ----------

AZ_GEN_SUM=$(sha256sum bench/gen_azure.c | cut -d' ' -f1)

az_stamp_of() {
	echo "gen=$AZ_GEN_SUM schema=$AZ_SCHEMA rows=$2 seed=$SEED size=$(stat -c %s "$1")"
}

az_fresh() {
	[[ -f $1 && -f $1.stamp ]] && [[ $(cat "$1.stamp") == "$(az_stamp_of "$1" "$2")" ]]
}

azure_section() {
	local file t0 want avail
	local -a gen=()
	local -a args=(--format azure-cost --summary --no-progress)

	[[ $AZ_SCHEMA == mca ]] && gen=(--mca)
	cc -O2 -std=c11 -Wall -Wextra -Werror -o "$DIR/gen_azure" bench/gen_azure.c
	file=$DIR/azure-$AZ_SCHEMA-$(label "$ROWS" | tr 'MK' 'mk').csv

	# About 1 KB a row, plus the gzip.
	want=0
	az_fresh "$file" "$ROWS" || want=$((ROWS * 1150 / 1024))
	avail=$(df -Pk "$DIR" | awk 'NR == 2 { print $4 }')
	((want < avail)) || die "need about $((want / 1024)) MB free in $DIR, have $((avail / 1024)) MB"
	if az_fresh "$file" "$ROWS"; then
		echo "bench: reusing $file" >&2
	else
		rm -f "$file" "$file.stamp" "$file.gz" "$file.gz.stamp"
		echo "bench: generating $file ($ROWS rows, $AZ_SCHEMA)" >&2
		t0=$EPOCHREALTIME
		"$DIR/gen_azure" "$ROWS" "$SEED" "${gen[@]}" >"$file.tmp"
		mv "$file.tmp" "$file"
		az_stamp_of "$file" "$ROWS" >"$file.stamp"
		echo "bench: generated $file in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s" >&2
	fi
	if az_fresh "$file.gz" "$ROWS"; then
		echo "bench: reusing $file.gz" >&2
	else
		echo "bench: compressing $file" >&2
		pigz -c "$file" >"$file.gz.tmp"
		mv "$file.gz.tmp" "$file.gz"
		az_stamp_of "$file.gz" "$ROWS" >"$file.gz.stamp"
	fi

	warm "$file" "$file.gz"
	echo "bench: azure-cost timing, best of $RUNS" >&2
	best az_pb_plain "$DIR/out-az-pb-plain.csv" "$PB" "${args[@]}" "$file"
	T[az_pb_plain]=$BEST M[az_pb_plain]=$PEAK
	best az_pb_gz "$DIR/out-az-pb-gz.csv" "$PB" "${args[@]}" "$file.gz"
	T[az_pb_gz]=$BEST M[az_pb_gz]=$PEAK
	best az_duck_plain "$DIR/out-az-duck-plain.csv" node bench/duckdb_azure_sum.mjs "$file"
	T[az_duck_plain]=$BEST M[az_duck_plain]=$PEAK
	best az_duck_gz "$DIR/out-az-duck-gz.csv" node bench/duckdb_azure_sum.mjs "$file.gz"
	T[az_duck_gz]=$BEST M[az_duck_gz]=$PEAK
	best az_pigz /dev/null pigz -dc "$file.gz"
	T[az_pigz]=$BEST M[az_pigz]=$PEAK

	local l speed speed_gz gz_ratio rss
	l=$(label "$ROWS")
	speed=$(ratio "${T[az_duck_plain]}" "${T[az_pb_plain]}")
	speed_gz=$(ratio "${T[az_duck_gz]}" "${T[az_pb_gz]}")
	gz_ratio=$(ratio "${T[az_pb_gz]}" "${T[az_pigz]}")
	rss=$((M[az_pb_plain] > M[az_pb_gz] ? M[az_pb_plain] : M[az_pb_gz]))

	echo
	echo "azure-cost bench: $("$PB" --version 2>/dev/null || echo pb-ingest),"\
		"DuckDB $(node -p "require('./bench/node_modules/@duckdb/node-api/package.json').version"),"\
		"$(nproc) cores, seed $SEED"
	echo "input: $file, $ROWS rows ($AZ_SCHEMA), $(size_mb "$file") MB plain, $(size_mb "$file.gz") MB gzip;" \
		"wall = best of $RUNS (page cache warm), RSS = peak"
	echo
	PLAIN_BYTES=$(stat -c %s "$file")
	printf '  %-10s %-10s %8s %8s %12s %10s\n' input tool wall_s MB/s peak_rss_MB "time/pb"
	row "plain $l" pb-ingest az_pb_plain ""
	row "plain $l" duckdb az_duck_plain "${speed}x"
	row "gzip $l" pb-ingest az_pb_gz ""
	row "gzip $l" duckdb az_duck_gz "${speed_gz}x"
	row "gzip $l" "pigz -dc" az_pigz "$(ratio "${T[az_pigz]}" "${T[az_pb_gz]}")x"
	echo "  pb-ingest gzip / pigz -dc = ${gz_ratio}x"
	echo
	echo "outputs:"
	compare "$DIR/out-az-pb-plain.csv" "$DIR/out-az-duck-plain.csv" "pb-ingest vs duckdb, plain $l"
	compare "$DIR/out-az-pb-gz.csv" "$DIR/out-az-duck-gz.csv" "pb-ingest vs duckdb, gzip $l"
	compare "$DIR/out-az-pb-plain.csv" "$DIR/out-az-pb-gz.csv" "pb-ingest plain vs gzip $l"
	echo "  accounts: $(($(wc -l <"$DIR/out-az-pb-plain.csv") - 1))"
	echo
	echo "targets:"
	printf '  %-40s %10s  %s\n' ">= ${MIN_SPEEDUP}x faster than DuckDB, plain CSV" "${speed}x" \
		"$(verdict "$speed" ">=" "$MIN_SPEEDUP")"
	printf '  %-40s %10s  %s\n' "gzip time <= ${MAX_GZ_RATIO}x pigz -dc" "${gz_ratio}x" \
		"$(verdict "$gz_ratio" "<=" "$MAX_GZ_RATIO")"
	printf '  %-40s %10s  %s\n' "peak RSS <= 32 MB, $l rows" "$(mb "$rss") MB" \
		"$(verdict "$rss" "<=" "$MAX_RSS_KB")"
}

declare -A T M

# BENCH_SECTIONS=azure-cost: that section alone, without the CUR files.
if ! section cur; then
	section azure-cost && azure_section
	((MISMATCH)) && die "outputs differ"
	exit 0
fi

SMALL=$DIR/cur-$(label "$ROWS" | tr 'MK' 'mk').csv
BIG=$DIR/cur-$(label "$BIG_ROWS" | tr 'MK' 'mk').csv
DO_BIG=0
if ((ROWS >= 1000000 && BIG_ROWS != ROWS)); then
	DO_BIG=1
fi

specs=("$ROWS:$SMALL")
((DO_BIG)) && specs+=("$BIG_ROWS:$BIG")
want=$(need_kb "${specs[@]}")
avail=$(df -Pk "$DIR" | awk 'NR == 2 { print $4 }')
((want < avail)) || die "need about $((want / 1024)) MB free in $DIR, have $((avail / 1024)) MB"

make_csv "$SMALL" "$ROWS"
make_gz "$SMALL" "$ROWS"
((DO_BIG)) && make_csv "$BIG" "$BIG_ROWS"

PB_ARGS=(--format aws-cur --summary --no-progress)

warm "$SMALL" "$SMALL.gz"
echo "bench: timing, best of $RUNS" >&2
best pb_plain "$DIR/out-pb-plain.csv" "$PB" "${PB_ARGS[@]}" "$SMALL"
T[pb_plain]=$BEST M[pb_plain]=$PEAK
best pb_gz "$DIR/out-pb-gz.csv" "$PB" "${PB_ARGS[@]}" "$SMALL.gz"
T[pb_gz]=$BEST M[pb_gz]=$PEAK
best duck_plain "$DIR/out-duck-plain.csv" node bench/duckdb_sum.mjs "$SMALL"
T[duck_plain]=$BEST M[duck_plain]=$PEAK
best duck_gz "$DIR/out-duck-gz.csv" node bench/duckdb_sum.mjs "$SMALL.gz"
T[duck_gz]=$BEST M[duck_gz]=$PEAK
best pigz /dev/null pigz -dc "$SMALL.gz"
T[pigz]=$BEST M[pigz]=$PEAK

if ((DO_BIG)); then
	warm "$BIG"
	echo "bench: pb-ingest on $BIG (RSS check, one run)" >&2
	run pb_big "$DIR/out-pb-big.csv" "$PB" "${PB_ARGS[@]}" "$BIG"
	T[pb_big]=$WALL M[pb_big]=$RSS_KB
fi

L=$(label "$ROWS")
speed=$(ratio "${T[duck_plain]}" "${T[pb_plain]}")
speed_gz=$(ratio "${T[duck_gz]}" "${T[pb_gz]}")
gz_ratio=$(ratio "${T[pb_gz]}" "${T[pigz]}")
rss_small=$((M[pb_plain] > M[pb_gz] ? M[pb_plain] : M[pb_gz]))

echo
echo "partnerbill bench: $("$PB" --version 2>/dev/null || echo pb-ingest),"\
	"DuckDB $(node -p "require('./bench/node_modules/@duckdb/node-api/package.json').version"),"\
	"$(nproc) cores, seed $SEED"
echo "input: $SMALL, $ROWS rows, $(size_mb "$SMALL") MB plain, $(size_mb "$SMALL.gz") MB gzip;" \
	"wall = best of $RUNS (page cache warm), RSS = peak"
echo
PLAIN_BYTES=$(stat -c %s "$SMALL")

printf '  %-10s %-10s %8s %8s %12s %10s\n' input tool wall_s MB/s peak_rss_MB "time/pb"
row "plain $L" pb-ingest pb_plain ""
row "plain $L" duckdb duck_plain "${speed}x"
row "gzip $L" pb-ingest pb_gz ""
row "gzip $L" duckdb duck_gz "${speed_gz}x"
row "gzip $L" "pigz -dc" pigz "$(ratio "${T[pigz]}" "${T[pb_gz]}")x"
if ((DO_BIG)); then
	PLAIN_BYTES=$(stat -c %s "$BIG")
	row "plain $(label "$BIG_ROWS")" pb-ingest pb_big "(1 run)"
fi
echo "  pb-ingest gzip / pigz -dc = ${gz_ratio}x"
echo
echo "outputs:"
compare "$DIR/out-pb-plain.csv" "$DIR/out-duck-plain.csv" "pb-ingest vs duckdb, plain $L"
compare "$DIR/out-pb-gz.csv" "$DIR/out-duck-gz.csv" "pb-ingest vs duckdb, gzip $L"
compare "$DIR/out-pb-plain.csv" "$DIR/out-pb-gz.csv" "pb-ingest plain vs gzip $L"
echo "  accounts: $(($(wc -l <"$DIR/out-pb-plain.csv") - 1))"
echo
echo "targets:"
printf '  %-40s %10s  %s\n' ">= ${MIN_SPEEDUP}x faster than DuckDB, plain CSV" "${speed}x" \
	"$(verdict "$speed" ">=" "$MIN_SPEEDUP")"
printf '  %-40s %10s  %s\n' "gzip time <= ${MAX_GZ_RATIO}x pigz -dc" "${gz_ratio}x" \
	"$(verdict "$gz_ratio" "<=" "$MAX_GZ_RATIO")"
printf '  %-40s %10s  %s\n' "peak RSS <= 32 MB, $L rows" "$(mb "$rss_small") MB" \
	"$(verdict "$rss_small" "<=" "$MAX_RSS_KB")"
if ((DO_BIG)); then
	printf '  %-40s %10s  %s\n' "peak RSS <= 32 MB, $(label "$BIG_ROWS") rows" "$(mb "${M[pb_big]}") MB" \
		"$(verdict "${M[pb_big]}" "<=" "$MAX_RSS_KB")"
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
printf '  %-40s %10s  %s\n' "store <= ${MAX_STORE_RATIO}x --summary" "${store_ratio}x" \
	"$(verdict "$store_ratio" "<=" "$MAX_STORE_RATIO")"

# Downloads: the same report as gzip parts, from a local s3rver next to the same parts as local files.
MAX_S3_RATIO=1.3
PARTS_DIR=$DIR/parts-$(label "$ROWS" | tr 'MK' 'mk')
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
printf '  %-40s %10s  %s\n' "s3rver <= ${MAX_S3_RATIO}x local files" "${s3_ratio}x" \
	"$(verdict "$s3_ratio" "<=" "$MAX_S3_RATIO")"

section azure-cost && azure_section

if ((MISMATCH)); then
	die "outputs differ"
fi
exit 0
