#!/bin/bash
# record.sh - build a tiny web/DNS lab in network namespaces and record the
# reference captures in captures/ (fetchtrace's test inputs).
#
# Run as root:   bash tests/record/record.sh [--only NAME[,NAME...]] [OUTDIR]
# OUTDIR defaults to <repo>/captures.  Re-runnable: leftovers of an earlier run
# are torn down first, and everything is torn down again at exit (trap).
# --only records just the named captures (NAME is a file name below, the
# ".pcap" may be left off: --only dns-records,cname) and leaves the other
# files in OUTDIR untouched; the lab is built the same way, and README.md is
# still written complete, so the other captures must already be in OUTDIR.
# No packet leaves the two namespaces: the lab uses only the documentation
# ranges 192.0.2.0/24 (RFC 5737) and 2001:db8::/32 (RFC 3849), and neither
# namespace has a route or link to the host's network.
#
# Lab:
#   netns ftlab-cli  veth ftv-cli  192.0.2.10/24   2001:db8::10/64   (client)
#   netns ftlab-srv  veth ftv-srv  192.0.2.53, 192.0.2.80 /24
#                                  2001:db8::53, 2001:db8::80 /64    (servers)
#   named (BIND 9; tests/record/named.conf.in + lab.test.zone +
#     2.0.192.in-addr.arpa.zone) on 192.0.2.53 / 2001:db8::53 port 53 (UDP
#     and TCP), authoritative-only for lab.test and 2.0.192.in-addr.arpa, no
#     recursion:
#       www.lab.test     A 192.0.2.80, AAAA 2001:db8::80,
#                        HTTPS 1 . alpn=h2,http/1.1 ipv4hint ipv6hint
#       alias.lab.test   CNAME cdn.lab.test;  cdn.lab.test CNAME www.lab.test
#       v6only.lab.test  AAAA 2001:db8::80 only
#       ns.lab.test      A 192.0.2.53, AAAA 2001:db8::53
#       lab.test         SOA, NS ns, MX 10 mail, CAA 0 issue "ca.example"
#       mail.lab.test    A 192.0.2.25
#       txt.lab.test     TXT "v=spf1 -all" "second string"
#       _http._tcp.lab.test  SRV 10 5 80 www.lab.test
#       80.2.0.192.in-addr.arpa  PTR www.lab.test
#       anything else in lab.test: NXDOMAIN with the lab.test SOA
#   nginx (tests/record/nginx.conf) on 192.0.2.80:80 and [2001:db8::80]:80,
#     keepalive on; files: / (index.html), /style.css, /data.bin (16 KiB),
#     /big.bin (200 KiB), /slow/mid.bin (32 KiB, sent at 8 KiB/s),
#     /gz/lines.txt (4 KiB of text, gzip-compressed on request);
#     /post answers 200 "ok" to any method (the body is read and dropped).
#     Also HTTPS on port 443 (HTTP/1.1, TLS 1.2 and 1.3) with a self-signed
#     certificate for www.lab.test that this script makes with openssl in
#     its temp dir.  No QUIC: UDP 443 is closed.
#   tests/record/http10_server.py on 192.0.2.80:8080: HTTP/1.0 answers with
#     no Content-Length, the body ended by closing the connection.
#   The client's /etc/resolv.conf is /etc/netns/ftlab-cli/resolv.conf
#   (nameserver 192.0.2.53), its /etc/hosts has only localhost lines, and its
#   /etc/gai.conf makes getaddrinfo sort IPv4 first, so a plain curl asks for
#   A and AAAA (glibc sends both in parallel) but connects over IPv4.
#   Static neighbour entries on both sides: no ARP/NDP in the captures.
#   Every capture is taken in the client namespace with a filter keeping
#   only packets to/from the server addresses (no MLD/RS noise).
#
# Captures (see also the README.md written into OUTDIR):
#   cold-fetch.pcap     curl http://www.lab.test/ : A+AAAA queries/answers,
#                       TCP handshake, GET, 200, FIN exchange.
#   cold-fetch.pcapng   the same fetch, recorded by dumpcap in pcapng.
#   nxdomain.pcap       curl http://nope.lab.test/ : A+AAAA -> NXDOMAIN (SOA in
#                       authority), no TCP at all.
#   cname.pcap          curl http://alias.lab.test/ : answers carry the CNAME
#                       chain alias -> cdn -> www, then A/AAAA; TCP to .80.
#   dns-tcp.pcap        dig +tcp (one query on one TCP connection), then dig
#                       +tcp +keepopen (two queries, A and AAAA, on one TCP
#                       connection).
#   dns-records.pcap    one dig (UDP) per record type: MX, TXT, SRV, HTTPS,
#                       NS, SOA, PTR (dig -x), CAA, then an A query with
#                       +dnssec (EDNS DO bit).
#   refused.pcap        curl http://www.lab.test:81/ : DNS, then SYN -> RST
#                       over IPv4, and curl's fallback SYN -> RST over IPv6.
#   keepalive.pcap      one curl fetching /, /style.css, /data.bin over a
#                       single kept-alive connection.
#   ipv6.pcap           curl -6 http://www.lab.test/ : TCP over v6 (curl 7.88
#                       still asks A and AAAA; it uses only the AAAA).
#   any-sll2.pcap       a cold fetch captured with tcpdump -i any -y LINUX_SLL2.
#   snap96.pcap         a cold fetch captured with -s 96 (payloads cut).
#   midstream.pcap      capture started ~1 s into a throttled download
#                       (/slow/mid.bin): no SYN, no DNS; data, then FIN.
#   lab-chunked-gzip.pcap   curl --compressed /gz/lines.txt: a response with
#                       Transfer-Encoding: chunked and Content-Encoding: gzip.
#   lab-large.pcap      curl /big.bin: 200 KiB over ~140 MSS-sized segments.
#   lab-head-304-404.pcap   one curl, one connection: HEAD /, a conditional
#                       GET / (If-None-Match: nginx's ETag) -> 304, GET /nope
#                       -> 404.
#   lab-post.pcap       curl --data-binary @FILE (400 bytes) POST /post -> 200.
#   lab-http10-close.pcap   curl http://www.lab.test:8080/ : HTTP/1.0 200
#                       without Content-Length; the server's FIN ends the body.
#   lab-https-tls13.pcap, lab-https-tls12.pcap   curl -k --http1.1 https://
#                       www.lab.test/ with TLS 1.3, resp. TLS 1.2 only: DNS,
#                       handshake (SNI, ALPN), application data, close_notify,
#                       FIN.
#   lab-pipelined.pcap  tests/record/pipeline_client.py: GET / and GET
#                       /style.css pipelined in one segment.
#   lab-slow-writer.pcap    tests/record/slow_client.py: the request written
#                       7 bytes at a time (TCP_NODELAY, 20 ms apart).
#   lab-quic.pcap       headless Chromium forced to QUIC for www.lab.test:443:
#                       QUIC Initial packets over UDP answered by ICMP port
#                       unreachable (nginx has no QUIC).
set -eu

