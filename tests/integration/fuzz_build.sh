#!/usr/bin/env bash
# Every fuzz target of fuzz/run.sh builds from today's sources and replays its seeds (fuzz/corpus, and what
# var/fuzz kept) without a finding. A change to a source a target links (a function it calls moved to a file
# the target does not link) broke one target's build, and nothing but a run of fuzz/run.sh would have said so.
# No database.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

out=$(cd "$ROOT" && FUZZ_RUNS=1 bash fuzz/run.sh 2>&1)
st=$?
targets=$(find "$ROOT/fuzz" -maxdepth 1 -name 'fuzz_*.c' | wc -l)
check "fuzz/run.sh: every target builds and replays its seeds without a finding" \
	"0|$targets|" "$st|$(grep -c ', no crash$' <<<"$out")|$(grep -E 'build failed|FINDING' <<<"$out")"

# CC is a command with its words, as make takes it ("ccache clang"): the sources' compiles took it for one word and
# failed each with "ccache clang: command not found", while the link split it.
out=$(cd "$ROOT" && FUZZ_RUNS=1 CC="env clang" bash fuzz/run.sh money 2>&1)
st=$?
check "fuzz/run.sh: CC of two words (env clang) compiles and links the target" \
	"0|fuzz_money: N executions, no crash" "$st|$(sed "s/: [0-9]* executions/: N executions/" <<<"$out")"

# A target named twice was compiled twice at once into the same temporary object (one could rename the other's
# half-written file) and run twice; it is built and run once.
out=$(cd "$ROOT" && FUZZ_RUNS=1 bash fuzz/run.sh money money 2>&1)
st=$?
check "fuzz/run.sh money money: the target is compiled once and run once" \
	"0|1|fuzz_money: N executions, no crash" \
	"$st|$(grep -c "fuzz/fuzz_money.c " "$ROOT/build/fuzz/obj/jobs")|$(sed "s/: [0-9]* executions/: N executions/" <<<"$out")"

pb_tests_done
