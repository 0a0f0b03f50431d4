#!/bin/sh
# test.sh - the JSON lines output (--json) on every capture in captures/: exit status 0 and a
# quiet stderr, every line one RFC 8259 object (jq), valid against fetchtrace.schema.json
# (tests/json/validate.py, standard library only), the same packets and steps in the same
# order as the text output, one conn object per summary line, no raw control bytes or
# terminal-unsafe code points, and the hostile captures' bytes escaped as documented.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${FETCHTRACE:-build/san/fetchtrace}
schema=tests/json/fetchtrace.schema.json
export TZ=UTC LC_ALL=C
p=0 f=0 s=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@" >/dev/null; then echo "ok json $d"; p=$((p + 1)); else echo "FAIL json $d"; f=$((f + 1)); fi
}
skip() { echo "skip json $1"; s=$((s + 1)); }

if ! command -v jq >/dev/null 2>&1; then
	skip "everything: jq is not installed (apt-get install jq)"
	echo "json: $p passed, $f failed, $s skipped"
	exit 0
fi
have_py=true
command -v python3 >/dev/null 2>&1 || { have_py=false; skip "schema validation: python3 is not installed"; }

# The validator must refuse what the schema forbids, or passing proves nothing.
if $have_py; then
	check "the schema is itself JSON" jq -e '."$defs".packet' "$schema" >/dev/null
	printf '%s\n' '{"type":"summary","packets":1}' >"$tmp/bad1"
	printf '%s\n' '{"type":"nonsense"}' >"$tmp/bad2"
	good='{"type":"summary","packets":1,"decoded":1,"other":0,"truncated":0,"malformed":0,"unsupported":0,"dns_queries":0,"dns_responses":0,"dns_unanswered":0,"conns":0,"conns_evicted":0,"reasm_peak":0,"reasm_overflows":0,"exchanges_dropped":0}'
	printf '%s\n' "$good" >"$tmp/good"
	printf '%s\n' "$good" | sed 's/"packets":1/"packets":"1"/' >"$tmp/bad3"
	printf '%s\n' "$good" | sed 's/}$/,"extra":1}/' >"$tmp/bad4"
	check "validator accepts a valid summary" python3 tests/json/validate.py "$schema" "$tmp/good"
	for b in bad1 bad2 bad3 bad4; do
		check "validator rejects $b" sh -c "! python3 tests/json/validate.py '$schema' '$tmp/$b' >/dev/null"
	done
	# every member the schema names is documented in fetchtrace(1), JSON OUTPUT
	check "the man page documents every schema member" python3 - "$schema" fetchtrace.1 <<'PY'
import json, re, sys
schema = json.load(open(sys.argv[1]))
man = open(sys.argv[2]).read()
sec = man.split(".SH JSON OUTPUT", 1)[1].split("\n.SH ", 1)[0].replace("\\-", "-")
documented = set(re.findall(r"\\fB([A-Za-z0-9_.\[\]-]+)\\fR", sec))
leaves = {d.split(".")[-1].replace("[]", "") for d in documented}
keys = set()
def walk(s):
    if isinstance(s, dict):
        keys.update(s.get("properties", {}))
        for v in s.values():
            walk(v)
    elif isinstance(s, list):
        for v in s:
            walk(v)
walk(schema)
missing = sorted(keys - leaves)
if missing:
    print("not in the man page:", ", ".join(missing))
sys.exit(1 if missing else 0)
PY
fi

