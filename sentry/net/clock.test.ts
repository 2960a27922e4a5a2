import assert from 'node:assert/strict';
import { realClock } from './clock';
import { FakeClock } from './testing/clock';

describe('sentry/net clocks', () => {
  it('FakeClock fires timers in deadline order, ties in scheduling order, and honours cancel', () => {
    const c = new FakeClock();
    const fired: string[] = [];
    c.setTimer(10, () => fired.push('b'));
    c.setTimer(5, () => fired.push('a'));
    const x = c.setTimer(7, () => fired.push('x'));
    c.setTimer(10, () => fired.push('c'));
    c.setTimer(0, () => c.setTimer(0, () => fired.push('nested')));
    x.cancel();
    c.advance(9);
    assert.deepEqual(fired, ['nested', 'a']);
    assert.equal(c.now(), 9);
    c.advance(1);
    assert.deepEqual(fired, ['nested', 'a', 'b', 'c']);
    assert.equal(c.pendingTimers, 0);
  });

  it('realClock: a zero delay is an immediate (queued before a later setImmediate), never synchronous; cancel works', async () => {
    const order: string[] = [];
    realClock.setTimer(0, () => order.push('zero'));
    realClock.setTimer(0, () => order.push('cancelled')).cancel();
    const later = new Promise<void>((r) => setImmediate(() => (order.push('immediate'), r())));
    order.push('sync');
    await later;
    assert.deepEqual(order, ['sync', 'zero', 'immediate']);
    const t0 = performance.now();
    await new Promise<void>((r) => realClock.setTimer(15, r));
    assert.ok(performance.now() - t0 >= 14);
  });
});
