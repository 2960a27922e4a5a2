import assert from 'node:assert/strict';
import { pattern } from '../testing/pair';
import type { Payload } from '../wire/tcp';
import { OutOfOrderQueue, RecvQueue, SendQueue } from './buffers';

/** A payload's bytes, as they land in a frame. */
function bytes(p: Payload): Buffer {
  const b = Buffer.alloc(p.length + 4, 0xee);
  assert.equal(p.copy(b, 2), p.length);
  assert.deepEqual([b[0], b[1], b[b.length - 2], b[b.length - 1]], [0xee, 0xee, 0xee, 0xee], 'nothing outside the range is written');
  return b.subarray(2, 2 + p.length);
}
import { Scoreboard } from './sack';

describe('sentry/net TCP buffers and scoreboard', () => {
  it('SendQueue reads any range across chunks and consumes from the front', () => {
    const data = pattern(10_000);
    const q = new SendQueue();
    for (let off = 0; off < data.length; off += 333) q.push(data.subarray(off, off + 333));
    assert.equal(q.length, 10_000);
    for (const [o, n] of [[0, 1460], [1460, 1460], [300, 50], [9990, 100], [5000, 4000]]) {
      assert.ok(bytes(q.read(o, n)).equals(data.subarray(o, Math.min(o + n, 10_000))), `${o}+${n}`);
    }
    q.consume(4321);
    assert.equal(q.length, 10_000 - 4321);
    assert.ok(bytes(q.read(0, 2000)).equals(data.subarray(4321, 6321)));
    assert.ok(bytes(q.read(100, 10)).equals(data.subarray(4421, 4431)));
    q.consume(100_000);
    assert.equal(q.length, 0);
    assert.equal(q.read(0, 10).length, 0);
  });

  it('RecvQueue peeks and reads in order', () => {
    const q = new RecvQueue();
    q.push(Buffer.from('abc'));
    q.push(Buffer.from('defg'));
    assert.deepEqual(q.take(5, true).map(String), ['abc', 'de']);
    assert.deepEqual(q.take(2, false).map(String), ['ab']);
    assert.deepEqual(q.take(100, false).map(String), ['c', 'defg']);
    assert.equal(q.length, 0);
  });

  it('OutOfOrderQueue keeps only new bytes, reports the repeated ones, fills holes and reports SACK blocks, the latest first', () => {
    const data = pattern(1000);
    const base = 0xfffffe00; // wraps around 2^32
    const at = (off: number) => (base + off) >>> 0;
    const q = new OutOfOrderQueue();
    assert.equal(q.insert(base, at(100), data.subarray(100, 200)), undefined);
    assert.equal(q.insert(base, at(300), data.subarray(300, 400)), undefined);
    // Overlaps both: the first bytes held already are reported (for a D-SACK).
    assert.deepEqual(q.insert(base, at(150), data.subarray(150, 350)), { start: at(150), end: at(200) });
    assert.deepEqual(q.insert(base, at(100), data.subarray(100, 200)), { start: at(100), end: at(200) }, 'a duplicate');
    assert.equal(q.length, 300, 'bytes 100..400 once');
    assert.equal(q.insert(base, at(600), data.subarray(600, 700)), undefined);
    assert.deepEqual(q.sackBlocks(at(600), 4), [{ start: at(600), end: at(700) }, { start: at(100), end: at(400) }]);
    assert.deepEqual(q.take(base), [], 'nothing continues RCV.NXT yet');
    const got = q.take(at(120)); // bytes 0..120 arrived in order meanwhile
    assert.ok(Buffer.concat(got).equals(data.subarray(120, 400)));
    assert.equal(q.length, 100);
  });

  it('Scoreboard: merges blocks, judges loss as RFC 6675, computes pipe and the next hole', () => {
    const mss = 100;
    const sb = new Scoreboard();
    sb.update([{ start: 300, end: 400 }], 0, 1000);
    sb.update([{ start: 500, end: 600 }, { start: 400, end: 500 }], 0, 1000);
    sb.update([{ start: 2000, end: 3000 }], 0, 1000); // beyond SND.MAX: ignored
    assert.equal(sb.highest, 600);
    assert.equal(sb.isLost(0, mss), true, '300 bytes SACKed above');
    assert.equal(sb.isLost(600, mss), false, 'nothing SACKed above');
    assert.equal(sb.isLost(250, mss), true);
    // Holes: [0,300) lost, [600,1000) not lost. Nothing retransmitted: pipe = 400.
    assert.equal(sb.pipe(0, 1000, 0, mss), 400);
    assert.equal(sb.pipe(0, 1000, 100, mss), 500, 'retransmitted bytes count again');
    assert.deepEqual(sb.nextLost(0, 1000, mss), { start: 0, end: 300 });
    assert.deepEqual(sb.nextLost(300, 1000, mss), undefined);
    sb.ack(350);
    assert.deepEqual(sb.covers(360), { start: 350, end: 600 });
    assert.equal(sb.nextSacked(100), 350);
    sb.ack(600);
    assert.equal(sb.empty, true);
  });
});
