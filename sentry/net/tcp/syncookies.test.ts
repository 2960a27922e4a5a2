import assert from 'node:assert/strict';
import { decode, tcpFrame } from '../testing/frames';
import { A_ADDR, B_ADDR, type Captured, capture, errnoOf, type Pair, pattern, stackPair, transfer, until, warmArp } from '../testing/pair';
import { TCP_FLAG, type TcpSegment } from '../wire/tcp';
import { TcpState } from './endpoint';
import { COOKIE_MSS_TABLE, SynCookies } from './syncookies';

const tcpOf = (f: Buffer): TcpSegment | undefined => decode(f).tcp;

/** A listener on b:80 (backlog 16: a SYN queue of 32) whose queue a spoofed flood from a filled; b's answers to it are lost. */
function flooded(): { p: Pair; listener: ReturnType<Pair['b']['tcpSocket']>; spec: Parameters<typeof tcpFrame>[0] } {
  const p = stackPair({ stack: { tcp: { maxSynBacklog: 64 } } });
  warmArp(p);
  const listener = p.b.tcpSocket();
  listener.bind({ addr: 0, port: 80 });
  listener.listen(16);
  const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
  flood(p, spec, 1024);
  return { p, listener, spec };
}

/** 100 spoofed SYNs from a:`firstPort`...; b's TCP answers to them are lost. */
function flood(p: Pair, spec: Parameters<typeof tcpFrame>[0], firstPort: number): void {
  capture(p, (f, from) => from === 'b' && tcpOf(f) !== undefined);
  for (let i = 0; i < 100; i++) {
    p.b.input(tcpFrame(spec, { srcPort: firstPort + i, dstPort: 80, seq: i * 7919, ack: 0, flags: TCP_FLAG.SYN, window: 65535 }));
  }
  p.wire.filter = undefined;
}

/** b's TCP answers to a:`port` in `log`. */
function answersTo(log: Captured[], port: number): TcpSegment[] {
  return log.map((x) => tcpOf(x.frame)).filter((t) => t !== undefined && t.dstPort === port) as TcpSegment[];
}

/** Sends a SYN from a:`port` to the flooded listener by hand; returns b's SYN-ACK. */
function handSyn(p: Pair, spec: Parameters<typeof tcpFrame>[0], port: number, seq: number): TcpSegment {
  const log = capture(p, (f, from) => from === 'b' && tcpOf(f) !== undefined);
  p.b.input(tcpFrame(spec, { srcPort: port, dstPort: 80, seq, ack: 0, flags: TCP_FLAG.SYN, window: 65535 }));
  p.clock.advance(100);
  p.wire.filter = undefined;
  const answers = answersTo(log, port);
  assert.equal(answers.length, 1);
  return answers[0];
}

/** Sends an ACK from a:`port` by hand; returns what b answered. */
function handAck(p: Pair, spec: Parameters<typeof tcpFrame>[0], port: number, seq: number, ack: number, data = Buffer.alloc(0)): TcpSegment[] {
  const log = capture(p, (f, from) => from === 'b' && tcpOf(f) !== undefined);
  p.b.input(tcpFrame(spec, { srcPort: port, dstPort: 80, seq, ack, flags: TCP_FLAG.ACK | (data.length ? TCP_FLAG.PSH : 0), window: 65535 }, data));
  p.clock.advance(100); // past a delayed ACK
  p.wire.filter = undefined;
  return answersTo(log, port);
}

