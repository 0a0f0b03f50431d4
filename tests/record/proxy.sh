#!/bin/sh
# proxy.sh - record the proxy captures (issue 13) in two network namespaces of our own:
#   ft-frag-pcli  10.78.0.2            curl, tcpdump
#   ft-frag-psrv  10.78.0.3  proxies: Dante (danted) SOCKS4/4a/5 on port 1080, tinyproxy
#                                     (HTTP forward proxy and CONNECT) on port 8888
#                 10.78.0.80 the web: python3 http.server on port 80, openssl s_server
#                                     (TLS 1.3, self-signed for www.proxy.test) on 443
# www.proxy.test is 10.78.0.80 in both namespaces' /etc/hosts (/etc/netns/NS/hosts, made
# and removed here).  Nothing leaves the namespaces.  Writes to OUTDIR (default captures/):
#   lab-proxy-socks.pcap     curl -x socks5h://10.78.0.3:1080 http://www.proxy.test/
#                            curl -x socks4://10.78.0.3:1080 http://www.proxy.test/
#                            curl -x socks5://10.78.0.3:1080 http://www.proxy.test/
#   lab-proxy-connect.pcap   curl -k -x http://10.78.0.3:8888 https://www.proxy.test/
#   lab-proxy-connect.keys   its TLS key log (SSLKEYLOGFILE)
#   lab-proxy-forward.pcap   curl -x http://10.78.0.3:8888 http://www.proxy.test/
# Needs root, iproute2, curl, tcpdump, openssl, python3, dante-server, tinyproxy.
set -eu
outdir=${1:-captures}
C=ft-frag-pcli S=ft-frag-psrv
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	ip netns del $C 2>/dev/null || true
	ip netns del $S 2>/dev/null || true
	rm -rf /etc/netns/$C /etc/netns/$S "$tmp"
}
trap cleanup EXIT
ip netns del $C 2>/dev/null || true
ip netns del $S 2>/dev/null || true
ip netns add $C
ip netns add $S
for ns in $C $S; do
	mkdir -p /etc/netns/$ns
	printf '127.0.0.1 localhost\n10.78.0.80 www.proxy.test\n' >/etc/netns/$ns/hosts
done
ip link add ftpx-c netns $C type veth peer name ftpx-s netns $S
ip netns exec $C sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec $S sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip -n $C addr add 10.78.0.2/24 dev ftpx-c
ip -n $S addr add 10.78.0.3/24 dev ftpx-s
ip -n $S addr add 10.78.0.80/24 dev ftpx-s
ip -n $C link set lo up
ip -n $S link set lo up
ip -n $C link set ftpx-c up
ip -n $S link set ftpx-s up
cmac=$(ip -n $C -br link show ftpx-c | awk '{print $3}')
smac=$(ip -n $S -br link show ftpx-s | awk '{print $3}')
ip -n $C neigh replace 10.78.0.3 lladdr "$smac" dev ftpx-c
ip -n $C neigh replace 10.78.0.80 lladdr "$smac" dev ftpx-c
ip -n $S neigh replace 10.78.0.2 lladdr "$cmac" dev ftpx-s

# the web
mkdir -p "$tmp/www"
printf '<html><body>through a proxy</body></html>\n' >"$tmp/www/index.html"
(cd "$tmp/www" && exec ip netns exec $S python3 -m http.server 80 --bind 10.78.0.80 \
	>/dev/null 2>&1) &
pids="$pids $!"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=www.proxy.test -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
ip netns exec $S openssl s_server -quiet -accept 10.78.0.80:443 -cert "$tmp/cert.pem" \
	-key "$tmp/key.pem" -www -tls1_3 >/dev/null 2>&1 &
pids="$pids $!"
# the proxies
cat >"$tmp/danted.conf" <<EOF
logoutput: ${DANTE_LOG:-/dev/null}
internal: 10.78.0.3 port = 1080
external: 10.78.0.3
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
EOF
ip netns exec $S danted -f "$tmp/danted.conf" -p "$tmp/danted.pid" >/dev/null 2>&1 &
pids="$pids $!"
cat >"$tmp/tinyproxy.conf" <<EOF
Port 8888
Listen 10.78.0.3
Timeout 30
Allow 10.78.0.0/24
ConnectPort 443
LogLevel Critical
MaxClients 10
EOF
ip netns exec $S tinyproxy -d -c "$tmp/tinyproxy.conf" >/dev/null 2>&1 &
pids="$pids $!"
sleep 2

rec() { # rec FILE COMMAND...: capture while COMMAND runs in the client namespace
	f=$1; shift
	ip netns exec $C tcpdump -i ftpx-c -U -s 0 -w "$f" 'ip' 2>/dev/null &
	tp=$!
	sleep 1
	"$@"
	sleep 1
	kill "$tp"
	wait "$tp" 2>/dev/null || true
	echo "wrote $f"
}
cu() { ip netns exec $C env "$@"; }
socks() {
	cu curl -sS -o /dev/null -x socks5h://10.78.0.3:1080 http://www.proxy.test/
	cu curl -sS -o /dev/null -x socks4://10.78.0.3:1080 http://www.proxy.test/
	cu curl -sS -o /dev/null -x socks5://10.78.0.3:1080 http://www.proxy.test/
}
rec "$outdir/lab-proxy-socks.pcap" socks
rm -f "$outdir/lab-proxy-connect.keys"
rec "$outdir/lab-proxy-connect.pcap" cu SSLKEYLOGFILE="$outdir/lab-proxy-connect.keys" \
	curl -sS -o /dev/null -k --http1.1 -x http://10.78.0.3:8888 https://www.proxy.test/
rec "$outdir/lab-proxy-forward.pcap" cu curl -sS -o /dev/null -x http://10.78.0.3:8888 \
	http://www.proxy.test/
