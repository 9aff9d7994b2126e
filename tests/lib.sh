# shellcheck shell=bash
# tests/lib.sh: what the test scripts share. Source it after setting ROOT (the work tree's top):
#   BIN          the programs' folder: $PB_BIN (relative to the caller's folder) or $ROOT/bin
#   ok NAME, notok NAME [DETAIL], check NAME WANT GOT   count results into passed and failed
#   pb_tests_done   prints "N passed, N failed" and returns non-zero if any failed

if [ -n "${PB_BIN:-}" ]; then
	case $PB_BIN in /*) BIN=$PB_BIN ;; *) BIN=$PWD/$PB_BIN ;; esac
else
	BIN=$ROOT/bin
fi
passed=0
failed=0
ok() {
	echo "ok - $1"
	passed=$((passed + 1))
}
notok() {
	echo "not ok - $1"
	failed=$((failed + 1))
	[ -n "${2:-}" ] && sed 's/^/#   /' <<<"$2" | head -20
	return 0
}
# check NAME WANT GOT: exact comparison, with a diff when they differ.
check() {
	if [ "$2" == "$3" ]; then ok "$1"; else notok "$1" "$(diff <(echo "$2") <(echo "$3"))"; fi
}
pb_tests_done() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
