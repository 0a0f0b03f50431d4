#!/bin/sh
# test.sh - the `lab` suite: fetchtrace live in the mini-internet of tests/lab.
#
# As root: builds the lab afresh (tests/lab/lab.sh down, then up: the
# resolver's cache must start cold), runs fetches through tests/lab/fetch.sh,
# checks fetchtrace's output, and always tears the lab down at exit.
# Without root or without `ip`: skipped, and says so.  Chromium is installed
# with apt-get if missing; if it cannot be, its check is counted as skipped.
#
#   1  cold curl http://www.example.com/: resolve, connect, write, read, close
#      in order for fetch 1 (www.example.com); on the resolver's upstream side,
#      queries to the root, the com and the example.com servers in that order,
#      the root's and com's answers labelled referrals, example.com's
#      authoritative
#   2  the same fetch again: answered from Unbound's cache (no upstream query)
#   3  HTTPS with the lab CA: TLS handshake, and the five steps
#   4  headless Chromium: page, stylesheet and image; the five steps
#   5  curl -6 (IPv6) and curl -4 (IPv4)
#   6  fetchtrace -- curl --http2 https://...: with no key log option, the command's
#      private key log decrypts it: GET / on a write line, 200 on a read line; the
#      key log is removed at exit
#
# Prints "ok lab ..." / "FAIL lab ..." / "skip lab ..." lines and ends with
# "lab: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
export TZ=UTC LC_ALL=C
. tests/lab/env.sh

p=0 f=0 s=0
skip_all() { echo "skip lab: $1"; echo "lab: 0 passed, 0 failed, 1 skipped"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces and live capture)"
command -v ip >/dev/null 2>&1 || skip_all "ip (iproute2) not installed"

if [ -z "${FETCHTRACE:-}" ]; then
	if [ -x build/san/fetchtrace ]; then FETCHTRACE=build/san/fetchtrace
	else FETCHTRACE=fetchtrace; fi
fi
export FETCHTRACE
[ -x "$FETCHTRACE" ] || make -s fetchtrace >/dev/null || { echo "FAIL lab: cannot build fetchtrace"; echo "lab: 0 passed, 1 failed, 0 skipped"; exit 1; }

tmp=$(mktemp -d /tmp/fetchtrace-labtest.XXXXXX) || exit 1
chmod 755 "$tmp"
t0=$(date +%s)
cleanup() {
	bash tests/lab/lab.sh down >"$tmp/down.log" 2>&1 ||
		{ echo "lab-down failed:"; cat "$tmp/down.log"; }
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then echo "ok lab $d"; p=$((p + 1)); else echo "FAIL lab $d"; f=$((f + 1)); fi
}
skip() { echo "skip lab $1"; s=$((s + 1)); }
show() { # show FILE: the output of a failed fetch, for the log
	echo "--- $1"; cut -c1-240 "$1"
}

# ---------------------------------------------------------------- the lab
bash tests/lab/lab.sh down >/dev/null 2>&1
if ! bash tests/lab/lab.sh up >"$tmp/up.log" 2>&1; then
	echo "FAIL lab make lab-up"; cat "$tmp/up.log"
	echo "lab: 0 passed, 1 failed, 0 skipped"; exit 1
fi
echo "ok lab lab up ($(($(date +%s) - t0)) s)"; p=$((p + 1))

