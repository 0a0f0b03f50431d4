#!/bin/sh
# pieces.sh - a capture made of K pieces gives the figures of its pieces read separately
# (issue 15, "Scale"): the generator writes the whole (build/bench-gen -P K) and each piece
# alone (-p I); pieces share no connection, DNS exchange, name or address and follow each
# other in time.  Checks:
#   bytes  every piece starts with the whole's file header, and the whole is the pieces'
#          records one after the other, byte for byte
#   sums   the whole's figures (tests/bench/figures.awk over --json: packets by step, fetches,
#          connections, exchanges, bytes, the summary's counters) are the sums of the pieces'
#          figures, its peaks the largest of theirs; and the comparison does see a piece left out
#   -V     the pieces named in a list (last first) read as one trace give the whole's output,
#          annotated text and -q --json, byte for byte
# `make bench` runs it on its 10x file (10 pieces of the bench file's size); tests/merge.sh on
# pieces of a few thousand packets under ASan.
#
# usage: sh tests/bench/pieces.sh [-n PACKETS] [-k PIECES] [-c CONCURRENT] [-W WHOLE [-R]] DIR
#   -n, -c   as build/bench-gen's, per piece (default 3000, 20); -k pieces (default 4)
#   -W FILE  the whole, already written by build/bench-gen -P K -n N -c C (else made in DIR)
#   -R       remove WHOLE once read, before the pieces are written: the disk then holds one
#            capture's worth at a time (the 10x file and its pieces are ~8 GB each at full size)
#   DIR      a directory for the pieces and the figures (created; the pieces are removed)
# FETCHTRACE (default ./fetchtrace) and GEN (build/bench-gen) name the programs.  Prints
# "ok pieces ..." / "FAIL pieces ..." lines, the figures compared, and "pieces: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${FETCHTRACE:-./fetchtrace}
gen=${GEN:-build/bench-gen}
n=3000 k=4 c=20 whole='' rm_whole=0
usage() { echo "usage: sh tests/bench/pieces.sh [-n PACKETS] [-k PIECES] [-c CONCURRENT] [-W WHOLE [-R]] DIR" >&2; exit 2; }
while getopts n:k:c:W:R o; do
	case $o in
	n) n=$OPTARG ;; k) k=$OPTARG ;; c) c=$OPTARG ;; W) whole=$OPTARG ;; R) rm_whole=1 ;; *) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
dir=$1
mkdir -p "$dir" || exit 1
: >"$dir/out"
p=0 f=0
ok() { echo "ok pieces $1" | tee -a "$dir/out"; p=$((p + 1)); }
bad() { echo "FAIL pieces $1" | tee -a "$dir/out"; f=$((f + 1)); }
for x in "$bin" "$gen"; do
	[ -x "$x" ] || { bad "$x is not built"; echo "pieces: $p passed, $f failed"; exit 1; }
done

# run NAME CMD...: CMD's standard output to standard output; a non-zero exit or anything on
# standard error (a sanitizer's report) is recorded in $dir/fails
: >"$dir/fails"
run() {
	name=$1; shift
	"$@" 2>"$dir/stderr"
	rc=$?
	if [ $rc -ne 0 ] || [ -s "$dir/stderr" ]; then
		{ echo "$name: exit $rc"; head -n 5 "$dir/stderr"; } >>"$dir/fails"
	fi
}
figures() { # figures NAME FETCHTRACE-ARGS...: the figures of one --json run
	name=$1; shift
	{ run "$name" "$bin" --json "$@"; } | awk -f tests/bench/figures.awk
}

# ---------------------------------------------------------------- the whole

if [ -z "$whole" ]; then
	whole=$dir/whole.pcap rm_whole=1
	"$gen" -n "$n" -c "$c" -P "$k" -o "$whole" 2>"$dir/gen.err" || { bad "gen -P $k: $(cat "$dir/gen.err")"; echo "pieces: $p passed, $f failed"; exit 1; }
fi
[ -s "$whole" ] || { bad "$whole: no such capture"; echo "pieces: $p passed, $f failed"; exit 1; }
wsize=$(wc -c <"$whole")
head -c 24 "$whole" >"$dir/whole.hdr"
wsum=$(cksum <"$whole")
figures whole -r "$whole" >"$dir/whole.fig"
wtext=$(run "whole text" "$bin" -r "$whole" | cksum)
wq=$(run "whole -q --json" "$bin" -q --json -r "$whole" | cksum)
[ "$rm_whole" = 1 ] && rm -f "$whole"

# ---------------------------------------------------------------- the pieces

: >"$dir/list"
hdr_ok=1
i=0
while [ $i -lt "$k" ]; do
	pc=$dir/piece$i.pcap
	"$gen" -n "$n" -c "$c" -p $i -o "$pc" 2>"$dir/gen.err" || { bad "gen -p $i: $(cat "$dir/gen.err")"; break; }
	head -c 24 "$pc" | cmp -s - "$dir/whole.hdr" || hdr_ok=0
	figures "piece $i" -r "$pc" >"$dir/piece$i.fig"
	echo "$pc" | cat - "$dir/list" >"$dir/list.new" && mv "$dir/list.new" "$dir/list"   # last first
	i=$((i + 1))
