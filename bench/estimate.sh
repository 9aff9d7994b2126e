#!/usr/bin/env bash
# bench/estimate.sh: the month-end estimator's accuracy. Generates synthetic account-months (bench/gen_months.c:
# 90 days of history, weekly patterns, drift, noise, spikes, late starts, level shifts, one-offs), cuts them at
# as-of days 5, 10, 15 and 20, runs `pb-aggregate estimate` on each cut, and compares it with a plain linear
# projection, a 30-day OLS line without interquartile outliers, and an oracle that knows the hidden state
# (bench/estimate_eval.py). Prints a markdown table, then the targets as PASS or MISS:
#   the gap from OLS to the oracle closed at least half:  (MAPE OLS - MAPE ours) / (MAPE OLS - MAPE oracle) >= 0.5
#   the 90 % interval holds the true total 85 % to 95 % of the time
#
# Run from anywhere after `make`. Environment: BENCH_MONTHS (default 2000) account-months, BENCH_SEED (default
# 20260301), BENCH_MONTH (default 2026-03), PB_AGGREGATE (default bin/pb-aggregate). The data go to var/bench/.
# Exit status: 0 when every step ran, whatever the targets say; 1 when one failed.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

COUNT=${BENCH_MONTHS:-2000}
SEED=${BENCH_SEED:-20260301}
MONTH=${BENCH_MONTH:-2026-03}
PB=${PB_AGGREGATE:-bin/pb-aggregate}
DIR=var/bench/estimate

die() {
	echo "bench: $*" >&2
	exit 1
}

[[ $COUNT =~ ^[1-9][0-9]*$ ]] || die "BENCH_MONTHS '$COUNT' is not a positive integer"
[[ $SEED =~ ^[0-9]+$ ]] || die "BENCH_SEED '$SEED' is not a number"
[[ $MONTH =~ ^[0-9]{4}-[0-9]{2}$ ]] || die "BENCH_MONTH '$MONTH' is not YYYY-MM"
command -v cc >/dev/null || die "cc not found"
command -v python3 >/dev/null || die "python3 not found"
[[ -x $PB ]] || die "'$PB' not found: run make first"

mkdir -p "$DIR"
t0=$EPOCHREALTIME
cc -O2 -std=c11 -Wall -Wextra -Werror -o "$DIR/gen_months" bench/gen_months.c -lm
"$DIR/gen_months" "$COUNT" "$SEED" "$DIR/months.csv" "$DIR/truth.csv" --month "$MONTH"
echo "bench: generated $COUNT account-months in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s" >&2

echo "## pb-aggregate estimate: accuracy on synthetic account-months"
echo
echo "\`bash bench/estimate.sh\` (seed $SEED). MAPE against the true month total; gap closed = (OLS - ours) / (OLS - oracle);"
echo "coverage: how often the interval holds the true total; width: the 90 % interval over the total, median."
echo
python3 bench/estimate_eval.py "$DIR/months.csv" "$DIR/truth.csv" "$PB" "$DIR"
echo
echo "bench: done in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s" >&2
