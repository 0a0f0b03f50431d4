#!/bin/sh
# cli.sh - the command line outside decoding: --help, --version, -D, colour and NO_COLOR,
# -w while reading a file, -c, and the one-line permission error for an unprivileged user.
set -u
cd "$(dirname "$0")/.." || exit 1
bin=${FETCHTRACE:-build/san/fetchtrace}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
export TZ=UTC LC_ALL=C
p=0 f=0 s=0
tmp=$(mktemp -d) || exit 1
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then echo "ok cli $d"; p=$((p + 1)); else echo "FAIL cli $d"; f=$((f + 1)); fi
}
skip() { echo "skip cli $1"; s=$((s + 1)); }

"$bin" --help >"$tmp/help" 2>&1; rc=$?
check "--help exits 0" [ $rc -eq 0 ]
check "--help: every line fits 100 columns" sh -c "! awk 'length > 100' '$tmp/help' | grep -q ."
# every option getopt accepts (main.c's one table, opt_defs) is in --help
opts=$(sed -n -e "s/^[[:space:]]*{ '\(.\)', NULL,.*/-\1/p" \
	-e 's/^[[:space:]]*{ OPT_[A-Z]*, "\([a-z-]*\)",.*/--\1/p' src/main.c)
check "the option table has the long and short options" sh -c \
	"[ \$(echo '$opts' | grep -c -- '^--') -ge 12 ] && [ \$(echo '$opts' | grep -c -- '^-[a-zA-Z]\$') -ge 12 ]"
for opt in $opts; do
	[ "$opt" = -t ] && opt=-tt # counted: -tt, -ttt
	check "--help names $opt" grep -q -E -- "(^|[ ,(/])$opt([] =[,)]|\$)" "$tmp/help"
done
check "--version" sh -c "'$bin' --version | grep -q -E '^fetchtrace [0-9]+\.[0-9]+\.[0-9]+$'"
"$bin" -D >"$tmp/devs" 2>&1
check "-D lists the loopback device" grep -q -E '^[0-9]+\.lo .*Loopback' "$tmp/devs"

# colour: always gives ANSI codes, never and a pipe do not; NO_COLOR beats auto on a terminal
esc=$(printf '\033')
"$bin" -r captures/cold-fetch.pcap --color=always >"$tmp/c1"
check "--color=always colours the steps" grep -q "${esc}\[36mresolve${esc}\[0m" "$tmp/c1"
"$bin" -r captures/cold-fetch.pcap >"$tmp/c2"
check "no colour into a pipe" sh -c "! grep -q '$esc' '$tmp/c2'"
if command -v script >/dev/null 2>&1; then
	TERM=xterm script -qec "'$bin' -r captures/cold-fetch.pcap" /dev/null >"$tmp/tty1" </dev/null
	check "auto colours a terminal" grep -q "${esc}\[" "$tmp/tty1"
	TERM=xterm NO_COLOR=1 script -qec "'$bin' -r captures/cold-fetch.pcap" /dev/null >"$tmp/tty2" </dev/null
	check "NO_COLOR turns auto colour off" sh -c "! grep -q '${esc}\[3' '$tmp/tty2'"
else
	skip "terminal colour: script(1) not installed"
fi

