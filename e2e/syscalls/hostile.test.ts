/** Hostile inputs must produce clean errors: no Sentry crash, no leaked host process. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { assertCleanError, assertOutput, sameAsNative } from './compare';
import { absurdProgramHeaders, loadAtZero, truncated } from './hostile';
import { checkNoLeaks, compileC, describeRun, freshDir, hasStackTrace, native, sandboxed, SANDBOX } from './harness';

function executable(name: string, data: Buffer): string {
  const file = path.join(freshDir('elf'), name);
  fs.writeFileSync(file, data, { mode: 0o755 });
  return file;
}

describe('e2e: hostile executables and arguments', function () {
  checkNoLeaks();

  // Never run natively: as root, random calls could set the host's clock or mount.
  it('random arguments to every syscall number find no handler bug: each call is answered, the program ends normally', function () {
    this.timeout(180_000);
    const fuzz = compileC('fuzz');
    for (const seed of ['7', '8']) {
      const log = path.join(freshDir('fuzz'), 'debug.log');
      const r = sandboxed([fuzz, seed, '100'], { rawFlags: SANDBOX === 'tsvisor' ? ['--debug-log', log] : [] });
      assert.match(r.stdout.toString(), /^\d+ calls\n$/, describeRun(r));
      assert.strictEqual(r.code, 0, describeRun(r));
      // A handler that throws anything but a Linux error is logged as a bug (and answered with EIO).
      if (SANDBOX === 'tsvisor') assert.deepStrictEqual(fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('BUG in')), []);
    }
  });

  it('a truncated ELF is refused like Linux refuses it (126)', () => {
    const file = executable('truncated', truncated('/bin/busybox', 200));
    assert.strictEqual(native([file]).code, 126);
    assertCleanError(sandboxed([file]), 126);
  });

  it('an ELF with absurd program headers is refused (126)', () => {
    const file = executable('absurd', absurdProgramHeaders('/bin/busybox'));
    assert.strictEqual(native([file]).code, 126);
    assertCleanError(sandboxed([file]), 126);
  });

  it('an ELF with a PT_LOAD at address 0 runs or fails cleanly', () => {
    const file = executable('at-zero', loadAtZero());
    // Linux maps page 0 only for privileged callers (mmap_min_addr); as root the
    // program runs and exits 0, otherwise exec dies with SIGSEGV after the point
    // of no return. A sandbox may also refuse it up front like a corrupt ELF.
    const r = sandboxed([file]);
    assert.ok(!hasStackTrace(r.stderr), describeRun(r));
    if (r.code === 0 || r.code === 128 + 11) return;
    assertCleanError(r, 126);
  });

  it('a 1 MB argv of 16384 arguments runs like natively', () => {
    const args = Array.from({ length: 16384 }, (_, i) => `${String(i).padStart(5, '0')}${'x'.repeat(58)}`);
    const argv = ['/bin/busybox', 'echo', ...args];
    const n = native(argv);
    assert.strictEqual(n.code, 0, describeRun(n));
    assert.strictEqual(n.stdout.length, 16384 * 64);
    assertOutput(sandboxed(argv), n.stdout, 0);
  });

  it('an argument over the 128 KiB per-string limit fails with E2BIG as natively', () => {
    // The shell builds the argument inside the sandbox, so its execve gets E2BIG.
    const script = 'x=$(/bin/busybox head -c 204800 /dev/zero | /bin/busybox tr "\\0" y); /bin/busybox echo "$x"; echo "rc=$?"';
    const { sandbox } = sameAsNative(['/bin/sh', '-c', script], {}, 'rc=126\n');
    assert.ok(!hasStackTrace(sandbox.stderr), describeRun(sandbox));
  });
});
