#!/usr/bin/env bash
# The pb-ingest items of the ingest review, each against a throwaway PostgreSQL cluster: the same data never
# billed twice (an import's identity includes its format; the same bytes in two current imports refused;
# partner accounts two current imports hold reported), an empty export never replacing a good import, the
# first line's errors at their position in store mode without --month, text PostgreSQL refuses caught at
# its field, duplicate columns and members, one JSON object a line, ids and months checked alike in
# --summary and in the store, output errors of --history, empty Azure billing periods, reservation lines
# without a list price, CUR 2.0 without its pricing column, partitions made without blocking readers, and
# the tags recorded. Each refusal is checked for its exit status, its exact message with FILE:LINE:COLUMN,
# an empty standard output, and a store left as it was (the committed imports, their rows, files and
# names; a refused run leaves at most a row of its own marked failed).
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest

pb_test_tmp ingest-review
cleanup() {
	[ -n "${BGPID:-}" ] && kill -9 "$BGPID" 2>/dev/null
	pb_test_cleanup
}
pb_on_exit cleanup
pb_test_cluster_start
pb_sql_session_start

# ---- helpers ---------------------------------------------------------------------------------------------

# state: STATE, what a refused run must leave as it was: the committed imports with their totals, the number
# of imports that did not fail, the daily rows, the files and the names.
state() {
	pb_sql_in "SELECT (SELECT coalesce(string_agg(id || ' ' || source || ' ' || line_count || ' '
		|| coalesce(list_total::text, '-') || ' ' || billed_total, '; ' ORDER BY id), 'none')
		FROM pb.import WHERE status = 'committed')
	|| ' | ' || (SELECT count(*) FROM pb.import WHERE status <> 'failed') || ' not failed'
	|| ' | ' || (SELECT count(*) || ' rows ' || coalesce(sum(line_count), 0) || ' lines '
		|| coalesce(sum(list_cost), 0) || ' list ' || coalesce(sum(billed_cost), 0) || ' billed'
		FROM pb.usage_daily)
	|| ' | ' || (SELECT count(*) FROM pb.import_file) || ' files ' || (SELECT count(*) FROM pb.partner_account_name)
		|| ' names'"
	STATE=$SQL_ROWS
	# A query that fails must not compare equal to itself: two unreadable states prove nothing.
	case $STATE in *ERROR:* | "SQL FAILED"*) STATE="unreadable ($RANDOM$RANDOM): $STATE" ;; esac
}

# run DIR ARG...: pb-ingest ARG... in DIR; st, and out and err (the files of its stdout and stderr);
# stored=no when it was a --summary (which never opens the database).
out=$TMP/out
err=$TMP/err
run() {
	local dir=$1 a
	shift
	stored=yes
	for a in "$@"; do
		case $a in --summary*) stored=no ;; esac
	done
	(cd "$dir" && exec "$PBI" --no-progress "$@") >"$out" 2>"$err"
	st=$?
}

# at FILE LINE TEXT: FILE:LINE:COLUMN where COLUMN is the byte column of TEXT's first byte on that line of
# FILE (found relative to the current folder or $TMP).
at() {
	local path=$1
	[ -e "$path" ] || path=$TMP/$1
	NEEDLE=$3 LC_ALL=C awk -v l="$2" -v f="$1" 'NR == l { i = index($0, ENVIRON["NEEDLE"]); if (i) print f ":" l ":" i; else print f ":" l ": TEXT NOT FOUND"; exit }' "$path"
}

# refused NAME STATUS MESSAGE BEFORE: the last run exited STATUS with exactly MESSAGE on stderr and nothing
# on stdout, and, when it was not a --summary, the store is as BEFORE says.
refused() {
	check "$1: exit $2 and the message" "$2|$3|" "$st|$(cat "$err")|$(cat "$out")"
	if [ "$stored" == yes ]; then
		state
		check "$1: the store is unchanged" "$4" "$STATE"
	fi
}

# committed SOURCE: the committed imports of a source, "id format" a line.
committed() {
	pb_sql "SELECT id, format FROM pb.import WHERE status = 'committed' AND source = '$1' ORDER BY id" ' '
}

# ---- fixtures --------------------------------------------------------------------------------------------

CUR_H='identity_line_item_id,bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_currency_code,line_item_unblended_cost,pricing_public_on_demand_cost,product_region_code'
cur_row() {
	echo "$1,${2:-2026-10-01T00:00:00.000Z},${3:-444455556666},Usage,${4:-2026-10-01T03:00:00.000Z},AmazonS3,USD,${5:-0.1},${6:-0.12},us-east-1"
}
TENANT=1b4e28ba-2fa1-11d2-883f-0016d3cca427
pc_line() {
	echo "{\"CustomerId\":\"${1:-$TENANT}\",\"CustomerName\":\"Contoso Ltd\",\"UsageDate\":\"${2:-2026-10-03T00:00:00Z}\",\"ChargeType\":\"Usage\",\"MeterCategory\":\"Virtual Machines\",\"ResourceLocation\":\"eastus\",\"UnitPrice\":${3:-\"0.5\"},\"Quantity\":4,\"BillingPreTaxTotal\":${4:-\"1.75\"},\"BillingCurrency\":\"USD\"${5:-}}"
}
CSP_H='customerTenantId,customerName,SubscriptionId,Date,ChargeType,BillingCurrency,PayGPrice,Quantity,CostInBillingCurrency,MeterCategory'
csp_row() {
	echo "${1:-$TENANT},Contoso Ltd,6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,${2:-10/02/2026},Usage,USD,0.2,10,${3:-1.5},Storage"
}

mkdir -p "$TMP/a" "$TMP/b" "$TMP/mix" "$TMP/pc" "$TMP/bad" "$TMP/az" "$TMP/e"
{
	echo "$CUR_H"
	cur_row m1
	cur_row m2 2026-10-01T00:00:00.000Z 111122223333 2026-10-02T05:00:00.000Z 2.5 3
} >"$TMP/a/cur.csv"

# ---- 2. the same data billed twice ----------------------------------------------------------------------

run "$TMP/a" --format aws-cur cur.csv
check "2: an AWS import commits" "0" "$st"
A_ID=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = 'file://$TMP/a'")
A_SHA=$(sha256sum "$TMP/a/cur.csv" | cut -d' ' -f1)

# The same file copied into a second folder: another source, the same bytes.
cp "$TMP/a/cur.csv" "$TMP/b/cur.csv"
state
before=$STATE
run "$TMP/b" --format aws-cur cur.csv
refused "2: the same file in a second folder" 4 \
	"pb-ingest: file://$TMP/b/cur.csv: the same bytes (sha256 $A_SHA) are in import $A_ID of 2026-10 (aws-cur from file://$TMP/a, file file://$TMP/a/cur.csv): refusing to bill them twice" \
	"$before"
run "$TMP/b" --format aws-cur --month 2026-10 --source copy-of-a cur.csv
refused "2: the same file under another --source" 4 \
	"pb-ingest: file://$TMP/b/cur.csv: the same bytes (sha256 $A_SHA) are in import $A_ID of 2026-10 (aws-cur from file://$TMP/a, file file://$TMP/a/cur.csv): refusing to bill them twice" \
	"$before"
# The same lines in other bytes (gzipped, CRLF line endings): every partner account's lines, totals and days
# are the first import's, which only the same data gives. Refused as the same bytes are.
mkdir -p "$TMP/gz" "$TMP/crlf"
gzip -nc "$TMP/a/cur.csv" >"$TMP/gz/cur.csv.gz"
sed 's/$/\r/' "$TMP/a/cur.csv" >"$TMP/crlf/cur.csv"
run "$TMP/gz" --format aws-cur cur.csv.gz
refused "2: the same file gzipped, in another folder" 4 \
	"pb-ingest: file://$TMP/gz: the same lines as import $A_ID of 2026-10 (aws-cur from file://$TMP/a): every partner account's line count, totals and days alike: refusing to bill them twice" \
	"$before"
run "$TMP/crlf" --format aws-cur --month 2026-10 --source crlf-of-a cur.csv
refused "2: the same file with CRLF line endings, under another --source" 4 \
	"pb-ingest: crlf-of-a: the same lines as import $A_ID of 2026-10 (aws-cur from file://$TMP/a): every partner account's line count, totals and days alike: refusing to bill them twice" \
	"$before"

# One file given twice in one import: a copy of it under another name, and the same name twice.
{
	echo "$CUR_H"
	cur_row m9 2026-10-01T00:00:00.000Z 444455556666 2026-10-03T03:00:00.000Z 7
} >"$TMP/b/other.csv"
cp "$TMP/b/other.csv" "$TMP/b/other-copy.csv"
O_SHA=$(sha256sum "$TMP/b/other.csv" | cut -d' ' -f1)
run "$TMP/b" --format aws-cur --source copies other.csv other-copy.csv
refused "2: a file and its copy in one import" 4 \
	"pb-ingest: file://$TMP/b/other-copy.csv: the same bytes as file://$TMP/b/other.csv (sha256 $O_SHA): a file is read once per import" \
	"$before"
run "$TMP/b" --format aws-cur --source copies other.csv other.csv
refused "2: one file named twice" 4 \
	"pb-ingest: file://$TMP/b/other.csv: the same bytes as file://$TMP/b/other.csv (sha256 $O_SHA): a file is read once per import" \
	"$before"

# The same with files split between threads: a split file is hashed on a thread of its own, the last one
# while the rows are sent, so its hash is recorded and compared after the COPY.
{
	echo "$CUR_H"
	for i in $(seq 1 400); do
		cur_row "s$i" 2026-10-01T00:00:00.000Z 777788889999 "2026-10-$(printf %02d $((i % 28 + 1)))T01:00:00.000Z" 0.5 0.75
	done
} >"$TMP/b/split.csv"
sed 's/^s/t/' "$TMP/b/split.csv" >"$TMP/b/split2.csv"
cp "$TMP/b/split.csv" "$TMP/b/split-copy.csv"
cp "$TMP/b/split2.csv" "$TMP/b/split2-copy.csv"
S_SHA=$(sha256sum "$TMP/b/split.csv" | cut -d' ' -f1)
S2_SHA=$(sha256sum "$TMP/b/split2.csv" | cut -d' ' -f1)
export PB_SPLIT_MIN_BYTES=1024
run "$TMP/b" --format aws-cur --month 2026-10 --source split split.csv
check "2: a file split between threads commits" "0" "$st"
S_ID=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = 'split'")
check "2: a split file's hash and size are recorded" "$S_SHA $(stat -c %s "$TMP/b/split.csv")" \
	"$(pb_sql "SELECT sha256, bytes FROM pb.import_file WHERE import_id = $S_ID" ' ')"
