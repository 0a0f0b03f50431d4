#!/bin/sh
# live.sh - live capture as root: in a private network namespace, run fetchtrace -i lo beside
# a real DNS server (dnsmasq) and HTTP server (python3 http.server), fetch with curl, stop it
# with SIGINT, and check that the fetch shows resolve, connect, write, read, close in order,
# that the default live filter brings the ICMP port unreachable of a DNS query and of a QUIC
# Initial sent to closed ports,
# linked to its name; that -Z dropped privileges (the -w file belongs to that user); and that
# the capture statistics reach stderr; -- curl over HTTPS is decrypted with the command's own
# key log.  Without root (or the servers) it is skipped, and says so.
set -u
cd "$(dirname "$0")/.." || exit 1
bin=$(pwd)/${FETCHTRACE:-build/san/fetchtrace}
export TZ=UTC LC_ALL=C

skip() { echo "skip live: $1"; echo "live: 0 passed, 0 failed, 1 skipped"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace and live capture)"
for c in ip ss dnsmasq curl python3; do
	command -v $c >/dev/null 2>&1 || skip "$c not installed"
done

ns=ftlive$$
tmp=$(mktemp -d) || exit 1
chmod 755 "$tmp"
pids=""
cleanup() {
	for pid in $pids; do kill "$pid" 2>/dev/null; done
	for pid in $pids; do wait "$pid" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
	rm -rf "/etc/netns/$ns" "$tmp"
}
trap cleanup EXIT INT TERM

ip netns add "$ns" || skip "cannot create a network namespace"
ip -n "$ns" link set lo up
mkdir -p "/etc/netns/$ns"
echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"/etc/netns/$ns/hosts"

ip netns exec "$ns" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --pid-file= \
	--listen-address=127.0.0.1 --bind-interfaces --address=/live.lab.test/127.0.0.1 \
	--log-facility=- 2>"$tmp/dnsmasq.log" &
pids="$pids $!"
mkdir "$tmp/www"
echo '<html><body>live test page</body></html>' >"$tmp/www/index.html"
(cd "$tmp/www" && exec ip netns exec "$ns" python3 -m http.server 80 --bind 127.0.0.1) \
	>"$tmp/http.log" 2>&1 &
pids="$pids $!"

mkdir "$tmp/w" && chmod 1777 "$tmp/w"
# LeakSanitizer cannot inspect a process that changed its uid: leaks are checked elsewhere.
ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" "$bin" -i lo -Z nobody -w "$tmp/w/live.pcap" \
	'port 53 or port 80' >"$tmp/out" 2>"$tmp/err" &
ft=$!
pids="$pids $ft"
# a second capture on "any" (Linux cooked) with the default live filter, dropping to the
# sudo user as `sudo fetchtrace` would
SUDO_UID=65534 SUDO_GID=65534 ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" "$bin" -i any \
	>"$tmp/out-any" 2>"$tmp/err-any" &
ft2=$!
pids="$pids $ft2"

# wait for the capture and the servers to be ready (without connecting: that would be traffic)
for _ in $(seq 1 100); do
	grep -q 'listening on lo' "$tmp/err" 2>/dev/null &&
		grep -q 'listening on any' "$tmp/err-any" 2>/dev/null &&
		ip netns exec "$ns" ss -ltnH 'sport = :80' | grep -q . &&
		ip netns exec "$ns" ss -lunH 'sport = :53' | grep -q . && break
	sleep 0.1
done
sleep 0.3
ip netns exec "$ns" curl -s -o "$tmp/page" --max-time 10 http://live.lab.test/
curl_rc=$?
# ICMP port unreachable (issue 11): a DNS query to 127.0.0.2, where nothing listens (dnsmasq
# is bound to 127.0.0.1), a QUIC Initial's first bytes to UDP 443, and a datagram to port 9
# (nothing of ours: captured by the default filter, shown only with --all)
ip netns exec "$ns" python3 - <<'PY'
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
q = struct.pack("!HHHHHH", 0x1ce5, 0x0100, 1, 0, 0, 0) + b"\x05nodns\x03lab\x04test\x00\x00\x01\x00\x01"
s.sendto(q, ("127.0.0.2", 53))
init = bytes([0xC3]) + struct.pack("!I", 1) + bytes([8]) + bytes(range(1, 9)) + b"\x00\x00" + \
    struct.pack("!H", 0x4000 | 1182) + bytes(1182)
