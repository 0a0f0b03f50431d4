#!/bin/sh
# calls.sh - the socket calls of a traced command (issue 14), live as root: in a private
# network namespace with a DNS server (dnsmasq) and an HTTP server (python3 http.server),
# `fetchtrace --json -- strace -f -e trace=network curl http://calls.lab.test/` and the
# same with --calls=ptrace; tests/calls_check.py checks that every connect() maps to its
# SYN, every write() to the segments carrying its bytes, every read() returns after its
# data, close() precedes the FIN, and that the counts match strace's.  Says which mechanism
# (eBPF or ptrace) it checked: where BPF cannot be had, the default is ptrace, and says so.
# Also the text lines, and --pid on a running process.  Without root, skipped, and says so.
set -u
cd "$(dirname "$0")/.." || exit 1
bin=$(pwd)/${FETCHTRACE:-build/san/fetchtrace}
export TZ=UTC LC_ALL=C
passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "ok calls $1"; }
fail() { failed=$((failed + 1)); echo "FAIL calls $1"; }
skip() { echo "skip calls: $1"; echo "calls: $passed passed, $failed failed, 1 skipped"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, live capture, BPF or ptrace)"
for c in ip dnsmasq curl python3 strace; do
	command -v $c >/dev/null 2>&1 || skip "$c not installed"
done

ns=ftcalls$$
tmp=$(mktemp -d) || exit 1
chmod 755 "$tmp"
pids=""
cleanup() {
	for pid in $pids; do kill "$pid" 2>/dev/null; done
	for pid in $pids; do wait "$pid" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
	[ -n "${CALLS_KEEP:-}" ] && cp -r "$tmp" /tmp/calls-kept
	rm -rf "/etc/netns/$ns" "$tmp"
}
trap cleanup EXIT INT TERM

ip netns add "$ns" || skip "cannot create a network namespace"
ip -n "$ns" link set lo up
mkdir -p "/etc/netns/$ns"
echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
printf '127.0.0.1 localhost\n' >"/etc/netns/$ns/hosts"
ip netns exec "$ns" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --pid-file= \
	--listen-address=127.0.0.1 --bind-interfaces --address=/calls.lab.test/127.0.0.1 \
	--log-facility=- 2>"$tmp/dnsmasq.log" &
pids="$pids $!"
mkdir "$tmp/www"
python3 -c 'print("<html><body>" + "calls test page " * 400 + "</body></html>")' \
	>"$tmp/www/index.html"
(cd "$tmp/www" && exec ip netns exec "$ns" python3 -m http.server 80 --bind 127.0.0.1) \
	>"$tmp/http.log" 2>&1 &
pids="$pids $!"
i=0
until ip netns exec "$ns" curl -s -o /dev/null http://127.0.0.1/ 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 50 ] && skip "the HTTP server did not start"
	sleep 0.1
done

# LeakSanitizer cannot follow the ptrace helper's children; leaks are checked by the unit tests.
run() { # run NAME ARGS...: fetchtrace in the namespace, JSON to $tmp/NAME.json
	name=$1; shift
	ASAN_OPTIONS=detect_leaks=0 timeout 300 ip netns exec "$ns" "$bin" "$@" >"$tmp/$name.out" \
		2>"$tmp/$name.err"
}
check() { # check NAME [STRACE]: calls_check.py's verdicts
	python3 tests/calls_check.py "$tmp/$1.out" ${2:-} >"$tmp/$1.check" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$1: ${line#ok }" ;;
		"FAIL "*) fail "$1: ${line#FAIL }" ;;
		*) fail "$1: $line" ;;
		esac
	done <"$tmp/$1.check"
}
url=http://calls.lab.test/

# 0. an error after the calls were set up (a bad filter): one line, exit 1, nothing leaked
ASAN_OPTIONS=detect_leaks=1:exitcode=99 "$bin" 'tcp port' -- true >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
[ "$rc" -eq 1 ] && [ "$(grep -c . "$tmp/bad.err")" -eq 1 ] && grep -q "filter 'tcp port'" "$tmp/bad.err" &&
	ok "a bad filter with -- CMD: one line, exit 1, no leak" ||
	fail "a bad filter with -- CMD: exit $rc: $(head -3 "$tmp/bad.err")"

# 1. the default mechanism, strace watching the same run
run auto --json -- strace -f -e trace=network -o "$tmp/strace-auto.txt" curl -s -o /dev/null "$url"
mech=$(sed -n 's/^fetchtrace: measuring socket calls with //p' "$tmp/auto.err")
if [ -z "$mech" ]; then
	fail "default: no mechanism named on stderr: $(head -3 "$tmp/auto.err")"
else
	echo "calls: the default mechanism here is $mech"
	grep "socket calls" "$tmp/auto.err" | sed 's/^/calls: /'
	ok "default: measured with $mech"
fi
if [ "$mech" = ptrace ]; then
	# strace cannot trace what ptrace already does: its counts come from a run of its own
	ip netns exec "$ns" strace -f -e trace=network -o "$tmp/strace-auto.txt" \
		curl -s -o /dev/null "$url" 2>/dev/null
	CALLS_STABLE=1 check auto "$tmp/strace-auto.txt"
else
	check auto "$tmp/strace-auto.txt"
fi
grep -q '"type":"call".*"call":"sendmmsg\|"type":"call".*"step":"resolve"' "$tmp/auto.out" &&
	ok "default: the resolver's DNS socket calls are resolve" ||
	fail "default: no resolve call (the resolver's sendmmsg/sendto/recvfrom)"
grep -q '"type":"call".*"tid":' "$tmp/auto.out" && ok "default: calls name their thread" ||
	fail "default: no tid"

# 2. the ptrace fallback, forced; strace runs apart
run ptrace --json --calls=ptrace -- curl -s -o /dev/null "$url"
grep -q "^fetchtrace: socket calls through ptrace; their timings include ptrace's overhead" \
	"$tmp/ptrace.err" && ok "ptrace: the one-line note on its overhead" ||
	fail "ptrace: no note: $(head -3 "$tmp/ptrace.err")"
