import assert from 'node:assert/strict';
import { SYS } from '../abi/linux/syscalls';
import { SIG } from '../abi/linux/signal';
import { fakeTask, argsOf } from '../testing/fakes';
import { signalSyscalls } from './signal';
import { SyscallControl } from './types';
import { LinuxError } from '../errors/linuxerr';

const ACT = 0x10000;
const OLD = 0x10100;

function setup() {
  const f = fakeTask();
  f.ctx.memory.mapAnonymous(ACT, 0x1000, 3);
  return f;
}

describe('signal syscalls', () => {
  it('rt_sigaction stores the action and returns the old one', () => {
    const { task, ctx } = setup();
    const act = Buffer.alloc(32);
    act.writeBigUInt64LE(0x401000n, 0); // handler
    act.writeBigUInt64LE(0x04000000n, 8); // SA_RESTORER
    act.writeBigUInt64LE(1n << 8n, 24); // mask: SIGKILL (bit 8) must be dropped
    ctx.memory.write(ACT, act);
    signalSyscalls.rt_sigaction!.handler(task, argsOf(ctx, SYS.rt_sigaction, SIG.SIGUSR1, ACT, 0, 8));
    signalSyscalls.rt_sigaction!.handler(task, argsOf(ctx, SYS.rt_sigaction, SIG.SIGUSR1, 0, OLD, 8));
    const old = ctx.memory.read(OLD, 32);
    assert.equal(old.readBigUInt64LE(0), 0x401000n);
    assert.equal(old.readBigUInt64LE(24), 0n);
  });

  it('rt_sigaction refuses SIGKILL and a wrong sigsetsize with EINVAL', () => {
    const { task, ctx } = setup();
    const einval = (e: LinuxError) => e.code === 'EINVAL';
    assert.throws(() => signalSyscalls.rt_sigaction!.handler(task, argsOf(ctx, SYS.rt_sigaction, SIG.SIGKILL, ACT, 0, 8)), einval);
    assert.throws(() => signalSyscalls.rt_sigaction!.handler(task, argsOf(ctx, SYS.rt_sigaction, SIG.SIGINT, 0, 0, 4)), einval);
  });

  it('rt_sigprocmask cannot block SIGKILL or SIGSTOP', () => {
    const { task, ctx } = setup();
    const set = Buffer.alloc(8);
    set.writeBigUInt64LE(0xffffffffffffffffn);
    ctx.memory.write(ACT, set);
    signalSyscalls.rt_sigprocmask!.handler(task, argsOf(ctx, SYS.rt_sigprocmask, 2, ACT, 0, 8));
    assert.equal(task.sigmask, 0xffffffffffffffffn & ~((1n << 8n) | (1n << 18n)));
  });

  it('kill of itself with SIGTERM ends the process with the signal status', () => {
    const { task, ctx } = setup();
    const r = signalSyscalls.kill!.handler(task, argsOf(ctx, SYS.kill, 1, SIG.SIGTERM));
    assert.equal(r, SyscallControl.TASK_EXITED);
    assert.equal(task.process.exitStatus, SIG.SIGTERM);
    assert.ok(ctx.killed);
  });

  it('SIGSEGV sets the core-dump bit like Linux (status 0x8b)', () => {
    const { task, ctx } = setup();
    signalSyscalls.kill!.handler(task, argsOf(ctx, SYS.kill, 0, SIG.SIGSEGV));
    assert.equal(task.process.exitStatus, 0x8b);
  });

  it('default-ignored and SIG_IGN signals do nothing; unknown pids are ESRCH', () => {
    const { task, ctx } = setup();
    assert.equal(signalSyscalls.kill!.handler(task, argsOf(ctx, SYS.kill, 1, SIG.SIGCHLD)), 0);
    assert.equal(task.process.exitStatus, undefined);
    assert.throws(() => signalSyscalls.kill!.handler(task, argsOf(ctx, SYS.kill, 77, SIG.SIGTERM)), (e: LinuxError) => e.code === 'ESRCH');
  });
});
