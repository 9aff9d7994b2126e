#!/usr/bin/env bash
# Every option a program's --help (and each pb-accounts command's --help) names is in its man page, and
# --help and --version exit 0; an unknown option or one without its value exits 2, named. No database.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# man_text PAGE: the page's source with roff escapes of hyphens and fonts removed.
man_text() { sed 's/\\-/-/g; s/\\f[BIRP]//g' "$ROOT/man/$1.1"; }

# options TEXT: the long options TEXT names, one a line.
options() { grep -o -- '--[a-z][a-z0-9-]*' <<<"$1" | sort -u; }

for p in pb-accounts pb-aggregate pb-api pb-db pb-ingest pb-invoice pb-prices pb-run; do
	help=$("$BIN/$p" --help 2>&1)
	st=$?
	version=$("$BIN/$p" --version 2>&1)
	check "$p --help and --version exit 0" "0|0|$p $(sed -n "s/^VERSION := //p" "$ROOT/Makefile")" "$st|$?|$version"
	# Standard output that cannot be written (a full disk) is the environment failing, not bad data: exit 3.
	err=$("$BIN/$p" --version 2>&1 >/dev/full)
	check "$p --version >/dev/full: exit 3, saying so" "3|$p: cannot write standard output: No space left on device" \
		"$?|$err"
	texts=("$help")
	if [ "$p" == pb-accounts ]; then
		for c in $(sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p; s/^  \([a-z][a-z-]*\)$/\1/p' <<<"$help"); do
			texts+=("$("$BIN/$p" "$c" --help 2>&1)")
		done
	fi
	page=$(man_text "$p")
	missing=
	for t in "${texts[@]}"; do
		for o in $(options "$t"); do
			grep -q -F -- "$o" <<<"$page" || missing="$missing $o"
		done
	done
	check "every option of $p --help is in man/$p.1" "" "$missing"
	check "man/$p.1 renders without a warning" "" "$(groff -t -man -ww -z -Tutf8 "$ROOT/man/$p.1" 2>&1)"
	# The exit statuses 0 to 4 that --help names are those of the man page's EXIT STATUS.
	help_st=$(sed -n '/^Exit status/,$p' <<<"$help" | grep -oE '(^|[ ;:,(])[0-4]( |$)' | grep -oE '[0-9]' | sort -u | xargs)
	man_st=$(awk '/^\.SH EXIT/{p=1;next} /^\.SH/{p=0} p' "$ROOT/man/$p.1" | grep -oE '(^|[ ;:,(]|^\.B )[0-4]( |$)' |
		grep -oE '[0-9]' | sort -u | xargs)
	check "$p --help names the exit statuses of man/$p.1" "$man_st" "$help_st"
	# Every program refuses at connect while pb-db migrate holds or waits for its lock: its EXIT STATUS says so.
	check "man/$p.1's EXIT STATUS says what a migration under way does" "yes" \
		"$(awk '/^\.SH EXIT/{p=1;next} /^\.SH/{p=0} p' "$ROOT/man/$p.1" | tr '\n' ' ' |
			grep -q "migrate.*migrations' lock" && echo yes)"
done
# pb-db psql passes its arguments to psql (the other commands take none): its usage says so, as its man page does.
check "pb-db --help: psql takes psql's arguments" \
	"usage: pb-db init|start|stop|status|migrate
       pb-db psql [PSQL-ARGUMENT]..." "$("$BIN/pb-db" --help | head -n 2)"
# A token is printed once: started with standard output closed, token create would store one that it printed
# nowhere (exit 0). Refused now, before the database is reached (there is none here): an output that cannot be
# written, exit 3 as in every program.
err=$(PB_VAR_DIR=$(mktemp -u) "$BIN/pb-api" token create --account ACME1 --by ops 2>&1 >&-)
check "pb-api token create with standard output closed: exit 3, nothing made" \
	"3|pb-api: cannot write standard output: Bad file descriptor" "$?|$err"
