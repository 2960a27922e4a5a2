"""Hostile Ethernet frames for a host on the link, sent with an AF_PACKET socket.

usage: hostile_frames.py IFACE DST_MAC DST_IP PORT SEED SYNS [SPOOFED_SYNS [floods-only]]

Sends, to DST_MAC/DST_IP, where PORT is a listening TCP port:
bad IPv4 and TCP/UDP checksums, every truncation of a valid SYN, lying
header fields (IHL, total length, version, TCP data offset, UDP length),
malformed TCP options, garbage IP options, broken ARP, overlapping,
duplicate, oversized and unfinished fragments, random frames and randomly
mutated SYNs with their checksums fixed (so they get past the checksum
checks), and a SYN flood of SYNS SYNs from the sender's own address with
random source ports (its kernel answers the SYN-ACKs with RSTs), plus
SPOOFED_SYNS from addresses nobody on the link has (only the floods with
"floods-only"). Prints the number of frames of each kind.
"""
import random
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(text):
    return bytes(int(x, 16) for x in text.split(':'))


class Sender:
    def __init__(self, iface, dst_mac, dst_ip, port, rnd):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        self.s.bind((iface, 0))
        with open('/sys/class/net/%s/address' % iface) as f:
            self.src_mac = mac(f.read().strip())
        self.dst_mac = mac(dst_mac)
        self.dst = socket.inet_aton(dst_ip)
        self.src = socket.inet_aton(self.own_address(iface))
        self.port = port
        self.rnd = rnd
        self.counts = {}

    @staticmethod
    def own_address(iface):
        import fcntl
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        ifreq = struct.pack('16s16x', iface.encode())
        return socket.inet_ntoa(fcntl.ioctl(s.fileno(), 0x8915, ifreq)[20:24])  # SIOCGIFADDR

    def send(self, kind, frame):
        try:
            self.s.send(frame)
        except OSError:
            pass  # the kernel refused it (too short for the device): not on the wire
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def eth(self, payload, ethertype=0x0800, dst=None):
        return (dst or self.dst_mac) + self.src_mac + struct.pack('!H', ethertype) + payload

    def ip(self, proto, payload, src=None, ident=0, frag=0, ttl=64, ihl=5, total=None, options=b'', version=4, check=None):
        options = options + b'\0' * (ihl * 4 - 20 - len(options)) if ihl >= 5 else b''
        total = 20 + len(options) + len(payload) if total is None else total
        h = struct.pack('!BBHHHBBH4s4s', (version << 4) | ihl, 0, total & 0xFFFF, ident, frag, ttl, proto, 0, src or self.src, self.dst) + options
        c = csum(h) if check is None else check
        return h[:10] + struct.pack('!H', c) + h[12:] + payload

    def tcp(self, flags, sport, seq=0, ack=0, payload=b'', options=b'', doff=None, src=None, check=None):
        doff = (20 + len(options)) // 4 if doff is None else doff
        h = struct.pack('!HHIIBBHHH', sport, self.port, seq, ack, doff << 4, flags, 65535, 0, 0) + options
        seg = h + payload
        pseudo = (src or self.src) + self.dst + struct.pack('!BBH', 0, 6, len(seg))
        c = csum(pseudo + seg) if check is None else check
        return seg[:16] + struct.pack('!H', c) + seg[18:]

    def udp(self, dport, payload, sport=40000, length=None, check=None):
        length = 8 + len(payload) if length is None else length
        seg = struct.pack('!HHHH', sport, dport, length & 0xFFFF, 0) + payload
        pseudo = self.src + self.dst + struct.pack('!BBH', 0, 17, len(seg))
        c = csum(pseudo + seg) if check is None else check
        return seg[:6] + struct.pack('!H', c) + seg[8:]

    def syn(self, sport, src=None, options=b'\x02\x04\x05\xb4'):
        return self.eth(self.ip(6, self.tcp(0x02, sport, seq=self.rnd.getrandbits(32), options=options, src=src), src=src))


