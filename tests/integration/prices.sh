#!/usr/bin/env bash
# Integration tests of pb-prices and of the list prices pb-ingest fills from it, against a throwaway PostgreSQL
# cluster and real servers on loopback: the Azure Retail Prices API (tests/servers/retailprices.py: Items,
# NextPageLink, Count, paging) behind faultproxy.py (a 429 with Retry-After, a body cut once, a body cut every
# time), and AWS Price List files (offer index, region index, offer CSV) served by faultproxy.py from a folder.
# Then an Azure export with reservation, savings plan and marketplace usage and an AWS CUR 2.0 export without
# pricing columns are ingested: each line gets its list cost exactly (a price changing mid-month by usage date,
# a "100 Hours" meter, graduated tiers, a region, a price sheet), a line no list prices is counted per partner
# account, never priced at 0, and pb-aggregate's totals hold the list costs to the last digit. Every server is
# stopped when the script ends.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBP=$BIN/pb-prices
PBI=$BIN/pb-ingest
PBA=$BIN/pb-aggregate
PBC=$BIN/pb-accounts
. "$ROOT/tests/servers/lib.sh"

pb_test_tmp prices
cleanup() {
	[ -n "${BGPID:-}" ] && kill -9 "$BGPID" 2>/dev/null
	pb_test_cleanup
}
pb_on_exit cleanup
export PB_PRICING_CONFIG=$ROOT/config/pricing.conf PB_ELIGIBILITY_CONFIG=$ROOT/config/eligibility.conf
pb_test_cluster_start

# run WANT_STATUS CMD...: stdout to $TMP/out, stderr to $TMP/err; true when the status is WANT_STATUS (GOT).
run() {
	local want=$1
	shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	GOT=$?
	[ "$GOT" -eq "$want" ]
}

M1=11111111-aaaa-4bbb-8ccc-000000000001 # a VM meter, 0.1 an hour, 0.2 from October 16th
M2=11111111-aaaa-4bbb-8ccc-000000000002 # a price with more digits than a double holds
M3=11111111-aaaa-4bbb-8ccc-000000000003 # priced per "100 Hours"
M4=11111111-aaaa-4bbb-8ccc-000000000004 # storage in graduated tiers: 5 GB free, 0.5 to 10 GB, 0.4 beyond
M5=11111111-aaaa-4bbb-8ccc-000000000005 # one meter id in two regions
M6=11111111-aaaa-4bbb-8ccc-000000000006 # from the price sheet: 0.3 until October 14th, 0.35 from the 15th
M9=11111111-aaaa-4bbb-8ccc-000000000009 # in no price list

# item METER SERVICE REGION UNIT PRICE START [TIER [TYPE]]: one item of the Retail Prices API.
item() {
	printf '{"currencyCode": "USD", "tierMinimumUnits": "%s", "retailPrice": "%s", "unitPrice": "%s", "armRegionName": "%s", "location": "%s", "effectiveStartDate": "%sT00:00:00Z", "meterId": "%s", "meterName": "%s meter", "productName": "%s", "skuName": "Standard", "serviceName": "%s", "unitOfMeasure": "%s", "type": "%s", "isPrimaryMeterRegion": true}' \
		"${7:-0.0}" "$5" "$5" "$3" "$([ "$3" == westus ] && echo "US West" || echo "US East")" "$6" "$1" "$2" "$2" "$2" \
		"$4" "${8:-Consumption}"
}
# The price list as the API gives it on October 1st, and (items_v2) from October 16th on.
items_v1() {
	echo "["
	item $M1 "Virtual Machines" eastus "1 Hour" 0.1 2026-09-01 && echo ","
	item $M1 "Virtual Machines" eastus "1 Hour" 876 2026-09-01 0.0 Reservation && echo ","
	item $M2 "Virtual Machines" eastus "1 Hour" 0.12345678901234567890123 2026-09-01 && echo ","
	item $M3 "Virtual Machines" eastus "100 Hours" 12.5 2026-09-01 && echo ","
	item $M5 "Virtual Machines" eastus "1 Hour" 1.0 2026-09-01 && echo ","
	item $M5 "Virtual Machines" westus "1 Hour" 2.0 2026-09-01 && echo ","
	item $M4 Storage eastus "1 GB" 0 2026-09-01 0.0 && echo ","
	item $M4 Storage eastus "1 GB" 0.5 2026-09-01 5.0 && echo ","
	item $M4 Storage eastus "1 GB" 0.4 2026-09-01 10.0
	echo "]"
}
items_v1 >"$TMP/items.json"
pb_retail_start "$TMP/items.json" 2 >/dev/null || exit 1
RETAIL=$RETAIL_URL
# The same source whichever way the API is reached: through the fault proxy or not.
SRC=azure-retail-test
LOAD=(load --format azure-retail --no-progress --service "Virtual Machines" --service Storage --region eastus
	--region westus --source $SRC)

# ---- the Retail Prices API: paging, a 429 with Retry-After, a body cut once -------------------------------
pb_fault_start "$RETAIL" '2:429:retry-after=1; 4:truncate=120' >/dev/null || exit 1
t0=$SECONDS
if run 0 "$PBP" "${LOAD[@]}" --url "$FAULT_ENDPOINT"; then
	ok "azure-retail through NextPageLink, a 429 and a cut body: exit 0"
else
	notok "azure-retail through NextPageLink, a 429 and a cut body: exit 0" "status $GOT: $(cat "$TMP/err")"
fi
check "the load says what it stored" \
	"price load 1 committed: azure azure-retail from $SRC: 6 files, 8 items, 8 prices stored, 0 not list prices skipped" \
	"$(cat "$TMP/out")"
# Four queries (two services in two regions), six pages: the last of a query has no NextPageLink.
check "every page once, the 429 and the cut page again: 8 requests" \
	"8|1|1" "$(pb_fault_count '^n=')|$(pb_fault_count ' status=429 ')|$(pb_fault_count 'fault=truncate=120')"
check "Retry-After is honoured" "yes" "$([ $((SECONDS - t0)) -ge 1 ] && echo yes)"
# The load's end is when it committed (the second Retry-After made it wait, among others), not its transaction's start.
check "the load's finished_at is its commit's time, a second at least after its start" \
	"t" "$(pb_sql "SELECT finished_at - started_at >= interval '1 second' FROM pb.price_load WHERE id = 1")"
check "the pages are recorded with their bytes and SHA-256" \
	"6|6|6" "$(pb_sql "SELECT count(*), count(DISTINCT sha256), sum(CASE WHEN bytes > 0 THEN 1 END)
	FROM pb.price_load_file WHERE load_id = 1" '|')"
check "the prices keep every digit of their text; meters in lowercase" \
	"0.12345678901234567890123|1 Hour|eastus" \
	"$(pb_sql "SELECT unit_price, unit, region FROM pb.price WHERE meter = '$M2'" '|')"

# ---- a reload of the same prices changes nothing ----------------------------------------------------------
if run 0 "$PBP" "${LOAD[@]}" --url "$FAULT_ENDPOINT" &&
	[ "$(cat "$TMP/out")" == "prices of azure azure-retail from $SRC unchanged: load 1 is current with the same 8 prices: nothing to do" ]; then
	ok "a reload of the same prices: nothing to do"
else
	notok "a reload of the same prices: nothing to do" "status $GOT: $(cat "$TMP/out" "$TMP/err")"
fi
check "... and no load is added" "1|committed" "$(pb_sql "SELECT count(*), min(status) FROM pb.price_load" '|')"

# ---- a body cut every time: exit 3 naming the URL, the previous load stays current ------------------------
pb_fault_stop
pb_fault_start "$RETAIL" '*:truncate=100' >/dev/null || exit 1
if run 3 "$PBP" "${LOAD[@]}" --url "$FAULT_ENDPOINT" &&
	grep -q "^pb-prices: $FAULT_ENDPOINT?\$filter=.*: failed after 5 attempts: " "$TMP/err"; then
	ok "a body cut every time: exit 3, the message names the URL"
else
	notok "a body cut every time: exit 3, the message names the URL" "status $GOT: $(cat "$TMP/err")"
fi
check "... load 1 stays current, the failure is recorded" "1|committed|2|failed" \
	"$(pb_sql "SELECT id, status FROM pb.price_load ORDER BY id" '|' | paste -sd'|')"
pb_fault_stop

# ---- a price changing mid-month: the API's list from October 16th ------------------------------------------
sed -e "s/\"retailPrice\": \"0.1\", \"unitPrice\": \"0.1\"\(.*\)2026-09-01T/\"retailPrice\": \"0.2\", \"unitPrice\": \"0.2\"\12026-10-16T/" \
	"$TMP/items.json" >"$TMP/items2.json"
mv "$TMP/items2.json" "$TMP/items.json"
if run 0 "$PBP" "${LOAD[@]}" --url "$RETAIL" &&
	[ "$(cat "$TMP/out")" == "price load 3 committed: azure azure-retail from $SRC: 6 files, 8 items, 8 prices stored, 0 not list prices skipped, load 1 superseded, 7 older prices it covers dropped" ]; then
	ok "a new price from October 16th: a new load"
else
	notok "a new price from October 16th: a new load" "status $GOT: $(cat "$TMP/out" "$TMP/err")"
fi
# Of load 1, superseded, only the price load 3 does not cover stays: the history.
check "the older prices the new load covers are dropped, the history it does not cover stays" \
	"1|$M1|0.1|2026-09-01" "$(pb_sql "SELECT load_id, meter, unit_price, effective_start FROM pb.price WHERE load_id <> 3" '|')"
run 0 "$PBP" show --vendor azure --meter "${M1^^}"
check "show: the prices in force over time" \
	"azure meter $M1 (Virtual Machines / Standard / Virtual Machines meter): the prices in force, from the newest load that has one each day
from        to          region            unit            tier_min      unit_price  currency   load
2026-09-01  2026-10-15  eastus            1 Hour                 0             0.1  USD           1
2026-10-16  -           eastus            1 Hour                 0             0.2  USD           3" "$(cat "$TMP/out")"
run 0 "$PBP" show --vendor azure --meter "$M4"
check "show: graduated tiers" \
	"2026-09-01  -           eastus            1 GB                   0               0  USD           3
2026-09-01  -           eastus            1 GB                   5             0.5  USD           3
2026-09-01  -           eastus            1 GB                  10             0.4  USD           3" "$(tail -n +3 "$TMP/out")"
if run 1 "$PBP" show --vendor azure --meter "$M9" && [ "$(cat "$TMP/err")" == "pb-prices: no price of azure meter $M9 in any load" ]; then
	ok "show: a meter no load prices is exit 1"
else
	notok "show: a meter no load prices is exit 1" "status $GOT: $(cat "$TMP/err")"
fi
# What show and --history print is all they give: with standard output closed (a job started with >&-) it
# went to the /dev/null put in its place, exit 0. Refused before the database is reached, exit 3, as for a full
# disk, which is said too.
for args in "show --vendor azure --meter $M1" "--history" "--history --vendor aws"; do
	# shellcheck disable=SC2086 # the arguments, split
	PB_DATABASE_URL="host=$TMP/no-server dbname=none" "$PBP" $args >&- 2>"$TMP/err"
	check "${args%% --meter*} with standard output closed: exit 3, naming standard output, the database not reached" \
		"3|pb-prices: cannot write standard output: Bad file descriptor" "$?|$(cat "$TMP/err")"
	# shellcheck disable=SC2086 # the arguments, split
	"$PBP" $args >/dev/full 2>"$TMP/err"
	check "${args%% --meter*} >/dev/full: exit 3, saying so" \
		"3|pb-prices: cannot write standard output: No space left on device" "$?|$(cat "$TMP/err")"
done

# ---- a price sheet: a price changing on October 15th within one file -----------------------------------------
cat >"$TMP/pricesheet.csv" <<CSV
meterId,meterName,meterCategory,meterRegion,unitOfMeasure,tierMinimumUnits,unitPrice,marketPrice,currency,effectiveStartDate,effectiveEndDate,priceType
$M6,Backup,Backup,US East,1 GB/Month,0,0.25,0.3,USD,09/01/2026,10/14/2026,Consumption
$M6,Backup,Backup,US East,1 GB/Month,0,0.3,0.35,USD,10/15/2026,,Consumption
$M6,Backup,Backup,US East,1 GB/Month,0,100,120,USD,10/01/2026,,ReservedInstance
CSV
if run 0 "$PBP" load --format azure-pricesheet --no-progress "$TMP/pricesheet.csv" &&
	[ "$(cat "$TMP/out")" == "price load 4 committed: azure azure-pricesheet from file://$TMP: 1 file, 3 items, 2 prices stored, 1 not list price skipped" ]; then
	ok "a price sheet: its marketPrice, Consumption rows only"
else
	notok "a price sheet: its marketPrice, Consumption rows only" "status $GOT: $(cat "$TMP/out" "$TMP/err")"
fi

# ---- AWS: the offer index, a region index and an offer file, from a folder on loopback ----------------------
O=$TMP/aws/offers/v1.0/aws
mkdir -p "$O/AmazonEC2/current" "$O/AmazonEC2/20261001000000/us-east-1"
cat >"$O/index.json" <<'JSON'
{"formatVersion": "v1.0", "disclaimer": "For tests.", "publicationDate": "2026-10-01T00:00:00Z",
 "offers": {"AmazonEC2": {"offerCode": "AmazonEC2", "versionIndexUrl": "/offers/v1.0/aws/AmazonEC2/index.json",
   "currentVersionUrl": "/offers/v1.0/aws/AmazonEC2/current/index.json",
   "currentRegionIndexUrl": "/offers/v1.0/aws/AmazonEC2/current/region_index.json"}}}
JSON
cat >"$O/AmazonEC2/current/region_index.json" <<'JSON'
{"formatVersion": "v1.0", "disclaimer": "For tests.", "publicationDate": "2026-10-01T00:00:00Z",
 "regions": {"us-east-1": {"regionCode": "us-east-1",
   "currentVersionUrl": "/offers/v1.0/aws/AmazonEC2/20261001000000/us-east-1/index.json"}}}
JSON
{
	cat <<'CSV'
"FormatVersion","v1.0"
"Disclaimer","This pricing list is for informational purposes only."
"Publication Date","2026-10-01T00:00:00Z"
"Version","20261001000000"
"OfferCode","AmazonEC2"
"SKU","OfferTermCode","RateCode","TermType","PriceDescription","EffectiveDate","StartingRange","EndingRange","Unit","PricePerUnit","Currency","RelatedTo","LeaseContractLength","PurchaseOption","OfferingClass","Product Family","serviceCode","Location","Location Type","Instance Type","usageType","operation","Region Code"
"SKU1TESTAAAAAAAA","JRTCKXETXF","SKU1TESTAAAAAAAA.JRTCKXETXF.6YS6EN2CT7","OnDemand","$0.0104 per On Demand Linux t3.micro Instance Hour","2026-10-01","0","Inf","Hrs","0.0104000000","USD","","","","","Compute Instance","AmazonEC2","US East (N. Virginia)","AWS Region","t3.micro","BoxUsage:t3.micro","RunInstances","us-east-1"
"SKU1TESTAAAAAAAA","4NA7Y494T4","SKU1TESTAAAAAAAA.4NA7Y494T4.6YS6EN2CT7","Reserved","Linux/UNIX (Amazon VPC), t3.micro reserved instance applied","2026-10-01","0","Inf","Hrs","0.0065000000","USD","","1yr","No Upfront","standard","Compute Instance","AmazonEC2","US East (N. Virginia)","AWS Region","t3.micro","BoxUsage:t3.micro","RunInstances","us-east-1"
"SKU2TESTBBBBBBBB","JRTCKXETXF","SKU2TESTBBBBBBBB.JRTCKXETXF.6YS6EN2CT7","OnDemand","$0.08 per GB-month of General Purpose (gp3) provisioned storage","2026-10-01","0","Inf","GB-Mo","0.0800000000","USD","","","","","Storage","AmazonEC2","US East (N. Virginia)","AWS Region","","EBS:VolumeUsage.gp3","CreateVolume-Gp3","us-east-1"
"SKU3TESTCCCCCCCC","JRTCKXETXF","SKU3TESTCCCCCCCC.JRTCKXETXF.8EEUB22XNJ","OnDemand","$0.09 per GB - first 10 TB / month data transfer out","2026-10-01","0","10240","GB","0.0900000000","USD","","","","","Data Transfer","AWSDataTransfer","US East (N. Virginia)","AWS Region","","DataTransfer-Out-Bytes","","us-east-1"
"SKU3TESTCCCCCCCC","JRTCKXETXF","SKU3TESTCCCCCCCC.JRTCKXETXF.N9EW5UVVPA","OnDemand","$0.085 per GB - next 40 TB / month data transfer out","2026-10-01","10240","51200","GB","0.0850000000","USD","","","","","Data Transfer","AWSDataTransfer","US East (N. Virginia)","AWS Region","","DataTransfer-Out-Bytes","","us-east-1"
"SKU3TESTCCCCCCCC","JRTCKXETXF","SKU3TESTCCCCCCCC.JRTCKXETXF.LASTTIER00","OnDemand","$0.07 per GB - greater than 50 TB / month data transfer out","2026-10-01","51200","Inf","GB","0.0700000000","USD","","","","","Data Transfer","AWSDataTransfer","US East (N. Virginia)","AWS Region","","DataTransfer-Out-Bytes","","us-east-1"
CSV
} >"$O/AmazonEC2/20261001000000/us-east-1/index.csv"
pb_fault_start "$TMP/aws" '' >/dev/null || exit 1
if run 0 "$PBP" load --format aws-offer --no-progress --url "$FAULT_ENDPOINT/offers/v1.0/aws/index.json" \
	--service AmazonEC2 --region us-east-1 &&
	[ "$(cat "$TMP/out")" == "price load 5 committed: aws aws-offer from $FAULT_ENDPOINT/offers/v1.0/aws/index.json?services=AmazonEC2&regions=us-east-1: 1 file, 6 items, 5 prices stored, 1 not list price skipped" ]; then
	ok "aws-offer: the index, the region index, then the offer CSV after its metadata lines; OnDemand only"
