#!/usr/bin/env bash
# make demo: the zero-config local PostgreSQL, the sample exports imported into it, and what it now holds.
set -euo pipefail
cd "$(dirname "$0")/.."
files=(samples/aws-cur/2026-10/*)
export PB_VAR_DIR=${PB_VAR_DIR:-var}
unset PB_DATABASE_URL PGHOST PGHOSTADDR PGDATABASE PGSERVICE PGUSER PGPORT

echo "== pb-db init && pb-db start && pb-db migrate   (a private cluster in $PB_VAR_DIR/pg, Unix socket only)"
bin/pb-db init
bin/pb-db start
# The demo leaves no server running behind it.
trap 'echo; echo "== pb-db stop"; bin/pb-db stop' EXIT
bin/pb-db migrate
echo
echo "== pb-ingest --format aws-cur ${files[*]}"
bin/pb-ingest --format aws-cur --no-progress "${files[@]}"
echo
echo "== pb-ingest --history --month 2026-10"
bin/pb-ingest --history --month 2026-10
echo
echo "== per partner account, from the store (list and billed cost, exact)"
bin/pb-db psql -X -q -P footer=off -c "SELECT u.partner_account_id, trim_scale(sum(u.list_cost)) AS list_cost,
	trim_scale(sum(u.billed_cost)) AS billed_cost, sum(u.line_count) AS lines
	FROM pb.usage_daily u JOIN pb.import i ON i.id = u.import_id
	WHERE i.status = 'committed' AND i.billing_month = '2026-10-01' GROUP BY 1 ORDER BY 1"
echo "== the same from the files alone: pb-ingest --format aws-cur --summary"
bin/pb-ingest --format aws-cur --summary --no-progress "${files[@]}"
