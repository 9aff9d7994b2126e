#!/usr/bin/env bash
# What a careless or hostile user does to pb-aggregate, pb-invoice and pb-run, against a throwaway PostgreSQL
# cluster: an issued month re-aggregated after a late credit (no adjustment line of nothing for accounts whose
# total rounds to zero) and after its accounts' terms changed (it keeps the invoice's currency and markup); the
# FOCUS dataset of an issued month (the invoice's, formulas neutralized). Then pb-prices fed price lists that are
# malformed or hostile (numbers past the range of amounts, members given twice, an end of 9999-12-31, UTF-16,
# NextPageLink and offer-index URLs leaving the API's server, a meter listed in two currencies), pb-api held by a
# slow client, and a pb-run job file with a byte order mark.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest
PBA=$BIN/pb-aggregate
PBC=$BIN/pb-accounts
PBV=$BIN/pb-invoice
PBP=$BIN/pb-prices
. "$ROOT/tests/servers/lib.sh"

pb_test_tmp hostile
API_PID=
cleanup() {
	[ -n "$API_PID" ] && kill -9 "$API_PID" 2>/dev/null
	pb_test_cleanup
}
pb_on_exit cleanup
export PB_PRICING_CONFIG=$ROOT/config/pricing.conf PB_ELIGIBILITY_CONFIG=$ROOT/config/eligibility.conf
export PB_SERVICE_CATEGORIES=$ROOT/config/service-categories.conf
pb_test_cluster_start
OUT=$TMP/invoices

H=bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date
H=$H,line_item_currency_code,line_item_unblended_cost,pricing_public_on_demand_cost,product_product_name
# cur MONTH FILE LINE...: a CUR 2.0 file of the month; each LINE is "ACCOUNT TYPE DAY BILLED LIST SERVICE".
cur() {
	local month=$1 file=$2 a t d b l s
	shift 2
	mkdir -p "$(dirname "$file")"
	{
		echo "$H"
		for x in "$@"; do
			read -r a t d b l s <<<"$x"
			[ "$l" == - ] && l=
			printf '%s-01T00:00:00Z,%s,%s,%s-%02dT01:00:00Z,USD,%s,%s,%s\n' "$month" "$a" "$t" "$month" "$d" "$b" "$l" "$s"
		done
	} >"$file"
}
# quiet NAME COMMAND...: runs it, a failure named NAME with its output.
quiet() {
	local name=$1
	shift
	"$@" >"$TMP/quiet.log" 2>&1 || notok "$name" "$(cat "$TMP/quiet.log")"
}

cat >"$TMP/accounts.csv" <<'CSV'
alias,name,billing_country
ACME1,Acme,US
ZERO1,Zero Co,US
TINY1,Tiny Co,US
BETA1,Beta,US
FORM1,=1+2,US
BIG1,Big,US
CSV
{
	"$PBC" import "$TMP/accounts.csv" --by test
	n=1
	for a in ACME1 ZERO1 TINY1 BETA1 FORM1 BIG1; do
		"$PBC" accept-terms $a --vendor centurylink --version 1 --by test
		"$PBC" accept-terms $a --vendor aws --region US --version 1 --by test
		"$PBC" link $a --vendor aws --partner-account "50000000000$n" --from 2026-01-01 --by test
		n=$((n + 1))
	done
} >"$TMP/setup.log" 2>&1 || notok "set up the accounts" "$(cat "$TMP/setup.log")"

# ---- an issued month re-aggregated after a late credit -------------------------------------------------------
# ZERO1's charges cancel out and TINY1's round to nothing: neither is on October's invoice, nor may either get
# an adjustment line of 0.00 when October changes for another account.
cur 2026-10 "$TMP/oct/cur.csv" "500000000001 Usage 2 3 3 EC2" \
	"500000000002 Usage 3 1 1 EC2" "500000000002 Credit 4 -1 - EC2" "500000000003 Usage 5 0.004 0.004 EC2" \
	"500000000004 Usage 6 4 4 EC2" "500000000005 Usage 7 2 2 =cmd|'/C calc'!A0"
quiet "ingest October" "$PBI" --format aws-cur --no-progress --final "$TMP/oct/cur.csv"
quiet "aggregate October" "$PBA" --month 2026-10 --detail
quiet "issue October" "$PBV" --month 2026-10 --issue --out "$OUT"
cur 2026-10 "$TMP/oct-late/cur.csv" "500000000001 Credit 28 -1 - EC2"
quiet "ingest October's late credit" "$PBI" --format aws-cur --no-progress --final "$TMP/oct-late/cur.csv"
quiet "aggregate October again" "$PBA" --month 2026-10 --detail
cur 2026-11 "$TMP/nov/cur.csv" "500000000001 Usage 3 5 5 EC2"
quiet "ingest November" "$PBI" --format aws-cur --no-progress --final "$TMP/nov/cur.csv"
quiet "aggregate November" "$PBA" --month 2026-11 --detail
"$PBV" --month 2026-11 --draft >"$TMP/out" 2>"$TMP/err"
check "a late credit: one adjustment for the account it changed, none of 0.00 for accounts never invoiced" \
	"0|invoice_number,billing_period_start,billing_period_end,line,account_alias,account_name,line_item,line_type,corrects_period_start,currency,amount,aws_amount,azure_amount
DRAFT-2026-11,2026-11-01,2026-11-30,1,ACME1,Acme,CenturyLink Cloud 1.0,charge,,USD,5.00,5.00,0.00
DRAFT-2026-11,2026-11-01,2026-11-30,2,ACME1,Acme,CenturyLink Cloud 1.0,adjustment,2026-10-01,USD,-1.00,-1.00,0.00|" \
	"$?|$(tr -d '\r' <"$TMP/out")|$(cat "$TMP/err")"


# ---- new terms, then the month close of an issued month run again ----------------------------------------------
# Finance raises ACME1's markup from November on. A rerun of October's month close (its aggregation again) keeps
# the markup October was invoiced with: no adjustment for it on November's invoice.
pb_sql "UPDATE pb.clc_account SET markup_percent = 10 WHERE alias = 'ACME1'" >/dev/null
quiet "aggregate October with the new markup" "$PBA" --month 2026-10 --detail
quiet "aggregate November with the new markup" "$PBA" --month 2026-11 --detail
check "the next invoice: the new markup on its own month only; October's adjustment is the late credit alone" \
	"DRAFT-2026-11,2026-11-01,2026-11-30,1,ACME1,Acme,CenturyLink Cloud 1.0,charge,,USD,5.50,5.50,0.00
DRAFT-2026-11,2026-11-01,2026-11-30,2,ACME1,Acme,CenturyLink Cloud 1.0,adjustment,2026-10-01,USD,-1.00,-1.00,0.00" \
	"$("$PBV" --month 2026-11 --draft 2>&1 | tr -d '\r' | tail -n +2)"
# BETA1 moves to EUR: October, whose rates are frozen, is aggregated again in USD as it was invoiced.
pb_sql "UPDATE pb.clc_account SET invoice_currency = 'EUR' WHERE alias = 'BETA1'" >/dev/null
"$PBA" --month 2026-10 --detail >"$TMP/out" 2>"$TMP/err"
check "an issued month aggregated again keeps the currency and markup of its invoice" \
	"0||ACME1,USD,0,0|BETA1,USD,0,0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT alias, currency, trim_scale(markup_percent), trim_scale(markup) FROM pb.aggregate_account a
	JOIN pb.aggregate_run r ON r.id = a.run_id AND r.status = 'current' AND r.billing_month = '2026-10-01'
	WHERE vendor = 'all' AND alias IN ('ACME1', 'BETA1') ORDER BY 1" | paste -sd'|')"