# compact lines: --brief, or a terminal narrower than the full line (TIOCGWINSZ, else
# COLUMNS); -v brings the full lines back.  Packet lines and fetch headers fit the width.
wide() { # wide FILE MAX: no packet line or fetch header of FILE is wider than MAX columns
	sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -E '^( *[0-9]+)? *-?[0-9]+\.[0-9]{6} |^fetch ' |
		awk -v max="$2" 'length($0) > max { bad = 1; print "  too wide: " $0 } END { exit bad }'
}
bad=0
for c in captures/*.pcap captures/*.pcapng; do
	"$bin" -r "$c" --brief --all -# >"$tmp/b" 2>/dev/null
	wide "$tmp/b" 100 || { echo "  in $c"; bad=1; }
done
check "--brief: every packet line of every capture fits 100 columns" [ $bad -eq 0 ]
"$bin" -r captures/keepalive.pcap --brief >"$tmp/b1"
check "--brief: time, step, tags, arrow, note" grep -q -E '^ +0\.000589 connect f1 c1 +-> SYN$' "$tmp/b1"
check "--brief: no TCP details" sh -c "! grep -q ' win ' '$tmp/b1'"
"$bin" -r captures/keepalive.pcap --brief -v >"$tmp/b2"
"$bin" -r captures/keepalive.pcap >"$tmp/b3"
check "-v: full lines, whatever --brief says" cmp -s "$tmp/b2" "$tmp/b3"
if command -v script >/dev/null 2>&1; then
	COLUMNS=80 script -qec "'$bin' -r captures/keepalive.pcap --color=never" /dev/null >"$tmp/t1" </dev/null
	check "a terminal of 80 columns (COLUMNS) gets compact lines" grep -q -E -- '-> SYN.?$' "$tmp/t1"
	tr -d '\r' <"$tmp/t1" >"$tmp/t1n"
	check "... that fit its 80 columns" wide "$tmp/t1n" 80
	COLUMNS=80 script -qec "'$bin' -r captures/keepalive.pcap -v" /dev/null >"$tmp/t2" </dev/null
	check "-v on a narrow terminal: full lines" grep -q 'SYN seq 0 win' "$tmp/t2"
	COLUMNS=200 script -qec "'$bin' -r captures/keepalive.pcap" /dev/null >"$tmp/t3" </dev/null
	check "a terminal of 200 columns: full lines" grep -q 'SYN seq 0 win' "$tmp/t3"
	COLUMNS=200 script -qec "stty cols 70; '$bin' -r captures/cname.pcap --color=never" /dev/null \
		>"$tmp/t4" </dev/null
	tr -d '\r' <"$tmp/t4" >"$tmp/t4n"
	check "the terminal's own width (TIOCGWINSZ) beats COLUMNS" sh -c \
		"grep -q -- '-> query' '$tmp/t4n' && ! grep -q 'getaddrinfo()' '$tmp/t4n'"
	check "... and the lines fit its 70 columns" wide "$tmp/t4n" 70
else
	skip "compact lines on a terminal: script(1) not installed"
fi

# -w while reading: the saved file decodes to the same lines
"$bin" -r captures/keepalive.pcap -w "$tmp/copy.pcap" >"$tmp/w1"
"$bin" -r "$tmp/copy.pcap" >"$tmp/w2"
check "-w copy decodes the same" cmp -s "$tmp/w1" "$tmp/w2"
check "-w copy is a real capture of 38 packets" grep -q '^packets: 38 read' "$tmp/w2"
"$bin" -r captures/keepalive.pcap -c 5 -w "$tmp/c5.pcap" >/dev/null
"$bin" -r "$tmp/c5.pcap" >"$tmp/c5"
check "-c 5 stops after 5 packets (and -w saved 5)" grep -q '^packets: 5 read' "$tmp/c5"

# write errors (issue 9): a failed write to stdout, -w or --har is one line on stderr and exit 1
# werr DESCRIPTION REGEX ARGS...: fetchtrace ARGS must exit 1 with one stderr line matching REGEX
werr() {
	wd=$1 re=$2; shift 2
	"$@" 2>"$tmp/werr"; rc=$?
	check "$wd: exit 1 (got $rc)" [ $rc -eq 1 ]
	check "$wd: one line on stderr matching /$re/" sh -c \
		"[ \$(wc -l <'$tmp/werr') -eq 1 ] && grep -E -q -- '$re' '$tmp/werr'" ||
		sed 's/^/  stderr: /' "$tmp/werr"
}
if [ -w /dev/full ]; then
	werr "text to /dev/full" 'standard output: No space left on device' \
		sh -c "'$bin' -r captures/keepalive.pcap >/dev/full"
	werr "--json to /dev/full" 'standard output: No space left on device' \
		sh -c "'$bin' -r captures/keepalive.pcap --json >/dev/full"
	werr "-q to /dev/full" 'standard output: No space left on device' \
		sh -c "'$bin' -r captures/keepalive.pcap -q >/dev/full"
	werr "--help to /dev/full" 'standard output: No space left on device' \
		sh -c "'$bin' --help >/dev/full"
	werr "-D to /dev/full" 'standard output: No space left on device' \
		sh -c "'$bin' -D >/dev/full"
	werr "-w /dev/full" '^fetchtrace: -w /dev/full: No space left on device$' \
		sh -c "'$bin' -r captures/keepalive.pcap -q -w /dev/full >/dev/null"
	werr "--har /dev/full" '^fetchtrace: --har /dev/full: No space left on device$' \
		sh -c "'$bin' -r captures/keepalive.pcap -q --har /dev/full >/dev/null"
else
	skip "write errors: no /dev/full"
fi
# a --har file that cannot be created is refused before the capture is read, naming the path once
werr "--har in a missing directory" '^fetchtrace: --har /nonexistent/dir/x\.har: No such file or directory$' \
	sh -c "'$bin' -r captures/keepalive.pcap --har /nonexistent/dir/x.har >'$tmp/har-out'"
check "--har in a missing directory: nothing decoded first" [ ! -s "$tmp/har-out" ]
werr "-w in a missing directory" '^fetchtrace: -w /nonexistent/dir/x\.pcap: No such file or directory$' \
	sh -c "'$bin' -r captures/keepalive.pcap -w /nonexistent/dir/x.pcap >'$tmp/w-out'"
check "-w in a missing directory: nothing decoded first" [ ! -s "$tmp/w-out" ]

# --keylog (issue 10): a key log that cannot be read is refused before any work; one that
# does not exist yet is a note (a browser creates it later) and the run goes on; no secret
# of the key log ever reaches the output, text or JSON
werr "--keylog a directory" '^fetchtrace: --keylog: key log /tmp: not a regular file$' \
	sh -c "'$bin' -r captures/keepalive.pcap --keylog /tmp >'$tmp/kl-out'"
check "--keylog a directory: nothing decoded first" [ ! -s "$tmp/kl-out" ]
"$bin" -r captures/lab-h2-curl.pcap -q --keylog /nonexistent/k.log >"$tmp/kl-out" 2>"$tmp/kl-err"; rc=$?
check "--keylog not there yet: exit 0, one note on stderr, nothing decrypted" sh -c \
	"[ $rc -eq 0 ] && [ \$(wc -l <'$tmp/kl-err') -eq 1 ] && grep -q 'does not exist yet' '$tmp/kl-err' &&
	 grep -q '^tls: 0 records decrypted' '$tmp/kl-out'"
"$bin" -r captures/lab-h2-curl.pcap --keylog captures/lab-h2-curl.keys >"$tmp/kl-text" 2>&1
"$bin" -r captures/lab-h2-curl.pcap --keylog captures/lab-h2-curl.keys --json >"$tmp/kl-json" 2>&1
awk '{ print substr($NF, 1, 24) }' captures/lab-h2-curl.keys >"$tmp/kl-secrets"
check "--keylog: decrypted, and no secret in the text or JSON output" sh -c \
	"grep -q 'records decrypted' '$tmp/kl-text' && [ -s '$tmp/kl-secrets' ] &&
	 ! grep -q -i -F -f '$tmp/kl-secrets' '$tmp/kl-text' '$tmp/kl-json'"

# Decryption on a second core (issue 15): a record spanning segments is decrypted piece by
# piece on the decryption worker; the output is the same, byte for byte, as in line
# (FETCHTRACE_DECRYPT_THREAD=0), for every capture with a key log, in text and JSON.
# FETCHTRACE_CWORK_DEBUG=1 says on stderr how many pieces went through the worker and how
# many were copied: none from a mapped pcap file (read where they lie), all from a pipe.
same=0 n=0
for k in captures/*.keys; do
	c=${k%.keys}.pcap
	[ -f "$c" ] || continue
	for fmt in "" --json; do
		n=$((n + 1))
		FETCHTRACE_DECRYPT_THREAD=0 "$bin" -r "$c" --keylog "$k" $fmt >"$tmp/cw0" 2>&1
		FETCHTRACE_DECRYPT_THREAD=1 "$bin" -r "$c" --keylog "$k" $fmt >"$tmp/cw1" 2>&1
		cmp -s "$tmp/cw0" "$tmp/cw1" && same=$((same + 1)) || echo "  differs: $c $fmt"
	done
done
check "decryption worker: the same output as in line ($same of $n runs over the key logs)" \
	sh -c "[ $n -gt 10 ] && [ $same -eq $n ]"
FETCHTRACE_DECRYPT_THREAD=1 FETCHTRACE_CWORK_DEBUG=1 "$bin" -r captures/tls-bulk.pcap \
	--keylog captures/tls-bulk.keys >"$tmp/cw1" 2>"$tmp/cw1.err"
check "decryption worker: tls-bulk's 180 pieces read in the mapped file, none copied" \
	grep -q '^cwork: 180 pieces (0 copied), ' "$tmp/cw1.err"
check "decryption worker: tls-bulk's six 40000-byte bodies, 43 records decrypted" sh -c \
	"[ \$(grep -c -E '#[12] GET /bulk.txt .* 200  0 B up, 40000 B down' '$tmp/cw1') -eq 6 ] &&
	 grep -q '^tls: 43 records decrypted' '$tmp/cw1'"
cat captures/tls-bulk.pcap | FETCHTRACE_DECRYPT_THREAD=1 FETCHTRACE_CWORK_DEBUG=1 "$bin" -r - \
	--keylog captures/tls-bulk.keys >"$tmp/cw2" 2>"$tmp/cw2.err"
check "decryption worker: from a pipe every piece is copied, the output the same" sh -c \
	"grep -q '^cwork: 180 pieces (180 copied), ' '$tmp/cw2.err' && cmp -s '$tmp/cw1' '$tmp/cw2'"
# a wrong key log (each secret written backwards): every streamed record fails its tag on the
# worker as in line, and says so the same way
awk 'NF == 3 { s = ""; for (i = length($3); i > 0; i--) s = s substr($3, i, 1); print $1, $2, s; next } { print }' \
	captures/tls-bulk.keys >"$tmp/bulk-wrong.keys"
FETCHTRACE_DECRYPT_THREAD=1 "$bin" -r captures/tls-bulk.pcap --keylog "$tmp/bulk-wrong.keys" \
	>"$tmp/cww1" 2>&1
FETCHTRACE_DECRYPT_THREAD=0 "$bin" -r captures/tls-bulk.pcap --keylog "$tmp/bulk-wrong.keys" \
	>"$tmp/cww0" 2>&1
check "decryption worker: a wrong key log fails as in line (nothing decrypted, noted)" sh -c \
	"cmp -s '$tmp/cww0' '$tmp/cww1' && grep -q '^tls: 0 records decrypted' '$tmp/cww1' &&
	 grep -q 'secret does not authenticate the records' '$tmp/cww1'"
FETCHTRACE_DECRYPT_THREAD=0 FETCHTRACE_CWORK_DEBUG=1 "$bin" -r captures/tls-bulk.pcap \
	--keylog captures/tls-bulk.keys >"$tmp/cw0" 2>"$tmp/cw0.err"
check "FETCHTRACE_DECRYPT_THREAD=0: no worker, the same output" sh -c \
	"! grep -q '^cwork' '$tmp/cw0.err' && cmp -s '$tmp/cw0' '$tmp/cw1'"

# a HAR URL whose target was cut says after how many bytes, and that many bytes are there
"$bin" -r captures/crafted-http-long-target.pcap -q --har "$tmp/long.har" >/dev/null 2>&1
if command -v python3 >/dev/null 2>&1; then
	check "--har: the cut target's comment names the bytes kept" python3 -c '
import json, re, sys
e = json.load(open(sys.argv[1]))["log"]["entries"][0]["request"]
m = re.search(r"the target was cut after (\d+) bytes", e.get("comment", ""))
url = e["url"]
kept = len(url) - len("http://www.lab.test")
sys.exit(not (m and int(m.group(1)) == kept and url.startswith("http://www.lab.test/search?q=")))
' "$tmp/long.har"
else
	skip "--har cut target: python3 not installed"
fi

# time stamps after 2038, up to 2106 (classic pcap's unsigned 32-bit seconds), as tshark prints them
"$bin" -tt -r captures/crafted-ts-2106.pcap | awk '/^ *[0-9-]+\.[0-9]+ / { print $1 }' >"$tmp/ts1"
check "-tt prints 2106's last second" grep -q '^4294967295\.999999$' "$tmp/ts1"
if command -v tshark >/dev/null 2>&1; then
	tshark -r captures/crafted-ts-2106.pcap -T fields -e frame.time_epoch 2>/dev/null |
		sed 's/\([0-9]*\.[0-9]\{6\}\).*/\1/' >"$tmp/ts2"
	check "-tt time stamps after 2038 equal tshark's frame.time_epoch" \
		sh -c "[ -s '$tmp/ts2' ] && cmp -s '$tmp/ts1' '$tmp/ts2'"
