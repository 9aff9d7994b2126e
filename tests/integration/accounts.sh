#!/usr/bin/env bash
# Integration tests of pb-accounts against a throwaway PostgreSQL cluster and the Partner Center test server:
# every eligibility rule with its exit status and message, terms per vendor and region, links that the
# database itself keeps from overlapping, usage attributed by date, all-or-nothing imports, Azure customer
# creation that never makes two customers (a timeout after the server made one, retries, refusals),
# accounts changed in place with eligibility following them, and mapping rules, a catastrophically
# backtracking one included. Everything is stopped when the script ends.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBA=$BIN/pb-accounts
PBDB=$BIN/pb-db
. "$ROOT/tests/servers/lib.sh"

pb_test_tmp accounts
unset PB_MAPPING_RULES
unset AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET PB_PC_LOGIN_URL PB_PC_API_URL
export PB_ELIGIBILITY_CONFIG=$ROOT/config/eligibility.conf
cleanup() {
	[ -n "${BGPID:-}" ] && kill -9 "$BGPID" 2>/dev/null
	pb_test_cleanup
}
pb_on_exit cleanup

# t NAME STATUS STDOUT STDERR CMD...: runs CMD, then compares its exit status, stdout and stderr exactly.
t() {
	local name=$1 st=$2 out=$3 err=$4
	shift 4
	"$@" >"$TMP/out" 2>"$TMP/err"
	check "$name" "$st|$out|$err" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
}

if [ ! -x "$PBA" ] || [ ! -x "$PBDB" ]; then
	notok "the programs are built" "no $PBA or $PBDB"
	pb_tests_done
	exit 1
fi
# Made from nothing (not run-suites.sh's migrated copy): the check below reads what migrate said.
PB_TEST_TEMPLATE='' pb_test_cluster_start "start a throwaway cluster and migrate it"
check "the accounts migration applies as the pb role, with btree_gist" "applied 003_accounts.sql|btree_gist" \
	"$(grep -o 'applied 003_accounts.sql' "$TMP/init.log")|$(pb_sql "SELECT extname FROM pg_extension WHERE extname = 'btree_gist'")"

# ---- help and manual -------------------------------------------------------------------------------------

COMMANDS="add update show list import accept-terms check link unlink create-azure-customer suggest proposals approve reject"
"$PBA" --help >"$TMP/out" 2>&1
st=$?
missing=""
for c in $COMMANDS; do grep -q "^  $c" "$TMP/out" || missing+=" $c"; done
check "pb-accounts --help lists every command" "0|" "$st|$missing"
bad=""
for c in $COMMANDS; do
	"$PBA" "$c" --help >"$TMP/out" 2>"$TMP/err"
	st=$?
	if [ $st -ne 0 ] || ! grep -q "^usage: pb-accounts $c" "$TMP/out" || ! grep -q '^Exit status:' "$TMP/out" ||
		[ -s "$TMP/err" ]; then
		bad+=" $c($st)"
	fi
done
check "every command has --help" "" "$bad"
missing=""
for c in $COMMANDS; do grep -q "^\.B $c\$" "$ROOT/man/pb-accounts.1" || missing+=" $c"; done
warn=$(groff -man -Tutf8 -ww -z "$ROOT/man/pb-accounts.1" 2>&1)
check "the man page describes every command and formats without warnings" "|" "$missing|$warn"
t "an unknown command is a usage error" 2 "" "pb-accounts: unknown command 'frobnicate'
Try 'pb-accounts --help'." "$PBA" frobnicate
t "an option another command takes is refused" 2 "" "pb-accounts: check: unknown option '--from'
Try 'pb-accounts check --help'." "$PBA" check US1 --vendor aws --from 2026-10-01

# ---- accounts --------------------------------------------------------------------------------------------

t "add an account" 0 "added CLC account US1 (US Corp One, US)" "" "$PBA" add us1 --name "US Corp One" --country us
t "add a second" 0 "added CLC account US2 (US Corp Two, US)" "" "$PBA" add US2 --name "US Corp Two" --country US
t "add a third" 0 "added CLC account US3 (US Corp Three, US)" "" "$PBA" add US3 --name "US Corp Three" --country US
t "add a British account" 0 "added CLC account GB1 (UK Ltd, GB)" "" "$PBA" add GB1 --name "UK Ltd" --country GB
t "add a French account" 0 "added CLC account FR1 (France SA, FR)" "" "$PBA" add FR1 --name "France SA" --country FR
t "add a Canadian account" 0 "added CLC account CA1 (Canada Inc, CA)" "" "$PBA" add CA1 --name "Canada Inc" --country CA
t "add a reseller" 0 "added CLC account RSL1 (Resell Co, US, reseller)" "" \
	"$PBA" add RSL1 --name "Resell Co" --country US --reseller
t "add a reseller's customer" 0 "added CLC account CUS1 (End Customer, US, customer of reseller RSL1)" "" \
	"$PBA" add CUS1 --name "End Customer" --country US --parent rsl1
# add run again (a script's step after exit 3, which a lost connection gives once the commit went through) was
# refused, "exists already", though the account it adds is stored: an account stored with every value add gives
# (and the defaults for those it leaves out) is unchanged, exit 0, as import takes a row stored already.
t "add run again with the same values: unchanged, exit 0" 0 "CLC account US1 (US Corp One, US) exists already as given: unchanged" "" \
	"$PBA" add us1 --name "US Corp One" --country us
t "and a reseller's customer" 0 "CLC account CUS1 (End Customer, US, customer of reseller RSL1) exists already as given: unchanged" "" \
	"$PBA" add CUS1 --name "End Customer" --country US --parent rsl1
t "an alias that exists with other values is bad input" 1 "" "pb-accounts: CLC account 'US1' exists already" \
	"$PBA" add US1 --name "Again" --country US
t "and so is one with a value add leaves out (a reseller added without --reseller)" 1 "" \
	"pb-accounts: CLC account 'RSL1' exists already" "$PBA" add RSL1 --name "Resell Co" --country US
t "a parent that is not a reseller is bad input" 1 "" "pb-accounts: parent reseller 'US1' is not a reseller" \
	"$PBA" add CUS2 --name "X" --country US --parent US1
t "a parent that does not exist is bad input" 1 "" "pb-accounts: parent reseller 'NOPE' does not exist" \
	"$PBA" add CUS2 --name "X" --country US --parent NOPE
t "a bad alias is bad input" 1 "" "pb-accounts: bad alias 'a-1': 2 to 6 letters and digits" \
	"$PBA" add a-1 --name "X" --country US
t "a bad country is bad input" 1 "" "pb-accounts: bad billing country 'USA': a two-letter ISO 3166 code such as US" \
	"$PBA" add CUS2 --name "X" --country USA
t "add without --name is a usage error" 2 "" "pb-accounts: add: --name is required
Try 'pb-accounts add --help'." "$PBA" add CUS2 --country US
t "list" 0 "alias,name,billing_country,is_reseller,parent_reseller,invoice_currency,markup_percent
CA1,Canada Inc,CA,false,,USD,0
CUS1,End Customer,US,false,RSL1,USD,0
FR1,France SA,FR,false,,USD,0
GB1,UK Ltd,GB,false,,USD,0
RSL1,Resell Co,US,true,,USD,0
US1,US Corp One,US,false,,USD,0
US2,US Corp Two,US,false,,USD,0
US3,US Corp Three,US,false,,USD,0" "" "$PBA" list
t "show an unknown account" 1 "" "pb-accounts: no CLC account 'ZZ9'" "$PBA" show zz9

# ---- terms and eligibility -------------------------------------------------------------------------------

t "no terms: both terms rules fail, exit 4" 4 "" "pb-accounts: US1: not eligible for azure: terms not accepted: centurylink
pb-accounts: US1: not eligible for azure: terms not accepted: azure in region US" "$PBA" check US1 --vendor azure
t "accept the CenturyLink terms" 0 "US1: centurylink terms, version 2026-01, accepted by jane@clc at NOW" "" \
	sh -c "'$PBA' accept-terms US1 --vendor centurylink --version 2026-01 --by jane@clc | sed 's/at [-0-9T:]*Z\$/at NOW/'"
t "the vendor's terms are still missing" 4 "" "pb-accounts: US1: not eligible for azure: terms not accepted: azure in region US" \
	"$PBA" check US1 --vendor azure
t "accept the Azure terms for the wrong region" 0 "US1: azure terms for region GB, version 7, accepted by jane@clc at NOW" "" \
	sh -c "'$PBA' accept-terms US1 --vendor azure --region gb --version 7 --by jane@clc | sed 's/at [-0-9T:]*Z\$/at NOW/'"
t "terms of another region do not count" 4 "" "pb-accounts: US1: not eligible for azure: terms not accepted: azure in region US" \
	"$PBA" check US1 --vendor azure
t "terms of another vendor do not count" 4 "" "pb-accounts: US1: not eligible for aws: terms not accepted: aws in region US" \
	"$PBA" check US1 --vendor aws
"$PBA" accept-terms US1 --vendor azure --region US --version 7 --by jane@clc >/dev/null
"$PBA" accept-terms US1 --vendor aws --region US --version 3 --by jane@clc >/dev/null
t "a US account with every terms accepted is eligible for azure" 0 "US1: eligible for azure" "" "$PBA" check US1 --vendor azure
t "and for aws" 0 "US1: eligible for aws" "" "$PBA" check US1 --vendor aws
check "who accepted which version, for which vendor and region, is recorded" "centurylink,,2026-01,jane@clc
azure,GB,7,jane@clc
azure,US,7,jane@clc
aws,US,3,jane@clc" "$(pb_sql "SELECT terms, region, version, accepted_by FROM pb.terms_acceptance WHERE alias = 'US1' AND accepted_at <= now() ORDER BY id")"

# accept_all ALIAS REGION: every terms for the region.
accept_all() {
	"$PBA" accept-terms "$1" --vendor centurylink --version 2026-01 --by ops >/dev/null &&
		"$PBA" accept-terms "$1" --vendor azure --region "$2" --version 7 --by ops >/dev/null &&
		"$PBA" accept-terms "$1" --vendor aws --region "$2" --version 3 --by ops >/dev/null || notok "accept terms for $1"
}
for a in US2 US3; do accept_all $a US; done
accept_all GB1 GB
accept_all FR1 FR
accept_all CA1 CA
accept_all RSL1 US
accept_all CUS1 US
t "Azure: the United Kingdom is allowed" 0 "GB1: eligible for azure" "" "$PBA" check GB1 --vendor azure
t "AWS: the United Kingdom is not" 4 "" "pb-accounts: GB1: not eligible for aws: billing country GB is not among aws's allowed countries (US)" \
	"$PBA" check GB1 --vendor aws
t "Azure: France is not allowed" 4 "" "pb-accounts: FR1: not eligible for azure: billing country FR is not among azure's allowed countries (US, GB)" \
	"$PBA" check FR1 --vendor azure
t "AWS: France is not allowed" 4 "" "pb-accounts: FR1: not eligible for aws: billing country FR is not among aws's allowed countries (US)" \
	"$PBA" check FR1 --vendor aws
t "resellers are excluded" 4 "" "pb-accounts: RSL1: not eligible for aws: reseller accounts are excluded" \
	"$PBA" check RSL1 --vendor aws
t "customers of resellers are excluded" 4 "" "pb-accounts: CUS1: not eligible for azure: customer of reseller RSL1" \
	"$PBA" check CUS1 --vendor azure
t "a reseller's customer abroad without terms fails every rule, each on its line" 4 "" \
	"pb-accounts: CUS2: not eligible for aws: customer of reseller RSL1
pb-accounts: CUS2: not eligible for aws: billing country DE is not among aws's allowed countries (US)
pb-accounts: CUS2: not eligible for aws: terms not accepted: centurylink
pb-accounts: CUS2: not eligible for aws: terms not accepted: aws in region DE" \
	sh -c "'$PBA' add CUS2 --name Kunde --country DE --parent RSL1 >/dev/null && '$PBA' check CUS2 --vendor aws"

# The allowed countries come from the config file.
printf '# test\nazure = US GB\naws = US CA # North America\n' >"$TMP/elig.conf"
t "--config allows what the file allows" 0 "CA1: eligible for aws" "" "$PBA" check CA1 --vendor aws --config "$TMP/elig.conf"
t "so does PB_ELIGIBILITY_CONFIG" 0 "CA1: eligible for aws" "" env PB_ELIGIBILITY_CONFIG="$TMP/elig.conf" "$PBA" check CA1 --vendor aws
t "the repository's config is the default from its top folder" 4 "" \
	"pb-accounts: CA1: not eligible for aws: billing country CA is not among aws's allowed countries (US)" \
	sh -c "cd '$ROOT' && unset PB_ELIGIBILITY_CONFIG && exec '$PBA' check CA1 --vendor aws"
t "no config anywhere is a usage error" 2 "" \
	"pb-accounts: no eligibility config: give --config FILE or set PB_ELIGIBILITY_CONFIG (looked for $(dirname "$BIN")/share/partnerbill/eligibility.conf and config/eligibility.conf)
Try 'pb-accounts check --help'." sh -c "cd '$TMP' && unset PB_ELIGIBILITY_CONFIG && exec '$PBA' check CA1 --vendor aws"
t "a --config that is not there is a usage error, as a --pricing that is not" 2 "" \
	"pb-accounts: cannot open '$TMP/none.conf': No such file or directory
Try 'pb-accounts check --help'." "$PBA" check CA1 --vendor aws --config "$TMP/none.conf"
head -c 1100000 /dev/zero | tr '\0' '#' >"$TMP/huge.conf"
t "a --config that is there but too large is bad data, not a usage error" 1 "" \
	"pb-accounts: $TMP/huge.conf: larger than 1048576 bytes" "$PBA" check CA1 --vendor aws --config "$TMP/huge.conf"
printf 'azure = US GB\naws = US usa\n' >"$TMP/bad.conf"
t "a bad country in the config is reported with its position" 1 "" \
	"pb-accounts: $TMP/bad.conf:2:10: bad country 'usa': a two-letter ISO 3166 code in capitals, such as US" \
	"$PBA" check CA1 --vendor aws --config "$TMP/bad.conf"
printf 'azure = US GB\n' >"$TMP/bad.conf"
t "a vendor missing from the config is bad input" 1 "" \
	"pb-accounts: $TMP/bad.conf: no line for vendor aws (write 'aws =' to allow no country)" \
	"$PBA" check CA1 --vendor aws --config "$TMP/bad.conf"
printf 'azure = US GB\naws =\ngcp = US\n' >"$TMP/bad.conf"
t "an unknown vendor in the config is bad input" 1 "" "pb-accounts: $TMP/bad.conf:3:1: unknown vendor 'gcp' (aws or azure)" \
	"$PBA" check CA1 --vendor aws --config "$TMP/bad.conf"
# A config's text reached the message as it was: an override (U+202E) reversed what followed it on the terminal
# and a line separator (U+2028) broke the line in some log viewers; both are shown escaped, as a control is.
printf 'azure = US GB\naw\342\200\256s\342\200\250\033[2J =\n' >"$TMP/bad.conf"
t "an unknown vendor holding format and control characters is shown escaped" 1 "" \
	"pb-accounts: $TMP/bad.conf:2:1: unknown vendor 'aw\\u202es\\u2028\\x1b[2J' (aws or azure)" \
	"$PBA" check CA1 --vendor aws --config "$TMP/bad.conf"
