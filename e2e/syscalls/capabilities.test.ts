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