else
	notok "aws-offer: the index, the region index, then the offer CSV after its metadata lines; OnDemand only" \
		"status $GOT: $(cat "$TMP/out" "$TMP/err")"
fi
check "... its requests" "3" "$(pb_fault_count ' status=200 ')"
run 0 "$PBP" show --vendor aws --sku SKU3TESTCCCCCCCC
check "show --sku: the tiers of the SKU" \
	"2026-10-01  -           us-east-1         GB                     0            0.09  USD           5
2026-10-01  -           us-east-1         GB                 10240           0.085  USD           5
2026-10-01  -           us-east-1         GB                 51200            0.07  USD           5" "$(tail -n +3 "$TMP/out")"
pb_fault_stop

# ---- errors: a page that is not JSON, a bad price, an offer file without its price column ---------------------
printf '{"Items": [\n  {"meterId": "x", "retailPrice": 1.2.3}\n]}\n' >"$TMP/bad-page.json"
if run 1 "$PBP" load --format azure-retail --no-progress "$TMP/bad-page.json" &&
	grep -q "^pb-prices: $TMP/bad-page.json:2:3[0-9]: bad JSON: " "$TMP/err"; then
	ok "a saved page that is not JSON: exit 1 at its line and column"
else
	notok "a saved page that is not JSON: exit 1 at its line and column" "status $GOT: $(cat "$TMP/err")"
fi
{
	echo '{"Items": ['
	item $M1 "Virtual Machines" eastus "1 Hour" 0.1 2026-09-01 | sed 's/"retailPrice": "0.1"/"retailPrice": "1,5"/'
	echo '], "NextPageLink": null, "Count": 1}'
} | sed 's/"1,5"/"1,5"/' >"$TMP/bad-price.json"
if run 1 "$PBP" load --format azure-retail --no-progress "$TMP/bad-price.json" &&
	grep -q "^pb-prices: $TMP/bad-price.json:2:[0-9]*: item 1: bad retailPrice \"1,5\": unexpected character ','$" "$TMP/err"; then
	ok "a price that is not a number: exit 1 naming the item, its line and column"
else
	notok "a price that is not a number: exit 1 naming the item, its line and column" "status $GOT: $(cat "$TMP/err")"
fi
sed 's/"PricePerUnit"/"Price"/' "$O/AmazonEC2/20261001000000/us-east-1/index.csv" >"$TMP/offer-bad.csv"
if run 1 "$PBP" load --format aws-offer --no-progress "$TMP/offer-bad.csv" &&
	[ "$(cat "$TMP/err")" == "pb-prices: $TMP/offer-bad.csv:6:1: missing required column 'PricePerUnit' (the price): not an AWS offer file?" ]; then
	ok "an offer file without PricePerUnit: exit 1 naming it"
else
	notok "an offer file without PricePerUnit: exit 1 naming it" "status $GOT: $(cat "$TMP/err")"
fi
check "no failed load leaves a price behind" "1,3,4,5" "$(pb_sql "SELECT string_agg(DISTINCT load_id::text, ',') FROM pb.price")"

# ---- a load while another of the source runs: refused; a load killed before its commit leaves nothing -------
sed 's/,0.35,USD,10\/15/,0.36,USD,10\/15/' "$TMP/pricesheet.csv" >"$TMP/pricesheet2.csv"
mkdir -p "$TMP/sheet2" && mv "$TMP/pricesheet2.csv" "$TMP/sheet2/pricesheet.csv"
: >"$TMP/bg.err" # emptied first: the shell empties it only once the run starts, and a run before paused too
PB_TEST_PAUSE=prices-commit "$PBP" load --format azure-pricesheet --no-progress --source "file://$TMP" \
	"$TMP/sheet2/pricesheet.csv" >"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 grep -q "test pause at prices-commit" "$TMP/bg.err" ||
	notok "the first load pauses before its commit" "$(cat "$TMP/bg.err")"
if run 4 "$PBP" load --format azure-pricesheet --no-progress --source "file://$TMP" "$TMP/sheet2/pricesheet.csv" &&
	grep -q "^pb-prices: a load of the azure prices of 'file://$TMP' is running already: pb-prices, server process [0-9]*, since " "$TMP/err"; then
	ok "a second load of a source while one runs: exit 4, naming the first"
else
	notok "a second load of a source while one runs: exit 4, naming the first" "status $GOT: $(cat "$TMP/err")"
fi
kill -9 "$BGPID"
wait "$BGPID" 2>/dev/null
BGPID=
pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-prices'" ||
	notok "the killed load's session ends"
check "a load killed before its commit: the sheet's load 4 stays current, no price of the killed one" \
	"4|committed|0.35" "$(pb_sql "SELECT l.id, l.status, p.unit_price FROM pb.price_load l JOIN pb.price p ON p.load_id = l.id
	WHERE l.format = 'azure-pricesheet' AND p.effective_start = '2026-10-15'" '|')"

# ---- filling at ingest: an Azure export whose usage lacks its list price ----------------------------------------
S1=6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01
S2=7c2f4d3b-9e5f-4a8b-8c3d-2f6e8b0d4a02
mkdir -p "$TMP/azure"
cat >"$TMP/azure/cost.csv" <<CSV
SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation
$S1,10/10/2026,Usage,Reservation,Azure,USD,0.5,0,10,Virtual Machines,${M1^^},1 Hour,US East,eastus
$S1,10/20/2026,Usage,Reservation,Azure,USD,0.5,0,10,Virtual Machines,$M1,1 Hour,US East,eastus
$S1,10/05/2026,Usage,Reservation,Azure,USD,0.3,0,3,Virtual Machines,$M2,1 Hour,US East,eastus
$S1,10/05/2026,Usage,Reservation,Azure,USD,1,0,0.24,Virtual Machines,$M3,100 Hours,US East,eastus
$S1,10/05/2026,Usage,Reservation,Azure,USD,0.2,0,7,Virtual Machines,$M3,1 Hour,US East,eastus
$S1,10/01/2026,Usage,OnDemand,Azure,USD,0.1,,4,Storage,$M4,1 GB,US East,eastus
$S1,10/02/2026,Usage,OnDemand,Azure,USD,0.1,,4,Storage,$M4,1 GB,US East,eastus
$S1,10/03/2026,Usage,OnDemand,Azure,USD,0.1,,6,Storage,$M4,1 GB,US East,eastus
$S1,10/05/2026,Usage,Reservation,Azure,USD,0.6,0,1,Virtual Machines,$M5,1 Hour,US West,westus
$S1,10/06/2026,Usage,OnDemand,Marketplace,USD,1.5,0,1,Marketplace Software,$M9,1 Hour,US East,eastus
$S1,10/06/2026,Usage,SavingsPlan,Azure,USD,0.7,0,2,Virtual Machines,$M9,1 Hour,US East,eastus
$S1,10/06/2026,Usage,OnDemand,Azure,USD,5,2,3,Virtual Machines,$M1,1 Hour,US East,eastus
$S2,10/07/2026,Usage,Reservation,Azure,USD,0.4,0,1,Virtual Machines,$M9,1 Hour,US East,eastus
$S1,10/14/2026,Usage,OnDemand,Azure,USD,0.2,,10,Backup,$M6,1 GB/Month,US East,eastus
$S1,10/15/2026,Usage,OnDemand,Azure,USD,0.2,,10,Backup,$M6,1 GB/Month,US East,eastus
$S1,10/06/2026,Purchase,Reservation,Azure,USD,100,0,1,Virtual Machines,,1 Hour,US East,eastus
CSV
if run 0 "$PBI" --format azure-cost --no-progress --final "$TMP/azure/cost.csv"; then
	ok "ingest the Azure export"
else
	notok "ingest the Azure export" "status $GOT: $(cat "$TMP/err")"
fi
check "the commit says how many lines price lists priced, per load" \
	"list prices: 11 lines without a list cost in the export priced from price lists: load 1 (1), load 3 (8), load 4 (2)" \
	"$(tail -n 1 "$TMP/out")"
check "the lines no price list prices are counted, by reason" \
	"pb-ingest: $TMP/azure/cost.csv: warning: 4 lines have no list price; their list cost is left empty
pb-ingest: warning: 3 usage lines without a list price in the export got none from the price lists: no price list holds its meter or SKU" \
	"$(cat "$TMP/err")"
daily() {
	pb_sql "SELECT partner_account_id, usage_date, charge_type, service, region, coalesce(list_cost::text, '-'),
	billed_cost, u.line_count, list_source, coalesce(price_load_id::text, '-') FROM pb.usage_daily u
	JOIN pb.import i ON i.id = u.import_id AND i.status = 'committed' WHERE u.vendor = '$1'
	ORDER BY 1, 2, 3, 4, 5, 9"
}
# October 10th: 10 h x 0.1 (load 1, the price before the 16th); the 20th: 10 h x 0.2 (load 3). The 5th: 3 h x
# 0.12345678901234567890123 = 0.37037036703703703670369, rounded once to 18 places; 0.24 of "100 Hours" x 12.5
# = 3; 7 h ("1 Hour") of a meter priced per "100 Hours": 7 / 100 x 12.5 = 0.875. Storage, 5 GB free, then 0.5
# to 10 GB, then 0.4: 4 GB free, 4 GB = 1 free + 3 x 0.5, 6 GB = 2 x 0.5 + 4 x 0.4. West US's price of M5: 2. The
# price sheet: 10 GB x 0.3 on the 14th, 10 GB x 0.35 from the 15th.
check "each Azure line's list cost, exactly, and where it came from" \
	"$S1,2026-10-01,Usage,Storage,eastus,0,0.1,1,price-list,3
$S1,2026-10-02,Usage,Storage,eastus,1.5,0.1,1,price-list,3
$S1,2026-10-03,Usage,Storage,eastus,2.6,0.1,1,price-list,3
$S1,2026-10-05,Usage/Reservation,Virtual Machines,eastus,4.245370367037037037,1.5,3,price-list,3
$S1,2026-10-05,Usage/Reservation,Virtual Machines,westus,2,0.6,1,price-list,3
$S1,2026-10-06,Purchase/Reservation,Virtual Machines,eastus,-,100,1,none,-
$S1,2026-10-06,Usage,Marketplace Software,eastus,-,1.5,1,none,-
$S1,2026-10-06,Usage,Virtual Machines,eastus,6,5,1,export,-
$S1,2026-10-06,Usage/SavingsPlan,Virtual Machines,eastus,-,0.7,1,none,-
$S1,2026-10-10,Usage/Reservation,Virtual Machines,eastus,1,0.5,1,price-list,1
$S1,2026-10-14,Usage,Backup,eastus,3,0.2,1,price-list,4
$S1,2026-10-15,Usage,Backup,eastus,3.5,0.2,1,price-list,4
$S1,2026-10-20,Usage/Reservation,Virtual Machines,eastus,2,0.5,1,price-list,3
$S2,2026-10-07,Usage/Reservation,Virtual Machines,eastus,-,0.4,1,none,-" "$(daily azure)"
check "the import's totals per list source" \
	"export,-,1,6|none,-,4,0|price-list,1,1,1|price-list,3,8,12.345370367037037037|price-list,4,2,6.5" \
	"$(pb_sql "SELECT list_source, coalesce(price_load_id::text, '-'), line_count, list_total FROM pb.import_list
	ORDER BY 1, 2" | paste -sd'|')"
before=$(daily azure)
if run 0 "$PBI" --format azure-cost --no-progress --final "$TMP/azure/cost.csv" && [ "$(daily azure)" == "$before" ]; then
	ok "the same export again: the same rows"
else
	notok "the same export again: the same rows" "status $GOT: $(cat "$TMP/err")"
fi

# A zero paygCostInBillingCurrency on a marketplace line is a price Microsoft left out, as a zero PayGPrice is:
# no list cost (a free first-party meter's zero stays a list cost of 0).
printf '%s\n' 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,paygCostInBillingCurrency,Quantity,MeterCategory' \
	"$S1,10/06/2026,Usage,OnDemand,Marketplace,USD,5,0,1,Marketplace Software" \
	"$S1,10/07/2026,Usage,OnDemand,Azure,USD,0,0,1,Bandwidth" >"$TMP/azure-payg.csv"
run 0 "$PBI" --format azure-cost --no-progress --summary=daily "$TMP/azure-payg.csv"
check "a marketplace line whose paygCostInBillingCurrency is 0: no list cost; a first-party one: 0" \
	"0|azure,2026-10-01,$S1,2026-10-06,Usage,Usage,Marketplace Software,,USD,,5,1
azure,2026-10-01,$S1,2026-10-07,Usage,Usage,Bandwidth,,USD,0,0,1|pb-ingest: $TMP/azure-payg.csv: warning: 1 line has no list price; its list cost is left empty" \
	"$GOT|$(tail -n +2 "$TMP/out")|$(cat "$TMP/err")"

# ---- filling at ingest: an AWS CUR 2.0 export without the pricing columns ---------------------------------------
mkdir -p "$TMP/aws-cur"
H=bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date
H=$H,line_item_currency_code,line_item_unblended_cost,product_product_name,product_sku,line_item_usage_amount
H=$H,line_item_usage_type,line_item_operation,product_region_code
cur() { printf '2026-10-01T00:00:00Z,111111111111,%s,2026-10-%02dT00:00:00Z,USD,%s,EC2,%s,%s,%s,%s,us-east-1\n' "$@"; }
{
	echo "$H"
	cur Usage 2 0.2 SKU1TESTAAAAAAAA 24 BoxUsage:t3.micro RunInstances       # 24 h x 0.0104
	cur DiscountedUsage 2 0 SKU1TESTAAAAAAAA 10 BoxUsage:t3.micro RunInstances # an RI's usage at list: 10 x 0.0104
	cur Usage 2 7 "" 100 EBS:VolumeUsage.gp3 CreateVolume-Gp3                 # no SKU: usage type and operation
	cur Usage 2 800 SKU3TESTCCCCCCCC 10000 DataTransfer-Out-Bytes ""          # 10000 GB x 0.09
	cur Usage 3 40 SKU3TESTCCCCCCCC 500 DataTransfer-Out-Bytes ""             # 240 GB x 0.09 + 260 GB x 0.085
	cur Usage 2 1 NOSUCHSKU00000000 5 BoxUsage:t9.nano RunInstances           # in no price list
	cur Tax 2 1.5 "" "" "" ""
} >"$TMP/aws-cur/cur.csv"
if run 0 "$PBI" --format aws-cur --no-progress --final "$TMP/aws-cur/cur.csv"; then
	ok "ingest the AWS export without pricing columns"
else
	notok "ingest the AWS export without pricing columns" "status $GOT: $(cat "$TMP/err")"
fi
check "each AWS line's list cost, exactly" \
	"111111111111,2026-10-02,DiscountedUsage,EC2,us-east-1,0.104,0,1,price-list,5
111111111111,2026-10-02,Tax,EC2,us-east-1,-,1.5,1,none,-
111111111111,2026-10-02,Usage,EC2,us-east-1,-,1,1,none,-
111111111111,2026-10-02,Usage,EC2,us-east-1,908.2496,807.2,3,price-list,5
111111111111,2026-10-03,Usage,EC2,us-east-1,43.7,40,1,price-list,5" "$(daily aws)"

# ---- pb-aggregate: the list costs in the totals, the lines without one per partner account ------------------------
cat >"$TMP/accounts.csv" <<'CSV'
alias,name,billing_country,is_reseller,parent_reseller
ACME1,Acme,US,false,
BETA2,Beta,US,false,
CSV
{
	"$PBC" import "$TMP/accounts.csv" --by test
	for a in ACME1 BETA2; do
		"$PBC" accept-terms $a --vendor centurylink --version 1 --by test
		"$PBC" accept-terms $a --vendor azure --region US --version 1 --by test
		"$PBC" accept-terms $a --vendor aws --region US --version 1 --by test
	done
	"$PBC" link ACME1 --vendor azure --partner-account $S1 --from 2026-09-01 --by test
	"$PBC" link BETA2 --vendor azure --partner-account $S2 --from 2026-09-01 --by test
	"$PBC" link ACME1 --vendor aws --partner-account 111111111111 --from 2026-09-01 --by test
} >"$TMP/acc.out" 2>&1 || notok "set up the accounts" "$(cat "$TMP/acc.out")"
if run 0 "$PBA" --month 2026-10 --as-of 2026-10-31; then
	ok "pb-aggregate of the month: exit 0"
else
	notok "pb-aggregate of the month: exit 0" "status $GOT: $(cat "$TMP/err")"
fi
run=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current'")
# ACME1's Azure usage: the list costs above, 25.845370367037037037, and the billed cost of the two lines
# without one (1.5 + 0.7); its AWS usage 908.2496 + 0.104 + 43.7 and the 1 billed of the line without one.
check "pb-aggregate's totals hold the filled list costs to the last digit; lines without one at their billed cost" \
	"ACME1,aws,Usage,953.0536,848.2,6,1
