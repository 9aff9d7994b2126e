#!/usr/bin/env bash
# The malformed-input corpus of pb-ingest: every case of tests/corpus/{aws-cur,azure-cost,partner-center}
# (a small input file and CASE.expect beside it; the binary ones made by generate.py) run in --summary=daily
# and in store mode, with and without --month, against a throwaway PostgreSQL cluster. For each mode the exit
# status and the exact first line of stderr are checked, stdout is empty after an error, and the store is
# left as it was: a good import of each format's seed under the source corpus:FORMAT, which no case may
# replace, supersede or add to.
#
# CASE.expect: comment lines ('#'), then lines "MODES STATUS FIRST-STDERR-LINE". MODES is '*' or a comma
# list of summary (--summary=daily), summary-month (the same with --month 2026-10), store (store mode without
# --month) and store-month (with --month 2026-10). A later line overrides an earlier one for its modes. The
# modes run are summary, store and store-month (partner-center: summary and store-month, as it stores only
# with --month), and any other a line names. FIRST-STDERR-LINE is '-' for an empty stderr; @SEED@ stands for
# the seed import's id and @NEW@ for the id of the import an accepted case committed. A case accepted in a
# store mode (STATUS 0) is stored under its own source, accepted:FORMAT:CASE, never the seed's. CASE.daily,
# when present, is the exact --summary=daily output of a case accepted in the summary modes.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$HERE/../lib.sh"
PBI=$BIN/pb-ingest
FORMATS=(aws-cur azure-cost partner-center)
MONTH=2026-10

pb_test_tmp corpus
pb_on_exit pb_test_cleanup
pb_test_cluster_start

for fmt in "${FORMATS[@]}"; do
	cp -R "$HERE/$fmt" "$TMP/$fmt"
done
if ! python3 "$HERE/generate.py" "$TMP" 2>"$TMP/generate.err"; then
	notok "generate.py makes the binary cases" "$(cat "$TMP/generate.err")"
	pb_tests_done
	exit 1
fi

# state: STATE, the store but for the imports of accepted cases: committed imports and their totals, the
# imports that did not fail, the daily rows, the files and the names.
state() {
	pb_sql_in "WITH i AS (SELECT * FROM pb.import WHERE source NOT LIKE 'accepted:%')
	SELECT (SELECT coalesce(string_agg(id || ' ' || source || ' ' || line_count || ' '
		|| coalesce(list_total::text, '-') || ' ' || billed_total, '; ' ORDER BY id), 'none')
		FROM i WHERE status = 'committed')
	|| ' | ' || (SELECT count(*) FROM i WHERE status <> 'failed') || ' not failed'
	|| ' | ' || (SELECT count(*) || ' rows ' || coalesce(sum(line_count), 0) || ' lines '
		|| coalesce(sum(list_cost), 0) || ' list ' || coalesce(sum(billed_cost), 0) || ' billed'
		FROM pb.usage_daily WHERE import_id IN (SELECT id FROM i))
	|| ' | ' || (SELECT count(*) FROM pb.import_file WHERE import_id IN (SELECT id FROM i)) || ' files '
	|| ' | ' || (SELECT count(*) FROM pb.partner_account_name WHERE import_id IN (SELECT id FROM i)) || ' names'"
	STATE=$SQL_ROWS
	# A query that fails must not compare equal to itself: two unreadable states prove nothing.
	case $STATE in *ERROR:* | "SQL FAILED"*) STATE="unreadable ($RANDOM$RANDOM): $STATE" ;; esac
}

# The seed of each format: the good import every case runs against.
declare -A SEED
for fmt in "${FORMATS[@]}"; do
	seed=$(cd "$TMP/$fmt" && ls seed.*)
	if ! (cd "$TMP/$fmt" && "$PBI" --format "$fmt" --no-progress --source "corpus:$fmt" --month $MONTH "$seed") \
		>"$TMP/out" 2>"$TMP/err"; then
		notok "$fmt: the seed is stored" "$(cat "$TMP/out" "$TMP/err")"
		pb_tests_done
		exit 1
	fi
	SEED[$fmt]=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = 'corpus:$fmt'")
done
ok "the seeds of the three formats are stored"
pb_sql_session_start
state
before=$STATE

