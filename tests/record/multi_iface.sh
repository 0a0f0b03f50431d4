#!/bin/sh
# multi_iface.sh - make captures/multi-iface.pcapng: two recorded captures of
# different link types merged by mergecap (one Interface Description each:
# 0 LINUX_SLL2 from any-sll2.pcap, 1 Ethernet from cold-fetch.pcap), then
# each interface given the if_name it was recorded on ("any", "ftv-cli"),
# as Wireshark writes when it captures on several interfaces.  No
# randomness: the same file on every run.  Run from the top of the tree.
set -eu
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
mergecap -F pcapng -w "$tmp" captures/any-sll2.pcap captures/cold-fetch.pcap
python3 - "$tmp" captures/multi-iface.pcapng <<'PY'
import struct, sys
names = [b"any", b"ftv-cli"]  # interface 0, 1 in mergecap's order
data = open(sys.argv[1], "rb").read()
out, off, n_idb = bytearray(), 0, 0
assert data[8:12] == b"\x4d\x3c\x2b\x1a", "little-endian section expected"
while off < len(data):
    btype, blen = struct.unpack_from("<II", data, off)
    block = data[off:off + blen]
    if btype == 1:  # IDB: link type, reserved, snaplen, then options
        name = names[n_idb]
        n_idb += 1
        body = block[8:-4]
        fixed, opts = body[:8], body[8:]
        # drop any if_name mergecap wrote; keep the other options
        kept, o = bytearray(), 0
        while o + 4 <= len(opts):
            code, ln = struct.unpack_from("<HH", opts, o)
            if code == 0:
                break
            padded = (ln + 3) & ~3
            if code != 2:
                kept += opts[o:o + 4 + padded]
            o += 4 + padded
        pad = (-len(name)) % 4
        newopts = struct.pack("<HH", 2, len(name)) + name + b"\0" * pad + bytes(kept) + struct.pack("<HH", 0, 0)
        nb = 12 + len(fixed) + len(newopts)
        block = struct.pack("<II", 1, nb) + fixed + newopts + struct.pack("<I", nb)
    out += block
    off += blen
assert n_idb == len(names), n_idb
open(sys.argv[2], "wb").write(out)
PY
