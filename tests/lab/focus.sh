#!/bin/sh
# focus.sh - --fetch beside a real browser (issue 12), in the mini-internet of tests/lab.
#
# As root, under the lab's lock (flock /tmp/fetchtrace-lab.lock; this script takes it itself):
# builds the lab afresh, loads http://www.example.com/ with headless Chromium as a new user
# would (its background networking left on: it looks up Google's update and account names,
# which the lab's resolver answers NXDOMAIN), captures the client side with fetchtrace -w,
# tears the lab down, then reads the capture with --fetch www.example.com:
#   - only that fetch's packets show: every DNS message shown asks for www.example.com (its A,
#     AAAA and HTTPS queries), every numbered packet is of a www.example.com fetch;
#   - within each connection the steps come in order (resolve, connect, write/read, close);
#   - the background lookups are counted as hidden (hidden_dns > 0), and shown + hidden = read;
#   - --explain explains the page's own first DNS query;
#   - --fetch N (the page's fetch number) shows the same connections.
# Without root, ip or chromium: skipped, and says so.  FOCUS_SAVE=FILE keeps the capture
# (captures/lab-chromium-background.pcap was recorded so).
set -u
cd "$(dirname "$0")/../.." || exit 1
export TZ=UTC LC_ALL=C
p=0 f=0 s=0
skip_all() { echo "skip focus-lab: $1"; echo "focus-lab: 0 passed, 0 failed, 1 skipped"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces and live capture)"
command -v ip >/dev/null 2>&1 || skip_all "ip (iproute2) not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq not installed"
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || skip_all "chromium not installed"
ft=${FETCHTRACE:-./fetchtrace}
[ -x "$ft" ] || make -s fetchtrace >/dev/null || { echo "FAIL focus-lab: cannot build"; exit 1; }
case $ft in /*) ;; *) ft=$(pwd)/$ft ;; esac

tmp=$(mktemp -d /tmp/fetchtrace-focus.XXXXXX) || exit 1
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then echo "ok focus-lab $d"; p=$((p + 1)); else echo "FAIL focus-lab $d"; f=$((f + 1)); fi
}

# The recording, with the lab up only under the lock (and down again inside it).
mkdir -p "$tmp/profile"
chmod 777 "$tmp/profile"
flock /tmp/fetchtrace-lab.lock sh -c '
	bash tests/lab/lab.sh down >/dev/null 2>&1
	bash tests/lab/lab.sh up >"$1/up.log" 2>&1 || { bash tests/lab/lab.sh down >/dev/null 2>&1; exit 3; }
	FETCHTRACE=$2 FETCH_TIMEOUT=60 bash tests/lab/fetch.sh -q -o "$1/rec" -- \
		"$3" --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-quic --disable-features=DnsOverHttps --user-data-dir="$1/profile" \
		--dump-dom http://www.example.com/ >"$1/chromium.out" 2>&1
	rc=$?
	bash tests/lab/lab.sh down >/dev/null 2>&1
	exit $rc' sh "$tmp" "$ft" "$chromium"
rc=$?
if [ $rc -eq 3 ]; then
	echo "FAIL focus-lab: the lab did not come up"; tail -5 "$tmp/up.log"
	echo "focus-lab: 0 passed, 1 failed, 0 skipped"; exit 1
fi
cap=$tmp/rec/client.pcap
[ -n "${FOCUS_SAVE:-}" ] && [ -s "$cap" ] && cp "$cap" "$FOCUS_SAVE"
check "Chromium loaded the page" grep -q 'Hello from www.example.com' "$tmp/chromium.out"
check "a capture was written" test -s "$cap"

"$ft" -r "$cap" --json >"$tmp/all.json" 2>"$tmp/err"
"$ft" -r "$cap" --json --fetch www.example.com >"$tmp/one.json" 2>>"$tmp/err"
"$ft" -r "$cap" --fetch www.example.com --explain >"$tmp/one.txt" 2>>"$tmp/err"
check "no stderr" test ! -s "$tmp/err"
# fetches of www.example.com, by number, in the unfiltered run
jq -r 'select(.type == "fetch" and .name == "www.example.com") | .fetch' "$tmp/all.json" >"$tmp/ids"
check "the unfiltered run has a www.example.com fetch" test -s "$tmp/ids"
names=$(jq -r 'select(.type == "packet") | .dns[]? | .question.name // empty' "$tmp/all.json" | sort -u | tr '\n' ' ')
echo "  (names asked in the capture: $names)"
other=$(jq -s '[.[] | select(.type == "packet") | .dns[]? | select(.question.name != null and (.question.name | ascii_downcase) != "www.example.com")] | length' "$tmp/one.json")
check "--fetch: every DNS message shown asks for www.example.com" test "$other" -eq 0
check "--fetch: its A and AAAA queries are shown" sh -c \
	"jq -r 'select(.type == \"packet\") | .dns[]? | select(.qr == false) | .question.type' '$tmp/one.json' | grep -q '^A\$' &&
	 jq -r 'select(.type == \"packet\") | .dns[]? | select(.qr == false) | .question.type' '$tmp/one.json' | grep -q '^AAAA\$'"
jq -r 'select(.type == "packet" and .fetch != null) | .fetch' "$tmp/one.json" | sort -u >"$tmp/shown-ids"
check "--fetch: every numbered packet is of a www.example.com fetch" sh -c "! grep -v -x -F -f '$tmp/ids' '$tmp/shown-ids'"
hid=$(jq -s '[.[] | select(.type == "summary")][0].hidden_dns' "$tmp/one.json")
bg=$(jq -s '[.[] | select(.type == "packet") | .dns[]? | select(.question.name != null and (.question.name | ascii_downcase) != "www.example.com")] | length' "$tmp/all.json")
check "--fetch: the $bg background DNS messages are counted hidden ($hid)" test "$hid" -ge "$bg"
read_=$(jq -s '[.[] | select(.type == "summary")][0].packets' "$tmp/one.json")
shown=$(jq -s '[.[] | select(.type == "packet")] | length' "$tmp/one.json")
hp=$(jq -s '[.[] | select(.type == "summary")][0].hidden_packets' "$tmp/one.json")
check "--fetch: shown $shown + hidden $hp = read $read_" test $((shown + hp)) -eq "$read_"
# steps in order within each connection: never back to an earlier one (close is last)
check "--fetch: each connection's steps in order" sh -c "jq -r 'select(.type == \"packet\" and .conn != null) | \"\\(.conn) \\(.step)\"' '$tmp/one.json' |
	awk '{ r = (\$2 == \"resolve\") ? 0 : (\$2 == \"connect\") ? 1 : (\$2 == \"close\") ? 3 : 2
	       if (r < last[\$1]) bad = 1; last[\$1] = r } END { exit bad }'"
check "--explain: the page's own first query is explained" sh -c \
	"grep -A1 -m1 'query #.* www.example.com IN' '$tmp/one.txt' | tail -n 1 | grep -q '^ *\\^'"
n=$(head -n 1 "$tmp/ids")
"$ft" -r "$cap" --json --fetch "$n" >"$tmp/num.json" 2>/dev/null
check "--fetch $n: the connections of that fetch" sh -c \
	"[ \"\$(jq -c 'select(.type == \"conn\" and .fetch == $n) | .conn' '$tmp/all.json')\" = \"\$(jq -c 'select(.type == \"conn\") | .conn' '$tmp/num.json')\" ]"
if [ $f -ne 0 ]; then
	echo "--- unfiltered (first 60 lines)"; "$ft" -r "$cap" | cut -c1-200 | head -n 60
fi
echo "focus-lab: $p passed, $f failed, $s skipped"
[ $f -eq 0 ]
