import assert from 'node:assert/strict';
import { collectGarbage, IDLE_COLLECT_AFTER_NS, IdleCollector, idleTimer } from './idlegc';

const SEC = 1_000_000_000n;

describe('kernel/idlegc: collecting once the sandbox idles', () => {
  function collector(): { c: IdleCollector; runs: () => number } {
    let n = 0;
    return { c: new IdleCollector(() => n++), runs: () => n };
  }

  it('waits out the grace period after work, shortening long sleeps to it, then collects once', () => {
    const { c, runs } = collector();
    assert.equal(IDLE_COLLECT_AFTER_NS, 2n * SEC);
    // Start-up counts as work: the first idle streak begins at 10 s.
    assert.equal(c.beforeSleep(10n * SEC, 100n * SEC), 2n * SEC, 'a long sleep wakes when the collection is due');
    assert.equal(c.beforeSleep(10n * SEC + SEC / 2n, SEC / 10n), SEC / 10n, 'a shorter sleep is kept');
    assert.equal(runs(), 0);
    assert.equal(c.beforeSleep(12n * SEC, 98n * SEC), 0n, 'collected: the caller recomputes its wait');
    assert.equal(runs(), 1);
    assert.equal(c.beforeSleep(12n * SEC + 1n, 98n * SEC), 98n * SEC, 'nothing to do until more work');
    assert.equal(c.beforeSleep(500n * SEC, 1n * SEC), 1n * SEC);
    assert.equal(runs(), 1, 'once per idle streak');
  });

  it('work restarts the streak, so tasks that sleep briefly between bursts never trigger a collection', () => {
    const { c, runs } = collector();
    for (let t = 0n; t < 60n * SEC; t += SEC + SEC / 2n) {
      assert.equal(c.beforeSleep(t, SEC), SEC);
      c.noteWork();
    }
    assert.equal(runs(), 0);
    assert.equal(c.beforeSleep(100n * SEC, 5n * SEC), 2n * SEC);
    assert.equal(c.beforeSleep(102n * SEC, 3n * SEC), 0n);
    assert.equal(runs(), 1);
    c.noteWork();
    assert.equal(c.beforeSleep(103n * SEC, 10n * SEC), 2n * SEC, 'new work: a new streak');
    assert.equal(c.beforeSleep(106n * SEC, 10n * SEC), 0n);
    assert.equal(runs(), 2);
  });

  it('idleTimer (the Gofer) collects once 2 s after start-up or the last work, once per quiet spell', async () => {
    const ms = Number(IDLE_COLLECT_AFTER_NS / 1_000_000n);
    const sleep = (n: number) => new Promise((r) => setTimeout(r, n));
    const times: number[] = [];
    const t0 = Date.now();
    const worked = idleTimer(() => times.push(Date.now() - t0));
    await sleep(ms / 2);
    worked();
    await sleep(ms / 2 + 200);
    assert.equal(times.length, 0, 'work pushed the collection back');
    await sleep(ms / 2 + 200);
    assert.equal(times.length, 1);
    assert.ok(times[0] >= ms / 2 + ms, `collected at ${times[0]} ms, ${ms} ms after the work`);
    await sleep(ms + 200);
    assert.equal(times.length, 1, 'nothing more without work');
    worked();
    await sleep(ms + 200);
    assert.equal(times.length, 2, 'new work: one more');
  }).timeout(15_000);

  it('collectGarbage trims the C heap and says whether V8 collected', () => {
    const line = collectGarbage();
    if (typeof gc === 'function') assert.match(line, /^idle: garbage collected, V8 heap in use [\d.]+ -> [\d.]+ MiB, external [\d.]+ -> [\d.]+ MiB; malloc trimmed$/);
    else assert.equal(line, 'idle: malloc trimmed; no garbage collection (node was started without --expose-gc)');
  });
});
