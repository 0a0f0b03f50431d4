#!/bin/bash
# shellcheck disable=SC1091,SC2086,SC2015 # $curl_q is words on purpose
# record.sh - record the lab's captures, captures/lab-net-*.pcap, in the
# mini-internet of tests/lab (README there).  Root only.
#
#   bash tests/lab/record.sh [OUTDIR]      (default: captures/)
#
# Builds the lab afresh (a cold resolver cache), records each fetch with
# fetchtrace -w (through tests/lab/fetch.sh, or its own captures where one
# run needs two capture windows), copies the pcaps to OUTDIR, tears the lab
# down at exit (also on failure) and prints a summary.  Re-running it
# re-records every file (idempotent; nothing else in OUTDIR is touched).
# Time stamps, ports and DNS ids differ from run to run: after re-recording,
# run `make regen NAME=lab-net-...` for the golden files and check
# tests/lab/exercises.sh (its expected values describe these recordings).
#
#   lab-net-cold-client.pcap    curl http://www.example.com/, cold cache, client side
#   lab-net-cold-resolver.pcap  the same fetch on ftn-res-up: priming, root, com, example.com
#   lab-net-warm.pcap           client side: the cold fetch, 2 s pause, the same fetch again
#   lab-net-warm-resolver.pcap  ftn-res-up during the second (warm) fetch only: no packet
#   lab-net-nxdomain.pcap       curl http://nope.example.com/ (client side)
#   lab-net-nxdomain-resolver.pcap  the same on ftn-res-up
#   lab-net-cname.pcap          curl http://alias.example.com/
#   lab-net-page.pcap           curl /, /style.css, /img/dot.png on one keep-alive connection
#   lab-net-large.pcap          curl http://www.example.com/big.bin (1 MiB)
#   lab-net-chunked.pcap        curl --compressed http://www.example.com/lines.txt
#   lab-net-https.pcap          curl --cacert ca.crt https://www.example.com/
#   lab-net-ipv6.pcap           curl -6 http://www.example.com/
#   lab-net-ipv4.pcap           curl -4 http://www.example.com/ (the lab's client prefers IPv6 otherwise)
#   lab-net-chromium.pcap       headless Chromium loads http://www.example.com/
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/env.sh"
export TZ=UTC LC_ALL=C