else
	skip "time stamps against tshark: tshark not installed"
fi

# -r from a pipe, a FIFO and standard input (as tcpdump -r -): the same lines as -r FILE, pcap
# and pcapng (crafted-links: interfaces of several link types, which only our reader reads;
# crafted-wifi: a classic pcap the mapped reader leaves to libpcap); bounded by timeout, so
# that a reader that reopens the path and waits fails instead of hanging
to=${TIMEOUT:-10}
if command -v timeout >/dev/null 2>&1 && command -v mkfifo >/dev/null 2>&1; then
	for c in captures/cold-fetch.pcap captures/cold-fetch.pcapng captures/crafted-links.pcapng \
		captures/crafted-wifi.pcap; do
		n=$(basename "$c")
		"$bin" -r "$c" >"$tmp/p-ref" 2>&1
		cat "$c" | timeout "$to" "$bin" -r - >"$tmp/p-out" 2>&1
		check "-r - (a pipe) reads $n as -r FILE does" cmp -s "$tmp/p-ref" "$tmp/p-out"
		timeout "$to" "$bin" -r - <"$c" >"$tmp/p-out" 2>&1
		check "-r - (a file on standard input) reads $n as -r FILE does" cmp -s "$tmp/p-ref" "$tmp/p-out"
		rm -f "$tmp/fifo" && mkfifo "$tmp/fifo"
		timeout "$to" sh -c "cat '$c' >'$tmp/fifo'" &
		timeout "$to" "$bin" -r "$tmp/fifo" >"$tmp/p-out" 2>&1
		wait
		check "-r FIFO reads $n as -r FILE does" cmp -s "$tmp/p-ref" "$tmp/p-out"
		if command -v bash >/dev/null 2>&1; then
			timeout "$to" bash -c '"$1" -r <(cat "$2")' - "$bin" "$c" >"$tmp/p-out" 2>&1
			check "-r <(cat $n) reads it as -r FILE does" cmp -s "$tmp/p-ref" "$tmp/p-out"
		fi
	done
	# a capture cut in the middle of a record: the packets before the cut, then the error
	size=$(wc -c <captures/keepalive.pcap)
	head -c $((size - 10)) captures/keepalive.pcap >"$tmp/cut.pcap"
	"$bin" -r "$tmp/cut.pcap" >"$tmp/p-ref" 2>/dev/null; rc0=$?
	timeout "$to" "$bin" -r - <"$tmp/cut.pcap" >"$tmp/p-out" 2>"$tmp/p-err"; rc=$?
	check "-r - <cut.pcap (the mapped reader's hand-over to libpcap): as -r FILE, exit $rc0 (got $rc)" \
		sh -c "[ $rc0 -eq 1 ] && [ $rc -eq 1 ] && cmp -s '$tmp/p-ref' '$tmp/p-out' &&
		       grep -q 'truncated dump file' '$tmp/p-err'"
	cat "$tmp/cut.pcap" | timeout "$to" "$bin" -r - >"$tmp/p-out" 2>"$tmp/p-err"; rc=$?
	check "cat cut.pcap | -r -: as -r FILE, exit 1 (got $rc)" \
		sh -c "[ $rc -eq 1 ] && cmp -s '$tmp/p-ref' '$tmp/p-out' && grep -q 'truncated dump file' '$tmp/p-err'"
	# several inputs, one of them a pipe: merged as the files are
	"$bin" -r captures/keepalive.pcap -r captures/cold-fetch.pcapng >"$tmp/p-ref" 2>&1
	cat captures/cold-fetch.pcapng | timeout "$to" "$bin" -r captures/keepalive.pcap -r - >"$tmp/p-out" 2>&1
	check "-r FILE -r - (a pipe) merges as two files do" cmp -s "$tmp/p-ref" "$tmp/p-out"
	rm -f "$tmp/fifo" && mkfifo "$tmp/fifo"
	printf '%s\n' captures/keepalive.pcap "$tmp/fifo" >"$tmp/list"
	timeout "$to" sh -c "cat captures/cold-fetch.pcapng >'$tmp/fifo'" &
	timeout "$to" "$bin" -V "$tmp/list" >"$tmp/p-out" 2>&1
	wait
	check "-V LIST naming a FIFO merges as two files do" cmp -s "$tmp/p-ref" "$tmp/p-out"
	# an empty, short or hostile standard input or FIFO: one line, exit 1, no hang
	# pipeerr DESCRIPTION INPUT-COMMAND: fetchtrace -r - fed by INPUT-COMMAND fails in one line
	pipeerr() {
		sh -c "$2" | timeout "$to" "$bin" -r - >"$tmp/p-out" 2>"$tmp/p-err"; rc=$?
		check "-r - $1: exit 1 (got $rc), one line on stderr, nothing on stdout" sh -c \
			"[ $rc -eq 1 ] && [ \$(wc -l <'$tmp/p-err') -eq 1 ] && grep -q '^fetchtrace: ' '$tmp/p-err' &&
			 [ ! -s '$tmp/p-out' ]" || sed 's/^/  stderr: /' "$tmp/p-err"
	}
	pipeerr "empty" ":"
	pipeerr "of 3 bytes" "printf abc"
	pipeerr "of text" "yes hello | head -c 100000"
	pipeerr "a pcap header cut short" "head -c 20 captures/keepalive.pcap"
	pipeerr "a pcapng header cut short" "head -c 20 captures/cold-fetch.pcapng"
	pipeerr "a pcapng magic and junk" "printf '\n\r\r\n\377\377\377\377'; yes | head -c 5000"
	rm -f "$tmp/fifo" && mkfifo "$tmp/fifo"
	timeout "$to" sh -c ": >'$tmp/fifo'" &
	timeout "$to" "$bin" -r "$tmp/fifo" >"$tmp/p-out" 2>"$tmp/p-err"; rc=$?
	wait
	check "-r FIFO closed empty: exit 1 (got $rc), one line on stderr" sh -c \
		"[ $rc -eq 1 ] && [ \$(wc -l <'$tmp/p-err') -eq 1 ]"
	# SIGINT while waiting on a pipe whose writer is still there: the loop ends as it does
	# for a file (the summary printed, exit 0), at once, not when the writer goes; also when
	# the pipe is the second of two inputs being merged (the signal breaks the first)
	# sigpipe DESCRIPTION CAPTURE WANT ARGS...: fetchtrace ARGS reads CAPTURE from a held pipe
	sigpipe() {
		sd=$1 sc=$2 sw=$3; shift 3
		rm -f "$tmp/fifo" && mkfifo "$tmp/fifo"
		(cat "$sc"; exec sleep 30) >"$tmp/fifo" &
		wpid=$!
		"$bin" "$@" -q <"$tmp/fifo" >"$tmp/p-out" 2>"$tmp/p-err" &
		fpid=$!
		sleep 2
		kill -INT $fpid 2>/dev/null
		k=0
		while kill -0 $fpid 2>/dev/null && [ $k -lt 50 ]; do sleep 0.1; k=$((k + 1)); done
		kill -KILL $fpid 2>/dev/null
		wait $fpid; rc=$?
		kill $wpid 2>/dev/null
		wait $wpid 2>/dev/null
		check "SIGINT while $sd waits on a pipe: ends within 5 s, exit 0 (got $rc), summary printed" sh -c \
			"[ $k -lt 50 ] && [ $rc -eq 0 ] && grep -q '^packets: $sw read' '$tmp/p-out'" ||
			sed 's/^/  stderr: /' "$tmp/p-err"
	}
	sigpipe "-r -" captures/keepalive.pcap 38 -r -
	sigpipe "-r - (pcapng)" captures/cold-fetch.pcapng 16 -r -
	sigpipe "-r FILE -r -" captures/cold-fetch.pcapng '[0-9]*' -r captures/keepalive.pcap -r -
	timeout "$to" "$bin" -r - -r - <captures/keepalive.pcap >"$tmp/p-out" 2>"$tmp/p-err"; rc=$?
	check "-r - twice: exit 1 (got $rc), one line saying so" sh -c \
		"[ $rc -eq 1 ] && [ \$(wc -l <'$tmp/p-err') -eq 1 ] &&
		 grep -q 'standard input read twice' '$tmp/p-err' && [ ! -s '$tmp/p-out' ]"
	echo captures/keepalive.pcap | timeout "$to" "$bin" -V - -r - >"$tmp/p-out" 2>"$tmp/p-err"; rc=$?
	check "-V - and -r -: exit 1 (got $rc), one line: standard input read twice" sh -c \
		"[ $rc -eq 1 ] && [ \$(wc -l <'$tmp/p-err') -eq 1 ] &&
		 grep -q 'standard input read twice' '$tmp/p-err' && [ ! -s '$tmp/p-out' ]" ||
		sed 's/^/  stderr: /' "$tmp/p-err"
	printf '%s\n' - captures/keepalive.pcap | timeout "$to" "$bin" -V - >"$tmp/p-out" 2>"$tmp/p-err"; rc=$?
	check "-V - naming -: exit 1 (got $rc), one line: standard input read twice" sh -c \
		"[ $rc -eq 1 ] && [ \$(wc -l <'$tmp/p-err') -eq 1 ] &&
		 grep -q 'standard input read twice' '$tmp/p-err' && [ ! -s '$tmp/p-out' ]" ||
		sed 's/^/  stderr: /' "$tmp/p-err"