# read_expect FORMAT CASE_EXPECT: WANT[MODE] ("STATUS LINE", the last line naming MODE or '*') for every
# mode the case runs in, listed in MODES. Pure bash: a case runs in hundreds of modes in all.
declare -A WANT
read_expect() {
	local sel status line m star='' mode
	local -a names
	WANT=()
	if [ "$1" == partner-center ]; then MODES="summary store-month"; else MODES="summary store store-month"; fi
	while IFS=' ' read -r sel status line; do
		[[ -z $sel || $sel == '#'* ]] && continue
		IFS=, read -r -a names <<<"$sel"
		for m in "${names[@]}"; do
			if [ "$m" == '*' ]; then
				star="$status $line"
				for mode in $MODES; do WANT[$mode]="$status $line"; done
			else
				WANT[$m]="$status $line"
				case " $MODES " in *" $m "*) ;; *) MODES+=" $m" ;; esac
			fi
		done
	done <"$2"
	for mode in $MODES; do
		[ -n "${WANT[$mode]:-}" ] || WANT[$mode]=$star
	done
}

ncases=0
for fmt in "${FORMATS[@]}"; do
	dir=$TMP/$fmt
	# Messages name the files as given: relative to their folder.
	cd "$dir" || exit 1
	# Every input has its expectation, and every expectation its input: nothing is skipped unseen.
	for f in "$dir"/*; do
		name=${f##*/}
		case $name in seed.* | *.expect | *.daily) continue ;; esac
		[ -f "$dir/${name%%.*}.expect" ] || notok "$fmt/$name has no ${name%%.*}.expect"
	done
	for expect in "$dir"/*.expect; do
		case=${expect##*/}
		case=${case%.expect}
		inputs=()
		for f in "$dir/$case".*; do
			case $f in *.expect | *.daily) ;; *) inputs+=("${f##*/}") ;; esac
		done
		if [ "${#inputs[@]}" -ne 1 ]; then
			notok "$fmt/$case: one input file" "found: ${inputs[*]}"
			continue
		fi
		input=${inputs[0]}
		ncases=$((ncases + 1))
		read_expect "$fmt" "$expect"
		for mode in $MODES; do
			w=${WANT[$mode]:-}
			if [ -z "$w" ]; then
				notok "$fmt/$case $mode: an expectation for the mode"
				continue
			fi
			status=${w%% *}
			line=${w#* }
			source=corpus:$fmt
			[ "$status" == 0 ] && source=accepted:$fmt:$case
			args=()
			case $mode in
			summary) args=(--summary=daily) ;;
			summary-month) args=(--summary=daily --month "$MONTH") ;;
			store) args=(--source "$source") ;;
			store-month) args=(--source "$source" --month "$MONTH") ;;
			esac
			"$PBI" --format "$fmt" --no-progress "${args[@]}" "$input" >"$TMP/out" 2>"$TMP/err" </dev/null
			st=$?
			line=${line//@SEED@/${SEED[$fmt]}}
			if [[ $line == *@NEW@* ]]; then
				pb_sql_in "SELECT coalesce(max(id), 0) FROM pb.import WHERE status = 'committed'
					AND source = '$source'"
				line=${line//@NEW@/$SQL_ROWS}
			fi
			got=-
			[ -s "$TMP/err" ] && IFS= read -r got <"$TMP/err"
			report=
			[ "$st" == "$status" ] || report+="exit status: expected $status, got $st"$'\n'
			[ "$got" == "$line" ] || report+="first stderr line: expected"$'\n'"  $line"$'\n'"got"$'\n'"  $got"$'\n'
			if [ "$status" != 0 ] && [ -s "$TMP/out" ]; then
				report+="stdout: expected empty, got $(head -c 200 "$TMP/out")"$'\n'
			fi
			if [ "$status" == 0 ] && [[ $mode == summary* ]] && [ -f "$dir/$case.daily" ] &&
				! cmp -s "$dir/$case.daily" "$TMP/out"; then
				report+="stdout differs from $case.daily: $(diff "$dir/$case.daily" "$TMP/out" | head -n 6)"$'\n'
			fi
			if [ -z "$report" ]; then ok "$fmt/$case $mode"; else notok "$fmt/$case $mode" "$report"; fi
		done
		# An accepted case's import leaves the month, so that the next one overlaps the seed alone.
		pb_sql_in "UPDATE pb.import SET status = 'superseded' WHERE source = 'accepted:$fmt:$case'
			AND status = 'committed'"
		state
		check "$fmt/$case: the store is unchanged" "$before" "$STATE"
	done
done
cd "$TMP" || exit 1
check "the corpus holds at least 65 cases" "yes" "$([ "$ncases" -ge 65 ] && echo yes || echo "only $ncases")"
echo "# $ncases cases"
pb_tests_done
