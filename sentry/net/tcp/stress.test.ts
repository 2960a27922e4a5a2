import assert from 'node:assert/strict';
import { isLinuxError } from '../../errors/linuxerr';
import { B_ADDR, pattern, stackPair } from '../testing/pair';
import { seededRandom } from '../testing/random';
import type { TcpEndpoint } from './endpoint';

/** Reads what is there (undefined on EAGAIN). */
function tryRead(e: TcpEndpoint): Buffer | undefined {
  try {
    return e.read(1 << 16);
  } catch (err) {
    if (isLinuxError(err, 'EAGAIN')) return undefined;
    throw err;
  }
}

describe('sentry/net TCP under many concurrent connections', () => {
  it('40 connections with random sizes and close orders over a lossy link: data intact, then nothing left behind', function () {
    this.timeout(120_000);
    const p = stackPair({ conditions: { delayMs: 1, jitterMs: 2, loss: 0.02, duplicate: 0.01 }, seed: 5 });
    const rnd = seededRandom(17);
    const listener = p.b.tcpSocket();
    listener.bind({ addr: 0, port: 80 });
    listener.listen(64);
    interface Conn {
      client: TcpEndpoint;
      server?: TcpEndpoint;
      up: Buffer; // client -> server
      down: Buffer; // server -> client
      upSent: number;
      downSent: number;
      upGot: Buffer[];
      downGot: Buffer[];
      upEof: boolean;
      downEof: boolean;
      serverFirst: boolean;
      closed: boolean;
      upShut: boolean;
      downShut: boolean;
    }
    const conns: Conn[] = [];
    for (let i = 0; i < 40; i++) {
      const client = p.a.tcpSocket();
      if (i % 3 === 0) client.setNoDelay(true);
      try {
        client.connect({ addr: B_ADDR, port: 80 });
      } catch (e) {
        if (!isLinuxError(e, 'EINPROGRESS')) throw e;
      }
      conns.push({
        client, up: pattern(Math.floor(rnd() * 120_000), i), down: pattern(Math.floor(rnd() * 120_000), 1000 + i),
        upSent: 0, downSent: 0, upGot: [], downGot: [], upEof: false, downEof: false, serverFirst: rnd() < 0.5, closed: false, upShut: false, downShut: false,
      });
    }
    const pending: TcpEndpoint[] = [];
    const step = (): boolean => {
      for (;;) {
        try {
          pending.push(listener.accept());
        } catch (e) {
          if (isLinuxError(e, 'EAGAIN')) break;
          throw e;
        }
      }
      // Match accepted sockets to clients by port.
      for (const s of pending.splice(0)) {
        const c = conns.find((x) => x.client.localAddress().port === s.remoteAddress().port);
        assert.ok(c);
        c.server = s;
      }
      let done = true;
      for (const c of conns) {
        if (c.closed) continue;
        if (!c.server) {
          done = false;
          continue;
        }
        const pump = (from: TcpEndpoint, data: Buffer, sent: 'upSent' | 'downSent') => {
          while (c[sent] < data.length) {
            try {
              c[sent] += from.write(data.subarray(c[sent], c[sent] + 20_000));
            } catch (e) {
              if (isLinuxError(e, 'EAGAIN')) break;
              throw e;
            }
          }
          if (c[sent] === data.length && c[sent === 'upSent' ? 'upShut' : 'downShut'] === false) {
            from.shutdown(1);
            c[sent === 'upSent' ? 'upShut' : 'downShut'] = true;
          }
        };
        // One side starts shutting down first; the other follows once it saw EOF.
        if (c.serverFirst || c.upEof) pump(c.server, c.down, 'downSent');
        if (!c.serverFirst || c.downEof) pump(c.client, c.up, 'upSent');
        for (let b; !c.upEof && (b = tryRead(c.server)); ) (b.length ? c.upGot.push(b) : (c.upEof = true));
        for (let b; !c.downEof && (b = tryRead(c.client)); ) (b.length ? c.downGot.push(b) : (c.downEof = true));
        if (c.upEof && c.downEof) {
          c.client.close();
          c.server.close();
          c.closed = true;
        } else {
          done = false;
        }
      }
      return done;
    };
    assert.ok(p.clock.runUntil(step, 3_600_000), 'all transfers finished');
    for (const c of conns) {
      assert.ok(Buffer.concat(c.upGot).equals(c.up));
      assert.ok(Buffer.concat(c.downGot).equals(c.down));
    }
    listener.close();
    p.clock.advance(200_000); // past TIME_WAIT and FIN_WAIT_2 timeouts
    for (const s of [p.a, p.b]) {
      assert.equal(s.stats.get('internal_error'), 0);
      assert.equal(s.tcp.connectionCount, 0, 'no connection left');
      assert.equal(s.tcp.ports.size, 0, 'no port left');
    }
    assert.equal(p.clock.pendingTimers, 0, 'no timer left');
  });
});
