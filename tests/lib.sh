# shellcheck shell=bash
# tests/lib.sh: what the test scripts share. Source it; it finds the work tree from where it lies:
#   ROOT         the work tree's top
#   BIN          the programs' folder: $PB_BIN (relative to the caller's folder) or $ROOT/bin
#   ok NAME, notok NAME [DETAIL], check NAME WANT GOT   count results into passed and failed
#   pb_tests_done   prints "N passed, N failed" and returns non-zero if any failed
# For the scripts that run a throwaway PostgreSQL cluster (tests/integration/*.sh):
#   pb_test_tmp NAME, pb_test_cluster_start [--no-migrate] [TEST], pb_test_cleanup, pb_sql QUERY [SEPARATOR],
#   pb_sql_session_start and pb_sql_in QUERY, pb_test_need_servers, pb_until SECONDS CMD..., pb_sql_is WANT QUERY
# For pb-ingest's end-to-end scripts (tests/e2e/*/run.sh):
#   pb_e2e_start NAME, check_run NAME STATUS STDOUT STDERR DIR STDIN ARG..., want NAME MODE FILE...,
#   pb_want_compute EXPECTED_PY, pb_e2e_error_cases DIR
# (each described where it is defined below).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -n "${PB_BIN:-}" ]; then
	case $PB_BIN in /*) BIN=$PB_BIN ;; *) BIN=$PWD/$PB_BIN ;; esac
else
	BIN=$ROOT/bin
fi
passed=0
failed=0
ok() {
	echo "ok - $1"
	passed=$((passed + 1))
}
notok() {
	echo "not ok - $1"
	failed=$((failed + 1))
	[ -n "${2:-}" ] && sed 's/^/#   /' <<<"$2" | head -20
	return 0
}
# check NAME WANT GOT: exact comparison, with a diff when they differ.
check() {
	if [ "$2" == "$3" ]; then ok "$1"; else notok "$1" "$(diff <(echo "$2") <(echo "$3"))"; fi
}
pb_tests_done() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# ---- a throwaway PostgreSQL cluster ----------------------------------------------------------------------

# pb_test_tmp NAME: makes TMP, a scratch folder ($TMPDIR/pb-NAME.XXXXXX, readable by all), puts the cluster
# there (PB_VAR_DIR=$TMP/var) and unsets what would point pb-db at another database. Exits 1 if it cannot.
pb_test_tmp() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/pb-$1.XXXXXX") || exit 1
	chmod 755 "$TMP"
	export PB_VAR_DIR=$TMP/var
	unset PB_DATABASE_URL PGHOST PGHOSTADDR PGDATABASE PGSERVICE PGUSER PGPORT
}

# pb_test_cluster_start [--no-migrate] [TEST]: pb-db init, start and (unless --no-migrate) migrate, their
# output in $TMP/init.log; migrated, a copy of PB_TEST_TEMPLATE (run-suites.sh's) is started instead. When one fails: notok TEST (default "start a throwaway cluster") with that
# output, the counts, and exit 1.
# shellcheck disable=SC2120 # both arguments are optional
pb_test_cluster_start() {
	local migrate=yes
	if [ "${1:-}" == --no-migrate ]; then
		migrate=no
		shift
	fi
	# A migrated cluster that run-suites.sh made with the same programs (PB_TEST_TEMPLATE) is copied.
	if [ $migrate == yes ] && [ -d "${PB_TEST_TEMPLATE:-none}/pg/data" ]; then
		if ! { cp -a "$PB_TEST_TEMPLATE" "$PB_VAR_DIR" && : >"$PB_VAR_DIR/pg/server.log" &&
			"$BIN/pb-db" start; } >"$TMP/init.log" 2>&1; then
			notok "${1:-start a throwaway cluster}" "$(cat "$TMP/init.log")"
			pb_tests_done
			exit 1
		fi
		return 0
	fi
	# A throwaway cluster need not survive the machine: no waiting on the disk (a killed client still
	# leaves the server's state as it was; only a crash of the machine would not).
	if ! { "$BIN/pb-db" init &&
		printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' \
			>>"$PB_VAR_DIR/pg/data/postgresql.auto.conf" &&
		"$BIN/pb-db" start && { [ $migrate == no ] || "$BIN/pb-db" migrate; }; } \
		>"$TMP/init.log" 2>&1; then
		notok "${1:-start a throwaway cluster}" "$(cat "$TMP/init.log")"
		pb_tests_done
		exit 1
	fi
}

# pb_on_exit FUNCTION: FUNCTION as the suite's EXIT trap, run in the suite's own shell only. A background
# command signalled before it has started its program is still a copy of the shell, and runs the EXIT trap as
# it dies: it stopped the suite's cluster and servers, and removed TMP, under the suite.
pb_on_exit() {
	# A case, not a test: in that copy, a simple command such as [ gives a status that is not its own (bash
	# looks for the child it was about to start: "wait_for: No record of process"), 39 times in 40.
	# shellcheck disable=SC2064 # FUNCTION is expanded now, BASHPID when the trap runs
	trap "case \$BASHPID in \"\$\$\") $1 ;; esac" EXIT
}

# pb_until SECONDS CMD...: runs CMD until it succeeds, a tenth of a second apart; fails once SECONDS have passed
# without it succeeding. For a wait on something another process does (a line in its log, a lock it waits
# for, its end): a loaded machine (a sanitized build, the other suites beside) takes seconds for what takes
# milliseconds alone, so the bound is generous, and it is measured in seconds, not in tries (each try may
# itself take a while).
pb_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}
# pb_sql_is WANT QUERY: whether QUERY's rows are WANT (for pb_until).
pb_sql_is() { [ "$(pb_sql "$2")" == "$1" ]; }

# pb_test_cleanup: stops the test servers (when tests/servers/lib.sh is sourced) and the cluster, and removes
# TMP: a script's EXIT trap, or the last step of it.
pb_test_cleanup() {
	local pid
	case $BASHPID in "$$") ;; *) return 0 ;; esac # see pb_on_exit
	pb_sql_session_end
	if declare -F pb_servers_stop >/dev/null; then pb_servers_stop; fi
	# What the cluster's processes spent (the server and the sessions it reaped), for run-suites.sh's CPU.
	pid=$(head -n 1 "$PB_VAR_DIR/pg/data/postmaster.pid" 2>/dev/null)
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] && awk -v hz="$(getconf CLK_TCK)" \
		'{ printf "# PostgreSQL CPU: %.1f s\n", ($14 + $15 + $16 + $17) / hz }' "/proc/$pid/stat" 2>/dev/null
	"$BIN/pb-db" stop >/dev/null 2>&1
	rm -rf "$TMP"
}

# pb_test_need_servers: unless the test servers are installed (pb_servers_installed of tests/servers/lib.sh):
# one failure, the counts, and exit 1.
pb_test_need_servers() {
	if ! pb_servers_installed; then
		notok "the test servers are installed (npm ci --prefix tests/servers)"
		pb_tests_done
		exit 1
	fi
}

# pb_sql QUERY [SEPARATOR]: runs QUERY in the cluster and prints its rows unaligned, without headers, fields
# separated by SEPARATOR (default ","); the session has the server's defaults, whatever PGOPTIONS or
# PGCLIENTENCODING a suite sets for the programs; a failure says "SQL FAILED: QUERY" on stderr.
# On the suite's own cluster (no PB_DATABASE_URL nor PG* variable choosing another), psql is run directly with
# the settings pb-db psql would give it (its tests are db.sh's): pb-db's start, a second of CPU in twenty calls
# under the sanitizers, is most of a check's cost in the suites that query the store after every run.
pb_sql() {
	if [ -z "${PB_DATABASE_URL:-}${PGHOST:-}${PGHOSTADDR:-}${PGSERVICE:-}" ] && pb_sql_direct; then
		env -u PGOPTIONS -u PGCLIENTENCODING PGHOST="$PB_SQL_HOST" PGPORT=5432 PGUSER=pb PGDATABASE=partnerbill \
			"$PB_SQL_PSQL" -X -q -t -A -F"${2:-,}" -v ON_ERROR_STOP=1 -c "$1" || echo "SQL FAILED: $1" >&2
	else
		env -u PGOPTIONS -u PGCLIENTENCODING "$BIN/pb-db" psql -X -q -t -A -F"${2:-,}" -v ON_ERROR_STOP=1 -c "$1" ||
			echo "SQL FAILED: $1" >&2
	fi
}
# pb_sql_direct: sets PB_SQL_HOST (the local cluster's socket folder, as pb-db finds it) and PB_SQL_PSQL (the
# psql beside the server's programs, as pb-db psql picks it), once for each PB_VAR_DIR; fails when there is
# no such cluster.
pb_sql_direct() {
	local var v best=
	[ "${PB_SQL_VAR:-}" == "${PB_VAR_DIR:-}" ] && [ -n "${PB_SQL_HOST:-}" ] && return 0
	PB_SQL_HOST=
	var=$(realpath -e "${PB_VAR_DIR:-var}" 2>/dev/null) && [ -d "$var/pg/run" ] || return 1
	if [ -n "${PB_PG_BINDIR:-}" ]; then
		best=$PB_PG_BINDIR
	else
		for v in /usr/lib/postgresql/*/bin; do
			[ -x "$v/initdb" ] || continue
			v=${v#/usr/lib/postgresql/}
			v=${v%/bin}
			[[ $v =~ ^[0-9]+$ ]] || continue
			[ -z "$best" ] || [ "$v" -gt "${best##*/postgresql/}" ] && best=/usr/lib/postgresql/$v
		done
		[ -n "$best" ] && best=$best/bin
	fi
	if [ -n "$best" ] && [ -x "$best/psql" ]; then PB_SQL_PSQL=$best/psql; else PB_SQL_PSQL=psql; fi
	PB_SQL_HOST=$var/pg/run
	PB_SQL_VAR=${PB_VAR_DIR:-}
}