state
before=$STATE
run "$TMP/b" --format aws-cur --month 2026-10 --source split-again split-copy.csv
refused "2: a split file's copy under another --source" 4 \
	"pb-ingest: file://$TMP/b/split-copy.csv: the same bytes (sha256 $S_SHA) are in import $S_ID of 2026-10 (aws-cur from split, file file://$TMP/b/split.csv): refusing to bill them twice" \
	"$before"
run "$TMP/b" --format aws-cur --month 2026-10 --source split-twice split2.csv split2-copy.csv
refused "2: two split files of the same bytes in one import" 4 \
	"pb-ingest: file://$TMP/b/split2-copy.csv: the same bytes as file://$TMP/b/split2.csv (sha256 $S2_SHA): a file is read once per import" \
	"$before"
unset PB_SPLIT_MIN_BYTES

# A Partner Center file and an Azure cost file in one folder are two sources: neither replaces the other.
# They bill the same customer tenant, which both commits report, and so does --history.
{
	echo "$CSP_H"
	csp_row
	csp_row "$TENANT" 10/05/2026 2.25
} >"$TMP/mix/azure.csv"
pc_line >"$TMP/mix/pc.jsonl"
run "$TMP/mix" --format azure-cost azure.csv
AZ_ID=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = 'file://$TMP/mix'")
check "2: an Azure CSP import commits, no overlap yet" \
	"0|import $AZ_ID committed: azure 2026-10 from file://$TMP/mix: 1 file, 2 lines, 2 daily rows, list_cost 4, billed_cost 3.75|" \
	"$st|$(cat "$out")|$(cat "$err")"
run "$TMP/mix" --format partner-center --month 2026-10 pc.jsonl
PC_ID=$((AZ_ID + 1))
check "2: a Partner Center import of the same folder commits and warns of the tenant both hold" \
	"0|import $PC_ID committed: azure 2026-10 from file://$TMP/mix: 1 file, 1 lines, 1 daily rows, list_cost 2, billed_cost 1.75|pb-ingest: warning: azure partner account $TENANT of 2026-10 is in 2 current imports: $AZ_ID, $PC_ID (3 lines); its usage is billed once per import" \
	"$st|$(cat "$out")|$(cat "$err")"
check "2: both imports of the folder are current, one per format" "$AZ_ID azure-cost
$PC_ID partner-center" "$(committed "file://$TMP/mix")"
run "$TMP" --history --month 2026-10
check "2: --history lists the overlap last, with exit 0" \
	"0|warning: azure partner account $TENANT of 2026-10 is in 2 current imports: $AZ_ID, $PC_ID (3 lines); its usage is billed once per import|" \
	"$st|$(tail -n 1 "$out")|$(cat "$err")"
# The same Azure file again replaces its own import only (its format's), and still reports the overlap.
run "$TMP/mix" --format azure-cost azure.csv
check "2: a rerun of the Azure file replaces the Azure import, not the Partner Center one" \
	"0|$PC_ID partner-center
$((PC_ID + 1)) azure-cost" "$st|$(committed "file://$TMP/mix")"

# ---- 4. an empty export never replaces a good import -------------------------------------------------------

pc_line >"$TMP/pc/part-1.jsonl"
pc_line "$TENANT" 2026-10-04T00:00:00Z '"0.25"' '"1.5"' >>"$TMP/pc/part-1.jsonl"
run "$TMP/pc" --format partner-center --month 2026-10 --source pc:unbilled part-1.jsonl
PCG=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = 'pc:unbilled'")
check "4: a good Partner Center import commits" "0|2" \
	"$st|$(pb_sql "SELECT line_count FROM pb.import WHERE id = ${PCG:-0}")"
: >"$TMP/pc/empty.jsonl"
gzip -n -c </dev/null >"$TMP/pc/empty.jsonl.gz"
printf '\357\273\277' >"$TMP/pc/bom.jsonl"
printf '\n \n\r\n\t\n' >"$TMP/pc/blank.jsonl"
state
before=$STATE
for f in empty.jsonl empty.jsonl.gz bom.jsonl blank.jsonl; do
	run "$TMP/pc" --format partner-center --month 2026-10 --source pc:unbilled "$f"
	refused "4: an empty export ($f) over a good import" 4 \
		"pb-ingest: no line items: the current import $PCG of azure 2026-10 from pc:unbilled has 2 lines; an empty export does not replace it (--allow-empty to do so)" \
		"$before"
done
# The same for a CSV file with a header and no line item.
echo "$CUR_H" >"$TMP/a/header-only.csv"
run "$TMP/a" --format aws-cur --month 2026-10 header-only.csv
refused "4: a CSV export with a header only over a good import" 4 \
	"pb-ingest: no line items: the current import $A_ID of aws 2026-10 from file://$TMP/a has 2 lines; an empty export does not replace it (--allow-empty to do so)" \
	"$before"
# CR-only line ends: refused at the header field that holds the first CR, not read as a header only.
tr '\n' '\r' <"$TMP/a/cur.csv" >"$TMP/a/cr.csv"
cr_at=$(at a/cur.csv 1 product_region_code)
CR_MSG="pb-ingest: cr.csv:1:${cr_at##*:}: carriage return inside a header field: lines that end in CR alone are not read; convert them to LF or CR LF"
run "$TMP/a" --format aws-cur --month 2026-10 cr.csv
refused "4: CR-only line ends are refused at the header field that holds the first CR" 1 "$CR_MSG" "$before"
run "$TMP/a" --format aws-cur cr.csv
refused "4: CR-only line ends, without --month" 1 "$CR_MSG" "$before"
run "$TMP/a" --format aws-cur --summary cr.csv
refused "4: CR-only line ends, in --summary" 1 "$CR_MSG" "$before"
# --allow-empty says an empty export is meant: it replaces the good import.
run "$TMP/pc" --format partner-center --month 2026-10 --source pc:unbilled --allow-empty empty.jsonl
check "4: --allow-empty replaces it with an import of no lines" "0|0" \
	"$st|$(pb_sql "SELECT line_count FROM pb.import WHERE status = 'committed' AND source = 'pc:unbilled'")"

# ---- 5. store mode without --month: the first line's error at its position -----------------------------

{
	echo "$CUR_H"
	cur_row m1 2026-10-01T00:00:00.000Z 444455556666 2026-10-01T03:00:00.000Z x1
	cur_row m2 2026-10-01T00:00:00.000Z 444455556666 2026-10-01T04:00:00.000Z 0.5
	cur_row m3 2026-10-01T00:00:00.000Z 444455556666 2026-10-01T05:00:00.000Z 1,5
} >"$TMP/bad/first-amount.csv"
{
	echo "$CUR_H"
	cur_row m1 2026-1
	cur_row m2
} >"$TMP/bad/first-month.csv"
state
before=$STATE
run "$TMP/bad" --format aws-cur first-amount.csv
refused "5: a bad amount on the first line, store mode without --month" 1 \
	"pb-ingest: $(at bad/first-amount.csv 2 x1 | cut -d/ -f2): bad amount \"x1\" in column 'line_item_unblended_cost': unexpected character 'x'" \
	"$before"
run "$TMP/bad" --format aws-cur --summary first-amount.csv
refused "5: the same in --summary" 1 \
	"pb-ingest: $(at bad/first-amount.csv 2 x1 | cut -d/ -f2): bad amount \"x1\" in column 'line_item_unblended_cost': unexpected character 'x'" \
	"$before"
run "$TMP/bad" --format aws-cur --max-errors 5 first-amount.csv
refused "5: every bad line, store mode without --month and --max-errors 5" 1 \
	"pb-ingest: $(at bad/first-amount.csv 2 x1 | cut -d/ -f2): bad amount \"x1\" in column 'line_item_unblended_cost': unexpected character 'x'
pb-ingest: first-amount.csv:4:1: expected 10 fields, found 11" \
	"$before"
run "$TMP/bad" --format aws-cur first-month.csv
refused "5: a first line whose billing month cannot be read, store mode without --month" 1 \
	"pb-ingest: $(at bad/first-month.csv 2 2026-1, | cut -d/ -f2): bad timestamp \"2026-1\" in column 'bill_billing_period_start_date'" \
	"$before"
{
	echo "SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency"
	echo "6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/32/2026,Usage,USD,1"
} >"$TMP/bad/first-date.csv"
run "$TMP/bad" --format azure-cost first-date.csv
refused "5: an Azure first line without a readable date, store mode without --month" 1 \
	"pb-ingest: $(at bad/first-date.csv 2 10/32 | cut -d/ -f2): bad date \"10/32/2026\" in column 'Date'" \
	"$before"
# Year 0000 is written as any other year (PostgreSQL has none): a date or timestamp in it is out of range, as
# --month 0000-01 is, at its column, not a bad date; a fifth digit of year (10000-01-01) is still a bad one.
{
	echo "$CUR_H"
	cur_row y1 0000-01-01T00:00:00.000Z 444455556666 0000-01-01T03:00:00.000Z
} >"$TMP/bad/y0-bill.csv"
{
	echo "$CUR_H"
	cur_row y2 2026-10-01T00:00:00.000Z 444455556666 0000-02-29T03:00:00.000Z
} >"$TMP/bad/y0-usage.csv"
{
	echo "$CUR_H"
	cur_row y3 10000-01-01T00:00:00.000Z 444455556666 10000-01-01T03:00:00.000Z
} >"$TMP/bad/y5-bill.csv"
{
	echo "SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency"
	echo "6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,0000-10-01,Usage,USD,1"
	echo "6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/01/0000,Usage,USD,1"
	echo "6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10000-10-01,Usage,USD,1"
} >"$TMP/bad/y0-az.csv"
pc_line "$TENANT" 0000-10-03T00:00:00Z >"$TMP/bad/y0-pc.jsonl"
run "$TMP/bad" --format aws-cur y0-bill.csv
refused "5: a billing period of year 0000: out of range at its column" 1 \
	"pb-ingest: $(at bad/y0-bill.csv 2 0000-01-01T00 | cut -d/ -f2): timestamp \"0000-01-01T00:00:00.000Z\" in column 'bill_billing_period_start_date' is out of range: the first month supported is 0001-01" \
	"$before"
run "$TMP/bad" --format aws-cur --month 2026-10 y0-usage.csv
refused "5: a usage start of year 0000: out of range at its column" 1 \
	"pb-ingest: $(at bad/y0-usage.csv 2 0000-02-29 | cut -d/ -f2): timestamp \"0000-02-29T03:00:00.000Z\" in column 'line_item_usage_start_date' is out of range: the first month supported is 0001-01" \
	"$before"
