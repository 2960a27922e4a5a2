import assert from 'node:assert/strict';
import { collectGarbage, IDLE_COLLECT_AFTER_NS, IDLE_RELEASE_AFTER_NS, IdleCollector, type IdlePhase } from './idlegc';

const SEC = 1_000_000_000n;

describe('kernel/idlegc: collecting once the sandbox idles', () => {
  function collector(): { c: IdleCollector; runs: () => IdlePhase[] } {
    const phases: IdlePhase[] = [];
    return { c: new IdleCollector((p) => phases.push(p)), runs: () => phases };
  }

  it('waits out the grace period after work, shortening long sleeps to it, then collects, and releases after 5 s more', () => {
    const { c, runs } = collector();
    assert.equal(IDLE_COLLECT_AFTER_NS, 2n * SEC);
    assert.equal(IDLE_RELEASE_AFTER_NS, 5n * SEC);
    // Start-up counts as work: the first idle streak begins at 10 s.
    assert.equal(c.beforeSleep(10n * SEC, 100n * SEC), 2n * SEC, 'a long sleep wakes when the collection is due');
    assert.equal(c.beforeSleep(10n * SEC + SEC / 2n, SEC / 10n), SEC / 10n, 'a shorter sleep is kept');
    assert.deepEqual(runs(), []);
    assert.equal(c.beforeSleep(12n * SEC, 98n * SEC), 0n, 'collected: the caller recomputes its wait');
    assert.deepEqual(runs(), ['collect']);
    assert.equal(c.beforeSleep(12n * SEC + 1n, 98n * SEC), 5n * SEC, 'the release is due 5 s after the collection');
    assert.equal(c.beforeSleep(14n * SEC, 1n * SEC), 1n * SEC);
    assert.equal(c.beforeSleep(17n * SEC + 1n, 98n * SEC), 0n);
    assert.deepEqual(runs(), ['collect', 'release']);
    assert.equal(c.beforeSleep(17n * SEC + 2n, 98n * SEC), 98n * SEC, 'nothing to do until more work');
    assert.equal(c.beforeSleep(500n * SEC, 1n * SEC), 1n * SEC);
    assert.deepEqual(runs(), ['collect', 'release'], 'once each per idle streak');
  });

  it('work restarts the streak, so tasks that sleep briefly between bursts never trigger a collection', () => {
    const { c, runs } = collector();
    for (let t = 0n; t < 60n * SEC; t += SEC + SEC / 2n) {
      assert.equal(c.beforeSleep(t, SEC), SEC);
      c.noteWork();
    }
    assert.deepEqual(runs(), []);
    assert.equal(c.beforeSleep(100n * SEC, 5n * SEC), 2n * SEC);
    assert.equal(c.beforeSleep(102n * SEC, 3n * SEC), 0n);
    assert.deepEqual(runs(), ['collect']);
    c.noteWork();
    assert.equal(c.beforeSleep(103n * SEC, 10n * SEC), 2n * SEC, 'new work before the release: a new streak, collected first');
    assert.equal(c.beforeSleep(106n * SEC, 10n * SEC), 0n);
    assert.deepEqual(runs(), ['collect', 'collect']);
  });

  it('collectGarbage trims the C heap and says whether V8 collected', () => {
    for (const phase of ['collect', 'release'] as const) {
      const line = collectGarbage(phase);
      if (typeof gc === 'function') {
        assert.match(line, new RegExp(`^idle ${phase}: garbage collected, V8 heap in use [\\d.]+ -> [\\d.]+ MiB, young generation's pages [\\d.]+ -> [\\d.]+ MiB, external [\\d.]+ -> [\\d.]+ MiB; malloc trimmed$`));
      } else {
        assert.equal(line, `idle ${phase}: malloc trimmed; no garbage collection (node was started without --expose-gc)`);
      }
    }
  });
});
