#!/usr/bin/env bash
# Integration tests of pb-run: job files (substitution, errors with their place), --dry-run, and runs against
# a throwaway PostgreSQL cluster: steps as child processes (stderr lines, timeouts that end the whole process
# group, retries of exit status 3 only), the lock of a job's month, --from and --only, SIGTERM and SIGINT
# mid-step, a run left running by a dead pb-run, --history, and the metrics textfile. Steps are small shell
# snippets; the folder they work in is passed to them as ${env:W}.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBR=$BIN/pb-run
FIX=$ROOT/tests/fixtures/jobs

pb_test_tmp runner
# Every process a run starts carries PB_RUNNER_TEST=$TMP in its environment (exported once the cluster is
# up, so that the server does not): the cleanup ends what a failed test left, and nothing else.
kill_steps() {
	local d
	for d in /proc/[0-9]*; do
		[ "${d#/proc/}" != "$$" ] || continue
		if { tr '\0' '\n' <"$d/environ"; } 2>/dev/null | grep -qxF "PB_RUNNER_TEST=$TMP"; then
			kill -9 "${d#/proc/}" 2>/dev/null
		fi
	done
}
cleanup() {
	local p
	for p in $(jobs -p); do kill -9 "$p" 2>/dev/null; done
	kill_steps
	pb_test_cleanup
}
pb_on_exit cleanup
export W=$TMP/w
mkdir -p "$W"

LIMIT=()
command -v timeout >/dev/null 2>&1 && LIMIT=(timeout 60)
# pbr ARG...: runs pb-run; its stdout in $TMP/out, stderr in $TMP/err, exit status in $st.
pbr() {
	"${LIMIT[@]}" "$PBR" "$@" >"$TMP/out" 2>"$TMP/err"
	st=$?
}
# The stderr of the last pbr with durations as "T s", for exact comparison.
err_masked() { sed -E 's/ [0-9]+\.[0-9] s/ T s/g' "$TMP/err"; }
# job NAME: writes $W/NAME.yaml from standard input, prints its path.
job() {
	cat >"$W/$1.yaml"
	echo "$W/$1.yaml"
}
# wait_file FILE: waits up to 120 s (a loaded machine) for FILE to be non-empty; one failure if it never is (what
# follows would act on a step that is not there yet).
wait_file() { pb_until 120 test -s "$1" || notok "$(basename "$1") is written (120 s)"; }
# wait_text FILE TEXT: waits up to 120 s for TEXT in FILE (a run that says it waits, say); one failure if it never is.
wait_text() { pb_until 120 grep -q "$2" "$1" 2>/dev/null || notok "'$2' in $(basename "$1") (120 s)" "$(cat "$1" 2>/dev/null)"; }
gone() { ! kill -0 "$1" 2>/dev/null; }
group_gone() { ! kill -0 -- "-$1" 2>/dev/null; }

THIS_MONTH=$(date -u +%Y-%m)
TODAY=$(date -u +%Y-%m-%d)
PREV_MONTH=$(date -u -d "$THIS_MONTH-01 -1 day" +%Y-%m)
YESTERDAY=$(date -u -d "$TODAY -1 day" +%Y-%m-%d)
PREV_END=$(date -u -d "$THIS_MONTH-01 -1 day" +%Y-%m-%d)

# ---- the command line, --help and the man page -----------------------------------------------------------

pbr --help
if [ $st -eq 0 ] && grep -q '^usage: pb-run JOB.yaml' "$TMP/out"; then ok "--help"; else notok "--help" "$(cat "$TMP/out" "$TMP/err")"; fi
missing=""
while read -r opt; do
	grep -qF -- "\\-\\-${opt#--}" "$ROOT/man/pb-run.1" || missing="$missing $opt"
done < <(grep -oE -- '--[a-z][a-z-]+' "$TMP/out" | sort -u)
check "every long option of --help is in the man page" "" "$missing"
pbr --version
check "--version" "0|pb-run 0.1.0" "$st|$(cat "$TMP/out")"
"${LIMIT[@]}" "$PBR" --help >/dev/full 2>"$TMP/err"
check "--help >/dev/full: exit 3" "3|pb-run: cannot write standard output: No space left on device" "$?|$(cat "$TMP/err")"
pbr
check "no job file: exit 2" "2|pb-run: no job file
Try 'pb-run --help'." "$st|$(cat "$TMP/err")"
pbr "$FIX/example.yaml" --month 2026-13
check "a bad --month: exit 2" "2|pb-run: --month takes YYYY-MM, not '2026-13'
Try 'pb-run --help'." "$st|$(cat "$TMP/err")"
pbr "$FIX/example.yaml" --from a --only b
check "--from with --only: exit 2" "2|pb-run: --from and --only do not go together
Try 'pb-run --help'." "$st|$(cat "$TMP/err")"
pbr "$FIX/example.yaml" --bogus
check "an unknown option: exit 2" "2|pb-run: unknown option '--bogus'
Try 'pb-run --help'." "$st|$(cat "$TMP/err")"
pbr --history "$FIX/example.yaml"
check "--history with a job file: exit 2" "2|pb-run: --history takes no job file ('$FIX/example.yaml')
Try 'pb-run --help'." "$st|$(cat "$TMP/err")"

# ---- job files: errors with their place -------------------------------------------------------------------

pbr "$FIX/bad-syntax.yaml" --dry-run
check "a malformed job file: exit 1 at FILE:LINE:COLUMN" \
	"1|pb-run: $FIX/bad-syntax.yaml:5:9: did not find expected ',' or ']' (while parsing a flow sequence at line 4, column 10)" \
	"$st|$(cat "$TMP/err")"
pbr "$FIX/unknown-key.yaml" --dry-run
check "an unknown key: exit 1 at its place" \
	"1|pb-run: $FIX/unknown-key.yaml:6:5: unknown key 'retry' in a step (known: name, run, timeout, retries, backoff)" \
	"$st|$(cat "$TMP/err")"
pbr "$FIX/wrong-type.yaml" --dry-run
check "a map where a list is wanted: exit 1 at its place" \
	"1|pb-run: $FIX/wrong-type.yaml:5:7: 'run' must be a list, not a map" "$st|$(cat "$TMP/err")"
pbr "$FIX/bad-substitution.yaml" --dry-run
check "an unknown substitution: exit 1 at its place" \
	"1|pb-run: $FIX/bad-substitution.yaml:6:9: unknown substitution '\${total}' (known: \${month}, \${as_of}, \${env:NAME})" \
	"$st|$(cat "$TMP/err")"
f=$(job last-month <<'EOF'
name: last-month
params:
  month: 9999-12
steps:
  - name: a
    run: [/bin/true]
EOF
)
pbr "$f" --dry-run
check "a job file's month 9999-12: exit 1 at its place, naming 9999-11, the last month taken" \
	"1|pb-run: $f:3:10: month 9999-12 is out of range: the last month supported is 9999-11|" \
	"$st|$(cat "$TMP/err")|$(cat "$TMP/out")"
# The same month reached through as_of (the current month is the as_of day's) was taken, and its steps given
# --month 9999-12, which each program refuses: at its place in the job file, or as --month is.
f=$(job last-day <<'EOF'
name: last-day
params:
  as_of: 9999-12-15
steps:
  - name: a
    run: [/bin/true]
EOF
)
pbr "$f" --dry-run
check "a job file's as_of in 9999-12: exit 1 at its place, naming 9999-11, the last month taken" \
	"1|pb-run: $f:3:10: as_of 9999-12-15 is out of range: the last month supported is 9999-11|" \
	"$st|$(cat "$TMP/err")|$(cat "$TMP/out")"
pbr "$FIX/example.yaml" --as-of 9999-12-15 --dry-run
check "--as-of in 9999-12: exit 2, naming 9999-11, the last month taken" \
	"2|pb-run: --as-of 9999-12-15 is out of range: the last month supported is 9999-11
Try 'pb-run --help'.|" "$st|$(cat "$TMP/err")|$(cat "$TMP/out")"
# Year 0000 is written as any other year, and PostgreSQL has none: a month or as_of in it is out of range at its
# place, naming 0001-01, the first month taken; a month 00 is no month at all.
got=""
for p in "month: 0000-01" "as_of: 0000-02-29" "month: 0000-00" "as_of: 0000-02-30" "month: 10000-01"; do
	f=$(job year-zero <<EOF
name: year-zero
params:
  $p
steps:
  - name: a
    run: [/bin/true]
EOF
)
	pbr "$f" --dry-run
	got="$got$st|$(sed "s|^pb-run: $f:||" "$TMP/err")|$(cat "$TMP/out")
"
done
check "a job file's month or as_of in year 0000: exit 1 at its place, naming 0001-01; a malformed one said so" \
	"1|3:10: month 0000-01 is out of range: the first month supported is 0001-01|
1|3:10: as_of 0000-02-29 is out of range: the first month supported is 0001-01|
1|3:10: bad month '0000-00': current, previous or YYYY-MM|
1|3:10: bad as_of '0000-02-30': today, yesterday or YYYY-MM-DD|
1|3:10: bad month '10000-01': current, previous or YYYY-MM|" "${got%?}"
PB_TEST_USER=u "${LIMIT[@]}" "$PBR" "$FIX/missing-env.yaml" --dry-run >"$TMP/out" 2>"$TMP/err"
check "an unset \${env:NAME}: exit 2 naming the step, the argument's line and column, and the variable" \
	"2|pb-run: $FIX/missing-env.yaml:6:65: step 'upload': environment variable PB_TEST_UNSET_SECRET is not set|" \
	"$?|$(cat "$TMP/err")|$(cat "$TMP/out")"
# A variable set but empty (PB_INVOICE_DIR= in the environment file) made "${env:PB_INVOICE_DIR}/focus.csv" the
# file /focus.csv at the root, and --source "" a manifest looked for from the root: refused as an unset one is,
# before any step and before the database (there is none yet here).
f=$(job empty-env <<'EOF'
name: empty-env
steps:
  - name: a
    run: [/bin/true]
  - name: focus
    run: [/bin/echo, --focus, "${env:PB_TEST_EMPTY_DIR}/focus-${month}.csv"]
EOF
)
for how in --dry-run --month=2026-10; do
	PB_TEST_EMPTY_DIR= "${LIMIT[@]}" "$PBR" "$f" $how >"$TMP/out" 2>"$TMP/err"
	check "an \${env:NAME} set but empty, $how: exit 2 naming the step, the argument's place and the variable" \
		"2|pb-run: $f:6:31: step 'focus': environment variable PB_TEST_EMPTY_DIR is empty|" \
		"$?|$(cat "$TMP/err")|$(cat "$TMP/out")"
done
# The same with a value ending in a carriage return, from an environment file with CRLF line ends that a shell
# sourced: the close's files went into a new folder named "invoices\r" beside the one finance reads.
PB_TEST_EMPTY_DIR=$'/srv/invoices\r' "${LIMIT[@]}" "$PBR" "$f" --month=2026-10 >"$TMP/out" 2>"$TMP/err"
check "an \${env:NAME} holding a carriage return: exit 2 naming the step, the argument's place and the variable" \
	"2|pb-run: $f:6:31: step 'focus': environment variable PB_TEST_EMPTY_DIR holds a carriage return (an environment file with CRLF line ends?)|" \
	"$?|$(cat "$TMP/err")|$(cat "$TMP/out")"
pbr "$W/absent.yaml"
check "a job file that is not there: exit 1" "1|pb-run: cannot open '$W/absent.yaml': No such file or directory" \
	"$st|$(cat "$TMP/err")"
# A job file is at most 1 MiB (a comment one byte past it here).
{ printf 'name: big\nsteps: [{name: a, run: [/bin/true]}]\n#'; head -c 1048576 /dev/zero | tr '\0' x; } >"$W/big.yaml"
pbr "$W/big.yaml" --dry-run
check "a job file over 1 MiB: exit 1, the file named" "1|pb-run: $W/big.yaml: larger than 1048576 bytes|" \
	"$st|$(cat "$TMP/err")|$(cat "$TMP/out")"
# A FIFO (or a device) as the job file waited for ever for a writer.
mkfifo "$W/fifo.yaml"
timeout 20 "$BIN/pb-run" "$W/fifo.yaml" >"$TMP/out" 2>"$TMP/err" </dev/null
check "a job file that is a FIFO: exit 1 at once, not a file" "1|pb-run: '$W/fifo.yaml' is not a file: a config is a regular file or an address" \
	"$?|$(cat "$TMP/err")"
f=$(job several <<'EOF'
name: several
steps:
  - name: a
    run: [/bin/true]
    timeout: 0s
EOF
)
pbr "$f" --dry-run
check "a zero timeout: exit 1" "1|pb-run: $f:5:14: bad timeout '0s': a number and a unit, ms, s, m or h (30s, 10m, 2h), above zero and at most 7 days (168h)" "$st|$(cat "$TMP/err")"
# A backoff of 0s was taken: a step with retries called the partner's API again at once, up to 100 times.
f=$(job storm <<'EOF'
name: storm
steps:
  - name: a
    run: [/bin/true]
    retries: 100
    backoff: 0s
EOF
)
pbr "$f" --dry-run
check "a zero backoff: exit 1 at its place" "1|pb-run: $f:6:14: bad backoff '0s': a number and a unit, ms, s, m or h (30s, 10m, 2h), from 100ms to 1h" "$st|$(cat "$TMP/err")"
f=$(job dup <<'EOF'
name: dup
steps:
  - name: a
    run: [/bin/true]
  - {name: a, run: [/bin/false]}
EOF
)
pbr "$f" --dry-run
check "a step name used twice: exit 1" "1|pb-run: $f:5:12: step name 'a' is taken by the step at line 3" "$st|$(cat "$TMP/err")"
f=$(job lone-dollar <<'EOF'
name: lone-dollar
steps:
  - name: a
    run: [/bin/sh, -c, 'echo $HOME']
EOF
)
pbr "$f" --dry-run
check "a \$ that starts no substitution: exit 1" \
	"1|pb-run: $f:4:24: a '\$' must start \$\$, \${month}, \${as_of} or \${env:NAME}" "$st|$(cat "$TMP/err")"
f=$(job noprog <<'EOF'
name: noprog
steps:
  - name: a
    run: [pb-no-such-program, x]
EOF
)
pbr "$f" --dry-run
check "a program that cannot be found: exit 2 before anything runs" \
	"2|pb-run: $f:4:11: step 'a': cannot find 'pb-no-such-program' in '$BIN' or on PATH" "$st|$(cat "$TMP/err")"
pbr "$FIX/example.yaml" --only nope --dry-run
check "--only a step the job does not have: exit 2" \
	"2|pb-run: job 'example' has no step 'nope' (its steps: show-args to-stderr)" "$st|$(cat "$TMP/err")"

# ---- --dry-run: substitutions and parameters, no database -------------------------------------------------

export PB_TEST_TOKEN='s3cr3t value'
PB_DATABASE_URL="host=$TMP/nowhere dbname=x" "${LIMIT[@]}" "$PBR" "$FIX/example.yaml" --month 2026-09 --dry-run \
	>"$TMP/out" 2>"$TMP/err"