run "$TMP/bad" --format aws-cur y5-bill.csv
refused "5: a billing period of a five-digit year: a bad timestamp" 1 \
	"pb-ingest: $(at bad/y5-bill.csv 2 10000-01-01T00 | cut -d/ -f2): bad timestamp \"10000-01-01T00:00:00.000Z\" in column 'bill_billing_period_start_date'" \
	"$before"
run "$TMP/bad" --format azure-cost --month 2026-10 --summary=daily --max-errors 5 y0-az.csv
refused "5: Azure dates of year 0000, ISO or US: out of range; a five-digit year a bad date" 1 \
	"pb-ingest: $(at bad/y0-az.csv 2 0000-10-01 | cut -d/ -f2): date \"0000-10-01\" in column 'Date' is out of range: the first month supported is 0001-01
pb-ingest: $(at bad/y0-az.csv 3 10/01/0000 | cut -d/ -f2): date \"10/01/0000\" in column 'Date' is out of range: the first month supported is 0001-01
pb-ingest: $(at bad/y0-az.csv 4 10000-10-01 | cut -d/ -f2): bad date \"10000-10-01\" in column 'Date'" \
	"$before"
run "$TMP/bad" --format partner-center --month 2026-10 y0-pc.jsonl
refused "5: a Partner Center usage date of year 0000: out of range at its member" 1 \
	"pb-ingest: $(at bad/y0-pc.jsonl 1 '"0000-10-03T' | cut -d/ -f2): date \"0000-10-03T00:00:00Z\" in member 'UsageDate' is out of range: the first month supported is 0001-01" \
	"$before"

# A ChargeType and PricingModel of 256 bytes together (with the '/') are refused at the PricingModel, not cut
# to 95 as they were: two long models cut alike were one row. 255 bytes are kept whole.
P249=$(printf 'P%.0s' $(seq 249))
{
	echo "SubscriptionId,Date,ChargeType,PricingModel,BillingCurrency,CostInBillingCurrency"
	echo "6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/01/2026,Usage,${P249},USD,1"
	echo "6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/01/2026,Usage,${P249}A,USD,2"
} >"$TMP/bad/long-type.csv"
run "$TMP/bad" --format azure-cost long-type.csv
refused "5: a ChargeType and PricingModel too long together, store mode" 1 \
	"pb-ingest: long-type.csv:3:$(at bad/long-type.csv 3 "${P249}A" | cut -d: -f3): columns 'ChargeType' and 'PricingModel' are 256 bytes together (with the '/' between them), more than the 255 a charge type may have" \
	"$before"
head -2 "$TMP/bad/long-type.csv" >"$TMP/bad/long-type-ok.csv"
run "$TMP/bad" --format azure-cost --summary=daily long-type-ok.csv
check "5: a ChargeType and PricingModel of 255 bytes together are kept whole" "0|255" \
	"$st|$(awk -F, 'NR == 2 { for (i = 1; i <= NF; i++) if ($i ~ /^Usage\//) print length($i) }' "$out")"

# ---- 6. text PostgreSQL refuses, caught at its field in --summary and in the store alike -----------------

AZ_H='SubscriptionId,SubscriptionName,Date,ChargeType,BillingCurrency,CostInBillingCurrency,MeterCategory,Tags'
SUB=6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01
{
	echo "$AZ_H"
	echo "$SUB,prod-web,10/01/2026,Usage,USD,1,Storage,"
	printf '%s\n' "$SUB,prod-web,10/02/2026,Usage,USD,1,Sto$(printf '\001')rage," | tr '\001' '\000'
} >"$TMP/bad/nul.csv"
{
	echo "$AZ_H"
	echo "$SUB,prod-web,10/01/2026,Usage,USD,1,Storage,"
	printf '%s\n' "$SUB,caf$(printf '\351'),10/02/2026,Usage,USD,1,Storage,"
} >"$TMP/bad/latin1-name.csv"
{
	echo "$AZ_H"
	printf '%s\n' "$SUB,prod-web,10/02/2026,Usage,USD,1,Storage,\"{\"\"clc-alias\"\":\"\"ACME1\"\",\"\"owner\"\":\"\"Fran$(printf '\347')ois\"\"}\""
} >"$TMP/bad/latin1-tag.csv"
for mode in "" "--month 2026-10" "--summary"; do
	# shellcheck disable=SC2086 # a mode is zero to two words
	run "$TMP/bad" --format azure-cost $mode nul.csv
	refused "6: a NUL byte ${mode:-(store)}" 1 \
		"pb-ingest: nul.csv:3:$(at bad/nul.csv 2 Storage | cut -d: -f3): NUL byte in column 'MeterCategory'" "$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format azure-cost $mode latin1-name.csv
	refused "6: a Latin-1 subscription name ${mode:-(store)}" 1 \
		"pb-ingest: latin1-name.csv:3:$(at bad/latin1-name.csv 3 caf | cut -d: -f3): invalid UTF-8 in column 'SubscriptionName'" "$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format azure-cost --tag-keys owner $mode latin1-tag.csv
	refused "6: a Latin-1 tag value of a recorded key ${mode:-(store)}" 1 \
		"pb-ingest: latin1-tag.csv:2:$(at bad/latin1-tag.csv 2 '"{' | cut -d: -f3): invalid UTF-8 in column 'Tags'" "$before"
done
# A tag the store does not record is not read: its bytes do not matter.
run "$TMP/bad" --format azure-cost --tag-keys clc-alias --summary latin1-tag.csv
check "6: a Latin-1 tag value of a key not recorded is not read" "0" "$st"

# JSON escapes: \u0000 and unpaired surrogates are refused at the escape; a pair (an emoji) is decoded.
pc_line >"$TMP/bad/esc.jsonl"
pc_line | sed 's/"Contoso Ltd"/"Contoso\\u0000Ltd"/' >>"$TMP/bad/esc.jsonl"
pc_line | sed 's/"Virtual Machines"/"VM \\ud83d"/' >"$TMP/bad/hi.jsonl"
pc_line | sed 's/"Virtual Machines"/"VM \\ude00\\ud83d"/' >"$TMP/bad/lo.jsonl"
printf '%s\n' "$(pc_line | sed "s/\"Contoso Ltd\"/\"Contoso S.$(printf '\340') r.l.\"/")" >"$TMP/bad/latin1.jsonl"
for mode in "--month 2026-10" "--summary"; do
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode esc.jsonl
	refused "6: \\u0000 in a JSON string $mode" 1 \
		"pb-ingest: $(at bad/esc.jsonl 2 '\u0000' | cut -d/ -f2): \\u0000 (a NUL character) in a string" "$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode hi.jsonl
	refused "6: a high surrogate alone $mode" 1 \
		"pb-ingest: $(at bad/hi.jsonl 1 '\ud83d' | cut -d/ -f2): unpaired surrogate escape in a string (a high surrogate without its low one)" "$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode lo.jsonl
	refused "6: a low surrogate before a high one $mode" 1 \
		"pb-ingest: $(at bad/lo.jsonl 1 '\ude00' | cut -d/ -f2): unpaired surrogate escape in a string (a low surrogate alone)" "$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode latin1.jsonl
	refused "6: a Latin-1 customer name $mode" 1 \
		"pb-ingest: $(at bad/latin1.jsonl 1 '"Contoso S.' | cut -d/ -f2): invalid UTF-8 in member 'CustomerName'" "$before"
done
pc_line "$TENANT" 2026-10-04T00:00:00Z | sed 's/"Contoso Ltd"/"Contoso \\ud83d\\ude00"/; s/"Virtual Machines"/"VM \\uD83D\\uDE00"/' >"$TMP/e/emoji.jsonl"
run "$TMP/e" --format partner-center --month 2026-10 --source pc:emoji emoji.jsonl
EMOJI=$'\xf0\x9f\x98\x80'
check "6: an emoji as a surrogate pair is stored as its UTF-8 (name and service)" "0|Contoso $EMOJI|VM $EMOJI" \
	"$st|$(pb_sql "SELECT n.name FROM pb.partner_account_name n JOIN pb.import i ON i.id = n.import_id
		WHERE i.source = 'pc:emoji' AND i.status = 'committed'")|$(pb_sql "SELECT u.service FROM pb.usage_daily u
		JOIN pb.import i ON i.id = u.import_id WHERE i.source = 'pc:emoji' AND i.status = 'committed'")"
state
before=$STATE

# ---- 7. duplicate columns and members ---------------------------------------------------------------------

{
	echo "$CUR_H,line_item_unblended_cost"
	echo "$(cur_row m1),0.2"
} >"$TMP/bad/dup.csv"
{
	echo "SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency,costInBillingCurrency"
	echo "$SUB,10/01/2026,Usage,USD,1,2"
} >"$TMP/bad/dup-case.csv"
pc_line >"$TMP/bad/dup.jsonl"
pc_line "$TENANT" 2026-10-04T00:00:00Z '"0.25"' '"1.5"' ',"BillingPreTaxTotal":"15"' >>"$TMP/bad/dup.jsonl"
pc_line "$TENANT" 2026-10-04T00:00:00Z '"0.25"' '"1.5"' ',"billingPreTaxTotal":"15"' >"$TMP/bad/dup-case.jsonl"
for mode in "" "--month 2026-10" "--summary"; do
	# shellcheck disable=SC2086
	run "$TMP/bad" --format aws-cur $mode dup.csv
	refused "7: a CSV column twice ${mode:-(store)}" 1 \
		"pb-ingest: dup.csv:1:$((${#CUR_H} + 2)): duplicate column 'line_item_unblended_cost' (also column 8 of the header)" \
		"$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format azure-cost $mode dup-case.csv
	refused "7: a CSV column twice, in another case ${mode:-(store)}" 1 \
		"pb-ingest: $(at bad/dup-case.csv 1 costIn | cut -d/ -f2): duplicate column 'costInBillingCurrency' (also column 5 of the header)" \
		"$before"
done
for mode in "--month 2026-10" "--summary"; do
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode dup.jsonl
	refused "7: a JSON member twice $mode" 1 \
		"pb-ingest: $(at bad/dup.jsonl 2 '"BillingPreTaxTotal":"15"' | cut -d/ -f2): duplicate member 'BillingPreTaxTotal' (first at column $(at bad/dup.jsonl 2 '"BillingPreTaxTotal"' | cut -d: -f3))" \
		"$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode dup-case.jsonl
	refused "7: a JSON member twice, in another case $mode" 1 \
		"pb-ingest: $(at bad/dup-case.jsonl 1 '"billingPreTaxTotal"' | cut -d/ -f2): duplicate member 'BillingPreTaxTotal' (first at column $(at bad/dup-case.jsonl 1 '"BillingPreTaxTotal"' | cut -d: -f3))" \
		"$before"
