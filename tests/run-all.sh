#!/bin/sh
# run-all.sh - run every test suite (or the one named) and print one closing line.
#   sh tests/run-all.sh [unit|golden|readme|public|badinput|pcapng|har|steps|live]
#   sh tests/run-all.sh [unit|golden|readme|public|badinput|pcapng|annotate|har|live|calls]
set -u
cd "$(dirname "$0")/.." || exit 1
only=${1:-}
export TZ=UTC LC_ALL=C
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=98}
passed=0 failed=0 skipped=0

suite() { # suite NAME COMMAND...: the command prints "N passed, N failed[, N skipped]"
	name=$1; shift
	[ -n "$only" ] && [ "$only" != "$name" ] && return 0
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -v '^ok ' 
	line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed')
	# add up every "N passed, N failed[, N skipped]" line the suite printed
	p=$(printf '%s\n' "$line" | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^passed,?$/) n += $(i - 1) } END { print n + 0 }')
	f=$(printf '%s\n' "$line" | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^failed,?$/) n += $(i - 1) } END { print n + 0 }')
	s=$(printf '%s\n' "$line" | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^skipped,?$/) n += $(i - 1) } END { print n + 0 }')
	[ -z "$p" ] && p=0
	[ -z "$f" ] && f=0
	[ -z "$s" ] && s=0
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "$name: exited with status $rc"; f=1
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

unit_all() { # each binary prints its own count line; a crash fails the suite
	rc=0
	for t in build/san/test_* build/tsan/test_*; do
		[ -x "$t" ] || continue
		"$t" || { echo "FAIL unit $(basename "$t") (exit $?)"; rc=1; }
	done
	return $rc
}

suite unit unit_all
suite golden sh tests/golden.sh
suite readme sh tests/readme.sh
suite exercises sh tests/lab/exercises.sh
suite public sh tests/public.sh
suite oracle sh tests/oracle.sh
suite cli sh tests/cli.sh
suite badinput sh tests/badinput.sh
suite pcapng sh tests/pcapng.sh
suite annotate sh tests/annotate.sh
suite lab sh tests/lab/test.sh
suite mutate sh tests/mutate.sh
suite privs sh tests/privs.sh
suite cmd sh tests/cmd.sh
suite merge sh tests/merge.sh
suite json sh tests/json/test.sh
suite steps sh tests/bench/steps.sh
suite har sh tests/har/test.sh
suite focus sh tests/focus/test.sh
suite explain sh tests/explain/test.sh
suite live sh tests/live.sh
suite calls sh tests/calls.sh
suite livedrop sh tests/livedrop.sh
suite dsblive sh tests/dsblive.sh

echo "all: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
