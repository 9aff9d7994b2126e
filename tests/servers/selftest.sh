#!/usr/bin/env bash
# Self-test of the test-server kit: starts s3rver, azurite, the fault proxy and pcserver on loopback, moves a
# few MB through them, injects each kind of fault and checks what curl sees, checks how s3rver authenticates,
# walks pcserver's token, export, blob and customer endpoints, and checks that everything is stopped (also
# by the EXIT trap of a test killed with SIGTERM). Ends with "N passed, N failed"; exit status non-zero on
# failure. Needs `npm ci --prefix tests/servers`.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pb-servers-selftest.XXXXXX") || exit 1
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	pb_servers_stop
	rm -rf "$TMP"
}
trap 'case $BASHPID in "$$") cleanup ;; esac' EXIT # only in this shell: see tests/lib.sh pb_on_exit

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
notok() {
	echo "not ok - $1"
	failed=$((failed + 1))
	if [ -n "${2:-}" ]; then head -20 <<<"$2" | sed 's/^/#   /'; fi
}
check() { if [ "$2" == "$3" ]; then ok "$1"; else notok "$1" "want: $2"$'\n'"got:  $3"; fi; }
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" == 0 ]
	exit
}
alive() { kill -0 "$1" 2>/dev/null; }
# server_pids PID...: the given pids and their children (the servers run under `timeout`)
server_pids() {
	local p
	for p in "$@"; do
		[ -n "$p" ] || continue
		echo "$p"
		_pb_children "$p"
	done | tr -s ' \n' '\n' | grep . | sort -u | tr '\n' ' '
}
# listening PID...: the sockets those pids listen on
listening() {
	local re
	re=$(server_pids "$@" | sed 's/ *$//; s/ /|/g')
	ss -Htlnp 2>/dev/null | grep -E "pid=($re)," | awk '{print $4}' || true
}

if ! pb_servers_installed; then
	notok "servers installed (run: npm ci --prefix tests/servers --no-audit --no-fund)"
	finish
fi

# ---- start -------------------------------------------------------------------------------------------
t0=$SECONDS
if pb_s3_start "$TMP/s3"; then ok "s3rver starts ($S3_ENDPOINT)"; else notok "s3rver starts"; finish; fi
if pb_azurite_start "$TMP/azurite"; then ok "azurite starts ($AZURITE_BLOB_ENDPOINT)"; else notok "azurite starts"; fi
case $S3_ENDPOINT in http://127.0.0.1:[0-9]*) ok "S3_ENDPOINT is on 127.0.0.1" ;; *) notok "S3_ENDPOINT is on 127.0.0.1" "$S3_ENDPOINT" ;; esac
socks=$(listening "$S3_PID" "${AZURITE_PID:-}")
if [ -n "$socks" ] && ! grep -qv '^127\.0\.0\.1:' <<<"$socks"; then
	ok "servers listen on 127.0.0.1 only ($(tr '\n' ' ' <<<"$socks" | sed 's/ $//'))"
else
	notok "servers listen on 127.0.0.1 only" "$socks"
fi
p=$(pb_free_port)
if [[ $p =~ ^[0-9]+$ ]] && ((p > 1024)) && python3 -c "import socket; socket.socket().bind(('127.0.0.1', $p))"; then
	ok "pb_free_port gives a bindable port ($p)"
else
	notok "pb_free_port gives a bindable port" "$p"
fi
# A port that refuses connections, and that no other process may take while the test holds it.
if pb_refused_port && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REFUSED_PORT/")" == 000 ] &&
	! python3 -c "import socket; socket.socket().bind(('127.0.0.1', $REFUSED_PORT))" 2>/dev/null; then
	ok "pb_refused_port gives a port that refuses connections and that no one else may bind ($REFUSED_PORT)"
else
	notok "pb_refused_port gives a port that refuses connections and that no one else may bind" "${REFUSED_PORT:-no port}"
fi

# ---- S3 ----------------------------------------------------------------------------------------------
BIG=$TMP/big.bin
head -c $((4 * 1024 * 1024 + 123)) /dev/urandom >"$BIG"
SIZE=$(stat -c %s "$BIG")
KEY="cur/2026-01/part 1.csv.gz" # a space, to exercise the key encoding
if pb_s3_mkbucket bkt; then ok "mkbucket"; else notok "mkbucket"; fi
if pb_s3_put bkt "$KEY" "$BIG" application/gzip; then ok "put $SIZE bytes"; else notok "put $SIZE bytes"; fi
pb_s3_put bkt other.txt "$HERE/package.json" text/plain >/dev/null || notok "put other.txt"
if pb_s3_get bkt "$KEY" "$TMP/direct" && cmp -s "$BIG" "$TMP/direct"; then
	ok "get from s3rver gives the same bytes"
else
	notok "get from s3rver gives the same bytes"
fi
ctype=$(pb_s3_curl -o /dev/null -w '%{content_type}' -I "$S3_ENDPOINT/bkt/cur/2026-01/part%201.csv.gz")
check "content type is kept" "application/gzip" "$ctype"
list=$(pb_s3_curl "$S3_ENDPOINT/bkt?list-type=2&prefix=cur/")
if grep -q "<Key>cur/2026-01/part 1.csv.gz</Key>" <<<"$list" && grep -q "<Size>$SIZE</Size>" <<<"$list"; then
	ok "ListObjectsV2 lists the key and its size"
else
	notok "ListObjectsV2 lists the key and its size" "$list"
fi
body=$(PB_S3_ACCESS_KEY=AKIDWRONG pb_s3_curl -w '\n%{http_code}' "$S3_ENDPOINT/bkt/other.txt")
if [ "${body##*$'\n'}" == 403 ] && grep -q '<Code>InvalidAccessKeyId</Code>' <<<"$body"; then
	ok "an unknown access key id gets 403 InvalidAccessKeyId"
else
	notok "an unknown access key id gets 403 InvalidAccessKeyId" "$body"
