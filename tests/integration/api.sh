#!/usr/bin/env bash
# Integration tests of pb-api against a throwaway PostgreSQL cluster and a real server on 127.0.0.1: each
# endpoint with exact amounts, each error (400, 401, 403, 404 alike to the byte, 405, 412, 501, 304, 429, 503), a 304's
# exact headers on a raw socket, 1,200 requests of account tokens for other accounts and for the all-accounts
# listing, tokens made, listed and revoked (refused at once, also while the last-use write waits for a locked
# row, and within seconds while the notifications' server process is stopped, /healthz 503 meanwhile), their
# last use (written every PB_API_LAST_USE_SECONDS, past a locked row, and at SIGTERM), the cache dropped when
# a new aggregate run commits, a new run that commits between a run's lookup and the read of its figures (a
# test pause), a statement held by a lock (503 within 8 s), the database stopped and started under the
# running server, TLS with a certificate made here (and files that are not what they should be, each named),
# plain HTTP refused off loopback, a request's head (or TLS handshake) sent a byte at a time (closed at
# --header-timeout), and a graceful SIGTERM (while a request is in progress, and one more on a keep-alive
# connection). Hostile input too: --by names and the token
# commands' arguments, months out of range (and months without a run kept apart from the runs), what HTTP
# allows once given twice, a body framed two ways (request smuggling), a NUL, control character or folded
# line in the request's head, a Host that is not a host and port, unknown query parameters, %00, and
# requests at and just past the sizes served (on raw sockets where curl will not). Every response is
# checked against schemas/openapi.json at the end. The month's data is made by pb-ingest, pb-accounts and
# pb-aggregate as in aggregate.sh; one more month is written directly.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest
PBA=$BIN/pb-aggregate
PBC=$BIN/pb-accounts
API=$BIN/pb-api
CHECK=$ROOT/tests/integration/api_check.py
SPEC=$ROOT/schemas/openapi.json

pb_test_tmp api
API_PID=
cleanup() {
	[ -n "$API_PID" ] && kill -9 "$API_PID" 2>/dev/null
	[ -n "${NS_PID:-}" ] && kill -9 "$NS_PID" 2>/dev/null
	# A server process stopped by a test would hold the cluster's stop up.
	[ -n "${STOPPED_BACKEND:-}" ] && kill -CONT $STOPPED_BACKEND 2>/dev/null
	pb_test_cleanup
}
pb_on_exit cleanup
export PB_PRICING_CONFIG=$ROOT/config/pricing.conf PB_ELIGIBILITY_CONFIG=$ROOT/config/eligibility.conf
pb_test_cluster_start
# The programs' sessions start with another date style, interval style, time zone and client encoding
# (settings a DBA may give a role; pb_sql leaves them out): the JSON must not change.
export PGOPTIONS="-c DateStyle=SQL,DMY -c IntervalStyle=sql_standard -c TimeZone=Pacific/Kiritimati" \
	PGCLIENTENCODING=LATIN1

# ---- the month's data, as aggregate.sh makes it ----------------------------------------------------------------
mkdir -p "$TMP/aws" "$TMP/azure" "$TMP/r"
H=bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date
H=$H,line_item_currency_code,line_item_unblended_cost,pricing_public_on_demand_cost,product_product_name
line() { printf '2026-10-01T00:00:00Z,%s,%s,2026-10-%02dT05:00:00Z,USD,%s,%s,%s\n' "$@"; }
{
	echo "$H"
	line 111111111111 Usage 1 8 10 EC2
	line 111111111111 Usage 2 5 "" EC2
	line 111111111111 DiscountedUsage 3 1 4 EC2
	line 111111111111 Fee 4 20 20 Support
	line 111111111111 Tax 5 2.5 "" EC2
	line 111111111111 Credit 6 -4 "" EC2
	line 111111111111 Usage 25 90 100 EC2
	line 222222222222 Usage 20 7 9 S3
	line 555555555555 Usage 3 40 50 EC2
} >"$TMP/aws/cur.csv"
cat >"$TMP/azure/cost.csv" <<'CSV'
SubscriptionId,Date,ChargeType,PricingModel,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory
6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/02/2026,Usage,OnDemand,USD,5,2,3,Virtual Machines
CSV
cat >"$TMP/accounts.csv" <<'CSV'
alias,name,billing_country,is_reseller,parent_reseller
ACME1,Acme,US,false,
BETA2,Beta,US,false,
EURO1,Euro Co,US,false,
GAMMA3,Gamma,US,false,
DELTA4,Delta,US,false,
CSV
printf 'month,from,to,rate\n2026-10,USD,EUR,0.9\n' >"$TMP/rates.csv"
{
	"$PBI" --format aws-cur --no-progress --final "$TMP/aws/cur.csv"
	"$PBI" --format azure-cost --no-progress --final "$TMP/azure/cost.csv"
	"$PBC" import "$TMP/accounts.csv" --by test
	for a in ACME1 BETA2 EURO1; do
		"$PBC" accept-terms $a --vendor centurylink --version 1 --by test
		"$PBC" accept-terms $a --vendor aws --region US --version 1 --by test
	done
	"$PBC" accept-terms ACME1 --vendor azure --region US --version 1 --by test
	"$PBC" link ACME1 --vendor aws --partner-account 111111111111 --from 2026-09-01 --by test
	"$PBC" link BETA2 --vendor aws --partner-account 222222222222 --from 2026-10-01 --by test
	"$PBC" link ACME1 --vendor azure --partner-account 6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01 --from 2026-10-01 --by test
	"$PBC" link EURO1 --vendor aws --partner-account 555555555555 --from 2026-10-01 --by test
	pb_sql "UPDATE pb.clc_account SET invoice_currency = 'EUR', markup_percent = 10 WHERE alias = 'EURO1'"
	"$PBA" rates --load "$TMP/rates.csv"
	"$PBA" --month 2026-10
} >"$TMP/setup.log" 2>&1 || notok "make the month's data" "$(cat "$TMP/setup.log")"
RUN=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current'")
FINISHED=$(pb_sql "SELECT to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM pb.aggregate_run WHERE id = $RUN")
# November, written directly: an estimate with intervals, and amounts no double holds.
pb_sql "INSERT INTO pb.aggregate_run (billing_month, as_of, status, imports, pricing_file, pricing_sha256, started_at,
	finished_at, run_by) VALUES ('2026-11-01', '2026-11-10', 'current', '{}', 'test', repeat('0', 64), now(),
	'2026-11-11 02:00:00+00', 'test');
	INSERT INTO pb.aggregate_account (run_id, alias, vendor, currency, month_to_date, markup, estimate, low80,
	high80, low90, high90, method, complete_through, final, markup_percent)
	SELECT id, 'ACME1', v, 'USD', 12345678901234.123456789012345678, 0.000000000000000001,
	98765432109876.54, 1.01, 2.02, 0.99, 3.03, 'trend', '2026-11-09', false, 0 FROM pb.aggregate_run,
	unnest(ARRAY['all', 'aws']) v WHERE billing_month = '2026-11-01'" >/dev/null
NOV=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE billing_month = '2026-11-01'")

# ---- tokens --------------------------------------------------------------------------------------------------
"$API" token create --account NOPE1 --by test >"$TMP/out" 2>"$TMP/err"
check "token create for an account that does not exist: exit 1, nothing printed" \
	"1||pb-api: no CLC account 'NOPE1'" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
"$API" token create --by test >"$TMP/out" 2>"$TMP/err"
check "token create without --account or --platform: exit 2" "2" "$?"
for a in ACME1 BETA2 EURO1 GAMMA3 DELTA4; do
	tok=$("$API" token create --account $a --by test 2>>"$TMP/tokens.err")
	echo "$a $tok" >>"$TMP/tokens"
done
TA=$(awk '$1 == "ACME1" {print $2}' "$TMP/tokens")
TB=$(awk '$1 == "BETA2" {print $2}' "$TMP/tokens")
TP=$("$API" token create --platform --by test 2>"$TMP/err")
check "token create prints the token once (pbt_ and 43 base64url characters), its id on stderr" \
	"5|pb-api: token 6 made for the platform: it is shown this once" \
	"$(grep -cE '^[A-Z0-9]+ pbt_[A-Za-z0-9_-]{43}$' "$TMP/tokens")$([[ $TP =~ ^pbt_[A-Za-z0-9_-]{43}$ ]] && echo "|$(cat "$TMP/err")")"
check "the database holds the tokens' SHA-256, never the tokens" \
	"$(printf '%s' "$TA" | sha256sum | cut -d' ' -f1)|0" \
	"$(pb_sql "SELECT sha256 FROM pb.api_token WHERE alias = 'ACME1'")|$(pb_sql "SELECT count(*) FROM pb.api_token t WHERE
	to_jsonb(t)::text LIKE '%pbt_%'")"
check "token list: every token, no secret" "id,kind,alias,created_by,revoked_at
1,account,ACME1,test,
6,platform,,test," "$("$API" token list | cut -d, -f1-3,5,6 | sed -n '1,2p;7p')"
check "token list: a last_used_at column, empty for tokens not used yet" \
	"id,kind,alias,created_at,created_by,revoked_at,revoked_by,last_used_at|0" \
	"$("$API" token list | head -1)|$("$API" token list | tail -n +2 | cut -d, -f8 | grep -c .)"
# The CSV is all token list gives: with standard output closed (a job started with >&-) it went to the
# /dev/null put in its place, exit 0. Refused now, as for token create, before the database is reached: an output
# that cannot be written, exit 3 as in every program.
PB_DATABASE_URL="host=$TMP/no-server dbname=none" "$API" token list >&- 2>"$TMP/err"
check "token list with standard output closed: exit 3 saying so, the database not reached" \
	"3|pb-api: cannot write standard output: Bad file descriptor" "$?|$(cat "$TMP/err")"
"$API" token list >/dev/full 2>"$TMP/err"
check "token list to a full standard output: exit 3, the reason" \
	"3|pb-api: cannot write standard output: No space left on device" "$?|$(cat "$TMP/err")"
# The token is shown this once: when it cannot be written (a full disk), none is stored, and nothing says it was
# made (it was stored, then lost, with "it is shown this once" and exit 3).
ntok=$(pb_sql "SELECT count(*) FROM pb.api_token")
"$API" token create --account ACME1 --by test >/dev/full 2>"$TMP/err"
check "token create to a full standard output: exit 3, the reason, no token stored" \
	"3|pb-api: cannot write standard output: No space left on device: no token stored|$ntok" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.api_token")"
# The token is printed before its COMMIT: a COMMIT that failed (here a deferred check refuses it) said only the
# server's reason and exit 3, though the token shown was not stored and cannot be used. It says so.
pb_sql "CREATE FUNCTION pb.test_no_token() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
	RAISE EXCEPTION 'no token today'; END \$\$;
	CREATE CONSTRAINT TRIGGER test_no_token AFTER INSERT ON pb.api_token DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION pb.test_no_token()" >/dev/null
"$API" token create --account ACME1 --by test >"$TMP/out" 2>"$TMP/err"
check "token create whose COMMIT fails: exit 3, the token shown was not stored" \
	"3|1|pb-api: database: ERROR:  no token today CONTEXT:  PL/pgSQL function test_no_token() line 2 at RAISE: the token shown was not stored: it cannot be used|$ntok" \
	"$?|$(grep -cE '^pbt_[A-Za-z0-9_-]{43}$' "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.api_token")"
pb_sql "DROP TRIGGER test_no_token ON pb.api_token; DROP FUNCTION pb.test_no_token()" >/dev/null
# Its connection lost before the COMMIT (the server process ended while it paused there), the outcome is not known
# to it: the token shown was not stored unless the COMMIT got through, and token list tells.
rm -f "$TMP/resume"
PB_TEST_PAUSE=token-commit PB_TEST_RESUME_FILE=$TMP/resume "$API" token create --account ACME1 --by test \
	>"$TMP/bg.out" 2>"$TMP/bg.err" &
bg=$!
pb_until 60 grep -q "test pause at token-commit" "$TMP/bg.err" || notok "token create pauses at token-commit" "$(cat "$TMP/bg.err")"
TLOST=$(pb_sql "SELECT last_value + 0 FROM pb.api_token_id_seq")
pb_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE state = 'idle in transaction'
	AND query LIKE 'INSERT INTO pb.api_token%'" >/dev/null
touch "$TMP/resume"
wait $bg
check "token create whose connection is lost before the COMMIT: exit 3, the token shown not stored unless it was" \
	"3|1|token $TLOST not stored unless the commit reached the database before the connection was lost: if 'pb-api token list' shows token $TLOST, revoke it|$ntok" \
	"$?|$(grep -cE '^pbt_[A-Za-z0-9_-]{43}$' "$TMP/bg.out")|token $TLOST $(tail -n 1 "$TMP/bg.err" | sed 's/.*the token shown was //')|$(pb_sql "SELECT count(*) FROM pb.api_token")"
# ---- the token commands' arguments ------------------------------------------------------------------------------
# --by names who made or revoked a token in pb.api_token and token list's CSV: printable UTF-8 only, up to 100
# characters, never cut short. An option of the server is a usage error, not ignored; an ID is a whole number.
RULE="a name is 1 to 100 printable UTF-8 characters, without a comma or quotation mark, not beginning or ending with a blank"
"$API" token create --account ACME1 --by test >/dev/null 2>&1
TKID=$(pb_sql "SELECT max(id) FROM pb.api_token")
ntok=$(pb_sql "SELECT count(*) FROM pb.api_token")
# by_refused NAME WHY: token create and token revoke with --by NAME exit 2, saying WHY, and store nothing.
by_refused() {
	local a
	"$API" token create --account ACME1 --by "$1" >"$TMP/out" 2>"$TMP/err"
	a="$?|$(cat "$TMP/out")|$(head -1 "$TMP/err")"
	"$API" token revoke "$TKID" --by "$1" >"$TMP/out" 2>"$TMP/err"
	a="$a|$?|$(head -1 "$TMP/err")"
	check "--by $3: exit 2 (token create and token revoke), nothing stored" \
		"2||pb-api: --by: the name $2 ($RULE)|2|pb-api: --by: the name $2 ($RULE)|$ntok|" \
		"$a|$(pb_sql "SELECT count(*) FROM pb.api_token")|$(pb_sql "SELECT revoked_by FROM pb.api_token WHERE id = $TKID")"
}
by_refused "" "is empty" "''"
by_refused "$(printf 'eve\nroot')" "holds a control character" "with a newline"
by_refused "$(printf 'eve\troot')" "holds a control character" "with a tab"
by_refused "eve,root" "holds a comma or quotation mark" "with a comma"
by_refused 'eve "root"' "holds a comma or quotation mark" "with a quotation mark"
by_refused " eve" "begins or ends with a blank" "with a leading blank"
by_refused "$(printf 'eve\xff')" "is not UTF-8" "not UTF-8"
by_refused "$(printf '%101s' | tr ' ' e)" "is longer than 100 characters" "of 101 characters"
by_refused "$(printf '%100000s' | tr ' ' e)" "is longer than 100 characters" "of 100,000 characters"
name100=$(printf '%100s' | tr ' ' x | sed 's/x/é/g')
"$API" token create --account ACME1 --by "$name100" >"$TMP/out" 2>"$TMP/err"
a="$?|$(pb_sql "SELECT created_by FROM pb.api_token WHERE id = (SELECT max(id) FROM pb.api_token)")"
"$API" token create --account ACME1 --by "Zoë O'Brien (ops)" >"$TMP/out" 2>"$TMP/err"
check "--by of 100 characters (200 bytes of UTF-8), and one with an apostrophe: stored as given" \
	"0|$name100|0|Zoë O'Brien (ops)" \
	"$a|$?|$(pb_sql "SELECT created_by FROM pb.api_token WHERE id = (SELECT max(id) FROM pb.api_token)")"