st=$?
check "--dry-run: the steps after substitution, quoted for a shell, secrets as \"\${NAME}\"; no database" \
	"0|job example: month 2026-09, as_of 2026-09-30
show-args: /bin/sh -c 'printf \"%s\\n\" \"\$@\"' show-args 2026-09 --as-of=2026-09-30 token=\"\${PB_TEST_TOKEN}\" 'cost: \$5' 'it'\\''s'
to-stderr: /bin/sh -c 'echo \"a line on stderr\" >&2; printf \"the last line, without a line end\" >&2'|" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")"
pbr "$FIX/example.yaml" --dry-run
check "the job's defaults: previous month, yesterday (after it: its last day)" "job example: month $PREV_MONTH, as_of $PREV_END" \
	"$(head -n 1 "$TMP/out")"
pbr "$FIX/example.yaml" --month "$THIS_MONTH" --dry-run
check "--month of the current month: as_of stays the job's" "job example: month $THIS_MONTH, as_of $YESTERDAY" \
	"$(head -n 1 "$TMP/out")"
pbr "$FIX/example.yaml" --month 2026-02 --as-of 2026-02-20 --dry-run
check "--as-of wins" "job example: month 2026-02, as_of 2026-02-20" "$(head -n 1 "$TMP/out")"
# An as_of after the month is its last day, the day pb-aggregate counts through: a month close as of the 1st of
# the next month (or the 6th) recorded that day while its aggregate step, given no --as-of, used the month's end.
pbr "$FIX/example.yaml" --month 2026-02 --as-of 2026-03-05 --dry-run
check "an --as-of after the month is the month's last day" "job example: month 2026-02, as_of 2026-02-28" \
	"$(head -n 1 "$TMP/out")"
for j in month-close demo-month-close; do
	(cd "$ROOT" && PB_AWS_CUR_SOURCE=s3://b/cur PB_AZURE_EXPORT=https://a/e PB_PC_INVOICE=G0 PB_INVOICE_DIR=/x \
		PB_DEMO_DIR=/x "${LIMIT[@]}" "$PBR" jobs/$j.yaml --month 2026-09 --as-of 2026-10-01 --only aggregate \
		--dry-run >"$TMP/out" 2>"$TMP/err")
	check "jobs/$j.yaml as of the next month's 1st: its aggregate step is given the run's as_of, the month's end" \
		"0|job $j: month 2026-09, as_of 2026-09-30
aggregate: pb-aggregate --month 2026-09 --detail --as-of 2026-09-30|" "$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
done
f=$(job literal <<'EOF'
name: literal
params: {month: 2025-12, as_of: 2026-01-15}
steps:
  - {name: a, run: [/bin/echo, "${month}/${as_of}"]}
EOF
)
pbr "$f" --dry-run
check "literal params (an as_of after the month: its last day)" "job literal: month 2025-12, as_of 2025-12-31
a: /bin/echo 2025-12/2025-12-31" "$(cat "$TMP/out")"
pbr "$f" --month 2026-01 --dry-run
check "a literal as_of is explicit: --month does not move it" "job literal: month 2026-01, as_of 2026-01-15" \
	"$(head -n 1 "$TMP/out")"
# An as_of before the month has no day of the month to be as of: pb-aggregate refused it after the imports ran.
pbr "$f" --month 2026-02 --dry-run
check "an as_of before the month is refused before any step, at the job file's as_of" \
	"2||pb-run: $f:2:33: as_of 2026-01-15 is before the month 2026-02: give --as-of, a day of the month or after it" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")"
# A job file whose literal as_of is before its literal month named the file alone, not where to mend it.
f=$(job literal-before <<'EOF'
name: literal-before
params:
  month: 2026-02
  as_of: 2026-01-15
steps:
  - {name: a, run: [/bin/echo, "${month}/${as_of}"]}
EOF
)
pbr "$f" --dry-run
check "a job file's as_of before its month: refused at the as_of's place" \
	"2||pb-run: $f:4:10: as_of 2026-01-15 is before the month 2026-02: give --as-of, a day of the month or after it" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")"
pbr "$FIX/example.yaml" --month 2026-09 --as-of 2026-08-31
check "--as-of before --month is refused" \
	"2||pb-run: $FIX/example.yaml: as_of 2026-08-31 is before the month 2026-09: give --as-of, a day of the month or after it" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")"
# An argument with an escape sequence or a bidirectional override (a job file under review, say): --dry-run
# wrote it as it was, in single quotes, so the terminal cleared itself or showed the line reordered. Such a word
# is in $'...', each byte of those characters in octal: shown as it is, the same bytes to bash.
f=$(job shown <<'EOF'
name: shown
steps:
  - {name: a, run: [/bin/printf, "%s|", "it's \e[2J\u202eok", "a\tb"]}
EOF
)
pbr "$f" --month 2026-09 --dry-run
check "--dry-run: an argument with an escape sequence or a bidirectional override in \$'...', its bytes in octal" \
	"0|a: /bin/printf '%s|' \$'it\\'s \\033[2J\\342\\200\\256ok' 'a	b'" "$st|$(tail -n 1 "$TMP/out")"
check "--dry-run: that line run by bash gives the step's arguments" $'it\'s \e[2J\xe2\x80\xaeok|a\tb|' \
	"$(bash -c "$(sed -n 's/^a: //p' "$TMP/out")")"
f=$(job defaults <<'EOF'
name: defaults
steps:
  - {name: a, run: [/bin/echo, "${month}", "${as_of}"]}
EOF
)
pbr "$f" --dry-run
check "no params: the current month, today" "a: /bin/echo $THIS_MONTH $TODAY" "$(tail -n 1 "$TMP/out")"
pbr "$f" --month 2024-02 --dry-run
check "--month of a past month: as_of is its last day (leap year)" "a: /bin/echo 2024-02 2024-02-29" \
	"$(tail -n 1 "$TMP/out")"
# The current month is the as_of day's: a nightly job (as of yesterday) on the 1st ran for a month with no
# day yet as of the month before's last day, which pb-aggregate refuses; --as-of alone did the same.
pbr "$f" --as-of 2024-02-29 --dry-run
check "the current month is the as_of day's: --as-of 2024-02-29 alone runs February 2024" \
	"0|job defaults: month 2024-02, as_of 2024-02-29" "$st|$(head -n 1 "$TMP/out")"
# The examples of README.md, jobs/README.md and pb-run(1), the cron lines and the systemd units that run a
# shipped job run as written (dry, without their --metrics-file, which --dry-run refuses): README.md and
# pb-run(1) resumed the month close '--from invoice', a step it does not have.
bad=""
n=0
while read -r line; do
	n=$((n + 1))
	read -r -a args <<<"$(sed -E 's/.*bin\/pb-run //; s/ +#.*//; s/ --metrics-file +[^ ]+//' <<<"$line")"
	if ! (cd "$ROOT" && PB_AWS_CUR_SOURCE=s3://b/cur PB_AZURE_EXPORT=https://a/e PB_PC_INVOICE=G0 PB_INVOICE_DIR=/x \
		PB_DEMO_DIR=/x "${LIMIT[@]}" "$PBR" "${args[@]}" --dry-run >/dev/null 2>"$TMP/err"); then
		bad="$bad
$line: $(cat "$TMP/err")"
	fi