# Output that cannot be written exits 3 (above): pb-accounts' help and each command's say so, not 1.
got=$("$BIN/pb-accounts" --help | sed -n '/^Exit status/,$p')
got="$got|$("$BIN/pb-accounts" link --help | sed -n '/^Exit status/,$p')"
want="Exit status: 0 success, 1 bad input, 2 usage error, 3 a dependency (database, Partner Center) failed or
standard output cannot be written, 4 refused by a rule."
check "pb-accounts --help: output that cannot be written is exit status 3" "$want|$want" "$got"
# The dates link takes: both ends of the range every program takes, not the last alone.
check "pb-accounts link --help: --from and --to in a month from 0001-01 to 9999-11" \
	"  --from DATE, --to DATE  YYYY-MM-DD, in a month from 0001-01 to 9999-11 as in every program" \
	"$("$BIN/pb-accounts" link --help | grep -e '--from DATE, --to DATE')"

# The option loop the programs share (common/opts.c): an unknown option, an option without its value.
for p in pb-aggregate pb-api pb-ingest pb-invoice pb-prices; do
	err=$("$BIN/$p" --bogus 2>&1 >/dev/null)
	check "$p --bogus: exit 2, named" "2|$p: unknown option '--bogus'" "$?|$(head -n 1 <<<"$err")"
	o=--month
	[ "$p" == pb-api ] && o=--port
	[ "$p" == pb-prices ] && o=--source
	err=$("$BIN/$p" "$o" 2>&1 >/dev/null)
	check "$p $o without its value: exit 2, named" "2|$p: option '$o' needs a value" "$?|$(head -n 1 <<<"$err")"
done

# A short option (there are none): named itself, alone or first of a bundle, never the argument before it; a
# value given to an option that takes none is named as such.
for p in pb-accounts pb-aggregate pb-api pb-ingest pb-invoice pb-prices pb-run; do
	pre=()
	name=$p
	[ "$p" == pb-accounts ] && pre=(list) && name="$p: list"
	err=$("$BIN/$p" "${pre[@]}" -x 2>&1 >/dev/null)
	check "$p -x: exit 2, an unknown option" "2|$name: unknown option '-x'" "$?|$(head -n 1 <<<"$err")"
	err=$("$BIN/$p" "${pre[@]}" --help=1 2>&1 >/dev/null)
	check "$p --help=1: exit 2, takes no value" "2|$name: option '--help' takes no value" "$?|$(head -n 1 <<<"$err")"
done
for a in "pb-ingest --format aws-cur -qz f" "pb-run --job j --dry-run -qz" "pb-invoice --month 2026-10 -qz"; do
	read -r -a argv <<<"$a"
	err=$("$BIN/${argv[0]}" "${argv[@]:1}" 2>&1 >/dev/null)
	check "${argv[0]} -qz after another option: exit 2, -q named" "2|${argv[0]}: unknown option '-q'" \
		"$?|$(head -n 1 <<<"$err")"
done
err=$("$BIN/pb-aggregate" estimate -x 2>&1 >/dev/null)
check "pb-aggregate estimate -x: exit 2, named" "2|pb-aggregate: estimate: unknown option '-x'" "$?|$(head -n 1 <<<"$err")"

# An argument pb-prices takes none of (no command takes a load id or another positional argument): named, exit 2,
# never "show takes --vendor ..." to a show that has them.
got=""
for a in "show 12 --vendor azure --meter M" "show abc" "--history x?sv=1&sig=S3CR3T"; do
	read -r -a argv <<<"$a"
	err=$("$BIN/pb-prices" "${argv[@]}" 2>&1 >/dev/null)
	got="$got$?|$(head -n 1 <<<"$err");"
done
check "pb-prices with a stray argument: exit 2, the argument named (without a signature)" \
	"2|pb-prices: show takes no argument but its options, not '12': give --vendor azure --meter ID, or --vendor aws --sku SKU;2|pb-prices: show takes no argument but its options, not 'abc': give --vendor azure --meter ID, or --vendor aws --sku SKU;2|pb-prices: --history takes no command and no file, not 'x';" \
	"$got"

