"""A lossy, reordering Ethernet bridge between two interfaces.

A user-space stand-in for netem (the test kernel has no sch_netem): frames
are read from each interface with an AF_PACKET socket and sent out of the
other one. Each frame is dropped with probability LOSS; otherwise, with
probability REORDER, it is held back and sent right after the next frame
in the same direction (or after HOLD_MS when no next frame comes). The
choices come from a seeded generator.

usage: impair_relay.py IF1 IF2 LOSS REORDER SEED
Prints "ready" once both sockets are bound. Each line on stdin prints the
counts so far as JSON; EOF on stdin prints them and exits.
"""
import json
import os
import random
import select
import socket
import sys
import time

ETH_P_ALL = 3
SO_SNDBUFFORCE = 32
SO_RCVBUFFORCE = 33
HOLD_MS = 5
BATCH = 64


def open_socket(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 8 << 20)
    s.bind((ifname, 0))
    s.setblocking(False)
    # Frames of any interface may have been queued between socket() and bind().
    while True:
        try:
            s.recv(65535)
        except BlockingIOError:
            return s


def main():
    if1, if2, loss, reorder, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    rnd = random.Random(seed)
    a, b = open_socket(if1), open_socket(if2)
    out = {a.fileno(): b, b.fileno(): a}
    sock = {a.fileno(): a, b.fileno(): b}
    held = {}  # receiving fd -> (frame, time it was held)
    counts = {'forwarded': 0, 'dropped': 0, 'reordered': 0, 'send_errors': 0}

    def send(s, frame):
        try:
            s.send(frame)
            counts['forwarded'] += 1
        except OSError:  # a full queue: lost, as on a real link
            counts['send_errors'] += 1

    def report():
        sys.stdout.write(json.dumps(counts) + '\n')
        sys.stdout.flush()

    poller = select.poll()
    for fd in out:
        poller.register(fd, select.POLLIN)
    stdin = sys.stdin.fileno()
    poller.register(stdin, select.POLLIN)
    print('ready', flush=True)
    while True:
        events = poller.poll(HOLD_MS if held else None)
        for fd, _ in events:
            if fd == stdin:
                line = os.read(stdin, 4096)
                report()
                if not line:
                    return
                continue
            for _ in range(BATCH):
                try:
                    frame, addr = sock[fd].recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == socket.PACKET_OUTGOING:
                    continue
                if rnd.random() < loss:
                    counts['dropped'] += 1
                    continue
                if fd not in held and rnd.random() < reorder:
                    held[fd] = (frame, time.monotonic())
                    continue
                send(out[fd], frame)
                if fd in held:
                    send(out[fd], held.pop(fd)[0])
                    counts['reordered'] += 1
        now = time.monotonic()
        for fd, (frame, since) in list(held.items()):
            if now - since >= HOLD_MS / 1000:
                send(out[fd], frame)
                del held[fd]


main()
