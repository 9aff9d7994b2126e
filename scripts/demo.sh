#!/usr/bin/env bash
# make demo: the zero-config local PostgreSQL, a few customers and their partner accounts, three closed months
# of history, the nightly job through October, and October's month close: what a customer and finance get.
set -euo pipefail
cd "$(dirname "$0")/.."
export PB_VAR_DIR=${PB_VAR_DIR:-var}
export PB_DEMO_DIR=$PB_VAR_DIR/demo PB_INVOICE_DIR=$PB_VAR_DIR/invoices
unset PB_DATABASE_URL PGHOST PGHOSTADDR PGDATABASE PGSERVICE PGUSER PGPORT
started=$SECONDS

say() { printf '\n== %s\n' "$*"; }
# job FILE ARGS...: runs the job with pb-run, printing its last line, or everything when it fails.
job() {
	local out
	if ! out=$(bin/pb-run "$@" 2>&1); then
		printf '%s\n' "$out" >&2
		return 1
	fi
	printf '%s\n' "${out##*$'\n'}"
}

say "pb-db init && pb-db start && pb-db migrate   (a private cluster in $PB_VAR_DIR/pg, Unix socket only)"
bin/pb-db init
bin/pb-db start
# The demo leaves no server running behind it, whatever ends it: set -e would hold in the trap too, and a failed
# kill or wait there (a pb-api that exited already, or one killed: 143) would end it before the stop.
api=
stop_all() {
	set +e
	if [ -n "$api" ]; then
		kill "$api" 2>/dev/null
		wait "$api" 2>/dev/null
	fi
	say "pb-db stop"
	bin/pb-db stop
}
trap stop_all EXIT
bin/pb-db migrate

say "the partner exports: scripts/demo_data.py $PB_DEMO_DIR   (seeded; AWS CUR 2.0 and Azure cost details)"
python3 scripts/demo_data.py "$PB_DEMO_DIR"
(cd "$PB_DEMO_DIR" && find . -name '*.csv' | sort | sed 's|^\./|  |' | head -4 && echo "  ... $(find . -name '*.csv' | wc -l) files")

say "pb-accounts: the CLC accounts, their terms, and which partner accounts are theirs"
bash scripts/demo_accounts.sh
bin/pb-accounts list
say "the rules at work: GLOB2 is a UK office (AWS is sold to US offices only), INIT3 a reseller's customer"
bin/pb-accounts link GLOB2 --vendor aws --partner-account 111111111103 --from 2026-07-01 ||
	echo "(exit $?: refused)"
bin/pb-accounts link INIT3 --vendor aws --partner-account 111111111104 --from 2026-07-01 ||
	echo "(exit $?: refused)"
echo "(So AWS accounts 111111111103 and 111111111104, like 111111111105, map to no CLC account: their usage"
echo " is reported as unmapped, never billed.)"

say "history: pb-run jobs/demo-month-close.yaml for July, August and September (ingest, aggregate, issue)"
for m in 2026-07 2026-08 2026-09; do
	job jobs/demo-month-close.yaml --month "$m"
done

closed=$(bin/pb-db psql -X -q -t -A -c "SELECT count(*) FROM pb.invoice WHERE billing_month = '2026-10-01'")
if [ "$closed" != 0 ]; then
	say "October is closed already (its invoice is issued): the nightly runs are not replayed"
	echo "(A month-to-date delivery never replaces a month's final import: pb-ingest refuses it with exit 4.)"
else
	say "October, night by night: pb-run jobs/demo-nightly.yaml --month 2026-10 --as-of D"
	for d in 05 12 19 26; do
		job jobs/demo-nightly.yaml --month 2026-10 --as-of "2026-10-$d"
		# The month to date as pb-aggregate prints it, exact: awk's printf would round it through a binary
		# double (2.675 to 2.67), not half away from zero as the invoice does.
		bin/pb-aggregate --month 2026-10 --no-run --csv | awk -F, -v d="2026-10-$d" '$1 == "ACME1" {
			printf "   as of %s, ACME1 %-6s month to date %13s, month-end estimate %8s (90%%: %s to %s)\n",
				d, $2 ":", $4, $5, $8, $9 }'
	done
fi
say "what the customer sees: pb-aggregate --month 2026-10 --no-run --csv"
bin/pb-aggregate --month 2026-10 --no-run --csv | column -s, -t

say "month close: pb-run jobs/demo-month-close.yaml --month 2026-10"
bin/pb-run jobs/demo-month-close.yaml --month 2026-10 2>&1 | grep -v -E '^pb-run: step '
[ "${PIPESTATUS[0]}" -eq 0 ]
echo "(The reconciliation, in what the partners bill the reseller: every partner charge is attributed to a CLC"
echo " account, unmapped, ineligible or excluded. The invoice bills the attributed charges at their list price"
echo " (credits, and usage without one, at their billed cost), so its total is not the attributed figure.)"
say "what no CLC account is billed for: pb-aggregate --month 2026-10 --no-run --unmapped"
bin/pb-aggregate --month 2026-10 --no-run --unmapped | column -s, -t
say "the invoice lines finance imports: $PB_INVOICE_DIR/invoice-2026-10.csv"
cat "$PB_INVOICE_DIR/invoice-2026-10.csv"
say "the same figures over HTTP: pb-api, with ACME1's own token"
token=$(bin/pb-api token create --account ACME1 --by demo)
# The log is made before pb-api starts: the loop below may read it before the background shell opens it.
: >"$PB_VAR_DIR/pb-api.log"
bin/pb-api --port 0 2>>"$PB_VAR_DIR/pb-api.log" &
api=$!
url=
for _ in $(seq 300); do
	url=$(sed -n 's/^pb-api: listening on \(http:[^ ]*\)$/\1/p' "$PB_VAR_DIR/pb-api.log")
	[ -n "$url" ] && break
	kill -0 "$api" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$url" ]; then
	echo "pb-api did not start listening; its log, $PB_VAR_DIR/pb-api.log:" >&2
	cat "$PB_VAR_DIR/pb-api.log" >&2
	exit 1
fi
echo "GET $url/v1/accounts/ACME1/partner-usage?month=2026-10"
curl -sS -H "Authorization: Bearer $token" "$url/v1/accounts/ACME1/partner-usage?month=2026-10" |
	python3 -c 'import json, sys; d = json.load(sys.stdin); t = d["total"]; print("  ", d["alias"], d["month"], "run", d["run"]["id"], "month to date", t["month_to_date"], t["currency"], "estimate", t["estimate"], "final" if t["final"] else "")'
echo "GET $url/v1/accounts/BETA4/partner-usage?month=2026-10   (another account's, with ACME1's token)"
curl -sS -o /dev/null -w '   HTTP %{http_code}, the same answer as for an account that does not exist\n' \
	-H "Authorization: Bearer $token" "$url/v1/accounts/BETA4/partner-usage?month=2026-10"
kill "$api"
wait "$api" 2>/dev/null || true
api=

say "pb-run --history --limit 4"
bin/pb-run --history --limit 4
echo
echo "Also written: $PB_INVOICE_DIR/invoice-2026-10-detail.csv, focus-2026-10.csv (FOCUS 1.2) and"
echo "report-2026-10.html (open it in a browser). Took $((SECONDS - started)) s."
