#!/usr/bin/env bash
# Integration tests of pb-invoice against a throwaway PostgreSQL cluster: the draft, a month refused until its
# data is final, the issue (lines rounded once, half away from zero, in USD, JPY and BHD, both signs, parts
# by largest remainder), the export and detail files byte for byte, issuing twice, an issued month that
# refuses to change (also through plain SQL), a late credit that becomes one adjustment on the next month's
# invoice and only there, --diff, and --force with its recorded reason.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBI=$BIN/pb-ingest
PBA=$BIN/pb-aggregate
PBC=$BIN/pb-accounts
PBV=$BIN/pb-invoice

pb_test_tmp invoice
pb_on_exit pb_test_cleanup
export PB_PRICING_CONFIG=$ROOT/config/pricing.conf PB_ELIGIBILITY_CONFIG=$ROOT/config/eligibility.conf
pb_test_cluster_start
OUT=$TMP/invoices
# The folder the issues write to is there from the start: a refused issue leaves no folder it made.
mkdir -p "$OUT"

H=bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date
H=$H,line_item_currency_code,line_item_unblended_cost,pricing_public_on_demand_cost,product_product_name
# cur MONTH FILE LINE...: a CUR 2.0 file of the month; each LINE is "ACCOUNT TYPE DAY BILLED LIST SERVICE".
cur() {
	local month=$1 file=$2 a t d b l s
	shift 2
	mkdir -p "$(dirname "$file")"
	{
		echo "$H"
		for x in "$@"; do
			read -r a t d b l s <<<"$x"
			[ "$l" == - ] && l=
			printf '%s-01T00:00:00Z,%s,%s,%s-%02dT01:00:00Z,USD,%s,%s,%s\n' "$month" "$a" "$t" "$month" "$d" "$b" "$l" "$s"
		done
	} >"$file"
}
# over ARG...: runs ARG... on a day after every month the suite bills (PB_TEST_TODAY, a test build's): its months run
# into 2027, and pb-ingest takes --final only for a month that has ended.
over() { PB_TEST_TODAY=2028-01-01 "$@"; }
cur 2026-10 "$TMP/oct/cur.csv" \
	"100000000001 Usage 2 3 3.333 EC2" \
	"100000000002 Usage 3 1 1 EC2" "100000000002 Credit 4 -3.005 - EC2" \
	"100000000003 Usage 5 0.5 0.67 EC2" "100000000004 Credit 5 -0.67 - EC2" \
	"100000000005 Usage 6 1 1.25125 EC2" "100000000006 Credit 6 -1.25125 - EC2" \
	"100000000007 Usage 7 1 1 EC2" "100000000008 Usage 7 2 2 EC2"
mkdir -p "$TMP/oct-azure"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory' \
	'6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/02/2026,Usage,USD,6,6.672,1,Virtual Machines' >"$TMP/oct-azure/cost.csv"

cat >"$TMP/accounts.csv" <<'CSV'
alias,name,billing_country
ACME1,Acme,US
NEG1,Negative Co,US
JP1,Yen Co,US
JP2,Yen Credit Co,US
BH1,Dinar Co,US
BH2,Dinar Credit Co,US
FORM1,"=HYPERLINK(""http://evil.example"",""click"")",US
FORM2,@SUM(A1:A2),US
CSV
{
	"$PBC" import "$TMP/accounts.csv" --by test
	for a in ACME1 NEG1 JP1 JP2 BH1 BH2 FORM1 FORM2; do
		"$PBC" accept-terms $a --vendor centurylink --version 1 --by test
		"$PBC" accept-terms $a --vendor aws --region US --version 1 --by test
	done
	"$PBC" accept-terms ACME1 --vendor azure --region US --version 1 --by test
	n=1
	for a in ACME1 NEG1 JP1 JP2 BH1 BH2 FORM1 FORM2; do
		"$PBC" link $a --vendor aws --partner-account "10000000000$n" --from 2026-01-01 --by test
		n=$((n + 1))
	done
	"$PBC" link ACME1 --vendor azure --partner-account 6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01 --from 2026-01-01 --by test
} >"$TMP/setup.log" 2>&1 || notok "set up the accounts" "$(cat "$TMP/setup.log")"
pb_sql "UPDATE pb.clc_account SET invoice_currency = 'JPY' WHERE alias IN ('JP1', 'JP2');
	UPDATE pb.clc_account SET invoice_currency = 'BHD' WHERE alias IN ('BH1', 'BH2')" >/dev/null
printf 'month,from,to,rate\n2026-10,USD,JPY,150\n2026-10,USD,BHD,0.4\n' >"$TMP/rates.csv"
"$PBA" rates --load "$TMP/rates.csv" >/dev/null || notok "load the rates"

"$PBI" --format aws-cur --no-progress "$TMP/oct/cur.csv" >/dev/null 2>&1 || notok "ingest October"
"$PBI" --format azure-cost --no-progress --final "$TMP/oct-azure/cost.csv" >/dev/null 2>&1 || notok "ingest Azure"
"$PBA" --month 2026-10 --detail >/dev/null 2>&1 || notok "aggregate October"

# ---- the draft, and a month that is not final -------------------------------------------------------------------
"$PBV" --month 2026-10 --draft >"$TMP/draft.csv" 2>"$TMP/err"
check "--draft: the lines, rounded once half away from zero (ties both signs in USD, JPY, BHD), parts by largest remainder, formulas neutralized" \
	"0|invoice_number,billing_period_start,billing_period_end,line,account_alias,account_name,line_item,line_type,corrects_period_start,currency,amount,aws_amount,azure_amount
DRAFT-2026-10,2026-10-01,2026-10-31,1,ACME1,Acme,CenturyLink Cloud 1.0,charge,,USD,10.01,3.34,6.67
DRAFT-2026-10,2026-10-01,2026-10-31,2,BH1,Dinar Co,CenturyLink Cloud 1.0,charge,,BHD,0.501,0.501,0.000
DRAFT-2026-10,2026-10-01,2026-10-31,3,BH2,Dinar Credit Co,CenturyLink Cloud 1.0,credit,,BHD,-0.501,-0.501,0.000
DRAFT-2026-10,2026-10-01,2026-10-31,4,FORM1,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",CenturyLink Cloud 1.0,charge,,USD,1.00,1.00,0.00
DRAFT-2026-10,2026-10-01,2026-10-31,5,FORM2,'@SUM(A1:A2),CenturyLink Cloud 1.0,charge,,USD,2.00,2.00,0.00
DRAFT-2026-10,2026-10-01,2026-10-31,6,JP1,Yen Co,CenturyLink Cloud 1.0,charge,,JPY,101,101,0
DRAFT-2026-10,2026-10-01,2026-10-31,7,JP2,Yen Credit Co,CenturyLink Cloud 1.0,credit,,JPY,-101,-101,0
DRAFT-2026-10,2026-10-01,2026-10-31,8,NEG1,Negative Co,CenturyLink Cloud 1.0,credit,,USD,-2.01,-2.01,0.00|" \
	"$?|$(tr -d '\r' <"$TMP/draft.csv")|$(cat "$TMP/err")"
check "the export has CR LF line ends (RFC 4180)" "9" "$(grep -c $'\r$' "$TMP/draft.csv")"
# A name holding a right-to-left override (U+202E, stored by an older build or by hand) showed the rest of its
# line reversed in a spreadsheet or a browser, and U+2028 broke it: the CSV, the FOCUS file and the report write
# each format character as \uHHHH; the stored name stays as it is.
pb_sql "UPDATE pb.clc_account SET name = E'Neg\u202Eoc evita\u2028' WHERE alias = 'NEG1'" >/dev/null
"$PBV" --month 2026-10 --draft >"$TMP/fmt.csv" 2>"$TMP/err" &&
	"$PBV" --month 2026-10 --focus "$TMP/fmt-focus.csv" >/dev/null 2>>"$TMP/err" &&
	"$PBV" --month 2026-10 --report "$TMP/fmt.html" >/dev/null 2>>"$TMP/err"
check "a name's format characters: \\uHHHH in the CSV, the FOCUS file and the report, stored as it was" \
	"0|DRAFT-2026-10,2026-10-01,2026-10-31,8,NEG1,Neg\\u202eoc evita\\u2028,CenturyLink Cloud 1.0,credit,,USD,-2.01,-2.01,0.00|0|<td>NEG1</td><td>Neg\\u202eoc evita\\u2028</td>|0|t" \
	"$?|$(grep NEG1 "$TMP/fmt.csv" | tr -d '\r')|$(grep -c $'\u202e\|\u2028' "$TMP/fmt-focus.csv")|$(grep -o '<td>NEG1</td><td>[^<]*</td>' "$TMP/fmt.html")|$(grep -c $'\u202e\|\u2028' "$TMP/fmt.html")|$(pb_sql "SELECT name = E'Neg\u202Eoc evita\u2028' FROM pb.clc_account WHERE alias = 'NEG1'")"
check "the FOCUS file names the account as the CSV does, on each of its two rows" "2|2" "$(grep -c ",NEG1," "$TMP/fmt-focus.csv")|$(grep -c 'Neg\\u202eoc evita\\u2028' "$TMP/fmt-focus.csv")"
# HTML shows a run of blanks or a line break as one blank: a name holding two blanks (which pb-accounts takes)
# or a line break showed in the report as another name, another account's perhaps. The report's cells keep
# their text's blanks and line breaks, so that a browser shows each name as stored (read back from Chromium).
if command -v chromium >/dev/null 2>&1; then
	pb_sql "UPDATE pb.clc_account SET name = E'Negative  Co\nLtd' WHERE alias = 'NEG1'" >/dev/null
	"$PBV" --month 2026-10 --report "$TMP/ws.html" >/dev/null 2>"$TMP/err"
	st=$?
	cat >"$TMP/ws-view.html" <<'HTML'
<!DOCTYPE html><html><body><iframe id="f" src="ws.html"></iframe><script>
document.getElementById("f").onload = function () {
	var out = [];
	this.contentDocument.querySelectorAll("tr").forEach(function (tr) {
		if (tr.cells.length > 2 && tr.cells[1].innerText === "NEG1") out.push(tr.cells[2].innerText);
	});
	console.log("NAMES " + JSON.stringify(out));
};
</script></body></html>
HTML
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --user-data-dir="$TMP/chrome" \
		--allow-file-access-from-files --virtual-time-budget=5000 --enable-logging=stderr --v=0 \
		--dump-dom "file://$TMP/ws-view.html" >/dev/null 2>"$TMP/ws.err"
	check "a name with two blanks and a line break: shown in the report as stored" \
		'0|NAMES ["Negative  Co\nLtd"]' "$st|$(grep -o 'NAMES \[[^]]*\]' "$TMP/ws.err")"
	# A zero width space, a word joiner, a soft hyphen, U+FEFF, a tag, a control character, a carriage return
	# (which HTML reads as a line feed) and a no-break space showed as nothing or as a blank: "Neg<U+200B>ative Co"
	# looked like "Negative Co". Each is \uHHHH in the report (\UHHHHHHHH above U+FFFF), as the format
	# characters are; the tab is a blank and kept. The CSV and the FOCUS file (hash-checked) are as they were.
	pb_sql "UPDATE pb.clc_account SET name = E'Neg\u200Bative\u2060Co\u00AD\uFEFF\U000E0041\u0001\r\u00A0Ltd\tX'
		WHERE alias = 'NEG1'" >/dev/null
	"$PBV" --month 2026-10 --report "$TMP/ws.html" >/dev/null 2>"$TMP/err" &&
		"$PBV" --month 2026-10 --draft >"$TMP/inv.csv" 2>>"$TMP/err" &&
		"$PBV" --month 2026-10 --focus "$TMP/inv-focus.csv" >/dev/null 2>>"$TMP/err"
	st=$?
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --user-data-dir="$TMP/chrome" \
		--allow-file-access-from-files --virtual-time-budget=5000 --enable-logging=stderr --v=0 \
		--dump-dom "file://$TMP/ws-view.html" >/dev/null 2>"$TMP/ws.err"
	check "a name with invisible characters: each shown in the report as \\uHHHH, the CSV and FOCUS file unchanged" \
		'0|NAMES ["Neg\\u200bative\\u2060Co\\u00ad\\ufeff\\U000e0041\\u0001\\u000d\\u00a0Ltd\tX"]|1|2' \
		"$st|$(grep -o 'NAMES \[[^]]*\]' "$TMP/ws.err")|$(grep -c $'Neg\u200bative\u2060Co\u00ad' "$TMP/inv.csv")|$(grep -c $'Neg\u200bative\u2060Co\u00ad' "$TMP/inv-focus.csv")"
fi
pb_sql "UPDATE pb.clc_account SET name = 'Negative Co' WHERE alias = 'NEG1'" >/dev/null
# Standard output on a full disk: the environment failed, not the data (exit 3, as for the files it writes).
"$PBV" --month 2026-10 --draft >/dev/full 2>"$TMP/err"
check "--draft >/dev/full: exit 3, naming standard output and the error" \
	"3|pb-invoice: cannot write standard output: No space left on device" "$?|$(cat "$TMP/err")"
# Standard output closed (a job started with >&-): the draft and the diff, which are all they give, went to the
# /dev/null put in its place, exit 0. Said before the database is reached, exit 3, as for a full disk.
for act in --draft --diff; do
	"$PBV" --month 2026-10 $act >&- 2>"$TMP/err"
	check "$act with standard output closed: exit 3, naming standard output and the error" \
		"3|pb-invoice: cannot write standard output: Bad file descriptor" "$?|$(cat "$TMP/err")"
done

# A folder that is not there (a typo in a job file) is a mistake on the command line: exit 2, which pb-run
# does not retry, before anything is read or issued.
for args in "--issue --out $TMP/nowhere/invoices" "--focus $TMP/nowhere/focus.csv" "--report $TMP/nowhere/r.html"; do
	# shellcheck disable=SC2086 # the arguments, split
	"$PBV" --month 2026-10 $args >"$TMP/out" 2>"$TMP/err"
	st=$?
	check "${args%% *} into a folder that is not there: exit 2 naming it, nothing written or issued" \
		"2|pb-invoice: no folder '$TMP/nowhere' for '${args##* }'
Try 'pb-invoice --help'.|0|f" \
		"$st|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice")|$(test -e "$TMP/nowhere" && echo t || echo f)"
done
# The default folder of the files, in a runtime folder that is not there (a nightly job given PB_DATABASE_URL and
# started in another folder): "cannot make 'var/invoices'", exit 3, which pb-run retried to no end. It is a usage
# error saying which folder is missing and how to name another.
pb_sql_direct
mkdir -p "$TMP/elsewhere"
(cd "$TMP/elsewhere" && env -u PB_VAR_DIR PB_DATABASE_URL="host=$PB_SQL_HOST user=pb dbname=partnerbill" \
	"$PBV" --month 2026-10 --issue) >"$TMP/out" 2>"$TMP/err"
check "--issue without --out, no runtime folder: exit 2 naming it, nothing written or issued" \
	"2||pb-invoice: no folder 'var' for the invoices' default folder 'var/invoices': give --out DIR, or set PB_VAR_DIR to the runtime folder|0|" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice")|$(ls -A "$TMP/elsewhere")"
