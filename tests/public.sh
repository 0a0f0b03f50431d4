#!/bin/sh
# public.sh - decode the captures other projects published (../shared/captures-public):
# every printed packet carries one of the five steps, none is marked malformed or cut,
# the steps and texts listed in tests/public.list appear.  Skipped where the folder is absent.
set -u
cd "$(dirname "$0")/.." || exit 1
bin=${FETCHTRACE:-build/san/fetchtrace}
dir=${PUBLIC_CAPTURES:-../shared/captures-public}
export TZ=UTC LC_ALL=C
p=0 f=0 s=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
while IFS= read -r line; do
	case $line in ''|'#'*) continue ;; esac
	cap=$(printf '%s' "$line" | awk '{print $1}')
	steps=$(printf '%s' "$line" | awk '{print $2}')
	texts=$(printf '%s' "$line" | sed 's/^[^ ]* *[^ ]* *//')
	if [ ! -f "$dir/$cap" ]; then
		echo "skip public $cap: $dir/$cap not present"; s=$((s + 1)); continue
	fi
	"$bin" -r "$dir/$cap" >"$tmp/out" 2>"$tmp/err"; rc=$?
	bad=""
	[ $rc -eq 0 ] || bad="exit $rc"
	[ -s "$tmp/err" ] && bad="$bad; stderr: $(head -c 300 "$tmp/err")"
	grep -n -E '\(malformed|\[\|' "$tmp/out" >"$tmp/bad" && bad="$bad; damaged-packet mark on a good capture: $(head -n 2 "$tmp/bad")"
	# packet lines start with a time stamp; their second field is the step
	awk '/^ *[0-9]+\.[0-9]+ / { if ($2 !~ /^(resolve|connect|write|read|close)$/) print }' "$tmp/out" >"$tmp/unl"
	[ -s "$tmp/unl" ] && bad="$bad; packet without a step: $(head -n 1 "$tmp/unl")"
	for st in $(printf '%s' "$steps" | tr ',' ' '); do
		awk -v st="$st" '/^ *[0-9]+\.[0-9]+ / && $2 == st { found = 1 } END { exit !found }' "$tmp/out" ||
			bad="$bad; step $st missing"
	done
	old_ifs=$IFS; IFS='|'
	for t in $texts; do
		grep -F -q -- "$t" "$tmp/out" || bad="$bad; text missing: $t"
	done
	IFS=$old_ifs
	if [ -n "$bad" ]; then echo "FAIL public $cap: $bad"; f=$((f + 1)); else echo "ok public $cap"; p=$((p + 1)); fi
done < tests/public.list
echo "public: $p passed, $f failed, $s skipped"
[ $f -eq 0 ]
