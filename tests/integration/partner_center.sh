#!/usr/bin/env bash
# Integration tests of pb-ingest --format partner-center in export mode (no FILE): a token from a loopback
# Entra ID, a Graph billing export that is polled until it succeeds, and its blobs downloaded with the
# manifest's SAS, all served by tests/servers/pcserver.py, into a throwaway PostgreSQL cluster. Each case ends
# with exactly the totals the fixtures hold (computed by tests/fixtures/partner-center/expected.py) or with
# exit 3 and nothing committed. Every server is stopped when the script ends.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest
FIX=$ROOT/tests/fixtures/partner-center
. "$ROOT/tests/servers/lib.sh"

pb_test_tmp pc
pb_on_exit pb_test_cleanup

# Secrets hold the characters that form encoding must get right.
SECRET='Xy8Q~aB3.cD_eF-gH+iJ/kL='
export AZURE_TENANT_ID=4d6e2a1b-8c3f-4e5d-9a7b-0c1d2e3f4a5b AZURE_CLIENT_ID=9f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19
export AZURE_CLIENT_SECRET=$SECRET
G=/v1.0/reports/partners/billing
SRC_U=partner-center:unbilled:USD
SRC_B=partner-center:billed:G012345678

# The unbilled export is of the current month, the invoice of the last one: the fixtures' usage dates
# (2026-10-DD) move into those months; amounts, days and everything else stay as they are.
MONTH=$(date -u +%Y-%m)
LAST=$(date -u -d "$MONTH-01 -1 month" +%Y-%m)
remonth() { gzip -dc "$1" | sed "s/2026-10-/$2-/g" | gzip -nc >"$3"; }
remonth "$FIX/unbilled-part-00001.json.gz" "$MONTH" "$TMP/u1.json.gz"
remonth "$FIX/unbilled-part-00002.json.gz" "$MONTH" "$TMP/u2.json.gz"
remonth "$FIX/billed-part-00001.json.gz" "$LAST" "$TMP/b1.json.gz"
remonth "$FIX/unbilled-part-00001.json.gz" "$LAST" "$TMP/ul.json.gz"
for f in u1 u2 b1 ul; do [ -s "$TMP/$f.json.gz" ] || { notok "prepare $f"; pb_tests_done; exit 1; }; done
expected() { python3 "$FIX/expected.py" "$@" || echo "expected.py failed"; }
SUM_U=$(expected summary "$TMP/u1.json.gz" "$TMP/u2.json.gz")
TOT_U=$(expected totals "$TMP/u1.json.gz" "$TMP/u2.json.gz")
NAMES_U=$(expected names "$TMP/u1.json.gz" "$TMP/u2.json.gz")
SUM_B=$(expected summary "$TMP/b1.json.gz")
TOT_B=$(expected totals "$TMP/b1.json.gz")

pb_pc_start "$TMP/pc" >/dev/null || exit 1
export PB_PC_LOGIN_URL=$PC_URL PB_PC_GRAPH_URL=$PC_URL
pb_pc_config "{\"credentials\": {\"tenant\": \"$AZURE_TENANT_ID\", \"client_id\": \"$AZURE_CLIENT_ID\",
	\"client_secret\": \"$SECRET\"}, \"export\": {\"files\": [\"$TMP/u1.json.gz\", \"$TMP/u2.json.gz\"]}}" || exit 1

pb_test_cluster_start

