#!/usr/bin/env bash
# Integration tests of pb-aggregate against a throwaway PostgreSQL cluster: every pricing rule, a partner
# account that changes owner mid-month, the reconciliation with unmapped, ineligible and excluded spend,
# --as-of, currency conversion and a missing rate, a rerun that changes nothing, a killed run, a concurrent
# run, --strict, and the append-only estimate history. Amounts are asserted to the last digit; the inputs are
# small exports written here, ingested by pb-ingest, so the whole path is the real one.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest
PBA=$BIN/pb-aggregate
PBC=$BIN/pb-accounts

pb_test_tmp aggregate
cleanup() {
	[ -n "${BGPID:-}" ] && kill -9 "$BGPID" 2>/dev/null
	pb_test_cleanup
}
pb_on_exit cleanup
export PB_PRICING_CONFIG=$ROOT/config/pricing.conf PB_ELIGIBILITY_CONFIG=$ROOT/config/eligibility.conf
pb_test_cluster_start

# ---- the month's exports -----------------------------------------------------------------------------------
mkdir -p "$TMP/aws" "$TMP/azure"
H=bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date
H=$H,line_item_currency_code,line_item_unblended_cost,pricing_public_on_demand_cost,product_product_name
H=$H,reservation_reservation_a_r_n,savings_plan_savings_plan_a_r_n
# line ACCOUNT TYPE DAY BILLED LIST SERVICE [RESERVATION_ARN [SAVINGS_PLAN_ARN]]
line() { printf '2026-10-01T00:00:00Z,%s,%s,2026-10-%02dT05:00:00Z,USD,%s,%s,%s,%s,%s\n' "$@"; }
RI=arn:aws:ec2:us-east-1:111111111111:reserved-instances/4a3c5b1e-0d2f-4e6a-9b8c-7d1e2f3a4b5c
SP=arn:aws:savingsplans::111111111111:savingsplan/0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f
{
	echo "$H"
	line 111111111111 Usage 1 8 10 EC2                     # list 10
	line 111111111111 Usage 2 5 "" EC2                     # no list price: billed 5, counted
	line 111111111111 DiscountedUsage 3 1 4 EC2            # an RI's usage at list: 4
	line 111111111111 SavingsPlanCoveredUsage 3 3 3 EC2    # a Savings Plan's usage at list: 3
	line 111111111111 SavingsPlanNegation 3 -3 "" EC2      # excluded: earned discount
	line 111111111111 Fee 4 20 20 Support                  # a purchase at list: 20
	line 111111111111 Fee 4 7 "" Marketplace               # a purchase without list: billed 7
	line 111111111111 RIFee 1 30 30 EC2                    # excluded: the reseller's commitment
	line 111111111111 Fee 1 300 "" EC2 "$RI"               # excluded: an RI's upfront fee is a Fee with its ARN
	line 111111111111 Refund 6 -30 "" EC2 "$RI"            # excluded: the refund of a commitment
	line 111111111111 Refund 6 -12 "" "Savings Plans" "" "$SP" # excluded likewise
	line 111111111111 Tax 5 2.5 "" EC2                     # excluded: tax
	line 111111111111 EdpDiscount 5 -1.2 "" EC2            # excluded: earned discount
	line 111111111111 Credit 6 -4 "" EC2                   # passed through: -4
	line 111111111111 Refund 6 -0.5 "" EC2                 # passed through: -0.5
	line 111111111111 Usage 25 90 100 EC2                  # after the as-of day of one test
	line 222222222222 Usage 10 5 6 S3                      # ACME1's until the 15th
	line 222222222222 Usage 20 7 9 S3                      # BETA2's from the 16th
	line 333333333333 Usage 2 1 1 EC2                      # a reseller's: ineligible
	line 444444444444 Usage 2 2 2 EC2                      # linked to nobody: unmapped
	line 555555555555 Usage 3 40 50 EC2                    # EURO1, invoiced in EUR with a 10% markup
	line 666666666666 Usage 7 3 3 EC2                      # a UK office: AWS is for US ones only
} >"$TMP/aws/cur.csv"
cat >"$TMP/azure/cost.csv" <<'CSV'
SubscriptionId,Date,ChargeType,PricingModel,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory
6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/02/2026,Usage,OnDemand,USD,5,2,3,Virtual Machines
6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/02/2026,Purchase,Reservation,USD,100,0,1,Virtual Machines
CSV
"$PBI" --format aws-cur --no-progress --final "$TMP/aws/cur.csv" >"$TMP/out" 2>"$TMP/err" ||
	notok "ingest the AWS export" "$(cat "$TMP/err")"
"$PBI" --format azure-cost --no-progress --final "$TMP/azure/cost.csv" >"$TMP/out" 2>"$TMP/err" ||
	notok "ingest the Azure export" "$(cat "$TMP/err")"

# ---- the accounts ------------------------------------------------------------------------------------------
cat >"$TMP/accounts.csv" <<'CSV'
alias,name,billing_country,is_reseller,parent_reseller
ACME1,Acme,US,false,
BETA2,Beta,US,false,
RSL1,Resellers Inc,US,true,
UK1,Acme UK,GB,false,
EURO1,Euro Co,US,false,
CSV
{
	"$PBC" import "$TMP/accounts.csv" --by test
	for a in ACME1 BETA2 RSL1 UK1 EURO1; do
		"$PBC" accept-terms $a --vendor centurylink --version 1 --by test
	done
	for a in ACME1 BETA2 RSL1 EURO1; do "$PBC" accept-terms $a --vendor aws --region US --version 1 --by test; done
	"$PBC" accept-terms UK1 --vendor aws --region GB --version 1 --by test
	"$PBC" accept-terms ACME1 --vendor azure --region US --version 1 --by test
	"$PBC" link ACME1 --vendor aws --partner-account 111111111111 --from 2026-09-01 --by test
	"$PBC" link ACME1 --vendor aws --partner-account 222222222222 --from 2026-10-01 --to 2026-10-15 --by test
	"$PBC" link BETA2 --vendor aws --partner-account 222222222222 --from 2026-10-16 --by test
	"$PBC" link ACME1 --vendor azure --partner-account 6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01 --from 2026-10-01 --by test
	"$PBC" link EURO1 --vendor aws --partner-account 555555555555 --from 2026-10-01 --by test
} >"$TMP/setup.log" 2>&1 || notok "set up the accounts" "$(cat "$TMP/setup.log")"
# Links the rules refuse are made in the database directly: the rules are checked again when billing.
pb_sql "INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, created_by) VALUES
	('aws', '333333333333', 'RSL1', '2026-10-01', 'test'), ('aws', '666666666666', 'UK1', '2026-10-01', 'test');
	UPDATE pb.clc_account SET invoice_currency = 'EUR', markup_percent = 10 WHERE alias = 'EURO1'" >/dev/null

# ---- no pricing rules -------------------------------------------------------------------------------------
# Outside a work tree, with no installed copy and no PB_PRICING_CONFIG: a usage error naming where it looked.
(cd "$TMP" && env -u PB_PRICING_CONFIG "$PBA" --month 2026-10) >"$TMP/out" 2>"$TMP/err"
st=$?
check "no pricing rules anywhere: exit 2 naming the places looked in, nothing stored" \
	"2|pb-aggregate: no pricing rules: give --pricing FILE or set PB_PRICING_CONFIG (looked for $(dirname "$BIN")/share/partnerbill/pricing.conf and config/pricing.conf)|0" \
	"$st|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run")"

# ---- a missing rate ----------------------------------------------------------------------------------------
"$PBA" --month 2026-10 >"$TMP/out" 2>"$TMP/err"
check "a missing conversion rate: exit 1, naming the pair and the month, nothing stored" \
	"1|pb-aggregate: no conversion rate from USD to EUR for 2026-10: load one with pb-aggregate rates --load FILE|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run")"

printf 'month,from,to,rate\n2026-10,USD,EUR,0.9\n' >"$TMP/rates.csv"
"$PBA" rates --load "$TMP/rates.csv" >"$TMP/out" 2>"$TMP/err"
check "rates --load" "0|1 rate loaded from $TMP/rates.csv" "$?|$(cat "$TMP/out" "$TMP/err")"
printf 'month,from,to,rate\n2026-10,USD,EUR,0.9\n2026-10,USD,ZZZ,1.1\n' >"$TMP/bad-rates.csv"
"$PBA" rates --load "$TMP/bad-rates.csv" >"$TMP/out" 2>"$TMP/err"
check "a bad rates file: exit 1 at its line and column, nothing loaded" \
	"1|pb-aggregate: $TMP/bad-rates.csv:3:13: not an ISO 4217 currency code|1" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.fx_rate")"
# A file of blank lines alone (a spreadsheet saved empty) is not empty: it is said to hold only blank lines.
: >"$TMP/empty-rates.csv"
printf '\n\r\n\n' >"$TMP/blank-rates.csv"
"$PBA" rates --load "$TMP/empty-rates.csv" >"$TMP/out" 2>"$TMP/err"
a="$?|$(cat "$TMP/out" "$TMP/err")"
"$PBA" rates --load "$TMP/blank-rates.csv" >"$TMP/out" 2>"$TMP/err"
check "an empty rates file, and one of blank lines alone: exit 1, each said so, nothing loaded" \
	"1|pb-aggregate: $TMP/empty-rates.csv: empty file: no header line|1|pb-aggregate: $TMP/blank-rates.csv: no header line: the file holds only blank lines (3)|1" \
	"$a|$?|$(cat "$TMP/out" "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.fx_rate")"
# A header and no rate (a download cut short after its first line, the wrong export) was "0 rates loaded", exit 0,
# and a run then failed on a missing rate far from its cause: refused at line 1, nothing loaded.
printf 'month,from,to,rate\n' >"$TMP/header-rates.csv"
printf 'month,from,to,rate\r\n\r\n\r\n' >"$TMP/header-blank-rates.csv"
"$PBA" rates --load "$TMP/header-rates.csv" >"$TMP/out" 2>"$TMP/err"
a="$?|$(cat "$TMP/out" "$TMP/err")"
"$PBA" rates --load "$TMP/header-blank-rates.csv" >"$TMP/out" 2>"$TMP/err"
check "a rates file with a header and no rate, then blank lines alone: exit 1 at line 1, nothing loaded" \
	"1|pb-aggregate: $TMP/header-rates.csv:1:1: a header and no rate: nothing loaded (a download cut short, or the wrong file?)|1|pb-aggregate: $TMP/header-blank-rates.csv:1:1: a header and no rate: nothing loaded (a download cut short, or the wrong file?)|1" \
	"$a|$?|$(cat "$TMP/out" "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.fx_rate")"
# Every bad line is named, in the file's order, up to 20, then how many there were: a file with one mistake a line
# was fixed one run at a time. A pair repeated is a bad line like the others.
{
	printf 'month,from,to,rate\n2026-10,USD,EUR,0.9\n2026-13,USD,GBP,0.8\n2026-10,usd,GBP,0.8\n2026-10,USD,GBP\n'
	printf '2026-10,USD,EUR,0.91\n2026-10,USD,JPY,-150\n"2026-10,USD,CHF,1\n'
} >"$TMP/bad-rates.csv"
"$PBA" rates --load "$TMP/bad-rates.csv" >"$TMP/out" 2>"$TMP/err"
check "a rates file with several bad lines: exit 1, every one at its line and column, their count, nothing loaded" \
	"1|pb-aggregate: $TMP/bad-rates.csv:3:1: the month is YYYY-MM