s.sendto(init, ("127.0.0.1", 443))
s.sendto(b"discard me", ("127.0.0.1", 9))
PY
sleep 0.5
kill -INT "$ft"
kill -TERM "$ft2"
wait "$ft"; ft_rc=$?
wait "$ft2"; ft2_rc=$?
pids=$(echo "$pids" | sed "s/ $ft//; s/ $ft2//")

p=0 f=0
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then echo "ok live $d"; p=$((p + 1)); else echo "FAIL live $d"; f=$((f + 1)); fi
}
check "curl fetched the page" [ "$curl_rc" -eq 0 ]
check "fetchtrace exited 0 after SIGINT" [ "$ft_rc" -eq 0 ]
check "capture statistics on stderr" grep -q 'packets dropped by kernel' "$tmp/err"
check "fetch linked to its name" grep -q '^fetch 1  live.lab.test -> 127.0.0.1 port 80, from DNS answer' "$tmp/out"
# line numbers of the DNS answer and of the first connect/write/read/close of f1 c1
order_of() {
	awk '
	/^ *[0-9]+\.[0-9]+ +resolve .*answer #.* live\.lab\.test IN A/ && !r { r = NR }
	/ f1 c1 / { for (s = 2; s <= 5; s++) if ($2 == name[s] && !at[s]) at[s] = NR }
	BEGIN { name[2] = "connect"; name[3] = "write"; name[4] = "read"; name[5] = "close" }
	END { at[1] = r; for (s = 1; s <= 5; s++) printf "%d ", at[s] }' "$1"
}
in_order() { # five non-zero line numbers, increasing
	set -- $1
	[ $# -eq 5 ] && [ "$1" -gt 0 ] && [ "$1" -lt "$2" ] && [ "$2" -lt "$3" ] && [ "$3" -lt "$4" ] && [ "$4" -lt "$5" ]
}
order=$(order_of "$tmp/out")
check "resolve, connect, write, read, close in order (lines $order)" in_order "$order"
order2=$(order_of "$tmp/out-any")
check "-i any: the same five steps in order (lines $order2)" in_order "$order2"
check "-i any: Linux cooked link type" grep -q -E 'listening on any, link type LINUX_SLL2?,' "$tmp/err-any"
check "-i any: SIGTERM stops it cleanly" [ "$ft2_rc" -eq 0 ]
check "-i any: linked to its name" grep -q '^fetch 1  live.lab.test -> 127.0.0.1 port 80' "$tmp/out-any"
check "-i any, default filter: port unreachable for the DNS query" grep -q \
	'ICMP port unreachable for the DNS query #1ce5 nodns.lab.test to 127.0.0.2:53, no DNS server there' "$tmp/out-any"
check "-i any, default filter: port unreachable for the QUIC Initial, in its fetch" grep -q \
	'connect  connect()      f[0-9]* .*ICMP port unreachable for the QUIC Initial to 127.0.0.1:443, no HTTP/3 there' "$tmp/out-any"
check "-i any, default filter: an error quoting port 9 is captured (other), not shown" sh -c \
	"! grep -q 'to 127.0.0.1:9,' '$tmp/out-any' &&
	 grep -Eq '^packets: [0-9]+ read, [0-9]+ decoded, [1-9][0-9]* other' '$tmp/out-any'"
ip netns exec "$ns" "$bin" >"$tmp/o3" 2>"$tmp/e3"; rc=$?
check "no -i and no usable interface: one line, exit 1" sh -c \
	"[ $rc -eq 1 ] && [ \$(wc -l <'$tmp/e3') -eq 1 ] && grep -q 'no up, non-loopback interface' '$tmp/e3'"
check "-w file written by the dropped user" [ "$(stat -c %U "$tmp/w/live.pcap" 2>/dev/null)" = nobody ]
n_live=$(grep -c -E '^ *[0-9]+\.[0-9]+ ' "$tmp/out")
n_file=$("$bin" -r "$tmp/w/live.pcap" 2>/dev/null | grep -c -E '^ *[0-9]+\.[0-9]+ ')
check "-w file holds the packets shown ($n_live live, $n_file from the file)" sh -c "[ '$n_live' -gt 0 ] && [ '$n_live' -eq '$n_file' ]"
# trace a command: run it as the user behind sudo, trace its fetch, pass its status on
SUDO_UID=65534 SUDO_GID=65534 ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" "$bin" -i lo -- \
	sh -c 'echo "uid $(id -u)"; curl -s -o /dev/null --max-time 10 http://live.lab.test/; exit 3' \
	>"$tmp/out-cmd" 2>"$tmp/err-cmd"
cmd_rc=$?
check "trace a command: its exit status (3) is passed on" [ "$cmd_rc" -eq 3 ]
check "trace a command: it ran as the invoking user" grep -q '^uid 65534$' "$tmp/out-cmd"
order3=$(order_of "$tmp/out-cmd")
check "trace a command: its fetch shows the five steps in order (lines $order3)" in_order "$order3"
ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" "$bin" -i lo -- /nonexistent/cmd >/dev/null 2>"$tmp/err-nx"
check "trace a command that cannot run: status 127 and a message" sh -c \
	"[ $? -eq 127 ] && grep -q 'cannot run /nonexistent/cmd' '$tmp/err-nx'"
# HTTPS with no key log option (issue 10): -- CMD gives the command a private key log
# (SSLKEYLOGFILE), so the HTTP/1.1 inside TLS is decrypted: GET / on a write line, 200 on
# a read line; the key log is gone afterwards.
if command -v openssl >/dev/null 2>&1; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=live.lab.test -addext subjectAltName=DNS:live.lab.test \
		-keyout "$tmp/k.pem" -out "$tmp/c.pem" >/dev/null 2>&1
	(cd "$tmp/www" && exec ip netns exec "$ns" python3 -c '
import http.server, ssl, sys
s = http.server.HTTPServer(("127.0.0.1", 443), http.server.SimpleHTTPRequestHandler)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(sys.argv[1], sys.argv[2])
s.socket = c.wrap_socket(s.socket, server_side=True)
s.serve_forever()' "$tmp/c.pem" "$tmp/k.pem") >"$tmp/https.log" 2>&1 &
	pids="$pids $!"
	for _ in $(seq 1 100); do
		ip netns exec "$ns" ss -ltnH 'sport = :443' | grep -q . && break
		sleep 0.1
	done
	# shellcheck disable=SC2016 # the command's shell expands it
	ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" "$bin" -i lo -- \
		sh -c 'echo "keylog $SSLKEYLOGFILE"; curl -s -o /dev/null --max-time 10 --http1.1 --cacert '"$tmp/c.pem"' https://live.lab.test/' \
		>"$tmp/out-tls" 2>"$tmp/err-tls"
	check "HTTPS -- curl: exit 0" [ $? -eq 0 ]
	check "HTTPS -- curl: GET / decrypted on a write line" \
		grep -q -E '^ *[0-9.]+ write .*443 .*GET / HTTP/1.1' "$tmp/out-tls"
	# (python's server sends its response with its FIN: that line is close)
	check "HTTPS -- curl: 200 decrypted on a server line" \
		grep -q -E '^ *[0-9.]+ (read|close) .*:443 > .*HTTP/1.[01] 200' "$tmp/out-tls"
	check "HTTPS -- curl: the HTTP exchange over TLS in the summary" \
		grep -q -E '^  c[0-9]+ .*:443  tls http ' "$tmp/out-tls"
	klf=$(sed -n 's/^keylog //p' "$tmp/out-tls")
	check "HTTPS -- curl: the private key log ($klf) is removed" sh -c "[ -n '$klf' ] && [ ! -e '$klf' ]"
	check "HTTPS -- curl: no secret printed" sh -c "! grep -q -i -E 'CLIENT_RANDOM|TRAFFIC_SECRET' '$tmp/out-tls' '$tmp/err-tls'"
else
	echo "skip live: HTTPS (openssl not installed)"
fi
if [ $f -ne 0 ]; then
	echo "--- fetchtrace stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
	echo "--- HTTPS"; cat "$tmp/out-tls" "$tmp/err-tls" 2>/dev/null
	echo "--- traced command"; cat "$tmp/out-cmd" "$tmp/err-cmd"
	echo "--- -i any"; cat "$tmp/out-any" "$tmp/err-any"
fi
echo "live: $p passed, $f failed"
[ $f -eq 0 ]
