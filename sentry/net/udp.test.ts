import assert from 'node:assert/strict';
import { POLL } from '../abi/linux/poll';
import { parseIpv4 } from './addr';
import { A_ADDR, B_ADDR, errnoOf, pattern, stackPair } from './testing/pair';

describe('sentry/net UDP', () => {
  it('bind, sendto, recvfrom with source address, peek and truncation', () => {
    const p = stackPair();
    const s = p.b.udpSocket();
    s.bind({ addr: 0, port: 53 });
    const c = p.a.udpSocket();
    assert.equal(errnoOf(() => c.sendto(Buffer.from('x'))), 'EDESTADDRREQ');
    assert.equal(c.sendto(Buffer.from('hello world'), { addr: B_ADDR, port: 53 }), 11);
    assert.ok(c.localAddress().port >= 32768, 'sendto autobinds an ephemeral port');
    p.clock.advance(10);
    assert.ok(s.readiness() & POLL.IN);
    assert.equal(s.inQueue, 11);
    const peeked = s.recvfrom(100, true);
    assert.equal(peeked.data.toString(), 'hello world');
    const d = s.recvfrom(5);
    assert.equal(d.data.toString(), 'hello');
    assert.ok(d.truncated);
    assert.equal(d.length, 11);
    assert.deepEqual(d.from, { addr: A_ADDR, port: c.localAddress().port });
    assert.equal(errnoOf(() => s.recvfrom(5)), 'EAGAIN', 'the rest of a truncated datagram is gone');
    s.sendto(Buffer.from('reply'), d.from);
    p.clock.advance(10);
    assert.equal(c.recvfrom(100).data.toString(), 'reply');
  });

  it('a connected socket only receives from its peer; AF_UNSPEC disconnects', () => {
    const p = stackPair();
    const s = p.b.udpSocket();
    s.bind({ addr: 0, port: 1000 });
    s.connect({ addr: A_ADDR, port: 2000 });
    assert.deepEqual(s.remoteAddress(), { addr: A_ADDR, port: 2000 });
    const right = p.a.udpSocket();
    right.bind({ addr: 0, port: 2000 });
    const wrong = p.a.udpSocket();
    wrong.bind({ addr: 0, port: 2001 });
    wrong.sendto(Buffer.from('no'), { addr: B_ADDR, port: 1000 });
    right.sendto(Buffer.from('yes'), { addr: B_ADDR, port: 1000 });
    p.clock.advance(10);
    assert.equal(s.recvfrom(10).data.toString(), 'yes');
    assert.equal(errnoOf(() => s.recvfrom(10)), 'EAGAIN');
    s.disconnect();
    assert.equal(errnoOf(() => s.remoteAddress()), 'ENOTCONN');
    wrong.sendto(Buffer.from('now'), { addr: B_ADDR, port: 1000 });
    p.clock.advance(10);
    assert.equal(s.recvfrom(10).data.toString(), 'now');
  });

  it('broadcast needs SO_BROADCAST to send, and reaches wildcard-bound sockets', () => {
    const p = stackPair();
    const r = p.b.udpSocket();
    r.bind({ addr: 0, port: 67 });
    const c = p.a.udpSocket();
    assert.equal(errnoOf(() => c.sendto(Buffer.from('x'), { addr: 0xffffffff, port: 67 })), 'EACCES');
    assert.equal(errnoOf(() => c.sendto(Buffer.from('x'), { addr: parseIpv4('10.0.0.255'), port: 67 })), 'EACCES');
    c.broadcast = true;
    c.sendto(Buffer.from('dhcp'), { addr: 0xffffffff, port: 67 });
    p.clock.advance(10);
    assert.equal(r.recvfrom(10).data.toString(), 'dhcp');
  });

  it('loopback: 127.0.0.1 and our own address work without the wire', () => {
    const p = stackPair();
    const s = p.b.udpSocket();
    s.bind({ addr: 0, port: 9000 });
    const c = p.b.udpSocket();
    c.sendto(Buffer.from('lo'), { addr: 0x7f000001, port: 9000 });
    c.sendto(Buffer.from('self'), { addr: B_ADDR, port: 9000 });
    assert.equal(errnoOf(() => s.recvfrom(10)), 'EAGAIN', 'delivery is asynchronous');
    p.clock.advance(0);
    const a = s.recvfrom(10);
    assert.equal(a.data.toString(), 'lo');
    assert.equal(a.from.addr, 0x7f000001);
    const b = s.recvfrom(10);
    assert.equal(b.data.toString(), 'self');
    assert.equal(b.from.addr, B_ADDR);
    assert.equal(p.wire.sent.b, 0);
  });

  it('bind conflicts, SO_REUSEADDR, EMSGSIZE and the receive buffer bound', () => {
    const p = stackPair();
    const x = p.b.udpSocket();
    x.bind({ addr: 0, port: 5000 });
    assert.equal(errnoOf(() => p.b.udpSocket().bind({ addr: B_ADDR, port: 5000 })), 'EADDRINUSE');
    assert.equal(errnoOf(() => p.b.udpSocket().bind({ addr: parseIpv4('10.9.9.9'), port: 5001 })), 'EADDRNOTAVAIL');
    const y = p.b.udpSocket();
    y.reuseAddr = true;
    const z = p.b.udpSocket();
    z.reuseAddr = true;
    y.bind({ addr: 0, port: 5002 });
    assert.equal(errnoOf(() => z.bind({ addr: 0, port: 5002 })), 'ok');
    const c = p.a.udpSocket();
    assert.equal(errnoOf(() => c.sendto(Buffer.alloc(65508), { addr: B_ADDR, port: 5000 })), 'EMSGSIZE');
    x.setRcvBuf(4096); // 8 KiB: 7 datagrams of 1000 bytes plus overhead
    for (let i = 0; i < 50; i++) c.sendto(pattern(1000, i), { addr: B_ADDR, port: 5000 });
    p.clock.advance(100);
    let n = 0;
    while (errnoOf(() => x.recvfrom(2000)) === 'ok') n++;
    assert.equal(n, Math.floor(8192 / (1000 + 256)));
    assert.equal(p.b.stats.get('udp.rcvbuf_full'), 50 - n);
  });
});