# A file where the folder should be, and names that are no file: also mistakes on the command line.
touch "$TMP/afile"
ln -s afile "$TMP/alink"
# A link to nothing as the folder was taken for a folder there: the files could not be written, exit 3, which
# pb-run retries to no end.
ln -s nothing "$TMP/deadlink"
for args in "--issue --out $TMP/afile/invoices|'$TMP/afile' is not a folder (for '$TMP/afile/invoices')" \
	"--issue --out $TMP/deadlink|--out needs a folder, not '$TMP/deadlink' (a link to nothing)" \
	"--focus $TMP/afile/f.csv|'$TMP/afile' is not a folder (for '$TMP/afile/f.csv')" \
	"--focus $TMP/|--focus needs a file name, not '$TMP/'" "--report |--report needs a file name, not ''" \
	"--issue --out |--out needs a folder, not ''" "--issue --out $TMP/afile|--out needs a folder, not '$TMP/afile'" \
	"--focus $TMP|--focus needs a file name, not '$TMP' (a folder)" "--report .|--report needs a file name, not '.' (a folder)" \
	"--focus -|--focus needs a file name, not '-' (it writes a file, whole or not at all; not standard output)" \
	"--report /dev/stdout|--report needs a regular file, not '/dev/stdout' (it replaces the file whole)" \
	"--focus $TMP/alink|--focus needs a regular file, not '$TMP/alink' (it replaces the file whole)"; do
	# shellcheck disable=SC2086 # the arguments, split; an empty last one kept
	set -- ${args%%|*}
	[ "${args%%|*}" != "${args%% |*} " ] || set -- "$@" ""
	"$PBV" --month 2026-10 "$@" >"$TMP/out" 2>"$TMP/err"
	st=$?
	check "$* : exit 2, saying what is wrong, nothing issued" \
		"2|pb-invoice: ${args#*|}
Try 'pb-invoice --help'.|0" "$st|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice")"
done
# Names too long to be written (the temporary file beside it adds ".tmp.XXXXXX"): a mistake on the command line
# said before anything is read or issued, not a write that fails after.
long=$(printf '%0300d' 0)
deep=$TMP$(for _ in $(seq 17); do printf '/%0240d' 0; done)
for args in "--focus $TMP/$long.csv|--focus: file name too long (304 bytes; at most 244 here, with the 11 bytes its temporary file adds)" \
	"--report $TMP/x$(printf '%0239d' 0).html|--report: file name too long (245 bytes; at most 244 here, with the 11 bytes its temporary file adds)" \
	"--issue --out $TMP/$long|--out: folder name too long (300 bytes; at most 255 here)" \
	"--focus $TMP/$long/f.csv|--focus: folder name too long (300 bytes; at most 255)" \
	"--report $deep/r.html|--report: path too long ($((${#deep} + 7)) bytes; at most 4084, with the 11 bytes its files' names add)" \
	"--issue --out $deep|--out: path too long (${#deep} bytes; at most 4057, with the 38 bytes its files' names add)"; do
	# shellcheck disable=SC2086 # the arguments, split
	"$PBV" --month 2026-10 ${args%%|*} >"$TMP/out" 2>"$TMP/err"
	st=$?
	what=${args#*|}
	check "${args%% *}, ${what%% (*}: exit 2 naming the option, nothing written or issued" \
		"2|pb-invoice: ${args#*|}
Try 'pb-invoice --help'.|0|0" "$st|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice")|$(find "$TMP" -maxdepth 1 -name '*0000*' | wc -l)"
done
# A folder that is there but out of the user's reach is not said to be missing.
if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null; then
	mkdir -p "$TMP/locked/sub" && chmod 700 "$TMP/locked"
	runuser -u nobody -- "$PBV" --month 2026-10 --focus "$TMP/locked/sub/f.csv" >"$TMP/out" 2>"$TMP/err"
	check "a folder out of reach: exit 2, the reason, not 'no folder'" \
		"2|pb-invoice: cannot reach folder '$TMP/locked/sub' for '$TMP/locked/sub/f.csv': Permission denied" \
		"$?|$(head -n 1 "$TMP/err")"
fi

"$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "a month whose data is not final is refused with exit 4, naming the source; nothing issued" \
	"4|pb-invoice: 2026-10 is not final: aws aws-cur from file://$TMP/oct (--force --reason TEXT issues it all the same)|0|f" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice")|$(pb_sql "SELECT bool_or(frozen) FROM pb.aggregate_run")"

# ---- the issue ---------------------------------------------------------------------------------------------------
"$PBI" --format aws-cur --no-progress --final "$TMP/oct/cur.csv" >/dev/null 2>&1 || notok "ingest October, final"
"$PBA" --month 2026-10 --detail >/dev/null 2>&1 || notok "aggregate October again"
# A rate of the month loaded after its run: the run converted at the old one, the invoice would freeze the new
# one, and the month aggregated again would differ from what was billed (an adjustment no one made).
stale=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2026-10-01'")
printf 'month,from,to,rate\n2026-10,USD,JPY,151\n' >"$TMP/rates-151.csv"
"$PBA" rates --load "$TMP/rates-151.csv" >/dev/null || notok "load a new rate"
"$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "a rate loaded after the run: exit 4, the run named out of date with the pair and both rates, nothing issued" \
	"4|pb-invoice: aggregate run $stale of 2026-10 is out of date: the rate from USD to JPY is 151 now, not the 150 it converted with: run pb-aggregate --month 2026-10 --detail first|0|f" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice")|$(pb_sql "SELECT frozen FROM pb.aggregate_run WHERE id = $stale")"
# A run stored before runs kept the rates they converted with: told by the time its rates were loaded.
pb_sql "DELETE FROM pb.aggregate_rate WHERE run_id = $stale" >/dev/null
"$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "a rate loaded after a run that kept no rates: exit 4, the pair named, nothing issued" \
	"4|pb-invoice: aggregate run $stale of 2026-10 is out of date: the rate from USD to JPY was loaded after it: run pb-aggregate --month 2026-10 --detail first|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice")"
{ "$PBA" rates --load "$TMP/rates.csv" && "$PBA" --month 2026-10 --detail; } >/dev/null 2>&1 ||
	notok "the rates back, October aggregated again"
run=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2026-10-01'")
# A folder whose disk is full (the file size limit stands in for it, SIGXFSZ ignored; the output goes through
# a pipe, which has no limit): the files are written before the invoice commits, so nothing is issued and no
# file, whole or partial, is left.
out=$(
	trap '' XFSZ
	ulimit -f 0
	exec "$PBV" --month 2026-10 --issue --out "$OUT" 2>&1
)
check "--issue on a full disk: exit 3, the file and the reason named, nothing issued, no file left" \
	"3|pb-invoice: cannot write '$OUT/invoice-2026-10-detail.csv': File too large|0|f|0" \
	"$?|$out|$(pb_sql "SELECT count(*) FROM pb.invoice")|$(pb_sql "SELECT frozen FROM pb.aggregate_run WHERE id = $run")|$(find "$OUT" -name 'invoice-2026-10*' | wc -l)"
# A link where an issued file goes is a mistake to fix, not a failure that passes: it exited 3, which pb-run
# retries (a month close spent 1 + 2 minutes on it), where --focus and --report exit 2 for the same.
ln -s "$TMP/afile" "$OUT/invoice-2026-10-detail.csv"
"$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "--issue with a link where the detail goes: exit 2, naming it, nothing issued, the link left" \
	"2|pb-invoice: cannot write '$OUT/invoice-2026-10-detail.csv': not a regular file|0|f|$TMP/afile|1" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice")|$(pb_sql "SELECT frozen FROM pb.aggregate_run WHERE id = $run")|$(readlink "$OUT/invoice-2026-10-detail.csv")|$(find "$OUT" -name 'invoice-2026-10*' | wc -l)"
rm "$OUT/invoice-2026-10-detail.csv"
# invoice_sessions_gone: waits (120 s at most) until no session of pb-invoice is left, as a killed run's may linger
# a moment holding the month's lock; one failure if one is still there (the run after it would be refused).
invoice_sessions_gone() {
	pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-invoice'" ||
		notok "the sessions of the runs before end" "$(pb_sql "SELECT pid, state, query FROM pg_stat_activity WHERE application_name = 'pb-invoice'")"
}
# SIGTERM while --issue has its two files staged and waits to commit (as a stopped job or a shutdown sends it):
# the program ends by the signal, nothing is issued, and it removes its own temporary files. SIGHUP the same
# (a script's background job ignores SIGINT). SIGTERM's run is given an --out it makes: nothing is in it, and
# the folder goes with the run (it was left behind, empty); SIGHUP's folder was there, and stays.
for sig in TERM HUP; do
	dir=$OUT
	[ $sig = TERM ] && dir=$TMP/made-by-issue
	# The run before was killed: its server session may linger a moment, holding the month's lock.
	invoice_sessions_gone
	# Emptied first: the shell empties it only once the run starts, and the run before paused too.
	: >"$TMP/bg.err"
	# SIGHUP as a terminal's hangup would find it: a suite started under nohup (or by a job runner that ignores
	# SIGHUP) passes the ignoring on, which the program rightly keeps, and the run would go on and issue.
	PB_TEST_PAUSE=invoice-staged env --default-signal=HUP "$PBV" --month 2026-10 --issue --out "$dir" \
		>"$TMP/out" 2>"$TMP/bg.err" &
	bg=$!
	# Until it pauses, or ends (then its pid must not be signalled: it may belong to another process by then).
	for _ in $(seq 1200); do
		grep -q "test pause at invoice-staged" "$TMP/bg.err" && break
		kill -0 $bg 2>/dev/null || break
		sleep 0.1
	done
	staged=$(find "$dir" -name 'invoice-2026-10*.tmp.*' | wc -l)
	grep -q "test pause at invoice-staged" "$TMP/bg.err" && kill -$sig $bg
	wait $bg 2>/dev/null # no "Hangup" notice from the shell
	st=$?
	check "SIG$sig with the files staged: ends by the signal, its temporary files removed, nothing issued" \
		"2|$((128 + $(kill -l $sig)))|0|0|f" \
		"$staged|$st|$(find "$dir" -name 'invoice-2026-10*' 2>/dev/null | wc -l)|$(pb_sql "SELECT count(*) FROM pb.invoice")|$(pb_sql "SELECT frozen FROM pb.aggregate_run WHERE id = $run")"
	check "SIG$sig with the files staged: the folder goes when the run made it, else stays" \
		"$([ $sig = TERM ] && echo 'not there' || echo there)" "$([ -e "$dir" ] && echo there || echo 'not there')"
done
# An import of the month committing while the month is issued: the invoice would bill the run without it, out of
# date the moment the import commits. pause_at PROG_PID ERRFILE POINT waits for a run to pause there (or end).
# waits_for_lock PROGRAM: until a session of PROGRAM waits for a lock (120 s at most), as the second run of each
# race below does while the first holds the month or the file; one failure if it never does.
waits_for_lock() {
	pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1' AND wait_event_type = 'Lock'" ||
		notok "$1 waits for the run before" "$(pb_sql "SELECT application_name, state, wait_event_type, query FROM pg_stat_activity")"
}
pause_at() {
	for _ in $(seq 1200); do
		grep -q "test pause at $3" "$2" && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# Two issues into a folder neither found: the first makes it, the second waits for the month. The first, stopped with
# its files staged, removes the folder it made (empty); the second then makes it again once it has the month, and
# stages its files there (where it is stopped too). It found no folder and failed (exit 3, "cannot write").
invoice_sessions_gone
: >"$TMP/bg.err"
: >"$TMP/bg2.err"
PB_TEST_PAUSE=invoice-staged "$PBV" --month 2026-10 --issue --out "$TMP/made-by-two" >/dev/null 2>"$TMP/bg.err" &
bg=$!
second="the first did not pause: $(cat "$TMP/bg.err")"
if pause_at $bg "$TMP/bg.err" invoice-staged; then
	PB_TEST_PAUSE=invoice-staged "$PBV" --month 2026-10 --issue --out "$TMP/made-by-two" >/dev/null 2>"$TMP/bg2.err" &
	bg2=$!
	waits_for_lock pb-invoice
	kill -TERM $bg
	second=staged
	pause_at $bg2 "$TMP/bg2.err" invoice-staged || second=$(cat "$TMP/bg2.err")
	kill -TERM $bg2 2>/dev/null
	wait $bg2
fi
wait $bg
check "two issues into a folder they make, the first stopped: the second makes it again and stages its files there" \
	"staged|not there|0" \
	"$second|$([ -e "$TMP/made-by-two" ] && echo there || echo 'not there')|$(pb_sql "SELECT count(*) FROM pb.invoice")"
cur 2026-10 "$TMP/oct-race/cur.csv" "100000000001 Usage 9 100 100 EC2"
: >"$TMP/ing.err"
PB_TEST_PAUSE=commit "$PBI" --format aws-cur --no-progress --final "$TMP/oct-race/cur.csv" >/dev/null 2>"$TMP/ing.err" &
ing=$!
if pause_at $ing "$TMP/ing.err" commit; then
	"$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
	st=$?
	kill -TERM $ing
else
	st="the import did not pause: $(cat "$TMP/ing.err")"
fi
wait $ing
check "--issue while an import of the month is being stored: exit 4, saying so; nothing issued" \
	"4|pb-invoice: an import of 2026-10 is being stored: aggregate the month again when it is done, then issue its invoice|0|f" \
	"$st|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice")|$(pb_sql "SELECT frozen FROM pb.aggregate_run WHERE id = $run")"
# The other way round: an import of the month waits for an issue that has begun (here paused with its files
# staged), and stores nothing meanwhile; stopped, it rolls back.
: >"$TMP/bg.err"
: >"$TMP/ing.err"
PB_TEST_PAUSE=invoice-staged "$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/bg.err" &
bg=$!
waited=no
if pause_at $bg "$TMP/bg.err" invoice-staged; then
	"$PBI" --format aws-cur --no-progress --final "$TMP/oct-race/cur.csv" >/dev/null 2>"$TMP/ing.err" &
	ing=$!
	# Until it says it waits, or ends (120 s at most: 30 tries of a tenth of a second apart could pass on a loaded
	# machine before the import had started).
	ing_waits() { grep -q "waiting for another import of 2026-10 to finish: server process [0-9]* (pb-invoice" "$TMP/ing.err"; }
	ing_waits_or_ended() { ing_waits || ! kill -0 "$ing" 2>/dev/null; }
	pb_until 120 ing_waits_or_ended
	ing_waits && waited=yes
	committed=$(pb_sql "SELECT count(*) FROM pb.import WHERE status = 'committed' AND source = 'file://$TMP/oct-race'")
	kill -TERM $ing 2>/dev/null
	wait $ing
	kill -TERM $bg
fi
wait $bg 2>/dev/null
check "an import of the month while --issue has begun: it waits for the issue, nothing stored meanwhile" \
	"yes|0|0" "$waited|${committed:-?}|$(pb_sql "SELECT count(*) FROM pb.invoice")"

# What a run killed between writing its files and its commit leaves: temporary files holding an invoice that
# was never issued. The next --issue of the month removes them (another month's stays).
printf 'PB-2026-10,never issued\r\n' >"$OUT/invoice-2026-10.csv.tmp.AbC123"
printf 'PB-2026-10,never issued\r\n' >"$OUT/invoice-2026-10-detail.csv.tmp.dEf456"
printf 'PB-2026-11,another month\r\n' >"$OUT/invoice-2026-11.csv.tmp.GhI789"
# It waits for the month, held by a session as another issue holds it. Its transaction began before that wait: the
# invoice was stamped issued (and its run frozen) when it began waiting, and the month judged ended or not by that
# day. The transaction now begins once the month is the issue's: stamped after the session let the month go.
invoice_sessions_gone
pb_sql_session_start
pb_sql_in "SELECT pg_advisory_lock(hashtextextended('pb-invoice|2026-10-01', 0))"
"$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err" &
bg=$!
waits_for_lock pb-invoice
sleep 1
pb_sql_in "SELECT clock_timestamp(), pg_advisory_unlock(hashtextextended('pb-invoice|2026-10-01', 0))"
released=${SQL_ROWS%%,*}
wait $bg
st=$?
pb_sql_session_end
check "an issue that waited for the month is stamped issued, its run frozen, once the month was its own" "t|t" \
	"$(pb_sql "SELECT i.issued_at >= '$released', r.frozen_at >= '$released' FROM pb.invoice i JOIN pb.aggregate_run r ON r.id = i.run_id WHERE i.billing_month = '2026-10-01'" '|')"
