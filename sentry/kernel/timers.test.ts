import assert from 'node:assert/strict';
import { type TimerHandle, Timers } from './timers';

describe('kernel timers', () => {
  it('fire runs the due timers by deadline, equal deadlines in the order scheduled, and those their callbacks make due', () => {
    const t = new Timers();
    const ran: string[] = [];
    t.schedule(30n, () => ran.push('c'));
    t.schedule(10n, () => ran.push('a1'));
    t.schedule(20n, () => {
      ran.push('b');
      t.schedule(25n, () => ran.push('from b'));
      t.schedule(99n, () => ran.push('later'));
    });
    t.schedule(10n, () => ran.push('a2'));
    assert.equal(t.next(), 10n);
    assert.equal(t.fire(29n), 4);
    assert.deepEqual(ran, ['a1', 'a2', 'b', 'from b']);
    assert.equal(t.next(), 30n);
    assert.equal(t.fire(1000n), 2);
    assert.deepEqual(ran.slice(4), ['c', 'later']);
    assert.equal(t.next(), undefined);
  });

  it('cancel removes a pending timer; cancelling again or after it fired changes nothing', () => {
    const t = new Timers();
    const ran: number[] = [];
    const hs = [5n, 1n, 4n, 2n, 3n].map((d) => t.schedule(d, () => ran.push(Number(d))));
    t.cancel(hs[2]);
    t.cancel(hs[2]);
    t.fire(1n);
    t.cancel(hs[1]); // fired already
    assert.equal(t.next(), 2n);
    t.fire(10n);
    assert.deepEqual(ran, [1, 2, 3, 5]);
  });

  it('agrees with a sorted list over random schedules, cancels and fires', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n; // the high bits: an LCG's low bits repeat with short periods
    };
    const t = new Timers();
    const model: { d: bigint; id: number }[] = [];
    const handles = new Map<number, TimerHandle>();
    const ran: number[] = [];
    const want: number[] = [];
    let now = 0n;
    for (let id = 0; id < 5000; id++) {
      const op = rand(10);
      if (op < 6) {
        const d = now + BigInt(rand(50));
        handles.set(id, t.schedule(d, () => ran.push(id)));
        model.push({ d, id });
      } else if (op < 9 && model.length > 0) {
        const victim = model.splice(rand(model.length), 1)[0];
        t.cancel(handles.get(victim.id) as TimerHandle);
      } else {
        now += BigInt(rand(20));
        // Stable: equal deadlines stay in scheduling (id) order.
        model.sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : a.id - b.id));
        while (model.length > 0 && model[0].d <= now) want.push((model.shift() as { id: number }).id);
        t.fire(now);
        assert.deepEqual(ran, want);
      }
      const earliest = model.reduce<bigint | undefined>((m, x) => (m === undefined || x.d < m ? x.d : m), undefined);
      assert.equal(t.next(), earliest);
    }
    assert.ok(want.length > 500, `only ${want.length} fired`);
  });
});
