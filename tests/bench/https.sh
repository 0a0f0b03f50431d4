#!/bin/sh
# https.sh - record an HTTPS-heavy capture and its key log for `make bench` (issue 15: decrypting
# must cost at most 1.5x the same file without keys).
#
# usage: sh tests/bench/https.sh OUT.pcap OUT.keys      (root: two network namespaces)
#
# A veth pair between a client and a server namespace, MTU 1500, segmentation offloads off (so
# the capture holds wire-sized segments, as a browser's would); on the server a Python TLS 1.3
# server (a throw-away self-signed certificate) serves a 256 KiB body over HTTP/1.1 keep-alive;
# 48 curl clients (SSLKEYLOGFILE) fetch it 16 times each, 4 at a time; tcpdump records the
# client's side.  About 200 MB, 180,000 packets (long enough to time without start-up noise).
# Traffic stays inside the namespaces.
set -eu
. "$(dirname "$0")/../record/lib.sh"
[ $# -eq 2 ] || { echo "usage: https.sh OUT.pcap OUT.keys" >&2; exit 2; }
out=$1 keys=$2
[ "$(id -u)" -eq 0 ] || { echo "https.sh: needs root" >&2; exit 1; }
for c in ip ethtool openssl curl tcpdump python3; do
	command -v $c >/dev/null 2>&1 || { echo "https.sh: $c not installed" >&2; exit 1; }
done
c=fthc$$ s=fths$$
tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	ip netns del $c 2>/dev/null || true
	ip netns del $s 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
veth_pair $c $s vh0 vh1 10.91.0

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=bench.test -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
head -c 262144 /dev/urandom >"$tmp/big"
cat >"$tmp/srv.py" <<'PY'
import http.server, ssl, sys, os
os.chdir(sys.argv[1])
class H(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("10.91.0.2", 443), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain(sys.argv[1] + "/cert.pem", sys.argv[1] + "/key.pem")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
ip netns exec $s python3 "$tmp/srv.py" "$tmp" &
pids="$pids $!"
ip netns exec $c tcpdump -i vh0 -s 0 -w "$out" 'tcp port 443' 2>"$tmp/tcpdump.err" &
tcpd=$!
pids="$pids $tcpd"
for _ in $(seq 1 100); do
	ip netns exec $s python3 -c 'import socket; s=socket.socket(); s.settimeout(0.2); s.connect(("10.91.0.2", 443))' 2>/dev/null && break
	sleep 0.1
done
grep -q listening "$tmp/tcpdump.err" 2>/dev/null || sleep 1
: >"$keys"
i=0
while [ $i -lt 48 ]; do
	j=0
	while [ $j -lt 4 ]; do
		SSLKEYLOGFILE=$keys ip netns exec $c curl -sk --http1.1 -o /dev/null -o /dev/null -o /dev/null \
			-o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
			-o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
			-o /dev/null "https://10.91.0.2/big?[1-16]" &
		j=$((j + 1))
		i=$((i + 1))
	done
	wait $! 2>/dev/null || true
	sleep 0.2
done
sleep 1
kill -INT $tcpd
wait $tcpd 2>/dev/null || true
echo "https.sh: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets, $(wc -c <"$out") bytes, $(wc -l <"$keys") key log lines"