ACME1,azure,Usage,28.045370367037037037,11,14,2
BETA2,azure,Usage,0.4,0.4,1,1" \
	"$(pb_sql "SELECT alias, vendor, charge_category, trim_scale(amount), trim_scale(billed), line_count, no_list_lines
	FROM pb.aggregate_total WHERE run_id = $run AND charge_category = 'Usage' ORDER BY 1, 2")"
check "the reconciliation names the price list loads and the usage without a list price per partner account" \
	"list prices: price list load 1: the list cost of 1 line the exports left without one
 price list load 3: the list cost of 8 lines the exports left without one
 price list load 4: the list cost of 2 lines the exports left without one
 price list load 5: the list cost of 5 lines the exports left without one
no list price: aws partner account 111111111111 (ACME1): 1 usage line billed at the billed cost, USD 1
no list price: azure partner account $S1 (ACME1): 2 usage lines billed at the billed cost, USD 2.2
no list price: azure partner account $S2 (BETA2): 1 usage line billed at the billed cost, USD 0.4" \
	"$(tail -n +3 "$TMP/out")"
run 0 "$PBA" --month 2026-10 --no-run --no-list
check "--no-list: per partner account, never priced at 0" \
	"vendor,partner_account_id,alias,currency,line_count,billed
aws,111111111111,ACME1,USD,1,1
azure,$S1,ACME1,USD,2,2.2
azure,$S2,BETA2,USD,1,0.4" "$(cat "$TMP/out")"

# A usage line that names no meter finds no price: counted as such, never as priced.
mkdir -p "$TMP/nokey"
cat >"$TMP/nokey/cost.csv" <<CSV
SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation
$S2,11/08/2026,Usage,Reservation,Azure,USD,0.9,0,1,Virtual Machines,,1 Hour,US East,eastus
CSV
run 0 "$PBI" --format azure-cost --no-progress "$TMP/nokey/cost.csv"
check "a usage line without a meter: no list price, and the reason" \
	"pb-ingest: $TMP/nokey/cost.csv: warning: 1 line has no list price; its list cost is left empty
pb-ingest: warning: 1 usage line without a list price in the export got none from the price lists: the line names no meter or SKU|none" \
	"$(cat "$TMP/err")|$(pb_sql "SELECT u.list_source FROM pb.usage_daily u JOIN pb.import i ON i.id = u.import_id
	WHERE i.status = 'committed' AND u.billing_month = '2026-11-01'")"

run 0 "$PBP" --history
check "--history lists every load, the failed one with its reason" \
	"1 superseded|2 failed|3 committed|4 committed|5 committed|6 failed|7 failed|8 failed|failed after 5 attempts" \
	"$(awk 'NR > 1 { print $1, $4 }' "$TMP/out" | paste -sd'|')|$(grep -o 'failed after 5 attempts' "$TMP/out")"

# ---- a tier priced two ways: the other tiers of the meter on that day are not stored either --------------------
# Left alone, tier 0's 0.1 would price all 200 GB (20) as though the meter had one price. The warning names the
# lines of the two prices: it named the meter alone, to be looked for in a list of millions of lines.
T1=11111111-aaaa-4bbb-8ccc-0000000000a1 # tiers 0: 0.1, 100: 0.08 and 0.07
T2=11111111-aaaa-4bbb-8ccc-0000000000a2 # one price, 0.5
S3=8d3a5e4c-0f6a-4b9c-9d4e-3a7f9c1e5b03
mkdir -p "$TMP/tiers"
cat >"$TMP/tiers/pricesheet.csv" <<CSV
meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate,effectiveEndDate,priceType
$T1,US East,1 GB,0,0.1,USD,12/01/2026,,Consumption
$T1,US East,1 GB,100,0.08,USD,12/01/2026,,Consumption
$T1,US East,1 GB,100,0.07,USD,12/01/2026,,Consumption
$T2,US East,1 GB,0,0.5,USD,12/01/2026,,Consumption
CSV
run 0 "$PBP" load --format azure-pricesheet --no-progress "$TMP/tiers/pricesheet.csv"
check "a tier priced two ways: neither it nor the meter's other tiers of that day are stored" \
	"0|price load 10 committed: azure azure-pricesheet from file://$TMP/tiers: 1 file, 4 items, 1 price stored, 0 not list prices skipped|pb-prices: warning: file://$TMP/tiers: 1 price (meter, region, unit, currency, tier and start) appears with different prices in the list (the first: meter $T1, region 'US East', unit '1 GB', currency USD, tier 100, from 2026-12-01: price 0.08 at $TMP/tiers/pricesheet.csv:3:46, price 0.07 at $TMP/tiers/pricesheet.csv:4:46): not stored, nor 1 other tier of their meters from the same day, so lines of them are priced by an older load, or not at all|$T2" \
	"$GOT|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT string_agg(meter, ',') FROM pb.price WHERE load_id = 10")"
# The same list again is unchanged: it counted the 4 prices read, of which the load stored 1.
run 0 "$PBP" load --format azure-pricesheet --no-progress "$TMP/tiers/pricesheet.csv"
check "the same list again: unchanged, with the number of prices stored" \
	"0|prices of azure azure-pricesheet from file://$TMP/tiers unchanged: load 10 is current with the same 1 price: nothing to do|" \
	"$GOT|$(cat "$TMP/out")|$(cat "$TMP/err")"
cat >"$TMP/tiers/cost.csv" <<CSV
SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation
$S3,12/10/2026,Usage,OnDemand,Azure,USD,0.5,,200,Storage,$T1,1 GB,US East,eastus
$S3,12/11/2026,Usage,OnDemand,Azure,USD,0.5,,3,Storage,$T2,1 GB,US East,eastus
CSV
run 0 "$PBI" --format azure-cost --no-progress "$TMP/tiers/cost.csv"
check "... so the meter's line gets no list price, and is counted" \
	"0|$S3,2026-12-10,Usage,Storage,eastus,-,0.5,1,none,-
$S3,2026-12-11,Usage,Storage,eastus,1.5,0.5,1,price-list,10|pb-ingest: $TMP/tiers/cost.csv: warning: 1 line has no list price; its list cost is left empty
pb-ingest: warning: 1 usage line without a list price in the export got none from the price lists: no price list holds its meter or SKU" \
	"$GOT|$(daily azure | grep "^$S3,")|$(cat "$TMP/err")"

# ---- a page that gives NextPageLink twice: which is meant cannot be told, so the load is refused ---------------
# Read as its last value (null), the chain stopped there and the load committed without the pages after it.
mkdir -p "$TMP/pages"
pb_fault_start "$TMP/pages" '' >/dev/null || exit 1
{
	echo '{"Items": ['
	item "${M1%1}a" "Virtual Machines" eastus "1 Hour" 0.3 2026-12-01
	printf '],\n "NextPageLink": "%s/page2",\n "NextPageLink": null, "Count": 1}\n' "$FAULT_ENDPOINT"
} >"$TMP/pages/page1"
printf '{"Items": [%s], "NextPageLink": null, "Count": 1}\n' \
	"$(item "${M1%1}b" "Virtual Machines" eastus "1 Hour" 0.4 2026-12-01)" >"$TMP/pages/page2"
run 1 "$PBP" load --format azure-retail --no-progress --url "$FAULT_ENDPOINT/page1" --source pages
check "a page that gives NextPageLink twice: exit 1 at the second, nothing committed" \
	"1|pb-prices: $FAULT_ENDPOINT/page1?\$filter=priceType%20eq%20%27Consumption%27:4:2: NextPageLink is given twice|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'pages' AND status = 'committed'")"
printf '{"Count": 1, "Items": [], "Count": 0, "NextPageLink": null}\n' >"$TMP/pages/page3"
run 1 "$PBP" load --format azure-retail --no-progress "$TMP/pages/page3"
check "... and Count twice" "1|pb-prices: $TMP/pages/page3:1:27: Count is given twice" "$GOT|$(cat "$TMP/err")"
pb_fault_stop

# ---- an effective end at midnight UTC however it is written: the first day no longer in force ------------------
# Written with Azure's seven decimals, or at another offset, it was taken as a last day in force: a day too many.
E1=11111111-aaaa-4bbb-8ccc-0000000000e1
E2=11111111-aaaa-4bbb-8ccc-0000000000e2
S4=9e4b6f5d-1a7b-4cad-8e5f-4b8a0d2f6c04
mkdir -p "$TMP/ends"
{
	echo '{"Items": ['
	item $E1 "Virtual Machines" eastus "1 Hour" 0.6 2026-12-01 | sed 's/"type"/"effectiveEndDate": "2026-12-15T00:00:00.0000000Z", "type"/'
	echo ','
	item $E2 "Virtual Machines" eastus "1 Hour" 0.7 2026-12-01 | sed 's/"type"/"effectiveEndDate": "2026-12-15T01:00:00+01:00", "type"/'
	echo ']}'
} >"$TMP/ends/page.json"
run 0 "$PBP" load --format azure-retail --no-progress "$TMP/ends/page.json"
check "an effective end at midnight UTC, with seven decimals or at +01:00: the first day not in force" \
	"0|$E1,2026-12-15|$E2,2026-12-15" \
	"$GOT|$(pb_sql "SELECT meter, effective_end FROM pb.price WHERE meter IN ('$E1', '$E2') ORDER BY 1" | paste -sd'|')"
cat >"$TMP/ends/cost.csv" <<CSV
SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation
$S4,12/14/2026,Usage,Reservation,Azure,USD,0.5,0,10,Virtual Machines,$E1,1 Hour,US East,eastus
$S4,12/15/2026,Usage,Reservation,Azure,USD,0.5,0,10,Virtual Machines,$E1,1 Hour,US East,eastus
CSV
run 0 "$PBI" --format azure-cost --no-progress "$TMP/ends/cost.csv"
check "... so a line of that day gets no price from it" \
	"0|$S4,2026-12-14,Usage/Reservation,Virtual Machines,eastus,6,0.5,1,price-list,13
$S4,2026-12-15,Usage/Reservation,Virtual Machines,eastus,-,0.5,1,none,-|pb-ingest: warning: 1 usage line without a list price in the export got none from the price lists: no price of it is in force on its usage date" \
	"$GOT|$(daily azure | grep "^$S4,")|$(grep -v 'line has no list price' "$TMP/err")"

# ---- an offer index or region index that gives a member twice: refused, not read as its last -------------------
mkdir -p "$TMP/aws2/offers/v1.0/aws/AmazonEC2/current" "$TMP/aws2/offers/v1.0/aws/AmazonEC2/20261001000000/us-east-1"
cp "$O/index.json" "$TMP/aws2/offers/v1.0/aws/index.json"
cp "$O/AmazonEC2/20261001000000/us-east-1/index.csv" "$TMP/aws2/offers/v1.0/aws/AmazonEC2/20261001000000/us-east-1/"
cat >"$TMP/aws2/offers/v1.0/aws/AmazonEC2/current/region_index.json" <<'JSON'
{"formatVersion": "v1.0", "regions": {
  "us-east-1": {"regionCode": "us-east-1", "currentVersionUrl": "/offers/v1.0/aws/AmazonEC2/20261001000000/us-east-1/index.json"},
  "us-east-1": {"regionCode": "us-east-1", "currentVersionUrl": "/offers/v1.0/aws/AmazonEC2/20200101000000/us-east-1/index.json"}}}
JSON
pb_fault_start "$TMP/aws2" '' >/dev/null || exit 1
run 1 "$PBP" load --format aws-offer --no-progress --url "$FAULT_ENDPOINT/offers/v1.0/aws/index.json" \
	--service AmazonEC2 --region us-east-1 --source aws-dup
check "a region index that gives a region twice: exit 1 at its line and column, nothing committed" \
	"1|pb-prices: $FAULT_ENDPOINT/offers/v1.0/aws/AmazonEC2/current/region_index.json:3:13: duplicate object key near '\"us-east-1\"'|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'aws-dup' AND status = 'committed'")"
pb_fault_stop

# ---- a bad value is quoted whole (or visibly cut) and with its control characters escaped ----------------------
# It was cut at 40 bytes with no mark (0.0...012 shown as 0.0...01, another number) and written raw to the
# terminal (an escape sequence, a line break in a quoted field).
mkdir -p "$TMP/quote"
printf '{"Items": [%s]}\n' "$(item "${M1%1}c" "Virtual Machines" eastus "1 Hour" 0.000000000000000000000000000000000000012 2026-12-01)" \
	>"$TMP/quote/tiny.json"
run 1 "$PBP" load --format azure-retail --no-progress "$TMP/quote/tiny.json"
check "a price past the 38th decimal place: quoted whole" \
	"1|pb-prices: $TMP/quote/tiny.json:1:79: item 1: retailPrice \"0.000000000000000000000000000000000000012\" is out of range (more than 20 digits before the point, 38 after it, or 38 in all)" \
	"$GOT|$(cat "$TMP/err")"
{
	echo 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate,effectiveEndDate,priceType'
	printf '%s,US East,1 GB,0,"1\033[2J\n2",USD,12/01/2026,,Consumption\n' "$T2"
	printf '%s,US East,1 GB,0,1,USD,12/01/2026,%s,Consumption\n' "$T2" "$(printf '9%.0s' $(seq 70))"
} >"$TMP/quote/pricesheet.csv"
run 1 "$PBP" load --format azure-pricesheet --no-progress "$TMP/quote/pricesheet.csv"
check "a price with an escape sequence and a line break: one line, escaped" \
	"1|pb-prices: $TMP/quote/pricesheet.csv:2:53: bad price \"1\\x1b[2J\\x0a2\" in column 'marketPrice': unexpected byte 0x1b" \
	"$GOT|$(cat "$TMP/err")"
sed -i 2,3d "$TMP/quote/pricesheet.csv"
run 1 "$PBP" load --format azure-pricesheet --no-progress "$TMP/quote/pricesheet.csv"
check "a long bad date: visibly cut" \
	"1|pb-prices: $TMP/quote/pricesheet.csv:2:70: bad effective end date \"$(printf '9%.0s' $(seq 60))...\" in column 'effectiveEndDate'" \
	"$GOT|$(cat "$TMP/err")"
# Year 0000 is written as any other year (PostgreSQL has none): a date in it is out of range, as --month 0000-01 is,
# not a bad date; a fifth digit of year (10000-01-01) is still a bad date, as --month 10000-01 is malformed.
got=""
for d in 0000-01-01 01/01/0000 10000-01-01; do
	{
		echo 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate,effectiveEndDate,priceType'
		printf '%s,US East,1 GB,0,1,USD,%s,,Consumption\n' "$T2" "$d"
	} >"$TMP/quote/y0.csv"
	run 1 "$PBP" load --format azure-pricesheet --no-progress "$TMP/quote/y0.csv"
	got="$got$GOT|$(sed "s|^pb-prices: $TMP/quote/||" "$TMP/err")
"
done
check "a price sheet's start date of year 0000: out of range at its column; of a five-digit year, a bad date" \
	"1|y0.csv:2:59: effective start date \"0000-01-01\" in column 'effectiveStartDate' is out of range: the first month supported is 0001-01
1|y0.csv:2:59: effective start date \"01/01/0000\" in column 'effectiveStartDate' is out of range: the first month supported is 0001-01
1|y0.csv:2:59: bad effective start date \"10000-01-01\" in column 'effectiveStartDate'" "${got%?}"
printf '{"Items": [%s]}\n' "$(item "${M1%1}c" "Virtual Machines" eastus "1 Hour" 1 0000-12-01)" >"$TMP/quote/y0.json"
run 1 "$PBP" load --format azure-retail --no-progress "$TMP/quote/y0.json"
check "a retail price's effectiveStartDate of year 0000: out of range at its place" \
	"1|pb-prices: $TMP/quote/y0.json:1:$(($(grep -bo '0000-12-01T' "$TMP/quote/y0.json" | cut -d: -f1) + 1)): item 1: effectiveStartDate \"0000-12-01T00:00:00Z\" is out of range: the first month supported is 0001-01" \
	"$GOT|$(cat "$TMP/err")"

# ---- an element of Items that is not an item: refused, not passed over ------------------------------------------
printf '{"Items": [\n%s,\n[%s]\n]}\n' "$(item "${M1%1}d" "Virtual Machines" eastus "1 Hour" 0.3 2026-12-01)" \
	"$(item "${M1%1}e" "Virtual Machines" eastus "1 Hour" 0.4 2026-12-01)" >"$TMP/quote/nested.json"
run 1 "$PBP" load --format azure-retail --no-progress --source nested "$TMP/quote/nested.json"
check "an item inside an array inside Items: exit 1 at it, nothing committed" \
	"1|pb-prices: $TMP/quote/nested.json:3:1: Items holds an array, not an item|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'nested' AND status = 'committed'")"
printf '{"Items": [1.5], "Count": 0}\n' >"$TMP/quote/number.json"
run 1 "$PBP" load --format azure-retail --no-progress "$TMP/quote/number.json"
check "a number in Items: exit 1 at it" "1|pb-prices: $TMP/quote/number.json:1:12: Items holds a number, not an item" \
	"$GOT|$(cat "$TMP/err")"

# ---- a price sheet that names a column it reads twice: which holds the price cannot be told ---------------------
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate,Market Price' \
	"$T2,US East,1 GB,0.3,USD,12/01/2026,3" >"$TMP/quote/twice.csv"
run 1 "$PBP" load --format azure-pricesheet --no-progress --source twice "$TMP/quote/twice.csv"
check "a price sheet with two price columns of one name: exit 1 naming them, nothing committed" \
	"1|pb-prices: $TMP/quote/twice.csv:1:75: duplicate column 'Market Price' (also column 4 of the header)|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'twice' AND status = 'committed'")"