log() { printf 'record: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { echo "usage: bash tests/record/record.sh [--only NAME[,NAME...]] [OUTDIR]"; }

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

# Every recorded capture, in recording order.
ALL="cold-fetch.pcap cold-fetch.pcapng nxdomain.pcap cname.pcap dns-tcp.pcap
dns-records.pcap refused.pcap keepalive.pcap ipv6.pcap any-sll2.pcap
snap96.pcap midstream.pcap lab-chunked-gzip.pcap lab-large.pcap
lab-head-304-404.pcap lab-post.pcap lab-http10-close.pcap lab-https-tls13.pcap
lab-https-tls12.pcap lab-pipelined.pcap lab-slow-writer.pcap lab-quic.pcap"

ONLY=""         # --only list as given
WANT=""         # the files to record (all of them without --only)
while [ $# -gt 0 ]; do
	case $1 in
	--only)   [ $# -ge 2 ] || { usage >&2; exit 2; }; ONLY=$2; shift 2 ;;
	--only=*) ONLY=${1#--only=}; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -le 1 ] || { usage >&2; exit 2; }
OUT=${1:-$REPO/captures}
if [ -n "$ONLY" ]; then
	for n in $(echo "$ONLY" | tr ',' ' '); do
		case $n in *.pcap|*.pcapng) ;; *) n=$n.pcap ;; esac
		case " $(echo $ALL) " in *" $n "*) ;; *) die "--only: no capture $n (one of: $(echo $ALL))" ;; esac
		WANT="$WANT $n"
	done
	[ -n "$WANT" ] || die "--only: empty list"
	# README.md lists every capture with its size and packet count.
	for f in $ALL; do
		case " $WANT " in *" $f "*) continue ;; esac
		[ -f "$OUT/$f" ] || die "--only: $OUT/$f is missing (README.md needs it); record it too"
	done
else
	WANT=$(echo $ALL)
fi
want() { case " $WANT " in *" $1 "*) return 0 ;; esac; return 1; }

CLI=ftlab-cli
SRV=ftlab-srv
CLI_IF=ftv-cli
SRV_IF=ftv-srv
CLI4=192.0.2.10
DNS4=192.0.2.53
WEB4=192.0.2.80
CLI6=2001:db8::10
DNS6=2001:db8::53
WEB6=2001:db8::80
# Only packets to/from the lab servers (this also keeps out the MLD reports
# the kernel sends when addresses come up).
FILTER="(ip or ip6) and (host $DNS4 or host $WEB4 or host $DNS6 or host $WEB6)"

LAB=""          # temp dir: nginx prefix, logs, capture logs
PIDS=""         # pids this script started (long-running servers)
CAP_PID=""      # the running capture, if any

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"