else
	skip "-r from a pipe: timeout or mkfifo not installed"
fi

# an unprivileged user gets one line saying what to do
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" -i lo >"$tmp/o" 2>"$tmp/e"; rc=$?
	check "no permission: exit 1" [ $rc -eq 1 ]
	check "no permission: one line suggesting sudo and setcap" sh -c \
		"[ \$(wc -l <'$tmp/e') -eq 1 ] && grep -q 'no permission to capture.*sudo.*setcap cap_net_raw,cap_net_admin+eip' '$tmp/e'"
	# through sudo, reading a file drops to SUDO_UID before opening it
	mkdir "$tmp/pub" && chmod 1777 "$tmp/pub"
	SUDO_UID=65534 SUDO_GID=65534 "$bin" -r captures/cold-fetch.pcap -w "$tmp/pub/sudo.pcap" >/dev/null 2>"$tmp/e2"
	check "SUDO_UID: -w file belongs to the invoking user" [ "$(stat -c %u "$tmp/pub/sudo.pcap" 2>/dev/null)" = 65534 ]
else
	skip "permission tests: need root and setpriv"
fi
# issue 15: libbpf, libnghttp2 and libnghttp3 are opened when needed; hidden (a bind mount
# in a private mount namespace), a run says so in one line on stderr and goes on
hide() { # hide SONAME CMD...: run CMD with the library SONAME unreadable
	lib=$(ldconfig -p 2>/dev/null | awk -v n="$1" '$1 == n { print $NF; exit }')
	shift
	[ -n "$lib" ] && unshare -m sh -c 'mount --bind /dev/null "$0" && exec "$@"' "$lib" "$@"
}
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null &&
	ldconfig -p 2>/dev/null | grep -q 'libnghttp2\.so'; then
	n2=$(ldconfig -p | awk '$1 ~ /^libnghttp2\.so\./ { print $1; exit }')
	hide "$n2" "$bin" -q -r captures/h2c-prior-knowledge.pcap >"$tmp/h2o" 2>"$tmp/h2e"; rc=$?
	check "no libnghttp2: exit 0, one line on stderr saying what is lost" sh -c \
		"[ $rc -eq 0 ] && [ \$(wc -l <'$tmp/h2e') -eq 1 ] && grep -q '^fetchtrace: HTTP/2 header blocks not decoded: ' '$tmp/h2e'"
	check "no libnghttp2: the summary is still written" grep -q '^packets: ' "$tmp/h2o"
	hide "$n2" "$bin" -q -r captures/cold-fetch.pcap >/dev/null 2>"$tmp/h1e"; rc=$?
	check "no libnghttp2: a capture without HTTP/2 does not miss it" sh -c \
		"[ $rc -eq 0 ] && [ ! -s '$tmp/h1e' ]"
	hide libbpf.so.1 "$bin" -q -- true >/dev/null 2>"$tmp/bpfe"
	check "no libbpf: one line, socket calls through ptrace" sh -c \
		"[ \$(grep -c 'socket calls through ptrace' '$tmp/bpfe') -eq 1 ] && ! grep -qi 'libbpf:' '$tmp/bpfe'"
