#!/bin/sh
# badinput.sh - bad input gets one line on stderr naming the cause and the right exit status
# (1 for runtime errors, 2 for usage errors); what was decodable before a fault is still printed.
set -u
cd "$(dirname "$0")/.." || exit 1
bin=${FETCHTRACE:-build/san/fetchtrace}
export TZ=UTC LC_ALL=C
p=0 f=0 s=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# case NAME STATUS REGEX -- ARGS...: run, check exit status, stderr is one line matching REGEX
case_() {
	name=$1 want=$2 re=$3; shift 4
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL bad-input $name: exit $rc, expected $want"; sed 's/^/  /' "$tmp/err"; f=$((f + 1)); return 1
	fi
	if [ "$lines" -ne 1 ] || ! grep -E -q -- "$re" "$tmp/err"; then
		echo "FAIL bad-input $name: stderr should be one line matching /$re/:"; sed 's/^/  /' "$tmp/err"
		f=$((f + 1)); return 1
	fi
	echo "ok bad-input $name"; p=$((p + 1)); return 0
}

case_ missing-file 1 'nosuch\.pcap: No such file or directory' -- -r "$tmp/nosuch.pcap"
mkdir "$tmp/dir"
case_ directory 1 'dir.*(Is a directory|error reading dump file)' -- -r "$tmp/dir"
echo "this is not a capture" >"$tmp/text.txt"
case_ not-a-capture 1 'unknown file format' -- -r "$tmp/text.txt"
: >"$tmp/empty.pcap"
case_ empty-file 1 'empty.pcap' -- -r "$tmp/empty.pcap"

# found by fuzz_pipeline: with a key log, a ClientHello on a connection already reset (its
# slot kept for late packets) made a TLS layer nothing freed (LeakSanitizer); the file ends
# in a record too long for its snap length
case_ late-hello-after-reset 1 'bigger than snaplen' -- -r tests/fuzz/regress/tls-late-hello.pcap \
	--keylog captures/lab-h2-curl.keys

# cut off in the middle of a record: the packets before the cut are still printed
size=$(wc -c <captures/keepalive.pcap)
head -c $((size - 10)) captures/keepalive.pcap >"$tmp/cut.pcap"
if case_ cut-mid-record 1 'cut.pcap: truncated dump file' -- -r "$tmp/cut.pcap"; then
	n=$(grep -c -E '^ *[0-9]+\.[0-9]+ +(resolve|connect|write|read|close) ' "$tmp/out")
	full=$("$bin" -r captures/keepalive.pcap | grep -c -E '^ *[0-9]+\.[0-9]+ +(resolve|connect|write|read|close) ')
	if [ "$n" -eq $((full - 1)) ] && grep -q '^packets: ' "$tmp/out"; then
		echo "ok bad-input cut-mid-record prints the $n packets before the cut and the summary"; p=$((p + 1))
	else
		echo "FAIL bad-input cut-mid-record: $n packet lines printed, expected $((full - 1)), and a summary"; f=$((f + 1))
	fi
fi

# a link type fetchtrace does not decode (DLT_USER0 = 147): pcap header and one record
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\223\000\000\000' >"$tmp/user0.pcap"
printf '\000\000\000\000\000\000\000\000\004\000\000\000\004\000\000\000abcd' >>"$tmp/user0.pcap"
case_ unsupported-link 1 'link type 147 .*not supported' -- -r "$tmp/user0.pcap"

case_ bad-filter 1 "filter 'tcp port': .*syntax error" -- -r captures/cold-fetch.pcap tcp port
case_ unknown-option 2 'unknown option -X' -- -X
case_ unknown-long-option 2 "unknown option '--bogus'" -- --bogus
case_ missing-argument 2 'missing argument for -r' -- -r
case_ bad-count 2 "bad packet count 'abc'" -- -r captures/cold-fetch.pcap -c abc
case_ bad-snaplen 2 "bad snap length '-5'" -- -r captures/cold-fetch.pcap -s -5
case_ bad-color 2 "bad --color value 'sometimes'" -- -r captures/cold-fetch.pcap --color=sometimes
case_ read-and-live 2 '-r and -i cannot be used together' -- -r captures/cold-fetch.pcap -i lo
if [ "$(id -u)" -eq 0 ]; then
	case_ unknown-interface 1 'nosuchif0: no such device' -- -i nosuchif0
	case_ unknown-user 1 '-Z nosuchuser0: no such user' -- -r captures/cold-fetch.pcap -Z nosuchuser0
	# -B is KiB, and libpcap takes bytes in an int: 2097151 KiB is the most it can hold
	case_ buffer-too-big 2 "bad buffer size '4194304' \(expected 1\.\.2097151\)" -- -i lo -B 4194304 -c 1
else
	echo "skip bad-input unknown-interface: needs root (without it the error is about permission)"; s=$((s + 1))
	echo "skip bad-input unknown-user: needs root"; s=$((s + 1))
fi

# no crash on a capture read from standard input that is cut short
head -c 30 captures/cold-fetch.pcap | "$bin" -r - >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
	echo "ok bad-input stdin-cut"; p=$((p + 1))
else
	echo "FAIL bad-input stdin-cut: exit $rc"; cat "$tmp/err"; f=$((f + 1))
fi
# A capture truncated by another process while fetchtrace reads it (mapped, the pages past the
# new end are gone: SIGBUS): one line, "FILE: truncated while being read", exit 1, not a signal.
# Deterministic: fetchtrace writes to a FIFO nobody reads yet, so it blocks in write() mid-file;
# only then is the file cut to its header, and the FIFO drained.
{ head -c 24 captures/lab-large.pcap
  for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do tail -c +25 captures/lab-large.pcap; done
} >"$tmp/cut.pcap"
mkfifo "$tmp/fifo"
"$bin" -r "$tmp/cut.pcap" >"$tmp/fifo" 2>"$tmp/err" </dev/null &
ft=$!
exec 3<"$tmp/fifo"
i=0 blocked=
while [ $i -lt 200 ] && [ -z "$blocked" ]; do # blocked in write(1, ...), the pipe full
	case "$(cat "/proc/$ft/wchan" 2>/dev/null) $(cut -d' ' -f1,2 "/proc/$ft/syscall" 2>/dev/null)" in
	*pipe_write*|*" 1 0x1"|*" 64 0x1") blocked=1 ;;
	*) sleep 0.05; i=$((i + 1)) ;;
	esac
done
truncate -s 24 "$tmp/cut.pcap"
cat <&3 >"$tmp/out"
exec 3<&-
wait "$ft"; rc=$?
if [ -z "$blocked" ]; then
	echo "FAIL bad-input truncated-while-read: fetchtrace never blocked writing"; f=$((f + 1))
elif [ "$rc" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
	grep -Eq "^fetchtrace: $tmp/cut\.pcap: truncated while being read" "$tmp/err" &&
	[ "$(grep -c . "$tmp/out")" -gt 100 ]; then
	echo "ok bad-input truncated-while-read"; p=$((p + 1))
else
	echo "FAIL bad-input truncated-while-read: exit $rc, $(grep -c . "$tmp/out") lines out, stderr:"
	sed 's/^/  /' "$tmp/err" | head -5; f=$((f + 1))
fi

echo "badinput: $p passed, $f failed, $s skipped"
[ $f -eq 0 ]