done

# ---- 8. JSON lines: one object a line, values of the right kind -------------------------------------------

{
	pc_line
	pc_line "$TENANT" 2026-10-04T00:00:00Z | sed 's/$/ 12/'
	pc_line "$TENANT" 2026-10-05T00:00:00Z
} >"$TMP/bad/trailing.jsonl"
pc_line "$TENANT" 2026-10-04T00:00:00Z '{"value":"0.5"}' >"$TMP/bad/price-object.jsonl"
pc_line "$TENANT" 2026-10-04T00:00:00Z true >"$TMP/bad/price-true.jsonl"
pc_line "$TENANT" 2026-10-04T00:00:00Z null >"$TMP/bad/price-null.jsonl"
pc_line "$TENANT" 2026-10-04T00:00:00Z '"0.5"' '"1.75"' ',"PCToBCExchangeRate":{"rate":"0.9"}' >"$TMP/bad/rate-object.jsonl"
pc_line "$TENANT" 2026-10-04T00:00:00Z '"0.5"' '"1.75"' | sed 's/"UnitPrice":"0.5",//' >"$TMP/bad/price-absent.jsonl"
for mode in "--month 2026-10" "--summary"; do
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode trailing.jsonl
	refused "8: a value after the object, on its own line $mode" 1 \
		"pb-ingest: $(at bad/trailing.jsonl 2 '} 12' | cut -d/ -f2 | awk -F: '{ print $1 ":" $2 ":" $3 + 2 }'): more than one value on a line: only one object may stand there" \
		"$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode price-object.jsonl
	refused "8: UnitPrice an object $mode" 1 \
		"pb-ingest: $(at bad/price-object.jsonl 1 '{"value"' | cut -d/ -f2): member 'UnitPrice' is an object or an array, not a number" \
		"$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode price-true.jsonl
	refused "8: UnitPrice true $mode" 1 \
		"pb-ingest: $(at bad/price-true.jsonl 1 'true' | cut -d/ -f2): member 'UnitPrice' is true or false, not a number" \
		"$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode price-null.jsonl
	refused "8: UnitPrice null $mode" 1 \
		"pb-ingest: $(at bad/price-null.jsonl 1 'null' | cut -d/ -f2): member 'UnitPrice' is null" \
		"$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode rate-object.jsonl
	refused "8: a nested exchange rate $mode" 1 \
		"pb-ingest: $(at bad/rate-object.jsonl 1 '{"rate"' | cut -d/ -f2): member 'PCToBCExchangeRate' is an object or an array, not a value" \
		"$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode price-absent.jsonl
	refused "8: UnitPrice is required, as the man page says $mode" 1 \
		"pb-ingest: price-absent.jsonl:1:1: missing member 'UnitPrice'" "$before"
done

# ---- 9. partner account ids -------------------------------------------------------------------------------

BOM=$'\xef\xbb\xbf'
{
	echo "$CUR_H"
	cur_row m1
	cur_row m2 2026-10-01T00:00:00.000Z 44445555666
} >"$TMP/bad/aws-11.csv"
{
	echo "$CUR_H"
	cur_row m1
	cur_row m2 2026-10-01T00:00:00.000Z "${BOM}444455556666"
} >"$TMP/bad/aws-bom.csv"
{
	echo "SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency"
	echo "$SUB,10/01/2026,Usage,USD,1"
	echo "prod-subscription,10/01/2026,Usage,USD,1"
} >"$TMP/bad/az-id.csv"
{
	echo "SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency"
	echo "$SUB,10/01/2026,Usage,USD,1"
	echo "${BOM}$SUB,10/01/2026,Usage,USD,1"
} >"$TMP/bad/az-bom.csv"
{
	pc_line
	pc_line "contoso.onmicrosoft.com"
} >"$TMP/bad/pc-id.jsonl"
for mode in "" "--month 2026-10" "--summary"; do
	# shellcheck disable=SC2086
	run "$TMP/bad" --format aws-cur $mode aws-11.csv
	refused "9: an AWS id of 11 digits ${mode:-(store)}" 1 \
		"pb-ingest: $(at bad/aws-11.csv 3 44445555666 | cut -d/ -f2): bad account id \"44445555666\" in column 'line_item_usage_account_id': an AWS account id is 12 digits" \
		"$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format aws-cur $mode aws-bom.csv
	refused "9: a BOM inside a line, before an AWS id ${mode:-(store)}" 1 \
		"pb-ingest: $(at bad/aws-bom.csv 3 "$BOM" | cut -d/ -f2): bad account id \"\\xef\\xbb\\xbf444455556666\" in column 'line_item_usage_account_id': an AWS account id is 12 digits" \
		"$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format azure-cost $mode az-id.csv
	refused "9: an Azure subscription id that is no GUID ${mode:-(store)}" 1 \
		"pb-ingest: az-id.csv:3:1: bad id \"prod-subscription\" in column 'SubscriptionId': Azure subscription and tenant ids are GUIDs" \
		"$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format azure-cost $mode az-bom.csv
	refused "9: a BOM inside a line, before an Azure id ${mode:-(store)}" 1 \
		"pb-ingest: az-bom.csv:3:1: bad id \"\\xef\\xbb\\xbf$SUB\" in column 'SubscriptionId': Azure subscription and tenant ids are GUIDs" \
		"$before"
done
for mode in "--month 2026-10" "--summary"; do
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode pc-id.jsonl
	refused "9: a Partner Center customer id that is no GUID $mode" 1 \
		"pb-ingest: $(at bad/pc-id.jsonl 2 '"contoso.' | cut -d/ -f2): bad customer id \"contoso.onmicrosoft.com\" in member 'CustomerId': a Microsoft customer (tenant) id is a GUID such as 0f3ac2a8-8b1d-4c7e-9d2b-5e6f7a8b9c0d" \
		"$before"
done

# A message about a bad id stays UTF-8, so that --log-format json writes JSON whatever the bytes.
printf '%s\n%s\n' "$CUR_H" "$(cur_row m1 2026-10-01T00:00:00.000Z $'4444555\xe96666')" >"$TMP/bad/aws-latin1.csv"
run "$TMP/bad" --format aws-cur --log-format json aws-latin1.csv
check "9: --log-format json: one JSON object, its message with the Latin-1 byte as \\xe9" \
	"1|bad account id \"4444555\\xe96666\" in column 'line_item_usage_account_id': an AWS account id is 12 digits|aws-latin1.csv|2|29" \
	"$st|$(python3 -c 'import json, sys
lines = open(sys.argv[1], "rb").read().splitlines()
o = json.loads(lines[0].decode("utf-8"))
print("%s|%s|%s|%s" % (o["message"], o["file"], o["line"], o["column"]) if len(lines) == 1 else "%d lines" % len(lines))' "$err" 2>&1)"

# ---- 10. months: one check in --summary and in the store ------------------------------------------------

{
	echo "$CUR_H"
	cur_row m1 2026-11-01T00:00:00.000Z 444455556666 2026-11-01T03:00:00.000Z
} >"$TMP/bad/november.csv"
{
	echo "SubscriptionId,Date,BillingPeriodStartDate,ChargeType,BillingCurrency,CostInBillingCurrency"
	echo "$SUB,10/31/2026,10/01/2026,Usage,USD,1"
	echo "$SUB,11/01/2026,10/01/2026,Usage,USD,1"
} >"$TMP/bad/az-after.csv"
{
	pc_line
	pc_line "$TENANT" 2026-11-01T00:00:00Z
} >"$TMP/bad/pc-after.jsonl"
for mode in "--month 2026-10" "--summary=daily --month 2026-10"; do
	# shellcheck disable=SC2086
	run "$TMP/bad" --format aws-cur $mode november.csv
	refused "10: a November file given --month 2026-10 ($mode)" 1 \
		"pb-ingest: $(at bad/november.csv 2 2026-11-01T00 | cut -d/ -f2): billing period starts 2026-11-01, but this import is for the month of 2026-10-01" \
		"$before"
done
# A file of 9999-12 (no --month), whose month no other program takes (its end, 10000-01-01, has no YYYY-MM-DD).
{
	echo "$CUR_H"
	cur_row m1 9999-12-01T00:00:00.000Z 444455556666 9999-12-01T03:00:00.000Z
} >"$TMP/bad/last.csv"
for mode in "" "--summary=daily"; do
	# shellcheck disable=SC2086
	run "$TMP/bad" --format aws-cur $mode last.csv
	refused "10: a file of 9999-12 ${mode:-(store)}" 1 \
		"pb-ingest: $(at bad/last.csv 2 9999-12-01T00 | cut -d/ -f2): billing period starts 9999-12-01, out of range: the last month supported is 9999-11" \
		"$before"
done
# A zone moves a timestamp of 9999-12-31 into 10000-01-01, which no YYYY-MM-DD writes: out of range, as 9999-12 is,
# in the column that says it (the billing period's start too). A zone beyond -12:00 to +14:00 is no timestamp.
{
	echo "$CUR_H"
	cur_row m1 9999-11-01T00:00:00.000Z 444455556666 9999-12-31T12:00:00.000-12:00
} >"$TMP/bad/past-usage.csv"
{
	echo "$CUR_H"
	cur_row m1 9999-12-31T23:00:00-12:00 444455556666 9999-11-01T03:00:00.000Z
} >"$TMP/bad/past-bill.csv"
{
	echo "$CUR_H"
	cur_row m1 2026-10-01T00:00:00.000Z 444455556666 2026-10-01T03:00:00+15:00
} >"$TMP/bad/zone.csv"
{
	pc_line
	pc_line "$TENANT" 9999-12-31T12:00:00-12:00
} >"$TMP/bad/pc-past.jsonl"
for mode in "" "--summary=daily"; do
	# shellcheck disable=SC2086
	run "$TMP/bad" --format aws-cur $mode past-usage.csv
	refused "10: a usage start that its zone moves into 10000-01-01 ${mode:-(store)}" 1 \
		"pb-ingest: $(at bad/past-usage.csv 2 9999-12-31T | cut -d/ -f2): timestamp \"9999-12-31T12:00:00.000-12:00\" in column 'line_item_usage_start_date' is out of range: the last month supported is 9999-11" \
		"$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format aws-cur $mode past-bill.csv
	refused "10: a billing period start that its zone moves into 10000-01-01 ${mode:-(store)}" 1 \
		"pb-ingest: $(at bad/past-bill.csv 2 9999-12-31T | cut -d/ -f2): timestamp \"9999-12-31T23:00:00-12:00\" in column 'bill_billing_period_start_date' is out of range: the last month supported is 9999-11" \
		"$before"
	# shellcheck disable=SC2086
	run "$TMP/bad" --format aws-cur $mode zone.csv
	refused "10: a usage start at +15:00 ${mode:-(store)}" 1 \
		"pb-ingest: $(at bad/zone.csv 2 2026-10-01T03 | cut -d/ -f2): bad timestamp \"2026-10-01T03:00:00+15:00\" in column 'line_item_usage_start_date'" \
		"$before"
