#!/bin/sh
# h2c-doh.sh - record captures/h2c-doh.pcap on loopback (root): DNS over HTTPS
# (RFC 8484) in cleartext HTTP/2, then the page fetch its answer leads to, its
# requests multiplexed on one HTTP/2 connection.
#   1. nghttp (prior knowledge) GET /dns-query?dns=... (www.example.com A) from
#      Unbound with `http-notls-downstream: yes` (DoH without TLS, on 127.0.0.53) -> 127.0.0.1
#   2. nghttp POST /dns-query (www.example.com AAAA; content-type
#      application/dns-message) -> NOERROR, no AAAA
#   3. nghttp -a-less, four URIs on one connection: /, /style.css (3000 B),
#      /img.bin (40000 B: several DATA frames), /missing (404), concurrent streams
#      1, 3, 5, 7 from nginx (listen ... http2)
# Only 127.0.0.1 (nginx) and 127.0.0.53 (unbound) are used; both run from a temp dir and stop at the end.
#   sh tests/record/h2c-doh.sh [OUT.pcap]
set -eu
. "$(dirname "$0")/lib.sh"
out=${1:-captures/h2c-doh.pcap}
doh=18443
web=18189
dir=$(mktemp -d /tmp/ft-h2cdoh.XXXXXX)
mkdir -p "$dir/html" "$dir/tmp"
chmod 755 "$dir" "$dir/html"
printf '<!doctype html><title>h2c</title><link rel=stylesheet href=/style.css><img src=/img.bin>\n' >"$dir/html/index.html"
awk 'BEGIN { s = ""; while (length(s) < 3000) s = s sprintf(".c%04d { color: #%06x; }\n", n, n++ * 7919 % 16777216); printf "%s", substr(s, 1, 3000) }' >"$dir/html/style.css"
head -c 40000 /dev/zero | tr '\0' 'x' >"$dir/html/img.bin"
chmod 644 "$dir/html/"*
{ nginx_head; cat <<CONF
	types { text/html html; text/css css; application/octet-stream bin; }
	server_tokens off;
	server {
		listen 127.0.0.1:$web http2;
		root html;
	}
}
CONF
} >"$dir/nginx.conf"
cat >"$dir/unbound.conf" <<CONF
server:
	verbosity: 1
	use-syslog: no
	logfile: "$dir/unbound.log"
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$dir"
	pidfile: "$dir/unbound.pid"
	num-threads: 1
	interface: 127.0.0.53@$doh
	https-port: $doh
	http-endpoint: "/dns-query"
	http-notls-downstream: yes
	port: 18153
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	local-zone: "example.com." static
	local-data: "www.example.com. 300 IN A 127.0.0.1"
remote-control:
	control-enable: no
CONF
nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log"
unbound -c "$dir/unbound.conf" &
ub=$!
trap 'kill "$(cat "$dir/nginx.pid")" 2>/dev/null; kill "$ub" 2>/dev/null; [ -n "${cap:-}" ] && kill "$cap" 2>/dev/null; rm -rf "$dir"' EXIT
dumpcap -q -i lo -f "tcp port $doh or tcp port $web" -P -w "$dir/out.pcap" 2>"$dir/cap.log" &
cap=$!
sleep 2
# a DNS query: id 0 (RFC 8484 4.1), RD, one question www.example.com TYPE IN
q() { # q TYPE -> the query's bytes on stdout
	python3 -c 'import sys; t = int(sys.argv[1]); sys.stdout.buffer.write(bytes([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]) + b"\x03www\x07example\x03com\x00" + bytes([t >> 8, t & 255, 0, 1]))' "$1"
}
b64=$(q 1 | base64 -w0 | tr '+/' '-_' | tr -d '=')
nghttp -H 'accept: application/dns-message' "http://127.0.0.53:$doh/dns-query?dns=$b64" >/dev/null
q 28 >"$dir/aaaa.bin"
nghttp -H 'content-type: application/dns-message' -H 'accept: application/dns-message' \
	-d "$dir/aaaa.bin" "http://127.0.0.53:$doh/dns-query" >/dev/null
sleep 0.2
nghttp "http://127.0.0.1:$web/" "http://127.0.0.1:$web/style.css" "http://127.0.0.1:$web/img.bin" \
	"http://127.0.0.1:$web/missing" >/dev/null
sleep 1
kill "$cap"; wait "$cap" 2>/dev/null || true
cap=""
cp "$dir/out.pcap" "$out"
echo "wrote $out"