ip netns exec "$ns" strace -f -e trace=network -o "$tmp/strace-ptrace.txt" \
	curl -s -o /dev/null "$url" 2>/dev/null
CALLS_STABLE=1 check ptrace "$tmp/strace-ptrace.txt"

# 3. the text lines
run text -- curl -s -o /dev/null "$url"
grep -Eq ' connect +call +.*curl\[[0-9]+(/[0-9]+)?\] connect\(fd [0-9]+, 127\.0\.0\.1:80\) entered$' \
	"$tmp/text.out" && ok "text: connect(fd N, 127.0.0.1:80) entered" ||
	fail "text: no 'connect() entered' line"
grep -Eq ' connect +call +f1 c1 .*curl\[[0-9]+\] connect\(\) = (0|-1 EINPROGRESS) after [0-9.]+ ms$' \
	"$tmp/text.out" && ok "text: connect() returned, joined to f1 c1" ||
	fail "text: no joined 'connect() =' line"
grep -Eq ' connect +measured +f1 c1 .* SYN seq ' "$tmp/text.out" &&
	ok "text: the SYN of a connect() measured entering says so" || fail "text: SYN not 'measured'"
grep -Eq ' write +measured +f1 c1 ' "$tmp/text.out" && ok "text: packets of a measured socket say so" ||
	fail "text: no 'measured' packet line"
grep -Eq ' connect +call +f1 c1 .*poll\(\) = [0-9]+: fd [0-9]+ writable, the connection is up$' \
	"$tmp/text.out" && ok "text: the poll() that saw the connect() done" || fail "text: no poll() line"
grep -Eq ' connect +call +f1 c1 .*getsockopt\(fd [0-9]+, SO_ERROR\) = 0: connected$' "$tmp/text.out" &&
	ok "text: curl's getsockopt(SO_ERROR) after the poll(): connected ($mech)" ||
	fail "text: no getsockopt(SO_ERROR) line ($mech)"
grep -Eq ' close +call +f1 c1 .*close\(fd [0-9]+\)$' "$tmp/text.out" && ok "text: close(fd N)" ||
	fail "text: no close line"

# 3b. a non-blocking connect() = -1 EINPROGRESS, then the wait that saw it writable: epoll
# (selectors.EpollSelector) and select (SelectSelector), with eBPF (the default here, when it
# is $mech) and with ptrace; the wait's line stands after the SYN-ACK and before the first
# write, and getsockopt(SO_ERROR) says it connected
nbcheck() { # nbcheck NAME WAIT-REGEX WAIT: the order of SYN-ACK, the wait's line, getsockopt, first write
	awk -v w="$2" -v shown="$3" -v name="$1" '
		/ SYN-ACK / && !sa { sa = NR }
		$0 ~ (" call .*" w " = [0-9]+: fd [0-9]+ writable, the connection is up$") && !wt { wt = NR }
		/getsockopt\(fd [0-9]+, SO_ERROR\) = 0: connected$/ && !gs { gs = NR }
		/ call +f[0-9]+ c[0-9]+ .* (sendto|write|sendmsg)\(fd / && !wr { wr = NR }
		END {
			if (!wt) { print "FAIL " name ": no \"" shown " = N: fd N writable, the connection is up\" line"; exit }
			if (sa && sa < wt && wt < gs && gs < wr)
				print "ok " name ": SYN-ACK, then " shown " saw it writable, getsockopt(SO_ERROR) = 0: connected, then the first write"
			else
				print "FAIL " name ": out of order: SYN-ACK line " sa ", " shown " " wt ", getsockopt " gs ", first write " wr
		}' "$tmp/$1.out" >"$tmp/$1.check"
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok } ($label)" ;;
		*) fail "${line#FAIL } ($label)" ;;
		esac
	done <"$tmp/$1.check"
}
for m in auto ptrace; do
	label=$mech
	[ $m = ptrace ] && label=ptrace
	for sel in epoll select; do
		run "nb-$sel-$m" --calls=$m -- python3 tests/calls_nbclient.py $sel calls.lab.test 80
		if [ $sel = epoll ]; then
			nbcheck "nb-$sel-$m" 'epoll_wait[(]epfd [0-9]+[)]' 'epoll_wait(epfd N)'
		else
			nbcheck "nb-$sel-$m" 'select[(][)]' 'select()'
		fi
		if [ $sel = epoll ]; then
			grep -Eq " connect +call +f[0-9]+ c[0-9]+ .*epoll_ctl\(epfd [0-9]+, EPOLL_CTL_ADD, fd [0-9]+, EPOLLOUT\) = 0$" \
				"$tmp/nb-$sel-$m.out" && ok "nb-$sel-$m: epoll_ctl(EPOLL_CTL_ADD, EPOLLOUT) of the connecting socket, joined ($label)" ||
				fail "nb-$sel-$m: no joined epoll_ctl line ($label)"
		fi
	done
	# JSON: the members of the wait and of getsockopt
	run "nb-json-$m" --json --calls=$m -- python3 tests/calls_nbclient.py epoll calls.lab.test 80
	grep '"type":"call"' "$tmp/nb-json-$m.out" | grep '"call":"epoll_wait"' | grep -v '"conn":null' |
		grep -q '"epfd":[0-9]*,"events":"EPOLLOUT"' && ok "nb-json-$m: epoll_wait's epfd and events ($label)" ||
		fail "nb-json-$m: no joined epoll_wait object with epfd and events ($label)"
	grep '"type":"call"' "$tmp/nb-json-$m.out" | grep '"call":"getsockopt"' | grep '"so_error":0' |
		grep -v '"conn":null' | grep -q '"ret":0' &&
		ok "nb-json-$m: getsockopt's so_error 0 ($label)" || fail "nb-json-$m: no getsockopt with so_error ($label)"
	# --explain: the wait's measured time since the EINPROGRESS, and what SO_ERROR said
	run "nb-explain-$m" --explain --calls=$m -- python3 tests/calls_nbclient.py epoll calls.lab.test 80
	grep -Eq '\^ epoll_wait\(\) saw the socket writable [0-9.]+ ms after connect\(\) returned EINPROGRESS' \
		"$tmp/nb-explain-$m.out" &&
		grep -Eq '\^ getsockopt\(SO_ERROR\) reads the non-blocking connect\(\).s result, 0 ' "$tmp/nb-explain-$m.out" &&
		ok "nb-explain-$m: the wait's time after EINPROGRESS, getsockopt's result ($label)" ||
		fail "nb-explain-$m: no explain lines for the wait and getsockopt ($label)"
	# a refused connect(): the wait sees the error, getsockopt says which
	run "nb-refused-$m" --calls=$m -- python3 tests/calls_nbclient.py epoll calls.lab.test 81
	grep -Eq 'epoll_wait\(epfd [0-9]+\) = 1: fd [0-9]+ [A-Z|]*EPOLLERR[A-Z|]*, the connect failed$' "$tmp/nb-refused-$m.out" &&
		grep -Eq 'getsockopt\(fd [0-9]+, SO_ERROR\) = 0: ECONNREFUSED, the connect failed$' "$tmp/nb-refused-$m.out" &&
		ok "nb-refused-$m: epoll_wait saw the error, getsockopt(SO_ERROR) = ECONNREFUSED ($label)" ||
		fail "nb-refused-$m: no failed-connect lines ($label)"