check "--issue removes the month's temporary files a killed run left, not another month's" \
	"invoice-2026-11.csv.tmp.GhI789" "$(cd "$OUT" && ls -- *.tmp.*)"
check "--issue: exit 0, the lines stored, the run frozen" \
	"0|invoice PB-2026-10 of 2026-10 issued: 8 lines, aggregate run $run frozen||8|t" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice_line")|$(pb_sql "SELECT frozen FROM pb.aggregate_run WHERE id = $run")"
check "the export is the draft's lines under the invoice's number" "$(sed 's/DRAFT-2026-10/PB-2026-10/' "$TMP/draft.csv")" \
	"$(cat "$OUT/invoice-2026-10.csv")"
check "the export's and the detail's SHA-256 are stored with the invoice" \
	"$(sha256sum "$OUT/invoice-2026-10.csv" | cut -d' ' -f1)|$(sha256sum "$OUT/invoice-2026-10-detail.csv" | cut -d' ' -f1)" \
	"$(pb_sql "SELECT export_sha256, detail_sha256 FROM pb.invoice" '|')"
check "the detail: what made each line, per account, vendor, service and category, in both currencies" \
	"invoice_number,line,account_alias,vendor,service,charge_category,source_currency,source_amount,currency,amount
PB-2026-10,1,ACME1,aws,EC2,Usage,USD,3.333,USD,3.333
PB-2026-10,1,ACME1,azure,Virtual Machines,Usage,USD,6.672,USD,6.672
PB-2026-10,2,BH1,aws,EC2,Usage,USD,1.25125,BHD,0.5005
PB-2026-10,3,BH2,aws,EC2,Credit,USD,-1.25125,BHD,-0.5005
PB-2026-10,4,FORM1,aws,EC2,Usage,USD,1,USD,1
PB-2026-10,5,FORM2,aws,EC2,Usage,USD,2,USD,2
PB-2026-10,6,JP1,aws,EC2,Usage,USD,0.67,JPY,100.5
PB-2026-10,7,JP2,aws,EC2,Credit,USD,-0.67,JPY,-100.5
PB-2026-10,8,NEG1,aws,EC2,Credit,USD,-3.005,USD,-3.005
PB-2026-10,8,NEG1,aws,EC2,Usage,USD,1,USD,1" "$(tr -d '\r' <"$OUT/invoice-2026-10-detail.csv")"

cp "$OUT/invoice-2026-10.csv" "$TMP/first.csv"
cp "$OUT/invoice-2026-10-detail.csv" "$TMP/first-detail.csv"
before=$(pb_sql "SELECT to_jsonb(i) FROM pb.invoice i" && pb_sql "SELECT count(*) FROM pb.invoice_line")
rm "$OUT/invoice-2026-10.csv"
"$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
st=$?
if [ $st -eq 0 ] && grep -q "^invoice PB-2026-10 of 2026-10 was issued already, by .* at .* UTC: its files written again (the export was not there)$" "$TMP/out" &&
	cmp -s "$TMP/first.csv" "$OUT/invoice-2026-10.csv" && cmp -s "$TMP/first-detail.csv" "$OUT/invoice-2026-10-detail.csv" &&
	[ "$before" == "$(pb_sql "SELECT to_jsonb(i) FROM pb.invoice i" && pb_sql "SELECT count(*) FROM pb.invoice_line")" ]; then
	ok "issuing twice issues nothing, writes the missing file again byte for byte, and says so"
else
	notok "issuing twice issues nothing, writes the missing file again byte for byte, and says so" "status $st: $(cat "$TMP/out" "$TMP/err")"
fi
# A file of an issued invoice changed by hand: the issued bytes put back, and said.
sed -i 's/NEG1/NEG2/' "$OUT/invoice-2026-10-detail.csv"
"$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
st=$?
check "a changed file of an issued invoice: the issued bytes put back, and said" \
	"0|its files written again (the detail was not the one issued)||t" \
	"$st|$(sed 's/.* UTC: //' "$TMP/out")|$(cat "$TMP/err")|$(cmp -s "$TMP/first-detail.csv" "$OUT/invoice-2026-10-detail.csv" && echo t)"
touch -d '2000-01-01' "$OUT/invoice-2026-10.csv" "$OUT/invoice-2026-10-detail.csv"
"$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
st=$?
check "both files as issued: nothing to do, nothing written" \
	"0|nothing to do||2000-01-01 2000-01-01" \
	"$st|$(sed 's/.* UTC: //' "$TMP/out")|$(cat "$TMP/err")|$(date -u -r "$OUT/invoice-2026-10.csv" +%F) $(date -u -r "$OUT/invoice-2026-10-detail.csv" +%F)"
# What is at an issued file's path and is not a regular file is never opened (a FIFO would block the run,
# and the month's locks with it) nor followed (a link to the same bytes elsewhere is not the file): refused.
mv "$OUT/invoice-2026-10.csv" "$TMP/export.keep"
mkfifo "$OUT/invoice-2026-10.csv"
timeout 120 "$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "a FIFO where the issued export goes: exit 2 at once, naming it" \
	"2|pb-invoice: cannot write '$OUT/invoice-2026-10.csv': not a regular file" "$?|$(cat "$TMP/err")"
# The same with the database down: it was exit 3, a failed connection that pb-run retries, for a mistake that
# no retry mends; what is at the paths is checked first.
PB_DATABASE_URL="host=$TMP/no-server dbname=none" timeout 120 "$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "a FIFO where the issued export goes, the database down: exit 2, naming it" \
	"2|pb-invoice: cannot write '$OUT/invoice-2026-10.csv': not a regular file" "$?|$(cat "$TMP/err")"
rm "$OUT/invoice-2026-10.csv"
ln -s "$TMP/export.keep" "$OUT/invoice-2026-10.csv"
"$PBV" --month 2026-10 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "a link to the issued bytes where the export goes: not taken for the file, exit 2" \
	"2|pb-invoice: cannot write '$OUT/invoice-2026-10.csv': not a regular file" "$?|$(cat "$TMP/err")"
rm "$OUT/invoice-2026-10.csv"
mv "$TMP/export.keep" "$OUT/invoice-2026-10.csv"

# ---- the FOCUS dataset -----------------------------------------------------------------------------------------
# A run killed outright (SIGKILL) once its rows are written leaves its temporary file beside the file. Another run
# of the same file, started meanwhile, waits for it (it does not take the file of a run still going for a leftover),
# then removes the leftover; a --report removes its file's likewise, and neither another file's.
printf 'another file\r\n' >"$TMP/focus-other.csv.tmp.GhI789"
printf '<html>partial' >"$TMP/report.html.tmp.XyZ789"
: >"$TMP/bg.err"
PB_TEST_PAUSE=focus-written "$PBV" --month 2026-10 --focus "$TMP/focus.csv" >/dev/null 2>"$TMP/bg.err" &
bg=$!
pause_at $bg "$TMP/bg.err" focus-written || notok "--focus pauses with its rows written" "$(cat "$TMP/bg.err")"
"$PBV" --month 2026-10 --focus "$TMP/focus.csv" >"$TMP/out2" 2>"$TMP/err2" &
second=$!
waits_for_lock pb-invoice
waited="$(kill -0 $second 2>/dev/null && echo waits)|$(cd "$TMP" && ls -- focus.csv.tmp.* 2>/dev/null | wc -l)"
{
	kill -KILL $bg
	wait $bg
} 2>/dev/null # no "Killed" notice from the shell
wait $second
check "--focus of a file another run is writing: waits; that run killed outright, its leftover removed, the file written" \
	"waits|1|0|wrote $TMP/focus.csv: the FOCUS 1.2 dataset of 2026-10||0" \
	"$waited|$?|$(cat "$TMP/out2")|$(cat "$TMP/err2")|$(cd "$TMP" && ls -- focus.csv.tmp.* 2>/dev/null | wc -l)"
"$PBV" --month 2026-10 --focus "$TMP/focus.csv" >"$TMP/out" 2>"$TMP/err"
check "--focus: exit 0, says where" "0|wrote $TMP/focus.csv: the FOCUS 1.2 dataset of 2026-10|" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
check "the FOCUS dataset conforms: every Mandatory column, types, allowed values, null rules" "0|" \
	"$(python3 "$ROOT/tests/integration/focus_check.py" "$TMP/focus.csv"; echo "$?|")" 
