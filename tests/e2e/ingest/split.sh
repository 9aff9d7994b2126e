#!/usr/bin/env bash
# End-to-end tests of a plain file split between threads: the parts must join into exactly the output of one
# thread, also when a part starts inside a quoted field that spans lines, and errors must carry the line
# numbers of the whole file, in file order.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$HERE/../../lib.sh"
PB=$BIN/pb-ingest
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pb-ingest-split.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

python3 "$HERE/gen_split.py" 4000 11 >"$TMP/big.csv"
python3 "$HERE/expected.py" --summary=daily "$TMP/big.csv" >"$TMP/want-daily.csv" || exit 1
python3 "$HERE/expected.py" --summary "$TMP/big.csv" >"$TMP/want-accounts.csv" || exit 1

# Small parts force many splits; with 3 to 16 threads some part starts fall inside quoted fields.
for threads in 1 2 3 5 8 16; do
	for mode in daily accounts; do
		if PB_SPLIT_MIN_BYTES=4096 "$PB" --threads $threads --no-progress --format aws-cur \
			--summary=$mode "$TMP/big.csv" >"$TMP/got.csv" 2>"$TMP/err" &&
			cmp -s "$TMP/got.csv" "$TMP/want-$mode.csv" && [ ! -s "$TMP/err" ]; then
			ok "split into $threads parts, $mode"
		else
			notok "split into $threads parts, $mode"
			diff "$TMP/want-$mode.csv" "$TMP/got.csv" | head -5
			head -5 "$TMP/err"
		fi
	done
done

# Errors in later parts: the first three in file order, with the file's own line numbers.
python3 "$HERE/gen_split.py" 4000 12 --bad 900 2100 2101 3900 >"$TMP/bad.csv"
python3 - "$TMP/bad.csv" >"$TMP/want.err" <<'PY'
import sys
# Expected messages, from the raw bytes: the line and byte column where each bad field starts.
data = open(sys.argv[1], 'rb').read().decode()
name = sys.argv[1]
out = []
line = 1
for i, l in enumerate(data.split('\n')):
    col = l.find(',"1,5",')
    if col >= 0:
        out.append('pb-ingest: %s:%d:%d: bad amount "1,5" in column \'lineItem/UnblendedCost\': unexpected character \',\'' % (name, i + 1, col + 2))
print('\n'.join(out[:3]))
PY
for threads in 1 4 16; do
	PB_SPLIT_MIN_BYTES=4096 "$PB" --threads $threads --no-progress --max-errors 3 --format aws-cur --summary \
		"$TMP/bad.csv" >"$TMP/got.csv" 2>"$TMP/got.err"
	status=$?
	if [ $status -eq 1 ] && [ ! -s "$TMP/got.csv" ] && cmp -s "$TMP/got.err" "$TMP/want.err"; then
		ok "errors across $threads parts are reported in file order"
	else
		notok "errors across $threads parts are reported in file order (status $status)"
		diff "$TMP/want.err" "$TMP/got.err" | head -8
	fi
done

# Issue 11's heap overflow: a 20 MB CUR 2.0 file of 257 columns, the columns read last, split between threads
# at the default part size (8 MiB: two parts), must give exactly what one thread gives, and say nothing.
python3 "$HERE/gen_wide.py" 20000000 257 >"$TMP/wide.csv"
"$PB" --threads 1 --no-progress --format aws-cur --summary=daily "$TMP/wide.csv" >"$TMP/wide-one.csv" 2>"$TMP/wide-one.err"
for threads in 2 4; do
	"$PB" --threads $threads --no-progress --format aws-cur --summary=daily "$TMP/wide.csv" >"$TMP/wide-got.csv" \
		2>"$TMP/wide.err"
	status=$?
	if [ $status -eq 0 ] && [ -s "$TMP/wide-one.csv" ] && cmp -s "$TMP/wide-one.csv" "$TMP/wide-got.csv" &&
		[ ! -s "$TMP/wide.err" ] && [ ! -s "$TMP/wide-one.err" ]; then
		ok "a 20 MB file of 257 columns split between $threads threads"
	else
		notok "a 20 MB file of 257 columns split between $threads threads (status $status)"
		head -5 "$TMP/wide.err" "$TMP/wide-one.err"
		diff "$TMP/wide-one.csv" "$TMP/wide-got.csv" | head -5
	fi
done

pb_tests_done
