/** cpuNs against the kernel's own counts (getrusage, schedstat). */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpuNs } from './hostproc';

describe('hostproc: CPU time of host processes', () => {
  it('counts a busy process within a few ms of what it says it used', () => {
    const before = cpuNs(process.pid);
    const start = process.cpuUsage();
    for (const end = Date.now() + 100; Date.now() < end; );
    const used = process.cpuUsage(start);
    const measured = Number(cpuNs(process.pid) - before) / 1000;
    // µs from getrusage(RUSAGE_SELF): every thread of the process, as measured.
    const reported = used.user + used.system;
    assert.ok(reported > 20_000, `${reported} µs of a 100 ms spin (a loaded machine gives less than 100)`);
    assert.ok(Math.abs(measured - reported) < 10_000, `measured ${measured} µs, the process reports ${reported} µs`);
  });

  it('sees the sub-tick CPU time of a process that started and went to sleep (not 0)', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const ns = cpuNs(child.pid!);
      // Native: the kernel's own count of the same thread, in ns.
      const native = BigInt(spawnSync('cat', [`/proc/${child.pid}/schedstat`], { encoding: 'utf8' }).stdout.split(' ')[0]);
      assert.ok(ns > 0n && ns < 1_000_000_000n, `${ns} ns`);
      assert.equal(ns, native);
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  });

  it('is 0 for a process that is gone', () => {
    assert.equal(cpuNs(0x3ffffff), 0n);
  });
});
