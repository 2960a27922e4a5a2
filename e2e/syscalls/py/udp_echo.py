"""UDP on 127.0.0.1: an echo thread, datagrams up to 60000 bytes, connected sockets, timeouts."""
import socket
import threading

srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(('127.0.0.1', 0))
addr = srv.getsockname()


def serve():
    while True:
        d, peer = srv.recvfrom(65536)
        if d == b'stop':
            break
        srv.sendto(d[::-1], peer)


th = threading.Thread(target=serve)
th.start()
cl = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ok = 0
for size in (0, 1, 100, 1472, 1473, 9000, 60000):
    msg = bytes((i * 13) % 251 for i in range(size))
    cl.sendto(msg, addr)
    back, peer = cl.recvfrom(65536)
    ok += back == msg[::-1] and peer == addr
print('echoed', ok, 'of 7')
cl.connect(addr)
cl.send(b'connected')
print(cl.recv(100), cl.getpeername() == addr)
cl.send(b'stop')
th.join()
cl.settimeout(0.2)
try:
    cl.recv(10)
except socket.timeout:
    print('timed out')
srv.close()
cl.send(b'nobody')
try:
    cl.recv(10)
except ConnectionRefusedError as e:
    print('refused', e.errno)
cl.close()