for cap in captures/*.pcap captures/*.pcapng; do
	[ -f "$cap" ] || continue
	keys=${cap%.pcap*}.keys
	keyopt=
	[ -f "$keys" ] && keyopt="--keylog $keys"
	for opt in "" --all ${keyopt:+"$keyopt"}; do
		name="$(basename "$cap")${opt:+ $opt}"
		# shellcheck disable=SC2086 # $opt is empty, one word, or --keylog FILE
		"$bin" -r "$cap" --json $opt >"$tmp/j" 2>"$tmp/err"; rc=$?
		check "$name: exit 0, nothing on stderr" sh -c "[ $rc -eq 0 ] && [ ! -s '$tmp/err' ]"
		[ -s "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" | head -n 10
		# every line, on its own, is one JSON object
		jq -R 'fromjson | type' "$tmp/j" >"$tmp/types" 2>"$tmp/jqerr"; jrc=$?
		check "$name: every line is a JSON object (jq)" \
			sh -c "[ $jrc -eq 0 ] && ! grep -qv '^\"object\"\$' '$tmp/types' && [ -s '$tmp/types' ]"
		[ $jrc -ne 0 ] && head -n 5 "$tmp/jqerr"
		check "$name: no raw control bytes" sh -c "! grep -aqP '[\\x00-\\x09\\x0b-\\x1f\\x7f]' '$tmp/j'"
		check "$name: no raw C1, line separator or bidi controls" \
			sh -c "! grep -aqP '\\xc2[\\x80-\\x9f]|\\xd8\\x9c|\\xe2\\x80[\\x8e\\x8f\\xa8-\\xae]|\\xe2\\x81[\\xa6-\\xa9]' '$tmp/j'"
		if $have_py; then
			check "$name: valid UTF-8 and valid against the schema" \
				python3 tests/json/validate.py "$schema" "$tmp/j"
		fi
		# the same packets, steps and connections as the text output
		# shellcheck disable=SC2086
		"$bin" -r "$cap" $opt >"$tmp/t" 2>/dev/null
		# (a file of several interfaces names each packet's after the time: "if1:eth0")
		grep -E '^ *-?[0-9]+\.[0-9]{6} +(if[0-9]+(:[^ ]*)? +)?[a-z]+ ' "$tmp/t" |
			awk '{ print ($2 ~ /^if[0-9]+(:|$)/) ? $3 : $2 }' >"$tmp/tsteps"
		jq -r 'select(.type == "packet") | .step' "$tmp/j" >"$tmp/jsteps"
		check "$name: packets and their steps match the text output ($(wc -l <"$tmp/tsteps") lines)" \
			cmp -s "$tmp/tsteps" "$tmp/jsteps"
		grep -c '^fetch ' "$tmp/t" >"$tmp/tf"
		jq -r 'select(.type == "fetch_start") | .fetch' "$tmp/j" | wc -l >"$tmp/jf"
		check "$name: one fetch_start per text fetch header" \
			sh -c "[ $(tr -d ' ' <"$tmp/tf") -eq $(tr -d ' ' <"$tmp/jf") ]"
		grep -E '^  c[0-9]+ ' "$tmp/t" | awk '{ print substr($1, 2) }' | sort -n >"$tmp/tc"
		jq -r 'select(.type == "conn") | .conn' "$tmp/j" | sort -n >"$tmp/jc"
		check "$name: one conn object per summary connection line" cmp -s "$tmp/tc" "$tmp/jc"
		tx=$(grep -cE '^  f[0-9]+ [cq][0-9]+' "$tmp/t")
		jx=$(jq -r 'select(.type == "exchange") | .conn' "$tmp/j" | wc -l)
		check "$name: one exchange object per text exchange line ($tx)" [ "$tx" -eq "$jx" ]
		tp=$(sed -n 's/^packets: \([0-9]*\) read.*/\1/p' "$tmp/t")
		jp=$(jq -r 'select(.type == "summary") | .packets' "$tmp/j")
		check "$name: summary is the last line, packets read agree" \
			sh -c "[ '$(tail -n 1 "$tmp/j" | jq -r .type)' = summary ] && [ '$tp' = '$jp' ] && [ -n '$tp' ]"
	done
done

# -q: no packet lines in text, no packet or fetch_start objects in JSON; the rest stays.
"$bin" -r captures/lab-pipelined.pcap --json -q >"$tmp/q" 2>/dev/null
qtypes=$(jq -r .type "$tmp/q" | sort -u | tr '\n' ' ')
check "-q --json: only conn, exchange, fetch and summary objects ($qtypes)" \
	[ "$qtypes" = "conn exchange fetch summary " ]
# one fetch object per fetch that has exchanges, with their count
jq -r 'select(.type == "exchange") | .fetch' "$tmp/q" | sort -n | uniq -c | awk '{ print $2, $1 }' >"$tmp/qx"
jq -r 'select(.type == "fetch") | "\(.fetch) \(.exchanges)"' "$tmp/q" | sort -n >"$tmp/qf"
check "fetch objects: one per fetch with exchanges, counting them" sh -c "[ -s '$tmp/qf' ] && cmp -s '$tmp/qx' '$tmp/qf'"

