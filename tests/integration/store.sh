#!/usr/bin/env bash
# Integration tests of the store: a throwaway PostgreSQL cluster (initdb in a temporary folder, Unix socket
# only), pb-ingest writing imports into it, reruns, supersedes, a concurrent run, malformed input, and runs
# killed with SIGKILL during reading, COPY and commit. The cluster is stopped whatever happens.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest
PBDB=$BIN/pb-db

pb_test_tmp store
cleanup() {
	[ -n "${BGPID:-}" ] && kill -9 "$BGPID" 2>/dev/null
	pb_test_cleanup
}
pb_on_exit cleanup

# The daily rows of the current import of a source, without the import id: what must not change.
current_rows() {
	pb_sql "SELECT u.vendor, u.billing_month, u.partner_account_id, u.usage_date, u.charge_category, u.charge_type,
	u.service, u.region, u.currency, u.list_cost, u.billed_cost, u.line_count FROM pb.usage_daily u
	JOIN pb.import i ON i.id = u.import_id WHERE i.status = 'committed' AND i.source = '$1'
	ORDER BY 3, 4, 5, 6, 7, 8, 9"
}
imports() { pb_sql "SELECT id, status FROM pb.import WHERE source = '$1' ORDER BY id" | tr '\n' ' '; }

pb_test_cluster_start --no-migrate
ok "start a throwaway cluster"

# The schema version these programs need: the number of the last migration in schemas/ (numbers may be
# taken out of order by work in progress, so it is not the count of files).
NV=$(find "$ROOT/schemas" -name '[0-9][0-9][0-9]_*.sql' | sed 's|.*/0*\([0-9][0-9]*\)_[^/]*$|\1|' | sort -n | tail -n 1)

# An old schema is refused with exit 3 before anything is read.
mkdir -p "$TMP/a"
cp "$ROOT/tests/fixtures/aws-cur/legacy-basic.csv" "$TMP/a/cur-1.csv"
"$PBI" --format aws-cur --no-progress "$TMP/a/cur-1.csv" >"$TMP/out" 2>"$TMP/err"
check "an unmigrated database is refused with exit 3" \
	"3|pb-ingest: the database schema is at version 0; this program needs $NV: run 'pb-db migrate'" \
	"$?|$(cat "$TMP/err")"

("$PBDB" migrate >"$TMP/m1" 2>&1 &
	"$PBDB" migrate >"$TMP/m2" 2>&1
	wait)
"$PBDB" migrate >"$TMP/m3" 2>&1
check "migrate twice at once, then again: version $NV, each applied once" "$NV|1|1|schema at version $NV" \
	"$(pb_sql 'SELECT max(version) FROM pb.schema_migrations')|$(cat "$TMP/m1" "$TMP/m2" | grep -c '^applied 001_init.sql')|$(cat "$TMP/m1" "$TMP/m2" | grep -c '^applied 002_partner_account_name.sql')|$(cat "$TMP/m3")"
check "pb-db status gives the schema version" "local cluster in $PB_VAR_DIR/pg: running
schema version $NV (these programs need $NV)" "$("$PBDB" status)"

# Data for the crash and concurrency tests: big enough that COPY and reading take a moment.
cc -O2 -o "$TMP/gen_cur" "$ROOT/bench/gen_cur.c" || exit 1
mkdir -p "$TMP/big"
"$TMP/gen_cur" 300000 5 >"$TMP/big/cur-big.csv"
SRC_A=file://$TMP/a
SRC_BIG=file://$TMP/big

# First import of a small source, then the same files again.
"$PBI" --format aws-cur --no-progress "$TMP/a/cur-1.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
first_rows=$(current_rows "$SRC_A")
if [ $st -eq 0 ] && grep -q '^import 1 committed: aws 2026-10 from ' "$TMP/out" && [ "$(wc -l <<<"$first_rows")" -eq 14 ]; then
	ok "an import commits and says so"
else
	notok "an import commits and says so" "status $st: $(cat "$TMP/out" "$TMP/err")"
fi
"$PBI" --format aws-cur --no-progress "$TMP/a/cur-1.csv" >"$TMP/out" 2>"$TMP/err"
check "the same files again: one committed import, the first superseded" "0|1,superseded 2,committed " \
	"$?|$(imports "$SRC_A")"
check "the same files again give identical rows" "$first_rows" "$(current_rows "$SRC_A")"

# The stored totals equal the --summary totals to the last digit.
want=$("$PBI" --format aws-cur --summary --no-progress "$TMP/a/cur-1.csv" | tail -n +2)
got=$(pb_sql "SELECT u.partner_account_id, coalesce(trim_scale(sum(u.list_cost))::text, ''),
	trim_scale(sum(u.billed_cost)) FROM pb.usage_daily u JOIN pb.import i ON i.id = u.import_id
	WHERE i.status = 'committed' AND i.source = '$SRC_A' GROUP BY 1 ORDER BY u.partner_account_id COLLATE \"C\"")
