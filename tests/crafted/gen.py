#!/usr/bin/env python3
"""gen.py - write the hand-made captures captures/crafted-*.pcap (malformed/hostile input).

Each capture shows one topic.  The packets are built like real ones (Ethernet + IPv4
192.0.2.10 <-> 192.0.2.53 / 192.0.2.80, correct IP/UDP/TCP checksums, real-looking DNS and
TCP), then the one thing under test is broken; every capture ends with good packets to show
the run goes on.  Classic pcap (magic 0xa1b2c3d4, v2.4, snaplen 262144, DLT_EN10MB), fixed
and increasing time stamps, so the output is the same on every run.

Run from anywhere: python3 tests/crafted/gen.py   (stdlib only)
"""
import os
import base64
import hashlib
import hmac
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "captures"))

CLIENT = bytes([192, 0, 2, 10])
RESOLVER = bytes([192, 0, 2, 53])
SERVER = bytes([192, 0, 2, 80])
CLIENT6 = bytes.fromhex("20010db8000000000000000000000010")
RESOLVER6 = bytes.fromhex("20010db8000000000000000000000053")
MAC_CLIENT = bytes.fromhex("020000000010")
MAC_GW = bytes.fromhex("020000000001")

# ---------------------------------------------------------------------------
# pcap writer
# ---------------------------------------------------------------------------

T0 = 1700000000  # 2023-11-14 22:13:20 UTC, first packet of every capture


class Pcap:
    """Collects records; times are T0 + n * step microseconds unless given."""

    def __init__(self, name, linktype=1):
        self.name = name
        self.linktype = linktype
        self.recs = []
        self.t_us = 0

    def add(self, frame, gap_us=100, caplen=None):
        """Append a frame gap_us after the previous one; caplen < len(frame) cuts it
        as a snap length would (orig_len stays the frame's length)."""
        self.t_us += gap_us if self.recs else 0
        data = frame if caplen is None else frame[:caplen]
        self.recs.append((T0 + self.t_us // 1000000, self.t_us % 1000000, data, len(frame)))

    def write(self):
        path = os.path.join(OUT_DIR, self.name)
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, self.linktype))
            for sec, usec, data, orig in self.recs:
                f.write(struct.pack("<IIII", sec, usec, len(data), orig))
                f.write(data)
        print("wrote %s (%d packets)" % (os.path.relpath(path), len(self.recs)))


# ---------------------------------------------------------------------------
# layer builders
# ---------------------------------------------------------------------------

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(payload, ethertype=0x0800, src=MAC_CLIENT, dst=MAC_GW):
    return dst + src + struct.pack("!H", ethertype) + payload


def eth_for(src_ip, payload, ethertype=0x0800):
    """Ethernet with the MACs the right way round for the sender."""
    if src_ip in (CLIENT, CLIENT6):
        return eth(payload, ethertype, MAC_CLIENT, MAC_GW)
    return eth(payload, ethertype, MAC_GW, MAC_CLIENT)


IP_ID = [0x4000]


def ipv4(src, dst, proto, payload, ihl=5, total_len=None, frag_off=0, df=True, mf=False,
         ttl=64, ident=None, options=b""):
    """IPv4 header (RFC 791 3.1).  ihl/total_len override the true values for the
    malformed cases; the checksum is always computed over what is written."""
    if ident is None:
        IP_ID[0] += 1
        ident = IP_ID[0]
    hlen = 20 + len(options)
    if total_len is None:
        total_len = hlen + len(payload)
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_off & 0x1FFF)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl & 0xF), 0, total_len, ident, flags, ttl,
                    proto, 0, src, dst) + options
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def pseudo4(src, dst, proto, length):
    return src + dst + struct.pack("!BBH", 0, proto, length)


def udp(src, dst, sport, dport, payload, v6=False):
    length = 8 + len(payload)
    h = struct.pack("!HHHH", sport, dport, length, 0)
    if v6:
        ph = src + dst + struct.pack("!IxxxB", length, 17)
    else:
        ph = pseudo4(src, dst, 17, length)
    c = csum(ph + h + payload) or 0xFFFF
    return h[:6] + struct.pack("!H", c) + payload


def tcp(src, dst, sport, dport, seq, ack, flags, win, payload=b"", options=b"", doff=None):
    """TCP header (RFC 9293 3.1).  flags is a string of S A F R P; doff overrides the
    data offset for the malformed cases."""
    bits = 0
    for ch, b in (("F", 1), ("S", 2), ("R", 4), ("P", 8), ("A", 16)):
        if ch in flags:
            bits |= b
    if doff is None:
        assert len(options) % 4 == 0
        doff = 5 + len(options) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                    doff << 4, bits, win, 0, 0) + options
    c = csum(pseudo4(src, dst, 6, len(h) + len(payload)) + h + payload)
    return h[:16] + struct.pack("!H", c) + h[18:] + payload


def udp4_frame(src, dst, sport, dport, payload):
    return eth_for(src, ipv4(src, dst, 17, udp(src, dst, sport, dport, payload), df=False))


def tcp4_frame(src, dst, sport, dport, seq, ack, flags, win, payload=b"", options=b"",
               doff=None):
    return eth_for(src, ipv4(src, dst, 6, tcp(src, dst, sport, dport, seq, ack, flags, win,
                                              payload, options, doff)))


# TCP options (RFC 9293 3.2, RFC 7323, RFC 2018)
def opt_mss(v=1460):
    return struct.pack("!BBH", 2, 4, v)


OPT_SACKOK = b"\x04\x02"
OPT_NOP = b"\x01"


def opt_ws(v=7):
    return struct.pack("!BBB", 3, 3, v)


def opt_ts(val, ecr):
    return struct.pack("!BBII", 8, 10, val, ecr)


def opt_sack(blocks):
    return OPT_NOP + OPT_NOP + struct.pack("!BB", 5, 2 + 8 * len(blocks)) + b"".join(
        struct.pack("!II", l & 0xFFFFFFFF, r & 0xFFFFFFFF) for l, r in blocks)


SYN_OPTS = opt_mss() + OPT_NOP + OPT_NOP + OPT_SACKOK + OPT_NOP + opt_ws(7)  # 12 bytes


# ---------------------------------------------------------------------------
# DNS (RFC 1035 4.1)
# ---------------------------------------------------------------------------

def dname(*labels):
    """Uncompressed wire name from raw byte labels (str is encoded as latin-1)."""
    out = b""
    for l in labels:
        if isinstance(l, str):
            l = l.encode("latin-1")
        assert len(l) < 64
        out += bytes([len(l)]) + l
    return out + b"\0"


WWW = dname("www", "lab", "test")


def dns_hdr(ident, qr, qd=1, an=0, ns=0, ar=0, rd=True, aa=False, ra=False, rcode=0):
    flags = (0x8000 if qr else 0) | (0x0400 if aa else 0) | (0x0100 if rd else 0) | \
            (0x0080 if ra else 0) | rcode
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)


def question(name, qtype=1, qclass=1):
    return name + struct.pack("!HH", qtype, qclass)


def rr(name, rtype, rdata, ttl=300, rclass=1, rdlen=None):
    if rdlen is None:
        rdlen = len(rdata)
    return name + struct.pack("!HHIH", rtype, rclass, ttl, rdlen) + rdata


def txt_rdata(*strings):
    return b"".join(bytes([len(s)]) + s for s in strings)


PTR_Q = b"\xc0\x0c"  # compression pointer to the question name at offset 12


def http_response(total, fill, headers=b""):
    """A 200 response of exactly `total` bytes whose Content-Length is right."""
    for digits in range(1, 8):
        head = b"HTTP/1.1 200 OK\r\n" + headers + b"Content-Length: %d\r\n\r\n"
        body_len = total - len(head % (10 ** (digits - 1)))
        if len(str(body_len)) == digits:
            return (head % body_len) + fill * body_len
    raise ValueError("no Content-Length fits %d bytes" % total)


def dns_query(ident, name, qtype=1):
    return dns_hdr(ident, False) + question(name, qtype)


# ---------------------------------------------------------------------------
# 1. crafted-dns-hostile: terminal escapes and odd bytes in names and TXT
# ---------------------------------------------------------------------------

def gen_dns_hostile():
    p = Pcap("crafted-dns-hostile.pcap")
    cport = 41000

    def q(ident, name, qtype=1):
        p.add(udp4_frame(CLIENT, RESOLVER, cport, 53, dns_query(ident, name, qtype)))

    def a(ident, name, answers, qtype=1):
        msg = dns_hdr(ident, True, an=len(answers), aa=True) + question(name, qtype) + \
            b"".join(answers)
        p.add(udp4_frame(RESOLVER, CLIENT, 53, cport, msg), gap_us=150)

    # 1-2: query and answer for a name whose first label holds a bare ESC (0x1b):
    #      "a<ESC>b.lab.test" A -> 192.0.2.66
    n = dname(b"a\x1bb", "lab", "test")
    q(0x1001, n)
    a(0x1001, n, [rr(PTR_Q, 1, bytes([192, 0, 2, 66]))])
    # 3-4: a CSI colour sequence in a label: "<ESC>[31mred<ESC>[0m.lab.test" A; the answer's
    #      owner is written out again (not compressed) so the printer shows it too.
    n = dname(b"\x1b[31mred\x1b[0m", "lab", "test")
    q(0x1002, n)
    a(0x1002, n, [rr(dname(b"\x1b[31mred\x1b[0m", "lab", "test"), 1, bytes([192, 0, 2, 67]))])
    # 5-6: an OSC "set window title" sequence: "<ESC>]0;pwned<BEL>.lab.test" A
    n = dname(b"\x1b]0;pwned\x07", "lab", "test")
    q(0x1003, n)
    a(0x1003, n, [rr(PTR_Q, 1, bytes([192, 0, 2, 68]))])
    # 7-8: U+202E RIGHT-TO-LEFT OVERRIDE (UTF-8 e2 80 ae), a NUL, a backslash and a dot
    #      inside labels: "evil<U+202E>gnp.nul<NUL>byte.back\slash.dot.inside.lab.test" A
    n = dname(b"evil\xe2\x80\xaegnp", b"nul\x00byte", b"back\\slash", b"dot.inside", "lab", "test")
    q(0x1004, n)
    a(0x1004, n, [rr(PTR_Q, 1, bytes([192, 0, 2, 69]))])
    # 9-10: TXT query for txt.lab.test; the answer's strings carry the same bytes:
    #       CSI, OSC, U+202E, NUL, backslash, a double quote, DEL and a high byte.
    n = dname("txt", "lab", "test")
    q(0x1005, n, qtype=16)
    a(0x1005, n, [rr(PTR_Q, 16, txt_rdata(b"\x1b[31mred\x1b[0m \x1b]0;pwned\x07",
                                          b"rlo\xe2\x80\xaeevil nul\x00 back\\slash",
                                          b"quote\" del\x7f high\xff"))], qtype=16)
    # 11-12: CNAME whose target carries the bytes: www2.lab.test A ->
    #        CNAME "<ESC>[2J<ESC>]0;x<BEL>\.<U+202E>.lab.test", then that name A 192.0.2.70
    n = dname("www2", "lab", "test")
    tgt = dname(b"\x1b[2J\x1b]0;x\x07\\.\xe2\x80\xae", "lab", "test")
    q(0x1006, n)
    a(0x1006, n, [rr(PTR_Q, 5, tgt), rr(tgt, 1, bytes([192, 0, 2, 70]))])
    # 13-14: a connection to the address that answer gave (SYN, SYN-ACK), so the fetch
    #        header and the connection summary print the hostile names too
    p.add(tcp4_frame(CLIENT, bytes([192, 0, 2, 70]), 41001, 80, 0x12345678, 0, "S", 64240,
                     options=SYN_OPTS), gap_us=300)
    p.add(tcp4_frame(bytes([192, 0, 2, 70]), CLIENT, 80, 41001, 0x9ABCDEF0, 0x12345679, "SA",
                     65160, options=SYN_OPTS))
    # 15-16: a normal query and answer: www.lab.test A -> 192.0.2.80
    q(0x1007, WWW)
    a(0x1007, WWW, [rr(PTR_Q, 1, SERVER)])
    p.write()


# ---------------------------------------------------------------------------
# 2. crafted-dns-malformed: broken compression, lengths and counts
# ---------------------------------------------------------------------------

