import * as assert from 'assert';
import { CLOCK } from '../../abi/linux/time';
import { ClockParams, nsAt, Timekeeper, UPDATE_NS } from './timekeeper';

const MS = 1_000_000n;
const S = 1_000_000_000n;

/**
 * A simulated machine: true time `t` (ns); the TSC ticks 5 per 2 ns (2.5
 * GHz) from an arbitrary start; the host's CLOCK_MONOTONIC runs at `hostRate`
 * (parts per billion off true time, NTP-style) plus a per-reading error.
 */
class World {
  t = 1000n * S;
  hostRatePpb = 0n;
  jitter: () => bigint = () => 0n;
  realOffset = 1_700_000_000n * S;
  bootOffset = 42n * MS;
  tscBackwards = false;
  readonly published: Array<ClockParams | undefined> = [];

  tsc(): bigint {
    const v = 7_000_000_000n + (this.t * 5n) / 2n;
    return this.tscBackwards ? v - 10n ** 12n : v;
  }

  mono(): bigint {
    return this.t + (this.t * this.hostRatePpb) / 1_000_000_000n;
  }

  keeper(): Timekeeper {
    return new Timekeeper(
      {
        tsc: () => this.tsc(),
        host: (clk) => {
          const m = this.mono() + this.jitter();
          if (clk === CLOCK.REALTIME) return m + this.realOffset;
          if (clk === CLOCK.BOOTTIME) return m + this.bootOffset;
          return m;
        },
      },
      (p) => this.published.push(p),
    );
  }
}

describe('vDSO Timekeeper', () => {
  it('publishes nothing until 10 ms of calibration, then a line through the host clock', () => {
    const w = new World();
    const k = w.keeper();
    w.t += 5n * MS;
    assert.strictEqual(k.update(), false);
    assert.strictEqual(k.now(CLOCK.MONOTONIC), undefined);
    assert.strictEqual(w.published.length, 0);
    w.t += 5n * MS;
    assert.strictEqual(k.update(), true);
    const p = w.published[0];
    assert.ok(p !== undefined);
    assert.strictEqual(p.mult, (2n << 32n) / 5n); // 0.4 ns per tick
    assert.strictEqual(p.baseNs, w.mono());
    assert.strictEqual(k.now(CLOCK.MONOTONIC), w.mono());
    w.t += 123_456n;
    assert.ok(k.now(CLOCK.MONOTONIC_COARSE)! - w.mono() <= 1n);
    assert.ok(k.now(CLOCK.REALTIME)! - (w.mono() + w.realOffset) <= 1n);
    assert.ok(k.now(CLOCK.REALTIME_COARSE)! - (w.mono() + w.realOffset) <= 1n);
    assert.ok(k.now(CLOCK.BOOTTIME)! - (w.mono() + w.bootOffset) <= 1n);
  });

  it('calibrate waits out the rest of the first 10 ms and publishes; later it returns at once', () => {
    const w = new World();
    const k = w.keeper();
    w.t += 2n * MS;
    let reads = 0;
    const host = w.mono.bind(w);
    w.mono = () => {
      reads++;
      w.t += 100_000n; // 0.1 ms passes per host reading
      return host();
    };
    k.calibrate();
    assert.strictEqual(w.published.length, 1);
    assert.ok(w.t >= 1000n * S + 10n * MS && w.t < 1000n * S + 11n * MS, `${w.t}`);
    const before = reads;
    k.calibrate();
    assert.strictEqual(reads, before);
  });

  it('follows a host clock that runs off the TSC rate without ever going back', () => {
    for (const ppb of [200_000n, -200_000n]) {
      const w = new World();
      w.hostRatePpb = ppb; // 200 ppm either way: NTP's limit is 500
      const k = w.keeper();
      w.t += 20n * MS;
      k.update();
      let last = 0n;
      for (let step = 0; step < 400; step++) {
        w.t += 50n * MS;
        k.tick(w.mono());
        const now = k.now(CLOCK.MONOTONIC)!;
        assert.ok(now >= last, `went back at step ${step}: ${now} < ${last}`);
        last = now;
        // The rate is re-measured over the whole run: the clock stays close.
        if (step > 40) assert.ok(now - w.mono() < 100_000n && w.mono() - now < 100_000n, `${now - w.mono()} ns off the host at step ${step}`);
      }
      assert.ok(w.published.length >= 19, `${w.published.length} updates in 20 s`);
    }
  });

  it('steps forward when behind the host, and slows down (at most 500 us a second) when ahead', () => {
    const w = new World();
    let error = 0n;
    w.jitter = () => error;
    const k = w.keeper();
    w.t += 10n * MS;
    error = 100_000n; // the host read 100 us late: the first rate is 1 % fast
    k.update();
    error = 0n;
    w.t += UPDATE_NS;
    const before = k.now(CLOCK.MONOTONIC)!;
    const ahead = before - w.mono();
    assert.ok(ahead > 5n * MS, `${ahead} ns ahead`);
    k.update();
    const slowed = w.published.at(-1)!;
    assert.strictEqual(slowed.baseNs, nsAt(w.published.at(-2)!, w.tsc())); // joined, not stepped back
    w.t += UPDATE_NS;
    const after = k.now(CLOCK.MONOTONIC)!;
    const gained = after - before - UPDATE_NS; // the host moved UPDATE_NS; we lose up to 500 us of the lead
    assert.ok(gained < 0n && gained >= -500_000n - 1000n, `lead changed by ${gained} ns`);

    // Behind: the next update puts the clock right on the host's.
    const w2 = new World();
    let late = 0n;
    w2.jitter = () => late;
    const k2 = w2.keeper();
    w2.t += 10n * MS;
    k2.update();
    w2.t += UPDATE_NS;
    late = 300_000n; // the host is now 300 us ahead of our line
    k2.update();
    assert.strictEqual(k2.now(CLOCK.MONOTONIC), w2.mono() + late);
  });

  it('keeps the realtime offset through sampling noise and takes a step of the host clock', () => {
    const w = new World();
    const k = w.keeper();
    w.t += 10n * MS;
    k.update();
    const first = w.published[0]!.realOffset;
    w.realOffset += 300_000n; // 0.3 ms: noise
    w.t += UPDATE_NS;
    k.update();
    assert.strictEqual(w.published.at(-1)!.realOffset, first);
    w.realOffset += 5n * S; // settimeofday on the host
    w.t += UPDATE_NS;
    k.update();
    assert.strictEqual(w.published.at(-1)!.realOffset, first + 5n * S + 300_000n);
  });

  it('updates on tick only once UPDATE_NS has passed', () => {
    const w = new World();
    const k = w.keeper();
    w.t += 10n * MS;
    k.tick(w.mono());
    assert.strictEqual(w.published.length, 1);
    w.t += UPDATE_NS / 2n;
    k.tick(w.mono());
    assert.strictEqual(w.published.length, 1);
    w.t += UPDATE_NS / 2n;
    k.tick(w.mono());
    assert.strictEqual(w.published.length, 2);
  });

  it('gives up on a TSC that goes backwards: the vDSO is told to make syscalls', () => {
    const w = new World();
    const k = w.keeper();
    w.t += 10n * MS;
    k.update();
    w.tscBackwards = true;
    w.t += UPDATE_NS;
    assert.strictEqual(k.update(), false);
    assert.strictEqual(w.published.at(-1), undefined);
    assert.strictEqual(k.usable, false);
    assert.strictEqual(k.now(CLOCK.MONOTONIC), undefined);
  });
});
