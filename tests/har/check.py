#!/usr/bin/env python3
"""check.py - a HAR file from `fetchtrace --har` against HAR 1.2 and against the text output.

    python3 tests/har/check.py OUT.har TEXT.out

Structural check (every object HAR 1.2 requires, with its members' types; the
fallback when har-validator cannot run, and run always), then what fetchtrace
promises beyond the schema: the file is printable ASCII (every wire byte
escaped), `time` is the sum of the timings, send/wait/receive are >= 0 and the
others >= -1, ssl is inside connect and only on encrypted entries, entries are
sorted by startedDateTime and point at pages that exist, URLs are http(s) URIs.
Last, the entries are the text output's `exchanges` lines: the same connection,
exchange number, method and status, and the same bytes up and down.
Prints one line per problem and exits 1 when there is any."""
import json
import re
import sys

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
URL = re.compile(r"^https?://[!#-~]+$")  # printable ASCII, no space, no '"'
problems = []


def bad(where, what):
    problems.append(f"{where}: {what}")


def need(obj, where, spec):
    """spec: {member: type or (types)}; every member required."""
    if not isinstance(obj, dict):
        bad(where, "not an object")
        return False
    for k, t in spec.items():
        if k not in obj:
            bad(where, f"missing {k}")
        elif not isinstance(obj[k], t) or (isinstance(obj[k], bool) and t in (int, float, (int, float))):
            bad(where, f"{k} is {type(obj[k]).__name__}, not {t}")
    return True


def pairs(lst, where):
    if isinstance(lst, list):
        for i, p in enumerate(lst):
            need(p, f"{where}[{i}]", {"name": str, "value": str})


NUM = (int, float)


def check_structure(har):
    if not need(har, "har", {"log": dict}):
        return
    log = har["log"]
    need(log, "log", {"version": str, "creator": dict, "entries": list})
    if log.get("version") != "1.2":
        bad("log.version", "not 1.2")
    need(log.get("creator"), "log.creator", {"name": str, "version": str})
    for i, p in enumerate(log.get("pages", [])):
        w = f"pages[{i}]"
        need(p, w, {"startedDateTime": str, "id": str, "title": str, "pageTimings": dict})
        if not DATE.match(str(p.get("startedDateTime"))):
            bad(w, "startedDateTime is not ISO 8601 with ms and Z")
    for i, e in enumerate(log.get("entries", [])):
        w = f"entries[{i}]"
        need(e, w, {"startedDateTime": str, "time": NUM, "request": dict, "response": dict,
                    "cache": dict, "timings": dict})
        if not DATE.match(str(e.get("startedDateTime"))):
            bad(w, "startedDateTime is not ISO 8601 with ms and Z")
        rq, rs = e.get("request", {}), e.get("response", {})
        need(rq, w + ".request", {"method": str, "url": str, "httpVersion": str, "cookies": list,
                                  "headers": list, "queryString": list, "headersSize": int,
                                  "bodySize": int})
        pairs(rq.get("headers"), w + ".request.headers")
        pairs(rq.get("queryString"), w + ".request.queryString")
        need(rs, w + ".response", {"status": int, "statusText": str, "httpVersion": str,
                                   "cookies": list, "headers": list, "content": dict,
                                   "redirectURL": str, "headersSize": int, "bodySize": int})
        pairs(rs.get("headers"), w + ".response.headers")
        need(rs.get("content"), w + ".response.content", {"size": int, "mimeType": str})
        need(e.get("timings"), w + ".timings", {"send": NUM, "wait": NUM, "receive": NUM})
        for k in ("serverIPAddress", "connection", "pageref"):
            if k in e and not isinstance(e[k], str):
                bad(w, f"{k} is not a string")


def check_promises(har, raw):
    if any(b < 0x20 and b not in (0x0a,) or b > 0x7e for b in raw):
        bad("file", "bytes outside printable ASCII")
    log = har["log"]
    pages = {p["id"] for p in log.get("pages", [])}
    prev = ""
    for i, e in enumerate(log["entries"]):
        w = f"entries[{i}]"
        t = e["timings"]
        for k in ("send", "wait", "receive"):
            if t[k] < 0:
                bad(w, f"timings.{k} < 0")
        for k in ("blocked", "dns", "connect", "ssl"):
            if k not in t or t[k] < -1:
                bad(w, f"timings.{k} missing or < -1")
        total = sum(max(t[k], 0) for k in ("blocked", "dns", "connect", "send", "wait", "receive"))
        if abs(total - e["time"]) > 0.0015:
            bad(w, f"time {e['time']} is not the sum of the timings {total:.3f}")
        if t["ssl"] >= 0 and not (e["_encrypted"] and t["connect"] >= t["ssl"]):
            bad(w, "ssl outside connect, or on a plain entry")
        if e["startedDateTime"] < prev:
            bad(w, "entries not sorted by startedDateTime")
        prev = e["startedDateTime"]
        if "pageref" in e and e["pageref"] not in pages:
            bad(w, f"pageref {e['pageref']} names no page")
        if not URL.match(e["request"]["url"]):
            bad(w, f"url {e['request']['url']!r} is not an http(s) URI")
        if e["_encrypted"] != e["request"]["url"].startswith("https://"):
            bad(w, "scheme does not match _encrypted")


# "  f1 c2 #1 GET /img/dot.png   connect ...  200  0 B up, 532 B down, ..."
# "  f1 c1 TLS                   dns ...  112 B up, 1013 B down, ..."
LINE = re.compile(r"^  f(\d+) ([cq]\d+) (?:#(\d+) (\S+)|TLS)\s.*?(?:  (\d{3}))?  (\d+) B up, (\d+) B down")


def check_against_text(har, text):
    want = []
    inside = False
    for line in text.splitlines():
        if line == "exchanges":
            inside = True
            continue
        if inside and not line.startswith("  "):
            break
        if inside:
            m = LINE.match(line)
            if not m:
                bad("text", f"cannot read {line!r}")
                continue
            f, c, x, meth, st, up, down = m.groups()
            want.append((c if c[0] == "q" else "c" + c[1:], int(x or 0), meth or "", int(st or 0), int(up), int(down)))
    got = []
    for e in har["log"]["entries"]:
        rq, rs = e["request"], e["response"]
        up = rq["bodySize"] if rq["bodySize"] >= 0 else rq.get("_transferSize", -1)
        down = rs["bodySize"] if rs["bodySize"] >= 0 else rs.get("_transferSize", -1)
        conn = e["connection"]
        got.append((conn if conn.startswith("q") else "c" + conn, e["_exchange"], rq["method"], rs["status"], up, down))
    if sorted(want) != sorted(got):
        bad("entries", f"differ from the text output's exchanges:\n  text {sorted(want)}\n  har  {sorted(got)}")
    return len(want)


def main():
    raw = open(sys.argv[1], "rb").read()
    har = json.loads(raw)
    check_structure(har)
    if not problems:
        check_promises(har, raw)
        n = check_against_text(har, open(sys.argv[2]).read())
    for p in problems:
        print(p)
    if not problems:
        print(f"{len(har['log']['entries'])} entries, {n} exchanges in the text output")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