check "FOCUS BilledCost per billing account adds up to the exact invoice amounts" \
	"$(pb_sql "SELECT alias || ',' || trim_scale(month_to_date + markup) FROM pb.aggregate_account WHERE run_id = $run AND vendor = 'all' ORDER BY alias COLLATE \"C\"")" \
	"$(python3 -c '
import csv, decimal, sys
t = {}
for r in csv.DictReader(open(sys.argv[1], newline="")):
    t[r["BillingAccountId"]] = t.get(r["BillingAccountId"], decimal.Decimal(0)) + decimal.Decimal(r["BilledCost"])
for a in sorted(t):
    v = t[a].normalize()
    print("%s,%s" % (a, format(v, "f")))' "$TMP/focus.csv")"
check "a FOCUS row: the customer's view (the reseller provides and invoices, the partner publishes)" \
	"ACME1,Acme,USD,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,Usage,,\"EC2 Usage, no region\",2026-10-03T00:00:00Z,2026-10-02T00:00:00Z,3.333,3.333,CenturyLink Cloud,3.333,1,Service-Day,CenturyLink Cloud,Amazon Web Services,,,Compute,EC2,100000000001,100000000001,AWS Account,\"{\"\"clc-account\"\":\"\"ACME1\"\"}\"" \
	"$(grep '^3.333,ACME1' "$TMP/focus.csv" | tr -d '\r' | cut -d, -f2-)"

# ---- the report ------------------------------------------------------------------------------------------------
"$PBV" --month 2026-10 --report "$TMP/report.html" >"$TMP/out" 2>"$TMP/err"
check "--report: exit 0, one self-contained file (no script, nothing fetched)" \
	"0|wrote $TMP/report.html: the report of the month||0|0" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(grep -ci '<script' "$TMP/report.html")|$(grep -Eci '(src|href)=\"(https?:)?//' "$TMP/report.html")"
check "--report: the charts say what their marks are (a legend under the charts' heading)" \
	"1|Each chart, in the account's currency: a dot per day, the month to date at the day's end (its amount on hover); the line, the month-end estimate made on that day, in its 90% band (shaded); the figure at the top left, the chart's largest amount." \
	"$(grep -o '<p class="legend">' "$TMP/report.html" | wc -l)|$(grep -o '<p class="legend">[^<]*' "$TMP/report.html" | sed 's/^<p class="legend">//')"
check "--report removes the temporary file a killed run left beside its file; another file's stays" \
	"focus-other.csv.tmp.GhI789" "$(cd "$TMP" && ls -- *.tmp.*)"
"$PBV" --month 2026-10 --report "$TMP/report-"$'\xff'".html" >/dev/null 2>"$TMP/err"
check "--report into a file whose name is not UTF-8: exit 0" "0|" "$?|$(cat "$TMP/err")"
check "--report: each chart's last day is the month to date, summed exactly and rounded to the currency's minor unit" \
	"ACME1 10.01|BH1 0.501|JP1 101" \
	"$(python3 -c '
import re, sys
html = open(sys.argv[1]).read()
out = []
for a in ("ACME1", "BH1", "JP1"):
    svg = re.search(r"<svg class=\"chart\" data-account=\"%s\".*?</svg>" % a, html, re.S).group(0)
    out.append("%s %s" % (a, re.findall(r"<title>day 31: ([^<]*)</title>", svg)[0]))
print("|".join(out))' "$TMP/report.html")"
# The headings showed the month to date as the database holds it, unrounded (10.005 beside an estimate of
# 10.01): an amount shown to people is rounded once to the currency's minor unit, half away from zero, as on the
# invoice, and said with its currency.
check "--report: each chart's heading, the month to date and the estimate rounded to the currency's minor unit, with the currency" \
	"ACME1: month to date 10.01 USD, estimate 10.01 USD
NEG1: month to date -2.01 USD, estimate -2.01 USD
FORM2: month to date 2.00 USD, estimate 2.00 USD
BH1: month to date 0.501 BHD, estimate 0.501 BHD
BH2: month to date -0.501 BHD, estimate -0.501 BHD
FORM1: month to date 1.00 USD, estimate 1.00 USD
JP1: month to date 101 JPY, estimate 101 JPY
JP2: month to date -101 JPY, estimate -101 JPY" \
	"$(grep -o '<h3>[^<]*</h3>' "$TMP/report.html" | sed 's/<[^>]*>//g')"
check "--report: the largest accounts are ranked in one currency (USD through the month's rates), not in yen against dollars" \
	"ACME1 NEG1 FORM2 BH1 BH2 FORM1 JP1 JP2" \
	"$(grep -o 'class="chart" data-account="[A-Z0-9]*"' "$TMP/report.html" | sed 's/.*="//; s/"$//' | paste -sd' ')"
if command -v chromium >/dev/null 2>&1; then
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --user-data-dir="$TMP/chrome" \
		--enable-logging=stderr --v=0 --dump-dom "file://$TMP/report.html" >"$TMP/dom.html" 2>"$TMP/chrome.err"
	st=$?
	marks=$(python3 -c '
import re, sys
dom = open(sys.argv[1]).read()
charts = re.findall(r"<svg class=\"chart\".*?</svg>", dom, re.S)
print(len(charts), sorted(set(len(re.findall(r"class=\"day-mark\"", c)) for c in charts)))' "$TMP/dom.html")
	check "the report renders in headless Chromium without a console error; each chart has one mark per day of October" \
		"0|0|8 [31]" "$st|$(grep -c 'CONSOLE\|Uncaught' "$TMP/chrome.err")|$marks"
	[ -n "${PB_REPORT_SCREENSHOT:-}" ] && timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --user-data-dir="$TMP/chrome" \
		--window-size=1100,2400 --screenshot="$PB_REPORT_SCREENSHOT" "file://$TMP/report.html" >/dev/null 2>&1
else
	notok "chromium is installed (scripts/deps.sh installs it)"
fi

# ---- an issued month never changes ---------------------------------------------------------------------------------
refused() { pb_sql "$1" 2>&1 >/dev/null | grep -m1 "^ERROR"; }
check "plain SQL cannot change an issued line, its parts, the invoice, or the FOCUS dataset's hash it keeps" \
	"ERROR:  issued invoices never change (invoice_line)|ERROR:  issued invoices never change (invoice_line)|ERROR:  issued invoices never change (invoice_part)|ERROR:  issued invoices never change (invoice)|ERROR:  issued invoices never change (invoice_line)|ERROR:  issued invoices never change (invoice_focus)|ERROR:  issued invoices never change (invoice_focus)" \
	"$(refused "UPDATE pb.invoice_line SET amount = 0")|$(refused "DELETE FROM pb.invoice_line")|$(refused "UPDATE pb.invoice_part SET amount = 0")|$(refused "DELETE FROM pb.invoice")|$(refused "TRUNCATE pb.invoice_line CASCADE")|$(refused "DELETE FROM pb.invoice_focus")|$(refused "TRUNCATE pb.invoice_focus")"
check "nor the frozen run's rows, nor the month's rates" \
	"ERROR:  aggregate run $run is frozen by an issued invoice: its rows cannot change|ERROR:  aggregate run $run is frozen by an issued invoice: only its status may change|ERROR:  the rates of 2026-10 are frozen: the month's invoice is issued" \
	"$(refused "UPDATE pb.aggregate_total SET amount = 0 WHERE run_id = $run")|$(refused "UPDATE pb.aggregate_run SET as_of = '2026-10-02' WHERE id = $run")|$(refused "UPDATE pb.fx_rate SET rate = 2 WHERE month = '2026-10-01'")"
printf 'month,from,to,rate\n2026-10,USD,JPY,151\n' >"$TMP/rates2.csv"
"$PBA" rates --load "$TMP/rates2.csv" >"$TMP/out" 2>"$TMP/err"
check "rates --load for an invoiced month: exit 4" \
	"4|pb-aggregate: $TMP/rates2.csv:2:1: the rates of 2026-10 are frozen: the month's invoice is issued" \
	"$?|$(cat "$TMP/err")"
# A pair the month lacks (a late charge in a currency it had none of) may still be added: the issued invoice used
# no rate of it, and without it the month could never be aggregated again. The same rates again change nothing.
printf 'month,from,to,rate\n2026-10,USD,JPY,150\n2026-10,GBP,USD,1.25\n' >"$TMP/rates3.csv"
"$PBA" rates --load "$TMP/rates3.csv" >"$TMP/out" 2>"$TMP/err"
check "rates --load for an invoiced month: a new pair is added, a frozen one given again is unchanged" \
	"0||GBP>USD 1.25|USD>BHD 0.4|USD>JPY 150" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT from_currency || '>' || to_currency || ' ' || rate FROM pb.fx_rate WHERE month = '2026-10-01' ORDER BY 1" | paste -sd'|')"

# ---- a late credit: the next month's adjustment, once --------------------------------------------------------------
cur 2026-10 "$TMP/oct-late/cur.csv" "100000000001 Credit 28 -1.115 - EC2"
"$PBI" --format aws-cur --no-progress --final "$TMP/oct-late/cur.csv" >/dev/null 2>&1 || notok "ingest October's late credit"
# Before the month is aggregated again its current run is not the month's data: --diff printed every difference
# as 0 (exit 0), as if the late credit changed nothing. It is refused as --issue refuses such a run.
late=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = 'file://$TMP/oct-late'")
"$PBV" --month 2026-10 --diff >"$TMP/out" 2>"$TMP/err"
check "--diff while an import of the month is not in its current run: exit 4 naming it, nothing printed" \
	"4||pb-invoice: aggregate run $run of 2026-10 is out of date: import $late (aws from file://$TMP/oct-late) is not in it: run pb-aggregate --month 2026-10 --detail first" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
"$PBA" --month 2026-10 --detail >/dev/null 2>&1 || notok "aggregate October with the late credit"
"$PBV" --month 2026-10 --diff >"$TMP/out" 2>"$TMP/err"
check "--diff: what changed since the issue, per account" "0|account_alias,currency,invoiced,now,difference
ACME1,USD,10.01,8.89,-1.12
BH1,BHD,0.501,0.501,0.000
BH2,BHD,-0.501,-0.501,0.000
FORM1,USD,1.00,1.00,0.00
FORM2,USD,2.00,2.00,0.00
JP1,JPY,101,101,0
JP2,JPY,-101,-101,0
NEG1,USD,-2.01,-2.01,0.00" "$?|$(cat "$TMP/out")"
# The late credit's report stored again (a rerun of the night): the import the run read is superseded, and --diff
# refuses the run until the month is aggregated again, which gives the same figures.
"$PBI" --format aws-cur --no-progress --final "$TMP/oct-late/cur.csv" >/dev/null 2>&1 || notok "ingest October's late credit again"
"$PBV" --month 2026-10 --diff >"$TMP/out" 2>"$TMP/err"
st=$?
check "--diff while an import its current run read is superseded: exit 4 naming it" \
	"4||pb-invoice: aggregate run $(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2026-10-01'") of 2026-10 is out of date: import $late (aws from file://$TMP/oct-late) is no longer current: run pb-aggregate --month 2026-10 --detail first" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")"
"$PBA" --month 2026-10 --detail >/dev/null 2>&1 || notok "aggregate October with the late credit stored again"
"$PBV" --month 2026-10 --diff >"$TMP/out" 2>"$TMP/err"
check "--diff once aggregated again: exit 0, the same difference" "0|ACME1,USD,10.01,8.89,-1.12|" \
	"$?|$(grep '^ACME1,' "$TMP/out")|$(cat "$TMP/err")"
check "the issued invoice is untouched" "$(cat "$TMP/first.csv")" \
	"$("$PBV" --month 2026-10 --issue --out "$TMP/again" >/dev/null 2>&1; cat "$TMP/again/invoice-2026-10.csv")"
# The draft of an issued month: the lines it holds, which issuing again would not change, not the month's figures
# now as if they were its lines (they go on the next invoice as adjustments), and it says so.
"$PBV" --month 2026-10 --draft >"$TMP/out" 2>"$TMP/err"
check "--draft of an issued month: exit 0, its issued lines, and where the change since goes" \
	"0|pb-invoice: warning: 2026-10 is issued: these are the lines of PB-2026-10; what changed since goes on the next invoice (--diff shows it)|same" \
	"$?|$(cat "$TMP/err")|$(cmp -s "$TMP/out" "$TMP/first.csv" && echo same || tr -d '\r' <"$TMP/out" | grep ACME1)"
# The report of the issued month is of the run its invoice froze, estimates included: the run made since with the
# late credit estimated the last day anew, which is not the invoice's figure.
"$PBV" --month 2026-10 --report "$TMP/report-again.html" >"$TMP/out" 2>"$TMP/err"
check "October's report made again after the late credit: exit 0, the same file" "0||same" \
	"$?|$(cat "$TMP/err")|$(cmp -s "$TMP/report.html" "$TMP/report-again.html" && echo same ||
		diff <(grep -o '<polyline[^>]*>' "$TMP/report.html") <(grep -o '<polyline[^>]*>' "$TMP/report-again.html") | head -4)"

cur 2026-11 "$TMP/nov/cur.csv" "100000000001 Usage 3 5 5 EC2"
"$PBI" --format aws-cur --no-progress --final "$TMP/nov/cur.csv" >/dev/null 2>&1 || notok "ingest November"
"$PBA" --month 2026-11 --detail >"$TMP/out" 2>"$TMP/err" || notok "aggregate November"
check "aggregating a month without any import of a vendor that accounts are linked to warns, naming them" \
	"pb-aggregate: warning: 2026-11 has no azure import, though ACME1 has azure links in the month: those charges are missing" \
	"$(cat "$TMP/err")"
# What pb-api serves: ACME1's November is not final while its Azure charges are missing (its AWS data is).
nov_final() {
	pb_sql "SELECT a.vendor || ':' || a.final FROM pb.aggregate_account a JOIN pb.aggregate_run r ON r.id = a.run_id
	AND r.status = 'current' AND r.billing_month = '2026-11-01' WHERE a.alias = 'ACME1' ORDER BY a.vendor" | paste -sd' '
}
check "a month without any import of a vendor an account is linked to: the account's total is not final" \
	"all:false aws:true" "$(nov_final)"
# A month whose final AWS data is in but whose Azure export never came: issuing it would bill ACME1 without
# its Azure charges, and close the month. Refused like data that is not final.
"$PBV" --month 2026-11 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "a month without any import of a vendor that accounts are linked to is not final: exit 4, naming them" \
	"4|pb-invoice: 2026-11 is not final: no azure import, though ACME1 has azure links in the month (--force --reason TEXT issues it all the same)|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2026-11-01'")"
mkdir -p "$TMP/nov-azure"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory' \
	'6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,11/02/2026,Usage,USD,0,0,1,Virtual Machines' >"$TMP/nov-azure/cost.csv"
"$PBI" --format azure-cost --no-progress --final "$TMP/nov-azure/cost.csv" >/dev/null 2>&1 || notok "ingest November's Azure"
"$PBA" --month 2026-11 --detail >/dev/null 2>&1 || notok "aggregate November with its Azure data"
check "with its Azure data in, ACME1's November is final" "all:true aws:true azure:true" "$(nov_final)"
# October's late credit stored once more after October was aggregated again: November adjusts October from that
# run, whose import is superseded. The adjustment would be made from figures that are not October's now (and the
# difference put off a month): --issue refuses it (even forced) naming October and the import; --draft warns.
oct_run=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2026-10-01'")
oct_prev=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = 'file://$TMP/oct-late'")
"$PBI" --format aws-cur --no-progress --final "$TMP/oct-late/cur.csv" >/dev/null 2>&1 || notok "ingest October's late credit a third time"
W="aggregate run $oct_run of 2026-10 is out of date: import $oct_prev (aws from file://$TMP/oct-late) is no longer current: run pb-aggregate --month 2026-10 --detail first"
"$PBV" --month 2026-11 --draft >"$TMP/out" 2>"$TMP/err"
check "--draft of November adjusting October from an out-of-date run: exit 0, the lines, one warning naming October's import" \
	"0|pb-invoice: warning: $W (--issue of 2026-11 refuses the run; this draft's adjustments of 2026-10 are not the month's now)|1" \
	"$?|$(cat "$TMP/err")|$(grep -c ',adjustment,2026-10-01,' "$TMP/out")"
"$PBV" --month 2026-11 --issue --force --reason test --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "--issue of November adjusting October from an out-of-date run: exit 4 (forced too), naming October and its import; nothing issued or frozen" \
	"4|pb-invoice: the invoice of 2026-11 adjusts 2026-10: $W|0|f" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2026-11-01'")|$(pb_sql "SELECT frozen FROM pb.aggregate_run WHERE id = $oct_run")"
"$PBA" --month 2026-10 --detail >/dev/null 2>&1 || notok "aggregate October with its late credit stored a third time"
"$PBV" --month 2026-11 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "November's invoice: its own line and October's adjustment, referring to October" "0|invoice_number,billing_period_start,billing_period_end,line,account_alias,account_name,line_item,line_type,corrects_period_start,currency,amount,aws_amount,azure_amount
PB-2026-11,2026-11-01,2026-11-30,1,ACME1,Acme,CenturyLink Cloud 1.0,charge,,USD,5.00,5.00,0.00
PB-2026-11,2026-11-01,2026-11-30,2,ACME1,Acme,CenturyLink Cloud 1.0,adjustment,2026-10-01,USD,-1.12,-1.12,0.00" \
	"$?|$(tr -d '\r' <"$OUT/invoice-2026-11.csv")"

cur 2026-12 "$TMP/dec/cur.csv" "100000000001 Usage 3 7 7 EC2"
"$PBI" --format aws-cur --no-progress "$TMP/dec/cur.csv" >/dev/null 2>&1 || notok "ingest December"
"$PBA" --month 2026-12 --detail >/dev/null 2>&1 || notok "aggregate December"
"$PBV" --month 2026-12 --issue --force --reason "the partner's final report is late; approved by finance" --out "$OUT" \
	>"$TMP/out" 2>"$TMP/err"
check "--force --reason issues a month that is not final, and records why; the adjustment is not repeated" \
	"0|invoice PB-2026-12 of 2026-12 issued: 1 line, aggregate run $(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2026-12-01'") frozen (forced)|t|the partner's final report is late; approved by finance|1" \
	"$?|$(cat "$TMP/out")|$(pb_sql "SELECT forced, force_reason FROM pb.invoice WHERE billing_month = '2026-12-01'" '|')|$(grep -c adjustment "$OUT/invoice-2026-11.csv")"
check "December holds no adjustment" "0" "$(grep -c adjustment "$OUT/invoice-2026-12.csv")"
# December's Azure export comes after its invoice, and December is not aggregated again: its frozen run is still
# current, so January's issue found no month to adjust and billed without it (exit 0), leaving the import out of
# every invoice until someone aggregated December. Refused like an adjustment from a run out of date; --draft warns.
mkdir -p "$TMP/dec-azure"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory' \
	'6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,12/02/2026,Usage,USD,0,0,1,Virtual Machines' >"$TMP/dec-azure/cost.csv"
"$PBI" --format azure-cost --no-progress "$TMP/dec-azure/cost.csv" >"$TMP/agg" 2>&1 || notok "ingest December's late Azure" "$(cat "$TMP/agg")"
"$PBA" --month 2027-01 --as-of 2027-01-31 --detail >/dev/null 2>&1 || notok "aggregate January"
dec_run=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2026-12-01'")
W="aggregate run $dec_run of 2026-12 is out of date: import $(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = 'file://$TMP/dec-azure'") (azure from file://$TMP/dec-azure) is not in it: run pb-aggregate --month 2026-12 --detail first"
"$PBV" --month 2027-01 --draft >"$TMP/out" 2>"$TMP/err"
check "--draft of January after an import of issued December that December's run lacks: exit 0, one warning naming it" \
	"0|pb-invoice: warning: $W (--issue of 2027-01 refuses the run; this draft's adjustments of 2026-12 are not the month's now)" \
	"$?|$(cat "$TMP/err")"
"$PBV" --month 2027-01 --issue --force --reason test --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "--issue of January after an import of issued December that December's run lacks: exit 4 (forced too), naming it; nothing issued" \
	"4|pb-invoice: the invoice of 2027-01 adjusts 2026-12: $W|0|t" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2027-01-01'")|$(pb_sql "SELECT frozen FROM pb.aggregate_run WHERE id = $dec_run")"
"$PBA" --month 2026-12 --as-of 2026-12-31 --detail >"$TMP/agg" 2>&1 || notok "aggregate December with its late Azure" "$(cat "$TMP/agg")"

# ---- adjustments after a rename, and for an account gone from its month ------------------------------------------
# late_azure DIR AMOUNT: a late, final Azure charge of ACME1's for October 20, as a source of its own.
late_azure() {
	mkdir -p "$1"
	printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory' \
		"6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,10/20/2026,Usage,USD,$2,$2,1,Virtual Machines" >"$1/cost.csv"
	"$PBI" --format azure-cost --no-progress --final "$1/cost.csv" >/dev/null 2>&1 || notok "ingest $1"
	"$PBA" --month 2026-10 --detail >/dev/null 2>&1 || notok "aggregate October again"
}
# issue_empty MONTH LAST_DAY: a month aggregated and issued (forced: its data is not all there).
issue_empty() {
	"$PBA" --month "$1" --as-of "$2" --detail >"$TMP/agg" 2>&1 || notok "aggregate $1" "$(cat "$TMP/agg")"
	"$PBV" --month "$1" --issue --force --reason test --out "$OUT" >"$TMP/out" 2>"$TMP/err"
}
"$PBC" update ACME1 --name "Acme Renamed" >/dev/null 2>&1 || notok "rename ACME1"
"$PBC" unlink FORM2 --vendor aws --partner-account 100000000008 --to 2026-09-30 >"$TMP/unlink" 2>&1 ||
	notok "end FORM2's link before October" "$(cat "$TMP/unlink")"
late_azure "$TMP/oct-late2" 2
issue_empty 2027-01 2027-01-31
check "January: October's adjustments, ACME1's under its new name, and FORM2's whole line back, in exact decimals" \
	"0|invoice_number,billing_period_start,billing_period_end,line,account_alias,account_name,line_item,line_type,corrects_period_start,currency,amount,aws_amount,azure_amount
PB-2027-01,2027-01-01,2027-01-31,1,ACME1,Acme Renamed,CenturyLink Cloud 1.0,adjustment,2026-10-01,USD,2.00,0.00,2.00
PB-2027-01,2027-01-01,2027-01-31,2,FORM2,'@SUM(A1:A2),CenturyLink Cloud 1.0,adjustment,2026-10-01,USD,-2.00,-2.00,0.00" \
	"$?|$(tr -d '\r' <"$OUT/invoice-2027-01.csv")"
cp "$OUT/invoice-2027-01.csv" "$TMP/jan.csv"
"$PBV" --month 2027-01 --issue --force --reason test --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "issuing January again: exit 0, the same file" "0||same" \
	"$?|$(cat "$TMP/err")|$(cmp -s "$TMP/jan.csv" "$OUT/invoice-2027-01.csv" && echo same)"
# October's FOCUS dataset written again, after ACME1's rename, later data and October aggregated again: the same
# bytes (BillingAccountName is the name October was invoiced under, as charges before a change must not change).
"$PBV" --month 2026-10 --focus "$TMP/focus-again.csv" >"$TMP/out" 2>"$TMP/err"
check "October's FOCUS dataset written again after the account's rename: exit 0, the same file" "0||same" \
	"$?|$(cat "$TMP/err")|$(cmp -s "$TMP/focus.csv" "$TMP/focus-again.csv" && echo same || diff "$TMP/focus.csv" "$TMP/focus-again.csv" | head -4)"
# Made with other service categories, October's dataset would not be the one first written after its issue
# (what the customer was given, its SHA-256 kept): refused, and the file there is not written over.
sed 's/[[:space:]]Compute$/ Storage/' "$ROOT/config/service-categories.conf" >"$TMP/categories.conf"
PB_SERVICE_CATEGORIES=$TMP/categories.conf "$PBV" --month 2026-10 --focus "$TMP/focus-again.csv" >"$TMP/out" 2>"$TMP/err"
st=$?
check "October's FOCUS dataset made with other service categories: exit 4, saying so; the file there untouched" \
	"4|pb-invoice: 2026-10 is issued (PB-2026-10): its FOCUS dataset is the one first written, by WHO at WHEN UTC, and the one made now is not those bytes (it was made with the service categories of 'config/service-categories.conf' as they were then, not '$TMP/categories.conf'): '$TMP/focus-again.csv' not written|same|$(sha256sum <"$TMP/focus.csv" | cut -d' ' -f1)" \
	"$st|$(sed 's/ by .* at .* UTC,/ by WHO at WHEN UTC,/' "$TMP/err")|$(cmp -s "$TMP/focus.csv" "$TMP/focus-again.csv" && echo same)|$(pb_sql "SELECT f.sha256 FROM pb.invoice_focus f JOIN pb.invoice i ON i.id = f.invoice_id WHERE i.billing_month = '2026-10-01'")"
# October's lines now carry two names (Acme, Acme Renamed): what was invoiced per vendor is summed over both.
late_azure "$TMP/oct-late3" 1
# February's data comes in after February was aggregated: its run is out of date, and issuing it would bill the
# month without that import. Refused (even forced: aggregating again is what it takes), naming the import.
"$PBA" --month 2027-02 --as-of 2027-02-28 --detail >/dev/null 2>&1 || notok "aggregate February"
feb_run=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2027-02-01'")
cur 2027-02 "$TMP/feb/cur.csv" "100000000001 Usage 3 4 4 EC2"
"$PBI" --format aws-cur --no-progress "$TMP/feb/cur.csv" >"$TMP/ingest" 2>&1 || notok "ingest February" "$(cat "$TMP/ingest")"
feb_import=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND billing_month = '2027-02-01'")
"$PBV" --month 2027-02 --issue --force --reason test --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "an aggregate run older than an import of its month: exit 4, naming the import, nothing issued" \
	"4|pb-invoice: aggregate run ${feb_run:-?} of 2027-02 is out of date: import ${feb_import:-?} (aws from file://$TMP/feb) is not in it: run pb-aggregate --month 2027-02 --detail first|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2027-02-01'")"
