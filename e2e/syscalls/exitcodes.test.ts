/** Exit status propagation and clean errors for commands that cannot run. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { assertCleanError, sameAsNative } from './compare';
import { checkNoLeaks, describeRun, freshDir, hasStackTrace, SANDBOX, sandboxed } from './harness';

describe('e2e: exit codes', function () {
  checkNoLeaks();

  it('exit 3 propagates', () => {
    sameAsNative(['/bin/sh', '-c', 'exit 3'], {}, '', 3);
  });

  it('death by SIGSEGV is 128+11 as natively', () => {
    const { native } = sameAsNative(['/bin/sh', '-c', 'kill -SEGV $$'], {}, '', 139);
    assert.strictEqual(native.signal, 11);
  });

  it('a missing binary exits 127 with a one-line error', () => {
    assertCleanError(sandboxed(['/no/such/binary']), 127);
  });

  it('a non-executable file exits 126 with a one-line error', () => {
    const file = path.join(freshDir('noexec'), 'script');
    fs.writeFileSync(file, '#!/bin/sh\necho should not run\n', { mode: 0o644 });
    const r = sandboxed([file]);
    assertCleanError(r, 126);
    assert.strictEqual(r.stdout.length, 0);
  });

  it('an unknown flag is a one-line usage error', function () {
    if (SANDBOX !== 'tsvisor') this.skip();
    const r = sandboxed(['/bin/true'], { rawFlags: ['--no-such-flag'] });
    assert.notStrictEqual(r.code, 0, describeRun(r));
    assert.ok(!hasStackTrace(r.stderr), describeRun(r));
    assert.strictEqual(r.stderr.trimEnd().split('\n').length, 1, describeRun(r));
  });

  it('a --debug-log that cannot be opened is a one-line usage error before anything starts', function () {
    if (SANDBOX !== 'tsvisor') this.skip();
    const log = path.join(freshDir('debuglog'), 'missing', 'log');
    const r = sandboxed(['/bin/echo', 'ran'], { rawFlags: ['--debug-log', log] });
    assert.strictEqual(r.code, 2, describeRun(r));
    assert.strictEqual(r.stdout.length, 0, describeRun(r));
    assert.strictEqual(r.stderr, `tsvisor: --debug-log ${log}: cannot open (ENOENT) (see 'tsvisor --help')\n`);
  });

  it('--strace prints the syscalls of the command', function () {
    if (SANDBOX !== 'tsvisor') this.skip();
    const r = sandboxed(['/bin/busybox', 'true'], { strace: true });
    assert.strictEqual(r.code, 0, describeRun(r));
    assert.match(r.stderr, /exit_group/, describeRun(r));
  });
});