# run NAME WANT_STATUS CMD...: stdout to $TMP/out, stderr to $TMP/err (both kept in $TMP/all.log).
run() {
	local name=$1 want=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	GOT=$?
	{
		echo "== $name: exit $GOT"
		cat "$TMP/out" "$TMP/err"
	} >>"$TMP/all.log"
	[ "$GOT" -eq "$want" ]
}
ingest() { "$PBI" --format partner-center --no-progress "$@"; }
# pj EXPR: a Python expression over the JSON on stdin (as d)
pj() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
last_op() { pb_pc_get operations | pj "d['operations'][-1]$1" 2>/dev/null; }
account_sums() { # the per-account totals of a source's committed import, as --summary prints them
	echo "partner_account_id,list_cost,billed_cost"
	pb_sql "SELECT u.partner_account_id, coalesce(trim_scale(sum(u.list_cost))::text, ''),
	coalesce(trim_scale(sum(u.billed_cost))::text, '') FROM pb.usage_daily u JOIN pb.import i ON i.id = u.import_id
	WHERE i.status = 'committed' AND i.source = '$1' GROUP BY 1 ORDER BY u.partner_account_id COLLATE \"C\""
}
committed() { pb_sql "SELECT id, source, assembly_id, row_count FROM pb.import WHERE status = 'committed' ORDER BY id" | tr '\n' ' '; }
import_id() { pb_sql "SELECT coalesce(max(id), 0) FROM pb.import WHERE status = 'committed' AND source = '$1'"; }
# the times (seconds since the server started) and statuses of the requests whose path matches a pattern
journal() { pb_pc_get requests | pj "' '.join('%s:%s' % (r['t'], r['status']) for r in d['requests'] if __import__('re').search(r'$1', r['path']))"; }
# spaced "T:S T:S...": 1 when every request came at least 0.95 s after the one before it
spaced() { python3 -c 'import sys; t = [float(x.split(":")[0]) for x in sys.argv[1].split()]; print(int(all(b - a >= 0.95 for a, b in zip(t, t[1:]))))' "$1"; }

# ---- an unbilled export of two blobs -------------------------------------------------------------------
if run summary 0 ingest --month "$MONTH" --summary && [ "$(cat "$TMP/out")" == "$SUM_U" ]; then
	ok "an unbilled export's --summary has the fixtures' exact per-account totals"
else
	notok "an unbilled export's --summary has the fixtures' exact per-account totals" \
		"status $GOT: $(diff <(echo "$SUM_U") "$TMP/out") $(cat "$TMP/err")"
fi
check "the export asked for this month's unbilled usage in USD, all attributes" \
	"unbilled {'currencyCode': 'USD', 'billingPeriod': 'current', 'attributeSet': 'full'}" \
	"$(last_op "['kind']") $(last_op "['request']")"
# Stored, the billing period is the month's against today by the database server's clock: with the machine's clock
# 45 days ahead (faketime; ASan runs with it preloaded first), this month is still the current period, not the last.
run store 0 env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime -f +45d \
	"$PBI" --format partner-center --no-progress --month "$MONTH"
N=$(import_id "$SRC_U")
ETAG=$(last_op "['manifest']['eTag']")
check "stored with the machine's clock 45 days ahead: the export asked for the current billing period" \
	"unbilled current" "$(last_op "['kind']") $(last_op "['request']['billingPeriod']")"
check "stored: the import line names the source, two files and the exact totals" \
	"import $N committed: azure $MONTH from $SRC_U: $TOT_U" "$(cat "$TMP/out" "$TMP/err")"
run older 2 ingest --month 2020-01
check "unbilled usage of a month before the last: exit 2, saying the server's today, nothing asked of Partner Center" \
	"2|pb-ingest: unbilled usage is of the current or the last month only (today is $(pb_sql "SELECT (now() AT TIME ZONE 'UTC')::date") by the database server's clock); give --invoice ID for an older month|$ETAG" \
	"$GOT|$(cat "$TMP/err")|$(last_op "['manifest']['eTag']")"
check "stored: the daily rows add up to the same per-account totals" "$SUM_U" "$(account_sums "$SRC_U")"
check "stored: vendor azure, the month, the manifest's eTag as assembly id" "azure,$MONTH-01,$ETAG" \
	"$(pb_sql "SELECT vendor, billing_month, assembly_id FROM pb.import WHERE id = ${N:-0}")"
check "stored: the customer names, with their line counts" "$NAMES_U" \
	"$(pb_sql "SELECT partner_account_id, name, line_count FROM pb.partner_account_name
	WHERE import_id = ${N:-0} AND vendor = 'azure' AND kind = 'customer_name'
	ORDER BY partner_account_id COLLATE \"C\", name COLLATE \"C\"" '|')"
SIG=$(last_op "['manifest']['sasToken']" | sed 's/.*&sig=//')
SIGD=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' "$SIG")
if pb_sql "SELECT f.uri FROM pb.import_file f WHERE f.import_id = $N UNION ALL SELECT coalesce(error, '') FROM pb.import" |
	grep -qF -e "$SIG" -e "$SIGD"; then
	notok "the SAS signature is not stored" "$(pb_sql "SELECT uri FROM pb.import_file WHERE import_id = $N")"