done
for mode in "--month 9999-11" "--summary=daily"; do
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode pc-past.jsonl
	refused "10: a Partner Center date that its zone moves into 10000-01-01 ($mode)" 1 \
		"pb-ingest: $(at bad/pc-past.jsonl 2 '"9999-12-31T' | cut -d/ -f2): date \"9999-12-31T12:00:00-12:00\" in member 'UsageDate' is out of range: the last month supported is 9999-11" \
		"$before"
done
for mode in "" "--month 2026-10" "--summary=daily" "--summary=daily --month 2026-10"; do
	# shellcheck disable=SC2086
	run "$TMP/bad" --format azure-cost $mode az-after.csv
	refused "10: Azure usage after its billing month ${mode:-(store)}" 1 \
		"pb-ingest: $(at bad/az-after.csv 3 11/01 | cut -d/ -f2): usage date 2026-11-01 is after the billing month of 2026-10-01" \
		"$before"
done
for mode in "--month 2026-10" "--summary=daily --month 2026-10" "--summary=daily"; do
	# shellcheck disable=SC2086
	run "$TMP/bad" --format partner-center $mode pc-after.jsonl
	refused "10: Partner Center usage after its billing month ($mode)" 1 \
		"pb-ingest: $(at bad/pc-after.jsonl 2 '"2026-11-01T' | cut -d/ -f2): usage date 2026-11-01 is after the billing month of 2026-10-01" \
		"$before"
done

# ---- 12. output errors -----------------------------------------------------------------------------------

"$PBI" --history >/dev/full 2>"$err"
check "12: --history >/dev/full exits 3 and says why" \
	"3|pb-ingest: cannot write standard output: No space left on device" "$?|$(cat "$err")"
"$PBI" --history --month 2026-10 >/dev/full 2>"$err"
check "12: --history --month >/dev/full exits 3 and says why" \
	"3|pb-ingest: cannot write standard output: No space left on device" "$?|$(cat "$err")"
for kind in "" =accounts =daily; do
	"$PBI" --format aws-cur --summary$kind --no-progress "$TMP/a/cur.csv" >/dev/full 2>"$err"
	check "12: --summary$kind >/dev/full exits 3 and says why" \
		"3|pb-ingest: cannot write standard output: No space left on device" "$?|$(cat "$err")"
done
# A summary and the history are all they give: with standard output closed (a job started with >&-) they went
# to the /dev/null put in its place, exit 0. Refused before anything is read, downloaded or asked of the
# database, exit 3, as for a full disk.
for args in "--format aws-cur --summary --no-progress $TMP/a/cur.csv" \
	"--format aws-cur --summary=accounts --no-progress $TMP/a/cur.csv" \
	"--format aws-cur --summary=daily --no-progress $TMP/a/cur.csv" \
	"--format aws-cur --summary --source http://127.0.0.1:9/cur --month 2026-10 --no-progress" \
	"--history" "--history --month 2026-10"; do
	# shellcheck disable=SC2086 # the arguments, split
	PB_DATABASE_URL="host=$TMP/no-server dbname=none" "$PBI" $args >&- 2>"$err"
	check "12: ${args%% --no-progress*} with standard output closed: exit 3, before anything is read" \
		"3|pb-ingest: cannot write standard output: Bad file descriptor" "$?|$(cat "$err")"
done

# ---- 13. empty Azure billing periods: the month of servicePeriodStartDate, else of the usage date ---------

{
	echo "billingPeriodStartDate,billingPeriodEndDate,servicePeriodStartDate,date,SubscriptionId,chargeType,billingCurrency,costInBillingCurrency"
	echo ",,2026-10-01,2026-10-03,$SUB,Usage,EUR,2.5"
	echo ",,,2026-10-04,$SUB,Usage,EUR,1.25"
	echo "2026-10-01,2026-10-31,2026-10-01,2026-10-05,$SUB,Usage,EUR,1"
} >"$TMP/az/mca-empty-period.csv"
run "$TMP/az" --format azure-cost --summary=daily mca-empty-period.csv
check "13: empty billing periods: the month from servicePeriodStartDate or the usage date" \
	"0|azure,2026-10-01,$SUB,2026-10-03,Usage,Usage,,,EUR,,2.5,1
azure,2026-10-01,$SUB,2026-10-04,Usage,Usage,,,EUR,,1.25,1
azure,2026-10-01,$SUB,2026-10-05,Usage,Usage,,,EUR,,1,1|pb-ingest: mca-empty-period.csv: warning: 3 lines have no list price; their list cost is left empty" \
	"$st|$(tail -n +2 "$out")|$(cat "$err")"
run "$TMP/az" --format azure-cost mca-empty-period.csv
check "13: empty billing periods: stored as October" "0|2026-10-01|3|4.75" \
	"$st|$(pb_sql "SELECT billing_month, line_count, billed_total FROM pb.import WHERE status = 'committed'
		AND source = 'file://$TMP/az'" '|')"
{
	echo "billingPeriodStartDate,servicePeriodStartDate,date,SubscriptionId,chargeType,billingCurrency,costInBillingCurrency"
	echo ",2026-11-01,2026-10-03,$SUB,Usage,EUR,2.5"
} >"$TMP/bad/service-period-november.csv"
state
before=$STATE
run "$TMP/bad" --format azure-cost --month 2026-10 service-period-november.csv
refused "13: a servicePeriodStartDate of another month, where the billing period is empty" 1 \
	"pb-ingest: $(at bad/service-period-november.csv 2 2026-11-01 | cut -d/ -f2): billing period starts 2026-11-01, but this import is for the month of 2026-10-01" \
	"$before"

# ---- 14. reservation and savings plan lines with PayGPrice 0 have no list price ---------------------------

{
	echo "SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,PayGPrice,Quantity,CostInBillingCurrency,MeterCategory"
	echo "$SUB,10/01/2026,Usage,Reservation,Microsoft,USD,0,24,3.5,VM"
	echo "$SUB,10/01/2026,Usage,SavingsPlan,Microsoft,USD,0,24,2.5,VM"
	echo "$SUB,10/01/2026,Usage,OnDemand,Microsoft,USD,0,24,0,Free"
	echo "$SUB,10/01/2026,Usage,OnDemand,Microsoft,USD,0.25,24,6,VM"
} >"$TMP/az/amortized.csv"
run "$TMP/az" --format azure-cost --summary=daily amortized.csv
check "14: PayGPrice 0 on reservation and savings plan usage: no list price, counted in the warning" \
	"0|azure,2026-10-01,$SUB,2026-10-01,Usage,Usage,Free,,USD,0,0,1
azure,2026-10-01,$SUB,2026-10-01,Usage,Usage,VM,,USD,6,6,1
azure,2026-10-01,$SUB,2026-10-01,Usage,Usage/Reservation,VM,,USD,,3.5,1
azure,2026-10-01,$SUB,2026-10-01,Usage,Usage/SavingsPlan,VM,,USD,,2.5,1|pb-ingest: amortized.csv: warning: 2 lines have no list price; their list cost is left empty" \
	"$st|$(tail -n +2 "$out")|$(cat "$err")"
{
	echo "SubscriptionId,Date,ChargeType,PricingModel,BillingCurrency,paygCostInBillingCurrency,CostInBillingCurrency"
	echo "$SUB,10/01/2026,Usage,Reservation,USD,0,3.5"
	echo "$SUB,10/01/2026,Usage,OnDemand,USD,0,0"
} >"$TMP/az/amortized-payg-cost.csv"
run "$TMP/az" --format azure-cost --summary amortized-payg-cost.csv
check "14: paygCostInBillingCurrency 0 on reservation usage: no list price either" \
	"0|$SUB,0,3.5|pb-ingest: amortized-payg-cost.csv: warning: 1 line has no list price; its list cost is left empty" \
	"$st|$(tail -n +2 "$out")|$(cat "$err")"

# ---- 15. CUR 2.0 without pricing/publicOnDemandCost: no list price, as Azure without PayGPrice ----------

{
	echo "${CUR_H/,pricing_public_on_demand_cost/}"
	echo "m1,2026-10-01T00:00:00.000Z,444455556666,Usage,2026-10-01T03:00:00.000Z,AmazonS3,USD,0.1,us-east-1"
	echo "m2,2026-10-01T00:00:00.000Z,444455556666,Tax,2026-10-01T00:00:00.000Z,AmazonS3,USD,0.02,us-east-1"
} >"$TMP/e/cur2-no-pricing.csv"
run "$TMP/e" --format aws-cur --summary cur2-no-pricing.csv
check "15: CUR 2.0 without its pricing column: an empty list cost, the usage line counted in the warning" \
	"0|partner_account_id,list_cost,billed_cost
444455556666,,0.12|pb-ingest: cur2-no-pricing.csv: warning: 1 line has no list price; its list cost is left empty" \
	"$st|$(cat "$out")|$(cat "$err")"
run "$TMP/e" --format aws-cur --source cur2:no-pricing cur2-no-pricing.csv
check "15: stored with a NULL list cost" "0|2|0.12|" \
	"$st|$(pb_sql "SELECT count(*), sum(u.billed_cost), coalesce(sum(u.list_cost)::text, '') FROM pb.usage_daily u JOIN pb.import i ON i.id = u.import_id WHERE i.source = 'cur2:no-pricing' AND i.status = 'committed'" '|')"

# ---- 17. a new month's partition never blocks the readers of other months --------------------------------

{
	echo "$CUR_H"
	cur_row n1 2027-01-01T00:00:00.000Z 444455556666 2027-01-02T00:00:00.000Z
} >"$TMP/e/january.csv"
PB_TEST_PAUSE=copy "$PBI" --format aws-cur --no-progress --source pause:january "$TMP/e/january.csv" >"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 grep -q "test pause at copy" "$TMP/bg.err"
paused=yes
grep -q "test pause at copy" "$TMP/bg.err" || paused=$(cat "$TMP/bg.err")
check "17: an import of a new month waits inside its COPY" "yes" "$paused"
check "17: meanwhile, October is read at once (no lock on pb.usage_daily held through the COPY)" "ok" \
	"$("$BIN/pb-db" psql -X -q -t -A -v ON_ERROR_STOP=1 \
		-c "SET lock_timeout = '60s'" \
		-c "SELECT 'ok' FROM (SELECT count(*) FROM pb.usage_daily WHERE billing_month = '2026-10-01') c" 2>&1)"