def fix_checksums(frame):
    """Recomputes the IPv4 header checksum and the TCP/UDP checksum of a (mutated) frame, where it can."""
    f = bytearray(frame)
    if len(f) < 34 or f[12:14] != b'\x08\x00':
        return bytes(f)
    ihl = (f[14] & 15) * 4
    if ihl < 20 or len(f) < 14 + ihl:
        return bytes(f)
    f[24:26] = b'\0\0'
    f[24:26] = struct.pack('!H', csum(bytes(f[14:14 + ihl])))
    proto, l4 = f[23], 14 + ihl
    at = {6: 16, 17: 6}.get(proto)
    if at is not None and len(f) >= l4 + at + 2:
        f[l4 + at:l4 + at + 2] = b'\0\0'
        seg = bytes(f[l4:])
        f[l4 + at:l4 + at + 2] = struct.pack('!H', csum(bytes(f[26:34]) + struct.pack('!BBH', 0, proto, len(seg)) + seg))
    return bytes(f)


def main():
    iface, dst_mac, dst_ip, port, seed, syns = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    spoofed = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    rnd = random.Random(seed)
    x = Sender(iface, dst_mac, dst_ip, port, rnd)
    if sys.argv[8:] != ['floods-only']:
        malformed(x, dst_ip, rnd)
    floods(x, syns, spoofed, rnd)
    for kind, n in x.counts.items():
        print('%s: %d' % (kind, n))


def floods(x, syns, spoofed, rnd):
    for _ in range(syns):
        x.send('syn flood', x.syn(rnd.randrange(1024, 65536)))
    for i in range(spoofed):
        src = socket.inet_aton('10.99.0.%d' % (100 + i % 100))
        x.send('spoofed syn flood', x.syn(rnd.randrange(1024, 65536), src=src))