done

# 4. the views: the ladder's application column, the timeline's split wait, --explain's times
run ladder --ladder -- curl -s -o /dev/null "$url"
head -1 "$tmp/ladder.out" | grep -Eq '^ +curl +' && ok "ladder: the application is the first column" ||
	fail "ladder: no application column: $(head -1 "$tmp/ladder.out")"
grep -Eq '^[0-9.]+ +\|-+( c[0-9]+ -+)?>\|.* write sendto\(fd [0-9]+, [0-9]+ B\) = [0-9]+$' "$tmp/ladder.out" &&
	ok "ladder: the write is an arrow from the application to the socket" ||
	fail "ladder: no write arrow"
grep -Eq '^[0-9.]+ +\|<-+( c[0-9]+ -+)?\|.* read recvfrom\(fd [0-9]+\) = [0-9]+' "$tmp/ladder.out" &&
	ok "ladder: the read is an arrow from the socket to the application" ||
	fail "ladder: no read arrow"
run timeline --timeline -- curl -s -o /dev/null "$url"
grep -Eq 'wait [0-9.]+ ms .*\(wait measured: kernel [0-9.]+ ms write\(\) to first byte, application [0-9.]+ ms first byte to read\(\)\)' \
	"$tmp/timeline.out" && ok "timeline: the wait split into kernel and application time" ||
	fail "timeline: no split wait"
run explain --explain -- curl -s -o /dev/null "$url"
grep -Eq '\^ connect\(\) returned (after one round trip|at once \([0-9.]+ ms\) with EINPROGRESS)' \
	"$tmp/explain.out" && ok "explain: connect()'s measured time" || fail "explain: no measured connect()"
grep -Eq '\^ read\(\) returned [0-9]+ B [0-9.]+ ms after the response.s first byte arrived' \
	"$tmp/explain.out" && ok "explain: how long the response waited for read()" ||
	fail "explain: no measured read()"

# chromium_epoll FILE: how many of the network service's connect() = -1 EINPROGRESS are followed
# by the epoll_wait (EPOLLOUT) that saw them writable, joined to the same connection
chromium_epoll() {
	python3 - "$1" <<'EOF2'
import json, sys
pend, seen = {}, []
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("type") != "call" or o.get("role") != "network service":
        continue
    key = (o["pid"], o["fd"])
    if o["call"] == "connect" and o["phase"] == "returned" and o.get("errno") == "EINPROGRESS":
        pend[key] = o
    elif o["call"] == "epoll_wait" and key in pend and "EPOLLOUT" in o.get("events", ""):
        if o.get("conn") is not None and o.get("conn") == pend[key].get("conn"):
            seen.append(o)
        del pend[key]
print(len(seen))
EOF2
}
# 4b. HTTP/2: two streams at once on one TLS connection (curl -Z against nginx, the key log
# decrypting): each stream's wait is split by the read() that returned its first response
# bytes, found by the bytes read since the connect() (not by time); checked here against
# the packets: that read's bytes overlap the segment that carried the stream's response
# HEADERS and it returned after that segment arrived, the write's bytes overlap the
# request's, and the figures add up
if command -v nginx >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
	mkdir -p "$tmp/h2/www" "$tmp/h2/logs"
	head -c 30000 /dev/zero | tr '\0' a >"$tmp/h2/www/a.txt"
	head -c 40000 /dev/zero | tr '\0' b >"$tmp/h2/www/b.txt"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$tmp/h2/key.pem" -out "$tmp/h2/cert.pem" -subj /CN=calls.lab.test 2>/dev/null
	cat >"$tmp/h2/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $tmp/h2/nginx.pid;
