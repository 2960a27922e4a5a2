import assert from 'node:assert/strict';
import { POLL } from '../../abi/linux/poll';
import { decode, tcpFrame } from '../testing/frames';
import { A_ADDR, B_ADDR, capture, connectPair, errnoOf, pattern, stackPair, transfer, until } from '../testing/pair';
import { TCP_FLAG } from '../wire/tcp';
import { TcpState } from './endpoint';
import { seqAdd } from './seqnum';

const tcpOf = (f: Buffer) => decode(f).tcp;

describe('sentry/net TCP state machine', () => {
  it('simultaneous open: crossing SYNs both reach ESTABLISHED through SYN_RCVD', () => {
    const p = stackPair();
    const x = p.a.tcpSocket();
    const y = p.b.tcpSocket();
    x.bind({ addr: 0, port: 1111 });
    y.bind({ addr: 0, port: 2222 });
    const log = capture(p);
    assert.equal(errnoOf(() => x.connect({ addr: B_ADDR, port: 2222 })), 'EINPROGRESS');
    assert.equal(errnoOf(() => y.connect({ addr: A_ADDR, port: 1111 })), 'EINPROGRESS');
    const seen = new Set<string>();
    p.clock.runUntil(() => {
      seen.add(`${x.state}/${y.state}`);
      return x.state === TcpState.ESTABLISHED && y.state === TcpState.ESTABLISHED;
    }, 10_000);
    assert.ok(seen.has('SYN_RCVD/SYN_RCVD'), [...seen].join(' '));
    const synAcks = log.map((c) => tcpOf(c.frame)).filter((t) => t && t.flags === (TCP_FLAG.SYN | TCP_FLAG.ACK));
    assert.equal(synAcks.length, 2, 'each side answers the other SYN with a SYN-ACK');
    x.write(Buffer.from('ping'));
    assert.equal(until(p, () => y.read(10)).toString(), 'ping');
  });

  it('simultaneous close: both go FIN_WAIT_1 -> CLOSING -> TIME_WAIT', () => {
    const p = stackPair();
    const { client, server } = connectPair(p);
    p.clock.advance(100);
    client.close();
    server.close();
    const seen = new Set<string>();
    p.clock.runUntil(() => {
      seen.add(client.state);
      return client.state === TcpState.TIME_WAIT && server.state === TcpState.TIME_WAIT;
    }, 10_000);
    assert.ok(seen.has(TcpState.CLOSING), [...seen].join(' '));
    p.clock.advance(60_001);
    assert.equal(client.state, TcpState.CLOSED);
    assert.equal(server.state, TcpState.CLOSED);
  });

  it('half-close: the side that shut down writing still receives', () => {
    const p = stackPair();
    const { client, server } = connectPair(p);
    client.write(Buffer.from('request'));
    client.shutdown(1);
    assert.equal(errnoOf(() => client.write(Buffer.from('x'))), 'EPIPE');
    p.clock.advance(50);
    assert.equal(client.state, TcpState.FIN_WAIT_2);
    assert.equal(server.read(100).toString(), 'request');
    assert.equal(server.read(100).length, 0);
    const reply = pattern(300_000);
    const { received } = transfer(p, server, client, reply);
    assert.ok(received.equals(reply));
    p.clock.advance(50);
    assert.equal(client.state, TcpState.TIME_WAIT);
    assert.ok(client.readiness() & POLL.HUP);
  });

  it('connect to a closed port: RST, then ECONNREFUSED from connect and nothing left in SO_ERROR', () => {
    const p = stackPair();
    const c = p.a.tcpSocket();
    assert.equal(errnoOf(() => c.connect({ addr: B_ADDR, port: 9 })), 'EINPROGRESS');
    p.clock.advance(10);
    assert.equal(c.state, TcpState.CLOSED);
    assert.ok(c.readiness() & POLL.ERR);
    assert.equal(errnoOf(() => c.connect({ addr: B_ADDR, port: 9 })), 'ECONNREFUSED');
    assert.equal(c.takeError(), 0);
    assert.equal(p.b.stats.get('tcp.resets_sent'), 1);
  });

  it('connect to a silent address on the subnet fails with EHOSTUNREACH once ARP gives up (3 s)', () => {
    const p = stackPair();
    const c = p.a.tcpSocket();
    errnoOf(() => c.connect({ addr: B_ADDR + 50, port: 80 }));
    p.clock.advance(2999);
    assert.equal(c.state, TcpState.SYN_SENT);
    p.clock.advance(2);
    assert.equal(c.state, TcpState.CLOSED);
    assert.equal(errnoOf(() => c.connect({ addr: B_ADDR + 50, port: 80 })), 'EHOSTUNREACH');
  });

  it('SO_ERROR taken before the retry: connect reports ECONNABORTED (as Linux)', () => {
    const p = stackPair();
    const c = p.a.tcpSocket();
    errnoOf(() => c.connect({ addr: B_ADDR, port: 9 }));
    p.clock.advance(10);
    assert.equal(c.takeError(), 111);
    assert.equal(errnoOf(() => c.connect({ addr: B_ADDR, port: 9 })), 'ECONNABORTED');
  });

  it('close with unread data sends RST: the peer reads ECONNRESET once, then EOF, and writes get EPIPE', () => {
    const p = stackPair();
    const { client, server } = connectPair(p);
    client.write(Buffer.from('unread'));
    p.clock.advance(50);
    server.close();
    p.clock.advance(50);
    assert.equal(server.state, TcpState.CLOSED);
    assert.equal(client.state, TcpState.CLOSED);
    assert.ok(client.readiness() & POLL.ERR);
    assert.equal(errnoOf(() => client.read(10)), 'ECONNRESET');
    assert.equal(client.read(10).length, 0);
    assert.equal(errnoOf(() => client.write(Buffer.from('x'))), 'EPIPE');
    assert.equal(errnoOf(() => client.remoteAddress()), 'ENOTCONN');
  });

  it('data for a closed socket gets an RST: the sender, in CLOSE_WAIT, then gets EPIPE (Linux: TCPAbortOnData)', () => {
    const p = stackPair();
    const { client, server } = connectPair(p);
    server.close();
    p.clock.advance(50);
    assert.equal(client.state, TcpState.CLOSE_WAIT);
    const log = capture(p);
    assert.equal(client.write(Buffer.from('x')), 1);
    p.clock.advance(50);
    assert.ok(log.some((c) => c.from === 'b' && (tcpOf(c.frame)?.flags ?? 0) & TCP_FLAG.RST), 'the closed side answers with RST');
    assert.equal(server.state, TcpState.CLOSED);
    assert.equal(p.b.stats.get('tcp.abort_on_data'), 1);
    assert.equal(client.state, TcpState.CLOSED);
    assert.equal(errnoOf(() => client.write(Buffer.from('y'))), 'EPIPE');
    assert.equal(p.b.tcp.connectionCount, 0, 'the closed side keeps no connection');
  });

  it('SO_LINGER {on, 0} aborts with RST and no TIME_WAIT', () => {
    const p = stackPair();
    const { client, server } = connectPair(p);
    client.setLinger({ onoff: true, seconds: 0 });
    const log = capture(p);
    client.close();
    p.clock.advance(10);
    assert.equal(client.state, TcpState.CLOSED);
    assert.ok(log.some((c) => c.from === 'a' && (tcpOf(c.frame)?.flags ?? 0) & TCP_FLAG.RST));
    assert.equal(errnoOf(() => server.read(10)), 'ECONNRESET');
  });

  it('RST outside the window is ignored, in the window but not exact gets a challenge ACK (RFC 5961)', () => {
    const p = stackPair();
    const { client, server } = connectPair(p);
    const log = capture(p);
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
    const sport = client.localAddress().port;
    // Learn the server's RCV.NXT from the client's next segment.
    client.write(Buffer.from('x'));
    p.clock.advance(50);
    const last = log.map((c) => tcpOf(c.frame)).filter((t) => t && t.srcPort === sport).pop();
    assert.ok(last);
    const rcvNxt = seqAdd(last.seq, last.payload.length);
    const rst = (seq: number) => tcpFrame(spec, { srcPort: sport, dstPort: 80, seq, ack: 0, flags: TCP_FLAG.RST, window: 0 });
    log.length = 0;
    p.b.input(rst(seqAdd(rcvNxt, 0x40000000)));
    p.clock.advance(10);
    assert.equal(server.state, TcpState.ESTABLISHED);
    p.b.input(rst(seqAdd(rcvNxt, 100)));
    p.clock.advance(10);
    assert.equal(server.state, TcpState.ESTABLISHED);
    const acks = log.filter((c) => c.from === 'b' && tcpOf(c.frame)?.flags === TCP_FLAG.ACK);
    assert.equal(acks.length, 1, 'one challenge ACK for the in-window RST');
    p.b.input(rst(rcvNxt));
    p.clock.advance(10);
    assert.equal(server.state, TcpState.CLOSED);
    assert.equal(server.read(10).toString(), 'x', 'data received before the RST is still read first');
    assert.equal(errnoOf(() => server.read(10)), 'ECONNRESET');
  });

  it('a SYN on an established connection gets a challenge ACK and does not reset it', () => {
    const p = stackPair();
    const { client, server } = connectPair(p);
    const log = capture(p);
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
    p.b.input(tcpFrame(spec, { srcPort: client.localAddress().port, dstPort: 80, seq: 12345, ack: 0, flags: TCP_FLAG.SYN, window: 1000 }));
    p.clock.advance(10);
    assert.equal(server.state, TcpState.ESTABLISHED);
    assert.equal(log.filter((c) => c.from === 'b' && tcpOf(c.frame)?.flags === TCP_FLAG.ACK).length, 1);
  });

  it('a segment for no connection gets the RST of RFC 9293 3.10.7.1', () => {
    const p = stackPair();
    const log = capture(p);
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
    p.b.input(tcpFrame(spec, { srcPort: 5000, dstPort: 81, seq: 100, ack: 777, flags: TCP_FLAG.ACK, window: 1000 }, Buffer.from('abc')));
    p.b.input(tcpFrame(spec, { srcPort: 5000, dstPort: 81, seq: 100, ack: 0, flags: TCP_FLAG.SYN, window: 1000 }));
    p.b.input(tcpFrame(spec, { srcPort: 5000, dstPort: 81, seq: 100, ack: 0, flags: TCP_FLAG.RST, window: 0 }));
    p.clock.advance(10);
    const rsts = log.filter((c) => c.from === 'b').map((c) => tcpOf(c.frame)).filter((t) => t !== undefined);
    assert.equal(rsts.length, 2);
    assert.deepEqual([rsts[0]?.flags, rsts[0]?.seq, rsts[0]?.ack], [TCP_FLAG.RST, 777, 0]);
    assert.deepEqual([rsts[1]?.flags, rsts[1]?.seq, rsts[1]?.ack], [TCP_FLAG.RST | TCP_FLAG.ACK, 0, 101]);
  });

  it('TIME_WAIT answers a retransmitted FIN and restarts its 2MSL timer', () => {
    const p = stackPair();
    const { client, server } = connectPair(p);
    client.close();
    p.clock.advance(10);
    // Lose the client's ACK of the server's FIN once.
    let dropped = 0;
    const log = capture(p, (f, from) => {
      const t = tcpOf(f);
      if (from === 'a' && t && t.flags === TCP_FLAG.ACK && dropped === 0) return ++dropped === 1;
      return false;
    });
    server.close();
    p.clock.advance(10);
    assert.equal(client.state, TcpState.TIME_WAIT);
    assert.equal(server.state, TcpState.LAST_ACK);
    p.clock.advance(30_000);
    assert.equal(server.state, TcpState.CLOSED, 'the retransmitted FIN was acknowledged');
    const fins = log.filter((c) => c.from === 'b' && (tcpOf(c.frame)?.flags ?? 0) & TCP_FLAG.FIN);
    assert.equal(fins.length, 2);
    const restart = fins[1].t;
    p.clock.advance(restart + 60_000 - p.clock.now() - 5);
    assert.equal(client.state, TcpState.TIME_WAIT, 'still waiting 2MSL after the second FIN');
    p.clock.advance(10);
    assert.equal(client.state, TcpState.CLOSED);
  });

  it('a port held by a TIME_WAIT connection can be rebound only with SO_REUSEADDR', () => {
    const p = stackPair();
    const { client, server, listener } = connectPair(p, 8080);
    listener.close();
    server.close();
    p.clock.advance(10);
    client.close();
    p.clock.advance(10);
    assert.equal(server.state, TcpState.TIME_WAIT);
    const plain = p.b.tcpSocket();
    assert.equal(errnoOf(() => plain.bind({ addr: 0, port: 8080 })), 'EADDRINUSE');
    const reuse = p.b.tcpSocket();
    reuse.reuseAddr = true;
    assert.equal(errnoOf(() => reuse.bind({ addr: 0, port: 8080 })), 'ok');
    assert.equal(errnoOf(() => reuse.listen(4)), 'ok');
    p.clock.advance(60_000);
    assert.equal(server.state, TcpState.CLOSED);
    assert.equal(errnoOf(() => plain.bind({ addr: 0, port: 8081 })), 'ok');
  });

  it('two listeners on one port need SO_REUSEPORT on both', () => {
    const p = stackPair();
    const l1 = p.b.tcpSocket();
    l1.bind({ addr: 0, port: 90 });
    l1.listen(4);
    const l2 = p.b.tcpSocket();
    assert.equal(errnoOf(() => l2.bind({ addr: 0, port: 90 })), 'EADDRINUSE');
    const r1 = p.b.tcpSocket();
    const r2 = p.b.tcpSocket();
    r1.reusePort = r2.reusePort = true;
    r1.bind({ addr: 0, port: 91 });
    r1.listen(4);
    r2.bind({ addr: 0, port: 91 });
    r2.listen(4);
    for (let i = 0; i < 8; i++) errnoOf(() => p.a.tcpSocket().connect({ addr: B_ADDR, port: 91 }));
    p.clock.advance(100);
    let n1 = 0;
    let n2 = 0;
    while (errnoOf(() => r1.accept()) === 'ok') n1++;
    while (errnoOf(() => r2.accept()) === 'ok') n2++;
    assert.equal(n1 + n2, 8);
    assert.ok(n1 > 0 && n2 > 0, `connections spread over the group (${n1}/${n2})`);
  });

  it('a SYN beyond the old sequence space ends TIME_WAIT and opens a new connection; an older one gets an ACK', () => {
    const p = stackPair();
    const { client, server, listener } = connectPair(p, 80);
    const log = capture(p);
    server.close(); // the server closes first and ends in TIME_WAIT
    p.clock.advance(10);
    client.close();
    p.clock.advance(10);
    assert.equal(server.state, TcpState.TIME_WAIT);
    const clientFin = log.find((c) => c.from === 'a' && (tcpOf(c.frame)?.flags ?? 0) & TCP_FLAG.FIN);
    assert.ok(clientFin);
    const rcvNxt = seqAdd(tcpOf(clientFin.frame)?.seq ?? 0, 1);
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
    const sport = client.localAddress().port || (tcpOf(clientFin.frame)?.srcPort as number);
    const syn = (seq: number) => tcpFrame(spec, { srcPort: sport, dstPort: 80, seq, ack: 0, flags: TCP_FLAG.SYN, window: 65535 });
    // Keep a's stack out of it (it would answer the challenge ACK with an RST that ends TIME_WAIT, as Linux).
    const answers = capture(p, (f, from) => from === 'b');
    log.length = 0;
    p.b.input(syn(seqAdd(rcvNxt, -100_000)));
    p.clock.advance(5);
    assert.deepEqual(answers.map((c) => tcpOf(c.frame)?.flags), [TCP_FLAG.ACK], 'old SYN: challenge ACK');
    assert.equal(server.state, TcpState.TIME_WAIT);
    answers.length = 0;
    p.b.input(syn(seqAdd(rcvNxt, 100_000)));
    p.clock.advance(5);
    assert.equal(server.state, TcpState.CLOSED);
    assert.deepEqual(answers.map((c) => tcpOf(c.frame)?.flags), [TCP_FLAG.SYN | TCP_FLAG.ACK], 'new SYN: SYN-ACK from the listener');
    void listener;
  });

  it('abnormal endings leave no connection, port or timer behind', () => {
    const p = stackPair();
    // Refused connect, aborted connection, a listener closed with queued and embryonic children, keepalive on.
    const refused = p.a.tcpSocket();
    errnoOf(() => refused.connect({ addr: B_ADDR, port: 9 }));
    const { client, server, listener } = connectPair(p, 80);
    client.setKeepAlive(true);
    server.write(Buffer.from('unread by the client'));
    p.clock.advance(10);
    client.close(); // unread data: RST
    const queued = p.a.tcpSocket();
    errnoOf(() => queued.connect({ addr: B_ADDR, port: 80 }));
    p.clock.advance(10);
    const spec = { srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR };
    p.b.input(tcpFrame(spec, { srcPort: 4444, dstPort: 80, seq: 1, ack: 0, flags: TCP_FLAG.SYN, window: 1000 })); // embryonic
    listener.close();
    server.close();
    refused.close();
    queued.close();
    p.clock.advance(300_000);
    for (const s of [p.a, p.b]) {
      assert.equal(s.tcp.connectionCount, 0);
      assert.equal(s.tcp.ports.size, 0);
    }
    assert.equal(p.clock.pendingTimers, 0);
  });
});
