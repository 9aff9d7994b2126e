#!/usr/bin/env bash
# bench/api.sh: pb-api's per-account endpoint under load, next to the same endpoint written the way a web team
# would (bench/api-node: Node.js, fastify and the pg pool), in the same run, on the same database: wrk on
# loopback, BENCH_API_SECONDS (default 30) at BENCH_API_CONNECTIONS (default 64) connections, each request for
# a random one of BENCH_API_ACCOUNTS (default 5000) accounts with that account's own token (bench/api.lua).
# Both servers first answer one account's request, and the two answers must be the same bytes; each gets a
# 5-second warm-up, then the timed run. Any answer other than 200 in a timed run fails the bench.
# Targets: pb-api at least 3x the Node peer's requests per second, and its p99 under 5 ms. pb-api runs as
# configured by default (a thread per connection); BENCH_API_THREADS=N runs it with --threads N (epoll).
#
# The data is made by SQL in a throwaway cluster under var/bench/api: the accounts, a current aggregate run
# of 2026-10 with each account's figures (all, aws, azure), and a token per account (their hashes stored).
# Exit status: 0 when everything ran and every answer was 200, whatever the targets say; 1 otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ACCOUNTS=${BENCH_API_ACCOUNTS:-5000}
SECONDS_RUN=${BENCH_API_SECONDS:-30}
CONNECTIONS=${BENCH_API_CONNECTIONS:-64}
WRK_THREADS=${BENCH_API_WRK_THREADS:-2}
API_THREADS=${BENCH_API_THREADS:-0}
MONTH=2026-10
MIN_RATIO=3
MAX_P99_MS=5
VAR=$PWD/var/bench/api
export PB_VAR_DIR=$VAR
unset PB_DATABASE_URL PGHOST PGHOSTADDR PGDATABASE PGSERVICE PGUSER PGPORT

die() {
	echo "bench: $*" >&2
	exit 1
}
[[ -x bin/pb-api && -x bin/pb-db ]] || die "run make first"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk, or make deps)"
command -v node >/dev/null || die "node not found"
[[ $ACCOUNTS =~ ^[1-9][0-9]*$ && $ACCOUNTS -le 99999 ]] || die "BENCH_API_ACCOUNTS is 1 to 99999"

