import assert from 'node:assert/strict';
import { releaseRx, retainRx, RxSlabPool } from './rxslabs';
import { OutOfOrderQueue, RecvQueue } from './tcp/buffers';
import { connectPair, pattern, stackPair, transfer } from './testing/pair';

/** Whether the next slab the pool hands out is `slab` (it was retired and nothing held it). */
function reusedNext(pool: RxSlabPool, slab: Buffer): boolean {
  return pool.take().buffer === slab.buffer;
}

describe('sentry/net receive slabs', () => {
  it('a retired slab is handed out again once no view of it is kept, not before', () => {
    const pool = new RxSlabPool(4096, 8);
    const slab = pool.take();
    const view = slab.subarray(100, 200);
    retainRx(view);
    retainRx(view);
    pool.retire(slab);
    assert.equal(reusedNext(pool, slab), false, 'held twice');
    releaseRx(view);
    assert.equal(reusedNext(pool, slab), false, 'held once');
    releaseRx(view);
    assert.equal(reusedNext(pool, slab), true);
  });

  it('counts only views of its slabs; past its bound and when trimmed it lets slabs go for good', () => {
    const pool = new RxSlabPool(1024, 2);
    const other = Buffer.alloc(64);
    retainRx(other);
    releaseRx(other);
    const slabs = [pool.take(), pool.take(), pool.take()];
    const held = slabs[1].subarray(0, 10);
    retainRx(held);
    for (const s of slabs) pool.retire(s);
    assert.equal(pool.retiredCount, 2, 'the oldest went');
    const next = pool.take();
    assert.equal(next.buffer, slabs[2].buffer, 'the first free one; the forgotten one never comes back');
    pool.retire(next);
    pool.trim();
    assert.equal(pool.retiredCount, 1, 'the held slab stays');
    releaseRx(held);
    assert.equal(pool.take().buffer, slabs[1].buffer);
    assert.equal(pool.retiredCount, 0);
  });

  it("TCP's queues hold what they keep: a receive queue until the data is read or dropped, the out-of-order queue until it hands it over", () => {
    const pool = new RxSlabPool(4096, 8);
    const slab = pool.take();
    pool.retire(slab);
    const q = new RecvQueue();
    q.push(slab.subarray(0, 100));
    q.push(slab.subarray(100, 150));
    q.take(150, true);
    q.take(120, false);
    assert.equal(reusedNext(pool, slab), false, 'peeked, then partly read');
    assert.deepEqual(q.take(100, false).map((b) => b.length), [30]);
    assert.equal(reusedNext(pool, slab), true, 'all read');

    pool.retire(slab);
    q.push(slab.subarray(0, 10));
    q.clear();
    assert.equal(reusedNext(pool, slab), true, 'dropped with the connection');

    pool.retire(slab);
    const ooo = new OutOfOrderQueue();
    ooo.insert(1000, 1100, slab.subarray(0, 100));
    ooo.insert(1000, 1050, slab.subarray(200, 400)); // two pieces: before and after the first
    assert.equal(reusedNext(pool, slab), false, 'out of order');
    assert.equal(ooo.take(1000).length, 0);
    assert.deepEqual(ooo.take(1050).map((b) => b.length), [50, 100, 50]);
    assert.equal(reusedNext(pool, slab), true, 'handed over');
    pool.retire(slab);
    ooo.insert(1000, 1100, slab.subarray(0, 100));
    ooo.clear();
    assert.equal(reusedNext(pool, slab), true, 'cleared');
  });

  it('data crosses a lossy, reordering, duplicating link intact while both ends receive into slabs used again', function () {
    this.timeout(60_000);
    const p = stackPair({ conditions: { delayMs: 1, jitterMs: 3, loss: 0.03, duplicate: 0.02, rxSlabs: { slabBytes: 16 * 1024, maxRetired: 4 } }, seed: 11 });
    const { client, server } = connectPair(p);
    const up = pattern(1_500_000, 1);
    const down = pattern(1_000_000, 2);
    assert.ok(transfer(p, client, server, up).received.equals(up));
    assert.ok(transfer(p, server, client, down).received.equals(down));
    const r = p.wire.receivers;
    assert.ok(r !== undefined);
    for (const side of [r.a, r.b]) assert.ok(side.taken > 10 * side.distinct.size, `${side.taken} slabs handed out, ${side.distinct.size} distinct`);
  });
});
