# lib.sh - sourced by the recording scripts (and tests/bench/https.sh): the head of a
# throw-away nginx's configuration, and a veth pair between two network namespaces.

# nginx_head: nginx.conf up to inside `http {`, for a server run with `nginx -p DIR`: one
# worker; its pid, logs and temporary files under DIR.  The caller writes the rest.
nginx_head() {
	cat <<'CONF'
worker_processes 1;
pid nginx.pid;
error_log error.log;
daemon on;
events { worker_connections 16; }
http {
	access_log access.log;
	client_body_temp_path tmp/body;
	proxy_temp_path tmp/proxy;
	fastcgi_temp_path tmp/fastcgi;
	uwsgi_temp_path tmp/uwsgi;
	scgi_temp_path tmp/scgi;
CONF
}

# veth_pair NS_A NS_B IF_A IF_B PREFIX: network namespaces NS_A and NS_B, made here, joined by
# a veth pair (IF_A in NS_A with PREFIX.1/24, IF_B in NS_B with PREFIX.2/24), loopback up in
# both, segmentation offloads off (the capture holds wire-sized segments, as on a real link).
veth_pair() {
	ip netns add "$1"
	ip netns add "$2"
	ip -n "$1" link add "$3" type veth peer name "$4" netns "$2"
	ip -n "$1" addr add "$5.1/24" dev "$3"
	ip -n "$2" addr add "$5.2/24" dev "$4"
	ip -n "$1" link set "$3" up
	ip -n "$2" link set "$4" up
	ip -n "$1" link set lo up
	ip -n "$2" link set lo up
	ip netns exec "$1" ethtool -K "$3" tso off gso off gro off >/dev/null 2>&1 || true
	ip netns exec "$2" ethtool -K "$4" tso off gso off gro off >/dev/null 2>&1 || true
}
