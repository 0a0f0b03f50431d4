#!/bin/sh
# run.sh - `make bench`: time fetchtrace against tcpdump, tshark and a bare pcap_next_ex loop
# on one generated capture, in one run, and print packets/s, the ratio to tcpdump and peak RSS.
#
# Environment:
#   BENCH_FILE=PATH          use (or create) this capture instead of a temporary one
#   BENCH_PACKETS=N          packets to generate (default 1000000)
#   BENCH_CONCURRENT=N       fetches in flight in the generated capture (default 200)
#   BENCH_RUNS=N             runs per tool; the median counts (default 3)
#   BENCH_NO_TSHARK=1        skip tshark
#   BENCH_TSHARK_PACKETS=N   run tshark on the first N packets only and scale (default: all)
#   BENCH_10X=0              skip the capture ten times as long (peak RSS, and its figures against
#                            its ten pieces': tests/bench/pieces.sh; it needs ~10 GB in TMPDIR)
#   BENCH_LIVE=0             skip the live drop test (root: tests/livedrop.sh at 100,000 packets/s)
#   BENCH_TLS_FILE, BENCH_TLS_KEYS   an HTTPS-heavy capture and its key log (default: as root,
#                            tests/bench/https.sh records one on a veth pair)
# Not part of `make test`: it takes a few minutes.  On a machine shared with other work, run it
# with `nice -n -5` and read the ratios, which are measured in one run, not the seconds.

set -eu
cd "$(dirname "$0")/../.."

PACKETS=${BENCH_PACKETS:-1000000}
CONCURRENT=${BENCH_CONCURRENT:-200}
RUNS=${BENCH_RUNS:-3}
T0=$(date +%s)

# ---------------------------------------------------------------- what it needs

make --no-print-directory -s fetchtrace build/bench-gen build/bench-loop

if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "bench: installing GNU time (/usr/bin/time) for peak RSS" >&2
		apt-get install -y -qq time >/dev/null
	else
		echo "bench: /usr/bin/time is missing; run: sudo apt-get install -y time" >&2
		exit 1
	fi
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fetchtrace-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

FILE=${BENCH_FILE:-$TMP/bench.pcap}
if [ -s "$FILE" ] && [ -n "${BENCH_FILE:-}" ]; then
	echo "capture: $FILE (given; not regenerated)"
else
	echo "capture: generating $PACKETS packets, $CONCURRENT concurrent fetches: build/bench-gen -n $PACKETS -c $CONCURRENT -o $FILE"
	g0=$(date +%s%N)
	build/bench-gen -n "$PACKETS" -c "$CONCURRENT" -t "$TMP/truth" -o "$FILE" 2>"$TMP/gen.err" || { cat "$TMP/gen.err" >&2; exit 1; }
	g1=$(date +%s%N)
	sed 's/^gen: /  /' "$TMP/gen.err"
	awk -v ns=$((g1 - g0)) 'BEGIN { printf "  generated in %.1f s\n", ns / 1e9 }'
fi
cat "$FILE" >/dev/null      # warm the page cache so the first tool is not charged for the disk
NPKT=$(build/bench-loop "$FILE" | awk '{ print $1 }')
FSIZE=$(wc -c <"$FILE")

# ---------------------------------------------------------------- the machine

echo
echo "machine"
echo "  cpus:       $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "  memory:     $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "  kernel:     $(uname -sr)"
echo "  fetchtrace: $(./fetchtrace --version 2>&1 | head -n 1)"
echo "  tcpdump:    $(tcpdump --version 2>&1 | head -n 2 | tr '\n' ' ')"
if command -v tshark >/dev/null 2>&1; then
	echo "  tshark:     $(tshark --version 2>/dev/null | head -n 1)"
fi
echo "  file:       $NPKT packets, $(awk -v b="$FSIZE" 'BEGIN { printf "%.1f MB", b / 1e6 }')"

# ---------------------------------------------------------------- timing

# measure NAME PACKETS CMD...: one run of CMD (stdout to /dev/null), appended to $TMP/runs as
# "NAME|packets|seconds|max RSS KiB|exit status".
measure() {
	name=$1 np=$2
	shift 2
	s0=$(date +%s%N)
	set +e
	/usr/bin/time -f "%M" -o "$TMP/time" "$@" >/dev/null 2>"$TMP/stderr"
	rc=$?
	set -e
	s1=$(date +%s%N)
	rss=$(tail -n 1 "$TMP/time")
	if [ "$rc" != 0 ]; then
		echo "bench: $name exited with status $rc:" >&2
		tail -n 3 "$TMP/stderr" >&2
	fi
	echo "$name|$np|$(awk -v ns=$((s1 - s0)) 'BEGIN { printf "%.4f", ns / 1e9 }')|$rss|$rc" >>"$TMP/runs"
}

