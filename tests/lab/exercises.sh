#!/bin/sh
# shellcheck disable=SC1091,SC2086,SC2046 # set -- $(...) splits into words on purpose
# exercises.sh - the `exercises` suite: checks the answer of every exercise in
# captures/README.md ("Exercises") against the committed lab captures
# captures/lab-net-*.pcap (recorded by tests/lab/record.sh).  No root, no lab:
# it only reads files, with the fetchtrace command each exercise names.
#
#   sh tests/lab/exercises.sh          FETCHTRACE: default build/san/fetchtrace, else ./fetchtrace
#
# Each exercise is a function that takes the capture(s) and succeeds only
# when fetchtrace's output gives the answer the README states; it prints the
# answer it found.  The second half runs the same functions on the wrong
# captures and expects them to fail, so no check passes on anything.
# Prints "ok exercises ..." / "FAIL exercises ..." and ends with
# "exercises: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
export TZ=UTC LC_ALL=C COLUMNS=120
. tests/lab/env.sh

if [ -z "${FETCHTRACE:-}" ]; then
	if [ -x build/san/fetchtrace ]; then FETCHTRACE=build/san/fetchtrace
	else FETCHTRACE=./fetchtrace; fi
fi
[ -x "$FETCHTRACE" ] || { echo "FAIL exercises: $FETCHTRACE not found (make fetchtrace)"; echo "exercises: 0 passed, 1 failed"; exit 1; }
C=${CAPTURES:-captures}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
p=0 f=0
n_out=0
# ft ARGS...: run fetchtrace, output in a new file whose name is printed;
# fails when fetchtrace fails or writes to stderr.
ft() {
	n_out=$((n_out + 1))
	"$FETCHTRACE" "$@" >"$tmp/out.$n_out" 2>"$tmp/err.$n_out" && [ ! -s "$tmp/err.$n_out" ] || return 1
	echo "$tmp/out.$n_out"
}
check() { # check DESCRIPTION FUNCTION ARGS...: the function must succeed
	d=$1; shift
	ans=$("$@" 2>&1); rc=$?
	ans=$(printf '%s' "$ans" | tr '\n' ' ')
	if [ $rc -eq 0 ]; then echo "ok exercises $d: $ans"; p=$((p + 1))
	else echo "FAIL exercises $d: $ans"; f=$((f + 1)); fi
}
check_fails() { # check_fails DESCRIPTION FUNCTION ARGS...: the function must fail
	d=$1; shift
	ans=$("$@" 2>&1); rc=$?
	ans=$(printf '%s' "$ans" | tr '\n' ' ')
	if [ $rc -eq 0 ]; then echo "FAIL exercises $d: passed on the wrong capture: $ans"; f=$((f + 1))
	else echo "ok exercises $d (fails as it should)"; p=$((p + 1)); fi
}
# role ENDPOINT: which lab host an "addr:port" or "[addr6]:port" is
role() {
	a=${1%:*}; a=${a#[}; a=${a%]}
	case $a in
	"$ROOT4"|"$ROOT6") echo root ;; "$COM4"|"$COM6") echo com ;;
	"$EXAMPLE4"|"$EXAMPLE6") echo example ;; "$RES_UP4"|"$RES_UP6") echo resolver ;;
	"$RES_LAN4"|"$RES_LAN6") echo resolver-lan ;; "$CLIENT4"|"$CLIENT6") echo client ;;
	"$WEB4"|"$WEB6") echo web ;; *) echo other ;;
	esac
}
# dns_lines FILE: "KIND SRC DST REST" for each DNS line (KIND query|answer)
dns_lines() {
	awk '/^ *[0-9]+\.[0-9]+ +resolve / {
		for (i = 1; i < NF; i++) if ($i == ">") break
		k = $(i + 2); if (k != "query" && k != "answer") next
		rest = ""; for (j = i + 3; j <= NF; j++) rest = rest " " $j
		print k, $(i - 1), $(i + 1), rest }' "$1"
}