issue_empty 2027-02 2027-02-28
check "February: its own line, and October's second adjustment, its parts adding up per vendor across the rename" \
	"0|invoice_number,billing_period_start,billing_period_end,line,account_alias,account_name,line_item,line_type,corrects_period_start,currency,amount,aws_amount,azure_amount
PB-2027-02,2027-02-01,2027-02-28,1,ACME1,Acme Renamed,CenturyLink Cloud 1.0,charge,,USD,4.00,4.00,0.00
PB-2027-02,2027-02-01,2027-02-28,2,ACME1,Acme Renamed,CenturyLink Cloud 1.0,adjustment,2026-10-01,USD,1.00,0.00,1.00" \
	"$?|$(tr -d '\r' <"$OUT/invoice-2027-02.csv")"

# ---- an issued month keeps the eligibility it was invoiced under ------------------------------------------------
# ACME1 moves to the UK, where AWS is not offered: its months to come lose their AWS charges, but October, issued,
# is not refunded when it is aggregated again (as its currency and markup, its eligibility is the invoice's).
"$PBC" update ACME1 --country GB >/dev/null 2>&1 || notok "move ACME1 to GB"
"$PBC" accept-terms ACME1 --vendor azure --region GB --version 1 --by test >/dev/null 2>&1 || notok "ACME1's Azure terms in GB"
"$PBA" --month 2026-10 --detail >/dev/null 2>&1 || notok "aggregate October after the move"
"$PBV" --month 2026-10 --diff >"$TMP/out" 2>"$TMP/err"
check "October aggregated after the account's country changed: nothing to adjust" "0|ACME1,USD,11.89,11.89,0.00" \
	"$?|$(grep '^ACME1,' "$TMP/out")"
check "October's run: no charge of ACME1's is ineligible" "0" \
	"$(pb_sql "SELECT count(*) FROM pb.aggregate_bucket b JOIN pb.aggregate_run r ON r.id = b.run_id AND r.status = 'current'
	AND r.billing_month = '2026-10-01' WHERE b.bucket = 'ineligible' AND b.alias = 'ACME1'")"
cur 2027-03 "$TMP/mar/cur.csv" "100000000001 Usage 3 4 4 EC2"
"$PBI" --format aws-cur --no-progress "$TMP/mar/cur.csv" >/dev/null 2>&1 || notok "ingest March"
"$PBA" --month 2027-03 --as-of 2027-03-31 --detail >/dev/null 2>&1 || notok "aggregate March"
check "March, not invoiced: ACME1's AWS charges are ineligible under its new country" \
	"ineligible|ACME1|billing country GB is not among aws's allowed countries; terms not accepted: aws in region GB|4" \
	"$(pb_sql "SELECT b.bucket, b.alias, b.reason, b.billed FROM pb.aggregate_bucket b JOIN pb.aggregate_run r ON r.id = b.run_id
	AND r.status = 'current' AND r.billing_month = '2027-03-01' WHERE b.alias = 'ACME1'" '|')"

# ---- the detail holds the markup: it adds up to the exact figures each line was rounded from ------------------
"$PBC" update ACME1 --markup 12.5 >/dev/null 2>&1 || notok "a markup of 12.5% for ACME1"
mkdir -p "$TMP/mar-azure"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory' \
	'6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,03/02/2027,Usage,USD,3,3.333,1,Virtual Machines' >"$TMP/mar-azure/cost.csv"
over "$PBI" --format azure-cost --no-progress --final "$TMP/mar-azure/cost.csv" >/dev/null 2>&1 || notok "ingest March's Azure"
issue_empty 2027-03 2027-03-31
check "March: ACME1's line, 3.333 with 12.5% markup" \
	"0|PB-2027-03,2027-03-01,2027-03-31,1,ACME1,Acme Renamed,CenturyLink Cloud 1.0,charge,,USD,3.75,0.00,3.75" \
	"$?|$(tr -d '\r' <"$OUT/invoice-2027-03.csv" | tail -n +2)"
check "March's detail: the usage, then the markup, adding up to 3.749625" \
	"invoice_number,line,account_alias,vendor,service,charge_category,source_currency,source_amount,currency,amount
PB-2027-03,1,ACME1,azure,Virtual Machines,Usage,USD,3.333,USD,3.333
PB-2027-03,1,ACME1,azure,,Markup,USD,0.416625,USD,0.416625" "$(tr -d '\r' <"$OUT/invoice-2027-03-detail.csv")"

# ---- the detail's conversions add up to the month to date, to the last of 18 places -----------------------------
# EUR1 is billed EUR 10 and seven charges of EUR 1e-18, invoiced in USD at a rate of 19 places. Each charge
# converts to 1.2e-19, which rounds to 0; the month to date converts the EUR total once: 1.234567890123456790.
# The detail converts what has been summed so far, each row the difference, so its rows add up to that.
# us_aws_account ALIAS NAME PARTNER_ACCOUNT: a US account with its terms accepted, the partner account its AWS one.
us_aws_account() {
	printf 'alias,name,billing_country\n%s,%s,US\n' "$1" "$2" >"$TMP/$1.csv"
	{
		"$PBC" import "$TMP/$1.csv" --by test &&
			"$PBC" accept-terms "$1" --vendor centurylink --version 1 --by test &&
			"$PBC" accept-terms "$1" --vendor aws --region US --version 1 --by test &&
			"$PBC" link "$1" --vendor aws --partner-account "$3" --from 2026-01-01 --by test
	} >"$TMP/$1.log" 2>&1 || notok "set up $1" "$(cat "$TMP/$1.log")"
}
us_aws_account EUR1 "Euro Co" 100000000099
{
	echo "$H"
	printf '2027-04-01T00:00:00Z,100000000099,Usage,2027-04-02T01:00:00Z,EUR,10,10,S0\n'
	for i in 1 2 3 4 5 6 7; do
		printf '2027-04-01T00:00:00Z,100000000099,Usage,2027-04-02T01:00:00Z,EUR,1E-18,1E-18,S%s\n' "$i"
	done
} >"$TMP/apr-eur.csv"
"$PBI" --format aws-cur --no-progress "$TMP/apr-eur.csv" >/dev/null 2>&1 || notok "ingest April"
printf 'month,from,to,rate\n2027-04,EUR,USD,0.1234567890123456789\n' >"$TMP/rates-apr.csv"
"$PBA" rates --load "$TMP/rates-apr.csv" >/dev/null 2>&1 || notok "load April's rate"
issue_empty 2027-04 2027-04-30
check "April: EUR1's month to date is the EUR total converted once" "0|1.23456789012345679" \
	"$?|$(pb_sql "SELECT trim_scale(a.month_to_date) FROM pb.aggregate_account a JOIN pb.aggregate_run r ON r.id = a.run_id
	AND r.status = 'current' AND r.billing_month = '2027-04-01' WHERE a.alias = 'EUR1' AND a.vendor = 'aws'")"
check "April's detail: the converted rows add up to it exactly" \
	"PB-2027-04,1,EUR1,aws,S0,Usage,EUR,10,USD,1.234567890123456789
PB-2027-04,1,EUR1,aws,S1,Usage,EUR,0.000000000000000001,USD,0
PB-2027-04,1,EUR1,aws,S2,Usage,EUR,0.000000000000000001,USD,0
PB-2027-04,1,EUR1,aws,S3,Usage,EUR,0.000000000000000001,USD,0
PB-2027-04,1,EUR1,aws,S4,Usage,EUR,0.000000000000000001,USD,0
PB-2027-04,1,EUR1,aws,S5,Usage,EUR,0.000000000000000001,USD,0.000000000000000001
PB-2027-04,1,EUR1,aws,S6,Usage,EUR,0.000000000000000001,USD,0
PB-2027-04,1,EUR1,aws,S7,Usage,EUR,0.000000000000000001,USD,0" \
	"$(tr -d '\r' <"$OUT/invoice-2027-04-detail.csv" | grep ',EUR1,')"
# April's first FOCUS dataset, made with service categories whose file's name is not UTF-8: kept all the same.
cp "$ROOT/config/service-categories.conf" "$TMP/categories-"$'\xff'".conf"
PB_SERVICE_CATEGORIES="$TMP/categories-"$'\xff'".conf" "$PBV" --month 2027-04 --focus "$TMP/focus-apr.csv" >/dev/null 2>&1 ||
	notok "April's FOCUS"
check "an issued month's FOCUS dataset kept with the name of its service categories, a byte that is not UTF-8 shown as '?'" \
	"$TMP/categories-?.conf" \
	"$(pb_sql "SELECT f.categories FROM pb.invoice_focus f JOIN pb.invoice i ON i.id = f.invoice_id WHERE i.billing_month = '2027-04-01'")"
check "FOCUS: EUR1's ListCost and BilledCost add up to its month to date and to it with the markup, exactly" \
	"$(pb_sql "SELECT trim_scale(a.month_to_date) || ' ' || trim_scale(a.month_to_date + a.markup) FROM pb.aggregate_account a
	JOIN pb.aggregate_run r ON r.id = a.run_id AND r.status = 'current' AND r.billing_month = '2027-04-01'
	WHERE a.alias = 'EUR1' AND a.vendor = 'all'")" \
	"$(python3 -c '
import csv, decimal, sys
decimal.getcontext().prec = 60
rows = [r for r in csv.DictReader(open(sys.argv[1], newline="")) if r["BillingAccountId"] == "EUR1"]
print(format(sum(decimal.Decimal(r["ListCost"]) for r in rows).normalize(), "f"),
      format(sum(decimal.Decimal(r["BilledCost"]) for r in rows).normalize(), "f"))' "$TMP/focus-apr.csv")"

# ---- one account and vendor billed in 17 currencies --------------------------------------------------------------
# The detail converts each source currency's running sum per account and vendor: it kept them in 16 places, and a
# 17th currency of one account's vendor (here over two AWS partner accounts, 9 and 8) refused the issue ("more than
# 16 currencies for one vendor").
us_aws_account CUR17 "Seventeen Co" 100000000117
"$PBC" link CUR17 --vendor aws --partner-account 100000000118 --from 2026-01-01 --by test >/dev/null 2>&1 ||
	notok "link CUR17's second AWS account"
