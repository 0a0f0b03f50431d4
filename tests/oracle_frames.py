#!/usr/bin/env python3
"""oracle_frames.py - fetchtrace's frame numbers (-#, JSON "frame") against tshark's frame.number.

For every committed capture (captures/*.pcap, captures/*.pcapng and the regression
captures under tests/): every packet line of `fetchtrace -# -tt --all` starts with a
frame number, and that frame, as tshark numbers it, has the line's time stamp; every
frame tshark reads has a line, once, in order.  The JSON packet objects carry the same
numbers with the frame's length.  Then with the BPF filter "port 53": the numbers are
still the file's (the filter's rejects counted), and they are exactly the frames
libpcap's filter accepts (tcpdump -w, then matched to tshark's frames; without
tcpdump, only that each is one of the file's frames).  Prints one line per check and
"oracle_frames: N passed, N failed, N skipped".
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BIN = os.environ.get("FETCHTRACE", os.path.join(ROOT, "build/san/fetchtrace"))
if not os.path.isabs(BIN):
    BIN = os.path.join(ROOT, BIN)

# -# -tt: "    12 1700000000.123456 step ...", or blank columns for a line with no packet
LINE = re.compile(r"^ *([0-9]+) (-?[0-9]+\.[0-9]{6}) ")
NOPKT = re.compile(r"^ {16,}")

CAP_TS_MAX_US = 4000000000000000000
passed = failed = skipped = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok oracle_frames %s" % name)
    else:
        failed += 1
        print("FAIL oracle_frames %s %s" % (name, detail))


def skip(name, why):
    global skipped
    skipped += 1
    print("skip oracle_frames %s: %s" % (name, why))


def tshark_frames(path, display_filter=None):
    """[(frame.number, time_epoch in microseconds, frame.len)], or None when tshark fails."""
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-T", "fields", "-E", "separator=|", "-e", "frame.number", "-e", "frame.time_epoch",
           "-e", "frame.len", "-e", "frame.encap_type"]
    if display_filter:
        cmd[4:4] = ["-Y", display_filter]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None
    out = []
    for line in r.stdout.splitlines():
        n, t, ln, encap = line.split("|")
        sec, _, frac = t.partition(".")
        frac = (frac + "000000000")[:9]
        us = int(sec) * 1000000 + (int(frac) // 1000 if not sec.startswith("-") else -(int(frac) // 1000))
        # fetchtrace keeps time stamps within +-4e18 us (capture.h, CAP_TS_MAX_US);
        # tshark says -1 s for one it cannot hold: such frames match by number alone
        if abs(us) >= CAP_TS_MAX_US or us == -1000000:
            us = None
        # PPP with direction (wiretap encapsulation 19): tshark's frame.len leaves out the
        # direction byte, which wiretap moves into a pseudo-header; fetchtrace's "len" is
        # the record's length, as tcpdump's
        out.append((int(n), us, int(ln) + (1 if encap == "19" else 0)))
    return out


def bpf_frames(path, full, expr):
    """The frames of full (tshark_frames) that the BPF expression accepts, found by
    tcpdump (libpcap's own filter) writing them to a file, matched in order by time
    stamp and length; None without tcpdump or when it cannot read the file."""
    if subprocess.run(["sh", "-c", "command -v tcpdump"], capture_output=True).returncode:
        return None
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "f.pcap")
        r = subprocess.run(["tcpdump", "-n", "-r", path, "-w", out, expr], capture_output=True)
        if r.returncode != 0:
            return None
        sub = tshark_frames(out)
    if sub is None:
        return None
    got, i = [], 0
    for _, t, ln in sub:
        while i < len(full) and (full[i][1], full[i][2]) != (t, ln):
            i += 1
        if i == len(full):
            return None
        got.append(full[i])
        i += 1
    return got


def run(path, *args):
    env = dict(os.environ, TZ="UTC", LC_ALL="C", ASAN_OPTIONS="detect_leaks=1")
    r = subprocess.run([BIN, "-r", path] + list(args), capture_output=True, text=True, env=env)
    run.stderr = r.stderr
    return r.returncode, r.stdout.splitlines()


def us_of(text):
    sec, _, frac = text.partition(".")
    v = abs(int(sec)) * 1000000 + int(frac)
    return -v if sec.startswith("-") else v


def text_frames(lines):
    """The (frame, time) of every packet line; a line without a packet is left out."""
    got = []
    for line in lines:
        m = LINE.match(line)
        if m:
            got.append((int(m.group(1)), us_of(m.group(2))))
    return got


def same(got, exp):
    """got equals exp, a time stamp that exp leaves out (None) matching any."""
    return len(got) == len(exp) and all(
        g[0] == e[0] and (e[1] is None or g[1] == e[1]) for g, e in zip(got, exp))


def captures():
    pats = ["captures/*.pcap", "captures/*.pcapng", "tests/**/*.pcap", "tests/**/*.pcapng"]
    seen = []
    for p in pats:
        for f in sorted(glob.glob(os.path.join(ROOT, p), recursive=True)):
            if f not in seen:
                seen.append(f)
    return seen


def main():
    if subprocess.run(["sh", "-c", "command -v tshark"], capture_output=True).returncode:
        skip("all", "tshark not installed")
        print("oracle_frames: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
        return 0
    for path in captures():
        name = os.path.relpath(path, ROOT)
        want = tshark_frames(path)
        if want is None:
            skip(name, "tshark cannot read it")
            continue
        rc, lines = run(path, "-#", "-tt", "--all")
        got = text_frames(lines)
        # fetchtrace stops at a broken record (exit 1) where tshark may read on: compare
        # what it read
        exp = [(n, t) for n, t, _ in want][:len(got)] if rc else [(n, t) for n, t, _ in want]
        check("%s -# lines" % name, same(got, exp) and (rc == 0 or len(got) > 0 or not want),
              "rc %d\n  tshark     %s\n  fetchtrace %s" % (rc, exp[:8], got[:8]))
        rc, lines = run(path, "--json", "--all")
        objs = [json.loads(l) for l in lines if l.startswith('{"type":"packet"')]
        gotj = [(o["frame"], o["len"]) for o in objs]
        expj = [(n, ln) for n, _, ln in want][:len(gotj)]
        check("%s json frame" % name, gotj == expj and (rc == 0 or len(gotj) == len(got)),
              "\n  tshark     %s\n  fetchtrace %s" % (expj[:8], gotj[:8]))
        if rc:
            continue  # the filtered run stops at the same broken record
        rc, lines = run(path, "-#", "-tt", "--all", "port", "53")
        if rc == 1 and "link-layer type filtering not implemented" in run.stderr:
            # an interface whose link type libpcap cannot filter (PPP_WITH_DIR): fetchtrace
            # refuses the filter in one line when the first packet of that interface comes
            check("%s -# with filter port 53: refused in one line" % name,
                  len(run.stderr.strip().splitlines()) == 1, run.stderr)
            continue
        gotf = text_frames(lines)
        wantf = bpf_frames(path, want, "port 53")
        if wantf is None:  # no tcpdump: the numbers are at least the file's own
            full = dict((n, t) for n, t, _ in want)
            check("%s -# with filter port 53 (numbers only)" % name,
                  rc == 0 and all(n in full and full[n] in (None, t) for n, t in gotf),
                  "rc %d %s" % (rc, gotf[:8]))
            continue
        expf = [(n, t) for n, t, _ in wantf]
        check("%s -# with filter port 53" % name, rc == 0 and same(gotf, expf),
              "rc %d\n  tcpdump+tshark %s\n  fetchtrace     %s" % (rc, expf[:8], gotf[:8]))
    print("oracle_frames: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
