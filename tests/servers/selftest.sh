#!/usr/bin/env bash
# Self-test of the test-server kit: starts s3rver, azurite and the fault proxy on loopback, moves a few MB
# through them, injects each kind of fault and checks what curl sees, checks how s3rver authenticates, and
# checks that everything is stopped (also by the EXIT trap of a test killed with SIGTERM). Ends with
# "N passed, N failed"; exit status non-zero on failure. Needs `npm ci --prefix tests/servers`.
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
trap cleanup EXIT

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
((SECONDS - t <= 4)) || notok "fault stall: timed out in about 2 s" "$((SECONDS - t)) s"
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
got=$(awk -v p="$URLPATH" '$4 == "path=" p { sub(/^fault=/, "", $6); printf "%s ", $6 }' "$FAULT_LOG")
check "request log: one line per attempt, with its fault" "500 429:retry-after=1 reset stall=30 truncate=1000 403 pass pass " "$got"
check "pb_fault_count counts attempts for a key" 8 "$(pb_fault_count " path=$URLPATH ")"
# an upload through the proxy: Expect: 100-continue and a streamed body
if S3_ENDPOINT=$FAULT_ENDPOINT pb_s3_put bkt up/through-proxy.bin "$BIG" && pb_s3_get bkt up/through-proxy.bin "$TMP/up" && cmp -s "$BIG" "$TMP/up"; then
	ok "a PUT through the proxy stores the same bytes"
else
	notok "a PUT through the proxy stores the same bytes"
fi
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

# ---- stopping ----------------------------------------------------------------------------------------
pids=$(server_pids "$S3_PID" "${AZURITE_PID:-}")
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
[ "\${1:-}" == trap ] && { sleep 30 >/dev/null 2>&1 & echo \$! >"$TMP/child.sleep"; wait; }
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
for _ in $(seq 100); do [ -s "$TMP/child.sleep" ] && break; sleep 0.05; done
ps_=$(cat "$TMP/child.pid" 2>/dev/null)
kill -TERM "$child"
wait "$child" 2>/dev/null
kill "$(cat "$TMP/child.sleep" 2>/dev/null)" 2>/dev/null
left=""
for p in $ps_; do alive "$p" && left+=" $p"; done
if [ -n "$ps_" ] && [ -z "$left" ]; then ok "a test killed by SIGTERM stops its servers (EXIT trap)"; else notok "a test killed by SIGTERM stops its servers" "pids $ps_, left$left"; fi

echo "# selftest took $((SECONDS - t0)) s"
finish
