#!/usr/bin/env bash
# Builds and runs the libFuzzer targets: fuzz/fuzz_<target>.c against the common/ sources it needs.
#
# Usage: fuzz/run.sh [target...]        (default: csv csv_paths jsonl money tags job conf ingest_csv ingest_pc manifest listprice pricelist api_request accounts_import)
#
# Each target keeps its corpus in var/fuzz/<target>/corpus (seeded from fuzz/corpus/<target>/) and its
# findings in var/fuzz/<target>/artifacts; fuzz/<target>.dict, when there is one, is its dictionary. Prints the executions of each target and whether it found
# anything; exits non-zero if any did (a crash, a sanitizer report, or an undefined behaviour report).
#
# Environment: FUZZ_RUNS (default 1000000) executions per target; FUZZ_ARGS more libFuzzer options
# (e.g. "-max_total_time=600"); FUZZ_CFLAGS more compiler options (e.g. "-fsanitize-recover=undefined"
# to go on past undefined behaviour, which is still reported as a finding); CC (default clang).
#
# Each source the targets link is compiled once a run (into build/fuzz/obj, anew every run), nproc at a time,
# then each target is linked from its objects: common/ is linked by most targets, and compiling it again for
# each took most of the run. A source that does not compile fails every target that links it.

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

CC=${CC:-clang}
case $CC in
cc | gcc | */gcc) CC=clang ;;
esac
RUNS=${FUZZ_RUNS:-1000000}
CFLAGS_COMMON=(-g -O1 -fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -Icommon
	-Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Werror)
# The targets' own files are compiled as they were (-fsanitize=fuzzer); the sources they link get the same
# instrumentation without libFuzzer's main (fuzzer-no-link), which the link adds.
CFLAGS_TARGET=("-fsanitize=fuzzer,address,undefined" "${CFLAGS_COMMON[@]}")
# What some targets' sources need (the version common/opts.c prints, libpq's headers) is given to every source,
# so that each is compiled once for all the targets that link it.
CFLAGS_SOURCE=("-fsanitize=fuzzer-no-link,address,undefined" "${CFLAGS_COMMON[@]}"
	-DPB_VERSION=\"fuzz\" -Wno-format-nonliteral -I/usr/include/postgresql)
LDFLAGS_FUZZ=(-g -O1 "-fsanitize=fuzzer,address,undefined" -fno-sanitize-recover=all)

LIBS="-ljansson -lyajl -lyaml -lpcre2-8 -lcurl -lpq -lssl -lcrypto -lzip -lz -lpthread"

sources() {
	case $1 in
	csv | csv_paths) echo common/csv.c common/buf.c common/text.c ;;
	money) echo common/money.c ;;
	jsonl) echo common/jsonl.c common/buf.c common/text.c -lyajl ;;
	tags) echo -Iingest ingest/tags.c common/buf.c common/text.c ;;
	job) echo -Irunner runner/job.c runner/param.c common/date.c common/buf.c common/text.c -lyaml ;;
	# The configs are read by pb_conf_read, which downloads too; the rules quote names as accounts/account.c
	# does, which links the database's client (never connected here): common/ is linked whole.
	conf) echo -DPB_VERSION=\"fuzz\" -Wno-format-nonliteral -Iaggregate -Iaccounts -I/usr/include/postgresql \
		aggregate/pricing.c accounts/rules.c accounts/account.c common/*.c build/fuzz/migrations.c $LIBS ;;
	# pb-ingest's line normalizers and reduction: its sources but main.c, with common/ (for the database's
	# client, which the targets never connect).
	ingest_csv | ingest_pc) echo -DPB_VERSION=\"fuzz\" -Wno-format-nonliteral -Iingest -I/usr/include/postgresql \
		$(ls ingest/*.c | grep -v ingest/main.c) common/*.c build/fuzz/migrations.c $LIBS ;;
	# A billing period out of range is said as the export readers say a date (ingest/format.c).
	manifest) echo -DPB_VERSION=\"fuzz\" -Wno-format-nonliteral -Iingest -I/usr/include/postgresql ingest/manifest.c \
		ingest/format.c common/*.c build/fuzz/migrations.c $LIBS ;;
	# The lookup's statements go through common/db.c (a signal cancels them): common/ is linked whole.
	listprice) echo -DPB_VERSION=\"fuzz\" -Wno-format-nonliteral -Iingest -I/usr/include/postgresql \
		ingest/listprice.c ingest/table.c common/*.c build/fuzz/migrations.c $LIBS ;;
	# pb-prices' readers, with the load they feed (load.c) replaced by the target's checks.
	pricelist) echo -DPB_VERSION=\"fuzz\" -Wno-format-nonliteral -Iprices -I/usr/include/postgresql \
		prices/reader.c prices/csvlist.c prices/retail.c common/*.c build/fuzz/migrations.c $LIBS ;;
	# What pb-api reads of a request: its pure parts (request.c, usage.c, token.c), with libmicrohttpd for the
	# percent-decoding it does before them, and common/ for the token module's database client (never connected).
	api_request) echo -DPB_VERSION=\"fuzz\" -Wno-format-nonliteral -Iapi -I/usr/include/postgresql api/request.c \
		api/usage.c api/token.c api/json.c common/*.c build/fuzz/migrations.c $LIBS -lmicrohttpd ;;
	# pb-accounts' import files, with the database's client stood in for by the target (-Wl,--wrap): common/ is
	# linked whole, and never connects.
	accounts_import) echo -DPB_VERSION=\"fuzz\" -Wno-format-nonliteral -Iaccounts -I/usr/include/postgresql \
		accounts/import.c accounts/account.c accounts/link.c accounts/eligibility.c common/*.c \
		build/fuzz/migrations.c $LIBS \
		-Wl,--wrap=pb_db_query,--wrap=pb_db_exec,--wrap=pb_db_copy_start,--wrap=pb_db_copy_send,--wrap=pb_db_copy_end ;;
	*) return 1 ;;
	esac
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv csv_paths jsonl money tags job conf ingest_csv ingest_pc manifest listprice pricelist api_request accounts_import)