else
	skip "missing shared libraries: need root, unshare -m and libnghttp2"
fi

# issue 15: the summary's lists past what stays in memory wait in a temporary file
# (spill.c); with one and without (no usable TMPDIR: all in memory) the output is the
# same, every connection listed once, in order
if [ -x build/bench-gen ] && build/bench-gen -n 160000 -c 50 -o "$tmp/long.pcap" 2>/dev/null; then
	"$bin" -q -r "$tmp/long.pcap" >"$tmp/long1" 2>&1
	TMPDIR=/nonexistent "$bin" -q -r "$tmp/long.pcap" >"$tmp/long2" 2>&1
	check "a long summary: the same with a spill file and without" cmp -s "$tmp/long1" "$tmp/long2"
	n=$(sed -n 's/.*tcp: \([0-9]*\) connections.*/\1/p' "$tmp/long1")
	check "a long summary: more connections than kept in memory, all listed in order" sh -c \
		"[ '${n:-0}' -gt 700 ] && grep -o '^  c[0-9]*' '$tmp/long1' | tr -d ' c' | awk '\$1 != NR { exit 1 } END { exit NR != $n }'"
	check "a long summary: more exchanges than kept in memory" sh -c \
		"[ \$(sed -n '/^exchanges/,/^connections/p' '$tmp/long1' | grep -c '^  ') -gt 1100 ]"
	rm -f "$tmp/long.pcap"
