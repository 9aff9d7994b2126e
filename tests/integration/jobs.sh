#!/usr/bin/env bash
# The jobs end to end, with the real programs: the demo's accounts and generated exports, September closed,
# October night by night, October's month close, then what a finance rerun and a late nightly run must do:
# a rerun of the month close writes byte-identical files and doubles nothing; a nightly run of a closed
# month is refused and changes nothing; all of it with session settings of a DBA's choosing.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBR=$BIN/pb-run

pb_test_tmp jobs
pb_on_exit pb_test_cleanup
pb_test_cluster_start
export PB_DEMO_DIR=$TMP/demo PB_INVOICE_DIR=$TMP/invoices
cd "$ROOT" || exit 1

python3 scripts/demo_data.py "$PB_DEMO_DIR" && PB_BIN=$BIN bash scripts/demo_accounts.sh >"$TMP/accounts.log" 2>&1
check "the demo's exports and accounts" "0" "$?"

# From here the programs' sessions start with settings a DBA may give a role or a database (here through
# PGOPTIONS, which pb_sql leaves out): another date style, interval style and time zone, another client
# encoding, serializable transactions, asynchronous commits, timeouts of a millisecond, and idle sessions
# ended after 0.5 s (the first night's reads take a second). What the jobs write must not change.
export PGOPTIONS="-c DateStyle=SQL,DMY -c IntervalStyle=sql_standard -c TimeZone=Pacific/Kiritimati \
-c default_transaction_isolation=serializable -c statement_timeout=1 -c lock_timeout=1 \
-c idle_in_transaction_session_timeout=1 -c idle_session_timeout=500 -c synchronous_commit=off" PGCLIENTENCODING=LATIN1

run() {
	"$PBR" "$@" >"$TMP/out" 2>"$TMP/err"
	st=$?
}
# state: what a rerun must leave as it is: the committed imports' totals, the attributed sums, the current
# aggregate runs' totals and the invoices.
state() {
	pb_sql "SELECT vendor, billing_month, source, line_count, list_total, billed_total, final FROM pb.import
		WHERE status = 'committed' ORDER BY 1, 2, 3"
	pb_sql "SELECT billing_month, alias, vendor, sum(list_cost), sum(billed_cost) FROM pb.usage_attributed
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	pb_sql "SELECT r.billing_month, t.* FROM pb.aggregate_total t JOIN pb.aggregate_run r ON r.id = t.run_id
		AND r.status = 'current' ORDER BY 1, 3, 4, 5, 6, 7" | sed 's/^\([^,]*\),[0-9]*,/\1,RUN,/'
	pb_sql "SELECT number, billing_month, export_sha256, detail_sha256 FROM pb.invoice ORDER BY 1"
	pb_sql "SELECT * FROM pb.invoice_line ORDER BY 1, 2"
}

run jobs/demo-month-close.yaml --month 2026-09
check "September's month close" "0" "$st"
for d in 05 12 19 26; do
	if [ $d == 05 ]; then
		PB_TEST_PAUSE=read PB_TEST_PAUSE_SECONDS=1 run jobs/demo-nightly.yaml --month 2026-10 --as-of 2026-10-$d
	else
		run jobs/demo-nightly.yaml --month 2026-10 --as-of 2026-10-$d
	fi
	[ "$st" -eq 0 ] || break
done
check "October's nightly runs" "0|succeeded,4" "$st|$(pb_sql "SELECT status, count(*) FROM pb.job_run
	WHERE job = 'demo-nightly' GROUP BY 1")"
check "the month to date of 2026-10-26 as the customer sees it (exact, to the last digit)" \
	"ACME1,aws,USD,5424.3953972
ACME1,azure,USD,2303.4597237
BETA4,aws,USD,1642.4532
BETA4,azure,USD,329.148
GLOB2,azure,USD,986.024" "$("$BIN/pb-aggregate" --month 2026-10 --no-run --csv | cut -d, -f1-4 | tail -n +2)"