else
	ok "the SAS signature is not stored"
fi

# the same data again: its eTag is committed already
before=$(committed)
run again 0 ingest --month "$MONTH"
check "the same eTag again: nothing to do, exit 0, imports unchanged" \
	"0|assembly $ETAG of azure $MONTH from $SRC_U is committed already as import $N: nothing to do|$before" \
	"$GOT|$(cat "$TMP/out" "$TMP/err")|$(committed)"

# ---- a billed export, by invoice ---------------------------------------------------------------------
# Last month's unbilled usage first (as the nightly job takes it until the month closes).
pb_pc_config "{\"export\": {\"files\": [\"$TMP/ul.json.gz\"]}}"
run unbilled-last 0 ingest --month "$LAST" || notok "last month's unbilled usage" "$(cat "$TMP/err")"
NUL=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = '$SRC_U' AND billing_month = '$LAST-01'")
pb_pc_config "{\"export\": {\"files\": [\"$TMP/b1.json.gz\"]}}"
run billed 0 ingest --month "$LAST" --invoice G012345678
NB=$(import_id "$SRC_B")
check "a billed export: the invoice's import, exact totals" "import $NB committed: azure $LAST from $SRC_B: $TOT_B" \
	"$(cat "$TMP/out" "$TMP/err")"
check "a billed export: it asked for the invoice, all attributes; per-account totals" \
	"billed {'invoiceId': 'G012345678', 'attributeSet': 'full'}|$SUM_B" \
	"$(last_op "['kind']") $(last_op "['request']")|$(account_sums "$SRC_B")"
# The invoice's billed usage is what the unbilled usage was the month's estimate of: it replaces it (in its
# currency), or the month's Azure CSP usage would be billed twice. This month's unbilled import stays.
check "the invoice's billed usage supersedes the month's unbilled usage in its currency; this month's stays" \
	"${NUL:-?}|superseded ${N:-?}|committed" \
	"$(pb_sql "SELECT id || '|' || status FROM pb.import WHERE id IN (${NUL:-0}, ${N:-0}) ORDER BY billing_month" | paste -sd' ')"
# Unbilled usage of a month whose billed usage is in no longer counts: refused, nothing committed.
pb_pc_config "{\"export\": {\"files\": [\"$TMP/ul.json.gz\"]}}"
before=$(committed)
run unbilled-after 4 ingest --month "$LAST"
check "unbilled usage of a month whose invoice's billed usage is in: exit 4, naming it, nothing committed" \
	"4|pb-ingest: azure $LAST has the billed usage of a Partner Center invoice in USD (import $NB from $SRC_B): its unbilled usage in USD no longer counts|$before" \
	"$GOT|$(cat "$TMP/err")|$(committed)"
pb_pc_config "{\"export\": {\"files\": [\"$TMP/b1.json.gz\"]}}"

# An invoice's billed usage is the month's final data, but not while the month runs (today, here a test build's
# PB_TEST_TODAY, on or before its last day): stored as not final, with a warning naming the invoice and the day the
# month ends.
remonth "$FIX/billed-part-00001.json.gz" 2025-01 "$TMP/b-early.json.gz"
pb_pc_config "{\"export\": {\"files\": [\"$TMP/b-early.json.gz\"]}}"
run billed-early 0 env PB_TEST_TODAY=2025-01-31 "$PBI" --format partner-center --no-progress --month 2025-01 \
	--invoice G0EARLY
check "an invoice's billed usage, its month not ended: stored, not final, one warning naming the invoice" \
	"0|f|pb-ingest: warning: Partner Center invoice G0EARLY marks 2025-01 final (its billed usage), but the month has not ended: it ends on 2025-01-31 (UTC; today is 2025-01-31 by the database server's clock); stored as not final" \
	"$GOT|$(pb_sql "SELECT final FROM pb.import WHERE status = 'committed' AND source = 'partner-center:billed:G0EARLY'")|$(grep -v '^pb-ingest: import' "$TMP/err")"
check "the invoice of a month that is over: final" "t" "$(pb_sql "SELECT final FROM pb.import WHERE id = ${NB:-0}")"

