#!/bin/sh
# pcapng.sh - the pcapng writer and block reader (src/pcapng.c) checked against tshark, editcap
# and libpcap: a two-interface file with comments and secrets, editcap-injected secrets, the
# secrets decrypting HTTP/2 in tshark, and every committed capture re-written with comments.
# Uses build/san/test_pcapng as its tool (see the top of tests/unit/test_pcapng.c).
set -u
cd "$(dirname "$0")/.." || exit 1
export TZ=UTC LC_ALL=C
tool=${PCAPNG_TOOL:-build/san/test_pcapng}
p=0 f=0 s=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok pcapng $1"; p=$((p + 1)); }
bad() { echo "FAIL pcapng $1"; [ $# -gt 1 ] && sed 's/^/  /' "$2"; f=$((f + 1)); }
skip() { echo "skip pcapng $1"; s=$((s + 1)); }

if [ ! -x "$tool" ]; then
	echo "FAIL pcapng: $tool is not built (make $tool)"
	echo "pcapng: 0 passed, 1 failed"
	exit 1
fi
if ! command -v tshark >/dev/null 2>&1 || ! command -v editcap >/dev/null 2>&1; then
	echo "pcapng: 0 passed, 0 failed, 1 skipped (no tshark/editcap)"
	exit 0
fi

# tshark with its stderr kept apart; anything but the root warning on stderr is a failure
tsh() {
	tshark "$@" 2>"$tmp/tserr.raw"
	rc=$?
	grep -v 'Running as user' "$tmp/tserr.raw" >"$tmp/tserr"
	[ $rc -eq 0 ] && [ ! -s "$tmp/tserr" ]
}

# --- two interfaces (Ethernet us, raw IP ns), comments, a DSB: what Wireshark accepts
multi=$tmp/multi.pcapng
"$tool" multi "$multi" || bad "multi: the tool failed"
{
	printf 'step=connect call=connect() fetch=1 conn=1 SYN\t0\n'
	printf 'caf\303\251 \342\206\222 "quoted"\t1\n'
	printf '\t0\n'
	printf 'abc\t1\n'
} >"$tmp/want"
if tsh -r "$multi" -T fields -e frame.comment -e frame.interface_id >"$tmp/got" &&
	cmp -s "$tmp/got" "$tmp/want"; then
	ok "multi: tshark lists the comments and interfaces"
else
	cat "$tmp/tserr" >>"$tmp/got"; bad "multi: tshark comments/interfaces differ" "$tmp/got"
fi
if tsh -r "$multi" -T fields -e frame.time_epoch -e frame.cap_len -e frame.len -e frame.interface_name \
	>"$tmp/got" && printf '%s\n' \
	"1700000000.123456000	60	60	eth0" "1700000001.987654321	45	45	tun0" \
	"1700000002.000005000	42	1514	eth0" "4102444800.999999999	1500	9000	tun0" | cmp -s - "$tmp/got"; then
	ok "multi: tshark time stamps, lengths and interface names"
else
	cat "$tmp/tserr" >>"$tmp/got"; bad "multi: tshark time stamps/lengths differ" "$tmp/got"
fi
if tsh -r "$multi" -o tls.keylog_file:/dev/null >"$tmp/got" && [ "$(wc -l <"$tmp/got")" -eq 4 ]; then
	ok "multi: tshark reads it with its secrets and no keylog file"
else
	cat "$tmp/tserr" >>"$tmp/got"; bad "multi: tshark -o tls.keylog_file:/dev/null" "$tmp/got"
fi
if tsh -r "$multi" -T fields -e frame.number -2 -R 'frame' >/dev/null; then
	ok "multi: tshark two-pass read"
else
	bad "multi: tshark two-pass read" "$tmp/tserr"
fi

# --- what Wireshark writes for several interfaces of different link types and snap lengths
# (mergecap: SLL2, Ethernet, Ethernet cut at 96), which libpcap 1.10 refuses: the reader sees
# every packet on its interface with tshark's time stamps and lengths
mg=$tmp/merged.pcapng
if mergecap -w "$mg" captures/any-sll2.pcap captures/cold-fetch.pcap captures/snap96.pcap 2>"$tmp/err"; then
	tsh -r "$mg" -T fields -e frame.interface_id -e frame.time_epoch -e frame.cap_len -e frame.len >"$tmp/want"
	"$tool" dump "$mg" >"$tmp/dump" 2>&1
	awk '$1 == "packet" { split($7, a, "/"); print $3 "\t" $5 "\t" a[1] "\t" a[2] }' "$tmp/dump" >"$tmp/got"
	if [ -s "$tmp/want" ] && cmp -s "$tmp/want" "$tmp/got" &&
		[ "$(grep -c '^iface ' "$tmp/dump")" -eq 3 ] && grep -q '^iface 2 linktype 1 snaplen 96 ' "$tmp/dump"; then
		ok "mergecap: three interfaces, $(wc -l <"$tmp/got") packets as tshark reads them"
	else
		diff "$tmp/want" "$tmp/got" | head -5 >>"$tmp/dump"; bad "mergecap: the reader differs from tshark" "$tmp/dump"
	fi
else
	bad "mergecap" "$tmp/err"
fi

# --- editcap --inject-secrets: the reader hands out the key log byte for byte
in=captures/lab-h2-curl.pcap keys=captures/lab-h2-curl.keys
if editcap --inject-secrets "tls,$keys" "$in" "$tmp/inj.pcapng" 2>"$tmp/err" &&
	"$tool" secrets "$tmp/inj.pcapng" "$tmp/keys.out" 2>>"$tmp/err" && cmp -s "$tmp/keys.out" "$keys"; then
	ok "editcap --inject-secrets: the reader returns the key log"
else
	bad "editcap --inject-secrets: the secrets differ" "$tmp/err"
fi
n_ts=$(tshark -r "$in" -T fields -e frame.number 2>/dev/null | wc -l)
"$tool" dump "$tmp/inj.pcapng" >"$tmp/dump" 2>&1
n_rd=$(grep -c '^packet ' "$tmp/dump")
if [ "$n_ts" -gt 0 ] && [ "$n_rd" -eq "$n_ts" ] && grep -q '^end 0: .* 1 secrets, 0 skipped' "$tmp/dump"; then
	ok "editcap --inject-secrets: the reader sees every packet ($n_rd)"
else
	bad "editcap --inject-secrets: reader $n_rd packets, tshark $n_ts" "$tmp/dump"
fi

# --- a DSB written by the writer decrypts HTTP/2 in tshark with no keylog option
"$tool" convert "$in" "$tmp/h2.pcapng" "$keys" >/dev/null 2>"$tmp/err" || bad "h2: convert with keys" "$tmp/err"
"$tool" convert "$in" "$tmp/h2-nokeys.pcapng" >/dev/null 2>"$tmp/err" || bad "h2: convert" "$tmp/err"
with=$(tshark -r "$tmp/h2.pcapng" -o tls.keylog_file: -Y http2.headers.method -T fields -e http2.headers.method 2>/dev/null | wc -l)
without=$(tshark -r "$tmp/h2-nokeys.pcapng" -o tls.keylog_file: -Y http2.headers.method -T fields -e http2.headers.method 2>/dev/null | wc -l)
if [ "$with" -gt 0 ] && [ "$without" -eq 0 ]; then
	ok "h2: tshark decrypts through the DSB ($with requests), not without it"
else
	bad "h2: requests with the DSB $with, without $without"
fi

# --- every committed capture re-written, one IDB, comment frame=N: the tool compares libpcap's
# and the reader's view of the copy with libpcap's of the original; editcap's nanosecond pcap of
# both is byte-identical (time stamps, lengths, bytes); tshark lists frame=1..N
n_rt=0
for c in captures/*.pcap captures/*.pcapng; do
	[ -f "$c" ] || continue
	b=$(basename "$c")
	out=$tmp/rt.pcapng
	"$tool" convert "$c" "$out" >"$tmp/conv" 2>&1
	rc=$?
	if [ $rc -eq 3 ]; then
		skip "round trip $b: $(sed 's/^convert: [^:]*: //' "$tmp/conv")"
		continue
	fi
	if [ $rc -ne 0 ]; then
		if grep -q '^convert: ' "$tmp/conv" && ! grep -q 'DIFFER\|differs\|write failed\|reading back' "$tmp/conv"; then
			skip "round trip $b: libpcap does not read it ($(head -1 "$tmp/conv"))"
		else
			bad "round trip $b" "$tmp/conv"
		fi
		continue
	fi
	editcap -F nsecpcap "$c" "$tmp/a.pcap" 2>/dev/null
	editcap -F nsecpcap "$out" "$tmp/b.pcap" 2>/dev/null
	# past the 24-byte file header: editcap gives a pcapng source the snaplen 262144
	# (the tool compared the snap lengths through libpcap)
	tail -c +25 "$tmp/a.pcap" >"$tmp/a.rec"
	tail -c +25 "$tmp/b.pcap" >"$tmp/b.rec"
	if ! cmp -s "$tmp/a.rec" "$tmp/b.rec"; then
		bad "round trip $b: editcap's copies differ"
		continue
	fi
	n=$(grep -o '[0-9]* packets' "$tmp/conv" | cut -d' ' -f1)
	if ! tsh -r "$out" -T fields -e frame.comment >"$tmp/got" ||
		! seq 1 "$n" | sed 's/^/frame=/' | cmp -s - "$tmp/got"; then
		cat "$tmp/tserr" >>"$tmp/got"; bad "round trip $b: tshark comments" "$tmp/got"
		continue
	fi
	n_rt=$((n_rt + 1))
done
[ "$n_rt" -gt 0 ] && ok "round trip: $n_rt captures identical in libpcap, the reader, editcap and tshark"
if command -v tcpdump >/dev/null 2>&1; then
	if tcpdump -r "$tmp/h2.pcapng" -n -tt >/dev/null 2>"$tmp/err"; then ok "tcpdump -r reads the writer's file"
	else bad "tcpdump -r" "$tmp/err"; fi
else
	skip "tcpdump -r: tcpdump is not installed"
fi

echo "pcapng: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