done < <(
	grep -h -E 'bin/pb-run jobs/[a-z-]+\.yaml' "$ROOT/README.md" "$ROOT/jobs/README.md" "$ROOT/jobs/crontab.example" \
		"$ROOT"/jobs/systemd/*.service
	sed -n 's/\\-/-/g; /bin\/pb-run jobs\//p' "$ROOT/man/pb-run.1"
)
check "the documented runs of the shipped jobs (README, cron, systemd, man page) are valid" "at least 12|" \
	"$([ "$n" -ge 12 ] && echo "at least 12")|$bad"
"${LIMIT[@]}" "$PBR" "$FIX/example.yaml" --dry-run >/dev/full 2>"$TMP/err"
check "--dry-run >/dev/full: exit 3" "3|pb-run: cannot write standard output: No space left on device" "$?|$(cat "$TMP/err")"
# The plan is all --dry-run gives: with standard output closed (a job started with >&-) it went to the /dev/null
# put in its place, exit 0. Refused once the job file is read, exit 3, as for a full disk; a bad job file is
# still said first.
"${LIMIT[@]}" "$PBR" "$FIX/example.yaml" --dry-run >&- 2>"$TMP/err"
check "--dry-run with standard output closed: exit 3" "3|pb-run: cannot write standard output: Bad file descriptor" \
	"$?|$(cat "$TMP/err")"
"${LIMIT[@]}" "$PBR" "$FIX/unknown-key.yaml" --dry-run >&- 2>"$TMP/err"
check "--dry-run of a bad job file with standard output closed: exit 1, the job file's fault" \
	"1|pb-run: $FIX/unknown-key.yaml:6:5: unknown key 'retry' in a step (known: name, run, timeout, retries, backoff)" \
	"$?|$(cat "$TMP/err")"

# ---- runs ---------------------------------------------------------------------------------------------------

pb_test_cluster_start
ok "start a throwaway cluster"
export PB_RUNNER_TEST=$TMP
sql() { pb_sql "$1" '|'; }
# next_run: R, the id the next run will get.
next_run() { R=$(sql "SELECT last_value + is_called::int FROM pb.job_run_id_seq"); }

next_run
pbr "$FIX/example.yaml" --month 2026-09
check "a run: exit 0, the steps' stdout unchanged" "0|2026-09
--as-of=2026-09-30
token=s3cr3t value
cost: \$5
it's" "$st|$(cat "$TMP/out")"
check "a run: its messages, and the steps' stderr lines after [STEP]" "pb-run: run $R: job example for 2026-09, as_of 2026-09-30
pb-run: step show-args started
pb-run: step show-args finished in T s, exit 0
pb-run: step to-stderr started, attempt 1 of 3
[to-stderr] a line on stderr
[to-stderr] the last line, without a line end
pb-run: step to-stderr finished in T s, exit 0
pb-run: run $R succeeded in T s" "$(err_masked)"
check "a run is recorded with its job file's SHA-256, by user@host pid N" \
	"$R|example|2026-09-01|2026-09-30|succeeded|0|$(realpath "$FIX/example.yaml")|$(sha256sum "$FIX/example.yaml" | cut -d' ' -f1)|t|" \
	"$(sql "SELECT id, job, month, as_of, status, exit_status, job_file, job_sha256,
	run_by ~ '^[^@ ]+@[^ ]+ pid [0-9]+\$', error FROM pb.job_run")"
check "its steps: argv as run, the secret left as \${env:NAME}, stderr's tail" \
	"1|show-args|1|{/bin/sh,-c,\"printf \\\"%s\\\\n\\\" \\\"\$@\\\"\",show-args,2026-09,--as-of=2026-09-30,\"token=\${env:PB_TEST_TOKEN}\",\"cost: \$5\",it's}|succeeded|0||
2|to-stderr|1|{/bin/sh,-c,\"echo \\\"a line on stderr\\\" >&2; printf \\\"the last line, without a line end\\\" >&2\"}|succeeded|0||a line on stderr
the last line, without a line end" \
	"$(sql "SELECT seq, name, attempt, argv, status, exit_status, signal, stderr_tail FROM pb.job_step ORDER BY seq")"
(cd "$FIX" && "${LIMIT[@]}" "$PBR" example.yaml --month 2026-08 --only show-args >/dev/null 2>&1)
check "a job file named from its folder is recorded with its full name" "0|$(realpath "$FIX/example.yaml")" \
	"$?|$(sql "SELECT job_file FROM pb.job_run ORDER BY id DESC LIMIT 1")"
check "no secret in the database" "0" "$(sql "SELECT count(*) FROM pb.job_step WHERE array_to_string(argv, ' ') LIKE '%s3cr3t%'")"
next_run
pbr "$FIX/example.yaml" --month 2026-08 --as-of 2026-09-01 --only show-args
check "a run as of a day after its month: the step is given, and the run records, the month's last day" \
	"0|--as-of=2026-08-31|2026-08-31" "$st|$(sed -n 2p "$TMP/out")|$(sql "SELECT as_of FROM pb.job_run WHERE id = $R")"

# A program named by ${env:NAME}: its value is neither stored nor printed (the file it resolved to was
# recorded, and a message about it named it).
mkdir -p "$W/s3cr3t-dir"
printf '#!/bin/sh\necho "the tool ran"\n' >"$W/s3cr3t-dir/tool"
chmod +x "$W/s3cr3t-dir/tool"
fe=$(job env-program <<'EOF'
name: env-program
steps:
  - {name: a, run: ["${env:PB_TEST_TOOL}", x]}
EOF
)
PB_TEST_TOOL=$W/s3cr3t-dir/tool pbr "$fe"
check "a program from \${env:NAME}: run, recorded as written" "0|the tool ran|{\"\${env:PB_TEST_TOOL}\",x}" \
	"$st|$(cat "$TMP/out")|$(sql "SELECT argv FROM pb.job_step WHERE run_id = (SELECT max(id) FROM pb.job_run WHERE job = 'env-program')")"
PB_TEST_TOOL=$W/s3cr3t-dir/none pbr "$fe"
check "a program from \${env:NAME} that cannot be run: exit 2, the value not printed" \
	"2|pb-run: $fe:3:21: step 'a': cannot run '\${env:PB_TEST_TOOL}': No such file or directory" "$st|$(cat "$TMP/err")"

# A '$' of the text ($$) before a '{' was recorded as it ran: the text ${env:NAME} read the same as the
# variable. Such a '$' is recorded doubled; any other '$' once, as before.
fd=$(job dollar <<'EOF'
name: dollar
steps:
  - {name: a, run: [/bin/echo, "$${env:PB_TEST_TOKEN}", "${env:PB_TEST_TOKEN}", "$$$${env:X}", "$$${env:PB_TEST_TOKEN}", "$${HOME}", "$$$$", "$$5"]}
EOF
)
PB_TEST_TOKEN=tok pbr "$fd"
check "a literal \${env:NAME} is recorded apart from the variable" \
	'0|${env:PB_TEST_TOKEN} tok $${env:X} $tok ${HOME} $$ $5|$${env:PB_TEST_TOKEN} ${env:PB_TEST_TOKEN} $$$${env:X} $$${env:PB_TEST_TOKEN} $${HOME} $$ $5' \
	"$st|$(cat "$TMP/out")|$(sql "SELECT array_to_string(argv[2:], ' ') FROM pb.job_step WHERE run_id = (SELECT max(id) FROM pb.job_run WHERE job = 'dollar')")"

# A job file and a program in a folder named in Latin-1: the database refused their names, so the run
# stopped before its first step with exit 3 ('invalid byte sequence'), as if the database had failed. They
# are recorded with each byte that is not UTF-8 as '?', as the stderr tail is, and so is an error naming one.
mkdir -p "$W/caf"$'\351'
printf '#!/bin/sh\necho "the latin-1 tool ran"\n' >"$W/caf"$'\351'"/pb-latin1-tool"
chmod +x "$W/caf"$'\351'"/pb-latin1-tool"
printf 'name: latin1\nsteps:\n  - {name: a, run: [pb-latin1-tool]}\n' >"$W/caf"$'\351'"/latin1.yaml"
PATH=$W/caf$'\351':$PATH pbr "$W/caf"$'\351'"/latin1.yaml" --month 2026-09
check "a job file and a program in a folder named in Latin-1: run, their names recorded with '?'" \
	"0|the latin-1 tool ran|succeeded|$(realpath "$W")/caf?/latin1.yaml|{$W/caf?/pb-latin1-tool}" \
	"$st|$(cat "$TMP/out")|$(sql "SELECT r.status, r.job_file, s.argv FROM pb.job_run r JOIN pb.job_step s ON s.run_id = r.id WHERE r.job = 'latin1'")"
# One there that cannot be run: the error that names it could not be recorded, and the run stayed 'running'.
printf 'echo no interpreter line\n' >"$W/caf"$'\351'"/pb-latin1-tool"
PATH=$W/caf$'\351':$PATH pbr "$W/caf"$'\351'"/latin1.yaml" --month 2026-09
check "a program there that cannot be run: exit 2, the run recorded failed, its error with '?'" \
	"2|failed|step 'a' could not be started: cannot run '$W/caf?/pb-latin1-tool': Exec format error" \
	"$st|$(sql "SELECT status, error FROM pb.job_run WHERE job = 'latin1' ORDER BY id DESC LIMIT 1")"

# A program named without a '/': beside pb-run first, then on PATH.
mkdir -p "$W/bin" "$W/path"
cp "$PBR" "$W/bin/pb-run"
printf '#!/bin/sh\necho "beside pb-run"\n' >"$W/bin/pb-hello"
printf '#!/bin/sh\necho "on PATH"\n' >"$W/path/pb-hello"
printf '#!/bin/sh\necho "only on PATH"\n' >"$W/path/pb-other"
chmod +x "$W/bin/pb-hello" "$W/path/pb-hello" "$W/path/pb-other"
f=$(job lookup <<'EOF'
name: lookup
steps:
  - {name: a, run: [pb-hello]}
  - {name: b, run: [pb-other]}
EOF
)
PATH=$W/path:$PATH "${LIMIT[@]}" "$W/bin/pb-run" "$f" >"$TMP/out" 2>"$TMP/err"
check "a program is looked for beside pb-run first, then on PATH" "0|beside pb-run
only on PATH|$W/bin/pb-hello $W/path/pb-other" \
	"$?|$(cat "$TMP/out")|$(sql "SELECT string_agg(argv[1], ' ' ORDER BY seq) FROM pb.job_step s JOIN pb.job_run r ON r.id = s.run_id WHERE r.job = 'lookup'")"
# The same without /proc (a chroot, a sandbox): pb-run's folder is known from the path it was run as (the
# one on PATH ran instead).
if unshare -m true 2>/dev/null && ! ldd "$PBR" 2>/dev/null | grep -q libasan; then
	PATH=$W/path:$PATH "${LIMIT[@]}" unshare -m sh -c 'mount -t tmpfs none /proc && exec "$0" "$@"' \
		"$W/bin/pb-run" "$f" >"$TMP/out" 2>"$TMP/err"
	check "without /proc, a program is looked for beside pb-run first, then on PATH" "0|beside pb-run
only on PATH|$W/bin/pb-hello $W/path/pb-other" \
		"$?|$(cat "$TMP/out")|$(sql "SELECT string_agg(argv[1], ' ' ORDER BY seq) FROM pb.job_step WHERE run_id = (SELECT max(id) FROM pb.job_run WHERE job = 'lookup')")"
fi

# A timeout ends the step's whole process group: the shell and the sleep it forked. (3 s: a shell that a loaded
# machine had not yet run to its "waiting" when the timeout came, 1 s after its start, made another output.)
f=$(job slow <<'EOF'
name: slow
steps:
  - name: sleepy
    run: [/bin/sh, -c, 'echo $$$$ > "$$W/slow.pgid"; sleep 300 & echo $$! > "$$W/slow-child.pid"; echo waiting >&2; wait']
    timeout: 3s
  - {name: after, run: [/bin/true]}
EOF
)
next_run
pbr "$f" --month 2026-10
check "a step at its timeout: exit 3, the run failed" "3|pb-run: run $R: job slow for 2026-10, as_of 2026-10-31
pb-run: step sleepy started
[sleepy] waiting
pb-run: step sleepy finished in T s, killed by SIGTERM, at its timeout of 3s
pb-run: run $R failed: step 'sleepy' timed out after 3s" "$st|$(err_masked)"
if gone "$(cat "$W/slow-child.pid")" && group_gone "$(cat "$W/slow.pgid")"; then
	ok "the timed-out step's child is gone too"
else
	notok "the timed-out step's child is gone too"
fi
check "the timed-out step is recorded with its signal, the run with exit 3" \
	"failed|3|step 'sleepy' timed out after 3s|sleepy|timed_out||15|1" \
	"$(sql "SELECT r.status, r.exit_status, r.error, s.name, s.status, s.exit_status, s.signal, count(*) OVER ()
	FROM pb.job_run r JOIN pb.job_step s ON s.run_id = r.id WHERE r.job = 'slow'")"

# A step that ignores SIGTERM gets SIGKILL after the grace. (Its timeout is 2500 ms: at 500 ms, a shell that a loaded
# machine had not yet run to its trap was ended by the SIGTERM. The run takes less than a minute, where the step
# would take 600 s: at most 9 s was not always enough for a sanitized pb-run on a loaded machine.)
f=$(job stubborn <<'EOF'
name: stubborn
steps:
  - name: deaf
    run: [/bin/sh, -c, 'trap "" TERM; echo $$$$ > "$$W/deaf.pgid"; sleep 300 & wait; sleep 300']
    timeout: 2500ms
EOF
)
t0=$(date +%s)
pbr "$f"
t1=$(date +%s)
if [ $st -eq 3 ] && grep -q 'finished in .*, killed by SIGKILL, at its timeout of 2500ms' "$TMP/err" &&
	group_gone "$(cat "$W/deaf.pgid")" && [ $((t1 - t0)) -ge 7 ] && [ $((t1 - t0)) -lt 60 ]; then
	ok "a step that ignores SIGTERM gets SIGKILL 5 s later, its group too"
else
	notok "a step that ignores SIGTERM gets SIGKILL 5 s later, its group too" "$st, $((t1 - t0)) s: $(cat "$TMP/err")"
fi

# Exit status 3 is retried; the second attempt succeeds.
f=$(job flaky <<'EOF'
name: flaky
steps:
  - name: flaky
    run: [/bin/sh, -c, 'n=$$(cat "$$W/flaky.n" 2>/dev/null || echo 0); echo $$((n + 1)) > "$$W/flaky.n"; [ "$$n" -ge 1 ] || { echo "server busy" >&2; exit 3; }']
    retries: 3
    backoff: 300ms
EOF
)
next_run
FLAKY=$R
t0=$(date +%s%N)
pbr "$f" --month 2026-10
t1=$(date +%s%N)
check "exit status 3 then 0: retried, exit 0" "0|pb-run: run $R: job flaky for 2026-10, as_of 2026-10-31
pb-run: step flaky started, attempt 1 of 4
[flaky] server busy
pb-run: step flaky finished in T s, exit 3
pb-run: warning: step flaky: exit status 3, attempt 1 of 4; retrying in T s
pb-run: step flaky started, attempt 2 of 4
pb-run: step flaky finished in T s, exit 0
pb-run: run $R succeeded in T s" "$st|$(err_masked)"
check "the step table shows 2 attempts" "flaky|1|failed|3|server busy
flaky|2|succeeded|0|" "$(sql "SELECT name, attempt, status, exit_status, rtrim(stderr_tail, E'\\n') FROM pb.job_step WHERE run_id = $R ORDER BY attempt")"
wait_ms=$(((t1 - t0) / 1000000))
if [ "$wait_ms" -ge 300 ]; then ok "the retry waited its backoff"; else notok "the retry waited its backoff" "$wait_ms ms"; fi

# Exit status 3 every time: the retries, each wait doubling, then exit 3.
f=$(job down <<'EOF'
name: down
steps:
  - {name: call, run: [/bin/sh, -c, 'exit 3'], retries: 2, backoff: 100ms}
EOF
)
next_run
pbr "$f"
check "exit status 3 after every retry: exit 3, 3 attempts" "3|3|pb-run: run $R failed: step 'call' failed with exit status 3 (3 attempts)" \
	"$st|$(sql "SELECT count(*) FROM pb.job_step WHERE run_id = $R")|$(tail -n 1 "$TMP/err")"
if grep -q 'attempt 1 of 3; retrying in 0\.1 s' "$TMP/err" && grep -q 'attempt 2 of 3; retrying in 0\.2 s' "$TMP/err"; then
	ok "the backoff doubles"
else
	notok "the backoff doubles" "$(cat "$TMP/err")"
fi

# Exit status 1 (bad data) is never retried; the steps after it do not run.
f=$(job baddata <<'EOF'
name: baddata
steps:
  - {name: load, run: [/bin/sh, -c, 'echo "cur.csv:3:1: bad amount" >&2; exit 1'], retries: 3, backoff: 100ms}
  - {name: after, run: [/bin/sh, -c, 'touch "$$W/after-ran"']}
EOF
)
next_run
pbr "$f"
check "exit status 1 is not retried: exit 1, one attempt, the next step not run" \
	"1|pb-run: run $R failed: step 'load' failed with exit status 1|1|failed|1|no" \
	"$st|$(tail -n 1 "$TMP/err")|$(sql "SELECT count(*), min(status), max(exit_status) FROM pb.job_step WHERE run_id = $R")|$([ -e "$W/after-ran" ] && echo yes || echo no)"
f=$(job refused <<'EOF'
name: refused
steps:
  - {name: check, run: [/bin/sh, -c, 'exit 4'], retries: 3}
EOF
)
next_run
pbr "$f"
check "exit status 4 is not retried: exit 4" "4|1" "$st|$(sql "SELECT count(*) FROM pb.job_step WHERE run_id = $R")"
f=$(job crash <<'EOF'
name: crash
steps:
  - {name: segv, run: [/bin/sh, -c, 'kill -SEGV $$$$']}
EOF
)
next_run
pbr "$f"
check "a step killed by a signal: exit 128+N" "139|pb-run: run $R failed: step 'segv' was killed by SIGSEGV|1" \
	"$st|$(tail -n 1 "$TMP/err")|$(grep -c '^pb-run: step segv finished in .* s, killed by SIGSEGV$' "$TMP/err")"
printf 'echo no interpreter line\n' >"$W/noshebang"
chmod +x "$W/noshebang"
f=$(job noexec <<EOF
name: noexec
steps:
  - {name: bad, run: [$W/noshebang]}
EOF
)
next_run
pbr "$f"
check "a program that cannot be run: exit 2" \
	"2|pb-run: run $R failed: step 'bad' could not be started: cannot run '$W/noshebang': Exec format error|failed|" \
	"$st|$(tail -n 1 "$TMP/err")|$(sql "SELECT status, exit_status FROM pb.job_step WHERE run_id = $R")"
# A step that cannot be started for want of resources (here descriptors: a limit low enough that pb-run still
# connects and starts, but cannot make its step's pipes) is a failure that may pass, as exit status 3 is: it
# exited 2, not retried. The lowest limits fail before (the job file, the connections), so a few are tried.
# The limit counts every descriptor below it, so those the suite was given (a make jobserver's, a CI agent's)
# would move the window, or put it past the values tried: the inner shell closes all but 0, 1 and 2 first.
f=$(job scarce <<'EOF'
name: scarce
steps:
  - {name: a, run: [/bin/true], retries: 1, backoff: 100ms}
EOF
)
found=""
for n in $(seq 8 24); do
	next_run
	# shellcheck disable=SC2016 # expanded by the inner shell
	("${LIMIT[@]}" bash -c 'for d in /proc/$$/fd/*; do d=${d##*/} && [ "$d" -gt 2 ] 2>/dev/null && exec {d}>&-; done
		ulimit -n "$1" && exec "${@:2}"' - "$n" "$PBR" "$f" --month 2026-10 >"$TMP/out" 2>"$TMP/err")
	st=$?
	if grep -q "could not be started: cannot make a pipe: Too many open files" "$TMP/err"; then
		found=$n
		break
	fi
done
check "a step that cannot be started for want of descriptors: retried, then exit 3 (found with ulimit -n ${found:-none})" \
	"3|pb-run: run $R: job scarce for 2026-10, as_of 2026-10-31
pb-run: step a started, attempt 1 of 2
pb-run: warning: step a: could not be started: cannot make a pipe: Too many open files, attempt 1 of 2; retrying in T s
pb-run: step a started, attempt 2 of 2
pb-run: run $R failed: step 'a' could not be started: cannot make a pipe: Too many open files (2 attempts)|failed||2" \
	"$st|$(err_masked)|$(sql "SELECT status, exit_status, count(*) FROM pb.job_step WHERE run_id = $R GROUP BY 1, 2")"

# A step that leaves a process behind: it is ended, with a warning.
f=$(job leaves <<'EOF'
name: leaves
steps:
  - {name: daemon, run: [/bin/sh, -c, 'sleep 300 & echo $$! > "$$W/left.pid"; exit 0']}
EOF
)
pbr "$f"
if [ $st -eq 0 ] && grep -qx 'pb-run: warning: step daemon left processes behind; they were ended' "$TMP/err" &&
	gone "$(cat "$W/left.pid")"; then
	ok "a process a step leaves behind is ended, with a warning"
else
	notok "a process a step leaves behind is ended, with a warning" "$st: $(cat "$TMP/err")"
fi

# A process that leaves the step's group (setsid) keeps the stderr pipe open: once the group is gone,
# pb-run takes what the pipe holds and goes on (it spun on the empty pipe, at full CPU, until that process
# ended). "At once" is within a minute, where the process lives 300 s: a sanitized pb-run on a loaded machine took
# more than the 10 s allowed beside a process of 30 s.
f=$(job escaped <<'EOF'
name: escaped
steps:
  - {name: away, run: [/bin/sh, -c, 'setsid sleep 300 & echo $$! > "$$W/away.pid"; echo "left a process" >&2']}
  - {name: next, run: [/bin/sh, -c, 'echo next >&2']}
EOF
)
t0=$(date +%s)
pbr "$f"
t1=$(date +%s)
kill "$(cat "$W/away.pid")" 2>/dev/null
check "a process that left the step's group: the run goes on at once, the step's lines passed on" \
	"0|yes|[away] left a process
[next] next" \
	"$st|$([ $((t1 - t0)) -lt 60 ] && echo yes || echo "no: $((t1 - t0)) s")|$(grep '^\[' "$TMP/err")"