def gen_dns_malformed():
    p = Pcap("crafted-dns-malformed.pcap")
    cport = 42000

    def resp(msg):
        p.add(udp4_frame(RESOLVER, CLIENT, 53, cport, msg))

    # 1: the question name is a pointer to itself (offset 12 -> 12)
    resp(dns_hdr(0x2001, True, aa=True) + b"\xc0\x0c" + struct.pack("!HH", 1, 1))
    # 2: two pointers pointing at each other: offset 12 -> 14, offset 14 -> 12
    #    (the second pointer's bytes are also read as the question's type)
    resp(dns_hdr(0x2002, True, aa=True) + b"\xc0\x0e\xc0\x0c" + struct.pack("!H", 1))
    # 3: a loop through a label using only backward pointers: the answer's name at offset
    #    30 is label "a" then a pointer back to offset 30 (each jump is strictly backwards
    #    from where the pointer sits, yet the name never ends)
    body = dns_hdr(0x2003, True, an=1, aa=True) + question(WWW)      # 12 + 18 = 30 bytes
    assert len(body) == 30
    resp(body + b"\x01a\xc0\x1e" + struct.pack("!HHIH", 1, 1, 300, 4) + SERVER)
    # 4: a forward pointer: the question name points at offset 30, where the answer's
    #    CNAME RDATA holds a valid name "www.lab.test"
    body = dns_hdr(0x2004, True, an=1, aa=True) + b"\xc0\x1e" + struct.pack("!HH", 1, 1)
    body += b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 300, len(WWW))  # offsets 18..29
    assert len(body) == 30
    resp(body + WWW)
    # 5: a name longer than 255 bytes: five 63-byte labels (5 * 64 + 1 = 321 bytes)
    longname = dname(*(bytes([0x61 + i]) * 63 for i in range(5)))
    resp(dns_hdr(0x2005, True, aa=True) + question(longname))
    # 6: a name longer than 255 bytes built with backward pointers: four additional
    #    records each add a 63-byte label in front of the previous owner name, so the
    #    last owner expands to 4 * 64 + len("www.lab.test") = 270 bytes
    body = dns_hdr(0x2006, True, an=0, ar=4, aa=True) + question(WWW)
    prev = 12
    for i in range(4):
        at = len(body)
        body += bytes([63]) + bytes([0x70 + i]) * 63 + struct.pack("!H", 0xC000 | prev)
        body += struct.pack("!HHIH", 1, 1, 300, 4) + SERVER
        prev = at
    resp(body)
    # 7: label type 0x40 (RFC 6891 "extended label", obsolete) as the question's first byte
    resp(dns_hdr(0x2007, True, aa=True) + b"\x41\x03www" + WWW[4:] + struct.pack("!HH", 1, 1))
    # 8: an A record with rdlength 5 (an A RDATA is exactly 4 bytes)
    resp(dns_hdr(0x2008, True, an=1, aa=True) + question(WWW) + rr(PTR_Q, 1, SERVER + b"\x00"))
    # 9: ancount says 3 but only 1 record follows; the UDP length agrees with the bytes
    resp(dns_hdr(0x2009, True, an=3, aa=True) + question(WWW) + rr(PTR_Q, 1, SERVER))
    # 10: a response cut short inside the question ("\x03www\x03la"): the UDP and IP
    #     lengths say so, and the frame is captured whole (not a snap length cut)
    resp(dns_hdr(0x200A, True, an=1, aa=True) + b"\x03www\x03la")
    # 11: a DNS payload of 5 bytes (shorter than the 12-byte header), client to resolver
    p.add(udp4_frame(CLIENT, RESOLVER, cport, 53, b"\x20\x0b\x01\x00\x00"))
    # 12-13: a good query and answer: www.lab.test A -> 192.0.2.80
    p.add(udp4_frame(CLIENT, RESOLVER, cport, 53, dns_query(0x200C, WWW)))
    p.add(udp4_frame(RESOLVER, CLIENT, 53, cport,
                     dns_hdr(0x200C, True, an=1, aa=True) + question(WWW) +
                     rr(PTR_Q, 1, SERVER)), gap_us=150)
    p.write()


# ---------------------------------------------------------------------------
# 3. crafted-ip-malformed: IPv4/IPv6 headers and link types that do not hold up
# ---------------------------------------------------------------------------

def gen_ip_malformed():
    p = Pcap("crafted-ip-malformed.pcap")
    q = udp(CLIENT, RESOLVER, 43000, 53, dns_query(0x3001, WWW))
    # 1: IPv4 with IHL 4 (16 bytes, less than the 20-byte minimum); a DNS query follows
    p.add(eth_for(CLIENT, ipv4(CLIENT, RESOLVER, 17, q, ihl=4)))
    # 2: IPv4 total length 16, less than its own 20-byte header
    p.add(eth_for(CLIENT, ipv4(CLIENT, RESOLVER, 17, q, total_len=16)))
    # 3: IPv4 total length 1500, but the frame (captured whole) carries 58 bytes of IP
    p.add(eth_for(CLIENT, ipv4(CLIENT, RESOLVER, 17, q, total_len=1500)))
    # 4: IPv6 UDP DNS query behind 10 extension headers: hop-by-hop, then 9 destination
    #    options headers, each 8 bytes of PadN (RFC 8200 4.2), the last pointing at UDP
    q6 = udp(CLIENT6, RESOLVER6, 43001, 53, dns_query(0x3004, WWW, 28), v6=True)
    ext = b""
    nexts = [60] * 9 + [17]
    for nh in nexts:
        ext += bytes([nh, 0, 1, 4, 0, 0, 0, 0])
    ip6 = struct.pack("!IHBB", 0x60000000, len(ext) + len(q6), 0, 64) + CLIENT6 + RESOLVER6
    p.add(eth_for(CLIENT6, ip6 + ext + q6, 0x86DD))
    # 5-6: a DNS response to the resolver's client fragmented in two: first fragment
    #      (offset 0, MF) with the UDP header claiming the whole datagram, then the
    #      non-first fragment (offset 24 * 8 = 192, no MF) holding only the rest
    big = dns_hdr(0x3005, True, an=1, ar=1, aa=True) + question(dname("txt", "lab", "test"), 16)
    big += rr(PTR_Q, 16, txt_rdata(b"v=" + b"x" * 200)) + \
        b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
    dgram = udp(RESOLVER, CLIENT, 53, 43000, big)
    first, rest = dgram[:192], dgram[192:]
    p.add(eth_for(RESOLVER, ipv4(RESOLVER, CLIENT, 17, first, df=False, mf=True, ident=0x7777)))
    p.add(eth_for(RESOLVER, ipv4(RESOLVER, CLIENT, 17, rest, df=False, frag_off=192 // 8,
                                 ident=0x7777)))
    # 7: ARP request (ethertype 0x0806): who has 192.0.2.80, tell 192.0.2.10
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + MAC_CLIENT + CLIENT + b"\0" * 6 + SERVER
    p.add(eth(arp + b"\0" * 18, 0x0806, MAC_CLIENT, b"\xff" * 6))
    # 8: an IEEE 802.3 frame (type field 38 = a length) carrying an LLC STP BPDU
    #    (LLC 42 42 03; protocol 0, version 0, config BPDU, flags 0; root = bridge
    #    8000.02:00:00:00:00:01, cost 0, port 0x8001, ages/timers 0/20/2/15 s)
    bpdu = b"\x42\x42\x03" + b"\x00\x00\x00\x00\x00" + b"\x80\x00" + MAC_GW + b"\0" * 4 + \
        b"\x80\x00" + MAC_GW + b"\x80\x01" + b"\x00\x00\x14\x00\x02\x00\x0f\x00"
    assert len(bpdu) == 38
    p.add(eth(bpdu + b"\0" * (46 - len(bpdu)), len(bpdu), MAC_GW,
              bytes.fromhex("0180c2000000")))
    # 9: a good TCP SYN 192.0.2.10:43002 > 192.0.2.80:80
    p.add(tcp4_frame(CLIENT, SERVER, 43002, 80, 0x1000, 0, "S", 64240, options=SYN_OPTS))
    p.write()


# ---------------------------------------------------------------------------
# 4. crafted-tcp-malformed: data offsets, option lengths, SACK, a snap-cut header
# ---------------------------------------------------------------------------

def gen_tcp_malformed():
    p = Pcap("crafted-tcp-malformed.pcap")
    # 1: SYN with data offset 4 (16 bytes, less than the 20-byte header)
    p.add(tcp4_frame(CLIENT, SERVER, 44001, 80, 0x11111111, 0, "S", 64240, doff=4))
    # 2: SYN with data offset 15 (60 bytes) in a 20-byte segment
    p.add(tcp4_frame(CLIENT, SERVER, 44002, 80, 0x22222222, 0, "S", 64240, doff=15))
    # 3: SYN whose options are mss 1460, sackOK, then window scale with length 0
    #    (kind 3, len 0) and padding; the segment is otherwise a valid SYN
    p.add(tcp4_frame(CLIENT, SERVER, 44003, 80, 0x33333333, 0, "S", 64240,
                     options=opt_mss() + OPT_SACKOK + b"\x03\x00" + b"\x01\x01\x01\x00"))
    # 4: SYN with mss 1460 then a timestamps option (len 10) that has only 4 of its bytes
    #    left in the 8-byte option area: it runs past the header
    p.add(tcp4_frame(CLIENT, SERVER, 44004, 80, 0x44444444, 0, "S", 64240,
                     options=opt_mss() + b"\x08\x0a\x00\x00"))
    # 5-13: a connection with SACK: SYN and SYN-ACK offer sackOK; the server's second
    #       1000-byte segment is lost, so the client ACKs 1001 with SACK 2001:3001, the
    #       server resends it, and the client ACKs everything.
    c, s, cp = 0x50000000, 0x60000000, 44005
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c, 0, "S", 64240, options=SYN_OPTS))
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s, c + 1, "SA", 65160, options=SYN_OPTS))
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 1, s + 1, "A", 502))
    req = b"GET /big HTTP/1.1\r\nHost: www.lab.test\r\nUser-Agent: curl/8.10.1\r\nAccept: */*\r\n\r\n"
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 1, s + 1, "PA", 502, req))
    body = http_response(3000, b"z")
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s + 1, c + 1 + len(req), "A", 509, body[:1000]))
    # (s + 1001 .. s + 2001 is not in the capture)
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s + 2001, c + 1 + len(req), "PA", 509,
                     body[2000:]))
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 1 + len(req), s + 1001, "A", 502,
                     options=opt_sack([(s + 2001, s + 3001)])))
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s + 1001, c + 1 + len(req), "A", 509,
                     body[1000:2000]))
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 1 + len(req), s + 3001, "A", 502))
    # 14: a SYN (with mss/sackOK/ws options, 74 bytes on the wire) whose record keeps only
    #     44 bytes: 14 Ethernet + 20 IP + 10 of the TCP header (the snap length cut it)
    p.add(tcp4_frame(CLIENT, SERVER, 44006, 80, 0x70000000, 0, "S", 64240,
                     options=SYN_OPTS + opt_ts(1000, 0) + b"\x01\x01"), caplen=44)
    # 15-17: a good handshake 192.0.2.10:44007 > 192.0.2.80:80
    c, s, cp = 0x80000000, 0x90000000, 44007
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c, 0, "S", 64240, options=SYN_OPTS))
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s, c + 1, "SA", 65160, options=SYN_OPTS))
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 1, s + 1, "A", 502))
    p.write()


# ---------------------------------------------------------------------------
# 5. crafted-tcp-seqwrap: a whole fetch whose sequence numbers wrap past 2^32
# ---------------------------------------------------------------------------

def gen_tcp_seqwrap():
    p = Pcap("crafted-tcp-seqwrap.pcap")
    dport = 45000
    # 1-2: DNS: www.lab.test A -> 192.0.2.80
    p.add(udp4_frame(CLIENT, RESOLVER, dport, 53, dns_query(0x5001, WWW)))
    p.add(udp4_frame(RESOLVER, CLIENT, 53, dport, dns_hdr(0x5001, True, an=1, aa=True) +
                     question(WWW) + rr(PTR_Q, 1, SERVER)), gap_us=150)
    # 3-5: handshake; client ISN 0xfffffff0, server ISN 0xffffff00
    c, s, cp = 0xFFFFFFF0, 0xFFFFFF00, 45001
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c, 0, "S", 64240, options=SYN_OPTS), gap_us=300)
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s, c + 1, "SA", 65160, options=SYN_OPTS))
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 1, s + 1, "A", 502))
    # 6: the 76-byte request: absolute seq 0xfffffff1, it crosses 2^32 after 15 bytes
    req = b"GET / HTTP/1.1\r\nHost: www.lab.test\r\nUser-Agent: curl/8.10.1\r\nAccept: */*\r\n\r\n"
    assert len(req) == 76
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 1, s + 1, "PA", 502, req))
    # 7: the server ACKs it (ack 0x0000003d, i.e. relative 77)
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s + 1, c + 77, "A", 509))
    # 8, 9, 11: 600 bytes of response in three 200-byte segments (relative 1:201, 201:401,
    #           401:601); the second one (absolute 0xffffffc9 .. 0x00000091) crosses 2^32
    resp = http_response(600, b"w", b"Server: nginx\r\nContent-Type: text/plain\r\n")
    for i in range(3):
        p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s + 1 + 200 * i, c + 77,
                         "PA" if i == 2 else "A", 509, resp[200 * i:200 * (i + 1)]))
        if i == 1:
            # 10: the client ACKs the first 400 bytes (absolute ack 0x00000091)
            p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 77, s + 401, "A", 501))
    # 12: the client ACKs all 600
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 77, s + 601, "A", 500))
    # 13-15: FIN exchange, client first
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 77, s + 601, "FA", 500), gap_us=400)
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s + 601, c + 78, "FA", 509))
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 78, s + 602, "A", 500))
    p.write()


# ---------------------------------------------------------------------------
# 6. crafted-tcp-notes: retransmission, loss + out-of-order fill, dup ACKs,
#    zero window + update, keep-alive, in one connection
# ---------------------------------------------------------------------------