: >"$TMP/runs"
TSHARK=
if [ "${BENCH_NO_TSHARK:-0}" != 1 ] && command -v tshark >/dev/null 2>&1; then
	TSHARK=tshark
	TFILE=$FILE TNPKT=$NPKT
	if [ -n "${BENCH_TSHARK_PACKETS:-}" ] && [ "$BENCH_TSHARK_PACKETS" -lt "$NPKT" ]; then
		TFILE=$TMP/tshark-prefix.pcap
		tcpdump -r "$FILE" -c "$BENCH_TSHARK_PACKETS" -w "$TFILE" 2>/dev/null
		TNPKT=$(build/bench-loop "$TFILE" | awk '{ print $1 }')
	fi
fi

echo
echo "timing: $RUNS runs each (tshark: 1), rounds interleaved, median wall time"
for r in $(seq 1 "$RUNS"); do
	printf '  round %s/%s:' "$r" "$RUNS"
	# One line per tool or mode
	measure "pcap_next_ex loop" "$NPKT" build/bench-loop "$FILE"; printf ' loop'
	measure "fetchtrace" "$NPKT" ./fetchtrace -r "$FILE"; printf ' fetchtrace'
	measure "fetchtrace -q" "$NPKT" ./fetchtrace -q -r "$FILE"; printf ' fetchtrace-q'
	measure "fetchtrace --json" "$NPKT" ./fetchtrace --json -r "$FILE"; printf ' fetchtrace-json'
	measure "tcpdump -n -r" "$NPKT" tcpdump -n -r "$FILE"; printf ' tcpdump'
	if [ -n "$TSHARK" ] && [ "$r" = 1 ]; then
		measure "tshark -r" "$TNPKT" tshark -r "$TFILE"; printf ' tshark'
	fi
	echo
done

# ---------------------------------------------------------------- start-up and small files

