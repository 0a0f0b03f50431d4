#!/bin/sh
# dsblive.sh - live -w FILE.pcapng (issue 16) as root: in a private network namespace,
# openssl s_server -www with a self-signed certificate on 127.0.0.1:8443, and
# fetchtrace -i lo -w live.pcapng -- curl -k --http1.1 (the command's private key log).
# The client writes its secrets after the server's first flight was captured; the held
# packets wait for them, so tshark -r live.pcapng (no key log option) decrypts the GET.
# Without root, openssl, curl or tshark it is skipped, and says so.
set -u
cd "$(dirname "$0")/.." || exit 1
bin=$(pwd)/${FETCHTRACE:-build/san/fetchtrace}
export TZ=UTC LC_ALL=C

skip() { echo "skip dsblive: $1"; echo "dsblive: 0 passed, 0 failed, 1 skipped"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace and live capture)"
for c in ip openssl curl tshark; do
	command -v $c >/dev/null 2>&1 || skip "$c not installed"
done

ns=ftdsb$$
tmp=$(mktemp -d) || exit 1
chmod 755 "$tmp"
pids=""
cleanup() {
	for pid in $pids; do kill "$pid" 2>/dev/null; done
	for pid in $pids; do wait "$pid" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

p=0 f=0
check() {
	name=$1
	shift
	if "$@"; then
		echo "ok dsblive $name"
		p=$((p + 1))
	else
		echo "FAIL dsblive $name"
		f=$((f + 1))
	fi
}

ip netns add "$ns" || skip "cannot create a network namespace"
ip -n "$ns" link set lo up
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
	-days 1 -subj /CN=localhost >/dev/null 2>&1 || skip "openssl cannot make a certificate"
ip netns exec "$ns" openssl s_server -www -accept 8443 -cert "$tmp/cert.pem" \
	-key "$tmp/key.pem" -quiet </dev/null >"$tmp/srv.log" 2>&1 &
pids="$pids $!"
i=0
until ip netns exec "$ns" sh -c 'exec 3<>/dev/tcp/127.0.0.1/8443' 2>/dev/null ||
	[ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

mkdir "$tmp/w" && chmod 1777 "$tmp/w"
ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" "$bin" -i lo -w "$tmp/w/live.pcapng" \
	--annotations "$tmp/w/notes" -- \
	curl -s -k --http1.1 -o /dev/null --max-time 10 https://127.0.0.1:8443/ \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
check "fetchtrace -- curl exited 0" [ "$rc" -eq 0 ]
check "the fetch was decrypted live" grep -q 'GET /' "$tmp/out"
tshark -r "$tmp/w/live.pcapng" -Y http.request 2>/dev/null >"$tmp/req"
check "tshark -r live.pcapng (no key log option) decrypts the GET" grep -q 'GET / ' "$tmp/req"
tshark -r "$tmp/w/live.pcapng" -T fields -e frame.comment 2>/dev/null >"$tmp/comments"
check "each held packet keeps its own comment (equal to --annotations)" \
	sh -c "[ -s '$tmp/comments' ] && cmp -s '$tmp/comments' '$tmp/w/notes'"
n_live=$(grep -c -E '^ *[0-9]+\.[0-9]+ ' "$tmp/out")
n_file=$(tshark -r "$tmp/w/live.pcapng" 2>/dev/null | wc -l)
check "every packet shown is in the file ($n_live shown, $n_file in the file)" \
	[ "$n_live" -gt 0 ] && [ "$n_live" -eq "$n_file" ]
if [ "$f" -ne 0 ]; then
	echo "--- fetchtrace stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
fi
echo "dsblive: $p passed, $f failed, 0 skipped"
[ "$f" -eq 0 ]
