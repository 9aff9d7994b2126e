#!/usr/bin/env bash
# End-to-end tests of `pb-ingest --format aws-cur`: summaries compared byte for byte with expected.py, and
# the error cases in the folders beside this script compared with their golden stderr and exit status.
#
# Usage: tests/e2e/ingest/run.sh        runs bin/pb-ingest of this work tree
#        PB_BIN=DIR tests/e2e/ingest/run.sh   runs DIR/pb-ingest (a relative DIR is taken from the caller's
#                                             folder), e.g. a sanitizer build elsewhere
#
# An error case folder holds `args` (one argument a line), `expected.status`, `expected.stderr` (absent: any
# non-empty stderr will do; a line ending in `<detail>` matches that line with any non-empty rest), its input
# files, optionally `stdin` (fed to standard input) and `prepare.sh` (run first, in a copy of the folder, with
# $FIXTURES set, to make inputs such as truncated gzip files). Every error case expects an empty stdout.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$HERE/../../lib.sh"
FIXTURES=$ROOT/tests/fixtures/aws-cur
export FIXTURES
pb_e2e_start ingest-e2e

# match_stderr GOLDEN ACTUAL: exact lines, except that a golden line ending in `<detail>` matches an actual
# line that starts with the text before it and has something after it.
match_stderr() {
	local -a want got
	local i prefix
	mapfile -t want <"$1"
	mapfile -t got <"$2"
	if [ -s "$2" ] && [ "$(tail -c 1 "$2" | od -An -c | tr -d ' ')" != '\n' ]; then
		return 1
	fi
	[ "${#want[@]}" -eq "${#got[@]}" ] || return 1
	for i in "${!want[@]}"; do
		if [[ ${want[i]} == *'<detail>' ]]; then
			prefix=${want[i]%'<detail>'}
			[[ ${got[i]} == "$prefix"?* ]] || return 1
		else
			[ "${want[i]}" == "${got[i]}" ] || return 1
		fi
	done
	return 0
}

# stderr_differs GOLDEN ACTUAL: nothing when ACTUAL matches GOLDEN (see match_stderr), else a diff.
stderr_differs() {
	match_stderr "$1" "$2" && return
	echo "stderr differs (diff expected got):"
	diff -u --label expected --label got "$1" "$2"
}

# ---- inputs made at test time --------------------------------------------------------------------------

