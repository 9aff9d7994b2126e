#!/usr/bin/env bash
# TLS and proxies, for real: a loopback https server (faultproxy serving a folder laid out like a bucket) whose certificate
# a test CA made here signed. Without the CA a download is refused (exit 3, a message naming the certificate
# problem); with it, given as --cacert, CURL_CA_BUNDLE or SSL_CERT_FILE, the same totals as the files on disk.
# An expired certificate and one for another host name are refused even with the CA. Every certificate is
# made by openssl in the test's temporary folder; the server is stopped when the script ends. No database.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest
. "$ROOT/tests/servers/lib.sh"

pb_test_tmp tls
pb_on_exit pb_test_cleanup
unset CURL_CA_BUNDLE SSL_CERT_FILE AWS_CA_BUNDLE https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY

# A CA, and three certificates it signs: for 127.0.0.1, expired (valid until yesterday), for another name; and
# another CA, which signed none of them.
C=$TMP/certs
mkdir -p "$C"
cert() { # NAME DAYS SAN
	openssl req -newkey rsa:2048 -nodes -keyout "$C/$1.key" -out "$C/$1.csr" -subj "/CN=$1" >/dev/null 2>&1 &&
		printf 'subjectAltName=%s\n' "$3" >"$C/$1.ext" &&
		openssl x509 -req -in "$C/$1.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial -days "$2" \
			-extfile "$C/$1.ext" -out "$C/$1.crt" >/dev/null 2>&1
}
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$C/ca.key" -out "$C/ca.crt" -days 2 -subj /CN=pb-test-ca \
	>/dev/null 2>&1 && cert good 2 IP:127.0.0.1 && cert expired -1 IP:127.0.0.1 &&
	cert wronghost 2 DNS:billing.example &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$C/other.key" -out "$C/other.crt" -days 2 \
		-subj /CN=pb-other-ca >/dev/null 2>&1; then
	ok "openssl makes a CA and certificates signed by it (good, expired, another host)"
else
	notok "openssl makes a CA and certificates signed by it"
	pb_tests_done
	exit 1
fi

# An S3-shaped folder (BUCKET/KEY): a legacy CUR manifest and its two gzip parts; and the totals on disk.
cc -O2 -o "$TMP/gen_cur" "$ROOT/bench/gen_cur.c" || exit 1
"$TMP/gen_cur" 4000 5 >"$TMP/full.csv"
head -n 1 "$TMP/full.csv" >"$TMP/hdr.csv"
tail -n +2 "$TMP/full.csv" >"$TMP/rows.csv"
split -n l/2 -d "$TMP/rows.csv" "$TMP/rows-"
D=$TMP/site/cur/cur/daily/20261001-20261101
mkdir -p "$D/asm-1"
for k in 0 1; do cat "$TMP/hdr.csv" "$TMP/rows-0$k" | gzip -c >"$D/asm-1/daily-0000$((k + 1)).csv.gz"; done
printf '{"assemblyId":"asm-1","bucket":"cur","billingPeriod":{"start":"20261001T000000.000Z","end":"20261101T000000.000Z"},"reportKeys":["cur/daily/20261001-20261101/asm-1/daily-00001.csv.gz","cur/daily/20261001-20261101/asm-1/daily-00002.csv.gz"]}' \
	>"$D/daily-Manifest.json"
"$PBI" --format aws-cur --summary --no-progress "$TMP/full.csv" >"$TMP/want.csv" || exit 1