set -- AUD 0.65 BRL 0.2 CAD 0.75 CHF 1.1 CZK 0.04 DKK 0.15 EUR 1.08 GBP 1.25 HKD 0.13 HUF 0.003 INR 0.012 JPY 0.0067 \
	MXN 0.055 NOK 0.09 NZD 0.6 PLN 0.25 SEK 0.095
{
	echo "$H"
	for c in AUD BRL CAD CHF CZK DKK EUR GBP HKD; do
		printf '2026-08-01T00:00:00Z,100000000117,Usage,2026-08-02T01:00:00Z,%s,10,10,EC2\n' $c
	done
	for c in HUF INR JPY MXN NOK NZD PLN SEK; do
		printf '2026-08-01T00:00:00Z,100000000118,Usage,2026-08-02T01:00:00Z,%s,10,10,EC2\n' $c
	done
} >"$TMP/aug-cur.csv"
"$PBI" --format aws-cur --no-progress "$TMP/aug-cur.csv" >"$TMP/ingest" 2>&1 || notok "ingest August in 17 currencies" "$(cat "$TMP/ingest")"
{
	echo month,from,to,rate
	while [ $# -gt 0 ]; do
		echo "2026-08,$1,USD,$2"
		shift 2
	done
} >"$TMP/rates-aug.csv"
"$PBA" rates --load "$TMP/rates-aug.csv" >/dev/null 2>&1 || notok "load August's 17 rates"
issue_empty 2026-08 2026-08-31
check "August: CUR17's line from 17 source currencies of one vendor, issued (exit 0)" \
	"0||PB-2026-08,2026-08-01,2026-08-31,1,CUR17,Seventeen Co,CenturyLink Cloud 1.0,charge,,USD,64.62,64.62,0.00" \
	"$?|$(cat "$TMP/err")|$({ tr -d '\r' <"$OUT/invoice-2026-08.csv"; } 2>/dev/null | grep ',CUR17,')"
check "August's detail: a row per currency, each converted, adding up to the line's exact figure" \
	"PB-2026-08,1,CUR17,aws,EC2,Usage,AUD,10,USD,6.5
PB-2026-08,1,CUR17,aws,EC2,Usage,BRL,10,USD,2
PB-2026-08,1,CUR17,aws,EC2,Usage,CAD,10,USD,7.5
PB-2026-08,1,CUR17,aws,EC2,Usage,CHF,10,USD,11
PB-2026-08,1,CUR17,aws,EC2,Usage,CZK,10,USD,0.4
PB-2026-08,1,CUR17,aws,EC2,Usage,DKK,10,USD,1.5
PB-2026-08,1,CUR17,aws,EC2,Usage,EUR,10,USD,10.8
PB-2026-08,1,CUR17,aws,EC2,Usage,GBP,10,USD,12.5
PB-2026-08,1,CUR17,aws,EC2,Usage,HKD,10,USD,1.3
PB-2026-08,1,CUR17,aws,EC2,Usage,HUF,10,USD,0.03
PB-2026-08,1,CUR17,aws,EC2,Usage,INR,10,USD,0.12
PB-2026-08,1,CUR17,aws,EC2,Usage,JPY,10,USD,0.067
PB-2026-08,1,CUR17,aws,EC2,Usage,MXN,10,USD,0.55
PB-2026-08,1,CUR17,aws,EC2,Usage,NOK,10,USD,0.9
PB-2026-08,1,CUR17,aws,EC2,Usage,NZD,10,USD,6
PB-2026-08,1,CUR17,aws,EC2,Usage,PLN,10,USD,2.5
PB-2026-08,1,CUR17,aws,EC2,Usage,SEK,10,USD,0.95" \
	"$({ tr -d '\r' <"$OUT/invoice-2026-08-detail.csv"; } 2>/dev/null | grep ',CUR17,')"

# ---- an issued month is aggregated as of its last day only -------------------------------------------------------
# A run of October as of the 5th would become its current run, and the next invoice would credit back all that
# came after the 5th as an adjustment. Refused: what the month was on the 5th is in its estimate history.
oct_run=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2026-10-01'")
"$PBA" --month 2026-10 --as-of 2026-10-05 >"$TMP/out" 2>"$TMP/err"
check "an issued month as of a day before its last: exit 4, its current run unchanged" \
	"4|pb-aggregate: 2026-10 is issued (PB-2026-10): it is aggregated as of its last day, 2026-10-31, not 2026-10-05|${oct_run:-?}" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2026-10-01'")"

# ---- an account first billed for a month by an adjustment keeps the terms it was billed under ---------------------
# ADJ1's October charge comes late: May's invoice bills it as an adjustment. Its markup, invoice currency and
# country change afterwards; October aggregated again must not reprice, refund or block it.
us_aws_account ADJ1 "Late Co" 100000000077
cur 2026-10 "$TMP/oct-adj/cur.csv" "100000000077 Usage 20 10 10 EC2"
"$PBI" --format aws-cur --no-progress --final "$TMP/oct-adj/cur.csv" >/dev/null 2>&1 || notok "ingest ADJ1's October"
"$PBA" --month 2026-10 --detail >/dev/null 2>&1 || notok "aggregate October with ADJ1"
issue_empty 2027-05 2027-05-31
check "May: ADJ1's October, first billed by an adjustment" \
	"0|PB-2027-05,2027-05-01,2027-05-31,1,ADJ1,Late Co,CenturyLink Cloud 1.0,adjustment,2026-10-01,USD,10.00,10.00,0.00" \
	"$?|$(tr -d '\r' <"$OUT/invoice-2027-05.csv" | grep ',ADJ1,')"
"$PBC" update ADJ1 --markup 50 --invoice-currency JPY --country GB >"$TMP/upd" 2>&1 || notok "change ADJ1's terms" "$(cat "$TMP/upd")"
"$PBA" --month 2026-10 --detail >"$TMP/agg" 2>&1 || notok "aggregate October after ADJ1's change" "$(cat "$TMP/agg")"
"$PBV" --month 2026-10 --diff >"$TMP/out" 2>"$TMP/err"
check "October aggregated after ADJ1's markup, currency and country changed: nothing to adjust" \
	"0|ADJ1,USD,10.00,10.00,0.00" "$?|$(grep '^ADJ1,' "$TMP/out")"

# ---- a partner account's days in two current imports are billed once per import: the issue is refused -----------
# OVL1's AWS account is in two exports of July (two sources: a CUR delivered twice under two prefixes, or two
# reports of one payer), both holding the 3rd. Each import alone is right; together they bill the 3rd twice.
us_aws_account OVL1 "Overlap Co" 100000000066
cur 2027-07 "$TMP/jul-a/cur.csv" "100000000066 Usage 3 5 5 EC2"
cur 2027-07 "$TMP/jul-b/cur.csv" "100000000066 Usage 3 5 5 S3" "100000000066 Usage 12 1 1 S3"
over "$PBI" --format aws-cur --no-progress --final "$TMP/jul-a/cur.csv" >/dev/null 2>&1 || notok "ingest July, source a"
over "$PBI" --format aws-cur --no-progress --final "$TMP/jul-b/cur.csv" >/dev/null 2>&1 || notok "ingest July, source b"
jul_a=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = 'file://$TMP/jul-a'")
jul_b=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = 'file://$TMP/jul-b'")
"$PBA" --month 2027-07 --as-of 2027-07-31 --detail >"$TMP/agg" 2>&1 || notok "aggregate July" "$(cat "$TMP/agg")"
"$PBV" --month 2027-07 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "July: the 3rd of OVL1's AWS account in two current imports: exit 4, named with both sources; nothing issued" \
	"4|pb-invoice: 2027-07 would bill usage twice: aws partner account 100000000066 (OVL1) is in import $jul_a (aws-cur from file://$TMP/jul-a) and import $jul_b (aws-cur from file://$TMP/jul-b) from 2027-07-03 to 2027-07-03 (--force --reason TEXT issues it all the same)|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2027-07-01'")"
# OVL1's link ended before July once the month was aggregated: the run bills OVL1 for the 3rd twice all the same
# (links change what a run to come bills, not the one made). Still refused, naming the account the run bills.
"$PBC" unlink OVL1 --vendor aws --partner-account 100000000066 --to 2027-06-30 >"$TMP/unlink" 2>&1 ||
	notok "end OVL1's link before July" "$(cat "$TMP/unlink")"
"$PBV" --month 2027-07 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "July's run billing the 3rd twice, the account's link ended since: still exit 4, naming it; nothing issued" \
	"4|pb-invoice: 2027-07 would bill usage twice: aws partner account 100000000066 (OVL1) is in import $jul_a (aws-cur from file://$TMP/jul-a) and import $jul_b (aws-cur from file://$TMP/jul-b) from 2027-07-03 to 2027-07-03 (--force --reason TEXT issues it all the same)|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2027-07-01'")"
# Source b sent again without the 3rd: the two imports now hold OVL1's account on days apart (the 3rd, the 12th).
cur 2027-07 "$TMP/jul-b/cur.csv" "100000000066 Usage 12 1 1 S3"
over "$PBI" --format aws-cur --no-progress --final "$TMP/jul-b/cur.csv" >/dev/null 2>&1 || notok "ingest July, source b again"
"$PBA" --month 2027-07 --as-of 2027-07-31 --detail >"$TMP/agg" 2>&1 || notok "aggregate July again" "$(cat "$TMP/agg")"
"$PBV" --month 2027-07 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "July with the two sources on days apart: no overlap refused (only what is not final)" "4|" \
	"$?|$(grep 'would bill usage twice' "$TMP/err")"

# ---- FOCUS: a credit of an account with a markup ---------------------------------------------------------------
# MKC1 pays 10% over list; AWS credits it 2 on the 5th. Its usage is 10 at list, 11 billed; the credit, a charge
# with no list price, has the ListCost of its BilledCost (as its ContractedCost and EffectiveCost).
us_aws_account MKC1 "Markup Credit Co" 100000000055
"$PBC" update MKC1 --markup 10 >/dev/null 2>&1 || notok "a markup of 10% for MKC1"
# The export names the AWS account (SubAccountName) with a comma, quotes and non-ASCII letters.
mkdir -p "$TMP/aug"
{
	echo "$H,line_item_usage_account_name,product_region_code"
	printf '2027-08-01T00:00:00Z,100000000055,Usage,2027-08-04T01:00:00Z,USD,10,10,EC2,"Ops, ""Prod"" Zürich",eu-central-2\n'
	printf '2027-08-01T00:00:00Z,100000000055,Credit,2027-08-05T01:00:00Z,USD,-2,,EC2,"Ops, ""Prod"" Zürich",\n'
	# A credit the export gives no service (no product name or code): FOCUS's ServiceName is never null.
	printf '2027-08-01T00:00:00Z,100000000055,Credit,2027-08-06T01:00:00Z,USD,-1,,,"Ops, ""Prod"" Zürich",\n'
} >"$TMP/aug/cur.csv"
over "$PBI" --format aws-cur --no-progress --final "$TMP/aug/cur.csv" >/dev/null 2>&1 || notok "ingest August"
"$PBA" --month 2027-08 --as-of 2027-08-31 --detail >"$TMP/agg" 2>&1 || notok "aggregate August" "$(cat "$TMP/agg")"
"$PBV" --month 2027-08 --focus "$TMP/focus-aug.csv" >/dev/null 2>&1 || notok "August's FOCUS"
check "FOCUS: a credit under a markup conforms (its ListCost is its BilledCost)" "0|" \
	"$(python3 "$ROOT/tests/integration/focus_check.py" "$TMP/focus-aug.csv"; echo "$?|")"
check "FOCUS: MKC1's rows, usage marked up and the credit at its billed value, the sub account and region named" \
	"Usage 11 10 Ops, \"Prod\" Zürich eu-central-2 eu-central-2|Credit -2.2 -2.2 Ops, \"Prod\" Zürich  |Credit -1.1 -1.1 Ops, \"Prod\" Zürich  " \
	"$(python3 -c '
import csv, sys
print("|".join("%s %s %s %s %s %s" % (r["ChargeCategory"], r["BilledCost"], r["ListCost"], r["SubAccountName"],
                                      r["RegionId"], r["RegionName"])
               for r in csv.DictReader(open(sys.argv[1], newline="")) if r["BillingAccountId"] == "MKC1"))' "$TMP/focus-aug.csv")"
check "FOCUS: a credit the export names no service of is the publisher's (ServiceName is never null)" \
	"Amazon Web Services,Amazon Web Services Credit, no region,Other" \
	"$(python3 -c '
import csv, sys
print("|".join("%s,%s,%s" % (r["ServiceName"], r["ChargeDescription"], r["ServiceCategory"])
               for r in csv.DictReader(open(sys.argv[1], newline="")) if r["ChargeDescription"].startswith("Amazon")))' \
	"$TMP/focus-aug.csv")"

# ---- two issues of a month at once ------------------------------------------------------------------------------
# The first has committed and is about to put its files in place; the second, started then, waits for it (it would
# otherwise take the first's files for a killed run's and remove them), then finds the files as issued.
"$PBA" --month 2027-06 --as-of 2027-06-30 --detail >"$TMP/agg" 2>&1 || notok "aggregate June" "$(cat "$TMP/agg")"
: >"$TMP/bg.err"
rm -f "$TMP/resume"
PB_TEST_PAUSE=invoice-committed PB_TEST_RESUME_FILE=$TMP/resume "$PBV" --month 2027-06 --issue --force --reason test \
	--out "$OUT" >"$TMP/out" 2>"$TMP/bg.err" &
bg=$!
pause_at $bg "$TMP/bg.err" invoice-committed || notok "the first issue pauses" "$(cat "$TMP/bg.err")"
"$PBV" --month 2027-06 --issue --force --reason test --out "$OUT" >"$TMP/out2" 2>"$TMP/err2" &
second=$!
waits_for_lock pb-invoice
touch "$TMP/resume"
wait $bg
st=$?
wait $second
check "two --issue of a month at once: both exit 0, the second waits for the first's files and finds them as issued" \
	"0|pb-invoice: test pause at invoice-committed|0||nothing to do|$(pb_sql "SELECT export_sha256 FROM pb.invoice WHERE billing_month = '2027-06-01'")" \
	"$st|$(cat "$TMP/bg.err")|$?|$(cat "$TMP/err2")|$(sed 's/.*: //' "$TMP/out2")|$(sha256sum <"$OUT/invoice-2027-06.csv" | cut -d' ' -f1)"

# ---- the month's rates changed since its run ---------------------------------------------------------------------
# JP1 is invoiced in yen. September is aggregated at 150 yen to the dollar, then the rate is loaded again at 151:
# the run's line is 150, the detail (and the rates the invoice freezes) would say 151. Refused even forced, as a run
# out of date is; aggregated again, it is issued at 151, and a rate loaded while it is being issued must wait.
cur 2027-09 "$TMP/sep/cur.csv" "100000000003 Usage 2 1 1 EC2"
over "$PBI" --format aws-cur --no-progress --final "$TMP/sep/cur.csv" >/dev/null 2>&1 || notok "ingest September"
printf 'month,from,to,rate\n2027-09,USD,JPY,150\n' >"$TMP/rates-sep.csv"
"$PBA" rates --load "$TMP/rates-sep.csv" >/dev/null 2>&1 || notok "load September's rate"
"$PBA" --month 2027-09 --as-of 2027-09-30 --detail >"$TMP/agg" 2>&1 || notok "aggregate September" "$(cat "$TMP/agg")"
sep_run=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2027-09-01'")
printf 'month,from,to,rate\n2027-09,USD,JPY,151\n' >"$TMP/rates-sep.csv"
"$PBA" rates --load "$TMP/rates-sep.csv" >/dev/null 2>&1 || notok "load September's rate again"
"$PBV" --month 2027-09 --issue --force --reason test --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "the month's rates changed since its run: exit 4 even forced, naming the pair; nothing issued" \
	"4|pb-invoice: aggregate run $sep_run of 2027-09 is out of date: the rate from USD to JPY is 151 now, not the 150 it converted with: run pb-aggregate --month 2027-09 --detail first|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2027-09-01'")"
# Its FOCUS dataset would convert the run's rows at 151 while its draft lines are at 150: refused the same way.
"$PBV" --month 2027-09 --focus "$TMP/focus-sep.csv" >"$TMP/out" 2>"$TMP/err"
check "--focus of a month whose rates changed since its run: exit 4, naming the pair; no file" \
	"4|pb-invoice: aggregate run $sep_run of 2027-09 is out of date: the rate from USD to JPY is 151 now, not the 150 it converted with: run pb-aggregate --month 2027-09 --detail first|f" \
	"$?|$(cat "$TMP/err")|$(test -e "$TMP/focus-sep.csv" && echo t || echo f)"
"$PBA" --month 2027-09 --as-of 2027-09-30 --detail >"$TMP/agg" 2>&1 || notok "aggregate September again" "$(cat "$TMP/agg")"
sep_run=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2027-09-01'")
# A load of rates that began before the run and committed after it (its stamp, loaded_at, says when it began): the
# run converted at 151 and never saw 153. Refused: it was taken for a rate loaded before the run, and the invoice
# converted the detail at 153 while its lines were at 151.
pb_sql_session_start
pb_sql_in "BEGIN; UPDATE pb.fx_rate SET rate = 153, loaded_at = now() WHERE month = '2027-09-01'"
"$PBA" --month 2027-09 --as-of 2027-09-30 --detail >"$TMP/agg" 2>&1 || notok "aggregate September, a load under way" "$(cat "$TMP/agg")"
pb_sql_in "COMMIT"
pb_sql_session_end
sep_run=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2027-09-01'")
"$PBV" --month 2027-09 --issue --force --reason test --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "a rate whose load began before the run and committed after it: exit 4, naming the pair; nothing issued" \
	"4|pb-invoice: aggregate run $sep_run of 2027-09 is out of date: the rate from USD to JPY is 153 now, not the 151 it converted with: run pb-aggregate --month 2027-09 --detail first|0" \
	"$?|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2027-09-01'")"
