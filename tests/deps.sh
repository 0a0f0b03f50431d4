#!/bin/sh
# deps.sh - make sure the build dependencies are here; install them when we can.
# Needs: a C compiler, make, pkg-config, and the headers of libpcap, OpenSSL's libcrypto
# (TLS and QUIC decryption), libnghttp2 (HPACK) and libnghttp3 (QPACK).  Tests also use
# tcpdump/tshark (oracle, recording) when present.
set -u
need=""
command -v cc >/dev/null 2>&1 || need="$need gcc"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
if ! printf '#include <pcap.h>\nint main(void){return 0;}\n' |
	cc -x c -o /dev/null - $(pkg-config --cflags libpcap 2>/dev/null) >/dev/null 2>&1; then
	need="$need libpcap-dev"
fi
# header, pkg-config module, Debian package
for lib in "openssl/evp.h libcrypto libssl-dev" "nghttp2/nghttp2.h libnghttp2 libnghttp2-dev" \
	"nghttp3/nghttp3.h libnghttp3 libnghttp3-dev"; do
	set -- $lib
	if ! printf '#include <%s>\nint main(void){return 0;}\n' "$1" |
		cc -x c -o /dev/null - $(pkg-config --cflags --libs "$2" 2>/dev/null) >/dev/null 2>&1; then
		need="$need $3"
	fi
done
# Socket calls through eBPF (issue 14): clang (BPF target), bpftool (the skeleton) and
# libbpf-dev.  Optional: without them fetchtrace is built with the ptrace fallback only, so
# they are installed when we can, and only named when we cannot.
opt=""
command -v clang >/dev/null 2>&1 || opt="$opt clang"
command -v bpftool >/dev/null 2>&1 || [ -x /usr/sbin/bpftool ] || opt="$opt bpftool"
pkg-config --exists libbpf 2>/dev/null || opt="$opt libbpf-dev"
if [ -n "$opt" ] && [ -z "$need" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "deps: installing$opt (eBPF socket calls)" >&2
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$opt; } >&2 ||
			echo "deps: could not install$opt: building with the ptrace fallback only" >&2
	else
		echo "deps: no$opt: building with the ptrace fallback only (eBPF needs them)" >&2
	fi
elif [ -n "$opt" ]; then
	need="$need$opt"
fi
[ -z "$need" ] && exit 0

cmd="apt-get install -y$need"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing$need" >&2
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $cmd -qq; } >&2 || {
		echo "deps: '$cmd' failed; run it by hand" >&2; exit 1; }
elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 &&
	sudo -n true 2>/dev/null; then
	echo "deps: installing$need through sudo" >&2
	{ sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive $cmd -qq; } >&2 || {
		echo "deps: 'sudo $cmd' failed; run it by hand" >&2; exit 1; }
else
	echo "deps: missing$need; run: sudo apt-get update && sudo $cmd" >&2
	exit 1
fi