"$PBA" --log-format json check CA1 --vendor aws --config "$TMP/bad.conf" >"$TMP/out" 2>"$TMP/err"
check "... and escaped as \\uHHHH in a JSON log line" \
	"1|{\"program\":\"pb-accounts\",\"level\":\"error\",\"message\":\"$TMP/bad.conf:2:1: unknown vendor 'aw\\u202es\\u2028\\u001b[2J' (aws or azure)\"}" \
	"$?|$(sed 's/^{"time":"[^"]*",/{/' "$TMP/err")"
printf 'azure = US GB\naws = U\342\201\246S\n' >"$TMP/bad.conf"
t "a bad country holding an isolate (U+2066) is shown escaped" 1 "" \
	"pb-accounts: $TMP/bad.conf:2:7: bad country 'U\\u2066S': a two-letter ISO 3166 code in capitals, such as US" \
	"$PBA" check CA1 --vendor aws --config "$TMP/bad.conf"
printf 'azure = US GB\naws =\n' >"$TMP/none.conf"
t "a vendor may allow no country" 4 "" "pb-accounts: US1: not eligible for aws: billing country US is not among aws's allowed countries (none)" \
	"$PBA" check US1 --vendor aws --config "$TMP/none.conf"
# A config saved with a UTF-8 byte order mark (as some editors write one) was refused at 1:1 as an unknown vendor
# whose name looked like azure (the mark does not show); the mark is skipped, as import skips it.
printf '\357\273\277azure = US GB\r\naws = US\r\n' >"$TMP/bom.conf"
t "an eligibility config with a byte order mark and CR LF line ends reads as one without" 0 "US1: eligible for aws" "" \
	"$PBA" check US1 --vendor aws --config "$TMP/bom.conf"

t "the CenturyLink terms have no region" 2 "" "pb-accounts: accept-terms: the centurylink terms have no region: leave out --region
Try 'pb-accounts accept-terms --help'." "$PBA" accept-terms US1 --vendor centurylink --region US --version 1 --by x
t "vendor terms need a region" 2 "" "pb-accounts: accept-terms: --region is required
Try 'pb-accounts accept-terms --help'." "$PBA" accept-terms US1 --vendor aws --version 1 --by x
t "accept-terms needs --by" 2 "" "pb-accounts: accept-terms: --by is required
Try 'pb-accounts accept-terms --help'." "$PBA" accept-terms US1 --vendor aws --region US --version 1
# A name with an escape sequence (or a tab) was stored as it was, and 'show' put it on its reader's terminal.
t "--by holding an escape sequence: a usage error" 2 "" "pb-accounts: accept-terms: control character in --by at byte 4
Try 'pb-accounts accept-terms --help'." "$PBA" accept-terms US1 --vendor aws --region US --version 1 --by "$(printf 'eve\033[31m\tx')"
# A name holding a right-to-left override (U+202E) was stored, and an invoice line or 'show' displayed what
# followed it reversed; a line separator (U+2028) broke it in two. Refused where an operator types a value.
t "--by holding U+202E: a usage error" 2 "" "pb-accounts: accept-terms: format character U+202E in --by at byte 4
Try 'pb-accounts accept-terms --help'." "$PBA" accept-terms US1 --vendor aws --region US --version 1 --by "$(printf 'eve\342\200\256lin')"
t "--name holding U+2028: a usage error" 2 "" "pb-accounts: add: format character U+2028 in --name at byte 5
Try 'pb-accounts add --help'." "$PBA" add FMT1 --name "$(printf 'Acme\342\200\250Corp')" --country US
# Terms accepted by a name of blanks, or in a version of blanks, were recorded: an acceptance no one can be held to.
terms_before=$(pb_sql "SELECT count(*) FROM pb.terms_acceptance")
t "--by of blanks alone: a usage error, as an empty one" 2 "" "pb-accounts: accept-terms: --by takes a name, not '   '
Try 'pb-accounts accept-terms --help'." "$PBA" accept-terms US1 --vendor aws --region US --version 1 --by "   "
t "--version of blanks alone: a usage error" 2 "" "pb-accounts: accept-terms: --version takes a version, not '  '
Try 'pb-accounts accept-terms --help'." "$PBA" accept-terms US1 --vendor aws --region US --version "  " --by x
check "and no acceptance was recorded" "$terms_before" "$(pb_sql "SELECT count(*) FROM pb.terms_acceptance")"
# A version older than one accepted already was recorded as any other: an account's terms went back to an older
# version without a word. It is refused (exit 1); versions are compared part by part, numbers as numbers (1.10 is
# after 1.9); the same version is accepted again, and a later one.
t "a version older than the one accepted is refused" 1 "" \
	"pb-accounts: US1: version 2026-01 of the centurylink terms is accepted already: 2025-12 is older, not recorded" \
	"$PBA" accept-terms US1 --vendor centurylink --version 2025-12 --by x
check "and not recorded" "$terms_before" "$(pb_sql "SELECT count(*) FROM pb.terms_acceptance")"
"$PBA" add TV1 --name "Terms Versions" --country US >/dev/null || notok "add TV1"
for v in 1.9 1.10 1.10 2; do
	"$PBA" accept-terms TV1 --vendor aws --region US --version "$v" --by x >/dev/null 2>"$TMP/err" ||
		notok "accept-terms TV1 version $v" "$(cat "$TMP/err")"
done
t "1.9 after 2: older, refused" 1 "" \
	"pb-accounts: TV1: version 2 of the aws terms for region US is accepted already: 1.9 is older, not recorded" \
	"$PBA" accept-terms TV1 --vendor aws --region US --version 1.9 --by x
t "another region's terms are apart" 0 "TV1: aws terms for region GB, version 1.0, accepted by x at NOW" "" \
	sh -c "'$PBA' accept-terms TV1 --vendor aws --region GB --version 1.0 --by x | sed 's/at [-0-9T:]*Z\$/at NOW/'"
check "each acceptance recorded in its order" "1.9,1.10,1.10,2,1.0" \
	"$(pb_sql "SELECT string_agg(version, ',' ORDER BY id) FROM pb.terms_acceptance WHERE alias = 'TV1'")"
# A version of another form was recorded as any: ' 1.9' or 'v1.9' had no order with 1.10, so an older version
# went in past the check above, and '1..9', '1.9.' or a version of a hundred parts were kept as typed. A version
# is numbers separated by single dots or hyphens, at most 64 bytes; anything else is a usage error naming the byte.
terms_before=$(pb_sql "SELECT count(*) FROM pb.terms_acceptance")
bad_version() {
	t "--version '$3': a usage error at byte $2" 2 "" "pb-accounts: accept-terms: --version takes numbers separated by single dots or hyphens (1.10, 2026-01), not '$3' (byte $2)
Try 'pb-accounts accept-terms --help'." "$PBA" accept-terms TV1 --vendor aws --region US --version "$1" --by x
}
bad_version " 1.9" 1 " 1.9"
bad_version "1.9 " 4 "1.9 "
bad_version "v1.9" 1 "v1.9"
bad_version "1..9" 3 "1..9"
bad_version "1.9." 4 "1.9."
bad_version ".1.9" 1 ".1.9"
bad_version "1.-9" 3 "1.-9"
bad_version "rev-A" 1 "rev-A"
bad_version "$(printf '1.\0339')" 3 '1.\x1b9'
bad_version $'1.9\n1' 4 '1.9\x0a1'
bad_version "$(printf '1\342\200\2179')" 2 '1\u200f9'
bad_version "$(printf '\357\274\221.9')" 1 '１.9'
t "--version of 65 bytes: a usage error" 2 "" "pb-accounts: accept-terms: --version is 65 bytes long, at most 64
Try 'pb-accounts accept-terms --help'." "$PBA" accept-terms TV1 --vendor aws --region US --version "$(printf '1.%.0s' {1..32})1" --by x
check "and none was recorded" "$terms_before" "$(pb_sql "SELECT count(*) FROM pb.terms_acceptance")"
t "a version of 64 bytes is taken" 0 "TV1: aws terms for region US, version 2.$(printf '1.%.0s' {1..30})10, accepted by x at NOW" "" \
	sh -c "'$PBA' accept-terms TV1 --vendor aws --region US --version 2.$(printf '1.%.0s' {1..30})10 --by x | sed 's/at [-0-9T:]*Z\$/at NOW/'"
# A dot and a hyphen separate alike: 2026-01 and 2026.02 are in order, not of two forms.
"$PBA" add TV2 --name "Terms Dates" --country US >/dev/null || notok "add TV2"
"$PBA" accept-terms TV2 --vendor centurylink --version 2026.02 --by x >/dev/null || notok "accept-terms TV2 2026.02"
t "2026-01 after 2026.02: older, refused" 1 "" \
	"pb-accounts: TV2: version 2026.02 of the centurylink terms is accepted already: 2026-01 is older, not recorded" \
	"$PBA" accept-terms TV2 --vendor centurylink --version 2026-01 --by x
t "2026-02 after 2026.02: the same, taken" 0 "TV2: centurylink terms, version 2026-02, accepted by x at NOW" "" \
	sh -c "'$PBA' accept-terms TV2 --vendor centurylink --version 2026-02 --by x | sed 's/at [-0-9T:]*Z\$/at NOW/'"
t "an unknown vendor is a usage error" 2 "" "pb-accounts: check: --vendor takes aws or azure, not 'gcp'
Try 'pb-accounts check --help'." "$PBA" check US1 --vendor gcp
t "terms for an unknown account" 1 "" "pb-accounts: no CLC account 'ZZ9'" \
	"$PBA" accept-terms ZZ9 --vendor centurylink --version 1 --by x
t "check of an unknown account" 1 "" "pb-accounts: no CLC account 'ZZ9'" "$PBA" check ZZ9 --vendor aws

# ---- update ----------------------------------------------------------------------------------------------

"$PBA" add UP1 --name "Up One" --country GB >/dev/null && accept_all UP1 GB
t "before the change of country, the British account is eligible for azure" 0 "UP1: eligible for azure" "" \
	"$PBA" check UP1 --vendor azure
t "update changes the country and says what changed" 0 "UP1: billing_country GB -> US" "" \
	"$PBA" update up1 --country us --by jane@clc
t "check then wants the terms of the new region: those of the old one no longer count" 4 "" \
	"pb-accounts: UP1: not eligible for azure: terms not accepted: azure in region US" "$PBA" check UP1 --vendor azure
check "who changed the account and when is recorded" "jane@clc,t" \
	"$(pb_sql "SELECT updated_by, updated_at >= created_at FROM pb.clc_account WHERE alias = 'UP1'")"
t "back to the old country" 0 "UP1: billing_country US -> GB" "" "$PBA" update UP1 --country GB
t "and the account is eligible again" 0 "UP1: eligible for azure" "" "$PBA" check UP1 --vendor azure
t "update changes the profile, a line per field" 0 "UP1: name Up One -> Up One Ltd
UP1: domain (none) -> up1.onmicrosoft.com
UP1: email (none) -> ops@up1.example
UP1: city (none) -> Leeds
UP1: phone (none) -> +44 113 496 0000" "" "$PBA" update UP1 --name "Up One Ltd" --domain UP1.onmicrosoft.com \
	--email ops@up1.example --city Leeds --phone "+44 113 496 0000"
t "an empty value clears an optional field" 0 "UP1: phone +44 113 496 0000 -> (none)" "" "$PBA" update UP1 --phone ""
t "show has the new profile" 0 "alias: UP1
name: Up One Ltd
billing_country: GB
is_reseller: false
domain: up1.onmicrosoft.com
email: ops@up1.example
city: Leeds
invoice_currency: USD
markup_percent: 0
terms: centurylink version 2026-01 by ops at T
terms: azure region GB version 7 by ops at T
terms: aws region GB version 3 by ops at T" "" sh -c "'$PBA' show UP1 | sed 's/at [-0-9T:]*Z/at T/g'"
ME=$(id -un)
before=$(pb_sql "SELECT updated_by, updated_at FROM pb.clc_account WHERE alias = 'UP1'")
check "the last change is recorded, by the login name without --by" "$ME" "${before%%,*}"
t "values that are stored already: nothing to change, exit 0" 0 "UP1: nothing to change" "" \
	"$PBA" update UP1 --country gb --name "Up One Ltd" --city Leeds --domain up1.onmicrosoft.com --no-parent --by x
t "an unknown account is bad input, as for show" 1 "" "pb-accounts: no CLC account 'ZZ9'" "$PBA" update zz9 --country US
t "a bad country is refused as add refuses it" 1 "" \
	"pb-accounts: bad billing country 'USA': a two-letter ISO 3166 code such as US" "$PBA" update UP1 --country USA
t "so is a bad email" 1 "" "pb-accounts: bad email 'nobody': an address such as name@example.com" \
	"$PBA" update UP1 --email nobody
t "and an empty name" 1 "" "pb-accounts: no name given" "$PBA" update UP1 --name ""
t "a parent that is not a reseller is refused as add refuses it, and nothing changes" 1 "" \
	"pb-accounts: parent reseller 'US1' is not a reseller" "$PBA" update UP1 --city York --parent us1
t "a parent that does not exist" 1 "" "pb-accounts: parent reseller 'NOPE' does not exist" \
	"$PBA" update UP1 --parent NOPE
t "the account itself is no parent" 1 "" "pb-accounts: parent reseller 'UP1' is the account itself" \
	"$PBA" update UP1 --reseller --parent UP1
check "neither the update with nothing to change nor the refused ones wrote anything" "$before|Leeds,false," \
	"$(pb_sql "SELECT updated_by, updated_at FROM pb.clc_account WHERE alias = 'UP1'")|$(
		pb_sql "SELECT city, is_reseller::text, parent_reseller FROM pb.clc_account WHERE alias = 'UP1'")"
t "--parent and --no-parent together are a usage error" 2 "" "pb-accounts: update: give --parent or --no-parent, not both
Try 'pb-accounts update --help'." "$PBA" update UP1 --parent RSL1 --no-parent
t "--reseller and --no-reseller too" 2 "" "pb-accounts: update: give --reseller or --no-reseller, not both
Try 'pb-accounts update --help'." "$PBA" update UP1 --no-reseller --reseller
t "update without a field is a usage error" 2 "" "pb-accounts: update: give a field to change, such as --country
Try 'pb-accounts update --help'." "$PBA" update UP1 --by x
t "add takes no --no-parent" 2 "" "pb-accounts: add: unknown option '--no-parent'
Try 'pb-accounts add --help'." "$PBA" add UP9 --name X --country US --no-parent
t "a customer of a reseller can be made one" 0 "UP1: parent_reseller (none) -> RSL1" "" "$PBA" update UP1 --parent rsl1
t "and is no longer eligible" 4 "" "pb-accounts: UP1: not eligible for azure: customer of reseller RSL1" \
	"$PBA" check UP1 --vendor azure
t "--no-parent makes it no one's customer again" 0 "UP1: parent_reseller RSL1 -> (none)" "" "$PBA" update UP1 --no-parent
t "--reseller on a reseller with customers is fine" 0 "RSL1: nothing to change" "" "$PBA" update RSL1 --reseller
"$PBA" add UP2 --name "Up Two" --country US >/dev/null
t "--reseller makes an account a reseller" 0 "UP2: is_reseller false -> true" "" "$PBA" update UP2 --reseller
t "a reseller with customers cannot get a parent" 1 "" \
	"pb-accounts: RSL1 is the parent reseller of CUS1, CUS2: it cannot have a parent reseller itself" \
	"$PBA" update RSL1 --parent UP2
t "nor stop being a reseller" 1 "" "pb-accounts: RSL1 is the parent reseller of CUS1, CUS2: it must stay a reseller" \
	"$PBA" update RSL1 --no-reseller
t "a reseller without customers can" 0 "UP2: is_reseller true -> false" "" "$PBA" update UP2 --no-reseller
# A reseller that is itself a reseller's customer cannot be named a parent: a parent reseller has no
# parent (update refuses to give one to an account with customers), whichever comes first.
t "a reseller's customer may resell" 0 "added CLC account SUB1 (Sub Reseller, US, reseller, customer of reseller RSL1)" "" \
	"$PBA" add SUB1 --name "Sub Reseller" --country US --reseller --parent RSL1
t "but cannot be named a parent" 1 "" \
	"pb-accounts: parent reseller 'SUB1' is a customer of reseller RSL1: a parent reseller cannot have a parent itself" \
	"$PBA" add SUBC --name "Sub Customer" --country US --parent SUB1
t "by update either" 1 "" \
	"pb-accounts: parent reseller 'SUB1' is a customer of reseller RSL1: a parent reseller cannot have a parent itself" \
	"$PBA" update UP2 --parent SUB1
check "nothing changed" "0|" "$(pb_sql "SELECT count(*) FROM pb.clc_account WHERE alias = 'SUBC'")|$(
	pb_sql "SELECT parent_reseller FROM pb.clc_account WHERE alias = 'UP2'")"
# A reseller that add names as a parent stays one until the account is added: the change that would end it
# waits, then finds the new customer and is refused.
"$PBA" add RSL2 --name "Resell Two" --country US --reseller >/dev/null || notok "add RSL2"
rm -f "$TMP/resume"
PB_TEST_PAUSE=parent-checked PB_TEST_RESUME_FILE=$TMP/resume "$PBA" add CUS9 --name "Late Customer" --country US \
	--parent RSL2 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 grep -q "test pause at parent-checked" "$TMP/bg.err" || notok "add pauses at parent-checked" "$(cat "$TMP/bg.err")"
# The change started, the add resumes once the change waits for it (not after a second: a loaded machine
# had not started the change by then, and the add came first without the change having to wait).
"$PBA" update RSL2 --no-reseller >"$TMP/out" 2>"$TMP/err" &
upd=$!
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()" ||
	notok "the change waits for the add" "$(cat "$TMP/err")"
touch "$TMP/resume"
wait $upd
st=$?
wait "$BGPID"
check "a reseller stops being one while add names it: the add comes first, the change is refused" \
	"1|pb-accounts: RSL2 is the parent reseller of CUS9: it must stay a reseller|0|added CLC account CUS9 (Late Customer, US, customer of reseller RSL2)|t" \
	"$st|$(cat "$TMP/err")|$?|$(cat "$TMP/bg.out")|$(pb_sql "SELECT is_reseller FROM pb.clc_account WHERE alias = 'RSL2'")"
BGPID=
wait

# ---- links -----------------------------------------------------------------------------------------------

P1=111111111111
t "link an ineligible account: exit 4 with every rule, nothing stored" 4 "" \
	"pb-accounts: FR1: not eligible for aws: billing country FR is not among aws's allowed countries (US)" \
	"$PBA" link FR1 --vendor aws --partner-account $P1 --from 2026-10-01
t "link a reseller: exit 4" 4 "" "pb-accounts: RSL1: not eligible for aws: reseller accounts are excluded" \
	"$PBA" link RSL1 --vendor aws --partner-account $P1 --from 2026-10-01