"$API" token create --account ACME1 --port 9 >"$TMP/out" 2>"$TMP/err"
a="$?|$(cat "$TMP/out")|$(head -1 "$TMP/err")"
"$API" token list --tls-cert "$TMP/x.pem" >"$TMP/out" 2>"$TMP/err"
a="$a|$?|$(cat "$TMP/out")|$(head -1 "$TMP/err")"
"$API" token revoke "$TKID" --allow-insecure-http >"$TMP/out" 2>"$TMP/err"
check "a server option given to a token command: exit 2, named" \
	"2||pb-api: --port is an option of the server, not of 'pb-api token create'|2||pb-api: --tls-cert is an option of the server, not of 'pb-api token list'|2|pb-api: --allow-insecure-http is an option of the server, not of 'pb-api token revoke'" \
	"$a|$?|$(head -1 "$TMP/err")"
PB_API_PORT=9 PB_API_TLS_CERT=$TMP/x.pem "$API" token list >"$TMP/out" 2>"$TMP/err"
check "the server's environment variables do not stop a token command" "0|id,kind" "$?|$(head -1 "$TMP/out" | cut -d, -f1,2)"
for id in -1 0 -0 1x 1.5 "" 99999999999999999999; do
	"$API" token revoke "$id" >"$TMP/out" 2>"$TMP/err"
	check "token revoke '$id': exit 2, the ID must be a positive whole number" \
		"2|pb-api: token revoke takes a token ID, a whole number from 1, not '$id'" "$?|$(head -1 "$TMP/err")"
done

# A token never used, and one only ever sent with its last character changed: neither gets a last use.
TN=$("$API" token create --account DELTA4 --by test 2>/dev/null)
TNID=$(pb_sql "SELECT max(id) FROM pb.api_token")
TW=$("$API" token create --account DELTA4 --by test 2>/dev/null)
TWID=$(pb_sql "SELECT max(id) FROM pb.api_token")
T0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# last_use ID: the token's last use in $TMP/list (token list's output); used ID: "ok" when it is a time
# from T0 to now, else what it is.
last_use() { awk -F, -v id="$1" '$1 == id {print $8}' "$TMP/list"; }
used() {
	local t
	t=$(last_use "$1")
	if [[ $t =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ && ! $t < $T0 && ! $t > $(date -u +%Y-%m-%dT%H:%M:%SZ) ]]; then
		echo ok
	else
		echo "'$t'"
	fi
}

