#!/bin/bash
# fetch.sh - run one command in the lab's client namespace while fetchtrace
# captures there (and, with --resolver, on the resolver's upstream side too).
#
#   tests/lab/fetch.sh [-o DIR] [--resolver] [-q] -- COMMAND ARGS...
#
#   -o DIR       keep the captures and outputs in DIR (made if missing):
#                  client.pcap, client.txt (fetchtrace's output), client.err
#                  resolver.pcap, resolver.txt, resolver.err (--resolver)
#                default: a new directory /tmp/fetchtrace-lab.XXXXXX
#   --resolver   also capture on ftn-res-up in ftnet-resolver: Unbound's own
#                queries to the root, com and example.com servers
#   -q           do not print fetchtrace's output (only save it)
#
# The lab must be up (make lab-up).  fetchtrace is $FETCHTRACE, or ./fetchtrace
# of this repository (built with `make fetchtrace` if missing).  Each capture
# is started, and the command is run only once fetchtrace says "listening
# on"; after it, FETCH_SETTLE seconds (default 1) let the last FIN/ACKs
# arrive, then the captures are stopped with SIGINT.  The command gets
# FETCH_TIMEOUT seconds (default 120).  Exit status: the command's.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/env.sh"

usage() { echo "usage: tests/lab/fetch.sh [-o DIR] [--resolver] [-q] -- COMMAND ARGS..."; }
die() { printf 'fetch.sh: %s\n' "$*" >&2; exit 2; }

out="" resolver="" quiet=""
while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || { usage >&2; exit 2; }; out=$2; shift 2 ;;
	-o*) out=${1#-o}; shift ;;
	--resolver) resolver=1; shift ;;
	-q) quiet=1; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { usage >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, live capture)"
[ -e "/run/netns/$NS_CLIENT" ] && [ -f "$LAB_STATE/up" ] || die "the lab is not up: run make lab-up"

ft=${FETCHTRACE:-$REPO/fetchtrace}
case $ft in /*) ;; *) ft=$REPO/$ft ;; esac
if [ ! -x "$ft" ]; then
	[ "$ft" = "$REPO/fetchtrace" ] || die "$ft: not found"
	make -s -C "$REPO" fetchtrace >&2 || die "make fetchtrace failed"
fi

if [ -z "$out" ]; then
	out=$(mktemp -d /tmp/fetchtrace-lab.XXXXXX) || die "mktemp"
fi
mkdir -p "$out" || die "cannot make $out"
out=$(cd "$out" && pwd)

caps=""   # pids of the running captures
cleanup() {
	local p
	for p in $caps; do kill -INT "$p" 2>/dev/null; done
	for p in $caps; do wait "$p" 2>/dev/null; done
	caps=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# capture NAME NS IFACE: fetchtrace -i IFACE in NS, into $out/NAME.*.  As root
# and not through sudo's uid, so it keeps root and can write $out (the files
# are given to the sudo user at the end).
capture() {
	local name=$1 ns=$2 ifn=$3
	rm -f "$out/$name.pcap" "$out/$name.txt" "$out/$name.err"
	ip netns exec "$ns" env -u SUDO_UID -u SUDO_GID ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
		"$ft" -l -i "$ifn" -w "$out/$name.pcap" >"$out/$name.txt" 2>"$out/$name.err" &
	caps="$caps $!"
	case $name in client) pid_client=$! ;; *) pid_resolver=$! ;; esac
}
pid_client="" pid_resolver=""
listening() { # listening NAME PID: wait up to 10 s for "listening on"
	for _ in $(seq 100); do
		grep -q 'listening on' "$out/$1.err" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	cat "$out/$1.err" >&2
	die "fetchtrace did not start on $1"
}

capture client "$NS_CLIENT" "$IF_CLIENT"
[ -z "$resolver" ] || capture resolver "$NS_RESOLVER" "$IF_RES_UP"
listening client "$pid_client"
[ -z "$resolver" ] || listening resolver "$pid_resolver"
sleep 0.2

timeout "${FETCH_TIMEOUT:-120}" ip netns exec "$NS_CLIENT" "$@"
rc=$?
[ $rc -ne 124 ] || printf 'fetch.sh: the command timed out after %s s\n' "${FETCH_TIMEOUT:-120}" >&2

sleep "${FETCH_SETTLE:-1}"
for p in $caps; do kill -INT "$p" 2>/dev/null; done
for p in $caps; do
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && { echo "fetch.sh: fetchtrace (pid $p) did not stop: SIGKILL" >&2; kill -KILL "$p"; }
	wait "$p" 2>/dev/null
done
caps=""

if [ -n "${SUDO_UID:-}" ] && [ -n "${SUDO_GID:-}" ]; then
	chown -R "$SUDO_UID:$SUDO_GID" "$out" 2>/dev/null
fi
if [ -z "$quiet" ]; then
	echo "== client capture ($NS_CLIENT, $IF_CLIENT): $out/client.pcap"
	cat "$out/client.txt"
	if [ -n "$resolver" ]; then
		echo "== resolver upstream capture ($NS_RESOLVER, $IF_RES_UP): $out/resolver.pcap"
		cat "$out/resolver.txt"
	fi
fi
exit $rc
