import assert from 'node:assert/strict';
import { decode } from '../testing/frames';
import { B_ADDR, capture, connectPair, errnoOf, pattern, stackPair, transfer, until } from '../testing/pair';
import { TCP_FLAG } from '../wire/tcp';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('sentry/net TCP buffer autotuning', () => {
  it('buffers grow while the window holds a transfer back, up to tcp_rmem[2] / tcp_wmem[2]', () => {
    const p = stackPair({ conditions: { delayMs: 10 } });
    const { client, server } = connectPair(p);
    assert.equal(server.getRcvBuf(), 1 * MiB);
    assert.equal(client.getSndBuf(), 256 * KiB);
    const data = pattern(40 * MiB);
    const { received, ms } = transfer(p, client, server, data);
    assert.ok(received.equals(data));
    assert.equal(server.getRcvBuf(), 6 * MiB, 'the reader kept up, so the window was the limit');
    assert.equal(client.getSndBuf(), 4 * MiB, 'the writer waited for room while cwnd had more');
    // 1 MiB per 20 ms round trip would be 52 MB/s.
    assert.ok(data.length / ms / 1000 > 75, `${(data.length / ms / 1000).toFixed(1)} MB/s`);
  });

  it('SO_RCVBUF and SO_SNDBUF set by the application stop autotuning, and the window scale fits the buffer', () => {
    const p = stackPair({ conditions: { delayMs: 10 } });
    const listener = p.b.tcpSocket();
    listener.setRcvBuf(64 * KiB);
    listener.bind({ addr: 0, port: 80 });
    listener.listen(4);
    const log = capture(p);
    const client = p.a.tcpSocket();
    client.setSndBuf(64 * KiB);
    assert.equal(errnoOf(() => client.connect({ addr: B_ADDR, port: 80 })), 'EINPROGRESS');
    const server = until(p, () => listener.accept());
    const scales = log.map((c) => decode(c.frame).tcp).filter((t) => t && t.flags & TCP_FLAG.SYN).map((t) => [t?.flags, t?.options.windowScale]);
    assert.deepEqual(scales, [[TCP_FLAG.SYN, 7], [TCP_FLAG.SYN | TCP_FLAG.ACK, 2]], 'the listener scales for its 128 KiB, the client for 6 MiB');
    const data = pattern(4 * MiB);
    assert.ok(transfer(p, client, server, data).received.equals(data));
    assert.equal(server.getRcvBuf(), 128 * KiB);
    assert.equal(client.getSndBuf(), 128 * KiB);
  });

  it('a reader that lets data pile up does not grow the receive buffer', () => {
    const p = stackPair({ conditions: { delayMs: 1 } });
    const { client, server } = connectPair(p);
    const data = pattern(2 * MiB);
    let off = 0;
    for (let round = 0; round < 200 && off < data.length; round++) {
      while (off < data.length && errnoOf(() => (off += client.write(data.subarray(off, off + 64 * KiB)))) === 'ok');
      p.clock.advance(5);
      server.read(1000); // never drains the queue
    }
    assert.equal(server.getRcvBuf(), 1 * MiB);
  });
});
