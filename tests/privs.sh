#!/bin/sh
# privs.sh - after a live capture starts, fetchtrace runs as the invoking user (SUDO_UID/
# SUDO_GID) or the -Z user: real, effective, saved and file-system uid and gid, no root
# group, no capabilities left, and its -w file belongs to that user.  A traced command
# (-- CMD) holds only descriptors 0-2, gets the user's HOME, USER, LOGNAME and SHELL, is
# stopped by Ctrl-C (exit 130), killed when it ignores SIGTERM, and stopped by -c; its
# private key log (SSLKEYLOGFILE) is 0600 and the user's, and removed at exit; on a
# terminal it is the foreground job (tmux).  As root only, in a
# private network namespace (capturing on its loopback); skipped otherwise.
set -u
cd "$(dirname "$0")/.." || exit 1
bin=${FETCHTRACE:-build/san/fetchtrace}
skip() { echo "skip privs: $1"; echo "privs: 0 passed, 0 failed, 1 skipped"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root (live capture, network namespace)"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not installed"
[ -x "$bin" ] || { echo "FAIL privs: $bin not built"; echo "privs: 0 passed, 1 failed"; exit 1; }
uid=65534 gid=65534            # nobody / nogroup on Debian
p=0 f=0 pid=
ns=ft-privs-$$
tmp=$(mktemp -d) || exit 1
chmod 0777 "$tmp"               # the dropped process must be able to create its -w file
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"
ip -n "$ns" link set lo up || skip "cannot bring up lo in the namespace"
# The groups initgroups() gives the user, plus its own gid: nothing else is allowed.
allowed=" $gid $(id -G "$(getent passwd "$uid" | cut -d: -f1)" 2>/dev/null) "

ok() { echo "ok privs $1"; p=$((p + 1)); }
bad() { echo "FAIL privs $1"; f=$((f + 1)); }

# field NAME FILE: the values of one /proc/PID/status line
field() { sed -n "s/^$1:[[:space:]]*//p" "$2" | tr -s ' \t' '  '; }

# run LABEL ARGS...: start a capture (environment already set), check the process, stop it
run() {
	label=$1; shift
	rm -f "$tmp/p.pcap" "$tmp/err"
	ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" "$@" >/dev/null 2>"$tmp/err" &
	pid=$!
	i=0
	while ! grep -q 'listening on' "$tmp/err" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
			bad "$label: no 'listening on' within 10 s"; sed 's/^/  /' "$tmp/err"
			kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=; return
		fi
		sleep 0.1
	done
	# `ip netns exec` execs the command, so $! is fetchtrace itself; make sure
	exe=$(readlink "/proc/$pid/exe")
	case $exe in
	*/fetchtrace) ;;
	*) bad "$label: pid $pid is $exe, not fetchtrace"; kill "$pid"; wait "$pid"; pid=; return ;;
	esac
	cp "/proc/$pid/status" "$tmp/status"
	u=$(field Uid "$tmp/status") g=$(field Gid "$tmp/status") grps=$(field Groups "$tmp/status")
	if [ "$u" = "$uid $uid $uid $uid" ]; then ok "$label: uid real/effective/saved/fs $u"
	else bad "$label: Uid line '$u', expected $uid four times"; fi
	if [ "$g" = "$gid $gid $gid $gid" ]; then ok "$label: gid real/effective/saved/fs $g"
	else bad "$label: Gid line '$g', expected $gid four times"; fi
	stray=""
	for x in $grps; do
		case $allowed in *" $x "*) ;; *) stray="$stray $x" ;; esac
	done
	if [ -z "$stray" ]; then ok "$label: supplementary groups '${grps}' (no root group)"
	else bad "$label: supplementary groups '$grps' include$stray (allowed:$allowed)"; fi
	for c in CapEff CapPrm CapAmb CapInh; do
		v=$(field $c "$tmp/status")
		if [ "$v" = 0000000000000000 ]; then ok "$label: $c $v"
		else bad "$label: $c $v, expected no capabilities"; fi
	done
	kill -INT "$pid"
	wait "$pid"; rc=$?
	pid=
	if [ $rc -eq 0 ]; then ok "$label: exits 0 on SIGINT"
	else bad "$label: exit status $rc after SIGINT"; sed 's/^/  /' "$tmp/err"; fi
	if grep -E -q 'AddressSanitizer|runtime error' "$tmp/err"; then
		bad "$label: sanitizer report"; sed 's/^/  /' "$tmp/err"
	fi
	if [ -f "$tmp/p.pcap" ]; then
		own=$(stat -c '%u:%g' "$tmp/p.pcap")
		if [ "$own" = "$uid:$gid" ]; then ok "$label: -w file owned by $own"
		else bad "$label: -w file owned by $own, expected $uid:$gid"; fi
		magic=$(od -An -tx1 -N4 "$tmp/p.pcap" | tr -d ' ')
		case $magic in
		d4c3b2a1|a1b2c3d4|4d3cb2a1|a1b23c4d) ok "$label: -w file is a pcap file" ;;
		*) bad "$label: -w file starts with '$magic', not a pcap header" ;;
		esac
	else
		bad "$label: -w file $tmp/p.pcap not written"
	fi
}

