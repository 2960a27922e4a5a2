/**
 * Virtual capabilities against Linux: c/caps.c walks capget/capset, the
 * bounding and ambient sets, keep-caps across setresuid and what an exec'd
 * non-root child keeps, natively and in the sandbox (both as root, first
 * reduced to the same sets); the output must match byte for byte.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { assertOutput } from './compare';
import { checkNoLeaks, compileC, describeRun, freshDir, native, sandboxed } from './harness';

describe('e2e: capabilities', function () {
  checkNoLeaks();

  it("tsvisor do gives the command the caller's capability sets (this host's root lacks CAP_SYS_RESOURCE), as natively", () => {
    const n = native(['/bin/grep', '^Cap', '/proc/self/status']);
    assertOutput(sandboxed(['/bin/grep', '^Cap', '/proc/self/status']), n.stdout);
    assert.match(n.stdout.toString(), /^CapEff:\t[0-9a-f]{16}$/m, describeRun(n));
  });

  it('capget/capset, bounding and ambient sets, keep-caps and exec behave as on Linux', () => {
    const prog = compileC('caps');
    const files = ['native', 'sandbox'].map((n) => {
      const f = path.join(freshDir('caps'), n);
      fs.writeFileSync(f, '');
      return f;
    });
    const n = native([prog, files[0]]);
    assert.strictEqual(n.code, 0, describeRun(n));
    assert.match(n.stdout.toString(), /^child CapEff:\t0000000000000020$/m, describeRun(n));
    assertOutput(sandboxed([prog, files[1]]), n.stdout);
  });
});