error_log $tmp/h2/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $tmp/h2/t1;
	proxy_temp_path $tmp/h2/t2;
	fastcgi_temp_path $tmp/h2/t3;
	uwsgi_temp_path $tmp/h2/t4;
	scgi_temp_path $tmp/h2/t5;
	server {
		listen 127.0.0.1:8443 ssl http2;
		ssl_certificate $tmp/h2/cert.pem;
		ssl_certificate_key $tmp/h2/key.pem;
		root $tmp/h2/www;
	}
}
EOF
	ip netns exec "$ns" nginx -c "$tmp/h2/nginx.conf" -p "$tmp/h2" >"$tmp/h2/nginx.log" 2>&1 &
	pids="$pids $!"
	i=0
	until ip netns exec "$ns" curl -sk -o /dev/null https://127.0.0.1:8443/a.txt 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 50 ] && break
		sleep 0.1
	done
	h2url=https://calls.lab.test:8443
	run h2 --json --keylog "$tmp/h2/keys.txt" -- env SSLKEYLOGFILE="$tmp/h2/keys.txt" curl -sk \
		--http2 -Z -o /dev/null -o /dev/null "$h2url/a.txt" "$h2url/b.txt"
	python3 - "$tmp/h2.out" >"$tmp/h2.check" 2>&1 <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
xs = [o for o in objs if o["type"] == "exchange" and o.get("stream")]
def say(ok, what):
    print(("ok " if ok else "FAIL ") + what)
say(len(xs) == 2 and len({x["conn"] for x in xs}) == 1,
    "two HTTP/2 streams on one connection (%d exchanges)" % len(xs))
def ranges(conn, step):
    """(from, to, call) of each measured call of conn that moved bytes, in time order"""
    out, done = [], 0
    for o in objs:
        if o["type"] == "call" and o.get("conn") == conn and o["step"] == step and \
           (o.get("ret") or -1) > 0:
            out.append((done, done + o["ret"], o))
            done += o["ret"]
    return out
def segment(conn, sender, stream, kind):
    """the packet that carried the stream's HEADERS of that kind: it, and its bytes (a, b]"""
    for o in objs:
        if o["type"] != "packet" or o.get("conn") != conn or not o.get("tcp"):
            continue
        if o["tcp"]["dir"] != sender:
            continue
        for f in o.get("h2") or []:
            if f.get("type") == "HEADERS" and f.get("stream") == stream and \
               (f.get("head") or {}).get("kind") == kind:
                s = o["tcp"]["seq"] - 1
                return o, s, s + o["tcp"]["len"]
    return None, 0, 0
for x in xs:
    sid, c = x["stream"], x["conn"]
    if "call_read" not in x:
        say(False, "stream %d: no measured split" % sid)
        continue
    t = x["times"]
    pr, a, b = segment(c, "from_server", sid, "response")
    rd = [r for r in ranges(c, "read") if abs(r[2]["returned"] - x["call_read"]) < 1e-6]
    say(pr is not None and len(rd) == 1 and rd[0][0] < b and a < rd[0][1],
        "stream %d: the read() %s returned bytes of the segment that carried its response HEADERS (%d..%d]"
        % (sid, [r[:2] for r in rd], a, b))
    say(pr is not None and x["call_read"] >= pr["ts"] - 1e-6 and t["resp_start"] >= pr["ts"] - 1e-6,
        "stream %d: its read() returned after the first byte arrived" % sid)
    pw, a, b = segment(c, "to_server", sid, "request")
    wr = [r for r in ranges(c, "write") if abs(r[2]["entered"] - x["call_write"]) < 1e-6]
    say(pw is not None and len(wr) == 1 and wr[0][0] < b and a < wr[0][1] and
        x["call_write"] <= pw["ts"] + 1e-6,
        "stream %d: the write() %s sent its request HEADERS (%d..%d]" % (sid, [r[:2] for r in wr], a, b))
    k, ap = x["wait_kernel"], x["wait_application"]
    say(k >= 0 and ap >= 0 and abs(k - (t["resp_start"] - x["call_write"])) < 2e-6 and
        abs(ap - (x["call_read"] - t["resp_start"])) < 2e-6 and
        abs(k + ap - (x["call_read"] - x["call_write"])) < 3e-6,
        "stream %d: kernel %.6f + application %.6f s = write() to read() %.6f s" %
        (sid, k, ap, x["call_read"] - x["call_write"]))
PY
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "h2: ${line#ok }" ;;
		*) fail "h2: ${line#FAIL }" ;;
		esac
	done <"$tmp/h2.check"
	run h2tl --timeline --keylog "$tmp/h2/keys2.txt" -- env SSLKEYLOGFILE="$tmp/h2/keys2.txt" \
		curl -sk --http2 -Z -o /dev/null -o /dev/null "$h2url/a.txt" "$h2url/b.txt"
	n=$(grep -Ec '\(wait measured: kernel [0-9.]+ ms write\(\) to first byte, application [0-9.]+ ms first byte to read\(\)\)  \(stream #[13]' "$tmp/h2tl.out")
	[ "$n" -eq 2 ] && ok "h2: the timeline splits both streams' wait" ||
		fail "h2: $n streams with a split wait in the timeline"
	run h2x --explain --keylog "$tmp/h2/keys3.txt" -- env SSLKEYLOGFILE="$tmp/h2/keys3.txt" \
		curl -sk --http2 -Z -o /dev/null -o /dev/null "$h2url/a.txt" "$h2url/b.txt"
	grep -Eq "\^ read\(\) returned [0-9]+ B [0-9.]+ ms after the first bytes of stream [13]'s response arrived" \
		"$tmp/h2x.out" && ok "h2: --explain tells the read of a stream's first bytes" ||
		fail "h2: --explain: no measured read of a stream"
else
	skipped=$((skipped + 1))
	echo "skip calls h2: no nginx or openssl"
fi