# The month close stopped (systemctl stop: SIGTERM to pb-run) while pb-invoice holds the invoice's files
# written and synced but not yet issued: exit 143, the run and its step interrupted, nothing issued, no
# file of the month and no temporary file left. The close below then issues it as if this had not been.
: >"$TMP/err" # emptied first: the shell empties it only once the run starts, and a run before paused too
PB_TEST_PAUSE=invoice-staged PB_TEST_PAUSE_SECONDS=60 "$PBR" jobs/demo-month-close.yaml --month 2026-10 \
	>"$TMP/out" 2>"$TMP/err" &
bg=$!
pb_until 120 grep -q 'test pause at invoice-staged' "$TMP/err" || notok "the close pauses at invoice-staged" "$(cat "$TMP/err")"
kill -TERM "$bg"
wait "$bg"
check "a month close stopped while the invoice is staged: exit 143, interrupted, nothing issued, no file left" \
	"143|interrupted|issue:interrupted|0|" \
	"$?|$(pb_sql "SELECT r.status, string_agg(s.name || ':' || s.status, ',') FILTER (WHERE s.status <> 'succeeded')
	FROM pb.job_run r JOIN pb.job_step s ON s.run_id = r.id WHERE r.id = (SELECT max(id) FROM pb.job_run) GROUP BY r.status" '|')|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2026-10-01'")|$(ls -A "$PB_INVOICE_DIR" | grep 2026-10)"

# The same with pb-run killed outright (SIGKILL): its step gets SIGTERM and leaves nothing; the run stays
# 'running' until the next run of the job and month marks it failed.
: >"$TMP/err" # emptied first: the shell empties it only once the run starts, and a run before paused too
PB_TEST_PAUSE=invoice-staged PB_TEST_PAUSE_SECONDS=60 "$PBR" jobs/demo-month-close.yaml --month 2026-10 \
	>"$TMP/out" 2>"$TMP/err" &
bg=$!
pb_until 120 grep -q 'test pause at invoice-staged' "$TMP/err" || notok "the close pauses at invoice-staged" "$(cat "$TMP/err")"
kill -KILL "$bg"
wait "$bg" 2>/dev/null
# Its step ends by the SIGTERM, removing its files, and the killed run's lock lasts until the step is gone (120 s
# at most each: a sanitized build on a loaded machine). The close below is refused while the lock is held.
no_invoice_file() { ! ls -A "$PB_INVOICE_DIR" | grep -q 2026-10; }
pb_until 120 no_invoice_file || notok "the killed close's step removes its files" "$(ls -A "$PB_INVOICE_DIR")"
pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted" ||
	notok "the killed close's lock goes with its step" "$(pb_sql "SELECT pid, application_name, state FROM pg_stat_activity")"
check "a month close killed outright while the invoice is staged: nothing issued, no file left" \
	"running|0|" "$(pb_sql "SELECT status FROM pb.job_run WHERE id = (SELECT max(id) FROM pb.job_run)")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2026-10-01'")|$(ls -A "$PB_INVOICE_DIR" | grep 2026-10)"
dead=$(pb_sql "SELECT max(id) FROM pb.job_run")

run jobs/demo-month-close.yaml --month 2026-10
check "October's month close" "0" "$st"
check "the killed close's run is marked failed by this one" "failed" "$(pb_sql "SELECT status FROM pb.job_run WHERE id = $dead")"
check "the invoice CSV, exact (RFC 4180: CRLF line ends)" "4|invoice_number,billing_period_start,billing_period_end,line,account_alias,account_name,line_item,line_type,corrects_period_start,currency,amount,aws_amount,azure_amount
PB-2026-10,2026-10-01,2026-10-31,1,ACME1,Acme Manufacturing,CenturyLink Cloud 1.0,charge,,USD,9571.35,6682.87,2888.48
PB-2026-10,2026-10-01,2026-10-31,2,BETA4,Beta Analytics,CenturyLink Cloud 1.0,charge,,USD,2514.87,1999.42,515.45
PB-2026-10,2026-10-01,2026-10-31,3,GLOB2,Globex Europe,CenturyLink Cloud 1.0,charge,,USD,1218.52,0.00,1218.52" \
	"$(grep -c $'\r$' "$PB_INVOICE_DIR/invoice-2026-10.csv")|$(tr -d '\r' <"$PB_INVOICE_DIR/invoice-2026-10.csv")"
