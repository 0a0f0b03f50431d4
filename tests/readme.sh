#!/bin/sh
# readme.sh - the output samples in README.md are golden outputs, so they cannot drift: a
# code block right after a line "<!-- golden: NAME -->" must start with "$ [VAR=V] fetchtrace
# ARGS", ARGS being TESTLIST's line NAME (-r captures/CAPTURE and its options, in any order),
# and the rest of the block must equal tests/golden/NAME.out.  (golden.sh checks that file
# against the program.)  After `sh tests/regen.sh NAME`, `sh tests/readme.sh --update` copies
# the golden outputs into README.md's marked samples (read the diff).
set -u
cd "$(dirname "$0")/.." || exit 1
p=0 f=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ "${1:-}" = --update ]; then
	# keep each marked block's "$ " line, replace the rest with the golden output
	awk '
		/^<!-- golden: [A-Za-z0-9_.-]+ -->$/ { name = $3; want = 1; print; next }
		want && /^```/ { want = 0; inblock = 1; first = 1; print; next }
		inblock && /^```/ { inblock = 0
			file = "tests/golden/" name ".out"
			while ((getline l < file) > 0) print l
			close(file); print; next }
		inblock && first { first = 0; print; next }
		inblock { next }
		{ print }
	' README.md >"$tmp/README.md" && cat "$tmp/README.md" >README.md
	echo "README.md samples copied from tests/golden"
	exit 0
fi

# Split README.md: for each marked block, $tmp/N.name, $tmp/N.cmd (the "$ " line), $tmp/N.out
awk -v dir="$tmp" '
	/^<!-- golden: [A-Za-z0-9_.-]+ -->$/ { name = $3; want = 1; next }
	want && /^```/ { n++; inblock = 1; want = 0; first = 1
		print name > (dir "/" n ".name"); printf "" > (dir "/" n ".out"); next }
	want && !/^[[:space:]]*$/ { print "marker for " name " not followed by a code block" > "/dev/stderr"; exit 1 }
	inblock && /^```/ { inblock = 0; next }
	inblock && first { first = 0; print > (dir "/" n ".cmd"); next }
	inblock { print > (dir "/" n ".out") }
	END { print n + 0 > (dir "/count") }
' README.md || { echo "FAIL readme: bad golden marker"; echo "readme: 0 passed, 1 failed"; exit 1; }

n=$(cat "$tmp/count")
[ "$n" -ge 2 ] || { echo "FAIL readme: $n golden samples marked, expected at least 2"; f=$((f + 1)); }
i=1
while [ "$i" -le "$n" ]; do
	name=$(cat "$tmp/$i.name")
	line=$(awk -v n="$name" '$1 == n { $1 = ""; print; exit }' tests/TESTLIST)
	if [ -z "$line" ]; then
		echo "FAIL readme $name: not in tests/TESTLIST"; f=$((f + 1)); i=$((i + 1)); continue
	fi
	# shellcheck disable=SC2086 # words on purpose
	set -- $line
	cap=$1; shift
	want=$(printf '%s\n' -r "captures/$cap" "$@" | sort | tr '\n' ' ')
	# the sample's command: "$ ", environment assignments, "fetchtrace", then its arguments
	got=$(sed -e 's/^\$ //' "$tmp/$i.cmd" | tr ' ' '\n' | grep -v -E '^[A-Z_]+=' |
		awk 'NR == 1 && $0 != "fetchtrace" { print "?" $0 } NR > 1' | sort | tr '\n' ' ')
	if [ "$got" != "$want" ]; then
		echo "FAIL readme $name: the sample's command '$(cat "$tmp/$i.cmd")' is not TESTLIST's -r captures/$cap $*"
		f=$((f + 1))
	elif ! diff -u "tests/golden/$name.out" "$tmp/$i.out" >"$tmp/diff"; then
		echo "FAIL readme $name: the README sample differs from tests/golden/$name.out"
		head -n 30 "$tmp/diff"; f=$((f + 1))
	else
		echo "ok readme $name"; p=$((p + 1))
	fi
	i=$((i + 1))
done
echo "readme: $p passed, $f failed"
[ $f -eq 0 ]
