#!/bin/sh
# test.sh - the HAR export (--har FILE) on a set of captures: exit status 0 and a quiet stderr,
# the file is JSON (jq), HAR 1.2 by the npm har-validator (its JSON schema; installed at test
# time into build/npm when npm can, else a structural check in tests/har/check.py says so),
# read by a real HAR consumer (sitespeed.io's pagexray, installed beside it) with the same
# requests and status codes, and entry for entry the text output's exchanges (check.py).
# Then the errors: an unwritable file gives one line on stderr naming it and the cause.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${FETCHTRACE:-build/san/fetchtrace}
export TZ=UTC LC_ALL=C
p=0 f=0 s=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then echo "ok har $d"; p=$((p + 1)); else echo "FAIL har $d"; f=$((f + 1)); fi
}
skip() { echo "skip har $1"; s=$((s + 1)); }
finish() { echo "har: $p passed, $f failed, $s skipped"; exit 0; }

if ! command -v jq >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	skip "everything: needs jq and python3 (apt-get install jq python3)"
	finish
fi

caps="keepalive lab-https-tls13 lab-head-304-404 lab-post lab-chunked-gzip lab-pipelined
lab-net-page lab-net-chromium crafted-http-tls-hostile lab-https-tls12 lab-net-https midstream
nxdomain loopback-parallel lab-h2c lab-h2c-upgrade h2c-prior-knowledge h2c-doh crafted-h2-hostile crafted-doh-http1 lab-h3-chromium"
# captures read with their key log (captures/NAME.keys)
keyed=" lab-h3-chromium "

# har-validator and pagexray from the npm registry, once, into build/npm.
nm=build/npm/node_modules
have_node=false
if command -v node >/dev/null 2>&1; then
	if [ ! -f "$nm/har-validator/package.json" ] || [ ! -f "$nm/pagexray/package.json" ]; then
		command -v npm >/dev/null 2>&1 &&
			npm install --prefix build/npm --no-audit --no-fund --loglevel=error \
				har-validator@5 pagexray@4 >"$tmp/npm.log" 2>&1
	fi
	[ -f "$nm/har-validator/package.json" ] && [ -f "$nm/pagexray/package.json" ] && have_node=true
fi
$have_node || echo "note har: validated structurally (har-validator unavailable: no node/npm, or the install failed)"

# The checkers must refuse what is wrong, or passing proves nothing.
"$bin" -q -r captures/keepalive.pcap --har "$tmp/good.har" >"$tmp/good.txt" 2>/dev/null
jq 'del(.log.entries[0].request.url)' "$tmp/good.har" >"$tmp/bad-url.har"
jq '.log.entries[0].time += 1' "$tmp/good.har" >"$tmp/bad-time.har"
jq 'del(.log.entries[1])' "$tmp/good.har" >"$tmp/bad-count.har"
jq '.log.entries[0].response.status = 404' "$tmp/good.har" >"$tmp/bad-status.har"
check "check.py accepts keepalive" python3 tests/har/check.py "$tmp/good.har" "$tmp/good.txt" >/dev/null
for b in bad-url bad-time bad-count bad-status; do
	check "check.py rejects $b" sh -c "! python3 tests/har/check.py '$tmp/$b.har' '$tmp/good.txt' >/dev/null"
done
if $have_node; then
	check "har-validator rejects a request without url" \
		sh -c "! NODE_PATH=$nm node tests/har/validate.js '$tmp/bad-url.har' >/dev/null"
fi

for c in $caps; do
	pcap=captures/$c.pcap
	[ -f "$pcap" ] || { skip "$c: no $pcap"; continue; }
	set --
	case $keyed in *" $c "*) set -- --keylog "captures/$c.keys" ;; esac
	"$bin" -q -r "$pcap" "$@" --har "$tmp/$c.har" >"$tmp/$c.txt" 2>"$tmp/$c.err"
	rc=$?
	check "$c: exit 0, quiet stderr" sh -c "[ $rc -eq 0 ] && [ ! -s '$tmp/$c.err' ]"
	check "$c: JSON" jq -e .log.entries "$tmp/$c.har" >/dev/null
	check "$c: HAR 1.2 structure, timings, the text output's exchanges" \
		sh -c "python3 tests/har/check.py '$tmp/$c.har' '$tmp/$c.txt' >'$tmp/$c.chk' ||
			{ cat '$tmp/$c.chk'; false; }"
	if $have_node; then
		n=$(jq '.log.entries | length' "$tmp/$c.har")
		codes=$(jq -r '[.log.entries[].response.status | tostring] | group_by(.) |
			map("\(.[0]):\(length)") | join(",")' "$tmp/$c.har")
		out=$(NODE_PATH=$nm node tests/har/validate.js "$tmp/$c.har" 2>&1)
		check "$c: har-validator (HAR 1.2 schema)" [ $? -eq 0 ]
		if [ "$n" -gt 0 ]; then
			check "$c: pagexray reads $n requests, codes $codes" \
				sh -c "printf '%s\n' '$out' | grep -q 'pagexray_requests=$n codes=$codes\$'"
		fi
		printf '%s\n' "$out" | grep -q 'entries=' || printf '%s\n' "$out"
	fi
done

# Exchange counts that matter: keep-alive, pipelining, two connections, TLS as one.
check "keepalive: 3 entries on one connection" \
	sh -c "[ \"\$(jq -c '[.log.entries[].connection] | unique' '$tmp/keepalive.har')\" = '[\"1\"]' ]"
check "lab-https-tls13: one encrypted https entry with ssl inside connect" \
	jq -e '.log.entries | length == 1 and (.[0] | ._encrypted and (.request.url | startswith("https://"))
		and .timings.ssl > 0 and .timings.connect >= .timings.ssl)' "$tmp/lab-https-tls13.har" >/dev/null
