/**
 * The vDSO (sentry/kernel/vdso): its machine code run natively against
 * fixed clock parameters, and programs in the sandbox that read the time
 * through it, compared with the same programs on Linux (which has its own).
 */
import * as assert from 'assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CODE_OFFSET, ENTRIES } from '../../sentry/kernel/vdso/code';
import { buildVdsoImage } from '../../sentry/kernel/vdso/image';
import { assertOutput, sameAsNative } from './compare';
import { checkNoLeaks, compileC, describeRun, freshDir, native, SANDBOX, sandboxed } from './harness';

/** What vdso_image.c prints for its fixed parameters (base 1234567890.123456789 s, realtime +1.000000001 s, boottime -5 ns). */
const FIXED = [
  'fixed clock 0: ret 0 1234567891.123456790',
  'fixed clock 1: ret 0 1234567890.123456789',
  'fixed clock 5: ret 0 1234567891.123456790',
  'fixed clock 6: ret 0 1234567890.123456789',
  'fixed clock 7: ret 0 1234567890.123456784',
  'fixed gettimeofday: ret 0 1234567891.123456 tz 0 0',
  'fixed gettimeofday(NULL): ret 0',
  'fixed time: ret 1234567891 stored 1234567891 null 1234567891',
  'before-base clock 1: ret 0 1234567890.123456789',
  'ticking: advances',
  'not ready: ret 0 within 1s of the host yes',
  'not ready gettimeofday: ret 0 plausible yes',
  'not ready time: plausible yes',
  'cputime clock: ret 0',
  'bad clock: ret -22',
  'getres clock 0: ret 0 0.000000001',
  'getres clock 1: ret 0 0.000000001',
  'getres clock 5: ret 0 0.004000000',
  'getres clock 6: ret 0 0.004000000',
  'getres clock 7: ret 0 0.000000001',
  'getres clock 2: ret 0 0.000000001',
  'getres clock 99: ret -22 -1.-00000001',
  'getres NULL: ret 0',
  'getcpu: ret 0 cpu 0 node 0 null 0',
  '',
].join('\n');

describe('e2e: vDSO', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('its code computes each clock from the vvar fields, falls back to the syscall, and answers getres and getcpu', () => {
    const image = path.join(freshDir('vdso'), 'vdso.so');
    fs.writeFileSync(image, buildVdsoImage());
    const at = (e: keyof typeof ENTRIES): string => `0x${(CODE_OFFSET + ENTRIES[e].offset).toString(16)}`;
    const entries = ['clock_gettime', 'gettimeofday', 'time', 'clock_getres', 'getcpu'] as const;
    assertOutput(native([compileC('vdso_image'), image, ...entries.map(at)]), FIXED);
  });

  it('clocks read through it agree with the syscalls and never go back, like Linux', () => {
    sameAsNative([compileC('vdso_clock'), 'check']);
  });

  it('/proc/self/maps shows [vvar] and [vdso] at AT_SYSINFO_EHDR, like Linux', () => {
    sameAsNative([compileC('vdso_clock'), 'maps'], {}, '[vvar] r--p\n[vdso] r-xp at AT_SYSINFO_EHDR: yes\n');
  });

  it('libc clock_gettime, clock_getres and sched_getcpu do not trap; the raw syscall does; the debug log says the vDSO is on', function () {
    if (SANDBOX !== 'tsvisor') this.skip();
    const log = path.join(freshDir('vdso'), 'debug.log');
    const logged = sandboxed(['/bin/true'], { rawFlags: ['--debug-log', log] });
    assert.strictEqual(logged.code, 0, describeRun(logged));
    assert.match(fs.readFileSync(log, 'utf8'), /vDSO on: clock_gettime, gettimeofday and time run in the app\n/);
    const r = sandboxed([compileC('vdso_clock'), 'calls', '1000'], { strace: true });
    assert.strictEqual(r.code, 0, describeRun(r));
    assert.strictEqual(r.stderr.match(/\] clock_gettime\(/g)?.length, 3, describeRun(r));
    assert.doesNotMatch(r.stderr, /\] (clock_getres|getcpu)\(/, describeRun(r));
  });

  it('a dynamically linked program finds it, and so does its forked child', () => {
    const script = [
      'import os, time',
      't = time.monotonic()',
      'pid = os.fork()',
      'if pid == 0:',
      '    os._exit(0 if time.monotonic() >= t else 1)',
      'print(os.waitpid(pid, 0)[1], abs(time.time() - time.clock_gettime(time.CLOCK_REALTIME)) < 0.01)',
    ].join('\n');
    sameAsNative(['/usr/bin/python3', '-c', script], {}, '0 True\n');
  });
});