check "stored totals equal the --summary totals exactly" "$want" "$got"
want=$("$PBI" --format aws-cur --summary=daily --no-progress "$TMP/a/cur-1.csv" | tail -n +2 |
	python3 -c 'import csv,sys
for r in csv.reader(sys.stdin): print(",".join(r))')
got=$(pb_sql "SELECT u.vendor, u.billing_month, u.partner_account_id, u.usage_date, u.charge_category, u.charge_type,
	u.service, u.region, u.currency, coalesce(trim_scale(u.list_cost)::text, ''), trim_scale(u.billed_cost),
	u.line_count FROM pb.usage_daily u JOIN pb.import i ON i.id = u.import_id
	WHERE i.status = 'committed' AND i.source = '$SRC_A' ORDER BY u.partner_account_id COLLATE \"C\", u.usage_date,
	u.charge_category COLLATE \"C\", u.charge_type COLLATE \"C\", u.service COLLATE \"C\", u.region COLLATE \"C\",
	u.currency COLLATE \"C\"")
check "stored rows are exactly the --summary=daily rows" "$want" "$got"
check "the audit keeps each file's size and SHA-256" \
	"$(stat -c %s "$TMP/a/cur-1.csv"),$(sha256sum "$TMP/a/cur-1.csv" | cut -d' ' -f1)" \
	"$(pb_sql "SELECT f.bytes, f.sha256 FROM pb.import_file f JOIN pb.import i ON i.id = f.import_id
	WHERE i.status = 'committed' AND i.source = '$SRC_A'")"

# A changed file supersedes the old import; the totals move by exactly the change.
before=$(pb_sql "SELECT billed_total FROM pb.import WHERE status = 'committed' AND source = '$SRC_A'")
python3 - "$TMP/a/cur-1.csv" <<'PY'
import csv, io, sys
p = sys.argv[1]
rows = list(csv.reader(open(p, newline='')))
col = rows[0].index('lineItem/UnblendedCost')
rows[1][col] = str(__import__('decimal').Decimal(rows[1][col]) + __import__('decimal').Decimal('0.000000001'))
out = io.StringIO()
csv.writer(out, lineterminator='\n').writerows(rows)
open(p, 'w', newline='').write(out.getvalue())
PY
"$PBI" --format aws-cur --no-progress "$TMP/a/cur-1.csv" >"$TMP/out" 2>"$TMP/err"
after=$(pb_sql "SELECT billed_total - $before FROM pb.import WHERE status = 'committed' AND source = '$SRC_A'")
check "a changed file supersedes, and the total moves by exactly the change" \
	"0|1,superseded 2,superseded 3,committed |0.000000001" "$?|$(imports "$SRC_A")|$(sed 's/0*$//' <<<"$after")"

# A malformed file commits nothing and changes nothing.
rows_before=$(current_rows "$SRC_A")
printf 'x\n' >>"$TMP/a/cur-1.csv"
"$PBI" --format aws-cur --no-progress "$TMP/a/cur-1.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
n=$(wc -l <"$TMP/a/cur-1.csv")
check "a malformed file exits 1 with its position" \
	"1|pb-ingest: $TMP/a/cur-1.csv:$n:1: expected 24 fields, found 1" "$st|$(cat "$TMP/err")"
check "a malformed file leaves the committed import and its rows" "3,committed|$rows_before" \
	"$(pb_sql "SELECT id, status FROM pb.import WHERE source = '$SRC_A' AND status = 'committed'")|$(current_rows "$SRC_A")"
check "the failed run is recorded with its error" \
	"failed|$TMP/a/cur-1.csv:$n:1: expected 24 fields, found 1" \
	"$(pb_sql "SELECT status || '|' || error FROM pb.import WHERE source = '$SRC_A' ORDER BY id DESC LIMIT 1")"

# The audit hashes the bytes as stored, whatever the compression.
mkdir -p "$TMP/z"
cp "$ROOT/tests/fixtures/aws-cur/legacy-basic.csv" "$TMP/z/cur-0.csv"
gzip -c "$TMP/z/cur-0.csv" >"$TMP/z/cur-1.csv.gz"
(cd "$TMP/z" && zip -q cur-2.zip cur-0.csv)
"$PBI" --format aws-cur --no-progress --source zipped "$TMP/z/cur-1.csv.gz" "$TMP/z/cur-2.zip" >"$TMP/out" 2>"$TMP/err" ||
	notok "import a gzip and a zip file" "$(cat "$TMP/err")"
check "the audit keeps the SHA-256 and size of gzip and zip files as stored" \
	"$(stat -c %s "$TMP/z/cur-1.csv.gz"),$(sha256sum "$TMP/z/cur-1.csv.gz" | cut -d' ' -f1)
$(stat -c %s "$TMP/z/cur-2.zip"),$(sha256sum "$TMP/z/cur-2.zip" | cut -d' ' -f1)" \
	"$(pb_sql "SELECT f.bytes, f.sha256 FROM pb.import_file f JOIN pb.import i ON i.id = f.import_id
	WHERE i.status = 'committed' AND i.source = 'zipped' ORDER BY f.seq")"

# A line outside the billing month is refused.
mkdir -p "$TMP/m"
sed 's/2026-10-01T10:00:00+09:00/2026-10-01T08:00:00+09:00/' "$ROOT/tests/fixtures/aws-cur/legacy-crlf.csv" \
	>"$TMP/m/legacy-crlf.csv"
"$PBI" --format aws-cur --no-progress "$TMP/m/legacy-crlf.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
if [ $st -eq 1 ] && grep -q "outside the billing month of 2026-10-01" "$TMP/err" && [ ! -s "$TMP/out" ]; then
	ok "a usage date outside the billing month exits 1"
else
	notok "a usage date outside the billing month exits 1" "status $st: $(cat "$TMP/err")"
fi

# Two files of different billing months in one import are refused at the first line of the other month.
mkdir -p "$TMP/two"
cp "$ROOT/tests/fixtures/aws-cur/legacy-basic.csv" "$TMP/two/oct.csv"
sed 's/2026-10-/2026-11-/g; s/2026-11-01T00:00:00Z,2026-11-01/2026-11-01T00:00:00Z,2026-12-01/' \
	"$ROOT/tests/fixtures/aws-cur/legacy-basic.csv" >"$TMP/two/nov.csv"
"$PBI" --format aws-cur --no-progress "$TMP/two/oct.csv" "$TMP/two/nov.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
if [ $st -eq 1 ] && grep -q "^pb-ingest: $TMP/two/nov.csv:2:[0-9]*: billing period starts 2026-11-01, but this import is for the month of 2026-10-01$" "$TMP/err" &&
	[ "$(pb_sql "SELECT count(*) FROM pb.import WHERE source = 'file://$TMP/two' AND status = 'committed'")" = 0 ]; then
	ok "files of two billing months in one import exit 1 and commit nothing"
else
	notok "files of two billing months in one import exit 1 and commit nothing" "status $st: $(cat "$TMP/err")"
fi

# start_paused POINT: imports the big file in the background until it waits at POINT (BGPID is its pid).
start_paused() {
	: >"$TMP/err"
	PB_TEST_PAUSE=$1 "$PBI" --format aws-cur --no-progress "$TMP/big/cur-big.csv" >"$TMP/out" 2>"$TMP/err" &
	BGPID=$!
	pb_until 120 grep -q "test pause at $1" "$TMP/err" || notok "the import pauses at $1" "$(cat "$TMP/err")"
}
# kill_paused: kill -9, and until the server has ended the killed run's session (120 s at most): the next run
# finds the import's lock free only then, and records the import failed (a fixed 0.3 s was not always enough).
kill_paused() {
	kill -9 "$BGPID"
	wait "$BGPID" 2>/dev/null
	BGPID=
	pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-ingest'" ||
		notok "the killed run's session ends"
}

# A baseline import of the big source, then runs killed at several points.
"$PBI" --format aws-cur --no-progress "$TMP/big/cur-big.csv" >"$TMP/out" 2>"$TMP/err" ||
	notok "baseline import of the big file" "$(cat "$TMP/err")"
base_rows=$(current_rows "$SRC_BIG")
[ "$(wc -l <<<"$base_rows")" -gt 1000 ] || notok "the big import holds rows" "$base_rows"
base_id=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = '$SRC_BIG'")
# hist_status ID: the import's status in --history, and its error: 1 as recorded for a run that died, 2 as shown
# before it is recorded, 0 none of these.
hist_status() {
	"$PBI" --history --month 2026-10 | awk -v id="$1" '$1 == id {
		e = $0 ~ /\(interrupted: the run ended before it finished\)$/ ? 1 : 0
		if ($0 ~ /\(interrupted: the run ended before it finished; recorded at the next run of its source\)$/) e = 2
		print $4 "|" e }'
}
for point in read copy commit; do
	start_paused "$point"
	[ "$point" == copy ] && running_hist=$(hist_status "$(pb_sql "SELECT max(id) FROM pb.import")")
	kill_paused
	check "kill -9 during $point leaves the previous import current" "$base_id|$base_rows" \
		"$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = '$SRC_BIG'")|$(current_rows "$SRC_BIG")"