check "nothing was linked" "0" "$(pb_sql "SELECT count(*) FROM pb.partner_account")"
t "a bad AWS account id is bad input" 1 "" "pb-accounts: bad aws partner account id '12345': a 12-digit AWS account id" \
	"$PBA" link US1 --vendor aws --partner-account 12345 --from 2026-10-01
# A message is one line: control characters in an id are shown escaped, and unlink checks the id as link does.
t "an id with a newline is named escaped, on one line" 1 "" \
	"pb-accounts: bad aws partner account id '12\x0a3456789012': a 12-digit AWS account id" \
	"$PBA" link US1 --vendor aws --partner-account $'12\n3456789012' --from 2026-10-01
t "unlink checks the id" 1 "" \
	"pb-accounts: bad azure partner account id 'x\x09y': a tenant or subscription id such as 8f0c3e6a-1b2d-4c5e-9f70-a1b2c3d4e5f6" \
	"$PBA" unlink US1 --vendor azure --partner-account $'x\ty' --to 2026-10-01
t "a bad date is a usage error" 2 "" "pb-accounts: link: --from takes YYYY-MM-DD, not '2026-10-32'
Try 'pb-accounts link --help'." "$PBA" link US1 --vendor aws --partner-account $P1 --from 2026-10-32
t "an end before the start is bad input" 1 "" "pb-accounts: the link would end on 2026-09-30, before it starts on 2026-10-01" \
	"$PBA" link US1 --vendor aws --partner-account $P1 --from 2026-10-01 --to 2026-09-30
t "link a partner account" 0 "linked aws partner account $P1 to US1 from 2026-10-01 (open-ended)" "" \
	"$PBA" link US1 --vendor aws --partner-account $P1 --from 2026-10-01 --by ops
# An overlap is refused by the rule "one CLC account at a time": exit 4, like every rule. The command does
# not look first: it is the database's constraint that refuses the insert, and the command names the link.
t "an overlapping link is refused with exit 4, naming the link in the way" 4 "" \
	"pb-accounts: aws partner account $P1 is linked to US1 from 2026-10-01 (open-ended) already: a partner account maps to one CLC account at a time" \
	"$PBA" link US2 --vendor aws --partner-account $P1 --from 2026-10-10
t "the same account again overlaps too" 4 "" \
	"pb-accounts: aws partner account $P1 is linked to US1 from 2026-10-01 (open-ended) already: a partner account maps to one CLC account at a time" \
	"$PBA" link US1 --vendor aws --partner-account $P1 --from 2026-11-01
