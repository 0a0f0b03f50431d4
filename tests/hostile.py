#!/usr/bin/env python3
"""hostile.py - generated captures that attack time and memory; fetchtrace must stay bounded.

  ooo-flood   a TCP handshake, then SEGMENTS one-byte segments of one connection sent out of
              order (each block of 1000 in reverse), then FINs: the out-of-order store hits
              its caps again and again.  Checks: exit 0 within the time limit, the summary
              is printed, the segments are noted "out-of-order", the summary says a
              reassembly cap gave bytes up, peak RSS under 64 MiB.
  syn-flood   100000 SYNs to distinct ports: the connection table (16384 by default) evicts.
              Checks: exit 0 within the time limit, "tcp: 100000 connections (83616 evicted
              by the table cap)", peak RSS under 64 MiB.
  frag-flood  FRAGS IP fragments, each the 1480-byte first fragment of a datagram never
              completed (distinct ids, 10 us apart), then the last fragment of 8 datagrams
              whose first one went long ago: the reassembly's slots and buffers stay under
              their caps (64 datagrams, 1 MiB).  Checks: exit 0 within the time limit, the
              summary's "ip fragments:" line counts every fragment and the drops by a cap,
              peak RSS under 64 MiB.
Each capture runs twice: under ASan+UBSan (build/san/fetchtrace: no sanitizer report, time
limit) and as the plain build (./fetchtrace: peak RSS, from /usr/bin/time or wait4).
TCP sequence wrap-around is covered by captures/crafted-tcp-seqwrap.pcap (golden test).
Prints "ok hostile ..." / "FAIL hostile ...", then "hostile: N passed, N failed[, N skipped]".
    python3 tests/hostile.py [--segments N]
"""
import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile
import shutil
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SAN_RE = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error")
RSS_LIMIT_KIB = 64 * 1024
T0 = 1700000000

CLI, SRV = bytes([192, 0, 2, 10]), bytes([192, 0, 2, 80])
ETH_C2S = bytes.fromhex("020000000001" "020000000010" "0800")
ETH_S2C = bytes.fromhex("020000000010" "020000000001" "0800")