die() { printf 'record.sh: %s\n' "$*" >&2; exit 1; }
log() { printf 'record.sh: %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, live capture)"
OUT=${1:-$REPO/captures}
mkdir -p "$OUT" || die "cannot make $OUT"
OUT=$(cd "$OUT" && pwd)

ft=${FETCHTRACE:-$REPO/fetchtrace}
case $ft in /*) ;; *) ft=$REPO/$ft ;; esac
[ -x "$ft" ] || make -s -C "$REPO" fetchtrace >&2 || die "make fetchtrace failed"
[ -x "$ft" ] || die "$ft: not found"
export FETCHTRACE=$ft

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ] && command -v apt-get >/dev/null 2>&1; then
	log "installing chromium"
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; policy=1
	fi
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends chromium; } >/dev/null 2>&1
	[ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
	chromium=$(command -v chromium || true)
fi
[ -n "$chromium" ] || die "chromium is not installed (apt-get install chromium)"

tmp=$(mktemp -d /tmp/fetchtrace-labrec.XXXXXX) || die "mktemp"
chmod 755 "$tmp"
caps=""
cleanup() {
	local p
	for p in $caps; do kill -INT "$p" 2>/dev/null; done
	for p in $caps; do wait "$p" 2>/dev/null; done
	bash "$HERE/lab.sh" down >"$tmp/down.log" 2>&1 || { echo "lab down failed:"; cat "$tmp/down.log"; } >&2
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh lab: Unbound starts with an empty cache and primes on its first query.
fresh_lab() {
	bash "$HERE/lab.sh" down >/dev/null 2>&1
	bash "$HERE/lab.sh" up >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log" >&2; die "lab up failed"; }
}

curl_q="curl -sS -o /dev/null --max-time 30"
recorded=""

# fetch NAME [--resolver] -- COMMAND...: one fetch through fetch.sh; its
# client capture becomes lab-net-NAME.pcap, its resolver capture
# lab-net-NAME-resolver.pcap.
fetch() {
	local n=$1; shift
	log "recording $n: $*"
	FETCH_TIMEOUT=60 FETCH_SETTLE=1 bash "$HERE/fetch.sh" -q -o "$tmp/$n" "$@" >"$tmp/$n.out" 2>&1 ||
		{ cat "$tmp/$n.out" >&2; die "$n: the command failed"; }
	cp "$tmp/$n/client.pcap" "$OUT/lab-net-$n.pcap" || die "$n: no client capture"
	recorded="$recorded lab-net-$n.pcap"
	if [ -f "$tmp/$n/resolver.pcap" ]; then
		cp "$tmp/$n/resolver.pcap" "$OUT/lab-net-$n-resolver.pcap" || die "$n: no resolver capture"
		recorded="$recorded lab-net-$n-resolver.pcap"
	fi
}

# start_cap NAME NS IFACE / stop_caps: captures of our own, for a run that
# needs the two sides over different windows.
start_cap() {
	local name=$1 ns=$2 ifn=$3 pid
	ip netns exec "$ns" env -u SUDO_UID -u SUDO_GID ASAN_OPTIONS=detect_leaks=0 \
		"$ft" -l -i "$ifn" -w "$tmp/$name.pcap" >"$tmp/$name.txt" 2>"$tmp/$name.err" &
	pid=$!
	caps="$caps $pid"
	for _ in $(seq 100); do
		grep -q 'listening on' "$tmp/$name.err" 2>/dev/null && { sleep 0.2; return 0; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/$name.err" >&2
	die "fetchtrace did not start on $ifn in $ns"
}
stop_caps() {
	local p
	sleep 1
	for p in $caps; do kill -INT "$p" 2>/dev/null; done
	for p in $caps; do wait "$p" 2>/dev/null; done
	caps=""
}
in_client() { timeout 60 ip netns exec "$NS_CLIENT" "$@"; }

# ---------------------------------------------------------------- cold
# The capture on ftn-res-up starts before Unbound's first query: priming
# (. NS to the root) is in it.
fresh_lab
fetch cold --resolver -- $curl_q http://www.example.com/
mv "$OUT/lab-net-cold.pcap" "$OUT/lab-net-cold-client.pcap"
recorded=${recorded/lab-net-cold.pcap/lab-net-cold-client.pcap}

# ---------------------------------------------------------------- warm
# One client capture over two fetches (cold, then warm 2 s later: the TTL
# has gone down), and a resolver capture of the second only.
fresh_lab
log "recording warm: curl http://www.example.com/ twice, 2 s apart"
start_cap warm "$NS_CLIENT" "$IF_CLIENT"
in_client $curl_q http://www.example.com/ || die "warm: first fetch failed"
sleep 2
start_cap warm-resolver "$NS_RESOLVER" "$IF_RES_UP"
in_client $curl_q http://www.example.com/ || die "warm: second fetch failed"
stop_caps
cp "$tmp/warm.pcap" "$OUT/lab-net-warm.pcap" && cp "$tmp/warm-resolver.pcap" "$OUT/lab-net-warm-resolver.pcap" ||
	die "warm: captures missing"
recorded="$recorded lab-net-warm.pcap lab-net-warm-resolver.pcap"

# ---------------------------------------------------------------- NXDOMAIN
# The cache knows the example.com servers by now (from the warm run): the
# resolver asks ns1.example.com directly, which answers NXDOMAIN + SOA.
log "recording nxdomain: curl http://nope.example.com/ (curl fails: exit 6)"
FETCH_TIMEOUT=60 bash "$HERE/fetch.sh" -q -o "$tmp/nxdomain" --resolver -- \
	$curl_q http://nope.example.com/ >"$tmp/nxdomain.out" 2>&1
rc=$?
[ $rc -eq 6 ] || { cat "$tmp/nxdomain.out" >&2; die "nxdomain: curl exit $rc, expected 6 (could not resolve)"; }
cp "$tmp/nxdomain/client.pcap" "$OUT/lab-net-nxdomain.pcap" &&
	cp "$tmp/nxdomain/resolver.pcap" "$OUT/lab-net-nxdomain-resolver.pcap" || die "nxdomain: captures missing"
recorded="$recorded lab-net-nxdomain.pcap lab-net-nxdomain-resolver.pcap"

# ---------------------------------------------------------------- the rest
fetch cname -- $curl_q http://alias.example.com/
fetch page -- curl -sS --max-time 30 -o /dev/null -o /dev/null -o /dev/null \
	http://www.example.com/ http://www.example.com/style.css http://www.example.com/img/dot.png
fetch large -- $curl_q http://www.example.com/big.bin
fetch chunked -- $curl_q --compressed http://www.example.com/lines.txt
fetch https -- $curl_q --cacert "$LAB_STATE/tls/ca.crt" https://www.example.com/
fetch ipv6 -- $curl_q -6 http://www.example.com/
fetch ipv4 -- $curl_q -4 http://www.example.com/

# ---------------------------------------------------------------- Chromium
# A fresh lab (a cold cache, as a first visit), a fresh profile; QUIC and
# DNS over HTTPS off, background networking off, every name but
# www.example.com unresolvable: the capture holds the page load only.
fresh_lab
mkdir -p "$tmp/chrome-profile"
fetch chromium -- "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--disable-quic --disable-features=DnsOverHttps --user-data-dir="$tmp/chrome-profile" \
	--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE www.example.com" \
	--dump-dom http://www.example.com/
grep -q 'Hello from www.example.com' "$tmp/chromium.out" || { tail -20 "$tmp/chromium.out" >&2; die "chromium: the page did not load"; }

# ---------------------------------------------------------------- summary
if [ -n "${SUDO_UID:-}" ] && [ -n "${SUDO_GID:-}" ]; then
	for f in $recorded; do chown "$SUDO_UID:$SUDO_GID" "$OUT/$f" 2>/dev/null; done
fi
echo "captures in $OUT:"
for f in $recorded; do
	n=$("$ft" -q -r "$OUT/$f" 2>/dev/null | sed -n 's/^packets: \([0-9]*\) read.*/\1/p')
	printf '  %-32s %8s bytes %5s packets\n' "$f" "$(wc -c <"$OUT/$f")" "${n:-?}"
done
