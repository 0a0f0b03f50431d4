#!/usr/bin/env python3
"""gen_links.py - crafted captures of the link types and encapsulations (issue 13):

  captures/crafted-links.pcapng   one interface per link type tcpdump reads that can carry IP
                                  (802.11 with radiotap/PPI/Prism/AVS and bare, PPP and its
                                  framings, PPPoE, Cisco HDLC, Frame Relay, NFLOG, SLIP, IPNET,
                                  PKTAP, FDDI, ATM, DSA/EDSA/Broadcom tags, Juniper, MPLS, pflog,
                                  netANALYZER, IPoIB), each carrying one short fetch (DNS query and
                                  answer, handshake, GET, 200)
  captures/crafted-tunnels.pcap   Ethernet: a fetch inside each tunnel (GRE plain/keyed/TEB,
                                  ERSPAN II/III, VXLAN, Geneve, GTP-U, IP-in-IP 4in4/6in4/4in6/6in6,
                                  MPLS, Teredo, PPPoE in QinQ, VXLAN in GRE)
  captures/crafted-tso.pcap       a sender's super-segments: IPv4 total length 0, an IPv6
                                  jumbogram (Jumbo Payload option, cut by the snap length), IPv6
                                  payload length 0 without the option (Linux BIG TCP)
  captures/crafted-tunnels-bad.pcap  broken tunnel headers, too many labels, tunnels too deep
  captures/crafted-wifi.pcap      802.11 + radiotap: beacons, null data, a protected frame, a fetch

With FT_LINKS_SPLIT=DIR each link type is also written as its own classic pcap in DIR (for
tcpdump, which reads a pcapng of one link type only); those are not committed.

Run from anywhere: python3 tests/crafted/gen_links.py   (stdlib only; gen.py calls it too)
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402
from gen import (CLIENT, RESOLVER, SERVER, CLIENT6, RESOLVER6, MAC_CLIENT, MAC_GW, Pcap,  # noqa: E402
                 csum, dname, dns_hdr, question, rr, ipv4, udp, tcp, pcapng_block, OUT_DIR,
                 SYN_OPTS, T0)

SERVER6 = bytes.fromhex("20010db8000000000000000000000080")
TUN_A = bytes([198, 51, 100, 1])   # tunnel endpoints (outer addresses)
TUN_B = bytes([198, 51, 100, 2])
TUN_A6 = bytes.fromhex("20010db8ffff00000000000000000001")
TUN_B6 = bytes.fromhex("20010db8ffff00000000000000000002")


def ipv6(src, dst, nh, payload, plen=None, hlim=64):
    if plen is None:
        plen = len(payload)
    return struct.pack("!IHBB", 0x60000000, plen, nh, hlim) + src + dst + payload


def tcp6(src, dst, sport, dport, seq, ack, flags, win, payload=b"", options=b""):
    bits = 0
    for ch, b in (("F", 1), ("S", 2), ("R", 4), ("P", 8), ("A", 16)):
        if ch in flags:
            bits |= b
    doff = 5 + len(options) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, bits, win, 0, 0) + options
    ph = src + dst + struct.pack("!IxxxB", len(h) + len(payload), 6)
    c = csum(ph + h + payload)
    return h[:16] + struct.pack("!H", c) + h[18:] + payload


def fetch(idx, v6=False):
    """One short fetch of l<idx>.lab.test as IP packets: [(from_client, ip_bytes)]."""
    name = dname("l%d" % idx, "lab", "test")
    cp, dp = 40000 + idx, 50000 + idx
    ident = 0x1300 + idx
    c, s = 1000 * idx, 7000 * idx
    get = b"GET / HTTP/1.1\r\nHost: l%d.lab.test\r\n\r\n" % idx
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    out = []
    if not v6:
        qt, addr = 1, SERVER
        cl, rs, sv = CLIENT, RESOLVER, SERVER

        def U(src, dst, sp, dpt, pl):
            return ipv4(src, dst, 17, udp(src, dst, sp, dpt, pl), df=False)

        def T(src, dst, sp, dpt, sq, ak, fl, pl=b"", opts=b""):
            return ipv4(src, dst, 6, tcp(src, dst, sp, dpt, sq, ak, fl, 64240, pl, opts))
    else:
        qt, addr = 28, SERVER6
        cl, rs, sv = CLIENT6, RESOLVER6, SERVER6

        def U(src, dst, sp, dpt, pl):
            return ipv6(src, dst, 17, udp(src, dst, sp, dpt, pl, v6=True))

        def T(src, dst, sp, dpt, sq, ak, fl, pl=b"", opts=b""):
            return ipv6(src, dst, 6, tcp6(src, dst, sp, dpt, sq, ak, fl, 64240, pl, opts))
    q = dns_hdr(ident, False) + question(name, qt)
    a = dns_hdr(ident, True, an=1, aa=True, ra=True) + question(name, qt) + rr(b"\xc0\x0c", qt, addr)
    out.append((True, U(cl, rs, cp, 53, q)))
    out.append((False, U(rs, cl, 53, cp, a)))
    out.append((True, T(cl, sv, dp, 80, c, 0, "S", opts=SYN_OPTS)))
    out.append((False, T(sv, cl, 80, dp, s, c + 1, "SA", opts=SYN_OPTS)))
    out.append((True, T(cl, sv, dp, 80, c + 1, s + 1, "PA", get)))
    out.append((False, T(sv, cl, 80, dp, s + 1, c + 1 + len(get), "PA", resp)))
    return out


def ver_of(ipb):
    return ipb[0] >> 4


def ethertype_of(ipb):
    return 0x86DD if ver_of(ipb) == 6 else 0x0800


def ether(ipb, up, et=None):
    src, dst = (MAC_CLIENT, MAC_GW) if up else (MAC_GW, MAC_CLIENT)
    return dst + src + struct.pack("!H", et if et is not None else ethertype_of(ipb)) + ipb


SNAP = lambda et: b"\xaa\xaa\x03\x00\x00\x00" + struct.pack("!H", et)  # noqa: E731


def dot11(ipb, up, qos=True, seq=0, protected=False):
    """An 802.11 data frame to (up) or from the AP, LLC/SNAP inside."""
    fc0 = 0x88 if qos else 0x08
    fc1 = (0x01 if up else 0x02) | (0x40 if protected else 0)
    bssid = bytes.fromhex("02aabbccdd01")
    if up:   # To DS: addr1 BSSID, addr2 SA, addr3 DA
        a1, a2, a3 = bssid, MAC_CLIENT, MAC_GW
    else:    # From DS: addr1 DA, addr2 BSSID, addr3 SA
        a1, a2, a3 = MAC_CLIENT, bssid, MAC_GW
    h = bytes([fc0, fc1]) + b"\x2c\x00" + a1 + a2 + a3 + struct.pack("<H", seq << 4)
    if qos:
        h += b"\x00\x00"
    return h + SNAP(ethertype_of(ipb)) + ipb


def radiotap(frame, fcs=True):
    # present: TSFT (bit 0), Flags (bit 1), Rate (bit 2); fields: TSFT at 8, flags 16, rate 17
    flags = 0x10 if fcs else 0
    h = struct.pack("<BBHI", 0, 0, 18, 0x7) + struct.pack("<Q", 123456789) + bytes([flags, 0x0c])
    return h + frame + (b"\xde\xad\xbe\xef" if fcs else b"")


def ppp(ipb, acf=True):
    proto = 0x0057 if ver_of(ipb) == 6 else 0x0021
    return (b"\xff\x03" if acf else b"") + struct.pack("!H", proto) + ipb


def pppoe(ipb, sid=0x1234):
    body = ppp(ipb, acf=False)
    return struct.pack("!BBHH", 0x11, 0, sid, len(body)) + body


def nflog(ipb):
    fam = 10 if ver_of(ipb) == 6 else 2
    tlvs = struct.pack("<HH", 8, 1) + struct.pack("!HBB", ethertype_of(ipb), 3, 0)  # NFULA_PACKET_HDR
    prefix = b"fetch\0"
    tlvs += struct.pack("<HH", 4 + len(prefix), 10) + prefix + b"\0" * (-len(prefix) % 4)
    tlvs += struct.pack("<HH", 4 + len(ipb), 9) + ipb + b"\0" * (-len(ipb) % 4)
    return struct.pack("!BBH", fam, 0, 0) + tlvs


def pktap(ipb, up):
    eth = ether(ipb, up)
    h = struct.pack("<III", 108, 1, 1) + b"en0".ljust(24, b"\0") + b"\0" * (108 - 36)
    return h + eth


def ipnet(ipb, up):
    fam = 26 if ver_of(ipb) == 6 else 2
    return struct.pack("!BBHIIIII", 2, fam, 1 if up else 2, len(ipb), 2, 0, 0, 0) + ipb


def mpls(ipb, labels=(100, 2000)):
    out = b""
    for i, l in enumerate(labels):
        out += struct.pack("!I", l << 12 | (0x100 if i == len(labels) - 1 else 0) | 64)
    return out + ipb


def eth_tag(ipb, up, tag):
    src, dst = (MAC_CLIENT, MAC_GW) if up else (MAC_GW, MAC_CLIENT)
    return dst + src + tag + struct.pack("!H", ethertype_of(ipb)) + ipb


# (name, LINKTYPE_ value, wrap(ip, from_client) -> frame)
LINKS = [
    ("radiotap", 127, lambda b, up: radiotap(dot11(b, up))),
    ("ieee802_11", 105, lambda b, up: dot11(b, up, qos=False)),
    ("ppi", 192, lambda b, up: struct.pack("<BBHI", 0, 0, 8, 105) + dot11(b, up)),
    ("prism", 119, lambda b, up: struct.pack("<II", 0x44, 144) + b"\0" * 136 + dot11(b, up)),
    ("avs", 163, lambda b, up: struct.pack("!II", 0x80211001, 64) + b"\0" * 56 + dot11(b, up)),
    ("ppp", 9, lambda b, up: ppp(b)),
    ("ppp_hdlc", 50, lambda b, up: ppp(b)),
    ("ppp_hdlc_chdlc", 50, lambda b, up: b"\x0f\x00" + struct.pack("!H", ethertype_of(b)) + b),
    ("ppp_pppd", 166, lambda b, up: (b"\x01" if up else b"\x00") + ppp(b)[1:]),
    ("ppp_with_dir", 204, lambda b, up: (b"\x01" if up else b"\x00") + ppp(b, acf=False)),
    ("ppp_ether", 51, lambda b, up: pppoe(b)),
    ("c_hdlc", 104, lambda b, up: b"\x0f\x00" + struct.pack("!H", ethertype_of(b)) + b),
    ("frelay", 107, lambda b, up: b"\x18\x41\x03\xcc" + b),
    ("frelay_snap", 107, lambda b, up: b"\x18\x41\x03\x00\x80\x00\x00\x00" +
     struct.pack("!H", ethertype_of(b)) + b),
    ("nflog", 239, lambda b, up: nflog(b)),
    ("slip", 8, lambda b, up: (b"\x01" if up else b"\x00") + b"\x40" + b"\0" * 14 + b),
    ("ipnet", 226, lambda b, up: ipnet(b, up)),
    ("pktap", 258, lambda b, up: pktap(b, up)),
    ("fddi", 10, lambda b, up: b"\x50" + bytes(6) + bytes(6) + SNAP(ethertype_of(b)) + b),
    ("atm_rfc1483", 100, lambda b, up: SNAP(ethertype_of(b)) + b),
    ("dsa_brcm", 281, lambda b, up: eth_tag(b, up, b"\x20\x00\x00\x01")),
    ("dsa_brcm_prepend", 282, lambda b, up: b"\x20\x00\x00\x01" + ether(b, up)),
    ("dsa", 284, lambda b, up: eth_tag(b, up, b"\xc0\x08\x00\x00")),
    ("edsa", 285, lambda b, up: eth_tag(b, up, b"\xda\xda\x00\x00\xc0\x08\x00\x00")),
    ("juniper_ether", 178, lambda b, up: b"MGC" + (b"\x01" if up else b"\x00") + ether(b, up)),
    ("mpls", 219, lambda b, up: mpls(b)),
    ("netanalyzer", 240, lambda b, up: b"\x00\x00\x00\x00" + ether(b, up) + b"\0" * 4),
    ("netanalyzer_transparent", 241, lambda b, up: b"\x00" * 4 + b"\x55" * 7 + b"\xd5" + ether(b, up) +
     b"\0" * 4),
    ("ipoib", 242, lambda b, up: bytes(range(40)) + struct.pack("!HH", ethertype_of(b), 0) + b),
    ("pflog", 117, lambda b, up: bytes([61, 24 if ver_of(b) == 6 else 2, 0, 0]) + b"pflog0".ljust(16, b"\0") +
     b"\0" * 16 + struct.pack("!IIiiiiB3x", 0, 0xFFFFFFFF, -1, -1, -1, -1, 1 if up else 2)[:28] + b),
    ("linux_sll", 113, lambda b, up: struct.pack("!HHH", 4 if up else 0, 1, 6) + MAC_CLIENT + b"\0\0" +
     struct.pack("!H", ethertype_of(b)) + b),
]


def gen_links():
    """crafted-links.pcapng: interface i has link type LINKS[i] and carries fetch i."""
    gen.IP_ID[0] = 0x1000  # each capture numbers its datagrams from its own start
    path = os.path.join(OUT_DIR, "crafted-links.pcapng")
    shb = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out = shb
    for name, lt, _ in LINKS:
        nm = name.encode()
        opts = struct.pack("<HH", 2, len(nm)) + nm + b"\0" * (-len(nm) % 4) + struct.pack("<HH", 0, 0)
        out += pcapng_block(1, struct.pack("<HHI", lt, 0, 262144) + opts)
    t = T0 * 1000000
    n = 0
    for i, (name, lt, wrap) in enumerate(LINKS):
        for up, ipb in fetch(i + 1):
            frame = wrap(ipb, up)
            t += 250
            out += pcapng_block(6, struct.pack("<IIIII", i, t >> 32, t & 0xFFFFFFFF,
                                               len(frame), len(frame)) + frame)
            n += 1
    with open(path, "wb") as f:
        f.write(out)
    print("wrote %s (%d packets)" % (os.path.relpath(path), n))
    if os.environ.get("FT_LINKS_SPLIT"):
        write_split(os.environ["FT_LINKS_SPLIT"])


def write_split(d):
    """Each link type's fetch as its own classic pcap NAME.pcap in d (tcpdump reads a pcapng
    of one link type only); tests/oracle.py compares them with tshark and tcpdump.  Returns
    [(name, linktype, path)]."""
    out = []
    for i, (name, lt, wrap) in enumerate(LINKS):
        pc = Pcap(name + ".pcap", lt)
        for up, ipb in fetch(i + 1):
            pc.add(wrap(ipb, up))
        pc.write_to(d)
        out.append((name, lt, os.path.join(d, name + ".pcap")))
    return out


# ---------------------------------------------------------------------------
# tunnels over Ethernet
# ---------------------------------------------------------------------------

def outer4(inner, proto, up):
    a, b = (TUN_A, TUN_B) if up else (TUN_B, TUN_A)
    return ipv4(a, b, proto, inner, df=False)


def outer6(inner, nh, up):
    a, b = (TUN_A6, TUN_B6) if up else (TUN_B6, TUN_A6)
    return ipv6(a, b, nh, inner)


def udp_outer(payload, dport, up, sport=None):
    a, b = (TUN_A, TUN_B) if up else (TUN_B, TUN_A)
    sp = sport if sport is not None else 33000
    return ipv4(a, b, 17, udp(a, b, sp, dport, payload), df=False)


def gre(inner_proto, payload, key=None, seq=None, csum_=False):
    fl = (0x8000 if csum_ else 0) | (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0)
    h = struct.pack("!HH", fl, inner_proto)
    if csum_:
        h += b"\0\0\0\0"
    if key is not None:
        h += struct.pack("!I", key)
    if seq is not None:
        h += struct.pack("!I", seq)
    return h + payload


def inner_eth(ipb, up):
    return ether(ipb, up)


TUNNELS = [
    # (label, wrap(ip, up) -> Ethernet frame, v6 inner)
    ("gre", lambda b, up: ether(outer4(gre(ethertype_of(b), b), 47, up), up), False),
    ("gre-key-seq", lambda b, up: ether(outer4(gre(ethertype_of(b), b, key=5, seq=9, csum_=True), 47, up), up), False),
    ("gre-teb", lambda b, up: ether(outer4(gre(0x6558, inner_eth(b, up), key=77), 47, up), up), False),
    ("erspan2", lambda b, up: ether(outer4(gre(0x88BE, struct.pack("!HHI", 0x1000 | 10, 0x0000 | 33, 0) +
                                              inner_eth(b, up), seq=1), 47, up), up), False),
    ("erspan3", lambda b, up: ether(outer4(gre(0x22EB, struct.pack("!HHIHH", 0x2000 | 10, 44, 0, 0, 0x0001) +
                                              b"\0" * 8 + inner_eth(b, up), seq=1), 47, up), up), False),
    ("vxlan", lambda b, up: ether(udp_outer(struct.pack("!II", 0x08000000, 42 << 8) + inner_eth(b, up), 4789, up), up), False),
    ("geneve", lambda b, up: ether(udp_outer(struct.pack("!BBHI", 2, 0, 0x6558, 7 << 8) +
                                             struct.pack("!HBB", 0x0102, 0x80, 1) + b"\0" * 4 +
                                             inner_eth(b, up), 6081, up), up), False),
    ("gtpu", lambda b, up: ether(udp_outer(struct.pack("!BBHI", 0x34, 0xFF, len(b) + 8, 0xABCDEF01) +
                                           struct.pack("!HBB", 0, 0, 0x85) + b"\x01\x10\x09\x00" + b,
                                           2152, up, sport=2152), up), False),
    ("4in4", lambda b, up: ether(outer4(b, 4, up), up), False),
    ("6in4", lambda b, up: ether(outer4(b, 41, up), up), True),
    ("4in6", lambda b, up: ether(outer6(b, 4, up), up, 0x86DD), False),
    ("6in6", lambda b, up: ether(outer6(b, 41, up), up, 0x86DD), True),
    ("mpls", lambda b, up: ether(mpls(b, (16, 17, 18)), up, 0x8847), False),
    ("teredo", lambda b, up: ether(udp_outer((b"" if up else b"\x00\x00" + b"\x0b\xb8" + b"\0" * 4) + b,
                                             3544 if up else 40001, up, sport=40001 if up else 3544), up), True),
    ("pppoe-qinq", lambda b, up: (MAC_GW + MAC_CLIENT if up else MAC_CLIENT + MAC_GW) +
     b"\x88\xa8\x00\x64\x81\x00\x00\xc8\x88\x64" + pppoe(b, 0x0042), False),
    ("vxlan-in-gre", lambda b, up: ether(outer4(gre(0x0800, udp_outer(struct.pack("!II", 0x08000000, 9 << 8) +
                                                                     inner_eth(b, up), 4789, up)), 47, up), up), False),
]


def gen_tunnels():
    """crafted-tunnels.pcap: fetch 100 + i inside TUNNELS[i], over Ethernet."""
    gen.IP_ID[0] = 0x2000  # each capture numbers its datagrams from its own start
    p = Pcap("crafted-tunnels.pcap")
    for i, (label, wrap, v6) in enumerate(TUNNELS):
        for up, ipb in fetch(100 + i, v6=v6):
            p.add(wrap(ipb, up))
    p.write()


def gen_tso():
    """A sender's own capture: super-segments whose IP header says length 0."""
    gen.IP_ID[0] = 0x3000  # each capture numbers its datagrams from its own start
    p = Pcap("crafted-tso.pcap")
    # TSO / BIG TCP on the sender: a 3000-byte super-segment whose IPv4 total length is 0
    idx = 140
    f = fetch(idx)
    for up, ipb in f[:5]:
        p.add(ether(ipb, up))
    c, s = 1000 * idx, 7000 * idx
    get = f[4][1]
    seq0 = s + 1
    ack = c + 1 + (len(get) - 20 - 20)
    body = b"HTTP/1.1 200 OK\r\nContent-Length: 2900\r\n\r\n"
    body += b"x" * (2900 + len(b"HTTP/1.1 200 OK\r\nContent-Length: 2900\r\n\r\n") - len(body))
    seg = tcp(SERVER, CLIENT, 80, 50000 + idx, seq0, ack, "PA", 64240, body)
    big = ipv4(SERVER, CLIENT, 6, seg)
    big = big[:2] + b"\0\0" + big[4:]   # total length 0 (checksum left as computed: TSO)
    p.add(ether(big, False))
    # IPv6 BIG TCP: payload length 0 with a Jumbo Payload option, and without (stripped)
    f6 = fetch(141, v6=True)
    for up, ipb in f6[:5]:
        p.add(ether(ipb, up))
    get6 = f6[4][1]
    c, s = 1000 * 141, 7000 * 141
    ack6 = c + 1 + (len(get6) - 40 - 20)
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n"
    seg6 = tcp6(SERVER6, CLIENT6, 80, 50141, s + 1, ack6, "PA", 64240, head + b"j" * 70000)
    # a jumbogram proper (RFC 2675: longer than 65535), cut at 200 bytes by the snap length
    hbh = bytes([6, 0, 0xC2, 4]) + struct.pack("!I", 8 + len(seg6))
    p.add(ether(ipv6(SERVER6, CLIENT6, 0, hbh + seg6, plen=0), False), caplen=200)
    f6b = fetch(142, v6=True)
    for up, ipb in f6b[:5]:
        p.add(ether(ipb, up))
    get6 = f6b[4][1]
    c, s = 1000 * 142, 7000 * 142
    seg6 = tcp6(SERVER6, CLIENT6, 80, 50142, s + 1, c + 1 + (len(get6) - 60), "PA", 64240,
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
    p.add(ether(ipv6(SERVER6, CLIENT6, 6, seg6, plen=0), False))
    p.write()


def gen_tunnels_bad():
    """Broken tunnel and session headers: each shows as malformed, cut or not followed, the
    run goes on."""
    gen.IP_ID[0] = 0x4000  # each capture numbers its datagrams from its own start
    p = Pcap("crafted-tunnels-bad.pcap")
    ok = fetch(150)[0][1]
    p.add(ether(outer4(gre(0x0800, ok), 47, True), True), caplen=14 + 20 + 2)      # GRE cut
    p.add(ether(outer4(struct.pack("!HH", 0x0002, 0x0800) + ok, 47, True), True))   # GRE version 2
    p.add(ether(udp_outer(struct.pack("!BBHI", 0x34, 0xFF, 0, 1) + b"\0\0\0\x85\x00" + ok, 2152, True), True))  # GTP ext len 0
    p.add(MAC_GW + MAC_CLIENT + b"\x88\x64" + struct.pack("!BBHH", 0x12, 0, 1, 2) + b"\x00\x21" + ok)  # PPPoE ver 2
    p.add(ether(mpls(ok, tuple(range(20, 37))), True, 0x8847))                        # 17 labels
    nest = ok
    for _ in range(10):
        nest = outer4(nest, 4, True)
    p.add(ether(nest, True))                                                           # 10 x 4in4
    p.add(ether(outer4(gre(0x6558, b"\x02\x00"), 47, True), True))                     # TEB frame cut short
    p.add(ether(udp_outer(struct.pack("!II", 0x08000000, 5 << 8) + MAC_GW + MAC_CLIENT + b"\x08\x00" +
                          ok[:10], 4789, True), True))                                 # inner IP cut short
    # ... and a last good packet
    for up, ipb in fetch(151)[:2]:
        p.add(ether(ipb, up))
    p.write()


def gen_wifi():
    """802.11 + radiotap as a monitor-mode capture beside a laptop shows it: beacons,
    a null-data frame, a protected (WPA) data frame, an ACK; then a fetch over open Wi-Fi."""
    gen.IP_ID[0] = 0x5000  # each capture numbers its datagrams from its own start
    p = Pcap("crafted-wifi.pcap", 127)
    bssid = bytes.fromhex("02aabbccdd01")
    beacon = b"\x80\x00\x00\x00" + b"\xff" * 6 + bssid + bssid + b"\x10\x00" + \
        struct.pack("<QHH", 1, 100, 0x0411) + b"\x00\x04test"
    p.add(radiotap(beacon))
    p.add(radiotap(b"\x48\x01\x2c\x00" + bssid + MAC_CLIENT + bssid + b"\x20\x00"))  # null data
    p.add(radiotap(b"\xd4\x00\x00\x00" + MAC_CLIENT))  # ACK (control)
    enc = dot11(fetch(160)[0][1], True, protected=True)
    p.add(radiotap(enc[:34] + b"\x01\x00\x00\x20\x00\x00\x00\x00" + bytes(range(60))))
    for i, (up, ipb) in enumerate(fetch(161)):
        p.add(radiotap(dot11(ipb, up, seq=i + 1)))
    # a fragmented MSDU's first fragment, and a header cut by the snap length
    frag = bytearray(dot11(fetch(162)[0][1], True))
    frag[1] |= 0x04
    p.add(radiotap(bytes(frag)))
    p.add(radiotap(dot11(fetch(162)[0][1], True)), caplen=18 + 20)
    p.write()


def _write_to(self, d):
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, self.name)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, self.linktype))
        for sec, usec, data, orig in self.recs:
            f.write(struct.pack("<IIII", sec, usec, len(data), orig))
            f.write(data)


