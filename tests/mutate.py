#!/usr/bin/env python3
"""mutate.py - hostile copies of every capture: fetchtrace must not crash, hang or trip a sanitizer.

For each captures/*.pcap, 12 deterministic mutants (seeded by the file name):
   1 flip8       8 random bits flipped in packet bytes (never the file header)
   2 flipall     one bit flipped in every record
   3 cut-file    the file cut in the middle of a record (fetchtrace exits 1: fine)
   4 caplen-big  one record's caplen set beyond the end of the file
   5 ip-len      IPv4 total length / IPv6 payload length set to 0, 1, 0xffff ...
   6 tcp-hdr     TCP data offset set to 0, 1, 4, 15; option lengths set to 0 and 1
   7 udp-len     UDP length set to 0, 7, 0xffff ...
   8 dns-counts  DNS section counts set to 0xffff, 0, ... (UDP and TCP port 53)
   9 tls-len     TLS record and handshake lengths set to 0, 1, 0xffff ...
  10 http-len    HTTP Content-Length digits set to 9s, chunk sizes to f's
  11 reorder     records duplicated and shuffled
  12 cut-recs    records cut mid-way as a snap length would (caplen < len)
and for each *.pcapng 12: 6 with bits flipped anywhere past the section header, 6 cut short.

Each mutant runs `build/san/fetchtrace -r FILE` (ASan + UBSan) under a time limit.
Passes when the exit status is 0 or 1 and stderr has no sanitizer report.
Prints "ok mutate NAME#N" / "FAIL mutate NAME#N: why", then "mutate: N passed, N failed".
    python3 tests/mutate.py [-j JOBS] [--bin PATH] [--keep DIR] [--timeout SECS] [--only GLOB]
"""
import argparse
import concurrent.futures as cf
import fnmatch
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SAN_RE = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error|"
                    r"SUMMARY: UndefinedBehaviorSanitizer|ERROR: libFuzzer")
EXTREMES16 = [0, 1, 0xFFFF, 0x7FFF, 0x8000]


# ---------------------------------------------------------------------------
# classic pcap in and out
# ---------------------------------------------------------------------------

