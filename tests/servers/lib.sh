# shellcheck shell=bash
# tests/servers/lib.sh: start and stop loopback test servers from bash tests. Source it:
#
#   . "$ROOT/tests/servers/lib.sh"
#   trap pb_servers_stop EXIT            # or call pb_servers_stop from your own EXIT trap
#   pb_s3_start "$TMP/s3" || exit 1      # S3_ENDPOINT, S3_PID
#   pb_s3_mkbucket cur && pb_s3_put cur 2026/01/part-1.csv.gz part-1.csv.gz
#   pb_fault_start "$S3_ENDPOINT" '1:500; per-path 1@*.gz:reset' || exit 1   # FAULT_ENDPOINT, FAULT_PID
#   ... run the program against $FAULT_ENDPOINT ...
#   grep -c ' path=/cur/2026/01/part-1.csv.gz ' "$FAULT_LOG"                  # attempts made
#   pb_headers_start "$TMP/empty" || exit 1   # HEADERS_ENDPOINT, HEADERS_LOG: who reached it, with which headers
#   pb_pc_start "$TMP/pc" || exit 1      # PC_URL, PC_PID: Entra ID + Graph partner billing + Partner Center
#   pb_pc_config '{"credentials": {...}, "export": {"files": ["..."]}}' && pb_pc_stats   # see pcserver.py
#
# The servers need `npm ci --prefix tests/servers --no-audit --no-fund` (pb_servers_installed tells whether
# it was run); faultproxy.py and pcserver.py need only python3. Everything listens on 127.0.0.1 only. Call the start functions directly, not in $(...) or a
# pipeline: they set variables in the calling shell.
#
# Stopping: every start records its server; pb_servers_stop stops them all (SIGTERM, then SIGKILL after
# 5 s) and removes the logs folder the library made. If no EXIT trap is set when a server is started, the
# library sets `trap pb_servers_stop EXIT` itself; a test that sets its own EXIT trap must call
# pb_servers_stop from it. As a last resort every server also has a lifetime bound, PB_SERVER_MAX_SECONDS
# (default 3600: a suite on a loaded machine took more than 900 s, and its servers were gone under its last
# tests), so none outlives a test that was killed with SIGKILL: each runs under coreutils'
# `timeout`, and S3_PID, AZURITE_PID, FAULT_PID and PC_PID are the pids of those wrappers (SIGTERM to one stops its
# server; _pb_children PID gives the server's own pid).
#
# Ports: the servers are started on port 0 (the kernel picks a free one) and the library reads the port
# they report, which cannot race with other tests the way "find a free port, then start" can.
# pb_free_port is there for servers that cannot do that; pb_refused_port gives a port where a connection is
# refused for as long as the test needs it.
#
# S3 (s3rver 3.7.1), as read in its source and checked by selftest.sh:
#   - It knows one access key id, S3RVER (secret S3RVER), built in; there is no option to add others.
#   - An unknown access key id gets 403 InvalidAccessKeyId, for SigV2 and SigV4 alike.
#   - SigV4 signatures are NOT verified: with key id S3RVER any secret and any signature pass (SigV2 ones
#     are verified). So a wrong-credentials test must use an unknown key id, and a signing bug in the
#     client goes unnoticed here.
#   - A SigV4 request without x-amz-content-sha256 gets 400 InvalidRequest. The value must look like
#     UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD or 64 hex digits; it is not compared with the
#     body. curl 7.88 does not add it by itself: set it (CURLOPT_HTTPHEADER) and CURLOPT_AWS_SIGV4 signs it.
#   - x-amz-date (or Date) must be within 15 minutes of the server's clock (else 403 RequestTimeTooSkewed).
#   - A request with no Authorization header at all is served anonymously, as if authorized.
#   - Region and service in the credential scope are not checked. Path-style URLs (http://127.0.0.1:PORT/
#     BUCKET/KEY). ListObjectsV2 (list-type=2), Range GETs (206) and HEAD work.
# Azure Blob (azurite 3.35.0): account devstoreaccount1 with its well-known key; Shared Key signatures are
# verified (a wrong key gets 403 AuthorizationFailure).
#   - Service SAS (pb_azurite_sas) signatures are verified too, with the string-to-sign of version 2020-12-06
#     and later; the start and expiry times are checked, and the permissions (a list needs l, a read r).
#   - Where Azure answers 403 AuthenticationFailed (a wrong Shared Key signature, a wrong SAS signature, an
#     expired SAS), azurite answers 403 AuthorizationFailure, with the same message and no
#     AuthenticationErrorDetail. Its error messages span three lines (the text, RequestId:..., Time:...).

