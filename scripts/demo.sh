#!/usr/bin/env bash
# make demo: the zero-config local PostgreSQL, the sample exports imported into it, and what it now holds.
set -euo pipefail
cd "$(dirname "$0")/.."
aws=(samples/aws-cur/2026-10/*)
azure=(samples/azure-cost/2026-10/*)
pc=(samples/partner-center/2026-10/*)
export PB_VAR_DIR=${PB_VAR_DIR:-var}
unset PB_DATABASE_URL PGHOST PGHOSTADDR PGDATABASE PGSERVICE PGUSER PGPORT

# from_store FOLDER: per partner account of the committed import of that sample folder (the default source
# of a store run: the first file's folder as a file:// URI), its exact list and billed cost, lines and names.
from_store() {
	bin/pb-db psql -X -q -P footer=off -v "src=file://$(realpath "$1")" <<'SQL'
SELECT u.partner_account_id, trim_scale(sum(u.list_cost)) AS list_cost,
	trim_scale(sum(u.billed_cost)) AS billed_cost, sum(u.line_count) AS lines,
	(SELECT string_agg(DISTINCT n.name, ', ') FROM pb.partner_account_name n
	  WHERE n.import_id = i.id AND n.partner_account_id = u.partner_account_id) AS name
	FROM pb.usage_daily u JOIN pb.import i ON i.id = u.import_id
	WHERE i.status = 'committed' AND i.billing_month = '2026-10-01' AND i.source = :'src'
	GROUP BY i.id, u.partner_account_id ORDER BY 1;
SQL
}

echo "== pb-db init && pb-db start && pb-db migrate   (a private cluster in $PB_VAR_DIR/pg, Unix socket only)"
bin/pb-db init
bin/pb-db start
# The demo leaves no server running behind it.
trap 'echo; echo "== pb-db stop"; bin/pb-db stop' EXIT
bin/pb-db migrate
echo
echo "== pb-ingest --format aws-cur ${aws[*]}"
bin/pb-ingest --format aws-cur --no-progress "${aws[@]}"
echo
echo "== pb-ingest --format azure-cost ${azure[*]}   (an EA cost-details export)"
bin/pb-ingest --format azure-cost --no-progress "${azure[@]}" 2>&1
echo
echo "== pb-ingest --format partner-center --month 2026-10 ${pc[*]}   (reconciliation JSON lines)"
bin/pb-ingest --format partner-center --month 2026-10 --no-progress "${pc[@]}"
echo
echo "== pb-ingest --history --month 2026-10"
bin/pb-ingest --history --month 2026-10
echo
echo "== AWS, per partner account, from the store (list and billed cost, exact)"
from_store "${aws[0]%/*}"
echo "== the same from the files alone: pb-ingest --format aws-cur --summary"
bin/pb-ingest --format aws-cur --summary --no-progress "${aws[@]}"
echo
echo "== Azure cost export, per subscription, from the store"
from_store "${azure[0]%/*}"
echo "== the same from the file alone: pb-ingest --format azure-cost --summary"
bin/pb-ingest --format azure-cost --summary --no-progress "${azure[@]}" 2>&1
echo
echo "== pb-accounts: the CLC accounts, their terms, and which partner accounts are theirs"
if ! bin/pb-accounts show ACME1 >/dev/null 2>&1; then
	bin/pb-accounts import samples/accounts/clc-accounts.csv --by demo
	for a in ACME1 GLOB2 INIT3; do
		bin/pb-accounts accept-terms "$a" --vendor centurylink --version 2026-01 --by demo
	done
	bin/pb-accounts accept-terms ACME1 --vendor azure --region US --version 2026-01 --by demo
	bin/pb-accounts accept-terms ACME1 --vendor aws --region US --version 2026-01 --by demo
	bin/pb-accounts accept-terms GLOB2 --vendor azure --region GB --version 2026-01 --by demo
	bin/pb-accounts accept-terms INIT3 --vendor azure --region US --version 2026-01 --by demo
fi
bin/pb-accounts list
echo "== pb-accounts check: ACME1 for azure, GLOB2 (a UK office) for aws, INIT3 (a reseller's customer) for azure"
bin/pb-accounts check ACME1 --vendor azure
bin/pb-accounts check GLOB2 --vendor aws || echo "(exit $?: refused)"
bin/pb-accounts check INIT3 --vendor azure || echo "(exit $?: refused)"
echo "== pb-accounts suggest --month 2026-10 --rules config/mapping-rules.example"
echo "   (names and tags are the customer's to write: a rule only proposes, a person approves)"
bin/pb-accounts suggest --month 2026-10 --rules config/mapping-rules.example
echo "== pb-accounts approve ID --by demo, for each open proposal"
for id in $(bin/pb-accounts proposals --status proposed | tail -n +2 | cut -d, -f1); do
	bin/pb-accounts approve "$id" --by demo || echo "(exit $?: refused, the proposal stays open)"
done
echo "== pb-accounts proposals   (each decision recorded: who, when)"
bin/pb-accounts proposals | cut -d, -f1-5,10,11
echo "== pb-accounts suggest --month 2026-10 --rules config/mapping-rules.example --apply"
echo "   (links only what the reseller assigned itself: the tenants create-azure-customer made)"
bin/pb-accounts suggest --month 2026-10 --rules config/mapping-rules.example --apply --by demo
echo "== Azure usage of 2026-10 per CLC account, attributed by usage date (pb.usage_attributed)"
bin/pb-db psql -X -q -P footer=off <<'SQL'
SELECT coalesce(a.alias, '(unmapped)') AS clc_account, a.vendor, trim_scale(sum(a.list_cost)) AS list_cost,
	trim_scale(sum(a.billed_cost)) AS billed_cost, sum(a.line_count) AS lines
	FROM pb.usage_attributed a WHERE a.billing_month = '2026-10-01' AND a.vendor = 'azure'
	GROUP BY 1, 2 ORDER BY 1, 2;
SQL
echo
echo "== Partner Center, per customer tenant, from the store"
from_store "${pc[0]%/*}"
echo "== the same from the file alone: pb-ingest --format partner-center --summary"
bin/pb-ingest --format partner-center --summary --no-progress "${pc[@]}"
