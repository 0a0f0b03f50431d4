#!/bin/bash
# shellcheck disable=SC1091,SC2086,SC2015 # $curl_q is words on purpose
# record.sh - record the lab's captures, captures/lab-net-*.pcap and the
# decryption captures with their key logs (captures/NAME.pcap + NAME.keys),
# in the mini-internet of tests/lab (README there).  Root only.
#
#   bash tests/lab/record.sh [--set net|keys|all] [OUTDIR]   (default: all, captures/)
#
# --set net records the lab-net-* files (list below), --set keys the
# HTTPS/HTTP-2/HTTP-3 captures with their key logs (list further down).
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
#
# --set keys (each NAME.pcap with NAME.keys, the SSLKEYLOGFILE the client
# wrote; client side, fetchtrace -l -w with its live default filter unless said):
#   lab-h2-curl          curl --http2 --tlsv1.3 https://www.example.com/ and /style.css (one connection)
#   lab-tls12-gcm        curl --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 https://www.example.com/
#   lab-tls12-chacha     curl --tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305 https://www.example.com/
#   lab-h2-chromium      headless Chromium loads https://www.example.com/ (HTTP/2, 4 requests)
#   lab-doh              curl --doh-url https://dns.example.com/dns-query https://www.example.com/
#   lab-tls13-chacha     curl --tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256 https://www.example.com/
#   lab-tls12-rsa        curl --tls-max 1.2 --ciphers AES128-GCM-SHA256 https://www.example.com:8443/ (RSA key exchange)
#   lab-tls12-cbc        curl --tls-max 1.2 --ciphers ECDHE-RSA-AES128-SHA256 https://www.example.com:8443/
#   lab-tls13-keyupdate  openssl s_client, HTTP/1.1: GET /, KeyUpdate (update_requested), GET /style.css
#   lab-h2c              curl --http2-prior-knowledge http://www.example.com:8080/ (cleartext: no keys)
#   lab-h2c-upgrade      curl --http2 http://www.example.com:8000/ (Apache: Upgrade: h2c)
#   lab-h2-wrongkeys.keys  lab-h2-curl.keys with every secret written backwards (no pcap)
#   lab-altsvc           curl --http2 https://h3.example.com/ over TCP: Caddy's Alt-Svc: h3=":443"
#   lab-h3-chromium      headless Chromium, QUIC forced, loads https://h3.example.com/ from Caddy;
#                        also lab-h3-chromium.access.log, Caddy's access log (JSON lines)
#   lab-quic-fallback    headless Chromium loads https://fallback.example.com/ (HTTPS record alpn h3,h2;
#                        nothing on UDP 443: ICMP port unreachable, then TCP); filter adds ICMP
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/env.sh"
export TZ=UTC LC_ALL=C

die() { printf 'record.sh: %s\n' "$*" >&2; exit 1; }
log() { printf 'record.sh: %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, live capture)"
set_=all
case ${1:-} in
--set) [ $# -ge 2 ] || die "--set needs net, keys or all"; set_=$2; shift 2 ;;
--set=*) set_=${1#--set=}; shift ;;
esac
case $set_ in net|keys|all) ;; *) die "--set $set_: net, keys or all" ;; esac
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