# HTTP/3 (issue 11): each request stream an exchange object of QUIC connection 1, with its stream
# id, the handshake as the first one's connect and TLS, the fetch's DNS, status and body bytes.
"$bin" -r captures/lab-h3-chromium.pcap --keylog captures/lab-h3-chromium.keys --json -q >"$tmp/h3" 2>/dev/null
check "lab-h3-chromium --keylog: four exchange objects, quic, streams 0 4 8 12, statuses and sizes" \
	jq -se '[.[] | select(.type == "exchange")] | length == 4 and all(.quic == true and .conn == 1 and .tls)
		and (map(.stream) == [0, 4, 8, 12]) and (map(.target) == ["/", "/style.css", "/img/dot.png", "/favicon.ico"])
		and (map(.status) == [200, 200, 200, 404]) and (map(.method) | unique == ["GET"])
		and .[0].down == 320 and .[2].down == 532 and .[0].first_on_conn and (.[1].first_on_conn | not)
		and .[0].phases.connect > 0 and .[0].phases.tls == .[0].phases.connect and .[0].phases.dns > 0
		and .[1].phases.connect == null and all(.phases.wait != null)' "$tmp/h3"

# 80 parallel connections (captures/loopback-parallel.pcap): every exchange keeps its
# response however many exchanges began after it, in JSON, the timeline and HAR alike.
par=captures/loopback-parallel.pcap
"$bin" -r "$par" --json -q --har "$tmp/par.har" >"$tmp/par" 2>/dev/null
"$bin" -r "$par" --timeline -q >"$tmp/par.txt" 2>/dev/null
check "80 parallel: 80 exchanges, each with status 200, a wait and a close time (JSON)" \
	jq -se '[.[] | select(.type == "exchange")] | length == 80 and
		all(.status == 200 and .phases.wait != null and .phases.download != null
		and .times.closed != null and .down == 3)' "$tmp/par"
check "80 parallel: every timeline row has its wait and its 200" \
	sh -c "[ \$(grep -c ' wait [0-9.]* ms  download [0-9.]* ms .* 200 ' '$tmp/par.txt') -eq 80 ]"
check "80 parallel: every HAR entry has status 200 and a wait" \
	jq -e '.log.entries | length == 80 and all(.response.status == 200 and .timings.wait >= 0)' "$tmp/par.har"
"$bin" -r "$par" >"$tmp/par.lines" 2>/dev/null
check "80 parallel: 80 text lines with the response's first-byte time" \
	sh -c "[ \$(grep -c 'HTTP/1.1 200 OK.*(first byte [0-9.]* ms after the request)' '$tmp/par.lines') -eq 80 ]"

"$bin" -r "$par" --explain >"$tmp/par.explain" 2>/dev/null
check "80 parallel --explain: each connection's SYN, write, read and close explained once" \
	sh -c "[ \$(grep -c '^ *^ the SYN carries' '$tmp/par.explain') -eq 80 ] &&
		[ \$(grep -c '^ *^ write() hands' '$tmp/par.explain') -eq 80 ] &&
		[ \$(grep -c '^ *^ the response arrives' '$tmp/par.explain') -eq 80 ] &&
		[ \$(grep -c '^ *^ the client called close() first' '$tmp/par.explain') -eq 80 ]"

# Hostile bytes come out as documented: escapes, never raw (tests/crafted/gen.py).
"$bin" -r captures/crafted-dns-hostile.pcap --json >"$tmp/h1" 2>/dev/null
"$bin" -r captures/crafted-http-tls-hostile.pcap --json >"$tmp/h2" 2>/dev/null
check "hostile DNS: ESC in a name as \\u001b" grep -qF '"\u001b[31mred\u001b[0m.lab.test"' "$tmp/h1"
check "hostile DNS: RLO (U+202E) escaped, dot and backslash in labels kept as presentation escapes" \
	grep -qF '"evil\u202egnp.nul\u0000byte.back\\\\slash.dot\\.inside.lab.test"' "$tmp/h1"
check "hostile DNS: a byte that is not UTF-8 (0xff) as \\u00ff, DEL as \\u007f, quote as \\\"" \
	grep -qF '"quote\" del\u007f high\u00ff"' "$tmp/h1"
check "hostile HTTP: CSI (U+009B) escaped" grep -qF 'x\u009b31mred' "$tmp/h2"
check "hostile HTTP: jq reads back the exact bytes of a target" \
	sh -c "jq -r 'select(.http) | .http[] | select(.kind == \"head\" and .head.request) | .head.target' '$tmp/h2' | head -n 1 | od -An -c | grep -q '033'"

echo "json: $p passed, $f failed, $s skipped"
[ $f -eq 0 ]