describe('sentry/net TCP SYN cookies', () => {
  it('the cookie encodes the MSS class and expires after its minute and the next', () => {
    let now = 0;
    const c = new SynCookies({ now: () => now, setTimer: () => ({ cancel: () => undefined }) });
    for (const [peer, want] of [[1460, 1460], [9000, 1460], [1459, 1440], [1400, 1300], [1299, 536], [88, 536]]) {
      const { isn, mss } = c.make(A_ADDR, 80, B_ADDR, 4000, 12345, peer);
      assert.equal(mss, want);
      assert.equal(c.check(A_ADDR, 80, B_ADDR, 4000, 12345, isn), want);
      assert.equal(c.check(A_ADDR, 80, B_ADDR, 4001, 12345, isn), undefined, 'another port');
      assert.equal(c.check(A_ADDR, 80, B_ADDR, 4000, 12345 + 1000, isn), undefined, 'another peer ISN');
      assert.equal(c.check(A_ADDR, 80, B_ADDR, 4000, 12345, (isn + 0x12345) >>> 0), undefined, 'another cookie');
    }
    now = 59_999;
    const { isn } = c.make(A_ADDR, 80, B_ADDR, 4000, 0xfffffff0, 1460);
    now = 119_999;
    assert.equal(c.check(A_ADDR, 80, B_ADDR, 4000, 0xfffffff0, isn), 1460, 'the next minute');
    now = 120_000;
    assert.equal(c.check(A_ADDR, 80, B_ADDR, 4000, 0xfffffff0, isn), undefined, 'two minutes on');
    assert.deepEqual(COOKIE_MSS_TABLE, [536, 1300, 1440, 1460]);
  });

  it('a full SYN queue answers with cookies and keeps no state; a real client completes, its data opens the connection, both ways work', () => {
    const { p, listener } = flooded();
    assert.equal(p.b.tcp.connectionCount, 32, 'min(tcp_max_syn_backlog, 2*backlog) embryonic connections');
    assert.equal(p.b.stats.get('tcp.syncookies_sent'), 68);
    assert.equal(p.b.stats.get('tcp.syn_dropped'), 0);

    const c = p.a.tcpSocket();
    c.setMaxSeg(1400); // the cookie keeps 1300, the table's entry below
    // The client's final ACK is lost: the client is established, the server has nothing.
    let acksDropped = 0;
    const log = capture(p, (f, from) => {
      const t = tcpOf(f);
      if (from === 'a' && t?.flags === TCP_FLAG.ACK && t.payload.length === 0 && acksDropped === 0) return ++acksDropped === 1;
      return false;
    });
    assert.equal(errnoOf(() => c.connect({ addr: B_ADDR, port: 80 })), 'EINPROGRESS');
    p.clock.runUntil(() => c.state === TcpState.ESTABLISHED, p.clock.now() + 1000);
    assert.equal(c.state, TcpState.ESTABLISHED);
    const synAck = log.map((x) => tcpOf(x.frame)).find((t) => t?.flags === (TCP_FLAG.SYN | TCP_FLAG.ACK));
    assert.ok(synAck);
    assert.deepEqual([synAck.options.mss, synAck.options.windowScale, synAck.options.sackPermitted], [1460, undefined, false], 'MSS only: no window scale, no SACK');
    assert.equal(p.b.tcp.connectionCount, 32, 'no state for the cookie');
    assert.equal(errnoOf(() => listener.accept()), 'EAGAIN');
    assert.equal(acksDropped, 1);

    // The first data segment acknowledges the cookie too: the connection opens with it.
    assert.equal(c.write(Buffer.from('hello')), 5);
    const s = until(p, () => listener.accept(), 1000);
    assert.equal(p.b.stats.get('tcp.syncookies_recv'), 1);
    assert.equal(s.state, TcpState.ESTABLISHED);
    assert.equal(s.getMaxSeg(), 1300, 'the MSS from the cookie');
    assert.equal(c.getMaxSeg(), 1400);
    assert.deepEqual(until(p, () => s.read(100), 1000), Buffer.from('hello'));

    const down = pattern(300_000, 1);
    const up = pattern(200_000, 2);
    const sizes: number[] = [];
    capture(p, (f, from) => {
      if (from === 'b') sizes.push(tcpOf(f)?.payload.length ?? 0);
      return false;
    });
    assert.ok(transfer(p, s, c, down).received.equals(down));
    assert.ok(transfer(p, c, s, up).received.equals(up));
    assert.equal(Math.max(...sizes), 1300);
    assert.equal(p.b.stats.get('tcp.sack_enabled'), 0, 'no SACK on a cookie connection');
    assert.equal(p.b.stats.get('internal_error'), 0);
  });

  it('an ACK with a wrong or expired cookie is a stray ACK: RST, nothing opened', () => {
    const { p, spec } = flooded();
    const synAck = handSyn(p, spec, 5000, 1000);
    assert.equal(synAck.ack, 1001);
    // (A cookie off by a few still decodes, to another MSS class, in Linux's scheme too: these are far off.)
    const wrong = handAck(p, spec, 5000, 1001, (synAck.seq + 0x12345) >>> 0);
    assert.deepEqual(wrong.map((t) => [t.flags, t.seq]), [[TCP_FLAG.RST, (synAck.seq + 0x12345) >>> 0]]);
    assert.equal(p.b.stats.get('tcp.syncookies_failed'), 1);
    const otherSeq = handAck(p, spec, 5000, 1001 + 5000, (synAck.seq + 1) >>> 0);
    assert.deepEqual(otherSeq.map((t) => t.flags), [TCP_FLAG.RST], 'the cookie names the SYN’s sequence number');
    assert.equal(p.b.stats.get('tcp.syncookies_failed'), 2);
    assert.equal(p.b.tcp.connectionCount, 32);

    // Two minutes later (the listener still sending cookies: a second flood) the cookie is stale.
    const old = handSyn(p, spec, 5001, 2000);
    p.clock.advance(100_000);
    flood(p, spec, 2024);
    p.clock.advance(20_000);
    assert.ok(p.b.stats.get('tcp.syncookies_sent') > 100);
    assert.deepEqual(handAck(p, spec, 5001, 2001, (old.seq + 1) >>> 0).map((t) => t.flags), [TCP_FLAG.RST]);
    assert.equal(p.b.stats.get('tcp.syncookies_failed'), 3);
    assert.equal(p.b.stats.get('tcp.syncookies_recv'), 0);
  });

  it('a good cookie ACK with data opens the connection; with the accept queue full it is dropped without an RST', () => {
    const { p, listener, spec } = flooded();
    const synAck = handSyn(p, spec, 6000, 500);
    assert.deepEqual(handAck(p, spec, 6000, 501, (synAck.seq + 1) >>> 0, Buffer.from('abc')).map((t) => [t.flags, t.ack]), [[TCP_FLAG.ACK, 504]]);
    const s = listener.accept();
    assert.deepEqual(s.read(10), Buffer.from('abc'));
    // Fill the accept queue (backlog 16: 17 wait) with cookie connections, then one more.
    const cookies = Array.from({ length: 18 }, (_, i) => handSyn(p, spec, 7000 + i, i * 100));
    for (let i = 0; i < 17; i++) assert.deepEqual(handAck(p, spec, 7000 + i, i * 100 + 1, (cookies[i].seq + 1) >>> 0), []);
    assert.equal(p.b.stats.get('tcp.accept_queue_full'), 0);
    assert.deepEqual(handAck(p, spec, 7017, 1701, (cookies[17].seq + 1) >>> 0), [], 'dropped, no RST');
    assert.equal(p.b.stats.get('tcp.accept_queue_full'), 1);
    assert.equal(p.b.stats.get('tcp.syncookies_recv'), 19);
    assert.equal(p.b.stats.get('tcp.syncookies_failed'), 0);
    const accepted = [];
    while (errnoOf(() => accepted.push(listener.accept())) === 'ok');
    assert.equal(accepted.length, 17);
  });

  it('tcp_syncookies off: a full SYN queue drops SYNs and ACKs are never taken for cookies', () => {
    const p = stackPair({ stack: { tcp: { maxSynBacklog: 64, syncookies: false } } });
    warmArp(p);
    const listener = p.b.tcpSocket();
    listener.bind({ addr: 0, port: 80 });
    listener.listen(16);
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
    const log = capture(p, (_f, from) => from === 'b');
    for (let i = 0; i < 40; i++) p.b.input(tcpFrame(spec, { srcPort: 1024 + i, dstPort: 80, seq: i, ack: 0, flags: TCP_FLAG.SYN, window: 65535 }));
    p.clock.advance(1);
    assert.equal(p.b.stats.get('tcp.syn_dropped'), 8);
    assert.equal(p.b.stats.get('tcp.syncookies_sent'), 0);
    assert.equal(log.length, 32);
  });
});