# The stderr tail: the last 4 KiB, from a line's start.
f=$(job chatty <<'EOF'
name: chatty
steps:
  - {name: talk, run: [/bin/sh, -c, 'i=0; while [ $$i -lt 1000 ]; do echo "line $$i of the step" >&2; i=$$((i + 1)); done']}
EOF
)
pbr "$f"
check "stderr: every line passed on, the tail the last 4 KiB from a line start" \
	"1000|t|t|line 999 of the step" \
	"$(grep -c '^\[talk\] line' "$TMP/err")|$(sql "SELECT length(stderr_tail) <= 4096, stderr_tail LIKE 'line %', split_part(rtrim(stderr_tail, E'\n'), E'\n', -1) FROM pb.job_step s JOIN pb.job_run r ON r.id = s.run_id WHERE r.job = 'chatty'")"

# The tail kept every raw redraw of a progress bar (a carriage return, then the line drawn again): 500 of them
# pushed out the line before the bar, the one saying what went on. It is kept as the lines are shown: each line's
# last redraw.
f=$(job redraw <<'EOF'
name: redraw
steps:
  - {name: bar, run: [/bin/sh, -c, 'echo "reading cur.csv" >&2; i=0; while [ $$i -lt 500 ]; do printf "\rread %d MB" $$i >&2; i=$$((i + 1)); done; printf "\ncur.csv:7:3: a bad amount\nthe end, without a line end" >&2; exit 1']}
EOF
)
pbr "$f"
check "stderr with a progress bar's redraws: the lines shown, and the tail as they are shown" \
	"1|[bar] reading cur.csv
[bar] read 499 MB
[bar] cur.csv:7:3: a bad amount
[bar] the end, without a line end|reading cur.csv
read 499 MB
cur.csv:7:3: a bad amount
the end, without a line end" \
	"$st|$(grep '^\[bar\]' "$TMP/err")|$(sql "SELECT stderr_tail FROM pb.job_step s JOIN pb.job_run r ON r.id = s.run_id WHERE r.job = 'redraw'")"

# ---- the lock, --from and --only --------------------------------------------------------------------------

f=$(job hold <<'EOF'
name: hold
steps:
  - {name: first, run: [/bin/sh, -c, 'echo first']}
  - {name: wait, run: [/bin/sh, -c, 'echo $$$$ > "$$W/hold.pgid"; while [ ! -e "$$W/hold.go" ]; do sleep 0.1; done; [ ! -e "$$W/hold.fail" ]']}
  - {name: last, run: [/bin/sh, -c, 'echo last']}
EOF
)
touch "$W/hold.fail"
next_run
"$PBR" "$f" --month 2026-10 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
wait_file "$W/hold.pgid"
pbr "$f" --month 2026-10
if [ $st -eq 4 ] && grep -Eqx "pb-run: job 'hold' for 2026-10 is running already: run $R, by [^@ ]+@[^ ]+ pid $BG, since [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC" "$TMP/err"; then
	ok "a second run of the job and month: exit 4, the holder named"
else
	notok "a second run of the job and month: exit 4, the holder named" "$st: $(cat "$TMP/err")"
fi
# Another job over the same month (a finance rerun of the month close while the nightly job runs): each
# job's lock was its own, so both ran, their steps interleaved. The month is one run's at a time.
fo=$(job other <<'EOF'
name: other
steps:
  - {name: s, run: [/bin/sh, -c, 'touch "$$W/other.ran"']}
EOF
)
pbr "$fo" --month 2026-10
if [ $st -eq 4 ] && [ ! -e "$W/other.ran" ] && grep -Eqx "pb-run: job 'other' for 2026-10 is not run: job 'hold' is running for 2026-10 already: run $R, by [^@ ]+@[^ ]+ pid $BG, since [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC" "$TMP/err"; then
	ok "another job over the same month: exit 4, nothing run, the other job's run named"
else
	notok "another job over the same month: exit 4, nothing run, the other job's run named" "$st: $(cat "$TMP/err")"
fi
pbr "$fo" --month 2026-11
check "another job over another month runs meanwhile" "0|yes" "$st|$([ -e "$W/other.ran" ] && echo yes)"
# Two runs of each of two jobs over one month, started at the same instant: never two of them running (each
# step makes a folder that another's would find made); the others exit 4, each naming the run that holds it.
for j in race-a race-b; do
	job $j >/dev/null <<EOF
name: $j
steps:
  - {name: s, run: [/bin/sh, -c, 'mkdir "\$\$W/race.in" || echo overlap >>"\$\$W/race.bad"; sleep 0.1; rmdir "\$\$W/race.in"']}
EOF
done
pids=()
for j in race-a race-b race-a race-b; do
	"$PBR" "$W/$j.yaml" --month 2026-08 >/dev/null 2>>"$TMP/race.err" &
	pids+=($!)
done
sts=()
for p in "${pids[@]}"; do
	wait "$p"
	sts+=($?)
done
check "four runs of two jobs over one month at once: exit 0 or 4, never two running, each refusal naming a run" \
	"0|0|0|$(printf '%s\n' "${sts[@]}" | grep -cx 4)|" \
	"$(printf '%s\n' "${sts[@]}" | grep -vcx '[04]')|$(cat "$W/race.bad" 2>/dev/null | wc -l)|$(sql "SELECT count(*)
		FROM pb.job_run a JOIN pb.job_run b ON a.id < b.id AND a.job LIKE 'race-_' AND b.job LIKE 'race-_'
		AND tstzrange(a.started_at, a.finished_at) && tstzrange(b.started_at, b.finished_at)")|$(grep -Ec "^pb-run: job 'race-.' for 2026-08 (is running already|is not run: job 'race-.' is running for 2026-08 already): run [0-9]+, by " "$TMP/race.err")|$(grep '^pb-run: job ' "$TMP/race.err" | grep -Ev "^pb-run: job 'race-.' for 2026-08 (is running already|is not run: job 'race-.' is running for 2026-08 already): run [0-9]+, by ")"
pbr "$f" --month 2026-11 --only first
check "another month of the same job runs meanwhile" "0|first" "$st|$(cat "$TMP/out")"
# --wait SECONDS: a run that finds its month held (a finance rerun while the nightly job runs) waits for it
# rather than exit 4 at once; exit 4 still when the month is not free in time.
fw=$(job waiter <<'EOF'
name: waiter
steps:
  - {name: s, run: [/bin/sh, -c, 'touch "$$W/waiter.ran"']}
EOF
)
pbr "$fw" --month 2026-10 --wait 1
if [ $st -eq 4 ] && [ ! -e "$W/waiter.ran" ] && [ "$(wc -l <"$TMP/err")" = 2 ] &&
	grep -Eqx "pb-run: waiting up to 1 s for 2026-10: job 'waiter' for 2026-10 is not run: job 'hold' is running for 2026-10 already: run $R, by [^@ ]+@[^ ]+ pid $BG, since [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC" "$TMP/err" &&
	grep -Eqx "pb-run: job 'waiter' for 2026-10 is not run: job 'hold' is running for 2026-10 already: run $R, by [^@ ]+@[^ ]+ pid $BG, since [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC \\(waited 1 s\\)" "$TMP/err"; then
	ok "--wait 1 while the month is held: says it waits, then exit 4 naming the holder and the wait, nothing run"
else
	notok "--wait 1 while the month is held: says it waits, then exit 4 naming the holder and the wait, nothing run" "$st: $(cat "$TMP/err")"
fi
"$PBR" "$fw" --month 2026-10 --wait 600 >"$TMP/wait.out" 2>"$TMP/wait.err" &
WAITER=$!
wait_text "$TMP/wait.err" "waiting up to 600 s for 2026-10"
# A session that stays idle while the run waits (one a server's or a pooler's idle limit, or a DBA, ends) made
# the run exit 3 once the month was free: it recorded the run on a connection it had opened before it waited.
sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pb-run'
	AND state = 'idle' AND query LIKE '%FROM pb.schema_migrations%'" >/dev/null
# A waiting run stopped (SIGTERM) ends at once, by the signal, having recorded nothing.
runs=$(sql "SELECT count(*) FROM pb.job_run WHERE job = 'waiter'")
"$PBR" "$fw" --month 2026-10 --wait 600 >/dev/null 2>"$TMP/wait2.err" &
W2=$!
wait_text "$TMP/wait2.err" "waiting up to 600 s"
kill -TERM "$W2"
wait "$W2"
check "SIGTERM while waiting: ends by the signal, nothing recorded" "143|$runs" \
	"$?|$(sql "SELECT count(*) FROM pb.job_run WHERE job = 'waiter'")"
# A waiting run whose connection the server ends (a restart, a DBA): exit 3, saying which run it ends, nothing
# recorded. It said only "database: server closed the connection unexpectedly", after "waiting up to".
"$PBR" "$fw" --month 2026-10 --wait 600 >/dev/null 2>"$TMP/wait3.err" &
W3=$!
wait_text "$TMP/wait3.err" "waiting up to 600 s"
# Its waiting session is the newest of the sessions that try the lock or look for its holder: a waiting run
# alternates the two. (Chosen by the look alone, it was the first waiting run's session whenever this one had
# just tried the lock: that run ended instead, and this one waited its 600 s.)
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pb-run'
	AND (query LIKE 'SELECT r.id, r.job, %' OR query LIKE 'SELECT pg_try_advisory_lock(%')
	ORDER BY backend_start DESC LIMIT 1" >/dev/null
wait "$W3"
check "its connection ended while waiting: exit 3, saying which run it ends, nothing recorded" "3|1|$runs" \
	"$?|$(grep -c "^pb-run: job 'waiter' for 2026-10 is not run: while it waited for 2026-10, database: " "$TMP/wait3.err")|$(sql "SELECT count(*) FROM pb.job_run WHERE job = 'waiter'")"
touch "$W/hold.go"
wait "$BG"
check "the held run fails at its second step" "1|first" "$?|$(cat "$TMP/bg.out")"
wait "$WAITER"
check "--wait 600: the run says it waits for the month to be free, then runs (its idle session ended meanwhile)" \
	"0|1|yes|succeeded" "$?|$(grep -c "^pb-run: waiting up to 600 s for 2026-10: job 'waiter' for 2026-10 is not run: job 'hold' is running" "$TMP/wait.err")|$([ -e "$W/waiter.ran" ] && echo yes)|$(sql "SELECT status FROM pb.job_run WHERE job = 'waiter' ORDER BY id DESC LIMIT 1")"
# What strtol takes besides digits ('+5', ' 5', '-0') was taken as a count of seconds; a count is digits.
for v in abc -1 86401 1.5 '' 1e3 0x10 +5 ' 5' -0; do
	pbr "$fw" --month 2026-10 --wait "$v"
	check "--wait '$v': exit 2" "2|pb-run: --wait takes a count of seconds from 0 to 86400, not '$v'" "$st|$(head -1 "$TMP/err")"
done
pbr --history --wait 5
check "--wait goes with a run, not --history: exit 2" "2|pb-run: --history takes only --job, --limit and --log-format" "$st|$(head -1 "$TMP/err")"
pbr "$fw" --month 2026-10 --dry-run --wait 5
check "--dry-run --wait 5: the plan (a dry run takes no lock, so waits for nothing)" \
	"0|job waiter: month 2026-10, as_of 2026-10-31|" "$st|$(head -n 1 "$TMP/out")|$(cat "$TMP/err")"

# pb-run started with its standard output and error closed (a careless >&- 2>&-, a bare supervisor): its
# database connections took those descriptors, so its own first message went into one of them, which the
# server ended: the lock was gone (a second run went ahead) or the run stayed 'running' for ever, unsaid.
fc=$(job closed-fds <<'EOF'
name: closed-fds
steps:
  - {name: wait, run: [/bin/sh, -c, 'if [ -n "$${PB_SECOND_RUN:-}" ]; then exit 0; fi; echo started > "$$W/closed.started"; while [ ! -e "$$W/closed.go" ]; do sleep 0.1; done; echo "on stdout" || exit 7']}
EOF
)
"$PBR" "$fc" --month 2026-10 >&- 2>&- &
BG=$!
wait_file "$W/closed.started"
PB_SECOND_RUN=1 pbr "$fc" --month 2026-10
st2=$st
touch "$W/closed.go"
wait "$BG"
check "a run with stdout and stderr closed: the lock holds (a second run exits 4), its step writes on stdout" \
	"4|0|succeeded" "$st2|$?|$(sql "SELECT string_agg(status, ',' ORDER BY id) FROM pb.job_run WHERE job = 'closed-fds'")"

# The lock's connection ended while a step ran (a DBA's pg_terminate_backend, a proxy, a failover): the
# lock was gone, yet the run went on with its next steps, a second run of the job and month beside it.
fl=$(job lost-lock <<'EOF'
name: lost-lock
steps:
  - {name: first, run: [/bin/sh, -c, 'echo started > "$$W/lost.started"; while [ ! -e "$$W/lost.go" ]; do sleep 0.1; done']}
  - {name: second, run: [/bin/sh, -c, 'echo second']}
EOF
)
next_run
"$PBR" "$fl" --month 2026-10 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
wait_file "$W/lost.started"
sql "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'pb-run'" >/dev/null
touch "$W/lost.go"
wait "$BG"
check "the lock's connection lost mid-step: exit 3 before the next step, the run failed, saying why" \
	"3||pb-run: run $R failed: the lock of job 'lost-lock' for 2026-10 is lost (its connection to the database ended): the job's next steps are not run|failed|first" \
	"$?|$(cat "$TMP/bg.out")|$(tail -n 1 "$TMP/bg.err")|$(sql "SELECT status FROM pb.job_run WHERE id = $R")|$(sql "SELECT string_agg(name, ',' ORDER BY seq) FROM pb.job_step WHERE run_id = $R")"
# The same during the run's last step (here its only one): the run was recorded a success, exit 0, though
# a second run of the job and month could have run beside it.
rm -f "$W/lost.started" "$W/lost.go"
next_run
"$PBR" "$fl" --month 2026-11 --only first >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
wait_file "$W/lost.started"
sql "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'pb-run'" >/dev/null
touch "$W/lost.go"
wait "$BG"
check "the lock's connection lost during the last step: exit 3, the run failed, saying why" \
	"3|pb-run: run $R failed: the lock of job 'lost-lock' for 2026-11 is lost (its connection to the database ended): its last step may have run beside another run of the month|failed|first:succeeded" \
	"$?|$(tail -n 1 "$TMP/bg.err")|$(sql "SELECT status FROM pb.job_run WHERE id = $R")|$(sql "SELECT string_agg(name || ':' || status, ',' ORDER BY seq) FROM pb.job_step WHERE run_id = $R")"
