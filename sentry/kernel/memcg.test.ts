import assert from 'node:assert/strict';
import { Charged, MEASURE_INTERVAL_NS, MemoryCgroup } from './memcg';

const MiB = 1024 * 1024;
const MS = 1_000_000n;

/** A process whose mapped and resident bytes the test sets; counts how often it is measured. */
class Proc implements Charged {
  measured = 0;
  constructor(
    readonly name: string,
    public mapped: number,
    public resident: number,
    /** False while its code runs (the platform cannot measure it then). */
    public stopped = true,
    public oomScoreAdj = 0,
  ) {}
  committed(): number {
    return this.mapped;
  }
  measure(): number | undefined {
    if (!this.stopped) return undefined;
    this.measured++;
    return this.resident;
  }
}

describe('kernel/memcg: a container memory limit and its OOM killer', () => {
  it('unlimited (0) never measures nor kills', () => {
    const cg = new MemoryCgroup<Proc>();
    const p = new Proc('hog', 1024 * MiB, 1024 * MiB);
    assert.equal(cg.check([p], 0, 0n), undefined);
    assert.equal(p.measured, 0);
  });

  it('under its bound (mapped memory plus files) a container is not measured', () => {
    const cg = new MemoryCgroup<Proc>();
    cg.limit = 32 * MiB;
    const a = new Proc('a', 10 * MiB, 10 * MiB);
    const b = new Proc('b', 12 * MiB, 12 * MiB);
    assert.equal(cg.check([a, b], 10 * MiB, 0n), undefined);
    assert.equal(a.measured + b.measured, 0);
    assert.equal(cg.underBound, true);
    b.mapped += 1;
    assert.equal(cg.check([a, b], 10 * MiB, 1n), undefined);
    assert.equal(cg.underBound, false, 'one byte over the bound: measured');
    assert.equal(a.measured + b.measured, 2);
  });

  it('a process that mapped more than the limit but touched little is measured, not killed', () => {
    const cg = new MemoryCgroup<Proc>();
    cg.limit = 32 * MiB;
    const go = new Proc('go', 64 * MiB + 8 * MiB, 3 * MiB);
    assert.equal(cg.check([go], 0, 0n), undefined);
    assert.equal(go.measured, 1);
    assert.equal(cg.peak, 3 * MiB);
    // Nothing new mapped and the interval has not passed: the last measurement stands.
    assert.equal(cg.check([go], 0, 1n * MS), undefined);
    assert.equal(go.measured, 1);
    assert.equal(cg.oomKills, 0);
  });

  it('memory touched inside an earlier mapping is caught once the interval passed (dd filling its buffer)', () => {
    const cg = new MemoryCgroup<Proc>();
    cg.limit = 15 * MiB;
    const dd = new Proc('dd', 21 * MiB, 1 * MiB);
    assert.equal(cg.check([dd], 0, 0n), undefined);
    dd.resident = 21 * MiB; // read(2) from /dev/zero filled the 20 MiB buffer
    assert.equal(cg.check([dd], 0, MEASURE_INTERVAL_NS - 1n), undefined, 'not yet re-measured');
    const v = cg.check([dd], 0, MEASURE_INTERVAL_NS);
    assert.equal(v?.victim, dd);
    assert.equal(v?.usage, 21 * MiB);
  });

  it('mapping past the limit since the last measurement re-measures at once', () => {
    const cg = new MemoryCgroup<Proc>();
    cg.limit = 32 * MiB;
    const p = new Proc('p', 40 * MiB, 4 * MiB);
    assert.equal(cg.check([p], 0, 0n), undefined);
    p.mapped += 40 * MiB; // estimate 4 + 40 > 32
    p.resident = 44 * MiB;
    assert.equal(cg.check([p], 0, 1n)?.victim, p);
    assert.equal(p.measured, 2);
  });

  it('the biggest process is the victim, and files in memory count toward the limit', () => {
    const cg = new MemoryCgroup<Proc>();
    cg.limit = 32 * MiB;
    const sh = new Proc('sh', 30 * MiB, 1 * MiB);
    const hog = new Proc('hog', 30 * MiB, 20 * MiB);
    const small = new Proc('small', 30 * MiB, 5 * MiB);
    assert.equal(cg.check([sh, hog, small], 5 * MiB, 0n), undefined, '26 MiB + 5 MiB of files fit');
    hog.resident = 25 * MiB;
    const v = cg.check([sh, hog, small], 5 * MiB, MEASURE_INTERVAL_NS);
    assert.equal(v?.victim, hog);
    assert.equal(v?.usage, 36 * MiB);
    cg.killed(hog);
    assert.equal(cg.oomKills, 1);
    // The hog is gone: the others fit again, measured at once (the kill reset the interval).
    assert.equal(cg.check([sh, small], 5 * MiB, MEASURE_INTERVAL_NS + 1n), undefined);
    assert.equal(sh.measured, 3);
  });

  it('oom_score_adj moves the choice by thousandths of the limit, as Linux; a process at -1000 is never killed', () => {
    const cg = new MemoryCgroup<Proc>();
    cg.limit = 32 * MiB;
    const big = new Proc('big', 20 * MiB, 20 * MiB);
    const small = new Proc('small', 16 * MiB, 16 * MiB, true, 1000);
    assert.equal(cg.check([big, small], 0, 0n)?.victim, small, '16 MiB + 1000/1000 of 32 MiB beats 20 MiB');
    small.oomScoreAdj = 100; // 16 + 3.2 MiB < 20 MiB
    assert.equal(cg.check([big, small], 0, MEASURE_INTERVAL_NS)?.victim, big);
    big.oomScoreAdj = -1000;
    assert.equal(cg.check([big, small], 0, 2n * MEASURE_INTERVAL_NS)?.victim, small, 'the bigger one may not be killed');
    small.oomScoreAdj = -1000;
    assert.equal(cg.check([big, small], 0, 3n * MEASURE_INTERVAL_NS), undefined, 'over the limit, but nothing may be killed');
    assert.equal(cg.oomKills, 0);
  });

  it('a process that cannot be measured now counts with its last measurement, never its bound', () => {
    const cg = new MemoryCgroup<Proc>();
    cg.limit = 16 * MiB;
    const runner = new Proc('runner', 100 * MiB, 10 * MiB);
    const caller = new Proc('caller', 10 * MiB, 2 * MiB);
    assert.equal(cg.check([runner, caller], 0, 0n), undefined);
    runner.stopped = false;
    runner.resident = 100 * MiB; // unseen until it stops
    assert.equal(cg.check([runner, caller], 0, MEASURE_INTERVAL_NS), undefined);
    caller.resident = 7 * MiB; // 10 (last seen) + 7 > 16
    const v = cg.check([runner, caller], 0, 2n * MEASURE_INTERVAL_NS);
    assert.equal(v?.victim, runner, 'the biggest by what was measured');
    assert.equal(v?.usage, 17 * MiB);
  });

  it('a process never measured and running counts as nothing', () => {
    const cg = new MemoryCgroup<Proc>();
    cg.limit = 8 * MiB;
    const child = new Proc('child', 50 * MiB, 50 * MiB, false);
    assert.equal(cg.check([child], 0, 0n), undefined);
    assert.equal(cg.check([child], 0, MEASURE_INTERVAL_NS), undefined);
    child.stopped = true;
    assert.equal(cg.check([child], 0, 2n * MEASURE_INTERVAL_NS)?.victim, child);
  });
});