# 4c. HTTP/3: headless Chromium forced to QUIC against Caddy in the namespace (its key log
# decrypting): each stream's wait is split by the call that returned the datagram carrying
# its first response HEADERS, found by counting the datagrams on the connected UDP socket;
# checked here by counting them again from the JSON lines (the k-th datagram from the server
# against the k-th read, whose size must be the datagram's)
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chromium" ] && command -v caddy >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
	mkdir -p "$tmp/h3/www" "$tmp/h3/home" "$tmp/h3/profile"
	chmod 0700 "$tmp/h3/profile"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$tmp/h3/key.pem" -out "$tmp/h3/cert.pem" -subj /CN=calls.lab.test \
		-addext subjectAltName=DNS:calls.lab.test 2>/dev/null
	spki=$(openssl x509 -in "$tmp/h3/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)
	printf '<html><body><script src="/a.js"></script><script src="/b.js"></script>h3</body></html>\n' \
		>"$tmp/h3/www/index.html"
	printf 'var a = "%s";\n' "$(head -c 20000 /dev/zero | tr '\0' a)" >"$tmp/h3/www/a.js"
	printf 'var b = "%s";\n' "$(head -c 30000 /dev/zero | tr '\0' b)" >"$tmp/h3/www/b.js"
	cat >"$tmp/h3/Caddyfile" <<EOF
{
	admin off
	auto_https off
	storage file_system $tmp/h3/data
	servers {
		protocols h1 h2 h3
	}
}
https://calls.lab.test:443 {
	bind 127.0.0.1
	tls $tmp/h3/cert.pem $tmp/h3/key.pem
	root * $tmp/h3/www
	file_server
}
EOF
	ip netns exec "$ns" env HOME="$tmp/h3/home" XDG_DATA_HOME="$tmp/h3/home" \
		XDG_CONFIG_HOME="$tmp/h3/home" caddy run --adapter caddyfile \
		--config "$tmp/h3/Caddyfile" >"$tmp/h3/caddy.log" 2>&1 &
	pids="$pids $!"
	i=0
	until ip netns exec "$ns" ss -lun | grep -q '127.0.0.1:443 '; do
		i=$((i + 1))
		[ $i -gt 50 ] && break
		sleep 0.1
	done
	chmod -R a+rwX "$tmp/h3/profile" "$tmp/h3/home"
	run h3 --json --keylog "$tmp/h3/keys.txt" -- "$chromium" --headless=new --no-sandbox \
		--disable-gpu --no-first-run --user-data-dir="$tmp/h3/profile" \
		--host-resolver-rules="MAP calls.lab.test 127.0.0.1" --enable-quic \
		--origin-to-force-quic-on=calls.lab.test:443 --ignore-certificate-errors-spki-list="$spki" \
		--ssl-key-log-file="$tmp/h3/keys.txt" --dump-dom https://calls.lab.test/
	python3 - "$tmp/h3.out" >"$tmp/h3.check" 2>&1 <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def say(ok, what):
    print(("ok " if ok else "FAIL ") + what)
xs = [o for o in objs if o["type"] == "exchange" and o.get("quic") and
      o.get("target") in ("/", "/a.js", "/b.js")]
say(len(xs) == 3 and len({x["conn"] for x in xs}) == 1,
    "three HTTP/3 streams on one QUIC connection (%d)" % len(xs))
qc = xs[0]["conn"] if xs else None
# the server's datagrams of that connection, in order, and what each carried
dgs = []
for o in objs:
    q = o.get("quic") if o["type"] == "packet" else None
    if q and q.get("conn") == qc and not q.get("from_client"):
        heads = [f["stream"] for f in q.get("h3") or [] if f.get("frame") == "HEADERS" and
                 (f.get("head") or {}).get("kind") == "response"]
        dgs.append((o, heads))
port = dgs[0][0]["dport"] if dgs else None
reads = [o for o in objs if o["type"] == "call" and o.get("proto") == "udp" and
         o.get("sport") == port and o.get("dport") == 443 and o["step"] == "read" and
         (o.get("ret") or -1) > 0]
for x in xs:
    sid = x["stream"]
    k = [i for i, (o, h) in enumerate(dgs) if sid in h]
    if "call_read" not in x or not k:
        say(False, "stream %d: no measured split (%s)" % (sid, x.get("wait_not_split")))
        continue
    k = k[0]
    r = reads[k] if k < len(reads) else None
    say(r is not None and abs(r["returned"] - x["call_read"]) < 1e-6 and r["ret"] == dgs[k][0]["payload_len"],
        "stream %d: its read() is read #%d on the socket, of datagram #%d from the server (%s B)" %
        (sid, k + 1, k + 1, dgs[k][0]["payload_len"]))
    t = x["times"]
    say(x["call_read"] >= dgs[k][0]["ts"] - 1e-6 and abs(t["resp_start"] - dgs[k][0]["ts"]) < 1e-6,
        "stream %d: the read returned after its datagram arrived" % sid)
    k2, ap = x["wait_kernel"], x["wait_application"]
    say(k2 >= 0 and ap >= 0 and abs(k2 + ap - (x["call_read"] - x["call_write"])) < 3e-6,
        "stream %d: kernel %.6f + application %.6f s = send to read %.6f s" %
        (sid, k2, ap, x["call_read"] - x["call_write"]))