# each round: K runs of each on the 16-packet demo capture; then each tool once over every
# capture in captures/ (a directory of small captures, as in the issue's 4,272 public ones)
SMALL=captures/cold-fetch.pcap
K=20
echo "start-up: $RUNS rounds of $K runs on $SMALL; small files: $RUNS rounds over the $(ls captures/*.pcap captures/*.pcapng | wc -l) captures in captures/"
repeat() { # repeat NAME N CMD...: N runs, one line in runs with the seconds of one
	name=$1 n=$2
	shift 2
	s0=$(date +%s%N)
	i=0
	while [ $i -lt "$n" ]; do "$@" >/dev/null 2>&1 || true; i=$((i + 1)); done
	s1=$(date +%s%N)
	echo "$name|1|$(awk -v ns=$((s1 - s0)) -v n="$n" 'BEGIN { printf "%.6f", ns / 1e9 / n }')|0|0" >>"$TMP/extra"
}
overdir() { # overdir NAME CMD...: CMD FILE over every capture, one line with the total seconds
	name=$1
	shift
	s0=$(date +%s%N)
	for f in captures/*.pcap captures/*.pcapng; do "$@" "$f" >/dev/null 2>&1 || true; done
	s1=$(date +%s%N)
	echo "$name|1|$(awk -v ns=$((s1 - s0)) 'BEGIN { printf "%.6f", ns / 1e9 }')|0|0" >>"$TMP/extra"
}
: >"$TMP/extra"
for r in $(seq 1 "$RUNS"); do
	repeat "startup fetchtrace -q" "$K" ./fetchtrace -q -r "$SMALL"
	repeat "startup tcpdump -n -r" "$K" tcpdump -n -r "$SMALL"
	overdir "dir fetchtrace -q" ./fetchtrace -q -r
	overdir "dir tcpdump -n -r" tcpdump -n -r
done

# ---------------------------------------------------------------- with a key log

TLSF=${BENCH_TLS_FILE:-} TLSK=${BENCH_TLS_KEYS:-}
if [ -z "$TLSF" ] && [ "$(id -u)" = 0 ]; then
	echo "https: recording an HTTPS-heavy capture and its key log (tests/bench/https.sh)"
	if sh tests/bench/https.sh "$TMP/https.pcap" "$TMP/https.keys" >"$TMP/https.log" 2>&1; then
		TLSF=$TMP/https.pcap TLSK=$TMP/https.keys
		sed 's/^/  /' "$TMP/https.log" | tail -n 2
	else
		echo "  could not record it:"; tail -n 3 "$TMP/https.log" | sed 's/^/  /'
	fi
fi
if [ -n "$TLSF" ] && [ -n "$TLSK" ]; then
	TNP=$(build/bench-loop "$TLSF" | awk '{ print $1 }')
	cat "$TLSF" >/dev/null
	# The two namespaces https.sh deleted are torn down by the kernel in the background
	# (a workqueue: the CPUs were 7% busy in the half second after, here): let that end
	# first, as it takes a CPU from the key-log run's decryption worker.  Five rounds at
	# least (a pair takes a third of a second): one run slowed by the virtual machine's
	# host moves a median of three.
	sleep 2
	HTTPS_RUNS=$((RUNS > 5 ? RUNS : 5))
	echo "https: $HTTPS_RUNS rounds, interleaved, median wall time"
	for r in $(seq 1 "$HTTPS_RUNS"); do
		measure "https, no keys" "$TNP" ./fetchtrace -r "$TLSF"
		measure "https, --keylog" "$TNP" ./fetchtrace --keylog "$TLSK" -r "$TLSF"
	done
	./fetchtrace -q --keylog "$TLSK" -r "$TLSF" 2>/dev/null | grep '^tls: ' | sed 's/^/  with keys: /'
fi

# ---------------------------------------------------------------- ten times longer

# ten pieces of the bench file's size in one file (build/bench-gen -P 10: no connection, name
# or address spans two pieces); peak RSS in every mode, one run each; then tests/bench/pieces.sh
# compares its figures with those of the pieces read separately and its output with the pieces'
# read as one trace (-V).  The file is removed before the pieces are written: ~10 GB at a time.
PIECES_RESULT=
if [ "${BENCH_10X:-1}" != 0 ]; then
	F10=$TMP/bench10.pcap
	echo "10x: generating 10 pieces of $PACKETS packets in one file (peak RSS in every mode, one run each; then its figures against the pieces'; the file is removed after)"
	build/bench-gen -n "$PACKETS" -c "$CONCURRENT" -P 10 -o "$F10" 2>/dev/null
	N10=$(build/bench-loop "$F10" | awk '{ print $1 }')
	measure "10x fetchtrace" "$N10" ./fetchtrace -r "$F10"
	measure "10x fetchtrace -q" "$N10" ./fetchtrace -q -r "$F10"
	measure "10x fetchtrace --json" "$N10" ./fetchtrace --json -r "$F10"
	p0=$(date +%s)
	# its failures are MISSes in the table, not the end of the bench (set -e)
	FETCHTRACE=./fetchtrace sh tests/bench/pieces.sh -n "$PACKETS" -c "$CONCURRENT" -k 10 -W "$F10" -R \
		"$TMP/pieces" >"$TMP/pieces.out" 2>&1 || true
	rm -f "$F10"
	grep -E '^(ok|FAIL) pieces|^  (sum|max)\.' "$TMP/pieces.out" | sed 's/^/  /'
	echo "  (tests/bench/pieces.sh, $(( $(date +%s) - p0 )) s)"
	PIECES_RESULT=$(sed -n 's/^result: //p' "$TMP/pieces.out")
fi

# ---------------------------------------------------------------- live

LIVE_RESULT=
if [ "${BENCH_LIVE:-1}" != 0 ] && [ "$(id -u)" = 0 ]; then
	echo "live: tests/livedrop.sh, 100,000 packets/s for 10 s on a veth, text and --json to files"
	make --no-print-directory -s build/bench-blast
	LIVEDROP_MODES="text json" LIVEDROP_RATE=100000 LIVEDROP_SECONDS=10 FETCHTRACE=./fetchtrace \
		sh tests/livedrop.sh >"$TMP/live" 2>&1
	grep -E '^  (text|json): ' "$TMP/live"
	LIVE_RESULT=$(tail -n 1 "$TMP/live")
fi

# ---------------------------------------------------------------- the table

echo
awk -F'|' -v nprefix="${TNPKT:-0}" -v nall="$NPKT" '
	{ n[$1]++; t[$1, n[$1]] = $3; np[$1] = $2; if ($4 > rss[$1]) rss[$1] = $4;
	  if ($5 != 0) bad[$1] = 1; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
	function median(name,   i, j, c, v, tmp) {
		c = n[name]
		for (i = 1; i <= c; i++) v[i] = t[name, i]
		for (i = 2; i <= c; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { tmp = v[j]; v[j] = v[j - 1]; v[j - 1] = tmp }
		return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
	}
	END {
		td = "tcpdump -n -r"
		tdpps = (td in n) ? np[td] / median(td) : 0
		printf "%-22s %5s %10s %12s %12s %14s\n", "tool", "runs", "median s", "packets/s", "vs tcpdump", "peak RSS MiB"
		for (i = 1; i <= k; i++) {
			m = order[i]; s = median(m); pps = np[m] / s
			printf "%-22s %5d %10.3f %12.0f %11.2fx %14.1f%s\n", m, n[m], s, pps,
			       tdpps ? pps / tdpps : 0, rss[m] / 1024, bad[m] ? "  (FAILED)" : ""
		}
		if (("tshark -r" in n) && np["tshark -r"] != nall)
			printf "(tshark ran on the first %d packets; its packets/s and ratio are from that prefix, its RSS is not scaled)\n", np["tshark -r"]
		print "vs tcpdump = tool packets/s / tcpdump packets/s (above 1 is faster than tcpdump)"
	}' "$TMP/runs" | tee "$TMP/table"

# ---------------------------------------------------------------- the targets (issue 15)

cat "$TMP/extra" >>"$TMP/runs"
med() { # med NAME: the median seconds of NAME's runs ("" when none)
	awk -F'|' -v name="$1" '$1 == name { v[++c] = $3 }
		END { if (!c) exit; for (i = 2; i <= c; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		      printf "%.6f", c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2 }' "$TMP/runs"
}
rss() { # rss NAME: the peak RSS of NAME's runs in KiB
	awk -F'|' -v name="$1" '$1 == name && $4 > m { m = $4 } END { if (m) print m }' "$TMP/runs"
}
: >"$TMP/targets"
target() { # target TEXT MEASURED PASS(1/0)
	if [ "$3" = 1 ]; then v=PASS; else v=MISS; fi
	printf '%s|%s|%s\n' "$1" "$2" "$v" >>"$TMP/targets"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a <= b) }' && echo 1 || echo 0; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a >= b) }' && echo 1 || echo 0; }

r=$(ratio "$(med 'fetchtrace -q')" "$(med 'pcap_next_ex loop')")
target "-q within 2x of the bare pcap_next_ex loop" "${r}x the loop" "$(le "$r" 2)"
r=$(ratio "$(med 'tcpdump -n -r')" "$(med 'fetchtrace')")
target "annotated text at least 3x as fast as tcpdump -n -r" "${r}x tcpdump" "$(ge "$r" 3)"
r=$(ratio "$(med 'tcpdump -n -r')" "$(med 'fetchtrace --json')")
target "--json at least 2x as fast as tcpdump -n -r" "${r}x tcpdump" "$(ge "$r" 2)"
m=0
for mode in "fetchtrace" "fetchtrace -q" "fetchtrace --json"; do
	v=$(rss "$mode"); [ "${v:-0}" -gt "$m" ] && m=$v
done
target "peak RSS at most 24 MiB in every mode (bench file)" "$(awk -v k="$m" 'BEGIN { printf "%.1f MiB", k / 1024 }')" "$(le "$m" 24576)"
if [ "${BENCH_10X:-1}" != 0 ]; then
	m=0
	for mode in "10x fetchtrace" "10x fetchtrace -q" "10x fetchtrace --json"; do
		v=$(rss "$mode"); [ "${v:-0}" -gt "$m" ] && m=$v
	done
	target "peak RSS at most 24 MiB in every mode (10x file, $N10 packets)" "$(awk -v k="$m" 'BEGIN { printf "%.1f MiB", k / 1024 }')" "$(le "$m" 24576)"
else
	target "peak RSS at most 24 MiB in every mode (10x file)" "not measured (BENCH_10X=0)" 0
fi
# PIECES_RESULT: "bytes same, figures N, differing K (names ), -V same" (tests/bench/pieces.sh)
if [ -n "$PIECES_RESULT" ]; then
	nf=$(echo "$PIECES_RESULT" | sed -n 's/.*figures \([0-9]*\), differing \([0-9]*\) (\(.*\)),.*/\1|\2|\3/p')
	nfig=${nf%%|*} rest=${nf#*|}
	ndiff=${rest%%|*} names=${rest#*|}
	okb=0; case $PIECES_RESULT in "bytes same,"*) okb=1 ;; esac
	if [ "$okb" = 1 ] && [ "${ndiff:-1}" = 0 ] && [ "${nfig:-0}" -gt 0 ]; then
		target "10x file: the summed figures of its 10 pieces read separately" "$nfig of $nfig figures equal" 1
	else
		target "10x file: the summed figures of its 10 pieces read separately" \
			"$([ "$okb" = 1 ] || echo "pieces not its bytes; ")${ndiff:-?} of ${nfig:-?} differ: ${names% }" 0
	fi
	okv=0; case $PIECES_RESULT in *"-V same") okv=1 ;; esac
	target "10x file: its 10 pieces as one trace (-V) give its output" \
		"text and -q --json $([ "$okv" = 1 ] && echo identical || echo differ)" "$okv"
else
	target "10x file: the summed figures of its 10 pieces read separately" "not measured (BENCH_10X=0)" 0
	target "10x file: its 10 pieces as one trace (-V) give its output" "not measured (BENCH_10X=0)" 0
fi
a=$(med 'startup fetchtrace -q') b=$(med 'startup tcpdump -n -r')
r=$(ratio "$a" "$b")
target "start-up and exit on a 16-packet capture no slower than tcpdump" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f ms vs %.1f ms", a * 1000, b * 1000 }') (${r}x)" "$(le "$r" 1)"
a=$(med 'dir fetchtrace -q') b=$(med 'dir tcpdump -n -r')
r=$(ratio "$a" "$b")
target "a directory of small captures faster than tcpdump" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f s vs %.2f s", a, b }') (${r}x)" "$(awk -v r="$r" 'BEGIN { exit !(r != "" && r < 1) }' && echo 1 || echo 0)"
if [ -n "$TLSF" ] && [ -n "$TLSK" ]; then
	r=$(ratio "$(med 'https, --keylog')" "$(med 'https, no keys')")
	target "with a key log, an HTTPS-heavy file at most 1.5x without keys" "${r}x" "$(le "$r" 1.5)"
else
	target "with a key log, an HTTPS-heavy file at most 1.5x without keys" "not measured (needs root or BENCH_TLS_FILE)" 0
fi
if [ -n "$LIVE_RESULT" ]; then
	ok=0; case $LIVE_RESULT in *" 0 failed"*) ok=1 ;; esac
	target "live: 0 drops at 100,000 packets/s for 10 s, text and --json to a file" "$(grep -c '^ok .*0 dropped' "$TMP/live") of 6 zero-drop checks" "$ok"