# The database's client in common/ embeds the migrations, as the Makefile does.
mkdir -p build/fuzz
sh scripts/embed_sql.sh build/fuzz/migrations.c schemas/[0-9][0-9][0-9]_*.sql || exit 1

OBJ=build/fuzz/obj
rm -rf "$OBJ"
mkdir -p "$OBJ"

# obj SOURCE: the object SOURCE is compiled into.
obj() {
	local o=${1%.c}.o
	echo "$OBJ/$o"
}

# Lines of compile commands for bash -c, one per object, each writing its diagnostics to OBJECT.log and its
# object under a temporary name renamed once whole (a missing object is a failed compile).
jobs=$OBJ/jobs
: >"$jobs"
logs=()
# compile SOURCE FLAGS...: adds SOURCE's compile with FLAGS to the jobs.
compile() {
	local src=$1 o
	shift
	o=$(obj "$src")
	mkdir -p "$(dirname "$o")"
	# CC is a command with its words ("ccache clang"), as the link below and make take it.
	# shellcheck disable=SC2086
	printf '%s %s -c -o %q %q 2>%q && mv %q %q\n' "$CC" "$(printf '%q ' "$@" ${FUZZ_CFLAGS:-})" \
		"$o.tmp" "$src" "$o.log" "$o.tmp" "$o" >>"$jobs"
	logs+=("$o.log")
}

found=0
known=()
declare -A compiled=() named=()
for t in "${targets[@]}"; do
	if ! src=$(sources "$t"); then
		echo "fuzz_$t: unknown target (known: csv csv_paths jsonl money tags job conf ingest_csv ingest_pc manifest listprice pricelist api_request accounts_import)" >&2
		found=1
		continue
	fi
	# A target named again is built and run once: its two compiles would write the same object at once.
	[ -z "${named[$t]:-}" ] || continue
	named[$t]=1
	known+=("$t")
	flags=()
	for w in $src; do
		case $w in
		-Wl,*) ;;
		-I* | -D* | -W*) flags+=("$w") ;;
		*.c)
			if [ -z "${compiled[$w]:-}" ]; then
				compiled[$w]=1
				compile "$w" "${CFLAGS_SOURCE[@]}" "-I$(dirname "$w")"
			fi
			;;
		esac
	done
	compile "fuzz/fuzz_$t.c" "${CFLAGS_TARGET[@]}" "${flags[@]}"
done

xargs -r -d '\n' -n 1 -P "$(nproc)" bash -c <"$jobs"
# Each compile's diagnostics (-Werror: only a failed one has any), whole, in the order of the jobs.
for log in "${logs[@]}"; do
	[ -s "$log" ] && cat "$log" >&2
done

for t in "${known[@]}"; do
	src=$(sources "$t")
	bin=build/fuzz/fuzz_$t
	dir=var/fuzz/$t
	mkdir -p "$dir/corpus" "$dir/artifacts"
	link=("$(obj "fuzz/fuzz_$t.c")")
	for w in $src; do
		case $w in
		-Wl,*) link+=("$w") ;;
		-I* | -D* | -W*) ;;
		*.c) link+=("$(obj "$w")") ;;
		*) link+=("$w") ;;
		esac
	done
	missing=0
	for w in "${link[@]}"; do
		case $w in
		*.o) [ -f "$w" ] || missing=1 ;;
		esac
	done
	# shellcheck disable=SC2086
	if [ "$missing" -ne 0 ] || ! $CC "${LDFLAGS_FUZZ[@]}" ${FUZZ_CFLAGS:-} -o "$bin" "${link[@]}"; then
		echo "fuzz_$t: build failed" >&2
		found=1
		continue
	fi
	if [ -d "fuzz/corpus/$t" ]; then
		cp -n fuzz/corpus/"$t"/* "$dir/corpus/" 2>/dev/null
	fi
	log=$dir/last.log
	dict=()
	[ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
	# shellcheck disable=SC2086
	"$bin" -runs="$RUNS" -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "${dict[@]}" ${FUZZ_ARGS:-} \
		"$dir/corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$execs" ] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	[ -n "$execs" ] || execs=unknown
	ub=$(grep -c 'runtime error:' "$log")
	if [ "$rc" -ne 0 ] || [ "$ub" -ne 0 ]; then
		found=1
		echo "fuzz_$t: FINDING after $execs executions (exit $rc, $ub undefined behaviour reports); see $log"
		grep -m 5 -E 'runtime error:|==ERROR|check failed|deadly signal|Test unit written' "$log" | sed 's/^/  /'
	else
		echo "fuzz_$t: $execs executions, no crash"
	fi
done
exit $found
