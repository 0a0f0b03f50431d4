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
  fuzz_h3        an HTTP/3 connection of every stream kind, as records (fuzz_h3.c layout)
  fuzz_pcapng    every pcapng capture, and a built one: two interfaces, a DSB, comments, both orders
Only classic pcap files are taken apart; pcapng files only seed fuzz_pipeline.
"""
import hashlib
import os
import shutil
import struct
import sys

# The link types in fuzz_pkt.c's table, in its order: the seed's first byte is the index.
DLTS = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147,
        8, 9, 10, 11, 15, 50, 51, 100, 102, 104, 105, 107, 119, 127, 163, 166, 178, 192, 204, 219, 226, 239, 240, 241, 242, 258, 281, 282, 284, 285, 189, 117]
HTTP_PORTS = {80, 8000, 8080}
TLS_PORTS = {443, 8443}
H2C_PORTS = {8080, 18187, 18189, 18443}  # lab-h2c, h2c-prior-knowledge, h2c-doh (tests/record/)
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
STREAM_MAX = 16384  # bytes of one direction kept in a stream seed
# RFC 9001 A.2: the client Initial's CRYPTO frame (a ClientHello for example.com)
QUIC_RFC_CRYPTO = (
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c"
    "00000413011302010000c000000010000e00000b6578616d706c652e636f6dff01000100000a00080006"
    "001d00170018001000070005" "04616c706e000500050100000000003300260024001d00209370b2c9"
    "caa47fbabaf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b0003020304000d0010000e04"
    "03050306030203080408050806002d00020101001c00024001003900320408ffffffffffffffff050480"
    "00ffff07048000ffff0801100104800075300901100f088394c8f03e51570806048000ffff")


def read_pcapng_frames(path):
    """[(linktype, frame)] of a little-endian pcapng's Enhanced Packet Blocks; [] otherwise."""
    with open(path, "rb") as f:
        b = f.read()
    out, lts, off = [], [], 0
    if b[:4] != b"\x0a\x0d\x0d\x0a" or b[8:12] != b"\x4d\x3c\x2b\x1a":
        return out
    while off + 12 <= len(b):
        btype, blen = struct.unpack_from("<II", b, off)
        if blen < 12 or off + blen > len(b):
            break
        if btype == 0x0A0D0D0A:
            lts = []
        elif btype == 1:
            lts.append(struct.unpack_from("<H", b, off + 8)[0])
        elif btype == 6 and blen >= 32:
            iface, _, _, caplen = struct.unpack_from("<IIII", b, off + 8)
            if iface < len(lts) and 28 + caplen <= blen:
                out.append((lts[iface], b[off + 28:off + 28 + caplen]))
        off += blen
    return out


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

    # fuzz_quicdec (its layout in fuzz_quicdec.c): mode 0, each UDP 443 payload as a raw
    # datagram; mode 1, the ClientHello of RFC 9001 A.2 sealed as a client Initial
    targets.append("fuzz_quicdec")
    seeds["fuzz_quicdec"] = set()
    os.makedirs(os.path.join(out, "fuzz_quicdec"), exist_ok=True)
    rfc_ch = bytes.fromhex(QUIC_RFC_CRYPTO)
    put("fuzz_quicdec", bytes([1, 0, len(rfc_ch)]) + rfc_ch)

    # fuzz_frag (its layout in fuzz_frag.c): mode 1, a datagram cut by the harness into two
    # fragments, and into overlapping ones; mode 0 seeds come from the captures below
    targets.append("fuzz_frag")
    seeds["fuzz_frag"] = set()
    os.makedirs(os.path.join(out, "fuzz_frag"), exist_ok=True)
    dgram = bytes(range(256)) * 2
    put("fuzz_frag", bytes([1, 0, 0, 7, 0x80, 0, 32, 0, 32, 32, 0]) + dgram)
    put("fuzz_frag", bytes([1, 1, 0, 8, 0x80, 0, 32, 0x80, 30, 32, 0, 62, 10, 0]) + dgram)

    # fuzz_proxy (its layout in fuzz_proxy.c): SOCKS5 with auth, SOCKS4a, CONNECT
    targets.append("fuzz_proxy")
    seeds["fuzz_proxy"] = set()
    os.makedirs(os.path.join(out, "fuzz_proxy"), exist_ok=True)

    def chunks(*parts):
        b = b"\x00"
        for d, x in parts:
            b += bytes([(0x80 if d else 0) | len(x)]) + x
        return b
    put("fuzz_proxy", chunks((0, b"\x05\x01\x02"), (1, b"\x05\x02"), (0, b"\x01\x01u\x01p"),
                             (1, b"\x01\x00"), (0, b"\x05\x01\x00\x03\x03abc\x00\x50GET"),
                             (1, b"\x05\x00\x00\x01\x7f\x00\x00\x01\x04\x38HTTP")))
    put("fuzz_proxy", chunks((0, b"\x04\x01\x00\x50\x00\x00\x00\x01u\x00host\x00"),
                             (1, b"\x00\x5a\x00\x00\x00\x00\x00\x00")))
    put("fuzz_proxy", chunks((0, b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n"),
                             (1, b"HTTP/1.1 200 OK\r\n\r\n\x16\x03")))

    for fn in sorted(os.listdir(cap_dir)):
        path = os.path.join(cap_dir, fn)
        if not (fn.endswith(".pcap") or fn.endswith(".pcapng")):
            continue
        with open(path, "rb") as f:
            put("fuzz_pipeline", f.read())
        r = read_pcap(path)
        if not r:
            # a pcapng: each frame of a link type in DLTS seeds fuzz_pkt (crafted-links.pcapng
            # holds one interface per link type, issue 13)
            for lt, fr in read_pcapng_frames(path):
                if lt in DLTS:
                    put("fuzz_pkt", bytes([DLTS.index(lt)]) + fr)
            continue
        linktype, frames = r
        idx = DLTS.index(linktype) if linktype in DLTS else DLTS.index(1)
        conns = {}  # (client ep, server ep) -> [bytes c->s, bytes s->c, seqs seen]
        frags = b""  # the capture's IP fragments as fuzz_frag mode-0 records
        for fr in frames:
            off = l3(linktype, fr)
            if off is not None and off + 40 <= len(fr):
                ip = fr[off:]
                v4frag = ip[0] >> 4 == 4 and (ip[6] & 0x3F or ip[7])
                v6frag = ip[0] >> 4 == 6 and ip[6] == 44
                if (v4frag or v6frag) and len(frags) < 60000:
                    frags += bytes([1]) + struct.pack(">H", len(ip)) + ip
        if frags:
            put("fuzz_frag", b"\x00" + frags)
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
                    n = min(len(pl), 1023)
                    put("fuzz_quicdec", bytes([0, (sp == 443) | (n >> 8) << 6, n & 255]) + pl[:n])
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
    # fuzz_h3 (its layout in fuzz_h3.c): control streams with SETTINGS, the client's QPACK
    # encoder stream (RFC 9204 B.2), a request that refers to its inserts, a response with a
    # body; in order, then with the request before the inserts (blocked) and cut in two
    targets.append("fuzz_h3")
    seeds["fuzz_h3"] = set()
    os.makedirs(os.path.join(out, "fuzz_h3"), exist_ok=True)
    h3_pieces = [
        (3, 1, False, "0004070140dc0710210021036162630701 04"),
        (2, 0, False, "0004050140dc07100d0105"),
        (6, 0, False, "023fbd01c00f7777772e6578616d706c652e636f6dc10c2f73616d706c652f70617468"),
        (10, 0, False, "0300"),
        (0, 0, True, "01060381d1d71011"),
        (0, 1, True, "011a0000d9f454013527 00616c742d7376630968333d223a34343322000568656c6c6f"),
    ]
    def h3_rec(sid, d, fin, body, off=None):
        b0 = sid | (0x20 if fin else 0) | (d << 6 if not sid & 2 else 0)
        if off is None:
            return bytes([b0, len(body)]) + body
        return bytes([b0 | 0x80, len(body)]) + struct.pack("<H", off) + body
    recs = [h3_rec(sid, d, fin, bytes.fromhex(hx)) for sid, d, fin, hx in h3_pieces]
    put("fuzz_h3", b"\x00" + b"".join(recs))
    put("fuzz_h3", b"\x01" + b"".join(recs[i] for i in (0, 1, 4, 2, 5)))
    cut = []
    for sid, d, fin, hx in h3_pieces:
        body = bytes.fromhex(hx)
        k = len(body) // 2
        cut.append(h3_rec(sid, d, fin, body[k:], k) + h3_rec(sid, d, False, body[:k], 0))
    put("fuzz_h3", b"\x00" + b"".join(cut))
    # fuzz_pcapng: the pcapng captures as they are, and a small file of every block the
    # reader knows (SHB, IDB with if_name/if_tsresol/if_tsoffset, DSB, EPB with comments,
    # SPB, obsolete PB, an unknown block) in each byte order, the second a new section
    targets.append("fuzz_pcapng")
    seeds["fuzz_pcapng"] = set()
    os.makedirs(os.path.join(out, "fuzz_pcapng"), exist_ok=True)
    for fn in sorted(os.listdir(cap_dir)):
        if fn.endswith(".pcapng"):
            with open(os.path.join(cap_dir, fn), "rb") as f:
                put("fuzz_pcapng", f.read())

    def ng_file(e):
        def pad(b):
            return b + b"\0" * (-len(b) % 4)
        def opt(code, val):
            return struct.pack(e + "HH", code, len(val)) + pad(val)
        def blk(t, body):
            n = 12 + len(body)
            return struct.pack(e + "II", t, n) + body + struct.pack(e + "I", n)
        end = b"\0\0\0\0"
        shb = blk(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1) +
                  opt(4, b"fetchtrace seed") + end)
        idb0 = blk(1, struct.pack(e + "HHI", 1, 0, 262144) + opt(2, b"eth0") + opt(9, b"\x06") + end)
        idb1 = blk(1, struct.pack(e + "HHI", 101, 0, 1500) + opt(9, b"\x8a") +
                   opt(14, struct.pack(e + "q", 100)) + end)
        keys = b"CLIENT_RANDOM " + b"ab" * 32 + b" " + b"01" * 48 + b"\n"
        dsb = blk(0x0A, struct.pack(e + "II", 0x544c534b, len(keys)) + pad(keys))
        pkt = bytes.fromhex("450000200000000040110000c0000201c000020230390050000c0000") + b"abcd"
        epb = blk(6, struct.pack(e + "IIIII", 1, 1, 2, len(pkt), len(pkt)) + pad(pkt) +
                  opt(1, b"step=connect fetch=1") + opt(1, b"two") + end)
        spb = blk(3, struct.pack(e + "I", 70) + pad(b"\x02" * 60))
        pb = blk(2, struct.pack(e + "HHIIII", 0, 0, 0, 5, 3, 3) + pad(b"xyz") + end)
        unk = blk(0x2a, b"abcd")
        return shb + idb0 + dsb + idb1 + epb + spb + pb + unk
    put("fuzz_pcapng", ng_file("<"))
    put("fuzz_pcapng", ng_file(">"))
    put("fuzz_pcapng", ng_file("<") + ng_file(">"))

    for t in targets:
        print("%-14s %d seeds" % (t, len(seeds[t])))


if __name__ == "__main__":
    main()