# start_cap NAME NS IFACE [FILTER] / stop_caps: captures of our own, for a
# run that needs the two sides over different windows, or another filter.
start_cap() {
	local name=$1 ns=$2 ifn=$3 filter=${4:-} pid
	ip netns exec "$ns" env -u SUDO_UID -u SUDO_GID ASAN_OPTIONS=detect_leaks=0 \
		"$ft" -l -i "$ifn" -w "$tmp/$name.pcap" ${filter:+"$filter"} >"$tmp/$name.txt" 2>"$tmp/$name.err" &
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

record_net() {
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
}

# ---------------------------------------------------------------- with key logs
# rec NAME FILTER -- COMMAND...: capture on the client's interface (FILTER
# empty: fetchtrace's live default) while COMMAND runs in the client
# namespace with SSLKEYLOGFILE=NAME.keys; NAME.pcap and, when the command
# wrote one, NAME.keys go to OUTDIR.  The command's output is in $tmp/NAME.out.
rec() {
	local n=$1 filter=$2 rc
	shift 3
	log "recording $n: $*"
	rm -f "$tmp/$n.keys"
	start_cap "$n" "$NS_CLIENT" "$IF_CLIENT" "$filter"
	in_client env SSLKEYLOGFILE="$tmp/$n.keys" "$@" >"$tmp/$n.out" 2>&1
	rc=$?
	stop_caps
	[ $rc -eq 0 ] || { tail -20 "$tmp/$n.out" >&2; die "$n: the command failed (exit $rc)"; }
	cp "$tmp/$n.pcap" "$OUT/$n.pcap" || die "$n: no capture"
	recorded="$recorded $n.pcap"
	if [ -s "$tmp/$n.keys" ]; then
		cp "$tmp/$n.keys" "$OUT/$n.keys" || die "$n: cannot copy the key log"
		recorded="$recorded $n.keys"
	fi
}

# headless Chromium, a fresh profile each time; every name but the one
# loaded unresolvable (no background traffic); the lab CA is not in its
# store, so the server key's SPKI hash is accepted by hand
# (--ignore-certificate-errors-spki-list: only this key, unlike
# --ignore-certificate-errors); the key log also by flag.
chrome=()
chrome() { # chrome NAME HOST FLAGS... URL: the command line in ${chrome[@]}
	local n=$1 host=$2 spki
	shift 2
	spki=$(openssl x509 -in "$LAB_STATE/tls/www.example.com.crt" -pubkey -noout |
		openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
	rm -rf "$tmp/chrome-$n"; mkdir -p "$tmp/chrome-$n"
	chrome=("$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-features=DnsOverHttps --user-data-dir="$tmp/chrome-$n" \
		--ssl-key-log-file="$tmp/$n.keys" --ignore-certificate-errors-spki-list="$spki" \
		--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE $host" "$@")
}

record_keys() {
	local caf=$LAB_STATE/tls/ca.crt
	fresh_lab
	rec lab-h2-curl "" -- curl -sS --max-time 30 --cacert "$caf" --http2 --tlsv1.3 \
		-o /dev/null -o /dev/null https://www.example.com/ https://www.example.com/style.css
	# the wrong key log: the same client randoms (each line finds its
	# connection), every secret written backwards (each AEAD tag check fails)
	awk 'NF == 3 { s = ""; for (i = length($3); i > 0; i--) s = s substr($3, i, 1); print $1, $2, s; next } { print }' \
		"$OUT/lab-h2-curl.keys" >"$OUT/lab-h2-wrongkeys.keys" || die "lab-h2-wrongkeys.keys"
	recorded="$recorded lab-h2-wrongkeys.keys"
	rec lab-tls12-gcm "" -- curl -sS --max-time 30 --cacert "$caf" --tls-max 1.2 \
		--ciphers ECDHE-ECDSA-AES128-GCM-SHA256 -o /dev/null https://www.example.com/
	rec lab-tls12-chacha "" -- curl -sS --max-time 30 --cacert "$caf" --tls-max 1.2 \
		--ciphers ECDHE-ECDSA-CHACHA20-POLY1305 -o /dev/null https://www.example.com/
	rec lab-doh "" -- curl -sS --max-time 30 --cacert "$caf" \
		--doh-url https://dns.example.com/dns-query -o /dev/null https://www.example.com/
	rec lab-tls13-chacha "" -- curl -sS --max-time 30 --cacert "$caf" --tlsv1.3 \
		--tls13-ciphers TLS_CHACHA20_POLY1305_SHA256 -o /dev/null https://www.example.com/
	rec lab-tls12-rsa "" -- curl -sS --max-time 30 --cacert "$caf" --tls-max 1.2 \
		--ciphers AES128-GCM-SHA256 -o /dev/null https://www.example.com:8443/
	rec lab-tls12-cbc "" -- curl -sS --max-time 30 --cacert "$caf" --tls-max 1.2 \
		--ciphers ECDHE-RSA-AES128-SHA256 -o /dev/null https://www.example.com:8443/
	# A TLS 1.3 KeyUpdate: s_client sends one for a line "K" (and asks the
	# server to update too); HTTP/1.1 before and after it on one connection.
	# s_client writes the key log only with -keylogfile.
	# shellcheck disable=SC2016 # expanded by the inner sh
	rec lab-tls13-keyupdate "" -- sh -c '
		req() { printf "GET %s HTTP/1.1\r\nHost: www.example.com\r\nConnection: %s\r\n\r\n" "$1" "$2"; }
		{ req / keep-alive; sleep 0.5; echo K; sleep 0.5; req /style.css close; sleep 1; } |
		openssl s_client -connect www.example.com:443 -servername www.example.com -tls1_3 \
			-alpn http/1.1 -CAfile "$1" -keylogfile "$SSLKEYLOGFILE" -verify_return_error' sh "$caf"
	grep -q 'KEYUPDATE' "$tmp/lab-tls13-keyupdate.out" ||
		{ tail -20 "$tmp/lab-tls13-keyupdate.out" >&2; die "lab-tls13-keyupdate: no KeyUpdate sent"; }
	grep -c '^HTTP/1.1 200' "$tmp/lab-tls13-keyupdate.out" | grep -qx 2 ||
		{ tail -20 "$tmp/lab-tls13-keyupdate.out" >&2; die "lab-tls13-keyupdate: not two responses"; }
	# one request: curl 7.88's second request on a reused prior-knowledge
	# connection fails ("Error in the HTTP2 framing layer", exit 16)
	rec lab-h2c "" -- curl -sS --max-time 30 --http2-prior-knowledge -o /dev/null \
		http://www.example.com:8080/
	# one request: Apache ends an upgraded connection with GOAWAY once the
	# upgraded request is answered, and curl 7.88 sometimes sends a second
	# request into it anyway (exit 16)
	rec lab-h2c-upgrade "" -- curl -sS --max-time 30 --http2 -o /dev/null http://www.example.com:8000/

	chrome lab-h2-chromium www.example.com --disable-quic --dump-dom https://www.example.com/
	rec lab-h2-chromium "" -- "${chrome[@]}"
	grep -q 'Hello from www.example.com' "$tmp/lab-h2-chromium.out" ||
		{ tail -20 "$tmp/lab-h2-chromium.out" >&2; die "lab-h2-chromium: the page did not load"; }

	rec lab-altsvc "" -- curl -sS --max-time 30 --cacert "$caf" --http2 -o /dev/null https://h3.example.com/

	# Caddy's access log of this run only: the lines after its present end
	# (truncating it would leave Caddy writing at its old offset)
	local alog=$LAB_STATE/caddy/access.log off
	off=$(stat -c %s "$alog" 2>/dev/null || echo 0)
	chrome lab-h3-chromium h3.example.com --enable-quic \
		--origin-to-force-quic-on=h3.example.com:443 --dump-dom https://h3.example.com/
	rec lab-h3-chromium "" -- "${chrome[@]}"
	grep -q 'Hello from www.example.com' "$tmp/lab-h3-chromium.out" ||
		{ tail -20 "$tmp/lab-h3-chromium.out" >&2; die "lab-h3-chromium: the page did not load"; }
	sleep 1
	tail -c +$((off + 1)) "$alog" >"$OUT/lab-h3-chromium.access.log" || die "no caddy access log"
	grep -q '"proto":"HTTP/3.0"' "$OUT/lab-h3-chromium.access.log" ||
		die "lab-h3-chromium: no HTTP/3 request in Caddy's access log"
	recorded="$recorded lab-h3-chromium.access.log"

	chrome lab-quic-fallback fallback.example.com --enable-quic --dump-dom https://fallback.example.com/
	rec lab-quic-fallback "port 53 or port 443 or icmp or (icmp6 and ip6[40] == 1)" -- "${chrome[@]}"
	grep -q 'Hello from www.example.com' "$tmp/lab-quic-fallback.out" ||
		{ tail -20 "$tmp/lab-quic-fallback.out" >&2; die "lab-quic-fallback: the page did not load"; }
}

case $set_ in
net) record_net ;;
keys) record_keys ;;
all) record_net; record_keys ;;
esac

# ---------------------------------------------------------------- summary
if [ -n "${SUDO_UID:-}" ] && [ -n "${SUDO_GID:-}" ]; then
	for f in $recorded; do chown "$SUDO_UID:$SUDO_GID" "$OUT/$f" 2>/dev/null; done
fi
echo "captures in $OUT:"
for f in $recorded; do
	case $f in *.pcap) ;; *) printf '  %-32s %8s bytes\n' "$f" "$(wc -c <"$OUT/$f")"; continue ;; esac
	n=$("$ft" -q -r "$OUT/$f" 2>/dev/null | sed -n 's/^packets: \([0-9]*\) read.*/\1/p')
	printf '  %-32s %8s bytes %5s packets\n' "$f" "$(wc -c <"$OUT/$f")" "${n:-?}"
done
