#!/bin/sh
# cmd.sh - `fetchtrace -- CMD` shows only the command's own traffic.  As root, in a private
# network namespace with a DNS server and an HTTP server on loopback, fetchtrace runs as the user
# behind sudo (SUDO_UID=nobody) and traces a command that resolves and fetches over IPv4 and
# IPv6 and leaves an orphan that fetches after the command exited; meanwhile a loop of curl
# run by the same user, outside the command, resolves and fetches other names.  Checked: the
# command's HOME is the user's; its DNS queries, connections and requests are shown, the
# other loop's are not (counted as hidden in the summary, text and JSON), and are shown with
# --all; -w saves only what is shown; Ctrl-C stops the command and fetchtrace exits 130.
set -u
cd "$(dirname "$0")/.." || exit 1
bin=$(pwd)/${FETCHTRACE:-build/san/fetchtrace}
export TZ=UTC LC_ALL=C
skip() { echo "skip cmd: $1"; echo "cmd: 0 passed, 0 failed, 1 skipped"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace and live capture)"
for c in ip ss curl python3 setpriv; do
	command -v $c >/dev/null 2>&1 || skip "$c not installed"
done
[ -x "$bin" ] || { echo "FAIL cmd: $bin not built"; echo "cmd: 0 passed, 1 failed"; exit 1; }
uid=65534 gid=65534
home=$(getent passwd $uid | cut -d: -f6)
p=0 f=0
ok() { echo "ok cmd $1"; p=$((p + 1)); }
bad() { echo "FAIL cmd $1"; f=$((f + 1)); }

ns=ftcmd$$
tmp=$(mktemp -d) || exit 1
chmod 0777 "$tmp"
pids=""
cleanup() {
	for pid in $pids; do kill "$pid" 2>/dev/null; done
	for pid in $pids; do wait "$pid" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
	rm -rf "/etc/netns/$ns" "$tmp"
}
trap cleanup EXIT INT TERM
[ -n "${CMD_KEEP:-}" ] && trap 'cp -r "$tmp" "$CMD_KEEP"; cleanup' EXIT
ip netns add "$ns" || skip "cannot create a network namespace"
ip -n "$ns" link set lo up
mkdir -p "/etc/netns/$ns"
echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"/etc/netns/$ns/hosts"
# A DNS server that answers every name under lab.test (A 127.0.0.1, AAAA ::1) 5 ms late, as
# one across a network would: a socket closed within a fraction of a millisecond of its first
# packet may be gone before it can be looked up (the limit fetchtrace documents; CMD_KEEP=DIR
# keeps the outputs of a run for a look).
cat >"$tmp/dns.py" <<'PY'
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 17:
        continue
    end = q.index(b"\0", 12) + 5
    qtype = struct.unpack("!H", q[end - 4:end - 2])[0]
    name = q[12:end - 4]
    rdata = {1: socket.inet_pton(socket.AF_INET, "127.0.0.1"),
             28: socket.inet_pton(socket.AF_INET6, "::1")}.get(qtype)
    ok = name.endswith(b"\x03lab\x04test\x00") and rdata is not None
    hdr = q[:2] + struct.pack("!HHHHH", 0x8580 if ok else 0x8583, 1, 1 if ok else 0, 0, 0)
    ans = (b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 0, len(rdata)) + rdata) if ok else b""
    time.sleep(0.005)
    s.sendto(hdr + q[12:end] + ans, peer)
PY
ip netns exec "$ns" python3 "$tmp/dns.py" 2>"$tmp/dns.log" &
pids="$pids $!"
mkdir "$tmp/www"
for n in mine mine6 orphan other late; do echo "$n" >"$tmp/www/$n"; done
# An HTTP server (IPv4 and IPv6) that answers 50 ms late, as one across a network would.
cat >"$tmp/slowhttp.py" <<'PY'
import http.server, socket, time
class Slow(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.05)
        super().do_GET()