fi
code=$(PB_S3_SECRET_KEY=not-the-secret pb_s3_curl -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/bkt/other.txt")
check "s3rver does not verify SigV4 signatures (a wrong secret gets 200)" 200 "$code"
body=$(curl -sS --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER -w '\n%{http_code}' "$S3_ENDPOINT/bkt/other.txt")
if [ "${body##*$'\n'}" == 400 ] && grep -q 'x-amz-content-sha256' <<<"$body"; then
	ok "a SigV4 request without x-amz-content-sha256 gets 400"
else
	notok "a SigV4 request without x-amz-content-sha256 gets 400" "$body"
fi

# ---- fault proxy in front of s3rver ------------------------------------------------------------------
URLPATH=/bkt/cur/2026-01/part%201.csv.gz
if pb_fault_start "$S3_ENDPOINT" '1:500; 2:429:retry-after=1; 3:reset; 4:stall=30; 5:truncate=1000; 6:403'; then
	ok "fault proxy starts ($FAULT_ENDPOINT)"
else
	notok "fault proxy starts"
	finish
fi
U=$FAULT_ENDPOINT$URLPATH
# get URL OUT [CURL ARGS]: prints "HTTP_CODE CURL_EXIT"
get() {
	local url=$1 out=$2 code rc=0
	shift 2
	code=$(pb_s3_curl --max-time 10 -o "$out" -D "$TMP/headers" -w '%{http_code}' "$@" "$url" 2>"$TMP/curl.err") || rc=$?
	echo "$code $rc"
}
r=$(get "$U" "$TMP/r1")
check "fault 500: HTTP 500" "500 0" "$r"
grep -q '<Code>InternalError</Code>' "$TMP/r1" || notok "fault 500: S3 error body" "$(cat "$TMP/r1")"
r=$(get "$U" "$TMP/r2")
check "fault 429: HTTP 429" "429 0" "$r"
check "fault 429: Retry-After: 1" "Retry-After: 1" "$(grep -i '^retry-after:' "$TMP/headers" | tr -d '\r')"
r=$(get "$U" "$TMP/r3")
case $r in "000 56" | "000 52") ok "fault reset: curl exit 56 or 52 ($r)" ;; *) notok "fault reset: curl exit 56 or 52" "$r $(cat "$TMP/curl.err")" ;; esac
t=$SECONDS
r=$(get "$U" "$TMP/r4" --max-time 2)
check "fault stall: curl --max-time 2 times out (exit 28)" "000 28" "$r"
((SECONDS - t < 30)) || notok "fault stall: curl's timeout ends it, not the 30 s stall" "$((SECONDS - t)) s"
r=$(get "$U" "$TMP/r5")
check "fault truncate: status 200, curl exit 18" "200 18" "$r"
check "fault truncate: 1000 bytes arrive" 1000 "$(stat -c %s "$TMP/r5" 2>/dev/null)"
check "fault truncate: the real Content-Length is sent" "Content-Length: $SIZE" "$(grep -i '^content-length:' "$TMP/headers" | tr -d '\r')"
if cmp -s "$TMP/r5" <(head -c 1000 "$BIG"); then ok "fault truncate: the first 1000 bytes are right"; else notok "fault truncate: the first 1000 bytes are right"; fi
r=$(get "$U" "$TMP/r6")
check "fault 403: HTTP 403" "403 0" "$r"
r=$(get "$U" "$TMP/r7")
if [ "$r" == "200 0" ] && cmp -s "$BIG" "$TMP/r7"; then ok "request 7 passes through, same bytes"; else notok "request 7 passes through, same bytes" "$r"; fi
r=$(get "$FAULT_ENDPOINT/bkt/nokey" "$TMP/r8")
check "upstream's own errors pass through (404)" "404 0" "$r"
r=$(PB_S3_ACCESS_KEY=AKIDWRONG get "$U" "$TMP/r9")
if [ "$r" == "403 0" ] && grep -q InvalidAccessKeyId "$TMP/r9"; then ok "Authorization passes through unchanged (unknown key id: 403)"; else notok "Authorization passes through unchanged" "$r"; fi
# The proxy logs a request once done with it, which on a loaded machine can come after curl ended.
pb_fault_settled || notok "every request begun is in the request log (120 s)"
got=$(awk -v p="$URLPATH" '$4 == "path=" p { sub(/^fault=/, "", $6); printf "%s ", $6 }' "$FAULT_LOG")
check "request log: one line per attempt, with its fault" "500 429:retry-after=1 reset stall=30 truncate=1000 403 pass pass " "$got"
check "pb_fault_count counts attempts for a key" 8 "$(pb_fault_count " path=$URLPATH ")"
# an upload through the proxy: Expect: 100-continue and a streamed body
if S3_ENDPOINT=$FAULT_ENDPOINT pb_s3_put bkt up/through-proxy.bin "$BIG" && pb_s3_get bkt up/through-proxy.bin "$TMP/up" && cmp -s "$BIG" "$TMP/up"; then
	ok "a PUT through the proxy stores the same bytes"
else
	notok "a PUT through the proxy stores the same bytes"
fi
pb_fault_settled
grep -q "method=PUT path=/bkt/up/through-proxy.bin .* status=200 " "$FAULT_LOG" || notok "the PUT is logged" "$(tail -3 "$FAULT_LOG")"
stall_pids=$(server_pids "$FAULT_PID")
pb_fault_stop
left=""
for p in $stall_pids; do alive "$p" && left+=" $p"; done
check "pb_fault_stop stops the proxy during a stall" "" "$left"

