import assert from 'node:assert/strict';
import { decode, tcpFrame } from '../testing/frames';
import { A_ADDR, B_ADDR, capture, connectPair, errnoOf, pattern, stackPair, transfer, until, warmArp } from '../testing/pair';
import { TCP_FLAG, TCP_OPT } from '../wire/tcp';
import { TcpState } from './endpoint';
import { RttEstimator } from './rto';

const tcpOf = (f: Buffer) => decode(f).tcp;
/** RFC 6298's own numbers: 1 s initial and minimum, 60 s cap, 1 ms granularity. */
const RFC_RTO = { initialMs: 1000, minMs: 1000, maxMs: 60_000, granularityMs: 1 };
/** Timer tests watch the RTO alone: no tail loss probes before it. */
const RTO_ONLY = { rto: RFC_RTO, tailLossProbe: false };

describe('sentry/net TCP timers', () => {
  it('RttEstimator follows RFC 6298 2.2-2.3 and 5.5-5.7', () => {
    const r = new RttEstimator({ initialMs: 1000, minMs: 0, maxMs: 60_000, granularityMs: 10 });
    assert.equal(r.rto, 1000, '2.1: 1 s before any sample');
    r.sample(100);
    assert.equal(r.smoothed, 100);
    assert.equal(r.variance, 50);
    assert.equal(r.rto, 300, 'SRTT + 4*RTTVAR');
    r.sample(200);
    // RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5
    assert.equal(r.variance, 62.5);
    assert.equal(r.smoothed, 112.5);
    assert.equal(r.rto, 362.5);
    for (let i = 0; i < 200; i++) r.sample(112.5);
    assert.ok(Math.abs(r.rto - 122.5) < 0.01, 'G bounds the variance term from below');
    r.backoff();
    r.backoff();
    assert.ok(Math.abs(r.rto - 4 * 122.5) < 0.1, 'doubling per timeout');
    for (let i = 0; i < 20; i++) r.backoff();
    assert.equal(r.rto, 60_000, 'capped');
    r.sample(100);
    assert.ok(r.rto < 1000, 'a new sample ends the backoff (5.7)');
    const floor = new RttEstimator(RFC_RTO);
    floor.sample(2);
    assert.equal(floor.rto, 1000, '2.4: rounded up to the 1 s minimum');
  });

  it('SYN retransmissions back off 1, 2, 4 ... s and connect fails with ETIMEDOUT after tcp_syn_retries', () => {
    const p = stackPair({ stack: { tcp: RTO_ONLY } });
    const log = capture(p, (f, from) => from === 'b' && tcpOf(f) !== undefined); // the peer's TCP answers are lost
    const c = p.a.tcpSocket();
    const t0 = p.clock.now();
    errnoOf(() => c.connect({ addr: B_ADDR, port: 80 }));
    p.clock.advance(200_000);
    const syns = log.filter((x) => x.from === 'a' && tcpOf(x.frame)?.flags === TCP_FLAG.SYN).map((x) => x.t);
    assert.equal(syns.length, 7, 'the SYN and 6 retries');
    // The timer starts at connect (the first SYN waits 2 ms for ARP).
    syns[0] = t0;
    const gaps = syns.slice(1).map((t, i) => t - syns[i]);
    assert.deepEqual(gaps, [1000, 2000, 4000, 8000, 16000, 32000]);
    assert.equal(c.state, TcpState.CLOSED);
    assert.equal(errnoOf(() => c.connect({ addr: B_ADDR, port: 80 })), 'ETIMEDOUT');
  });

  it('data retransmissions: RTO from the measured RTT, doubled per timeout, reset by a new ACK', () => {
    const p = stackPair({ stack: { tcp: { ...RTO_ONLY, rto: { ...RFC_RTO, minMs: 100 } } }, conditions: { delayMs: 50 } });
    warmArp(p);
    const { client, server } = connectPair(p);
    // The handshake samples 100 ms (SRTT 100, RTTVAR 50). The exchange below samples 100 ms
    // again: the server's read opens its window from the SYN-ACK's 64 KiB to 256 KiB, and
    // that window update acknowledges at once. RTTVAR 3/4*50 + 1/4*0 = 37.5, SRTT 100,
    // RTO = 100 + 4*37.5 = 250.
    client.write(Buffer.from('a'));
    until(p, () => server.read(10));
    p.clock.advance(200);
    let blackhole = true;
    const log = capture(p, (f, from) => blackhole && from === 'a' && (tcpOf(f)?.payload.length ?? 0) > 0);
    client.write(Buffer.from('b'));
    p.clock.advance(2000);
    const sends = log.filter((x) => x.from === 'a' && (tcpOf(x.frame)?.payload.length ?? 0) > 0).map((x) => x.t);
    const gaps = sends.slice(1).map((t, i) => t - sends[i]);
    assert.ok(gaps.length >= 2);
    assert.equal(gaps[0], 250, 'first RTO');
    assert.equal(gaps[1], 500, 'then doubled');
    blackhole = false;
    assert.equal(until(p, () => server.read(10)).toString(), 'b');
  });

  it('gives up after tcp_retries2 with ETIMEDOUT', () => {
    const p = stackPair({ stack: { tcp: { ...RTO_ONLY, dataRetries: 3 } } });
    const { client } = connectPair(p);
    capture(p, () => true);
    client.write(Buffer.from('lost'));
    p.clock.advance(1000 + 2000 + 4000 + 8000 + 100);
    assert.equal(client.state, TcpState.CLOSED);
    assert.equal(errnoOf(() => client.read(10)), 'ETIMEDOUT');
  });

  it('zero window: the sender probes with backoff and resumes when the reader drains', () => {
    const p = stackPair({ stack: { tcp: RTO_ONLY } });
    const { client, server } = connectPair(p);
    server.setRcvBuf(8192); // 16 KiB
    const log = capture(p);
    const data = pattern(200_000);
    let off = 0;
    while (errnoOf(() => (off += client.write(data.subarray(off)))) === 'ok' && off < data.length);
    client.shutdown(1); // the FIN waits for window too
    p.clock.advance(30_000);
    assert.ok(!log.some((x) => x.from === 'a' && (tcpOf(x.frame)?.flags ?? 0) & TCP_FLAG.FIN), 'no FIN into a zero window');
    const probes = log.filter((x) => x.from === 'a' && tcpOf(x.frame)?.payload.length === 0 && tcpOf(x.frame)?.flags === TCP_FLAG.ACK).map((x) => x.t);
    assert.ok(p.a.stats.get('tcp.window_probes') >= 3, JSON.stringify(p.a.stats.snapshot()));
    assert.ok(probes.length >= 3);
    const zeroWindows = log.filter((x) => x.from === 'b' && tcpOf(x.frame)?.window === 0);
    assert.ok(zeroWindows.length > 0, 'the receiver advertised a zero window');
    assert.equal(client.state, TcpState.FIN_WAIT_1, 'alive and waiting');
    const { received } = transfer(p, client, server, Buffer.alloc(0));
    // transfer() sent nothing more; the server reads what was written, then the FIN.
    assert.ok(received.equals(data.subarray(0, off)), `received ${received.length} of ${off}`);
  });

  it('keepalive: probes after TCP_KEEPIDLE every TCP_KEEPINTVL, RST and ETIMEDOUT after TCP_KEEPCNT', () => {
    const p = stackPair();
    const { client, server } = connectPair(p);
    client.setKeepAlive(true);
    client.setKeepIdle(10);
    client.setKeepIntvl(2);
    client.setKeepCnt(3);
    assert.equal(errnoOf(() => client.setKeepIdle(0)), 'EINVAL');
    const start = p.clock.now();
    // An answering peer keeps the connection up.
    p.clock.advance(35_000);
    assert.equal(client.state, TcpState.ESTABLISHED);
    assert.equal(p.a.stats.get('tcp.keepalive_probes'), 3);
    const log = capture(p, (f, from) => from === 'b');
    p.clock.advance(30_000);
    const probes = log.filter((x) => x.from === 'a' && tcpOf(x.frame)?.flags === TCP_FLAG.ACK).map((x) => Math.round(x.t - start));
    assert.equal(probes.length, 3);
    assert.deepEqual(probes.slice(1).map((t, i) => t - probes[i]), [2000, 2000]);
    assert.equal(client.state, TcpState.CLOSED);
    assert.ok(log.some((x) => x.from === 'a' && (tcpOf(x.frame)?.flags ?? 0) & TCP_FLAG.RST));
    assert.equal(errnoOf(() => client.read(1)), 'ETIMEDOUT');
    void server;
  });

  it('Nagle holds small segments while data is unacknowledged; TCP_NODELAY sends at once', () => {
    for (const noDelay of [false, true]) {
      const p = stackPair({ conditions: { delayMs: 10 } });
      const { client } = connectPair(p);
      p.clock.advance(100);
      client.setNoDelay(noDelay);
      const log = capture(p);
      for (const ch of 'abc') client.write(Buffer.from(ch));
      p.clock.advance(1);
      const data = log.filter((x) => x.from === 'a' && (tcpOf(x.frame)?.payload.length ?? 0) > 0);
      assert.equal(data.length, noDelay ? 3 : 1, `noDelay=${noDelay}`);
      p.clock.advance(200);
      const all = log.filter((x) => x.from === 'a' && (tcpOf(x.frame)?.payload.length ?? 0) > 0);
      assert.equal(all.map((x) => tcpOf(x.frame)?.payload.toString()).join(''), 'abc');
    }
  });

  it('delayed ACK: one segment is acknowledged after 40 ms, every second full segment at once', () => {
    const p = stackPair({ conditions: { delayMs: 1 } });
    const { client } = connectPair(p);
    p.clock.advance(100);
    const log = capture(p);
    client.write(Buffer.from('x'));
    p.clock.advance(100);
    const ack1 = log.find((x) => x.from === 'b' && tcpOf(x.frame)?.flags === TCP_FLAG.ACK);
    const sent1 = log.find((x) => x.from === 'a');
    assert.ok(ack1 && sent1);
    assert.equal(ack1.t - sent1.t, 1 + 40, 'arrives after 1 ms, acknowledged 40 ms later');
    log.length = 0;
    client.write(pattern(2920));
    p.clock.advance(100);
    const ack2 = log.find((x) => x.from === 'b');
    const last = log.filter((x) => x.from === 'a').pop();
    assert.ok(ack2 && last);
    assert.equal(ack2.t, last.t + 1, 'the second full segment is acknowledged immediately');
  });

  it('SYN options: MSS from the MTU and a window scale for the largest buffer; segments respect the peer MSS', () => {
    const p = stackPair({ conditions: { delayMs: 1, mtu: 1000 } });
    const log = capture(p);
    const { client, server } = connectPair(p);
    const syn = log.map((x) => x.frame).find((f) => tcpOf(f)?.flags === TCP_FLAG.SYN);
    assert.ok(syn);
    const raw = decode(syn).ip?.payload as Buffer;
    // MSS (kind 2, len 4, 960), NOP, NOP, SACK-permitted, NOP, WS (kind 3, len 3, shift 7 for the
    // 6 MiB an autotuned buffer may reach, as Linux with tcp_rmem[2] 6 MiB): Linux's layout without timestamps.
    assert.deepEqual(
      [...raw.subarray(20, 32)],
      [TCP_OPT.MSS, 4, 960 >> 8, 960 & 255, TCP_OPT.NOP, TCP_OPT.NOP, TCP_OPT.SACK_PERMITTED, 2, TCP_OPT.NOP, TCP_OPT.WINDOW_SCALE, 3, 7],
    );
    const data = pattern(100_000);
    transfer(p, client, server, data);
    const sizes = log.filter((x) => x.from === 'a').map((x) => tcpOf(x.frame)?.payload.length ?? 0);
    assert.equal(Math.max(...sizes), 960);
    const windows = log.filter((x) => x.from === 'b' && !((tcpOf(x.frame)?.flags ?? 0) & TCP_FLAG.SYN)).map((x) => (tcpOf(x.frame)?.window ?? 0) << 7);
    assert.ok(Math.max(...windows) > 65535, 'scaled windows beyond 64 KiB');
  });

  it('SYN flood: the SYN queue is bounded, embryonic connections expire, real clients still get in afterwards', () => {
    // tcp_syncookies=0: past the queue, SYNs are dropped (syncookies.test.ts has the cookies).
    const p = stackPair({ stack: { tcp: { maxSynBacklog: 64, syncookies: false } } });
    const listener = p.b.tcpSocket();
    listener.bind({ addr: 0, port: 80 });
    listener.listen(16);
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
    capture(p, (f, from) => from === 'b'); // SYN-ACKs go nowhere
    for (let i = 0; i < 5000; i++) {
      p.b.input(tcpFrame(spec, { srcPort: 1024 + i, dstPort: 80, seq: i * 7919, ack: 0, flags: TCP_FLAG.SYN, window: 65535 }));
    }
    assert.equal(p.b.tcp.connectionCount, 32, 'min(tcp_max_syn_backlog, 2*backlog)');
    assert.equal(p.b.stats.get('tcp.syn_dropped'), 5000 - 32);
    p.clock.advance(1000 + 2000 + 4000 + 8000 + 16000 + 32000 + 1000);
    assert.equal(p.b.tcp.connectionCount, 0, 'expired after tcp_synack_retries');
    p.wire.filter = undefined;
    const c = p.a.tcpSocket();
    errnoOf(() => c.connect({ addr: B_ADDR, port: 80 }));
    const s = until(p, () => listener.accept());
    assert.equal(s.state, TcpState.ESTABLISHED);
  });

  it('accept queue full: handshakes wait (the final ACK is ignored) and finish once the application accepts', () => {
    // Without cookies: a cookie handshake whose final ACK meets a full accept queue is lost until the client sends data.
    const p = stackPair({ stack: { tcp: { syncookies: false } } });
    const listener = p.b.tcpSocket();
    listener.bind({ addr: 0, port: 80 });
    listener.listen(0);
    const clients = Array.from({ length: 4 }, () => p.a.tcpSocket());
    for (const c of clients) errnoOf(() => c.connect({ addr: B_ADDR, port: 80 }));
    p.clock.advance(100);
    assert.equal(p.b.stats.get('tcp.syn_dropped'), 2, 'SYN queue of 2 for backlog 0');
    assert.ok(p.b.stats.get('tcp.accept_queue_full') > 0);
    const accepted = [];
    p.clock.runUntil(() => {
      while (errnoOf(() => accepted.push(listener.accept())) === 'ok');
      return accepted.length === 4;
    }, p.clock.now() + 120_000);
    assert.equal(accepted.length, 4);
  });
});
