#!/usr/bin/env bash
# End-to-end tests of `pb-ingest --format azure-cost` (Azure cost details CSV: EA, MCA and CSP partner
# schemas): summaries and warnings compared with the golden files in expected/, which expected.py computes
# from the contract alone, and the error cases in the folders beside this script compared with their golden
# stderr and exit status. The MCA and CSP fixtures' paygCostInBillingCurrency is checked to be PayGPrice x
# Quantity x exchangeRatePricingToBilling (rounded half-to-even to 18 places), and each such line, with that
# column emptied, to give the same list cost through pb-ingest's own product.
#
# Usage: tests/e2e/azure/run.sh                  runs bin/pb-ingest of this work tree
#        PB_BIN=DIR tests/e2e/azure/run.sh       runs DIR/pb-ingest (a relative DIR is taken from the caller's
#                                                folder), e.g. a sanitizer build elsewhere
#        tests/e2e/azure/run.sh --regenerate     rewrites expected/ from expected.py (after changing a fixture)
#
# expected/NAME.summary.csv and NAME.daily.csv are the --summary and --summary=daily output of the fixture
# tests/fixtures/azure-cost/NAME.csv; expected/NAME.stderr its warnings. A golden stderr is matched line for
# line in any order; a golden line ending in `<detail>` matches a line that starts with the text before it and
# has something after it. An error case folder holds `args` (one argument a line), `expected.status`,
# `expected.stderr` and its input files; every error case expects an empty stdout.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$HERE/../../lib.sh"
FIXTURES=$ROOT/tests/fixtures/azure-cost
EXPECTED=$HERE/expected
GOOD=(ea-basic mca-basic csp-basic mca-unknown-type)

if [ "${1:-}" = --regenerate ]; then
	mkdir -p "$EXPECTED"
	for f in "${GOOD[@]}"; do
		python3 "$HERE/expected.py" --summary "$FIXTURES/$f.csv" >"$EXPECTED/$f.summary.csv" &&
			python3 "$HERE/expected.py" --summary=daily "$FIXTURES/$f.csv" >"$EXPECTED/$f.daily.csv" &&
			python3 "$HERE/expected.py" --stderr "$FIXTURES/$f.csv" >"$EXPECTED/$f.stderr" || exit 1
	done
	echo "expected/ rewritten for: ${GOOD[*]}"
	exit 0
fi

pb_e2e_start azure-e2e
CHECK_RUN_REPORT_LINES=60

# match_stderr GOLDEN ACTUAL: the same number of lines, each golden line matched by a different actual line,
# in any order: exact lines first, then `<detail>` prefixes. ACTUAL must end with a line end.
match_stderr() {
	python3 - "$1" "$2" <<'EOF'
import sys
want = open(sys.argv[1], 'rb').read().decode('utf-8', 'replace').splitlines()
raw = open(sys.argv[2], 'rb').read()
if raw and not raw.endswith(b'\n'):
    sys.exit(1)
got = raw.decode('utf-8', 'replace').splitlines()
if len(want) != len(got):
    sys.exit(1)
left = list(got)
for w in sorted(want, key=lambda w: w.endswith('<detail>')):
    if w.endswith('<detail>'):
        prefix = w[:-len('<detail>')]
        hit = next((g for g in left if g.startswith(prefix) and len(g) > len(prefix)), None)
    else:
        hit = w if w in left else None
    if hit is None:
        sys.exit(1)
    left.remove(hit)
EOF
}

# stderr_differs GOLDEN ACTUAL: nothing when ACTUAL matches GOLDEN (see match_stderr; an empty GOLDEN means
# nothing on stderr), else both.
stderr_differs() {
	match_stderr "$1" "$2" && return
	echo "stderr differs (expected, in any order; then got):"
	sed 's/^/  want: /' "$1"
	sed 's/^/  got:  /' "$2"
}

# ---- the golden files are what expected.py computes ----------------------------------------------------

for f in "${GOOD[@]}"; do
	want "$f.summary.csv" --summary "$FIXTURES/$f.csv"
	want "$f.daily.csv" --summary=daily "$FIXTURES/$f.csv"
	want "$f.stderr" --stderr "$FIXTURES/$f.csv"
done

# Inputs made of several files, computed at test time.
ALL=()
ALL_FIX=()
for f in "${GOOD[@]}"; do
	ALL+=("$f.csv")
	ALL_FIX+=("$FIXTURES/$f.csv")
