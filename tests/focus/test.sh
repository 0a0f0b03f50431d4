#!/bin/sh
# test.sh - --fetch (issue 12) against the unfiltered run, with jq: for every fetch N of the
# multi-fetch captures, --fetch N shows exactly the packets, connections and exchanges the
# unfiltered run gives fetch N (same numbers, same times), every packet read is either shown or
# counted in hidden_packets, hidden_conns is the unfiltered connections less those shown, the HAR
# file has that fetch's entries only; --fetch NAME (the fetch's own name, in another case) shows
# the same connections; a name nothing has hides everything and counts it.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${FETCHTRACE:-build/san/fetchtrace}
export TZ=UTC LC_ALL=C
p=0 f=0 s=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then echo "ok focus $d"; p=$((p + 1)); else echo "FAIL focus $d"; f=$((f + 1)); fi
}
if ! command -v jq >/dev/null 2>&1; then
	echo "skip focus: jq is not installed"; echo "focus: 0 passed, 0 failed, 1 skipped"; exit 0
fi

# capture [options]: multi-fetch captures (DoH, two fetches of one name, pcapng interfaces, ICMP)
set -- \
	"lab-doh.pcap --keylog captures/lab-doh.keys" \
	"h2c-doh.pcap" \
	"lab-net-warm.pcap" \
	"multi-iface.pcapng" \
	"crafted-icmp.pcap" \
	"crafted-doh-http1.pcap" \
	"lab-net-chromium.pcap" \
	"cname.pcap" \
	"lab-chromium-background.pcap"
pk='select(.type == "packet") | "\(.ts) \(.src) \(.sport) \(.dst) \(.dport) \(.fetch)"'
for spec in "$@"; do
	cap=${spec%% *}
	opts=${spec#"$cap"}
	# shellcheck disable=SC2086
	"$bin" -r "captures/$cap" $opts --json >"$tmp/all" 2>"$tmp/err" || { check "$cap: unfiltered run" false; continue; }
	total=$(jq -s '[.[] | select(.type == "summary")][0].packets' "$tmp/all")
	nconns=$(jq -s '[.[] | select(.type == "conn" or .type == "quic_conn")] | length' "$tmp/all")
	for n in $(jq -r 'select(.type == "fetch") | .fetch' "$tmp/all"); do
		# shellcheck disable=SC2086
		"$bin" -r "captures/$cap" $opts --json --fetch "$n" --har "$tmp/har" >"$tmp/one" 2>"$tmp/err"
		check "$cap --fetch $n: exit 0, quiet stderr" test $? -eq 0 -a ! -s "$tmp/err"
		jq -r "$pk" "$tmp/all" | awk -v n="$n" '$6 == n' >"$tmp/want"
		# DNS of the fetch's name carries no fetch number: compare the numbered packets
		jq -r "$pk" "$tmp/one" | awk '$6 != "null"' >"$tmp/got"
		check "$cap --fetch $n: the packets of fetch $n, no other numbered one" cmp -s "$tmp/want" "$tmp/got"
		shown=$(jq -s '[.[] | select(.type == "packet")] | length' "$tmp/one")
		hidden=$(jq -s '[.[] | select(.type == "summary")][0].hidden_packets // -1' "$tmp/one")
		check "$cap --fetch $n: shown $shown + hidden $hidden = read $total" test $((shown + hidden)) -eq "$total"
		jq -c 'select(.type == "conn" or .type == "quic_conn") | [.conn, .fetch]' "$tmp/all" |
			grep ",$n]\$" | sort >"$tmp/wantc"
		jq -c 'select(.type == "conn" or .type == "quic_conn") | [.conn, .fetch]' "$tmp/one" | sort >"$tmp/gotc"
		check "$cap --fetch $n: its connections, numbered as unfiltered" cmp -s "$tmp/wantc" "$tmp/gotc"
		hc=$(jq -s '[.[] | select(.type == "summary")][0].hidden_conns // -1' "$tmp/one")
		check "$cap --fetch $n: hidden_conns $hc = $nconns - $(wc -l <"$tmp/gotc")" \
			test "$hc" -eq $((nconns - $(wc -l <"$tmp/gotc")))
		jq -c 'select(.type == "exchange") | del(.rel)' "$tmp/all" | jq -c "select(.fetch == $n)" >"$tmp/wantx"
		jq -c 'select(.type == "exchange") | del(.rel)' "$tmp/one" >"$tmp/gotx"
		check "$cap --fetch $n: its exchanges, the same" cmp -s "$tmp/wantx" "$tmp/gotx"
		check "$cap --fetch $n: HAR entries = its exchanges" \
			test "$(jq '.log.entries | length' "$tmp/har")" -eq "$(wc -l <"$tmp/wantx")"
		check "$cap --fetch $n: one fetch shown" \
			test "$(jq -s '[.[] | select(.type == "summary")][0].fetches_shown // -1' "$tmp/one")" -eq 1
		# the same fetch by its name (upper case): at least its connections
		name=$(jq -r "select(.type == \"fetch\" and .fetch == $n) | .name // empty" "$tmp/all")
		case $name in *:*) name= ;; esac # an address and port: no DNS name
		if [ -n "$name" ]; then
			up=$(printf '%s' "$name" | tr 'a-z' 'A-Z')
			# shellcheck disable=SC2086
			"$bin" -r "captures/$cap" $opts --json --fetch "$up" >"$tmp/byname" 2>"$tmp/err"
			jq -c 'select(.type == "conn" or .type == "quic_conn") | [.conn, .fetch]' "$tmp/byname" |
				grep ",$n]\$" | sort >"$tmp/gotn"
			check "$cap --fetch $up: the connections of fetch $n" cmp -s "$tmp/wantc" "$tmp/gotn"
			q=$(jq -s "[.[] | select(.type == \"packet\" and .fetch == null) | .dns[]? | select(.question.name != null and (.question.name | ascii_downcase) != \"$name\")] | length" "$tmp/byname")
			check "$cap --fetch $up: no DNS message of another name (but inside DoH)" test "$q" -eq 0
		fi
	done
	# shellcheck disable=SC2086
	"$bin" -r "captures/$cap" $opts --json --fetch nothing.invalid >"$tmp/none" 2>"$tmp/err"
	check "$cap --fetch nothing.invalid: no packet, every one counted" \
		test "$(jq -s '[.[] | select(.type == "packet")] | length' "$tmp/none")" -eq 0 -a \
		"$(jq -s '[.[] | select(.type == "summary")][0].hidden_packets // -1' "$tmp/none")" -eq "$total"
done

# The option itself: bad values refused with status 2
for bad in 0 99999999999 "" "$(printf '%0300d' 1 | tr 0 a)"; do
	"$bin" -r captures/cname.pcap --fetch "$bad" >/dev/null 2>"$tmp/err"
	check "--fetch '$(printf '%.12s' "$bad")': refused (2)" test $? -eq 2 -a -s "$tmp/err"
done
echo "focus: $p passed, $f failed, $s skipped"
[ $f -eq 0 ]