# ---- a service or region the API gives nothing of: said so, not passed over --------------------------------------
# The API compares names with their case: "virtual machines" is no service, and nothing said so.
run 0 "$PBP" load --format azure-retail --no-progress --url "$RETAIL" --service "Virtual Machines" \
	--service "virtual machines" --region eastus --source caseq
check "a query the API gives no item for: a warning naming its URL, the others loaded" \
	"0|pb-prices: warning: $RETAIL?\$filter=serviceName%20eq%20%27virtual%20machines%27%20and%20armRegionName%20eq%20%27eastus%27%20and%20priceType%20eq%20%27Consumption%27: no item: the API has no price of service 'virtual machines' in region 'eastus' (it compares names with their case)|1" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'caseq' AND status = 'committed'")"

# ---- AWS tiers that leave a gap (or overlap): the SKU's tiers are not stored ---------------------------------------
# SKU3's second tier from 51200 instead of 10240: 10240 to 51200 has no price in the list, and was priced at the
# first tier's 0.09 (the tiers were read by their start alone).
mkdir -p "$TMP/gap"
sed -e 's/"10240","51200","GB","0.0850000000"/"51200","Inf","GB","0.0850000000"/' -e '/LASTTIER00/d' \
	"$O/AmazonEC2/20261001000000/us-east-1/index.csv" >"$TMP/gap/offer.csv"
run 0 "$PBP" load --format aws-offer --no-progress --source gap "$TMP/gap/offer.csv"
check "tiers with a gap between them: the SKU's tiers are not stored, with a warning naming it" \
	"0|pb-prices: warning: gap: 2 prices in tiers that leave a gap or overlap, or whose last one ends (the first: SKU3TESTCCCCCCCC, region 'us-east-1', unit 'GB', from 2026-10-01, its tier from 0 to 10240, the next from 51200, at $TMP/gap/offer.csv:10:157): not stored, so lines of them are priced by an older load, or not at all|SKU1TESTAAAAAAAA,SKU2TESTBBBBBBBB" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT string_agg(p.meter, ',' ORDER BY p.meter) FROM pb.price p JOIN pb.price_load l ON l.id = p.load_id WHERE l.source = 'gap'")"
# A middle tier whose EndingRange is empty: its tier was not checked against the next one's start, so the SKU's tiers
# were stored as though they met.
sed -e 's/"10240","51200","GB","0.0850000000"/"10240","","GB","0.0850000000"/' \
	"$O/AmazonEC2/20261001000000/us-east-1/index.csv" >"$TMP/gap/empty.csv"
run 0 "$PBP" load --format aws-offer --no-progress --source gap-empty "$TMP/gap/empty.csv"
check "... and a middle tier whose EndingRange is empty: the same, naming its file, line and column" \
	"0|pb-prices: warning: gap-empty: 3 prices in tiers that leave a gap or overlap, or whose last one ends (the first: SKU3TESTCCCCCCCC, region 'us-east-1', unit 'GB', from 2026-10-01, its tier from 10240 with an empty EndingRange, the next from 51200, at $TMP/gap/empty.csv:11:161): not stored, so lines of them are priced by an older load, or not at all|SKU1TESTAAAAAAAA,SKU2TESTBBBBBBBB" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT string_agg(p.meter, ',' ORDER BY p.meter) FROM pb.price p JOIN pb.price_load l ON l.id = p.load_id WHERE l.source = 'gap-empty'")"

# ---- a price list loaded while an ingest that found none runs: not used by it ------------------------------------
# Finding no price list, an ingest reads a file in parts side by side; a list committed meanwhile then priced
# the tiers of a meter in whatever order the parts' lines came, so that the same export gave other daily rows.
pb_sql "UPDATE pb.price_load SET status = 'failed' WHERE vendor = 'azure' AND status <> 'failed'" >/dev/null
S5=a1b2c3d4-2b8c-4dbe-9f60-5c9b1e3a7d05
mkdir -p "$TMP/race"
{
	echo 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation'
	for d in 01 02 03 04 05 06 07 08; do
		echo "$S5,12/$d/2026,Usage,OnDemand,Azure,USD,0.1,,4,Storage,$M4,1 GB,US East,eastus"
	done
} >"$TMP/race/cost.csv"
PB_SPLIT_MIN_BYTES=100 PB_TEST_PAUSE=split PB_TEST_RESUME_FILE="$TMP/race/resume" \
	"$PBI" --format azure-cost --no-progress --threads 4 "$TMP/race/cost.csv" >"$TMP/race/out" 2>"$TMP/race/err" &
BGPID=$!
pb_until 120 grep -q "test pause at split" "$TMP/race/err" || notok "pb-ingest pauses at split" "$(cat "$TMP/race/err")"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"$M4,US East,1 GB,0,0.5,USD,12/01/2026" "$M4,US East,1 GB,10,0.4,USD,12/01/2026" >"$TMP/race/sheet.csv"
run 0 "$PBP" load --format azure-pricesheet --no-progress --source race "$TMP/race/sheet.csv"
touch "$TMP/race/resume"
wait "$BGPID"
GOT=$?
BGPID=
check "an ingest that found no price list uses none loaded while it runs: its lines have none, and say so" \
	"0|8 none|pb-ingest: test pause at split
pb-ingest: $TMP/race/cost.csv: warning: 8 lines have no list price; their list cost is left empty
pb-ingest: warning: 8 usage lines without a list price in the export: no azure price list loaded has a price in force on their usage days (pb-prices load)" \
	"$GOT|$(daily azure | grep "^$S5," | cut -d, -f9 | sort | uniq -c | sed 's/^ *//')|$(cat "$TMP/race/err")"

# ---- show: a meter's prices in each currency, as pb-ingest applies them -------------------------------------------
# A newer load in EUR hid the USD prices that still price the lines billed in USD.
E3=11111111-aaaa-4bbb-8ccc-0000000000e3
printf '{"Items": [%s]}\n' "$(item $E3 "Virtual Machines" eastus "1 Hour" 0.6 2026-12-01)" >"$TMP/ends/usd.json"
printf '{"Items": [%s]}\n' "$(item $E3 "Virtual Machines" eastus "1 Hour" 0.55 2026-12-10 | sed 's/"currencyCode": "USD"/"currencyCode": "EUR"/')" \
	>"$TMP/ends/eur.json"
"$PBP" load --format azure-retail --no-progress --source show-usd "$TMP/ends/usd.json" >/dev/null 2>&1
"$PBP" load --format azure-retail --no-progress --source show-eur "$TMP/ends/eur.json" >/dev/null 2>&1
run 0 "$PBP" show --vendor azure --meter $E3
usd=$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'show-usd'")
eur=$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'show-eur'")
check "show: the prices of each currency, a newer load in another currency hiding none" \
	"$(printf '%-10s  %-10s  %-16s  %-12s  %10s  %14s  %-8s  %5s\n' 2026-12-10 - eastus "1 Hour" 0 0.55 EUR "$eur" \
		2026-12-01 - eastus "1 Hour" 0 0.6 USD "$usd")" "$(tail -n +3 "$TMP/out")"

# ---- an item member given as an array or object: refused, not taken as absent -------------------------------------
# A type of ["Reservation"] was no type, so the item was a price: a reservation's price pricing usage at list.
printf '{"Items": [%s]}\n' "$(item "${M1%1}f" "Virtual Machines" eastus "1 Hour" 876 2026-12-01 | sed 's/"type": "Consumption"/"type": ["Reservation"]/')" \
	>"$TMP/quote/typed.json"
run 1 "$PBP" load --format azure-retail --no-progress --source typed "$TMP/quote/typed.json"
check "an item whose type is an array: exit 1 at it, nothing committed" \
	"1|pb-prices: $TMP/quote/typed.json:1:419: item 1: type is an array, not a value|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'typed' AND status = 'committed'")"
printf '{"Items": [%s]}\n' "$(item "${M1%1}f" "Virtual Machines" eastus "1 Hour" 876 2026-12-01 | sed 's/"type": "Consumption"/"type": null/')" \
	>"$TMP/quote/typed.json"
run 1 "$PBP" load --format azure-retail --no-progress --source typed "$TMP/quote/typed.json"
check "... and one whose type is null" \
	"1|pb-prices: $TMP/quote/typed.json:1:419: item 1: type is null: not a type of price|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'typed' AND status = 'committed'")"

printf '{"Items": [%s]}\n' "$(item "${M1%1}f" "Virtual Machines" eastus "1 Hour" 876 2026-12-01 | sed 's/"type": "Consumption"/"type": true/')" \
	>"$TMP/quote/typed.json"
run 1 "$PBP" load --format azure-retail --no-progress --source typed "$TMP/quote/typed.json"
# A boolean was taken as no type, so the item was a price: the reservation's 876 pricing usage at list.
check "... and one whose type is a boolean" \
	"1|pb-prices: $TMP/quote/typed.json:1:419: item 1: type is true, not a value|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'typed' AND status = 'committed'")"

# ---- a meter id with a line break: its price stored as the list gives it, not a broken COPY -----------------------
# The meter was sent to COPY without escaping its CR or LF: the database refused the row, exit 3 (which pb-run
# retries) and no line or column of the list.
mkdir -p "$TMP/breaks"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	'"AB-1' 'CD",US East,1 Hour,0,0.5,USD,12/01/2026' '"ab-2'$'\r''cd",US East,1 Hour,0,0.25,USD,12/01/2026' \
	>"$TMP/breaks/sheet.csv"
run 0 "$PBP" load --format azure-pricesheet --no-progress --source breaks "$TMP/breaks/sheet.csv"
check "a meter id with a line break in it: stored as written, in lowercase" \
	"0|ab-1\\ncd 0.5|ab-2\\rcd 0.25" \
	"$GOT|$(pb_sql "SELECT replace(replace(meter, E'\n', '\\n'), E'\r', '\\r') || ' ' || unit_price FROM pb.price p
	JOIN pb.price_load l ON l.id = p.load_id WHERE l.source = 'breaks' ORDER BY 1" | paste -sd'|')"

# ---- a page holding an enormous string: refused at it, not read again and again ---------------------------------
# yajl holds a string that goes on past a chunk whole, and reads it again from its start with each chunk: a
# product name of 300 MB (a gzip file of 1.3 MB) took minutes and as much memory, and was then loaded.
huge=$(item "${M1%1}g" "Virtual Machines" eastus "1 Hour" 0.3 2026-12-01)
printf '{"Items": [\n%s]}\n' "${huge/\"productName\": \"Virtual Machines\"/\"productName\": \"$(head -c 1100000 /dev/zero | tr '\0' v)\"}" \
	>"$TMP/breaks/huge.json"
run 1 "$PBP" load --format azure-retail --no-progress --source huge "$TMP/breaks/huge.json"
check "a string of more than a megabyte in a page: exit 1 at its start, nothing committed" \
	"1|pb-prices: $TMP/breaks/huge.json:2:295: a string longer than 1048576 bytes|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'huge' AND status = 'committed'")"

# ---- a saved page with a byte order mark: UTF-8's passed over, UTF-16's named ------------------------------------
# A copy saved by Windows tools starts with one: it was refused as "invalid char in json text".
printf '\xef\xbb\xbf{"Items": [\n%s]}\n' "$(item "${M1%1}h" "Virtual Machines" eastus "1 Hour" 0.3 2026-12-01)" \
	>"$TMP/breaks/bom.json"
run 0 "$PBP" load --format azure-retail --no-progress --source bom "$TMP/breaks/bom.json"
check "a saved page with a UTF-8 byte order mark: loaded" \
	"0|0.3" "$GOT|$(pb_sql "SELECT unit_price FROM pb.price WHERE meter = '${M1%1}h'")"
printf '\xff\xfe{\0"\0' >"$TMP/breaks/utf16.json"
run 1 "$PBP" load --format azure-retail --no-progress --source bom "$TMP/breaks/utf16.json"
check "... one in UTF-16: exit 1, said so" \
	"1|pb-prices: $TMP/breaks/utf16.json:1:1: a UTF-16 byte order mark: a page is read as UTF-8 text" \
	"$GOT|$(cat "$TMP/err")"

# ---- SIGTERM during a load: nothing committed, the previous load current, the failure recorded -------------------
# The signal ended the program where it stood: no failed load said why the list had not changed.
# term_load FILE WHEN [NAME=VALUE...]: a load of FILE (source breaks), in that environment, sent SIGTERM once the
# command WHEN succeeds (tried every 0.1 s, for 120 s at most: one failure if it never does, the load then killed, or
# if the load ends first, then not signalled: its pid may be another process's); its exit status in GOT, its stderr
# in $TMP/bg.err.
term_load() {
	local file=$1 when=$2
	shift 2
	: >"$TMP/bg.err" # emptied first: the shell empties it only once the run starts, and a run before paused too
	env "$@" "$PBP" load --format azure-pricesheet --no-progress --source breaks "$file" >"$TMP/bg.out" \
		2>"$TMP/bg.err" &
	BGPID=$!
	if ! pb_until 120 eval "\"\$when\" || ! kill -0 $BGPID 2>/dev/null"; then
		notok "the load gets to where it is signalled ($when) in 120 s" "$(cat "$TMP/bg.err")"
		kill -KILL "$BGPID"
	elif kill -0 "$BGPID" 2>/dev/null; then
		kill -TERM "$BGPID"
	else
		notok "the load ended before it got to where it is signalled ($when)" "$(cat "$TMP/bg.err")"
	fi
	wait "$BGPID"
	GOT=$?
	BGPID=
}
paused() { grep -q "test pause at prices-commit" "$TMP/bg.err"; }
sed 's/,0.25,USD/,0.3,USD/' "$TMP/breaks/sheet.csv" >"$TMP/breaks/sheet2.csv"
term_load "$TMP/breaks/sheet2.csv" paused PB_TEST_PAUSE=prices-commit
check "SIGTERM at the commit: ended by the signal, nothing committed, the failure recorded with its reason" \
	"143|pb-prices: interrupted by SIGTERM|committed 0.25|failed interrupted by SIGTERM" \
	"$GOT|$(tail -n 1 "$TMP/bg.err")|$(pb_sql "SELECT l.status || ' ' || p.unit_price FROM pb.price p JOIN pb.price_load l ON
	l.id = p.load_id WHERE l.source = 'breaks' AND p.meter LIKE 'ab-2%'")|$(pb_sql "SELECT status || ' ' || error FROM
	pb.price_load WHERE source = 'breaks' ORDER BY id DESC LIMIT 1")"

# ---- SIGTERM while a statement runs: the statement is cancelled, not waited for -------------------------------------
# The signal was looked at between statements only: a load whose statement took long (a large list's checks and
# insert) went on to that statement's end. Here the insert into pb.price sleeps 60 s in a trigger.
pb_sql "CREATE SEQUENCE public.slow_done; CREATE FUNCTION public.slow_insert() RETURNS trigger LANGUAGE plpgsql AS
	\$\$BEGIN PERFORM pg_sleep(60); PERFORM nextval('public.slow_done'); RETURN NULL; END\$\$;
	CREATE TRIGGER slow AFTER INSERT ON pb.price FOR EACH STATEMENT EXECUTE FUNCTION public.slow_insert()" >/dev/null
sed 's/,0.25,USD/,0.35,USD/' "$TMP/breaks/sheet.csv" >"$TMP/breaks/sheet3.csv"
sleeping() { pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"; }
term_load "$TMP/breaks/sheet3.csv" sleeping
check "SIGTERM while a statement runs: the statement cancelled on the server, the failure recorded, nothing committed" \
	"143|pb-prices: interrupted by SIGTERM|f|failed interrupted by SIGTERM|0|committed 0.25" \
	"$GOT|$(tail -n 1 "$TMP/bg.err")|$(pb_sql "SELECT is_called FROM public.slow_done")|$(pb_sql "SELECT status || ' ' ||
	error FROM pb.price_load WHERE source = 'breaks' ORDER BY id DESC LIMIT 1")|$(pb_sql "SELECT count(*) FROM
	pg_stat_activity WHERE wait_event = 'PgSleep'")|$(pb_sql "SELECT DISTINCT l.status || ' ' || p.unit_price FROM
	pb.price p JOIN pb.price_load l ON l.id = p.load_id WHERE l.source = 'breaks' AND p.meter LIKE 'ab-2%'")"
pb_sql "DROP TRIGGER slow ON pb.price; DROP FUNCTION public.slow_insert(); DROP SEQUENCE public.slow_done" >/dev/null

# ---- an answer of a byte order mark cut short, or of the mark alone -------------------------------------------------
# An answer of one or two bytes of a UTF-8 byte order mark, or of the mark alone: refused as such over HTTP, never
# "invalid char in json text" at a column past the answer's end, nor an empty load.
mkdir -p "$TMP/short"
pb_fault_start "$TMP/short" '' >/dev/null || exit 1
: >"$TMP/short/bom0"
printf '\xef' >"$TMP/short/bom1"
printf '\xef\xbb' >"$TMP/short/bom2"
printf '\xef\xbb\xbf' >"$TMP/short/bom3"
for f in bom0 bom1 bom2 bom3; do
	run 1 "$PBP" load --format azure-retail --no-progress --source bom-short "$FAULT_ENDPOINT/$f"
	echo "$GOT|$(cat "$TMP/err")"
done >"$TMP/short/bom.out"
check "an empty answer, one of a byte order mark cut short, or of the mark alone: exit 1, said so, nothing committed" \
	"1|pb-prices: $FAULT_ENDPOINT/bom0:1:1: the answer is empty: not a Retail Prices API page
1|pb-prices: $FAULT_ENDPOINT/bom1:1:1: the answer is 1 byte (EF): a byte order mark cut short, not a Retail Prices API page
1|pb-prices: $FAULT_ENDPOINT/bom2:1:1: the answer is 2 bytes (EF BB): a byte order mark cut short, not a Retail Prices API page
1|pb-prices: $FAULT_ENDPOINT/bom3:1:1: the answer is a byte order mark and nothing else: not a Retail Prices API page|0" \
	"$(cat "$TMP/short/bom.out")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'bom-short' AND status = 'committed'")"
# An API that answers --currency EUR with prices in USD: they were loaded as the EUR query's source, the EUR lines
# left without a price and nothing said.
printf '{"Items": [%s], "NextPageLink": null, "Count": 1}\n' "$(item "${M1%1}i" "Virtual Machines" eastus "1 Hour" 0.3 2026-12-01)" \
	>"$TMP/short/usd"
run 1 "$PBP" load --format azure-retail --no-progress --currency EUR --url "$FAULT_ENDPOINT/usd" --source eur-asked
check "prices in another currency than --currency asked for: exit 1 at the item, nothing committed" \
	"1|pb-prices: $FAULT_ENDPOINT/usd?currencyCode=%27EUR%27&\$filter=priceType%20eq%20%27Consumption%27:1:30: item 1: currencyCode \"USD\", not the EUR that --currency asked for|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'eur-asked' AND status = 'committed'")"