check "lab-head-304-404: HEAD 200, GET 304, GET 404" \
	sh -c "[ \"\$(jq -c '[.log.entries[] | [.request.method, .response.status]]' '$tmp/lab-head-304-404.har')\" = '[[\"HEAD\",200],[\"GET\",304],[\"GET\",404]]' ]"
check "lab-post: POST with its body size" \
	jq -e '.log.entries[0] | .request.method == "POST" and .request.bodySize > 0' "$tmp/lab-post.har" >/dev/null
check "lab-net-chromium: reused connection has dns and connect -1" \
	jq -e '[.log.entries[] | select(._exchange > 1) | .timings.dns == -1 and .timings.connect == -1] | all' \
	"$tmp/lab-net-chromium.har" >/dev/null
check "crafted-http-tls-hostile: escape bytes percent-encoded in the URL" \
	jq -e '.log.entries[0].request.url | test("%1B") and (test("[\u0000-\u001f\u007f]") | not)' \
	"$tmp/crafted-http-tls-hostile.har" >/dev/null

# Decrypted with the key log (--keylog): HTTP/1.1 inside TLS is an exchange like any other.
"$bin" -q -r captures/lab-tls13-keyupdate.pcap --keylog captures/lab-tls13-keyupdate.keys \
	--har "$tmp/keys.har" >"$tmp/keys.txt" 2>"$tmp/keys.err"
check "lab-tls13-keyupdate --keylog: exit 0, quiet stderr" sh -c "[ $? -eq 0 ] && [ ! -s '$tmp/keys.err' ]"
check "lab-tls13-keyupdate --keylog: HAR 1.2 structure, the text output's exchanges" \
	python3 tests/har/check.py "$tmp/keys.har" "$tmp/keys.txt"
check "lab-tls13-keyupdate --keylog: GET / and GET /style.css, 200, https, decrypted" \
	sh -c "[ \"\$(jq -c '[.log.entries[] | [.request.method, .request.url, .response.status, ._decrypted]]' '$tmp/keys.har')\" = '[[\"GET\",\"https://www.example.com/\",200,true],[\"GET\",\"https://www.example.com/style.css\",200,true]]' ]"

# HTTP/3 (issue 11): each request stream an entry, on the QUIC connection "q1", from the key log.
check "lab-h3-chromium --keylog: GET / 200, /style.css 200, /img/dot.png 200, /favicon.ico 404 over HTTP/3" \
	sh -c "[ \"\$(jq -c '[.log.entries[] | [.request.method, .request.url, .response.status, .request.httpVersion, .response.httpVersion, .connection, ._quic]]' '$tmp/lab-h3-chromium.har')\" = '[[\"GET\",\"https://h3.example.com/\",200,\"HTTP/3\",\"HTTP/3\",\"q1\",true],[\"GET\",\"https://h3.example.com/style.css\",200,\"HTTP/3\",\"HTTP/3\",\"q1\",true],[\"GET\",\"https://h3.example.com/img/dot.png\",200,\"HTTP/3\",\"HTTP/3\",\"q1\",true],[\"GET\",\"https://h3.example.com/favicon.ico\",404,\"HTTP/3\",\"HTTP/3\",\"q1\",true]]' ]"
check "lab-h3-chromium --keylog: content types and sizes; the handshake is the first entry's connect and ssl" \
	jq -e '.log.entries | (.[0].response.content.mimeType | startswith("text/html")) and .[0].response.content.size == 320
		and (.[1].response.content.mimeType | startswith("text/css")) and .[2].response.content.mimeType == "image/png"
		and .[2].response.content.size == 532 and .[0].timings.ssl > 0 and .[0].timings.connect >= .[0].timings.ssl
		and .[0].timings.dns > 0 and .[1].timings.connect == -1' "$tmp/lab-h3-chromium.har" >/dev/null

# An unwritable file: one line on stderr naming it and the cause, and exit status 1.
for target in "$tmp/no/such/dir/x.har" /dev/full; do
	[ "$target" = /dev/full ] && [ ! -w /dev/full ] && { skip "/dev/full: not writable here"; continue; }
	"$bin" -q -r captures/keepalive.pcap --har "$target" >/dev/null 2>"$tmp/err"
	rc=$?
	check "--har $target: one line on stderr naming the file" \
		sh -c "[ \$(wc -l <'$tmp/err') -eq 1 ] && grep -q '^fetchtrace: --har $target: ' '$tmp/err'"
	if grep -q 'trace_finish(t) <' src/main.c; then
		check "--har $target: exit status 1" [ $rc -eq 1 ]
	else
		skip "--har $target exit status: src/main.c does not use trace_finish's status yet"
	fi
done
finish
