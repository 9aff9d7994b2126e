# shellcheck shell=bash
# tests/integration/store_hostile_lib.sh: what store_hostile.sh and store_waits.sh share. Source it after
# setting STORE_SUITE (the scratch folder's name): it starts the cluster, makes the big file (200,000 CUR lines)
# and another (50,000), stores the big one twice (the reference, REF: its current rows), and defines the checks
# after, rerun and the helpers below.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest

pb_test_tmp "$STORE_SUITE"
cleanup() {
	[ -n "${BGPID:-}" ] && kill -9 "$BGPID" 2>/dev/null
	[ -n "${BGPID2:-}" ] && kill -9 "$BGPID2" 2>/dev/null
	[ -n "${READER_PID:-}" ] && kill -9 "$READER_PID" 2>/dev/null
	[ -n "${READER2_PID:-}" ] && kill -9 "$READER2_PID" 2>/dev/null
	pb_test_cleanup
}
pb_on_exit cleanup
pb_test_cluster_start

current_rows() {
	pb_sql "SELECT u.vendor, u.billing_month, u.partner_account_id, u.usage_date, u.charge_category, u.charge_type,
	u.service, u.region, u.currency, u.list_cost, u.billed_cost, u.line_count FROM pb.usage_daily u
	JOIN pb.import i ON i.id = u.import_id WHERE i.status = 'committed' AND i.source = '$1'
	ORDER BY 3, 4, 5, 6, 7, 8, 9" | sha256sum | cut -d' ' -f1
}
statuses() { pb_sql "SELECT status FROM pb.import WHERE source = '$1' ORDER BY id" | tr '\n' ' '; }
# Import tables against imports that own a partition (committed ones).
orphans() {
	local t c
	t=$(pb_sql "SELECT count(*) FROM pg_class WHERE relname LIKE 'usage_daily%import%' AND relkind = 'r'")
	c=$(pb_sql "SELECT count(*) FROM pb.import WHERE status = 'committed'")
	[ "$t" = "$c" ] && echo "1/1" || echo "$t/$c"
}
# wait_line FILE REGEX [TENTHS]: until FILE has a line matching REGEX (TENTHS of a second at most, 120 s by default).
# A background run's stderr file is emptied before the run starts (': >"$TMP/err"'): the run's shell empties it
# only once it runs, and until then a line of the run before matched (a loaded machine showed it).
wait_line() {
	local i
	pb_until $(((${3:-1200} + 9) / 10)) grep -qE "$2" "$1" 2>/dev/null
}
# wait_exit PID [TENTHS]: its exit status, or 124 after TENTHS of a second (120 s by default: a sanitized run of the
# big file on a loaded machine took more than 60 s) without it ending (it is then killed).
wait_exit() {
	if pb_until $(((${2:-1200} + 9) / 10)) eval "! kill -0 $1 2>/dev/null"; then
		wait "$1"
		return
	fi
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 124
}
# run_until_waiting REGEX: an import of the big file in the background (BGPID; SIGTERM ends it), once its
# stderr has a line matching REGEX (120 s at most; one failure if it never has).
run_until_waiting() {
	: >"$TMP/err"
	env --default-signal=TERM "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" &
	BGPID=$!
	wait_line "$TMP/err" "$1" || notok "the run says '$1'" "$(cat "$TMP/err")"
}
# hold SQL: a session that runs SQL in a transaction it keeps open until release; returns once SQL has run (one
# failure if it has not within 120 s). Its output is emptied first: the session's shell empties it only once it
# runs, and the "held" of the session before was seen meanwhile.
hold() {
	[ -p "$TMP/reader.in" ] || mkfifo "$TMP/reader.in"
	: >"$TMP/reader.out"
	"$BIN/pb-db" psql -X -q -t -A <"$TMP/reader.in" >"$TMP/reader.out" 2>&1 &
	READER_PID=$!
	exec 7>"$TMP/reader.in"
	printf 'BEGIN; %s\n\\echo held\n' "$1" >&7
	wait_line "$TMP/reader.out" '^held$' && return 0
	notok "a session holds: $1" "$(cat "$TMP/reader.out")"
	return 1
}
release() {
	echo "COMMIT;" >&7
	exec 7>&-
	wait "$READER_PID"
	READER_PID=
}
spill_left() { ls -A "$PB_VAR_DIR/tmp" 2>/dev/null; }
# wait_pause FILE WHERE: until the run says it paused there (120 s at most; one failure if it does not).
wait_pause() {
	wait_line "$1" "test pause at $2" && return 0
	notok "the run pauses at $2" "$(cat "$1")"
	return 1
}

cc -O2 -o "$TMP/gen_cur" "$ROOT/bench/gen_cur.c" || exit 1
mkdir -p "$TMP/big" "$TMP/other"
"$TMP/gen_cur" 200000 5 >"$TMP/big/cur.csv"
"$TMP/gen_cur" 50000 6 >"$TMP/other/cur.csv"
BIG=file://$TMP/big
OTHER=file://$TMP/other

# The reference: an uninterrupted run, then the same run again (the current import the hostile runs must keep).
"$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" || notok "first import" "$(cat "$TMP/err")"
"$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" || notok "second import" "$(cat "$TMP/err")"
REF=$(current_rows "$BIG")
check "reference: two runs, one committed, no orphan table" "superseded committed |1/1" "$(statuses "$BIG")|$(orphans)"

# after NAME: the previous import is current, its rows unchanged, no orphan table, no spill file.
after() {
	check "$1: the previous import is current, its rows unchanged, no orphan table, no spill file" \
		"1|$REF|1/1|" \
		"$(pb_sql "SELECT count(*) FROM pb.import WHERE status = 'committed' AND source = '$BIG'")|$(current_rows "$BIG")|$(orphans)|$(spill_left)"
}
# rerun NAME: a run afterwards commits the rows of an uninterrupted run. It starts once the server has ended the
# sessions of the runs before (a killed run's holds its import until then, and the rerun would be refused as a
# second run of the source).
rerun() {
	pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-ingest'" ||
		notok "$1: the sessions of the runs before end" "$(pb_sql "SELECT pid, state, query FROM pg_stat_activity WHERE application_name = 'pb-ingest'")"
	"$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err"
	check "$1: a rerun commits rows identical to an uninterrupted run" "0|$REF|1/1|" \
		"$?|$(current_rows "$BIG")|$(orphans)|$(spill_left)"
}
last_status() { pb_sql "SELECT status || '|' || coalesce(error, '') FROM pb.import WHERE source = '$BIG' ORDER BY id DESC LIMIT 1"; }