done
# Each run recorded the one killed before it failed; the last killed run's import stays 'running' in the database
# until the source's next run: no run holds it, and --history says what it is.
check "--history: an import whose run is alive is running; a killed run's import is failed (interrupted) before the next run records it" \
	"running|0 failed|1 failed|1 failed|2" \
	"$running_hist $(for id in $(pb_sql "SELECT id FROM pb.import WHERE source = '$SRC_BIG' AND id > $base_id ORDER BY id"); do hist_status "$id"; done | paste -sd' ')"
# A lock of the same name held in another database of the cluster (a staging copy on the same server, whose run
# of the same source is alive) is not this run's: advisory locks are the database's own. The import is still
# listed as interrupted.
last_killed=$(pb_sql "SELECT max(id) FROM pb.import WHERE source = '$SRC_BIG'")
lock_key=$(pb_sql "SELECT hashtextextended('pb-import|' || vendor || '|' || format || '|' || source || '|' ||
	to_char(billing_month, 'YYYY-MM-DD'), 0) FROM pb.import WHERE id = $last_killed")
pb_sql_session_start
pb_sql_in "\\c postgres"
pb_sql_in "SELECT pg_advisory_lock($lock_key), current_database()"
held=$SQL_ROWS
check "--history: the run's lock held in another database of the cluster leaves the import interrupted" \
	",postgres|failed|2" "$held|$(hist_status "$last_killed")"
pb_sql_session_end
# --history reads an import as running, then its run commits and exits before --history looks for the run's
# lock: the import is listed as committed (what it is by then), not as a run that died.
rm -f "$TMP/run-resume" "$TMP/hist-resume"
PB_TEST_PAUSE=commit PB_TEST_RESUME_FILE=$TMP/run-resume "$PBI" --format aws-cur --no-progress \
	"$TMP/big/cur-big.csv" >"$TMP/run.out" 2>"$TMP/run.err" &
BGPID=$!
pb_until 120 grep -q "test pause at commit" "$TMP/run.err" || notok "the import pauses at commit" "$(cat "$TMP/run.err")"
race_id=$(pb_sql "SELECT max(id) FROM pb.import")
PB_TEST_PAUSE=history-read PB_TEST_RESUME_FILE=$TMP/hist-resume "$PBI" --history --month 2026-10 \
	>"$TMP/hist.out" 2>"$TMP/hist.err" &
hpid=$!
pb_until 120 grep -q "test pause at history-read" "$TMP/hist.err" || notok "--history pauses at history-read" "$(cat "$TMP/hist.err")"
touch "$TMP/run-resume"
wait "$BGPID"
race_st=$?
BGPID=
touch "$TMP/hist-resume"
wait "$hpid"
check "--history: an import that commits while --history reads is listed as committed, not as interrupted" \
	"0|0|committed" \
	"$race_st|$?|$(awk -v id="$race_id" '$1 == id { print $4 }' "$TMP/hist.out")"
"$PBI" --format aws-cur --no-progress "$TMP/big/cur-big.csv" >"$TMP/out" 2>"$TMP/err"
check "the rerun after the kills commits the same rows as an uninterrupted run" "0|$base_rows" \
	"$?|$(current_rows "$SRC_BIG")"
check "the rerun marked the killed runs failed" "failed,failed,failed" \
	"$(pb_sql "SELECT string_agg(status, ',' ORDER BY id) FROM pb.import WHERE source = '$SRC_BIG' AND id > $base_id AND id <> $race_id AND status <> 'committed'")"
check "no orphaned rows are left behind" "0" \
	"$(pb_sql "SELECT count(*) FROM pb.usage_daily u LEFT JOIN pb.import i ON i.id = u.import_id WHERE i.status IS DISTINCT FROM 'committed'")"

# A second run of the same source and month while one runs exits 4 and names the holder.
start_paused read
"$PBI" --format aws-cur --no-progress "$TMP/big/cur-big.csv" >"$TMP/out2" 2>"$TMP/err2"
st=$?
if [ $st -eq 4 ] && grep -q "^pb-ingest: the aws import of '$SRC_BIG' for 2026-10 is running already: import [0-9]*, by pb-ingest pid $BGPID on " "$TMP/err2"; then
	ok "a concurrent run exits 4 and says who holds the import"
else
	notok "a concurrent run exits 4 and says who holds the import" "status $st: $(cat "$TMP/err2")"
fi
kill_paused

# CUR 2.0's line_item_usage_account_name is recorded per import and partner account, with its lines.
mkdir -p "$TMP/names"
python3 - "$ROOT/tests/fixtures/aws-cur/cur2-bom.csv" "$TMP/names/cur2-names.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
h = rows[0]
acct = h.index("line_item_usage_account_id")
h.append("line_item_usage_account_name")
for i, r in enumerate(rows[1:]):
    r.append({"444455556666": "clc-ACME1-prod"}.get(r[acct], "" if i % 2 else "Shared services"))
csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline=""), lineterminator="\n").writerows(rows)
PY
# Tags (resource_tags, a JSON map) are recorded too, as kind tag and "key=value".
want_names=$(python3 - "$TMP/names/cur2-names.csv" <<'PY'
import collections, csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
n = collections.Counter()
for r in rows:
    if r["line_item_usage_account_name"]:
        n[(r["line_item_usage_account_id"], "account_name", r["line_item_usage_account_name"])] += 1
    for k, v in json.loads(r["resource_tags"] or "{}").items():
        n[(r["line_item_usage_account_id"], "tag", "%s=%s" % (k, v))] += 1
key = lambda i: (i[0][0].encode(), i[0][2].encode())
print("\n".join("aws,%s,%s,%s,%d" % (a, kind, name, c) for (a, kind, name), c in sorted(n.items(), key=key)))
PY
)
"$PBI" --format aws-cur --no-progress --tag-keys '*' --source file:///names-test "$TMP/names/cur2-names.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
[ "$st" = 0 ] || sed 's/^/# pb-ingest: /' "$TMP/err"
nid=$(pb_sql "SELECT id FROM pb.import WHERE source = 'file:///names-test' AND status = 'committed'")
check "CUR 2.0 account names and resource tags are recorded with the import, with line counts" \
	"0|$want_names" \
	"$st|$(pb_sql "SELECT vendor, partner_account_id, kind, name, line_count FROM pb.partner_account_name
		WHERE import_id = ${nid:-0} ORDER BY partner_account_id COLLATE \"C\", name COLLATE \"C\"")"

