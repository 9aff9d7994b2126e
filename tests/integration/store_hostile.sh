#!/usr/bin/env bash
# A hostile pass over the store: runs killed (SIGKILL, SIGTERM, SIGINT) while spilling, reading and in COPY,
# the server ending the COPY, imports of one key or of two sources at once, a reader holding the month while
# an import commits, an unusable spill folder and a bad PB_STORE_MEMORY. After each: the exit status and
# message, the imports' statuses, the current rows unchanged, no orphan import table, no spill file left, and
# a rerun giving the rows of an uninterrupted run.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest

pb_test_tmp store-hostile
cleanup() {
	[ -n "${BGPID:-}" ] && kill -9 "$BGPID" 2>/dev/null
	[ -n "${BGPID2:-}" ] && kill -9 "$BGPID2" 2>/dev/null
	[ -n "${READER_PID:-}" ] && kill -9 "$READER_PID" 2>/dev/null
	pb_test_cleanup
}
trap cleanup EXIT
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
	echo "$(pb_sql "SELECT count(*) FROM pg_class WHERE relname LIKE 'usage_daily%import%' AND relkind = 'r'")/$(pb_sql "SELECT count(*) FROM pb.import WHERE status = 'committed'")"
}
spill_left() { ls -A "$PB_VAR_DIR/tmp" 2>/dev/null; }
# wait_pause FILE WHERE: until the run says it paused there (30 s at most).
wait_pause() {
	local i
	for i in $(seq 300); do
		grep -q "test pause at $2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
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
# rerun NAME: a run afterwards commits the rows of an uninterrupted run.
rerun() {
	"$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err"
	check "$1: a rerun commits rows identical to an uninterrupted run" "0|$REF|1/1|" \
		"$?|$(current_rows "$BIG")|$(orphans)|$(spill_left)"
}
last_status() { pb_sql "SELECT status || '|' || coalesce(error, '') FROM pb.import WHERE source = '$BIG' ORDER BY id DESC LIMIT 1"; }

# ---- 1. kill -9 while spilling -------------------------------------------------------------------------
PB_STORE_MEMORY=1 PB_TEST_PAUSE=spill "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" &
BGPID=$!
if wait_pause "$TMP/err" spill; then
	# The spill file is unlinked once open: the paused run holds it open under var/tmp.
	check "spill: the paused run has spilled to a file under var/tmp" "yes" \
		"$(ls -l /proc/$BGPID/fd 2>/dev/null | grep -q "$PB_VAR_DIR/tmp" && echo yes)"
	kill -9 $BGPID; wait $BGPID 2>/dev/null; BGPID=
	# A spill file of a killed run is unlinked already (or left): record what is there.
	SPILL_AFTER_KILL=$(spill_left)
	check "spill: kill -9 leaves no spill file (the file is unlinked once open)" "" "$SPILL_AFTER_KILL"
	rm -rf "${PB_VAR_DIR:?}/tmp"/*
	after "kill -9 while spilling"
	rerun "kill -9 while spilling"
else
	notok "spill: the run reaches the spill pause" "$(cat "$TMP/err")"
	kill -9 $BGPID; BGPID=
fi
