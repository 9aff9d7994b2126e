#!/bin/sh
# Writes a C file that holds every migration of schemas/ (NNN_name.sql), so that the programs carry the
# schema they need and apply it from anywhere. Usage: embed_sql.sh OUT.c schemas/*.sql
set -eu
out=$1
shift
# Two files with one number (two branches, each adding the next migration, merged): migrate would record the
# first under that number and take the second for applied. Refused, naming both, before anything is written.
prev_ver='' prev=''
for f in "$@"; do
	ver=$(basename "$f" | sed 's/^0*\([0-9][0-9]*\)_.*/\1/')
	if [ "$ver" = "$prev_ver" ]; then
		echo "embed_sql.sh: migrations $prev and $f have the same number $ver: renumber one of them" >&2
		exit 1
	fi
	prev_ver=$ver prev=$f
done
{
	echo '/* Generated from schemas/ by scripts/embed_sql.sh; do not edit. */'
	echo '#include "migrations.h"'
	echo
	n=0
	for f in "$@"; do
		printf 'static const char sql_%d[] = {\n' "$n"
		od -An -v -tx1 "$f" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1, /g'
		printf '0x00};\n\n'
		n=$((n + 1))
	done
	echo 'const struct pb_migration pb_migrations[] = {'
	n=0
	for f in "$@"; do
		base=$(basename "$f")
		ver=$(echo "$base" | sed 's/^0*\([0-9][0-9]*\)_.*/\1/')
		printf '\t{%s, "%s", sql_%d},\n' "$ver" "$base" "$n"
		n=$((n + 1))
	done
	echo '};'
	echo "const unsigned pb_nmigrations = $n;"
} >"$out.tmp"
mv "$out.tmp" "$out"