# ---------------------------------------------------------------- 1
# Which three pieces of information does a DNS query carry?
# fetchtrace -r captures/lab-net-cold-client.pcap: the first query line.
ex_query() {
	o=$(ft -r "$1") || { echo "fetchtrace failed"; return 1; }
	set -- $(dns_lines "$o" | awk '$1 == "query" { print $5, $6, $7; exit }')
	echo "name $1, class $2, type $3"
	[ "$1" = www.example.com ] && [ "$2" = IN ] && [ "$3" = A ] || return 1
	# getaddrinfo() asks a second question: same name and class, type AAAA
	dns_lines "$o" | awk '$1 == "query" && $5 == "www.example.com" && $6 == "IN" && $7 == "AAAA" { n++ } END { exit !n }'
}

# ---------------------------------------------------------------- 2
# Which servers did the resolver ask, in order?
# fetchtrace -r captures/lab-net-cold-resolver.pcap
ex_walk() {
	o=$(ft -r "$1") || { echo "fetchtrace failed"; return 1; }
	seq="" last="" ok=0
	dns_lines "$o" >"$tmp/walk"
	while read -r kind src dst rest; do
		[ "$kind" = query ] || continue
		r=$(role "$dst")
		case $rest in *" . IN NS "*) r="$r(priming)" ;; esac
		[ "$r" = "$last" ] || seq="$seq $r"
		last=$r
	done <"$tmp/walk"
	echo "queries to:$seq"
	[ "$seq" = " root(priming) root com example" ] || return 1
	# and the answers' labels, server by server
	while read -r kind src dst rest; do
		[ "$kind" = answer ] || continue
		case "$(role "$src")|$rest" in
		"root|"*"[the root servers: 1 NS, 2 addresses]"*) ok=$((ok | 1)) ;;
		"root|"*"www.example.com IN "*"[referral: the root refers to the com servers"*) ok=$((ok | 2)) ;;
		"com|"*"www.example.com IN "*"[referral: the com server refers to the example.com servers"*) ok=$((ok | 4)) ;;
		"example|"*"www.example.com IN A: A $WEB4 "*"[aa "*"[authoritative answer from the example.com server]"*) ok=$((ok | 8)) ;;
		"example|"*"[authoritative answer"*) ;;
		*) echo "unexpected answer from $(role "$src"):$rest"; return 1 ;;
		esac
	done <"$tmp/walk"
	[ "$ok" -eq 15 ] || { echo "labels seen: $ok of 15"; return 1; }
	echo "root: root servers, then referral to com; com: referral to example.com; example.com: authoritative (aa) A $WEB4"
}

# ---------------------------------------------------------------- 3
# How long did each step take?
# fetchtrace -q --timeline -r captures/lab-net-cold-client.pcap (and lab-net-warm.pcap)
figures() { # figures FILE: the timings line of each exchange
	grep -E '^ +(dns [0-9.]+ ms  )?(connect [0-9.]+ ms  )?send [0-9.]+ ms  wait [0-9.]+ ms  download [0-9.]+ ms  close [0-9.]+ ms' "$1"
}
ms() { # ms WORD LINE: the number after WORD
	printf '%s\n' "$2" | awk -v w="$1" '{ for (i = 1; i < NF; i++) if ($i == w) { print $(i + 1); exit } }'
}
ex_times() { # ex_times COLD WARM
	o=$(ft -q --timeline -r "$1") || { echo "fetchtrace failed"; return 1; }
	l=$(figures "$o")
	[ "$(printf '%s\n' "$l" | grep -c .)" -eq 1 ] || { echo "not one exchange"; return 1; }
	for s in dns connect send wait download close; do
		v=$(ms $s "$l"); [ -n "$v" ] || { echo "no $s figure"; return 1; }
		printf '%s %s ms, ' $s "$v"
	done
	cold=$(ms dns "$l")
	o=$(ft -q --timeline -r "$2") || { echo "fetchtrace failed"; return 1; }
	w=$(figures "$o" | sed -n 2p); warm=$(ms dns "$w")
	echo "warm dns $warm ms"
	# the cold lookup waits for the walk; the warm one does not
	[ -n "$warm" ] && awk -v c="$cold" -v w="$warm" 'BEGIN { exit !(c > 5 * w) }'
}

