import assert from 'node:assert/strict';
import { IPPROTO } from '../abi/linux/inet';
import { POLL } from '../abi/linux/poll';
import { parseIpv4 as parseAddr } from './addr';
import { decode, icmpEcho, ipFrame, udpPayload } from './testing/frames';
import { A_ADDR, B_ADDR, capture, errnoOf, pattern, stackPair, warmArp } from './testing/pair';
import { finish, sum16 } from './wire/checksum';
import { ARP_OP, parseArp } from './wire/arp';
import { ETHERTYPE, parseEthernet } from './wire/ethernet';
import { ICMP_TYPE } from './wire/icmp';

describe('sentry/net IPv4, ARP, ICMP', () => {
  it('ARP: one request and reply, then the cache answers; queued packets go out once resolved', () => {
    const p = stackPair();
    const log = capture(p);
    const u = p.a.udpSocket();
    const r = p.b.udpSocket();
    r.bind({ addr: 0, port: 5353 });
    for (let i = 0; i < 3; i++) u.sendto(Buffer.from(`m${i}`), { addr: B_ADDR, port: 5353 });
    p.clock.advance(10);
    const arps = log.filter((c) => parseEthernet(c.frame)?.type === ETHERTYPE.ARP).map((c) => ({ from: c.from, arp: parseArp(c.frame.subarray(14)) }));
    assert.deepEqual(arps.map((x) => [x.from, x.arp?.op]), [['a', ARP_OP.REQUEST], ['b', ARP_OP.REPLY]]);
    assert.equal(arps[0].arp?.targetIp, B_ADDR);
    assert.ok(parseEthernet(log[0].frame)?.dst.equals(Buffer.alloc(6, 0xff)), 'requests are broadcast');
    assert.deepEqual([0, 1, 2].map(() => r.recvfrom(100).data.toString()), ['m0', 'm1', 'm2']);
    assert.equal(p.b.ethernet?.arp.size, 1, 'b learned a from the request aimed at it');
  });

  it('ARP: unanswered requests are retried 3 times, 1 s apart, then the queue is dropped', () => {
    const p = stackPair();
    const log = capture(p);
    const u = p.a.udpSocket();
    for (let i = 0; i < 100; i++) u.sendto(Buffer.from('x'), { addr: parseAddr('10.0.0.77'), port: 9 });
    p.clock.advance(10_000);
    const times = log.filter((c) => c.from === 'a').map((c) => c.t);
    assert.deepEqual(times, [0, 1000, 2000]);
    assert.equal(p.a.stats.get('arp.queue_full'), 100 - 64);
    assert.equal(p.a.stats.get('arp.dropped_queued'), 64);
    assert.equal(p.a.ethernet?.arp.pendingCount, 0);
  });

  it('ARP: entries go stale after 30 s and are re-asked while still used, and expire after 90 s', () => {
    const p = stackPair();
    warmArp(p);
    const log = capture(p);
    const u = p.a.udpSocket();
    p.clock.advance(31_000);
    u.sendto(Buffer.from('x'), { addr: B_ADDR, port: 9 });
    p.clock.advance(10);
    const first = log.filter((c) => c.from === 'a').map((c) => parseEthernet(c.frame)?.type);
    assert.deepEqual(first, [ETHERTYPE.ARP, ETHERTYPE.IPV4], 'the stale entry is re-asked and still used');
    p.b.close(); // the neighbour goes away
    p.clock.advance(100_000);
    assert.equal(p.a.ethernet?.arp.lookup(B_ADDR), undefined);
    assert.equal(p.a.ethernet?.arp.size, 0);
  });

  it('answers ICMP echo with the same identifier, sequence and data', () => {
    const p = stackPair();
    warmArp(p);
    const log = capture(p);
    const data = pattern(1000);
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
    p.b.input(ipFrame(spec, IPPROTO.ICMP, icmpEcho(ICMP_TYPE.ECHO_REQUEST, 0x1234, 7, data)));
    p.clock.advance(10);
    const reply = log.find((c) => c.from === 'b');
    assert.ok(reply);
    const ip = decode(reply.frame).ip;
    assert.ok(ip);
    assert.equal(ip.protocol, IPPROTO.ICMP);
    assert.equal(ip.dst, A_ADDR);
    assert.ok(ip.payload.equals(icmpEcho(ICMP_TYPE.ECHO_REPLY, 0x1234, 7, data)));
    // A corrupt request is ignored.
    const bad = icmpEcho(ICMP_TYPE.ECHO_REQUEST, 1, 1, data);
    bad[100] ^= 1;
    log.length = 0;
    p.b.input(ipFrame(spec, IPPROTO.ICMP, bad));
    p.clock.advance(10);
    assert.equal(log.length, 0);
    assert.equal(p.b.stats.get('icmp.bad'), 1);
  });

  it('drops IPv4 with bad checksums, versions or lengths, and counts why', () => {
    const p = stackPair();
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
    const good = ipFrame(spec, IPPROTO.UDP, udpPayload(A_ADDR, B_ADDR, 1, 2, Buffer.from('x')));
    const variants: [string, (f: Buffer) => void][] = [
      ['ip.bad_checksum', (f) => (f[14 + 10] ^= 0xff)],
      ['ip.bad_version', (f) => (f[14] = 0x65)],
      ['ip.bad_header-length', (f) => (f[14] = 0x44)],
      ['ip.bad_total-length', (f) => f.writeUInt16BE(9999, 14 + 2)],
    ];
    for (const [stat, mutate] of variants) {
      const f = Buffer.from(good);
      mutate(f);
      p.b.input(f);
      assert.equal(p.b.stats.get(stat), 1, stat);
    }
    p.b.input(good.subarray(0, 20));
    assert.equal(p.b.stats.get('ip.bad_truncated'), 1);
  });

  it('fragments a large UDP datagram and reassembles it, fragments in any order', () => {
    const p = stackPair({ conditions: { delayMs: 1, jitterMs: 5 } });
    const r = p.b.udpSocket();
    r.bind({ addr: 0, port: 7000 });
    const u = p.a.udpSocket();
    const data = pattern(20_000);
    const log = capture(p);
    u.sendto(data, { addr: B_ADDR, port: 7000 });
    p.clock.advance(100);
    assert.ok(r.recvfrom(65536).data.equals(data));
    const frags = log.filter((c) => c.from === 'a' && decode(c.frame).ip);
    assert.equal(frags.length, Math.ceil((20_000 + 8) / 1480));
    assert.equal(p.b.stats.get('ip.reassembled'), 1);
    assert.deepEqual(p.b.pendingFragments, { datagrams: 0, bytes: 0 });
  });

  it('drops a datagram whose fragments overlap, and times out incomplete ones after 30 s', () => {
    const p = stackPair();
    warmArp(p);
    const r = p.b.udpSocket();
    r.bind({ addr: 0, port: 7000 });
    const udp = udpPayload(A_ADDR, B_ADDR, 1000, 7000, pattern(3000));
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR, id: 99 };
    const frag = (off: number, len: number, more: boolean, id = 99) =>
      ipFrame({ ...spec, id, fragmentOffset: off, moreFragments: more }, IPPROTO.UDP, udp.subarray(off, off + len));
    p.b.input(frag(0, 1480, true));
    p.b.input(frag(1472, 1480, true)); // overlaps the first by 8 bytes
    p.b.input(frag(2952, udp.length - 2952, false));
    p.clock.advance(10);
    assert.equal(errnoOf(() => r.recvfrom(10_000)), 'EAGAIN');
    assert.equal(p.b.stats.get('ip.frag_overlap'), 1);
    // An exact duplicate is harmless.
    p.b.input(frag(0, 1480, true, 100));
    p.b.input(frag(0, 1480, true, 100));
    p.b.input(frag(1480, 1480, true, 100));
    p.b.input(frag(2960, udp.length - 2960, false, 100));
    p.clock.advance(10);
    assert.ok(r.recvfrom(10_000).data.equals(udp.subarray(8)));
    p.b.input(frag(0, 1480, true, 101));
    assert.equal(p.b.pendingFragments.datagrams, 2, 'the stray last fragment of datagram 99 and datagram 101');
    p.clock.advance(30_001);
    assert.deepEqual(p.b.pendingFragments, { datagrams: 0, bytes: 0 });
    assert.equal(p.b.stats.get('ip.frag_timeout'), 2);
  });

  it('answers UDP to a closed port with ICMP port unreachable, which a connected socket reports as ECONNREFUSED', () => {
    const p = stackPair();
    const u = p.a.udpSocket();
    u.connect({ addr: B_ADDR, port: 4444 });
    u.sendto(Buffer.from('x'));
    p.clock.advance(10);
    assert.ok(u.readiness() & POLL.ERR);
    assert.equal(errnoOf(() => u.recvfrom(10)), 'ECONNREFUSED');
    assert.equal(errnoOf(() => u.recvfrom(10)), 'EAGAIN');
    const icmp = p.b.stats.get('icmp.errors_sent');
    assert.equal(icmp, 1);
  });

  it('rate-limits ICMP errors', () => {
    const p = stackPair();
    warmArp(p);
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
    const before = p.b.stats.get('icmp.errors_sent');
    for (let i = 0; i < 500; i++) p.b.input(ipFrame(spec, IPPROTO.UDP, udpPayload(A_ADDR, B_ADDR, 1, 9999, Buffer.from('x'))));
    assert.equal(p.b.stats.get('icmp.errors_sent') - before, 50, 'the burst');
    assert.equal(p.b.stats.get('icmp.rate_limited'), 450);
    p.clock.advance(20);
    p.b.input(ipFrame(spec, IPPROTO.UDP, udpPayload(A_ADDR, B_ADDR, 1, 9999, Buffer.from('x'))));
    assert.equal(p.b.stats.get('icmp.errors_sent') - before, 51, '1000 per second refill');
  });

  it('checksums: RFC 1071 example and the odd-length rule', () => {
    // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (complement 220d).
    const b = Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    assert.equal(finish(sum16(b, 0, 8)), 0x220d);
    assert.equal(finish(sum16(Buffer.from([0xab]), 0, 1)), ~0xab00 & 0xffff);
  });
});
