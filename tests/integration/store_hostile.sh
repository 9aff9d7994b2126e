#!/usr/bin/env bash
# A hostile pass over the store: runs killed (SIGKILL, SIGTERM, SIGINT) while spilling, reading and in COPY,
# the server ending the COPY, imports of one key or of two sources at once, an unusable spill folder, a bad
# PB_STORE_MEMORY, the file changing while it is read. After each: the exit status and message, the imports'
# statuses, the current rows unchanged, no orphan import table, no spill file left, and a rerun giving the rows
# of an uninterrupted run. store_waits.sh has the runs that wait for other sessions.
set -u
STORE_SUITE=store-hostile
# shellcheck source-path=SCRIPTDIR source=store_hostile_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/store_hostile_lib.sh"

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
# The message names the table the COPY was filling (the import's rows), and says why, as libpq has it.
rows_table=$(pb_sql "SELECT 'pb.\"' || pb.import_rows_table(id, billing_month) || '\"' FROM pb.import ORDER BY id DESC LIMIT 1")
check "server ends the COPY: the session was found in its COPY, and the run exits 3 saying so on one line, naming the table" \
	"1|3|pb-ingest: database: COPY into ${rows_table:-?} failed: server closed the connection unexpectedly This probably means the server terminated abnormally before or while processing the request." "$hit|$st|$(grep -v 'test pause' "$TMP/err")"
# The session is gone; the run records the failure on a new one at once.
check "server ends the COPY: the run is recorded failed at once" \
	"failed|database: COPY into ${rows_table:-?} failed: server closed the connection unexpectedly This probably means the server terminated abnormally before or while processing the request." "$(last_status)"
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
		# Until its session has ended (not a fixed 0.3 s: a loaded machine takes longer).
		pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-ingest'" ||
			notok "SIG$sig at $at: the run's session ends"
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
# must still stop the run, plain or gzip (inflated on a thread of its own). It used to wait for the writer for as
# long as it lived (here, the whole test: the test holds the writing end open). The run is given 60 s to end, not
# a second: a sanitized build on a loaded machine takes seconds to exit.
mkfifo "$TMP/stall.fifo"
running() { [ "$(last_status)" == "running|" ]; }
# drained: the run has read all that was written to the FIFO (fd 8): its next read waits for the writer.
drained() {
	[ "$(python3 -c 'import array, fcntl, termios
n = array.array("i", [0])
fcntl.ioctl(8, termios.FIONREAD, n)
print(n[0])')" == 0 ]
}
for kind in plain gzip; do
	exec 8<>"$TMP/stall.fifo"
	: >"$TMP/err"
	env --default-signal=TERM "$PBI" --format aws-cur --no-progress --source "$BIG" --month 2026-10 - \
		<"$TMP/stall.fifo" >"$TMP/out" 2>"$TMP/err" &
	BGPID=$!
	# Less than a pipe holds (64 KiB), so that the write never waits on the reader.
	if [ $kind == plain ]; then head -c 40000 "$TMP/big/cur.csv" >&8; else head -n 1000 "$TMP/big/cur.csv" | gzip -c | head -c 20000 >&8; fi
	# Once its import is recorded and it has read all there is (not 0.3 s after: a loaded machine had not got
	# there, and the SIGTERM was not one during a stalled read).
	pb_until 120 eval "running && drained" || notok "SIGTERM while standard input ($kind) stalls: the run reads all there is" "$(cat "$TMP/err")"
	kill -TERM $BGPID
	wait_exit $BGPID
	st=$?
	BGPID=
	exec 8>&-
	check "SIGTERM while standard input ($kind) stalls: ended by the signal, not waiting for the writer, recorded failed" \
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

# ---- 8. SIGTERM while the list prices are read ---------------------------------------------------------------
# Usage without a list cost is priced from the price lists, read once by the first such line; that read (here
# waiting for a session that holds pb.price) went on past a signal: the run did not end until the session did,
# its import left running.
mkdir -p "$TMP/nolist"
"$TMP/gen_cur" 20 7 | python3 -c 'import csv, sys
r = csv.reader(sys.stdin); w = csv.writer(sys.stdout, lineterminator="\n"); h = next(r); w.writerow(h)
c = h.index("pricing/publicOnDemandCost")
for row in r:
    row[c] = ""; w.writerow(row)' >"$TMP/nolist/cur.csv"
pb_sql "INSERT INTO pb.price_load (vendor, format, source, status) VALUES ('aws', 'aws-offer', 'held', 'committed')" \
	>/dev/null
nolist_status() {
	pb_sql "SELECT status || '|' || coalesce(error, '') FROM pb.import WHERE source = 'file://$TMP/nolist' ORDER BY id
	DESC LIMIT 1"
}
# term_held WHAT LOCK QUERY: a store of nolist/cur.csv while another session holds LOCK (an SQL statement), sent
# SIGTERM once its statement starting with QUERY waits for that lock: it ends by the signal, its import is
# recorded failed and no statement of it is left running.
term_held() {
	hold "$2"
	: >"$TMP/err"
	env --default-signal=TERM "$PBI" --format aws-cur --no-progress "$TMP/nolist/cur.csv" >"$TMP/out" 2>"$TMP/err" &
	BGPID=$!
	pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-ingest' AND
		wait_event_type = 'Lock' AND query LIKE '$3%'" || notok "SIGTERM $1: the run waits for the lock" "$(cat "$TMP/err")"
	kill -TERM $BGPID
	wait_exit $BGPID
	st=$?
	BGPID=
	check "SIGTERM $1: ended by the signal, recorded failed, no statement left running" \
		"143|pb-ingest: interrupted by SIGTERM|failed|interrupted by SIGTERM|0" \
		"$st|$(tail -n 1 "$TMP/err")|$(nolist_status)|$(pb_sql "SELECT count(*) FROM pg_stat_activity WHERE
		application_name = 'pb-ingest'")"
	release
}
# The prices, and before them the pairs of region names (pb.region_alias), each held in turn.
term_held "while the list prices are read, pb.price held" "LOCK TABLE pb.price IN ACCESS EXCLUSIVE MODE;" \
	"COPY (SELECT p.meter"
term_held "while the list prices are read, pb.region_alias held" \
	"LOCK TABLE pb.region_alias IN ACCESS EXCLUSIVE MODE;" "SELECT alias, region FROM pb.region_alias"
"$PBI" --format aws-cur --no-progress "$TMP/nolist/cur.csv" >"$TMP/out" 2>"$TMP/err"
check "SIGTERM while the list prices are read: a rerun commits" "0|committed|" "$?|$(nolist_status)"
pb_sql "DELETE FROM pb.price_load WHERE source = 'held'" >/dev/null
after "SIGTERM while the list prices are read"

# ---- 9. SIGTERM while a COPY waits to start ------------------------------------------------------------------
# An import's totals go in by COPY; one that waited for a lock on its table (an index built on it meanwhile)
# went on past a signal, the run held until the lock went.
term_held "while a COPY waits to start" "LOCK TABLE pb.import_account IN SHARE MODE;" "COPY pb.import_account"
after "SIGTERM while a COPY waits to start"

pb_tests_done