# run WANT_STATUS CMD...: stdout to $TMP/out, stderr to $TMP/err; GOT the status, BEFORE the requests of the
# manifest the server had before.
run() {
	local want=$1
	shift
	BEFORE=0 LOGSEEN=0
	[ -n "${FAULT_PID:-}" ] && BEFORE=$(pb_fault_count daily-Manifest.json)
	[ -n "${PROXY_PID:-}" ] && LOGSEEN=$(wc -l <"$PROXY_LOG")
	"$@" >"$TMP/out" 2>"$TMP/err"
	GOT=$?
	[ "$GOT" -eq "$want" ]
}
ingest() { "$PBI" --format aws-cur --summary --no-progress --source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10 "$@"; }
# same NAME: the last run read the report over https: exit 0 and the totals of the files on disk.
same() {
	if [ "$GOT" -eq 0 ] && cmp -s "$TMP/out" "$TMP/want.csv"; then ok "$1"; else notok "$1" "status $GOT: $(cat "$TMP/err")"; fi
}
# refused NAME WHAT: the last run was refused: exit 3, the manifest's URL named with WHAT, not retried, no output.
refused() {
	local url="$FAULT_ENDPOINT/cur/cur/daily/20261001-20261101/daily-Manifest.json"
	local n=$(($(pb_fault_count daily-Manifest.json) - BEFORE))
	if [ "$GOT" -eq 3 ] && grep -qE "^pb-ingest: $url: $2, not retried$" "$TMP/err" && [ ! -s "$TMP/out" ] &&
		[ "$n" -le 1 ]; then
		ok "$1"
	else
		notok "$1" "status $GOT, $n attempts: $(cat "$TMP/err" "$TMP/out")"
	fi
}

pb_fault_start "$TMP/site" "" --tls-cert "$C/good.crt" --tls-key "$C/good.key" >/dev/null || exit 1
check "the server speaks https on loopback" "https://127.0.0.1" "${FAULT_ENDPOINT%:*}"
run 3 ingest
refused "no CA given: the server's certificate is not trusted, exit 3, not retried" \
	"SSL certificate problem: unable to get local issuer certificate"
run 0 ingest --cacert "$C/ca.crt"
same "--cacert CA: the manifest and its parts over https, the totals of the files on disk"
run 0 env CURL_CA_BUNDLE="$C/ca.crt" "$PBI" --format aws-cur --summary --no-progress --source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10
same "CURL_CA_BUNDLE=CA: the same totals"
run 0 env SSL_CERT_FILE="$C/ca.crt" "$PBI" --format aws-cur --summary --no-progress --source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10
same "SSL_CERT_FILE=CA: the same totals"
run 0 env CURL_CA_BUNDLE="$C/ca.crt" "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/cur/cur/daily/20261001-20261101/asm-1/daily-00001.csv.gz"
check "a single https file with CURL_CA_BUNDLE: read" "0" "$GOT"
run 3 env CURL_CA_BUNDLE="$C/other.crt" "$PBI" --format aws-cur --summary --no-progress --source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10
refused "CURL_CA_BUNDLE of another CA: refused, exit 3" "SSL certificate problem: unable to get local issuer certificate"
run 0 env CURL_CA_BUNDLE="$C/other.crt" SSL_CERT_FILE="$C/other.crt" "$PBI" --format aws-cur --summary --no-progress \
	--source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10 --cacert "$C/ca.crt"
same "--cacert wins over CURL_CA_BUNDLE and SSL_CERT_FILE"
run 3 env CURL_CA_BUNDLE="$C/ca.crt" "$PBI" --format aws-cur --summary --no-progress \
	--source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10 --cacert "$C/other.crt"
refused "--cacert of another CA is refused even when CURL_CA_BUNDLE would do" "SSL certificate problem: unable to get local issuer certificate"
run 2 ingest --cacert "$C/missing.crt"
check "--cacert FILE that cannot be read: exit 2 before anything is sent" \
	"2|pb-ingest: --cacert: cannot read '$C/missing.crt': No such file or directory|0" \
	"$GOT|$(head -1 "$TMP/err")|$(($(pb_fault_count daily-Manifest.json) - BEFORE))"