PB_SERVERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PB_SERVERS_BIN=$PB_SERVERS_DIR/node_modules/.bin
: "${PB_SERVER_TIMEOUT:=120}"     # seconds a server may take to come up (a loaded machine: the wait ends once it is)
: "${PB_SERVER_MAX_SECONDS:=3600}" # seconds a server may live at most
: "${PB_S3_ACCESS_KEY:=S3RVER}"
: "${PB_S3_SECRET_KEY:=S3RVER}"
: "${PB_S3_REGION:=us-east-1}"
PB_AZURITE_ACCOUNT=devstoreaccount1
PB_AZURITE_WELL_KNOWN_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
# sha256 of the empty body, the x-amz-content-sha256 of a request without one
PB_EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

_PB_STARTED=()        # names of running servers, in start order: s3 azurite fault headers pc retail refused
_PB_LOGDIR_OWNED=""   # a logs folder the library made, removed by pb_servers_stop
_PB_FAULT_RUN=0

_pb_err() { echo "pb-servers: $*" >&2; }

# The folder for server logs: PB_SERVERS_LOGDIR if set (kept), else a temporary one (removed at stop).
_pb_logdir() {
	if [ -z "${PB_SERVERS_LOGDIR:-}" ]; then
		PB_SERVERS_LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/pb-servers.XXXXXX") || return 1
		_PB_LOGDIR_OWNED=$PB_SERVERS_LOGDIR
	fi
	mkdir -p "$PB_SERVERS_LOGDIR"
}

_pb_register() {
	local name=$1 s
	for s in "${_PB_STARTED[@]}"; do [ "$s" == "$name" ] && return 0; done
	_PB_STARTED+=("$name")
	if [ -z "$(trap -p EXIT)" ]; then
		trap pb_servers_stop EXIT
	fi
}

_pb_unregister() {
	local name=$1 s keep=()
	for s in "${_PB_STARTED[@]}"; do [ "$s" != "$name" ] && keep+=("$s"); done
	_PB_STARTED=("${keep[@]}")
}

# _pb_children PID: the pids of PID's children.
_pb_children() {
	if [ -r "/proc/$1/task/$1/children" ]; then
		cat "/proc/$1/task/$1/children" 2>/dev/null
	else
		pgrep -P "$1" 2>/dev/null
	fi
	return 0
}

# _pb_kill PID: stops a server started as `timeout ... SERVER`: SIGTERM (timeout passes it on), up to 5 s
# for it to exit, then SIGKILL to it and the server under it; reaps it.
_pb_kill() {
	local pid=$1 kids i k
	[ -n "$pid" ] || return 0
	kids=$(_pb_children "$pid")
	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		_pb_err "pid $pid did not stop on SIGTERM within 5 s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	for k in $kids; do
		if kill -0 "$k" 2>/dev/null; then
			_pb_err "pid $k (under $pid) is still running; sending SIGKILL"
			kill -KILL "$k" 2>/dev/null || true
		fi
	done
	return 0
}

# _pb_wait_port PID LOG SED_EXPR: waits until LOG has a line SED_EXPR turns into a port; prints the port.
_pb_wait_port() {
	local pid=$1 log=$2 expr=$3 port deadline=$((SECONDS + PB_SERVER_TIMEOUT))
	while ((SECONDS <= deadline)); do
		port=$(sed -n "$expr" "$log" 2>/dev/null | head -n 1)
		if [ -n "$port" ]; then
			echo "$port"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 2
		sleep 0.1
	done
	return 1
}

# _pb_wait_http PID URL: waits until URL gives any HTTP answer.
_pb_wait_http() {
	local pid=$1 url=$2 code deadline=$((SECONDS + PB_SERVER_TIMEOUT))
	while ((SECONDS <= deadline)); do
		code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$url" 2>/dev/null)
		[ -n "$code" ] && [ "$code" != 000 ] && return 0
		kill -0 "$pid" 2>/dev/null || return 2
		sleep 0.1
	done
	return 1
}

# _pb_fail NAME PID LOG WHY: reports a server that did not come up, with its log, and stops it.
_pb_fail() {
	local name=$1 pid=$2 log=$3 why=$4
	_pb_err "$name did not come up: $why (log $log follows)"
	if [ -f "$log" ]; then tail -n 40 "$log" | sed 's/^/pb-servers:   /' >&2; fi
	_pb_kill "$pid"
	return 1
}