# The same amounts computed from the raw exports alone, by a script that shares nothing with partnerbill
# (demo_invoice.py), for both closed months.
for m in 2026-09 2026-10; do
	check "$m's invoice amounts are what the raw exports give, computed independently" \
		"$(python3 tests/integration/demo_invoice.py "$PB_DEMO_DIR" $m)" \
		"$(tr -d '\r' <"$PB_INVOICE_DIR/invoice-$m.csv" | tail -n +2 | cut -d, -f5,11-13)"
done
files=(invoice-2026-10.csv invoice-2026-10-detail.csv focus-2026-10.csv report-2026-10.html)
(cd "$PB_INVOICE_DIR" && sha256sum "${files[@]}") >"$TMP/sums"
state >"$TMP/state1"

# A finance rerun of the month: the same bytes out, nothing doubled.
run jobs/demo-month-close.yaml --month 2026-10
state >"$TMP/state2"
check "a rerun of the month close: exit 0, byte-identical files" "0|$(cat "$TMP/sums")" \
	"$st|$(cd "$PB_INVOICE_DIR" && sha256sum "${files[@]}")"
check "a rerun of the month close doubles nothing: imports, attributed sums, totals and invoice unchanged" \
	"$(cat "$TMP/state1")" "$(cat "$TMP/state2")"
check "the rerun says the invoice was issued already" "1" \
	"$(grep -c '^invoice PB-2026-10 of 2026-10 was issued already, by .*: nothing to do$' "$TMP/out")"

# A late nightly run of the closed month: refused by the store, so nothing changes.
run jobs/demo-nightly.yaml --month 2026-10 --as-of 2026-10-26
fid=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND billing_month = '2026-10-01' AND vendor = 'aws'")
check "a nightly run of a closed month: exit 4 from its first step, the final import named" \
	"4|[ingest-aws] pb-ingest: not final: the current import $fid of aws 2026-10 from demo:aws holds the month's final data; a delivery that is not final does not replace it (--allow-not-final to do so)" \
	"$st|$(grep '^\[ingest-aws\] pb-ingest: ' "$TMP/err")"
state >"$TMP/state3"
check "a nightly run of a closed month changes nothing" "$(cat "$TMP/state1")" "$(cat "$TMP/state3")"
check "and the files stay" "$(cat "$TMP/sums")" "$(cd "$PB_INVOICE_DIR" && sha256sum "${files[@]}")"

# A disk that fills while the FOCUS rows are written (the file size limit stands in for it; SIGXFSZ ignored,
# so the write fails with EFBIG): exit 3 naming the file and why, the previous dataset as it was.
cp "$PB_INVOICE_DIR/focus-2026-10.csv" "$TMP/focus.csv"
sum=$(sha256sum <"$TMP/focus.csv")
(
	trap '' XFSZ
	ulimit -f 16
	exec "$BIN/pb-invoice" --month 2026-10 --focus "$TMP/focus.csv"
) >"$TMP/out" 2>"$TMP/err"
check "--focus on a full disk: exit 3, the file and the reason named, the previous dataset kept, no temporary file" \
	"3|pb-invoice: cannot write '$TMP/focus.csv': File too large|$sum|0" \
	"$?|$(cat "$TMP/err")|$(sha256sum <"$TMP/focus.csv")|$(find "$TMP" -maxdepth 1 -name 'focus.csv.tmp.*' | wc -l)"

# The same limit as a service manager sets it (systemd's LimitFSIZE=, a ulimit -f in the job's shell), SIGXFSZ
# left at its default, which ends a process that writes past the limit: the month close's dataset step still
# fails saying which file and why, exit 3, and leaves no temporary file.
mkdir -p "$TMP/limited"
(
	ulimit -f 16
	PB_INVOICE_DIR=$TMP/limited exec env --default-signal=XFSZ "$PBR" jobs/demo-month-close.yaml --month 2026-10 \
		--only focus
) >"$TMP/out" 2>"$TMP/err"
st=$?
check "a month close under a file size limit, SIGXFSZ at its default: exit 3, the file named, no file left" \
	"3|[focus] pb-invoice: cannot write '$TMP/limited/focus-2026-10.csv': File too large