def gen_tcp_notes():
    p = Pcap("crafted-tcp-notes.pcap")
    dport = 46000
    # 1-2: DNS: www.lab.test A -> 192.0.2.80
    p.add(udp4_frame(CLIENT, RESOLVER, dport, 53, dns_query(0x6001, WWW)))
    p.add(udp4_frame(RESOLVER, CLIENT, 53, dport, dns_hdr(0x6001, True, an=1, aa=True) +
                     question(WWW) + rr(PTR_Q, 1, SERVER)), gap_us=150)
    c, s, cp = 0x0A000000, 0x0B000000, 46001
    C2S = lambda seq, ack, fl, win, data=b"", gap=100: p.add(   # noqa: E731
        tcp4_frame(CLIENT, SERVER, cp, 80, c + seq, s + ack, fl, win, data), gap_us=gap)
    S2C = lambda seq, ack, fl, win, data=b"", gap=100: p.add(   # noqa: E731
        tcp4_frame(SERVER, CLIENT, 80, cp, s + seq, c + ack, fl, win, data), gap_us=gap)
    # 3-5: handshake (relative numbers below; no timestamps, so windows are plain)
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c, 0, "S", 64240, options=SYN_OPTS), gap_us=300)
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s, c + 1, "SA", 65160, options=SYN_OPTS))
    C2S(1, 1, "A", 502)
    # 6-7: request 1:77, server ACK
    req = b"GET / HTTP/1.1\r\nHost: www.lab.test\r\nUser-Agent: curl/8.10.1\r\nAccept: */*\r\n\r\n"
    C2S(1, 1, "PA", 502, req)
    S2C(1, 77, "A", 509)
    data = http_response(6000, b"n")
    seg = lambda i: data[1000 * i:1000 * (i + 1)]  # noqa: E731
    # 8: server 1:1001
    S2C(1, 77, "A", 509, seg(0))
    # 9: server 1:1001 again after 200 ms, not yet ACKed: [retransmission]
    S2C(1, 77, "A", 509, seg(0), gap=200000)
    # 10: client ACK 1001
    C2S(77, 1001, "A", 502)
    # (server 1001:2001 is sent now but not in the capture)
    # 11: server 2001:3001: [previous segment not captured]
    S2C(2001, 77, "A", 509, seg(2))
    # 12: client ACK 1001 again: [dup ack #1]
    C2S(77, 1001, "A", 502)
    # 13-14: server 3001:4001, client ACK 1001: [dup ack #2]
    S2C(3001, 77, "A", 509, seg(3))
    C2S(77, 1001, "A", 502)
    # 15-16: server 4001:5001, client ACK 1001: [dup ack #3]
    S2C(4001, 77, "A", 509, seg(4))
    C2S(77, 1001, "A", 502)
    # 17: server sends 1001:2001 (fast retransmit of the segment the capture missed):
    #     it fills the gap: [out-of-order] (the capture never saw it, so not a retransmission)
    S2C(1001, 77, "A", 509, seg(1))
    # 18: client ACK 5001
    C2S(77, 5001, "A", 502)
    # 19: server 5001:6001
    S2C(5001, 77, "PA", 509, seg(5))
    # 20: client ACK 6001 with window 0: [zero window]
    C2S(77, 6001, "A", 0)
    # 21: client opens the window again 50 ms later: [window update]
    C2S(77, 6001, "A", 502, gap=50000)
    # 22-23: 45 s idle, the client sends a keep-alive (seq = next - 1, no data):
    #        [keep-alive]; the server answers with an ACK
    C2S(76, 6001, "A", 502, gap=45000000)
    S2C(6001, 77, "A", 509)
    # 24-26: FIN exchange, client first
    C2S(77, 6001, "FA", 502, gap=1000)
    S2C(6001, 78, "FA", 509)
    C2S(78, 6002, "A", 502)
    p.write()


# ---------------------------------------------------------------------------
# 7. crafted-dns-tcp-split: DNS over TCP framing at its edges (RFC 7766 8):
#    a length prefix alone in a segment, a message over three segments, two
#    messages in one segment, a retransmitted segment, a segment lost
# ---------------------------------------------------------------------------

def gen_dns_tcp_split():
    p = Pcap("crafted-dns-tcp-split.pcap")
    cp = 47000
    c, s = 1000, 9000

    def C2S(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(CLIENT, RESOLVER, cp, 53, c + seq, s + ack, flags, 502, data),
              gap_us=gap)

    def S2C(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(RESOLVER, CLIENT, 53, cp, s + seq, c + ack, flags, 509, data),
              gap_us=gap)

    def framed(msg):
        return struct.pack(">H", len(msg)) + msg

    q1 = framed(dns_query(0x7001, WWW))
    q2 = framed(dns_query(0x7002, WWW, qtype=28))
    q3 = framed(dns_query(0x7003, dname("mail", "lab", "test")))
    a1 = framed(dns_hdr(0x7001, True, an=1, aa=True) + question(WWW) + rr(PTR_Q, 1, SERVER))
    a2 = framed(dns_hdr(0x7002, True, an=1, aa=True) + question(WWW, 28) +
                rr(PTR_Q, 28, bytes.fromhex("20010db8000000000000000000000080")))
    # 1-3: handshake
    p.add(tcp4_frame(CLIENT, RESOLVER, cp, 53, c, 0, "S", 64240, options=SYN_OPTS))
    p.add(tcp4_frame(RESOLVER, CLIENT, 53, cp, s, c + 1, "SA", 65160, options=SYN_OPTS))
    C2S(1, 1, "A")
    # 4: the two-byte length of q1 alone; 5: the rest of q1 (the message completes here)
    C2S(1, 1, "PA", q1[:2])
    C2S(3, 1, "PA", q1[2:])
    n1 = 1 + len(q1)
    # 6: q2 and q3 in one segment: two messages, two queries
    C2S(n1, 1, "PA", q2 + q3)
    n2 = n1 + len(q2) + len(q3)
    # 7-9: answer a1 over three segments (length + 5 bytes, 10 bytes, the rest)
    S2C(1, n2, "A", a1[:7])
    S2C(8, n2, "A", a1[7:17])
    S2C(18, n2, "PA", a1[17:])
    m1 = 1 + len(a1)
    # 10: the last piece again: a retransmission, nothing decoded twice
    S2C(18, n2, "PA", a1[17:], gap=200000)
    # 11: the client ACKs
    C2S(n2, m1, "A")
    # a2 is lost on the way to the capture; 12: what follows it starts beyond the
    #     gap: the framing is lost, the segment shows no DNS
    S2C(m1 + len(a2), n2, "PA", a2)
    # 13-15: FIN exchange, client first
    C2S(n2, m1, "FA", gap=1000)
    S2C(m1 + 2 * len(a2), n2 + 1, "FA")
    C2S(n2 + 1, m1 + 2 * len(a2) + 1, "A")
    p.write()


# ---------------------------------------------------------------------------
# 8. crafted-http-tls-hostile: terminal escapes through an HTTP request target,
#    header values, a reason phrase, and a TLS SNI and ALPN
# ---------------------------------------------------------------------------

def client_hello(sni, alpn):
    """A minimal TLS 1.3 ClientHello record (RFC 8446 4.1.2) naming sni and alpn."""
    def ext(kind, body):
        return struct.pack(">HH", kind, len(body)) + body
    name = struct.pack(">BH", 0, len(sni)) + sni
    sni_ext = ext(0x0000, struct.pack(">H", len(name)) + name)
    protos = b"".join(struct.pack(">B", len(x)) + x for x in alpn)
    alpn_ext = ext(0x0010, struct.pack(">H", len(protos)) + protos)
    vers_ext = ext(0x002B, b"\x02\x03\x04")
    exts = sni_ext + alpn_ext + vers_ext
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00" +
            struct.pack(">H", len(exts)) + exts)
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def gen_http_tls_hostile():
    p = Pcap("crafted-http-tls-hostile.pcap")

    def conn(cp, sport, c, s):
        def C2S(seq, ack, flags, data=b""):
            p.add(tcp4_frame(CLIENT, SERVER, cp, sport, c + seq, s + ack, flags, 502, data))

        def S2C(seq, ack, flags, data=b""):
            p.add(tcp4_frame(SERVER, CLIENT, sport, cp, s + seq, c + ack, flags, 509, data))
        p.add(tcp4_frame(CLIENT, SERVER, cp, sport, c, 0, "S", 64240, options=SYN_OPTS))
        p.add(tcp4_frame(SERVER, CLIENT, sport, cp, s, c + 1, "SA", 65160, options=SYN_OPTS))
        C2S(1, 1, "A")
        return C2S, S2C

    # 1-7: HTTP: the target carries CSI, OSC and a bidi override (a target may hold
    #      any byte but NUL and CR); the User-Agent carries the 8-bit CSI (0x9b); the
    #      reason phrase carries UTF-8 bytes and a backslash; all must print escaped
    C2S, S2C = conn(48000, 80, 1000, 5000)
    req = (b"GET /\x1b[2J\x1b]0;pwned\x07/\xe2\x80\xaeevil HTTP/1.1\r\n"
           b"Host: www.lab.test\r\nUser-Agent: x\x9b31mred\\y\r\n\r\n")
    C2S(1, 1, "PA", req)
    resp = b"HTTP/1.1 200 O\xc2\x9bK\\\r\nContent-Length: 2\r\n\r\nok"
    S2C(1, 1 + len(req), "PA", resp)
    C2S(1 + len(req), 1 + len(resp), "A")
    # 8-11: a header value with a raw ESC is not a valid field value (RFC 9110 5.5):
    #       the stream is marked malformed, the ESC still printed escaped
    req2 = b"GET / HTTP/1.1\r\nHost: evil\x1b[31m.test\r\n\r\n"
    C2S(1 + len(req), 1 + len(resp), "PA", req2)
    # 12-17: TLS: a ClientHello whose SNI carries OSC and a bidi override, ALPN an ESC
    C2S, S2C = conn(48001, 443, 7000, 9000)
    ch = client_hello(b"\x1b]0;x\x07evil\xe2\x80\xae.test", [b"h2\x1b[1m", b"http/1.1"])
    C2S(1, 1, "PA", ch)
    S2C(1, 1 + len(ch), "A")
    C2S(1 + len(ch), 1, "FA")
    S2C(1, 2 + len(ch), "FA")
    C2S(2 + len(ch), 2, "A")
    p.write()


# ---------------------------------------------------------------------------
# 9. crafted-tcp-overlap: reassembly at its edges in one HTTP response: a
#    segment held out of order, then retransmitted with different bytes; a
#    segment overlapping the one before it; the hole filled last
# ---------------------------------------------------------------------------

def gen_tcp_overlap():
    p = Pcap("crafted-tcp-overlap.pcap")
    cp, c, s = 49000, 3000, 8000

    def C2S(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + seq, s + ack, flags, 502, data), gap_us=gap)

    def S2C(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s + seq, c + ack, flags, 509, data), gap_us=gap)

    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c, 0, "S", 64240, options=SYN_OPTS))
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s, c + 1, "SA", 65160, options=SYN_OPTS))
    C2S(1, 1, "A")
    req = b"GET /o HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
    C2S(1, 1, "PA", req)
    n = 1 + len(req)
    resp = http_response(1200, b"o")
    # 5: the response's second 400 bytes arrive first: held out of order
    S2C(401, n, "A", resp[400:800])
    # 6: the same bytes again, but different: a retransmission that differs
    bad = bytearray(resp[400:800])
    bad[10] ^= 0xFF
    S2C(401, n, "A", bytes(bad))
    # 7: the first 400 bytes fill the hole: 800 bytes reach the decoder
    S2C(1, n, "A", resp[0:400])
    # 8: the last 400 bytes, sent as 300 that overlap 100 already seen, then the rest
    S2C(701, n, "A", resp[700:1000])
    S2C(1001, n, "PA", resp[1000:1200])
    C2S(n, 1201, "A")
    # FIN exchange, client first
    C2S(n, 1201, "FA", gap=1000)
    S2C(1201, n + 1, "FA")
    C2S(n + 1, 1202, "A")
    p.write()


def tcp_open(p, server, cp, sport, c, s):
    """SYN, SYN-ACK, ACK from CLIENT:cp to server:sport (initial sequence numbers c
    and s); returns C2S and S2C, which add a segment with sequence and ACK numbers
    relative to them."""
    def C2S(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(CLIENT, server, cp, sport, c + seq, s + ack, flags, 502, data),
              gap_us=gap)

    def S2C(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(server, CLIENT, sport, cp, s + seq, c + ack, flags, 509, data),
              gap_us=gap)
    p.add(tcp4_frame(CLIENT, server, cp, sport, c, 0, "S", 64240, options=SYN_OPTS))
    p.add(tcp4_frame(server, CLIENT, sport, cp, s, c + 1, "SA", 65160, options=SYN_OPTS))
    C2S(1, 1, "A")
    return C2S, S2C


# ---------------------------------------------------------------------------
# 10. crafted-dns-tcp-rdata: DNS over TCP answers whose records point into
#     bytes the reassembler held (issue 9 #11): a TXT and unknown-type answer
#     split over two segments (decoded from the held tail, which is then
#     freed); a CAA answer whose last segment begins the next message (the
#     tail moves); an HTTPS answer completed after a whole TXT answer waited
#     out of order (decoded from the reassembler's copy, then freed)
# ---------------------------------------------------------------------------

def svc_param(key, value):
    return struct.pack(">HH", key, len(value)) + value