# Unbilled usage stored under one currency's source holds that currency's lines only: a line in another stayed current
# once that currency's invoice replaced the rest (the Graph export gives one currency; a file given by hand may not).
gzip -dc "$TMP/u1.json.gz" | sed '2s/"BillingCurrency":"USD"/"BillingCurrency":"EUR"/; 2s/"PricingCurrency":"USD"/"PricingCurrency":"EUR"/' \
	>"$TMP/mixed.json"
before=$(committed)
run unbilled-mixed 1 ingest --month "$MONTH" --source "$SRC_U" "$TMP/mixed.json"
# The column of the value, after '"BillingCurrency":' (18 bytes).
col=$(sed -n 2p "$TMP/mixed.json" | grep -bo '"BillingCurrency"' | cut -d: -f1)
check "unbilled usage under the USD source with a line in EUR: exit 1 naming its line and column, nothing committed" \
	"1|pb-ingest: $TMP/mixed.json:2:$((col + 19)): BillingCurrency 'EUR' is not USD, the currency of the unbilled usage that source '$SRC_U' holds (a billed invoice in USD replaces it): store each currency's unbilled usage under its own|$before" \
	"$GOT|$(grep -v '^pb-ingest: import' "$TMP/err")|$(committed)"
run unbilled-lower 2 ingest --month "$MONTH" --source partner-center:unbilled:usd "$TMP/mixed.json"
check "an unbilled usage source whose currency is no code in capitals: exit 2, naming it" \
	"2|pb-ingest: --source partner-center:unbilled:CUR takes a currency code in capitals, such as USD, not 'partner-center:unbilled:usd'" \
	"$GOT|$(head -n 1 "$TMP/err")"

# ---- over https: the token endpoint behind a loopback TLS proxy whose certificate a test CA signed ------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/ca.key" -out "$TMP/ca.crt" -days 2 -subj /CN=pb-test-ca \
	>/dev/null 2>&1 && openssl req -newkey rsa:2048 -nodes -keyout "$TMP/tls.key" -out "$TMP/tls.csr" \
	-subj /CN=127.0.0.1 >/dev/null 2>&1 && printf 'subjectAltName=IP:127.0.0.1\n' >"$TMP/tls.ext" &&
	openssl x509 -req -in "$TMP/tls.csr" -CA "$TMP/ca.crt" -CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
		-extfile "$TMP/tls.ext" -out "$TMP/tls.crt" >/dev/null 2>&1 || notok "make a CA and a certificate"
pb_fault_start "$PC_URL" "" --tls-cert "$TMP/tls.crt" --tls-key "$TMP/tls.key" >/dev/null || exit 1
run tls-untrusted 3 env PB_PC_LOGIN_URL="$FAULT_ENDPOINT" "$PBI" --format partner-center --no-progress --summary \
	--month "$LAST" --invoice G012345678
check "the login endpoint over https without the CA: exit 3 naming it and what TLS said, no secret shown" \
	"3|1|0" "$GOT|$(grep -c "^pb-ingest: .*$FAULT_ENDPOINT/$AZURE_TENANT_ID/oauth2/v2.0/token.*SSL certificate problem: unable to get local issuer certificate" "$TMP/err")|$(grep -c -F "$SECRET" "$TMP/err")"
run tls-trusted 0 env PB_PC_LOGIN_URL="$FAULT_ENDPOINT" "$PBI" --format partner-center --no-progress --summary \
	--month "$LAST" --invoice G012345678 --cacert "$TMP/ca.crt"
check "the login endpoint over https with --cacert: the token, then the export's per-account totals" \
	"0|$SUM_B|1" "$GOT|$(cat "$TMP/out")|$(pb_fault_count 'oauth2/v2.0/token')"
pb_fault_stop

# ---- an operation that runs for three polls ----------------------------------------------------------
pb_pc_config "{\"export\": {\"files\": [\"$TMP/u1.json.gz\", \"$TMP/u2.json.gz\"], \"etag\": \"pc-polls-1\",
	\"polls_running\": 3}}"
curl -sS -X POST "$PC_URL/_pc/stats/reset" >/dev/null
run polls 0 ingest --month "$MONTH"
N=$(import_id "$SRC_U")
reqs=$(journal "/unbilled/export$|/operations/")
check "three polls running, then the totals: four polls, each after its Retry-After" \
	"import $N committed: azure $MONTH from $SRC_U: $TOT_U|4|notStarted running running succeeded|1" \
	"$(cat "$TMP/out" "$TMP/err")|$(pb_pc_stat polls)|$(last_op "['poll_statuses']" | tr -d "[],'")|$(spaced "$reqs")"
