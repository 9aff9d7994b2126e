#!/usr/bin/env bash
# End-to-end tests of `pb-aggregate estimate`: the month-end estimates of small series made here (fixtures.py
# writes the longer ones), checked to the cent, against the truth where the fixture knows it, and the errors
# with their FILE:LINE:COLUMN and exit status.
#
# Usage: tests/e2e/estimate/run.sh           runs bin/pb-aggregate of this work tree
#        PB_BIN=DIR tests/e2e/estimate/run.sh  runs DIR/pb-aggregate (a relative DIR is taken from the caller's
#                                              folder), e.g. a sanitizer build

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$HERE/../../lib.sh"
PB=$BIN/pb-aggregate
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pb-estimate.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
HEADER=series,month,as_of,month_to_date,estimate,low80,high80,low90,high90,method

if [ ! -x "$PB" ]; then
	notok "$PB is not an executable"
	pb_tests_done
	exit 1
fi
if ! python3 "$HERE/fixtures.py" "$TMP" 2>"$TMP/fixtures.err"; then
	notok "fixtures.py" "$(cat "$TMP/fixtures.err")"
	pb_tests_done
	exit 1
fi

# est ARG...: runs pb-aggregate estimate ARG... in TMP; OUT, ERR and RC are what it printed and returned.
est() {
	(cd "$TMP" && "$PB" estimate "$@") >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

# line SERIES: the output line of SERIES (a key without commas or quotes).
line() {
	grep "^$1," <<<"$OUT"
}

# col SERIES N: field N (1-based) of the line of SERIES.
col() {
	line "$1" | cut -d, -f"$2"
}

# within NAME GOT WANT PERCENT: ok when GOT is within PERCENT % of WANT.
within() {
	if python3 -c 'import sys; from decimal import Decimal as D; g, w, p = map(D, sys.argv[1:]); sys.exit(abs(g - w) > abs(w) * p / 100)' \
		"$2" "$3" "$4"; then
		ok "$1"
	else
		notok "$1" "got $2, want $3 within $4 %"
	fi
}

# ordered NAME SERIES: ok when low90 <= low80 <= estimate <= high80 <= high90 in the line of SERIES.
ordered() {
	if python3 -c 'import sys; from decimal import Decimal as D; v = [D(x) for x in sys.argv[1:]]; sys.exit(not (v[3] <= v[1] <= v[0] <= v[2] <= v[4]))' \
		"$(col "$2" 5)" "$(col "$2" 6)" "$(col "$2" 7)" "$(col "$2" 8)" "$(col "$2" 9)"; then
		ok "$1"
	else
		notok "$1" "$(line "$2")"
	fi
}

# days FIRST LAST SERIES CATEGORY AMOUNT: one row a day from FIRST through LAST.
days() {
	python3 -c '
import datetime, sys
d, last = (datetime.date.fromisoformat(x) for x in sys.argv[1:3])
while d <= last:
    print(f"{sys.argv[3]},{d},{sys.argv[4]},{sys.argv[5]}")
    d += datetime.timedelta(days=1)' "$@"
}

# minus A B: A - B, exactly.
minus() {
	python3 -c 'import sys; from decimal import Decimal as D; print(D(sys.argv[1]) - D(sys.argv[2]))' "$1" "$2"
}

# truth SERIES: the true month total of SERIES (fixtures.py).
truth() {
	awk -v s="$1" '$1 == s { print $2 }' "$TMP/truth"
}

# ---- a flat series: the daily rate times the days, to the cent -------------------------------------------

{
	echo "series,date,charge_category,amount"
	days 2025-12-01 2026-03-10 flat Usage 10.00
} >"$TMP/flat.csv"
est --as-of 2026-03-10 flat.csv
check "flat: exit 0, nothing on stderr" "0:" "$RC:$ERR"
check "flat: header" "$HEADER" "$(head -n 1 <<<"$OUT")"
check "flat: 100 to date, 31 days of 10.00" "flat,2026-03,2026-03-10,100,310.00,308.67,311.34,307.99,312.34,level" \
	"$(line flat)"
ordered "flat: intervals around the estimate" flat

# The same from standard input, rows in reverse order, each day's 10.00 in two rows.
{
	echo "series,date,charge_category,amount"
	{
		days 2025-12-01 2026-03-10 flat Usage 4.25
		days 2025-12-01 2026-03-10 flat Usage 5.75
	} | sort -r
} >"$TMP/flat-split.csv"
(cd "$TMP" && "$PB" estimate --as-of 2026-03-10 - <flat-split.csv) >"$TMP/stdin.out" 2>&1
check "flat from stdin, split and shuffled: the same figures" "$(cat "$TMP/out")" "$(cat "$TMP/stdin.out")"

# Other currencies: JPY has no decimals, BHD three.
est --as-of 2026-03-10 --minor-unit 0 flat.csv
check "flat: minor unit 0" "flat,2026-03,2026-03-10,100,310,309,311,308,312,level" "$(line flat)"
est --as-of 2026-03-10 --minor-unit 3 flat.csv
check "flat: minor unit 3" "flat,2026-03,2026-03-10,100,310.000,308.672,311.341,307.994,312.336,level" "$(line flat)"

# A constant day projects exactly the days left times that day, whatever its size: 10^12 a day was estimated at
# 31000000000000.21 (each day's forecast came back from its logarithm a hundredth or so off).
{
	echo "series,date,charge_category,amount"
	days 2025-12-01 2026-03-10 tera Usage 1000000000000
	days 2025-12-01 2026-03-10 cents Usage 1234567890123.45
} >"$TMP/large.csv"
est --as-of 2026-03-10 large.csv
check "constant days: the month to date plus 21 times the day, to the cent" \
	"0||12345678901234.5,38271604593826.95|10000000000000,31000000000000.00" \
	"$RC|$ERR|$(col cents 4),$(col cents 5)|$(col tera 4),$(col tera 5)"
# So up to the range of amounts (10^20): 2.981 x 10^18 a day is exact as of every day of the month; at 2.982 x 10^18
# the upper 90 % bound as of the 2nd leaves the range, and the series fails as a figure out of range would.
{
	echo "series,date,charge_category,amount"
	days 2025-12-01 2026-03-02 top Usage 2981000000000000000
} >"$TMP/top.csv"
sed 's/,2981/,2982/' "$TMP/top.csv" >"$TMP/over.csv"
est --as-of 2026-03-02 top.csv
check "constant days of 2.981 x 10^18: 31 of them, exactly" "0||5962000000000000000,92411000000000000000.00" \
	"$RC|$ERR|$(col top 4),$(col top 5)"
est --as-of 2026-03-02 over.csv
check "constant days of 2.982 x 10^18: an interval out of range, exit 1, nothing printed" \
	"1|pb-aggregate: over.csv: series 'top': the estimate leaves the range of amounts|" "$RC|$ERR|$OUT"

# ---- one-offs are counted once, never projected --------------------------------------------------------

{
	cat "$TMP/flat.csv"
	echo "flat,2026-03-05,Purchase,123.45"
} >"$TMP/purchase.csv"
est --as-of 2026-03-10 purchase.csv
check "purchase: month-to-date and estimate up by exactly 123.45" "223.45,433.45" "$(col flat 4),$(col flat 5)"
{
	cat "$TMP/flat.csv"
	echo "flat,2026-01-20,Purchase,500"
	echo "flat,2026-03-02,Credit,-0.1"
	echo "flat,2026-03-02,Tax,0.2"
} >"$TMP/oneoffs.csv"
est --as-of 2026-03-10 oneoffs.csv
check "one-offs: history ignored, the month's exact sum in month-to-date" "100.1,310.10" "$(col flat 4),$(col flat 5)"
check "one-offs: a past purchase widens the interval upwards" "1" \
	"$(python3 -c 'import sys; from decimal import Decimal as D; print(int(D(sys.argv[1]) > D("312.34")))' "$(col flat 9)")"

# A credit may come again as a purchase may: the intervals widen below the estimate, not above it.
{
	cat "$TMP/flat.csv"
	echo "flat,2026-03-05,Credit,-5000"
} >"$TMP/credit.csv"
est --as-of 2026-03-10 credit.csv
check "a credit: counted once, the intervals widen below the estimate" \
	"flat,2026-03,2026-03-10,-4900,-4690.00,-9690.46,-4688.70,-9694.36,-4679.84,level" "$(line flat)"

# ---- a weekly pattern: weekends lower -------------------------------------------------------------------

est --as-of 2026-03-12 weekly.csv
check "weekly: the figures" "weekly,2026-03,2026-03-12,1065.748,2636.02,2518.15,2757.42,2468.27,2809.70,weekly" \
	"$(line weekly)"
within "weekly: estimate within 5 % of the true total $(truth weekly)" "$(col weekly 5)" "$(truth weekly)" 5
ordered "weekly: intervals around the estimate" weekly

# ---- a workload that starts on the 12th, and one that steps up on the 12th -----------------------------

est --as-of 2026-03-20 step.csv
check "start: the figures" "new,2026-03,2026-03-20,445.0447,988.99,916.57,1057.61,895.62,1218.63,level" "$(line new)"
within "start: estimate within 3 % of the true total $(truth new)" "$(col new 5)" "$(truth new)" 3
check "step: the figures" "step,2026-03,2026-03-20,752.5337,1408.33,1370.53,1443.39,1354.62,1465.48,level" \
	"$(line step)"
within "step: estimate within 3 % of the true total $(truth step)" "$(col step 5)" "$(truth step)" 3

# ---- an outlier day: one day of 50 times the usual ------------------------------------------------------

est --as-of 2026-03-15 spike.csv
check "spike: the figures of the calm series" \
	"calm,2026-03,2026-03-15,456.081,938.23,917.90,963.97,908.95,971.73,level" "$(line calm)"
check "spike: the figures of the spiky one" \
	"spiky,2026-03,2026-03-15,1888.4735,2371.50,2329.94,2407.07,2325.25,3364.55,level" "$(line spiky)"
within "spike: the projection moves less than 2 %" \
	"$(minus "$(col spiky 5)" "$(col spiky 4)")" "$(minus "$(col calm 5)" "$(col calm 4)")" 2

# ---- a workload that runs all the time now, and came in bursts before ------------------------------------
# Before March, 0.01 a day with bursts of two or three days at 10,000; in March 10,000 every day. The estimate
# converts the log forecast of the current level back to amounts with the spread of that level's days alone:
# with the bursts' spread around the earlier levels too it projected twice March's days (631,005.22).
# bursty SERIES LOW HIGH: the series from 2025-12-01 through 2026-03-15.
bursty() {
	python3 -c '
import datetime, sys
d = datetime.date(2025, 12, 1)
for i in range(105):
    print(f"{sys.argv[1]},{d + datetime.timedelta(days=i)},Usage,{sys.argv[3] if i >= 90 or i * 7 % 11 < 3 else sys.argv[2]}")' "$@"
}
{
	echo "series,date,charge_category,amount"
	bursty bursty 0.01 10000
} >"$TMP/bursty.csv"
est --as-of 2026-03-15 bursty.csv
check "bursts before a steady level: the estimate is the level's days (150,000 + 16 x 10,000)" \
	"0|150000,310000.00,level" "$RC|$(col bursty 4),$(col bursty 5),$(col bursty 10)"

# The bursts stood out from 0.01 a day: drawn as spikes of their size on a level of 10,000, they made days of 10^10,
# and with amounts further apart (0.000001 and 10^9) intervals beyond the range of amounts, which failed the whole
# run of the month (exit 1, "the estimate of aws failed"). A simulated day is at most 100 times the window's
# largest: the 90 % interval was then 31,000,000,000.00 .. 625,083,387,235.72, 20 times the most the month could
# come to at its largest day. A spike of more than 100 times the level it stood out from, before the current
# level, is drawn at its size against the current level: a burst of 10^9 is a usual day of now.
{
	echo "series,date,charge_category,amount"
	bursty wild 0.000001 1000000000
} >"$TMP/wild.csv"
est --as-of 2026-03-15 wild.csv
check "bursts of 10^9 on 0.000001 a day: exit 0, intervals around 31 days of 10^9" \
	"0||wild,2026-03,2026-03-15,15000000000,31000000000.00,30241155101.31,32326524041.72,29879447070.96,34366991491.56,level" "$RC|$ERR|$(line wild)"

# A workload that ran on Sundays only (0.01 on the other days) and runs every day from the 2nd: Sundays stood 10^6
# times above their week, and the weekday factor learnt from them made each Sunday to come 10^6 times the level of
# now. The simulated days were cut at 100 times the largest day, the estimate was not: 20,000,290,000, far above
# its own intervals, and with 0.000001 and 10^9 (Sundays of 10^24) beyond the range of amounts (exit 1). No
# projected day is more than 100 times the largest day of the window: 150,000 + 14 x 10,000 + 2 x 1,000,000.
# sundays SERIES LOW HIGH: the series from 2025-12-01 through 2026-03-15.
sundays() {
	python3 -c '
import datetime, sys
d = datetime.date(2025, 12, 1)
while d <= datetime.date(2026, 3, 15):
    print(f"{sys.argv[1]},{d},Usage,{sys.argv[3] if d.weekday() == 6 or d.day >= 2 and d.month == 3 else sys.argv[2]}")
    d += datetime.timedelta(days=1)' "$@"
}
{
	echo "series,date,charge_category,amount"
	sundays sundays 0.01 10000
	sundays wilder 0.000001 1000000000
} >"$TMP/sundays.csv"
est --as-of 2026-03-15 sundays.csv
check "Sundays only, then every day: no day of the estimate above 100 times the largest day" \
	"0||150000,2290000.00,weekly|15000000000,229000000000.00,weekly" \
	"$RC|$ERR|$(col sundays 4),$(col sundays 5),$(col sundays 10)|$(col wilder 4),$(col wilder 5),$(col wilder 10)"
ordered "Sundays only, then every day: the estimate within its intervals" sundays

# ---- a final month --------------------------------------------------------------------------------------

est --as-of 2026-03-10 --final purchase.csv
check "final: every figure the month-to-date" "flat,2026-03,2026-03-10,223.45,223.45,223.45,223.45,223.45,223.45,final" \
	"$(line flat)"
{
	echo "series,date,charge_category,amount"
	days 2026-03-01 2026-03-31 whole Usage 0.333
} >"$TMP/whole.csv"
est --as-of 2026-03-31 whole.csv
check "the month's last day: final, rounded once" "whole,2026-03,2026-03-31,10.323,10.32,10.32,10.32,10.32,10.32,final" \
	"$(line whole)"

# ---- too little history --------------------------------------------------------------------------------

printf 'series,date,charge_category,amount\nnew,2026-03-10,Usage,30.00\n' >"$TMP/one-day.csv"
est --as-of 2026-03-10 one-day.csv
check "one day: short-history, the day's 30.00 for each of the 22 days, wide intervals" \
	"new,2026-03,2026-03-10,30,660.00,273.85,1131.52,227.60,1460.09,short-history" "$(line new)"
{
	echo "series,date,charge_category,amount"
	echo "credits,2026-03-03,Credit,-12.5"
	echo "gone,2025-12-01,Usage,5"
} >"$TMP/no-usage.csv"
est --as-of 2026-03-10 no-usage.csv
check "no usage to project" "$HEADER
credits,2026-03,2026-03-10,-12.5,-12.50,-12.50,-12.50,-12.50,-12.50,no-usage
gone,2026-03,2026-03-10,0,0.00,0.00,0.00,0.00,0.00,no-usage" "$OUT"

# ---- series keys: sorted bytewise, quoted when needed ---------------------------------------------------

cat >"$TMP/keys.csv" <<'EOF'
series,date,charge_category,amount
b,2026-03-01,Usage,1
"a,1",2026-03-01,Usage,1
A,2026-03-01,Usage,1
"a""q",2026-03-01,Usage,1
é,2026-03-01,Usage,1
"two
lines",2026-03-01,Usage,1
EOF
est --as-of 2026-03-01 --final keys.csv
check "keys: sorted bytewise and quoted" "$HEADER
A,2026-03,2026-03-01,1,1.00,1.00,1.00,1.00,1.00,final
\"a\"\"q\",2026-03,2026-03-01,1,1.00,1.00,1.00,1.00,1.00,final
\"a,1\",2026-03,2026-03-01,1,1.00,1.00,1.00,1.00,1.00,final
b,2026-03,2026-03-01,1,1.00,1.00,1.00,1.00,1.00,final
\"two
lines\",2026-03,2026-03-01,1,1.00,1.00,1.00,1.00,1.00,final
é,2026-03,2026-03-01,1,1.00,1.00,1.00,1.00,1.00,final" "$OUT"

# A key that a spreadsheet would run as a formula (= + - @, a tab or a CR first) gets a single quote before it, as
# in every CSV partnerbill writes.
printf 'series,date,charge_category,amount\n=1+2,2026-03-01,Usage,1\n+1,2026-03-01,Usage,1\n-1,2026-03-01,Usage,1\n@A1,2026-03-01,Usage,1\n"\tx",2026-03-01,Usage,1\n"\rx",2026-03-01,Usage,1\n' \
	>"$TMP/formula.csv"
est --as-of 2026-03-01 --final formula.csv
check "keys: one a spreadsheet would run as a formula starts with a single quote (tab and CR shown as T and R)" "$HEADER
'Tx,2026-03,2026-03-01,1,1.00,1.00,1.00,1.00,1.00,final
\"'Rx\",2026-03,2026-03-01,1,1.00,1.00,1.00,1.00,1.00,final
'+1,2026-03,2026-03-01,1,1.00,1.00,1.00,1.00,1.00,final
'-1,2026-03,2026-03-01,1,1.00,1.00,1.00,1.00,1.00,final
'=1+2,2026-03,2026-03-01,1,1.00,1.00,1.00,1.00,1.00,final
'@A1,2026-03,2026-03-01,1,1.00,1.00,1.00,1.00,1.00,final" "$(tr '\r\t' 'RT' <"$TMP/out")"

# ---- errors ---------------------------------------------------------------------------------------------

# error NAME WANT_RC WANT_STDERR ARG...: pb-aggregate estimate ARG... fails with that status and message, and
# writes nothing on stdout.
error() {
	local name=$1 rc=$2 msg=$3
	shift 3
	est "$@"
	check "$name" "$rc|$msg|" "$RC|$ERR|$OUT"
}

cat >"$TMP/in.csv" <<'EOF'
series,date,charge_category,amount
a,2026-03-01,Usage,1
a,2026-03-02,Usage,1
a,2026-03-03,Usage,1
a,2026-03-04,Usage,1
a,2026-03-05,Usage,1
a,2026-13-01,Usage,1
EOF
error "bad date" 1 'pb-aggregate: in.csv:7:3: bad date "2026-13-01"' --as-of 2026-03-10 in.csv
printf 'series,date,charge_category,amount\na,2026-03-11,Usage,1\n' >"$TMP/late.csv"
error "date after the as-of day" 1 'pb-aggregate: late.csv:2:3: date 2026-03-11 is after the as-of day 2026-03-10' \
	--as-of 2026-03-10 late.csv
printf 'series,date,charge_category,amount\nlong key,2025-11-30,Usage,1\n' >"$TMP/early.csv"
error "date more than 90 days before the month" 1 \
	'pb-aggregate: early.csv:2:10: date 2025-11-30 is more than 90 days before the month (2026-03)' \
	--as-of 2026-03-10 early.csv
# Year 0000 is written as any other year (PostgreSQL has none): a date in it is before the series' window, as
# 0001-01-01 is, and as --as-of 0000-02-29 is out of range; 10000-01-01 is no YYYY-MM-DD at all, as for --as-of.
printf 'series,date,charge_category,amount\na,0000-02-29,Usage,1\n' >"$TMP/zero.csv"
error "a date of year 0000: more than 90 days before the month, not a bad date" 1 \
	'pb-aggregate: zero.csv:2:3: date 0000-02-29 is more than 90 days before the month (2026-03)' \
	--as-of 2026-03-10 zero.csv
printf 'series,date,charge_category,amount\na,10000-01-01,Usage,1\n' >"$TMP/five.csv"
error "a date of a five-digit year: a bad date" 1 'pb-aggregate: five.csv:2:3: bad date "10000-01-01"' \
	--as-of 2026-03-10 five.csv
printf 'series,amount,date,charge_category\na,"1,5",2026-03-01,Usage\na,1e,2026-03-01,Usage\n' >"$TMP/amount.csv"
error "bad amounts, columns in any order" 1 "pb-aggregate: amount.csv:2:3: bad amount \"1,5\": unexpected character ','
pb-aggregate: amount.csv:3:3: bad amount \"1e\": exponent has no digits" --as-of 2026-03-10 amount.csv
# Amounts have 18 decimal places: one with more is rounded half-to-even, and said so (as pb-ingest says it), at the
# first of them: the month to date printed is that of the rounded amounts.
printf 'series,date,charge_category,amount\nr,2026-03-01,Usage,1\nr,2026-03-02,Usage,0.0000000000000000005\nr,2026-03-03,Usage,0.0000000000000000015\n' \
	>"$TMP/fine.csv"
est --as-of 2026-03-03 --final fine.csv
check "amounts of more than 18 decimal places: rounded half-to-even, a warning at the first with their count" \
	"0|pb-aggregate: fine.csv:3:20: warning: 2 amounts had more than 18 decimal places and were rounded half-to-even, the first here|r,2026-03,2026-03-03,1.000000000000000002,1.00,1.00,1.00,1.00,1.00,final" \
	"$RC|$ERR|$(line r)"
printf 'series,date,amount\n' >"$TMP/missing.csv"
error "missing column" 1 "pb-aggregate: missing.csv:1:1: no column 'charge_category'" --as-of 2026-03-10 missing.csv
printf 'series,date,charge_category,amount,note\n' >"$TMP/extra.csv"
error "extra column" 1 "pb-aggregate: extra.csv:1:36: unknown column 'note'" --as-of 2026-03-10 extra.csv
printf 'series,date,charge_category,amount\n,2026-03-01,Usage,1\na,2026-03-01,,1\na,2026-03-01,Usage\n' >"$TMP/empty.csv"
error "empty fields, a short record" 1 "pb-aggregate: empty.csv:2:1: empty series
pb-aggregate: empty.csv:3:14: empty charge_category
pb-aggregate: empty.csv:4:1: expected 4 fields, found 3" --as-of 2026-03-10 empty.csv
# A NUL byte in a series went into the output as it was: a series and a charge category are text as pb-ingest
# takes it, UTF-8 without NUL bytes, else refused at the field (pb-ingest's words).
printf 'series,date,charge_category,amount\na\0b,2026-03-01,Usage,1\nc,2026-03-01,Us\0age,1\nd\377,2026-03-01,Usage,1\ne,2026-03-01,Purchase\300,1\n' \
	>"$TMP/nul.csv"
error "a NUL byte or invalid UTF-8 in a series or a charge category" 1 "pb-aggregate: nul.csv:2:1: NUL byte in column 'series'
pb-aggregate: nul.csv:3:14: NUL byte in column 'charge_category'
pb-aggregate: nul.csv:4:1: invalid UTF-8 in column 'series'
pb-aggregate: nul.csv:5:14: invalid UTF-8 in column 'charge_category'" --as-of 2026-03-10 nul.csv
# " Usage" (a blank before it, as a CSV written with ", " between its fields has) was counted once, as a purchase,
# without a word: a charge category is compared as pb-ingest compares charge types, in any case and with nothing
# taken off, so a blank before or after one is refused. "usage" is Usage.
printf 'series,date,charge_category,amount\na,2026-03-01, Usage,1\na,2026-03-02,Usage ,1\na,2026-03-03,"\tUsage",1\n' \
	>"$TMP/blank-category.csv"
error "a charge category with a blank before or after it" 1 "pb-aggregate: blank-category.csv:2:14: bad charge_category \" Usage\": a blank before or after it
pb-aggregate: blank-category.csv:3:14: bad charge_category \"Usage \": a blank before or after it
pb-aggregate: blank-category.csv:4:14: bad charge_category \"\\x09Usage\": a blank before or after it" --as-of 2026-03-10 blank-category.csv
printf 'series,date,charge_category,amount\nu,2026-03-01,usage,10\nu,2026-03-02,USAGE,10\n' >"$TMP/usage-case.csv"
est --as-of 2026-03-02 usage-case.csv
check "usage and USAGE are Usage: projected" "0||20|310.00" "$RC|$ERR|$(col u 4)|$(col u 5)"
: >"$TMP/nothing.csv"
error "empty file" 1 \
	"pb-aggregate: nothing.csv:1:1: the file is empty: a header row series,date,charge_category,amount is needed" \
	--as-of 2026-03-10 nothing.csv
printf '\n\n' >"$TMP/blank.csv"
error "blank lines alone" 1 \
	"pb-aggregate: blank.csv:3:1: the file holds only blank lines (2): a header row series,date,charge_category,amount is needed" \
	--as-of 2026-03-10 blank.csv
error "no such file" 1 "pb-aggregate: cannot open 'absent.csv': No such file or directory" --as-of 2026-03-10 absent.csv
# A file of many series is read in constant memory when sorted by series (in batches of 10,000 series, each
# estimated and set aside on disk): 20,000 series with usage and a one-off each peak well below the 88 MB they
# took held whole (the bound is left out under the sanitizers, whose memory is their own). One that is not
# sorted is refused past 10,000 series, and so is a series out of order after a batch was set aside.
awk 'BEGIN { print "series,date,charge_category,amount"
	for (i = 0; i < 20000; i++) { k = sprintf("s%05d", i); print k ",2026-03-01,Usage,1.5"; print k ",2026-03-02,Purchase,-0.25" } }' \
	>"$TMP/many.csv"
