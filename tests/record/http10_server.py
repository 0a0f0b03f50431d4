#!/usr/bin/env python3
"""http10_server.py - a tiny HTTP/1.0 server for the fetchtrace lab.

Runs in netns ftlab-srv (started by record.sh):  python3 http10_server.py ADDR PORT
For each connection it reads the request head (up to the blank line), answers
"HTTP/1.0 200 OK" with a Content-Type but WITHOUT Content-Length, writes a few
lines of text and closes: the end of the body is the server's FIN
(lab-http10-close.pcap).  Standard library only.
"""
import socketserver
import sys

BODY = b"".join(b"http/1.0 body line %02d: the server closes to end the body\n" % i
                for i in range(1, 9))


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        # Read the request line and headers; ignore them.
        while True:
            line = self.rfile.readline(65536)
            if not line or line in (b"\r\n", b"\n"):
                break
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + BODY)
        self.wfile.flush()
        # StreamRequestHandler.finish() + shutdown_request() close the socket.


class Server(socketserver.TCPServer):
    allow_reuse_address = True


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: http10_server.py ADDR PORT")
    with Server((sys.argv[1], int(sys.argv[2])), Handler) as srv:
        srv.serve_forever()


if __name__ == "__main__":
    main()