# What the programs' option parsing says of a bad value, said alike by each: the option as typed, what it takes
# and the value; --log-format's own, and the message in JSON once --log-format json came first; an operand
# where none is taken. Each exits 2 with the "Try" line.
got=""
for a in "pb-aggregate --log-format xml" "pb-api --log-format xml" "pb-ingest --log-format xml" \
	"pb-invoice --log-format xml" "pb-prices --log-format xml" "pb-aggregate --as-of 2026" "pb-api --port 70000" \
	"pb-ingest --max-errors 0" "pb-invoice --month 2026" "pb-prices --vendor gcp" "pb-ingest --stall-timeout x" \
	"pb-prices --min-rate -1" "pb-ingest --download-timeout 0" "pb-aggregate --month 2026-10 x" \
	"pb-invoice --month 2026-10 --draft x" "pb-api x"; do
	read -r -a argv <<<"$a"
	err=$("$BIN/${argv[0]}" "${argv[@]:1}" 2>&1 >/dev/null)
	got="$got$?|$(tr '\n' '|' <<<"$err")
"
done
check "a bad option value or an operand not taken: exit 2, named, then the Try line" \
	"2|pb-aggregate: --log-format takes plain or json, not 'xml'|Try 'pb-aggregate --help'.|
2|pb-api: --log-format takes plain or json, not 'xml'|Try 'pb-api --help'.|
2|pb-ingest: --log-format takes plain or json, not 'xml'|Try 'pb-ingest --help'.|
2|pb-invoice: --log-format takes plain or json, not 'xml'|Try 'pb-invoice --help'.|
2|pb-prices: --log-format takes plain or json, not 'xml'|Try 'pb-prices --help'.|
2|pb-aggregate: --as-of takes YYYY-MM-DD, not '2026'|Try 'pb-aggregate --help'.|
2|pb-api: --port takes a whole number from 0 to 65535, not '70000'|Try 'pb-api --help'.|
2|pb-ingest: --max-errors takes a positive whole number, not '0'|Try 'pb-ingest --help'.|
2|pb-invoice: --month takes YYYY-MM, not '2026'|Try 'pb-invoice --help'.|
2|pb-prices: --vendor takes aws or azure, not 'gcp'|Try 'pb-prices --help'.|
2|pb-ingest: --stall-timeout takes a positive number of seconds, not 'x'|Try 'pb-ingest --help'.|
2|pb-prices: --min-rate takes a whole number of bytes a second from 1 to 1000000000, not '-1'|Try 'pb-prices --help'.|
2|pb-ingest: --download-timeout takes a positive number of seconds (at most 7 days), not '0'|Try 'pb-ingest --help'.|
2|pb-aggregate: unexpected argument 'x'|Try 'pb-aggregate --help'.|
2|pb-invoice: unexpected argument 'x'|Try 'pb-invoice --help'.|
2|pb-api: unexpected argument 'x'|Try 'pb-api --help'.|" "${got%?}"
# 9999-12 ends on 10000-01-01, which no YYYY-MM-DD writes: pb-invoice --focus wrote its BillingPeriodEnd as
# 0000-01-01T00:00:00Z. Every program that takes a month refuses it the same way, naming the last one it takes.
got=""
for a in "pb-ingest --format aws-cur --month 9999-12" "pb-aggregate --month 9999-12" "pb-invoice --month 9999-12 --focus f.csv" \
	"pb-accounts suggest --month 9999-12" "pb-run job.yaml --month 9999-12"; do
	read -r -a argv <<<"$a"
	err=$("$BIN/${argv[0]}" "${argv[@]:1}" 2>&1 >/dev/null)
	got="$got$?|$(tr '\n' '|' <<<"$err")
"
done
check "--month 9999-12: exit 2 in every program, naming 9999-11, the last month taken" \
	"2|pb-ingest: --month 9999-12 is out of range: the last month supported is 9999-11|Try 'pb-ingest --help'.|
