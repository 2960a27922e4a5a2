import assert from 'node:assert/strict';
import { IPPROTO } from '../abi/linux/inet';
import { fixChecksums, icmpEcho, ipFrame, tcpFrame } from './testing/frames';
import { A_ADDR, B_ADDR, capture, connectPair, pattern, stackPair, transfer, warmArp, type Pair } from './testing/pair';
import { seededRandom } from './testing/random';
import { buildEthernet, ETHERTYPE } from './wire/ethernet';
import { ICMP_TYPE } from './wire/icmp';
import { TCP_FLAG } from './wire/tcp';

/** The stack survived: no internal errors and a fresh connection still carries data. */
function assertHealthy(p: Pair, port: number): void {
  for (const s of [p.a, p.b]) {
    assert.equal(s.stats.get('internal_error'), 0, String(s.lastInternalError instanceof Error ? s.lastInternalError.stack : s.lastInternalError));
  }
  p.wire.filter = undefined;
  const { client, server } = connectPair(p, port);
  const data = pattern(100_000, port);
  assert.ok(transfer(p, client, server, data).received.equals(data));
}

describe('sentry/net under malformed input', () => {
  it('random bytes as frames', () => {
    const p = stackPair();
    const rnd = seededRandom(42);
    for (let i = 0; i < 20_000; i++) {
      const len = Math.floor(rnd() * 200);
      const body = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      const type = [ETHERTYPE.IPV4, ETHERTYPE.ARP, 0x1234][i % 3];
      p.b.input(i % 7 === 0 ? body : buildEthernet(p.wire.b.mac, p.wire.a.mac, type, body));
    }
    p.clock.advance(100_000);
    assertHealthy(p, 1000);
  });

  it('mutated real traffic (with checksums fixed so it reaches the protocol code), while connections are live', () => {
    const p = stackPair();
    const seedFrames: Buffer[] = [];
    const log = capture(p);
    const { client, server } = connectPair(p, 80);
    transfer(p, client, server, pattern(50_000));
    const u = p.a.udpSocket();
    u.sendto(pattern(4000), { addr: B_ADDR, port: 53 }); // fragments and an ICMP port unreachable
    p.clock.advance(100);
    for (const c of log) seedFrames.push(c.frame);
    seedFrames.push(ipFrame({ srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR }, IPPROTO.ICMP, icmpEcho(ICMP_TYPE.ECHO_REQUEST, 1, 1, pattern(64))));
    // Live connections to disturb.
    const live = connectPair(p, 81);
    live.client.write(pattern(30_000, 9));
    const rnd = seededRandom(7);
    for (let i = 0; i < 30_000; i++) {
      const f = Buffer.from(seedFrames[Math.floor(rnd() * seedFrames.length)]);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < flips; k++) {
        // Mostly the headers, where the parsing is.
        const at = rnd() < 0.8 ? Math.floor(rnd() * Math.min(f.length, 80)) : Math.floor(rnd() * f.length);
        f[at] = rnd() < 0.5 ? f[at] ^ (1 << Math.floor(rnd() * 8)) : Math.floor(rnd() * 256);
      }
      let g = f;
      if (rnd() < 0.1) g = f.subarray(0, Math.floor(rnd() * f.length));
      if (rnd() < 0.9) fixChecksums(g);
      (rnd() < 0.5 ? p.a : p.b).input(g);
      if (i % 1000 === 0) p.clock.advance(50);
    }
    p.clock.advance(200_000);
    for (const s of [p.a, p.b]) {
      assert.ok(s.tcp.connectionCount < 600, `connections bounded: ${s.tcp.connectionCount}`);
      assert.ok(s.pendingFragments.bytes <= 4 * 1024 * 1024);
    }
    assertHealthy(p, 2000);
  });

  it('overlapping and endless fragments stay within the reassembly budget', () => {
    const p = stackPair();
    warmArp(p);
    const rnd = seededRandom(3);
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
    for (let i = 0; i < 20_000; i++) {
      const off = Math.floor(rnd() * 8000) * 8;
      p.b.input(ipFrame({ ...spec, id: Math.floor(rnd() * 65536), fragmentOffset: off, moreFragments: rnd() < 0.9 }, IPPROTO.UDP, pattern(1400, i)));
      assert.ok(p.b.pendingFragments.bytes <= 4 * 1024 * 1024);
    }
    assert.ok(p.b.stats.get('ip.frag_evicted') > 0);
    p.clock.advance(31_000);
    assert.deepEqual(p.b.pendingFragments, { datagrams: 0, bytes: 0 });
    assertHealthy(p, 3000);
  });

  it('TCP segments with random flags, sequence numbers and options against a live connection', () => {
    const p = stackPair();
    const { client, server } = connectPair(p, 80);
    const rnd = seededRandom(11);
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
    const sport = client.localAddress().port;
    for (let i = 0; i < 20_000; i++) {
      const optLen = Math.floor(rnd() * 11) * 4;
      const options = Buffer.from(Array.from({ length: optLen }, () => Math.floor(rnd() * 256)));
      const flags = Math.floor(rnd() * 256) & ~(i < 19_000 ? TCP_FLAG.RST : 0);
      p.b.input(tcpFrame(spec, { srcPort: rnd() < 0.5 ? sport : 1024 + Math.floor(rnd() * 100), dstPort: 80, seq: Math.floor(rnd() * 2 ** 32), ack: Math.floor(rnd() * 2 ** 32), flags, window: Math.floor(rnd() * 65536), options }, pattern(Math.floor(rnd() * 100), i)));
    }
    p.clock.advance(100_000);
    assert.ok(p.b.stats.get('tcp.unacceptable') > 1000, 'most random segments fail the window check');
    assert.ok(p.b.stats.get('tcp.resets_sent') > 1000, 'strays get RSTs');
    void server;
    assertHealthy(p, 4000);
  });
});
