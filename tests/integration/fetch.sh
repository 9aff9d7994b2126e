#!/usr/bin/env bash
# Integration tests of downloads: pb-ingest reading CUR parts from a real S3 server (s3rver) and through a
# loopback proxy that injects faults; each case ends with exactly the right totals or exit 3 with nothing
# committed. Every server is stopped when the script ends.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest
. "$ROOT/tests/servers/lib.sh"

pb_test_tmp fetch
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
pb_on_exit pb_test_cleanup
pb_test_need_servers
cc -O2 -o "$TMP/gen_cur" "$ROOT/bench/gen_cur.c" || exit 1
"$TMP/gen_cur" 60000 9 | gzip -c >"$TMP/part-1.csv.gz"
"$PBI" --format aws-cur --summary --no-progress "$TMP/part-1.csv.gz" >"$TMP/want.csv" || exit 1

pb_s3_start "$TMP/s3" >/dev/null || exit 1
pb_s3_mkbucket cur >/dev/null && pb_s3_put cur report/part-1.csv.gz "$TMP/part-1.csv.gz" >/dev/null || {
	notok "put a part into s3rver"
	exit 1
}
URL=s3://cur/report/part-1.csv.gz

# fault_gets N: the GET requests the proxy logged, once N are (or after 10 s). It logs a request when it is done
# with it, which may come after pb-ingest refused the answer's headers and ended.
fault_gets() {
	local n=$1
	_fault_gets() { [ "$(pb_fault_count GET)" -ge "$n" ]; }
	pb_until 10 _fault_gets
	pb_fault_count GET
}

# run NAME WANT_STATUS CMD...: stdout to $TMP/out, stderr to $TMP/err.
run() {
	local name=$1 want=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	GOT=$?
	[ "$GOT" -eq "$want" ]
}

if run s3 0 "$PBI" --format aws-cur --summary --no-progress --endpoint "$S3_ENDPOINT" "$URL" &&
	cmp -s "$TMP/out" "$TMP/want.csv"; then
	ok "an s3:// part gives the same totals as the local file"
else
	notok "an s3:// part gives the same totals as the local file" "status $GOT: $(cat "$TMP/err")"
fi
if run env 0 env AWS_ENDPOINT_URL="$S3_ENDPOINT" "$PBI" --format aws-cur --summary --no-progress "$URL" &&
	cmp -s "$TMP/out" "$TMP/want.csv"; then
	ok "AWS_ENDPOINT_URL is taken like --endpoint"
else
	notok "AWS_ENDPOINT_URL is taken like --endpoint" "status $GOT: $(cat "$TMP/err")"
fi
if run badkey 3 env AWS_ACCESS_KEY_ID=NOTAKEY AWS_SECRET_ACCESS_KEY=topsecret123 "$PBI" --format aws-cur \
	--summary --no-progress --endpoint "$S3_ENDPOINT" "$URL" &&
	grep -q "^pb-ingest: $URL: HTTP 403 (InvalidAccessKeyId), not retried$" "$TMP/err" &&
	! grep -q topsecret123 "$TMP/err" "$TMP/out"; then
	ok "wrong credentials: a clear 403 naming the key, exit 3, no secret shown"
else
	notok "wrong credentials: a clear 403 naming the key, exit 3, no secret shown" "status $GOT: $(cat "$TMP/err")"
fi
if run nokey 3 "$PBI" --format aws-cur --summary --no-progress --endpoint "$S3_ENDPOINT" s3://cur/report/missing.csv.gz &&
	grep -q "^pb-ingest: s3://cur/report/missing.csv.gz: HTTP 404 (NoSuchKey), not retried$" "$TMP/err"; then
	ok "a missing key: 404 naming it, not retried, exit 3"
else
	notok "a missing key: 404 naming it, not retried, exit 3" "status $GOT: $(cat "$TMP/err")"
fi
if run nocreds 2 env -u AWS_ACCESS_KEY_ID "$PBI" --format aws-cur --summary --no-progress "$URL" &&
	grep -q "no AWS credentials" "$TMP/err"; then
	ok "no credentials is a usage error"
else
	notok "no credentials is a usage error" "status $GOT: $(cat "$TMP/err")"
fi

# Faults between pb-ingest and the server: each either ends with the same totals or exit 3.
fault_case() {
	local name=$1 want=$2 attempts=$3 script=$4
	pb_fault_stop >/dev/null 2>&1
	pb_fault_start "$S3_ENDPOINT" "$script" >/dev/null || {
		notok "$name (proxy did not start)"
		return
	}
	run "$name" "$want" "$PBI" --format aws-cur --summary --no-progress --stall-timeout 2 \
		--endpoint "$FAULT_ENDPOINT" "$URL"
	local st=$GOT n
	n=$(pb_fault_count /cur/report/part-1.csv.gz)
	if [ "$st" -eq "$want" ] && { [ "$want" -ne 0 ] || cmp -s "$TMP/out" "$TMP/want.csv"; } &&
		[ "$n" -eq "$attempts" ] && { [ "$want" -eq 0 ] || [ ! -s "$TMP/out" ]; }; then
		ok "$name"
	else
		notok "$name" "status $st, $n attempts: $(cat "$TMP/err")"
	fi
}
# A slow-loris server, 20 bytes a second for ever: a limit of 1 byte a second never called it a stall, and nothing
# ended the download. Under --min-rate for --stall-timeout seconds is a stall (retried, resuming); the whole download
# ends at --download-timeout, not retried: here the first attempt is a stall, the second meets the deadline. It runs
# beside the cases below (the second server of pb_headers_start), its result read after them.
mkdir -p "$TMP/loris"
cp "$TMP/part-1.csv.gz" "$TMP/loris/"
pb_headers_start "$TMP/loris" --script "*:slow=20" >/dev/null || exit 1
LORIS_URL=$HEADERS_ENDPOINT/part-1.csv.gz
timeout 20 "$PBI" --format aws-cur --summary --no-progress --stall-timeout 1 --min-rate 100 --download-timeout 2 \
	"$LORIS_URL" >"$TMP/loris.out" 2>"$TMP/loris.err" &
loris_pid=$!

fault_case "a 500 then success: exact totals after a retry" 0 2 "1:500"
fault_case "a 429 with Retry-After: waits, then exact totals" 0 2 "1:429:retry-after=1"
fault_case "a 503 with Retry-After a date in the past: retried, exact totals" 0 2 "1:503:retry-after-date=-30"
fault_case "a connection reset: exact totals after a retry" 0 2 "1:reset"
fault_case "a stall: the transfer times out and the retry succeeds" 0 2 "1:stall=20"
fault_case "a body cut short: resumed with a Range request, exact totals" 0 2 "1:truncate=100000"
fault_case "two cuts and a 503: still exact totals" 0 4 "1:truncate=50000; 2:503; 3:truncate=200000"
fault_case "500s that do not stop: exit 3 after 5 attempts" 3 5 "*:500"
grep -q "^pb-ingest: $URL: failed after 5 attempts: HTTP 500 (InternalError)$" "$TMP/err" &&
	ok "the message names the URL and the last error" ||
	notok "the message names the URL and the last error" "$(cat "$TMP/err")"
fault_case "a 403 is not retried" 3 1 "1:403:code=AccessDenied"
# A byte changed on its way, the length kept (its last: the bytes before it were handed on already, as they came).
# s3rver's ETag of a single-part upload is the object's MD5, as S3's is: the bytes received must have it. Exit 3
# naming both, not retried, nothing printed.
SIZE1=$(stat -c %s "$TMP/part-1.csv.gz")
WANT_MD5=$(md5sum <"$TMP/part-1.csv.gz" | cut -d' ' -f1)
BAD_MD5=$(python3 -c 'import hashlib, sys; d = bytearray(open(sys.argv[1], "rb").read()); d[-1] ^= 0xFF; print(hashlib.md5(d).hexdigest())' "$TMP/part-1.csv.gz")
fault_case "a byte changed on its way: exit 3, not retried, nothing printed" 3 1 "1:corrupt=$((SIZE1 - 1))"
check "a byte changed on its way: the message names the URL, the MD5 received and the ETag's" \
	"pb-ingest: $URL: the bytes received are not the object the server describes: their MD5 is $BAD_MD5, its ETag gives $WANT_MD5, not retried" \
	"$(cat "$TMP/err")"