pb-aggregate: $TMP/bad-rates.csv:4:9: not an ISO 4217 currency code
pb-aggregate: $TMP/bad-rates.csv:5:1: expected 4 fields, found 3
pb-aggregate: $TMP/bad-rates.csv:6:1: the rate of 2026-10 from USD to EUR is on line 2 already
pb-aggregate: $TMP/bad-rates.csv:7:17: the rate is a positive decimal number
pb-aggregate: $TMP/bad-rates.csv:8:1: unterminated quoted field
pb-aggregate: $TMP/bad-rates.csv: 6 bad lines: nothing loaded|1" \
	"$?|$(cat "$TMP/out" "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.fx_rate")"
# A month of year 0000 is written as any other (PostgreSQL has none): out of range, as --month 0000-01 is, and so is
# 9999-12, which no program takes, as --month 9999-12 is; 10000-01 is no YYYY-MM.
printf 'month,from,to,rate\n0000-10,USD,EUR,0.9\n9999-12,USD,EUR,0.9\n10000-01,USD,EUR,0.9\n0001-01,USD,EUR,0.9\n' \
	>"$TMP/range-rates.csv"
"$PBA" rates --load "$TMP/range-rates.csv" >"$TMP/out" 2>"$TMP/err"
check "a rates file's months of year 0000 and 9999-12: out of range at their column, 10000-01 no month, nothing loaded" \
	"1|pb-aggregate: $TMP/range-rates.csv:2:1: the month is out of range: the first month supported is 0001-01
pb-aggregate: $TMP/range-rates.csv:3:1: the month is out of range: the last month supported is 9999-11
pb-aggregate: $TMP/range-rates.csv:4:1: the month is YYYY-MM
pb-aggregate: $TMP/range-rates.csv: 3 bad lines: nothing loaded|1" \
	"$?|$(cat "$TMP/out" "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.fx_rate")"
# A rate of 1E-40 converted every amount to 0 (the result keeps 18 decimals): a customer billed nothing, without a
# word. 1E+99999 reached the server, which refused it: exit 3 (a dependency failed, retried by pb-run), no line.
printf 'month,from,to,rate\n2026-10,USD,EUR,1E-40\n2026-10,USD,GBP,1E+99999\n2026-10,USD,JPY,1E-18\n' >"$TMP/bad-rates.csv"
"$PBA" rates --load "$TMP/bad-rates.csv" >"$TMP/out" 2>"$TMP/err"
check "rates below 1E-18 or of 20 integer digits and more: bad lines (exit 1), nothing loaded" \
	"1|pb-aggregate: $TMP/bad-rates.csv:2:17: the rate is out of range: from 1E-18 to less than 1E+20
pb-aggregate: $TMP/bad-rates.csv:3:17: the rate is out of range: from 1E-18 to less than 1E+20
pb-aggregate: $TMP/bad-rates.csv: 2 bad lines: nothing loaded|1" \
	"$?|$(cat "$TMP/out" "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.fx_rate")"
awk 'BEGIN { print "month,from,to,rate"; for (i = 1; i <= 25; i++) printf "2026-%02d,USD,EUR,x\n", i % 12 + 1 }' \
	>"$TMP/bad-rates.csv"
"$PBA" rates --load "$TMP/bad-rates.csv" >"$TMP/out" 2>"$TMP/err"
check "a rates file of 25 bad lines: the first 20 named, then the count" \
	"1|21|pb-aggregate: $TMP/bad-rates.csv:21:17: the rate is a positive decimal number|pb-aggregate: $TMP/bad-rates.csv: 25 bad lines (the first 20 shown): nothing loaded" \
	"$?|$(wc -l <"$TMP/err")|$(sed -n 20p "$TMP/err")|$(tail -1 "$TMP/err")"
# The file's name is printed as one CSV field (a comma in it was taken for two columns), and one a spreadsheet
# would run as a formula starts with a single quote.
printf 'month,from,to,rate\n2026-09,USD,GBP,0.8\n' >"$TMP/=q4, fx.csv"
(cd "$TMP" && "$PBA" rates --load "=q4, fx.csv" >/dev/null && "$PBA" rates --list --month 2026-09) >"$TMP/out" 2>"$TMP/err"
check "rates --list: a file name with a comma is one field, a formula starts with a single quote" \
	"0|month,from,to,rate,source,loaded_by,loaded_at|2026-09,USD,GBP,0.8,\"'=q4, fx.csv\"" \
	"$?|$(head -1 "$TMP/out")|$(sed -n 2p "$TMP/out" | cut -d, -f1-6)"
# Two loads of the same pairs in other orders (a corrected file loaded while the first is): each took the pairs'
# locks in its file's order, and one of them failed on a deadlock (exit 3). A session holding the middle pair lets
# each load take the pairs before it in its order; it ends once both wait.
printf 'month,from,to,rate\n2031-01,USD,CHF,1\n2031-01,USD,GBP,1\n2031-01,USD,JPY,1\n' >"$TMP/fx-a.csv"
printf 'month,from,to,rate\n2031-01,USD,JPY,3\n2031-01,USD,GBP,3\n2031-01,USD,CHF,3\n' >"$TMP/fx-z.csv"
"$PBA" rates --load "$TMP/fx-a.csv" >/dev/null 2>&1 || notok "load January 2031's rates"
sed 's/,1$/,2/' "$TMP/fx-a.csv" >"$TMP/fx-a2.csv"
# (The session is cancelled once both wait: its sleep is only a bound, longer than a loaded machine's waits.)
pb_sql "SELECT 1 FROM pb.fx_rate WHERE month = '2031-01-01' AND to_currency = 'GBP' FOR UPDATE; SELECT pg_sleep(300)" \
	>/dev/null 2>&1 &
hold=$!
HOLDER="FROM pg_stat_activity WHERE query LIKE '%FOR UPDATE; SELECT pg_sleep%' AND pid <> pg_backend_pid()"
pb_until 120 pb_sql_is 1 "SELECT count(*) $HOLDER AND wait_event = 'PgSleep'" || notok "a session holds the middle pair"
"$PBA" rates --load "$TMP/fx-a2.csv" >/dev/null 2>"$TMP/err-a" &
la=$!
"$PBA" rates --load "$TMP/fx-z.csv" >/dev/null 2>"$TMP/err-z" &
lz=$!
pb_until 120 pb_sql_is 2 "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO pb.fx_rate%'" ||
	notok "both loads wait for the session" "$(cat "$TMP/err-a" "$TMP/err-z")"
pb_sql "SELECT pg_cancel_backend(pid) $HOLDER" >/dev/null
wait $la
sa=$?
wait $lz
sz=$?
wait $hold
check "two loads of the same pairs in other orders at once: both exit 0, no deadlock" "0|0|" \
	"$sa|$sz|$(cat "$TMP/err-a" "$TMP/err-z")"

# ---- the month -----------------------------------------------------------------------------------------------
"$PBA" --month 2026-10 >"$TMP/out" 2>"$TMP/err"
st=$?
run1=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current'")
check "a run: exit 0, its summary and the reconciliation" "0|aggregate run $run1 of 2026-10 as of 2026-10-31: 2 imports, 3 CLC accounts
reconciliation USD, billed: 578.8 (24 lines) = attributed 186.5 + unmapped 2 + ineligible 4 + excluded 386.3
no list price: aws partner account 111111111111 (ACME1): 1 usage line billed at the billed cost, USD 5" \
	"$st|$(cat "$TMP/out")"
check "the warnings name the unmapped and ineligible spend and the usage without a list price" \
	"pb-aggregate: warning: 1 usage line has no list price and is billed at the billed cost (pb-aggregate --month 2026-10 --no-run --no-list lists them per partner account)
pb-aggregate: warning: 2026-10: ineligible spend of 2 partner accounts: 2 lines, billed USD 4 (pb-aggregate --month 2026-10 --unmapped lists them)
pb-aggregate: warning: 2026-10: unmapped spend of 1 partner account: 1 lines, billed USD 2 (pb-aggregate --month 2026-10 --unmapped lists them)" \
	"$(cat "$TMP/err")"

totals() {
	pb_sql "SELECT alias, vendor, charge_category, currency, trim_scale(amount), trim_scale(billed), line_count,
	no_list_lines FROM pb.aggregate_total WHERE run_id = $1 ORDER BY 1, 2, 3"
}
check "each pricing rule: usage at list (billed without a list price), purchases list-or-billed, credits billed" \
	"ACME1,aws,Credit,USD,-4.5,-4.5,2,0
ACME1,aws,Purchase,USD,27,27,2,0
ACME1,aws,Usage,USD,128,112,6,1
ACME1,azure,Usage,USD,6,5,1,0
BETA2,aws,Usage,USD,9,7,1,0
EURO1,aws,Usage,USD,50,40,1,0" "$(totals "$run1")"
# ACME1's AWS: 10 + 5 + 4 + 3 + 100 + 6 (222222222222 until the 15th) usage, 20 + 7 purchases, -4 - 0.5 credits.
check "per account and vendor: month to date, markup, currency, final" \
	"ACME1,all,USD,156.5,0,t
