#!/usr/bin/env python3
"""oracle.py - check fetchtrace's decoding against tshark's on the same captures.

For each capture: the DNS messages (id, name asked, query or answer), the HTTP
requests (method, target, Host) and responses (status), the TLS SNI names, and
every TCP segment's relative sequence and acknowledgement numbers, and every
ICMP message's type, code and quoted ports must be the same in both; for the
HTTP/2 captures, every stream's :method, :path and :status and its DATA byte
counts each way.  For QUIC
(issue 11), with the capture's key log given to both (tshark -o tls.keylog_file,
fetchtrace --keylog): the packet types of every datagram, the SNI of the
ClientHello in the Initials, and where both decrypted a packet its packet number
and the types of its frames.  For HTTP/3, which tshark 4.0 does not decode,
every request's method, path and status against the server's access log.  For a pcapng of
several interfaces (issue 16), every frame's interface id and name.  Prints one line per check and "oracle: N passed,
N failed".

Relative numbers: both number a direction from its SYN, or without one from the
first segment it sends or the first ACK its peer sends, whichever comes first.
A segment or ACK from before that start is old: fetchtrace prints it signed
(-999), tshark 4.0 as a 32-bit difference (4294966297); they must agree modulo
2^32, and only a negative fetchtrace number may differ from tshark's that way.
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BIN = os.environ.get("FETCHTRACE", os.path.join(ROOT, "build/san/fetchtrace"))
if not os.path.isabs(BIN):
    BIN = os.path.join(ROOT, BIN)

CAPTURES = [
    "cold-fetch.pcap", "cname.pcap", "nxdomain.pcap", "dns-tcp.pcap", "dns-records.pcap",
    "keepalive.pcap", "ipv6.pcap", "refused.pcap", "lab-head-304-404.pcap", "lab-post.pcap",
    "lab-pipelined.pcap", "lab-slow-writer.pcap", "lab-chunked-gzip.pcap", "lab-large.pcap",
    "lab-http10-close.pcap", "lab-https-tls13.pcap", "lab-https-tls12.pcap",
    "crafted-http-orphan.pcap",
    "loopback-parallel.pcap",  # 80 connections at once (issue 9, bug 5)
    # mid-stream and reordered (issue 9): old numbers, reordering around the first segment
    "midstream.pcap", "crafted-tcp-midstream-old.pcap", "crafted-tcp-reorder.pcap",
    "crafted-tcp-reorder-midstream.pcap",
    # mid-stream, the server on a high port (issue 9): the packets tell client from server
    "crafted-tcp-midstream-roles.pcap", "crafted-tcp-midstream-startlost.pcap",
    # link types and tunnels (issue 13): a fetch inside VXLAN, BIG TCP super-segments (IPv4
    # total length 0) on the sender, and crafted ones for every encapsulation and link type
    # (crafted-links.pcapng is checked one link type at a time by links_check: tshark 4.0
    # reads neither PPP_PPPD, SLIP, the DSA tags, MPLS nor netANALYZER, tcpdump does)
    "lab-vxlan.pcap", "lab-bigtcp.pcap", "crafted-tunnels.pcap", "crafted-tso.pcap",
    "crafted-wifi.pcap",
    # a DNS answer in IP fragments, v4 and v6 (issue 13): named on its last fragment's frame
    "lab-frag-dns.pcap",
    # through proxies (issue 13): HTTP inside SOCKS, a forward proxy's absolute-form GET,
    # and a CONNECT tunnel (its TLS SNI)
    "lab-proxy-socks.pcap", "lab-proxy-forward.pcap", "lab-proxy-connect.pcap",
]

# HTTP/2 in cleartext, with the port tshark must be told (-d tcp.port==N,http2)
# for prior knowledge; None: tshark finds it itself (the Upgrade: h2c path).
H2_CAPTURES = {
    "lab-h2c.pcap": 8080,
    "lab-h2c-upgrade.pcap": None,
    "h2c-prior-knowledge.pcap": 18187,
    "h2c-doh.pcap": (18443, 18189),  # DoH (GET, POST), then four streams on one connection
    # over TLS, decrypted with the key log beside the capture (issue 10): port 443 is HTTP/2
    # to tshark by its ALPN
    "lab-h2-curl.pcap": None,
    "lab-h2-chromium.pcap": None,
    "lab-doh.pcap": None,
    "lab-tls12-gcm.pcap": None,
    "lab-tls12-chacha.pcap": None,
    "lab-tls13-chacha.pcap": None,
}
H2_KEYED = {"lab-h2-curl.pcap", "lab-h2-chromium.pcap", "lab-doh.pcap", "lab-tls12-gcm.pcap",
            "lab-tls12-chacha.pcap", "lab-tls13-chacha.pcap"}

# Checked for HTTP only (none today: mid-stream connections are numbered as
# tshark numbers them since issue 9's bug 3)
HTTP_ONLY = set()


# tshark options per capture: it puts segments back in order only when asked
TSHARK_OPTS = {
    "crafted-tcp-reorder.pcap": ["-o", "tcp.reassemble_out_of_order:TRUE"],
}

# checks left out, and why (printed as "skip")
SKIP = {
    ("lab-proxy-connect.pcap", "http requests"):
        "tshark counts the CONNECT request and the proxy's 200 as HTTP messages; fetchtrace "
        "tells them as the proxy handshake (the proxy check compares the host asked for)",
    ("lab-proxy-connect.pcap", "http responses"): "as http requests",
    ("lab-proxy-connect.pcap", "http pairing"): "as http requests",
    ("crafted-tcp-reorder-midstream.pcap", "http requests"):
        "tshark 4.0 reorders only from a SYN; fetchtrace numbers this stream from the "
        "server's ACK and decodes the request",
    ("crafted-tcp-reorder-midstream.pcap", "http responses"):
        "tshark 4.0 reorders only from a SYN; fetchtrace numbers this stream from the "
        "client's ACK and decodes the response",
    ("crafted-tcp-reorder-midstream.pcap", "http pairing"):
        "tshark 4.0 reorders only from a SYN: it decodes no request to pair with",
}

# the server's own capture, cut at 512 bytes a packet: tshark reassembles no HTTP response
# from segments whose bytes are missing; fetchtrace reads the head in the first one
for _what in ("http responses", "http pairing"):
    SKIP[("lab-bigtcp.pcap", _what)] = (
        "tshark 4.0 decodes no response from snap-cut segments; fetchtrace reads the head "
        "from the first")

# the last super-segment: IPv6 payload length 0 and no Jumbo option (what recent Linux sends
# with BIG TCP); tshark 4.0 calls it malformed, tcpdump 4.99 cuts it ([|tcp]), fetchtrace takes
# the frame's length as both do for IPv4's total length 0
for _what in ("http responses", "http pairing", "tcp seq/ack"):
    SKIP[("crafted-tso.pcap", _what)] = (
        "tshark 4.0 does not read an IPv6 payload length of 0 without a Jumbo option")

SKIP[("crafted-links.pcapng", "mpls (link type 219, as tcpdump reads it)")] = (
    "neither tshark 4.0 nor tcpdump 4.99 reads LINKTYPE_MPLS; fetchtrace reads it as defined "
    "(an RFC 3032 label stack, then IP)")

passed = failed = skipped = 0


def check(name, ok, detail=""):
    global passed, failed, skipped
    cap, _, what = name.partition(" ")
    if (cap, what) in SKIP:
        skipped += 1
        print("skip oracle %s: %s" % (name, SKIP[(cap, what)]))
        return
    if ok:
        passed += 1
        print("ok oracle %s" % name)
    else:
        failed += 1
        print("FAIL oracle %s %s" % (name, detail))


def tshark(path, display_filter, fields):
    cmd = ["tshark", "-n", "-r", path] + TSHARK_OPTS.get(os.path.basename(path), []) + [
        "-Y", display_filter, "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("|") for line in out.splitlines() if line.strip()]


def fetchtrace(path, *args, keylog=None):
    env = dict(os.environ, TZ="UTC", LC_ALL="C", ASAN_OPTIONS="detect_leaks=1")
    if keylog:
        args = ("--keylog", keylog) + args
    out = subprocess.run([BIN, "-r", path] + list(args), capture_output=True, text=True,
                         env=env, check=True)
    return out.stdout.splitlines()


# QUIC captures, their key logs (None: without keys, Initials only), and
# whether a whole ClientHello is in them (in lab-quic and lab-quic-fallback the
# server never answers: the ClientHello's second Initial is never sent)
QUIC_CAPTURES = [
    ("lab-quic.pcap", None, False),
    ("lab-h3-chromium.pcap", None, True),
    ("lab-h3-chromium.pcap", "lab-h3-chromium.keys", True),
    ("lab-quic-fallback.pcap", "lab-quic-fallback.keys", False),
]
LONG_TYPES = {"0": "initial", "1": "0rtt", "2": "handshake", "3": "retry"}


def quic_oracle(cap, keys, has_sni):
    """Packet types, Initial SNI, packet numbers and frame types against tshark."""
    path = os.path.join(ROOT, "captures", cap)
    kpath = os.path.join(ROOT, "captures", keys) if keys else None
    tag = "%s%s" % (cap, " with keys" if keys else "")
    cmd = ["tshark", "-n", "-r", path, "-Y", "quic && !icmp && !icmpv6", "-T", "fields",
           "-E", "separator=|", "-e", "quic.header_form", "-e", "quic.long.packet_type",
           "-e", "quic.packet_number", "-e", "quic.frame_type",
           "-e", "tls.handshake.extensions_server_name"]
    if kpath:
        cmd[1:1] = ["-o", "tls.keylog_file:" + kpath]
    rows = [l.split("|") for l in subprocess.run(cmd, capture_output=True, text=True,
                                                  check=True).stdout.splitlines() if l.strip()]
    want_types, want_sni, want_pn = [], [], []
    for forms, ltypes, pns, _frames, sni in rows:
        lt = iter(ltypes.split(",") if ltypes else [])
        want_types.append([LONG_TYPES.get(next(lt, "?"), "?") if f == "1" else "short"
                           for f in forms.split(",")])
        want_sni += [x for x in sni.split(",") if x]
        want_pn.append([int(x) for x in pns.split(",") if x])
    objs = [json.loads(l) for l in fetchtrace(path, "--json", keylog=kpath)]
    got_types, got_sni, got_pn = [], [], []
    got_frames = []
    for o in objs:
        if o.get("type") != "packet" or "quic" not in o:
            continue
        pk = o["quic"]["packets"]
        got_types.append([p["type"] for p in pk])
        got_pn.append([p["pn"] for p in pk if "pn" in p])
        got_frames.append([f["frame_type"] for p in pk for f in p.get("frames", [])])
        got_sni += [t["sni"] for p in pk for t in p.get("tls", []) if t.get("sni")]
    check("%s quic packet types" % tag, want_types == got_types,
          "tshark %s\n  fetchtrace %s" % (want_types, got_types))
    check("%s quic initial sni" % tag, want_sni == got_sni and bool(got_sni) == has_sni,
          "tshark %s\n  fetchtrace %s" % (want_sni, got_sni))
    # Packet numbers and frames where fetchtrace decrypted the whole datagram:
    # tshark lists a number for every packet it decrypted (it decrypts no
    # fewer than fetchtrace: the same key log).
    n = 0
    bad = []
    for i, (row, gp, gf) in enumerate(zip(rows, got_pn, got_frames)):
        if len(gp) != len(got_types[i]):
            continue
        wf = [int(x) for x in row[3].split(",") if x]
        n += 1
        if want_pn[i] != gp or wf != gf:
            bad.append((i, want_pn[i], gp, wf, gf))
    check("%s quic packet numbers and frames (%d datagrams)" % (tag, n),
          not bad and n > 0 and (n == len(rows) if keys else True), "%s" % bad[:3])


# HTTP/3 (issue 11): tshark 4.0 decrypts QUIC but does not decode HTTP/3 header
# blocks, so every request's method, path and status is checked against the
# server's own access log, recorded with the capture (Caddy's JSON log:
# request.method, request.uri, status; HTTP/3 requests only).
H3_CAPTURES = [("lab-h3-chromium.pcap", "lab-h3-chromium.keys", "lab-h3-chromium.access.log")]


def h3_exchanges(objs):
    """(method, path, status) of every HTTP/3 request in fetchtrace's JSON,
    the status from the response headers on the same connection and stream."""
    req, status = {}, {}
    for o in objs:
        if o.get("type") != "packet" or "quic" not in o:
            continue
        conn = o["quic"].get("conn")
        for e in o["quic"].get("h3", []):
            h = e.get("head")
            if not h or e["event"] not in ("frame", "headers"):
                continue
            k = (conn, e["stream"])
            if h["kind"] == "request":
                req[k] = (h["method"], h["path"])
            elif h["kind"] == "response":
                status[k] = h["status"]
    return sorted((m, p, status.get(k)) for k, (m, p) in req.items())


def h3_access_check(cap, keys, log):
    path = os.path.join(ROOT, "captures", cap)
    want = []
    with open(os.path.join(ROOT, "captures", log)) as f:
        for line in f:
            if not line.strip():
                continue
            e = json.loads(line)
            r = e.get("request")
            if r and str(r.get("proto", "")).startswith("HTTP/3"):
                want.append((r["method"], r["uri"], e["status"]))
    want.sort()
    objs = [json.loads(l) for l in fetchtrace(path, "--json",
                                              keylog=os.path.join(ROOT, "captures", keys))]
    got = h3_exchanges(objs)
    check("%s h3 requests and statuses against %s (%d)" % (cap, log, len(want)),
          want == got and len(want) > 0, "access log %s\n  fetchtrace %s" % (want, got))


PKT = re.compile(r"^ *\d+\.\d+ +(resolve|connect|write|read|close) ")


# ICMP and ICMPv6 (issue 11): type, code, the echo id/seq, the MTU of a too-big,
# and the ports of the packet an error quotes (tshark's udp/tcp fields inside
# the ICMP message), message by message, against the JSON output's icmp object.
ICMP_CAPTURES = ["crafted-icmp.pcap", "lab-quic-fallback.pcap", "lab-quic.pcap",
                 "crafted-altsvc.pcap"]


def icmp_check(cap):
    import json
    path = os.path.join(ROOT, "captures", cap)
    want = []
    for t4, c4, t6, c6, us, ud, ts, td, ident, seq, mtu6, mtu4 in tshark(
            path, "icmp || icmpv6",
            ["icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code", "udp.srcport",
             "udp.dstport", "tcp.srcport", "tcp.dstport", "icmp.ident", "icmp.seq",
             "icmpv6.mtu", "icmp.mtu"]):
        typ, code = (t4, c4) if t4 else (t6, c6)
        sport, dport = (us, ud) if us else (ts, td)
        # tshark prints the identifier twice (big- and little-endian readings)
        ident = ident.split(",")[0]
        mtu = mtu6 or mtu4
        want.append((int(typ), int(code), int(sport) if sport else None,
                     int(dport) if dport else None, int(ident) if ident else None,
                     int(seq.split(",")[0]) if seq else None, int(mtu) if mtu else None))
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    out = subprocess.run([BIN, "--json", "--all", "-r", path], capture_output=True, text=True,
                         env=env, check=True).stdout
    got = []
    for line in out.splitlines():
        o = json.loads(line)
        m = o.get("icmp") if o.get("type") == "packet" else None
        if m is None:
            continue
        q = m.get("quote") or {}
        got.append((m["type"], m["code"], q.get("sport"), q.get("dport"), m.get("echo_id"),
                    m.get("echo_seq"), m.get("mtu")))
    check("%s icmp" % cap, len(want) > 0 and want == got, "tshark %s\n  fetchtrace %s" % (want, got))
# IP fragments (issue 13): frame by frame, which ones tshark (two passes) holds for a later
# frame and which ones carry a reassembled datagram (fragment count and reassembled length)
FRAG_CAPTURES = ["lab-frag-dns.pcap"]


def frag_check(cap):
    import json
    path = os.path.join(ROOT, "captures", cap)
    cmd = ["tshark", "-2", "-n", "-r", path, "-T", "fields", "-E", "separator=|"]
    for f in ["frame.number", "ip.reassembled_in", "ipv6.reassembled.in", "ip.fragment.count",
              "ipv6.fragment.count", "ip.reassembled.length", "ipv6.reassembled.length"]:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    want = []
    for line in out.splitlines():
        fr, in4, in6, n4, n6, l4, l6 = line.split("|")
        held_in = in4 or in6
        if n4 or n6:
            want.append(("reassembled", int(n4 or n6), int(l4 or l6)))
        elif held_in and held_in != fr:
            want.append(("held",))
        else:
            want.append(None)
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    out = subprocess.run([BIN, "--json", "--all", "-r", path], capture_output=True, text=True,
                         env=env, check=True).stdout
    got = []
    for line in out.splitlines():
        o = json.loads(line)
        if o.get("type") != "packet":
            continue
        f = o.get("ip_frag")
        if f is None:
            got.append(None)
        elif f["state"] == "reassembled":
            got.append(("reassembled", f["n_frags"], f["len"]))
        else:
            got.append((f["state"],))
    check("%s fragments" % cap, any(want) and want == got,
          "tshark %s\n  fetchtrace %s" % (want, got))


# Proxies (issue 13): per TCP connection, the host and port the client asked the proxy for,
# from tshark's SOCKS dissector (the first name or address and port it shows on the
# connection) and its CONNECT requests, against fetchtrace's proxy requests (JSON)
PROXY_CAPTURES = ["lab-proxy-socks.pcap", "lab-proxy-connect.pcap"]


def proxy_check(cap):
    import json
    path = os.path.join(ROOT, "captures", cap)
    per = {}
    for st, name, dst, port in tshark(path, "socks.command",
                                      ["tcp.stream", "socks.remote_name", "socks.dst",
                                       "socks.dstport"]):
        h, p = per.setdefault(int(st), [None, None])
        per[int(st)] = [h or name or dst or None, p or (int(port) if port else None)]
    for st, uri in tshark(path, "http.request.method == \"CONNECT\"",
                          ["tcp.stream", "http.request.uri"]):
        host, _, port = uri.rpartition(":")
        per.setdefault(int(st), [host.strip("[]"), int(port)])
    want = [tuple(per[k]) for k in sorted(per)]
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    out = subprocess.run([BIN, "--json", "--all", "-r", path], capture_output=True, text=True,
                         env=env, check=True).stdout
    got = []
    for line in out.splitlines():
        o = json.loads(line)
        px = o.get("proxy") if o.get("type") == "packet" else None
        if px and "request" in px["messages"]:
            got.append((px["host"], px["port"]))
    check("%s proxy" % cap, len(want) > 0 and want == got,
          "tshark %s\n  fetchtrace %s" % (want, got))


def as_list(v):
    return v if isinstance(v, list) else [] if v is None else [v]


def h2_tshark(path, port, keys=None):
    """{(tcp stream, h2 stream): {":method": .., ":path": .., ":status": .., "data": [c2s, s2c]}}"""
    cmd = ["tshark", "-n", "-r", path, "-Y", "http2", "-T", "json", "--no-duplicate-keys"]
    if keys:
        cmd[1:1] = ["-o", "tls.keylog_file:" + keys]
    ports = port if isinstance(port, tuple) else (port,) if port else ()
    for p in ports:
        cmd[1:1] = ["-d", "tcp.port==%d,http2" % p]
    pkts = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    out = {}
    for p in pkts:
        lay = p["_source"]["layers"]
        conn = int(lay["tcp"]["tcp.stream"])
        to_server = int(lay["tcp"]["tcp.dstport"]) in ports if ports else None
        for h in as_list(lay.get("http2")):
            for f in as_list(h.get("http2.stream")):
                if "http2.type" not in f or f.get("http2.streamid") in (None, "0"):
                    continue
                sid = int(f["http2.streamid"])
                st = out.setdefault((conn, sid), {"data": [0, 0]})
                if f["http2.type"] == "0":
                    n = int(f["http2.length"])
                    if int(f.get("http2.flags", "0x0"), 16) & 0x08:
                        n -= int(f.get("http2.pad_length", "0")) + 1
                    if to_server is None:  # no port: the response side (the upgrade's GET is HTTP/1.1)
                        to_server = False
                    st["data"][0 if to_server else 1] += n
                for hd in as_list(f.get("http2.header")):
                    name = hd.get("http2.header.name", "")
                    if name in (":method", ":path", ":status"):
                        st[name] = hd.get("http2.header.value", "")
    return out


def h2_fetchtrace(path, keys=None):
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    lines = subprocess.run([BIN, "--json", "-r", path] + (["--keylog", keys] if keys else []),
                           capture_output=True, text=True, env=env,
                           check=True).stdout.splitlines()
    out = {}
    for line in lines:
        o = json.loads(line)
        for v in o.get("h2", []):
            if v.get("kind") != "frame" or not v.get("stream") or v.get("type") == "PUSH_PROMISE":
                continue
            st = out.setdefault((o["conn"] - 1, v["stream"]), {"data": [0, 0]})
            if v["type"] == "DATA":
                st["data"][0 if v["dir"] == "client" else 1] += v["data_len"]
            hd = v.get("head")
            if hd:
                for k in ("method", "path"):
                    if k in hd:
                        st[":" + k] = hd[k]
                if "status" in hd and hd.get("kind") in ("response", "informational"):
                    st[":status"] = str(hd["status"])
    return out


def iface_check(cap, single):
    """Each packet's interface (issue 16): tshark's frame.interface_id and
    frame.interface_name per frame against the "interface" of fetchtrace's JSON
    packet of the same time stamp; a file of one interface has none."""
    path = os.path.join(ROOT, "captures", cap)
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=|",
                          "-e", "frame.time_epoch", "-e", "frame.interface_id",
                          "-e", "frame.interface_name"],
                         capture_output=True, text=True, check=True).stdout
    want = []
    for line in out.splitlines():
        ts, i, name = line.split("|")
        sec, _, frac = ts.partition(".")
        want.append(("%s.%s" % (sec, (frac + "000000")[:6]), int(i),
                     None if single else name))
    got = []
    for line in fetchtrace(path, "--json", "--all"):
        if not line.startswith('{"type":"packet"'):
            continue
        ts = re.match(r'\{"type":"packet",(?:"frame":[0-9]+,)?"ts":(-?[0-9]+\.[0-9]{6}),', line).group(1)
        ifc = json.loads(line).get("interface")
        if single:
            got.append((ts, 0 if ifc is None else -1, None))
        else:
            got.append((ts, ifc["id"] if ifc else -1, ifc.get("name") if ifc else None))
    ids = {i for _, i, _ in want}
    check("%s interface" % cap, want == got and len(want) > 0 and len(ids) == (1 if single else 2),
          "tshark %s\n  fetchtrace %s" % (want, got))


def links_check():
    """Each link type of crafted-links.pcapng as a pcap of its own (tests/crafted/gen_links.py):
    the DNS messages and HTTP requests fetchtrace finds are the ones tshark finds, or, for the
    link types tshark 4.0 does not read, the ones tcpdump prints."""
    import tempfile
    sys.path.insert(0, os.path.join(ROOT, "tests", "crafted"))
    import gen_links  # noqa: E402
    have_tcpdump = subprocess.run(["sh", "-c", "command -v tcpdump"],
                                  capture_output=True).returncode == 0
    with tempfile.TemporaryDirectory() as d:
        for name, lt, path in gen_links.write_split(d):
            pkts = [l for l in fetchtrace(path) if PKT.match(l)]
            got = [(int(m.group(2), 16), m.group(1))
                   for l in pkts for m in re.finditer(r"\b(query|answer) #([0-9a-f]{4}) ", l)]
            got += [("GET", h) for l in pkts
                    for h in re.findall(r"#\d+ GET / HTTP/1\.1 Host: (\S+)", l)]
            try:
                want = [(int(i, 16), "answer" if r == "1" else "query")
                        for i, r in tshark(path, "dns", ["dns.id", "dns.flags.response"])]
                want += [("GET", h) for (h,) in tshark(path, "http.request", ["http.host"])]
            except subprocess.CalledProcessError:  # "network type N unknown or unsupported"
                want = []
            who = "tshark"
            if not want and have_tcpdump:
                who = "tcpdump"
                out = subprocess.run(["tcpdump", "-nn", "-r", path], capture_output=True,
                                     text=True).stdout
                want = []
                for l in out.splitlines():
                    m = re.search(r": (\d+)([+*]?) (?:A\?|\d+/\d+/\d+ A )", l)
                    if m:
                        want.append((int(m.group(1)), "answer" if m.group(2) == "*" else "query"))
                    m = re.search(r"HTTP: GET / HTTP/1\.1", l)
                    if m:
                        want.append(("GET", "l%d.lab.test" % ([n for n, _, _ in gen_links.LINKS]
                                                              .index(name) + 1)))
            check("crafted-links.pcapng %s (link type %d, as %s reads it)" % (name, lt, who),
                  bool(want) and want == got, "%s %s\n  fetchtrace %s" % (who, want, got))


def main():
    if subprocess.run(["sh", "-c", "command -v tshark"], capture_output=True).returncode:
        print("skip oracle: tshark not installed")
        print("oracle: 0 passed, 0 failed, 1 skipped")
        return 0
    for cap in ICMP_CAPTURES:
        icmp_check(cap)
    for cap in FRAG_CAPTURES:
        frag_check(cap)
    for cap in PROXY_CAPTURES:
        proxy_check(cap)
    # the interface of each frame: two of different link types; one (no "interface")
    iface_check("multi-iface.pcapng", False)
    iface_check("cold-fetch.pcapng", True)
    links_check()
    for cap in CAPTURES:
        path = os.path.join(ROOT, "captures", cap)
        lines = fetchtrace(path)
        pkts = [l for l in lines if PKT.match(l)]

        # DNS: (id, name, query/answer) in packet order
        want = [(int(i, 16), n.lower(), "answer" if r == "1" else "query")
                for i, n, r in tshark(path, "dns", ["dns.id", "dns.qry.name", "dns.flags.response"])]
        got = [(int(m.group(2), 16), m.group(3).lower(), m.group(1))
               for l in pkts for m in re.finditer(r"\b(query|answer) #([0-9a-f]{4}) (\S+) ", l)]
        check("%s dns" % cap, want == got, "tshark %s\n  fetchtrace %s" % (want, got))

        # HTTP requests and responses, in order
        # several requests in one segment come as comma-separated values
        want = [t for m, u, h in tshark(
            path, "http.request", ["http.request.method", "http.request.uri", "http.host"])
            for t in zip(m.split(","), u.split(","), h.split(","))]
        got = [(m.group(1), m.group(2), m.group(3) or "")
               for l in pkts for m in re.finditer(
                   r"#\d+ ([A-Z]+) (\S+) HTTP/1\.\d(?: Host: ([^\s;]+))?", l)]
        check("%s http requests" % cap, want == got, "tshark %s\n  fetchtrace %s" % (want, got))
        resp = tshark(path, "http.response", ["http.response.code", "http.request_in"])
        want = [int(c) for cs, _ in resp for c in cs.split(",")]
        got_resp = [(int(m.group(2)), int(m.group(1)) if m.group(1) else None)
                    for l in pkts for m in re.finditer(
                        r"(?:#(\d+) |\[response without a captured request\] )HTTP/1\.\d (\d{3})",
                        l)]
        got = [c for c, _ in got_resp]
        check("%s http responses" % cap, want == got, "tshark %s\n  fetchtrace %s" % (want, got))

        # which request each response answers: where tshark names the
        # request's frame, fetchtrace's exchange number is that request's
        # (the first one in that frame); tshark leaves some pipelined
        # responses unpaired, so an answer it does not name is not checked
        # (exchanges are numbered per connection: tshark's tcp.stream)
        first = {}
        n_req = {}
        for fr, st, ms in tshark(path, "http.request",
                                 ["frame.number", "tcp.stream", "http.request.method"]):
            first.setdefault(int(fr), n_req.get(st, 0) + 1)
            n_req[st] = n_req.get(st, 0) + len(ms.split(","))
        want = []
        for cs, ins in resp:
            codes, reqs = cs.split(","), ins.split(",") if ins else []
            for k in range(len(codes)):
                r = reqs[k] if len(reqs) == len(codes) else ""
                want.append(first.get(int(r)) if r else None)
        pairs = [(w, g) for w, (_, g) in zip(want, got_resp) if w is not None]
        check("%s http pairing" % cap, all(w == g for w, g in pairs) and len(want) == len(got_resp),
              "tshark %s\n  fetchtrace %s" % (want, [g for _, g in got_resp]))

        if cap in HTTP_ONLY:
            continue

        # TLS SNI
        want = [s for (s,) in tshark(path, "tls.handshake.type == 1",
                                     ["tls.handshake.extensions_server_name"])]
        got = [m.group(1) for l in pkts for m in re.finditer(r"TLS ClientHello SNI (\S+)", l)]
        check("%s tls sni" % cap, want == got, "tshark %s\n  fetchtrace %s" % (want, got))

        # TCP relative sequence and acknowledgement numbers, segment by segment
        want = []
        for seq, ack, flags in tshark(path, "tcp", ["tcp.seq", "tcp.ack", "tcp.flags.ack"]):
            want.append((int(seq), int(ack) if flags in ("1", "True") and ack else None))
        got = []
        for l in pkts:
            m = re.search(r" (?:[A-Z]+-)*[A-Z]+ seq (-?\d+)(?::-?\d+)?(?: ack (-?\d+))? win ", l)
            if m:
                got.append((int(m.group(1)), int(m.group(2)) if m.group(2) else None))
        # an old number (before the start) is negative here, 2^32 less than tshark's
        got = [tuple(n + (1 << 32) if n is not None and n < 0 else n for n in t) for t in got]
        check("%s tcp seq/ack" % cap, want == got,
              "first difference at segment %s" % next(
                  (i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got))))
    for cap, keys, has_sni in QUIC_CAPTURES:
        quic_oracle(cap, keys, has_sni)
    # HTTP/2: per stream, what tshark decodes of the header blocks and the DATA
    for cap, port in H2_CAPTURES.items():
        path = os.path.join(ROOT, "captures", cap)
        keys = path[:-len(".pcap")] + ".keys" if cap in H2_KEYED else None
        want = h2_tshark(path, port, keys)
        got = h2_fetchtrace(path, keys)
        if port is None:  # tshark's direction is unknown there: compare the sums
            for d in (want, got):
                for st in d.values():
                    st["data"] = [0, sum(st["data"])]
        check("%s http2 streams" % cap, want == got and len(want) > 0,
              "tshark %s\n  fetchtrace %s" % (want, got))

    # DNS over HTTPS: the DNS messages in HTTP bodies (tshark does not decode
    # the GET ?dns= form, so fetchtrace's queries taken from a target are left out)
    for cap, port in (("h2c-doh.pcap", 18443), ("crafted-doh-http1.pcap", None)):
        path = os.path.join(ROOT, "captures", cap)
        cmd = ["tshark", "-n", "-r", path, "-Y", "dns", "-T", "fields", "-E", "separator=|",
               "-e", "dns.id", "-e", "dns.qry.name", "-e", "dns.flags.response"]
        if port:
            cmd[1:1] = ["-d", "tcp.port==%d,http2" % port]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        want = [(int(i, 16), n.lower(), "answer" if r in ("1", "True") else "query")
                for i, n, r in (l.split("|") for l in out.splitlines() if l.strip())]
        got = [(int(m.group(2), 16), m.group(3).lower(), m.group(1))
               for l in fetchtrace(path) if PKT.match(l)
               for m in re.finditer(r"\| DoH (query|answer) #([0-9a-f]{4}) (\S+) ", l)
               if not (m.group(1) == "query" and "dns=" in l)]
        check("%s doh messages" % cap, want == got and len(want) > 0,
              "tshark %s\n  fetchtrace %s" % (want, got))

    # HTTP/3: every request against the server's own access log
    for cap, keys, log in H3_CAPTURES:
        h3_access_check(cap, keys, log)
    print("oracle: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