# The same while a step's attempt ran that then exited 3: its retry ran without the lock (a second run of
# the job and month may hold it by then), and only the next step saw that the lock was gone.
fr=$(job lost-retry <<'EOF'
name: lost-retry
steps:
  - name: first
    run: [/bin/sh, -c, 'echo attempt >> "$$W/lost-retry.n"; [ -e "$$W/lost-retry.started" ] && exit 0; echo started > "$$W/lost-retry.started"; while [ ! -e "$$W/lost-retry.go" ]; do sleep 0.1; done; exit 3']
    retries: 1
    backoff: 100ms
  - {name: second, run: [/bin/sh, -c, 'echo second']}
EOF
)
next_run
"$PBR" "$fr" --month 2026-10 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
wait_file "$W/lost-retry.started"
sql "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'pb-run'" >/dev/null
touch "$W/lost-retry.go"
wait "$BG"
check "the lock's connection lost in an attempt that exits 3: no retry, exit 3, the run failed, saying why" \
	"3||pb-run: run $R failed: the lock of job 'lost-retry' for 2026-10 is lost (its connection to the database ended): step 'first' is not retried and the job's next steps are not run|failed|first:1|1" \
	"$?|$(cat "$TMP/bg.out")|$(tail -n 1 "$TMP/bg.err")|$(sql "SELECT status FROM pb.job_run WHERE id = $R")|$(sql "SELECT string_agg(name || ':' || attempt, ',' ORDER BY seq, attempt) FROM pb.job_step WHERE run_id = $R")|$(wc -l <"$W/lost-retry.n")"
rm -f "$W/hold.fail" "$W/hold.pgid"
pbr "$f" --month 2026-10 --from wait
check "--from resumes at that step" "0|last|wait,last|2,3" \
	"$st|$(cat "$TMP/out")|$(sql "SELECT string_agg(name, ',' ORDER BY seq), string_agg(seq::text, ',' ORDER BY seq) FROM pb.job_step WHERE run_id = (SELECT max(id) FROM pb.job_run)")"
pbr "$f" --month 2026-10 --only last
check "--only runs one step" "0|last|last|3" \
	"$st|$(cat "$TMP/out")|$(sql "SELECT string_agg(name, ','), string_agg(seq::text, ',') FROM pb.job_step WHERE run_id = (SELECT max(id) FROM pb.job_run)")"

# ---- signals ---------------------------------------------------------------------------------------------

f=$(job term <<'EOF'
name: term
steps:
  - {name: long, run: [/bin/sh, -c, 'echo $$$$ > "$$W/term.pgid"; sleep 300 & echo $$! > "$$W/term-child.pid"; wait']}
  - {name: never, run: [/bin/sh, -c, 'touch "$$W/never-ran"']}
EOF
)
next_run
"$PBR" "$f" --month 2026-10 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
wait_file "$W/term-child.pid"
kill -TERM "$BG"
wait "$BG"
st=$?
cp "$TMP/bg.err" "$TMP/err"
check "SIGTERM mid-step: exit 143, the step and the run interrupted" "143|pb-run: run $R interrupted by SIGTERM during step 'long'|interrupted|143|interrupted by SIGTERM during step 'long'|interrupted|15|no" \
	"$st|$(tail -n 1 "$TMP/err")|$(sql "SELECT r.status, r.exit_status, r.error, s.status, s.signal FROM pb.job_run r JOIN pb.job_step s ON s.run_id = r.id WHERE r.id = $R")|$([ -e "$W/never-ran" ] && echo yes || echo no)"
if group_gone "$(cat "$W/term.pgid")" && gone "$(cat "$W/term-child.pid")"; then
	ok "SIGTERM mid-step: the step's process group is gone"
else
	notok "SIGTERM mid-step: the step's process group is gone"
fi
if env --default-signal=INT true 2>/dev/null; then
	rm -f "$W/term-child.pid"
	next_run
	env --default-signal=INT "$PBR" "$f" --month 2026-11 >"$TMP/bg.out" 2>"$TMP/bg.err" &
	BG=$!
		wait_file "$W/term-child.pid"
	kill -INT "$BG"
	wait "$BG"
	check "SIGINT mid-step: exit 130, the run interrupted" "130|interrupted" \
		"$?|$(sql "SELECT status FROM pb.job_run WHERE id = $R")"
fi

# SIGTERM while a step that does not end on SIGTERM is being ended at its timeout (the 5 s before SIGKILL): the
# run is interrupted all the same (it ended 'failed' with exit 3, as a timeout). The step notes the SIGTERM of its
# timeout in deaf.term, and pb-run is signalled once it is there: 2 s after the step's start, the time it was given
# before, a loaded machine had not always come to the timeout (the SIGTERM was then one mid-step), and a shell not
# yet at its trap 1 s after its start ended at the timeout's SIGTERM.
rm -f "$W/deaf.pid" "$W/deaf.term"
ft=$(job term-timeout <<'EOF'
name: term-timeout
steps:
  - {name: deaf, run: [/bin/sh, -c, 'trap "echo timeout > \"$$W/deaf.term\"" TERM; echo $$$$ > "$$W/deaf.pid"; while :; do sleep 0.1; done'], timeout: 3s}
EOF
)
next_run
"$PBR" "$ft" --month 2026-10 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
wait_file "$W/deaf.pid"
# Its timeout comes 3 s after it started; SIGKILL comes 5 s after that.
wait_file "$W/deaf.term"
kill -TERM "$BG"
wait "$BG"
check "SIGTERM while a step is ended at its timeout: exit 143, the step and the run interrupted" \
	"143|pb-run: run $R interrupted by SIGTERM during step 'deaf'|interrupted|143|interrupted" \
	"$?|$(tail -n 1 "$TMP/bg.err")|$(sql "SELECT r.status, r.exit_status, s.status FROM pb.job_run r JOIN pb.job_step s ON s.run_id = r.id WHERE r.id = $R")"

# A pb-run killed outright: its step gets SIGTERM, and the next run marks its run failed. Here pb-run's
# whole process group is killed (setsid makes it a group of its own), as a supervisor may do.
rm -f "$W/term.pgid" "$W/term-child.pid"
setsid "$PBR" "$f" --month 2026-12 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
wait_file "$W/term-child.pid"
{
	kill -KILL -- "-$BG"
	wait "$BG"
} 2>/dev/null
# The step's whole process group: the step's own children (here a sleep) ran on for ever.
step_pid=$(cat "$W/term.pgid")
pb_until 120 group_gone "$step_pid"
if gone "$step_pid" && gone "$(cat "$W/term-child.pid")" && group_gone "$step_pid"; then
	ok "a pb-run killed outright takes its step along, the step's children too"
else
	notok "a pb-run killed outright takes its step along, the step's children too" "$(ps -eo pid,pgid,args | awk -v g="$step_pid" '$2 == g')"
fi
kill_steps
check "the dead run stays running" "running|running" \
	"$(sql "SELECT r.status, s.status FROM pb.job_run r JOIN pb.job_step s ON s.run_id = r.id WHERE r.job = 'term' AND r.month = '2026-12-01'")"
pbr "$f" --month 2026-12 --only never
check "the next run of the job and month marks it failed" "0|failed|pb-run ended before the run finished|failed|succeeded" \
	"$st|$(sql "SELECT r.status, r.error, s.status FROM pb.job_run r JOIN pb.job_step s ON s.run_id = r.id WHERE r.job = 'term' AND r.month = '2026-12-01' ORDER BY r.id LIMIT 1")|$(sql "SELECT status FROM pb.job_run WHERE job = 'term' AND month = '2026-12-01' ORDER BY id DESC LIMIT 1")"

# A pb-run killed outright while its step runs, and a run of another job over the month started at once:
# the killed run's lock went with its connection at once, while its step was still being ended (a step that
# takes its time over SIGTERM has 5 s before SIGKILL), so the second run ran beside it and marked the killed
# run failed while its step still ran. The lock now lasts until the killed run's step is gone.
# The step's group holds a process that, on the SIGTERM the guard sends the group, stops the guard
# (SIGSTOP) and says so: the step is then being ended for as long as the test needs, where before the
# guard's SIGKILL, 5 s after the kill, ended it while a loaded machine was still starting the next run.
# It stops the guard again once pb-run ($PPID) is reaped: pb-run's exit, when it comes after the first
# SIGSTOP, sends the guard's process group, orphaned by it, SIGCONT. (Its stderr is not the step's: the
# pipe to a pb-run killed would end it with SIGPIPE.)
fk=$(job killed <<'EOF'
name: killed
steps:
  - {name: deaf, run: [/bin/sh, -c, '(trap ''read -r g <"$$W/killed.guard"; kill -STOP "$$g"; while kill -0 "$$PPID"; do sleep 0.01; done; kill -STOP "$$g"; echo "$$g stopped" >"$$W/killed.term"'' TERM; : >"$$W/killed.ready"; while [ ! -e "$$W/killed.go" ]; do sleep 0.05; done) 2>/dev/null & trap "" TERM; while [ ! -e "$$W/killed.ready" ]; do sleep 0.01; done; echo $$$$ > "$$W/killed.pid"; while [ ! -e "$$W/killed.go" ]; do sleep 0.05; done']}
EOF
)
fa=$(job after <<'EOF'
name: after
steps:
  - {name: alone, run: [/bin/sh, -c, 's=$$(cut -d " " -f 3 "/proc/$$(cat "$$W/killed.pid")/stat" 2>/dev/null); if [ -n "$$s" ] && [ "$$s" != Z ]; then echo "beside the killed run step"; else echo alone; fi']}
EOF
)
next_run
setsid "$PBR" "$fk" --month 2026-06 >/dev/null 2>&1 &
BG=$!
wait_file "$W/killed.pid"
# The guard: the child of pb-run that is not its step.
ps -o pid= --ppid "$BG" | awk -v step="$(cat "$W/killed.pid")" '$1 != step { print $1 }' >"$W/killed.guard"
{
	kill -KILL "$BG"
	wait "$BG"
} 2>/dev/null
wait_file "$W/killed.term"
# (Before, the lock went within a moment of the kill.)
for _ in $(seq 10); do [ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 0 ] && break; sleep 0.05; done
pbr "$fa" --month 2026-06
if [ $st -eq 4 ] && [ ! -s "$TMP/out" ] && grep -Eq "^pb-run: job 'after' for 2026-06 is not run: job 'killed' is running for 2026-06 already: run $R, by " "$TMP/err"; then
	ok "a run killed outright: its month stays locked while its step is being ended (exit 4 naming it)"
else
	notok "a run killed outright: its month stays locked while its step is being ended (exit 4 naming it)" "$st: $(cat "$TMP/out" "$TMP/err" "$W/killed.term")"
fi
touch "$W/killed.go"
kill -CONT "$(cat "$W/killed.guard")" 2>/dev/null
pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted" ||
	notok "the killed run's lock goes once its step is gone"
pbr "$fa" --month 2026-06
check "once its step is gone, the next run of the month runs alone and marks the killed run failed" "0|alone|failed" \
	"$st|$(cat "$TMP/out")|$(sql "SELECT status FROM pb.job_run WHERE id = $R")"

# ---- --history ---------------------------------------------------------------------------------------------

pbr --history --job flaky
check "--history: an aligned table of runs and their steps' attempts" \
	"0|run  job    month    as_of       step   attempt  status     exit  started              seconds  by
$(printf "%3s" "$FLAKY")  flaky  2026-10  2026-10-31                  succeeded     0  D T        S  W
                                 flaky        1  failed        3  D T        S
                                 flaky        2  succeeded     0  D T        S" \
	"$st|$(sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}/D T/; s/( +)[0-9]+\.[0-9]/\1  S/; s/  [^ ]+@[^ ]+ pid [0-9]+$/  W/' "$TMP/out")"
pbr --history --limit 2
check "--history --limit 2: the two latest runs, newest first" "$(sql "SELECT string_agg(id::text, ' ' ORDER BY id DESC) FROM (SELECT id FROM pb.job_run ORDER BY id DESC LIMIT 2) x")" \
	"$(awk '$1 ~ /^[0-9]+$/ { printf "%s%s", sep, $1; sep = " " }' "$TMP/out")"
pbr --history --limit 1 --job slow
check "--history: a signal in the exit column" "SIGTERM" "$(awk 'NR == 4 { print $4 }' "$TMP/out")"
# A run that failed showed only "failed" and its exit status ("-" for a pb-run killed outright): what ended it
# (pb.job_run.error) was in the database alone. It is on a line of its own under the run's row, from the job's
# column on.
R=$(sql "SELECT id FROM pb.job_run WHERE job = 'term' AND month = '2026-12-01' ORDER BY id LIMIT 1")
pbr --history --job term
check "--history: a failed run's error on the line under it, from the job's column on" \
	"0|$R  term  2026-12  failed  -|$(awk 'NR == 1 { printf "%*s", index($0, "job") - 1, "" }' "$TMP/out")error: pb-run ended before the run finished" \
	"$st|$(awk -v r="$R" '$1 == r { print $1 "  " $2 "  " $3 "  " $5 "  " $6; getline; print; exit }' "$TMP/out" | paste -sd'|')"
"${LIMIT[@]}" "$PBR" --history >/dev/full 2>"$TMP/err"
check "--history >/dev/full: exit 3" "3|pb-run: cannot write standard output: No space left on device" "$?|$(cat "$TMP/err")"
PB_DATABASE_URL="host=$TMP/no-server dbname=none" "${LIMIT[@]}" "$PBR" --history >&- 2>"$TMP/err"
check "--history with standard output closed: exit 3, the database not reached" \
	"3|pb-run: cannot write standard output: Bad file descriptor" "$?|$(cat "$TMP/err")"
pbr --history --limit 0
check "--history --limit 0: exit 2" "2" "$st"
pbr --history --limit ' +5'
check "--history --limit ' +5': exit 2" "2|pb-run: --limit takes a count from 1 to 10000, not ' +5'" "$st|$(head -1 "$TMP/err")"
# A run recorded by an older build, or by hand, whose run_by holds an escape sequence and a tab: --history put
# them on the reader's terminal as they were. Each control character (C0, DEL, C1) is shown as '?'.
sql "INSERT INTO pb.job_run (job, month, as_of, status, finished_at, exit_status, run_by, job_file, job_sha256)
	VALUES ('ctl-by', '2026-10-01', '2026-10-31', 'failed', clock_timestamp(), 1,
	E'eve\\u001b[31m\\tx\\u009b2J@host pid 1', '/x', repeat('0', 64))" >/dev/null || notok "record a run by hand"
pbr --history --job ctl-by --limit 1
check "--history: control characters in who ran it shown as '?'" "0|eve?[31m?x?2J@host pid 1|0" \
	"$st|$(sed -n 2p "$TMP/out" | grep -o 'eve.*$')|$(LC_ALL=C grep -c $'[\x01-\x1f\x7f]' "$TMP/out")"
# The job's and the steps' names of such a row went out as they were (a job file checks them, a row by hand
# does not): '?' for each control character too.
sql "WITH r AS (INSERT INTO pb.job_run (job, month, as_of, status, finished_at, exit_status, run_by, job_file,
	job_sha256) VALUES (E'ctl\\u001b[2Jjob', '2026-10-01', '2026-10-31', 'failed', clock_timestamp(), 1, 'eve',
	'/x', repeat('0', 64)) RETURNING id)
	INSERT INTO pb.job_step (run_id, seq, name, attempt, argv, status, finished_at, exit_status)
	SELECT id, 1, E'st\\tep\\u009b2J\\n', 1, '{x}', 'failed', clock_timestamp(), 1 FROM r" >/dev/null ||
	notok "record a run and its step by hand"