else
	skip "a long summary: build/bench-gen is missing (make build/bench-gen)"
fi
# issue 15: --json writes every exchange (as its connection leaves) and every fetch, not
# only the exchanges the timeline keeps for the summary and HAR: alone (none kept) and
# with --har and the kept ones lowered to 50 (FETCHTRACE_TEST_TL_KEEP, timeline.h) the
# objects are the same, and HAR has the 50 kept
if [ -x build/bench-gen ] && build/bench-gen -n 40000 -c 50 -o "$tmp/xj.pcap" 2>/dev/null; then
	"$bin" -q --json -r "$tmp/xj.pcap" >"$tmp/xj1" 2>&1
	FETCHTRACE_TEST_TL_KEEP=50 "$bin" -q --json --har "$tmp/xj.har" -r "$tmp/xj.pcap" \
		>"$tmp/xj2" 2>&1
	check "--json past the kept exchanges: HAR has the 50 kept" sh -c \
		"[ \$(grep -c '\"startedDateTime\"' '$tmp/xj.har') -ge 50 ] &&
		 python3 -c 'import json, sys; sys.exit(len(json.load(open(sys.argv[1]))[\"log\"][\"entries\"]) != 50)' '$tmp/xj.har'"
	for k in 1 2; do
		grep -E '^\{"type":"(exchange|fetch)"' "$tmp/xj$k" | sort >"$tmp/xj$k.s"
	done
	nx=$(grep -c '^{"type":"exchange"' "$tmp/xj1.s")
	check "--json past the kept exchanges: more exchanges than kept ($nx)" [ "$nx" -gt 200 ]
	check "--json past the kept exchanges: every exchange and fetch object, the same" \
		cmp -s "$tmp/xj1.s" "$tmp/xj2.s"
	check "--json past the kept exchanges: the fetches add up to the exchanges" sh -c \
		"grep '^{\"type\":\"fetch\"' '$tmp/xj2.s' | sed 's/.*\"exchanges\":\([0-9]*\).*/\1/' |
		 awk '{ n += \$1 } END { exit n != $nx }'"
	check "--json past the kept exchanges: none lost" grep -q '"exchanges_dropped":0' "$tmp/xj2"
	rm -f "$tmp/xj.pcap"
