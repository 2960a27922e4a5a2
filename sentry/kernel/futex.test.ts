import assert from 'node:assert/strict';
import { fakeTask } from '../testing/fakes';
import type { Task } from './task';
import { Futexes } from './futex';

function tasks(n: number): Task[] {
  return Array.from({ length: n }, () => fakeTask().task);
}

describe('futex wait lists', () => {
  it('wakes the oldest waiters whose bitset matches, and only once each', () => {
    const f = new Futexes();
    const [a, b, c, d] = tasks(4);
    f.enqueue('k', a, 0b01);
    f.enqueue('k', b, 0b10);
    f.enqueue('k', c, 0b11);
    f.enqueue('k', d);
    assert.equal(f.wake('k', 2, 0b10), 2); // b and c; a's bitset does not match
    assert.deepEqual([a, b, c, d].map((t) => f.isWaiting('k', t)), [true, false, false, true]);
    assert.deepEqual([a, b, c, d].map((t) => f.takeWoken(t)), [false, true, true, false]);
    assert.equal(f.takeWoken(b), false);
    f.remove('k', a);
    assert.equal(f.wake('k', 10), 1);
    assert.equal(f.wake('k', 10), 0);
  });

  it('requeue wakes some and moves up to nMove of the rest, in order, also onto the same futex', () => {
    const f = new Futexes();
    const ts = tasks(5);
    for (const t of ts) f.enqueue('from', t);
    f.enqueue('to', tasks(1)[0]);
    assert.equal(f.requeue('from', 'to', 1, 2), 3);
    assert.deepEqual(ts.map((t) => [f.isWaiting('from', t), f.isWaiting('to', t)]), [[false, false], [false, true], [false, true], [true, false], [true, false]]);
    // Moved behind the waiter already there: woken after it.
    assert.equal(f.wake('to', 2), 2);
    assert.ok(!f.isWaiting('to', ts[1]) && f.isWaiting('to', ts[2]));
    assert.equal(f.requeue('from', 'from', 0, 0x7fffffff), 2);
    assert.ok(f.isWaiting('from', ts[3]) && f.isWaiting('from', ts[4]));
  });
});