# Azure tags in each form exports use: a JSON object, the older form without braces, escapes, numbers,
# nested values (skipped), an empty object, and text that is no object (its tags are not read).
cat >"$TMP/names/tags.csv" <<'CSV'
SubscriptionId,SubscriptionName,Date,ChargeType,BillingCurrency,CostInBillingCurrency,Tags
11111111-2222-4333-8444-555555555555,clc-ACME1-prod,10/01/2026,Usage,USD,1,"{""clc-alias"":""ACME1"",""env"":""prod""}"
11111111-2222-4333-8444-555555555555,clc-ACME1-prod,10/02/2026,Usage,USD,1,"""clc-alias"": ""ACME1"",""cost center"": ""A\u00e9 \""x\"""""
11111111-2222-4333-8444-555555555555,clc-ACME1-prod,10/03/2026,Usage,USD,1,"{""n"":42,""ok"":true,""nested"":{""a"":[1,""}""]},""last"":""z""}"
11111111-2222-4333-8444-555555555555,clc-ACME1-prod,10/04/2026,Usage,USD,1,{}
11111111-2222-4333-8444-555555555555,clc-ACME1-prod,10/05/2026,Usage,USD,1,not json
CSV
"$PBI" --format azure-cost --no-progress --tag-keys '*' --source file:///tags-test "$TMP/names/tags.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
[ "$st" = 0 ] || sed 's/^/# pb-ingest: /' "$TMP/err"
tid=$(pb_sql "SELECT id FROM pb.import WHERE source = 'file:///tags-test' AND status = 'committed'")
check "Azure tags in every form are recorded as key=value, with line counts" \
	"0|clc-alias=ACME1,2
cost center=Aé \"x\",1
env=prod,1
last=z,1
n=42,1
ok=true,1" \
	"$st|$(pb_sql "SELECT name, line_count FROM pb.partner_account_name WHERE import_id = ${tid:-0} AND kind = 'tag'
		ORDER BY name COLLATE \"C\"")"

# A legacy CUR's resourceTags/KEY columns are recorded like CUR 2.0's resource_tags, under CUR 2.0's key
# names (user:CostCenter is user_cost_center): the same lines in both forms give the same tags. Empty cells
# are no tag; --tag-keys and the cap of 256 names per partner account hold for them as for CUR 2.0.
LH='bill/InvoiceId,bill/BillingPeriodStartDate,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/CurrencyCode,lineItem/UnblendedCost'
CH='bill_invoice_id,bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_currency_code,line_item_unblended_cost'
L1='7,2026-10-01T00:00:00Z,111111111101,Usage,2026-10-01T00:00:00Z,USD,1'
L2='7,2026-10-01T00:00:00Z,111111111101,Usage,2026-10-02T00:00:00Z,USD,2'
L3='7,2026-10-01T00:00:00Z,111111111102,Usage,2026-10-03T00:00:00Z,USD,3'
printf '%s\n' "$LH,resourceTags/user:Environment,resourceTags/user:CostCenter,resourceTags/aws:createdBy" \
	"$L1,prod,cc-1," "$L2,prod,\"a \"\"b\"\", c\",IAMUser:x" "$L3,,," >"$TMP/names/legacy-tags.csv"
python3 - "$TMP/names/legacy-tags.csv" "$TMP/names/cur2-tags.csv" "$CH" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
keys = {"resourceTags/user:Environment": "user_environment", "resourceTags/user:CostCenter": "user_cost_center",
        "resourceTags/aws:createdBy": "aws_created_by"}
out = [sys.argv[3].split(",") + ["resource_tags"]]
for r in rows[1:]:
    out.append(r[:7] + [json.dumps({keys[h]: v for h, v in zip(rows[0][7:], r[7:]) if v})])
# The untagged line's cost apart: the same lines under two sources would be refused as billed twice.
out[-1][6] = "4"
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n").writerows(out)
PY
tags_of() {
	pb_sql "SELECT n.partner_account_id, n.name, n.line_count FROM pb.partner_account_name n JOIN pb.import i
		ON i.id = n.import_id WHERE i.source = '$1' AND i.status = 'committed' AND n.kind = 'tag'
		ORDER BY n.partner_account_id, n.name COLLATE \"C\"" '|'
}
"$PBI" --format aws-cur --no-progress --tag-keys '*' --source file:///legacy-tags "$TMP/names/legacy-tags.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
"$PBI" --format aws-cur --no-progress --tag-keys '*' --source file:///cur2-tags "$TMP/names/cur2-tags.csv" >"$TMP/out" 2>>"$TMP/err"
st="$st $?"
want='111111111101|aws_created_by=IAMUser:x|1
111111111101|user_cost_center=a "b", c|1
111111111101|user_cost_center=cc-1|1
111111111101|user_environment=prod|2'
check "legacy resourceTags/ columns are recorded as CUR 2.0 resource_tags are: the same key=value, the same counts" \
	"0 0|$want|$want" "$st|$(tags_of file:///legacy-tags)|$(tags_of file:///cur2-tags)"
"$PBI" --format aws-cur --no-progress --tag-keys user_environment --source file:///legacy-tags "$TMP/names/legacy-tags.csv" >"$TMP/out" 2>"$TMP/err"
check "legacy tags: --tag-keys user_environment records that key only" "0|111111111101|user_environment=prod|2" \
	"$?|$(tags_of file:///legacy-tags)"
{
	echo "$LH,resourceTags/user:Name"
	for i in $(seq 1 300); do echo "7,2026-10-01T00:00:00Z,111111111101,Usage,2026-10-01T00:00:00Z,USD,1,web-$i"; done
} >"$TMP/names/legacy-many.csv"
"$PBI" --format aws-cur --no-progress --tag-keys '*' --source file:///legacy-many "$TMP/names/legacy-many.csv" >"$TMP/out" 2>"$TMP/err"
check "legacy tags past 256 per partner account are not recorded, and the run says so" \
	"0|256|pb-ingest: warning: 44 distinct names or tags of partner accounts past 256 per account were not recorded (44 lines)" \
	"$?|$(tags_of file:///legacy-many | wc -l)|$(grep 'past 256' "$TMP/err")"

# A month-to-date delivery never replaces the month's final data: a late nightly run must not undo a close.
mkdir -p "$TMP/fin"
printf '%s\n' 'bill_invoice_id,bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_currency_code,line_item_unblended_cost,pricing_public_on_demand_cost' \
	'80422026,2026-09-01T00:00:00.000Z,111111111101,Usage,2026-09-03T06:00:00.000Z,USD,8.30,10.00' \
	'80422026,2026-09-01T00:00:00.000Z,111111111101,Usage,2026-09-29T06:00:00.000Z,USD,1.70,2.00' >"$TMP/fin/final.csv"
