#!/bin/sh
# steps.sh - the `steps` suite: fetchtrace's step labels against the bench generator's
# per-frame ground truth (build/bench-gen -t) on a 20,000-packet capture of concurrent HTTP
# and TLS 1.3 fetches; at least 99.9% agreement overall, on TLS-record frames and on every
# frame of a TLS connection (tests/bench/steps.py).  `make bench` runs the same at full size.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${FETCHTRACE:-build/san/fetchtrace}
gen=build/bench-gen
p=0 f=0 s=0
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip steps: python3 is not installed"
	echo "steps: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
for x in "$bin" "$gen"; do
	[ -x "$x" ] || { echo "FAIL steps: $x is not built (make $x)"; echo "steps: 0 passed, 1 failed"; exit 1; }
done
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@" >"$tmp/out" 2>&1; then echo "ok steps $d"; p=$((p + 1))
	else echo "FAIL steps $d"; cat "$tmp/out"; f=$((f + 1)); fi
}
gen_ok() {
	"$gen" -n 20000 -c 50 -t "$tmp/truth" -o "$tmp/bench.pcap" 2>/dev/null &&
	[ "$(wc -l <"$tmp/truth")" -gt 20000 ] &&
	grep -q 'tls-new-session-ticket' "$tmp/truth" && grep -q 'tls-alert-close-notify' "$tmp/truth"
}
check "generator writes the capture and one truth line per frame (TLS tickets and alerts included)" gen_ok
# the same seed makes the same bytes and the same truth
same() {
	"$gen" -n 20000 -c 50 -t "$tmp/truth2" -o "$tmp/bench2.pcap" 2>/dev/null &&
	cmp -s "$tmp/bench.pcap" "$tmp/bench2.pcap" && cmp -s "$tmp/truth" "$tmp/truth2"
}
check "generator and truth are deterministic" same
# the checker must fail when the labels do not agree, or passing proves nothing
wrong() {
	sed 's/^connect tls-new-session-ticket/read tls-new-session-ticket/; s/^close /write /' \
		"$tmp/truth" >"$tmp/truth.bad" &&
	! python3 tests/bench/steps.py "$tmp/truth.bad" "$bin" "$tmp/bench.pcap"
}
check "checker refuses a truth that disagrees" wrong
agree() {
	python3 tests/bench/steps.py "$tmp/truth" "$bin" "$tmp/bench.pcap"
}
if agree >"$tmp/report" 2>&1; then
	echo "ok steps agreement >= 99.9% overall and on TLS frames"; p=$((p + 1))
else
	echo "FAIL steps agreement >= 99.9% overall and on TLS frames"; f=$((f + 1))
fi
sed -n '/^summary/,$p' "$tmp/report"
echo "steps: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