V=$TMP/variants
mkdir -p "$V"
cp "$FIXTURES"/*.csv "$V"/
for f in legacy-basic legacy-crlf cur2-bom cur2-upper legacy-precision legacy-unknown-type; do
	gzip -c "$FIXTURES/$f.csv" >"$V/$f.csv.gz"
done
# A gzip file with a misleading name: the format is found from the magic bytes.
cp "$V/cur2-upper.csv.gz" "$V/cur2-upper-gzip-named.csv"

# Multi-member gzip: legacy-crlf.csv cut between the CR and the LF of a line end after its middle, with an
# empty member in between; legacy-basic.csv cut at its middle byte, wherever that falls.
crlf_size=$(wc -c <"$FIXTURES/legacy-crlf.csv")
cut_at=$(python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); print(b.index(b"\r\n", len(b) // 2) + 1)' \
	"$FIXTURES/legacy-crlf.csv")
head -c "$cut_at" "$FIXTURES/legacy-crlf.csv" | gzip -c >"$V/legacy-crlf.multi.gz"
gzip -c </dev/null >>"$V/legacy-crlf.multi.gz"
tail -c "+$((cut_at + 1))" "$FIXTURES/legacy-crlf.csv" | gzip -c >>"$V/legacy-crlf.multi.gz"
basic_half=$(($(wc -c <"$FIXTURES/legacy-basic.csv") / 2))
head -c "$basic_half" "$FIXTURES/legacy-basic.csv" | gzip -c >"$V/legacy-basic.multi.gz"
tail -c "+$((basic_half + 1))" "$FIXTURES/legacy-basic.csv" | gzip -c >>"$V/legacy-basic.multi.gz"
[ "$crlf_size" -gt "$cut_at" ] || echo "# warning: the CRLF cut is at the end of the file" >&2

HAVE_ZIP=no
if command -v zip >/dev/null 2>&1; then
	HAVE_ZIP=yes
	(cd "$V" && zip -q -X cur2-bom.zip cur2-bom.csv && zip -q -X legacy-crlf.zip legacy-crlf.csv &&
		cp cur2-bom.zip cur2-bom-zip-named.csv)
fi

# ---- summaries of good inputs --------------------------------------------------------------------------

SINGLE=(legacy-basic legacy-crlf cur2-bom cur2-upper legacy-precision legacy-unknown-type legacy-header-only
	cur2-no-pricing)
ALL=()
ALL_FIX=()
for f in "${SINGLE[@]}"; do
	ALL+=("$f.csv")
	ALL_FIX+=("$FIXTURES/$f.csv")
	for mode in --summary --summary=daily; do want "$f$mode" "$mode" "$FIXTURES/$f.csv"; done
done
ALL_REV=()
for ((i = ${#ALL[@]} - 1; i >= 0; i--)); do ALL_REV+=("${ALL[i]}"); done
want all--summary --summary "${ALL_FIX[@]}"
want all--summary=accounts --summary=accounts "${ALL_FIX[@]}"
want all--summary=daily --summary=daily "${ALL_FIX[@]}"
want clean--summary=daily --summary=daily "$FIXTURES/legacy-basic.csv" "$FIXTURES/legacy-crlf.csv" \
	"$FIXTURES/cur2-bom.csv" "$FIXTURES/cur2-upper.csv"
want twice--summary=daily --summary=daily "$FIXTURES/legacy-basic.csv" "$FIXTURES/legacy-basic.csv"
want basic-and-bom--summary --summary "$FIXTURES/legacy-basic.csv" "$FIXTURES/cur2-bom.csv"
pb_want_compute "$HERE/expected.py"

# Warnings only where a file has more than 18 decimal places, an unknown line item type, or usage without a
# list price (a CUR 2.0 report made without its pricing columns).
WARN_FILES=" legacy-precision legacy-unknown-type cur2-no-pricing "
for f in "${SINGLE[@]}"; do
	if [[ $WARN_FILES == *" $f "* ]]; then werr=nonempty; else werr=empty; fi
	for mode in --summary --summary=daily; do
		check_run "$f $mode" 0 "$E/$f$mode" "$werr" "$V" /dev/null --format aws-cur "$mode" "$f.csv"
	done
done

check_run "all files --summary" 0 "$E/all--summary" nonempty \
	"$V" /dev/null --format aws-cur --summary --no-progress "${ALL[@]}"
check_run "all files --summary=accounts" 0 "$E/all--summary=accounts" nonempty \
	"$V" /dev/null --format aws-cur --summary=accounts --no-progress "${ALL[@]}"
check_run "all files --summary=daily" 0 "$E/all--summary=daily" nonempty \
	"$V" /dev/null --format aws-cur --summary=daily --no-progress "${ALL[@]}"
check_run "all files in reverse order --summary=daily" 0 "$E/all--summary=daily" nonempty \
	"$V" /dev/null --format aws-cur --no-progress --summary=daily "${ALL_REV[@]}"
check_run "clean files --summary=daily, nothing on stderr" 0 "$E/clean--summary=daily" empty \
	"$V" /dev/null --format aws-cur --summary=daily --no-progress legacy-basic.csv legacy-crlf.csv cur2-bom.csv \
	cur2-upper.csv
check_run "same file twice sums twice" 0 "$E/twice--summary=daily" empty \
	"$V" /dev/null --format aws-cur --summary=daily legacy-basic.csv legacy-basic.csv
printf '%s\n' "pb-ingest: cur2-no-pricing.csv: warning: 2 lines have no list price; their list cost is left empty" \
	>"$TMP/no-pricing.err"
check_run "CUR 2.0 without pricing columns: no list price, one warning" 0 "$E/cur2-no-pricing--summary=daily" \
	"$TMP/no-pricing.err" "$V" /dev/null --format aws-cur --summary=daily cur2-no-pricing.csv
check_run "--progress keeps stdout clean" 0 "$E/legacy-crlf--summary" any \
	"$V" /dev/null --format aws-cur --summary --progress legacy-crlf.csv

for f in legacy-basic legacy-crlf cur2-bom cur2-upper; do
	check_run "$f gzip --summary=daily" 0 "$E/$f--summary=daily" empty \
		"$V" /dev/null --format aws-cur --summary=daily "$f.csv.gz"
done
check_run "gzip named .csv (magic bytes) --summary=daily" 0 "$E/cur2-upper--summary=daily" empty \
	"$V" /dev/null --format aws-cur --summary=daily cur2-upper-gzip-named.csv
check_run "multi-member gzip cut inside CRLF, empty member --summary=daily" 0 "$E/legacy-crlf--summary=daily" empty \
	"$V" /dev/null --format aws-cur --summary=daily legacy-crlf.multi.gz
check_run "multi-member gzip cut mid-file --summary=daily" 0 "$E/legacy-basic--summary=daily" empty \
	"$V" /dev/null --format aws-cur --summary=daily legacy-basic.multi.gz
check_run "stdin plain --summary=daily" 0 "$E/legacy-basic--summary=daily" empty \
	"$V" "$V/legacy-basic.csv" --format aws-cur --summary=daily -
check_run "stdin gzip --summary=daily" 0 "$E/legacy-crlf--summary=daily" empty \
	"$V" "$V/legacy-crlf.csv.gz" --format aws-cur --summary=daily -
check_run "stdin among files --summary" 0 "$E/basic-and-bom--summary" empty \
	"$V" "$V/cur2-bom.csv.gz" --format aws-cur --summary legacy-basic.csv -

if [ "$HAVE_ZIP" = yes ]; then
	check_run "zip --summary=daily" 0 "$E/cur2-bom--summary=daily" empty \
		"$V" /dev/null --format aws-cur --summary=daily cur2-bom.zip
	check_run "zip named .csv (magic bytes) --summary" 0 "$E/cur2-bom--summary" empty \
		"$V" /dev/null --format aws-cur --summary cur2-bom-zip-named.csv
	MIXED=(legacy-basic.csv.gz legacy-crlf.zip cur2-bom.csv cur2-upper.csv.gz legacy-precision.csv
		legacy-unknown-type.csv.gz legacy-header-only.csv cur2-no-pricing.csv)
else
	echo "# zip is not installed (Debian package zip): ZIP cases skipped"
	MIXED=(legacy-basic.csv.gz legacy-crlf.csv cur2-bom.csv cur2-upper.csv.gz legacy-precision.csv
		legacy-unknown-type.csv.gz legacy-header-only.csv cur2-no-pricing.csv)
fi
check_run "plain, gzip and zip mixed --summary=daily" 0 "$E/all--summary=daily" nonempty \
	"$V" /dev/null --format aws-cur --summary=daily "${MIXED[@]}"

# ---- help and version ----------------------------------------------------------------------------------

check_run "--help" 0 nonempty empty "$TMP" /dev/null --help
check_run "--version" 0 version empty "$TMP" /dev/null --version

# ---- error cases ---------------------------------------------------------------------------------------

pb_e2e_error_cases "$HERE"

pb_tests_done
