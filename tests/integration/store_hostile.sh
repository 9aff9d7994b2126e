#!/usr/bin/env bash
# A hostile pass over the store: runs killed (SIGKILL, SIGTERM, SIGINT) while spilling, reading and in COPY,
# the server ending the COPY, imports of one key or of two sources at once, a reader holding the month while
# an import commits (other readers are served meanwhile; a signal stops the waiting run), an unusable spill
# folder and a bad PB_STORE_MEMORY; the waiting message for an import role that is no superuser, a session of
# another database and a prepared transaction, deadlock_timeout at its maximum, a deadlock made by an attempt.
# After each: the exit status and message, the imports' statuses, the current rows unchanged, no orphan import
# table, no spill file left, and a rerun giving the rows of an uninterrupted run.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest

pb_test_tmp store-hostile
cleanup() {
	[ -n "${BGPID:-}" ] && kill -9 "$BGPID" 2>/dev/null
	[ -n "${BGPID2:-}" ] && kill -9 "$BGPID2" 2>/dev/null
	[ -n "${READER_PID:-}" ] && kill -9 "$READER_PID" 2>/dev/null
	[ -n "${READER2_PID:-}" ] && kill -9 "$READER2_PID" 2>/dev/null
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
	local t c
	t=$(pb_sql "SELECT count(*) FROM pg_class WHERE relname LIKE 'usage_daily%import%' AND relkind = 'r'")
	c=$(pb_sql "SELECT count(*) FROM pb.import WHERE status = 'committed'")
	[ "$t" = "$c" ] && echo "1/1" || echo "$t/$c"
}
# wait_line FILE REGEX [TENTHS]: until FILE has a line matching REGEX (TENTHS of a second at most, 30 s by default).
# A background run's stderr file is emptied before the run starts (': >"$TMP/err"'): the run's shell empties it
# only once it runs, and until then a line of the run before matched (a loaded machine showed it).
wait_line() {
	local i
	for i in $(seq "${3:-300}"); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# wait_exit PID [TENTHS]: its exit status, or 124 after TENTHS of a second (30 s by default) without it ending (it is
# then killed).
wait_exit() {
	local i
	for i in $(seq "${2:-300}"); do
		kill -0 "$1" 2>/dev/null || { wait "$1"; return; }
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 124
}
# run_until_waiting REGEX: an import of the big file in the background (BGPID; SIGTERM ends it), once its
# stderr has a line matching REGEX (30 s at most).
run_until_waiting() {
	: >"$TMP/err"
	env --default-signal=TERM "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" &
	BGPID=$!
	wait_line "$TMP/err" "$1"
}
# hold SQL: a session that runs SQL in a transaction it keeps open until release; returns once SQL has run.
hold() {
	[ -p "$TMP/reader.in" ] || mkfifo "$TMP/reader.in"
	"$BIN/pb-db" psql -X -q -t -A <"$TMP/reader.in" >"$TMP/reader.out" 2>&1 &
	READER_PID=$!
	exec 7>"$TMP/reader.in"
	printf 'BEGIN; %s\n\\echo held\n' "$1" >&7
	wait_line "$TMP/reader.out" '^held$'
}
release() {
	echo "COMMIT;" >&7
	exec 7>&-
	wait "$READER_PID"
	READER_PID=
}
spill_left() { ls -A "$PB_VAR_DIR/tmp" 2>/dev/null; }
# wait_pause FILE WHERE: until the run says it paused there (30 s at most).
wait_pause() { wait_line "$1" "test pause at $2"; }

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
: >"$TMP/err"
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

# ---- 2. the server ends the COPY -----------------------------------------------------------------------
# The run pauses in the middle of its COPY for 3 s; its session is terminated meanwhile.
: >"$TMP/err"
PB_TEST_PAUSE=copy PB_TEST_PAUSE_SECONDS=3 "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" &
BGPID=$!
wait_pause "$TMP/err" copy
hit=$(pb_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'COPY%' AND pid <> pg_backend_pid()")
wait $BGPID; st=$?; BGPID=
check "server ends the COPY: the session was found in its COPY, and the run exits 3 saying so on one line" \
	"1|3|pb-ingest: database: COPY failed: server closed the connection unexpectedly This probably means the server terminated abnormally before or while processing the request." "$hit|$st|$(grep -v 'test pause' "$TMP/err")"
# The session is gone; the run records the failure on a new one at once.
check "server ends the COPY: the run is recorded failed at once" \
	"failed|database: COPY failed: server closed the connection unexpectedly This probably means the server terminated abnormally before or while processing the request." "$(last_status)"
after "server ends the COPY"
rerun "server ends the COPY"

# ---- 3. two runs of the same source and month at once ----------------------------------------------------
: >"$TMP/err"
PB_TEST_PAUSE=read "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" &
BGPID=$!
wait_pause "$TMP/err" read
"$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out2" 2>"$TMP/err2"
st=$?
echo "# same key: $st: $(cat "$TMP/err2")"
check "same source and month at once: the second is refused with exit 4 saying the first is running" "yes|yes" \
	"$([ $st -ne 0 ] && echo yes)|$(grep -q "^pb-ingest: the aws import of '$BIG' for 2026-10 is running already: import [0-9]*, by pb-ingest pid $BGPID" "$TMP/err2" && echo yes)"
kill -9 $BGPID; wait $BGPID 2>/dev/null; BGPID=
: >"$TMP/err"
"$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" &
BGPID=$!
"$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out2" 2>"$TMP/err2" &
BGPID2=$!
wait $BGPID; st1=$?; wait $BGPID2; st2=$?; BGPID= BGPID2=
echo "# race: $st1 $st2: $(cat "$TMP/err" "$TMP/err2")"
check "same key raced: exactly one commits, rows not doubled" "1|$REF|1/1" \
	"$(( (st1 == 0) + (st2 == 0) ))|$(current_rows "$BIG")|$(orphans)"

# ---- 4. two sources, same month, at once -----------------------------------------------------------------
: >"$TMP/err"
"$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" &
BGPID=$!
"$PBI" --format aws-cur --no-progress "$TMP/other/cur.csv" >"$TMP/out2" 2>"$TMP/err2" &
BGPID2=$!
wait $BGPID; st1=$?; wait $BGPID2; st2=$?; BGPID= BGPID2=
check "two sources at once: both commit, no deadlock" "0|0||" "$st1|$st2|$(grep -i deadlock "$TMP/err" "$TMP/err2")|"
check "two sources at once: both current, rows of an uninterrupted run" "$REF|1|1/1" \
	"$(current_rows "$BIG")|$(pb_sql "SELECT count(*) FROM pb.import WHERE status = 'committed' AND source = '$OTHER'")|$(orphans)"
pb_sql "DELETE FROM pb.import WHERE source = '$OTHER' AND status <> 'committed'" >/dev/null
OTHER_ID=$(pb_sql "SELECT id FROM pb.import WHERE source = '$OTHER' AND status = 'committed'")

# ---- 5. a reader holds the month while an import commits ---------------------------------------------------
hold "SELECT count(*) FROM pb.usage_daily;"
start=$(date +%s)
: >"$TMP/err"
timeout 60 "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" &
BGPID=$!
sleep 5
waiting=$(pb_sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
echo "# reader: after 5 s, sessions waiting on a lock: $waiting; run alive: $(kill -0 $BGPID 2>/dev/null && echo yes)"
release
wait $BGPID; st=$?; BGPID=
echo "# reader: run status $st after $(( $(date +%s) - start )) s: $(cat "$TMP/err")"
check "a reader holding the month: the import waits for it, then commits" "0|$REF" "$st|$(current_rows "$BIG")"

# ---- 5b. waiting for a reader, the import holds no other reader up, says whom it waits for, stops on a signal --
# (The reader is named among the holders: an autovacuum worker busy with the table at that moment is named too.)
MONTH_ROWS=$(pb_sql "SELECT count(*) FROM pb.usage_daily WHERE billing_month = '2026-10-01'")
hold "SELECT count(*) FROM pb.usage_daily;"
run_until_waiting "waiting for other sessions"
echo "# reader held: $(cat "$TMP/err")"
check "a reader held: the run says it waits, naming the reader's server process" "yes" \
	"$(grep -qE "^pb-ingest: waiting for other sessions to release the daily rows of 2026-10: (.*, )?server process $(pb_sql "SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction' ORDER BY pid LIMIT 1") \(psql, in a transaction since [0-9-]+ [0-9:]+ [A-Z]+\)(, .*)?$" "$TMP/err" && echo yes)"
# Another reader of the month is served while the import waits (it is not queued behind the import's lock).
other=$("$BIN/pb-db" psql -X -q -t -A -c "SET statement_timeout = '10s'" \
	-c "SELECT count(*) FROM pb.usage_daily WHERE billing_month = '2026-10-01'" 2>&1)
check "a reader held: another reader of the month is served meanwhile" "$MONTH_ROWS" "$other"
kill -TERM $BGPID
wait_exit $BGPID; st=$?; BGPID=
check "a reader held: SIGTERM ends the waiting run while the reader still reads, saying so" \
	"143|pb-ingest: interrupted by SIGTERM|yes" "$st|$(tail -n 1 "$TMP/err")|$(kill -0 $READER_PID 2>/dev/null && echo yes)"
check "a reader held: the run is recorded failed, interrupted" "failed|interrupted by SIGTERM" "$(last_status)"
release
after "SIGTERM waiting for a reader"

# ---- 5c. waiting for another import of the month: says so, stops on a signal -----------------------------
hold "SELECT pg_advisory_xact_lock(hashtextextended('pb-import-month|2026-10-01', 0));"
run_until_waiting "waiting for another import"
echo "# month lock held: $(cat "$TMP/err")"
check "the month held by another import: the run says it waits for it" "yes" \
	"$(grep -qE "^pb-ingest: waiting for another import of 2026-10 to finish: server process [0-9]+ \(psql, in a transaction since [0-9-]+ [0-9:]+ [A-Z]+\)$" "$TMP/err" && echo yes)"
kill -TERM $BGPID
wait_exit $BGPID; st=$?; BGPID=
check "the month held by another import: SIGTERM ends the waiting run, saying so" \
	"143|pb-ingest: interrupted by SIGTERM|failed|interrupted by SIGTERM" "$st|$(tail -n 1 "$TMP/err")|$(last_status)"
release
after "SIGTERM waiting for the month"
rerun "after waiting"

# ---- 5d. a month's partition to make while a reader holds the table: waits for it, holding no one up -------
pb_sql "DROP TABLE pb.usage_daily_2026_11" >/dev/null
hold "SELECT count(*) FROM pb.usage_daily WHERE billing_month = '2026-09-01';"
: >"$TMP/err"
"$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" &
BGPID=$!
wait_line "$TMP/err" "waiting for other sessions"
echo "# table held: $(cat "$TMP/err")"
check "a reader of the table while a month's partition is made: the run says it waits for it" "yes" \
	"$(grep -qE "^pb-ingest: waiting for other sessions to release pb.usage_daily: (.*, )?server process [0-9]+ \(psql, in a transaction since [0-9-]+ [0-9:]+ [A-Z]+\)(, .*)?$" "$TMP/err" && echo yes)"
other=$("$BIN/pb-db" psql -X -q -t -A -c "SET statement_timeout = '10s'" \
	-c "SELECT count(*) FROM pb.usage_daily WHERE billing_month = '2026-10-01'" 2>&1)
check "a reader of the table while a month's partition is made: another reader is served meanwhile" "$MONTH_ROWS" "$other"
release
wait_exit $BGPID; st=$?; BGPID=
check "a reader of the table while a month's partition is made: the run then commits the same rows" \
	"0|$REF|1/1|1" "$st|$(current_rows "$BIG")|$(orphans)|$(pb_sql "SELECT count(*) FROM pg_class WHERE relname = 'usage_daily_2026_11'")"

# ---- 5e. the import's role is no superuser: the message names the reader, with no empty field -----------------
# The usual deployment: the schema's owner imports, a reporting role reads. pg_stat_activity shows such a role
# the pid of another role's session, but not its application name, backend type or times.
ROLES="host=$PB_VAR_DIR/pg/run port=5432 dbname=pb_roles"
pb_sql "CREATE ROLE pb_importer LOGIN" >/dev/null
pb_sql "CREATE ROLE pb_reporter LOGIN" >/dev/null
pb_sql "CREATE DATABASE pb_roles OWNER pb_importer" >/dev/null
if PB_DATABASE_URL="$ROLES user=pb_importer" "$BIN/pb-db" migrate >"$TMP/out" 2>&1 &&
	PB_DATABASE_URL="$ROLES user=pb_importer" "$BIN/pb-db" psql -X -q -v ON_ERROR_STOP=1 \
		-c "GRANT USAGE ON SCHEMA pb TO pb_reporter" -c "GRANT SELECT ON ALL TABLES IN SCHEMA pb TO pb_reporter" \
		>>"$TMP/out" 2>&1 &&
	PB_DATABASE_URL="$ROLES user=pb_importer" "$PBI" --format aws-cur --no-progress "$TMP/other/cur.csv" >>"$TMP/out" 2>&1; then
	PB_DATABASE_URL="$ROLES user=pb_reporter" "$BIN/pb-db" psql -X -q -t -A <"$TMP/reader.in" >"$TMP/reader.out" 2>&1 &
	READER_PID=$!
	exec 7>"$TMP/reader.in"
	echo "BEGIN; SELECT count(*) FROM pb.usage_daily;" >&7
	sleep 1
	RPID=$(pb_sql "SELECT pid FROM pg_stat_activity WHERE usename = 'pb_reporter'")
	: >"$TMP/err"
	PB_DATABASE_URL="$ROLES user=pb_importer" "$PBI" --format aws-cur --no-progress "$TMP/other/cur.csv" >"$TMP/out" 2>"$TMP/err" &
	BGPID=$!
	wait_line "$TMP/err" "waiting for other sessions"
	echo "# no superuser: $(cat "$TMP/err")"
	# Observed: "server process 4242 (, in a transaction since )": the fields the role may not see, printed empty.
	check "an import role that is no superuser: the message names the reader's server process, with no empty field" \
		"yes|no" \
		"$(grep -qE "^pb-ingest: waiting for other sessions to release the daily rows of 2026-10: server process $RPID([^0-9]|$)" "$TMP/err" && echo yes || echo no)|$(grep -qE '\(,|\( |since \)|\(\)' "$TMP/err" && echo yes || echo no)"
	echo "COMMIT;" >&7
	exec 7>&-
	wait $READER_PID; READER_PID=
	wait_exit $BGPID; st=$?; BGPID=
	check "an import role that is no superuser: the run then commits" "0" "$st"
else
	notok "an import role that is no superuser: migrate and a first import as that role" "$(cat "$TMP/out")"
fi

# ---- 5f. deadlock_timeout at its maximum: an attempt's lock_timeout must still be a valid setting -------------
# deadlock_timeout = 2147483647ms (INT_MAX, its maximum) is a valid server setting; deadlock_timeout + 500 ms is
# not a valid lock_timeout. No other session is in the way: the import has nothing to wait for.
PGOPTIONS="-c deadlock_timeout=2147483647ms" "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
echo "# deadlock_timeout at its maximum: $st: $(cat "$TMP/err")"
# Observed: exit 3 'ERROR: invalid value for parameter "lock_timeout": "2147484147ms"', and the import left
# 'running' (its own transaction, begun for the partition, stays open and aborted: the failure is not recorded).
check "deadlock_timeout at its maximum: the import commits, no import left running" \
	"0||committed||0" \
	"$st|$(grep -v 'warning: aws partner account .* current imports' "$TMP/err")|$(last_status)|$(pb_sql "SELECT count(*) FROM pb.import WHERE status = 'running'")"
after "deadlock_timeout at its maximum"

# ---- 5g. a session of another database holds the same month's lock: it is not in the way, so not named --------
# Advisory locks are per database (pg_locks.database): a partnerbill database beside this one in the cluster
# (a staging copy, another tenant) importing the same month does not hold this import up.
pb_sql "CREATE DATABASE pb_other" >/dev/null
mkfifo "$TMP/reader2.in"
MONTH_LOCK="BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('pb-import-month|2026-10-01', 0));"
"$BIN/pb-db" psql -X -q -t -A <"$TMP/reader.in" >"$TMP/reader.out" 2>&1 &
READER_PID=$!
exec 7>"$TMP/reader.in"
echo "$MONTH_LOCK" >&7
PB_DATABASE_URL="host=$PB_VAR_DIR/pg/run port=5432 user=pb dbname=pb_other" \
	"$BIN/pb-db" psql -X -q -t -A <"$TMP/reader2.in" >"$TMP/reader2.out" 2>&1 7>&- &
READER2_PID=$!
exec 8>"$TMP/reader2.in"
echo "$MONTH_LOCK" >&8
sleep 1
HOLDER=$(pb_sql "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'")
env --default-signal=TERM "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" 7>&- 8>&- &
BGPID=$!
wait_line "$TMP/err" "waiting for another import"
echo "# month lock held here and in another database: $(cat "$TMP/err")"
# Observed: both sessions named, "server process <this one> (...), server process <the other database's> (...)".
check "the month's lock held here and in another database: the message names only this database's session" \
	"pb-ingest: waiting for another import of 2026-10 to finish: server process $HOLDER" \
	"$(grep '^pb-ingest: waiting' "$TMP/err" | sed -E 's/ \([^)]*\)//g')"
kill -TERM $BGPID
wait_exit $BGPID; st=$?; BGPID=
check "the month's lock held here and in another database: SIGTERM ends the waiting run" \
	"143|pb-ingest: interrupted by SIGTERM|failed|interrupted by SIGTERM" "$st|$(tail -n 1 "$TMP/err")|$(last_status)"
echo "COMMIT;" >&7
echo "COMMIT;" >&8
exec 7>&- 8>&-
wait $READER_PID; READER_PID=
wait $READER2_PID; READER2_PID=
after "the month's lock held in two databases"

# ---- 5h. a deadlock the import's own attempt makes: it gives way, as for a lock timeout ---------------------
# A session reads the month's default partition, then the month through pb.usage_daily. The import's drop
# takes the month's partition (AccessExclusive) and waits for the default partition; the reader then waits for
# the month's partition: a deadlock, found by the import (it waited first) after deadlock_timeout. Both locks of
# the import were taken by the attempt, so rolling back to its savepoint ends the deadlock, as a lock timeout does.
"$BIN/pb-db" psql -X -q -t -A <"$TMP/reader.in" >"$TMP/reader.out" 2>&1 &
READER_PID=$!
exec 7>"$TMP/reader.in"
echo "BEGIN; SELECT count(*) FROM pb.usage_daily_2026_10_default;" >&7
sleep 1
"$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" 7>&- &
BGPID=$!
for _ in $(seq 600); do
	[ "$(pb_sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted
		AND l.mode = 'AccessExclusiveLock' AND c.relname = 'usage_daily_2026_10_default'")" = 1 ] && break
	sleep 0.05
done
echo "SELECT count(*) FROM pb.usage_daily WHERE billing_month = '2026-10-01';" >&7
sleep 2.5
echo "COMMIT;" >&7
exec 7>&-
wait $READER_PID; READER_PID=
wait_exit $BGPID; st=$?; BGPID=
echo "# deadlock of an attempt: $st: $(cat "$TMP/err")"
# Observed: exit 3, 'pb-ingest: database: ERROR:  deadlock detected ... DROP TABLE pb.usage_daily_2026_10_import_N'.
check "a deadlock made by the import's attempt: the import gives way, the reader reads, then the import commits" \
	"0|0|0|$REF|1/1" \
	"$st|$(grep -c 'deadlock detected' "$TMP/err")|$(grep -c ERROR "$TMP/reader.out")|$(current_rows "$BIG")|$(orphans)"

# ---- 6. an unusable spill folder -------------------------------------------------------------------------
rm -rf "${PB_VAR_DIR:?}/tmp"; echo x >"$PB_VAR_DIR/tmp"
PB_STORE_MEMORY=1 "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
echo "# var/tmp a file: $st: $(cat "$TMP/err")"
rm -f "$PB_VAR_DIR/tmp"
# Observed: the run does not fail; it commits the same rows (the spill falls back, or memory is not enforced).
check "var/tmp a file: the run still commits the rows of an uninterrupted run" "0|$REF|1/1" "$st|$(current_rows "$BIG")|$(orphans)"
mkdir -p "$PB_VAR_DIR/tmp"; chmod 500 "$PB_VAR_DIR/tmp"
PB_STORE_MEMORY=1 "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
chmod 700 "$PB_VAR_DIR/tmp"
echo "# var/tmp read-only: $st: $(cat "$TMP/err")"
if [ "$(id -u)" -ne 0 ]; then
	check "var/tmp read-only: non-zero exit naming it" "yes|yes" "$([ $st -ne 0 ] && echo yes)|$(grep -q "$PB_VAR_DIR/tmp" "$TMP/err" && echo yes)"
	after "var/tmp read-only"
fi
TMPDIR=$TMP/big/cur.csv PB_STORE_MEMORY=1 "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
echo "# TMPDIR a file: $st: $(cat "$TMP/err")"
check "TMPDIR a file: not used (the spill goes under var/tmp), the run commits" "0|$REF" "$st|$(current_rows "$BIG")"

# A spill that cannot be written (the file size limit stands in for a full disk; SIGXFSZ ignored, so the
# write fails with EFBIG): the disk is named, not a line of the export, and it is a dependency failure.
(
	trap '' XFSZ
	ulimit -f 2048
	PB_STORE_MEMORY=1 exec "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err"
)
st=$?
WHY="cannot write or read back the temporary file of the daily rows in $PB_VAR_DIR/tmp: File too large"
check "a spill file that cannot grow: exit 3 naming the folder and the reason, recorded failed" \
	"3|pb-ingest: $WHY|failed|$WHY" "$st|$(cat "$TMP/err")|$(last_status)"
after "a spill file that cannot grow"

# ---- 7. SIGTERM and SIGINT during read and COPY ----------------------------------------------------------
for sig in TERM INT; do
	for at in read copy; do
		# env --default-signal: a background job of a script starts with SIGINT ignored.
		: >"$TMP/err"
		PB_TEST_PAUSE=$at env --default-signal=INT,TERM "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" &
		BGPID=$!
		wait_pause "$TMP/err" $at
		kill -$sig $BGPID; wait $BGPID; st=$?; BGPID=
		sleep 0.3
		echo "# SIG$sig at $at: $st: $(tail -n 1 "$TMP/err") | $(last_status)"
		# The run stops at once, says why, records itself failed and ends by the signal (128 + its number).
		check "SIG$sig at $at: ended by the signal, saying so" "$((128 + $(kill -l $sig)))|pb-ingest: interrupted by SIG$sig" \
			"$st|$(tail -n 1 "$TMP/err")"
		after "SIG$sig at $at"
		check "SIG$sig at $at: the run is recorded failed, interrupted" "failed|interrupted by SIG$sig" "$(last_status)"
	done
done
# Interrupted between two files: the message and the failed import name the file and the line it had reached.
"$TMP/gen_cur" 2000 7 >"$TMP/big/cur-2.csv"
"$TMP/gen_cur" 2000 8 >"$TMP/big/cur-3.csv"
: >"$TMP/err"
PB_TEST_PAUSE=read env --default-signal=TERM "$PBI" --format aws-cur --no-progress "$TMP/big/cur-2.csv" "$TMP/big/cur-3.csv" >"$TMP/out" 2>"$TMP/err" &
BGPID=$!
wait_pause "$TMP/err" read
kill -TERM $BGPID; wait $BGPID; st=$?; BGPID=
check "SIGTERM after the first of two files: the message and the import name the second file and its line 1" \
	"143|pb-ingest: $TMP/big/cur-3.csv:1: interrupted by SIGTERM|failed|$TMP/big/cur-3.csv:1: interrupted by SIGTERM" \
	"$st|$(tail -n 1 "$TMP/err")|$(last_status)"
after "SIGTERM between two files"
# Standard input whose writer stalls (a hung zcat, `sleep 1000 | pb-ingest ... -`): the read blocks, and SIGTERM
# must still stop the run within a second, plain or gzip (inflated on a thread of its own). It used to wait for
# the writer for as long as it lived.
mkfifo "$TMP/stall.fifo"
for kind in plain gzip; do
	exec 8<>"$TMP/stall.fifo"
	: >"$TMP/err"
	env --default-signal=TERM "$PBI" --format aws-cur --no-progress --source "$BIG" --month 2026-10 - \
		<"$TMP/stall.fifo" >"$TMP/out" 2>"$TMP/err" &
	BGPID=$!
	# Less than a pipe holds (64 KiB), so that the write never waits on the reader.
	if [ $kind == plain ]; then head -c 40000 "$TMP/big/cur.csv" >&8; else head -n 1000 "$TMP/big/cur.csv" | gzip -c | head -c 20000 >&8; fi
	for i in $(seq 300); do [ "$(last_status)" == "running|" ] && break; sleep 0.1; done
	sleep 0.3
	kill -TERM $BGPID
	wait_exit $BGPID 10
	st=$?
	BGPID=
	exec 8>&-
	check "SIGTERM while standard input ($kind) stalls: ended by the signal within a second, recorded failed" \
		"143|interrupted by SIGTERM|failed|interrupted by SIGTERM" \
		"$st|$(tail -n 1 "$TMP/err" | sed 's/^pb-ingest: stdin:[0-9]*: //')|$(last_status | sed 's/|stdin:[0-9]*: /|/')"
	after "SIGTERM while standard input ($kind) stalls"
done
rm -f "$TMP/stall.fifo"
rerun "after the signals"

# A signal once the import is committed stops nothing: the run ends as it succeeded.
: >"$TMP/err"
PB_TEST_PAUSE=committed env --default-signal=TERM "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" &
BGPID=$!
wait_pause "$TMP/err" committed
kill -TERM $BGPID; wait $BGPID; st=$?; BGPID=
check "SIGTERM after the commit: exit 0, the import committed and current, its rows those of an uninterrupted run" \
	"0|committed||0|$REF" "$st|$(last_status)|$(grep -c interrupted "$TMP/err")|$(current_rows "$BIG")"

# ---- 8. a bad PB_STORE_MEMORY ------------------------------------------------------------------------------
for v in garbage -5 0 99999999999999999999 12MB; do
	PB_STORE_MEMORY=$v "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err"
	st=$?
	echo "# PB_STORE_MEMORY=$v: $st: $(cat "$TMP/err")"
	check "PB_STORE_MEMORY=$v is refused with exit 2 naming the setting" \
		"2|pb-ingest: PB_STORE_MEMORY '$v' is not a number of megabytes from 1 to 1099511627775" \
		"$st|$(head -n 1 "$TMP/err")"
	after "PB_STORE_MEMORY=$v"
done

# ---- 9. a prepared transaction holds the month: the message names it -----------------------------------------
# A transaction prepared for two-phase commit keeps its locks with no session (pg_locks.pid is null): nothing in
# pg_stat_activity stands for it, only its gid in pg_prepared_xacts, and it holds the month until someone
# commits or rolls it back by that gid.
printf 'max_prepared_transactions = 2\n' >>"$PB_VAR_DIR/pg/data/postgresql.auto.conf"
"$BIN/pb-db" stop >/dev/null 2>&1
"$BIN/pb-db" start >/dev/null 2>&1
"$BIN/pb-db" psql -X -q -c "BEGIN" -c "SELECT count(*) FROM pb.usage_daily" -c "PREPARE TRANSACTION 'monthly-report'" >/dev/null
run_until_waiting "waiting for other sessions"
echo "# prepared transaction: $(grep -v 'warning:' "$TMP/err")"
# Observed: "pb-ingest: waiting for other sessions to release the daily rows of 2026-10", naming nothing.
check "a prepared transaction holds the month: the waiting message names it by its gid" "yes" \
	"$(grep '^pb-ingest: waiting' "$TMP/err" | grep -q "monthly-report" && echo yes || echo no)"
kill -TERM $BGPID
wait_exit $BGPID; st=$?; BGPID=
check "a prepared transaction holds the month: SIGTERM ends the waiting run" \
	"143|pb-ingest: interrupted by SIGTERM|failed|interrupted by SIGTERM" "$st|$(tail -n 1 "$TMP/err")|$(last_status)"
pb_sql "ROLLBACK PREPARED 'monthly-report'" >/dev/null
after "a prepared transaction holding the month"

# ---- 10. the file changes while its parts are read ------------------------------------------------------------
# A plain file is split: its other parts open it again and a thread hashes it whole. Appended to, cut or rewritten
# meanwhile, the lines stored and the hash recorded would be of different bytes (it used to commit, exit 0). The
# run fails (exit 1) naming the file, and the current import stays.
# start_split_paused: an import of the big file in the background (BGPID), paused once the file is split;
# resume_split: lets it go on and returns its exit status.
start_split_paused() {
	rm -f "$TMP/resume"
	: >"$TMP/err"
	PB_TEST_PAUSE=split PB_TEST_RESUME_FILE=$TMP/resume "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" \
		>"$TMP/out" 2>"$TMP/err" &
	BGPID=$!
	wait_pause "$TMP/err" split
}
resume_split() {
	local st
	touch "$TMP/resume"
	wait_exit $BGPID 1200
	st=$?
	BGPID=
	return $st
}
size=$(stat -c %s "$TMP/big/cur.csv")
half=$(head -n 100000 "$TMP/big/cur.csv" | wc -c)
cp "$TMP/big/cur.csv" "$TMP/big.orig"
sed 's/,1\./,2./' "$TMP/big.orig" >"$TMP/big.other" # same size, same line breaks, other amounts
for how in appended cut rewritten replaced; do
	start_split_paused
	case $how in
	appended) tail -n 1 "$TMP/big.orig" >>"$TMP/big/cur.csv" ;;
	cut) truncate -s "$half" "$TMP/big/cur.csv" ;;
	rewritten) printf '9' | dd of="$TMP/big/cur.csv" bs=1 seek=$((size - 3)) conv=notrunc 2>/dev/null ;;
	replaced) cp "$TMP/big.other" "$TMP/big/new.csv" && mv "$TMP/big/new.csv" "$TMP/big/cur.csv" ;;
	esac
	resume_split
	st=$?
	WHY="$TMP/big/cur.csv: the file changed while it was read ($size bytes when it was opened): read it again once it is whole"
	check "the file $how while its parts are read: exit 1 naming it, recorded failed" \
		"1|pb-ingest: $WHY|failed|$WHY" "$st|$(grep -v 'test pause' "$TMP/err")|$(last_status)"
	cp "$TMP/big.orig" "$TMP/big/cur.csv"
	after "the file $how while it is read"
done
# Its owner, mode or links changing is no change of its bytes: the run goes on.
start_split_paused
chmod 600 "$TMP/big/cur.csv"
ln "$TMP/big/cur.csv" "$TMP/big/link.csv"
resume_split
st=$?
check "the file's mode and links changed while it is read: the run commits" "0|committed" \
	"$st|$(last_status | cut -d'|' -f1)"
rm -f "$TMP/big/link.csv"
after "the file's mode and links changed while it is read"
# A file:// URL names the same local file: split too, and read as its path is.
"$PBI" --format aws-cur --no-progress --summary "$TMP/big/cur.csv" >"$TMP/want" 2>&1
"$PBI" --format aws-cur --no-progress --summary "file://$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err"
check "a large file named by a file:// URL is read (split) as its path is" "0|$(cat "$TMP/want")|" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")"

pb_tests_done