pbr --history --limit 1
check "--history: control characters in the job's and the step's names shown as '?'" "0|ctl?[2Jjob|st?ep?2J?|0" \
	"$st|$(sed -n 2p "$TMP/out" | awk '{ print $2 }')|$(sed -n 3p "$TMP/out" | awk '{ print $1 }')|$(LC_ALL=C grep -c $'[\x01-\x1f\x7f]\|\xc2[\x80-\x9f]' "$TMP/out")"
# Bidirectional format characters (an override, an isolate, a mark) in such a row's names and in who ran it
# went out as they were: the terminal showed the rest of the line reordered. '?' for each, as for a control.
sql "WITH r AS (INSERT INTO pb.job_run (job, month, as_of, status, finished_at, exit_status, run_by, job_file,
	job_sha256) VALUES (E'bidi\\u202ejob', '2026-10-01', '2026-10-31', 'failed', clock_timestamp(), 1,
	E'eve\\u2066@\\u200fhost\\u061c pid 1\\u0085', '/x', repeat('0', 64)) RETURNING id)
	INSERT INTO pb.job_step (run_id, seq, name, attempt, argv, status, finished_at, exit_status)
	SELECT id, 1, E'st\\u202dep\\u2069\\u200e\\u2028', 1, '{x}', 'failed', clock_timestamp(), 1 FROM r" >/dev/null ||
	notok "record a run and its step by hand"
pbr --history --limit 1
check "--history: bidirectional format characters in the names and in who ran it shown as '?'" \
	"0|bidi?job|st?ep???|eve?@?host? pid 1?|0" \
	"$st|$(sed -n 2p "$TMP/out" | awk '{ print $2 }')|$(sed -n 3p "$TMP/out" | awk '{ print $1 }')|$(sed -n 2p "$TMP/out" | grep -o 'eve.*$')|$(LC_ALL=C grep -c $'\xe2\x80[\x8e\x8f\xa8-\xae]\\|\xe2\x81[\xa6-\xa9]\\|\xd8\x9c\\|\xc2[\x80-\x9f]' "$TMP/out")"
# A step's name and who ran it in letters of more than a byte (UTF-8): the columns were padded by bytes, so
# the rows after a wider one were out of line. They are padded by characters.
HR=$(sql "WITH r AS (INSERT INTO pb.job_run (job, month, as_of, status, started_at, finished_at, exit_status,
	run_by, job_file, job_sha256) VALUES ('utf8', '2026-10-01', '2026-10-31', 'failed', '2026-11-01 02:00:00+00',
	'2026-11-01 02:00:02+00', 1, 'zoë@hôst pid 1', '/x', repeat('0', 64)) RETURNING id),
	s AS (INSERT INTO pb.job_step (run_id, seq, name, attempt, argv, status, started_at, finished_at, exit_status)
	SELECT id, 1, 'café-étape', 1, '{x}', 'failed', '2026-11-01 02:00:00+00', '2026-11-01 02:00:01+00', 1 FROM r)
	SELECT id FROM r") || notok "record a run by hand"
pbr --history --job utf8 --limit 1
check "--history: text in UTF-8 padded by characters" \
	"0|run  job   month    as_of       step        attempt  status  exit  started              seconds  by
$(printf "%3s" "$HR")  utf8  2026-10  2026-10-31                       failed     1  2026-11-01 02:00:00      2.0  zoë@hôst pid 1
                                café-étape        1  failed     1  2026-11-01 02:00:00      1.0" "$st|$(cat "$TMP/out")"
# Steps named in CJK (two columns a character on a terminal), with an emoji (two) or with a combining accent
# (none: "e" then U+0301): padded by characters, the rows after them were out of line. They are padded by the
# columns each character takes.
HR=$(sql "WITH r AS (INSERT INTO pb.job_run (job, month, as_of, status, started_at, finished_at, exit_status,
	run_by, job_file, job_sha256) VALUES ('wide', '2026-10-01', '2026-10-31', 'failed', '2026-11-01 02:00:00+00',
	'2026-11-01 02:00:02+00', 1, '李@東京 pid 1', '/x', repeat('0', 64)) RETURNING id),
	s AS (INSERT INTO pb.job_step (run_id, seq, name, attempt, argv, status, started_at, finished_at, exit_status)
	SELECT id, n, name, 1, '{x}', 'failed', '2026-11-01 02:00:00+00', '2026-11-01 02:00:01+00', 1
	FROM r, (VALUES (1, '東京'), (2, E'e\\u0301te\\u0301'), (3, E'\\U0001F600 ok'), (4, 'ab')) v (n, name))
	SELECT id FROM r") || notok "record a run by hand"
pbr --history --job wide --limit 1
ete=$'e\xcc\x81te\xcc\x81'
check "--history: wide characters and combining marks padded by the columns they take" \
	"0|run  job   month    as_of       step   attempt  status  exit  started              seconds  by
$(printf "%3s" "$HR")  wide  2026-10  2026-10-31                  failed     1  2026-11-01 02:00:00      2.0  李@東京 pid 1
                                東京         1  failed     1  2026-11-01 02:00:00      1.0
                                $ete          1  failed     1  2026-11-01 02:00:00      1.0
                                😀 ok        1  failed     1  2026-11-01 02:00:00      1.0
                                ab           1  failed     1  2026-11-01 02:00:00      1.0" "$st|$(cat "$TMP/out")"
# An empty --job (a script's unset variable) listed the runs of every job, as if no --job were given.
pbr --history --job ''
check "--history --job '': exit 2, nothing listed" "2||pb-run: --job takes a job name (up to 64 letters, digits, '.', '_' and '-', the first a letter or digit), not ''
Try 'pb-run --help'." "$st|$(cat "$TMP/out")|$(cat "$TMP/err")"

# ---- --log-format json -------------------------------------------------------------------------------------

pbr "$FIX/example.yaml" --month 2026-09 --log-format json
if [ $st -eq 0 ] && python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert all(l["program"] == "pb-run" and "time" in l for l in lines)
assert lines[0]["message"].startswith("run ") and lines[0]["month"] == "2026-09" and lines[0]["run"] > 0
steps = [l for l in lines if l.get("step") == "to-stderr" and l["message"] == "a line on stderr"]
assert len(steps) == 1 and steps[0]["level"] == "info"
' "$TMP/err"; then
	ok "--log-format json: every message a JSON object, the steps' lines with their step"
else
	notok "--log-format json: every message a JSON object, the steps' lines with their step" "$(cat "$TMP/err")"
fi

# A usage error after --log-format json was a plain line, unlike every other program's: a JSON reader of
# pb-run's standard error could not parse it.
pbr --log-format json --wait 1e3 "$FIX/example.yaml"
check "--log-format json: a usage error after it is a JSON object, then the plain 'Try' line, exit 2" \
	"2|error|--wait takes a count of seconds from 0 to 86400, not '1e3'|Try 'pb-run --help'." \
	"$st|$(head -1 "$TMP/err" | python3 -c 'import json, sys; m = json.load(sys.stdin); print(m["level"] + "|" + m["message"])')|$(sed -n 2p "$TMP/err")"

# A step's line with escape sequences (one that clears the screen, one that sets the terminal's title), a
# bidirectional override, a C1 control or a tab went to the terminal as it was, in plain format: each is shown
# as in pb-run's own messages (\xHH, \uHHHH). pb-ingest's message, which shows a file name's escape so
# already, is passed on as it is.
f=$(job raw-bytes <<'EOF'
name: raw-bytes
steps:
  - {name: say, run: [/bin/sh, -c, 'printf "a\033[2Jb \033]0;t\007 \342\200\256ok \302\233c\tend \330\234x\r\n" >&2']}
  - {name: ingest, run: [pb-ingest, --format, aws-cur, --no-progress, "${env:BAD_NAME}"]}
EOF
)
BAD_NAME=$'nope\033[31m.csv' pbr "$f"
check "a step's escape sequences and format characters on stderr are shown, not acted on" \
	"1|[say] a\\x1b[2Jb \\x1b]0;t\\x07 \\u202eok \\xc2\\x9bc\\x09end \\u061cx|[ingest] pb-ingest: cannot open 'nope\\x1b[31m.csv': No such file or directory|0" \
	"$st|$(grep '^\[say\]' "$TMP/err")|$(grep '^\[ingest\]' "$TMP/err")|$(LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]\\|\xc2[\x80-\x9f]\\|\xe2\x80\xae\\|\xd8\x9c' "$TMP/err")"
