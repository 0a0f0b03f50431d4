#!/usr/bin/env python3
"""tlsdec_vectors.py - record TLS sessions on loopback and write tests/unit/tlsdec_vectors.h.

Each session: `openssl s_server -WWW` on 127.0.0.1 (a throw-away self-signed
certificate) and `openssl s_client -keylogfile`, captured with dumpcap on lo.
For each, the header keeps: the key log, both byte streams (TCP payloads, as
`tshark -z follow,tcp,raw` gives them), the negotiated version and suite, and
the oracle: the application data tshark decrypts with the key log
(`-o tls.keylog_file:... -z follow,tls,raw`).  Run as root (dumpcap on lo):

    python3 tests/unit/tlsdec_vectors.py > tests/unit/tlsdec_vectors.h
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

SESSIONS = [
    # name, server args, client args, version, the certificate (ec|rsa)
    ("t13_chacha", ["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
     ["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"], 0x0304, "ec"),
    ("t13_aes256", ["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"],
     ["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"], 0x0304, "ec"),
    ("t12_ecdhe_gcm", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
     ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"], 0x0303, "ec"),
    ("t12_rsa_gcm256", ["-tls1_2", "-cipher", "AES256-GCM-SHA384"],
     ["-tls1_2", "-cipher", "AES256-GCM-SHA384"], 0x0303, "rsa"),
    ("t12_chacha", ["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"],
     ["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"], 0x0303, "ec"),
    ("t12_cbc_etm", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"],
     ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"], 0x0303, "ec"),
    ("t12_cbc_mte", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384", "-no_etm"],
     ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384", "-no_etm"], 0x0303, "ec"),
    # Key updates: s_client's "k" command sends KeyUpdate(update_not_requested), s_server's
    # "K" sends KeyUpdate(update_requested) and the client answers with its own.
    ("t13_keyupdate", ["-tls1_3"], ["-tls1_3"], 0x0304, "ec"),
    # 0-RTT: a first connection gets a ticket, the second (the one kept) resumes with
    # early data, which the server accepts (s_server -early_data, s_client -early_data).
    ("t13_early", ["-tls1_3"], ["-tls1_3"], 0x0304, "ec"),
]


CHILDREN = []   # processes started by the session being recorded (stopped by pid after it)


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    CHILDREN.append(p)
    return p


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def follow(cap, kind, port, extra=(), stream=0):
    """Both directions' bytes of stream 0: (client bytes, server bytes).  tshark prints
    node 0's bytes unindented; node 0 is whoever it saw first, so check its port."""
    out = run(["tshark", "-r", cap, *extra, "-q", "-z", "follow,%s,raw,%d" % (kind, stream)])
    n0, n1 = bytearray(), bytearray()
    body = out.split("===================================================================")[1]
    swap = False
    for line in body.splitlines():
        if line.startswith("Node 0:"):
            swap = line.strip().endswith(":%d" % port)
        if not line.strip() or ":" in line:
            continue
        if line.startswith("\t"):
            n1 += bytes.fromhex(line.strip())
        else:
            n0 += bytes.fromhex(line.strip())
    return (bytes(n1), bytes(n0)) if swap else (bytes(n0), bytes(n1))


def interactive(d, port, keys, crt, key, www):
    """Lines both ways with key updates between them (s_server without -WWW)."""
    www.terminate()
    www.wait()
    port2 = port
    srv = spawn(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port2, "-tls1_3",
                            "-cert", crt, "-key", key, "-num_tickets", "1"], cwd=d,
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    cli = spawn(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port2, "-tls1_3",
                            "-keylogfile", keys], cwd=d, stdin=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for who, line in ((cli, b"client-before\n"), (srv, b"server-before\n"), (cli, b"k\n"),
                      (cli, b"client-after\n"), (srv, b"K\n"), (srv, b"server-after\n"),
                      (cli, b"client-last\n")):
        time.sleep(0.7)
        who.stdin.write(line)
        who.stdin.flush()
    time.sleep(0.7)
    cli.stdin.close()
    cli.wait(timeout=10)
    srv.terminate()
    srv.wait()


def early(d, port, keys, crt, key, www):
    """Two connections: the first saves its session, the second sends early data."""
    www.terminate()
    www.wait()
    with open(os.path.join(d, "early.txt"), "w") as f:
        f.write("early-hello\n")
    srv = spawn(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-tls1_3",
                            "-cert", crt, "-key", key, "-early_data"], cwd=d,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    for extra, line in ((["-sess_out", "sess.pem"], b"first\n"),
                        (["-sess_in", "sess.pem", "-early_data", "early.txt"], b"after-early\n")):
        cli = spawn(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                                "-tls1_3", "-keylogfile", keys, *extra], cwd=d,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        cli.stdin.write(line)
        cli.stdin.flush()
        time.sleep(0.7)
        srv.stdin.write(b"server-reply\n")
        srv.stdin.flush()
        time.sleep(0.7)
        cli.stdin.close()
        out = cli.stdout.read()
        cli.wait(timeout=10)
    if b"Early data was accepted" not in out:
        sys.exit("t13_early: the server did not accept the early data")
    srv.terminate()
    srv.communicate()