# An answer whose pages go on holding no item, each with a new NextPageLink: it was read up to the 100,000th page
# (hours). The API gives a next page only when there are more items: ten empty pages in a row end it, named.
printf '{"Items": [%s], "NextPageLink": "%s/e1?sig=s3cr3t", "Count": 1}\n' \
	"$(item "${M1%1}j" "Virtual Machines" eastus "1 Hour" 0.3 2026-12-01)" "$FAULT_ENDPOINT" >"$TMP/short/e0"
for i in $(seq 1 12); do
	printf '{"Items": [], "NextPageLink": "%s/e%d?sig=s3cr3t", "Count": 0}\n' "$FAULT_ENDPOINT" $((i + 1)) >"$TMP/short/e$i"
done
run 1 "$PBP" load --format azure-retail --no-progress --url "$FAULT_ENDPOINT/e0?sig=s3cr3t" --source empty-chain
check "a NextPageLink chain of empty pages: exit 1 at the tenth in a row, naming it without its signature, nothing committed" \
	"1|pb-prices: $FAULT_ENDPOINT/e10: NextPageLink '$FAULT_ENDPOINT/e11': 10 pages in a row hold no item and give a next page: an answer of the API that does not end|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'empty-chain' AND status = 'committed'")"
pb_fault_stop

# ---- AWS tiers whose last one ends (its EndingRange is not Inf): the SKU's tiers are not stored -----------------
# The quantities past the last tier's end have no price in the list, and were priced at that tier's price.
mkdir -p "$TMP/lastend"
sed -e '/LASTTIER00/d' "$O/AmazonEC2/20261001000000/us-east-1/index.csv" >"$TMP/lastend/offer.csv"
run 0 "$PBP" load --format aws-offer --no-progress --source lastend "$TMP/lastend/offer.csv"
check "a last tier that ends short of Inf: the SKU's tiers are not stored, with a warning naming it" \
	"0|pb-prices: warning: lastend: 2 prices in tiers that leave a gap or overlap, or whose last one ends (the first: SKU3TESTCCCCCCCC, region 'us-east-1', unit 'GB', from 2026-10-01, its tier from 10240 to 51200, and no tier after it, at $TMP/lastend/offer.csv:11:161): not stored, so lines of them are priced by an older load, or not at all|SKU1TESTAAAAAAAA,SKU2TESTBBBBBBBB" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT string_agg(p.meter, ',' ORDER BY p.meter) FROM pb.price p JOIN pb.price_load l ON l.id = p.load_id WHERE l.source = 'lastend'")"

# ---- a reload after another source's load: not "unchanged" when that load's prices are the ones in force -------
# The check looked at the source's own current load alone: its prices were equal, so "nothing to do", while the
# other source's newer load (which had even dropped them) priced the meter.
U1=11111111-aaaa-4bbb-8ccc-0000000000b1
mkdir -p "$TMP/resrc"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate' "$U1,US East,1 GB,0.5,USD,12/01/2026" \
	>"$TMP/resrc/a.csv"
sed 's/,0.5,/,0.6,/' "$TMP/resrc/a.csv" >"$TMP/resrc/b.csv"
{
	"$PBP" load --format azure-pricesheet --no-progress --source resrc-a "$TMP/resrc/a.csv"
	"$PBP" load --format azure-pricesheet --no-progress --source resrc-b "$TMP/resrc/b.csv"
} >/dev/null 2>&1
run 0 "$PBP" load --format azure-pricesheet --no-progress --source resrc-a "$TMP/resrc/a.csv"
check "a reload of a source after another source's load of its meter: a new load, its price in force again" \
	"0|committed|0.5" \
	"$GOT|$(sed -n 's/^price load [0-9]* \(committed\): .*/\1/p' "$TMP/out")|$(pb_sql "SELECT unit_price FROM pb.price WHERE meter = '$U1'
	ORDER BY load_id DESC LIMIT 1")"
run 0 "$PBP" load --format azure-pricesheet --no-progress --source resrc-a "$TMP/resrc/a.csv"
check "... and again: now nothing to do" "0|unchanged" "$GOT|$(grep -o unchanged "$TMP/out")"

# ---- the precision of a price: 20 digits before the point, 38 after it, 38 in all --------------------------------
# The manual gave the first two alone: a price of 39 digits within them was refused as "bad price" by a rule it did
# not name.
mkdir -p "$TMP/digits"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"${U1%1}2,US East,1 GB,0,12345678901234567890.1234567890123456789,USD,12/01/2026" >"$TMP/digits/39.csv"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"${U1%1}2,US East,1 GB,0.12345678901234567890123456789012345678,12345678901234567890.123456789012345678,USD,12/01/2026" \
	>"$TMP/digits/38.csv"
printf '{"Items": [%s]}\n' "$(item "${U1%1}3" "Virtual Machines" eastus "1 Hour" 0.1 2026-12-01 1.00000000000000000000000000000000000001)" \
	>"$TMP/digits/39.json"
{
	run 1 "$PBP" load --format azure-pricesheet --no-progress --source digits "$TMP/digits/39.csv"
	echo "$GOT|$(cat "$TMP/err")"
	run 1 "$PBP" load --format azure-retail --no-progress --source digits "$TMP/digits/39.json"
	echo "$GOT|$(cat "$TMP/err")"
	run 0 "$PBP" load --format azure-pricesheet --no-progress --source digits "$TMP/digits/38.csv"
	echo "$GOT|$(pb_sql "SELECT tier_min || ' ' || unit_price FROM pb.price WHERE meter = '${U1%1}2'")"
} >"$TMP/digits/out"
check "a price or tier of 39 digits: out of range, at its file, line and column; 38 digits kept exactly" \
	"1|pb-prices: $TMP/digits/39.csv:2:53: price \"12345678901234567890.1234567890123456789\" in column 'marketPrice' is out of range (more than 20 digits before the point, 38 after it, or 38 in all)
1|pb-prices: $TMP/digits/39.json:1:57: item 1: tierMinimumUnits \"1.00000000000000000000000000000000000001\" is out of range (more than 20 digits before the point, 38 after it, or 38 in all)
0|0.12345678901234567890123456789012345678 12345678901234567890.123456789012345678" "$(cat "$TMP/digits/out")"

# ---- a damaged gzip file: the line its damage was found at -------------------------------------------------------
# The lines inflated in the read that met the damage were dropped with it, and the message named no place at all.
mkdir -p "$TMP/gz"
{
	echo 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate'
	for i in $(seq 100 199); do echo "${U1%1}$i,US East,1 GB,0.5,USD,12/01/2026"; done
} | gzip -n >"$TMP/gz/sheet.csv.gz"
# A second member whose first block has the reserved type 3.
printf '\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff' >>"$TMP/gz/sheet.csv.gz"
printf '{"Items": [\n%s,\n' "$(item "${U1%1}4" "Virtual Machines" eastus "1 Hour" 0.1 2026-12-01)" | gzip -n >"$TMP/gz/page.json.gz"
printf '\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff' >>"$TMP/gz/page.json.gz"
{
	run 1 "$PBP" load --format azure-pricesheet --no-progress --source gz "$TMP/gz/sheet.csv.gz"
	echo "$GOT|$(cat "$TMP/err")"
	run 1 "$PBP" load --format azure-retail --no-progress --source gz "$TMP/gz/page.json.gz"
	echo "$GOT|$(cat "$TMP/err")"
} >"$TMP/gz/out"
check "a damaged gzip file: exit 1, naming the line the damage was found at" \
	"1|pb-prices: $TMP/gz/sheet.csv.gz:102: bad gzip data: invalid block type
1|pb-prices: $TMP/gz/page.json.gz:3: bad gzip data: invalid block type" "$(cat "$TMP/gz/out")"

# ---- one unit written in two cases with two prices: refused, naming both units and their lines -------------------
# pb-ingest compares units without case: a line in "1 HOUR" got whichever of "1 Hour" (0.1) and "1 hour" (0.2) came
# first. The same price in both cases is no conflict; "Hrs" is another unit.
mkdir -p "$TMP/units"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate' \
	"${U1%1}5,US East,1 Hour,0.1,USD,12/01/2026" "${U1%1}5,US East,Hrs,0.3,USD,12/01/2026" \
	"${U1%1}6,US East,1 GB,0.4,USD,12/01/2026" "${U1%1}6,US East,1 gb,0.4,USD,12/01/2026" >"$TMP/units/ok.csv"
{
	sed -n 1,2p "$TMP/units/ok.csv"
	echo "${U1%1}6,US East,1 GB,0.4,USD,12/01/2026"
	echo "${U1%1}5,US East,1 hour,0.2,USD,12/01/2026"
} >"$TMP/units/conflict.csv"
run 1 "$PBP" load --format azure-pricesheet --no-progress --source units "$TMP/units/conflict.csv"
echo "$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'units' AND status = 'committed'")" \
	>"$TMP/units/out"
run 0 "$PBP" load --format azure-pricesheet --no-progress --source units "$TMP/units/ok.csv"
echo "$GOT|$(pb_sql "SELECT string_agg(unit || ' ' || unit_price, ',' ORDER BY meter, convert_to(unit, 'UTF8')) FROM pb.price p
	JOIN pb.price_load l ON l.id = p.load_id WHERE l.source = 'units'")" >>"$TMP/units/out"
check "a unit in two cases with two prices: exit 1 naming both and their lines; one price in both, or Hrs: loaded" \
	"1|pb-prices: $TMP/units/conflict.csv:4:46: meter ${U1%1}5, region 'US East', tier 0, from 2026-12-01: unit '1 hour' (price 0.2) is unit '1 Hour' of $TMP/units/conflict.csv:2:46 (price 0.1) written in another case: units are compared without case, so which price a line in it gets cannot be told|0
0|1 Hour 0.1,Hrs 0.3,1 GB 0.4,1 gb 0.4" "$(cat "$TMP/units/out")"

# ---- one unit written two ways that pb-ingest reads as one, with two prices per one of it: refused ----------------
# pb-ingest reads "1 GB/Month" and "1 GB /Month" as one unit, and "100 Hours" as 100 of "1 Hour": a line in a third
# spelling ("1 GB / Month", "10 Hours") got whichever of the two it met first. The same price per one of the unit is no
# conflict ("1 Hour" at 0.1, "100 Hours" at 10).
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate' \
	"${U1%1}5,US East,1 Hour,0.1,USD,12/01/2026" "${U1%1}5,US East,100 Hours,10,USD,12/01/2026" \
	"${U1%1}6,US East,1 GB/Month,0.4,USD,12/01/2026" "${U1%1}6,US East,10 GB /Month,4.00,USD,12/01/2026" \
	>"$TMP/units/ok2.csv"
{
	sed -n 1,3p "$TMP/units/ok2.csv"
	echo "${U1%1}6,US East,1 GB/Month,0.4,USD,12/01/2026"
	echo "${U1%1}6,US East,1 GB /Month,0.5,USD,12/01/2026"
} >"$TMP/units/conflict2.csv"
{
	sed -n 1,3p "$TMP/units/ok2.csv"
	echo "${U1%1}5,US East,10 Hours,1.2,USD,12/01/2026"
} >"$TMP/units/conflict3.csv"
{
	run 1 "$PBP" load --format azure-pricesheet --no-progress --source units2 "$TMP/units/conflict2.csv"
	echo "$GOT|$(cat "$TMP/err")"
	run 1 "$PBP" load --format azure-pricesheet --no-progress --source units2 "$TMP/units/conflict3.csv"
	echo "$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'units2' AND status = 'committed'")"
	run 0 "$PBP" load --format azure-pricesheet --no-progress --source units2 "$TMP/units/ok2.csv"
	echo "$GOT|$(pb_sql "SELECT string_agg(unit || ' ' || unit_price, ',' ORDER BY meter, convert_to(unit, 'UTF8')) FROM pb.price p
		JOIN pb.price_load l ON l.id = p.load_id WHERE l.source = 'units2'")"
} >"$TMP/units/out2"
check "a unit written two ways pb-ingest reads as one, at two prices per one of it: exit 1 naming both; one price: loaded" \
	"1|pb-prices: $TMP/units/conflict2.csv:5:46: meter ${U1%1}6, region 'US East', tier 0, from 2026-12-01: unit '1 GB /Month' (price 0.5) and unit '1 GB/Month' of $TMP/units/conflict2.csv:4:46 (price 0.4) both count 'gb/month', at another price for each: units are compared by what they count, so which price a line in it gets cannot be told
1|pb-prices: $TMP/units/conflict3.csv:4:46: meter ${U1%1}5, region 'US East', tier 0, from 2026-12-01: unit '10 Hours' (price 1.2) and unit '1 Hour' of $TMP/units/conflict3.csv:2:46 (price 0.1) both count 'hour', at another price for each: units are compared by what they count, so which price a line in it gets cannot be told|0
0|1 Hour 0.1,100 Hours 10,1 GB/Month 0.4,10 GB /Month 4.00" "$(cat "$TMP/units/out2")"

# ---- one unit written two ways in tiers: a tier counts the unit's count, and each tier of one is in the other's ------
# A tier of "100 Hours" from 1 starts at 100 hours, as pb-ingest counts it: tiers were compared by their numbers, so
# "1 Hour" from 100 at 0.05 beside "100 Hours" from 100 at 4 (10000 hours) was refused though the two lists agree, and
# "1 Hour" from 100 at 0.05 beside "100 Hours" at 10 from 0 alone was stored: a line in a third spelling ("10 Hours")
# past 100 hours got 0.05 or 0.1 an hour by which pb-ingest met first.
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"${U1%1}a,US East,1 Hour,0,0.1,USD,12/01/2026" "${U1%1}a,US East,1 Hour,100,0.05,USD,12/01/2026" \
	"${U1%1}a,US East,1 Hour,10000,0.04,USD,12/01/2026" "${U1%1}a,US East,100 Hours,0,10,USD,12/01/2026" \
	"${U1%1}a,US East,100 Hours,1,5,USD,12/01/2026" "${U1%1}a,US East,100 Hours,100,4.000,USD,12/01/2026" \
	>"$TMP/units/tiers.csv"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"${U1%1}a,US East,1 Hour,0,0.1,USD,12/01/2026" "${U1%1}a,US East,1 Hour,100,0.05,USD,12/01/2026" \
	"${U1%1}a,US East,100 Hours,0,10,USD,12/01/2026" >"$TMP/units/tiers-conflict.csv"
{
	run 1 "$PBP" load --format azure-pricesheet --no-progress --source units3 "$TMP/units/tiers-conflict.csv"
	echo "$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'units3' AND status = 'committed'")"
	run 0 "$PBP" load --format azure-pricesheet --no-progress --source units3 "$TMP/units/tiers.csv"
	echo "$GOT|$(pb_sql "SELECT string_agg(unit || ' ' || tier_min || ' ' || unit_price, ',' ORDER BY convert_to(unit, 'UTF8'), tier_min)
		FROM pb.price p JOIN pb.price_load l ON l.id = p.load_id WHERE l.source = 'units3'")"
} >"$TMP/units/out3"
check "a unit written two ways in tiers: compared at each tier's start in what it counts, one spelling's tier in the other's" \
	"1|pb-prices: $TMP/units/tiers-conflict.csv:3:46: meter ${U1%1}a, region 'US East', tier 100, from 2026-12-01: unit '1 Hour' (price 0.05) and unit '100 Hours' of $TMP/units/tiers-conflict.csv:4:46 (price 10, tier 0) both count 'hour', at another price for each: units are compared by what they count, so which price a line in it gets cannot be told|0
0|1 Hour 0 0.1,1 Hour 100 0.05,1 Hour 10000 0.04,100 Hours 0 10,100 Hours 1 5,100 Hours 100 4.000" "$(cat "$TMP/units/out3")"

# A spelling whose lowest tier starts above 0 prices nothing below it (pb-ingest gives such a line no price): beside
# one that prices from 0 it was stored, a "10 Hours" line of 5 got 5.0 or no price by the order of the rows.
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"${U1%1}a,US East,1 Hour,0,0.1,USD,12/01/2026" "${U1%1}a,US East,100 Hours,1,10,USD,12/01/2026" \
	>"$TMP/units/tiers-above.csv"