# per path: the first request for each key fails once; curl's own retry then gets it
if pb_fault_start "$S3_ENDPOINT" 'per-path 1@/bkt/cur/*:503; *@/bkt/gone:404:code=NoSuchKey'; then
	U=$FAULT_ENDPOINT$URLPATH
	r=$(get "$U" "$TMP/p1" --retry 2 --retry-delay 0)
	if [ "$r" == "200 0" ] && cmp -s "$BIG" "$TMP/p1"; then ok "per-path: the retry gets the object"; else notok "per-path: the retry gets the object" "$r"; fi
	check "per-path: 2 attempts logged for the key" 2 "$(pb_fault_count " path=$URLPATH ")"
	check "per-path: the first attempt got 503" 1 "$(pb_fault_count " path=$URLPATH .*fault=503 status=503 ")"
	r=$(get "$U" "$TMP/p2")
	check "per-path: a key's second round passes" "200 0" "$r"
	r=$(get "$FAULT_ENDPOINT/bkt/cur/other-key" "$TMP/p3")
	check "per-path: another key's first request fails" "503 0" "$r"
	r=$(get "$FAULT_ENDPOINT/bkt/other.txt" "$TMP/p4")
	check "per-path: a path outside the glob passes" "200 0" "$r"
	check "'*' rule: every request for a path" "404 0" "$(get "$FAULT_ENDPOINT/bkt/gone" "$TMP/p5")"
	pb_fault_stop
else
	notok "fault proxy starts with a per-path script"
fi

# ---- fault proxy serving a folder --------------------------------------------------------------------
mkdir -p "$TMP/files/a"
cp "$BIG" "$TMP/files/a/big.bin"
printf '%s\n' '# a script file' '1@*.bin:truncate=100:rst' >"$TMP/faults.txt"
if pb_fault_start "$TMP/files" "$TMP/faults.txt"; then
	r=$(get "$FAULT_ENDPOINT/a/big.bin" "$TMP/d1")
	case $r in "200 18" | "200 56") ok "dir: truncate with rst ($r)" ;; *) notok "dir: truncate with rst" "$r" ;; esac
	r=$(get "$FAULT_ENDPOINT/a/big.bin" "$TMP/d2")
	if [ "$r" == "200 0" ] && cmp -s "$BIG" "$TMP/d2"; then ok "dir: then the file"; else notok "dir: then the file" "$r"; fi
	r=$(get "$FAULT_ENDPOINT/a/big.bin" "$TMP/d3" -r 100-199)
	if [ "$r" == "206 0" ] && cmp -s "$TMP/d3" <(head -c 200 "$BIG" | tail -c 100); then ok "dir: a byte range"; else notok "dir: a byte range" "$r"; fi
	check "dir: no escaping the folder" "404 0" "$(get "$FAULT_ENDPOINT/../../etc/passwd" "$TMP/d4" --path-as-is)"
	pb_fault_stop
else
	notok "fault proxy starts on a folder with a script file"
fi

# the answer's ETag replaced, removed or doubled, and If-Match dropped from the request (a folder with --etag)
if pb_fault_start "$TMP/files" '1:etag="v2"; 2:etag=; 3:etag=W/"x":dup; 4:noifmatch; 5:pass' --etag 34; then
	et=\"$(md5sum <"$BIG" | cut -d' ' -f1)\"
	etags() { curl -sS -o /dev/null -D - "$@" | tr -d '\r' | sed -n 's/^ETag: //Ip' | tr '\n' ' '; }
	check "etag=V: the answer's ETag replaced" '"v2" ' "$(etags "$FAULT_ENDPOINT/a/big.bin")"
	check "etag=: no ETag" "" "$(etags "$FAULT_ENDPOINT/a/big.bin")"
	check "etag=V:dup: the ETag, then V" "$et W/\"x\" " "$(etags "$FAULT_ENDPOINT/a/big.bin")"
	check "noifmatch: an If-Match that names no version is not seen (200)" "200" \
		"$(curl -sS -o /dev/null -w '%{http_code}' -H 'If-Match: "other"' "$FAULT_ENDPOINT/a/big.bin")"
	check "then it is (412)" "412" \
		"$(curl -sS -o /dev/null -w '%{http_code}' -H 'If-Match: "other"' "$FAULT_ENDPOINT/a/big.bin")"
	pb_fault_stop
else
	notok "fault proxy starts with ETag rules"
fi

# a server that logs header names, over https, and a proxy that redirects to it
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/tls.key" -out "$TMP/tls.crt" -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 &&
	pb_headers_start "$TMP/files" --tls-cert "$TMP/tls.crt" --tls-key "$TMP/tls.key"; then
	check "headers: the endpoint is https" "https" "${HEADERS_ENDPOINT%%://*}"
	r=$(curl -sS --max-time 10 --cacert "$TMP/tls.crt" -H 'X-Secret-Thing: value-not-logged' -o "$TMP/h1" \
		-w '%{http_code} 0' "$HEADERS_ENDPOINT/a/big.bin")
	if [ "$r" == "200 0" ] && cmp -s "$BIG" "$TMP/h1"; then ok "headers: serves the folder over TLS"; else notok "headers: serves the folder over TLS" "$r"; fi
	pb_fault_settled "$HEADERS_LOG"
	if grep -q ' path=/a/big.bin .* headers=host,user-agent,accept,x-secret-thing$' "$HEADERS_LOG" &&
		! grep -q value-not-logged "$HEADERS_LOG"; then
		ok "headers: the log has the header names, not their values"
	else
		notok "headers: the log has the header names, not their values" "$(cat "$HEADERS_LOG")"
	fi
	if pb_fault_start "$TMP/files" "1:redirect=${HEADERS_ENDPOINT##*:}; 2:redirect=1234:status=301"; then
		r=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$FAULT_ENDPOINT/a/big.bin?x=1")
		check "redirect: a 307 to the other port, path and query kept" \
			"307 http://127.0.0.1:${HEADERS_ENDPOINT##*:}/a/big.bin?x=1" "$r"
		check "redirect: status=301" "301" "$(curl -sS -o /dev/null -w '%{http_code}' "$FAULT_ENDPOINT/a/big.bin")"
		pb_fault_stop
	else
		notok "fault proxy starts with a redirect script"
	fi
	pb_headers_stop
else
	notok "a header-logging server starts over TLS"
fi

