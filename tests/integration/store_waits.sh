#!/usr/bin/env bash
# The store's runs that wait for other sessions: a reader holding the month while an import commits (other
# readers are served meanwhile; a signal stops the waiting run), another import of the month, a table held;
# the waiting message for an import role that is no superuser, a session of another database and a prepared
# transaction, deadlock_timeout at its maximum, a deadlock made by an attempt. After each, as in
# store_hostile.sh: the exit status and message, the current rows unchanged, no orphan import table, no spill
# file left. Most of its time is spent waiting, and its C paths are store_hostile.sh's and store.sh's, which
# run under the sanitizers too: it runs on the plain build only (see the Makefile's SAN_SUITES).
set -u
STORE_SUITE=store-waits
# shellcheck source-path=SCRIPTDIR source=store_hostile_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/store_hostile_lib.sh"

# ---- 5. a reader holds the month while an import commits ---------------------------------------------------
hold "SELECT count(*) FROM pb.usage_daily;"
start=$(date +%s)
: >"$TMP/err"
timeout 600 "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" &
BGPID=$!
# The reader ends once the run waits for it (not after 5 s: a loaded machine may not have got there by then).
wait_line "$TMP/err" "waiting for other sessions" || notok "a reader holding the month: the import waits for it" "$(cat "$TMP/err")"
waiting=$(pb_sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
echo "# reader: the run waiting, sessions waiting on a lock: $waiting; run alive: $(kill -0 $BGPID 2>/dev/null && echo yes)"
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
other=$("$BIN/pb-db" psql -X -q -t -A -c "SET statement_timeout = '60s'" \
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
wait_line "$TMP/err" "waiting for other sessions" || notok "a reader of the table: the run waits for it" "$(cat "$TMP/err")"
echo "# table held: $(cat "$TMP/err")"
check "a reader of the table while a month's partition is made: the run says it waits for it" "yes" \
	"$(grep -qE "^pb-ingest: waiting for other sessions to release pb.usage_daily: (.*, )?server process [0-9]+ \(psql, in a transaction since [0-9-]+ [0-9:]+ [A-Z]+\)(, .*)?$" "$TMP/err" && echo yes)"
other=$("$BIN/pb-db" psql -X -q -t -A -c "SET statement_timeout = '60s'" \
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
	: >"$TMP/reader.out"
	PB_DATABASE_URL="$ROLES user=pb_reporter" "$BIN/pb-db" psql -X -q -t -A <"$TMP/reader.in" >"$TMP/reader.out" 2>&1 &
	READER_PID=$!
	exec 7>"$TMP/reader.in"
	printf 'BEGIN; SELECT count(*) FROM pb.usage_daily;\n\\echo held\n' >&7
	wait_line "$TMP/reader.out" '^held$' || notok "the reporting role's session reads the month" "$(cat "$TMP/reader.out")"
	RPID=$(pb_sql "SELECT pid FROM pg_stat_activity WHERE usename = 'pb_reporter'")
	: >"$TMP/err"
	PB_DATABASE_URL="$ROLES user=pb_importer" "$PBI" --format aws-cur --no-progress "$TMP/other/cur.csv" >"$TMP/out" 2>"$TMP/err" &
	BGPID=$!
	wait_line "$TMP/err" "waiting for other sessions" || notok "an import role that is no superuser: the run waits for the reader" "$(cat "$TMP/err")"
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
# Both sessions hold the lock before the import starts (each says "held" once it has it).
: >"$TMP/reader.out"
: >"$TMP/reader2.out"
"$BIN/pb-db" psql -X -q -t -A <"$TMP/reader.in" >"$TMP/reader.out" 2>&1 &
READER_PID=$!
exec 7>"$TMP/reader.in"
printf '%s\n\\echo held\n' "$MONTH_LOCK" >&7
PB_DATABASE_URL="host=$PB_VAR_DIR/pg/run port=5432 user=pb dbname=pb_other" \
	"$BIN/pb-db" psql -X -q -t -A <"$TMP/reader2.in" >"$TMP/reader2.out" 2>&1 7>&- &
READER2_PID=$!
exec 8>"$TMP/reader2.in"
printf '%s\n\\echo held\n' "$MONTH_LOCK" >&8
wait_line "$TMP/reader.out" '^held$' || notok "a session of this database holds the month's lock" "$(cat "$TMP/reader.out")"
wait_line "$TMP/reader2.out" '^held$' || notok "a session of the other database holds the month's lock" "$(cat "$TMP/reader2.out")"
HOLDER=$(pb_sql "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'")
: >"$TMP/err" # emptied first: the run's shell empties it only once it runs
env --default-signal=TERM "$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" 7>&- 8>&- &
BGPID=$!
wait_line "$TMP/err" "waiting for another import" || notok "the month's lock held here: the run waits for it" "$(cat "$TMP/err")"
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
# The reader's deadlock_timeout is longer than the test: the import, which waits first, is the one that finds the
# deadlock (with both at the default second, a loaded machine could let the reader's check come first, and the
# reader was then the one cancelled). The reader has read the default partition before the import starts, and
# reads the month once the import waits for it; its COMMIT, queued behind that read, runs once the read is done.
: >"$TMP/reader.out"
"$BIN/pb-db" psql -X -q -t -A <"$TMP/reader.in" >"$TMP/reader.out" 2>&1 &
READER_PID=$!
exec 7>"$TMP/reader.in"
printf '%s\n\\echo held\n' "SET deadlock_timeout = '10min'; BEGIN; SELECT count(*) FROM pb.usage_daily_2026_10_default;" >&7
wait_line "$TMP/reader.out" '^held$' || notok "a session reads the month's default partition" "$(cat "$TMP/reader.out")"
"$PBI" --format aws-cur --no-progress "$TMP/big/cur.csv" >"$TMP/out" 2>"$TMP/err" 7>&- &
BGPID=$!
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted
	AND l.mode = 'AccessExclusiveLock' AND c.relname = 'usage_daily_2026_10_default'" ||
	notok "the import waits for the default partition" "$(cat "$TMP/err")"
echo "SELECT count(*) FROM pb.usage_daily WHERE billing_month = '2026-10-01';" >&7
echo "COMMIT;" >&7
exec 7>&-
wait $READER_PID; READER_PID=
wait_exit $BGPID; st=$?; BGPID=
echo "# deadlock of an attempt: $st: $(cat "$TMP/err")"
# Observed: exit 3, 'pb-ingest: database: ERROR:  deadlock detected ... DROP TABLE pb.usage_daily_2026_10_import_N'.
check "a deadlock made by the import's attempt: the import gives way, the reader reads, then the import commits" \
	"0|0|0|$REF|1/1" \
	"$st|$(grep -c 'deadlock detected' "$TMP/err")|$(grep -c ERROR "$TMP/reader.out")|$(current_rows "$BIG")|$(orphans)"

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

pb_tests_done