if [ -x /usr/bin/time ] && ! grep -qa __asan_init "$PB"; then
	(cd "$TMP" && /usr/bin/time -f %M -o rss "$PB" estimate --final --as-of 2026-03-02 many.csv) >"$TMP/out" 2>"$TMP/err"
	RC=$?
	if [ "$(cat "$TMP/rss")" -lt 64000 ] 2>/dev/null; then
		ok "20,000 series sorted by series: peak memory under 64 MB"
	else
		notok "20,000 series sorted by series: peak memory under 64 MB" "peak $(cat "$TMP/rss") KB"
	fi
else
	(cd "$TMP" && "$PB" estimate --final --as-of 2026-03-02 many.csv) >"$TMP/out" 2>"$TMP/err"
	RC=$?
fi
check "20,000 series sorted by series: every line, in order" \
	"0||20001|s00000,2026-03,2026-03-02,1.25,1.25,1.25,1.25,1.25,1.25,final|s19999,2026-03,2026-03-02,1.25,1.25,1.25,1.25,1.25,1.25,final|20000" \
	"$RC|$(cat "$TMP/err")|$(wc -l <"$TMP/out")|$(sed -n 2p "$TMP/out")|$(tail -n 1 "$TMP/out")|$(tail -n +2 "$TMP/out" | sort -c && tail -n +2 "$TMP/out" | cut -d, -f1 | uniq | wc -l)"