# ---------------------------------------------------------------- 4
# How many connections did the browser open, and why?
# fetchtrace -q -r captures/lab-net-chromium.pcap
ex_browser() {
	o=$(ft -q -r "$1") || { echo "fetchtrace failed"; return 1; }
	n=$(grep -c -E '^  c[0-9]+ f[0-9]+ ' "$o")
	h=$(grep -c -E "^  c[0-9]+ f1 www\.example\.com .*:80  http  steps connect,write,read,close " "$o")
	t=$(grep -c -E "^  c[0-9]+ f1 www\.example\.com .*:443  tls  steps connect,close .*closed by server first" "$o")
	echo "$n connections: $h HTTP to port 80, $t TLS to port 443 (connect and close only)"
	[ "$n" -eq 3 ] && [ "$h" -eq 2 ] && [ "$t" -eq 1 ] && grep -q 'tcp: 3 connections' "$o" || return 1
	# the page and its stylesheet on one connection, the image on the other
	a=$(awk '/^  f1 c[0-9]+ #[0-9]+ GET \/ / { print $2 }' "$o")
	b=$(awk '/^  f1 c[0-9]+ #[0-9]+ GET \/style\.css / { print $2 }' "$o")
	i=$(awk '/^  f1 c[0-9]+ #[0-9]+ GET \/img\/dot\.png / { print $2 }' "$o")
	echo "GET / on $a, /style.css on $b, /img/dot.png on $i"
	[ -n "$a" ] && [ "$a" = "$b" ] && [ -n "$i" ] && [ "$i" != "$a" ]
}

# ---------------------------------------------------------------- 5
# Who sent the first FIN?
# fetchtrace -r captures/lab-net-cold-client.pcap (and lab-net-chromium.pcap)
ex_fin() { # ex_fin FILE client|server
	o=$(ft -r "$1") || { echo "fetchtrace failed"; return 1; }
	line=$(grep -m1 -E '^ *[0-9.]+ +close .* FIN' "$o") || { echo "no FIN"; return 1; }
	from=$(printf '%s\n' "$line" | awk '{ for (i = 1; i < NF; i++) if ($i == ">") { print $(i - 1); exit } }')
	who=$(role "$from"); [ "$who" = web ] && who=server
	echo "the first FIN comes from $from ($who); fetchtrace says \"$2 closes first\""
	[ "$who" = "$2" ] && printf '%s\n' "$line" | grep -q "$2 closes first"
}

# ---------------------------------------------------------------- 6
# Why does the warm fetch have no upstream queries?
# fetchtrace -r captures/lab-net-warm.pcap; fetchtrace -r captures/lab-net-warm-resolver.pcap
ex_warm() { # ex_warm CLIENT
	o=$(ft -r "$1") || { echo "fetchtrace failed"; return 1; }
	dns_lines "$o" | awk '$1 == "answer"' >"$tmp/ans"
	[ "$(grep -c . "$tmp/ans")" -eq 4 ] || { echo "not four answers"; return 1; }
	# the first two (cold) have no note, the last two say where they came from
	head -2 "$tmp/ans" | grep -q "cache" && { echo "the cold answers carry the cache note"; return 1; }
	notes=$(tail -2 "$tmp/ans" | sed -n "s/.*ttl \([0-9]*\) .*\[answered from the resolver's cache: TTL \([0-9]*\), first seen \([0-9]*\)\].*/\1 \2 \3/p")
	[ "$(printf '%s\n' "$notes" | grep -c .)" -eq 2 ] || { echo "the warm answers lack the cache note"; return 1; }
	set -- $notes
	echo "warm answers: TTL $2 (first seen $3), answered from the resolver's cache;"
	[ "$1" = "$2" ] && [ "$3" = 300 ] && [ "$2" -lt 300 ]
}
ex_warm_res() { # ex_warm_res RESOLVER: no upstream packet at all
	o=$(ft -r "$1") || { echo "fetchtrace failed"; return 1; }
	echo "resolver upstream: $(grep '^packets:' "$o" | cut -d, -f1), $(grep '^dns:' "$o" | cut -d, -f1)"
	grep -q '^packets: 0 read' "$o" && grep -q '^dns: 0 queries' "$o"
}