# The rate the run converted with loaded again: the run is the month's data, issued below without aggregating again.
printf 'month,from,to,rate\n2027-09,USD,JPY,151\n' >"$TMP/rates-sep.csv"
"$PBA" rates --load "$TMP/rates-sep.csv" >/dev/null 2>&1 || notok "load September's rate back"
# A rate loaded while the month is being issued waits for the invoice, then is refused: the rates are frozen.
# Before that, a load holds the month's rates (a session, for 2 s) when the issue begins: the issue waited for it
# inside its transaction, and was stamped issued (its run frozen) when it began waiting, before the load committed.
# It waits for the rates before its transaction begins, as for the month: stamped after the load's commit.
: >"$TMP/bg.err"
rm -f "$TMP/resume"
pb_sql_session_start
pb_sql_in "BEGIN; SELECT 1 FROM pb.fx_rate WHERE month = '2027-09-01' FOR UPDATE"
PB_TEST_PAUSE=invoice-staged PB_TEST_RESUME_FILE=$TMP/resume "$PBV" --month 2027-09 --issue --force --reason test \
	--out "$OUT" >"$TMP/out" 2>"$TMP/bg.err" &
bg=$!
waits_for_lock pb-invoice
sleep 2
pb_sql_in "SELECT clock_timestamp()"
held=$SQL_ROWS
pb_sql_in "COMMIT"
pb_sql_session_end
pause_at $bg "$TMP/bg.err" invoice-staged || notok "the issue of September pauses" "$(cat "$TMP/bg.err")"
# An issued month aggregated again (a finance rerun) while a later month's invoice, which may adjust it, is being
# issued: refused, and the refusal says so; it said "the aggregation of 2027-06 is running already: pb-invoice",
# sending the operator after an aggregation that nothing was running.
"$PBA" --month 2027-06 --as-of 2027-06-30 --detail >"$TMP/out" 2>"$TMP/err"
st=$?
check "an issued month aggregated while a later month's invoice is issued: exit 4, the invoice named, not an aggregation" \
	"4|1" "$st|$(grep -Ecx "pb-aggregate: 2027-06 is not aggregated while an invoice that bills or adjusts it is being issued: pb-invoice, server process [0-9]+, since [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC \(aggregate it again when that is done\)" "$TMP/err")"
printf 'month,from,to,rate\n2027-09,USD,JPY,152\n' >"$TMP/rates-sep.csv"
"$PBA" rates --load "$TMP/rates-sep.csv" >"$TMP/rates.out" 2>"$TMP/rates.err" &
rates=$!
waits_for_lock pb-aggregate
touch "$TMP/resume"
wait $bg
st=$?
wait $rates
rst=$?
check "September issued at 151 while a rate of 152 was being loaded: the load waited and was refused" \
	"0|JP1,JPY,151|4|pb-aggregate: $TMP/rates-sep.csv:2:1: the rates of 2027-09 are frozen: the month's invoice is issued|151" \
	"$st|$(tr -d '\r' <"$OUT/invoice-2027-09.csv" | grep ',JP1,' | cut -d, -f5,10,11)|$rst|$(cat "$TMP/rates.err")|$(pb_sql "SELECT trim_scale(rate) FROM pb.fx_rate WHERE month = '2027-09-01'")"
check "an issue that waited for a load of the month's rates is stamped issued, its run frozen, after the load's commit" \
	"t|t" \
	"$(pb_sql "SELECT i.issued_at > '$held', r.frozen_at > '$held' FROM pb.invoice i JOIN pb.aggregate_run r ON r.id = i.run_id WHERE i.billing_month = '2027-09-01'" '|')"

# ---- a report made while its month is aggregated again ------------------------------------------------------
# August is not issued: its report is of its current run, whose day by day series goes when a new run commits.
# A report that has begun is of the run it began with, whole: the same bytes as one made before.
"$PBV" --month 2027-08 --report "$TMP/report-aug.html" >/dev/null 2>&1 || notok "August's report"
: >"$TMP/bg.err"
rm -f "$TMP/resume"
PB_TEST_PAUSE=report-run PB_TEST_RESUME_FILE=$TMP/resume "$PBV" --month 2027-08 --report "$TMP/report-aug2.html" \
	>/dev/null 2>"$TMP/bg.err" &
bg=$!
pause_at $bg "$TMP/bg.err" report-run || notok "the report pauses" "$(cat "$TMP/bg.err")"
"$PBA" --month 2027-08 --as-of 2027-08-31 --detail >"$TMP/agg" 2>&1 || notok "aggregate August again" "$(cat "$TMP/agg")"
touch "$TMP/resume"
wait $bg
check "a report of a month aggregated again while it is made: exit 0, the run it began with, whole" "0|same" \
	"$?|$(cmp -s "$TMP/report-aug.html" "$TMP/report-aug2.html" && echo same || grep -o 'day 31: [^<]*' "$TMP/report-aug2.html")"

# ---- an issued month's report ranks its accounts through the rates its run converted with -----------------------
# EUR1, invoiced in euros from October 2027, is billed EUR 100 then, and MKC1 USD 66: the month has no rate between
# the two, so EUR1 ranks first. A rate from USD to EUR loaded after the issue (a new pair may be, for a late charge)
# must not reorder the issued month's report: it is made again byte for byte.
"$PBC" update EUR1 --invoice-currency EUR >"$TMP/upd" 2>&1 || notok "EUR1 invoiced in euros" "$(cat "$TMP/upd")"
{
	echo "$H"
	printf '2027-10-01T00:00:00Z,100000000099,Usage,2027-10-02T01:00:00Z,EUR,100,100,S0\n'
	printf '2027-10-01T00:00:00Z,100000000055,Usage,2027-10-02T01:00:00Z,USD,60,60,EC2\n'
} >"$TMP/oct27.csv"
over "$PBI" --format aws-cur --no-progress --final "$TMP/oct27.csv" >/dev/null 2>&1 || notok "ingest October 2027"
# A load of a pair from EUR to USD (at 0.5: EUR1's EUR 100 would rank as USD 50) begins before the issue and commits
# after it: stamped before the issue, it was ranked with, though the run never converted with it. The report ranks
# an issued month with the rates its run kept.
pb_sql_session_start
pb_sql_in "BEGIN; INSERT INTO pb.fx_rate (month, from_currency, to_currency, rate, source, loaded_by) VALUES ('2027-10-01', 'EUR', 'USD', 0.5, 'test', 'test')"
issue_empty 2027-10 2027-10-31
pb_sql_in "COMMIT"
pb_sql_session_end
"$PBV" --month 2027-10 --report "$TMP/report-oct27.html" >/dev/null 2>&1 || notok "October 2027's report"
check "an issued month's report after a pair whose load began before the issue committed: ranked with the run's rates" \
	"PB-2027-10|EUR1 MKC1" \
	"$(pb_sql "SELECT number FROM pb.invoice WHERE billing_month = '2027-10-01'")|$(grep -o 'class="chart" data-account="[A-Z0-9]*"' "$TMP/report-oct27.html" | sed 's/.*="//; s/"$//' | paste -sd' ')"
printf 'month,from,to,rate\n2027-10,USD,EUR,2\n' >"$TMP/rates-oct27.csv"
"$PBA" rates --load "$TMP/rates-oct27.csv" >/dev/null 2>&1 || notok "a new pair for October 2027"
"$PBV" --month 2027-10 --report "$TMP/report-oct27b.html" >/dev/null 2>&1 || notok "October 2027's report again"
check "an issued month's report after a new pair of rates: its accounts in the same order, the same file" \
	"EUR1 MKC1|same" \
	"$(grep -o 'class="chart" data-account="[A-Z0-9]*"' "$TMP/report-oct27b.html" | sed 's/.*="//; s/"$//' | paste -sd' ')|$(cmp -s "$TMP/report-oct27.html" "$TMP/report-oct27b.html" && echo same)"
# A run stored before runs kept their rates (migration 024 applied after it, as told here): ranked with the rates
# loaded before the issue (the pair from EUR to USD, stamped before it), not as the amounts stand.
applied24=$(pb_sql "SELECT applied_at FROM pb.schema_migrations WHERE version = 24")
pb_sql "UPDATE pb.schema_migrations SET applied_at = now() WHERE version = 24" >/dev/null
"$PBV" --month 2027-10 --report "$TMP/report-oct27c.html" >/dev/null 2>&1 || notok "October 2027's report, a run before 024"
pb_sql "UPDATE pb.schema_migrations SET applied_at = '$applied24' WHERE version = 24" >/dev/null
check "an issued month's report whose run was stored before runs kept their rates: ranked with the rates loaded before the issue" \
	"MKC1 EUR1" \
	"$(grep -o 'class="chart" data-account="[A-Z0-9]*"' "$TMP/report-oct27c.html" | sed 's/.*="//; s/"$//' | paste -sd' ')"

# ---- the rates of a month an invoice adjusts -----------------------------------------------------------------------
# A late charge of EUR1's in pounds for issued October 2027, and the new pair from GBP to EUR loaded while October's
# new run waited for its rows (a session holding them): the run began before the rate was loaded, but read it (its
# snapshot is taken after the wait) and converts with it. November's issue, which adjusts October from that run, was
# refused (even forced) as if the rate had been loaded after the run, until October was aggregated again for nothing.
# The run keeps the rates it converted with: issued, the adjustment is GBP 10 at 1.2.
mkdir -p "$TMP/oct27-late"
{
	echo "$H"
	printf '2027-10-01T00:00:00Z,100000000099,Usage,2027-10-20T01:00:00Z,GBP,10,10,S0\n'
} >"$TMP/oct27-late/cur.csv"
over "$PBI" --format aws-cur --no-progress --final "$TMP/oct27-late/cur.csv" >"$TMP/agg" 2>&1 ||
	notok "ingest October 2027's late charge in pounds" "$(cat "$TMP/agg")"
pb_sql_session_start
pb_sql_in "BEGIN; LOCK TABLE pb.usage_daily_2027_10 IN ACCESS EXCLUSIVE MODE"
: >"$TMP/bg.err"
"$PBA" --month 2027-10 --as-of 2027-10-31 --detail >/dev/null 2>"$TMP/bg.err" &
bg=$!
pb_until 120 grep -q "waiting for" "$TMP/bg.err" || notok "October 2027's run waits for its rows" "$(cat "$TMP/bg.err")"
printf 'month,from,to,rate\n2027-10,GBP,EUR,1.2\n' >"$TMP/rates-oct27-gbp.csv"
"$PBA" rates --load "$TMP/rates-oct27-gbp.csv" >/dev/null 2>&1 || notok "a pair from GBP to EUR for October 2027"
pb_sql_in "COMMIT"
pb_sql_session_end
wait $bg || notok "aggregate October 2027 with its late charge" "$(cat "$TMP/bg.err")"
oct27_run=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2027-10-01'")
"$PBA" --month 2027-11 --as-of 2027-11-30 --detail >"$TMP/agg" 2>&1 || notok "aggregate November 2027" "$(cat "$TMP/agg")"
"$PBV" --month 2027-11 --issue --force --reason test --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "--issue of a month adjusting one whose run waited while a rate it converts with was loaded: issued, the late pounds at that rate, the run frozen" \
	"0||PB-2027-11,2027-11-01,2027-11-30,1,EUR1,Euro Co,CenturyLink Cloud 1.0,adjustment,2027-10-01,EUR,12.00,12.00,0.00|t" \
	"$?|$(cat "$TMP/err")|$(tr -d '\r' <"$OUT/invoice-2027-11.csv" | sed 1d)|$(pb_sql "SELECT frozen FROM pb.aggregate_run WHERE id = $oct27_run")"

# ---- a month that has not ended ----------------------------------------------------------------------------------
# Its sources final (an AWS report with an invoice id on every line, an Azure export declared final) and a run as of
# its last day: still not final, as its days to come are not in it. Refused unless forced, like data not final. (Both
# are stored on a day after January 2099: pb-ingest takes --final, and an AWS report's invoice ids, as final only then.)
mkdir -p "$TMP/fut-aws" "$TMP/fut-azure"
{
	echo "$H,bill_invoice_id"
	printf '2099-01-01T00:00:00Z,100000000001,Usage,2099-01-02T01:00:00Z,USD,1,1,EC2,INV-1\n'
} >"$TMP/fut-aws/cur.csv"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory' \
	'6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,01/02/2099,Usage,USD,6,6,1,Virtual Machines' >"$TMP/fut-azure/cost.csv"
{
	PB_TEST_TODAY=2099-02-01 "$PBI" --format aws-cur --no-progress "$TMP/fut-aws/cur.csv" &&
		PB_TEST_TODAY=2099-02-01 "$PBI" --format azure-cost --no-progress --final "$TMP/fut-azure/cost.csv" &&
		"$PBA" --month 2099-01 --as-of 2099-01-31 --detail
} >"$TMP/fut.log" 2>&1 || notok "ingest and aggregate January 2099" "$(cat "$TMP/fut.log")"
"$PBV" --month 2099-01 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
st=$?
check "a month that has not ended, its sources final: exit 4, saying so; nothing issued" \
	"4|pb-invoice: 2099-01 is not final: the month has not ended (today is $(date -u +%F) UTC) (--force --reason TEXT issues it all the same)|0" \
	"$st|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2099-01-01'")"
# Today is the database server's, as for pb-ingest --final (a test build's PB_TEST_TODAY stands for it in both): a day
# after January 2099, the month is over, but both its sources were stored before it ended.
PB_TEST_TODAY=2099-02-01 "$PBV" --month 2099-01 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
st=$?
check "the same on a day after the month (PB_TEST_TODAY): over, but its sources stored before it ended; exit 4" \
	"4|pb-invoice: 2099-01 is not final: aws aws-cur from file://$TMP/fut-aws was stored on $(date -u +%F), before the month ended, azure azure-cost from file://$TMP/fut-azure was stored on $(date -u +%F), before the month ended (--force --reason TEXT issues it all the same)|0" \
	"$st|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2099-01-01'")"
# --out DIR was made before the issue was refused, and stayed, empty: a folder of invoices with none in it. The
# folder this run made goes again when nothing is written into it; one that was there stays.
mkdir -p "$TMP/fut-out"
"$PBV" --month 2099-01 --issue --out "$TMP/fut-out/invoices" >"$TMP/out" 2>"$TMP/err"
check "--issue refused into a folder it made: exit 4, the folder not left behind" "4|not there" \
	"$?|$([ -e "$TMP/fut-out/invoices" ] && echo there || echo not there)"
mkdir -p "$TMP/fut-out/kept"
"$PBV" --month 2099-01 --issue --out "$TMP/fut-out/kept" >"$TMP/out" 2>"$TMP/err"
check "--issue refused into a folder that was there: exit 4, the folder stays" "4|there" \
	"$?|$([ -d "$TMP/fut-out/kept" ] && echo there || echo not there)"

"$PBV" --month 2026-10 --issue --force --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "--force without --reason is a usage error" "2|pb-invoice: --force and --reason TEXT go together, with --issue" \
	"$?|$(head -1 "$TMP/err")"
# --out is where --issue puts its files: given with another action it was ignored (exit 0, and nothing where the
# user then looked for the files), and "--out -" made a folder named '-' in the current one. Both are usage errors.
"$PBV" --month 2026-10 --draft --out "$TMP/drafts" >"$TMP/out" 2>"$TMP/err"
check "--out without --issue: exit 2, nothing printed or made" \
	"2||pb-invoice: --out DIR goes with --issue|Try 'pb-invoice --help'.|no" \
	"$?|$(cat "$TMP/out")|$(paste -sd'|' "$TMP/err")|$([ -e "$TMP/drafts" ] && echo yes || echo no)"