# ---- the server -----------------------------------------------------------------------------------------------
# start_api LOG ARGS...: starts pb-api on 127.0.0.1 and a free port with ARGS; URL is its base URL.
start_api() {
	local log=$1 i
	shift
	"$API" --listen 127.0.0.1 --port 0 "$@" >"$log" 2>&1 &
	API_PID=$!
	URL=
	# 120 s at most: a sanitized build on a loaded machine.
	pb_until 120 api_listening "$log"
	[ -n "$URL" ] && return 0
	notok "pb-api starts ($*)" "$(cat "$log")"
	return 1
}
# api_listening LOG: whether the server has said where it listens (URL), or has ended (it never will).
api_listening() {
	URL=$(sed -n 's|.*listening on \(https\{0,1\}://127\.0\.0\.1:[0-9]*\).*|\1|p' "$1")
	[ -n "$URL" ] || ! kill -0 "$API_PID" 2>/dev/null
}
# req_is CODE TOKEN PATH [CURL ARGS...]: req, and whether it answered CODE. until_code CODE TOKEN PATH [CURL
# ARGS...]: req until it answers CODE (120 s at most: the database starting on a loaded machine); CODE is the
# last answer's.
req_is() {
	local want=$1
	shift
	req "$@"
	[ "$CODE" == "$want" ]
}
until_code() { pb_until 120 req_is "$@"; }
# in_use N: until N of the pool's connections are in use (120 s at most), as /metrics says: a request sent in the
# background has reached the database then (once it has, not after a fixed half second).
in_use() { pb_until 120 pool_in_use "$1" || notok "$1 of the pool's connections in use" "$(curl -s "$URL/metrics" | grep pool)"; }
pool_in_use() { [ "$(curl -s "$URL/metrics" | sed -n 's/^pb_api_pool_connections{state="in_use"} //p')" == "$1" ]; }
# stop_api: SIGTERM, and the exit status in STOPPED.
stop_api() {
	kill -TERM "$API_PID"
	wait "$API_PID"
	STOPPED=$?
	API_PID=
}
# req TOKEN PATH [CURL ARGS...]: GET URL/PATH; CODE, and the body in $TMP/body ($TMP/headers). Each response is
# kept for the validation against the OpenAPI document at the end.
NREQ=0
req() {
	local tok=$1 path=$2 auth=()
	shift 2
	[ -n "$tok" ] && auth=(-H "Authorization: Bearer $tok")
	NREQ=$((NREQ + 1))
	: >"$TMP/r/$NREQ.b"
	CODE=$(curl -s "${auth[@]}" -D "$TMP/r/$NREQ.h" -o "$TMP/r/$NREQ.b" -w '%{http_code}' "$@" "$URL$path")
	cp "$TMP/r/$NREQ.b" "$TMP/body"
	cp "$TMP/r/$NREQ.h" "$TMP/headers"
	local method=GET arg prev=
	for arg in "$@"; do
		[ "$arg" == -I ] && method=HEAD
		[ "$prev" == -X ] && method=$arg
		prev=$arg
	done
	printf '%s\t%s\t%s\t%s\n' "$method" "$URL$path" "$TMP/r/$NREQ.h" "$TMP/r/$NREQ.b" >>"$TMP/manifest"
}
# raw REQUEST_LINE [HEADER...]: the request on a raw socket, exactly as given (api_check.py raw: no Host
# unless given); CODE, $TMP/body and $TMP/headers as req leaves them, the answer kept for the validation.
raw() {
	local target=${1#* }
	NREQ=$((NREQ + 1))
	: >"$TMP/r/$NREQ.b"
	: >"$TMP/r/$NREQ.h"
	CODE=$(python3 "$CHECK" raw "$URL" "$TMP/r/$NREQ.h" "$TMP/r/$NREQ.b" "$@")
	cp "$TMP/r/$NREQ.b" "$TMP/body"
	cp "$TMP/r/$NREQ.h" "$TMP/headers"
	if [ "$CODE" != 000 ]; then
		printf '%s\t%s\t%s\t%s\n' "${1%% *}" "$URL${target% *}" "$TMP/r/$NREQ.h" "$TMP/r/$NREQ.b" >>"$TMP/manifest"
	fi
}
header() { sed -n "s/^$1: \(.*\)\r$/\1/Ip" "$TMP/headers"; }
json() { python3 "$CHECK" get "$TMP/body" "$1"; }

PB_API_LAST_USE_SECONDS=1 start_api "$TMP/api.log" || exit 1
pb_until 120 grep -q "listening for the database's notifications" "$TMP/api.log" ||
	notok "pb-api listens for the database's notifications" "$(cat "$TMP/api.log")"
req "" /healthz
check "GET /healthz" '200|{"status":"ok"}' "$CODE|$(cat "$TMP/body")"

# ACME1's AWS: usage 10 + 5 (no list price: billed) + 4 + 100, a purchase of 20, a credit of -4 (tax excluded).
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
F='"method":"final","complete_through":"2026-10-31","final":true'
check "GET /v1/accounts/ACME1/partner-usage: total and per vendor, exact amounts, run, ETag, Cache-Control" \
	"200|\"pb-run-$RUN\"|private, no-cache|{\"alias\":\"ACME1\",\"month\":\"2026-10\",\"run\":{\"id\":$RUN,\"as_of\":\"2026-10-31\",\"finished_at\":\"$FINISHED\"},\"total\":{\"currency\":\"USD\",\"month_to_date\":\"141\",\"markup\":\"0\",\"estimate\":\"141.00\",\"interval_80\":{\"low\":\"141.00\",\"high\":\"141.00\"},\"interval_90\":{\"low\":\"141.00\",\"high\":\"141.00\"},$F},\"vendors\":[{\"vendor\":\"aws\",\"currency\":\"USD\",\"month_to_date\":\"135\",\"markup\":\"0\",\"estimate\":\"135.00\",\"interval_80\":{\"low\":\"135.00\",\"high\":\"135.00\"},\"interval_90\":{\"low\":\"135.00\",\"high\":\"135.00\"},$F},{\"vendor\":\"azure\",\"currency\":\"USD\",\"month_to_date\":\"6\",\"markup\":\"0\",\"estimate\":\"6.00\",\"interval_80\":{\"low\":\"6.00\",\"high\":\"6.00\"},\"interval_90\":{\"low\":\"6.00\",\"high\":\"6.00\"},$F}]}" \
	"$CODE|$(header ETag)|$(header Cache-Control)|$(cat "$TMP/body")"
ETAG=$(header ETag)
req "$(awk '$1 == "EURO1" {print $2}' "$TMP/tokens")" "/v1/accounts/EURO1/partner-usage?month=2026-10"
check "an account invoiced in EUR: converted month to date, its markup in its own field" "200|EUR|45|4.5|45.00" \
	"$CODE|$(json total.currency)|$(json total.month_to_date)|$(json total.markup)|$(json total.estimate)"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-11"
check "amounts beyond a double's precision pass exactly, as strings; intervals and complete-through as stored" \
	"200|12345678901234.123456789012345678|0.000000000000000001|98765432109876.54|1.01|2.02|0.99|3.03|trend|2026-11-09|false|$NOV" \
	"$CODE|$(json total.month_to_date)|$(json total.markup)|$(json total.estimate)|$(json total.interval_80.low)|$(json total.interval_80.high)|$(json total.interval_90.low)|$(json total.interval_90.high)|$(json total.method)|$(json total.complete_through)|$(json total.final)|$(json run.id)"
req "$TA" "/v1/accounts/ACME1/partner-usage/daily?month=2026-10"
check "GET .../partner-usage/daily: each vendor's days as the run holds them" \
	"$(pb_sql "SELECT vendor, usage_date, trim_scale(usage), trim_scale(one_off) FROM pb.aggregate_daily WHERE run_id = $RUN
	AND alias = 'ACME1' ORDER BY 1, 2")" \
	"$(python3 -c 'import json, sys
for v in json.load(open(sys.argv[1]))["vendors"]:
    for d in v["days"]:
        print(v["vendor"], d["date"], d["usage"], d["one_off"], sep=",")' "$TMP/body")"
check "the daily answer's ETag and currency" "200|$ETAG|USD" "$CODE|$(header ETag)|$(json vendors.0.currency)"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -I
check "HEAD: the headers, no body" "200|$ETAG|0" "$CODE|$(header ETag)|$(grep -c '^{' "$TMP/body")"

# ---- conditional requests ---------------------------------------------------------------------------------------
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "If-None-Match: $ETAG"
check "If-None-Match with the current ETag: 304, no body" "304|$ETAG|0" "$CODE|$(header ETag)|$(wc -c <"$TMP/body" | tr -d ' ')"
req "$TA" "/v1/accounts/ACME1/partner-usage/daily?month=2026-10" -H "If-None-Match: \"x\", W/$ETAG"
check "If-None-Match with a list and a weak tag: 304" "304" "$CODE"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H 'If-None-Match: "pb-run-999999"'
check "If-None-Match with another run's ETag: 200" "200" "$CODE"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H 'If-None-Match: *'
check "If-None-Match: * alone: 304" "304" "$CODE"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H 'If-None-Match: "x", *'
check "If-None-Match with * in a list (not valid): ignored, 200" "200" "$CODE"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "If-None-Match: \"x, $ETAG y\""
check "If-None-Match whose quoted tag holds the ETag after a comma: 200" "200" "$CODE"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "If-None-Match: ${ETAG#\"}"
check "If-None-Match with the ETag missing its opening quote: 200" "200" "$CODE"
# A field given on two lines is one list (RFC 9110, 5.3): only the first line was read, so the ETag on the
# second was not seen (200, the whole answer again; for If-Match a 412 refusing the run the client holds).
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H 'If-None-Match: "x"' -H "If-None-Match: $ETAG"
a=$CODE
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H 'If-Match: "x"' -H "If-Match: $ETAG"
a="$a|$CODE"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H 'If-None-Match: *' -H 'If-None-Match: "x"'
check "If-None-Match or If-Match on two lines is one list: 304, 200; a * then another line is no longer alone: 200" \
	"304|200|200" "$a|$CODE"
# If-Match (RFC 9110, 13.1.1): a client that read one run's figures and asks for more of the same run (the
# daily series after the totals, say) is refused 412 when another run is current, rather than given the
# other run's figures as if they were the same; tags are compared strongly, and If-Match comes before
# If-None-Match. An answer that would be 404 ignores the conditions.
PRECOND='412|{"code":"precondition_failed","message":"If-Match does not name the answer'"'"'s ETag: its figures are another aggregate run'"'"'s"}|no-store'
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "If-Match: $ETAG"
a="$CODE|$(json total.month_to_date)"
req "$TA" "/v1/accounts/ACME1/partner-usage/daily?month=2026-10" -H 'If-Match: "x", *'
a="$a|$CODE"
req "$TA" "/v1/accounts/ACME1/partner-usage/daily?month=2026-10" -H "If-Match: \"x\", $ETAG"
a="$a|$CODE|$(json vendors.0.currency)"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H 'If-Match: *'
check "If-Match with the current ETag (alone, or in a list), or *: 200 with the figures; a * in a list names nothing: 412" \
	"200|141|412|200|USD|200" "$a|$CODE"
req "$TA" "/v1/accounts/ACME1/partner-usage/daily?month=2026-10" -H 'If-Match: "pb-run-999999"'
check "If-Match with another run's ETag: 412 precondition_failed, not that run's figures" "$PRECOND" \
	"$CODE|$(cat "$TMP/body")|$(header Cache-Control)"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "If-Match: W/$ETAG"
a="$CODE|$(json code)"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H 'If-Match: "pb-run-999999"' -H "If-None-Match: $ETAG"
a="$a|$CODE|$(json code)"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "If-Match: $ETAG" -H "If-None-Match: $ETAG"
a="$a|$CODE"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H 'If-Match: "pb-run-999999"' -I
a="$a|$CODE|$(grep -c '^{' "$TMP/body")"
req "$TP" "/v1/partner-usage?month=2026-10&limit=1" -H 'If-Match: "pb-run-999999"'
a="$a|$CODE|$(json code)"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2025-01" -H 'If-Match: "pb-run-999999"'
a="$a|$CODE|$(json code)"
req "$TA" "/v1/accounts/BETA2/partner-usage?month=2026-10" -H 'If-Match: "pb-run-999999"'
check "If-Match: a weak tag matches nothing (412); it comes before If-None-Match (412, else 304); HEAD and the listing alike; a month without figures or another account's alias: 404 as without it" \
	"412|precondition_failed|412|precondition_failed|304|412|0|412|precondition_failed|404|not_found|404|{\"code\":\"not_found\",\"message\":\"not found\"}" \
	"$a|$CODE|$(cat "$TMP/body")"
python3 "$CHECK" not-modified "$URL" "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" >"$TMP/304" 2>&1
check "a 304's exact headers on a raw socket: the 200's ETag, Vary and Cache-Control, Content-Length the 200's length (never 0), no body" \
	"HTTP/1.1 304 Not Modified
Cache-Control: private, no-cache
Content-Length: =200
Date: *
ETag: $ETAG
Vary: Authorization
next: HTTP/1.1 200 OK" "$(cat "$TMP/304")"

# ---- every account's, for platform tokens ----------------------------------------------------------------------
req "$TP" "/v1/partner-usage?month=2026-10&limit=2"
check "GET /v1/partner-usage: a page of 2 and a cursor" "200|ACME1 BETA2|$RUN.BETA2|$ETAG" \
	"$CODE|$(json accounts.0.alias) $(json accounts.1.alias)|$(json next_cursor)|$(header ETag)"
CURSOR=$(json next_cursor)
req "$TP" "/v1/partner-usage?month=2026-10&limit=2&cursor=$CURSOR"
check "the next page: the rest, and no cursor" "200|EURO1|null|45" \
	"$CODE|$(json accounts.0.alias)|$(json next_cursor)|$(json accounts.0.total.month_to_date)"
req "$TP" "/v1/partner-usage?month=2026-10"
check "the default page holds every account of the run, in alias order" \
	"$(pb_sql "SELECT string_agg(alias, ' ' ORDER BY alias) FROM pb.aggregate_account WHERE run_id = $RUN AND vendor = 'all'")" \
	"$(python3 -c 'import json, sys; print(" ".join(a["alias"] for a in json.load(open(sys.argv[1]))["accounts"]))' "$TMP/body")"
req "$TP" "/v1/accounts/BETA2/partner-usage?month=2026-10"
check "a platform token reads any account" "200|9" "$CODE|$(json total.month_to_date)"
for bad in "cursor=x" "cursor=$NOV.ACME1" "cursor=$RUN.acme1" "cursor=0.ACME1" "cursor=99999.ACME1"; do
	req "$TP" "/v1/partner-usage?month=2026-10&$bad"
	check "a bad cursor ($bad): 400 bad_cursor" "400|bad_cursor" "$CODE|$(json code)"
done
for bad in 0 1001 x -1 ""; do
	req "$TP" "/v1/partner-usage?month=2026-10&limit=$bad"
	check "a bad limit ($bad): 400 bad_limit" "400|bad_limit" "$CODE|$(json code)"
done
req "$TA" "/v1/partner-usage?month=2026-10"
check "an account token on the all-accounts endpoint: 403" \
	'403|{"code":"forbidden","message":"this endpoint is for platform tokens"}' "$CODE|$(cat "$TMP/body")"

# ---- errors ----------------------------------------------------------------------------------------------------
for m in 2026-13 2026-00 2026-1 2026-10-01 abcd-ef "" 2026-10x; do
	req "$TA" "/v1/accounts/ACME1/partner-usage?month=$m"
	check "a malformed month ('$m'): 400 bad_month" \
		'400|{"code":"bad_month","message":"month must be given as YYYY-MM"}' "$CODE|$(cat "$TMP/body")"
done
req "$TA" "/v1/accounts/ACME1/partner-usage"
check "no month: 400 bad_month" "400|bad_month" "$CODE|$(json code)"
req "$TB" "/v1/accounts/ACME1/partner-usage?month=2026-1x"
check "another account's alias with a malformed month: the same 400 as one's own" "400|bad_month" "$CODE|$(json code)"
UNAUTH='401|{"code":"unauthorized","message":"a valid bearer token is required"}|Bearer realm="partnerbill"'
req "" "/v1/accounts/ACME1/partner-usage?month=2026-10"
check "no Authorization header: 401 with WWW-Authenticate" "$UNAUTH" "$CODE|$(cat "$TMP/body")|$(header WWW-Authenticate)"
req "" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "Authorization: Basic $(printf 'a:b' | base64)"
check "another scheme (Basic): 401" "$UNAUTH" "$CODE|$(cat "$TMP/body")|$(header WWW-Authenticate)"
req "pbt_${TA:5}x" "/v1/accounts/ACME1/partner-usage?month=2026-10"
check "a malformed token: 401" "$UNAUTH" "$CODE|$(cat "$TMP/body")|$(header WWW-Authenticate)"
req "pbt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "/v1/partner-usage?month=2026-10"
check "a well-formed token that does not exist: 401" "$UNAUTH" "$CODE|$(cat "$TMP/body")|$(header WWW-Authenticate)"
req "" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "Authorization: bearer   $TA  "
check "the scheme in any case, blanks around the token: accepted" "200" "$CODE"
NOTFOUND='404|{"code":"not_found","message":"not found"}'
for path in /v1/accounts/BETA2/partner-usage /v1/accounts/NOPE9/partner-usage /v1/accounts/acme1/partner-usage \
	/v1/accounts/ACME1X7/partner-usage /v1/accounts/BETA2/partner-usage/daily /v1/accounts/NOPE9/partner-usage/daily; do
	req "$TA" "$path?month=2026-10"
	check "$path with ACME1's token: 404, the same body" "$NOTFOUND" "$CODE|$(cat "$TMP/body")"
done
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2025-01"
check "a month without an aggregate run: 404" "$NOTFOUND" "$CODE|$(cat "$TMP/body")"
req "$(awk '$1 == "GAMMA3" {print $2}' "$TMP/tokens")" "/v1/accounts/GAMMA3/partner-usage?month=2026-10"
check "an account without figures in the run: 404" "$NOTFOUND" "$CODE|$(cat "$TMP/body")"
req "$TA" "/v1/accounts/ACME1/usage?month=2026-10"
check "an unknown path: 404" "$NOTFOUND" "$CODE|$(cat "$TMP/body")"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -X POST -d x
check "POST: 405 with Allow" '405|method_not_allowed|GET, HEAD' "$CODE|$(json code)|$(header Allow)"
# RFC 9110 9.1 and 15.6.2: a method the server does not know is 501; one it knows but does not serve, 405.
for m in DELETE PATCH OPTIONS; do
	req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -X $m
	check "$m: 405 with Allow" '405|method_not_allowed|GET, HEAD' "$CODE|$(json code)|$(header Allow)"
done
for m in FOO PROPFIND get; do
	req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -X $m
	check "$m: 501, not 405" '501|not_implemented|the method is not one this server knows: only GET and HEAD are served' \
		"$CODE|$(json code)|$(json message)"
done

# ---- months served ------------------------------------------------------------------------------------------------
# From 2000-01 to next month (UTC): a month outside is refused before the database is asked, and a month
# without a run is remembered apart from the runs, so that asking for many never pushes real runs out.
NEXT=$(date -u -d "$(date -u +%Y-%m-15) +1 month" +%Y-%m)
AFTER=$(date -u -d "$(date -u +%Y-%m-15) +2 month" +%Y-%m)
for m in 0000-10 1000-01 1899-12 1999-12 "$AFTER" 9999-12; do
	req "$TA" "/v1/accounts/ACME1/partner-usage?month=$m"
	check "a month out of range ($m): 400 bad_month" \
		'400|{"code":"bad_month","message":"month must be from 2000-01 to next month"}' "$CODE|$(cat "$TMP/body")"
done
req "$TP" "/v1/partner-usage?month=1999-12"
check "a month out of range on the listing: 400 bad_month" "400|bad_month" "$CODE|$(json code)"
for m in 2000-01 "$NEXT"; do
	req "$TA" "/v1/accounts/ACME1/partner-usage?month=$m"
	check "the first and the last month served ($m), without a run: 404" "$NOTFOUND" "$CODE|$(cat "$TMP/body")"
done
# cache_metric NAME CACHE: the cache's pb_api_cache_NAME value in /metrics.
cache_metric() { curl -s "$URL/metrics" | sed -n "s/^pb_api_cache_$1{cache=\"$2\"} //p"; }
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$CODE|$(cache_metric entries runs)|$(cache_metric clears_total runs)"
codes=
for m in 2024-01 2024-02 2024-03 2024-04 2024-05 2024-06; do
	req "$TA" "/v1/accounts/ACME1/partner-usage?month=$m"
	codes="$codes $CODE"
done
for id in 900001 900002 900003; do
	req "$TP" "/v1/partner-usage?month=2026-10&cursor=$id.ACME1"
	codes="$codes $CODE"
done
h0=$(cache_metric hits_total no_runs)
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2024-01"
check "months and run ids without a run (404, 400) are kept apart: the runs cache holds what it held, and a month asked again is answered from memory" \
	"$a| 404 404 404 404 404 404 400 400 400|404|$((h0 + 1))" \
	"200|$(cache_metric entries runs)|$(cache_metric clears_total runs)|$codes|$CODE|$(cache_metric hits_total no_runs)"

# ---- HTTP taken strictly ----------------------------------------------------------------------------------------------
# What a lenient parser would guess at is refused: a second Authorization or Host header, a query parameter
# it does not know (names are case-sensitive) or given twice, an encoded NUL, HTTP/1.1 without Host.
BADREQ='400|{"code":"bad_request","message":'
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "Authorization: Bearer pbt_nope"
a="$CODE|$(cat "$TMP/body")"
req "pbt_nope" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "Authorization: Bearer $TA" --interface 127.0.0.4
check "two Authorization headers, the good one first or second: 400 bad_request" \
	"$BADREQ\"a request may have one Authorization header at most\"}|$BADREQ\"a request may have one Authorization header at most\"}" \
	"$a|$CODE|$(cat "$TMP/body")"
UNKNOWN='400|{"code":"bad_parameter","message":"unknown query parameter (names are case-sensitive; see the API'"'"'s documentation)"}'
TWICE='400|{"code":"bad_parameter","message":"a query parameter is given twice"}'
for q in MONTH=2026-11 Month=2026-10 "month=2026-10&foo=1" "month=2026-10&limit=1" "month=2026-10&x" "month=2026-10&Month=2026-10"; do
	req "$TA" "/v1/accounts/ACME1/partner-usage?$q"
	check "an unknown query parameter ($q): 400 bad_parameter" "$UNKNOWN" "$CODE|$(cat "$TMP/body")"
done
for q in "month=2026-10&LIMIT=1" "month=2026-10&Cursor=$CURSOR"; do
	req "$TP" "/v1/partner-usage?$q"
	check "an unknown query parameter on the listing ($q): 400 bad_parameter" "$UNKNOWN" "$CODE|$(cat "$TMP/body")"
done
req "$TA" "/v1/accounts/ACME1/partner-usage/daily?month=2026-10&month=2026-11"
a="$CODE|$(cat "$TMP/body")"
req "$TP" "/v1/partner-usage?month=2026-10&limit=1&limit=2"
check "a query parameter given twice: 400 bad_parameter" "$TWICE|$TWICE" "$a|$CODE|$(cat "$TMP/body")"
req "$TA" "/v1/accounts/ACME1/partner-usage?&month=2026-10&&"
check "empty pieces of a query string are nothing: 200" "200|141" "$CODE|$(json total.month_to_date)"
NUL="$BADREQ\"the request target holds an encoded NUL (%00)\"}"
for path in "/v1/accounts/ACME1/partner-usage?month=2026-10%00x" "/v1/accounts/ACME1/partner-usage?month=2026-10%00" \
	"/v1/accounts/ACME1/partner-usage%00x?month=2026-10" "/healthz%00"; do
	req "$TA" "$path"
	check "an encoded NUL ($path): 400 bad_request" "$NUL" "$CODE|$(cat "$TMP/body")"
done
HOST="$BADREQ\"a request needs exactly one Host header (HTTP/1.0: at most one)\"}"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "Host:"
a="$CODE|$(cat "$TMP/body")"
raw "GET /healthz HTTP/1.1" "Connection: close"
a="$a|$CODE|$(cat "$TMP/body")"
raw "GET /healthz HTTP/1.1" "Host: 127.0.0.1" "Host: 127.0.0.2" "Connection: close"
a="$a|$CODE|$(cat "$TMP/body")"
raw "GET /healthz HTTP/1.0" "Host: 127.0.0.1" "Host: 127.0.0.2"
a="$a|$CODE|$(cat "$TMP/body")"
# libmicrohttpd takes HTTP/1.2 to 1.9 as 1.1: so does pb-api.
raw "GET /healthz HTTP/1.2" "Connection: close"
check "HTTP/1.1 (or 1.2) without Host, or two Host headers: 400 bad_request" "$HOST|$HOST|$HOST|$HOST|$HOST" "$a|$CODE|$(cat "$TMP/body")"
raw "GET /healthz HTTP/1.0"
check "HTTP/1.0 without Host: answered" '200|{"status":"ok"}' "$CODE|$(cat "$TMP/body")"
# A Host header whose value is not a host and an optional port (RFC 9112, 3.2, has a server refuse it with
# 400): a blank in it, a path, user information, a port that is not a number, a byte past ASCII, a quote, an
# IPv6 address without its closing bracket, two ports. An empty one (what a client sends for a target without
# a host), a name, IPv4 and IPv6 addresses, each with a port or without, and a percent-encoded byte are taken.
raw "GET /healthz HTTP/1.1" "Host: evil example" "Connection: close"
a="$CODE|$(cat "$TMP/body")"
# (framing: each request on a connection of its own, then another, answered on the same connection.)
args=()
for h in "127.0.0.1/v1" "user@127.0.0.1" "127.0.0.1:80x" "billing.ex$(printf '\xc3\xa9')mple" '"x"' "[::1" "127.0.0.1:8080:1" \
	"" "billing.example" "billing.example:8443" "127.0.0.1:8080" "[::1]" "[::1]:8080" "xn--bcher-kva.%41.example:"; do
	args+=(-- '' "GET /healthz HTTP/1.1" "Host: $h")
done
check "a Host header that is not a host and an optional port (a blank, a path, user information, a port not a number, a byte past ASCII, a quote, an unclosed bracket, two ports): 400 bad_request; an empty one, a name, IPv4 and IPv6 addresses with a port or without, a percent-encoded byte: answered" \
	"$BADREQ\"the Host header is not a host and an optional port (RFC 9112, section 3.2)\"}|$(printf '400 200|bad_request %.0s' 1 2 3 4 5 6 7)$(printf '200 200| %.0s' 1 2 3 4 5 6)200 200|" \
	"$a|$(python3 "$CHECK" framing "$URL" "${args[@]:1}")"
# The absolute form of a request target (RFC 9112, 3.2.2: a server must take it): the same answers.
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" --request-target "http://127.0.0.1/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$CODE|$(json total.month_to_date)"
req "$TA" "/v1/accounts/BETA2/partner-usage?month=2026-10" --request-target "HTTPS://billing.example:8443/v1/accounts/BETA2/partner-usage?month=2026-10"
a="$a|$CODE|$(cat "$TMP/body")"
req "" "/healthz" --request-target "http://127.0.0.1/healthz"
check "a request target in absolute form (http://HOST/PATH): answered as its path is (another account's: the same 404)" \
	"200|141|$NOTFOUND|200" "$a|$CODE"
# A body whose length is given two ways (or a way HTTP/1.0 does not have) is framed one way by a proxy in
# front and maybe another here: what one takes for the body the other takes for the next request (request
# smuggling). Refused, and the connection closed (RFC 9112, 6.1 and 6.3): the request after it on the
# connection gets no answer. framing BODY REQUEST_LINE HEADER... [-- BODY REQUEST_LINE HEADER...]...: for each
# request, on a connection of its own, the statuses on the connection, and the first answer's code.
framing() { python3 "$CHECK" framing "$URL" "$@"; }
P="/v1/accounts/ACME1/partner-usage?month=2026-10"
H=("Host: 127.0.0.1" "Authorization: Bearer $TA")
a="$(framing '0\r\n\r\n' "GET $P HTTP/1.1" "${H[@]}" "Content-Length: 5" "Transfer-Encoding: chunked" \
	-- '0\r\n\r\n' "GET $P HTTP/1.1" "${H[@]}" "Transfer-Encoding: chunked" "Content-Length: 0" \
	-- 'abcde' "GET $P HTTP/1.1" "${H[@]}" "Content-Length: 3" "Content-Length: 5" \
	-- 'abc' "GET $P HTTP/1.1" "${H[@]}" "Content-Length: 3" "Content-Length: 3" \
	-- '0\r\n\r\n' "GET $P HTTP/1.1" "${H[@]}" "Transfer-Encoding: gzip, chunked" \
	-- '0\r\n\r\n' "GET $P HTTP/1.1" "${H[@]}" "Transfer-Encoding: chunked" "Transfer-Encoding: chunked" \
	-- '0\r\n\r\n' "GET $P HTTP/1.0" "${H[@]}" "Transfer-Encoding: chunked" "Connection: keep-alive")"
check "a body's length given two ways (Content-Length and Transfer-Encoding, two Content-Lengths, two Transfer-Encodings), a coding other than chunked, chunked in HTTP/1.0: 400 bad_request, the connection closed" \
	"400|bad_request 400|bad_request 400|bad_request 400|bad_request 400|bad_request 400|bad_request 400|bad_request" "$a"
# A blank between a field's name and its colon (RFC 9112, 5.1: refused): a proxy in front may take
# "Transfer-Encoding : chunked" for the body's coding, libmicrohttpd takes it for another field.
a="$(framing '0\r\n\r\n' "GET $P HTTP/1.1" "${H[@]}" "Transfer-Encoding : chunked" \
	-- 'abc' "GET $P HTTP/1.1" "${H[@]}" "Content-Length	: 3" \
	-- '' "GET $P HTTP/1.1" "${H[@]}" "X-Pad : 1")"
check "a blank between a header field's name and its colon (Transfer-Encoding, Content-Length, any): 400 bad_request, the connection closed" \
	"400|bad_request 400|bad_request 400|bad_request" "$a"
# A field's name is a token (RFC 9110, 5.1): one empty (": v") as the first field, or with a byte that is no
# token's ("X(Y)", UTF-8), was answered 200. A proxy in front may read them otherwise: refused, saying why,
# the connection closed. (After another field libmicrohttpd drops an empty-named one, and the gap it leaves is
# refused as a folded line was already.)
a="$(framing '' "GET $P HTTP/1.1" ": v" "${H[@]}" \
	-- '' "GET $P HTTP/1.1" "${H[@]}" ": v" \
	-- '' "GET $P HTTP/1.1" "${H[@]}" ":" \
	-- '' "GET $P HTTP/1.1" "${H[@]}" "X(Y): 1" \
	-- '' "GET $P HTTP/1.1" "${H[@]}" 'X-\xc3\x84: 1')"
check "a header field's name that is empty or not a token (first or after another): 400 bad_request, the connection closed" \
	"400|bad_request 400|bad_request 400|bad_request 400|bad_request 400|bad_request" "$a"
raw "GET /healthz HTTP/1.1" ": v" "Host: 127.0.0.1"
read -r a <<'JSON'
400|{"code":"bad_request","message":"a header field's name is a token: one character at least, each a letter, a digit or one of !#$%&'*+-.^_`|~ (RFC 9110, section 5.1)"}
JSON
check "an empty header field name: 400, the message says so" "$a" "$CODE|$(cat "$TMP/body")"
# What libmicrohttpd measures with strlen is cut at a NUL, and it pastes a folded line onto its field's name:
# a NUL after a good token, in the target or the method, a field folded into "Authorization", a lone CR or a
# blank in the target. A proxy in front sees another request: refused, never authenticated, the connection
# closed; bare LFs as line ends are taken.
a="$(framing '' "GET $P HTTP/1.1" "Authorization: Bearer $TA\\x00junk" "Host: 127.0.0.1" \
	-- '' "GET $P HTTP/1.1" "Host: 127.0.0.1" "Authorization: Bearer $TA\\x00" \
	-- '' "GET $P HTTP/1.1" "Host: 127.0.0.1" "Author: Bearer $TA" " ization" \
	-- '' "GET $P\\x00x HTTP/1.1" "${H[@]}" \
	-- '' "GET\\x00x $P HTTP/1.1" "${H[@]}" \
	-- 'abc' "GET $P HTTP/1.1" "${H[@]}" 'X-Pad: 1\rContent-Length: 3' \
	-- '' "GET /healthz HTTP/1.1 HTTP/1.1" "Host: 127.0.0.1" \
	-- '' "GET $P HTTP/1.1\\nHost: 127.0.0.1\\nAuthorization: Bearer $TA\\n")"
check "a NUL or control character in the request line or a header field (after a good token, too), a folded field, a blank in the target: 400 bad_request, the connection closed; bare LFs: answered" \
	"400|bad_request 400|bad_request 400|bad_request 400|bad_request 400|bad_request 400|bad_request 400|bad_request 200 200|" "$a"
# A Content-Length that is not a whole number (libmicrohttpd's own answer was an HTML page, its head sent
# twice): 400 in JSON, the connection closed (RFC 9112, 6.3). A body it does frame is not read: the
# request is answered and the connection closed, lest the body be read as the next request.
a="$(framing 'abc' "GET $P HTTP/1.1" "${H[@]}" "Content-Length: 12abc" \
	-- 'abc' "GET $P HTTP/1.1" "${H[@]}" "Content-Length: -1" \
	-- 'abc' "GET $P HTTP/1.1" "${H[@]}" "Content-Length: 3, 3" \
	-- '' "GET $P HTTP/1.1" "${H[@]}" "Content-Length:" \
	-- 'abc' "GET $P HTTP/1.1" "${H[@]}" "Content-Length: 18446744073709551616" \
	-- 'abc' "GET $P HTTP/1.1" "${H[@]}" "Content-Length: 99999999999999999999999")"
check "a Content-Length that is not a whole number (letters, negative, two values, empty, past 64 bits): 400 bad_request in JSON, the connection closed" \
	"400|bad_request 400|bad_request 400|bad_request 400|bad_request 400|bad_request 400|bad_request" "$a"
raw "GET /healthz HTTP/1.1" "Host: 127.0.0.1" "Content-Length: 12abc"
check "a Content-Length that is not a whole number: the answer's head sent once, a JSON body, Connection: close" \
	'400|close|{"code":"bad_request","message":"a Content-Length is a whole number of bytes (RFC 9110, section 8.6)"}' \
	"$CODE|$(header Connection)|$(cat "$TMP/body")"
# Nor is a chunked body read (libmicrohttpd answered a malformed one itself, with an HTML page).
a="$(framing 'abc' "GET $P HTTP/1.1" "${H[@]}" "Content-Length: 3" \
	-- '' "GET $P HTTP/1.1" "${H[@]}" "Content-Length: 0" \
	-- '3\r\nabc\r\n0\r\n\r\n' "GET $P HTTP/1.1" "${H[@]}" "Transfer-Encoding: Chunked" \
	-- 'zz\r\nabc\r\n0\r\n\r\n' "GET $P HTTP/1.1" "${H[@]}" "Transfer-Encoding: chunked" \
	-- 'fffffffffffffffffffff\r\nabc\r\n' "GET $P HTTP/1.1" "${H[@]}" "Transfer-Encoding: chunked" \
	-- '3\r\nabc\r\n0\r\n\r\n' "GET $P HTTP/1.1" "${H[@]}" "Transfer-Encoding: chunked" "Expect: 100-continue")"
check "a body (framed by its Content-Length, chunked, malformed, with Expect: 100-continue): answered in JSON, not read, the connection closed; Content-Length 0: the connection kept" \
	"200| 200 200| 200| 200| 200| 200|" "$a"

# ---- request sizes ------------------------------------------------------------------------------------------------------
# The request target and the header fields may take 32768 bytes each (a header field counted as its line:
# "Name: value" and CRLF), with some 2,000 query parameters and header fields together: answered. Past that,
# 414 or 431, in JSON.
pad() { printf "%$1s" "" | tr ' ' x; }
q=$(for i in $(seq 500); do printf '&p%d=%d' "$i" "$i"; done)
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10$q"
check "a request of 500 query parameters (3.4 KB) is answered: 400 bad_parameter" "$UNKNOWN" "$CODE|$(cat "$TMP/body")"
q=$(for i in $(seq 1995); do printf '&p%04d=%06d' "$i" "$i"; done)
t="/healthz?${q:1}"
t="$t&pad=$(pad $((32768 - ${#t} - 5)))"
req "" "$t"
a="$CODE|$(cat "$TMP/body")|${#t}"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10$q"
check "a request target of 32768 bytes and 1996 query parameters is answered (/healthz: 200; /v1: 400 bad_parameter)" \
	"200|{\"status\":\"ok\"}|32768|$UNKNOWN" "$a|$CODE|$(cat "$TMP/body")"
# More query parameters than 2,000 (16,000 of one letter here, in 32 KB): libmicrohttpd would split each into
# a record of the connection's memory and close the connection without an answer. A /v1 endpoint answers 400
# naming the limit, before the token is looked at; /healthz ignores them, as it ignores any.
q=$(printf 'a&%.0s' $(seq 16000))
req "" "/healthz?${q%&}"
a="$CODE|$(cat "$TMP/body")"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10&${q%&}"
check "a request of 16,000 query parameters in 32 KB: /v1 400 bad_parameter naming the limit, /healthz 200" \
	'200|{"status":"ok"}|400|{"code":"bad_parameter","message":"a request may give 2000 query parameters at most"}' \
	"$a|$CODE|$(cat "$TMP/body")"
req "" "${t}x"
check "a request target of 32769 bytes: 414 uri_too_long" \
	'414|{"code":"uri_too_long","message":"the request target is longer than 32768 bytes"}' "$CODE|$(cat "$TMP/body")"
req "" "/healthz?pad=$(pad 100000)"
a="$CODE|$(json code)"
# libmicrohttpd would split its parameters into the connection's memory, run out and close without an answer.
# (Sent from Python: a command's argument cannot be 200 KB long.)
a="$a|$(python3 - "$URL" <<'PY'
import re, socket, sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
q = "&".join("p%04d=%s" % (i, "x" * 200) for i in range(1000))
s = socket.create_connection((url.hostname, url.port), timeout=10)
s.sendall(("GET /healthz?%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % q).encode())
got = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
except (socket.timeout, ConnectionResetError):
    pass
m = re.match(rb'HTTP/1\.1 (\d+) .*\{"code":"([a-z_]+)"', got, re.S)
print("%s|%s" % (m.group(1).decode(), m.group(2).decode()) if m else "000|")
PY
)"
check "a request target of 100 KB: 414 uri_too_long; of 200 KB in 1,000 query parameters: the same" \
	"414|uri_too_long|414|uri_too_long" "$a"
# Host, Authorization, Connection and X-Pad: 32768 bytes of header lines, then 32769.
h=("Host: 127.0.0.1" "Authorization: Bearer $TA" "Connection: close")
n=0
for x in "${h[@]}"; do n=$((n + ${#x} + 2)); done
xpad="X-Pad: $(pad $((32768 - n - 9)))"
raw "GET /v1/accounts/ACME1/partner-usage?month=2026-10 HTTP/1.1" "${h[@]}" "$xpad"
a="$CODE|$(json total.month_to_date)|$((n + ${#xpad} + 2))"
raw "GET /v1/accounts/ACME1/partner-usage?month=2026-10 HTTP/1.1" "${h[@]}" "${xpad}x"
check "header fields of 32768 bytes are answered (200), of 32769 bytes: 431 headers_too_large" \
	'200|141|32768|431|{"code":"headers_too_large","message":"the header fields take more than 32768 bytes"}' \
	"$a|$CODE|$(cat "$TMP/body")"
hs=()
for i in $(seq 1990); do hs+=("X-H$i: $i"); done
raw "GET /healthz HTTP/1.1" "Host: 127.0.0.1" "${hs[@]}" "Connection: close"
check "1,990 header fields are answered" '200|{"status":"ok"}' "$CODE|$(cat "$TMP/body")"

# ---- 1,200 requests for what is not theirs ----------------------------------------------------------------------
printf '%s\n' ACME1 BETA2 EURO1 GAMMA3 DELTA4 >"$TMP/existing"
printf '%s\n' NOPE1 ZZ 999999 AAAAAA ACME2 B0 >"$TMP/unknown"
python3 "$CHECK" leak "$SPEC" "$URL" "$TMP/tokens" "$TMP/existing" "$TMP/unknown" 1200 2026-10 >"$TMP/leak" 2>&1
check "1,200 requests of account tokens for other accounts (existing or not) and for every account's: the same 404 or 403, byte for byte" \
	"0|1200 requests refused alike: 400 for other accounts' aliases and 400 for unknown ones (404), 400 for every account's (403)" \
	"$?|$(cat "$TMP/leak")"

# ---- failed authentications are limited per client address ----------------------------------------------------
# The 12 requests from one curl, a few milliseconds in all: a curl each took seconds on a loaded machine, and a
# failure is forgiven every 6 s (10 a minute).
nope=()
for i in $(seq 12); do nope+=(-o /dev/null "$URL/v1/partner-usage?month=2026-10"); done
codes=$(curl -s --interface 127.0.0.2 -w ' %{http_code}' -H 'Authorization: Bearer pbt_nope' "${nope[@]}")
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" --interface 127.0.0.2
retry=$(header Retry-After)
[[ $retry =~ ^[1-6]$ ]] && retry=ok
check "10 failed authentications from 127.0.0.2, then 429 with Retry-After (at most 6 s), even for a good token" \
	" 401 401 401 401 401 401 401 401 401 401 429 429|429|too_many_requests|ok" "$codes|$CODE|$(json code)|$retry"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
check "127.0.0.1 is not limited by 127.0.0.2's failures" "200" "$CODE"

# ---- a revoked token, at once -----------------------------------------------------------------------------------
TR=$("$API" token create --account ACME1 --by test 2>/dev/null)
TRID=$(pb_sql "SELECT max(id) FROM pb.api_token")
req "$TR" "/v1/accounts/ACME1/partner-usage?month=2026-10"
req "$TR" "/v1/accounts/ACME1/partner-usage?month=2026-10"
first=$CODE
"$API" token revoke "$TRID" --by test >"$TMP/out" 2>"$TMP/err"
st=$?
req "$TR" "/v1/accounts/ACME1/partner-usage?month=2026-10"
check "a token the server has cached, revoked: refused on the very next request" \
	"200|0|pb-api: token $TRID revoked|401" "$first|$st|$(cat "$TMP/err")|$CODE"
"$API" token revoke "$TRID" >"$TMP/out" 2>"$TMP/err"
check "revoking it again: exit 0, said so" "0|pb-api: token $TRID was revoked already" "$?|$(cat "$TMP/err")"
"$API" token revoke 99999 >"$TMP/out" 2>"$TMP/err"
check "revoking a token that does not exist: exit 1" "1|pb-api: no token 99999" "$?|$(cat "$TMP/err")"
pb_sql "UPDATE pb.api_token SET revoked_at = NULL, revoked_by = NULL WHERE id = $TRID" >/dev/null 2>"$TMP/err"
check "a revoked token cannot be restored, even by plain SQL" "ERROR:  api token $TRID is revoked: it cannot be restored" \
	"$(head -1 "$TMP/err")"
check "token list shows who revoked it" "$TRID,account,ACME1,test" \
	"$("$API" token list | grep "^$TRID," | cut -d, -f1-3,7)"

# ---- the tokens' last use ------------------------------------------------------------------------------------------
wrong=${TW:0:46}$([ "${TW: -1}" == A ] && echo B || echo A)
req "$wrong" "/v1/accounts/DELTA4/partner-usage?month=2026-10" --interface 127.0.0.3
a=$CODE
pb_until 120 pb_sql_is 3 "SELECT count(last_used_at) FROM pb.api_token WHERE id IN (1, 6, $TRID)"
"$API" token list >"$TMP/list"
check "token list: the last use of the tokens used (one revoked since), written while the server runs (PB_API_LAST_USE_SECONDS=1); none for one never used or sent wrong" \
	"401|ok|ok|ok|''|''" "$a|$(used 1)|$(used 6)|$(used "$TRID")|'$(last_use "$TNID")'|'$(last_use "$TWID")'"
# The platform token's row held by another transaction: the write gives up after 2 s, and is made once it is free.
pb_sql_session_start
pb_sql_in "BEGIN; SELECT id FROM pb.api_token WHERE id = 6 FOR UPDATE"
before=$(pb_sql "SELECT last_used_at FROM pb.api_token WHERE id = 6")
sleep 1.1
req "$TP" "/v1/partner-usage?month=2026-10"
pb_until 120 grep -q "lock timeout" "$TMP/api.log"
a="$(grep -c "^pb-api: warning: cannot record the tokens' last use: ERROR:  canceling statement due to lock timeout" "$TMP/api.log")"
a="$a|$(pb_sql "SELECT last_used_at = '$before' FROM pb.api_token WHERE id = 6")"
pb_sql_in "ROLLBACK"
pb_sql_session_end
pb_until 120 pb_sql_is t "SELECT last_used_at > '$before' FROM pb.api_token WHERE id = 6"
check "a token's row locked by another transaction: the write waits 2 s, says so, keeps the use and writes it once the row is free" \
	"1|t|t" "$a|$(pb_sql "SELECT last_used_at > '$before' FROM pb.api_token WHERE id = 6")"

# ---- a revocation is not held up by the last-use write ----------------------------------------------------------------
# Another transaction holds a token's row, so that the server's last-use write waits for it (2 s at most); a
# token revoked meanwhile is refused on its very next request all the same.
TX=$("$API" token create --account ACME1 --by test 2>/dev/null)
TXID=$(pb_sql "SELECT max(id) FROM pb.api_token")
TY=$("$API" token create --account ACME1 --by test 2>/dev/null)
TYID=$(pb_sql "SELECT max(id) FROM pb.api_token")
req "$TX" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a=$CODE
# TX's use written: the write that waits below holds no lock on TX's row.
pb_until 120 pb_sql_is 1 "SELECT count(last_used_at) FROM pb.api_token WHERE id = $TXID"
pb_sql_session_start
pb_sql_in "BEGIN; SELECT id FROM pb.api_token WHERE id = $TYID FOR UPDATE"
req "$TY" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$a|$CODE"
waiting=
# Until the write waits (120 s at most: 300 tries a tenth of a second apart were not always enough).
write_waits() {
	waiting=$(pb_sql "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'pb-api%'
		AND wait_event_type = 'Lock'")
	[ -n "$waiting" ]
}
pb_until 120 write_waits || notok "the last-use write waits for the row"
"$API" token revoke "$TXID" --by test >"$TMP/out" 2>&1
a="$a|$?"
req "$TX" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$a|$CODE"
pb_sql_in "ROLLBACK"
pb_sql_session_end
check "a token revoked while the last-use write waits for another token's row: refused on the very next request" \
	"200|200|0|401" "$a"
check "the last-use write waits on a connection of its own, not on the one that hears the notifications" \
	"pb-api last use" "$waiting"

# The writer's session ended (terminated, as a restart of the database ends it): the next write is made on a
# new one at once, without a warning.
pb_until 120 pb_sql_is 1 "SELECT count(last_used_at) FROM pb.api_token WHERE id = $TYID"
n0=$(grep -c "cannot record the tokens' last use" "$TMP/api.log")
a=$(pb_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pb-api last use'")
TU=$("$API" token create --account ACME1 --by test 2>/dev/null)
TUID=$(pb_sql "SELECT max(id) FROM pb.api_token")
req "$TU" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$a|$CODE"
pb_until 120 pb_sql_is 1 "SELECT count(last_used_at) FROM pb.api_token WHERE id = $TUID"
check "the last-use writer's session ended: the next write is made on a new session, without a warning" \
	"1|200|1|$n0" "$a|$(pb_sql "SELECT count(last_used_at) FROM pb.api_token WHERE id = $TUID")|$(grep -c "cannot record the tokens' last use" "$TMP/api.log")"

# ---- the notifications' session stops answering ---------------------------------------------------------------------
# Its server process is stopped (SIGSTOP): a token revoked then is refused within a few seconds all the same,
# /healthz says 503 while the notifications cannot be heard (the database refusing new sessions meanwhile, so
# that the server cannot listen on another one), the other tokens are checked against the database, and all
# is well again once sessions may connect.
DB=$(pb_sql "SELECT current_database()")
# connections true|false: whether the database takes new sessions (said from another database: a session
# may not refuse its own).
connections() {
	env -u PGOPTIONS -u PGCLIENTENCODING "$BIN/pb-db" psql -X -q -d postgres -v ON_ERROR_STOP=1 \
		-c "ALTER DATABASE \"$DB\" ALLOW_CONNECTIONS $1" >/dev/null || echo "SQL FAILED: connections $1" >&2
}
TZ=$("$API" token create --account ACME1 --by test 2>/dev/null)
TZID=$(pb_sql "SELECT max(id) FROM pb.api_token")
req "$TZ" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a=$CODE
LISTENER=$(pb_sql "SELECT pid FROM pg_stat_activity WHERE application_name = 'pb-api notifications'")
pb_sql_session_start
kill -STOP "$LISTENER" && STOPPED_BACKEND=$LISTENER
# token revoke returns once every server listening has said it dropped the token, or has gone 3 s without
# confirming its notifications (then it serves nothing from memory): the very next request is refused. It was
# served from the cache until the server noticed, up to 3 s later. The database refuses new sessions once the
# revocation is committed (the command waiting), so that the server cannot listen on another one meanwhile.
"$API" token revoke "$TZID" --by test >"$TMP/out" 2>&1 &
rpid=$!
# Until the revocation is committed (120 s at most: 600 tries a hundredth of a second apart were over before a
# sanitized pb-api token revoke had connected on a loaded machine, and the database then refused it).
revoked_by=$((SECONDS + 120))
until pb_sql_in "SELECT count(revoked_at) FROM pb.api_token WHERE id = $TZID" && [ "$SQL_ROWS" == 1 ]; do
	if [ $SECONDS -ge $revoked_by ]; then
		notok "the revocation is committed (120 s)" "$SQL_ROWS"
		break
	fi
	sleep 0.01
done
connections false
wait $rpid
a="$a|$?|$(cat "$TMP/out")"
pb_sql_session_end
req "$TZ" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$a|$CODE"
t0=$SECONDS
for i in $(seq 300); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TZ" \
		"$URL/v1/accounts/ACME1/partner-usage?month=2026-10")" == 401 ] && break
	sleep 0.1
done
req "$TZ" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$a|$CODE|$((SECONDS - t0 <= 15))"
req "" /healthz
a="$a|$CODE"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$a|$CODE|$(json total.month_to_date)"
connections true
kill -CONT "$LISTENER"
STOPPED_BACKEND=
healthz_200() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" == 200 ]; }
pb_until 120 healthz_200
req "" /healthz
a="$a|$CODE"
req "$TZ" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$a|$CODE"
# The caches started empty: ACME1's answer is cached again (the next section counts on it).
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$a|$CODE"
check "the notifications' session stopped: token revoke waits 3 s for the server to say it heard, says so; the token is refused from the next request, /healthz 503, other tokens checked against the database; /healthz 200 once it listens again" \
	"200|0|pb-api: warning: token $TZID: 1 of the 1 servers listening for revocations did not say within 3 s that they dropped it: they serve nothing from memory until they do
pb-api: token $TZID revoked|401|401|1|503|200|141|200|401|200" "$a"
check "the server says it lost the notifications" "1" \
	"$(($(grep -c "lost the database's notifications (no answer within 3 s)" "$TMP/api.log") >= 1))"

# ---- the cache, dropped when a new run commits --------------------------------------------------------------------
hits() { curl -s "$URL/metrics" | sed -n 's/^pb_api_cache_hits_total{cache="answers"} //p'; }
h0=$(hits)
for i in 1 2 3; do req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "If-None-Match: $ETAG"; done
check "answers come from the cache: 3 more hits, 304 each" "$((h0 + 3))|304" "$(hits)|$CODE"
"$PBA" --month 2026-10 >"$TMP/out" 2>"$TMP/err" || notok "a new aggregate run" "$(cat "$TMP/err")"
RUN2=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2026-10-01'")
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -H "If-None-Match: $ETAG"
check "a new aggregate run commits: the next request gets 200 with the new run's ETag, no restart" \
	"200|\"pb-run-$RUN2\"|$RUN2" "$CODE|$(header ETag)|$(json run.id)"
req "$TP" "/v1/partner-usage?month=2026-10&limit=2&cursor=$CURSOR"
check "a listing's cursor keeps to the run it started on" "200|$RUN|\"pb-run-$RUN\"" \
	"$CODE|$(json run.id)|$(header ETag)"

# ---- a statement that waits for a lock ----------------------------------------------------------------------------
# Another session holds the figures' table (as an ALTER TABLE would): a request whose answer is not cached
# waits 5 s at most for the database, then 503, rather than hold its client (and a SIGTERM) for as long
# as the lock is held. The lock given up, it is answered. The role's own statement_timeout (a minute here,
# on a connection made anew by a request for an alias without figures, before the lock) is laxer: the 5 s
# hold.
# The 5 s bound's wait is measured in milliseconds: it takes 4.5 s at least (the role's minute would take curl's
# 20 s and fail the check with no answer, so no upper bound is asserted). That the role's 1 s held the two
# others is told by the server's log ("within 1 s", the server's own "statement timeout"), not by a clock.
ms() { echo $((10#${EPOCHREALTIME/[.,]/} / 1000)); }
pb_sql "ALTER ROLE CURRENT_USER SET statement_timeout = '1min'" >/dev/null
pb_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pb-api'" >/dev/null
req "$TP" "/v1/accounts/ZZZ1/partner-usage?month=2026-10"
pb_sql_session_start
pb_sql_in "BEGIN; LOCK TABLE pb.aggregate_account IN ACCESS EXCLUSIVE MODE"
t0=$(ms)
req "$TP" "/v1/accounts/BETA2/partner-usage?month=2026-10" -m 20
t=$(($(ms) - t0))
a="$CODE|$(json code)|$(header Retry-After)|$((t >= 4500))"
pb_sql_in "ROLLBACK"
# A DBA's stricter statement_timeout on the role (1 s) wins over the 5 s: for a connection being made, whose
# schema check waits for the migrations' table (pb-db migrate), and for the statements of one made.
pb_sql "ALTER ROLE CURRENT_USER SET statement_timeout = '1s'" >/dev/null
pb_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pb-api'" >/dev/null
pb_sql_in "BEGIN; LOCK TABLE pb.schema_migrations IN ACCESS EXCLUSIVE MODE"
req "$TP" "/v1/accounts/BETA2/partner-usage/daily?month=2026-10" -m 20
a="$a|$CODE|$(json code)"
pb_sql_in "ROLLBACK"
sleep 0.3 # after a failed connect, the pool answers 503 at once for 250 ms
req "$TP" "/v1/accounts/ZZZ2/partner-usage?month=2026-10"
pb_sql_in "BEGIN; LOCK TABLE pb.aggregate_account IN ACCESS EXCLUSIVE MODE"
req "$TP" "/v1/accounts/BETA2/partner-usage?month=2026-10" -m 20
a="$a|$CODE|$(json code)"
pb_sql_in "ROLLBACK"
pb_sql_session_end
pb_sql "ALTER ROLE CURRENT_USER RESET statement_timeout" >/dev/null
pb_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pb-api'" >/dev/null
req "$TP" "/v1/accounts/BETA2/partner-usage?month=2026-10"
check "a statement held by a lock (also a new connection's schema check): 503 database_unavailable after 4.5 s at least (the role's stricter statement_timeout of 1 s, told by the log), then 200 once the lock is given up" \
	"503|database_unavailable|1|1|503|database_unavailable|503|database_unavailable|200|9|1|1|1" \
	"$a|$CODE|$(json total.month_to_date)|$(grep -c "did not answer within 5 s (statement_timeout)" "$TMP/api.log")|$(grep -c "did not answer within 1 s (statement_timeout)" "$TMP/api.log")|$(grep -c "due to statement timeout" "$TMP/api.log")"

# A statement the database cancels before its time runs out (a DBA's pg_cancel_backend): 503 as for a timeout,
# but logged as what it was, with the server's message, not as a statement that ran out of time.
timeouts=$(grep -c "did not answer within" "$TMP/api.log")
pb_sql_session_start
pb_sql_in "BEGIN; LOCK TABLE pb.aggregate_account IN ACCESS EXCLUSIVE MODE"
curl -s -H "Authorization: Bearer $TP" -o "$TMP/cancel.b" -w '%{http_code}' -m 20 \
	"$URL/v1/accounts/BETA2/partner-usage/daily?month=2026-10" >"$TMP/cancel.code" &
cpid=$!
# Until the statement waits (120 s at most: 200 tries a fiftieth of a second apart were over before a loaded machine
# had sent the request, and the statement then ran out of time instead of being cancelled).
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-api' AND wait_event_type = 'Lock'" ||
	notok "the statement waits for the lock"
pb_sql "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pb-api' AND wait_event_type = 'Lock'" >/dev/null
wait $cpid
pb_sql_in "ROLLBACK"
pb_sql_session_end
check "a statement the database cancels (pg_cancel_backend) before its 5 s: 503, logged as cancelled with the server's message, not as a timeout" \
	"503|database_unavailable|1|$timeouts" \
	"$(cat "$TMP/cancel.code")|$(python3 "$CHECK" get "$TMP/cancel.b" code)|$(grep -c "^pb-api: warning: query pb_api_daily: the database cancelled it after [0-9]* ms, before its 5 s ran out: ERROR:  canceling statement due to user request$" "$TMP/api.log")|$(grep -c "did not answer within" "$TMP/api.log")"
# A DBA's lock_timeout on the role (200 ms, stricter than the 5 s): a statement that gives up waiting for a lock
# is the database unavailable for the moment, as a statement_timeout is (503 with Retry-After, logged with the
# server's message), not a fault of the server (it was 500 internal, logged as a failed query).
pb_sql "ALTER ROLE CURRENT_USER SET lock_timeout = '200ms'" >/dev/null
pb_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pb-api'" >/dev/null
req "$TP" "/v1/accounts/ZZZ3/partner-usage?month=2026-10"
pb_sql_session_start
pb_sql_in "BEGIN; LOCK TABLE pb.aggregate_account IN ACCESS EXCLUSIVE MODE"
req "$TP" "/v1/accounts/BETA2/partner-usage/daily?month=2026-10" -m 20
a="$CODE|$(cat "$TMP/body")|$(header Retry-After)"
pb_sql_in "ROLLBACK"
pb_sql_session_end
pb_sql "ALTER ROLE CURRENT_USER RESET lock_timeout" >/dev/null
pb_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pb-api'" >/dev/null
check "a statement that the role's lock_timeout ends: 503 database_unavailable with Retry-After, logged with the server's message" \
	'503|{"code":"database_unavailable","message":"the database is unavailable; retry later"}|1|1|0' \
	"$a|$(grep -c "^pb-api: warning: query pb_api_daily: the database cannot answer it now: ERROR:  canceling statement due to lock timeout$" "$TMP/api.log")|$(grep -c "query pb_api_daily failed" "$TMP/api.log")"

# ---- the database stopped and started under the running server ----------------------------------------------------
"$BIN/pb-db" stop >/dev/null 2>&1
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$CODE|$(json code)|$(header Retry-After)"
req "" /healthz
check "the database stopped: 503 database_unavailable with Retry-After, /healthz 503" \
	"503|database_unavailable|1|503" "$a|$CODE"
req "$TA" "/v1/accounts/ACME1/partner-usage/daily?month=2026-10"
check "nothing cached is served while the notifications cannot be heard" "503" "$CODE"
"$BIN/pb-db" start >/dev/null 2>&1
until_code 200 "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$CODE|$(json run.id)"
until_code 200 "" /healthz
check "the database started again: the same server answers 200 by itself (/healthz once it listens again)" \
	"200|$RUN2|200|1" "$a|$CODE|$(kill -0 $API_PID && echo 1)"

# ---- metrics -----------------------------------------------------------------------------------------------------
req "" /metrics
check "GET /metrics: requests by endpoint and status, the latency histogram, pool, caches, database" "200|1|1|1|1|1|1|1" \
	"$CODE|$(grep -c '^pb_api_requests_total{endpoint="account",status="404"} [1-9]' "$TMP/body")|$(grep -c '^pb_api_request_duration_seconds_bucket{endpoint="account",le="+Inf"} [1-9]' "$TMP/body")|$(grep -c '^pb_api_pool_connections{state="size"} [1-9]' "$TMP/body")|$(grep -c '^pb_api_cache_hits_total{cache="tokens"} [1-9]' "$TMP/body")|$(grep -c '^pb_api_database_up 1$' "$TMP/body")|$(grep -c '^pb_api_run_notifications_total [1-9]' "$TMP/body")|$(grep -c '^pb_api_rate_limited_total [1-9]' "$TMP/body")"
check "no alias appears in the metrics" "0" "$(grep -c 'ACME1\|BETA2' "$TMP/body")"
# The text format: every family has its TYPE line before its samples, which come as one group.
check "GET /metrics: each family typed, its samples in one group (Prometheus text format)" "" "$(awk '
	/^# TYPE / { type[$3] = $4; next }
	/^#/ { next }
	{
		f = $1; sub(/[{ ].*/, "", f)
		b = f; sub(/_(bucket|sum|count)$/, "", b)
		if ((b in type) && type[b] == "histogram") f = b
		if (!(f in type)) print "untyped: " f
		if (f != last && (f in seen)) print "split: " f
		seen[f] = 1; last = f
	}' "$TMP/body" | sort -u)"

stop_api
check "SIGTERM: exit 0 once the requests in progress are answered" "0|pb-api: SIGTERM: stopping|pb-api: stopped" \
	"$STOPPED|$(tail -2 "$TMP/api.log" | paste -sd'|')"

# A stop while a request waits on a database that stopped answering (its pool's server processes stopped):
# the request is answered 503 once its statement's time and grace have run out (5 s + 2 s), not cut off
# without an answer when the stop's wait for the connections to end (5 s) ran out first.
start_api "$TMP/api-hung.log" || exit 1
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a=$CODE
HUNG=$(pb_sql "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE application_name = 'pb-api'")
kill -STOP $HUNG && STOPPED_BACKEND=$HUNG
curl -s -H "Authorization: Bearer $TA" -D "$TMP/hung.h" -o "$TMP/hung.b" -w '%{http_code}' -m 30 \
	"$URL/v1/accounts/ACME1/partner-usage/daily?month=2026-10" >"$TMP/hung.code" &
cpid=$!
in_use 1
# A keep-alive client: its first request, made now, opens a second connection of the pool (the first is held by
# the request above); that connection's server process is stopped too, and the client's second request, sent
# once the stop has begun, waits on it. It is answered 503 before the stop closes the connections, not cut off.
# (The client waits for $TMP/ka.go, made once that server process is stopped and just before the stop, then for
# the server's "SIGTERM: stopping": counted from its first answer, a loaded machine had not stopped the process
# yet, and it answered; sent a fixed 2.5 s after $TMP/ka.go, a loaded machine sent it once the stop had closed
# the connection, and it was cut off.)
rm -f "$TMP/ka.go"
python3 - "$URL" "$TA" "$TMP/ka.go" "$TMP/api-hung.log" >"$TMP/ka.out" 2>&1 <<'EOF' &
import http.client, os, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
c.request("GET", "/v1/accounts/ACME1/partner-usage?month=2026-11", headers={"Authorization": "Bearer " + sys.argv[2]})
r = c.getresponse()
r.read()
print(r.status, flush=True)
deadline = time.monotonic() + 120
while not os.path.exists(sys.argv[3]) and time.monotonic() < deadline:
    time.sleep(0.02)
while "SIGTERM: stopping" not in open(sys.argv[4]).read() and time.monotonic() < deadline:
    time.sleep(0.02)
try:
    c.request("GET", "/v1/accounts/ACME1/partner-usage/daily?month=2026-11",
              headers={"Authorization": "Bearer " + sys.argv[2]})
    r = c.getresponse()
    print(r.status, r.getheader("Retry-After"), r.getheader("Connection"), r.read().decode().split('"')[3])
except Exception as e:
    print("no answer:", type(e).__name__)
EOF
kapid=$!
pb_until 120 test -s "$TMP/ka.out"
HUNG2=$(pb_sql "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE application_name = 'pb-api'
	AND NOT pid = ANY ('{${HUNG// /,}}'::int[])")
[ -n "$HUNG2" ] && kill -STOP $HUNG2 && STOPPED_BACKEND="$HUNG $HUNG2"
touch "$TMP/ka.go"
stop_api
wait $cpid $kapid
kill -CONT $STOPPED_BACKEND
STOPPED_BACKEND=
check "SIGTERM while requests wait on a database that stopped answering (one begun before the stop, one after it on a keep-alive connection): each answered 503 with Retry-After, then exit 0" \
	"200|503|database_unavailable|1|200
503 1 close database_unavailable|0" \
	"$a|$(cat "$TMP/hung.code")|$(python3 "$CHECK" get "$TMP/hung.b" code)|$(grep -ci '^retry-after: 1' "$TMP/hung.h")|$(cat "$TMP/ka.out")|$STOPPED"

# A second signal during the stop ends it at once (an operator's second Ctrl-C): the request still waiting on
# the stopped database is answered 503 then, without waiting out the database's time, and the log says so.
# The postmaster is stopped too, and a second request is making a new connection of the pool meanwhile (libpq
# waits 5 s for it): it too is answered 503 at once, not cut off by the stop without an answer; nor does the
# tokens' last use, written as the server stops, wait for a connection.
start_api "$TMP/api-twice.log" || exit 1
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a=$CODE
HUNG=$(pb_sql "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE application_name = 'pb-api'")
PM=$(head -n 1 "$PB_VAR_DIR/pg/data/postmaster.pid")
kill -STOP $HUNG && STOPPED_BACKEND=$HUNG
curl -s -H "Authorization: Bearer $TA" -o /dev/null -w '%{http_code}' -m 30 \
	"$URL/v1/accounts/ACME1/partner-usage/daily?month=2026-10" >"$TMP/twice.code" &
cpid=$!
in_use 1
kill -STOP "$PM" && STOPPED_BACKEND="$HUNG $PM"
curl -s -H "Authorization: Bearer $TA" -o /dev/null -w '%{http_code}' -m 30 \
	"$URL/v1/accounts/ACME1/partner-usage/daily?month=2026-09" >"$TMP/twice2.code" &
cpid2=$!
in_use 2
kill -TERM "$API_PID"
pb_until 120 grep -q "SIGTERM: stopping" "$TMP/api-twice.log"
kill -INT "$API_PID"
wait "$API_PID"
STOPPED=$?
API_PID=
wait $cpid $cpid2
kill -CONT $STOPPED_BACKEND
STOPPED_BACKEND=
check "a second signal during the stop (SIGINT after SIGTERM) stops at once: the waiting requests (one on its statement, one connecting) answered 503, said in the log, exit 0" \
	"200|503|503|0|1|1|1|1|pb-api: stopped" \
	"$a|$(cat "$TMP/twice.code")|$(cat "$TMP/twice2.code")|$STOPPED|$(grep -c '^pb-api: warning: SIGINT during the stop: stopping now, without waiting for the database (2 requests in progress)$' "$TMP/api-twice.log")|$(grep -c '^pb-api: warning: query pb_api_daily: the database did not answer within [0-9]* ms, when the server had to answer as it stops: its connection is closed$' "$TMP/api-twice.log")|$(grep -c '^pb-api: warning: database unavailable: cannot connect to the database: no answer by the time the server had to stop$' "$TMP/api-twice.log")|$(grep -c "^pb-api: warning: the tokens' last use since the last write is not recorded: cannot connect to the database: no answer by the time the server had to stop$" "$TMP/api-twice.log")|$(tail -1 "$TMP/api-twice.log")"

# The same after the connections are closed, while the server writes the tokens' last use down (which waits 5 s
# for a connection to a database whose postmaster is stopped): the second signal ends that wait too. The server
# pauses (api-last-write) as the write begins, and the second signal comes then.
rm -f "$TMP/resume"
PB_TEST_PAUSE=api-last-write PB_TEST_RESUME_FILE=$TMP/resume start_api "$TMP/api-twice2.log" || exit 1
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a=$CODE
PM=$(head -n 1 "$PB_VAR_DIR/pg/data/postmaster.pid")
kill -STOP "$PM" && STOPPED_BACKEND=$PM
kill -TERM "$API_PID"
pb_until 120 grep -q "test pause at api-last-write" "$TMP/api-twice2.log"
kill -INT "$API_PID"
touch "$TMP/resume"
wait "$API_PID"
STOPPED=$?
API_PID=
kill -CONT $STOPPED_BACKEND
STOPPED_BACKEND=
# The log of a stop whose second signal came while the tokens' last use waited for the database.
STOP_WITHOUT_LAST_USE="pb-api: SIGTERM: stopping
pb-api: warning: SIGINT during the stop: stopping now, without waiting for the database
pb-api: warning: the tokens' last use since the last write is not recorded: cannot connect to the database: no answer by the time the server had to stop
pb-api: stopped"
check "a second signal while the server writes the tokens' last use down as it stops: it waits for the database no longer, said in the log, exit 0" \
	"200|0|$STOP_WITHOUT_LAST_USE" \
	"$a|$STOPPED|$(grep -v '^pb-api: \(listening\|test pause\)' "$TMP/api-twice2.log")"

# Two signals at once (SIGTERM and Ctrl-C) while a keep-alive client sends request after request: the request
# it sends then is answered (with Connection: close), not cut off by a stop that no longer waited for the
# connections to close once no request was in progress.
start_api "$TMP/api-twice3.log" || exit 1
python3 - "$URL" "$TA" >"$TMP/ka3.out" 2>&1 <<'EOF' &
import http.client, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
n = 0
while True:
    try:
        c.request("GET", "/v1/accounts/ACME1/partner-usage?month=2026-10",
                  headers={"Authorization": "Bearer " + sys.argv[2]})
        r = c.getresponse()
        r.read()
        n += 1
        if n == 1:
            print("first", r.status, flush=True)
        if r.getheader("Connection") == "close":
            print("answered", "ok" if r.status in (200, 503) else r.status, "close")
            break
    except Exception as e:
        print("no answer:", type(e).__name__)
        break
EOF
kapid=$!
pb_until 120 test -s "$TMP/ka3.out"
sleep 0.2
kill -TERM "$API_PID"
kill -INT "$API_PID"
wait "$API_PID"
STOPPED=$?
API_PID=
wait $kapid
check "SIGTERM and SIGINT at once while a keep-alive client sends requests: its request then answered with Connection: close, exit 0" \
	"first 200
answered ok close|0|1" "$(cat "$TMP/ka3.out")|$STOPPED|$(grep -c '^pb-api: warning: SIG[A-Z]* during the stop: stopping now' "$TMP/api-twice3.log")"

# twice_while_setting_up LOG TABLE: a server whose new pool connection is being set up while TABLE is locked
# (as pb-db migrate locks the migrations' table, or a DBA a catalog), a request needing that connection, then
# SIGTERM and SIGINT: the server must end with the lock still held (it is released after 30 s, so that a
# server that waits for it fails the checks, not the suite). The request's status in $TMP/twice.code, the
# exit status in STOPPED.
api_ended() { ! kill -0 "$API_PID" 2>/dev/null; }
twice_while_setting_up() {
	local cpid
	: >"$TMP/twice.code"
	start_api "$1" || exit 1
	pb_until 120 grep -q "listening for the database's notifications" "$1"
	pb_sql_session_start
	pb_sql_in "BEGIN; LOCK TABLE $2 IN ACCESS EXCLUSIVE MODE"
	curl -s -H "Authorization: Bearer $TB" -o /dev/null -w '%{http_code}' -m 60 \
		"$URL/v1/accounts/BETA2/partner-usage?month=2026-10" >"$TMP/twice.code" &
	cpid=$!
	pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-api' AND
		wait_event_type = 'Lock'"
	kill -TERM "$API_PID"
	pb_until 120 grep -q "SIGTERM: stopping" "$1"
	kill -INT "$API_PID"
	pb_until 30 api_ended
	pb_sql_in "ROLLBACK"
	wait "$API_PID"
	STOPPED=$?
	API_PID=
	wait $cpid
	pb_sql_session_end
}

# A second signal while a request's new pool connection is being set up, its schema check waiting for the
# migrations' table (as pb-db migrate holds it): the check is given up, the request answered 503 at once, not
# cut off when the stop closes the connections while the check waits out its 5 s.
twice_while_setting_up "$TMP/api-twice4.log" pb.schema_migrations
check "a second signal while a new pool connection's schema check waits for a lock: the request answered 503, said in the log, exit 0" \
	"503|0|1|1|pb-api: stopped" \
	"$(cat "$TMP/twice.code")|$STOPPED|$(grep -c '^pb-api: warning: SIGINT during the stop: stopping now, without waiting for the database (1 request in progress)$' "$TMP/api-twice4.log")|$(grep -c '^pb-api: warning: database unavailable: cannot set up a connection to the database: no answer by the time the server had to stop$' "$TMP/api-twice4.log")|$(tail -1 "$TMP/api-twice4.log")"

# The same while the new connection's session settings, its very first statement (which reads pg_settings),
# wait (for a lock a DBA holds there, as for a server that stops answering once the connection is made): these
# too are given up at the stop's deadline, the request answered 503, the server stopped.
twice_while_setting_up "$TMP/api-twice5.log" pg_catalog.pg_settings
check "a second signal while a new pool connection's session settings wait: the request answered 503, said in the log, exit 0" \
	"503|0|1|pb-api: stopped" \
	"$(cat "$TMP/twice.code")|$STOPPED|$(grep -c '^pb-api: warning: database unavailable: cannot set up a connection to the database: no answer by the time the server had to stop$' "$TMP/api-twice5.log")|$(tail -1 "$TMP/api-twice5.log")"

# The same while the server writes the tokens' last use down as it stops, on a connection made then whose
# session settings wait (a lock on pg_settings): the second signal ends that wait too, where the stop waited
# for the database for as long as it did not answer, whatever the signals.
start_api "$TMP/api-twice6.log" || exit 1
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a=$CODE
pb_sql_session_start
pb_sql_in "BEGIN; LOCK TABLE pg_catalog.pg_settings IN ACCESS EXCLUSIVE MODE"
kill -TERM "$API_PID"
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-api last use' AND
	wait_event_type = 'Lock'"
kill -INT "$API_PID"
pb_until 30 api_ended
pb_sql_in "ROLLBACK"
wait "$API_PID"
STOPPED=$?
API_PID=
pb_sql_session_end
check "a second signal while the last use's new connection's session settings wait as the server stops: it waits no longer, said in the log, exit 0" \
	"200|0|$STOP_WITHOUT_LAST_USE" \
	"$a|$STOPPED|$(grep -v '^pb-api: listening' "$TMP/api-twice6.log")"

# ---- a new run commits between the run's lookup and the reading of its figures -----------------------------------
# The server pauses (PB_TEST_PAUSE=api-figures) once it has the month's run and before it reads the run's
# figures; a new run commits meanwhile (removing the daily series of the run it supersedes, in the same
# transaction); then the server goes on. Its answer is the new run's, whole: never the old run's with its
# days gone, nor a run that is no longer the month's.
touch "$TMP/resume"
PB_TEST_PAUSE=api-figures PB_TEST_RESUME_FILE=$TMP/resume start_api "$TMP/api7.log" || exit 1
# raced TOKEN PATH: GET PATH, held at the pause while pb-aggregate makes a new run of 2026-10 (its id in NEW);
# CODE, $TMP/body and $TMP/headers as req leaves them.
raced() {
	local n0 bg i
	n0=$(grep -c "test pause at api-figures" "$TMP/api7.log")
	rm -f "$TMP/resume"
	NREQ=$((NREQ + 1))
	: >"$TMP/r/$NREQ.b"
	curl -s -H "Authorization: Bearer $1" -D "$TMP/r/$NREQ.h" -o "$TMP/r/$NREQ.b" -w '%{http_code}' "$URL$2" \
		>"$TMP/code" &
	bg=$!
	for i in $(seq 600); do
		[ "$(grep -c "test pause at api-figures" "$TMP/api7.log")" -gt "$n0" ] && break
		sleep 0.1
	done
	[ "$(grep -c "test pause at api-figures" "$TMP/api7.log")" -gt "$n0" ] || notok "the server pauses at api-figures ($2)"
	"$PBA" --month 2026-10 >"$TMP/out" 2>"$TMP/err" || notok "a new aggregate run" "$(cat "$TMP/err")"
	NEW=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2026-10-01'")
	touch "$TMP/resume"
	wait $bg
	CODE=$(cat "$TMP/code")
	cp "$TMP/r/$NREQ.b" "$TMP/body"
	cp "$TMP/r/$NREQ.h" "$TMP/headers"
	printf '%s\t%s\t%s\t%s\n' GET "$URL$2" "$TMP/r/$NREQ.h" "$TMP/r/$NREQ.b" >>"$TMP/manifest"
}
raced "$TA" "/v1/accounts/ACME1/partner-usage/daily?month=2026-10"
check "daily: a new run commits after the run is looked up, before its days are read: the new run's days, all of them" \
	"200|\"pb-run-$NEW\"|$NEW|$(pb_sql "SELECT vendor, usage_date, trim_scale(usage), trim_scale(one_off) FROM
	pb.aggregate_daily WHERE run_id = $NEW AND alias = 'ACME1' ORDER BY 1, 2")" \
	"$CODE|$(header ETag)|$(json run.id)|$(python3 -c 'import json, sys
for v in json.load(open(sys.argv[1]))["vendors"]:
    for d in v["days"]:
        print(v["vendor"], d["date"], d["usage"], d["one_off"], sep=",")' "$TMP/body")"
raced "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
check "an account's figures: a new run commits after the run is looked up: the new run's figures" \
	"200|\"pb-run-$NEW\"|$NEW|141|135|6" \
	"$CODE|$(header ETag)|$(json run.id)|$(json total.month_to_date)|$(json vendors.0.month_to_date)|$(json vendors.1.month_to_date)"
raced "$TP" "/v1/partner-usage?month=2026-10&limit=2"
check "the listing's first page: a new run commits after the run is looked up: the new run's page" \
	"200|\"pb-run-$NEW\"|$NEW|ACME1 BETA2|$NEW.BETA2|141" \
	"$CODE|$(header ETag)|$(json run.id)|$(json accounts.0.alias) $(json accounts.1.alias)|$(json next_cursor)|$(json accounts.0.total.month_to_date)"
# ---- SIGTERM while serving ------------------------------------------------------------------------------------------
# A request held at the pause when SIGTERM comes: a new connection is refused at once (not left waiting in
# the listening socket's queue to be reset when the server exits), the request in progress and one more on
# a keep-alive connection are answered with Connection: close and their connections closed, so that no client
# sends another request on a connection the server is about to drop; then the server exits 0.
rm -f "$TMP/resume"
a="$(python3 "$CHECK" stop "$URL" "$API_PID" "$TMP/api7.log" "$TMP/resume" "$TP" \
	"/v1/accounts/BETA2/partner-usage?month=2026-10" 2>&1)"
wait "$API_PID"
a="$a|$?|$(tail -1 "$TMP/api7.log")"
API_PID=
check "SIGTERM while a request is in progress: a new connection refused, the answers in progress and on a keep-alive connection given with Connection: close and their connections closed, exit 0" \
	"refused|200 close closed|200 close closed|0|pb-api: stopped" "$a"

# "stopping" is logged once the server refuses new connections: a client (or an operator's check) that
# connects when the log says so is refused, not accepted into the listening socket's queue and reset later.
rm -f "$TMP/resume"
PB_TEST_PAUSE=api-stopping PB_TEST_RESUME_FILE=$TMP/resume start_api "$TMP/api-stopping.log" || exit 1
kill -TERM "$API_PID"
pb_until 120 grep -q "test pause at api-stopping" "$TMP/api-stopping.log"
late=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "$URL/healthz")
late="$late $?"
touch "$TMP/resume"
wait "$API_PID"
STOPPED=$?
API_PID=
check "SIGTERM: once the log says stopping, a new connection is refused (curl: 000, exit 7)" \
	"pb-api: SIGTERM: stopping|000 7|0" "$(grep -v 'test pause' "$TMP/api-stopping.log" | grep -m1 stopping)|$late|$STOPPED"

# ---- starting without the database ---------------------------------------------------------------------------------
"$BIN/pb-db" stop >/dev/null 2>&1
start_api "$TMP/api2.log" --log-format json --threads 2 --max-connections-per-client 3 || exit 1
# --threads: a client that holds its connections (requests it never ends) cannot take the threads from the
# others: past --max-connections-per-client its connections are closed at once, another client's answered.
check "--threads 2 --max-connections-per-client 3: of 6 connections from one client that never end their request 3 are kept and 3 closed; another client is answered meanwhile, the same client's next connection closed" \
	"3 open 3 closed|200|000" "$(python3 "$CHECK" per-client "$URL" 6 3)"
req "" /healthz
a=$CODE
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a="$a|$CODE"
"$BIN/pb-db" start >/dev/null 2>&1
until_code 200 "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
check "started without the database (and with --threads 2: epoll): 503 until it is there, then 200" "503|503|200" "$a|$CODE"
stop_api

# ---- the month range by the database server's clock ------------------------------------------------------------
# "Next month" is the database server's (the clock that dates what is stored, and pb-aggregate's today): with the
# machine's clock 45 days behind (faketime; ASan runs with it preloaded first), the server's next month was refused
# (400 bad_month) while the server's current month had figures coming; now it is served (no run: 404), and the
# month after it is still refused. libfaketime is preloaded into pb-api itself: the faketime command runs its
# program as a child, which its SIGTERM does not reach, and the server ran on after the suite.
ft_lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n 1)
[ -n "$ft_lib" ] || notok "libfaketime is installed (make deps)"
printf '#!/bin/sh\nASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD=%s FAKETIME=-45d exec "%s" "$@"\n' \
	"$ft_lib" "$BIN/pb-api" >"$TMP/api-behind"
chmod +x "$TMP/api-behind"
SD=$(pb_sql "SELECT (now() AT TIME ZONE 'UTC')::date")
SNEXT=$(date -u -d "${SD%-*}-15 +1 month" +%Y-%m)
SAFTER=$(date -u -d "${SD%-*}-15 +2 month" +%Y-%m)
API_REAL=$API
API=$TMP/api-behind
start_api "$TMP/api-behind.log" || exit 1
API=$API_REAL
req "$TA" "/v1/accounts/ACME1/partner-usage?month=$SNEXT"
a="$CODE|$(json code)"
req "$TA" "/v1/accounts/ACME1/partner-usage?month=$SAFTER"
a="$a|$CODE|$(json code)"
stop_api
check "the machine's clock 45 days behind: the server's next month served (404, no run), the one after refused" \
	"404|not_found|400|bad_month" "$a"
check "that server stopped by SIGTERM: exit 0, and its address answers no more" \
	"0|000" "$STOPPED|$(curl -s -o /dev/null -w '%{http_code}' -m 5 "$URL/healthz")"

# ---- a request's head that never ends ------------------------------------------------------------------------------
# Clients that send their request's line and header fields a byte at a time (libmicrohttpd's idle timeout
# starts again at each byte) held every connection for as long as they liked (slowloris): each has
# --header-timeout seconds (3 here: the other client is tried while they are held, with room for a loaded
# machine) from its connection's start, or the previous answer on it, to send them,
# then the connection is closed and the log says so once, naming the client. While they hold every
# connection (--max-connections 3) another client is refused; once they are closed, it is answered. (Over
# TLS, with --threads 1, below.) The third sends "\0GET /healthz HTTP/1.0" and an empty line at once:
# libmicrohttpd takes a line that begins with a NUL for an empty one and skips it, unseen, and waits for a
# request line, which never comes; it was held 60 s, and is now closed at --header-timeout too.
start_api "$TMP/api-slow.log" --header-timeout 3 --max-connections 3 || exit 1
# First a request line with a NUL: refused, and logged with its bytes escaped (this server's first message).
nul="$(framing '' 'GET\x00x /healthz?a=\x01b\\"c HTTP/1.1' "Host: 127.0.0.1")"
a="$(python3 "$CHECK" slow "$URL" 3)"
stop_api
check "three clients that send their request's head a byte every 0.1 s (one after a request answered on the connection; one a request line beginning with a NUL, at once): each closed after --header-timeout, unanswered, logged once; another refused meanwhile, answered after" \
	"3 closed 0 answered|000|200|3" \
	"$a|$(grep -cE '^pb-api: warning: http: closed the connection of 127\.0\.0\.1:[0-9]+: its request line and header fields were not all in within 3 s \(--header-timeout\)$' "$TMP/api-slow.log")"
check "a request line with a NUL and a control character: 400 bad_request, logged once, naming the client, its bytes escaped" \
	'400|bad_request|pb-api: warning: http: refused a request of 127.0.0.1:PORT (400 bad_request): its request line or header fields hold a NUL, a control character or a folded line; its request line: "GET\x00x /healthz?a=\x01b\\\"c HTTP/1.1"' \
	"$nul|$(grep 'refused a request' "$TMP/api-slow.log" | sed 's/127\.0\.0\.1:[0-9]*/127.0.0.1:PORT/')"

# ---- more connections than select(2) can watch ----------------------------------------------------------------
# A thread per connection (the default), --max-connections 1100, started with a soft limit of 1024 open files
# (systemd's default for a service): 1,050 connections that never end their request, and one more is answered.
# A server that waited with select(2) could not take a descriptor past 1023, nor one that kept the soft limit.
soft=$(ulimit -Sn)
ulimit -Sn 1024
start_api "$TMP/api10.log" --max-connections 1100 --max-connections-per-client 1100 || exit 1
ulimit -Sn "$soft"
pb_until 120 grep -q "listening for the database's notifications" "$TMP/api10.log"
check "--max-connections 1100: with 1,050 connections open, one more is answered" "200|0" \
	"$(python3 "$CHECK" crowd "$URL" 1050)|$(grep -c "FD_SETSIZE" "$TMP/api10.log")"
stop_api
# An open files limit (48, hard) that leaves room for fewer connections than --max-connections (1024): the
# server serves as many as it can hold and says so once, rather than accept until the process runs out of
# descriptors, where libmicrohttpd tried again and again, writing two warnings each time (some 300,000 lines
# a second) for as long as the connections were held. 48, less twice the pool's 4 (each connection, and a second
# descriptor of its socket while it is set up) and 32 of the server's own: 8.
printf '#!/usr/bin/env bash\nulimit -n 48 && exec "%s" "$@"\n' "$API" >"$TMP/api48.sh"
chmod +x "$TMP/api48.sh"
API=$TMP/api48.sh start_api "$TMP/api12.log" --pool 4 --max-connections-per-client 1000 || exit 1
a="$(python3 "$CHECK" limit "$URL" 50 8)"
# libmicrohttpd writes a warning for each connection closed before its request was all in, and for each one
# it refuses when it holds all it may: a client that connects, sends half a request line and closes, 1,000
# times over, must not write 1,000 lines (some 3,500 a second from one client otherwise). Ten a minute are
# written, and how many were left out is said when the minute is over, or at the stop.
python3 - "$URL" <<'PY'
import socket, sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
for _ in range(1000):
    s = socket.create_connection((url.hostname, url.port))
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
    except OSError:
        pass
    s.close()
PY
# The stop once the server has taken in all of them (none left in its listening socket's queue, none of its
# connections left to close: 120 s at most), not after a fixed 0.2 s, when a loaded machine had not.
taken_in() {
	[ -z "$(ss -Htan "( sport = :${URL##*:} )" | awk '$1 != "TIME-WAIT" && ($1 != "LISTEN" || $2 != 0)')" ]
}
pb_until 120 taken_in
stop_api
left=$(sed -n "s/^pb-api: warning: http: \([0-9]*\) more of libmicrohttpd's messages left out (10 a minute at most)$/\1/p" "$TMP/api12.log")
check "an open files limit of 48: 8 connections held, the others closed at once, said once; never out of descriptors" \
	"8 open 42 closed|000|pb-api: warning: the open files limit (48) leaves room for 8 connections: serving 8 at most, not --max-connections' 1024 (raise the limit: ulimit -n, or LimitNOFILE= for a service)|0|0" \
	"$a|$(grep "open files limit" "$TMP/api12.log")|$(grep -c "Too many open files" "$TMP/api12.log")|$STOPPED"
check "1,050 connections refused or cut short: 10 of libmicrohttpd's warnings written, the 1,000 or more others counted at the stop" \
	"10|1" "$(grep -c '^pb-api: warning: http: [A-Z]' "$TMP/api12.log")|$((${left:-0} >= 1000 && ${left:-0} <= 1041))"
check "--log-format json: one JSON object a line" "0" \
	"$(python3 -c 'import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
print(0)' "$TMP/api2.log" 2>&1)"

# ---- the last use written at SIGTERM --------------------------------------------------------------------------------
TS=$("$API" token create --account ACME1 --by test 2>/dev/null)
TSID=$(pb_sql "SELECT max(id) FROM pb.api_token")
start_api "$TMP/api5.log" || exit 1
req "$TS" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a=$CODE
"$API" token revoke "$TSID" --by test 2>/dev/null
sleep 1.2
a="$a|$(pb_sql "SELECT count(last_used_at) FROM pb.api_token WHERE id = $TSID")"
stop_api
"$API" token list >"$TMP/list"
check "the default interval (60 s): a use not written while serving, written at SIGTERM, the token revoked meanwhile" \
	"200|0|0|ok" "$a|$STOPPED|$(used "$TSID")"
# SIGHUP (the terminal it was started from closed, say) stops it as SIGTERM does: nothing lost.
TH=$("$API" token create --account ACME1 --by test 2>/dev/null)
THID=$(pb_sql "SELECT max(id) FROM pb.api_token")
start_api "$TMP/api8.log" || exit 1
req "$TH" "/v1/accounts/ACME1/partner-usage?month=2026-10"
a=$CODE
kill -HUP "$API_PID"
wait "$API_PID"
a="$a|$?"
API_PID=
"$API" token list >"$TMP/list"
check "SIGHUP: stops as SIGTERM does, exit 0, the last use written" "200|0|pb-api: SIGHUP: stopping|pb-api: stopped|ok" \
	"$a|$(tail -2 "$TMP/api8.log" | paste -sd'|')|$(used "$THID")"

# ---- connect_timeout -------------------------------------------------------------------------------------------------
# A pool connection to a database that does not answer (its postmaster stopped) is given up after 5 s, or after a
# stricter connect_timeout that the connection string or else PGCONNECT_TIMEOUT sets (a DBA's choice, kept as a
# stricter statement_timeout is; libpq takes 1 as 2): the request is answered 503 and the log says how long it
# waited. A laxer one, or 0 (libpq: no limit), leaves 5 s. One that is not a number is said so at once.
PM=$(head -n 1 "$PB_VAR_DIR/pg/data/postmaster.pid")
CONN="host=$PB_VAR_DIR/pg/run port=5432 dbname=partnerbill"
# ct_try LOG [ENV...]: pb-api started with ENV; a request while the postmaster is stopped; its answer, the exit
# status and the log's reason(s) in CT.
ct_try() {
	local log=$1
	shift
	env "$@" "$API" --listen 127.0.0.1 --port 0 >"$log" 2>&1 &
	API_PID=$!
	URL=
	pb_until 120 api_listening "$log" || notok "pb-api starts ($*)" "$(cat "$log")"
	# The notifications' connection is made as it starts: made, or refused, before the postmaster stops.
	pb_until 120 grep -q "listening for the database's notifications\|no database notifications yet" "$log" ||
		notok "pb-api's notifications connection ($*)" "$(cat "$log")"
	kill -STOP "$PM" && STOPPED_BACKEND=$PM
	req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" -m 30
	kill -CONT "$PM"
	STOPPED_BACKEND=
	stop_api
	CT="$CODE|$STOPPED|$(sed -n 's/^pb-api: warning: database unavailable: cannot connect to the database: //p' "$log" |
		sed 's/ (the database is .*//' | sort -u | paste -sd'|')"
}
ct_try "$TMP/ct1.log" PB_DATABASE_URL="$CONN"
check "connect_timeout: none set, a database that does not answer is given up after 5 s: 503" \
	"503|0|no answer within 5 s (connect_timeout)" "$CT"
ct_try "$TMP/ct2.log" PB_DATABASE_URL="$CONN connect_timeout=1"
check "connect_timeout: 1 in the connection string (libpq's 2 s), stricter than 5 s, is kept: 503 after 2 s" \
	"503|0|no answer within 2 s (connect_timeout)" "$CT"
ct_try "$TMP/ct3.log" PB_DATABASE_URL="$CONN" PGCONNECT_TIMEOUT=3
check "connect_timeout: PGCONNECT_TIMEOUT=3 is kept: 503 after 3 s" \
	"503|0|no answer within 3 s (connect_timeout)" "$CT"
ct_try "$TMP/ct4.log" PB_DATABASE_URL="postgresql:///partnerbill?host=$PB_VAR_DIR/pg/run&connect_timeout=0" \
	PGCONNECT_TIMEOUT=2
check "connect_timeout: 0 (no limit) in the connection string wins over PGCONNECT_TIMEOUT=2, and leaves 5 s" \
	"503|0|no answer within 5 s (connect_timeout)" "$CT"
ct_try "$TMP/ct5.log" PB_DATABASE_URL="$CONN connect_timeout=soon"
check "connect_timeout: not a number, said so (and 503)" \
	"503|0|connect_timeout 'soon' is not a whole number of seconds" "$CT"
ct_try "$TMP/ct6.log" PB_DATABASE_URL="$CONN" PGCONNECT_TIMEOUT=2s
check "connect_timeout: PGCONNECT_TIMEOUT not a number, said so (and 503)" \
	"503|0|connect_timeout '2s' in PGCONNECT_TIMEOUT is not a whole number of seconds" "$CT"
# libpq takes a number followed by a CR (a variable set from a file with CRLF lines) as the number, as psql does.
ct_try "$TMP/ct7.log" PB_DATABASE_URL="$CONN" PGCONNECT_TIMEOUT=$'2\r'
check "connect_timeout: PGCONNECT_TIMEOUT '2' and a CR is 2, as libpq takes it: 503 after 2 s" \
	"503|0|no answer within 2 s (connect_timeout)" "$CT"
ct_try "$TMP/ct8.log" PB_DATABASE_URL="$CONN connect_timeout=99999999999"
check "connect_timeout: a whole number past an int, said so (and 503)" \
	"503|0|connect_timeout '99999999999' is not a whole number of seconds from -2147483648 to 2147483647" "$CT"

# ---- a role that may not read the tokens ----------------------------------------------------------------------------
# The refusal in pb-api's log says what is missing and what to do, as the batch programs' do.
pb_sql "CREATE ROLE apiro LOGIN; GRANT USAGE ON SCHEMA pb TO apiro; GRANT SELECT ON ALL TABLES IN SCHEMA pb TO apiro;
	REVOKE SELECT ON pb.api_token FROM apiro" >/dev/null
PB_DATABASE_URL="host=$PB_VAR_DIR/pg/run port=5432 user=apiro dbname=partnerbill" start_api "$TMP/api6.log" || exit 1
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10"
stop_api
check "a role that may not read the tokens: 500, and the log names the role and what to do" \
	"500|1" "$CODE|$(grep -c "query [a-z_]* failed: ERROR:  permission denied for table api_token (role 'apiro' lacks a privilege" "$TMP/api6.log")"

# ---- a database whose schema lacks a migration ----------------------------------------------------------------------
# Every request would fail there: /healthz says 503 (a load balancer sends nothing), the log says why, and
# once the database is migrated /healthz is 200 without a restart. (The newest migration is hidden by
# negating its version, and shown again.)
NEWEST=$(pb_sql "SELECT max(version) FROM pb.schema_migrations")
PREV=$(pb_sql "SELECT max(version) FROM pb.schema_migrations WHERE version < $NEWEST")
pb_sql "UPDATE pb.schema_migrations SET version = -version WHERE version = $NEWEST" >/dev/null
start_api "$TMP/api11.log" || exit 1
pb_until 120 grep -q "pb-db migrate" "$TMP/api11.log"
req "" /healthz
a=$CODE
pb_sql "UPDATE pb.schema_migrations SET version = -version WHERE version = -$NEWEST" >/dev/null
healthz_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" == 200 ]; }
pb_until 120 healthz_ok
req "" /healthz
stop_api
check "a database that lacks a migration: /healthz 503, the log saying to migrate; 200 once migrated, no restart" \
	"503|1|200" "$a|$(grep -c "no database notifications yet: the database schema is at version $PREV; this program needs $NEWEST: run 'pb-db migrate'" "$TMP/api11.log")|$CODE"

# ---- TLS ------------------------------------------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 ||
	notok "openssl makes a test certificate"
start_api "$TMP/api3.log" --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" || exit 1
req "$TA" "/v1/accounts/ACME1/partner-usage?month=2026-10" --cacert "$TMP/cert.pem"
check "TLS: https with the test certificate (curl --cacert) answers" "https|200|141" \
	"${URL%%:*}|$CODE|$(json total.month_to_date)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")
check "TLS: a client that does not trust the certificate is refused" "000" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://${URL#https://}/healthz")
check "TLS: plain HTTP to the TLS port gets no answer" "000" "$code"
# tls_version V: the protocol a client that offers TLS V alone (and every cipher) gets, or nothing.
tls_version() {
	timeout 10 openssl s_client -brief -connect "${URL#https://}" "-$1" -cipher 'ALL:@SECLEVEL=0' </dev/null 2>&1 |
		sed -n 's/^Protocol version: //p'
}
check "TLS: 1.2 and 1.3 are served, 1.0 and 1.1 (deprecated, RFC 8996) are refused" "TLSv1.2|TLSv1.3||" \
	"$(tls_version tls1_2)|$(tls_version tls1_3)|$(tls_version tls1_1)|$(tls_version tls1)"
stop_api
# A handshake that never ends is held to --header-timeout too: its first message sent a byte every 0.1 s (with
# --threads 1, epoll, which leaves a connection past the limit waiting rather than refuse it: its answer is not
# checked until they are closed).
start_api "$TMP/api-slowtls.log" --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" --header-timeout 1 \
	--max-connections 3 --threads 1 || exit 1
a="$(python3 "$CHECK" slow "$URL" 3)"
stop_api
check "TLS, --threads 1: three clients that send their ClientHello a byte every 0.1 s: each closed after --header-timeout, logged once; another answered after" \
	"3 closed 0 answered|200|3" \
	"${a%%|*}|${a##*|}|$(grep -cE '^pb-api: warning: http: closed the connection of 127\.0\.0\.1:[0-9]+: its request line and header fields were not all in within 1 s \(--header-timeout\)$' "$TMP/api-slowtls.log")"
"$API" --port 0 --tls-cert "$TMP/cert.pem" >"$TMP/out" 2>"$TMP/err"
check "--tls-cert without --tls-key: exit 2" "2|pb-api: TLS needs both --tls-cert and --tls-key" "$?|$(head -1 "$TMP/err")"
"$API" --port 0 --tls-cert "$TMP/nothing.pem" --tls-key "$TMP/key.pem" >"$TMP/out" 2>"$TMP/err"
check "a TLS file that cannot be read: exit 2" "2|pb-api: cannot open '$TMP/nothing.pem': No such file or directory" \
	"$?|$(grep -v 'notifications\|database' "$TMP/err")"
# A --database (or PB_DATABASE_URL) that is no connection string at all can never connect: the server does not
# start on it (it would answer 503 to every request until restarted), as the token commands do not, its password
# never shown. The timeout is for a server that starts all the same.
timeout 20 "$API" --port 0 --database 'postgresql://pb:s3cret%zz@127.0.0.1:1/x' >"$TMP/out" 2>"$TMP/err"
a=$?
PB_DATABASE_URL='postgresql://pb:s3cret@pw@127.0.0.1:1/x' timeout 20 "$API" --port 0 >"$TMP/out2" 2>"$TMP/err2"
b=$?
check "a --database or PB_DATABASE_URL that is not a valid connection string: exit 3 at the start, said once, no password" \
	"3|pb-api: cannot connect to the database: --database (or PB_DATABASE_URL) is not a valid connection string or URI (invalid percent-encoded token: \"...\"): correct it|3|pb-api: cannot connect to the database: --database (or PB_DATABASE_URL) is not a valid URI (an '@' after its user information: an '@' or a '/' in a password or a user name is written %40 or %2F, and in a database's name %40): correct it" \
	"$a|$(cat "$TMP/out" "$TMP/err")|$b|$(cat "$TMP/out2" "$TMP/err2")"
# Files that can be read but are not what they should be: exit 1, the file and its fault named, nothing started.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
	-keyout "$TMP/key2.pem" -out "$TMP/cert2.pem" >/dev/null 2>&1 || notok "openssl makes a second test certificate"
echo garbage >"$TMP/garbage.pem"
: >"$TMP/empty.pem"
openssl pkey -in "$TMP/key.pem" -aes256 -passout pass:secret -out "$TMP/enc8.pem" 2>/dev/null &&
	openssl ec -in "$TMP/key.pem" -aes256 -passout pass:secret -out "$TMP/enc1.pem" 2>/dev/null ||
	notok "openssl encrypts the test key"
# tls_refused NAME CERT KEY MESSAGE: pb-api with CERT and KEY exits 1 with MESSAGE alone on stderr.
tls_refused() {
	timeout 60 "$API" --port 0 --tls-cert "$2" --tls-key "$3" >"$TMP/out" 2>"$TMP/err"
	check "$1: exit 1, the file and its fault named" "1|pb-api: $4" "$?|$(cat "$TMP/err")"
}
tls_refused "garbage as the certificate" "$TMP/garbage.pem" "$TMP/key.pem" "--tls-cert $TMP/garbage.pem: not a PEM certificate"
tls_refused "an empty certificate file" "$TMP/empty.pem" "$TMP/key.pem" "--tls-cert $TMP/empty.pem: not a PEM certificate (the file is empty)"
tls_refused "a key that does not match the certificate" "$TMP/cert.pem" "$TMP/key2.pem" \
	"--tls-key $TMP/key2.pem: the key does not match the certificate in $TMP/cert.pem"
tls_refused "certificate and key swapped" "$TMP/key.pem" "$TMP/cert.pem" \
	"--tls-cert $TMP/key.pem: a private key, not a certificate (swapped with --tls-key?)"
tls_refused "the certificate as the key too" "$TMP/cert.pem" "$TMP/cert.pem" \
	"--tls-key $TMP/cert.pem: a certificate, not a private key (swapped with --tls-cert?)"
tls_refused "garbage as the key" "$TMP/cert.pem" "$TMP/garbage.pem" "--tls-key $TMP/garbage.pem: not a PEM private key"
tls_refused "an encrypted key (PKCS #8)" "$TMP/cert.pem" "$TMP/enc8.pem" \
	"--tls-key $TMP/enc8.pem: an encrypted key is not supported: give it decrypted (openssl pkey -in FILE -out FILE)"
tls_refused "an encrypted key (OpenSSL's traditional form)" "$TMP/cert.pem" "$TMP/enc1.pem" \
	"--tls-key $TMP/enc1.pem: an encrypted key is not supported: give it decrypted (openssl pkey -in FILE -out FILE)"

# ---- plain HTTP off loopback ------------------------------------------------------------------------------------------
for addr in 192.0.2.10 0.0.0.0 ::; do
	"$API" --listen $addr --port 0 >"$TMP/out" 2>"$TMP/err"
	check "plain HTTP on $addr (not loopback): refused, exit 2" \
		"2|pb-api: refusing plain HTTP on $addr, which is not a loopback address: give --tls-cert and --tls-key, or --allow-insecure-http behind a proxy that encrypts" \
		"$?|$(head -1 "$TMP/err")"
done
# A network namespace of the test's own, where 192.0.2.10 is a local address: the server listens there only.
cat >"$TMP/ns.sh" <<'NS'
ip link set lo up && ip addr add 192.0.2.10/32 dev lo || exit 9
"$1" --listen 192.0.2.10 --port 0 --allow-insecure-http >"$2" 2>&1 &
pid=$!
for i in $(seq 2400); do
	url=$(sed -n 's|^pb-api: listening on \(http://192\.0\.2\.10:[0-9]*\)$|\1|p' "$2" 2>/dev/null)
	[ -n "$url" ] && break
	sleep 0.05
done
curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $3" "$url/v1/accounts/ACME1/partner-usage?month=2026-10"
kill -TERM $pid
wait $pid
echo " $?"
NS
timeout 300 unshare -n bash "$TMP/ns.sh" "$API" "$TMP/api4.log" "$TA" >"$TMP/out" 2>&1
check "--allow-insecure-http: plain HTTP on 192.0.2.10 (in a network namespace of the test's own) serves" \
	"200 0" "$(cat "$TMP/out")"
# An IPv6 client holds a whole /64: --max-connections-per-client counts its addresses together, as the
# failed authentications are (otherwise one client could hold every connection, one address each). In a
# namespace of the test's own where all of 2001:db8::/48 is local: with 2 per client, three connections that
# never end their request from three addresses of one /64 (the third closed at once), and one from another
# /64 (kept).
cat >"$TMP/ns6.sh" <<'NS'
ip link set lo up && ip -6 addr add 2001:db8::1/128 dev lo && ip -6 route add local 2001:db8::/48 dev lo || exit 9
"$1" --listen 2001:db8::1 --port 0 --allow-insecure-http --max-connections-per-client 2 >"$2" 2>&1 &
pid=$!
for i in $(seq 2400); do
	port=$(sed -n 's|^pb-api: listening on http://\[2001:db8::1\]:\([0-9]*\)$|\1|p' "$2" 2>/dev/null)
	[ -n "$port" ] && break
	sleep 0.05
done
python3 - "$port" "$3" <<'PY'
import socket, sys, time
socks = []
for src in ("2001:db8::2", "2001:db8::3", "2001:db8::4", "2001:db8:0:1::2"):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND: an address of the local /48
    s.bind((src, 0))
    s.connect(("2001:db8::1", int(sys.argv[1])))
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    socks.append(s)
# Until the server has closed the third (30 s at most: a loaded machine), then 0.5 s more for the others.
sys.path.insert(0, sys.argv[2])
from api_check import is_closed as closed
deadline = time.monotonic() + 30
while not closed(socks[2]) and time.monotonic() < deadline:
    time.sleep(0.05)
time.sleep(0.5)
states = []
for s in socks:
    s.settimeout(0.3)
    try:
        states.append("closed" if s.recv(100) == b"" else "answered")
    except socket.timeout:
        states.append("open")
    except ConnectionResetError:
        states.append("closed")
print(" ".join(states))
PY
kill -TERM $pid
wait $pid
echo "$?"
NS
timeout 300 unshare -n bash "$TMP/ns6.sh" "$API" "$TMP/api9.log" "$(dirname "$CHECK")" >"$TMP/out" 2>&1
check "--max-connections-per-client counts an IPv6 client's /64 together: 2 kept, the third closed, another /64's kept" \
	"open open closed open
0" "$(cat "$TMP/out")"

"$API" --port 70000 >"$TMP/out" 2>"$TMP/err"
check "a bad option value: exit 2" "2|pb-api: --port takes a whole number from 0 to 65535, not '70000'" "$?|$(head -1 "$TMP/err")"
PB_API_LAST_USE_SECONDS=0 "$API" --port 0 >"$TMP/out" 2>"$TMP/err"
check "PB_API_LAST_USE_SECONDS out of range: exit 2" \
	"2|pb-api: PB_API_LAST_USE_SECONDS takes a whole number from 1 to 3600, not '0'" "$?|$(head -1 "$TMP/err")"
"$API" --listen localhost >"$TMP/out" 2>"$TMP/err"
check "--listen takes an address, not a name: exit 2" "2" "$?"
"$API" --help >"$TMP/out"
check "--help" "0|1" "$?|$(grep -c '^usage: pb-api' "$TMP/out")"
check "--version" "pb-api 0.1.0" "$("$API" --version)"

# ---- every response against the OpenAPI document ------------------------------------------------------------------
python3 "$CHECK" validate "$SPEC" "$TMP/manifest" >"$TMP/valid" 2>&1
check "every response of this test is valid against schemas/openapi.json" \
	"0|$NREQ of $NREQ responses valid against the OpenAPI document" "$?|$(tail -1 "$TMP/valid")"
[ -s "$TMP/valid" ] && [ "$(wc -l <"$TMP/valid")" -gt 1 ] && head -20 "$TMP/valid" | sed 's/^/#   /'

pb_tests_done
