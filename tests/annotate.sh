#!/bin/sh
# annotate.sh - -w FILE.pcapng (issue 16): every committed capture re-written with fetchtrace's
# own annotations as packet comments (tshark reads them frame by frame, equal to --annotations),
# time stamps and bytes unchanged (editcap's nanosecond pcap of input and output, tcpdump -r);
# the key log as a Decryption Secrets Block (tshark decrypts HTTP/2 with no option; not with
# --no-secrets); a failed write is one line and exit 1.
set -u
cd "$(dirname "$0")/.." || exit 1
export TZ=UTC LC_ALL=C
bin=${FETCHTRACE:-build/san/fetchtrace}
p=0 f=0 s=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok annotate $1"; p=$((p + 1)); }
bad() { echo "FAIL annotate $1"; [ $# -gt 1 ] && sed 's/^/  /' "$2" | head -20; f=$((f + 1)); }
skip() { echo "skip annotate $1"; s=$((s + 1)); }

if ! command -v tshark >/dev/null 2>&1 || ! command -v editcap >/dev/null 2>&1; then
	echo "annotate: 0 passed, 0 failed, 1 skipped (no tshark/editcap)"
	exit 0
fi
tsh() { tshark "$@" 2>/dev/null; }

# --- every committed capture: -r X -w out.pcapng
n_rt=0
for c in captures/*.pcap captures/*.pcapng; do
	[ -f "$c" ] || continue
	b=$(basename "$c")
	out=$tmp/rt.pcapng
	rm -f "$out" "$tmp/notes"
	keys=
	[ -f "${c%.pcap}.keys" ] && keys="--keylog ${c%.pcap}.keys"
	# shellcheck disable=SC2086
	"$bin" -r "$c" $keys -w "$out" --annotations "$tmp/notes" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ] && grep -q 'not supported\|libpcap\|different from' "$tmp/err"; then
		skip "$b: fetchtrace does not read it ($(head -1 "$tmp/err"))"
		continue
	fi
	if [ $rc -ne 0 ]; then
		bad "$b: fetchtrace -w exited $rc" "$tmp/err"
		continue
	fi
	if ! tsh -r "$out" -T fields -e frame.comment >"$tmp/got" || ! cmp -s "$tmp/notes" "$tmp/got"; then
		diff "$tmp/notes" "$tmp/got" >"$tmp/d"; bad "$b: tshark's comments are not the annotations" "$tmp/d"
		continue
	fi
	if grep -qv '^step=[a-z]* call=[a-z()-]*' "$tmp/notes"; then
		bad "$b: an annotation without step= call=" "$tmp/notes"
		continue
	fi
	# interfaces of several link types (multi-iface.pcapng): no pcap holds them; tshark's view
	# of each packet (interface, time stamp, lengths, bytes) compared instead
	if ! editcap -F nsecpcap "$c" "$tmp/a.pcap" 2>/dev/null; then
		for side in a b; do
			[ $side = a ] && src=$c || src=$out
			{
				tsh -r "$src" -T fields -e frame.interface_id -e frame.time_epoch -e frame.len \
					-e frame.cap_len -e frame.protocols
				tsh -r "$src" -x
			} >"$tmp/$side.ts"
		done
		if [ ! -s "$tmp/a.ts" ] || ! cmp -s "$tmp/a.ts" "$tmp/b.ts"; then
			bad "$b: the packets differ (tshark: interface, time stamp, lengths, bytes)"
			continue
		fi
		n_rt=$((n_rt + 1))
		continue
	fi
	editcap -F nsecpcap "$out" "$tmp/b.pcap" 2>/dev/null
	tail -c +25 "$tmp/a.pcap" >"$tmp/a.rec"
	tail -c +25 "$tmp/b.pcap" >"$tmp/b.rec"
	# crafted-tsresol-seconds: time stamps of whole seconds up to 2^64 - 1, beyond what
	# nanoseconds since 1970 in 64 bits can say (clamped): compared by tshark's comments only
	if [ "$b" = crafted-tsresol-seconds.pcapng ]; then
		n_rt=$((n_rt + 1))
		continue
	fi
	if ! cmp -s "$tmp/a.rec" "$tmp/b.rec"; then
		bad "$b: the packets differ (time stamps, lengths or bytes)"
		continue
	fi
	if command -v tcpdump >/dev/null 2>&1; then
		tcpdump -r "$c" -n -tt -x >"$tmp/a.td" 2>/dev/null
		tcpdump -r "$out" -n -tt -x >"$tmp/b.td" 2>/dev/null
		if ! cmp -s "$tmp/a.td" "$tmp/b.td"; then
			bad "$b: tcpdump -r reads other packets"
			continue
		fi
	fi
	n_rt=$((n_rt + 1))
done
[ "$n_rt" -gt 0 ] && ok "round trip: $n_rt captures, comments = --annotations, same packets"

# --- the first lines of the HTTP/2 capture, as documented
in=captures/lab-h2-curl.pcap keys=captures/lab-h2-curl.keys
"$bin" -r "$in" --keylog "$keys" -w "$tmp/h2.pcapng" >/dev/null 2>"$tmp/err" || bad "h2: -w" "$tmp/err"
if tsh -r "$tmp/h2.pcapng" -T fields -e frame.comment | grep -qx 'step=connect call=connect() fetch=1 conn=1 SYN' &&
	tsh -r "$tmp/h2.pcapng" -Y 'frame.comment contains "step=read"' | grep -q .; then
	ok "h2: the SYN's comment; frame.comment contains \"step=read\" filters"
else
	bad "h2: comments"
fi
# --- the key log as a DSB: tshark decrypts with no keylog option; --no-secrets leaves it out
"$bin" -r "$in" --keylog "$keys" -w "$tmp/h2-ns.pcapng" --no-secrets >/dev/null 2>"$tmp/err" ||
	bad "h2: --no-secrets" "$tmp/err"
with=$(tsh -r "$tmp/h2.pcapng" -o tls.keylog_file: -Y http2.headers.method | wc -l)
without=$(tsh -r "$tmp/h2-ns.pcapng" -o tls.keylog_file: -Y http2.headers.method | wc -l)
if [ "$with" -ge 2 ] && [ "$without" -eq 0 ]; then
	ok "h2: tshark decrypts $with requests through the secrets, none with --no-secrets"
else
	bad "h2: requests with the secrets $with, with --no-secrets $without"
fi
# the secrets block comes before the first packet and holds the key log's lines
if [ "$(tsh -r "$tmp/h2-ns.pcapng" -o tls.keylog_file:"$keys" -Y http2.headers.method | wc -l)" -eq "$with" ]; then
	ok "h2: --no-secrets keeps the packets (decrypt with the key log given to tshark)"
else
	bad "h2: --no-secrets packets"
fi
# --pcapng with a name of another extension
"$bin" -r "$in" -w "$tmp/x.cap" --pcapng >/dev/null 2>&1
if [ "$(od -An -tx1 -N4 "$tmp/x.cap" | tr -d ' ')" = 0a0d0d0a ]; then
	ok "--pcapng: a pcapng whatever the name"
else
	bad "--pcapng: not a pcapng"
fi
"$bin" -r "$in" -w "$tmp/x.pcap" >/dev/null 2>&1
if [ "$(od -An -tx1 -N4 "$tmp/x.pcap" | tr -d ' ')" != 0a0d0d0a ]; then
	ok "-w FILE.pcap stays a pcap"
else
	bad "-w FILE.pcap: a pcapng"
fi
# --- a write that fails: one line, exit 1
if [ -w /dev/full ]; then
	ln -s /dev/full "$tmp/full.pcapng"
	"$bin" -r "$in" -w "$tmp/full.pcapng" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
		grep -q "^fetchtrace: -w $tmp/full.pcapng: No space left on device" "$tmp/err"; then
		ok "-w FILE.pcapng on a full disk: one line, exit 1"
	else
		echo "rc=$rc" >>"$tmp/err"; bad "-w FILE.pcapng on a full disk" "$tmp/err"
	fi
	"$bin" -r "$in" --annotations /dev/full >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -q "^fetchtrace: --annotations /dev/full: No space left on device" "$tmp/err"; then
		ok "--annotations on a full disk: exit 1"
	else
		echo "rc=$rc" >>"$tmp/err"; bad "--annotations on a full disk" "$tmp/err"
	fi
else
	skip "/dev/full is not writable"
fi

# --- reading pcapng with the project's reader (issue 16)
# editcap's injected key log decrypts without --keylog: the same output as with it
editcap --inject-secrets "tls,$keys" "$in" "$tmp/inj.pcapng" 2>/dev/null
"$bin" -r "$tmp/inj.pcapng" >"$tmp/inj.out" 2>&1
"$bin" -r "$in" --keylog "$keys" >"$tmp/kl.out" 2>&1
if grep -q '#1 GET / ' "$tmp/inj.out" && cmp -s "$tmp/inj.out" "$tmp/kl.out"; then
	ok "editcap --inject-secrets: decrypted without --keylog, as with it"
else
	diff "$tmp/kl.out" "$tmp/inj.out" >"$tmp/d"; bad "editcap --inject-secrets" "$tmp/d"
fi
# fetchtrace's own pcapng with secrets, read back: decrypted; annotations the same
"$bin" -r "$tmp/h2.pcapng" --annotations "$tmp/n2" >"$tmp/own.out" 2>&1
"$bin" -r "$in" --keylog "$keys" --annotations "$tmp/n1" >/dev/null 2>&1
sed 's/ \[comment: [^]]*\]$//' "$tmp/own.out" >"$tmp/own.nc"
if cmp -s "$tmp/own.nc" "$tmp/kl.out" && cmp -s "$tmp/n1" "$tmp/n2" &&
	grep -q ' \[comment: step=connect call=connect() fetch=1 conn=1 SYN\]$' "$tmp/own.out"; then
	ok "its own pcapng read back: decrypted through its secrets, the same annotations, shown as comments"
else
	diff "$tmp/kl.out" "$tmp/own.out" >"$tmp/d"; bad "own pcapng read back" "$tmp/d"
fi
# comments of the input: escaped at the end of the text line, a JSON string
tool=build/san/test_pcapng
if [ -x "$tool" ] && "$tool" multi "$tmp/multi.pcapng" >/dev/null 2>&1; then
	"$bin" -r "$tmp/multi.pcapng" --all >"$tmp/mt.out" 2>&1
	"$bin" -r "$tmp/multi.pcapng" --all --json >"$tmp/mj.out" 2>&1
	if grep -q 'UDP 17 B \[comment: caf\\xc3\\xa9 \\xe2\\x86\\x92 "quoted"\]$' "$tmp/mt.out" &&
		grep -q 'UDP 0 B$' "$tmp/mt.out" &&
		python3 -c '
import json, sys
c = [json.loads(l).get("comment") for l in open(sys.argv[1]) if l.startswith("{\"type\":\"packet\"")]
sys.exit(c != ["step=connect call=connect() fetch=1 conn=1 SYN", "caf\u00e9 \u2192 \"quoted\"", None, "abc"])' "$tmp/mj.out"; then
		ok "an input's comments: escaped at the end of the line; JSON \"comment\""
	else
		cat "$tmp/mj.out" >>"$tmp/mt.out"; bad "an input's comments" "$tmp/mt.out"
	fi
else
	skip "comments: $tool is not built"
fi
# interfaces of two link types (what libpcap 1.10 refuses): every packet by its own link type
if mergecap -w "$tmp/m.pcapng" captures/any-sll2.pcap captures/cold-fetch.pcap 2>/dev/null; then
	n=$(tsh -r "$tmp/m.pcapng" | wc -l)
	"$bin" -r "$tmp/m.pcapng" -q >"$tmp/m.out" 2>&1
	if [ "$n" -gt 0 ] && grep -q "^packets: $n read, $n decoded, 0 other, 0 truncated, 0 malformed, 0 unsupported" "$tmp/m.out"; then
		ok "mergecap SLL2 + Ethernet: $n packets decoded"
	else
		bad "mergecap SLL2 + Ethernet ($n packets in tshark)" "$tmp/m.out"
	fi
	# a filter compiled per interface
	n=$(tsh -r "$tmp/m.pcapng" -Y 'tcp.port == 80' | wc -l)
	"$bin" -r "$tmp/m.pcapng" -q 'tcp port 80' >"$tmp/m.out" 2>&1
	if [ "$n" -gt 0 ] && grep -q "^packets: $n read" "$tmp/m.out"; then
		ok "mergecap: 'tcp port 80' on both link types ($n packets)"
	else
		bad "mergecap: filter ($n in tshark)" "$tmp/m.out"
	fi
	# written back: the interfaces, time stamps and lengths kept, the comments the annotations
	"$bin" -r "$tmp/m.pcapng" -w "$tmp/m2.pcapng" --annotations "$tmp/mn" >/dev/null 2>&1
	tsh -r "$tmp/m.pcapng" -T fields -e frame.interface_id -e frame.time_epoch -e frame.len -e frame.cap_len -e frame.protocols >"$tmp/a"
	tsh -r "$tmp/m2.pcapng" -T fields -e frame.interface_id -e frame.time_epoch -e frame.len -e frame.cap_len -e frame.protocols >"$tmp/b"
	tsh -r "$tmp/m2.pcapng" -T fields -e frame.comment >"$tmp/c"
	if [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/c" "$tmp/mn"; then
		ok "mergecap -> -w pcapng: two interfaces, time stamps, lengths, comments"
	else
		diff "$tmp/a" "$tmp/b" >"$tmp/d"; bad "mergecap -> -w pcapng" "$tmp/d"
	fi
else
	skip "mergecap failed"
fi
# an interface of a link type not decoded (USER0): its packets counted, the others decoded
if editcap -T user0 captures/keepalive.pcap "$tmp/u.pcap" 2>/dev/null &&
	mergecap -w "$tmp/mu.pcapng" "$tmp/u.pcap" captures/cold-fetch.pcap 2>/dev/null; then
	nu=$(tsh -r "$tmp/u.pcap" | wc -l)
	nc=$(tsh -r captures/cold-fetch.pcap | wc -l)
	"$bin" -r "$tmp/mu.pcapng" -q >"$tmp/mu.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^packets: $((nu + nc)) read, $nc decoded, 0 other, 0 truncated, 0 malformed, $nu unsupported" "$tmp/mu.out"; then
		ok "an interface of USER0 beside Ethernet: $nu packets unsupported, $nc decoded"
	else
		bad "USER0 + Ethernet (rc $rc)" "$tmp/mu.out"
	fi
else
	skip "editcap -T user0 failed"
fi
# hostile: a block running past the end; a block length that is not a multiple of 4
head -c 300 captures/cold-fetch.pcapng >"$tmp/cut.pcapng"
"$bin" -r "$tmp/cut.pcapng" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q 'offset [0-9]*' "$tmp/err"; then
	ok "a cut pcapng: one line naming the offset, exit 1"
else
	echo "rc=$rc" >>"$tmp/err"; bad "a cut pcapng" "$tmp/err"
fi
python3 - "$tmp/h2.pcapng" "$tmp/bad.pcapng" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
# the second block (the IDB, after the SHB): its length field made huge
shb = int.from_bytes(d[4:8], 'little')
d[shb + 4:shb + 8] = (0x7ffffff0).to_bytes(4, 'little')
open(sys.argv[2], 'wb').write(d)
PY
"$bin" -r "$tmp/bad.pcapng" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q 'offset' "$tmp/err"; then
	ok "a pcapng block of 2 GiB: one line, exit 1"
else
	echo "rc=$rc" >>"$tmp/err"; bad "a huge pcapng block" "$tmp/err"
fi

echo "annotate: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
