#!/bin/sh
# golden.sh - tcpdump-style golden tests: run each TESTLIST line, diff with tests/golden/NAME.out.
# Fails on a difference, on anything written to stderr, or on a non-zero exit.
set -u
cd "$(dirname "$0")/.." || exit 1
bin=${FETCHTRACE:-build/san/fetchtrace}
export TZ=UTC LC_ALL=C COLUMNS=120
p=0 f=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
while read -r name cap opts; do
	case $name in ''|'#'*) continue ;; esac
	exp=tests/golden/$name.out
	# A first option NAME=VALUE is the environment (FETCHTRACE_KEYLOG=captures/K.keys).
	case $opts in [A-Z]*=*) envw=${opts%% *}; opts=${opts#"$envw"} ;; *) envw= ;; esac
	# shellcheck disable=SC2086 # options are words on purpose
	env $envw "$bin" -r "captures/$cap" $opts >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ ! -f "$exp" ]; then
		echo "FAIL $name: no $exp (make regen NAME=$name)"; f=$((f + 1)); continue
	fi
	if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
		echo "FAIL $name: exit $rc"; sed 's/^/  stderr: /' "$tmp/err" | head -n 20; f=$((f + 1)); continue
	fi
	if ! diff -u "$exp" "$tmp/out" >"$tmp/diff"; then
		echo "FAIL $name: output differs"; head -n 40 "$tmp/diff"; f=$((f + 1)); continue
	fi
	echo "ok $name"; p=$((p + 1))
done < tests/TESTLIST
echo "golden: $p passed, $f failed"
[ $f -eq 0 ]