# ---------------------------------------------------------------- packages
need_pkgs() {
	local need=""
	command -v ip       >/dev/null 2>&1 || need="$need iproute2"
	command -v ethtool  >/dev/null 2>&1 || need="$need ethtool"
	[ -x /usr/sbin/named ] || need="$need bind9"
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need="$need nginx-light"
	command -v curl     >/dev/null 2>&1 || need="$need curl"
	command -v tcpdump  >/dev/null 2>&1 || need="$need tcpdump"
	command -v dig      >/dev/null 2>&1 || need="$need bind9-dnsutils"
	command -v dumpcap  >/dev/null 2>&1 || need="$need wireshark-common"
	command -v tshark   >/dev/null 2>&1 || need="$need tshark"
	command -v capinfos >/dev/null 2>&1 || need="$need wireshark-common"
	command -v openssl  >/dev/null 2>&1 || need="$need openssl"
	command -v python3  >/dev/null 2>&1 || need="$need python3"
	# Chromium is big: only when the QUIC capture is to be recorded.
	if want lab-quic.pcap; then
		command -v chromium >/dev/null 2>&1 || need="$need chromium"
	fi
	echo "$need"
}
missing=$(need_pkgs)
if [ -n "$missing" ]; then
	log "installing:$missing"
	# Don't let wireshark-common's debconf question block, and don't let
	# package scripts start the system named/nginx services on the host:
	# a policy-rc.d that says "no" (only if there is none already).
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections 2>/dev/null || true
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		policy=1
	fi
	rc=0
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install \
		-y -qq --no-install-recommends $missing >/dev/null; } || rc=$?
	[ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
	[ "$rc" -eq 0 ] || die "apt-get install$missing failed"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# ---------------------------------------------------------------- teardown
# Kill the processes still living in one of our namespaces (by pid, from
# `ip netns pids`; those can only be lab processes), then delete it.
kill_ns() {
	local ns=$1 p
	ip netns list 2>/dev/null | grep -qw "^$ns" || return 0
	for p in $(ip netns pids "$ns" 2>/dev/null); do
		kill "$p" 2>/dev/null || true
	done
	sleep 0.3
	for p in $(ip netns pids "$ns" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null || true
	done
	ip netns del "$ns" 2>/dev/null || true
}

teardown() {
	local p
	if [ -n "$CAP_PID" ]; then kill -INT "$CAP_PID" 2>/dev/null || true; fi
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	kill_ns "$CLI"
	kill_ns "$SRV"
	ip link del "$CLI_IF" 2>/dev/null || true   # in case one leaked to the host
	ip link del "$SRV_IF" 2>/dev/null || true
	rm -rf "/etc/netns/$CLI" "/etc/netns/$SRV"
	rmdir /etc/netns 2>/dev/null || true
	if [ -n "$LAB" ]; then rm -rf "$LAB"; fi
}

teardown                    # leftovers of an earlier run
trap 'teardown' EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- network
log "building namespaces $CLI <-> $SRV"
ip netns add "$CLI"
ip netns add "$SRV"
ip link add "$CLI_IF" netns "$CLI" type veth peer name "$SRV_IF" netns "$SRV"

in_cli() { ip netns exec "$CLI" "$@"; }
in_srv() { ip netns exec "$SRV" "$@"; }

for ns in "$CLI" "$SRV"; do
	# No router solicitations, no RA processing, no DAD delays.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.router_solicitations=0 \
		net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip netns exec "$ns" ip link set lo up
done

in_cli ip addr add "$CLI4/24" dev "$CLI_IF"
in_cli ip addr add "$CLI6/64" dev "$CLI_IF" nodad
in_srv ip addr add "$DNS4/24" dev "$SRV_IF"
in_srv ip addr add "$WEB4/24" dev "$SRV_IF"
in_srv ip addr add "$DNS6/64" dev "$SRV_IF" nodad
in_srv ip addr add "$WEB6/64" dev "$SRV_IF" nodad
in_cli ip link set "$CLI_IF" up
in_srv ip link set "$SRV_IF" up

# No segmentation offloads: the capture shows wire-sized (MSS) segments,
# not 16 KiB GSO/GRO super-packets.
in_cli ethtool -K "$CLI_IF" tso off gso off gro off >/dev/null 2>&1 || true
in_srv ethtool -K "$SRV_IF" tso off gso off gro off >/dev/null 2>&1 || true

# Static neighbours, so no ARP / neighbour discovery shows up mid-capture.
CLI_MAC=$(in_cli cat "/sys/class/net/$CLI_IF/address")
SRV_MAC=$(in_srv cat "/sys/class/net/$SRV_IF/address")
for a in "$DNS4" "$WEB4" "$DNS6" "$WEB6"; do
	in_cli ip neigh replace "$a" lladdr "$SRV_MAC" dev "$CLI_IF" nud permanent
done
for a in "$CLI4" "$CLI6"; do
	in_srv ip neigh replace "$a" lladdr "$CLI_MAC" dev "$SRV_IF" nud permanent
done

# Files that `ip netns exec ftlab-cli` bind-mounts over /etc/*.
mkdir -p "/etc/netns/$CLI"
printf 'nameserver %s\n' "$DNS4" >"/etc/netns/$CLI/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
	>"/etc/netns/$CLI/hosts"
# Default RFC 6724 table, but IPv4-mapped first: connect over IPv4 when
# both families resolve (the AAAA query is still sent).
cat >"/etc/netns/$CLI/gai.conf" <<'EOF'
precedence  ::1/128       50
precedence  ::/0          40
precedence  2002::/16     30
precedence  ::/96         20
precedence  ::ffff:0:0/96 100
EOF

# ---------------------------------------------------------------- servers
LAB=$(mktemp -d /tmp/ftlab.XXXXXX)
chmod 755 "$LAB"
mkdir -p "$LAB/html/slow" "$LAB/html/gz" "$LAB/tmp" "$LAB/named" "$LAB/tls"
cat >"$LAB/html/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>lab</title><link rel="stylesheet" href="/style.css"></head>
<body><h1>fetchtrace lab</h1><p>Hello from www.lab.test.</p></body></html>
EOF
printf 'body { font-family: sans-serif; color: #222; }\nh1 { color: #036; }\n' \
	>"$LAB/html/style.css"
# Deterministic filler content.
yes 'fetchtrace lab filler line 0123456789abcdefghijklmnopqrstuvwxyz' |
	head -c 16384 >"$LAB/html/data.bin"
yes 'fetchtrace lab filler line 0123456789abcdefghijklmnopqrstuvwxyz' |
	head -c 204800 >"$LAB/html/big.bin"
yes 'fetchtrace lab filler line 0123456789abcdefghijklmnopqrstuvwxyz' |
	head -c 32768 >"$LAB/html/slow/mid.bin"
# Text that nginx gzips for /gz/ (lab-chunked-gzip.pcap).
for i in $(seq 1 64); do
	printf 'line %02d: fetchtrace lab text, compressed by nginx gzip on request\n' "$i"
done | head -c 4096 >"$LAB/html/gz/lines.txt"
# The POST body (lab-post.pcap): 400 bytes.
yes 'name=fetchtrace&lab=post&filler=0123456789abcdefghij' | tr '\n' '&' |
	head -c 400 >"$LAB/post.txt"
# Self-signed certificate for www.lab.test (HTTPS server; never in the repo).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-days 30 -subj /CN=www.lab.test -addext subjectAltName=DNS:www.lab.test \
	-keyout "$LAB/tls/www.lab.test.key" -out "$LAB/tls/www.lab.test.crt" \
	>/dev/null 2>&1 || die "openssl could not make the lab certificate"
chmod -R a+rX "$LAB"

log "starting named and nginx in $SRV"
sed -e "s|@LAB@|$LAB|g" -e "s|@HERE@|$HERE|g" "$HERE/named.conf.in" \
	>"$LAB/named.conf"
# Background servers are started with `ip netns exec` directly (it execs the
# command), so $! is the server's own pid.
ip netns exec "$SRV" /usr/sbin/named -g -c "$LAB/named.conf" \
	>"$LAB/named.log" 2>&1 &
PIDS="$PIDS $!"
sed -e "s|@LAB@|$LAB|g" "$HERE/nginx.conf" >"$LAB/nginx.conf"
ip netns exec "$SRV" "$NGINX" -p "$LAB/" -c "$LAB/nginx.conf" -e "$LAB/error.log" \
	>/dev/null 2>&1 &
PIDS="$PIDS $!"
ip netns exec "$SRV" python3 "$HERE/http10_server.py" "$WEB4" 8080 \
	>"$LAB/http10.log" 2>&1 &
PIDS="$PIDS $!"

# Wait until both answer (each probe is one DNS query or one HTTP GET inside
# the lab; nothing is being captured yet).
ok=""
for _ in $(seq 50); do
	if in_cli dig +short +time=1 +tries=1 "@$DNS4" www.lab.test A 2>/dev/null |
		grep -q "^$WEB4\$" &&
		in_cli curl -s -o /dev/null --max-time 1 "http://$WEB4/" &&
		in_cli curl -s -k -o /dev/null --max-time 1 "https://$WEB4/" &&
		in_cli curl -s -o /dev/null --max-time 1 "http://$WEB4:8080/"; then
		ok=1; break
	fi
	sleep 0.2
done
[ -n "$ok" ] || { cat "$LAB/named.log" "$LAB/error.log" "$LAB/http10.log" >&2 2>/dev/null || true
	die "lab servers did not come up"; }
sleep 1          # let the probe connections finish closing

# ---------------------------------------------------------------- capture helpers
mkdir -p "$OUT"

# cap_start FILE [extra tcpdump options...]  - tcpdump on the client's veth
# (filter: $FILTER, or "$FILTER and ($CAP_AND)" while CAP_AND is set)
CAP_AND=""
cap_start() {
	local file=$1; shift
	local filter=$FILTER
	[ -z "$CAP_AND" ] || filter="$FILTER and ($CAP_AND)"
	rm -f "$file"
	: >"$LAB/cap.log"
	ip netns exec "$CLI" tcpdump --immediate-mode -Z root -U -n -i "$CLI_IF" "$@" -w "$file" "$filter" \
		2>"$LAB/cap.log" &
	CAP_PID=$!
	wait_for 'listening on'
}

# cap_start_pcapng FILE  - dumpcap (writes pcapng) on the client's veth
cap_start_pcapng() {
	local file=$1
	rm -f "$file"
	: >"$LAB/cap.log"
	ip netns exec "$CLI" dumpcap -i "$CLI_IF" -f "$FILTER" -w "$file" 2>"$LAB/cap.log" &
	CAP_PID=$!
	wait_for 'Capturing on'
}

wait_for() {
	for _ in $(seq 100); do
		grep -q "$1" "$LAB/cap.log" && { sleep 0.3; return 0; }
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$LAB/cap.log" >&2
	die "capture did not start"
}

# cap_stop - give the last FIN/ACKs time to arrive, then stop with SIGINT.
cap_stop() {
	sleep 1
	kill -INT "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=""
}

CURL="curl -sS -o /dev/null --max-time 20"

# ---------------------------------------------------------------- captures
if want cold-fetch.pcap; then
	log "cold-fetch.pcap"
	cap_start "$OUT/cold-fetch.pcap"
	in_cli $CURL http://www.lab.test/
	cap_stop
fi

if want cold-fetch.pcapng; then
	log "cold-fetch.pcapng"
	cap_start_pcapng "$OUT/cold-fetch.pcapng"
	in_cli $CURL http://www.lab.test/
	cap_stop
fi

if want nxdomain.pcap; then
	log "nxdomain.pcap"
	cap_start "$OUT/nxdomain.pcap"
	in_cli $CURL http://nope.lab.test/ 2>/dev/null && die "nope.lab.test resolved?"
	cap_stop
fi

if want cname.pcap; then
	log "cname.pcap"
	cap_start "$OUT/cname.pcap"
	in_cli $CURL http://alias.lab.test/
	cap_stop
fi

if want dns-tcp.pcap; then
	log "dns-tcp.pcap"
	cap_start "$OUT/dns-tcp.pcap"
	in_cli dig +tcp "@$DNS4" www.lab.test A >"$LAB/dig1.txt"
	sleep 0.5
	in_cli dig +tcp +keepopen "@$DNS4" www.lab.test A www.lab.test AAAA >"$LAB/dig2.txt"
	cap_stop
fi

if want dns-records.pcap; then
	log "dns-records.pcap"
	cap_start "$OUT/dns-records.pcap"
	# One dig (one UDP query, one answer) per record type, the PTR by dig -x,
	# and last an A query with +dnssec: the EDNS DO bit (the zone is not
	# signed, so no RRSIG comes back, but the OPT record echoes DO).
	for q in "lab.test MX" "txt.lab.test TXT" "_http._tcp.lab.test SRV" \
		"www.lab.test HTTPS" "lab.test NS" "lab.test SOA" "-x $WEB4" \
		"lab.test CAA" "+dnssec www.lab.test A"; do
		in_cli dig +tries=1 +time=2 "@$DNS4" $q >>"$LAB/dig3.txt"
	done
	cap_stop
fi

if want refused.pcap; then
	log "refused.pcap"
	cap_start "$OUT/refused.pcap"
	in_cli $CURL http://www.lab.test:81/ 2>/dev/null && die "port 81 answered?"
	cap_stop
fi

if want keepalive.pcap; then
	log "keepalive.pcap"
	cap_start "$OUT/keepalive.pcap"
	in_cli curl -sS --max-time 20 -o /dev/null -o /dev/null -o /dev/null \
		http://www.lab.test/ http://www.lab.test/style.css http://www.lab.test/data.bin
	cap_stop
fi

if want ipv6.pcap; then
	log "ipv6.pcap"
	cap_start "$OUT/ipv6.pcap"
	in_cli $CURL -6 http://www.lab.test/
	cap_stop
fi

if want any-sll2.pcap; then
	log "any-sll2.pcap"
	rm -f "$OUT/any-sll2.pcap"
	: >"$LAB/cap.log"
	ip netns exec "$CLI" tcpdump --immediate-mode -Z root -U -n -i any -y LINUX_SLL2 -w "$OUT/any-sll2.pcap" "$FILTER" \
		2>"$LAB/cap.log" &
	CAP_PID=$!
	wait_for 'listening on'
	in_cli $CURL http://www.lab.test/
	cap_stop
fi

if want snap96.pcap; then
	log "snap96.pcap"
	cap_start "$OUT/snap96.pcap" -s 96
	in_cli $CURL http://www.lab.test/
	cap_stop
fi

if want midstream.pcap; then
	log "midstream.pcap"
	# The server throttles /slow/ to 8 KiB/s, so the 32 KiB download lasts ~4 s.
	# (A client-side --limit-rate alone would not do: the kernel would take the
	# whole file into the socket buffer in the first milliseconds.)
	ip netns exec "$CLI" $CURL http://www.lab.test/slow/mid.bin &
	dl=$!
	sleep 1
	cap_start "$OUT/midstream.pcap"
	wait "$dl"
	cap_stop
fi

if want lab-chunked-gzip.pcap; then
	log "lab-chunked-gzip.pcap"
	cap_start "$OUT/lab-chunked-gzip.pcap"
	in_cli $CURL --compressed http://www.lab.test/gz/lines.txt
	cap_stop
fi

if want lab-large.pcap; then
	log "lab-large.pcap"
	cap_start "$OUT/lab-large.pcap"
	in_cli $CURL http://www.lab.test/big.bin
	cap_stop
fi

if want lab-head-304-404.pcap; then
	log "lab-head-304-404.pcap"
	# nginx's ETag for / (from the file's mtime and size), asked before the
	# capture starts.
	etag=$(in_cli curl -sS -I --max-time 5 http://www.lab.test/ |
		tr -d '\r' | awk 'tolower($1) == "etag:" { print $2 }')
	[ -n "$etag" ] || die "no ETag for /"
	sleep 1
	cap_start "$OUT/lab-head-304-404.pcap"
	# One curl, three transfers (--next), one kept-alive connection.
	o="-sS -o /dev/null --max-time 20"
	in_cli curl $o -I http://www.lab.test/ \
		--next $o -H "If-None-Match: $etag" http://www.lab.test/ \
		--next $o http://www.lab.test/nope
	cap_stop
fi

if want lab-post.pcap; then
	log "lab-post.pcap"
	cap_start "$OUT/lab-post.pcap"
	# 400 bytes: far below curl 7.88's Expect: 100-continue threshold, so
	# headers and body go out at once, without a 100 Continue.
	in_cli $CURL --data-binary @"$LAB/post.txt" http://www.lab.test/post
	cap_stop
fi

if want lab-http10-close.pcap; then
	log "lab-http10-close.pcap"
	cap_start "$OUT/lab-http10-close.pcap"
	in_cli $CURL http://www.lab.test:8080/
	cap_stop
fi

if want lab-https-tls13.pcap; then
	log "lab-https-tls13.pcap"
	cap_start "$OUT/lab-https-tls13.pcap"
	# The session keys go to the lab dir only: the checks below use them to
	# see the (encrypted) TLS 1.3 close_notify.
	in_cli env SSLKEYLOGFILE="$LAB/tls13.keys" \
		$CURL -k --http1.1 --tlsv1.3 https://www.lab.test/
	cap_stop
fi

if want lab-https-tls12.pcap; then
	log "lab-https-tls12.pcap"
	cap_start "$OUT/lab-https-tls12.pcap"
	in_cli env SSLKEYLOGFILE="$LAB/tls12.keys" \
		$CURL -k --http1.1 --tlsv1.2 --tls-max 1.2 https://www.lab.test/
	cap_stop
fi

if want lab-pipelined.pcap; then
	log "lab-pipelined.pcap"
	cap_start "$OUT/lab-pipelined.pcap"
	in_cli python3 "$HERE/pipeline_client.py" www.lab.test 80
	cap_stop
fi

if want lab-slow-writer.pcap; then
	log "lab-slow-writer.pcap"
	cap_start "$OUT/lab-slow-writer.pcap"
	in_cli python3 "$HERE/slow_client.py" www.lab.test 80 /
	cap_stop
fi

if want lab-quic.pcap; then
	log "lab-quic.pcap"
	# Headless Chromium in the client namespace (which has no route but the
	# lab), forced to QUIC for www.lab.test:443.  nginx has no QUIC, so the
	# server's kernel answers the Initial packets with ICMP port unreachable.
	mkdir -p "$LAB/chromium/home" "$LAB/chromium/profile"
	CAP_AND="udp port 443 or icmp or icmp6 or tcp port 443 or port 53"
	cap_start "$OUT/lab-quic.pcap"
	CAP_AND=""
	in_cli env HOME="$LAB/chromium/home" timeout 30 chromium --headless \
		--no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$LAB/chromium/profile" \
		--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE www.lab.test" \
		--enable-quic --origin-to-force-quic-on=www.lab.test:443 \
		--ignore-certificate-errors --dump-dom https://www.lab.test/ \
		>"$LAB/chromium/dom.html" 2>"$LAB/chromium/stderr.log" || true
	sleep 2
	cap_stop
fi

# ---------------------------------------------------------------- checks + README
for f in $WANT; do chmod 644 "$OUT/$f"; done   # dumpcap creates its file 0600
count() { capinfos -c -M "$1" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}'; }
size()  { stat -c %s "$1"; }
# tshark field list for a display filter, to sanity-check a capture.
has() { [ -n "$(tshark -r "$1" -Y "$2" 2>/dev/null | head -1)" ]; }

fail=0
# (only the captures recorded in this run are checked)
check() {  # check FILE FILTER WHAT   (FILTER must match at least one packet)
	want "$1" || return 0
	if ! has "$OUT/$1" "$2"; then log "CHECK FAILED: $1: $3 ($2)"; fail=1; fi
}
checknot() {
	want "$1" || return 0
	if has "$OUT/$1" "$2"; then log "CHECK FAILED: $1: $3 ($2)"; fail=1; fi
}
for f in cold-fetch.pcap cold-fetch.pcapng any-sll2.pcap snap96.pcap; do
	check "$f" 'dns.flags.response==0 && dns.qry.type==1' "A query"
	check "$f" 'dns.flags.response==0 && dns.qry.type==28' "AAAA query"
	check "$f" "tcp.flags.syn==1 && tcp.flags.ack==0 && ip.dst==$WEB4" "SYN to $WEB4"
	check "$f" 'tcp.flags.fin==1' "FIN"
done
check cold-fetch.pcap 'http.response.code==200' "200 response"
check nxdomain.pcap 'dns.flags.rcode==3 && dns.count.auth_rr>=1' "NXDOMAIN with SOA"
checknot nxdomain.pcap 'tcp' "no TCP"
check cname.pcap 'dns.resp.type==5 && dns.cname=="cdn.lab.test"' "CNAME alias->cdn"
check cname.pcap 'dns.resp.type==5 && dns.cname=="www.lab.test"' "CNAME cdn->www"
check cname.pcap "tcp.flags.syn==1 && ip.dst==$WEB4" "connect to $WEB4"
check dns-tcp.pcap 'tcp.port==53 && dns.qry.type==28' "AAAA over TCP"
check dns-records.pcap 'dns.resp.type==15 && dns.mx.mail_exchange=="mail.lab.test"' "MX answer"
check dns-records.pcap 'dns.resp.type==16 && dns.txt=="second string"' "TXT answer, 2nd string"
check dns-records.pcap 'dns.resp.type==33 && dns.srv.port==80' "SRV answer"
check dns-records.pcap 'dns.resp.type==65' "HTTPS answer"
check dns-records.pcap 'dns.resp.type==2 && dns.ns=="ns.lab.test"' "NS answer"
check dns-records.pcap 'dns.resp.type==6 && dns.count.answers==1' "SOA answer"
check dns-records.pcap 'dns.resp.type==12 && dns.ptr.domain_name=="www.lab.test"' "PTR answer"
check dns-records.pcap 'dns.resp.type==257 && dns.caa.value=="ca.example"' "CAA answer"
check dns-records.pcap 'dns.flags.response==1 && dns.qry.type==1 && dns.resp.z.do==1' "DO bit echoed"
check refused.pcap 'tcp.flags.reset==1' "RST"
check keepalive.pcap 'http.request.uri=="/data.bin"' "third request"
check ipv6.pcap "tcp.flags.syn==1 && ipv6.dst==$WEB6" "SYN over IPv6"
checknot midstream.pcap 'tcp.flags.syn==1' "no SYN"
check midstream.pcap 'tcp.flags.fin==1' "FIN"
# lab-*: the newer captures.
# atleast FILE FILTER N WHAT   (FILTER must match at least N packets)
atleast() {
	want "$1" || return 0
	local n
	n=$(tshark -r "$OUT/$1" -Y "$2" 2>/dev/null | wc -l)
	[ "$n" -ge "$3" ] || { log "CHECK FAILED: $1: $4 ($2: $n < $3)"; fail=1; }
}
# exactly FILE FILTER N WHAT
exactly() {
	want "$1" || return 0
	local n
	n=$(tshark -r "$OUT/$1" -Y "$2" 2>/dev/null | wc -l)
	[ "$n" -eq "$3" ] || { log "CHECK FAILED: $1: $4 ($2: $n != $3)"; fail=1; }
}
# checkkeys FILE KEYLOG FILTER WHAT   (decrypting TLS with the session keys)
checkkeys() {
	want "$1" || return 0
	[ -n "$(tshark -r "$OUT/$1" -o "tls.keylog_file:$2" -Y "$3" 2>/dev/null | head -1)" ] ||
		{ log "CHECK FAILED: $1: $4 ($3)"; fail=1; }
}
for f in lab-chunked-gzip.pcap lab-large.pcap lab-head-304-404.pcap \
	lab-post.pcap lab-http10-close.pcap lab-https-tls13.pcap \
	lab-https-tls12.pcap lab-pipelined.pcap lab-slow-writer.pcap; do
	check "$f" 'dns.flags.response==1 && dns.qry.name=="www.lab.test" && dns.a' "A answer"
	exactly "$f" "tcp.flags.syn==1 && tcp.flags.ack==0 && ip.dst==$WEB4" 1 "one connection"
	check "$f" "tcp.flags.fin==1 && ip.src==$WEB4" "FIN from the server"
	check "$f" "tcp.flags.fin==1 && ip.dst==$WEB4" "FIN from the client"
done
check lab-chunked-gzip.pcap 'http.accept_encoding contains "gzip"' "Accept-Encoding: gzip"
check lab-chunked-gzip.pcap 'http.response.code==200 && http.transfer_encoding=="chunked" && http.content_encoding=="gzip"' "chunked + gzip response"
checknot lab-chunked-gzip.pcap 'http.content_length' "no Content-Length"
atleast lab-large.pcap "ip.src==$WEB4 && tcp.len==1448" 130 "full-sized segments"
check lab-large.pcap 'http.response.code==200 && http.content_length==204800' "200, 204800 bytes"
check lab-head-304-404.pcap 'http.request.method=="HEAD" && http.request.uri=="/"' "HEAD /"
check lab-head-304-404.pcap 'http.request.method=="GET" && http.request.line contains "If-None-Match: "' "conditional GET"
check lab-head-304-404.pcap 'http.response.code==304' "304"
check lab-head-304-404.pcap 'http.request.uri=="/nope"' "GET /nope"
check lab-head-304-404.pcap 'http.response.code==404' "404"
check lab-post.pcap 'http.request.method=="POST" && http.request.uri=="/post" && http.content_length==400' "POST of 400 bytes"
check lab-post.pcap 'http.response.code==200' "200"
check lab-http10-close.pcap 'http.response.version=="HTTP/1.0" && http.response.code==200' "HTTP/1.0 200"
checknot lab-http10-close.pcap 'http.content_length' "no Content-Length"
check lab-http10-close.pcap 'tcp.flags.fin==1 && tcp.srcport==8080' "server closes"
for f in lab-https-tls13.pcap lab-https-tls12.pcap; do
	check "$f" 'tls.handshake.type==1 && tls.handshake.extensions_server_name=="www.lab.test" && tls.handshake.extensions_alpn_str=="http/1.1"' "ClientHello with SNI and ALPN"
	check "$f" 'tls.handshake.type==2' "ServerHello"
	check "$f" 'tls.app_data' "application data"
done
check lab-https-tls13.pcap 'tls.handshake.type==2 && tls.handshake.extensions.supported_version==0x0304' "TLS 1.3 ServerHello"
check lab-https-tls12.pcap 'tls.handshake.type==2 && tls.handshake.version==0x0303' "TLS 1.2 ServerHello"
checknot lab-https-tls12.pcap 'tls.handshake.extensions.supported_version==0x0304' "no TLS 1.3"
check lab-https-tls12.pcap 'tls.record.content_type==21' "(encrypted) alert record"
checkkeys lab-https-tls13.pcap "$LAB/tls13.keys" 'tls.alert_message.desc==0' "close_notify"
checkkeys lab-https-tls12.pcap "$LAB/tls12.keys" 'tls.alert_message.desc==0' "close_notify"
checkkeys lab-https-tls13.pcap "$LAB/tls13.keys" 'http.response.code==200' "200 inside TLS"
check lab-pipelined.pcap 'count(http.request.method)==2' "two requests in one segment"
exactly lab-pipelined.pcap 'http.response.code==200' 2 "two responses"
atleast lab-slow-writer.pcap "ip.dst==$WEB4 && tcp.dstport==80 && tcp.len>0 && tcp.len<=7" 10 "request in pieces"
check lab-slow-writer.pcap 'http.request.method=="GET"' "reassembled GET"
check lab-slow-writer.pcap 'http.response.code==200' "200"
check lab-quic.pcap 'quic.long.packet_type==0 && ip.dst==192.0.2.80 && udp.dstport==443' "QUIC Initial to 192.0.2.80"
check lab-quic.pcap 'quic.long.packet_type==0 && quic.frame_type==6' "CRYPTO frames in the Initial"
check lab-quic.pcap 'icmp.type==3 && icmp.code==3' "ICMP port unreachable"
! want any-sll2.pcap ||
[ "$(capinfos -E "$OUT/any-sll2.pcap" | awk -F': *' '/encapsulation/ {print $2}')" = \
	"Linux cooked-mode capture v2" ] || { log "CHECK FAILED: any-sll2 link type"; fail=1; }
! want cold-fetch.pcapng ||
[ "$(capinfos -t "$OUT/cold-fetch.pcapng" | awk -F': *' '/File type/ {print $2}' | cut -c1-6)" = \
	"Wiresh" ] || { log "CHECK FAILED: cold-fetch.pcapng is not pcapng"; fail=1; }

# One README row per capture: file, command, what it shows.
row() {  # row FILE COMMAND TEXT
	printf '| `%s` | %s | %s | %s | %s |\n' "$1" "$(size "$OUT/$1")" \
		"$(count "$OUT/$1")" "$2" "$3"
}
{
cat <<EOF
# Reference captures

Recorded by \`tests/record/record.sh\` (run it as root to re-record; it
builds the lab, records every file below, and tears everything down).
All traffic is between two network namespaces joined by a veth pair,
in documentation address ranges only:

| host | addresses | role |
| --- | --- | --- |
| client (netns \`ftlab-cli\`, veth \`ftv-cli\`) | $CLI4, $CLI6 | runs curl / dig / the capture |
| DNS (netns \`ftlab-srv\`) | $DNS4, $DNS6 port 53 | named (BIND 9), authoritative-only for \`lab.test\` |
| web (netns \`ftlab-srv\`) | $WEB4, [$WEB6] port 80 | nginx, keepalive on |
| web (netns \`ftlab-srv\`) | $WEB4, [$WEB6] port 443 | the same nginx over HTTPS (HTTP/1.1; TLS 1.2 and 1.3; self-signed certificate for \`www.lab.test\` made per run; no QUIC, UDP 443 closed) |
| web (netns \`ftlab-srv\`) | $WEB4 port 8080 | \`tests/record/http10_server.py\`: HTTP/1.0, no Content-Length, closes to end the body |

Names: \`www.lab.test\` A $WEB4 / AAAA $WEB6; \`alias.lab.test\` CNAME
\`cdn.lab.test\` CNAME \`www.lab.test\`; \`v6only.lab.test\` AAAA only;
other names in \`lab.test\` get NXDOMAIN with the zone SOA.  The client's
resolv.conf is \`nameserver $DNS4\`, its gai.conf sorts IPv4 first (so a
plain curl asks A and AAAA, then connects over IPv4).  Captures are taken
in the client namespace with the filter \`$FILTER\`; neighbour entries are
static, so there is no ARP/NDP.  Unless noted, the capture is
\`tcpdump -i ftv-cli -w FILE\` (Ethernet link type, full snap length).
\`curl\` below stands for \`curl -sS -o /dev/null\`.

| file | bytes | packets | command | what it shows |
| --- | --- | --- | --- | --- |
EOF
row cold-fetch.pcap 'curl http://www.lab.test/' \
	'resolve: A and AAAA queries + answers; connect: SYN/SYN-ACK/ACK to 192.0.2.80:80; write: GET /; read: 200 + index.html; close: FIN exchange'
row cold-fetch.pcapng 'dumpcap -i ftv-cli -w FILE; curl http://www.lab.test/' \
	'the same cold fetch, recorded directly in pcapng'
row nxdomain.pcap 'curl http://nope.lab.test/' \
	'A and AAAA queries answered NXDOMAIN (AA, lab.test SOA in authority); no TCP'
row cname.pcap 'curl http://alias.lab.test/' \
	'answers carry the chain alias.lab.test CNAME cdn.lab.test CNAME www.lab.test, then A (resp. AAAA); connection to 192.0.2.80'
row dns-tcp.pcap 'dig +tcp @192.0.2.53 www.lab.test A; dig +tcp +keepopen @192.0.2.53 www.lab.test A www.lab.test AAAA' \
	'DNS over TCP: one connection with one query, then one connection carrying two queries (A, AAAA) and their answers'
row dns-records.pcap 'dig +tries=1 +time=2 @192.0.2.53 Q, once for each Q of: lab.test MX; txt.lab.test TXT; _http._tcp.lab.test SRV; www.lab.test HTTPS; lab.test NS; lab.test SOA; -x 192.0.2.80; lab.test CAA; +dnssec www.lab.test A' \
	'one UDP query and answer per record type: MX 10 mail.lab.test; TXT with two strings; SRV 10 5 80 www.lab.test; HTTPS 1 . with alpn h2,http/1.1, ipv4hint and ipv6hint; NS; SOA; PTR www.lab.test (reverse zone 2.0.192.in-addr.arpa); CAA 0 issue "ca.example"; then an A query with the EDNS DO bit set, echoed in the answer'
row refused.pcap 'curl http://www.lab.test:81/' \
	'A/AAAA resolution, then SYN to 192.0.2.80:81 answered by RST (nothing listening); curl then tries [2001:db8::80]:81, also RST'
row keepalive.pcap 'curl http://www.lab.test/ http://www.lab.test/style.css http://www.lab.test/data.bin' \
	'one TCP connection, three request/response pairs (data.bin is 16 KiB), then FIN'
row ipv6.pcap 'curl -6 http://www.lab.test/' \
	'A and AAAA queries (curl -6 still asks both; it uses the AAAA answer); connection, GET, 200 and FIN over IPv6 to [2001:db8::80]'
row any-sll2.pcap 'tcpdump -i any -y LINUX_SLL2 -w FILE; curl http://www.lab.test/' \
	'a cold fetch with link type LINUX_SLL2 (Linux cooked v2)'
row snap96.pcap 'tcpdump -i ftv-cli -s 96 -w FILE; curl http://www.lab.test/' \
	'a cold fetch with snap length 96: headers kept, DNS and HTTP payloads cut'
row midstream.pcap 'curl http://www.lab.test/slow/mid.bin & sleep 1; then tcpdump -i ftv-cli -w FILE' \
	'starts in the middle of a server-throttled (8 KiB/s) 32 KiB download: no DNS, no SYN; data segments and ACKs, then the FIN exchange'
row lab-chunked-gzip.pcap 'curl --compressed http://www.lab.test/gz/lines.txt' \
	'DNS, connection, GET with Accept-Encoding: deflate, gzip, br, zstd; 200 with Transfer-Encoding: chunked and Content-Encoding: gzip (4 KiB of text, no Content-Length); FIN exchange'
row lab-large.pcap 'curl http://www.lab.test/big.bin' \
	'DNS, connection, GET; 200 with a 200 KiB (204800-byte) body in ~140 full-sized (1448-byte) segments and the client ACKs; FIN exchange'
row lab-head-304-404.pcap 'curl -I http://www.lab.test/ --next -sS -o /dev/null -H "If-None-Match: ETAG" http://www.lab.test/ --next -sS -o /dev/null http://www.lab.test/nope (ETAG: the ETag nginx gives for /, asked before the capture)' \
	'one kept-alive connection, three exchanges: HEAD / -> 200 (headers only); conditional GET / -> 304 Not Modified (no body); GET /nope -> 404 with nginx error page; then FIN'
row lab-post.pcap 'curl --data-binary @FILE http://www.lab.test/post (FILE: 400 bytes)' \
	'POST /post with Content-Length 400 (form content type; headers and body written at once, no Expect: 100-continue); nginx reads the body and answers 200 "ok"'
row lab-http10-close.pcap 'curl http://www.lab.test:8080/' \
	'DNS, connection to port 8080; HTTP/1.1 GET answered HTTP/1.0 200 with no Content-Length: the body ends when the server closes (server FIN first)'
row lab-https-tls13.pcap 'curl -k --http1.1 --tlsv1.3 https://www.lab.test/' \
	'DNS, connection to 443; TLS 1.3: ClientHello (SNI www.lab.test, ALPN http/1.1), ServerHello, then only encrypted records (the GET, 200, session tickets and the close_notify alert all look like application data); FIN exchange'
row lab-https-tls12.pcap 'curl -k --http1.1 --tlsv1.2 --tls-max 1.2 https://www.lab.test/' \
	'DNS, connection to 443; TLS 1.2: ClientHello (SNI, ALPN http/1.1), ServerHello, Certificate, ServerKeyExchange, ServerHelloDone, ClientKeyExchange, ChangeCipherSpec, Finished; application data (GET, 200); encrypted close_notify alert (record type 21); FIN exchange'
row lab-pipelined.pcap 'python3 tests/record/pipeline_client.py www.lab.test 80' \
	'getaddrinfo (A and AAAA), connection; GET / and GET /style.css (Connection: close) pipelined in one segment; the two responses in order; server FIN'
row lab-slow-writer.pcap 'python3 tests/record/slow_client.py www.lab.test 80 /' \
	'getaddrinfo (A and AAAA), connection; the request (Connection: close) written 7 bytes per segment, 20 ms apart (TCP_NODELAY); 200 + index.html; server FIN'
row lab-quic.pcap 'chromium --headless --enable-quic --origin-to-force-quic-on=www.lab.test:443 --dump-dom https://www.lab.test/ (tcpdump filter: the one above and (udp port 443 or icmp or icmp6 or tcp port 443 or port 53))' \
	'DNS: HTTPS and A queries for www.lab.test (Chromium asks no AAAA: the namespace has no IPv6 default route); then a few QUIC v1 Initial packets (each a new connection: new DCID, packet number 1, 1250-byte UDP payload holding the first part of a ClientHello too big for one packet, in scrambled CRYPTO frames among PING and PADDING), each answered by ICMP port unreachable; Chromium then gives up (the origin is forced to QUIC, so no TCP fallback)'
cat <<'CRAFTED'

## Loopback captures (tests/record/parallel.sh)

| file | bytes | packets | command | what it shows |
| --- | --- | --- | --- | --- |
| `loopback-parallel.pcap` | 90895 | 800 | `sh tests/record/parallel.sh` (root): nginx on 127.0.0.1:18084 with `limit_req` (200 r/s, burst 100) so the responses lag; `dumpcap -P -i lo -f "tcp port 18084"`; `curl --parallel --parallel-immediate --parallel-max 80 -o "DIR/#1" "http://127.0.0.1:18084/a.txt?n=[1-80]"` | 80 HTTP/1.1 connections at once (no DNS: an address in the URL), each one GET and a 200 with a 3-byte body, the responses spread over 0.4 s after all requests were sent; then 80 FIN exchanges |

## Crafted captures

`crafted-*.pcap` are not recordings: `tests/crafted/gen.py` builds them, small and by hand,
to test malformed and hostile input (every packet is explained in that script). Each one
ends with good packets, to show that a bad packet never stops the run.

| file | what it holds |
| --- | --- |
| `crafted-dns-hostile.pcap` | DNS names, a TXT record and a CNAME target carrying ESC, CSI and OSC sequences, a bidi override, NUL, backslash and a dot inside a label: all printed escaped |
| `crafted-dns-malformed.pcap` | compression loops and forward pointers, names over 255 bytes, label type 0x40, an A record of 5 bytes, counts larger than the message, a 5-byte message |
| `crafted-ip-malformed.pcap` | IPv4 header length below 20, bad total lengths, a chain of 10 IPv6 extension headers, IPv4 fragments, ARP and an 802.3 frame |
| `crafted-tcp-malformed.pcap` | TCP data offsets below 5 and past the segment, a zero-length and an overlong option, SACK blocks, a header cut by the snap length |
| `crafted-tcp-seqwrap.pcap` | a whole fetch whose sequence numbers wrap past 2^32 |
| `crafted-tcp-notes.pcap` | a retransmission, a lost segment and its out-of-order fill, three duplicate ACKs, a zero window, a window update and a keep-alive |
| `crafted-dns-tcp-split.pcap` | DNS over TCP: a length prefix alone in a segment, a message over three segments, two messages in one segment, a retransmission, then a lost segment that ends the framing |
| `crafted-http-tls-hostile.pcap` | terminal escapes (CSI, OSC, bidi override, 8-bit CSI) in an HTTP request target, a header value and a reason phrase, and in a TLS SNI and ALPN; a header with a raw ESC is malformed |
| `crafted-tcp-overlap.pcap` | reassembly edges in one HTTP response: a segment held out of order and then retransmitted with different bytes, an overlapping segment, the hole filled last |

## The lab's captures (tests/lab/record.sh)

`lab-net-*.pcap` are recorded in the mini-internet of `tests/lab` (see `tests/lab/README.md`:
root, `com` and `example.com` name servers, an Unbound resolver, nginx, a client, all in
network namespaces, documentation addresses only) by `tests/lab/record.sh` (root; about 25 s;
re-running it re-records them all, with new time stamps, ports and ids). Each is
`fetchtrace -l -i IFACE -w FILE` (Ethernet, full snap length, fetchtrace's live default
filter) on the client's interface `ftn-cli0` (203.0.113.10, 2001:db8:1::10), or, for
`*-resolver.pcap`, on the resolver's upstream interface `ftn-res-up` (198.51.100.53,
2001:db8:2::53), where only Unbound's own queries pass. The client asks the resolver at
203.0.113.53; `www.example.com` is A 198.51.100.80 and AAAA 2001:db8:2::80 (TTL 300), and
the client prefers IPv6 (no gai.conf), so a plain curl connects to `[2001:db8:2::80]`.
`curl` below stands for `curl -sS -o /dev/null`. "Fresh lab" means the lab was torn down
and built again just before, so Unbound's cache was empty and the resolver capture started
before its first query: the priming query is in it.

| file | bytes | packets | what made it | what it shows |
| --- | --- | --- | --- | --- |
| `lab-net-cold-client.pcap` | 2302 | 16 | fresh lab; `tests/lab/fetch.sh --resolver -- curl http://www.example.com/`, client side | the cold fetch: A and AAAA queries answered after 5.6 ms (the resolver walked the hierarchy meanwhile), connection to [2001:db8:2::80]:80, GET /, 200 + 320-byte page, curl's FIN first |
| `lab-net-cold-resolver.pcap` | 2059 | 14 | the same run, resolver upstream side | the walk: priming (`. IN NS` to a.root-servers.net, answered with the root servers), then the full name, A and AAAA, to the root (referral to `com`), to a.gtld-servers.net (referral to `example.com`), to ns1.example.com (authoritative answer, AA bit); over IPv4 and IPv6 as Unbound picks |
| `lab-net-warm.pcap` | 4580 | 32 | fresh lab; client side over two `curl http://www.example.com/` 2 s apart | the cold fetch (DNS 5.70 ms, TTL 300), then the warm one: answers in 0.28 ms with TTL 297, labelled `[answered from the resolver's cache: TTL 297, first seen 300]` |
| `lab-net-warm-resolver.pcap` | 24 | 0 | the same run, resolver upstream side, during the second fetch only | nothing: a valid pcap with no packet, because the resolver answered from its cache |
| `lab-net-nxdomain.pcap` | 494 | 4 | after the warm run (the resolver knows the `example.com` servers); `curl http://nope.example.com/` (curl exits 6), client side | A and AAAA queries answered NXDOMAIN with the `example.com` SOA in authority: a negative answer that may be cached 300 s; no TCP |
| `lab-net-nxdomain-resolver.pcap` | 538 | 4 | the same run, resolver upstream side | the resolver asks only ns1.example.com (its cache holds the delegation), which answers NXDOMAIN, AA, with the SOA |
| `lab-net-cname.pcap` | 2348 | 16 | `curl http://alias.example.com/` | answers carry `alias.example.com CNAME www.example.com` then the address; fetch 1 is named `alias.example.com (CNAME www.example.com)`; Host: alias.example.com |
| `lab-net-page.pcap` | 4354 | 24 | `curl http://www.example.com/ http://www.example.com/style.css http://www.example.com/img/dot.png` | one keep-alive connection, three exchanges (page 320 B, stylesheet 67 B, PNG 532 B), then curl's FIN |
| `lab-net-large.pcap` | 1131167 | 806 | `curl http://www.example.com/big.bin` | a 1 MiB body in 1428-byte segments (IPv6, MSS 1440, timestamps) and the client's ACKs, downloaded in about 8 ms |
| `lab-net-chunked.pcap` | 2447 | 14 | `curl --compressed http://www.example.com/lines.txt` | 200 with Transfer-Encoding: chunked and Content-Encoding: gzip (13 KiB of text sent as 593 bytes of chunks) |
| `lab-net-https.pcap` | 4178 | 19 | `curl --cacert /run/fetchtrace-lab/tls/ca.crt https://www.example.com/` | connection to port 443, ClientHello (SNI www.example.com, ALPN h2,http/1.1), ServerHello TLS 1.3, then only encrypted records |
| `lab-net-ipv6.pcap` | 2302 | 16 | `curl -6 http://www.example.com/` | A and AAAA queries, the fetch over IPv6 to [2001:db8:2::80]:80 |
| `lab-net-ipv4.pcap` | 1852 | 14 | `curl -4 http://www.example.com/` | an A query only, the fetch over IPv4 to 198.51.100.80:80 |
| `lab-net-chromium.pcap` | 12019 | 56 | fresh lab; `chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update --disable-sync --disable-quic --disable-features=DnsOverHttps --user-data-dir=NEW --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE www.example.com" --dump-dom http://www.example.com/` | HTTPS, AAAA and A queries (the HTTPS record does not exist: a negative answer); two connections to port 80 and one to 443 (an HTTPS upgrade try, abandoned: the lab CA is not in Chromium's store); GET / and /style.css on one, /img/dot.png and /favicon.ico on the other |

## Exercises

In the spirit of the classic Wireshark labs, for this chapter. Each names the fetchtrace
command that answers it (run from the top of the repository; no root needed), and the answer
these captures give. `tests/lab/exercises.sh` (suite `exercises` of `make test`) checks every
answer below against fetchtrace's output, and checks that each check fails on a wrong capture.

1. **Which three pieces of information does a DNS query carry?**
   `fetchtrace -r captures/lab-net-cold-client.pcap` — the first line,
   `query #7dba www.example.com IN A [rd]`: the **name** (`www.example.com`), the **class**
   (`IN`, Internet) and the **type** (`A`, an IPv4 address). The next query asks the same name
   and class with type `AAAA`: `getaddrinfo()` wants both address families. (`#7dba` is the id
   that pairs the answer with the query, `rd` asks the resolver to recurse.)

2. **Which servers did the resolver ask, in order?**
   `fetchtrace -r captures/lab-net-cold-resolver.pcap` — first the root server
   a.root-servers.net (198.51.100.11) with `. IN NS`, labelled `[priming: ...]`: it learns the
   root servers (`[the root servers: 1 NS, 2 addresses]`). Then, for A and for AAAA of the full
   name `www.example.com`: the root (198.51.100.11 / 2001:db8:2::11), `[referral: the root
   refers to the com servers (1 NS, 2 glue addresses)]`; a.gtld-servers.net (198.51.100.12 /
   2001:db8:2::12), `[referral: the com server refers to the example.com servers ...]`;
   ns1.example.com (198.51.100.13 / 2001:db8:2::13), `[authoritative answer from the
   example.com server]` with the `aa` flag and `A 198.51.100.80`. Seven queries, seven answers,
   in about 5 ms.

3. **How long did each step take?**
   `fetchtrace -q --timeline -r captures/lab-net-cold-client.pcap` — `dns 5.56 ms  connect
   0.09 ms  send 0.00 ms  wait 0.10 ms  download 0.06 ms  close 0.12 ms`: the cold lookup is by
   far the longest step. `fetchtrace -q --timeline -r captures/lab-net-warm.pcap` shows the
   same fetch twice: `dns 5.70 ms`, then `dns 0.28 ms` when the answer came from the cache.

4. **How many connections did the browser open, and why?**
   `fetchtrace -q -r captures/lab-net-chromium.pcap` (add `--timeline` for the exchanges) —
   three (`tcp: 3 connections`). c3 goes to port 443: Chromium first tries the page over
   HTTPS (HTTPS upgrade); the lab CA is not in its store, so after the TLS handshake it gives
   up (`steps connect,close`, closed by the server first) and falls back to `http://`. c1 and c2
   go to port 80: HTTP/1.1 carries one request at a time on a connection, so to load the
   page's resources in parallel Chromium keeps several connections to the same server (up to
   six): c1 carries `GET /` and then `GET /style.css`, c2 `GET /img/dot.png` (sent at the same
   time as the stylesheet) and `GET /favicon.ico`. curl, fetching the same three objects one
   after the other, used one connection (`lab-net-page.pcap`, exercise 9).

5. **Who sent the first FIN?**
   `fetchtrace -r captures/lab-net-cold-client.pcap` — the client: the first `close` line is
   `[2001:db8:1::10]:... > [2001:db8:2::80]:80 FIN-ACK ..., client closes first`, and the
   summary says `closed by client first`. curl has what it asked for and closes; nginx would
   have kept the connection open for 30 s (keep-alive). In
   `fetchtrace -r captures/lab-net-chromium.pcap` the first FIN comes from the server
   (`[2001:db8:2::80]:443 > ... FIN-ACK ..., server closes first`): the abandoned HTTPS try,
   which nginx closes after Chromium rejected its certificate.

6. **Why does the warm fetch have no upstream queries?**
   `fetchtrace -r captures/lab-net-warm.pcap` and
   `fetchtrace -r captures/lab-net-warm-resolver.pcap` — the second fetch's answers carry
   `ttl 297` and the note `[answered from the resolver's cache: TTL 297, first seen 300]`: the
   resolver kept the records it had learnt 2.3 s earlier and counts their TTL down, so it
   answers at once (0.28 ms) without asking anyone. The resolver-side capture of that fetch is
   empty: `packets: 0 read`, `dns: 0 queries`. (The client still asks: it has no cache of its
   own.)

7. **What does the NXDOMAIN answer carry?**
   `fetchtrace -r captures/lab-net-nxdomain.pcap` — `answer ... nope.example.com IN A NXDOMAIN
   | auth example.com SOA ns1.example.com hostmaster.example.com 2024010101 3600 900 604800 300
   ttl 300 ... [negative answer: may be cached for 300 s (SOA)]`: the response code NXDOMAIN
   (the name does not exist), no answer record, and in the authority section the SOA of the
   zone that says so, whose TTL and minimum (300) give how long the "no" may be cached
   (RFC 2308). The same for AAAA; curl gives up (exit 6), no TCP. Upstream
   (`fetchtrace -r captures/lab-net-nxdomain-resolver.pcap`) the resolver asked only
   ns1.example.com, which answered with the `aa` flag.

8. **The alias: what did curl ask, and where did it connect?**
   `fetchtrace -r captures/lab-net-cname.pcap` — it asked `alias.example.com`; the answer is
   `CNAME www.example.com ttl 3600, www.example.com A 198.51.100.80`, and fetch 1 is
   `alias.example.com (CNAME www.example.com) -> 2001:db8:2::80 port 80`.

9. **A page, its stylesheet and its image with curl: how many connections?**
   `fetchtrace -q --timeline -r captures/lab-net-page.pcap` — one: exchanges `#1 GET /`,
   `#2 GET /style.css` and `#3 GET /img/dot.png` on `f1 c1`, the last two marked
   `(reused connection)` (no connect step: keep-alive).

10. **What of an HTTPS fetch can an observer still read?**
    `fetchtrace -r captures/lab-net-https.pcap` — the DNS question, the server's address, the
    name in the ClientHello (`SNI www.example.com`, ALPN h2,http/1.1), the TLS version and
    cipher (`ServerHello TLS 1.3 TLS_AES_256_GCM_SHA384`) and the sizes of the encrypted
    records (`TLS application data 96 B (encrypted)` up, 568 B down); not the request or
    the response.

11. **IPv4 or IPv6?**
    `fetchtrace -r captures/lab-net-ipv6.pcap` and `fetchtrace -r captures/lab-net-ipv4.pcap` —
    `curl -6` asked A and AAAA and connected to `[2001:db8:2::80]:80`; `curl -4` asked A only
    and connected to `198.51.100.80:80`.
CRAFTED
} >"$OUT/README.md"

# ---------------------------------------------------------------- summary
echo
echo "captures in $OUT:"
for f in $ALL; do
	if want "$f"; then r=recorded; else r=kept; fi
	printf '  %-22s %7s bytes %4s packets  (%s)\n' "$f" "$(size "$OUT/$f")" "$(count "$OUT/$f")" "$r"
done
if [ "$fail" -ne 0 ]; then
	echo "some checks failed (see above)"
	exit 1
fi
echo "all checks passed"