# _pb_running PID_VAR WHO: true (and says so) when the server whose pid is in PID_VAR is running already.
_pb_running() {
	local pid=${!1:-}
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		_pb_err "$2 is already running (pid $pid)"
		return 0
	fi
	return 1
}

# _pb_up KEY NAME PID_VAR LOG SED_EXPR URL_VAR PATH [PROBE]: the end of every start, once the server runs in
# the background with its pid in PID_VAR: registers it as KEY, waits until LOG has a line SED_EXPR turns into
# its port, sets URL_VAR to http://127.0.0.1:PORT followed by PATH and, given PROBE, waits until URL_VAR's
# value followed by PROBE gives an HTTP answer. A server that does not come up is reported under NAME (with
# its log) and stopped, PID_VAR and URL_VAR are emptied and it is unregistered: returns 1.
_pb_up() {
	local key=$1 name=$2 pid_var=$3 log=$4 expr=$5 url_var=$6 path=$7 probe=${8-} port rc=0 why=""
	_pb_register "$key"
	port=$(_pb_wait_port "${!pid_var}" "$log" "$expr") || rc=$?
	if [ $rc == 2 ]; then
		why="it exited"
	elif [ $rc != 0 ]; then
		why="no port within ${PB_SERVER_TIMEOUT}s"
	else
		printf -v "$url_var" '%s' "http://127.0.0.1:$port$path"
		if [ -n "$probe" ] && ! _pb_wait_http "${!pid_var}" "${!url_var}$probe"; then
			why="no HTTP answer on ${!url_var}"
		fi
	fi
	[ -z "$why" ] && return 0
	_pb_fail "$name" "${!pid_var}" "$log" "$why"
	printf -v "$pid_var" '%s' ""
	printf -v "$url_var" '%s' ""
	_pb_unregister "$key"
	return 1
}

# _pb_down KEY PID_VAR URL_VAR: stops the server whose pid is in PID_VAR, empties PID_VAR and URL_VAR and
# unregisters it (KEY).
_pb_down() {
	_pb_kill "${!2:-}"
	printf -v "$2" '%s' ""
	printf -v "$3" '%s' ""
	_pb_unregister "$1"
}

# pb_servers_installed: true when `npm ci --prefix tests/servers` has been run.
pb_servers_installed() {
	[ -x "$PB_SERVERS_BIN/s3rver" ] && [ -x "$PB_SERVERS_BIN/azurite-blob" ]
}

_pb_need() {
	if [ ! -x "$PB_SERVERS_BIN/$1" ]; then
		_pb_err "$PB_SERVERS_BIN/$1 is missing: run 'npm ci --prefix tests/servers --no-audit --no-fund'"
		return 1
	fi
}

# pb_free_port: prints a TCP port that is free on 127.0.0.1 right now (another process may take it before
# you bind it: prefer servers that take port 0 and report the port).
pb_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# pb_refused_port: sets REFUSED_PORT, a TCP port of 127.0.0.1 where a connection is refused until
# pb_servers_stop (or pb_refused_stop): a process of the library's keeps a socket bound to it that never listens,
# so that no other process can listen there. (A port found free and let go could be taken meanwhile by a
# server of a suite run beside, which would then answer instead of refusing.)
pb_refused_port() {
	local file
	if [ -n "${REFUSED_PID:-}" ] && kill -0 "$REFUSED_PID" 2>/dev/null && [ -n "${REFUSED_PORT:-}" ]; then
		return 0 # the one held already
	fi
	REFUSED_PORT=
	_pb_logdir || return 1
	file=$PB_SERVERS_LOGDIR/refused.port
	: >"$file"
	timeout "$PB_SERVER_MAX_SECONDS" python3 -c 'import signal, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
with open(sys.argv[1], "w") as f:
    print(s.getsockname()[1], file=f)
signal.pause()' "$file" </dev/null >/dev/null 2>&1 &
	REFUSED_PID=$!
	_pb_register refused
	REFUSED_PORT=$(_pb_wait_port "$REFUSED_PID" "$file" 's/^\([0-9][0-9]*\)$/\1/p') && return 0
	_pb_fail "the port holder" "$REFUSED_PID" "$file" "no port"
	pb_refused_stop
	return 1
}
pb_refused_stop() {
	_pb_kill "${REFUSED_PID:-}"
	REFUSED_PID=
	_pb_unregister refused
}

# ---- S3 (s3rver) -----------------------------------------------------------------------------------------