ACME1,aws,USD,150.5,0,t
ACME1,azure,USD,6,0,t
BETA2,all,USD,9,0,t
BETA2,aws,USD,9,0,t
EURO1,all,EUR,45,4.5,t
EURO1,aws,EUR,45,4.5,t" \
	"$(pb_sql "SELECT alias, vendor, currency, trim_scale(month_to_date), trim_scale(markup), final FROM pb.aggregate_account
	WHERE run_id = $run1 ORDER BY 1, 2")"
check "a final month: the estimate is the month to date, rounded to the currency's minor unit" \
	"ACME1,aws,150.50,150.50,150.50,final" \
	"$(pb_sql "SELECT alias, vendor, estimate, low90, high90, method FROM pb.aggregate_account WHERE run_id = $run1
	AND alias = 'ACME1' AND vendor = 'aws'")"
check "the buckets: unmapped, ineligible with the rule that failed, excluded with its reason" \
	"excluded,aws,111111111111,ACME1,commitment,USD,30,288,4
excluded,aws,111111111111,ACME1,earned-discount,USD,0,-4.2,2
excluded,aws,111111111111,ACME1,tax,USD,0,2.5,1
excluded,azure,6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,ACME1,commitment,USD,0,100,1
ineligible,aws,333333333333,RSL1,reseller accounts are excluded,USD,1,1,1
ineligible,aws,666666666666,UK1,billing country GB is not among aws's allowed countries,USD,3,3,1
unmapped,aws,444444444444,,,USD,2,2,1" \
	"$("$PBA" --month 2026-10 --no-run --unmapped | tail -n +2)"
check "the owner change mid-month: 222222222222's usage goes to ACME1 until the 15th, to BETA2 after" \
	"ACME1,2026-10-10,6|BETA2,2026-10-20,9" \
	"$(pb_sql "SELECT alias, usage_date, trim_scale(usage) FROM pb.aggregate_daily WHERE run_id = $run1
	AND usage_date IN ('2026-10-10', '2026-10-20') ORDER BY 1" | paste -sd'|')"

# ---- a rerun -------------------------------------------------------------------------------------------------
snapshot() {
	for t in aggregate_total aggregate_account aggregate_daily aggregate_bucket aggregate_recon aggregate_source; do
		pb_sql "SELECT to_jsonb(x) - 'run_id' FROM pb.$t x WHERE run_id = $1 ORDER BY 1::text"
	done
}
before=$(snapshot "$run1")
"$PBA" --month 2026-10 >"$TMP/out" 2>"$TMP/err"
run2=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current'")
check "a rerun over the same imports: identical rows, a new current run, the first one superseded and readable" \
	"0|$before|superseded|7" \
	"$?|$(snapshot "$run2")|$(pb_sql "SELECT status FROM pb.aggregate_run WHERE id = $run1")|$(pb_sql "SELECT count(*) FROM pb.aggregate_account WHERE run_id = $run1")"
"$PBA" --month 2026-10 --no-run --csv >"$TMP/csv"
# The markup is a column of its own, exact: what the invoice adds to the month to date (EURO1's 10%).
check "--csv: one row per CLC account and vendor, with its markup" \
	"alias,vendor,currency,month_to_date,estimate,low80,high80,low90,high90,complete_through,final,markup
ACME1,aws,USD,150.5,150.50,150.50,150.50,150.50,150.50,2026-10-31,true,0
ACME1,azure,USD,6,6.00,6.00,6.00,6.00,6.00,2026-10-31,true,0
BETA2,aws,USD,9,9.00,9.00,9.00,9.00,9.00,2026-10-31,true,0
EURO1,aws,EUR,45,45.00,45.00,45.00,45.00,45.00,2026-10-31,true,4.5" "$(cat "$TMP/csv")"
# Two of the outputs asked for at once: the last one alone was printed, whatever the script expected.
runs=$(pb_sql "SELECT count(*) FROM pb.aggregate_run")
"$PBA" --month 2026-10 --csv --unmapped >"$TMP/out" 2>"$TMP/err"
check "--csv with --unmapped: a usage error (exit 2) naming both, no run made" \
	"2|pb-aggregate: --csv and --unmapped print two different things: give one
Try 'pb-aggregate --help'.||$runs" "$?|$(cat "$TMP/err")|$(cat "$TMP/out")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run")"
# --strict with --no-run was ignored: a script that gates on it read exit 0 whatever the current run held. It and
# the other options of a new run are usage errors with --no-run.
for opt in --strict --detail "--pricing $PB_PRICING_CONFIG" "--config $PB_ELIGIBILITY_CONFIG" "--stale-after 5"; do
	# shellcheck disable=SC2086 # the option and its value, split
	"$PBA" --month 2026-10 --no-run --unmapped $opt >"$TMP/out" 2>"$TMP/err"
	check "--no-run with ${opt%% *}: a usage error (exit 2) naming it, nothing printed" \
		"2|pb-aggregate: --no-run shows the current run; ${opt%% *} is for a new one
Try 'pb-aggregate --help'.|" "$?|$(cat "$TMP/err")|$(cat "$TMP/out")"
done
# --no-run with nothing to print was refused only once connected: with the database down, exit 3 for a
# failed connection (which pb-run retries) where it is a usage error whatever the database.
for url in "" "host=$TMP/no-server dbname=none"; do
	PB_DATABASE_URL=$url "$PBA" --month 2026-10 --no-run >"$TMP/out" 2>"$TMP/err"
	check "--no-run without --csv, --unmapped or --no-list${url:+, the database down}: a usage error (exit 2)" \
		"2|pb-aggregate: --no-run prints --csv, --unmapped or --no-list
Try 'pb-aggregate --help'.|" "$?|$(cat "$TMP/err")|$(cat "$TMP/out")"
done
# A rates file that cannot be opened was found only once connected: exit 3 with the database down, where it is
# bad input (exit 1) whatever the database.
PB_DATABASE_URL="host=$TMP/no-server dbname=none" "$PBA" rates --load "$TMP/no-rates.csv" >"$TMP/out" 2>"$TMP/err"
check "rates --load of a missing file, the database down: bad input (exit 1), naming it" \
	"1|pb-aggregate: cannot open '$TMP/no-rates.csv': No such file or directory|" "$?|$(cat "$TMP/err")|$(cat "$TMP/out")"
"$PBA" --month 2026-10 --stale-after 0 >"$TMP/out" 2>"$TMP/err"
check "--stale-after 0: a usage error naming the range" \
	"2|pb-aggregate: --stale-after takes a number of days from 1 to 365, not '0'" "$?|$(head -1 "$TMP/err")"
"$PBA" --month 2026-10 --no-run --csv --csv >"$TMP/out" 2>"$TMP/err"
check "--csv given twice is --csv" "0|$(cat "$TMP/csv")" "$?|$(cat "$TMP/out")"
# Standard output closed while it is what was asked for: the CSV went nowhere, exit 0. (The summary of a run
# may go nowhere: the run is what was asked for; see hostile.sh.) An output that cannot be written, exit 3 in
# the words of every program (it was a usage error, exit 2, here alone).
runs=$(pb_sql "SELECT count(*) FROM pb.aggregate_run")
for args in "--month 2026-10 --csv" "--month 2026-10 --no-run --unmapped" "--history" "rates --list"; do
	# shellcheck disable=SC2086 # the arguments, split
	"$PBA" $args >&- 2>"$TMP/err"
	check "$args with standard output closed: exit 3 saying so, no run made" \
		"3|pb-aggregate: cannot write standard output: Bad file descriptor|$runs" \
		"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run")"
done
# 1970-01-01 is a day like any other: not taken for "no --as-of", nor its month for "no --month".
"$PBA" --month 2026-10 --as-of 1970-01-01 >"$TMP/out" 2>"$TMP/err"
check "--as-of 1970-01-01 for October: a usage error, no run made" \
	"2|pb-aggregate: --as-of must be a day of the month 2026-10, not 1970-01-01
Try 'pb-aggregate --help'.|$runs" "$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run")"
"$PBA" --month 1970-01 --no-run --csv >"$TMP/out" 2>"$TMP/err"
check "--month 1970-01: a month like any other (no run of it)" \
	"1|pb-aggregate: 1970-01 has no aggregate run: run pb-aggregate --month 1970-01" "$?|$(cat "$TMP/err")"
check "--history and rates --list of 1970-01: none, not every month's" "1|1" \
	"$("$PBA" --history --month 1970-01 | wc -l)|$("$PBA" rates --list --month 1970-01 | wc -l)"