out=$("$PBDB" psql -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO pb.partner_account (vendor, partner_account_id, alias,
	valid_from, valid_to, created_by) VALUES ('aws', '$P1', 'US2', '2026-09-01', '2026-10-01', 'raw sql')" 2>&1)
st=$?
check "a raw INSERT that overlaps is refused by the database's exclusion constraint" \
	"1|ERROR:  conflicting key value violates exclusion constraint \"partner_account_no_overlap\"" \
	"$st|$(head -1 <<<"$out")"
pb_sql "INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, valid_to, created_by)
	VALUES ('aws', '$P1', 'US2', '2026-09-01', '2026-09-30', 'raw sql')"
out=$("$PBDB" psql -X -q -v ON_ERROR_STOP=1 -c "UPDATE pb.partner_account SET valid_to = '2026-10-01'
	WHERE created_by = 'raw sql'" 2>&1)
check "a raw UPDATE that makes an overlap is refused too" \
	"1|ERROR:  conflicting key value violates exclusion constraint \"partner_account_no_overlap\"|2026-09-30" \
	"$?|$(head -1 <<<"$out")|$(pb_sql "SELECT valid_to FROM pb.partner_account WHERE created_by = 'raw sql'")"
pb_sql "DELETE FROM pb.partner_account WHERE created_by = 'raw sql'"
# Azure ids are kept in lowercase, as pb-ingest stores them: a link typed in capitals still matches usage.
t "an Azure link given in capitals is stored in lowercase" 0 \
	"linked azure partner account 0c7e9a14-52b3-4d8f-a1e6-3f9b2d7c5e88 to US1 from 2026-10-01 (open-ended)" "" \
	"$PBA" link US1 --vendor azure --partner-account 0C7E9A14-52B3-4D8F-A1E6-3F9B2D7C5E88 --from 2026-10-01 --by ops
out=$("$PBDB" psql -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO pb.partner_account (vendor, partner_account_id, alias,
	valid_from, created_by) VALUES ('azure', 'AB0C3E6A-1B2D-4C5E-9F70-A1B2C3D4E5F6', 'US1', '2026-10-01', 'raw sql')" 2>&1)
check "a raw INSERT of an Azure id in capitals is refused by the database" \
	"1|ERROR:  new row for relation \"partner_account\" violates check constraint \"partner_account_azure_lowercase\"" \
	"$?|$(head -1 <<<"$out")"
pb_sql "DELETE FROM pb.partner_account WHERE vendor = 'azure' AND partner_account_id = '0c7e9a14-52b3-4d8f-a1e6-3f9b2d7c5e88'"
t "unlink ends the link on a day" 0 "the link of aws partner account $P1 to US1 ends on 2026-10-15" "" \
	"$PBA" unlink US1 --vendor aws --partner-account $P1 --to 2026-10-15 --by ops
t "unlink of a link that does not hold then is bad input" 1 "" \
	"pb-accounts: US1 has no link of aws partner account $P1 valid on 2026-10-20" \
	"$PBA" unlink US1 --vendor aws --partner-account $P1 --to 2026-10-20
t "the same day cannot go to another account" 4 "" \
	"pb-accounts: aws partner account $P1 is linked to US1 from 2026-10-01 to 2026-10-15 already: a partner account maps to one CLC account at a time" \
	"$PBA" link US2 --vendor aws --partner-account $P1 --from 2026-10-15
t "the next day can: the partner account moves mid-month" 0 "linked aws partner account $P1 to US2 from 2026-10-16 (open-ended)" "" \
	"$PBA" link US2 --vendor aws --partner-account $P1 --from 2026-10-16
"$PBA" unlink US2 --vendor aws --partner-account $P1 --to 2026-10-20 >/dev/null
t "and back: unlink, then relink the first account" 0 "linked aws partner account $P1 to US1 from 2026-10-21 (open-ended)" "" \
	"$PBA" link US1 --vendor aws --partner-account $P1 --from 2026-10-21
check "the links, who made and ended them" "US1,2026-10-01,2026-10-15,link,ops,ops
US2,2026-10-16,2026-10-20,link,$ME,$ME
US1,2026-10-21,,link,$ME," "$(pb_sql "SELECT alias, valid_from, valid_to, origin, created_by, ended_by FROM pb.partner_account
	WHERE partner_account_id = '$P1' ORDER BY valid_from")"
t "show lists an account's terms and links" 0 "alias: US2
name: US Corp Two
billing_country: US
is_reseller: false
invoice_currency: USD
markup_percent: 0
terms: centurylink version 2026-01 by ops at T
terms: azure region US version 7 by ops at T
terms: aws region US version 3 by ops at T
link: aws $P1 from 2026-10-16 to 2026-10-20 origin link by $ME at T ended_by $ME ended_at T" "" \
	sh -c "'$PBA' show US2 | sed 's/at [-0-9T:]*Z/at T/g'"

# A link made by mistake is removed by ending it on the day before it starts: it held on no day, and the
# partner account's usage of its first day goes to the right account once relinked.
t "a mistaken link" 0 "linked aws partner account 880000000001 to US3 from 2026-10-01 (open-ended)" "" \
	"$PBA" link US3 --vendor aws --partner-account 880000000001 --from 2026-10-01
t "ending it the day before it starts removes it" 0 \
	"the link of aws partner account 880000000001 to US3 from 2026-10-01 is removed: it held on no day" "" \
	"$PBA" unlink US3 --vendor aws --partner-account 880000000001 --to 2026-09-30
t "the right account takes it from the same day" 0 "linked aws partner account 880000000001 to US2 from 2026-10-01 (open-ended)" "" \
	"$PBA" link US2 --vendor aws --partner-account 880000000001 --from 2026-10-01
check "its one link" "US2,2026-10-01," \
	"$(pb_sql "SELECT alias, valid_from, valid_to FROM pb.partner_account WHERE partner_account_id = '880000000001'")"
t "show keeps the removed link, who made it and who removed it" 0 \
	"removed_link: aws 880000000001 from 2026-10-01 origin link by $ME at T removed_by $ME removed_at T" "" \
	sh -c "'$PBA' show US3 | grep '^removed_link' | sed 's/at [-0-9T:]*Z/at T/g'"
# Values stored by an older build or by hand (SQL) with control characters: 'show' and 'list' put them on the
# reader's terminal as they were (an escape sequence, a C1 CSI, a line feed that made a line of its own).
# Each control character is shown as \xHH, other UTF-8 as it is.
pb_sql "UPDATE pb.clc_account SET name = E'Three\\u001b[2J\\tT\\u009b2J\\nx: y \\u00e9' WHERE alias = 'US3';
	UPDATE pb.partner_account SET created_by = E'eve\\u007f\\u001b[31m' WHERE alias = 'US2'
		AND partner_account_id = '880000000001'" >/dev/null
t "show: control characters stored by hand shown as \\xHH" 0 "name: Three\\x1b[2J\\x09T\\xc2\\x9b2J\\x0ax: y é
link: aws 880000000001 from 2026-10-01 origin link by eve\\x7f\\x1b[31m at T" "" \
	sh -c "{ '$PBA' show US3 | grep '^name'; '$PBA' show US2 | grep '880000000001'; } | sed 's/at [-0-9T:]*Z/at T/g'"
t "list: the same, one line an account" 0 "US3,Three\\x1b[2J\\x09T\\xc2\\x9b2J\\x0ax: y é,US,false,,USD,0" "" \
	sh -c "'$PBA' list | grep '^US3'"
pb_sql "UPDATE pb.clc_account SET name = 'US Corp Three' WHERE alias = 'US3';
	UPDATE pb.partner_account SET created_by = '$ME' WHERE partner_account_id = '880000000001'" >/dev/null
t "a day earlier than that is no link's" 1 "" \
	"pb-accounts: US2 has no link of aws partner account 880000000001 valid on 2026-09-29" \
	"$PBA" unlink US2 --vendor aws --partner-account 880000000001 --to 2026-09-29
# A change that makes the account ineligible while link runs waits for the link: link never makes a link
# for an account that is not eligible when the link is stored, and says so (the change comes after).
"$PBA" add LK1 --name "Link Race" --country US >/dev/null && accept_all LK1 US
rm -f "$TMP/resume"
PB_TEST_PAUSE=link-checked PB_TEST_RESUME_FILE=$TMP/resume "$PBA" link LK1 --vendor aws --partner-account 770000000001 \
	--from 2026-10-01 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 grep -q "test pause at link-checked" "$TMP/bg.err" || notok "link pauses at link-checked" "$(cat "$TMP/bg.err")"
"$PBA" update LK1 --country FR >"$TMP/out" 2>"$TMP/err" &
upd=$!
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()" ||
	notok "the country change waits for the link" "$(cat "$TMP/err")"
touch "$TMP/resume"
wait $upd
st=$?
linked=$(pb_sql "SELECT count(*) FROM pb.partner_account WHERE partner_account_id = '770000000001'")
wait "$BGPID"
check "a country change while link runs comes after the link" "0|1|0|linked aws partner account 770000000001 to LK1 from 2026-10-01 (open-ended)|pb-accounts: test pause at link-checked" \
	"$st|$linked|$?|$(cat "$TMP/bg.out")|$(cat "$TMP/bg.err")"
BGPID=
wait

# ---- usage attributed by date ----------------------------------------------------------------------------

pb_sql "SELECT pb.ensure_usage_partition('2026-10-01');
INSERT INTO pb.import (id, vendor, format, source, billing_month, status) VALUES
	(900, 'aws', 'aws-cur', 'test:attribution', '2026-10-01', 'committed'),
	(901, 'aws', 'aws-cur', 'test:attribution-old', '2026-10-01', 'superseded');
INSERT INTO pb.usage_daily (import_id, vendor, billing_month, partner_account_id, usage_date, charge_category,
	service, region, currency, list_cost, billed_cost, line_count, list_source) VALUES
	(900, 'aws', '2026-10-01', '$P1', '2026-10-14', 'Usage', 'EC2', 'us-east-1', 'USD', 1.000000000000000001, 1.1, 1, 'export'),
	(900, 'aws', '2026-10-01', '$P1', '2026-10-15', 'Usage', 'EC2', 'us-east-1', 'USD', 2.000000000000000002, 2.2, 1, 'export'),
	(900, 'aws', '2026-10-01', '$P1', '2026-10-16', 'Usage', 'EC2', 'us-east-1', 'USD', 3.000000000000000003, 3.3, 1, 'export'),
	(900, 'aws', '2026-10-01', '$P1', '2026-10-20', 'Usage', 'EC2', 'us-east-1', 'USD', 4.000000000000000004, 4.4, 1, 'export'),
	(900, 'aws', '2026-10-01', '$P1', '2026-10-21', 'Usage', 'EC2', 'us-east-1', 'USD', 5.000000000000000005, 5.5, 1, 'export'),
	(900, 'aws', '2026-10-01', '$P1', '2026-10-31', 'Tax', 'EC2', 'us-east-1', 'USD', NULL, 0.000000000000000006, 1, 'none'),
	(900, 'aws', '2026-10-01', '999999999999', '2026-10-02', 'Usage', 'S3', 'us-east-1', 'USD', 7, 7.7, 2, 'export'),
	(901, 'aws', '2026-10-01', '$P1', '2026-10-16', 'Usage', 'EC2', 'us-east-1', 'USD', 100, 100, 1, 'export')" >/dev/null
check "usage is attributed to the account linked on its usage date, exactly" "US1,8.000000000000000008,8.800000000000000006,4
US2,7.000000000000000007,7.7,2
,7,7.7,1" "$(pb_sql "SELECT coalesce(alias, ''), sum(list_cost), sum(billed_cost), count(*) FROM pb.usage_attributed
	WHERE import_id IN (900, 901) GROUP BY alias ORDER BY alias NULLS LAST")"

# ---- import ----------------------------------------------------------------------------------------------

cat >"$TMP/accounts.csv" <<'EOF'
Alias,Name,Billing_Country,is_reseller,parent_reseller,domain,email
IM1,"Import One, Inc",US,no,,im1.onmicrosoft.com,ops@im1.example
IMR,Import Reseller,GB,yes,,,
IM2,Import Two,gb,,imr,,
EOF
t "import adds every row" 0 "imported 3 CLC accounts from $TMP/accounts.csv" "" "$PBA" import "$TMP/accounts.csv"
check "with every column" "IM1,\"Import One, Inc\",US,false,,im1.onmicrosoft.com,ops@im1.example
IM2,Import Two,GB,false,IMR,,
IMR,Import Reseller,GB,true,,," "$(pb_sql "SELECT alias, '\"' || name || '\"', billing_country, is_reseller::text, parent_reseller, domain,
	email FROM pb.clc_account WHERE alias LIKE 'IM%' ORDER BY alias" | sed 's/"\([^,]*\)"/\1/')"
n=$(pb_sql "SELECT count(*) FROM pb.clc_account")
# import_fails NAME WANT_ERR: the file $TMP/bad.csv is refused with exit 1 and nothing is added.
import_fails() {
	"$PBA" import "$TMP/bad.csv" >"$TMP/out" 2>"$TMP/err"
	check "$1" "1||$2|$n" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.clc_account")"
}
printf 'alias,name,billing_country\nOK1,Fine,US\nOK2,Fine too,US\nBAD3,Bad,USA\nOK4,Never read,US\n' >"$TMP/bad.csv"
import_fails "a bad row stops the import: FILE:LINE:COL, nothing added" \
	"pb-accounts: $TMP/bad.csv:4:10: bad billing country 'USA': a two-letter ISO 3166 code such as US"
printf 'alias,name,billing_country\nOK1,Fine,US\nUS1,Exists,US\n' >"$TMP/bad.csv"
import_fails "an alias that exists fails its row" "pb-accounts: $TMP/bad.csv:3:1: CLC account 'US1' exists already with name 'US Corp One' where the row has 'Exists'"
printf 'alias,name,billing_country\nOK1,Fine,US\nok1,Twice,US\n' >"$TMP/bad.csv"
import_fails "an alias twice in the file fails the second" "pb-accounts: $TMP/bad.csv:3:1: alias 'OK1' is on line 2 already"
printf 'billing_country,name,alias,parent_reseller\nUS,Fine,OK1,\nUS,Child,OK2,OK3\n' >"$TMP/bad.csv"
import_fails "a parent that is not there (yet) fails the row" "pb-accounts: $TMP/bad.csv:3:14: parent reseller 'OK3' does not exist"
printf 'alias,name,billing_country\nOK1,,US\n' >"$TMP/bad.csv"
import_fails "an empty required field fails the row" "pb-accounts: $TMP/bad.csv:2:5: no name given"
printf 'alias,name,country\nOK1,Fine,US\n' >"$TMP/bad.csv"
import_fails "an unknown column is named with its position" "pb-accounts: $TMP/bad.csv:1:12: unknown column 'country'"
printf 'alias,name\nOK1,Fine\n' >"$TMP/bad.csv"
import_fails "a missing required column is named" "pb-accounts: $TMP/bad.csv:1:1: no column 'billing_country'"
printf 'alias,name,billing_country\nOK1,Fine,US\nOK2,Short\n' >"$TMP/bad.csv"
import_fails "a row with too few fields" "pb-accounts: $TMP/bad.csv:3:1: expected 3 fields, found 2"
printf 'alias,name,billing_country,is_reseller\nOK1,Fine,US,perhaps\n' >"$TMP/bad.csv"
import_fails "a bad reseller flag" "pb-accounts: $TMP/bad.csv:2:13: bad reseller flag 'perhaps': true or false"
# A name with a DEL or a C1 control (U+009B, a terminal's CSI) was imported as it was, though --name refuses
# both, for 'show' to put on a terminal; refused as a C0 control is, shown as \xHH.
printf 'alias,name,billing_country\nOK1,Fine,US\nOK2,Ev\177il,US\n' >"$TMP/bad.csv"
import_fails "a name holding a DEL" "pb-accounts: $TMP/bad.csv:3:5: bad name 'Ev\\x7fil': control characters are not allowed"
printf 'alias,name,billing_country\nOK1,Ev\302\2332J \303\251,US\n' >"$TMP/bad.csv"
import_fails "a name holding a C1 control" \
	"pb-accounts: $TMP/bad.csv:2:5: bad name 'Ev\\xc2\\x9b2J é': control characters are not allowed"
printf 'alias,name,billing_country\nOK1,Acme \342\200\256gnp.exe,US\n' >"$TMP/bad.csv"
import_fails "a name holding a right-to-left override (U+202E)" \
	"pb-accounts: $TMP/bad.csv:2:5: bad name 'Acme \\u202egnp.exe': format character U+202E is not allowed"
printf 'alias,name,billing_country\nOK1,Acme\357\273\277,US\n' >"$TMP/bad.csv"
import_fails "a name holding U+FEFF after its first byte" \
	"pb-accounts: $TMP/bad.csv:2:5: bad name 'Acme\\ufeff': format character U+FEFF is not allowed"
# A zero width space (U+200B), a joiner (U+200C, U+200D), a word joiner (U+2060) or a soft hyphen (U+00AD) in a
# name was stored as it was: two accounts whose names look the same, an invoice naming one with a hidden mark.
# Refused as the format characters are, shown as \uHHHH.
printf 'alias,name,billing_country\nOK1,Fine,US\nOK2,Acme\342\200\213Corp,US\n' >"$TMP/bad.csv"
import_fails "a name holding a zero width space (U+200B)" \
	"pb-accounts: $TMP/bad.csv:3:5: bad name 'Acme\\u200bCorp': invisible character U+200B is not allowed"
printf 'alias,name,billing_country,first_name\nOK1,Fine,US,Jo\302\255hn\n' >"$TMP/bad.csv"
import_fails "a first name holding a soft hyphen (U+00AD)" \
	"pb-accounts: $TMP/bad.csv:2:13: bad first_name 'Jo\\u00adhn': invisible character U+00AD is not allowed"
t "--name holding a word joiner (U+2060): a usage error" 2 "" "pb-accounts: add: invisible character U+2060 in --name at byte 5
Try 'pb-accounts add --help'." "$PBA" add FMT1 --name "$(printf 'Acme\342\201\240Corp')" --country US
t "--last-name holding a zero width joiner (U+200D): a usage error" 2 "" "pb-accounts: update: invisible character U+200D in --last-name at byte 2
Try 'pb-accounts update --help'." "$PBA" update US1 --last-name "$(printf 'D\342\200\215oe')"
t "--by holding a zero width non-joiner (U+200C): a usage error" 2 "" "pb-accounts: accept-terms: invisible character U+200C in --by at byte 4
Try 'pb-accounts accept-terms --help'." "$PBA" accept-terms US1 --vendor aws --region US --version 1 --by "$(printf 'eve\342\200\214')"
# A name written decomposed (NFD: "e" then U+0301, as macOS file names and some keyboards give it) was stored
# beside the same name composed (NFC, "\u00e9"): two names that look and are the same, which the database
# compares as different (add run again refused it as another account's values). Refused, to be written in NFC.
NFD_CAFE=$(printf 'Cafe\314\201')
printf 'alias,name,billing_country\nOK1,Fine,US\nOK2,%s,US\n' "$NFD_CAFE" >"$TMP/bad.csv"
import_fails "a name not in Unicode normalization form C" \
	"pb-accounts: $TMP/bad.csv:3:5: bad name '$NFD_CAFE': not in Unicode normalization form C (NFC): a letter and a combining mark where one character holds both"
t "add refuses a --name not in NFC" 1 "" \
	"pb-accounts: bad name '$NFD_CAFE': not in Unicode normalization form C (NFC): a letter and a combining mark where one character holds both" \
	"$PBA" add NFD1 --name "$NFD_CAFE" --country FR
t "and update a --city" 1 "" \
	"pb-accounts: bad city '$NFD_CAFE': not in Unicode normalization form C (NFC): a letter and a combining mark where one character holds both" \
	"$PBA" update FR1 --city "$NFD_CAFE"
# A joiner or non-joiner between two letters that are not ASCII spells a word (Persian, Hindi) or makes one emoji:
# taken, as written.
printf 'alias,name,billing_country\nZWJ1,\331\205\333\214\342\200\214\330\256\331\210\330\247\331\207\331\205,US\nZWJ2,Dev \360\237\221\251\342\200\215\360\237\222\273,US\n' >"$TMP/zwj.csv"
"$PBA" import "$TMP/zwj.csv" --by test >/dev/null 2>"$TMP/err"
check "a (non-)joiner between two letters that are not ASCII: imported, the name as written" \
	"0||$(printf '\331\205\333\214\342\200\214\330\256\331\210\330\247\331\207\331\205')|$(printf 'Dev \360\237\221\251\342\200\215\360\237\222\273')" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT string_agg(name, '|' ORDER BY alias) FROM pb.clc_account WHERE alias IN ('ZWJ1', 'ZWJ2')")"
pb_sql "DELETE FROM pb.clc_account WHERE alias IN ('ZWJ1', 'ZWJ2')" >/dev/null
# A joiner between two spaces that are not ASCII (U+00A0), or beside another joiner, joins no letters: it only
# hides, as beside an ASCII letter, but it was taken (each neighbour's first or last byte was not ASCII).
printf 'alias,name,billing_country\nOK1,Acme\302\240\342\200\215\302\240Corp,US\n' >"$TMP/bad.csv"
import_fails "a joiner between two no-break spaces" \
	"pb-accounts: $TMP/bad.csv:2:5: bad name 'Acme$(printf '\302\240')\\u200d$(printf '\302\240')Corp': invisible character U+200D is not allowed"
printf 'alias,name,billing_country\nOK1,Caf\303\251\342\200\214\342\200\214\303\251,US\n' >"$TMP/bad.csv"
import_fails "two non-joiners between two letters that are not ASCII" \
	"pb-accounts: $TMP/bad.csv:2:5: bad name 'Caf$(printf '\303\251')\\u200c\\u200c$(printf '\303\251')': invisible character U+200C is not allowed"
# An email with an escape sequence (or DEL, or C1) was imported as it was, though --email refuses it: the
# email is checked for control characters as every other text field is.
printf 'alias,name,billing_country,email\nOK1,Fine,US,a\033[2J@example.com\n' >"$TMP/bad.csv"
import_fails "an email holding an escape" \
	"pb-accounts: $TMP/bad.csv:2:13: bad email 'a\\x1b[2J@example.com': control characters are not allowed"
t "a file that is not there" 1 "" "pb-accounts: cannot open '$TMP/none.csv': No such file or directory" \
	"$PBA" import "$TMP/none.csv"
# With the database out of reach, it was exit 3 (a failed connection, which pb-run retries): the file is
# opened before connecting, and import-links after its config is read.
t "a file that is not there, the database out of reach: exit 1" 1 "" \
	"pb-accounts: cannot open '$TMP/none.csv': No such file or directory" \
	env PB_DATABASE_URL="host=$TMP/no-server dbname=none" "$PBA" import "$TMP/none.csv"
t "import-links of a file that is not there, the database out of reach: exit 1" 1 "" \
	"pb-accounts: cannot open '$TMP/none.csv': No such file or directory" \
	env PB_DATABASE_URL="host=$TMP/no-server dbname=none" "$PBA" import-links "$TMP/none.csv"
# --max-errors N: up to N bad rows, each named, in the file's order; a row after a bad one is checked as if the
# bad one were not there; nothing added. A broken quote stops at once.
printf 'alias,name,billing_country\nOK1,Fine,US\nBAD3,Bad,USA\nUS1,Exists,US\nOK1,Twice,US\nOK5,,US\nOK6,Fine,US\n' \
	>"$TMP/bad.csv"
"$PBA" import "$TMP/bad.csv" --max-errors 10 >"$TMP/out" 2>"$TMP/err"
check "--max-errors 10: each bad row named in the file's order, nothing added" "1||pb-accounts: $TMP/bad.csv:3:10: bad billing country 'USA': a two-letter ISO 3166 code such as US
pb-accounts: $TMP/bad.csv:4:1: CLC account 'US1' exists already with name 'US Corp One' where the row has 'Exists'
pb-accounts: $TMP/bad.csv:5:1: alias 'OK1' is on line 2 already
pb-accounts: $TMP/bad.csv:6:5: no name given|$n" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.clc_account")"
"$PBA" import "$TMP/bad.csv" --max-errors 2 >"$TMP/out" 2>"$TMP/err"
check "--max-errors 2: the first two bad rows, then it stops" "1||pb-accounts: $TMP/bad.csv:3:10: bad billing country 'USA': a two-letter ISO 3166 code such as US
pb-accounts: $TMP/bad.csv:4:1: CLC account 'US1' exists already with name 'US Corp One' where the row has 'Exists'|$n" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.clc_account")"
# A repeated alias found early in the list of stored rows must not let the next stored row overwrite a later one.
printf 'alias,name,billing_country\nOK1,Fine,US\nOK2,Fine,US\nOK1,Twice,US\nOK3,Fine,US\nOK2,Twice,US\n' >"$TMP/bad.csv"
"$PBA" import "$TMP/bad.csv" --max-errors 10 >"$TMP/out" 2>"$TMP/err"
check "--max-errors 10: two repeated aliases each name their first line" "1||pb-accounts: $TMP/bad.csv:4:1: alias 'OK1' is on line 2 already
pb-accounts: $TMP/bad.csv:6:1: alias 'OK2' is on line 3 already|$n" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.clc_account")"
# The aliases stored are found again by a hash of them, on chains of a temporary file: CH1, CCR60 and CZQ11 share
# a chain, and so do CC357 and US1 (an account before the import). Each repeated alias names its own first line.
printf 'alias,name,billing_country\nCH1,A,US\nCCR60,B,US\nCZQ11,C,US\nCC357,D,US\nCCR60,E,US\nCH1,F,US\nczq11,G,US
US1,H,US\nCZQ11,I,US\n' >"$TMP/bad.csv"
"$PBA" import "$TMP/bad.csv" --max-errors 10 >"$TMP/out" 2>"$TMP/err"
check "--max-errors 10: repeated aliases that share a chain each name their own first line" "1||pb-accounts: $TMP/bad.csv:6:1: alias 'CCR60' is on line 3 already
pb-accounts: $TMP/bad.csv:7:1: alias 'CH1' is on line 2 already
pb-accounts: $TMP/bad.csv:8:1: alias 'CZQ11' is on line 4 already
pb-accounts: $TMP/bad.csv:9:1: CLC account 'US1' exists already with name 'US Corp One' where the row has 'H'
pb-accounts: $TMP/bad.csv:10:1: alias 'CZQ11' is on line 4 already|$n" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.clc_account")"
printf 'alias,name,billing_country\nOK1,Fine,USA\nOK2,"Broken,US\nOK3,Fine,USA\n' >"$TMP/bad.csv"
"$PBA" import "$TMP/bad.csv" --max-errors 10 >"$TMP/out" 2>"$TMP/err"
st=$?
check "--max-errors 10: a broken quote stops at once, after the bad rows before it" "1|pb-accounts: $TMP/bad.csv:2:10: bad billing country 'USA': a two-letter ISO 3166 code such as US|$n" \
	"$st|$(head -n 1 "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.clc_account")"
check "--max-errors 10: the broken quote named last" "2|yes" "$(wc -l <"$TMP/err")|$(tail -n 1 "$TMP/err" | grep -q "^pb-accounts: $TMP/bad.csv:3:" && echo yes)"
# A record of the wrong width (too few fields, too many, one spanning two lines, the last without a line feed) or
# with a stray quote is a bad row like any other: with --max-errors, the rows after it are checked too (each bad
# row once stopped the import, one error a run). Each is named as it is when it is the first bad row of the file.
width_rows=('!OK1,Fine,USA' '!OK2,Short' '!OK3,Fine,US,extra' $'!OK4,"Two\nlines",US,x' 'OK3,Again,US' '!OK5,"quoted"x,US'
	'!OK6,Fine,ZZ' '!OK7,Last')
width_errors="pb-accounts: $TMP/width.csv:2:10: bad billing country 'USA': a two-letter ISO 3166 code such as US
pb-accounts: $TMP/width.csv:3:1: expected 3 fields, found 2
pb-accounts: $TMP/width.csv:4:1: expected 3 fields, found 4
pb-accounts: $TMP/width.csv:5:1: expected 3 fields, found 4
pb-accounts: $TMP/width.csv:8:13: unexpected character after closing quote
pb-accounts: $TMP/width.csv:9:10: bad billing country 'ZZ': not an ISO 3166-1 country code
pb-accounts: $TMP/width.csv:10:1: expected 3 fields, found 2"
pb_width_file width.csv alias,name,billing_country 0 "${width_rows[@]}"
for m in 100 3; do
	"$PBA" import "$TMP/width.csv" --max-errors $m >"$TMP/out" 2>"$TMP/err"
	echo "$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.clc_account")"
done >"$TMP/width.out"
check "--max-errors 100 and 3: rows of the wrong width are named among the others and the rows after them checked" \
	"1||$width_errors|$n
1||$(head -n 3 <<<"$width_errors")|$n" "$(cat "$TMP/width.out")"
for k in 0 1 2 3 4 5 6; do
	pb_width_file first.csv alias,name,billing_country $k "${width_rows[@]}"
	"$PBA" import "$TMP/first.csv" 2>&1 >/dev/null | sed "s|/first.csv:|/width.csv:|"
done >"$TMP/width.out"
check "each named as when it is the first bad row" "$width_errors" "$(cat "$TMP/width.out")"
pb_width_file width.csv alias,name,billing_country 0 '!OK1,Short' '!OK2,Fine,USA' $'!OK3,"Never closed,US\nOK4,Fine,US\n'
"$PBA" import "$TMP/width.csv" --max-errors 100 >"$TMP/out" 2>"$TMP/err"
check "--max-errors 100: a quote left open to the end of the file stops there, after the bad rows before it" \
	"1||pb-accounts: $TMP/width.csv:2:1: expected 3 fields, found 2
pb-accounts: $TMP/width.csv:3:10: bad billing country 'USA': a two-letter ISO 3166 code such as US
pb-accounts: $TMP/width.csv:4:5: unterminated quoted field|$n" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.clc_account")"
# With more than 64 KiB after it, a quote never closed is a record too long, at the line of the quote.
pb_width_file width.csv alias,name,billing_country 0 '!OK1,Short' $'!OK2,"Never closed,US\nOK3,Fine,US\n'
awk 'BEGIN { for (k = 0; k < 5000; k++) printf "OK%d,Never read,US\n", k + 10 }' >>"$TMP/width.csv"
"$PBA" import "$TMP/width.csv" --max-errors 100 >"$TMP/out" 2>"$TMP/err"
check "--max-errors 100: a quote left open with more than 64 KiB after it stops there, a record too long" \
	"1||pb-accounts: $TMP/width.csv:2:1: expected 3 fields, found 2
pb-accounts: $TMP/width.csv:3:1: record longer than 65536 bytes|$n" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.clc_account")"
# A file that changes while it is read (still being written, saved again) is refused, not imported as far as it
# was read: the import, paused once it has the header, meets a row written meanwhile (both commands).
changing() {
	rm -f "$TMP/resume"
	: >"$TMP/bg.err" # the run before paused here too: the shell empties the file only once this run starts
	PB_TEST_PAUSE=import-header PB_TEST_RESUME_FILE=$TMP/resume "$PBA" "$1" "$TMP/grow.csv" >"$TMP/bg.out" 2>"$TMP/bg.err" &
	BGPID=$!
	pb_until 120 grep -q "test pause at import-header" "$TMP/bg.err" || notok "$1 pauses at import-header" "$(cat "$TMP/bg.err")"
	printf '%s\n' "$2" >>"$TMP/grow.csv"
	touch "$TMP/resume"
	wait "$BGPID"
	echo "$?|$(cat "$TMP/bg.out")|$(grep -v 'test pause' "$TMP/bg.err")"
	BGPID=
}
printf 'alias,name,billing_country\nCW1,Changing,US\n' >"$TMP/grow.csv"
links=$(pb_sql "SELECT count(*) FROM pb.partner_account")
check "a file that grows while import reads it is refused, nothing added" \
	"1||pb-accounts: $TMP/grow.csv: the file changed while it was read (43 bytes when it was opened): read it again once it is whole|$n" \
	"$(changing import "CW2,Written late,US")|$(pb_sql "SELECT count(*) FROM pb.clc_account")"
