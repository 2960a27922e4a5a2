/**
 * Kernel behaviour seen from outside: faults end the app like Linux (same
 * exit status as native), unimplemented syscalls are ENOSYS and reported in
 * the debug log, and --strace decodes calls.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileC, checkNoLeaks, freshDir, sandboxed, SANDBOX } from '../syscalls/harness';
import { sameAsNative } from '../syscalls/compare';

describe('e2e: kernel behaviour', function () {
  this.timeout(120_000);
  checkNoLeaks();

  for (const [what, status] of [['segv', 139], ['fpe', 136], ['abort', 134], ['trap', 133], ['ill', 132], ['term', 143]] as const) {
    it(`a ${what} ends the app with status ${status} after its output, as natively`, () => {
      sameAsNative([compileC('faults'), what], {}, `before ${what}\n`, status);
    });
  }

  it('an unimplemented syscall is ENOSYS and is counted in the debug log at exit', function () {
    if (SANDBOX !== 'tsvisor') this.skip();
    const log = join(freshDir('debuglog'), 'debug.log');
    const r = sandboxed([compileC('unsupported')], { rawFlags: ['--debug-log', log] });
    assert.equal(r.stdout.toString(), 'io_uring_setup: -1 Function not implemented\n');
    assert.match(readFileSync(log, 'utf8'), /unsupported syscall io_uring_setup: 1$/m);
  });

  it('ps lists only sandbox processes, the first task as pid 1', function () {
    if (SANDBOX !== 'tsvisor') this.skip();
    const r = sandboxed(['/bin/sh', '-c', 'sleep 1 & ps -e -o pid=,ppid=,comm=']);
    const rows = r.stdout.toString().trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    assert.deepEqual(rows, ['1 0 sh', '2 1 sleep', '3 1 ps']);
  });

  it('--strace prints each call with decoded arguments and its result', function () {
    if (SANDBOX !== 'tsvisor') this.skip();
    const r = sandboxed(['/bin/busybox', 'wc', '-c', '/etc/hostname'], { strace: true });
    assert.match(r.stderr, /^\[1\] openat\(-100, "\/etc\/hostname", 0x0, 0x0\) = 3$/m);
    assert.match(r.stderr, /^\[1\] read\(3, 0x[0-9a-f]+, \d+\) = \d+ \[".*"\]$/m);
    assert.match(r.stderr, /^\[1\] exit_group\(0\) = \?$/m);
  });
});