# A month's estimate reads the 90 days before it, and there are no dates before 0001-01-01: 0001-01 to 0001-03
# are out of range (the database refused the history's dates, exit 3), as is 10000-01 (no YYYY-MM).
for args in "0001-01|--as-of 0001-01-05" "0001-03|--no-run --csv" "0001-02|--history"; do
	# shellcheck disable=SC2086 # the arguments, split
	"$PBA" --month ${args%|*} ${args#*|} >"$TMP/out" 2>"$TMP/err"
	check "--month ${args%|*} ${args#*|}: a usage error naming the month and the range, no run made" \
		"2|pb-aggregate: --month ${args%|*} is out of range: a month from 0001-04 to 9999-11 (its estimate reads the 90 days before it)
Try 'pb-aggregate --help'.|$runs" "$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run")"
done
"$PBA" --month 10000-01 --as-of 10000-01-05 >"$TMP/out" 2>"$TMP/err"
check "--month 10000-01: a usage error" "2|pb-aggregate: --month takes YYYY-MM, not '10000-01'" "$?|$(head -1 "$TMP/err")"
printf 'series,date,charge_category,amount\na,2026-10-01,Usage,1\n' >"$TMP/est.csv"
"$PBA" estimate --as-of 2026-10-02 "$TMP/est.csv" >&- 2>"$TMP/err"
check "estimate with standard output closed: exit 3 saying so" \
	"3|pb-aggregate: cannot write standard output: Bad file descriptor" "$?|$(cat "$TMP/err")"
# estimate --as-of took any day, 0001-01-01 (its history before the first date) and 9999-12-31 too: it takes the
# months --month takes, 0001-04 to 9999-11, and says so in the same words.
for day in "0001-03-31|a month from 0001-04 to 9999-11 (its estimate reads the 90 days before it)" \
	"9999-12-01|the last month supported is 9999-11"; do
	"$PBA" estimate --as-of "${day%|*}" "$TMP/est.csv" >"$TMP/out" 2>"$TMP/err"
	check "estimate --as-of ${day%|*}: a usage error naming the range, nothing written" \
		"2||pb-aggregate: estimate: --as-of ${day%|*} is out of range: ${day#*|}
Try 'pb-aggregate estimate --help'." "$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
done
printf 'series,date,charge_category,amount\n' >"$TMP/est0.csv"
check "estimate --as-of 0001-04-01 and 9999-11-30: the first and last days taken" "0|0" \
	"$("$PBA" estimate --as-of 0001-04-01 "$TMP/est0.csv" >/dev/null; echo $?)|$("$PBA" estimate --as-of 9999-11-30 "$TMP/est0.csv" >/dev/null; echo $?)"

# With --log-format json, what the run says on standard error is JSON lines: the summary (stdout holds the CSV)
# and the warnings alike.
"$PBA" --month 2026-10 --csv --log-format json >"$TMP/csv" 2>"$TMP/err"
check "--log-format json: every line on stderr a JSON object, the summary as info, the warnings with their month" \
	"0|info,warning,info,info,warning,warning|2026-10" \
	"$?|$(python3 -c 'import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
print(",".join(l["level"] for l in lines) + "|" + ",".join(sorted({l["month"] for l in lines if l["level"] == "warning"})))' "$TMP/err" 2>&1)"

# ---- the detail an invoice shows ------------------------------------------------------------------------------
"$PBA" --month 2026-10 --detail >"$TMP/out" 2>"$TMP/err"
check "--detail: per account, vendor, service and category, adding up to the totals" \
	"0|ACME1,aws,EC2,Credit,USD,-4.5
ACME1,aws,EC2,Usage,USD,122
ACME1,aws,Marketplace,Purchase,USD,7
ACME1,aws,S3,Usage,USD,6
ACME1,aws,Support,Purchase,USD,20
ACME1,azure,Virtual Machines,Usage,USD,6
BETA2,aws,S3,Usage,USD,9
EURO1,aws,EC2,Usage,USD,50" \
	"$?|$(pb_sql "SELECT alias, vendor, service, charge_category, currency, trim_scale(sum(amount)) FROM pb.aggregate_detail
	WHERE run_id = (SELECT id FROM pb.aggregate_run WHERE status = 'current') GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4")"
check "--detail: the tables the run filled are analyzed after it (pb-invoice reads them next, planned from their statistics)" \
	"" \
	"$(pb_sql "SELECT string_agg(relname, ',') FROM pg_stat_user_tables WHERE schemaname = 'pb' AND relname IN
	('aggregate_account', 'aggregate_total', 'aggregate_daily', 'aggregate_detail')
	AND (last_analyze IS NULL OR last_analyze < (SELECT finished_at FROM pb.aggregate_run WHERE status = 'current'))")"

# The detail's statement meets the daily rows with the links in no nested loop: the planner takes the rows meeting a
# price to be one or two, whatever their number, and a nested loop there compares every daily row with every link
# (2,000 links and 760,000 daily rows: more than 10 minutes, for 11 s hashed). Its plan, as auto_explain logs it.
log=$PB_VAR_DIR/pg/server.log
from=$(($(wc -l <"$log") + 1))
PGOPTIONS="-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0" \
	"$PBA" --month 2026-10 --detail >"$TMP/out" 2>"$TMP/err"
check "--detail: the daily rows meet the links hashed, in no nested loop" \
	"0|1|0" \
	"$?|$(tail -n +"$from" "$log" | awk '/Query Text:/ { q = /INSERT INTO pb.aggregate_detail/; n += q } q' >"$TMP/plan"
	grep -c 'Query Text: INSERT INTO pb.aggregate_detail' "$TMP/plan")|$(grep -c 'Nested Loop' "$TMP/plan")"

# A run superseded keeps no detail unless an invoice froze it, as it keeps no daily series: each run with --detail
# added the month's detail again (463,000 rows a run at 2,000 links), and the rows of every run before it stayed.
n_current=$(pb_sql "SELECT count(*) FROM pb.aggregate_detail d JOIN pb.aggregate_run r ON r.id = d.run_id
	WHERE r.status = 'current' AND r.billing_month = '2026-10-01'")
"$PBA" --month 2026-10 --detail >"$TMP/out" 2>"$TMP/err"
st=$?
"$PBA" --month 2026-10 --detail >"$TMP/out" 2>"$TMP/err"
check "--detail run twice more: the superseded runs keep no detail and say so, the month's detail is the current run's" \
	"0|0|0|0|$n_current|$n_current" \
	"$st|$?|$(pb_sql "SELECT count(*) FROM pb.aggregate_detail d JOIN pb.aggregate_run r ON r.id = d.run_id
	WHERE r.status = 'superseded' AND NOT r.frozen")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run
	WHERE status = 'superseded' AND NOT frozen AND detail")|$(pb_sql "SELECT count(*) FROM pb.aggregate_detail d
	JOIN pb.aggregate_run r ON r.id = d.run_id WHERE r.status = 'current' AND r.billing_month = '2026-10-01'")|$(
		pb_sql "SELECT count(*) FROM pb.aggregate_detail d JOIN pb.aggregate_run r ON r.id = d.run_id
	WHERE r.billing_month = '2026-10-01'")"

# ---- as of an earlier day ----------------------------------------------------------------------------------
"$PBA" --month 2026-10 --as-of 2026-10-20 --csv >"$TMP/csv" 2>"$TMP/err"
check "--as-of 2026-10-20 counts usage up to that day only, and the month is not final then" \
	"0|ACME1,aws,USD,50.5,2026-10-20,false|BETA2,aws,USD,9,2026-10-20,false|EURO1,aws,EUR,45,2026-10-20,false" \
	"$?|$(cut -d, -f1-4,10,11 "$TMP/csv" | grep aws | paste -sd'|')"
run3=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current'")
check "the reconciliation as of the 20th (the day-25 line is not counted)" \
	"488.8,96.5,386.3" \
	"$(pb_sql "SELECT string_agg(trim_scale(billed)::text, ',' ORDER BY place) FROM pb.aggregate_recon WHERE run_id = $run3
	AND place IN ('total', 'attributed', 'excluded')" | awk -F, '{print $3","$1","$2}')"

# ---- strict, concurrency, a killed run ---------------------------------------------------------------------
"$PBA" --month 2026-10 --strict >"$TMP/out" 2>"$TMP/err"
check "--strict: exit 1 when spend is unmapped or ineligible (the run is stored)" "1|2" \
	"$?|$(grep -c 'warning: 2026-10: \(unmapped\|ineligible\) spend' "$TMP/err" | tr -d ' ')"
# --strict with --unmapped (or --csv): exit 1 and the list all the same; it printed nothing, the run stored, just
# when the list of what is unmapped was wanted.
"$PBA" --month 2026-10 --strict --unmapped >"$TMP/out" 2>"$TMP/err"
st=$?
check "--strict --unmapped: exit 1, and the run's unmapped spend printed all the same" \
	"1|unmapped,aws,444444444444,,,USD,2,2,1|$("$PBA" --month 2026-10 --no-run --unmapped)" \
	"$st|$(grep '^unmapped,' "$TMP/out")|$(cat "$TMP/out")"
current=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current'")
rows=$(snapshot "$current")
PB_TEST_PAUSE=aggregate-commit "$PBA" --month 2026-10 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 grep -q "test pause at aggregate-commit" "$TMP/bg.err" || notok "a run pauses at aggregate-commit" "$(cat "$TMP/bg.err")"
"$PBA" --month 2026-10 >"$TMP/out" 2>"$TMP/err"
st=$?
if [ $st -eq 4 ] && grep -q "^pb-aggregate: the aggregation of 2026-10 is running already: pb-aggregate, server process [0-9]*, since " "$TMP/err"; then
	ok "a concurrent run of the month exits 4 and names the one running"
else
	notok "a concurrent run of the month exits 4 and names the one running" "status $st: $(cat "$TMP/err")"
fi
kill -9 $BGPID
wait $BGPID 2>/dev/null
BGPID=
# Until its server process has seen it gone (the month's lock with it), not a fixed 0.3 s: the runs of the month
# below would find it running still.
pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-aggregate'" ||
	notok "the killed run's session ends"
check "kill -9 just before the commit leaves the previous run current and whole" "$current|$rows" \
	"$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current'")|$(snapshot "$current")"

# --csv, --unmapped and --no-list print the run just made, not whatever run of the month is current by then: a run
# of the month made between this one's commit and its CSV (the month's lock is free once it commits) had its
# figures printed, here those as of the 31st under a run as of the 20th.
PB_TEST_PAUSE=aggregate-report PB_TEST_RESUME_FILE=$TMP/report-resume "$PBA" --month 2026-10 --as-of 2026-10-20 --csv \
	>"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 grep -q "test pause at aggregate-report" "$TMP/bg.err" || notok "a run pauses at aggregate-report" "$(cat "$TMP/bg.err")"
"$PBA" --month 2026-10 --as-of 2026-10-31 >"$TMP/out" 2>"$TMP/err" || notok "a run of the month while another prints" "$(cat "$TMP/err")"
touch "$TMP/report-resume"
wait $BGPID
st=$?
BGPID=
check "--csv prints the run it made, even when another run of the month committed after it" \
	"0|ACME1,aws,USD,50.5,2026-10-20,false|BETA2,aws,USD,9,2026-10-20,false|EURO1,aws,EUR,45,2026-10-20,false" \
	"$st|$(cut -d, -f1-4,10,11 "$TMP/bg.out" | grep aws | paste -sd'|')"
current=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current'")

# ---- the estimate history ------------------------------------------------------------------------------------
check "every run appended its estimates to the history" \
	"$(pb_sql "SELECT count(*) FROM pb.aggregate_account")" "$(pb_sql "SELECT count(*) FROM pb.estimate_history")"
pb_sql "UPDATE pb.estimate_history SET estimate = 0" >/dev/null 2>"$TMP/err"
check "the estimate history is never rewritten, even by plain SQL" "ERROR:  estimate_history rows are never changed" \
	"$(head -1 "$TMP/err")"

# ---- pricing rules that do not cover a charge ------------------------------------------------------------------
printf 'aws Usage * list\n' >"$TMP/narrow.conf"
"$PBA" --month 2026-10 --pricing "$TMP/narrow.conf" >"$TMP/out" 2>"$TMP/err"
check "a charge no pricing rule prices: exit 1, naming it; nothing stored" \
	"1|pb-aggregate: $TMP/narrow.conf: no pricing rule for aws charges of category 'Credit' and type 'Credit'|$current" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current'")"
printf 'aws Usage * list\naws Tax * exclude\n' >"$TMP/bad.conf"
"$PBA" --month 2026-10 --pricing "$TMP/bad.conf" >"$TMP/out" 2>"$TMP/err"
check "a bad pricing rule: exit 1 at its line and column" \
	"1|pb-aggregate: $TMP/bad.conf:2:11: exclude takes a reason (tax, earned-discount, ...)" "$?|$(cat "$TMP/err")"
# The configs are read before the database is reached: with the database out of reach, a bad rule is still a bad
# rule (exit 1, which pb-run does not retry), and no pricing rules a usage error (2), not a failed connection (3).
PB_DATABASE_URL="host=$TMP/nowhere dbname=x connect_timeout=2" "$PBA" --month 2026-10 --pricing "$TMP/bad.conf" \
	>"$TMP/out" 2>"$TMP/err"
a="$?|$(cat "$TMP/err")"
(cd "$TMP" && env -u PB_PRICING_CONFIG PB_DATABASE_URL="host=$TMP/nowhere dbname=x connect_timeout=2" "$PBA" \
	--month 2026-10) >"$TMP/out" 2>"$TMP/err"
a="$a|$?|$(cat "$TMP/err")"
check "the configs are read before the database is reached: a bad rule exit 1, no rules exit 2, the database out of reach" \
	"1|pb-aggregate: $TMP/bad.conf:2:11: exclude takes a reason (tax, earned-discount, ...)|2|pb-aggregate: no pricing rules: give --pricing FILE or set PB_PRICING_CONFIG (looked for $(dirname "$BIN")/share/partnerbill/pricing.conf and config/pricing.conf)" \
	"$a"
# Text that a spreadsheet would run as a formula (a reason, a partner account id: = + - @, a tab or a CR first)
# starts with a single quote in the CSV, as in pb-invoice's and pb-accounts'; amounts (-4.2) stay numbers.
sed 's/exclude  tax$/exclude  =1+2/; s/exclude  earned-discount$/exclude  @SUM(1)/' "$ROOT/config/pricing.conf" \
	>"$TMP/formula.conf"
"$PBA" --month 2026-10 --pricing "$TMP/formula.conf" --unmapped >"$TMP/out" 2>"$TMP/err"
check "--unmapped: a reason that is a formula starts with a single quote" \
	"0|excluded,aws,111111111111,ACME1,'=1+2,USD,0,2.5,1|excluded,aws,111111111111,ACME1,'@SUM(1),USD,0,-4.2,2" \
	"$?|$(grep -e "'=1+2" -e "'@SUM" "$TMP/out" | sort | paste -sd'|')"
# ---- a partial last day ------------------------------------------------------------------------------------
# November so far: 100 a day through the 10th, and 30 of the 11th (exports lag: the last day is partial). The
# estimate projects the complete days; the partial one is neither read as a drop nor counted twice.
mkdir -p "$TMP/nov"
{
	echo "$H"
	for d in $(seq 1 10); do printf '2026-11-01T00:00:00Z,777777777777,Usage,2026-11-%02dT05:00:00Z,USD,80,100,EC2,,\n' "$d"; done
	printf '2026-11-01T00:00:00Z,777777777777,Usage,2026-11-11T01:00:00Z,USD,24,30,EC2,,\n'
} >"$TMP/nov/cur.csv"
printf 'alias,name,billing_country,is_reseller,parent_reseller\nFLAT1,Flat,US,false,\n' >"$TMP/flat.csv"
{
	"$PBI" --format aws-cur --no-progress "$TMP/nov/cur.csv" &&
		"$PBC" import "$TMP/flat.csv" --by test &&
		"$PBC" accept-terms FLAT1 --vendor centurylink --version 1 --by test &&
		"$PBC" accept-terms FLAT1 --vendor aws --region US --version 1 --by test &&
		"$PBC" link FLAT1 --vendor aws --partner-account 777777777777 --from 2026-11-01 --by test
} >"$TMP/out" 2>&1 || notok "November's export and FLAT1" "$(cat "$TMP/out")"
"$PBA" --month 2026-11 --as-of 2026-11-12 >"$TMP/out" 2>"$TMP/err"
check "a partial last day: the month to date counts it, the estimate projects the complete days (100 x 30)" \
	"0|FLAT1,aws,USD,1030,3000.00,2026-11-10,false" \
	"$?|$("$PBA" --month 2026-11 --no-run --csv | awk -F, -v OFS=, '$1 == "FLAT1" { print $1, $2, $3, $4, $5, $10, $11 }')"

# A second AWS source of November whose export has no line yet says nothing of which days are complete: the
# figures are the same, whichever of the two was imported first.
echo "$H" >"$TMP/nov/empty.csv"
"$PBI" --format aws-cur --no-progress --source nov-empty --month 2026-11 "$TMP/nov/empty.csv" >"$TMP/out" 2>&1 ||
	notok "an empty November export" "$(cat "$TMP/out")"
"$PBA" --month 2026-11 --as-of 2026-11-12 >"$TMP/out" 2>"$TMP/err"
check "a source with no line yet: the other source's partial day is still partial" \
	"0|FLAT1,aws,USD,1030,3000.00,2026-11-10,false" \
	"$?|$("$PBA" --month 2026-11 --no-run --csv | awk -F, -v OFS=, '$1 == "FLAT1" { print $1, $2, $3, $4, $5, $10, $11 }')"

# ---- vendors whose data end on different days ---------------------------------------------------------------
# TWIN1's AWS is complete through the 10th (10 on the 1st, then 100 a day), its Azure only through the 1st (10,
# then 3 of the 2nd). The figures for all vendors cut both at the earlier day and projected 20 a day from the
# 1st alone: an estimate below the month to date. They are the sum of the vendors' figures instead.
mkdir -p "$TMP/twin-aws" "$TMP/twin-azure"
{
	echo "$H"
	printf '2026-11-01T00:00:00Z,888888888888,Usage,2026-11-01T05:00:00Z,USD,10,10,EC2,,\n'
	for d in $(seq 2 10); do printf '2026-11-01T00:00:00Z,888888888888,Usage,2026-11-%02dT05:00:00Z,USD,100,100,EC2,,\n' "$d"; done
	printf '2026-11-01T00:00:00Z,888888888888,Usage,2026-11-11T01:00:00Z,USD,30,30,EC2,,\n'
} >"$TMP/twin-aws/cur.csv"
{
	echo 'SubscriptionId,Date,ChargeType,PricingModel,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory'
	echo '8b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f88,11/01/2026,Usage,OnDemand,USD,10,10,1,Virtual Machines'
	echo '8b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f88,11/02/2026,Usage,OnDemand,USD,3,3,1,Virtual Machines'
} >"$TMP/twin-azure/cost.csv"
printf 'alias,name,billing_country,is_reseller,parent_reseller\nTWIN1,Twin,US,false,\n' >"$TMP/twin.csv"
{
	"$PBI" --format aws-cur --no-progress "$TMP/twin-aws/cur.csv" &&
		"$PBI" --format azure-cost --no-progress "$TMP/twin-azure/cost.csv" &&
		"$PBC" import "$TMP/twin.csv" --by test &&
		"$PBC" accept-terms TWIN1 --vendor centurylink --version 1 --by test &&
		"$PBC" accept-terms TWIN1 --vendor aws --region US --version 1 --by test &&
		"$PBC" accept-terms TWIN1 --vendor azure --region US --version 1 --by test &&
		"$PBC" link TWIN1 --vendor aws --partner-account 888888888888 --from 2026-11-01 --by test &&
		"$PBC" link TWIN1 --vendor azure --partner-account 8b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f88 --from 2026-11-01 --by test
} >"$TMP/out" 2>&1 || notok "TWIN1's exports and links" "$(cat "$TMP/out")"
"$PBA" --month 2026-11 --as-of 2026-11-12 >"$TMP/out" 2>"$TMP/err" || notok "aggregate November with TWIN1" "$(cat "$TMP/err")"
# The Azure export stopped after the 2nd: taken to lag, it is projected at its level, which a reader must be told.
# The AWS sources (complete through the 10th, two days before) lag as exports do; the empty one says nothing.
check "a source complete through a day more than 3 days before the as-of day: a warning naming it and its day" \
	"pb-aggregate: warning: 2026-11: azure source 'file://$TMP/twin-azure' is complete through 2026-11-01, 11 days before the as-of day 2026-11-12 (more than 3): if its export stopped, the estimates project it at its level" \
	"$(grep -F 'is complete through' "$TMP/err")"
"$PBA" --month 2026-11 --as-of 2026-11-12 --stale-after 11 --strict >"$TMP/out" 2>"$TMP/err"
check "--stale-after 11: no warning for a source 11 days behind; --strict is not about it (exit 0)" "0|" \
	"$?|$(grep -F 'is complete through' "$TMP/err")"
TW="FROM pb.aggregate_account a JOIN pb.aggregate_run r ON r.id = a.run_id AND r.status = 'current' AND r.billing_month = '2026-11-01' WHERE a.alias = 'TWIN1'"
check "vendors complete through different days: the figures for all are the vendors' sums, never below the month to date" \
	"all|953|3210.00|2026-11-01|vendors|t|t" \
	"$(pb_sql "SELECT a.vendor, a.month_to_date, a.estimate, a.complete_through, a.method, a.estimate >= a.month_to_date $TW AND a.vendor = 'all'" '|')|$(pb_sql "SELECT bool_and(x.n = 0) FROM (SELECT sum(CASE WHEN a.vendor = 'all' THEN -1 ELSE 1 END * (a.estimate + a.low80 + 2 * a.high80 + 4 * a.low90 + 8 * a.high90)) n $TW) x")"

# ---- an account whose invoice currency changed: the estimate's history is in the currency it is now ------------
# FLAT2 used 100 USD a day through October and November, aggregated in JPY (15000 a day); from December it is
# invoiced in USD. Its December estimate must not read November's yen as dollars (a 99% drop: "no usage").
printf 'alias,name,billing_country,is_reseller,parent_reseller\nFLAT2,Flat Two,US,false,\n' >"$TMP/flat2.csv"
for m in 10 11 12; do
	mkdir -p "$TMP/f2-$m"
	last=$( [ "$m" == 12 ] && echo 3 || date -d "2026-$m-01 +1 month -1 day" +%d)
	{
		echo "$H"
		for d in $(seq 1 "$last"); do printf '2026-%s-01T00:00:00Z,777777777776,Usage,2026-%s-%02dT05:00:00Z,USD,100,100,EC2,,\n' "$m" "$m" "$d"; done
	} >"$TMP/f2-$m/cur.csv"
done
printf 'month,from,to,rate\n2026-11,USD,JPY,150\n2026-10,USD,JPY,150\n' >"$TMP/f2-rates.csv"
{
	"$PBC" import "$TMP/flat2.csv" --by test &&
		"$PBC" accept-terms FLAT2 --vendor centurylink --version 1 --by test &&
		"$PBC" accept-terms FLAT2 --vendor aws --region US --version 1 --by test &&
		"$PBC" link FLAT2 --vendor aws --partner-account 777777777776 --from 2026-10-01 --by test &&
		"$PBC" update FLAT2 --invoice-currency JPY &&
		"$PBA" rates --load "$TMP/f2-rates.csv" &&
		"$PBI" --format aws-cur --no-progress --source f2-10 "$TMP/f2-10/cur.csv" &&
		"$PBI" --format aws-cur --no-progress --source f2-11 "$TMP/f2-11/cur.csv" &&
		"$PBI" --format aws-cur --no-progress --source f2-12 "$TMP/f2-12/cur.csv" &&
		"$PBA" --month 2026-10 && "$PBA" --month 2026-11 &&
		"$PBC" update FLAT2 --invoice-currency USD
} >"$TMP/out" 2>&1 || notok "FLAT2's months in JPY" "$(cat "$TMP/out")"
"$PBA" --month 2026-12 --as-of 2026-12-04 >"$TMP/out" 2>"$TMP/err"
check "an estimate after the invoice currency changed reads no history of the other currency" \
	"0|FLAT2,aws,USD,300,3100.00|short-history" \
	"$?|$("$PBA" --month 2026-12 --no-run --csv | awk -F, -v OFS=, '$1 == "FLAT2" { print $1, $2, $3, $4, $5 }')|$(pb_sql "SELECT a.method FROM pb.aggregate_account a JOIN pb.aggregate_run r ON r.id = a.run_id AND r.status = 'current' AND r.billing_month = '2026-12-01' WHERE a.alias = 'FLAT2' AND a.vendor = 'aws'")"

# ---- a month whose only data is its first day, partial -----------------------------------------------------------
# PART1 used 100 a day through January; February's first delivery holds 30 of the 1st (the day is partial). The
# partial day is projected in full from the history, as a partial later day is (28 x 100), not read as the
# month's level (30 a day). PART2 has nothing but such a partial day: nothing to project, as for a later day.
printf 'alias,name,billing_country,is_reseller,parent_reseller\nPART1,Part One,US,false,\nPART2,Part Two,US,false,\n' \
	>"$TMP/part.csv"
mkdir -p "$TMP/part-01" "$TMP/part-02"
{
	echo "$H"
	for d in $(seq 1 31); do printf '2027-01-01T00:00:00Z,777777777775,Usage,2027-01-%02dT05:00:00Z,USD,100,100,EC2,,\n' "$d"; done
} >"$TMP/part-01/cur.csv"
{
	echo "$H"
	printf '2027-02-01T00:00:00Z,777777777775,Usage,2027-02-01T01:00:00Z,USD,30,30,EC2,,\n'
	printf '2027-02-01T00:00:00Z,777777777774,Usage,2027-02-01T01:00:00Z,USD,30,30,EC2,,\n'
} >"$TMP/part-02/cur.csv"
{
	"$PBC" import "$TMP/part.csv" --by test &&
		for a in PART1 PART2; do
			"$PBC" accept-terms $a --vendor centurylink --version 1 --by test &&
				"$PBC" accept-terms $a --vendor aws --region US --version 1 --by test || exit 1
		done &&
		"$PBC" link PART1 --vendor aws --partner-account 777777777775 --from 2027-01-01 --by test &&
		"$PBC" link PART2 --vendor aws --partner-account 777777777774 --from 2027-01-01 --by test &&
		"$PBI" --format aws-cur --no-progress --source part-01 "$TMP/part-01/cur.csv" &&
		"$PBI" --format aws-cur --no-progress --source part-02 "$TMP/part-02/cur.csv" &&
		"$PBA" --month 2027-01 --as-of 2027-01-31
} >"$TMP/out" 2>&1 || notok "PART1's January and February's first day" "$(cat "$TMP/out")"
"$PBA" --month 2027-02 --as-of 2027-02-01 >"$TMP/out" 2>"$TMP/err"
check "only a partial first day: projected in full from the history (28 x 100); without history, what was spent" \
	"0|PART1,aws,USD,30,2800.00,2027-01-31,false|PART2,aws,USD,30,30.00,2027-01-31,false" \
	"$?|$("$PBA" --month 2027-02 --no-run --csv | awk -F, -v OFS=, '$1 ~ /^PART/ { print $1, $2, $3, $4, $5, $10, $11 }' | paste -sd'|')"

# ---- late usage: Azure usage of an earlier month billed in this one -------------------------------------------
# LATE1 and LATE2 use the same each day from April 2027; May's export also bills LATE1 1 for each April day
# (late usage: a one-off of May's run, on its April day). May's daily series must add up to May's month to date
# (it carried April's usage of those days, copied from the history), and June's estimate reads April from
# April's run: LATE1's is LATE2's.
mkdir -p "$TMP/late"
S1=7c2e4d3b-9e5f-4a8b-8c3d-2f6e8b0d4a11
S2=7c2e4d3b-9e5f-4a8b-8c3d-2f6e8b0d4a22
for m in 04 05 06; do
	last=$(case $m in 04) echo 30 ;; 05) echo 31 ;; *) echo 4 ;; esac)
	{
		echo SubscriptionId,Date,BillingPeriodStartDate,ChargeType,PricingModel,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory
		for s in $S1 $S2; do
			for d in $(seq 1 "$last"); do
				printf '%s,%s/%02d/2027,%s/01/2027,Usage,OnDemand,USD,%s,%s,1,VM\n' $s $m "$d" $m $((100 + d * 37 % 23)) $((100 + d * 37 % 23))
			done
		done
		if [ $m == 05 ]; then
			for d in $(seq 1 30); do printf '%s,04/%02d/2027,05/01/2027,Usage,OnDemand,USD,1,1,1,VM\n' $S1 "$d"; done
		fi
	} >"$TMP/late/cost-$m.csv"
