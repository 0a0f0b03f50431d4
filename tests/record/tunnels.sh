#!/bin/sh
# tunnels.sh - record the tunnel and BIG TCP captures of issue 13 between two network
# namespaces of our own (ft-links-a, the client; ft-links-b, the server) joined by a veth
# pair (10.99.0.1 - 10.99.0.2), all traffic inside them:
#   captures/lab-vxlan.pcap   a fetch (getaddrinfo -> DNS over the tunnel, then HTTP) through a
#                             VXLAN tunnel (VNI 42, UDP 4789; overlay 10.99.42.0/24), captured on
#                             the client's underlay veth: every packet of the fetch is inside VXLAN
#   captures/lab-bigtcp.pcap  a 1 MB download whose server sends IPv4 BIG TCP super-segments
#                             (gso_ipv4_max_size 131072: IPv4 total length 0 above 64 KiB), captured
#                             on the server's own veth with a 512-byte snap length (tshark's and
#                             fetchtrace's "length from the frame"), then the same over IPv6
#                             (gso_max_size: payload length 0)
# GRE, IP-in-IP, Geneve and ERSPAN would be recorded the same way, but the machine's kernel has
# none of those drivers (only vxlan); they are crafted instead (tests/crafted/gen_links.py).
# Needs root, ip, tcpdump, curl, python3.  Run from the top of the tree.
set -eu
A=ft-links-a
B=ft-links-b
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	ip netns del $A 2>/dev/null || true
	ip netns del $B 2>/dev/null || true
	rm -rf "/etc/netns/$A" "$tmp"
}
trap cleanup EXIT INT TERM
cleanup
tmp=$(mktemp -d)

ip netns add $A
ip netns add $B
ip link add ftl-va type veth peer name ftl-vb
ip link set ftl-va netns $A
ip link set ftl-vb netns $B
ip -n $A addr add 10.99.0.1/24 dev ftl-va
ip -n $B addr add 10.99.0.2/24 dev ftl-vb
for ns in $A $B; do ip -n $ns link set lo up; done
ip -n $A addr add fd00:99::1/64 dev ftl-va nodad
ip -n $B addr add fd00:99::2/64 dev ftl-vb nodad
# BIG TCP on the underlay: super-segments up to 128 KiB leave the server's stack whole.
# gso_max_size is IPv6's; IPv4's (IFLA_GSO_IPV4_MAX_SIZE, 63) is newer than this iproute2,
# so it is set with one rtnetlink message.
ip -n $B link set ftl-vb gso_max_size 131072
ip -n $A link set ftl-va gro_max_size 131072
setv4() { # setv4 NS DEV ATTR: IFLA_GSO_IPV4_MAX_SIZE (63) or IFLA_GRO_IPV4_MAX_SIZE (64)
	ip netns exec "$1" python3 - "$2" "$3" <<'PY'
import socket, struct, sys
idx = socket.if_nametoindex(sys.argv[1])
attr = struct.pack("=HHI", 8, int(sys.argv[2]), 131072)
body = struct.pack("=BxHiII", 0, 0, idx, 0, 0) + attr
msg = struct.pack("=IHHII", 16 + len(body), 16, 0x5, 1, 0) + body  # RTM_NEWLINK, REQUEST|ACK
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.send(msg)
r = s.recv(4096)
err, = struct.unpack_from("=i", r, 16)
sys.exit(1 if err else 0)
PY
}
setv4 $B ftl-vb 63
setv4 $A ftl-va 64
ip -n $A link set ftl-va up
ip -n $B link set ftl-vb up
ip -n $A link add ftl-vx type vxlan id 42 dstport 4789 remote 10.99.0.2 local 10.99.0.1 dev ftl-va
ip -n $B link add ftl-vx type vxlan id 42 dstport 4789 remote 10.99.0.1 local 10.99.0.2 dev ftl-vb
ip -n $A addr add 10.99.42.1/24 dev ftl-vx
ip -n $B addr add 10.99.42.2/24 dev ftl-vx
ip -n $A link set ftl-vx up
ip -n $B link set ftl-vx up
# ip netns exec gives the client this resolv.conf: getaddrinfo asks the server's tiny DNS
mkdir -p "/etc/netns/$A"
echo "nameserver 10.99.42.2" >"/etc/netns/$A/resolv.conf"

mkdir -p "$tmp/www"
printf '<html><body>inside VXLAN</body></html>\n' >"$tmp/www/index.html"
head -c 1048576 /dev/zero | tr '\0' 'x' >"$tmp/www/big"
ip netns exec $B python3 "$here/tiny_dns.py" 0.0.0.0 www.tunnel.test=10.99.42.2 \
	big.tunnel.test=10.99.0.2 big6.tunnel.test=fd00:99::2 &
pids="$pids $!"
ip netns exec $B python3 -m http.server --bind :: --directory "$tmp/www" 80 \
	>/dev/null 2>&1 &
pids="$pids $!"
sleep 1

ip netns exec $A tcpdump -i ftl-va -U -w "$tmp/vxlan.pcap" udp port 4789 2>/dev/null &
tp=$!
sleep 1
ip netns exec $A curl -4 -s -o /dev/null http://www.tunnel.test/
sleep 1
kill $tp
wait $tp 2>/dev/null || true

ip netns exec $B tcpdump -i ftl-vb -U -s 512 -w "$tmp/bigtcp.pcap" 'tcp port 80 or udp port 4789' \
	2>/dev/null &
tp=$!
sleep 1
ip netns exec $A curl -4 -s -o /dev/null http://big.tunnel.test/big
ip netns exec $A curl -6 -s -o /dev/null http://big6.tunnel.test/big
sleep 1
kill $tp
wait $tp 2>/dev/null || true

cp "$tmp/vxlan.pcap" captures/lab-vxlan.pcap
cp "$tmp/bigtcp.pcap" captures/lab-bigtcp.pcap
echo "wrote captures/lab-vxlan.pcap captures/lab-bigtcp.pcap"
