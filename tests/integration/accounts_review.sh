#!/usr/bin/env bash
# Integration tests of the pb-accounts review against a throwaway PostgreSQL cluster: messages as JSON lines,
# output that cannot be written, text PostgreSQL would refuse, ISO 3166-1 country codes (in the program and
# in the database), the invoice currency and markup of an account, links proposed from customer-controlled
# names that wait for a person's approval, and migration 005 on a database that has rows it must check.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBA=$BIN/pb-accounts
PBDB=$BIN/pb-db

pb_test_tmp accounts-review
unset PB_MAPPING_RULES
export PB_ELIGIBILITY_CONFIG=$ROOT/config/eligibility.conf
trap pb_test_cleanup EXIT

# t NAME STATUS STDOUT STDERR CMD...: runs CMD, then compares its exit status, stdout and stderr exactly.
t() {
	local name=$1 st=$2 out=$3 err=$4
	shift 4
	"$@" >"$TMP/out" 2>"$TMP/err"
	check "$name" "$st|$out|$err" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
}
# dump: the accounts, terms, links and proposals, to compare before and after a command that must change nothing.
dump() {
	pb_sql "SELECT * FROM pb.clc_account ORDER BY alias" '|'
	pb_sql "SELECT * FROM pb.terms_acceptance ORDER BY id" '|'
	pb_sql "SELECT * FROM pb.partner_account ORDER BY id" '|'
	pb_sql "SELECT * FROM pb.link_proposal ORDER BY id" '|'
}
# unchanged NAME CMD...: CMD leaves the database as it was.
unchanged() {
	local name=$1 before
	shift
	before=$(dump)
	"$@" >/dev/null 2>&1
	check "$name" "$before" "$(dump)"
}

if [ ! -x "$PBA" ] || [ ! -x "$PBDB" ]; then
	notok "the programs are built" "no $PBA or $PBDB"
	pb_tests_done
	exit 1
fi
pb_test_cluster_start "start a throwaway cluster and migrate it"

# ---- messages as JSON lines ------------------------------------------------------------------------------

"$PBA" add US1 --name "US One" --country US >/dev/null
"$PBA" --log-format json check US1 --vendor aws >"$TMP/out" 2>"$TMP/err"
check "--log-format json before the command: one JSON object a line, with the account" \
	"4|2|error|US1|US1: not eligible for aws: terms not accepted: centurylink|pb-accounts" \
	"$?|$(wc -l <"$TMP/err")|$(python3 -c 'import json, sys
m = [json.loads(l) for l in open(sys.argv[1])]
print(m[0]["level"], m[0]["account"], m[0]["message"], m[0]["program"], sep="|")' "$TMP/err")"
printf 'alias,name,billing_country\nJS1,Json,US\nJS2,Json,USA\n' >"$TMP/json.csv"
"$PBA" import "$TMP/json.csv" --log-format json >"$TMP/out" 2>"$TMP/err"
check "--log-format json after the command: an import error carries file, line and column" \
	"1|$TMP/json.csv|3|10|bad billing country 'USA': a two-letter ISO 3166 code such as US" \
	"$?|$(python3 -c 'import json, sys
m = json.loads(open(sys.argv[1]).read())
print(m["file"], m["line"], m["column"], m["message"], sep="|")' "$TMP/err")"
"$PBA" check US1 --vendor gcp --log-format=json >"$TMP/out" 2>"$TMP/err"
check "--log-format=json applies to the messages about options too, and leaves out the Try line" \
	"2|1|{\"program\": \"pb-accounts\", \"level\": \"error\", \"message\": \"check: --vendor takes aws or azure, not 'gcp'\"}" \
	"$?|$(wc -l <"$TMP/err")|$(python3 -c 'import json, sys
m = json.loads(open(sys.argv[1]).read())
del m["time"]
print(json.dumps(m))' "$TMP/err")"
t "a bad --log-format is a usage error" 2 "" "pb-accounts: --log-format takes plain or json, not 'xml'
Try 'pb-accounts --help'." "$PBA" --log-format xml list
t "--log-format plain is the default's format" 1 "" "pb-accounts: no CLC account 'ZZ9'" \
	"$PBA" --log-format plain show ZZ9

pb_tests_done