printf 'alias,vendor,partner_account_id,from\nUS1,aws,300000000091,2026-10-01\n' >"$TMP/grow.csv"
check "and so is one that grows while import-links reads it, nothing linked" \
	"1||pb-accounts: $TMP/grow.csv: the file changed while it was read (69 bytes when it was opened): read it again once it is whole|$links" \
	"$(changing import-links US1,aws,300000000092,2026-10-01)|$(pb_sql "SELECT count(*) FROM pb.partner_account")"
# The temporary file of the rows stored goes to TMPDIR (glibc's tmpfile() took /tmp whatever TMPDIR said).
printf 'alias,name,billing_country\nTD1,Fine,US\n' >"$TMP/td.csv"
t "the import's temporary file goes to TMPDIR: one that is not there is named, exit 3, nothing added" 3 "" \
	"pb-accounts: cannot write a temporary file in '$TMP/no-tmp': No such file or directory" \
	env TMPDIR="$TMP/no-tmp" "$PBA" import "$TMP/td.csv"
# Two imports of the same new accounts at once, their files listing them in opposite orders: each waited for the
# other's rows and one ended with exit 3, 'deadlock detected' (which pb-run retries), naming no line. Imports now
# take turns: the second waits for the first to end, then is refused at its first row as an alias that exists.
awk 'BEGIN { print "alias,name,billing_country"; for (k = 1000; k < 2000; k++) printf "DL%d,Turns,US\n", k }' >"$TMP/dl-up.csv"
awk 'BEGIN { print "alias,name,billing_country"; for (k = 1999; k >= 1000; k--) printf "DL%d,Turns,US\n", k }' >"$TMP/dl-down.csv"
rm -f "$TMP/resume"
for f in up down; do
	PB_TEST_PAUSE=import-header PB_TEST_RESUME_FILE=$TMP/resume "$PBA" import "$TMP/dl-$f.csv" >"$TMP/dl-$f.out" 2>"$TMP/dl-$f.err" &
	eval "dl_$f=\$!"
done
pb_until 120 eval 'grep -q "test pause" "$TMP/dl-up.err" && grep -q "test pause" "$TMP/dl-down.err"' ||
	notok "both imports pause at import-header"
touch "$TMP/resume"
wait "$dl_up"
st_up=$?
wait "$dl_down"
st_down=$?
# Their rows are the same: the second finds each stored already, as its file gives it, and succeeds unchanged.
dl_first=$(grep -l "imported 1000 CLC accounts" "$TMP/dl-up.out" "$TMP/dl-down.out")
case "$st_up$st_down|$dl_first" in
"00|$TMP/dl-up.out") dl="imported 1000 CLC accounts from $TMP/dl-up.csv
imported 0 CLC accounts from $TMP/dl-down.csv, 1000 unchanged|" ;;
"00|$TMP/dl-down.out") dl="imported 0 CLC accounts from $TMP/dl-up.csv, 1000 unchanged
imported 1000 CLC accounts from $TMP/dl-down.csv|" ;;
*) dl="exit $st_up and $st_down" ;;
esac
check "two imports of the same accounts at once: the second waits for the first, then finds them unchanged, exit 0" \
	"ok|1000" "$([ "$dl" = "$(cat "$TMP/dl-up.out" "$TMP/dl-down.out")|$(grep -hv 'test pause' "$TMP/dl-up.err" "$TMP/dl-down.err")" ] && echo ok ||
		echo "$st_up $st_down: $(cat "$TMP/dl-up.out" "$TMP/dl-down.out" "$TMP/dl-up.err" "$TMP/dl-down.err")")|$(
		pb_sql "SELECT count(*) FROM pb.clc_account WHERE alias LIKE 'DL%'")"
# An import run again (pb-run runs a step again after exit 3, which a lost connection gives once the commit went
# through; an operator runs the same file twice): each row stored already, as the file gives it, is unchanged and
# nothing is written for it (its row version, xmin, stays); a row with other values is refused as before.
acc_dump() { pb_sql "SELECT xmin, * FROM pb.clc_account WHERE alias LIKE 'IM%' ORDER BY alias" '|'; }
before=$(acc_dump)
t "import run again: every row unchanged, exit 0" 0 "imported 0 CLC accounts from $TMP/accounts.csv, 3 unchanged" "" \
	"$PBA" import "$TMP/accounts.csv"
check "and nothing written" "$before" "$(acc_dump)"
# Compared as the import normalizes them (the case of an alias, a country or a domain, 0 for false, +0.00 for the
# markup 0, an empty currency for USD); columns the file leaves out are not compared (IM2's parent).
cat >"$TMP/again.csv" <<'EOF'
alias,name,billing_country,is_reseller,domain,email,markup_percent,invoice_currency
im1,"Import One, Inc",us,0,IM1.onmicrosoft.com,ops@im1.example,+0.00,
IM2,Import Two,GB,,,,0,usd
IM3,Import Three,US,,,,12.50,EUR
EOF
t "half stored, half new: the new rows added, the others unchanged" 0 \
	"imported 1 CLC account from $TMP/again.csv, 2 unchanged" "" "$PBA" import "$TMP/again.csv"
check "IM1 and IM2 as they were, IM3 added" "$(head -n 2 <<<"$before")|IM3|Import Three|US|EUR|12.5" \
	"$(acc_dump | head -n 2)|$(pb_sql "SELECT alias, name, billing_country, invoice_currency, markup_percent
		FROM pb.clc_account WHERE alias = 'IM3'" '|')"
n=$(pb_sql "SELECT count(*) FROM pb.clc_account")
before=$(acc_dump)
printf 'alias,name,billing_country\nIM4,New,US\nIM1,"Import One, Inc.",US\n' >"$TMP/bad.csv"
import_fails "run again with another name: refused as before, nothing added" \
	"pb-accounts: $TMP/bad.csv:3:1: CLC account 'IM1' exists already with name 'Import One, Inc' where the row has 'Import One, Inc.'"
printf 'alias,name,billing_country,parent_reseller\nIM4,New,US,\nIM2,Import Two,GB,\n' >"$TMP/bad.csv"
import_fails "an empty column is a value: IM2 without its parent differs" \
	"pb-accounts: $TMP/bad.csv:3:1: CLC account 'IM2' exists already with parent_reseller 'IMR' where the row has (none)"
printf 'alias,name,billing_country\nIM2,Import Two,GB\nim2,Import Two,GB\n' >"$TMP/bad.csv"
import_fails "a stored row twice in the file: the second names the first" \
	"pb-accounts: $TMP/bad.csv:3:1: alias 'IM2' is on line 2 already"
printf 'alias,name,billing_country\nIM2,Import Two,GB\nIM1,Other,US\nIM4,New,US\nIM5,Bad,USA\n' >"$TMP/bad.csv"
t "--max-errors: the rows that differ and the bad ones named, not the unchanged; nothing added" 1 "" \
	"pb-accounts: $TMP/bad.csv:3:1: CLC account 'IM1' exists already with name 'Import One, Inc' where the row has 'Other'
pb-accounts: $TMP/bad.csv:5:9: bad billing country 'USA': a two-letter ISO 3166 code such as US" \
	"$PBA" import "$TMP/bad.csv" --max-errors 10
check "and nothing written" "$before|$n" "$(acc_dump)|$(pb_sql "SELECT count(*) FROM pb.clc_account")"
# A file run again after an update of one of its accounts was refused as "exists already", which said nothing of
# why a row that the last run imported was refused now: the row names each value that differs, stored and given.
"$PBA" update IM3 --markup 15 --city Leeds >/dev/null || notok "update IM3"
cp "$TMP/again.csv" "$TMP/bad.csv"
import_fails "run again after an update: refused, naming each value the update changed" \
	"pb-accounts: $TMP/bad.csv:4:1: CLC account 'IM3' exists already with markup_percent '15' where the row has '12.5'"
"$PBA" update IM3 --markup 12.5 >/dev/null || notok "give IM3 its markup back"
t "and with the value back, run again: unchanged (a column the file leaves out is not compared)" 0 \
	"imported 0 CLC accounts from $TMP/again.csv, 3 unchanged" "" "$PBA" import "$TMP/again.csv"
t "--max-errors 0 is a usage error" 2 "" "pb-accounts: import: --max-errors takes a whole number from 1 to 100000, not '0'
Try 'pb-accounts import --help'." "$PBA" import "$TMP/bad.csv" --max-errors 0
t "import-links takes --max-errors too, from 1 to 100000" 2 "" "pb-accounts: import-links: --max-errors takes a whole number from 1 to 100000, not '100001'
Try 'pb-accounts import-links --help'." "$PBA" import-links "$TMP/bad.csv" --max-errors 100001

# ---- Azure customers in Partner Center -------------------------------------------------------------------

if ! pb_pc_start "$TMP/pc" >/dev/null || ! pb_pc_config \
	'{"credentials":{"tenant":"partner.onmicrosoft.com","client_id":"pb-app","client_secret":"s3cret"},
	  "customers":{"seed":[{"domain":"taken.onmicrosoft.com","companyName":"Somebody Else"}]}}'; then
	notok "start the Partner Center test server"
	pb_tests_done
	exit 1
fi
export AZURE_TENANT_ID=partner.onmicrosoft.com AZURE_CLIENT_ID=pb-app AZURE_CLIENT_SECRET=s3cret
export PB_PC_LOGIN_URL=$PC_URL PB_PC_API_URL=$PC_URL
stat() { pb_pc_stat "$1"; }
stats() {
	local s out=""
	for s in "$@"; do out+="$s=$(stat "$s") "; done
	echo "$out"
}
# server_made DOMAIN: waits (120 s at most) until the server holds a customer with DOMAIN: after a run that gave up
# waiting for the answer (--timeout 1), the server may still be reading the request on a loaded machine, and
# makes the customer only then; one failure if it never does.
server_made() {
	pb_until 120 customer_of "$1" || notok "the server makes the customer for $1" "$(tail -n 5 "$PC_LOG")"
}
customer_of() {
	pc_api "/v1/customers?size=500" | python3 -c 'import json, sys
sys.exit(not any(c["companyProfile"]["domain"] == sys.argv[1] for c in json.load(sys.stdin)["items"]))' "$1"
}
# add_azure ALIAS [DOMAIN]: a US account with a whole company profile and every terms.
add_azure() {
	"$PBA" add "$1" --name "$1 Corp" --country US --domain "${2:-$(tr A-Z a-z <<<"$1").onmicrosoft.com}" \
		--email "billing@$1.example" --first-name Ada --last-name Lovelace --address "1 Main St" \
		--city Springfield --state IL --postal-code 62701 --phone "+1 555 0100" >/dev/null &&
		accept_all "$1" US || notok "add $1"
}
request_of() { pb_sql "SELECT request_id FROM pb.customer_creation_request WHERE alias = '$1' ORDER BY id DESC LIMIT 1"; }
tenant_of() { pb_sql "SELECT tenant_id FROM pb.customer_creation_request WHERE alias = '$1' AND status = 'succeeded'"; }
TODAY=$(pb_sql "SELECT (now() AT TIME ZONE 'UTC')::date")
# An eligibility config named by URL: a download that fails after its retries is the network's failure
# (exit 3, which pb-run retries), an address the server does not have was named wrong (exit 2).
pb_refused_port || notok "a port that refuses connections"
port=$REFUSED_PORT
"$PBA" check US1 --vendor aws --config "http://127.0.0.1:$port/elig.conf" >"$TMP/out" 2>"$TMP/err"
check "an eligibility config whose download fails is exit 3, naming the URL" \
	"3|pb-accounts: http://127.0.0.1:$port/elig.conf: failed after 5 attempts: Failed to connect to 127.0.0.1 port $port: Couldn't connect to server" \
	"$?|$(sed 's/ after [0-9]* ms//' "$TMP/err")"
"$PBA" check US1 --vendor aws --config "$PC_URL/no-such/eligibility.conf" >"$TMP/out" 2>"$TMP/err"
check "an eligibility config the server does not have is a usage error" \
	"2|pb-accounts: $PC_URL/no-such/eligibility.conf: HTTP 404, not retried" "$?|$(head -n 1 "$TMP/err")"
# Mapping rules the same.
"$PBA" suggest --month 2026-10 --rules "http://127.0.0.1:$port/rules" >"$TMP/out" 2>"$TMP/err"
check "mapping rules whose download fails: exit 3, naming the URL" \
	"3|pb-accounts: http://127.0.0.1:$port/rules: failed after 5 attempts: Failed to connect to 127.0.0.1 port $port: Couldn't connect to server" \
	"$?|$(sed 's/ after [0-9]* ms//' "$TMP/err")"
"$PBA" suggest --month 2026-10 --rules "$PC_URL/no-such/rules" >"$TMP/out" 2>"$TMP/err"
check "mapping rules the server does not have: a usage error, not rules that match nothing" \
	"2|pb-accounts: $PC_URL/no-such/rules: HTTP 404, not retried" "$?|$(head -n 1 "$TMP/err")"
# pc_api PATH: GET PATH from Partner Center with a token of its own.
pc_api() {
	local tok
	tok=$(curl -sS -d "grant_type=client_credentials&client_id=pb-app&client_secret=s3cret&scope=https://api.partnercenter.microsoft.com/.default" \
		"$PC_URL/partner.onmicrosoft.com/oauth2/v2.0/token" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
	curl -sS -H "Authorization: Bearer $tok" "$PC_URL$1"
}

add_azure AZ1
# Without --from, the link holds from today by the database server's clock, not the machine's: run here with the
# machine's clock 45 days ahead (faketime; ASan runs with it preloaded first).
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime -f +45d \
	"$PBA" create-azure-customer AZ1 --timeout 10 >"$TMP/out" 2>"$TMP/err"
st=$?
T1=$(tenant_of AZ1)
R1=$(request_of AZ1)
check "create-azure-customer creates the customer and links its tenant" "0|AZ1: created azure customer $T1 for domain az1.onmicrosoft.com (request $R1)
AZ1: linked azure partner account $T1 from $TODAY||customers_created=1 customer_posts=1 domain_checks=1 " \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(stats customers_created customer_posts domain_checks)"
check "the link and the request are recorded" "AZ1,$TODAY,,create-azure-customer request $R1|succeeded,1" \
	"$(pb_sql "SELECT alias, valid_from, valid_to, origin FROM pb.partner_account WHERE vendor = 'azure' AND partner_account_id = '$T1'")|$(pb_sql "SELECT status, attempts FROM pb.customer_creation_request WHERE alias = 'AZ1'")"
check "the server holds the customer with the account's profile" "az1.onmicrosoft.com|AZ1 Corp|Springfield|62701" \
	"$(pc_api "/v1/customers/$T1" | python3 -c 'import json, sys
c = json.load(sys.stdin)
a = c["billingProfile"]["defaultAddress"]
print(c["companyProfile"]["domain"], c["companyProfile"]["companyName"], a["city"], a["postalCode"], sep="|")')"
before=$(stats token_requests customer_posts domain_checks)
t "a repeat after success says the customer exists and sends nothing" 0 \
	"AZ1: the azure customer exists already: tenant $T1 (request $R1)" "" "$PBA" create-azure-customer AZ1
check "no request went out for the repeat" "$before" "$(stats token_requests customer_posts domain_checks)"

# The server makes the customer, then answers after 3 s; the run gives up after 1 s.
add_azure AZ2
curl -sS -X POST "$PC_URL/_pc/stats/reset" >/dev/null
pb_pc_config '{"customers":{"create_delay_seconds":3}}'
"$PBA" create-azure-customer AZ2 --timeout 1 >"$TMP/out" 2>"$TMP/err"
st=$?
server_made az2.onmicrosoft.com
R2=$(request_of AZ2)
check "a timeout after the server made the customer: exit 3, the request stays pending" \
	"3||pb-accounts: POST $PC_URL/v1/customers: no answer within 1 s; request $R2 stays pending: run 'pb-accounts create-azure-customer AZ2' again to finish it|pending|customers_created=1 " \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT status FROM pb.customer_creation_request WHERE alias = 'AZ2'")|$(stats customers_created)"
check "nothing was linked" "0" "$(pb_sql "SELECT count(*) FROM pb.partner_account WHERE alias = 'AZ2'")"
"$PBA" create-azure-customer AZ2 --timeout 10 >"$TMP/out" 2>"$TMP/err"
st=$?
T2=$(tenant_of AZ2)
check "the retry checks the domain, resends the same MS-RequestId and gets the customer the server made" \
	"0|AZ2: sending pending request $R2 again (domain az2.onmicrosoft.com is taken: Partner Center made the customer before)
AZ2: created azure customer $T2 for domain az2.onmicrosoft.com (request $R2)
AZ2: linked azure partner account $T2 from $TODAY||customers_created=1 customer_posts=2 domain_checks=2 " \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(stats customers_created customer_posts domain_checks)"
check "one request, sent twice, and one customer on the server for the domain" "1,succeeded,2|1" \
	"$(pb_sql "SELECT count(*), min(status), max(attempts) FROM pb.customer_creation_request WHERE alias = 'AZ2'")|$(
		pc_api "/v1/customers?size=500" | python3 -c 'import json, sys
print(sum(1 for c in json.load(sys.stdin)["items"] if c["companyProfile"]["domain"] == "az2.onmicrosoft.com"))')"

# A 503 is retried with the same MS-RequestId.
add_azure AZ3
curl -sS -X POST "$PC_URL/_pc/stats/reset" >/dev/null
pb_pc_config '{"customers":{"fail_next_create_status":503}}'
"$PBA" create-azure-customer AZ3 --from 2026-11-01 >"$TMP/out" 2>"$TMP/err"
check "a 503 is retried and the customer made once" "0|customers_created=1 customer_posts=2 |succeeded,1|AZ3,2026-11-01" \
	"$?|$(stats customers_created customer_posts)|$(pb_sql "SELECT status, attempts FROM pb.customer_creation_request WHERE alias = 'AZ3'")|$(
		pb_sql "SELECT alias, valid_from FROM pb.partner_account WHERE partner_account_id = '$(tenant_of AZ3)'")"