class Dual(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
Dual(("::", 8080), Slow).serve_forever()
PY
(cd "$tmp/www" && exec ip netns exec "$ns" python3 "$tmp/slowhttp.py") >"$tmp/http.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 1 100); do
	ip netns exec "$ns" ss -ltnH 'sport = :8080' | grep -q . &&
		ip netns exec "$ns" ss -lunH 'sport = :53' | grep -q . && break
	sleep 0.1
done
# The other program: the same user, outside the command, fetching all the time.
ip netns exec "$ns" setpriv --reuid=$uid --regid=$gid --clear-groups sh -c \
	'while :; do curl -s -o /dev/null --max-time 5 http://other.lab.test:8080/other; sleep 0.05; done' &
pids="$pids $!"
sleep 0.5

# the command: resolve and fetch over IPv4 (A first) and IPv6, and leave an orphan that
# fetches 0.2 s after the command exited (within the capture's grace time)
# shellcheck disable=SC2016 # the command's shell expands them
cmd='echo "$HOME" >'"$tmp"'/home; curl -4 -s -o /dev/null http://mine.lab.test:8080/mine;
curl -6 -s -o /dev/null http://mine6.lab.test:8080/mine6;
(sleep 0.2; curl -s -o /dev/null http://127.0.0.1:8080/orphan) & exit 0'
ft() { # ft OUT ARGS...: fetchtrace as the user behind sudo, -i lo
	o=$1; shift
	ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" env SUDO_UID=$uid SUDO_GID=$gid \
		"$bin" -i lo "$@" >"$o" 2>"$o.err"
}
mkdir "$tmp/w" && chmod 0777 "$tmp/w"   # the -w file is made by the user
ft "$tmp/out" -w "$tmp/w/c.pcap" -- sh -c "$cmd"; rc=$?
if [ $rc -eq 0 ]; then ok "exit status 0, the command's"
else bad "exit status $rc"; sed 's/^/  /' "$tmp/out.err"; fi
if [ "$(cat "$tmp/home" 2>/dev/null)" = "$home" ]; then ok "the command's HOME is the user's ($home)"
else bad "the command's HOME is '$(cat "$tmp/home" 2>/dev/null)', expected $home"; fi
has() { grep -q -- "$2" "$1"; }
theirs='other\.lab\.test\|/other'   # the other program's names and path
for want in 'query #[0-9a-f]* mine.lab.test IN A ' 'answer #[0-9a-f]* mine.lab.test IN A: A 127.0.0.1' \
	'query #[0-9a-f]* mine6.lab.test IN AAAA' '#1 GET /mine HTTP/1.1' '\[::1\]:[0-9]* > \[::1\]:8080 .*SYN' \
	'#1 GET /mine6 HTTP/1.1' '#1 GET /orphan HTTP/1.1'; do
	if has "$tmp/out" "$want"; then ok "the command's own: '$want'"
	else bad "the command's own '$want' is missing"; fi
done
if ! has "$tmp/out" "$theirs"; then ok "the other program's DNS and requests are not shown"
else bad "the other program's traffic is shown:"; grep "$theirs" "$tmp/out" | head -5 | sed 's/^/  /'; fi
hidden=$(sed -n 's/^hidden: \([0-9]*\) packets.*/\1/p' "$tmp/out")
if [ "${hidden:-0}" -gt 0 ] && has "$tmp/out" "^packets: .* $hidden hidden$"; then
	ok "the summary counts $hidden hidden packets"
else bad "no hidden packets counted: $(grep -E '^(packets|hidden):' "$tmp/out")"; fi
if grep -E -q 'AddressSanitizer|runtime error' "$tmp/out.err"; then
	bad "sanitizer report"; sed 's/^/  /' "$tmp/out.err"
fi
# -w saves what is shown
ASAN_OPTIONS=detect_leaks=0 "$bin" -r "$tmp/w/c.pcap" >"$tmp/saved" 2>&1
if has "$tmp/saved" 'GET /mine HTTP' && ! has "$tmp/saved" "$theirs"; then
	ok "-w saved the command's packets only"
else bad "-w file: $(grep -c . "$tmp/saved") lines, other: $(grep -c "$theirs" "$tmp/saved")"; fi

# --all: everything, the other program's traffic too
ft "$tmp/all" --all -- sh -c "$cmd"
if has "$tmp/all" 'GET /other HTTP' && has "$tmp/all" 'query #[0-9a-f]* other.lab.test' &&
	has "$tmp/all" 'GET /mine HTTP' && ! has "$tmp/all" '^hidden:'; then
	ok "--all shows the other program's traffic too, nothing hidden"
else bad "--all: other $(grep -c "$theirs" "$tmp/all"), mine $(grep -c 'GET /mine' "$tmp/all")"; fi

# JSON: the summary's hidden count
if command -v jq >/dev/null 2>&1; then
	ft "$tmp/json" --json -- sh -c "$cmd"
	h=$(jq -r 'select(.type == "summary") | .hidden' "$tmp/json" 2>/dev/null)
	u=$(jq -r 'select(.type == "summary") | .hidden_unknown' "$tmp/json" 2>/dev/null)
	valid=true
	if command -v python3 >/dev/null 2>&1 &&
		! python3 tests/json/validate.py tests/json/fetchtrace.schema.json "$tmp/json" >"$tmp/v" 2>&1; then
		valid=false; sed 's/^/  /' "$tmp/v" | head -5
	fi
	if $valid && [ "${h:-0}" -gt 0 ] 2>/dev/null && [ "${u:-x}" -le "$h" ] 2>/dev/null &&
		! grep -q "$theirs" "$tmp/json"; then
		ok "--json: summary hidden $h (unknown $u), no other program's packet"
	else bad "--json: hidden '$h' unknown '$u', other: $(grep -c "$theirs" "$tmp/json")"; fi
fi

# A port outside the default live filter's: the command's own sockets are what is shown, so its
# traffic is captured whatever the port (the default filter widens to all TCP and UDP)
(cd "$tmp/www" && exec ip netns exec "$ns" python3 -m http.server 18081 --bind 127.0.0.1) \
	>"$tmp/http2.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 1 100); do
	ip netns exec "$ns" ss -ltnH 'sport = :18081' | grep -q . && break
	sleep 0.1
done
ft "$tmp/port" -- curl -s -o /dev/null http://mine.lab.test:18081/mine
if has "$tmp/port" '127\.0\.0\.1:[0-9]* > 127\.0\.0\.1:18081 .*SYN' && has "$tmp/port" '#1 GET /mine HTTP/1.1' &&
	has "$tmp/port" 'answer #[0-9a-f]* mine.lab.test IN A: A 127.0.0.1' && ! has "$tmp/port" "$theirs"; then
	ok "a command's fetch to port 18081 is captured (default filter: all TCP and UDP with -- CMD)"
else bad "a command's fetch to port 18081: $(grep -c . "$tmp/port") lines, $(grep '^packets:' "$tmp/port")"; fi

# Ctrl-C: the command (still running) gets SIGINT, fetchtrace exits 130 after its summary
ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" env SUDO_UID=$uid SUDO_GID=$gid "$bin" -i lo -- \
	sh -c 'curl -s -o /dev/null http://mine.lab.test:8080/late; sleep 100' \
	>"$tmp/int" 2>"$tmp/int.err" &
ft=$!
i=0
while ! grep -q 'GET /late' "$tmp/int" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT $ft
i=0
while kill -0 $ft 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL $ft 2>/dev/null
wait $ft; rc=$?
if [ $rc -eq 130 ] && has "$tmp/int" 'GET /late HTTP' && has "$tmp/int" '^hidden: ' &&
	! has "$tmp/int" "$theirs"; then
	ok "Ctrl-C: exit status 130, the command's fetch shown, the other's hidden"
else bad "Ctrl-C: exit status $rc, late $(grep -c 'GET /late' "$tmp/int"), other $(grep -c "$theirs" "$tmp/int")"; fi
echo "cmd: $p passed, $f failed"
[ $f -eq 0 ]