Pcap.write_to = _write_to


KINDS = {"pppoe": 1, "mpls": 2, "gre": 3, "erspan": 4, "vxlan": 5, "geneve": 6, "gtpu": 7,
         "ipip": 8, "teredo": 9}
# the encapsulations each TUNNELS entry records, outermost first
TUNNEL_ENCAP = {
    "gre": ["gre"], "gre-key-seq": ["gre"], "gre-teb": ["gre"], "erspan2": ["erspan"],
    "erspan3": ["erspan"], "vxlan": ["vxlan"], "geneve": ["geneve"], "gtpu": ["gtpu"],
    "4in4": ["ipip"], "6in4": ["ipip"], "4in6": ["ipip"], "6in6": ["ipip"], "mpls": ["mpls"],
    "teredo": ["teredo"], "pppoe-qinq": ["pppoe"], "vxlan-in-gre": ["gre", "vxlan"],
}


def c_array(name, b):
    out = "static const uint8_t %s[%d] = {\n" % (name, len(b))
    for i in range(0, len(b), 12):
        out += "\t" + " ".join("0x%02x," % x for x in b[i:i + 12]) + "\n"
    return out + "};\n"


def gen_unit_header():
    """tests/unit/encap_frames.h: the SYN of each link type's and each tunnel's fetch, for
    test_encap.c (every prefix, every field)."""
    gen.IP_ID[0] = 0x6000  # each capture numbers its datagrams from its own start
    path = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit",
                                         "encap_frames.h"))
    out = "/* encap_frames.h - written by tests/crafted/gen_links.py; do not edit. */\n"
    out += "/* The SYN (client -> server, port 80) of one fetch per link type and per tunnel. */\n\n"
    rows = []
    for i, (name, lt, wrap) in enumerate(LINKS):
        up, ipb = fetch(i + 1)[2]
        var = "lk_" + name
        out += c_array(var, wrap(ipb, up))
        kinds = {"ppp_ether": ["pppoe"], "mpls": ["mpls"]}.get(name, [])
        rows.append('\t{ "%s", %d, %s, sizeof %s, %d, 4, { %s }, %d },\n' % (
            name, lt, var, var, 50000 + i + 1, ", ".join(str(KINDS[k]) for k in kinds) or "0", len(kinds)))
    for i, (label, wrap, v6) in enumerate(TUNNELS):
        up, ipb = fetch(100 + i, v6=v6)[2]
        var = "tn_" + label.replace("-", "_")
        out += c_array(var, wrap(ipb, up))
        kinds = TUNNEL_ENCAP[label]
        rows.append('\t{ "%s", 1, %s, sizeof %s, %d, %d, { %s }, %d },\n' % (
            label, var, var, 50100 + i, 6 if v6 else 4, ", ".join(str(KINDS[k]) for k in kinds), len(kinds)))
    out += "\nstruct encap_frame {\n\tconst char *name;\n\tint dlt;\n\tconst uint8_t *b;\n\tsize_t n;\n"
    out += "\tunsigned sport;    /* the inner SYN's source port */\n\tunsigned ip_ver;   /* inner */\n"
    out += "\tunsigned kinds[4]; /* ENCAP_* recorded, outermost first */\n\tunsigned n_kinds;\n};\n\n"
    out += "static const struct encap_frame encap_frames[] = {\n" + "".join(rows) + "};\n"
    with open(path, "w") as f:
        f.write(out)
    print("wrote %s" % os.path.relpath(path))


def main():
    gen_links()
    gen_tunnels()
    gen_tso()
    gen_tunnels_bad()
    gen_wifi()
    gen_unit_header()


if __name__ == "__main__":
    main()
