#!/bin/bash
# lab.sh - fetchtrace's mini-internet in network namespaces (tests/lab/README.md).
#
#   bash tests/lab/lab.sh up       (make lab-up)   build it, or say it is up already
#   bash tests/lab/lab.sh down     (make lab-down) remove everything it built
#   bash tests/lab/lab.sh status   exit 0 when it is up and healthy
#
# Root only.  Installs what it needs with apt-get (nsd, unbound, nginx-light,
# caddy, apache2-bin, openssl, iproute2, ethtool, curl, bind9-dnsutils for dig).  Every server runs in its own namespace;
# the pids it starts are recorded in $LAB_STATE/pids and `down` ends exactly
# those (after checking each is still the process it started), never
# anything found by name.  No packet leaves the namespaces: ftnet-router,
# where the lab's two LANs meet, has no link to the host or anywhere else.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
S=$LAB_STATE

log() { printf 'lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"

# ---------------------------------------------------------------- packages
install_pkgs() {
	local need="" policy="" rc=0
	command -v ip >/dev/null 2>&1 || need="$need iproute2"
	[ -x /usr/sbin/nsd ] || need="$need nsd"
	[ -x /usr/sbin/unbound ] || need="$need unbound"
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need="$need nginx-light"
	command -v caddy >/dev/null 2>&1 || need="$need caddy"
	[ -x /usr/sbin/apache2 ] && [ -f /usr/lib/apache2/modules/mod_http2.so ] || need="$need apache2-bin"
	command -v openssl >/dev/null 2>&1 || need="$need openssl"
	command -v curl >/dev/null 2>&1 || need="$need curl"
	command -v dig >/dev/null 2>&1 || need="$need bind9-dnsutils"
	command -v ss >/dev/null 2>&1 || need="$need iproute2"
	# ethtool turns segmentation offloads off on the lab's links (wire-sized
	# segments in captures, not 2-3 KiB GSO super-packets)
	command -v ethtool >/dev/null 2>&1 || need="$need ethtool"
	[ -n "$need" ] || return 0
	command -v apt-get >/dev/null 2>&1 || die "missing:$need (and no apt-get to install them)"
	log "installing:$need"
	# Package scripts must not start the system nsd/unbound/nginx services
	# on the host: a policy-rc.d that says no (only if there is none).
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		policy=1
	fi
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install \
		-y -qq --no-install-recommends $need >"$S.apt.log" 2>&1; } || rc=$?
	[ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
	[ "$rc" -eq 0 ] || { tail -20 "$S.apt.log" >&2; die "apt-get install$need failed"; }
	rm -f "$S.apt.log"
}

# ---------------------------------------------------------------- pids
# $S/pids/NAME holds "PID NAMESPACE COMM" for each server started.
pid_is_ours() { # pid_is_ours PID NS COMM: still the process we started?
	local pid=$1 ns=$2 comm=$3
	[ -d "/proc/$pid" ] || return 1
	case $(cat "/proc/$pid/comm" 2>/dev/null) in "$comm"|"$comm:"*) ;; *) return 1 ;; esac
	[ "$(ip netns identify "$pid" 2>/dev/null)" = "$ns" ] || return 1
}

# start NAME NS COMM COMMAND... - run a server in the foreground in NS, in a
# session of its own (no SIGHUP from the terminal), recording its pid.
# `ip netns exec` and `setsid` (not a group leader here) both exec, so $! is
# the server's own pid; that is checked (command name and namespace).  The
# servers' own children (nsd's "main" and "server", nginx's worker) end when
# it does: nsd's first process becomes its xfrd, and SIGTERM to it stops the
# whole nsd.
start() {
	local name=$1 ns=$2 comm=$3 pid
	shift 3
	ip netns exec "$ns" setsid "$@" </dev/null >"$S/log/$name.out" 2>&1 &
	pid=$!
	echo "$pid $ns $comm" >"$S/pids/$name"
	for _ in $(seq 100); do
		pid_is_ours "$pid" "$ns" "$comm" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$S/log/$name.out" >&2 || true
	die "$name ($comm) did not start"
}