run 1 "$PBP" load --format azure-pricesheet --no-progress --source units4 "$TMP/units/tiers-above.csv"
check "a unit written two ways, one of them in tiers from above 0: exit 1 naming both tiers" \
	"1|pb-prices: $TMP/units/tiers-above.csv:2:46: meter ${U1%1}a, region 'US East', tier 0, from 2026-12-01: unit '1 Hour' (price 0.1) and unit '100 Hours' of $TMP/units/tiers-above.csv:3:46 (price 10, tier 1, no price below it) both count 'hour', at another price for each: units are compared by what they count, so which price a line in it gets cannot be told|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'units4' AND status = 'committed'")"

# The same price for each, but one spelling in force to another last day: refused, and said so ("at another price"
# sent the reader to the prices, which agree).
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate,effectiveEndDate' \
	"${U1%1}a,US East,1 Hour,0,0.1,USD,12/01/2026,12/31/2026" "${U1%1}a,US East,100 Hours,0,10,USD,12/01/2026,01/31/2027" \
	>"$TMP/units/ends.csv"
run 1 "$PBP" load --format azure-pricesheet --no-progress --source units5 "$TMP/units/ends.csv"
check "a unit written two ways at one price for each, in force to two last days: exit 1, saying the ends differ" \
	"1|pb-prices: $TMP/units/ends.csv:3:46: meter ${U1%1}a, region 'US East', tier 0, from 2026-12-01: unit '100 Hours' (price 10) and unit '1 Hour' of $TMP/units/ends.csv:2:46 (price 0.1) both count 'hour', at one price for each but in force to another day: units are compared by what they count, so which price a line in it gets cannot be told|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'units5' AND status = 'committed'")"

# ---- one region written two ways with two prices: refused, naming both regions and their lines -------------------
# pb-ingest compares regions on their letters and digits without case: a line of US East got the lower of the prices
# of "US East" (0.1) and "us-east" (0.2), nothing said. The same price in both is no conflict.
{
	echo 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate'
	echo "${U1%1}7,US East,1 Hour,0.1,USD,12/01/2026"
	echo "${U1%1}8,US East,1 GB,0.4,USD,12/01/2026"
	echo "${U1%1}8,useast,1 GB,0.4,USD,12/01/2026"
	echo "${U1%1}7,us-east,1 Hour,0.2,USD,12/01/2026"
} >"$TMP/units/regions.csv"
run 1 "$PBP" load --format azure-pricesheet --no-progress --source regions "$TMP/units/regions.csv"
check "a region written two ways with two prices: exit 1 naming both and their lines, nothing committed" \
	"1|pb-prices: $TMP/units/regions.csv:5:46: meter ${U1%1}7, unit '1 Hour', tier 0, from 2026-12-01: region 'us-east' (price 0.2) is region 'US East' of $TMP/units/regions.csv:2:46 (price 0.1) written another way: regions are compared on their letters and digits without case, so which price a line there gets cannot be told|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'regions' AND status = 'committed'")"

# The two regions' units written two ways that pb-ingest reads as one ("1 GB/Month", "1 GB /Month") are one unit there too.
{
	echo 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate'
	echo "${U1%1}9,US East,1 GB/Month,0.1,USD,12/01/2026"
	echo "${U1%1}9,us-east,1 GB /Month,0.2,USD,12/01/2026"
} >"$TMP/units/regions2.csv"
run 1 "$PBP" load --format azure-pricesheet --no-progress --source regions "$TMP/units/regions2.csv"
check "a region written two ways, its unit too, with two prices: exit 1 naming both regions and their lines" \
	"1|pb-prices: $TMP/units/regions2.csv:3:46: meter ${U1%1}9, unit '1 GB /Month', tier 0, from 2026-12-01: region 'us-east' (price 0.2) is region 'US East' of $TMP/units/regions2.csv:2:46 (price 0.1) written another way: regions are compared on their letters and digits without case, so which price a line there gets cannot be told|0" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE source = 'regions' AND status = 'committed'")"

# Tiers of the two regions' units compared so too: "us-east" "100 Hours" from 100 is from 10000 hours, as "US East" "1 Hour"
# from 10000 at 0.04 (4 for 100), not as its tier from 100 at 0.05.
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"${U1%1}b,US East,1 Hour,0,0.1,USD,12/01/2026" "${U1%1}b,US East,1 Hour,100,0.05,USD,12/01/2026" \
	"${U1%1}b,US East,1 Hour,10000,0.04,USD,12/01/2026" "${U1%1}b,us-east,100 Hours,0,10,USD,12/01/2026" \
	"${U1%1}b,us-east,100 Hours,1,5,USD,12/01/2026" "${U1%1}b,us-east,100 Hours,100,4,USD,12/01/2026" \
	>"$TMP/units/regions3.csv"
run 0 "$PBP" load --format azure-pricesheet --no-progress --source regions3 "$TMP/units/regions3.csv"
check "a region written two ways, its unit too, in tiers that agree on what they count: loaded" \
	"0|6" "$GOT|$(pb_sql "SELECT row_count FROM pb.price_load WHERE source = 'regions3' AND status = 'committed'")"

# ---- one meter priced in two currencies within one list: both stored, each line priced in its own -----------------
# The key left the currency out: the meter was "priced two ways", neither price was stored and a warning said so.
C1=11111111-aaaa-4bbb-8ccc-0000000000c1
S6=b2c3d4e5-3c9d-4ecf-8a71-6d0c2f4b8e06
mkdir -p "$TMP/cur2"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"$C1,US East,1 GB,0,0.5,USD,12/01/2026" "$C1,US East,1 GB,0,0.45,EUR,12/01/2026" >"$TMP/cur2/sheet.csv"
run 0 "$PBP" load --format azure-pricesheet --no-progress --source cur2 "$TMP/cur2/sheet.csv"
echo "$GOT|$(sed 's/^price load [0-9]* /price load N /' "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT string_agg(currency || ' ' || unit_price, ','
	ORDER BY currency) FROM pb.price p JOIN pb.price_load l ON l.id = p.load_id WHERE l.source = 'cur2'")" >"$TMP/cur2/out"
printf '%s\n' 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation' \
	"$S6,12/02/2026,Usage,Reservation,Azure,USD,0.5,0,10,Storage,$C1,1 GB,US East,eastus" \
	"$S6,12/03/2026,Usage,Reservation,Azure,EUR,0.5,0,10,Storage,$C1,1 GB,US East,eastus" >"$TMP/cur2/cost.csv"
run 0 "$PBI" --format azure-cost --no-progress "$TMP/cur2/cost.csv"
echo "$GOT|$(pb_sql "SELECT u.currency || ' ' || u.list_cost FROM pb.usage_daily u JOIN pb.import i ON i.id = u.import_id
	AND i.status = 'committed' WHERE u.partner_account_id = '$S6' ORDER BY u.usage_date" | paste -sd,)" >>"$TMP/cur2/out"
check "a meter priced in USD and EUR in one list: both stored, no warning; each line gets its currency's price" \
	"0|price load N committed: azure azure-pricesheet from cur2: 1 file, 2 items, 2 prices stored, 0 not list prices skipped||EUR 0.45,USD 0.5
0|USD 5,EUR 4.5" "$(cat "$TMP/cur2/out")"

# ---- a list whose every item is another term than a list price: said so ---------------------------------------
# Saved pages of reservation prices alone were refused asking whether the services and regions were right, which
# files do not name.
printf '{"Items": [%s], "NextPageLink": null, "Count": 1}\n' \
	"$(item "${C1%1}2" "Virtual Machines" eastus "1 Hour" 876 2026-12-01 0.0 Reservation)" >"$TMP/cur2/reserved.json"
run 1 "$PBP" load --format azure-retail --no-progress --source reserved "$TMP/cur2/reserved.json"
check "saved pages whose items are all reservations: exit 1, saying none is a list price" \
	"1|pb-prices: no list price read from reserved: nothing stored (1 item read in $TMP/cur2/reserved.json, none a list price: reservations, savings plans and other terms are skipped)" \
	"$GOT|$(cat "$TMP/err")"
# Files that hold no item were not named: only the source, which --source may have named otherwise.
echo 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' >"$TMP/cur2/empty.csv"
cp "$TMP/cur2/empty.csv" "$TMP/cur2/empty2.csv"
run 1 "$PBP" load --format azure-pricesheet --no-progress --source nightly "$TMP/cur2/empty.csv"
check "a price sheet of its header alone: exit 1, naming the file" \
	"1|pb-prices: no list price read from nightly: nothing stored ($TMP/cur2/empty.csv holds no item)" "$GOT|$(cat "$TMP/err")"
run 1 "$PBP" load --format azure-pricesheet --no-progress --source nightly "$TMP/cur2/empty.csv" "$TMP/cur2/empty2.csv"
check "... two of them: exit 1, naming the first and the last" \
	"1|pb-prices: no list price read from nightly: nothing stored (none of the 2 files, $TMP/cur2/empty.csv to $TMP/cur2/empty2.csv, holds an item)" \
	"$GOT|$(cat "$TMP/err")"

# A server sending 20 bytes a second: pb-prices had --stall-timeout but neither --min-rate nor --download-timeout,
# so the download went on at the default limits (1024 bytes a second, 6 hours) whatever the job needed. As in
# pb-ingest: under --min-rate for --stall-timeout seconds is a stall (retried), and --download-timeout ends it.
pb_fault_start "$TMP/aws" '*:slow=20' >/dev/null || exit 1
loads=$(pb_sql "SELECT count(*) FROM pb.price_load WHERE status = 'committed'")
run 3 "$PBP" load --format aws-offer --no-progress --url "$FAULT_ENDPOINT/offers/v1.0/aws/index.json" \
	--service AmazonEC2 --region us-east-1 --stall-timeout 1 --min-rate 100 --download-timeout 2
check "a server sending 20 bytes a second: a stall at --min-rate 100, then exit 3 at --download-timeout 2" \
	"3|pb-prices: $FAULT_ENDPOINT/offers/v1.0/aws/index.json: the download did not end within 2 s (2 attempts), not retried|$loads" \
	"$GOT|$(grep -v '^pb-prices: price load ' "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE status = 'committed'")"
pb_fault_stop
# A server that answers 503 and asks for 30 s (Retry-After) to a download with 10 s left: it waited out the deadline
# for an attempt it could not make, then said only that the download did not end, not what the server said. (10 s,
# not 2: a loaded machine could spend 2 s before the first answer, and the deadline was then the message.)
pb_fault_start "$TMP/aws" '*:503:retry-after=30' >/dev/null || exit 1
run 3 "$PBP" load --format aws-offer --no-progress --url "$FAULT_ENDPOINT/offers/v1.0/aws/index.json" \
	--service AmazonEC2 --region us-east-1 --download-timeout 10
check "a 503 asking for 30 s with --download-timeout 10: exit 3 at once, saying what the server answered and asked" \
	"3|pb-prices: $FAULT_ENDPOINT/offers/v1.0/aws/index.json: HTTP 503 (SlowDown) (1 attempt), and the server asks to wait 30 s before the next: past the download's deadline of 10 s, not retried|$loads" \
	"$GOT|$(grep -v '^pb-prices: price load ' "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price_load WHERE status = 'committed'")"
pb_fault_stop
for o in "--min-rate 0|a whole number of bytes a second from 1 to 1000000000, not '0'" \
	"--download-timeout 604801|a positive number of seconds (at most 7 days), not '604801'" \
	"--stall-timeout x|a positive number of seconds, not 'x'"; do
	run 2 "$PBP" load --format aws-offer --no-progress --service AmazonEC2 ${o%%|*}
	check "${o%%|*}: a usage error" "2|pb-prices: ${o%% *} takes ${o#*|}" "$GOT|$(head -n 1 "$TMP/err")"
done

# A month in which no AWS price is in force (the database sends no row): a line without a SKU, priced by its usage
# type and operation, read the empty table of the prices' texts at a random place, and pb-ingest crashed.
mkdir -p "$TMP/aws-2020"
{
	echo "$H"
	printf '2020-01-01T00:00:00Z,111111111111,Usage,2020-01-02T00:00:00Z,USD,7,EC2,,100,EBS:VolumeUsage.gp3,CreateVolume-Gp3,us-east-1\n'
} >"$TMP/aws-2020/cur.csv"
run 0 "$PBI" --format aws-cur --no-progress --final "$TMP/aws-2020/cur.csv"
check "a month without an AWS price in force: the line without a SKU is left without a list price, and the warning does not say that no list is loaded" \
	"0|pb-ingest: $TMP/aws-2020/cur.csv: warning: 1 line has no list price; its list cost is left empty
pb-ingest: warning: 1 usage line without a list price in the export: no aws price list loaded has a price in force on its usage days (pb-prices load)" \
	"$GOT|$(cat "$TMP/err")"

# A value of bytes that are not UTF-8 in a message: shown \xHH, as a control character is. Quoted as they were, the
# message was no text PostgreSQL takes, and the failed load went unrecorded.
sed '2s|,09/01/2026,|,09/01\xff\xfe/2026,|' "$TMP/pricesheet.csv" >"$TMP/badbytes.csv"
run 1 "$PBP" load --format azure-pricesheet --no-progress --source badbytes "$TMP/badbytes.csv"
check "a bad date of bytes that are not UTF-8: exit 1, the message shows them, the failed load is recorded" \
	"1|pb-prices: $TMP/badbytes.csv:2:86: bad effective start date \"09/01\\xff\\xfe/2026\" in column 'effectiveStartDate'|failed|$TMP/badbytes.csv:2:86: bad effective start date \"09/01\\xff\\xfe/2026\" in column 'effectiveStartDate'" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT status, error FROM pb.price_load WHERE source = 'badbytes'" '|')"
# A price sheet saved under its URL, a SAS with it (as a path, or as a file:// address): the load recorded its file,
# and the address its source, with the signature.
mkdir -p "$TMP/sas"
cp "$TMP/pricesheet.csv" "$TMP/sas/pricesheet.csv?sv=2022-11-02&sig=S3CR3T"
run 0 "$PBP" load --format azure-pricesheet --no-progress --source sas-path "$TMP/sas/pricesheet.csv?sv=2022-11-02&sig=S3CR3T"
run 0 "$PBP" load --format azure-pricesheet --no-progress "file://$TMP/sas/pricesheet.csv?sv=2022-11-02&sig=S3CR3T"
check "a price sheet named with a SAS: recorded without its signature" \
	"0|file://$TMP/sas/pricesheet.csv;file://$TMP/sas/pricesheet.csv;|file://$TMP/sas;|0" \
	"$GOT|$(pb_sql "SELECT f.uri FROM pb.price_load_file f JOIN pb.price_load l ON l.id = f.load_id WHERE f.uri LIKE '%/sas/%' ORDER BY l.id" | tr '\n' ';')|$(pb_sql "SELECT source FROM pb.price_load WHERE source LIKE '%/sas%' ORDER BY id" | tr '\n' ';')|$(pb_sql "SELECT count(*) FROM pb.price_load l JOIN pb.price_load_file f ON f.load_id = l.id WHERE l.source || f.uri LIKE '%S3CR3T%'")"
# ---- a tiered meter priced from mid-month by a load that writes its unit another way: the tiers go on -------------
# The month's quantity was counted per unit as the list writes it: from the 15th, a load pricing per "1 gb" (or per
# "10 GB") began again at the lowest tier, and the 20th's 10 GB, past the first 10, were billed at 0.5, not 0.4.
U1=11111111-aaaa-4bbb-8ccc-0000000000b1 # 0.5, 0.4 from 10 GB; from the 15th the same, per "1 gb"
U2=11111111-aaaa-4bbb-8ccc-0000000000b2 # 0.5, 0.4 from 10 GB; from the 15th 5 per "10 GB", 4 from 1 of them
S7=a1b2c3d4-2b8c-4dbe-9f60-5c9b1e3a7d07
mkdir -p "$TMP/unitcase"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"$U1,US East,1 GB,0,0.5,USD,02/01/2027" "$U1,US East,1 GB,10,0.4,USD,02/01/2027" \
	"$U2,US East,1 GB,0,0.5,USD,02/01/2027" "$U2,US East,1 GB,10,0.4,USD,02/01/2027" >"$TMP/unitcase/a.csv"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"$U1,US East,1 gb,0,0.5,USD,02/15/2027" "$U1,US East,1 gb,10,0.4,USD,02/15/2027" \
	"$U2,US East,10 GB,0,5,USD,02/15/2027" "$U2,US East,10 GB,1,4,USD,02/15/2027" >"$TMP/unitcase/b.csv"
"$PBP" load --format azure-pricesheet --no-progress --source unitcase-a "$TMP/unitcase/a.csv" >/dev/null 2>&1
"$PBP" load --format azure-pricesheet --no-progress --source unitcase-b "$TMP/unitcase/b.csv" >/dev/null 2>&1
{
	echo 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation'
	echo "$S7,02/10/2027,Usage,OnDemand,Azure,USD,0.1,,10,Storage,$U1,1 GB,US East,eastus"
	echo "$S7,02/20/2027,Usage,OnDemand,Azure,USD,0.1,,10,Storage,$U1,1 GB,US East,eastus"
	echo "$S7,02/10/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$U2,1 GB,US East,eastus"
	echo "$S7,02/20/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$U2,1 GB,US East,eastus"
} >"$TMP/unitcase/cost.csv"
run 0 "$PBI" --format azure-cost --no-progress "$TMP/unitcase/cost.csv"
b=$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'unitcase-b'")
check "a tiered meter priced from mid-month in its unit written another way: the month's quantity still crosses its tiers" \
	"0|2027-02-10 Compute 5|2027-02-10 Storage 5|2027-02-20 Compute 4 $b|2027-02-20 Storage 4 $b" \
	"$GOT|$(daily azure | grep "^$S7," | awk -F, '{ print $2, $4, $6, ($2 > "2027-02-15" ? $10 : "") }' | sed 's/ $//' | paste -sd'|')"