# Answers a hostile server gives, one proxy for all four (each refused at its first request: a second one would
# pass through and succeed). A body longer than its Content-Length: libcurl stopped at the length and the rest was
# never looked at, so a file the server does not describe passed (its ETag is the MD5 of the bytes up to the
# length); a small part of its own serves. A Content-Length of 2^63 or more, which no file has: it was clamped and
# the download retried, each attempt taking the body for cut short. A Content-Length of 600 zeros and the length:
# the header line was read cut at 511 bytes, the length taken for 0, the download resumed from its end (HTTP 416).
# A header line of 200 KB, more than libcurl takes: it said "Out of memory", and the same answer was asked for five
# times. Each now exits 3 at once, saying what is wrong, nothing printed.
"$TMP/gen_cur" 20 9 | gzip -c >"$TMP/small.csv.gz"
pb_s3_put cur report/small.csv.gz "$TMP/small.csv.gz" >/dev/null || notok "put a small part into s3rver"
Z=$(head -c 600 /dev/zero | tr '\0' 0)
pb_fault_stop >/dev/null 2>&1
pb_fault_start "$S3_ENDPOINT" "1@*/small.csv.gz:extra=100; 1@*/part-1.csv.gz:length=9223372036854775808
2@*/part-1.csv.gz:length=${Z}$SIZE1; 3@*/part-1.csv.gz:header=200000
4@*/part-1.csv.gz:length=$((SIZE1 + 100)):dup; 5@*/part-1.csv.gz:length=$SIZE1:dup
6@*/part-1.csv.gz:length=$SIZE1, $SIZE1; 7@*/part-1.csv.gz:length=$SIZE1, $((SIZE1 + 100))" >/dev/null || exit 1
# hostile NAME MESSAGE [KEY]: the run of s3://cur/KEY (default: URL's) through the proxy exits 3 with MESSAGE.
hostile() {
	local u=${3:+s3://cur/$3}
	u=${u:-$URL}
	run "$1" 3 "$PBI" --format aws-cur --summary --no-progress --endpoint "$FAULT_ENDPOINT" "$u"
	check "$1: exit 3 at once, nothing printed" "3|pb-ingest: $u: $2, not retried|" "$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
}
hostile "a body longer than its Content-Length" \
	"the server sent more than the $(stat -c %s "$TMP/small.csv.gz") bytes its Content-Length announced: the object is not what it describes" \
	report/small.csv.gz
hostile "a Content-Length of 2^63" \
	"HTTP 200 with Content-Length 9223372036854775808: not a length (a whole number of bytes below 2^63)"
hostile "a Content-Length line of 600 bytes" \
	"HTTP 200 with Content-Length ${Z:0:60}... ($((16 + 600 + ${#SIZE1})) bytes): not a length (a whole number of bytes below 2^63)"
hostile "a header line of 200 KB" \
	"HTTP 200 with header lines longer than libcurl takes (100 KB a line, 300 KB in all)"
# Two Content-Lengths that differ (RFC 9112 6.3: the message's length cannot be known): libcurl took the last, so
# a body of the first, true length was read as cut short and asked for again, and a body followed by bytes the last
# one counts was taken whole with them. It is refused at its headers; the same length twice passes.
hostile "two Content-Lengths that differ" \
	"HTTP 200 with two Content-Lengths that differ, $SIZE1 and $((SIZE1 + 100)): the length of its body cannot be known"
if run cl-twice 0 "$PBI" --format aws-cur --summary --no-progress --endpoint "$FAULT_ENDPOINT" "$URL" &&
	cmp -s "$TMP/out" "$TMP/want.csv"; then
	ok "the same Content-Length twice: the same totals"
else
	notok "the same Content-Length twice: the same totals" "status $GOT: $(cat "$TMP/err")"
fi
# One line listing the same length twice ("N, N", as a proxy that merges two header lines writes it) is that length
# (RFC 9110 8.6); it was refused, "not a length". Two that differ stay refused, as two lines that differ are.
if run cl-list 0 "$PBI" --format aws-cur --summary --no-progress --endpoint "$FAULT_ENDPOINT" "$URL" &&
	cmp -s "$TMP/out" "$TMP/want.csv"; then
	ok "a Content-Length of the same length twice (N, N): the same totals"
else
	notok "a Content-Length of the same length twice (N, N): the same totals" "status $GOT: $(cat "$TMP/err")"
fi
hostile "a Content-Length of two lengths that differ (N, M)" \
	"HTTP 200 with two Content-Lengths that differ, $SIZE1 and $((SIZE1 + 100)): the length of its body cannot be known"
check "... each of the eight in one attempt" "1 1 1 1 1 1 1 1" "$(pb_fault_count 'fault=extra=100 ') $(pb_fault_count 'fault=length=9') \
$(pb_fault_count 'fault=length=0') $(pb_fault_count 'fault=header=200000 ') \
$(pb_fault_count "fault=length=$((SIZE1 + 100)):dup ") $(pb_fault_count "fault=length=$SIZE1:dup ") \
$(pb_fault_count "fault=length=$SIZE1, $SIZE1 ") $(pb_fault_count "fault=length=$SIZE1, $((SIZE1 + 100)) ")"
pb_fault_stop
# An answer without a length (no Content-Length, not chunked) ends where its connection closes, and so does one cut
# short on its way: a plain CSV part cut at a line break was taken whole (exit 0, the lines after the cut never
# read). Such an answer is refused at its headers, no byte of it read, not retried.
mkdir -p "$TMP/plain"
"$TMP/gen_cur" 20 9 >"$TMP/plain/part.csv"
pb_fault_start "$TMP/plain" "1:truncate=$(head -n 11 "$TMP/plain/part.csv" | wc -c):nolength" >/dev/null || exit 1
run nolength 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/part.csv"
check "an answer without a length, cut at a line break: exit 3 at once, nothing printed" \
	"3|pb-ingest: $FAULT_ENDPOINT/part.csv: HTTP 200 with neither a Content-Length nor chunked encoding: a body cut short could not be told from a whole one, not retried|" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
check "... in one attempt" "1" "$(fault_gets 1)"
pb_fault_stop
# A header line holding a NUL byte, which libcurl refuses ("Nul byte in header"): the same answer came five times
# over, as if the server were failing for a while. It is refused at once.
pb_fault_start "$TMP/plain" "*:header=5:nul" >/dev/null || exit 1
run nulheader 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/part.csv"
check "a header line with a NUL byte: exit 3 at once, one attempt, nothing printed" \
	"3|pb-ingest: $FAULT_ENDPOINT/part.csv: HTTP 200 with a header line libcurl refuses (Nul byte in header), not retried||1" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(fault_gets 1)"
pb_fault_stop
# An error document's <Code> is the server's text: an escape sequence or an override (U+202E) in it is shown
# escaped, so that a compromised or broken server can neither clear the terminal nor reverse the line.
pb_fault_start "$TMP/plain" "1:403:code=Access$(printf '\033[2J\342\200\256')Denied" >/dev/null || exit 1
run badcode 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/part.csv"
check "an error document's code holding an escape and U+202E: shown escaped, exit 3, nothing printed" \
	"3|pb-ingest: $FAULT_ENDPOINT/part.csv: HTTP 403 (Access\\x1b[2J\\u202eDenied), not retried|" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
pb_fault_stop

# Keys are written as they are (like the AWS CLI's): a space, '+', '%' and non-ASCII go percent-encoded, so
# that S3 finds the key and does not take '+' for a space or '%2' for an escape.
ODD='report/my part+100% é.csv.gz'
pb_s3_put cur "$ODD" "$TMP/part-1.csv.gz" >/dev/null || notok "put a part with an odd key into s3rver"
pb_fault_stop >/dev/null 2>&1
pb_fault_start "$S3_ENDPOINT" "" >/dev/null || exit 1
if run oddkey 0 "$PBI" --format aws-cur --summary --no-progress --endpoint "$FAULT_ENDPOINT" "s3://cur/$ODD" &&
	cmp -s "$TMP/out" "$TMP/want.csv" &&
	[ "$(pb_fault_count ' path=/cur/report/my%20part%2B100%25%20%C3%A9.csv.gz ')" -eq 1 ]; then
	ok "a key with a space, '+', '%' and 'é': sent percent-encoded, the same totals"
else
	notok "a key with a space, '+', '%' and 'é': sent percent-encoded, the same totals" "status $GOT: $(cat "$TMP/err" "$FAULT_LOG")"
fi
pb_fault_stop
# A key is the key: "report/../part-1.csv.gz" is an object of its own on S3, not part-1.csv.gz, and is asked
# for as written (the folder served here resolves it, S3 does not).
mkdir -p "$TMP/dots/cur"
cp "$TMP/part-1.csv.gz" "$TMP/dots/cur/"
pb_fault_start "$TMP/dots" "" >/dev/null || exit 1
run dotkey 0 "$PBI" --format aws-cur --summary --no-progress --endpoint "$FAULT_ENDPOINT" "s3://cur/report/../part-1.csv.gz"
check "a key with dot segments: asked for as written, not as the key they would resolve to" \
	"0|1|0" "$GOT|$(pb_fault_count ' path=/cur/report/\.\./part-1\.csv\.gz ')|$(pb_fault_count ' path=/cur/part-1\.csv\.gz ')"
pb_fault_stop

# Retry-After as an HTTP date (RFC 9110 10.2.3), 30 s after the answer's Date, to a download with 2 s left: it was
# read as no wait at all, the server asked again at once, four times over. It is the same wait as "Retry-After: 30".
pb_fault_start "$TMP/dots" "*:503:retry-after-date=30" >/dev/null || exit 1
run retrydate 3 "$PBI" --format aws-cur --summary --no-progress --download-timeout 2 "$FAULT_ENDPOINT/cur/part-1.csv.gz"
check "a 503 whose Retry-After is a date 30 s on, with --download-timeout 2: exit 3 at once, saying what it asked" \
	"3|pb-ingest: $FAULT_ENDPOINT/cur/part-1.csv.gz: HTTP 503 (SlowDown) (1 attempt), and the server asks to wait 30 s before the next: past the download's deadline of 2 s, not retried||1" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(fault_gets 1)"
pb_fault_stop

# An answer with both a Content-Length and chunked encoding (RFC 9112 6.3: chunked wins, and the message ought to be
# handled as an error): read by its chunks, it was "an object that changed" when its Content-Length was shorter and
# asked for five times over when it was longer. It is refused at its headers, not retried, whatever the two say.
for v in 100 99999999; do
	pb_fault_start "$TMP/dots" "*:length=$v:chunked" >/dev/null || exit 1
	run lengthchunked 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/cur/part-1.csv.gz"
	check "an answer with Content-Length $v and chunked encoding: exit 3 at once, saying so, nothing printed" \
		"3|pb-ingest: $FAULT_ENDPOINT/cur/part-1.csv.gz: HTTP 200 with both a Content-Length ($v) and chunked encoding: the length of its body cannot be known, not retried||1" \
		"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(fault_gets 1)"
	pb_fault_stop
done

# A chunked answer with a trailer "Content-Length: 5" after its last chunk: a trailer is no part of the answer's framing
# (RFC 9110 6.5.1), but it was read as its length, and the whole body taken for one longer than announced, five times.
pb_fault_start "$TMP/dots" "*:trailer=Content-Length=5" >/dev/null || exit 1
run trailer 0 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/cur/part-1.csv.gz"
check "a chunked answer with a Content-Length in its trailer: read whole, the same totals, one request" \
	"0||1" "$GOT|$(cat "$TMP/err")$(cmp "$TMP/out" "$TMP/want.csv" 2>&1)|$(fault_gets 1)"
pb_fault_stop

wait "$loris_pid"
check "a server sending 20 bytes a second: a stall at --min-rate 100, then exit 3 at --download-timeout 2" \
	"3|pb-ingest: $LORIS_URL: the download did not end within 2 s (2 attempts), not retried|" \
	"$?|$(cat "$TMP/loris.err")|$(cat "$TMP/loris.out")"
pb_headers_stop
run badrate 2 "$PBI" --format aws-cur --summary --no-progress --min-rate 0 "$URL"
check "--min-rate 0: a usage error" \
	"2|pb-ingest: --min-rate takes a whole number of bytes a second from 1 to 1000000000, not '0'" "$GOT|$(head -n 1 "$TMP/err")"

# Over https (a loopback proxy with a certificate of its own, trusted through AWS_CA_BUNDLE). A redirect of a
# signed request is not followed: its SigV4 signature and session token go to no other server. The proxy
# answers every request with a 307 to another loopback port, where a server logs whatever reaches it.
pb_fault_stop >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/tls.key" -out "$TMP/tls.crt" -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || notok "make a certificate for 127.0.0.1"
TLS=(--tls-cert "$TMP/tls.crt" --tls-key "$TMP/tls.key")
pb_fault_start "$S3_ENDPOINT" "" "${TLS[@]}" --log-headers >/dev/null || exit 1
if run tls 0 env AWS_CA_BUNDLE="$TMP/tls.crt" "$PBI" --format aws-cur --summary --no-progress \
	--endpoint "$FAULT_ENDPOINT" "$URL" && cmp -s "$TMP/out" "$TMP/want.csv" && [[ $FAULT_ENDPOINT == https://* ]]; then
	ok "an https endpoint whose certificate AWS_CA_BUNDLE holds: the same totals"
else
	notok "an https endpoint whose certificate AWS_CA_BUNDLE holds: the same totals" "status $GOT: $(cat "$TMP/err")"
fi
run tls-untrusted 3 "$PBI" --format aws-cur --summary --no-progress --endpoint "$FAULT_ENDPOINT" "$URL"
check "without AWS_CA_BUNDLE the same endpoint is not trusted: exit 3, not retried" \
	"3|1" "$GOT|$(grep -c "^pb-ingest: $URL: .*certificate.*, not retried$" "$TMP/err")"
pb_fault_stop
mkdir -p "$TMP/elsewhere/cur/report"
cp "$TMP/part-1.csv.gz" "$TMP/elsewhere/cur/report/"
pb_headers_start "$TMP/elsewhere" "${TLS[@]}" >/dev/null || exit 1
port=${HEADERS_ENDPOINT##*:}
pb_fault_start "$S3_ENDPOINT" "*:redirect=$port" "${TLS[@]}" --log-headers >/dev/null || exit 1
run redirect 3 env AWS_SESSION_TOKEN=session-token-42 AWS_CA_BUNDLE="$TMP/tls.crt" "$PBI" --format aws-cur --summary \
	--no-progress --endpoint "$FAULT_ENDPOINT" "$URL"
check "a signed request answered 307 to another server: exit 3 naming the redirect, not followed" \
	"3|pb-ingest: $URL: HTTP 307 to https://127.0.0.1:$port/cur/report/part-1.csv.gz: a signed request is not redirected, not retried|" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
check "the endpoint got the session token and the signature; the other server got nothing" \
	"1 1|0" "$(pb_fault_count 'headers=.*authorization') $(pb_fault_count 'headers=.*x-amz-security-token')|$(pb_fault_settled "$HEADERS_LOG"; grep -c '^n=' "$HEADERS_LOG")"
if grep -q session-token-42 "$TMP/err" "$HEADERS_LOG"; then notok "the session token is shown nowhere"; else ok "the session token is shown nowhere"; fi
pb_fault_stop
pb_headers_stop
# A download (not signed) redirected to plain http: not followed, and the message says why, not libcurl's
# "Protocol "http" not supported or disabled".
pb_headers_start "$TMP/elsewhere" >/dev/null || exit 1
port=${HEADERS_ENDPOINT##*:}
pb_fault_start "$S3_ENDPOINT" "*:redirect=$port" >/dev/null || exit 1
PLAIN="$FAULT_ENDPOINT/cur/report/part-1.csv.gz"
run redirect-http 3 "$PBI" --format aws-cur --summary --no-progress "$PLAIN"
check "a download redirected to http: exit 3 naming the redirect, not followed, not retried" \
	"3|pb-ingest: $PLAIN: HTTP 307 to http://127.0.0.1:$port/cur/report/part-1.csv.gz: a download is redirected only to https, not retried||1|0" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(pb_fault_count 'GET')|$(pb_fault_settled "$HEADERS_LOG"; grep -c '^n=' "$HEADERS_LOG")"
pb_fault_stop
pb_headers_stop
# A redirect loop (here the proxy sends every request back to itself, over https): libcurl stopped after 5
# redirects, and the download was asked for 5 times over (30 requests), "Maximum (5) redirects followed". The
# server answers the same way again: not retried, the message saying where the last redirect pointed.
pb_fault_start "$S3_ENDPOINT" "*:redirect=0" "${TLS[@]}" >/dev/null || exit 1
LOOP="$FAULT_ENDPOINT/cur/report/part-1.csv.gz"
run redirect-loop 3 env CURL_CA_BUNDLE="$TMP/tls.crt" "$PBI" --format aws-cur --summary --no-progress "$LOOP"
check "a redirect loop: exit 3 after 6 requests, not retried, nothing printed" \
	"3|pb-ingest: $LOOP: HTTP 307 to $LOOP: more than 5 redirects, not retried||6" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(pb_fault_count 'GET')"
pb_fault_stop

# Reports delivered with a manifest: a legacy CUR assembly of three gzip parts, and a CUR 2.0 export.
"$TMP/gen_cur" 30000 21 >"$TMP/full.csv"
head -n 1 "$TMP/full.csv" >"$TMP/hdr.csv"
tail -n +2 "$TMP/full.csv" >"$TMP/rows.csv"
split -n l/3 -d "$TMP/rows.csv" "$TMP/rows-"
asm_parts() { # ASSEMBLY: uploads the three parts under it and its manifest
	local asm=$1 k keys=""
	for k in 0 1 2; do
		cat "$TMP/hdr.csv" "$TMP/rows-0$k" | gzip -c >"$TMP/p$k.csv.gz"
		pb_s3_put cur "cur/daily/20261001-20261101/$asm/daily-0000$((k + 1)).csv.gz" "$TMP/p$k.csv.gz" >/dev/null
		keys="$keys${keys:+,}\"cur/daily/20261001-20261101/$asm/daily-0000$((k + 1)).csv.gz\""
	done
	printf '{"assemblyId":"%s","account":"999988887777","reportName":"daily","bucket":"cur",' "$asm" >"$TMP/manifest.json"
	printf '"compression":"GZIP","contentType":"text/csv","billingPeriod":{"start":"20261001T000000.000Z",' >>"$TMP/manifest.json"
	printf '"end":"20261101T000000.000Z"},"reportKeys":[%s],"columns":[]}' "$keys" >>"$TMP/manifest.json"
	pb_s3_put cur cur/daily/20261001-20261101/daily-Manifest.json "$TMP/manifest.json" >/dev/null
}
asm_parts 11111111-aaaa
"$PBI" --format aws-cur --summary --no-progress "$TMP/full.csv" >"$TMP/want-asm.csv"
if run manifest 0 "$PBI" --format aws-cur --summary --no-progress --endpoint "$S3_ENDPOINT" \
	--source s3://cur/cur/daily --month 2026-10 && cmp -s "$TMP/out" "$TMP/want-asm.csv"; then
	ok "a legacy manifest's three parts give the totals of the whole report"
else
	notok "a legacy manifest's three parts give the totals of the whole report" "status $GOT: $(cat "$TMP/err")"
fi
"$TMP/gen_cur" 20000 22 --cur2 | gzip -c >"$TMP/cur2.csv.gz"
pb_s3_put cur exports/monthly/data/BILLING_PERIOD=2026-10/monthly-00001.csv.gz "$TMP/cur2.csv.gz" >/dev/null
printf '{"executionId":"exec-1","billingPeriod":{"start":"2026-10-01T00:00:00.000Z","end":"2026-11-01T00:00:00.000Z"},"dataFiles":["s3://cur/exports/monthly/data/BILLING_PERIOD=2026-10/monthly-00001.csv.gz"]}' >"$TMP/m2.json"
pb_s3_put cur exports/monthly/metadata/BILLING_PERIOD=2026-10/monthly-Manifest.json "$TMP/m2.json" >/dev/null
"$PBI" --format aws-cur --summary --no-progress "$TMP/cur2.csv.gz" >"$TMP/want-cur2.csv"
if run cur2 0 "$PBI" --format aws-cur --summary --no-progress --endpoint "$S3_ENDPOINT" \
	--source s3://cur/exports/monthly --month 2026-10 && cmp -s "$TMP/out" "$TMP/want-cur2.csv"; then
	ok "a CUR 2.0 export's manifest and data files give its totals"
else
	notok "a CUR 2.0 export's manifest and data files give its totals" "status $GOT: $(cat "$TMP/err")"
fi
# A CUR 2.0 manifest listing a data file of another billing period's folder: exit 1 before reading anything.
sed 's/BILLING_PERIOD=2026-10/BILLING_PERIOD=2026-09/' "$TMP/m2.json" >"$TMP/m2-09.json"
pb_s3_put cur exports/other/metadata/BILLING_PERIOD=2026-10/other-Manifest.json "$TMP/m2-09.json" >/dev/null
run cur2-month 1 "$PBI" --format aws-cur --summary --no-progress --endpoint "$S3_ENDPOINT" --source s3://cur/exports/other --month 2026-10
check "a CUR 2.0 manifest listing a data file of another billing period: exit 1 naming it" \
	"1|pb-ingest: s3://cur/exports/other/metadata/BILLING_PERIOD=2026-10/other-Manifest.json: data file 1 (s3://cur/exports/monthly/data/BILLING_PERIOD=2026-09/monthly-00001.csv.gz) is in the folder of billing period 2026-09, not of the manifest's 2026-10|" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
if run nomanifest 3 "$PBI" --format aws-cur --summary --no-progress --endpoint "$S3_ENDPOINT" \
	--source s3://cur/cur/daily --month 2026-09 && grep -q "^pb-ingest: no manifest for 2026-09 at s3://cur/cur/daily/20260901-20261001/daily-Manifest.json or s3://cur/cur/daily/metadata/BILLING_PERIOD=2026-09/daily-Manifest.json$" "$TMP/err"; then
	ok "a month with no manifest says where it looked, exit 3"
else
	notok "a month with no manifest says where it looked, exit 3" "status $GOT: $(cat "$TMP/err")"
fi

# A manifest and its parts on disk (file://) and served over HTTP.
# The folder is laid out like the bucket: disk/BUCKET/KEY.
mkdir -p "$TMP/disk/cur/cur/daily/20261001-20261101"
cp "$TMP/manifest.json" "$TMP/disk/cur/cur/daily/20261001-20261101/daily-Manifest.json"
for k in 0 1 2; do
	d=$TMP/disk/cur/cur/daily/20261001-20261101/11111111-aaaa
	mkdir -p "$d"
	cp "$TMP/p$k.csv.gz" "$d/daily-0000$((k + 1)).csv.gz"
done
cat "$TMP/hdr.csv" "$TMP/rows-00" "$TMP/rows-01" "$TMP/rows-02" >"$TMP/full2.csv"
"$PBI" --format aws-cur --summary --no-progress "$TMP/full2.csv" >"$TMP/want-disk.csv"
if run filemanifest 0 "$PBI" --format aws-cur --summary --no-progress --source "file://$TMP/disk/cur/cur/daily" \
	--month 2026-10 && cmp -s "$TMP/out" "$TMP/want-disk.csv"; then
	ok "a file:// manifest finds its parts on disk"
else
	notok "a file:// manifest finds its parts on disk" "status $GOT: $(cat "$TMP/err")"
fi
# A billing period of year 0000 (PostgreSQL has none) is written as any other: out of range, as --month 0000-10 is,
# naming the manifest, not a manifest without billingPeriod.start; in either form, nothing read.
Y0=$TMP/disk/cur/y0
mkdir -p "$Y0/y0/20261001-20261101" "$Y0/y2/metadata/BILLING_PERIOD=2026-10"
sed 's/"start":"20261001T000000.000Z"/"start":"00001001T000000.000Z"/' "$TMP/manifest.json" \
	>"$Y0/y0/20261001-20261101/y0-Manifest.json"
sed 's/"start":"2026-10-01T00:00:00.000Z"/"start":"0000-10-01T00:00:00.000Z"/' "$TMP/m2.json" \
	>"$Y0/y2/metadata/BILLING_PERIOD=2026-10/y2-Manifest.json"
run y0-legacy 1 "$PBI" --format aws-cur --summary --no-progress --source "file://$Y0/y0" --month 2026-10
check "a legacy manifest's billing period of year 0000: exit 1, out of range, naming the manifest" \
	"1|pb-ingest: file://$Y0/y0/20261001-20261101/y0-Manifest.json: timestamp \"00001001T000000.000Z\" in member 'billingPeriod.start' is out of range: the first month supported is 0001-01|" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
run y0-cur2 1 "$PBI" --format aws-cur --summary --no-progress --source "file://$Y0/y2" --month 2026-10
check "a CUR 2.0 manifest's billing period of year 0000: exit 1, out of range, naming the manifest" \
	"1|pb-ingest: file://$Y0/y2/metadata/BILLING_PERIOD=2026-10/y2-Manifest.json: timestamp \"0000-10-01T00:00:00.000Z\" in member 'billingPeriod.start' is out of range: the first month supported is 0001-01|" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
# billingPeriod.start is read whole, in the basic form a legacy manifest writes (20261001T000000.000Z) or the
# extended one of CUR 2.0 (2026-10-01T00:00:00.000Z), whichever the manifest: text after the timestamp, or a start
# that is no timestamp, is bad data naming the manifest and the member, not a start taken from its first
# characters; nothing read.
k=0
for start in 20261001T000000.000Zgarbage 20261001xyz 20261001T0000 20261001T000000.000+15:00 2026-10; do
	k=$((k + 1))
	mkdir -p "$TMP/disk/cur/yb/b$k/20261001-20261101"
	sed "s/\"start\":\"20261001T000000.000Z\"/\"start\":\"$start\"/" "$TMP/manifest.json" \
		>"$TMP/disk/cur/yb/b$k/20261001-20261101/b$k-Manifest.json"
	run "yb-$k" 1 "$PBI" --format aws-cur --summary --no-progress --source "file://$TMP/disk/cur/yb/b$k" --month 2026-10
	check "a legacy manifest's billing period \"$start\": exit 1, a bad timestamp, naming the manifest" \
		"1|pb-ingest: file://$TMP/disk/cur/yb/b$k/20261001-20261101/b$k-Manifest.json: bad timestamp \"$start\" in member 'billingPeriod.start'|" \
		"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
done
for start in 2026-10-01xyz 2026-10-01T00:00:00.000Zgarbage 2026-10-01T00:00:00.000-13:00 20261001T000000.000Zx; do
	k=$((k + 1))
	mkdir -p "$TMP/disk/cur/yb/b$k/metadata/BILLING_PERIOD=2026-10"
	sed "s/\"start\":\"2026-10-01T00:00:00.000Z\"/\"start\":\"$start\"/" "$TMP/m2.json" \
		>"$TMP/disk/cur/yb/b$k/metadata/BILLING_PERIOD=2026-10/b$k-Manifest.json"
	run "yb-$k" 1 "$PBI" --format aws-cur --summary --no-progress --source "file://$TMP/disk/cur/yb/b$k" --month 2026-10
	check "a CUR 2.0 manifest's billing period \"$start\": exit 1, a bad timestamp, naming the manifest" \
		"1|pb-ingest: file://$TMP/disk/cur/yb/b$k/metadata/BILLING_PERIOD=2026-10/b$k-Manifest.json: bad timestamp \"$start\" in member 'billingPeriod.start'|" \
		"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
done
# Either form in either manifest is the same start: a legacy manifest written in the extended form, and a CUR 2.0
# one in the basic form, are read as written the other way: the same totals.
DISKM=$TMP/disk/cur/cur/daily/20261001-20261101/daily-Manifest.json
sed 's/"start":"20261001T000000.000Z"/"start":"2026-10-01T00:00:00.000Z"/' "$TMP/manifest.json" >"$DISKM"
run yb-legacy-ext 0 "$PBI" --format aws-cur --summary --no-progress --source "file://$TMP/disk/cur/cur/daily" --month 2026-10
check "a legacy manifest's billing period in the extended form, 2026-10-01T00:00:00.000Z: the report's totals" \
	"0||same" "$GOT|$(cat "$TMP/err")|$(cmp -s "$TMP/out" "$TMP/want-disk.csv" && echo same)"
cp "$TMP/manifest.json" "$DISKM"
pb_s3_put cur exports/basic/data/BILLING_PERIOD=2026-10/basic-00001.csv.gz "$TMP/cur2.csv.gz" >/dev/null
sed -e 's/"start":"2026-10-01T00:00:00.000Z"/"start":"20261001T000000.000Z"/' -e 's|exports/monthly/|exports/basic/|' \
	-e 's|/monthly-00001|/basic-00001|' "$TMP/m2.json" >"$TMP/m2-basic.json"
pb_s3_put cur exports/basic/metadata/BILLING_PERIOD=2026-10/basic-Manifest.json "$TMP/m2-basic.json" >/dev/null
run yb-cur2-basic 0 "$PBI" --format aws-cur --summary --no-progress --endpoint "$S3_ENDPOINT" \
	--source s3://cur/exports/basic --month 2026-10
check "a CUR 2.0 manifest's billing period in the basic form, 20261001T000000.000Z: the export's totals" \
	"0||same" "$GOT|$(cat "$TMP/err")|$(cmp -s "$TMP/out" "$TMP/want-cur2.csv" && echo same)"
# A legacy manifest's columns[] is each part's header, in order: a part whose header differs is refused.
DISKM=$TMP/disk/cur/cur/daily/20261001-20261101/daily-Manifest.json
# with_columns HOW: the disk manifest with the columns of hdr.csv, as they are (same), two swapped (swap) or
# the last left out (short).
with_columns() {
	python3 - "$TMP/manifest.json" "$TMP/hdr.csv" "$1" >"$DISKM" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
cols = [dict(zip(('category', 'name'), h.split('/', 1))) for h in open(sys.argv[2]).read().strip().split(',')]
if sys.argv[3] == 'swap':
    cols[3], cols[4] = cols[4], cols[3]
elif sys.argv[3] == 'short':
    cols.pop()
elif sys.argv[3] == 'ctrl':
    cols[4]['name'] = cols[4]['name'][:4] + '\x1b[2J' + cols[4]['name'][4:]
m['columns'] = [dict(c, type='String') for c in cols]
print(json.dumps(m))
PY
}
PART1=file://$TMP/disk/cur/cur/daily/20261001-20261101/11111111-aaaa/daily-00001.csv.gz
with_columns same
run cols-same 0 "$PBI" --format aws-cur --summary --no-progress --source "file://$TMP/disk/cur/cur/daily" --month 2026-10
check "a legacy manifest whose columns are the parts' headers: the same totals" "0|" \
	"$GOT|$(cmp "$TMP/out" "$TMP/want-disk.csv" 2>&1)"
# hdr_col N: the byte column where the header's field N (from 1) starts.
hdr_col() { head -1 "$TMP/hdr.csv" | awk -F, -v n="$1" '{ c = 1; for (i = 1; i < n; i++) c += length($i) + 1; print c }'; }
NCOLS=$(head -1 "$TMP/hdr.csv" | tr ',' '\n' | wc -l)
with_columns swap
run cols-swap 1 "$PBI" --format aws-cur --summary --no-progress --source "file://$TMP/disk/cur/cur/daily" --month 2026-10
check "a header in another order than the manifest's columns: exit 1 at the part's line 1 and the column, both names" \
	"1|pb-ingest: $PART1:1:$(hdr_col 4): the header is not the columns the manifest file://$DISKM declares: column 4 is \"bill/BillingEntity\", the manifest says \"bill/BillType\"|" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
with_columns short
run cols-short 1 "$PBI" --format aws-cur --summary --no-progress --source "file://$TMP/disk/cur/cur/daily" --month 2026-10
check "a header with a column the manifest does not declare: exit 1 at that column, both counts named" \
	"1|pb-ingest: $PART1:1:$(hdr_col "$NCOLS"): the header is not the columns the manifest file://$DISKM declares: $NCOLS columns, the manifest declares $((NCOLS - 1))" \
	"$GOT|$(cat "$TMP/err")"
with_columns ctrl
run cols-ctrl 1 "$PBI" --format aws-cur --summary --no-progress --source "file://$TMP/disk/cur/cur/daily" --month 2026-10
check "a manifest column with a terminal escape: shown as \\xHH, never sent to the terminal" \
	"1|pb-ingest: $PART1:1:$(hdr_col 5): the header is not the columns the manifest file://$DISKM declares: column 5 is \"bill/BillType\", the manifest says \"bill/Bill\\x1b[2JType\"|" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
# The parts a legacy manifest lists: each once, all in its period's folder and its assembly's (AWS writes each
# assembly to REPORT/PERIOD/ASSEMBLYID/); a part in the folder that the manifest does not list is not read.
K=cur/daily/20261001-20261101/11111111-aaaa
# with_keys KEY...: the disk manifest listing these report keys
with_keys() { python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); m["reportKeys"] = sys.argv[2:]; print(json.dumps(m))' \
	"$TMP/manifest.json" "$@" >"$DISKM"; }
for d in 20261001-20261101/22222222-bbbb 20260901-20261001/11111111-aaaa; do
	mkdir -p "$TMP/disk/cur/cur/daily/$d" && cp "$TMP/p0.csv.gz" "$TMP/disk/cur/cur/daily/$d/daily-00001.csv.gz"
done
cp "$TMP/manifest.json" "$DISKM"
run unlisted 0 "$PBI" --format aws-cur --summary --no-progress --source "file://$TMP/disk/cur/cur/daily" --month 2026-10
check "a part of another assembly in the period's folder, not listed: not read, the same totals" "0|" \
	"$GOT|$(cmp "$TMP/out" "$TMP/want-disk.csv" 2>&1)"
# refused_manifest NAME DESCRIPTION MESSAGE KEY...: the disk report's manifest listing KEY...: --summary of the month
# is exit 1 with MESSAGE (after "pb-ingest: "), nothing printed.
refused_manifest() {
	local name=$1 desc=$2 msg=$3
	shift 3
	with_keys "$@"
	run "$name" 1 "$PBI" --format aws-cur --summary --no-progress --source "file://$TMP/disk/cur/cur/daily" --month 2026-10
	check "$desc" "1|pb-ingest: $msg|" "$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
}
refused_manifest twice "a manifest listing a part twice: exit 1 naming it, nothing printed" \
	"file://$DISKM: report key 3 ($K/daily-00001.csv.gz) is report key 1 again: its lines would count twice" \
	"$K/daily-00001.csv.gz" "$K/daily-00002.csv.gz" "$K/daily-00001.csv.gz"
refused_manifest slashes "a manifest listing a part twice, once with '//' in its key: exit 1 naming it, nothing printed" \
	"file://$DISKM: report key 3 ($K//daily-00001.csv.gz) is report key 1 again: its lines would count twice" \
	"$K/daily-00001.csv.gz" "$K/daily-00002.csv.gz" "$K//daily-00001.csv.gz"
refused_manifest percent "a manifest listing a part twice, once with a byte of its key percent-encoded: exit 1 naming it, nothing printed" \
	"file://$DISKM: report key 3 ($K/daily%2D00001.csv.gz) is report key 1 again: its lines would count twice" \
	"$K/daily-00001.csv.gz" "$K/daily-00002.csv.gz" "$K/daily%2D00001.csv.gz"
refused_manifest otherasm "a manifest listing a part of another assembly: exit 1 naming it and both assemblies" \
	"file://$DISKM: report key 2 (cur/daily/20261001-20261101/22222222-bbbb/daily-00001.csv.gz) is in the folder of assembly 22222222-bbbb, not of the manifest's 11111111-aaaa" \
	"$K/daily-00002.csv.gz" "cur/daily/20261001-20261101/22222222-bbbb/daily-00001.csv.gz"
refused_manifest othermonth "a manifest listing a part of another billing period: exit 1 naming it and both periods" \
	"file://$DISKM: report key 2 (cur/daily/20260901-20261001/11111111-aaaa/daily-00001.csv.gz) is in the folder of billing period 20260901-20261001, not of the manifest's 20261001-20261101" \
	"$K/daily-00002.csv.gz" "cur/daily/20260901-20261001/11111111-aaaa/daily-00001.csv.gz"
refused_manifest missing "a manifest listing a part that is not there: exit 1 naming it, nothing printed" \
	"cannot open 'file://$TMP/disk/cur/$K/daily-00009.csv.gz': No such file or directory" \
	"$K/daily-00001.csv.gz" "$K/daily-00009.csv.gz"
# Every part of a legacy report lies under its manifest's folder, REPORT/PERIOD/: a key of another report's folder (of
# the same period and assembly), or one climbing out of the folder with "..", read another report's usage as this one's.
mkdir -p "$TMP/disk/cur/other/20261001-20261101/11111111-aaaa" &&
	cp "$TMP/p1.csv.gz" "$TMP/disk/cur/other/20261001-20261101/11111111-aaaa/daily-00002.csv.gz"
refused_manifest outside "a manifest listing a part of another report's folder: exit 1 naming it and the manifest's folder, nothing printed" \
	"file://$DISKM: report key 2 (other/20261001-20261101/11111111-aaaa/daily-00002.csv.gz) is not in the manifest's folder file://$TMP/disk/cur/cur/daily/20261001-20261101/" \
	"$K/daily-00001.csv.gz" "other/20261001-20261101/11111111-aaaa/daily-00002.csv.gz"
refused_manifest dotdot "a manifest listing a part whose key climbs out of the folder with '..': exit 1 naming it, nothing printed" \
	"file://$DISKM: report key 2 ($K/../../../../other/20261001-20261101/11111111-aaaa/daily-00002.csv.gz) has a '.' or '..' segment: no part of a report is named so" \
	"$K/daily-00001.csv.gz" "$K/../../../../other/20261001-20261101/11111111-aaaa/daily-00002.csv.gz"
refused_manifest pctdots "a manifest listing a part whose key climbs out of the folder with '%2E%2E': exit 1 naming it, nothing printed" \
	"file://$DISKM: report key 2 ($K/%2E%2E/%2E%2E/%2E%2E/%2E%2E/other/20261001-20261101/11111111-aaaa/daily-00002.csv.gz) has a '.' or '..' segment: no part of a report is named so" \
	"$K/daily-00001.csv.gz" "$K/%2E%2E/%2E%2E/%2E%2E/%2E%2E/other/20261001-20261101/11111111-aaaa/daily-00002.csv.gz"
# A file:// address (or a path) with a query, a SAS pasted with it: its signature was shown in the messages naming
# it. They show it as a URL is shown, the query that signs left out.
run file-sig 1 "$PBI" --format aws-cur --summary --no-progress "file://$TMP/disk/none.csv.gz?sv=2022-11-02&sig=S3CR3T"
check "a file:// address with a signed query that is not there: exit 1, the signature not shown" \
	"1|pb-ingest: cannot open 'file://$TMP/disk/none.csv.gz': No such file or directory|" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
printf 'a,b\n1,2\n' >"$TMP/disk/bad.csv?sv=2022-11-02&sig=S3CR3T"
for src in "file://$TMP/disk/bad.csv" "$TMP/disk/bad.csv"; do
	run file-sig-bad 1 "$PBI" --format aws-cur --summary --no-progress "$src?sv=2022-11-02&sig=S3CR3T"
	check "... one that is there, of the wrong columns, named $([ "${src#file:}" = "$src" ] && echo by its path || echo as an address): the signature not shown" \
		"1|pb-ingest: $src:1:1: missing required column 'bill_billing_period_start_date'|" \
		"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
done
cp "$TMP/manifest.json" "$DISKM"
pb_fault_stop >/dev/null 2>&1
pb_fault_start "$TMP/disk" "" >/dev/null || exit 1
if run httpmanifest 0 "$PBI" --format aws-cur --summary --no-progress \
	--source "$FAULT_ENDPOINT/cur/cur/daily" --month 2026-10 && cmp -s "$TMP/out" "$TMP/want-disk.csv"; then
	ok "an http:// manifest and its parts"
else
	notok "an http:// manifest and its parts" "status $GOT: $(cat "$TMP/err")"
fi
if run fileurl 0 "$PBI" --format aws-cur --summary --no-progress "file://$TMP/part-1.csv.gz" &&
	cmp -s "$TMP/out" "$TMP/want.csv"; then
	ok "a single file:// URL"
else
	notok "a single file:// URL" "status $GOT: $(cat "$TMP/err")"
fi
if PB_TEST_PROGRESS_NOW=1 run progress 0 "$PBI" --format aws-cur --summary --progress --source "file://$TMP/disk/cur/cur/daily" --month 2026-10 &&
	grep -q "part [1-3] of 3, file://.* rows, .* MB/s" "$TMP/err" && grep -q "total: .* MB, 30000 rows, .* MB/s" "$TMP/err"; then
	ok "progress names the part of the parts, bytes, rows and MB/s"
else
	notok "progress names the part of the parts, bytes, rows and MB/s" "status $GOT: $(tr '\r' '\n' <"$TMP/err" | tail -3)"
fi

# The object replaced while it is downloaded, by a server that honours neither Range's nor If-Match's
# binding to a version (this one gives no ETag, only Last-Modified): the resumed bytes are of another file.
# Its line 2 moved to the end, its last line to line 2: the same size, a line counted twice if spliced.
pb_fault_stop >/dev/null 2>&1
mkdir -p "$TMP/chg"
cp "$TMP/full.csv" "$TMP/chg/x.csv"
TZ=UTC touch -d '2026-11-01 10:00:00' "$TMP/chg/x.csv"
{ head -n 1 "$TMP/full.csv"; tail -n 1 "$TMP/full.csv"; sed -n '3,$p' "$TMP/full.csv" | sed '$d'; sed -n 2p "$TMP/full.csv"; } >"$TMP/chg/x.new"
TZ=UTC touch -d '2026-11-02 10:00:00' "$TMP/chg/x.new"
pb_fault_start "$TMP/chg" "1:truncate=300000:hold=2" >/dev/null || exit 1
"$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv" >"$TMP/out" 2>"$TMP/err" &
pid=$!
# The object is replaced once the proxy has sent the cut's 300,000 bytes and holds the connection (2 s), not
# after a fixed second: a loaded machine had not sent the first request by then, and the whole download was of
# the new object.
cut_sent() {
	ss -Htni state established "( sport = :${FAULT_ENDPOINT##*:} )" |
		grep -o 'bytes_sent:[0-9]*' | awk -F: '$2 >= 300000 { f = 1 } END { exit !f }'
}
pb_until 60 cut_sent || notok "the proxy sends the cut of x.csv"
mv "$TMP/chg/x.new" "$TMP/chg/x.csv"
wait "$pid"
GOT=$?
check "an object replaced between a cut and its resumption: exit 3, not spliced, not retried" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: the object changed while it was downloaded (Last-Modified was Sun, 01 Nov 2026 10:00:00 GMT, now Mon, 02 Nov 2026 10:00:00 GMT), not retried||2" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(pb_fault_count 'GET')"
pb_fault_stop
# The same within one second, which Last-Modified does not tell apart (or from a server that gives the same one
# to every answer, as one that makes the export as it is asked for), the resumed request answered 200 whole
# (Range ignored): its first bytes were dropped unseen and the rest spliced on. Line 3 is line 2 with account
# 999999999999 (the same length), and the new object swaps them: the cut after line 2 billed line 2's account
# twice and 999999999999 not at all, exit 0. The bytes given again are now compared with those taken.
mkdir -p "$TMP/same"
ROW=$(head -n 1 "$TMP/rows.csv")
ROW2=$(printf '%s\n' "$ROW" | awk -F, -v OFS=, '{ $9 = "999999999999"; print }')
printf '%s\n%s\n%s\n' "$(cat "$TMP/hdr.csv")" "$ROW" "$ROW2" >"$TMP/same/x.csv"
printf '%s\n%s\n%s\n' "$(cat "$TMP/hdr.csv")" "$ROW2" "$ROW" >"$TMP/same/new.csv"
touch -r "$TMP/same/x.csv" "$TMP/same/new.csv"
pb_fault_start "$TMP/same" "1:truncate=$(head -n 2 "$TMP/same/x.csv" | wc -c); 2:serve=new.csv" >/dev/null || exit 1
run samesecond 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "an object without an ETag replaced within its Last-Modified's second, resumed with a 200: exit 3, not spliced" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: the object changed while it was downloaded (it has no ETag, and its first $(head -n 2 "$TMP/same/x.csv" | wc -c) bytes, sent again, are not the ones received before), not retried||2" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(pb_fault_count 'GET')"
pb_fault_stop
# A 200 to a resumed request that gives the same bytes again: they are dropped, the rest taken, the same totals.
pb_fault_start "$TMP/same" "1:truncate=$(head -n 2 "$TMP/same/x.csv" | wc -c); 2:serve=x.csv" >/dev/null || exit 1
run samebytes 0 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "... the same object resumed with a 200: the same totals as the file" \
	"0|$("$PBI" --format aws-cur --summary --no-progress "$TMP/same/x.csv")||2" \
	"$GOT|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_fault_count 'GET')"
pb_fault_stop
# The same with a server that honours Range: a Last-Modified without an ETag bound the resumption to its second
# only, and the new object's bytes from the cut on were spliced on (the first account billed twice, exit 0). Such an
# object is asked for whole again, as one with no validator, and the bytes given again compared: no 206.
pb_fault_start "$TMP/same" "1:truncate=$(head -n 2 "$TMP/same/x.csv" | wc -c); 2:serve=new.csv:range" >/dev/null || exit 1
run samesecond-range 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "an object without an ETag replaced within its Last-Modified's second, from a server that honours Range: exit 3, not spliced" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: the object changed while it was downloaded (it has no ETag, and its first $(head -n 2 "$TMP/same/x.csv" | wc -c) bytes, sent again, are not the ones received before), not retried||2 0" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(pb_fault_count 'GET') $(grep -c 'method=GET .* status=206' "$FAULT_LOG")"
pb_fault_stop
# A server that gives neither an ETag nor a Last-Modified binds a range to nothing but the object's length: the
# new object's bytes from the cut on were spliced on (a 206 from the server that honours Range), the first account
# billed twice, exit 0. Such an object is asked for whole again, and the bytes given again compared.
pb_fault_start "$TMP/same" "1:truncate=$(head -n 2 "$TMP/same/x.csv" | wc -c); 2:serve=new.csv:range" \
	--no-last-modified >/dev/null || exit 1
run noversion 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "an object with neither ETag nor Last-Modified replaced after a cut: exit 3, not spliced" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: the object changed while it was downloaded (it has no ETag, and its first $(head -n 2 "$TMP/same/x.csv" | wc -c) bytes, sent again, are not the ones received before), not retried||0" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(pb_fault_count 'method=GET .* status=206')"
pb_fault_stop
pb_fault_start "$TMP/same" "1:truncate=$(head -n 2 "$TMP/same/x.csv" | wc -c); 2:serve=x.csv:range" \
	--no-last-modified >/dev/null || exit 1
run noversion-same 0 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "... the same object: asked for whole again, the same totals as the file" \
	"0|$("$PBI" --format aws-cur --summary --no-progress "$TMP/same/x.csv")||2 0" \
	"$GOT|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_fault_count 'GET') $(pb_fault_count 'method=GET .* status=206')"
pb_fault_stop
# A chunked answer gives no length to compare: the object, cut after line 2 and replaced by a shorter one (its header
# alone), answered the resumed request 200 whole, ended before the bytes taken were given again, and the two lines
# taken were read as the whole object (exit 0, line 3 never billed). It is now refused, not retried.
head -n 1 "$TMP/same/x.csv" >"$TMP/same/short.csv"
touch -r "$TMP/same/x.csv" "$TMP/same/short.csv"
pb_fault_start "$TMP/same" "1:truncate=$(head -n 2 "$TMP/same/x.csv" | wc -c):chunked; 2:serve=short.csv:chunked" \
	>/dev/null || exit 1
run chunked-shorter 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "a chunked object replaced by a shorter one after a cut: exit 3, not taken as whole" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: the object changed while it was downloaded ($(head -n 2 "$TMP/same/x.csv" | wc -c) bytes were received, and it now ends after $(wc -c <"$TMP/same/short.csv")), not retried||2" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(pb_fault_count 'GET')"
pb_fault_stop
pb_fault_start "$TMP/same" "1:truncate=$(head -n 2 "$TMP/same/x.csv" | wc -c):chunked; 2:serve=x.csv:chunked" \
	>/dev/null || exit 1
run chunked-same 0 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "... the same object chunked, resumed with a 200: the same totals as the file" \
	"0|$("$PBI" --format aws-cur --summary --no-progress "$TMP/same/x.csv")||2" \
	"$GOT|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_fault_count 'GET')"
pb_fault_stop

# A server that resumes at another byte than the one asked for (its Content-Range says so), and cuts that
# answer short too: exit 3 at once, not one byte of it taken, not retried.
cp "$TMP/full.csv" "$TMP/chg/x.csv"
# An ETag binds the resumption (an object without one is asked for whole again, with no Range).
pb_fault_start "$TMP/chg" "1:truncate=300000; 2:truncate=100000:early=1000" --etag 34 >/dev/null || exit 1
run resume-early 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "a resumption 1000 bytes early, cut short: exit 3 naming both bytes, no byte spliced, not retried" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: the server resumed at byte 299000, not 300000, not retried||2" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(pb_fault_count 'GET')"
pb_fault_stop
# A resumption whose range goes 100 bytes past the object's end, its total not given ("bytes 300000-E/*"): the
# bytes past the end were handed on and the download asked for again from there (a 416, "HTTP 416, not retried",
# saying nothing of why). It is refused at its headers: the object is not the one the first answer described.
cp "$TMP/chg/x.csv" "$TMP/chg/y.csv"
pb_fault_start "$TMP/chg" "1@/x.csv:truncate=300000; 2@/x.csv:longer=100; 1@/y.csv:truncate=300000; 2@/y.csv:serve=y.csv:range:nocr" \
	--etag 34 >/dev/null || exit 1
run resume-longer 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "a resumption past the object's end, without a total: exit 3 naming both lengths, no byte taken, not retried" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: the object changed while it was downloaded ($(stat -c %s "$TMP/chg/x.csv") bytes long, now at least $(($(stat -c %s "$TMP/chg/x.csv") + 100))), not retried||2" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(fault_gets 2)"
# A 206 without a Content-Range was said to resume "at byte -1".
run resume-nocr 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/y.csv"
check "a resumption without a Content-Range: exit 3 saying so, no byte taken, not retried" \
	"3|pb-ingest: $FAULT_ENDPOINT/y.csv: HTTP 206 without a Content-Range: the bytes resumed from 300000 are not said to start there, not retried||2" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(fault_gets 4 >/dev/null; pb_fault_count 'path=/y.csv ')"
pb_fault_stop

# ETags of any length are HTTP: one of 1024 characters was kept cut at 255 (and its header line at 511 bytes),
# so the resumption's If-Match named no version and the server's 412 was taken for a changed object. It is kept
# whole, and the cut download resumes; one of 1025 characters is refused at once, as more than is kept.
"$PBI" --format aws-cur --summary --no-progress "$TMP/chg/x.csv" >"$TMP/chg.want" 2>&1 || notok "summary of the local file"
pb_fault_start "$TMP/chg" "1:truncate=300000" --etag 1024 >/dev/null || exit 1
run etag-1024 0 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "an ETag of 1024 characters: the cut download resumes bound to it, the same totals" \
	"0|2|" "$GOT|$(pb_fault_count 'GET')|$(cmp "$TMP/out" "$TMP/chg.want" 2>&1; cat "$TMP/err")"
pb_fault_stop
# A weak ETag (W/"...") binds no range: If-Match compares strongly, so a server answers a resumption bound to it 412,
# and the cut download failed as a changed object. It is asked for whole again, as one without an ETag is.
pb_fault_start "$TMP/chg" "1:truncate=300000" --etag 34 --weak-etag >/dev/null || exit 1
run etag-weak 0 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "a weak ETag: the cut download is asked for whole again, no Range, the same totals" \
	"0|2|0|" "$GOT|$(pb_fault_count 'GET')|$(pb_fault_count 'status=412')|$(cmp "$TMP/out" "$TMP/chg.want" 2>&1; cat "$TMP/err")"
pb_fault_stop
# Without an ETag nothing binds a Range to the version read: a cut download is asked for whole again, and a cut at
# each attempt ends after the 5 attempts, no more. Its message said only "failed after 5 attempts: transfer closed
# with N bytes remaining to read", as though each attempt had resumed; it now says that they started over, and why.
pb_fault_start "$TMP/chg" "*:truncate=300000" --log-headers >/dev/null || exit 1
run noetag-cuts 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "an object without an ETag cut at each attempt: exit 3 after 5 attempts, none with a Range, saying why they started over" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: failed after 5 attempts: transfer closed with $(($(stat -c %s "$TMP/chg/x.csv") - 300000)) bytes remaining to read (the last 4 started over from the first byte: it has no ETag to bind a resumption to)||5 0" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(fault_gets 5) $(grep -c 'headers=.*range' "$FAULT_LOG")"
pb_fault_stop
pb_fault_start "$TMP/chg" "" --etag 1025 >/dev/null || exit 1
run etag-1025 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "an ETag of 1025 characters: exit 3 at once, saying so" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: HTTP 200 with an ETag of 1025 bytes, longer than the 1024 kept to resume a download, not retried||1" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(fault_gets 1)"
pb_fault_stop

# One answer giving two ETags that differ names no one version: which one a resumption's If-Match binds to was the
# last line's. The same one twice is that one. A Content-Length list is read as RFC 9110 5.6.1 says (empty elements
# skipped), but one that starts with an empty element libcurl refuses; a length with a sign is none; leading zeros,
# however many, are only zeros.
XMD5=\"$(md5sum <"$TMP/chg/x.csv" | cut -d' ' -f1)\"
XSIZE=$(stat -c %s "$TMP/chg/x.csv")
pb_fault_start "$TMP/chg" "1@*/x.csv:etag=\"other\":dup; 2@*/x.csv:etag=$XMD5:dup; 3@*/x.csv:length=$XSIZE, , $XSIZE
4@*/x.csv:length=$XSIZE,; 5@*/x.csv:length=+$XSIZE; 6@*/x.csv:length=0$XSIZE; 7@*/x.csv:length=00000000000000000000$XSIZE
8@*/x.csv:length=, $XSIZE" --etag 34 >/dev/null || exit 1
run etag-two 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "an answer with two ETags that differ: exit 3 at once, naming both" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: HTTP 200 with two ETags that differ, $XMD5 and \"other\": the version of its body cannot be known, not retried||1" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(fault_gets 1)"
for c in etag-twice cl-blank cl-trailing; do
	run $c 0 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
	check "$c: the same totals" "0|" "$GOT|$(cmp "$TMP/out" "$TMP/chg.want" 2>&1; cat "$TMP/err")"
done
run cl-plus 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "a Content-Length with a sign (+N): exit 3, not a length" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: HTTP 200 with Content-Length +$XSIZE: not a length (a whole number of bytes below 2^63), not retried|" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
for c in cl-zero cl-zeros; do
	run $c 0 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
	check "$c: the same totals" "0|" "$GOT|$(cmp "$TMP/out" "$TMP/chg.want" 2>&1; cat "$TMP/err")"
done
run cl-leading 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "a Content-Length list starting with an empty element (, N): exit 3, libcurl refuses it" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: HTTP 200 with a header line libcurl refuses (Invalid Content-Length: value), not retried|" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
pb_fault_stop

# A resumption answered without an ETag, the first answer having given one: whether the server compared If-Match
# cannot be told, and its bytes were spliced on (exit 0). Refused, not retried.
pb_fault_start "$TMP/chg" "1@*/x.csv:truncate=300000; 2@*/x.csv:etag=" --etag 34 >/dev/null || exit 1
run resume-noetag 3 "$PBI" --format aws-cur --summary --no-progress "$FAULT_ENDPOINT/x.csv"
check "a resumption answered without the ETag of the first answer: exit 3, nothing printed" \
	"3|pb-ingest: $FAULT_ENDPOINT/x.csv: the object changed while it was downloaded (ETag was $XMD5, now none), not retried||2" \
	"$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(fault_gets 2)"
pb_fault_stop

# Into the store: a download that fails commits nothing and leaves the previous import.
pb_test_cluster_start
pb_fault_stop >/dev/null 2>&1
# Request 1 is the look at the first line (for the billing month); the download proper fails for good.
pb_fault_start "$S3_ENDPOINT" "2-:500" >/dev/null || exit 1
"$PBI" --format aws-cur --no-progress --endpoint "$S3_ENDPOINT" "$URL" >"$TMP/out" 2>"$TMP/err" ||
	notok "import from s3" "$(cat "$TMP/err")"
before=$(pb_sql "SELECT id, status, list_total, billed_total FROM pb.import ORDER BY id" '|')
run store-fail 3 "$PBI" --format aws-cur --no-progress --stall-timeout 2 --endpoint "$FAULT_ENDPOINT" "$URL"
after=$(pb_sql "SELECT id, status, list_total, billed_total FROM pb.import WHERE status <> 'failed' ORDER BY id" '|')
etag=$(pb_sql "SELECT f.etag <> '' AND f.uri = '$URL' FROM pb.import_file f
	JOIN pb.import i ON i.id = f.import_id WHERE i.status = 'committed'")
if [ "$GOT" -eq 3 ] && [ "$before" == "$after" ] && [ "$etag" == "t" ]; then
	ok "a failed download commits nothing; the import keeps the part's URI and ETag"
else
	notok "a failed download commits nothing; the import keeps the part's URI and ETag" "status $GOT, etag $etag: $(cat "$TMP/err")"
fi
pb_fault_stop
pb_fault_start "$S3_ENDPOINT" "2:corrupt=$((SIZE1 - 1))" >/dev/null || exit 1
run store-corrupt 3 "$PBI" --format aws-cur --no-progress --endpoint "$FAULT_ENDPOINT" "$URL"
after=$(pb_sql "SELECT id, status, list_total, billed_total FROM pb.import WHERE status <> 'failed' ORDER BY id" '|')
check "a download whose MD5 is not its ETag's: exit 3, nothing committed" \
	"3|$before|$URL: the bytes received are not the object the server describes: their MD5 is $BAD_MD5, its ETag gives $WANT_MD5, not retried" \
	"$GOT|$after|$(pb_sql "SELECT error FROM pb.import ORDER BY id DESC LIMIT 1")"
# A path holding a SAS pasted with it (a download saved under its URL): the import recorded it with its signature.
cp "$TMP/small.csv.gz" "$TMP/disk/small.csv.gz?sv=2022-11-02&sig=S3CR3T"
run store-sig 0 "$PBI" --format aws-cur --no-progress "$TMP/disk/small.csv.gz?sv=2022-11-02&sig=S3CR3T"
check "a path with a signed query into the store: its file recorded without the signature" \
	"0|file://$TMP/disk/small.csv.gz|0" \
	"$GOT|$(pb_sql "SELECT uri FROM pb.import_file WHERE uri LIKE '%small.csv.gz%'")|$(cat "$TMP/out" "$TMP/err" | grep -c S3CR3T)"

# Assemblies into the store: one commits, the same again is a no-op, a new one supersedes it.
asm_sql() { pb_sql "SELECT id, status, assembly_id, final FROM pb.import WHERE source = 's3://cur/cur/daily' ORDER BY id" ' ' | tr '\n' ';'; }
if run asm1 0 "$PBI" --format aws-cur --no-progress --endpoint "$S3_ENDPOINT" --source s3://cur/cur/daily --month 2026-10 &&
	grep -q "^import [0-9]* committed: aws 2026-10 from s3://cur/cur/daily: 3 files, 30000 lines" "$TMP/out"; then
	ok "an assembly of three parts is one import"
else
	notok "an assembly of three parts is one import" "status $GOT: $(cat "$TMP/out" "$TMP/err")"
fi
first=$(asm_sql)
run asm1again 0 "$PBI" --format aws-cur --no-progress --endpoint "$S3_ENDPOINT" --source s3://cur/cur/daily --month 2026-10
if grep -q "^assembly 11111111-aaaa of aws 2026-10 from s3://cur/cur/daily is committed already as import [0-9]*: nothing to do$" "$TMP/out" &&
	[ "$(asm_sql)" == "$first" ] && [[ $first == *"committed 11111111-aaaa t;" ]]; then
	ok "the same assembly again is a no-op that says so; the import is final (every line has an invoice id)"
else
	notok "the same assembly again is a no-op that says so; the import is final" "$first | $(asm_sql) | $(cat "$TMP/out" "$TMP/err")"
fi
sed -i '2s/,[0-9.]*,/,1.5,/' "$TMP/rows-00" 2>/dev/null
asm_parts 22222222-bbbb
run asm2 0 "$PBI" --format aws-cur --no-progress --endpoint "$S3_ENDPOINT" --source s3://cur/cur/daily --month 2026-10
after=$(asm_sql)
if [[ $after == *"superseded 11111111-aaaa t;"*"committed 22222222-bbbb t;" ]]; then
	ok "a new assembly supersedes the old one"
else
	notok "a new assembly supersedes the old one" "$after | $(cat "$TMP/err")"
fi

# A report written in place (CUR 2.0 writes the same keys for each delivery of a billing period): AWS writing the
# next delivery while the parts of one are read. Each part read must still have its ETag after the last, and the
# manifest must name the same delivery: else exit 3 (retried by pb-run), nothing committed.
IP=exports/inplace/data/BILLING_PERIOD=2026-10/inplace
IPM=exports/inplace/metadata/BILLING_PERIOD=2026-10/inplace-Manifest.json
"$TMP/gen_cur" 4000 31 --cur2 >"$TMP/ip.csv"
head -n 1 "$TMP/ip.csv" >"$TMP/ip-hdr.csv"
tail -n +2 "$TMP/ip.csv" >"$TMP/ip-rows.csv"
split -n l/2 -d "$TMP/ip-rows.csv" "$TMP/ip-rows-"
cat "$TMP/ip-hdr.csv" "$TMP/ip-rows-00" | gzip -c >"$TMP/ip1.csv.gz"
cat "$TMP/ip-hdr.csv" "$TMP/ip-rows-01" | gzip -c >"$TMP/ip2.csv.gz"
sed '1s/,[0-9.]*,/,2.5,/' "$TMP/ip-rows-00" | cat "$TMP/ip-hdr.csv" - | gzip -c >"$TMP/ip1-new.csv.gz"
ip_manifest() { # EXECUTIONID
	printf '{"executionId":"%s","billingPeriod":{"start":"2026-10-01T00:00:00.000Z","end":"2026-11-01T00:00:00.000Z"},"dataFiles":["s3://cur/%s-00001.csv.gz","s3://cur/%s-00002.csv.gz"]}' \
		"$1" "$IP" "$IP" >"$TMP/ip-m.json"
	pb_s3_put cur "$IPM" "$TMP/ip-m.json" >/dev/null
}
pb_s3_put cur "$IP-00001.csv.gz" "$TMP/ip1.csv.gz" >/dev/null && pb_s3_put cur "$IP-00002.csv.gz" "$TMP/ip2.csv.gz" >/dev/null &&
	ip_manifest exec-a || notok "put a CUR 2.0 report into s3rver"
# ip_run WHILE...: imports the report, running WHILE... once its first part is read.
ip_run() {
	rm -f "$TMP/ip-resume"
	PB_TEST_PAUSE=read PB_TEST_PAUSE_SECONDS=60 PB_TEST_RESUME_FILE=$TMP/ip-resume "$PBI" --format aws-cur --no-progress --endpoint "$S3_ENDPOINT" \
		--source s3://cur/exports/inplace --month 2026-10 >"$TMP/out" 2>"$TMP/err" &
	BGPID=$!
	pb_until 60 grep -q "test pause at read" "$TMP/err" || notok "the import pauses at read" "$(cat "$TMP/err")"
	"$@"
	touch "$TMP/ip-resume"
	wait "$BGPID"
	GOT=$?
	BGPID=
	sed -i '/test pause at read/d' "$TMP/err"
}
ip_sql() { pb_sql "SELECT status, assembly_id, coalesce(error, '') FROM pb.import WHERE source = 's3://cur/exports/inplace' ORDER BY id" ' ' | tr '\n' ';'; }
etag() { echo "\"$(md5sum <"$1" | cut -d' ' -f1)\""; }
ip_run pb_s3_put cur "$IP-00001.csv.gz" "$TMP/ip1-new.csv.gz"
msg="s3://cur/$IP-00001.csv.gz: a new delivery landed while the report was read: the part was read with ETag $(etag "$TMP/ip1.csv.gz"), it has ETag $(etag "$TMP/ip1-new.csv.gz") now"
check "a part rewritten in place after it was read: exit 3 naming it and both ETags, nothing committed" \
	"3|pb-ingest: $msg||failed  $msg;" "$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(ip_sql)"
pb_s3_put cur "$IP-00001.csv.gz" "$TMP/ip1.csv.gz" >/dev/null
before=$(ip_sql)
ip_run ip_manifest exec-b
msg="s3://cur/$IPM: a new delivery landed while the report was read: the manifest was read with assembly exec-a, it names assembly exec-b now"
check "a manifest rewritten while the parts were read: exit 3 naming it and both assemblies, nothing committed" \
	"3|pb-ingest: $msg||${before}failed  $msg;" "$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")|$(ip_sql)"
before=$(ip_sql)
ip_run true
# (Its accounts are those of the reports imported above: the warnings of the overlaps are left out.)
check "a delivery left as it is while it is read: committed whole" \
	"0||${before}committed exec-b ;" "$GOT|$(grep -v '^pb-ingest: warning: aws partner account ' "$TMP/err")|$(ip_sql)"
check "... its two parts and every line" "2 files, 4000 lines" "$(grep -o '[0-9]* files, [0-9]* lines' "$TMP/out")"

# The same check from an https:// server that refuses HEAD (405, as some servers and CDNs do): each part is asked for
# its first byte instead (Range: bytes=0-0), its ETag read from that answer's headers, and a part rewritten after it
# was read is still refused.
HP=cur/hp/20261001-20261101
mkdir -p "$TMP/hp/cur/$HP"
"$TMP/gen_cur" 200 41 >"$TMP/hp.csv"
head -n 1 "$TMP/hp.csv" >"$TMP/hp-hdr.csv"
tail -n +2 "$TMP/hp.csv" >"$TMP/hp-rows.csv"
split -n l/2 -d "$TMP/hp-rows.csv" "$TMP/hp-rows-"
cat "$TMP/hp-hdr.csv" "$TMP/hp-rows-00" | gzip -c >"$TMP/hp/cur/$HP/hp-00001.csv.gz"
cat "$TMP/hp-hdr.csv" "$TMP/hp-rows-01" | gzip -c >"$TMP/hp/cur/$HP/hp-00002.csv.gz"
sed '1s/,[0-9.]*,/,2.5,/' "$TMP/hp-rows-00" | cat "$TMP/hp-hdr.csv" - | gzip -c >"$TMP/hp1-new.csv.gz"
cp "$TMP/hp/cur/$HP/hp-00001.csv.gz" "$TMP/hp1.csv.gz"
printf '{"assemblyId":"hp-1","reportName":"hp","bucket":"cur","billingPeriod":{"start":"20261001T000000.000Z","end":"20261101T000000.000Z"},"reportKeys":["%s/hp-00001.csv.gz","%s/hp-00002.csv.gz"],"columns":[]}' \
	"$HP" "$HP" >"$TMP/hp/cur/$HP/hp-Manifest.json"
pb_fault_stop >/dev/null 2>&1
pb_fault_start "$TMP/hp" "*:405:method=HEAD" "${TLS[@]}" --etag 34 >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hp
hp_sql() { pb_sql "SELECT status, coalesce(error, '') FROM pb.import WHERE source = '$HPS' ORDER BY id" ' ' | tr '\n' ';'; }
hp_run() { # WHILE...: imports the report, running WHILE... once its first part is read
	rm -f "$TMP/hp-resume"
	PB_TEST_PAUSE=read PB_TEST_PAUSE_SECONDS=60 PB_TEST_RESUME_FILE=$TMP/hp-resume CURL_CA_BUNDLE="$TMP/tls.crt" \
		"$PBI" --format aws-cur --no-progress --source "$HPS" --month 2026-10 >"$TMP/out" 2>"$TMP/err" &
	BGPID=$!
	pb_until 60 grep -q "test pause at read" "$TMP/err" || notok "the import pauses at read" "$(cat "$TMP/err")"
	"$@"
	touch "$TMP/hp-resume"
	wait "$BGPID"
	GOT=$?
	BGPID=
	sed -i -e '/test pause at read/d' -e '/^pb-ingest: warning: aws partner account /d' "$TMP/err"
}
hp_run cp "$TMP/hp1-new.csv.gz" "$TMP/hp/cur/$HP/hp-00001.csv.gz"
msg="$FAULT_ENDPOINT/cur/$HP/hp-00001.csv.gz: a new delivery landed while the report was read: the part was read with ETag $(etag "$TMP/hp1.csv.gz"), it has ETag $(etag "$TMP/hp1-new.csv.gz") now"
check "HEAD refused (405): a part rewritten in place after it was read, seen by a GET of its first byte: exit 3, nothing committed" \
	"3|pb-ingest: $msg|failed $msg;" "$GOT|$(cat "$TMP/err")|$(hp_sql)"
cp "$TMP/hp1.csv.gz" "$TMP/hp/cur/$HP/hp-00001.csv.gz"
before=$(hp_sql)
hp_run true
check "HEAD refused (405): a delivery left as it is while it is read is committed, each part looked at with a GET of its first byte" \
	"0||${before}committed ;|3 3" \
	"$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=HEAD .*status=405') $(pb_fault_count 'method=GET .*status=206')"
# A part emptied in place after it was read (a report of its own, its one part): the GET of its first byte is answered
# 416 with "Content-Range: bytes */0", an object of no bytes, whose ETag is that answer's. It failed with "HTTP 416,
# not retried" instead of saying so.
HZ=cur/hz/20261001-20261101
mkdir -p "$TMP/hp/cur/$HZ"
cp "$TMP/hp1.csv.gz" "$TMP/hp/cur/$HZ/hz-00001.csv.gz"
printf '{"assemblyId":"hz-1","reportName":"hz","bucket":"cur","billingPeriod":{"start":"20261001T000000.000Z","end":"20261101T000000.000Z"},"reportKeys":["%s/hz-00001.csv.gz"],"columns":[]}' \
	"$HZ" >"$TMP/hp/cur/$HZ/hz-Manifest.json"
HPS=$FAULT_ENDPOINT/cur/cur/hz
hp_run truncate -s 0 "$TMP/hp/cur/$HZ/hz-00001.csv.gz"
msg="$FAULT_ENDPOINT/cur/$HZ/hz-00001.csv.gz: a new delivery landed while the report was read: the part was read with ETag $(etag "$TMP/hp1.csv.gz"), it has ETag $(etag /dev/null) now"
check "HEAD refused (405): a part emptied after it was read, its first byte answered 416 (bytes */0): exit 3, its ETag named" \
	"3|pb-ingest: $msg|failed $msg;|1" "$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=GET .*status=416')"
pb_fault_stop
# Some servers answer that GET 416 without a Content-Range: bytes=0-0 is unsatisfiable only for an object of no bytes,
# and the answer's ETag is the empty object's. It failed with "HTTP 416, not retried". Without an ETag (nor a
# Last-Modified) in the 416, nothing can be compared: it says that the part, read with its ETag, has no bytes now.
HW=cur/hw/20261001-20261101
mkdir -p "$TMP/hp/cur/$HW"
hw_report() { # ASSEMBLY: the report's manifest and its one part, as it was read
	cp "$TMP/hp1.csv.gz" "$TMP/hp/cur/$HW/hw-00001.csv.gz"
	printf '{"assemblyId":"%s","reportName":"hw","bucket":"cur","billingPeriod":{"start":"20261001T000000.000Z","end":"20261101T000000.000Z"},"reportKeys":["%s/hw-00001.csv.gz"],"columns":[]}' \
		"$1" "$HW" >"$TMP/hp/cur/$HW/hw-Manifest.json"
}
hw_report hw-1
pb_fault_start "$TMP/hp" "*:405:method=HEAD; *:bare416" "${TLS[@]}" --etag 34 >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hw
before=$(hp_sql)
hp_run truncate -s 0 "$TMP/hp/cur/$HW/hw-00001.csv.gz"
msg="$FAULT_ENDPOINT/cur/$HW/hw-00001.csv.gz: a new delivery landed while the report was read: the part was read with ETag $(etag "$TMP/hp1.csv.gz"), it has ETag $(etag /dev/null) now"
check "HEAD refused (405): a part emptied after it was read, its first byte answered 416 without a Content-Range: exit 3, its ETag named" \
	"3|pb-ingest: $msg|${before}failed $msg;|1" "$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=GET .*status=416')"
pb_fault_stop
hw_report hw-2
pb_fault_start "$TMP/hp" "*:405:method=HEAD; *:bare416:novalidators" "${TLS[@]}" --etag 34 >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hw
before=$(hp_sql)
hp_run truncate -s 0 "$TMP/hp/cur/$HW/hw-00001.csv.gz"
msg="$FAULT_ENDPOINT/cur/$HW/hw-00001.csv.gz: a new delivery landed while the report was read: the part was read with ETag $(etag "$TMP/hp1.csv.gz"), it has no bytes now (HTTP 416 to a request of its first byte, without an ETag)"
check "HEAD refused (405): a part emptied, its first byte answered 416 with neither a Content-Range nor an ETag: exit 3, saying it has no bytes now" \
	"3|pb-ingest: $msg|${before}failed $msg;|1" "$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=GET .*status=416')"
pb_fault_stop
# A 416 to that GET whose Content-Range gives the object bytes (bytes */1234: a server that is wrong, or an object
# that changed between the range and the length) failed with "HTTP 416" and no more. It describes the object with that
# length: one other than the part's length read is a new delivery, said with both; the same, its ETag is compared.
HV=cur/hv/20261001-20261101
mkdir -p "$TMP/hp/cur/$HV"
"$TMP/gen_cur" 100 53 | gzip -c >"$TMP/hv1.csv.gz"
cp "$TMP/hv1.csv.gz" "$TMP/hp/cur/$HV/hv-00001.csv.gz"
printf '{"assemblyId":"hv-1","reportName":"hv","bucket":"cur","billingPeriod":{"start":"20261001T000000.000Z","end":"20261101T000000.000Z"},"reportKeys":["%s/hv-00001.csv.gz"],"columns":[]}' \
	"$HV" >"$TMP/hp/cur/$HV/hv-Manifest.json"
pb_fault_start "$TMP/hp" "*:405:method=HEAD; *:range416" "${TLS[@]}" --etag 34 >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hv
before=$(hp_sql)
hp_run true
check "HEAD refused (405): a part left as it is, its first byte answered 416 giving its length: committed" \
	"0||${before}committed ;|1" "$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=GET .*status=416')"
pb_fault_stop
sed -i 's/"hv-1"/"hv-2"/' "$TMP/hp/cur/$HV/hv-Manifest.json"
pb_fault_start "$TMP/hp" "*:405:method=HEAD; *:range416" "${TLS[@]}" --etag 34 >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hv
before=$(hp_sql)
hv_len=$(stat -c %s "$TMP/hv1.csv.gz")
hp_run eval 'printf x >>"$TMP/hp/cur/$HV/hv-00001.csv.gz"'
msg="$FAULT_ENDPOINT/cur/$HV/hv-00001.csv.gz: a new delivery landed while the report was read: the part was read with $hv_len bytes, it has $((hv_len + 1)) now (HTTP 416 to a request of its first byte, Content-Range bytes */$((hv_len + 1)))"
check "HEAD refused (405): a part grown after it was read, its first byte answered 416 giving its length: exit 3, both lengths named" \
	"3|pb-ingest: $msg|${before}failed $msg;|1" "$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=GET .*status=416')"
pb_fault_stop
# A 416 with two Content-Ranges that give two lengths (bytes */SIZE, then bytes */0) says two things of the object: the
# last was taken, and the part, read with its bytes, was compared as an object of none and committed. It is no such
# range, an error as one that is not an unsatisfied range.
"$TMP/gen_cur" 100 54 | gzip -c >"$TMP/hp/cur/$HV/hv-00001.csv.gz"
sed -i 's/"hv-2"/"hv-3"/' "$TMP/hp/cur/$HV/hv-Manifest.json"
pb_fault_start "$TMP/hp" "*:405:method=HEAD; *:range416:tworanges" "${TLS[@]}" --etag 34 >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hv
before=$(hp_sql)
hp_run true
msg="$FAULT_ENDPOINT/cur/$HV/hv-00001.csv.gz: HTTP 416, not retried (looking whether a new delivery landed while the report was read)"
check "HEAD refused (405): a part's first byte answered 416 with two Content-Ranges of two lengths: exit 3, not committed" \
	"3|pb-ingest: $msg|${before}failed $msg;|1" "$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=GET .*status=416')"
pb_fault_stop
# A 416 that says the part has no bytes (bytes */0), with the ETag it was read with (a server whose ETag does not follow
# its bytes): the part, read with its bytes, was taken as unchanged and committed. Its bytes are gone: a new delivery.
"$TMP/gen_cur" 100 55 | gzip -c >"$TMP/hp/cur/$HV/hv-00001.csv.gz"
sed -i 's/"hv-3"/"hv-4"/' "$TMP/hp/cur/$HV/hv-Manifest.json"
pb_fault_start "$TMP/hp" "*:405:method=HEAD; *:range416:zero" "${TLS[@]}" --etag 34 >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hv
before=$(hp_sql)
hp_run true
msg="$FAULT_ENDPOINT/cur/$HV/hv-00001.csv.gz: a new delivery landed while the report was read: the part was read with $(stat -c %s "$TMP/hp/cur/$HV/hv-00001.csv.gz") bytes, it has none now (HTTP 416 to a request of its first byte, with the ETag it was read with)"
check "HEAD refused (405): a part's first byte answered 416 (bytes */0) with the part's own ETag: exit 3, not committed" \
	"3|pb-ingest: $msg|${before}failed $msg;|1" "$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=GET .*status=416')"
pb_fault_stop

# A server that answers the same ETag for an object whose length changed (a weak or broken ETag, an object rewritten
# in place by a proxy that keeps it), or the same Last-Modified (within its second): the answer to the HEAD (its
# Content-Length), or to the GET of its first byte (a 206's Content-Range, a 200's Content-Length), gives the object's
# length, but only a 416's was compared, and the part, read with other bytes, was committed. A length other than the
# one read is a new delivery, said with both; the same one, the part is committed.
HL=cur/hl/20261001-20261101
mkdir -p "$TMP/hp/cur/$HL"
"$TMP/gen_cur" 100 56 | gzip -c >"$TMP/hl1.csv.gz"
hl_len=$(stat -c %s "$TMP/hl1.csv.gz")
hl_part=$TMP/hp/cur/$HL/hl-00001.csv.gz
hl_report() { # ASSEMBLY: the report's manifest and its one part, as it was read
	cp "$TMP/hl1.csv.gz" "$hl_part"
	printf '{"assemblyId":"%s","reportName":"hl","bucket":"cur","billingPeriod":{"start":"20261001T000000.000Z","end":"20261101T000000.000Z"},"reportKeys":["%s/hl-00001.csv.gz"],"columns":[]}' \
		"$1" "$HL" >"$TMP/hp/cur/$HL/hl-Manifest.json"
}
hl_grow() { # the part one byte longer, its time of modification kept (the same Last-Modified)
	local mtime
	mtime=$(stat -c %Y "$hl_part")
	printf x >>"$hl_part"
	touch -m -d "@$mtime" "$hl_part"
}
hl_msg() { # LENGTH ANSWER: the message on the part read with $hl_len bytes, said to have LENGTH by ANSWER
	echo "$FAULT_ENDPOINT/cur/$HL/hl-00001.csv.gz: a new delivery landed while the report was read: the part was read with $hl_len bytes, it has $1 now ($2)"
}
hl_report hl-1
pb_fault_start "$TMP/hp" '*:etag="samesame"' "${TLS[@]}" >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hl
before=$(hp_sql)
hp_run hl_grow
msg=$(hl_msg $((hl_len + 1)) "HTTP 200 to a HEAD request, Content-Length $((hl_len + 1))")
check "a part grown after it was read, its HEAD answered with the ETag it was read with: exit 3, both lengths named" \
	"3|pb-ingest: $msg|${before}failed $msg;|1" "$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=HEAD .*status=200')"
pb_fault_stop
hl_report hl-2
pb_fault_start "$TMP/hp" '*:405:method=HEAD; *:etag="samesame"' "${TLS[@]}" >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hl
before=$(hp_sql)
hp_run hl_grow
msg=$(hl_msg $((hl_len + 1)) "HTTP 206 to a request of its first byte, its Content-Range giving a complete length of $((hl_len + 1))")
check "HEAD refused (405): a part grown after it was read, its first byte answered 206 with the ETag it was read with: exit 3, both lengths named" \
	"3|pb-ingest: $msg|${before}failed $msg;|1" "$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=GET .*status=206')"
pb_fault_stop
# Without an ETag, the Last-Modified is compared: a part grown within its second (its time of modification kept),
# whose server ignores Range and answers that GET 200 whole (its Content-Length the object's).
hl_report hl-3
cp -p "$hl_part" "$TMP/hp/hl-grown.csv.gz"
printf x >>"$TMP/hp/hl-grown.csv.gz"
touch -m -r "$hl_part" "$TMP/hp/hl-grown.csv.gz"
# The part's requests are counted together: the GET that reads it, the HEAD refused, then the GET of its first byte.
pb_fault_start "$TMP/hp" '*:405:method=HEAD; 3@*/hl-00001.csv.gz:serve=hl-grown.csv.gz:method=GET' "${TLS[@]}" >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hl
before=$(hp_sql)
hp_run true
msg=$(hl_msg $((hl_len + 1)) "HTTP 200 to a request of its first byte, Content-Length $((hl_len + 1))")
check "HEAD refused (405): a part grown within the second it was read, its first byte answered 200 whole with the Last-Modified it was read with: exit 3, both lengths named" \
	"3|pb-ingest: $msg|${before}failed $msg;|1" "$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=GET .*fault=serve.*status=200')"
pb_fault_stop
# Last: bytes committed are refused under another source, and each server's port makes another one.
hl_report hl-4
pb_fault_start "$TMP/hp" '*:etag="samesame"' "${TLS[@]}" >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hl
before=$(hp_sql)
hp_run true
check "a part left as it is, its HEAD answered with the ETag and the length it was read with: committed" \
	"0||${before}committed ;|1" "$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=HEAD .*status=200')"
pb_fault_stop

# An S3 presigned URL is signed for GET alone: S3 answers its HEAD 403 (SignatureDoesNotMatch), and every import of a
# report whose parts are such URLs failed at the check above. A part whose query says it is presigned
# (X-Amz-Algorithm, X-Amz-Signature) is asked for its first byte when its HEAD is answered 403; a 403 to that GET too
# is the error said, naming the URL without its signature. Any other URL's 403 is a permission refused: an error.
HQ=cur/hq/20261001-20261101
mkdir -p "$TMP/hp/cur/$HQ"
"$TMP/gen_cur" 100 47 | gzip -c >"$TMP/hp/cur/$HQ/hq-00001.csv.gz"
PRESIGNED='X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=5e1f0c0ffee5e1f0c0ffee'
hq_report() { # ASSEMBLY [QUERY]: the report's manifest, its one part's key followed by ?QUERY when there is one
	printf '{"assemblyId":"%s","reportName":"hq","bucket":"cur","billingPeriod":{"start":"20261001T000000.000Z","end":"20261101T000000.000Z"},"reportKeys":["%s/hq-00001.csv.gz%s"],"columns":[]}' \
		"$1" "$HQ" "${2:+?$2}" >"$TMP/hp/cur/$HQ/hq-Manifest.json"
}
hq_report hq-1 "$PRESIGNED"
pb_fault_start "$TMP/hp" "*:403:method=HEAD:code=SignatureDoesNotMatch" "${TLS[@]}" --etag 34 >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hq
before=$(hp_sql)
hp_run true
check "a presigned part whose HEAD is answered 403: looked at with a GET of its first byte, committed" \
	"0||${before}committed ;|1 1" \
	"$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=HEAD .*status=403') $(pb_fault_count 'method=GET .*status=206')"
pb_fault_stop
hq_report hq-2 "$PRESIGNED"
pb_fault_start "$TMP/hp" "per-path 2-@*.csv.gz:403:code=AccessDenied" "${TLS[@]}" --etag 34 >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hq
before=$(hp_sql)
hp_run true
msg="$FAULT_ENDPOINT/cur/$HQ/hq-00001.csv.gz: HTTP 403 (AccessDenied), not retried (looking whether a new delivery landed while the report was read)"
check "a presigned part whose HEAD and first byte are both answered 403: exit 3, the GET's 403 named, the URL without its signature" \
	"3|pb-ingest: $msg|${before}failed $msg;|1 1" \
	"$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=HEAD .*status=403') $(pb_fault_count 'method=GET .*status=403')"
pb_fault_stop
hq_report hq-3
pb_fault_start "$TMP/hp" "*:403:method=HEAD" "${TLS[@]}" --etag 34 >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hq
before=$(hp_sql)
hp_run true
msg="$FAULT_ENDPOINT/cur/$HQ/hq-00001.csv.gz: HTTP 403, not retried (looking whether a new delivery landed while the report was read)"
check "a part that is not presigned whose HEAD is answered 403: exit 3, no GET of its first byte" \
	"3|pb-ingest: $msg|${before}failed $msg;|1 0" \
	"$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=HEAD .*status=403') $(pb_fault_count 'method=GET .*status=206')"
pb_fault_stop
# Presigned the older way (signature version 2: AWSAccessKeyId, Expires, Signature): the same, and its Signature is
# never shown nor stored. (Other bytes: the first report's, committed, must not be billed twice.)
"$TMP/gen_cur" 100 49 | gzip -c >"$TMP/hp/cur/$HQ/hq-00001.csv.gz"
hq_report hq-4 'AWSAccessKeyId=AKIA1&Expires=1767225600&Signature=ab%2Bc%3D'
pb_fault_start "$TMP/hp" "*:403:method=HEAD:code=SignatureDoesNotMatch" "${TLS[@]}" --etag 34 >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hq
before=$(hp_sql)
hp_run true
check "a part presigned with signature version 2 whose HEAD is answered 403: looked at with a GET of its first byte, committed, its Signature stored nowhere" \
	"0||${before}committed ;|1 1|0" \
	"$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=HEAD .*status=403') $(pb_fault_count 'method=GET .*status=206')|$(pb_sql "SELECT count(*) FROM pb.import_file WHERE strpos(uri, 'Signature') > 0")"
pb_fault_stop
# A presigned part whose names are percent-encoded (X-Amz-Sig%6Eature: S3 decodes a name before it reads it) was not
# taken for presigned: its HEAD's 403 failed the import, the URL shown with its signature in the message and the
# import's error. It is presigned as the plain one is, and its signature is shown and stored nowhere.
"$TMP/gen_cur" 100 50 | gzip -c >"$TMP/hp/cur/$HQ/hq-00001.csv.gz"
hq_report hq-5 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F1&X-Amz-Sig%6Eature=5ec0ffee5ec0ffee'
pb_fault_start "$TMP/hp" "*:403:method=HEAD:code=SignatureDoesNotMatch" "${TLS[@]}" --etag 34 >/dev/null || exit 1
HPS=$FAULT_ENDPOINT/cur/cur/hq
before=$(hp_sql)
hp_run true
check "a part presigned with its names percent-encoded whose HEAD is answered 403: looked at with a GET of its first byte, committed, its signature stored nowhere" \
	"0||${before}committed ;|1 1|0|0" \
	"$GOT|$(cat "$TMP/err")|$(hp_sql)|$(pb_fault_count 'method=HEAD .*status=403') $(pb_fault_count 'method=GET .*status=206')|$(pb_sql "SELECT count(*) FROM pb.import i LEFT JOIN pb.import_file f ON f.import_id = i.id WHERE strpos(row_to_json(i)::text || coalesce(row_to_json(f)::text, ''), '5ec0ffee') > 0")|$(grep -c 5ec0ffee "$TMP/out" "$TMP/err" | grep -vc ':0$')"
pb_fault_stop
# A URL whose secret parameter's name is percent-encoded, in part or whole (%73ig= for an Azure SAS's sig=,
# %53ignature=, X-Amz-Sig%6Eature=, a token): the name is the same to the server, and the query was shown in the
# messages naming the URL and recorded in the store. It is left out as for the plain name.
pb_fault_start "$TMP/hp" "" "${TLS[@]}" --etag 34 >/dev/null || exit 1
for query in 'sv=2022-11-02&sr=b&%73ig=S3CR3T' 'sv=1&%53%49%47=S3CR3T' 'AWSAccessKeyId=AKIA1&Expires=1&%53ignature=S3CR3T' \
	'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Sig%6eature=S3CR3T' 'ac%63ess_%74oken=S3CR3T'; do
	run encoded-404 3 env CURL_CA_BUNDLE="$TMP/tls.crt" "$PBI" --format aws-cur --summary --no-progress \
		"$FAULT_ENDPOINT/cur/none.csv.gz?$query"
	check "a URL with ?$query that is not there: exit 3, the URL named without its query" \
		"3|pb-ingest: $FAULT_ENDPOINT/cur/none.csv.gz: HTTP 404, not retried|" "$GOT|$(cat "$TMP/err")|$(cat "$TMP/out")"
done
"$TMP/gen_cur" 100 51 | gzip -c >"$TMP/hp/enc.csv.gz"
run encoded-store 0 env CURL_CA_BUNDLE="$TMP/tls.crt" "$PBI" --format aws-cur --no-progress \
	"$FAULT_ENDPOINT/enc.csv.gz?sv=2022-11-02&sr=b&%73ig=S3CR3T"
check "a URL with an encoded %73ig= into the store: the import's source and its file recorded without the query" \
	"0|$FAULT_ENDPOINT|$FAULT_ENDPOINT/enc.csv.gz|0" \
	"$GOT|$(pb_sql "SELECT i.source, f.uri FROM pb.import i JOIN pb.import_file f ON f.import_id = i.id WHERE f.uri LIKE '%/enc.csv.gz%'" '|')|$(cat "$TMP/out" "$TMP/err" | grep -c S3CR3T)"
pb_fault_stop

# The same check for a report in a local folder (file://): each part read must still be the file it was opened as (its
# size, time of modification, time of its last change and inode), as a downloaded part must still have its ETag.
LP=cur/lp/20261001-20261101
mkdir -p "$TMP/lp/cur/$LP"
"$TMP/gen_cur" 200 43 >"$TMP/lp.csv"
head -n 1 "$TMP/lp.csv" >"$TMP/lp-hdr.csv"
tail -n +2 "$TMP/lp.csv" >"$TMP/lp-rows.csv"
split -n l/2 -d "$TMP/lp-rows.csv" "$TMP/lp-rows-"
cat "$TMP/lp-hdr.csv" "$TMP/lp-rows-00" | gzip -c >"$TMP/lp1.csv.gz"
cat "$TMP/lp-hdr.csv" "$TMP/lp-rows-01" | gzip -c >"$TMP/lp/cur/$LP/lp-00002.csv.gz"
sed '1s/,[0-9.]*,/,2.5,/' "$TMP/lp-rows-00" | cat "$TMP/lp-hdr.csv" - | gzip -c >"$TMP/lp1-new.csv.gz"
cp "$TMP/lp1.csv.gz" "$TMP/lp/cur/$LP/lp-00001.csv.gz"
printf '{"assemblyId":"lp-1","reportName":"lp","bucket":"cur","billingPeriod":{"start":"20261001T000000.000Z","end":"20261101T000000.000Z"},"reportKeys":["%s/lp-00001.csv.gz","%s/lp-00002.csv.gz"],"columns":[]}' \
	"$LP" "$LP" >"$TMP/lp/cur/$LP/lp-Manifest.json"
LPS=file://$TMP/lp/cur/cur/lp
LP1=$TMP/lp/cur/$LP/lp-00001.csv.gz
lp_sql() { pb_sql "SELECT status, coalesce(error, '') FROM pb.import WHERE source = '$LPS' ORDER BY id" ' ' | tr '\n' ';'; }
lp_stat() { stat -c '%s bytes, modified at %.9Y, changed at %.9Z, inode %i' "$1"; }
lp_run() { # WHILE...: imports the report, running WHILE... once its first part is read
	rm -f "$TMP/lp-resume"
	PB_TEST_PAUSE=read PB_TEST_PAUSE_SECONDS=60 PB_TEST_RESUME_FILE=$TMP/lp-resume \
		"$PBI" --format aws-cur --no-progress --source "$LPS" --month 2026-10 >"$TMP/out" 2>"$TMP/err" &
	BGPID=$!
	pb_until 60 grep -q "test pause at read" "$TMP/err" || notok "the import pauses at read" "$(cat "$TMP/err")"
	"$@"
	touch "$TMP/lp-resume"
	wait "$BGPID"
	GOT=$?
	BGPID=
	sed -i -e '/test pause at read/d' -e '/^pb-ingest: warning: aws partner account /d' "$TMP/err"
}
lp_rewrite() { # the first part written again in place (the same inode), its cost changed
	was=$(lp_stat "$LP1")
	cat "$TMP/lp1-new.csv.gz" >"$LP1"
}
lp_run lp_rewrite
msg="file://$LP1: a new delivery landed while the report was read: the part was read from a file of $was, it is one of $(lp_stat "$LP1") now"
check "a local part rewritten in place after it was read: exit 3 naming both sizes and times, nothing committed" \
	"3|pb-ingest: $msg|failed $msg;" "$GOT|$(cat "$TMP/err")|$(lp_sql)"
lp_replace() { # the first part replaced by a copy of the bytes read (another inode), its time kept
	was=$(lp_stat "$LP1")
	cp -p "$LP1" "$LP1.tmp" && mv "$LP1.tmp" "$LP1"
}
cp -p "$TMP/lp1.csv.gz" "$LP1"
before=$(lp_sql)
lp_run lp_replace
msg="file://$LP1: a new delivery landed while the report was read: the part was read from a file of $was, it is one of $(lp_stat "$LP1") now"
check "a local part replaced by another file after it was read: exit 3, nothing committed" \
	"3|pb-ingest: $msg|${before}failed $msg;" "$GOT|$(cat "$TMP/err")|$(lp_sql)"
lp_keeptime() { # a byte of the first part written again in place, its size kept and its time of modification put back
	local mtime
	was=$(lp_stat "$LP1")
	mtime=$(stat -c %.9Y "$LP1")
	printf 'x' | dd of="$LP1" bs=1 seek=20 conv=notrunc status=none
	touch -m -d "@$mtime" "$LP1"
}
cp -p "$TMP/lp1.csv.gz" "$LP1"
before=$(lp_sql)
lp_run lp_keeptime
msg="file://$LP1: a new delivery landed while the report was read: the part was read from a file of $was, it is one of $(lp_stat "$LP1") now"
check "a local part written in place after it was read, its size and time of modification kept: exit 3, nothing committed" \
	"3|pb-ingest: $msg|${before}failed $msg;" "$GOT|$(cat "$TMP/err")|$(lp_sql)"
cp -p "$TMP/lp1.csv.gz" "$LP1"
before=$(lp_sql)
lp_run true
check "a local delivery left as it is while it is read: committed" "0||${before}committed ;" "$GOT|$(cat "$TMP/err")|$(lp_sql)"

pb_tests_done
