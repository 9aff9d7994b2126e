#!/usr/bin/env bash
# Integration tests of the store's bounded memory and of migration 012 on a database with data: the same files
# stored with a tiny PB_STORE_MEMORY (the daily rows spilled to a temporary file in sorted runs, then merged)
# give exactly the rows and totals of the store in memory; the temporary file leaves nothing behind; the rows
# stored before migration 012 stay readable, and a later import supersedes them.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest
PBDB=$BIN/pb-db

pb_test_tmp store-spill
pb_on_exit pb_test_cleanup
pb_test_cluster_start --no-migrate

# ---- migration 012 on a database holding an import ------------------------------------------------------

# The migrations up to 011 applied as pb-db applies them, each recorded (in one session: it is quicker).
{
	echo "CREATE SCHEMA pb; CREATE TABLE pb.schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now());"
	for f in "$ROOT"/schemas/0[01][0-9]_*.sql; do
		n=$(basename "$f" .sql)
		v=$((10#${n%%_*}))
		((v <= 11)) || continue
		cat "$f"
		echo "INSERT INTO pb.schema_migrations (version, name) VALUES ($v, '$n.sql');"
	done
} >"$TMP/to-011.sql"
"$PBDB" psql -X -q -v ON_ERROR_STOP=1 -1 -f "$TMP/to-011.sql" >/dev/null 2>"$TMP/err" ||
	notok "apply the migrations up to 011" "$(cat "$TMP/err")"
pb_sql "SELECT pb.ensure_usage_partition('2026-10-01');
INSERT INTO pb.import (id, vendor, format, source, billing_month, status) VALUES
	(900, 'aws', 'aws-cur', 'spill:old', '2026-10-01', 'committed'),
	(901, 'aws', 'aws-cur', 'spill:kept', '2026-10-01', 'committed');
INSERT INTO pb.usage_daily (import_id, vendor, billing_month, partner_account_id, usage_date, charge_category,
	charge_type, service, region, currency, list_cost, billed_cost, line_count, list_source) VALUES
	(900, 'aws', '2026-10-01', '111111111111', '2026-10-14', 'Usage', 'Usage', 'EC2', 'us-east-1', 'USD', 1.5, 1.25, 2, 'export'),
	(901, 'aws', '2026-10-01', '222222222222', '2026-10-15', 'Usage', 'Usage', 'S3', 'us-east-1', 'USD', NULL, 3, 1, 'none')" >/dev/null
"$PBDB" migrate >"$TMP/out" 2>&1
check "migration 012 upgrades a database with daily rows, which stay readable" \
	"0|900,111111111111,1.25
901,222222222222,3" \
	"$?|$(pb_sql "SELECT import_id, partner_account_id, billed_cost FROM pb.usage_daily ORDER BY 1" ',')"

mkdir -p "$TMP/old"
cp "$ROOT/tests/fixtures/aws-cur/legacy-basic.csv" "$TMP/old/cur.csv"
"$PBI" --format aws-cur --no-progress --source spill:old "$TMP/old/cur.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
check "an import after the migration supersedes an import stored before it, and its rows go" \
	"0|superseded|0|1" \
	"$st|$(pb_sql "SELECT status FROM pb.import WHERE id = 900")|$(pb_sql "SELECT count(*) FROM pb.usage_daily WHERE import_id = 900")|$(pb_sql "SELECT count(*) FROM pb.usage_daily WHERE import_id = 901")"

# ---- the spilled store gives the rows of the store in memory --------------------------------------------

cc -O2 -o "$TMP/gen_cur" "$ROOT/bench/gen_cur.c" || exit 1
cc -O2 -o "$TMP/gen_azure" "$ROOT/bench/gen_azure.c" || exit 1
mkdir -p "$TMP/cur" "$TMP/two" "$TMP/az"
"$TMP/gen_cur" 12000 7 >"$TMP/cur/cur-1.csv"
"$TMP/gen_cur" 6000 8 >"$TMP/two/cur-1.csv"
"$TMP/gen_cur" 4000 9 >"$TMP/two/cur-2.csv"
"$TMP/gen_azure" 6000 10 --mca >"$TMP/az/az.csv"

# The current import of a source, without its id: the rows with where their list cost came from, and the totals.
stored() {
	pb_sql "SELECT u.vendor, u.billing_month, u.partner_account_id, u.usage_date, u.charge_category, u.charge_type,
	u.service, u.region, u.currency, u.list_cost, u.billed_cost, u.line_count, u.list_source,
	coalesce(u.price_load_id, 0) FROM pb.usage_daily u JOIN pb.import i ON i.id = u.import_id
	WHERE i.status = 'committed' AND i.source = '$1'
	ORDER BY u.partner_account_id COLLATE \"C\", u.usage_date, u.charge_category COLLATE \"C\",
	u.charge_type COLLATE \"C\", u.service COLLATE \"C\", u.region COLLATE \"C\", u.currency, u.list_source"
	pb_sql "SELECT a.partner_account_id, a.currency, a.line_count, a.list_total, a.billed_total, a.first_day,
	a.last_day FROM pb.import_account a JOIN pb.import i ON i.id = a.import_id
	WHERE i.status = 'committed' AND i.source = '$1' ORDER BY a.partner_account_id COLLATE \"C\", 2"
	pb_sql "SELECT c.charge_category, c.charge_type, c.line_count, c.list_total, c.billed_total FROM pb.import_charge c
	JOIN pb.import i ON i.id = c.import_id WHERE i.status = 'committed' AND i.source = '$1' ORDER BY 1, 2"
	pb_sql "SELECT l.list_source, l.line_count, l.list_total, l.billed_total FROM pb.import_list l
	JOIN pb.import i ON i.id = l.import_id WHERE i.status = 'committed' AND i.source = '$1' ORDER BY 1"
	pb_sql "SELECT row_count, line_count, list_total, billed_total FROM pb.import
	WHERE status = 'committed' AND source = '$1'"
}

# spill_case NAME FORMAT FILE...: stored in memory, then with PB_STORE_MEMORY=1 (half a megabyte for the
# reduction: a table of about 4000 rows and 64 kB of dictionaries, or less per part); SPLIT:
# PB_SPLIT_MIN_BYTES, to split the file between threads. RESETS: the times the dictionaries started over.
spill_case() {
	local name=$1 format=$2 mem spilled runs
	shift 2
	PB_SPLIT_MIN_BYTES=${SPLIT:-} "$PBI" --format "$format" --no-progress --source "spill:$name" "$@" \
		>"$TMP/out" 2>"$TMP/err" ||
		notok "$name: store in memory" "$(cat "$TMP/err")"
	mem=$(stored "spill:$name")
	rm -rf "$PB_VAR_DIR/tmp"
	PB_SPLIT_MIN_BYTES=${SPLIT:-} PB_STORE_MEMORY=1 PB_INGEST_TIMING=1 "$PBI" --format "$format" --no-progress \
		--source "spill:$name" "$@" \
		>"$TMP/out" 2>"$TMP/err" || notok "$name: store with PB_STORE_MEMORY=1" "$(cat "$TMP/err")"
	spilled=$(stored "spill:$name")
	[ "$(wc -l <<<"$mem")" -gt 4000 ] || notok "$name: enough rows to spill" "$(wc -l <<<"$mem")"
	check "$name: the rows and totals stored through spilled runs are those stored in memory" "$mem" "$spilled"
	runs=$(sed -n 's/^pb-ingest: timing: runs spilled *//p' "$TMP/err")
	RESETS=$(sed -n 's/^pb-ingest: timing: dictionaries started over *//p' "$TMP/err")
	check "$name: the rows were spilled in runs under var/tmp, and the spill file is gone" "yes|" \
		"$([ "${runs:-0}" -gt 0 ] && [ -d "$PB_VAR_DIR/tmp" ] && echo yes)|$(ls -A "$PB_VAR_DIR/tmp" 2>&1)"
}
spill_case cur aws-cur "$TMP/cur/cur-1.csv"
spill_case cur-two-files aws-cur "$TMP/two/cur-1.csv" "$TMP/two/cur-2.csv"
spill_case azure azure-cost "$TMP/az/az.csv"
# A file split between threads: each part reduces on its own (spilling too), then is absorbed.
mkdir -p "$TMP/split"
"$TMP/gen_cur" 12000 11 >"$TMP/split/cur.csv"
SPLIT=1000000 spill_case cur-split aws-cur "$TMP/split/cur.csv"

# Distinct texts past the dictionaries' bound: every EC2 line its own service name (about 1 MB of distinct
# text against the 64 kB that PB_STORE_MEMORY=1 leaves the dictionaries), so they start over many times.
mkdir -p "$TMP/distinct"
"$TMP/gen_cur" 40000 12 | awk '{ sub(/,Amazon Elastic Compute Cloud,/, ",Amazon Elastic Compute Cloud " NR ","); print }' \
	>"$TMP/distinct/cur.csv"
spill_case distinct-texts aws-cur "$TMP/distinct/cur.csv"
check "distinct-texts: the services are distinct, and the dictionaries started over more than 10 times" "yes|yes" \
	"$([ "$(pb_sql "SELECT count(DISTINCT u.service) FROM pb.usage_daily u JOIN pb.import i ON i.id = u.import_id
	WHERE i.status = 'committed' AND i.source = 'spill:distinct-texts'")" -gt 10000 ] && echo yes)|$([ "${RESETS:-0}" -gt 10 ] && echo yes)"

# ---- a sum out of range found while the spilled runs are merged ------------------------------------------------
# Two lines of 9e19 of one key, with thousands of rows between them: each is spilled in a run of its own, and their
# sum (past the range of amounts, about 1.7e20) is found only when the runs are merged. It said "sum out of range",
# naming nothing: the partner account, day and currency are named.
mkdir -p "$TMP/huge"
"$TMP/gen_cur" 6000 13 >"$TMP/huge/bulk.csv"
# huge_line ID AMOUNT REGION: the first line of bulk.csv without quotes as ID, of partner account 999999999999, costing AMOUNT in REGION.
huge_line() {
	grep -v '"' "$TMP/huge/bulk.csv" | sed -n 2p | awk -F, -v OFS=, -v id="$1" -v amount="$2" -v region="$3" \
		'{ $1 = id; $9 = "999999999999"; $21 = amount; $26 = region; $27 = region; print }'
}
# A refund of the same size in another region between them keeps the account's and the file's totals in range.
{
	head -n 1 "$TMP/huge/bulk.csv"
	huge_line hugefirst 90000000000000000000 us-west-2
	huge_line refund -90000000000000000000 eu-west-1
	tail -n +2 "$TMP/huge/bulk.csv"
	huge_line hugelast 90000000000000000000 us-west-2
} >"$TMP/huge/cur.csv"
PB_STORE_MEMORY=1 "$PBI" --format aws-cur --no-progress --source spill:huge "$TMP/huge/cur.csv" >"$TMP/out" 2>"$TMP/err"
check "a sum out of range found merging the spilled runs: exit 1, naming the partner account, day and currency" \
	"1|pb-ingest: sum out of range: the lines of partner account 999999999999 on 2026-10-01 (Tax, Tax, Amazon Relational Database Service, us-west-2, USD) add up past the range of amounts|0" "$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.import WHERE source = 'spill:huge' AND status = 'committed'")"

pb_tests_done