# ---------------------------------------------------------------- 7
# What does the NXDOMAIN answer carry?
# fetchtrace -r captures/lab-net-nxdomain.pcap (and lab-net-nxdomain-resolver.pcap)
SOA="auth example.com SOA ns1.example.com hostmaster.example.com 2024010101 3600 900 604800 300 ttl 300"
ex_nxdomain() { # ex_nxdomain CLIENT RESOLVER
	o=$(ft -r "$1") || { echo "fetchtrace failed"; return 1; }
	n=$(grep -c -F "nope.example.com IN A NXDOMAIN | $SOA [rd ra]" "$o")
	m=$(grep -c -F "nope.example.com IN AAAA NXDOMAIN | $SOA [rd ra]" "$o")
	neg=$(grep -c -F '[negative answer: may be cached for 300 s (SOA)]' "$o")
	echo "A and AAAA: NXDOMAIN, no answer record, $SOA, negative TTL 300 s;"
	[ "$n" -eq 1 ] && [ "$m" -eq 1 ] && [ "$neg" -eq 2 ] && grep -q 'tcp: 0 connections' "$o" || return 1
	o=$(ft -r "$2") || { echo "fetchtrace failed"; return 1; }
	dns_lines "$o" >"$tmp/nx"
	k=0
	while read -r kind src dst rest; do
		[ "$kind" = answer ] || continue
		[ "$(role "$src")" = example ] || { echo "answer from $(role "$src")"; return 1; }
		case $rest in *"NXDOMAIN | $SOA [aa "*"[negative answer: may be cached for 300 s (SOA)]"*) k=$((k + 1)) ;; *) return 1 ;; esac
	done <"$tmp/nx"
	echo "upstream: $k answers from ns1.example.com, authoritative (aa)"
	[ "$k" -eq 2 ]
}

# ---------------------------------------------------------------- 8
# The alias: what did curl ask, what did it connect to?
# fetchtrace -r captures/lab-net-cname.pcap
ex_cname() {
	o=$(ft -r "$1") || { echo "fetchtrace failed"; return 1; }
	l=$(grep -m1 '^fetch 1 ' "$o") || { echo "no fetch"; return 1; }
	echo "$l"
	printf '%s\n' "$l" | grep -q -E "^fetch 1  alias\.example\.com \(CNAME www\.example\.com\) -> ($WEB6|$WEB4) port 80" &&
		grep -q "answer #[0-9a-f]* alias\.example\.com IN A: CNAME www\.example\.com ttl 3600, www\.example\.com A $WEB4 " "$o"
}

# ---------------------------------------------------------------- 9
# A page, its stylesheet and its image with curl: how many connections?
# fetchtrace -q --timeline -r captures/lab-net-page.pcap
ex_keepalive() {
	o=$(ft -q --timeline -r "$1") || { echo "fetchtrace failed"; return 1; }
	n=$(grep -c -E '^  c[0-9]+ f[0-9]+ ' "$o")
	r=$(grep -c '(reused connection)' "$o")
	echo "$n connection, exchanges $(grep -E '^  f1 c1 #[0-9]' "$o" | awk '{ printf "%s %s %s; ", $3, $4, $5 }')$r reused"
	[ "$n" -eq 1 ] && [ "$r" -eq 2 ] &&
		grep -q -E '^  f1 c1 #1 GET / ' "$o" && grep -q -E '^  f1 c1 #2 GET /style\.css ' "$o" &&
		grep -q -E '^  f1 c1 #3 GET /img/dot\.png ' "$o"
}

# ---------------------------------------------------------------- 10
# What of an HTTPS fetch can an observer still read?
# fetchtrace -r captures/lab-net-https.pcap
ex_https() {
	o=$(ft -r "$1") || { echo "fetchtrace failed"; return 1; }
	grep -q -E ' connect +TLS handshake +f1 c1 .*TLS ClientHello SNI www\.example\.com ' "$o" || { echo "no SNI"; return 1; }
	v=$(grep -o 'TLS ServerHello TLS [0-9.]* [A-Z0-9_]*' "$o" | head -1)
	a=$(grep -c -E ' (write|read) .*TLS application data [0-9]+ B \(encrypted\)' "$o")
	echo "the name (DNS query and SNI www.example.com), $v, sizes of $a encrypted records; no GET line"
	[ -n "$v" ] && [ "$a" -ge 2 ] && ! grep -q ' GET /' "$o" && grep -q '^fetch 1  www\.example\.com -> .* port 443' "$o"
}