# A 400 is a refusal: the request fails for good, and the next run makes a new one.
add_azure AZ4
pb_pc_config '{"customers":{"fail_next_create_status":400}}'
"$PBA" create-azure-customer AZ4 >"$TMP/out" 2>"$TMP/err"
st=$?
R4=$(request_of AZ4)
check "Partner Center refusing the customer is exit 1, the request failed" \
	"1||pb-accounts: POST $PC_URL/v1/customers: HTTP 400 (code 2000): The request failed.|failed" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT status FROM pb.customer_creation_request WHERE request_id = '$R4'")"
"$PBA" create-azure-customer AZ4 >"$TMP/out" 2>"$TMP/err"
st=$?
check "the next run sends a new request" "0|failed,succeeded|2" \
	"$st|$(pb_sql "SELECT string_agg(status, ',' ORDER BY id) FROM pb.customer_creation_request WHERE alias = 'AZ4'")|$(
		pb_sql "SELECT count(DISTINCT request_id) FROM pb.customer_creation_request WHERE alias = 'AZ4'")"
# Partner Center's code given as a string ("code": "InvalidTenantDomain", as some of its answers have it) was
# left out of the message, which said only the status and the description.
add_azure AZ4S
pb_pc_config '{"customers":{"fail_next_create_status":400,"fail_create_code":"Invalid\u001bDomain"}}'
"$PBA" create-azure-customer AZ4S >"$TMP/out" 2>"$TMP/err"
check "a refusal whose code is a string names it, its control characters shown escaped" \
	"1||pb-accounts: POST $PC_URL/v1/customers: HTTP 400 (code Invalid\\x1bDomain): The request failed.|failed" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT status FROM pb.customer_creation_request WHERE alias = 'AZ4S'")"
pb_pc_config '{"customers":{"fail_create_code":null}}'

# Partner Center keeps an MS-RequestId for a while only: sent again later, the request finds the domain its first
# sending made the customer for, and gets 409 (domain in use). It was marked failed, and every later run made a new
# request, refused before sending for the domain in use: the customer existed, never recorded nor linked. The
# partner's own customer with the request's domain (GET /v1/customers filtered by domain) is the one it made.
add_azure AZF
curl -sS -X POST "$PC_URL/_pc/stats/reset" >/dev/null
pb_pc_config '{"customers":{"create_delay_seconds":2}}'
"$PBA" create-azure-customer AZF --timeout 1 >/dev/null 2>&1
server_made azf.onmicrosoft.com
RF=$(request_of AZF)
pb_pc_config '{"customers":{"create_delay_seconds":0,"forget_requests":true}}'
"$PBA" create-azure-customer AZF --timeout 10 >"$TMP/out" 2>"$TMP/err"
st=$?
TF=$(pc_api "/v1/customers?size=500" | python3 -c 'import json, sys
print(*[c["id"] for c in json.load(sys.stdin)["items"] if c["companyProfile"]["domain"] == "azf.onmicrosoft.com"])')
check "a 409 to a request sent again: the partner's customer with its domain is the one it made" \
	"0|AZF: sending pending request $RF again (domain azf.onmicrosoft.com is taken: Partner Center made the customer before)
AZF: Partner Center answered request $RF with HTTP 409 (code 2001): The domain 'azf.onmicrosoft.com' is already in use. Choose another domain.; the partner's customer with domain azf.onmicrosoft.com is $TF, made by the request before
AZF: created azure customer $TF for domain azf.onmicrosoft.com (request $RF)
AZF: linked azure partner account $TF from $TODAY||succeeded,2,$TF|AZF|customers_created=1 customer_posts=2 " \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT status, attempts, tenant_id FROM pb.customer_creation_request WHERE alias = 'AZF'")|$(
		pb_sql "SELECT string_agg(alias, ',') FROM pb.partner_account WHERE partner_account_id = '$TF'")|$(stats customers_created customer_posts)"
# The customer with the domain is another account's (the two share a domain, and only the other's request reached
# Partner Center): it is not taken for this request, which is refused as before.
add_azure AZK azf.onmicrosoft.com
pb_sql "INSERT INTO pb.customer_creation_request (alias, request_id, domain, status, created_by)
	VALUES ('AZK', gen_random_uuid(), 'azf.onmicrosoft.com', 'pending', 'old')" >/dev/null
RK=$(request_of AZK)
"$PBA" create-azure-customer AZK --timeout 10 >"$TMP/out" 2>"$TMP/err"
check "a 409 whose customer with the domain is another account's: exit 1, the request failed, nothing linked" \
	"1|AZK: sending pending request $RK again (domain azf.onmicrosoft.com is taken: Partner Center made the customer before)|pb-accounts: POST $PC_URL/v1/customers: HTTP 409 (code 2001): The domain 'azf.onmicrosoft.com' is already in use. Choose another domain.; the partner's customer with that domain, $TF, is the one request $RF made for AZF|failed|0" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT status FROM pb.customer_creation_request WHERE alias = 'AZK'")|$(
		pb_sql "SELECT count(*) FROM pb.partner_account WHERE alias = 'AZK'")"
# Microsoft's description of a 409 goes to whoever runs the command and into the request's error: a hostile one (an
# escape sequence that clears the screen and retitles the terminal, a bell, C1's CSI, a right-to-left override, a
# line feed, which ends what is shown: its first line, as for every answer of Microsoft's) is shown escaped on
# standard output and stored escaped, never as it came.
HOSTILE='In use\u001b[2J\u001b]0;owned\u0007 \u009b31m \u202ereversed\nsecond line'
HOSTILE_SHOWN='In use\x1b[2J\x1b]0;owned\x07 \xc2\x9b31m \u202ereversed'
add_azure AZX
pb_pc_config '{"customers":{"create_delay_seconds":2,"forget_requests":false}}'
"$PBA" create-azure-customer AZX --timeout 1 >/dev/null 2>&1
RX=$(request_of AZX)
pb_pc_config "{\"customers\":{\"create_delay_seconds\":0,\"forget_requests\":true,\"conflict_description\":\"$HOSTILE\"}}"
"$PBA" create-azure-customer AZX --timeout 10 >"$TMP/out" 2>"$TMP/err"
st=$?
TX=$(pc_api "/v1/customers?size=500" | python3 -c 'import json, sys
print(*[c["id"] for c in json.load(sys.stdin)["items"] if c["companyProfile"]["domain"] == "azx.onmicrosoft.com"])')
check "a 409 with a hostile description: its line on standard output shows it escaped" \
	"0|AZX: sending pending request $RX again (domain azx.onmicrosoft.com is taken: Partner Center made the customer before)
AZX: Partner Center answered request $RX with HTTP 409 (code 2001): $HOSTILE_SHOWN; the partner's customer with domain azx.onmicrosoft.com is $TX, made by the request before
AZX: created azure customer $TX for domain azx.onmicrosoft.com (request $RX)
AZX: linked azure partner account $TX from $TODAY||succeeded" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT status FROM pb.customer_creation_request WHERE alias = 'AZX'")"
add_azure AZY azx.onmicrosoft.com
pb_sql "INSERT INTO pb.customer_creation_request (alias, request_id, domain, status, created_by)
	VALUES ('AZY', gen_random_uuid(), 'azx.onmicrosoft.com', 'pending', 'old')" >/dev/null
RY=$(request_of AZY)
"$PBA" create-azure-customer AZY --timeout 10 >"$TMP/out" 2>"$TMP/err"
check "a 409 with a hostile description refused: escaped on standard error and in the request's error" \
	"1|pb-accounts: POST $PC_URL/v1/customers: HTTP 409 (code 2001): $HOSTILE_SHOWN; the partner's customer with that domain, $TX, is the one request $RX made for AZX|failed|POST $PC_URL/v1/customers: HTTP 409 (code 2001): $HOSTILE_SHOWN; the partner's customer with that domain, $TX, is the one request $RX made for AZX" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT status, error FROM pb.customer_creation_request WHERE request_id = '$RY'" '|')"
pb_pc_config '{"customers":{"conflict_description":null}}'
pb_pc_config '{"customers":{"forget_requests":false}}'

add_azure AZ5 taken.onmicrosoft.com
before=$(stats customer_posts)
t "a domain another customer has is refused before any request" 1 "" \
	"pb-accounts: the domain taken.onmicrosoft.com is in use by another Partner Center customer" \
	"$PBA" create-azure-customer AZ5
check "no request was recorded or sent" "0|$before" \
	"$(pb_sql "SELECT count(*) FROM pb.customer_creation_request WHERE alias = 'AZ5'")|$(stats customer_posts)"

"$PBA" add FR2 --name "FR Two" --country FR --domain fr2.onmicrosoft.com --email a@fr2.example --first-name A \
	--last-name B --address "1 rue X" --city Paris --postal-code 75001 >/dev/null
accept_all FR2 FR
t "an ineligible account is refused with exit 4 and its rules" 4 "" \
	"pb-accounts: FR2: not eligible for azure: billing country FR is not among azure's allowed countries (US, GB)" \
	"$PBA" create-azure-customer FR2
t "an account without a company profile is bad input" 1 "" \
	"pb-accounts: the company profile of US3 lacks domain, email, first_name, last_name, address_line1, city, postal_code, which Partner Center needs" \
	"$PBA" create-azure-customer US3
add_azure AZ6
t "a wrong client secret is exit 3, with Entra ID's reason" 3 "" \
	"pb-accounts: POST $PC_URL/partner.onmicrosoft.com/oauth2/v2.0/token: HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'pb-app'." \
	env AZURE_CLIENT_SECRET=wrong "$PBA" create-azure-customer AZ6
t "missing credentials are a usage error" 2 "" \
	"pb-accounts: Partner Center needs AZURE_CLIENT_ID, AZURE_CLIENT_SECRET in the environment" \
	env -u AZURE_CLIENT_ID -u AZURE_CLIENT_SECRET "$PBA" create-azure-customer AZ6
# Checked once connected, they were exit 3 with the database down (a failed connection, which pb-run
# retries), and the state of the account decided the rest: they are checked first.
t "missing credentials, the database down: still a usage error" 2 "" \
	"pb-accounts: Partner Center needs AZURE_CLIENT_ID, AZURE_CLIENT_SECRET in the environment" \
	env -u AZURE_CLIENT_ID -u AZURE_CLIENT_SECRET PB_DATABASE_URL="host=$TMP/no-server dbname=none" \
	"$PBA" create-azure-customer AZ6
t "missing credentials for an account without a company profile: the usage error" 2 "" \
	"pb-accounts: Partner Center needs AZURE_CLIENT_SECRET in the environment" \
	env -u AZURE_CLIENT_SECRET "$PBA" create-azure-customer US3
# The endpoint settings (for test servers) that the client secret and the token go to: https only, or plain
# http to a loopback address; anything else is refused before a request is made. A loopback HTTP proxy
# (http_proxy) stands in for every other host and logs what reaches it.
mkdir -p "$TMP/nothing"
pb_headers_start "$TMP/nothing" >/dev/null || exit 1
for v in PB_PC_LOGIN_URL=http://login.example PB_PC_API_URL=http://api.example:8080 PB_PC_API_URL=api.example; do
	t "$v is refused before a request: exit 2" 2 "" \
		"pb-accounts: ${v%%=*}: '${v#*=}' is not an https URL (plain http only to localhost, 127.0.0.1 or ::1)" \
		env "$v" http_proxy="$HEADERS_ENDPOINT" "$PBA" create-azure-customer AZ6
done
check "nothing reached another host" 0 "$(pb_fault_settled "$HEADERS_LOG"; grep -c '^n=' "$HEADERS_LOG")"
pb_headers_stop
check "none of these recorded a request" "0" \
	"$(pb_sql "SELECT count(*) FROM pb.customer_creation_request WHERE alias IN ('AZ6', 'FR2', 'US3')")"

# Two runs at once for one account: the second is refused while the first waits for its answer. The server
# holds the answer until the second run is done (not for a fixed 2 s, which a loaded machine spent starting the
# second run: it then found the first one done).
rm -f "$TMP/create.go"
pb_pc_config "{\"customers\":{\"create_hold_file\":\"$TMP/create.go\"}}"
"$PBA" create-azure-customer AZ6 --timeout 60 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pb.customer_creation_request WHERE alias = 'AZ6'" ||
	notok "the first run records its request" "$(cat "$TMP/bg.err")"
t "a second run while one runs is refused with exit 4" 4 "" \
	"pb-accounts: a customer creation for AZ6 is running already" "$PBA" create-azure-customer AZ6
touch "$TMP/create.go"
wait "$BGPID"
check "and the first run finishes" "0|succeeded" "$?|$(pb_sql "SELECT status FROM pb.customer_creation_request WHERE alias = 'AZ6'")"
BGPID=

