#!/usr/bin/env python3
"""seeds.py - build the seed corpora of the fuzz targets from captures/ (stdlib only).

    python3 tests/fuzz/seeds.py CAPTURES_DIR OUT_DIR

OUT_DIR/<target>/ gets one file per seed:
  fuzz_pipeline  every capture file as it is (pcap and pcapng)
  fuzz_pkt       every frame, prefixed by the byte that selects its link type
  fuzz_dns       UDP port 53 payloads, and TCP port 53 messages without their length prefix
  fuzz_http      TCP streams on ports 80/8000/8080, in the stream driver's layout (stream.h)
  fuzz_tls       TCP streams on ports 443/8443, the same layout
  fuzz_quic      UDP port 443 payloads
  fuzz_h2        TCP streams whose client side starts with the HTTP/2 preface, the same layout
  fuzz_reasm     a few command lists (fuzz_reasm.c layout)
  fuzz_tlsdec    a key log text and a few command lists (fuzz_tlsdec.c layout)
Only classic pcap files are taken apart; pcapng files only seed fuzz_pipeline.
"""
import hashlib
import os
import shutil
import struct
import sys

# The link types in fuzz_pkt.c's table, in its order: the seed's first byte is the index.
DLTS = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147]
HTTP_PORTS = {80, 8000, 8080}
TLS_PORTS = {443, 8443}
H2C_PORTS = {8080, 18187, 18189, 18443}  # lab-h2c, h2c-prior-knowledge, h2c-doh (tests/record/)
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
STREAM_MAX = 16384  # bytes of one direction kept in a stream seed


def read_pcap(path):
    """(linktype, [frame bytes]) of a classic pcap file, or None."""
    with open(path, "rb") as f:
        b = f.read()
    if len(b) < 24:
        return None
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None
    linktype = struct.unpack(e + "I", b[20:24])[0] & 0xFFFF
    frames, off = [], 24
    while off + 16 <= len(b):
        caplen = struct.unpack(e + "I", b[off + 8:off + 12])[0]
        off += 16
        if caplen > len(b) - off:
            break
        frames.append(b[off:off + caplen])
        off += caplen
    return linktype, frames


def l3(linktype, fr):
    """(ethertype-ish version, offset of the IP header) or None."""
    if linktype == 1:
        off, et = 12, None
        while off + 2 <= len(fr):
            et = struct.unpack(">H", fr[off:off + 2])[0]
            if et in (0x8100, 0x88A8, 0x9100):
                off += 4
                continue
            return off + 2
        return None
    if linktype == 113:
        return 16
    if linktype == 276:
        return 20
    if linktype in (12, 14, 101, 228, 229):
        return 0
    if linktype in (0, 108):
        return 4
    return None


def transport(linktype, fr):
    """(proto, src, dst, sport, dport, seq, payload) or None; IPv4 and IPv6 (no ext headers)."""
    off = l3(linktype, fr)
    if off is None or off >= len(fr):
        return None
    v = fr[off] >> 4
    if v == 4:
        if len(fr) < off + 20:
            return None
        ihl = (fr[off] & 15) * 4
        total = struct.unpack(">H", fr[off + 2:off + 4])[0]
        proto = fr[off + 9]
        src, dst = fr[off + 12:off + 16], fr[off + 16:off + 20]
        end = min(len(fr), off + total) if total >= ihl else len(fr)
        l4 = off + ihl
    elif v == 6:
        if len(fr) < off + 40:
            return None
        plen = struct.unpack(">H", fr[off + 4:off + 6])[0]
        proto = fr[off + 6]
        src, dst = fr[off + 8:off + 24], fr[off + 24:off + 40]
        end = min(len(fr), off + 40 + plen)
        l4 = off + 40
    else:
        return None
    if proto == 6 and l4 + 20 <= end:
        sp, dp, seq = struct.unpack(">HHI", fr[l4:l4 + 8])
        doff = (fr[l4 + 12] >> 4) * 4
        return 6, src, dst, sp, dp, seq, fr[l4 + doff:end] if doff >= 20 else b""
    if proto == 17 and l4 + 8 <= end:
        sp, dp = struct.unpack(">HH", fr[l4:l4 + 4])
        return 17, src, dst, sp, dp, 0, fr[l4 + 8:end]
    return None