else
	target "live: 0 drops at 100,000 packets/s for 10 s, text and --json to a file" "not measured (needs root; BENCH_LIVE)" 0
fi
echo
echo "targets (issue 15), $(date -u '+%Y-%m-%d %H:%M UTC'), ratios from this one run"
awk -F'|' '{ printf "  %-4s  %-72s %s\n", $3, $1, $2 }' "$TMP/targets"

# ---------------------------------------------------------------- step agreement (not timed)

# the generator's per-frame ground truth against fetchtrace's step labels (issue 10: >= 99.9%
# overall and on TLS frames); only for a capture generated here (a given file has no truth)
if [ -s "$TMP/truth" ] && command -v python3 >/dev/null 2>&1; then
	echo
	echo "step agreement with the generator's ground truth (tests/bench/steps.py, not timed)"
	if python3 tests/bench/steps.py "$TMP/truth" ./fetchtrace "$FILE" >"$TMP/steps" 2>&1; then r=met; else r=MISSED; fi
	sed -n '/^summary/,$p' "$TMP/steps" | sed 's/^/  /'
	ov=$(awk '$1 == "overall" { print $3 }' "$TMP/steps")
	tl=$(awk '$1 == "TLS-record" { print $4 }' "$TMP/steps")
	echo "target: step labels agree on at least 99.9% of frames, TLS frames included: $ov overall, $tl TLS, $r"
fi

echo "bench: done in $(( $(date +%s) - T0 )) s"
exit 0