head -n 2 "$TMP/fin/final.csv" | sed 's/^80422026,/,/' >"$TMP/fin/mtd.csv"
"$PBI" --format aws-cur --no-progress --source fin:aws "$TMP/fin/final.csv" >/dev/null 2>&1
"$PBI" --format aws-cur --no-progress --source fin:aws "$TMP/fin/mtd.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
fid=$(pb_sql "SELECT id FROM pb.import WHERE source = 'fin:aws' AND final AND status = 'committed'")
check "a delivery that is not final over the month's final import: exit 4, the final import stays" 	"4|pb-ingest: not final: the current import $fid of aws 2026-09 from fin:aws holds the month's final data; a delivery that is not final does not replace it (--allow-not-final to do so)|12|1" \
	"$st|$(cat "$TMP/err")|$(pb_sql "SELECT list_total FROM pb.import WHERE id = ${fid:-0} AND status = 'committed'")|$(pb_sql "SELECT count(*) FROM pb.import WHERE source = 'fin:aws' AND status = 'committed'")"
"$PBI" --format aws-cur --no-progress --source fin:aws --allow-not-final "$TMP/fin/mtd.csv" >/dev/null 2>"$TMP/err"
check "--allow-not-final replaces it" "0|f,10" "$?|$(pb_sql "SELECT final, list_total FROM pb.import WHERE source = 'fin:aws' AND status = 'committed'")"
"$PBI" --format aws-cur --no-progress --source fin:aws "$TMP/fin/final.csv" >/dev/null 2>&1
"$PBI" --format aws-cur --no-progress --source fin:aws "$TMP/fin/final.csv" >/dev/null 2>"$TMP/err"
check "a final delivery (a restatement) replaces a final import" "0|t,12" "$?|$(pb_sql "SELECT final, list_total FROM pb.import WHERE source = 'fin:aws' AND status = 'committed'")"

# --final for a month that has not ended: an export made while its month runs holds none of the days after it, yet
# it was stored as the month's final data (which a month-to-date delivery may then not replace). A usage error
# (exit 2) once connected, saying when the month ends, before anything is read or stored: with --month, the file
# is not read; without, the month of the first line decides. Today is the database server's, the clock that
# stamps what is stored and that pb-invoice --issue takes; here a test build's PB_TEST_TODAY stands for it: the
# month's last day is still in it, the next day it is over.
mkdir -p "$TMP/early"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,PayGPrice,Quantity,CostInBillingCurrency' \
	'22222222-3333-4444-8555-666666666666,09/05/2026,Usage,USD,1,1,1' >"$TMP/early/cost.csv"
PB_TEST_TODAY=2026-09-30 "$PBI" --format azure-cost --no-progress --final --month 2026-09 "$TMP/early/cost.csv" >"$TMP/out" 2>"$TMP/err"
check "--final --month of a month that has not ended (today its last day): exit 2 saying when it ends" \
	"2||pb-ingest: --final: 2026-09 has not ended: the month ends on 2026-09-30 (UTC; today is 2026-09-30 by the database server's clock), and an export made before then holds none of the days after it (store it without --final until the month is over)" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
PB_TEST_TODAY=2026-09-06 "$PBI" --format azure-cost --no-progress --final "$TMP/early/cost.csv" >"$TMP/out" 2>"$TMP/err"
check "--final for a file whose first line's month has not ended: exit 2 naming the file, nothing stored" \
	"2||pb-ingest: $TMP/early/cost.csv: --final: 2026-09, the month of its first line, has not ended: the month ends on 2026-09-30 (UTC; today is 2026-09-06 by the database server's clock), and an export made before then holds none of the days after it (store it without --final until the month is over)|0" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.import WHERE source = 'file://$TMP/early'")"
# The machine's clock is not asked: run with it 45 days ahead of the server's (faketime), --final for the server's
# month is still refused, as pb-invoice --issue would refuse the month. (ASan runs with faketime preloaded first.)
SM=$(pb_sql "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')")
ST=$(pb_sql "SELECT (now() AT TIME ZONE 'UTC')::date")
mkdir -p "$TMP/clock"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,PayGPrice,Quantity,CostInBillingCurrency' \
	"22222222-3333-4444-8555-666666666666,${SM#*-}/01/${SM%-*},Usage,USD,1,1,1" >"$TMP/clock/cost.csv"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime -f +45d \
	"$PBI" --format azure-cost --no-progress --final --month "$SM" "$TMP/clock/cost.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
check "--final with the machine's clock past the month but not the database server's: exit 2, the server's day" \
	"2|pb-ingest: --final: $SM has not ended: the month ends on $(date -u -d "$SM-01 +1 month -1 day" +%F) (UTC; today is $ST by the database server's clock), and an export made before then holds none of the days after it (store it without --final until the month is over)|0" \
	"$st|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.import WHERE source = 'file://$TMP/clock'")"
PB_TEST_TODAY=2026-10-01 "$PBI" --format azure-cost --no-progress --final "$TMP/early/cost.csv" >/dev/null 2>"$TMP/err"
check "the same the day after the month's last: stored, final" "0|t|" \
	"$?|$(pb_sql "SELECT final FROM pb.import WHERE source = 'file://$TMP/early' AND status = 'committed'")|$(cat "$TMP/err")"
# A run that connects in the last seconds of the month's last day and is stamped (started_at) on the next: --final
# was refused with the day it connected, though its import would have been stored after the month. The day that
# decides is its stamp's, as for an AWS report final by its data: the day is turned over while the run is paused
# before it is stamped, and the export is stored, final. Stamped on the last day, it is refused, nothing stored.
mkdir -p "$TMP/midnight-final"
sed 's/^22222222-3333-4444-8555-666666666666,/22222222-3333-4444-8555-666666666668,/' "$TMP/early/cost.csv" \
	>"$TMP/midnight-final/cost.csv"
# paused_final DAY: pb-ingest --final of it, connected on 2026-09-30 and stamped on DAY.
paused_final() {
	local bg
	echo 2026-09-30 >"$TMP/today"
	rm -f "$TMP/resume"
	PB_TEST_TODAY_FILE=$TMP/today PB_TEST_PAUSE=import-begin PB_TEST_RESUME_FILE=$TMP/resume \
		"$PBI" --format azure-cost --no-progress --final "$TMP/midnight-final/cost.csv" >"$TMP/out" 2>"$TMP/err" &
	bg=$!
	pb_until 60 eval 'grep -q "test pause at import-begin" "$TMP/err" || ! kill -0 $bg 2>/dev/null'
	echo "$1" >"$TMP/today"
	touch "$TMP/resume"
	wait $bg
}
paused_final 2026-09-30
check "--final connected and stamped on the month's last day: exit 2, nothing stored" \
	"2|pb-ingest: test pause at import-begin