PY
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "h3: ${line#ok }" ;;
		*) fail "h3: ${line#FAIL }" ;;
		esac
	done <"$tmp/h3.check"
	rm -rf "$tmp/h3/profile"/*
	run h3x --explain --keylog "$tmp/h3/keys2.txt" -- "$chromium" --headless=new --no-sandbox \
		--disable-gpu --no-first-run --user-data-dir="$tmp/h3/profile" \
		--host-resolver-rules="MAP calls.lab.test 127.0.0.1" --enable-quic \
		--origin-to-force-quic-on=calls.lab.test:443 --ignore-certificate-errors-spki-list="$spki" \
		--ssl-key-log-file="$tmp/h3/keys2.txt" --dump-dom https://calls.lab.test/
	grep -Eq '\^ the call returned the datagram that carried stream [0-9]+.s first response bytes \([0-9]+ B\) [0-9.]+ ms after it arrived' \
		"$tmp/h3x.out" && ok "h3: --explain tells the read of a stream's datagram" ||
		fail "h3: --explain: no measured read of a stream's datagram"
else
	skipped=$((skipped + 1))
	echo "skip calls h3: needs chromium, caddy and openssl"
fi

# 5. headless Chromium: a multi-process browser; its sockets live in the network service
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -n "$chromium" ]; then
	mkdir -m 0700 "$tmp/profile"
	run chromium --json -- "$chromium" --headless=new --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$tmp/profile" --dump-dom "$url"
	grep '"type":"call"' "$tmp/chromium.out" | grep '"call":"connect","phase":"returned"' |
		grep -v '"conn":null' | grep -q '"role":"network service"' &&
		ok "chromium: the network service process's connect() found and joined ($mech)" ||
		fail "chromium: no joined connect() from the network service: $(grep -c '"type":"call"' "$tmp/chromium.out") calls"
	grep '"type":"call"' "$tmp/chromium.out" | grep '"role":"network service"' |
		grep '"call":"\(recvfrom\|read\)"' | grep -v '"conn":null' | grep -q '"ret":[1-9]' &&
		ok "chromium: the network service's read of the response joined" ||
		fail "chromium: no joined read from the network service"
	# its non-blocking connect() (EINPROGRESS), then the epoll_wait that saw it writable
	n=$(chromium_epoll "$tmp/chromium.out")
	[ "${n:-0}" -ge 1 ] 2>/dev/null &&
		ok "chromium: the network service's connect() = -1 EINPROGRESS followed by the epoll_wait that saw it writable, joined ($n; $mech)" ||
		fail "chromium: no epoll_wait line after the network service's connect(): $n ($mech)"
	if [ -n "${CALLS_SLOW:-}" ]; then # the same through ptrace: about a minute on two cores
		mkdir -m 0700 "$tmp/profile-pt"
		run chromium-pt --json --calls=ptrace -- "$chromium" --headless=new --no-sandbox --disable-gpu \
			--no-first-run --user-data-dir="$tmp/profile-pt" --dump-dom "$url"
		n=$(chromium_epoll "$tmp/chromium-pt.out")
		[ "${n:-0}" -ge 1 ] 2>/dev/null &&
			ok "chromium: the network service's connect() = -1 EINPROGRESS followed by the epoll_wait that saw it writable, joined ($n; ptrace)" ||
			fail "chromium: no epoll_wait line after the network service's connect(): $n (ptrace)"
	else
		echo "calls: chromium through ptrace left out (about a minute): CALLS_SLOW=1 runs it"
	fi
	grep -c '"type":"call"' "$tmp/chromium.out" | sed 's/^/calls: chromium call objects: /'
	grep "socket calls\|lost" "$tmp/chromium.err" | sed 's/^/calls: chromium: /' 
else
	skipped=$((skipped + 1))
	echo "skip calls chromium: no chromium installed (the lab test installs it)"
fi

# 6. -w FILE.pcapng and --annotations: each packet's comment is its own (a packet's note is
# made while the capture hands it over, so with them packets are never held for a call)
if command -v tshark >/dev/null 2>&1; then
	run pcapng -w "$tmp/calls.pcapng" --annotations "$tmp/notes.txt" -- curl -s -o /dev/null "$url"
	tshark -r "$tmp/calls.pcapng" -T fields -e frame.comment 2>/dev/null | sed 's/\\n/ /g' \
		>"$tmp/comments.txt"
	[ -s "$tmp/notes.txt" ] && cmp -s "$tmp/comments.txt" "$tmp/notes.txt" &&
		ok "-w pcapng: every packet's comment is its own annotation" ||
		fail "-w pcapng: comments differ from the annotations: $(diff "$tmp/comments.txt" "$tmp/notes.txt" | head -3)"
else
	skipped=$((skipped + 1))
	echo "skip calls -w pcapng: no tshark"
fi

# 7. --pid: a process already running (eBPF only)
if [ "$mech" = eBPF ]; then
	ip netns exec "$ns" python3 -c 'import time, urllib.request
time.sleep(1.5)
urllib.request.urlopen("http://calls.lab.test/").read()' &
	py=$!
	pids="$pids $py"
	sleep 0.3
	run pid --json --pid "$py"
	grep -q '"type":"call".*"call":"connect","phase":"returned".*"conn":1' "$tmp/pid.out" &&
		ok "--pid: the running process's connect() joined" ||
		fail "--pid: no joined connect(): $(head -c 300 "$tmp/pid.err")"
else
	skipped=$((skipped + 1))
	echo "skip calls --pid: needs eBPF (here: $mech)"
fi
# 8. --pid --calls=ptrace: attach to a process fetching in a loop, follow its connections,
# and leave it running, neither stopped nor traced, when fetchtrace exits (-c)
ip netns exec "$ns" python3 -c 'import threading, time, urllib.request
def loop():
    for i in range(600):
        urllib.request.urlopen("http://calls.lab.test/").read()
        time.sleep(0.1)
t = threading.Thread(target=loop)
t.start()
t.join()' &
py=$!
pids="$pids $py"
sleep 0.5
run pidpt --json --calls=ptrace -c 60 --pid "$py"
rc=$?
[ "$rc" -eq 0 ] && ok "--pid ptrace: exit 0" || fail "--pid ptrace: exit $rc: $(head -c 300 "$tmp/pidpt.err")"
for c in connect sendto recvfrom; do
	grep '"type":"call"' "$tmp/pidpt.out" | grep -E "\"call\":\"$c\",\"phase\":\"(returned|call)\"" |
		grep -v '"conn":null' | grep -q "\"process\":\"python3\".*\"pid\":$py," &&
		ok "--pid ptrace: the running process's $c() joined to its connection" ||
		fail "--pid ptrace: no joined $c(): $(grep -c '"type":"call"' "$tmp/pidpt.out") calls; $(head -c 300 "$tmp/pidpt.err")"
done
sleep 0.3
st=$(sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' "/proc/$py/status" 2>/dev/null)
tr=$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$py/status" 2>/dev/null)
case $st in
[RSD]) [ "$tr" = 0 ] && ok "--pid ptrace: the process runs on, untraced (state $st)" ||
	fail "--pid ptrace: the process is still traced by $tr" ;;
*) fail "--pid ptrace: the process is '${st:-gone}' after fetchtrace exited" ;;
esac
grep -q "\"type\":\"call\".*\"pid\":$py,\"tid\":$py," "$tmp/pidpt.out" &&
	fail "--pid ptrace: calls of the main thread, which only waits" ||
	ok "--pid ptrace: the calls are the fetching thread's"
untraced() { # untraced WHAT: each thread of $py runs on, neither stopped nor traced, and fetches
	bad=$(grep -l '^State:[[:space:]]*[tTZ]\|^TracerPid:[[:space:]]*[1-9]' /proc/$py/task/*/status 2>/dev/null | wc -l)
	nt=$(ls /proc/$py/task 2>/dev/null | wc -l)
	[ "$bad" -eq 0 ] && [ "$nt" -ge 2 ] && ok "--pid ptrace $1: no thread left stopped or traced ($nt threads)" ||
		fail "--pid ptrace $1: $bad of $nt threads stopped or traced"
	n1=$(grep -c 'GET / ' "$tmp/http.log")
	sleep 1
	n2=$(grep -c 'GET / ' "$tmp/http.log")
	[ "$n2" -gt "$n1" ] && ok "--pid ptrace $1: the process goes on fetching ($n1 -> $n2)" ||
		fail "--pid ptrace $1: no fetch after fetchtrace exited ($n1 -> $n2)"
}
untraced "-c"
# Ctrl-C: the same
ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" "$bin" --calls=ptrace --pid "$py" >"$tmp/pidint.out" \
	2>"$tmp/pidint.err" &