pb-run: run $(pb_sql "SELECT max(id) FROM pb.job_run") failed: step 'focus' failed with exit status 3|" \
	"$st|$(grep -v ' started$\| finished in ' "$TMP/err" | grep -v '^pb-run: run [0-9]*: job ')|$(ls -A "$TMP/limited")"

# no_proc_works: whether a program can be run here without /proc (a mount namespace of its own), which the
# sanitizers' own runtime cannot do without.
no_proc_works() {
	unshare -m true 2>/dev/null && ! ldd "$BIN/pb-invoice" 2>/dev/null | grep -q libasan
}
# focus_elsewhere [--no-proc] [--in DIR] PROGRAM FILE: PROGRAM's FOCUS dataset of October into FILE (removed
# first), run from DIR ($TMP/elsewhere) without PB_SERVICE_CATEGORIES, and without /proc with --no-proc; its
# status in st.
focus_elsewhere() {
	local noproc= dir=$TMP/elsewhere
	[ "$1" == --no-proc ] && { noproc=1; shift; }
	[ "$1" == --in ] && { dir=$2; shift 2; }
	rm -f "$2"
	if [ -n "$noproc" ]; then
		(cd "$dir" && env -u PB_SERVICE_CATEGORIES unshare -m sh -c 'mount -t tmpfs none /proc && exec "$0" "$@"' \
			"$1" --month 2026-10 --focus "$2")
	else
		(cd "$dir" && env -u PB_SERVICE_CATEGORIES "$1" --month 2026-10 --focus "$2")
	fi >"$TMP/out" 2>"$TMP/err"
	st=$?
}
# check_installed NAME FILE: the run exited 0 saying nothing, and FILE is the dataset the installed service
# categories give (the month close's own).
check_installed() {
	check "$1" "0||$(sha256sum <"$PB_INVOICE_DIR/focus-2026-10.csv")" \
		"$st|$(cat "$TMP/err")|$(sha256sum <"$2" 2>/dev/null)"
}

# An installed layout (PREFIX/bin, PREFIX/share/partnerbill, as make install makes it), run from a folder
# without config/: the FOCUS dataset finds its service categories as the pricing and eligibility find theirs.
mkdir -p "$TMP/inst/bin" "$TMP/inst/share/partnerbill" "$TMP/elsewhere"
cp "$BIN/pb-invoice" "$TMP/inst/bin/" && cp config/service-categories.conf "$TMP/inst/share/partnerbill/"
focus_elsewhere "$TMP/inst/bin/pb-invoice" "$TMP/elsewhere/focus.csv"
check_installed "installed: --focus reads PREFIX/share/partnerbill/service-categories.conf, the same dataset" \
	"$TMP/elsewhere/focus.csv"

# An installed program run from a folder that has its own config/ (a checkout, another project's) keeps to
# the installed copy: what the current folder holds does not change a dataset behind the operator's back.
mkdir -p "$TMP/elsewhere/config"
printf '* * Other\n' >"$TMP/elsewhere/config/service-categories.conf"
focus_elsewhere "$TMP/inst/bin/pb-invoice" "$TMP/elsewhere/focus2.csv"
check_installed "installed, run from a folder with its own config/: the installed categories, the same dataset" \
	"$TMP/elsewhere/focus2.csv"