# pb_sql_session_start, then pb_sql_in QUERY: the same as pb_sql, through one psql kept open for the whole
# script (a psql a query costs a script that checks the store after each of hundreds of runs most of its
# time). pb_sql_in sets SQL_ROWS (the rows, or "SQL FAILED: ..." with psql's message) instead of printing,
# since the session's descriptors do not reach a subshell; pb_test_cleanup ends the session.
pb_sql_session_start() {
	coproc PB_PSQL { exec env -u PGOPTIONS -u PGCLIENTENCODING "$BIN/pb-db" psql -X -q -t -A -F, -v ON_ERROR_STOP=0 2>&1; }
}
pb_sql_in() {
	local line
	SQL_ROWS=
	printf '%s;\n\\echo @@pb-sql-end@@\n' "$1" >&"${PB_PSQL[1]}" || {
		SQL_ROWS="SQL FAILED: no session: $1"
		return 1
	}
	while IFS= read -r -t 120 line <&"${PB_PSQL[0]}"; do
		[ "$line" == @@pb-sql-end@@ ] && return 0
		SQL_ROWS+=${SQL_ROWS:+$'\n'}$line
	done
	SQL_ROWS="SQL FAILED: no answer: $1"
	return 1
}
pb_sql_session_end() {
	if [ -n "${PB_PSQL_PID:-}" ]; then
		{ echo '\q' >&"${PB_PSQL[1]}"; } 2>/dev/null
		wait "$PB_PSQL_PID" 2>/dev/null
	fi
}

