#!/usr/bin/env python3
"""pipeline_client.py - two pipelined HTTP/1.1 requests in one write.

Run in netns ftlab-cli by record.sh (lab-pipelined.pcap):
    python3 pipeline_client.py [HOST [PORT]]      (default www.lab.test 80)
Resolves HOST with getaddrinfo (so the capture has the A and AAAA queries),
connects to the first address (the lab's gai.conf puts IPv4 first), sends
"GET /" and "GET /style.css" (the second with Connection: close) in ONE
sendall(), then reads until the server closes.  Standard library only.
"""
import socket
import sys


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else "www.lab.test"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 80
    fam, typ, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    req = ("GET / HTTP/1.1\r\nHost: %s\r\n\r\n"
           "GET /style.css HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
           % (host, host)).encode()
    with socket.socket(fam, typ, proto) as s:
        s.settimeout(20)
        s.connect(addr)
        s.sendall(req)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    n = got.count(b"HTTP/1.1 200 ")
    if n != 2:
        sys.exit("pipeline_client: expected 2 responses, got %d" % n)


if __name__ == "__main__":
    main()