done
printf 'alias,name,billing_country,is_reseller,parent_reseller\nLATE1,Late One,US,false,\nLATE2,Late Two,US,false,\n' \
	>"$TMP/late.csv"
{
	"$PBC" import "$TMP/late.csv" --by test &&
		for a in LATE1 LATE2; do
			"$PBC" accept-terms $a --vendor centurylink --version 1 --by test &&
				"$PBC" accept-terms $a --vendor azure --region US --version 1 --by test || exit 1
		done &&
		"$PBC" link LATE1 --vendor azure --partner-account $S1 --from 2027-04-01 --by test &&
		"$PBC" link LATE2 --vendor azure --partner-account $S2 --from 2027-04-01 --by test &&
		for m in 04 05 06; do
			"$PBI" --format azure-cost --no-progress --source late-$m "$TMP/late/cost-$m.csv" || exit 1
		done &&
		"$PBA" --month 2027-04 --as-of 2027-04-30 && "$PBA" --month 2027-05 --as-of 2027-05-31 &&
		"$PBA" --month 2027-06 --as-of 2027-06-04
} >"$TMP/out" 2>&1 || notok "LATE1's and LATE2's April to June" "$(cat "$TMP/out")"
check "late usage: May's daily series adds up to its month to date" \
	"LATE1,all,3473,3473|LATE1,azure,3473,3473|LATE2,all,3443,3443|LATE2,azure,3443,3443" \
	"$(pb_sql "SELECT a.alias, a.vendor, trim_scale(a.month_to_date), trim_scale(sum(d.usage + d.one_off))
	FROM pb.aggregate_account a JOIN pb.aggregate_run r ON r.id = a.run_id AND r.status = 'current'
	AND r.billing_month = '2027-05-01' JOIN pb.aggregate_daily d ON d.run_id = a.run_id AND d.alias = a.alias
	AND (d.vendor = a.vendor OR a.vendor = 'all') GROUP BY 1, 2, 3 ORDER BY 1, 2" | paste -sd'|')"