def gen_dns_tcp_rdata():
    p = Pcap("crafted-dns-tcp-rdata.pcap")

    def framed(msg):
        return struct.pack(">H", len(msg)) + msg

    txt = dname("txt", "lab", "test")
    caa = dname("caa", "lab", "test")
    https = dname("svc", "lab", "test")
    q1 = framed(dns_query(0x7101, txt, qtype=16))
    q2 = framed(dns_query(0x7102, caa, qtype=257))
    q3 = framed(dns_query(0x7103, https, qtype=65))
    a1 = framed(dns_hdr(0x7101, True, an=3, aa=True) + question(txt, 16) +
                rr(PTR_Q, 16, txt_rdata(b"v=spf1 -all", b"split \"across\" two segments",
                                        b"x" * 200)) +
                rr(PTR_Q, 16, txt_rdata(b"second record")) +
                rr(PTR_Q, 65280, bytes(range(0xf0, 0x100))))
    a2 = framed(dns_hdr(0x7102, True, an=2, aa=True) + question(caa, 257) +
                rr(PTR_Q, 257, b"\x00\x05issue" + b"ca.example.net; account=\"42\"") +
                rr(PTR_Q, 257, b"\x80\x05iodef" + b"mailto:sec@lab.test"))
    a3 = framed(dns_hdr(0x7103, True, an=1, aa=True) + question(https, 65) +
                rr(PTR_Q, 65, struct.pack(">H", 1) + b"\0" +
                   svc_param(1, b"\x02h2\x02h3") + svc_param(3, b"\x01\xbb") +
                   svc_param(4, SERVER + bytes([192, 0, 2, 81])) +
                   svc_param(6, bytes.fromhex("20010db8000000000000000000000080")) +
                   svc_param(5, b"\xaa" * 9)))
    ooo = dname("ooo", "lab", "test")
    q4 = framed(dns_query(0x7104, ooo, qtype=16))
    a4 = framed(dns_hdr(0x7104, True, an=1, aa=True) + question(ooo, 16) +
                rr(PTR_Q, 16, txt_rdata(b"held out of order")))
    # 1-3: handshake; 4: the four queries in one segment
    C2S, S2C = tcp_open(p, RESOLVER, 47100, 53, 2000, 12000)
    C2S(1, 1, "PA", q1 + q2 + q3 + q4)
    n = 1 + len(q1) + len(q2) + len(q3) + len(q4)
    # 5-6: a1 (TXT) over two segments: decoded from the held bytes
    S2C(1, n, "A", a1[:100])
    m = 1 + len(a1)
    S2C(101, n, "PA", a1[100:])
    # 7-8: a2 (CAA) over two segments, the second also begins a3, whose first
    #      20 bytes stay held once a2 is decoded
    S2C(m, n, "A", a2[:30])
    S2C(m + 30, n, "PA", a2[30:] + a3[:20])
    m3 = m + len(a2)
    m4 = m3 + len(a3)
    # 9: a4 whole, before the rest of a3: held out of order
    S2C(m4, n, "PA", a4)
    # 10: the rest of a3 fills the hole: a3 is decoded, then a4 from its held copy
    S2C(m3 + 20, n, "PA", a3[20:])
    end = m4 + len(a4)
    C2S(n, end, "A")
    # 12-14: FIN exchange, client first
    C2S(n, end, "FA", gap=1000)
    S2C(end, n + 1, "FA")
    C2S(n + 1, end + 1, "A")
    p.write()


# ---------------------------------------------------------------------------
# 11. crafted-dns-rdata-edges: TXT, CAA and SVCB/HTTPS RDATA at their edges
#     (RFC 1035 3.3.14, RFC 8659 4.1, RFC 9460 2.2 and 7), over UDP
# ---------------------------------------------------------------------------

def gen_dns_rdata_edges():
    p = Pcap("crafted-dns-rdata-edges.pcap")
    cport = 47200
    name = dname("edge", "lab", "test")

    def qa(ident, qtype, answers):
        p.add(udp4_frame(CLIENT, RESOLVER, cport, 53, dns_query(ident, name, qtype)))
        msg = dns_hdr(ident, True, an=len(answers), aa=True) + question(name, qtype) + \
            b"".join(rr(PTR_Q, qtype, a) for a in answers)
        p.add(udp4_frame(RESOLVER, CLIENT, 53, cport, msg), gap_us=150)

    # 1-2: TXT: an empty string first, an empty record, a string that runs past
    #      the RDATA (malformed), 70 one-byte strings (more than are kept)
    qa(0x7201, 16, [txt_rdata(b"", b"after empty"), b"", b"\x05abc",
                    txt_rdata(*[bytes([0x41 + i % 26]) for i in range(70)])])
    # 3-4: CAA: a good one with an empty value, a zero-length tag, a tag longer
    #      than the RDATA, one byte only
    qa(0x7202, 257, [b"\x00\x05issue", b"\x00\x00value", b"\x00\x09iss", b"\x80"])
    # 5-6: HTTPS: an empty ALPN id first; an ALPN id that overruns its value;
    #      a port of the wrong size; hints whose size is no multiple of an
    #      address; no-default-alpn and mandatory; a parameter that runs past
    #      the RDATA (malformed)
    alias = struct.pack(">H", 1) + b"\0"
    qa(0x7203, 65, [
        alias + svc_param(1, b"\x00\x02h2\x02h3"),
        alias + svc_param(1, b"\x02h2\x09h3") + svc_param(3, b"\x01\xbb\x00") +
        svc_param(4, b"\xc0\x00\x02") + svc_param(6, bytes(15)),
        alias + svc_param(0, b"\x00\x01") + svc_param(2, b"") +
        svc_param(4, b"") + svc_param(1, b""),
        alias + struct.pack(">HH", 1, 9) + b"\x02h2",
        struct.pack(">H", 0) + dname("pool", "lab", "test"),
    ])
    # 7-8: SVCB with 40 parameters (more than are kept), 70 ipv4 hints (more
    #      addresses than are kept)
    qa(0x7204, 64, [
        alias + b"".join(svc_param(100 + i, b"") for i in range(40)),
        alias + svc_param(4, b"".join(bytes([192, 0, 2, i]) for i in range(70))),
    ])
    # 9-10: a normal answer after them
    qa(0x7205, 1, [SERVER])
    p.write()


# ---------------------------------------------------------------------------
# 12. crafted-http-tls-split: an HTTP request head, an HTTP response head and
#     a TLS ClientHello each decoded from bytes the reassembler held (its
#     tail, a segment held out of order), which it frees before the packet
#     is printed: the decoded fields must be the decoder's own copies
#     (issue 9 #11, the same pattern as DNS over TCP)
# ---------------------------------------------------------------------------

def gen_http_tls_split():
    p = Pcap("crafted-http-tls-split.pcap")

    # 1-3 handshake; 4-6: the request head in three pieces, the last first
    #     (held out of order), then the first (kept as the tail), then the
    #     middle one, which completes the head
    C2S, S2C = tcp_open(p, SERVER, 48200, 80, 1000, 5000)
    req = (b"GET /split/head HTTP/1.1\r\nHost: www.lab.test\r\n"
           b"User-Agent: split-client/1.0\r\nAccept: text/html\r\n\r\n")
    C2S(1 + 80, 1, "PA", req[80:])
    C2S(1, 1, "A", req[:40])
    C2S(1 + 40, 1, "A", req[40:80])
    n = 1 + len(req)
    # 7-8: the response head over two segments, the body with the second
    resp = http_response(120, b"s", b"Content-Type: text/plain\r\nETag: \"split-etag\"\r\n")
    S2C(1, n, "A", resp[:30])
    S2C(31, n, "PA", resp[30:])
    m = 1 + len(resp)
    C2S(n, m, "A")
    C2S(n, m, "FA")
    S2C(m, n + 1, "FA")
    C2S(n + 1, m + 1, "A")
    # 13-15 handshake; 16-17: a ClientHello in two pieces, the second first
    C2S, S2C = tcp_open(p, SERVER, 48201, 443, 7000, 9000)
    ch = client_hello(b"split.lab.test", [b"h2", b"http/1.1"])
    C2S(1 + 60, 1, "PA", ch[60:])
    C2S(1, 1, "A", ch[:60])
    S2C(1, 1 + len(ch), "A")
    C2S(1 + len(ch), 1, "FA")
    S2C(1, 2 + len(ch), "FA")
    C2S(2 + len(ch), 2, "A")
    p.write()


# ---------------------------------------------------------------------------
# time stamps at the edges (issue 9, bugs 6 and 15)
# ---------------------------------------------------------------------------

def dns_pair(ident, name):
    """A DNS query and its answer, as two frames."""
    q = dns_hdr(ident, 0) + question(name)
    a = (dns_hdr(ident, 1, an=1, aa=True, ra=True) + question(name)
         + rr(b"\xc0\x0c", 1, bytes([192, 0, 2, 80])))
    return (udp4_frame(CLIENT, RESOLVER, 41000 + ident % 1000, 53, q),
            udp4_frame(RESOLVER, CLIENT, 53, 41000 + ident % 1000, a))


def gen_ts_2106():
    """Classic pcap's seconds are unsigned 32 bits: the last second of 2037 and the
    first after 2^31 (2038-01-19), one in 2097 (0xF0000000) and the last one the
    format holds (0xFFFFFFFF, 2106-02-07 06:28:15 UTC)."""
    p = Pcap("crafted-ts-2106.pcap")
    stamps = [(0x7FFFFFFF, 999000), (0x80000000, 1000), (0xF0000000, 0), (0xFFFFFFFF, 999999)]
    for i, (sec, usec) in enumerate(stamps):
        q, a = dns_pair(0x2100 + i, dname(b"www", b"lab", b"test"))
        p.recs.append((sec, usec, q, len(q)))
        p.recs.append((sec, usec, a, len(a)))
    p.write()


def pcapng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def gen_pcapng_tsresol_seconds():
    """pcapng with if_tsresol 10^0 (one tick = one second): a time stamp of 2^64 - 1
    ticks is that many seconds, far past what microseconds in 64 bits hold."""
    path = os.path.join(OUT_DIR, "crafted-tsresol-seconds.pcapng")
    shb = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    # if_tsresol (9), length 1, value 0: 10^-0 s; then opt_endofopt
    opts = struct.pack("<HHB3x", 9, 1, 0) + struct.pack("<HH", 0, 0)
    idb = pcapng_block(1, struct.pack("<HHI", 1, 0, 262144) + opts)
    out = shb + idb
    ticks = [1700000000, 1700000001, 0x7FFFFFFF, 0x00000918_4E72A000, 0x7FFFFFFF_FFFFFFFF,
             0x80000000_00000000, 0xFFFFFFFF_FFFFFFFF, 1700000002]
    n = 0
    for i, t in enumerate(ticks):
        for frame in dns_pair(0x5100 + i, dname(b"www", b"lab", b"test")):
            out += pcapng_block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF,
                                               len(frame), len(frame)) + frame)
            n += 1
    with open(path, "wb") as f:
        f.write(out)
    print("wrote %s (%d packets)" % (os.path.relpath(path), n))


def gen_pcapng_iface_names():
    """pcapng of three Ethernet interfaces (issue 16): each packet line names its
    interface.  Names: "eth0"; a hostile one (a space, a backslash, ESC, UTF-8, a
    byte that is not UTF-8, 200 bytes: kept to 127 by the reader, cut to 14
    columns in the text line, escaped in both outputs); none (shown by number)."""
    path = os.path.join(OUT_DIR, "crafted-iface-names.pcapng")
    shb = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    names = [b"eth0", b"a b\\c\x1b[31m\xc3\xa9\xff" + b"x" * 186, None]
    out = shb
    for name in names:
        opts = b""
        if name is not None:
            opts += struct.pack("<HH", 2, len(name)) + name + b"\0" * (-len(name) % 4)
        opts += struct.pack("<HH", 0, 0)
        out += pcapng_block(1, struct.pack("<HHI", 1, 0, 262144) + opts)
    n = 0
    t = 1700000000 * 1000000  # microseconds (if_tsresol default 10^-6)
    for i in range(len(names)):
        for frame in dns_pair(0x6100 + i, dname(b"www", b"lab", b"test")):
            t += 250
            out += pcapng_block(6, struct.pack("<IIIII", i, t >> 32, t & 0xFFFFFFFF,
                                               len(frame), len(frame)) + frame)
            n += 1
    with open(path, "wb") as f:
        f.write(out)
    print("wrote %s (%d packets)" % (os.path.relpath(path), n))


def gen_http_long_target():
    """A GET whose target (300 bytes) is longer than the 160 the HAR URL keeps
    (TL_TARGET): the HAR entry says where it was cut."""
    p = Pcap("crafted-http-long-target.pcap")
    cp, c, s = 49100, 5000, 9000

    def C2S(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + seq, s + ack, flags, 502, data), gap_us=gap)

    def S2C(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s + seq, c + ack, flags, 509, data), gap_us=gap)

    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c, 0, "S", 64240, options=SYN_OPTS))
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s, c + 1, "SA", 65160, options=SYN_OPTS))
    C2S(1, 1, "A")
    target = b"/search?q=" + b"abcdefghij" * 29  # 300 bytes
    req = b"GET " + target + b" HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
    C2S(1, 1, "PA", req)
    n = 1 + len(req)
    resp = http_response(200, b"r")
    S2C(1, n, "PA", resp)
    C2S(n, 201, "A")
    C2S(n, 201, "FA", gap=1000)
    S2C(201, n + 1, "FA")
    C2S(n + 1, 202, "A")
    p.write()


# ---------------------------------------------------------------------------
# crafted-http-orphan: a keep-alive connection caught mid-stream whose first
#    captured message is a response (issue 9, bug 4): it answers no captured
#    request; each response after it answers the oldest request still waiting,
#    and the exchanges are numbered by the requests
# ---------------------------------------------------------------------------