# The same installed program where its own path cannot be read (no /proc: a chroot, a sandbox), also run by
# a path not written plainly (a PATH entry ending in '/' gives bin//pb-invoice) or as ./pb-invoice from
# inside bin; and an installed tree reached through a link to its bin folder at another depth: the installed
# categories still, never the current folder's.
if no_proc_works; then
	focus_elsewhere --no-proc "$TMP/inst/bin/pb-invoice" "$TMP/elsewhere/focus4.csv"
	check_installed "installed, no /proc, a config/ here: the installed categories, the same dataset" \
		"$TMP/elsewhere/focus4.csv"
	for prog in "$TMP/inst/bin//pb-invoice" "$TMP/inst/bin/./pb-invoice" "./pb-invoice"; do
		if [ "$prog" == ./pb-invoice ]; then
			focus_elsewhere --no-proc --in "$TMP/inst/bin" "$prog" "$TMP/elsewhere/focus6.csv"
		else
			focus_elsewhere --no-proc "$prog" "$TMP/elsewhere/focus6.csv"
		fi
		check_installed "installed, no /proc, run as $prog: the installed categories" "$TMP/elsewhere/focus6.csv"
	done
fi
mkdir -p "$TMP/linked/opt" "$TMP/linked/share"
cp -a "$TMP/inst/bin" "$TMP/linked/opt/bin" && cp -a "$TMP/inst/share/partnerbill" "$TMP/linked/share/"
ln -s opt/bin "$TMP/linked/bin"
focus_elsewhere "$TMP/linked/bin/pb-invoice" "$TMP/elsewhere/focus5.csv"
check_installed "installed, bin a link to a folder at another depth, a config/ here: the installed categories" \
	"$TMP/elsewhere/focus5.csv"

# A link to the installed program from another tree that has its own share/partnerbill: the program's own
# tree decides, with /proc or without.
mkdir -p "$TMP/other/bin" "$TMP/other/share/partnerbill"
ln -s "$TMP/inst/bin/pb-invoice" "$TMP/other/bin/pb-invoice"
printf '* * Other\n' >"$TMP/other/share/partnerbill/service-categories.conf"
focus_elsewhere "$TMP/other/bin/pb-invoice" "$TMP/elsewhere/focus7.csv"
check_installed "a link from another tree, with /proc: the program's own installed categories" "$TMP/elsewhere/focus7.csv"
if no_proc_works; then
	focus_elsewhere --no-proc "$TMP/other/bin/pb-invoice" "$TMP/elsewhere/focus7.csv"
	check_installed "a link from another tree, without /proc: the program's own installed categories" \
		"$TMP/elsewhere/focus7.csv"
fi

# An installed program (PREFIX/share/partnerbill is there) whose copy is gone or cannot be read, run from a
# folder with its own config/: a usage error naming the installed copy, never the current folder's file.
rm "$TMP/inst/share/partnerbill/service-categories.conf"
for how in gone link; do
	[ $how == link ] && ln -s "$TMP/nowhere.conf" "$TMP/inst/share/partnerbill/service-categories.conf"
	focus_elsewhere "$TMP/inst/bin/pb-invoice" "$TMP/elsewhere/focus3.csv"
	check "installed, its categories $how, a config/ here: exit 2 naming the installed copy, no file" \
		"2|pb-invoice: no service categories: set PB_SERVICE_CATEGORIES to a FILE (cannot read the installed copy '$TMP/inst/share/partnerbill/service-categories.conf': No such file or directory; an installed program does not read config/ in the current folder)|no file" \
		"$st|$(cat "$TMP/err")|$(test -e "$TMP/elsewhere/focus3.csv" && echo file || echo no file)"
done

# A program with no installed layout beside it and no config/ here: a usage error naming both places.
mkdir -p "$TMP/copy/bin" && cp "$BIN/pb-invoice" "$TMP/copy/bin/"
rm "$TMP/elsewhere/config/service-categories.conf"
focus_elsewhere "$TMP/copy/bin/pb-invoice" "$TMP/elsewhere/focus3.csv"
check "no categories anywhere: exit 2, both places named, no file" \
	"2|pb-invoice: no service categories: set PB_SERVICE_CATEGORIES to a FILE (looked for $TMP/copy/share/partnerbill/service-categories.conf and config/service-categories.conf)|no file" \
	"$st|$(cat "$TMP/err")|$(test -e "$TMP/elsewhere/focus3.csv" && echo file || echo no file)"

pb_tests_done
