# calls_nbclient.py SELECTOR HOST PORT (tests/calls.sh): a non-blocking connect(), waited for
# with selectors.EpollSelector (epoll_ctl, epoll_wait) or SelectSelector (select), its
# result read with getsockopt(SO_ERROR), then one HTTP/1.0 GET; prints the bytes read.
import selectors, socket, sys
kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
sel = selectors.EpollSelector() if kind == "epoll" else selectors.SelectSelector()
addr = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setblocking(False)
err = s.connect_ex(addr)
sel.register(s, selectors.EVENT_WRITE)
while not sel.select(5):
    pass
err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
if err:
    sys.exit("connect: " + str(err))
sel.unregister(s)
s.setblocking(True)
s.sendall(b"GET / HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
n = 0
while True:
    b = s.recv(65536)
    if not b:
        break
    n += len(b)
s.close()
print(n, file=sys.stderr)