# ---- a newer load that names the meter's region by its armRegionName: it prices the days it covers ---------------
# A price sheet names the region "US East", the Retail Prices API "eastus": the meter seemed priced in two regions,
# and a line whose MeterRegion is "US East" took the sheet's price on every day, the API's newer one on none.
R1=11111111-aaaa-4bbb-8ccc-0000000000e1
S8=a1b2c3d4-2b8c-4dbe-9f60-5c9b1e3a7d10
mkdir -p "$TMP/armregion"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"$R1,US East,1 Hour,0,0.5,USD,03/01/2027" >"$TMP/armregion/sheet.csv"
printf '{"Items": [%s], "NextPageLink": null, "Count": 1}\n' \
	"$(item $R1 "Virtual Machines" eastus "1 Hour" 0.6 2027-03-15)" >"$TMP/armregion/page.json"
"$PBP" load --format azure-pricesheet --no-progress --source armregion-sheet "$TMP/armregion/sheet.csv" >/dev/null 2>&1
"$PBP" load --format azure-retail --no-progress --source armregion-api "$TMP/armregion/page.json" >/dev/null 2>&1
{
	echo 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation'
	echo "$S8,03/10/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$R1,1 Hour,US East,eastus"
	echo "$S8,03/20/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$R1,1 Hour,US East,eastus"
} >"$TMP/armregion/cost.csv"
run 0 "$PBI" --format azure-cost --no-progress "$TMP/armregion/cost.csv"
sheet=$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'armregion-sheet'")
api=$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'armregion-api'")
check "a newer load naming the region by its armRegionName prices the days it covers, the sheet's the days before" \
	"0|2027-03-10 5 $sheet|2027-03-20 6 $api" \
	"$GOT|$(daily azure | grep "^$S8," | awk -F, '{ print $2, $6, $10 }' | paste -sd'|')"

# ---- a reload of the same prices after a newer load that writes the region another way: the list is current again --
# A newer load of another source priced the meter in "us-east", which pb-ingest takes for the sheet's "US East":
# the reload was "unchanged: nothing to do", since the regions differed as text, and the newer 0.7 went on pricing.
R2=11111111-aaaa-4bbb-8ccc-0000000000e2
S9=a1b2c3d4-2b8c-4dbe-9f60-5c9b1e3a7d11
mkdir -p "$TMP/reloadregion"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"$R2,US East,1 Hour,0,0.5,USD,04/01/2027" >"$TMP/reloadregion/a.csv"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"$R2,us-east,1 Hour,0,0.7,USD,04/01/2027" >"$TMP/reloadregion/b.csv"
"$PBP" load --format azure-pricesheet --no-progress --source reloadregion-a "$TMP/reloadregion/a.csv" >/dev/null 2>&1
"$PBP" load --format azure-pricesheet --no-progress --source reloadregion-b "$TMP/reloadregion/b.csv" >/dev/null 2>&1
a=$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'reloadregion-a'")
run 0 "$PBP" load --format azure-pricesheet --no-progress --source reloadregion-a "$TMP/reloadregion/a.csv"
out=$(cat "$TMP/out")
printf '%s\n' 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation' \
	"$S9,04/10/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$R2,1 Hour,US East,eastus" >"$TMP/reloadregion/cost.csv"
"$PBI" --format azure-cost --no-progress "$TMP/reloadregion/cost.csv" >/dev/null 2>&1
check "a reload of the same list after a newer load naming its region another way: a new load, which prices the days" \
	"0|price load $((a + 2)) committed: azure azure-pricesheet from reloadregion-a: 1 file, 1 item, 1 price stored, 0 not list prices skipped, load $a superseded, 1 older price it covers dropped|2027-04-10 5 $((a + 2))" \
	"$GOT|$out|$(daily azure | grep "^$S9," | awk -F, '{ print $2, $6, $10 }')"

# ---- a line that names no region, of a meter priced under both names of one region -------------------------------
# Loaded both, the sheet's "US East" and the API's "eastus" seemed two regions: a line naming none got no price ("its
# meter is priced in other regions only"), and one naming "US East" alone took the sheet's price on every day. The
# API's items give both names (armRegionName and location): the load records them, and pb-ingest takes them for one.
S10=a1b2c3d4-2b8c-4dbe-9f60-5c9b1e3a7d12
mkdir -p "$TMP/armregion-none"
{
	echo 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation'
	echo "$S10,03/10/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$R1,1 Hour,,"
	echo "$S10,03/20/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$R1,1 Hour,,"
	echo "$S10,03/21/2027,Usage,OnDemand,Azure,USD,0.1,,10,Storage,$R1,1 Hour,US East,"
} >"$TMP/armregion-none/cost.csv"
run 0 "$PBI" --format azure-cost --no-progress "$TMP/armregion-none/cost.csv"
check "a line naming no region, or US East alone, of a meter priced as US East and eastus: the newest load's price" \
	"0||2027-03-10 Compute 5 $sheet|2027-03-20 Compute 6 $api|2027-03-21 Storage 6 $api" \
	"$GOT|$(cat "$TMP/err")|$(daily azure | grep "^$S10," | awk -F, '{ print $2, $4, $6, $10 }' | paste -sd'|')"

# ---- a newer load that names the region the other way covers the older prices: they are dropped ------------------
# The older loads' prices that a load covers day for day are dropped, but only where both wrote the region alike: the
# sheet's "US East" price stayed under the API's "eastus" one from the same day, never in force again.
R3=11111111-aaaa-4bbb-8ccc-0000000000f1
mkdir -p "$TMP/armregion-cover"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"$R3,US East,1 Hour,0,0.5,USD,05/01/2027" >"$TMP/armregion-cover/sheet.csv"
printf '{"Items": [%s], "NextPageLink": null, "Count": 1}\n' \
	"$(item $R3 "Virtual Machines" eastus "1 Hour" 0.6 2027-05-01)" >"$TMP/armregion-cover/page.json"
"$PBP" load --format azure-pricesheet --no-progress --source armregion-cover-sheet "$TMP/armregion-cover/sheet.csv" \
	>/dev/null 2>&1
run 0 "$PBP" load --format azure-retail --no-progress --source armregion-cover-api "$TMP/armregion-cover/page.json"
check "a newer load naming the region by its armRegionName drops the older prices it covers, named US East" \
	"0|price load N committed: azure azure-retail from armregion-cover-api: 1 file, 1 item, 1 price stored, 0 not list prices skipped, 1 older price it covers dropped|eastus 0.6" \
	"$GOT|$(sed 's/^price load [0-9]* /price load N /' "$TMP/out")|$(pb_sql "SELECT string_agg(region || ' ' || unit_price, ',')
	FROM pb.price WHERE meter = '$R3'")"

# ---- the other places a region is compared: a key priced two ways, and show ----------------------------------------
# A sheet pricing a meter 0.1 in "US East" and 0.2 in "eastus" was stored, though a line there is one region's; show
# gave "US East" and "eastus" apart, each with its prices from its first day, where pb-ingest applies the newest load.
R4=11111111-aaaa-4bbb-8ccc-0000000000f2
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate' \
	"$R4,US East,1 Hour,0.1,USD,06/01/2027" "$R4,eastus,1 Hour,0.2,USD,06/01/2027" >"$TMP/armregion-cover/two.csv"
run 1 "$PBP" load --format azure-pricesheet --no-progress --source armregion-two "$TMP/armregion-cover/two.csv"
echo "$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price WHERE meter = '$R4'")" >"$TMP/armregion-cover/out"
run 0 "$PBP" show --vendor azure --meter "$R1"
check "a meter priced two ways in US East and eastus: refused naming both; show: one region, the newest load each day" \
	"1|pb-prices: $TMP/armregion-cover/two.csv:3:45: meter $R4, unit '1 Hour', tier 0, from 2027-06-01: region 'eastus' (price 0.2) is region 'US East' of $TMP/armregion-cover/two.csv:2:46 (price 0.1) written another way: the Retail Prices API gives them as the armRegionName and location of one region, so which price a line there gets cannot be told|0
2027-03-01  2027-03-14  US East           1 Hour                 0             0.5  USD       $(printf %5s "$sheet")
2027-03-15  -           eastus            1 Hour                 0             0.6  USD       $(printf %5s "$api")" \
	"$(cat "$TMP/armregion-cover/out")
$(tail -n +3 "$TMP/out")"

# ---- a line that names no region, of a meter priced in two: said so ---------------------------------------------
# Its reason was "its meter is priced in other regions only", as for a line naming a region the meter is not priced in.
R5=11111111-aaaa-4bbb-8ccc-0000000000f3
mkdir -p "$TMP/noregion"
printf '{"Items": [%s, %s], "NextPageLink": null, "Count": 2}\n' "$(item $R5 "Virtual Machines" eastus "1 Hour" 0.6 2027-07-01)" \
	"$(item $R5 "Virtual Machines" westus "1 Hour" 0.7 2027-07-01)" >"$TMP/noregion/page.json"
"$PBP" load --format azure-retail --no-progress --source noregion "$TMP/noregion/page.json" >/dev/null 2>&1
printf '%s\n' 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation' \
	"$S10,07/10/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$R5,1 Hour,," >"$TMP/noregion/cost.csv"
run 0 "$PBI" --format azure-cost --no-progress "$TMP/noregion/cost.csv"
check "a line naming no region, of a meter priced in US East and US West: no price, and the reason says the line names none" \
	"0|pb-ingest: $TMP/noregion/cost.csv: warning: 1 line has no list price; its list cost is left empty
pb-ingest: warning: 1 usage line without a list price in the export got none from the price lists: its meter is priced in several regions, and the line names none" \
	"$GOT|$(cat "$TMP/err")"

# ---- a pair of names that a later load contradicts: the prices stored while it held price the same lines ---------
# The API's "eastus" load dropped the sheet's "US East" price it covered, the two names being one region. A later
# list filing an edge zone under "US East" too undid the pair: a line naming "US East" alone, priced before, got no
# list price on a rerun of its import, the price it had been given being the only one left, under "eastus".
R5=11111111-aaaa-4bbb-8ccc-0000000000f3
R6=11111111-aaaa-4bbb-8ccc-0000000000f4
S11=a1b2c3d4-2b8c-4dbe-9f60-5c9b1e3a7d13
mkdir -p "$TMP/pairlater"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"$R5,US East,1 Hour,0,0.5,USD,07/01/2027" >"$TMP/pairlater/sheet.csv"
printf '{"Items": [%s], "NextPageLink": null, "Count": 1}\n' \
	"$(item $R5 "Virtual Machines" eastus "1 Hour" 0.6 2027-07-01)" >"$TMP/pairlater/api.json"
printf '{"Items": [%s], "NextPageLink": null, "Count": 1}\n' \
	"$(item $R6 "Virtual Machines" attatlanta1 "1 Hour" 0.9 2027-07-01)" >"$TMP/pairlater/edge.json"
printf '%s\n' 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation' \
	"$S11,07/10/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$R5,1 Hour,US East," \
	"$S11,07/10/2027,Usage,OnDemand,Azure,USD,0.1,,10,Storage,$R6,1 Hour,US East,attatlanta1" >"$TMP/pairlater/cost.csv"
"$PBP" load --format azure-pricesheet --no-progress --source pairlater-sheet "$TMP/pairlater/sheet.csv" >/dev/null 2>&1
"$PBP" load --format azure-retail --no-progress --source pairlater-api "$TMP/pairlater/api.json" >/dev/null 2>&1
"$PBI" --format azure-cost --no-progress "$TMP/pairlater/cost.csv" >/dev/null 2>&1
before=$(daily azure | grep "^$S11,.*,Compute," | awk -F, '{ print $6, $10 }')
"$PBP" load --format azure-retail --no-progress --source pairlater-edge "$TMP/pairlater/edge.json" >/dev/null 2>&1
run 0 "$PBI" --format azure-cost --no-progress "$TMP/pairlater/cost.csv"
pairapi=$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'pairlater-api' AND status = 'committed'")
pairedge=$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'pairlater-edge' AND status = 'committed'")
check "a pair of region names a later load contradicts still holds: a rerun prices the same lines the same" \
	"6 $pairapi|0||2027-07-10 Compute 6 $pairapi|2027-07-10 Storage 9 $pairedge|eastus useast" \
	"$before|$GOT|$(cat "$TMP/err")|$(daily azure | grep "^$S11," | awk -F, '{ print $2, $4, $6, $10 }' | paste -sd'|')|$(pb_sql "SELECT string_agg(alias || ' ' || region, ',' ORDER BY alias) FROM pb.region_alias WHERE vendor = 'azure' AND region = 'useast'")"

# ---- --region given as a display name: the armRegionName a load paired it with is asked for --------------------
# The API's $filter takes an armRegionName: "US East" gave no item, a warning saying the API compares names with
# their case, and nothing loaded. A display name a load has paired is asked for as its armRegionName; one no load
# has paired is said so in the warning, with what to give.
run 0 "$PBP" load --format azure-retail --no-progress --url "$RETAIL" --service "Virtual Machines" \
	--region "US East" --region "Moon Base" --source dispname
check "--region as a display name: its paired armRegionName asked for; one no load paired: the warning says what to give" \
	"0|pb-prices: warning: $RETAIL?\$filter=serviceName%20eq%20%27Virtual%20Machines%27%20and%20armRegionName%20eq%20%27Moon%20Base%27%20and%20priceType%20eq%20%27Consumption%27: no item: the API has no price of service 'Virtual Machines' in region 'Moon Base' (it compares names with their case; a region is its armRegionName, such as eastus, or a display name a Retail Prices load has paired with one, and no load has paired 'Moon Base')|eastus 4" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT region, count(*) FROM pb.price p JOIN pb.price_load l ON l.id = p.load_id
	WHERE l.source = 'dispname' AND l.status = 'committed' GROUP BY region" | tr , ' ')"

# ---- show: a meter priced per "1 Hour", then per "100 Hours" by a newer load: one unit, as pb-ingest prices it -----
# pb-ingest counts a line's unit in its base: from August 15th the newer load's "100 Hours" price decides a "1 Hour"
# line's price. show grouped units by their text, and gave the "1 Hour" price as in force on every day after.
R7=11111111-aaaa-4bbb-8ccc-0000000000f5
S12=a1b2c3d4-2b8c-4dbe-9f60-5c9b1e3a7d14
mkdir -p "$TMP/showunit"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"$R7,US East,1 Hour,0,0.5,USD,08/01/2027" >"$TMP/showunit/hour.csv"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"$R7,US East,100 Hours,0,40,USD,08/15/2027" >"$TMP/showunit/hundred.csv"
printf '%s\n' 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation' \
	"$S12,08/10/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$R7,1 Hour,US East," \
	"$S12,08/20/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$R7,1 Hour,US East," >"$TMP/showunit/cost.csv"
"$PBP" load --format azure-pricesheet --no-progress --source showunit-hour "$TMP/showunit/hour.csv" >/dev/null 2>&1
"$PBP" load --format azure-pricesheet --no-progress --source showunit-hundred "$TMP/showunit/hundred.csv" >/dev/null 2>&1
"$PBI" --format azure-cost --no-progress "$TMP/showunit/cost.csv" >/dev/null 2>&1
hour=$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'showunit-hour'")
hundred=$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'showunit-hundred'")
run 0 "$PBP" show --vendor azure --meter "$R7"
check "show: a price per 1 Hour, then per 100 Hours from a newer load: one unit's periods, as pb-ingest priced the lines" \
	"0|2027-08-01  2027-08-14  US East           1 Hour                 0             0.5  USD       $(printf %5s "$hour")
2027-08-15  -           US East           100 Hours              0              40  USD       $(printf %5s "$hundred")|2027-08-10 5 $hour|2027-08-20 4 $hundred" \
	"$GOT|$(tail -n +3 "$TMP/out")|$(daily azure | grep "^$S12," | awk -F, '{ print $2, $6, $10 }' | paste -sd'|')"

# ---- a region named by more than 63 letters and digits: a line naming it takes its price --------------------------
# pb-ingest kept a price's region to 127 letters and digits but a line's to 63: a line naming a longer region never
# found its price ("its meter is priced in other regions only"); pb-prices compared the whole names.
R8=11111111-aaaa-4bbb-8ccc-0000000000f6
S13=a1b2c3d4-2b8c-4dbe-9f60-5c9b1e3a7d15
long="Region $(printf 'x%.0s' $(seq 1 90))"
mkdir -p "$TMP/longregion"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate' \
	"$R8,US West,1 Hour,0,0.3,USD,09/01/2027" "$R8,$long,1 Hour,0,0.4,USD,09/01/2027" >"$TMP/longregion/sheet.csv"
printf '%s\n' 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation' \
	"$S13,09/10/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$R8,1 Hour,$long," >"$TMP/longregion/cost.csv"
"$PBP" load --format azure-pricesheet --no-progress --source longregion "$TMP/longregion/sheet.csv" >/dev/null 2>&1
run 0 "$PBI" --format azure-cost --no-progress "$TMP/longregion/cost.csv"
check "a line naming a region of 95 letters takes that region's price" "0||2027-09-10 4" \
	"$GOT|$(cat "$TMP/err")|$(daily azure | grep "^$S13," | awk -F, '{ print $2, $6 }')"

