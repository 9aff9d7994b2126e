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

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

CC=${CC:-clang}
case $CC in
cc | gcc | */gcc) CC=clang ;;
esac
RUNS=${FUZZ_RUNS:-1000000}
CFLAGS_FUZZ="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -Icommon"
CFLAGS_FUZZ+=" -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Werror"

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
	manifest) echo -DPB_VERSION=\"fuzz\" -Wno-format-nonliteral -Iingest -I/usr/include/postgresql ingest/manifest.c \
		common/*.c build/fuzz/migrations.c $LIBS ;;
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

found=0
for t in "${targets[@]}"; do
	if ! src=$(sources "$t"); then
		echo "fuzz_$t: unknown target (known: csv csv_paths jsonl money tags job conf ingest_csv ingest_pc manifest listprice pricelist api_request accounts_import)" >&2
		found=1
		continue
	fi
	bin=build/fuzz/fuzz_$t
	dir=var/fuzz/$t
	mkdir -p build/fuzz "$dir/corpus" "$dir/artifacts"
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS_FUZZ ${FUZZ_CFLAGS:-} -o "$bin" "fuzz/fuzz_$t.c" $src; then
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
