"""A tiny authoritative DNS server over UDP (RFC 1035 messages, hand-encoded).

usage: dns_server.py BIND_ADDR NAME IPV4
Answers A queries for NAME with IPV4 (TTL 60), other types of NAME with
no records (NOERROR), every other name with NXDOMAIN. Prints "ready" once
bound, then "QNAME QTYPE" for each query.
"""
import socket
import struct
import sys

QTYPE_A = 1
CLASS_IN = 1


def read_name(msg, at):
    labels = []
    while True:
        n = msg[at]
        at += 1
        if n == 0:
            return '.'.join(labels), at
        if n & 0xC0:
            raise ValueError('compressed names are not expected in questions')
        labels.append(msg[at:at + n].decode('ascii'))
        at += n


def answer(query, name, ipv4):
    ident, flags, qdcount = struct.unpack('!HHH', query[:6])
    if qdcount != 1:
        return struct.pack('!HHHHHH', ident, 0x8000 | (flags & 0x0100) | 1, 0, 0, 0, 0), None  # FORMERR
    qname, end = read_name(query, 12)
    qtype, qclass = struct.unpack('!HH', query[end:end + 4])
    question = query[12:end + 4]
    known = qname.lower() == name.lower()
    records = []
    if known and qtype == QTYPE_A and qclass == CLASS_IN:
        # The name as a pointer to the question (offset 12), type A, class IN, TTL, the address.
        records.append(struct.pack('!HHHIH', 0xC00C, QTYPE_A, CLASS_IN, 60, 4) + socket.inet_aton(ipv4))
    rcode = 0 if known else 3
    # QR, AA, the client's RD, RA; no additional records (an OPT from the client is not echoed).
    header = struct.pack('!HHHHHH', ident, 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode, 1, len(records), 0, 0)
    return header + question + b''.join(records), '%s %d' % (qname, qtype)


def main():
    bind, name, ipv4 = sys.argv[1], sys.argv[2], sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind, 53))
    print('ready', flush=True)
    while True:
        query, client = s.recvfrom(4096)
        try:
            reply, seen = answer(query, name, ipv4)
        except (ValueError, struct.error, IndexError, UnicodeDecodeError):
            continue
        s.sendto(reply, client)
        if seen:
            print(seen, flush=True)


main()
