#!/usr/bin/env bash
# The malformed-input corpus of 'pb-accounts import': each folder of tests/corpus/accounts/ holds one input
# file (input.csv, input.csv.gz), its exit status (expected.status), its standard error, exactly
# (expected.stderr, FILE:LINE:COLUMN as the program says it, the file named as given: input.csv), and, when
# the import succeeds, its standard output (expected.stdout; otherwise stdout must be empty). Every case
# runs against one throwaway cluster holding a few accounts, and must leave pb.clc_account and
# pb.terms_acceptance exactly as they were.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBA=$BIN/pb-accounts
CORPUS=$ROOT/tests/corpus/accounts

pb_test_tmp corpus-accounts
pb_on_exit pb_test_cleanup
if [ ! -x "$PBA" ]; then
	notok "the programs are built" "no $PBA"
	pb_tests_done
	exit 1
fi
pb_test_cluster_start "start a throwaway cluster and migrate it"

# What the cases meet: an account that exists (EX1), a reseller (RSL1), an account that is not one (NR1).
printf 'alias,name,billing_country,is_reseller\nEX1,Exists Inc,US,no\nRSL1,Reseller Inc,US,yes\nNR1,Not Reseller,GB,no\n' \
	>"$TMP/seed.csv"
if ! "$PBA" import "$TMP/seed.csv" --by corpus >"$TMP/seed.log" 2>&1 ||
	! "$PBA" accept-terms EX1 --vendor centurylink --version 1 --by corpus >>"$TMP/seed.log" 2>&1; then
	notok "seed the accounts" "$(cat "$TMP/seed.log")"
fi
# dump: both tables, in one query (a psql per table would double the time the cases take).
dump() {
	pb_sql "SELECT 'clc_account', to_jsonb(a)::text FROM pb.clc_account a
		UNION ALL SELECT 'terms_acceptance', to_jsonb(t)::text FROM pb.terms_acceptance t ORDER BY 1, 2" '|'
}

# The tables as every case must leave them (as the last case left them, after one that changed them).
before=$(dump)
n=0
for dir in "$CORPUS"/*/; do
	name=$(basename "$dir")
	work=$TMP/cases/$name
	mkdir -p "$work"
	cp -R "$dir". "$work"
	inputs=("$work"/input*)
	if [ ${#inputs[@]} -ne 1 ] || [ ! -f "$work/expected.status" ] || [ ! -f "$work/expected.stderr" ]; then
		notok "$name: one input file, expected.status and expected.stderr"
		continue
	fi
	input=$(basename "${inputs[0]}")
	want_out=/dev/null
	[ -f "$work/expected.stdout" ] && want_out=$work/expected.stdout
	(cd "$work" && exec "$PBA" import "$input" --by corpus) >"$TMP/out" 2>"$TMP/err"
	st=$?
	report=""
	[ "$st" == "$(cat "$work/expected.status")" ] || report+="exit status: expected $(cat "$work/expected.status"), got $st"$'\n'
	cmp -s "$work/expected.stderr" "$TMP/err" ||
		report+="stderr differs:"$'\n'"$(diff -u --label expected --label got "$work/expected.stderr" "$TMP/err")"$'\n'
	cmp -s "$want_out" "$TMP/out" ||
		report+="stdout differs:"$'\n'"$(diff -u --label expected --label got "$want_out" "$TMP/out")"$'\n'
	after=$(dump)
	if [ "$before" != "$after" ]; then
		report+="the database changed:"$'\n'"$(diff <(echo "$before") <(echo "$after"))"$'\n'
		before=$after
	fi
	if [ -z "$report" ]; then ok "$name"; else notok "$name" "$report"; fi
	n=$((n + 1))
done
check "the corpus has at least 20 cases" "yes" "$([ "$n" -ge 20 ] && echo yes || echo "no: $n")"
pb_tests_done