check "late usage: June's estimate reads April's usage from April's run" \
	"$(pb_sql "SELECT estimate, low80, high80, low90, high90, method FROM pb.aggregate_account a JOIN pb.aggregate_run r
	ON r.id = a.run_id AND r.status = 'current' AND r.billing_month = '2027-06-01' WHERE a.alias = 'LATE2'
	AND a.vendor = 'azure'")" \
	"$(pb_sql "SELECT estimate, low80, high80, low90, high90, method FROM pb.aggregate_account a JOIN pb.aggregate_run r
	ON r.id = a.run_id AND r.status = 'current' AND r.billing_month = '2027-06-01' WHERE a.alias = 'LATE1'
	AND a.vendor = 'azure'")"
"$BIN/pb-invoice" --month 2027-05 --report "$TMP/late/may.html" >"$TMP/out" 2>&1 ||
	notok "pb-invoice --report of May 2027" "$(cat "$TMP/out")"
check "late usage: the report's month to date on May's last day is the month to date" \
	"LATE1: month to date 3473.00 USD|day 31: 3473.00|LATE2: month to date 3443.00 USD|day 31: 3443.00" \
	"$(grep -o 'LATE[12]: month to date [0-9.]* USD\|day 31: [0-9.]*' "$TMP/late/may.html" | paste -sd'|')"

# ---- links that end or start in the month ----------------------------------------------------------------------
# September 2027 through the 20th (the 21st is partial): 999999999901 uses 100 a day, MOVE1's until the 18th,
# MOVE2's from the 19th; 999999999902, 50 a day, is MOVE1's all month; 999999999903, 40 a day, is MOVE3's until
# the 25th. Each account's estimate forecasts a partner account for the days its link covers only, so MOVE1's
# and MOVE2's add up to what both partner accounts use in the month (3000 + 1500), and MOVE3's stops at the 25th.
# (MOVE2's link ends at 'infinity', which a date column may hold: no end.)
mkdir -p "$TMP/move"
{
	echo "$H"
	for d in $(seq 1 21); do
		for p in 1:100 2:50 3:40; do
			printf '2027-09-01T00:00:00Z,99999999990%s,Usage,2027-09-%02dT05:00:00Z,USD,%s,%s,EC2,,\n' "${p%%:*}" "$d" "${p#*:}" "${p#*:}"
		done
	done
} >"$TMP/move/cur.csv"
printf 'alias,name,billing_country,is_reseller,parent_reseller\nMOVE1,Move One,US,false,\nMOVE2,Move Two,US,false,\nMOVE3,Move Three,US,false,\n' \
	>"$TMP/move.csv"
{
	"$PBC" import "$TMP/move.csv" --by test &&
		"$PBI" --format aws-cur --no-progress --source move "$TMP/move/cur.csv" &&
		pb_sql "INSERT INTO pb.terms_acceptance (alias, terms, region, version, accepted_by)
		SELECT a, t, r, '1', 'test' FROM unnest('{MOVE1,MOVE2,MOVE3}'::text[]) a,
		(VALUES ('centurylink', NULL), ('aws', 'US')) v (t, r);
		INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, valid_to, created_by)
		VALUES ('aws', '999999999901', 'MOVE1', '2027-09-01', '2027-09-18', 'test'),
		('aws', '999999999901', 'MOVE2', '2027-09-19', 'infinity', 'test'),
		('aws', '999999999902', 'MOVE1', '2027-09-01', NULL, 'test'),
		('aws', '999999999903', 'MOVE3', '2027-09-01', '2027-09-25', 'test')"
} >"$TMP/out" 2>&1 || notok "MOVE1's, MOVE2's and MOVE3's September" "$(cat "$TMP/out")"
"$PBA" --month 2027-09 --as-of 2027-09-21 >"$TMP/out" 2>"$TMP/err"
check "links ending or starting in the month: each account's estimate covers its link's days only" \
	"0|MOVE1,aws,USD,2850,3300.00,2027-09-20|MOVE2,aws,USD,300,1200.00,2027-09-20|MOVE3,aws,USD,840,1000.00,2027-09-20|MOVE1 all 3300.00 level|MOVE2 all 1200.00 links|MOVE3 all 1000.00 links" \
	"$?|$("$PBA" --month 2027-09 --no-run --csv | awk -F, -v OFS=, '$1 ~ /^MOVE/ { print $1, $2, $3, $4, $5, $10 }' | paste -sd'|')|$(pb_sql "SELECT a.alias, a.vendor, a.estimate, a.method FROM pb.aggregate_account a JOIN pb.aggregate_run r ON r.id = a.run_id AND r.status = 'current' AND r.billing_month = '2027-09-01' WHERE a.vendor = 'all' ORDER BY 1" ' ' | paste -sd'|')"

# An import superseding September's while a run reads the month: the superseded import's table is dropped as the
# import commits, which took its rows from under the run's snapshot (an "internal error", exit 1). The import
# now waits for the run, which gives the figures of the imports it started with.
PB_TEST_PAUSE=aggregate-sources PB_TEST_RESUME_FILE="$TMP/move/resume" "$PBA" --month 2027-09 --as-of 2027-09-21 \
	>"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 grep -q "test pause at aggregate-sources" "$TMP/bg.err" || notok "a run pauses at aggregate-sources" "$(cat "$TMP/bg.err")"
printf '2027-09-01T00:00:00Z,999999999904,Usage,2027-09-02T05:00:00Z,USD,1,1,EC2,,\n' >>"$TMP/move/cur.csv"
: >"$TMP/ing.out" # emptied before the import starts (its shell empties it only once it runs)
"$PBI" --format aws-cur --no-progress --source move "$TMP/move/cur.csv" >"$TMP/ing.out" 2>&1 &
IPID=$!
# The run resumes once the import waits for it, or the import ended (it did not wait: the check below fails).
import_waits() { grep -q "waiting for other sessions" "$TMP/ing.out" || ! kill -0 $IPID 2>/dev/null; }
pb_until 120 import_waits || notok "the import waits for the run, or ends" "$(cat "$TMP/ing.out")"
touch "$TMP/move/resume"
wait $BGPID
st=$?
BGPID=
wait $IPID
check "an import superseding the month's while a run reads it: both succeed, the run whole" \
	"0|0|pb-aggregate: test pause at aggregate-sources|MOVE1,aws,USD,2850,3300.00" \
	"$st|$?|$(grep -v '^pb-aggregate: warning' "$TMP/bg.err")|$("$PBA" --month 2027-09 --no-run --csv | awk -F, -v OFS=, '$1 == "MOVE1" && $2 == "aws" { print $1, $2, $3, $4, $5 }')"

# A session holding the month's rows (a lock no import holds for long): the run waits for it, says for whom, as
# pb-ingest does, instead of waiting in silence. Killed while it waits, its server process ends with it: the
# month's aggregation is not held by a run that is gone (a rerun was refused, exit 4, as long as the wait).
pb_sql_session_start
pb_sql_in "BEGIN; LOCK TABLE pb.usage_daily_2027_09 IN ACCESS EXCLUSIVE MODE"
"$PBA" --month 2027-09 --as-of 2027-09-21 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 grep -q "waiting for" "$TMP/bg.err" || notok "the run says it waits" "$(cat "$TMP/bg.err")"
check "a run waiting for a session that holds the month's rows says for whom" \
	"pb-aggregate: waiting for other sessions to release the daily rows of 2027-09: server process N (psql, in a transaction since T)" \
	"$(sed 's/process [0-9]*/process N/; s/since [^)]*)/since T)/' "$TMP/bg.err")"