# ---- pb-ingest end to end --------------------------------------------------------------------------------

# pb_e2e_start NAME: PB, the pb-ingest to run ($BIN/pb-ingest); TMP, a scratch folder ($TMPDIR/pb-NAME.XXXXXX,
# removed at exit); E ($TMP/expected), where pb_want_compute puts what want declares. When PB is not an
# executable: one failure, the counts, and exit 1.
pb_e2e_start() {
	PB=$BIN/pb-ingest
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/pb-$1.XXXXXX") || exit 1
	trap 'case $BASHPID in "$$") rm -rf "$TMP" ;; esac' EXIT # see pb_on_exit
	if [ ! -x "$PB" ]; then
		notok "$PB is not an executable"
		pb_tests_done
		exit 1
	fi
	E=$TMP/expected
	mkdir -p "$E"
	: >"$TMP/expected.spec"
}

# check_run NAME WANT_STATUS WANT_STDOUT WANT_STDERR DIR STDIN ARG...: runs $PB ARG... in DIR with STDIN as
# standard input (for 60 s at most where coreutils' timeout is there, so that a hang fails one case instead
# of the suite), then ok NAME, or notok NAME followed by what differs (at most CHECK_RUN_REPORT_LINES lines
# of it when that is set).
#   WANT_STDOUT: a file to match byte for byte, or one of: empty, nonempty, version ("pb-ingest X.Y.Z").
#   WANT_STDERR: a golden file, or one of: empty, nonempty, any. The script defines how a golden file
#   matches: stderr_differs GOLDEN ACTUAL prints nothing when ACTUAL matches, else what differs, its first
#   line starting with "stderr".
check_run() {
	local name=$1 want_status=$2 want_out=$3 want_err=$4 dir=$5 input=$6
	shift 6
	local out=$TMP/stdout err=$TMP/stderr status report=$TMP/report limit=()
	command -v timeout >/dev/null 2>&1 && limit=(timeout 60)
	: >"$report"
	(cd "$dir" && exec "${limit[@]}" "$PB" "$@") <"$input" >"$out" 2>"$err"
	status=$?

	if [ "$status" -ne "$want_status" ]; then
		echo "exit status: expected $want_status, got $status" >>"$report"
	fi
	case $want_out in
	empty) [ -s "$out" ] && echo "stdout: expected empty" >>"$report" ;;
	nonempty) [ -s "$out" ] || echo "stdout: expected something" >>"$report" ;;
	version)
		if [ "$(wc -l <"$out")" -ne 1 ] || ! grep -Eq '^pb-ingest [0-9]+\.[0-9]+\.[0-9]+$' "$out"; then
			echo "stdout: expected one line \"pb-ingest X.Y.Z\"" >>"$report"
		fi
		;;
	*)
		if ! cmp -s "$want_out" "$out"; then
			echo "stdout differs (diff expected got):" >>"$report"
			diff -u --label expected --label got "$want_out" "$out" >>"$report"
		fi
		;;
	esac
	case $want_err in
	any) ;;
	empty) [ -s "$err" ] && echo "stderr: expected empty" >>"$report" ;;
	nonempty) [ -s "$err" ] || echo "stderr: expected a message" >>"$report" ;;
	*) stderr_differs "$want_err" "$err" >>"$report" ;;
	esac
	# A wrong status or stdout alone does not show stderr: show it, it usually says why.
	if [ -s "$report" ] && [ -s "$err" ] && ! grep -q '^stderr' "$report"; then
		echo "stderr was:" >>"$report"
		head -n 20 "$err" >>"$report"
	fi

	if [ ! -s "$report" ]; then
		ok "$name"
	elif [ -n "${CHECK_RUN_REPORT_LINES:-}" ]; then
		notok "$name"
		sed 's/^/#   /' "$report" | head -n "$CHECK_RUN_REPORT_LINES"
	else
		notok "$name"
		sed 's/^/#   /' "$report"
	fi
}