echo 's00001,2026-03-02,Usage,1' >>"$TMP/many.csv"
error "a series out of order after 10,000 were set aside" 1 \
	"pb-aggregate: many.csv:40002:1: series 's00001' comes after series 's19999': a file of more than 10000 series must be sorted by series (byte order: LC_ALL=C sort)" \
	--final --as-of 2026-03-02 many.csv
(head -n 1 "$TMP/many.csv" && sed '1d;$d' "$TMP/many.csv" | tac) >"$TMP/unsorted.csv"
error "more than 10,000 series not sorted by series" 1 \
	"pb-aggregate: unsorted.csv:20002:1: more than 10000 series in a file not sorted by series: sort it by series (byte order: LC_ALL=C sort) to estimate any number" \
	--final --as-of 2026-03-02 unsorted.csv
error "usage: no --as-of" 2 "pb-aggregate: estimate: --as-of YYYY-MM-DD is required
Try 'pb-aggregate estimate --help'." in.csv
error "usage: a bad --as-of" 2 "pb-aggregate: estimate: --as-of takes YYYY-MM-DD, not '2026-03-1'
Try 'pb-aggregate estimate --help'." --as-of 2026-03-1 in.csv
error "usage: a bad --minor-unit" 2 "pb-aggregate: estimate: --minor-unit takes a number of decimals 0..18, not '-1'
Try 'pb-aggregate estimate --help'." --as-of 2026-03-10 --minor-unit -1 in.csv
error "usage: no FILE" 2 "pb-aggregate: estimate: a FILE to read is required ('-': standard input)
Try 'pb-aggregate estimate --help'." --as-of 2026-03-10
error "usage: an unknown option" 2 "pb-aggregate: estimate: unknown option '--month'
Try 'pb-aggregate estimate --help'." --as-of 2026-03-10 --month 2026-03 in.csv
"$PB" frobnicate >"$TMP/out" 2>"$TMP/err"
check "usage: an unknown command is an unexpected argument" "2|pb-aggregate: unexpected argument 'frobnicate'
Try 'pb-aggregate --help'." "$?|$(cat "$TMP/err")"
est --help
check "estimate --help: the usage on stdout, exit 0" "0|usage: pb-aggregate estimate --as-of YYYY-MM-DD [--final] [--minor-unit N] FILE" \
	"$RC|$(head -n 1 <<<"$OUT")"

pb_tests_done
