#!/usr/bin/env bash
# The demo's CLC accounts, their terms and their partner accounts (those scripts/demo_data.py writes), in the
# database pb-accounts uses. Used by make demo and by the jobs' tests; run from the repository's root with
# PB_BIN (default bin) holding the programs.
set -euo pipefail
B=${PB_BIN:-bin}
quiet() {
	local out
	if ! out=$("$@" 2>&1); then
		printf '%s\n' "$out" >&2
		return 1
	fi
}
# Each step is skipped when done, so that the demo can run again on the same database.
linked() {
	[ "$("$B/pb-db" psql -X -q -t -A -c "SELECT count(*) FROM pb.partner_account WHERE partner_account_id = '$1'")" != 0 ]
}
"$B/pb-accounts" show ACME1 >/dev/null 2>&1 || "$B/pb-accounts" import samples/accounts/clc-accounts.csv --by demo
"$B/pb-accounts" show BETA4 >/dev/null 2>&1 || "$B/pb-accounts" add BETA4 --name "Beta Analytics" --country US
if ! linked 111111111101; then
	for a in ACME1 BETA4 GLOB2 INIT3; do
		"$B/pb-accounts" accept-terms "$a" --vendor centurylink --version 2026-01 --by demo
	done
	for a in ACME1 BETA4 INIT3; do
		"$B/pb-accounts" accept-terms "$a" --vendor aws --region US --version 2026-01 --by demo
		"$B/pb-accounts" accept-terms "$a" --vendor azure --region US --version 2026-01 --by demo
	done
	"$B/pb-accounts" accept-terms GLOB2 --vendor azure --region GB --version 2026-01 --by demo
fi
# The partner accounts the exports name, linked from July; BETA4's Azure subscription from October 15.
for l in ACME1:aws:111111111101:2026-07-01 BETA4:aws:111111111102:2026-07-01 \
	ACME1:azure:6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01:2026-07-01 \
	GLOB2:azure:9a4d2e61-7c0b-4b95-8f3a-d2c6e1b0a947:2026-07-01 \
	BETA4:azure:0c7e9a14-52b3-4d8f-a1e6-3f9b2d7c5e88:2026-10-15; do
	IFS=: read -r a v p from <<<"$l"
	linked "$p" || quiet "$B/pb-accounts" link "$a" --vendor "$v" --partner-account "$p" --from "$from"
done