done
want all.daily.csv --summary=daily "${ALL_FIX[@]}"
want all.summary.csv --summary "${ALL_FIX[@]}"
want all.stderr --stderr "${ALL_FIX[@]}"
for f in ea-basic mca-basic csp-basic; do
	want "$f-twice.summary.csv" --summary "$FIXTURES/$f.csv" "$FIXTURES/$f.csv"
	want "$f-twice.daily.csv" --summary=daily "$FIXTURES/$f.csv" "$FIXTURES/$f.csv"
	want "$f-twice.stderr" --stderr "$FIXTURES/$f.csv" "$FIXTURES/$f.csv"
done
# The fixtures' own pay-as-you-go costs are Microsoft's product: on every line of an MCA or CSP fixture with
# both paygCostInBillingCurrency and PayGPrice, PayGPrice x Quantity x exchangeRatePricingToBilling rounded
# half-to-even to 18 places is paygCostInBillingCurrency exactly (and PayGPrice x Quantity is paygCostInUsd
# when the line has that and prices in USD). Each such line whose list cost the product gives (not one of the
# zero-price lines that have no list price without a paygCost) is also written out twice, for the checks
# below: as it is (PAYG/NAME-rN.csv) and with paygCostInBillingCurrency emptied (PAYG/NAME-rN-computed.csv).
PAYG=$TMP/payg
mkdir -p "$PAYG"
if python3 - "$PAYG" "$FIXTURES"/*.csv >"$TMP/payg.list" 2>"$TMP/payg.err" <<'EOF'; then
import csv, decimal, os, sys

ctx = decimal.Context(prec=400, rounding=decimal.ROUND_HALF_EVEN, traps=[decimal.InvalidOperation])
D = decimal.Decimal
out, paths = sys.argv[1], sys.argv[2:]
bad, checked, usd = [], 0, 0
for path in paths:
    with open(path, encoding='utf-8-sig', newline='') as f:
        rows = list(csv.reader(f, strict=True))
    header = [h.lower() for h in rows[0]]
    if 'paygcostinbillingcurrency' not in header:
        continue
    name = os.path.basename(path)[:-len('.csv')]
    c = {h: i for i, h in enumerate(header)}
    for n, row in enumerate(rows[1:], start=2):
        v = dict(zip(header, row))
        cost, price = v['paygcostinbillingcurrency'], v.get('paygprice', '')
        if cost == '' or price == '':
            continue
        rate = D(v['exchangeratepricingtobilling'] or '1')
        want = ctx.multiply(ctx.multiply(D(price), D(v['quantity'])), rate).quantize(D(1).scaleb(-18), context=ctx)
        checked += 1
        if want != D(cost):
            bad.append('%s record %d: PayGPrice x Quantity x rate is %s, paygCostInBillingCurrency %s' %
                       (name, n, want, cost))
        if v.get('paygcostinusd', '') != '' and v.get('pricingcurrency') == 'USD':
            usd += 1
            if ctx.multiply(D(price), D(v['quantity'])) != D(v['paygcostinusd']):
                bad.append('%s record %d: PayGPrice x Quantity is not paygCostInUsd %s' %
                           (name, n, v['paygcostinusd']))
        no_list = D(price).is_zero() and (
            v.get('publishertype') == 'Marketplace' or
            (v.get('pricingmodel') in ('Reservation', 'Reservations', 'SavingsPlan') and
             v['chargetype'].lower() in ('purchase', 'refund')))
        if no_list:
            continue
        for suffix, empty in (('', False), ('-computed', True)):
            r = list(row)
            if empty:
                r[c['paygcostinbillingcurrency']] = ''
            with open(os.path.join(out, '%s-r%d%s.csv' % (name, n, suffix)), 'w', newline='') as f:
                csv.writer(f, lineterminator='\n').writerows([rows[0], r])
        print('%s-r%d' % (name, n))
for b in bad:
    print(b, file=sys.stderr)
print('%d lines with paygCostInBillingCurrency and PayGPrice, %d with paygCostInUsd' % (checked, usd),
      file=sys.stderr)
sys.exit(1 if bad or checked == 0 else 0)
EOF
	ok "fixtures: paygCostInBillingCurrency is PayGPrice x Quantity x exchangeRatePricingToBilling, to 18 places ($(tail -n 1 "$TMP/payg.err"))"
else
	notok "fixtures: paygCostInBillingCurrency is PayGPrice x Quantity x exchangeRatePricingToBilling, to 18 places"
	sed 's/^/#   /' "$TMP/payg.err"
fi
mapfile -t PAYG_ROWS <"$TMP/payg.list"
for r in "${PAYG_ROWS[@]}"; do
	# The line as it is, computed by expected.py: its list cost is its paygCostInBillingCurrency.
	want "payg-$r.daily.csv" --summary=daily "$PAYG/$r.csv"
	want "payg-$r-computed.stderr" --stderr "$PAYG/$r-computed.csv"
done
pb_want_compute "$HERE/expected.py"
for f in "${GOOD[@]}"; do
	for kind in summary.csv daily.csv stderr; do
		if cmp -s "$E/$f.$kind" "$EXPECTED/$f.$kind"; then
			ok "expected/$f.$kind is what expected.py computes"
		else
			notok "expected/$f.$kind is what expected.py computes (run.sh --regenerate after changing a fixture)"
			diff -u --label committed --label computed "$EXPECTED/$f.$kind" "$E/$f.$kind" 2>&1 |
				head -n 20 | sed 's/^/#   /'
		fi
	done
done

# Never de-duplicated: twice the file is twice every amount and line count, by itself as well.
if python3 - "$EXPECTED/ea-basic.daily.csv" "$E/ea-basic-twice.daily.csv" <<'EOF'; then
import csv, decimal, sys
one = list(csv.reader(open(sys.argv[1])))
two = list(csv.reader(open(sys.argv[2])))
assert len(one) == len(two) and one[0] == two[0]
for a, b in zip(one[1:], two[1:]):
    assert a[:9] == b[:9], (a, b)
    for i in (9, 10):
        assert (a[i] == '' and b[i] == '') or decimal.Decimal(a[i]) * 2 == decimal.Decimal(b[i]), (a, b)
    assert int(a[11]) * 2 == int(b[11]), (a, b)
EOF
	ok "expected.py: ea-basic twice is every amount and line count doubled"
else
	notok "expected.py: ea-basic twice is every amount and line count doubled"
fi

# ---- inputs made at test time --------------------------------------------------------------------------

V=$TMP/variants
mkdir -p "$V"
cp "$FIXTURES"/*.csv "$V"/
for f in "${GOOD[@]}"; do
	gzip -c "$FIXTURES/$f.csv" >"$V/$f.csv.gz"
	# The same warnings, naming the gzip file.
	sed "s/^pb-ingest: $f\\.csv: /pb-ingest: $f.csv.gz: /" "$EXPECTED/$f.stderr" >"$TMP/$f.gz.stderr"
done
# A file given once plain and once gzipped: the warnings of each.
cat "$EXPECTED/ea-basic.stderr" "$TMP/ea-basic.gz.stderr" >"$TMP/ea-basic-plain-gz.stderr"

# ---- summaries of good inputs --------------------------------------------------------------------------

for f in "${GOOD[@]}"; do
	check_run "$f --summary" 0 "$EXPECTED/$f.summary.csv" "$EXPECTED/$f.stderr" "$V" /dev/null \
		--format azure-cost --summary "$f.csv"
	check_run "$f --summary=daily" 0 "$EXPECTED/$f.daily.csv" "$EXPECTED/$f.stderr" "$V" /dev/null \
		--format azure-cost --summary=daily "$f.csv"
	check_run "$f gzip --summary" 0 "$EXPECTED/$f.summary.csv" "$TMP/$f.gz.stderr" "$V" /dev/null \
		--format azure-cost --summary "$f.csv.gz"
	check_run "$f gzip --summary=daily" 0 "$EXPECTED/$f.daily.csv" "$TMP/$f.gz.stderr" "$V" /dev/null \
		--format azure-cost --summary=daily "$f.csv.gz"
done
check_run "ea-basic --summary=accounts is --summary" 0 "$EXPECTED/ea-basic.summary.csv" "$EXPECTED/ea-basic.stderr" \
	"$V" /dev/null --format azure-cost --summary=accounts ea-basic.csv

for f in ea-basic mca-basic csp-basic; do
	check_run "$f twice --summary: never de-duplicated" 0 "$E/$f-twice.summary.csv" "$E/$f-twice.stderr" \
		"$V" /dev/null --format azure-cost --summary --no-progress "$f.csv" "$f.csv"
	check_run "$f twice --summary=daily: never de-duplicated" 0 "$E/$f-twice.daily.csv" "$E/$f-twice.stderr" \
		"$V" /dev/null --format azure-cost --summary=daily --no-progress "$f.csv" "$f.csv"
done
check_run "ea-basic plain and gzip --summary=daily: never de-duplicated" 0 "$E/ea-basic-twice.daily.csv" \
	"$TMP/ea-basic-plain-gz.stderr" "$V" /dev/null --format azure-cost --summary=daily --no-progress \
	ea-basic.csv ea-basic.csv.gz

ALL_REV=()
for ((i = ${#ALL[@]} - 1; i >= 0; i--)); do ALL_REV+=("${ALL[i]}"); done
check_run "EA, MCA and CSP files together --summary=daily" 0 "$E/all.daily.csv" "$E/all.stderr" \
	"$V" /dev/null --format azure-cost --summary=daily --no-progress "${ALL[@]}"
check_run "EA, MCA and CSP files together, reverse order --summary" 0 "$E/all.summary.csv" "$E/all.stderr" \
	"$V" /dev/null --format azure-cost --summary --no-progress "${ALL_REV[@]}"
check_run "csp-basic gzip on stdin --summary=daily" 0 "$EXPECTED/csp-basic.daily.csv" nonempty \
	"$V" "$V/csp-basic.csv.gz" --format azure-cost --summary=daily -

# A line with paygCostInBillingCurrency emptied: pb-ingest's PayGPrice x Quantity x rate is the very list cost
# the line gives with it.
((${#PAYG_ROWS[@]} >= 7)) || notok "at least 7 fixture lines with paygCostInBillingCurrency to compute (${#PAYG_ROWS[@]})"
for r in "${PAYG_ROWS[@]}"; do
	check_run "$r with paygCostInBillingCurrency emptied: the same list cost from PayGPrice x Quantity x rate" 0 \
		"$E/payg-$r.daily.csv" "$E/payg-$r-computed.stderr" "$PAYG" /dev/null \
		--format azure-cost --summary=daily "$r-computed.csv"
done

# Azure GUIDs in capitals are the same account as in lowercase (links keep them in lowercase); an id that is
# not a GUID is refused (see the error case not-a-guid).
mkdir -p "$TMP/case"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity' \
	'6B1F3C2A-8D4E-4F7A-9B2C-1E5D7A9C3F01,10/01/2026,Usage,USD,1.5,2,1' \
	'6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/01/2026,Usage,USD,2.25,3,1' >"$TMP/case/case.csv"
printf '%s\n' 'partner_account_id,list_cost,billed_cost' '6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,5,3.75' \
	>"$TMP/case/case.summary.csv"
check_run "a subscription GUID in capitals is the same account in lowercase" 0 "$TMP/case/case.summary.csv" empty \
	"$TMP/case" /dev/null --format azure-cost --summary case.csv

# An exchange rate of 0 (or below) from the pricing currency is no rate: PayGPrice x Quantity x 0 was a list
# cost of 0, and the customer, billed at list, paid nothing for the line. It has no list price now (billed at
# its billed cost, and counted).
mkdir -p "$TMP/rate0"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,pricingCurrency,exchangeRatePricingToBilling' \
	'6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/01/2026,Usage,EUR,1.5,2,1,USD,0' \
	'6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/02/2026,Usage,EUR,1.5,2,1,USD,-0.9' \
	'6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/03/2026,Usage,EUR,2.25,3,1,USD,0.9' >"$TMP/rate0/rate0.csv"
printf '%s\n' 'partner_account_id,list_cost,billed_cost' '6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,2.7,5.25' \
	>"$TMP/rate0/rate0.summary.csv"
printf '%s\n' 'pb-ingest: rate0.csv: warning: 2 lines have no list price; their list cost is left empty' \
	>"$TMP/rate0/rate0.stderr"
check_run "an exchange rate of 0 or below gives no list price, not a list cost of 0" 0 "$TMP/rate0/rate0.summary.csv" \
	"$TMP/rate0/rate0.stderr" "$TMP/rate0" /dev/null --format azure-cost --summary rate0.csv

# ---- error cases ---------------------------------------------------------------------------------------

pb_e2e_error_cases "$HERE"

pb_tests_done