C_PID=
N_PID=
stop() {
	# set -e holds in the trap: a wait for a killed server (143) must not end it before the cluster's stop.
	set +e
	[[ -n $C_PID ]] && kill -TERM "$C_PID" 2>/dev/null && wait "$C_PID" 2>/dev/null
	[[ -n $N_PID ]] && kill -TERM "$N_PID" 2>/dev/null && wait "$N_PID" 2>/dev/null
	bin/pb-db stop >/dev/null 2>&1 || true
	rm -rf "$VAR"
}
trap stop EXIT
rm -rf "$VAR"
mkdir -p "$VAR"
chmod 755 "$VAR" var/bench
{ bin/pb-db init && bin/pb-db start && bin/pb-db migrate; } >"$VAR/init.log" 2>&1 || die "no cluster: $(cat "$VAR/init.log")"
sql() { bin/pb-db psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

if [[ ! -f bench/api-node/node_modules/.package-lock.json || bench/api-node/package-lock.json -nt bench/api-node/node_modules/.package-lock.json ]]; then
	echo "bench: installing fastify and pg from bench/api-node/package-lock.json" >&2
	npm ci --prefix bench/api-node --no-audit --no-fund --loglevel=error >&2
fi

echo "bench: making $ACCOUNTS accounts with figures in a current run of $MONTH, and a token each" >&2
sql -v n="$ACCOUNTS" -v month="$MONTH-01" <<'SQL'
INSERT INTO pb.clc_account (alias, name, billing_country, created_by)
	SELECT 'A' || lpad(i::text, 5, '0'), 'Account ' || i, 'US', 'bench' FROM generate_series(1, :n) i;
INSERT INTO pb.aggregate_run (billing_month, as_of, status, imports, pricing_file, pricing_sha256, started_at, run_by)
	VALUES (:'month', (:'month'::date + 19), 'current', '{}', 'bench', repeat('0', 64), now(), 'bench');
INSERT INTO pb.aggregate_account (run_id, alias, vendor, currency, month_to_date, markup, estimate, low80, high80,
	low90, high90, method, complete_through, final, markup_percent)
	SELECT r.id, 'A' || lpad(i::text, 5, '0'), v, 'USD',
	round((i * 7919 % 100000) / 7.0 * m, 12), 0, round((i * 7919 % 100000) / 5.0 * m, 2),
	round((i * 7919 % 100000) / 5.5 * m, 2), round((i * 7919 % 100000) / 4.5 * m, 2),
	round((i * 7919 % 100000) / 6.0 * m, 2), round((i * 7919 % 100000) / 4.0 * m, 2), 'trend',
	(:'month'::date + 18), false, 0
	FROM pb.aggregate_run r, generate_series(1, :n) i,
	(VALUES ('all', 1.0), ('aws', 0.75), ('azure', 0.25)) x(v, m)
	WHERE r.billing_month = :'month';
-- Tokens of pb-api's form (pbt_ and 43 base64url characters), made here so that 5,000 need no 5,000 runs.
CREATE TEMP TABLE t AS SELECT 'A' || lpad(i::text, 5, '0') AS alias,
	'pbt_' || substr(encode(sha256(('bench-a-' || i)::bytea), 'hex') || encode(sha256(('bench-b-' || i)::bytea), 'hex'), 1, 43) AS token
	FROM generate_series(1, :n) i;
INSERT INTO pb.api_token (kind, alias, sha256, created_by)
	SELECT 'account', alias, encode(sha256(convert_to(token, 'UTF8')), 'hex'), 'bench' FROM t;
\copy (SELECT alias || ' ' || token FROM t ORDER BY alias) TO 'var/bench/api/tokens.txt'
ANALYZE;
SQL

# start NAME CMD...: runs a server that prints "listening on http://127.0.0.1:PORT"; sets PID and URL.
start() {
	local name=$1 i
	shift
	"$@" >"$VAR/$name.log" 2>&1 &
	PID=$!
	URL=
	for i in $(seq 200); do
		URL=$(sed -n 's|.*listening on \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$VAR/$name.log" | head -1)
		[[ -n $URL ]] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	die "$name did not start: $(cat "$VAR/$name.log")"
}
start pb-api bin/pb-api --listen 127.0.0.1 --port 0 --threads "$API_THREADS"
C_PID=$PID
C_URL=$URL
start node node bench/api-node/server.mjs "$VAR/pg/run"
N_PID=$PID
N_URL=$URL

read -r alias token < <(head -1 "$VAR/tokens.txt")
path="/v1/accounts/$alias/partner-usage?month=$MONTH"
curl -sf -H "Authorization: Bearer $token" "$C_URL$path" >"$VAR/c.json" || die "pb-api did not answer $path"
curl -sf -H "Authorization: Bearer $token" "$N_URL$path" >"$VAR/n.json" || die "the Node peer did not answer $path"
cmp -s "$VAR/c.json" "$VAR/n.json" || die "the two answers differ: $(cat "$VAR/c.json") / $(cat "$VAR/n.json")"

# load NAME URL: a 5-second warm-up, then the timed run; RPS and P99 (ms) of the timed run.
load() {
	local name=$1 url=$2 out=$VAR/$1.wrk
	wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d5s -s bench/api.lua "$url" -- "$VAR/tokens.txt" "$MONTH" >/dev/null
	wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${SECONDS_RUN}s" --latency -s bench/api.lua "$url" -- \
		"$VAR/tokens.txt" "$MONTH" >"$out"
	if grep -q 'Non-2xx or 3xx responses\|Socket errors' "$out"; then
		cat "$out" >&2
		die "$name: some requests failed"
	fi
	RPS=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
	P99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
		printf "%.2f", (u == "us" ? v / 1000 : u == "s" ? v * 1000 : v) }' "$out")
	REQS=$(awk '/requests in/ {print $1}' "$out")
}
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: wrk -t$WRK_THREADS -c$CONNECTIONS -d${SECONDS_RUN}s --latency -s bench/api.lua on each (after 5 s of warm-up)" >&2
load pb-api "$C_URL"
c_rps=$RPS c_p99=$P99 c_reqs=$REQS
load node "$N_URL"
n_rps=$RPS n_p99=$P99 n_reqs=$REQS

ratio=$(awk -v a="$c_rps" -v b="$n_rps" 'BEGIN { printf "%.1f", a / b }')
v_ratio=$(awk -v r="$ratio" -v t="$MIN_RATIO" 'BEGIN { print (r >= t ? "PASS" : "MISS") }')
v_p99=$(awk -v p="$c_p99" -v t="$MAX_P99_MS" 'BEGIN { print (p < t ? "PASS" : "MISS") }')
hits=$(curl -s "$C_URL/metrics" | sed -n 's/^pb_api_cache_hits_total{cache="answers"} //p')
misses=$(curl -s "$C_URL/metrics" | sed -n 's/^pb_api_cache_misses_total{cache="answers"} //p')
echo
echo "GET /v1/accounts/{alias}/partner-usage?month=$MONTH, $ACCOUNTS accounts at random, each with its own token;"
echo "wrk -t$WRK_THREADS -c$CONNECTIONS -d${SECONDS_RUN}s on loopback, $(nproc) CPUs shared by the client, the server and PostgreSQL;"
echo "load average before: $load0, after: $(cut -d' ' -f1-3 /proc/loadavg) (what else ran on the machine)"
echo
echo "| server | requests | requests/s | p99 latency |"
echo "|---|---|---|---|"
if ((API_THREADS == 0)); then mode="a thread per connection"; else mode="$API_THREADS epoll threads"; fi
echo "| pb-api (C, libmicrohttpd, $mode) | $c_reqs | $c_rps | ${c_p99} ms |"
echo "| Node.js $(node --version), fastify 5, pg pool (10) | $n_reqs | $n_rps | ${n_p99} ms |"
echo
echo "pb-api / Node: ${ratio}x requests per second (target >= ${MIN_RATIO}x): $v_ratio"
echo "pb-api p99: ${c_p99} ms (target < ${MAX_P99_MS} ms): $v_p99"
echo "pb-api's answer cache over both runs: $hits hits, $misses misses"