# ---- the FOCUS dataset of an issued month ----------------------------------------------------------------------
# October has changed since its invoice (the late credit): its FOCUS dataset is still the invoice's, whose
# BilledCost adds up per account to the exact figure each line was rounded from.
"$BIN/pb-invoice" --month 2026-10 --focus "$TMP/focus.csv" >"$TMP/out" 2>"$TMP/err"
check "--focus of an issued month: the invoiced run's rows, adding up to the invoice's exact amounts" \
	"0|$(pb_sql "SELECT a.alias || ',' || trim_scale(a.month_to_date + a.markup) FROM pb.aggregate_account a
	JOIN pb.invoice i ON i.run_id = a.run_id AND i.billing_month = '2026-10-01' WHERE a.vendor = 'all'
	AND a.month_to_date + a.markup <> 0 ORDER BY a.alias COLLATE \"C\"")" \
	"$?|$(python3 -c '
import csv, decimal, sys
t = {}
for r in csv.DictReader(open(sys.argv[1], newline="")):
    t[r["BillingAccountId"]] = t.get(r["BillingAccountId"], decimal.Decimal(0)) + decimal.Decimal(r["BilledCost"])
for a in sorted(t):
    if t[a]:
        print("%s,%s" % (a, format(t[a].normalize(), "f")))' "$TMP/focus.csv")"
check "the FOCUS dataset of hostile names conforms: every Mandatory column, types, allowed values, null rules" "0|" \
	"$(python3 "$ROOT/tests/integration/focus_check.py" "$TMP/focus.csv"; echo "$?|")"
# November's, whose invoice also corrects October (the late credit): its rows are November's charges alone, each
# marked up, and conform.
"$BIN/pb-invoice" --month 2026-11 --focus "$TMP/focus-nov.csv" >"$TMP/out" 2>"$TMP/err"
check "the FOCUS dataset of a month whose invoice adjusts the one before conforms" "0|" \
	"$(python3 "$ROOT/tests/integration/focus_check.py" "$TMP/focus-nov.csv"; echo "$?|")"
check "FOCUS text a spreadsheet would run as a formula is neutralized, as in the invoice files" \
	"2,FORM1,'=1+2,\"'=cmd|'/C calc'!A0 Usage, no region\",'=cmd|'/C calc'!A0,500000000005,500000000005" \
	"$(awk -F, '$2 == "FORM1"' "$TMP/focus.csv" | tr -d '\r' | cut -d, -f1-3,9-10,24-26)"

# ---- config read from an address ---------------------------------------------------------------------------------
# An address the server does not have was named wrong (exit 2); one that cannot be reached is the network's failure
# (exit 3, which pb-run retries). Neither is read as an empty file: no "no pricing rule", no FOCUS file written
# without its categories.
mkdir -p "$TMP/empty"
pb_refused_port || notok "a port that refuses connections"
port=$REFUSED_PORT
runs=$(pb_sql "SELECT count(*) FROM pb.aggregate_run")
if pb_headers_start "$TMP/empty" >/dev/null; then
	rm -f "$TMP/focus2.csv"
	PB_SERVICE_CATEGORIES=$HEADERS_ENDPOINT/service-categories.conf "$PBV" --month 2026-10 --focus "$TMP/focus2.csv" \
		>"$TMP/out" 2>"$TMP/err"
	check "a FOCUS category file the server does not have: exit 2, HTTP 404, no file written" \
		"2|pb-invoice: $HEADERS_ENDPOINT/service-categories.conf: HTTP 404, not retried|no file" \
		"$?|$(head -n 1 "$TMP/err")|$(test -e "$TMP/focus2.csv" && echo file || echo no file)"
	"$PBA" --month 2026-10 --pricing "$HEADERS_ENDPOINT/pricing.conf" >"$TMP/out" 2>"$TMP/err"
	check "a pricing file the server does not have: exit 2, HTTP 404, nothing aggregated" \
		"2|pb-aggregate: $HEADERS_ENDPOINT/pricing.conf: HTTP 404, not retried|$runs" \
		"$?|$(head -n 1 "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run")"
	printf 'aws Usage\n' >"$TMP/empty/bad-pricing.conf"
	secret=${HEADERS_ENDPOINT/http:\/\//http://alice:s3cr3tPW@}/bad-pricing.conf?sig=SECRETSIG
	"$PBA" --month 2026-10 --pricing "$secret" >"$TMP/out" 2>"$TMP/err"
	check "a config address with a password and a signature: neither is shown in a parse error" "1|no" \
		"$?|$(grep -c 's3cr3tPW\|SECRETSIG' "$TMP/err" | sed 's/^0$/no/')"
	pb_headers_stop
else
	notok "start a file server"
fi
PB_SERVICE_CATEGORIES=http://127.0.0.1:$port/service-categories.conf "$PBV" --month 2026-10 --focus "$TMP/focus2.csv" \
	>"$TMP/out" 2>"$TMP/err"
check "a FOCUS category file that cannot be downloaded: exit 3, naming the address, no file written" \
	"3|pb-invoice: http://127.0.0.1:$port/service-categories.conf: failed after 5 attempts: Failed to connect to 127.0.0.1 port $port: Couldn't connect to server|no file" \
	"$?|$(sed 's/ after [0-9]* ms//' "$TMP/err")|$(test -e "$TMP/focus2.csv" && echo file || echo no file)"
# Not a file: standard input, a FIFO (which would wait for ever) or a device is named wrong; an empty categories
# file is bad data, as an empty pricing file is: never every service 'Other'.
mkfifo "$TMP/fifo.conf"
for c in - "$TMP/fifo.conf" /dev/null; do
	timeout 120 "$PBA" --month 2026-10 --pricing "$c" >"$TMP/out" 2>"$TMP/err" </dev/null
	check "a pricing config '$c': exit 2, not a file" "2|pb-aggregate: '$c' is not a file: a config is a regular file or an address" \
		"$?|$(cat "$TMP/err")"
done
: >"$TMP/empty.conf"
rm -f "$TMP/focus2.csv"
PB_SERVICE_CATEGORIES=$TMP/empty.conf "$PBV" --month 2026-10 --focus "$TMP/focus2.csv" >"$TMP/out" 2>"$TMP/err"
check "an empty service categories file: exit 1, no file written" \
	"1|pb-invoice: $TMP/empty.conf: no service category|no file" \
	"$?|$(cat "$TMP/err")|$(test -e "$TMP/focus2.csv" && echo file || echo no file)"
# The service categories are read before the database is reached, as pb-aggregate reads its configs: with the
# database out of reach, a bad categories file is still bad data (exit 1, which pb-run does not retry), not a
# failed connection (exit 3).
PB_DATABASE_URL="host=$TMP/nowhere dbname=x connect_timeout=2" PB_SERVICE_CATEGORIES=$TMP/empty.conf "$PBV" \
	--month 2026-10 --focus "$TMP/focus2.csv" >"$TMP/out" 2>"$TMP/err"
check "the service categories are read before the database is reached: an empty file exit 1, the database out of reach" \
	"1|pb-invoice: $TMP/empty.conf: no service category|no file" \
	"$?|$(cat "$TMP/err")|$(test -e "$TMP/focus2.csv" && echo file || echo no file)"
printf 'PK\003\004garbage' >"$TMP/bad.zip"
"$PBA" --month 2026-10 --pricing "$TMP/bad.zip" >"$TMP/out" 2>"$TMP/err"
check "a pricing file that is a broken zip: bad data (exit 1), not a usage error" \
	"1|pb-aggregate: $TMP/bad.zip: cannot open zip archive: Not a zip archive" "$?|$(cat "$TMP/err")"
"$PBA" --month 2026-10 --pricing "file://$TMP/no-pricing.conf" >"$TMP/out" 2>"$TMP/err"
check "a pricing file named by a file:// address that is not there: a usage error, as its path is" \
	"2|pb-aggregate: cannot open 'file://$TMP/no-pricing.conf': No such file or directory|$runs" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run")"
"$PBA" --month 2026-10 --pricing "http://127.0.0.1:$port/pricing.conf" >"$TMP/out" 2>"$TMP/err"
check "a pricing file that cannot be downloaded: exit 3, naming the address, nothing aggregated" \
	"3|pb-aggregate: http://127.0.0.1:$port/pricing.conf: failed after 5 attempts: Failed to connect to 127.0.0.1 port $port: Couldn't connect to server|$runs" \
	"$?|$(sed 's/ after [0-9]* ms//' "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run")"

# ---- where the files go -----------------------------------------------------------------------------------------
# A careless --report /dev/stdout, --focus /dev/full or a FIFO: as root the temporary file made beside it was
# renamed over the device node or the link in /dev. A path that is there must be a regular file.
mkfifo "$TMP/fifo"
echo precious >"$TMP/target.html"
ln -s target.html "$TMP/link.html"
"$PBV" --month 2026-10 --report "$TMP/fifo" >"$TMP/out" 2>"$TMP/err"
st=$?
"$PBV" --month 2026-10 --focus "$TMP/link.html" >>"$TMP/out" 2>>"$TMP/err"
check "an output path that is a FIFO or a symbolic link: a usage error (exit 2), left as it was, nothing else written" \
	"2|2|pb-invoice: --report needs a regular file, not '$TMP/fifo' (it replaces the file whole)
Try 'pb-invoice --help'.
pb-invoice: --focus needs a regular file, not '$TMP/link.html' (it replaces the file whole)
Try 'pb-invoice --help'.|fifo|symbolic link|precious|" \
	"$st|$?|$(cat "$TMP/err")|$(stat -c %F "$TMP/fifo" | sed 's/^.*fifo$/fifo/')|$(stat -c %F "$TMP/link.html")|$(cat "$TMP/target.html")|$(cd "$TMP" && ls ./*.tmp.* 2>/dev/null)"
# A --report or --focus named as an invoice export (finance's import reads invoice-YYYY-MM.csv and its detail)
# replaced the export until the next --issue put it back: refused, whatever the folder, nothing written.
mkdir -p "$TMP/exports"
"$PBV" --month 2026-10 --report "$TMP/exports/invoice-2026-10.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
"$PBV" --month 2026-10 --focus "$TMP/exports/invoice-2026-10-detail.csv" >>"$TMP/out" 2>>"$TMP/err"
check "an output named as an invoice export: a usage error (exit 2), nothing written" \
	"2|2|pb-invoice: --report would replace an invoice export ('$TMP/exports/invoice-2026-10.csv'): name another file
Try 'pb-invoice --help'.
pb-invoice: --focus would replace an invoice export ('$TMP/exports/invoice-2026-10-detail.csv'): name another file
Try 'pb-invoice --help'.|" \
	"$st|$?|$(cat "$TMP/err")|$(ls -A "$TMP/exports")"
# The temporary file beside the path was PATH.tmp.PID, opened without O_EXCL: a link planted under that name
# (a shared folder) made the writer truncate and fill the file it points to. Run as process 1 of a PID
# namespace, the name is known in advance.
mkdir "$TMP/shared"
echo precious >"$TMP/victim"
ln -s ../victim "$TMP/shared/report.html.tmp.1"
if unshare --pid --fork true 2>/dev/null; then
	unshare --pid --fork "$PBV" --month 2026-10 --report "$TMP/shared/report.html" >"$TMP/out" 2>"$TMP/err"
	check "a link planted where the temporary file would go is not followed" \
		"0|precious|regular file|1" \
		"$?|$(head -c 20 "$TMP/victim")|$(stat -c %F "$TMP/shared/report.html")|$(grep -c '<h1>Partner cloud billing, 2026-10</h1>' "$TMP/shared/report.html")"
else
	ok "a link planted where the temporary file would go is not followed (skipped: no PID namespace here)"
fi

# ---- amounts near the top of the range ---------------------------------------------------------------------------
# The report's charts counted hundredths in a long long: past 92 quadrillion a day's figure wrapped, and far below
# that the pixel arithmetic overflowed (undefined behaviour; the sanitizers stop the program).
cur 2026-08 "$TMP/aug/cur.csv" "500000000006 Usage 2 1 50000000000000000000 EC2" "500000000006 Usage 3 1 3000000000000000 EC2"
quiet "ingest August" "$PBI" --format aws-cur --no-progress --final "$TMP/aug/cur.csv"
quiet "aggregate August" "$PBA" --month 2026-08 --detail
"$PBV" --month 2026-08 --report "$TMP/aug.html" >"$TMP/out" 2>"$TMP/err"
check "--report with a total near the range's end: the exact figures, every mark inside the chart" \
	"0||day 2: 50000000000000000000.00|day 3: 50003000000000000000.00|50003000000000000000.00|20 200" \
	"$?|$(cat "$TMP/err")|$(grep -o 'day [23]: [0-9.]*' "$TMP/aug.html" | paste -sd'|')|$(grep -o 'y="14">[0-9.]*' "$TMP/aug.html" | cut -d'>' -f2)|$(grep -o 'cy="[-0-9]*"' "$TMP/aug.html" | tr -dc '0-9\n-' | sort -n | sed -n '1p;$p' | paste -sd' ')"

# ---- the rates ---------------------------------------------------------------------------------------------------
# A pair given twice for one month in one file (a pasted line, a typo fixed below the old one): which one wins?
printf 'month,from,to,rate\n2026-12,USD,EUR,0.9\n2026-12,USD,JPY,150\n2026-12,USD,EUR,9.0\n' >"$TMP/rates.csv"
"$PBA" rates --load "$TMP/rates.csv" >"$TMP/out" 2>"$TMP/err"
check "rates --load: a pair repeated for a month is refused at its second line, nothing loaded" \
	"1|pb-aggregate: $TMP/rates.csv:4:1: the rate of 2026-12 from USD to EUR is on line 2 already|0" \
	"$?|$(cat "$TMP/out" "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.fx_rate WHERE month = '2026-12-01'")"

# ---- the pricing rules -------------------------------------------------------------------------------------------
# A rules file saved in Latin-1: its bytes went into the run's query and PostgreSQL refused them, an exit 3 (a
# dependency failed, which pb-run retries) instead of the bad file at its line and column.
printf '# pricing\n* * * exclude "r\351duction"\n' >"$TMP/latin1.conf"
current=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE billing_month = '2026-10-01' AND status = 'current'")
"$PBA" --month 2026-10 --pricing "$TMP/latin1.conf" >"$TMP/out" 2>"$TMP/err"
check "a pricing file that is not UTF-8: exit 1 at its line and column, nothing stored" \
	"1|pb-aggregate: $TMP/latin1.conf:2:17: invalid UTF-8|$current" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT id FROM pb.aggregate_run WHERE billing_month = '2026-10-01' AND status = 'current'")"

# ---- options -------------------------------------------------------------------------------------------------------
"$PBA" --month 2026-10 --as-of 2026-11-01 >"$TMP/out" 2>"$TMP/err"
check "--as-of outside the month: exit 2, naming the month" \
	"2|pb-aggregate: --as-of must be a day of the month 2026-10, not 2026-11-01" "$?|$(head -1 "$TMP/err")"
# Today, for the default --as-of, is the database server's (as for pb-ingest --final and pb-invoice --issue): a
# machine clock 45 days ahead (faketime) took the server's month as over (a run as of its last day, final for
# pb-invoice) and ran the next month, which has not begun. (ASan runs with faketime preloaded first.)
ST=$(pb_sql "SELECT (now() AT TIME ZONE 'UTC')::date")
SM=${ST%-*}
NM=$(date -u -d "$SM-01 +1 month" +%Y-%m)
"$PBA" --month 2999-01 >"$TMP/out" 2>"$TMP/err"
st=$?
check "a month not begun, without --as-of: exit 2, saying so and the day the database server takes for today" \
	"2|pb-aggregate: 2999-01 has not begun (today is $ST by the database server's clock): give --as-of, a day of the month" \
	"$st|$(cat "$TMP/err")"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime -f +45d \
	"$PBA" --month "$NM" >"$TMP/out" 2>"$TMP/err"
st=$?
check "the server's next month with the machine's clock 45 days ahead: not begun, exit 2, no run made" \
	"2|pb-aggregate: $NM has not begun (today is $ST by the database server's clock): give --as-of, a day of the month|0" \
	"$st|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.aggregate_run WHERE billing_month = '$NM-01'")"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime -f +45d \
	"$PBA" --month "$SM" >"$TMP/out" 2>"$TMP/err"
check "the server's month with the machine's clock 45 days ahead: as of the server's today, not the month's last day" \
	"0|$ST" \
	"$?|$(pb_sql "SELECT as_of FROM pb.aggregate_run WHERE billing_month = '$SM-01' AND status = 'current'")"
cur 2026-07 "$TMP/jul/cur.csv" "500000000001 Usage 3 5 5 EC2"
quiet "ingest July (not final)" "$PBI" --format aws-cur --no-progress "$TMP/jul/cur.csv"
quiet "aggregate July" "$PBA" --month 2026-07 --detail
"$PBV" --month 2026-07 --issue --force --reason "" --out "$OUT" >"$TMP/out" 2>"$TMP/err"
st=$?
"$PBV" --month 2026-07 --issue --force --reason "  " --out "$OUT" >>"$TMP/out" 2>>"$TMP/err"
check "--force with an empty or blank --reason: exit 2, nothing issued" \
	"2|2|pb-invoice: --reason takes a text saying why the month is issued, not ''
pb-invoice: --reason takes a text saying why the month is issued, not '  '|0" \
	"$st|$?|$(grep -v '^Try' "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2026-07-01'")"

# ---- job files -----------------------------------------------------------------------------------------------------
# A key written "name\0x" (a NUL through an escape) was read as name: only the six known keys are keys.
printf '"name\\0x": a\nsteps:\n  - name: s\n    run: [/bin/true]\n' >"$TMP/nul-key.yaml"
"$BIN/pb-run" "$TMP/nul-key.yaml" --month 2026-10 --dry-run >"$TMP/out" 2>"$TMP/err"
check "a job file's key holding a NUL: exit 1 at its place" \
	"1|pb-run: $TMP/nul-key.yaml:1:1: a key holds a NUL character|" "$?|$(cat "$TMP/err")|$(cat "$TMP/out")"
# A job file saved with a UTF-8 byte order mark (Windows editors): libyaml counted the mark as a column, so the
# keys below the first line fell outside its map: "the job has no 'steps'".
# shellcheck disable=SC2016 # literal text
printf '\357\273\277name: bom\nsteps:\n  - name: s\n    run: [/bin/echo, "${month}"]\n' >"$TMP/bom.yaml"
"$BIN/pb-run" "$TMP/bom.yaml" --month 2026-10 --dry-run >"$TMP/out" 2>"$TMP/err"
check "a job file that starts with a byte order mark is read as without it" \
	"0||job bom: month 2026-10, as_of 2026-10-31
s: /bin/echo 2026-10" "$?|$(cat "$TMP/err")|$(cat "$TMP/out")"

# ---- price lists -------------------------------------------------------------------------------------------------
M=33333333-aaaa-4bbb-8ccc-00000000000
# A tier minimum past the range of amounts was stored; pb-ingest then ordered the meter's tiers by values it could
# not compute and priced 10 GB at the tier from 10^21 GB on (1, not 5). A price of 1e-99999 reached the database,
# which refused it: exit 3 (a dependency failed, retried) without the file's line.
printf '{"Items": [\n{"meterId": "%s1", "unitOfMeasure": "1 GB", "currencyCode": "USD", "effectiveStartDate": "2026-09-01", "tierMinimumUnits": 0, "retailPrice": 0.5},\n{"meterId": "%s1", "unitOfMeasure": "1 GB", "currencyCode": "USD", "effectiveStartDate": "2026-09-01", "tierMinimumUnits": 1e21, "retailPrice": 0.1}\n]}\n' \
	"$M" "$M" >"$TMP/tier.json"
"$PBP" load --format azure-retail --no-progress "$TMP/tier.json" >"$TMP/out" 2>"$TMP/err"
check "a tier minimum past the range of amounts: exit 1 at its line and column, nothing stored" \
	"1|pb-prices: $TMP/tier.json:3:157: item 2: tierMinimumUnits \"1e21\" is out of range (more than 20 digits before the point, 38 after it, or 38 in all)|0" \
	"$?|$(cat "$TMP/out" "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price")"
printf 'meterId,unitOfMeasure,unitPrice,currency,effectiveStartDate\n%s2,1 Hour,1e-99999,USD,2026-09-01\n' "$M" >"$TMP/sheet.csv"
"$PBP" load --format azure-pricesheet --no-progress "$TMP/sheet.csv" >"$TMP/out" 2>"$TMP/err"
check "a price with an exponent past the range: exit 1 at its line and column, naming the sheet's column" \
	"1|pb-prices: $TMP/sheet.csv:2:45: price \"1e-99999\" in column 'unitPrice' is out of range (more than 20 digits before the point, 38 after it, or 38 in all)" \
	"$?|$(cat "$TMP/out" "$TMP/err")"
printf 'meterId,unitOfMeasure,unitPrice,currency,effectiveStartDate\n%s2,1 Hour,-1,USD,2026-09-01\n' "$M" >"$TMP/sheet.csv"
"$PBP" load --format azure-pricesheet --no-progress "$TMP/sheet.csv" >"$TMP/out" 2>"$TMP/err"
check "a negative price: the message names the column the sheet has (unitPrice), not the first it could have" \
	"1|pb-prices: $TMP/sheet.csv:2:45: negative price \"-1\" in column 'unitPrice'" "$?|$(cat "$TMP/out" "$TMP/err")"
printf 'meterId,unitOfMeasure,unitPrice,currency,effectiveStartDate\n%s2,1 Hour,1.5E-3,USD,2026-09-01\n' "$M" >"$TMP/sheet.csv"
"$PBP" load --format azure-pricesheet --no-progress --source sheet "$TMP/sheet.csv" >"$TMP/out" 2>"$TMP/err"
check "a price in exponent notation is kept exactly" "0||0.0015" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT unit_price FROM pb.price WHERE meter = '${M}2'")"

# A page's item naming its price twice, or a Count in exponent notation: the second price won silently, and
# Count 1e3 was read as 1.
printf '{"Items": [\n{"meterId": "%s4", "unitOfMeasure": "1 GB", "currencyCode": "USD", "effectiveStartDate": "2026-09-01", "retailPrice": 1, "retailPrice": 2}\n]}\n' \
	"$M" >"$TMP/twice.json"
printf '{"Items": [\n{"meterId": "%s4", "unitOfMeasure": "1 GB", "currencyCode": "USD", "effectiveStartDate": "2026-09-01", "retailPrice": 1}\n], "Count": 1e3}\n' \
	"$M" >"$TMP/count.json"
"$PBP" load --format azure-retail --no-progress "$TMP/twice.json" >"$TMP/out" 2>"$TMP/err"
st=$?
"$PBP" load --format azure-retail --no-progress "$TMP/count.json" >>"$TMP/out" 2>>"$TMP/err"
check "an item with its price twice, a Count that is not a whole number: exit 1 at their place" \
	"1|1|pb-prices: $TMP/twice.json:2:170: item 1: retailPrice is given twice
pb-prices: $TMP/count.json:3:13: Count is not a whole number|0" \
	"$st|$?|$(cat "$TMP/out" "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price WHERE meter = '${M}4'")"

# An effective end on the calendar's last day (9999-12-31, a common "no end"): the first day after it was written
# as year 0000, which the database refused: exit 3 (retried) without the file's line, for a sheet that is fine.
printf 'meterId,unitOfMeasure,unitPrice,currency,effectiveStartDate,effectiveEndDate\n%s5,1 Hour,1,USD,2026-09-01,12/31/9999\n' \
	"$M" >"$TMP/sheet.csv"
"$PBP" load --format azure-pricesheet --no-progress --source end "$TMP/sheet.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
printf '{"Items": [{"meterId": "%s6", "unitOfMeasure": "1 GB", "currencyCode": "USD", "effectiveStartDate": "2026-09-01", "effectiveEndDate": "9999-12-31T23:59:59Z", "retailPrice": 1}]}\n' \
	"$M" >"$TMP/end.json"
"$PBP" load --format azure-retail --no-progress --source end2 "$TMP/end.json" >>"$TMP/out" 2>>"$TMP/err"
check "an effective end of 9999-12-31: no end" "0|0||${M}5,-|${M}6,-" \
	"$st|$?|$(cat "$TMP/err")|$(pb_sql "SELECT meter, coalesce(effective_end::text, '-') FROM pb.price WHERE meter IN ('${M}5', '${M}6') ORDER BY 1" | paste -sd'|')"

# Text of a price list shown on the operator's terminal: a control character (an escape sequence) is shown as
# \xHH, never sent to the terminal as it is.
printf '{"Items": [{"meterId": "%s8", "productName": "Evil\\u001b[2J\\u0007", "unitOfMeasure": "1 GB", "currencyCode": "USD", "armRegionName": "eastus\\u001b", "effectiveStartDate": "2026-09-01", "retailPrice": 1}]}\n' \
	"$M" >"$TMP/esc.json"
"$PBP" load --format azure-retail --no-progress --source esc "$TMP/esc.json" >/dev/null 2>"$TMP/err"
"$PBP" show --vendor azure --meter "${M}8" >"$TMP/out" 2>>"$TMP/err"
check "show: control characters of a price list are shown as \\xHH" "0||0" \
	"$?|$(cat "$TMP/err")|$(LC_ALL=C grep -c $'[\x01-\x1f\x7f]' "$TMP/out")"
check "... and named" "yes" "$(grep -qF 'Evil\x1b[2J\x07' "$TMP/out" && grep -qF 'eastus\x1b' "$TMP/out" && echo yes)"

# The same meter in two currencies, the euro list loaded last: the euro load dropped the dollar prices as "older
# prices it covers", and pb-ingest chose the newest load's price whatever its currency, so every dollar line lost
# its list price ("its price is in another currency").
for c in USD:0.1 EUR:0.09; do
	printf '{"Items": [{"meterId": "%s7", "unitOfMeasure": "1 Hour", "currencyCode": "%s", "effectiveStartDate": "2026-09-01", "retailPrice": %s}]}\n' \
		"$M" "${c%%:*}" "${c#*:}" >"$TMP/cur.json"
	"$PBP" load --format azure-retail --no-progress --source "list-${c%%:*}" "$TMP/cur.json" >>"$TMP/cur.err" 2>&1
done
mkdir -p "$TMP/azure-cur"
printf 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure\n%s,10/05/2026,Usage,Reservation,Azure,USD,0.5,0,10,Virtual Machines,%s7,1 Hour\n' \
	6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f77 "$M" >"$TMP/azure-cur/cost.csv"
"$PBI" --format azure-cost --no-progress --final "$TMP/azure-cur/cost.csv" >"$TMP/out" 2>"$TMP/err"
check "a dollar line of a meter listed in dollars and then in euros: the dollar price" "0|0||1" \
	"$?|$(grep -c dropped "$TMP/cur.err")|$(cat "$TMP/err")|$(pb_sql "SELECT trim_scale(list_cost) FROM pb.usage_daily WHERE partner_account_id = '6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f77'")"

# One load pricing a meter in euros and in pounds, a pound line whose pricing currency is the euro (with its rate):
# it took the euro price times the rate, the euro sorting first, not the list's own pound price.
printf '{"Items": [{"meterId": "%sa", "unitOfMeasure": "1 Hour", "currencyCode": "GBP", "effectiveStartDate": "2026-09-01", "retailPrice": 0.2}, {"meterId": "%sa", "unitOfMeasure": "1 Hour", "currencyCode": "EUR", "effectiveStartDate": "2026-09-01", "retailPrice": 0.1}]}\n' \
	"$M" "$M" >"$TMP/cur2.json"
"$PBP" load --format azure-retail --no-progress --source list-two "$TMP/cur2.json" >"$TMP/out" 2>"$TMP/err"
printf 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,PricingCurrency,exchangeRatePricingToBilling,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure\n%s,10/05/2026,Usage,Reservation,Azure,GBP,EUR,0.85,0.5,0,10,Virtual Machines,%sa,1 Hour\n' \
	7c2a4d3b-9e5f-4a8b-8c3d-2f6e8b0d4a88 "$M" >"$TMP/azure-cur/cost2.csv"
"$PBI" --format azure-cost --no-progress --final "$TMP/azure-cur/cost2.csv" >"$TMP/out" 2>>"$TMP/err"
check "a pound line priced in pounds and euros by one load, its pricing currency the euro: the pound price" "0||2" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT trim_scale(list_cost) FROM pb.usage_daily WHERE partner_account_id = '7c2a4d3b-9e5f-4a8b-8c3d-2f6e8b0d4a88'")"

# An empty file given as a price sheet: its message named line 0.
: >"$TMP/empty.csv"
"$PBP" load --format azure-pricesheet --no-progress "$TMP/empty.csv" >"$TMP/out" 2>"$TMP/err"
check "an empty price sheet: exit 1 at line 1" "1|pb-prices: $TMP/empty.csv:1:1: no header: not an Azure price sheet" \
	"$?|$(cat "$TMP/out" "$TMP/err")"

# A price sheet saved as Excel's "Unicode text" (UTF-16): "missing required column 'meterId'", as if the sheet
# were another file.
printf '\377\376m\000e\000t\000e\000r\000I\000d\000\n\000' >"$TMP/utf16.csv"
"$PBP" load --format azure-pricesheet --no-progress "$TMP/utf16.csv" >"$TMP/out" 2>"$TMP/err"
check "a UTF-16 price sheet: exit 1, saying so" \
	"1|pb-prices: $TMP/utf16.csv:1:1: a UTF-16 byte order mark: a price list is read as UTF-8 text" \
	"$?|$(cat "$TMP/out" "$TMP/err")"

# NextPageLink was opened as whatever it named: a local file (its prices loaded), another server, s3:// with the
# AWS credentials. A page's next page is at the API's own scheme, host and port.
mkdir -p "$TMP/api"
printf '{"Items": [{"meterId": "%s9", "unitOfMeasure": "1 GB", "currencyCode": "USD", "effectiveStartDate": "2026-09-01", "retailPrice": 99}]}\n' "$M" >"$TMP/planted.json"
printf '{"Items": [{"meterId": "%s3", "unitOfMeasure": "1 GB", "currencyCode": "USD", "effectiveStartDate": "2026-09-01", "retailPrice": 1}], "NextPageLink": "%s"}\n' \
	"$M" "$TMP/planted.json" >"$TMP/api/local.json"
# shellcheck disable=SC2016 # literal text
printf '{"Items": [], "NextPageLink": "http://127.0.0.1:1/api/retail/prices?$skip=100"}\n' >"$TMP/api/port.json"
printf '{"Items": [], "NextPageLink": "s3://bucket/prices.json"}\n' >"$TMP/api/s3.json"
pb_fault_start "$TMP/api" '' >/dev/null || exit 1
for p in local port s3; do
	"$PBP" load --format azure-retail --no-progress --url "$FAULT_ENDPOINT/$p.json" >"$TMP/out" 2>>"$TMP/err.next"
	echo "$?" >>"$TMP/err.next"
done
check "a NextPageLink to a local file, another port or s3://: exit 1 naming it, nothing read there" \
	"pb-prices: $FAULT_ENDPOINT/local.json?\$filter=priceType%20eq%20%27Consumption%27: NextPageLink '$TMP/planted.json' is not a page of the same API (its scheme, host and port)
1
pb-prices: $FAULT_ENDPOINT/port.json?\$filter=priceType%20eq%20%27Consumption%27: NextPageLink 'http://127.0.0.1:1/api/retail/prices?\$skip=100' is not a page of the same API (its scheme, host and port)
1
pb-prices: $FAULT_ENDPOINT/s3.json?\$filter=priceType%20eq%20%27Consumption%27: NextPageLink 's3://bucket/prices.json' is not a page of the same API (its scheme, host and port)
1|0" "$(cat "$TMP/err.next")|$(pb_sql "SELECT count(*) FROM pb.price WHERE meter = '${M}9'")"
# A NextPageLink back to the page itself, the API's URL signed with a SAS: refused, the signature not shown.
Q="$FAULT_ENDPOINT/loop.json?sig=s3cr3t&\$filter=priceType%20eq%20%27Consumption%27"
printf '{"Items": [], "NextPageLink": "%s"}\n' "$Q" >"$TMP/api/loop.json"
"$PBP" load --format azure-retail --no-progress --url "$FAULT_ENDPOINT/loop.json?sig=s3cr3t" >"$TMP/out" 2>"$TMP/err"
check "a NextPageLink back to a page read already: exit 1, a signature in the URL not shown" \
	"1|0|1" "$?|$(grep -c s3cr3t "$TMP/err")|$(grep -c "NextPageLink .* comes back to a page read already$" "$TMP/err")"
# A NextPageLink chain that never ends, each page new: cut off at the most pages (5 in this test build).
for i in 0 1 2 3 4 5 6; do
	printf '{"Items": [], "NextPageLink": "%s/chain%d.json"}\n' "$FAULT_ENDPOINT" $((i + 1)) >"$TMP/api/chain$i.json"
done
PB_TEST_MAX_PAGES=5 "$PBP" load --format azure-retail --no-progress --url "$FAULT_ENDPOINT/chain0.json" >"$TMP/out" 2>"$TMP/err"
check "a NextPageLink chain past the most pages: exit 1 naming the last page" \
	"1|pb-prices: $FAULT_ENDPOINT/chain4.json: NextPageLink '$FAULT_ENDPOINT/chain5.json': more than 5 pages" "$?|$(cat "$TMP/err")"
# A chain whose pages are not empty but give the first two pages' items again and again, each under a new link:
# it was read up to the 100,000th page. The same items as a page read before it, with a next page, end it.
for i in $(seq 0 9); do
	printf '{"Items": [{"meterId": "%s%d", "unitOfMeasure": "1 GB", "currencyCode": "USD", "effectiveStartDate": "2026-09-01", "retailPrice": 1}], "NextPageLink": "%s/rep%d.json?sig=s3cr3t"}\n' \
		"$M" $((i % 2 + 4)) "$FAULT_ENDPOINT" $((i + 1)) >"$TMP/api/rep$i.json"
done
"$PBP" load --format azure-retail --no-progress --source repeat --url "$FAULT_ENDPOINT/rep0.json?sig=s3cr3t" >"$TMP/out" 2>"$TMP/err"
check "a NextPageLink chain repeating its pages' items under new links: exit 1 naming both pages, nothing committed" \
	"1|pb-prices: $FAULT_ENDPOINT/rep3.json: the page holds the same 1 item as '$FAULT_ENDPOINT/rep1.json', read before it, and gives a next page: an answer of the API that repeats its pages would not end|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'repeat' AND status = 'committed'")"
# The offer index named the offer files wherever it liked: a URL of another server was read like its own paths.
mkdir -p "$TMP/api/offers"
printf '{"offers": {"AmazonEC2": {"currentVersionUrl": "http://127.0.0.1:1/offers/AmazonEC2/index.json"}}}\n' \
	>"$TMP/api/offers/index.json"
"$PBP" load --format aws-offer --no-progress --service AmazonEC2 --url "$FAULT_ENDPOINT/offers/index.json" \
	>"$TMP/out" 2>"$TMP/err"
check "an offer index naming a file on another server: exit 1 naming it, nothing read there" \
	"1|pb-prices: $FAULT_ENDPOINT/offers/index.json: offer AmazonEC2: currentVersionUrl 'http://127.0.0.1:1/offers/AmazonEC2/index.json' is not on the index's server" \
	"$?|$(cat "$TMP/out" "$TMP/err")"
pb_fault_stop

# ---- price lists that yield nothing, loop, or say too little -------------------------------------------------
N=44444444-aaaa-4bbb-8ccc-0000000000
# price ID PRICE [TIER [REGION]]: one item of a Retail Prices API page.
price() {
	printf '{"meterId": "%s", "armRegionName": "%s", "unitOfMeasure": "1 GB", "currencyCode": "USD", "effectiveStartDate": "2026-09-01", "tierMinimumUnits": %s, "retailPrice": %s}' \
		"$1" "${4:-eastus}" "${3:-0}" "$2"
}

# A load in which every price is given twice with different values stored 0 prices, with a warning, and
# superseded the source's previous load: show and pb-ingest lost the source's prices.
printf '{"Items": [%s]}\n' "$(price "${N}10" 0.5)" >"$TMP/dup-good.json"
quiet "load the prices of source dup" "$PBP" load --format azure-retail --no-progress --source dup "$TMP/dup-good.json"
good=$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'dup' AND status = 'committed'")
printf '{"Items": [\n%s,\n%s,\n%s,\n%s\n]}\n' "$(price "${N}10" 0.6)" "$(price "${N}10" 0.7)" "$(price "${N}11" 1)" \
	"$(price "${N}11" 2)" >"$TMP/dup.json"
"$PBP" load --format azure-retail --no-progress --source dup "$TMP/dup.json" >"$TMP/out" 2>"$TMP/err"
check "a load whose every price is a conflicting duplicate: exit 1 naming the source and why, nothing committed" \
	"1|pb-prices: no usable price from dup: all 4 prices read are conflicting duplicates (2 keys of meter, region, unit, currency, tier and start priced two ways, the first: meter ${N}10, region 'eastus', unit '1 GB', currency USD, tier 0, from 2026-09-01: price 0.6 at $TMP/dup.json:2:98, price 0.7 at $TMP/dup.json:3:98): nothing stored|$good|failed" \
	"$?|$(cat "$TMP/out" "$TMP/err")|$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'dup' AND status = 'committed'")|$(pb_sql "SELECT status FROM pb.price_load WHERE source = 'dup' ORDER BY id DESC LIMIT 1")"
"$PBP" show --vendor azure --meter "${N}10" >"$TMP/out" 2>"$TMP/err"
check "... and the previous load stays current: show answers with its price" \
	"0|2026-09-01 - eastus 1 GB 0 0.5 USD $good|" "$?|$(tail -n +3 "$TMP/out" | tr -s ' ')|$(cat "$TMP/err")"

# ---- pb-api: a slow client ---------------------------------------------------------------------------------------
# One client that opens connections and never finishes a request (slow loris) held every connection the server
# takes: others were refused until it let go. A client address gets a share of them.
"$BIN/pb-api" --listen 127.0.0.1 --port 0 --max-connections 100 >"$TMP/api.log" 2>&1 &
API_PID=$!
api_ready() {
	URL=$(sed -n 's|.*listening on \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$TMP/api.log")
	[ -n "$URL" ] && grep -q "listening for the database's notifications" "$TMP/api.log"
}
pb_until 120 api_ready || notok "pb-api starts" "$(cat "$TMP/api.log")"
python3 - "${URL##*:}" >"$TMP/out" 2>&1 <<'PY'
import socket, subprocess, sys
port = int(sys.argv[1])
held = []
for _ in range(100):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    held.append(s)
other = subprocess.run(["curl", "-s", "-m", "30", "--interface", "127.0.0.2", "-w", " %{http_code}",
                        "http://127.0.0.1:%d/healthz" % port], capture_output=True, text=True)
print(other.stdout)
PY
check "a client holding connections open without finishing a request: another client is served" \
	'{"status":"ok"} 200' "$(cat "$TMP/out")"
kill -TERM "$API_PID"
wait "$API_PID"
check "... and the server stops as usual" "0" "$?"
API_PID=

# PB_STORE_MEMORY that is not a positive number of megabytes is refused before anything is read (it was
# silently taken as the default 64).
cur 2026-10 "$TMP/mem.csv" "ACME1 Usage 1 1.00 1.00 AmazonEC2"
for v in abc 0 -1 64x 99999999999999999999; do
	PB_STORE_MEMORY=$v "$PBI" --format aws-cur --month 2026-10 "$TMP/mem.csv" >"$TMP/out" 2>&1
	check "PB_STORE_MEMORY=$v: exit status 2 and a message naming it" \
		"2 pb-ingest: PB_STORE_MEMORY '$v' is not a number of megabytes from 1 to 1099511627775" \
		"$? $(head -1 "$TMP/out")"
done

# --cacert naming a directory or an empty file is refused at the start (it was taken, and every https request
# then failed, retried as if the network were down).
: >"$TMP/empty.pem"
"$PBI" --format aws-cur --month 2026-10 --cacert "$TMP" --source https://127.0.0.1:1/r >"$TMP/out" 2>&1
check "--cacert naming a directory: exit status 2 naming it" \
	"2 pb-ingest: --cacert: '$TMP' is not a file" "$? $(head -1 "$TMP/out")"
"$PBI" --format aws-cur --month 2026-10 --cacert "$TMP/empty.pem" --source https://127.0.0.1:1/r >"$TMP/out" 2>&1
check "--cacert naming an empty file: exit status 2 naming it" \
	"2 pb-ingest: --cacert: '$TMP/empty.pem' is empty" "$? $(head -1 "$TMP/out")"

# Started with standard error (or input, or output) closed, as a careless cron line does: the database
# connection took descriptor 2, and the first warning went into it (the server closed the connection; the
# import failed, exit 3, every night).
mkdir -p "$TMP/closed"
cp "$ROOT/tests/fixtures/azure-cost/csp-basic.csv" "$TMP/closed/"
"$PBI" --format azure-cost --no-progress "$TMP/closed/csp-basic.csv" 2>&- >"$TMP/out"
check "pb-ingest with standard error closed, a warning to say: exit 0, the import committed" \
	"0|committed" "$?|$(pb_sql "SELECT status FROM pb.import WHERE source = 'file://$TMP/closed' ORDER BY id DESC LIMIT 1")"
runs=$(pb_sql "SELECT count(*) FROM pb.aggregate_run WHERE billing_month = '2026-10-01'")
"$PBA" --month 2026-10 >&- 2>&-
check "pb-aggregate with standard output and error closed: what it says goes nowhere, exit 0, one more run" \
	"0|$((runs + 1))" "$?|$(pb_sql "SELECT count(*) FROM pb.aggregate_run WHERE billing_month = '2026-10-01'")"

# A file named with a line feed and an escape sequence: the message went out as two lines, the second one as
# the name made it, and its escape coloured (or could clear) the reader's terminal. A message is one line,
# control characters shown as \xHH, as --log-format json escapes them.
"$PBI" --format aws-cur --summary "$TMP/bad"$'\n'"na"$'\033'"[31mme.csv" >"$TMP/out" 2>"$TMP/err"
check "a file named with a line feed and an escape: one line, both shown as \\xHH, exit 1" \
	"1|1|pb-ingest: cannot open '$TMP/bad\x0ana\x1b[31mme.csv': No such file or directory" \
	"$?|$(wc -l <"$TMP/err")|$(cat "$TMP/err")"
# A C1 control written in UTF-8 (U+009B, a terminal's CSI), a DEL and bytes that are not UTF-8 went out as they
# were; each is shown as \xHH too, the valid characters (an accent, the euro sign, CJK, an emoji) as they are.
# In JSON, DEL and C1 are escaped as C0 is (\u007f, \u009b), and each byte that is not UTF-8 is U+FFFD.
name="$TMP/c1"$'\xc2\x9b'"2J-del"$'\x7f'"-bad"$'\xff\xfe'"-é€中😀.csv"
"$PBI" --format aws-cur --summary "$name" >"$TMP/out" 2>"$TMP/err"
check "a file named with C1, DEL and bytes not UTF-8: each shown as \\xHH, exit 1" \
	"1|pb-ingest: cannot open '$TMP/c1\xc2\x9b2J-del\x7f-bad\xff\xfe-é€中😀.csv': No such file or directory" \
	"$?|$(cat "$TMP/err")"
"$PBI" --log-format json --format aws-cur --summary "$name" >"$TMP/out" 2>"$TMP/err"
check "--log-format json: the same name, DEL and C1 escaped, valid JSON" \
	"1|\"cannot open '$TMP/c1\\u009b2J-del\\u007f-bad��-é€中😀.csv': No such file or directory\"|cannot open '$TMP/c1"$'\xc2\x9b'"2J-del"$'\x7f'"-bad��-é€中😀.csv': No such file or directory" \
	"$?|$(grep -o '"cannot[^}]*"' "$TMP/err")|$(python3 -c 'import json, sys; print(json.load(sys.stdin)["message"])' <"$TMP/err")"
# pb-run's usage errors and pb-db's messages did not go through the logger: an option or a command with an
# escape sequence and a line feed reached the terminal as it was.
"$BIN/pb-run" "--x"$'\033[2J\n' >"$TMP/out" 2>"$TMP/err"
check "pb-run: an unknown option with an escape and a line feed shown as \\xHH, exit 2" \
	"2|pb-run: unknown option '--x\x1b[2J\x0a'
Try 'pb-run --help'." "$?|$(cat "$TMP/err")"
"$BIN/pb-db" $'st\033[2Jatus\n' >"$TMP/out" 2>"$TMP/err"
check "pb-db: an unknown command with an escape and a line feed shown as \\xHH, exit 2" \
	"2|pb-db: unknown command 'st\x1b[2Jatus\x0a'
Try 'pb-db --help'." "$?|$(cat "$TMP/err")"
PB_VAR_DIR=$TMP/$'no\033[2J' "$BIN/pb-db" start >"$TMP/out" 2>"$TMP/err"
check "pb-db: a PB_VAR_DIR with an escape, named with it shown as \\xHH, exit 3" \
	"3|pb-db: start: no local cluster: '$TMP/no\x1b[2J' does not exist (run 'pb-db init')" "$?|$(cat "$TMP/err")"
# The sanitized build found the message of a cluster that is not there kept unfreed (exit 1 at its end).
PB_VAR_DIR=$TMP/none "$BIN/pb-db" stop >"$TMP/out" 2>"$TMP/err"
check "pb-db stop where no cluster was made: exit 3, said so, nothing said stopped" \
	"3||pb-db: stop: no local cluster in '$TMP/none/pg': nothing stopped (set PB_VAR_DIR to the folder of the one to stop)" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
# A URL with a blank or a control character (a space not percent-encoded, a tab pasted with it): curl refused it
# at each attempt ("URL using bad/illegal format"), which read as the server failing, exit 3, a step pb-run
# retries. It is a FILE that cannot be opened, exit 1, before any download, for pb-ingest and pb-prices alike.
"$PBI" --format aws-cur --summary 'https://127.0.0.1:1/cur 10.csv' >"$TMP/out" 2>"$TMP/err"
check "pb-ingest: a URL holding a space: exit 1, saying to percent-encode it" \
	"1|pb-ingest: https://127.0.0.1:1/cur 10.csv: a URL holds no blank or control character (byte 24): percent-encode it (%20 for a space)" \
	"$?|$(cat "$TMP/err")"
"$PBP" load --format aws-offer $'https://127.0.0.1:1/offer\t.json' >"$TMP/out" 2>"$TMP/err"
check "pb-prices: a URL holding a tab: exit 1, the tab shown as \\x09" \
	"1|pb-prices: https://127.0.0.1:1/offer\x09.json: a URL holds no blank or control character (byte 26): percent-encode it (%20 for a space)" \
	"$?|$(cat "$TMP/err")"
# A local file that is not there, the database out of reach: pb-prices connected first and failed with exit 3 (a
# dependency, which pb-run retries), and so did pb-ingest when the missing file was not the first (the first is
# read for its month before connecting). The files named are opened before connecting: bad input, exit 1.
cur 2025-06 "$TMP/down/cur.csv" "500000000001 Usage 2 1 1 EC2"
down="host=$TMP/nowhere dbname=x connect_timeout=2"
for f in aws-offer azure-pricesheet azure-retail; do
	PB_DATABASE_URL=$down "$PBP" load --format $f --no-progress "$TMP/down/cur.csv" "$TMP/down/none.csv" \
		>"$TMP/out" 2>"$TMP/err"
	check "pb-prices load --format $f of a file that is not there, the database out of reach: exit 1" \
		"1|pb-prices: cannot open '$TMP/down/none.csv': No such file or directory" "$?|$(cat "$TMP/err")"
done
PB_DATABASE_URL=$down "$PBP" load --format aws-offer --no-progress "file://$TMP/down/no%20ne.csv" >"$TMP/out" 2>"$TMP/err"
check "pb-prices load of a file:// address that is not there, the database out of reach: exit 1" \
	"1|pb-prices: cannot open 'file://$TMP/down/no%20ne.csv': No such file or directory" "$?|$(cat "$TMP/err")"
PB_DATABASE_URL=$down "$PBI" --format aws-cur --no-progress "$TMP/down/cur.csv" "$TMP/down/none.csv" >"$TMP/out" 2>"$TMP/err"
check "pb-ingest: a second file that is not there, the database out of reach: exit 1" \
	"1|pb-ingest: cannot open '$TMP/down/none.csv': No such file or directory" "$?|$(cat "$TMP/err")"
PB_DATABASE_URL=$down "$PBI" --format aws-cur --no-progress --month 2025-06 "$TMP/down/none.csv" >"$TMP/out" 2>"$TMP/err"
check "pb-ingest --month: a file that is not there, the database out of reach: exit 1" \
	"1|pb-ingest: cannot open '$TMP/down/none.csv': No such file or directory" "$?|$(cat "$TMP/err")"
PB_DATABASE_URL=$down "$PBI" --format aws-cur --no-progress --month 2025-06 "$TMP/down" >"$TMP/out" 2>"$TMP/err"
check "pb-ingest --month: a folder, the database out of reach: exit 1, as pb-ingest(1) says" \
	"1|pb-ingest: cannot read '$TMP/down': Is a directory" "$?|$(cat "$TMP/err")"
# With the database up, the same message, and no load or import begun of it.
"$PBP" load --format aws-offer --no-progress --source down "$TMP/down/cur.csv" "$TMP/down/none.csv" >"$TMP/out" 2>"$TMP/err"
check "pb-prices load of a file that is not there: exit 1, no load recorded" \
	"1|pb-prices: cannot open '$TMP/down/none.csv': No such file or directory|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'down'")"
"$PBI" --format aws-cur --no-progress --source down "$TMP/down/cur.csv" "$TMP/down/none.csv" >"$TMP/out" 2>"$TMP/err"
check "pb-ingest of a file that is not there: exit 1, no import recorded" \
	"1|pb-ingest: cannot open '$TMP/down/none.csv': No such file or directory|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.import WHERE source = 'down'")"
# A report delivery in a local folder (--source file://DIR) without a manifest for the month was exit 3, the status of
# a bucket AWS has not written yet, which pb-run retries; nothing writes to a local folder while it retries, and its
# absence is known before connecting: bad input, exit 1, whether the database is up or not, nothing recorded.
mkdir -p "$TMP/down/rep"
nm="pb-ingest: no manifest for 2025-06 at file://$TMP/down/rep/20250601-20250701/rep-Manifest.json or file://$TMP/down/rep/metadata/BILLING_PERIOD=2025-06/rep-Manifest.json"
PB_DATABASE_URL=$down "$PBI" --format aws-cur --no-progress --source "file://$TMP/down/rep" --month 2025-06 >"$TMP/out" 2>"$TMP/err"
check "pb-ingest --source file://DIR without the month's manifest, the database out of reach: exit 1" "1|$nm" \
	"$?|$(cat "$TMP/err")"
"$PBI" --format aws-cur --no-progress --source "file://$TMP/down/rep" --month 2025-06 >"$TMP/out" 2>"$TMP/err"
check "the same with the database up: exit 1, no import recorded" "1|$nm|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.import WHERE source LIKE 'file://$TMP/down/rep%'")"
# An export in a folder named with an escape sequence and a tab: the import's source (the folder's URL) went out
# of 'committed' and --history as it was, and so did the error --history shows of a failed import there (the
# file it had reached, as a run stopped by SIGTERM between two files records it).
evil=$TMP/$'ev\033[31mil\tdir'
cur 2025-06 "$evil/cur.csv" "500000000001 Usage 2 1 1 EC2"
cur 2025-06 "$evil/bad/a.csv" "500000000001 Usage 2 1 1 EC2"
cur 2025-06 "$evil/bad/b.csv" "500000000001 Usage 3 1 1 EC2"
"$PBI" --format aws-cur --no-progress "$evil/cur.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
: >"$TMP/err2"
PB_TEST_PAUSE=read env --default-signal=TERM "$PBI" --format aws-cur --no-progress "$evil/bad/a.csv" \
	"$evil/bad/b.csv" >/dev/null 2>"$TMP/err2" &
bg=$!
pb_until 120 grep -q 'test pause at read' "$TMP/err2" || notok "the import pauses at read" "$(cat "$TMP/err2")"
kill -TERM $bg
wait $bg
"$PBI" --history --month 2025-06 >"$TMP/hist" 2>&1
shown="file://$TMP/ev\x1b[31mil\x09dir"
check "a source folder named with an escape and a tab: shown as \\xHH by 'committed' and --history" \
	"0|import N committed: aws 2025-06 from $shown: 1 file, 1 lines, 1 daily rows, list_cost 1, billed_cost 1|$shown
$shown/bad  ($TMP/ev\x1b[31mil\x09dir/bad/b.csv:1: interrupted by SIGTERM)|0" \
	"$st|$(sed -E 's/^import [0-9]+/import N/' "$TMP/out")|$(grep -o 'file://.*$' "$TMP/hist")|$(LC_ALL=C grep -c $'[\x01-\x1f\x7f]' "$TMP/hist")"

# A machine whose host name is not UTF-8 (a Latin-1 name set by hand): each program records who ran it with the
# host's name, and the database refused the bytes, so the import, the price load, the aggregate run, the invoice
# and the job run each failed with exit 3, as if the database had failed. Each byte that is not UTF-8 is now
# recorded as '?'. The name is set in a UTS namespace of the command's own (unshare, as root).
if unshare --uts sh -c 'printf probe >/proc/sys/kernel/hostname' 2>/dev/null; then
	latin1() { unshare --uts sh -c 'printf "h\351te" >/proc/sys/kernel/hostname && exec "$@"' sh "$@"; }
	cur 2026-03 "$TMP/latin1/cur.csv" "500000000001 Usage 2 3 3 EC2"
	latin1 "$PBI" --format aws-cur --no-progress --final "$TMP/latin1/cur.csv" >"$TMP/out" 2>&1
	check "pb-ingest on a host named in Latin-1: stored, run_by with '?'" "0|pb-ingest pid N on h?te" \
		"$?|$(pb_sql "SELECT regexp_replace(run_by, 'pid [0-9]+', 'pid N') FROM pb.import WHERE billing_month = '2026-03-01' AND status = 'committed'")"
	printf 'meterId,unitOfMeasure,unitPrice,currency,effectiveStartDate\n%s9,1 Hour,2,USD,2026-03-01\n' "$M" >"$TMP/latin1/sheet.csv"
	latin1 "$PBP" load --format azure-pricesheet --no-progress --source latin1 "$TMP/latin1/sheet.csv" >"$TMP/out" 2>&1
	check "pb-prices on a host named in Latin-1: loaded, run_by with '?'" "0|pb-prices pid N on h?te" \
		"$?|$(pb_sql "SELECT regexp_replace(run_by, 'pid [0-9]+', 'pid N') FROM pb.price_load WHERE source = 'latin1'")"
	printf 'month,from,to,rate\n2026-03,USD,EUR,0.9\n' >"$TMP/latin1/rates.csv"
	latin1 "$PBA" rates --load "$TMP/latin1/rates.csv" >"$TMP/out" 2>&1
	check "pb-aggregate rates --load on a host named in Latin-1: loaded, loaded_by with '?'" "0|root@h?te" \
		"$?|$(pb_sql "SELECT loaded_by FROM pb.fx_rate WHERE month = '2026-03-01'")"
	latin1 "$PBA" --month 2026-03 --detail >"$TMP/out" 2>&1
	check "pb-aggregate on a host named in Latin-1: run, run_by with '?'" "0|root@h?te" \
		"$?|$(pb_sql "SELECT run_by FROM pb.aggregate_run WHERE billing_month = '2026-03-01'")"
	latin1 "$PBV" --month 2026-03 --issue --out "$TMP/latin1/out" >"$TMP/out" 2>&1
	check "pb-invoice --issue on a host named in Latin-1: issued, issued_by with '?'" "0|root@h?te" \
		"$?|$(pb_sql "SELECT issued_by FROM pb.invoice WHERE billing_month = '2026-03-01'")"
	printf 'name: latin1-host\nsteps:\n  - {name: a, run: [true]}\n' >"$TMP/latin1/job.yaml"
	latin1 "$BIN/pb-run" "$TMP/latin1/job.yaml" --month 2026-03 >"$TMP/out" 2>&1
	check "pb-run on a host named in Latin-1: run, run_by with '?'" "0|root@h?te pid N" \
		"$?|$(pb_sql "SELECT regexp_replace(run_by, 'pid [0-9]+', 'pid N') FROM pb.job_run WHERE job = 'latin1-host'")"
	latin1 "$BIN/pb-api" token create --account ZERO1 >"$TMP/out" 2>&1
	check "pb-api token create on a host named in Latin-1: made, created_by with '?'" "0|root@h?te" \
		"$?|$(pb_sql "SELECT created_by FROM pb.api_token WHERE alias = 'ZERO1'")"
	# A host name with control characters (a tab, an escape sequence): recorded as they were, they reached the
	# terminal of whoever read pb-run --history (a colour, a cursor moved) and the tab broke its columns.
	printf 'name: control-host\nsteps:\n  - {name: a, run: [true]}\n' >"$TMP/latin1/control.yaml"
	unshare --uts sh -c 'printf "h\tx\033[31m" >/proc/sys/kernel/hostname && exec "$@"' sh \
		"$BIN/pb-run" "$TMP/latin1/control.yaml" --month 2026-03 >"$TMP/out" 2>&1
	st=$?
	"$BIN/pb-run" --history --job control-host >"$TMP/out" 2>&1
	st2=$?
	check "pb-run on a host whose name holds a tab and an escape: run, run_by and --history with '?' for each" \
		"0|root@h?x?[31m pid N|0|0" \
		"$st|$(pb_sql "SELECT regexp_replace(run_by, 'pid [0-9]+', 'pid N') FROM pb.job_run WHERE job = 'control-host'")|$st2|$(grep -c $'[\t\033]' "$TMP/out")"
else
	echo "# skipped: no UTS namespace here (unshare --uts), so no host named in Latin-1"
fi

pb_tests_done
