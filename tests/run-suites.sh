#!/usr/bin/env bash
# Runs test suites side by side, PB_TEST_JOBS at a time (default: twice the cores; most of a suite's time is
# spent waiting on PostgreSQL and its servers, each suite with its own throwaway cluster and free ports).
#
# Arguments: SUITE or BIN:SUITE, a script run with PB_BIN=BIN (the programs under test) or without PB_BIN.
# Each suite's output is printed whole when it ends, after a line naming it, its programs, its status and its
# time; the exit status is 1 when any suite failed, and the suites that failed are listed last, each with its
# failing lines.
set -u
jobs=${PB_TEST_JOBS:-$(($(nproc) * 2))}
# The suites' scratch folders (their clusters, their servers' data, the files they make: TMPDIR) go on the
# memory file system /dev/shm when it is there, writable, executable (suites build their generators there) and
# has 6 GB free: the thousands of files each cluster and suite makes and drops cost ext4's CPU (about 6 % of a
# make check's on two cores), not tmpfs's. PB_TEST_TMPDIR=FOLDER chooses the folder instead.
base=${PB_TEST_TMPDIR:-}
if [ -z "$base" ]; then
	base=${TMPDIR:-/tmp}
	if [ -d /dev/shm ] && [ -w /dev/shm ] && awk '$2 == "/dev/shm" && $4 ~ /(^|,)noexec(,|$)/ { f = 1 } END { exit f }' /proc/mounts 2>/dev/null &&
		[ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -ge 6291456 ] 2>/dev/null; then
		base=/dev/shm
	fi
fi
dir=$(mktemp -d "$base/pb-suites.XXXXXX") || exit 1
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
# Reachable by the postgres user when run as root, as pb_test_tmp's folders are.
mkdir "$dir/tmp" && chmod 755 "$dir" "$dir/tmp" && export TMPDIR=$dir/tmp

# python3 resolved once: a version manager's shim (pyenv's is a chain of scripts, 0.25 s a call) would
# otherwise resolve it again at each of the suites' calls. And run without the site module (-S): the tests'
# Python needs only the standard library, and site runs every .pth file of the site-packages at each start
# (one that imports a package added 30 ms of CPU to each start), for the hundreds of servers and one-line
# scripts a suite starts.
if py=$(python3 -S -c 'import sys; print(sys.executable)' 2>/dev/null) && [ -x "$py" ] && [ "$py" = "${py//\'/}" ]; then
	mkdir "$dir/path" && printf '#!/bin/sh\nexec '\''%s'\'' -S "$@"\n' "$py" >"$dir/path/python3" &&
		chmod 755 "$dir/path/python3" && export PATH="$dir/path:$PATH"
fi

specs=("$@")