# In JSON, the Arabic letter mark (a bidirectional mark as U+200F is) went out as it was: escaped as the others.
BAD_NAME=$'nope\033[31m.csv' pbr "$f" --log-format json --only say
check "--log-format json: a step's escape sequences and bidirectional marks escaped" \
	'0|"a\u001b[2Jb \u001b]0;t\u0007 \u202eok \u009bc\tend \u061cx"|0' \
	"$st|$(grep -o '"message":"a[^"]*"' "$TMP/err" | cut -d: -f2-)|$(LC_ALL=C grep -c $'\xe2\x80\xae\\|\xd8\x9c' "$TMP/err")"

# A carriage return: before a line feed it ends the line (a CRLF line was shown ending in \x0d); alone, it ends a
# redraw of the line (a progress bar), and only the line's last redraw is shown, when the line ends or the step
# does (the redraws ran together into one line, \x0d between them, shown at 4 KiB or the end).
f=$(job cr-lines <<'EOF'
name: cr-lines
steps:
  - {name: bar, run: [/bin/sh, -c, 'printf "crlf\r\nstep 1\rstep 2\rstep 3\r\nsaved\r\r\nup\rload 1\rload 2\n" >&2; printf "split\r" >&2; sleep 0.2; printf "\n" >&2; printf "a" >&2; sleep 0.2; printf "\rend 1\rend 2" >&2']}
EOF
)
pbr "$f"
check "a step's CRLF and CR: each line shown once, a redrawn line as its last redraw" \
	"0|[bar] crlf|[bar] step 3|[bar] saved|[bar] load 2|[bar] split|[bar] end 2" \
	"$st|$(grep '^\[bar\]' "$TMP/err" | paste -sd'|')"
pbr "$f" --log-format json
check "--log-format json: the same lines" '0|"crlf"|"step 3"|"saved"|"load 2"|"split"|"end 2"' \
	"$st|$(grep -o '"message":"[^"]*"' "$TMP/err" | cut -d: -f2- | grep -E '^"(crlf|step [0-9]|saved|load|split|end|a)' | paste -sd'|')"

# A step's line that is not UTF-8 (a Latin-1 file name, a line cut at 4 KiB inside a character) or holds a
# NUL byte: still one JSON object in UTF-8, each bad byte as U+FFFD (the raw bytes made the line no JSON,
# and the text after a NUL was lost).
f=$(job json-bytes <<'EOF'
name: json-bytes
steps:
  - {name: say, run: [/bin/sh, -c, 'printf "caf\351 au lait\n" >&2; printf "nul\000after\n" >&2; printf "%4095s\303\251tail\n" x >&2']}
EOF
)
pbr "$f" --log-format json
check "--log-format json: a step's bytes that are not UTF-8 or NUL are U+FFFD, the line whole" \
	"0|caf\\ufffd au lait|nul\\ufffdafter|4095 bytes, x at the end|\\xe9tail" \
	"$st|$(python3 -c '
import json, sys
lines = [json.loads(l.decode("utf-8")) for l in open(sys.argv[1], "rb")]
said = [l["message"] for l in lines if l.get("step") == "say" and not l["message"].startswith("step ")]
said[2] = "%d bytes, %s at the end" % (len(said[2].encode()), said[2][-1])
print("|".join(ascii(m)[1:-1] for m in said))
' "$TMP/err" 2>&1)"

# pb-run's own messages too: a job name cut at 64 bytes inside a character, a job file named in Latin-1.
printf 'name: a%s\nsteps:\n  - {name: a, run: [/bin/true]}\n' "$(printf '\303\251%.0s' $(seq 40))" >"$W/caf"$'\351'".yaml"
pbr "$W/caf"$'\351'".yaml" --dry-run --log-format json
check "--log-format json: pb-run's messages and file names that are not UTF-8 are U+FFFD, still JSON" \
	"1|bad job name 'a\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\xe9\\ufffd': up to 64 letters, digits, '.', '_' and '-', the first a letter or digit|$W/caf\\ufffd.yaml|1|7" \
	"$st|$(python3 -c '
import json, sys
o = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
print("|".join(ascii(str(o[k]))[1:-1] for k in ("message", "file", "line", "column")))
' "$TMP/err" 2>&1)"

# ---- metrics --------------------------------------------------------------------------------------------------

# Imports of the month, committed and not; the month is not aggregated yet.
sql "INSERT INTO pb.import (vendor, format, source, billing_month, status, line_count) VALUES
	('aws', 'aws-cur', 's1', '2026-10-01', 'committed', 1200), ('aws', 'aws-cur', 's2', '2026-10-01', 'committed', 34),
	('aws', 'aws-cur', 's3', '2026-10-01', 'failed', 999), ('azure', 'azure-cost', 's4', '2026-10-01', 'committed', 56),
	('azure', 'azure-cost', 's5', '2026-09-01', 'committed', 7)" >/dev/null
M=$W/metrics/pb-metrics.prom
mkdir -p "$W/metrics"
f=$(job metrics <<'EOF'
name: metrics
steps:
  - {name: one, run: [/bin/true]}
  - {name: two, run: [/bin/sh, -c, 'exit $$(cat "$$W/metrics.exit" 2>/dev/null || echo 0)']}
EOF
)
# mask_metrics: timestamps as TS and step durations as D.
mask_metrics() { sed -E 's/(_timestamp_seconds\{job="metrics"\}) [0-9]+\.[0-9]{3}$/\1 TS/; s/(_duration_seconds\{.*\}) [0-9]+\.[0-9]{3}$/\1 D/' "$M"; }
pbr "$f" --month 2026-10 --metrics-file "$M"
check "the metrics file before the month is aggregated" "0|# HELP pb_job_last_success_timestamp_seconds Unix time at which the last successful run of the job (of any month) finished.
# TYPE pb_job_last_success_timestamp_seconds gauge
pb_job_last_success_timestamp_seconds{job=\"metrics\"} TS
# HELP pb_job_last_run_start_timestamp_seconds Unix time at which the last run of the job started.
# TYPE pb_job_last_run_start_timestamp_seconds gauge
pb_job_last_run_start_timestamp_seconds{job=\"metrics\"} TS
# HELP pb_job_last_run_timestamp_seconds Unix time at which the last run of the job finished.
# TYPE pb_job_last_run_timestamp_seconds gauge
pb_job_last_run_timestamp_seconds{job=\"metrics\"} TS
# HELP pb_job_last_run_exit_status Exit status of the last run of the job (0: success).
# TYPE pb_job_last_run_exit_status gauge
pb_job_last_run_exit_status{job=\"metrics\"} 0
# HELP pb_job_running 1 from the start of a run of the job to its end (a run killed outright leaves it 1), else 0.
# TYPE pb_job_running gauge
pb_job_running{job=\"metrics\"} 0
# HELP pb_job_step_duration_seconds Wall-clock seconds each step of the last run of the job took, retries and their waits included.
# TYPE pb_job_step_duration_seconds gauge
pb_job_step_duration_seconds{job=\"metrics\",step=\"one\"} D
pb_job_step_duration_seconds{job=\"metrics\",step=\"two\"} D
# HELP pb_ingest_lines Source lines of the committed imports of the month, by vendor.
# TYPE pb_ingest_lines gauge
pb_ingest_lines{month=\"2026-10\",vendor=\"aws\"} 1234
pb_ingest_lines{month=\"2026-10\",vendor=\"azure\"} 56" "$st|$(mask_metrics)"
check "the timestamps are the run's start and end, from the database" \
	"$(sql "SELECT round(extract(epoch FROM started_at), 3), round(extract(epoch FROM finished_at), 3) FROM pb.job_run WHERE job = 'metrics'")" \
	"$(sed -n 's/^pb_job_last_run_start_timestamp_seconds{job="metrics"} //p' "$M")|$(sed -n 's/^pb_job_last_run_timestamp_seconds{job="metrics"} //p' "$M")"
check "the metrics file is readable by the collector (0644), no temporary file is left" "644|pb-metrics.prom" \
	"$(stat -c %a "$M")|$(ls -A "$W/metrics")"
inode1=$(stat -c %i "$M")
# A second name keeps the file's inode from being freed: the run now replaces the file twice (as it begins and
# after it), and the second new file could otherwise be given the inode the first rename freed.
ln "$M" "$W/metrics-kept.prom"
success1=$(sed -n 's/^pb_job_last_success_timestamp_seconds{job="metrics"} //p' "$M")

# Aggregate runs: the current one of the month counts; a superseded one and another month's do not.
sql "INSERT INTO pb.aggregate_run (id, billing_month, as_of, status, imports, pricing_file, pricing_sha256, started_at, run_by)
	VALUES (901, '2026-10-01', '2026-10-20', 'superseded', '{}', 'p', repeat('a', 64), now(), 't'),
	(902, '2026-10-01', '2026-10-21', 'current', '{}', 'p', repeat('a', 64), now(), 't'),
	(903, '2026-09-01', '2026-09-30', 'current', '{}', 'p', repeat('a', 64), now(), 't');
	INSERT INTO pb.aggregate_bucket (run_id, bucket, vendor, partner_account_id, currency, list, billed, line_count)
	VALUES (901, 'unmapped', 'aws', '111111111111', 'USD', 5, 5, 1),
	(902, 'unmapped', 'aws', '111111111111', 'USD', 12.345678901234567890123, 12.345678901234567890123, 10),
	(902, 'unmapped', 'aws', '222222222222', 'USD', 0.000000000000000001, 0.000000000000000001, 1),
	(902, 'unmapped', 'azure', 'x', 'EUR', -3.50, -3.50, 2),
	(902, 'ineligible', 'aws', '333333333333', 'USD', 1000000000000000000000.01, 1000000000000000000000.01, 3),
	(902, 'excluded', 'aws', '333333333333', 'USD', 5, 5, 1),
	(903, 'unmapped', 'aws', '111111111111', 'USD', 99, 99, 1)" >/dev/null
echo 1 >"$W/metrics.exit"
pbr "$f" --month 2026-10 --metrics-file "$M"
check "a failed run: its exit status; the last success stays; exact amounts of the current aggregate run" "1|$success1|pb_job_last_run_exit_status{job=\"metrics\"} 1
pb_job_running{job=\"metrics\"} 0
# HELP pb_ingest_lines Source lines of the committed imports of the month, by vendor.
# TYPE pb_ingest_lines gauge
pb_ingest_lines{month=\"2026-10\",vendor=\"aws\"} 1234
pb_ingest_lines{month=\"2026-10\",vendor=\"azure\"} 56
# HELP pb_unmapped_amount Usage of the month that maps to no CLC account, by billing currency.
# TYPE pb_unmapped_amount gauge
pb_unmapped_amount{month=\"2026-10\",currency=\"EUR\"} -3.5
pb_unmapped_amount{month=\"2026-10\",currency=\"USD\"} 12.345678901234567891123
# HELP pb_ineligible_amount Usage of the month of CLC accounts not eligible for the vendor, by billing currency.
# TYPE pb_ineligible_amount gauge
pb_ineligible_amount{month=\"2026-10\",currency=\"USD\"} 1000000000000000000000.01" \
	"$st|$(sed -n 's/^pb_job_last_success_timestamp_seconds{job="metrics"} //p' "$M")|$(grep -v -e '^# .*pb_job_' -e '^pb_job_last_success' -e '^pb_job_last_run_start_timestamp' -e '^pb_job_last_run_timestamp' -e '^pb_job_step' "$M")"
if [ "$(stat -c %i "$M")" != "$inode1" ] && [ "$(stat -c %i "$W/metrics-kept.prom")" == "$inode1" ] &&
	[ "$(ls -A "$W/metrics")" == pb-metrics.prom ]; then
	ok "the metrics file is replaced by a rename, not rewritten in place"
else
	notok "the metrics file is replaced by a rename, not rewritten in place"
fi
# A pb-run killed while it wrote the metrics file left its temporary file behind, for good: the next run
# removes those of its file's name that no writer holds (locked), and nothing else.
printf 'x 1\n' >"$W/metrics/.pb-metrics.prom.Ab3dE9"
printf 'x 1\n' >"$W/metrics/.pb-metrics.prom.Held01"
printf 'x 1\n' >"$W/metrics/.other.prom.Ab3dE9"
exec {held}<"$W/metrics/.pb-metrics.prom.Held01"
flock -x "$held"
pbr "$f" --month 2026-10 --metrics-file "$M"
exec {held}<&-
check "a temporary metrics file left by a killed pb-run is removed; one being written and others' are not" \
	"1|.other.prom.Ab3dE9 .pb-metrics.prom.Held01 pb-metrics.prom" "$st|$(ls -A "$W/metrics" | LC_ALL=C sort | xargs)"
rm -f "$W/metrics/.other.prom.Ab3dE9" "$W/metrics/.pb-metrics.prom.Held01"
if command -v promtool >/dev/null 2>&1; then
	if promtool check metrics <"$M" >"$TMP/promtool" 2>&1; then ok "promtool accepts the metrics file"; else notok "promtool accepts the metrics file" "$(cat "$TMP/promtool")"; fi
fi
rm -f "$W/metrics.exit"
pbr "$f" --month 2026-10 --metrics-file "$W/no-such-folder/m.prom"
check "a metrics file that cannot be written: exit 3, the run still recorded succeeded" \
	"3|pb-run: metrics: cannot write '$W/no-such-folder/m.prom': No such file or directory|succeeded" \
	"$st|$(grep metrics: "$TMP/err")|$(sql "SELECT status FROM pb.job_run WHERE job = 'metrics' ORDER BY id DESC LIMIT 1")"

# A metrics file that is not a regular file (a FIFO, a link, a device: /dev/null, which as root the rename
# replaced) is the caller's mistake: it was found after the run, which exited 3 (retried as a transient failure).
# Now exit 2 before anything runs, the file left as it is.
mkfifo "$W/m-fifo.prom"
ln -s "$M" "$W/m-link.prom"
runs=$(sql "SELECT count(*) FROM pb.job_run")
got=""
for m in "$W/m-fifo.prom" "$W/m-link.prom" /dev/null; do
	pbr "$f" --month 2026-10 --metrics-file "$m"
	got="$got$st|$(cat "$TMP/err");"
done
check "a metrics file that is a FIFO, a link or a device: exit 2 before anything runs, left as it is" \
	"2|pb-run: --metrics-file needs a regular file, not '$W/m-fifo.prom', a FIFO (it replaces the file whole);2|pb-run: --metrics-file needs a regular file, not '$W/m-link.prom', a symbolic link (it replaces the file whole);2|pb-run: --metrics-file needs a regular file, not '/dev/null', a device (it replaces the file whole);|fifo link||$runs" \
	"$got|$([ -p "$W/m-fifo.prom" ] && echo fifo) $([ -L "$W/m-link.prom" ] && echo link)|$(ls -A "$W" | grep -F -e '.m-fifo.prom.' -e '.m-link.prom.')|$(sql "SELECT count(*) FROM pb.job_run")"

# A run that never began still replaces the metrics file: its exit status and time, else the file went on
# saying the night before's 0. Without the database the last success is carried over from the file replaced;
# with it (the lock held by another run) it is the database's.
pbr "$f" --month 2026-10 --metrics-file "$M"
success2=$(sed -n 's/^pb_job_last_success_timestamp_seconds{job="metrics"} //p' "$M")
before=$(date +%s)
PB_DATABASE_URL="host=$TMP/nowhere dbname=x" "${LIMIT[@]}" "$PBR" "$f" --month 2026-10 --metrics-file "$M" \
	>"$TMP/out" 2>"$TMP/err"
st=$?
last=$(sed -n 's/^pb_job_last_run_timestamp_seconds{job="metrics"} \([0-9]*\)\.[0-9]\{3\}$/\1/p' "$M")
check "no database: exit 3, the metrics file says so, the last success carried over" "3|$success2|yes|# HELP pb_job_last_success_timestamp_seconds Unix time at which the last successful run of the job (of any month) finished.
# TYPE pb_job_last_success_timestamp_seconds gauge
pb_job_last_success_timestamp_seconds{job=\"metrics\"} TS
# HELP pb_job_last_run_timestamp_seconds Unix time at which the last run of the job finished.
# TYPE pb_job_last_run_timestamp_seconds gauge
pb_job_last_run_timestamp_seconds{job=\"metrics\"} TS
# HELP pb_job_last_run_exit_status Exit status of the last run of the job (0: success).
# TYPE pb_job_last_run_exit_status gauge
pb_job_last_run_exit_status{job=\"metrics\"} 3
# HELP pb_job_running 1 from the start of a run of the job to its end (a run killed outright leaves it 1), else 0.
# TYPE pb_job_running gauge
pb_job_running{job=\"metrics\"} 0" \
	"$st|$(sed -n 's/^pb_job_last_success_timestamp_seconds{job="metrics"} //p' "$M")|$([ -n "$last" ] && [ "$last" -ge "$before" ] && [ "$last" -le "$(date +%s)" ] && echo yes)|$(mask_metrics)"
rm -f "$M"
PB_DATABASE_URL="host=$TMP/nowhere dbname=x" "${LIMIT[@]}" "$PBR" "$f" --month 2026-10 --metrics-file "$M" \
	>"$TMP/out" 2>"$TMP/err"
check "no database and no previous file: no last success" "3|0|1" \
	"$?|$(grep -c '^pb_job_last_success' "$M")|$(grep -c '^pb_job_last_run_exit_status{job="metrics"} 3$' "$M")"
cp "$f" "$W/self.yaml"
ln "$W/self.yaml" "$W/self-link.prom"
pbr "$W/self.yaml" --month 2026-10 --metrics-file "$W/self-link.prom"
check "a metrics file that is the job file: exit 2 before anything runs, the job file kept" \
	"2|pb-run: --metrics-file '$W/self-link.prom' is the job file|same" \
	"$st|$(cat "$TMP/err")|$(cmp -s "$f" "$W/self.yaml" && echo same)"
PB_DATABASE_URL="host=$TMP/nowhere dbname=x" "${LIMIT[@]}" timeout 10 "$PBR" "$f" --month 2026-10 \
	--metrics-file "$W/m-fifo.prom" >"$TMP/out" 2>"$TMP/err"
check "no database, a metrics file that is a FIFO: not read (no wait for a writer), left a FIFO, exit 2" \
	"2|pb-run: --metrics-file needs a regular file, not '$W/m-fifo.prom', a FIFO (it replaces the file whole)|fifo" \
	"$?|$(cat "$TMP/err")|$([ -p "$W/m-fifo.prom" ] && echo fifo)"
# (The holder is terminated once the run is refused: its sleep is only a bound.)
"$BIN/pb-db" psql -X -q -c "SELECT pg_advisory_lock(hashtextextended('pb-run|2026-10', 0)), pg_sleep(300)" \
	>/dev/null 2>&1 &
HOLDER=$!
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted" ||
	notok "a session holds the month's lock"
pbr "$f" --month 2026-10 --metrics-file "$M"
sql "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted" >/dev/null
wait $HOLDER 2>/dev/null
check "the lock held: exit 4, the metrics file says so, the last success the database's" "4|$success2|1|0|1" \
	"$st|$(sed -n 's/^pb_job_last_success_timestamp_seconds{job="metrics"} //p' "$M")|$(grep -c '^pb_job_last_run_timestamp_seconds' "$M")|$(grep -c '^pb_job_step' "$M")|$(grep -c '^pb_job_last_run_exit_status{job="metrics"} 4$' "$M")"

# The database went away while a step ran (a restart, a failover; here both of pb-run's sessions ended):
# pb-run could record neither the step's end nor the run's, so the run stayed 'running' until the next run
# of the job and month, and the metrics file was left as it was, saying the night before's exit status 0.
fd=$(job db-lost <<'EOF'
name: db-lost
steps:
  - {name: wait, run: [/bin/sh, -c, 'echo started > "$$W/db-lost.started"; while [ ! -e "$$W/db-lost.go" ]; do sleep 0.1; done']}
  - {name: next, run: [/bin/sh, -c, 'echo next']}
EOF
)
printf 'pb_job_last_run_exit_status{job="db-lost"} 0\n' >"$W/db-lost.prom"
next_run
"$PBR" "$fd" --month 2026-10 --metrics-file "$W/db-lost.prom" >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
wait_file "$W/db-lost.started"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pb-run'" >/dev/null
touch "$W/db-lost.go"
wait "$BG"
check "the database's sessions ended mid-step: exit 3, the run and its step recorded failed, the metrics file says 3" \
	"3||failed|wait:failed|pb_job_last_run_exit_status{job=\"db-lost\"} 3" \
	"$?|$(cat "$TMP/bg.out")|$(sql "SELECT status FROM pb.job_run WHERE id = $R")|$(sql "SELECT string_agg(name || ':' || status, ',' ORDER BY seq) FROM pb.job_step WHERE run_id = $R")|$(grep '^pb_job_last_run_exit_status' "$W/db-lost.prom")"

# A pb-run killed outright (SIGKILL) mid-run writes nothing at its end: its metrics file went on saying the run
# before's end and exit status 0, as if that were the last run, while --history showed the killed run. The file
# is written as the run begins too: running, since the run's start, and nothing of an end, which is what a killed
# run leaves until the next run of the job.
fm=$(job metrics-killed <<'EOF'
name: metrics-killed
steps:
  - {name: wait, run: [/bin/sh, -c, 'echo started > "$$W/mk.started"; while [ ! -e "$$W/mk.go" ]; do sleep 0.05; done']}
EOF
)
MK=$W/metrics/killed.prom
# job_gauges: the job's lines of the file, timestamps as TS.
job_gauges() { grep '^pb_job_' "$MK" | sed -E 's/(_timestamp_seconds\{job="metrics-killed"\}) [0-9]+\.[0-9]{3}$/\1 TS/' | paste -sd' '; }
touch "$W/mk.go"
pbr "$fm" --month 2026-10 --metrics-file "$MK"
rm -f "$W/mk.go" "$W/mk.started"
next_run
setsid "$PBR" "$fm" --month 2026-10 --metrics-file "$MK" >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
wait_file "$W/mk.started"
started=$(sql "SELECT round(extract(epoch FROM started_at), 3) FROM pb.job_run WHERE id = $R")
check "while a run runs, its metrics file says it runs, since its start, and nothing of an end" \
	"0|pb_job_last_success_timestamp_seconds{job=\"metrics-killed\"} TS pb_job_last_run_start_timestamp_seconds{job=\"metrics-killed\"} TS pb_job_running{job=\"metrics-killed\"} 1|$started" \
	"$st|$(job_gauges)|$(sed -n 's/^pb_job_last_run_start_timestamp_seconds{job="metrics-killed"} //p' "$MK")"
{
	kill -KILL -- "-$BG"
	wait "$BG"
} 2>/dev/null
pb_until 60 pb_sql_is 0 "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
pbr --history --job metrics-killed --limit 1
check "a run killed outright: the metrics file goes on saying it runs, since its start, as --history shows it" \
	"pb_job_last_success_timestamp_seconds{job=\"metrics-killed\"} TS pb_job_last_run_start_timestamp_seconds{job=\"metrics-killed\"} TS pb_job_running{job=\"metrics-killed\"} 1|$started|$R running" \
	"$(job_gauges)|$(sed -n 's/^pb_job_last_run_start_timestamp_seconds{job="metrics-killed"} //p' "$MK")|$(awk 'NR == 2 { print $1, $5 }' "$TMP/out")"
touch "$W/mk.go"
next_run
pbr "$fm" --month 2026-10 --metrics-file "$MK"
check "the next run marks the killed one failed and its file says its own end" \
	"0|failed|pb_job_last_success_timestamp_seconds{job=\"metrics-killed\"} TS pb_job_last_run_start_timestamp_seconds{job=\"metrics-killed\"} TS pb_job_last_run_timestamp_seconds{job=\"metrics-killed\"} TS pb_job_last_run_exit_status{job=\"metrics-killed\"} 0 pb_job_running{job=\"metrics-killed\"} 0 pb_job_step_duration_seconds{job=\"metrics-killed\",step=\"wait\"} D|$(sql "SELECT round(extract(epoch FROM started_at), 3) FROM pb.job_run WHERE id = $R")" \
	"$st|$(sql "SELECT status FROM pb.job_run WHERE id = $((R - 1))")|$(job_gauges | sed -E 's/(_duration_seconds\{.*\}) [0-9]+\.[0-9]{3}$/\1 D/')|$(sed -n 's/^pb_job_last_run_start_timestamp_seconds{job="metrics-killed"} //p' "$MK")"

# Two runs of one job at once: one refused because the month is held (exit 4), and one of another month that
# ended first, wrote pb_job_running 0 while the first ran on, so that a kill of it then left a file saying that
# nothing ran. A run of the job that runs (recorded running, its month's lock held) keeps it 1.
ft2=$(job metrics-two <<'EOF'
name: metrics-two
steps:
  - {name: wait, run: [/bin/sh, -c, 'echo started > "$$W/m2-${month}.started"; while [ ! -e "$$W/m2-${month}.go" ]; do sleep 0.05; done']}
EOF
)
M2=$W/metrics/two.prom
# two_gauges: the exit status and whether the job runs, of the metrics file of job metrics-two.
two_gauges() { grep -e '^pb_job_last_run_exit_status' -e '^pb_job_running' "$M2" | paste -sd' '; }
next_run
setsid "$PBR" "$ft2" --month 2026-10 --metrics-file "$M2" >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
wait_file "$W/m2-2026-10.started"
pbr "$ft2" --month 2026-10 --metrics-file "$M2"
check "a second run of the job, refused while the first runs (exit 4): its metrics file says the job runs" \
	"4|pb_job_last_run_exit_status{job=\"metrics-two\"} 4 pb_job_running{job=\"metrics-two\"} 1" "$st|$(two_gauges)"
touch "$W/m2-2026-11.go"
pbr "$ft2" --month 2026-11 --metrics-file "$M2"
check "a run of the job for another month, ended while the first runs: its metrics file says the job runs" \
	"0|pb_job_last_run_exit_status{job=\"metrics-two\"} 0 pb_job_running{job=\"metrics-two\"} 1" "$st|$(two_gauges)"
{
	kill -KILL -- "-$BG"
	wait "$BG"
} 2>/dev/null
pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted" ||
	notok "the killed run's lock is let go (120 s)"
touch "$W/m2-2026-10.go"
pbr "$ft2" --month 2026-11 --metrics-file "$M2"
check "once the first run is killed, the next run of another month says the job does not run" \
	"0|pb_job_last_run_exit_status{job=\"metrics-two\"} 0 pb_job_running{job=\"metrics-two\"} 0" "$st|$(two_gauges)"

# The metrics file written as a run begins reads the month's current aggregate: with pb.aggregate_bucket locked by
# another session (a VACUUM FULL, a long DDL), that read waited until the database deadline cut pb-run's
# connection, and the run failed before its first step ("the connection to the database ended before step 'one'
# began"), where a run without --metrics-file ran. The read as the run begins waits for no lock for long: the
# steps run, and only the file after the run, which waits as every call does, is said to fail.
fl2=$(job metrics-locked <<'EOF'
name: metrics-locked
steps:
  - {name: one, run: [/bin/echo, one]}
  - {name: two, run: [/bin/echo, two]}
EOF
)
"$BIN/pb-db" psql -X -q -c "BEGIN" -c "LOCK TABLE pb.aggregate_bucket IN ACCESS EXCLUSIVE MODE" \
	-c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
HOLDER=$!
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'" ||
	notok "a session holds pb.aggregate_bucket (120 s)"
next_run
PB_RUN_DB_TIMEOUT=5 pbr "$fl2" --month 2026-10 --metrics-file "$W/metrics/locked.prom"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'" >/dev/null
wait $HOLDER 2>/dev/null
check "pb.aggregate_bucket locked by another session: the steps run; the file after the run is said to fail, exit 3" \
	"3|one
two|succeeded|one:succeeded,two:succeeded|pb-run: metrics: the database server (T) did not answer in 5 s: it is stopped, hangs or is out of reach (PB_RUN_DB_TIMEOUT sets the wait)" \
	"$st|$(cat "$TMP/out")|$(sql "SELECT status FROM pb.job_run WHERE id = $R")|$(sql "SELECT string_agg(name || ':' || status, ',' ORDER BY seq) FROM pb.job_step WHERE run_id = $R")|$(grep 'metrics:' "$TMP/err" | sed -E 's/server \([^)]*\)/server (T)/')"

# Today, for a job's current month and as_of today, is the database server's (the day its steps' programs take): with
# the machine's clock 45 days ahead (faketime; ASan runs with it preloaded first), the run is of the server's month,
# as of its today. (--dry-run, which does not touch the database, takes the machine's.)
ft=$(job server-today <<'EOF'
name: server-today
steps:
  - {name: show, run: [/bin/echo, "${month}", "${as_of}"]}
EOF
)
ST=$(sql "SELECT (now() AT TIME ZONE 'UTC')::date")
next_run
"${LIMIT[@]}" env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime -f +45d "$PBR" "$ft" \
	>"$TMP/out" 2>"$TMP/err"
check "the machine's clock 45 days ahead: the run is of the server's month, as of the server's today" \
	"0|${ST%-*} $ST|${ST%-*}-01|$ST" "$?|$(cat "$TMP/out")|$(sql "SELECT month, as_of FROM pb.job_run WHERE id = $R")"

# ---- the database -------------------------------------------------------------------------------------------

PB_DATABASE_URL="host=$TMP/nowhere dbname=x" "${LIMIT[@]}" "$PBR" "$FIX/example.yaml" >"$TMP/out" 2>"$TMP/err"
if [ $? -eq 3 ] && grep -q '^pb-run: cannot connect to the database: ' "$TMP/err"; then
	ok "no database: exit 3"
else
	notok "no database: exit 3" "$(cat "$TMP/err")"
fi
# A database server that hangs (here pb-run's own server processes stopped, as a frozen server or a peer that
# never answers would be): pb-run waited for ever to record the step's end; now PB_RUN_DB_TIMEOUT.
fh=$(job db-hang <<'EOF'
name: db-hang
steps:
  - {name: wait, run: [/bin/sh, -c, 'echo $$$$ > "$$W/db-hang.started"; while [ ! -e "$$W/db-hang.go" ]; do sleep 0.05; done']}
EOF
)
next_run
PB_RUN_DB_TIMEOUT=1 timeout -k 5 30 "$PBR" "$fh" --month 2026-10 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
wait_file "$W/db-hang.started"
hung=$(sql "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE application_name = 'pb-run'")
# shellcheck disable=SC2086
kill -STOP $hung
touch "$W/db-hang.go"
wait "$BG"
st=$?
# shellcheck disable=SC2086
kill -CONT $hung
# (The step's end, sent before the server stopped, may still be written once it runs again.)
check "a database server that does not answer: exit 3 after PB_RUN_DB_TIMEOUT, naming the server, the run recorded failed" \
	"3|pb-run: run $R failed: the database server (host '$(realpath "$PB_VAR_DIR")/pg/run', port 5432, database 'partnerbill') did not answer in 1 s: it is stopped, hangs or is out of reach (PB_RUN_DB_TIMEOUT sets the wait)|failed" \
	"$st|$(tail -n 1 "$TMP/bg.err")|$(sql "SELECT status FROM pb.job_run WHERE id = $R")"
# SIGTERM while pb-run waits on that server: it was acted on only once PB_RUN_DB_TIMEOUT had passed (up to
# twice), and the run ended with exit 3. It now interrupts the wait at once: exit 143, the run interrupted.
# (PB_RUN_DB_TIMEOUT is 5 minutes, so that "at once" may be a minute on a loaded machine and still tell the two
# apart: 10 s beside a minute was not always enough for a sanitized pb-run.) It is signalled once its step has
# ended, when it records the step's end on the stopped server, not a fixed 0.5 s after the step was told to end.
rm -f "$W/db-hang.started" "$W/db-hang.go"
next_run
PB_RUN_DB_TIMEOUT=300 timeout -k 5 700 "$PBR" "$fh" --month 2026-11 >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
wait_file "$W/db-hang.started"
hung=$(sql "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE application_name = 'pb-run'")
# shellcheck disable=SC2086
kill -STOP $hung
touch "$W/db-hang.go"
pb_until 120 gone "$(cat "$W/db-hang.started")" || notok "the step ends once told to"
t0=$(date +%s%N)
kill -TERM "$BG"
wait "$BG"
st=$?
t1=$(date +%s%N)
# shellcheck disable=SC2086
kill -CONT $hung
check "SIGTERM while the database server does not answer: exit 143 within 60 s (not PB_RUN_DB_TIMEOUT's 300), the run recorded interrupted" \
	"143|yes|interrupted|143" \
	"$st|$([ $(((t1 - t0) / 1000000)) -lt 60000 ] && echo yes || echo "no: $(((t1 - t0) / 1000000)) ms")|$(sql "SELECT status, exit_status FROM pb.job_run WHERE id = $R")"
PB_RUN_DB_TIMEOUT=0 "$PBR" "$fh" --dry-run >"$TMP/out" 2>"$TMP/err"
check "PB_RUN_DB_TIMEOUT out of range: exit 2" "2|pb-run: PB_RUN_DB_TIMEOUT takes a count of seconds from 1 to 3600, not '0'" "$?|$(cat "$TMP/err")"
# Migrations are numbered as work starts, so they may land out of order (007_jobs.sql before 004-006): a
# missing one below the highest applied is refused, and pb-db migrate applies it.
sql "DELETE FROM pb.schema_migrations WHERE version = 3" >/dev/null
pbr "$FIX/example.yaml"
check "a migration missing below the highest applied: exit 3" \
	"3|pb-run: the database schema lacks migration 003_accounts.sql: run 'pb-db migrate'" "$st|$(cat "$TMP/err")"
sql "INSERT INTO pb.schema_migrations (version, name) VALUES (3, '003_accounts.sql')" >/dev/null
NV=$(sql "SELECT max(version) FROM pb.schema_migrations")
NN=$(sql "SELECT name FROM pb.schema_migrations WHERE version = $NV")
sql "DELETE FROM pb.schema_migrations WHERE version = $NV" >/dev/null
pbr "$FIX/example.yaml"
check "an old schema: exit 3" "3|pb-run: the database schema is at version $(sql "SELECT max(version) FROM pb.schema_migrations"); this program needs $NV: run 'pb-db migrate'" \
	"$st|$(cat "$TMP/err")"
sql "INSERT INTO pb.schema_migrations (version, name) VALUES ($NV, '$NN')" >/dev/null
sql "DELETE FROM pb.schema_migrations WHERE name = '007_jobs.sql'; DROP TABLE pb.job_step, pb.job_run" >/dev/null
check "pb-db migrate applies a migration numbered below the highest applied" "applied 007_jobs.sql
schema at version $NV|0" "$("$BIN/pb-db" migrate 2>&1)|$(sql "SELECT count(*) FROM pb.job_run")"

# The local cluster stopped while a job ran (here by its own step, last in this suite: cleanup stops it anyway):
# the run ended saying only "database: server closed the connection unexpectedly This probably means the
# server terminated abnormally...". It now names the step and what came of the job, after the line that says
# how to start the cluster (the run's end cannot be recorded).
fs=$(job db-stopped <<'EOF'
name: db-stopped
steps:
  - {name: stop, run: [pb-db, stop]}
  - {name: next, run: [/bin/sh, -c, 'echo next']}
EOF
)
next_run
pbr "$fs" --month 2026-10
check "the local cluster stopped by a step: exit 3, the step named, the next not run, how to start the cluster said" \
	"3|local cluster in $PB_VAR_DIR/pg is stopped|1|pb-run: run $R failed: the connection to the database ended while step 'stop' ran: its end is not recorded, and the job's next steps are not run (run the job again once the database is back)" \
	"$st|$(cat "$TMP/out")|$(tail -n 2 "$TMP/err" | head -n 1 | grep -c "^pb-run: cannot connect to the database: .* start it with 'pb-db start')$")|$(tail -n 1 "$TMP/err")"

cleanup
trap - EXIT
pb_tests_done
