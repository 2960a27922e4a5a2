import assert from 'node:assert/strict';
import { SignalQueue } from './signals';

const bit = (s: number): bigint => 1n << BigInt(s - 1);
const info = (tag: number): Buffer => Buffer.from([tag]);

describe('SignalQueue', () => {
  it('takes the lowest unblocked signal first, real-time ones oldest first; standard ones coalesce', () => {
    const q = new SignalQueue();
    assert.ok(q.enqueue(35, info(1)));
    assert.ok(q.enqueue(10, info(2)));
    assert.ok(q.enqueue(35, info(3)));
    assert.ok(!q.enqueue(10, info(4)));
    assert.ok(q.enqueue(34, info(5)));
    assert.equal(q.mask, bit(10) | bit(34) | bit(35));
    const take = (blocked = 0n) => {
      const s = q.dequeue(blocked);
      return s && [s.signo, s.info[0]];
    };
    assert.deepEqual(take(bit(10)), [34, 5]);
    assert.deepEqual(take(), [10, 2]);
    assert.deepEqual(take(), [35, 1]);
    assert.equal(q.mask, bit(35));
    assert.equal(take(bit(35)), undefined);
    assert.deepEqual(take(), [35, 3]);
    assert.equal(q.mask, 0n);
  });

  it('gives back each charge once, whether the signal is taken, discarded or cleared', () => {
    const q = new SignalQueue();
    let charged = 0;
    const charge = (): (() => void) => {
      charged++;
      return () => charged--;
    };
    for (let i = 0; i < 3; i++) q.enqueue(40, info(i), charge());
    q.enqueue(41, info(9), charge());
    q.enqueue(42, info(8), charge());
    assert.equal(charged, 5);
    q.dequeue(0n);
    assert.equal(charged, 4);
    q.discard(40);
    assert.equal(charged, 2);
    q.clear();
    assert.equal(charged, 0);
    assert.equal(q.mask, 0n);
  });
});
