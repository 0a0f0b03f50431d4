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
# Not part of `make test`: it takes a few minutes.

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
		# the issue 6 targets that can be checked today
		ft = "fetchtrace"
		if ((ft in n) && tdpps) {
			r = np[ft] / median(ft) / tdpps
			printf "\ntarget: default output at least 1.5x tcpdump: %.2fx, %s\n", r, (r >= 1.5 ? "met" : "MISSED")
		}
		if (ft in n)
			printf "target: peak RSS under 64 MiB: %.1f MiB, %s\n", rss[ft] / 1024, (rss[ft] < 65536 ? "met" : "MISSED")
		fq = "fetchtrace -q"; lp = "pcap_next_ex loop"
		if ((fq in n) && (lp in n)) {
			r = median(fq) / median(lp)
			printf "target: summary-only (-q) within 3x of the pcap_next_ex loop: %.2fx, %s\n", r, (r <= 3 ? "met" : "MISSED")
		}
	}' "$TMP/runs" | tee "$TMP/table"

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
