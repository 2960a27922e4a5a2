import assert from 'node:assert/strict';
import { CLOCK } from '../../abi/linux/time';
import { Timers } from '../../kernel/timers';
import { Block } from '../../kernel/wait';
import { TimerFd } from './timerfd';

describe('timerfd expirations on a fake clock', () => {
  it('counts periodic expirations lazily and wakes waiters once per arming', () => {
    let now = 1000n;
    const timers = new Timers();
    const f = new TimerFd(CLOCK.MONOTONIC, timers, 0, () => now);
    f.set(1100n, 50n);
    assert.equal(f.readiness(), 0);
    assert.throws(() => f.read(Buffer.alloc(8)), Block);
    let wakes = 0;
    f.waitQueue.add(() => wakes++);
    assert.equal(timers.next(), 1100n);
    now = 1260n;
    timers.fire(now);
    assert.equal(wakes, 1);
    assert.equal(timers.next(), undefined, 'no timer while expirations are pending');
    const b = Buffer.alloc(8);
    assert.equal(f.read(b), 8);
    assert.equal(b.readBigUInt64LE(0), 4n, 'expiries at 1100, 1150, 1200, 1250');
    assert.deepEqual(f.get(), { value: 40n, interval: 50n });
    assert.equal(timers.next(), 1300n, 're-armed at the next expiry');
  });

  it('one-shot timers expire once; a new setting clears the count; close cancels', () => {
    let now = 0n;
    const timers = new Timers();
    const f = new TimerFd(CLOCK.MONOTONIC, timers, 0, () => now);
    f.set(10n, 0n);
    now = 100n;
    assert.deepEqual(f.get(), { value: 0n, interval: 0n });
    assert.equal(f.readiness() !== 0, true);
    assert.deepEqual(f.set(200n, 0n), { value: 0n, interval: 0n });
    assert.equal(f.readiness(), 0, 'count cleared');
    f.set(undefined, 5n);
    assert.equal(timers.next(), undefined, 'disarmed');
    f.set(300n, 0n);
    f.decRef();
    assert.equal(timers.next(), undefined, 'release cancels the kernel timer');
  });
});
