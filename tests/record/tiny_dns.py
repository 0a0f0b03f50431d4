#!/usr/bin/env python3
"""tiny_dns.py ADDR NAME=IP... - a few-line authoritative DNS responder for the recordings of
tests/record/tunnels.sh (issue 13): answers A (or AAAA, for an IPv6 address) queries for the
names given, NOERROR with no answer for their other types, REFUSED otherwise.  Binds UDP ADDR:53; runs until killed."""
import socket
import struct
import sys


def main():
    table = {}
    for arg in sys.argv[2:]:
        name, ip = arg.split("=")
        fam, typ = (socket.AF_INET6, 28) if ":" in ip else (socket.AF_INET, 1)
        table[name.lower().rstrip(".")] = (typ, socket.inet_pton(fam, ip))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], 53))
    while True:
        q, peer = s.recvfrom(4096)
        if len(q) < 12:
            continue
        ident, flags = struct.unpack("!HH", q[:4])
        off, labels = 12, []
        while off < len(q) and q[off] != 0 and len(labels) < 64:
            n = q[off]
            labels.append(q[off + 1:off + 1 + n].decode("ascii", "replace"))
            off += 1 + n
        off += 1
        if off + 4 > len(q):
            continue
        qtype, = struct.unpack("!H", q[off:off + 2])
        question = q[12:off + 4]
        name = ".".join(labels).lower()
        rd = flags & 0x0100
        if name not in table:
            s.sendto(struct.pack("!HHHHHH", ident, 0x8400 | rd | 5, 1, 0, 0, 0) + question, peer)
            continue
        an = b""
        typ, rdata = table[name]
        if qtype == typ:
            an = b"\xc0\x0c" + struct.pack("!HHIH", typ, 1, 300, len(rdata)) + rdata
        s.sendto(struct.pack("!HHHHHH", ident, 0x8400 | rd, 1, 1 if an else 0, 0, 0) + question + an,
                 peer)


if __name__ == "__main__":
    main()