# Partner Center may write a tenant id in capitals: a GUID is one whatever its case. The tenant is recorded and
# linked in lowercase, as the exports name it, and a repeat finds its link, ended or not, and links nothing.
add_azure AZ7
pb_pc_config '{"customers":{"uppercase_ids":true}}'
"$PBA" create-azure-customer AZ7 --from 2026-10-01 --timeout 10 >"$TMP/out" 2>"$TMP/err"
st=$?
T7U=$(pc_api "/v1/customers?size=100" | python3 -c 'import json, sys
print(*[c["id"] for c in json.load(sys.stdin)["items"] if c["companyProfile"]["domain"] == "az7.onmicrosoft.com"])')
T7=$(tr A-F a-f <<<"$T7U")
R7=$(request_of AZ7)
check "a tenant id in capitals is recorded and linked in lowercase" "0|AZ7: created azure customer $T7 for domain az7.onmicrosoft.com (request $R7)
AZ7: linked azure partner account $T7 from 2026-10-01||$T7|AZ7,2026-10-01," \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(tenant_of AZ7)|$(pb_sql "SELECT alias, valid_from, valid_to FROM pb.partner_account WHERE partner_account_id = '$T7'")"
check "the server wrote it in capitals" "$T7U" "$(tr a-f A-F <<<"$T7U")"
t "a repeat finds the link and sends nothing" 0 "AZ7: the azure customer exists already: tenant $T7 (request $R7)" "" \
	"$PBA" create-azure-customer AZ7
"$PBA" unlink AZ7 --vendor azure --partner-account "$T7U" --to 2026-10-31 >/dev/null 2>&1 || notok "unlink AZ7"
pb_sql "UPDATE pb.customer_creation_request SET tenant_id = '$T7U' WHERE alias = 'AZ7'"
t "a repeat after the link ended, with a tenant recorded in capitals before, links nothing again" 0 \
	"AZ7: the azure customer exists already: tenant $T7U (request $R7)" "" "$PBA" create-azure-customer AZ7
check "the one link, ended" "AZ7,2026-10-01,2026-10-31" \
	"$(pb_sql "SELECT alias, valid_from, valid_to FROM pb.partner_account WHERE vendor = 'azure' AND lower(partner_account_id) = '$T7'")"
t "the link removed (made by mistake)" 0 "the link of azure partner account $T7 to AZ7 from 2026-10-01 is removed: it held on no day" "" \
	"$PBA" unlink AZ7 --vendor azure --partner-account "$T7" --to 2026-09-30
t "a repeat after that links nothing either" 0 "AZ7: the azure customer exists already: tenant $T7U (request $R7)" "" \
	"$PBA" create-azure-customer AZ7
check "no link" "0" "$(pb_sql "SELECT count(*) FROM pb.partner_account WHERE partner_account_id = '$T7'")"
pb_pc_config '{"customers":{"uppercase_ids":false}}'

# The tenant of a pending request linked to another account meanwhile (by hand, or an approved proposal): the
# run that gets the customer refuses to leave it so in silence, naming the account it is billed to (exit 4),
# and so does every later run, until someone moves the link.
add_azure AZ8
pb_pc_config '{"customers":{"create_delay_seconds":2}}'
"$PBA" create-azure-customer AZ8 --timeout 1 >/dev/null 2>&1
server_made az8.onmicrosoft.com
pb_pc_config '{"customers":{"create_delay_seconds":0}}'
T8=$(pc_api "/v1/customers?size=100" | python3 -c 'import json, sys
print(*[c["id"] for c in json.load(sys.stdin)["items"] if c["companyProfile"]["domain"] == "az8.onmicrosoft.com"])')
R8=$(request_of AZ8)
"$PBA" link AZ1 --vendor azure --partner-account "$T8" --from 2026-10-01 >/dev/null 2>&1 || notok "link AZ1 to $T8"
refusal="pb-accounts: AZ8: the azure customer $T8 made for it is linked to AZ1 from 2026-10-01 (open-ended): not linked to AZ8, a partner account maps to one CLC account at a time"
"$PBA" create-azure-customer AZ8 --timeout 10 >"$TMP/out" 2>"$TMP/err"
check "a customer whose tenant another account has: exit 4, naming that account" \
	"4|AZ8: sending pending request $R8 again (domain az8.onmicrosoft.com is taken: Partner Center made the customer before)
AZ8: created azure customer $T8 for domain az8.onmicrosoft.com (request $R8)|$refusal|succeeded|AZ1" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT status FROM pb.customer_creation_request WHERE alias = 'AZ8'")|$(
		pb_sql "SELECT string_agg(alias, ',') FROM pb.partner_account WHERE partner_account_id = '$T8'")"
t "and a repeat says so again" 4 "AZ8: the azure customer exists already: tenant $T8 (request $R8)" "$refusal" \
	"$PBA" create-azure-customer AZ8

# A pending request whose account's domain was changed meanwhile: the run checked the new domain, sent the pending
# request again with the new domain under the same MS-RequestId, and said it created the customer for the new
# domain, where Partner Center had made it for the first (and a server that took the new body as a new request
# would have made a second customer). The request is sent again only as it was first sent: exit 4, nothing sent,
# until the account has its domain back.
add_azure AZD
pb_pc_config '{"customers":{"create_delay_seconds":2}}'
"$PBA" create-azure-customer AZD --timeout 1 >/dev/null 2>&1
server_made azd.onmicrosoft.com
pb_pc_config '{"customers":{"create_delay_seconds":0}}'
RD=$(request_of AZD)
"$PBA" update AZD --domain azd2.onmicrosoft.com >/dev/null || notok "update AZD's domain"
before=$(stats customer_posts domain_checks)
t "a pending request whose account's domain changed since: exit 4, nothing sent" 4 "" \
	"pb-accounts: AZD: request $RD was sent for domain azd.onmicrosoft.com and the account's domain is azd2.onmicrosoft.com now: Partner Center may have made the customer for the first; give the account that domain back (pb-accounts update AZD --domain azd.onmicrosoft.com) and run again to finish the request" \
	"$PBA" create-azure-customer AZD --timeout 10
check "nothing was sent, the request stays pending" "$before|pending" \
	"$(stats customer_posts domain_checks)|$(pb_sql "SELECT status FROM pb.customer_creation_request WHERE request_id = '$RD'")"
"$PBA" update AZD --domain azd.onmicrosoft.com >/dev/null || notok "give AZD its domain back"
"$PBA" create-azure-customer AZD --timeout 10 >"$TMP/out" 2>"$TMP/err"
st=$?
TD=$(tenant_of AZD)
check "with its domain back, the run finishes the request: the one customer, linked" \
	"0|AZD: sending pending request $RD again (domain azd.onmicrosoft.com is taken: Partner Center made the customer before)
AZD: created azure customer $TD for domain azd.onmicrosoft.com (request $RD)
AZD: linked azure partner account $TD from $TODAY||1" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pc_api "/v1/customers?size=500" | python3 -c 'import json, sys
print(sum(1 for c in json.load(sys.stdin)["items"] if c["companyProfile"]["domain"].startswith("azd")))')"

# The same for the account's name and address: a pending request was sent again with the account's current name
# and address, where Partner Center had made the customer with the first ones. The request records the body it
# sent, and is sent again only as it was: exit 4, naming each field that changed, nothing sent, until the account
# has the values back; then the recorded body is sent again.
add_azure AZN
pb_pc_config '{"customers":{"create_delay_seconds":2}}'
"$PBA" create-azure-customer AZN --timeout 1 >/dev/null 2>&1
server_made azn.onmicrosoft.com
pb_pc_config '{"customers":{"create_delay_seconds":0}}'
RN=$(request_of AZN)
check "the request records the body it sent" "pending|AZN Corp|1 Main St" \
	"$(pb_sql "SELECT status, sent::json->'billingProfile'->>'companyName',
		sent::json->'billingProfile'->'defaultAddress'->>'addressLine1' FROM pb.customer_creation_request
		WHERE request_id = '$RN'" '|')"
"$PBA" update AZN --name "AZN's Inc" --address "2 Main St" >/dev/null || notok "update AZN's name and address"
before=$(stats customer_posts domain_checks)
t "a pending request whose account's name and address changed since: exit 4, each named, nothing sent" 4 "" \
	"pb-accounts: AZN: request $RN was sent with name 'AZN Corp', address_line1 '1 Main St' and the account has name 'AZN's Inc', address_line1 '2 Main St' now: Partner Center may have made the customer with the first; give the account those values back (pb-accounts update AZN --name 'AZN Corp' --address '1 Main St') and run again to finish the request" \
	"$PBA" create-azure-customer AZN --timeout 10
check "nothing was sent, the request stays pending" "$before|pending" \
	"$(stats customer_posts domain_checks)|$(pb_sql "SELECT status FROM pb.customer_creation_request WHERE request_id = '$RN'")"
"$PBA" update AZN --name "AZN Corp" --address "1 Main St" >/dev/null || notok "give AZN its name and address back"
"$PBA" create-azure-customer AZN --timeout 10 >"$TMP/out" 2>"$TMP/err"
st=$?
TN=$(tenant_of AZN)
check "with its values back, the run finishes the request: the one customer, with the first name" \
	"0|AZN: sending pending request $RN again (domain azn.onmicrosoft.com is taken: Partner Center made the customer before)
AZN: created azure customer $TN for domain azn.onmicrosoft.com (request $RN)
AZN: linked azure partner account $TN from $TODAY||AZN Corp" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pc_api "/v1/customers?size=500" | python3 -c 'import json, sys
print(*[c["billingProfile"]["companyName"] for c in json.load(sys.stdin)["items"] if c["companyProfile"]["domain"] == "azn.onmicrosoft.com"])')"
# A pending request recorded before the body was (an older build): sent as before, for its domain, and what it
# sends is recorded.
add_azure AZO
pb_sql "INSERT INTO pb.customer_creation_request (alias, request_id, domain, status, created_by)
	VALUES ('AZO', gen_random_uuid(), 'azo.onmicrosoft.com', 'pending', 'old')" >/dev/null
"$PBA" create-azure-customer AZO --timeout 10 >/dev/null 2>"$TMP/err"
check "a pending request of an older build, without its body: sent, and the body recorded" "0||succeeded|AZO Corp" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT status, sent::json->'billingProfile'->>'companyName'
		FROM pb.customer_creation_request WHERE alias = 'AZO'" '|')"

# A pending request whose recorded body was changed since (by hand, a damaged restore): one that still held the
# account's name and address was sent byte for byte, whatever else it said (another domain than the request's: a
# customer Partner Center would make for that one), one of another form named every field as changed and told to
# give the account an empty name, and an empty one was sent as if no body had been recorded. A body that is not the
# one this program writes for the request's domain is damaged: exit 1, nothing sent, the request pending.
add_azure AZB
# sent_body ALIAS: the body of POST /v1/customers that create-azure-customer sends for an account of add_azure.
sent_body() {
	local d
	d=$(tr A-Z a-z <<<"$1").onmicrosoft.com
	echo '{"billingProfile":{"companyName":"'"$1"' Corp","culture":"en-US","defaultAddress":{"addressLine1":"1 Main St","city":"Springfield","country":"US","firstName":"Ada","lastName":"Lovelace","phoneNumber":"+1 555 0100","postalCode":"62701","state":"IL"},"email":"billing@'"$1"'.example","language":"en"},"companyProfile":{"domain":"'"$d"'"}}'
}
azb_body=$(sent_body AZB)
RB=$(pb_sql "INSERT INTO pb.customer_creation_request (alias, request_id, domain, status, created_by, sent)
	VALUES ('AZB', gen_random_uuid(), 'azb.onmicrosoft.com', 'pending', 'test', '$(sed 's/azb\.onmicrosoft/evil.onmicrosoft/' <<<"$azb_body")')
	RETURNING request_id")
damaged="pb-accounts: AZB: what request $RB was sent with is not a request for domain azb.onmicrosoft.com as this program writes one (changed since it was recorded): it is not sent again"
before=$(stats customer_posts domain_checks)
t "a pending request whose recorded body names another domain: exit 1, nothing sent" 1 "" "$damaged" \
	"$PBA" create-azure-customer AZB --timeout 10
pb_sql "UPDATE pb.customer_creation_request SET sent = '{}' WHERE request_id = '$RB'" >/dev/null
t "one whose recorded body is JSON of another form: exit 1, no field named" 1 "" "$damaged" \
	"$PBA" create-azure-customer AZB --timeout 10
pb_sql "UPDATE pb.customer_creation_request SET sent = '' WHERE request_id = '$RB'" >/dev/null
t "one whose recorded body is empty: exit 1, not taken for one of an older build" 1 "" \
	"pb-accounts: AZB: what request $RB was sent with cannot be read (not JSON): it is not sent again" \
	"$PBA" create-azure-customer AZB --timeout 10
check "nothing was sent, the request stays pending as it was" "$before|pending|" \
	"$(stats customer_posts domain_checks)|$(pb_sql "SELECT status, sent FROM pb.customer_creation_request WHERE request_id = '$RB'" '|')"
pb_sql "UPDATE pb.customer_creation_request SET sent = '$azb_body' WHERE request_id = '$RB'" >/dev/null
"$PBA" create-azure-customer AZB --timeout 10 >"$TMP/out" 2>"$TMP/err"
check "with the body it was sent with, the request is sent again and finishes" "0||succeeded|1" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT status FROM pb.customer_creation_request WHERE request_id = '$RB'")|$(
		pc_api "/v1/customers?size=500" | python3 -c 'import json, sys
print(sum(1 for c in json.load(sys.stdin)["items"] if c["companyProfile"]["domain"] in ("azb.onmicrosoft.com", "evil.onmicrosoft.com")))')"
# A pending request whose account's email or domain was emptied since (update --email ''): the run said the profile
# lacks it (exit 1), and once an operator gave it a value, that it was sent with another (exit 4). It names the
# value the request was sent with at once, as for a value changed.
add_azure AZE
RE=$(pb_sql "INSERT INTO pb.customer_creation_request (alias, request_id, domain, status, created_by, sent)
	VALUES ('AZE', gen_random_uuid(), 'aze.onmicrosoft.com', 'pending', 'test', '$(sent_body AZE)') RETURNING request_id")
"$PBA" update AZE --email '' >/dev/null || notok "empty AZE's email"
before=$(stats customer_posts domain_checks)
t "a pending request whose account's email was emptied since: exit 4, the email named" 4 "" \
	"pb-accounts: AZE: request $RE was sent with email 'billing@AZE.example' and the account has email (none) now: Partner Center may have made the customer with the first; give the account that value back (pb-accounts update AZE --email billing@AZE.example) and run again to finish the request" \
	"$PBA" create-azure-customer AZE --timeout 10
"$PBA" update AZE --domain '' >/dev/null || notok "empty AZE's domain"
# A domain changed or emptied beside other fields was named alone, the other fields only on the next run, once the
# domain was given back: every field changed is named at once, the domain first.
t "and whose domain was emptied too: exit 4, the domain and the email named" 4 "" \
	"pb-accounts: AZE: request $RE was sent with domain 'aze.onmicrosoft.com', email 'billing@AZE.example' and the account has domain (none), email (none) now: Partner Center may have made the customer with the first; give the account those values back (pb-accounts update AZE --domain aze.onmicrosoft.com --email billing@AZE.example) and run again to finish the request" \
	"$PBA" create-azure-customer AZE --timeout 10
"$PBA" update AZE --email billing@AZE.example >/dev/null || notok "give AZE its email back"
t "with the email back, the domain alone: named as before" 4 "" \
	"pb-accounts: AZE: request $RE was sent for domain aze.onmicrosoft.com and the account has no domain now: Partner Center may have made the customer for that one; give the account that domain back (pb-accounts update AZE --domain aze.onmicrosoft.com) and run again to finish the request" \
	"$PBA" create-azure-customer AZE --timeout 10
check "nothing was sent, the request stays pending" "$before|pending" \
	"$(stats customer_posts domain_checks)|$(pb_sql "SELECT status FROM pb.customer_creation_request WHERE request_id = '$RE'")"
add_azure AZM
RM=$(pb_sql "INSERT INTO pb.customer_creation_request (alias, request_id, domain, status, created_by, sent)
	VALUES ('AZM', gen_random_uuid(), 'azm.onmicrosoft.com', 'pending', 'test', '$(sent_body AZM)') RETURNING request_id")
"$PBA" update AZM --domain azm2.onmicrosoft.com --name "AZM Ltd" --city Shelbyville >/dev/null ||
	notok "change AZM's domain, name and city"
t "a pending request whose account's domain, name and city changed since: exit 4, each named, the domain first" 4 "" \
	"pb-accounts: AZM: request $RM was sent with domain 'azm.onmicrosoft.com', name 'AZM Corp', city 'Springfield' and the account has domain 'azm2.onmicrosoft.com', name 'AZM Ltd', city 'Shelbyville' now: Partner Center may have made the customer with the first; give the account those values back (pb-accounts update AZM --domain azm.onmicrosoft.com --name 'AZM Corp' --city Springfield) and run again to finish the request" \
	"$PBA" create-azure-customer AZM --timeout 10
check "nothing was sent, the request stays pending" "$before|pending" \
	"$(stats customer_posts domain_checks)|$(pb_sql "SELECT status FROM pb.customer_creation_request WHERE request_id = '$RM'")"

# unknown_answer ALIAS CONFIG WHAT NAME [TENANT]: Partner Center answers ALIAS's creation with CONFIG's body,
# which leaves the outcome unknown: exit 3 saying WHAT, the request pending, nothing linked (to ALIAS, nor TENANT,
# a tenant the answer named); the next run sends the same MS-RequestId again, gets the customer and links it.
unknown_answer() {
	local a=$1 lower=${1,,} r t
	add_azure "$a"
	curl -sS -X POST "$PC_URL/_pc/stats/reset" >/dev/null
	pb_pc_config "$2"
	"$PBA" create-azure-customer "$a" --timeout 10 >"$TMP/out" 2>"$TMP/err"
	st=$?
	r=$(request_of "$a")
	check "$4: exit 3 naming it (escaped), the request pending, nothing linked" \
		"3||pb-accounts: POST $PC_URL/v1/customers: $3; request $r stays pending: run 'pb-accounts create-azure-customer $a' again to finish it|pending,|0" \
		"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT status || ',' || coalesce(tenant_id, '') FROM pb.customer_creation_request WHERE alias = '$a'")|$(
			pb_sql "SELECT count(*) FROM pb.partner_account WHERE alias = '$a' OR partner_account_id = '${5:-}'")"
	"$PBA" create-azure-customer "$a" --timeout 10 >"$TMP/out" 2>"$TMP/err"
	st=$?
	t=$(tenant_of "$a")
	check "$4, then the next run: it gets the customer the server made for the same MS-RequestId, and links it" \
		"0|$a: sending pending request $r again (domain $lower.onmicrosoft.com is taken: Partner Center made the customer before)
$a: created azure customer $t for domain $lower.onmicrosoft.com (request $r)
$a: linked azure partner account $t from $TODAY||customers_created=1 customer_posts=2 |$a" \
		"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(stats customers_created customer_posts)|$(
			pb_sql "SELECT string_agg(alias, ',') FROM pb.partner_account WHERE partner_account_id = '$t'")"
}

# An answer whose customer id is not a GUID (damaged on its way, or a proxy's page): it was recorded as the
# customer's tenant, the request marked succeeded and that id linked (an escape sequence printed as it was), so
# the customer's usage was never billed and no later run asked again. It is now an answer without the customer's
# id: exit 3, the request pending, nothing linked; the next run sends the same MS-RequestId and gets the customer.
unknown_answer AZ9 '{"customers":{"create_answer_body":"{\"id\":\"not-a-guid\\u001b[31m\"}"}}' \
	"HTTP 201 with a customer id that is not a GUID: 'not-a-guid\\x1b[31m'" "a customer id that is not a GUID"

# An answer holding the customer of another domain (another request's answer, from a proxy's cache or a server's
# mix-up): its tenant was recorded as the account's and linked, so another customer's usage was billed to the
# account and its own customer never was. Such an answer now leaves the outcome unknown: exit 3, the request
# pending, nothing linked; the next run sends the same MS-RequestId and gets the account's customer.
TO=4f3e2d1c-0b9a-4876-9543-210fedcba987
body=$(printf '{"id":"%s","companyProfile":{"tenantId":"%s","domain":"other.onmicrosoft.com"}}' "$TO" "$TO")
unknown_answer AZG "$(python3 -c 'import json, sys; print(json.dumps({"customers": {"create_answer_body": sys.argv[1]}}))' "$body")" \
	"HTTP 201 with customer $TO of domain 'other.onmicrosoft.com', not azg.onmicrosoft.com" \
	"an answer with the customer of another domain" "$TO"

# The nil GUID is no customer's id (an answer damaged on its way, or a server's placeholder): it was recorded as the
# account's tenant and linked, the request marked succeeded, so the customer's usage was never billed and no later
# run asked again. It is now an answer without the customer's id, as one that is not a GUID.
unknown_answer AZH '{"customers":{"create_answer_body":"{\"id\":\"00000000-0000-0000-0000-000000000000\"}"}}' \
	"HTTP 201 with the nil GUID as the customer id" "the nil GUID as the customer id" \
	00000000-0000-0000-0000-000000000000

# ---- mapping rules ---------------------------------------------------------------------------------------

AZS=0b5d6a7e-8f90-4a1b-b2c3-d4e5f6a7b8c9
pb_sql "INSERT INTO pb.import (id, vendor, format, source, billing_month, status) VALUES
	(910, 'aws', 'aws-cur', 'test:names', '2026-10-01', 'committed'), (911, 'aws', 'aws-cur', 'test:names-failed', '2026-10-01', 'failed'),
	(912, 'azure', 'azure-cost', 'test:names', '2026-10-01', 'committed'), (913, 'aws', 'aws-cur', 'test:names', '2026-09-01', 'committed');
INSERT INTO pb.partner_account_name (import_id, vendor, partner_account_id, kind, name, line_count) VALUES
	(910, 'aws', '$P1', 'account_name', 'clc-US1-prod', 1),
	(910, 'aws', '333333333333', 'account_name', 'clc-us3-prod', 4),
	(910, 'aws', '444444444444', 'account_name', 'clc-RSL1-web', 2),
	(910, 'aws', '555555555555', 'account_name', 'sandbox', 1),
	(910, 'aws', '666666666666', 'account_name', 'clc-US2-a', 1),
	(910, 'aws', '666666666666', 'account_name', 'clc-GB1-b', 1),
	(911, 'aws', '777777777777', 'account_name', 'clc-US2-failed', 1),
	(913, 'aws', '888888888888', 'account_name', 'clc-US2-september', 1),
	(912, 'azure', '$AZS', 'subscription_name', 'Production (ZZ9)', 3),
	(912, 'azure', '$AZS', 'customer_name', 'Zed Nine', 3)" >/dev/null
printf '# aws accounts\naws: ^clc-(?<alias>[A-Za-z0-9]{2,6})-\n\nazure: \\((?<alias>[A-Z0-9]{2,6})\\)$\n' >"$TMP/rules"
t "suggest lists the unmapped accounts of the month with the alias a rule proposes, each a proposal" 0 \
	"vendor,partner_account_id,name,alias,rule,proposal,status
aws,333333333333,clc-us3-prod,US3,$TMP/rules:2,1,proposed
aws,444444444444,clc-RSL1-web,RSL1,$TMP/rules:2,2,proposed
aws,555555555555,sandbox,,,,
aws,666666666666,clc-GB1-b,GB1,$TMP/rules:2,3,proposed
aws,666666666666,clc-US2-a,US2,$TMP/rules:2,4,proposed
azure,$AZS,Production (ZZ9),ZZ9,$TMP/rules:4,5,proposed
azure,$AZS,Zed Nine,,,," "" "$PBA" suggest --month 2026-10 --rules "$TMP/rules"
# Its CSV is what suggest gives: with standard output closed it went nowhere, exit 0. Refused before the
# database is reached, exit 3, as for a full disk; into a full one the proposals are recorded (the run is
# committed before its CSV is copied out) and only the CSV is lost: a rerun makes no second proposal.
PB_DATABASE_URL="host=$TMP/no-server dbname=none" "$PBA" suggest --month 2026-10 --rules "$TMP/rules" >&- 2>"$TMP/err"
check "suggest with standard output closed: exit 3, naming standard output, the database not reached" \
	"3|pb-accounts: cannot write standard output: Bad file descriptor" "$?|$(cat "$TMP/err")"
"$PBA" suggest --month 2026-10 --rules "$TMP/rules" >/dev/full 2>"$TMP/err"
check "suggest >/dev/full: exit 3, saying so, no proposal made twice" \
	"3|pb-accounts: cannot write standard output: No space left on device|5" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.link_proposal")"
# Names are the customer's to write: --apply links none of them, it says what waits for a person.
t "suggest --apply links nothing from names: the proposals wait for approval" 0 \
	"0 linked, 0 refused, 5 proposed links wait for approval, 1 without a matching rule" "" \
	"$PBA" suggest --month 2026-10 --rules "$TMP/rules" --apply --by mapper
check "nothing was linked, and a rerun made no second proposal" "0|5" \
	"$(pb_sql "SELECT count(*) FROM pb.partner_account WHERE partner_account_id IN ('333333333333', '444444444444', '666666666666', '$AZS')")|$(
		pb_sql "SELECT count(*) FROM pb.link_proposal")"
t "a person approves a proposal: the link is made" 0 \
	"approved link proposal 1: linked aws partner account 333333333333 to US3 from 2026-10-01 (open-ended)" "" \
	"$PBA" approve 1 --by mapper
check "the link made by the approval" "US3,2026-10-01,,proposal 1,mapper" \
	"$(pb_sql "SELECT alias, valid_from, valid_to, origin, created_by FROM pb.partner_account WHERE partner_account_id = '333333333333'")"
t "a link an approval made is not removed: the decision names it" 4 "" \
	"pb-accounts: the link of aws partner account 333333333333 to US3 from 2026-10-01 was made by approving link proposal 1: end it on a day it holds instead" \
	"$PBA" unlink US3 --vendor aws --partner-account 333333333333 --to 2026-09-30
t "a mapped account is no longer listed" 0 "vendor,partner_account_id,name,alias,rule,proposal,status
aws,444444444444,clc-RSL1-web,RSL1,$TMP/rules:2,2,proposed
aws,555555555555,sandbox,,,,
aws,666666666666,clc-GB1-b,GB1,$TMP/rules:2,3,proposed
aws,666666666666,clc-US2-a,US2,$TMP/rules:2,4,proposed
azure,$AZS,Production (ZZ9),ZZ9,$TMP/rules:4,5,proposed
azure,$AZS,Zed Nine,,,," "" "$PBA" suggest --month 2026-10 --rules "$TMP/rules"
t "PB_MAPPING_RULES names the rules file; other months have other names" 0 "vendor,partner_account_id,name,alias,rule,proposal,status
aws,888888888888,clc-US2-september,US2,$TMP/rules:2,6,proposed" "" env PB_MAPPING_RULES="$TMP/rules" "$PBA" suggest --month 2026-09

# Tags are names too (kind tag, "key=value", as pb-ingest records resource tags): a rule can match them.
pb_sql "INSERT INTO pb.partner_account_name (import_id, vendor, partner_account_id, kind, name, line_count) VALUES
	(913, 'aws', '121212121212', 'tag', 'clc-alias=US3', 7), (913, 'aws', '121212121212', 'tag', 'env=prod', 7)" >/dev/null
printf 'aws: ^clc-alias=(?<alias>[A-Z0-9]{2,6})$\n' >"$TMP/tag-rules"
t "a rule on a resource tag proposes the alias the tag names" 0 "vendor,partner_account_id,name,alias,rule,proposal,status
aws,121212121212,clc-alias=US3,US3,$TMP/tag-rules:1,7,proposed
aws,121212121212,env=prod,,,,
aws,888888888888,clc-US2-september,,,," "" "$PBA" suggest --month 2026-09 --rules "$TMP/tag-rules"
# A rules file saved with a UTF-8 byte order mark (as some editors write one): the mark became part of the first
# rule, its vendor prefix was not seen and its pattern matched nothing, silently. It is skipped, as import skips it.
printf '\357\273\277aws: ^clc-alias=(?<alias>[A-Z0-9]{2,6})$\r\n' >"$TMP/tag-rules"
t "a byte order mark before the first rule is skipped: the rule proposes as before" 0 "vendor,partner_account_id,name,alias,rule,proposal,status
aws,121212121212,clc-alias=US3,US3,$TMP/tag-rules:1,7,proposed
aws,121212121212,env=prod,,,,
aws,888888888888,clc-US2-september,,,," "" "$PBA" suggest --month 2026-09 --rules "$TMP/tag-rules"
# A rule is the reseller's, the names the customer's: a rule that takes more than an alias ((?<alias>[^-]+)) met a
# name whose part there is no alias (too long, or with a Cyrillic letter that looks like a Latin one), and the
# proposal of it failed the database's check: exit 3, nothing recorded, and the nightly suggest failed for every
# account, on every run, as long as that customer kept that name. Such a text proposes nothing, as a group left
# out of the match proposes nothing.
pb_sql "INSERT INTO pb.import (id, vendor, format, source, billing_month, status) VALUES
	(915, 'aws', 'aws-cur', 'test:names', '2026-07-01', 'committed');
INSERT INTO pb.partner_account_name (import_id, vendor, partner_account_id, kind, name, line_count) VALUES
	(915, 'aws', '131313131313', 'account_name', 'clc-toolong1-x', 1),
	(915, 'aws', '141414141414', 'account_name', 'clc-uѕ1-x', 1)" >/dev/null
printf 'aws: ^clc-(?<alias>[^-]+)-\n' >"$TMP/wide-rules"
t "a rule's text that is no alias (too long, a look-alike letter) proposes nothing, exit 0" 0 "vendor,partner_account_id,name,alias,rule,proposal,status
aws,131313131313,clc-toolong1-x,,,,
aws,141414141414,clc-uѕ1-x,,,," "" "$PBA" suggest --month 2026-07 --rules "$TMP/wide-rules"

# The catastrophic pattern: 2^40 ways to split 40 a's, bounded by the match limit.
A40=$(printf 'a%.0s' $(seq 40))b
pb_sql "INSERT INTO pb.partner_account_name (import_id, vendor, partner_account_id, kind, name, line_count) VALUES
	(910, 'aws', '555555555555', 'account_name', '$A40', 1),
	(910, 'aws', '123123123123', 'account_name', 'clc-US3-x', 1)" >/dev/null
printf 'aws: ^clc-(?<alias>[A-Za-z0-9]{2,6})-\n^(?<alias>a+)+$\n' >"$TMP/evil"
start=$(date +%s%N)
t "a catastrophically backtracking pattern stops at the match limit with exit 1" 1 "" \
	"pb-accounts: $TMP/evil:2: pattern exceeded the match limit on '$A40'" \
	"$PBA" suggest --month 2026-10 --rules "$TMP/evil" --apply
ms=$((($(date +%s%N) - start) / 1000000))
# Within a minute: 2^40 ways tried one by one take hours, and a loaded machine took more than 2 s for the whole run.
if [ "$ms" -lt 60000 ]; then ok "and stops quickly (${ms} ms)"; else notok "and stops quickly" "${ms} ms"; fi
check "nothing was linked or proposed by that run, though an eligible account's name matched before" "0|0" \
	"$(pb_sql "SELECT count(*) FROM pb.partner_account WHERE partner_account_id = '123123123123'")|$(
		pb_sql "SELECT count(*) FROM pb.link_proposal WHERE partner_account_id = '123123123123'")"
# A name is the customer's text: one holding a newline is shown escaped, so that the message stays one line.
pb_sql "INSERT INTO pb.import (id, vendor, format, source, billing_month, status) VALUES
	(914, 'aws', 'aws-cur', 'test:names', '2026-08-01', 'committed');
INSERT INTO pb.partner_account_name (import_id, vendor, partner_account_id, kind, name, line_count) VALUES
	(914, 'aws', '555555555555', 'tag', E'$A40\\nz', 1)" >/dev/null
t "a name that exceeds the match limit is named escaped" 1 "" \
	"pb-accounts: $TMP/evil:2: pattern exceeded the match limit on '$A40\\x0az'" \
	"$PBA" suggest --month 2026-08 --rules "$TMP/evil"
printf 'aws: ^clc-(?<alias>[A-Z]+\n' >"$TMP/bad-rules"
t "a pattern that does not compile is reported at its position" 1 "" \
	"pb-accounts: $TMP/bad-rules:1:26: bad pattern: missing closing parenthesis" \
	"$PBA" suggest --month 2026-10 --rules "$TMP/bad-rules"
# A vendor prefix in capitals, or after blanks, was taken as the start of the pattern ('AWS: ^clc-...'), which then
# matched no name: the rule proposed nothing, silently. It is refused at its place, as any mistake in the rules.
printf '# aws accounts\nAWS: ^clc-(?<alias>[A-Z0-9]{2,6})-\n' >"$TMP/bad-rules"
t "a vendor prefix in capitals is refused, not a pattern that matches nothing" 1 "" \
	"pb-accounts: $TMP/bad-rules:2:1: 'AWS:' is not a vendor prefix: write aws: or azure:, in lowercase, first on the line (AWS\\: to match the text)" \
	"$PBA" suggest --month 2026-10 --rules "$TMP/bad-rules"
printf '  azure: \\((?<alias>[A-Z0-9]{2,6})\\)$\n' >"$TMP/bad-rules"
t "and so is one after blanks" 1 "" \
	"pb-accounts: $TMP/bad-rules:1:3: 'azure:' is not a vendor prefix: write aws: or azure:, in lowercase, first on the line (azure\\: to match the text)" \
	"$PBA" suggest --month 2026-10 --rules "$TMP/bad-rules"
printf '# none\n^clc-([A-Z]+)-\n' >"$TMP/bad-rules"
t "a pattern without the alias group is refused" 1 "" \
	"pb-accounts: $TMP/bad-rules:2:1: the pattern has no group named 'alias', such as (?<alias>[A-Z0-9]{2,6})" \
	"$PBA" suggest --month 2026-10 --rules "$TMP/bad-rules"
t "a rules file that is not there is a usage error, as a --pricing that is not" 2 "" "pb-accounts: cannot open '$TMP/no-rules': No such file or directory
Try 'pb-accounts suggest --help'." "$PBA" suggest --month 2026-10 --rules "$TMP/no-rules"
mkdir -p "$TMP/no-config"
t "without --rules, a missing config/mapping-rules says how to make it" 2 "" "pb-accounts: cannot open 'config/mapping-rules': No such file or directory (the default rules file: make it from config/mapping-rules.example, or give --rules FILE)
Try 'pb-accounts suggest --help'." sh -c 'cd "$1" && exec "$2" suggest --month 2026-10' sh "$TMP/no-config" "$PBA"
: >"$TMP/empty-rules"
t "an empty rules file is bad input, not rules that match nothing" 1 "" "pb-accounts: $TMP/empty-rules: no rule" \
	"$PBA" suggest --month 2026-10 --rules "$TMP/empty-rules"
t "suggest needs --month" 2 "" "pb-accounts: suggest: --month is required
Try 'pb-accounts suggest --help'." "$PBA" suggest --rules "$TMP/rules"

# ---- a program killed while its statement waits in the server ------------------------------------------------
# An import killed (SIGKILL) while its statement waited for the import lock left its server process waiting, holding
# its place in the queue and its locks, until the lock's holder let go (or for good): the programs' sessions now ask
# the server to check that the client is still there while a statement runs (client_connection_check_interval).
printf 'alias,name,billing_country\nKIL1,Killed While Waiting,US\n' >"$TMP/kill.csv"
"$PBDB" psql -X -q -c BEGIN -c "SELECT pg_advisory_xact_lock(hashtextextended('pb-accounts|import', 0))" \
	-c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
holder=$!
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()" ||
	notok "a session holds the import lock"
"$PBA" import "$TMP/kill.csv" --by kill >/dev/null 2>&1 &
importer=$!
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-accounts' AND wait_event_type = 'Lock'" ||
	notok "the import waits for the lock"
waited=$(pb_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-accounts' AND wait_event_type = 'Lock'")
kill -KILL "$importer"
wait "$importer" 2>/dev/null
pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-accounts'" ||
	notok "the killed import's server process ends"
gone=$(pb_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-accounts'")
check "an import killed while its statement waits for a lock: its server process ends, the lock still held" \
	"1|0|1|0" \
	"$waited|$gone|$(pb_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()")|$(pb_sql "SELECT count(*) FROM pb.clc_account WHERE alias = 'KIL1'")"
pb_sql "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()" \
	>/dev/null
wait "$holder" 2>/dev/null

# ---- the database going away -----------------------------------------------------------------------------

"$PBDB" stop >/dev/null
"$PBA" list >"$TMP/out" 2>"$TMP/err"
st=$?
if [ $st -eq 3 ] && grep -q '^pb-accounts: cannot connect to the database: ' "$TMP/err" && [ ! -s "$TMP/out" ]; then
	ok "no database is exit 3"
else
	notok "no database is exit 3" "status $st: $(cat "$TMP/err")"
fi

pb_tests_done