# pb_s3_start DIR: starts s3rver with its data in DIR (made if missing). Sets and exports S3_ENDPOINT
# (http://127.0.0.1:PORT), S3_PID and S3_LOG (its output). Credentials: PB_S3_ACCESS_KEY, PB_S3_SECRET_KEY.
pb_s3_start() {
	local dir=${1:-}
	[ -n "$dir" ] || { _pb_err "usage: pb_s3_start DIR"; return 2; }
	_pb_running S3_PID "pb_s3_start: s3rver" && return 1
	_pb_need s3rver || return 1
	_pb_logdir || return 1
	mkdir -p "$dir" || return 1
	S3_LOG=$PB_SERVERS_LOGDIR/s3rver.log
	: >"$S3_LOG"
	timeout -k 5 "$PB_SERVER_MAX_SECONDS" "$PB_SERVERS_BIN/s3rver" \
		--directory "$dir" --address 127.0.0.1 --port 0 --no-vhost-buckets >>"$S3_LOG" 2>&1 </dev/null &
	S3_PID=$!
	_pb_up s3 s3rver S3_PID "$S3_LOG" 's/^S3rver listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
		S3_ENDPOINT "" / || return 1
	export S3_ENDPOINT S3_PID S3_LOG
}

pb_s3_stop() { _pb_down s3 S3_PID S3_ENDPOINT; }

# pb_s3_curl [CURL ARGS...]: curl, signed with SigV4 as PB_S3_ACCESS_KEY / PB_S3_SECRET_KEY (defaults
# S3RVER / S3RVER) in PB_S3_REGION, with x-amz-content-sha256 set to PB_S3_PAYLOAD_HASH (default: the
# empty body's hash). Give full URLs. For tests that need a request the helpers below do not make.
pb_s3_curl() {
	curl -sS --aws-sigv4 "aws:amz:${PB_S3_REGION}:s3" --user "${PB_S3_ACCESS_KEY}:${PB_S3_SECRET_KEY}" \
		-H "x-amz-content-sha256: ${PB_S3_PAYLOAD_HASH:-$PB_EMPTY_SHA256}" "$@"
}

# _pb_urlpath KEY: percent-encodes KEY for a URL path, keeping / and RFC 3986 unreserved characters.
_pb_urlpath() {
	local LC_ALL=C s=$1 out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9/._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

# _pb_s3_req WHAT EXPECTED_CODE_PATTERN CURL_ARGS...: runs pb_s3_curl, fails with the body unless the
# status matches.
_pb_s3_req() {
	local what=$1 want=$2 body code
	shift 2
	body=$(mktemp "${TMPDIR:-/tmp}/pb-s3.XXXXXX") || return 1
	code=$(pb_s3_curl -o "$body" -w '%{http_code}' "$@") || true
	# shellcheck disable=SC2254
	case $code in
	$want) rm -f "$body"; return 0 ;;
	esac
	_pb_err "$what: HTTP $code from ${S3_ENDPOINT:-?}: $(head -c 600 "$body")"
	rm -f "$body"
	return 1
}

# pb_s3_mkbucket BUCKET: creates a bucket on S3_ENDPOINT (s3rver answers 200 for one that exists already).
pb_s3_mkbucket() {
	[ -n "${1:-}" ] || { _pb_err "usage: pb_s3_mkbucket BUCKET"; return 2; }
	_pb_s3_req "mkbucket $1" '2??' -X PUT "$S3_ENDPOINT/$1"
}