def gen_http_orphan():
    p = Pcap("crafted-http-orphan.pcap")
    cp, c, s = 49100, 0x51000000, 0x52000000

    def C2S(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + seq, s + ack, flags, 502, data), gap_us=gap)

    def S2C(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s + seq, c + ack, flags, 509, data), gap_us=gap)

    # 1-2: the end of an exchange whose request was before the capture
    r0 = http_response(120, b"0", b"Content-Type: text/plain\r\n")
    S2C(1, 1, "PA", r0)
    C2S(1, 1 + len(r0), "A")
    cs, ss = 1, 1 + len(r0)
    # 3-6 and 7-10: two keep-alive exchanges, each answered in order
    for path, resp in ((b"/a", http_response(200, b"a", b"Content-Type: text/css\r\n")),
                       (b"/b", b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")):
        req = b"GET " + path + b" HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
        C2S(cs, ss, "PA", req, gap=1000)
        cs += len(req)
        S2C(ss, cs, "A")
        S2C(ss, cs, "PA", resp)
        ss += len(resp)
        C2S(cs, ss, "A")
    # 11-13: FIN exchange, client first
    C2S(cs, ss, "FA", gap=1000)
    S2C(ss, cs + 1, "FA")
    C2S(cs + 1, ss + 1, "A")
    p.write()


# ---------------------------------------------------------------------------
# crafted-not-http: line protocols whose first line is shaped "TOKEN SP x"
#    are not HTTP (issue 9, bug 12): a Redis session (RESP, then an inline
#    command), IRC, Gnutella and a cleartext HTTP/2 connection preface are
#    shown as bytes, never as "malformed http"; a request with an extension
#    method and HTTP/1.1 on its line is HTTP
# ---------------------------------------------------------------------------

def gen_not_http():
    p = Pcap("crafted-not-http.pcap")

    def conn(cp, sport, c, s, exchanges):
        def C2S(seq, ack, flags, data=b""):
            p.add(tcp4_frame(CLIENT, SERVER, cp, sport, c + seq, s + ack, flags, 502, data))

        def S2C(seq, ack, flags, data=b""):
            p.add(tcp4_frame(SERVER, CLIENT, sport, cp, s + seq, c + ack, flags, 509, data))
        p.add(tcp4_frame(CLIENT, SERVER, cp, sport, c, 0, "S", 64240, options=SYN_OPTS),
              gap_us=1000)
        p.add(tcp4_frame(SERVER, CLIENT, sport, cp, s, c + 1, "SA", 65160, options=SYN_OPTS))
        C2S(1, 1, "A")
        cs = ss = 1
        for up, down in exchanges:
            C2S(cs, ss, "PA", up)
            cs += len(up)
            S2C(ss, cs, "PA", down)
            ss += len(down)
            C2S(cs, ss, "A")
        C2S(cs, ss, "FA")
        S2C(ss, cs + 1, "FA")
        C2S(cs + 1, ss + 1, "A")

    # Redis (RESP): PING, then an inline command that starts with "GET "
    conn(50100, 6379, 0x61000000, 0x62000000,
         [(b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n"),
          (b"GET mykey\r\n", b"$5\r\nhello\r\n")])
    # Redis, an inline command first
    conn(50101, 6379, 0x63000000, 0x64000000,
         [(b"SET mykey hello\r\n", b"+OK\r\n")])
    # IRC (RFC 2812 3.1)
    conn(50102, 6667, 0x65000000, 0x66000000,
         [(b"NICK foo\r\nUSER foo 0 * :Foo Bar\r\n",
           b":irc.lab.test 001 foo :Welcome to the lab IRC network foo\r\n")])
    # Gnutella 0.6 handshake
    conn(50103, 6346, 0x67000000, 0x68000000,
         [(b"GNUTELLA CONNECT/0.6\r\nUser-Agent: LabShare/1.0\r\n\r\n",
           b"GNUTELLA/0.6 200 OK\r\nUser-Agent: LabPeer/2.0\r\n\r\n")])
    # cleartext HTTP/2 (prior knowledge): the preface and SETTINGS (RFC 9113 3.4)
    settings = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
    conn(50104, 80, 0x69000000, 0x6A000000,
         [(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + settings, settings)])
    # an extension method with HTTP/1.1 on its line is HTTP
    conn(50105, 80, 0x6B000000, 0x6C000000,
         [(b"BREW /pot HTTP/1.1\r\nHost: www.lab.test\r\nContent-Length: 0\r\n\r\n",
           b"HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n")])
    p.write()


# ---------------------------------------------------------------------------
# crafted-http-held: a response head held behind a hole that never fills
#    (issue 9, bug 14).  Two pipelined requests; the end of the first
#    response's body is not captured and never retransmitted, and the client's
#    ACKs of it are not captured either: the second response waits behind the
#    hole until the end of the capture (or until the connection is evicted:
#    sixteen more connections follow, for --max-conns 16), and is then decoded
#    after the gap.
# ---------------------------------------------------------------------------

def gen_http_held():
    p = Pcap("crafted-http-held.pcap")
    cp, c, s = 49200, 0x71000000, 0x72000000

    def C2S(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + seq, s + ack, flags, 502, data), gap_us=gap)

    def S2C(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s + seq, c + ack, flags, 509, data), gap_us=gap)

    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c, 0, "S", 64240, options=SYN_OPTS))
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s, c + 1, "SA", 65160, options=SYN_OPTS))
    C2S(1, 1, "A")
    req = (b"GET /a.css HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
           b"GET /b.js HTTP/1.1\r\nHost: www.lab.test\r\n\r\n")
    C2S(1, 1, "PA", req)
    n = 1 + len(req)
    r1 = http_response(1300, b"a", b"Content-Type: text/css\r\n")
    r2 = b"HTTP/1.1 200 OK\r\nContent-Type: text/javascript\r\nContent-Length: 3\r\n\r\n;;\n"
    S2C(1, n, "A", r1[:1000])
    # (server 1001:1301, the rest of the first body, is not captured)
    S2C(1301, n, "PA", r2)
    # sixteen more connections, each just opened
    for k in range(16):
        q = 49300 + k
        p.add(tcp4_frame(CLIENT, SERVER, q, 80, 0x73000000 + k, 0, "S", 64240,
                         options=SYN_OPTS), gap_us=1000)
        p.add(tcp4_frame(SERVER, CLIENT, 80, q, 0x74000000 + k, 0x73000001 + k, "SA", 65160,
                         options=SYN_OPTS))
    p.write()


# ---------------------------------------------------------------------------
# 10. crafted-tcp-midstream-old: a connection seen mid-stream, then an ACK and
#     a segment from before the first byte seen (issue 9, bug 3): they are old,
#     not 2^32 bytes ahead, and the response after them is still decoded
# ---------------------------------------------------------------------------

def gen_tcp_midstream_old():
    p = Pcap("crafted-tcp-midstream-old.pcap")
    cp, c, s = 51000, 0x20000000, 0x30000000

    def C2S(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + seq, s + ack, flags, 502, data), gap_us=gap)

    def S2C(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s + seq, c + ack, flags, 509, data), gap_us=gap)

    # 1: the capture starts with the server's pure ACK: its first sequence number
    #    seen is s (relative 1), and its ACK says where the client's stream is
    S2C(0, 0, "A")
    # 2-3: the request, acknowledged
    req = b"GET /one HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
    C2S(0, 0, "PA", req)
    S2C(0, len(req), "A")
    # 4: a late ACK from the client for bytes 1000 before the server's first one seen
    #    (sent before the capture started): relative -999, an old ACK
    C2S(len(req), -1000, "A")
    # 5: a stale server segment from before the capture, [s - 1000, s - 500): old,
    #    it must not move the stream 2^32 bytes ahead nor reach the decoder
    S2C(-1000, len(req), "A", b"o" * 500)
    # 6: the response, relative 1: decoded as HTTP
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
    S2C(0, len(req), "PA", resp)
    C2S(len(req), len(resp), "A")
    # 8-10: FIN exchange, client first
    C2S(len(req), len(resp), "FA", gap=1000)
    S2C(len(resp), len(req) + 1, "FA")
    C2S(len(req) + 1, len(resp) + 1, "A")

    # 11-18: the capture starts with the second segment of a request; its first
    #        segment comes next, from below the first byte seen: old, -16:1 (it
    #        never reaches the decoder, and the request is not decoded); the numbers
    #        after it keep their places, and the next request and both responses
    #        are decoded
    cp, c, s = 51001, 0xFFFFFFF8, 0x38000000   # the client's numbers wrap, too
    qa = b"GET /a HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
    qb = b"GET /b HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
    ra = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
    rb = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"
    C2S(17, 0, "PA", qa[17:], gap=1000)
    C2S(0, 0, "A", qa[:17])
    S2C(0, len(qa), "PA", ra)
    C2S(len(qa), len(ra), "PA", qb)
    S2C(len(ra), len(qa) + len(qb), "PA", rb)
    C2S(len(qa) + len(qb), len(ra) + len(rb), "FA", gap=1000)
    S2C(len(ra) + len(rb), len(qa) + len(qb) + 1, "FA")
    C2S(len(qa) + len(qb) + 1, len(ra) + len(rb) + 1, "A")
    p.write()


# ---------------------------------------------------------------------------
# 11. crafted-tcp-reorder, crafted-tcp-reorder-midstream: the second segment of a
#     direction arrives before the first (issue 9, bug 3): with the handshake seen,
#     and mid-stream, where the first segment seen is not the first one sent
# ---------------------------------------------------------------------------

def gen_tcp_reorder():
    p = Pcap("crafted-tcp-reorder.pcap")
    req = b"GET /r HTTP/1.1\r\nHost: www.lab.test\r\nUser-Agent: curl/8.10.1\r\nAccept: */*\r\n\r\n"
    resp = http_response(900, b"r", b"Content-Type: text/plain\r\n")

    # 1-12: with the handshake: the request's and the response's second halves
    #       arrive first; each waits for its first half
    cp, c, s = 51100, 0x40000000, 0x50000000

    def C2S(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + seq, s + ack, flags, 502, data), gap_us=gap)

    def S2C(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s + seq, c + ack, flags, 509, data), gap_us=gap)

    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c, 0, "S", 64240, options=SYN_OPTS))
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, s, c + 1, "SA", 65160, options=SYN_OPTS))
    C2S(1, 1, "A")
    n = 1 + len(req)
    C2S(41, 1, "PA", req[40:])
    C2S(1, 1, "A", req[:40])
    S2C(1, n, "A")
    S2C(501, n, "PA", resp[500:])
    S2C(1, n, "A", resp[:500])
    C2S(n, 901, "A")
    C2S(n, 901, "FA", gap=1000)
    S2C(901, n + 1, "FA")
    C2S(n + 1, 902, "A")

    p.write()

    # crafted-tcp-reorder-midstream: the same without the handshake.  The capture
    # starts with the server's ACK, which says where the client's stream stands
    # (tshark numbers from it too); the client's second segment comes first, then
    # its first; the server answers in two segments, again reordered
    p = Pcap("crafted-tcp-reorder-midstream.pcap")
    cp, c, s = 51101, 0x60000000, 0x70000000
    S2C(1, 1, "A", gap=1000)
    C2S(41, 1, "PA", req[40:])
    C2S(1, 1, "A", req[:40])
    S2C(1, n, "A")
    S2C(501, n, "PA", resp[500:])
    S2C(1, n, "A", resp[:500])
    C2S(n, 901, "A")
    C2S(n, 901, "FA", gap=1000)
    S2C(901, n + 1, "FA")
    C2S(n + 1, 902, "A")
    p.write()


# ---------------------------------------------------------------------------
# 12. crafted-tcp-midstream-roles: connections seen mid-stream whose server
#     port (8868) is high and client port low (issue 9, bug 13): the ports
#     would name the wrong side; the packets say which side is which
# ---------------------------------------------------------------------------

ROUTER = bytes([192, 0, 2, 1])
NODNS = bytes([192, 0, 2, 54])
SERVER6 = bytes.fromhex("20010db8000000000000000000000080")
ROUTER6 = bytes.fromhex("20010db8000000000000000000000001")


def gen_tcp_midstream_roles():
    p = Pcap("crafted-tcp-midstream-roles.pcap")

    def conn(cp, c, s, sp=8868):
        def C2S(seq, ack, flags, data=b"", gap=100):
            p.add(tcp4_frame(CLIENT, SERVER, cp, sp, c + seq, s + ack, flags, 502, data),
                  gap_us=gap)

        def S2C(seq, ack, flags, data=b"", gap=100):
            p.add(tcp4_frame(SERVER, CLIENT, sp, cp, s + seq, c + ack, flags, 509, data),
                  gap_us=gap)
        return C2S, S2C

    def req(path, port=8868):
        return b"GET " + path + b" HTTP/1.1\r\nHost: www.lab.test:%d\r\n\r\n" % port

    def resp(code, body):
        return b"HTTP/1.1 " + code + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body

    # 1-9: client 192.0.2.10:700 (a low port), server 192.0.2.80:8868.  The capture
    #      starts with the client's request line: the client, whatever the ports say.
    #      Two requests, two responses, then the FIN exchange.
    C2S, S2C = conn(700, 0x11000000, 0x22000000)
    q1, r1 = req(b"/one"), resp(b"200 OK", b"first")
    q2, r2 = req(b"/two"), resp(b"404 Not Found", b"")
    C2S(0, 0, "PA", q1)
    S2C(0, len(q1), "PA", r1)
    C2S(len(q1), len(r1), "PA", q2)
    S2C(len(r1), len(q1) + len(q2), "PA", r2)
    C2S(len(q1) + len(q2), len(r1) + len(r2), "A")
    n, m = len(q1) + len(q2), len(r1) + len(r2)
    C2S(n, m, "FA", gap=1000)
    S2C(m, n + 1, "FA")
    C2S(n + 1, m + 1, "A")

    # 10-17: client 192.0.2.10:800, server :8868.  The capture starts with the
    #        server's pure ACK and the tail of a response body (nothing tells the
    #        roles yet, and the ports guess wrong); then the client's request line
    #        says who is who: the roles are swapped before any byte is decoded
    C2S, S2C = conn(800, 0x33000000, 0x44000000)
    tail = b"t" * 300
    q3, r3 = req(b"/three"), resp(b"200 OK", b"third")
    S2C(0, 0, "A", gap=1000)
    S2C(0, 0, "A", tail)
    C2S(0, len(tail), "A")
    C2S(0, len(tail), "PA", q3)
    S2C(len(tail), len(q3), "PA", r3)
    C2S(len(q3), len(tail) + len(r3), "A")
    C2S(len(q3), len(tail) + len(r3), "RA", gap=1000)

    # 16-21: the case as the issue saw it: client port 8868, server port 9100 (the
    #        ports would make 8868, the lower, the server).  The capture starts
    #        with the server's status line (the answer to a request before the
    #        capture): its sender is the server
    C2S, S2C = conn(8868, 0x77000000, 0x08000000, sp=9100)
    r5, q6, r6 = resp(b"304 Not Modified", b""), req(b"/six", 9100), resp(b"200 OK", b"sixth")
    S2C(0, 0, "PA", r5, gap=1000)
    C2S(0, len(r5), "A")
    C2S(0, len(r5), "PA", q6)
    S2C(len(r5), len(q6), "PA", r6)
    C2S(len(q6), len(r5) + len(r6), "A")
    C2S(len(q6), len(r5) + len(r6), "RA", gap=1000)
    p.write()

    # crafted-tcp-midstream-startlost: client 192.0.2.10:900, server :8868.  The
    # client's request comes first and its ACK says where the server's stream
    # stands; the server's first segment seen starts 500 bytes later (the head of
    # its response was not captured): the start of that stream is reported lost,
    # not parsed as a status line, and the next response is decoded
    p = Pcap("crafted-tcp-midstream-startlost.pcap")
    C2S, S2C = conn(900, 0x55000000, 0x66000000)
    q4, q5, r5 = req(b"/four"), req(b"/five"), resp(b"201 Created", b"fifth")
    C2S(0, 0, "PA", q4)
    S2C(500, len(q4), "A", b"b" * 198 + b"\r\n")
    C2S(len(q4), 700, "A")
    C2S(len(q4), 700, "PA", q5)
    S2C(700, len(q4) + len(q5), "PA", r5)
    C2S(len(q4) + len(q5), 700 + len(r5), "A")
    C2S(len(q4) + len(q5), 700 + len(r5), "RA", gap=1000)
    p.write()


