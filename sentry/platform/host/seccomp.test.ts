import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { buildSentryFilter, SENTRY_DENIED } from './seccomp';

describe('Sentry seccomp filter', () => {
  it('encodes arch check, x32 check, one jump per denied syscall, allow and deny returns', () => {
    const f = buildSentryFilter();
    assert.equal(f.length / 8, 6 + SENTRY_DENIED.length + 2);
    assert.equal(buildSentryFilter(5).length / 8, 6 + 5 + SENTRY_DENIED.length + 2);
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
    // Read the status once the filter is in (the first line), before the timer ends the child.
    const filtered = new Promise<void>((resolve) => child.stdout.on('data', (d) => ((out += d), resolve())));
    await filtered;
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    await once(child, 'exit');
    assert.match(status, /^Seccomp:\s+2$/m);
    assert.equal(out, 'EPERM\ntimer\n');
  });

  it('with a control socket, accept4 works on that fd only', async () => {
    const dir = mkdtempSync('/var/tmp/tsvisor-seccomp-');
    const script = `
      const u = require(${JSON.stringify(require.resolve('./unixsock'))});
      const a = u.listenUnix('${dir}/a'), b = u.listenUnix('${dir}/b');
      u.connectUnix('${dir}/a'); u.connectUnix('${dir}/b');
      require(${JSON.stringify(require.resolve('./seccomp'))}).installSentryFilter(a);
      const r = (fd) => { try { return typeof u.acceptUnix(fd); } catch (e) { return 'errno ' + e.errno; } };
      process.stdout.write(r(a) + ' ' + r(b) + '\\n');`;
    const child = spawn(process.execPath, ['-e', script]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await once(child, 'exit');
    rmSync(dir, { recursive: true, force: true });
    assert.equal(out, 'number errno 1\n');
  });
});