2|pb-aggregate: --month 9999-12 is out of range: the last month supported is 9999-11|Try 'pb-aggregate --help'.|
2|pb-invoice: --month 9999-12 is out of range: the last month supported is 9999-11|Try 'pb-invoice --help'.|
2|pb-accounts: suggest: --month 9999-12 is out of range: the last month supported is 9999-11|Try 'pb-accounts suggest --help'.|
2|pb-run: --month 9999-12 is out of range: the last month supported is 9999-11|Try 'pb-run --help'.|" "${got%?}"
# Year 0000 is written as any other (PostgreSQL has no such year: 1 BC follows AD 1), so a month or day in it is
# out of range, named with the first month taken; a month 00, a fifth digit or a sign is not YYYY-MM at all.
got=""
for v in 0000-01 0000-00 10000-01 -001-01; do
	for a in "pb-ingest --format aws-cur --month" "pb-aggregate --month" "pb-invoice --focus f.csv --month" \
		"pb-accounts suggest --month" "pb-run job.yaml --month"; do
		read -r -a argv <<<"$a"
		err=$("$BIN/${argv[0]}" "${argv[@]:1}" "$v" 2>&1 >/dev/null)
		got="$got$?|$(head -1 <<<"$err")
"
	done
done
check "a month of year 0000: out of range in every program, naming the first month taken; malformed ones said so" \
	"2|pb-ingest: --month 0000-01 is out of range: the first month supported is 0001-01
2|pb-aggregate: --month 0000-01 is out of range: a month from 0001-04 to 9999-11 (its estimate reads the 90 days before it)
2|pb-invoice: --month 0000-01 is out of range: the first month supported is 0001-01
2|pb-accounts: suggest: --month 0000-01 is out of range: the first month supported is 0001-01
2|pb-run: --month 0000-01 is out of range: the first month supported is 0001-01
2|pb-ingest: --month takes YYYY-MM, not '0000-00'
2|pb-aggregate: --month takes YYYY-MM, not '0000-00'
2|pb-invoice: --month takes YYYY-MM, not '0000-00'
2|pb-accounts: suggest: --month takes YYYY-MM, not '0000-00'
2|pb-run: --month takes YYYY-MM, not '0000-00'
2|pb-ingest: --month takes YYYY-MM, not '10000-01'
2|pb-aggregate: --month takes YYYY-MM, not '10000-01'
2|pb-invoice: --month takes YYYY-MM, not '10000-01'
2|pb-accounts: suggest: --month takes YYYY-MM, not '10000-01'
2|pb-run: --month takes YYYY-MM, not '10000-01'
2|pb-ingest: --month takes YYYY-MM, not '-001-01'
2|pb-aggregate: --month takes YYYY-MM, not '-001-01'
2|pb-invoice: --month takes YYYY-MM, not '-001-01'
2|pb-accounts: suggest: --month takes YYYY-MM, not '-001-01'
2|pb-run: --month takes YYYY-MM, not '-001-01'" "${got%?}"
got=""
for v in 0000-02-29 0000-02-30 10000-01-01 -001-01-01; do
	for a in "pb-run job.yaml --as-of" "pb-aggregate --month 2026-10 --as-of" "pb-aggregate estimate f.csv --as-of" \
		"pb-accounts link IL1 --vendor aws --partner-account 1 --from" "pb-accounts unlink IL1 --vendor aws --partner-account 1 --to"; do
		read -r -a argv <<<"$a"
		err=$("$BIN/${argv[0]}" "${argv[@]:1}" "$v" 2>&1 >/dev/null)
		got="$got$?|$(head -1 <<<"$err")
"
	done
done
check "a day of year 0000: out of range in every program, naming the first month taken; malformed ones said so" \
	"2|pb-run: --as-of 0000-02-29 is out of range: the first month supported is 0001-01