ft=$!
sleep 1.5
kill -INT "$ft"
wait "$ft"
rc=$?
[ "$rc" -eq 0 ] && grep -Eq ' connect +call .*python3\[[0-9]+/[0-9]+ [^]]*\] connect\(' "$tmp/pidint.out" &&
	ok "--pid ptrace Ctrl-C: exit 0, the thread's connect() shown" ||
	fail "--pid ptrace Ctrl-C: exit $rc, $(grep -c ' call ' "$tmp/pidint.out") call lines: $(head -c 300 "$tmp/pidint.err")"
sleep 0.3
untraced "Ctrl-C"
kill "$py" 2>/dev/null
# a process another tracer holds (strace): one line saying why and what ptrace needs, exit 1,
# and the process is left to its tracer
strace -o /dev/null sleep 30 &
st_pid=$!
pids="$pids $st_pid"
sleep 0.5
sl=$(pgrep -P "$st_pid" sleep | head -1)
ASAN_OPTIONS=detect_leaks=0 timeout 30 "$bin" --calls=ptrace --pid "${sl:-0}" >"$tmp/pidperm.out" \
	2>"$tmp/pidperm.err"
rc=$?
[ "$rc" -eq 1 ] && [ "$(grep -c "^fetchtrace: --pid ${sl:-0}: ptrace cannot attach: .*CAP_SYS_PTRACE.*ptrace_scope" "$tmp/pidperm.err")" -eq 1 ] &&
	[ "$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$sl/status" 2>/dev/null)" = "$st_pid" ] &&
	ok "--pid ptrace: a process traced already: exit 1, one line on what ptrace needs" ||
	fail "--pid ptrace: a process traced already: exit $rc: $(head -c 300 "$tmp/pidperm.err")"
kill "$st_pid" 2>/dev/null
# a shell whose child (started before fetchtrace) fetches: the child is followed too, and
# fetchtrace ends when the shell exits (its parent reaps it)
cat >"$tmp/tree.sh" <<'EOF2'
python3 -c 'import time, urllib.request
time.sleep(2)
for i in range(3):
    urllib.request.urlopen("http://calls.lab.test/").read()
