#!/usr/bin/env python3
"""calls_check.py - check fetchtrace's JSON of a traced command against what its
socket calls must mean (issue 14):

  every TCP connect() maps to its SYN: the SYN of its connection lies between the
      call's entry and its return;
  every write()/send() maps to the segments carrying its bytes: the client's
      payload sent from the call's entry to the next write's entry adds up to
      what the call returned;
  every read()/recv() returns after its data: the server's payload captured up
      to the call's return covers every byte read so far;
  close() precedes the client's FIN;
  the lines come in time order, calls and packets together.

  calls_check.py OUT.json [STRACE.txt]
With STRACE.txt (strace -f -e trace=network of the same run; with
CALLS_STABLE=1 another run, and only the calls that do not depend on timing), the counts of
socket, connect, sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg and
shutdown on Internet sockets must match.  Prints "ok ..." / "FAIL ..." lines.
"""
import collections
import json
import os
import re
import sys

TOL = 0.000050  # the two clocks (packets: CLOCK_REALTIME; calls: CLOCK_MONOTONIC + offset)
NETCALLS = ("socket", "connect", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg",
            "recvmmsg", "shutdown")
WRITES = ("write", "writev", "sendto", "sendmsg")
READS = ("read", "readv", "recvfrom", "recvmsg")
fails = 0


def check(ok, what):
    global fails
    print(("ok " if ok else "FAIL ") + what)
    if not ok:
        fails += 1


objs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
calls = [o for o in objs if o["type"] == "call"]
pkts = [o for o in objs if o["type"] == "packet" and o.get("proto") == "tcp"]
check(len(calls) > 0, "calls were measured (%d lines)" % len(calls))

# the time line is in time order
prev, order_ok = 0.0, True
for o in objs:
    if o["type"] in ("call", "packet"):
        if o["ts"] + TOL < prev:
            order_ok = False
            print("  out of order: %s %s at %.6f after %.6f" % (o["type"], o.get("call"), o["ts"], prev))
        prev = max(prev, o["ts"])
check(order_ok, "calls and packets in time order")

by_conn = collections.defaultdict(list)
for p in pkts:
    if p.get("conn"):
        by_conn[p["conn"]].append(p)
ccalls = collections.defaultdict(list)
for c in calls:
    if c.get("conn") and c["proto"] == "tcp":
        ccalls[c["conn"]].append(c)
check(len(ccalls) > 0, "calls joined to %d TCP connection(s)" % len(ccalls))

for conn, cl in sorted(ccalls.items()):
    ps = by_conn[conn]
    syn = [p for p in ps if p["tcp"]["flags"] == ["SYN"]]
    for c in cl:
        if c["call"] == "connect" and c["phase"] == "returned":
            check(len(syn) == 1 and c["entered"] - TOL <= syn[0]["ts"] <= c["returned"] + TOL,
                  "c%d connect() entered %.6f, SYN %s, returned %.6f" %
                  (conn, c["entered"], "%.6f" % syn[0]["ts"] if syn else "none", c["returned"]))
    # writes: the client's payload from each write's entry to the next one's
    writes = [c for c in cl if c["call"] in WRITES and c.get("ret", -1) > 0]
    up = [p for p in ps if p["tcp"]["dir"] == "to_server" and p["tcp"]["len"] > 0]
    for i, w in enumerate(writes):
        end = writes[i + 1]["entered"] if i + 1 < len(writes) else float("inf")
        sent = sum(p["tcp"]["len"] for p in up if w["entered"] - TOL <= p["ts"] < end - TOL)
        check(sent == w["ret"], "c%d %s() = %d: %d B in the segments after it" %
              (conn, w["call"], w["ret"], sent))
    # reads: every byte read had arrived by the call's return
    reads = [c for c in cl if c["call"] in READS and c.get("ret", -1) > 0]
    down = [p for p in ps if p["tcp"]["dir"] == "from_server" and p["tcp"]["len"] > 0]
    total = 0
    for r in reads:
        total += r["ret"]
        arrived = sum(p["tcp"]["len"] for p in down if p["ts"] <= r["returned"] + TOL)
        check(arrived >= total, "c%d %s() = %d returned at %.6f: %d B arrived, %d read so far" %
              (conn, r["call"], r["ret"], r["returned"], arrived, total))
    closes = [c for c in cl if c["call"] == "close"]
    cfin = [p for p in ps if p["tcp"]["dir"] == "to_server" and "FIN" in p["tcp"]["flags"]]
    if closes and cfin:
        check(closes[0]["ts"] <= cfin[0]["ts"] + TOL,
              "c%d close() at %.6f before the client's FIN at %.6f" % (conn, closes[0]["ts"], cfin[0]["ts"]))
    elif cfin:
        check(False, "c%d: the client's FIN, but no close() measured" % conn)

# JSON schema: the members every call has
need = ("ts", "rel", "step", "call", "phase", "fetch", "conn", "process", "pid", "tid", "fd", "proto")
check(all(all(k in c for k in need) for c in calls), "every call object has " + ", ".join(need))

if len(sys.argv) > 2:
    fam = {}
    want = collections.Counter()
    for line in open(sys.argv[2]):
        m = re.match(r"(\d+)\s+(\w+)\((\d+|AF_\w+)[,)]", line)
        if not m or "resumed>" in line:
            continue
        pid, name, first = m.groups()
        if name in ("socket", "socketpair"):
            mm = re.search(r"\) = (\d+)$", line.strip())
            if name == "socket" and mm:
                fam[(pid, mm.group(1))] = first
            for fd in re.findall(r"\[(\d+), (\d+)\]", line):
                for f in fd:
                    fam[(pid, f)] = "AF_UNIX"
            if name == "socket" and first in ("AF_INET", "AF_INET6"):
                want["socket"] += 1
            continue
        if name in NETCALLS and fam.get((pid, first)) in ("AF_INET", "AF_INET6"):
            want[name] += 1
    got = collections.Counter(c["call"] for c in calls
                              if c["call"] in NETCALLS and c["phase"] != "entered")
    # CALLS_STABLE: the counts that do not depend on timing (strace ran
    # apart: how often a recv() found nothing yet may differ)
    names = ("socket", "connect", "sendto", "sendmsg", "sendmmsg", "shutdown") \
        if os.environ.get("CALLS_STABLE") else NETCALLS
    for name in names:
        if want[name] or got[name]:
            check(want[name] == got[name], "%s: %d measured, strace saw %d" % (name, got[name], want[name]))
sys.exit(1 if fails else 0)