check "17: and the partition of January exists already, outside the import's transaction" "1" \
	"$(pb_sql "SELECT count(*) FROM pg_class WHERE relname = 'usage_daily_2027_01'")"
kill -9 "$BGPID"
wait "$BGPID" 2>/dev/null
BGPID=
# Two imports of a new month at once: the second waits while the first makes the partition, then takes it.
# The first's transaction stays open until the second waits for it (not for a fixed 2 s: a loaded machine
# started the second after the first had committed).
mkfifo "$TMP/first.in"
: >"$TMP/first.out"
"$BIN/pb-db" psql -X -q -t -A -v ON_ERROR_STOP=1 <"$TMP/first.in" >"$TMP/first.out" 2>"$TMP/bg.err" &
BGPID=$!
exec 7>"$TMP/first.in"
printf '%s\n\\echo made\n' "BEGIN; SELECT 'first' FROM pb.ensure_usage_partition('2027-05-01');" >&7
pb_until 120 grep -qx made "$TMP/first.out" || notok "17: a session makes May 2027's partition" "$(cat "$TMP/bg.err")"
"$BIN/pb-db" psql -X -q -t -A -v ON_ERROR_STOP=1 -c "SELECT 'ok' FROM pb.ensure_usage_partition('2027-05-01')" \
	>"$TMP/second.out" 2>&1 &
second_pid=$!
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'" ||
	notok "17: the second session waits for the first"
echo "COMMIT;" >&7
exec 7>&-
wait "$BGPID"
st=$?
wait "$second_pid"
check "17: two sessions making the same new month's partition at once: both succeed" "0|first|ok|" \
	"$st|$(head -n 1 "$TMP/first.out")|$(cat "$TMP/second.out")|$(cat "$TMP/bg.err")"
BGPID=

# ---- 18. tags: only the keys the mapping rules read, at most 256 names per partner account ----------------

python3 - "$TMP/e/tags.csv" 7c2a9e41-5b3d-4f6e-8a1c-2d4e6f8a0b1c <<'PY'
import json, sys
rows = ['SubscriptionId,SubscriptionName,Date,ChargeType,BillingCurrency,CostInBillingCurrency,Tags']
for i in range(300):
    tags = json.dumps({'clc-alias': 'ACME1', 'env': 'v%03d' % i}).replace('"', '""')
    rows.append('%s,sub-%d,10/%02d/2026,Usage,USD,1,"%s"' % (sys.argv[2], i % 3, i % 28 + 1, tags))
open(sys.argv[1], 'w').write('\n'.join(rows) + '\n')
PY
sed 's/sub-0/sub-a/; s/^7c2a9e41/8d3b0f52/' "$TMP/e/tags.csv" >"$TMP/e/tags-all.csv"
run "$TMP/e" --format azure-cost --source tags:rules --rules "$ROOT/config/mapping-rules.example" tags.csv
check "18: with the example rules, only the tag key they read is recorded" \
	"0|subscription_name sub-0 100
