#!/bin/sh
# merge.sh - several capture files read as one trace (-r repeated, -V LIST): the pieces of a
# capture (editcap -c), named in any order, give exactly the output of the whole capture, in
# text and JSON (whose packet objects then name their file, and only then); a piece in pcapng
# among pcap pieces, files of different link types, -c across files; a missing file in a
# list gets an error line naming the list and line, and nothing is read; -w refuses several.
# And issue 15's scale check, small: a generated capture of 4 pieces of a few thousand packets
# (build/bench-gen -P 4) has the summed figures of its pieces read separately, and the pieces
# as one trace (-V) give its output (tests/bench/pieces.sh; make bench runs it at 10x size).
# shellcheck disable=SC2012 # ls over editcap's own plain file names
set -u
cd "$(dirname "$0")/.." || exit 1
bin=${FETCHTRACE:-build/san/fetchtrace}
export TZ=UTC LC_ALL=C
p=0 f=0
ok() { echo "ok merge $1"; p=$((p + 1)); }
bad() { echo "FAIL merge $1"; f=$((f + 1)); }
[ -x "$bin" ] || { echo "FAIL merge: $bin not built"; echo "merge: 0 passed, 1 failed"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# a capture made of pieces: the sums of the pieces' figures, and -V over the pieces
if [ -x build/bench-gen ]; then
	FETCHTRACE=$bin sh tests/bench/pieces.sh -n 3000 -c 20 -k 4 "$tmp/pieces" >"$tmp/pieces.out" 2>&1
	pp=$(sed -n 's/^pieces: \([0-9]*\) passed.*/\1/p' "$tmp/pieces.out")
	grep '^ok pieces' "$tmp/pieces.out" | sed 's/^ok pieces /ok merge pieces: /'
	p=$((p + ${pp:-0}))
	if grep -q '^pieces: [0-9]* passed, 0 failed' "$tmp/pieces.out"; then :; else
		bad "pieces (tests/bench/pieces.sh):"; grep -v '^ok \|^  sum \|^  max ' "$tmp/pieces.out"
	fi
else bad "build/bench-gen is not built (make build/bench-gen)"; fi

if ! command -v editcap >/dev/null 2>&1; then
	echo "skip merge: editcap (wireshark-common / tshark) not installed"
	echo "merge: $p passed, $f failed, 1 skipped"; [ $f -eq 0 ]; exit
fi
whole=captures/lab-large.pcap
mkdir "$tmp/p"
editcap -c 60 "$whole" "$tmp/p/piece.pcap" >/dev/null 2>&1
n=$(ls "$tmp/p" | wc -l)
[ "$n" -ge 3 ] || bad "editcap made $n pieces, expected at least 3"
"$bin" -r "$whole" >"$tmp/whole.out" 2>"$tmp/err" || bad "the whole capture: exit $?"

# -r repeated, the pieces named last first: merged by time, the same output as the whole
set --
for x in $(ls "$tmp/p" | sort -r); do set -- "$@" -r "$tmp/p/$x"; done
"$bin" "$@" >"$tmp/rev.out" 2>"$tmp/err"; rc=$?
if [ $rc -eq 0 ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/whole.out" "$tmp/rev.out"; then
	ok "-r x$n pieces in reverse order: the whole capture's output, summary and all"
else bad "-r pieces: exit $rc, $(diff "$tmp/whole.out" "$tmp/rev.out" | grep -c '^[<>]') lines differ"; cat "$tmp/err"; fi

# -V LIST, shuffled, with CRLF line ends and empty lines; one piece as pcapng
first=$(ls "$tmp/p" | head -1)
editcap -F pcapng "$tmp/p/$first" "$tmp/p/first.pcapng" >/dev/null 2>&1 && rm "$tmp/p/$first"
ls "$tmp/p" | sort -r | awk -v d="$tmp/p/" '{ printf "%s%s\r\n\n", d, $0 }' >"$tmp/list"
"$bin" -V "$tmp/list" >"$tmp/list.out" 2>"$tmp/err"; rc=$?
if [ $rc -eq 0 ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/whole.out" "$tmp/list.out"; then
	ok "-V LIST (CRLF, empty lines, a pcapng piece among pcap): the whole capture's output"
else bad "-V LIST: exit $rc, $(diff "$tmp/whole.out" "$tmp/list.out" | grep -c '^[<>]') lines differ"; cat "$tmp/err"; fi
"$bin" -q -V - <"$tmp/list" >"$tmp/stdin.out" 2>"$tmp/err"
if grep -q '^packets: ' "$tmp/stdin.out" && [ "$(grep '^packets' "$tmp/stdin.out")" = "$(grep '^packets' "$tmp/whole.out")" ]; then
	ok "-V - reads the list from standard input"
else bad "-V -: $(cat "$tmp/stdin.out" "$tmp/err")"; fi

# JSON: the same objects as the whole's plus "file" on every packet, and the path is the piece's
if command -v jq >/dev/null 2>&1; then
	"$bin" --json -r "$whole" >"$tmp/whole.json"
	"$bin" --json -V "$tmp/list" >"$tmp/list.json"
	if jq -c 'del(.file) | del(.frame)' "$tmp/list.json" | cmp -s - "$(jq -c 'del(.frame)' "$tmp/whole.json" >"$tmp/w.json"; echo "$tmp/w.json")"; then
		ok "--json over the pieces: the whole's objects once \"file\" is taken out"
	else bad "--json over the pieces differs from the whole's"; fi
	nofile=$(jq -c 'select(.type == "packet" and (.file | type) != "string")' "$tmp/list.json" | wc -l)
	foreign=$(jq -r 'select(.type == "packet") | .file' "$tmp/list.json" | grep -v -c "^$tmp/p/")
	one=$(jq -c 'select(has("file"))' "$tmp/whole.json" | wc -l)
	if [ "$nofile" -eq 0 ] && [ "$foreign" -eq 0 ] && [ "$one" -eq 0 ]; then
		ok "--json: every packet names its piece when several are read, none when one is"
	else bad "--json file member: $nofile packets without, $foreign not a piece, $one with one file"; fi
	if command -v python3 >/dev/null 2>&1; then
		if python3 tests/json/validate.py tests/json/fetchtrace.schema.json "$tmp/list.json" >"$tmp/v" 2>&1; then
			ok "--json over several files is valid against the schema"
		else bad "--json over several files: $(head -3 "$tmp/v")"; fi
	fi
fi

# files of different link types (Linux cooked SLL2 and Ethernet) in one run; -c across files
"$bin" -q -r captures/any-sll2.pcap -r captures/cold-fetch.pcap >"$tmp/mix.out" 2>"$tmp/err"; rc=$?
a=$("$bin" -q -r captures/any-sll2.pcap | sed -n 's/^packets: \([0-9]*\) read.*/\1/p')
b=$("$bin" -q -r captures/cold-fetch.pcap | sed -n 's/^packets: \([0-9]*\) read.*/\1/p')
if [ $rc -eq 0 ] && [ ! -s "$tmp/err" ] && grep -q "^packets: $((a + b)) read" "$tmp/mix.out" &&
	! grep -q 'unsupported.*[1-9]' "$tmp/mix.out"; then
	ok "SLL2 and Ethernet files in one run: $((a + b)) packets, none unsupported"
else bad "mixed link types: exit $rc, $(grep '^packets' "$tmp/mix.out") (expected $((a + b)))"; cat "$tmp/err"; fi
"$bin" -V "$tmp/list" -c 100 >"$tmp/c.out" 2>"$tmp/err"
"$bin" -r "$whole" -c 100 >"$tmp/c100.out" 2>&1
if grep -q '^packets: 100 read' "$tmp/c.out" && cmp -s "$tmp/c.out" "$tmp/c100.out"; then
	ok "-c 100 across the pieces stops after 100 packets"
else bad "-c 100: $(grep '^packets' "$tmp/c.out")"; fi

# a missing file in the list: an error line naming the list and its line, nothing read
printf '%s\n%s\n' "$tmp/p/first.pcapng" "$tmp/p/missing.pcap" >"$tmp/badlist"
"$bin" -V "$tmp/badlist" >"$tmp/bad.out" 2>"$tmp/bad.err"; rc=$?
if [ $rc -eq 1 ] && [ ! -s "$tmp/bad.out" ] &&
	grep -q "^fetchtrace: -V $tmp/badlist line 2: $tmp/p/missing.pcap: .*No such file" "$tmp/bad.err" &&
	[ "$(wc -l <"$tmp/bad.err")" -eq 1 ]; then
	ok "a missing file in -V LIST: exit 1, one error line naming the list and line 2, nothing read"
else bad "missing file: exit $rc, stdout $(wc -c <"$tmp/bad.out") B, stderr: $(cat "$tmp/bad.err")"; fi
"$bin" -V "$tmp/nolist" >/dev/null 2>"$tmp/bad.err"; rc=$?
if [ $rc -eq 1 ] && grep -q "^fetchtrace: -V $tmp/nolist: No such file" "$tmp/bad.err"; then
	ok "a missing -V LIST: exit 1 and an error line"
else bad "missing list: exit $rc: $(cat "$tmp/bad.err")"; fi
"$bin" -r "$whole" -r "$whole" -w "$tmp/w.pcap" >/dev/null 2>"$tmp/bad.err"; rc=$?
if [ $rc -eq 1 ] && grep -q 'several input files' "$tmp/bad.err" && [ ! -e "$tmp/w.pcap" ]; then
	ok "-w with several input files is refused"
else bad "-w with several files: exit $rc: $(cat "$tmp/bad.err")"; fi
if grep -E -q 'AddressSanitizer|runtime error|LeakSanitizer' "$tmp"/*.err "$tmp/err" 2>/dev/null; then
	bad "sanitizer report"
fi
echo "merge: $p passed, $f failed"
[ $f -eq 0 ]
