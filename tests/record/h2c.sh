#!/bin/sh
# h2c.sh - record captures/h2c-prior-knowledge.pcap: one cleartext HTTP/2 exchange
# (prior knowledge, RFC 9113 3.3) on loopback between curl --http2-prior-knowledge and
# nginx (listen ... http2) serving a 3000-byte CSS file and a 404, two connections (curl
# 7.88.1 fails a second stream on a reused prior-knowledge connection with "Error in the
# HTTP2 framing layer", so -Z --parallel-immediate gives each request its own).  Root.
#   sh tests/record/h2c.sh [OUT.pcap] [PORT]
# Only 127.0.0.1 is used; nginx runs from a temp dir and is stopped at the end.
set -eu
. "$(dirname "$0")/lib.sh"
out=${1:-captures/h2c-prior-knowledge.pcap}
port=${2:-18187}
dir=$(mktemp -d /tmp/ft-h2c.XXXXXX)
mkdir -p "$dir/html" "$dir/tmp"
chmod 755 "$dir" "$dir/html"   # nginx's worker (not root) reads the docroot
# 3000 bytes of CSS (one DATA frame and END_STREAM), the body the test counts
awk 'BEGIN { s = ""; while (length(s) < 3000) s = s sprintf(".c%04d { color: #%06x; }\n", n, n++ * 7919 % 16777216); printf "%s", substr(s, 1, 3000) }' >"$dir/html/style.css"
chmod 644 "$dir/html/style.css"
{ nginx_head; cat <<CONF
	types { text/css css; }
	server_tokens off;
	server {
		listen 127.0.0.1:$port http2;
		root html;
	}
}
CONF
} >"$dir/nginx.conf"
nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log"
trap 'kill "$(cat "$dir/nginx.pid")" 2>/dev/null; [ -n "${cap:-}" ] && kill "$cap" 2>/dev/null; rm -rf "$dir"' EXIT
dumpcap -q -i lo -f "tcp port $port" -P -w "$dir/out.pcap" 2>"$dir/cap.log" &
cap=$!
sleep 2
curl -sS -Z --parallel-immediate -o /dev/null -o /dev/null --http2-prior-knowledge "http://127.0.0.1:$port/style.css" "http://127.0.0.1:$port/nope"
sleep 1
kill "$cap"; wait "$cap" 2>/dev/null || true
cap=""
cp "$dir/out.pcap" "$out"
echo "wrote $out"