def stream_seed(d0, d1, seg0=0xFF, seg1=0xFF, gap=0):
    """The stream driver's layout: split (u16 LE), two segment sizes, gap control, bytes."""
    d0, d1 = d0[:STREAM_MAX], d1[:STREAM_MAX]
    return struct.pack("<HBBB", len(d0), seg0, seg1, gap) + d0 + d1


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: seeds.py CAPTURES_DIR OUT_DIR")
    cap_dir, out = sys.argv[1], sys.argv[2]
    targets = ["fuzz_pipeline", "fuzz_pkt", "fuzz_dns", "fuzz_http", "fuzz_tls", "fuzz_quic",
               "fuzz_reasm", "fuzz_h2", "fuzz_tlsdec"]
    seeds = {t: set() for t in targets}
    for t in targets:
        os.makedirs(os.path.join(out, t), exist_ok=True)

    def put(target, data):
        if data in seeds[target]:
            return
        seeds[target].add(data)
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(out, target, name), "wb") as f:
            f.write(data)

    for fn in sorted(os.listdir(cap_dir)):
        path = os.path.join(cap_dir, fn)
        if not (fn.endswith(".pcap") or fn.endswith(".pcapng")):
            continue
        with open(path, "rb") as f:
            put("fuzz_pipeline", f.read())
        r = read_pcap(path)
        if not r:
            continue
        linktype, frames = r
        idx = DLTS.index(linktype) if linktype in DLTS else DLTS.index(1)
        conns = {}  # (client ep, server ep) -> [bytes c->s, bytes s->c, seqs seen]
        for fr in frames:
            put("fuzz_pkt", bytes([idx]) + fr)
            t = transport(linktype, fr)
            if not t:
                continue
            proto, src, dst, sp, dp, seq, pl = t
            if proto == 17:
                if (sp == 53 or dp == 53) and pl:
                    put("fuzz_dns", pl)
                elif (sp == 443 or dp == 443) and pl:
                    put("fuzz_quic", pl)
                continue
            if not pl:
                continue
            if dp in HTTP_PORTS | TLS_PORTS | H2C_PORTS | {53}:
                key, d = (src, sp, dst, dp), 0
            elif sp in HTTP_PORTS | TLS_PORTS | H2C_PORTS | {53}:
                key, d = (dst, dp, src, sp), 1
            else:
                continue
            c = conns.setdefault(key, [b"", b"", set()])
            if (d, seq) in c[2]:  # a retransmission
                continue
            c[2].add((d, seq))
            c[d] += pl
        for (_, _, _, port), (d0, d1, _) in conns.items():
            if port == 53:
                for d in (d0, d1):  # each length-prefixed message
                    off = 0
                    while off + 2 <= len(d):
                        n = struct.unpack(">H", d[off:off + 2])[0]
                        put("fuzz_dns", d[off + 2:off + 2 + n])
                        off += 2 + n
            target = "fuzz_http" if port in HTTP_PORTS else "fuzz_tls" if port in TLS_PORTS else None
            if d0.startswith(H2_PREFACE):  # cleartext HTTP/2, whatever the port
                target = "fuzz_h2"
            if target:
                put(target, stream_seed(d0, d1))
                put(target, stream_seed(d0, d1, 6, 30))     # small segments: heads split
                put(target, stream_seed(d0, d1, 0xFF, 0xFF, 3))  # a gap
    # reassembler commands: in order, out of order, overlapping, acked past a hole, flushed
    cmds = [
        [(0, 0, 100), (0, 100, 300), (0, 400, 50)],
        [(0, 200, 100), (0, 0, 100), (0, 100, 100), (2, 0, 0)],
        [(0, 0, 500), (0, 250, 500), (0, 100, 50), (1, 0, 2000), (0, 2000, 10)],
        [(3, 10, 0), (0, 50, 100), (0 | 8, 150, 300), (0, 10, 40), (2, 0, 0)],
        [(0 | 4, 0, 4000), (0 | 4, 8000, 4000), (0, 0, 30), (1 | 4, 0, 12000)],
    ]
    for cl in cmds:
        put("fuzz_reasm", b"".join(struct.pack("<BHH", op, off, ln) for op, off, ln in cl))
    # fuzz_tlsdec (its layout is in fuzz_tlsdec.c): key log text; sealed handshake messages,
    # a key update, an alert, raw records
    put("fuzz_tlsdec", b"\x80# c\nCLIENT_RANDOM " + b"ab" * 32 + b" " + b"01" * 48 +
        b"\nSERVER_TRAFFIC_SECRET_0 " + b"ab" * 32 + b" " + b"02" * 32 + b"\n\nbad line\n")
    def cmd(ctl, body):
        return struct.pack(">BH", ctl, len(body)) + body
    ee = bytes.fromhex("160800000a000800100004000302683214000004deadbeef")
    for suite in (0, 1, 2):
        put("fuzz_tlsdec", bytes([suite]) + cmd(3, ee) + cmd(3 | 8, b"\x17GET / HTTP/1.1\r\n") +
            cmd(4 | 1, b"") + cmd(6, b"") + cmd(3, b"\x15\x01\x00") +
            cmd(0, bytes.fromhex("1703030013c9872760655666b74d7ff1153efd6db6d0b0e3")))
    for suite in (3, 4, 5, 6, 7):
        put("fuzz_tlsdec", bytes([suite]) + cmd(0, bytes.fromhex("140303000101")) +
            cmd(0, bytes.fromhex("16030300280000000000000000") + bytes(32)))
    for t in targets:
        print("%-14s %d seeds" % (t, len(seeds[t])))


if __name__ == "__main__":
    main()