# ---------------------------------------------------------------- down
down() {
	local f pid ns comm left=""
	if [ -d "$S/pids" ]; then
		for f in "$S"/pids/*; do
			[ -f "$f" ] || continue
			read -r pid ns comm <"$f" || continue
			if pid_is_ours "$pid" "$ns" "$comm"; then
				kill -TERM "$pid" 2>/dev/null || true
				left="$left $f"
			fi
		done
		for f in $left; do
			read -r pid ns comm <"$f"
			for _ in $(seq 50); do
				pid_is_ours "$pid" "$ns" "$comm" || break
				sleep 0.1
			done
			if pid_is_ours "$pid" "$ns" "$comm"; then
				log "$(basename "$f") ($comm, pid $pid) ignored SIGTERM: SIGKILL"
				kill -KILL "$pid" 2>/dev/null || true
			fi
		done
	fi
	# The servers' children (nsd's, nginx's workers) end with them; wait a
	# moment for the namespaces to empty, and name anything still there.
	for ns in $LAB_NAMESPACES; do
		[ -e "/run/netns/$ns" ] || continue
		for _ in $(seq 30); do
			[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
			sleep 0.1
		done
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			log "warning: pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) is still in $ns; not started by the lab, left alone"
		done
		ip netns del "$ns" 2>/dev/null || log "warning: could not delete netns $ns"
	done
	for ns in $LAB_NAMESPACES; do rm -rf "/etc/netns/$ns"; done
	rmdir /etc/netns 2>/dev/null || true
	rm -rf "$S"
}

# ---------------------------------------------------------------- status
status() { # quiet; 0 when every namespace and every recorded server is there
	local ns f pid comm n=0
	[ -f "$S/up" ] || return 1
	for ns in $LAB_NAMESPACES; do [ -e "/run/netns/$ns" ] || return 1; done
	for f in "$S"/pids/*; do
		[ -f "$f" ] || return 1
		read -r pid ns comm <"$f" || return 1
		pid_is_ours "$pid" "$ns" "$comm" || return 1
		n=$((n + 1))
	done
	[ "$n" -eq 7 ]
}

anything_there() {
	local ns
	[ -e "$S" ] && return 0
	for ns in $LAB_NAMESPACES; do
		[ -e "/run/netns/$ns" ] && return 0
		[ -e "/etc/netns/$ns" ] && return 0
	done
	return 1
}

lab_map() {
	cat <<EOF
fetchtrace lab (state in $S):
  netns          interface     addresses                          runs
  $NS_CLIENT   $IF_CLIENT      $CLIENT4  $CLIENT6        your commands (tests/lab/fetch.sh); resolver $RES_LAN4
  $NS_RESOLVER $IF_RES_LAN   $RES_LAN4  $RES_LAN6        unbound, answering the client LAN
                 $IF_RES_UP    $RES_UP4 $RES_UP6        unbound's own queries (the walk)
  $NS_ROOT     $IF_ROOT     $ROOT4 $ROOT6        nsd: . (a.root-servers.net), delegates com.
  $NS_COM      $IF_COM      $COM4 $COM6        nsd: com. (a.gtld-servers.net), delegates example.com.
  $NS_EXAMPLE  $IF_EXAMPLE  $EXAMPLE4 $EXAMPLE6        nsd: example.com. (ns1.example.com)
  $NS_WEB      $IF_WEB      $WEB4 $WEB6        nginx: www.example.com, http :80, https :443 (h2), h2c :8080,
                                                             https :8443 (RSA certificate)
                                                             apache2: http :8000, Upgrade: h2c
                 $IF_WEB      $FALLBACK4 $FALLBACK6        nginx: fallback.example.com, https :443 only (no UDP)
                 $IF_WEB      $H3_4 $H3_6        caddy: h3.example.com, https :443 TCP and HTTP/3 on UDP :443
  (resolver)                  $RES_LAN4:443 [$RES_LAN6]:443   unbound: DNS over HTTPS, https://dns.example.com/dns-query
  $NS_ROUTER   br-lan        $ROUTER_LAN4  $ROUTER_LAN6         client LAN 203.0.113.0/24 2001:db8:1::/64
                 br-net        $ROUTER_NET4 $ROUTER_NET6         server LAN 198.51.100.0/24 2001:db8:2::/64
  names: www.example.com A $WEB4 AAAA $WEB6; alias.example.com CNAME www;
         v4only (A only), v6only (AAAA only), mail, txt (TXT); fallback (HTTPS alpn h3,h2);
         h3 (caddy); dns (the resolver's DoH); others NXDOMAIN
  lab CA: $S/tls/ca.crt   (curl --cacert $S/tls/ca.crt https://www.example.com/)
  try:    tests/lab/fetch.sh --resolver -- curl -sS -o /dev/null http://www.example.com/
          ip netns exec $NS_CLIENT curl http://www.example.com/
EOF
}

# ---------------------------------------------------------------- up
up() {
	if status; then
		log "already up and healthy"
		lab_map
		return 0
	fi
	if anything_there; then
		log "found a partial lab: tearing it down first"
		down
	fi
	install_pkgs
	local t0=$SECONDS
	mkdir -p "$S/pids" "$S/log" "$S/zones" "$S/tls" "$S/unbound" \
		"$S/nginx/www/img" "$S/nginx/tmp" "$S/nginx/tls" "$S/caddy/tls" "$S/caddy/data" "$S/apache2"
	chmod 755 "$S" "$S/nginx" "$S/nginx/www" "$S/nginx/www/img"
	chmod 1777 "$S/nginx/tmp"
	# If anything below fails, leave nothing half built.
	trap 'rc=$?; if [ $rc -ne 0 ]; then log "lab-up failed: tearing down"; down; fi' EXIT

	log "building namespaces and links"
	local ns
	for ns in $LAB_NAMESPACES; do
		ip netns add "$ns"
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
			net.ipv6.conf.default.accept_ra=0 \
			net.ipv6.conf.all.router_solicitations=0 \
			net.ipv6.conf.default.router_solicitations=0 \
			net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		ip -n "$ns" link set lo up
	done
	local R=$NS_ROUTER
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	for br in br-lan br-net; do
		ip -n "$R" link add "$br" type bridge stp_state 0 forward_delay 0
		ip -n "$R" link set "$br" up
	done
	ip -n "$R" addr add "$ROUTER_LAN4/24" dev br-lan
	ip -n "$R" addr add "$ROUTER_LAN6/64" dev br-lan nodad
	ip -n "$R" addr add "$ROUTER_NET4/24" dev br-net
	ip -n "$R" addr add "$ROUTER_NET6/64" dev br-net nodad

	# link NS IF PORT BRIDGE ADDR4 ADDR6 [GW4 GW6]
	link() {
		local ns=$1 ifn=$2 port=$3 br=$4 a4=$5 a6=$6 g4=${7:-} g6=${8:-}
		ip link add "$ifn" netns "$ns" type veth peer name "$port" netns "$R"
		ip -n "$R" link set "$port" master "$br"
		ip -n "$R" link set "$port" up
		ip -n "$ns" addr add "$a4/24" dev "$ifn"
		ip -n "$ns" addr add "$a6/64" dev "$ifn" nodad
		ip -n "$ns" link set "$ifn" up
		# wire-sized segments in captures, not GSO/GRO super-packets
		if command -v ethtool >/dev/null 2>&1; then
			ip netns exec "$ns" ethtool -K "$ifn" tso off gso off gro off >/dev/null 2>&1 || true
			ip netns exec "$R" ethtool -K "$port" tso off gso off gro off >/dev/null 2>&1 || true
		fi
		if [ -n "$g4" ]; then
			ip -n "$ns" route add default via "$g4"
			ip -n "$ns" -6 route add default via "$g6" dev "$ifn"
		fi
	}
	link "$NS_CLIENT"   "$IF_CLIENT"  p-client  br-lan "$CLIENT4"  "$CLIENT6"  "$ROUTER_LAN4" "$ROUTER_LAN6"
	link "$NS_RESOLVER" "$IF_RES_LAN" p-res-lan br-lan "$RES_LAN4" "$RES_LAN6"
	link "$NS_RESOLVER" "$IF_RES_UP"  p-res-up  br-net "$RES_UP4"  "$RES_UP6"
	link "$NS_ROOT"     "$IF_ROOT"    p-root    br-net "$ROOT4"    "$ROOT6"    "$ROUTER_NET4" "$ROUTER_NET6"
	link "$NS_COM"      "$IF_COM"     p-com     br-net "$COM4"     "$COM6"     "$ROUTER_NET4" "$ROUTER_NET6"
	link "$NS_EXAMPLE"  "$IF_EXAMPLE" p-example br-net "$EXAMPLE4" "$EXAMPLE6" "$ROUTER_NET4" "$ROUTER_NET6"
	link "$NS_WEB"      "$IF_WEB"     p-web     br-net "$WEB4"     "$WEB6"     "$ROUTER_NET4" "$ROUTER_NET6"
	ip -n "$NS_WEB" addr add "$FALLBACK4/24" dev "$IF_WEB"
	ip -n "$NS_WEB" addr add "$FALLBACK6/64" dev "$IF_WEB" nodad
	ip -n "$NS_WEB" addr add "$H3_4/24" dev "$IF_WEB"
	ip -n "$NS_WEB" addr add "$H3_6/64" dev "$IF_WEB" nodad

	# The client's /etc/resolv.conf and /etc/hosts (ip netns exec bind-mounts them).
	mkdir -p "/etc/netns/$NS_CLIENT"
	printf 'nameserver %s\n' "$RES_LAN4" >"/etc/netns/$NS_CLIENT/resolv.conf"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
		>"/etc/netns/$NS_CLIENT/hosts"

	log "authoritative servers (nsd)"
	cp "$HERE/conf/root.zone" "$HERE/conf/com.zone" "$HERE/conf/example.com.zone" "$S/zones/"
	# nsd_conf NAME ZONE ZONEFILE ADDR4 ADDR6
	nsd_conf() {
		mkdir -p "$S/nsd-$1"
		sed -e "s|@DIR@|$S/nsd-$1|g" -e "s|@ZONE@|$2|g" -e "s|@ZONEFILE@|$S/zones/$3|g" \
			-e "s|@ADDR4@|$4|g" -e "s|@ADDR6@|$5|g" "$HERE/conf/nsd.conf.in" >"$S/nsd-$1/nsd.conf"
		/usr/sbin/nsd-checkconf "$S/nsd-$1/nsd.conf" || die "nsd-checkconf $1"
	}
	nsd_conf root . root.zone "$ROOT4" "$ROOT6"
	nsd_conf com com. com.zone "$COM4" "$COM6"
	nsd_conf example example.com. example.com.zone "$EXAMPLE4" "$EXAMPLE6"
	for z in root.zone:. com.zone:com. example.com.zone:example.com.; do
		/usr/sbin/nsd-checkzone "${z#*:}" "$S/zones/${z%%:*}" >/dev/null ||
			die "nsd-checkzone ${z%%:*}"
	done
	start nsd-root "$NS_ROOT" nsd /usr/sbin/nsd -d -c "$S/nsd-root/nsd.conf"
	start nsd-com "$NS_COM" nsd /usr/sbin/nsd -d -c "$S/nsd-com/nsd.conf"
	start nsd-example "$NS_EXAMPLE" nsd /usr/sbin/nsd -d -c "$S/nsd-example/nsd.conf"

	log "lab CA and web server (nginx)"
	local T=$S/tls
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
		-subj "/CN=fetchtrace lab CA" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign \
		-keyout "$T/ca.key" -out "$T/ca.crt" >/dev/null 2>&1 || die "openssl: lab CA"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj /CN=www.example.com -keyout "$T/www.example.com.key" -out "$T/www.csr" \
		>/dev/null 2>&1 || die "openssl: server key"
	printf 'subjectAltName=DNS:www.example.com,DNS:example.com,DNS:alias.example.com,DNS:v4only.example.com,DNS:v6only.example.com,DNS:fallback.example.com,DNS:h3.example.com\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$T/ext.cnf"
	openssl x509 -req -in "$T/www.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
		-days 30 -extfile "$T/ext.cnf" -out "$T/www.example.com.crt" >/dev/null 2>&1 ||
		die "openssl: server certificate"
	# the same names with an RSA key (nginx on 8443: RSA key exchange, CBC suites)
	openssl req -new -newkey rsa:2048 -nodes -subj /CN=www.example.com \
		-keyout "$T/www.example.com-rsa.key" -out "$T/www-rsa.csr" >/dev/null 2>&1 ||
		die "openssl: server RSA key"
	openssl x509 -req -in "$T/www-rsa.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
		-days 30 -extfile "$T/ext.cnf" -out "$T/www.example.com-rsa.crt" >/dev/null 2>&1 ||
		die "openssl: server RSA certificate"
	# the resolver's DNS-over-HTTPS certificate
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj /CN=dns.example.com -keyout "$T/dns.example.com.key" -out "$T/dns.csr" \
		>/dev/null 2>&1 || die "openssl: resolver key"
	printf 'subjectAltName=DNS:dns.example.com,IP:%s,IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$RES_LAN4" "$RES_LAN6" >"$T/dns-ext.cnf"
	openssl x509 -req -in "$T/dns.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
		-days 30 -extfile "$T/dns-ext.cnf" -out "$T/dns.example.com.crt" >/dev/null 2>&1 ||
		die "openssl: resolver certificate"
	chmod 644 "$T/ca.crt"
	cp "$T/dns.example.com.crt" "$T/dns.example.com.key" "$S/unbound/"

	log "recursive resolver (unbound, DNS over HTTPS too)"
	cp "$HERE/conf/root.hints" "$S/unbound/root.hints"
	sed -e "s|@DIR@|$S/unbound|g" -e "s|@HINTS@|$S/unbound/root.hints|g" \
		"$HERE/conf/unbound.conf.in" >"$S/unbound/unbound.conf"
	/usr/sbin/unbound-checkconf "$S/unbound/unbound.conf" >/dev/null || die "unbound-checkconf"
	start unbound "$NS_RESOLVER" unbound /usr/sbin/unbound -d -c "$S/unbound/unbound.conf"

	log "web servers (nginx; caddy for HTTP/3)"
	cp "$T/www.example.com.crt" "$T/www.example.com.key" "$T/www.example.com-rsa.crt" \
		"$T/www.example.com-rsa.key" "$S/nginx/tls/"
	local W=$S/nginx/www
	cat >"$W/index.html" <<'HTML'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>fetchtrace lab</title>
<link rel="stylesheet" href="/style.css"></head>
<body><h1>fetchtrace lab</h1>
<p>Hello from www.example.com, served by nginx in netns ftnet-web.</p>
<p><img src="/img/dot.png" alt="a small image" width="16" height="16"></p>
</body></html>
HTML
	printf 'body { font-family: sans-serif; color: #222; }\nh1 { color: #036; }\n' >"$W/style.css"
	# a 16x16 PNG
	echo 'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAB20lEQVR42g3LoQqFMABA0ftPLxqNxkWjsCJYBiuDlYFlsDKwCBZhZbBoNC4uGv2W5+kHfpJO0ksGiZCMkkkyS5TESJzES6Jkl5ySLOG30C30C8OCWBgXpoV5QS2YBbfgF+LCvnAu5OULmk7TawaN0IyaSTNrlMZonMZrombXnJqsv2DpLL1lsAjLaJkss0VZjMVZvCVadstpyfYLK91KvzKsiJVxZVqZV9SKWXErfiWu7CvnSl6/EOgCfWAIiMAYmAJzQAVMwAV8IAb2wBnI4Qsb3Ua/MWyIjXFj2pg31IbZcBt+I27sG+dG3r5w0B30B8OBOBgPpoP5QB2YA3fgD+LBfnAe5OMLiS7RJ4aESIyJKTEnVMIkXMInYmJPnImcvlDoCn1hKIjCWJgKc0EVTMEVfCEW9sJZyOULF91FfzFciIvxYrqYL9SFuXAX/iJe7BfnRb6+cNPd9DfDjbgZb6ab+UbdmBt342/izX5z3uT7C5Wu0leGiqiMlakyV1TFVFzFV2Jlr5yVXL/Q6Bp9Y2iIxtiYGnNDNUzDNXwjNvbG2cjtCw/dQ/8wPIiH8WF6mB/Ug3lwD/4hPuwP50N+vvDSvfQvw4t4GV+ml/lFvZgX9+Jf4sv+cr7k9w/3chEQFTabgQAAAABJRU5ErkJggg==' |
		base64 -d >"$W/img/dot.png"
	# a large file (1 MiB) and text that nginx gzips (chunked) on request
	yes 'fetchtrace lab filler line 0123456789abcdefghijklmnopqrstuvwxyz' | head -c 1048576 >"$W/big.bin"
	for i in $(seq 1 200); do
		printf 'line %03d: fetchtrace lab text, gzip-compressed by nginx on request\n' "$i"
	done >"$W/lines.txt"
	chmod -R a+rX "$W"
	sed -e "s|@WEB4@|$WEB4|g" -e "s|@WEB6@|$WEB6|g" -e "s|@FALLBACK4@|$FALLBACK4|g" \
		-e "s|@FALLBACK6@|$FALLBACK6|g" "$HERE/conf/nginx.conf.in" >"$S/nginx/nginx.conf"
	local NGINX
	NGINX=$(command -v nginx || echo /usr/sbin/nginx)
	ip netns exec "$NS_WEB" "$NGINX" -t -q -p "$S/nginx/" -c "$S/nginx/nginx.conf" \
		-e "$S/nginx/error.log" || die "nginx -t"
	start nginx "$NS_WEB" nginx "$NGINX" -p "$S/nginx/" -c "$S/nginx/nginx.conf" -e "$S/nginx/error.log"
	# Caddy: h3.example.com on addresses of its own (TCP and UDP 443: HTTP/3),
	# the same files and certificate; its home and data in $S/caddy (no ACME,
	# no admin endpoint).
	local C=$S/caddy
	cp "$T/www.example.com.crt" "$T/www.example.com.key" "$C/tls/"
	ln -s "$W" "$C/www"
	sed -e "s|@DIR@|$C|g" -e "s|@H3_4@|$H3_4|g" -e "s|@H3_6@|$H3_6|g" \
		"$HERE/conf/Caddyfile.in" >"$C/Caddyfile"
	env HOME="$C" XDG_DATA_HOME="$C/data" XDG_CONFIG_HOME="$C/data" \
		caddy validate --adapter caddyfile --config "$C/Caddyfile" >"$S/log/caddy-validate.out" 2>&1 ||
		{ tail -5 "$S/log/caddy-validate.out" >&2; die "caddy validate"; }
	start caddy "$NS_WEB" caddy env HOME="$C" XDG_DATA_HOME="$C/data" XDG_CONFIG_HOME="$C/data" \
		"$(command -v caddy)" run --adapter caddyfile --config "$C/Caddyfile"

	# Apache (mod_http2): cleartext HTTP/2 by `Upgrade: h2c` on port 8000.
	sed -e "s|@DIR@|$S/apache2|g" -e "s|@WWW@|$W|g" -e "s|@WEB4@|$WEB4|g" -e "s|@WEB6@|$WEB6|g" \
		"$HERE/conf/apache2.conf.in" >"$S/apache2/apache2.conf"
	/usr/sbin/apache2 -d "$S/apache2" -f "$S/apache2/apache2.conf" -t >"$S/log/apache2-t.out" 2>&1 ||
		{ tail -5 "$S/log/apache2-t.out" >&2; die "apache2 -t"; }
	start apache2 "$NS_WEB" apache2 /usr/sbin/apache2 -d "$S/apache2" -f "$S/apache2/apache2.conf" -DFOREGROUND

	log "waiting for the servers"
	# Each authoritative server is asked for its own zone's SOA, from the
	# resolver's namespace (the resolver itself is only checked to be
	# listening: asking it anything would warm its cache); the web server
	# gets one GET over HTTP and HTTPS by address, from the web namespace.
	ready() {
		ip netns exec "$NS_RESOLVER" dig +short +time=1 +tries=1 "@$ROOT4" . SOA | grep -q root-servers &&
			ip netns exec "$NS_RESOLVER" dig +short +time=1 +tries=1 "@$COM6" com. SOA | grep -q gtld &&
			ip netns exec "$NS_RESOLVER" dig +short +time=1 +tries=1 "@$EXAMPLE4" www.example.com A | grep -qx "$WEB4" &&
			ip netns exec "$NS_RESOLVER" ss -lunH "src $RES_LAN4:53" | grep -q . &&
			ip netns exec "$NS_RESOLVER" ss -ltnH "src [$RES_LAN6]:53" | grep -q . &&
			ip netns exec "$NS_RESOLVER" ss -ltnH "src $RES_LAN4:443" | grep -q . &&
			ip netns exec "$NS_WEB" ss -lunH "src $H3_4:443" | grep -q . &&
			ip netns exec "$NS_WEB" curl -s -o /dev/null --max-time 2 "http://$WEB4/" &&
			ip netns exec "$NS_WEB" curl -s -o /dev/null --max-time 2 "http://$WEB4:8000/" &&
			ip netns exec "$NS_WEB" curl -s -o /dev/null --max-time 2 --cacert "$T/ca.crt" \
				--resolve "www.example.com:443:[$WEB6]" https://www.example.com/
	}
	local ok=""
	for _ in $(seq 60); do
		if ready 2>/dev/null; then ok=1; break; fi
		sleep 0.25
	done
	if [ -z "$ok" ]; then
		for f in "$S"/log/*.out "$S"/nsd-*/nsd.log "$S/unbound/unbound.log" "$S/nginx/error.log" \
			"$S/caddy/caddy.log" "$S/apache2/error.log"; do
			[ -s "$f" ] && { echo "--- $f"; tail -5 "$f"; } >&2
		done
		die "the lab servers did not come up"
	fi
	touch "$S/up"
	trap - EXIT
	log "up in $((SECONDS - t0)) s"
	lab_map
}

case ${1:-} in
up) up ;;
down)
	if anything_there; then down; log "down: namespaces, links, /etc/netns/ftnet-* and $S removed"
	else log "nothing to remove"; fi ;;
status)
	if status; then echo "lab is up"; else echo "lab is not up"; exit 1; fi ;;
map) lab_map ;;
*) echo "usage: bash tests/lab/lab.sh up|down|status|map" >&2; exit 2 ;;
esac