# pb_s3_put BUCKET KEY FILE [CONTENT_TYPE]: uploads FILE (one PUT, payload hash signed).
pb_s3_put() {
	local bucket=${1:-} key=${2:-} file=${3:-} ctype=${4:-application/octet-stream} hash
	if [ $# -lt 3 ]; then _pb_err "usage: pb_s3_put BUCKET KEY FILE [CONTENT_TYPE]"; return 2; fi
	[ -f "$file" ] || { _pb_err "pb_s3_put: no file $file"; return 1; }
	hash=$(sha256sum <"$file") || return 1
	PB_S3_PAYLOAD_HASH=${hash%% *} _pb_s3_req "put $bucket/$key" 200 \
		-H "Content-Type: $ctype" -T "$file" "$S3_ENDPOINT/$bucket/$(_pb_urlpath "$key")"
}

# pb_s3_get BUCKET KEY [OUT]: downloads an object to OUT (default stdout); non-zero unless HTTP 200.
pb_s3_get() {
	local bucket=${1:-} key=${2:-} out=${3:--}
	if [ $# -lt 2 ]; then _pb_err "usage: pb_s3_get BUCKET KEY [OUT]"; return 2; fi
	pb_s3_curl --fail-with-body -o "$out" "$S3_ENDPOINT/$bucket/$(_pb_urlpath "$key")"
}

# ---- Azure Blob (azurite) --------------------------------------------------------------------------------

# pb_azurite_start DIR: starts azurite's blob service with its data in DIR (made if missing). Sets
# AZURITE_BLOB_ENDPOINT (http://127.0.0.1:PORT/devstoreaccount1), AZURITE_ACCOUNT (devstoreaccount1),
# AZURITE_ACCOUNT_KEY (the well-known key), AZURITE_PID, AZURITE_LOG.
pb_azurite_start() {
	local dir=${1:-}
	[ -n "$dir" ] || { _pb_err "usage: pb_azurite_start DIR"; return 2; }
	_pb_running AZURITE_PID "pb_azurite_start: azurite" && return 1
	_pb_need azurite-blob || return 1
	_pb_logdir || return 1
	mkdir -p "$dir" || return 1
	AZURITE_LOG=$PB_SERVERS_LOGDIR/azurite.log
	: >"$AZURITE_LOG"
	# --disableTelemetry: otherwise azurite sends usage data to an outside address.
	timeout -k 5 "$PB_SERVER_MAX_SECONDS" "$PB_SERVERS_BIN/azurite-blob" --disableTelemetry \
		--blobHost 127.0.0.1 --blobPort 0 --location "$dir" --skipApiVersionCheck \
		>>"$AZURITE_LOG" 2>&1 </dev/null &
	AZURITE_PID=$!
	_pb_up azurite azurite AZURITE_PID "$AZURITE_LOG" \
		's|.*successfully listens on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' \
		AZURITE_BLOB_ENDPOINT "/$PB_AZURITE_ACCOUNT" '?comp=list' || return 1
	AZURITE_ACCOUNT=$PB_AZURITE_ACCOUNT
	AZURITE_ACCOUNT_KEY=$PB_AZURITE_WELL_KNOWN_KEY
	export AZURITE_BLOB_ENDPOINT AZURITE_ACCOUNT AZURITE_ACCOUNT_KEY AZURITE_PID AZURITE_LOG
}

pb_azurite_stop() { _pb_down azurite AZURITE_PID AZURITE_BLOB_ENDPOINT; }

# pb_azurite_mkcontainer NAME, pb_azurite_put CONTAINER BLOB FILE [CONTENT_TYPE],
# pb_azurite_get CONTAINER BLOB [OUT]: Shared Key signed requests to AZURITE_BLOB_ENDPOINT (azput.mjs).
pb_azurite_mkcontainer() { node "$PB_SERVERS_DIR/azput.mjs" mkcontainer "$@"; }
pb_azurite_put() { node "$PB_SERVERS_DIR/azput.mjs" put "$@"; }
pb_azurite_get() { node "$PB_SERVERS_DIR/azput.mjs" get "$@"; }

# pb_azurite_sas CONTAINER [--permissions P] [--version V] [--minutes N] [--expired] [--bad-signature]
# [--show]: prints a container-level service SAS token for CONTAINER (the query string, no leading "?";
# default sp=rl, sv=2021-08-06, valid from 5 minutes ago for 120 minutes), signed with AZURITE_ACCOUNT_KEY.
# --expired: st and se in the past; --bad-signature: signed with another key; --show: the string-to-sign
# to stderr. Append it to a URL: "$AZURITE_BLOB_ENDPOINT/CONTAINER/BLOB?$(pb_azurite_sas CONTAINER)".
pb_azurite_sas() { node "$PB_SERVERS_DIR/azput.mjs" sas "$@"; }

# ---- fault proxy -----------------------------------------------------------------------------------------

# pb_fault_start UPSTREAM_URL|DIR [SCRIPT] [PROXY ARGS...]: starts faultproxy.py in front of UPSTREAM_URL
# (e.g. "$S3_ENDPOINT" or "$AZURITE_BLOB_ENDPOINT"), or serving the files of DIR. SCRIPT is a fault script
# file, or the script's text (rules separated by ";" or newlines, e.g.
# '1:500; 2:429:retry-after=1; per-path 1@*.gz:reset'; see faultproxy.py's header); empty: no faults.
# Sets FAULT_ENDPOINT (UPSTREAM_URL with the proxy's http://127.0.0.1:PORT in place of its own, path kept,
# so it replaces the upstream's endpoint as it is), FAULT_PID, FAULT_LOG (the request log, one line per
# request: count attempts with grep or pb_fault_count) and FAULT_OUT (the proxy's output).
# One proxy at a time: pb_fault_stop, then start again to change the script (the request log starts afresh).
# PROXY ARGS --tls-cert CERT --tls-key KEY make it serve https (FAULT_ENDPOINT then starts with https://).
pb_fault_start() {
	local target=${1:-} script=${2:-} args=() path="" a tls=""
	if [ $# -lt 1 ]; then _pb_err "usage: pb_fault_start UPSTREAM_URL|DIR [SCRIPT] [ARGS...]"; return 2; fi
	shift $(($# < 2 ? $# : 2))
	for a in "$@"; do [ "$a" == --tls-cert ] && tls=1; done
	_pb_running FAULT_PID "pb_fault_start: a fault proxy" && return 1
	case $target in
	http://* | https://*)
		args+=(--upstream "$target")
		path=${target#*://}
		case $path in */*) path=/${path#*/} ;; *) path="" ;; esac
		;;
	*)
		[ -d "$target" ] || { _pb_err "pb_fault_start: $target is neither a URL nor a folder"; return 1; }
		args+=(--dir "$target")
		;;
	esac
	if [ -n "$script" ]; then
		if [ -f "$script" ]; then args+=(--script-file "$script"); else args+=(--script "$script"); fi
	fi
	_pb_logdir || return 1
	_PB_FAULT_RUN=$((_PB_FAULT_RUN + 1))
	FAULT_LOG=$PB_SERVERS_LOGDIR/fault-$_PB_FAULT_RUN.requests
	FAULT_OUT=$PB_SERVERS_LOGDIR/fault-$_PB_FAULT_RUN.out
	: >"$FAULT_LOG"
	: >"$FAULT_LOG.begun"
	: >"$FAULT_OUT"
	timeout -k 5 "$((PB_SERVER_MAX_SECONDS + 10))" python3 "$PB_SERVERS_DIR/faultproxy.py" "${args[@]}" \
		--log "$FAULT_LOG" --max-seconds "$PB_SERVER_MAX_SECONDS" "$@" >>"$FAULT_OUT" 2>&1 </dev/null &
	FAULT_PID=$!
	_pb_up fault faultproxy FAULT_PID "$FAULT_OUT" 's|^faultproxy listening on https\{0,1\}://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' \
		FAULT_ENDPOINT "${path%/}" || return 1
	[ -n "$tls" ] && FAULT_ENDPOINT=https://${FAULT_ENDPOINT#http://}
	export FAULT_ENDPOINT FAULT_PID FAULT_LOG FAULT_OUT
}

pb_fault_stop() { _pb_down fault FAULT_PID FAULT_ENDPOINT; }

# pb_headers_start DIR [PROXY ARGS...]: a second faultproxy, serving the files of DIR with no faults, that logs
# the names of every request's headers (--log-headers): a server that should never be reached, or never be
# sent a credential. Sets HEADERS_ENDPOINT (http://127.0.0.1:PORT, https:// with --tls-cert CERT --tls-key KEY),
# HEADERS_PID and HEADERS_LOG (its request log; see faultproxy.py; pb_fault_settled "$HEADERS_LOG" before reading
# it). Runs beside pb_fault_start's proxy.
pb_headers_start() {
	local dir=${1:-} a tls="" out
	[ -d "$dir" ] || { _pb_err "usage: pb_headers_start DIR [ARGS...]"; return 2; }
	shift
	for a in "$@"; do [ "$a" == --tls-cert ] && tls=1; done
	_pb_running HEADERS_PID "pb_headers_start: a header-logging server" && return 1
	_pb_logdir || return 1
	HEADERS_LOG=$PB_SERVERS_LOGDIR/headers.requests
	out=$PB_SERVERS_LOGDIR/headers.out
	: >"$HEADERS_LOG"
	: >"$HEADERS_LOG.begun"
	: >"$out"
	timeout -k 5 "$((PB_SERVER_MAX_SECONDS + 10))" python3 "$PB_SERVERS_DIR/faultproxy.py" --dir "$dir" --log-headers \
		--log "$HEADERS_LOG" --max-seconds "$PB_SERVER_MAX_SECONDS" "$@" >>"$out" 2>&1 </dev/null &
	HEADERS_PID=$!
	_pb_up headers faultproxy HEADERS_PID "$out" 's|^faultproxy listening on https\{0,1\}://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' \
		HEADERS_ENDPOINT "" || return 1
	[ -n "$tls" ] && HEADERS_ENDPOINT=https://${HEADERS_ENDPOINT#http://}
	export HEADERS_ENDPOINT HEADERS_PID HEADERS_LOG
}

pb_headers_stop() { _pb_down headers HEADERS_PID HEADERS_ENDPOINT; }

# pb_proxy_start [--auth USER:PASSWORD]: a loopback proxy (connectproxy.py) for https_proxy (CONNECT) and
# http_proxy (absolute-URI requests), to 127.0.0.1 only. Sets PROXY_ENDPOINT (http://127.0.0.1:PORT), PROXY_PID
# and PROXY_LOG (one line a request: "METHOD TARGET auth=yes|no STATUS"). Runs beside the other servers.
pb_proxy_start() {
	local out
	_pb_running PROXY_PID "pb_proxy_start: a proxy" && return 1
	_pb_logdir || return 1
	PROXY_LOG=$PB_SERVERS_LOGDIR/proxy.requests
	out=$PB_SERVERS_LOGDIR/proxy.out
	: >"$PROXY_LOG"
	: >"$out"
	timeout -k 5 "$((PB_SERVER_MAX_SECONDS + 10))" python3 "$PB_SERVERS_DIR/connectproxy.py" --log "$PROXY_LOG" \
		--max-seconds "$PB_SERVER_MAX_SECONDS" "$@" >>"$out" 2>&1 </dev/null &
	PROXY_PID=$!
	_pb_up proxy connectproxy PROXY_PID "$out" 's|^connectproxy listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' \
		PROXY_ENDPOINT "" || return 1
	export PROXY_ENDPOINT PROXY_PID PROXY_LOG
}

pb_proxy_stop() { _pb_down proxy PROXY_PID PROXY_ENDPOINT; }

# pb_fault_settled [LOG]: waits (120 s at most) until every request a faultproxy has begun is in its request log
# LOG (FAULT_LOG by default; HEADERS_LOG for pb_headers_start's): it logs a request when it is done with it,
# which on a loaded machine can come after the client took the answer and ended. Fails, saying so on stderr, if
# one is still missing: a count read then is short of the requests made. (Its own loop: tests/lib.sh's pb_until
# is not there for selftest.sh, where the wait ended at once, on "command not found".)
pb_fault_settled() {
	local log=${1:-$FAULT_LOG} end=$((SECONDS + 120))
	until _pb_fault_logged "$log"; do
		if ((SECONDS >= end)); then
			_pb_err "pb_fault_settled: $(wc -l 2>/dev/null <"$log.begun") requests begun, $(grep -c '^n=' "$log" 2>/dev/null) logged in $log after 120 s"
			return 1
		fi
		sleep 0.1
	done
}
_pb_fault_logged() {
	local logged begun
	logged=$(grep -c '^n=' "$1" 2>/dev/null)
	begun=$(wc -l 2>/dev/null <"$1.begun")
	[ "${logged:-0}" -ge "${begun:-0}" ]
}

# pb_fault_count [GREP ARGS...] PATTERN: how many requests in FAULT_LOG match (0 when none), once every request
# begun is in it (pb_fault_settled).
pb_fault_count() {
	pb_fault_settled "$FAULT_LOG"
	grep -c "$@" "$FAULT_LOG" 2>/dev/null || true
}

# ---- Partner Center / Microsoft Graph / Entra ID (pcserver.py) -------------------------------------------

# pb_pc_start DIR [CONFIG_FILE]: starts pcserver.py (a token endpoint, the Graph partner billing export API,
# the blob storage its manifests point to, and Partner Center customers; see its header) in DIR (made if
# missing; relative paths POSTed to /_pc/config are taken from there), configured from CONFIG_FILE if given.
# Sets and exports PC_URL (http://127.0.0.1:PORT: use it as the login, Graph and Partner Center base URL),
# PC_PID and PC_LOG (its output: one line per request, "pcserver: METHOD PATH STATUS").
pb_pc_start() {
	local dir=${1:-} conf=${2:-} args=()
	[ -n "$dir" ] || { _pb_err "usage: pb_pc_start DIR [CONFIG_FILE]"; return 2; }
	_pb_running PC_PID "pb_pc_start: pcserver" && return 1
	if [ -n "$conf" ]; then
		[ -f "$conf" ] || { _pb_err "pb_pc_start: no config file $conf"; return 1; }
		args+=(--config "$(cd "$(dirname "$conf")" && pwd)/$(basename "$conf")")
	fi
	_pb_logdir || return 1
	mkdir -p "$dir" || return 1
	PC_LOG=$PB_SERVERS_LOGDIR/pcserver.log
	: >"$PC_LOG"
	(cd "$dir" && exec timeout -k 5 "$((PB_SERVER_MAX_SECONDS + 10))" python3 "$PB_SERVERS_DIR/pcserver.py" \
		--port 0 --max-seconds "$PB_SERVER_MAX_SECONDS" "${args[@]}" >>"$PC_LOG" 2>&1 </dev/null) &
	PC_PID=$!
	_pb_up pc pcserver PC_PID "$PC_LOG" 's|^pcserver listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' \
		PC_URL "" || return 1
	export PC_URL PC_PID PC_LOG
}

pb_pc_stop() { _pb_down pc PC_PID PC_URL; }

# pb_pc_config JSON: merges JSON into pcserver's configuration (POST /_pc/config); fails with the server's
# message when it refuses it. pb_pc_get PATH: GETs a control endpoint (stats, config, operations, requests)
# and prints its JSON. pb_pc_stat NAME: one counter of /_pc/stats (e.g. polls, export_posts).
pb_pc_config() {
	local out code
	out=$(curl -sS -X POST -H 'Content-Type: application/json' --data-binary "${1:-}" -w '\n%{http_code}' \
		"${PC_URL:?pcserver is not running}/_pc/config") || return 1
	code=${out##*$'\n'}
	if [ "$code" != 200 ]; then
		_pb_err "pb_pc_config: HTTP $code: ${out%$'\n'*}"
		return 1
	fi
}
pb_pc_get() { curl -sS --fail-with-body "${PC_URL:?pcserver is not running}/_pc/${1:?usage: pb_pc_get PATH}"; }
pb_pc_stat() {
	pb_pc_get stats | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "${1:?usage: pb_pc_stat NAME}"
}

# ---- Azure Retail Prices API (retailprices.py) -----------------------------------------------------------

# pb_retail_start ITEMS_FILE [PAGE_SIZE]: starts retailprices.py serving the price items of ITEMS_FILE (a JSON
# array, read again on every request; see its header) PAGE_SIZE (default 100) a page. Sets and exports
# RETAIL_URL (http://127.0.0.1:PORT/api/retail/prices), RETAIL_PID and RETAIL_LOG (one line per request).
pb_retail_start() {
	local items=${1:-} size=${2:-100}
	[ -f "$items" ] || { _pb_err "usage: pb_retail_start ITEMS_FILE [PAGE_SIZE]"; return 2; }
	_pb_running RETAIL_PID "pb_retail_start: retailprices" && return 1
	_pb_logdir || return 1
	RETAIL_LOG=$PB_SERVERS_LOGDIR/retailprices.log
	: >"$RETAIL_LOG"
	timeout -k 5 "$((PB_SERVER_MAX_SECONDS + 10))" python3 "$PB_SERVERS_DIR/retailprices.py" --items "$items" \
		--page-size "$size" --port 0 --max-seconds "$PB_SERVER_MAX_SECONDS" >>"$RETAIL_LOG" 2>&1 </dev/null &
	RETAIL_PID=$!
	_pb_up retail retailprices RETAIL_PID "$RETAIL_LOG" \
		's|^retailprices listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' RETAIL_URL /api/retail/prices || return 1
	export RETAIL_URL RETAIL_PID RETAIL_LOG
}

pb_retail_stop() { _pb_down retail RETAIL_PID RETAIL_URL; }

# ---- all -------------------------------------------------------------------------------------------------

# pb_servers_stop: stops every server started here (last started first) and removes the logs folder the
# library made. Safe to call more than once. Keeps the exit status of the caller (for EXIT traps).
pb_servers_stop() {
	local rc=$? i
	# Not in a copy of the shell: a background command signalled before it has started its program runs the
	# shell's EXIT trap as it dies, and must not stop the servers of the shell that started it.
	# A case: a test's status in that copy is not its own.
	case $BASHPID in "$$") ;; *) return "$rc" ;; esac
	for ((i = ${#_PB_STARTED[@]} - 1; i >= 0; i--)); do
		case ${_PB_STARTED[i]} in
		s3) pb_s3_stop ;;
		azurite) pb_azurite_stop ;;
		fault) pb_fault_stop ;;
		headers) pb_headers_stop ;;
		pc) pb_pc_stop ;;
		retail) pb_retail_stop ;;
		proxy) pb_proxy_stop ;;
		refused) pb_refused_stop ;;
		esac
	done
	_PB_STARTED=()
	if [ -n "$_PB_LOGDIR_OWNED" ]; then
		rm -rf "$_PB_LOGDIR_OWNED"
		_PB_LOGDIR_OWNED="" PB_SERVERS_LOGDIR=""
	fi
	return $rc
}