check "the operation's request log" "202 200 200 200 200" "$(tr ' ' '\n' <<<"$reqs" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')"

# ---- throttled: 429 with Retry-After on the export request -------------------------------------------
# Its Retry-After an HTTP-date 2 s after the answer's Date, from a server whose clock is an hour behind ours: the wait
# is counted from its Date (2 s), not taken as none (our own 1 s), nor as a date past. (The polls above take it in
# seconds.)
pb_pc_config '{"export": {"etag": "pc-429-1", "polls_running": 0, "throttle_first_post": 1, "throttle_retry_after": 2, "throttle_date_offset": -3600}}'
curl -sS -X POST "$PC_URL/_pc/stats/reset" >/dev/null
run throttled 0 ingest --month "$MONTH"
N=$(import_id "$SRC_U")
posts=$(journal "/unbilled/export$")
check "a 429 on the export request, its Retry-After an HTTP-date 2 s after its Date (an hour behind ours): sent again 2 s later, then the totals" \
	"import $N committed: azure $MONTH from $SRC_U: $TOT_U|2 1|429 202|1" \
	"$(cat "$TMP/out" "$TMP/err")|$(pb_pc_stat export_posts) $(pb_pc_stat throttled_posts)|$(tr ' ' '\n' <<<"$posts" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')|$(python3 -c 'import sys; t = [float(x.split(":")[0]) for x in sys.argv[1].split()]; print(int(len(t) == 2 and t[1] - t[0] >= 1.95))' "$posts")"
check "the rows are the same after each superseding import" "$SUM_U" "$(account_sums "$SRC_U")"
pb_pc_config '{"export": {"throttle_date_offset": null}}'

# ---- the manifest only behind its navigation link (Graph v1.0's documented example) ------------------
pb_pc_config '{"export": {"etag": "pc-link-1", "throttle_first_post": 0, "manifest_inline": false}}'
run linked 0 ingest --month "$MONTH"
N=$(import_id "$SRC_U")
check "a manifest behind resourceLocation@odata.navigationLink: read from there, the same totals" \
	"import $N committed: azure $MONTH from $SRC_U: $TOT_U|1" \
	"$(cat "$TMP/out" "$TMP/err")|$(journal "/manifests/" | wc -w)"
pb_pc_config '{"export": {"manifest_inline": true}}'

# ---- failures: exit 3, nothing committed -------------------------------------------------------------
before=$(committed)
pb_pc_config '{"export": {"etag": "pc-fail-1", "fail": {"code": "5000", "message": "No data available"}}}'
run failed 3 ingest --month "$MONTH"
st=$GOT
OPURL=$PC_URL$G/operations/$(last_op "['id']")
if [ "$st" -eq 3 ] && grep -q "^pb-ingest: " "$TMP/err" && grep -qF "$OPURL" "$TMP/err" && grep -q 5000 "$TMP/err" &&
	[ ! -s "$TMP/out" ] && [ "$(committed)" == "$before" ]; then
	ok "a failed operation: exit 3, the message names the operation and the error code, nothing committed"
else
	notok "a failed operation: exit 3, the message names the operation and the error code, nothing committed" \
		"status $st: $(cat "$TMP/out" "$TMP/err")"
fi

# A server's error message is shown, not obeyed: an escape sequence, an override (U+202E) and a line separator
# (U+2028) in it are escaped, so that it can neither clear the operator's terminal nor reverse or forge a line.
pb_pc_config '{"export": {"etag": "pc-fail-2", "fail": {"code": "5000", "message": "No\u001b[2J data\u202e!\u2028pb-ingest: ok"}}}'
run failed-escaped 3 ingest --month "$MONTH"
check "a failed operation's message from the server: its control and format characters escaped" \
	"3||pb-ingest: $PC_URL$G/operations/$(last_op "['id']"): the export failed: 5000: No\\x1b[2J data\\u202e!\\u2028pb-ingest: ok" \
	"$GOT|$(cat "$TMP/out")|$(cat "$TMP/err")"