pb-ingest: $TMP/midnight-final/cost.csv: --final: 2026-09, the month of its first line, has not ended: the month ends on 2026-09-30 (UTC; today is 2026-09-30 by the database server's clock), and an export made before then holds none of the days after it (store it without --final until the month is over)|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.import WHERE source = 'file://$TMP/midnight-final'")"
paused_final 2026-10-01
check "--final connected on the month's last day and stamped on the next: stored, final" \
	"0|pb-ingest: test pause at import-begin|committed,true" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT status || ',' || final FROM pb.import WHERE source = 'file://$TMP/midnight-final'")"
# Refused before its stamp, as another run holds the import's lock: --final while the month runs says so all the same.
rm -f "$TMP/resume"
PB_TEST_TODAY=2026-10-01 PB_TEST_PAUSE=import-begin PB_TEST_RESUME_FILE=$TMP/resume \
	"$PBI" --format azure-cost --no-progress --final "$TMP/midnight-final/cost.csv" >/dev/null 2>"$TMP/err.held" &
bg=$!
pb_until 60 eval 'grep -q "test pause at import-begin" "$TMP/err.held" || ! kill -0 $bg 2>/dev/null'
PB_TEST_TODAY=2026-09-30 "$PBI" --format azure-cost --no-progress --final "$TMP/midnight-final/cost.csv" >"$TMP/out" \
	2>"$TMP/err"
st=$?
touch "$TMP/resume"
wait $bg
check "--final while the month runs, another run holding the import's lock: exit 2 saying so" \
	"2|pb-ingest: $TMP/midnight-final/cost.csv: --final: 2026-09, the month of its first line, has not ended: the month ends on 2026-09-30 (UTC; today is 2026-09-30 by the database server's clock), and an export made before then holds none of the days after it (store it without --final until the month is over)" \
	"$st|$(cat "$TMP/err")"

# Files given by name, stored without --final after their month (the nightly job), then again with --final (the
# month close): a new import, final, superseding the not-final one; the same again is a final import over a final one.
mkdir -p "$TMP/late-final"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,PayGPrice,Quantity,CostInBillingCurrency' \
	'22222222-3333-4444-8555-666666666667,08/05/2026,Usage,USD,1,1,1.17' >"$TMP/late-final/cost.csv"
"$PBI" --format azure-cost --no-progress "$TMP/late-final/cost.csv" >/dev/null 2>"$TMP/err"
st=$?
"$PBI" --format azure-cost --no-progress --final "$TMP/late-final/cost.csv" >/dev/null 2>>"$TMP/err"
check "files stored not final, then again with --final after the month: a new import, final, the old superseded" \
	"0|0|superseded,f,1.17 committed,t,1.17|" \
	"$st|$?|$(pb_sql "SELECT status, final, trim_scale(billed_total) FROM pb.import WHERE source = 'file://$TMP/late-final' ORDER BY id" | tr '\n' ' ' | sed 's/ $//')|$(cat "$TMP/err")"

# An AWS report with an invoice id on every line says it is the month's final data, but while its month runs (as
# for --final) it holds none of the days after it was made: stored as not final (so that a month-to-date delivery
# may still replace it, and pb-invoice does not take the month as final), with a warning naming the file and the
# day the month ends. The day after that, the same report is final, without a word.
mkdir -p "$TMP/early-aws"
printf '%s\n' 'bill_invoice_id,bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_currency_code,line_item_unblended_cost,pricing_public_on_demand_cost' \
	'80429999,2026-09-01T00:00:00.000Z,111111111109,Usage,2026-09-03T06:00:00.000Z,USD,8.30,10.00' >"$TMP/early-aws/cur.csv"
PB_TEST_TODAY=2026-09-30 "$PBI" --format aws-cur --no-progress "$TMP/early-aws/cur.csv" >/dev/null 2>"$TMP/err"
check "an AWS report with an invoice id on every line, its month not ended: stored, not final, one warning" \
	"0|f|pb-ingest: warning: $TMP/early-aws/cur.csv: the report marks 2026-09 final (an invoice id on every line), but the month has not ended: it ends on 2026-09-30 (UTC; today is 2026-09-30 by the database server's clock); stored as not final" \
	"$?|$(pb_sql "SELECT final FROM pb.import WHERE source = 'file://$TMP/early-aws' AND status = 'committed'")|$(cat "$TMP/err")"
PB_TEST_TODAY=2026-10-01 "$PBI" --format aws-cur --no-progress "$TMP/early-aws/cur.csv" >/dev/null 2>"$TMP/err"
check "the same report the day after the month's last: final" "0|t|" \
	"$?|$(pb_sql "SELECT final FROM pb.import WHERE source = 'file://$TMP/early-aws' AND status = 'committed'")|$(cat "$TMP/err")"
# A run that connects in the last seconds of the month's last day, and is stamped (started_at) on the next: the
# report was taken as stored while its month ran, not final, though its stamp says it was stored after (a delivery
# stored so was "committed already" at every later run, never final). The day is turned over while the run is
# paused between the two; the report is final, without a word.
mkdir -p "$TMP/midnight-aws"
sed 's/80429999/80429997/; s/111111111109/111111111107/' "$TMP/early-aws/cur.csv" >"$TMP/midnight-aws/cur.csv"
echo 2026-09-30 >"$TMP/today"
rm -f "$TMP/resume"
PB_TEST_TODAY=2026-09-30 PB_TEST_TODAY_FILE=$TMP/today PB_TEST_PAUSE=import-begin PB_TEST_RESUME_FILE=$TMP/resume \
	"$PBI" --format aws-cur --no-progress "$TMP/midnight-aws/cur.csv" >/dev/null 2>"$TMP/err" &
bg=$!
pb_until 120 grep -q "test pause at import-begin" "$TMP/err" || notok "the import pauses at import-begin" "$(cat "$TMP/err")"
echo 2026-10-01 >"$TMP/today"
touch "$TMP/resume"
wait $bg
check "an AWS report marked final, connected on the month's last day and stamped on the next: final, no warning" \
	"0|t|pb-ingest: test pause at import-begin" \
	"$?|$(pb_sql "SELECT final FROM pb.import WHERE source = 'file://$TMP/midnight-aws' AND status = 'committed'")|$(cat "$TMP/err")"
# The same for a delivery (a manifest's assembly), stored while its month ran: stored again after the month, the same
# assembly was "committed already" and stayed not final, so the month could never be final from it. It is now a new
# import of the same bytes, final; then committed already. The server's month (ST, SM above): stored (started_at)
# before it ends.
NM=$(date -u -d "$SM-01 +1 month" +%Y-%m)
LD=$(date -u -d "$NM-01 -1 day" +%F)
PER=${SM/-/}01-${NM/-/}01
mkdir -p "$TMP/asm/rep/$PER/asm-early"
printf '%s\n' 'bill_invoice_id,bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_currency_code,line_item_unblended_cost,pricing_public_on_demand_cost' \
	"80429998,$SM-01T00:00:00.000Z,111111111108,Usage,$SM-01T06:00:00.000Z,USD,8.30,10.00" >"$TMP/asm/rep/$PER/asm-early/cur.csv"
printf '{"assemblyId":"asm-early","billingPeriod":{"start":"%s01T000000.000Z","end":"%s01T000000.000Z"},"reportKeys":["rep/%s/asm-early/cur.csv"]}' \
	"${SM/-/}" "${NM/-/}" "$PER" >"$TMP/asm/rep/$PER/rep-Manifest.json"
asm() { "$PBI" --format aws-cur --no-progress --source "file://$TMP/asm/rep" --month "$SM" >"$TMP/out" 2>"$TMP/err"; }
asm_imports() { pb_sql "SELECT status || ',' || final FROM pb.import WHERE source = 'file://$TMP/asm/rep' ORDER BY id" | paste -sd' '; }
asm
check "an assembly marked final stored while its month runs: not final, one warning naming its manifest" \
	"0|pb-ingest: warning: file://$TMP/asm/rep/$PER/rep-Manifest.json: the report marks $SM final (an invoice id on every line), but the month has not ended: it ends on $LD (UTC; today is $ST by the database server's clock); stored as not final|committed,false" \
	"$?|$(cat "$TMP/err")|$(asm_imports)"
PB_TEST_TODAY=$NM-01 asm
st=$?
A2=$(pb_sql "SELECT id FROM pb.import WHERE source = 'file://$TMP/asm/rep' AND status = 'committed'")
check "the same assembly after the month ended: stored again, a new import, final" \
	"0|import $A2 committed|superseded,false committed,true" \
	"$st|$(grep -o '^import [0-9]* committed' "$TMP/out")$(cat "$TMP/err")|$(asm_imports)"
PB_TEST_TODAY=$NM-01 asm
check "and again: committed already, nothing to do" \
	"0|assembly asm-early of aws $SM from file://$TMP/asm/rep is committed already as import $A2: nothing to do|superseded,false committed,true" \
	"$?|$(cat "$TMP/out" "$TMP/err")|$(asm_imports)"
# Two runs of the same assembly at once (the month close run by hand while the job's rerun runs): each looked for
# it committed before taking the import's lock, so the one that looked before the other committed, then took the
# lock once it was free, stored the same bytes again, a second final import. The look is made again under the lock.
mkdir -p "$TMP/race/rep/$PER/asm-race"
sed 's/,8\.30,/,8.31,/' "$TMP/asm/rep/$PER/asm-early/cur.csv" >"$TMP/race/rep/$PER/asm-race/cur.csv"
printf '{"assemblyId":"asm-race","billingPeriod":{"start":"%s01T000000.000Z","end":"%s01T000000.000Z"},"reportKeys":["rep/%s/asm-race/cur.csv"]}' \
	"${SM/-/}" "${NM/-/}" "$PER" >"$TMP/race/rep/$PER/rep-Manifest.json"
race() { PB_TEST_TODAY=$NM-01 "$PBI" --format aws-cur --no-progress --source "file://$TMP/race/rep" --month "$SM" "$@"; }
rm -f "$TMP/race-resume"
PB_TEST_PAUSE=assembly-checked PB_TEST_RESUME_FILE=$TMP/race-resume race >"$TMP/race.out" 2>"$TMP/race.err" &
BGPID=$!
pb_until 120 grep -q "test pause at assembly-checked" "$TMP/race.err" ||
	notok "the first run pauses once it looked for the assembly" "$(cat "$TMP/race.err")"
race >/dev/null 2>"$TMP/err"
st=$?
R1=$(pb_sql "SELECT id FROM pb.import WHERE source = 'file://$TMP/race/rep' AND status = 'committed'")
touch "$TMP/race-resume"
wait "$BGPID"
race_st=$?
BGPID=
check "two runs of one assembly at once: one import, final; the later run has nothing to do" \
	"0|0|pb-ingest: test pause at assembly-checked
assembly asm-race of aws $SM from file://$TMP/race/rep is committed already as import $R1: nothing to do|committed,true" \
	"$st|$race_st|$(cat "$TMP/race.err" "$TMP/race.out")|$(pb_sql "SELECT status || ',' || final FROM pb.import WHERE source = 'file://$TMP/race/rep' ORDER BY id" | paste -sd' ')"
# The same across midnight at the month's end: a run that connected on the month's last day looked again under the
# lock, after midnight, with the day it connected: the assembly another run had just stored while the month ran was
# "committed already: nothing to do", though the run is stamped after the month and stores it final. The look under
# the lock takes the day of the run's stamp: the same bytes are a new import, final, as a run started then would store.
mkdir -p "$TMP/mid/rep/$PER/asm-mid"
sed 's/80429998/80429996/; s/111111111108/111111111106/' "$TMP/asm/rep/$PER/asm-early/cur.csv" \
	>"$TMP/mid/rep/$PER/asm-mid/cur.csv"
printf '{"assemblyId":"asm-mid","billingPeriod":{"start":"%s01T000000.000Z","end":"%s01T000000.000Z"},"reportKeys":["rep/%s/asm-mid/cur.csv"]}' \
	"${SM/-/}" "${NM/-/}" "$PER" >"$TMP/mid/rep/$PER/rep-Manifest.json"
echo "$LD" >"$TMP/today"
rm -f "$TMP/resume"
PB_TEST_TODAY_FILE=$TMP/today PB_TEST_PAUSE=assembly-checked PB_TEST_RESUME_FILE=$TMP/resume \
	"$PBI" --format aws-cur --no-progress --source "file://$TMP/mid/rep" --month "$SM" >"$TMP/mid.out" 2>"$TMP/mid.err" &
BGPID=$!
pb_until 60 eval 'grep -q "test pause at assembly-checked" "$TMP/mid.err" || ! kill -0 $BGPID 2>/dev/null' ||
	notok "the run connected on the month's last day pauses once it looked for the assembly" "$(cat "$TMP/mid.err")"
"$PBI" --format aws-cur --no-progress --source "file://$TMP/mid/rep" --month "$SM" >/dev/null 2>&1
st=$?
echo "$NM-01" >"$TMP/today"
touch "$TMP/resume"
wait "$BGPID"
mid_st=$?
BGPID=
M2=$(pb_sql "SELECT id FROM pb.import WHERE source = 'file://$TMP/mid/rep' AND status = 'committed'")
check "an assembly stored while its month ran, looked at again after midnight by a run connected before: stored, final" \
	"0|0|pb-ingest: test pause at assembly-checked|import $M2 committed|superseded,false committed,true" \
	"$st|$mid_st|$(cat "$TMP/mid.err")|$(grep -o '^import [0-9]* committed' "$TMP/mid.out")|$(pb_sql "SELECT status || ',' || final FROM pb.import WHERE source = 'file://$TMP/mid/rep' ORDER BY id" | paste -sd' ')"

# At commit, the partner accounts the new import shares with another current import are reported, and only
# those: an import that shares none warns of nothing, whatever other imports of the month overlap.
mkdir -p "$TMP/ov"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,PayGPrice,Quantity,CostInBillingCurrency' \
	'22222222-3333-4444-8555-666666666666,10/01/2026,Usage,USD,1,1,1' >"$TMP/ov/one.csv"
sed 's/,1$/,2/' "$TMP/ov/one.csv" >"$TMP/ov/two.csv"
sed 's/^22222222/33333333/' "$TMP/ov/one.csv" >"$TMP/ov/other.csv"
"$PBI" --format azure-cost --no-progress --source ov:one "$TMP/ov/one.csv" >/dev/null 2>&1
"$PBI" --format azure-cost --no-progress --source ov:two "$TMP/ov/two.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
ov=$(pb_sql "SELECT string_agg(id::text, ', ' ORDER BY id) FROM pb.import WHERE status = 'committed' AND source IN ('ov:one', 'ov:two')")
check "an import that shares a partner account with another current import warns of it at commit" \
	"0|pb-ingest: warning: azure partner account 22222222-3333-4444-8555-666666666666 of 2026-10 is in 2 current imports: $ov (2 lines); its usage is billed once per import" \
	"$st|$(cat "$TMP/err")"
"$PBI" --format azure-cost --no-progress --source ov:other "$TMP/ov/other.csv" >"$TMP/out" 2>"$TMP/err"
check "an import that shares no partner account warns of nothing, whatever other imports overlap" "0|" \
	"$?|$(cat "$TMP/err")"

# A partner account billed in 17 currencies (more than the 16 the store once held per account, refused with exit 1):
# stored, each currency's totals to the last digit, and the next account's currencies apart from it.
mkdir -p "$TMP/cur17"
{
	echo 'SubscriptionId,Date,ChargeType,BillingCurrency,PayGPrice,Quantity,CostInBillingCurrency'
	n=0
	for c in AED AUD BRL CAD CHF CNY DKK EUR GBP HKD INR JPY KRW NOK NZD SEK USD; do
		n=$((n + 1))
		printf '22222222-3333-4444-8555-666666666617,08/0%d/2026,Usage,%s,%d.5,2,%d.01\n' $((n % 9 + 1)) "$c" "$n" "$n"
		printf '22222222-3333-4444-8555-666666666617,08/10/2026,Usage,%s,1,1,0.02\n' "$c"
	done
	echo '33333333-3333-4444-8555-666666666617,08/03/2026,Usage,USD,1,1,0.99'
	echo '33333333-3333-4444-8555-666666666617,08/04/2026,Usage,EUR,1,1,0.98'
} >"$TMP/cur17/cost.csv"
"$PBI" --format azure-cost --no-progress --source cur17:azure "$TMP/cur17/cost.csv" >/dev/null 2>"$TMP/err"
st=$?
want17=$(n=0
	for c in AED AUD BRL CAD CHF CNY DKK EUR GBP HKD INR JPY KRW NOK NZD SEK USD; do
		n=$((n + 1))
		printf '2222|%s|2|%d|%d.03|2026-08-0%d|2026-08-10\n' "$c" $((2 * n + 2)) "$n" $((n % 9 + 1))
	done
	printf '3333|EUR|1|1|0.98|2026-08-04|2026-08-04\n3333|USD|1|1|0.99|2026-08-03|2026-08-03')
check "a partner account billed in 17 currencies: stored, each currency's lines, totals and days exact" \
	"0||$want17" \
	"$st|$(cat "$TMP/err")|$(pb_sql "SELECT left(a.partner_account_id, 4), a.currency, a.line_count, trim_scale(a.list_total),
	trim_scale(a.billed_total), a.first_day, a.last_day FROM pb.import_account a JOIN pb.import i ON i.id = a.import_id
	WHERE i.source = 'cur17:azure' AND i.status = 'committed' ORDER BY 1, 2" '|')"

# The calendar's last month, 9999-12: the store made the next month's partition ahead from a date written with
# four digits, 10000-01-01 as 0000-01-01, and the server's "date/time field value out of range" failed the import
# with exit 3, which pb-run retries as a passing failure. No program takes the month now (its end has no
# YYYY-MM-DD, which pb-invoice writes): a usage error, before the database, nothing stored.
mkdir -p "$TMP/last"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,PayGPrice,Quantity,CostInBillingCurrency' \
	'22222222-3333-4444-8555-666666666666,12/31/9999,Usage,USD,2.5,1,1.25' >"$TMP/last/cost.csv"
"$PBI" --format azure-cost --no-progress --source last:azure --month 9999-12 "$TMP/last/cost.csv" >"$TMP/out" 2>"$TMP/err"
check "--month 9999-12, the calendar's last month: a usage error, nothing stored" \
	"2|pb-ingest: --month 9999-12 is out of range: the last month supported is 9999-11
Try 'pb-ingest --help'.|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.import WHERE source = 'last:azure'")"

# --history lists every import with its status.
"$PBI" --history --month 2026-10 >"$TMP/out" 2>"$TMP/err"
if [ $? -eq 0 ] && grep -q 'committed' "$TMP/out" && grep -q 'superseded' "$TMP/out" && grep -q 'failed' "$TMP/out"; then
	ok "--history lists the imports"
else
	notok "--history lists the imports" "$(cat "$TMP/out" "$TMP/err")"
fi

# A credit first keeps every running total in range, while the usage after it adds up past the range: a charge's
# total (pb.import_charge) is never stored cut short, the import refused naming its source.
mkdir -p "$TMP/range"
{
	echo 'bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_currency_code,line_item_unblended_cost,pricing_public_on_demand_cost,product_product_name'
	echo '2026-10-01T00:00:00Z,100000000001,Credit,2026-10-01T01:00:00Z,USD,-90000000000000000000,-90000000000000000000,EC2'
	echo '2026-10-01T00:00:00Z,100000000001,Usage,2026-10-02T01:00:00Z,USD,90000000000000000000,90000000000000000000,EC2'
	echo '2026-10-01T00:00:00Z,100000000001,Usage,2026-10-03T01:00:00Z,USD,90000000000000000000,90000000000000000000,EC2'
} >"$TMP/range/cur.csv"
"$PBI" --format aws-cur --no-progress "$TMP/range/cur.csv" >"$TMP/out" 2>"$TMP/err"
check "usage adding up past the range behind a credit: exit 1, the source named, nothing committed" \
	"1|pb-ingest: file://$TMP/range: sum out of range: the totals of charge category Usage (type Usage) leave the range of amounts|0|" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.import WHERE source = 'file://$TMP/range' AND status = 'committed'")|$(pb_sql "SELECT c.charge_category || ' ' || c.list_total FROM pb.import_charge c JOIN pb.import i ON i.id = c.import_id WHERE i.source = 'file://$TMP/range' AND i.status = 'committed' ORDER BY 1" | tr '\n' ' ')"

# The database going away is exit 3.
"$PBDB" stop >/dev/null
"$PBI" --format aws-cur --no-progress "$TMP/a/cur-1.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
if [ $st -eq 3 ] && grep -q '^pb-ingest: cannot connect to the database: .*No such file or directory Is the server running' "$TMP/err" &&
	[ "$(wc -l <"$TMP/err")" = 1 ]; then
	ok "no database is exit 3, libpq's message on one line"
else
	notok "no database is exit 3, libpq's message on one line" "status $st: $(cat "$TMP/err")"
fi

pb_tests_done
