#!/usr/bin/env python3
"""slow_client.py - send an HTTP request a few bytes at a time.

Run in netns ftlab-cli by record.sh (lab-slow-writer.pcap):
    python3 slow_client.py [HOST [PORT [PATH]]]   (default www.lab.test 80 /)
Resolves HOST with getaddrinfo (A and AAAA queries), connects, and with
TCP_NODELAY writes the request in 7-byte pieces 20 ms apart, so the request
line and the headers are split over many small segments; then reads the
response until the server closes (Connection: close).  Standard library only.
"""
import socket
import sys
import time

PIECE = 7
PAUSE = 0.02


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else "www.lab.test"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 80
    path = sys.argv[3] if len(sys.argv) > 3 else "/"
    fam, typ, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: slow_client.py\r\n"
           "Accept: */*\r\nConnection: close\r\n\r\n" % (path, host)).encode()
    with socket.socket(fam, typ, proto) as s:
        s.settimeout(20)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.connect(addr)
        for i in range(0, len(req), PIECE):
            s.sendall(req[i:i + PIECE])
            time.sleep(PAUSE)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    if not got.startswith(b"HTTP/1.1 200 "):
        sys.exit("slow_client: no 200 response")


if __name__ == "__main__":
    main()