(cd "$TMP" && "$PBV" --month 2026-10 --issue --out - >"$TMP/out" 2>"$TMP/err")
check "--out -: exit 2, no folder '-' made" \
	"2|pb-invoice: --out needs a folder, not '-' (it writes two files there; not standard output)|Try 'pb-invoice --help'.|no" \
	"$?|$(paste -sd'|' "$TMP/err")|$([ -e "$TMP/-" ] && echo yes || echo no)"
# A reason that is not UTF-8 was mistyped: a usage error before anything is read (the database would refuse it,
# and pb-run would retry that as a failed dependency).
"$PBV" --month 2027-09 --issue --force --reason $'late \xff report' --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "--reason that is not UTF-8: exit 2, naming the byte" \
	"2|pb-invoice: invalid UTF-8 in --reason at byte 6|Try 'pb-invoice --help'." "$?|$(paste -sd'|' "$TMP/err")"
"$PBV" --month 2026-09 --draft >"$TMP/out" 2>"$TMP/err"
check "a month without an aggregate run: exit 1" \
	"1|pb-invoice: 2026-09 has no aggregate run: run pb-aggregate --month 2026-09 --detail" "$?|$(cat "$TMP/err")"
# A month issued with no line, that bills no account now either: --diff has no row to show, but the month is
# issued (it said "no issued invoice", exit 1, as if it were not).
issue_empty 2026-05 2026-05-31
"$PBV" --month 2026-05 --diff >"$TMP/out" 2>"$TMP/err"
check "--diff of a month issued without a line: exit 0, the header alone" \
	"0|account_alias,currency,invoiced,now,difference|" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")"

# ---- a final import stored before its month ended -----------------------------------------------------------------
# An export marked final (--final) while its month still ran holds none of the days after it was made. A run as of
# the month's last day made from it, issued once the month was over, billed the month without them: the month had
# ended and every source said it was final. Such an import is not final to --issue: refused (exit 4) naming it,
# unless forced. (Its start is set back to the 20th, as a run that day would have stored it.)
us_aws_account EARLY1 "Early Co" 100000000044
cur 2026-03 "$TMP/mar-early/cur.csv" "100000000044 Usage 3 5 5 EC2"
mkdir -p "$TMP/mar-azure"
printf '%s\n' 'SubscriptionId,Date,ChargeType,BillingCurrency,CostInBillingCurrency,PayGPrice,Quantity,MeterCategory' \
	'6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01,03/02/2026,Usage,USD,1,1,1,Virtual Machines' >"$TMP/mar-azure/cost.csv"
"$PBI" --format aws-cur --no-progress --final "$TMP/mar-early/cur.csv" >/dev/null 2>&1 || notok "ingest March 2026's AWS, final"
"$PBI" --format azure-cost --no-progress --final "$TMP/mar-azure/cost.csv" >/dev/null 2>&1 || notok "ingest March 2026's Azure"
early=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = 'file://$TMP/mar-early'")
pb_sql "UPDATE pb.import SET started_at = '2026-03-20 10:00:00+00' WHERE id = $early" >/dev/null
"$PBA" --month 2026-03 --detail >"$TMP/agg" 2>&1 || notok "aggregate March 2026" "$(cat "$TMP/agg")"
"$PBV" --month 2026-03 --issue --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "--issue of a month whose final import was stored before the month ended: exit 4 naming it, nothing issued" \
	"4||pb-invoice: 2026-03 is not final: aws aws-cur from file://$TMP/mar-early was stored on 2026-03-20, before the month ended (--force --reason TEXT issues it all the same)|0" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2026-03-01'")"
"$PBV" --month 2026-03 --issue --force --reason "the export of the 20th is all there is" --out "$OUT" >"$TMP/out" 2>"$TMP/err"
check "the same, forced: issued" "0|2 lines|" "$?|$(grep -o '[0-9]* lines*,' "$TMP/out" | tr -d ,)|$(cat "$TMP/err")"

# ---- a draft, report or dataset of a run out of date --------------------------------------------------------------
# An import of the month committed after its current run: --issue and --diff refuse the run, but --draft, --report
# and --focus of the month (not issued) said nothing, and finance read a draft that --issue then refused. Each
# still makes what the run holds (exit 0: a draft is still wanted) and says so once on stderr, naming the import.
us_aws_account STALE1 "Stale Co" 100000000045
cur 2026-04 "$TMP/apr-a/cur.csv" "100000000045 Usage 3 5 5 EC2"
cur 2026-04 "$TMP/apr-b/cur.csv" "100000000045 Usage 4 2 2 S3"
{
	"$PBI" --format aws-cur --no-progress "$TMP/apr-a/cur.csv" && "$PBA" --month 2026-04 --detail &&
		"$PBI" --format aws-cur --no-progress "$TMP/apr-b/cur.csv"
} >"$TMP/apr.log" 2>&1 || notok "ingest and aggregate April 2026, then ingest its second source" "$(cat "$TMP/apr.log")"
apr_run=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2026-04-01'")
apr_b=$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = 'file://$TMP/apr-b'")
W="pb-invoice: warning: aggregate run $apr_run of 2026-04 is out of date: import $apr_b (aws from file://$TMP/apr-b) is not in it: run pb-aggregate --month 2026-04 --detail first (--issue refuses the run; these figures are not the month's now)"
"$PBV" --month 2026-04 --draft >"$TMP/out" 2>"$TMP/err"
check "--draft of a run an import came after: exit 0, the run's line, one warning naming the import" \
	"0|$W|STALE1,USD,5.00" "$?|$(cat "$TMP/err")|$(tr -d '\r' <"$TMP/out" | grep ',STALE1,' | cut -d, -f5,10,11)"
"$PBV" --month 2026-04 --report "$TMP/apr.html" >/dev/null 2>"$TMP/err"
check "--report of it: exit 0, written, the same warning" "0|$W|written" \
	"$?|$(cat "$TMP/err")|$([ -s "$TMP/apr.html" ] && echo written)"
"$PBV" --month 2026-04 --focus "$TMP/apr-focus.csv" >/dev/null 2>"$TMP/err"
check "--focus of it: exit 0, written, the same warning" "0|$W|written" \
	"$?|$(cat "$TMP/err")|$([ -s "$TMP/apr-focus.csv" ] && echo written)"
"$PBA" --month 2026-04 --detail >/dev/null 2>&1 || notok "aggregate April 2026 again"
"$PBV" --month 2026-04 --draft >"$TMP/out" 2>"$TMP/err"
check "--draft once aggregated again: exit 0, no warning, the line with both imports" "0||STALE1,USD,7.00" \
	"$?|$(cat "$TMP/err")|$(tr -d '\r' <"$TMP/out" | grep ',STALE1,' | cut -d, -f5,10,11)"

# Bounded memory: --issue held the whole detail file (and the export, and every line) in memory before writing
# them: 20,000 detail rows (5 MB of detail) took 8.5 MB more than --draft of the month. Now the files are written
# as the rows come, a batch at a time (under 1 MB more). Under the sanitizers memory is not the program's own:
# the files alone are checked there.
pb_sql "INSERT INTO pb.clc_account (alias, name, billing_country, created_by) VALUES ('BIG1', 'Big', 'US', 'test');
	INSERT INTO pb.terms_acceptance (alias, terms, region, version, accepted_by) VALUES
	('BIG1', 'centurylink', NULL, '1', 'test'), ('BIG1', 'aws', 'US', '1', 'test');
	INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, valid_to, created_by)
	VALUES ('aws', '100000000097', 'BIG1', '2026-06-01', '2026-06-30', 'test')" >/dev/null
[ "$(pb_sql "SELECT count(*) FROM pb.partner_account WHERE alias = 'BIG1'")" = 1 ] ||
	notok "June's account BIG1 and its link stored"
mkdir -p "$TMP/jun"
{
	echo "$H"
	awk 'BEGIN { s = sprintf("%0190d", 0); for (i = 0; i < 20000; i++)
		printf "2026-06-01T00:00:00Z,100000000097,Usage,2026-06-%02dT01:00:00Z,USD,0.0%d,0.0%d,Service %06d %s\n", i % 30 + 1, i % 97 + 1, i % 89 + 1, i, s }'
} >"$TMP/jun/cur.csv"
{
	echo month,from,to,rate
	pb_sql "SELECT DISTINCT '2026-06,USD,' || invoice_currency || ',2' FROM pb.clc_account WHERE invoice_currency <> 'USD'"
} >"$TMP/jun/rates.csv"
{
	"$PBA" rates --load "$TMP/jun/rates.csv" && "$PBI" --format aws-cur --no-progress --final "$TMP/jun/cur.csv" &&
		"$PBA" --month 2026-06 --detail
} >"$TMP/jun.log" 2>&1 || notok "ingest and aggregate June" "$(cat "$TMP/jun.log")"
/usr/bin/time -f %M -o "$TMP/rss.draft" "$PBV" --month 2026-06 --draft >"$TMP/jun-draft.csv" 2>"$TMP/err"
/usr/bin/time -f %M -o "$TMP/rss.issue" "$PBV" --month 2026-06 --issue --force --reason "a test" --out "$OUT" \
	>"$TMP/out" 2>"$TMP/err"
st=$?
rss=small
grep -q __asan_init "$PBV" ||
	rss=$(awk 'NR == FNR { n = $1; next } { print $1 - n < 4096 ? "small" : $1 - n " KB more than --draft" }' \
		<(tail -n 1 "$TMP/rss.draft") <(tail -n 1 "$TMP/rss.issue"))
check "--issue of 20,000 detail rows: the files as the stored hashes say, in less than 4 MB more than --draft" \
	"0|20001|$(pb_sql "SELECT export_sha256 || ' ' || detail_sha256 FROM pb.invoice WHERE billing_month = '2026-06-01'")|small" \
	"$st|$(wc -l <"$OUT/invoice-2026-06-detail.csv")|$(sha256sum <"$OUT/invoice-2026-06.csv" | cut -c1-64) $(sha256sum <"$OUT/invoice-2026-06-detail.csv" | cut -c1-64)|$rss"

# ---- FOCUS BilledCost at a tie of the 18th place: the markup rounded as the invoice rounds it ---------------------
# MK1 is billed 1.000000000000000001 with a 50% markup: the markup is 0.5000000000000000005, a tie that rounds
# half-to-even to 0.5, and the invoice's exact figure is 1.500000000000000001. The FOCUS rows rounded the
# amount with its markup (1.5000000000000000015) instead, to ...002.
us_aws_account MK1 "Markup Co" 100000000096
"$PBC" update MK1 --markup 50 >/dev/null 2>&1 || notok "a markup of 50% for MK1"
cur 2027-12 "$TMP/dec27/cur.csv" "100000000096 Usage 2 1.000000000000000001 1.000000000000000001 EC2"
{
	over "$PBI" --format aws-cur --no-progress --final "$TMP/dec27/cur.csv" &&
		"$PBA" --month 2027-12 --as-of 2027-12-31 --detail && over "$PBV" --month 2027-12 --focus "$TMP/focus-dec27.csv"
} >"$TMP/dec27.log" 2>&1 || notok "ingest, aggregate and write December 2027's FOCUS" "$(cat "$TMP/dec27.log")"
check "FOCUS: MK1's BilledCost at a tie of the 18th place is the invoice's exact figure, its markup rounded half-to-even" \
	"1.500000000000000001|1.000000000000000001,1.500000000000000001" \
	"$(pb_sql "SELECT trim_scale(a.month_to_date + a.markup) FROM pb.aggregate_account a JOIN pb.aggregate_run r
	ON r.id = a.run_id AND r.status = 'current' AND r.billing_month = '2027-12-01' WHERE a.alias = 'MK1' AND a.vendor = 'all'")|$(python3 -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if r["BillingAccountId"] == "MK1":
        print(r["ListCost"] + "," + r["BilledCost"])' "$TMP/focus-dec27.csv")"

# ---- --diff of an amount out of the range of amounts ---------------------------------------------------------------
# An invoiced total beyond the range of amounts (here one line of 3e20, as a database edited by hand may hold): --diff
# printed an unparsed, uninitialised figure for it. It is refused, naming the account and the amount.
pb_sql "INSERT INTO pb.invoice_line (invoice_id, line, alias, account_name, line_item, kind, currency, amount, exact)
	SELECT id, 1, 'HUGE1', 'Huge Co', 'CenturyLink Cloud 1.0', 'charge', 'USD', 300000000000000000000,
	300000000000000000000 FROM pb.invoice WHERE billing_month = '2026-05-01'" >/dev/null || notok "a line of 3e20 in May"
"$PBV" --month 2026-05 --diff >"$TMP/out" 2>"$TMP/err"
check "--diff of an invoiced 3e20: exit 1 naming the account and the amount, nothing printed" \
	"1|pb-invoice: account 'HUGE1': invoiced 300000000000000000000 USD, now 0: out of the range of amounts, or more decimals than USD has|" \
	"$?|$(cat "$TMP/err")|$(cat "$TMP/out")"

# ---- --report of a month to date out of the range of amounts -------------------------------------------------------
# MK1's days of December 2027 (as a database edited by hand may hold): 9e19 on the 10th and the 11th, -9e19 on the
# 12th. The chart's running sum passed the range of amounts on the 11th and started again from that day's figure,
# silently: the chart showed 9e19 where the month to date was 1.8e20. Refused, naming the account and the day.
pb_sql "INSERT INTO pb.aggregate_daily (run_id, alias, vendor, usage_date, usage, one_off) SELECT r.id, 'MK1', 'aws',
	d, CASE WHEN d < '2027-12-12' THEN 90000000000000000000 ELSE -90000000000000000000 END, 0
	FROM pb.aggregate_run r, generate_series('2027-12-10'::date, '2027-12-12', '1 day') d
	WHERE r.billing_month = '2027-12-01' AND r.status = 'current'" >/dev/null || notok "MK1's days of 9e19"
dec27_run=$(pb_sql "SELECT id FROM pb.aggregate_run WHERE status = 'current' AND billing_month = '2027-12-01'")
"$PBV" --month 2027-12 --report "$TMP/report-dec27.html" >"$TMP/out" 2>"$TMP/err"
check "--report whose month to date passes the range of amounts: exit 1 naming the account and the day, no file" \
	"1|pb-invoice: account 'MK1' (aggregate run $dec27_run of 2027-12): its month to date through day 11 is out of the range of amounts: '$TMP/report-dec27.html' not written|f" \
	"$?|$(cat "$TMP/err")|$(test -e "$TMP/report-dec27.html" && echo t || echo f)"


# ---- a stop once the issue has committed ------------------------------------------------------------------------
# SIGTERM after the commit, with the files staged: the month is issued, so its files go in place before the program
# ends by the signal (it removed them, and the month stayed issued without its files until --issue ran again).
"$PBA" --month 2025-01 --as-of 2025-01-31 --detail >"$TMP/agg" 2>&1 || notok "aggregate January 2025" "$(cat "$TMP/agg")"
invoice_sessions_gone
: >"$TMP/bg.err"
PB_TEST_PAUSE=invoice-committed PB_TEST_PAUSE_SECONDS=2 "$PBV" --month 2025-01 --issue --force --reason test \
	--out "$TMP/held" >"$TMP/out" 2>"$TMP/bg.err" &
bg=$!
pause_at $bg "$TMP/bg.err" invoice-committed && kill -TERM $bg
wait $bg
st=$?
check "SIGTERM once the issue has committed: its files are put in place, then it ends by the signal" \
	"143|1|invoice-2025-01-detail.csv invoice-2025-01.csv|$(pb_sql "SELECT export_sha256 FROM pb.invoice WHERE billing_month = '2025-01-01'")" \
	"$st|$(pb_sql "SELECT count(*) FROM pb.invoice WHERE billing_month = '2025-01-01'")|$(ls "$TMP/held" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')|$(sha256sum <"$TMP/held/invoice-2025-01.csv" 2>/dev/null | cut -d' ' -f1)"
pb_tests_done