# Chromium (big: only here, not in lab-up).
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ] && command -v apt-get >/dev/null 2>&1; then
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; policy=1
	fi
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends chromium; } >"$tmp/apt.log" 2>&1
	[ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
	chromium=$(command -v chromium || true)
fi

# ---------------------------------------------------------------- helpers
fetch() { # fetch NAME [--resolver] -- COMMAND...: run it, outputs in $tmp/NAME
	n=$1; shift
	FETCH_TIMEOUT=60 bash tests/lab/fetch.sh -q -o "$tmp/$n" "$@" >"$tmp/$n.out" 2>&1
}
# Line numbers of the DNS answer for www.example.com and of the first
# connect, write, read and close line of fetch 1 connection 1 (or of the
# connection given, e.g. "f1 c2"), as in tests/live.sh.
order_of() { # order_of FILE [CONNECTION]
	awk -v conn="${2:-f1 c1}" '
	BEGIN { name[2] = "connect"; name[3] = "write"; name[4] = "read"; name[5] = "close"
		tag = " " conn " " }
	/^ *[0-9]+\.[0-9]+ +resolve .*answer #[0-9a-f]+ www\.example\.com IN A/ && !r { r = NR }
	$0 ~ tag { for (s = 2; s <= 5; s++) if ($2 == name[s] && !at[s]) at[s] = NR }
	END { at[1] = r; for (s = 1; s <= 5; s++) printf "%d ", at[s] }' "$1"
}
in_order() { # five non-zero line numbers, increasing
	set -- $1
	[ $# -eq 5 ] && [ "$1" -gt 0 ] && [ "$1" -lt "$2" ] && [ "$2" -lt "$3" ] && [ "$3" -lt "$4" ] && [ "$4" -lt "$5" ]
}
# Which lab server each DNS line of a resolver capture goes to / comes from:
# prints "LINE query|answer root|com|example|other" per line.
dns_roles() {
	awk -v r4="$ROOT4" -v r6="$ROOT6" -v c4="$COM4" -v c6="$COM6" -v e4="$EXAMPLE4" -v e6="$EXAMPLE6" '
	function role(ep) { sub(/:[0-9]+$/, "", ep); gsub(/[][]/, "", ep)
		if (ep == r4 || ep == r6) return "root"; if (ep == c4 || ep == c6) return "com"
		if (ep == e4 || ep == e6) return "example"; return "other" }
	/^ *[0-9]+\.[0-9]+ +resolve / {
		for (i = 1; i < NF; i++) if ($i == ">") break
		if ($(i + 2) == "query") print NR, "query", role($(i + 1))
		else if ($(i + 2) == "answer") print NR, "answer", role($(i - 1))
	}' "$1"
}
first_line() { # first_line FILE KIND ROLE
	dns_roles "$1" | awk -v k="$2" -v r="$3" '$2 == k && $3 == r { print $1; exit }'
}
walk_in_order() { # the first queries to root, com, example.com, in that order
	a=$(first_line "$1" query root); b=$(first_line "$1" query com); c=$(first_line "$1" query example)
	[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ "$a" -lt "$b" ] && [ "$b" -lt "$c" ]
}
answers_say() { # answers_say FILE ROLE WORD: an answer about www.example.com from ROLE says WORD
	for n in $(dns_roles "$1" | awk -v r="$2" '$2 == "answer" && $3 == r { print $1 }'); do
		sed -n "${n}p" "$1" | grep -q "answer #[0-9a-f]* www\.example\.com IN A.*$3" && return 0
	done
	return 1
}
no_queries() { ! grep -q -E '^ *[0-9]+\.[0-9]+ +resolve .* query #' "$1"; }

curl_q="curl -sS -o /dev/null --max-time 20"

# ---------------------------------------------------------------- 1 cold
fetch cold --resolver -- $curl_q http://www.example.com/; rc=$?
c=$tmp/cold/client.txt r=$tmp/cold/resolver.txt
f0=$f
check "cold: curl fetched http://www.example.com/ (exit $rc)" [ "$rc" -eq 0 ]
check "cold: fetch 1 linked to www.example.com" grep -q '^fetch 1  www\.example\.com -> ' "$c"
o=$(order_of "$c")
check "cold: resolve, connect, write, read, close in order (lines $o)" in_order "$o"
check "cold: resolver side: queries to the root, com and example.com servers in that order (lines $(first_line "$r" query root) $(first_line "$r" query com) $(first_line "$r" query example))" walk_in_order "$r"
check "cold: resolver side: the example.com server is asked the full name (no qname minimisation)" \
	sh -c "sed -n '$(first_line "$r" query example)p' '$r' | grep -q 'query #[0-9a-f]* www\.example\.com IN A'"
check "cold: resolver side: the root's answer is labelled a referral" answers_say "$r" root referral
check "cold: resolver side: the com server's answer is labelled a referral" answers_say "$r" com referral
check "cold: resolver side: the example.com server's answer is labelled authoritative" answers_say "$r" example authoritative
[ $f -eq $f0 ] || { cat "$tmp/cold.out"; show "$c"; show "$r"; }

# ---------------------------------------------------------------- 2 warm
fetch warm --resolver -- $curl_q http://www.example.com/; rc=$?
c=$tmp/warm/client.txt r=$tmp/warm/resolver.txt
f0=$f
check "warm: curl fetched the page again (exit $rc)" [ "$rc" -eq 0 ]
o=$(order_of "$c")
check "warm: the client still resolves; five steps in order (lines $o)" in_order "$o"
check "warm: answered from Unbound's cache: no upstream query ($(grep -c ' query #' "$r") seen)" no_queries "$r"
[ $f -eq $f0 ] || { cat "$tmp/warm.out"; show "$c"; show "$r"; }

# ---------------------------------------------------------------- 3 https
# HTTP/1.1: over HTTP/2 (which nginx offers on 443) the server's SETTINGS
# frame goes out right after the handshake, racing the request, so without
# decryption a read may come before the first write.
fetch https -- $curl_q --http1.1 --cacert "$LAB_STATE/tls/ca.crt" https://www.example.com/; rc=$?
c=$tmp/https/client.txt
f0=$f
check "https: curl verified the lab CA and fetched https://www.example.com/ (exit $rc)" [ "$rc" -eq 0 ]
check "https: fetch 1 to port 443" grep -q '^fetch 1  www\.example\.com -> .* port 443' "$c"
check "https: TLS handshake with SNI www.example.com" \
	grep -q -E ' connect +TLS handshake +f1 c1 .*ClientHello SNI www\.example\.com' "$c"
o=$(order_of "$c")
check "https: resolve, connect, write, read, close in order (lines $o)" in_order "$o"
[ $f -eq $f0 ] || { cat "$tmp/https.out"; show "$c"; }

# ---------------------------------------------------------------- 4 chromium
if [ -z "$chromium" ]; then
	skip "chromium: not installed and could not be installed (apt-get install chromium)"
else
	mkdir -p "$tmp/chrome-profile"
	fetch chromium -- "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-quic --user-data-dir="$tmp/chrome-profile" \
		--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE www.example.com" \
		--dump-dom http://www.example.com/; rc=$?
	c=$tmp/chromium/client.txt
	f0=$f
	check "chromium: loaded the page (exit $rc)" sh -c "[ $rc -eq 0 ] && grep -q 'Hello from www.example.com' '$tmp/chromium.out'"
	check "chromium: fetch 1 linked to www.example.com" grep -q '^fetch 1  www\.example\.com -> ' "$c"
	# Chromium may first try https:// (HTTPS upgrade; the lab CA is not in
	# its store, so it falls back): the connection that asks GET / is the one.
	conn=$(awk '/ write +write\(\) .*#[0-9]+ GET \/ HTTP/ { for (i = 1; i < NF; i++)
		if ($i ~ /^f[0-9]+$/ && $(i + 1) ~ /^c[0-9]+$/) { print $i, $(i + 1); exit } }' "$c")
	o=$(order_of "$c" "${conn:-none}")
	check "chromium: resolve, connect, write, read, close in order on the page's connection (${conn:-none}: lines $o)" in_order "$o"
	n=$(grep -c -E ' write +write\(\) +f[0-9]+ c[0-9]+ .*#[0-9]+ GET /' "$c")
	check "chromium: page, stylesheet and image requested ($n GET requests)" \
		sh -c "[ $n -ge 2 ] && grep -q 'GET /style.css' '$c' && grep -q 'GET /img/dot.png' '$c'"
	[ $f -eq $f0 ] || { tail -20 "$tmp/chromium.out"; show "$c"; }
fi

# ---------------------------------------------------------------- 4b what the browser does
explains_page_query() { # FILE: an explanation naming www.example.com under a query for it
	awk '/^ +\^ / { if (prev ~ /query #[0-9a-f]+ www\.example\.com IN/ && /the name www\.example\.com/) ok = 1; next }
		{ prev = $0 } END { exit !ok }' "$1"
}
# Background networking on (its lookups of Google names come first, NXDOMAIN
# in the lab), every name resolvable: a connection Chromium opened and never
# used says so, and --explain explains the page's own first query, not only
# the run's first (captures/lab-browser.pcap is such a run, with goldens).
if [ -n "$chromium" ]; then
	mkdir -p "$tmp/chrome-bg"
	fetch browser -- "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-quic --user-data-dir="$tmp/chrome-bg" \
		--dump-dom http://www.example.com/lines.txt; rc=$?
	c=$tmp/browser/client.txt
	f0=$f
	check "browser: loaded the page (exit $rc)" [ $rc -eq 0 ]
	# every connection that sent nothing is noted "preconnected, unused" (or abandoned)
	bad=$(awk '/^  c[0-9]+ / && /steps connect,close  sent 0 B/ && !/preconnected, unused|abandoned/' "$c" | wc -l)
	check "browser: every unused connection is noted ($bad not)" [ "$bad" -eq 0 ]
	n=$(grep -c 'preconnected, unused\|preconnected: ready\|abandoned right after' "$c")
	check "browser: preconnects or the abandoned https:// try are noted ($n)" [ "$n" -ge 1 ]
	"$FETCHTRACE" --explain -r "$tmp/browser/client.pcap" >"$tmp/browser/explain.txt" 2>&1
	check "browser: --explain explains the page's own query" explains_page_query "$tmp/browser/explain.txt"
	[ $f -eq $f0 ] || show "$c"
fi

# ---------------------------------------------------------------- 5 IPv6, IPv4
fetch v6 -- $curl_q -6 http://www.example.com/; rc=$?
c=$tmp/v6/client.txt
f0=$f
check "ipv6: curl -6 fetched the page (exit $rc)" [ "$rc" -eq 0 ]
check "ipv6: fetch 1 from the AAAA answer, connected to [$WEB6]:80" sh -c \
	"grep -q '^fetch 1  www\.example\.com -> $WEB6 port 80' '$c' && grep -q -E ' connect +connect\(\) +f1 c1 .*> \[$WEB6\]:80 ' '$c'"
o=$(order_of "$c")
check "ipv6: resolve, connect, write, read, close in order (lines $o)" in_order "$o"
[ $f -eq $f0 ] || { cat "$tmp/v6.out"; show "$c"; }

fetch v4 -- $curl_q -4 http://www.example.com/; rc=$?
c=$tmp/v4/client.txt
f0=$f
check "ipv4: curl -4 fetched the page (exit $rc)" [ "$rc" -eq 0 ]
check "ipv4: fetch 1 connected to $WEB4:80" sh -c \
	"grep -q '^fetch 1  www\.example\.com -> $WEB4 port 80' '$c' && grep -q -E ' connect +connect\(\) +f1 c1 .*> $WEB4:80 ' '$c'"
o=$(order_of "$c")
check "ipv4: resolve, connect, write, read, close in order (lines $o)" in_order "$o"
[ $f -eq $f0 ] || { cat "$tmp/v4.out"; show "$c"; }

# ---------------------------------------------------------------- 6 -- curl --http2
# fetchtrace -- CMD with no key log option: the command gets a private key log
# (SSLKEYLOGFILE), so HTTP/2 inside TLS is decrypted: GET / on a write line, 200 on a
# read line; the key log is gone afterwards and no secret is printed.
f0=$f
# shellcheck disable=SC2016 # the command's shell expands it
timeout 60 ip netns exec "$NS_CLIENT" env ASAN_OPTIONS=detect_leaks=0 "$FETCHTRACE" -i "$IF_CLIENT" -- \
	sh -c 'echo "keylog $SSLKEYLOGFILE"; exec '"$curl_q"' --http2 --cacert "$1" https://www.example.com/' \
	sh "$LAB_STATE/tls/ca.crt" >"$tmp/h2.txt" 2>"$tmp/h2.err"; rc=$?
c=$tmp/h2.txt
check "h2: fetchtrace -- curl --http2 https://www.example.com/ (exit $rc)" [ "$rc" -eq 0 ]
check "h2: GET / decrypted on a write line" \
	grep -q -E '^ *[0-9.]+ +write .*:443 .*#[0-9]+ GET / www\.example\.com' "$c"
check "h2: 200 decrypted on a read line" \
	grep -q -E '^ *[0-9.]+ +read .*:443 > .*#[0-9]+ 200 ' "$c"
klf=$(sed -n 's/^keylog //p' "$c")
check "h2: the private key log ($klf) is removed" sh -c "[ -n '$klf' ] && [ ! -e '$klf' ]"
check "h2: no secret printed" sh -c "! grep -q -i -E 'CLIENT_RANDOM|TRAFFIC_SECRET' '$c' '$tmp/h2.err'"
[ $f -eq $f0 ] || { cat "$tmp/h2.err"; show "$c"; }

echo "lab: done in $(($(date +%s) - t0)) s"
echo "lab: $p passed, $f failed, $s skipped"
[ $f -eq 0 ]