# Proxies from the environment, as libcurl takes them: https_proxy or HTTPS_PROXY for https (a CONNECT tunnel),
# http_proxy (lowercase only: libcurl ignores HTTP_PROXY) for http, NO_PROXY or no_proxy for the hosts that
# go direct. The loopback proxy logs every request; credentials in a proxy URL are never shown.
pb_proxy_start >/dev/null || exit 1
PORT=${FAULT_ENDPOINT##*:}
# via x PATTERN: how many lines of the proxy's log matching PATTERN the last run added.
via() { tail -n +$((LOGSEEN + 1)) "$PROXY_LOG" | grep -c "$2"; }
run 0 env https_proxy="$PROXY_ENDPOINT" "$PBI" --format aws-cur --summary --no-progress --cacert "$C/ca.crt" \
	--source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10
same "https_proxy: the same totals through the proxy"
check "https_proxy: the manifest and both parts went through CONNECT tunnels" "3" "$(via x "^CONNECT 127.0.0.1:$PORT auth=no 200$")"
run 0 env HTTPS_PROXY="$PROXY_ENDPOINT" "$PBI" --format aws-cur --summary --no-progress --cacert "$C/ca.crt" \
	--source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10
same "HTTPS_PROXY: the same totals"
check "HTTPS_PROXY: through the proxy too" "3" "$(via x "^CONNECT 127.0.0.1:$PORT ")"
for np in NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 NO_PROXY='*'; do
	run 0 env https_proxy="$PROXY_ENDPOINT" "$np" "$PBI" --format aws-cur --summary --no-progress --cacert "$C/ca.crt" \
		--source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10
	same "https_proxy with $np: the same totals"
	check "https_proxy with $np: nothing went through the proxy" "0" "$(via x .)"
done
run 0 env https_proxy="http://billing:pr0xy-S3cret@127.0.0.1:${PROXY_ENDPOINT##*:}" "$PBI" --format aws-cur --summary \
	--no-progress --cacert "$C/ca.crt" --source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10
same "a proxy URL with credentials: the same totals"
check "the credentials went to the proxy as Proxy-Authorization" "3" "$(via x "auth=yes 200$")"
pb_proxy_stop
pb_proxy_start --auth billing:pr0xy-S3cret >/dev/null || exit 1
run 3 env https_proxy="http://billing:NotTheS3cret@127.0.0.1:${PROXY_ENDPOINT##*:}" "$PBI" --format aws-cur --summary \
	--no-progress --cacert "$C/ca.crt" --source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10
check "a proxy that refuses the credentials: exit 3, HTTP 407 named, not retried, no credential shown" \
	"3|pb-ingest: $FAULT_ENDPOINT/cur/cur/daily/20261001-20261101/daily-Manifest.json: the proxy refused the request: HTTP 407 (Proxy Authentication Required), not retried|0|1" \
	"$GOT|$(cat "$TMP/err")|$(grep -c -e S3cret -e billing "$TMP/err" "$TMP/out" | awk -F: '{s += $2} END {print s}')|$(via x " 407$")"
pb_fault_stop
pb_proxy_stop
# http_proxy for plain http: absolute-URI requests; HTTP_PROXY is not libcurl's, and not taken.
pb_proxy_start >/dev/null || exit 1
pb_fault_start "$TMP/site" "" >/dev/null || exit 1
run 0 env http_proxy="$PROXY_ENDPOINT" "$PBI" --format aws-cur --summary --no-progress \
	--source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10
same "http_proxy: the same totals over plain http"
check "http_proxy: the manifest and both parts went through the proxy" "3" "$(via x "^GET $FAULT_ENDPOINT/.* auth=no fwd$")"
run 0 env HTTP_PROXY="$PROXY_ENDPOINT" "$PBI" --format aws-cur --summary --no-progress \
	--source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10
same "HTTP_PROXY (upper case): the same totals"
check "HTTP_PROXY (upper case) is not taken, as libcurl does not: nothing through the proxy" "0" "$(via x .)"
run 0 env http_proxy="$PROXY_ENDPOINT" no_proxy=localhost,127.0.0.1 "$PBI" --format aws-cur --summary --no-progress \
	--source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10
check "http_proxy with no_proxy=localhost,127.0.0.1: direct" "0|0" "$GOT|$(via x .)"
# An https:// URL on a port that speaks plain http: the handshake fails the same way every time (OpenSSL's "wrong
# version number"), so it is not retried (it used to be, five times over, and the Partner Center login for 15 s).
PLAIN_TLS=https://${FAULT_ENDPOINT#http://}
run 3 "$PBI" --format aws-cur --summary --no-progress --cacert "$C/ca.crt" --source "$PLAIN_TLS/cur/cur/daily" --month 2026-10
check "an https:// URL on a plain http port: exit 3 at once, saying the server does not speak TLS, not retried" \
	"3|1|" "$GOT|$(grep -cE "^pb-ingest: $PLAIN_TLS/cur/cur/daily/20261001-20261101/daily-Manifest\.json: .*: the server does not speak TLS there \(a plain http port\?\), not retried$" "$TMP/err")|$(cat "$TMP/out")"
# The login's time alone is measured (it included the run above, a few seconds more for a sanitized build on a
# loaded machine): its retries took 15 s, waits that a loaded machine only makes longer, so anything under 14 s
# tells them apart (8 s was not always enough for a sanitized build beside other suites).
t0=$SECONDS
run 3 env AZURE_TENANT_ID=t AZURE_CLIENT_ID=c AZURE_CLIENT_SECRET=s PB_PC_LOGIN_URL="$PLAIN_TLS" PB_PC_GRAPH_URL="$PLAIN_TLS" \
	"$PBI" --format partner-center --month "$(date -u +%Y-%m)" --summary --cacert "$C/ca.crt"
check "the Partner Center login on a plain http port: exit 3 at once, saying so, not sent again" \
	"3|1|yes" "$GOT|$(grep -cE "^pb-ingest: POST $PLAIN_TLS/t/oauth2/v2\.0/token: .*: the server does not speak TLS there \(a plain http port\?\)$" "$TMP/err")|$([ $((SECONDS - t0)) -lt 14 ] && echo yes || echo "no: $((SECONDS - t0)) s")"
pb_fault_stop
pb_proxy_stop

pb_fault_start "$TMP/site" "" --tls-cert "$C/expired.crt" --tls-key "$C/expired.key" >/dev/null || exit 1
run 3 ingest --cacert "$C/ca.crt"
refused "an expired certificate is refused even with its CA: exit 3" "SSL certificate problem: certificate has expired"
pb_fault_stop

pb_fault_start "$TMP/site" "" --tls-cert "$C/wronghost.crt" --tls-key "$C/wronghost.key" >/dev/null || exit 1
run 3 ingest --cacert "$C/ca.crt"
refused "a certificate for another host name is refused even with its CA: exit 3" \
	"SSL: no alternative certificate subject name matches target host name '127\\.0\\.0\\.1'"
pb_fault_stop

# The other programs that download take --cacert too, and refuse a file that cannot be read at the start.
run 2 "$BIN/pb-prices" load --format azure-pricesheet --cacert "$C/missing.crt" "https://127.0.0.1:9/sheet.csv"
check "pb-prices --cacert FILE that cannot be read: exit 2" \
	"2|pb-prices: --cacert: cannot read '$C/missing.crt': No such file or directory" "$GOT|$(head -1 "$TMP/err")"
run 2 "$BIN/pb-accounts" --cacert "$C/missing.crt" list
check "pb-accounts --cacert FILE that cannot be read: exit 2" \
	"2|pb-accounts: --cacert: cannot read '$C/missing.crt': No such file or directory" "$GOT|$(head -1 "$TMP/err")"

# No code path turns verification off.
check "no source sets CURLOPT_SSL_VERIFYPEER or CURLOPT_SSL_VERIFYHOST to 0" "" \
	"$(grep -rnE 'CURLOPT_SSL_VERIFY(PEER|HOST)[^;]*, *0L?\)' "$ROOT"/{accounts,aggregate,api,common,db,ingest,invoice,prices,runner} || true)"

pb_tests_done
