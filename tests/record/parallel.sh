#!/bin/sh
# parallel.sh - record captures/loopback-parallel.pcap: 80 HTTP/1.1 fetches at
# once over 80 connections to an nginx on 127.0.0.1 (loopback only, no DNS).
#
# Run as root:   sh tests/record/parallel.sh [OUT.pcap]
# Needs nginx (the Debian package), curl and dumpcap (wireshark-common).
# nginx's limit_req (200 requests a second, burst 100, no nodelay) holds the
# responses back, so all 80 requests are on the wire before most responses:
# each exchange's response arrives after tens of later exchanges began (the
# case of issue 9, bug 5).  The body is 3 bytes ("ok\n").
set -eu
out=${1:-$(cd "$(dirname "$0")/../.." && pwd)/captures/loopback-parallel.pcap}
port=18084
dir=$(mktemp -d)
trap 'kill "$(cat "$dir/nginx.pid" 2>/dev/null)" 2>/dev/null; kill "$dpid" 2>/dev/null; rm -rf "$dir"' EXIT
dpid=
mkdir -p "$dir/www" "$dir/tmp" "$dir/out"
printf 'ok\n' >"$dir/www/a.txt"
chmod 755 "$dir" "$dir/www" && chmod 644 "$dir/www/a.txt" # nginx's worker is not root
cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 512; }
http {
	access_log off;
	server_tokens off;
	client_body_temp_path $dir/tmp;
	proxy_temp_path $dir/tmp;
	fastcgi_temp_path $dir/tmp;
	uwsgi_temp_path $dir/tmp;
	scgi_temp_path $dir/tmp;
	limit_req_zone \$binary_remote_addr zone=slow:1m rate=200r/s;
	server {
		listen 127.0.0.1:$port;
		limit_req zone=slow burst=100;
		root $dir/www;
		default_type text/plain;
		etag off;
	}
}
CONF
nginx -p "$dir" -c "$dir/nginx.conf"
dumpcap -q -P -i lo -f "tcp port $port" -w "$dir/cap.pcap" 2>/dev/null &
dpid=$!
sleep 2
curl -sS --no-progress-meter --parallel --parallel-immediate --parallel-max 80 -o "$dir/out/#1" \
	"http://127.0.0.1:$port/a.txt?n=[1-80]"
sleep 1
kill "$dpid"
wait "$dpid" || true
dpid=
n=$(grep -l '^ok$' "$dir"/out/* | wc -l)
[ "$n" -eq 80 ] || { echo "parallel.sh: $n of 80 fetches got the body" >&2; exit 1; }
cp "$dir/cap.pcap" "$out"
echo "recorded $out"
