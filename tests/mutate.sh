#!/bin/sh
# mutate.sh - hostile input under ASan + UBSan: mutated copies of every capture
# (tests/mutate.py) and generated floods that attack time and memory (tests/hostile.py).
# Skipped without python3.  Prints one "N passed, N failed[, N skipped]" line per part.
set -u
cd "$(dirname "$0")/.." || exit 1
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip mutate: python3 not found"
	echo "mutate: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
rc=0
python3 tests/mutate.py || rc=1
python3 tests/hostile.py || rc=1
exit $rc
