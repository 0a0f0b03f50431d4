#!/usr/bin/env python3
"""steps.py - fetchtrace's step labels against the bench generator's per-frame ground truth.

usage: steps.py [--min PCT] TRUTH FETCHTRACE CAPTURE

TRUTH is what `bench-gen -t TRUTH` wrote beside CAPTURE: one "STEP KIND" line per frame, in
capture order (a KIND starting "tls-" carries TLS records, "tlsack-" is a pure ACK on a TLS
connection).  Runs `FETCHTRACE --json -r CAPTURE`, pairs its packet lines with the truth in
order, and prints agreement per step, per kind, overall, on TLS-record frames and on every
frame of a TLS connection, then the confusion of the disagreements.  Exits 1 when overall or
TLS agreement is below --min percent (default 99.9), or the packet counts differ.
"""
import collections
import re
import subprocess
import sys

STEP = re.compile(rb'^\{"type":"packet",.*?"step":"([a-z]+)"')


def main(argv):
    minimum = 99.9
    if len(argv) > 1 and argv[1] == "--min":
        minimum = float(argv[2])
        argv = argv[:1] + argv[3:]
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    truth_path, binary, capture = argv[1:]
    with open(truth_path, "rb") as f:
        truth = [line.split() for line in f]
    proc = subprocess.Popen([binary, "--json", "-r", capture], stdout=subprocess.PIPE)
    got = []
    for line in proc.stdout:
        m = STEP.match(line)
        if m:
            got.append(m.group(1))
    rc = proc.wait()
    ok = True
    if rc != 0:
        print(f"steps: {binary} exited with status {rc}")
        ok = False
    if len(got) != len(truth):
        print(f"steps: {len(got)} packet lines from fetchtrace, {len(truth)} frames in the truth")
        return 1

    per_step = collections.defaultdict(lambda: [0, 0])     # truth step -> [agree, total]
    per_kind = collections.defaultdict(lambda: [0, 0])
    confusion = collections.Counter()                     # (step, kind, got) -> frames
    first_bad = {}
    for i, ((step, kind), g) in enumerate(zip(truth, got)):
        agree = step == g
        for key, table in ((step, per_step), (kind, per_kind)):
            table[key][1] += 1
            table[key][0] += agree
        if not agree:
            k = (step.decode(), kind.decode(), g.decode())
            confusion[k] += 1
            first_bad.setdefault(k, i + 1)

    def pct(a, n):
        return 100.0 * a / n if n else 100.0

    def line(name, a, n):
        print(f"  {name:<28} {a:>9}/{n:<9} {pct(a, n):8.3f}%")

    print("agreement by step (truth)")
    for s in sorted(per_step):
        line(s.decode(), *per_step[s])
    print("agreement by frame kind")
    for k in sorted(per_kind):
        line(k.decode(), *per_kind[k])
    total = [sum(v[0] for v in per_step.values()), len(truth)]
    tls = [sum(v[0] for k, v in per_kind.items() if k.startswith(b"tls-")),
           sum(v[1] for k, v in per_kind.items() if k.startswith(b"tls-"))]
    tlsconn = [sum(v[0] for k, v in per_kind.items() if k.startswith(b"tls")),
               sum(v[1] for k, v in per_kind.items() if k.startswith(b"tls"))]
    print("summary")
    line("overall", *total)
    line("TLS-record frames", *tls)
    line("all TLS-connection frames", *tlsconn)
    if confusion:
        print("disagreements (truth step, frame kind -> fetchtrace step: frames, first frame number)")
        for (s, k, g), n in confusion.most_common():
            print(f"  {s:<8} {k:<28} -> {g:<8} {n:>8}  (frame {first_bad[(s, k, g)]})")
    for name, (a, n) in (("overall", total), ("TLS-record frames", tls),
                         ("all TLS-connection frames", tlsconn)):
        if pct(a, n) < minimum:
            print(f"steps: {name} agreement {pct(a, n):.3f}% is below {minimum}%")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