kill -9 $BGPID
wait $BGPID 2>/dev/null
BGPID=
pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-aggregate'"
check "a run killed while it waits: its server process ends with it, nothing holds the month" "0" \
	"$(pb_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-aggregate'")"
pb_sql_in COMMIT
# A run without --as-of that waits for the month's rows across midnight: its day (today) was taken as it connected,
# and the run, which reads the month after midnight, was recorded as of the day before. It is the day the run's
# transaction begins with the rows its own, the day it reads them, as for a run started then.
echo 2027-09-21 >"$TMP/today"
pb_sql_in "BEGIN; LOCK TABLE pb.usage_daily_2027_09 IN ACCESS EXCLUSIVE MODE"
PB_TEST_TODAY_FILE=$TMP/today "$PBA" --month 2027-09 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 eval 'grep -q "waiting for" "$TMP/bg.err" || ! kill -0 $BGPID 2>/dev/null' ||
	notok "the run without --as-of waits for the month's rows" "$(cat "$TMP/bg.err")"
echo 2027-09-22 >"$TMP/today"
pb_sql_in COMMIT
wait $BGPID
st=$?
BGPID=
check "a run that waited for the month's rows across midnight is as of the day it read them" \
	"0|2027-09-22|2027-09-22" \
	"$st|$(pb_sql "SELECT as_of FROM pb.aggregate_run WHERE billing_month = '2027-09-01' AND status = 'current'")|$(pb_sql "SELECT DISTINCT h.as_of FROM pb.estimate_history h JOIN pb.aggregate_run r ON r.id = h.run_id AND r.status = 'current' AND r.billing_month = '2027-09-01'")"
"$PBA" --month 2027-09 --as-of 2027-09-21 >"$TMP/out" 2>&1 || notok "September 2027 as of the 21st again" "$(cat "$TMP/out")"
# Killed while its server process works for it (here, waiting for a row the session holds; a long grouping
# likewise): the server process sees the client gone within a second or so and ends, instead of working on for
# no one, holding the month's aggregation the while (a rerun was refused, exit 4, "running already").
pb_sql_in "BEGIN; SELECT id FROM pb.aggregate_run WHERE billing_month = '2027-09-01' AND status = 'current' FOR UPDATE"
"$PBA" --month 2027-09 --as-of 2027-09-21 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-aggregate' AND wait_event_type = 'Lock'" ||
	notok "a run waits for the row the session holds" "$(cat "$TMP/bg.err")"
kill -9 $BGPID
wait $BGPID 2>/dev/null
BGPID=
pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-aggregate'"
check "a run killed while its server process works for it: the process ends within seconds" "0" \
	"$(pb_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-aggregate'")"
pb_sql_in ROLLBACK

# ---- sums beyond the range of amounts ------------------------------------------------------------------------
# Two sources of July 2027 bill BIG1 6 x 10^19 each: each import is in range, their sum is not (10^20). Bad data
# (exit 1) saying so, nothing stored; not an internal error.
mkdir -p "$TMP/big"
for s in 1 2; do
	{
		echo "$H"
		printf '2027-07-01T00:00:00Z,77777777777%s,Usage,2027-07-01T05:00:00Z,USD,60000000000000000000,60000000000000000000,EC2,,\n' $s
	} >"$TMP/big/cur-$s.csv"
done
printf 'alias,name,billing_country,is_reseller,parent_reseller\nBIG1,Big,US,false,\n' >"$TMP/big.csv"
{
	"$PBC" import "$TMP/big.csv" --by test &&
		"$PBC" accept-terms BIG1 --vendor centurylink --version 1 --by test &&
		"$PBC" accept-terms BIG1 --vendor aws --region US --version 1 --by test &&
		"$PBC" link BIG1 --vendor aws --partner-account 777777777771 --from 2027-07-01 --by test &&
		"$PBC" link BIG1 --vendor aws --partner-account 777777777772 --from 2027-07-01 --by test &&
		"$PBI" --format aws-cur --no-progress --source big-1 "$TMP/big/cur-1.csv" &&
		"$PBI" --format aws-cur --no-progress --source big-2 "$TMP/big/cur-2.csv"
} >"$TMP/out" 2>&1 || notok "BIG1's July" "$(cat "$TMP/out")"
"$PBA" --month 2027-07 --as-of 2027-07-31 >"$TMP/out" 2>"$TMP/err"
check "a sum beyond the range of amounts: exit 1 saying so, nothing stored" \
	"1|pb-aggregate: a sum of 2027-07 leaves the range of amounts (20 integer digits): 120000000000000000000|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run WHERE billing_month = '2027-07-01'")"

# ---- backslashes in an import's source and in a reason -----------------------------------------------------------
# The run copies them into its tables as text: an import whose source ended with a backslash (a Windows folder)
# made every run of its month fail (exit 3), and \n or \t in one was stored as a line break or a tab.
mkdir -p "$TMP/bs"
{
	echo "$H"
	printf '2027-08-01T00:00:00Z,777777777773,Usage,2027-08-01T05:00:00Z,USD,1,1,EC2,,\n'
	printf '2027-08-01T00:00:00Z,777777777773,Tax,2027-08-01T05:00:00Z,USD,0.5,,EC2,,\n'
} >"$TMP/bs/cur.csv"
sed 's/exclude  tax$/exclude  VAT\\sales\\/' "$ROOT/config/pricing.conf" >"$TMP/bs/pricing.conf"
# shellcheck disable=SC1003 # a backslash last, not an escaped quote
{
	"$PBI" --format aws-cur --no-progress --source 'D:\exports\new\tab\' "$TMP/bs/cur.csv" &&
		"$PBC" link FLAT1 --vendor aws --partner-account 777777777773 --from 2027-08-01 --by test
} >"$TMP/out" 2>&1 || notok "August 2027's export from a Windows folder" "$(cat "$TMP/out")"
"$PBA" --month 2027-08 --as-of 2027-08-31 --pricing "$TMP/bs/pricing.conf" >"$TMP/out" 2>"$TMP/err"
check "an import's source and a reason with backslashes: stored as they are" \
	"0|D:\\exports\\new\\tab\\|VAT\\sales\\" \
	"$?|$(pb_sql "SELECT s.source FROM pb.aggregate_source s JOIN pb.aggregate_run r ON r.id = s.run_id AND r.status = 'current' AND r.billing_month = '2027-08-01'")|$(pb_sql "SELECT b.reason FROM pb.aggregate_bucket b JOIN pb.aggregate_run r ON r.id = b.run_id AND r.status = 'current' AND r.billing_month = '2027-08-01' WHERE b.bucket = 'excluded'")"

# ---- the run a row of detail names ---------------------------------------------------------------------------------
# No row of detail names a run that is not there: one that would is refused, and so is removing (or renumbering) a
# run that has detail, whatever else the run has; once its detail is gone, the run may go.
drun=$(pb_sql "INSERT INTO pb.aggregate_run (billing_month, as_of, status, imports, pricing_file, pricing_sha256, detail,
	started_at, run_by) VALUES ('2027-09-01', '2027-09-30', 'superseded', '{}', 'test', repeat('0', 64), true, now(), 'test')
	RETURNING id" | head -1)
detail_row() { echo "INSERT INTO pb.aggregate_detail VALUES ($1, 'FLAT1', 'aws', '777777777773', '2027-09-0$2', 'EC2', '', 'Usage', 'USD', 1, 1, 1, 1)"; }
pb_sql "$(detail_row "$drun" 1)" >/dev/null 2>"$TMP/err1"
pb_sql "$(detail_row "$drun" 2); $(detail_row "$((drun + 1000))" 3)" >/dev/null 2>"$TMP/err2"
kept=$(pb_sql "SELECT count(*) FROM pb.aggregate_detail WHERE run_id IN ($drun, $((drun + 1000)))")
pb_sql "DELETE FROM pb.aggregate_run WHERE id = $drun" >/dev/null 2>"$TMP/err3"
pb_sql "UPDATE pb.aggregate_run SET id = $((drun + 1000)) WHERE id = $drun" >/dev/null 2>"$TMP/err4"
pb_sql "DELETE FROM pb.aggregate_detail WHERE run_id = $drun; DELETE FROM pb.aggregate_run WHERE id = $drun" >/dev/null 2>"$TMP/err5"
check "a row of detail names a run that is there: one of a missing run is refused, nothing of its statement kept; a run with detail is not removed" \
	"|ERROR:  insert or update on table \"aggregate_detail\" violates foreign key constraint \"aggregate_detail_run_id_fkey\"
DETAIL:  Key (run_id)=($((drun + 1000))) is not present in table \"aggregate_run\".|1|ERROR:  update or delete on table \"aggregate_run\" violates foreign key constraint \"aggregate_detail_run_id_fkey\" on table \"aggregate_detail\"
DETAIL:  Key (id)=($drun) is still referenced from table \"aggregate_detail\".|ERROR:  update or delete on table \"aggregate_run\" violates foreign key constraint \"aggregate_detail_run_id_fkey\" on table \"aggregate_detail\"
DETAIL:  Key (id)=($drun) is still referenced from table \"aggregate_detail\".||0" \
	"$(cat "$TMP/err1")|$(grep -v '^SQL FAILED\|^CONTEXT' "$TMP/err2")|$kept|$(grep -v '^SQL FAILED\|^CONTEXT' "$TMP/err3")|$(grep -v '^SQL FAILED\|^CONTEXT' "$TMP/err4")|$(cat "$TMP/err5")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run WHERE id = $drun")"

# ---- the estimates made on several threads --------------------------------------------------------------------
# 150 accounts of March 2028 (more than the accounts in flight at once), usage on the 1st to the 20th with a
# weekly pattern, spikes and credits, as of the 20th: each account's figures are the same on 1, 3 and the default
# number of threads, and the same as when every account was estimated in turn (the sums below, from that build).
pb_sql "SELECT pb.ensure_usage_partition('2028-03-01');
INSERT INTO pb.clc_account (alias, name, billing_country, created_by)
	SELECT 'THR' || lpad(i::text, 3, '0'), 'Threads ' || i, 'US', 'test' FROM generate_series(1, 150) i;
INSERT INTO pb.terms_acceptance (alias, terms, region, version, accepted_by)
	SELECT 'THR' || lpad(i::text, 3, '0'), t.terms, t.region, '1', 'test' FROM generate_series(1, 150) i,
	(VALUES ('centurylink', NULL), ('aws', 'US')) t (terms, region);
INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, created_by)
	SELECT 'aws', (880000000000 + i)::text, 'THR' || lpad(i::text, 3, '0'), '2028-01-01', 'test' FROM generate_series(1, 150) i;
WITH imp AS (INSERT INTO pb.import (vendor, format, source, billing_month, status, final)
	VALUES ('aws', 'aws-cur', 'test:threads', '2028-03-01', 'committed', false) RETURNING id)
INSERT INTO pb.usage_daily (import_id, vendor, billing_month, partner_account_id, usage_date, charge_category,
	charge_type, service, region, currency, list_cost, billed_cost, line_count, list_source)
SELECT imp.id, 'aws', '2028-03-01', (880000000000 + i)::text, '2028-03-01'::date + d, c, c, 'Service ' || s, 'us-east-1',
	'USD', v, v, 1, 'export'