# The longest first, so that none starts last and runs alone: tests/suite-times has each suite's seconds in a
# make check (SECONDS SPEC, as its "==" lines give them; PB_TEST_TIMES=FILE writes a run's); a suite it
# lacks counts as the longest. The output comes in the same order.
times_file=${PB_TEST_TIMES_FROM:-$(dirname "${BASH_SOURCE[0]}")/suite-times}
if [ -r "$times_file" ] && [ ${#specs[@]} -gt 1 ]; then
	mapfile -t specs < <(
		i=0
		for spec in "${specs[@]}"; do
			t=$(awk -v s="$spec" '$2 == s { print $1; exit }' "$times_file")
			printf '%s\t%s\t%s\n' "${t:-999999}" "$i" "$spec"
			i=$((i + 1))
		done | sort -t$'\t' -k1,1nr -k2,2n | cut -f3-
	)
fi

# A cluster made once for each folder of programs, initialized and migrated by that folder's pb-db (the
# sanitized one too), which each suite's pb_test_cluster_start copies instead of running initdb and every
# migration again (a second of CPU a suite); tests/integration/db.sh still makes its own from nothing.
declare -A template=()
for spec in "${specs[@]}"; do
	[ "$spec" != "${spec#*:}" ] || continue
	bin=${spec%%:*}
	[ -n "${template[$bin]:-}" ] && continue
	var="$dir/template.${#template[@]}/var"
	template[$bin]=none
	# Reachable by the postgres user when run as root, as pb_test_tmp's folders are.
	if ! mkdir -p "${var%/var}" || ! chmod 755 "$dir" "${var%/var}"; then continue; fi
	if (PB_VAR_DIR=$var && export PB_VAR_DIR && unset PB_DATABASE_URL PGHOST PGHOSTADDR PGDATABASE PGSERVICE PGUSER PGPORT &&
		"$bin/pb-db" init && printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' \
		>>"$var/pg/data/postgresql.auto.conf" && "$bin/pb-db" start && "$bin/pb-db" migrate && "$bin/pb-db" stop) \
		>"$dir/template.log" 2>&1; then
		template[$bin]=$var
	else
		printf '== no template cluster for %s (each suite makes its own):\n' "$bin"
		cat "$dir/template.log"
		(PB_VAR_DIR=$var "$bin/pb-db" stop >/dev/null 2>&1)
	fi
done
printed=()
failed=()

# flush: prints every suite that has ended and is not printed yet.
flush() {
	local i spec rc
	for i in "${!specs[@]}"; do
		[ -n "${printed[$i]:-}" ] && continue
		[ -f "$dir/$i.rc" ] || continue
		spec=${specs[$i]}
		rc=$(cat "$dir/$i.rc")
		printf '== %s (%s, exit %s, %s s, CPU %s)\n' "${spec#*:}" \
			"$([ "$spec" != "${spec#*:}" ] && echo "${spec%%:*}" || echo "no programs")" "$rc" "$(cat "$dir/$i.time")" \
			"$(awk 'NR == 2 { sub(/ /, " user + "); print $0 " sys" }' "$dir/$i.cpu")"
		cat "$dir/$i.out"
		[ "$rc" = 0 ] || failed+=("$i")
		printed[$i]=1
	done
}

start=$SECONDS
running=0
for i in "${!specs[@]}"; do
	while [ "$running" -ge "$jobs" ]; do
		wait -n
		running=$((running - 1))
		flush
	done
	spec=${specs[$i]}
	(
		t0=$SECONDS
		if [ "$spec" != "${spec#*:}" ]; then
			PB_TEST_TEMPLATE=${template[${spec%%:*}]} PB_BIN=${spec%%:*} bash "${spec#*:}" >"$dir/$i.out" 2>&1 </dev/null
		else
			bash "$spec" >"$dir/$i.out" 2>&1 </dev/null
		fi
		rc=$?
		echo $((SECONDS - t0)) >"$dir/$i.time"
		# The CPU of the suite's processes that ended (not the servers that detach, PostgreSQL's among them).
		times >"$dir/$i.cpu"
		echo "$rc" >"$dir/$i.rc.tmp" && mv "$dir/$i.rc.tmp" "$dir/$i.rc"
	) &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n
	running=$((running - 1))
	flush
done
wait
flush
printf '== %d suites, %d at a time, in %d s\n' "${#specs[@]}" "$jobs" $((SECONDS - start))
if [ -n "${PB_TEST_TIMES:-}" ]; then
	for i in "${!specs[@]}"; do printf '%s %s\n' "$(cat "$dir/$i.time")" "${specs[$i]}"; done | sort -k1,1nr >"$PB_TEST_TIMES"
fi
# The suites that failed, each with what made it fail, once more at the end: a CI log keeps only its tail.
# That is its "not ok" lines with the diagnostics under them, or its last lines when it ended without one
# (a script that stopped on an error of its own).
if [ ${#failed[@]} -gt 0 ]; then
	for i in "${failed[@]}"; do
		printf '== failed: %s\n' "${specs[$i]}"
		if grep -q '^not ok' "$dir/$i.out"; then
			awk '/^not ok/ { on = 1; n = 0; print; next } on && /^#/ && n < 20 { n++; print; next } { on = 0 }' \
				"$dir/$i.out" | head -n 60
		else
			tail -n 5 "$dir/$i.out"
		fi
	done
	exit 1
fi
