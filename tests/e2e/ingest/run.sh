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
ROOT=$(cd "$HERE/../../.." && pwd)
FIXTURES=$ROOT/tests/fixtures/aws-cur
export FIXTURES

if [ -n "${PB_BIN:-}" ]; then
	case $PB_BIN in
	/*) PB=$PB_BIN/pb-ingest ;;
	*) PB=$PWD/$PB_BIN/pb-ingest ;;
	esac
else
	PB=$ROOT/bin/pb-ingest
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pb-ingest-e2e.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0

if [ ! -x "$PB" ]; then
	echo "not ok - $PB is not an executable"
	echo "0 passed, 1 failed"
	exit 1
fi

# Runs a command with a time limit, so that a hang fails one case instead of the suite.
if command -v timeout >/dev/null 2>&1; then
	LIMIT=(timeout 20)
else
	LIMIT=()
fi

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

# check NAME WANT_STATUS WANT_STDOUT WANT_STDERR DIR STDIN ARG...
#   WANT_STDOUT: a file to match byte for byte, or one of: empty, nonempty, version.
#   WANT_STDERR: a golden file (see match_stderr), or one of: empty, nonempty, any.
#   Runs pb-ingest ARG... in DIR with STDIN as standard input.
check() {
	local name=$1 want_status=$2 want_out=$3 want_err=$4 dir=$5 input=$6
	shift 6
	local out=$TMP/stdout err=$TMP/stderr status report=$TMP/report
	: >"$report"
	(cd "$dir" && exec "${LIMIT[@]}" "$PB" "$@") <"$input" >"$out" 2>"$err"
	status=$?

	if [ "$status" -ne "$want_status" ]; then
		echo "exit status: expected $want_status, got $status" >>"$report"
	fi
	case $want_out in
	empty) [ -s "$out" ] && echo "stdout: expected empty" >>"$report" ;;
	nonempty) [ -s "$out" ] || echo "stdout: expected something" >>"$report" ;;
	version)
		if [ "$(wc -l <"$out")" -ne 1 ] || ! grep -Eq '^pb-ingest [0-9]+\.[0-9]+\.[0-9]+$' "$out"; then
			echo "stdout: expected one line \"pb-ingest X.Y.Z\"" >>"$report"
		fi
		;;
	*)
		if ! cmp -s "$want_out" "$out"; then
			echo "stdout differs (diff expected got):" >>"$report"
			diff -u --label expected --label got "$want_out" "$out" >>"$report"
		fi
		;;
	esac
	case $want_err in
	any) ;;
	empty) [ -s "$err" ] && echo "stderr: expected empty" >>"$report" ;;
	nonempty) [ -s "$err" ] || echo "stderr: expected a message" >>"$report" ;;
	*)
		if ! match_stderr "$want_err" "$err"; then
			echo "stderr differs (diff expected got):" >>"$report"
			diff -u --label expected --label got "$want_err" "$err" >>"$report"
		fi
		;;
	esac
	# A wrong status or stdout alone does not show stderr: show it, it usually says why.
	if [ -s "$report" ] && [ -s "$err" ] && ! grep -q '^stderr' "$report"; then
		echo "stderr was:" >>"$report"
		head -n 20 "$err" >>"$report"
	fi

	if [ -s "$report" ]; then
		echo "not ok - $name"
		sed 's/^/#   /' "$report"
		failed=$((failed + 1))
	else
		echo "ok - $name"
		passed=$((passed + 1))
	fi
}

# want NAME MODE FILE...: declares that expected.py is to compute, from the plain fixtures FILE..., the
# summary that a case then finds in $E/NAME. All of them are computed in one run of expected.py.
E=$TMP/expected
mkdir -p "$E"
: >"$TMP/expected.spec"
want() {
	local IFS=$'\t'
	echo "$*" >>"$TMP/expected.spec"
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

SINGLE=(legacy-basic legacy-crlf cur2-bom cur2-upper legacy-precision legacy-unknown-type legacy-header-only)
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
if ! python3 "$HERE/expected.py" --batch "$E" <"$TMP/expected.spec" 2>"$TMP/expected.err"; then
	echo "not ok - expected.py refused a fixture"
	sed 's/^/#   /' "$TMP/expected.err"
	failed=$((failed + 1))
fi

# Warnings only where a file has more than 18 decimal places or an unknown line item type.
WARN_FILES=" legacy-precision legacy-unknown-type "
for f in "${SINGLE[@]}"; do
	if [[ $WARN_FILES == *" $f "* ]]; then werr=nonempty; else werr=empty; fi
	for mode in --summary --summary=daily; do
		check "$f $mode" 0 "$E/$f$mode" "$werr" "$V" /dev/null --format aws-cur "$mode" "$f.csv"
	done
done

check "all files --summary" 0 "$E/all--summary" nonempty \
	"$V" /dev/null --format aws-cur --summary --no-progress "${ALL[@]}"
check "all files --summary=accounts" 0 "$E/all--summary=accounts" nonempty \
	"$V" /dev/null --format aws-cur --summary=accounts --no-progress "${ALL[@]}"
check "all files --summary=daily" 0 "$E/all--summary=daily" nonempty \
	"$V" /dev/null --format aws-cur --summary=daily --no-progress "${ALL[@]}"
check "all files in reverse order --summary=daily" 0 "$E/all--summary=daily" nonempty \
	"$V" /dev/null --format aws-cur --no-progress --summary=daily "${ALL_REV[@]}"
check "clean files --summary=daily, nothing on stderr" 0 "$E/clean--summary=daily" empty \
	"$V" /dev/null --format aws-cur --summary=daily --no-progress legacy-basic.csv legacy-crlf.csv cur2-bom.csv \
	cur2-upper.csv
check "same file twice sums twice" 0 "$E/twice--summary=daily" empty \
	"$V" /dev/null --format aws-cur --summary=daily legacy-basic.csv legacy-basic.csv
check "--progress keeps stdout clean" 0 "$E/legacy-crlf--summary" any \
	"$V" /dev/null --format aws-cur --summary --progress legacy-crlf.csv

for f in legacy-basic legacy-crlf cur2-bom cur2-upper; do
	check "$f gzip --summary=daily" 0 "$E/$f--summary=daily" empty \
		"$V" /dev/null --format aws-cur --summary=daily "$f.csv.gz"
done
check "gzip named .csv (magic bytes) --summary=daily" 0 "$E/cur2-upper--summary=daily" empty \
	"$V" /dev/null --format aws-cur --summary=daily cur2-upper-gzip-named.csv
check "multi-member gzip cut inside CRLF, empty member --summary=daily" 0 "$E/legacy-crlf--summary=daily" empty \
	"$V" /dev/null --format aws-cur --summary=daily legacy-crlf.multi.gz
check "multi-member gzip cut mid-file --summary=daily" 0 "$E/legacy-basic--summary=daily" empty \
	"$V" /dev/null --format aws-cur --summary=daily legacy-basic.multi.gz
check "stdin plain --summary=daily" 0 "$E/legacy-basic--summary=daily" empty \
	"$V" "$V/legacy-basic.csv" --format aws-cur --summary=daily -
check "stdin gzip --summary=daily" 0 "$E/legacy-crlf--summary=daily" empty \
	"$V" "$V/legacy-crlf.csv.gz" --format aws-cur --summary=daily -
check "stdin among files --summary" 0 "$E/basic-and-bom--summary" empty \
	"$V" "$V/cur2-bom.csv.gz" --format aws-cur --summary legacy-basic.csv -

if [ "$HAVE_ZIP" = yes ]; then
	check "zip --summary=daily" 0 "$E/cur2-bom--summary=daily" empty \
		"$V" /dev/null --format aws-cur --summary=daily cur2-bom.zip
	check "zip named .csv (magic bytes) --summary" 0 "$E/cur2-bom--summary" empty \
		"$V" /dev/null --format aws-cur --summary cur2-bom-zip-named.csv
	MIXED=(legacy-basic.csv.gz legacy-crlf.zip cur2-bom.csv cur2-upper.csv.gz legacy-precision.csv
		legacy-unknown-type.csv.gz legacy-header-only.csv)
else
	echo "# zip is not installed (Debian package zip): ZIP cases skipped"
	MIXED=(legacy-basic.csv.gz legacy-crlf.csv cur2-bom.csv cur2-upper.csv.gz legacy-precision.csv
		legacy-unknown-type.csv.gz legacy-header-only.csv)
fi
check "plain, gzip and zip mixed --summary=daily" 0 "$E/all--summary=daily" nonempty \
	"$V" /dev/null --format aws-cur --summary=daily "${MIXED[@]}"

# ---- help and version ----------------------------------------------------------------------------------

check "--help" 0 nonempty empty "$TMP" /dev/null --help
check "--version" 0 version empty "$TMP" /dev/null --version

# ---- error cases ---------------------------------------------------------------------------------------

for case_dir in "$HERE"/*/; do
	name=$(basename "$case_dir")
	[ -f "$case_dir/args" ] || continue
	work=$TMP/cases/$name
	mkdir -p "$TMP/cases"
	cp -R "$case_dir" "$work"
	if [ -f "$work/prepare.sh" ] && ! (cd "$work" && bash ./prepare.sh) >"$TMP/prepare.err" 2>&1; then
		echo "not ok - $name (prepare.sh failed)"
		sed 's/^/#   /' "$TMP/prepare.err"
		failed=$((failed + 1))
		continue
	fi
	mapfile -t args <"$work/args"
	input=/dev/null
	[ -f "$work/stdin" ] && input=$work/stdin
	want_err=nonempty
	[ -f "$work/expected.stderr" ] && want_err=$work/expected.stderr
	check "$name" "$(cat "$work/expected.status")" empty "$want_err" "$work" "$input" "${args[@]}"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
