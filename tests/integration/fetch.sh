#!/usr/bin/env bash
# Integration tests of downloads: pb-ingest reading CUR parts from a real S3 server (s3rver) and through a
# loopback proxy that injects faults; each case ends with exactly the right totals or exit 3 with nothing
# committed. Every server is stopped when the script ends.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ -n "${PB_BIN:-}" ]; then
	case $PB_BIN in /*) BIN=$PB_BIN ;; *) BIN=$PWD/$PB_BIN ;; esac
else
	BIN=$ROOT/bin
fi
PBI=$BIN/pb-ingest
PBDB=$BIN/pb-db
. "$ROOT/tests/servers/lib.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pb-fetch.XXXXXX") || exit 1
chmod 755 "$TMP"
export PB_VAR_DIR=$TMP/var
unset PB_DATABASE_URL PGHOST PGHOSTADDR PGDATABASE PGSERVICE PGUSER PGPORT AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
cleanup() {
	pb_servers_stop
	"$PBDB" stop >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
notok() {
	echo "not ok - $1"
	failed=$((failed + 1))
	[ -n "${2:-}" ] && sed 's/^/#   /' <<<"$2" | head -20
}

if ! pb_servers_installed; then
	notok "the test servers are installed (npm ci --prefix tests/servers)"
	echo "$passed passed, $failed failed"
	exit 1
fi
cc -O2 -o "$TMP/gen_cur" "$ROOT/bench/gen_cur.c" || exit 1
"$TMP/gen_cur" 60000 9 | gzip -c >"$TMP/part-1.csv.gz"
"$PBI" --format aws-cur --summary --no-progress "$TMP/part-1.csv.gz" >"$TMP/want.csv" || exit 1

pb_s3_start "$TMP/s3" >/dev/null || exit 1
pb_s3_mkbucket cur >/dev/null && pb_s3_put cur report/part-1.csv.gz "$TMP/part-1.csv.gz" >/dev/null || {
	notok "put a part into s3rver"
	exit 1
}
URL=s3://cur/report/part-1.csv.gz

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
fault_case "a 500 then success: exact totals after a retry" 0 2 "1:500"
fault_case "a 429 with Retry-After: waits, then exact totals" 0 2 "1:429:retry-after=1"
fault_case "a connection reset: exact totals after a retry" 0 2 "1:reset"
fault_case "a stall: the transfer times out and the retry succeeds" 0 2 "1:stall=20"
fault_case "a body cut short: resumed with a Range request, exact totals" 0 2 "1:truncate=100000"
fault_case "two cuts and a 503: still exact totals" 0 4 "1:truncate=50000; 2:503; 3:truncate=200000"
fault_case "500s that do not stop: exit 3 after 5 attempts" 3 5 "*:500"
grep -q "^pb-ingest: $URL: failed after 5 attempts: HTTP 500 (InternalError)$" "$TMP/err" &&
	ok "the message names the URL and the last error" ||
	notok "the message names the URL and the last error" "$(cat "$TMP/err")"
fault_case "a 403 is not retried" 3 1 "1:403:code=AccessDenied"

# Into the store: a download that fails commits nothing and leaves the previous import.
"$PBDB" init >/dev/null && "$PBDB" start >/dev/null && "$PBDB" migrate >/dev/null || exit 1
pb_fault_stop >/dev/null 2>&1
# Request 1 is the look at the first line (for the billing month); the download proper fails for good.
pb_fault_start "$S3_ENDPOINT" "2-:500" >/dev/null || exit 1
"$PBI" --format aws-cur --no-progress --endpoint "$S3_ENDPOINT" "$URL" >"$TMP/out" 2>"$TMP/err" ||
	notok "import from s3" "$(cat "$TMP/err")"
before=$("$PBDB" psql -X -q -t -A -c "SELECT id, status, list_total, billed_total FROM pb.import ORDER BY id")
run store-fail 3 "$PBI" --format aws-cur --no-progress --stall-timeout 2 --endpoint "$FAULT_ENDPOINT" "$URL"
after=$("$PBDB" psql -X -q -t -A -c "SELECT id, status, list_total, billed_total FROM pb.import WHERE status <> 'failed' ORDER BY id")
etag=$("$PBDB" psql -X -q -t -A -c "SELECT f.etag <> '' AND f.uri = '$URL' FROM pb.import_file f
	JOIN pb.import i ON i.id = f.import_id WHERE i.status = 'committed'")
if [ "$GOT" -eq 3 ] && [ "$before" == "$after" ] && [ "$etag" == "t" ]; then
	ok "a failed download commits nothing; the import keeps the part's URI and ETag"
else
	notok "a failed download commits nothing; the import keeps the part's URI and ETag" "status $GOT, etag $etag: $(cat "$TMP/err")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