pb_pc_config '{"export": {"etag": "pc-sas-1", "fail": false, "sas_expired": true}}'
run expired 3 ingest --month "$MONTH"
st=$GOT
BLOBROOT=$(last_op "['manifest']['rootDirectory']")
SIG=$(last_op "['manifest']['sasToken']" | sed 's/.*&sig=//')
SIGD=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' "$SIG")
named=$(grep -cE "^pb-ingest: $BLOBROOT/part-0000[0-9]*\.json(\.gz)?: HTTP 403 \(AuthenticationFailed\), not retried$" "$TMP/err")
stored=$(pb_sql "SELECT count(*) FROM pb.import i LEFT JOIN pb.import_file f ON f.import_id = i.id
	WHERE strpos(row_to_json(i)::text || coalesce(row_to_json(f)::text, ''), 'sig=') > 0")
if [ "$st" -eq 3 ] && [ "$named" -ge 1 ] && ! grep -qF -e "$SIG" -e "$SIGD" -e 'sig=' "$TMP/err" && [ ! -s "$TMP/out" ] &&
	[ "$stored" == 0 ] && [ "$(committed)" == "$before" ]; then
	ok "an expired SAS: exit 3, HTTP 403 (AuthenticationFailed) naming the blob without its SAS, nothing committed"
else
	notok "an expired SAS: exit 3, HTTP 403 (AuthenticationFailed) naming the blob without its SAS, nothing committed" \
		"status $st, $stored imports keep a sig=: $(cat "$TMP/out" "$TMP/err")"
fi

# The manifest's blobCount against the blobs it lists: a difference is a data error, exit 1, nothing read.
pb_pc_config '{"export": {"etag": "pc-count-1", "sas_expired": false, "blob_count": 7}}'
run blobcount 1 ingest --month "$MONTH"
check "a manifest whose blobCount is not the blobs it lists: exit 1 naming both figures, nothing committed" \
	"1|1|$before" "$GOT|$(grep -c 'the manifest declares 7 blobs (blobCount) but lists [0-9]*$' "$TMP/err")|$(committed)"
# A manifest listing one blob twice: its lines would count twice; exit 1 naming it, nothing read.
pb_pc_config "{\"export\": {\"etag\": \"pc-dup-1\", \"blob_count\": null, \"files\": [\"$TMP/u1.json.gz\", \"$TMP/u1.json.gz\"],
	\"blob_names\": [\"part-00001.json.gz\", \"part-00001.json.gz\"]}}" >/dev/null
run dupblob 1 ingest --month "$MONTH" --summary
OPURL=$PC_URL$G/operations/$(last_op "['id']")
check "a manifest listing a blob twice: exit 1 naming it, nothing printed" \
	"1|pb-ingest: $OPURL: blobs[1] (part-00001.json.gz) is blobs[0] again: its lines would count twice|" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
# An answer larger than the bound of an API answer (1 MiB): a manifest listing 6,000 blobs of long names,
# inline in the finished operation. Cut, it would be read as no operation at all; it is an error naming the URL.
python3 -c 'import json, sys; print(json.dumps({"export": {"etag": "pc-big-1", "blob_count": None,
	"files": [sys.argv[1]] * 6000, "blob_names": ["x" * 190 + "-%05d.json.gz" % i for i in range(6000)]}}))' \
	"$TMP/u1.json.gz" >"$TMP/big.json"
curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "@$TMP/big.json" "$PC_URL/_pc/config"
run bigmanifest 3 ingest --month "$MONTH"
OPURL=$PC_URL$G/operations/$(last_op "['id']")
check "an operation's answer over 1 MiB: exit 3 naming its URL and the bound, nothing committed" \
	"3|pb-ingest: GET $OPURL: the answer is larger than 1 MiB|$before" "$GOT|$(cat "$TMP/err")|$(committed)"