def record_one(d, name, sargs, cargs, cert):
    port = random.randint(20000, 40000)
    cap = os.path.join(d, name + ".pcap")
    keys = os.path.join(d, name + ".keys")
    crt, key = ("c.pem", "k.pem") if cert == "ec" else ("rc.pem", "rk.pem")
    dc = spawn(["dumpcap", "-q", "-i", "lo", "-f", "tcp port %d" % port, "-w", cap],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    srv = spawn(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-WWW",
                            "-cert", crt, "-key", key, "-num_tickets", "1", *sargs], cwd=d,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    stream = 0
    if name == "t13_keyupdate":
        interactive(d, port, keys, crt, key, srv)
    elif name == "t13_early":
        early(d, port, keys, crt, key, srv)
        stream = 1
    else:
        subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-quiet",
                        "-ign_eof", "-keylogfile", keys, *cargs],
                       input=b"GET /hi.txt HTTP/1.0\r\n\r\n", cwd=d, capture_output=True,
                       timeout=10)
    time.sleep(0.5)
    srv.terminate()
    srv.wait()
    dc.terminate()
    dc.wait()
    cli, svr = follow(cap, "tcp", port, stream=stream)
    pcli, psvr = follow(cap, "tls", port, ["-o", "tls.keylog_file:" + keys], stream)
    with open(keys) as f:
        keylog = f.read()
    if not pcli or not psvr:
        return None
    if cli[:1] != b"\x16" or cli[5:6] != b"\x01":
        sys.exit("%s: the client stream does not start with a ClientHello" % name)
    return keylog, cli, svr, pcli, psvr


def c_hex(name, data):
    out = ["static const char %s[] =" % name]
    h = data.hex()
    for i in range(0, len(h), 96):
        out.append('\t"%s"' % h[i:i + 96])
    if not h:
        out.append('\t""')
    out[-1] += ";"
    return "\n".join(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    d = tempfile.mkdtemp(prefix="tlsdec-vec-")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem", "-out", "c.pem",
                    "-days", "3650", "-subj", "/CN=www.lab.test", "-addext",
                    "subjectAltName=DNS:www.lab.test,DNS:lab.test"], cwd=d, check=True,
                   capture_output=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    "rk.pem", "-out", "rc.pem", "-days", "3650", "-subj", "/CN=rsa.lab.test"],
                   cwd=d, check=True, capture_output=True)
    with open(os.path.join(d, "hi.txt"), "w") as f:
        f.write("hello from the lab\n")
    print("/* tlsdec_vectors.h - TLS sessions recorded on loopback by tlsdec_vectors.py"
          " (generated; do not edit). */")
    print("/* %s; tshark %s */" % (run(["openssl", "version"]).strip(),
                                  run(["tshark", "--version"]).splitlines()[0].split()[2]))
    rows = []
    for name, sargs, cargs, version, cert in SESSIONS:
        for attempt in range(3):   # a loaded machine may start dumpcap late: try again
            try:
                got = record_one(d, name, sargs, cargs, cert)
            finally:
                for p in CHILDREN:
                    if p.poll() is None:
                        p.terminate()
                        p.wait()
                CHILDREN.clear()
            if got:
                break
        else:
            sys.exit("%s: tshark decrypted nothing, three times" % name)
        keylog, cli, srv, pcli, psvr = got
        print()
        print("/* %s: s_server %s / s_client %s */" % (name, " ".join(sargs), " ".join(cargs)))
        print("static const char %s_keylog[] =" % name)
        lines = keylog.splitlines()
        for i, l in enumerate(lines):
            print('\t"%s\\n"%s' % (l, ";" if i == len(lines) - 1 else ""))
        print(c_hex(name + "_cli", cli))
        print(c_hex(name + "_srv", srv))
        print(c_hex(name + "_cli_app", pcli))
        print(c_hex(name + "_srv_app", psvr))
        rows.append("\t{ \"%s\", 0x%04x, %s_keylog, %s_cli, %s_srv, %s_cli_app, %s_srv_app },"
                    % (name, version, name, name, name, name, name))
    print()
    print("static const struct session {")
    print("\tconst char *name;\n\tuint16_t version;\n\tconst char *keylog, *cli, *srv, *cli_app, *srv_app;")
    print("} sessions[] = {")
    print("\n".join(rows))
    print("};")
    shutil.rmtree(d)


if __name__ == "__main__":
    main()