subscription_name sub-1 100
subscription_name sub-2 100
tag clc-alias=ACME1 300|pb-ingest: tags.csv: warning: 300 lines have no list price; their list cost is left empty" \
	"$st|$(pb_sql "SELECT n.kind, n.name, n.line_count FROM pb.partner_account_name n JOIN pb.import i ON i.id = n.import_id
		WHERE i.source = 'tags:rules' AND i.status = 'committed' ORDER BY 1, 2" ' ')|$(cat "$err")"
run "$TMP/e" --format azure-cost --source tags:all --tag-keys '*' tags-all.csv
check "18: every key: at most 256 names per partner account, the rest counted in a warning" \
	"0|256|pb-ingest: tags-all.csv: warning: 300 lines have no list price; their list cost is left empty
pb-ingest: warning: 48 distinct names or tags of partner accounts past 256 per account were not recorded (48 lines)" \
	"$st|$(pb_sql "SELECT count(*) FROM pb.partner_account_name n JOIN pb.import i ON i.id = n.import_id
		WHERE i.source = 'tags:all' AND i.status = 'committed'")|$(cat "$err")"

# A rules file named (--rules, PB_MAPPING_RULES) that is not there was taken for rules reading no tag, and the
# import stored without the tags they read; only the default, config/mapping-rules, may be missing.
sed 's/^7c2a9e41/9e4c1a63/' "$TMP/e/tags.csv" >"$TMP/e/tags-none.csv"
run "$TMP/e" --format azure-cost --source tags:none --rules "$TMP/e/no-such-rules" tags-none.csv
check "18: --rules naming a file that is not there: a usage error, nothing stored" \
	"2|pb-ingest: cannot open '$TMP/e/no-such-rules': No such file or directory|0" \
	"$st|$(head -n 1 "$err")|$(pb_sql "SELECT count(*) FROM pb.import WHERE source = 'tags:none'")"
PB_MAPPING_RULES=$TMP/e/no-such-rules run "$TMP/e" --format azure-cost --source tags:none tags-none.csv
check "18: so does PB_MAPPING_RULES" \
	"2|pb-ingest: cannot open '$TMP/e/no-such-rules': No such file or directory|0" \
	"$st|$(head -n 1 "$err")|$(pb_sql "SELECT count(*) FROM pb.import WHERE source = 'tags:none'")"
# Named, the rules are read as pb-accounts reads them: an address too (PB_MAPPING_RULES serves both).
PB_MAPPING_RULES=file://$ROOT/config/mapping-rules.example run "$TMP/e" --format azure-cost --source tags:none tags-none.csv
check "18: rules named by an address: read, their tag key recorded" "0|tag clc-alias=ACME1 300" \
	"$st|$(pb_sql "SELECT n.kind, n.name, n.line_count FROM pb.partner_account_name n JOIN pb.import i ON i.id = n.import_id
		WHERE i.source = 'tags:none' AND i.status = 'committed' AND n.kind = 'tag'" ' ')"

# A rules file saved with a UTF-8 byte order mark (as some editors write one), its tag rule first: pb-accounts
# skips the mark, so the tag it reads must be recorded; named, and as the default config/mapping-rules.
printf '\357\273\277^clc-alias=(?<alias>[A-Z0-9]{2,6})$\n' >"$TMP/e/bom-rules"
sed 's/^7c2a9e41/a5f2d7b4/' "$TMP/e/tags.csv" >"$TMP/e/tags-bom.csv"
run "$TMP/e" --format azure-cost --source tags:bom --rules "$TMP/e/bom-rules" tags-bom.csv
a="$st|$(pb_sql "SELECT n.kind, n.name, n.line_count FROM pb.partner_account_name n JOIN pb.import i ON i.id = n.import_id
	WHERE i.source = 'tags:bom' AND i.status = 'committed' AND n.kind = 'tag'" ' ')"
mkdir -p "$TMP/e/config" && cp "$TMP/e/bom-rules" "$TMP/e/config/mapping-rules"
sed 's/^7c2a9e41/b6a3e8c5/' "$TMP/e/tags.csv" >"$TMP/e/tags-bom2.csv"
PB_MAPPING_RULES= run "$TMP/e" --format azure-cost --source tags:bom2 tags-bom2.csv
a="$a|$st|$(pb_sql "SELECT n.kind, n.name, n.line_count FROM pb.partner_account_name n JOIN pb.import i ON i.id = n.import_id
	WHERE i.source = 'tags:bom2' AND i.status = 'committed' AND n.kind = 'tag'" ' ')"
rm -f "$TMP/e/config/mapping-rules"
check "18: a rules file with a byte order mark, its tag rule first: the tag it reads recorded (named, and the default)" \
	"0|tag clc-alias=ACME1 300|0|tag clc-alias=ACME1 300" "$a"

# ---- 19. an import in two currencies: its totals per currency, never one sum of both -------------------------
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory' \
	'9e4d1c2b-3a5f-4b6c-8d7e-0f1a2b3c4d5e,10/02/2026,Usage,EUR,9,10.004,1,Storage' \
	'9e4d1c2b-3a5f-4b6c-8d7e-0f1a2b3c4d5e,10/03/2026,Usage,USD,1,1,1,Storage' >"$TMP/e/two-currencies.csv"
run "$TMP/e" --format azure-cost --source two-currencies two-currencies.csv
id=$(pb_sql "SELECT id FROM pb.import WHERE source = 'two-currencies' AND status = 'committed'")
check "19: the commit line gives an import's totals per currency when it has several" \
	"0|import ${id:-?} committed: azure 2026-10 from two-currencies: 1 file, 2 lines, 2 daily rows, list_cost EUR 10.004 + USD 1, billed_cost EUR 9 + USD 1|" \
	"$st|$(cat "$out")|$(cat "$err")"


# ---- 20. a report's runs in their own folders: a rerun replaces the month, never adds to it --------------
# AWS writes each assembly of a legacy report to REPORT/yyyymmdd-yyyymmdd/ASSEMBLYID/, a Cost Management
# export each run to EXPORT/yyyymmdd-yyyymmdd/RUNID/: files named from such a folder are of the report's
# source (the folder above the period's), so that the next run's files supersede them.
LEG_H='identity/LineItemId,bill/BillingPeriodStartDate,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/ProductCode,lineItem/CurrencyCode,lineItem/UnblendedCost,pricing/publicOnDemandCost,product/regionCode'
rep=$TMP/e/bucket/cur/rep/20261001-20261101
mkdir -p "$rep/0b5e6f1a-2c3d-4e5f-8a9b-0c1d2e3f4a5b" "$rep/9f8e7d6c-5b4a-4938-8271-6a5b4c3d2e1f"
printf '%s\n' "$LEG_H" 'a,2026-10-01T00:00:00Z,777766665555,Usage,2026-10-01T00:00:00Z,AmazonEC2,USD,1,1,us-east-1' |
	gzip >"$rep/0b5e6f1a-2c3d-4e5f-8a9b-0c1d2e3f4a5b/rep-00001.csv.gz"
printf '%s\n' "$LEG_H" 'a,2026-10-01T00:00:00Z,777766665555,Usage,2026-10-01T00:00:00Z,AmazonEC2,USD,2,2,us-east-1' |
	gzip >"$rep/9f8e7d6c-5b4a-4938-8271-6a5b4c3d2e1f/rep-00001.csv.gz"
run "$rep/0b5e6f1a-2c3d-4e5f-8a9b-0c1d2e3f4a5b" --format aws-cur rep-00001.csv.gz
run "$rep/9f8e7d6c-5b4a-4938-8271-6a5b4c3d2e1f" --format aws-cur rep-00001.csv.gz
check "20: the next AWS assembly's files supersede the last one's (the month billed once)" \
	"0||file://$TMP/e/bucket/cur/rep 2" \
	"$st|$(cat "$err")|$(pb_sql "SELECT string_agg(source || ' ' || billed_total, '; ') FROM pb.import WHERE status = 'committed' AND billing_month = '2026-10-01' AND source LIKE '%/bucket/cur/%'")"
exp=$TMP/e/container/billing/daily/20261001-20261031
mkdir -p "$exp/3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a" "$exp/6e5d4c3b-2a19-4807-b6f5-e4d3c2b1a097"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency' \
	'5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d,10/02/2026,Usage,EUR,3' >"$exp/3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a/part_0_0001.csv"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency' \
	'5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d,10/02/2026,Usage,EUR,3' \
	'5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d,10/03/2026,Usage,EUR,4' >"$exp/6e5d4c3b-2a19-4807-b6f5-e4d3c2b1a097/part_0_0001.csv"
run "$exp/3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a" --format azure-cost part_0_0001.csv
run "$exp/6e5d4c3b-2a19-4807-b6f5-e4d3c2b1a097" --format azure-cost part_0_0001.csv
check "20: the next Azure export run's files supersede the last one's (the month billed once)" \
	"0||file://$TMP/e/container/billing/daily 7" \
	"$st|$(grep -v ': warning: .* lines\? ha[sv]e\? no list price' "$err")|$(pb_sql "SELECT string_agg(source || ' ' || billed_total, '; ') FROM pb.import WHERE status = 'committed' AND billing_month = '2026-10-01' AND source LIKE '%/container/billing/%'")"
# A folder of another name under a period's is a source of its own: two payers' files never replace each other.
mkdir -p "$TMP/e/payers/20261001-20261101/payer-a"
printf '%s\n' "$LEG_H" 'a,2026-10-01T00:00:00Z,777788880000,Usage,2026-10-01T00:00:00Z,AmazonEC2,USD,5,5,us-east-1' \
	>"$TMP/e/payers/20261001-20261101/payer-a/cur.csv"
run "$TMP/e/payers/20261001-20261101/payer-a" --format aws-cur cur.csv
check "20: a folder not named as a run is the source" "0|file://$TMP/e/payers/20261001-20261101/payer-a" \
	"$st|$(pb_sql "SELECT source FROM pb.import WHERE status = 'committed' AND source LIKE '%/payers/%'")"

# ---- 21. legacy tag columns whose keys differ only in case ---------------------------------------------------
# resourceTags/user:Env and resourceTags/user:env are both user_env under CUR 2.0's names: each value a line
# holds in either is recorded under that key, a value both columns hold once for the line.
mkdir -p "$TMP/e/case"
printf '%s\n' "$LEG_H,resourceTags/user:Env,resourceTags/user:env" \
	'a,2026-10-01T00:00:00Z,777799990000,Usage,2026-10-01T00:00:00Z,AmazonEC2,USD,1,1,us-east-1,prod,dev' \
	'b,2026-10-01T00:00:00Z,777799990000,Usage,2026-10-02T00:00:00Z,AmazonEC2,USD,1,1,us-east-1,prod,prod' \
	'c,2026-10-01T00:00:00Z,777799990000,Usage,2026-10-03T00:00:00Z,AmazonEC2,USD,1,1,us-east-1,,qa' \
	>"$TMP/e/case/cur.csv"
run "$TMP/e/case" --format aws-cur --source tags:case --tag-keys user_env cur.csv
check "21: tag columns differing only in case: every value under the one key, each line counted once" \
	"0|user_env=dev 1
user_env=prod 2
user_env=qa 1" \
	"$st|$(pb_sql "SELECT n.name, n.line_count FROM pb.partner_account_name n JOIN pb.import i ON i.id = n.import_id
		WHERE i.source = 'tags:case' AND i.status = 'committed' AND n.kind = 'tag' ORDER BY 1" ' ')"

# ---- 22. a line whose billed cost is empty, the column present: an error at its place, nothing stored ----------
# Billed cost is what the partner charges: a line without it would be billed at 0 where its list price is
# missing too, or where the pricing rules bill the billed cost (taxes, credits).
mkdir -p "$TMP/e/nobilled"
printf '%s\n' 'bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_currency_code,line_item_unblended_cost,pricing_public_on_demand_cost' \
	'2026-10-01T00:00:00Z,777700001111,Usage,2026-10-01T00:00:00Z,USD,2,5' \
	'2026-10-01T00:00:00Z,777700001111,Tax,2026-10-01T00:00:00Z,USD,,' >"$TMP/e/nobilled/cur.csv"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity' \
	'6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d,10/02/2026,Usage,USD,,1,1' >"$TMP/e/nobilled/az.csv"
state
before=$STATE
col=$(($(sed -n 3p "$TMP/e/nobilled/cur.csv" | cut -d, -f1-5 | wc -c) + 1))
run "$TMP/e/nobilled" --format aws-cur cur.csv
refused "22: an AWS line with an empty line_item_unblended_cost" 1 \
	"pb-ingest: cur.csv:3:$col: empty value in column 'line_item_unblended_cost'" "$before"
col=$(($(sed -n 2p "$TMP/e/nobilled/az.csv" | cut -d, -f1-4 | wc -c) + 1))
run "$TMP/e/nobilled" --format azure-cost --summary az.csv
refused "22: an Azure line with an empty CostInBillingCurrency, --summary" 1 \
	"pb-ingest: az.csv:2:$col: empty value in column 'CostInBillingCurrency'" "$before"

# ---- 23. an export given as a pipe (a FIFO, <(zcat ...)): read once, in order, as standard input is ------------
# It was opened once to peek at its month and again to be read, so the read found the rest of the stream (or
# none): a 'missing required column' or an 'empty file' about a good export.
mkdir -p "$TMP/e/fifo"
cp "$ROOT/samples/azure-cost/2026-10/part_0_0001.csv" "$TMP/e/fifo/az.csv"
mkfifo "$TMP/e/fifo/pipe"
run "$TMP/e/fifo" --format azure-cost --summary az.csv
cp "$out" "$TMP/e/fifo/want"
sed 's/^pb-ingest: az\.csv:/pb-ingest: pipe:/' "$err" >"$TMP/e/fifo/want-err"
(cat "$TMP/e/fifo/az.csv" >"$TMP/e/fifo/pipe" &)
run "$TMP/e/fifo" --format azure-cost --summary pipe
check "23: --summary of an export given as a FIFO: exit 0, the summary and warnings of the file" \
	"0|$(cat "$TMP/e/fifo/want-err")|$(cat "$TMP/e/fifo/want")" "$st|$(cat "$err")|$(cat "$out")"
state
before=$STATE
(cat "$TMP/e/fifo/az.csv" >"$TMP/e/fifo/pipe" &)
run "$TMP/e/fifo" --format azure-cost --source fifo:test pipe
refused "23: a FIFO into the store without --month" 1 \
	"pb-ingest: pipe: reading a pipe or device into the store needs --month YYYY-MM" "$before"
cat "$TMP/e/fifo/pipe" >/dev/null # the writer left waiting
(cat "$TMP/e/fifo/az.csv" >"$TMP/e/fifo/pipe" &)
run "$TMP/e/fifo" --format azure-cost --source fifo:test --month 2026-10 pipe
check "23: a FIFO into the store with --month: committed, the file's lines" \
	"0|$(($(wc -l <"$TMP/e/fifo/az.csv") - 1))" \
	"$st|$(pb_sql "SELECT line_count FROM pb.import WHERE source = 'fifo:test' AND status = 'committed'")"

# ---- 24. local names holding a query: only a signed one is left out, wherever it is -------------------------
# "c%25?code=1.csv" was shown and recorded as "c%25" (no signature there: it is the file's name); a folder saved
# under its signed URL was recorded with the signature as the import's source; a signature after a '#' was
# shown and recorded whole.
A=$ROOT/samples/azure-cost/2026-10/part_0_0001.csv
mkdir -p "$TMP/e/q/dl/folder?sv=1&sig=S3CR3T"
head -20 "$A" >"$TMP/e/q/c%25?code=1.csv"
head -21 "$A" >"$TMP/e/q/f.csv#x?sig=S3CR3T"
head -22 "$A" >"$TMP/e/q/dl/folder?sv=1&sig=S3CR3T/part.csv"
{ head -3 "$A"; echo x; } >"$TMP/e/q/bad.csv#x?sig=S3CR3T"
run "$TMP/e/q" --format azure-cost --summary 'c%25?code=1.csv' 'bad.csv#x?sig=S3CR3T'
check "24: names holding a query in messages: a signature after a '#' left out, another query kept" \
	"1|pb-ingest: bad.csv#x:4:1: expected 55 fields, found 1" "$st|$(cat "$err")"
got=""
for f in 'c%25?code=1.csv' 'f.csv#x?sig=S3CR3T' 'dl/folder?sv=1&sig=S3CR3T/part.csv'; do
	run "$TMP/e/q" --format azure-cost "$f"
	got="$got$st;"
done
check "24: names holding a query in the store: files and sources recorded without a signature, and only it" \
	"0;0;0;|file://$TMP/e/q/c%25?code=1.csv file://$TMP/e/q;file://$TMP/e/q/f.csv#x file://$TMP/e/q;file://$TMP/e/q/dl/folder/part.csv file://$TMP/e/q/dl/folder;|0" \
	"$got|$(pb_sql "SELECT f.uri || ' ' || i.source FROM pb.import_file f JOIN pb.import i ON i.id = f.import_id
		WHERE i.source LIKE 'file://$TMP/e/q%' ORDER BY i.id" | tr '\n' ';')|$(pb_sql "SELECT count(*) FROM pb.import i
		LEFT JOIN pb.import_file f ON f.import_id = i.id WHERE i.source || coalesce(f.uri, '') LIKE '%S3CR3T%'")"

# A path is recorded as it was before file:// addresses were decoded: a folder whose name holds a '%' keeps the
# source its imports already have ("file://DIR/100%", not "file://DIR/100%25"), so that storing its month again
# replaces them rather than being refused as the same bytes under another source.
mkdir -p "$TMP/e/p/100%"
head -23 "$A" >"$TMP/e/p/100%/part.csv"
run "$TMP/e/p/100%" --format azure-cost part.csv
a=$st
run "$TMP/e/p/100%" --format azure-cost part.csv
check "24: a folder whose name holds a '%': recorded as it is, the second store replaces the first" \
	"0|0|file://$TMP/e/p/100%/part.csv file://$TMP/e/p/100% superseded;file://$TMP/e/p/100%/part.csv file://$TMP/e/p/100% committed;" \
	"$a|$st|$(pb_sql "SELECT f.uri || ' ' || i.source || ' ' || i.status FROM pb.import_file f JOIN pb.import i
		ON i.id = f.import_id WHERE i.source LIKE 'file://$TMP/e/p/%' ORDER BY i.id" | tr '\n' ';')"

# ---- 25. file:// addresses are percent-decoded (RFC 8089), of this machine only ------------------------------
# "file:///DIR/a%20b.csv" looked for a file named "a%20b.csv"; a host was ignored. An address
# decodes to its name ("file://DIR/c%2525?code=1.csv" is "DIR/c%25?code=1.csv").
head -20 "$A" >"$TMP/e/q/a b.csv"
run "$TMP/e/q" --format azure-cost --summary "a b.csv"
cp "$out" "$TMP/e/q/want"
got=""
for u in "file://$TMP/e/q/a%20b.csv" "file://LocalHost$TMP/e/q/a%20b.csv" "file://$TMP/e/q/c%2525?code=1.csv"; do
	run "$TMP/e/q" --format azure-cost --summary "$u"
	got="$got$st $(cmp -s "$out" "$TMP/e/q/want" && echo same || echo other);"
done
check "25: file:// addresses decoded, with an empty or localhost host: the files' summaries" "0 same;0 same;0 same;" "$got"
got=""
for u in "file://example.com$TMP/e/q/a%20b.csv" "file://$TMP/e/q/a%00b.csv" "file://$TMP/e/q/a%2"; do
	run "$TMP/e/q" --format azure-cost --summary "$u"
	got="$got$st|$(cat "$err")|$(cat "$out");"
done
check "25: a file:// address of another host, with %00 or a bad escape: exit 1, the reason" \
	"1|pb-ingest: cannot open 'file://example.com$TMP/e/q/a%20b.csv': a file:// address names a file of this machine: its host is empty or localhost, not 'example.com'|;1|pb-ingest: cannot open 'file://$TMP/e/q/a%00b.csv': %00 at byte $((${#TMP} + 14)): a file's name holds no NUL byte|;1|pb-ingest: cannot open 'file://$TMP/e/q/a%2': '%' at byte $((${#TMP} + 14)) is not followed by two hexadecimal digits (a '%' is %25)|;" \
	"$got"

# ---- 26. a line ending in CR CR LF: where its stray carriage return is ----------------------------------------
# A header so ended was said to be of a file whose lines end in CR alone; a data line's CR went into its last
# field (the line read, or refused for that field's value).
mkdir -p "$TMP/e/cr"
C=$ROOT/samples/aws-cur/2026-10/cur2-00001.csv
{ head -1 "$C"; sed -n 2p "$C" | tr -d '\n'; printf '\r\r\n'; sed -n 3,5p "$C"; } >"$TMP/e/cr/cur.csv"
{ head -3 "$A"; sed -n 4p "$A" | tr -d '\r\n'; printf '\r\r\r\n'; sed -n 5,6p "$A"; } >"$TMP/e/cr/az.csv"
{ head -1 "$A" | tr -d '\r\n'; printf '\r\r\n'; sed -n 2,3p "$A"; } >"$TMP/e/cr/azh.csv"
got=""
for f in cur.csv az.csv azh.csv; do
	run "$TMP/e/cr" --format "$([ $f = cur.csv ] && echo aws-cur || echo azure-cost)" --summary $f
	got="$got$st|$(cat "$err")|$(wc -c <"$out");"
done
msg="a stray carriage return at the end of the line (CR CR LF): lines end in LF or CR LF"
check "26: lines ending in CR CR LF: exit 1, the file, line and column of the stray carriage return" \
	"1|pb-ingest: cur.csv:2:$(($(sed -n 2p "$C" | wc -c))): $msg|0;1|pb-ingest: az.csv:4:$(($(sed -n 4p "$A" | wc -c) - 1)): $msg|0;1|pb-ingest: azh.csv:1:$(($(head -1 "$A" | wc -c) - 4)): $msg|0;" \
	"$got"

# ---- 27. --summary of a customer billed in two currencies: the refusal alone, exit 1 ------------------------
# The refusal was taken for a failed write: it went on with "cannot write standard output" and a stale reason,
# and exit 3 (a dependency) instead of 1.
mkdir -p "$TMP/e/cur2"
{ pc_line && pc_line "$TENANT" 2026-10-04T00:00:00Z '"0.5"' '"2"' | sed 's/"USD"/"EUR"/'; } >"$TMP/e/cur2/pc.jsonl"
run "$TMP/e/cur2" --format partner-center --month 2026-10 --summary pc.jsonl
check "27: --summary of a tenant billed in USD and EUR: exit 1, the reason only, nothing printed" \
	"1|pb-ingest: partner account '$TENANT' has lines in more than one currency (EUR, USD); use --summary=daily|" \
	"$st|$(cat "$err")|$(cat "$out")"

# ---- 28. a Partner Center ChargeType not in the table: kept as its own charge category, warned, counted ------
# As for AWS and Azure files (tests/e2e): the type itself is the category, each line counted once.
mkdir -p "$TMP/e/pctype"
{
	pc_line | sed 's/"Usage"/"Correction"/'
	pc_line "$TENANT" 2026-10-04T00:00:00Z '"0.5"' '"-0.25"' | sed 's/"Usage"/"Correction"/'
	pc_line "$TENANT" 2026-10-04T00:00:00Z '"0.5"' '"2"'
} >"$TMP/e/pctype/pc.jsonl"
run "$TMP/e/pctype" --format partner-center --month 2026-10 --summary=daily pc.jsonl
check "28: a Partner Center line of an unknown ChargeType: its own category, one warning counting both lines" \
	"0|pb-ingest: pc.jsonl: warning: 2 lines of unknown charge type 'Correction' kept as charge category 'Correction'|azure,2026-10-01,$TENANT,2026-10-03,Correction,Correction,Virtual Machines,eastus,USD,2,1.75,1|azure,2026-10-01,$TENANT,2026-10-04,Correction,Correction,Virtual Machines,eastus,USD,2,-0.25,1|azure,2026-10-01,$TENANT,2026-10-04,Usage,Usage,Virtual Machines,eastus,USD,2,2,1|" \
	"$st|$(cat "$err")|$(tail -n +2 "$out" | tr '\n' '|')"

# ---- 29. the same lines: only an import with every row alike is refused ----------------------------------------
# Each of the month's other current imports is compared row by row (the same count, every row found); the
# comparison once joined every import's rows on the partner account alone, minutes for an account billed in
# thousands of currencies. An import holding a part of another's rows, or all of them and one more, or the same
# rows with one total apart, is not the same data.
mkdir -p "$TMP/e/s9a" "$TMP/e/s9b" "$TMP/e/s9c" "$TMP/e/s9d" "$TMP/e/s9e"
s9() { cur_row "$1" 2026-09-01T00:00:00.000Z "$2" "2026-09-0${3}T01:00:00.000Z" "$4" 1; }
{ echo "$CUR_H"; s9 n1 111122223333 1 0.5; s9 n2 444455556666 2 0.25; } >"$TMP/e/s9a/cur.csv"
{ echo "$CUR_H"; s9 n1 111122223333 1 0.5; } >"$TMP/e/s9b/cur.csv"
{ echo "$CUR_H"; s9 n1 111122223333 1 0.5; s9 n2 444455556666 2 0.25; s9 n3 777788889999 3 1; } >"$TMP/e/s9c/cur.csv"
{ echo "$CUR_H"; s9 n1 111122223333 1 0.5; s9 n2 444455556666 2 0.26; } >"$TMP/e/s9d/cur.csv"
{ echo "$CUR_H"; s9 n2 444455556666 2 0.25; s9 n1 111122223333 1 0.5; echo; } >"$TMP/e/s9e/cur.csv"
got=
for d in s9a s9b s9c s9d s9e; do
	run "$TMP/e/$d" --format aws-cur cur.csv
	got+="$d $st $(sed -n '/same lines/s/.*: the same lines as import [0-9]* /same lines as /p' "$err");"
done
check "29: a part of another import's rows, all and one more, one total apart: stored; all alike: refused" \
	"s9a 0 ;s9b 0 ;s9c 0 ;s9d 0 ;s9e 4 same lines as of 2026-09 (aws-cur from file://$TMP/e/s9a): every partner account's line count, totals and days alike: refusing to bill them twice;" \
	"$got"

# ---- 30. two empty exports of other sources: neither holds lines, neither is refused as the same lines ---------
# An import of no lines has no partner account's rows to compare: the comparison by count took two of them
# for the same data (0 rows each, every row found) and refused the second (other bytes) with exit 4.
mkdir -p "$TMP/e/s0a" "$TMP/e/s0b"
echo "$CUR_H" >"$TMP/e/s0a/cur.csv"
printf '%s\r\n' "$CUR_H" >"$TMP/e/s0b/cur.csv" # other bytes
got=
for d in s0a s0b; do
	run "$TMP/e/$d" --format aws-cur --month 2026-08 cur.csv
	got+="$d $st $(cat "$err");"
done
check "30: two empty exports of the month from two folders: both stored, no refusal" "s0a 0 ;s0b 0 ;" "$got"

# ---- 31. an import's finished_at is the time it committed, not the time its COPY began ---------------------------
{
	echo "$CUR_H"
	cur_row f1 2026-10-01T00:00:00.000Z 444455556677 2026-10-02T00:00:00.000Z
} >"$TMP/e/finished.csv"
rm -f "$TMP/finished.resume"
: >"$TMP/bg.err"
PB_TEST_PAUSE=copy PB_TEST_RESUME_FILE=$TMP/finished.resume "$PBI" --format aws-cur --no-progress --source pause:finished \
	"$TMP/e/finished.csv" >"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 grep -q "test pause at copy" "$TMP/bg.err" || notok "31: the import pauses in its COPY" "$(cat "$TMP/bg.err")"
paused_at=$(pb_sql "SELECT clock_timestamp()")
touch "$TMP/finished.resume"
wait "$BGPID"
st=$?
BGPID=
check "31: committed after its pause in the COPY: its finished_at is after the pause" "0|committed|t" \
	"$st|$(pb_sql "SELECT status, finished_at > '$paused_at'::timestamptz FROM pb.import WHERE source = 'pause:finished'" '|')"

pb_tests_done