def malformed(x, dst_ip, rnd):
    sport = lambda: rnd.randrange(1024, 65536)

    # Checksums.
    good = x.syn(sport())
    bad_ip = bytearray(good)
    bad_ip[24] ^= 0xFF
    x.send('bad ip checksum', bytes(bad_ip))
    x.send('bad tcp checksum', x.eth(x.ip(6, x.tcp(0x02, sport(), check=0x1234))))
    x.send('bad udp checksum', x.eth(x.ip(17, x.udp(7, b'hello', check=0x1234))))

    # Every truncation of a valid SYN (with options), the Ethernet header included.
    for n in range(len(good)):
        x.send('truncated', good[:n])

    # Header fields that lie.
    seg = x.tcp(0x02, sport())
    for ihl in range(0, 16):
        x.send('ihl', x.eth(x.ip(6, seg, ihl=ihl)))
    for total in (0, 1, 19, 20, 21, 39, 41, 1500, 65535):
        x.send('total length', x.eth(x.ip(6, seg, total=total)))
    for version in (0, 5, 6, 15):
        x.send('version', x.eth(x.ip(6, seg, version=version)))
    for doff in range(0, 16):
        x.send('tcp data offset', x.eth(x.ip(6, x.tcp(0x02, sport(), doff=doff))))
    for length in (0, 1, 7, 9, 100, 65535):
        x.send('udp length', x.eth(x.ip(17, x.udp(7, b'hello', length=length))))
    x.send('icmp truncated', x.eth(x.ip(1, b'\x08\x00')))
    x.send('icmp bad checksum', x.eth(x.ip(1, b'\x08\x00\x12\x34\x00\x01\x00\x01hello')))
    for t in range(0, 256, 7):
        body = struct.pack('!BBHI', t, rnd.randrange(256), 0, rnd.getrandbits(32)) + bytes(28)
        body = body[:2] + struct.pack('!H', csum(body)) + body[4:]
        x.send('icmp types', x.eth(x.ip(1, body)))
    for ttl in (0, 1):
        x.send('ttl', x.eth(x.ip(6, x.tcp(0x02, sport()), ttl=ttl)))
    # Broadcast and loopback sources, our own address as source.
    for src in ('255.255.255.255', '127.0.0.1', dst_ip, '0.0.0.0', '224.0.0.1'):
        s = socket.inet_aton(src)
        x.send('martian source', x.eth(x.ip(6, x.tcp(0x02, sport(), src=s), src=s)))

    # TCP options: zero and one lengths, truncated, absurd values, odd SACK blocks.
    for opts in (b'\x02\x00\x00\x00', b'\x02\x01\x00\x00', b'\x02\x04\x00\x00', b'\x03\x03\xff\x00', b'\x03\x00\x00\x00',
                 b'\x04\x02\x05\x07\x00\x00\x00\x00', b'\x05\x01\x00\x00', b'\x05\x05\x01\x02\x03', b'\x05\x22' + bytes(34) + b'\x00\x00',
                 b'\x08\x0a' + bytes(8) + b'\x00\x00', b'\x01' * 40, b'\xfe\x28' + bytes(38), b'\x02\x04\x00'):
        o = opts + b'\0' * (-len(opts) % 4)
        x.send('tcp options', x.eth(x.ip(6, x.tcp(0x02, sport(), options=o[:40]))))
    for flags in range(0, 256, 3):
        x.send('tcp flags', x.eth(x.ip(6, x.tcp(flags, sport(), seq=rnd.getrandbits(32), ack=rnd.getrandbits(32), payload=b'x' * (flags % 5)))))

    # IP options: garbage, a record-route option pointing outside it, an end marker.
    for opts in (bytes(rnd.randrange(256) for _ in range(40)), b'\x07\x27\xff' + bytes(36), b'\x07\x03\x04', b'\x44\x02', b'\x00'):
        ihl = 5 + (len(opts) + 3) // 4
        x.send('ip options', x.eth(x.ip(6, x.tcp(0x02, sport()), ihl=ihl, options=opts)))

    # ARP: broken sizes, unknown operations, truncated; none claims a real neighbour's address.
    arp = lambda hw, pr, hl, pl, op, body: struct.pack('!HHBBH', hw, pr, hl, pl, op) + body
    bogus_ip = socket.inet_aton('10.99.0.250')
    body = b'\x02\x00\x00\x00\x00\x09' + bogus_ip + bytes(6) + x.dst
    for a in (arp(1, 0x0800, 6, 4, 1, body), arp(1, 0x0800, 0, 0, 1, b''), arp(1, 0x0800, 255, 255, 1, bytes(100)), arp(1, 0x0800, 6, 4, 9, body),
              arp(6, 0x86dd, 6, 16, 1, bytes(44)), arp(1, 0x0800, 6, 4, 2, body[:7])):
        x.send('arp', x.eth(a, 0x0806, dst=b'\xff' * 6))
        x.send('arp', x.eth(a, 0x0806))

    # Fragments: overlapping, duplicate, past 64 KiB, unfinished (many IDs), and an overlapping rewrite of a SYN's header.
    data = x.udp(7, bytes(range(48)))
    def frag(ident, off, part, more, proto=17):
        return x.eth(x.ip(proto, part, ident=ident, frag=(0x2000 if more else 0) | (off // 8)))
    for ident, pieces in ((1, [(0, 24, True), (8, 24, True), (32, 24, False)]), (2, [(0, 32, True), (0, 32, True), (32, 24, False)]),
                          (3, [(16, 40, False), (0, 24, True)]), (4, [(0, 56, True), (24, 8, False)])):
        for off, n, more in pieces:
            x.send('overlapping fragments', frag(ident, off, data[off:off + n], more))
    for off in (65528, 65520):
        x.send('fragment past 64 KiB', frag(5, off, bytes(64), False))
    x.send('fragment past 64 KiB', frag(5, 0, bytes(64), True))
    syn_seg = x.tcp(0x02, sport())
    x.send('syn in overlapping fragments', frag(6, 0, syn_seg[:16], True, proto=6))
    x.send('syn in overlapping fragments', frag(6, 8, x.tcp(0x12, 9, ack=1)[8:], False, proto=6))
    for ident in range(100, 1100):
        x.send('unfinished fragments', frag(ident, 0, bytes(rnd.randrange(256) for _ in range(64)), True))

    # Random frames to us, and valid SYNs mutated at random with their checksums fixed.
    for _ in range(1000):
        ethertype = rnd.choice((0x0800, 0x0806, 0x86dd, rnd.randrange(65536)))
        x.send('random', x.eth(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 200))), ethertype))
    for _ in range(2000):
        f = bytearray(x.syn(sport()))
        for _ in range(rnd.randrange(1, 4)):
            f[rnd.randrange(14, len(f))] = rnd.randrange(256)
        x.send('mutated', fix_checksums(bytes(f)))


main()
