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
done

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

pb_tests_done