pb_pc_config "{\"export\": {\"files\": [\"$TMP/u1.json.gz\", \"$TMP/u2.json.gz\"], \"blob_names\": null}}" >/dev/null
pb_pc_config '{"export": {"etag": "pc-secret-1", "blob_count": null}}'
curl -sS -X POST "$PC_URL/_pc/stats/reset" >/dev/null
run badsecret 3 env AZURE_CLIENT_SECRET=NotTheSecret-42 "$PBI" --format partner-center --no-progress --month "$MONTH"
st=$GOT
if [ "$st" -eq 3 ] && grep -q "^pb-ingest: .*AADSTS7000215" "$TMP/err" &&
	grep -qF "$PC_URL/$AZURE_TENANT_ID/oauth2/v2.0/token" "$TMP/err" && ! grep -q NotTheSecret-42 "$TMP/err" &&
	[ "$(pb_pc_stat export_posts)" == 0 ] && [ "$(committed)" == "$before" ]; then
	ok "a bad client secret: exit 3 naming the token URL and AADSTS7000215, no secret shown, nothing exported"
else
	notok "a bad client secret: exit 3 naming the token URL and AADSTS7000215, no secret shown, nothing exported" \
		"status $st: $(cat "$TMP/out" "$TMP/err")"
fi

# The endpoint settings (for test servers) that the client secret and the token go to: https only, or plain http
# to a loopback address; anything else is refused at the start, exit 2, before a request is made. A loopback
# HTTP proxy (http_proxy) stands in for every other host and logs what reaches it.
mkdir -p "$TMP/nothing"
pb_headers_start "$TMP/nothing" >/dev/null || exit 1
for v in PB_PC_LOGIN_URL=http://login.example PB_PC_GRAPH_URL=http://graph.example:8080/ \
	PB_PC_LOGIN_URL=ftp://login.example PB_PC_GRAPH_URL=graph.example; do
	run hook 2 env "$v" http_proxy="$HEADERS_ENDPOINT" "$PBI" --format partner-center --no-progress --month "$MONTH"
	check "$v is refused at the start: exit 2, nothing sent" \
		"2|pb-ingest: ${v%%=*}: '${v#*=}' is not an https URL (plain http only to localhost, 127.0.0.1 or ::1)|0" \
		"$GOT|$(cat "$TMP/err")|$(pb_fault_settled "$HEADERS_LOG"; grep -c '^n=' "$HEADERS_LOG")"
done
pb_headers_stop

# ---- a token answer with a header line libcurl refuses -----------------------------------------------------
# A NUL byte in a header line: libcurl refuses the answer ("Nul byte in header"), and the login was asked 5 times
# over, 15 s of waits, as if the server were failing for a while; it gives the same answer again. Not retried.
pb_pc_config '{"token_nul_header": true}'
curl -sS -X POST "$PC_URL/_pc/stats/reset" >/dev/null
run nulheader 3 "$PBI" --format partner-center --no-progress --month "$MONTH"
check "a token answer with a NUL byte in a header line: exit 3 at once, one request, not retried" \
	"3|pb-ingest: POST $PC_URL/$AZURE_TENANT_ID/oauth2/v2.0/token: HTTP 200 with a header line libcurl refuses (Nul byte in header)|1" \
	"$GOT|$(cat "$TMP/err" "$TMP/out")|$(pb_pc_stat token_requests)"
pb_pc_config '{"token_nul_header": false}'

# ---- a manifest whose rootDirectory is not https ---------------------------------------------------------
# The blobs are ROOT/NAME?SAS: a rootDirectory over plain http to another host sent the SAS there in the clear, and
# a file:// one read the machine's own files as the export. Like the operation's Location and the manifest's link,
# it must be https (or plain http to a loopback address): else exit 3 naming it, before any blob is asked for. A
# loopback HTTP proxy (http_proxy, loopback addresses excepted) stands in for the other host and logs what reaches it.
mkdir -p "$TMP/nothing" "$TMP/local"
cp "$TMP/u1.json.gz" "$TMP/local/part-00001.json.gz"
pb_headers_start "$TMP/nothing" >/dev/null || exit 1
for root in http://storage.example/blob "file://$TMP/local"; do
	pb_pc_config "{\"export\": {\"files\": [\"$TMP/u1.json.gz\"], \"etag\": \"pc-root-1\", \"root_directory\": \"$root\"}}"
	curl -sS -X POST "$PC_URL/_pc/stats/reset" >/dev/null
	before=$(committed)
	run root 3 env http_proxy="$HEADERS_ENDPOINT" no_proxy=127.0.0.1 "$PBI" --format partner-center --no-progress --month "$MONTH"
	check "a manifest's rootDirectory $root: exit 3 naming it, no blob asked for, nothing committed" \
		"3|pb-ingest: the manifest's rootDirectory: '$root' is not an https URL (plain http only to localhost, 127.0.0.1 or ::1)|0|0|$before" \
		"$GOT|$(cat "$TMP/err" "$TMP/out")|$(pb_fault_settled "$HEADERS_LOG"; grep -c '^n=' "$HEADERS_LOG")|$(pb_pc_stat blob_gets)|$(committed)"
