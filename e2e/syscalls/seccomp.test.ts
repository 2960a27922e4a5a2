/**
 * seccomp filters in the sandbox against Linux: c/seccomp.c installs
 * filters (prctl and seccomp(2)), checks the program checker, every action,
 * argument comparisons, stacked filters, inheritance by fork, threads and
 * exec, and strict mode; the output must match a native run byte for byte.
 */
import * as assert from 'assert';
import { assertOutput } from './compare';
import { checkNoLeaks, compileC, describeRun, native, sandboxed } from './harness';

describe('e2e: seccomp', function () {
  checkNoLeaks();

  it('filters, actions, the program checker and strict mode behave as on Linux', () => {
    const prog = compileC('seccomp');
    const n = native([prog]);
    assert.strictEqual(n.code, 0, describeRun(n));
    assert.match(n.stdout.toString(), /^SIGSYS 31 code=1 errno=7 syscall=110 arch=c000003e$/m, describeRun(n));
    assertOutput(sandboxed([prog]), n.stdout);
  });
});