# ---------------------------------------------------------------- 11
# IPv4 or IPv6?
# fetchtrace -r captures/lab-net-ipv6.pcap; fetchtrace -r captures/lab-net-ipv4.pcap
ex_family() { # ex_family FILE ADDRESS QTYPES: fetch 1 goes to ADDRESS; the queries asked QTYPES
	o=$(ft -r "$1") || { echo "fetchtrace failed"; return 1; }
	q=$(dns_lines "$o" | awk '$1 == "query" { printf "%s%s", s, $7; s = "," }')
	echo "$(grep -m1 '^fetch 1 ' "$o"); queries $q"
	grep -q "^fetch 1  www\.example\.com -> $2 port 80" "$o" && [ "$q" = "$3" ]
}

check "1 a DNS query carries name, class, type" ex_query "$C/lab-net-cold-client.pcap"
check "2 the resolver asked the root (priming, then the name), com, example.com" ex_walk "$C/lab-net-cold-resolver.pcap"
check "3 the time of each step" ex_times "$C/lab-net-cold-client.pcap" "$C/lab-net-warm.pcap"
check "4 the browser opened three connections" ex_browser "$C/lab-net-chromium.pcap"
check "5 curl sent the first FIN" ex_fin "$C/lab-net-cold-client.pcap" client
check "5 in the Chromium load the server sent the first FIN (the abandoned HTTPS try)" ex_fin "$C/lab-net-chromium.pcap" server
check "6 the warm answers come from the resolver's cache" ex_warm "$C/lab-net-warm.pcap"
check "6 no upstream packet during the warm fetch" ex_warm_res "$C/lab-net-warm-resolver.pcap"
check "7 what the NXDOMAIN answer carries" ex_nxdomain "$C/lab-net-nxdomain.pcap" "$C/lab-net-nxdomain-resolver.pcap"
check "8 the alias" ex_cname "$C/lab-net-cname.pcap"
check "9 one keep-alive connection for page, stylesheet and image" ex_keepalive "$C/lab-net-page.pcap"
check "10 what HTTPS leaves visible" ex_https "$C/lab-net-https.pcap"
check "11 curl -6 went over IPv6" ex_family "$C/lab-net-ipv6.pcap" "$WEB6" A,AAAA
check "11 curl -4 went over IPv4 and asked A only" ex_family "$C/lab-net-ipv4.pcap" "$WEB4" A

# The same checks on the wrong captures must fail.
check_fails "1 on the NXDOMAIN capture" ex_query "$C/lab-net-nxdomain.pcap"
check_fails "1 on the resolver capture" ex_query "$C/lab-net-cold-resolver.pcap"
check_fails "2 on the NXDOMAIN resolver capture" ex_walk "$C/lab-net-nxdomain-resolver.pcap"
check_fails "2 on the warm resolver capture" ex_walk "$C/lab-net-warm-resolver.pcap"
check_fails "3 with a warm fetch as the cold one" ex_times "$C/lab-net-page.pcap" "$C/lab-net-warm.pcap"
check_fails "4 on the curl page load" ex_browser "$C/lab-net-page.pcap"
check_fails "5 client on the Chromium capture" ex_fin "$C/lab-net-chromium.pcap" client
check_fails "5 server on the cold capture" ex_fin "$C/lab-net-cold-client.pcap" server
check_fails "6 on the cold capture" ex_warm "$C/lab-net-cold-client.pcap"
check_fails "6 on the cold resolver capture" ex_warm_res "$C/lab-net-cold-resolver.pcap"
check_fails "7 on the cold capture" ex_nxdomain "$C/lab-net-cold-client.pcap" "$C/lab-net-nxdomain-resolver.pcap"
check_fails "7 with the cold resolver capture" ex_nxdomain "$C/lab-net-nxdomain.pcap" "$C/lab-net-cold-resolver.pcap"
check_fails "8 on the cold capture" ex_cname "$C/lab-net-cold-client.pcap"
check_fails "9 on the Chromium capture" ex_keepalive "$C/lab-net-chromium.pcap"
check_fails "10 on the cold capture" ex_https "$C/lab-net-cold-client.pcap"
check_fails "11 IPv6 on the IPv4 capture" ex_family "$C/lab-net-ipv4.pcap" "$WEB6" A,AAAA
check_fails "11 IPv4 on the IPv6 capture" ex_family "$C/lab-net-ipv6.pcap" "$WEB4" A

echo "exercises: $p passed, $f failed"
[ $f -eq 0 ]
