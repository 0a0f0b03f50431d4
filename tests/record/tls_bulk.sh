#!/bin/sh
# tls_bulk.sh - record captures/tls-bulk.pcap and captures/tls-bulk.keys: TLS records that
# span many wire-sized segments, so that fetchtrace decrypts them piece by piece as the
# segments come (and, with a second core, on its decryption worker: issue 15).
#
#   sh tests/record/tls_bulk.sh [OUT.pcap] [OUT.keys]          (root: two network namespaces)
#
# A veth pair between a client and a server namespace (10.93.0.1, 10.93.0.2), MTU 1500 and
# segmentation offloads off (the capture holds 1448-byte segments, as on a real link); on the
# server nginx serves a 40,000-byte text file over HTTPS (a throw-away self-signed ECDSA
# certificate); on the client curl (SSLKEYLOGFILE) fetches it twice on one connection, three
# times over: TLS 1.3 TLS_AES_256_GCM_SHA384, TLS 1.3 TLS_CHACHA20_POLY1305_SHA256, TLS 1.2
# ECDHE-ECDSA-AES128-GCM-SHA256 (an explicit nonce in each record).  tcpdump records the
# client's side.  Traffic stays inside the namespaces.
set -eu
. "$(dirname "$0")/lib.sh"
out=${1:-captures/tls-bulk.pcap}
keys=${2:-captures/tls-bulk.keys}
[ "$(id -u)" -eq 0 ] || { echo "tls_bulk.sh: needs root" >&2; exit 1; }
for c in ip ethtool openssl curl tcpdump nginx; do
	command -v $c >/dev/null 2>&1 || { echo "tls_bulk.sh: $c not installed" >&2; exit 1; }
done
c=ftbc$$ s=ftbs$$
dir=$(mktemp -d /tmp/ft-tlsbulk.XXXXXX)
cleanup() {
	[ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
	[ -n "${tcpd:-}" ] && kill "$tcpd" 2>/dev/null || true
	ip netns del $c 2>/dev/null || true
	ip netns del $s 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
veth_pair $c $s vb0 vb1 10.93.0

mkdir -p "$dir/html" "$dir/tmp"
chmod 755 "$dir" "$dir/html"   # nginx's worker (not root) reads the docroot
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=bulk.test -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
# 40,000 bytes of numbered lines: what the test counts
awk 'BEGIN { s = ""; n = 0; while (length(s) < 40000) s = s sprintf("line %05d of the bulk body\n", n++); printf "%s", substr(s, 1, 40000) }' \
	>"$dir/html/bulk.txt"
chmod 644 "$dir/html/bulk.txt"
{ nginx_head; cat <<CONF
	default_type text/plain;
	server {
		listen 10.93.0.2:443 ssl;
		ssl_certificate $dir/cert.pem;
		ssl_certificate_key $dir/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_session_tickets off;
		root $dir/html;
	}
}
CONF
} >"$dir/nginx.conf"
ip netns exec $s nginx -p "$dir" -c "$dir/nginx.conf"
ip netns exec $c tcpdump -i vb0 -s 0 -w "$dir/out.pcap" 'tcp port 443' 2>"$dir/tcpdump.err" &
tcpd=$!
for _ in $(seq 1 50); do
	grep -q listening "$dir/tcpdump.err" 2>/dev/null && break
	sleep 0.1
done
: >"$dir/keys"
u=https://10.93.0.2/bulk.txt
fetch() { # fetch CURL-OPTIONS...: the file twice on one connection
	SSLKEYLOGFILE=$dir/keys ip netns exec $c curl -sS -k --http1.1 --max-time 20 "$@" \
		-o "$dir/got1" -o "$dir/got2" "$u" "$u"
	cmp -s "$dir/got1" "$dir/html/bulk.txt" && cmp -s "$dir/got2" "$dir/html/bulk.txt" ||
		{ echo "tls_bulk.sh: curl $*: the body did not come whole" >&2; exit 1; }
}
fetch --tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384
fetch --tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256
fetch --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256
sleep 1
kill -INT $tcpd
wait $tcpd 2>/dev/null || true
tcpd=
cp "$dir/out.pcap" "$out"
cp "$dir/keys" "$keys"
echo "tls_bulk.sh: $out: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets, $(wc -c <"$out") bytes; $keys: $(wc -l <"$keys") lines"