def ip_sum(h):
    s = sum(struct.unpack(">10H", h))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(c2s, src, dst, sport, dport, seq, ack, flags, payload=b"", opts=b""):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (5 + len(opts) // 4) << 4, flags, 65535, 0, 0) + opts
    total = 20 + len(tcp) + len(payload)
    ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst))
    ip[10:12] = struct.pack(">H", ip_sum(bytes(ip)))
    return (ETH_C2S if c2s else ETH_S2C) + bytes(ip) + tcp + payload


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.t = 0

    def add(self, fr):
        self.t += 10
        self.f.write(struct.pack("<IIII", T0 + self.t // 1000000, self.t % 1000000, len(fr), len(fr)))
        self.f.write(fr)

    def close(self):
        self.f.close()


def gen_ooo(path, n):
    w = Writer(path)
    isn_c, isn_s, cp, sp = 0xFFFFF000, 1000, 40000, 8000  # the client's numbers wrap, too
    w.add(frame(True, CLI, SRV, cp, sp, isn_c, 0, 0x02))
    w.add(frame(False, SRV, CLI, sp, cp, isn_s, isn_c + 1, 0x12))
    w.add(frame(True, CLI, SRV, cp, sp, isn_c + 1, isn_s + 1, 0x10))
    head = b"GET / HTTP/1.1\r\nHost: example.test\r\n"
    stream = head + b"X" * (n - len(head))
    # one template per byte value: only the sequence number changes between segments
    tmpl = {}
    buf = []
    hdr = struct.Struct("<IIII")
    block = 1000
    t = w.t
    for start in range(0, n, block):
        for i in reversed(range(start, min(n, start + block))):
            b = stream[i:i + 1]
            if b not in tmpl:
                tmpl[b] = bytearray(frame(True, CLI, SRV, cp, sp, 0, isn_s + 1, 0x18, b))
            fr = tmpl[b]
            fr[38:42] = struct.pack(">I", (isn_c + 1 + i) & 0xFFFFFFFF)
            t += 10
            buf.append(hdr.pack(T0 + t // 1000000, t % 1000000, len(fr), len(fr)))
            buf.append(bytes(fr))
        if len(buf) > 20000:
            w.f.write(b"".join(buf))
            buf = []
    w.f.write(b"".join(buf))
    w.t = t
    end = isn_c + 1 + n
    w.add(frame(True, CLI, SRV, cp, sp, end, isn_s + 1, 0x11))
    w.add(frame(False, SRV, CLI, sp, cp, isn_s + 1, end + 1, 0x11))
    w.add(frame(True, CLI, SRV, cp, sp, end + 1, isn_s + 2, 0x10))
    w.close()


def gen_syn_flood(path, n):
    w = Writer(path)
    tmpl = bytearray(frame(True, CLI, SRV, 0, 0, 12345, 0, 0x02,
                           opts=bytes.fromhex("020405b4010303070402080a0000000100000000")))
    hdr = struct.Struct("<IIII")
    buf = []
    t = w.t
    for i in range(n):
        tmpl[34:38] = struct.pack(">HH", 1024 + i // 50000, 1 + i % 50000)
        t += 10
        buf.append(hdr.pack(T0 + t // 1000000, t % 1000000, len(tmpl), len(tmpl)))
        buf.append(bytes(tmpl))
    w.f.write(b"".join(buf))
    w.close()


def gen_frag_flood(path, n):
    w = Writer(path)
    data = bytes(range(256)) * 6
    udp = struct.pack(">HHHH", 53, 40000, 8 + 3000, 0) + data[:1472]
    hdr = struct.Struct("<IIII")
    buf = []
    t = w.t
    for i in range(n + 8):
        last = i >= n
        ident = i & 0xFFFF
        pl = data[:1000] if last else udp
        off = 0xB9 if last else 0  # 1480 / 8: the second half of a datagram
        ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(pl), ident,
                                   off if last else 0x2000, 64, 17, 0, SRV, CLI))
        ip[10:12] = struct.pack(">H", ip_sum(bytes(ip)))
        fr = ETH_S2C + bytes(ip) + pl
        t += 10
        buf.append(hdr.pack(T0 + t // 1000000, t % 1000000, len(fr), len(fr)))
        buf.append(fr)
        if len(buf) > 20000:
            w.f.write(b"".join(buf))
            buf = []
    w.f.write(b"".join(buf))
    w.close()


def run(binary, path, timeout, san):
    """(status, seconds, peak RSS KiB or None, stdout, stderr); status None on a timeout.
    The peak RSS comes from /usr/bin/time: a child forked from this (large) Python process
    would count the pages it shared with it before exec."""
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    if san:
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=99"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:exitcode=98"
    timer = shutil.which("time", path="/usr/bin:/bin")
    with tempfile.NamedTemporaryFile() as rssf, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err:
        cmd = [binary, "-r", path]
        if timer:
            cmd = [timer, "-q", "-f", "%M", "-o", rssf.name] + cmd
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        try:
            status = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            status = None
        secs = time.monotonic() - t0
        if status is not None and status < 0:
            status = status  # a signal (negative), reported as such
        rss = None
        if timer and status is not None:
            txt = open(rssf.name).read().split()
            rss = int(txt[-1]) if txt and txt[-1].isdigit() else None
            if txt and "signal" in " ".join(txt):  # GNU time: "Command terminated by signal N"
                status = -int(re.search(r"signal ([0-9]+)", " ".join(txt)).group(1))
        out.seek(0)
        err.seek(0)
        o = out.read().decode("utf-8", "replace")
        e = err.read().decode("utf-8", "replace")
    return status, secs, rss, o, e


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--segments", type=int, default=1000000)
    ap.add_argument("--syns", type=int, default=100000)
    ap.add_argument("--frags", type=int, default=20000)
    ap.add_argument("--timeout", type=int, default=120)
    a = ap.parse_args()
    san = os.path.join(ROOT, "build", "san", "fetchtrace")
    plain = os.path.join(ROOT, "fetchtrace")
    res = {"p": 0, "f": 0, "s": 0}

    def ok(msg):
        print("ok hostile " + msg)
        res["p"] += 1

    def fail(msg):
        print("FAIL hostile " + msg)
        res["f"] += 1

    def check(cond, msg, why):
        (ok if cond else fail)(msg if cond else "%s: %s" % (msg, why))

    tmp = tempfile.mkdtemp(prefix="ft-hostile.")
    try:
        t0 = time.monotonic()
        ooo = os.path.join(tmp, "ooo-flood.pcap")
        gen_ooo(ooo, a.segments)
        syn = os.path.join(tmp, "syn-flood.pcap")
        gen_syn_flood(syn, a.syns)
        frag = os.path.join(tmp, "frag-flood.pcap")
        gen_frag_flood(frag, a.frags)
        print("# generated %d one-byte segments and %d SYNs in %.1f s" % (
            a.segments, a.syns, time.monotonic() - t0))
        evicted = max(0, a.syns - 16384)
        cases = [
            ("ooo-flood", ooo, [
                ("summary", lambda o: re.search(r"^packets: %d read" % (a.segments + 6), o, re.M)),
                ("out-of-order noted", lambda o: "B to server [out-of-order]" in o),
                ("lost segment noted", lambda o: "B to server [previous segment not captured]" in o),
                ("connection summary", lambda o: re.search(
                    r"^  c1 .* sent %d B, received 0 B, .*closed by client first .*\[partial\]$" % a.segments,
                    o, re.M)),
                ("reassembly cap reported", lambda o: re.search(
                    r"^reassembly: a memory cap gave up held bytes [0-9]+ times", o, re.M)),
            ]),
            ("frag-flood", frag, [
                ("summary", lambda o: re.search(r"^packets: %d read" % (a.frags + 8), o, re.M)),
                ("drops by a cap reported", lambda o: re.search(
                    r"^ip fragments: %d read, 0 datagrams reassembled, .*[0-9]+ dropped by a cap"
                    % (a.frags + 8), o, re.M)),
            ]),
            ("syn-flood", syn, [
                ("summary", lambda o: re.search(r"^packets: %d read" % a.syns, o, re.M)),
                ("evictions reported", lambda o: re.search(
                    r"^dns: .*; tcp: %d connections%s$" % (a.syns, r" \(%d evicted by the table cap\)"
                                                            % evicted if evicted else ""), o, re.M)),
            ]),
        ]
        for name, path, checks in cases:
            for binary, is_san in ((san, True), (plain, False)):
                label = "%s (%s)" % (name, "asan" if is_san else "plain")
                if not os.access(binary, os.X_OK):
                    fail("%s: %s not built" % (label, binary))
                    continue
                st, secs, rss, out, err = run(binary, path, a.timeout, is_san)
                if st is None:
                    fail("%s: no end within %d s (a hang)" % (label, a.timeout))
                    continue
                m = SAN_RE.search(err)
                check(st == 0 and not m, "%s runs (%.1f s, peak RSS %s KiB)" % (label, secs, rss),
                      "exit %s%s" % (st, ", sanitizer: " + m.group(0) if m else "") +
                      ("; " + err.strip()[:300] if err.strip() else ""))
                if st != 0:
                    continue
                for cname, pred in checks:
                    tail = out[-4000:]
                    check(bool(pred(out if cname.endswith(" noted") else tail)),
                          "%s %s" % (label, cname), "not in the output; its end:\n" + tail[-600:])
                if not is_san and rss is None:  # ASan's shadow and quarantine: RSS says little
                    print("skip hostile %s peak RSS: /usr/bin/time missing (apt-get install time)" % label)
                    res["s"] += 1
                elif not is_san:
                    check(rss <= RSS_LIMIT_KIB, "%s peak RSS %d KiB <= %d KiB" % (
                        label, rss, RSS_LIMIT_KIB), "too much memory")
        print("hostile: %d passed, %d failed, %d skipped" % (res["p"], res["f"], res["s"]))
        return 1 if res["f"] else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