done
pb_headers_stop
pb_pc_config '{"export": {"root_directory": null}}'

# ---- an operation Location or a manifest link on another host ----------------------------------------------
# The Graph token was sent to whatever https (or loopback) URL the export's 202 Location or the operation's manifest
# link named, another host's too. It goes to PB_PC_GRAPH_URL's scheme, host and port only: else exit 3 naming the URL,
# before any request there. The header-logging server stands in for the other host.
pb_headers_start "$TMP/nothing" >/dev/null || exit 1
for c in "operation_base|manifest_base|the export operation's Location|$G/operations/" \
	"manifest_base|operation_base|the manifest's link|$G/manifests/"; do
	IFS='|' read -r key other what path <<<"$c"
	pb_pc_config "{\"export\": {\"files\": [\"$TMP/u1.json.gz\"], \"etag\": \"pc-$key\", \"manifest_inline\": false, \"retry_after\": 0, \"$key\": \"$HEADERS_ENDPOINT\", \"$other\": null}}"
	before=$(committed)
	run "$key" 3 ingest --month "$MONTH"
	id=$(last_op "['id']")
	[ "$key" == manifest_base ] && id=$(last_op "['manifest']['id']")
	check "$what on another host: exit 3 naming it, no request there, nothing committed" \
		"3|pb-ingest: $what: '$HEADERS_ENDPOINT$path$id' is not on the Graph host $PC_URL (PB_PC_GRAPH_URL): the token goes to no other|0|$before" \
		"$GOT|$(cat "$TMP/err" "$TMP/out")|$(pb_fault_settled "$HEADERS_LOG"; grep -c '^n=' "$HEADERS_LOG")|$(committed)"
done
pb_headers_stop
pb_pc_config '{"export": {"operation_base": null, "manifest_base": null, "manifest_inline": true, "retry_after": 1}}'

# ---- SIGTERM while the export runs --------------------------------------------------------------------------
# The waits between polls (up to 60 s each, for up to --poll-timeout, an hour by default), the retries' waits and
# the requests themselves looked at no signal: a run stopped while the export ran went on polling until the export
# ended or the operator's SIGKILL came. It now stops within the wait, says so and ends by the signal, nothing done.
pb_pc_config "{\"export\": {\"files\": [\"$TMP/u1.json.gz\"], \"etag\": \"pc-term-1\", \"polls_running\": 1000,
	\"retry_after\": 60}}"
curl -sS -X POST "$PC_URL/_pc/stats/reset" >/dev/null
before=$(committed)
"$PBI" --format partner-center --no-progress --month "$MONTH" >"$TMP/out" 2>"$TMP/err" &
pid=$!
# The export is asked for, and its answer asks for 60 s before the first poll: the signal comes in that wait.
asked() { [ "$(pb_pc_stat export_posts)" -ge 1 ]; }
pb_until 120 asked || notok "the export is asked for"
kill -TERM "$pid"
# Its exit, or 124 when it has not ended 120 s after the signal (then it is killed): 300 tries a tenth of a second
# apart were not always 30 s, nor enough for a sanitized build on a loaded machine.
st=124
if pb_until 120 eval "! kill -0 $pid 2>/dev/null"; then
	wait "$pid"
	st=$?
else
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
fi
check "SIGTERM while the export runs: the run stops in its wait for the next poll, by the signal, nothing committed" \
	"143|pb-ingest: interrupted by SIGTERM|0|$before" "$st|$(cat "$TMP/err" "$TMP/out")|$(pb_pc_stat polls)|$(committed)"

if grep -qF -e "$SECRET" -e "$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$SECRET")" \
	"$TMP/all.log" "$PC_LOG"; then
	notok "the client secret shows nowhere in the output or the server log" "$(grep -F "$SECRET" "$TMP/all.log" | head -3)"
else
	ok "the client secret shows nowhere in the output or the server log"
fi

pb_tests_done