run sudo-user env -u SUDO_USER SUDO_UID=$uid SUDO_GID=$gid "$bin" -i lo -w "$tmp/p.pcap"
run dash-Z env -u SUDO_UID -u SUDO_GID -u SUDO_USER "$bin" -i lo -Z nobody -w "$tmp/p.pcap"

# ---- the traced command (fetchtrace -- CMD): descriptors, environment, signals, -c ----

# waitfor PID SECS: PID's exit status, or 255 (after SIGKILL) when it takes longer than SECS
waitfor() {
	i=0
	while [ -d "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; do
		i=$((i + 1))
		if [ $i -gt $(($2 * 10)) ]; then kill -KILL "$1"; wait "$1"; return 255; fi
		sleep 0.1
	done
	wait "$1"
}
# started LABEL: wait until the background fetchtrace ($pid) says it listens
started() {
	i=0
	while ! grep -q 'listening on' "$tmp/err" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
			bad "$1: no 'listening on' within 10 s"; sed 's/^/  /' "$tmp/err"; return 1
		fi
		sleep 0.1
	done
}
name=$(getent passwd "$uid" | cut -d: -f1) home=$(getent passwd "$uid" | cut -d: -f6)
shell=$(getent passwd "$uid" | cut -d: -f7)

# descriptors and environment: only 0-2 are open in the command (not the capture socket,
# libpcap's eventfd or the -w file), and HOME, USER, LOGNAME, SHELL are the user's, not root's
# the descriptors of the command itself (ls, exec'd by fetchtrace; its own directory
# descriptor on /proc/self/fd left out)
ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" env SUDO_UID=$uid SUDO_GID=$gid \
	"$bin" -i lo -q -w "$tmp/c.pcap" -- ls -l /proc/self/fd >"$tmp/out" 2>"$tmp/err"
fds=$(awk '$(NF - 1) == "->" && $NF !~ /^\/proc\/[0-9]+\/fd$/ { printf "%s ", $(NF - 2) }' "$tmp/out")
if [ "$fds" = "0 1 2 " ]; then ok "command: open descriptors '$fds'"
else bad "command: open descriptors '$fds', expected only 0 1 2"; grep -- '->' "$tmp/out" | sed 's/^/  /'; fi
rm -f "$tmp/env"
# shellcheck disable=SC2016 # the command's shell expands them
ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" env HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
	SUDO_UID=$uid SUDO_GID=$gid "$bin" -i lo -- \
	sh -c 'printf "%s\n" "$HOME" "$USER" "$LOGNAME" "$SHELL" "$(id -u)" >'"$tmp/env"'; exit 3' \
	>"$tmp/out" 2>"$tmp/err"; rc=$?
env=$(tr '\n' ' ' <"$tmp/env" 2>/dev/null)
if [ "$env" = "$home $name $name $shell $uid " ]; then ok "command: HOME USER LOGNAME SHELL uid '$env'"
else bad "command: HOME USER LOGNAME SHELL uid '$env', expected '$home $name $name $shell $uid '"; fi
if [ $rc -eq 3 ]; then ok "command: fetchtrace exits with the command's status (3)"
else bad "command: exit status $rc, expected the command's 3"; sed 's/^/  /' "$tmp/err"; fi

# The command's private key log (issue 10): SSLKEYLOGFILE names a file of mode 0600 in a
# directory of mode 0700, both the command user's; fetchtrace removes both at exit.  With
# --keylog FILE the command writes FILE (created 0600, the user's) and it is kept.
rm -f "$tmp/kl"
# shellcheck disable=SC2016 # the command's shell expands them
ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" env SUDO_UID=$uid SUDO_GID=$gid "$bin" -i lo -q -- \
	sh -c 'f=$SSLKEYLOGFILE; printf "%s\n" "$f" "$(stat -c "%a %u" "$f")" "$(stat -c "%a %u" "${f%/*}")" >'"$tmp/kl" \
	>"$tmp/out" 2>"$tmp/err"
klf=$(sed -n 1p "$tmp/kl" 2>/dev/null) klm=$(sed -n 2p "$tmp/kl" 2>/dev/null) kld=$(sed -n 3p "$tmp/kl" 2>/dev/null)
if [ -n "$klf" ] && [ "$klm" = "600 $uid" ] && [ "$kld" = "700 $uid" ]; then
	ok "command: private key log '$klf' mode 600, directory 700, owned by $uid"
else bad "command: key log '$klf' file '$klm' directory '$kld', expected '600 $uid' and '700 $uid'"; fi
if [ -n "$klf" ] && [ ! -e "$klf" ] && [ ! -e "${klf%/*}" ]; then ok "command: private key log removed at exit"
else bad "command: private key log '$klf' (or its directory) left behind"; fi
rm -f "$tmp/kl" "$tmp/kept.keys"
# shellcheck disable=SC2016
ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" env SUDO_UID=$uid SUDO_GID=$gid "$bin" -i lo -q \
	--keylog "$tmp/kept.keys" -- sh -c 'printf "%s\n" "$SSLKEYLOGFILE" >'"$tmp/kl" >"$tmp/out" 2>"$tmp/err"
if [ "$(cat "$tmp/kl" 2>/dev/null)" = "$tmp/kept.keys" ] && [ "$(stat -c '%a %u' "$tmp/kept.keys" 2>/dev/null)" = "600 $uid" ]; then
	ok "command: --keylog FILE is the command's SSLKEYLOGFILE, kept, mode 600, owned by $uid"
else bad "command: --keylog FILE: SSLKEYLOGFILE '$(cat "$tmp/kl" 2>/dev/null)', file '$(stat -c '%a %u' "$tmp/kept.keys" 2>/dev/null)'"; fi

# Ctrl-C: the command gets SIGINT and fetchtrace exits with its status, 130
rm -f "$tmp/err"
ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" "$bin" -i lo -- sleep 100 >"$tmp/out" 2>"$tmp/err" &
pid=$!
if started "SIGINT"; then
	kill -INT "$pid"
	waitfor "$pid" 10; rc=$?
	if [ $rc -eq 130 ]; then ok "command: SIGINT ends it, exit status 130"
	else bad "command: exit status $rc after SIGINT, expected 130"; sed 's/^/  /' "$tmp/err"; fi
	if grep -q '^packets: ' "$tmp/out"; then ok "command: SIGINT: the summary is printed"
	else bad "command: SIGINT: no summary"; fi
fi
pid=

# a command that ignores SIGTERM is killed, with its process group, a short time later
rm -f "$tmp/err" "$tmp/pg"
ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" "$bin" -i lo -- \
	sh -c 'trap "" TERM; echo $$ >'"$tmp/pg"'; sleep 100; exit 0' >"$tmp/out" 2>"$tmp/err" &
pid=$!
# (the command has set its trap once it wrote its pid)
if started "SIGTERM ignored" && i=0 && while [ ! -s "$tmp/pg" ] && [ $i -lt 100 ]; do
	i=$((i + 1)); sleep 0.1; done; then
	t0=$(date +%s)
	kill -TERM "$pid"
	waitfor "$pid" 10; rc=$?
	t=$(($(date +%s) - t0))
	if [ $rc -eq 137 ] && [ $t -le 5 ]; then ok "command ignoring SIGTERM: killed after ${t} s, exit status 137"
	else bad "command ignoring SIGTERM: exit status $rc after $t s, expected 137 within 5 s"; fi
	pg=$(cat "$tmp/pg" 2>/dev/null)
	# SIGKILLed members may take a moment to go (zombies waiting for init do not count)
	i=0
	while :; do
		left=$(ps -e -o pid=,pgid=,stat= | awk -v g="$pg" '$2 == g && $3 !~ /^Z/ { print $1 }' | tr '\n' ' ')
		i=$((i + 1))
		[ -z "$left" ] || [ $i -gt 20 ] && break
		sleep 0.1
	done
	if [ -n "$pg" ] && [ -z "$left" ]; then ok "command ignoring SIGTERM: nothing left of process group $pg"
	else
		bad "command ignoring SIGTERM: process group '$pg' still has '$left'"
		# shellcheck disable=SC2086 # a list of pids
		kill -KILL $left 2>/dev/null
	fi
fi
pid=

# -c N in command mode: stop after N packets, then stop the command (SIGTERM: 143)
rm -f "$tmp/err"
ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" "$bin" -i lo -c 3 udp port 9 -- sleep 100 \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
if started "-c"; then
	ip netns exec "$ns" bash -c 'for i in 1 2 3 4 5 6 7 8 9 10; do echo x >/dev/udp/127.0.0.1/9; sleep 0.05; done' 2>/dev/null
	waitfor "$pid" 10; rc=$?
	if [ $rc -eq 143 ] && grep -q '^packets: 3 read' "$tmp/out"; then
		ok "command: -c 3 stops after 3 packets and stops the command (exit status 143)"
	else
		bad "command: -c 3: exit status $rc, expected 143, and: $(grep '^packets' "$tmp/out")"
		sed 's/^/  /' "$tmp/err"
	fi
fi
pid=
# On a terminal the command is the foreground job (tmux gives it a real one): it reads the
# terminal instead of being stopped by SIGTTIN, ^C reaches it (exit 130), and ^Z stops the
# whole job, which `fg` continues.
if command -v tmux >/dev/null 2>&1; then
	sock=$tmp/tmux
	tt() { tmux -S "$sock" "$@"; }
	waitfile() { i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; }
	# started: the capture is open and the command's group has the terminal
	ready() { waitfile "$tmp/tty-err"; i=0
		while ! grep -q 'listening on' "$tmp/tty-err" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1)); done; sleep 0.3; }
	run_tt() { # run_tt COMMAND: fetchtrace -- COMMAND in a fresh terminal; status in tty-rc
		rm -f "$tmp"/tty-*
		tt new -d -x 120 -y 20 "ASAN_OPTIONS=detect_leaks=0 ip netns exec $ns $PWD/$bin -q -i lo -- $1 2>$tmp/tty-err; echo \$? >$tmp/tty-rc"
		ready
	}
	run_tt "sh -c 'read x; echo \"got \$x\" >$tmp/tty-read'"
	tt send-keys hello Enter; waitfile "$tmp/tty-rc"
	if [ "$(cat "$tmp/tty-read" 2>/dev/null)" = "got hello" ] && [ "$(cat "$tmp/tty-rc")" = 0 ]; then
		ok "command: reads the terminal as the foreground job"
	else
		bad "command: terminal read: '$(cat "$tmp/tty-read" 2>/dev/null)', status $(cat "$tmp/tty-rc" 2>/dev/null)"
	fi
	tt kill-server 2>/dev/null
	run_tt "sleep 100"
	tt send-keys C-c; waitfile "$tmp/tty-rc"
	if [ "$(cat "$tmp/tty-rc" 2>/dev/null)" = 130 ]; then
		ok "command: ^C on the terminal stops it, exit status 130"
	else
		bad "command: ^C on the terminal: status '$(cat "$tmp/tty-rc" 2>/dev/null)', expected 130"
	fi
	tt kill-server 2>/dev/null
	rm -f "$tmp"/tty-*
	tt new -d -x 120 -y 20 "bash --norc --noprofile"
	sleep 0.5
	tt send-keys "ASAN_OPTIONS=detect_leaks=0 ip netns exec $ns $PWD/$bin -q -i lo -- sleep 1 2>$tmp/tty-err; echo \$? >$tmp/tty-rc" Enter
	ready
	tt send-keys C-z; sleep 0.5
	tt send-keys "jobs >$tmp/tty-jobs" Enter; waitfile "$tmp/tty-jobs"
	# bash runs the `echo $?` as the job stops (148); the job's own status is fg's
	tt send-keys fg Enter "echo \$? >$tmp/tty-fg" Enter; waitfile "$tmp/tty-fg"
	if grep -q Stopped "$tmp/tty-jobs" 2>/dev/null && [ "$(cat "$tmp/tty-fg" 2>/dev/null)" = 0 ]; then
		ok "command: ^Z stops the job, fg continues it to the end (exit status 0)"
	else
		bad "command: ^Z/fg: jobs '$(cat "$tmp/tty-jobs" 2>/dev/null)', status '$(cat "$tmp/tty-fg" 2>/dev/null)'"
	fi
	tt kill-server 2>/dev/null
else
	echo "skip privs: terminal job control (tmux not installed)"
fi
echo "privs: $p passed, $f failed"
[ $f -eq 0 ]