time.sleep(0.5)' &
wait
EOF2
ip netns exec "$ns" sh -c 'sh "$1" & echo $! >"$2"; wait' sh "$tmp/tree.sh" "$tmp/exit.pid" &
pids="$pids $!"
i=0
until [ -s "$tmp/exit.pid" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
ASAN_OPTIONS=detect_leaks=0 timeout 30 ip netns exec "$ns" "$bin" --json --calls=ptrace \
	--pid "$(cat "$tmp/exit.pid")" >"$tmp/pidexit.out" 2>"$tmp/pidexit.err"
rc=$?
n=$(grep '"type":"call"' "$tmp/pidexit.out" | grep '"process":"python3"' |
	grep -c '"call":"connect","phase":"returned".*"conn":[0-9]')
[ "$rc" -eq 0 ] && [ "$n" -eq 3 ] &&
	ok "--pid ptrace: a child started before is followed, its 3 connect() joined; ends with the process" ||
	fail "--pid ptrace: the process's child: exit $rc, $n joined connect(): $(head -c 300 "$tmp/pidexit.err")"
# 9. --pid ends when the process has ended, even while it is a zombie its parent has not
# reaped (kill(pid, 0) still succeeds on one)
python3 -c 'import os, sys, time
pid = os.fork()
if pid == 0:
    time.sleep(1)
    os._exit(0)
print(pid, flush=True)
time.sleep(15)' >"$tmp/zombie.pid" &
zparent=$!
i=0
until [ -s "$tmp/zombie.pid" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
t0=$(date +%s)
ASAN_OPTIONS=detect_leaks=0 timeout 12 "$bin" -i lo --pid "$(cat "$tmp/zombie.pid")" \
	>"$tmp/zombie.out" 2>"$tmp/zombie.err"
rc=$?
t1=$(date +%s)
kill "$zparent" 2>/dev/null; wait "$zparent" 2>/dev/null
[ "$rc" -eq 0 ] && [ $((t1 - t0)) -lt 10 ] &&
	ok "--pid: ends when the process is a zombie not yet reaped ($((t1 - t0)) s)" ||
	fail "--pid on a zombie: exit $rc after $((t1 - t0)) s: $(head -c 300 "$tmp/zombie.err")"
# 10. the ptrace helper keeps only what tracing needs: it becomes the traced process's user
# (real, effective, saved, file-system ids; no supplementary groups), with no_new_privs, and
# with no capability left once every thread is seized; a process that is not dumpable (its
# /proc/PID/fd is root's) keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (0x80004), a root
# process (it has every capability) CAP_SYS_PTRACE (0x80000).  -- CMD: the same, as the
# command's user.  Read from the helper's /proc/PID/status (the tracer of
# the target) while it traces, then the trace is checked: connect() calls joined.
fetchloop='import time, urllib.request
for i in range(200):
    urllib.request.urlopen("http://calls.lab.test/").read()
    time.sleep(0.1)'
# (a python3 the user nobody can run: not one under root's home)
upy=$(PATH=/usr/local/bin:/usr/bin:/bin command -v python3 || echo python3)
stfield() { sed -n "s/^$1:[[:space:]]*//p" "$2" | tr -s ' \t' '  ' | sed 's/ $//'; }
ptpriv() { # ptpriv LABEL TARGET-PIDFILE IDS CAPS ARGS...: fetchtrace ARGS; its helper's status
	label=$1 tpf=$2 ids=$3 caps=$4; shift 4
	ASAN_OPTIONS=detect_leaks=0 ip netns exec "$ns" "$@" >"$tmp/$label.out" 2>"$tmp/$label.err" &
	ft=$!
	i=0
	until grep -q 'listening on' "$tmp/$label.err" 2>/dev/null && [ -s "$tpf" ] || [ $i -gt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	tp=$(cat "$tpf" 2>/dev/null)
	helper=$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/${tp:-0}/status" 2>/dev/null)
	if [ -n "$helper" ] && [ "$helper" != 0 ] && cp "/proc/$helper/status" "$tmp/$label.status"; then
		u=$(stfield Uid "$tmp/$label.status") g=$(stfield Gid "$tmp/$label.status")
		grps=$(stfield Groups "$tmp/$label.status") nnp=$(stfield NoNewPrivs "$tmp/$label.status")
		c=$(for k in CapEff CapPrm CapInh CapAmb; do stfield $k "$tmp/$label.status"; done | tr '\n' ' ')
		[ "$u" = "$ids $ids $ids $ids" ] && [ "$g" = "$ids $ids $ids $ids" ] &&
			{ [ -z "$grps" ] || [ "$grps" = "$ids" ]; } &&
			ok "$label: the helper's uid and gid are $ids, groups '$grps'" ||
			fail "$label: the helper's Uid '$u' Gid '$g' Groups '$grps', expected $ids, no other group"
		[ "$c" = "$caps $caps 0000000000000000 0000000000000000 " ] &&
			ok "$label: the helper's capabilities: effective and permitted $caps, no other" ||
			fail "$label: the helper's CapEff CapPrm CapInh CapAmb: $c; expected $caps"
		[ "$nnp" = 1 ] && ok "$label: the helper has no_new_privs" ||
			fail "$label: the helper's NoNewPrivs '$nnp'"
	else
		fail "$label: no helper tracing pid '${tp:-}': $(head -c 300 "$tmp/$label.err")"
	fi
	sleep 1.5
	kill -INT "$ft" 2>/dev/null
	waited=0
	while kill -0 "$ft" 2>/dev/null && [ $waited -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
	kill -KILL "$ft" 2>/dev/null
	wait "$ft"
	n=$(grep '"type":"call"' "$tmp/$label.out" | grep "\"pid\":${tp:-0}," |
		grep -c '"call":"connect","phase":"returned".*"conn":[0-9]')
	[ "$n" -ge 1 ] && ok "$label: the trace works: $n connect() joined" ||
		fail "$label: no joined connect() of pid ${tp:-}: $(head -c 300 "$tmp/$label.err")"
}
for dump in 1 0; do
	ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups "$upy" -c "import ctypes
ctypes.CDLL(None).prctl(4, $dump, 0, 0, 0)
$fetchloop" &
	py=$!
	pids="$pids $py"
	echo "$py" >"$tmp/py$dump.pid"
	sleep 0.3
	[ $dump = 1 ] && caps=0000000000000000 || caps=0000000000080004
	ptpriv "helper --pid nobody dumpable=$dump" "$tmp/py$dump.pid" 65534 $caps \
		"$bin" --json --calls=ptrace --pid "$py"
	kill "$py" 2>/dev/null
done
ip netns exec "$ns" python3 -c "$fetchloop" &
py=$!
pids="$pids $py"
echo "$py" >"$tmp/pyroot.pid"
sleep 0.3
ptpriv "helper --pid root" "$tmp/pyroot.pid" 0 0000000000080000 \
	env -u SUDO_UID -u SUDO_GID "$bin" --json --calls=ptrace --pid "$py"
kill "$py" 2>/dev/null
: >"$tmp/cmd.pid"
chmod 666 "$tmp/cmd.pid" # the command runs as nobody
ptpriv "helper -- CMD sudo" "$tmp/cmd.pid" 65534 0000000000000000 \
	env SUDO_UID=65534 SUDO_GID=65534 "$bin" --json --calls=ptrace -- \
	sh -c 'echo $$ >"$1"; exec "$2" -c "$3"' sh "$tmp/cmd.pid" "$upy" "$fetchloop"
rm -f "$tmp/cmd.pid"
ptpriv "helper -- CMD root" "$tmp/cmd.pid" 0 0000000000080000 \
	env -u SUDO_UID -u SUDO_GID "$bin" --json --calls=ptrace -- \
	sh -c 'echo $$ >"$1"; exec python3 -c "$2"' sh "$tmp/cmd.pid" "$fetchloop"
echo "calls: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
