# The one program both ends of the network benchmark run (bench/net.ts), the
# same under every runner. Each transfer prints "bytes N seconds S"; the
# bench trusts only the timing of the end in namespace B, which always runs
# natively, so a sandbox's clock cannot flatter it.
#
#   send-server PORT N        accept one connection, send N bytes, half-close,
#                             wait for the peer's close (so the time covers
#                             delivery, not just the last write)
#   recv-client HOST PORT N   connect (retrying while the server starts), read
#                             to EOF, check that exactly N bytes came
#   wait-port HOST PORT SECS  exit 0 once HOST:PORT accepts a connection
import socket
import sys
import time

CHUNK = 65536


def connect(host, port, seconds):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return socket.create_connection((host, port), timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def send_server(port, n):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('0.0.0.0', port))
    ls.listen(1)
    print('listening', flush=True)
    c, _ = ls.accept()
    start = time.monotonic()
    block = memoryview(bytes(CHUNK))
    left = n
    while left > 0:
        left -= c.send(block[:min(left, CHUNK)])
    c.shutdown(socket.SHUT_WR)
    while c.recv(CHUNK):
        pass
    report(n, time.monotonic() - start)


def recv_client(host, port, n):
    c = connect(host, port, 60)
    c.settimeout(None)
    start = time.monotonic()
    buf = bytearray(4 * CHUNK)
    got = 0
    while True:
        k = c.recv_into(buf)
        if k == 0:
            break
        got += k
    c.close()
    if got != n:
        sys.exit('received %d bytes, expected %d' % (got, n))
    report(got, time.monotonic() - start)


def report(n, seconds):
    print('bytes %d seconds %.6f' % (n, seconds), flush=True)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == 'send-server':
        send_server(int(args[0]), int(args[1]))
    elif mode == 'recv-client':
        recv_client(args[0], int(args[1]), int(args[2]))
    elif mode == 'wait-port':
        connect(args[0], int(args[1]), float(args[2])).close()
    else:
        sys.exit('unknown mode ' + mode)


main()