FROM imp, generate_series(1, 150) i, generate_series(0, 19) d, generate_series(1, 2) s,
	LATERAL (SELECT CASE WHEN s = 2 AND i % 7 = 0 AND d = 4 THEN 'Credit' ELSE 'Usage' END) k (c),
	LATERAL (SELECT round((i + ((i * 37 + d * 11 + s * 5) % 100) / 7.0) * CASE WHEN d % 7 IN (3, 4) AND i % 3 = 0
		THEN 0.25 ELSE 1 END * CASE WHEN i % 5 = 0 AND d = i % 20 THEN 9 ELSE 1 END
		* CASE WHEN c = 'Credit' THEN -1 ELSE 1 END, 6)) x (v);
INSERT INTO pb.import_account (import_id, partner_account_id, currency, line_count, list_total, billed_total,
	first_day, last_day)
SELECT import_id, partner_account_id, currency, sum(line_count), sum(list_cost), sum(billed_cost), min(usage_date),
	max(usage_date) FROM pb.usage_daily WHERE billing_month = '2028-03-01' GROUP BY 1, 2, 3;
INSERT INTO pb.import_charge (import_id, charge_category, charge_type, line_count, list_total, billed_total)
SELECT import_id, charge_category, charge_type, sum(line_count), sum(list_cost), sum(billed_cost)
	FROM pb.usage_daily WHERE billing_month = '2028-03-01' GROUP BY 1, 2, 3" >/dev/null
THR="FROM pb.aggregate_run r JOIN pb.aggregate_account a ON a.run_id = r.id WHERE r.billing_month = '2028-03-01'
	AND r.status = 'current'"
# the run's rows without its id, sorted: figures, totals, days and the estimate history
thr_rows() {
	pb_sql "SELECT a.alias, a.vendor, a.currency, a.month_to_date, a.markup, a.estimate, a.low80, a.high80, a.low90,
		a.high90, a.method, a.complete_through, a.final $THR ORDER BY 1, 2"
	pb_sql "SELECT t.alias, t.vendor, t.charge_category, t.currency, t.amount, t.billed, t.line_count FROM pb.aggregate_total t
		JOIN pb.aggregate_run r ON r.id = t.run_id AND r.billing_month = '2028-03-01' AND r.status = 'current' ORDER BY 1, 2, 3, 4"
	pb_sql "SELECT d.alias, d.vendor, d.usage_date, d.usage, d.one_off FROM pb.aggregate_daily d JOIN pb.aggregate_run r
		ON r.id = d.run_id AND r.billing_month = '2028-03-01' AND r.status = 'current' ORDER BY 1, 2, 3"
	pb_sql "SELECT h.alias, h.vendor, h.as_of, h.month_to_date, h.estimate, h.low80, h.high80, h.low90, h.high90, h.method
		FROM pb.estimate_history h JOIN pb.aggregate_run r ON r.id = h.run_id AND r.billing_month = '2028-03-01'
		AND r.status = 'current' ORDER BY 1, 2"
}
"$PBA" --month 2028-03 --as-of 2028-03-20 --threads 1 >"$TMP/out" 2>"$TMP/err" || notok "March 2028 on one thread" "$(cat "$TMP/err")"
thr_rows >"$TMP/thr1"
"$PBA" --month 2028-03 --as-of 2028-03-20 --threads 3 >"$TMP/out" 2>"$TMP/err" || notok "March 2028 on 3 threads" "$(cat "$TMP/err")"
thr_rows >"$TMP/thr3"
"$PBA" --month 2028-03 --as-of 2028-03-20 >"$TMP/out" 2>"$TMP/err" || notok "March 2028 on the default threads" "$(cat "$TMP/err")"
thr_rows >"$TMP/thrd"
check "estimates on 1, 3 and the default number of threads: the same rows, the same figures" \
	"300|$(cat "$TMP/thr1")|$(cat "$TMP/thr1")" \
	"$(pb_sql "SELECT count(*) $THR")|$(cat "$TMP/thr3")|$(cat "$TMP/thrd")"
check "estimates on several threads: each account's figures as when they were made in turn" \
	"all,weekly,50,219245.52,211006.91,242000.09,207085.04,266989.53|all,level,100,533276.31,511800.01,586551.23,502190.82,645055.06|aws,weekly,50,219245.52,211006.91,242000.09,207085.04,266989.53|aws,level,100,533276.31,511800.01,586551.23,502190.82,645055.06" \
	"$(pb_sql "SELECT a.vendor, a.method, count(*), sum(a.estimate), sum(a.low80), sum(a.high80), sum(a.low90), sum(a.high90)
		$THR GROUP BY 1, 2 ORDER BY 1, 2 DESC" | paste -sd'|')"
"$PBA" --month 2028-03 --threads 0 >"$TMP/out" 2>"$TMP/err"
check "--threads 0: a usage error" "2|pb-aggregate: --threads takes a number of threads from 1 to 64, not '0'
Try 'pb-aggregate --help'." "$?|$(cat "$TMP/err")"
"$PBA" --month 2028-03 --no-run --csv --threads 2 >"$TMP/out" 2>"$TMP/err"
check "--no-run --threads: a usage error" "2|pb-aggregate: --no-run shows the current run; --threads is for a new one
Try 'pb-aggregate --help'." "$?|$(cat "$TMP/err")"

# --history and rates took an option of a month's run and went on without it: a script giving --threads or
# --strict believed it applied. Each is a usage error there, nothing printed.
for args in "--history|--threads 2" "--history --month 2026-10|--strict" "--history|--csv" \
	"rates --list|--threads 2" "rates --list|--as-of 2026-10-05"; do
	# shellcheck disable=SC2086 # the arguments, split
	"$PBA" ${args%|*} ${args#*|} >"$TMP/out" 2>"$TMP/err"
	rc=$?
	opt=${args#*|}
	what="--history lists the runs"
	[ "${args%% *}" == rates ] && what="rates loads or lists conversion rates"
	check "${args%|*} $opt: a usage error naming the option, nothing printed" \
		"2|pb-aggregate: $what; ${opt%% *} is an option of a month's run
Try 'pb-aggregate --help'.|" "$rc|$(cat "$TMP/err")|$(cat "$TMP/out")"
done

# The run's temporary files (TMPDIR) cannot be had: a folder that is not there, or one that fills as they are
# written (the file size limit stands in for it, SIGXFSZ at its default). A dependency failed, as for a full
# disk: exit 3 (which pb-run retries), naming the folder and why, no run made.
runs=$(pb_sql "SELECT count(*) FROM pb.aggregate_run")
TMPDIR=$TMP/nowhere "$PBA" --month 2028-03 --as-of 2028-03-20 >"$TMP/out" 2>"$TMP/err"
check "a TMPDIR that is not there: exit 3, the folder and why, no run" \
	"3|pb-aggregate: cannot open a temporary file in '$TMP/nowhere': No such file or directory|$runs" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run")"
mkdir -p "$TMP/full"
(
	ulimit -f 2
	TMPDIR=$TMP/full exec env --default-signal=XFSZ "$PBA" --month 2028-03 --as-of 2028-03-20
) >"$TMP/out" 2>"$TMP/err"
check "a TMPDIR that fills: exit 3, the folder and why, no run" \
	"3|pb-aggregate: cannot write a temporary file in '$TMP/full': File too large|$runs" \
	"$?|$(grep -v '^pb-aggregate: warning' "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run")"

# ---- an account whose usage came in bursts -------------------------------------------------------------------
# WILD1 used 0.000001 a day, with bursts of two or three days at 10^9, from July to September 2025, then 10^9 every
# day from October 1st. Its estimate drew the bursts as spikes of their size on October's level: intervals beyond
# the range of amounts, and the whole month's run failed ("account WILD1: the estimate of aws failed", exit 1).
pb_sql "INSERT INTO pb.clc_account (alias, name, billing_country, created_by) VALUES ('WILD1', 'Wild', 'US', 'test');
INSERT INTO pb.terms_acceptance (alias, terms, region, version, accepted_by)
	VALUES ('WILD1', 'centurylink', NULL, '1', 'test'), ('WILD1', 'aws', 'US', '1', 'test');
INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, created_by)
	VALUES ('aws', '990000000001', 'WILD1', '2025-07-01', 'test')" >/dev/null
for m in 07 08 09 10; do
	pb_sql "SELECT pb.ensure_usage_partition('2025-$m-01');
WITH imp AS (INSERT INTO pb.import (vendor, format, source, billing_month, status, final)
	VALUES ('aws', 'aws-cur', 'test:wild', '2025-$m-01', 'committed', false) RETURNING id)
INSERT INTO pb.usage_daily (import_id, vendor, billing_month, partner_account_id, usage_date, charge_category,
	charge_type, service, region, currency, list_cost, billed_cost, line_count, list_source)
SELECT imp.id, 'aws', '2025-$m-01', '990000000001', d, 'Usage', 'Usage', 'EC2', 'us-east-1', 'USD', v, v, 1, 'export'
FROM imp, generate_series(0, LEAST(DATE '2025-10-16', (DATE '2025-$m-01' + interval '1 month -1 day')::date)
	- DATE '2025-$m-01') i, LATERAL (SELECT DATE '2025-$m-01' + i) dd (d),
	LATERAL (SELECT CASE WHEN d >= '2025-10-01' OR (d - DATE '2025-07-01') * 7 % 11 < 3 THEN 1000000000
	ELSE 0.000001 END) x (v);
INSERT INTO pb.import_account (import_id, partner_account_id, currency, line_count, list_total, billed_total,
	first_day, last_day)
SELECT import_id, partner_account_id, currency, sum(line_count), sum(list_cost), sum(billed_cost), min(usage_date),
	max(usage_date) FROM pb.usage_daily WHERE billing_month = '2025-$m-01' GROUP BY 1, 2, 3;
INSERT INTO pb.import_charge (import_id, charge_category, charge_type, line_count, list_total, billed_total)
SELECT import_id, charge_category, charge_type, sum(line_count), sum(list_cost), sum(billed_cost)
	FROM pb.usage_daily WHERE billing_month = '2025-$m-01' GROUP BY 1, 2, 3" >/dev/null ||
		notok "WILD1's usage of 2025-$m"
done
for m in 07 08 09; do
	"$PBA" --month 2025-$m >"$TMP/out" 2>"$TMP/err" || notok "WILD1's 2025-$m" "$(cat "$TMP/err")"
done
"$PBA" --month 2025-10 --as-of 2025-10-16 >"$TMP/out" 2>"$TMP/err"
check "an account whose usage came in bursts, then ran every day: the month's run goes through, its estimate the new level's" \
	"0||WILD1,aws,USD,16000000000,31000000000.00,2025-10-15,false" \
	"$?|$(cat "$TMP/err")|$("$PBA" --month 2025-10 --no-run --csv | awk -F, -v OFS=, '$1 == "WILD1" { print $1, $2, $3, $4, $5, $10, $11 }')"

"$PBA" --history --month 2026-10 >/dev/full 2>"$TMP/err"
check "--history >/dev/full: exit 3" "3|pb-aggregate: cannot write standard output: No space left on device" "$?|$(cat "$TMP/err")"

pb_tests_done
