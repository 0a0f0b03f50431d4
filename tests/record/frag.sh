#!/bin/sh
# frag.sh - record captures/lab-frag-dns.pcap: a DNS answer larger than the path MTU,
# fragmented by the sender (issue 13).  Two network namespaces of our own (ft-frag-cli,
# ft-frag-srv) joined by a veth pair with MTU 1280; dnsmasq in ft-frag-srv serves a TXT
# record of ten 240-byte strings (a 2.6 KB answer) on 10.77.0.53 and fd77::53; dig asks it
# with EDNS 4096 over IPv4, then IPv6; tcpdump in ft-frag-cli records.  Nothing leaves the
# namespaces (no route, no link to the host's network).  Run as root from the top of the tree:
#   sh tests/record/frag.sh [OUT]      (OUT defaults to captures/lab-frag-dns.pcap)
set -eu
out=${1:-captures/lab-frag-dns.pcap}
C=ft-frag-cli S=ft-frag-srv
ip netns del $C 2>/dev/null || true
ip netns del $S 2>/dev/null || true
dpid= tpid=
cleanup() {
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null
	ip netns del $C 2>/dev/null || true
	ip netns del $S 2>/dev/null || true
}
trap cleanup EXIT
ip netns add $C
ip netns add $S
ip link add ftfrag-c netns $C type veth peer name ftfrag-s netns $S
ip -n $C addr add 10.77.0.2/24 dev ftfrag-c
ip -n $S addr add 10.77.0.53/24 dev ftfrag-s
ip -n $C addr add fd77::2/64 dev ftfrag-c nodad
ip -n $S addr add fd77::53/64 dev ftfrag-s nodad
# no router solicitations, MLD reports or link-local addresses in the capture
ip netns exec $C sysctl -qw net.ipv6.conf.ftfrag-c.router_solicitations=0 \
	net.ipv6.conf.ftfrag-c.addr_gen_mode=1 net.ipv6.conf.all.mldv2_unsolicited_report_interval=0
ip netns exec $S sysctl -qw net.ipv6.conf.ftfrag-s.router_solicitations=0 \
	net.ipv6.conf.ftfrag-s.addr_gen_mode=1
ip -n $C link set lo up
ip -n $S link set lo up
ip -n $C link set ftfrag-c mtu 1280 up
ip -n $S link set ftfrag-s mtu 1280 up
# static neighbours: no ARP/NDP in the capture
cmac=$(ip -n $C -br link show ftfrag-c | awk '{print $3}')
smac=$(ip -n $S -br link show ftfrag-s | awk '{print $3}')
ip -n $C neigh replace 10.77.0.53 lladdr "$smac" dev ftfrag-c
ip -n $C neigh replace fd77::53 lladdr "$smac" dev ftfrag-c
ip -n $S neigh replace 10.77.0.2 lladdr "$cmac" dev ftfrag-s
ip -n $S neigh replace fd77::2 lladdr "$cmac" dev ftfrag-s

strings=
for i in 01 02 03 04 05 06 07 08 09 10; do
	strings="$strings,part-$i-$(printf '%0233d' 0 | tr 0 x)"
done
ip netns exec $S dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
	--listen-address=10.77.0.53,fd77::53 --edns-packet-max=4096 \
	--txt-record=big.frag.test"$strings" --log-facility=/dev/null &
dpid=$!
sleep 1
ip netns exec $C tcpdump -i ftfrag-c -U -s 0 -w "$out" 'ip or ip6' 2>/dev/null &
tpid=$!
sleep 1
ip netns exec $C dig +tries=1 +time=2 +bufsize=4096 @10.77.0.53 big.frag.test TXT >/dev/null
ip netns exec $C dig +tries=1 +time=2 +bufsize=4096 @fd77::53 big.frag.test TXT >/dev/null
sleep 1
kill "$tpid"
wait "$tpid" 2>/dev/null || true
tpid=
echo "wrote $out"
