import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { SYS } from '../abi/linux/syscalls';
import { fakeTask, argsOf } from '../testing/fakes';
import { identitySyscalls, UTS } from './identity';
import { LinuxError } from '../errors/linuxerr';

const BUF = 0x10000;

function setup() {
  const f = fakeTask();
  f.ctx.memory.mapAnonymous(BUF, 0x2000, 3);
  return f;
}

describe('identity syscalls', () => {
  it('uname reports the emulated 4.4.0 kernel and the sandbox hostname in utsname layout', () => {
    const { task, ctx } = setup();
    assert.equal(identitySyscalls.uname!.handler(task, argsOf(ctx, SYS.uname, BUF)), 0);
    const b = ctx.memory.read(BUF, 65 * 6);
    const field = (i: number) => b.subarray(i * 65, i * 65 + 65).toString('latin1').replace(/\0.*$/s, '');
    assert.deepEqual([0, 1, 2, 3, 4].map(field), ['Linux', 'sandbox', '4.4.0', UTS.version, 'x86_64']);
    // Same field layout as the host's struct utsname: native `uname -s -m` agrees on sysname/machine.
    assert.equal(execFileSync('uname', ['-s', '-m']).toString().trim(), `${field(0)} ${field(4)}`);
  });

  it('the first process is pid 1 with parent 0', () => {
    const { task, ctx } = setup();
    assert.equal(identitySyscalls.getpid!.handler(task, argsOf(ctx, SYS.getpid)), 1);
    assert.equal(identitySyscalls.getppid!.handler(task, argsOf(ctx, SYS.getppid)), 0);
    assert.equal(identitySyscalls.gettid!.handler(task, argsOf(ctx, SYS.gettid)), 1);
  });

  it('setsid fails with EPERM for a group leader, as on Linux', () => {
    const { task, ctx } = setup();
    assert.throws(() => identitySyscalls.setsid!.handler(task, argsOf(ctx, SYS.setsid)), (e: LinuxError) => e.code === 'EPERM');
  });

  it('non-root cannot take a uid it does not hold; root can', () => {
    const { task, ctx } = setup();
    assert.equal(identitySyscalls.setresuid!.handler(task, argsOf(ctx, SYS.setresuid, 1000, 1000, 1000)), 0);
    assert.equal(task.process.creds.euid, 1000);
    assert.throws(() => identitySyscalls.setuid!.handler(task, argsOf(ctx, SYS.setuid, 0)), (e: LinuxError) => e.code === 'EPERM');
  });

  it('sethostname needs CAP_SYS_ADMIN and at most 64 bytes; uname and the kernel (the pod) see the new name', () => {
    const { task, ctx, kernel } = setup();
    ctx.memory.write(BUF + 0x1000, Buffer.from('renamed-pod'));
    assert.equal(identitySyscalls.sethostname!.handler(task, argsOf(ctx, SYS.sethostname, BUF + 0x1000, 7)), 0);
    assert.equal(kernel.hostname, 'renamed');
    identitySyscalls.uname!.handler(task, argsOf(ctx, SYS.uname, BUF));
    assert.equal(ctx.memory.read(BUF + 65, 8).toString('latin1'), 'renamed\0');
    assert.throws(() => identitySyscalls.sethostname!.handler(task, argsOf(ctx, SYS.sethostname, BUF + 0x1000, 65)), (e: LinuxError) => e.code === 'EINVAL');
    task.process.creds.caps.effective &= ~(1n << 21n);
    assert.throws(() => identitySyscalls.sethostname!.handler(task, argsOf(ctx, SYS.sethostname, BUF + 0x1000, 3)), (e: LinuxError) => e.code === 'EPERM');
    assert.equal(kernel.hostname, 'renamed');
  });

  it('syslog reads the boot log: first line Starting tsvisor..., last Ready!', () => {
    const { task, ctx } = setup();
    const size = identitySyscalls.syslog!.handler(task, argsOf(ctx, SYS.syslog, 10, 0, 0)) as number;
    const n = identitySyscalls.syslog!.handler(task, argsOf(ctx, SYS.syslog, 3, BUF, size)) as number;
    const lines = ctx.memory.read(BUF, n).toString().trimEnd().split('\n');
    assert.match(lines[0], /^<6>\[ +0\.000000\] Starting tsvisor\.\.\.$/);
    assert.match(lines[lines.length - 1], /\] Ready!$/);
  });

  it('getgroups with a too-small buffer is EINVAL', () => {
    const { task, ctx } = setup();
    task.process.creds.groups = [1, 2];
    assert.equal(identitySyscalls.getgroups!.handler(task, argsOf(ctx, SYS.getgroups, 0, 0)), 2);
    assert.throws(() => identitySyscalls.getgroups!.handler(task, argsOf(ctx, SYS.getgroups, 1, BUF)), (e: LinuxError) => e.code === 'EINVAL');
  });
});