def icmp4(src, dst, typ, code, rest, body):
    h = struct.pack("!BBH", typ, code, 0) + rest + body
    h = h[:2] + struct.pack("!H", csum(h)) + h[4:]
    return eth_for(src, ipv4(src, dst, 1, h, df=False))


def icmp6(src, dst, typ, code, rest, body):
    m = struct.pack("!BBH", typ, code, 0) + rest + body
    ph = src + dst + struct.pack("!IxxxB", len(m), 58)
    m = m[:2] + struct.pack("!H", csum(ph + m)) + m[4:]
    ip6 = struct.pack("!IHBB", 0x60000000, len(m), 58, 64) + src + dst
    return eth_for(src, ip6 + m, 0x86DD)


def hkdf_expand_label(secret, label, length):
    """TLS 1.3's HKDF-Expand-Label (RFC 8446 7.1) with SHA-256 and no context."""
    full = b"tls13 " + label
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(secret, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def quic_initial(dcid, pad_to=1200):
    """A client's QUIC v1 Initial (RFC 9000 17.2.2), protected as RFC 9001 5 says
    with the keys its own DCID gives (so a tracer can check it is QUIC): packet
    number 0, a PING frame and PADDING up to pad_to bytes.  Needs python3's
    cryptography package (Debian: python3-cryptography) for AES."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    salt = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")
    initial = hmac.new(salt, dcid, hashlib.sha256).digest()
    client = hkdf_expand_label(initial, b"client in", 32)
    key = hkdf_expand_label(client, b"quic key", 16)
    iv = hkdf_expand_label(client, b"quic iv", 12)
    hp = hkdf_expand_label(client, b"quic hp", 16)
    head = bytes([0xC0]) + struct.pack("!I", 1) + bytes([len(dcid)]) + dcid + b"\x00\x00"
    payload_len = pad_to - len(head) - 2 - 1 - 16  # length field, packet number, tag
    payload = b"\x01" + bytes(payload_len - 1)    # PING, then PADDING
    head += struct.pack("!H", 0x4000 | (1 + payload_len + 16))
    pn_off = len(head)
    head += b"\x00"                                # packet number 0, one byte
    sealed = AESGCM(key).encrypt(iv, payload, head)  # nonce: iv XOR 0
    sample = sealed[3:19]                           # 4 bytes after the packet number's start
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(sample) + enc.finalize()
    packet = bytearray(head + sealed)
    packet[0] ^= mask[0] & 0x0F
    packet[pn_off] ^= mask[1]
    return bytes(packet)


def gen_icmp():
    p = Pcap("crafted-icmp.pcap")
    # 1-2: a DNS query to a host with no DNS server; the query comes back quoted
    q = ipv4(CLIENT, NODNS, 17, udp(CLIENT, NODNS, 41001, 53, dns_query(0x3a01, WWW)), df=False)
    p.add(eth_for(CLIENT, q))
    p.add(icmp4(NODNS, CLIENT, 3, 3, b"\0\0\0\0", q))
    # 3-4: the resolver that works
    p.add(udp4_frame(CLIENT, RESOLVER, 41002, 53, dns_query(0x3a02, WWW)))
    p.add(udp4_frame(RESOLVER, CLIENT, 53, 41002,
                     dns_hdr(0x3a02, True, an=1, ra=True) + question(WWW) + rr(PTR_Q, 1, SERVER)))
    # 5-6: the QUIC Initial to a server with no UDP 443: port unreachable
    qi = ipv4(CLIENT, SERVER, 17, udp(CLIENT, SERVER, 50443, 443,
                                      quic_initial(bytes.fromhex("0102030405060708"))), df=False)
    p.add(eth_for(CLIENT, qi))
    p.add(icmp4(SERVER, CLIENT, 3, 3, b"\0\0\0\0", qi[:548]))
    # 7-8: a SYN to port 80 a filter refuses: communication administratively prohibited
    syn = ipv4(CLIENT, SERVER, 6, tcp(CLIENT, SERVER, 50080, 80, 0x10000000, 0, "S", 64240,
                                      options=SYN_OPTS))
    p.add(eth_for(CLIENT, syn))
    p.add(icmp4(ROUTER, CLIENT, 3, 13, b"\0\0\0\0", syn))
    # 9-10: a SYN whose TTL ran out: the IP header and 8 bytes quoted (no flags)
    syn = ipv4(CLIENT, SERVER, 6, tcp(CLIENT, SERVER, 50081, 443, 0x20000000, 0, "S", 64240,
                                      options=SYN_OPTS), ttl=1)
    p.add(eth_for(CLIENT, syn))
    p.add(icmp4(ROUTER, CLIENT, 11, 0, b"\0\0\0\0", syn[:28]))
    # 11-15: a connection to port 443 whose full-size segment is too big for the path
    cp, c, sv = 50082, 0x30000000, 0x40000000
    p.add(tcp4_frame(CLIENT, SERVER, cp, 443, c, 0, "S", 64240, options=SYN_OPTS))
    p.add(tcp4_frame(SERVER, CLIENT, 443, cp, sv, c + 1, "SA", 65160, options=SYN_OPTS))
    p.add(tcp4_frame(CLIENT, SERVER, cp, 443, c + 1, sv + 1, "A", 502))
    big = ipv4(CLIENT, SERVER, 6, tcp(CLIENT, SERVER, cp, 443, c + 1, sv + 1, "PA", 502,
                                      bytes(1460)))
    p.add(eth_for(CLIENT, big))
    p.add(icmp4(ROUTER, CLIENT, 3, 4, struct.pack("!HH", 0, 1400), big[:548]))
    # 16-17: IPv6: a UDP 443 datagram (a QUIC Initial) too big for the path: MTU 1280
    u6 = udp(CLIENT6, SERVER6, 50444, 443, quic_initial(bytes.fromhex("1112131415161718"), 1350),
             v6=True)
    ip6 = struct.pack("!IHBB", 0x60000000, len(u6), 17, 64) + CLIENT6 + SERVER6 + u6
    p.add(eth_for(CLIENT6, ip6, 0x86DD))
    p.add(icmp6(ROUTER6, CLIENT6, 2, 0, struct.pack("!I", 1280), ip6[:1280 - 48]))
    # 18-19: an NTP query to a host with nothing on port 123: nothing of ours
    ntp = ipv4(CLIENT, NODNS, 17, udp(CLIENT, NODNS, 41123, 123, b"\x23" + bytes(47)), df=False)
    p.add(eth_for(CLIENT, ntp))
    p.add(icmp4(NODNS, CLIENT, 3, 3, b"\0\0\0\0", ntp))
    # 20-21: a ping
    p.add(icmp4(CLIENT, SERVER, 8, 0, struct.pack("!HH", 0x77, 1), b"fetchtrace ping!"))
    p.add(icmp4(SERVER, CLIENT, 0, 0, struct.pack("!HH", 0x77, 1), b"fetchtrace ping!"))
    # 22: host unreachable for a SYN to port 8443 of an address the capture never saw
    #     (the SYN itself was not captured): the error starts that address's fetch
    other = bytes([192, 0, 2, 99])
    syn = ipv4(CLIENT, other, 6, tcp(CLIENT, other, 50090, 8443, 0x70000000, 0, "S", 64240,
                                     options=SYN_OPTS))
    p.add(icmp4(ROUTER, CLIENT, 3, 1, b"\0\0\0\0", syn))
    # 23-24: DNS over TCP refused by a filter: the SYN to port 53 and the error quoting it
    syn = ipv4(CLIENT, RESOLVER, 6, tcp(CLIENT, RESOLVER, 50053, 53, 0x71000000, 0, "S", 64240,
                                        options=SYN_OPTS))
    p.add(eth_for(CLIENT, syn))
    p.add(icmp4(ROUTER, CLIENT, 3, 13, b"\0\0\0\0", syn))
    p.write()


def gen_altsvc():
    p = Pcap("crafted-altsvc.pcap")
    https = (struct.pack("!H", 1) + b"\x00" +
             svc_param(1, b"\x02h3\x02h2") + svc_param(4, SERVER) +
             svc_param(5, bytes.fromhex("0041fe0d003d0102030405")))
    p.add(udp4_frame(CLIENT, RESOLVER, 42001, 53, dns_query(0x4b01, WWW, 65)))
    p.add(udp4_frame(CLIENT, RESOLVER, 42002, 53, dns_query(0x4b02, WWW)))
    p.add(udp4_frame(RESOLVER, CLIENT, 53, 42001, dns_hdr(0x4b01, True, an=1, ra=True) +
                     question(WWW, 65) + rr(PTR_Q, 65, https)))
    p.add(udp4_frame(RESOLVER, CLIENT, 53, 42002, dns_hdr(0x4b02, True, an=1, ra=True) +
                     question(WWW) + rr(PTR_Q, 1, SERVER)))
    cp, c, sv = 50180, 0x50000000, 0x60000000
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c, 0, "S", 64240, options=SYN_OPTS))
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, sv, c + 1, "SA", 65160, options=SYN_OPTS))
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 1, sv + 1, "A", 502))
    req = b"GET / HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n"
            b"Alt-Svc: h3=\":443\"; ma=86400\r\n\r\nhello")
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 1, sv + 1, "PA", 502, req))
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, sv + 1, c + 1 + len(req), "PA", 509, resp))
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + 1 + len(req), sv + 1 + len(resp), "A", 502))
    qi = ipv4(CLIENT, SERVER, 17, udp(CLIENT, SERVER, 50543, 443,
                                      quic_initial(bytes.fromhex("2122232425262728"))), df=False)
    p.add(eth_for(CLIENT, qi), gap_us=5000)
    p.add(icmp4(SERVER, CLIENT, 3, 3, b"\0\0\0\0", qi[:548]))
    req2 = b"GET /next HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
    resp2 = b"HTTP/1.1 204 No Content\r\n\r\n"
    n1, n2 = 1 + len(req), 1 + len(resp)
    p.add(tcp4_frame(CLIENT, SERVER, cp, 80, c + n1, sv + n2, "PA", 502, req2))
    p.add(tcp4_frame(SERVER, CLIENT, 80, cp, sv + n2, c + n1 + len(req2), "PA", 509, resp2))
    p.write()


def quic_varint(v):
    """RFC 9000 16: the shortest encoding."""
    if v < 0x40:
        return bytes([v])
    if v < 0x4000:
        return struct.pack(">H", 0x4000 | v)
    return struct.pack(">I", 0x80000000 | v)


def gen_udp443_not_quic():
    """Issue 11: UDP port 443 is QUIC only when its header says so and, for a
    short header, on a connection whose start was seen.  A DNS TXT query and
    its answer on 443 (the id 0x4f1a makes the first byte look like a QUIC
    short header), random bytes, a long header cut in its lengths, a GREASE
    version; then what is QUIC without a connection: an Initial-shaped packet
    that does not decrypt (no connection starts, the short header after it is
    not QUIC), a Version Negotiation and a Retry, named and explained."""
    p = Pcap("crafted-udp443-not-quic.pcap")
    cp = 50443
    q = dns_hdr(0x4F1A, qr=False) + question(dname("txt", "lab", "test"), qtype=16)
    p.add(udp4_frame(CLIENT, SERVER, cp, 443, q))
    a = (dns_hdr(0x4F1A, qr=True, an=1, ra=True) + question(dname("txt", "lab", "test"), qtype=16)
         + rr(b"\xc0\x0c", 16, txt_rdata(b"v=quic? no")))
    p.add(udp4_frame(SERVER, CLIENT, 443, cp, a))
    # random bytes shaped like a short header (fixed bit set)
    p.add(udp4_frame(CLIENT, SERVER, cp + 1, 443, bytes.fromhex("5b") + bytes(range(7, 47))))
    # random bytes with the fixed bit clear
    p.add(udp4_frame(CLIENT, SERVER, cp + 2, 443, bytes.fromhex("1f") + bytes(range(40, 80))))
    # a v1 long header whose Length runs past the datagram
    cid = bytes.fromhex("0011223344556677")
    hdr = b"\xc3" + struct.pack(">I", 1) + bytes([len(cid)]) + cid + b"\x00"
    p.add(udp4_frame(CLIENT, SERVER, cp + 3, 443, hdr + quic_varint(0) + quic_varint(1000)
                     + bytes(64)))
    # a GREASE version: not a version QUIC knows
    p.add(udp4_frame(CLIENT, SERVER, cp + 4, 443, b"\xc0" + bytes.fromhex("1a2a3a4a")
                     + bytes([len(cid)]) + cid + b"\x00" + bytes(40)))
    # an Initial (v1, lengths that fit) whose payload is not sealed with
    # keys from its DCID, then a short header on the same ports
    body = bytes((i * 37 + 11) & 0xFF for i in range(1180))
    p.add(udp4_frame(CLIENT, SERVER, cp + 5, 443, hdr + quic_varint(0)
                     + quic_varint(len(body)) + body))
    p.add(udp4_frame(SERVER, CLIENT, 443, cp + 5, b"\x41" + cid + bytes(range(30))))
    # the same Initial cut by a 96-byte snap length: it cannot be opened, but
    # its header is QUIC's (it was shown as QUIC before, and still is)
    p.add(udp4_frame(CLIENT, SERVER, cp + 8, 443, hdr + quic_varint(0)
                     + quic_varint(len(body)) + body), caplen=96)
    # a Version Negotiation (version 0) offering v1 and v2, to a client
    vn = (b"\x80" + struct.pack(">I", 0) + bytes([0]) + bytes([len(cid)]) + cid
          + struct.pack(">II", 1, 0x6B3343CF))
    p.add(udp4_frame(SERVER, CLIENT, 443, cp + 6, vn))
    # a Retry (v1: type 3) with a token and a 16-byte integrity tag
    retry = (b"\xf0" + struct.pack(">I", 1) + bytes([0]) + bytes([4]) + b"\xaa\xbb\xcc\xdd"
             + b"token-for-the-client" + bytes(16))
    p.add(udp4_frame(SERVER, CLIENT, 443, cp + 7, retry))
    p.write()


# crafted-doh-http1: DNS over HTTPS (RFC 8484) in cleartext HTTP/1.1, which no
#    Debian server speaks (Unbound's DoH is HTTP/2 only): on one keep-alive
#    connection to the resolver's address, port 80, a GET with ?dns= (A) and
#    its answer, then a POST with an application/dns-message body (AAAA) and a
#    chunked answer; then the fetch of the A answer's address (SERVER)
# ---------------------------------------------------------------------------

def gen_doh_http1():
    p = Pcap("crafted-doh-http1.pcap")
    cp, c, s = 49200, 0x61000000, 0x62000000

    def C2S(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(CLIENT, RESOLVER, cp, 80, c + seq, s + ack, flags, 502, data,
                         options=SYN_OPTS if "S" in flags else b""), gap_us=gap)

    def S2C(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(RESOLVER, CLIENT, 80, cp, s + seq, c + ack, flags, 509, data,
                         options=SYN_OPTS if "S" in flags else b""), gap_us=gap)

    name = dname("www", "lab", "test")
    qa = dns_hdr(0, False) + question(name, 1)
    aa = dns_hdr(0, True, an=1, ra=True) + question(name, 1) + rr(name, 1, SERVER)
    qaaaa = dns_hdr(0, False) + question(name, 28)
    aaaaa = dns_hdr(0, True, ra=True) + question(name, 28)
    b64 = base64.urlsafe_b64encode(qa).rstrip(b"=")
    get = (b"GET /dns-query?dns=" + b64 + b" HTTP/1.1\r\nHost: dns.lab.test\r\n"
           b"Accept: application/dns-message\r\n\r\n")
    r1 = (b"HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\n"
          b"Content-Length: %d\r\n\r\n" % len(aa)) + aa
    post = (b"POST /dns-query HTTP/1.1\r\nHost: dns.lab.test\r\n"
            b"Content-Type: application/dns-message\r\nContent-Length: %d\r\n\r\n"
            % len(qaaaa)) + qaaaa
    # the answer chunked, its message split across two chunks and two segments
    half = len(aaaaa) // 2
    r2a = (b"HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % half) + aaaaa[:half] + b"\r\n"
    r2b = (b"%x\r\n" % (len(aaaaa) - half)) + aaaaa[half:] + b"\r\n0\r\n\r\n"
    C2S(0, 0, "S", gap=1000)
    S2C(0, 1, "SA")
    C2S(1, 1, "A")
    cs, ss = 1, 1
    C2S(cs, ss, "PA", get)
    cs += len(get)
    S2C(ss, cs, "PA", r1, gap=300)
    ss += len(r1)
    C2S(cs, ss, "PA", post[:60], gap=500)
    C2S(cs + 60, ss, "PA", post[60:])
    cs += len(post)
    S2C(ss, cs, "PA", r2a, gap=300)
    ss += len(r2a)
    S2C(ss, cs, "PA", r2b)
    ss += len(r2b)
    C2S(cs, ss, "A")
    # the fetch of the answer's address
    q, c2, s2 = 49201, 0x63000000, 0x64000000
    req = b"GET / HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
    resp = b"HTTP/1.1 204 No Content\r\n\r\n"
    p.add(tcp4_frame(CLIENT, SERVER, q, 80, c2, 0, "S", 64240, options=SYN_OPTS), gap_us=1000)
    p.add(tcp4_frame(SERVER, CLIENT, 80, q, s2, c2 + 1, "SA", 65160, options=SYN_OPTS))
    p.add(tcp4_frame(CLIENT, SERVER, q, 80, c2 + 1, s2 + 1, "A", 502))
    p.add(tcp4_frame(CLIENT, SERVER, q, 80, c2 + 1, s2 + 1, "PA", 502, req))
    p.add(tcp4_frame(SERVER, CLIENT, 80, q, s2 + 1, c2 + 1 + len(req), "PA", 509, resp),
          gap_us=300)
    p.add(tcp4_frame(CLIENT, SERVER, q, 80, c2 + 1 + len(req), s2 + 1 + len(resp), "FA", 502))
    p.add(tcp4_frame(SERVER, CLIENT, 80, q, s2 + 1 + len(resp), c2 + 2 + len(req), "FA", 509))
    p.add(tcp4_frame(CLIENT, SERVER, q, 80, c2 + 2 + len(req), s2 + 2 + len(resp), "A", 502))
    C2S(cs, ss, "FA", gap=1000)
    S2C(ss, cs + 1, "FA")
    C2S(cs + 1, ss + 1, "A")
    p.write()


# ---------------------------------------------------------------------------
# crafted-h2-hostile: cleartext HTTP/2 (prior knowledge) with terminal escapes
#    in :path, :authority, content-type and GOAWAY debug data (all printed
#    escaped), the frames no recorded capture has (RST_STREAM cancelling a
#    stream, PRIORITY, PING, PUSH_PROMISE and the pushed response), a GOAWAY
#    with PROTOCOL_ERROR, and a hostile header block (a dynamic table size
#    update of 2^30) that is a marked error, never a crash
# ---------------------------------------------------------------------------

def h2_frame(ftype, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", sid) + payload


def hp_int(prefix_bits, first, v):
    """An HPACK integer (RFC 7541 5.1) with `first` holding the pattern bits."""
    lim = (1 << prefix_bits) - 1
    if v < lim:
        return bytes([first | v])
    out = [first | lim]
    v -= lim
    while v >= 128:
        out.append(v % 128 + 128)
        v //= 128
    out.append(v)
    return bytes(out)


def hp_lit(index, value):
    """Literal without indexing, name by static index (RFC 7541 6.2.2), raw value."""
    return hp_int(4, 0x00, index) + hp_int(7, 0x00, len(value)) + value


def gen_h2_hostile():
    p = Pcap("crafted-h2-hostile.pcap")
    cp, c, s = 49300, 0x71000000, 0x72000000
    pre = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    settings = h2_frame(4, 0, 0, b"")
    # GET (0x82), http (0x86), :path and :authority with escapes
    req1 = b"\x82\x86" + hp_lit(4, b"/\x1b[31mred\x07") + hp_lit(1, b"evil\x1b]0;title\x07")
    req3 = b"\x82\x86" + hp_lit(4, b"/a") + hp_lit(1, b"www.lab.test")
    c1 = (pre + settings + h2_frame(1, 0x05, 1, req1) + h2_frame(1, 0x04, 3, req3) +
          h2_frame(3, 0, 3, struct.pack(">I", 8)) +               # RST_STREAM CANCEL
          h2_frame(2, 0, 5, struct.pack(">IB", 3, 15)) +          # PRIORITY on 3, weight 16
          h2_frame(6, 0, 0, b"pingpong"))
    # :status 200 (0x88), content-type (static 31) with an escape
    resp1 = b"\x88" + hp_lit(31, b"text/\x1bhtml")
    push = struct.pack(">I", 2) + b"\x82\x86" + hp_lit(4, b"/pushed") + hp_lit(1, b"www.lab.test")
    s1 = (settings + h2_frame(4, 0x01, 0, b"") + h2_frame(1, 0x04, 1, resp1) +
          h2_frame(5, 0x04, 1, push) + h2_frame(0, 0x01, 1, b"hello") +
          h2_frame(1, 0x05, 2, b"\x88") + h2_frame(6, 0x01, 0, b"pingpong") +
          h2_frame(7, 0, 0, struct.pack(">II", 3, 1) + b"\x1b[2Jbye"))
    # a table size update far above any SETTINGS_HEADER_TABLE_SIZE: COMPRESSION_ERROR
    c2 = h2_frame(1, 0x05, 7, hp_int(5, 0x20, 1 << 30) + b"\x82")

    def C2S(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(CLIENT, SERVER, cp, 8080, c + seq, s + ack, flags, 502, data,
                         options=SYN_OPTS if "S" in flags else b""), gap_us=gap)

    def S2C(seq, ack, flags, data=b"", gap=100):
        p.add(tcp4_frame(SERVER, CLIENT, 8080, cp, s + seq, c + ack, flags, 509, data,
                         options=SYN_OPTS if "S" in flags else b""), gap_us=gap)

    C2S(0, 0, "S", gap=1000)
    S2C(0, 1, "SA")
    C2S(1, 1, "A")
    C2S(1, 1, "PA", c1)
    S2C(1, 1 + len(c1), "PA", s1, gap=500)
    C2S(1 + len(c1), 1 + len(s1), "PA", c2, gap=300)
    cs, ss = 1 + len(c1) + len(c2), 1 + len(s1)
    S2C(ss, cs, "A")
    C2S(cs, ss, "FA", gap=1000)
    S2C(ss, cs + 1, "FA")
    C2S(cs + 1, ss + 1, "A")
    p.write()


# ---------------------------------------------------------------------------
# crafted-browser-edges: what a browser does, at the edges of the rules
#   (include/step.h: STEP_PRECONNECT_US = 10 ms, STEP_LOOKUP_US = 1 s)
# ---------------------------------------------------------------------------

def gen_browser_edges():
    p = Pcap("crafted-browser-edges.pcap")
    https = (struct.pack("!H", 1) + b"\x00" + svc_param(1, b"\x02h2\x08http/1.1") +
             svc_param(3, struct.pack("!H", 443)) + svc_param(4, SERVER) +
             svc_param(5, bytes.fromhex("0041fe0d")) +
             svc_param(6, bytes.fromhex("20010db8000000000000000000000080")))

    def ask(port, ident, qtype, rd=True, answer=b"", an=0):
        p.add(udp4_frame(CLIENT, RESOLVER, port, 53,
                         dns_hdr(ident, False, rd=rd) + question(WWW, qtype)))
        p.add(udp4_frame(RESOLVER, CLIENT, 53, port,
                         dns_hdr(ident, True, an=an, rd=rd, ra=True) + question(WWW, qtype) +
                         answer))
    # 1-2: an HTTPS-type query: never getaddrinfo()'s (resolver); its answer's SvcParams
    ask(40001, 0xb001, 65, answer=rr(PTR_Q, 65, https), an=1)
    # 3-4: A from another port, the HTTPS query of the same name 0.1 ms before: resolver
    ask(40002, 0xb002, 1, answer=rr(PTR_Q, 1, SERVER), an=1)
    # 5-8: A again (the same type: a new lookup, no evidence), then AAAA from the
    #      same port: getaddrinfo()
    ask(40003, 0xb003, 1, answer=rr(PTR_Q, 1, SERVER), an=1)
    ask(40003, 0xb004, 28)
    # 9-10: RD clear: no stub's query: resolver
    ask(40004, 0xb005, 1, rd=False, answer=rr(PTR_Q, 1, SERVER), an=1)
    req = b"GET / HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
    resp = b"HTTP/1.1 204 No Content\r\n\r\n"

    def exchange(C2S, S2C, idle, close=True):
        C2S(1, 1, "PA", req, gap=idle)
        S2C(1, 1 + len(req), "PA", resp)
        C2S(1 + len(req), 1 + len(resp), "A")
        if close:
            C2S(1 + len(req), 1 + len(resp), "FA")
            S2C(1 + len(resp), 2 + len(req), "FA")
            C2S(2 + len(req), 2 + len(resp), "A")
    # 11-19 c1: the request exactly 10 ms after the handshake: preconnected
    C2S, S2C = tcp_open(p, SERVER, 50001, 80, 0x11000000, 0x21000000)
    exchange(C2S, S2C, 10000)
    # 20-28 c2: 9.999 ms: no note
    C2S, S2C = tcp_open(p, SERVER, 50002, 80, 0x12000000, 0x22000000)
    exchange(C2S, S2C, 9999)
    # 29-32 c3: connected, then reset by the client 20 ms later: preconnected, unused
    C2S, S2C = tcp_open(p, SERVER, 50003, 80, 0x13000000, 0x23000000)
    C2S(1, 1, "RA", gap=20000)
    # 33-42 c4: TLS to 443: the server answers the ClientHello, the client closes
    #      1 ms later, nothing sent: abandoned right after the TLS handshake
    C2S, S2C = tcp_open(p, SERVER, 50004, 443, 0x14000000, 0x24000000)
    ch = client_hello(b"www.lab.test", [b"h2", b"http/1.1"])
    C2S(1, 1, "PA", ch)
    ccs = b"\x14\x03\x03\x00\x01\x01"
    S2C(1, 1 + len(ch), "PA", ccs)
    C2S(1 + len(ch), 1 + len(ccs), "FA", gap=1000)
    S2C(1 + len(ccs), 2 + len(ch), "FA")
    C2S(2 + len(ch), 2 + len(ccs), "A")
    # 43-52 c5: then http:// to the same server: HTTPS-Upgrade; a second request on
    #      it: reused (keep-alive)
    C2S, S2C = tcp_open(p, SERVER, 50005, 80, 0x15000000, 0x25000000)
    exchange(C2S, S2C, 100, close=False)
    n1, n2 = 1 + len(req), 1 + len(resp)
    req2 = b"GET /second HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
    C2S(n1, n2, "PA", req2)
    S2C(n2, n1 + len(req2), "PA", resp)
    # 53-56 c6: TLS, a ClientHello never answered, closed at once: no note (no handshake)
    C2S, S2C = tcp_open(p, SERVER, 50006, 443, 0x16000000, 0x26000000)
    C2S(1, 1, "PA", ch)
    C2S(1 + len(ch), 1, "FA")
    # 57-59 c7: connected, still open at the end of the capture: nothing to say
    C2S, S2C = tcp_open(p, SERVER, 50007, 80, 0x17000000, 0x27000000)
    # 60-64 c8: preconnected, its request in two segments of one time stamp: the note
    #      is on the first only (the time stamp alone does not tell them apart)
    C2S, S2C = tcp_open(p, SERVER, 50008, 80, 0x18000000, 0x28000000)
    C2S(1, 1, "A", req[:20], gap=30000)
    C2S(21, 1, "PA", req[20:], gap=0)
# crafted-ip-frag: IP fragments (issue 13): order, duplicates, overlaps, tiny first
# fragments, ping of death, a snap-cut fragment, a timeout, a datagram never completed
# ---------------------------------------------------------------------------

def frag4(src, dst, dgram, ident, pieces, proto=17):
    """IPv4 fragments of the transport datagram dgram: pieces are (offset, length) in
    bytes; MF is set on every piece that does not reach the end."""
    return [eth_for(src, ipv4(src, dst, proto, dgram[o:o + n], df=False,
                              mf=o + n < len(dgram), frag_off=o // 8, ident=ident))
            for o, n in pieces]


def frag6(src, dst, dgram, ident, pieces):
    """IPv6 fragments (RFC 8200 4.5): fixed header, Fragment header (next header UDP)."""
    out = []
    for o, n in pieces:
        more = 1 if o + n < len(dgram) else 0
        fh = struct.pack("!BBHI", 17, 0, o | more, ident)
        body = fh + dgram[o:o + n]
        ip6 = struct.pack("!IHBB", 0x60000000, len(body), 44, 64) + src + dst
        out.append(eth_for(src, ip6 + body, 0x86DD))
    return out


def big_answer(ident, v6=False):
    """A 600-odd byte DNS answer (one TXT record of three strings) from the resolver."""
    name = dname("big", "lab", "test")
    msg = dns_hdr(ident, True, an=1, aa=True, ra=True) + question(name, 16)
    msg += rr(PTR_Q, 16, txt_rdata(b"a" * 200, b"b" * 200, b"c" * 200))
    if v6:
        return udp(RESOLVER6, CLIENT6, 53, 43100, msg, v6=True)
    return udp(RESOLVER, CLIENT, 53, 43100, msg)


def gen_ip_frag():
    p = Pcap("crafted-ip-frag.pcap")
    # every IP id is given: the capture is the same whatever gen_* ran before
    def query(i):
        q = udp(CLIENT, RESOLVER, 43100, 53, dns_query(i, dname("big", "lab", "test"), 16))
        return eth_for(CLIENT, ipv4(CLIENT, RESOLVER, 17, q, df=False, ident=i))
    # 1-4: query #4101; its answer in three fragments sent last, first, middle: the middle
    #      one completes the datagram and carries the answer
    p.add(query(0x4101))
    d = big_answer(0x4101)
    f = frag4(RESOLVER, CLIENT, d, 0x5101, [(0, 256), (256, 256), (512, len(d) - 512)])
    for fr in (f[2], f[0], f[1]):
        p.add(fr)
    # 5-8: query #4102; the answer's first fragment comes twice (a duplicate, ignored)
    p.add(query(0x4102))
    d = big_answer(0x4102)
    f = frag4(RESOLVER, CLIENT, d, 0x5102, [(0, 320), (320, len(d) - 320)])
    for fr in (f[0], f[0], f[1]):
        p.add(fr)
    # 9-12: query #4103; the second fragment overlaps the first (offset 248 < 256): the
    #       datagram is dropped (RFC 5722 for both versions, as Linux), and its last
    #       fragment too
    p.add(query(0x4103))
    d = big_answer(0x4103)
    f = frag4(RESOLVER, CLIENT, d, 0x5103, [(0, 256), (248, 256), (504, len(d) - 504)])
    for fr in f:
        p.add(fr)
    # 13-15: IPv6, the same overlap: dropped
    d = big_answer(0x4104, v6=True)
    for fr in frag6(RESOLVER6, CLIENT6, d, 0x51040001, [(0, 256), (128, 256), (384, len(d) - 384)]):
        p.add(fr)
    # 16-17: IPv6 answer #4105 in two fragments: reassembled
    d = big_answer(0x4105, v6=True)
    for fr in frag6(RESOLVER6, CLIENT6, d, 0x51050001, [(0, 512), (512, len(d) - 512)]):
        p.add(fr)
    # 18-19: a tiny first fragment (RFC 1858): 8 bytes of a TCP SYN to port 80, then the
    #        rest at offset 8, which would rewrite the flags: both dropped
    syn = tcp(CLIENT, SERVER, 43200, 80, 0x2000, 0, "S", 64240, options=SYN_OPTS)
    for fr in frag4(CLIENT, SERVER, syn, 0x5106, [(0, 8), (8, len(syn) - 8)], proto=6):
        p.add(fr)
    # 20: ping of death: a last fragment at offset 65512 with 100 bytes ends past 65535
    pod = struct.pack("!BBHHH", 8, 0, 0, 0x99, 1) + b"x" * 200
    p.add(eth_for(CLIENT, ipv4(CLIENT, SERVER, 1, pod[100:200], df=False,
                               frag_off=65512 // 8, ident=0x5107)))
    # 21: a first fragment cut by the snap length (96 of its bytes captured): dropped, cut
    d = big_answer(0x4108)
    f = frag4(RESOLVER, CLIENT, d, 0x5108, [(0, 256), (256, len(d) - 256)])
    p.add(f[0], caplen=96)
    # 22-23: answer #4109's first fragment, then its last one 31 s later: the first timed
    #        out (IPv4: 30 s), the last waits alone and is still held at the end
    d = big_answer(0x4109)
    f = frag4(RESOLVER, CLIENT, d, 0x5109, [(0, 256), (256, len(d) - 256)])
    p.add(f[0])
    p.add(f[1], gap_us=31000000)
    # 24: a good DNS query to show the run goes on
    p.add(query(0x410a))
    p.write()


# ---------------------------------------------------------------------------
# crafted-proxy: proxy handshakes (issue 13): SOCKS5 with username/password and a
# request split over two segments, then HTTP inside; SOCKS4a refused (91); SOCKS5 with no
# acceptable method; CONNECT answered 407, asked again with credentials and let through (TLS
# inside); a SOCKS5 request with an unknown address type
# ---------------------------------------------------------------------------

def gen_proxy():
    p = Pcap("crafted-proxy.pcap")
    www = b"www.lab.test"
    # 1: SOCKS5, username/password (RFC 1929), the request in two segments
    C2S, S2C = tcp_open(p, SERVER, 44001, 1080, 1000, 5000)
    c, sv = 1, 1
    for d, data in ((0, b"\x05\x01\x02"), (1, b"\x05\x02"), (0, b"\x01\x04user\x04pass"),
                    (1, b"\x01\x00"), (0, b"\x05\x01\x00\x03" + bytes([len(www)]) + www[:5]),
                    (0, www[5:] + b"\x00\x50"), (1, b"\x05\x00\x00\x01\xc0\x00\x02\x50\x9c\x41")):
        if d == 0:
            C2S(c, sv, "PA", data)
            c += len(data)
        else:
            S2C(sv, c, "PA", data)
            sv += len(data)
    req = b"GET / HTTP/1.1\r\nHost: www.lab.test\r\n\r\n"
    C2S(c, sv, "PA", req)
    c += len(req)
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    S2C(sv, c, "PA", resp)
    sv += len(resp)
    C2S(c, sv, "FA")
    S2C(sv, c + 1, "FA")
    C2S(c + 1, sv + 1, "A")
    # 2: SOCKS4a for www.lab.test, refused (91); the proxy closes
    C2S, S2C = tcp_open(p, SERVER, 44002, 1080, 2000, 6000)
    r4 = b"\x04\x01\x00\x50\x00\x00\x00\x01anon\x00" + www + b"\x00"
    C2S(1, 1, "PA", r4)
    S2C(1, 1 + len(r4), "PA", b"\x00\x5b\x00\x00\x00\x00\x00\x00")
    S2C(9, 1 + len(r4), "FA")
    # 3: SOCKS5, no acceptable method (0xFF)
    C2S, S2C = tcp_open(p, SERVER, 44003, 1080, 3000, 7000)
    C2S(1, 1, "PA", b"\x05\x01\x00")
    S2C(1, 4, "PA", b"\x05\xff")
    S2C(3, 4, "FA")
    # 4: CONNECT answered 407 Proxy Authentication Required
    C2S, S2C = tcp_open(p, SERVER, 44004, 3128, 4000, 8000)
    cr = b"CONNECT www.lab.test:443 HTTP/1.1\r\nHost: www.lab.test:443\r\n\r\n"
    C2S(1, 1, "PA", cr)
    no = b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"
    S2C(1, 1 + len(cr), "PA", no)
    #    ... and asked again on the same connection with credentials: 200, then TLS
    c, sv = 1 + len(cr), 1 + len(no)
    cr2 = (b"CONNECT www.lab.test:443 HTTP/1.1\r\nHost: www.lab.test:443\r\n"
           b"Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n")
    C2S(c, sv, "PA", cr2)
    c += len(cr2)
    ok = b"HTTP/1.1 200 Connection established\r\n\r\n"
    S2C(sv, c, "PA", ok)
    sv += len(ok)
    ch = client_hello(b"www.lab.test", [b"http/1.1"])
    C2S(c, sv, "PA", ch)
    # 5: SOCKS5 request with address type 9 (none such): not a handshake after all
    C2S, S2C = tcp_open(p, SERVER, 44005, 1080, 5000, 9000)
    C2S(1, 1, "PA", b"\x05\x01\x00")
    S2C(1, 4, "PA", b"\x05\x00")
    C2S(4, 3, "PA", b"\x05\x01\x00\x09\x01\x02\x03\x04\x00\x50")
    p.write()


# ---------------------------------------------------------------------------
# crafted-proxy-hosts: one proxy asked for several hosts (issue 13): each host asked
# through it is its own fetch.  c1 SOCKS5 to a.lab.test (HTTP inside), c2 CONNECT to
# b.lab.test (TLS inside), c3 SOCKS5 to a.lab.test again, c4 CONNECT to b.lab.test again
# ---------------------------------------------------------------------------

def gen_proxy_hosts():
    p = Pcap("crafted-proxy-hosts.pcap")

    def socks5(cp, host, isn_c, isn_s):
        C2S, S2C = tcp_open(p, SERVER, cp, 1080, isn_c, isn_s)
        C2S(1, 1, "PA", b"\x05\x01\x00")
        S2C(1, 4, "PA", b"\x05\x00")
        r = b"\x05\x01\x00\x03" + bytes([len(host)]) + host + b"\x00\x50"
        C2S(4, 3, "PA", r)
        c = 4 + len(r)
        S2C(3, c, "PA", b"\x05\x00\x00\x01\xc0\x00\x02\x50\x9c\x41")
        req = b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"
        C2S(c, 13, "PA", req)
        c += len(req)
        resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        S2C(13, c, "PA", resp)
        sv = 13 + len(resp)
        C2S(c, sv, "FA")
        S2C(sv, c + 1, "FA")
        C2S(c + 1, sv + 1, "A")

    def connect(cp, host, isn_c, isn_s):
        C2S, S2C = tcp_open(p, SERVER, cp, 3128, isn_c, isn_s)
        cr = b"CONNECT " + host + b":443 HTTP/1.1\r\nHost: " + host + b":443\r\n\r\n"
        C2S(1, 1, "PA", cr)
        ok = b"HTTP/1.1 200 Connection established\r\n\r\n"
        S2C(1, 1 + len(cr), "PA", ok)
        C2S(1 + len(cr), 1 + len(ok), "PA", client_hello(host, [b"http/1.1"]))

    socks5(45001, b"a.lab.test", 1000, 5000)
    connect(45002, b"b.lab.test", 2000, 6000)
    socks5(45003, b"a.lab.test", 3000, 7000)
    connect(45004, b"b.lab.test", 4000, 8000)
    p.write()


if __name__ == "__main__":
    gen_dns_hostile()
    gen_dns_malformed()
    gen_ip_malformed()
    gen_tcp_malformed()
    gen_tcp_seqwrap()
    gen_tcp_notes()
    gen_dns_tcp_split()
    gen_http_tls_hostile()
    gen_tcp_overlap()
    gen_dns_tcp_rdata()
    gen_dns_rdata_edges()
    gen_http_tls_split()
    gen_ts_2106()
    gen_pcapng_tsresol_seconds()
    gen_pcapng_iface_names()
    gen_http_long_target()
    gen_http_orphan()
    gen_not_http()
    gen_http_held()
    gen_tcp_midstream_old()
    gen_tcp_reorder()
    gen_tcp_midstream_roles()
    gen_icmp()
    gen_altsvc()
    gen_udp443_not_quic()
    gen_doh_http1()
    gen_h2_hostile()
    gen_browser_edges()
    import gen_links  # link types, tunnels, TSO (issue 13)
    gen_links.main()
    gen_ip_frag()
    gen_proxy()
    gen_proxy_hosts()
