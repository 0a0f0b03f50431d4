#!/bin/sh
# regen.sh - regenerate golden files from TESTLIST (all, or the names given).
# Read every resulting `git diff tests/golden` as carefully as a code diff.
set -u
cd "$(dirname "$0")/.." || exit 1
bin=${FETCHTRACE:-./fetchtrace}
export TZ=UTC LC_ALL=C COLUMNS=120
while read -r name cap opts; do
	case $name in ''|'#'*) continue ;; esac
	if [ $# -gt 0 ]; then
		want=0
		for n in "$@"; do [ "$n" = "$name" ] && want=1; done
		[ $want -eq 1 ] || continue
	fi
	case $opts in [A-Z]*=*) envw=${opts%% *}; opts=${opts#"$envw"} ;; *) envw= ;; esac
	# shellcheck disable=SC2086
	env $envw "$bin" -r "captures/$cap" $opts >"tests/golden/$name.out" 2>"tests/golden/$name.err.tmp"
	if [ -s "tests/golden/$name.err.tmp" ]; then
		echo "regen $name: stderr not empty:"; cat "tests/golden/$name.err.tmp"
	fi
	rm -f "tests/golden/$name.err.tmp"
	echo "regenerated tests/golden/$name.out"
done < tests/TESTLIST
