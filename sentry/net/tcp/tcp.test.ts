import assert from 'node:assert/strict';
import { POLL } from '../../abi/linux/poll';
import { A_ADDR, B_ADDR, connectPair, errnoOf, pattern, stackPair, transfer, until } from '../testing/pair';
import { TcpState } from './endpoint';

describe('sentry/net TCP', () => {
  it('three-way handshake, addresses and readiness', () => {
    const p = stackPair();
    const listener = p.b.tcpSocket();
    listener.bind({ addr: 0, port: 80 });
    listener.listen(8);
    assert.equal(listener.readiness(), 0);
    const c = p.a.tcpSocket();
    assert.equal(c.readiness(), POLL.OUT | POLL.WRNORM | POLL.HUP, 'a fresh socket reports OUT|HUP like Linux');
    assert.equal(errnoOf(() => c.connect({ addr: B_ADDR, port: 80 })), 'EINPROGRESS');
    assert.equal(c.state, TcpState.SYN_SENT);
    assert.equal(errnoOf(() => c.connect({ addr: B_ADDR, port: 80 })), 'EALREADY');
    assert.equal(c.readiness(), 0);
    assert.equal(errnoOf(() => c.remoteAddress()), 'ENOTCONN');
    const s = until(p, () => listener.accept());
    p.clock.advance(10);
    assert.equal(c.state, TcpState.ESTABLISHED);
    assert.equal(s.state, TcpState.ESTABLISHED);
    assert.equal(errnoOf(() => c.connect({ addr: B_ADDR, port: 80 })), 'ok', 'the connect after the handshake succeeds');
    assert.equal(errnoOf(() => c.connect({ addr: B_ADDR, port: 80 })), 'EISCONN');
    assert.deepEqual(s.localAddress(), { addr: B_ADDR, port: 80 });
    assert.deepEqual(s.remoteAddress(), c.localAddress());
    assert.deepEqual(c.remoteAddress(), { addr: B_ADDR, port: 80 });
    assert.equal(c.localAddress().addr, A_ADDR);
    assert.ok(c.localAddress().port >= 32768 && c.localAddress().port <= 60999);
    assert.equal(c.readiness(), POLL.OUT | POLL.WRNORM);
    assert.equal(errnoOf(() => s.read(100)), 'EAGAIN');
  });

  it('moves data both ways and closes gracefully (FIN_WAIT_2, TIME_WAIT, LAST_ACK)', () => {
    const p = stackPair();
    const { client, server } = connectPair(p);
    assert.equal(client.write(Buffer.from('hello')), 5);
    assert.equal(until(p, () => server.read(100)).toString(), 'hello');
    assert.equal(server.write(Buffer.from('world')), 5);
    p.clock.advance(5);
    assert.equal(client.read(2, true).toString(), 'wo', 'peek');
    assert.equal(client.inQueue, 5);
    assert.equal(client.read(100).toString(), 'world');
    client.close();
    p.clock.advance(5);
    assert.equal(client.state, TcpState.FIN_WAIT_2);
    assert.equal(server.state, TcpState.CLOSE_WAIT);
    assert.equal(server.read(100).length, 0, 'EOF');
    assert.ok(server.readiness() & POLL.RDHUP);
    server.close();
    p.clock.advance(5);
    assert.equal(server.state, TcpState.CLOSED);
    assert.equal(client.state, TcpState.TIME_WAIT);
    p.clock.advance(59_000);
    assert.equal(client.state, TcpState.TIME_WAIT);
    p.clock.advance(1_100);
    assert.equal(client.state, TcpState.CLOSED);
    assert.equal(p.a.tcp.connectionCount, 0);
    assert.equal(p.b.tcp.connectionCount, 0);
  });

  it('transfers 1 MB intact over a clean link', () => {
    const p = stackPair();
    const { client, server } = connectPair(p);
    const data = pattern(1 << 20);
    const { received } = transfer(p, client, server, data);
    assert.ok(received.equals(data));
  });

  it('transfers 20 MB intact with 5% loss, reordering and duplication', function () {
    this.timeout(300_000);
    const p = stackPair({ conditions: { delayMs: 2, jitterMs: 3, loss: 0.05, duplicate: 0.01 }, seed: 7 });
    const { client, server } = connectPair(p);
    const data = pattern(20 << 20, 3);
    const t0 = Date.now();
    const { received, ms } = transfer(p, client, server, data);
    assert.equal(received.length, data.length);
    assert.ok(received.equals(data));
    assert.ok(p.a.stats.get('tcp.fast_retransmits') > 0, 'fast retransmit was used');
    assert.ok(p.b.stats.get('tcp.out_of_order') > 0);
    console.log(`      20 MB: ${ms} simulated ms, ${Date.now() - t0} real ms, stats`, JSON.stringify(p.a.stats.snapshot()));
  });

  it('loopback: 127.0.0.1 and our own address carry TCP inside one stack, never on the wire', () => {
    const p = stackPair();
    for (const addr of [0x7f000001, B_ADDR]) {
      const l = p.b.tcpSocket();
      l.bind({ addr: 0, port: 0 });
      l.listen(4);
      const port = l.localAddress().port;
      const c = p.b.tcpSocket();
      assert.equal(errnoOf(() => c.connect({ addr, port })), 'EINPROGRESS');
      const s = until(p, () => l.accept());
      assert.equal(s.remoteAddress().addr, addr, 'the source is the destination address');
      const data = pattern(3 << 20, addr);
      assert.ok(transfer(p, c, s, data).received.equals(data));
      l.close();
    }
    assert.equal(p.wire.sent.b, 0);
  });
});