2|pb-aggregate: --as-of 0000-02-29 is out of range: a month from 0001-04 to 9999-11 (its estimate reads the 90 days before it)
2|pb-aggregate: estimate: --as-of 0000-02-29 is out of range: a month from 0001-04 to 9999-11 (its estimate reads the 90 days before it)
2|pb-accounts: link: --from 0000-02-29 is out of range: the first month supported is 0001-01
2|pb-accounts: unlink: --to 0000-02-29 is out of range: the first month supported is 0001-01
2|pb-run: --as-of takes YYYY-MM-DD, not '0000-02-30'
2|pb-aggregate: --as-of takes YYYY-MM-DD, not '0000-02-30'
2|pb-aggregate: estimate: --as-of takes YYYY-MM-DD, not '0000-02-30'
2|pb-accounts: link: --from takes YYYY-MM-DD, not '0000-02-30'
2|pb-accounts: unlink: --to takes YYYY-MM-DD, not '0000-02-30'
2|pb-run: --as-of takes YYYY-MM-DD, not '10000-01-01'
2|pb-aggregate: --as-of takes YYYY-MM-DD, not '10000-01-01'
2|pb-aggregate: estimate: --as-of takes YYYY-MM-DD, not '10000-01-01'
2|pb-accounts: link: --from takes YYYY-MM-DD, not '10000-01-01'
2|pb-accounts: unlink: --to takes YYYY-MM-DD, not '10000-01-01'
2|pb-run: --as-of takes YYYY-MM-DD, not '-001-01-01'
2|pb-aggregate: --as-of takes YYYY-MM-DD, not '-001-01-01'
2|pb-aggregate: estimate: --as-of takes YYYY-MM-DD, not '-001-01-01'
2|pb-accounts: link: --from takes YYYY-MM-DD, not '-001-01-01'
2|pb-accounts: unlink: --to takes YYYY-MM-DD, not '-001-01-01'" "${got%?}"
got=""
for p in pb-aggregate pb-api pb-ingest pb-invoice pb-prices; do
	o=--month
	[ "$p" == pb-api ] && o=--port
	[ "$p" == pb-prices ] && o=--vendor
	err=$("$BIN/$p" --log-format json "$o" x 2>&1 >/dev/null)
	got="$got$?|$(sed 's/"time":"[^"]*"/"time":T/' <<<"$err" | tr '\n' '|')
"
done
check "a bad option value after --log-format json: a JSON object, then the plain Try line" \
	'2|{"time":T,"program":"pb-aggregate","level":"error","message":"--month takes YYYY-MM, not '"'x'"'"}|Try '"'pb-aggregate --help'"'.|
2|{"time":T,"program":"pb-api","level":"error","message":"--port takes a whole number from 0 to 65535, not '"'x'"'"}|Try '"'pb-api --help'"'.|
2|{"time":T,"program":"pb-ingest","level":"error","message":"--month takes YYYY-MM, not '"'x'"'"}|Try '"'pb-ingest --help'"'.|
2|{"time":T,"program":"pb-invoice","level":"error","message":"--month takes YYYY-MM, not '"'x'"'"}|Try '"'pb-invoice --help'"'.|
2|{"time":T,"program":"pb-prices","level":"error","message":"--vendor takes aws or azure, not '"'x'"'"}|Try '"'pb-prices --help'"'.|' "${got%?}"

# Every program opens /dev/null on a closed standard descriptor first thing (common/opts.c): with stdout closed,
# --version goes there and exits 0, and with stdin closed a bad option is still said.
for p in pb-accounts pb-aggregate pb-api pb-db pb-ingest pb-invoice pb-prices pb-run; do
	err=$("$BIN/$p" --version 2>&1 >&-)
	st=$?
	err2=$("$BIN/$p" --bogus <&- 2>&1 >/dev/null)
	check "$p with stdout closed: --version exit 0, silent; stdin closed: --bogus exit 2, said" "0||2|1" \
		"$st|$err|$?|$(grep -c -- "--bogus" <<<"$err2")"
done

# A count is written in digits alone: a sign, a blank before it or a number past its range is refused, named.
got=""
for c in "pb-aggregate|--stale-after| 5" "pb-aggregate|--threads|+2" "pb-aggregate|--threads|99999999999999999999" \
	"pb-api|--threads|+1" "pb-api|--pool|-0" "pb-api|--cache-entries|99999999999999999999" "pb-run|--limit|+5" \
	"pb-run|--wait| 1" "pb-run|--wait|99999999999999999999" "pb-ingest|--max-errors|+5" "pb-ingest|--threads| 2" \
	"pb-ingest|--poll-timeout|+5" "pb-ingest|--stall-timeout| 30" "pb-prices|--min-rate|+100"; do
	IFS='|' read -r p o v <<<"$c"
	err=$("$BIN/$p" "$o" "$v" 2>&1 >/dev/null)
	got="$got$?|$(head -n 1 <<<"$err");"
done
check "a count with a sign, a blank or too many digits: exit 2, named" \
	"2|pb-aggregate: --stale-after takes a number of days from 1 to 365, not ' 5';2|pb-aggregate: --threads takes a number of threads from 1 to 64, not '+2';2|pb-aggregate: --threads takes a number of threads from 1 to 64, not '99999999999999999999';2|pb-api: --threads takes a whole number from 0 to 256, not '+1';2|pb-api: --pool takes a whole number from 1 to 256, not '-0';2|pb-api: --cache-entries takes a whole number from 1 to 10000000, not '99999999999999999999';2|pb-run: --limit takes a count from 1 to 10000, not '+5';2|pb-run: --wait takes a count of seconds from 0 to 86400, not ' 1';2|pb-run: --wait takes a count of seconds from 0 to 86400, not '99999999999999999999';2|pb-ingest: --max-errors takes a positive whole number, not '+5';2|pb-ingest: --threads takes a whole number from 1 to 16, not ' 2';2|pb-ingest: --poll-timeout takes a positive number of seconds, not '+5';2|pb-ingest: --stall-timeout takes a positive number of seconds, not ' 30';2|pb-prices: --min-rate takes a whole number of bytes a second from 1 to 1000000000, not '+100';" \
	"$got"
# pb-accounts: its commands' counts the same (nothing is connected to before the options are read).
got=""
for c in "import|x|--max-errors|+5" "create-azure-customer|ACME1|--timeout| 5"; do
	IFS='|' read -r cmd arg o v <<<"$c"
	err=$("$BIN/pb-accounts" "$cmd" "$arg" "$o" "$v" 2>&1 >/dev/null)
	got="$got$?|$(head -n 1 <<<"$err");"
done
check "pb-accounts: a count with a sign or a blank: exit 2, named" \
	"2|pb-accounts: import: --max-errors takes a whole number from 1 to 100000, not '+5';2|pb-accounts: create-azure-customer: --timeout takes a number of seconds from 1 to 3600, not ' 5';" "$got"

# scripts/deps.sh: `make demo` installs no test server (no npm), `make deps` and `make check` do; an unknown
# option is refused. dpkg-query and npm are stand-ins here, so that nothing is installed by this check.
d=$(mktemp -d "${TMPDIR:-/tmp}/pb-deps.XXXXXX")
mkdir -p "$d/scripts" "$d/tests/servers" "$d/fake"
cp "$ROOT/scripts/deps.sh" "$d/scripts/"
cp "$ROOT/tests/servers/package.json" "$ROOT/tests/servers/package-lock.json" "$d/tests/servers/"
printf '#!/bin/sh\necho "$3" >>"%s/dpkg.log"\nprintf "install ok installed"\n' "$d" >"$d/fake/dpkg-query"
printf '#!/bin/sh\necho "npm $*" >>"%s/npm.log"\n' "$d" >"$d/fake/npm"
printf '#!/bin/sh\nexit 0\n' >"$d/fake/node"
chmod +x "$d/fake/"*
out=$(PATH="$d/fake:$PATH" bash "$d/scripts/deps.sh" --demo 2>&1)
check "deps.sh --demo (make demo): the Debian packages that build and run the programs, no npm" \
	"0|deps: every Debian package is installed|no npm|libpq-dev postgresql|" \
	"$?|$out|$(cat "$d/npm.log" 2>/dev/null || echo no npm)|$(grep -xE 'postgresql|libpq-dev' "$d/dpkg.log" | sort | xargs)|$(grep -xE 'chromium|clang|wrk|libcmocka-dev' "$d/dpkg.log")"
# What scripts/demo.sh runs besides the programs: curl asks pb-api, column (bsdextrautils) and python3.
check "deps.sh --demo: the tools scripts/demo.sh runs" "bsdextrautils curl python3" \
	"$(grep -xE 'bsdextrautils|curl|python3' "$d/dpkg.log" | sort | xargs)"
rm -f "$d/dpkg.log"
out=$(PATH="$d/fake:$PATH" bash "$d/scripts/deps.sh" 2>&1)
check "deps.sh (make deps, make check): the test servers too" \
	"0|deps: every Debian package is installed
deps: installing the test servers (npm ci --prefix tests/servers)|npm ci --prefix $d/tests/servers --no-audit --no-fund --loglevel=error|chromium clang libcmocka-dev wrk" \
	"$?|$out|$(cat "$d/npm.log")|$(grep -xE 'chromium|clang|wrk|libcmocka-dev' "$d/dpkg.log" | sort | xargs)"
out=$(PATH="$d/fake:$PATH" bash "$d/scripts/deps.sh" --bogus 2>&1)
check "deps.sh --bogus: exit 2, named" "2|deps: unknown option '--bogus' (--demo only)" "$?|$out"
rm -rf "$d"

# Output longer than stdout's buffer to a full disk: glibc empties the buffer when a write fails, so that the last
# flush had nothing to write and the programs said "a write failed", not why (which one depended on the length).
d=$(mktemp -d "${TMPDIR:-/tmp}/pb-full.XXXXXX")
{
	echo series,date,charge_category,amount
	for i in $(seq 1 400); do echo "s$i,2026-10-01,Usage,1.00"; done
} >"$d/est.csv"
err=$("$BIN/pb-aggregate" estimate --as-of 2026-10-01 "$d/est.csv" 2>&1 >/dev/full)
check "pb-aggregate estimate, 400 series >/dev/full: exit 3, saying why" \
	"3|pb-aggregate: cannot write standard output: No space left on device" "$?|$err"
# More than 10,000 series are set aside in a temporary file: one that cannot be made is the environment failing
# (exit 3, naming TMPDIR), as pb-aggregate's run says it, not bad input. --final: no simulation, 0.1 s, not 2.
awk 'BEGIN { print "series,date,charge_category,amount"; for (i = 10000; i <= 20001; i++) print "s" i ",2026-10-01,Usage,1" }' \
	>"$d/big.csv"
err=$(TMPDIR=$d/none "$BIN/pb-aggregate" estimate --as-of 2026-10-01 --final "$d/big.csv" 2>&1 >/dev/null)
check "pb-aggregate estimate, 10,002 series, TMPDIR not there: exit 3, naming it" \
	"3|pb-aggregate: cannot write a temporary file in '$d/none': No such file or directory" "$?|$err"
check "pb-aggregate estimate --help names exit status 3, which it has" \
	"Exit status: 0 success, 1 bad input, 2 usage error, 3 standard output or a temporary file cannot be
written." \
	"$("$BIN/pb-aggregate" estimate --help | sed -n '/^Exit status/,$p')"
check "pb-aggregate estimate --help gives --as-of's range, as its man page does" \
	"  --as-of YYYY-MM-DD  the last day the data covers, a day of a month from 0001-04 to 9999-11" \
	"$("$BIN/pb-aggregate" estimate --help | grep -e '--as-of YYYY-MM-DD  ')"
{
	echo identity_line_item_id,bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_currency_code,line_item_unblended_cost,pricing_public_on_demand_cost,product_region_code
	for i in $(seq 100000000000 100000000299); do
		echo "m$i,2026-10-01T00:00:00.000Z,$i,Usage,2026-10-01T03:00:00.000Z,AmazonS3,USD,0.1,0.12,us-east-1"
	done
} >"$d/cur.csv"
err=$("$BIN/pb-ingest" --format aws-cur --summary=daily --no-progress "$d/cur.csv" 2>&1 >/dev/full)
check "pb-ingest --summary=daily, 300 accounts >/dev/full: exit 3, saying why" \
	"3|pb-ingest: cannot write standard output: No space left on device" "$?|$err"
rm -rf "$d"

pb_tests_done