done
psum=$(i=0; while [ $i -lt "$k" ]; do
	if [ $i -eq 0 ]; then cat "$dir/piece$i.pcap"; else tail -c +25 "$dir/piece$i.pcap"; fi
	i=$((i + 1))
done | cksum)
if [ "$hdr_ok" = 1 ] && [ "$psum" = "$wsum" ]; then
	ok "bytes: the whole ($wsize B) is its $k pieces' records one after the other, byte for byte"
else bad "bytes: headers $([ "$hdr_ok" = 1 ] && echo equal || echo differ), whole $wsum, pieces $psum"; fi

# ---------------------------------------------------------------- (a) the sums

# sumfig FILE...: the figures of several runs combined: sums added, peaks the largest
sumfig() {
	awk '$1 == "sum" { s[$2] += $3 }
	     $1 == "max" { if (!($2 in m) || $3 + 0 > m[$2]) m[$2] = $3 + 0 }
	     END { for (x in s) printf "sum %s %.0f\n", x, s[x]; for (x in m) printf "max %s %.0f\n", x, m[x] }' "$@" | sort
}
i=0 figs=
while [ $i -lt "$k" ]; do figs="$figs $dir/piece$i.fig"; i=$((i + 1)); done
# shellcheck disable=SC2086 # the piece files: no spaces in DIR's own names
sumfig $figs >"$dir/pieces.fig"
nfig=$(wc -l <"$dir/whole.fig")
npk=$(awk '$2 == "summary.packets" { print $3 }' "$dir/whole.fig")
if [ "$nfig" -ge 30 ] && [ "${npk:-0}" -gt 0 ] && cmp -s "$dir/whole.fig" "$dir/pieces.fig"; then
	ok "sums: the whole's $nfig figures ($npk packets) are the sums (peaks: the largest) of the pieces'"
else
	bad "sums: the whole's figures are not its pieces' ($nfig figures, $npk packets); whole / pieces:"
	join -a 1 -a 2 -e - -o 0,1.2,2.2 \
		"$(awk '{ print $1 "." $2, $3 }' "$dir/whole.fig" | sort >"$dir/w.j"; echo "$dir/w.j")" \
		"$(awk '{ print $1 "." $2, $3 }' "$dir/pieces.fig" | sort >"$dir/p.j"; echo "$dir/p.j")" |
		awk '$2 != $3 { print "  " $0 }'
fi
# the comparison must notice a piece left out, or passing proves nothing
# shellcheck disable=SC2086,SC2046 # the piece files: no spaces in DIR's own names
sumfig $(echo $figs | cut -d ' ' -f 2-) >"$dir/short.fig"
if [ "$k" -ge 2 ] && ! cmp -s "$dir/whole.fig" "$dir/short.fig"; then
	ok "sums: the comparison sees a piece left out"
else bad "sums: the whole's figures equal those of its pieces but one"; fi

# ---------------------------------------------------------------- (b) -V the pieces as one trace

vtext=$(run "-V text" "$bin" -V "$dir/list" | cksum)
vq=$(run "-V -q --json" "$bin" -q --json -V "$dir/list" | cksum)
if [ "$vtext" = "$wtext" ] && [ "$vq" = "$wq" ]; then
	ok "-V: the $k pieces (listed last first) as one trace give the whole's text and -q --json output"
else bad "-V: text $([ "$vtext" = "$wtext" ] && echo same || echo differs), -q --json $([ "$vq" = "$wq" ] && echo same || echo differs)"; fi

if [ -s "$dir/fails" ]; then
	bad "fetchtrace exited non-zero or wrote to standard error:"; sed 's/^/  /' "$dir/fails"
fi
i=0
while [ $i -lt "$k" ]; do rm -f "$dir/piece$i.pcap"; i=$((i + 1)); done
echo "figures compared (whole = sum of the pieces; max: the largest piece's):"
sed 's/^/  /' "$dir/whole.fig"
# one line for make bench's targets
ndiff=$(cat "$dir/whole.fig" "$dir/pieces.fig" | sort | uniq -u | awk '{ print $2 }' | sort -u | wc -l)
echo "result: bytes $(grep -q '^ok pieces bytes' "$dir/out" && echo same || echo differ)," \
	"figures $nfig, differing $ndiff ($(cat "$dir/whole.fig" "$dir/pieces.fig" | sort | uniq -u | awk '{ print $2 }' | sort -u |
		awk '/^(objects|summary)\./ { print; next } { rest = rest $0 "\n" } END { printf "%s", rest }' |
		head -n 4 | tr '\n' ' ')), -V $([ "$vtext" = "$wtext" ] && [ "$vq" = "$wq" ] && echo same || echo differs)"
echo "pieces: $p passed, $f failed"
[ $f -eq 0 ]