else
	skip "--json past the kept exchanges: build/bench-gen is missing (make build/bench-gen)"
fi
# a fetch still going when its place among the fetches added up is needed (2000 fetches at
# once, 1024 places): its later exchanges go out in "partial" objects; by fetch number the
# objects add up to the exchange objects, exchanges and bytes alike
if [ -x build/bench-gen ] && command -v python3 >/dev/null 2>&1 &&
	build/bench-gen -n 60000 -c 2000 -o "$tmp/xp.pcap" 2>/dev/null; then
	"$bin" -q --json -r "$tmp/xp.pcap" >"$tmp/xp" 2>&1
	check "--json, 2000 fetches at once: partial fetch objects add up to the exchanges" \
		python3 - "$tmp/xp" <<'PY'
import collections, json, sys
ex, fx = collections.Counter(), collections.Counter()
part = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "exchange" and o["fetch"]:
        ex[o["fetch"], "n"] += 1
        ex[o["fetch"], "down"] += o["down"]
    elif o["type"] == "fetch":
        part += o.get("partial", False)
        fx[o["fetch"], "n"] += o["exchanges"]
        fx[o["fetch"], "down"] += o["down"]
sys.exit(0 if part > 0 and ex == fx else 1)
PY
	rm -f "$tmp/xp.pcap"
else
	skip "--json, 2000 fetches at once: build/bench-gen or python3 is missing"
fi
echo "cli: $p passed, $f failed, $s skipped"
[ $f -eq 0 ]