class Pcap:
    def __init__(self, raw):
        magic = raw[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            self.e = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            self.e = ">"
        else:
            raise ValueError("not a classic pcap")
        self.header = raw[:24]
        self.linktype = struct.unpack(self.e + "I", raw[20:24])[0] & 0xFFFF
        self.recs = []  # [sec, frac, bytearray data, orig_len]
        off = 24
        while off + 16 <= len(raw):
            sec, frac, caplen, orig = struct.unpack(self.e + "IIII", raw[off:off + 16])
            off += 16
            if caplen > len(raw) - off:
                break
            self.recs.append([sec, frac, bytearray(raw[off:off + caplen]), orig])
            off += caplen

    def build(self, recs=None, caplen_override=None):
        out = [self.header]
        for i, (sec, frac, data, orig) in enumerate(self.recs if recs is None else recs):
            cl = len(data) if caplen_override is None or caplen_override[0] != i else caplen_override[1]
            out.append(struct.pack(self.e + "IIII", sec, frac, cl, orig))
            out.append(bytes(data))
        return b"".join(out)


def ip_offset(linktype, fr):
    """Offset of the IP header in a frame, by simple parsing; None when unknown."""
    if linktype == 1:
        off = 12
        while off + 2 <= len(fr):
            et = struct.unpack(">H", fr[off:off + 2])[0]
            if et in (0x8100, 0x88A8, 0x9100):
                off += 4
                continue
            return off + 2 if et in (0x0800, 0x86DD) else None
        return None
    return {113: 16, 276: 20, 12: 0, 14: 0, 101: 0, 228: 0, 229: 0, 0: 4, 108: 4}.get(linktype)


def layers(linktype, fr):
    """dict with ip (offset), ver, l4 (offset), proto, pl (payload offset), sport, dport."""
    ip = ip_offset(linktype, fr)
    if ip is None or ip >= len(fr):
        return None
    d = {"ip": ip, "ver": fr[ip] >> 4}
    if d["ver"] == 4 and len(fr) >= ip + 20:
        d["l4"], d["proto"] = ip + (fr[ip] & 15) * 4, fr[ip + 9]
    elif d["ver"] == 6 and len(fr) >= ip + 40:
        d["l4"], d["proto"] = ip + 40, fr[ip + 6]
    else:
        return d
    l4 = d["l4"]
    if d["proto"] == 6 and len(fr) >= l4 + 20:
        d["sport"], d["dport"] = struct.unpack(">HH", fr[l4:l4 + 4])
        d["pl"] = l4 + (fr[l4 + 12] >> 4) * 4
    elif d["proto"] == 17 and len(fr) >= l4 + 8:
        d["sport"], d["dport"] = struct.unpack(">HH", fr[l4:l4 + 4])
        d["pl"] = l4 + 8
    return d


def put16(fr, off, v):
    if off + 2 <= len(fr):
        fr[off:off + 2] = struct.pack(">H", v)


# ---------------------------------------------------------------------------
# mutations of a classic pcap: each returns the new file's bytes
# ---------------------------------------------------------------------------

def m_flip8(pc, rng):
    recs = [[a, b, bytearray(d), o] for a, b, d, o in pc.recs]
    sized = [r for r in recs if r[2]]
    for _ in range(8):
        if sized:
            r = rng.choice(sized)
            r[2][rng.randrange(len(r[2]))] ^= 1 << rng.randrange(8)
    return pc.build(recs)


def m_flipall(pc, rng):
    recs = [[a, b, bytearray(d), o] for a, b, d, o in pc.recs]
    for r in recs:
        if r[2]:
            r[2][rng.randrange(len(r[2]))] ^= 1 << rng.randrange(8)
    return pc.build(recs)


def m_cut_file(pc, rng):
    raw = pc.build()
    return raw[:rng.randrange(25, len(raw))] if len(raw) > 25 else raw[:20]


def m_caplen_big(pc, rng):
    if not pc.recs:
        return pc.build()
    i = rng.randrange(len(pc.recs))
    return pc.build(caplen_override=(i, len(pc.recs[i][2]) + rng.choice([1, 100, 70000, 0x7FFFFFFF])))


def per_frame(pc, rng, fn):
    """fn on every frame; a capture without the field gets a random 16-bit word of one
    frame set to an extreme instead, so no mutant is the capture itself."""
    recs = [[a, b, bytearray(d), o] for a, b, d, o in pc.recs]
    for r in recs:
        lay = layers(pc.linktype, r[2])
        if lay:
            fn(r[2], lay, rng)
    if all(r[2] == o[2] for r, o in zip(recs, pc.recs)):
        sized = [r for r in recs if len(r[2]) >= 2]
        for _ in range(4):
            if sized:
                fr = rng.choice(sized)[2]
                k = rng.randrange(len(fr) - 1)
                v = rng.choice([0, 0xFFFF, 0x8000])
                if fr[k:k + 2] == struct.pack(">H", v):
                    v ^= 1
                put16(fr, k, v)
    return pc.build(recs)


def f_ip_len(fr, lay, rng):
    ip = lay["ip"]
    if lay["ver"] == 4:
        put16(fr, ip + 2, rng.choice(EXTREMES16 + [19, 20, 21]))
        if rng.random() < 0.3 and ip < len(fr):  # header length too
            fr[ip] = 0x40 | rng.choice([0, 4, 5, 15])
    elif lay["ver"] == 6:
        put16(fr, ip + 4, rng.choice(EXTREMES16))
        if rng.random() < 0.3 and ip + 6 < len(fr):  # a chain of extension headers
            fr[ip + 6] = rng.choice([0, 43, 44, 60, 59])


def f_tcp_hdr(fr, lay, rng):
    if lay.get("proto") != 6 or "pl" not in lay:
        return
    l4 = lay["l4"]
    doff = (fr[l4 + 12] >> 4) * 4
    if doff > 20 and rng.random() < 0.6:  # an option with a zero or one-byte length
        k = l4 + 20 + rng.randrange(doff - 20)
        if k + 1 < l4 + doff and k + 1 < len(fr):
            fr[k] = rng.choice([2, 3, 5, 8, 30])
            fr[k + 1] = rng.choice([0, 1, 255])
    else:
        fr[l4 + 12] = (rng.choice([0, 1, 4, 15]) << 4) | (fr[l4 + 12] & 15)


def f_udp_len(fr, lay, rng):
    if lay.get("proto") == 17 and "pl" in lay:
        put16(fr, lay["l4"] + 4, rng.choice(EXTREMES16 + [7, 8, 9]))


def f_dns_counts(fr, lay, rng):
    if "pl" not in lay or 53 not in (lay["sport"], lay["dport"]):
        return
    pl = lay["pl"] + (2 if lay["proto"] == 6 else 0)
    if lay["proto"] == 6 and rng.random() < 0.3:
        put16(fr, lay["pl"], rng.choice(EXTREMES16))  # the TCP length prefix
    for k in range(4):
        if rng.random() < 0.6:
            put16(fr, pl + 4 + 2 * k, rng.choice(EXTREMES16))
    # and a compression pointer aimed at itself somewhere in the names
    if rng.random() < 0.5 and len(fr) > pl + 14:
        q = rng.randrange(pl + 12, len(fr) - 1)
        put16(fr, q, 0xC000 | (q - pl))


def f_tls_len(fr, lay, rng):
    if lay.get("proto") != 6 or "pl" not in lay:
        return
    p = lay["pl"]
    if len(fr) >= p + 5 and fr[p] in (20, 21, 22, 23) and fr[p + 1] == 3:
        put16(fr, p + 3, rng.choice(EXTREMES16 + [0x4000, 0x4001]))
        if fr[p] == 22 and len(fr) >= p + 9 and rng.random() < 0.5:  # handshake length
            fr[p + 6:p + 9] = rng.choice([b"\x00\x00\x00", b"\xff\xff\xff", b"\x00\x00\x01"])
        if fr[p] == 22 and len(fr) > p + 50 and rng.random() < 0.5:  # a length inside the hello
            put16(fr, rng.randrange(p + 43, len(fr) - 1), rng.choice(EXTREMES16))


CL_RE = re.compile(rb"(?i)content-length:[ \t]*([0-9]+)")
CHUNK_RE = re.compile(rb"\r\n([0-9a-fA-F]+)\r\n")


def f_http_len(fr, lay, rng):
    if lay.get("proto") != 6 or "pl" not in lay:
        return
    body = bytes(fr[lay["pl"]:])
    for m in CL_RE.finditer(body):
        a, b = lay["pl"] + m.start(1), lay["pl"] + m.end(1)
        fr[a:b] = rng.choice([b"9" * (b - a), b"0" * (b - a), b"1" + b"0" * (b - a - 1)])
    for m in CHUNK_RE.finditer(body):
        a, b = lay["pl"] + m.start(1), lay["pl"] + m.end(1)
        fr[a:b] = rng.choice([b"f" * (b - a), b"0" * (b - a)])


def m_reorder(pc, rng):
    recs = list(pc.recs)
    for _ in range(max(1, len(recs) // 4)):
        if recs:
            recs.insert(rng.randrange(len(recs) + 1), rng.choice(recs))
    # shuffle within windows of 6 so the connections still make some sense
    for s in range(0, len(recs), 6):
        w = recs[s:s + 6]
        rng.shuffle(w)
        recs[s:s + 6] = w
    return pc.build(recs)


def m_cut_recs(pc, rng):
    recs = []
    for a, b, d, o in pc.recs:
        if d and rng.random() < 0.5:
            d = d[:rng.randrange(len(d))]
        recs.append([a, b, d, o])
    return pc.build(recs)


PCAP_MUTATIONS = [
    ("flip8", m_flip8), ("flipall", m_flipall), ("cut-file", m_cut_file),
    ("caplen-big", m_caplen_big),
    ("ip-len", lambda pc, r: per_frame(pc, r, f_ip_len)),
    ("tcp-hdr", lambda pc, r: per_frame(pc, r, f_tcp_hdr)),
    ("udp-len", lambda pc, r: per_frame(pc, r, f_udp_len)),
    ("dns-counts", lambda pc, r: per_frame(pc, r, f_dns_counts)),
    ("tls-len", lambda pc, r: per_frame(pc, r, f_tls_len)),
    ("http-len", lambda pc, r: per_frame(pc, r, f_http_len)),
    ("reorder", m_reorder), ("cut-recs", m_cut_recs),
]


def pcapng_mutants(raw, rng):
    out = []
    for i in range(6):
        b = bytearray(raw)
        for _ in range(4 + 4 * i):
            k = rng.randrange(28, len(b)) if len(b) > 28 else 0
            b[k] ^= 1 << rng.randrange(8)
        out.append(("flip", bytes(b)))
    for _ in range(6):
        out.append(("cut", raw[:rng.randrange(1, len(raw))]))
    return out


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------

def run_one(binary, path, timeout, extra):
    env = dict(os.environ, TZ="UTC", LC_ALL="C",
               ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98")
    try:
        p = subprocess.run([binary, "-r", path] + extra, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return "timed out after %ds (a hang)" % timeout
    err = p.stderr.decode("utf-8", "replace")
    m = SAN_RE.search(err)
    if m:
        line = next((ln for ln in err.splitlines() if SAN_RE.search(ln)), m.group(0))
        return "sanitizer report: %s" % line.strip()[:200]
    if p.returncode < 0:
        return "killed by signal %d" % -p.returncode
    if p.returncode not in (0, 1):
        return "exit status %d: %s" % (p.returncode, err.strip()[:200])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "san", "fetchtrace"))
    ap.add_argument("--captures", default=os.path.join(ROOT, "captures"))
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=int, default=10)
    ap.add_argument("--keep", help="write the mutants here and keep them")
    ap.add_argument("--only", default="*", help="captures whose name matches this glob")
    a = ap.parse_args()
    if not os.access(a.bin, os.X_OK):
        print("FAIL mutate: %s not built (make build/san/fetchtrace)" % a.bin)
        print("mutate: 0 passed, 1 failed")
        return 1
    tmp = a.keep or tempfile.mkdtemp(prefix="ft-mutate.")
    os.makedirs(tmp, exist_ok=True)
    jobs = []  # (label, path, extra args)
    try:
        for fn in sorted(os.listdir(a.captures)):
            if not (fn.endswith(".pcap") or fn.endswith(".pcapng")):
                continue
            if not fnmatch.fnmatch(fn, a.only):
                continue
            with open(os.path.join(a.captures, fn), "rb") as f:
                raw = f.read()
            rng = random.Random(zlib.crc32(fn.encode()))
            if fn.endswith(".pcapng"):
                muts = pcapng_mutants(raw, rng)
            else:
                pc = Pcap(raw)
                muts = [(name, fn_(pc, rng)) for name, fn_ in PCAP_MUTATIONS]
            for n, (name, data) in enumerate(muts, 1):
                path = os.path.join(tmp, "%s.%02d-%s%s" % (fn.rsplit(".", 1)[0], n, name,
                                                             os.path.splitext(fn)[1]))
                with open(path, "wb") as f:
                    f.write(data)
                # every other mutant also prints the packets of no fetch, with absolute times
                extra = ["--all", "-tt"] if n % 2 == 0 else []
                # a capture with its key log (captures/NAME.keys): its mutants are
                # decrypted, so the TLS layer meets damaged records (issue 10)
                keys = os.path.join(a.captures, fn.rsplit(".", 1)[0] + ".keys")
                if os.path.exists(keys):
                    extra = extra + ["--keylog", keys]
                jobs.append(("%s#%d %s" % (fn, n, name), path, extra))
        passed = failed = 0
        with cf.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
            results = list(ex.map(lambda j: run_one(a.bin, j[1], a.timeout, j[2]), jobs))
        for (label, path, extra), why in zip(jobs, results):
            if why is None:
                print("ok mutate %s" % label)
                passed += 1
            else:
                print("FAIL mutate %s: %s (mutant kept: %s)" % (
                    label, why, save_failure(path)))
                failed += 1
        print("mutate: %d passed, %d failed" % (passed, failed))
        return 1 if failed else 0
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def save_failure(path):
    """Keep a failing mutant beyond the temporary directory (build/mutate-failures/)."""
    d = os.path.join(ROOT, "build", "mutate-failures")
    os.makedirs(d, exist_ok=True)
    dst = os.path.join(d, os.path.basename(path))
    shutil.copyfile(path, dst)
    return os.path.relpath(dst, ROOT)


if __name__ == "__main__":
    sys.exit(main())