# pb_width_file FILE HEADER K REC...: writes $TMP/FILE, HEADER and the records, the last without its line feed;
# a record marked bad (a leading '!') among the first K so marked is blank lines instead (as many: the lines
# after it keep their numbers).
pb_width_file() {
	local file=$1 out=$2 k=$3 r bad=0
	shift 3
	for r in "$@"; do
		if [ "${r:0:1}" == '!' ]; then
			r=${r:1}
			bad=$((bad + 1))
			[ $bad -le "$k" ] && r=${r//[!$'\n']/}
		fi
		out+=$'\n'$r
	done
	printf '%s' "$out" >"$TMP/$file"
}

# want NAME MODE FILE...: declares that the script's expected.py is to compute its answer to MODE FILE...
# (e.g. --summary=daily and plain fixtures) into $E/NAME, where a case then finds it. pb_want_compute
# EXPECTED_PY computes all of them in one run of EXPECTED_PY --batch; one failure if it refuses a fixture.
want() {
	local IFS=$'\t'
	echo "$*" >>"$TMP/expected.spec"
}
pb_want_compute() {
	if ! python3 "$1" --batch "$E" <"$TMP/expected.spec" 2>"$TMP/expected.err"; then
		notok "expected.py refused a fixture"
		sed 's/^/#   /' "$TMP/expected.err"
	fi
}

# pb_e2e_error_cases DIR: each folder of DIR with a file `args` (one argument a line) is an error case, run
# by check_run under the folder's name in a copy of it ($TMP/cases/NAME): its `expected.status`, an empty
# stdout, its `expected.stderr` (absent: any message will do), its `stdin` if it has one (else nothing), and
# first its `prepare.sh` if it has one (run in the copy; its failure is the case's).
pb_e2e_error_cases() {
	local case_dir name work input want_err args
	for case_dir in "$1"/*/; do
		name=$(basename "$case_dir")
		[ -f "$case_dir/args" ] || continue
		work=$TMP/cases/$name
		mkdir -p "$TMP/cases"
		cp -R "$case_dir" "$work"
		if [ -f "$work/prepare.sh" ] && ! (cd "$work" && bash ./prepare.sh) >"$TMP/prepare.err" 2>&1; then
			notok "$name (prepare.sh failed)"
			sed 's/^/#   /' "$TMP/prepare.err"
			continue
		fi
		mapfile -t args <"$work/args"
		input=/dev/null
		[ -f "$work/stdin" ] && input=$work/stdin
		want_err=nonempty
		[ -f "$work/expected.stderr" ] && want_err=$work/expected.stderr
		check_run "$name" "$(cat "$work/expected.status")" empty "$want_err" "$work" "$input" "${args[@]}"
	done
}
