#!/usr/bin/env python3
"""oracle_tls.py - fetchtrace's TLS decryption against tshark's, with the same key logs.

For each capture with a key log beside it (captures/NAME.keys): the handshake
message types per frame (tshark -o tls.keylog_file:K, field tls.handshake.type;
fetchtrace --json --all --keylog K, the handshake types of each packet's TLS
events, plaintext hellos and decrypted messages alike) must be the same, and
tshark's decrypted alerts (tls.alert_message.desc) must be fetchtrace's.  With
the wrong key log (lab-h2-wrongkeys.keys) neither decrypts anything.  Prints one
line per check and "oracle_tls: N passed, N failed".
"""
import json
import os
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BIN = os.environ.get("FETCHTRACE", os.path.join(ROOT, "build/san/fetchtrace"))
if not os.path.isabs(BIN):
    BIN = os.path.join(ROOT, BIN)

# (capture, key log)
KEYED = [
    ("lab-h2-curl.pcap", "lab-h2-curl.keys"),
    ("lab-tls12-gcm.pcap", "lab-tls12-gcm.keys"),
    ("lab-tls12-chacha.pcap", "lab-tls12-chacha.keys"),
    ("lab-h2-chromium.pcap", "lab-h2-chromium.keys"),
    ("lab-doh.pcap", "lab-doh.keys"),
    ("lab-tls13-chacha.pcap", "lab-tls13-chacha.keys"),
    ("lab-tls12-rsa.pcap", "lab-tls12-rsa.keys"),
    ("lab-tls12-cbc.pcap", "lab-tls12-cbc.keys"),
    ("lab-tls13-keyupdate.pcap", "lab-tls13-keyupdate.keys"),
    ("lab-h2-curl.pcap", "lab-h2-wrongkeys.keys"),
    # TLS 1.3 inside an HTTP CONNECT tunnel (issue 13): the records start after the proxy's 200
    ("lab-proxy-connect.pcap", "lab-proxy-connect.keys"),
    # records across many wire-sized segments, decrypted as the segments come (issue 15)
    ("tls-bulk.pcap", "tls-bulk.keys"),
]

HS_KINDS = {"client_hello": 1, "server_hello": 2}

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok oracle_tls %s" % name)
    else:
        failed += 1
        print("FAIL oracle_tls %s %s" % (name, detail))


def tshark(path, keys, display_filter, fields):
    cmd = ["tshark", "-n", "-r", path, "-o", "tls.keylog_file:" + keys, "-Y", display_filter,
           "-T", "fields", "-E", "separator=|", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("|") for line in out.splitlines() if line.strip()]


def fetchtrace(path, keys):
    env = dict(os.environ, TZ="UTC", LC_ALL="C", ASAN_OPTIONS="detect_leaks=1")
    out = subprocess.run([BIN, "-r", path, "--json", "--all", "--keylog", keys],
                         capture_output=True, text=True, env=env, check=True)
    if out.stderr:
        raise RuntimeError("stderr: " + out.stderr)
    return [json.loads(line) for line in out.stdout.splitlines()]


def main():
    if subprocess.run(["sh", "-c", "command -v tshark"], capture_output=True).returncode:
        print("skip oracle_tls: tshark not installed")
        print("oracle_tls: 0 passed, 0 failed, 1 skipped")
        return 0
    for cap, kf in KEYED:
        path = os.path.join(ROOT, "captures", cap)
        keys = os.path.join(ROOT, "captures", kf)
        name = "%s --keylog %s" % (cap, kf)
        if not os.path.exists(path) or not os.path.exists(keys):
            check(name, False, "missing")
            continue
        objs = fetchtrace(path, keys)
        pkts = [o for o in objs if o.get("type") == "packet"]
        got_hs, got_alert = {}, {}
        dec_records = 0
        for frame, p in enumerate(pkts, 1):
            for v in p.get("tls") or []:
                k = v.get("kind")
                if k in HS_KINDS:
                    got_hs.setdefault(frame, []).append(HS_KINDS[k])
                elif k in ("handshake", "decrypted_handshake"):
                    got_hs.setdefault(frame, []).append(v["handshake_type"])
                elif k == "alert" and v.get("description_num") is not None:
                    got_alert.setdefault(frame, []).append(v["description_num"])
                if v.get("decrypted"):
                    dec_records += 1
        want_hs = {int(f): [int(x) for x in t.split(",")]
                   for f, t in tshark(path, keys, "tls.handshake.type", ["frame.number",
                                                                         "tls.handshake.type"])}
        want_alert = {int(f): [int(x) for x in t.split(",")]
                      for f, t in tshark(path, keys, "tls.alert_message.desc",
                                         ["frame.number", "tls.alert_message.desc"])}
        diff = sorted(f for f in set(want_hs) | set(got_hs) if want_hs.get(f) != got_hs.get(f))
        check("%s: handshake message types per frame (%d frames)" % (name, len(want_hs)),
              not diff, "; ".join("frame %d tshark %s fetchtrace %s" %
                                  (f, want_hs.get(f), got_hs.get(f)) for f in diff[:8]))
        check("%s: decrypted alerts per frame (%d)" % (name, len(want_alert)),
              want_alert == got_alert, "tshark %s fetchtrace %s" % (want_alert, got_alert))
        summary = objs[-1] if objs and objs[-1].get("type") == "summary" else {}
        if "wrongkeys" in kf:
            check("%s: nothing decrypted, the failure noted" % name,
                  dec_records == 0 and summary.get("tls_auth_failed", 0) >= 1,
                  "decrypted %d, summary %s" % (dec_records, summary))
        else:
            check("%s: records decrypted, none failed" % name,
                  dec_records > 0 and summary.get("tls_auth_failed") == 0,
                  "decrypted %d, summary %s" % (dec_records, summary))
    print("oracle_tls: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
