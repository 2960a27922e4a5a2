"""TCP on 127.0.0.1: an echo server thread, a small exchange, 1 MiB round trip, half-close."""
import hashlib
import socket
import threading

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 0))
srv.listen(5)
port = srv.getsockname()[1]
print('listening on', srv.getsockname()[0])


peers = []


def serve():
    c, peer = srv.accept()
    peers.append(peer)
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.sendall(b'bye')
    c.close()


th = threading.Thread(target=serve)
th.start()
cl = socket.create_connection(('127.0.0.1', port))
cl.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
cl.sendall(b'hello')
print(cl.recv(100))
print('server: peer is the client', peers == [cl.getsockname()])

data = hashlib.sha256(b'seed').digest() * (1 << 15)
chunks = []
count = [0]


def reader():
    while count[0] < len(data):
        d = cl.recv(65536)
        if not d:
            break
        chunks.append(d)
        count[0] += len(d)


r = threading.Thread(target=reader)
r.start()
cl.sendall(data)
r.join()
print(count[0], hashlib.sha256(b''.join(chunks)).hexdigest() == hashlib.sha256(data).hexdigest())
cl.shutdown(socket.SHUT_WR)
tail = []
while True:
    d = cl.recv(10)
    if not d:
        break
    tail.append(d)
print('after half-close:', b''.join(tail))
cl.close()
th.join()
srv.close()
