import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { buildSentryFilter, SENTRY_DENIED } from './seccomp';

describe('Sentry seccomp filter', () => {
  it('encodes arch check, x32 check, one jump per denied syscall, allow and deny returns', () => {
    const f = buildSentryFilter();
    assert.equal(f.length / 8, 6 + SENTRY_DENIED.length + 2);
    // The last instruction returns SECCOMP_RET_ERRNO | EPERM.
    assert.equal(f.readUInt32LE(f.length - 4), 0x00050001);
  });

  it('a process under the filter shows Seccomp: 2 and cannot open files, while timers keep working', async () => {
    const script = `
      const fs = require('fs');
      require(${JSON.stringify(require.resolve('./seccomp'))}).installSentryFilter();
      let r; try { fs.openSync('/etc/hostname', 'r'); r = 'opened'; } catch (e) { r = e.code; }
      process.stdout.write(r + '\\n');
      setTimeout(() => process.stdout.write('timer\\n'), 300);`;
    const child = spawn(process.execPath, ['-e', script]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => setTimeout(r, 150));
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    await once(child, 'exit');
    assert.match(status, /^Seccomp:\s+2$/m);
    assert.equal(out, 'EPERM\ntimer\n');
  });
});