# ---- regions compared alike by pb-prices and pb-ingest: past 127 letters and digits, and whatever the collation ----
# pb-ingest compares a region on its first 127 letters and digits; pb-prices compared them whole, and stored a meter
# priced two ways in two regions alike to pb-ingest. pb.region_fold lowercased in the database's collation: in a
# Turkish one "CENTRAL INDIA" was "centralındıa", where pb-ingest has "centralindia".
R9=11111111-aaaa-4bbb-8ccc-0000000000f7
longa="$(printf 'z%.0s' $(seq 1 130))a" longb="$(printf 'z%.0s' $(seq 1 130))b"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate' \
	"$R9,$longa,1 Hour,0.1,USD,10/01/2027" "$R9,$longb,1 Hour,0.2,USD,10/01/2027" >"$TMP/longregion/two.csv"
run 1 "$PBP" load --format azure-pricesheet --no-progress --source longregion-two "$TMP/longregion/two.csv"
check "two regions alike in their first 127 letters, priced two ways: refused; region_fold lowercases as pb-ingest" \
	"1|pb-prices: $TMP/longregion/two.csv:3:170: meter $R9, unit '1 Hour', tier 0, from 2027-10-01: region '$longb' (price 0.2) is region '$longa' of $TMP/longregion/two.csv:2:170 (price 0.1) written another way: regions are compared on their letters and digits without case, so which price a line there gets cannot be told|0|centralindia" \
	"$GOT|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.price WHERE meter = '$R9'")|$(pb_sql "SELECT pb.region_fold('CENTRAL INDIA' COLLATE \"tr-TR-x-icu\")")"

# A name in a nondeterministic collation (case-insensitive, as a DBA may give a column): the regular expression ran
# in it, and PostgreSQL refuses one there.
pb_sql "CREATE COLLATION IF NOT EXISTS pb_test_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)" >/dev/null
check "pb.region_fold of a name in a nondeterministic collation" "useast" \
	"$(pb_sql "SELECT pb.region_fold('US East' COLLATE pb_test_ci)" 2>&1)"

# ---- two loads recording pairs that share a name at once: the second sees the first's -----------------------------
# Each load saw only its own new pair: B took "concland1" for "Conc Land" and dropped the sheet's "Conc Land" price it
# covered, while A, paused before its commit, gave "Conc Land" another name first; committed, B's pair held no more,
# and a line naming "Conc Land" had no price left. The loads take their turns from recording their pairs on.
# conc_loads TAG SHEET_METER A_METER LAND: a sheet prices SHEET_METER in LAND; load A (paused before its commit)
# pairs TAGzone with LAND, then load B pairs TAGland1 with it and prices SHEET_METER there; $a gets the outcome.
conc_loads() {
	local tag=$1 m1=$2 m2=$3 land=$4 a_rc
	mkdir -p "$TMP/conc"
	printf '%s\n' 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate' \
		"$m1,$land,1 Hour,0.5,USD,11/01/2027" >"$TMP/conc/$tag-sheet.csv"
	printf '{"Items": [%s], "NextPageLink": null, "Count": 1}\n' \
		"$(item "$m2" "Virtual Machines" "${tag}zone" "1 Hour" 0.9 2027-11-01 | sed "s/\"location\": \"US East\"/\"location\": \"$land\"/")" \
		>"$TMP/conc/$tag-a.json"
	printf '{"Items": [%s], "NextPageLink": null, "Count": 1}\n' \
		"$(item "$m1" "Virtual Machines" "${tag}land1" "1 Hour" 0.6 2027-11-01 | sed "s/\"location\": \"US East\"/\"location\": \"$land\"/")" \
		>"$TMP/conc/$tag-b.json"
	"$PBP" load --format azure-pricesheet --no-progress --source "$tag-sheet" "$TMP/conc/$tag-sheet.csv" >/dev/null 2>&1
	rm -f "$TMP/conc/resume"
	: >"$TMP/bg.err"
	PB_TEST_PAUSE=prices-commit PB_TEST_RESUME_FILE=$TMP/conc/resume "$PBP" load --format azure-retail --no-progress \
		--source "$tag-a" "$TMP/conc/$tag-a.json" >"$TMP/bg.out" 2>"$TMP/bg.err" &
	BGPID=$!
	pb_until 120 grep -q "test pause at prices-commit" "$TMP/bg.err" || notok "$tag: load A pauses before its commit"
	"$PBP" load --format azure-retail --no-progress --source "$tag-b" "$TMP/conc/$tag-b.json" >"$TMP/conc/b.out" \
		2>"$TMP/conc/b.err" &
	BPID=$!
	pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted" ||
		notok "$tag: load B waits for load A"
	touch "$TMP/conc/resume"
	wait "$BGPID"
	a_rc=$?
	BGPID=
	wait "$BPID"
	a="$a_rc|$?|$(cat "$TMP/conc/b.err")|$(pb_sql "SELECT string_agg(region || ' ' || unit_price, ',' ORDER BY region)
		FROM pb.price WHERE meter = '$m1'")|$(pb_sql "SELECT string_agg(alias, ',') FROM pb.region_alias
		WHERE region = pb.region_fold('$land')")"
}
conc_loads conc 11111111-aaaa-4bbb-8ccc-0000000000f8 11111111-aaaa-4bbb-8ccc-0000000000f9 "Conc Land"
check "two loads recording pairs that share a name at once: the first's holds, the second's drops nothing" \
	"0|0||Conc Land 0.5,concland1 0.6|conczone" "$a"
# The same with the role's default_transaction_isolation at repeatable read (a DBA's setting): the turns hold only
# if the load that waited reads what the other committed meanwhile, which its session's read committed gives.
pb_sql "ALTER ROLE CURRENT_USER SET default_transaction_isolation = 'repeatable read'" >/dev/null
conc_loads iso 11111111-aaaa-4bbb-8ccc-0000000000fb 11111111-aaaa-4bbb-8ccc-0000000000fc "Iso Land"
pb_sql "ALTER ROLE CURRENT_USER RESET default_transaction_isolation" >/dev/null
check "the same, the role's transactions at repeatable read: the first's pair holds, the second's drops nothing" \
	"0|0||Iso Land 0.5,isoland1 0.6|isozone" "$a"

# ---- a price load committing while pb-ingest reads the price lists: one state of them, not half of each -----------
# pb-ingest read the pairs of region names, then the prices: a load that recorded "racezone1" for "Race Land" and
# dropped the sheet's "Race Land" price it covers committed in between, and a line naming "Race Land", of a meter
# priced in "US West" too, found neither the sheet's price (dropped) nor the API's ("racezone1", not yet paired for
# the run): "its meter is priced in other regions only", where a run before or after the load prices it.
RR=11111111-aaaa-4bbb-8ccc-0000000000fa
S14=a1b2c3d4-2b8c-4dbe-9f60-5c9b1e3a7d16
mkdir -p "$TMP/pairrace"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate' \
	"$RR,Race Land,1 Hour,0.5,USD,12/01/2027" "$RR,US West,1 Hour,0.3,USD,12/01/2027" >"$TMP/pairrace/sheet.csv"
printf '{"Items": [%s], "NextPageLink": null, "Count": 1}\n' \
	"$(item $RR "Virtual Machines" racezone1 "1 Hour" 0.6 2027-12-01 | sed 's/"location": "US East"/"location": "Race Land"/')" >"$TMP/pairrace/api.json"
printf '%s\n' 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation' \
	"$S14,12/10/2027,Usage,OnDemand,Azure,USD,0.1,,10,Compute,$RR,1 Hour,Race Land," >"$TMP/pairrace/cost.csv"
"$PBP" load --format azure-pricesheet --no-progress --source race-sheet "$TMP/pairrace/sheet.csv" >/dev/null 2>&1
: >"$TMP/bg.err"
PB_TEST_PAUSE=listprice-pairs PB_TEST_RESUME_FILE=$TMP/pairrace/resume "$PBI" --format azure-cost --no-progress \
	"$TMP/pairrace/cost.csv" >"$TMP/bg.out" 2>"$TMP/bg.err" &
BGPID=$!
pb_until 120 grep -q "test pause at listprice-pairs" "$TMP/bg.err" || notok "pb-ingest pauses after reading the pairs"
"$PBP" load --format azure-retail --no-progress --source race-api "$TMP/pairrace/api.json" >"$TMP/pairrace/api.out" 2>&1
touch "$TMP/pairrace/resume"
wait "$BGPID"
GOT=$?
BGPID=
racesheet=$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'race-sheet'")
check "a load committing while pb-ingest reads the prices: the line is priced by the lists as they were before it" \
	"0|pb-ingest: test pause at listprice-pairs|2027-12-10 5 $racesheet|US West 0.3,racezone1 0.6" \
	"$GOT|$(cat "$TMP/bg.err")|$(daily azure | grep "^$S14," | awk -F, '{ print $2, $6, $10 }')|$(pb_sql "SELECT string_agg(region || ' ' || unit_price, ',' ORDER BY region) FROM pb.price WHERE meter = '$RR'")"

# ---- a unit written with blanks around its "/": one unit with the one written without --------------------------------
# Azure writes "1 GB /Month" as well as "1 GB/Month": pb-ingest read "gb /month" and "gb/month", two units, and a line
# in one of a meter priced in the other had no list price ("priced per another unit of measure only").
RU=11111111-aaaa-4bbb-8ccc-0000000000fd
S15=a1b2c3d4-2b8c-4dbe-9f60-5c9b1e3a7d17
mkdir -p "$TMP/slash"
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate' \
	"$RU,US East,100 GB /Month,20,USD,01/01/2028" "${RU%d}e,US East,1 GB/Month,0.5,USD,01/01/2028" >"$TMP/slash/sheet.csv"
printf '%s\n' 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation' \
	"$S15,01/10/2028,Usage,OnDemand,Azure,USD,0.1,,10,Storage,$RU,1 GB/Month,US East,eastus" \
	"$S15,01/11/2028,Usage,OnDemand,Azure,USD,0.1,,10,Storage,${RU%d}e,1 GB / Month,US East,eastus" >"$TMP/slash/cost.csv"
"$PBP" load --format azure-pricesheet --no-progress --source slash "$TMP/slash/sheet.csv" >/dev/null 2>&1
run 0 "$PBI" --format azure-cost --no-progress "$TMP/slash/cost.csv"
# 10 GB of a price per "100 GB /Month" (20): 2; 10 GB at 0.5 per "1 GB/Month": 5.
check "a line in \"1 GB/Month\" of a meter priced per \"100 GB /Month\", and the other way: priced, blanks around / dropped" \
	"0||2028-01-10 2,2028-01-11 5" \
	"$GOT|$(cat "$TMP/err")|$(daily azure | grep "^$S15," | awk -F, '{ print $2, $6 }' | paste -sd,)"

# ---- a line without a unit of measure: priced in the price's unit only when that is one of its base ------------------
# A line without UnitOfMeasure of a meter priced per "100 GB /Month" had its quantity taken as hundreds of GB: 10 cost
# 200, where 10 GB cost 2.
S16=a1b2c3d4-2b8c-4dbe-9f60-5c9b1e3a7d18
mkdir -p "$TMP/nounit"
printf '%s\n' 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation' \
	"$S16,01/12/2028,Usage,OnDemand,Azure,USD,0.1,,10,Storage,$RU,,US East,eastus" \
	"$S16,01/13/2028,Usage,OnDemand,Azure,USD,0.1,,10,Storage,${RU%d}e,,US East,eastus" >"$TMP/nounit/cost.csv"
run 0 "$PBI" --format azure-cost --no-progress "$TMP/nounit/cost.csv"
check "a line without a unit: no price of a meter per \"100 GB /Month\" (its own reason), priced per \"1 GB/Month\"" \
	"0|pb-ingest: $TMP/nounit/cost.csv: warning: 1 line has no list price; its list cost is left empty
pb-ingest: warning: 1 usage line without a list price in the export got none from the price lists: the line gives no unit of measure, and its meter is priced per more than one of its unit (say \"100 Hours\") or in several units|2028-01-12 -,2028-01-13 5" \
	"$GOT|$(cat "$TMP/err")|$(daily azure | grep "^$S16," | awk -F, '{ print $2, $6 }' | paste -sd,)"

# ---- show: one unit written in two cases, one price: one period ----------------------------------------------------
# show picked a day's prices comparing units without case, as pb-ingest does, but told periods apart with case: a
# load pricing "1 gb" from November and "1 GB" (the same price) from December showed two periods of one price.
RS=11111111-aaaa-4bbb-8ccc-0000000000ff
printf '%s\n' 'meterId,meterRegion,unitOfMeasure,marketPrice,currency,effectiveStartDate' \
	"$RS,US East,1 gb,0.4,USD,11/01/2027" "$RS,US East,1 GB,0.4,USD,12/01/2027" >"$TMP/slash/case.csv"
"$PBP" load --format azure-pricesheet --no-progress --source show-case "$TMP/slash/case.csv" >/dev/null 2>&1
run 0 "$PBP" show --vendor azure --meter $RS
check "show: a unit in two cases at one price, from two starts: one period" \
	"$(printf '%-10s  %-10s  %-16s  %-12s  %10s  %14s  %-8s  %5s\n' 2027-11-01 - "US East" "1 gb" 0 0.4 USD \
		"$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'show-case'")")" "$(tail -n +3 "$TMP/out")"

# ---- show: a line break in a unit, region or product: shown escaped, one line a period ---------------------------
# show escaped a price list's control characters but kept its line feeds: a unit "1 GB" LF "0 1 USD 99" printed
# a period's line as two, the second made up by the list.
RB=11111111-aaaa-4bbb-8ccc-0000000b0001
{
	echo '{"Items": ['
	item $RB 'Storage\nx' 'east\nus' '1 GB\n2026-01-01  -  0  1  USD  99' 0.4 2027-11-01
	echo '], "NextPageLink": null, "Count": 1}'
} >"$TMP/slash/breaks.json"
"$PBP" load --format azure-retail --no-progress --source show-breaks "$TMP/slash/breaks.json" >/dev/null 2>&1
run 0 "$PBP" show --vendor azure --meter $RB
# A column is as wide as its text before its line feed is written \x0a.
line=$(printf '%-10s  %-10s  %-16s  %-12s  %10s  %14s  %-8s  %5s' 2027-11-01 - $'east\nus' \
	$'1 GB\n2026-01-01  -  0  1  USD  99' 0 0.4 USD "$(pb_sql "SELECT id FROM pb.price_load WHERE source = 'show-breaks'")")
check "show: line feeds in a product, region and unit written as \\x0a, one line a period" \
	"0|azure meter $RB (Storage\\x0ax / Standard / Storage\\x0ax meter): the prices in force, from the newest load that has one each day
${line//$'\n'/'\x0a'}" "$GOT|$(sed -n '1p;3,$p' "$TMP/out")"

# ---- progress: what the rows count, one of them in the singular --------------------------------------------------
# The progress line of a load counted its items as "rows", and one as "1 rows": it says "1 item".
RP=11111111-aaaa-4bbb-8ccc-0000000000fe
mkdir -p "$TMP/progress"
{
	echo '{"Items": ['
	item $RP Storage eastus "1 GB" 0.4 2027-11-01
	echo '], "NextPageLink": null, "Count": 1}'
} >"$TMP/progress/page.json"
PB_TEST_PROGRESS_NOW=1 run 0 "$PBP" load --format azure-retail --progress --source progress-one "$TMP/progress/page.json"
# The rate is the time the load took (0.0 MB/s, or 0.5 on a slower build): not compared.
check "progress: a load of one item says \"1 item\"" \
	"0|prices: 0.0 MB, 1 item, R MB/s" \
	"$GOT|$(tr '\r' '\n' <"$TMP/err" | sed 's/\x1b\[K$//; s/, [0-9]*\.[0-9] MB\/s$/, R MB\/s/' | grep -v '^$' | tail -1)"

# ---- a meter in more tiers than pb-ingest applies: said when it is loaded, and why its lines get no price ----------
# pb-ingest prices no line of a price of more than 32 tiers; the load stored such a meter without a word, and the
# lines were found without a list price at the next ingest.
T33=11111111-aaaa-4bbb-8ccc-0000000b0002
S33=8d3a5e4c-0f6a-4b9c-9d4e-3a7f9c1e5b33
mkdir -p "$TMP/tiers33"
{
	echo 'meterId,meterRegion,unitOfMeasure,tierMinimumUnits,marketPrice,currency,effectiveStartDate'
	for k in $(seq 32 -1 0); do echo "$T33,US East,1 GB,$k,0.$((100 - k)),USD,03/01/2028"; done
} >"$TMP/tiers33/sheet.csv"
run 0 "$PBP" load --format azure-pricesheet --no-progress --source tiers33 "$TMP/tiers33/sheet.csv"
check "a meter in 33 tiers: stored, with a warning naming it, its first line and what pb-ingest makes of it" \
	"0|pb-prices: warning: tiers33: 1 meter priced in more than 32 tiers from one day (the first: meter $T33, region 'US East', unit '1 GB', currency USD, from 2028-03-01: 33 tiers, the first at $TMP/tiers33/sheet.csv:2:46): pb-ingest gives none of their lines a price" \
	"$GOT|$(cat "$TMP/err")"
printf '%s\n' 'SubscriptionId,Date,ChargeType,PricingModel,PublisherType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation' \
	"$S33,03/05/2028,Usage,Reservation,Azure,USD,0.5,0,3,Storage,$T33,1 GB,US East,eastus" >"$TMP/tiers33/cost.csv"
run 0 "$PBI" --format azure-cost --no-progress "$TMP/tiers33/cost.csv"
check "... and pb-ingest gives its line no price, saying why" \
	"0|pb-ingest: $TMP/tiers33/cost.csv: warning: 1 line has no list price; its list cost is left empty
pb-ingest: warning: 1 usage line without a list price in the export got none from the price lists: its price has more than 32 tiers" \
	"$GOT|$(cat "$TMP/err")"

pb_tests_done