# a proxy that cannot start fails quickly and says why
err=$(pb_fault_start "$S3_ENDPOINT" '1:explode' 2>&1) && notok "a bad fault script is refused" "$err"
if grep -q "did not come up" <<<"$err" && grep -q "unknown action" <<<"$err"; then
	ok "a bad fault script is refused, with the proxy's message"
else
	notok "a bad fault script is refused, with the proxy's message" "$err"
fi

# ---- azurite -----------------------------------------------------------------------------------------
if [ -n "${AZURITE_PID:-}" ]; then
	if pb_azurite_mkcontainer billing && pb_azurite_mkcontainer billing; then ok "azurite: mkcontainer (twice)"; else notok "azurite: mkcontainer"; fi
	if pb_azurite_put billing "2026-01/export part.csv" "$BIG" text/csv; then ok "azurite: put blob"; else notok "azurite: put blob"; fi
	if pb_azurite_get billing "2026-01/export part.csv" "$TMP/az" && cmp -s "$BIG" "$TMP/az"; then ok "azurite: get gives the same bytes"; else notok "azurite: get gives the same bytes"; fi
	check "azurite: list" "2026-01/export part.csv" "$(node "$HERE/azput.mjs" list billing)"
	err=$(AZURITE_ACCOUNT_KEY=$(printf 'wrong-key-0123456789' | base64) node "$HERE/azput.mjs" get billing "2026-01/export part.csv" "$TMP/az2" 2>&1)
	if grep -q "HTTP 403" <<<"$err" && grep -q AuthorizationFailure <<<"$err"; then ok "azurite: a wrong key gets 403 AuthorizationFailure"; else notok "azurite: a wrong key gets 403" "$err"; fi
	if pb_fault_start "$AZURITE_BLOB_ENDPOINT" '1:503:code=ServerBusy'; then
		check "azurite behind the proxy: FAULT_ENDPOINT keeps the account path" "/$AZURITE_ACCOUNT" "/${FAULT_ENDPOINT##*/}"
		err=$(AZURITE_BLOB_ENDPOINT=$FAULT_ENDPOINT pb_azurite_get billing "2026-01/export part.csv" "$TMP/az3" 2>&1)
		if grep -q "HTTP 503" <<<"$err"; then ok "azurite behind the proxy: a 503"; else notok "azurite behind the proxy: a 503" "$err"; fi
		if AZURITE_BLOB_ENDPOINT=$FAULT_ENDPOINT pb_azurite_get billing "2026-01/export part.csv" "$TMP/az3" && cmp -s "$BIG" "$TMP/az3"; then
			ok "azurite behind the proxy: then the blob (Shared Key signature still valid)"
		else
			notok "azurite behind the proxy: then the blob"
		fi
		pb_fault_stop
	else
		notok "fault proxy starts in front of azurite"
	fi
fi

