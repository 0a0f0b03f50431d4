#!/bin/sh
# explain/test.sh - explain mode (--explain, --lang): the Korean catalog is complete, each
# step's first packet is explained once per connection, the language follows --lang and the
# locale, and wire bytes in explanations are escaped.  Closing line: "explain: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${FETCHTRACE:-build/san/fetchtrace}
export TZ=UTC LC_ALL=C
p=0 f=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok $1"; p=$((p + 1)); }
fail() { echo "FAIL $1"; f=$((f + 1)); }
check() { # check NAME COMMAND...: passes when the command succeeds
	name=$1; shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

# ---------------------------------------------------------------------------
# 1. the catalog
# ---------------------------------------------------------------------------

# The msgids of a C file: the string pieces inside each N_( ... ), joined, one a line.
c_msgids() {
	awk '
	{
		line = $0
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			if (instr) {
				if (c == "\\") { cur = cur c substr(line, i + 1, 1); i++ }
				else if (c == "\"") instr = 0
				else cur = cur c
			} else if (inmsg) {
				if (c == "\"") instr = 1
				else if (c == ")") { print cur; inmsg = 0; cur = "" }
			} else if (substr(line, i, 3) == "N_(" && (i == 1 || substr(line, i - 1, 1) !~ /[A-Za-z0-9_]/)) {
				# not the macro definition itself: "#define N_(s) s"
				if (line !~ /^#define/) { inmsg = 1; i += 2 }
			}
		}
	}' "$1"
}

# The entries of a .po: "fuzzy<TAB>msgid<TAB>msgstr", one a line, the header left out;
# an obsolete entry (#~) prints "obsolete".
po_entries() {
	awk '
	function flush() {
		if (sect != "" && id != "") printf "%d\t%s\t%s\n", fuzzy, id, str
		id = ""; str = ""; fuzzy = 0; sect = ""
	}
	function body(l) { sub(/^[a-z_]+[ \t]+/, "", l); sub(/^"/, "", l); sub(/"[ \t\r]*$/, "", l); return l }
	/^[ \t\r]*$/ { flush(); next }
	/^#~/ { print "obsolete"; next }
	/^#/ && sect != "" { flush() }      # a comment starts the next entry
	/^#,/ { if ($0 ~ /fuzzy/) fuzzy = 1; next }
	/^#/ { next }
	/^msgid[ \t]/ { if (sect != "") flush(); sect = "id"; id = body($0); next }
	/^msgstr[ \t]/ { sect = "str"; str = body($0); next }
	/^[ \t]*"/ { if (sect == "id") id = id body($0); else if (sect == "str") str = str body($0); next }
	END { flush() }' "$1"
}

# The {placeholders} of a string, sorted, on one line.
placeholders() {
	printf '%s\n' "$1" | grep -o '{[a-z_]*}' | sort | tr '\n' ' '
}

# check_catalog SRC PO: prints one line per problem; succeeds when there is none.
check_catalog() {
	c_msgids "$1" >"$tmp/ids"
	po_entries "$2" >"$tmp/po"
	bad=0
	[ -s "$tmp/ids" ] || { echo "  no messages found in $1"; bad=1; }
	grep -q '^"Content-Type: text/plain; charset=UTF-8\\n"' "$2" ||
		{ echo "  $2: no UTF-8 Content-Type header"; bad=1; }
	if grep -q '^obsolete$' "$tmp/po"; then echo "  $2: obsolete (#~) entries"; bad=1; fi
	while IFS= read -r id; do
		line=$(ID=$id awk -F '\t' '$2 == ENVIRON["ID"]' "$tmp/po")
		if [ -z "$line" ]; then
			echo "  no translation: $id"; bad=1; continue
		fi
		fz=$(printf '%s\n' "$line" | cut -f1)
		str=$(printf '%s\n' "$line" | cut -f3)
		if [ -z "$str" ]; then echo "  empty translation: $id"; bad=1; continue; fi
		if [ "$fz" != 0 ]; then echo "  fuzzy translation: $id"; bad=1; continue; fi
		if [ "$(placeholders "$id")" != "$(placeholders "$str")" ]; then
			echo "  placeholders differ: $id"; bad=1
		fi
	done <"$tmp/ids"
	while IFS="$(printf '\t')" read -r fz id str; do
		[ "$fz" = obsolete ] && continue
		grep -Fxq -- "$id" "$tmp/ids" || { echo "  stale msgid (not in $1): $id"; bad=1; }
	done <"$tmp/po"
	[ $bad -eq 0 ]
}

if check_catalog src/explain.c src/po/ko.po >"$tmp/why"; then
	ok catalog-complete
else
	fail catalog-complete; cat "$tmp/why"
fi
n_ids=$(c_msgids src/explain.c | wc -l)
n_enum=$(grep -c '^	EX_[A-Z_]*' include/explain.h)
# every enum value but EX_COUNT has its message
check catalog-every-id [ "$n_ids" -eq $((n_enum - 1)) ]

# The extractor agrees with gettext's own, when it is here.
if command -v xgettext >/dev/null 2>&1; then
	xgettext --keyword=N_ --language=C --from-code=UTF-8 --no-location -o "$tmp/x.pot" src/explain.c
	po_entries "$tmp/x.pot" | cut -f2 | sort >"$tmp/x.ids"
	c_msgids src/explain.c | sort >"$tmp/c.ids"
	check catalog-extractor-matches-xgettext cmp -s "$tmp/x.ids" "$tmp/c.ids"
	# the template translators start from (make pot) holds every message of the code
	po_entries src/po/fetchtrace.pot | cut -f2 | sort >"$tmp/pot.ids"
	check catalog-template-up-to-date cmp -s "$tmp/pot.ids" "$tmp/c.ids"
fi
if command -v msgfmt >/dev/null 2>&1; then
	check catalog-msgfmt-check msgfmt --check -o /dev/null src/po/ko.po
fi

# The check can fail: a missing, an empty, a fuzzy, a stale and a mistranslated entry.
awk 'done == 0 && /^msgstr "/ && n++ == 1 { print "msgstr \"\""; skip = 1; done = 1; next }
     skip && /^"/ { next } { skip = 0; print }' src/po/ko.po >"$tmp/empty.po"
if check_catalog src/explain.c "$tmp/empty.po" >/dev/null; then fail catalog-fails-on-empty-msgstr; else ok catalog-fails-on-empty-msgstr; fi
awk '/^msgid / && n++ == 1 { print "#, fuzzy" } { print }' \
	src/po/ko.po >"$tmp/fuzzy.po"
if check_catalog src/explain.c "$tmp/fuzzy.po" >/dev/null; then fail catalog-fails-on-fuzzy; else ok catalog-fails-on-fuzzy; fi
printf '\nmsgid "a message nobody uses"\nmsgstr "아무도 쓰지 않는 메시지"\n' | cat src/po/ko.po - >"$tmp/stale.po"
if check_catalog src/explain.c "$tmp/stale.po" >/dev/null; then fail catalog-fails-on-stale; else ok catalog-fails-on-stale; fi
sed 's/N_("write() hands the request to the protocol stack/N_("write() gives the request to the protocol stack/' \
	src/explain.c >"$tmp/new.c"
if check_catalog "$tmp/new.c" src/po/ko.po >/dev/null; then fail catalog-fails-on-untranslated; else ok catalog-fails-on-untranslated; fi
sed 's/이름 {name}/이름/' src/po/ko.po >"$tmp/ph.po"
if check_catalog src/explain.c "$tmp/ph.po" >/dev/null; then fail catalog-fails-on-lost-placeholder; else ok catalog-fails-on-lost-placeholder; fi

# ---------------------------------------------------------------------------
# 2. what is explained, and where
# ---------------------------------------------------------------------------

# "packet line<TAB>explanation" for each explanation line
pairs() {
	awk '/^ +\^ / { sub(/^ +\^ /, ""); print prev "\t" $0; next } { prev = $0 }'
}

# under_once FILE PACKET-TEXT EXPLANATION-TEXT: exactly one explanation holds that text,
# and it is under a packet line holding that text
under_once() {
	P=$2 E=$3 awk -F '\t' '
		index($2, ENVIRON["E"]) { all++; if (index($1, ENVIRON["P"])) n++ }
		END { exit !(all == 1 && n == 1) }' "$1"
}

# under_some FILE PACKET-TEXT EXPLANATION-TEXT: an explanation with that text is under
# a packet line holding that text
under_some() {
	P=$2 E=$3 awk -F '\t' 'index($2, ENVIRON["E"]) && index($1, ENVIRON["P"]) { n++ }
		END { exit !(n >= 1) }' "$1"
}

"$bin" --explain -r captures/cold-fetch.pcap >"$tmp/cold" 2>"$tmp/err"
check cold-runs [ $? -eq 0 ] && [ ! -s "$tmp/err" ]
pairs <"$tmp/cold" >"$tmp/cold.pairs"
check cold-first-query under_once "$tmp/cold.pairs" 'query #96b3 www.lab.test IN A [rd]' \
	'a query carries three things: the name www.lab.test, the class IN'
check cold-query-resolver under_once "$tmp/cold.pairs" 'query #96b3' 'getaddrinfo() calls the resolver'
check cold-first-answer under_once "$tmp/cold.pairs" 'answer #96b3' 'www.lab.test is at 192.0.2.80'
check cold-authoritative under_once "$tmp/cold.pairs" 'answer #96b3' 'authoritative (aa)'
check cold-syn under_once "$tmp/cold.pairs" ' SYN seq 0 ' "lay the pipe to the server's socket (192.0.2.80:80)"
check cold-syn-isn under_once "$tmp/cold.pairs" ' SYN seq 0 ' 'initial sequence number, 147734230'
check cold-synack under_once "$tmp/cold.pairs" ' SYN-ACK seq 0 ' 'acknowledges ours + 1 (ack 147734231)'
check cold-handshake-ack under_once "$tmp/cold.pairs" 'connection established' 'the pipe is laid, connect() returns'
check cold-write under_once "$tmp/cold.pairs" '76 B to server' 'write() hands the request to the protocol stack'
check cold-read under_once "$tmp/cold.pairs" '230 B from server' "read() copies it into the application's receive buffer"
check cold-close under_once "$tmp/cold.pairs" 'client closes first' 'the client called close() first'
check cold-close-end under_once "$tmp/cold.pairs" 'client closes first' 'answers with its own FIN'
check cold-line-count [ "$(wc -l <"$tmp/cold.pairs")" -eq 12 ]
# the rest of the output is the plain output, untouched
grep -v '^ *\^ ' "$tmp/cold" >"$tmp/cold.plain"
"$bin" -r captures/cold-fetch.pcap >"$tmp/cold.off" 2>&1
check explain-off-by-default cmp -s "$tmp/cold.plain" "$tmp/cold.off"
check explain-off-says-nothing sh -c '! grep -q "^ *\^ " "$1"' _ "$tmp/cold.off"

# At most once per connection (TCP), per name (a DNS query or answer: each
# fetch's own first lookup is explained) or per run (QUIC), on every capture.
once_per_conn() {
	awk '
	/^ +\^ / { sub(/^ +\^ /, ""); key = conn " " $1 " " $2 " " $3 " " $4 " " $5
		   if (++n[key] > lim) { print "  twice: " key; bad = 1 }; next }
	{ conn = "run"; lim = 1
	  rest = $0; names = ""    # a DNS-over-TCP line may carry several messages: all their names
	  while (match(rest, /(query|answer) #[0-9a-f]+ [^ ]+/)) {
		split(substr(rest, RSTART, RLENGTH), w, " "); names = names " " tolower(w[3]); lim++
		rest = substr(rest, RSTART + RLENGTH) }
	  if (names != "") { conn = "name" names; lim-- }
	  else if (match($0, / c[0-9]+ /)) conn = substr($0, RSTART + 1, RLENGTH - 2) }
	END { exit bad }'
}
bad=0
for c in captures/*.pcap captures/*.pcapng; do
	name=$(basename "$c")
	for lang in en ko; do
		"$bin" --explain --all --lang=$lang -r "$c" >"$tmp/o" 2>"$tmp/err"
		rc=$?
		if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
			fail "runs-$name-$lang (exit $rc)"; head -n 5 "$tmp/err"; bad=1
		fi
		if ! once_per_conn <"$tmp/o" >"$tmp/why"; then
			fail "once-per-connection-$name-$lang"; cat "$tmp/why"; bad=1
		fi
	done
done
[ $bad -eq 0 ] && ok once-per-connection-all-captures
# and the check can fail: the same explanation twice on one connection
printf '%s\n' '  0.1 write  write()  f1 c1  a > b  x' '           ^ write() hands the request' \
	'  0.2 write  write()  f1 c1  a > b  y' '           ^ write() hands the request' >"$tmp/dup"
if once_per_conn <"$tmp/dup" >/dev/null; then fail once-per-connection-catches-twice; else ok once-per-connection-catches-twice; fi
"$bin" --explain -r captures/refused.pcap >"$tmp/ref" 2>/dev/null
check refused-each-connection [ "$(grep -c 'no socket listens on port 81' "$tmp/ref")" -eq 2 ]
"$bin" --explain -r captures/lab-https-tls13.pcap >"$tmp/tls" 2>/dev/null
pairs <"$tmp/tls" >"$tmp/tls.pairs"
check tls-client-hello under_once "$tmp/tls.pairs" 'TLS ClientHello SNI www.lab.test' 'which name the client wants (www.lab.test)'
check tls-write under_once "$tmp/tls.pairs" '98 B to server' 'write() hands the request to TLS'
check tls-server-closes under_once "$tmp/tls.pairs" 'server closes first' 'the server called close() first'
"$bin" --explain -r captures/lab-net-cold-resolver.pcap >"$tmp/res" 2>/dev/null
check resolver-referral grep -q 'referral: the server does not know the name but knows who is responsible for com: the resolver asks them next' "$tmp/res"
check resolver-priming grep -q '^ *\^ priming:' "$tmp/res"
"$bin" --explain -r captures/lab-net-nxdomain.pcap >"$tmp/nx" 2>/dev/null
check nxdomain-negative grep -q 'no such name (or no record of this type)' "$tmp/nx"
"$bin" --explain -r captures/lab-quic.pcap >"$tmp/quic" 2>/dev/null
check quic-once [ "$(grep -c '^ *\^ QUIC:' "$tmp/quic")" -eq 1 ]
# the fallback story: why QUIC was tried, the one handshake, the port unreachable, the SYN
"$bin" --explain -r captures/lab-quic-fallback.pcap >"$tmp/fb" 2>/dev/null
pairs <"$tmp/fb" >"$tmp/fb.pairs"
check quic-h3-offered under_once "$tmp/fb.pairs" 'alpn=h3,h2' 'h3 offered: the server says it also speaks HTTP/3'
check quic-streams under_once "$tmp/fb.pairs" 'QUIC Initial v1 DCID 0802a1764ec945e1' 'streams inside this one connection'
check quic-icmp under_once "$tmp/fb.pairs" 'ICMPv6 port unreachable for the QUIC Initial' 'the message quotes the packet'
check quic-fallback under_once "$tmp/fb.pairs" 'ICMPv6 port unreachable for the QUIC Initial' 'no socket listens on UDP [2001:db8:2::81]:443: the QUIC attempt fails'
"$bin" --explain --lang=ko -r captures/lab-quic-fallback.pcap >"$tmp/fbko" 2>/dev/null
check quic-fallback-ko grep -q 'UDP \[2001:db8:2::81\]:443에서 기다리는 소켓이 없다' "$tmp/fbko"
"$bin" --explain -r captures/crafted-altsvc.pcap >"$tmp/alt" 2>/dev/null
check altsvc-h3-once [ "$(grep -c '^ *\^ h3 offered' "$tmp/alt")" -eq 1 ]
# Beside a browser (captures/lab-browser.pcap: headless Chromium, its background
# lookups first): the page's own first query is explained, not only the run's first;
# the unused preconnect, the abandoned https:// try (HTTPS-Upgrade), the preconnect
# that waited, the reused connection and the browser's own resolver are said as such.
"$bin" --explain -r captures/lab-browser.pcap >"$tmp/br" 2>"$tmp/err"
check browser-runs [ $? -eq 0 ] && [ ! -s "$tmp/err" ]
pairs <"$tmp/br" >"$tmp/br.pairs"
check browser-page-query under_once "$tmp/br.pairs" 'query #3c09 www.example.com IN HTTPS' \
	'a query carries three things: the name www.example.com, the class IN'
check browser-page-query-own-resolver under_some "$tmp/br.pairs" 'query #3c09 www.example.com' \
	"the application's own resolver, not getaddrinfo(), builds a query"
check browser-background-query under_once "$tmp/br.pairs" 'query #8b6a clients2.google.com IN HTTPS' \
	'the name clients2.google.com'
check browser-https-type under_once "$tmp/br.pairs" 'query #8b6a clients2.google.com IN HTTPS' \
	'type HTTPS (65): beside the address'
check browser-page-answer under_once "$tmp/br.pairs" 'answer #87a6' 'www.example.com is at 2001:db8:2::80'
check browser-unused under_once "$tmp/br.pairs" '[preconnected, unused: no request was sent on it]' \
	'preconnected, unused: the browser opened this connection ahead of time'
check browser-abandoned under_once "$tmp/br.pairs" '[abandoned right after the TLS handshake' \
	'abandoned: the client gives up on the connection right after the TLS handshake'
check browser-abandoned-not-read sh -c '! grep "abandoned right after" "$1" | grep -q "read what it wanted"' _ "$tmp/br.pairs"
check browser-unused-not-read sh -c '! grep "preconnected, unused" "$1" | grep -q "read what it wanted"' _ "$tmp/br.pairs"
check browser-preconnect under_once "$tmp/br.pairs" '[preconnected: ready 114.1 ms before its first request]' \
	'the connection was ready 114.1 ms before this first request'
check browser-upgrade under_once "$tmp/br.pairs" '[HTTPS-Upgrade: https:// was tried first on c3]' \
	'HTTPS-Upgrade: the browser tried https:// first for this name (c3'
check browser-reused under_once "$tmp/br.pairs" '#2 GET /favicon.ico' 'request #2 reuses the open connection'
"$bin" --explain --lang=ko -r captures/lab-browser.pcap >"$tmp/brko" 2>/dev/null
pairs <"$tmp/brko" >"$tmp/brko.pairs"
check browser-ko-page-query under_once "$tmp/brko.pairs" 'query #3c09 www.example.com IN HTTPS' \
	'이름 www.example.com, 클래스 IN'
check browser-ko-unused under_once "$tmp/brko.pairs" '[preconnected, unused' '미리 연결했지만 쓰지 않음'
check browser-ko-abandoned under_once "$tmp/brko.pairs" '[abandoned right after' '포기: 클라이언트가 TLS 핸드셰이크 직후'
check browser-ko-preconnect under_once "$tmp/brko.pairs" '[preconnected: ready' '114.1 ms 앞서 연결이 준비되어'
check browser-ko-upgrade under_once "$tmp/brko.pairs" '[HTTPS-Upgrade' 'https://를 먼저 시도했고(c3'
"$bin" --explain --color=always -r captures/cold-fetch.pcap >"$tmp/col" 2>/dev/null
check colour-dim [ "$(grep -c "^ *$(printf '\033')\[2m\^ " "$tmp/col")" -eq 12 ]

# ---------------------------------------------------------------------------
# 3. the language
# ---------------------------------------------------------------------------

hangul=$(printf '[\352-\355]')   # lead bytes of the Hangul syllables in UTF-8
korean() { # every explanation line has Hangul in it, and there are some
	grep '^ *\^ ' "$1" >"$tmp/k.lines" && ! grep -v "$hangul" "$tmp/k.lines" >/dev/null
}
english() {
	grep '^ *\^ ' "$1" >"$tmp/e.lines" && ! grep -q "$hangul" "$tmp/e.lines"
}
"$bin" --explain --lang=ko -r captures/cold-fetch.pcap >"$tmp/ko" 2>/dev/null
check lang-ko korean "$tmp/ko"
check lang-ko-vocabulary grep -q '리졸버가 조회 메시지를 만들고' "$tmp/ko"
check lang-ko-values grep -q '이름 www.lab.test, 클래스 IN' "$tmp/ko"
check lang-ko-same-lines [ "$(grep -c '^ *\^ ' "$tmp/ko")" -eq 12 ]
"$bin" --explain --lang=ko -r captures/lab-https-tls13.pcap >"$tmp/ko2" 2>/dev/null
check lang-ko-tls korean "$tmp/ko2"
env -u LC_ALL -u LC_MESSAGES LANG=ko_KR.UTF-8 "$bin" --explain -r captures/cold-fetch.pcap >"$tmp/o" 2>/dev/null
check locale-LANG-ko korean "$tmp/o"
env -u LC_ALL LC_MESSAGES=ko_KR.UTF-8 LANG=C "$bin" --explain -r captures/cold-fetch.pcap >"$tmp/o" 2>/dev/null
check locale-LC_MESSAGES-ko korean "$tmp/o"
env -u LC_ALL -u LC_MESSAGES LANG=C "$bin" --explain -r captures/cold-fetch.pcap >"$tmp/o" 2>/dev/null
check locale-LANG-C english "$tmp/o"
env LC_ALL=C LANG=ko_KR.UTF-8 "$bin" --explain -r captures/cold-fetch.pcap >"$tmp/o" 2>/dev/null
check locale-LC_ALL-wins english "$tmp/o"
env -u LC_ALL -u LC_MESSAGES -u LANG "$bin" --explain -r captures/cold-fetch.pcap >"$tmp/o" 2>/dev/null
check locale-unset-english english "$tmp/o"
env -u LC_ALL LANG=ko_KR.UTF-8 "$bin" --explain --lang=en -r captures/cold-fetch.pcap >"$tmp/o" 2>/dev/null
check lang-en-overrides-locale english "$tmp/o"
"$bin" --explain --lang=fr -r captures/cold-fetch.pcap >/dev/null 2>&1
check lang-bad-value [ $? -ne 0 ]

# ---------------------------------------------------------------------------
# 4. hostile input: names and SNIs from the wire stay escaped
# ---------------------------------------------------------------------------

for cap in crafted-dns-hostile crafted-http-tls-hostile; do
	for lang in en ko; do
		"$bin" --explain --lang=$lang -r "captures/$cap.pcap" >"$tmp/h" 2>/dev/null
		n_ctl=$(tr -d '\n' <"$tmp/h" | tr -dc '\000-\037\177' | wc -c)
		check "hostile-$cap-$lang-no-control-bytes" [ "$n_ctl" -eq 0 ]
		check "hostile-$cap-$lang-explained" grep -q '^ *\^ ' "$tmp/h"
	done
done
"$bin" --explain -r captures/crafted-dns-hostile.pcap >"$tmp/h" 2>/dev/null
check hostile-dns-name-escaped grep -q '^ *\^ .*the name a\\x1bb.lab.test' "$tmp/h"
"$bin" --explain -r captures/crafted-http-tls-hostile.pcap >"$tmp/h" 2>/dev/null
check hostile-sni-escaped grep -q '^ *\^ TLS: .*(\\x1b]0;x\\x07evil\\xe2\\x80\\xae.test)' "$tmp/h"

echo "explain: $p passed, $f failed"
[ $f -eq 0 ]