# ---- Partner Center / Graph / Entra ID (pcserver.py) -------------------------------------------------
# pj EXPR: evaluates a Python expression over the JSON on stdin (as d) and prints it
pj() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>/dev/null; }
# pc METHOD PATH [CURL ARGS]: a request to pcserver; body to $TMP/pc.body, headers to $TMP/pc.hdr; prints
# "HTTP_CODE CURL_EXIT"
pc() {
	local method=$1 path=$2 code rc=0
	shift 2
	code=$(curl -sS --max-time 10 -X "$method" -o "$TMP/pc.body" -D "$TMP/pc.hdr" -w '%{http_code}' "$@" \
		"$PC_URL$path" 2>"$TMP/curl.err") || rc=$?
	echo "$code $rc"
}
hdr() { grep -i "^$1:" "$TMP/pc.hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
token() { # token SCOPE [SECRET]: prints an access token, or nothing
	curl -sS -X POST "$PC_URL/tid-7/oauth2/v2.0/token" -d grant_type=client_credentials -d client_id=app-7 \
		--data-urlencode "client_secret=${2:-Top+Secret/7=}" --data-urlencode "scope=$1/.default" | pj 'd["access_token"]'
}
G=/v1.0/reports/partners/billing
mkdir -p "$TMP/pc/data"
printf '{"CustomerId":"c1","UnitPrice":0.0123456789012345678901}\n' | gzip -n >"$TMP/pc/data/p1.json.gz"
head -c 300000 /dev/urandom | gzip -n >"$TMP/pc/data/p2.json.gz"
printf '{"credentials": {"tenant": "tid-7", "client_id": "app-7", "client_secret": "Top+Secret/7="},\n "export": {"files": ["data/p1.json.gz", "data/p2.json.gz"]}}\n' >"$TMP/pc/config.json"
if pb_pc_start "$TMP/pc" "$TMP/pc/config.json"; then ok "pcserver starts with a config file ($PC_URL)"; else notok "pcserver starts"; finish; fi
socks=$(listening "$PC_PID")
if [ -n "$socks" ] && ! grep -qv '^127\.0\.0\.1:' <<<"$socks"; then ok "pcserver listens on 127.0.0.1 only"; else notok "pcserver listens on 127.0.0.1 only" "$socks"; fi
err=$(pb_pc_config '{"export": {"polls": 2}}' 2>&1) && notok "an unknown setting is refused" "$err"
check "an unknown setting is refused with the server's reason" \
	'pb-servers: pb_pc_config: HTTP 400: {  "error": "export.polls: unknown setting"}' "$(tr -d '\n' <<<"$err")"

# tokens
r=$(pc POST /tid-7/oauth2/v2.0/token -d grant_type=client_credentials -d client_id=app-7 \
	--data-urlencode 'client_secret=Top+Secret/7=' --data-urlencode 'scope=https://graph.microsoft.com/.default')
check "token: 200 Bearer, expires_in 3599, a JWT-shaped token" "200 0|Bearer|3599|3599|3" \
	"$r|$(pj 'd["token_type"]' <"$TMP/pc.body")|$(pj 'd["expires_in"]' <"$TMP/pc.body")|$(pj 'd["ext_expires_in"]' <"$TMP/pc.body")|$(pj 'len(d["access_token"].split("."))' <"$TMP/pc.body")"
r=$(pc POST /tid-7/oauth2/v2.0/token -d grant_type=client_credentials -d client_id=app-7 \
	-d client_secret=wrong -d scope=https://graph.microsoft.com/.default)
check "token: a wrong secret gets 401 invalid_client AADSTS7000215" \
	"401 0|invalid_client|AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'app-7'.|[7000215]" \
	"$r|$(pj 'd["error"]' <"$TMP/pc.body")|$(pj 'd["error_description"].split("\r\n")[0]' <"$TMP/pc.body")|$(pj 'd["error_codes"]' <"$TMP/pc.body")"
r=$(pc POST /tid-8/oauth2/v2.0/token -d grant_type=client_credentials -d client_id=app-7 \
	-d client_secret=x -d scope=https://graph.microsoft.com/.default)
check "token: an unknown tenant gets 400 invalid_request AADSTS90002" "400 0|invalid_request|AADSTS90002: Tenant 'tid-8' not found." \
	"$r|$(pj 'd["error"]' <"$TMP/pc.body")|$(pj 'd["error_description"][:38]' <"$TMP/pc.body")"
r=$(pc POST /tid-7/oauth2/v2.0/token -d grant_type=client_credentials -d client_id=app-7 -d client_secret=x -d scope=https://graph.microsoft.com)
check "token: a scope without /.default gets 400 invalid_scope AADSTS1002012" "400 0|invalid_scope|[1002012]" \
	"$r|$(pj 'd["error"]' <"$TMP/pc.body")|$(pj 'd["error_codes"]' <"$TMP/pc.body")"
GT=$(token https://graph.microsoft.com)
PT=$(token https://api.partnercenter.microsoft.com)

# exports
UB='{"currencyCode":"USD","billingPeriod":"current","attributeSet":"full"}'
JS=(-H 'Content-Type: application/json')
r=$(pc POST $G/usage/unbilled/export "${JS[@]}" -d "$UB")
check "export without a token: 401 InvalidAuthenticationToken" "401 0|InvalidAuthenticationToken|Access token is empty." \
	"$r|$(pj 'd["error"]["code"]' <"$TMP/pc.body")|$(pj 'd["error"]["message"]' <"$TMP/pc.body")"
r=$(pc POST $G/usage/unbilled/export "${JS[@]}" -H "Authorization: Bearer $PT" -d "$UB")
check "export with a Partner Center token: 401, invalid audience" "401 0|Access token validation failure. Invalid audience." \
	"$r|$(pj 'd["error"]["message"]' <"$TMP/pc.body")"
r=$(pc POST $G/usage/unbilled/export "${JS[@]}" -H "Authorization: Bearer $GT" -d '{"currencyCode":"USD","billingPeriod":"next"}')
check "export with a bad billingPeriod: 400 BadRequest" \
	"400 0|BadRequest|Cannot convert the literal 'next' to the expected type 'microsoft.graph.partners.billing.billingPeriod'." \
	"$r|$(pj 'd["error"]["code"]' <"$TMP/pc.body")|$(pj 'd["error"]["message"]' <"$TMP/pc.body")"
r=$(pc POST $G/usage/billed/export "${JS[@]}" -H "Authorization: Bearer $GT" -d '{"attributeSet":"full"}')
check "billed export without invoiceId: 400" "400 0|The parameter 'invoiceId' is required for the operation 'export'." \
	"$r|$(pj 'd["error"]["message"]' <"$TMP/pc.body")"
pb_pc_config '{"export": {"polls_running": 2}}'
r=$(pc POST $G/usage/unbilled/export "${JS[@]}" -H "Authorization: Bearer $GT" -d "$UB")
LOC=$(hdr Location)
if [ "$r" == "202 0" ] && [ ! -s "$TMP/pc.body" ] && [[ $LOC =~ ^$PC_URL$G/operations/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] &&
	[ "$(hdr Retry-After)" == 1 ]; then
	ok "export: 202, empty body, Location of the operation, Retry-After: 1"
else
	notok "export: 202, empty body, Location of the operation, Retry-After: 1" "$r $LOC $(cat "$TMP/pc.hdr")"
fi
got=""
for _ in 1 2 3; do
	pc GET "${LOC#"$PC_URL"}" -H "Authorization: Bearer $GT" >/dev/null
	got+="$(pj 'd["status"] + " " + d["@odata.type"].rsplit(".", 1)[1]' <"$TMP/pc.body") $(hdr Retry-After);"
done
check "polls: notStarted, running (with Retry-After), then succeeded" \
	"notStarted runningOperation 1;running runningOperation 1;succeeded exportSuccessOperation ;" "$got"
cp "$TMP/pc.body" "$TMP/pc.op1"
ROOT=$(pj 'd["resourceLocation"]["rootDirectory"]' <"$TMP/pc.op1")
SAS=$(pj 'd["resourceLocation"]["sasToken"]' <"$TMP/pc.op1")
ETAG1=$(pj 'd["resourceLocation"]["eTag"]' <"$TMP/pc.op1")
check "manifest: schema 2, compressedJSON, default partition, two blobs" \
	"2|compressedJSON|default|2|part-00001.json.gz default,part-00002.json.gz default" \
	"$(pj '"|".join([d["resourceLocation"][k] for k in ("schemaVersion", "dataFormat", "partitionType")]) + "|" + str(d["resourceLocation"]["blobCount"]) + "|" + ",".join(b["name"] + " " + b["partitionValue"] for b in d["resourceLocation"]["blobs"])' <"$TMP/pc.op1")"
if [[ $ROOT == "$PC_URL/blob/unbilledusagefastpath/v1/PartnerTenantId="*"/BillingPeriod=current/Currency=USD/Fragment=full/"* ]] &&
	[[ $SAS =~ ^skoid=.*\&sv=2023-11-03\&se=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}%3A[0-9]{2}%3A[0-9]{2}Z\&sr=d\&sp=rl\&sdd=[0-9]+\&sig=[A-Za-z0-9%]+%3D$ ]] &&
	[[ $SAS == *%2B* && $SAS == *%2F* ]]; then
	ok "manifest: rootDirectory under $PC_URL/blob/, a directory SAS with a percent-encoded signature"
else
	notok "manifest: rootDirectory and SAS" "$ROOT?$SAS"
fi
r=$(pc GET "${ROOT#"$PC_URL"}/part-00002.json.gz?$SAS")
if [ "$r" == "200 0" ] && cmp -s "$TMP/pc.body" "$TMP/pc/data/p2.json.gz" &&
	[ "$(hdr Content-Length)" == "$(stat -c %s "$TMP/pc/data/p2.json.gz")" ] && [[ $(hdr ETag) =~ ^\"0x8D[0-9A-F]{13}\"$ ]] &&
	[ "$(hdr Content-MD5)" == "$(python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.md5(open(sys.argv[1], "rb").read()).digest()).decode())' "$TMP/pc/data/p2.json.gz")" ]; then
	ok "blob: the file's bytes, with Content-Length, ETag and Content-MD5"
else
	notok "blob: the file's bytes, with Content-Length, ETag and Content-MD5" "$r $(cat "$TMP/pc.hdr")"
fi
r=$(pc GET "${ROOT#"$PC_URL"}/part-00002.json.gz?$SAS" -r 100-199)
if [ "$r" == "206 0" ] && cmp -s "$TMP/pc.body" <(head -c 200 "$TMP/pc/data/p2.json.gz" | tail -c 100); then ok "blob: a byte range"; else notok "blob: a byte range" "$r"; fi
r=$(pc GET "${ROOT#"$PC_URL"}/part-00001.json.gz?${SAS//%2B/+}")
check "blob: a signature decoded once too often (+ for %2B) gets 403 AuthenticationFailed" \
	"403 0|AuthenticationFailed|application/xml|<Code>AuthenticationFailed</Code>|Signature did not match" \
	"$r|$(hdr x-ms-error-code)|$(hdr Content-Type)|$(grep -o '<Code>[^<]*</Code>' "$TMP/pc.body")|$(grep -o 'Signature did not match' "$TMP/pc.body")"
r=$(pc GET "${ROOT#"$PC_URL"}/part-00001.json.gz")
check "blob: no SAS gets 404 ResourceNotFound" "404 0|ResourceNotFound" "$r|$(hdr x-ms-error-code)"
r=$(pc GET "${ROOT#"$PC_URL"}/part-00003.json.gz?$SAS")
check "blob: no such blob gets 404 BlobNotFound" "404 0|BlobNotFound" "$r|$(hdr x-ms-error-code)"

# the same files give the same eTag; throttling; a failed operation; an expired SAS; a billed export
pb_pc_config '{"export": {"polls_running": 0, "throttle_first_post": 1, "throttle_retry_after": 2}}'
r=$(pc POST $G/usage/unbilled/export "${JS[@]}" -H "Authorization: Bearer $GT" -d "$UB")
check "throttle: 429 TooManyRequests with Retry-After" "429 0|2|TooManyRequests" "$r|$(hdr Retry-After)|$(pj 'd["error"]["code"]' <"$TMP/pc.body")"
r=$(pc POST $G/usage/unbilled/export "${JS[@]}" -H "Authorization: Bearer $GT" -d "$UB")
LOC=$(hdr Location)
pc GET "${LOC#"$PC_URL"}" -H "Authorization: Bearer $GT" >/dev/null
check "throttle: then 202, and the same files give the same eTag" "202 0|succeeded|$ETAG1" \
	"$r|$(pj 'd["status"]' <"$TMP/pc.body")|$(pj 'd["resourceLocation"]["eTag"]' <"$TMP/pc.body")"
MID=$(pj 'd["resourceLocation"]["id"]' <"$TMP/pc.body")
r=$(pc GET "$G/manifests/$MID" -H "Authorization: Bearer $GT")
check "the manifest on its own" "200 0|$MID|$ETAG1" "$r|$(pj 'd["id"]' <"$TMP/pc.body")|$(pj 'd["eTag"]' <"$TMP/pc.body")"
pb_pc_config '{"export": {"fail": {"code": "5000", "message": "No data available"}}}'
pc POST $G/usage/unbilled/export "${JS[@]}" -H "Authorization: Bearer $GT" -d "$UB" >/dev/null
LOC=$(hdr Location)
pc GET "${LOC#"$PC_URL"}" -H "Authorization: Bearer $GT" >/dev/null
check "a failed operation: status failed, error code and message" "failed|failedOperation|5000|No data available" \
	"$(pj '"|".join([d["status"], d["@odata.type"].rsplit(".", 1)[1], d["error"]["code"], d["error"]["message"]])' <"$TMP/pc.body")"
pb_pc_config '{"export": {"fail": false, "sas_expired": true, "etag": "Etag-Expired"}}'
pc POST $G/usage/unbilled/export "${JS[@]}" -H "Authorization: Bearer $GT" -d "$UB" >/dev/null
LOC=$(hdr Location)
pc GET "${LOC#"$PC_URL"}" -H "Authorization: Bearer $GT" >/dev/null
R2=$(pj 'd["resourceLocation"]["rootDirectory"]' <"$TMP/pc.body")
S2=$(pj 'd["resourceLocation"]["sasToken"]' <"$TMP/pc.body")
check "etag setting" "Etag-Expired" "$(pj 'd["resourceLocation"]["eTag"]' <"$TMP/pc.body")"
r=$(pc GET "${R2#"$PC_URL"}/part-00001.json.gz?$S2")
if [ "$r|$(hdr x-ms-error-code)|$(hdr Content-Type)" == "403 0|AuthenticationFailed|application/xml" ] &&
	[ "$(head -c 3 "$TMP/pc.body" | od -An -tx1 | tr -d ' ')" == efbbbf ] &&
	grep -q '^<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.$' <(tail -c +4 "$TMP/pc.body") &&
	grep -Eq '<AuthenticationErrorDetail>Signed expiry time \[[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT\] must be after signed start time \[[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT\]</AuthenticationErrorDetail></Error>$' "$TMP/pc.body"; then
	ok "an expired SAS: 403 AuthenticationFailed, Azure's XML (after a BOM), the expiry detail"
else
	notok "an expired SAS: 403 AuthenticationFailed with Azure's XML" "$r $(cat "$TMP/pc.hdr" "$TMP/pc.body")"
fi
pb_pc_config '{"export": {"sas_expired": false, "etag": null, "files": ["data/p1.json.gz"]}}'
r=$(pc POST $G/usage/billed/export "${JS[@]}" -H "Authorization: Bearer $GT" -d '{"invoiceId":"G012345678","attributeSet":"full"}')
LOC=$(hdr Location)
pc GET "${LOC#"$PC_URL"}" -H "Authorization: Bearer $GT" >/dev/null
R3=$(pj 'd["resourceLocation"]["rootDirectory"]' <"$TMP/pc.body")
S3=$(pj 'd["resourceLocation"]["sasToken"]' <"$TMP/pc.body")
r2=$(pc GET "${R3#"$PC_URL"}/part-00001.json.gz?$S3")
if [ "$r|$r2" == "202 0|200 0" ] && [[ $R3 == "$PC_URL/blob/billedusagefastpath/v1/PartnerTenantId="*"/InvoiceId=G012345678/"* ]] &&
	cmp -s "$TMP/pc.body" "$TMP/pc/data/p1.json.gz"; then
	ok "a billed export: its invoice's folder, one blob"
else
	notok "a billed export: its invoice's folder, one blob" "$r $r2 $R3"
fi
r=$(pc GET "${R3#"$PC_URL"}/part-00001.json.gz?$SAS")
check "a SAS does not open another export's folder" "403 0|AuthenticationFailed" "$r|$(hdr x-ms-error-code)"
check "stats count each kind of request" \
	'{"token_requests": 6, "tokens_issued": 3, "export_posts": 10, "throttled_posts": 1, "polls": 7, "manifest_gets": 1, "blob_gets": 8, "blob_auth_failures": 3}' \
	"$(pb_pc_get stats | pj 'json.dumps({k: d[k] for k in ("token_requests", "tokens_issued", "export_posts", "throttled_posts", "polls", "manifest_gets", "blob_gets", "blob_auth_failures")})')"
pb_pc_get requests | pj '[r["status"] for r in d["requests"] if r["path"].endswith("/unbilled/export")]' >"$TMP/pc.j"
check "the request journal" "[401, 401, 400, 202, 429, 202, 202, 202]" "$(cat "$TMP/pc.j")"
if ! grep -q 'Top+Secret/7=' "$PC_LOG" && ! grep -q 'sig=' "$PC_LOG" && grep -q '^pcserver: POST /tid-7/oauth2/v2.0/token 401$' "$PC_LOG"; then
	ok "the log has one line per request, and neither the secret nor a signature"
else
	notok "the log has one line per request, and neither the secret nor a signature" "$(head -5 "$PC_LOG")"
fi

# Partner Center customers
CB='{"CompanyProfile":{"Domain":"WingtipToys7.onmicrosoft.com"},"BillingProfile":{"Email":"gena@wingtiptoys.com","Culture":"EN-US","Language":"En","CompanyName":"Wingtip Toys","DefaultAddress":{"Country":"US","City":"Redmond","State":"WA","AddressLine1":"One Microsoft Way","PostalCode":"98052","FirstName":"Gena","LastName":"Soto","PhoneNumber":"4255550101"}}}'
PA=(-H "Authorization: Bearer $PT" -H 'Content-Type: application/json')
r=$(pc POST /v1/customers -H "Authorization: Bearer $GT" -H 'Content-Type: application/json' -d "$CB")
check "customers: a Graph token gets 401" "401 0|PartnerFD" "$r|$(pj 'd["source"]' <"$TMP/pc.body")"
r=$(pc POST /v1/customers "${PA[@]}" -H 'MS-RequestId: req-1' -H 'MS-CorrelationId: corr-1' -d "$CB")
CID=$(pj 'd["id"]' <"$TMP/pc.body")
check "customers: create, 201 with the customer, request and correlation ids echoed" \
	"201 0|req-1|corr-1|$CID|wingtiptoys7.onmicrosoft.com|reseller|Customer|Redmond" \
	"$r|$(hdr MS-RequestId)|$(hdr MS-CorrelationId)|$(pj 'd["companyProfile"]["tenantId"]' <"$TMP/pc.body")|$(pj 'd["companyProfile"]["domain"]' <"$TMP/pc.body")|$(pj 'd["relationshipToPartner"]' <"$TMP/pc.body")|$(pj 'd["attributes"]["objectType"]' <"$TMP/pc.body")|$(pj 'd["billingProfile"]["defaultAddress"]["city"]' <"$TMP/pc.body")"
r=$(pc POST /v1/customers "${PA[@]}" -H 'MS-RequestId: req-1' -d "$CB")
check "customers: the same MS-RequestId again returns the same customer" "201 0|$CID" "$r|$(pj 'd["id"]' <"$TMP/pc.body")"
r=$(pc POST /v1/customers "${PA[@]}" -H 'MS-RequestId: req-2' -d "$CB")
check "customers: the domain under another request id gets 409" "409 0|2001|PartnerFD" \
	"$r|$(pj 'd["code"]' <"$TMP/pc.body")|$(pj 'd["source"]' <"$TMP/pc.body")"
r=$(pc POST /v1/customers "${PA[@]}" -H 'MS-RequestId: req-3' -d '{"CompanyProfile":{"Domain":"x.onmicrosoft.com"}}')
check "customers: a body without a billing profile gets 400" "400 0|BillingProfile.Email is required." "$r|$(pj 'd["description"]' <"$TMP/pc.body")"
check "customers: get by id, 404 for an unknown one" "200 0|$CID|404 0" \
	"$(pc GET "/v1/customers/$CID" "${PA[@]}")|$(pj 'd["id"]' <"$TMP/pc.body")|$(pc GET /v1/customers/00000000-0000-0000-0000-000000000000 "${PA[@]}")"
check "domains: HEAD gives 200 for a taken domain, 404 for a free one" "200 0|404 0" \
	"$(pc HEAD /v1/domains/wingtiptoys7.onmicrosoft.com "${PA[@]}" -I)|$(pc HEAD /v1/domains/free7.onmicrosoft.com "${PA[@]}" -I)"
pb_pc_config '{"customers": {"create_delay_seconds": 3}}'
CB2=${CB//WingtipToys7/Fabrikam7}
t=$SECONDS
r=$(pc POST /v1/customers "${PA[@]}" -H 'MS-RequestId: req-4' -d "$CB2" --max-time 1)
r2=$(pc POST /v1/customers "${PA[@]}" -H 'MS-RequestId: req-4' -d "$CB2")
CID2=$(pj 'd["id"]' <"$TMP/pc.body")
check "customers: a create that times out (curl exit 28), then its retry finds the customer" "000 28|201 0|fabrikam7.onmicrosoft.com" \
	"$r|$r2|$(pj 'd["companyProfile"]["domain"]' <"$TMP/pc.body")"
((SECONDS - t < 30)) || notok "customers: the retry does not hang" "$((SECONDS - t)) s"
pb_pc_config '{"customers": {"fail_next_create_status": 503}}'
r=$(pc POST /v1/customers "${PA[@]}" -H 'MS-RequestId: req-5' -d "${CB//WingtipToys7/Contoso7}")
r2=$(pc POST /v1/customers "${PA[@]}" -H 'MS-RequestId: req-5' -d "${CB//WingtipToys7/Contoso7}")
check "customers: fail_next_create_status fails one create, which creates nothing" "503 0|201 0" "$r|$r2"
r=$(pc GET '/v1/customers?size=2' "${PA[@]}")
TOKEN_NEXT=$(pj 'd["continuationToken"]' <"$TMP/pc.body")
check "customers: a page of 2, with a continuation token" "200 0|2|$CID $CID2|Collection" \
	"$r|$(pj 'd["totalCount"]' <"$TMP/pc.body")|$(pj '" ".join(c["id"] for c in d["items"])' <"$TMP/pc.body")|$(pj 'd["attributes"]["objectType"]' <"$TMP/pc.body")"
r=$(pc GET '/v1/customers?size=2' "${PA[@]}" -H "MS-ContinuationToken: $TOKEN_NEXT")
check "customers: the next page" "200 0|1|contoso7.onmicrosoft.com|False" \
	"$r|$(pj 'd["totalCount"]' <"$TMP/pc.body")|$(pj 'd["items"][0]["companyProfile"]["domain"]' <"$TMP/pc.body")|$(pj '"continuationToken" in d' <"$TMP/pc.body")"
check "customers: stats" "customer_posts 9, customers_created 3" \
	"$(pb_pc_get stats | pj '"customer_posts %d, customers_created %d" % (d["customer_posts"], d["customers_created"])')"
curl -sS -X POST "$PC_URL/_pc/reset" >/dev/null
check "reset: back to the config file's state" "0|1|[]" \
	"$(pb_pc_stat export_posts)|$(pb_pc_get config | pj 'len(d["export"]["files"]) - 1')|$(pb_pc_get operations | pj 'd["operations"]')"

# ---- stopping ----------------------------------------------------------------------------------------
pids=$(server_pids "$S3_PID" "${AZURITE_PID:-}" "${PC_PID:-}")
pb_servers_stop
left=""
for p in $pids; do alive "$p" && left+=" $p"; done
check "pb_servers_stop stops everything" "" "$left"
# shellcheck disable=SC2086 # a list of pids
check "nothing of ours listens any more" "" "$(listening $pids)"

# a test that forgot its trap, and a test killed by SIGTERM, still stop their servers
cat >"$TMP/child.sh" <<EOF
. "$HERE/lib.sh"
[ "\${1:-}" == trap ] && trap pb_servers_stop EXIT
pb_fault_start "$TMP/files" || exit 1
echo "\$FAULT_PID \$(_pb_children "\$FAULT_PID")" >"$TMP/child.pid"
[ "\${1:-}" == trap ] && { sleep 300 >/dev/null 2>&1 & echo \$! >"$TMP/child.sleep"; wait; }
exit 0
EOF
bash "$TMP/child.sh" >/dev/null 2>&1
ps_=$(cat "$TMP/child.pid" 2>/dev/null)
left=""
for p in $ps_; do alive "$p" && left+=" $p"; done
if [ -n "$ps_" ] && [ -z "$left" ]; then ok "no EXIT trap: the library's own trap stops the server"; else notok "no EXIT trap: server stopped" "pids $ps_, left$left"; fi
rm -f "$TMP/child.pid"
bash "$TMP/child.sh" trap >/dev/null 2>&1 &
child=$!
# Until the child has started its server and waits (120 s at most: a server takes seconds to start on a loaded
# machine, and a child signalled before then was no test of the trap: a failure of its own).
deadline=$((SECONDS + 120))
while [ ! -s "$TMP/child.sleep" ] && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
[ -s "$TMP/child.sleep" ] || notok "the child starts its server and waits (120 s)" "$(cat "$TMP/child.pid" 2>/dev/null)"
ps_=$(cat "$TMP/child.pid" 2>/dev/null)
kill -TERM "$child"
wait "$child" 2>/dev/null
kill "$(cat "$TMP/child.sleep" 2>/dev/null)" 2>/dev/null
left=""
for p in $ps_; do alive "$p" && left+=" $p"; done
if [ -n "$ps_" ] && [ -z "$left" ]; then ok "a test killed by SIGTERM stops its servers (EXIT trap)"; else notok "a test killed by SIGTERM stops its servers" "pids $ps_, left$left"; fi

echo "# selftest took $((SECONDS - t0)) s"
finish
